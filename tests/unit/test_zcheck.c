/*
 * compress (.Z) streams (lib/scan/zcheck.c and its use in
 * lib/scan/archive.c): streams written here by libarchive's compress
 * writer, then cut at every byte, concatenated, damaged. The check is
 * held against an oracle that knows nothing of it: a cut that the check
 * calls whole must be byte for byte the stream the writer makes of what
 * the cut decodes to (a valid .Z of its own, which no reader can tell),
 * and every other cut must be called cut.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "chainsweep/scan.h"
#include "scan/zcheck_int.h"
#include "testutil.h"

#define MARKER "XTRADER-BENIGN-COMPRESS-MARKER-9d1f"

/* data compressed as one .Z stream (malloc'ed). */
static unsigned char *zc(const void *data, size_t n, size_t *len)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	size_t cap = n * 2 + 1024, used = 0;
	unsigned char *buf = malloc(cap);

	assert_non_null(buf);
	assert_int_equal(archive_write_add_filter_compress(a), ARCHIVE_OK);
	assert_int_equal(archive_write_set_format_raw(a), ARCHIVE_OK);
	assert_int_equal(archive_write_set_bytes_in_last_block(a, 1), ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
	archive_entry_set_pathname(e, "x");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_size(e, (la_int64_t)n);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	if (n)
		assert_int_equal(archive_write_data(a, data, n), (la_ssize_t)n);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	archive_entry_free(e);
	*len = used;
	return buf;
}

/* What a .Z decodes to, as far as libarchive reads it (malloc'ed). */
static unsigned char *unz(const void *p, size_t n, size_t *len)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	unsigned char *out = NULL;
	char buf[65536];
	la_ssize_t k;

	*len = 0;
	archive_read_support_filter_compress(a);
	archive_read_support_format_raw(a);
	archive_read_support_format_empty(a);
	if (archive_read_open_memory(a, p, n) == ARCHIVE_OK &&
	    archive_read_next_header(a, &e) == ARCHIVE_OK)
		while ((k = archive_read_data(a, buf, sizeof(buf))) > 0) {
			out = realloc(out, *len + (size_t)k);
			assert_non_null(out);
			memcpy(out + *len, buf, (size_t)k);
			*len += (size_t)k;
		}
	archive_read_free(a);
	return out;
}

static unsigned char *noise(size_t n, uint32_t seed)
{
	unsigned char *p = malloc(n + 1);
	size_t i;

	assert_non_null(p);
	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (unsigned char)(seed >> 16);
	}
	return p;
}

/* Text that compresses: words from a small set, the table fills, and
 * compress clears it; the marker at the end. */
static unsigned char *words(size_t n, uint32_t seed)
{
	static const char *w[] = {"alpha ", "beta ", "gamma\n", "delta ", "eps ", "zeta\n"};
	unsigned char *p = malloc(n + 1);
	size_t i = 0;

	assert_non_null(p);
	while (i < n) {
		const char *s;
		size_t k;

		seed = seed * 1103515245u + 12345u;
		s = w[(seed >> 16) % 6];
		k = strlen(s) < n - i ? strlen(s) : n - i;
		memcpy(p + i, s, k);
		i += k;
	}
	if (n > strlen(MARKER))
		memcpy(p + n - strlen(MARKER), MARKER, strlen(MARKER));
	return p;
}

/* Whole streams of every size class are whole, and end where they end. */
static void test_whole(void **state)
{
	static const size_t sizes[] = {0, 1, 2, 255, 256, 1000, 4096, 70000, 400000};
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (k = 0; k < 2; k++) {
			unsigned char *d = k ? words(sizes[i], (uint32_t)i) : noise(sizes[i], (uint32_t)i);
			size_t n;
			unsigned char *z = zc(d, sizes[i], &n);
			struct cs__zcheck r;

			cs__zcheck(z, n, &r);
			print_message("size %zu %s: %zu bytes, status %d\n", sizes[i],
			              k ? "words" : "noise", n, r.status);
			assert_int_equal(r.status, CS__Z_CLEAN);
			assert_int_equal(r.end, n);
			free(z);
			free(d);
		}
}

/* The oracle: the cut [z, z+cut) is a valid .Z of its own. */
static int valid_alone(const unsigned char *z, size_t cut)
{
	size_t dn, rn;
	unsigned char *d = unz(z, cut, &dn), *re = zc(d ? d : (unsigned char *)"", dn, &rn);
	int same = rn == cut && memcmp(re, z, cut) == 0;

	free(d);
	free(re);
	return same;
}

/* Cut at every byte (of a small stream; of a bigger one at a stride):
 * whole exactly when the oracle says the cut is a valid stream. */
static void test_cut_everywhere(void **state)
{
	size_t k;

	(void)state;
	for (k = 0; k < 3; k++) {
		size_t len = k == 0 ? 3000 : k == 1 ? 1200 : 60000, n, cut, whole = 0, cuts = 0;
		unsigned char *d = k == 1 ? noise(len, 7) : words(len, 7 + (uint32_t)k);
		unsigned char *z = zc(d, len, &n);
		size_t step = n > 5000 ? 61 : 1;

		/* From 4: a header alone is compress's empty file, libarchive
		 * writes an empty one with a code (the oracle's writer). */
		for (cut = 4; cut < n; cut += step) {
			struct cs__zcheck r;

			cs__zcheck(z, cut, &r);
			assert_true(r.status == CS__Z_CLEAN || r.status == CS__Z_CUT);
			assert_int_equal(r.end, cut);
			if (valid_alone(z, cut)) {
				assert_int_equal(r.status, CS__Z_CLEAN);
				whole++;
			} else {
				if (r.status != CS__Z_CUT)
					fail_msg("cut at %zu of %zu: called whole, not a valid stream", cut, n);
				assert_true(r.at <= cut);
				cuts++;
			}
		}
		print_message("%zu bytes: %zu cuts seen, %zu cuts that are valid streams\n", n, cuts,
		              whole);
		/* Most cuts show (fewer with short codes): a valid stream ends
		 * on a code, in zero bits. */
		assert_true(cuts > whole * 2);
		free(z);
		free(d);
	}
}

/* Streams one after another: the first ends where the second starts,
 * whatever the second holds (empty, tiny, big, another after it). */
static void test_concatenated(void **state)
{
	static const size_t sizes[] = {0, 14, 3000, 100000};
	size_t i, j;

	(void)state;
	for (i = 0; i < 4; i++)
		for (j = 0; j < 4; j++) {
			unsigned char *a = words(sizes[i], 1), *b = words(sizes[j], 2);
			size_t na, nb, nc;
			unsigned char *za = zc(a, sizes[i], &na), *zb = zc(b, sizes[j], &nb),
			              *zc3 = zc(b, 14, &nc), *all = malloc(na + nb + nc);
			struct cs__zcheck r;

			assert_non_null(all);
			memcpy(all, za, na);
			memcpy(all + na, zb, nb);
			memcpy(all + na + nb, zc3, nc);
			cs__zcheck(all, na + nb, &r);
			assert_int_equal(r.status, CS__Z_CLEAN);
			assert_int_equal(r.end, na);
			cs__zcheck(all, na + nb + nc, &r);
			assert_int_equal(r.status, CS__Z_CLEAN);
			assert_int_equal(r.end, na);
			/* The second then third: the same from there. */
			cs__zcheck(all + na, nb + nc, &r);
			assert_int_equal(r.end, nb);
			free(all);
			free(za);
			free(zb);
			free(zc3);
			free(a);
			free(b);
		}
}

/* Near misses: a header compress never writes; a first code that is not
 * a byte; bytes that are not a stream after a stream (no further header:
 * the first stream runs into them, and is damaged or cut there); a fake
 * header inside a stream's codes is not taken for an end. */
static void test_near_misses(void **state)
{
	static const unsigned char bad_flags[][3] = {
	        {0x1f, 0x9d, 0x88}, {0x1f, 0x9d, 0x91}, {0x1f, 0x9d, 0xf0}, {0x1f, 0x9d, 0xb0}};
	unsigned char first[] = {0x1f, 0x9d, 0x90, 0xff, 0xff, 0x00};
	static const unsigned char clear_cut[] = {0x1f, 0x9d, 0x90, 0x68, 0xca, 0xb0, 0x61,
	                                          0xf3, 0x06, 0x44, 0x9b, 0x30, 0x6c, 0x00,
	                                          0xee, 0x84, 0x91, 0x53, 0x46, 0x01};
	unsigned char *d = words(50000, 3), *z, *zz;
	size_t n, i, fakes = 0;
	struct cs__zcheck r;

	(void)state;
	for (i = 0; i < 4; i++) {
		cs__zcheck(bad_flags[i], 3, &r);
		assert_int_equal(r.status, CS__Z_HEADER);
	}
	cs__zcheck(first, sizeof(first), &r);
	assert_int_equal(r.status, CS__Z_INVALID);
	assert_int_equal(r.at, 3);
	/* A clear whose padding runs past the end (fuzz_zcheck found the left
	 * over bits counted from past the end): cut after the clear. */
	cs__zcheck(clear_cut, sizeof(clear_cut), &r);
	assert_int_equal(r.status, CS__Z_CUT);
	assert_true(r.at <= sizeof(clear_cut) && r.unused < sizeof(clear_cut) * 8);
	z = zc(d, 50000, &n);
	zz = malloc(n + 64);
	assert_non_null(zz);
	memcpy(zz, z, n);
	memcpy(zz + n, "\x1f\x8b\x08 not a compress stream at all, and long enough", 50);
	cs__zcheck(zz, n + 50, &r);
	assert_true(r.status == CS__Z_INVALID || r.status == CS__Z_CUT);
	assert_int_equal(r.end, n + 50);
	/* A fake header (magic, flags) written over the stream's codes every
	 * 997 bytes: none is an end, and the stream is not read as whole. */
	for (i = 500; i + 3 < n - 100; i += 997, fakes++)
		memcpy(zz + i, "\x1f\x9d\x90", 3);
	cs__zcheck(zz, n, &r);
	assert_true(r.end == n);
	assert_true(r.tries <= CS__Z_TRIES);
	print_message("%zu fake headers, %u tried, status %d\n", fakes, r.tries, r.status);
	free(zz);
	free(z);
	free(d);
}

/*
 * Hostile: headers of empty streams one after another (each a valid end:
 * a chain, taken without trying every link); then a stream whose table
 * is full, so that any code is valid, running over a hundred thousand
 * fake headers that each start a stream invalid at once: the tries stop
 * at their cap and say so, in bounded time.
 */
static void test_many_headers(void **state)
{
	size_t zeros, n = 3 + 200001 + 6 * 100000, i, k;
	unsigned char *p = malloc(n);
	int gave_up = 0;
	struct cs__zcheck r;

	(void)state;
	assert_non_null(p);
	for (i = 0; i + 3 <= 30000; i += 3)
		memcpy(p + i, "\x1f\x9d\x90", 3);
	cs__zcheck(p, 30000, &r);
	assert_int_equal(r.status, CS__Z_CLEAN);
	assert_int_equal(r.end, 3);
	assert_true(r.tries <= 8);
	for (k = 0; k < 2; k++) {
		/* 16 bits, no clears; all-zero codes are valid and fill the table */
		zeros = 200000 + k;
		memcpy(p, "\x1f\x9d\x10", 3);
		memset(p + 3, 0, zeros);
		for (i = 3 + zeros; i + 6 <= n; i += 6)
			memcpy(p + i, "\x1f\x9d\x90\xff\xff\xff", 6);
		cs__zcheck(p, i, &r);
		print_message("shift %zu: tries %u, gave up %d, status %d, end %zu of %zu\n", k, r.tries,
		              r.gave_up, r.status, r.end, i);
		assert_true(r.tries <= CS__Z_TRIES);
		assert_int_equal(r.end, i);
		gave_up += r.gave_up;
	}
	assert_int_equal(gave_up, 1);
	free(p);
}

/* ---- through the sweep ---- */

/*
 * A second stream after the first holding the marker: before, its codes
 * were read as more codes of the first (garbage, or an error) and the
 * marker never seen; now it is scanned as trailing bytes. A cut inside a
 * code is an archive-corrupt gap naming the byte.
 */
static void test_sweep(void **state)
{
	static const char rule[] = "rule Z_Marker { strings: $m = \"" MARKER "\" condition: $m }\n";
	struct cs_test_sweep s;
	unsigned char *a = words(60000, 5), *za, *zb, *all;
	size_t na, nb, cut;
	char want[128];

	(void)state;
	cs_test_sweep_init(&s, rule);

	memset(a + 59900, 'q', 100); /* the first stream without the marker */
	za = zc(a, 60000, &na);
	zb = zc(MARKER "\n", strlen(MARKER) + 1, &nb);
	all = malloc(na + nb);
	assert_non_null(all);
	memcpy(all, za, na);
	memcpy(all + na, zb, nb);
	cs_test_sweep_mem(&s, "m.txt.Z", all, na + nb);
	snprintf(want, sizeof(want), "m.txt.Z!/trailing-bytes@%zu!/trailing-bytes@%zu\n", na, na);
	assert_string_equal(s.found, want);
	assert_int_equal(s.res.count[CS_COV_ARCHIVE_CORRUPT], 0);

	/* Cut where the check sees a part of a code: a gap with the byte. */
	for (cut = na - 1; cut > na / 2; cut--) {
		struct cs__zcheck r;

		cs__zcheck(za, cut, &r);
		if (r.status == CS__Z_CUT)
			break;
	}
	cs_test_sweep_mem(&s, "cut.txt.Z", za, cut);
	assert_int_equal(s.res.count[CS_COV_ARCHIVE_CORRUPT], 1);
	assert_non_null(strstr(s.diags, "cut.txt.Z: archive-corrupt: the compress stream ends inside "
	                                "a code"));

	/* Damaged in the middle: an invalid code, named with its byte. */
	memset(all + na / 2, 0xff, 8);
	cs_test_sweep_mem(&s, "bad.txt.Z", all, na);
	assert_int_equal(s.res.count[CS_COV_ARCHIVE_CORRUPT], 1);
	assert_non_null(strstr(s.diags, "invalid compress code at byte "));
	free(all);
	free(za);
	free(zb);
	free(a);
	cs_test_sweep_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_whole),
	        cmocka_unit_test(test_cut_everywhere),
	        cmocka_unit_test(test_concatenated),
	        cmocka_unit_test(test_near_misses),
	        cmocka_unit_test(test_many_headers),
	        cmocka_unit_test(test_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

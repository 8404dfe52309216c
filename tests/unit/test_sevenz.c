/*
 * The 7z header check (lib/scan/sevenz_check.c) and its use before
 * libarchive opens a 7z (lib/scan/archive.c): archives written here by
 * the 7z program, then patched where a coder's properties name its
 * dictionary or model (the header's CRCs fixed after), cut, damaged.
 * 7-Zip shrinks the dictionary to the data's size when it writes, so a
 * large one has to be patched in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <zlib.h>

#include "chainsweep/scan.h"
#include "scan/sevenz_int.h"
#include "testutil.h"

#define MARKER "XTRADER-BENIGN-SEVENZ-MARKER-7a2c"
#define CAP    ((uint64_t)256 << 20)

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* The next header's CRC and the start header's, after a patch. */
static void fix_crcs(unsigned char *p)
{
	uint64_t off = rd32(p + 12) | (uint64_t)rd32(p + 16) << 32;
	uint64_t size = rd32(p + 20) | (uint64_t)rd32(p + 24) << 32;

	wr32(p + 28, (uint32_t)crc32(0, p + 32 + off, (uInt)size));
	wr32(p + 8, (uint32_t)crc32(0, p + 12, 20));
}

static unsigned char *next_header(unsigned char *p, size_t *size)
{
	*size = rd32(p + 20);
	return p + 32 + rd32(p + 12);
}

/* A 7z written by `7z a ARGS` of a noise file and a file holding the
 * marker (malloc'ed; *n its size). Skips the test without a 7z program. */
static unsigned char *make7z(const char *args, size_t *n)
{
	char *dir = cs_test_tmpdir(), cmd[1024], *path;
	unsigned char noise[6000], *buf;
	uint32_t seed = 7;
	size_t i;
	FILE *f;
	long len;

	if (system("command -v 7z >/dev/null 2>&1") != 0) {
		print_message("SKIP: 7z absent\n");
		cs_test_rmtree(dir);
		free(dir);
		skip();
	}
	for (i = 0; i < sizeof(noise); i++) {
		seed = seed * 1103515245u + 12345u;
		noise[i] = (unsigned char)(seed >> 16);
	}
	free(cs_test_write(dir, "noise.bin", noise, sizeof(noise)));
	free(cs_test_write(dir, "evil.bin", MARKER "\n", strlen(MARKER) + 1));
	snprintf(cmd, sizeof(cmd), "cd '%s' && 7z a -bd %s t.7z noise.bin evil.bin >/dev/null", dir,
	         args);
	assert_int_equal(system(cmd), 0);
	path = malloc(strlen(dir) + 8);
	assert_non_null(path);
	sprintf(path, "%s/t.7z", dir);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc((size_t)len);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	cs_test_rmtree(dir);
	free(dir);
	free(path);
	*n = (size_t)len;
	return buf;
}

/* The first coder in the (plain) next header with this id and props
 * size: a pointer to its properties. */
static unsigned char *coder_props(unsigned char *p, const char *id, size_t id_len,
                                  unsigned psize)
{
	size_t hn, i;
	unsigned char *h = next_header(p, &hn);

	for (i = 0; i + 2 + id_len + psize <= hn; i++)
		if (h[i] == (0x20 | id_len) && memcmp(h + i + 1, id, id_len) == 0 &&
		    h[i + 1 + id_len] == psize)
			return h + i + 2 + id_len;
	fail_msg("no coder %02x with %u property bytes in the header", (unsigned char)id[0], psize);
	return NULL;
}

static void check(const unsigned char *p, size_t n, struct cs__7z_check *r)
{
	assert_int_equal(cs__7z_check(p, n, CAP, r), 1);
	print_message("status %d, folders %llu, demand %llu MiB (%s), why: %s\n", r->status,
	              (unsigned long long)r->folders, (unsigned long long)(r->demand >> 20),
	              r->coder ? r->coder : "-", r->why);
}

/* ---- through the sweep ---- */

#define SWEEP_RULE "rule S_Marker { strings: $m = \"" MARKER "\" condition: $m }\n"


static long maxrss_kb(void)
{
	struct rusage u;

	getrusage(RUSAGE_SELF, &u);
	return u.ru_maxrss;
}

/* Archives as 7z writes them, headers packed (its default) or not: read
 * whole, the marker found in the member, nothing reported. */
static void test_normal(void **state)
{
	static const char *args[] = {"", "-mhc=off", "-m0=LZMA", "-m0=PPMd", "-m0=BZip2",
	                             "-mf=BCJ", "-ms=off", "-m0=Copy"};
	struct cs__7z_check r;
	struct cs_test_sweep s;
	size_t i, n;

	(void)state;
	cs_test_sweep_init(&s, SWEEP_RULE);
	for (i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
		unsigned char *p = make7z(args[i], &n);

		print_message("7z a %s: %zu bytes\n", args[i], n);
		check(p, n, &r);
		assert_int_equal(r.status, CS__7Z_OK);
		assert_true(r.folders >= 1);
		cs_test_sweep_mem(&s, "t.7z", p, n);
		assert_non_null(strstr(s.found, "t.7z!/evil.bin\n"));
		assert_int_equal(s.res.count[CS_COV_ARCHIVE_BOMB], 0);
		assert_int_equal(s.res.count[CS_COV_ARCHIVE_CORRUPT], 0);
		free(p);
	}
	cs_test_sweep_free(&s);
}

/*
 * A folder's LZMA2 coder patched to ask for 1.5 GiB (properties byte 37):
 * libarchive would allocate it; now an archive-bomb gap naming the
 * coder, the member never opened, in little memory. The byte under it,
 * 32 (256 MiB, the cap), is read as before; 33 (384 MiB) is over.
 */
static void test_lzma2_dictionary(void **state)
{
	struct cs__7z_check r;
	struct cs_test_sweep s;
	size_t n;
	unsigned char *p = make7z("-mhc=off -m0=LZMA2", &n), *props;
	long rss0 = maxrss_kb();

	(void)state;
	cs_test_sweep_init(&s, SWEEP_RULE);
	props = coder_props(p, "\x21", 1, 1);
	props[0] = 37;
	fix_crcs(p);
	check(p, n, &r);
	assert_int_equal(r.status, CS__7Z_BOMB);
	assert_int_equal(r.demand, (uint64_t)1536 << 20);
	assert_string_equal(r.coder, "LZMA2");
	assert_false(r.in_header);
	cs_test_sweep_mem(&s, "big.7z", p, n);
	assert_int_equal(s.res.count[CS_COV_ARCHIVE_BOMB], 1);
	assert_int_equal(s.res.count[CS_COV_MEMBERS], 0);
	assert_non_null(strstr(s.diags, "big.7z: archive-bomb: a 7z folder's coder (LZMA2) asking "
	                                "for 1536 MiB of dictionary (cap 256 MiB)"));
	print_message("peak RSS %ld KB before, %ld KB after\n", rss0, maxrss_kb());
	assert_true(maxrss_kb() - rss0 < 100 * 1024);

	props[0] = 32;
	fix_crcs(p);
	check(p, n, &r);
	assert_int_equal(r.status, CS__7Z_OK);
	cs_test_sweep_mem(&s, "cap.7z", p, n);
	assert_non_null(strstr(s.found, "cap.7z!/evil.bin\n"));
	props[0] = 33;
	fix_crcs(p);
	check(p, n, &r);
	assert_int_equal(r.status, CS__7Z_BOMB);
	assert_int_equal(r.demand, (uint64_t)384 << 20);
	props[0] = 41;
	fix_crcs(p);
	check(p, n, &r);
	assert_int_equal(r.status, CS__7Z_BAD);
	free(p);
	cs_test_sweep_free(&s);
}

/* LZMA (5 property bytes: the dictionary a 32-bit number) and PPMd (the
 * model's size the same way): the cap itself passes, a byte more not. */
static void test_lzma_ppmd(void **state)
{
	static const struct {
		const char *args, *id, *name;
		size_t id_len;
	} t[] = {
	        {"-mhc=off -m0=LZMA", "\x03\x01\x01", "LZMA", 3},
	        {"-mhc=off -m0=PPMd", "\x03\x04\x01", "PPMd", 3},
	        {"-m0=PPMd", "\x03\x04\x01", "PPMd", 3}, /* in the packed header */
	};
	struct cs__7z_check r;
	struct cs_test_sweep s;
	size_t i, n;

	(void)state;
	cs_test_sweep_init(&s, SWEEP_RULE);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		unsigned char *p = make7z(t[i].args, &n), *props;

		if (i == 2) {
			/* The main folders are inside the packed header: not
			 * patchable here; the header decodes and its PPMd
			 * folder is read. */
			check(p, n, &r);
			assert_int_equal(r.status, CS__7Z_OK);
			free(p);
			continue;
		}
		props = coder_props(p, t[i].id, t[i].id_len, 5);
		wr32(props + 1, (uint32_t)CAP);
		fix_crcs(p);
		check(p, n, &r);
		assert_int_equal(r.status, CS__7Z_OK);
		cs_test_sweep_mem(&s, "cap.7z", p, n);
		assert_non_null(strstr(s.found, "cap.7z!/evil.bin\n"));
		wr32(props + 1, (uint32_t)CAP + 1);
		fix_crcs(p);
		check(p, n, &r);
		assert_int_equal(r.status, CS__7Z_BOMB);
		assert_string_equal(r.coder, t[i].name);
		wr32(props + 1, 0xffffffffu);
		fix_crcs(p);
		cs_test_sweep_mem(&s, "big.7z", p, n);
		assert_int_equal(s.res.count[CS_COV_ARCHIVE_BOMB], 1);
		assert_int_equal(s.res.count[CS_COV_MEMBERS], 0);
		assert_non_null(strstr(s.diags, t[i].name));
		free(p);
	}
	cs_test_sweep_free(&s);
}

/* The packed header's own LZMA coder asking for 1.5 GiB: a bomb before
 * anything is decoded (libarchive would allocate it to read the file
 * list). Behind an executable stub, where libarchive looks for a 7z, the
 * same. */
static void test_encoded_header(void **state)
{
	struct cs__7z_check r;
	struct cs_test_sweep s;
	size_t n;
	unsigned char *p = make7z("", &n), *props, *sfx;
	size_t hn;

	(void)state;
	cs_test_sweep_init(&s, SWEEP_RULE);
	assert_int_equal(next_header(p, &hn)[0], 0x17);
	props = coder_props(p, "\x03\x01\x01", 3, 5);
	wr32(props + 1, 0x60000000u);
	fix_crcs(p);
	check(p, n, &r);
	assert_int_equal(r.status, CS__7Z_BOMB);
	assert_true(r.in_header);
	assert_int_equal(r.demand, (uint64_t)1536 << 20);
	cs_test_sweep_mem(&s, "hdr.7z", p, n);
	assert_int_equal(s.res.count[CS_COV_ARCHIVE_BOMB], 1);
	assert_non_null(strstr(s.diags, "a 7z header's coder (LZMA)"));

	sfx = calloc(1, CS__7Z_SFX_MIN + 100 + n);
	assert_non_null(sfx);
	memcpy(sfx, "MZ", 2);
	memcpy(sfx + CS__7Z_SFX_MIN + 100, p, n);
	check(sfx, CS__7Z_SFX_MIN + 100 + n, &r);
	assert_int_equal(r.status, CS__7Z_BOMB);
	assert_int_equal(r.start, CS__7Z_SFX_MIN + 100);
	free(sfx);

	/* Just at the cap: decoded (with a dictionary of the header's size)
	 * and read. */
	wr32(props + 1, (uint32_t)CAP);
	fix_crcs(p);
	check(p, n, &r);
	assert_int_equal(r.status, CS__7Z_OK);
	assert_int_equal(r.folders, 1);
	free(p);
	cs_test_sweep_free(&s);
}

/* Cut at every length, and damaged in each CRC'd part: never read past
 * the end, always a verdict; through the sweep an archive-corrupt gap
 * naming what is wrong. */
static void test_cut_and_damaged(void **state)
{
	static const char *args[] = {"", "-mhc=off"};
	struct cs__7z_check r;
	struct cs_test_sweep s;
	size_t i, k, n;

	(void)state;
	cs_test_sweep_init(&s, SWEEP_RULE);
	for (k = 0; k < 2; k++) {
		unsigned char *p = make7z(args[k], &n), *cp;
		size_t hn;
		unsigned char *h = next_header(p, &hn);

		for (i = 6; i < n; i++) {
			cp = malloc(i);
			assert_non_null(cp);
			memcpy(cp, p, i);
			assert_int_equal(cs__7z_check(cp, i, CAP, &r), 1);
			assert_int_equal(r.status, CS__7Z_BAD);
			free(cp);
		}
		cs_test_sweep_mem(&s, "cut.7z", p, n - 1);
		assert_int_equal(s.res.count[CS_COV_ARCHIVE_CORRUPT], 1);
		assert_non_null(strstr(s.diags, "cut.7z: archive-corrupt: cannot open as an archive: "
		                                "7z: the header"));
		h[hn / 2] ^= 0x55;
		check(p, n, &r);
		assert_int_equal(r.status, CS__7Z_BAD);
		assert_non_null(strstr(r.why, "the header's CRC does not match"));
		p[14] ^= 1;
		check(p, n, &r);
		assert_int_equal(r.status, CS__7Z_BAD);
		assert_non_null(strstr(r.why, "start header's CRC"));
		free(p);
	}
	cs_test_sweep_free(&s);
}

/* Hand-made headers: counts past the caps and property ids out of place
 * are refused without allocating; a folder count of 2^40 is read as a
 * number, never as an allocation. Encrypted headers are left to
 * libarchive (which cannot read them either). */
static void test_handmade(void **state)
{
	static const struct {
		const char *hdr;
		size_t len;
		enum cs__7z_status want;
		const char *why;
	} t[] = {
	        /* kHeader, kMainStreamsInfo, kUnPackInfo, kFolder, 2^40 folders */
	        {"\x01\x04\x07\x0b\xfe\x00\x00\x00\x00\x00\x01\x00", 12, CS__7Z_BAD, "folders (cap"},
	        /* one folder of 65 coders */
	        {"\x01\x04\x07\x0b\x01\x00\x41", 7, CS__7Z_BAD, "65 coders"},
	        /* one coder with 1000 in streams */
	        {"\x01\x04\x07\x0b\x01\x00\x01\x10\x00\x83\xe8\x01", 12, CS__7Z_BAD, "in and"},
	        /* external folders */
	        {"\x01\x04\x07\x0b\x01\x01\x00", 7, CS__7Z_BAD, "outside the header"},
	        /* additional streams */
	        {"\x01\x03", 2, CS__7Z_BAD, "additional streams"},
	        /* an unknown property in the header */
	        {"\x01\x33", 2, CS__7Z_BAD, "property 0x33"},
	        /* an LZMA2 folder asking for 4 GiB: a bomb even unfinished */
	        {"\x01\x04\x07\x0b\x01\x00\x01\x21\x21\x01\x28", 11, CS__7Z_BOMB, ""},
	        /* archive properties skipped, then files only: no folders */
	        {"\x01\x02\x07\x02" "ab" "\x00\x05\x00\x00", 10, CS__7Z_OK, ""},
	        /* encoded header of one AES + LZMA folder */
	        {"\x17\x06\x00\x01\x09\x10\x00\x07\x0b\x01\x00\x02\x24\x06\xf1\x07\x01\x00\x23\x03"
	         "\x01\x01\x05\x5d\x00\x00\x01\x00\x00\x00\x0c\x10\x10\x00",
	         34, CS__7Z_UNREAD, "encrypted"},
	};
	struct cs__7z_check r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		unsigned char buf[128];

		memset(buf, 0, sizeof(buf));
		memcpy(buf, "7z\xbc\xaf\x27\x1c\x00\x04", 8);
		memcpy(buf + 32 + 16, t[i].hdr, t[i].len);
		wr32(buf + 12, 16);
		wr32(buf + 20, (uint32_t)t[i].len);
		fix_crcs(buf);
		check(buf, 32 + 16 + t[i].len, &r);
		assert_int_equal(r.status, t[i].want);
		assert_non_null(strstr(r.why, t[i].why));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_normal),
	        cmocka_unit_test(test_lzma2_dictionary),
	        cmocka_unit_test(test_lzma_ppmd),
	        cmocka_unit_test(test_encoded_header),
	        cmocka_unit_test(test_cut_and_damaged),
	        cmocka_unit_test(test_handmade),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The lzop reader (lib/scan/lzop.c) on streams written here with
 * liblzo2, field by field: every option of the container, then near
 * misses and hostile variants of each field; and lzop streams through
 * the file sweep (lib/scan/archive.c): found, cut, a bomb, trailing bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lzo/lzo1x.h>

#include "chainsweep/scan.h"
#include "scan/lzop_int.h"
#include "testutil.h"

#define MARKER "XTRADER-BENIGN-LZOP-MARKER-51c2"

/* ---- writing lzop streams ---- */

struct w {
	unsigned char *p;
	size_t n, cap;
};

static void w_add(struct w *w, const void *p, size_t n)
{
	if (w->n + n > w->cap) {
		w->cap = (w->n + n) * 2 + 64;
		w->p = realloc(w->p, w->cap);
		assert_non_null(w->p);
	}
	memcpy(w->p + w->n, p, n);
	w->n += n;
}

static void w_be32(struct w *w, uint32_t v)
{
	unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
	                      (unsigned char)(v >> 8), (unsigned char)v};

	w_add(w, b, 4);
}

static void w_be16(struct w *w, unsigned v)
{
	unsigned char b[2] = {(unsigned char)(v >> 8), (unsigned char)v};

	w_add(w, b, 2);
}

static uint32_t cks(int crc, const void *p, size_t n)
{
	return crc ? lzo_crc32(0, p, n) : lzo_adler32(1, p, n);
}

/* A member header. `extra` >= 0 adds an extra field of that many bytes;
 * `bad` breaks the header checksum. */
struct hdr {
	unsigned version, needed, method;
	uint32_t flags, filter;
	int extra, bad;
	const char *name;
};

static const struct hdr H = {0x1040, 0x0940, 1, 0x03000001u, 0, -1, 0, "x.txt"};

static void w_header(struct w *w, const struct hdr *h)
{
	size_t start;
	int crc = (h->flags & 0x1000) != 0;

	w_add(w, CS_LZOP_MAGIC, CS_LZOP_MAGIC_LEN);
	start = w->n;
	w_be16(w, h->version);
	w_be16(w, 0x20a0);
	if (h->version >= 0x0940)
		w_be16(w, h->needed);
	w_add(w, &(unsigned char){(unsigned char)h->method}, 1);
	if (h->version >= 0x0940)
		w_add(w, &(unsigned char){5}, 1);
	w_be32(w, h->flags);
	if (h->flags & 0x800)
		w_be32(w, h->filter);
	w_be32(w, 0100644);
	w_be32(w, 1679616000);
	if (h->version >= 0x0940)
		w_be32(w, 0);
	w_add(w, &(unsigned char){(unsigned char)strlen(h->name)}, 1);
	w_add(w, h->name, strlen(h->name));
	w_be32(w, cks(crc, w->p + start, w->n - start) + (h->bad ? 1 : 0));
	if (h->flags & 0x40) {
		size_t e = w->n;
		int i;

		w_be32(w, (uint32_t)h->extra);
		for (i = 0; i < h->extra; i++)
			w_add(w, "e", 1);
		w_be32(w, cks(crc, w->p + e, w->n - e));
	}
}

/* One block of `data` (compressed unless that would not be shorter), with
 * the checksums `flags` asks for. */
static void w_block(struct w *w, uint32_t flags, const void *data, size_t n)
{
	static lzo_align_t wrk[(LZO1X_1_MEM_COMPRESS + sizeof(lzo_align_t) - 1) / sizeof(lzo_align_t)];
	unsigned char *c = malloc(n + n / 16 + 64 + 3);
	lzo_uint cn = 0;

	assert_non_null(c);
	assert_int_equal(lzo1x_1_compress(data, n, c, &cn, wrk), LZO_E_OK);
	if (cn >= n) {
		memcpy(c, data, n);
		cn = n;
	}
	w_be32(w, (uint32_t)n);
	w_be32(w, (uint32_t)cn);
	if (flags & 0x1)
		w_be32(w, cks(0, data, n));
	if (flags & 0x100)
		w_be32(w, cks(1, data, n));
	if (cn < n && (flags & 0x2))
		w_be32(w, cks(0, c, cn));
	if (cn < n && (flags & 0x200))
		w_be32(w, cks(1, c, cn));
	w_add(w, c, cn);
	free(c);
}

/* A member holding `text` in blocks of `bs` bytes. */
static void w_member(struct w *w, const struct hdr *h, const char *text, size_t len, size_t bs)
{
	size_t i;

	w_header(w, h);
	for (i = 0; i < len; i += bs)
		w_block(w, h->flags, text + i, len - i < bs ? len - i : bs);
	w_be32(w, 0);
}

/* Compressible text with the marker at its end. */
static char *text(size_t n)
{
	char *t = malloc(n + 1);
	size_t i;

	assert_non_null(t);
	for (i = 0; i < n; i++)
		t[i] = "abcdefgh ijklm\n"[(i * 7 + i / 97) % 15];
	memcpy(t + n - strlen(MARKER), MARKER, strlen(MARKER));
	t[n] = '\0';
	return t;
}

/* Everything the reader gives for [p, p+n): the bytes in *out (malloc'ed),
 * the final return value. */
static int read_all(const void *p, size_t n, uint64_t budget, unsigned char **out, size_t *len,
                    struct cs__lzop *z)
{
	const unsigned char *b;
	size_t k;
	int r;

	*out = NULL;
	*len = 0;
	cs__lzop_init(z, p, n);
	while ((r = cs__lzop_next(z, budget, &b, &k)) == 1) {
		assert_true(k > 0 && k <= budget);
		*out = realloc(*out, *len + k);
		assert_non_null(*out);
		memcpy(*out + *len, b, k);
		*len += k;
		budget -= k;
	}
	return r;
}

/* ---- the reader ---- */

/* Every checksum flag, stored and compressed blocks, old and new header
 * layouts, an extra field, a crc32 header: the text comes back whole. */
static void test_round_trip(void **state)
{
	static const uint32_t sums[] = {0, 0x1, 0x1 | 0x2, 0x100, 0x100 | 0x200, 0x1 | 0x2 | 0x100 | 0x200};
	char *t = text(300000);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sums) / sizeof(sums[0]) * 4; i++) {
		struct hdr h = H;
		struct w w = {0};
		struct cs__lzop z;
		unsigned char *out;
		size_t len;

		h.flags = 0x03000000u | sums[i % 6];
		if (i / 6 == 1)
			h.version = 0x0930; /* before 0.94: no needed version, level, mtime high */
		if (i / 6 == 2) {
			h.flags |= 0x40 | 0x1000; /* an extra field, crc32 header checksums */
			h.extra = 7;
		}
		if (i / 6 == 3)
			h.name = "";
		w_member(&w, &h, t, 300000, 65536);
		assert_int_equal(read_all(w.p, w.n, UINT64_MAX, &out, &len, &z), 0);
		assert_int_equal(len, 300000);
		assert_memory_equal(out, t, len);
		assert_int_equal(z.end, w.n);
		assert_int_equal(z.members, 1);
		assert_int_equal(z.blocks, 5);
		cs__lzop_release(&z);
		free(out);
		free(w.p);
	}
	free(t);
}

/* Members one after another read as one stream; an empty member; bytes
 * after the last member are left, with the offset where they start. */
static void test_members_and_trailing(void **state)
{
	struct w w = {0};
	struct cs__lzop z;
	unsigned char *out;
	size_t len, first;
	char *t = text(5000);

	(void)state;
	w_member(&w, &H, t, 5000, 4096);
	w_member(&w, &H, "", 0, 1);
	w_member(&w, &H, "tail\n", 5, 4096);
	assert_int_equal(read_all(w.p, w.n, UINT64_MAX, &out, &len, &z), 0);
	assert_int_equal(len, 5005);
	assert_memory_equal(out + 5000, "tail\n", 5);
	assert_int_equal(z.members, 3);
	assert_int_equal(z.end, w.n);
	cs__lzop_release(&z);
	free(out);
	first = w.n;
	w_add(&w, "\x1f\x8b garbage", 10);
	assert_int_equal(read_all(w.p, w.n, UINT64_MAX, &out, &len, &z), 0);
	assert_int_equal(z.end, first);
	cs__lzop_release(&z);
	free(out);
	free(w.p);
	free(t);
}

/* Cut at every byte: everything before the cut comes out, the reader
 * says it was cut (never a clean end), except right after a member's end
 * marker, where the stream is indistinguishable from a shorter one. */
static void test_cut_everywhere(void **state)
{
	struct w w = {0};
	size_t cut, m1;
	char *t = text(3000);

	(void)state;
	w_member(&w, &H, t, 3000, 1024);
	m1 = w.n;
	w_member(&w, &H, t, 3000, 1024);
	for (cut = 0; cut < w.n; cut++) {
		struct cs__lzop z;
		unsigned char *out;
		size_t len;
		int r = read_all(w.p, cut, UINT64_MAX, &out, &len, &z);

		if (cut == m1) {
			assert_int_equal(r, 0);
			assert_int_equal(len, 3000);
		} else {
			assert_int_equal(r, CS_ERR_PARSE);
			assert_true(z.err_at <= cut);
			assert_non_null(strstr(z.err, cut < CS_LZOP_MAGIC_LEN ? "not an lzop" : "byte"));
		}
		cs__lzop_release(&z);
		free(out);
	}
	free(w.p);
	free(t);
}

/* Near misses of the header: each is refused with its reason, and a
 * header that holds but asks for what lzop itself would not read is
 * "unsupported", never guessed at. */
static void test_header_near_misses(void **state)
{
	static const struct {
		const char *what;
		unsigned version, needed, method;
		uint32_t flags, filter;
		int extra, bad, rc;
		const char *says;
	} c[] = {
	        {"checksum", 0x1040, 0x0940, 1, 0x03000001u, 0, -1, 1, CS_ERR_PARSE, "checksum"},
	        {"old version", 0x0899, 0x0940, 1, 0x03000001u, 0, -1, 0, CS_ERR_PARSE, "version"},
	        {"newer needed", 0x1050, 0x1050, 1, 0x03000001u, 0, -1, 0, CS_ERR_UNSUPPORTED, "needs"},
	        {"needed 1.040", 0x1050, 0x1040, 1, 0x03000001u, 0, -1, 0, 0, NULL},
	        {"method 0", 0x1040, 0x0940, 0, 0x03000001u, 0, -1, 0, CS_ERR_UNSUPPORTED, "method"},
	        {"method 3", 0x1040, 0x0940, 3, 0x03000001u, 0, -1, 0, 0, NULL},
	        {"method 4", 0x1040, 0x0940, 4, 0x03000001u, 0, -1, 0, CS_ERR_UNSUPPORTED, "method"},
	        {"zlib", 0x1040, 0x0940, 128, 0x03000001u, 0, -1, 0, CS_ERR_UNSUPPORTED, "method"},
	        {"filter", 0x1040, 0x0940, 1, 0x03000801u, 1, -1, 0, CS_ERR_UNSUPPORTED, "filter"},
	        {"filter 0", 0x1040, 0x0940, 1, 0x03000801u, 0, -1, 0, 0, NULL},
	        {"multipart", 0x1040, 0x0940, 1, 0x03000401u, 0, -1, 0, CS_ERR_UNSUPPORTED, "flags"},
	        {"unknown flag", 0x1040, 0x0940, 1, 0x03004001u, 0, -1, 0, CS_ERR_UNSUPPORTED, "flags"},
	        {"extra 0", 0x1040, 0x0940, 1, 0x03000041u, 0, 0, 0, 0, NULL},
	};
	char *t = text(2000);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct hdr h = H;
		struct w w = {0};
		struct cs__lzop z;
		unsigned char *out;
		size_t len;
		int r;

		h.version = c[i].version;
		h.needed = c[i].needed;
		h.method = c[i].method;
		h.flags = c[i].flags;
		h.filter = c[i].filter;
		h.extra = c[i].extra;
		h.bad = c[i].bad;
		w_member(&w, &h, t, 2000, 1000);
		r = read_all(w.p, w.n, UINT64_MAX, &out, &len, &z);
		print_message("%s: %d %s\n", c[i].what, r, z.err);
		assert_int_equal(r, c[i].rc);
		if (c[i].says) {
			assert_int_equal(len, 0);
			assert_non_null(strstr(z.err, c[i].says));
		} else {
			assert_int_equal(len, 2000);
		}
		cs__lzop_release(&z);
		free(out);
		free(w.p);
	}
	free(t);
}

/* Set a big-endian 32-bit field at p. */
static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* Hostile blocks: lengths past lzop's limit, past the budget (refused
 * before anything is allocated), compressed longer than uncompressed or
 * empty, checksums that do not hold, data that does not decompress. */
static void test_hostile_blocks(void **state)
{
	struct hdr h = H;
	struct w w = {0};
	struct cs__lzop z;
	unsigned char *out, *b;
	size_t len, hl, blk;
	char *t = text(4000);

	(void)state;
	h.flags = 0x03000000u | 0x1 | 0x2;
	w_header(&w, &h);
	hl = w.n;
	w_block(&w, h.flags, t, 4000);
	blk = w.n;
	w_be32(&w, 0);
	b = malloc(w.n);
	assert_non_null(b);

	/* The block as written, then with each field broken. */
	assert_int_equal(read_all(w.p, w.n, UINT64_MAX, &out, &len, &z), 0);
	cs__lzop_release(&z);
	free(out);
	/* The budget one byte short: refused, nothing allocated. */
	assert_int_equal(read_all(w.p, w.n, 3999, &out, &len, &z), CS_ERR_TOOBIG);
	assert_int_equal(z.cap, 0);
	assert_int_equal(z.err_at, hl);
	cs__lzop_release(&z);
	free(out);
	assert_int_equal(read_all(w.p, w.n, 4000, &out, &len, &z), 0);
	cs__lzop_release(&z);
	free(out);

	struct {
		size_t off;
		uint32_t v;
		int xor_byte, rc;
		size_t out;
		const char *says;
	} c[] = {
	        {0, (64u << 20) + 1, 0, CS_ERR_PARSE, 0, "limit"},
	        {0, 0xffffffffu, 0, CS_ERR_PARSE, 0, "limit"},
	        {4, 4001, 0, CS_ERR_PARSE, 0, "compressed bytes"},
	        {4, 0, 0, CS_ERR_PARSE, 0, "compressed bytes"},
	        {8, 0, 1, CS_ERR_PARSE, 4000, "decompressed bytes"}, /* adler32 of the data */
	        {12, 0, 1, CS_ERR_PARSE, 0, "compressed data"},     /* adler32 of the compressed */
	        {20, 0, 1, CS_ERR_PARSE, 0, "compressed data"},     /* caught by its checksum */
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int r;

		memcpy(b, w.p, w.n);
		if (c[i].xor_byte)
			b[hl + c[i].off] ^= 0x55;
		else
			put_be32(b + hl + c[i].off, c[i].v);
		r = read_all(b, w.n, UINT64_MAX, &out, &len, &z);
		print_message("case %zu: %d %s\n", i, r, z.err);
		assert_int_equal(r, c[i].rc);
		assert_int_equal(len, c[i].out);
		assert_int_equal(z.err_at, hl);
		if (c[i].says)
			assert_non_null(strstr(z.err, c[i].says));
		/* Asked again: the same answer. */
		assert_int_equal(cs__lzop_next(&z, UINT64_MAX, NULL, NULL), r);
		cs__lzop_release(&z);
		free(out);
	}
	(void)blk;
	free(b);
	free(w.p);
	free(t);
}

/* Without a checksum of the compressed data, damaged data is caught by
 * liblzo2's safe decoder (or the length it gives back): never read past. */
static void test_bad_data(void **state)
{
	struct hdr h = H;
	struct w w = {0};
	char *t = text(4000);
	size_t hl, i, bad = 0;

	(void)state;
	h.flags = 0x03000000u; /* no checksums at all */
	w_header(&w, &h);
	hl = w.n;
	w_block(&w, h.flags, t, 4000);
	w_be32(&w, 0);
	for (i = hl + 8; i < w.n - 4; i++) {
		struct cs__lzop z;
		unsigned char *out;
		size_t len;
		int r;

		w.p[i] ^= 0xa5;
		r = read_all(w.p, w.n, UINT64_MAX, &out, &len, &z);
		if (r) {
			assert_int_equal(r, CS_ERR_PARSE);
			assert_int_equal(z.err_at, hl);
			assert_non_null(strstr(z.err, "does not decompress"));
			bad++;
		}
		w.p[i] ^= 0xa5;
		cs__lzop_release(&z);
		free(out);
	}
	/* Most single-byte damage shows (a literal byte changed does not). */
	assert_true(bad > 0);
	free(w.p);
	free(t);
}

/* A stored block (compressed length equal to the uncompressed) is handed
 * out from the input itself; its compressed-data checksum is not in the
 * stream (lzop leaves it out). */
static void test_stored_block(void **state)
{
	struct hdr h = H;
	struct w w = {0};
	struct cs__lzop z;
	unsigned char rnd[3000], *out;
	size_t len, i;
	uint32_t x = 12345;

	(void)state;
	for (i = 0; i < sizeof(rnd); i++) {
		x = x * 1103515245u + 12345u;
		rnd[i] = (unsigned char)(x >> 16);
	}
	h.flags = 0x03000000u | 0x1 | 0x2 | 0x100 | 0x200;
	w_member(&w, &h, (const char *)rnd, sizeof(rnd), sizeof(rnd));
	/* Header, ulen, clen, two checksums of the data, the data, end. */
	assert_int_equal(read_all(w.p, w.n, UINT64_MAX, &out, &len, &z), 0);
	assert_int_equal(len, sizeof(rnd));
	assert_memory_equal(out, rnd, len);
	assert_int_equal(z.cap, 0); /* nothing decompressed, nothing allocated */
	cs__lzop_release(&z);
	free(out);
	free(w.p);
}

/* ---- through the sweep ---- */

#define SWEEP_RULE "rule Lzop_Marker { strings: $m = \"" MARKER "\" condition: $m }\n"


/*
 * The marker at the end of compressible text in an lzop file: found on
 * the member (the raw file does not show it); cut in half, the damage is
 * an archive-corrupt gap naming the byte, and a marker before the cut is
 * still found; 32 MiB of zeros is a bomb; a gzip after the stream is
 * scanned as trailing bytes.
 */
static void test_sweep(void **state)
{
	struct cs_test_sweep s;
	struct w w = {0}, zw = {0};
	char *t = text(200000), *zeros;
	unsigned char *both;

	(void)state;
	cs_test_sweep_init(&s, SWEEP_RULE);
	w_member(&w, &H, t, 200000, 65536);
	cs_test_sweep_mem(&s, "t.txt.lzo", w.p, w.n);
	assert_non_null(strstr(s.found, "t.txt.lzo!/t.txt\n"));
	assert_int_equal(s.res.count[CS_COV_MEMBERS], 1);
	assert_int_equal(s.res.count[CS_COV_ARCHIVE_CORRUPT], 0);

	/* Cut in half: the marker at the end is lost, the cut is a gap. */
	cs_test_sweep_mem(&s, "cut.txt.lzo", w.p, w.n / 2);
	assert_string_equal(s.found, "");
	assert_int_equal(s.res.count[CS_COV_ARCHIVE_CORRUPT], 1);
	assert_non_null(strstr(s.diags, "cut.txt.lzo: archive-corrupt: "));
	assert_non_null(strstr(s.diags, "cut short in an lzop block at byte "));

	/* The marker first, then the cut: found, and the gap reported. */
	memcpy(t, MARKER, strlen(MARKER));
	free(w.p);
	memset(&w, 0, sizeof(w));
	w_member(&w, &H, t, 200000, 65536);
	cs_test_sweep_mem(&s, "cut2.txt.lzo", w.p, w.n - 1);
	assert_non_null(strstr(s.found, "cut2.txt.lzo!/cut2.txt\n"));
	assert_int_equal(s.res.count[CS_COV_ARCHIVE_CORRUPT], 1);

	/* A gzip-looking tail after the last member: scanned as its own
	 * object (here it holds the marker in clear). */
	both = malloc(w.n + 64);
	assert_non_null(both);
	memcpy(both, w.p, w.n);
	memcpy(both + w.n, "after:" MARKER, strlen(MARKER) + 6);
	cs_test_sweep_mem(&s, "tail.lzo", both, w.n + strlen(MARKER) + 6);
	assert_non_null(strstr(s.found, "tail.lzo!/trailing-bytes@"));
	assert_int_equal(s.res.count[CS_COV_ARCHIVE_CORRUPT], 0);
	free(both);

	/* 32 MiB of zeros (blocks of 8 MiB: each is refused before it is
	 * allocated once the ratio cap is near). */
	zeros = calloc(1, (size_t)32 << 20);
	assert_non_null(zeros);
	w_member(&zw, &H, zeros, (size_t)32 << 20, (size_t)8 << 20);
	cs_test_sweep_mem(&s, "bomb.lzo", zw.p, zw.n);
	assert_int_equal(s.res.count[CS_COV_ARCHIVE_BOMB], 1);
	assert_int_equal(s.res.count[CS_COV_MEMBERS], 0);
	free(zeros);
	free(zw.p);
	free(w.p);
	free(t);
	cs_test_sweep_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_round_trip),
	        cmocka_unit_test(test_members_and_trailing),
	        cmocka_unit_test(test_cut_everywhere),
	        cmocka_unit_test(test_header_near_misses),
	        cmocka_unit_test(test_hostile_blocks),
	        cmocka_unit_test(test_bad_data),
	        cmocka_unit_test(test_stored_block),
	        cmocka_unit_test(test_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

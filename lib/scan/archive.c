/*
 * Archive descent through libarchive.
 *
 * Two kinds of input are opened, and nothing else:
 *
 * - real archives held in memory: zip (and jar, nupkg, whl, apk; also
 *   after an executable stub, as self-extracting zips are), 7z, rar, cab,
 *   iso9660, xar, lha, ar (deb), cpio and tar. Only these formats are
 *   enabled: never mtree, which takes text for a file list, nor raw;
 * - compressed streams (gzip, bzip2, xz, lzma, zstd, lz4, lzip, compress,
 *   uuencode, rpm's compressed payload, and lzop, whose container we parse
 *   ourselves, lzop.c). We decompress them ourselves, and every
 *   decompressed byte is counted against the file's caps before anyone
 *   reads it. When the decompressed bytes start as a tar (its header
 *   checksum holds), cpio or ar archive, that archive is read as it
 *   streams by; anything else is one member, the decompressed content
 *   ("x.log.gz!/x.log"), scanned like a file.
 *
 * Members are expanded one at a time and scanned exactly as files are
 * ("outer.zip!/dir/inner.dll"), nested up to a depth cap. A top-level
 * file has one budget of expanded bytes and a ratio cap over its size;
 * an archive that breaks either is a bomb, reported and left. A member is
 * kept in memory only while the worker holds at most --yara-max-size
 * bytes in all (the file and every member around it); a member over that
 * is hashed and named, and reported.
 */
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "core/dl_int.h"
#include "scan/lzop_int.h"
#include "scan/scan_int.h"
#include "scan/sevenz_int.h"
#include "scan/zcheck_int.h"

#define BOMB_FLOOR ((uint64_t)16 << 20) /* the ratio cap applies beyond this */
#define PEEK_MIN   1024                 /* decompressed bytes looked at first */
#define HEAD_MAX   512                  /* first bytes kept of a member not held */
#define LINKS_MAX  ((size_t)16 << 20)   /* bytes of hard-link targets remembered */
#define ZIP_TAIL   (65535 + 22)         /* where a zip's end record can start */
#define DICT_MAX   ((uint64_t)256 << 20) /* LZMA dictionary a stream may make us hold */

/* ---- what an input is ---- */

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned le16(const unsigned char *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

/* A uuencoded file: "begin MODE NAME" or "begin-base64 MODE NAME" on its
 * first line, MODE three or four octal digits. */
static int uu_begin(const unsigned char *p, size_t n)
{
	size_t i, k = 0;

	if (n >= 6 && memcmp(p, "begin ", 6) == 0)
		i = 6;
	else if (n >= 13 && memcmp(p, "begin-base64 ", 13) == 0)
		i = 13;
	else
		return 0;
	for (; i < n && p[i] >= '0' && p[i] <= '7'; i++)
		k++;
	return (k == 3 || k == 4) && i + 1 < n && p[i] == ' ' && p[i + 1] > ' ';
}

/* A compressed stream we decompress (or an rpm, whose payload is one). */
static int compressed_magic(const unsigned char *p, size_t n)
{
	if (n >= 2 && p[0] == 0x1f && (p[1] == 0x8b || p[1] == 0x9d))
		return 1; /* gzip, compress */
	if (n >= 4 && memcmp(p, "BZh", 3) == 0 && p[3] >= '1' && p[3] <= '9')
		return 1;
	if (n >= 6 && memcmp(p,
	                     "\xfd"
	                     "7zXZ\0",
	                     6) == 0)
		return 1;
	if (n >= 4 &&
	    (memcmp(p, "\x28\xb5\x2f\xfd", 4) == 0 || memcmp(p, "\x04\x22\x4d\x18", 4) == 0))
		return 1; /* zstd, lz4 */
	if (n >= 4 && memcmp(p, "\xed\xab\xee\xdb", 4) == 0)
		return 1; /* rpm */
	if (n >= 5 && memcmp(p, "LZIP", 4) == 0 && p[4] == 1)
		return 1; /* lzip, version 1 */
	if (cs__lzop_is(p, n))
		return 1; /* lzop: read by lzop.c (libarchive would run the program) */
	if (uu_begin(p, n))
		return 1; /* uuencode, traditional or base64 */
	if (n >= 13 && p[0] == 0x5d && p[1] == 0 && p[2] == 0) {
		/* lzma-alone: properties 0x5d, then the unpacked size, -1
		 * when unknown and otherwise far below 2^56 */
		size_t i, ff = 0;

		for (i = 5; i < 13; i++)
			ff += p[i] == 0xff;
		return ff == 8 || p[12] == 0;
	}
	return 0;
}

/* A tar header: a non-empty name and a checksum that holds (unsigned, or
 * signed as some old tars summed). */
static int tar_header(const unsigned char *p, size_t n)
{
	unsigned long want = 0, sum = 0;
	long ssum = 0;
	size_t i;
	int digits = 0;

	if (n < 512 || p[0] == 0)
		return 0;
	for (i = 148; i < 156 && p[i] == ' '; i++)
		;
	for (; i < 156 && p[i] >= '0' && p[i] <= '7'; i++, digits++)
		want = want * 8 + (unsigned long)(p[i] - '0');
	if (!digits)
		return 0;
	for (; i < 156; i++)
		if (p[i] != ' ' && p[i] != 0)
			return 0;
	for (i = 0; i < 512; i++) {
		unsigned char c = i >= 148 && i < 156 ? ' ' : p[i];

		sum += c;
		ssum += (signed char)c;
	}
	return want == sum || (long)want == ssum;
}

/* A binary cpio header (bin and pwb: the magic 070707 as a 16-bit word in
 * either byte order): the two magic bytes alone are too weak a sign, so
 * the file type in its mode and its NUL-terminated name must hold too. */
static int bin_cpio(const unsigned char *p, size_t n)
{
	unsigned mode, namesize, i;
	int le;

	if (n < 28 || !((p[0] == 0xc7 && p[1] == 0x71) || (p[0] == 0x71 && p[1] == 0xc7)))
		return 0;
	le = p[0] == 0xc7;
	mode = le ? le16(p + 6) : (unsigned)p[6] << 8 | p[7];
	namesize = le ? le16(p + 20) : (unsigned)p[20] << 8 | p[21];
	switch (mode & 0170000) {
	case 0100000: case 0040000: case 0120000: case 0020000: case 0060000: case 0010000:
	case 0140000:
		break;
	default:
		if (mode != 0) /* the trailer of an empty archive has mode 0 */
			return 0;
	}
	if (namesize < 2 || namesize > 4096 || 26 + (size_t)namesize > n || p[26 + namesize - 1])
		return 0;
	for (i = 0; i + 1 < namesize; i++)
		if (p[26 + i] < 0x20 || p[26 + i] == 0x7f)
			return 0;
	return 1;
}

enum stream_fmt { SF_NONE, SF_TAR, SF_CPIO, SF_AR };

/* Archives read as they stream out of a decompressor. */
static enum stream_fmt stream_format(const unsigned char *p, size_t n)
{
	if (tar_header(p, n))
		return SF_TAR;
	if ((n >= 6 && (memcmp(p, "070701", 6) == 0 || memcmp(p, "070702", 6) == 0 ||
	                memcmp(p, "070707", 6) == 0)) ||
	    bin_cpio(p, n))
		return SF_CPIO;
	if (n >= 8 && memcmp(p, "!<arch>\n", 8) == 0)
		return SF_AR;
	return SF_NONE;
}

/* A zip whose end record is near the end of the data and whose central
 * directory it points back to: a self-extracting zip (data after a stub)
 * or a zip with something prepended. When the directory starts before
 * the bytes given (only a tail was read), the end record alone decides. */
static int zip_tail(const unsigned char *p, size_t n, int whole)
{
	size_t lo = n > ZIP_TAIL ? n - ZIP_TAIL : 0, e;

	if (n < 22)
		return 0;
	for (e = n - 22 + 1; e-- > lo;) {
		uint32_t cd_size;

		if (p[e] != 'P' || memcmp(p + e, "PK\005\006", 4) != 0)
			continue;
		if (e + 22 + le16(p + e + 20) > n || le16(p + e + 10) == 0)
			continue;
		cd_size = le32(p + e + 12);
		if (cd_size == 0xffffffffu)
			continue; /* zip64: not looked for behind a stub */
		if (cd_size > e)
			return !whole;
		if (memcmp(p + e - cd_size, "PK\001\002", 4) == 0)
			return 1;
	}
	return 0;
}

int cs__archive_zip_tail(const unsigned char *tail, size_t n)
{
	return zip_tail(tail, n, 0);
}

/* An archive held in memory that one of our formats reads. */
static int container_magic(const unsigned char *p, size_t n)
{
	if (n >= 4 && (memcmp(p, "PK\003\004", 4) == 0 || memcmp(p, "PK\005\006", 4) == 0 ||
	               memcmp(p, "PK\007\010", 4) == 0))
		return 1;
	if (n >= 6 && memcmp(p, "7z\xbc\xaf\x27\x1c", 6) == 0)
		return 1;
	if (n >= 8 && memcmp(p, "MSCF\0\0\0\0", 8) == 0)
		return 1;
	if (n >= 7 && memcmp(p, "Rar!\x1a\x07", 6) == 0)
		return 1;
	if (n >= 4 && memcmp(p, "xar!", 4) == 0)
		return 1;
	if (n >= 8 && memcmp(p, "WARC/", 5) == 0 && p[5] >= '0' && p[5] <= '9')
		return 1; /* web archive: records holding files */
	if (n >= 22 && p[2] == '-' && p[3] == 'l' && (p[4] == 'h' || p[4] == 'z') && p[6] == '-')
		return 1; /* lha */
	if (n >= 0x8006 && memcmp(p + 0x8001, "CD001", 5) == 0)
		return 1;
	if (stream_format(p, n) != SF_NONE)
		return 1;
	return zip_tail(p, n, 1);
}

int cs__archive_sniff(const unsigned char *p, size_t n)
{
	return compressed_magic(p, n) || container_magic(p, n);
}

/* ---- names ---- */

static const char *strip_name(const char *name)
{
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	while (name[0] == '/')
		name++;
	return name;
}

/* "outer!/name", dropping a leading "./" or "/" of the member name. */
static char *member_path(const char *outer, const char *name)
{
	size_t a, b;
	char *p;

	name = strip_name(name);
	a = strlen(outer);
	b = strlen(name);
	p = cs__malloc(a + b + 3);
	if (!p)
		return NULL;
	memcpy(p, outer, a);
	memcpy(p + a, "!/", 2);
	memcpy(p + a + 2, name, b + 1);
	return p;
}

/* The name of a single compressed stream: the outer base name without
 * its last extension ("x.log.gz" -> "x.log"). */
static char *raw_name(const char *base)
{
	const char *dot = strrchr(base, '.');
	size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);

	return cs__strndup(base, n);
}

/* ---- the caps ---- */

enum member_end { M_OK, M_BOMB, M_ERROR, M_STOP, M_NOMEM };

/* State of one opened archive (or stream) of a file on disk. */
struct arc {
	struct cs_worker *w;
	struct cs_object *obj;
	uint64_t top_size;
	/* The decompressor of a compressed stream (libarchive's, or ours
	 * for lzop), or NULL. */
	struct archive *d;
	struct cs__lzop *lz;
	/* A compress (.Z) stream: where it ends, and whether whole. */
	const struct cs__zcheck *z;
	unsigned char *peek;
	size_t peek_len, peek_pos;
	int d_eof;
	enum member_end d_state;
	char d_err[200];
	/* Hard-link targets: "name\0md5\0sha1\0sha256\0sha512\0yara\0"
	 * records in `arena`, found through a small hash table. */
	struct cs_buf arena;
	struct link_ent {
		uint64_t h, size;
		size_t off;
		int yara_ran, next;
	} * links;
	size_t nlinks, links_cap;
	int heads[256];
	int links_full;
	struct cs_buf hits; /* the YARA rules of the member just scanned */
};

/* Whether `e` expanded bytes break the file's byte or ratio cap. */
static int over_caps(const struct arc *x, uint64_t e)
{
	const struct cs_scan_opts *o = &x->w->s->o;

	return e > o->archive_max_bytes ||
	       (e > BOMB_FLOOR && e / (x->top_size ? x->top_size : 1) > o->archive_max_ratio);
}

/* Count n expanded bytes against the file's byte and ratio caps. */
static enum member_end spend(struct arc *x, size_t n)
{
	*x->obj->expanded += n;
	return over_caps(x, *x->obj->expanded) ? M_BOMB : M_OK;
}

/* How many more bytes may be expanded before a cap breaks: a decoder
 * that must allocate a whole block first asks this before it does. */
static uint64_t room(const struct arc *x)
{
	const struct cs_scan_opts *o = &x->w->s->o;
	uint64_t e = *x->obj->expanded, top = x->top_size ? x->top_size : 1, lim;

	/* e / top > ratio exactly when e >= (ratio + 1) * top */
	if (o->archive_max_ratio >= UINT64_MAX / top - 1)
		lim = UINT64_MAX;
	else
		lim = (o->archive_max_ratio + 1) * top - 1;
	if (lim < BOMB_FLOOR)
		lim = BOMB_FLOOR;
	if (lim > o->archive_max_bytes)
		lim = o->archive_max_bytes;
	return lim > e ? lim - e : 0;
}

/* The next block of our own lzop reader (see d_block). */
static int lz_block(struct arc *x, const void **p, size_t *n)
{
	const unsigned char *q;
	int r = cs__lzop_next(x->lz, room(x), &q, n);

	if (r == 1) {
		*p = q;
		return 1;
	}
	if (r == 0) {
		x->d_eof = 1;
		return 0;
	}
	cs__copy_n(x->d_err, sizeof(x->d_err), x->lz->err, strlen(x->lz->err));
	x->d_state = r == CS_ERR_TOOBIG ? M_BOMB : r == CS_ERR_NOMEM ? M_NOMEM : M_ERROR;
	return -1;
}

/* Reading a decompressed stream (its bytes counted as they come out)
 * rather than an archive held in memory. */
static int streaming(const struct arc *x)
{
	return x->d || x->lz;
}

static void copy_err(struct arc *x, struct archive *a)
{
	const char *s = archive_error_string(a);

	cs__copy_n(x->d_err, sizeof(x->d_err), s ? s : "error", s ? strlen(s) : 5);
}

/* The next block of decompressed bytes: 1, 0 at the end, -1 on failure
 * (x->d_state says which). Each block is counted before it is handed on. */
static int d_block(struct arc *x, const void **p, size_t *n)
{
	la_int64_t off;
	int r;

	if (x->peek_pos < x->peek_len) {
		*p = x->peek + x->peek_pos;
		*n = x->peek_len - x->peek_pos;
		x->peek_pos = x->peek_len;
		return 1;
	}
	if (x->d_state != M_OK)
		return -1;
	for (;;) {
		if (x->d_eof)
			return 0;
		if (cs__scan_stopping(x->w->s)) {
			x->d_state = M_STOP;
			return -1;
		}
		if (x->lz) {
			r = lz_block(x, p, n);
			if (r <= 0)
				return r;
			if (*n == 0)
				continue;
			x->d_state = spend(x, *n);
			return x->d_state == M_OK ? 1 : -1;
		}
		r = archive_read_data_block(x->d, p, n, &off);
		if (r == ARCHIVE_EOF) {
			x->d_eof = 1;
			return 0;
		}
		if (r < ARCHIVE_WARN) {
			copy_err(x, x->d);
			if (x->z && x->z->status == CS__Z_INVALID)
				snprintf(x->d_err, sizeof(x->d_err),
				         "an invalid compress code at byte %zu", x->z->at);
			x->d_state = M_ERROR;
			return -1;
		}
		if (*n == 0)
			continue;
		x->d_state = spend(x, *n);
		return x->d_state == M_OK ? 1 : -1;
	}
}

/* Read the first decompressed bytes into x->peek, to see what they are. */
static int d_peek(struct arc *x)
{
	while (x->peek_len < PEEK_MIN) {
		const void *p;
		size_t n;
		unsigned char *q;
		int r = d_block(x, &p, &n);

		if (r <= 0)
			break;
		q = cs__realloc(x->peek, x->peek_len + n);
		if (!q)
			return CS_ERR_NOMEM;
		x->peek = q;
		memcpy(x->peek + x->peek_len, p, n);
		x->peek_len += n;
		x->peek_pos = x->peek_len; /* consumed until handed out */
	}
	x->peek_pos = 0;
	return CS_OK;
}

/* libarchive's read callback over the decompressor. */
static la_ssize_t d_read_cb(struct archive *a, void *ud, const void **buf)
{
	struct arc *x = ud;
	size_t n;
	int r = d_block(x, buf, &n);

	if (r < 0) {
		archive_set_error(a, -1, "%s",
		                  x->d_state == M_ERROR ? x->d_err : "stopped by a cap");
		return -1;
	}
	return r ? (la_ssize_t)n : 0;
}

/* ---- reading a member ---- */

struct member_buf {
	unsigned char *p;
	size_t len, cap;
	unsigned char head[HEAD_MAX];
	size_t head_len;
	int over; /* not kept: past the memory the worker may hold */
};

/* Append to a member's buffer, never growing it past `max` bytes. */
static int mb_add(struct member_buf *b, const void *p, size_t n, size_t max)
{
	if (b->len + n + 1 > b->cap) {
		size_t c = b->cap ? b->cap : 65536;
		unsigned char *q;

		while (c < b->len + n + 1)
			c *= 2;
		if (c > max + 1)
			c = max + 1;
		q = realloc(b->p, c);
		if (!q)
			return CS_ERR_NOMEM;
		b->p = q;
		b->cap = c;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return CS_OK;
}

/* One block of the current entry's data (see d_block for the values). In
 * an archive held in memory the block is counted here; in a stream, the
 * decompressor counted it. */
static int entry_block(struct arc *x, struct archive *a, const void **p, size_t *n)
{
	la_int64_t off;
	int r, empty = 0;
	enum member_end e;

	for (;;) {
		if (cs__scan_stopping(x->w->s))
			return -M_STOP;
		r = archive_read_data_block(a, p, n, &off);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			return -(int)(streaming(x) && x->d_state != M_OK ? x->d_state : M_ERROR);
		if (*n == 0 && ++empty < 4096)
			continue;
		if (*n == 0)
			return -M_ERROR; /* a reader that makes no progress */
		if (!streaming(x) && (e = spend(x, *n)) != M_OK)
			return -(int)e;
		return 1;
	}
}

static int src_block(struct arc *x, struct archive *a, const void **p, size_t *n)
{
	int r;

	if (a)
		return entry_block(x, a, p, n);
	r = d_block(x, p, n);
	return r < 0 ? -(int)x->d_state : r;
}

/*
 * Expand one member (from entry `a`, or, with a NULL, the whole
 * decompressed stream): hash everything, and keep it in memory while the
 * worker holds no more than the YARA cap in all. The first bytes are
 * kept either way, to tell whether a member left unheld was an archive.
 */
static enum member_end read_member(struct arc *x, struct archive *a, struct cs_object *m,
                                   struct member_buf *b)
{
	struct cs_worker *w = x->w;
	size_t limit = (size_t)w->s->o.yara_max_size;
	enum member_end end = M_OK;
	const void *blk;
	size_t n;
	int r;

	if (cs__hash_begin(w))
		return M_NOMEM;
	for (;;) {
		r = src_block(x, a, &blk, &n);
		if (r == 0)
			break;
		if (r < 0) {
			end = (enum member_end) - r;
			break;
		}
		if (b->head_len < HEAD_MAX) {
			size_t k = HEAD_MAX - b->head_len < n ? HEAD_MAX - b->head_len : n;

			memcpy(b->head + b->head_len, blk, k);
			b->head_len += k;
		}
		m->size += n;
		cs__hash_update(w, blk, n);
		if (b->over)
			continue;
		if (w->held <= limit && b->len + n <= limit - w->held) {
			if (mb_add(b, blk, n, limit - w->held))
				return M_NOMEM;
		} else {
			b->over = 1;
			free(b->p);
			b->p = NULL;
			b->len = b->cap = 0;
		}
	}
	cs__hash_end(w, m);
	if (!b->over) {
		m->data = b->p ? b->p : (const unsigned char *)"";
		m->len = b->len;
	}
	return end;
}

/* Scan a member that was read, holding its bytes against the worker's
 * memory while it (and what it holds) is scanned. */
static int scan_member(struct arc *x, struct cs_object *m, const struct member_buf *b)
{
	struct cs_worker *w = x->w;
	int rc;

	if (b->over && (w->s->m->rules || cs__archive_sniff(b->head, b->head_len)))
		cs__scan_problem(
		        w, m->path, w->s->m->rules ? CS_COV_NREASONS : CS_COV_YARA_TOO_LARGE,
		        "yara-too-large",
		        "%llu bytes: past the %llu bytes a thread may hold (with the "
		        "archives around it); hashed and named only",
		        (unsigned long long)m->size, (unsigned long long)w->s->o.yara_max_size);
	w->count[CS_COV_MEMBERS]++;
	cs__buf_reset(&x->hits);
	m->yara_keep = &x->hits;
	w->held += m->len;
	rc = cs__scan_object(w, m);
	w->held -= m->len;
	return rc;
}

/* ---- hard links ---- */

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

/* Remember a scanned member as a possible hard-link target. */
static int link_add(struct arc *x, const char *name, const struct cs_object *m)
{
	struct link_ent *le;
	size_t off = x->arena.len, i;
	int ok;

	if (x->links_full)
		return CS_OK;
	if (x->nlinks == x->links_cap) {
		size_t c = x->links_cap ? x->links_cap * 2 : 64;
		struct link_ent *q = cs__realloc(x->links, c * sizeof(*q));

		if (!q)
			return CS_ERR_NOMEM;
		x->links = q;
		x->links_cap = c;
	}
	ok = cs__buf_add(&x->arena, name, strlen(name) + 1) == CS_OK;
	for (i = 0; i < 4 && ok; i++)
		ok = cs__buf_add(&x->arena, m->hex[i], strlen(m->hex[i]) + 1) == CS_OK;
	if (ok)
		ok = cs__buf_add(&x->arena, cs__buf_cstr(&x->hits), x->hits.len + 1) == CS_OK;
	if (!ok) {
		x->links_full = 1;
		return CS_OK;
	}
	le = &x->links[x->nlinks];
	le->h = name_hash(name);
	le->size = m->size;
	le->off = off;
	le->yara_ran = m->yara_ran || m->yara_prev_valid;
	le->next = x->heads[le->h & 255] - 1;
	x->heads[le->h & 255] = (int)++x->nlinks;
	return CS_OK;
}

static const struct link_ent *link_find(const struct arc *x, const char *name)
{
	uint64_t h = name_hash(name);
	int i;

	for (i = x->heads[h & 255] - 1; i >= 0; i = x->links[i].next)
		if (x->links[i].h == h && strcmp(x->arena.data + x->links[i].off, name) == 0)
			return &x->links[i];
	return NULL;
}

/*
 * A hard-link member with no data of its own: scanned as the member it
 * links to, whose hashes and YARA rules were recorded when it was read
 * (names are matched against the link's own path). A link to a member
 * not read before it is reported, never passed over.
 */
static int scan_link(struct arc *x, struct cs_object *m, const char *target)
{
	struct cs_worker *w = x->w;
	const struct link_ent *le = link_find(x, target);
	const char *s;
	int i;

	if (!le) {
		cs__scan_problem(w, m->path,
		                 x->links_full ? CS_COV_ARCHIVE_MEMBERS : CS_COV_ARCHIVE_CORRUPT,
		                 "archive-link", "hard link to %s, %s: not scanned", target,
		                 x->links_full ? "past the members remembered"
		                               : "which the archive does not hold before it");
		return CS_OK;
	}
	s = x->arena.data + le->off;
	s += strlen(s) + 1;
	for (i = 0; i < 4; i++) {
		cs__copy_n(m->hex[i], sizeof(m->hex[i]), s, strlen(s));
		s += strlen(s) + 1;
	}
	m->size = le->size;
	if (le->yara_ran) {
		m->yara_prev = s;
		m->yara_prev_valid = 1;
	} else if (w->s->m->rules) {
		cs__scan_problem(w, m->path, CS_COV_NREASONS, "yara-too-large",
		                 "hard link to %s, whose content was not YARA-scanned", target);
	}
	w->count[CS_COV_MEMBERS]++;
	cs__buf_reset(&x->hits);
	cs__buf_adds(&x->hits, s);
	m->yara_keep = NULL;
	return cs__scan_object(w, m);
}

/*
 * cpio keeps a hard-linked file's data with its last name; the earlier
 * names came first, empty. Once the data is read, each earlier name that
 * was recorded empty is scanned again as this member.
 */
static int scan_back_link(struct arc *x, const struct cs_object *obj, const struct cs_object *m,
                          const char *earlier, const char *name)
{
	const struct link_ent *le = link_find(x, earlier);
	struct cs_object o;
	char *path;
	int rc;

	if (!le || le->size != 0)
		return CS_OK;
	path = member_path(obj->path, earlier);
	if (!path)
		return CS_ERR_NOMEM;
	memset(&o, 0, sizeof(o));
	o.path = path;
	o.base = strrchr(path, '/') + 1;
	o.depth = m->depth;
	o.mtime = m->mtime;
	o.expanded = m->expanded;
	o.top_size = m->top_size;
	rc = scan_link(x, &o, name);
	free(path);
	return rc;
}

/* ---- walking members ---- */

static void report_end(struct arc *x, struct archive *a, enum member_end end, const char *path,
                       const char *label, uint64_t done, const char *what, const char *member)
{
	struct cs_worker *w = x->w;
	const struct cs_scan_opts *o = &w->s->o;
	const char *err = streaming(x) && x->d_state == M_ERROR ? x->d_err
	                  : a                           ? archive_error_string(a)
	                                                : NULL;

	if (end == M_BOMB)
		cs__scan_problem(w, x->obj->path, CS_COV_ARCHIVE_BOMB, "archive-bomb",
		                 "expands past its cap (%llu bytes out of %llu; caps %llu bytes, "
		                 "ratio %llu): left at %s",
		                 (unsigned long long)*x->obj->expanded,
		                 (unsigned long long)x->top_size,
		                 (unsigned long long)o->archive_max_bytes,
		                 (unsigned long long)o->archive_max_ratio, member ? member : "?");
	else if (end == M_STOP && !w->s->cb_rc)
		cs__scan_problem(w, path, cs__scan_stop_reason(w->s),
		                 cs_scan_reason_name(cs__scan_stop_reason(w->s)),
		                 "stopped inside the archive: %s", cs__scan_stop_words(w->s));
	else if (end == M_ERROR)
		cs__scan_problem(w, path, CS_COV_ARCHIVE_CORRUPT, "archive-corrupt",
		                 "%s unreadable after %llu %s: %s", label, (unsigned long long)done,
		                 what, err ? err : "error");
}

/* Every member of an opened archive `a`. */
static int walk_members(struct arc *x, struct archive *a)
{
	struct cs_worker *w = x->w;
	struct cs_object *obj = x->obj;
	struct cs_scan *s = w->s;
	struct archive_entry *e;
	uint64_t members = 0;
	int r, rc = CS_OK;

	for (;;) {
		struct cs_object m;
		struct member_buf b;
		enum member_end end;
		const char *name, *link, *back;
		char *path;
		int reg;

		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			end = streaming(x) && x->d_state != M_OK ? x->d_state : M_ERROR;
			report_end(x, a, end, obj->path, "archive", members, "members", NULL);
			break;
		}
		/* Every entry counts: folders too cost time to walk. */
		if (++members > s->o.archive_max_members) {
			cs__scan_problem(w, obj->path, CS_COV_ARCHIVE_MEMBERS, "archive-too-many",
			                 "more than %llu members; the rest is not scanned",
			                 (unsigned long long)s->o.archive_max_members);
			break;
		}
		link = archive_entry_hardlink(e);
		/* No type at all (GNU ar's deterministic mode "644"): a file. */
		reg = archive_entry_filetype(e) == AE_IFREG || archive_entry_filetype(e) == 0;
		back = NULL;
		if (link && archive_entry_size(e) > 0) {
			/* A link with the data (pax; cpio's last name): a member,
			 * whose content the earlier, empty names share. */
			back = link;
			link = NULL;
		}
		if (!reg && !link) {
			const void *p;
			size_t n;
			int k;

			/* Whatever it holds is expanded through the caps. */
			while ((k = entry_block(x, a, &p, &n)) > 0)
				;
			if (k < 0 && -k != M_ERROR) {
				report_end(x, a, (enum member_end) - k, obj->path, "archive",
				           members, "members", archive_entry_pathname(e));
				break;
			}
			continue;
		}
		name = archive_entry_pathname(e);
		path = member_path(obj->path, name ? name : "?");
		if (!path) {
			rc = CS_ERR_NOMEM;
			break;
		}
		memset(&m, 0, sizeof(m));
		m.path = path;
		m.base = strrchr(path, '/') + 1;
		m.depth = obj->depth + 1;
		m.mtime = archive_entry_mtime_is_set(e) ? (int64_t)archive_entry_mtime(e) : 0;
		m.expanded = obj->expanded;
		m.top_size = x->top_size;
		if (link) {
			int known = link_find(x, strip_name(link)) != NULL;

			rc = scan_link(x, &m, strip_name(link));
			if (!rc && known)
				rc = link_add(x, strip_name(name ? name : "?"), &m);
			free(path);
			if (rc)
				break;
			continue;
		}
		if (archive_entry_is_encrypted(e)) {
			cs__scan_problem(w, path, CS_COV_ARCHIVE_ENCRYPTED, "archive-encrypted",
			                 "encrypted member: not scanned");
			free(path);
			continue;
		}
		memset(&b, 0, sizeof(b));
		end = read_member(x, a, &m, &b);
		if (end == M_OK) {
			rc = scan_member(x, &m, &b);
			if (!rc)
				rc = link_add(x, strip_name(name ? name : "?"), &m);
			if (!rc && back)
				rc = scan_back_link(x, obj, &m, strip_name(back),
				                    strip_name(name ? name : "?"));
		} else if (end == M_ERROR && (archive_entry_is_encrypted(e) ||
		                              archive_read_has_encrypted_entries(a) > 0)) {
			cs__scan_problem(w, path, CS_COV_ARCHIVE_ENCRYPTED, "archive-encrypted",
			                 "encrypted member: not scanned");
		} else if (end == M_ERROR) {
			report_end(x, a, end, path, "member", m.size, "bytes", m.base);
		} else if (end == M_NOMEM) {
			rc = CS_ERR_NOMEM;
		} else {
			report_end(x, a, end, path, "member", m.size, "bytes", m.base);
		}
		free(b.p);
		free(path);
		if (rc || end == M_BOMB || end == M_STOP || end == M_NOMEM)
			break;
		if (end == M_ERROR && !archive_entry_is_encrypted(e))
			break; /* the stream is lost after a bad member */
	}
	return rc;
}

/* The formats read from memory: the README's list, nothing that reads
 * arbitrary text as an archive. */
static void memory_formats(struct archive *a)
{
	archive_read_support_format_7zip(a);
	archive_read_support_format_ar(a);
	archive_read_support_format_cab(a);
	archive_read_support_format_cpio(a);
	archive_read_support_format_iso9660(a);
	archive_read_support_format_lha(a);
	archive_read_support_format_rar(a);
	archive_read_support_format_rar5(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_warc(a);
	archive_read_support_format_xar(a);
	archive_read_support_format_zip(a); /* streaming and seekable (stubs) */
}

static int open_memory(struct arc *x)
{
	struct cs_object *obj = x->obj;
	struct archive *a = archive_read_new();
	int rc;

	if (!a)
		return CS_ERR_NOMEM;
	memory_formats(a);
	if (archive_read_open_memory(a, obj->data, obj->len) != ARCHIVE_OK) {
		/* The file itself was scanned; what it may hold was not. */
		cs__scan_problem(x->w, obj->path, CS_COV_ARCHIVE_CORRUPT, "archive-corrupt",
		                 "cannot open as an archive: %s",
		                 archive_error_string(a) ? archive_error_string(a)
		                                         : "unknown format");
		archive_read_free(a);
		return CS_OK;
	}
	rc = walk_members(x, a);
	archive_read_free(a);
	return rc;
}

/* A member of the file at `path` (borrowed), one level deeper, sharing
 * the file's expansion budget. */
static void member_init(const struct arc *x, const char *path, struct cs_object *m,
                        struct member_buf *b)
{
	memset(m, 0, sizeof(*m));
	memset(b, 0, sizeof(*b));
	m->path = path;
	m->base = strrchr(path, '/') + 1;
	m->depth = x->obj->depth + 1;
	m->mtime = x->obj->mtime;
	m->expanded = x->obj->expanded;
	m->top_size = x->top_size;
}

/* The decompressed content as one member, named after the file. */
static int scan_single(struct arc *x)
{
	struct cs_object *obj = x->obj;
	struct cs_object m;
	struct member_buf b;
	enum member_end end;
	char *name = raw_name(obj->base), *path = name ? member_path(obj->path, name) : NULL;
	int rc = CS_OK;

	free(name);
	if (!path)
		return CS_ERR_NOMEM;
	member_init(x, path, &m, &b);
	end = read_member(x, NULL, &m, &b);
	if (end == M_ERROR) {
		/* What came out before the damage is still scanned. */
		report_end(x, NULL, end, obj->path, "compressed stream", m.size, "bytes", NULL);
		m.partial = 1;
		end = M_OK;
	}
	if (end == M_OK)
		rc = scan_member(x, &m, &b);
	else if (end == M_NOMEM)
		rc = CS_ERR_NOMEM;
	else
		report_end(x, NULL, end, obj->path, "compressed stream", m.size, "bytes", m.base);
	free(b.p);
	free(path);
	return rc;
}

/*
 * Bytes after the end of a compressed stream: a gzip with something
 * appended, a second lzma stream after the first. The decompressors stop
 * at their stream's end and say nothing of the rest, which would let
 * anything hide behind a valid stream; so what follows is scanned as an
 * object of its own ("file.gz//trailing-bytes@31"), archives and further
 * streams in it included, and noted. Called once the stream ended
 * cleanly; the decompressor's input position says where it stopped.
 */
static int scan_trailing(struct arc *x)
{
	struct cs_object *obj = x->obj;
	struct cs_object m;
	struct member_buf b;
	int nf, rc;
	la_int64_t used;
	char name[64], *path;

	if (x->lz) {
		used = (la_int64_t)x->lz->end;
	} else if (x->z) {
		used = (la_int64_t)x->z->end;
	} else {
		nf = archive_filter_count(x->d);
		if (nf < 2)
			return CS_OK;
		used = archive_filter_bytes(x->d, nf - 1);
		/* The lz4 reader takes the four bytes of the next frame's magic
		 * before it knows there is none. */
		if (used >= 4 && strcmp(archive_filter_name(x->d, 0), "lz4") == 0 &&
		    (size_t)used < obj->len && (size_t)used >= 4 &&
		    memcmp(obj->data + used - 4, "\x04\x22\x4d\x18", 4) != 0)
			used -= 4;
	}
	if (used <= 0 || (uint64_t)used >= obj->len)
		return CS_OK;
	snprintf(name, sizeof(name), "trailing-bytes@%lld", (long long)used);
	path = member_path(obj->path, name);
	if (!path)
		return CS_ERR_NOMEM;
	cs__scan_problem(x->w, obj->path, CS_COV_NREASONS, "trailing-bytes",
	                 "%llu bytes after the end of the compressed stream (at byte %lld): "
	                 "scanned as %s",
	                 (unsigned long long)(obj->len - (uint64_t)used), (long long)used, name);
	member_init(x, path, &m, &b);
	m.data = obj->data + used;
	m.len = obj->len - (size_t)used;
	m.size = m.len;
	if (cs__hash_begin(x->w)) {
		free(path);
		return CS_ERR_NOMEM;
	}
	cs__hash_update(x->w, m.data, m.len);
	cs__hash_end(x->w, &m);
	b.head_len = m.len < HEAD_MAX ? m.len : HEAD_MAX;
	memcpy(b.head, m.data, b.head_len);
	/* The bytes are the file's own, already held: not counted again. */
	x->w->held -= m.len;
	rc = scan_member(x, &m, &b);
	x->w->held += m.len;
	free(path);
	return rc;
}

/* What is left of the decompressed stream after the archive in it ended
 * (its padding), read to the stream's end so that the bytes after the
 * stream can be found; counted against the caps like the rest. */
static void drain(struct arc *x)
{
	const void *p;
	size_t n;

	while (d_block(x, &p, &n) > 0)
		;
}

/*
 * The dictionary an LZMA decoder must hold for this stream, as its header
 * declares (0 when not an xz or lzma stream, or not said where we look).
 * The decoder allocates it whole before the first byte comes out, whatever
 * the stream's size: a 100-byte .lzma can ask for 4 GiB. An xz stream's
 * first block header names its LZMA2 filter with a one-byte dictionary
 * size; an lzma-alone stream has it as a 32-bit number after the props.
 */
static uint64_t lzma_dict(const unsigned char *p, size_t n)
{
	size_t i, hdr, end;
	unsigned flags, nf, k;

	if (n >= 13 && p[0] == 0x5d && p[1] == 0 && p[2] == 0)
		return le32(p + 1);
	if (n < 12 + 8 || memcmp(p, "\xfd" "7zXZ\0", 6) != 0)
		return 0;
	hdr = (size_t)p[12] * 4 + 4; /* the block header's size */
	if (p[12] == 0 || 12 + hdr > n)
		return 0;
	end = 12 + hdr - 4;
	flags = p[13];
	nf = (flags & 3) + 1;
	i = 14;
	/* Optional compressed and uncompressed sizes: variable-length. */
	for (k = 0; k < 2; k++) {
		if (!(flags & (0x40u << k)))
			continue;
		while (i < end && (p[i] & 0x80))
			i++;
		i++;
	}
	for (k = 0; k < nf && i + 2 < end; k++) {
		unsigned id = p[i], psize = p[i + 1];

		if (id & 0x80)
			return 0; /* a multi-byte filter id: not one we read here */
		if (id == 0x21 && psize == 1) {
			unsigned d = p[i + 2] & 0x3f;

			if (d > 40)
				return UINT64_MAX;
			return d == 40 ? 0xffffffffull
			               : (uint64_t)(2 | (d & 1)) << (d / 2 + 11);
		}
		i += 2 + psize;
	}
	return 0;
}

/*
 * What the decoder cannot say of a compress stream: that it ends inside
 * a code (cut short: libarchive's reader stops there quietly), or that
 * there were too many places that look like a further stream to try them
 * all. An invalid code the decoder reported itself (with its byte).
 */
static void z_report(struct arc *x)
{
	const struct cs__zcheck *z = x->z;
	const char *path = x->obj->path;

	if (z->status == CS__Z_CUT && x->d_state == M_OK)
		cs__scan_problem(x->w, path, CS_COV_ARCHIVE_CORRUPT, "archive-corrupt",
		                 "the compress stream ends inside a code (%u bits after the last "
		                 "whole one, at byte %zu): cut short; what came before it was scanned",
		                 z->unused, z->at);
	else if (z->status == CS__Z_INVALID && x->d_state == M_OK)
		cs__scan_problem(x->w, path, CS_COV_ARCHIVE_CORRUPT, "archive-corrupt",
		                 "an invalid compress code at byte %zu; what came before it was "
		                 "scanned",
		                 z->at);
	if (z->gave_up)
		cs__scan_problem(x->w, path, CS_COV_ARCHIVE_CORRUPT, "archive-corrupt",
		                 "more than %u places look like the start of a further compress "
		                 "stream: the rest were not tried",
		                 (unsigned)CS__Z_TRIES);
}

/* A compressed stream: decompress, then read a tar, cpio or ar as it
 * streams out, or scan the content as one member. */
static int open_stream(struct arc *x)
{
	struct cs_object *obj = x->obj;
	struct archive_entry *e;
	struct archive *a = NULL;
	struct cs__lzop lz;
	struct cs__zcheck z;
	size_t len = obj->len;
	enum stream_fmt f;
	int rc = CS_OK, r = ARCHIVE_FATAL;

	if (cs__lzop_is(obj->data, obj->len)) {
		/* libarchive would run the lzop program: never, on a host that
		 * may be compromised. */
		cs__lzop_init(&lz, obj->data, obj->len);
		x->lz = &lz;
		goto opened;
	}
	x->d = archive_read_new();
	if (!x->d)
		return CS_ERR_NOMEM;
	archive_read_support_filter_gzip(x->d);
	archive_read_support_filter_bzip2(x->d);
	archive_read_support_filter_xz(x->d);
	archive_read_support_filter_lzma(x->d);
	archive_read_support_filter_zstd(x->d);
	archive_read_support_filter_lz4(x->d);
	archive_read_support_filter_lzip(x->d);
	archive_read_support_filter_compress(x->d);
	archive_read_support_filter_rpm(x->d);
	archive_read_support_filter_uu(x->d);
	archive_read_support_format_raw(x->d);
	archive_read_support_format_empty(x->d); /* raw wants at least a byte */
	if (obj->len >= 2 && obj->data[0] == 0x1f && obj->data[1] == 0x9d) {
		/* compress: the first stream alone (a second is trailing bytes) */
		cs__zcheck(obj->data, obj->len, &z);
		x->z = &z;
		len = z.end;
	}
	if (archive_read_open_memory(x->d, obj->data, len) == ARCHIVE_OK)
		r = archive_read_next_header(x->d, &e);
	if (r == ARCHIVE_EOF)
		x->d_eof = 1; /* nothing in it: one empty member */
	else if (r != ARCHIVE_OK) {
		copy_err(x, x->d);
		if (x->z && x->z->status == CS__Z_INVALID)
			snprintf(x->d_err, sizeof(x->d_err), "an invalid compress code at byte %zu",
			         x->z->at);
		cs__scan_problem(x->w, obj->path, CS_COV_ARCHIVE_CORRUPT, "archive-corrupt",
		                 "cannot decompress: %s", x->d_err);
		x->d_state = M_ERROR; /* reported */
		goto out;
	}
opened:
	rc = d_peek(x);
	if (rc)
		goto out;
	f = x->d_state == M_OK ? stream_format(x->peek, x->peek_len) : SF_NONE;
	if (f == SF_NONE) {
		rc = scan_single(x);
		if (!rc && x->d_eof && x->d_state == M_OK)
			rc = scan_trailing(x);
		goto out;
	}
	a = archive_read_new();
	if (!a) {
		rc = CS_ERR_NOMEM;
		goto out;
	}
	if (f == SF_TAR)
		archive_read_support_format_tar(a);
	else if (f == SF_CPIO)
		archive_read_support_format_cpio(a);
	else
		archive_read_support_format_ar(a);
	if (archive_read_open(a, x, NULL, d_read_cb, NULL) != ARCHIVE_OK) {
		report_end(x, a, x->d_state != M_OK ? x->d_state : M_ERROR, obj->path, "archive", 0,
		           "members", NULL);
		goto out;
	}
	rc = walk_members(x, a);
	if (!rc && x->d_state == M_OK) {
		drain(x);
		if (x->d_eof && x->d_state == M_OK)
			rc = scan_trailing(x);
	}
out:
	if (!rc && x->z)
		z_report(x);
	x->z = NULL;
	if (a)
		archive_read_free(a);
	if (x->lz)
		cs__lzop_release(x->lz);
	x->lz = NULL;
	archive_read_free(x->d);
	x->d = NULL;
	return rc;
}

/*
 * A 7z archive (at the start, or behind an executable stub where
 * libarchive looks for one) whose coders would make libarchive allocate
 * more than DICT_MAX, read from its headers first (sevenz_check.c):
 * reported as a bomb. Headers our reader cannot read are reported as
 * libarchive's corrupt archives are, when the 7z is the file itself;
 * behind a stub libarchive may pick another format, so only a bomb
 * stops it. Encrypted headers say nothing, and libarchive cannot read
 * them either: it goes on and reports them. Returns 1 when the archive
 * must not be opened.
 */
static int sevenz_refused(struct cs_worker *w, const struct cs_object *obj)
{
	struct cs__7z_check r;

	if (!cs__7z_check(obj->data, obj->len, DICT_MAX, &r))
		return 0;
	if (r.status == CS__7Z_BOMB) {
		cs__scan_problem(w, obj->path, CS_COV_ARCHIVE_BOMB, "archive-bomb",
		                 "a 7z %s coder (%s) asking for %llu MiB of %s (cap %llu MiB): not "
		                 "opened; the raw bytes were scanned",
		                 r.in_header ? "header's" : "folder's", r.coder,
		                 (unsigned long long)(r.demand >> 20),
		                 strcmp(r.coder, "PPMd") == 0 ? "model memory" : "dictionary",
		                 (unsigned long long)(DICT_MAX >> 20));
		return 1;
	}
	if (r.status == CS__7Z_BAD && r.start == 0) {
		cs__scan_problem(w, obj->path, CS_COV_ARCHIVE_CORRUPT, "archive-corrupt",
		                 "cannot open as an archive: 7z: %s", r.why);
		return 1;
	}
	return 0;
}

int cs__scan_archive(struct cs_worker *w, struct cs_object *obj)
{
	struct cs_scan *s = w->s;
	struct arc x;
	uint64_t expanded = 0;
	int rc = CS_OK;

	if (obj->depth >= s->o.archive_depth) {
		cs__scan_problem(w, obj->path, CS_COV_ARCHIVE_DEPTH, "archive-too-deep",
		                 "archive nested %u levels deep: not opened (cap %u)", obj->depth,
		                 s->o.archive_depth);
		return CS_OK;
	}
	if (cs__dl_load(&cs__dl_archive) != CS_OK) {
		cs__scan_problem(w, obj->path, CS_COV_ARCHIVE_CORRUPT, "archive-corrupt",
		                 "not opened as an archive (%s): its members were not read; the raw "
		                 "bytes were scanned",
		                 cs__dl_why(&cs__dl_archive));
		return CS_OK;
	}
	memset(&x, 0, sizeof(x));
	x.w = w;
	x.obj = obj;
	x.top_size = obj->depth ? obj->top_size : obj->size;
	cs__buf_init(&x.arena, LINKS_MAX);
	cs__buf_init(&x.hits, 0);
	/* One budget per file on disk, shared by everything nested in it;
	 * the ratio is measured against that file's size. */
	if (!obj->expanded)
		obj->expanded = &expanded;
	if (lzma_dict(obj->data, obj->len) > DICT_MAX)
		cs__scan_problem(w, obj->path, CS_COV_ARCHIVE_BOMB, "archive-bomb",
		                 "an LZMA stream asking for a %llu MiB dictionary (cap %llu MiB): "
		                 "not decompressed; the raw bytes were scanned",
		                 (unsigned long long)(lzma_dict(obj->data, obj->len) >> 20),
		                 (unsigned long long)(DICT_MAX >> 20));
	else if (compressed_magic(obj->data, obj->len))
		rc = open_stream(&x);
	else if (!sevenz_refused(w, obj))
		rc = open_memory(&x);
	free(x.peek);
	free(x.links);
	cs__buf_release(&x.arena);
	cs__buf_release(&x.hits);
	if (obj->expanded == &expanded)
		obj->expanded = NULL;
	return rc;
}

/*
 * Windows event log files (.evtx), read natively (docs/log-hunt.md,
 * "Windows .evtx files"; the choice over libevtx is in docs/decisions.md).
 *
 * Layout: a 4 KiB file header ("ElfFile\0"), then 64 KiB chunks
 * ("ElfChnk\0"), each a 512-byte header followed by event records
 * ("**\0\0", size, record id, time written, Binary XML, size again). A
 * chunk is self-contained: names and template definitions are referred to
 * by their offset in the chunk, so chunks are read one at a time and
 * memory does not grow with the file.
 *
 * Binary XML is walked token by token. A template instance is walked as
 * its definition's body with the instance's substitution values at hand;
 * a value of type Binary XML is walked in turn. Nothing is built but the
 * event's fields: each System child by its name, each attribute as
 * Element_Attribute, each EventData/UserData item by its Name attribute
 * (or its element name), in document order (chainsweep/event.h).
 *
 * Hostile input: every offset is checked against the chunk (or the value)
 * it must lie in; nesting of templates and values, element depth, the
 * tokens walked per record, the fields and text of an event are capped.
 * A record that breaks a rule is reported with its byte offset and
 * skipped; a chunk whose header is damaged is skipped whole.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#ifdef CS_HAVE_ISAL
#include <isa-l/crc.h>
#endif

#include "core/core_int.h"
#include "scan/evtx_int.h"
#include "scan/logscan_int.h"

#define FILE_HDR   4096
#define CHUNK_SIZE 65536
#define CHUNK_HDR  512
/* What is read of a chunk first when the input can skip: its header and
 * the first records, all of a sparse chunk's records most of the time. */
#define CHUNK_FIRST 4096
#define REC_HDR    24
#define REC_MIN    (REC_HDR + 4)
#define REC_SIG    0x00002a2au

#define MAX_DEPTH  16                /* templates and Binary XML values inside each other */
#define MAX_ELEMS  64                /* element nesting */
#define MAX_FIELDS 8192              /* fields of one event */
#define MAX_TEXT   ((size_t)8 << 20) /* bytes of names and values of one event */
#define MAX_STEPS  1000000ul         /* tokens walked for one record */
#define MAX_SUBS   65536u            /* substitution values open at once */

#define FILETIME_UNIX_MS 11644473600000LL /* 1601-01-01 to 1970-01-01 */

/* A growable byte buffer with a hard cap. */
struct tbuf {
	char *d;
	size_t len, cap;
};

struct nref {
	uint32_t off, len; /* UTF-8, in names.d */
};

/* An open element. Its text is tx[text, tx.len); its Name attribute (a
 * Data item's field name) tx[dname, dname + dname_len). */
struct frame {
	struct nref name;
	size_t base, text, dname, dname_len;
	int has_dname, children, null, array;
	unsigned pieces, attrs;
};

/* The substitution values of one template instance. */
struct subs {
	const uint8_t *desc; /* n descriptors: size (2), type (1), unused (1) */
	size_t vals;         /* chunk offset of the first value */
	uint32_t n;
	size_t offs; /* x->offs[offs + i]: offset of value i from vals */
};

struct fieldrec {
	size_t name, name_len, val, val_len;
	int is_null, sys;
};

struct evtx {
	const char *name;
	const struct cs__evtx_io *io;
	struct cs__evtx_stats *st;
	const uint8_t *pre;
	size_t npre;
	int eof, read_failed;
	/* The chunk: clen of its CHUNK_SIZE bytes are present. */
	uint8_t *c;
	size_t clen;
	size_t first; /* bytes asked for first: what the last chunk needed */
	uint64_t coff;
	/* Names of this chunk, decoded once: name_at[offset] is 1 + their
	 * index in nm, 0 when not seen yet. */
	uint32_t *name_at;
	uint32_t *touched;
	size_t ntouched, touchcap;
	struct nref *nm;
	size_t nnm, nmcap;
	struct tbuf names;
	/* One record. */
	char err[200];
	unsigned long steps;
	struct frame fr[MAX_ELEMS];
	int nfr;
	int attr_open, attr_null;
	struct nref attr_name;
	size_t attr_start;
	unsigned ndata;
	struct tbuf tx, out;
	struct fieldrec *f;
	size_t nf, fcap;
	struct cs_event_field *ef;
	size_t efcap;
	uint32_t *offs;
	size_t noffs, offcap;
};

/* ---- little helpers ---- */

static uint16_t u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t u64(const uint8_t *p)
{
	return (uint64_t)u32(p) | (uint64_t)u32(p + 4) << 32;
}

static int tb_reserve(struct tbuf *b, size_t more)
{
	size_t need = b->len + more + 1, cap;
	char *d;

	if (need <= b->cap)
		return 0;
	if (need > MAX_TEXT)
		return -1;
	cap = b->cap ? b->cap : 4096;
	while (cap < need)
		cap *= 2;
	if (cap > MAX_TEXT + 1)
		cap = MAX_TEXT + 1;
	d = cs__realloc(b->d, cap);
	if (!d)
		return -1;
	b->d = d;
	b->cap = cap;
	return 0;
}

static int tb_add(struct tbuf *b, const void *p, size_t n)
{
	if (tb_reserve(b, n))
		return -1;
	memcpy(b->d + b->len, p, n);
	b->len += n;
	return 0;
}

static int tb_printf(struct tbuf *b, const char *fmt, ...) CS_PRINTF(2, 3);

static int tb_printf(struct tbuf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	return tb_add(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static int fail(struct evtx *x, size_t at, const char *fmt, ...) CS_PRINTF(3, 4);

/* Say why the record fails (the first reason wins); always -1. */
static int fail(struct evtx *x, size_t at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (x->err[0])
		return -1;
	n = snprintf(x->err, sizeof(x->err), "at byte %llu: ", (unsigned long long)(x->coff + at));
	if (n < 0 || (size_t)n >= sizeof(x->err))
		return -1;
	va_start(ap, fmt);
	vsnprintf(x->err + n, sizeof(x->err) - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Append one code point as UTF-8 (the caller reserved 4 bytes). */
static size_t put_cp(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Append n UTF-16LE code units as UTF-8, up to the first NUL unit (which,
 * with `stop_nul` unset, is dropped instead). A surrogate without its
 * partner becomes U+FFFD. Returns 0, or -1 when the text cap is reached.
 */
static int put_utf16(struct tbuf *b, const uint8_t *p, size_t n, int stop_nul)
{
	size_t i;
	char *o;

	if (tb_reserve(b, n * 3))
		return -1;
	o = b->d + b->len;
	for (i = 0; i < n; i++) {
		uint32_t u;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		/* Four units at a time while they are ASCII and none is NUL. */
		while (i + 4 <= n) {
			uint64_t w;

			memcpy(&w, p + 2 * i, 8);
			if ((w & 0xff80ff80ff80ff80ull) ||
			    ((w - 0x0001000100010001ull) & ~w & 0x8000800080008000ull))
				break;
			o[0] = (char)w;
			o[1] = (char)(w >> 16);
			o[2] = (char)(w >> 32);
			o[3] = (char)(w >> 48);
			o += 4;
			i += 4;
		}
		if (i >= n)
			break;
#endif
		u = u16(p + 2 * i);
		if (u < 0x80) {
			if (!u) {
				if (stop_nul)
					break;
				continue;
			}
			*o++ = (char)u;
		} else if (u >= 0xd800 && u < 0xdc00 && i + 1 < n && u16(p + 2 * i + 2) >= 0xdc00 &&
		           u16(p + 2 * i + 2) < 0xe000) {
			uint32_t lo = u16(p + 2 * i + 2);

			o += put_cp(o, 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00));
			i++;
		} else if (u >= 0xd800 && u < 0xe000) {
			o += put_cp(o, 0xfffd);
		} else {
			o += put_cp(o, u);
		}
	}
	b->len = (size_t)(o - b->d);
	return 0;
}

/* CRC-32 (zlib's), continued from `crc`: ISA-L's when it is there, several
 * times faster than zlib's on a chunk's records. */
static uint32_t crc_of(uint32_t crc, const uint8_t *p, size_t n)
{
#ifdef CS_HAVE_ISAL
	return crc32_gzip_refl(crc, p, n);
#else
	return (uint32_t)crc32(crc, p, (uInt)n);
#endif
}

/* ---- names ---- */

static void names_reset(struct evtx *x)
{
	size_t i;

	for (i = 0; i < x->ntouched; i++)
		x->name_at[x->touched[i]] = 0;
	x->ntouched = 0;
	x->nnm = 0;
	x->names.len = 0;
}

/*
 * The name at chunk offset `off` (next offset 4, hash 2, count 2, UTF-16,
 * NUL). When it lies at *p (stored inline, where it is first used), *p
 * moves past it. Decoded once per chunk.
 */
static int get_name(struct evtx *x, uint32_t off, size_t *p, size_t end, struct nref *out)
{
	uint32_t k;
	size_t n, total;
	struct nref r;

	if ((size_t)off + 8 > x->clen)
		return fail(x, *p, "name offset %u outside the chunk", off);
	n = u16(x->c + off + 6);
	total = 8 + 2 * n + 2;
	if (off + total > x->clen)
		return fail(x, *p, "name at chunk offset %u runs past the chunk", off);
	if (off == *p) {
		if (*p + total > end)
			return fail(x, *p, "name runs past its element");
		*p += total;
	}
	k = x->name_at[off];
	if (k) {
		*out = x->nm[k - 1];
		return 0;
	}
	if (cs__grow((void **)&x->nm, &x->nmcap, x->nnm + 1, sizeof(*x->nm)) ||
	    cs__grow((void **)&x->touched, &x->touchcap, x->ntouched + 1, sizeof(*x->touched)))
		return fail(x, *p, "out of memory");
	r.off = (uint32_t)x->names.len;
	if (put_utf16(&x->names, x->c + off + 8, n, 1) || tb_add(&x->names, "", 1))
		return fail(x, *p, "names too long");
	r.len = (uint32_t)(x->names.len - 1 - r.off);
	x->nm[x->nnm++] = r;
	x->name_at[off] = (uint32_t)x->nnm;
	x->touched[x->ntouched++] = off;
	*out = r;
	return 0;
}

static const char *nstr(const struct evtx *x, struct nref r)
{
	return x->names.d + r.off;
}

static int name_is_n(const struct evtx *x, struct nref r, const char *s, size_t n)
{
	return r.len == n && memcmp(x->names.d + r.off, s, n) == 0;
}

/* Whether a name is the literal `lit`. */
#define name_is(x, r, lit) name_is_n(x, r, lit, sizeof(lit) - 1)

/* ---- fields ---- */

/* Add a field: its name is a, or a "_" b when b is given. */
static int add_field(struct evtx *x, size_t at, const char *a, size_t an, const char *b, size_t bn,
                     const char *v, size_t vn, int is_null, int sys)
{
	struct fieldrec *r;

	if (x->nf >= MAX_FIELDS)
		return fail(x, at, "more than %d fields", MAX_FIELDS);
	if (cs__grow((void **)&x->f, &x->fcap, x->nf + 1, sizeof(*x->f)))
		return fail(x, at, "out of memory");
	r = &x->f[x->nf];
	r->name = x->out.len;
	if (tb_add(&x->out, a, an) || (b && (tb_add(&x->out, "_", 1) || tb_add(&x->out, b, bn))) ||
	    tb_add(&x->out, "", 1))
		return fail(x, at, "event text over %zu bytes", MAX_TEXT);
	r->name_len = x->out.len - 1 - r->name;
	r->val = x->out.len;
	if (tb_add(&x->out, v, vn) || tb_add(&x->out, "", 1))
		return fail(x, at, "event text over %zu bytes", MAX_TEXT);
	r->val_len = vn;
	r->is_null = is_null;
	r->sys = sys;
	x->nf++;
	return 0;
}

/* Whether frame i is a child of Event/System. */
static int in_system(const struct evtx *x, int i)
{
	return i == 2 && name_is(x, x->fr[1].name, "System");
}

/* Array items are NUL-separated in the text; where they are not fields of
 * their own they read as a comma-separated list. */
static void join_items(char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!s[i])
			s[i] = ',';
}

/* The open attribute is complete: a Data item's Name becomes its field's
 * name, a namespace declaration is dropped, anything else is a field
 * Element_Attribute; an optional substitution with no value, nothing. */
static int finish_attr(struct evtx *x, size_t at)
{
	struct frame *top;
	size_t len;
	int rc = 0, i;

	if (!x->attr_open)
		return 0;
	x->attr_open = 0;
	i = x->nfr - 1;
	top = &x->fr[i];
	len = x->tx.len - x->attr_start;
	join_items(x->tx.d + x->attr_start, len);
	if (x->attr_null && len == 0) {
		/* An optional substitution with no value: no attribute. */
	} else if (name_is(x, x->attr_name, "Name") && name_is(x, top->name, "Data")) {
		top->has_dname = 1;
		top->dname = x->attr_start;
		top->dname_len = len;
		top->text = x->tx.len;
		return 0;
	} else if (!(x->attr_name.len >= 5 && memcmp(nstr(x, x->attr_name), "xmlns", 5) == 0 &&
	             (x->attr_name.len == 5 || nstr(x, x->attr_name)[5] == ':'))) {
		rc = add_field(x, at, nstr(x, top->name), top->name.len, nstr(x, x->attr_name),
		               x->attr_name.len, x->tx.d + x->attr_start, len, 0, in_system(x, i));
		top->attrs++;
	}
	x->tx.len = x->attr_start;
	return rc;
}

static int open_elem(struct evtx *x, size_t at, struct nref name)
{
	struct frame *f;

	if (finish_attr(x, at))
		return -1;
	if (x->nfr >= MAX_ELEMS)
		return fail(x, at, "elements nested more than %d deep", MAX_ELEMS);
	if (x->nfr)
		x->fr[x->nfr - 1].children = 1;
	f = &x->fr[x->nfr++];
	memset(f, 0, sizeof(*f));
	f->name = name;
	f->base = f->text = x->tx.len;
	return 0;
}

/* An element's text without its trailing blanks: Windows keeps them
 * (`"C:\\Windows\\system32\\cmd.exe" `), but the tools the Sigma rules and
 * their regression data were checked with (evtx_dump, Chainsaw, Hayabusa)
 * drop them, and a rule's `endswith` must see what its authors saw. */
static size_t rtrim(const char *s, size_t n)
{
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	return n;
}

/* Close the innermost element: a leaf below the top two levels (or one
 * there with text) is a field, unless it is empty and its attributes
 * said everything (<Provider Name=... />). */
static int close_elem(struct evtx *x, size_t at)
{
	struct frame *f;
	size_t len;
	int i = x->nfr - 1, rc = 0;

	if (finish_attr(x, at))
		return -1;
	if (i < 0)
		return fail(x, at, "end of an element that was not opened");
	f = &x->fr[i];
	len = x->tx.len - f->text;
	if (!f->children && (len || (i >= 2 && !f->attrs))) {
		const char *nm = nstr(x, f->name), *v = x->tx.d + f->text;
		size_t nn = f->name.len;
		char dn[32];

		if (f->has_dname && f->dname_len) {
			join_items(x->tx.d + f->dname, f->dname_len);
			nm = x->tx.d + f->dname;
			nn = f->dname_len;
		} else if (f->has_dname || !nn || name_is(x, f->name, "Data")) {
			/* Unnamed (or named "") items: Data, Data_2, ... */
			if (x->ndata++)
				snprintf(dn, sizeof(dn), "Data_%u", x->ndata);
			else
				snprintf(dn, sizeof(dn), "Data");
			nm = dn;
			nn = strlen(dn);
		}
		if (f->array && f->pieces == 1) {
			const char *e = v + len;

			while (!rc) {
				const char *z = memchr(v, '\0', (size_t)(e - v));
				size_t k = rtrim(v, z ? (size_t)(z - v) : (size_t)(e - v));

				rc = add_field(x, at, nm, nn, NULL, 0, v, k, 0, in_system(x, i));
				if (!z)
					break;
				v = z + 1;
			}
		} else {
			join_items(x->tx.d + f->text, len);
			rc = add_field(x, at, nm, nn, NULL, 0, v, rtrim(v, len), f->null && !len,
			               in_system(x, i));
		}
	}
	x->tx.len = f->base;
	x->nfr--;
	return rc;
}

/* Text goes to the open attribute, or the innermost element; 0 when
 * there is neither (text outside any element is dropped). */
static int text_target(struct evtx *x)
{
	if (x->attr_open)
		return 1;
	if (!x->nfr)
		return 0;
	x->fr[x->nfr - 1].pieces++;
	return 1;
}

/* ---- values ---- */

/* Days since 1970-01-01 to a proleptic Gregorian date, by 400-year eras. */
static void civil(int64_t days, int *y, unsigned *m, unsigned *d)
{
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* n decimal digits of v, zero-padded, at o. */
static void digits(char *o, unsigned long v, int n)
{
	while (n--) {
		o[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* FILETIME (100 ns since 1601) as Windows writes it in XML:
 * 2023-03-29T10:00:00.1234567Z (written by hand: it is in every event). */
static int put_filetime(struct tbuf *b, uint64_t ft)
{
	int64_t secs = (int64_t)(ft / 10000000u) - FILETIME_UNIX_MS / 1000;
	int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
	int64_t sod = secs - days * 86400;
	unsigned m, d;
	char o[28];
	int y;

	civil(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		return tb_printf(b, "%d-%02u-%02uT%02d:%02d:%02d.%07uZ", y, m, d, (int)(sod / 3600),
		                 (int)(sod / 60 % 60), (int)(sod % 60), (unsigned)(ft % 10000000u));
	digits(o, (unsigned long)y, 4);
	o[4] = '-';
	digits(o + 5, m, 2);
	o[7] = '-';
	digits(o + 8, d, 2);
	o[10] = 'T';
	digits(o + 11, (unsigned long)(sod / 3600), 2);
	o[13] = ':';
	digits(o + 14, (unsigned long)(sod / 60 % 60), 2);
	o[16] = ':';
	digits(o + 17, (unsigned long)(sod % 60), 2);
	o[19] = '.';
	digits(o + 20, (unsigned long)(ft % 10000000u), 7);
	o[27] = 'Z';
	return tb_add(b, o, sizeof(o));
}

/* A GUID as Windows writes it: {5770385F-C22A-43E0-BF4C-06F5698FFBD9}. */
static int put_guid(struct tbuf *b, const uint8_t *p)
{
	static const char hx[] = "0123456789ABCDEF";
	/* the bytes in the order they are written: three little-endian
	 * fields, then eight bytes as they are */
	static const uint8_t order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
	char o[38], *q = o;
	int i;

	*q++ = '{';
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*q++ = '-';
		*q++ = hx[p[order[i]] >> 4];
		*q++ = hx[p[order[i]] & 15];
	}
	*q++ = '}';
	return tb_add(b, o, (size_t)(q - o));
}

static int put_hex(struct tbuf *b, const uint8_t *p, size_t n)
{
	static const char hx[] = "0123456789ABCDEF";
	size_t i;
	char *o;

	if (tb_reserve(b, 2 * n))
		return -1;
	o = b->d + b->len;
	for (i = 0; i < n; i++) {
		*o++ = hx[p[i] >> 4];
		*o++ = hx[p[i] & 15];
	}
	b->len += 2 * n;
	return 0;
}

static int put_u64(struct tbuf *b, uint64_t v)
{
	char t[24];
	size_t i = sizeof(t);

	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return tb_add(b, t + i, sizeof(t) - i);
}

static int put_i64(struct tbuf *b, int64_t v)
{
	if (v < 0) {
		if (tb_add(b, "-", 1))
			return -1;
		return put_u64(b, (uint64_t)0 - (uint64_t)v);
	}
	return put_u64(b, (uint64_t)v);
}

/* A SID: revision, count, 48-bit authority (big-endian), count 32-bit
 * sub-authorities. *used: its size. */
static int put_sid(struct tbuf *b, const uint8_t *p, size_t n, size_t *used)
{
	uint64_t auth = 0;
	unsigned i, cnt;

	if (n < 8)
		return 1;
	cnt = p[1];
	if (8 + 4 * (size_t)cnt > n)
		return 1;
	for (i = 2; i < 8; i++)
		auth = auth << 8 | p[i];
	if (tb_printf(b, "S-%u-", p[0]))
		return -1;
	if (auth >> 32 ? tb_printf(b, "0x%012llX", (unsigned long long)auth) : put_u64(b, auth))
		return -1;
	for (i = 0; i < cnt; i++)
		if (tb_add(b, "-", 1) || put_u64(b, u32(p + 8 + 4 * i)))
			return -1;
	*used = 8 + 4 * (size_t)cnt;
	return 0;
}

/* Bytes one value of a fixed-size type takes (0: variable). */
static size_t type_size(unsigned t, size_t n)
{
	switch (t) {
	case 0x03:
	case 0x04:
		return 1;
	case 0x05:
	case 0x06:
		return 2;
	case 0x07:
	case 0x08:
	case 0x0b:
	case 0x0d:
	case 0x14:
		return 4;
	case 0x09:
	case 0x0a:
	case 0x0c:
	case 0x11:
	case 0x15:
		return 8;
	case 0x0f:
	case 0x12:
		return 16;
	case 0x10:
		return n == 4 ? 4 : 8;
	default:
		return 0;
	}
}

/* One value of a fixed-size type `t` at p (type_size(t) bytes there). */
static int put_fixed(struct tbuf *b, unsigned t, const uint8_t *p, size_t sz)
{
	switch (t) {
	case 0x03:
		return put_i64(b, (int8_t)p[0]);
	case 0x04:
		return put_u64(b, p[0]);
	case 0x05:
		return put_i64(b, (int16_t)u16(p));
	case 0x06:
		return put_u64(b, u16(p));
	case 0x07:
		return put_i64(b, (int32_t)u32(p));
	case 0x08:
		return put_u64(b, u32(p));
	case 0x09:
		return put_i64(b, (int64_t)u64(p));
	case 0x0a:
		return put_u64(b, u64(p));
	case 0x0b: {
		float v;

		memcpy(&v, p, 4);
		return tb_printf(b, "%.9g", (double)v);
	}
	case 0x0c: {
		double v;

		memcpy(&v, p, 8);
		return tb_printf(b, "%.17g", v);
	}
	case 0x0d:
		return tb_add(b, u32(p) ? "true" : "false", u32(p) ? 4 : 5);
	case 0x0f:
		return put_guid(b, p);
	case 0x11:
		return put_filetime(b, u64(p));
	case 0x12:
		return tb_printf(b, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", u16(p), u16(p + 2),
		                 u16(p + 6), u16(p + 8), u16(p + 10), u16(p + 12), u16(p + 14));
	case 0x10:
	case 0x14:
	case 0x15: {
		static const char hx[] = "0123456789abcdef";
		uint64_t v = sz == 4 ? u32(p) : u64(p);
		char o[18];
		size_t i = sizeof(o);

		do {
			o[--i] = hx[v & 15];
			v >>= 4;
		} while (v);
		o[--i] = 'x';
		o[--i] = '0';
		return tb_add(b, o + i, sizeof(o) - i);
	}
	default:
		return -1;
	}
}

/*
 * A substitution value of type t (not NULL, not Binary XML) as text.
 * Array items are separated by NUL bytes (the element that holds only
 * them becomes one field per item). Returns 0, -1 (x->err set).
 */
static int put_value(struct evtx *x, size_t at, unsigned t, const uint8_t *p, size_t n)
{
	struct tbuf *b = &x->tx;
	unsigned base = t & 0x7f;
	size_t sz, i, used;
	int r;

	if (t & 0x80) {
		if (x->attr_open == 0 && x->nfr)
			x->fr[x->nfr - 1].array = 1;
		if (base == 0x01 || base == 0x02) {
			size_t unit = base == 0x01 ? 2 : 1, k = 0, s = 0;

			n -= n % unit;
			for (i = 0; i + unit <= n; i += unit, k++) {
				int z = unit == 2 ? u16(p + i) == 0 : p[i] == 0;

				if (!z)
					continue;
				if (s && tb_add(b, "", 1))
					return fail(x, at, "event text over %zu bytes", MAX_TEXT);
				if (put_value(x, at, base, p + s, i - s))
					return -1;
				s = i + unit;
			}
			if (s < n) {
				if (s && tb_add(b, "", 1))
					return fail(x, at, "event text over %zu bytes", MAX_TEXT);
				return put_value(x, at, base, p + s, n - s);
			}
			return 0;
		}
		if (base == 0x13) {
			for (i = 0; i < n; i += used) {
				if (i && tb_add(b, "", 1))
					return fail(x, at, "event text over %zu bytes", MAX_TEXT);
				r = put_sid(b, p + i, n - i, &used);
				if (r)
					return r < 0 ? fail(x, at, "event text over %zu bytes",
					                    MAX_TEXT)
					             : fail(x, at, "damaged SID in an array");
			}
			return 0;
		}
		sz = base == 0x10 ? 8 : type_size(base, 0);
		if (!sz || n % sz)
			return fail(x, at, "array of type 0x%02x with %zu bytes", t, n);
		for (i = 0; i < n; i += sz) {
			if ((i && tb_add(b, "", 1)) || put_fixed(b, base, p + i, sz))
				return fail(x, at, "event text over %zu bytes", MAX_TEXT);
		}
		return 0;
	}
	switch (t) {
	case 0x01:
		r = put_utf16(b, p, n / 2, 1);
		break;
	case 0x02:
		for (i = 0, r = 0; i < n && p[i] && !r; i++) {
			char o[4];

			r = tb_add(b, o, put_cp(o, p[i]));
		}
		break;
	case 0x0e:
	case 0x20:
	case 0x23:
		r = put_hex(b, p, n);
		break;
	case 0x13:
		r = put_sid(b, p, n, &used);
		if (r > 0)
			return fail(x, at, "damaged SID");
		break;
	default:
		sz = type_size(t, n);
		if (!sz)
			return fail(x, at, "value of unknown type 0x%02x", t);
		if (n < sz)
			return fail(x, at, "value of type 0x%02x has %zu bytes", t, n);
		r = put_fixed(b, t, p, sz);
		break;
	}
	if (r)
		return fail(x, at, "event text over %zu bytes", MAX_TEXT);
	return 0;
}

/* ---- Binary XML ---- */

static int walk(struct evtx *x, size_t p, size_t end, const struct subs *s, unsigned depth,
                int nodep);

#define NEED(n)                                                                                    \
	do {                                                                                       \
		if ((size_t)(n) > end - p)                                                         \
			return fail(x, p, "token 0x%02x runs past its data", t);                   \
	} while (0)

/*
 * A template instance at p (its token included): the definition (inline
 * here, or elsewhere in the chunk), then the values. Walks the definition
 * with them; *next: the first byte after the instance.
 */
static int template_instance(struct evtx *x, size_t p, size_t end, unsigned depth, size_t *next)
{
	unsigned t = 0x0c;
	size_t doff, dsize, body, sum = 0, i;
	struct subs s;
	uint32_t n;
	int rc;

	p++;
	NEED(9);
	doff = u32(x->c + p + 5);
	p += 9;
	if (doff == p) {
		NEED(24);
		dsize = u32(x->c + p + 20);
		body = p + 24;
		if (dsize > end - body)
			return fail(x, p, "template definition runs past its data");
		p = body + dsize;
	} else {
		if (doff + 24 > x->clen)
			return fail(x, p, "template definition offset %zu outside the chunk", doff);
		dsize = u32(x->c + doff + 20);
		body = doff + 24;
		if (dsize > x->clen - body)
			return fail(x, p, "template definition at %zu runs past the chunk", doff);
	}
	NEED(4);
	n = u32(x->c + p);
	p += 4;
	if (n > MAX_SUBS || x->noffs + n > MAX_SUBS)
		return fail(x, p, "%u substitution values", n);
	NEED((size_t)4 * n);
	s.desc = x->c + p;
	s.n = n;
	p += (size_t)4 * n;
	if (cs__grow((void **)&x->offs, &x->offcap, x->noffs + n + 1, sizeof(*x->offs)))
		return fail(x, p, "out of memory");
	s.offs = x->noffs;
	for (i = 0; i < n; i++) {
		x->offs[x->noffs + i] = (uint32_t)sum;
		sum += u16(s.desc + 4 * i);
	}
	NEED(sum);
	s.vals = p;
	*next = p + sum;
	if (depth + 1 > MAX_DEPTH)
		return fail(x, p, "templates nested more than %d deep", MAX_DEPTH);
	x->noffs += n;
	rc = walk(x, body, body + dsize, &s, depth + 1, 0);
	x->noffs -= n;
	return rc;
}

/* A substitution token at p: the value it names goes into the text (or,
 * for Binary XML, is walked). */
static int substitution(struct evtx *x, size_t p, size_t end, const struct subs *s, unsigned depth)
{
	unsigned t = x->c[p], vt;
	size_t off, sz;
	uint16_t id;

	NEED(4);
	id = u16(x->c + p + 1);
	if (!s)
		return fail(x, p, "substitution outside a template");
	if (id >= s->n) {
		if (t == 0x0d)
			return fail(x, p, "substitution %u of %u values", id, s->n);
		vt = 0;
		sz = 0;
		off = 0;
	} else {
		vt = s->desc[4 * id + 2];
		sz = u16(s->desc + 4 * id);
		off = s->vals + x->offs[s->offs + id];
	}
	if (vt == 0x00) {
		if (x->attr_open)
			x->attr_null = 1;
		else if (x->nfr)
			x->fr[x->nfr - 1].null = 1;
		return 0;
	}
	if (vt == 0x21) {
		if (depth + 1 > MAX_DEPTH)
			return fail(x, p, "Binary XML values nested more than %d deep", MAX_DEPTH);
		return walk(x, off, off + sz, NULL, depth + 1, 1);
	}
	if (!text_target(x))
		return 0;
	return put_value(x, p, vt, x->c + off, sz);
}

/*
 * Walk the tokens of [p, end) (chunk offsets) up to an end-of-fragment
 * token. `s`: the values of the template being walked (NULL outside one);
 * `nodep`: elements here carry no dependency identifier (the inside of a
 * Binary XML value).
 */
static int walk(struct evtx *x, size_t p, size_t end, const struct subs *s, unsigned depth,
                int nodep)
{
	struct nref nm;
	size_t n, next = 0;

	while (p < end) {
		unsigned t = x->c[p];

		if (++x->steps > MAX_STEPS)
			return fail(x, p, "more than %lu tokens", MAX_STEPS);
		switch (t & ~0x40u) {
		case 0x00:
			return 0;
		case 0x0f: /* fragment header: version, flags */
			NEED(4);
			p += 4;
			break;
		case 0x01: /* open element: [dependency], size, name, [attribute list size] */
			p++;
			if (!nodep) {
				NEED(2);
				p += 2;
			}
			NEED(8);
			p += 8;
			if (get_name(x, u32(x->c + p - 4), &p, end, &nm))
				return -1;
			if (t & 0x40) {
				NEED(4);
				p += 4;
			}
			if (open_elem(x, p, nm))
				return -1;
			break;
		case 0x02: /* close start element */
			if (finish_attr(x, p))
				return -1;
			p++;
			break;
		case 0x03: /* close empty element */
		case 0x04: /* end element */
			if (close_elem(x, p))
				return -1;
			p++;
			break;
		case 0x05: /* value: type, count, UTF-16 */
			NEED(4);
			if (x->c[p + 1] != 0x01)
				return fail(x, p, "value text of type 0x%02x", x->c[p + 1]);
			n = u16(x->c + p + 2);
			p += 4;
			NEED(2 * n);
			if (text_target(x) && put_utf16(&x->tx, x->c + p, n, 0))
				return fail(x, p, "event text over %zu bytes", MAX_TEXT);
			p += 2 * n;
			break;
		case 0x06: /* attribute: name, then its value tokens */
			if (finish_attr(x, p))
				return -1;
			if (!x->nfr)
				return fail(x, p, "attribute outside an element");
			p++;
			NEED(4);
			p += 4;
			if (get_name(x, u32(x->c + p - 4), &p, end, &nm))
				return -1;
			x->attr_open = 1;
			x->attr_null = 0;
			x->attr_name = nm;
			x->attr_start = x->tx.len;
			break;
		case 0x07: /* CDATA: count, UTF-16 */
		case 0x0b: /* processing instruction data */
			NEED(3);
			n = u16(x->c + p + 1);
			p += 3;
			NEED(2 * n);
			if ((t & ~0x40u) == 0x07 && text_target(x) &&
			    put_utf16(&x->tx, x->c + p, n, 0))
				return fail(x, p, "event text over %zu bytes", MAX_TEXT);
			p += 2 * n;
			break;
		case 0x08: /* character reference */
			NEED(3);
			n = u16(x->c + p + 1);
			p += 3;
			if (text_target(x)) {
				char o[4];

				if (tb_add(&x->tx, o,
				           put_cp(o, n >= 0xd800 && n < 0xe000 ? 0xfffd
				                                               : (uint32_t)n)))
					return fail(x, p, "event text over %zu bytes", MAX_TEXT);
			}
			break;
		case 0x09: /* entity reference: name */
		case 0x0a: /* processing instruction target: name */
			NEED(5);
			p += 5;
			if (get_name(x, u32(x->c + p - 4), &p, end, &nm))
				return -1;
			if ((t & ~0x40u) == 0x09 && text_target(x)) {
				static const char *const ent[][2] = {{"amp", "&"},
				                                     {"lt", "<"},
				                                     {"gt", ">"},
				                                     {"quot", "\""},
				                                     {"apos", "'"}};
				size_t k;
				int r = -2;

				for (k = 0; k < CS_ARRAY_SIZE(ent); k++)
					if (name_is_n(x, nm, ent[k][0], strlen(ent[k][0])))
						r = tb_add(&x->tx, ent[k][1], 1);
				if (r == -2)
					r = tb_printf(&x->tx, "&%s;", nstr(x, nm));
				if (r)
					return fail(x, p, "event text over %zu bytes", MAX_TEXT);
			}
			break;
		case 0x0c:
			if (template_instance(x, p, end, depth, &next))
				return -1;
			p = next;
			break;
		case 0x0d:
		case 0x0e:
			if (substitution(x, p, end, s, depth))
				return -1;
			p += 4;
			break;
		default:
			return fail(x, p, "unknown token 0x%02x", t);
		}
	}
	return 0;
}

#undef NEED

/* ---- events ---- */

static const struct {
	const char *channel, *service;
} services[] = {
        {"Microsoft-Windows-Sysmon/Operational", "sysmon"},
        {"Security", "security"},
        {"System", "system"},
        {"Application", "application"},
        {"Microsoft-Windows-PowerShell/Operational", "powershell"},
        {"PowerShellCore/Operational", "powershell"},
        {"Windows PowerShell", "powershell-classic"},
        {"Microsoft-Windows-Windows Defender/Operational", "windefend"},
        {"Microsoft-Windows-WMI-Activity/Operational", "wmi"},
        {"Microsoft-Windows-TaskScheduler/Operational", "taskscheduler"},
        {"Microsoft-Windows-DNS-Client/Operational", "dns-client"},
        {"Microsoft-Windows-Bits-Client/Operational", "bits-client"},
        {"Microsoft-Windows-CodeIntegrity/Operational", "codeintegrity-operational"},
        {"Microsoft-Windows-Diagnosis-Scripted/Operational", "diagnosis-scripted"},
        {"Microsoft-Windows-Windows Firewall With Advanced Security/Firewall", "firewall-as"},
        {"Microsoft-Windows-LDAP-Client/Debug", "ldap"},
        {"Microsoft-Windows-NTLM/Operational", "ntlm"},
        {"Microsoft-Windows-OpenSSH/Operational", "openssh"},
        {"OpenSSH/Operational", "openssh"},
        {"Microsoft-Windows-Security-Mitigations/KernelMode", "security-mitigations"},
        {"Microsoft-Windows-Security-Mitigations/UserMode", "security-mitigations"},
        {"Microsoft-Windows-Shell-Core/Operational", "shell-core"},
        {"Microsoft-Windows-SmbClient/Security", "smbclient-security"},
        {"Microsoft-Windows-SmbClient/Connectivity", "smbclient-connectivity"},
        {"Microsoft-Windows-SMBServer/Connectivity", "smbserver-connectivity"},
        {"Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",
         "terminalservices-localsessionmanager"},
        {"Microsoft-Windows-AppXDeploymentServer/Operational", "appxdeployment-server"},
        {"Microsoft-Windows-AppxPackaging/Operational", "appxpackaging-om"},
        {"Microsoft-Windows-AppModel-Runtime/Admin", "appmodel-runtime"},
        {"Microsoft-Windows-CAPI2/Operational", "capi2"},
        {"Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational",
         "certificateservicesclient-lifecycle-system"},
        {"Microsoft-Windows-PrintService/Operational", "printservice-operational"},
        {"Microsoft-Windows-PrintService/Admin", "printservice-admin"},
        {"Microsoft-Windows-DriverFrameworks-UserMode/Operational", "driver-framework"},
        {"Microsoft-Windows-DNSServer/Analytical", "dns-server-analytic"},
        {"DNS Server", "dns-server"},
        {"Microsoft-Windows-VHDMP-Operational", "vhdmp"},
        {"Microsoft-Windows-VHDMP/Operational", "vhdmp"},
        {"Microsoft-Windows-BitLocker/BitLocker Management", "bitlocker"},
        {"Microsoft-Windows-IIS-Configuration/Operational", "iis-configuration"},
        {"Microsoft-Windows-ServiceBus-Client", "microsoft-servicebus-client"},
        {"MSExchange Management", "msexchange-management"},
        {"LSA", "lsa-server"},
        {"Microsoft-Windows-LSA/Operational", "lsa-server"},
};

const char *cs__evtx_service(const char *channel)
{
	size_t i;

	if (!channel)
		return NULL;
	for (i = 0; i < CS_ARRAY_SIZE(services); i++)
		if (strcasecmp(channel, services[i].channel) == 0)
			return services[i].service;
	if (strncasecmp(channel, "Microsoft-Windows-AppLocker/", 28) == 0)
		return "applocker";
	return NULL;
}

static uint64_t dec_u64(const char *s, size_t n, int *ok)
{
	uint64_t v = 0;
	size_t i;

	*ok = n > 0 && n <= 20;
	for (i = 0; i < n && *ok; i++) {
		if (!cs__isdigit((unsigned char)s[i]))
			*ok = 0;
		else
			v = v * 10 + (uint64_t)(s[i] - '0');
	}
	return v;
}

/* Build the event from the fields and hand it over. */
static int deliver(struct evtx *x, size_t pos, uint64_t rid, uint64_t written)
{
	struct cs_event e;
	size_t i;
	int ok;

	if (x->nf > x->efcap) {
		struct cs_event_field *n = cs__realloc(x->ef, x->nf * sizeof(*n));

		if (!n)
			return CS_ERR_NOMEM;
		x->ef = n;
		x->efcap = x->nf;
	}
	memset(&e, 0, sizeof(e));
	e.file = x->name;
	e.format = "evtx";
	e.line = rid;
	e.record_id = rid;
	e.offset = x->coff + pos;
	e.product = "windows";
	for (i = 0; i < x->nf; i++) {
		const struct fieldrec *r = &x->f[i];
		const char *nm = x->out.d + r->name, *v = x->out.d + r->val;

		x->ef[i].name = nm;
		x->ef[i].value = v;
		x->ef[i].value_len = r->val_len;
		x->ef[i].is_null = r->is_null;
		if (!r->sys)
			continue;
		if (strcmp(nm, "TimeCreated_SystemTime") == 0 && !e.has_time) {
			e.has_time = cs__time_iso(v, r->val_len, 0, &e.time_ms, NULL) == 0;
		} else if (strcmp(nm, "EventID") == 0 && !e.event_id) {
			uint64_t id = dec_u64(v, r->val_len, &ok);

			e.event_id = ok && id <= 0x7fffffff ? (int)id : 0;
		} else if (strcmp(nm, "EventRecordID") == 0) {
			uint64_t id = dec_u64(v, r->val_len, &ok);

			if (ok)
				e.record_id = id;
		} else if (strcmp(nm, "Channel") == 0 && !e.channel) {
			e.channel = v;
		} else if (strcmp(nm, "Computer") == 0 && !e.host) {
			e.host = v;
		} else if (strcmp(nm, "Provider_Name") == 0 && !e.provider) {
			e.provider = v;
		}
	}
	if (!e.has_time && written) {
		/* No TimeCreated: the time the record was written. */
		e.time_ms = (int64_t)(written / 10000) - FILETIME_UNIX_MS;
		e.has_time = 1;
	}
	e.service = cs__evtx_service(e.channel);
	e.fields = x->ef;
	e.nfields = x->nf;
	x->st->records++;
	return x->io->on_event ? x->io->on_event(x->io->ud, &e) : 0;
}

static void diag(struct evtx *x, uint64_t rid, uint64_t off, const char *reason, const char *fmt,
                 ...) CS_PRINTF(5, 6);

static void diag(struct evtx *x, uint64_t rid, uint64_t off, const char *reason, const char *fmt,
                 ...)
{
	char msg[400];
	va_list ap;

	if (!x->io->on_diag)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	x->io->on_diag(x->io->ud, rid, off, reason, msg);
}

/* Hand damaged bytes of the chunk over, to be searched as text. */
static int damaged(struct evtx *x, uint64_t rid, size_t pos, size_t n)
{
	if (!x->io->on_damaged || !n)
		return 0;
	return x->io->on_damaged(x->io->ud, rid, x->coff + pos, x->c + pos, n);
}

/*
 * A record that does not parse, handed over as text to search: when its
 * top template instance's values can still be told apart, each of them
 * first, NUL-separated (they lie next to each other, and
 * "WS01cdn.evil.test" would hide a name), then the record's bytes.
 */
static int damaged_record(struct evtx *x, uint64_t rid, size_t pos, size_t size)
{
	const uint8_t *c = x->c;
	size_t p = pos + REC_HDR, end = pos + size - 4, doff, dsize, n, i, sz;
	const uint8_t *desc;

	if (!x->io->on_damaged)
		return 0;
	x->tx.len = 0;
	if (p + 4 <= end && c[p] == 0x0f)
		p += 4;
	if (p + 10 <= end && c[p] == 0x0c) {
		doff = u32(c + p + 6);
		p += 10;
		if (doff == p && p + 24 <= end) {
			dsize = u32(c + p + 20);
			p = dsize <= end - p - 24 ? p + 24 + dsize : end;
		}
		if (p + 4 <= end) {
			n = u32(c + p);
			p += 4;
			if (n <= MAX_SUBS && 4 * n <= end - p) {
				desc = c + p;
				p += 4 * n;
				for (i = 0; i < n; i++, p += sz) {
					sz = u16(desc + 4 * i);
					if (sz > end - p || tb_add(&x->tx, c + p, sz) ||
					    tb_add(&x->tx, "\0\0", 2))
						break;
				}
			}
		}
	}
	if (tb_add(&x->tx, c + pos, size))
		return damaged(x, rid, pos, size);
	return x->io->on_damaged(x->io->ud, rid, x->coff + pos, x->tx.d, x->tx.len);
}

/* One record at chunk offset pos, `size` bytes (checked to lie in the
 * chunk). A damaged one is reported and skipped; returns what delivery
 * returned (non-zero: stop). */
static int do_record(struct evtx *x, size_t pos, size_t size)
{
	uint64_t rid = u64(x->c + pos + 8);
	int rc;

	x->err[0] = '\0';
	x->steps = 0;
	x->nfr = 0;
	x->attr_open = 0;
	x->ndata = 0;
	x->tx.len = 0;
	x->out.len = 0;
	x->nf = 0;
	x->noffs = 0;
	rc = walk(x, pos + REC_HDR, pos + size - 4, NULL, 0, 0);
	if (!rc && x->nfr)
		rc = fail(x, pos + size - 4, "%d elements left open", x->nfr);
	if (!rc && !x->nf)
		rc = fail(x, pos + REC_HDR, "no event data");
	if (rc) {
		x->st->bad_records++;
		x->st->lost = 1;
		diag(x, rid, x->coff + pos, "evtx-record", "record %llu at byte %llu: %s; skipped",
		     (unsigned long long)rid, (unsigned long long)(x->coff + pos), x->err);
		return damaged_record(x, rid, pos, size);
	}
	return deliver(x, pos, rid, u64(x->c + pos + 16));
}

/* A plausible record at pos, inside [pos, lim): its size, else 0. */
static size_t record_at(const struct evtx *x, size_t pos, size_t lim)
{
	size_t size;

	if (pos + REC_MIN > lim || u32(x->c + pos) != REC_SIG)
		return 0;
	size = u32(x->c + pos + 4);
	if (size < REC_MIN || size > lim - pos || u32(x->c + pos + size - 4) != size)
		return 0;
	return size;
}

static int all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/*
 * One chunk (x->clen bytes of it present). Its header must be intact;
 * the records are read to the free-space offset, and past it while the
 * next records follow in sequence (a file being written whose header was
 * not updated yet). A record that does not parse is skipped; bytes that
 * hold no record are skipped to the next one found.
 */
static int do_chunk(struct evtx *x)
{
	const uint8_t *c = x->c;
	uint64_t co = x->coff, last_id = 0;
	size_t free_off, lim, pos, size;
	uint32_t crc;
	int rc;

	x->st->chunks++;
	if (x->clen >= 8 && memcmp(c, "ElfChnk", 8) != 0) {
		if (all_zero(c, x->clen))
			return 0; /* preallocated, never used */
		x->st->bad_chunks++;
		x->st->lost = 1;
		diag(x, 0, co, "evtx-chunk", "chunk at byte %llu has no ElfChnk signature: skipped",
		     (unsigned long long)co);
		return damaged(x, 0, 0, x->clen);
	}
	if (x->clen < CHUNK_HDR) {
		x->st->lost = 1;
		diag(x, 0, co, "evtx-truncated",
		     "chunk at byte %llu cut short (%zu of %d bytes): nothing of it could be read",
		     (unsigned long long)co, x->clen, CHUNK_SIZE);
		return damaged(x, 0, 0, x->clen);
	}
	crc = crc_of(crc_of(0, c, 120), c + 128, CHUNK_HDR - 128);
	if (crc != u32(c + 124)) {
		x->st->bad_chunks++;
		x->st->lost = 1;
		diag(x, 0, co, "evtx-checksum",
		     "chunk at byte %llu: header checksum mismatch (%08x, computed %08x): skipped",
		     (unsigned long long)co, u32(c + 124), crc);
		return damaged(x, 0, 0, x->clen);
	}
	free_off = u32(c + 48);
	if (free_off < CHUNK_HDR || free_off > CHUNK_SIZE) {
		x->st->bad_chunks++;
		x->st->lost = 1;
		diag(x, 0, co, "evtx-chunk", "chunk at byte %llu: free space offset %zu: skipped",
		     (unsigned long long)co, free_off);
		return damaged(x, 0, 0, x->clen);
	}
	if (free_off <= x->clen) {
		crc = crc_of(0, c + CHUNK_HDR, free_off - CHUNK_HDR);
		if (crc != u32(c + 52))
			diag(x, 0, co, "evtx-checksum",
			     "chunk at byte %llu: event records checksum mismatch (%08x, computed "
			     "%08x): its records are read one by one and may be damaged",
			     (unsigned long long)co, u32(c + 52), crc);
	}
	names_reset(x);
	lim = free_off < x->clen ? free_off : x->clen;
	pos = CHUNK_HDR;
	while (pos + REC_MIN <= lim) {
		size = record_at(x, pos, lim);
		if (!size) {
			size_t q = pos + 1;

			if (u32(c + pos) == REC_SIG && pos + 8 <= lim &&
			    u32(c + pos + 4) > lim - pos && lim < free_off) {
				/* the last record, cut short with the chunk */
				rc = damaged(x, pos + 16 <= lim ? u64(c + pos + 8) : 0, pos,
				             lim - pos);
				if (rc)
					return rc;
				break;
			}
			if (all_zero(c + pos, lim - pos))
				break;
			while (q + REC_MIN <= lim && !record_at(x, q, lim))
				q++;
			x->st->bad_records++;
			x->st->lost = 1;
			diag(x, 0, co + pos, "evtx-record",
			     "no valid record at byte %llu: %zu bytes skipped",
			     (unsigned long long)(co + pos), (q + REC_MIN <= lim ? q : lim) - pos);
			rc = damaged(x, 0, pos, (q + REC_MIN <= lim ? q : lim) - pos);
			if (rc)
				return rc;
			if (q + REC_MIN > lim)
				break;
			pos = q;
			continue;
		}
		rc = do_record(x, pos, size);
		if (rc)
			return rc;
		last_id = u64(c + pos + 8);
		pos += size;
	}
	if (free_off > x->clen) {
		x->st->lost = 1;
		diag(x, 0, co + x->clen, "evtx-truncated",
		     "chunk at byte %llu cut short at byte %llu (its records reach byte %llu): "
		     "the complete records before were read",
		     (unsigned long long)co, (unsigned long long)(co + x->clen),
		     (unsigned long long)(co + free_off));
		return 0;
	}
	/* Records written after the header was last updated. */
	while (last_id && (size = record_at(x, pos, x->clen)) != 0 &&
	       u64(c + pos + 8) == last_id + 1) {
		rc = do_record(x, pos, size);
		if (rc)
			return rc;
		last_id++;
		pos += size;
	}
	return 0;
}

/* ---- the file ---- */

/* Up to n bytes: what the caller sniffed first, then the input. */
static size_t take(struct evtx *x, uint8_t *buf, size_t n)
{
	size_t got = 0;

	if (x->npre) {
		size_t k = x->npre < n ? x->npre : n;

		memcpy(buf, x->pre, k);
		x->pre += k;
		x->npre -= k;
		got = k;
	}
	while (got < n && !x->eof) {
		ptrdiff_t r = x->io->read ? x->io->read(x->io->read_ud, buf + got, n - got) : 0;

		if (r < 0) {
			const char *why = x->io->why ? x->io->why(x->io->read_ud) : NULL;

			x->eof = 1;
			x->read_failed = 1;
			x->st->lost = 1;
			diag(x, 0, x->st->bytes + got, "read-error",
			     "cannot read further at byte %llu: %s; what came before was read",
			     (unsigned long long)(x->st->bytes + got), why ? why : "error");
			break;
		}
		if (r == 0)
			x->eof = 1;
		got += (size_t)r;
	}
	x->st->bytes += got;
	return got;
}

/* Pass over n bytes of the input; how many were passed over. */
static size_t pass(struct evtx *x, size_t n)
{
	ptrdiff_t r = x->io->skip(x->io->read_ud, n);

	if (r < 0) {
		const char *why = x->io->why ? x->io->why(x->io->read_ud) : NULL;

		x->eof = 1;
		x->read_failed = 1;
		x->st->lost = 1;
		diag(x, 0, x->st->bytes, "read-error",
		     "cannot read further at byte %llu: %s; what came before was read",
		     (unsigned long long)x->st->bytes, why ? why : "error");
		return 0;
	}
	x->st->bytes += (size_t)r;
	if ((size_t)r < n)
		x->eof = 1;
	return (size_t)r;
}

/* The bytes of an intact chunk that are read: its header and records up
 * to the free-space offset, and 8 more to see whether a record follows
 * (one written after the header was last updated). A chunk whose header
 * is not intact is read whole: all of it is reported or searched. */
static size_t chunk_need(const uint8_t *c)
{
	size_t free_off;

	if (memcmp(c, "ElfChnk", 8) != 0)
		return CHUNK_SIZE;
	if (crc_of(crc_of(0, c, 120), c + 128, CHUNK_HDR - 128) != u32(c + 124))
		return CHUNK_SIZE;
	free_off = u32(c + 48);
	if (free_off < CHUNK_HDR || free_off + 8 >= CHUNK_SIZE)
		return CHUNK_SIZE;
	return free_off + 8;
}

/*
 * Bring in the next chunk: x->clen bytes of it in x->c. With an input
 * that can skip, the unused tail of an intact chunk is passed over
 * instead of read, unless a record starts right after the free-space
 * offset. Returns how many of the chunk's bytes the input held (read or
 * passed over): less than CHUNK_SIZE at the end of the file.
 */
static size_t load_chunk(struct evtx *x)
{
	size_t need;

	if (!x->io->skip) {
		x->clen = take(x, x->c, CHUNK_SIZE);
		return x->clen;
	}
	/* As much as the last chunk needed (whole pages), at least the
	 * header's page: chunks of one log fill alike, so most are brought
	 * in with one read. */
	if (x->first < CHUNK_FIRST)
		x->first = CHUNK_FIRST;
	x->clen = take(x, x->c, x->first);
	if (x->clen < x->first)
		return x->clen;
	need = chunk_need(x->c);
	x->first = (need + CHUNK_FIRST - 1) / CHUNK_FIRST * CHUNK_FIRST;
	if (x->first > CHUNK_SIZE)
		x->first = CHUNK_SIZE;
	if (need > x->clen)
		x->clen += take(x, x->c + x->clen, need - x->clen);
	if (x->clen < need || need == CHUNK_SIZE)
		return x->clen;
	if (u32(x->c + need - 8) == REC_SIG) {
		x->clen += take(x, x->c + x->clen, CHUNK_SIZE - x->clen);
		return x->clen;
	}
	return x->clen + pass(x, CHUNK_SIZE - x->clen);
}

static void evtx_release(struct evtx *x)
{
	free(x->c);
	free(x->name_at);
	free(x->touched);
	free(x->nm);
	free(x->names.d);
	free(x->tx.d);
	free(x->out.d);
	free(x->f);
	free(x->ef);
	free(x->offs);
}

int cs__evtx_is(const void *p, size_t n)
{
	return n >= CS_EVTX_MAGIC_LEN && memcmp(p, CS_EVTX_MAGIC, CS_EVTX_MAGIC_LEN) == 0;
}

int cs__evtx_read(const char *name, const void *pre, size_t npre, const struct cs__evtx_io *io,
                  struct cs__evtx_stats *st)
{
	struct evtx x;
	uint8_t hdr[FILE_HDR];
	size_t got;
	int rc = CS_OK;

	memset(st, 0, sizeof(*st));
	memset(&x, 0, sizeof(x));
	x.name = name;
	x.io = io;
	x.st = st;
	x.pre = pre;
	x.npre = npre;
	got = take(&x, hdr, FILE_HDR);
	if (got < 128 || !cs__evtx_is(hdr, got)) {
		st->lost = 1;
		diag(&x, 0, 0, "evtx-header", "%s",
		     cs__evtx_is(hdr, got) ? "file ends inside its header: no events"
		                           : "not an .evtx file (no ElfFile signature)");
		return CS_OK;
	}
	if ((uint32_t)crc32(0, hdr, 120) != u32(hdr + 124))
		diag(&x, 0, 0, "evtx-checksum",
		     "file header checksum mismatch (%08x, computed %08x): its chunks are read "
		     "all the same",
		     u32(hdr + 124), (uint32_t)crc32(0, hdr, 120));
	if (got < FILE_HDR) {
		st->lost = 1;
		diag(&x, 0, got, "evtx-truncated", "file ends inside its header: no events");
		return CS_OK;
	}
	x.c = cs__malloc(CHUNK_SIZE);
	x.name_at = cs__calloc(CHUNK_SIZE, sizeof(*x.name_at));
	if (!x.c || !x.name_at) {
		rc = CS_ERR_NOMEM;
		goto out;
	}
	x.coff = FILE_HDR;
	for (;;) {
		size_t whole = load_chunk(&x);

		if (!x.clen)
			break;
		rc = do_chunk(&x);
		if (rc)
			break;
		if (whole < CHUNK_SIZE)
			break;
		x.coff += CHUNK_SIZE;
	}
out:
	evtx_release(&x);
	return rc;
}

struct memsrc {
	const uint8_t *p;
	size_t n;
};

static ptrdiff_t mem_read(void *ud, void *buf, size_t n)
{
	struct memsrc *m = ud;
	size_t k = m->n < n ? m->n : n;

	memcpy(buf, m->p, k);
	m->p += k;
	m->n -= k;
	return (ptrdiff_t)k;
}

static ptrdiff_t mem_skip(void *ud, size_t n)
{
	struct memsrc *m = ud;
	size_t k = m->n < n ? m->n : n;

	m->p += k;
	m->n -= k;
	return (ptrdiff_t)k;
}

int cs__evtx_read_mem(const char *name, const void *data, size_t len, cs__evtx_event_fn on_event,
                      cs__evtx_diag_fn on_diag, void *ud, struct cs__evtx_stats *st)
{
	struct memsrc m = {data, len};
	struct cs__evtx_io io;

	memset(&io, 0, sizeof(io));
	io.read = mem_read;
	io.skip = mem_skip;
	io.read_ud = &m;
	io.on_event = on_event;
	io.on_diag = on_diag;
	io.ud = ud;
	return cs__evtx_read(name, NULL, 0, &io, st);
}

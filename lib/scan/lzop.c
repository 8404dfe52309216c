/*
 * lzop streams (lzop_int.h): our own parser of the container, liblzo2 for
 * the LZO1X data and the adler32/crc32 checksums.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lzo/lzo1x.h>

#include "chainsweep/error.h"
#include "scan/lzop_int.h"

/* Header flags (lzop's conf.h names them F_*). */
#define F_ADLER32_D     0x00000001u
#define F_ADLER32_C     0x00000002u
#define F_H_EXTRA_FIELD 0x00000040u
#define F_CRC32_D       0x00000100u
#define F_CRC32_C       0x00000200u
#define F_MULTIPART     0x00000400u
#define F_H_FILTER      0x00000800u
#define F_H_CRC32       0x00001000u
#define F_KNOWN         0x00003fffu /* the flags lzop defines */
#define F_OS_CS         0xfff00000u /* the writer's OS and character set */

#define VERSION_MIN   0x0900 /* older files are not lzop's */
#define VERSION_FIELD 0x0940 /* from here: version needed, level, mtime high */
#define VERSION_READ  0x1040 /* the newest lzop format we read (lzop 1.04) */

static pthread_once_t lzo_once = PTHREAD_ONCE_INIT;
static int lzo_ok;

static void lzo_setup(void)
{
	lzo_ok = lzo_init() == LZO_E_OK;
}

int cs__lzop_is(const void *p, size_t n)
{
	return n >= CS_LZOP_MAGIC_LEN && memcmp(p, CS_LZOP_MAGIC, CS_LZOP_MAGIC_LEN) == 0;
}

void cs__lzop_init(struct cs__lzop *z, const void *p, size_t n)
{
	memset(z, 0, sizeof(*z));
	z->p = p;
	z->n = n;
}

void cs__lzop_release(struct cs__lzop *z)
{
	free(z->buf);
	z->buf = NULL;
	z->cap = 0;
}

/* Record the error `rc` at byte `at`; every later call returns it. */
static int fail(struct cs__lzop *z, int rc, size_t at, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int fail(struct cs__lzop *z, int rc, size_t at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(z->err, sizeof(z->err), fmt, ap);
	va_end(ap);
	z->err_at = at;
	z->pending = rc;
	z->done = 1;
	return rc;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t sum(int crc, const unsigned char *p, size_t n)
{
	return crc ? lzo_crc32(0, p, (lzo_uint)n) : lzo_adler32(1, p, (lzo_uint)n);
}

/* n more bytes at z->pos, or a cut-short error naming `what`. */
static int need(struct cs__lzop *z, size_t n, const char *what)
{
	if (z->n - z->pos >= n)
		return CS_OK;
	return fail(z, CS_ERR_PARSE, z->pos, "cut short in %s at byte %zu (%zu of %zu bytes there)",
	            what, z->pos, z->n - z->pos, n);
}

/*
 * A member's header at z->pos (its magic checked by the caller): every
 * field lzop writes, the header checksum over the bytes after the magic,
 * and the optional extra field with its own checksum.
 */
static int read_header(struct cs__lzop *z)
{
	size_t start = z->pos, h, k;
	unsigned version, method, needed = 0, namelen;
	uint32_t flags, filter = 0, want;
	int crc;
	const unsigned char *p;

	if (need(z, CS_LZOP_MAGIC_LEN + 4, "an lzop header"))
		return z->pending;
	h = start + CS_LZOP_MAGIC_LEN;
	p = z->p;
	version = be16(p + h);
	if (version < VERSION_MIN)
		return fail(z, CS_ERR_PARSE, h, "lzop header at byte %zu: version %#x is not lzop's",
		            start, version);
	/* version, library version, [version needed], method, [level], flags */
	k = h + 4 + (version >= VERSION_FIELD ? 2 : 0) + 1 + (version >= VERSION_FIELD ? 1 : 0);
	z->pos = h;
	if (need(z, k + 4 - h, "an lzop header"))
		return z->pending;
	if (version >= VERSION_FIELD)
		needed = be16(p + h + 4);
	method = p[h + 4 + (version >= VERSION_FIELD ? 2 : 0)];
	flags = be32(p + k);
	k += 4;
	if (flags & F_H_FILTER) {
		z->pos = k;
		if (need(z, 4, "an lzop header"))
			return z->pending;
		filter = be32(p + k);
		k += 4;
	}
	/* mode, mtime (low, and high from 0.94), the name's length */
	z->pos = k;
	if (need(z, 8 + (version >= VERSION_FIELD ? 4 : 0) + 1, "an lzop header"))
		return z->pending;
	k += 8 + (version >= VERSION_FIELD ? 4 : 0);
	namelen = p[k++];
	z->pos = k;
	if (need(z, (size_t)namelen + 4, "an lzop header"))
		return z->pending;
	k += namelen;
	crc = (flags & F_H_CRC32) != 0;
	want = be32(p + k);
	if (sum(crc, p + h, k - h) != want)
		return fail(z, CS_ERR_PARSE, k, "lzop header at byte %zu: its %s checksum does not hold",
		            start, crc ? "crc32" : "adler32");
	k += 4;
	if (flags & F_H_EXTRA_FIELD) {
		uint32_t len;

		z->pos = k;
		if (need(z, 4, "an lzop extra field"))
			return z->pending;
		len = be32(p + k);
		if (need(z, (size_t)len + 8, "an lzop extra field"))
			return z->pending;
		if (sum(crc, p + k, (size_t)len + 4) != be32(p + k + 4 + len))
			return fail(z, CS_ERR_PARSE, k,
			            "lzop extra field at byte %zu: its checksum does not hold", k);
		k += (size_t)len + 8;
	}
	z->pos = k;
	/* The header holds: now what this reader cannot honestly read back. */
	if (needed > VERSION_READ)
		return fail(z, CS_ERR_UNSUPPORTED, start,
		            "lzop member at byte %zu needs lzop version %#x to read (we read up to %#x)",
		            start, needed, VERSION_READ);
	if (method < 1 || method > 3)
		return fail(z, CS_ERR_UNSUPPORTED, start,
		            "lzop member at byte %zu: method %u is not LZO1X (not read)", start, method);
	if ((flags & ~(F_KNOWN | F_OS_CS)) || (flags & F_MULTIPART) || filter)
		return fail(z, CS_ERR_UNSUPPORTED, start,
		            "lzop member at byte %zu: flags %#x%s (not read)", start, (unsigned)flags,
		            filter ? " with a filter" : "");
	z->flags = flags;
	z->in_member = 1;
	z->members++;
	return CS_OK;
}

/* The checksums a block carries, in lzop's order. */
struct sums {
	uint32_t d_adler, d_crc, c_adler, c_crc;
	int has_c_adler, has_c_crc;
};

int cs__lzop_next(struct cs__lzop *z, uint64_t budget, const unsigned char **out, size_t *len)
{
	const unsigned char *p = z->p, *data;
	uint32_t ulen, clen, f;
	struct sums s;
	size_t at, nsums;

	if (z->pending)
		return z->pending;
	if (z->done)
		return 0;
	pthread_once(&lzo_once, lzo_setup);
	if (!lzo_ok)
		return fail(z, CS_ERR_UNSUPPORTED, 0, "liblzo2 failed its own start-up check");
	for (;;) {
		if (!z->in_member) {
			size_t left = z->n - z->pos;

			if (left == 0 && z->members) {
				z->done = 1;
				return 0;
			}
			if (left < CS_LZOP_MAGIC_LEN && z->members &&
			    memcmp(p + z->pos, CS_LZOP_MAGIC, left) == 0)
				return fail(z, CS_ERR_PARSE, z->pos,
				            "cut short in the magic of an lzop member at byte %zu", z->pos);
			if (!cs__lzop_is(p + z->pos, left)) {
				if (!z->members)
					return fail(z, CS_ERR_PARSE, 0, "not an lzop stream");
				z->done = 1; /* what follows is not ours */
				return 0;
			}
			if (read_header(z))
				return z->pending;
		}
		at = z->pos;
		if (need(z, 4, "an lzop block header"))
			return z->pending;
		ulen = be32(p + at);
		if (ulen == 0) {
			z->pos += 4;
			z->in_member = 0;
			z->end = z->pos;
			continue;
		}
		if (ulen > CS_LZOP_BLOCK_MAX)
			return fail(z, CS_ERR_PARSE, at,
			            "lzop block at byte %zu claims %lu bytes (lzop's limit is %zu)", at,
			            (unsigned long)ulen, CS_LZOP_BLOCK_MAX);
		f = z->flags;
		if (need(z, 8, "an lzop block header"))
			return z->pending;
		clen = be32(p + at + 4);
		if (clen == 0 || clen > ulen)
			return fail(z, CS_ERR_PARSE, at,
			            "lzop block at byte %zu: %lu compressed bytes for %lu", at,
			            (unsigned long)clen, (unsigned long)ulen);
		memset(&s, 0, sizeof(s));
		nsums = !!(f & F_ADLER32_D) + !!(f & F_CRC32_D);
		if (clen < ulen)
			nsums += !!(f & F_ADLER32_C) + !!(f & F_CRC32_C);
		z->pos = at + 8;
		if (need(z, nsums * 4 + clen, "an lzop block"))
			return z->pending;
		z->pos = at + 8;
		if (f & F_ADLER32_D) {
			s.d_adler = be32(p + z->pos);
			z->pos += 4;
		}
		if (f & F_CRC32_D) {
			s.d_crc = be32(p + z->pos);
			z->pos += 4;
		}
		if ((f & F_ADLER32_C) && clen < ulen) {
			s.c_adler = be32(p + z->pos);
			s.has_c_adler = 1;
			z->pos += 4;
		}
		if ((f & F_CRC32_C) && clen < ulen) {
			s.c_crc = be32(p + z->pos);
			s.has_c_crc = 1;
			z->pos += 4;
		}
		data = p + z->pos;
		z->pos += clen;
		if ((s.has_c_adler && sum(0, data, clen) != s.c_adler) ||
		    (s.has_c_crc && sum(1, data, clen) != s.c_crc))
			return fail(z, CS_ERR_PARSE, at,
			            "lzop block at byte %zu: the checksum of its compressed data does not "
			            "hold",
			            at);
		if (ulen > budget)
			return fail(z, CS_ERR_TOOBIG, at,
			            "lzop block at byte %zu claims %lu bytes, past the %llu left under the "
			            "caps",
			            at, (unsigned long)ulen, (unsigned long long)budget);
		if (clen == ulen) {
			*out = data; /* stored */
		} else {
			lzo_uint got = ulen;
			int r;

			if (z->cap < ulen) {
				unsigned char *q = realloc(z->buf, ulen);

				if (!q)
					return fail(z, CS_ERR_NOMEM, at, "out of memory");
				z->buf = q;
				z->cap = ulen;
			}
			r = lzo1x_decompress_safe(data, clen, z->buf, &got, NULL);
			if (r != LZO_E_OK || got != ulen)
				return fail(z, CS_ERR_PARSE, at,
				            "lzop block at byte %zu does not decompress (liblzo2 error %d, "
				            "%lu of %lu bytes)",
				            at, r, (unsigned long)got, (unsigned long)ulen);
			*out = z->buf;
		}
		*len = ulen;
		z->blocks++;
		z->out += ulen;
		/* A block whose content checksum fails is still handed out: its
		 * bytes are scanned, and the damage is the next call's answer. */
		if (((f & F_ADLER32_D) && sum(0, *out, ulen) != s.d_adler) ||
		    ((f & F_CRC32_D) && sum(1, *out, ulen) != s.d_crc))
			fail(z, CS_ERR_PARSE, at,
			     "lzop block at byte %zu: the checksum of its %lu decompressed bytes does "
			     "not hold",
			     at, (unsigned long)ulen);
		return 1;
	}
}

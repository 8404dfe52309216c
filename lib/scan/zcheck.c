/*
 * compress (.Z) streams: where the first one ends and whether it ends
 * whole (zcheck_int.h). Only the code widths, the clears and the number
 * of table entries are followed, never the table itself: no memory, one
 * pass, and the same rules as the decoders (libarchive, gzip, ncompress).
 */
#include <stdint.h>
#include <string.h>

#include "scan/zcheck_int.h"

#define TRIAL_DEPTH 8 /* streams tried inside a stream being tried: a deeper end is taken */

struct ctx {
	const unsigned char *p;
	unsigned tries;
	int gave_up;
};

/* A magic and a flags byte compress writes: 9 to 16 bits, the two
 * reserved bits clear. */
static int header_at(const unsigned char *p, size_t i, size_t hi)
{
	unsigned b;

	if (i + 3 > hi || p[i] != 0x1f || p[i + 1] != 0x9d)
		return 0;
	b = p[i + 2] & 0x1f;
	return !(p[i + 2] & 0x60) && b >= 9 && b <= 16;
}

static size_t next_header(const unsigned char *p, size_t from, size_t hi)
{
	while (from + 3 <= hi) {
		const unsigned char *q = memchr(p + from, 0x1f, hi - from - 2);

		if (!q)
			break;
		from = (size_t)(q - p);
		if (header_at(p, from, hi))
			return from;
		from++;
	}
	return hi;
}

/* Whether a stream may end at bit `to` (a byte boundary) after a last
 * code ending at bit `from`: fewer than 8 bits between, all zero. */
static int ends_whole(const unsigned char *p, uint64_t from, uint64_t to)
{
	unsigned l;

	if (to < from || to - from >= 8)
		return 0;
	l = (unsigned)(to - from);
	return l == 0 || (p[to / 8 - 1] >> (8 - l)) == 0;
}

static uint32_t bits_at(const unsigned char *p, uint64_t pos, unsigned nb, size_t hi)
{
	size_t b = (size_t)(pos / 8), i;
	uint32_t v = 0;

	for (i = 0; i < 3 && b + i < hi; i++)
		v |= (uint32_t)p[b + i] << (8 * i);
	return (v >> (pos % 8)) & ((1u << nb) - 1);
}

/* Codes come in groups of nb bytes (8 codes); a change of width or a
 * clear skips to the end of the group. */
static uint64_t group_end(uint64_t pos, uint64_t origin, unsigned nb)
{
	uint64_t g = (uint64_t)nb * 8;

	return origin + (pos - origin + g - 1) / g * g;
}

/*
 * The stream at [lo, hi). Before each code, every further header the
 * code would cross is a possible end: taken when the stream could end
 * whole there and a stream from there reads as valid codes for up to
 * CS__Z_TRIAL bytes (or to its own end whole at yet another header).
 */
static void check(struct ctx *c, size_t lo, size_t hi, int depth, struct cs__zcheck *r)
{
	const unsigned char *p = c->p;
	uint64_t total = (uint64_t)hi * 8, pos, origin, last;
	uint32_t next, maxcode = 511, maxmax;
	unsigned nb = 9, maxbits;
	int block, old = -1;
	size_t cand;

	memset(r, 0, sizeof(*r));
	r->end = hi;
	if (!header_at(p, lo, hi)) {
		r->status = CS__Z_HEADER;
		r->at = lo;
		return;
	}
	maxbits = p[lo + 2] & 0x1fu;
	block = (p[lo + 2] & 0x80) != 0;
	maxmax = 1u << maxbits;
	next = block ? 257 : 256;
	origin = pos = last = (uint64_t)(lo + 3) * 8;
	cand = next_header(p, lo + 3, hi);
	for (;;) {
		uint32_t code;

		if (next > maxcode) {
			pos = origin = group_end(pos, origin, nb);
			nb++;
			maxcode = nb == maxbits ? maxmax : (1u << nb) - 1;
		}
		while (cand < hi && (uint64_t)cand * 8 < pos + nb) {
			if (ends_whole(p, last, (uint64_t)cand * 8)) {
				struct cs__zcheck t;

				if (depth >= TRIAL_DEPTH) {
					/* a chain of streams each valid up to the next */
					r->end = cand;
					return;
				}
				if (c->tries >= CS__Z_TRIES) {
					c->gave_up = 1;
					cand = hi;
					break;
				}
				c->tries++;
				check(c, cand, hi - cand > CS__Z_TRIAL ? cand + CS__Z_TRIAL : hi,
				      depth + 1, &t);
				if (t.status == CS__Z_CLEAN || t.status == CS__Z_CUT) {
					r->end = cand;
					return;
				}
			}
			cand = next_header(p, cand + 1, hi);
		}
		if (pos + nb > total)
			break;
		code = bits_at(p, pos, nb, hi);
		pos += nb;
		if (code == 256 && block) {
			/* the padding after a clear is no code: a stream cut in it
			 * is cut after the clear */
			next = 256;
			last = pos;
			pos = origin = group_end(pos, origin, nb);
			nb = 9;
			maxcode = 511;
			continue;
		}
		if ((old < 0 && code >= 256) || code > next) {
			r->status = CS__Z_INVALID;
			r->at = (size_t)((pos - nb) / 8);
			return;
		}
		if (old >= 0 && next < maxmax)
			next++;
		old = (int)code;
		last = pos;
	}
	if (!ends_whole(p, last, total)) {
		r->status = CS__Z_CUT;
		r->at = (size_t)((last + 7) / 8);
		r->unused = (unsigned)(total - last);
	}
}

void cs__zcheck(const unsigned char *p, size_t n, struct cs__zcheck *r)
{
	struct ctx c = {p, 0, 0};

	check(&c, 0, n, 0, r);
	r->tries = c.tries;
	r->gave_up = c.gave_up;
}

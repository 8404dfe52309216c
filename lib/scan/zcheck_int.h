/*
 * Private to the file sweep: what can be known of a compress (.Z) stream
 * without decompressing it (zcheck.c). libarchive decompresses it; this
 * says where it ends and whether it ends whole.
 *
 * compress has no end marker, length or checksum: its codes simply stop.
 * Two things still show. A valid stream ends on the byte after its last
 * code, the bits left in that byte zero (compress writes them so); a
 * stream cut short mostly leaves a part of a code behind (8 bits or more,
 * or bits that are not zero). And a second stream appended to the first
 * starts with the magic 1f 9d and a flags byte, right where the first
 * could end whole, and its own codes are valid LZW from there, which
 * random bytes almost never are for long. What cannot be told is a cut
 * that falls where a shorter stream would have ended: those bytes are a
 * valid .Z file of their own (docs/decisions.md).
 */
#ifndef CS_ZCHECK_INT_H
#define CS_ZCHECK_INT_H

#include <stddef.h>

enum cs__zstatus {
	CS__Z_CLEAN,   /* ends whole (at `end`) */
	CS__Z_CUT,     /* ends inside a code: `at` the byte after the last whole code */
	CS__Z_INVALID, /* a code no decoder accepts, in byte `at` */
	CS__Z_HEADER,  /* no 1f 9d magic, or a flags byte compress never writes */
};

#define CS__Z_TRIES 256 /* further headers tried (each on up to CS__Z_TRIAL bytes) */
#define CS__Z_TRIAL 4096

struct cs__zcheck {
	size_t end;                /* where the first stream ends: a further stream's start, or n */
	enum cs__zstatus status;   /* of the first stream, over [0, end) */
	size_t at;
	unsigned unused;           /* CS__Z_CUT: the bits left over after the last whole code */
	unsigned tries;            /* further headers tried */
	int gave_up;               /* more than CS__Z_TRIES: the rest were not tried */
};

/* Check the compress stream at [p, p+n). */
void cs__zcheck(const unsigned char *p, size_t n, struct cs__zcheck *r);

#endif

/*
 * Private to the file sweep: a reader of lzop streams (lzop.c), the
 * container parsed here and each block decompressed by liblzo2
 * (lzo1x_decompress_safe), so that no lzop program is ever run.
 *
 * An lzop file is one or more members, each a header (magic, versions,
 * method, level, flags, mode, mtime, name, and a checksum over them) and
 * blocks (uncompressed length, compressed length, the checksums its flags
 * ask for, the data), ended by a zero length. The members' contents are
 * handed out one block at a time as one stream, as `lzop -d` of a
 * concatenation would give. Every length is checked against the bytes
 * there are before anything is allocated; a block may not claim more than
 * 64 MiB (lzop's own limit) nor more than the caller's budget.
 */
#ifndef CS_LZOP_INT_H
#define CS_LZOP_INT_H

#include <stddef.h>
#include <stdint.h>

#define CS_LZOP_MAGIC     "\x89LZO\0\r\n\x1a\n"
#define CS_LZOP_MAGIC_LEN 9
#define CS_LZOP_BLOCK_MAX ((size_t)64 << 20)

struct cs__lzop {
	const unsigned char *p; /* the input, borrowed */
	size_t n;
	size_t pos;    /* the next byte to read */
	size_t end;    /* after the last member read whole (the stream's end at 0) */
	uint32_t flags; /* of the member being read */
	int in_member;  /* between a header and its end marker */
	int done;
	unsigned members; /* headers read */
	uint64_t blocks;  /* blocks handed out */
	uint64_t out;     /* bytes handed out */
	unsigned char *buf; /* the last decompressed block */
	size_t cap;
	int pending;       /* an error to return on the next call (after a block) */
	char err[200];     /* the damage, with its byte offset */
	size_t err_at;
};

/* 1 when [p, p+n) starts with the lzop magic. */
int cs__lzop_is(const void *p, size_t n);

/* Read the lzop stream in [p, p+n) (borrowed until _release). */
void cs__lzop_init(struct cs__lzop *z, const void *p, size_t n);
void cs__lzop_release(struct cs__lzop *z);

/*
 * The next block of decompressed bytes: 1 with *out and *len (valid until
 * the next call); 0 at the end of the last member, z->end then the offset
 * of the first byte after it (bytes after it that are not another member
 * are the caller's to look at). Errors, with z->err naming the byte
 * offset: CS_ERR_PARSE (damaged or cut short: a bad header, a length
 * past the data, a checksum that does not hold, data that does not
 * decompress to its stated length), CS_ERR_UNSUPPORTED (a method, filter
 * or multi-part member lzop itself does not read back), CS_ERR_TOOBIG (a
 * block claiming more than `budget` bytes: nothing allocated),
 * CS_ERR_NOMEM. After an error every call returns it again.
 */
int cs__lzop_next(struct cs__lzop *z, uint64_t budget, const unsigned char **out, size_t *len);

#endif

/*
 * libFuzzer target for the lzop reader (lib/scan/lzop.c).
 *
 * The first byte steers: bit 0, a valid member header (its checksum
 * right) is put before the rest, so that mutations reach the blocks; bits
 * 1-4, that header's flags ask for adler32/crc32 checksums of the
 * uncompressed and compressed data; bit 5, the budget is 64 KiB instead
 * of 1 MiB.
 *
 * Invariants: every block is non-empty, within lzop's 64 MiB and within
 * the budget left; the reader ends (0) or fails with a message and an
 * offset inside the input, and answers the same again after it; the end
 * offset is inside the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lzo/lzo1x.h>

#include "chainsweep/error.h"
#include "scan/lzop_int.h"

static size_t header(uint8_t *h, unsigned steer)
{
	static const uint32_t bits[4] = {0x1, 0x100, 0x2, 0x200};
	uint32_t flags = 0x03000000u, sum;
	size_t n = 0, i;

	memcpy(h, CS_LZOP_MAGIC, CS_LZOP_MAGIC_LEN);
	n = CS_LZOP_MAGIC_LEN;
	for (i = 0; i < 4; i++)
		if (steer & (2u << i))
			flags |= bits[i];
	h[n++] = 0x10; /* version 1.040 */
	h[n++] = 0x40;
	h[n++] = 0x20; /* library 2.0a */
	h[n++] = 0xa0;
	h[n++] = 0x09; /* needed 0.940 */
	h[n++] = 0x40;
	h[n++] = 1; /* LZO1X-1 */
	h[n++] = 3;
	for (i = 0; i < 4; i++)
		h[n++] = (uint8_t)(flags >> (24 - 8 * i));
	memset(h + n, 0, 12); /* mode, mtime low and high */
	n += 12;
	h[n++] = 1;
	h[n++] = 'x';
	sum = lzo_adler32(1, h + CS_LZOP_MAGIC_LEN, n - CS_LZOP_MAGIC_LEN);
	for (i = 0; i < 4; i++)
		h[n++] = (uint8_t)(sum >> (24 - 8 * i));
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs__lzop z;
	uint8_t *buf;
	size_t n = 0, len, steps = 0;
	uint64_t budget, left;
	unsigned steer;
	int r;

	if (size < 1)
		return 0;
	steer = data[0];
	data++;
	size--;
	buf = malloc(size + 64);
	if (!buf)
		return 0;
	if (steer & 1)
		n = header(buf, steer);
	memcpy(buf + n, data, size);
	n += size;
	budget = steer & 32 ? 65536 : 1 << 20;
	left = budget;
	cs__lzop_init(&z, buf, n);
	for (;;) {
		const unsigned char *p;

		r = cs__lzop_next(&z, left, &p, &len);
		if (r != 1)
			break;
		if (len == 0 || len > CS_LZOP_BLOCK_MAX || len > left || !p)
			__builtin_trap();
		left -= len;
		if (++steps > n + 1)
			__builtin_trap(); /* a block of output takes at least a byte of input */
	}
	if (r == 0) {
		if (z.end > n || z.out != budget - left)
			__builtin_trap();
	} else {
		if (!z.err[0] || z.err_at > n)
			__builtin_trap();
		if (cs__lzop_next(&z, left, NULL, NULL) != r)
			__builtin_trap();
	}
	cs__lzop_release(&z);
	free(buf);
	return 0;
}

/*
 * libFuzzer target for the 7z header check (lib/scan/sevenz_check.c).
 *
 * The first byte steers: bit 0 clear, the rest is the file as it is
 * (signature header and all, CRCs to be met); bit 0 set, the next two
 * bytes split the rest into a packed area and a next header, and a
 * signature header with valid CRCs is put before them, so that mutations
 * reach the header parser and the packed-header decoder rather than die
 * on a CRC. Bit 1 checks against a 1 MiB cap instead of 256 MiB.
 *
 * Invariants: a verdict in range; a bomb names a coder and a demand over
 * the cap; a message is terminated; the signature found lies inside the
 * input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "scan/sevenz_int.h"

static void put32(unsigned char *p, uint64_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs__7z_check r;
	unsigned char *buf;
	uint64_t cap;
	size_t n, k;
	unsigned steer;

	if (size < 3)
		return 0;
	steer = data[0];
	cap = steer & 2 ? (uint64_t)1 << 20 : (uint64_t)256 << 20;
	k = ((size_t)data[1] << 8 | data[2]) % (size - 3 + 1);
	data += 3;
	size -= 3;
	buf = malloc(size + 32);
	if (!buf)
		return 0;
	if (steer & 1) {
		memset(buf, 0, 32);
		memcpy(buf, "7z\xbc\xaf\x27\x1c\x00\x04", 8);
		memcpy(buf + 32, data, size);
		put32(buf + 12, k);
		put32(buf + 20, size - k);
		put32(buf + 28, crc32(0, buf + 32 + k, (uInt)(size - k)));
		put32(buf + 8, crc32(0, buf + 12, 20));
		n = size + 32;
	} else {
		memcpy(buf, data, size);
		n = size;
	}
	if (cs__7z_check(buf, n, cap, &r)) {
		if (r.status > CS__7Z_UNREAD || r.start >= n)
			__builtin_trap();
		if (r.status == CS__7Z_BOMB && (!r.coder || r.demand <= cap))
			__builtin_trap();
		if (memchr(r.why, 0, sizeof(r.why)) == NULL)
			__builtin_trap();
		if ((r.status == CS__7Z_BAD || r.status == CS__7Z_UNREAD) && !r.why[0])
			__builtin_trap();
	}
	free(buf);
	return 0;
}

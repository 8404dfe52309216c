/*
 * libFuzzer target for the compress (.Z) stream check (lib/scan/zcheck.c).
 *
 * The first byte steers: bit 0, a valid header (1f 9d 90) is put before
 * the rest; bit 1, the rest is also repeated after a second header, so
 * that mutations meet further headers where a stream may end.
 *
 * Invariants: the first stream ends inside the input and, when a further
 * stream was taken, on a header; the tries stay within their cap; the
 * offset of a cut or an invalid code is inside the input; a first stream
 * taken as ending at a further header is whole when checked again alone
 * (ending there or, its trials shorter, at an earlier header).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan/zcheck_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs__zcheck r, again;
	unsigned char *buf;
	size_t n = 0;
	unsigned steer;

	if (size < 1)
		return 0;
	steer = data[0];
	data++;
	size--;
	buf = malloc(size * 2 + 8);
	if (!buf)
		return 0;
	if (steer & 1) {
		memcpy(buf, "\x1f\x9d\x90", 3);
		n = 3;
	}
	memcpy(buf + n, data, size);
	n += size;
	if (steer & 2) {
		memcpy(buf + n, "\x1f\x9d\x90", 3);
		memcpy(buf + n + 3, data, size);
		n += size + 3;
	}
	cs__zcheck(buf, n, &r);
	if (r.end > n || r.tries > CS__Z_TRIES || r.at > n)
		__builtin_trap();
	if (r.end < n && (r.status != CS__Z_CLEAN || buf[r.end] != 0x1f || buf[r.end + 1] != 0x9d))
		__builtin_trap();
	if (r.end < n) {
		cs__zcheck(buf, r.end, &again);
		if (again.status != CS__Z_CLEAN || again.end > r.end)
			__builtin_trap();
	}
	free(buf);
	return 0;
}

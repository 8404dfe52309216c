/*
 * libFuzzer target for the payload reader of the YARA import cache
 * (read_yara.c, "yfile" entries): any bytes are either a whole payload
 * or refused, never read out of bounds. A whole payload checks the same
 * way twice (the reader keeps no state).
 */
#include <stddef.h>
#include <stdint.h>

#include "intel/intel_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int a = cs__yara_records_check(data, size);

	if (a != cs__yara_records_check(data, size))
		__builtin_trap();
	return 0;
}

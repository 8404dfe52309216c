/*
 * The check the intel reader fuzz targets share: every diagnostic has a
 * message and a position inside the input. fuzz_diag_begin() takes the
 * input's size and line count; fuzz_on_diag() is the diagnostic callback.
 */
#ifndef CS_FUZZ_DIAG_H
#define CS_FUZZ_DIAG_H

#include <stddef.h>
#include <stdint.h>

#include "chainsweep/intel.h"

static size_t fuzz_size, fuzz_lines;

static void fuzz_diag_begin(const uint8_t *data, size_t size)
{
	size_t i;

	fuzz_size = size;
	fuzz_lines = 0;
	for (i = 0; i < size; i++)
		fuzz_lines += data[i] == '\n';
}

static void fuzz_on_diag(void *ud, const struct cs_diag *d)
{
	(void)ud;
	if (!d->message || !d->message[0])
		__builtin_trap();
	if (d->line > fuzz_lines + 1 || d->column > fuzz_size + 1)
		__builtin_trap();
}

#endif

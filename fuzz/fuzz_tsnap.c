/*
 * libFuzzer target for the log hunt's snapshot payload (lib/match/tsnap.c
 * and the filter's part of it, cs__tfilter_load in textfilter.c): what a
 * hunt maps from the cache before it reads a log.
 *
 * The cache checks a SHA-256 over the entry before the payload is parsed,
 * so only a bug of ours or a hand-made file gets this far; the parser must
 * still refuse what does not add up (lengths past the end, masks that are
 * not 2^k - 1, prefix lengths out of range, fingerprints out of order, a
 * fingerprint table without a free slot) and never read outside the input
 * or loop. An accepted payload is probed as a hunt would probe it.
 *
 * Seeds in fuzz/corpus/tsnap: payloads written by chainsweep for small
 * intel sets (every kind the hunt matches).
 */
#include <stddef.h>
#include <stdint.h>

#include "match/match_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)cs__tsnap_check(data, size);
	return 0;
}

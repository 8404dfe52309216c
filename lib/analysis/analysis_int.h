/*
 * Private to lib/analysis and its tests and fuzzers.
 */
#ifndef CS_ANALYSIS_INT_H
#define CS_ANALYSIS_INT_H

#include <stddef.h>

#include "chainsweep/exposure.h"

/* Never open the SBOM files a relations file names (the fuzzer reads
 * only its input); they are reported as not read. */
void cs__exposure_set_no_files(struct cs_exposure *x, int on);
/* The nodes of the model, in the order they were added. */
size_t cs__exposure_node_count(const struct cs_exposure *x);
const char *cs__exposure_node_key(const struct cs_exposure *x, size_t i);

#endif /* CS_ANALYSIS_INT_H */

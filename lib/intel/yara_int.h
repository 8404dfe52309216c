/*
 * libyara glue shared by the import and the matchers (yara_rules.c).
 */
#ifndef CS_YARA_INT_H
#define CS_YARA_INT_H

#include <stddef.h>

#include <yara.h>

#include "core/core_int.h"

/* The externals signature-base and Loki rules use, declared as empty
 * strings when compiling and set per file when scanning; NULL-ended. */
extern const char *const cs__yara_external_names[];
/* Declare them on a compiler; libyara's error code. */
int cs__yara_externals(YR_COMPILER *c);
/* Compiled rules to a byte image (caller frees *out) and back; CS_OK or
 * an error. A loaded image must come from a trusted cache entry. */
int cs__yara_save(YR_RULES *rules, unsigned char **out, size_t *len);
int cs__yara_load(const unsigned char *p, size_t len, YR_RULES **out);
size_t cs__yara_count(YR_RULES *rules);

#endif /* CS_YARA_INT_H */

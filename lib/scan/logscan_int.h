/*
 * Private to the log retro-hunt (logs.c, logtime.c).
 */
#ifndef CS_LOGSCAN_INT_H
#define CS_LOGSCAN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "chainsweep/logs.h"
#include "core/core_int.h"

/* Time parsers: each reads at the start of [s, s+n), writes epoch
 * milliseconds and the bytes used; 0 on success, -1 otherwise. Zone-less
 * stamps are read at tz_min minutes east of UTC. */
int cs__time_iso(const char *s, size_t n, int tz_min, int64_t *ms, size_t *used);
int cs__time_3164(const char *s, size_t n, int year, int tz_min, int64_t *ms, size_t *used);
int cs__time_epoch(const char *s, size_t n, int64_t *ms, size_t *used);
int cs__time_web(const char *s, size_t n, int64_t *ms, size_t *used);
int cs__time_us(const char *s, size_t n, int tz_min, int64_t *ms, size_t *used);
/* Any of the above (after leading quotes, brackets and blanks). */
int cs__time_any(const char *s, size_t n, int year, int tz_min, int64_t *ms);

#endif /* CS_LOGSCAN_INT_H */

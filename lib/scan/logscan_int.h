/*
 * Private to the log retro-hunt (logs.c, logtime.c).
 */
#ifndef CS_LOGSCAN_INT_H
#define CS_LOGSCAN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "chainsweep/event.h"
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

/* Tests: called after each read() from a log's descriptor, with the bytes
 * read so far, so a test can change the file between two reads. */
struct cs__log_test {
	void (*after_read)(void *ud, int fd, uint64_t raw);
	void *ud;
	/* Differential tests: search every line with the reference matcher
	 * (cs__match_text_ref), with none of the fast path's skipping. */
	int reference;
	/* Fault injection: a hit found in a line returns this (say
	 * CS_ERR_NOMEM) as the hit's record would when memory runs out. */
	int hit_fails;
};

/* cs_log_scan() with a test hook (NULL for none). */
int cs__log_scan_test(const struct cs_matcher *m, const char *const *paths, size_t n,
                      const struct cs_log_opts *o, const struct cs__log_test *test,
                      struct cs_log_result *res);
/* cs_log_scan_mem() with a test hook (NULL for none). */
int cs__log_scan_mem_test(const struct cs_matcher *m, const char *name, const void *data,
                          size_t len, const struct cs_log_opts *o,
                          const struct cs__log_test *test, struct cs_log_result *res);

/* The fast line path (logfast.c): 1 only for a line jansson surely
 * accepts; the line with every JSON escape decoded into `out` (n bytes
 * at least), -1 for a broken escape. */
int cs__json_surely_valid(const char *s, size_t n);
int cs__json_unescape(const char *s, size_t n, char *out, size_t *outlen);
/* The number of '\n' in s[0, n) (AVX2 when the CPU has it). */
uint64_t cs__count_newlines(const char *s, size_t n);

/* A log's bytes, decompressed (logsrc.c): gzip, bzip2 and xz by their own
 * libraries, which give every byte before a damaged tail; other
 * compressions through libarchive; anything else as it is. The source
 * reads from `fd` (left open) or from memory (borrowed). */
struct cs__logsrc;
struct cs__logsrc *cs__logsrc_fd(int fd, const struct cs__log_test *test);
struct cs__logsrc *cs__logsrc_mem(const void *data, size_t len);
/* Up to n decoded bytes: > 0 bytes, 0 at the end, -1 on an error
 * (cs__logsrc_error() says which). Bytes decoded before an error are
 * returned first; the error comes with the next call. */
ptrdiff_t cs__logsrc_read(struct cs__logsrc *s, void *buf, size_t n);
const char *cs__logsrc_error(const struct cs__logsrc *s);
/* Pass over the next n decoded bytes: a plain file moves its offset, so
 * nothing is copied; anything else is decoded and dropped. Returns how
 * many were passed over (fewer at the end), or -1 on an error with
 * nothing passed over (an error after some is reported by the next call). */
ptrdiff_t cs__logsrc_skip(struct cs__logsrc *s, size_t n);
/* The first n (at most 64) decoded bytes, before any read: they are
 * handed out again by the next reads. Returns how many there are (fewer
 * at the end or before an error, which the next read after them reports). */
size_t cs__logsrc_peek(struct cs__logsrc *s, void *buf, size_t n);
/* Seconds spent decoding so far (0 for a plain source). */
double cs__logsrc_seconds(const struct cs__logsrc *s);
/* Bytes taken from the input so far; *at_eof: its end was seen. */
uint64_t cs__logsrc_raw(const struct cs__logsrc *s, int *at_eof);
void cs__logsrc_free(struct cs__logsrc *s);

/* Structured events from log lines (logevent.c). A builder owns the
 * fields of the last event it made; reset frees them. */
struct cs__evb {
	struct cs_event_field *f;
	size_t n, cap;
	char *channel, *provider, *host;
};
void cs__evb_reset(struct cs__evb *b);
void cs__evb_free(struct cs__evb *b);
int cs__evb_add(struct cs__evb *b, const char *name, size_t nn, const char *v, size_t vn,
                int is_null);
/* Each fills *e's fields (and, for Windows events, product, channel,
 * provider, event id, record id and host) from one record; the caller
 * sets file, line, offset and time. 0, or -1 when no field was found. */
struct json_t;
int cs__event_from_json(struct cs__evb *b, struct json_t *root, struct cs_event *e);
int cs__event_from_xml(struct cs__evb *b, const char *s, size_t n, struct cs_event *e);
int cs__event_from_row(struct cs__evb *b, const char *const *names, size_t ncols, char sep,
                       const char *s, size_t n, struct cs_event *e);

#endif /* CS_LOGSCAN_INT_H */

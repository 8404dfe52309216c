/*
 * chainsweep: the log retro-hunt.
 *
 * cs_log_scan() reads log files (plain text, syslog, JSON Lines, Zeek TSV
 * and JSON, CSV, web access logs, Windows/Sysmon events as JSON or XML),
 * compressed or not, and reports every line that names a domain, address,
 * network, URL, e-mail address or hash of the intel, with the event's own
 * time and source host. The matching semantics are in docs/log-hunt.md.
 * Lines are cut into chunks scanned by all threads; hits are delivered in
 * file order, one callback at a time.
 */
#ifndef CHAINSWEEP_LOGS_H
#define CHAINSWEEP_LOGS_H

#include <stddef.h>
#include <stdint.h>

#include "chainsweep/error.h"
#include "chainsweep/event.h"
#include "chainsweep/intel.h"
#include "chainsweep/scan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One hit. Pointers are valid during the callback only. */
struct cs_log_hit {
	const char *file;   /* as named ("-" for standard input) */
	const char *format; /* the reader that read the line */
	uint64_t line;      /* 1-based, in the (decompressed) stream */
	uint64_t offset;    /* byte offset of the match in the stream */
	int has_time;
	int64_t time_ms;       /* the event's time, epoch milliseconds (UTC) */
	const char *host;      /* the source host or address field, or NULL */
	int event_id;          /* Windows event id when the format has one, else 0 */
	enum cs_kind observed; /* what was seen: domain, ipv4, ipv6, url, email, md5... */
	const char *matched;   /* the text as it appears in the log */
	const struct cs_indicator *indicator;
};

typedef int (*cs_log_hit_fn)(void *userdata, const struct cs_log_hit *h);
/* One structured event (see chainsweep/event.h), valid during the call
 * only. It may be called from several scanning threads at once, and not
 * in file order (each event carries its file, line and offset): the
 * callback must be thread-safe. A non-zero return stops the scan. Events
 * are built only when this is set; lines longer than max_line are not
 * made into events. */
typedef int (*cs_log_event_fn)(void *userdata, const struct cs_event *e);

struct cs_log_opts {
	unsigned threads;           /* 0: one per core */
	const char *format;         /* force a reader (cs_log_formats()), NULL to sniff */
	int tz_minutes;             /* offset of zone-less stamps east of UTC */
	int64_t since_ms, until_ms; /* keep hits whose event time is inside (0: open);
	                             * a hit without a time is kept */
	int within_validity;        /* keep only hits inside the indicator's validity */
	const char *const *fields;  /* JSON: only these (dotted) fields; NULL: all strings */
	size_t nfields;
	size_t max_line; /* longer lines are scanned in pieces (0: 1 MiB; at most 256 MiB) */
	/* Stop after max_runtime seconds (0: no limit), or as soon as
	 * *interrupt is non-zero (NULL: never; a signal handler may set it).
	 * What was left is counted in files_stopped; the result is then
	 * incomplete. */
	double max_runtime;
	const volatile int *interrupt;
	/* Called about twice a second from the reading thread (files begun,
	 * input bytes taken: compressed files count as on disk), or NULL. */
	cs_progress_fn on_progress;
	cs_log_hit_fn on_hit;
	cs_log_event_fn on_event; /* NULL: events are not built */
	cs_diag_fn on_diag;
	void *userdata;
};

void cs_log_opts_init(struct cs_log_opts *o);
/* Reader names, NULL-terminated. */
const char *const *cs_log_formats(void);

struct cs_log_result {
	uint64_t files;
	uint64_t lines;
	uint64_t bytes; /* after decompression */
	uint64_t hits;
	uint64_t bad_lines;  /* lines a structured reader could not parse (still scanned as text) */
	uint64_t long_lines; /* lines over max_line, scanned in pieces */
	uint64_t files_failed; /* could not be opened or read to the end */
	uint64_t filtered;     /* hits dropped by --since/--until/validity */
	uint64_t files_stopped; /* not read to the end, or not read, when it stopped early */
	int stopped; /* 0, or CS_COV_TIME_LIMIT / CS_COV_INTERRUPTED: why it stopped early */
	double seconds;
	int incomplete; /* some file was not read to its end */
};

/*
 * Scan files, folders (walked recursively, in name order, without
 * following symbolic links inside them) and "-" (standard input). A path
 * given is opened as given: a link is followed, a pipe or FIFO is read as
 * a stream. Returns CS_OK when
 * the scan ran (problems are in *res and the diagnostics), or the first
 * non-zero value the hit callback returned.
 */
int cs_log_scan(const struct cs_matcher *m, const char *const *paths, size_t n,
                const struct cs_log_opts *o, struct cs_log_result *res);

/* Scan a buffer as the content of a log file named `name` (compressed or
 * not: the content says). For tests and fuzzing. */
int cs_log_scan_mem(const struct cs_matcher *m, const char *name, const void *data, size_t len,
                    const struct cs_log_opts *o, struct cs_log_result *res);

#ifdef __cplusplus
}
#endif

#endif /* CHAINSWEEP_LOGS_H */

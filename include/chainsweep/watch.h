/*
 * chainsweep: watching a live host (docs/live-host.md).
 *
 * cs_watch_run() keeps a compiled matcher in memory and, as root, uses
 * fanotify: the execution of a file that matches a hash, name or YARA
 * indicator is denied (FAN_OPEN_EXEC_PERM), and files closed after a
 * write are scanned (FAN_CLOSE_WRITE), archives included. A hit can be
 * moved into a quarantine folder (cs_quarantine_*), from which it can be
 * restored with its bytes and mode. Without root it falls back to
 * inotify and detects only. The matcher can be replaced while watching
 * (a new intel version) without a moment unwatched.
 */
#ifndef CHAINSWEEP_WATCH_H
#define CHAINSWEEP_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include "chainsweep/error.h"
#include "chainsweep/intel.h"
#include "chainsweep/scan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the watcher did about a file. */
enum cs_watch_action {
	CS_WATCH_DENIED = 1,     /* its execution was refused */
	CS_WATCH_DETECTED = 2,   /* written and found (or executed, found too late: allowed) */
	CS_WATCH_QUARANTINED = 3 /* found, and moved into the quarantine folder */
};

/* A finding of the watcher: the file finding, what was done, the process
 * that executed or wrote the file (0 when unknown), and the quarantine
 * id when the file was moved. Valid during the callback. */
struct cs_watch_finding {
	const struct cs_file_finding *file;
	enum cs_watch_action action;
	int pid;
	const char *quarantine_id;
};
typedef int (*cs_watch_finding_fn)(void *userdata, const struct cs_watch_finding *f);

/* Asked about every `reload_seconds` from a thread of the watcher:
 * return 1 with *out set to a new matcher to use it from now on, 0 to
 * keep the current one. The old one is handed to `retire` while no scan
 * runs (scans wait for it to return), and is never used again. */
typedef int (*cs_watch_reload_fn)(void *userdata, const struct cs_matcher **out);
typedef void (*cs_watch_retire_fn)(void *userdata, const struct cs_matcher *old);

struct cs_watch_opts {
	const char *const *paths; /* folders (and their subfolders) or, with `mount`, mounts */
	size_t npaths;
	int mount;                  /* mark the whole mount of each path (fanotify) */
	unsigned decide_within_ms;  /* 0: 250 */
	int fail_closed;            /* a late decision denies (default: allows) */
	int no_deny;                /* detect only, even as root */
	int force_inotify;          /* the fallback, even as root (tests) */
	const char *quarantine_dir; /* NULL: no quarantine */
	uint64_t max_size;          /* files scanned up to this size (0: 64 MiB) */
	unsigned threads;           /* scanner threads (0: 2) */
	unsigned ignore_max;        /* kernel ignore marks kept at once (0: 4096) */
	/* Hand clean verdicts to the kernel as ignore marks (opt-in: the
	 * kernel was seen to let about 1 execution in 30,000 pass unasked
	 * after a write, docs/live-host.md). */
	int ignore_marks;
	double reload_seconds;      /* 0: 2 */
	cs_watch_reload_fn reload;
	cs_watch_retire_fn retire;
	const volatile int *stop;       /* the watcher returns once *stop is non-zero */
	cs_watch_finding_fn on_finding; /* called from scanner threads, one at a time */
	cs_diag_fn on_diag;
	void *userdata;
	/* Called once the marks are in place (tests wait for it). */
	void (*on_ready)(void *userdata, int fanotify);
};
void cs_watch_opts_init(struct cs_watch_opts *o);

struct cs_watch_stats {
	int fanotify;         /* 1: fanotify; 0: inotify, detect only */
	uint64_t exec_checks; /* executions decided */
	uint64_t exec_denied;
	uint64_t exec_late; /* decisions slower than decide_within: allowed (or denied) */
	uint64_t cache_hits, cache_misses;
	/* Clean verdicts handed to the kernel (an ignore mark on the file:
	 * its next executions are not asked about), and the marks removed
	 * again at an intel reload or when ignore_max was reached. */
	uint64_t ignore_marks, ignore_drops;
	uint64_t writes;    /* close-after-write events */
	uint64_t scanned;   /* files scanned */
	uint64_t coalesced; /* writes of a file already waiting to be scanned */
	uint64_t overflows; /* kernel queue overflows: events lost */
	uint64_t dropped;   /* events dropped because our own queue was full */
	uint64_t too_large; /* files over max_size: not scanned */
	uint64_t findings;
	uint64_t quarantined;
	uint64_t reloads;
	uint64_t errors;
};

/*
 * Watch until *o->stop. CS_OK, CS_ERR_INVALID (no path), CS_ERR_IO (no
 * mark could be placed), CS_ERR_NOMEM. `m` and the matchers the reload
 * gives must stay valid until retired (or until this returns).
 */
int cs_watch_run(const struct cs_matcher *m, const struct cs_watch_opts *o,
                 struct cs_watch_stats *st);

/*
 * Quarantine. cs_quarantine_file moves `path` into `dir` (created 0700
 * when missing; it must belong to the effective user and be closed to
 * others) as ID.bin with ID.json beside it (original path, mode, owner,
 * times, size, sha256, `why`); the file keeps its bytes, is made
 * unreadable to others in the folder, and its ID (the sha256 and a
 * counter) is written to id[idlen]. cs_quarantine_restore puts ID back
 * where it was (never over an existing file), with its mode, owner and
 * modification time, and writes the path to path[pathlen].
 */
int cs_quarantine_file(const char *dir, const char *path, const char *why, char *id, size_t idlen);
int cs_quarantine_restore(const char *dir, const char *id, char *path, size_t pathlen);

#ifdef __cplusplus
}
#endif

#endif /* CHAINSWEEP_WATCH_H */

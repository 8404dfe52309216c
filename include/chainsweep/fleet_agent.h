/*
 * chainsweep: what a fleet agent does on its own host, without the
 * network (docs/fleet.md, "The agent"): the journal of the hunts it
 * started and ended, the spool of messages waiting for the server, and
 * running one hunt as a child `chainsweep` on the agent's local case.
 *
 * A hunt id is [A-Za-z0-9_.:-]{1,64}; every function here refuses
 * another with CS_ERR_INVALID.
 */
#ifndef CHAINSWEEP_FLEET_AGENT_H
#define CHAINSWEEP_FLEET_AGENT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "chainsweep/error.h"
#include "chainsweep/report.h"
#include "chainsweep/store.h"
#include "chainsweep/fleet_wire.h"

#ifdef __cplusplus
extern "C" {
#endif


/*
 * The journal: an append-only text file, one line per event, each line
 * fsynced before the call returns:
 *
 *   start <hunt> <run> <epoch s>
 *   end <hunt> <run> <state> <epoch s>
 *
 * Opening reads it back. A last line without its newline (the agent died
 * while writing it) is cut off the file; it and any line that does not
 * parse are counted (cs_fleet_journal_skipped), never fatal. When the file
 * grows past the compaction size it is rewritten (temporary file, fsync,
 * rename, fsync of the folder) with one line per hunt: its newest state.
 */
struct cs_fleet_journal;
enum cs_fleet_hunt_state {
	CS_FLEET_HUNT_NONE = 0, /* never started */
	CS_FLEET_HUNT_STARTED,  /* started, no end: the agent died during a run */
	CS_FLEET_HUNT_ENDED     /* ended: never run again */
};
/* Default compaction size (bytes). */
#define CS_FLEET_JOURNAL_COMPACT_BYTES (1u << 20)

/* On failure *out may still receive a handle holding the message (read it
 * with cs_fleet_journal_errmsg, then close it). */
int cs_fleet_journal_open(const char *path, struct cs_fleet_journal **out);
void cs_fleet_journal_close(struct cs_fleet_journal *j);
const char *cs_fleet_journal_errmsg(const struct cs_fleet_journal *j);
/* Lines skipped at open (torn or invalid); `first` (may be NULL) gets a
 * message naming the file and line of the first, or "". */
uint64_t cs_fleet_journal_skipped(const struct cs_fleet_journal *j, const char **first);
/* Compact when the file exceeds `bytes` (0: the default). */
void cs_fleet_journal_set_compact_bytes(struct cs_fleet_journal *j, uint64_t bytes);
/* The hunt's state and its newest run number (0 when never started). */
int cs_fleet_journal_state(struct cs_fleet_journal *j, const char *hunt,
                           enum cs_fleet_hunt_state *state, int64_t *last_run);
/* The end state recorded for an ended hunt ("" otherwise); borrowed. */
const char *cs_fleet_journal_end_state(struct cs_fleet_journal *j, const char *hunt);
/* Record the start of the hunt's next run (last run + 1) and write it
 * to *run. An ended hunt is refused (CS_ERR_INVALID). */
int cs_fleet_journal_start(struct cs_fleet_journal *j, const char *hunt, int64_t *run);
/* Record the end of a run; `state` is [a-z]{1,16} (done, incomplete,
 * error, refused, ...). */
int cs_fleet_journal_end(struct cs_fleet_journal *j, const char *hunt, int64_t run,
                         const char *state);
/* Every hunt of the journal, in the order first seen; a non-zero return
 * from fn stops and is returned. */
typedef int (*cs_fleet_journal_fn)(void *userdata, const char *hunt, enum cs_fleet_hunt_state state,
                                   int64_t last_run);
int cs_fleet_journal_each(struct cs_fleet_journal *j, cs_fleet_journal_fn fn, void *userdata);

/*
 * The spool: a bounded on-disk FIFO of outgoing messages, one file per
 * message (written to a temporary name, fsynced, renamed, folder fsynced),
 * so that a kill -9 at any point loses no message put and not yet popped;
 * a message popped but whose deletion did not reach the disk is sent
 * again (at least once: its message id makes the resend harmless).
 *
 * A message is a "detail" (a finding or software row) or a status. When
 * a put would take the spool over max_bytes, details are dropped, those
 * of the oldest hunts first (hunts ordered by their oldest waiting
 * message; an incoming detail is dropped before the older details of its
 * own hunt), and counted per hunt in a file of the spool. Statuses are
 * never dropped: a status that does not fit even with every detail gone
 * is refused with CS_ERR_TOOBIG. A message file found damaged at open or
 * peek is deleted and counted (cs_fleet_spool_corrupt); when its header
 * could be read and it was a detail, it counts as dropped for its hunt.
 */
struct cs_fleet_spool;
struct cs_fleet_spool_item {
	uint64_t seq;
	const char *hunt;
	int is_detail;
	const char *subject;
	const char *msgid;
	const void *data;
	size_t len;
};
/* Caps: a subject and a message id are at most 255 bytes, a payload at
 * most CS_FLEET_SPOOL_MAX_DATA. */
#define CS_FLEET_SPOOL_MAX_DATA (16u << 20)

/* Creates `dir` (0700) when absent. On failure *out may hold the message. */
int cs_fleet_spool_open(const char *dir, uint64_t max_bytes, struct cs_fleet_spool **out);
void cs_fleet_spool_close(struct cs_fleet_spool *sp);
const char *cs_fleet_spool_errmsg(const struct cs_fleet_spool *sp);
/* CS_OK also when the message was dropped at once (a detail that does not
 * fit): cs_fleet_spool_dropped() then counts it. */
int cs_fleet_spool_put(struct cs_fleet_spool *sp, const char *hunt, int is_detail,
                       const char *subject, const char *msgid, const void *data, size_t len);
/* The oldest message: CS_OK with *item filled (borrowed until the next
 * call on sp), CS_ERR_EMPTY when there is none. */
int cs_fleet_spool_peek(struct cs_fleet_spool *sp, struct cs_fleet_spool_item *item);
/* Remove the oldest message (call once the server acknowledged it). */
int cs_fleet_spool_pop(struct cs_fleet_spool *sp);
/* Bytes on disk of the waiting messages, and how many wait. */
uint64_t cs_fleet_spool_bytes(const struct cs_fleet_spool *sp);
uint64_t cs_fleet_spool_count(const struct cs_fleet_spool *sp);
/* Details of the hunt dropped so far (kept across restarts). */
uint64_t cs_fleet_spool_dropped(const struct cs_fleet_spool *sp, const char *hunt);
/* Forget the hunt's drop count (once its last status is acknowledged). */
int cs_fleet_spool_forget(struct cs_fleet_spool *sp, const char *hunt);
/* Damaged message files deleted so far by this handle; `first` (may be
 * NULL) gets the message of the first, naming the file. */
uint64_t cs_fleet_spool_corrupt(const struct cs_fleet_spool *sp, const char **first);

/*
 * Running one hunt: the sweep as a child process of `exe` on the agent's
 * local case, niced, with the hunt's limits, its stdout and stderr in
 * work_dir/run.stdout and work_dir/run.stderr. The child is sent SIGTERM
 * (it then stops and records what it found, as at its own time limit)
 * when it outlives max_runtime_s + grace_s or when *stop becomes non-zero,
 * and SIGKILL grace_s later.
 *
 * Then the sweep it recorded is read from the case: its coverage, intel
 * version and whether it is incomplete; each finding whose last sweep is
 * that sweep is given to the callback (at most max_findings; the rest are
 * counted as dropped), then, when `software` was swept, each package row
 * whose last sweep it is (under the same cap, counted apart).
 */
struct cs_fleet_run_spec {
	const char *exe;                    /* the chainsweep binary */
	const char *db;                     /* the agent's local case */
	const char *host;                   /* the host name the case records */
	const char *root;                   /* the folder swept (NULL: "/") */
	int files, logs, software, rematch; /* rematch: match the inventory, read no file */
	int64_t max_runtime_s;              /* 0: none */
	double max_rate_mbps;               /* 0: none */
	int threads;                        /* 0: the child's default */
	uint64_t max_findings;              /* 0: no cap */
	const char *work_dir;               /* created when absent */
	int64_t grace_s;                    /* 0: 30 */
};

enum cs_fleet_run_state {
	CS_FLEET_RUN_DONE = 0,   /* the sweep looked everywhere (with or without findings) */
	CS_FLEET_RUN_INCOMPLETE, /* stopped (time limit, stop order) or could not look everywhere */
	CS_FLEET_RUN_ERROR       /* the sweep failed or recorded nothing */
};
/* "done", "incomplete", "error". */
const char *cs_fleet_run_state_name(enum cs_fleet_run_state s);

struct cs_fleet_run_result {
	enum cs_fleet_run_state state;
	int exit_code;         /* the child's exit status, or -signal when a signal ended it */
	int killed;            /* 1: we sent it a signal (time limit or stop) */
	int stopped;           /* 1: *stop was set */
	int64_t sweep;         /* the sweep it recorded in the case, 0 when none */
	char *coverage;        /* its coverage JSON (malloc'ed) or NULL */
	int64_t intel_version; /* the case's intel version the sweep used */
	uint64_t findings, findings_dropped;
	uint64_t software, software_dropped;
	int64_t started_ms, finished_ms; /* epoch ms */
	char detail[256];                /* why incomplete or error, or "" */
};
/* Frees what the result owns (the coverage); the struct stays. */
void cs_fleet_run_result_release(struct cs_fleet_run_result *res);

/* One detail of the sweep: exactly one of `finding` and `software` is set;
 * borrowed for the call. A non-zero return stops the run's reading and is
 * returned by cs_fleet_run. */
typedef int (*cs_fleet_finding_cb)(void *userdata, const struct cs_finding_rec *finding,
                                   const struct cs_software_rec *software);

/*
 * Run the hunt and fill *res (always, also on failure). Returns CS_OK when
 * the run has an outcome in res (done, incomplete, or error when the child
 * itself failed: its exit code and the last line of its stderr are in
 * res); a negative code, with `err` saying why, when the runner could not
 * do its part (a bad spec, the child could not be started, the case could
 * not be read, the callback failed).
 */
int cs_fleet_run(const struct cs_fleet_run_spec *spec, volatile sig_atomic_t *stop,
                 struct cs_fleet_run_result *res, cs_fleet_finding_cb on_finding, void *userdata,
                 char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* CHAINSWEEP_FLEET_AGENT_H */

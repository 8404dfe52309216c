/*
 * The chainsweep command-line tool: shared option parsing and output
 * helpers. Each subcommand lives in its own cmd_*.c file and is a thin
 * client of the public library API.
 */
#ifndef CS_CLI_H
#define CS_CLI_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "chainsweep/error.h"
#include "chainsweep/intel.h"
#include "chainsweep/store.h"

/* Exit codes, following grep and yara: 0 nothing found / success,
 * 1 findings, 2 error. */
enum { CS_EXIT_OK = 0, CS_EXIT_FOUND = 1, CS_EXIT_ERROR = 2 };
/* A sweep that found nothing but could not look everywhere it was asked
 * to: never reported as a clean 0. */
enum { CS_EXIT_INCOMPLETE = 3 };

/* Options every command understands. */
struct cli_global {
	const char *db;   /* --db PATH, or NULL for the default */
	int json;         /* --json */
	int quiet;        /* --quiet: no per-file notes */
	int verbose;      /* --verbose: every diagnostic */
	int no_cache;     /* --no-cache: compile the rules every time */
	int no_yara_variants; /* --no-yara-variants: every file gets every rule */
	int allow_slow_rules; /* --allow-slow-rules: keep rule files libyara calls slow */
	unsigned long long yara_variant_bytes; /* --yara-variant-bytes N (0: default) */
};


/* Give the intel the compiled-rules cache folder (none with --no-cache),
 * so that imported YARA files that compiled before are not compiled
 * again. Prints the error and returns -1 when out of memory. */
int cli_intel_cache(struct cs_intel *in, const struct cli_global *g);

/* Open the case database named by --db or the default; it must exist
 * (only an import or a sweep creates a case). Prints the error, naming
 * the path, and returns NULL on failure. */
struct cs_store *cli_open_store(const struct cli_global *g);
/* The same for commands that only read the case: opened read-only
 * (cs_store_opts.readonly) when it exists. */
struct cs_store *cli_open_store_ro(const struct cli_global *g);
/* How long a command waits for another one writing the case database
 * (saying so on stderr when it starts waiting). */
#define CLI_BUSY_TIMEOUT_MS 300000u
/* The same, creating the case (and its folder) when missing. */
struct cs_store *cli_create_store(const struct cli_global *g);

/* Run command c with --db naming the fleet's PostgreSQL database: the
 * reading commands on a private snapshot of it, the others refused
 * (cli/fleetdb.c). */
struct cli_command;
int cli_fleet_db_run(const struct cli_command *c, void *args, struct cli_global *g);

/*
 * The one progress line of every long command (cli/progress.c), on a
 * terminal only (not with --quiet or --json): items, bytes (of `total`,
 * with the share and an ETA, when known), rate, findings so far, time.
 */
struct cli_progress {
	const char *what; /* "scan files", "sweep: logs" */
	int enabled, shown;
	uint64_t total;   /* bytes to do, 0 when not known */
	uint64_t found;   /* findings so far (the caller counts) */
	const char *found_word; /* what `found` counts, NULL: "found" */
	double last;            /* `seconds` of the last line shown */
};
void cli_progress_init(struct cli_progress *p, const struct cli_global *g, const char *what);
void cli_progress_show(struct cli_progress *p, uint64_t items, const char *unit, uint64_t done,
                       double seconds);
void cli_progress_clear(struct cli_progress *p);
/* The bytes of the regular files named or below the folders named (not
 * following links): a log hunt's total, for its ETA. */
uint64_t cli_tree_bytes(const char *const *paths, size_t n);

/* Print a JSON value on one line to stdout, then free it. */
void cli_json_print(json_t *v);

/* Print an error message to stderr, prefixed "chainsweep: ". */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ISO 8601 UTC text of an epoch time into buf ("" for 0). */
const char *cli_time(long long t, char *buf, size_t len);
/* The same with milliseconds: "2023-03-29T12:00:01.123Z". */
const char *cli_time_ms(int64_t ms, char *buf, size_t len);

/*
 * Paths grouped by reason (what a sweep could not read, intel files it
 * could not use): every path is counted, the first `keep` of each reason
 * are kept (0: CLI_GAPS_KEEP_MAX). A path repeated right after itself
 * under the same reason counts once.
 */
#define CLI_GAPS_KEEP_MAX 100000
struct cli_gap {
	char *reason;
	char **paths;
	size_t n, cap;
	uint64_t total;
};
struct cli_gaps {
	struct cli_gap *v;
	size_t n, cap;
	size_t keep;
};
int cli_gaps_add(struct cli_gaps *gs, const char *reason, const char *path);
uint64_t cli_gaps_total(const struct cli_gaps *gs, const char *reason);
/* {"reason": {"count": N, "paths": [...]}, ...} */
json_t *cli_gaps_json(const struct cli_gaps *gs);
void cli_gaps_release(struct cli_gaps *gs);

/* Reasons under which intel files that could not be (fully) used are
 * listed: an entry or rule was rejected, or the file could not be read. */
#define CLI_INTEL_REJECTED "intel-rejected"
#define CLI_INTEL_UNREADABLE "intel-unreadable"

/* Diagnostics printer: the first few per file, all with --verbose. */
struct diag_state {
	const struct cli_global *g;
	char file[4096];
	unsigned shown;
	unsigned suppressed;
	json_t *json_diags; /* --json: collected per import */
	struct cli_gaps *bad; /* intel files not fully usable, or NULL */
	struct cli_progress *prog; /* a progress line to clear first, or NULL */
};
void cli_on_diag(void *ud, const struct cs_diag *d);
void cli_flush_suppressed(struct diag_state *ds);

/* Load the indicator set from the case database; prints errors. */
struct cs_intel *cli_load_intel(struct cs_store *st);
/* An indicator as JSON; `full` adds sources and terms. */
json_t *cli_indicator_json(const struct cs_intel *in, const struct cs_indicator *ind, int full);

/*
 * Text safe for a terminal and for JSON: valid UTF-8 is kept; control
 * characters (C0, DEL, C1, and the bidirectional override and isolate
 * marks), and bytes that are not UTF-8 become "\xNN" (each byte). The
 * result lives in `t` until the next call with it.
 *
 * cli_escape_path() escapes one-to-one, so that two different file names
 * never print (or key a finding) the same: a backslash that would
 * otherwise read as the start of an escape (one followed by 'x', by
 * another backslash or by an escaped byte) is doubled, while other
 * backslashes (Windows paths) are kept as they are. Paths use it;
 * cli_escape() is for other text, where a regex's "\\" should stay
 * readable.
 */
struct cli_text {
	char *p;
	size_t cap;
};
const char *cli_escape(struct cli_text *t, const char *s);
const char *cli_escape_path(struct cli_text *t, const char *s);
void cli_text_release(struct cli_text *t);
/* This host's name into buf ("localhost" when it has none); returns buf. */
const char *cli_this_host(char *buf, size_t len);
/*
 * cli_escape() into one of CLI_SAFE_SLOTS rotating buffers, for printing
 * intel text (values, labels, descriptions, notes), host names and
 * messages: up to that many may appear in one printf. NULL prints as "".
 * Callers must not run at the same time (the library serializes the
 * callbacks that print).
 */
#define CLI_SAFE_SLOTS 8
const char *cli_safe(const char *s);
/* For JSON: `s` itself when it is valid UTF-8 (jansson escapes control
 * characters), else a copy with the bytes that are not UTF-8 as "\xNN"
 * (json_string() refuses them, and the record would be lost). NULL stays
 * NULL. The same rotating buffers' rules as cli_safe(). */
const char *cli_utf8(const char *s);

/* "123", "64K", "500M", "2G" -> bytes; -1 when malformed: anything but
 * digits and one suffix (a sign, space, "0x"), or past 2^64-1. */
int cli_parse_size(const char *s, uint64_t *out);
/* A finite decimal number, all of `s` ("1.5", ".5"; not "nan", "inf",
 * "-1", " 1", "0x1p3"); -1 when malformed. */
int cli_parse_double(const char *s, double *out);

/*
 * The value `val` of option `opt`, for every numeric option: a whole
 * number (cli_opt_uint), a size with an optional K/M/G (cli_opt_size),
 * both within [min, max]; a finite number above 0 and at most `max`
 * (cli_opt_positive). On a bad value, print an error naming the option
 * and the value and return -1 (the command then exits 2).
 */
int cli_opt_uint(const char *opt, const char *val, uint64_t min, uint64_t max, uint64_t *out);
int cli_opt_size(const char *opt, const char *val, uint64_t min, uint64_t max, uint64_t *out);
int cli_opt_positive(const char *opt, const char *val, double max, double *out);
/* Import intel files into a fresh, finalized set (not saved); prints
 * diagnostics; NULL when a file cannot be read at all. Files that were
 * not fully usable are added to `bad` (may be NULL). */
struct cs_intel *cli_import_intel(char **files, size_t n, const struct cli_global *g,
                                  struct cli_gaps *bad);
/* Import into an existing set (not finalized, not saved), as above;
 * returns the number of --intel arguments that gave something usable. */
size_t cli_import_more(struct cs_intel *in, char **files, size_t n, const struct cli_global *g,
                       struct cli_gaps *bad);
/* Intel problems as text on stderr: "intel not fully usable: ..." with
 * the first few files (all with --verbose). */
void cli_print_intel_gaps(const struct cli_gaps *bad, const struct cli_global *g);

/* Set by SIGINT and SIGTERM once cli_catch_signals() ran: the sweeps
 * stop as with a time limit. A second signal ends the program. */
extern volatile int cli_interrupted;
void cli_catch_signals(void);
/* Monotonic seconds. */
double cli_now(void);

/* "2023-03-29[T10:00[:00]]" (UTC) or epoch seconds -> epoch ms; -1 when
 * malformed. */
int cli_parse_when(const char *s, int64_t *ms);

/* The bundled 3CX/JumpCloud intel pack: $CHAINSWEEP_INTEL_DIR, the
 * installed data folder, or the source tree; NULL when none has it. */
const char *cli_bundled_intel(void);

/* Add the OSV advisories imported into the case (the newest record of
 * each id) to `adv`; *records grows by the number read. CS_OK, or the
 * store's error (CS_ERR_NOMEM when the set ran out of memory). */
struct cs_advisories;
int cli_case_advisories(struct cs_store *st, struct cs_advisories *adv, uint64_t *records);

/* The intel a sweep uses: the --intel files when any (imported, not
 * saved; files not fully usable added to `bad`, may be NULL), else the
 * case database's set, opening *st when it is NULL. Finalized; NULL
 * (with the error printed) on failure. With `require`, the case must
 * exist and a set without any indicator is an error; without it (the
 * software sweep, which may use only OSV files) a missing case is
 * created. */
struct cs_intel *cli_sweep_intel(char **files, size_t n, const struct cli_global *g,
				 struct cs_store **st, struct cli_gaps *bad, int require);

/* The compiled-rules cache folder: $CHAINSWEEP_CACHE_DIR, else
 * $XDG_CACHE_HOME/chainsweep, else ~/.cache/chainsweep; "" with
 * --no-cache or when the path does not fit. */
const char *cli_cache_dir(const struct cli_global *g, char *buf, size_t len);
/* cs_matcher_new_opts with the cache folder; with --verbose, says on
 * stderr what the cache did. A rule file or regex the matcher leaves out
 * of the sweep (it does not compile with the others, libyara calls it
 * slow, Hyperscan refuses it) is added to `bad` (may be NULL) as intel
 * not fully used: the sweep is then incomplete. */
int cli_matcher_new(const struct cs_intel *in, const struct cli_global *g, cs_diag_fn diag,
                    void *ud, struct cli_gaps *bad, struct cs_matcher **out);

/*
 * Recording what `scan files` and `scan logs` print into the case, as a
 * sweep does: findings are collected as they are shown, then saved under
 * one sweep row of `host` (what: "files" or "logs"; coverage: the JSON
 * object kept with the row, borrowed). Save prints its error.
 */
struct cs_file_finding;
struct cs_log_hit;
struct cli_recorder;
struct cli_recorder *cli_recorder_new(const struct cli_global *g, const struct cs_intel *in,
                                      const char *host);
/* The intel hits refer to, for a recorder made before it was loaded
 * (scan logs from a snapshot). */
void cli_recorder_set_intel(struct cli_recorder *r, const struct cs_intel *in);
int cli_record_file(struct cli_recorder *r, const struct cs_file_finding *ff);
int cli_record_log(struct cli_recorder *r, const struct cs_log_hit *h);
struct cs_proc_finding;
int cli_record_proc(struct cli_recorder *r, const struct cs_proc_finding *pf);
int cli_recorder_save(struct cli_recorder *r, struct cs_store *st, const char *what,
                      json_t *coverage, int incomplete);
void cli_recorder_free(struct cli_recorder *r);

/*
 * Sigma rules in `scan logs` and `sweep` (cli/sigma.c). cli_sigma_new()
 * compiles the intel's Sigma rules (NULL when it holds none, or on error,
 * which it prints); cli_sigma_event() is the log reader's on_event (safe
 * from many threads); cli_sigma_each() hands over the hits gathered per
 * (log file, rule), sorted, with the first event's record and fields.
 */
struct cli_sigma;
struct cs_event;
struct cs_sigma_rule_info;
struct cli_sigma_finding {
	const char *file;
	uint64_t line, record_id, count;
	int event_id;
	const char *host;
	int has_time;
	int64_t first_ms, last_ms;
	const char *matched; /* "Field=value; ..." of the first event */
	const struct cs_sigma_rule_info *rule;
};
typedef int (*cli_sigma_fn)(void *ud, const struct cli_sigma_finding *f);
struct cli_sigma *cli_sigma_new(const struct cs_intel *in, const struct cli_global *g);
void cli_sigma_free(struct cli_sigma *s);
int cli_sigma_wanted(const struct cli_sigma *s);
int cli_sigma_event(struct cli_sigma *s, const struct cs_event *e);
int cli_sigma_each(struct cli_sigma *s, cli_sigma_fn fn, void *ud);
void cli_sigma_counts(const struct cli_sigma *s, uint64_t *events, uint64_t *fired,
                      uint64_t *usable);
struct cli_text;
json_t *cli_sigma_json(const struct cli_sigma_finding *f, struct cli_text *esc);
void cli_sigma_print(const struct cli_sigma_finding *f, struct cli_text *esc);
int cli_record_sigma(struct cli_recorder *r, const struct cli_sigma_finding *f);


/*
 * Processes (cmd_proc.c, docs/live-host.md). cli_proc_rec fills a finding
 * record from a process finding with an indicator (its strings malloc'ed,
 * freed as a sweep frees its findings; `process` too). cli_proc_summary
 * prints the counts. The options `sweep` shares with `scan processes` are
 * CLI_PROC_OPTS (opts.h).
 */
struct cs_proc_result;
int cli_proc_rec(const struct cs_intel *in, const char *host, const struct cs_proc_finding *pf,
                 struct cs_finding_rec *f);
void cli_proc_summary(const struct cs_proc_result *r, FILE *out);

#endif

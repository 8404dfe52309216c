/*
 * chainsweep: the case database.
 *
 * One SQLite file holds the indicator set with its sources, labels and
 * warninglists, versioned: every save is a new intel version, and every
 * indicator and source records the version that first brought it, so a
 * later sweep can say which intel produced a finding.
 */
#ifndef CHAINSWEEP_STORE_H
#define CHAINSWEEP_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "chainsweep/error.h"
#include "chainsweep/intel.h"
#include "chainsweep/report.h"
#include "chainsweep/scan.h"
#include "chainsweep/software.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cs_store;

/*
 * Open (creating if needed, with its parent folder) the case database at
 * `path`. On failure *out may still receive a handle that holds the
 * message (read it with cs_store_errmsg, then cs_store_close it).
 */
int cs_store_open(const char *path, struct cs_store **out);

/*
 * How cs_store_open_opts() opens the case database.
 *
 * `readonly`: open for reading only. Nothing is created or written: no
 * folder, no table, no schema upgrade, no journal-mode change, so a case
 * in a read-only file or folder, or another user's, can be read. A case
 * in write-ahead-log mode whose folder does not let its -shm/-wal files
 * be created, and that has no -wal file (no writer is at work), is read
 * as an immutable file. An older schema is refused (a write upgrades it);
 * the sweep and finding tables may be absent (nothing to read).
 *
 * `busy_timeout_ms`: how long to wait for another connection's write
 * transaction, at open and later (0: 10 s). `on_wait`, when set, is
 * called once each time such a wait begins, with the database path.
 */
typedef void (*cs_store_wait_fn)(void *userdata, const char *path);
struct cs_store_opts {
	int readonly;
	unsigned busy_timeout_ms;
	cs_store_wait_fn on_wait;
	void *userdata;
};
int cs_store_open_opts(const char *path, const struct cs_store_opts *opts,
		       struct cs_store **out);
void cs_store_close(struct cs_store *st);
const char *cs_store_errmsg(const struct cs_store *st);

/*
 * The default database path: $CHAINSWEEP_DB, else
 * $XDG_DATA_HOME/chainsweep/case.db, else ~/.local/share/chainsweep/case.db.
 * Writes into buf; returns CS_ERR_TOOBIG when it does not fit.
 */
int cs_store_default_path(char *buf, size_t len);

/* Load every indicator, source, label, warninglist and YARA source into
 * `intel` (which may already hold indicators: they merge). */
int cs_store_load_intel(struct cs_store *st, struct cs_intel *intel);

/*
 * Load by key (the log hunt at its first hit, docs/log-hunt.md): only the
 * indicators a hit needs, each exactly as cs_store_load_intel() and
 * cs_intel_finalize() give it (labels, sources in order, warninglist
 * marks), into a set that other threads may read while it grows.
 *
 * _begin readies `intel` (new and empty): the case's warninglists, and
 * room for every indicator of the case, so that none ever moves.
 * _key adds the indicators of (kind, value), or of every value of `kind`
 * when `value` is NULL, that the set does not hold yet; it may be called
 * from any thread, one call at a time. Not for compound indicators
 * (CS_ERR_INVALID). CS_OK, CS_ERR_DB (cs_store_errmsg()), CS_ERR_NOMEM,
 * CS_ERR_TOOBIG (more indicators than the case held at _begin).
 * _rest adds every indicator the set does not hold yet, in one pass as
 * cs_store_load_intel() reads them (for a hunt that hits so many keys
 * that reading them one by one would cost more); same returns.
 */
int cs_store_load_intel_begin(struct cs_store *st, struct cs_intel *intel);
int cs_store_load_intel_key(struct cs_store *st, struct cs_intel *intel, enum cs_kind kind,
                            const char *value);
int cs_store_load_intel_rest(struct cs_store *st, struct cs_intel *intel);

/*
 * Save the set as a new intel version (one transaction). `note` says what
 * was imported; `stats` (may be NULL) the import's counts; the set's
 * reject counters are recorded with the version. Writes the new version.
 */
int cs_store_save_intel(struct cs_store *st, struct cs_intel *intel, const char *note,
			const struct cs_import_stats *stats, int64_t *version);

/*
 * Optional, around an import into the set loaded from `st`: when the case
 * database holds no indicator yet (and `intel` is empty), begin opens the
 * save's transaction and starts a writer thread, and every indicator read
 * from then on is written while reading goes on. Nothing is visible to
 * other connections before cs_store_save_intel(st, intel, ...) commits
 * it; cs_store_import_abort() (or cs_store_close()) rolls it back. Until
 * then, `st` must not be used otherwise and `intel` must not be freed (the
 * writer reads its strings). Where the database is not empty,
 * begin does nothing and the save works as without it.
 */
int cs_store_import_begin(struct cs_store *st, struct cs_intel *intel);
void cs_store_import_abort(struct cs_store *st);

/*
 * A text that changes whenever the case's intel changes (an import or
 * any other save, an adopted bundle), and differs between cases: what
 * compiled forms of the intel are cached under (docs/log-hunt.md).
 * CS_OK with buf filled; CS_ERR_NOTFOUND when the case has none (no
 * intel version, or a read-only case from before stamps); CS_ERR_TOOBIG,
 * CS_ERR_DB.
 */
int cs_store_intel_stamp(struct cs_store *st, char *buf, size_t len);

/* One intel version, newest first through cs_store_versions(). */
struct cs_intel_version {
	int64_t id;
	int64_t created;      /* epoch seconds */
	const char *note;
	uint64_t files;
	uint64_t accepted;
	uint64_t rejected;
	uint64_t indicators;  /* size of the set after this version */
};
typedef int (*cs_version_fn)(void *userdata, const struct cs_intel_version *v);
/* Call fn for each version, newest first, at most `limit` (0 = all). */
int cs_store_versions(struct cs_store *st, size_t limit, cs_version_fn fn, void *userdata);

/*
 * Intel bundles (docs/fleet.md): the case's intel alone as a compact
 * SQLite file, and a case's intel replaced by a bundle's.
 *
 * _export writes (replacing) `out_path`: a copy of the case with every row
 * but the intel's removed (indicators, labels, sources, warninglists,
 * YARA and Sigma sources, OSV advisories, intel versions, import rejects
 * and partial files; no sweeps, findings, hosts, inventory or software).
 *
 * _adopt replaces every intel row of the case with the bundle's in one
 * transaction; sweeps, findings, hosts, inventory and software stay. A
 * file that is not an intact chainsweep case of this schema is refused
 * (CS_ERR_UNSUPPORTED) and the case is left as it was. The intel versions
 * become the bundle's; a cs_intel loaded before must be loaded again
 * (compiled rules are cached by their text, so nothing stale is reused).
 */
int cs_store_export_intel(struct cs_store *st, const char *out_path);
int cs_store_adopt_intel(struct cs_store *st, const char *bundle_path);
/* As _export, without the digest indicators (md5, sha1, sha256, sha512)
 * and their sources: the "lite" bundle a fleet re-match hunt adopts, its
 * digests coming from the hash index instead (docs/fleet.md). *kept gets
 * how many indicators, YARA and Sigma sources it keeps. */
int cs_store_export_intel_lite(struct cs_store *st, const char *out_path, uint64_t *kept);

/* Reject counts recorded with one version. */
typedef int (*cs_reject_fn)(void *userdata, const char *reason, uint64_t count);
int cs_store_version_rejects(struct cs_store *st, int64_t version, cs_reject_fn fn,
			     void *userdata);

/*
 * The files of one version whose reader stopped part-way (what was read
 * of them is in the version), with the reason; none for a whole import.
 */
typedef int (*cs_partial_fn)(void *userdata, const char *path, const char *reason);
int cs_store_version_partials(struct cs_store *st, int64_t version, cs_partial_fn fn,
			      void *userdata);

/*
 * OSV advisories imported into the case (`intel import`, docs/case-database.md):
 * the newest record (by `modified`) of each id, in id order, with its JSON
 * as read and where it came from. Strings are borrowed for the call.
 */
struct cs_advisory_row {
	const char *id;
	const char *modified;
	const char *path;     /* the file it was imported from */
	int64_t version;      /* the intel version that brought it */
	const char *json;
	size_t len;
};
typedef int (*cs_advisory_row_fn)(void *userdata, const struct cs_advisory_row *row);
int cs_store_advisories(struct cs_store *st, cs_advisory_row_fn fn, void *userdata);

struct cs_store_advisory_counts {
	uint64_t records;    /* rows: every (id, modified) kept */
	uint64_t ids;        /* advisories: the newest record of each id */
	uint64_t withdrawn;  /* of those, withdrawn */
	uint64_t malicious;  /* of those, MAL- (malicious package) records */
};
int cs_store_advisory_counts(struct cs_store *st, struct cs_store_advisory_counts *out);

/* The version that first brought (kind, value), 0 when unknown. */
int64_t cs_store_indicator_version(struct cs_store *st, enum cs_kind kind, const char *value);

/*
 * The file inventory, per host (docs/file-sweep.md). A sweep writes its
 * records between _begin and _end (one transaction; `commit` 0 rolls
 * back). `yara_digest` names the YARA rules the records were made with
 * (cs_matcher_yara_digest); it is kept with the host when committing.
 */
int cs_store_inventory_begin(struct cs_store *st, const char *host);
int cs_store_inventory_put(struct cs_store *st, const struct cs_file_record *r);
int cs_store_inventory_end(struct cs_store *st, int commit, const char *yara_digest);
/* Load a host's records into `inv` (sealed after) and the digest of the
 * rules they were made with into digest ("" when none). A host never
 * swept loads nothing. */
int cs_store_inventory_load(struct cs_store *st, const char *host, struct cs_inventory *inv,
			    char *digest, size_t digest_len);

/*
 * Sweeps and findings (docs/case-database.md). A sweep records its host,
 * time, the intel version in force, what it swept and its coverage (JSON
 * text). Findings are deduplicated per (host, kind, evidence, location,
 * indicator): a repeat widens first/last seen and adds to the count.
 */
int cs_store_sweep_begin(struct cs_store *st, const char *host, const char *what, int64_t *sweep);
int cs_store_sweep_end(struct cs_store *st, int64_t sweep, const char *coverage, int incomplete);
/* f->host is ignored: the sweep's host is used. */
int cs_store_finding_put(struct cs_store *st, int64_t sweep, const struct cs_finding_rec *f);
/* Findings, optionally of one host (NULL: all) and kind (0: all), with
 * the sweeps that first and last saw each. Labels are not stored with
 * findings: look the indicator up in the intel. */
typedef int (*cs_finding_fn_db)(void *userdata, const struct cs_finding_rec *f,
				int64_t first_sweep, int64_t last_sweep);
int cs_store_findings(struct cs_store *st, const char *host, int kind, cs_finding_fn_db fn,
		      void *userdata);

/* The last finished sweep of each host, in host order (not counting
 * software-only runs of `scan software`). */
struct cs_sweep_info {
	const char *host;
	int64_t id;
	int64_t started, finished; /* epoch seconds */
	int64_t intel_version;
	const char *coverage;      /* the JSON object the sweep recorded */
	int incomplete;
};
typedef int (*cs_sweep_fn)(void *userdata, const struct cs_sweep_info *s);
int cs_store_sweeps(struct cs_store *st, cs_sweep_fn fn, void *userdata);

/*
 * Restoring sweeps, findings and software recorded elsewhere (the fleet's
 * case in PostgreSQL, lib/fleet/pg.c) with their own times and counts.
 * Between _begin and _end (one transaction; `commit` 0 rolls back):
 * _sweep_restore records a finished sweep of s->host with s's started,
 * finished, intel version, coverage and incomplete flag (s->id is
 * ignored) and writes its id; _finding_restore records f (its host is
 * first_sweep's) with its count, first and last seen and sweeps, merging
 * into an existing row of the same fact as cs_store_finding_put does;
 * _software_restore records one package (its host is first_sweep's).
 */
struct cs_software_rec; /* below */
int cs_store_restore_begin(struct cs_store *st);
int cs_store_restore_end(struct cs_store *st, int commit);
int cs_store_sweep_restore(struct cs_store *st, const struct cs_sweep_info *s, const char *what,
			   int64_t *sweep);
int cs_store_finding_restore(struct cs_store *st, int64_t first_sweep, int64_t last_sweep,
			     const struct cs_finding_rec *f);
int cs_store_software_restore(struct cs_store *st, int64_t first_sweep, int64_t last_sweep,
			      const struct cs_software_rec *r);

/*
 * Installed software (docs/case-database.md): what a software sweep found
 * on a host, one row per (host, source file, ecosystem, name, version).
 * _save records every package of `ps` under the sweep (begun with
 * cs_store_sweep_begin, whose host it takes), in one transaction; a
 * package seen before keeps its row and gets this sweep as its last.
 */
int cs_store_software_save(struct cs_store *st, int64_t sweep, const struct cs_pkgset *ps);

/* One recorded package; strings valid during the callback only. */
struct cs_software_rec {
	const char *host;
	const char *source;    /* the file it was read from */
	const char *entry;     /* where inside, or NULL */
	const char *ecosystem; /* cs_ecosystem_name() */
	const char *name;
	const char *version;
	const char *purl, *platform, *vendor, *reader; /* or NULL */
	int64_t install_time;    /* epoch seconds, 0 when unknown */
	int install_time_source; /* enum cs_time_source */
	int64_t first_sweep, last_sweep;
	int64_t last_seen; /* when the last sweep that saw it finished (epoch s), or 0 */
	int current;       /* 1 when the host's latest software sweep saw it */
};
typedef int (*cs_software_rec_fn)(void *userdata, const struct cs_software_rec *r);
/* Every recorded package, of one host (NULL: all), by host, name and
 * version. A non-zero return from fn stops and is returned. */
int cs_store_software(struct cs_store *st, const char *host, cs_software_rec_fn fn,
		      void *userdata);

/*
 * Point lookups in the stored intel without loading it (analysis over a
 * store of millions of indicators, docs/analysis.md). A lookup handle
 * keeps its prepared statements and the label sets; it is not thread
 * safe. Everything a callback receives is borrowed for the call.
 */
struct cs_stored_source {
	int64_t file_id;
	const char *file;
	const char *format;
	uint64_t line;
	const char *ref;         /* STIX/MISP id, or NULL */
	const char *description; /* or NULL */
	const char *const *labels; /* the labels this source gave (schema 2) */
	size_t nlabels;
};
struct cs_stored_indicator {
	int64_t id;
	enum cs_kind kind;
	const char *value;
	unsigned flags;          /* CS_IND_*; CS_IND_WARNLISTED when a list names it */
	int confidence;          /* 0..100, -1 unknown */
	const char *const *labels; /* merged over its sources */
	size_t nlabels;
	const struct cs_stored_source *sources;
	size_t nsources;
};
typedef int (*cs_stored_fn)(void *userdata, const struct cs_stored_indicator *ind);
struct cs_store_lookup;
int cs_store_lookup_open(struct cs_store *st, struct cs_store_lookup **out);
void cs_store_lookup_close(struct cs_store_lookup *lk);
/* The indicator of exactly (kind, value); fn is not called when absent. */
int cs_store_lookup(struct cs_store_lookup *lk, enum cs_kind kind, const char *value,
		    cs_stored_fn fn, void *userdata);
/* Indicators of `kind` whose value starts with `prefix`, at most `limit`
 * (0 = no limit), in value order. */
int cs_store_lookup_prefix(struct cs_store_lookup *lk, enum cs_kind kind, const char *prefix,
			   size_t limit, cs_stored_fn fn, void *userdata);
/* Every indicator of `kind` (for the few kinds analysis scans, e.g. CIDR). */
int cs_store_lookup_kind(struct cs_store_lookup *lk, enum cs_kind kind, cs_stored_fn fn,
			 void *userdata);
/* How many sources each (file, label set) pair has: one pass over all
 * sources. `labels` as in cs_stored_source. */
typedef int (*cs_source_count_fn)(void *userdata, int64_t file_id, const char *file,
				  const char *const *labels, size_t nlabels, uint64_t count);
int cs_store_source_counts(struct cs_store_lookup *lk, cs_source_count_fn fn, void *userdata);
/* The store's total number of indicators. */
int cs_store_indicator_count(struct cs_store *st, uint64_t *n);

#ifdef __cplusplus
}
#endif

#endif /* CHAINSWEEP_STORE_H */

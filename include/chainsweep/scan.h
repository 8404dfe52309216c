/*
 * chainsweep: the file sweep.
 *
 * A struct cs_matcher is compiled once from a finalized indicator set:
 * the hash kinds the set holds, the exact file names and path tails, the
 * path and name regexes (one Hyperscan database each) and the YARA rules
 * (one libyara ruleset). It is read-only afterwards and shared by every
 * scanner thread.
 *
 * cs_scan_files() walks the given roots with a pool of threads. Each
 * regular file is read once; the same bytes feed the hashes the set needs,
 * YARA and, for archives, libarchive, whose members are scanned the same
 * way ("outer.zip!/dir/inner.dll"). Findings and diagnostics are delivered
 * through callbacks, one at a time (the library serialises the calls).
 * What was not fully scanned is counted by reason in struct
 * cs_scan_result; docs/file-sweep.md says what each reason means.
 */
#ifndef CHAINSWEEP_SCAN_H
#define CHAINSWEEP_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "chainsweep/error.h"
#include "chainsweep/intel.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cs_matcher;

/* Hash kinds, as a mask (cs_matcher_hashes). */
#define CS_HASH_MD5    0x1u
#define CS_HASH_SHA1   0x2u
#define CS_HASH_SHA256 0x4u
#define CS_HASH_SHA512 0x8u

/*
 * Compile the file-sweep matchers of a finalized set. Indicators that
 * cannot be compiled (a regex Hyperscan refuses, a YARA source that no
 * longer compiles) are reported through `diag` (may be NULL) and left
 * out; they never fail the whole matcher. `intel` must outlive the
 * matcher.
 */
int cs_matcher_new(const struct cs_intel *intel, cs_diag_fn diag, void *userdata,
                   struct cs_matcher **out);

/*
 * Options of cs_matcher_new_opts. `cache_dir`: a folder where compiled
 * YARA rules and Hyperscan databases are kept and reused by the next
 * matcher built from the same rules (docs/file-sweep.md, "Compiled
 * rules cache"); created 0700 when missing, used only when it and its
 * entries belong to the effective user and nobody else may write them.
 * NULL (the default): compile every time. The string is borrowed for
 * the call only.
 */
struct cs_matcher_opts {
	const char *cache_dir;
	/* YARA ruleset variants (docs/yara-variants.md): a file is scanned
	 * without the rules whose header test or size bound it fails.
	 * `no_yara_variants` turns them off; `yara_variant_bytes` is how many
	 * bytes of one class of files are seen before its variant is compiled
	 * (0: 32 MiB). */
	int no_yara_variants;
	uint64_t yara_variant_bytes;
	/* A rule file for which libyara warns that a string "may slow down
	 * scanning" (a regex or string with no good atom, which can hold a
	 * file for minutes whatever the timeout) is left out of the sweep and
	 * reported, unless this is set. The warning is reported either way. */
	int allow_slow_yara;
};
void cs_matcher_opts_init(struct cs_matcher_opts *o);
int cs_matcher_new_opts(const struct cs_intel *intel, const struct cs_matcher_opts *o,
                        cs_diag_fn diag, void *userdata, struct cs_matcher **out);
void cs_matcher_free(struct cs_matcher *m);

/*
 * The log hunt's start-up snapshot (docs/log-hunt.md, "Start-up"): what
 * cs_log_scan() needs of a matcher before its first hit, kept in the
 * compiled-rules cache under `stamp` (cs_store_intel_stamp(): it changes
 * with every change of the case's intel).
 *
 * _put stores it for a matcher built from the intel: CS_OK, or
 * CS_ERR_UNSUPPORTED when the intel holds what a hunt needs whole before
 * it starts (YARA or Sigma rules, regexes, compound indicators).
 *
 * _from_snapshot makes a matcher for cs_log_scan() only, from a stored
 * snapshot: CS_OK, CS_ERR_NOTFOUND (none for this stamp) or
 * CS_ERR_PARSE (one failed its checks: deleted; build from the intel).
 * Its intel is loaded through `load` (from a scanning thread, once) on
 * the first lookup the snapshot cannot rule out; the matcher then owns
 * it. A failed load stops the scan with the loader's error.
 * cs_matcher_intel() gives the intel: NULL while it is not loaded (no
 * hit can have been reported then).
 */
typedef int (*cs_intel_load_fn)(void *userdata, struct cs_intel **out);
int cs_matcher_snapshot_put(const struct cs_matcher *m, const char *cache_dir, const char *stamp);
int cs_matcher_from_snapshot(const char *cache_dir, const char *stamp, cs_intel_load_fn load,
                             void *userdata, struct cs_matcher **out);
const struct cs_intel *cs_matcher_intel(const struct cs_matcher *m);
/*
 * _from_snapshot_keyed: the same, but only what the hits need is loaded
 * (cs_store_load_intel_key()): at the first lookup the snapshot cannot
 * rule out, `open` makes the matcher's intel, empty and shared; then,
 * once per key, `key` adds the indicators of (kind, value) to it (with
 * value NULL: every indicator of `kind`, for CIDR networks). Both are
 * called from scanning threads, one call at a time, `key` holding the
 * intel's lock. `rest` (optional) adds every indicator not loaded yet:
 * called instead of more `key` calls once a hunt has read so many keys
 * one by one that the whole load would have been cheaper.
 * cs_matcher_intel() gives the intel from the first load on; it grows
 * while the hunt runs, and the indicators it handed out stay where they
 * are (read them through the accessors of intel.h).
 */
struct cs_intel_keyload {
	int (*open)(void *userdata, struct cs_intel **out);
	int (*key)(void *userdata, struct cs_intel *intel, enum cs_kind kind, const char *value);
	int (*rest)(void *userdata, struct cs_intel *intel);
};
int cs_matcher_from_snapshot_keyed(const char *cache_dir, const char *stamp,
                                   const struct cs_intel_keyload *kl, void *userdata,
                                   struct cs_matcher **out);
/* The hash kinds the set needs computed (CS_HASH_* mask). */
unsigned cs_matcher_hashes(const struct cs_matcher *m);
/* Names the YARA rules compiled in (hex SHA-256 of their sources), ""
 * without rules: recorded YARA results hold only under the same name. */
const char *cs_matcher_yara_digest(const struct cs_matcher *m);

/* What the compiled-matcher cache did for a matcher. */
enum cs_cache_state {
	CS_CACHE_OFF = 0,     /* no cache folder, or nothing to compile */
	CS_CACHE_HIT = 1,     /* loaded from the cache, not compiled */
	CS_CACHE_STORED = 2,  /* compiled, and kept for the next time */
	CS_CACHE_REBUILT = 3, /* an entry failed its checks: deleted, compiled, kept */
	CS_CACHE_FAILED = 4   /* compiled; the cache could not be written */
};

/* What the matcher holds, for the summary line. */
struct cs_matcher_info {
	size_t hashes;       /* hash indicators */
	size_t names;        /* exact names and path tails */
	size_t regexes;      /* path and name regexes compiled */
	size_t regexes_bad;  /* regexes left out */
	size_t yara_rules;   /* YARA rules compiled */
	size_t yara_sources; /* rule files compiled */
	size_t yara_bad;     /* rule files left out */
	size_t compounds;    /* compound file indicators (STIX [A AND B]) matched */
	size_t compounds_bad; /* compound file indicators left out (a term no file decides) */
	int yara_cache;      /* enum cs_cache_state of the YARA rules */
	int regex_cache;     /* the same for the regex databases (the worst of them) */
	/* Ruleset variants: rules that some files may skip, variants built
	 * or loaded so far, variants that failed their check, files scanned
	 * with a variant. */
	size_t yara_gated, yara_variants, yara_variants_failed;
	uint64_t yara_files_split;
};
void cs_matcher_info(const struct cs_matcher *m, struct cs_matcher_info *out);

/* What a finding rests on. */
enum cs_evidence {
	CS_EV_HASH = 1, /* the content's hash equals a hash indicator */
	CS_EV_NAME = 2, /* the base name or path tail equals a file name indicator */
	CS_EV_PATH = 3, /* a path or name regex matched */
	CS_EV_YARA = 4, /* a YARA rule matched the content */
	CS_EV_COMPOUND = 5 /* every term of a compound indicator's observations held */
};
const char *cs_evidence_name(enum cs_evidence ev);

/* One matched YARA string: its identifier, where, and up to
 * CS_YARA_EVIDENCE_MAX bytes of the match (`len` is the full length). */
#define CS_YARA_EVIDENCE_MAX 64
struct cs_yara_match {
	const char *id;
	uint64_t offset;
	uint64_t len;
	const uint8_t *data;
	size_t data_len;
};

/*
 * A finding. Every pointer is valid during the callback only. Archive
 * members have `path` "outer.zip!/dir/inner.dll"; `member_depth` is 0 for
 * a file on disk. Hashes are lower-case hex, or NULL when not computed
 * (the set needed no such kind, or the object was not read).
 */
struct cs_file_finding {
	enum cs_evidence evidence;
	const struct cs_indicator *indicator;
	const char *matched; /* hash, name, path or rule identifier */
	const char *path;
	unsigned member_depth;
	uint64_t size;
	int64_t mtime;  /* epoch seconds; archive members: the entry's time */
	int64_t ctime;  /* 0 for archive members */
	uint64_t inode; /* 0 for archive members */
	const char *md5, *sha1, *sha256, *sha512;
	const char *yara_namespace;
	size_t nstrings;
	const struct cs_yara_match *strings;
	int partial; /* the object changed or was cut while it was read */
};

/* Coverage counters. Reasons that mean "asked for, not (fully) swept"
 * make the sweep incomplete (cs_scan_reason_gap). A diagnostic about an
 * object counted under a reason carries that reason's name
 * (cs_scan_reason_name) as its `reason`. */
enum cs_scan_reason {
	CS_COV_FILES = 0,         /* regular files found */
	CS_COV_SCANNED,           /* files read to the end */
	CS_COV_BYTES,             /* bytes read (files and members) */
	CS_COV_DIRS,              /* folders walked */
	CS_COV_MEMBERS,           /* archive members scanned */
	CS_COV_SKIP_SYMLINK,      /* symbolic links (never followed) */
	CS_COV_SKIP_SPECIAL,      /* FIFOs, sockets, devices */
	CS_COV_SKIP_PSEUDO_FS,    /* /proc, /sys, /dev and their kind */
	CS_COV_SKIP_OTHER_FS,     /* mount points of other filesystems */
	CS_COV_SKIP_EXCLUDED,     /* by --exclude / --include */
	CS_COV_SKIP_TOO_LARGE,    /* over --max-size */
	CS_COV_DENIED,            /* permission denied (files and folders) */
	CS_COV_VANISHED,          /* gone between listing and opening */
	CS_COV_CHANGED,           /* changed while being read */
	CS_COV_READ_ERROR,        /* I/O errors */
	CS_COV_YARA_TOO_LARGE,    /* hashed and named, but over the YARA size cap */
	CS_COV_YARA_TIMEOUT,      /* a YARA scan timed out */
	CS_COV_YARA_TOO_MANY,     /* a YARA string matched too often */
	CS_COV_YARA_ERROR,        /* other YARA scan errors */
	CS_COV_ARCHIVE_CORRUPT,   /* archives that could not be read to the end */
	CS_COV_ARCHIVE_ENCRYPTED, /* encrypted members */
	CS_COV_ARCHIVE_BOMB,      /* archives stopped by a size or ratio cap */
	CS_COV_ARCHIVE_DEPTH,     /* archives nested deeper than the cap */
	CS_COV_ARCHIVE_MEMBERS,   /* archives with more members than the cap */
	CS_COV_TIME_LIMIT,        /* not swept: --max-runtime reached */
	CS_COV_DEEP_PATH,         /* folders nested deeper than the walker goes */
	CS_COV_UNCHANGED,         /* matched from the inventory without reading */
	CS_COV_INVENTORY_NO_HASH, /* inventory records without a hash kind the intel needs */
	CS_COV_INTERRUPTED,       /* not swept: the caller's interrupt flag was set */
	CS_COV_NREASONS
};
const char *cs_scan_reason_name(enum cs_scan_reason r);
/* 1 when files counted under `r` were asked for but not fully swept. */
int cs_scan_reason_gap(enum cs_scan_reason r);

struct cs_scan_result {
	uint64_t count[CS_COV_NREASONS];
	uint64_t findings;
	double seconds;
	int incomplete; /* some gap reason is non-zero */
	/* Workers still inside libyara when the time limit (or an interrupt)
	 * had passed by a grace period were left running: their files are
	 * counted as gaps, no callback comes from them any more, and the
	 * matcher and the intel it was built from must then never be freed
	 * (the process should finish and exit). */
	int abandoned;
};

/* Progress, called from one thread about twice a second. */
struct cs_scan_progress {
	uint64_t files;
	uint64_t bytes;
	double seconds;
	const char *current;
};

/*
 * The file inventory: what a sweep learned about each object it read (or
 * matched unchanged), so that new hash and name intel can be matched
 * later without reading a file again (docs/file-sweep.md).
 */
struct cs_file_record {
	const char *path;
	unsigned member_depth;
	uint64_t size;
	int64_t mtime;
	int64_t mtime_ns;
	int64_t ctime;
	uint64_t inode;
	const char *md5, *sha1, *sha256, *sha512; /* NULL when not computed */
	/* YARA rules that matched, one "namespace\trule\n" line each, or
	 * NULL when no YARA scan ran. */
	const char *yara;
	/* The gaps met reading the file and its members (bit 1 << reason for
	 * each reason cs_scan_reason_gap() names): a file that was not fully
	 * looked at is read again by the next sweep, and counted as a gap
	 * again by a sweep from the inventory. 0 for members; CS_GAPS_UNKNOWN
	 * for a record written before chainsweep kept gaps. */
	uint64_t gaps;
};
#define CS_GAPS_UNKNOWN (UINT64_C(1) << 63)

struct cs_inventory;
struct cs_inventory *cs_inventory_new(void);
void cs_inventory_free(struct cs_inventory *inv);
/* Copy a record in. Call cs_inventory_seal() after the last one. */
int cs_inventory_add(struct cs_inventory *inv, const struct cs_file_record *r);
/* Sort for lookups; the inventory is read-only (and thread-safe) after. */
void cs_inventory_seal(struct cs_inventory *inv);
size_t cs_inventory_count(const struct cs_inventory *inv);
/* The i-th record (0 <= i < count), in path order once sealed. */
const struct cs_file_record *cs_inventory_at(const struct cs_inventory *inv, size_t i);
/* The record of `path`, or NULL. */
const struct cs_file_record *cs_inventory_find(const struct cs_inventory *inv, const char *path);

typedef int (*cs_finding_fn)(void *userdata, const struct cs_file_finding *f);
typedef int (*cs_file_fn)(void *userdata, const struct cs_file_record *r);
typedef void (*cs_progress_fn)(void *userdata, const struct cs_scan_progress *p);

struct cs_scan_opts {
	unsigned threads;           /* 0: one per core */
	int one_filesystem;         /* do not cross into other filesystems (default 1) */
	int keep_cache;             /* do not drop the page cache of what we read */
	uint64_t max_size;          /* skip files larger than this (0: no cap) */
	uint64_t yara_max_size;     /* YARA only up to this size (0: 256 MiB) */
	double max_rate;            /* MB/s read cap over all threads (0: none) */
	double max_runtime;         /* seconds (0: none) */
	/* Stop as soon as *interrupt is non-zero (NULL: never). A signal
	 * handler may set it; the sweep then ends as with a time limit,
	 * counting what it left under CS_COV_INTERRUPTED. */
	const volatile int *interrupt;
	int yara_timeout;           /* seconds per object (0: 60) */
	const char *const *include; /* globs over the path; NULL or empty: all */
	size_t ninclude;
	const char *const *exclude;
	size_t nexclude;
	/* Archives. */
	unsigned archive_depth;       /* 0: 4; nesting levels descended */
	uint64_t archive_max_members; /* 0: 100000 per archive */
	uint64_t archive_max_bytes;   /* 0: 1 GiB expanded per top-level file */
	uint64_t archive_max_ratio;   /* 0: 200; expanded / compressed */
	int no_archives;              /* do not descend */
	/* Inventory. Files whose size, mtime, ctime and inode equal their
	 * record in `known` are not read again: their hashes and names are
	 * matched from the record (CS_COV_UNCHANGED), and their YARA results
	 * too when `known_yara_valid` says the rules are the ones the
	 * records were made with; otherwise, with YARA rules loaded, they are
	 * read again. */
	const struct cs_inventory *known;
	int known_yara_valid;
	cs_file_fn on_file; /* every object swept (may be NULL) */
	cs_finding_fn on_finding;
	cs_diag_fn on_diag;
	cs_progress_fn on_progress;
	void *userdata;
};

/* Defaults for every field (callbacks NULL). */
void cs_scan_opts_init(struct cs_scan_opts *o);

/*
 * Sweep the roots (files or folders). Roots themselves are followed when
 * they are symbolic links; nothing below them is. Returns CS_OK when the
 * sweep ran (findings and gaps are in *res), CS_ERR_INVALID for bad
 * options, CS_ERR_NOMEM, or the first non-zero value a callback returned
 * (which stops the sweep).
 */
int cs_scan_files(const struct cs_matcher *m, const char *const *roots, size_t nroots,
                  const struct cs_scan_opts *o, struct cs_scan_result *res);

/* Match the records of an inventory against the intel without reading
 * any file: hashes, names and regexes; YARA results recorded in them are
 * reported again only with o->known_yara_valid. */
int cs_scan_inventory(const struct cs_matcher *m, const struct cs_inventory *inv,
		      const struct cs_scan_opts *o, struct cs_scan_result *res);

/* Scan one object held in memory (a file's content), as a sweep would,
 * archives included. For tests and fuzzing. */
int cs_scan_mem(const struct cs_matcher *m, const char *path, const void *data, size_t len,
                const struct cs_scan_opts *o, struct cs_scan_result *res);

#ifdef __cplusplus
}
#endif

#endif /* CHAINSWEEP_SCAN_H */

/*
 * Private interface between the indicator set (intel.c), the import
 * driver (import.c) and the readers (read_*.c).
 *
 * A reader is a small table registered in import.c, as libarchive does it:
 * `bid` looks at the first bytes and the file name and returns how sure it
 * is (0 = not mine, 100 = certain); the highest bid reads the file.
 * `read` gets the whole file in memory and feeds indicators through
 * cs__intel_add(). Readers never print: they report through cs__diag()
 * and cs__reject(), which count and forward to the user's callback.
 */
#ifndef CS_INTEL_INT_H
#define CS_INTEL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "chainsweep/intel.h"
#include "core/core_int.h"

/* Caps on input sizes. */
#define CS_INTEL_MAX_FILE ((size_t)2 << 30)      /* one intel file, 2 GiB */
#define CS_INTEL_MAX_VALUE ((size_t)64 << 10)    /* one indicator value */
#define CS_INTEL_MAX_LABELS 4096                 /* labels per indicator */

struct cs_reader_ctx;

struct cs_reader {
	const char *name;
	/* How likely `data` (the first `len` bytes; all of a small file) named
	 * `path` is in this format: 0..100. */
	int (*bid)(const char *data, size_t len, const char *path);
	/* Read the whole file. Return CS_OK when the file could be read at
	 * all (even if some entries were rejected), or an error when the file
	 * as a whole is unusable (the driver then reports it). */
	int (*read)(struct cs_reader_ctx *ctx);
};

/*
 * One indicator as a reader sees it, before normalisation. Only `kind`
 * and `value` are required; zero means "not given" for everything else.
 */
struct cs_term {
	enum cs_kind kind;  /* CS_KIND_NONE: kept as text, never matched */
	const char *value;  /* normalised value, or "path op value" text */
	unsigned obs;       /* which observation (0-based) the term belongs to:
			     * terms of one observation hold for one object */
};

struct cs_ind_add {
	enum cs_kind kind;
	const char *value;
	size_t value_len;          /* 0: strlen(value) */
	const char *const *labels; /* "type:name" strings */
	size_t nlabels;
	int confidence;            /* 0..100, or -1 unknown (use CS_CONF_UNKNOWN) */
	int64_t valid_from;        /* epoch seconds, 0 open */
	int64_t valid_until;
	int detect;                /* 1 detect, 0 hunting only, -1 unknown */
	unsigned flags;            /* CS_IND_PARTIAL etc. */
	const char *ref;           /* STIX/MISP id, or NULL */
	uint64_t line;             /* 1-based line in the file, 0 unknown */
	uint64_t column;
	const char *description;
	/* Compound indicators only: the terms, already normalised. `value`
	 * is then the canonical text of the whole compound. */
	const struct cs_term *terms;
	size_t nterms;
};

#define CS_CONF_UNKNOWN (-1)

/* Initialise an add request with every field "not given". */
void cs__ind_add_init(struct cs_ind_add *a);

struct cs_reader_ctx {
	struct cs_intel *intel;
	const struct cs_reader *reader;
	const char *path;  /* the file, as the user named it */
	const char *data;  /* whole file, NUL-terminated */
	size_t len;
	/* Labels every indicator of this file gets (set by the reader for
	 * e.g. MISP event tags), merged with the per-indicator labels. */
	const char *const *file_labels;
	size_t nfile_labels;
	/* Per-file counters. */
	uint64_t accepted;
	uint64_t rejected;
	uint64_t yara_rules;
	uint64_t warninglist_entries;
	uint64_t advisories;
	uint64_t sigma_rules;
	/* Set by a reader that read the file whole as its format and found it
	 * holds nothing (a rule file of comments only): a note, not a file
	 * that failed. */
	int empty_ok;
	/* CSV column option. */
	const char *csv_column;
	/* Interned path and reader name (set by the first cs__intel_add). */
	uint32_t file_id, format_id;
	/* Position cache of cs__offset_to_linecol(), and the position of the
	 * release mark: lines are counted from there, never from before it. */
	size_t lc_off, lc_bol;
	uint64_t lc_line;
	size_t lc0_off, lc0_bol;
	uint64_t lc0_line;
	/* The driver owns `data` and reads nothing of it after the reader
	 * returns: a reader that is done with a prefix may hand its pages
	 * back (cs__release_before). `released`: bytes handed back. */
	int release_ok;
	size_t released;
};

/*
 * Normalise and add an indicator, merging with an existing one of the
 * same kind and value. A value that does not normalise is rejected:
 * counted under a reason and reported with the file and position.
 * Returns CS_OK, CS_ERR_PARSE (rejected, already reported) or
 * CS_ERR_NOMEM.
 */
int cs__intel_add(struct cs_reader_ctx *ctx, const struct cs_ind_add *a);

/* Report a problem; line/column 1-based or 0. */
/* The import driver read a file of `bytes` bytes (progress). */
void cs__intel_file_done(struct cs_intel *in, uint64_t bytes);
void cs__diag(struct cs_reader_ctx *ctx, enum cs_severity sev, uint64_t line, uint64_t column,
	      const char *fmt, ...) CS_PRINTF(5, 6);
/* Report a problem tagged with a reason, without rejecting anything (a
 * Sigma rule kept but not usable). */
void cs__diag_reason(struct cs_reader_ctx *ctx, enum cs_severity sev, const char *reason,
		     uint64_t line, uint64_t column, const char *fmt, ...) CS_PRINTF(6, 7);
/* Count a rejected entry under `reason` and report it as a warning. */
void cs__reject(struct cs_reader_ctx *ctx, const char *reason, uint64_t line, uint64_t column,
		const char *fmt, ...) CS_PRINTF(5, 6);

/*
 * The reader will never read ctx->data before `off` again: give the
 * memory of that prefix back to the system (in steps of several MB, when
 * the driver allows it), so that a large file and the indicators read
 * from it are not both held whole. Lines are counted up to `off` first:
 * positions after it stay exact; positions before it must not be asked.
 */
void cs__release_before(struct cs_reader_ctx *ctx, size_t off);

/* Line and column (1-based) of byte offset `off` in ctx->data. */
void cs__offset_to_linecol(struct cs_reader_ctx *ctx, size_t off, uint64_t *line,
			   uint64_t *column);

/* Keep a YARA rule file's text in the set (for later sweeps). */
int cs__intel_add_yara_source(struct cs_intel *intel, const char *path, const char *text,
			      size_t len);

/* Keep a Sigma rule file's text in the set (read_sigma.c, the store). */
int cs__intel_add_sigma_source(struct cs_intel *intel, const char *path, const char *text,
			       size_t len);

/*
 * Keep one OSV advisory read from ctx->path: its id, its `modified` time
 * (NULL or "" when it has none), whether it is withdrawn, and its JSON
 * text (copied). The case database stores it with the next save, keyed by
 * (id, modified); the set itself never matches it. Counts
 * ctx->advisories. Returns CS_OK or CS_ERR_NOMEM.
 */
int cs__intel_add_advisory(struct cs_reader_ctx *ctx, const char *id, const char *modified,
			   int withdrawn, const char *json, size_t len);
size_t cs__intel_advisory_count(const struct cs_intel *intel);
/* Advisory `i` kept since the last save: returns its id, or NULL past
 * the end; the strings are borrowed from the set. */
const char *cs__intel_advisory(const struct cs_intel *intel, size_t i, const char **modified,
			       const char **path, int *withdrawn, const char **json, size_t *len);

/*
 * A file whose reader stopped part-way (out of memory, a truncated or
 * damaged document, a cap) after it had read something: what was read
 * is kept, and the next save records the file and `reason` with its
 * intel version as read only in part (docs/case-database.md).
 */
int cs__intel_note_partial(struct cs_intel *intel, const char *path, const char *reason);
size_t cs__intel_partial_count(const struct cs_intel *intel);
const char *cs__intel_partial(const struct cs_intel *intel, size_t i, const char **reason);

/* Read YARA rule text embedded in another intel file (read_yara.c). */
int cs__yara_embedded(struct cs_reader_ctx *ctx, const char *name, const char *text,
		      size_t len, const char *const *labels, size_t nlabels);

/* Readers, defined in read_*.c and registered in import.c. */
extern const struct cs_reader cs__reader_stix;
extern const struct cs_reader cs__reader_misp;
extern const struct cs_reader cs__reader_loki_hash;
extern const struct cs_reader cs__reader_loki_filename;
extern const struct cs_reader cs__reader_loki_c2;
extern const struct cs_reader cs__reader_csv;
extern const struct cs_reader cs__reader_plain;
extern const struct cs_reader cs__reader_yara;
extern const struct cs_reader cs__reader_warninglist;
extern const struct cs_reader cs__reader_osv;
extern const struct cs_reader cs__reader_sigma;

/* Import driver entry for a buffer with a known or sniffed reader. */
int cs__import_buffer(struct cs_intel *intel, const char *path, const char *data, size_t len,
		      struct cs_import_stats *stats);

/* Set the handle's error message. */
void cs__intel_set_errmsg(struct cs_intel *intel, const char *fmt, ...) CS_PRINTF(2, 3);
const char *cs__intel_format(const struct cs_intel *intel);

/* Internal: the set's own string table for labels/sources. */
struct cs_strtab *cs__intel_strtab(struct cs_intel *intel);
const char *cs__intel_csv_column(const struct cs_intel *intel);
const char *cs__intel_cache_dir(const struct cs_intel *intel);
/* Is `p` a whole payload of the YARA import cache (read_yara.c)? For the
 * fuzz target; imports check it themselves. */
int cs__yara_records_check(const unsigned char *p, size_t len);

/* The hex length of a digest kind (md5 32, sha1 40, sha256 64, sha512
 * 128), 0 for any other kind. */
size_t cs__kind_hex_len(enum cs_kind kind);

#endif /* CS_INTEL_INT_H */

/*
 * Direct access for the case database loader (lib/store): add or find an
 * already-normalised indicator without a reader context, then attach
 * labels and sources. Return the indicator's index, or a negative error.
 */
int cs__intel_reserve(struct cs_intel *intel, size_t n);
long cs__intel_put(struct cs_intel *intel, enum cs_kind kind, const char *value, unsigned flags,
		   int confidence, int64_t valid_from, int64_t valid_until);
int cs__intel_put_label(struct cs_intel *intel, size_t idx, const char *label);
int cs__intel_put_source(struct cs_intel *intel, size_t idx, const char *file, uint64_t line,
			 const char *ref, const char *format, const char *description,
			 const char *const *labels, size_t nlabels);
int cs__intel_put_terms(struct cs_intel *intel, size_t idx, const struct cs_term *terms,
			size_t n);

/*
 * Change tracking for the case database, so that a save writes only what
 * changed: an indicator is dirty when it is new or when a merge, a new
 * label or source, or a change of warninglist marks touched it; a
 * warninglist when it is new or replaced. The store marks the set clean
 * after loading it and after each save.
 */
int cs__indicator_dirty(const struct cs_indicator *ind);

/*
 * A sink for a bulk import (lib/store): once `batch` indicators were
 * added since the last call, cs__intel_add() calls fn(ud, intel, first,
 * end) on the reading thread with the indicators inds[first .. end) as
 * they are now. The sink copies what it needs (the set's strings stay
 * where they are until the set is freed). On CS_OK those indicators
 * count as shipped: not dirty unless a later merge changes them again.
 * On an error the sink is dropped and nothing more is shipped.
 * cs__intel_sink_flush() ships the rest now; cs__intel_unship() (after a
 * failed save) makes the shipped indicators dirty again and drops the
 * sink. cs__intel_mark_clean() drops it too, with the advisories and
 * partial-file notes kept for the save.
 */
typedef int (*cs__intel_sink_fn)(void *ud, struct cs_intel *intel, size_t first, size_t end);
void cs__intel_set_sink(struct cs_intel *intel, cs__intel_sink_fn fn, void *ud, size_t batch);
void cs__intel_sink_flush(struct cs_intel *intel);
void cs__intel_unship(struct cs_intel *intel);
int cs__warninglist_dirty(const struct cs_intel *intel, size_t i);
void cs__intel_mark_clean(struct cs_intel *intel);

/*
 * A set filled by key while other threads read it (the log hunt's load
 * at the first hit, lib/match/tsnap.c). cs__intel_share(), on a set
 * without indicators that no other thread sees yet, makes room for `n`
 * indicators at once and keeps the set from ever growing past it
 * (cs__intel_put then fails with CS_ERR_TOOBIG), so an indicator handed
 * out never moves; from then on the readers of the tables indicators
 * refer to (cs_intel_find, _at, _count, cs_indicator_label, _source,
 * _warninglist) take the set's lock (recursive), and a writer holds it
 * (cs__intel_lock) around every change. A writer adds new indicators
 * only, never changes one another thread may hold, and settles them with
 * cs__intel_settle(in, first): warninglist marks of inds[first ..], as
 * cs_intel_finalize() would give them, and clean. cs_intel_finalize()
 * refuses a shared set (CS_ERR_INVALID): it would rewrite every
 * indicator.
 */
int cs__intel_share(struct cs_intel *intel, size_t n);
void cs__intel_lock(const struct cs_intel *intel);
void cs__intel_unlock(const struct cs_intel *intel);
int cs__intel_settle(struct cs_intel *intel, size_t first);
/* The index of (kind, value) in the set, or -1. */
long cs__intel_index_of(const struct cs_intel *intel, enum cs_kind kind, const char *value);

/*
 * chainsweep: the indicator set.
 *
 * A struct cs_intel holds normalised indicators imported from intel files
 * (STIX 2.1, MISP, Loki/signature-base, CSV and plain lists, YARA,
 * MISP warninglists). The same (kind, value) read from several sources is
 * one indicator carrying every source and label.
 *
 * Lifecycle: cs_intel_new(), any number of cs_intel_import() calls,
 * cs_intel_finalize() (applies warninglists), then read-only use. A
 * finalized set is never modified again by the library and may be read by
 * many threads at once.
 */
#ifndef CHAINSWEEP_INTEL_H
#define CHAINSWEEP_INTEL_H

#include <stddef.h>
#include <stdint.h>

#include "chainsweep/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Indicator kinds. Values are stored in the case database: never renumber. */
enum cs_kind {
	CS_KIND_NONE = 0,
	CS_KIND_MD5 = 1,
	CS_KIND_SHA1 = 2,
	CS_KIND_SHA256 = 3,
	CS_KIND_SHA512 = 4,
	CS_KIND_FILENAME = 5,       /* exact base name, compared case-insensitively */
	CS_KIND_FILENAME_REGEX = 6, /* regex over the base name */
	CS_KIND_PATH_REGEX = 7,     /* regex searched in the full path (Loki) */
	CS_KIND_DOMAIN = 8,         /* the name and every subdomain */
	CS_KIND_IPV4 = 9,
	CS_KIND_IPV6 = 10,
	CS_KIND_CIDR = 11,          /* IPv4 or IPv6 network, "a.b.c.d/n" */
	CS_KIND_URL = 12,           /* canonical URL */
	CS_KIND_EMAIL = 13,
	CS_KIND_YARA_RULE = 14,     /* value: rule identifier */
	CS_KIND_PRODUCT_VERSION = 15,
	CS_KIND_CERT_SERIAL = 16,   /* lower-case hex, no separators */
	CS_KIND_COMPOUND = 17,      /* several terms one object must satisfy */
	CS_KIND_DOMAIN_REGEX = 18,
	CS_KIND_URL_REGEX = 19,
	CS_KIND_EMAIL_REGEX = 20,
	CS_KIND_SIGMA_RULE = 21,    /* value: Sigma rule id (or title); chainsweep/sigma.h */
	CS_KIND_HASH_AUTO = 100     /* input only: a hash whose kind is its length */
};

/* Indicator flags. */
#define CS_IND_DETECT 0x01      /* meant for detection (MISP to_ids) */
#define CS_IND_HUNT 0x02        /* some source marked it hunting-only */
#define CS_IND_PARTIAL 0x04     /* pattern only partly supported */
#define CS_IND_WARNLISTED 0x08  /* a warninglist names this value */

/* Severity of a diagnostic reported during import. */
enum cs_severity { CS_SEV_INFO = 0, CS_SEV_WARN = 1, CS_SEV_ERROR = 2 };

/*
 * A diagnostic: something in an input file the user should know of.
 * `line` and `column` are 1-based; 0 when unknown. `reason` is a short
 * stable tag (e.g. "json-syntax", "bad-hash") when the diagnostic rejects
 * an indicator, NULL otherwise. Strings are borrowed for the callback only.
 */
struct cs_diag {
	enum cs_severity severity;
	const char *file;
	uint64_t line;
	uint64_t column;
	const char *reason;
	const char *message;
};

typedef void (*cs_diag_fn)(void *userdata, const struct cs_diag *diag);

struct cs_intel;
struct cs_indicator;

struct cs_intel *cs_intel_new(void);
void cs_intel_free(struct cs_intel *intel);

/* Receive diagnostics (default: none are delivered). */
void cs_intel_set_diag(struct cs_intel *intel, cs_diag_fn fn, void *userdata);
/* Called after each file an import reads (files and bytes so far, over
 * every import into this set), for a progress display; NULL for none. */
typedef void (*cs_import_progress_fn)(void *userdata, uint64_t files, uint64_t bytes);
void cs_intel_set_progress(struct cs_intel *intel, cs_import_progress_fn fn, void *userdata);

/*
 * Force a reader for the following imports ("stix", "misp", "loki-hash",
 * "loki-filename", "loki-c2", "csv", "plain", "yara", "warninglist", "sigma"), or
 * NULL to sniff. Returns CS_ERR_INVALID for an unknown name.
 */
int cs_intel_set_format(struct cs_intel *intel, const char *format);
/* For CSV: take the values from this column (name or 1-based number). */
int cs_intel_set_csv_column(struct cs_intel *intel, const char *column);
/* A folder of the compiled-rules cache (docs/file-sweep.md): a YARA rule
 * file that compiled before, with the same libyara, is loaded from it
 * instead of compiled again to be checked. NULL (the default): compile
 * every time. The string is copied. */
int cs_intel_set_cache_dir(struct cs_intel *intel, const char *dir);
/* Names of the readers, NULL-terminated. */
const char *const *cs_intel_formats(void);

/*
 * Per-file outcome of an import. Counters are totals over the call.
 * A file whose reader produced no usable entry counts in `files_failed`.
 */
struct cs_import_stats {
	uint64_t files;
	uint64_t files_failed;
	uint64_t read;      /* indicators accepted (before merging) */
	uint64_t rejected;  /* entries rejected, see cs_intel_rejects() */
	uint64_t warninglist_entries;
	uint64_t yara_rules;
	uint64_t files_partial; /* files whose reader stopped part-way after
				   reading something (kept, and recorded as
				   partial with the intel version) */
	uint64_t advisories;    /* OSV advisories read */
	uint64_t sigma_rules;   /* Sigma rule documents read, usable or not */
};

/*
 * Import one file or directory (walked recursively, in name order;
 * a MISP feed folder with manifest.json is read as a feed). Problems in
 * the input are reported as diagnostics and counted; they never stop the
 * import of the rest. Returns CS_OK when at least one file yielded
 * something usable, CS_ERR_EMPTY when nothing usable was read,
 * CS_ERR_IO when the path cannot be opened.
 */
int cs_intel_import(struct cs_intel *intel, const char *path, struct cs_import_stats *stats);

/* Import from memory; `name` is used in messages and sources. */
int cs_intel_import_mem(struct cs_intel *intel, const char *name, const void *data, size_t len,
			struct cs_import_stats *stats);

/* Apply warninglists to every indicator. Idempotent. */
int cs_intel_finalize(struct cs_intel *intel);

/* Reject counters by reason, over the life of the handle. */
size_t cs_intel_reject_reasons(const struct cs_intel *intel);
const char *cs_intel_reject_reason(const struct cs_intel *intel, size_t i, uint64_t *count);

/* The last error message on this handle; never NULL. */
const char *cs_intel_errmsg(const struct cs_intel *intel);

/* Indicators, in insertion order. */
size_t cs_intel_count(const struct cs_intel *intel);
const struct cs_indicator *cs_intel_at(const struct cs_intel *intel, size_t i);
/* Find by kind and already-normalised value; NULL when absent. */
const struct cs_indicator *cs_intel_find(const struct cs_intel *intel, enum cs_kind kind,
					 const char *value);
/* Normalise a raw value of `kind` as import would (refang, case, ...).
 * Writes a malloc'ed string to *out (caller frees) and the final kind to
 * *kind_out (a CS_KIND_HASH_AUTO input becomes md5/sha1/sha256/sha512). */
int cs_normalize_value(enum cs_kind kind, const char *raw, char **out, enum cs_kind *kind_out);

const char *cs_kind_name(enum cs_kind kind);
/* Parse a kind name; CS_KIND_NONE when unknown. */
enum cs_kind cs_kind_from_name(const char *name);

enum cs_kind cs_indicator_kind(const struct cs_indicator *ind);
const char *cs_indicator_value(const struct cs_indicator *ind);
unsigned cs_indicator_flags(const struct cs_indicator *ind);
/* Confidence or score 0..100, -1 when no source gave one. */
int cs_indicator_confidence(const struct cs_indicator *ind);
/* Validity window in epoch seconds; 0 when open. */
int64_t cs_indicator_valid_from(const struct cs_indicator *ind);
int64_t cs_indicator_valid_until(const struct cs_indicator *ind);
/* Labels as "type:name", e.g. "actor:Lazarus Group", "incident:3CX-2023". */
size_t cs_indicator_label_count(const struct cs_indicator *ind);
const char *cs_indicator_label(const struct cs_intel *intel, const struct cs_indicator *ind, size_t i);
/* Warninglists naming this value. */
size_t cs_indicator_warninglist_count(const struct cs_indicator *ind);
const char *cs_indicator_warninglist(const struct cs_intel *intel, const struct cs_indicator *ind,
				     size_t i);
/* Sources: the file, a 1-based line (0 when unknown), the STIX/MISP id or
 * NULL, and the reader name. `labels` are the labels this source itself
 * gave (the indicator's labels are the union over its sources); they let
 * an analysis tell which report or event claims which indicator. */
struct cs_source_info {
	const char *file;
	uint64_t line;
	const char *ref;
	const char *format;
	const char *description; /* free text the source gave, or NULL */
	const char *const *labels;
	size_t nlabels;
};
size_t cs_indicator_source_count(const struct cs_indicator *ind);
void cs_indicator_source(const struct cs_intel *intel, const struct cs_indicator *ind, size_t i,
			 struct cs_source_info *out);
/* Compound indicators: each term is a (kind, value) pair, or an object
 * path we keep but cannot match (kind CS_KIND_NONE, value "path op v"). */
size_t cs_indicator_term_count(const struct cs_indicator *ind);
enum cs_kind cs_indicator_term(const struct cs_indicator *ind, size_t i, const char **value);
/* The observation (0-based) a term belongs to. Terms of one observation
 * must hold for one object; a compound of several observations (STIX
 * "[A] AND [B]") needs each observation seen, by different objects or not. */
unsigned cs_indicator_term_observation(const struct cs_indicator *ind, size_t i);

/*
 * Warninglists loaded into the set (for the store). Entry type is the
 * MISP list type: "string", "substring", "hostname", "cidr", "regex".
 * `kinds` is a mask of (1u << enum cs_kind) the list applies to (from its
 * matching_attributes); 0 means every kind.
 */
size_t cs_intel_warninglist_count(const struct cs_intel *intel);
const char *cs_intel_warninglist_name(const struct cs_intel *intel, size_t i, const char **type,
				      uint32_t *kinds, size_t *nentries);
const char *cs_intel_warninglist_entry(const struct cs_intel *intel, size_t list, size_t i);
/* Add a warninglist (the warninglist reader and the case database use
 * this). A list of the same name replaces the earlier one. An unknown
 * type is CS_ERR_UNSUPPORTED. */
int cs_intel_add_warninglist(struct cs_intel *intel, const char *name, const char *type,
			     uint32_t kinds, const char *const *entries, size_t n);

/* YARA rule sources kept for later sweeps: path and text. */
size_t cs_intel_yara_count(const struct cs_intel *intel);
const char *cs_intel_yara_source(const struct cs_intel *intel, size_t i, const char **text,
				 size_t *len);

/* Sigma rule files kept for later sweeps: path and text (every document
 * of the file, collections included); chainsweep/sigma.h compiles them. */
size_t cs_intel_sigma_count(const struct cs_intel *intel);
const char *cs_intel_sigma_source(const struct cs_intel *intel, size_t i, const char **text,
				  size_t *len);

/*
 * OSV advisories read since the set was last saved to (or loaded from) a
 * case database: their id, with the record's JSON (borrowed from the
 * set). A sweep given OSV files as --intel reads them from here; once
 * saved, they are the case's (cs_store_advisories()).
 */
size_t cs_intel_advisory_count(const struct cs_intel *intel);
const char *cs_intel_advisory(const struct cs_intel *intel, size_t i, const char **json,
			      size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* CHAINSWEEP_INTEL_H */

/*
 * Private interface of the compiled file matchers (lib/match) for the
 * file sweep (lib/scan).
 *
 * A struct cs_matcher is immutable once built. Per-thread state (the
 * Hyperscan scratch, the YARA scanner) lives in struct cs_match_thread.
 */
#ifndef CS_MATCH_INT_H
#define CS_MATCH_INT_H

#include <stddef.h>
#include <stdint.h>

#include <hs/hs.h>
#include <yara.h>

#include "chainsweep/scan.h"
#include "core/core_int.h"

/*
 * An exact name indicator. `tail` is NULL for a plain base name; for a
 * value with separators it is the lower-case value with '\' turned into
 * '/', without a leading "~", "%VAR%" or drive component, which then
 * sets `any_prefix`.
 */
struct cs_name_entry {
	const struct cs_indicator *ind;
	const char *tail;
	size_t tail_len;
	int any_prefix;
	uint32_t next; /* next entry with the same base name, +1; 0 ends */
};

/* A compiled regex: its indicator and, for Loki's false-positive regex,
 * the index of that regex in the fp database (+1; 0 none). */
struct cs_regex_entry {
	const struct cs_indicator *ind;
	uint32_t fp;
};

/* Compound file indicators (compound.c). An observation is checks
 * [first, first + n) of ccheck_v; a compound is observations
 * [first_obs, first_obs + nobs) of cobs_v. */
#define CS_COMPOUND_MAX_OBS 64
struct cs_ccheck;
struct cs_cobs {
	uint32_t compound; /* index in compound_v */
	unsigned index;    /* the observation's number in the compound */
	size_t first, n;
};
struct cs_compound_entry {
	const struct cs_indicator *ind;
	size_t first_obs;
	unsigned nobs;
};
struct cs_canchor {
	uint32_t obs;  /* index in cobs_v */
	uint32_t next; /* next observation under the same key, +1; 0 ends */
};

struct cs_matcher {
	const struct cs_intel *intel;
	unsigned hashes; /* CS_HASH_* the set needs */
	size_t nhash;
	/* Exact names, keyed by lower-case base name. */
	struct cs_map names;
	struct cs_name_entry *name_v;
	size_t name_n;
	struct cs_arena arena;
	/* Regexes: over the full path, over the base name, and the
	 * false-positive regexes over the full path. */
	hs_database_t *path_db, *base_db, *fp_db;
	struct cs_regex_entry *path_v, *base_v;
	size_t path_n, base_n, fp_n, regex_bad;
	hs_scratch_t *scratch; /* prototype, cloned per thread */
	/* YARA */
	YR_RULES *rules;
	size_t yara_rules, yara_sources, yara_bad;
	const char **yara_ns; /* namespace (source path) per source */
	char yara_digest[65];  /* SHA-256 over the compiled sources */
	int yr_init;
	/* Compiled-matcher cache (cache.c): the folder, or NULL, and what
	 * it gave (enum cs_cache_state). */
	const char *cache_dir;
	int yara_cache, regex_cache;
	/* Compound file indicators: anchors keyed "h<hash>:<hex>",
	 * "n:<base name>" or "*" (checked on every object). */
	struct cs_ccheck *ccheck_v;
	struct cs_cobs *cobs_v;
	struct cs_compound_entry *compound_v;
	struct cs_canchor *canchor_v;
	size_t ccheck_n, cobs_n, compound_n, canchor_n, compound_bad;
	struct cs_map canchors;
	/* Network indicators (logs): counts, and the networks keyed by
	 * family, prefix length and masked address. */
	size_t ndomain, naddr, nurl, nemail;
	struct cs_map nets;
	unsigned char v4len[33], v6len[129];
};

/* Per-thread matching state. */
struct cs_match_thread {
	const struct cs_matcher *m;
	hs_scratch_t *scratch;
	YR_SCANNER *scanner;
};

int cs__match_thread_init(struct cs_match_thread *t, const struct cs_matcher *m);
void cs__match_thread_release(struct cs_match_thread *t);

/* Called for each match; a non-zero return stops matching and is passed
 * back. */
typedef int (*cs_match_fn)(void *ud, enum cs_evidence ev, const struct cs_indicator *ind,
                           const char *matched);

/* The hash indicator for a lower-case hex digest of `kind`, or NULL. */
const struct cs_indicator *cs__match_hash(const struct cs_matcher *m, enum cs_kind kind,
                                          const char *hex);

/* Exact names and regexes against `path` (as displayed; '/' separated,
 * archive members included) whose base name starts at `base`. */
int cs__match_path(struct cs_match_thread *t, const char *path, const char *base, cs_match_fn fn,
                   void *ud);

/* The compiled-matcher cache (cache.c). An entry read back: `buf` owns
 * the bytes `meta` and `payload` point into. */
struct cs_mcache_entry {
	unsigned char *buf;
	const unsigned char *meta, *payload;
	size_t meta_len, payload_len;
};
int cs__mcache_get(const char *dir, const char *kind, const unsigned char *key,
                   struct cs_mcache_entry *e);
int cs__mcache_put(const char *dir, const char *kind, const unsigned char *key, const void *meta,
                   size_t meta_len, const void *payload, size_t payload_len);
void cs__mcache_entry_release(struct cs_mcache_entry *e);

/* Path-tail comparison of name indicators (matcher.c): is the first
 * component of a folded tail a wildcard ("~", "%VAR%", "C:")? Does the
 * folded path end with the entry's tail on a component boundary? */
int cs__match_wild_component(const char *s, size_t n);
int cs__match_tail(const struct cs_name_entry *e, const char *folded, size_t n);

/* What compound checks look at: an object's path, base name, size and
 * the hex digests computed (md5, sha1, sha256, sha512; NULL or ""). */
struct cs_match_obj {
	const char *path, *base;
	uint64_t size;
	const char *hex[4];
};
/* Called for each observation of a compound that holds for the object:
 * the compound, its index in the matcher, the observation's number. */
typedef int (*cs_compound_fn)(void *ud, const struct cs_compound_entry *c, size_t ci,
                              unsigned obs);
int cs__match_build_compounds(struct cs_matcher *m, cs_diag_fn diag, void *ud);
void cs__match_free_compounds(struct cs_matcher *m);
int cs__match_compounds(struct cs_match_thread *t, const struct cs_match_obj *o,
                        cs_compound_fn fn, void *ud);

/* Text matching (textmatch.c). The callback gets what was observed, where
 * in the text (offset, length) and the indicator. */
typedef int (*cs_text_fn)(void *ud, enum cs_kind observed, size_t off, size_t len,
			  const struct cs_indicator *ind);
int cs__match_build_net(struct cs_matcher *m);
int cs__match_text(const struct cs_matcher *m, const char *s, size_t n, cs_text_fn fn, void *ud);

#endif /* CS_MATCH_INT_H */

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

/* Text matching (textmatch.c). The callback gets what was observed, where
 * in the text (offset, length) and the indicator. */
typedef int (*cs_text_fn)(void *ud, enum cs_kind observed, size_t off, size_t len,
			  const struct cs_indicator *ind);
int cs__match_build_net(struct cs_matcher *m);
int cs__match_text(const struct cs_matcher *m, const char *s, size_t n, cs_text_fn fn, void *ud);

#endif /* CS_MATCH_INT_H */

/*
 * Private interface of the compiled file matchers (lib/match) for the
 * file sweep (lib/scan).
 *
 * A struct cs_matcher is immutable once built. Per-thread state (the
 * Hyperscan scratch, the YARA scanner) lives in struct cs_match_thread.
 */
#ifndef CS_MATCH_INT_H
#define CS_MATCH_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <hs/hs.h>
#include <yara.h>

#include "chainsweep/scan.h"
#include "core/core_int.h"
#include "intel/yara_int.h"

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

struct cs_yvariants;
struct cs_tfilter;
struct cs_tsnap;

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
	unsigned char *yara_bad_v; /* per source: left out of the rules */
	struct cs_yvariants *yv;   /* ruleset variants (yara_variant.c), or NULL */
	char yara_digest[65];  /* SHA-256 over the compiled sources */
	int yr_init;
	/* Compiled-matcher cache (cache.c): the folder, or NULL, and what
	 * it gave (enum cs_cache_state). */
	const char *cache_dir;
	int yara_cache, regex_cache;
	int no_variants;        /* cs_matcher_opts.no_yara_variants */
	int allow_slow;         /* cs_matcher_opts.allow_slow_yara */
	uint64_t variant_bytes; /* cs_matcher_opts.yara_variant_bytes */
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
	size_t email_max; /* the longest e-mail indicator */
	struct cs_map nets;
	unsigned char v4len[33], v6len[129];
	/* The text pre-filter (textfilter.c), built by the first log hunt
	 * (cs__match_text_prepare) under tf_mu: file sweeps never pay for
	 * it. NULL until then, or when it could not be built: the text
	 * matchers then run the reference alone. */
	struct cs_tfilter *tf;
	int tf_tried;
	pthread_mutex_t tf_mu;
	/* A log-hunt matcher from a snapshot (tsnap.c): `intel` is NULL
	 * until the first lookup the snapshot cannot rule out loads it
	 * through `load` (under tf_mu); `loaded` is then set (atomic), or
	 * `load_rc` holds why it failed. */
	struct cs_tsnap *snap;
	cs_intel_load_fn load;
	void *load_ud;
	struct cs_intel *own_intel;
	int loaded, load_rc;
};



/*
 * What a YARA rule's condition requires before any string matters
 * (yara_gate.c, docs/yara-variants.md): a header test on the first bytes,
 * or one of several, and an upper bound on the size.
 */
struct cs_ygate_test {
	unsigned char width, be; /* 1, 2 or 4 bytes at offset 0; big-endian */
	uint64_t value;
};
struct cs_yrule {
	size_t start, end; /* the declaration in the text, modifiers to '}' */
	const char *name;
	size_t name_len;
	unsigned global : 1, priv : 1;
	size_t first_test, ntests; /* alternatives in tests[]; 0: no header test */
	uint64_t max_size;         /* the file must be smaller; UINT64_MAX: no bound */
};
struct cs_yref {
	const char *p; /* an identifier a condition names (may be a rule) */
	size_t len;
	int wild; /* written "name*": every rule starting so */
};
struct cs_ygate {
	struct cs_yrule *rules;
	size_t nrules, cap;
	struct cs_ygate_test *tests;
	size_t ntests, tcap;
	struct cs_yref *refs;
	size_t nrefs, rcap;
	int complete; /* 0: part of the text not understood; leave none out */
};

/* Read the rules of a YARA text. Pointers in `g` point into `text`.
 * Returns CS_OK (see g->complete) or CS_ERR_NOMEM. */
int cs__ygate_read(struct cs_ygate *g, const char *text, size_t len);
void cs__ygate_release(struct cs_ygate *g);
/* Does the header test hold for data p[0..len)? */
int cs__ygate_holds(const struct cs_ygate_test *t, const unsigned char *p, size_t len);


/* Per-thread matching state: `vscan` holds a scanner per ruleset
 * variant, made on first use. */
#define CS_YVAR_MAX 16
struct cs_match_thread {
	const struct cs_matcher *m;
	hs_scratch_t *scratch;
	YR_SCANNER *scanner;
	YR_SCANNER *vscan[CS_YVAR_MAX];
};

int cs__match_thread_init(struct cs_match_thread *t, const struct cs_matcher *m);
void cs__match_thread_release(struct cs_match_thread *t);

/*
 * Ruleset variants (yara_variant.c). cs__yvar_new reads the rules of a
 * matcher whose YARA rules are built and sets m->yv when some rule can be
 * left out for some files (`key`: the rules' cache key when `keyed`;
 * `compile_bytes`: bytes of a class of files before its variant is
 * compiled, 0 for the default). cs__yvar_scanner gives the scanner to
 * use for a file's bytes: a variant's, or t->scanner.
 */
int cs__yvar_new(struct cs_matcher *m, const char *cache_dir, const unsigned char *key, int keyed,
                 uint64_t compile_bytes);
void cs__yvar_free(struct cs_yvariants *yv);
YR_SCANNER *cs__yvar_scanner(struct cs_match_thread *t, const unsigned char *data, size_t len);
void cs__yvar_thread_release(struct cs_match_thread *t);
void cs__yvar_info(const struct cs_matcher *m, struct cs_matcher_info *o);

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


/* A lower-case copy of [s, s+n) with '\' as '/', in the arena
 * (matcher.c); NULL when out of memory. */
char *cs__fold_path(struct cs_arena *a, const char *s, size_t n);

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
int cs__match_build_net(struct cs_matcher *m, const struct cs_intel *in, int count);
int cs__match_text(const struct cs_matcher *m, const char *s, size_t n, cs_text_fn fn, void *ud);
/* The longest text one match can span: a window that shows this many bytes
 * (plus one) on each side of a piece shows every match starting in it. */
size_t cs__match_text_span(const struct cs_matcher *m);
/* Text matching over a window [s, s+n) of a longer text: only matches that
 * start in [from, to) are reported. CS_TEXT_CUT_LEFT / _RIGHT say that the
 * window's first / last byte is not the text's edge, so a token that
 * reaches that edge (its true extent unseen) is not trusted. */
#define CS_TEXT_CUT_LEFT  1u
#define CS_TEXT_CUT_RIGHT 2u
int cs__match_text_window(const struct cs_matcher *m, const char *s, size_t n, size_t from,
                          size_t to, unsigned cut, cs_text_fn fn, void *ud);
/* The reference matcher: the same answers as the two above, token by
 * token with exact lookups and no pre-filter. Kept for the differential
 * tests (tests/unit/test_textmatch.c, fuzz/fuzz_textmatch_diff.c). */
/*
 * The text pre-filter (textfilter.c): built from the intel's network and
 * digest indicators, immutable afterwards. cs__tfilter_next gives the
 * offset, at or after `from`, of a byte in a token of text[from, n) that
 * the reference matcher might match, or n when there is none; it never
 * misses one (tokens do not cross a '\n', so a line is a candidate when
 * the offset falls inside it). A NUL byte is given as a candidate too, so
 * that the log hunt sees (and reports) every line that holds one. `from` must start a token's surroundings:
 * the start of the text or of a line.
 */
int cs__tfilter_build(const struct cs_intel *in, struct cs_tfilter **out);
/* Build m's pre-filter once (thread-safe; the log hunt calls it before its
 * workers start). */
void cs__match_text_prepare(const struct cs_matcher *m);
void cs__tfilter_free(struct cs_tfilter *t);
size_t cs__tfilter_next(const struct cs_tfilter *t, const char *text, size_t from, size_t n);
int cs__tfilter_any(const struct cs_tfilter *t, const char *s, size_t n);
/* The filter's serialised form (textfilter.c, one walk over its fields):
 * appended to `out`, or read from the whole of [p, p + n) (with
 * `borrow`, its arrays stay there: p must outlive the filter and be
 * 8-byte aligned). */
unsigned cs__tfilter_layout(void);
int cs__tfilter_save(const struct cs_tfilter *t, struct cs_buf *out);
int cs__tfilter_load(const void *p, size_t n, int borrow, struct cs_tfilter **out);

/*
 * The log hunt's snapshot (tsnap.c). Lookups of the text matcher go
 * through cs__match_find() (tag: the kind) and cs__match_find_net() (a
 * network key of textmatch.c): the indicator, or NULL when none has the
 * key; a matcher from a snapshot loads what the key needs first (the
 * whole intel, or the key's indicators), and *rc gets a failed load's
 * error.
 */
#define CS_TSNAP_NET 0xffu
const struct cs_indicator *cs__match_find(const struct cs_matcher *m, enum cs_kind kind,
                                          const char *v, int *rc);
const struct cs_indicator *cs__match_find_net(const struct cs_matcher *m, const unsigned char *key,
                                              size_t n, int *rc);
uint64_t cs__tsnap_fp(unsigned tag, const void *key, size_t n);
/* Why a snapshot's intel could not be loaded, or CS_OK. */
int cs__match_load_rc(const struct cs_matcher *m);
/* The network key of a CIDR indicator's value (textmatch.c): its length,
 * or 0 when it is not a network; *fam and *plen get its family and
 * prefix length. */
size_t cs__match_cidr_key(const char *v, unsigned char *key, int *fam, long *plen);
/* Parse a snapshot payload (for the fuzz target); CS_OK or CS_ERR_PARSE. */
int cs__tsnap_check(const void *p, size_t n);
void cs__tsnap_free(struct cs_tsnap *s);
int cs__match_text_ref(const struct cs_matcher *m, const char *s, size_t n, cs_text_fn fn,
                       void *ud);
int cs__match_text_window_ref(const struct cs_matcher *m, const char *s, size_t n, size_t from,
                              size_t to, unsigned cut, cs_text_fn fn, void *ud);

#endif /* CS_MATCH_INT_H */

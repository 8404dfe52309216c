/*
 * Sigma rules between the reader (read_sigma.c: YAML to rule documents,
 * collections resolved) and the compiler (lib/match/sigma.c: detection
 * and log source to an evaluator). The reader keeps nothing of its own:
 * the set stores the file's text, and the compiler parses it again.
 */
#ifndef CS_SIGMA_INT_H
#define CS_SIGMA_INT_H

#include <stddef.h>
#include <stdint.h>

#include "core/core_int.h"

/* Caps on one rule file. */
#define CS_SIGMA_MAX_FILE  ((size_t)16 << 20)
#define CS_SIGMA_MAX_NODES 400000
#define CS_SIGMA_MAX_DEPTH 64
#define CS_SIGMA_MAX_DOCS  20000

/* A YAML node as the rules use it: scalars, sequences and maps. */
enum cs__sy_type { CS__SY_NULL, CS__SY_SCALAR, CS__SY_SEQ, CS__SY_MAP };

struct cs__sy {
	enum cs__sy_type type;
	int quoted;    /* scalar written in quotes: never null, never a number */
	const char *s; /* scalar text, NUL-terminated ("" for null) */
	size_t len;
	/* SEQ: n items v[0..n); MAP: n pairs, key v[2i] (a scalar), value v[2i+1] */
	struct cs__sy **v;
	size_t n;
	uint32_t line, col; /* 1-based */
};

/* The value of `key` in map `m` (exact key), or NULL. */
const struct cs__sy *cs__sy_get(const struct cs__sy *m, const char *key);

/*
 * One rule document, collections resolved (a global document merged in,
 * a repeat applied). Strings live in the parser's arena.
 */
struct cs__sigma_rule {
	const char *file;
	uint64_t line, col; /* the document's first node */
	size_t doc;         /* 0-based document number in the file */
	const char *id, *title, *status, *description, *author, *date, *modified, *level;
	const char **tags;
	size_t ntags;
	const char **refs;
	size_t nrefs;
	const char *product, *category, *service;
	const struct cs__sy *detection; /* a map, or NULL */
	const struct cs__sy *logsource; /* a map, or NULL */
	/* Not usable: a stable tag, a message and a position. Set by the
	 * parser (yaml-syntax, correlation, no-detection...) or by
	 * cs__sigma_check(). */
	const char *reason;
	char message[256];
	uint64_t rline, rcol;
};

/* Mark `r` not usable; returns CS_ERR_UNSUPPORTED. The first reason wins. */
int cs__sigma_fail(struct cs__sigma_rule *r, const char *reason, const struct cs__sy *at,
                   const char *fmt, ...) CS_PRINTF(4, 5);

/* Return CS_OK to go on, an error to stop the parse with it. */
typedef int (*cs__sigma_rule_fn)(void *ud, struct cs__sigma_rule *r);

/*
 * Parse a Sigma file: every rule document (after `action: global`,
 * `reset` and `repeat`) is handed to `fn`, usable or not. A YAML error
 * ends the file with one last rule marked "yaml-syntax" at the error's
 * position. Nodes and strings are allocated in `arena` (the caller's;
 * they stay until it is released). Returns CS_OK, CS_ERR_NOMEM,
 * CS_ERR_TOOBIG, or fn's error.
 */
int cs__sigma_parse(const char *file, const char *text, size_t len, struct cs_arena *arena,
                    cs__sigma_rule_fn fn, void *ud);

/* Does this file look like Sigma (a document with `detection:` and
 * `logsource:` keys)? For the reader's bid. */
int cs__sigma_sniff(const char *data, size_t len);

/*
 * Can the rule be evaluated (lib/match/sigma.c)? Compiles it and throws
 * the result away: CS_OK, CS_ERR_UNSUPPORTED with the reason set on `r`,
 * or CS_ERR_NOMEM.
 */
int cs__sigma_check(struct cs__sigma_rule *r);

/* What this build of the reader and the log-source tables is (their
 * compile time): part of the key of the compiled set's snapshot, so that
 * a rebuilt reader never takes a set compiled by another. */
const char *cs__sigma_build_tag(void);

#endif /* CS_SIGMA_INT_H */

/*
 * STIX 2.1 patterning language (lib/intel/stix_pattern.c).
 *
 * cs__stix_pattern_parse() parses the full grammar of STIX 2.1 section 9
 * (observation expressions with AND/OR/FOLLOWEDBY, qualifiers WITHIN,
 * REPEATS, START/STOP, comparison expressions with AND/OR/NOT and every
 * comparison operator and constant type) and returns it in disjunctive
 * normal form: a list of alternatives, any of which satisfies the pattern;
 * each alternative is a list of observations that must all be seen; each
 * observation is a conjunction of comparisons one object must satisfy.
 */
#ifndef CS_STIX_PATTERN_INT_H
#define CS_STIX_PATTERN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "intel_int.h"

enum cs_stix_op {
	CS_STIX_EQ,
	CS_STIX_NE,
	CS_STIX_GT,
	CS_STIX_LT,
	CS_STIX_GE,
	CS_STIX_LE,
	CS_STIX_IN,
	CS_STIX_LIKE,
	CS_STIX_MATCHES,
	CS_STIX_ISSUBSET,
	CS_STIX_ISSUPERSET,
	CS_STIX_EXISTS
};

enum cs_stix_vtype {
	CS_STIX_STRING,
	CS_STIX_INT,
	CS_STIX_FLOAT,
	CS_STIX_BOOL,
	CS_STIX_HEX,       /* h'..' : value is the hex digits */
	CS_STIX_BINARY,    /* b'..' : value is the base64 text */
	CS_STIX_TIMESTAMP  /* t'..' : value is the timestamp text */
};

struct cs_stix_cmp {
	char *object;   /* "file", "domain-name", ... */
	char *path;     /* canonical path: "hashes.'SHA-256'", "name", "value" */
	enum cs_stix_op op;
	int negated;    /* NOT */
	enum cs_stix_vtype vtype;
	char **values;  /* unescaped; several for IN (...) */
	size_t nvalues;
};

struct cs_stix_obs {
	struct cs_stix_cmp *cmps;
	size_t ncmps;
};

/* Qualifier and operator flags of an alternative (or the whole pattern). */
#define CS_STIX_Q_WITHIN 0x01
#define CS_STIX_Q_REPEATS 0x02
#define CS_STIX_Q_STARTSTOP 0x04
#define CS_STIX_Q_FOLLOWEDBY 0x08

struct cs_stix_alt {
	struct cs_stix_obs *obs;
	size_t nobs;
	unsigned qualifiers;
};

struct cs_stix_pattern {
	struct cs_stix_alt *alts;
	size_t nalts;
	unsigned qualifiers; /* union over the pattern */
};

/* Cap on alternatives after distribution into DNF. */
#define CS_STIX_MAX_ALTS 4096

/*
 * Parse `len` bytes of pattern text. On error returns CS_ERR_PARSE (or
 * CS_ERR_TOOBIG when the DNF would exceed CS_STIX_MAX_ALTS) and writes a
 * message and the 0-based byte offset of the problem.
 */
int cs__stix_pattern_parse(const char *text, size_t len, struct cs_stix_pattern **out,
			   char *errbuf, size_t errlen, size_t *errpos);
void cs__stix_pattern_free(struct cs_stix_pattern *p);

/*
 * Turn a parsed pattern into indicators through cs__intel_add(): one
 * indicator per alternative that is a single supported comparison (IN
 * gives one per value), a CS_KIND_COMPOUND indicator otherwise. `base`
 * carries the labels, ref, line, validity and confidence of the STIX
 * indicator object. Comparisons on object paths we do not know are kept
 * as text terms in compounds, and reported (reason "unsupported-path")
 * when an alternative holds nothing we can match. Temporal qualifiers and
 * FOLLOWEDBY set CS_IND_PARTIAL and are reported as partly supported.
 * Returns the number of indicators added (>= 0) or a negative error.
 */
int cs__stix_pattern_emit(struct cs_reader_ctx *ctx, const struct cs_stix_pattern *p,
			  const struct cs_ind_add *base);

/*
 * The fast path for the shapes nearly every feed writes, one equality
 * on one well-known path: "[file:hashes.'SHA-256' = '...']",
 * "[domain-name:value = '...']", "[ipv4-addr:value = '...']" and a few
 * more, byte for byte in that spelling, the value without a quote, a
 * backslash or a NUL. Returns 1 and fills `out` (pointers into `text`)
 * when `text` is such a pattern, 0 otherwise: then, and for anything
 * unusual (other spacing, escapes, comments, qualifiers, several
 * comparisons), the full parser decides. For every text it accepts, the
 * full parser gives one alternative of one observation of one comparison:
 * out->object, out->path (canonical), '=', not negated, the string
 * constant out->value (tests/unit/test_stix_pattern.c checks this).
 */
struct cs_stix_fast {
	const char *object; /* static strings */
	const char *path;
	const char *value;  /* in text, not NUL-terminated */
	size_t value_len;
};
int cs__stix_pattern_fast(const char *text, size_t len, struct cs_stix_fast *out);

/* Emit what cs__stix_pattern_emit() emits for the parsed form of a
 * fast-path pattern. `scratch` holds the value's copy. */
int cs__stix_pattern_emit_fast(struct cs_reader_ctx *ctx, const struct cs_stix_fast *f,
			       const struct cs_ind_add *base, struct cs_buf *scratch);

#endif /* CS_STIX_PATTERN_INT_H */

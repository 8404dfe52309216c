/*
 * Sigma rules compiled into an evaluator over struct cs_event
 * (chainsweep/sigma.h, docs/sigma.md).
 *
 * A rule's detection becomes a tree of AND/OR/NOT nodes over leaves; a
 * leaf tests one field (or, for keywords, every field) with one compiled
 * value: an exact, prefix, suffix, substring or wildcard pattern (ASCII
 * case folded unless `cased`), a Hyperscan regex, a network, a number
 * comparison, a field reference, presence or absence. Value modifiers
 * that encode (wide, base64, base64offset, windash) are applied when
 * compiling and yield several patterns OR-ed together.
 *
 * Each rule is indexed under the log-source keys it applies to (Windows:
 * channel and event id; others: product and service, see
 * sigma_logsource.c), so an event meets only the rules of its own kind.
 * Field names are interned once; an event's fields are looked up by id
 * through a per-thread table, and each target may rename fields (a rule's
 * Image is a Security 4688 event's NewProcessName).
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>

#include "chainsweep/sigma.h"
#include "intel/intel_int.h"
#include "intel/sigma_int.h"
#include "match/sigma_int.h"

#define SG_MAX_VARIANTS     256 /* patterns one value may expand to */
#define SG_MAX_COND_DEPTH   64
#define SG_MAX_DETECT_DEPTH 16
#define SG_MAX_RULES        1000000

enum {
	OP_EQ,
	OP_PREFIX,
	OP_SUFFIX,
	OP_CONTAINS,
	OP_GLOB,
	OP_RE,
	OP_CIDR,
	OP_NUM,
	OP_NULL,
	OP_EXISTS,
	OP_FIELDREF
};
enum { NUM_GT, NUM_GTE, NUM_LT, NUM_LTE };
enum { SP_LIT = 0, SP_STAR = 1, SP_ONE = 2 };
enum { N_LEAF, N_AND, N_OR, N_NOT, N_ATLEAST, N_TRUE, N_FALSE };

struct leaf {
	uint32_t field; /* name id; 0: keyword, any field */
	uint8_t op, cased, numop, want;
	const unsigned char *lit; /* the pattern, folded unless cased */
	const unsigned char *sp;  /* OP_GLOB: SP_* per byte */
	size_t len;
	hs_database_t *db;
	unsigned char net[16];
	int alen, prefix;
	double num;
	uint32_t ref;
	uint32_t lit1; /* its literal's id in the prefilter plus one, or 0 */
};

struct node {
	uint8_t type;
	uint32_t n, need;
	struct node **kids;
	struct leaf *leaf;
};

struct srule {
	const char *id, *title, *status, *description, *author, *date, *modified;
	const char *product, *category, *service, *file, *indicator;
	const char **tags, **refs;
	size_t ntags, nrefs;
	enum cs_sigma_level level;
	uint64_t line, col;
	int usable;
	int diag; /* not usable when read: reported to the caller's diag */
	const char *reason;
	const char *message;
	uint64_t rline, rcol;
	struct node *cond;
};

struct ent {
	uint32_t rule;
	uint32_t map;
};

struct bucket {
	const char *key;
	struct ent *v;
	size_t n, cap;
};

struct mapping {
	const struct cs__sg_rename *ren;
	uint32_t *arr; /* rule field id -> event field id, over every name */
};

struct reason {
	const char *name;
	uint64_t n;
};

struct cs_sigma {
	struct cs_arena ar;
	struct cs_strtab names; /* field names, rule's and event's */
	struct srule *rules;
	size_t nrules, caprules;
	struct mapping *maps; /* maps[0]: identity */
	size_t nmaps, capmaps;
	struct cs_map index; /* key -> bucket */
	struct bucket *buckets;
	size_t nbuckets, capbuckets;
	hs_database_t **dbs;
	size_t ndbs, capdbs;
	hs_scratch_t *proto;
	struct reason *reasons;
	size_t nreasons, capreasons;
	uint64_t files, usable;
	uint32_t data_id;
	int snapshot; /* loaded from a snapshot (sigma_snap_read) */
	int checking; /* cs__sigma_check(): compile to see, build nothing big */
	/* The prefilter: a rule's condition implies clauses of literals
	 * (rule_cnf); one Hyperscan literal database holds every literal. A
	 * gated rule runs only when each of its clauses has a literal that
	 * occurs somewhere in the event. */
	struct cs_map litmap;
	struct lit {
		const char *s;
		size_t len;
		uint32_t *rules; /* the clauses it belongs to */
		size_t n, cap;
	} * lits;
	size_t nlits, caplits;
	uint8_t *gated; /* per rule: how many clauses must be met, 0 ungated */
	size_t capgated;
	uint32_t *clause_rule; /* clause -> rule; a literal's `rules` are clauses */
	size_t nclauses, capclauses;
	hs_database_t *pre;
	/* With the prefilter, the candidates of an event are the ungated
	 * entries of its buckets (ung[ung_off[b], ung_off[b + 1]) for bucket b,
	 * in rule order) and the gated rules whose clauses were all met, found
	 * through their buckets (rb[rb_off[r], rb_off[r + 1]) for rule r): the
	 * thousands of gated entries of a bucket are not walked per event. */
	struct ent *ung;
	size_t *ung_off;
	struct rbent {
		uint32_t bucket, map;
	} * rb;
	size_t *rb_off;
	/* Regexes checked while the rules were read, compiled afterwards
	 * (beside the prefilter, on two threads). */
	struct pending_re {
		struct leaf *lf;
		const char *pat;
		unsigned flags;
		uint32_t rule;
		hs_database_t *db;
		char *err;
	} * pres;
	size_t npres, cappres;
	/* Compile state of the current rule. */
	uint32_t *cfields;
	size_t ncfields, capcfields;
	int nomem;
};

/* ------------------------------------------------------------------ misc */

const char *cs_sigma_level_name(enum cs_sigma_level l)
{
	static const char *const names[] = {"",       "informational", "low",
	                                    "medium", "high",          "critical"};

	return (unsigned)l < 6 ? names[l] : "";
}

static enum cs_sigma_level level_of(const char *s)
{
	enum cs_sigma_level l;

	if (!s)
		return CS_SIGMA_LEVEL_NONE;
	for (l = CS_SIGMA_LEVEL_INFORMATIONAL; l <= CS_SIGMA_LEVEL_CRITICAL; l++)
		if (cs__eqi(s, strlen(s), cs_sigma_level_name(l)))
			return l;
	return CS_SIGMA_LEVEL_NONE;
}

static const char *adup(struct cs_sigma *sg, const char *s)
{
	char *d;

	if (!s)
		return NULL;
	d = cs__arena_strndup(&sg->ar, s, strlen(s));
	if (!d)
		sg->nomem = 1;
	return d;
}

static void *aalloc(struct cs_sigma *sg, size_t n)
{
	void *p = cs__arena_alloc(&sg->ar, n ? n : 1);

	if (!p)
		sg->nomem = 1;
	else
		memset(p, 0, n ? n : 1);
	return p;
}

static uint32_t name_id(struct cs_sigma *sg, const char *s, size_t n)
{
	uint32_t id = cs__strtab_intern(&sg->names, s, n);

	if (!id)
		sg->nomem = 1;
	return id;
}

static int isword(unsigned char c)
{
	return cs__isalnum(c) || c == '_';
}

/* ------------------------------------------------------------ patterns */

/* A value being compiled: bytes with a SP_* mark each. */
struct pat {
	unsigned char *b, *sp;
	size_t n, cap;
};

static int pat_add(struct pat *p, unsigned char c, unsigned char sp)
{
	if (p->n + 1 > p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		unsigned char *b, *s;

		if (cap > ((size_t)1 << 24))
			return CS_ERR_TOOBIG;
		b = cs__realloc(p->b, cap);
		if (!b)
			return CS_ERR_NOMEM;
		p->b = b;
		s = cs__realloc(p->sp, cap);
		if (!s)
			return CS_ERR_NOMEM;
		p->sp = s;
		p->cap = cap;
	}
	p->b[p->n] = c;
	p->sp[p->n] = sp;
	p->n++;
	return CS_OK;
}

static void pat_free(struct pat *p)
{
	free(p->b);
	free(p->sp);
	memset(p, 0, sizeof(*p));
}

/* Sigma's wildcards and escapes: '*' and '?' are wildcards; a backslash
 * before '*', '?' or '\' makes it literal; before anything else the
 * backslash is itself literal. */
static int pat_parse(struct pat *p, const char *s, size_t n)
{
	size_t i;
	int rc = CS_OK;

	for (i = 0; i < n && !rc; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\' && i + 1 < n &&
		    (s[i + 1] == '*' || s[i + 1] == '?' || s[i + 1] == '\\'))
			rc = pat_add(p, (unsigned char)s[++i], SP_LIT);
		else if (c == '*')
			rc = pat_add(p, c, SP_STAR);
		else if (c == '?')
			rc = pat_add(p, c, SP_ONE);
		else
			rc = pat_add(p, c, SP_LIT);
	}
	return rc;
}

static int pat_has_special(const struct pat *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->sp[i])
			return 1;
	return 0;
}

/* UTF-16 of the literal runs (specials kept): `be` big-endian, `bom` a
 * leading byte-order mark. Invalid UTF-8 bytes stand for themselves. */
static int pat_utf16(struct pat *out, const struct pat *in, int be, int bom)
{
	size_t i = 0;
	int rc = CS_OK;

	memset(out, 0, sizeof(*out));
	if (bom) {
		rc = pat_add(out, be ? 0xfe : 0xff, SP_LIT);
		if (!rc)
			rc = pat_add(out, be ? 0xff : 0xfe, SP_LIT);
	}
	while (i < in->n && !rc) {
		unsigned char c = in->b[i];
		uint32_t cp = c;
		size_t k = 1, j;

		if (in->sp[i]) {
			rc = pat_add(out, c, in->sp[i]);
			i++;
			continue;
		}
		if (c >= 0xc0 && c < 0xe0)
			k = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c < 0xf0)
			k = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c < 0xf8)
			k = 4, cp = c & 0x07;
		if (k > 1) {
			for (j = 1; j < k; j++) {
				if (i + j >= in->n || in->sp[i + j] ||
				    (in->b[i + j] & 0xc0) != 0x80)
					break;
				cp = (cp << 6) | (in->b[i + j] & 0x3f);
			}
			if (j < k)
				k = 1, cp = c;
		}
		i += k;
		if (cp >= 0x10000) {
			uint32_t v = cp - 0x10000;
			uint16_t hi = (uint16_t)(0xd800 + (v >> 10)),
			         lo = (uint16_t)(0xdc00 + (v & 0x3ff));

			rc = pat_add(out, be ? hi >> 8 : hi & 0xff, SP_LIT);
			if (!rc)
				rc = pat_add(out, be ? hi & 0xff : hi >> 8, SP_LIT);
			cp = lo;
		}
		if (!rc)
			rc = pat_add(out, be ? (cp >> 8) & 0xff : cp & 0xff, SP_LIT);
		if (!rc)
			rc = pat_add(out, be ? cp & 0xff : (cp >> 8) & 0xff, SP_LIT);
	}
	return rc;
}

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64(struct pat *out, const unsigned char *b, size_t n)
{
	size_t i;
	int rc = CS_OK;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n && !rc; i += 3) {
		uint32_t v = (uint32_t)b[i] << 16;
		size_t k = n - i < 3 ? n - i : 3;

		if (k > 1)
			v |= (uint32_t)b[i + 1] << 8;
		if (k > 2)
			v |= b[i + 2];
		rc = pat_add(out, (unsigned char)b64chars[(v >> 18) & 63], 0);
		if (!rc)
			rc = pat_add(out, (unsigned char)b64chars[(v >> 12) & 63], 0);
		if (!rc)
			rc = pat_add(out, k > 1 ? (unsigned char)b64chars[(v >> 6) & 63] : '=', 0);
		if (!rc)
			rc = pat_add(out, k > 2 ? (unsigned char)b64chars[v & 63] : '=', 0);
	}
	return rc;
}

/* A list of patterns: the variants one value expands to. */
struct pvec {
	struct pat *v;
	size_t n, cap;
};

static int pvec_push(struct pvec *pv, struct pat *p)
{
	if (pv->n >= SG_MAX_VARIANTS)
		return CS_ERR_TOOBIG;
	if (cs__grow((void **)&pv->v, &pv->cap, pv->n + 1, sizeof(*pv->v)))
		return CS_ERR_NOMEM;
	pv->v[pv->n++] = *p;
	memset(p, 0, sizeof(*p));
	return CS_OK;
}

static void pvec_free(struct pvec *pv)
{
	size_t i;

	for (i = 0; i < pv->n; i++)
		pat_free(&pv->v[i]);
	free(pv->v);
	memset(pv, 0, sizeof(*pv));
}

/*
 * base64offset: the three encodings of the value at each offset in a
 * base64 stream, with the characters that depend on the neighbouring
 * bytes cut off, so that a substring search finds the value wherever it
 * sits in encoded text.
 */
static int b64offset(struct pvec *out, const struct pat *in)
{
	static const size_t start[3] = {0, 2, 3};
	static const size_t cut[3] = {0, 3, 2};
	size_t i;
	int rc = CS_OK;

	for (i = 0; i < 3 && !rc; i++) {
		unsigned char *buf = cs__malloc(in->n + 3);
		struct pat enc, p;
		size_t end, k;

		if (!buf)
			return CS_ERR_NOMEM;
		memset(buf, ' ', i);
		memcpy(buf + i, in->b, in->n);
		rc = b64(&enc, buf, in->n + i);
		free(buf);
		if (rc) {
			pat_free(&enc);
			break;
		}
		end = enc.n - cut[(in->n + i) % 3];
		memset(&p, 0, sizeof(p));
		for (k = start[i]; k < end && !rc; k++)
			rc = pat_add(&p, enc.b[k], SP_LIT);
		pat_free(&enc);
		if (!rc)
			rc = pvec_push(out, &p);
		pat_free(&p);
	}
	return rc;
}

/* windash: every '-' or '/' that starts an option (no word character
 * before it, one after) may be any of the dashes Windows programs accept. */
static int windash(struct pvec *out, const struct pat *in)
{
	static const char *const dashes[] = {"-", "/", "\xe2\x80\x93", "\xe2\x80\x94",
	                                     "\xe2\x80\x95"};
	size_t pos[5], np = 0, i, combos = 1, c;
	int rc = CS_OK;

	for (i = 0; i < in->n; i++) {
		if (in->sp[i] || (in->b[i] != '-' && in->b[i] != '/'))
			continue;
		if (i > 0 && !in->sp[i - 1] && isword(in->b[i - 1]))
			continue;
		if (i + 1 >= in->n || in->sp[i + 1] || !isword(in->b[i + 1]))
			continue;
		if (np == 4)
			return CS_ERR_TOOBIG;
		pos[np++] = i;
	}
	for (i = 0; i < np; i++)
		combos *= 5;
	for (c = 0; c < combos && !rc; c++) {
		struct pat p;
		size_t k = 0, sel = c;

		memset(&p, 0, sizeof(p));
		for (i = 0; i < in->n && !rc; i++) {
			if (k < np && pos[k] == i) {
				const char *d = dashes[sel % 5];

				sel /= 5;
				k++;
				while (*d && !rc)
					rc = pat_add(&p, (unsigned char)*d++, SP_LIT);
			} else {
				rc = pat_add(&p, in->b[i], in->sp[i]);
			}
		}
		if (!rc)
			rc = pvec_push(out, &p);
		pat_free(&p);
	}
	return rc;
}

/* ------------------------------------------------------------ nodes */

static struct node *node_new(struct cs_sigma *sg, int type, size_t n)
{
	struct node *nd = aalloc(sg, sizeof(*nd));

	if (!nd)
		return NULL;
	nd->type = (uint8_t)type;
	nd->n = (uint32_t)n;
	nd->need = type == N_AND ? (uint32_t)n : 1;
	if (n) {
		nd->kids = aalloc(sg, n * sizeof(*nd->kids));
		if (!nd->kids)
			return NULL;
	}
	return nd;
}

static struct node *leaf_node(struct cs_sigma *sg, struct leaf *lf)
{
	struct node *nd = node_new(sg, N_LEAF, 0);

	if (nd)
		nd->leaf = lf;
	return nd;
}

static int note_field(struct cs_sigma *sg, uint32_t id)
{
	size_t i;

	for (i = 0; i < sg->ncfields; i++)
		if (sg->cfields[i] == id)
			return CS_OK;
	if (cs__grow((void **)&sg->cfields, &sg->capcfields, sg->ncfields + 1, sizeof(uint32_t)))
		return CS_ERR_NOMEM;
	sg->cfields[sg->ncfields++] = id;
	return CS_OK;
}

/* A string leaf from a finished pattern: the cheapest test that is
 * exactly the pattern (equality, prefix, suffix, substring) or a glob. */
static struct leaf *string_leaf(struct cs_sigma *sg, uint32_t field, const struct pat *p, int cased)
{
	struct leaf *lf = aalloc(sg, sizeof(*lf));
	unsigned char *lit, *sp;
	size_t i, lo = 0, hi = p->n, inner = 0;

	if (!lf)
		return NULL;
	lf->field = field;
	lf->cased = (uint8_t)cased;
	while (lo < hi && p->sp[lo] == SP_STAR)
		lo++;
	while (hi > lo && p->sp[hi - 1] == SP_STAR)
		hi--;
	for (i = lo; i < hi; i++)
		inner += p->sp[i] != SP_LIT;
	if (!inner) {
		lf->op = lo && hi < p->n ? OP_CONTAINS
		         : lo            ? OP_SUFFIX
		         : hi < p->n     ? OP_PREFIX
		                         : OP_EQ;
		if (p->n && lo == p->n)
			lf->op = OP_CONTAINS; /* only stars: any value */
		lit = aalloc(sg, hi - lo + 1);
		if (!lit)
			return NULL;
		for (i = lo; i < hi; i++)
			lit[i - lo] = cased ? p->b[i] : (unsigned char)cs__lower(p->b[i]);
		lf->lit = lit;
		lf->len = hi - lo;
		return lf;
	}
	lf->op = OP_GLOB;
	lit = aalloc(sg, p->n + 1);
	sp = aalloc(sg, p->n + 1);
	if (!lit || !sp)
		return NULL;
	for (i = 0; i < p->n; i++) {
		lit[i] = cased ? p->b[i] : (unsigned char)cs__lower(p->b[i]);
		sp[i] = p->sp[i];
	}
	lf->lit = lit;
	lf->sp = sp;
	lf->len = p->n;
	return lf;
}

/* ------------------------------------------------------------ values */

struct mods {
	int contains, startswith, endswith, all, cased, re, re_i, re_m, re_s, cidr, exists,
	        fieldref, expand, numop, base64, base64off, windash;
	/* The encoding steps in the order written: 'w' wide/utf16le,
	 * 'b' utf16be, 'u' utf16 with BOM, '6' base64, 'o' base64offset,
	 * 'd' windash. */
	char steps[8];
	int nsteps;
};

static int parse_mods(struct cs__sigma_rule *r, const struct cs__sy *key, const char *m,
                      struct mods *md)
{
	memset(md, 0, sizeof(*md));
	md->numop = -1;
	while (m && *m) {
		const char *e = strchr(m, '|');
		size_t n = e ? (size_t)(e - m) : strlen(m);
		char step = 0;

#define IS(w) (n == sizeof(w) - 1 && memcmp(m, w, n) == 0)
		if (IS("contains"))
			md->contains = 1;
		else if (IS("startswith"))
			md->startswith = 1;
		else if (IS("endswith"))
			md->endswith = 1;
		else if (IS("all"))
			md->all = 1;
		else if (IS("cased"))
			md->cased = 1;
		else if (IS("re"))
			md->re = 1;
		else if (IS("i"))
			md->re_i = 1;
		else if (IS("m"))
			md->re_m = 1;
		else if (IS("s"))
			md->re_s = 1;
		else if (IS("cidr"))
			md->cidr = 1;
		else if (IS("exists"))
			md->exists = 1;
		else if (IS("fieldref"))
			md->fieldref = 1;
		else if (IS("expand"))
			md->expand = 1;
		else if (IS("gt"))
			md->numop = NUM_GT;
		else if (IS("gte"))
			md->numop = NUM_GTE;
		else if (IS("lt"))
			md->numop = NUM_LT;
		else if (IS("lte"))
			md->numop = NUM_LTE;
		else if (IS("wide") || IS("utf16le"))
			step = 'w';
		else if (IS("utf16be"))
			step = 'b';
		else if (IS("utf16"))
			step = 'u';
		else if (IS("base64"))
			step = '6';
		else if (IS("base64offset"))
			step = 'o';
		else if (IS("windash"))
			step = 'd';
		else
			return cs__sigma_fail(r, "unknown-modifier", key, "unknown modifier '%.*s'",
			                      (int)(n > 40 ? 40 : n), m);
#undef IS
		if (step) {
			if (md->nsteps >= (int)sizeof(md->steps))
				return cs__sigma_fail(r, "unknown-modifier", key,
				                      "too many modifiers");
			md->steps[md->nsteps++] = step;
		}
		m = e ? e + 1 : NULL;
	}
	if ((md->re_i || md->re_m || md->re_s) && !md->re)
		return cs__sigma_fail(r, "unknown-modifier", key,
		                      "regex flags i, m, s without the re modifier");
	if (md->re + md->cidr + md->exists + md->fieldref + (md->numop >= 0) > 1 ||
	    ((md->re || md->cidr || md->exists || md->numop >= 0) &&
	     (md->contains || md->startswith || md->endswith || md->nsteps)))
		return cs__sigma_fail(r, "bad-modifier-combination", key,
		                      "modifiers that cannot be combined");
	if (md->contains + md->startswith + md->endswith > 1)
		return cs__sigma_fail(r, "bad-modifier-combination", key,
		                      "more than one of contains, startswith, endswith");
	return CS_OK;
}

static int compile_re(struct cs_sigma *sg, struct cs__sigma_rule *r, const struct cs__sy *v,
                      const struct mods *md, struct leaf *lf)
{
	hs_compile_error_t *err = NULL;
	unsigned flags = HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY;

	if (md->re_i)
		flags |= HS_FLAG_CASELESS;
	if (md->re_m)
		flags |= HS_FLAG_MULTILINE;
	if (md->re_s)
		flags |= HS_FLAG_DOTALL;
	if (v->type != CS__SY_SCALAR)
		return cs__sigma_fail(r, "bad-value", v, "a regex must be a string");
	if (sg->checking) {
		/* The import only asks whether Hyperscan takes the regex: its
		 * analysis says so without building a database. */
		hs_expr_info_t *info = NULL;

		if (hs_expression_info(v->s, flags, &info, &err) != HS_SUCCESS) {
			cs__sigma_fail(r, "regex-unsupported", v,
			               "regex not supported by Hyperscan: %s",
			               err && err->message ? err->message : "error");
			hs_free_compile_error(err);
			return CS_ERR_UNSUPPORTED;
		}
		free(info);
		lf->op = OP_RE;
		return CS_OK;
	}
	{
		/* Checked now (the rule's usability is decided here), built by
		 * compile_regexes() once every rule is read. */
		hs_expr_info_t *info = NULL;
		struct pending_re *pr;

		if (hs_expression_info(v->s, flags, &info, &err) != HS_SUCCESS) {
			cs__sigma_fail(r, "regex-unsupported", v,
			               "regex not supported by Hyperscan: %s",
			               err && err->message ? err->message : "error");
			hs_free_compile_error(err);
			return CS_ERR_UNSUPPORTED;
		}
		free(info);
		if (cs__grow((void **)&sg->pres, &sg->cappres, sg->npres + 1, sizeof(*sg->pres)))
			return CS_ERR_NOMEM;
		pr = &sg->pres[sg->npres];
		memset(pr, 0, sizeof(*pr));
		pr->lf = lf;
		pr->pat = adup(sg, v->s);
		pr->flags = flags;
		pr->rule = (uint32_t)sg->nrules;
		if (!pr->pat)
			return CS_ERR_NOMEM;
		sg->npres++;
	}
	lf->op = OP_RE;
	return CS_OK;
}

static int parse_cidr(const char *s, unsigned char *net, int *alen, int *prefix)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	int bits, i;
	char *end;
	long p;

	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(net, 0, 16);
	if (inet_pton(AF_INET, buf, net) == 1)
		*alen = 4;
	else if (inet_pton(AF_INET6, buf, net) == 1)
		*alen = 16;
	else
		return -1;
	bits = *alen * 8;
	if (slash) {
		p = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end || p < 0 || p > bits)
			return -1;
		bits = (int)p;
	}
	*prefix = bits;
	for (i = bits; i < *alen * 8; i++)
		net[i / 8] &= (unsigned char)~(0x80 >> (i % 8));
	return 0;
}

/* Compile one value of a field item into `out` (a node OR-ing its
 * variants), or NULL with the rule marked. */
static struct node *compile_value(struct cs_sigma *sg, struct cs__sigma_rule *r, uint32_t field,
                                  const struct cs__sy *v, const struct mods *md)
{
	struct pvec cur, next;
	struct node *nd = NULL;
	struct leaf *lf;
	struct pat p;
	int i, rc = CS_OK;
	size_t k;

	if (v->type == CS__SY_NULL) {
		lf = aalloc(sg, sizeof(*lf));
		if (!lf)
			return NULL;
		lf->field = field;
		lf->op = OP_NULL;
		return leaf_node(sg, lf);
	}
	if (v->type != CS__SY_SCALAR) {
		cs__sigma_fail(r, "bad-value", v, "a value must be a string, number or null");
		return NULL;
	}
	if (md->expand) {
		cs__sigma_fail(r, "placeholder-undefined", v,
		               "placeholder '%.60s' (expand) is not defined", v->s);
		return NULL;
	}
	if (md->re || md->cidr || md->exists || md->numop >= 0 || md->fieldref) {
		lf = aalloc(sg, sizeof(*lf));
		if (!lf)
			return NULL;
		lf->field = field;
		if (!field && !md->re) {
			cs__sigma_fail(r, "bad-modifier-combination", v,
			               "a keyword cannot use this modifier");
			return NULL;
		}
		if (md->re) {
			if (compile_re(sg, r, v, md, lf))
				return NULL;
		} else if (md->cidr) {
			lf->op = OP_CIDR;
			if (parse_cidr(v->s, lf->net, &lf->alen, &lf->prefix)) {
				cs__sigma_fail(r, "bad-value", v, "not a network: '%.60s'", v->s);
				return NULL;
			}
		} else if (md->exists) {
			lf->op = OP_EXISTS;
			if (strcmp(v->s, "true") == 0 || strcmp(v->s, "yes") == 0)
				lf->want = 1;
			else if (strcmp(v->s, "false") != 0 && strcmp(v->s, "no") != 0) {
				cs__sigma_fail(r, "bad-value", v, "exists takes true or false");
				return NULL;
			}
		} else if (md->fieldref) {
			lf->op = OP_FIELDREF;
			lf->cased = (uint8_t)md->cased;
			lf->ref = name_id(sg, v->s, v->len);
			if (!lf->ref || note_field(sg, lf->ref))
				return NULL;
			lf->want = md->startswith ? 1 : md->endswith ? 2 : md->contains ? 3 : 0;
		} else {
			char *end;

			lf->op = OP_NUM;
			lf->numop = (uint8_t)md->numop;
			lf->num = strtod(v->s, &end);
			if (end == v->s || *end) {
				cs__sigma_fail(r, "bad-value", v, "not a number: '%.60s'", v->s);
				return NULL;
			}
		}
		return leaf_node(sg, lf);
	}
	memset(&cur, 0, sizeof(cur));
	memset(&next, 0, sizeof(next));
	memset(&p, 0, sizeof(p));
	rc = pat_parse(&p, v->s, v->len);
	if (!rc)
		rc = pvec_push(&cur, &p);
	for (i = 0; i < md->nsteps && !rc; i++) {
		char st = md->steps[i];

		for (k = 0; k < cur.n && !rc; k++) {
			struct pat q;

			memset(&q, 0, sizeof(q));
			if ((st == '6' || st == 'o') && pat_has_special(&cur.v[k])) {
				cs__sigma_fail(r, "bad-value", v,
				               "wildcards cannot be base64-encoded ('%.60s')",
				               v->s);
				rc = CS_ERR_UNSUPPORTED;
			} else if (st == 'w' || st == 'b' || st == 'u') {
				rc = pat_utf16(&q, &cur.v[k], st == 'b', st == 'u');
				if (!rc)
					rc = pvec_push(&next, &q);
			} else if (st == '6') {
				rc = b64(&q, cur.v[k].b, cur.v[k].n);
				if (!rc)
					rc = pvec_push(&next, &q);
			} else if (st == 'o') {
				rc = b64offset(&next, &cur.v[k]);
			} else {
				rc = windash(&next, &cur.v[k]);
			}
			pat_free(&q);
		}
		pvec_free(&cur);
		cur = next;
		memset(&next, 0, sizeof(next));
	}
	if (rc == CS_ERR_TOOBIG)
		cs__sigma_fail(r, "too-many-variants", v, "the modifiers expand '%.60s' too far",
		               v->s);
	if (!rc) {
		nd = node_new(sg, N_OR, cur.n);
		for (k = 0; nd && k < cur.n && !rc; k++) {
			struct pat *q = &cur.v[k];

			if (md->contains || md->endswith) {
				struct pat w;

				memset(&w, 0, sizeof(w));
				if (!q->n || q->sp[0] != SP_STAR)
					rc = pat_add(&w, '*', SP_STAR);
				for (size_t j = 0; j < q->n && !rc; j++)
					rc = pat_add(&w, q->b[j], q->sp[j]);
				pat_free(q);
				*q = w;
			}
			if (!rc && (md->contains || md->startswith) &&
			    (!q->n || q->sp[q->n - 1] != SP_STAR))
				rc = pat_add(q, '*', SP_STAR);
			if (!rc) {
				lf = string_leaf(sg, field, q, md->cased);
				nd->kids[k] = lf ? leaf_node(sg, lf) : NULL;
				if (!nd->kids[k])
					rc = CS_ERR_NOMEM;
			}
		}
		if (nd && nd->n == 1 && !rc)
			nd = nd->kids[0];
	}
	pvec_free(&cur);
	pvec_free(&next);
	pat_free(&p);
	if (rc == CS_ERR_NOMEM || rc == CS_ERR_TOOBIG)
		sg->nomem |= rc == CS_ERR_NOMEM;
	return rc ? NULL : nd;
}

/* `field|mods: value or list`. Lists OR their values, or AND them with
 * `all`. An empty key (or one starting with '|') is a keyword item. */
static struct node *compile_item(struct cs_sigma *sg, struct cs__sigma_rule *r,
                                 const struct cs__sy *key, const struct cs__sy *val)
{
	const char *bar = strchr(key->s, '|');
	size_t flen = bar ? (size_t)(bar - key->s) : key->len;
	uint32_t field = 0;
	struct mods md;
	struct node *nd;
	size_t i;

	if (parse_mods(r, key, bar ? bar + 1 : NULL, &md))
		return NULL;
	if (flen) {
		field = name_id(sg, key->s, flen);
		if (!field || note_field(sg, field)) {
			sg->nomem = 1;
			return NULL;
		}
	}
	if (val->type != CS__SY_SEQ)
		return compile_value(sg, r, field, val, &md);
	if (!val->n) {
		cs__sigma_fail(r, "bad-value", val, "an empty list of values");
		return NULL;
	}
	nd = node_new(sg, md.all ? N_AND : N_OR, val->n);
	for (i = 0; nd && i < val->n; i++) {
		nd->kids[i] = compile_value(sg, r, field, val->v[i], &md);
		if (!nd->kids[i])
			return NULL;
	}
	return nd;
}

/* A search identifier: a map (AND of items), a list of maps (OR), a
 * list of strings or a string (keywords, OR). */
static struct node *compile_search(struct cs_sigma *sg, struct cs__sigma_rule *r,
                                   const struct cs__sy *s, int depth)
{
	struct mods md;
	struct node *nd;
	size_t i;

	if (depth > SG_MAX_DETECT_DEPTH) {
		cs__sigma_fail(r, "bad-detection", s, "detection nested too deep");
		return NULL;
	}
	switch (s->type) {
	case CS__SY_MAP:
		if (!s->n) {
			cs__sigma_fail(r, "bad-detection", s, "an empty selection");
			return NULL;
		}
		nd = node_new(sg, N_AND, s->n);
		for (i = 0; nd && i < s->n; i++) {
			nd->kids[i] = compile_item(sg, r, s->v[2 * i], s->v[2 * i + 1]);
			if (!nd->kids[i])
				return NULL;
		}
		return nd && nd->n == 1 ? nd->kids[0] : nd;
	case CS__SY_SEQ:
		if (!s->n) {
			cs__sigma_fail(r, "bad-detection", s, "an empty selection");
			return NULL;
		}
		nd = node_new(sg, N_OR, s->n);
		for (i = 0; nd && i < s->n; i++) {
			const struct cs__sy *it = s->v[i];

			if (it->type == CS__SY_MAP || it->type == CS__SY_SEQ) {
				nd->kids[i] = compile_search(sg, r, it, depth + 1);
			} else {
				memset(&md, 0, sizeof(md));
				md.numop = -1;
				md.contains = 1;
				nd->kids[i] = compile_value(sg, r, 0, it, &md);
			}
			if (!nd->kids[i])
				return NULL;
		}
		return nd;
	case CS__SY_SCALAR:
		memset(&md, 0, sizeof(md));
		md.numop = -1;
		md.contains = 1;
		return compile_value(sg, r, 0, s, &md);
	default:
		cs__sigma_fail(r, "bad-detection", s, "a selection must be a map or a list");
		return NULL;
	}
}

/* ------------------------------------------------------------ condition */

struct sel {
	const char *name;
	struct node *nd;
};

struct cparse {
	struct cs_sigma *sg;
	struct cs__sigma_rule *r;
	const struct cs__sy *at;
	const char *s;
	size_t pos;
	struct sel *sels;
	size_t nsels;
	int depth;
};

static void skip_ws(struct cparse *c)
{
	while (cs__isspace((unsigned char)c->s[c->pos]))
		c->pos++;
}

static int idchar(char ch)
{
	return isword((unsigned char)ch) || ch == '*' || ch == '?' || ch == '-' || ch == '.';
}

/* The next word (identifier, keyword or number) without consuming it. */
static size_t peek_word(struct cparse *c, const char **w)
{
	size_t n = 0;

	skip_ws(c);
	*w = c->s + c->pos;
	while (idchar(c->s[c->pos + n]))
		n++;
	return n;
}

static int word_is(const char *w, size_t n, const char *kw)
{
	return n == strlen(kw) && cs__strncasecmp(w, kw, n) == 0;
}

static int name_match(const char *pat, size_t pn, const char *s)
{
	size_t i = 0, j = 0, star = (size_t)-1, mark = 0, sn = strlen(s);

	while (j < sn) {
		if (i < pn && (pat[i] == '?' || pat[i] == s[j])) {
			i++;
			j++;
		} else if (i < pn && pat[i] == '*') {
			star = i++;
			mark = j;
		} else if (star != (size_t)-1) {
			i = star + 1;
			j = ++mark;
		} else {
			return 0;
		}
	}
	while (i < pn && pat[i] == '*')
		i++;
	return i == pn;
}

static struct node *cond_or(struct cparse *c);

static struct node *cfail(struct cparse *c, const char *reason, const char *msg)
{
	cs__sigma_fail(c->r, reason, c->at, "condition '%.80s': %s", c->s, msg);
	return NULL;
}

static struct node *cond_primary(struct cparse *c)
{
	const char *w;
	size_t n, i, cnt = 0;
	struct node *nd;

	if (++c->depth > SG_MAX_COND_DEPTH)
		return cfail(c, "bad-condition", "nested too deep");
	skip_ws(c);
	if (c->s[c->pos] == '(') {
		c->pos++;
		nd = cond_or(c);
		skip_ws(c);
		if (!nd)
			return NULL;
		if (c->s[c->pos] != ')')
			return cfail(c, "bad-condition", "missing ')'");
		c->pos++;
		c->depth--;
		return nd;
	}
	n = peek_word(c, &w);
	if (!n) {
		if (c->s[c->pos] == '|')
			return cfail(c, "aggregation", "aggregations are not evaluated");
		return cfail(c, "bad-condition",
		             c->s[c->pos] ? "unexpected character" : "ends early");
	}
	if (word_is(w, n, "not")) {
		c->pos += n;
		nd = cond_primary(c);
		if (!nd)
			return NULL;
		struct node *x = node_new(c->sg, N_NOT, 1);

		if (!x)
			return NULL;
		x->kids[0] = nd;
		c->depth--;
		return x;
	}
	if (word_is(w, n, "all") || word_is(w, n, "any") || (cs__isdigit((unsigned char)w[0]))) {
		const char *w2, *w3;
		size_t n2, n3, save = c->pos;
		long need = 1;
		int all = word_is(w, n, "all");

		if (cs__isdigit((unsigned char)w[0])) {
			for (i = 0; i < n; i++)
				if (!cs__isdigit((unsigned char)w[i]))
					return cfail(c, "bad-condition", "unknown word");
			need = strtol(w, NULL, 10);
		}
		c->pos += n;
		n2 = peek_word(c, &w2);
		if (!word_is(w2, n2, "of")) {
			c->pos = save;
			goto ident;
		}
		c->pos += n2;
		n3 = peek_word(c, &w3);
		if (!n3)
			return cfail(c, "bad-condition", "'of' without a name");
		c->pos += n3;
		for (i = 0; i < c->nsels; i++)
			if (word_is(w3, n3, "them") ? c->sels[i].name[0] != '_'
			                            : name_match(w3, n3, c->sels[i].name))
				cnt++;
		if (!cnt)
			return cfail(c, "bad-condition", "'of' names no search identifier");
		nd = node_new(c->sg, all ? N_AND : N_ATLEAST, cnt);
		if (!nd)
			return NULL;
		if (!all)
			nd->need = (uint32_t)(need < 1 ? 1 : need);
		cnt = 0;
		for (i = 0; i < c->nsels; i++)
			if (word_is(w3, n3, "them") ? c->sels[i].name[0] != '_'
			                            : name_match(w3, n3, c->sels[i].name))
				nd->kids[cnt++] = c->sels[i].nd;
		if (!all && nd->need == 1)
			nd->type = N_OR;
		c->depth--;
		return nd;
	}
ident:
	for (i = 0; i < c->nsels; i++)
		if (strlen(c->sels[i].name) == n && memcmp(c->sels[i].name, w, n) == 0) {
			c->pos += n;
			c->depth--;
			return c->sels[i].nd;
		}
	if (word_is(w, n, "near"))
		return cfail(c, "aggregation", "'near' is not evaluated");
	cs__sigma_fail(c->r, "bad-condition", c->at,
	               "condition '%.80s' names '%.*s', which the detection does not define", c->s,
	               (int)(n > 40 ? 40 : n), w);
	return NULL;
}

static struct node *cond_bin(struct cparse *c, int and)
{
	struct node *kids[64], *nd;
	size_t n = 0, i;

	for (;;) {
		const char *w;
		size_t wn;

		kids[n] = and? cond_primary(c) : cond_bin(c, 1);
		if (!kids[n])
			return NULL;
		n++;
		wn = peek_word(c, &w);
		if (!word_is(w, wn, and? "and" : "or"))
			break;
		if (n == 64)
			return cfail(c, "bad-condition", "too many terms");
		c->pos += wn;
	}
	if (n == 1)
		return kids[0];
	nd = node_new(c->sg, and? N_AND : N_OR, n);
	if (!nd)
		return NULL;
	for (i = 0; i < n; i++)
		nd->kids[i] = kids[i];
	return nd;
}

static struct node *cond_or(struct cparse *c)
{
	return cond_bin(c, 0);
}

static struct node *compile_condition(struct cparse *c, const struct cs__sy *cond)
{
	struct node *nd;

	c->at = cond;
	if (cond->type == CS__SY_SEQ) {
		size_t i;

		if (!cond->n)
			return cfail(c, "no-condition", "an empty list of conditions");
		nd = node_new(c->sg, N_OR, cond->n);
		for (i = 0; nd && i < cond->n; i++) {
			nd->kids[i] = compile_condition(c, cond->v[i]);
			if (!nd->kids[i])
				return NULL;
		}
		return nd;
	}
	if (cond->type != CS__SY_SCALAR) {
		cs__sigma_fail(c->r, "bad-condition", cond, "the condition is not a string");
		return NULL;
	}
	c->s = cond->s;
	c->pos = 0;
	c->depth = 0;
	nd = cond_or(c);
	if (!nd)
		return NULL;
	skip_ws(c);
	if (c->s[c->pos] == '|')
		return cfail(c, "aggregation", "aggregations are not evaluated");
	if (c->s[c->pos])
		return cfail(c, "bad-condition", "unexpected text after the expression");
	return nd;
}

/* ------------------------------------------------------------ rules */

static uint32_t mapping_for(struct cs_sigma *sg, const struct cs__sg_rename *ren)
{
	size_t i;

	if (!ren)
		return 0;
	for (i = 1; i < sg->nmaps; i++)
		if (sg->maps[i].ren == ren)
			return (uint32_t)i;
	if (cs__grow((void **)&sg->maps, &sg->capmaps, sg->nmaps + 1, sizeof(*sg->maps))) {
		sg->nomem = 1;
		return 0;
	}
	sg->maps[sg->nmaps].ren = ren;
	sg->maps[sg->nmaps].arr = NULL;
	for (i = 0; ren[i].sigma; i++) {
		name_id(sg, ren[i].sigma, strlen(ren[i].sigma));
		name_id(sg, ren[i].event, strlen(ren[i].event));
	}
	return (uint32_t)sg->nmaps++;
}

static int index_add(struct cs_sigma *sg, const char *key, uint32_t rule, uint32_t map)
{
	uint32_t b;
	struct bucket *bk;

	if (!cs__map_get(&sg->index, key, strlen(key), &b)) {
		if (cs__grow((void **)&sg->buckets, &sg->capbuckets, sg->nbuckets + 1,
		             sizeof(*sg->buckets)))
			return CS_ERR_NOMEM;
		b = (uint32_t)sg->nbuckets++;
		memset(&sg->buckets[b], 0, sizeof(sg->buckets[b]));
		sg->buckets[b].key = adup(sg, key);
		if (!sg->buckets[b].key)
			return CS_ERR_NOMEM;
		if (cs__map_put(&sg->index, key, strlen(key), b))
			return CS_ERR_NOMEM;
	}
	bk = &sg->buckets[b];
	if (bk->n && bk->v[bk->n - 1].rule == rule)
		return CS_OK;
	if (cs__grow((void **)&bk->v, &bk->cap, bk->n + 1, sizeof(*bk->v)))
		return CS_ERR_NOMEM;
	bk->v[bk->n].rule = rule;
	bk->v[bk->n].map = map;
	bk->n++;
	return CS_OK;
}

static void lower_into(char *dst, size_t cap, const char *s)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < cap; i++)
		dst[i] = (char)cs__lower((unsigned char)s[i]);
	dst[i] = '\0';
}

/* Does a closed target carry every field the rule uses? */
static int target_carries(struct cs_sigma *sg, const struct cs__sg_target *t)
{
	size_t i, j;

	if (!t->closed)
		return 1;
	for (i = 0; i < sg->ncfields; i++) {
		const char *f = cs__strtab_get(&sg->names, sg->cfields[i]);
		int ok = cs__sigma_common_field(f);

		for (j = 0; !ok && t->renames && t->renames[j].sigma; j++)
			ok = strcmp(t->renames[j].sigma, f) == 0;
		for (j = 0; !ok && t->native && t->native[j]; j++)
			ok = strcmp(t->native[j], f) == 0;
		if (!ok)
			return 0;
	}
	return 1;
}

/* Put rule `ri` under the index keys of its targets. */
static int index_rule(struct cs_sigma *sg, struct cs__sigma_rule *r, uint32_t ri)
{
	struct cs__sg_target t[CS__SG_MAX_TARGETS];
	char keys[CS__SG_MAX_TARGETS][96];
	char key[200], ch[160];
	size_t nt, i, used = 0;
	int rc = CS_OK;

	nt = cs__sigma_targets(r->product, r->category, r->service, t, keys);
	if (!nt)
		return cs__sigma_fail(r, "logsource-unmapped", r->logsource,
		                      "no log reader carries events of this log source "
		                      "(product %s, category %s, service %s)",
		                      r->product ? r->product : "-",
		                      r->category ? r->category : "-",
		                      r->service ? r->service : "-");
	for (i = 0; i < nt && !rc; i++) {
		uint32_t map;
		size_t e;

		if (!target_carries(sg, &t[i]))
			continue;
		used++;
		map = mapping_for(sg, t[i].renames);
		if (sg->nomem)
			return CS_ERR_NOMEM;
		if (t[i].okey) {
			rc = index_add(sg, t[i].okey, ri, map);
			continue;
		}
		if (!t[i].channel) {
			rc = index_add(sg, "w|*", ri, map);
			continue;
		}
		lower_into(ch, sizeof(ch), t[i].channel);
		if (!t[i].eids[0]) {
			snprintf(key, sizeof(key), "w|%s|*", ch);
			rc = index_add(sg, key, ri, map);
		}
		for (e = 0; e < 8 && t[i].eids[e] && !rc; e++) {
			snprintf(key, sizeof(key), "w|%s|%d", ch, t[i].eids[e]);
			rc = index_add(sg, key, ri, map);
		}
	}
	if (!rc && !used)
		return cs__sigma_fail(r, "fields-unmapped", r->logsource,
		                      "the events of this log source do not carry the fields the "
		                      "rule uses");
	return rc;
}

/* ------------------------------------------------------------ prefilter */

struct lvec {
	const struct leaf **v;
	size_t n, cap;
};

/* The longest run of literal bytes of a string leaf. */
static size_t leaf_literal(const struct leaf *lf, const unsigned char **p)
{
	size_t i, best = 0, run = 0, start = 0;

	if (lf->op > OP_GLOB)
		return 0;
	if (lf->op != OP_GLOB) {
		*p = lf->lit;
		return lf->len;
	}
	for (i = 0; i <= lf->len; i++) {
		if (i < lf->len && lf->sp[i] == SP_LIT) {
			if (!run)
				start = i;
			run++;
			continue;
		}
		if (run > best) {
			best = run;
			*p = lf->lit + start;
		}
		run = 0;
	}
	return best;
}

struct cnf {
	struct lvec *cl;
	size_t n, cap;
};

#define SG_MAX_CLAUSES 16
#define SG_MIN_LITERAL 3

static void cnf_free(struct cnf *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->cl[i].v);
	free(c->cl);
	memset(c, 0, sizeof(*c));
}

static int lvec_push(struct lvec *v, const struct leaf *lf)
{
	if (cs__grow((void **)&v->v, &v->cap, v->n + 1, sizeof(*v->v)))
		return -1;
	v->v[v->n++] = lf;
	return 0;
}

/* Move clause `cl` into `out` (dropped past the cap: fewer clauses only
 * let more events through). */
static int cnf_take(struct cnf *out, struct lvec *cl)
{
	if (out->n >= SG_MAX_CLAUSES) {
		free(cl->v);
		memset(cl, 0, sizeof(*cl));
		return 0;
	}
	if (cs__grow((void **)&out->cl, &out->cap, out->n + 1, sizeof(*out->cl))) {
		free(cl->v);
		return -1;
	}
	out->cl[out->n++] = *cl;
	memset(cl, 0, sizeof(*cl));
	return 0;
}

/*
 * A necessary condition of a rule's condition, as clauses of literals:
 * for the condition to hold, every clause must have one of its leaves'
 * literals somewhere in the event. A leaf is one clause; an AND joins its
 * branches' clauses; an OR (or "N of") is one clause, the union of one
 * clause of each branch (each branch needs one); a NOT, a regex, a
 * number or a network gives nothing. Returns 1 when there is at least
 * one clause, 0 when none, -1 out of memory.
 */
static int rule_cnf(const struct node *nd, struct cnf *out)
{
	const unsigned char *lit;
	size_t i, j;

	switch (nd->type) {
	case N_LEAF: {
		struct lvec cl = {NULL, 0, 0};

		if (!leaf_literal(nd->leaf, &lit))
			return 0;
		if (lvec_push(&cl, nd->leaf) || cnf_take(out, &cl))
			return -1;
		return 1;
	}
	case N_OR:
	case N_ATLEAST: {
		struct lvec u = {NULL, 0, 0};

		for (i = 0; i < nd->n; i++) {
			struct cnf t = {NULL, 0, 0};
			size_t best = 0;
			int r = rule_cnf(nd->kids[i], &t);

			if (r <= 0) {
				cnf_free(&t);
				free(u.v);
				return r;
			}
			for (j = 1; j < t.n; j++)
				if (t.cl[j].n < t.cl[best].n)
					best = j;
			for (j = 0; j < t.cl[best].n; j++)
				if (lvec_push(&u, t.cl[best].v[j])) {
					cnf_free(&t);
					free(u.v);
					return -1;
				}
			cnf_free(&t);
		}
		return cnf_take(out, &u) ? -1 : 1;
	}
	case N_AND: {
		int any = 0;

		for (i = 0; i < nd->n; i++) {
			struct cnf t = {NULL, 0, 0};
			int r = rule_cnf(nd->kids[i], &t);

			if (r < 0) {
				cnf_free(&t);
				return -1;
			}
			for (j = 0; j < t.n; j++)
				if (cnf_take(out, &t.cl[j])) {
					cnf_free(&t);
					return -1;
				}
			any |= r;
			cnf_free(&t);
		}
		return any && out->n ? 1 : 0;
	}
	default:
		return 0;
	}
}

/* The literal's id in the prefilter, added when new. */
static int lit_id(struct cs_sigma *sg, const struct leaf *lf, uint32_t *id)
{
	const unsigned char *lit = NULL;
	size_t n = leaf_literal(lf, &lit);
	struct lit *l;

	if (cs__map_get(&sg->litmap, lit, n, id))
		return CS_OK;
	if (cs__grow((void **)&sg->lits, &sg->caplits, sg->nlits + 1, sizeof(*sg->lits)))
		return CS_ERR_NOMEM;
	*id = (uint32_t)sg->nlits;
	l = &sg->lits[*id];
	memset(l, 0, sizeof(*l));
	l->s = cs__arena_strndup(&sg->ar, (const char *)lit, n);
	l->len = n;
	if (!l->s || cs__map_put(&sg->litmap, lit, n, *id))
		return CS_ERR_NOMEM;
	sg->nlits++;
	return CS_OK;
}

/* Gate rule `ri` behind the clauses of its condition, when it has any. */
static int gate_rule(struct cs_sigma *sg, uint32_t ri, const struct node *cond)
{
	struct cnf c = {NULL, 0, 0};
	size_t i, j;
	int r, rc = CS_OK;

	if (cs__grow((void **)&sg->gated, &sg->capgated, ri + 1, 1))
		return CS_ERR_NOMEM;
	sg->gated[ri] = 0;
	r = rule_cnf(cond, &c);
	if (r < 0) {
		cnf_free(&c);
		return CS_ERR_NOMEM;
	}
	/* A clause with a literal of one or two characters holds in nearly
	 * every event: it costs a scan hit and filters nothing. Dropped (the
	 * rule then only needs its other clauses). */
	for (i = j = 0; r == 1 && i < c.n; i++) {
		size_t k;
		int weak = 0;

		for (k = 0; k < c.cl[i].n && !weak; k++) {
			const unsigned char *lit;

			weak = leaf_literal(c.cl[i].v[k], &lit) < SG_MIN_LITERAL;
		}
		if (weak)
			free(c.cl[i].v);
		else
			c.cl[j++] = c.cl[i];
	}
	if (r == 1)
		c.n = j;
	if (!c.n)
		r = 0;
	for (i = 0; r == 1 && !rc && i < c.n; i++) {
		uint32_t cid = (uint32_t)sg->nclauses;

		if (cs__grow((void **)&sg->clause_rule, &sg->capclauses, sg->nclauses + 1,
		             sizeof(*sg->clause_rule))) {
			rc = CS_ERR_NOMEM;
			break;
		}
		sg->clause_rule[sg->nclauses++] = ri;
		for (j = 0; !rc && j < c.cl[i].n; j++) {
			uint32_t id;
			struct lit *l;

			rc = lit_id(sg, c.cl[i].v[j], &id);
			if (rc)
				break;
			l = &sg->lits[id];
			if (l->n && l->rules[l->n - 1] == cid)
				continue;
			if (cs__grow((void **)&l->rules, &l->cap, l->n + 1, sizeof(*l->rules)))
				rc = CS_ERR_NOMEM;
			else
				l->rules[l->n++] = cid;
		}
	}
	if (!rc && r == 1)
		sg->gated[ri] = (uint8_t)c.n;
	cnf_free(&c);
	return rc;
}

/*
 * Give each string leaf of the condition the id of its literal in the
 * prefilter, when the prefilter has it: a leaf whose literal occurs in
 * no value of an event is false there without being tested.
 */
static void tag_leaves(struct cs_sigma *sg, struct node *nd)
{
	const unsigned char *lit = NULL;
	uint32_t i, id;
	size_t n;

	if (!nd)
		return;
	if (nd->type == N_LEAF) {
		n = leaf_literal(nd->leaf, &lit);
		if (n >= SG_MIN_LITERAL && cs__map_get(&sg->litmap, lit, n, &id))
			nd->leaf->lit1 = id + 1;
		return;
	}
	for (i = 0; i < nd->n; i++)
		tag_leaves(sg, nd->kids[i]);
}

static void untag_leaves(struct node *nd)
{
	uint32_t i;

	if (!nd)
		return;
	if (nd->type == N_LEAF)
		nd->leaf->lit1 = 0;
	for (i = 0; nd->type != N_LEAF && i < nd->n; i++)
		untag_leaves(nd->kids[i]);
}

/* One Hyperscan database over every literal, matched without case. */
static int build_prefilter(struct cs_sigma *sg)
{
	const char **ex;
	unsigned *flags, *ids;
	size_t *lens, i;
	hs_compile_error_t *err = NULL;
	int rc = CS_OK;

	if (!sg->nlits)
		return CS_OK;
	ex = cs__calloc(sg->nlits, sizeof(*ex));
	flags = cs__calloc(sg->nlits, sizeof(*flags));
	ids = cs__calloc(sg->nlits, sizeof(*ids));
	lens = cs__calloc(sg->nlits, sizeof(*lens));
	if (!ex || !flags || !ids || !lens) {
		rc = CS_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < sg->nlits; i++) {
		ex[i] = sg->lits[i].s;
		lens[i] = sg->lits[i].len;
		ids[i] = (unsigned)i;
		flags[i] = HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH;
	}
	if (hs_compile_lit_multi(ex, flags, ids, lens, (unsigned)sg->nlits, HS_MODE_BLOCK, NULL,
	                         &sg->pre, &err) != HS_SUCCESS) {
		/* Without the prefilter every rule still runs: slower, same answer. */
		hs_free_compile_error(err);
		sg->pre = NULL;
		memset(sg->gated, 0, sg->nrules);
		for (i = 0; i < sg->nrules; i++)
			untag_leaves(sg->rules[i].cond);
		goto out;
	}
	if (hs_alloc_scratch(sg->pre, &sg->proto) != HS_SUCCESS)
		rc = CS_ERR_NOMEM;
out:
	free(ex);
	free(flags);
	free(ids);
	free(lens);
	return rc;
}

static void count_reason(struct cs_sigma *sg, const char *reason);

/* The per-bucket ungated entries and per-rule buckets (struct cs_sigma,
 * `ung` and `rb`), once the rules are gated. */
static int build_candidates(struct cs_sigma *sg)
{
	size_t b, k, r, nung = 0, nrb = 0, *at;

	sg->ung_off = cs__calloc(sg->nbuckets + 1, sizeof(*sg->ung_off));
	sg->rb_off = cs__calloc(sg->nrules + 1, sizeof(*sg->rb_off));
	if (!sg->ung_off || !sg->rb_off)
		return CS_ERR_NOMEM;
	for (b = 0; b < sg->nbuckets; b++) {
		for (k = 0; k < sg->buckets[b].n; k++) {
			uint32_t ri = sg->buckets[b].v[k].rule;

			if (sg->gated[ri]) {
				sg->rb_off[ri + 1]++;
				nrb++;
			} else {
				nung++;
			}
		}
		sg->ung_off[b + 1] = nung;
	}
	for (r = 0; r < sg->nrules; r++)
		sg->rb_off[r + 1] += sg->rb_off[r];
	sg->ung = cs__malloc((nung ? nung : 1) * sizeof(*sg->ung));
	sg->rb = cs__malloc((nrb ? nrb : 1) * sizeof(*sg->rb));
	at = cs__malloc((sg->nrules + 1) * sizeof(*at));
	if (!sg->ung || !sg->rb || !at) {
		free(at);
		return CS_ERR_NOMEM;
	}
	memcpy(at, sg->rb_off, (sg->nrules + 1) * sizeof(*at));
	for (b = 0, nung = 0; b < sg->nbuckets; b++) {
		for (k = 0; k < sg->buckets[b].n; k++) {
			const struct ent *e = &sg->buckets[b].v[k];

			if (!sg->gated[e->rule]) {
				sg->ung[nung++] = *e;
			} else {
				sg->rb[at[e->rule]].bucket = (uint32_t)b;
				sg->rb[at[e->rule]++].map = e->map;
			}
		}
	}
	free(at);
	return CS_OK;
}

/* The cache key of the prefilter and the regexes: every literal and
 * regex with its flags, in order, and Hyperscan's version. */
static int engines_key(const struct cs_sigma *sg, unsigned char *key)
{
	struct cs_keyer k;
	size_t i;

	cs__key_begin(&k, "chainsweep sigma engines v1");
	cs__key_adds(&k, hs_version());
	for (i = 0; i < sg->nlits; i++)
		cs__key_add(&k, sg->lits[i].s, sg->lits[i].len);
	cs__key_adds(&k, "regexes");
	for (i = 0; i < sg->npres; i++) {
		cs__key_adds(&k, sg->pres[i].pat);
		cs__key_add(&k, &sg->pres[i].flags, sizeof(sg->pres[i].flags));
	}
	return cs__key_end(&k, key);
}

static uint64_t rd_le64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/*
 * Load the prefilter and every regex database from the compiled-rules
 * cache (mcache.c): 1 when all of them were, 0 when the caller compiles.
 * The entry holds, per database (the prefilter first, when there are
 * literals, then each regex in order), its length (u64 LE) and its
 * serialized form.
 */
static int engines_cached(struct cs_sigma *sg, const char *dir)
{
	struct cs_mcache_entry e;
	unsigned char key[32];
	const unsigned char *p, *end;
	size_t i, n = sg->npres + (sg->nlits ? 1 : 0);
	hs_database_t *db;
	int ok = 1;

	if (!dir || !dir[0] || !n || !engines_key(sg, key) ||
	    cs__mcache_get(dir, "hs-sigma", key, &e) != CS_OK)
		return 0;
	p = e.payload;
	end = p + e.payload_len;
	for (i = 0; i < n && ok; i++) {
		uint64_t len;

		db = NULL;
		if ((size_t)(end - p) < 8 || (len = rd_le64(p)) > (uint64_t)(end - p - 8) ||
		    hs_deserialize_database((const char *)p + 8, (size_t)len, &db) != HS_SUCCESS) {
			ok = 0;
			break;
		}
		p += 8 + len;
		if (sg->nlits && i == 0)
			sg->pre = db;
		else
			sg->pres[i - (sg->nlits ? 1 : 0)].db = db;
	}
	if (p != end)
		ok = 0;
	cs__mcache_entry_release(&e);
	if (ok)
		return 1;
	/* Not loadable (another Hyperscan, another CPU): compiled again. */
	if (sg->pre)
		hs_free_database(sg->pre);
	sg->pre = NULL;
	for (i = 0; i < sg->npres; i++) {
		if (sg->pres[i].db)
			hs_free_database(sg->pres[i].db);
		sg->pres[i].db = NULL;
	}
	return 0;
}

/* Keep the freshly built databases in the cache, when all were built. */
static void engines_store(const struct cs_sigma *sg, const char *dir)
{
	struct cs_buf b;
	unsigned char key[32];
	size_t i, n = sg->npres + (sg->nlits ? 1 : 0);
	int ok = 1;

	if (!dir || !dir[0] || !n || (sg->nlits && !sg->pre))
		return;
	for (i = 0; i < sg->npres; i++)
		if (!sg->pres[i].db)
			return;
	cs__buf_init(&b, 0);
	for (i = 0; i < n && ok; i++) {
		const hs_database_t *db = sg->nlits && i == 0 ? sg->pre
		                                               : sg->pres[i - (sg->nlits ? 1 : 0)].db;
		char *bytes = NULL;
		size_t len = 0, k;
		unsigned char le[8];

		if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS) {
			ok = 0;
			break;
		}
		for (k = 0; k < 8; k++)
			le[k] = (unsigned char)((uint64_t)len >> (8 * k));
		ok = !cs__buf_add(&b, le, 8) && !cs__buf_add(&b, bytes, len);
		free(bytes);
	}
	if (ok && engines_key(sg, key))
		cs__mcache_put(dir, "hs-sigma", key, NULL, 0, b.data, b.len);
	cs__buf_release(&b);
}

struct re_work {
	struct cs_sigma *sg;
	size_t next; /* the next pending regex to take (atomic) */
};

static void *re_worker(void *arg)
{
	struct re_work *w = arg;
	size_t i;

	while ((i = __atomic_fetch_add(&w->next, 1, __ATOMIC_RELAXED)) < w->sg->npres) {
		struct pending_re *pr = &w->sg->pres[i];
		hs_compile_error_t *err = NULL;

		if (hs_compile(pr->pat, pr->flags, HS_MODE_BLOCK, NULL, &pr->db, &err) !=
		    HS_SUCCESS) {
			pr->db = NULL;
			pr->err = cs__strdup(err && err->message ? err->message : "error");
			hs_free_compile_error(err);
		}
	}
	return NULL;
}

/*
 * Build the prefilter and every regex the rules use. The regexes are
 * compiled on a second thread while this one builds the prefilter (the
 * two largest parts of loading a big rule set), then by both. A regex
 * Hyperscan accepted when the rule was read but will not build (a
 * resource limit) makes its rule not usable, as when it was read.
 */
static int build_engines(struct cs_sigma *sg, const char *cache_dir)
{
	struct re_work w = {sg, 0};
	pthread_t th;
	int helper, rc = CS_OK, cached;
	size_t i;

	for (i = 0; i < sg->nrules; i++)
		if (sg->rules[i].usable)
			tag_leaves(sg, sg->rules[i].cond);
	cached = engines_cached(sg, cache_dir);
	if (!cached) {
		helper = sg->npres > 8 && pthread_create(&th, NULL, re_worker, &w) == 0;
		rc = build_prefilter(sg);
		re_worker(&w);
		if (helper)
			pthread_join(th, NULL);
		if (!rc)
			engines_store(sg, cache_dir);
	} else if (sg->pre && hs_alloc_scratch(sg->pre, &sg->proto) != HS_SUCCESS) {
		rc = CS_ERR_NOMEM;
	}
	for (i = 0; i < sg->npres; i++) {
		struct pending_re *pr = &sg->pres[i];
		struct srule *r = &sg->rules[pr->rule];

		if (!pr->db) {
			if (r->usable) {
				char msg[300];

				snprintf(msg, sizeof(msg), "regex not supported by Hyperscan: %s",
				         pr->err ? pr->err : "out of memory");
				r->usable = 0;
				r->cond = node_new(sg, N_FALSE, 0);
				r->reason = adup(sg, "regex-unsupported");
				r->message = adup(sg, msg);
				sg->usable--;
				count_reason(sg, "regex-unsupported");
			}
			free(pr->err);
			continue;
		}
		if (!rc && (cs__grow((void **)&sg->dbs, &sg->capdbs, sg->ndbs + 1, sizeof(*sg->dbs)) ||
		            hs_alloc_scratch(pr->db, &sg->proto) != HS_SUCCESS))
			rc = CS_ERR_NOMEM;
		if (rc) {
			hs_free_database(pr->db);
			continue;
		}
		sg->dbs[sg->ndbs++] = pr->db;
		pr->lf->db = pr->db;
	}
	free(sg->pres);
	sg->pres = NULL;
	sg->npres = sg->cappres = 0;
	return rc;
}

/* Compile the detection of `r` into a condition tree. */
static int compile_detection(struct cs_sigma *sg, struct cs__sigma_rule *r, struct node **out)
{
	const struct cs__sy *det = r->detection;
	struct cparse c;
	struct sel *sels;
	size_t i, n = 0;

	*out = NULL;
	sg->ncfields = 0;
	sels = cs__calloc(det->n + 1, sizeof(*sels));
	if (!sels)
		return CS_ERR_NOMEM;
	for (i = 0; i < det->n; i++) {
		const char *k = det->v[2 * i]->s;

		if (strcmp(k, "condition") == 0 || strcmp(k, "timeframe") == 0 ||
		    strcmp(k, "fields") == 0)
			continue;
		sels[n].name = k;
		sels[n].nd = compile_search(sg, r, det->v[2 * i + 1], 0);
		if (!sels[n].nd) {
			free(sels);
			if (sg->nomem)
				return CS_ERR_NOMEM;
			return r->reason
			               ? CS_ERR_UNSUPPORTED
			               : cs__sigma_fail(r, "bad-detection", det->v[2 * i + 1],
			                                "selection '%.40s' cannot be compiled", k);
		}
		n++;
	}
	if (cs__sy_get(det, "timeframe") && !r->reason) {
		free(sels);
		return cs__sigma_fail(r, "aggregation", cs__sy_get(det, "timeframe"),
		                      "timeframe (an aggregation over events) is not evaluated");
	}
	memset(&c, 0, sizeof(c));
	c.sg = sg;
	c.r = r;
	c.sels = sels;
	c.nsels = n;
	*out = compile_condition(&c, cs__sy_get(det, "condition"));
	free(sels);
	if (!*out)
		return sg->nomem ? CS_ERR_NOMEM : CS_ERR_UNSUPPORTED;
	return CS_OK;
}

static void count_reason(struct cs_sigma *sg, const char *reason)
{
	size_t i;

	for (i = 0; i < sg->nreasons; i++)
		if (strcmp(sg->reasons[i].name, reason) == 0) {
			sg->reasons[i].n++;
			return;
		}
	if (cs__grow((void **)&sg->reasons, &sg->capreasons, sg->nreasons + 1,
	             sizeof(*sg->reasons))) {
		sg->nomem = 1;
		return;
	}
	sg->reasons[sg->nreasons].name = adup(sg, reason);
	sg->reasons[sg->nreasons].n = 1;
	if (sg->reasons[sg->nreasons].name)
		sg->nreasons++;
}

static const char **dup_list(struct cs_sigma *sg, const char **v, size_t n)
{
	const char **d;
	size_t i;

	if (!n)
		return NULL;
	d = aalloc(sg, n * sizeof(*d));
	for (i = 0; d && i < n; i++)
		d[i] = adup(sg, v[i]);
	return d;
}

/* Add rule `r` (parsed, maybe already marked unusable) to the set:
 * compile it, index it, keep its metadata. */
static int add_rule(struct cs_sigma *sg, struct cs__sigma_rule *r)
{
	struct srule *s;
	struct node *cond = NULL;
	uint32_t ri = (uint32_t)sg->nrules;
	int rc = CS_OK;

	if (sg->nrules >= SG_MAX_RULES)
		return CS_ERR_TOOBIG;
	if (!r->reason) {
		rc = compile_detection(sg, r, &cond);
		if (!rc)
			rc = index_rule(sg, r, ri);
		if (rc == CS_ERR_NOMEM || sg->nomem)
			return CS_ERR_NOMEM;
	}
	if (cs__grow((void **)&sg->rules, &sg->caprules, sg->nrules + 1, sizeof(*sg->rules)))
		return CS_ERR_NOMEM;
	s = &sg->rules[sg->nrules++];
	memset(s, 0, sizeof(*s));
	s->id = adup(sg, r->id);
	s->title = adup(sg, r->title);
	s->status = adup(sg, r->status);
	s->description = adup(sg, r->description);
	s->author = adup(sg, r->author);
	s->date = adup(sg, r->date);
	s->modified = adup(sg, r->modified);
	s->product = adup(sg, r->product);
	s->category = adup(sg, r->category);
	s->service = adup(sg, r->service);
	s->file = adup(sg, r->file);
	s->indicator = r->id ? s->id : s->title;
	s->tags = dup_list(sg, r->tags, r->ntags);
	s->ntags = s->tags ? r->ntags : 0;
	s->refs = dup_list(sg, r->refs, r->nrefs);
	s->nrefs = s->refs ? r->nrefs : 0;
	s->level = level_of(r->level);
	s->line = r->line;
	s->col = r->col;
	s->usable = !r->reason;
	s->cond = s->usable ? cond : NULL;
	if (s->usable && gate_rule(sg, ri, cond))
		return CS_ERR_NOMEM;
	if (!s->usable) {
		/* every rule has its byte (the snapshot writes them all) */
		if (cs__grow((void **)&sg->gated, &sg->capgated, ri + 1, 1))
			return CS_ERR_NOMEM;
		sg->gated[ri] = 0;
	}
	if (r->reason) {
		s->reason = adup(sg, r->reason);
		s->message = adup(sg, r->message);
		s->rline = r->rline;
		s->rcol = r->rcol;
		s->diag = 1;
		count_reason(sg, r->reason);
	} else {
		sg->usable++;
	}
	return sg->nomem ? CS_ERR_NOMEM : CS_OK;
}

static struct cs_sigma *sigma_new(void)
{
	struct cs_sigma *sg = cs__calloc(1, sizeof(*sg));

	if (!sg)
		return NULL;
	cs__arena_init(&sg->ar);
	cs__strtab_init(&sg->names);
	cs__map_init(&sg->index);
	cs__map_init(&sg->litmap);
	sg->maps = cs__calloc(4, sizeof(*sg->maps));
	sg->capmaps = 4;
	sg->nmaps = 1;
	sg->data_id = cs__strtab_intern(&sg->names, "Data", 4);
	if (!sg->maps || !sg->data_id) {
		cs_sigma_free(sg);
		return NULL;
	}
	return sg;
}

void cs_sigma_free(struct cs_sigma *sg)
{
	size_t i;

	if (!sg)
		return;
	for (i = 0; i < sg->ndbs; i++)
		hs_free_database(sg->dbs[i]);
	free(sg->dbs);
	if (sg->proto)
		hs_free_scratch(sg->proto);
	if (sg->pre)
		hs_free_database(sg->pre);
	for (i = 0; i < sg->nlits; i++)
		free(sg->lits[i].rules);
	free(sg->lits);
	free(sg->gated);
	free(sg->pres);
	free(sg->clause_rule);
	free(sg->ung);
	free(sg->ung_off);
	free(sg->rb);
	free(sg->rb_off);
	cs__map_release(&sg->litmap);
	for (i = 0; i < sg->nbuckets; i++)
		free(sg->buckets[i].v);
	free(sg->buckets);
	for (i = 0; i < sg->nmaps; i++)
		free(sg->maps[i].arr);
	free(sg->maps);
	free(sg->rules);
	free(sg->reasons);
	free(sg->cfields);
	cs__map_release(&sg->index);
	cs__strtab_release(&sg->names);
	cs__arena_release(&sg->ar);
	free(sg);
}

int cs__sigma_check(struct cs__sigma_rule *r)
{
	struct cs_sigma *sg;
	struct node *cond;
	int rc;

	if (r->reason)
		return CS_ERR_UNSUPPORTED;
	sg = sigma_new();
	if (!sg)
		return CS_ERR_NOMEM;
	sg->checking = 1;
	rc = compile_detection(sg, r, &cond);
	if (!rc)
		rc = index_rule(sg, r, 0);
	if (sg->nomem)
		rc = CS_ERR_NOMEM;
	cs_sigma_free(sg);
	return rc;
}

/* Build every mapping's table over the final set of names. */
static int finish_maps(struct cs_sigma *sg)
{
	size_t m, i;

	for (m = 1; m < sg->nmaps; m++) {
		const struct cs__sg_rename *ren = sg->maps[m].ren;
		uint32_t *arr = cs__calloc(sg->names.n + 1, sizeof(uint32_t));

		if (!arr)
			return CS_ERR_NOMEM;
		for (i = 0; i <= sg->names.n; i++)
			arr[i] = (uint32_t)i;
		for (i = 0; ren[i].sigma; i++) {
			uint32_t a =
			        cs__strtab_find(&sg->names, ren[i].sigma, strlen(ren[i].sigma));
			uint32_t b =
			        cs__strtab_find(&sg->names, ren[i].event, strlen(ren[i].event));

			if (a && b)
				arr[a] = b;
		}
		sg->maps[m].arr = arr;
	}
	return CS_OK;
}

static int reason_cmp(const void *a, const void *b)
{
	const struct reason *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* ------------------------------------------------------------ snapshot */

/*
 * The compiled set kept in the compiled-rules cache (docs/sigma.md,
 * "Loading the rules"), so that the next scan of the same rules neither
 * parses their YAML nor compiles them. Little-endian, fixed widths:
 *
 *   "CSSIGSN1" | names | data_id | regex dbs | prefilter db | nodes |
 *   rules | maps | buckets | clause_rule | lits | gated | candidates |
 *   reasons | files, usable | "CSSIGEND"
 *
 * A string is u32 length then its bytes (0xffffffff: none); a Hyperscan
 * database is u64 length then hs_serialize_database's bytes. Nodes are
 * written children first, so a node names only nodes before it (the
 * reader cannot build a cycle). The reader checks every count against
 * the bytes left, every index against what it indexes, and what the
 * evaluator relies on (a regex leaf has its database, a glob its
 * special-byte map, a rule's clauses fit the per-event counter), and
 * refuses the whole snapshot at the first thing that does not add up.
 */
#define SNAP_MAGIC     "CSSIGSN1"
#define SNAP_END       "CSSIGEND"
#define SNAP_KIND      "sigma-set"
#define SNAP_NONE      0xffffffffu
#define SNAP_MAX_DEPTH 1000

static void w_u8(struct cs_buf *b, unsigned v, int *bad)
{
	unsigned char c = (unsigned char)v;

	*bad |= cs__buf_add(b, &c, 1) != 0;
}

static void w_u32(struct cs_buf *b, uint32_t v, int *bad)
{
	unsigned char le[4];
	int i;

	for (i = 0; i < 4; i++)
		le[i] = (unsigned char)(v >> (8 * i));
	*bad |= cs__buf_add(b, le, 4) != 0;
}

static void w_u64(struct cs_buf *b, uint64_t v, int *bad)
{
	unsigned char le[8];
	int i;

	for (i = 0; i < 8; i++)
		le[i] = (unsigned char)(v >> (8 * i));
	*bad |= cs__buf_add(b, le, 8) != 0;
}

static void w_bytes(struct cs_buf *b, const void *p, size_t n, int *bad)
{
	if (n >= SNAP_NONE) {
		*bad = 1;
		return;
	}
	w_u32(b, (uint32_t)n, bad);
	*bad |= cs__buf_add(b, p, n) != 0;
}

static void w_str(struct cs_buf *b, const char *s, int *bad)
{
	if (!s)
		w_u32(b, SNAP_NONE, bad);
	else
		w_bytes(b, s, strlen(s), bad);
}

static void w_db(struct cs_buf *b, const hs_database_t *db, int *bad)
{
	char *bytes = NULL;
	size_t len = 0;

	if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS) {
		*bad = 1;
		return;
	}
	w_u64(b, len, bad);
	/* Hyperscan reads a database from an address that is a multiple of
	 * 8: the bytes start at one from the start of the payload. */
	while (!*bad && b->len % 8)
		w_u8(b, 0, bad);
	*bad |= cs__buf_add(b, bytes, len) != 0;
	free(bytes);
}

struct snap_w {
	struct cs_buf nodes;
	uint32_t nnodes;
	const struct cs_sigma *sg;
	int bad;
};

/* Write the tree under `nd` children first; its index, or SNAP_NONE. */
static uint32_t w_node(struct snap_w *w, const struct node *nd, unsigned depth)
{
	struct cs_buf *b = &w->nodes;
	uint32_t *kids = NULL, i;

	if (!nd || depth > SNAP_MAX_DEPTH || w->bad) {
		w->bad |= nd != NULL;
		return SNAP_NONE;
	}
	if (nd->type != N_LEAF && nd->n) {
		kids = cs__calloc(nd->n, sizeof(*kids));
		if (!kids) {
			w->bad = 1;
			return SNAP_NONE;
		}
		for (i = 0; i < nd->n && !w->bad; i++)
			kids[i] = w_node(w, nd->kids[i], depth + 1);
	}
	w_u8(b, nd->type, &w->bad);
	if (nd->type == N_LEAF) {
		const struct leaf *lf = nd->leaf;
		uint32_t db = SNAP_NONE;
		uint64_t num;
		size_t k;

		for (k = 0; lf->db && k < w->sg->ndbs; k++)
			if (w->sg->dbs[k] == lf->db)
				db = (uint32_t)k;
		if (lf->db && db == SNAP_NONE)
			w->bad = 1;
		w_u32(b, lf->field, &w->bad);
		w_u8(b, lf->op, &w->bad);
		w_u8(b, lf->cased, &w->bad);
		w_u8(b, lf->numop, &w->bad);
		w_u8(b, lf->want, &w->bad);
		if (lf->lit)
			w_bytes(b, lf->lit, lf->len, &w->bad);
		else
			w_u32(b, SNAP_NONE, &w->bad);
		w_u8(b, lf->sp != NULL, &w->bad);
		if (lf->sp)
			w->bad |= cs__buf_add(b, lf->sp, lf->len) != 0;
		w_u32(b, db, &w->bad);
		w->bad |= cs__buf_add(b, lf->net, 16) != 0;
		w_u32(b, (uint32_t)lf->alen, &w->bad);
		w_u32(b, (uint32_t)lf->prefix, &w->bad);
		memcpy(&num, &lf->num, sizeof(num));
		w_u64(b, num, &w->bad);
		w_u32(b, lf->ref, &w->bad);
		w_u32(b, lf->lit1, &w->bad);
	} else {
		w_u32(b, nd->n, &w->bad);
		w_u32(b, nd->need, &w->bad);
		for (i = 0; i < nd->n; i++)
			w_u32(b, kids ? kids[i] : SNAP_NONE, &w->bad);
	}
	free(kids);
	return w->nnodes++;
}

/*
 * Serialize a compiled set (struct cs_sigma as cs_sigma_compile leaves it)
 * into `out` (initialised by the caller). CS_OK, CS_ERR_NOMEM, or
 * CS_ERR_UNSUPPORTED for a set that cannot be written (a Hyperscan
 * database that will not serialize).
 */
int cs__sigma_snap_write(const struct cs_sigma *sg, struct cs_buf *out)
{
	struct snap_w w;
	uint32_t *conds;
	size_t i, k;
	int bad = 0;

	memset(&w, 0, sizeof(w));
	w.sg = sg;
	cs__buf_init(&w.nodes, 0);
	conds = cs__calloc(sg->nrules + 1, sizeof(*conds));
	if (!conds)
		return CS_ERR_NOMEM;
	for (i = 0; i < sg->nrules && !w.bad; i++)
		conds[i] = w_node(&w, sg->rules[i].cond, 0);
	bad = w.bad;
	cs__buf_add(out, SNAP_MAGIC, 8);
	/* ids 1 .. names.n - 1 (names.n counts the unused id 0) */
	w_u32(out, sg->names.n ? (uint32_t)sg->names.n - 1 : 0, &bad);
	for (i = 1; i < sg->names.n; i++)
		w_str(out, cs__strtab_get(&sg->names, (uint32_t)i), &bad);
	w_u32(out, sg->data_id, &bad);
	w_u32(out, (uint32_t)sg->ndbs, &bad);
	for (i = 0; i < sg->ndbs; i++)
		w_db(out, sg->dbs[i], &bad);
	w_u8(out, sg->pre != NULL, &bad);
	if (sg->pre)
		w_db(out, sg->pre, &bad);
	w_u32(out, w.nnodes, &bad);
	bad |= cs__buf_add(out, w.nodes.data, w.nodes.len) != 0;
	w_u32(out, (uint32_t)sg->nrules, &bad);
	for (i = 0; i < sg->nrules; i++) {
		const struct srule *r = &sg->rules[i];

		w_str(out, r->id, &bad);
		w_str(out, r->title, &bad);
		w_str(out, r->status, &bad);
		w_str(out, r->description, &bad);
		w_str(out, r->author, &bad);
		w_str(out, r->date, &bad);
		w_str(out, r->modified, &bad);
		w_str(out, r->product, &bad);
		w_str(out, r->category, &bad);
		w_str(out, r->service, &bad);
		w_str(out, r->file, &bad);
		w_u32(out, (uint32_t)r->ntags, &bad);
		for (k = 0; k < r->ntags; k++)
			w_str(out, r->tags[k], &bad);
		w_u32(out, (uint32_t)r->nrefs, &bad);
		for (k = 0; k < r->nrefs; k++)
			w_str(out, r->refs[k], &bad);
		w_u8(out, r->level, &bad);
		w_u64(out, r->line, &bad);
		w_u64(out, r->col, &bad);
		w_u8(out, (unsigned)r->usable, &bad);
		w_u8(out, (unsigned)r->diag, &bad);
		w_str(out, r->reason, &bad);
		w_str(out, r->message, &bad);
		w_u64(out, r->rline, &bad);
		w_u64(out, r->rcol, &bad);
		w_u32(out, conds[i], &bad);
	}
	w_u32(out, (uint32_t)sg->nmaps, &bad);
	for (i = 1; i < sg->nmaps; i++)
		for (k = 0; k <= sg->names.n; k++)
			w_u32(out, sg->maps[i].arr ? sg->maps[i].arr[k] : (uint32_t)k, &bad);
	w_u32(out, (uint32_t)sg->nbuckets, &bad);
	for (i = 0; i < sg->nbuckets; i++) {
		w_str(out, sg->buckets[i].key, &bad);
		w_u32(out, (uint32_t)sg->buckets[i].n, &bad);
		for (k = 0; k < sg->buckets[i].n; k++) {
			w_u32(out, sg->buckets[i].v[k].rule, &bad);
			w_u32(out, sg->buckets[i].v[k].map, &bad);
		}
	}
	w_u32(out, (uint32_t)sg->nclauses, &bad);
	for (i = 0; i < sg->nclauses; i++)
		w_u32(out, sg->clause_rule[i], &bad);
	w_u32(out, (uint32_t)sg->nlits, &bad);
	for (i = 0; i < sg->nlits; i++) {
		w_u32(out, (uint32_t)sg->lits[i].n, &bad);
		for (k = 0; k < sg->lits[i].n; k++)
			w_u32(out, sg->lits[i].rules[k], &bad);
	}
	for (i = 0; i < sg->nrules; i++)
		w_u8(out, sg->gated ? sg->gated[i] : 0, &bad);
	w_u8(out, sg->ung != NULL, &bad);
	if (sg->ung) {
		size_t nung = sg->ung_off[sg->nbuckets], nrb = sg->rb_off[sg->nrules];

		for (i = 0; i <= sg->nbuckets; i++)
			w_u32(out, (uint32_t)sg->ung_off[i], &bad);
		for (i = 0; i < nung; i++) {
			w_u32(out, sg->ung[i].rule, &bad);
			w_u32(out, sg->ung[i].map, &bad);
		}
		for (i = 0; i <= sg->nrules; i++)
			w_u32(out, (uint32_t)sg->rb_off[i], &bad);
		for (i = 0; i < nrb; i++) {
			w_u32(out, sg->rb[i].bucket, &bad);
			w_u32(out, sg->rb[i].map, &bad);
		}
	}
	w_u32(out, (uint32_t)sg->nreasons, &bad);
	for (i = 0; i < sg->nreasons; i++) {
		w_str(out, sg->reasons[i].name, &bad);
		w_u64(out, sg->reasons[i].n, &bad);
	}
	w_u64(out, sg->files, &bad);
	w_u64(out, sg->usable, &bad);
	bad |= cs__buf_add(out, SNAP_END, 8) != 0;
	free(conds);
	cs__buf_release(&w.nodes);
	if (bad)
		return out->len && !w.bad ? CS_ERR_NOMEM : CS_ERR_UNSUPPORTED;
	return CS_OK;
}

struct snap_r {
	const unsigned char *p, *end, *start;
	int bad;
};

static const unsigned char *r_take(struct snap_r *r, size_t n)
{
	const unsigned char *p = r->p;

	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return NULL;
	}
	r->p += n;
	return p;
}

static unsigned r_u8(struct snap_r *r)
{
	const unsigned char *p = r_take(r, 1);

	return p ? *p : 0;
}

static uint32_t r_u32(struct snap_r *r)
{
	const unsigned char *p = r_take(r, 4);

	return p ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	                   (uint32_t)p[3] << 24
	         : 0;
}

static uint64_t r_u64(struct snap_r *r)
{
	const unsigned char *p = r_take(r, 8);

	return p ? rd_le64(p) : 0;
}

/* A count of items of at least `each` bytes that the rest can hold. */
static size_t r_count(struct snap_r *r, size_t each)
{
	uint32_t n = r_u32(r);

	if (r->bad || (uint64_t)n * each > (uint64_t)(r->end - r->p)) {
		r->bad = 1;
		return 0;
	}
	return n;
}

/* A string into the set's arena; *none when absent. */
static const char *r_str(struct snap_r *r, struct cs_sigma *sg, size_t *len)
{
	uint32_t n = r_u32(r);
	const unsigned char *p;
	char *d;

	if (len)
		*len = 0;
	if (r->bad || n == SNAP_NONE)
		return NULL;
	p = r_take(r, n);
	if (!p)
		return NULL;
	d = cs__arena_strndup(&sg->ar, (const char *)p, n);
	if (!d)
		r->bad = sg->nomem = 1;
	if (len)
		*len = n;
	return d;
}

static hs_database_t *r_db(struct snap_r *r)
{
	uint64_t n = r_u64(r);
	const unsigned char *p;
	hs_database_t *db = NULL;
	void *copy = NULL;
	int ok;

	while (!r->bad && (size_t)(r->p - r->start) % 8)
		if (r_u8(r) != 0)
			r->bad = 1;
	if (r->bad || n > (uint64_t)(r->end - r->p)) {
		r->bad = 1;
		return NULL;
	}
	p = r_take(r, (size_t)n);
	if (p && (uintptr_t)p % 8) {
		/* input that is not where the cache maps it (the fuzzer's) */
		copy = malloc(n ? (size_t)n : 1);
		if (!copy) {
			r->bad = 1;
			return NULL;
		}
		memcpy(copy, p, (size_t)n);
		p = copy;
	}
	ok = p && hs_deserialize_database((const char *)p, (size_t)n, &db) == HS_SUCCESS;
	free(copy);
	if (!ok) {
		r->bad = 1;
		return NULL;
	}
	return db;
}

/* Read one node (its children already read, in nodes[0, i)). */
static struct node *r_node(struct snap_r *r, struct cs_sigma *sg, struct node **nodes,
                           uint16_t *depth, uint32_t i)
{
	unsigned type = r_u8(r);
	struct node *nd;

	if (r->bad || type > N_FALSE) {
		r->bad = 1;
		return NULL;
	}
	if (type == N_LEAF) {
		struct leaf *lf = aalloc(sg, sizeof(*lf));
		uint32_t db, nn = (uint32_t)sg->names.n;
		uint64_t num;
		const unsigned char *net;
		size_t len;

		if (!lf)
			goto fail;
		lf->field = r_u32(r);
		lf->op = (uint8_t)r_u8(r);
		lf->cased = (uint8_t)r_u8(r);
		lf->numop = (uint8_t)r_u8(r);
		lf->want = (uint8_t)r_u8(r);
		lf->lit = (const unsigned char *)r_str(r, sg, &len);
		lf->len = len;
		if (r_u8(r)) {
			const unsigned char *sp = r_take(r, len);
			unsigned char *d = aalloc(sg, len + 1);
			size_t k;

			if (!sp || !d)
				goto fail;
			for (k = 0; k < len; k++)
				if (sp[k] > SP_ONE)
					goto fail;
			memcpy(d, sp, len);
			lf->sp = d;
		}
		db = r_u32(r);
		net = r_take(r, 16);
		lf->alen = (int)r_u32(r);
		lf->prefix = (int)r_u32(r);
		num = r_u64(r);
		memcpy(&lf->num, &num, sizeof(num));
		lf->ref = r_u32(r);
		lf->lit1 = r_u32(r);
		if (r->bad || lf->field > nn || lf->ref > nn || lf->op > OP_FIELDREF ||
		    lf->numop > NUM_LTE || lf->want > 3 || (lf->lit1 && !sg->pre))
			goto fail;
		memcpy(lf->net, net, 16);
		if (db != SNAP_NONE) {
			if (db >= sg->ndbs)
				goto fail;
			lf->db = sg->dbs[db];
		}
		switch (lf->op) {
		case OP_RE:
			if (!lf->db)
				goto fail;
			break;
		case OP_GLOB:
			if (!lf->lit || !lf->sp)
				goto fail;
			break;
		case OP_EQ:
		case OP_PREFIX:
		case OP_SUFFIX:
		case OP_CONTAINS:
			if (!lf->lit)
				goto fail;
			break;
		case OP_CIDR:
			if ((lf->alen != 4 && lf->alen != 16) || lf->prefix < 0 ||
			    lf->prefix > lf->alen * 8)
				goto fail;
			break;
		case OP_FIELDREF:
			if (!lf->ref)
				goto fail;
			break;
		default:
			break;
		}
		nd = leaf_node(sg, lf);
		if (!nd)
			goto fail;
		depth[i] = 1;
	} else {
		uint32_t n = (uint32_t)r_count(r, 4), need = r_u32(r), k;
		uint16_t d = 0;

		if (r->bad || (type == N_NOT && n != 1) ||
		    ((type == N_TRUE || type == N_FALSE) && n))
			goto fail;
		nd = node_new(sg, (int)type, n);
		if (!nd)
			goto fail;
		nd->need = need;
		for (k = 0; k < n; k++) {
			uint32_t kid = r_u32(r);

			if (r->bad || kid >= i)
				goto fail;
			nd->kids[k] = nodes[kid];
			if (depth[kid] > d)
				d = depth[kid];
		}
		if (d >= SNAP_MAX_DEPTH)
			goto fail;
		depth[i] = (uint16_t)(d + 1);
	}
	return nd;
fail:
	r->bad = 1;
	return NULL;
}

/* The prototype scratch for every database of a loaded set. */
static int snap_scratch(struct cs_sigma *sg)
{
	size_t i;

	if (sg->pre && hs_alloc_scratch(sg->pre, &sg->proto) != HS_SUCCESS)
		return CS_ERR_NOMEM;
	for (i = 0; i < sg->ndbs; i++)
		if (hs_alloc_scratch(sg->dbs[i], &sg->proto) != HS_SUCCESS)
			return CS_ERR_NOMEM;
	return CS_OK;
}

/*
 * Rebuild a compiled set from a snapshot's bytes (cs__sigma_snap_write).
 * CS_OK with *out set; CS_ERR_PARSE for bytes that are not a whole,
 * consistent snapshot; CS_ERR_NOMEM. Nothing of the input is kept.
 */
int cs__sigma_snap_read(const void *data, size_t len, struct cs_sigma **out)
{
	struct snap_r r = {data, (const unsigned char *)data + len, data, 0};
	struct cs_sigma *sg = NULL;
	struct node **nodes = NULL;
	uint16_t *depth = NULL;
	uint16_t *nclause = NULL;
	size_t i, k, n, nnodes = 0;
	const unsigned char *p;
	int rc = CS_ERR_PARSE;

	p = r_take(&r, 8);
	if (!p || memcmp(p, SNAP_MAGIC, 8) != 0)
		return CS_ERR_PARSE;
	sg = sigma_new();
	if (!sg)
		return CS_ERR_NOMEM;
	/* names: the set's "Data" was interned first, so it keeps id 1 */
	n = r_count(&r, 4);
	for (i = 0; i < n && !r.bad; i++) {
		size_t sl;
		const char *s = r_str(&r, sg, &sl);

		if (!s || cs__strtab_intern(&sg->names, s, sl) != i + 1)
			r.bad = 1;
	}
	if (!r.bad && sg->names.n != n + 1)
		r.bad = 1;
	sg->data_id = r_u32(&r);
	if (r.bad || !sg->data_id || sg->data_id > sg->names.n)
		goto out;
	n = r_count(&r, 8);
	if (n && !r.bad) {
		sg->dbs = cs__calloc(n, sizeof(*sg->dbs));
		if (!sg->dbs)
			goto nomem;
		sg->capdbs = n;
	}
	for (i = 0; i < n && !r.bad; i++) {
		sg->dbs[i] = r_db(&r);
		if (sg->dbs[i])
			sg->ndbs++;
	}
	if (r_u8(&r))
		sg->pre = r_db(&r);
	/* nodes: their literals' ids are checked once the literals are read */
	nnodes = r_count(&r, 1);
	if (r.bad)
		goto out;
	nodes = cs__calloc(nnodes + 1, sizeof(*nodes));
	depth = cs__calloc(nnodes + 1, sizeof(*depth));
	if (!nodes || !depth)
		goto nomem;
	for (i = 0; i < nnodes && !r.bad; i++)
		nodes[i] = r_node(&r, sg, nodes, depth, (uint32_t)i);
	n = r_count(&r, 40);
	if (r.bad)
		goto out;
	sg->rules = cs__calloc(n + 1, sizeof(*sg->rules));
	if (!sg->rules)
		goto nomem;
	sg->caprules = n + 1;
	for (i = 0; i < n && !r.bad; i++) {
		struct srule *s = &sg->rules[i];
		const char **v;
		uint32_t cond;

		s->id = r_str(&r, sg, NULL);
		s->title = r_str(&r, sg, NULL);
		s->status = r_str(&r, sg, NULL);
		s->description = r_str(&r, sg, NULL);
		s->author = r_str(&r, sg, NULL);
		s->date = r_str(&r, sg, NULL);
		s->modified = r_str(&r, sg, NULL);
		s->product = r_str(&r, sg, NULL);
		s->category = r_str(&r, sg, NULL);
		s->service = r_str(&r, sg, NULL);
		s->file = r_str(&r, sg, NULL);
		s->indicator = s->id ? s->id : s->title;
		s->ntags = r_count(&r, 4);
		v = s->ntags ? aalloc(sg, s->ntags * sizeof(*v)) : NULL;
		for (k = 0; v && k < s->ntags; k++)
			if (!(v[k] = r_str(&r, sg, NULL)))
				r.bad = 1;
		s->tags = v;
		if (s->ntags && !v)
			goto nomem;
		s->nrefs = r_count(&r, 4);
		v = s->nrefs ? aalloc(sg, s->nrefs * sizeof(*v)) : NULL;
		for (k = 0; v && k < s->nrefs; k++)
			if (!(v[k] = r_str(&r, sg, NULL)))
				r.bad = 1;
		s->refs = v;
		if (s->nrefs && !v)
			goto nomem;
		s->level = (enum cs_sigma_level)r_u8(&r);
		s->line = r_u64(&r);
		s->col = r_u64(&r);
		s->usable = (int)r_u8(&r);
		s->diag = (int)r_u8(&r);
		s->reason = r_str(&r, sg, NULL);
		s->message = r_str(&r, sg, NULL);
		s->rline = r_u64(&r);
		s->rcol = r_u64(&r);
		cond = r_u32(&r);
		if (r.bad || s->level > CS_SIGMA_LEVEL_CRITICAL || s->usable > 1 || s->diag > 1 ||
		    (cond != SNAP_NONE && cond >= nnodes) || (s->usable && cond == SNAP_NONE) ||
		    (!s->usable && (!s->reason || !s->message)))
			r.bad = 1;
		else
			s->cond = cond == SNAP_NONE ? NULL : nodes[cond];
		sg->nrules++;
	}
	if (r.bad)
		goto out;
	/* maps: the identity (no table) and one table per renaming */
	n = r_u32(&r);
	if (r.bad || !n ||
	    (uint64_t)(n - 1) * 4 * (sg->names.n + 1) > (uint64_t)(r.end - r.p))
		goto out;
	for (i = 1; i < n && !r.bad; i++) {
		uint32_t *arr;

		if (cs__grow((void **)&sg->maps, &sg->capmaps, sg->nmaps + 1, sizeof(*sg->maps)))
			goto nomem;
		arr = cs__calloc(sg->names.n + 1, sizeof(*arr));
		if (!arr)
			goto nomem;
		sg->maps[sg->nmaps].ren = NULL;
		sg->maps[sg->nmaps++].arr = arr;
		for (k = 0; k <= sg->names.n; k++)
			if ((arr[k] = r_u32(&r)) > sg->names.n)
				r.bad = 1;
	}
	n = r_count(&r, 8);
	if (r.bad)
		goto out;
	sg->buckets = cs__calloc(n + 1, sizeof(*sg->buckets));
	if (!sg->buckets)
		goto nomem;
	sg->capbuckets = n + 1;
	for (i = 0; i < n && !r.bad; i++) {
		struct bucket *b = &sg->buckets[i];
		uint32_t dup;

		b->key = r_str(&r, sg, NULL);
		if (!b->key || cs__map_get(&sg->index, b->key, strlen(b->key), &dup)) {
			r.bad = 1;
			break;
		}
		if (cs__map_put(&sg->index, b->key, strlen(b->key), (uint32_t)i))
			goto nomem;
		sg->nbuckets++;
		b->n = b->cap = r_count(&r, 8);
		b->v = cs__calloc(b->n + 1, sizeof(*b->v));
		if (!b->v)
			goto nomem;
		for (k = 0; k < b->n; k++) {
			b->v[k].rule = r_u32(&r);
			b->v[k].map = r_u32(&r);
			if (b->v[k].rule >= sg->nrules || b->v[k].map >= sg->nmaps ||
			    !sg->rules[b->v[k].rule].cond)
				r.bad = 1;
		}
	}
	n = r_count(&r, 4);
	if (r.bad)
		goto out;
	sg->clause_rule = cs__calloc(n + 1, sizeof(*sg->clause_rule));
	nclause = cs__calloc(sg->nrules + 1, sizeof(*nclause));
	if (!sg->clause_rule || !nclause)
		goto nomem;
	sg->capclauses = n + 1;
	for (i = 0; i < n && !r.bad; i++) {
		uint32_t ru = r_u32(&r);

		/* the per-event count of a rule's clauses met is 8 bits */
		if (ru >= sg->nrules || ++nclause[ru] > 255)
			r.bad = 1;
		sg->clause_rule[i] = ru;
	}
	sg->nclauses = n;
	n = r_count(&r, 4);
	if (r.bad)
		goto out;
	sg->lits = cs__calloc(n + 1, sizeof(*sg->lits));
	if (!sg->lits)
		goto nomem;
	sg->caplits = n + 1;
	for (i = 0; i < n && !r.bad; i++) {
		struct lit *l = &sg->lits[i];

		sg->nlits++;
		l->s = "";
		l->n = l->cap = r_count(&r, 4);
		l->rules = cs__calloc(l->n + 1, sizeof(*l->rules));
		if (!l->rules)
			goto nomem;
		for (k = 0; k < l->n; k++)
			if ((l->rules[k] = r_u32(&r)) >= sg->nclauses)
				r.bad = 1;
	}
	/* every leaf's literal id within the literals read */
	for (i = 0; i < nnodes && !r.bad; i++)
		if (nodes[i]->type == N_LEAF && nodes[i]->leaf->lit1 > sg->nlits)
			r.bad = 1;
	if (r.bad)
		goto out;
	sg->gated = cs__calloc(sg->nrules + 1, 1);
	if (!sg->gated)
		goto nomem;
	sg->capgated = sg->nrules + 1;
	for (i = 0; i < sg->nrules && !r.bad; i++) {
		sg->gated[i] = (uint8_t)r_u8(&r);
		if (sg->gated[i] > nclause[i] || (sg->gated[i] && !sg->pre))
			r.bad = 1;
	}
	if (r_u8(&r)) {
		size_t nung, nrb;

		if (!sg->pre)
			goto out;
		sg->ung_off = cs__calloc(sg->nbuckets + 1, sizeof(*sg->ung_off));
		sg->rb_off = cs__calloc(sg->nrules + 1, sizeof(*sg->rb_off));
		if (!sg->ung_off || !sg->rb_off)
			goto nomem;
		for (i = 0; i <= sg->nbuckets; i++)
			if ((sg->ung_off[i] = r_u32(&r)) < (i ? sg->ung_off[i - 1] : 0) ||
			    (!i && sg->ung_off[i]))
				r.bad = 1;
		nung = sg->ung_off[sg->nbuckets];
		if (r.bad || nung > (size_t)(r.end - r.p) / 8)
			goto out;
		sg->ung = cs__calloc(nung + 1, sizeof(*sg->ung));
		if (!sg->ung)
			goto nomem;
		for (i = 0; i < nung; i++) {
			sg->ung[i].rule = r_u32(&r);
			sg->ung[i].map = r_u32(&r);
			if (sg->ung[i].rule >= sg->nrules || sg->ung[i].map >= sg->nmaps ||
			    !sg->rules[sg->ung[i].rule].cond)
				r.bad = 1;
		}
		for (i = 0; i <= sg->nrules; i++)
			if ((sg->rb_off[i] = r_u32(&r)) < (i ? sg->rb_off[i - 1] : 0) ||
			    (!i && sg->rb_off[i]))
				r.bad = 1;
		nrb = sg->rb_off[sg->nrules];
		if (r.bad || nrb > (size_t)(r.end - r.p) / 8)
			goto out;
		sg->rb = cs__calloc(nrb + 1, sizeof(*sg->rb));
		if (!sg->rb)
			goto nomem;
		for (i = 0; i < sg->nrules && !r.bad; i++)
			for (k = sg->rb_off[i]; k < sg->rb_off[i + 1]; k++) {
				sg->rb[k].bucket = r_u32(&r);
				sg->rb[k].map = r_u32(&r);
				if (sg->rb[k].bucket >= sg->nbuckets || sg->rb[k].map >= sg->nmaps ||
				    !sg->rules[i].cond)
					r.bad = 1;
			}
	} else if (sg->pre) {
		goto out;
	}
	n = r_count(&r, 12);
	if (r.bad)
		goto out;
	sg->reasons = cs__calloc(n + 1, sizeof(*sg->reasons));
	if (!sg->reasons)
		goto nomem;
	sg->capreasons = n + 1;
	for (i = 0; i < n && !r.bad; i++) {
		sg->reasons[i].name = r_str(&r, sg, NULL);
		sg->reasons[i].n = r_u64(&r);
		if (!sg->reasons[i].name)
			r.bad = 1;
		sg->nreasons++;
	}
	sg->files = r_u64(&r);
	sg->usable = r_u64(&r);
	p = r_take(&r, 8);
	if (r.bad || !p || memcmp(p, SNAP_END, 8) != 0 || r.p != r.end || sg->usable > sg->nrules)
		goto out;
	rc = snap_scratch(sg);
	if (rc)
		goto out;
	sg->snapshot = 1;
	*out = sg;
	sg = NULL;
	goto done;
nomem:
	rc = CS_ERR_NOMEM;
out:
	if (sg->nomem)
		rc = CS_ERR_NOMEM;
done:
	cs_sigma_free(sg);
	free(nodes);
	free(depth);
	free(nclause);
	return rc;
}

/* The snapshot's cache key: every rule file's name and text, in order,
 * and what the compiled form depends on in this build. */
static int snap_key(const struct cs_intel *intel, unsigned char *key)
{
	struct cs_keyer k;
	uint32_t sizes[2] = {(uint32_t)sizeof(struct leaf), (uint32_t)sizeof(struct srule)};
	size_t i;

	cs__key_begin(&k, "chainsweep sigma set snapshot 1");
	cs__key_adds(&k, hs_version());
	cs__key_adds(&k, cs__sigma_build_tag());
	cs__key_adds(&k, cs__sigma_logsource_tag());
	cs__key_adds(&k, __DATE__ " " __TIME__);
	cs__key_add(&k, sizes, sizeof(sizes));
	for (i = 0; i < cs_intel_sigma_count(intel); i++) {
		const char *text;
		size_t len;
		const char *path = cs_intel_sigma_source(intel, i, &text, &len);

		cs__key_adds(&k, path ? path : "");
		cs__key_add(&k, text, len);
	}
	return cs__key_end(&k, key);
}

/* The set from the cache, when it holds this intel's; NULL otherwise (a
 * damaged or foreign entry is removed by the next store over it). */
static struct cs_sigma *snap_cached(const struct cs_intel *intel, const char *dir,
                                    unsigned char *key, int *have_key)
{
	struct cs_mcache_entry e;
	struct cs_sigma *sg = NULL;

	/* No rules, no snapshot: the key alone would load Hyperscan (its
	 * version is part of it) in every scan of intel without Sigma. */
	*have_key = dir && dir[0] && cs_intel_sigma_count(intel) > 0 && snap_key(intel, key);
	if (!*have_key || cs__mcache_map(dir, SNAP_KIND, key, &e) != CS_OK)
		return NULL;
	if (cs__sigma_snap_read(e.payload, e.payload_len, &sg) != CS_OK)
		sg = NULL;
	cs__mcache_entry_release(&e);
	return sg;
}

static void snap_store(const struct cs_sigma *sg, const char *dir, const unsigned char *key)
{
	struct cs_buf b;

	cs__buf_init(&b, 0);
	if (cs__sigma_snap_write(sg, &b) == CS_OK)
		cs__mcache_put(dir, SNAP_KIND, key, NULL, 0, b.data, b.len);
	cs__buf_release(&b);
}

int cs__sigma_from_snapshot(const struct cs_sigma *sg)
{
	return sg && sg->snapshot;
}

struct compile_ctx {
	struct cs_sigma *sg;
	cs_diag_fn diag;
	void *ud;
};

/* Report a rule that is not usable as it was read. */
static void report_unusable(cs_diag_fn diag, void *ud, const char *file, uint64_t line,
                            uint64_t col, const char *id, const char *title, const char *reason,
                            const char *message)
{
	struct cs_diag d;
	char msg[400];

	snprintf(msg, sizeof(msg), "Sigma rule %s%s'%.80s' not usable (%s): %s", id ? id : "",
	         id ? " " : "", title ? title : "", reason, message);
	memset(&d, 0, sizeof(d));
	d.severity = CS_SEV_WARN;
	d.file = file;
	d.line = line;
	d.column = col;
	d.reason = reason;
	d.message = msg;
	diag(ud, &d);
}

static int on_parsed(void *ud, struct cs__sigma_rule *r)
{
	struct compile_ctx *cc = ud;
	int rc = add_rule(cc->sg, r);

	if (!rc && r->reason && cc->diag)
		report_unusable(cc->diag, cc->ud, r->file, r->rline, r->rcol, r->id, r->title,
		                r->reason, r->message);
	return rc;
}

/*
 * Compile the intel's Sigma rules, or take the set from the compiled-rules
 * cache when it holds a snapshot of the same rule files made by this build
 * (the rules that were not usable are reported again, as when compiled).
 */
int cs_sigma_compile(const struct cs_intel *intel, cs_diag_fn diag, void *userdata,
                     struct cs_sigma **out)
{
	struct compile_ctx cc;
	struct cs_sigma *sg;
	const char *dir;
	unsigned char key[32];
	size_t i;
	int rc = CS_OK, have_key;

	if (!intel || !out)
		return CS_ERR_INVALID;
	dir = cs__intel_cache_dir(intel);
	sg = snap_cached(intel, dir, key, &have_key);
	if (sg) {
		for (i = 0; diag && i < sg->nrules; i++) {
			const struct srule *r = &sg->rules[i];

			if (r->diag)
				report_unusable(diag, userdata, r->file, r->rline, r->rcol, r->id,
				                r->title, r->reason, r->message);
		}
		*out = sg;
		return CS_OK;
	}
	sg = sigma_new();
	if (!sg)
		return CS_ERR_NOMEM;
	cc.sg = sg;
	cc.diag = diag;
	cc.ud = userdata;
	for (i = 0; i < cs_intel_sigma_count(intel) && !rc; i++) {
		struct cs_arena ar;
		const char *text;
		size_t len;
		const char *path = cs_intel_sigma_source(intel, i, &text, &len);

		cs__arena_init(&ar);
		rc = cs__sigma_parse(path, text, len, &ar, on_parsed, &cc);
		cs__arena_release(&ar);
		if (rc == CS_ERR_TOOBIG)
			rc = CS_OK; /* the file's rules up to the cap are kept */
		sg->files++;
	}
	if (!rc)
		rc = finish_maps(sg);
	if (!rc)
		rc = build_engines(sg, dir);
	if (!rc && sg->pre)
		rc = build_candidates(sg);
	if (!rc && sg->nomem)
		rc = CS_ERR_NOMEM;
	if (rc) {
		cs_sigma_free(sg);
		return rc;
	}
	if (sg->nreasons > 1)
		qsort(sg->reasons, sg->nreasons, sizeof(*sg->reasons), reason_cmp);
	if (have_key)
		snap_store(sg, dir, key);
	*out = sg;
	return CS_OK;
}

void cs_sigma_stats(const struct cs_sigma *sg, struct cs_sigma_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->rules = sg->nrules;
	out->usable = sg->usable;
	out->not_usable = sg->nrules - sg->usable;
	out->files = sg->files;
}

size_t cs_sigma_reason_count(const struct cs_sigma *sg)
{
	return sg->nreasons;
}

const char *cs_sigma_reason(const struct cs_sigma *sg, size_t i, uint64_t *count)
{
	if (i >= sg->nreasons)
		return NULL;
	if (count)
		*count = sg->reasons[i].n;
	return sg->reasons[i].name;
}

size_t cs_sigma_rule_count(const struct cs_sigma *sg)
{
	return sg->nrules;
}

int cs_sigma_rule(const struct cs_sigma *sg, size_t i, struct cs_sigma_rule_info *o)
{
	const struct srule *s;

	if (i >= sg->nrules)
		return CS_ERR_NOTFOUND;
	s = &sg->rules[i];
	memset(o, 0, sizeof(*o));
	o->id = s->id;
	o->title = s->title;
	o->status = s->status;
	o->level = s->level;
	o->description = s->description;
	o->author = s->author;
	o->date = s->date;
	o->modified = s->modified;
	o->tags = s->tags;
	o->ntags = s->ntags;
	o->references = s->refs;
	o->nreferences = s->nrefs;
	o->product = s->product;
	o->category = s->category;
	o->service = s->service;
	o->indicator = s->indicator;
	o->file = s->file;
	o->line = s->line;
	o->column = s->col;
	o->usable = s->usable;
	o->reason = s->reason;
	o->message = s->message;
	o->reason_line = s->rline;
	o->reason_column = s->rcol;
	return CS_OK;
}

/* ------------------------------------------------------------ evaluation */

struct mrec {
	uint32_t fi; /* event field index */
	uint32_t rf; /* rule field id, 0 for a keyword */
};

struct cs_sigma_scratch {
	const struct cs_sigma *sg;
	hs_scratch_t *hs;
	uint32_t gen;
	uint32_t *ngen, *nidx; /* per name id: the event field, valid when ngen == gen */
	size_t nnames;
	/* Per event field: lower-cased copy, valid when lgen == gen. */
	uint32_t *lgen;
	size_t *loff;
	size_t capf;
	struct cs_buf lbuf;
	const struct cs_event *ev;
	uint32_t map;
	struct mrec *m;
	size_t nm, capm;
	struct ent *cand;
	size_t ncand, capcand;
	struct ent *gcand; /* gather(): the gated rules met, in rule order */
	size_t capgcand;
	struct cs_sigma_match *out;
	size_t capout;
	/* Prefilter: clauses met in this event (cgen == agen), and per rule
	 * how many (active == agen and count). */
	uint32_t *active, *cgen;
	uint8_t *count;
	uint32_t agen;
	uint32_t *litgen; /* per literal: == agen when it occurs in the event */
	uint32_t *ready;  /* gated rules all of whose clauses were met, in the order met */
	size_t nready;
	struct cs_buf cat;
	int nomem;
};

struct cs_sigma_scratch *cs_sigma_scratch_new(const struct cs_sigma *sg)
{
	struct cs_sigma_scratch *s = cs__calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->sg = sg;
	s->nnames = sg->names.n + 1;
	s->ngen = cs__calloc(s->nnames, sizeof(uint32_t));
	s->nidx = cs__calloc(s->nnames, sizeof(uint32_t));
	cs__buf_init(&s->lbuf, (size_t)256 << 20);
	cs__buf_init(&s->cat, (size_t)256 << 20);
	s->active = cs__calloc(sg->nrules + 1, sizeof(uint32_t));
	s->count = cs__calloc(sg->nrules + 1, 1);
	s->cgen = cs__calloc(sg->nclauses + 1, sizeof(uint32_t));
	s->litgen = cs__calloc(sg->nlits + 1, sizeof(uint32_t));
	s->ready = cs__calloc(sg->nrules + 1, sizeof(uint32_t));
	if (!s->ngen || !s->nidx || !s->active || !s->count || !s->cgen || !s->litgen ||
	    !s->ready ||
	    (sg->proto && hs_clone_scratch(sg->proto, &s->hs) != HS_SUCCESS)) {
		cs_sigma_scratch_free(s);
		return NULL;
	}
	return s;
}

void cs_sigma_scratch_free(struct cs_sigma_scratch *s)
{
	if (!s)
		return;
	if (s->hs)
		hs_free_scratch(s->hs);
	free(s->ngen);
	free(s->nidx);
	free(s->lgen);
	free(s->loff);
	cs__buf_release(&s->lbuf);
	cs__buf_release(&s->cat);
	free(s->active);
	free(s->count);
	free(s->cgen);
	free(s->litgen);
	free(s->ready);
	free(s->m);
	free(s->cand);
	free(s->gcand);
	free(s->out);
	free(s);
}

/* The lower-cased value of event field i (ASCII folding). */
static const unsigned char *lowered(struct cs_sigma_scratch *s, size_t i)
{
	const struct cs_event_field *f = &s->ev->fields[i];
	size_t k;

	if (s->lgen[i] == s->gen)
		return (const unsigned char *)s->lbuf.data + s->loff[i];
	s->loff[i] = s->lbuf.len;
	if (cs__buf_add(&s->lbuf, f->value, f->value_len) || cs__buf_addc(&s->lbuf, '\0')) {
		s->nomem = 1;
		return NULL;
	}
	for (k = s->loff[i]; k < s->loff[i] + f->value_len; k++)
		s->lbuf.data[k] = (char)cs__lower((unsigned char)s->lbuf.data[k]);
	s->lgen[i] = s->gen;
	return (const unsigned char *)s->lbuf.data + s->loff[i];
}

static int glob(const unsigned char *p, const unsigned char *sp, size_t pn, const unsigned char *t,
                size_t tn)
{
	size_t i = 0, j = 0, star = (size_t)-1, mark = 0;

	while (j < tn) {
		if (i < pn && sp[i] == SP_ONE) {
			i++;
			j++;
			while (j < tn && (t[j] & 0xc0) == 0x80)
				j++;
		} else if (i < pn && sp[i] == SP_LIT && p[i] == t[j]) {
			i++;
			j++;
		} else if (i < pn && sp[i] == SP_STAR) {
			star = i++;
			mark = j;
		} else if (star != (size_t)-1) {
			i = star + 1;
			j = ++mark;
		} else {
			return 0;
		}
	}
	while (i < pn && sp[i] == SP_STAR)
		i++;
	return i == pn;
}

/*
 * Does t[0, n) hold lit[0, len) (1 <= len <= n)? Event values are short
 * (a command line, a path) and each is searched for a hundred literals: the
 * first byte found with memchr and the rest compared costs a fraction of
 * memmem's per-call set-up there. Long values go to memmem.
 */
static int holds(const unsigned char *t, size_t n, const unsigned char *lit, size_t len)
{
	const unsigned char *p = t, *last = t + (n - len);

	if (n > 512)
		return memmem(t, n, lit, len) != NULL;
	while (p <= last && (p = memchr(p, lit[0], (size_t)(last - p) + 1)) != NULL) {
		if (memcmp(p + 1, lit + 1, len - 1) == 0)
			return 1;
		p++;
	}
	return 0;
}

static int on_re(unsigned int id, unsigned long long from, unsigned long long to,
                 unsigned int flags, void *ctx)
{
	(void)id;
	(void)from;
	(void)to;
	(void)flags;
	*(int *)ctx = 1;
	return 1;
}

static int ip_in(const struct leaf *lf, const char *v, size_t n)
{
	unsigned char a[16];
	char buf[64];
	int bits = lf->prefix, i;

	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, v, n);
	buf[n] = '\0';
	if (inet_pton(lf->alen == 4 ? AF_INET : AF_INET6, buf, a) != 1)
		return 0;
	for (i = 0; i < bits / 8; i++)
		if (a[i] != lf->net[i])
			return 0;
	if (bits % 8) {
		unsigned char mask = (unsigned char)(0xff << (8 - bits % 8));

		if ((a[i] & mask) != lf->net[i])
			return 0;
	}
	return 1;
}

/* Test one leaf against the value of event field i. */
static int test_value(struct cs_sigma_scratch *s, const struct leaf *lf, size_t i)
{
	const struct cs_event_field *f = &s->ev->fields[i];
	const unsigned char *t;
	size_t n = f->value_len;

	if (f->is_null)
		return 0;
	switch (lf->op) {
	case OP_RE: {
		int hit = 0;

		if (hs_scan(lf->db, n ? f->value : "", (unsigned)n, 0, s->hs, on_re, &hit) !=
		            HS_SUCCESS &&
		    !hit)
			return 0;
		return hit;
	}
	case OP_CIDR:
		return ip_in(lf, f->value, n);
	case OP_NUM: {
		char buf[64], *end;
		double d;

		if (!n || n >= sizeof(buf))
			return 0;
		memcpy(buf, f->value, n);
		buf[n] = '\0';
		d = strtod(buf, &end);
		if (end == buf || *end)
			return 0;
		switch (lf->numop) {
		case NUM_GT:
			return d > lf->num;
		case NUM_GTE:
			return d >= lf->num;
		case NUM_LT:
			return d < lf->num;
		default:
			return d <= lf->num;
		}
	}
	default:
		break;
	}
	t = lf->cased ? (const unsigned char *)f->value : lowered(s, i);
	if (!t)
		return 0;
	switch (lf->op) {
	case OP_EQ:
		return n == lf->len && memcmp(t, lf->lit, n) == 0;
	case OP_PREFIX:
		return n >= lf->len && memcmp(t, lf->lit, lf->len) == 0;
	case OP_SUFFIX:
		return n >= lf->len && memcmp(t + n - lf->len, lf->lit, lf->len) == 0;
	case OP_CONTAINS:
		return lf->len == 0 || (n >= lf->len && holds(t, n, lf->lit, lf->len));
	case OP_GLOB:
		return glob(lf->lit, lf->sp, lf->len, t, n);
	default:
		return 0;
	}
}

static int record(struct cs_sigma_scratch *s, size_t fi, uint32_t rf)
{
	if (cs__grow((void **)&s->m, &s->capm, s->nm + 1, sizeof(*s->m))) {
		s->nomem = 1;
		return 0;
	}
	s->m[s->nm].fi = (uint32_t)fi;
	s->m[s->nm].rf = rf;
	s->nm++;
	return 1;
}

/* The event field a rule field stands for under the current mapping,
 * or -1. */
static long field_of(struct cs_sigma_scratch *s, uint32_t rf)
{
	const struct cs_sigma *sg = s->sg;
	uint32_t id = s->map ? sg->maps[s->map].arr[rf] : rf;

	if (id < s->nnames && s->ngen[id] == s->gen)
		return (long)s->nidx[id];
	return -1;
}

static int is_data_name(const char *n)
{
	if (!n || strncmp(n, "Data", 4) != 0)
		return 0;
	if (!n[4])
		return 1;
	if (n[4] != '_' || !n[5])
		return 0;
	for (n += 5; *n; n++)
		if (!cs__isdigit((unsigned char)*n))
			return 0;
	return 1;
}

static int eval_leaf(struct cs_sigma_scratch *s, const struct leaf *lf)
{
	const struct cs_event *ev = s->ev;
	long fi;
	size_t i;

	/* Its literal is in no value of the event (the prefilter saw them all,
	 * without case): no value can match. */
	if (lf->lit1 && s->litgen[lf->lit1 - 1] != s->agen)
		return 0;

	if (!lf->field) {
		for (i = 0; i < ev->nfields; i++)
			if (test_value(s, lf, i))
				return record(s, i, 0);
		return 0;
	}
	if (lf->field == s->sg->data_id && !s->map) {
		/* Unnamed EventData items (Data, Data_2...): any of them. */
		int seen = 0;

		for (i = 0; i < ev->nfields; i++) {
			if (!is_data_name(ev->fields[i].name))
				continue;
			seen = 1;
			if (lf->op == OP_NULL || lf->op == OP_EXISTS)
				break;
			if (test_value(s, lf, i))
				return record(s, i, lf->field);
		}
		if (lf->op == OP_NULL)
			return !seen;
		if (lf->op == OP_EXISTS)
			return seen == lf->want;
		return 0;
	}
	fi = field_of(s, lf->field);
	switch (lf->op) {
	case OP_NULL:
		return fi < 0 || ev->fields[fi].is_null || ev->fields[fi].value_len == 0;
	case OP_EXISTS:
		return (fi >= 0 && !ev->fields[fi].is_null) == lf->want;
	case OP_FIELDREF: {
		long fr = field_of(s, lf->ref);
		const struct cs_event_field *a, *b;
		const unsigned char *x, *y;

		if (fi < 0 || fr < 0)
			return 0;
		a = &ev->fields[fi];
		b = &ev->fields[fr];
		if (a->is_null || b->is_null)
			return 0;
		if (lf->cased) {
			x = (const unsigned char *)a->value;
			y = (const unsigned char *)b->value;
		} else {
			/* Both lowered first: the second may move the buffer. */
			if (!lowered(s, (size_t)fi) || !lowered(s, (size_t)fr))
				return 0;
			x = (const unsigned char *)s->lbuf.data + s->loff[fi];
			y = (const unsigned char *)s->lbuf.data + s->loff[fr];
		}
		if (lf->want == 0 && !(a->value_len == b->value_len && !memcmp(x, y, a->value_len)))
			return 0;
		if (lf->want == 1 && !(a->value_len >= b->value_len && !memcmp(x, y, b->value_len)))
			return 0;
		if (lf->want == 2 && !(a->value_len >= b->value_len &&
		                       !memcmp(x + a->value_len - b->value_len, y, b->value_len)))
			return 0;
		if (lf->want == 3 && b->value_len && !memmem(x, a->value_len, y, b->value_len))
			return 0;
		return record(s, (size_t)fi, lf->field);
	}
	default:
		if (fi < 0)
			return 0;
		return test_value(s, lf, (size_t)fi) ? record(s, (size_t)fi, lf->field) : 0;
	}
}

static int eval(struct cs_sigma_scratch *s, const struct node *nd)
{
	size_t mark = s->nm, i, got;
	int r = 0;

	switch (nd->type) {
	case N_TRUE:
		return 1;
	case N_FALSE:
		return 0;
	case N_LEAF:
		r = eval_leaf(s, nd->leaf);
		break;
	case N_AND:
		r = 1;
		for (i = 0; i < nd->n && r; i++)
			r = eval(s, nd->kids[i]);
		break;
	case N_OR:
		for (i = 0; i < nd->n && !r; i++)
			r = eval(s, nd->kids[i]);
		break;
	case N_ATLEAST:
		for (i = 0, got = 0; i < nd->n && got < nd->need; i++)
			got += (size_t)eval(s, nd->kids[i]);
		r = got >= nd->need;
		break;
	case N_NOT:
		r = !eval(s, nd->kids[0]);
		s->nm = mark;
		return r;
	}
	if (!r)
		s->nm = mark;
	return r;
}

/* The index keys of an event (at most 3). */
static size_t event_keys(const char *product, const char *service, const char *channel, int eid,
                         char keys[3][200])
{
	char ch[160];
	size_t n = 0;

	if (channel) {
		lower_into(ch, sizeof(ch), channel);
		snprintf(keys[n++], 200, "w|%s|%d", ch, eid);
		snprintf(keys[n++], 200, "w|%s|*", ch);
		if (!product || strcmp(product, "windows") == 0)
			snprintf(keys[n++], 200, "w|*");
		return n;
	}
	if (product && strcmp(product, "windows") == 0)
		return 0;
	if (!service && !product)
		return 0;
	if (product) {
		snprintf(keys[n++], 200, "o|%s|%s", product, service ? service : "*");
		if (service)
			snprintf(keys[n++], 200, "o|%s|*", product);
	} else {
		snprintf(keys[n++], 200, "o|-|%s", service);
	}
	return n;
}

static const struct bucket *bucket_of(const struct cs_sigma *sg, const char *key)
{
	uint32_t b;

	if (!cs__map_get(&sg->index, key, strlen(key), &b))
		return NULL;
	return &sg->buckets[b];
}

static int ent_cmp(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;

	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

int cs_sigma_wants(const struct cs_sigma *sg, const char *product, const char *service,
                   const char *channel, int event_id)
{
	return cs_sigma_applicable(sg, product, service, channel, event_id) > 0;
}

size_t cs_sigma_applicable(const struct cs_sigma *sg, const char *product, const char *service,
                           const char *channel, int event_id)
{
	char keys[3][200];
	size_t n = event_keys(product, service, channel, event_id, keys), i, k, t = 0;

	for (i = 0; i < n; i++) {
		const struct bucket *b = bucket_of(sg, keys[i]);

		if (i == 0 && channel && !event_id) {
			/* Any event id of the channel: every "w|channel|N" key. */
			size_t pl = (size_t)(strrchr(keys[0], '|') - keys[0]) + 1;

			for (k = 0; k < sg->nbuckets; k++)
				if (strncmp(sg->buckets[k].key, keys[0], pl) == 0 &&
				    strcmp(sg->buckets[k].key + pl, "*") != 0)
					t += sg->buckets[k].n;
			continue;
		}
		if (b)
			t += b->n;
	}
	return t;
}

/* Index every field of the event by name id; grow per-field state. */
static int prepare(struct cs_sigma_scratch *s, const struct cs_event *ev)
{
	const struct cs_sigma *sg = s->sg;
	size_t i;

	s->ev = ev;
	if (++s->gen == 0) {
		memset(s->ngen, 0, s->nnames * sizeof(uint32_t));
		if (s->lgen)
			memset(s->lgen, 0, s->capf * sizeof(uint32_t));
		s->gen = 1;
	}
	if (ev->nfields > s->capf) {
		size_t cap = ev->nfields + 16;
		uint32_t *g = cs__realloc(s->lgen, cap * sizeof(*g));
		size_t *o;

		if (!g)
			return CS_ERR_NOMEM;
		s->lgen = g;
		o = cs__realloc(s->loff, cap * sizeof(*o));
		if (!o)
			return CS_ERR_NOMEM;
		s->loff = o;
		memset(s->lgen + s->capf, 0, (cap - s->capf) * sizeof(*g));
		s->capf = cap;
	}
	cs__buf_reset(&s->lbuf);
	for (i = 0; i < ev->nfields; i++) {
		const char *name = ev->fields[i].name;
		uint32_t id = name ? cs__strtab_find(&sg->names, name, strlen(name)) : 0;

		if (id && id < s->nnames && s->ngen[id] != s->gen) {
			s->ngen[id] = s->gen;
			s->nidx[id] = (uint32_t)i;
		}
	}
	/* Some providers (Windows Defender) name their data with spaces
	 * ("Threat Name"); rules write the name without them (ThreatName).
	 * Those fields answer to both, the exact name first. */
	for (i = 0; i < ev->nfields; i++) {
		const char *name = ev->fields[i].name;
		char buf[128];
		size_t k, n = 0;
		uint32_t id;

		if (!name || !strchr(name, ' '))
			continue;
		for (k = 0; name[k] && n + 1 < sizeof(buf); k++)
			if (name[k] != ' ')
				buf[n++] = name[k];
		id = cs__strtab_find(&sg->names, buf, n);
		if (id && id < s->nnames && s->ngen[id] != s->gen) {
			s->ngen[id] = s->gen;
			s->nidx[id] = (uint32_t)i;
		}
	}
	return CS_OK;
}

/* The matches of a firing rule as the caller sees them, one per field. */
static size_t collect(struct cs_sigma_scratch *s)
{
	size_t i, j, n = 0;

	if (s->nm > s->capout) {
		struct cs_sigma_match *o = cs__realloc(s->out, s->nm * sizeof(*o));

		if (!o) {
			s->nomem = 1;
			return 0;
		}
		s->out = o;
		s->capout = s->nm;
	}
	for (i = 0; i < s->nm; i++) {
		const struct cs_event_field *f = &s->ev->fields[s->m[i].fi];

		for (j = 0; j < n; j++)
			if (s->out[j].field == f->name)
				break;
		if (j < n)
			continue;
		s->out[n].field = f->name;
		s->out[n].rule_field =
		        s->m[i].rf ? cs__strtab_get(&s->sg->names, s->m[i].rf) : "keywords";
		s->out[n].value = f->value;
		s->out[n].value_len = f->value_len;
		n++;
	}
	return n;
}

static int on_lit(unsigned int id, unsigned long long from, unsigned long long to,
                  unsigned int flags, void *ctx)
{
	struct cs_sigma_scratch *s = ctx;
	const struct lit *l;
	size_t i;

	(void)from;
	(void)to;
	(void)flags;
	if (id >= s->sg->nlits)
		return 0;
	l = &s->sg->lits[id];
	s->litgen[id] = s->agen;
	for (i = 0; i < l->n; i++) {
		uint32_t c = l->rules[i], r;

		if (s->cgen[c] == s->agen)
			continue;
		s->cgen[c] = s->agen;
		r = s->sg->clause_rule[c];
		if (s->active[r] != s->agen) {
			s->active[r] = s->agen;
			s->count[r] = 0;
		}
		if (++s->count[r] == s->sg->gated[r])
			s->ready[s->nready++] = r;
	}
	return 0;
}

/* Mark the rules one of whose literals occurs in some value of the
 * event (the values joined by NULs: a literal spanning two values only
 * wakes a rule that then does not fire). */
static int prefilter(struct cs_sigma_scratch *s, const struct cs_event *ev)
{
	size_t i;

	if (++s->agen == 0) {
		memset(s->active, 0, (s->sg->nrules + 1) * sizeof(uint32_t));
		memset(s->cgen, 0, (s->sg->nclauses + 1) * sizeof(uint32_t));
		memset(s->litgen, 0, (s->sg->nlits + 1) * sizeof(uint32_t));
		s->agen = 1;
	}
	s->nready = 0;
	cs__buf_reset(&s->cat);
	for (i = 0; i < ev->nfields; i++) {
		if (ev->fields[i].is_null || !ev->fields[i].value_len)
			continue;
		if (cs__buf_add(&s->cat, ev->fields[i].value, ev->fields[i].value_len) ||
		    cs__buf_addc(&s->cat, '\0'))
			return CS_ERR_NOMEM;
	}
	if (!s->cat.len)
		return CS_OK;
	if (s->cat.len > 0xffffffffu)
		return CS_ERR_TOOBIG;
	hs_scan(s->sg->pre, s->cat.data, (unsigned)s->cat.len, 0, s->hs, on_lit, s);
	return CS_OK;
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The candidates of an event whose prefilter ran (b[0, nk): its buckets,
 * NULL for an empty one), in rule order, each rule once with its entry of
 * its first bucket (as when every entry is walked): the ungated entries
 * of each bucket (each run already in rule order) merged with the gated
 * rules met (sorted), each of those with its entry of the first of the
 * event's buckets that holds it. A merge, not a sort of everything: the
 * runs are sorted, and the gated rules met are few.
 */
static int gather(struct cs_sigma_scratch *s, const struct bucket *const *b, size_t nk)
{
	const struct cs_sigma *sg = s->sg;
	const struct ent *run[4];
	size_t left[4], i, j, k, need = 0, ng = 0;
	uint32_t last = UINT32_MAX;

	for (i = 0; i < nk; i++) {
		size_t bi;

		run[i] = NULL;
		left[i] = 0;
		if (!b[i])
			continue;
		bi = (size_t)(b[i] - sg->buckets);
		run[i] = sg->ung + sg->ung_off[bi];
		left[i] = sg->ung_off[bi + 1] - sg->ung_off[bi];
		need += left[i];
	}
	if (s->nready > 1)
		qsort(s->ready, s->nready, sizeof(*s->ready), u32_cmp);
	if (cs__grow((void **)&s->gcand, &s->capgcand, s->nready + 1, sizeof(*s->gcand)) ||
	    cs__grow((void **)&s->cand, &s->capcand, need + s->nready + 1, sizeof(*s->cand)))
		return CS_ERR_NOMEM;
	for (j = 0; j < s->nready; j++) {
		uint32_t r = s->ready[j];
		int found = 0;

		for (i = 0; i < nk && !found; i++) {
			uint32_t bi;

			if (!b[i])
				continue;
			bi = (uint32_t)(b[i] - sg->buckets);
			for (k = sg->rb_off[r]; k < sg->rb_off[r + 1] && !found; k++) {
				if (sg->rb[k].bucket != bi)
					continue;
				s->gcand[ng].rule = r;
				s->gcand[ng++].map = sg->rb[k].map;
				found = 1;
			}
		}
	}
	run[nk] = s->gcand;
	left[nk] = ng;
	for (;;) {
		size_t best = nk + 1;

		for (i = 0; i <= nk; i++)
			if (left[i] && (best > nk || run[i]->rule < run[best]->rule))
				best = i;
		if (best > nk)
			break;
		if (run[best]->rule != last) {
			s->cand[s->ncand++] = *run[best];
			last = run[best]->rule;
		}
		run[best]++;
		left[best]--;
	}
	return CS_OK;
}

int cs_sigma_eval(const struct cs_sigma *sg, struct cs_sigma_scratch *s, const struct cs_event *ev,
                  cs_sigma_hit_fn fn, void *userdata)
{
	char keys[3][200];
	const struct bucket *b[3];
	const char *product = ev->product, *channel = ev->channel;
	size_t nk, i, nonempty = 0;
	int hits = 0;

	if (!sg || !s || !ev || s->sg != sg)
		return CS_ERR_INVALID;
	nk = event_keys(product, ev->service, channel, ev->event_id, keys);
	for (i = 0; i < nk; i++) {
		b[i] = bucket_of(sg, keys[i]);
		if (b[i] && b[i]->n)
			nonempty++;
		else
			b[i] = NULL;
	}
	if (!nonempty)
		return 0;
	if (sg->pre && prefilter(s, ev))
		return CS_ERR_NOMEM;
	s->ncand = 0;
	if (sg->pre && sg->ung) {
		if (gather(s, b, nk))
			return CS_ERR_NOMEM;
		goto run;
	}
	/* The candidates: each bucket is in rule order; a gated rule none of
	 * whose literals occurs is left out here. */
	for (i = 0; i < nk; i++) {
		size_t k;

		if (!b[i])
			continue;
		if (cs__grow((void **)&s->cand, &s->capcand, s->ncand + b[i]->n, sizeof(*s->cand)))
			return CS_ERR_NOMEM;
		for (k = 0; k < b[i]->n; k++) {
			uint32_t ri = b[i]->v[k].rule;

			if (sg->pre && sg->gated[ri] &&
			    (s->active[ri] != s->agen || s->count[ri] < sg->gated[ri]))
				continue;
			s->cand[s->ncand++] = b[i]->v[k];
		}
	}
	if (nonempty > 1)
		qsort(s->cand, s->ncand, sizeof(*s->cand), ent_cmp);
run:
	if (!s->ncand)
		return 0;
	if (prepare(s, ev))
		return CS_ERR_NOMEM;
	s->nomem = 0;
	for (i = 0; i < s->ncand; i++) {
		const struct srule *r = &sg->rules[s->cand[i].rule];
		struct cs_sigma_hit h;

		if (i && s->cand[i].rule == s->cand[i - 1].rule)
			continue;
		s->map = s->cand[i].map;
		s->nm = 0;
		if (!eval(s, r->cond))
			continue;
		hits++;
		memset(&h, 0, sizeof(h));
		h.rule = s->cand[i].rule;
		h.id = r->id;
		h.title = r->title;
		h.level = r->level;
		h.indicator = r->indicator;
		h.tags = r->tags;
		h.ntags = r->ntags;
		h.nmatches = collect(s);
		h.matches = s->out;
		if (fn && fn(userdata, ev, &h))
			break;
	}
	return s->nomem ? CS_ERR_NOMEM : hits;
}

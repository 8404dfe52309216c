/*
 * STIX 2.1 patterning language (section 9 of the specification).
 *
 * The parser is a hand-written recursive descent over a one-token
 * lookahead lexer. It does not build a syntax tree: each rule returns its
 * sub-expression already in disjunctive normal form, and AND/OR/FOLLOWEDBY
 * combine those forms (OR concatenates, AND and FOLLOWEDBY distribute).
 * The same DNF code serves both levels of the grammar: inside brackets
 * the items are comparisons, outside they are observations.
 *
 * The emitter turns each alternative of the DNF into indicators; see
 * docs/stix-patterns.md for the mapping of object paths to kinds.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "normalize_int.h"
#include "stix_pattern_int.h"

/* Nesting of brackets and parentheses, at both levels together. */
#define STIX_MAX_DEPTH 256
/* Comparisons over all alternatives of the DNF (each copy counts). */
#define STIX_MAX_WEIGHT ((size_t)CS_STIX_MAX_ALTS * 16)

/* The parsed pattern and the comparisons it owns. The alternatives hold
 * shallow copies of `cmps`, so strings are freed only through `cmps`. */
struct stix_impl {
	struct cs_stix_pattern pub; /* first: the public pointer is this one */
	struct cs_stix_cmp *cmps;
	size_t ncmps;
	size_t capcmps;
};

/* A conjunction of items: comparison indexes, or observation indexes. */
struct conj {
	uint32_t *items;
	size_t n;
	size_t cap;
	size_t weight; /* comparisons it stands for */
	unsigned flags;
};

struct dnf {
	struct conj *v;
	size_t n;
	size_t cap;
	size_t weight;
};

/* An observation: a conjunction of comparison indexes. */
struct obs_ent {
	uint32_t *cmps;
	size_t n;
};

enum tok_type {
	T_END,
	T_LBRACK,
	T_RBRACK,
	T_LPAREN,
	T_RPAREN,
	T_COMMA,
	T_COLON,
	T_DOT,
	T_STAR,
	T_EQ,
	T_NE,
	T_LT,
	T_LE,
	T_GT,
	T_GE,
	T_WORD,
	T_STRING,
	T_INT,
	T_FLOAT,
	T_HEX,
	T_BINARY,
	T_TIMESTAMP
};

struct parser {
	const char *s;
	size_t len;
	size_t pos; /* next byte for the lexer */
	int depth;
	/* The current token: [tpos, tend) of the text; literals decoded in val. */
	enum tok_type tt;
	size_t tpos;
	size_t tend;
	struct cs_buf val;
	struct stix_impl *pat;
	struct obs_ent *obs;
	size_t nobs;
	size_t capobs;
	/* The first error wins. */
	int err;
	size_t errpos;
	char *errbuf;
	size_t errlen;
};

static int fail(struct parser *p, int err, size_t pos, const char *fmt, ...) CS_PRINTF(4, 5);

static int fail(struct parser *p, int err, size_t pos, const char *fmt, ...)
{
	va_list ap;

	if (p->err)
		return p->err;
	p->err = err;
	p->errpos = pos;
	if (p->errbuf && p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->errbuf, p->errlen, fmt, ap);
		va_end(ap);
	}
	return err;
}

static int nomem(struct parser *p)
{
	return fail(p, CS_ERR_NOMEM, p->tpos, "out of memory");
}

/* ------------------------------------------------------------------ */
/* Lexer                                                              */

/*
 * Length of the white space sequence at s[i]: ASCII white space and the
 * Unicode spaces the specification's grammar skips, in UTF-8. 0 if none.
 */
static size_t space_len(const struct parser *p, size_t i)
{
	const unsigned char *u = (const unsigned char *)p->s + i;
	size_t left = p->len - i;

	if (cs__isspace(u[0]))
		return 1;
	if (left >= 2 && u[0] == 0xc2 && (u[1] == 0x85 || u[1] == 0xa0))
		return 2;
	if (left < 3)
		return 0;
	if (u[0] == 0xe1 && u[1] == 0x9a && u[2] == 0x80)
		return 3;
	if (u[0] == 0xe2 && u[1] == 0x80 &&
	    (u[2] <= 0x8a || u[2] == 0xa8 || u[2] == 0xa9 || u[2] == 0xaf))
		return 3;
	if (u[0] == 0xe2 && u[1] == 0x81 && u[2] == 0x9f)
		return 3;
	if (u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80)
		return 3;
	return 0;
}

/* Skip white space and comments. */
static int skip_space(struct parser *p)
{
	size_t n;

	while (p->pos < p->len) {
		n = space_len(p, p->pos);
		if (n) {
			p->pos += n;
		} else if (p->s[p->pos] == '/' && p->pos + 1 < p->len && p->s[p->pos + 1] == '*') {
			size_t start = p->pos;

			p->pos += 2;
			while (p->pos + 1 < p->len &&
			       !(p->s[p->pos] == '*' && p->s[p->pos + 1] == '/'))
				p->pos++;
			if (p->pos + 1 >= p->len)
				return fail(p, CS_ERR_PARSE, start, "unterminated comment");
			p->pos += 2;
		} else if (p->s[p->pos] == '/' && p->pos + 1 < p->len && p->s[p->pos + 1] == '/') {
			while (p->pos < p->len && p->s[p->pos] != '\n' && p->s[p->pos] != '\r')
				p->pos++;
		} else {
			break;
		}
	}
	return CS_OK;
}

static int is_word_start(int c)
{
	return cs__isalpha(c) || c == '_';
}

static int is_word_char(int c)
{
	return cs__isalnum(c) || c == '_' || c == '-';
}

/*
 * Read a quoted string whose opening quote is at s[q] into p->val,
 * undoing the two escapes the grammar has (\' and \\). On success
 * p->pos is past the closing quote.
 */
static int lex_string(struct parser *p, size_t q)
{
	size_t i = q + 1, run;

	cs__buf_reset(&p->val);
	for (;;) {
		run = i;
		while (i < p->len && p->s[i] != '\'' && p->s[i] != '\\')
			i++;
		if (i > run && cs__buf_add(&p->val, p->s + run, i - run))
			return nomem(p);
		if (i >= p->len)
			return fail(p, CS_ERR_PARSE, p->tpos, "unterminated string constant");
		if (p->s[i] == '\'')
			break;
		if (i + 1 >= p->len)
			return fail(p, CS_ERR_PARSE, p->tpos, "unterminated string constant");
		if (p->s[i + 1] != '\'' && p->s[i + 1] != '\\')
			return fail(p, CS_ERR_PARSE, i,
			            "invalid escape in string constant (only \\' and \\\\ are "
			            "allowed)");
		if (cs__buf_addc(&p->val, p->s[i + 1]))
			return nomem(p);
		i += 2;
	}
	if (!p->val.data && cs__buf_add(&p->val, "", 0))
		return nomem(p);
	p->pos = i + 1;
	return CS_OK;
}

static int two_digits(const char *s, int lo, int hi)
{
	int v;

	if (!cs__isdigit(s[0]) || !cs__isdigit(s[1]))
		return 0;
	v = (s[0] - '0') * 10 + (s[1] - '0');
	return v >= lo && v <= hi;
}

/* Check "YYYY-MM-DDTHH:MM:SS[.frac]Z", the only form t'..' accepts. */
static int valid_timestamp(const char *s, size_t n)
{
	size_t i;

	if (n < 20 || !cs__isdigit(s[0]) || !cs__isdigit(s[1]) || !cs__isdigit(s[2]) ||
	    !cs__isdigit(s[3]) || s[4] != '-' || !two_digits(s + 5, 1, 12) || s[7] != '-' ||
	    !two_digits(s + 8, 1, 31) || s[10] != 'T' || !two_digits(s + 11, 0, 23) ||
	    s[13] != ':' || !two_digits(s + 14, 0, 59) || s[16] != ':' ||
	    !two_digits(s + 17, 0, 60) || s[n - 1] != 'Z')
		return 0;
	if (n == 20)
		return 1;
	if (s[19] != '.' || n < 22)
		return 0;
	for (i = 20; i < n - 1; i++)
		if (!cs__isdigit(s[i]))
			return 0;
	return 1;
}

static int is_b64(int c)
{
	return cs__isalnum(c) || c == '+' || c == '/';
}

static int valid_base64(const char *s, size_t n)
{
	size_t i, pad = 0;

	if (n == 0 || n % 4)
		return 0;
	if (s[n - 1] == '=')
		pad = s[n - 2] == '=' ? 2 : 1;
	for (i = 0; i < n - pad; i++)
		if (!is_b64((unsigned char)s[i]))
			return 0;
	return 1;
}

/* h'..', b'..' or t'..': the letter is at tpos, the quote right after it. */
static int lex_prefixed(struct parser *p, char kind)
{
	size_t i = p->tpos + 2, start = i;
	const char *what;

	while (i < p->len && p->s[i] != '\'')
		i++;
	if (i >= p->len)
		return fail(p, CS_ERR_PARSE, p->tpos, "unterminated %c'...' constant", kind);
	cs__buf_reset(&p->val);
	if (cs__buf_add(&p->val, p->s + start, i - start))
		return nomem(p);
	p->pos = i + 1;
	if (kind == 'h') {
		size_t k;

		p->tt = T_HEX;
		what = "hex";
		if ((i - start) % 2)
			goto bad;
		for (k = start; k < i; k++)
			if (!cs__isxdigit((unsigned char)p->s[k]))
				goto bad;
	} else if (kind == 'b') {
		p->tt = T_BINARY;
		what = "base64";
		if (!valid_base64(p->s + start, i - start))
			goto bad;
	} else {
		p->tt = T_TIMESTAMP;
		what = "timestamp";
		if (!valid_timestamp(p->s + start, i - start))
			goto bad;
	}
	return CS_OK;
bad:
	return fail(p, CS_ERR_PARSE, p->tpos, "invalid %s constant", what);
}

/* [+-]? digits or [+-]? digits? '.' digits; integers without leading zeros. */
static int lex_number(struct parser *p)
{
	size_t i = p->tpos, digits;

	if (p->s[i] == '+' || p->s[i] == '-')
		i++;
	digits = i;
	while (i < p->len && cs__isdigit(p->s[i]))
		i++;
	if (i + 1 < p->len && p->s[i] == '.' && cs__isdigit(p->s[i + 1])) {
		i++;
		while (i < p->len && cs__isdigit(p->s[i]))
			i++;
		p->tt = T_FLOAT;
	} else {
		if (i == digits)
			return fail(p, CS_ERR_PARSE, p->tpos, "expected a number");
		if (i - digits > 1 && p->s[digits] == '0')
			return fail(p, CS_ERR_PARSE, p->tpos, "integer with a leading zero");
		p->tt = T_INT;
	}
	p->pos = i;
	cs__buf_reset(&p->val);
	/* The value keeps a minus sign but not a plus sign. */
	if (p->s[p->tpos] == '+') {
		if (cs__buf_add(&p->val, p->s + p->tpos + 1, i - p->tpos - 1))
			return nomem(p);
	} else if (cs__buf_add(&p->val, p->s + p->tpos, i - p->tpos)) {
		return nomem(p);
	}
	return CS_OK;
}

/* Read the next token into p->tt / tpos / tend (and p->val for literals). */
static int lex(struct parser *p)
{
	int rc = skip_space(p);
	unsigned char c;

	if (rc)
		return rc;
	p->tpos = p->pos;
	if (p->pos >= p->len) {
		p->tt = T_END;
		p->tend = p->pos;
		return CS_OK;
	}
	c = (unsigned char)p->s[p->pos];
	p->pos++;
	switch (c) {
	case '[':
		p->tt = T_LBRACK;
		break;
	case ']':
		p->tt = T_RBRACK;
		break;
	case '(':
		p->tt = T_LPAREN;
		break;
	case ')':
		p->tt = T_RPAREN;
		break;
	case ',':
		p->tt = T_COMMA;
		break;
	case ':':
		p->tt = T_COLON;
		break;
	case '*':
		p->tt = T_STAR;
		break;
	case '=':
		p->tt = T_EQ;
		if (p->pos < p->len && p->s[p->pos] == '=')
			p->pos++;
		break;
	case '!':
		if (p->pos >= p->len || p->s[p->pos] != '=')
			return fail(p, CS_ERR_PARSE, p->tpos, "unexpected character '!'");
		p->pos++;
		p->tt = T_NE;
		break;
	case '<':
		p->tt = T_LT;
		if (p->pos < p->len && p->s[p->pos] == '=') {
			p->tt = T_LE;
			p->pos++;
		} else if (p->pos < p->len && p->s[p->pos] == '>') {
			p->tt = T_NE;
			p->pos++;
		}
		break;
	case '>':
		p->tt = T_GT;
		if (p->pos < p->len && p->s[p->pos] == '=') {
			p->tt = T_GE;
			p->pos++;
		}
		break;
	case '\'':
		p->tt = T_STRING;
		rc = lex_string(p, p->tpos);
		break;
	case '.':
		if (p->pos < p->len && cs__isdigit(p->s[p->pos]))
			rc = lex_number(p);
		else
			p->tt = T_DOT;
		break;
	default:
		if (c == '+' || c == '-' || cs__isdigit(c)) {
			rc = lex_number(p);
		} else if (is_word_start(c)) {
			if ((c == 'h' || c == 'b' || c == 't') && p->pos < p->len &&
			    p->s[p->pos] == '\'') {
				rc = lex_prefixed(p, (char)c);
				break;
			}
			while (p->pos < p->len && is_word_char((unsigned char)p->s[p->pos]))
				p->pos++;
			p->tt = T_WORD;
		} else if (c >= 0x20 && c < 0x7f) {
			return fail(p, CS_ERR_PARSE, p->tpos, "unexpected character '%c'", c);
		} else {
			return fail(p, CS_ERR_PARSE, p->tpos, "unexpected byte 0x%02x", c);
		}
	}
	p->tend = p->pos;
	return rc;
}

static int tok_is_word(const struct parser *p, const char *w)
{
	size_t n = strlen(w);

	return p->tt == T_WORD && p->tend - p->tpos == n && memcmp(p->s + p->tpos, w, n) == 0;
}

static const char *const keywords[] = {
        "AND",      "OR",     "NOT",    "FOLLOWEDBY", "LIKE",  "MATCHES", "ISSUPERSET",
        "ISSUBSET", "EXISTS", "LAST",   "IN",         "START", "STOP",    "SECONDS",
        "true",     "false",  "WITHIN", "REPEATS",    "TIMES",
};

static int tok_is_keyword(const struct parser *p)
{
	size_t i;

	for (i = 0; i < CS_ARRAY_SIZE(keywords); i++)
		if (tok_is_word(p, keywords[i]))
			return 1;
	return 0;
}

/* Fail with "expected X" naming what was found instead. */
static int expected(struct parser *p, const char *what)
{
	size_t n = p->tend - p->tpos, i;
	char shown[24];

	if (p->tt == T_END)
		return fail(p, CS_ERR_PARSE, p->tpos, "expected %s at end of pattern", what);
	if (n > sizeof(shown) - 4)
		n = sizeof(shown) - 4;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p->s[p->tpos + i];

		shown[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (n < p->tend - p->tpos) {
		memcpy(shown + n, "...", 3);
		n += 3;
	}
	shown[n] = '\0';
	return fail(p, CS_ERR_PARSE, p->tpos, "expected %s, found '%s'", what, shown);
}

/* Require the current token to be `tt` and move past it. */
static int eat(struct parser *p, enum tok_type tt, const char *what)
{
	if (p->tt != tt)
		return expected(p, what);
	return lex(p);
}

static int eat_word(struct parser *p, const char *w)
{
	if (!tok_is_word(p, w))
		return expected(p, w);
	return lex(p);
}

/* ------------------------------------------------------------------ */
/* DNF                                                                */

static void dnf_free(struct dnf *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->v[i].items);
	free(d->v);
	memset(d, 0, sizeof(*d));
}

/* A DNF of one alternative holding one item. */
static int dnf_single(struct parser *p, struct dnf *d, uint32_t item, size_t weight)
{
	d->v = cs__malloc(sizeof(*d->v));
	if (d->v)
		d->v[0].items = cs__malloc(sizeof(uint32_t));
	if (!d->v || !d->v[0].items) {
		free(d->v);
		d->v = NULL;
		return nomem(p);
	}
	d->v[0].items[0] = item;
	d->v[0].n = 1;
	d->v[0].cap = 1;
	d->v[0].weight = weight;
	d->v[0].flags = 0;
	d->n = 1;
	d->cap = 1;
	d->weight = weight;
	return CS_OK;
}

static int too_big(struct parser *p, size_t at)
{
	return fail(
	        p, CS_ERR_TOOBIG, at,
	        "pattern too complex: its normal form exceeds %d alternatives or %zu comparisons",
	        CS_STIX_MAX_ALTS, STIX_MAX_WEIGHT);
}

/* a := a OR b. Consumes b; on failure frees a too. */
static int dnf_or(struct parser *p, struct dnf *a, struct dnf *b, size_t at)
{
	int rc;

	if (a->n + b->n > CS_STIX_MAX_ALTS || a->weight + b->weight > STIX_MAX_WEIGHT) {
		rc = too_big(p, at);
		goto out;
	}
	rc = cs__grow((void **)&a->v, &a->cap, a->n + b->n, sizeof(*a->v));
	if (rc) {
		rc = nomem(p);
		goto out;
	}
	memcpy(a->v + a->n, b->v, b->n * sizeof(*b->v));
	a->n += b->n;
	a->weight += b->weight;
	free(b->v);
	memset(b, 0, sizeof(*b));
	return CS_OK;
out:
	dnf_free(a);
	dnf_free(b);
	return rc;
}

/*
 * dnf_and() when b has one alternative: append it to each of a's in
 * place, so that a long chain of ANDs stays linear.
 */
static int dnf_and_one(struct parser *p, struct dnf *a, struct dnf *b, unsigned flags)
{
	const struct conj *y = &b->v[0];
	size_t i;

	for (i = 0; i < a->n; i++) {
		struct conj *x = &a->v[i];

		if (cs__grow((void **)&x->items, &x->cap, x->n + y->n, sizeof(uint32_t))) {
			dnf_free(a);
			dnf_free(b);
			return nomem(p);
		}
		memcpy(x->items + x->n, y->items, y->n * sizeof(uint32_t));
		x->n += y->n;
		x->weight += y->weight;
		x->flags |= y->flags | flags;
	}
	a->weight += y->weight * a->n;
	dnf_free(b);
	return CS_OK;
}

/*
 * a := a AND b (or a FOLLOWEDBY b with flags = CS_STIX_Q_FOLLOWEDBY):
 * every alternative of a joined with every alternative of b, a's items
 * first. Consumes b; on failure frees a too.
 */
static int dnf_and(struct parser *p, struct dnf *a, struct dnf *b, unsigned flags, size_t at)
{
	struct dnf r = {NULL, 0, 0, 0};
	size_t i, j, n, w;
	int rc = CS_OK;

	if (b->n && a->n > CS_STIX_MAX_ALTS / b->n) {
		rc = too_big(p, at);
		goto out;
	}
	n = a->n * b->n;
	/* Both weights are <= STIX_MAX_WEIGHT and counts <= CS_STIX_MAX_ALTS. */
	w = a->weight * b->n + b->weight * a->n;
	if (w > STIX_MAX_WEIGHT) {
		rc = too_big(p, at);
		goto out;
	}
	if (b->n == 1)
		return dnf_and_one(p, a, b, flags);
	r.v = cs__calloc(n, sizeof(*r.v));
	if (!r.v) {
		rc = nomem(p);
		goto out;
	}
	r.cap = n;
	for (i = 0; i < a->n; i++) {
		for (j = 0; j < b->n; j++) {
			const struct conj *x = &a->v[i], *y = &b->v[j];
			struct conj *z = &r.v[r.n];

			z->items = cs__malloc((x->n + y->n) * sizeof(uint32_t));
			if (!z->items) {
				rc = nomem(p);
				goto out;
			}
			memcpy(z->items, x->items, x->n * sizeof(uint32_t));
			memcpy(z->items + x->n, y->items, y->n * sizeof(uint32_t));
			z->n = x->n + y->n;
			z->cap = z->n;
			z->weight = x->weight + y->weight;
			z->flags = x->flags | y->flags | flags;
			r.n++;
		}
	}
	r.weight = w;
	dnf_free(a);
	dnf_free(b);
	*a = r;
	return CS_OK;
out:
	dnf_free(&r);
	dnf_free(a);
	dnf_free(b);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Comparisons                                                        */

static void cmp_release(struct cs_stix_cmp *c)
{
	size_t i;

	free(c->object);
	free(c->path);
	for (i = 0; i < c->nvalues; i++)
		free(c->values[i]);
	free(c->values);
	memset(c, 0, sizeof(*c));
}

static int is_plain_ident(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !is_word_start((unsigned char)s[0]))
		return 0;
	for (i = 1; i < n; i++)
		if (!cs__isalnum((unsigned char)s[i]) && s[i] != '_')
			return 0;
	return 1;
}

/* Append s in STIX string syntax: quoted, with ' and \ escaped. */
static int put_quoted(struct cs_buf *b, const char *s, size_t n)
{
	size_t i, run = 0;

	if (cs__buf_addc(b, '\''))
		return CS_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		if (s[i] != '\'' && s[i] != '\\')
			continue;
		if (cs__buf_add(b, s + run, i - run) || cs__buf_addc(b, '\\'))
			return CS_ERR_NOMEM;
		run = i;
	}
	if (cs__buf_add(b, s + run, n - run) || cs__buf_addc(b, '\''))
		return CS_ERR_NOMEM;
	return CS_OK;
}

/* Append a path key: bare when it is a plain identifier, quoted otherwise. */
static int put_key(struct cs_buf *b, const char *s, size_t n)
{
	if (is_plain_ident(s, n))
		return cs__buf_add(b, s, n) ? CS_ERR_NOMEM : CS_OK;
	return put_quoted(b, s, n);
}

/* A path key at the current token: an identifier or a quoted string. */
static int path_key(struct parser *p, struct cs_buf *path)
{
	int rc;

	if (p->tt == T_WORD)
		rc = put_key(path, p->s + p->tpos, p->tend - p->tpos);
	else if (p->tt == T_STRING)
		rc = put_key(path, p->val.data, p->val.len);
	else
		return expected(p, "a property name");
	if (rc)
		return nomem(p);
	return lex(p);
}

/*
 * objectType ':' key ( '.' key | '[' (int | '*') ']' )*
 * Stores the object type and the canonical path (keys bare when they are
 * plain identifiers, quoted otherwise; indexes as [n] or [*]).
 */
static int parse_path(struct parser *p, struct cs_stix_cmp *c)
{
	struct cs_buf path;
	int rc;

	if (p->tt != T_WORD || tok_is_keyword(p))
		return expected(p, "an object path");
	c->object = cs__strndup(p->s + p->tpos, p->tend - p->tpos);
	if (!c->object)
		return nomem(p);
	cs__buf_init(&path, 0);
	rc = lex(p);
	if (!rc)
		rc = eat(p, T_COLON, "':' after the object type");
	if (!rc)
		rc = path_key(p, &path);
	while (!rc && (p->tt == T_DOT || p->tt == T_LBRACK)) {
		if (p->tt == T_DOT) {
			rc = lex(p);
			if (!rc && cs__buf_addc(&path, '.'))
				rc = nomem(p);
			if (!rc)
				rc = path_key(p, &path);
			continue;
		}
		rc = lex(p);
		if (rc)
			break;
		if (p->tt == T_STAR) {
			if (cs__buf_adds(&path, "[*]"))
				rc = nomem(p);
		} else if (p->tt == T_INT) {
			if (cs__buf_printf(&path, "[%s]", p->val.data))
				rc = nomem(p);
		} else {
			rc = expected(p, "a list index or '*'");
		}
		if (!rc)
			rc = lex(p);
		if (!rc)
			rc = eat(p, T_RBRACK, "']' after the list index");
	}
	if (!rc) {
		c->path = cs__buf_detach(&path);
		if (!c->path)
			rc = nomem(p);
	}
	cs__buf_release(&path);
	return rc;
}

/* Is the current token a constant? Writes its type. */
static int tok_constant(const struct parser *p, enum cs_stix_vtype *t)
{
	switch (p->tt) {
	case T_STRING:
		*t = CS_STIX_STRING;
		return 1;
	case T_INT:
		*t = CS_STIX_INT;
		return 1;
	case T_FLOAT:
		*t = CS_STIX_FLOAT;
		return 1;
	case T_HEX:
		*t = CS_STIX_HEX;
		return 1;
	case T_BINARY:
		*t = CS_STIX_BINARY;
		return 1;
	case T_TIMESTAMP:
		*t = CS_STIX_TIMESTAMP;
		return 1;
	case T_WORD:
		*t = CS_STIX_BOOL;
		return tok_is_word(p, "true") || tok_is_word(p, "false");
	default:
		return 0;
	}
}

/* Append the constant at the current token to c->values and move past it. */
static int add_value(struct parser *p, struct cs_stix_cmp *c, size_t *cap)
{
	char *v;

	if (cs__grow((void **)&c->values, cap, c->nvalues + 1, sizeof(*c->values)))
		return nomem(p);
	if (p->tt == T_WORD)
		v = cs__strndup(p->s + p->tpos, p->tend - p->tpos);
	else
		v = cs__strndup(p->val.data, p->val.len);
	if (!v)
		return nomem(p);
	c->values[c->nvalues++] = v;
	return lex(p);
}

/* '(' [ constant (',' constant)* ] ')' */
static int parse_set(struct parser *p, struct cs_stix_cmp *c)
{
	enum cs_stix_vtype t;
	size_t cap = 0;
	int rc;

	rc = eat(p, T_LPAREN, "'(' after IN");
	if (rc || p->tt == T_RPAREN)
		return rc ? rc : lex(p);
	for (;;) {
		size_t at = p->tpos;

		if (!tok_constant(p, &t))
			return expected(p, "a constant");
		if (c->nvalues == 0) {
			c->vtype = t;
		} else if (t != c->vtype) {
			int num = (t == CS_STIX_INT || t == CS_STIX_FLOAT) &&
			          (c->vtype == CS_STIX_INT || c->vtype == CS_STIX_FLOAT);

			if (!num)
				return fail(p, CS_ERR_PARSE, at,
				            "constants of different types in one IN list");
			c->vtype = CS_STIX_FLOAT;
		}
		rc = add_value(p, c, &cap);
		if (rc)
			return rc;
		if (p->tt == T_RPAREN)
			return lex(p);
		rc = eat(p, T_COMMA, "',' or ')' in the IN list");
		if (rc)
			return rc;
	}
}

/* Map the current token to a comparison operator; 0 when it is none. */
static int tok_operator(const struct parser *p, enum cs_stix_op *op)
{
	static const struct {
		const char *word;
		enum cs_stix_op op;
	} words[] = {
	        {"IN", CS_STIX_IN},
	        {"LIKE", CS_STIX_LIKE},
	        {"MATCHES", CS_STIX_MATCHES},
	        {"ISSUBSET", CS_STIX_ISSUBSET},
	        {"ISSUPERSET", CS_STIX_ISSUPERSET},
	};
	size_t i;

	switch (p->tt) {
	case T_EQ:
		*op = CS_STIX_EQ;
		return 1;
	case T_NE:
		*op = CS_STIX_NE;
		return 1;
	case T_GT:
		*op = CS_STIX_GT;
		return 1;
	case T_LT:
		*op = CS_STIX_LT;
		return 1;
	case T_GE:
		*op = CS_STIX_GE;
		return 1;
	case T_LE:
		*op = CS_STIX_LE;
		return 1;
	default:
		break;
	}
	for (i = 0; i < CS_ARRAY_SIZE(words); i++) {
		if (tok_is_word(p, words[i].word)) {
			*op = words[i].op;
			return 1;
		}
	}
	return 0;
}

/* The operand after the operator, checked against what the operator takes. */
static int parse_operand(struct parser *p, struct cs_stix_cmp *c)
{
	enum cs_stix_vtype t;
	size_t cap = 0;

	if (c->op == CS_STIX_IN)
		return parse_set(p, c);
	if (!tok_constant(p, &t))
		return expected(p, "a constant");
	switch (c->op) {
	case CS_STIX_GT:
	case CS_STIX_LT:
	case CS_STIX_GE:
	case CS_STIX_LE:
		if (t == CS_STIX_BOOL)
			return fail(p, CS_ERR_PARSE, p->tpos,
			            "a boolean cannot be compared with <, >, <= or >=");
		break;
	case CS_STIX_LIKE:
	case CS_STIX_MATCHES:
	case CS_STIX_ISSUBSET:
	case CS_STIX_ISSUPERSET:
		if (t != CS_STIX_STRING)
			return expected(p, "a string constant");
		break;
	default:
		break;
	}
	c->vtype = t;
	return add_value(p, c, &cap);
}

/* Take ownership of *c into the pattern; returns its index in *ix. */
static int keep_cmp(struct parser *p, struct cs_stix_cmp *c, uint32_t *ix)
{
	struct stix_impl *im = p->pat;

	if (im->ncmps >= STIX_MAX_WEIGHT)
		return too_big(p, p->tpos);
	if (cs__grow((void **)&im->cmps, &im->capcmps, im->ncmps + 1, sizeof(*im->cmps)))
		return nomem(p);
	im->cmps[im->ncmps] = *c;
	memset(c, 0, sizeof(*c));
	*ix = (uint32_t)im->ncmps++;
	return CS_OK;
}

static int parse_cmp_or(struct parser *p, struct dnf *out);

static int enter(struct parser *p)
{
	if (++p->depth > STIX_MAX_DEPTH)
		return fail(p, CS_ERR_TOOBIG, p->tpos,
		            "brackets and parentheses nested deeper than %d", STIX_MAX_DEPTH);
	return CS_OK;
}

/*
 * propTest: '(' comparisonExpression ')' | [NOT] EXISTS objectPath |
 * objectPath [NOT] operator operand.
 */
static int parse_prop_test(struct parser *p, struct dnf *out)
{
	struct cs_stix_cmp c;
	uint32_t ix = 0;
	int rc;

	if (p->tt == T_LPAREN) {
		rc = enter(p);
		if (!rc)
			rc = lex(p);
		if (!rc)
			rc = parse_cmp_or(p, out);
		if (!rc)
			rc = eat(p, T_RPAREN, "')'");
		p->depth--;
		if (rc)
			dnf_free(out);
		return rc;
	}
	memset(&c, 0, sizeof(c));
	if (tok_is_word(p, "NOT")) {
		c.negated = 1;
		rc = lex(p);
		if (!rc && !tok_is_word(p, "EXISTS"))
			rc = expected(p, "EXISTS after NOT");
		if (rc)
			goto out;
	}
	if (tok_is_word(p, "EXISTS")) {
		c.op = CS_STIX_EXISTS;
		c.vtype = CS_STIX_STRING;
		rc = lex(p);
		if (!rc)
			rc = parse_path(p, &c);
	} else {
		rc = parse_path(p, &c);
		if (!rc && tok_is_word(p, "NOT")) {
			c.negated = 1;
			rc = lex(p);
		}
		if (!rc && !tok_operator(p, &c.op))
			rc = expected(p, "a comparison operator");
		if (!rc)
			rc = lex(p);
		if (!rc)
			rc = parse_operand(p, &c);
	}
	if (!rc)
		rc = keep_cmp(p, &c, &ix);
	if (!rc)
		rc = dnf_single(p, out, ix, 1);
out:
	cmp_release(&c);
	return rc;
}

typedef int (*sub_parse_fn)(struct parser *p, struct dnf *out);

/*
 * sub (KEYWORD sub)*: OR concatenates, AND and FOLLOWEDBY distribute
 * (`and_flags` marks the alternatives they build). On failure *out is
 * empty.
 */
static int parse_chain(struct parser *p, struct dnf *out, sub_parse_fn sub, const char *keyword,
                       int is_or, unsigned and_flags)
{
	struct dnf rhs = {NULL, 0, 0, 0};
	int rc;

	rc = sub(p, out);
	while (!rc && tok_is_word(p, keyword)) {
		size_t at = p->tpos;

		rc = lex(p);
		if (!rc)
			rc = sub(p, &rhs);
		if (rc)
			break;
		if (is_or)
			rc = dnf_or(p, out, &rhs, at);
		else
			rc = dnf_and(p, out, &rhs, and_flags, at);
	}
	if (rc) {
		dnf_free(&rhs);
		dnf_free(out);
	}
	return rc;
}

static int parse_cmp_and(struct parser *p, struct dnf *out)
{
	return parse_chain(p, out, parse_prop_test, "AND", 0, 0);
}

static int parse_cmp_or(struct parser *p, struct dnf *out)
{
	return parse_chain(p, out, parse_cmp_and, "OR", 1, 0);
}

/*
 * Turn the comparison-level DNF of one bracket into observations: each
 * alternative becomes an observation and the result is a DNF over them.
 * Consumes *cmp.
 */
static int bracket_to_obs(struct parser *p, struct dnf *cmp, struct dnf *out)
{
	size_t i;
	int rc = CS_OK;

	if (cs__grow((void **)&p->obs, &p->capobs, p->nobs + cmp->n, sizeof(*p->obs)))
		goto nomem;
	out->v = cs__calloc(cmp->n, sizeof(*out->v));
	if (!out->v)
		goto nomem;
	out->cap = cmp->n;
	for (i = 0; i < cmp->n; i++) {
		struct conj *c = &cmp->v[i], *o = &out->v[i];

		o->items = cs__malloc(sizeof(uint32_t));
		if (!o->items)
			goto nomem;
		o->items[0] = (uint32_t)p->nobs;
		o->n = 1;
		o->cap = 1;
		o->weight = c->weight;
		out->n++;
		out->weight += c->weight;
		p->obs[p->nobs].cmps = c->items;
		p->obs[p->nobs].n = c->n;
		p->nobs++;
		c->items = NULL;
	}
	dnf_free(cmp);
	return CS_OK;
nomem:
	rc = nomem(p);
	dnf_free(cmp);
	dnf_free(out);
	return rc;
}

static int parse_obs_exprs(struct parser *p, struct dnf *out);

/* Qualifiers after an observation expression; returns their flags. */
static int parse_qualifiers(struct parser *p, unsigned *flags)
{
	int rc = CS_OK;

	for (;;) {
		if (tok_is_word(p, "WITHIN")) {
			rc = lex(p);
			if (!rc && ((p->tt != T_INT && p->tt != T_FLOAT) || p->val.data[0] == '-'))
				rc = expected(p, "a positive number of seconds after WITHIN");
			if (!rc)
				rc = lex(p);
			if (!rc)
				rc = eat_word(p, "SECONDS");
			*flags |= CS_STIX_Q_WITHIN;
		} else if (tok_is_word(p, "REPEATS")) {
			rc = lex(p);
			if (!rc && (p->tt != T_INT || p->val.data[0] == '-'))
				rc = expected(p, "a positive integer after REPEATS");
			if (!rc)
				rc = lex(p);
			if (!rc)
				rc = eat_word(p, "TIMES");
			*flags |= CS_STIX_Q_REPEATS;
		} else if (tok_is_word(p, "START")) {
			rc = lex(p);
			if (!rc)
				rc = eat(p, T_TIMESTAMP, "a t'...' timestamp after START");
			if (!rc)
				rc = eat_word(p, "STOP");
			if (!rc)
				rc = eat(p, T_TIMESTAMP, "a t'...' timestamp after STOP");
			*flags |= CS_STIX_Q_STARTSTOP;
		} else {
			return CS_OK;
		}
		if (rc)
			return rc;
	}
}

/* '[' comparisonExpression ']' | '(' observationExpressions ')', then qualifiers. */
static int parse_obs_expr(struct parser *p, struct dnf *out)
{
	struct dnf cmp = {NULL, 0, 0, 0};
	unsigned flags = 0;
	size_t i;
	int rc;

	if (p->tt != T_LBRACK && p->tt != T_LPAREN)
		return expected(p, "'[' or '('");
	rc = enter(p);
	if (rc)
		return rc;
	if (p->tt == T_LBRACK) {
		rc = lex(p);
		if (!rc)
			rc = parse_cmp_or(p, &cmp);
		if (!rc)
			rc = eat(p, T_RBRACK, "']'");
		if (!rc)
			rc = bracket_to_obs(p, &cmp, out);
		dnf_free(&cmp);
	} else {
		rc = lex(p);
		if (!rc)
			rc = parse_obs_exprs(p, out);
		if (!rc)
			rc = eat(p, T_RPAREN, "')'");
	}
	p->depth--;
	if (!rc)
		rc = parse_qualifiers(p, &flags);
	if (rc) {
		dnf_free(out);
		return rc;
	}
	for (i = 0; i < out->n; i++)
		out->v[i].flags |= flags;
	return CS_OK;
}

static int parse_obs_and(struct parser *p, struct dnf *out)
{
	return parse_chain(p, out, parse_obs_expr, "AND", 0, 0);
}

static int parse_obs_or(struct parser *p, struct dnf *out)
{
	return parse_chain(p, out, parse_obs_and, "OR", 1, 0);
}

static int parse_obs_exprs(struct parser *p, struct dnf *out)
{
	return parse_chain(p, out, parse_obs_or, "FOLLOWEDBY", 0, CS_STIX_Q_FOLLOWEDBY);
}

/* Copy the observation-level DNF into the public form. */
static int build(struct parser *p, const struct dnf *d)
{
	struct cs_stix_pattern *pub = &p->pat->pub;
	size_t i, j, k;

	pub->alts = cs__calloc(d->n, sizeof(*pub->alts));
	if (!pub->alts)
		return nomem(p);
	pub->nalts = d->n;
	for (i = 0; i < d->n; i++) {
		const struct conj *c = &d->v[i];
		struct cs_stix_alt *alt = &pub->alts[i];

		alt->qualifiers = c->flags;
		pub->qualifiers |= c->flags;
		alt->obs = cs__calloc(c->n, sizeof(*alt->obs));
		if (!alt->obs)
			return nomem(p);
		alt->nobs = c->n;
		for (j = 0; j < c->n; j++) {
			const struct obs_ent *e = &p->obs[c->items[j]];
			struct cs_stix_obs *o = &alt->obs[j];

			o->cmps = cs__calloc(e->n, sizeof(*o->cmps));
			if (!o->cmps)
				return nomem(p);
			o->ncmps = e->n;
			for (k = 0; k < e->n; k++)
				o->cmps[k] = p->pat->cmps[e->cmps[k]];
		}
	}
	return CS_OK;
}

/*
 * Parse a whole pattern. The text may hold anything, NUL bytes included;
 * it never needs a terminator. The result is freed with
 * cs__stix_pattern_free() and is only ever produced by this function.
 */
int cs__stix_pattern_parse(const char *text, size_t len, struct cs_stix_pattern **out, char *errbuf,
                           size_t errlen, size_t *errpos)
{
	struct parser p;
	struct dnf d = {NULL, 0, 0, 0};
	const char *nul;
	size_t i;
	int rc;

	memset(&p, 0, sizeof(p));
	p.s = text ? text : "";
	p.len = text ? len : 0;
	p.errbuf = errbuf;
	p.errlen = errlen;
	if (errbuf && errlen)
		errbuf[0] = '\0';
	cs__buf_init(&p.val, 0);
	p.pat = cs__calloc(1, sizeof(*p.pat));
	if (!p.pat) {
		rc = fail(&p, CS_ERR_NOMEM, 0, "out of memory");
		goto out;
	}
	nul = memchr(p.s, '\0', p.len);
	if (nul) {
		rc = fail(&p, CS_ERR_PARSE, (size_t)(nul - p.s), "NUL byte in pattern");
		goto out;
	}
	rc = lex(&p);
	if (!rc && p.tt == T_END)
		rc = fail(&p, CS_ERR_PARSE, p.tpos, "empty pattern");
	if (!rc)
		rc = parse_obs_exprs(&p, &d);
	if (!rc && p.tt != T_END)
		rc = expected(&p, "AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern");
	if (!rc)
		rc = build(&p, &d);
out:
	dnf_free(&d);
	for (i = 0; i < p.nobs; i++)
		free(p.obs[i].cmps);
	free(p.obs);
	cs__buf_release(&p.val);
	if (rc) {
		if (errpos)
			*errpos = p.errpos;
		cs__stix_pattern_free(p.pat ? &p.pat->pub : NULL);
		return rc;
	}
	*out = &p.pat->pub;
	return CS_OK;
}

void cs__stix_pattern_free(struct cs_stix_pattern *pat)
{
	struct stix_impl *im = (struct stix_impl *)(void *)pat;
	size_t i, j;

	if (!pat)
		return;
	for (i = 0; i < pat->nalts; i++) {
		for (j = 0; j < pat->alts[i].nobs; j++)
			free(pat->alts[i].obs[j].cmps);
		free(pat->alts[i].obs);
	}
	free(pat->alts);
	for (i = 0; i < im->ncmps; i++)
		cmp_release(&im->cmps[i]);
	free(im->cmps);
	free(im);
}

/* ------------------------------------------------------------------ */
/* Emitter                                                            */

static const char *const op_text[] = {
        [CS_STIX_EQ] = "=",
        [CS_STIX_NE] = "!=",
        [CS_STIX_GT] = ">",
        [CS_STIX_LT] = "<",
        [CS_STIX_GE] = ">=",
        [CS_STIX_LE] = "<=",
        [CS_STIX_IN] = "IN",
        [CS_STIX_LIKE] = "LIKE",
        [CS_STIX_MATCHES] = "MATCHES",
        [CS_STIX_ISSUBSET] = "ISSUBSET",
        [CS_STIX_ISSUPERSET] = "ISSUPERSET",
        [CS_STIX_EXISTS] = "EXISTS",
};

static int put_constant(struct cs_buf *b, enum cs_stix_vtype t, const char *v)
{
	switch (t) {
	case CS_STIX_STRING:
		return put_quoted(b, v, strlen(v));
	case CS_STIX_HEX:
		return cs__buf_printf(b, "h'%s'", v) ? CS_ERR_NOMEM : CS_OK;
	case CS_STIX_BINARY:
		return cs__buf_printf(b, "b'%s'", v) ? CS_ERR_NOMEM : CS_OK;
	case CS_STIX_TIMESTAMP:
		return cs__buf_printf(b, "t'%s'", v) ? CS_ERR_NOMEM : CS_OK;
	default:
		return cs__buf_adds(b, v) ? CS_ERR_NOMEM : CS_OK;
	}
}

/* A comparison as STIX text: "file:size > 5", "EXISTS x:y", "a:b IN ('x', 'y')". */
static int put_cmp(struct cs_buf *b, const struct cs_stix_cmp *c)
{
	size_t i;

	if (c->op == CS_STIX_EXISTS)
		return cs__buf_printf(b, "%sEXISTS %s:%s", c->negated ? "NOT " : "", c->object,
		                      c->path)
		               ? CS_ERR_NOMEM
		               : CS_OK;
	if (cs__buf_printf(b, "%s:%s %s%s ", c->object, c->path, c->negated ? "NOT " : "",
	                   op_text[c->op]))
		return CS_ERR_NOMEM;
	if (c->op != CS_STIX_IN)
		return c->nvalues ? put_constant(b, c->vtype, c->values[0]) : CS_OK;
	if (cs__buf_addc(b, '('))
		return CS_ERR_NOMEM;
	for (i = 0; i < c->nvalues; i++) {
		if ((i && cs__buf_adds(b, ", ")) || put_constant(b, c->vtype, c->values[i]))
			return CS_ERR_NOMEM;
	}
	return cs__buf_addc(b, ')') ? CS_ERR_NOMEM : CS_OK;
}

static int is_obj(const struct cs_stix_cmp *c, const char *object, const char *path)
{
	return strcmp(c->object, object) == 0 && strcmp(c->path, path) == 0;
}

/* The hash kind of a "hashes.<key>" path of file or x509-certificate. */
static enum cs_kind hash_path_kind(const struct cs_stix_cmp *c)
{
	const char *key;

	if (strcmp(c->object, "file") != 0 && strcmp(c->object, "x509-certificate") != 0)
		return CS_KIND_NONE;
	if (strncmp(c->path, "hashes.", 7) != 0)
		return CS_KIND_NONE;
	key = c->path + 7;
	if (strchr(key, '.') || strchr(key, '['))
		return CS_KIND_NONE;
	return cs__hash_key_kind(key, strlen(key));
}

static int is_network_ref(const struct cs_stix_cmp *c)
{
	return is_obj(c, "network-traffic", "dst_ref.value") ||
	       is_obj(c, "network-traffic", "src_ref.value");
}

/* The kind of an address given to ISSUBSET or found in a network-traffic ref. */
static enum cs_kind address_kind(const char *v, int subset, enum cs_kind fallback)
{
	enum cs_kind k = cs__guess_kind(v, strlen(v));

	if (k == CS_KIND_IPV4 || k == CS_KIND_IPV6 || k == CS_KIND_CIDR)
		return k;
	if (k == CS_KIND_DOMAIN && !subset && fallback == CS_KIND_NONE)
		return k;
	if (fallback != CS_KIND_NONE)
		return fallback;
	return strchr(v, ':') ? CS_KIND_IPV6 : CS_KIND_IPV4;
}

/*
 * The kind value `v` of comparison `c` is matched as, or CS_KIND_NONE
 * when the comparison is not one we can match (unknown path, negation,
 * an operator other than =, IN, LIKE, MATCHES and ISSUBSET on addresses,
 * or a constant that is not a string). A value that does not fit the
 * kind is left for the normaliser to reject.
 */
static enum cs_kind value_kind(const struct cs_stix_cmp *c, const char *v)
{
	int eq = c->op == CS_STIX_EQ || c->op == CS_STIX_IN;
	int re = c->op == CS_STIX_LIKE || c->op == CS_STIX_MATCHES;
	int sub = c->op == CS_STIX_ISSUBSET;
	enum cs_kind k;

	if (c->negated || c->vtype != CS_STIX_STRING || c->nvalues == 0)
		return CS_KIND_NONE;
	k = hash_path_kind(c);
	if (k != CS_KIND_NONE)
		return eq ? k : CS_KIND_NONE;
	if (is_obj(c, "file", "name"))
		return eq ? CS_KIND_FILENAME : re ? CS_KIND_FILENAME_REGEX : CS_KIND_NONE;
	if (is_obj(c, "domain-name", "value"))
		return eq ? CS_KIND_DOMAIN : re ? CS_KIND_DOMAIN_REGEX : CS_KIND_NONE;
	if (is_obj(c, "ipv4-addr", "value") || is_obj(c, "ipv6-addr", "value")) {
		k = c->object[3] == '4' ? CS_KIND_IPV4 : CS_KIND_IPV6;
		if (sub)
			return strchr(v, '/') ? CS_KIND_CIDR : k;
		return eq ? k : CS_KIND_NONE;
	}
	if (is_network_ref(c)) {
		if (sub)
			return address_kind(v, 1, CS_KIND_NONE);
		return eq ? address_kind(v, 0, CS_KIND_NONE) : CS_KIND_NONE;
	}
	if (is_obj(c, "url", "value"))
		return eq ? CS_KIND_URL : re ? CS_KIND_URL_REGEX : CS_KIND_NONE;
	if (is_obj(c, "email-addr", "value") || is_obj(c, "email-message", "from_ref.value") ||
	    is_obj(c, "email-message", "sender_ref.value"))
		return eq ? CS_KIND_EMAIL : re ? CS_KIND_EMAIL_REGEX : CS_KIND_NONE;
	if (is_obj(c, "x509-certificate", "serial_number"))
		return eq ? CS_KIND_CERT_SERIAL : CS_KIND_NONE;
	return CS_KIND_NONE;
}

static int cmp_supported(const struct cs_stix_cmp *c)
{
	return c->nvalues > 0 && value_kind(c, c->values[0]) != CS_KIND_NONE;
}

/*
 * SQL LIKE to an anchored regular expression: % is any run, _ any one
 * character, everything else literal. Domain patterns are lower-cased
 * like the domains they are matched against.
 */
static int like_to_regex(const char *s, int lower, struct cs_buf *out)
{
	static const char meta[] = "\\.^$|?*+()[]{}";

	cs__buf_reset(out);
	if (cs__buf_addc(out, '^'))
		return CS_ERR_NOMEM;
	for (; *s; s++) {
		int rc;

		if (*s == '%')
			rc = cs__buf_adds(out, ".*");
		else if (*s == '_')
			rc = cs__buf_addc(out, '.');
		else if (strchr(meta, *s))
			rc = cs__buf_addc(out, '\\') || cs__buf_addc(out, *s);
		else
			rc = cs__buf_addc(out, (char)(lower ? cs__lower((unsigned char)*s) : *s));
		if (rc)
			return CS_ERR_NOMEM;
	}
	return cs__buf_addc(out, '$') ? CS_ERR_NOMEM : CS_OK;
}

/* The value as it is handed to the normaliser: LIKE converted to a regex. */
static int raw_value(const struct cs_stix_cmp *c, const char *v, struct cs_buf *out)
{
	if (c->op == CS_STIX_LIKE)
		return like_to_regex(v, strcmp(c->object, "domain-name") == 0, out);
	cs__buf_reset(out);
	return cs__buf_adds(out, v) ? CS_ERR_NOMEM : CS_OK;
}

/* What a comparison contributes to one compound: a term and its text. */
struct choice {
	enum cs_kind kind;
	char *value; /* normalised value, or the comparison text for CS_KIND_NONE */
	char *text;  /* the comparison in canonical STIX syntax */
};

/* One comparison of an alternative and its choices (several for IN). */
struct slot {
	size_t obs;
	struct choice *ch;
	size_t nch;
};

struct emitter {
	struct cs_reader_ctx *ctx;
	const struct cs_ind_add *base;
	struct cs_buf tmp;
	struct cs_buf norm;
	struct cs_buf text;
	size_t budget;    /* compounds this pattern may still add */
	size_t terms;     /* and terms over all of them */
	unsigned partial; /* qualifiers of the alternatives that added something */
	int added;
};

/* Add one indicator from the base request; CS_ERR_PARSE means rejected. */
static int add_one(struct emitter *e, enum cs_kind kind, const char *value, unsigned qual,
                   const struct cs_term *terms, size_t nterms)
{
	struct cs_ind_add a = *e->base;
	int rc;

	a.kind = kind;
	a.value = value;
	a.value_len = 0;
	a.terms = terms;
	a.nterms = nterms;
	if (qual)
		a.flags |= CS_IND_PARTIAL;
	rc = cs__intel_add(e->ctx, &a);
	if (rc == CS_OK) {
		e->added++;
		e->partial |= qual;
	}
	return rc == CS_ERR_PARSE ? CS_OK : rc;
}

/* An alternative that is one supported comparison: one indicator per value. */
static int emit_simple(struct emitter *e, const struct cs_stix_cmp *c, unsigned qual)
{
	size_t i;
	int rc;

	for (i = 0; i < c->nvalues; i++) {
		rc = raw_value(c, c->values[i], &e->tmp);
		if (!rc)
			rc = add_one(e, value_kind(c, c->values[i]), cs__buf_cstr(&e->tmp), qual,
			             NULL, 0);
		if (rc)
			return rc;
	}
	return CS_OK;
}

static void slots_free(struct slot *s, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < s[i].nch; j++) {
			free(s[i].ch[j].value);
			free(s[i].ch[j].text);
		}
		free(s[i].ch);
	}
	free(s);
}

static const char *canon_op(enum cs_stix_op op)
{
	if (op == CS_STIX_LIKE || op == CS_STIX_MATCHES)
		return "MATCHES";
	if (op == CS_STIX_ISSUBSET)
		return "ISSUBSET";
	return "=";
}

/*
 * The choices of one comparison. Unsupported: one text term. Supported:
 * one term per value that normalises; values that do not are rejected
 * (reported under the normaliser's reason) and left out.
 */
static int make_slot(struct emitter *e, const struct cs_stix_cmp *c, struct slot *s)
{
	size_t i, n = cmp_supported(c) ? c->nvalues : 1;
	int rc;

	s->ch = cs__calloc(n, sizeof(*s->ch));
	if (!s->ch)
		return CS_ERR_NOMEM;
	if (!cmp_supported(c)) {
		cs__buf_reset(&e->text);
		if (put_cmp(&e->text, c))
			return CS_ERR_NOMEM;
		s->ch[0].kind = CS_KIND_NONE;
		s->ch[0].value = cs__strdup(cs__buf_cstr(&e->text));
		s->ch[0].text = cs__strdup(cs__buf_cstr(&e->text));
		s->nch = 1;
		return s->ch[0].value && s->ch[0].text ? CS_OK : CS_ERR_NOMEM;
	}
	for (i = 0; i < c->nvalues; i++) {
		enum cs_kind k = value_kind(c, c->values[i]), kout;
		const char *why = "bad-value";
		struct choice *ch = &s->ch[s->nch];

		if (raw_value(c, c->values[i], &e->tmp))
			return CS_ERR_NOMEM;
		cs__buf_reset(&e->norm);
		rc = cs__normalize(k, e->tmp.data, e->tmp.len, &kout, &e->norm, &why);
		if (rc == CS_ERR_NOMEM)
			return rc;
		if (rc != CS_OK) {
			if (!why)
				why = "bad-value";
			cs__reject(e->ctx, why, e->base->line, e->base->column,
			           "STIX pattern: %s value '%.200s' of %s:%s rejected (%s)",
			           cs_kind_name(k), c->values[i], c->object, c->path, why);
			continue;
		}
		cs__buf_reset(&e->text);
		if (cs__buf_printf(&e->text, "%s:%s %s ", c->object, c->path, canon_op(c->op)) ||
		    put_quoted(&e->text, e->norm.data ? e->norm.data : "", e->norm.len))
			return CS_ERR_NOMEM;
		ch->kind = kout;
		ch->value = cs__strndup(cs__buf_cstr(&e->norm), e->norm.len);
		ch->text = cs__strdup(cs__buf_cstr(&e->text));
		s->nch++;
		if (!ch->value || !ch->text)
			return CS_ERR_NOMEM;
	}
	return CS_OK;
}

static int choice_order(const void *a, const void *b)
{
	const struct choice *x = *(const struct choice *const *)a;
	const struct choice *y = *(const struct choice *const *)b;

	return strcmp(x->text, y->text);
}

/*
 * Add the compound for one pick of choices: comparisons sorted and
 * deduplicated within each observation, observations in pattern order,
 * all joined by AND (what is matched; temporal constraints are not).
 */
static int emit_pick(struct emitter *e, const struct slot *s, size_t ns, const size_t *pick,
                     const struct choice **sorted, struct cs_term *terms, unsigned qual)
{
	size_t i = 0, j, nt = 0;
	unsigned obs = 0;

	cs__buf_reset(&e->text);
	for (; i < ns; obs++) {
		size_t start = i, n;

		while (i < ns && s[i].obs == s[start].obs) {
			sorted[i] = &s[i].ch[pick[i]];
			i++;
		}
		qsort(sorted + start, i - start, sizeof(*sorted), choice_order);
		if (cs__buf_adds(&e->text, start ? " AND [" : "["))
			return CS_ERR_NOMEM;
		for (j = start, n = 0; j < i; j++) {
			if (j > start && strcmp(sorted[j]->text, sorted[j - 1]->text) == 0)
				continue;
			if ((n++ && cs__buf_adds(&e->text, " AND ")) ||
			    cs__buf_adds(&e->text, sorted[j]->text))
				return CS_ERR_NOMEM;
			terms[nt].kind = sorted[j]->kind;
			terms[nt].value = sorted[j]->value;
			terms[nt].obs = obs;
			nt++;
		}
		if (cs__buf_addc(&e->text, ']'))
			return CS_ERR_NOMEM;
	}
	return add_one(e, CS_KIND_COMPOUND, cs__buf_cstr(&e->text), qual, terms, nt);
}

static void reject_complex(struct emitter *e)
{
	cs__reject(e->ctx, "pattern-too-complex", e->base->line, e->base->column,
	           "STIX pattern: IN lists expand to more than %d compounds or %zu terms",
	           CS_STIX_MAX_ALTS, STIX_MAX_WEIGHT);
}

/*
 * Any other alternative with something we can match: one compound per
 * combination of IN values (IN distributes like OR). Caps: at most
 * CS_STIX_MAX_ALTS compounds and STIX_MAX_WEIGHT terms per pattern, and
 * a canonical text no longer than an indicator value may be.
 */
static int emit_compound(struct emitter *e, const struct cs_stix_alt *alt)
{
	struct slot *s = NULL;
	const struct choice **sorted = NULL;
	struct cs_term *terms = NULL;
	size_t *pick = NULL;
	size_t ns = 0, total = 0, combos = 1, textlen = 2, i, j;
	int rc = CS_OK;

	for (i = 0; i < alt->nobs; i++)
		total += alt->obs[i].ncmps;
	s = cs__calloc(total, sizeof(*s));
	sorted = cs__calloc(total, sizeof(*sorted));
	terms = cs__calloc(total, sizeof(*terms));
	pick = cs__calloc(total, sizeof(*pick));
	if (!s || !sorted || !terms || !pick) {
		rc = CS_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < alt->nobs; i++) {
		for (j = 0; j < alt->obs[i].ncmps; j++) {
			size_t longest = 0, k;

			s[ns].obs = i;
			rc = make_slot(e, &alt->obs[i].cmps[j], &s[ns]);
			ns++;
			if (rc)
				goto out;
			if (s[ns - 1].nch == 0)
				goto out; /* every value rejected: nothing can match */
			for (k = 0; k < s[ns - 1].nch; k++)
				if (strlen(s[ns - 1].ch[k].text) > longest)
					longest = strlen(s[ns - 1].ch[k].text);
			textlen += longest + 7;
			if (combos > e->budget / s[ns - 1].nch) {
				reject_complex(e);
				goto out;
			}
			combos *= s[ns - 1].nch;
		}
	}
	if (combos > e->terms / total) {
		reject_complex(e);
		goto out;
	}
	if (textlen > CS_INTEL_MAX_VALUE) {
		cs__reject(e->ctx, "too-long", e->base->line, e->base->column,
		           "STIX pattern: compound of %zu comparisons is longer than %zu bytes",
		           total, (size_t)CS_INTEL_MAX_VALUE);
		goto out;
	}
	e->terms -= combos * total;
	e->budget -= combos;
	for (;;) {
		rc = emit_pick(e, s, ns, pick, sorted, terms, alt->qualifiers);
		if (rc)
			goto out;
		for (i = ns; i > 0; i--) {
			if (++pick[i - 1] < s[i - 1].nch)
				break;
			pick[i - 1] = 0;
		}
		if (i == 0)
			break;
	}
out:
	slots_free(s, ns);
	free(sorted);
	free(terms);
	free(pick);
	return rc;
}

/* Report an alternative with no comparison we can match, naming its paths. */
static int reject_alt(struct emitter *e, const struct cs_stix_alt *alt)
{
	const struct cs_stix_cmp *shown[4];
	size_t i, j, k, n = 0;

	cs__buf_reset(&e->text);
	for (i = 0; i < alt->nobs; i++) {
		for (j = 0; j < alt->obs[i].ncmps; j++) {
			const struct cs_stix_cmp *c = &alt->obs[i].cmps[j];

			for (k = 0; k < n; k++)
				if (shown[k]->op == c->op && shown[k]->negated == c->negated &&
				    strcmp(shown[k]->object, c->object) == 0 &&
				    strcmp(shown[k]->path, c->path) == 0)
					break;
			if (k < n)
				continue;
			if (n == CS_ARRAY_SIZE(shown)) {
				if (cs__buf_adds(&e->text, ", ..."))
					return CS_ERR_NOMEM;
				goto done;
			}
			if (cs__buf_printf(&e->text, "%s%s:%s %s%s", n ? ", " : "", c->object,
			                   c->path, c->negated ? "NOT " : "", op_text[c->op]))
				return CS_ERR_NOMEM;
			shown[n++] = c;
		}
	}
done:
	cs__reject(e->ctx, "unsupported-path", e->base->line, e->base->column,
	           "STIX pattern: no supported comparison in %s", cs__buf_cstr(&e->text));
	return CS_OK;
}

/*
 * An installed product at some versions: one observation whose every
 * comparison is a positive '=' or IN on software's name (required),
 * vendor, x_platform, and version (several through IN) or our
 * x_chainsweep_versions (a version list in our own syntax, ranges
 * included: docs/indicators.md). It becomes one product-version indicator
 * "vendor|name|platform|versions", the form chainsweep's own STIX reports
 * write. Returns 1 when the alternative had that shape (added, or
 * rejected by the indicator checks), 0 when it did not, <0 on error.
 */
static int emit_software(struct emitter *e, const struct cs_stix_alt *alt)
{
	const char *name = NULL, *vendor = "", *platform = "", *listed = NULL;
	const struct cs_stix_cmp *versions = NULL;
	size_t i;
	int rc;

	if (alt->nobs != 1 || alt->qualifiers)
		return 0;
	for (i = 0; i < alt->obs[0].ncmps; i++) {
		const struct cs_stix_cmp *c = &alt->obs[0].cmps[i];
		int one = c->op == CS_STIX_EQ && c->nvalues == 1;

		if (strcmp(c->object, "software") != 0 || c->negated ||
		    c->vtype != CS_STIX_STRING || !(one || c->op == CS_STIX_IN))
			return 0;
		if (strcmp(c->path, "version") == 0 && !versions)
			versions = c;
		else if (!one)
			return 0;
		else if (strcmp(c->path, "name") == 0 && !name)
			name = c->values[0];
		else if (strcmp(c->path, "vendor") == 0 && !*vendor)
			vendor = c->values[0];
		else if (strcmp(c->path, "x_platform") == 0 && !*platform)
			platform = c->values[0];
		else if (strcmp(c->path, "x_chainsweep_versions") == 0 && !listed)
			listed = c->values[0];
		else
			return 0;
	}
	if (!name || !!versions == !!listed)
		return 0;
	cs__buf_reset(&e->tmp);
	rc = cs__buf_printf(&e->tmp, "%s|%s|%s|", vendor, name, platform);
	if (!rc && listed)
		rc = cs__buf_adds(&e->tmp, listed);
	for (i = 0; !rc && versions && i < versions->nvalues; i++)
		rc = cs__buf_printf(&e->tmp, "%s%s", i ? "," : "", versions->values[i]);
	if (!rc)
		rc = add_one(e, CS_KIND_PRODUCT_VERSION, cs__buf_cstr(&e->tmp), 0, NULL, 0);
	return rc ? rc : 1;
}

static int emit_alt(struct emitter *e, const struct cs_stix_alt *alt)
{
	size_t i, j, supported = 0;
	int rc = emit_software(e, alt);

	if (rc)
		return rc < 0 ? rc : CS_OK;

	for (i = 0; i < alt->nobs; i++)
		for (j = 0; j < alt->obs[i].ncmps; j++)
			supported += cmp_supported(&alt->obs[i].cmps[j]);
	if (!supported)
		return reject_alt(e, alt);
	if (alt->nobs == 1 && alt->obs[0].ncmps == 1)
		return emit_simple(e, &alt->obs[0].cmps[0], alt->qualifiers);
	return emit_compound(e, alt);
}

/*
 * Turn every alternative into indicators (see the header and
 * docs/stix-patterns.md). Rejections are reported and counted through
 * ctx and do not stop the others; only running out of memory or a cap of
 * the indicator set ends the walk early.
 */
int cs__stix_pattern_emit(struct cs_reader_ctx *ctx, const struct cs_stix_pattern *p,
                          const struct cs_ind_add *base)
{
	static const struct {
		unsigned flag;
		const char *name;
	} quals[] = {
	        {CS_STIX_Q_WITHIN, "WITHIN"},
	        {CS_STIX_Q_REPEATS, "REPEATS"},
	        {CS_STIX_Q_STARTSTOP, "START/STOP"},
	        {CS_STIX_Q_FOLLOWEDBY, "FOLLOWEDBY"},
	};
	struct emitter e;
	size_t i;
	int rc = CS_OK;

	memset(&e, 0, sizeof(e));
	e.ctx = ctx;
	e.base = base;
	e.budget = CS_STIX_MAX_ALTS;
	e.terms = STIX_MAX_WEIGHT;
	cs__buf_init(&e.tmp, 0);
	cs__buf_init(&e.norm, 0);
	cs__buf_init(&e.text, 0);
	for (i = 0; i < p->nalts && !rc; i++)
		rc = emit_alt(&e, &p->alts[i]);
	if (!rc && e.partial) {
		cs__buf_reset(&e.text);
		for (i = 0; i < CS_ARRAY_SIZE(quals) && !rc; i++)
			if (e.partial & quals[i].flag)
				rc = cs__buf_printf(&e.text, "%s%s", e.text.len ? ", " : "",
				                    quals[i].name);
		if (!rc)
			cs__diag(ctx, CS_SEV_WARN, base->line, base->column,
			         "STIX pattern uses %s: only partly supported, "
			         "matched without the temporal constraint",
			         cs__buf_cstr(&e.text));
	}
	cs__buf_release(&e.tmp);
	cs__buf_release(&e.norm);
	cs__buf_release(&e.text);
	return rc ? rc : e.added;
}

/* ------------------------------------------------------------------ */
/* Fast path                                                          */

#define FAST(obj, path) {"[" obj ":" path " = '", sizeof("[" obj ":" path " = '") - 1, obj, path}
static const struct {
	const char *prefix; /* "[object:path = '" */
	size_t len;
	const char *object;
	const char *path; /* canonical: as parse_path() writes it */
} fast_shapes[] = {
        FAST("file", "hashes.'SHA-256'"),
        FAST("file", "hashes.MD5"),
        FAST("file", "hashes.'SHA-1'"),
        FAST("file", "hashes.'SHA-512'"),
        FAST("file", "name"),
        FAST("domain-name", "value"),
        FAST("ipv4-addr", "value"),
        FAST("ipv6-addr", "value"),
        FAST("url", "value"),
        FAST("email-addr", "value"),
};
#undef FAST

int cs__stix_pattern_fast(const char *text, size_t len, struct cs_stix_fast *out)
{
	size_t i, vlen;
	const char *v;

	if (!text || len < 4 || text[0] != '[' || text[len - 1] != ']' || text[len - 2] != '\'')
		return 0;
	for (i = 0; i < CS_ARRAY_SIZE(fast_shapes); i++) {
		if (len >= fast_shapes[i].len + 2 &&
		    memcmp(text, fast_shapes[i].prefix, fast_shapes[i].len) == 0)
			break;
	}
	if (i == CS_ARRAY_SIZE(fast_shapes))
		return 0;
	v = text + fast_shapes[i].len;
	vlen = len - fast_shapes[i].len - 2;
	/* A quote would end the string early (or be an escape), a backslash
	 * starts an escape, a NUL is refused by the parser. */
	if (memchr(v, '\'', vlen) || memchr(v, '\\', vlen) || memchr(v, '\0', vlen))
		return 0;
	out->object = fast_shapes[i].object;
	out->path = fast_shapes[i].path;
	out->value = v;
	out->value_len = vlen;
	return 1;
}

int cs__stix_pattern_emit_fast(struct cs_reader_ctx *ctx, const struct cs_stix_fast *f,
			       const struct cs_ind_add *base, struct cs_buf *scratch)
{
	struct cs_stix_cmp cmp;
	struct cs_stix_obs obs;
	struct cs_stix_alt alt;
	struct cs_stix_pattern pat;
	char *value;

	cs__buf_reset(scratch);
	if (cs__buf_add(scratch, f->value, f->value_len) || cs__buf_addc(scratch, '\0'))
		return CS_ERR_NOMEM;
	value = scratch->data;
	/* The parsed form of the pattern, on the stack: the same emitter. */
	memset(&cmp, 0, sizeof(cmp));
	cmp.object = (char *)(uintptr_t)f->object;
	cmp.path = (char *)(uintptr_t)f->path;
	cmp.op = CS_STIX_EQ;
	cmp.vtype = CS_STIX_STRING;
	cmp.values = &value;
	cmp.nvalues = 1;
	obs.cmps = &cmp;
	obs.ncmps = 1;
	alt.obs = &obs;
	alt.nobs = 1;
	alt.qualifiers = 0;
	pat.alts = &alt;
	pat.nalts = 1;
	pat.qualifiers = 0;
	return cs__stix_pattern_emit(ctx, &pat, base);
}

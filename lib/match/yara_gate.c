/*
 * What a YARA rule asks of a file before any of its strings matter
 * (docs/yara-variants.md).
 *
 * Most published rules open their condition with a magic number and a
 * size bound: "uint16(0) == 0x5a4d and filesize < 300KB and ...". Such
 * a rule cannot be true of a file that does not start with "MZ" or is
 * 300 KB or more, whatever its strings; yet libyara searches every
 * file for every rule's strings. This file finds those gates in the
 * rule text, so that the sweep can scan a file with a ruleset compiled
 * without the rules the file cannot satisfy (yara_variant.c).
 *
 * The reader is deliberately narrow. It knows comments, text strings,
 * hex strings and regular expressions well enough to find each rule's
 * extent and condition, and it recognises a gate only where it is a
 * top-level conjunct of the condition, spelled exactly as
 *
 *     uint8|uint16|uint32|uint16be|uint32be ( 0 ) == NUMBER
 *     a parenthesised "or" of those
 *     filesize < NUMBER   filesize <= NUMBER   (or the mirrored forms)
 *
 * Anything else is not a gate. A text it does not fully understand is
 * marked incomplete and none of its rules may be left out.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match/match_int.h"

enum tok_type { T_IDENT, T_NUM, T_STR, T_REGEX, T_LP, T_RP, T_LB, T_RB, T_OP, T_VAR, T_OTHER };

struct tok {
	enum tok_type type;
	const char *p;
	size_t len;
	uint64_t num;  /* T_NUM: its value */
	int num_ok;    /* T_NUM: an integer that fits */
	int wild;      /* T_IDENT: followed by '*' */
};

struct lexer {
	const char *s;
	size_t n, i;
	struct tok *t;
	size_t nt, cap;
};

static int ident_start(int c)
{
	return cs__isalpha(c) || c == '_';
}

static int ident_char(int c)
{
	return cs__isalnum(c) || c == '_';
}

/* Skip blanks and comments. Returns 0 at an unterminated comment. */
static int skip_space(struct lexer *lx)
{
	const char *s = lx->s;

	while (lx->i < lx->n) {
		if (cs__isspace((unsigned char)s[lx->i])) {
			lx->i++;
		} else if (s[lx->i] == '/' && lx->i + 1 < lx->n && s[lx->i + 1] == '/') {
			while (lx->i < lx->n && s[lx->i] != '\n')
				lx->i++;
		} else if (s[lx->i] == '/' && lx->i + 1 < lx->n && s[lx->i + 1] == '*') {
			const char *end = NULL;
			size_t k;

			for (k = lx->i + 2; k + 1 < lx->n; k++) {
				if (s[k] == '*' && s[k + 1] == '/') {
					end = s + k;
					break;
				}
			}
			if (!end)
				return 0;
			lx->i = (size_t)(end - s) + 2;
		} else {
			break;
		}
	}
	return 1;
}

/* A text string or regular expression opening at lx->i with `close`;
 * neither spans lines. Regex flags are taken too, as libyara's lexer
 * takes them: an optional 'i' then an optional 's', nothing else, so
 * that "/x/or" is a regex followed by "or". Returns 0 if it does not
 * end. */
static int skip_quoted(struct lexer *lx, char close)
{
	const char *s = lx->s;
	size_t i = lx->i + 1;

	while (i < lx->n && s[i] != close && s[i] != '\n') {
		if (s[i] == '\\' && i + 1 < lx->n && s[i + 1] != '\n')
			i++;
		i++;
	}
	if (i >= lx->n || s[i] != close)
		return 0;
	i++;
	if (close == '/') {
		if (i < lx->n && s[i] == 'i')
			i++;
		if (i < lx->n && s[i] == 's')
			i++;
	}
	lx->i = i;
	return 1;
}

/* A hex string "{ ... }" at lx->i: hex digits, wildcards, jumps,
 * alternatives and comments, never a brace. Returns 0 if it does not
 * end. */
static int skip_hex(struct lexer *lx)
{
	lx->i++;
	for (;;) {
		if (!skip_space(lx) || lx->i >= lx->n)
			return 0;
		if (lx->s[lx->i] == '}') {
			lx->i++;
			return 1;
		}
		if (lx->s[lx->i] == '{' || lx->s[lx->i] == '"')
			return 0;
		lx->i++;
	}
}

static int push(struct lexer *lx, enum tok_type type, size_t start)
{
	struct tok *t;

	if (cs__grow((void **)&lx->t, &lx->cap, lx->nt + 1, sizeof(*lx->t)))
		return CS_ERR_NOMEM;
	t = &lx->t[lx->nt++];
	memset(t, 0, sizeof(*t));
	t->type = type;
	t->p = lx->s + start;
	t->len = lx->i - start;
	return CS_OK;
}

/* A number as YARA writes it: decimal with an optional KB or MB, 0x hex,
 * 0o octal. Sets num_ok only for an integer below 2^62. It ends where
 * libyara's lexer ends it: letters glued on are the next token ("10or"
 * is 10 then "or"), and make the number one we do not read. */
static void number(struct lexer *lx, struct tok *t)
{
	const char *s = lx->s;
	size_t i = lx->i;
	uint64_t v = 0, lim = (uint64_t)1 << 62;
	int base = 10, ok = 1, digits = 0;

	if (s[i] == '0' && i + 2 < lx->n && s[i + 1] == 'x' &&
	    cs__isxdigit((unsigned char)s[i + 2])) {
		base = 16;
		i += 2;
	} else if (s[i] == '0' && i + 2 < lx->n && s[i + 1] == 'o' && s[i + 2] >= '0' &&
	           s[i + 2] <= '7') {
		base = 8;
		i += 2;
	}
	for (; i < lx->n; i++) {
		int c = (unsigned char)s[i], d;

		if (cs__isdigit(c))
			d = c - '0';
		else if (base == 16 && cs__isxdigit(c))
			d = cs__lower(c) - 'a' + 10;
		else
			break;
		if (d >= base)
			break;
		digits++;
		if (v > (lim - (uint64_t)d) / (uint64_t)base)
			ok = 0;
		else
			v = v * (uint64_t)base + (uint64_t)d;
	}
	if (base == 10 && i + 1 < lx->n && s[i + 1] == 'B' && (s[i] == 'K' || s[i] == 'M')) {
		uint64_t mul = s[i] == 'K' ? 1024 : 1024 * 1024;

		if (v > lim / mul)
			ok = 0;
		else
			v *= mul;
		i += 2;
	}
	/* A float ("1.5", taken whole), or letters or digits glued on (left
	 * for the next token): not a number we read. */
	if (base == 10 && i + 1 < lx->n && s[i] == '.' && cs__isdigit((unsigned char)s[i + 1])) {
		ok = 0;
		for (i++; i < lx->n && cs__isdigit((unsigned char)s[i]); i++)
			;
	}
	if (i < lx->n && ident_char((unsigned char)s[i]))
		ok = 0;
	t->num = v;
	t->num_ok = ok && digits > 0;
	lx->i = i;
}

/* Tokens of a condition, from lx->i to the '}' closing the rule (which
 * is consumed). Returns CS_OK, CS_ERR_PARSE for a text not understood, or
 * CS_ERR_NOMEM. */
static int lex_condition(struct lexer *lx)
{
	const char *s = lx->s;
	int regex_ok = 0;
	int rc;

	for (;;) {
		size_t start;
		int c;

		if (!skip_space(lx) || lx->i >= lx->n)
			return CS_ERR_PARSE;
		start = lx->i;
		c = (unsigned char)s[lx->i];
		if (c == '}') {
			lx->i++;
			return CS_OK;
		}
		if (c == '{')
			return CS_ERR_PARSE;
		if (c == '"' || c == '/') {
			if (c == '/' && !regex_ok)
				return CS_ERR_PARSE;
			if (!skip_quoted(lx, (char)c))
				return CS_ERR_PARSE;
			rc = push(lx, c == '"' ? T_STR : T_REGEX, start);
			regex_ok = 0;
			if (rc)
				return rc;
			continue;
		}
		regex_ok = 0;
		if (ident_start(c)) {
			while (lx->i < lx->n && ident_char((unsigned char)s[lx->i]))
				lx->i++;
			if ((rc = push(lx, T_IDENT, start)) != CS_OK)
				return rc;
			if (lx->i < lx->n && s[lx->i] == '*')
				lx->t[lx->nt - 1].wild = 1;
			regex_ok = lx->t[lx->nt - 1].len == 7 && memcmp(s + start, "matches", 7) == 0;
			continue;
		}
		if (cs__isdigit(c)) {
			struct tok tmp;

			number(lx, &tmp);
			if ((rc = push(lx, T_NUM, start)) != CS_OK)
				return rc;
			lx->t[lx->nt - 1].num = tmp.num;
			lx->t[lx->nt - 1].num_ok = tmp.num_ok;
			continue;
		}
		if (c == '$' || c == '#' || c == '@' || c == '!') {
			lx->i++;
			if (c == '!' && lx->i < lx->n && s[lx->i] == '=') {
				lx->i++;
				if ((rc = push(lx, T_OP, start)) != CS_OK)
					return rc;
				continue;
			}
			while (lx->i < lx->n && (ident_char((unsigned char)s[lx->i]) || s[lx->i] == '*'))
				lx->i++;
			if ((rc = push(lx, T_VAR, start)) != CS_OK)
				return rc;
			continue;
		}
		lx->i++;
		switch (c) {
		case '(':
			rc = push(lx, T_LP, start);
			break;
		case ')':
			rc = push(lx, T_RP, start);
			break;
		case '[':
			rc = push(lx, T_LB, start);
			break;
		case ']':
			rc = push(lx, T_RB, start);
			break;
		case '=':
		case '<':
		case '>':
			if (lx->i < lx->n && (s[lx->i] == '=' || (c != '=' && s[lx->i] == c)))
				lx->i++;
			rc = push(lx, T_OP, start);
			break;
		default:
			rc = push(lx, T_OTHER, start);
			break;
		}
		if (rc)
			return rc;
	}
}

static int tok_is(const struct tok *t, enum tok_type type, const char *text)
{
	size_t n = strlen(text);

	return t->type == type && t->len == n && memcmp(t->p, text, n) == 0;
}

/* The index of the token closing the bracket at `a` (same kind), or `b`
 * if it is not closed before `b`. */
static size_t closing(const struct tok *t, size_t a, size_t b)
{
	enum tok_type open = t[a].type, close = open == T_LP ? T_RP : T_RB;
	size_t i, depth = 0;

	for (i = a; i < b; i++) {
		if (t[i].type == open)
			depth++;
		else if (t[i].type == close && --depth == 0)
			return i;
	}
	return b;
}

/* Drop parentheses around the whole of [*a, *b). */
static void strip_parens(const struct tok *t, size_t *a, size_t *b)
{
	while (*b - *a >= 2 && t[*a].type == T_LP && closing(t, *a, *b) == *b - 1) {
		(*a)++;
		(*b)--;
	}
}

/* The first top-level token in [a, b) spelled `word` (NULL: none), or
 * b. *bal, when given, says whether the brackets of [a, b) balance;
 * past a closing bracket too many nothing is top-level. */
static size_t find_top_bal(const struct tok *t, size_t a, size_t b, const char *word, int *bal)
{
	size_t i;
	long depth = 0;

	for (i = a; i < b; i++) {
		if (t[i].type == T_LP || t[i].type == T_LB)
			depth++;
		else if (t[i].type == T_RP || t[i].type == T_RB)
			depth--;
		else if (word && depth == 0 && tok_is(&t[i], T_IDENT, word))
			return i;
		if (depth < 0)
			break;
	}
	if (bal)
		*bal = depth == 0;
	return b;
}

static size_t find_top(const struct tok *t, size_t a, size_t b, const char *word)
{
	return find_top_bal(t, a, b, word, NULL);
}

static int balanced(const struct tok *t, size_t a, size_t b)
{
	int bal;

	find_top_bal(t, a, b, NULL, &bal);
	return bal;
}

/* "uintN(0) == V" or "V == uintN(0)" exactly, in [a, b). */
static int header_test(const struct tok *t, size_t a, size_t b, struct cs_ygate_test *out)
{
	static const struct {
		const char *name;
		unsigned char width, be;
	} fns[] = {{"uint8", 1, 0},   {"uint16", 2, 0},   {"uint32", 4, 0},
	           {"uint16be", 2, 1}, {"uint32be", 4, 1}};
	size_t f, v, k;

	strip_parens(t, &a, &b);
	if (b - a != 6)
		return 0;
	if (t[a].type == T_IDENT && tok_is(&t[a + 4], T_OP, "==")) {
		f = a;
		v = a + 5;
	} else if (t[a + 5].type == T_RP && tok_is(&t[a + 1], T_OP, "==")) {
		f = a + 2;
		v = a;
	} else {
		return 0;
	}
	if (t[v].type != T_NUM || !t[v].num_ok || t[f + 1].type != T_LP ||
	    t[f + 2].type != T_NUM || !t[f + 2].num_ok || t[f + 2].num != 0 ||
	    t[f + 3].type != T_RP)
		return 0;
	for (k = 0; k < CS_ARRAY_SIZE(fns); k++) {
		if (tok_is(&t[f], T_IDENT, fns[k].name)) {
			out->width = fns[k].width;
			out->be = fns[k].be;
			out->value = t[v].num;
			return 1;
		}
	}
	return 0;
}

/* "filesize < N", "filesize <= N", "N > filesize", "N >= filesize"
 * exactly: the file must be smaller than *bound. */
static int size_test(const struct tok *t, size_t a, size_t b, uint64_t *bound)
{
	const struct tok *op, *num;
	int strict;

	strip_parens(t, &a, &b);
	if (b - a != 3)
		return 0;
	op = &t[a + 1];
	if (tok_is(&t[a], T_IDENT, "filesize") && t[a + 2].type == T_NUM) {
		num = &t[a + 2];
		if (tok_is(op, T_OP, "<"))
			strict = 1;
		else if (tok_is(op, T_OP, "<="))
			strict = 0;
		else
			return 0;
	} else if (tok_is(&t[a + 2], T_IDENT, "filesize") && t[a].type == T_NUM) {
		num = &t[a];
		if (tok_is(op, T_OP, ">"))
			strict = 1;
		else if (tok_is(op, T_OP, ">="))
			strict = 0;
		else
			return 0;
	} else {
		return 0;
	}
	if (!num->num_ok)
		return 0;
	*bound = num->num + (strict ? 0 : 1);
	return 1;
}

static int add_test(struct cs_ygate *g, const struct cs_ygate_test *x)
{
	if (cs__grow((void **)&g->tests, &g->tcap, g->ntests + 1, sizeof(*g->tests)))
		return CS_ERR_NOMEM;
	g->tests[g->ntests++] = *x;
	return CS_OK;
}

/* A conjunct that is an "or" of header tests, each maybe in parentheses:
 * its tests are appended to g->tests. Returns 1 if so, 0 if not, or
 * CS_ERR_NOMEM. */
static int header_alternatives(struct cs_ygate *g, const struct tok *t, size_t a, size_t b)
{
	size_t first = g->ntests;
	struct cs_ygate_test x;
	int rc;

	strip_parens(t, &a, &b);
	for (;;) {
		size_t e = find_top(t, a, b, "or");

		if (!header_test(t, a, e, &x)) {
			g->ntests = first;
			return 0;
		}
		if ((rc = add_test(g, &x)) != CS_OK)
			return rc;
		if (e == b)
			return 1;
		a = e + 1;
	}
}

/* The gates of a condition [a, b): its top-level conjuncts that are
 * header tests (the first such conjunct is kept) or size bounds (the
 * smallest is kept). A condition with a top-level "or" has none. */
static int analyse(struct cs_ygate *g, struct cs_yrule *r, const struct tok *t, size_t a,
                   size_t b)
{
	if (!balanced(t, a, b))
		return CS_OK;
	strip_parens(t, &a, &b);
	if (a >= b || find_top(t, a, b, "or") != b)
		return CS_OK;
	for (;;) {
		size_t e = find_top(t, a, b, "and");
		uint64_t bound;

		if (!r->ntests) {
			size_t first = g->ntests;
			int h = header_alternatives(g, t, a, e);

			if (h < 0)
				return h;
			if (h) {
				r->first_test = first;
				r->ntests = g->ntests - first;
			}
		}
		if (size_test(t, a, e, &bound) && bound < r->max_size)
			r->max_size = bound;
		if (e == b)
			return CS_OK;
		a = e + 1;
	}
}

/* Record the identifiers a condition names: they may be rules. */
static int add_refs(struct cs_ygate *g, const struct tok *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (t[i].type != T_IDENT)
			continue;
		if (cs__grow((void **)&g->refs, &g->rcap, g->nrefs + 1, sizeof(*g->refs)))
			return CS_ERR_NOMEM;
		g->refs[g->nrefs].p = t[i].p;
		g->refs[g->nrefs].len = t[i].len;
		g->refs[g->nrefs].wild = t[i].wild;
		g->nrefs++;
	}
	return CS_OK;
}

/* The body of the rule whose '{' is at lx->i, up to and including its
 * '}': meta and strings are skipped, the condition is lexed into lx->t. */
static int rule_body(struct lexer *lx)
{
	const char *s = lx->s;
	int after_eq = 0;

	lx->i++;
	for (;;) {
		int c;

		if (!skip_space(lx) || lx->i >= lx->n)
			return CS_ERR_PARSE;
		c = (unsigned char)s[lx->i];
		if (c == '}')
			return CS_ERR_PARSE; /* a rule without a condition */
		if (c == '"' || (c == '/' && after_eq)) {
			if (!skip_quoted(lx, (char)c))
				return CS_ERR_PARSE;
			after_eq = 0;
			continue;
		}
		if (c == '{') {
			if (!after_eq || !skip_hex(lx))
				return CS_ERR_PARSE;
			after_eq = 0;
			continue;
		}
		if (c == '$') { /* a string's name, which may be "$condition" */
			lx->i++;
			while (lx->i < lx->n && ident_char((unsigned char)s[lx->i]))
				lx->i++;
			after_eq = 0;
			continue;
		}
		if (ident_start(c)) {
			size_t start = lx->i;

			while (lx->i < lx->n && ident_char((unsigned char)s[lx->i]))
				lx->i++;
			after_eq = 0;
			if (lx->i - start == 9 && memcmp(s + start, "condition", 9) == 0) {
				if (!skip_space(lx) || lx->i >= lx->n || s[lx->i] != ':')
					return CS_ERR_PARSE;
				lx->i++;
				lx->nt = 0;
				return lex_condition(lx);
			}
			continue;
		}
		after_eq = c == '=';
		lx->i++;
	}
}

static int word_at(const struct lexer *lx, size_t i, const char *w)
{
	size_t n = strlen(w);

	return i + n <= lx->n && memcmp(lx->s + i, w, n) == 0 &&
	       (i + n == lx->n || !ident_char((unsigned char)lx->s[i + n]));
}

/* The next rule from lx->i: its extent, name, modifiers and gates.
 * Returns 1 with *r filled, 0 at the end of the text, or an error. */
static int next_rule(struct lexer *lx, struct cs_ygate *g, struct cs_yrule *r)
{
	const char *s = lx->s;
	size_t start;
	int rc;

	memset(r, 0, sizeof(*r));
	r->max_size = UINT64_MAX;
	for (;;) {
		if (!skip_space(lx))
			return CS_ERR_PARSE;
		if (lx->i >= lx->n)
			return 0;
		/* An included file's rules and references are not read here. */
		if (word_at(lx, lx->i, "include"))
			return CS_ERR_PARSE;
		if (word_at(lx, lx->i, "import")) {
			lx->i += 6;
			if (!skip_space(lx) || lx->i >= lx->n || s[lx->i] != '"' ||
			    !skip_quoted(lx, '"'))
				return CS_ERR_PARSE;
			continue;
		}
		break;
	}
	start = lx->i;
	for (;;) {
		if (word_at(lx, lx->i, "private")) {
			r->priv = 1;
			lx->i += 7;
		} else if (word_at(lx, lx->i, "global")) {
			r->global = 1;
			lx->i += 6;
		} else {
			break;
		}
		if (!skip_space(lx))
			return CS_ERR_PARSE;
	}
	if (!word_at(lx, lx->i, "rule"))
		return CS_ERR_PARSE;
	lx->i += 4;
	if (!skip_space(lx) || lx->i >= lx->n || !ident_start((unsigned char)s[lx->i]))
		return CS_ERR_PARSE;
	r->name = s + lx->i;
	while (lx->i < lx->n && ident_char((unsigned char)s[lx->i]))
		lx->i++;
	r->name_len = (size_t)(s + lx->i - r->name);
	if (!skip_space(lx) || lx->i >= lx->n)
		return CS_ERR_PARSE;
	if (s[lx->i] == ':') {
		lx->i++;
		for (;;) {
			if (!skip_space(lx) || lx->i >= lx->n)
				return CS_ERR_PARSE;
			if (!ident_start((unsigned char)s[lx->i]))
				break;
			while (lx->i < lx->n && ident_char((unsigned char)s[lx->i]))
				lx->i++;
		}
	}
	if (s[lx->i] != '{')
		return CS_ERR_PARSE;
	if ((rc = rule_body(lx)) != CS_OK)
		return rc;
	r->start = start;
	r->end = lx->i;
	if ((rc = add_refs(g, lx->t, lx->nt)) != CS_OK)
		return rc;
	if ((rc = analyse(g, r, lx->t, 0, lx->nt)) != CS_OK)
		return rc;
	return 1;
}

int cs__ygate_read(struct cs_ygate *g, const char *text, size_t len)
{
	struct lexer lx;
	int rc;

	memset(g, 0, sizeof(*g));
	memset(&lx, 0, sizeof(lx));
	lx.s = text;
	lx.n = len;
	/* libyara reads a text up to its first NUL; we would read on. */
	if (len && memchr(text, '\0', len)) {
		g->complete = 0;
		return CS_OK;
	}
	g->complete = 1;
	for (;;) {
		struct cs_yrule r;

		rc = next_rule(&lx, g, &r);
		if (rc <= 0)
			break;
		if (cs__grow((void **)&g->rules, &g->cap, g->nrules + 1, sizeof(*g->rules))) {
			rc = CS_ERR_NOMEM;
			break;
		}
		g->rules[g->nrules++] = r;
	}
	free(lx.t);
	if (rc == CS_ERR_NOMEM) {
		cs__ygate_release(g);
		return rc;
	}
	if (rc != 0)
		g->complete = 0;
	return CS_OK;
}

void cs__ygate_release(struct cs_ygate *g)
{
	free(g->rules);
	free(g->tests);
	free(g->refs);
	memset(g, 0, sizeof(*g));
}

int cs__ygate_holds(const struct cs_ygate_test *t, const unsigned char *p, size_t len)
{
	uint64_t v = 0;
	unsigned k;

	if (len < t->width)
		return 0; /* undefined in YARA: the conjunct, and so the rule, is false */
	for (k = 0; k < t->width; k++) {
		unsigned shift = t->be ? 8u * (t->width - 1u - k) : 8u * k;

		v |= (uint64_t)p[k] << shift;
	}
	return v == t->value;
}

/*
 * Readers for Loki / signature-base IOC lists (docs/intel-formats-text.md):
 *
 *   loki-hash      "hash;description" or "hash;score;description"
 *   loki-filename  "regex;score[;false-positive regex]"
 *   loki-c2        "domain-or-ip[;score]"
 *
 * All three are line oriented: blank lines are skipped, a line whose
 * first non-blank byte is '#' is a comment, CR before LF is dropped,
 * lines are numbered from 1. In the filename and C2 lists the last
 * comment is the section the following entries belong to (Loki uses it
 * as their description); we keep it as the description and as a label
 * "report:<comment>".
 *
 * Loki chooses the list type from the file name ("hash", "filename",
 * "c2"); the bids here use the name and the shape of the first lines.
 * keywords.txt is not an indicator list we match: no reader bids on it
 * (see read_csv.c for the plain reader declining it too).
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intel/intel_int.h"
#include "intel/normalize_int.h"

#define LOKI_DESC_MAX  4096 /* description and section text kept */
#define LOKI_BID_LINES 64   /* data lines looked at by a bid */

/* One line of the file, without its terminator (LF, CRLF). */
struct loki_line {
	const char *s;
	size_t len;
	uint64_t no;
	size_t off;   /* offset of s in the file */
	int complete; /* ended by a newline */
};

/*
 * Step to the next line of data[0..len) from *pos. Linear: each byte is
 * looked at once by memchr. Returns 0 at the end of the data.
 */
static int next_line(const char *data, size_t len, size_t *pos, uint64_t *no, struct loki_line *l)
{
	const char *nl;
	size_t start = *pos, end;

	if (start >= len)
		return 0;
	nl = memchr(data + start, '\n', len - start);
	end = nl ? (size_t)(nl - data) : len;
	*pos = nl ? end + 1 : len;
	l->s = data + start;
	l->len = end - start;
	l->off = start;
	l->no = ++*no;
	l->complete = nl != NULL;
	if (l->len && l->s[l->len - 1] == '\r')
		l->len--;
	/* A UTF-8 byte order mark before the first line. */
	if (start == 0 && l->len >= 3 && memcmp(l->s, "\xef\xbb\xbf", 3) == 0) {
		l->s += 3;
		l->len -= 3;
		l->off += 3;
	}
	return 1;
}

/* Blank, or a '#' comment (possibly indented). Sets *comment for the
 * latter to the text after the '#'s and blanks. */
static int skip_line(const struct loki_line *l, const char **comment, size_t *clen)
{
	const char *s = l->s;
	size_t n = l->len;

	*comment = NULL;
	*clen = 0;
	cs__trim(&s, &n);
	if (n == 0)
		return 1;
	if (s[0] != '#')
		return 0;
	while (n && (s[0] == '#' || s[0] == ' ' || s[0] == '\t')) {
		s++;
		n--;
	}
	*comment = s;
	*clen = n;
	return 1;
}

static int all_digits(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (!cs__isdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/* A Loki score as a confidence: digits, clamped to 0..100; -1 when the
 * text is not a number. */
static int parse_score(const char *s, size_t n)
{
	size_t i;
	int v = 0;

	cs__trim(&s, &n);
	if (!all_digits(s, n))
		return -1;
	for (i = 0; i < n && v <= 100; i++)
		v = v * 10 + (s[i] - '0');
	return v > 100 ? 100 : v;
}

static int is_hash_text(const char *s, size_t n)
{
	size_t i;

	if (n != 32 && n != 40 && n != 64 && n != 128)
		return 0;
	for (i = 0; i < n; i++) {
		if (!cs__isxdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/* Copy at most LOKI_DESC_MAX bytes of trimmed text into b, not cutting
 * a UTF-8 sequence in two. NUL bytes never reach here (lines holding one
 * are refused). */
static int set_text(struct cs_buf *b, const char *s, size_t n)
{
	cs__buf_reset(b);
	cs__trim(&s, &n);
	if (n > LOKI_DESC_MAX) {
		n = LOKI_DESC_MAX;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return cs__buf_add(b, s, n) ? CS_ERR_NOMEM : CS_OK;
}

/* ------------------------------------------------------------------ regex check */

/*
 * Loki compiles its file name IOCs with Python's `re`. We do not match
 * them here (the matcher compiles them later); we only want to refuse
 * patterns that are broken in any dialect. So the pattern is rewritten
 * into a POSIX extended regex that keeps its structure and drops the
 * Python-only features (inline flags "(?i)", non-capturing and
 * look-around groups, lazy quantifiers, "\d", "\A", "\Z", escapes inside
 * classes), and that is given to regcomp(). Anything regcomp still
 * refuses is an unbalanced group or class, a repeat of nothing, a bad
 * range or a bad brace: broken in Python too.
 */
struct py_rx {
	struct cs_buf out;
	const char *err; /* our own verdict, before regcomp */
};

static int rx_add(struct py_rx *r, const char *s)
{
	return cs__buf_adds(&r->out, s);
}

/* A quantifier "{m}", "{m,}", "{,n}", "{m,n}" at p? Writes its length. */
static int brace_quant(const char *p, size_t n, size_t *qlen)
{
	size_t i = 1, d1 = 0, d2 = 0;
	int comma = 0;

	if (n < 3 || p[0] != '{')
		return 0;
	while (i < n && cs__isdigit((unsigned char)p[i])) {
		i++;
		d1++;
	}
	if (i < n && p[i] == ',') {
		comma = 1;
		i++;
		while (i < n && cs__isdigit((unsigned char)p[i])) {
			i++;
			d2++;
		}
	}
	if (i >= n || p[i] != '}' || (d1 == 0 && d2 == 0) || (!comma && d1 == 0))
		return 0;
	*qlen = i + 1;
	return 1;
}

/* Members of a class that are awkward inside a POSIX bracket expression
 * and get written at fixed places. */
static int awkward(int c)
{
	return c == ']' || c == '-' || c == '[' || c == '^';
}

/*
 * Translate one class "[...]" starting at p[0] == '['. Python escapes in
 * a class become plain members; ranges stay ranges; the POSIX class is
 * written with ']' first, '^' not first, '[' and '-' last, so that no
 * member means anything special. Non-ASCII bytes are left out (a byte
 * range inside a UTF-8 sequence means nothing here). Returns the bytes
 * consumed; sets r->err when the class is not closed or a range runs
 * backwards.
 */
static size_t rx_class(struct py_rx *r, const char *p, size_t n)
{
	unsigned char members[256];
	struct cs_buf body;
	size_t i = 1;
	int neg = 0, first = 1, rc = 0, c, any;

	cs__buf_init(&body, 0);
	memset(members, 0, sizeof(members));
	if (i < n && p[i] == '^') {
		neg = 1;
		i++;
	}
	while (i < n) {
		const char *cls = NULL;
		int lo, hi;

		c = (unsigned char)p[i];
		if (c == ']' && !first)
			break;
		first = 0;
		i++;
		if (c == '\\') {
			if (i >= n)
				break;
			c = (unsigned char)p[i++];
			switch (c) {
			case 'd':
				cls = "[:digit:]";
				break;
			case 'w':
				cls = "[:alnum:]_";
				break;
			case 's':
				cls = "[:space:]";
				break;
			case 'D':
			case 'W':
			case 'S':
				cls = ""; /* cannot be said in a bracket: leave out */
				break;
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'x':
			case 'u':
			case 'U':
			case 'N':
			case '0':
				/* A code point we do not decode: stand in with 'a'. */
				while (i < n && (cs__isalnum((unsigned char)p[i]) || p[i] == '{' ||
				                 p[i] == '}'))
					i++;
				c = 'a';
				break;
			default:
				break;
			}
		}
		if (cls && i < n && p[i] == '-' && i + 1 < n && p[i + 1] != ']') {
			r->err = "bad character range"; /* "[\\w-.]" */
			break;
		}
		if (cls) {
			rc |= cs__buf_adds(&body, cls);
			continue;
		}
		lo = c;
		if (i + 1 < n && p[i] == '-' && p[i + 1] != ']') {
			hi = (unsigned char)p[i + 1];
			i += 2;
			if (hi == '\\' && i < n) {
				hi = (unsigned char)p[i++];
				if (strchr("dwsDWS", hi)) {
					r->err = "bad character range";
					break;
				}
			}
			if (lo >= 0x80 || hi >= 0x80)
				continue;
			if (hi < lo) {
				r->err = "bad character range";
				cs__buf_release(&body);
				return i;
			}
			if (awkward(lo) || awkward(hi)) {
				for (; lo <= hi; lo++)
					members[lo] = 1;
			} else {
				char rg[3] = {(char)lo, '-', (char)hi};

				rc |= cs__buf_add(&body, rg, 3);
			}
			continue;
		}
		if (lo > 0 && lo < 0x80)
			members[lo] = 1;
	}
	if (r->err || i >= n) {
		cs__buf_release(&body);
		if (!r->err)
			r->err = "unterminated character set";
		return i;
	}
	i++; /* the closing ']' */
	rc |= rx_add(r, neg ? "[^" : "[");
	any = members[']'] || body.len;
	if (members[']'])
		rc |= rx_add(r, "]");
	rc |= cs__buf_add(&r->out, body.data ? body.data : "", body.len);
	for (c = 1; c < 0x80; c++) {
		if (members[c] && !awkward(c)) {
			char ch = (char)c;

			rc |= cs__buf_add(&r->out, &ch, 1);
			any = 1;
		}
	}
	if (!any)
		rc |= rx_add(r, "a"); /* keeps '^' from being first, fills "[\\D]" */
	if (members['^'])
		rc |= rx_add(r, "^");
	if (members['['])
		rc |= rx_add(r, "[");
	if (members['-'])
		rc |= rx_add(r, "-");
	rc |= rx_add(r, "]");
	cs__buf_release(&body);
	if (rc)
		r->err = "out of memory";
	return i;
}

/*
 * Translate a Python `re` pattern into r->out (see above). Sets r->err
 * for faults we see ourselves: an unknown "(?" group, a repeat of
 * nothing, a trailing backslash, an unclosed class.
 */
static void rx_translate(struct py_rx *r, const char *p, size_t n)
{
	size_t i = 0, q;
	int can_repeat = 0; /* something precedes that a quantifier may follow */
	int rc = 0;
	size_t depth = 0;

	while (i < n && !r->err && !rc) {
		int c = (unsigned char)p[i];

		if (c == '\\') {
			if (i + 1 >= n) {
				r->err = "trailing backslash";
				return;
			}
			c = (unsigned char)p[i + 1];
			i += 2;
			can_repeat = 1;
			if (c == 'd') {
				rc = rx_add(r, "[0-9]");
			} else if (c == 'D') {
				rc = rx_add(r, "[^0-9]");
			} else if (c == 'A') {
				rc = rx_add(r, "^");
				can_repeat = 0;
			} else if (c == 'Z' || c == 'z') {
				rc = rx_add(r, "$");
				can_repeat = 0;
			} else if (c == 'b' || c == 'B') {
				rc = rx_add(r, c == 'b' ? "\\b" : "\\B");
				can_repeat = 0;
			} else if (strchr("wWsS", c)) {
				char e[3] = {'\\', (char)c, 0};

				rc = rx_add(r, e);
			} else if (cs__isdigit(c) && c != '0') {
				rc = rx_add(r, "a"); /* back reference: any byte */
				while (i < n && cs__isdigit((unsigned char)p[i]))
					i++;
			} else if (cs__isalnum(c)) {
				/* \n \t \x41 \u00e9 \N{...} \0: one character. */
				if (c == 'x' || c == 'u' || c == 'U' || c == 'N' || c == '0')
					while (i < n && (cs__isalnum((unsigned char)p[i]) ||
					                 p[i] == '{' || p[i] == '}'))
						i++;
				rc = rx_add(r, "a");
			} else if (c >= 0x80) {
				rc = rx_add(r, "a");
			} else {
				char e[3] = {'\\', (char)c, 0};

				rc = rx_add(r, e);
			}
			continue;
		}
		if (c == '[') {
			i += rx_class(r, p + i, n - i);
			if (r->err)
				return;
			can_repeat = 1;
			continue;
		}
		if (c == '(') {
			i++;
			can_repeat = 0;
			if (i < n && p[i] == '?') {
				i++;
				if (i < n &&
				    (p[i] == ':' || p[i] == '=' || p[i] == '!' || p[i] == '>')) {
					i++;
				} else if (i + 1 < n && p[i] == '<' &&
				           (p[i + 1] == '=' || p[i + 1] == '!')) {
					i += 2;
				} else if (i < n && (p[i] == 'P' || p[i] == '<')) {
					/* (?P<name>...), (?<name>...), (?P=name) */
					int named_ref = i + 1 < n && p[i] == 'P' && p[i + 1] == '=';
					char close = named_ref ? ')' : '>';

					while (i < n && p[i] != close)
						i++;
					if (i >= n) {
						r->err = "unterminated group name";
						return;
					}
					i++;
					if (named_ref) {
						rc = rx_add(r, "a");
						can_repeat = 1;
						continue;
					}
				} else if (i < n && p[i] == '#') {
					while (i < n && p[i] != ')')
						i++;
					if (i >= n) {
						r->err = "unterminated comment";
						return;
					}
					i++;
					continue;
				} else {
					/* Inline flags "(?aiLmsux)" or scoped "(?i:...)",
					 * "(?-i:...)". */
					size_t f = i;

					while (i < n && strchr("aiLmsux-", p[i]) && p[i])
						i++;
					if (i == f || i >= n || (p[i] != ')' && p[i] != ':')) {
						r->err = "unknown extension (?";
						return;
					}
					if (p[i] == ')') {
						i++;
						continue; /* global flags: nothing to write */
					}
					i++;
				}
			}
			rc = rx_add(r, "(");
			depth++;
			continue;
		}
		if (c == ')') {
			if (depth == 0) {
				r->err = "unbalanced parenthesis";
				return;
			}
			depth--;
			rc = rx_add(r, ")");
			i++;
			can_repeat = 1;
			continue;
		}
		if (c == '|') {
			rc = rx_add(r, "|");
			i++;
			can_repeat = 0;
			continue;
		}
		if (c == '*' || c == '+' || c == '?' ||
		    (c == '{' && brace_quant(p + i, n - i, &q))) {
			size_t ql = c == '{' ? q : 1;

			if (!can_repeat) {
				r->err = "nothing to repeat";
				return;
			}
			if (c == '{' && p[i + 1] == ',') {
				/* Python's "{,n}" is POSIX "{0,n}". */
				rc = rx_add(r, "{0");
				rc |= cs__buf_add(&r->out, p + i + 1, ql - 1);
			} else {
				rc = cs__buf_add(&r->out, p + i, ql);
			}
			i += ql;
			/* A lazy "?" or possessive "+" suffix. */
			if (i < n && (p[i] == '?' || p[i] == '+'))
				i++;
			if (i < n && (p[i] == '*' || p[i] == '+' || p[i] == '?' ||
			              (p[i] == '{' && brace_quant(p + i, n - i, &q)))) {
				r->err = "multiple repeat";
				return;
			}
			can_repeat = 0;
			continue;
		}
		if (c == '{' || c == '}') {
			rc = rx_add(r, c == '{' ? "\\{" : "\\}");
			i++;
			can_repeat = 1;
			continue;
		}
		if (c == 0) {
			r->err = "NUL byte";
			return;
		}
		rc = cs__buf_add(&r->out, p + i, 1);
		i++;
		can_repeat = !(c == '^' || c == '$');
	}
	if (rc)
		r->err = "out of memory";
}

/*
 * Check that a Loki (Python `re`) pattern is usable. Returns CS_OK, or
 * CS_ERR_PARSE with a message in msg, or CS_ERR_NOMEM.
 */
static int check_regex(const char *p, size_t n, char *msg, size_t msglen)
{
	struct py_rx r;
	regex_t re;
	int e;

	cs__buf_init(&r.out, CS_INTEL_MAX_VALUE * 4);
	r.err = NULL;
	rx_translate(&r, p, n);
	if (r.err) {
		int nomem = strcmp(r.err, "out of memory") == 0;

		snprintf(msg, msglen, "%s", r.err);
		cs__buf_release(&r.out);
		return nomem ? CS_ERR_NOMEM : CS_ERR_PARSE;
	}
	e = regcomp(&re, cs__buf_cstr(&r.out), REG_EXTENDED | REG_NOSUB);
	cs__buf_release(&r.out);
	if (e == REG_ESPACE)
		return CS_ERR_NOMEM;
	if (e) {
		regerror(e, &re, msg, msglen);
		return CS_ERR_PARSE;
	}
	regfree(&re);
	return CS_OK;
}

/* ------------------------------------------------------------------ bids */

enum loki_type { LOKI_HASH, LOKI_FILENAME, LOKI_C2 };

/* Does one data line have the shape of this list type? */
static int line_fits(enum loki_type t, const char *s, size_t n)
{
	const char *semi = memchr(s, ';', n);
	size_t f1 = semi ? (size_t)(semi - s) : n;

	switch (t) {
	case LOKI_HASH: {
		/* "SHA256=<hash>" and "md5:<hash>" count too. */
		const char *eq = memchr(s, '=', f1), *colon = memchr(s, ':', f1);
		const char *sep = eq ? eq : colon;

		if (sep && cs__hash_key_kind(s, (size_t)(sep - s)) != CS_KIND_NONE)
			return semi && is_hash_text(sep + 1, f1 - (size_t)(sep + 1 - s));
		return semi && is_hash_text(s, f1);
	}
	case LOKI_FILENAME: {
		const char *rest, *semi2;
		size_t rn;

		if (!semi || f1 == 0)
			return 0;
		rest = semi + 1;
		rn = n - f1 - 1;
		semi2 = memchr(rest, ';', rn);
		if (semi2)
			rn = (size_t)(semi2 - rest);
		cs__trim(&rest, &rn);
		return all_digits(rest, rn) && rn <= 3;
	}
	case LOKI_C2: {
		const char *v = s;
		size_t vn = f1;

		cs__trim(&v, &vn);
		if (semi && parse_score(semi + 1, n - f1 - 1) < 0)
			return 0;
		return vn && cs__guess_kind(v, vn) != CS_KIND_NONE;
	}
	}
	return 0;
}

/*
 * Bid: the name as Loki reads it, and whether the first data lines have
 * the shape of the list. The name and the shape together are certain;
 * the shape alone is strong for hashes and regexes with scores, weak for
 * C2 lists (a plain list of domains looks the same); the name alone wins
 * only a file with no data lines to judge by.
 */
static int loki_bid(enum loki_type t, const char *data, size_t len, const char *path)
{
	static const char *const words[] = {"hash", "filename", "c2"};
	static const int shape_only[] = {70, 60, 20};
	struct loki_line l;
	size_t pos = 0;
	uint64_t no = 0;
	unsigned fit = 0, total = 0;
	int named = cs__name_has(path, words[t]), shaped;

	if (cs__name_has(path, "keyword"))
		return 0;
	if (memchr(data, '\0', len))
		return 0;
	while (total < LOKI_BID_LINES && next_line(data, len, &pos, &no, &l)) {
		const char *c;
		size_t cl;

		if (skip_line(&l, &c, &cl))
			continue;
		/* The sniff window may cut the last line short. */
		if (!l.complete && total > 0)
			break;
		total++;
		if (line_fits(t, l.s, l.len))
			fit++;
	}
	/* Named by Loki's rule, half the lines need to fit; unnamed, nearly
	 * all. */
	if (named && total > 0 && fit * 2 >= total)
		return 95;
	shaped = total > 0 && fit * 10 >= total * 9;
	if (shaped)
		return shape_only[t];
	/* Named, with comments only: ours, though it yields nothing. Named,
	 * with lines of another shape: not ours (a Sigma rule about "c2"). */
	if (named && total == 0)
		return 40;
	return 0;
}

static int bid_hash(const char *data, size_t len, const char *path)
{
	return loki_bid(LOKI_HASH, data, len, path);
}

static int bid_filename(const char *data, size_t len, const char *path)
{
	return loki_bid(LOKI_FILENAME, data, len, path);
}

static int bid_c2(const char *data, size_t len, const char *path)
{
	return loki_bid(LOKI_C2, data, len, path);
}

/* ------------------------------------------------------------------ reading */

struct loki_state {
	struct cs_reader_ctx *ctx;
	struct cs_buf section; /* last comment text */
	struct cs_buf label;   /* "report:<section>" */
	struct cs_buf desc;
	struct cs_buf fp; /* "fp-regex:<regex>" */
};

static void state_init(struct loki_state *st, struct cs_reader_ctx *ctx)
{
	st->ctx = ctx;
	cs__buf_init(&st->section, 0);
	cs__buf_init(&st->label, 0);
	cs__buf_init(&st->desc, 0);
	cs__buf_init(&st->fp, 0);
}

static void state_release(struct loki_state *st)
{
	cs__buf_release(&st->section);
	cs__buf_release(&st->label);
	cs__buf_release(&st->desc);
	cs__buf_release(&st->fp);
}

/* A new section comment: remember it and its label. */
static int set_section(struct loki_state *st, const char *c, size_t cl)
{
	if (cl == 0)
		return CS_OK; /* a bare "#" keeps the section */
	if (set_text(&st->section, c, cl))
		return CS_ERR_NOMEM;
	cs__buf_reset(&st->label);
	if (cs__buf_adds(&st->label, "report:") ||
	    cs__buf_add(&st->label, st->section.data, st->section.len))
		return CS_ERR_NOMEM;
	return CS_OK;
}

/* Hash lines: "hash;description" or "hash;score;description". The hash
 * field may hold several hashes separated by ',' or blanks. */
static int read_hash_line(struct loki_state *st, const struct loki_line *l)
{
	struct cs_reader_ctx *ctx = st->ctx;
	const char *semi = memchr(l->s, ';', l->len);
	size_t vlen = semi ? (size_t)(semi - l->s) : l->len, i = 0;
	int conf = CS_CONF_UNKNOWN, found = 0;
	int rc = CS_OK;

	cs__buf_reset(&st->desc);
	if (semi) {
		const char *rest = semi + 1, *semi2;
		size_t rn = l->len - vlen - 1;

		semi2 = memchr(rest, ';', rn);
		if (semi2 && parse_score(rest, (size_t)(semi2 - rest)) >= 0) {
			conf = parse_score(rest, (size_t)(semi2 - rest));
			rn -= (size_t)(semi2 + 1 - rest);
			rest = semi2 + 1;
		}
		if (set_text(&st->desc, rest, rn))
			return CS_ERR_NOMEM;
	}
	if (vlen > CS_INTEL_MAX_VALUE) {
		cs__reject(ctx, "too-long", l->no, 1, "hash field of %zu bytes", vlen);
		return CS_OK;
	}
	while (i < vlen && rc != CS_ERR_NOMEM) {
		struct cs_ind_add a;
		size_t start;

		while (i < vlen && (cs__isspace((unsigned char)l->s[i]) || l->s[i] == ','))
			i++;
		start = i;
		while (i < vlen && !cs__isspace((unsigned char)l->s[i]) && l->s[i] != ',')
			i++;
		if (i == start)
			break;
		found = 1;
		cs__ind_add_init(&a);
		a.kind = CS_KIND_HASH_AUTO;
		a.value = l->s + start;
		a.value_len = i - start;
		a.confidence = conf;
		a.line = l->no;
		a.column = start + 1;
		a.description = st->desc.len ? st->desc.data : NULL;
		rc = cs__intel_add(ctx, &a);
	}
	if (!found)
		cs__reject(ctx, "empty", l->no, 1, "no hash before ';'");
	return rc == CS_ERR_NOMEM ? rc : CS_OK;
}

/* File name lines: "regex;score[;false-positive regex]". */
static int read_filename_line(struct loki_state *st, const struct loki_line *l)
{
	struct cs_reader_ctx *ctx = st->ctx;
	const char *semi = memchr(l->s, ';', l->len), *fp = NULL;
	size_t rlen = semi ? (size_t)(semi - l->s) : l->len, fplen = 0;
	const char *labels[2];
	size_t nlabels = 0;
	struct cs_ind_add a;
	char msg[256];
	int conf = CS_CONF_UNKNOWN, rc;

	if (semi) {
		const char *sc = semi + 1, *semi2;
		size_t sn = l->len - rlen - 1;

		semi2 = memchr(sc, ';', sn);
		if (semi2) {
			fp = semi2 + 1;
			fplen = sn - (size_t)(fp - sc);
			sn = (size_t)(semi2 - sc);
			cs__trim(&fp, &fplen);
		}
		conf = parse_score(sc, sn);
		if (conf < 0) {
			cs__reject(ctx, "bad-score", l->no, rlen + 2,
			           "score '%.*s' is not a number", (int)(sn > 40 ? 40 : sn), sc);
			return CS_OK;
		}
	}
	/* Trailing blanks are not part of a Loki regex (it strips them). */
	while (rlen && (l->s[rlen - 1] == ' ' || l->s[rlen - 1] == '\t'))
		rlen--;
	if (rlen == 0) {
		cs__reject(ctx, "empty", l->no, 1, "empty regex");
		return CS_OK;
	}
	if (rlen > CS_INTEL_MAX_VALUE) {
		cs__reject(ctx, "too-long", l->no, 1, "regex of %zu bytes", rlen);
		return CS_OK;
	}
	rc = check_regex(l->s, rlen, msg, sizeof(msg));
	if (rc == CS_ERR_NOMEM)
		return rc;
	if (rc) {
		cs__reject(ctx, "bad-regex", l->no, 1, "regex '%.*s%s' does not compile: %s",
		           (int)(rlen > 80 ? 80 : rlen), l->s, rlen > 80 ? "..." : "", msg);
		return CS_OK;
	}
	if (st->label.len)
		labels[nlabels++] = cs__buf_cstr(&st->label);
	if (fplen) {
		if (fplen > CS_INTEL_MAX_VALUE) {
			cs__diag(ctx, CS_SEV_WARN, l->no, (uint64_t)(fp - l->s) + 1,
			         "false-positive regex of %zu bytes dropped", fplen);
		} else {
			rc = check_regex(fp, fplen, msg, sizeof(msg));
			if (rc == CS_ERR_NOMEM)
				return rc;
			if (rc) {
				cs__diag(ctx, CS_SEV_WARN, l->no, (uint64_t)(fp - l->s) + 1,
				         "false-positive regex does not compile (%s); entry kept "
				         "without it",
				         msg);
			} else {
				cs__buf_reset(&st->fp);
				if (cs__buf_adds(&st->fp, "fp-regex:") ||
				    cs__buf_add(&st->fp, fp, fplen))
					return CS_ERR_NOMEM;
				labels[nlabels++] = cs__buf_cstr(&st->fp);
			}
		}
	}
	cs__ind_add_init(&a);
	a.kind = CS_KIND_PATH_REGEX;
	a.value = l->s;
	a.value_len = rlen;
	a.confidence = conf;
	a.line = l->no;
	a.column = 1;
	a.labels = labels;
	a.nlabels = nlabels;
	a.description = st->section.len ? st->section.data : NULL;
	rc = cs__intel_add(ctx, &a);
	return rc == CS_ERR_NOMEM ? rc : CS_OK;
}

/* C2 lines: a domain or an address, optionally ";score". */
static int read_c2_line(struct loki_state *st, const struct loki_line *l)
{
	struct cs_reader_ctx *ctx = st->ctx;
	const char *semi = memchr(l->s, ';', l->len), *v = l->s;
	size_t vlen = semi ? (size_t)(semi - l->s) : l->len;
	const char *labels[1];
	struct cs_ind_add a;
	enum cs_kind kind;
	int conf = CS_CONF_UNKNOWN, rc;

	if (semi) {
		conf = parse_score(semi + 1, l->len - vlen - 1);
		if (conf < 0) {
			cs__reject(ctx, "bad-score", l->no, vlen + 2, "score is not a number");
			return CS_OK;
		}
	}
	if (vlen > CS_INTEL_MAX_VALUE) {
		cs__reject(ctx, "too-long", l->no, 1, "value of %zu bytes", vlen);
		return CS_OK;
	}
	cs__trim(&v, &vlen);
	kind = cs__guess_kind(v, vlen);
	if (kind == CS_KIND_NONE) {
		cs__reject(ctx, "unknown-kind", l->no, (uint64_t)(v - l->s) + 1,
		           "'%.*s%s' is neither a domain nor an address",
		           (int)(vlen > 80 ? 80 : vlen), v, vlen > 80 ? "..." : "");
		return CS_OK;
	}
	cs__ind_add_init(&a);
	a.kind = kind;
	a.value = v;
	a.value_len = vlen;
	a.confidence = conf;
	a.line = l->no;
	a.column = (uint64_t)(v - l->s) + 1;
	if (st->label.len) {
		labels[0] = cs__buf_cstr(&st->label);
		a.labels = labels;
		a.nlabels = 1;
	}
	a.description = st->section.len ? st->section.data : NULL;
	rc = cs__intel_add(ctx, &a);
	return rc == CS_ERR_NOMEM ? rc : CS_OK;
}

/*
 * Walk the lines of the file and hand data lines to the type's line
 * reader. A line holding a NUL byte is refused whole ("nul-byte"): no
 * entry of these lists contains one. Returns CS_OK unless memory ran out.
 */
static int loki_read(enum loki_type t, struct cs_reader_ctx *ctx)
{
	struct loki_state st;
	struct loki_line l;
	size_t pos = 0;
	uint64_t no = 0;
	int rc = CS_OK;

	state_init(&st, ctx);
	while (rc == CS_OK && next_line(ctx->data, ctx->len, &pos, &no, &l)) {
		const char *c, *nul;
		size_t cl;

		nul = memchr(l.s, '\0', l.len);
		if (nul) {
			cs__reject(ctx, "nul-byte", l.no, (uint64_t)(nul - l.s) + 1,
			           "line holds a NUL byte");
			continue;
		}
		if (skip_line(&l, &c, &cl)) {
			if (c && t != LOKI_HASH)
				rc = set_section(&st, c, cl);
			continue;
		}
		switch (t) {
		case LOKI_HASH:
			rc = read_hash_line(&st, &l);
			break;
		case LOKI_FILENAME:
			rc = read_filename_line(&st, &l);
			break;
		case LOKI_C2:
			rc = read_c2_line(&st, &l);
			break;
		}
	}
	state_release(&st);
	return rc;
}

static int read_hash(struct cs_reader_ctx *ctx)
{
	return loki_read(LOKI_HASH, ctx);
}

static int read_filename(struct cs_reader_ctx *ctx)
{
	return loki_read(LOKI_FILENAME, ctx);
}

static int read_c2(struct cs_reader_ctx *ctx)
{
	return loki_read(LOKI_C2, ctx);
}

const struct cs_reader cs__reader_loki_hash = {"loki-hash", bid_hash, read_hash};
const struct cs_reader cs__reader_loki_filename = {"loki-filename", bid_filename, read_filename};
const struct cs_reader cs__reader_loki_c2 = {"loki-c2", bid_c2, read_c2};

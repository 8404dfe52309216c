/*
 * Streaming walk over a JSON document in memory, element parsing with
 * jansson, and the label helpers shared by the STIX and MISP readers.
 * See json_stream_int.h for the model.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intel/json_stream_int.h"

/* Longest label text kept; longer names (an event "info" of a page) are
 * cut at a UTF-8 character boundary. */
#define CS_LABEL_MAX 512

static int scan_fail(struct cs_json_scan *s, int err, size_t off, const char *fmt, ...)
        CS_PRINTF(4, 5);

/* Record the first fault; later ones are consequences and are dropped. */
static int scan_fail(struct cs_json_scan *s, int err, size_t off, const char *fmt, ...)
{
	va_list ap;

	if (s->err)
		return s->err;
	s->err = err;
	s->err_off = off > s->len ? s->len : off;
	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

static int scan_eof(struct cs_json_scan *s)
{
	return scan_fail(s, CS_ERR_PARSE, s->len, "unexpected end of input (truncated file?)");
}

void cs__json_scan_init(struct cs_json_scan *s, const char *data, size_t len)
{
	memset(s, 0, sizeof(*s));
	s->data = data;
	s->len = len;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		s->pos = 3;
}

int cs__json_sniff_start(const char *data, size_t len)
{
	size_t i = 0;

	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len && cs__isspace((unsigned char)data[i]))
		i++;
	return i < len && (data[i] == '{' || data[i] == '[');
}

int cs__json_sniff_key(const char *data, size_t len, const char *key, const char *value)
{
	size_t kl = strlen(key), vl = value ? strlen(value) : 0;
	const char *p = data, *end = data + len;

	while ((p = memmem(p, (size_t)(end - p), key, kl))) {
		const char *q = p + kl;

		while (q < end && cs__isspace((unsigned char)*q))
			q++;
		if (q < end && *q == ':') {
			if (!value)
				return 1;
			q++;
			while (q < end && cs__isspace((unsigned char)*q))
				q++;
			if ((size_t)(end - q) >= vl && memcmp(q, value, vl) == 0)
				return 1;
		}
		p += kl;
	}
	return 0;
}

int cs__json_peek(struct cs_json_scan *s)
{
	const char *d = s->data;
	size_t p = s->pos;

	if (s->err)
		return -1;
	while (p < s->len && (d[p] == ' ' || d[p] == '\n' || d[p] == '\r' || d[p] == '\t'))
		p++;
	s->pos = p;
	return p < s->len ? (unsigned char)d[p] : -1;
}

/*
 * Skip the string whose opening quote is at `p`; *end receives the offset
 * after the closing quote. A quote ends the string when an even number of
 * backslashes precedes it. Escapes and control characters are not checked
 * here: jansson checks them when the element is parsed.
 */
static int skip_string(struct cs_json_scan *s, size_t p, size_t *end)
{
	const char *d = s->data;
	size_t q = p + 1;

	for (;;) {
		const char *hit = memchr(d + q, '"', s->len - q);
		size_t h, bs = 0;

		if (!hit)
			return scan_eof(s);
		h = (size_t)(hit - d);
		while (h - bs > p + 1 && d[h - bs - 1] == '\\')
			bs++;
		if (bs % 2 == 0) {
			*end = h + 1;
			return CS_OK;
		}
		q = h + 1;
	}
}

static int is_delim(char c)
{
	return c == ',' || c == ':' || c == '[' || c == ']' || c == '{' || c == '}' || c == '"' ||
	       c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/*
 * Skip the array or object opening at `p`, following strings and nesting
 * only. The kind of each open bracket is kept in a bit stack so that a
 * mismatched close is caught; nesting beyond CS_JSON_MAX_DEPTH (counted
 * from the top of the document) is refused before it costs anything.
 */
static int skip_container(struct cs_json_scan *s, size_t p, size_t *end)
{
	unsigned char objs[CS_JSON_MAX_DEPTH / 8 + 1];
	const char *d = s->data;
	unsigned n = 0;
	size_t i;
	int rc;

	for (i = p; i < s->len; i++) {
		switch (d[i]) {
		case '"':
			rc = skip_string(s, i, end);
			if (rc)
				return rc;
			i = *end - 1;
			break;
		case '[':
		case '{':
			if (s->depth + n + 1 > CS_JSON_MAX_DEPTH)
				return scan_fail(s, CS_ERR_TOOBIG, i, "nesting deeper than %d",
				                 CS_JSON_MAX_DEPTH);
			if (d[i] == '{')
				objs[n / 8] |= (unsigned char)(1u << (n % 8));
			else
				objs[n / 8] &= (unsigned char)~(1u << (n % 8));
			n++;
			break;
		case ']':
		case '}': {
			char want = (objs[(n - 1) / 8] >> ((n - 1) % 8)) & 1 ? '}' : ']';

			if (d[i] != want)
				return scan_fail(s, CS_ERR_PARSE, i, "expected '%c' but found '%c'",
				                 want, d[i]);
			if (--n == 0) {
				*end = i + 1;
				return CS_OK;
			}
			break;
		}
		default:
			break;
		}
	}
	return scan_eof(s);
}

int cs__json_skip(struct cs_json_scan *s, struct cs_json_span *out)
{
	size_t p, end;
	int c, rc;

	c = cs__json_peek(s);
	if (s->err)
		return s->err;
	if (c < 0)
		return scan_eof(s);
	p = s->pos;
	if (c == '"') {
		rc = skip_string(s, p, &end);
	} else if (c == '[' || c == '{') {
		rc = skip_container(s, p, &end);
	} else {
		/* A number or literal: its text is checked by jansson when it is
		 * parsed, or never when nobody wants it. */
		end = p;
		while (end < s->len && !is_delim(s->data[end]))
			end++;
		rc = end == p ? scan_fail(s, CS_ERR_PARSE, p, "expected a value but found '%c'", c)
		              : CS_OK;
	}
	if (rc)
		return rc;
	if (out) {
		out->off = p;
		out->len = end - p;
	}
	s->pos = end;
	return CS_OK;
}

int cs__json_enter(struct cs_json_scan *s, struct cs_json_level *lv)
{
	int c = cs__json_peek(s);

	if (s->err)
		return s->err;
	if (c < 0)
		return scan_eof(s);
	if (c != '[' && c != '{')
		return scan_fail(s, CS_ERR_PARSE, s->pos, "expected '[' or '{'");
	if (s->depth + 1 > CS_JSON_MAX_DEPTH)
		return scan_fail(s, CS_ERR_TOOBIG, s->pos, "nesting deeper than %d",
		                 CS_JSON_MAX_DEPTH);
	lv->close = c == '[' ? ']' : '}';
	lv->n = 0;
	s->pos++;
	s->depth++;
	return CS_OK;
}

int cs__json_next(struct cs_json_scan *s, struct cs_json_level *lv, struct cs_json_span *key)
{
	struct cs_json_span dummy;
	size_t end;
	int c, rc;

	c = cs__json_peek(s);
	if (s->err)
		return s->err;
	if (c < 0)
		return scan_eof(s);
	if (c == lv->close) {
		s->pos++;
		s->depth--;
		return 0;
	}
	if (lv->n) {
		if (c != ',')
			return scan_fail(s, CS_ERR_PARSE, s->pos, "expected ',' or '%c'",
			                 lv->close);
		s->pos++;
		c = cs__json_peek(s);
		if (c < 0)
			return scan_eof(s);
		if (c == lv->close)
			return scan_fail(s, CS_ERR_PARSE, s->pos, "expected a value after ','");
	}
	if (lv->close == '}') {
		if (!key)
			key = &dummy;
		if (c != '"')
			return scan_fail(s, CS_ERR_PARSE, s->pos, "expected a member name");
		rc = skip_string(s, s->pos, &end);
		if (rc)
			return rc;
		key->off = s->pos;
		key->len = end - s->pos;
		s->pos = end;
		c = cs__json_peek(s);
		if (c < 0)
			return scan_eof(s);
		if (c != ':')
			return scan_fail(s, CS_ERR_PARSE, s->pos, "expected ':' after member name");
		s->pos++;
		if (cs__json_peek(s) < 0)
			return scan_eof(s);
	}
	lv->n++;
	return 1;
}

int cs__json_collect(struct cs_json_scan *s, struct cs_json_spans *out)
{
	return cs__json_collect_checked(s, out, NULL, 0, NULL, NULL);
}

int cs__json_collect_checked(struct cs_json_scan *s, struct cs_json_spans *out,
                             struct cs_json_field *f, size_t nf, cs_json_element_fn fn, void *ud)
{
	struct cs_json_level lv;
	struct cs_json_span sp;
	int c, rc, valid = 0;

	c = cs__json_peek(s);
	if (s->err)
		return s->err;
	if (c != '[')
		return c < 0 ? scan_eof(s)
		             : scan_fail(s, CS_ERR_PARSE, s->pos, "expected an array");
	rc = cs__json_enter(s, &lv);
	while (!rc && (rc = cs__json_next(s, &lv, NULL)) == 1) {
		if (fn) {
			valid = cs__json_skip_checked(s, &sp, f, nf);
			rc = valid < 0 ? valid : CS_OK;
		} else {
			rc = cs__json_skip(s, &sp);
		}
		if (rc)
			break;
		if (out->n >= CS_JSON_MAX_ELEMENTS)
			return scan_fail(s, CS_ERR_TOOBIG, sp.off,
			                 "more than %zu elements in one array",
			                 (size_t)CS_JSON_MAX_ELEMENTS);
		if (cs__grow((void **)&out->v, &out->cap, out->n + 1, sizeof(*out->v)))
			return scan_fail(s, CS_ERR_NOMEM, sp.off, "out of memory");
		out->v[out->n++] = sp;
		if (fn && (rc = fn(ud, out->n - 1, valid, f)))
			return rc;
	}
	return rc < 0 ? rc : CS_OK;
}

void cs__json_spans_release(struct cs_json_spans *sp)
{
	free(sp->v);
	sp->v = NULL;
	sp->n = sp->cap = 0;
}

int cs__json_str_eq(const char *data, struct cs_json_span str, const char *lit)
{
	const char *p = data + str.off + 1;
	size_t n, ll = strlen(lit);
	json_t *v;
	int eq;

	if (str.len < 2 || data[str.off] != '"')
		return 0;
	n = str.len - 2;
	if (!memchr(p, '\\', n))
		return n == ll && memcmp(p, lit, n) == 0;
	/* Escaped: rare enough to let jansson decode it. */
	v = json_loadb(data + str.off, str.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	eq = json_is_string(v) && json_string_length(v) == ll &&
	     memcmp(json_string_value(v), lit, ll) == 0;
	json_decref(v);
	return eq;
}

int cs__json_member(const char *data, struct cs_json_span obj, const char *key,
                    struct cs_json_span *val)
{
	struct cs_json_scan s;
	struct cs_json_level lv;
	struct cs_json_span k, v;
	int rc, found = 0;

	if (!obj.len || data[obj.off] != '{')
		return 0;
	memset(&s, 0, sizeof(s));
	s.data = data;
	s.len = obj.off + obj.len;
	s.pos = obj.off;
	rc = cs__json_enter(&s, &lv);
	while (!rc && (rc = cs__json_next(&s, &lv, &k)) == 1) {
		rc = cs__json_skip(&s, &v);
		if (!rc && cs__json_str_eq(data, k, key)) {
			*val = v;
			found = 1;
		}
	}
	return rc < 0 ? rc : found;
}

static int too_big(struct cs_reader_ctx *ctx, struct cs_json_span sp, const char *what)
{
	uint64_t line, col;

	if (sp.len <= CS_JSON_MAX_ELEMENT)
		return 0;
	cs__offset_to_linecol(ctx, sp.off, &line, &col);
	cs__reject(ctx, "too-big", line, col, "%s of %zu bytes exceeds the %zu-byte cap", what,
	           sp.len, (size_t)CS_JSON_MAX_ELEMENT);
	return 1;
}

/* Parse with jansson; on failure reject with jansson's message at the
 * position it gives, made absolute. */
static json_t *load(struct cs_reader_ctx *ctx, struct cs_json_span sp, const char *what)
{
	json_error_t jerr;
	uint64_t line, col;
	json_t *v;
	size_t at;

	v = json_loadb(ctx->data + sp.off, sp.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (v)
		return v;
	at = sp.off + (jerr.position > 0 ? (size_t)jerr.position : 0);
	if (at > sp.off + sp.len)
		at = sp.off + sp.len;
	cs__offset_to_linecol(ctx, at, &line, &col);
	cs__reject(ctx, "json-syntax", line, col, "%s: %s", what, jerr.text);
	return NULL;
}

json_t *cs__json_load(struct cs_reader_ctx *ctx, struct cs_json_span sp, const char *what)
{
	if (too_big(ctx, sp, what))
		return NULL;
	return load(ctx, sp, what);
}

/* ------------------------------------------------------------ fast path */

static int hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		int c = (unsigned char)s[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v * 16 + (unsigned)d;
	}
	*out = v;
	return 0;
}

/* Length of the well-formed UTF-8 sequence at s (n bytes available), or
 * 0: no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c < 0xC2)
		return 0;
	if (c < 0xE0)
		return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c < 0xF0) {
		if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
			return 0;
		if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F))
			return 0;
		return 3;
	}
	if (c < 0xF5) {
		if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
		    (s[3] & 0xC0) != 0x80)
			return 0;
		if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F))
			return 0;
		return 4;
	}
	return 0;
}

struct vstate {
	const char *d;
	size_t end;
	size_t err_off;
	const char *msg;
	int escaped; /* set by v_string() when it met a backslash */
};

static int vfail(struct vstate *v, size_t off, const char *msg)
{
	v->err_off = off;
	v->msg = msg;
	return CS_ERR_PARSE;
}

/*
 * Nonzero when one of the eight bytes of `w` needs a closer look in a
 * string: a control character, a quote, a backslash or a non-ASCII byte.
 * The subtractions borrow only from bytes that match, so a zero result
 * is exact; a match may also flag the byte after it, which is harmless.
 */
static uint64_t special8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');

	return ((w - ones * 0x20) | (q - ones) | (b - ones) | w) & high;
}

/* Check the string opening at *p; *p moves past its closing quote. */
static int v_string(struct vstate *v, size_t *p)
{
	const char *d = v->d;
	size_t i = *p + 1;
	unsigned u, lo;

	while (i < v->end) {
		unsigned char c;
		size_t n;
		uint64_t w;

		/* Plain ASCII needs no check beyond this: skip it eight bytes at
		 * a time. */
		while (v->end - i >= 8) {
			memcpy(&w, d + i, 8);
			if (special8(w))
				break;
			i += 8;
		}
		if (i >= v->end)
			break;
		c = (unsigned char)d[i];

		if (c == '"') {
			*p = i + 1;
			return CS_OK;
		}
		if (c == '\\') {
			if (i + 1 >= v->end)
				break;
			v->escaped = 1;
			c = (unsigned char)d[i + 1];
			if (c != 'u') {
				if (!c || !strchr("\"\\/bfnrt", c))
					return vfail(v, i, "invalid escape");
				i += 2;
				continue;
			}
			if (i + 6 > v->end || hex4(d + i + 2, &u))
				return vfail(v, i, "invalid escape");
			if (u >= 0xDC00 && u <= 0xDFFF)
				return vfail(v, i, "invalid Unicode escape (lone low surrogate)");
			if (u >= 0xD800 && u <= 0xDBFF) {
				if (i + 12 > v->end || d[i + 6] != '\\' || d[i + 7] != 'u' ||
				    hex4(d + i + 8, &lo) || lo < 0xDC00 || lo > 0xDFFF)
					return vfail(
					        v, i,
					        "invalid Unicode escape (lone high surrogate)");
				i += 6;
			}
			i += 6;
			continue;
		}
		if (c < 0x20)
			return vfail(v, i, "control character in a string");
		n = utf8_len((const unsigned char *)d + i, v->end - i);
		if (!n)
			return vfail(v, i, "invalid UTF-8 in a string");
		i += n;
	}
	return vfail(v, v->end, "premature end of input in a string");
}

/* Check the number at *p, and that an integer fits 64 bits as jansson
 * wants. */
static int v_number(struct vstate *v, size_t *p)
{
	const char *d = v->d;
	size_t i = *p, digits;
	int neg = 0, integer = 1;

	if (d[i] == '-') {
		neg = 1;
		i++;
	}
	if (i < v->end && d[i] == '0') {
		i++;
	} else if (i < v->end && d[i] >= '1' && d[i] <= '9') {
		while (i < v->end && cs__isdigit((unsigned char)d[i]))
			i++;
	} else {
		return vfail(v, *p, "invalid number");
	}
	digits = i - *p - (size_t)neg;
	if (i < v->end && d[i] == '.') {
		integer = 0;
		if (++i >= v->end || !cs__isdigit((unsigned char)d[i]))
			return vfail(v, i, "invalid number");
		while (i < v->end && cs__isdigit((unsigned char)d[i]))
			i++;
	}
	if (i < v->end && (d[i] == 'e' || d[i] == 'E')) {
		integer = 0;
		if (++i < v->end && (d[i] == '+' || d[i] == '-'))
			i++;
		if (i >= v->end || !cs__isdigit((unsigned char)d[i]))
			return vfail(v, i, "invalid number");
		while (i < v->end && cs__isdigit((unsigned char)d[i]))
			i++;
	}
	if (integer &&
	    (digits > 19 ||
	     (digits == 19 &&
	      memcmp(d + *p + neg, neg ? "9223372036854775808" : "9223372036854775807", 19) > 0)))
		return vfail(v, *p, "too big integer");
	if (!integer) {
		/* jansson refuses reals that overflow a double. */
		char *t = cs__strndup(d + *p, i - *p);
		double x;

		if (!t)
			return vfail(v, *p, "out of memory");
		errno = 0;
		x = strtod(t, NULL);
		free(t);
		if (errno == ERANGE && (x == HUGE_VAL || x == -HUGE_VAL))
			return vfail(v, *p, "real number overflow");
	}
	*p = i;
	return CS_OK;
}

static size_t v_ws(const struct vstate *v, size_t p)
{
	while (p < v->end &&
	       (v->d[p] == ' ' || v->d[p] == '\n' || v->d[p] == '\r' || v->d[p] == '\t'))
		p++;
	return p;
}

/* Note the member whose name spans [koff, kend) and whose value spans
 * [voff, vend) when it is one of the wanted fields (as cs__json_fields). */
static void want_member(const char *data, size_t koff, size_t kend, int escaped, size_t voff,
                        size_t vend, struct cs_json_field *f, size_t n, struct cs_buf *kb)
{
	const char *key = data + koff + 1;
	size_t kl = kend - koff - 2, i;

	if (escaped) {
		if (cs__json_text(data, (struct cs_json_span){koff, kend - koff}, kb) != 1)
			return;
		key = kb->data;
		kl = kb->len;
	}
	for (i = 0; i < n; i++) {
		if (f[i].key[0] == key[0] && strlen(f[i].key) == kl &&
		    memcmp(f[i].key, key, kl) == 0) {
			f[i].v.off = voff;
			f[i].v.len = vend - voff;
		}
	}
}

/*
 * The checker behind cs__json_validate() and the one-walk readers: an
 * iterative walk where `depth` containers are open, the kind of each in
 * a bit stack, and `st` says what may come next.
 *
 * With `whole`, the value must fill [start, end) exactly. Without, the
 * value at `start` must be an array or object and the walk stops after
 * its closing bracket (*stop), whatever follows; `end` then only bounds
 * the input. Containers nest at most `max_depth` deep. When `f` is given
 * and the value is an object, the spans of its wanted members are filled
 * on the way (the last of duplicates wins).
 */
static int check_walk(const char *data, size_t start, size_t end, int whole, unsigned max_depth,
                      struct cs_json_field *f, size_t nf, size_t *stop, size_t *err_off,
                      const char **msg)
{
	unsigned char objs[CS_JSON_MAX_DEPTH / 8 + 1];
	struct vstate v = {data, end, 0, NULL, 0};
	enum { ST_VALUE, ST_KEY, ST_AFTER } st = ST_VALUE;
	unsigned depth = 0;
	size_t p = start, koff = 0, kend = 0, voff = 0, i;
	struct cs_buf kb;
	int rc = CS_OK, top_obj = 0, kesc = 0;

	cs__buf_init(&kb, 0);
	for (i = 0; i < nf; i++)
		f[i].v.off = f[i].v.len = 0;
	for (;;) {
		p = v_ws(&v, p);
		if (st == ST_VALUE) {
			char c;

			if (p >= v.end) {
				rc = vfail(&v, p, "premature end of input");
				break;
			}
			c = data[p];
			if (depth == 1 && top_obj)
				voff = p;
			if (c == '{' || c == '[') {
				if (depth >= max_depth) {
					rc = vfail(&v, p, "nesting too deep");
					break;
				}
				if (!depth)
					top_obj = c == '{' && f;
				if (c == '{')
					objs[depth / 8] |= (unsigned char)(1u << (depth % 8));
				else
					objs[depth / 8] &= (unsigned char)~(1u << (depth % 8));
				depth++;
				p = v_ws(&v, p + 1);
				if (p < v.end && data[p] == (c == '{' ? '}' : ']')) {
					p++;
					depth--;
					st = ST_AFTER;
				} else {
					st = c == '{' ? ST_KEY : ST_VALUE;
					continue;
				}
			} else {
				if (!whole && !depth) {
					rc = vfail(&v, p, "expected '[' or '{'");
					break;
				}
				if (c == '"') {
					rc = v_string(&v, &p);
				} else if (c == '-' || cs__isdigit((unsigned char)c)) {
					rc = v_number(&v, &p);
				} else if (v.end - p >= 4 && memcmp(data + p, "true", 4) == 0) {
					p += 4;
				} else if (v.end - p >= 5 && memcmp(data + p, "false", 5) == 0) {
					p += 5;
				} else if (v.end - p >= 4 && memcmp(data + p, "null", 4) == 0) {
					p += 4;
				} else {
					rc = vfail(&v, p, "invalid token");
				}
				if (rc)
					break;
				st = ST_AFTER;
			}
			/* A value ended at p. */
			if (depth == 1 && top_obj)
				want_member(data, koff, kend, kesc, voff, p, f, nf, &kb);
			if (!depth && !whole) {
				*stop = p;
				break;
			}
		} else if (st == ST_KEY) {
			if (p >= v.end || data[p] != '"') {
				rc = vfail(&v, p, "string or '}' expected");
				break;
			}
			if (depth == 1) {
				koff = p;
				v.escaped = 0;
				rc = v_string(&v, &p);
				kend = p;
				kesc = v.escaped;
			} else {
				rc = v_string(&v, &p);
			}
			if (rc)
				break;
			p = v_ws(&v, p);
			if (p >= v.end || data[p] != ':') {
				rc = vfail(&v, p, "':' expected");
				break;
			}
			p++;
			st = ST_VALUE;
		} else {
			int obj;

			if (!depth) {
				if (p != v.end)
					rc = vfail(&v, p, "end of input expected");
				break;
			}
			obj = (objs[(depth - 1) / 8] >> ((depth - 1) % 8)) & 1;
			if (p < v.end && data[p] == ',') {
				p++;
				st = obj ? ST_KEY : ST_VALUE;
			} else if (p < v.end && data[p] == (obj ? '}' : ']')) {
				p++;
				depth--;
				/* A container value ended at p. */
				if (depth == 1 && top_obj)
					want_member(data, koff, kend, kesc, voff, p, f, nf, &kb);
				if (!depth && !whole) {
					*stop = p;
					break;
				}
			} else {
				rc = vfail(&v, p,
				           obj ? "',' or '}' expected" : "',' or ']' expected");
				break;
			}
		}
	}
	cs__buf_release(&kb);
	if (rc) {
		*err_off = v.err_off;
		*msg = v.msg;
	}
	return rc;
}

int cs__json_validate(const char *data, struct cs_json_span sp, size_t *err_off, const char **msg)
{
	return check_walk(data, sp.off, sp.off + sp.len, 1, CS_JSON_MAX_DEPTH, NULL, 0, NULL,
	                  err_off, msg);
}

int cs__json_skip_checked(struct cs_json_scan *s, struct cs_json_span *out, struct cs_json_field *f,
                          size_t nf)
{
	const char *msg;
	size_t stop, at, i;
	int c, rc;

	c = cs__json_peek(s);
	if (s->err)
		return s->err;
	if ((c == '{' || c == '[') && s->depth < CS_JSON_MAX_DEPTH &&
	    check_walk(s->data, s->pos, s->len, 0, CS_JSON_MAX_DEPTH - s->depth, f, nf, &stop, &at,
	               &msg) == CS_OK) {
		out->off = s->pos;
		out->len = stop - s->pos;
		s->pos = stop;
		return out->len <= CS_JSON_MAX_ELEMENT;
	}
	/* Not valid: the structural skip finds its end (or the fault that
	 * stops the walk), and the element is checked again when read. */
	for (i = 0; i < nf; i++)
		f[i].v.off = f[i].v.len = 0;
	rc = cs__json_skip(s, out);
	return rc ? rc : 0;
}

int cs__json_check(struct cs_reader_ctx *ctx, struct cs_json_span sp, const char *what)
{
	uint64_t line, col;
	const char *msg;
	size_t at;
	json_t *v;

	if (too_big(ctx, sp, what))
		return CS_ERR_PARSE;
	if (cs__json_validate(ctx->data, sp, &at, &msg) == CS_OK)
		return CS_OK;
	/* jansson words the problem as users of other tools know it. */
	v = load(ctx, sp, what);
	if (!v)
		return CS_ERR_PARSE;
	json_decref(v);
	cs__offset_to_linecol(ctx, at, &line, &col);
	cs__reject(ctx, "json-syntax", line, col, "%s: %s", what, msg);
	return CS_ERR_PARSE;
}

int cs__json_check_fields(struct cs_reader_ctx *ctx, struct cs_json_span sp, const char *what,
                          struct cs_json_field *f, size_t nf)
{
	const char *msg;
	size_t at;

	if (sp.len <= CS_JSON_MAX_ELEMENT &&
	    check_walk(ctx->data, sp.off, sp.off + sp.len, 1, CS_JSON_MAX_DEPTH, f, nf, NULL, &at,
	               &msg) == CS_OK)
		return CS_OK;
	if (cs__json_check(ctx, sp, what))
		return CS_ERR_PARSE;
	cs__json_fields(ctx->data, sp, f, nf);
	return CS_OK;
}

char cs__json_kind(const char *data, struct cs_json_span v)
{
	char c;

	if (!v.len)
		return 0;
	c = data[v.off];
	if (c == '-' || cs__isdigit((unsigned char)c))
		return '0';
	return c;
}

int cs__json_fields(const char *data, struct cs_json_span obj, struct cs_json_field *f, size_t n)
{
	struct cs_json_scan s;
	struct cs_json_level lv;
	struct cs_json_span k, v;
	struct cs_buf kb;
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		f[i].v.off = f[i].v.len = 0;
	if (cs__json_kind(data, obj) != '{')
		return 0;
	memset(&s, 0, sizeof(s));
	s.data = data;
	s.len = obj.off + obj.len;
	s.pos = obj.off;
	cs__buf_init(&kb, 4096);
	rc = cs__json_enter(&s, &lv);
	while (!rc && (rc = cs__json_next(&s, &lv, &k)) == 1) {
		const char *key = data + k.off + 1;
		size_t kl = k.len - 2;

		rc = cs__json_skip(&s, &v);
		if (rc)
			break;
		if (memchr(key, '\\', kl)) {
			if (cs__json_text(data, k, &kb) != 1)
				continue;
			key = kb.data;
			kl = kb.len;
		}
		for (i = 0; i < n; i++) {
			if (f[i].key[0] == key[0] && strlen(f[i].key) == kl &&
			    memcmp(f[i].key, key, kl) == 0)
				f[i].v = v;
		}
	}
	cs__buf_release(&kb);
	return 1;
}

/* Append code point u as UTF-8. */
static int put_utf8(struct cs_buf *out, unsigned u)
{
	char b[4];
	size_t n;

	if (u < 0x80) {
		b[0] = (char)u;
		n = 1;
	} else if (u < 0x800) {
		b[0] = (char)(0xC0 | (u >> 6));
		b[1] = (char)(0x80 | (u & 0x3F));
		n = 2;
	} else if (u < 0x10000) {
		b[0] = (char)(0xE0 | (u >> 12));
		b[1] = (char)(0x80 | ((u >> 6) & 0x3F));
		b[2] = (char)(0x80 | (u & 0x3F));
		n = 3;
	} else {
		b[0] = (char)(0xF0 | (u >> 18));
		b[1] = (char)(0x80 | ((u >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((u >> 6) & 0x3F));
		b[3] = (char)(0x80 | (u & 0x3F));
		n = 4;
	}
	return cs__buf_add(out, b, n);
}

int cs__json_text(const char *data, struct cs_json_span v, struct cs_buf *out)
{
	const char *p, *end;
	int rc;

	cs__buf_reset(out);
	if (cs__json_kind(data, v) != '"' || v.len < 2)
		return 0;
	p = data + v.off + 1;
	end = data + v.off + v.len - 1;
	rc = cs__buf_add(out, "", 0);
	while (!rc && p < end) {
		const char *bs = memchr(p, '\\', (size_t)(end - p));
		unsigned u = 0, lo;
		char c;

		if (!bs) {
			rc = cs__buf_add(out, p, (size_t)(end - p));
			break;
		}
		rc = cs__buf_add(out, p, (size_t)(bs - p));
		if (rc || bs + 1 >= end)
			break;
		c = bs[1];
		p = bs + 2;
		switch (c) {
		case 'b':
			rc = cs__buf_addc(out, '\b');
			break;
		case 'f':
			rc = cs__buf_addc(out, '\f');
			break;
		case 'n':
			rc = cs__buf_addc(out, '\n');
			break;
		case 'r':
			rc = cs__buf_addc(out, '\r');
			break;
		case 't':
			rc = cs__buf_addc(out, '\t');
			break;
		case 'u':
			if (end - p < 4 || hex4(p, &u))
				return 0;
			p += 4;
			if (u >= 0xD800 && u <= 0xDBFF && end - p >= 6 && p[0] == '\\' &&
			    p[1] == 'u' && !hex4(p + 2, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
				u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
				p += 6;
			}
			rc = put_utf8(out, u);
			break;
		default:
			rc = cs__buf_addc(out, c);
			break;
		}
	}
	return rc ? rc : 1;
}

int cs__json_span_flag(const char *data, struct cs_json_span v)
{
	const char *s = data + v.off + 1;
	long long i;

	switch (cs__json_kind(data, v)) {
	case 't':
		return 1;
	case 'f':
		return 0;
	case '0':
		if (!cs__json_span_int(data, v, &i))
			return -1;
		return i == 0 ? 0 : i == 1 ? 1 : -1;
	case '"':
		if (cs__eqi(s, v.len - 2, "1") || cs__eqi(s, v.len - 2, "true"))
			return 1;
		if (cs__eqi(s, v.len - 2, "0") || cs__eqi(s, v.len - 2, "false"))
			return 0;
		return -1;
	default:
		return -1;
	}
}

int cs__json_span_int(const char *data, struct cs_json_span v, long long *out)
{
	const char *p = data + v.off, *end = data + v.off + v.len;
	unsigned long long acc = 0;
	int neg = 0;

	if (cs__json_kind(data, v) != '0')
		return 0;
	if (*p == '-') {
		neg = 1;
		p++;
	}
	for (; p < end; p++) {
		if (!cs__isdigit((unsigned char)*p))
			return 0; /* a fraction or exponent: not an integer */
		acc = acc * 10 + (unsigned)(*p - '0');
		if (acc > (unsigned long long)INT64_MAX + (unsigned)neg)
			return 0;
	}
	*out = neg ? (long long)(0 - acc) : (long long)acc;
	return 1;
}

void cs__json_report(struct cs_reader_ctx *ctx, const struct cs_json_scan *s, size_t done,
                     const char *what)
{
	uint64_t line, col;

	cs__offset_to_linecol(ctx, s->err_off, &line, &col);
	cs__diag(ctx, CS_SEV_ERROR, line, col,
	         "%s at line %llu, column %llu: %s; complete %s before it are still read: %zu",
	         s->err == CS_ERR_TOOBIG ? "JSON over a limit" : "JSON syntax error",
	         (unsigned long long)line, (unsigned long long)col, s->errmsg, what, done);
}

void cs__labels_init(struct cs_labels *l)
{
	memset(l, 0, sizeof(*l));
	cs__buf_init(&l->text, 0);
}

void cs__labels_release(struct cs_labels *l)
{
	cs__buf_release(&l->text);
	free(l->offs);
	free(l->vec);
	memset(l, 0, sizeof(*l));
}

void cs__labels_reset(struct cs_labels *l)
{
	cs__labels_truncate(l, 0);
}

void cs__labels_truncate(struct cs_labels *l, size_t n)
{
	if (n >= l->n)
		return;
	l->text.len = l->offs[n];
	if (l->text.data)
		l->text.data[l->text.len] = '\0';
	l->n = n;
}

/* Length of label i (without its NUL). */
static size_t label_len(const struct cs_labels *l, size_t i)
{
	size_t end = i + 1 < l->n ? l->offs[i + 1] : l->text.len;

	return end - l->offs[i] - 1;
}

/*
 * Labels are stored back to back, each followed by its NUL, so that the
 * pointer vector can be rebuilt from offsets after the buffer moves.
 * Names holding a NUL byte are dropped (they would be cut short anyway).
 */
int cs__labels_add(struct cs_labels *l, const char *prefix, const char *name, size_t len)
{
	size_t plen = strlen(prefix), i, off;

	cs__trim(&name, &len);
	if (!len || memchr(name, '\0', len) || l->n >= CS_INTEL_MAX_LABELS)
		return CS_OK;
	if (len > CS_LABEL_MAX) {
		len = CS_LABEL_MAX;
		while (len && ((unsigned char)name[len] & 0xC0) == 0x80)
			len--;
	}
	for (i = 0; i < l->n; i++) {
		const char *s = l->text.data + l->offs[i];

		if (label_len(l, i) == plen + len && memcmp(s, prefix, plen) == 0 &&
		    memcmp(s + plen, name, len) == 0)
			return CS_OK;
	}
	if (cs__grow((void **)&l->offs, &l->cap, l->n + 1, sizeof(*l->offs)))
		return CS_ERR_NOMEM;
	off = l->text.len;
	if (cs__buf_add(&l->text, prefix, plen) || cs__buf_add(&l->text, name, len) ||
	    cs__buf_addc(&l->text, '\0')) {
		l->text.len = off;
		return CS_ERR_NOMEM;
	}
	l->offs[l->n++] = off;
	return CS_OK;
}

const char *const *cs__labels_vec(struct cs_labels *l)
{
	size_t i;

	if (!l->n)
		return NULL;
	if (cs__grow((void **)&l->vec, &l->veccap, l->n, sizeof(*l->vec)))
		return NULL;
	for (i = 0; i < l->n; i++)
		l->vec[i] = l->text.data + l->offs[i];
	return l->vec;
}

static int ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

static int eq(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(s, word, len) == 0;
}

int cs__galaxy_label(struct cs_labels *l, const char *type, size_t tlen, const char *value,
                     size_t vlen)
{
	static const char *const malware[] = {
	        "malware", "tool",    "ransomware",  "rat",      "backdoor",     "botnet", "banker",
	        "stealer", "android", "exploit-kit", "malpedia", "cryptominers", "loader",
	};
	struct cs_buf b;
	size_t i;
	int rc;

	cs__trim(&type, &tlen);
	if (eq(type, tlen, "threat-actor") || eq(type, tlen, "microsoft-activity-group") ||
	    ends_with(type, tlen, "intrusion-set"))
		return cs__labels_add(l, "actor:", value, vlen);
	if (ends_with(type, tlen, "attack-pattern"))
		return cs__labels_add(l, "attack-pattern:", value, vlen);
	if (tlen > 6 && memcmp(type, "mitre-", 6) == 0 && ends_with(type, tlen, "-tool"))
		return cs__labels_add(l, "tool:", value, vlen);
	if (tlen > 6 && memcmp(type, "mitre-", 6) == 0 && ends_with(type, tlen, "-malware"))
		return cs__labels_add(l, "malware:", value, vlen);
	for (i = 0; i < CS_ARRAY_SIZE(malware); i++) {
		if (eq(type, tlen, malware[i]))
			return cs__labels_add(l, "malware:", value, vlen);
	}
	cs__buf_init(&b, CS_LABEL_MAX * 2);
	rc = cs__buf_adds(&b, "galaxy:");
	if (!rc)
		rc = cs__buf_add(&b, type, tlen > CS_LABEL_MAX ? CS_LABEL_MAX : tlen);
	if (!rc)
		rc = cs__buf_addc(&b, '=');
	if (rc) {
		cs__buf_release(&b);
		return rc == CS_ERR_NOMEM ? rc : CS_OK;
	}
	rc = cs__labels_add(l, cs__buf_cstr(&b), value, vlen);
	cs__buf_release(&b);
	return rc;
}

int cs__tag_label(struct cs_labels *l, const char *tag, size_t len)
{
	static const char gp[] = "misp-galaxy:";
	const size_t gl = sizeof(gp) - 1;
	const char *eqs, *v;
	size_t vlen;

	cs__trim(&tag, &len);
	if (len > gl && memcmp(tag, gp, gl) == 0 && (eqs = memchr(tag + gl, '=', len - gl)) &&
	    eqs > tag + gl) {
		v = eqs + 1;
		vlen = len - (size_t)(v - tag);
		if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
			v++;
			vlen -= 2;
		}
		if (vlen)
			return cs__galaxy_label(l, tag + gl, (size_t)(eqs - tag - gl), v, vlen);
	}
	return cs__labels_add(l, "tag:", tag, len);
}

/*
 * Normalisation of indicator values: undoing defanging, the canonical
 * form of each kind, and guessing the kind of a bare list value.
 * The canonical forms and the reasons for each choice are in
 * docs/indicators.md; the contract is in normalize_int.h.
 *
 * Everything here is pure: no global state, no locale, no allocation
 * beyond the caller's buffer and a scratch buffer for URLs and guesses,
 * both capped by CS_INTEL_MAX_VALUE.
 */
#include <stdint.h>
#include <string.h>

#include "intel_int.h"
#include "normalize_int.h"

#define NORM_MAX CS_INTEL_MAX_VALUE
/* A URL may grow when bytes are percent-encoded; the scratch cap. */
#define NORM_SCRATCH_MAX (NORM_MAX * 3 + 16)
#define DOMAIN_MAX       253
#define LABEL_MAX        63
#define EMAIL_MAX        254
#define EMAIL_LOCAL_MAX  64
#define IP_TEXT_MAX      64 /* longer than any address with a prefix */

static int fail(const char **why, const char *tag)
{
	if (why)
		*why = tag;
	return CS_ERR_PARSE;
}

/* Shorten a buffer's content to its first n bytes. */
static void buf_cut(struct cs_buf *b, size_t n)
{
	if (n < b->len) {
		b->len = n;
		b->data[n] = '\0';
	}
}

static int hexval(int c)
{
	if (cs__isdigit(c))
		return c - '0';
	c = cs__lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int all_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!cs__isxdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/* ---------------------------------------------------------------- refang */

struct defang {
	const char *text;
	const char *plain;
};

/* Every form ends with a closing bracket, which is what refang_tail()
 * keys on. Compared ignoring ASCII case. */
static const struct defang defangs[] = {
	{"[.]", "."}, {"(.)", "."},     {"{.}", "."}, {"[dot]", "."}, {"(dot)", "."},
	{"[:]", ":"}, {"[://]", "://"}, {"[@]", "@"}, {"(at)", "@"},  {"[at]", "@"},
};

/*
 * Replace a defanged form that ends the buffer by its plain text. Called
 * after each closing bracket; since no plain text ends in one, a form
 * completed by an earlier replacement ("[[.]]" -> "[.]") is still found
 * at the end, so the output never holds a form and refanging is
 * idempotent.
 */
static void refang_tail(struct cs_buf *b)
{
	size_t i;

	for (i = 0; i < CS_ARRAY_SIZE(defangs); i++) {
		size_t tl = strlen(defangs[i].text), pl = strlen(defangs[i].plain);
		char *at;

		if (b->len < tl)
			continue;
		at = b->data + b->len - tl;
		if (cs__strncasecmp(at, defangs[i].text, tl) == 0) {
			memcpy(at, defangs[i].plain, pl);
			buf_cut(b, b->len - tl + pl);
			return;
		}
	}
}

/* Schemes written so that they do not click, and what they stand for. */
static const struct defang defanged_schemes[] = {
	{"hxxps", "https"},
	{"hxxp", "http"},
	{"fxp", "ftp"},
};

/*
 * Undo defanging. Bracketed forms are undone anywhere; a defanged scheme
 * only where a scheme stands (after leading white space, followed by
 * ':'). Backslashes are never touched: "\." is regex syntax, not
 * defanging. The output is never longer than the input; `in` must not
 * point into `out`.
 */
int cs__refang(const char *in, size_t len, struct cs_buf *out)
{
	size_t i, start, k;
	int rc;

	cs__buf_reset(out);
	for (i = 0; i < len; i++) {
		char c = in[i];

		rc = cs__buf_addc(out, c);
		if (rc)
			return rc;
		if (c == ']' || c == ')' || c == '}')
			refang_tail(out);
	}
	for (start = 0; start < out->len && cs__isspace((unsigned char)out->data[start]); start++)
		;
	for (k = 0; k < CS_ARRAY_SIZE(defanged_schemes); k++) {
		const struct defang *d = &defanged_schemes[k];
		size_t tl = strlen(d->text);

		if (out->len - start > tl && out->data[start + tl] == ':' &&
		    cs__strncasecmp(out->data + start, d->text, tl) == 0) {
			memcpy(out->data + start, d->plain, tl);
			break;
		}
	}
	return CS_OK;
}

/* ---------------------------------------------------------------- hashes */

static const struct {
	const char *key;
	enum cs_kind kind;
} hash_keys[] = {
	{"md5", CS_KIND_MD5},        {"sha1", CS_KIND_SHA1},      {"sha-1", CS_KIND_SHA1},
	{"sha256", CS_KIND_SHA256},  {"sha-256", CS_KIND_SHA256}, {"sha512", CS_KIND_SHA512},
	{"sha-512", CS_KIND_SHA512},
};

/* Keys compare ignoring case, inside optional matching quotes as STIX
 * patterns write them ("hashes.'SHA-256'"). */
enum cs_kind cs__hash_key_kind(const char *key, size_t len)
{
	size_t i;

	if (!key)
		return CS_KIND_NONE;
	if (len >= 2 && (key[0] == '\'' || key[0] == '"') && key[len - 1] == key[0]) {
		key++;
		len -= 2;
	}
	for (i = 0; i < CS_ARRAY_SIZE(hash_keys); i++) {
		if (cs__eqi(key, len, hash_keys[i].key))
			return hash_keys[i].kind;
	}
	return CS_KIND_NONE;
}

size_t cs__kind_hex_len(enum cs_kind kind)
{
	switch (kind) {
	case CS_KIND_MD5:
		return 32;
	case CS_KIND_SHA1:
		return 40;
	case CS_KIND_SHA256:
		return 64;
	case CS_KIND_SHA512:
		return 128;
	default:
		return 0;
	}
}

static enum cs_kind hash_kind_of_len(size_t n)
{
	switch (n) {
	case 32:
		return CS_KIND_MD5;
	case 40:
		return CS_KIND_SHA1;
	case 64:
		return CS_KIND_SHA256;
	case 128:
		return CS_KIND_SHA512;
	default:
		return CS_KIND_NONE;
	}
}

/*
 * A hash of `kind` (or CS_KIND_HASH_AUTO) from trimmed, non-empty text.
 * A "SHA256=" or "sha256:" prefix is dropped; when it names another hash
 * than `kind` asks for, the value is rejected. White space inside the
 * digits is an error rather than something to squeeze out: two hashes
 * in one cell would otherwise merge into one of another length.
 */
static int norm_hash(enum cs_kind kind, const char *s, size_t n, enum cs_kind *kind_out,
		     struct cs_buf *out, const char **why)
{
	const char *sep = NULL;
	size_t i;
	int rc;

	for (i = 0; i < n && !sep; i++) {
		if (s[i] == '=' || s[i] == ':')
			sep = s + i;
	}
	if (sep) {
		const char *key = s;
		size_t klen = (size_t)(sep - s);
		enum cs_kind named;

		cs__trim(&key, &klen);
		named = cs__hash_key_kind(key, klen);
		if (named == CS_KIND_NONE)
			return fail(why, "bad-hash");
		if (kind != CS_KIND_HASH_AUTO && kind != named)
			return fail(why, "bad-hash");
		kind = named;
		n -= (size_t)(sep + 1 - s);
		s = sep + 1;
		cs__trim(&s, &n);
		if (n == 0)
			return fail(why, "empty");
	}
	if (!all_hex(s, n))
		return fail(why, "bad-hash");
	if (kind == CS_KIND_HASH_AUTO) {
		kind = hash_kind_of_len(n);
		if (kind == CS_KIND_NONE)
			return fail(why, "hash-length");
	} else if (n != cs__kind_hex_len(kind)) {
		return fail(why, "hash-length");
	}
	for (i = 0; i < n; i++) {
		rc = cs__buf_addc(out, (char)cs__lower((unsigned char)s[i]));
		if (rc)
			return rc;
	}
	*kind_out = kind;
	return CS_OK;
}

/* ---------------------------------------------------------------- domains */

static int label_char(int c)
{
	return (c >= 'a' && c <= 'z') || cs__isdigit(c) || c == '-' || c == '_';
}

/*
 * Lower-case and check a host name held in s[0..*n), in place. One
 * trailing dot is dropped. Labels are 1..63 bytes of [a-z0-9-_], the
 * name at most 253 bytes, and the last label is not all digits (such a
 * name is an address, or nothing that resolves). Returns 0 or -1.
 */
static int check_domain(char *s, size_t *n)
{
	size_t i, len = *n, lab = 0;
	int digits_only = 1;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > DOMAIN_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		int c = cs__lower((unsigned char)s[i]);

		if (c == '.') {
			if (lab == 0)
				return -1;
			lab = 0;
			digits_only = 1;
			continue;
		}
		if (!label_char(c) || ++lab > LABEL_MAX)
			return -1;
		if (!cs__isdigit(c))
			digits_only = 0;
		s[i] = (char)c;
	}
	if (lab == 0 || digits_only)
		return -1;
	*n = len;
	return 0;
}

static int norm_domain(const char *s, size_t n, struct cs_buf *out, const char **why)
{
	size_t len;
	int rc;

	rc = cs__refang(s, n, out);
	if (rc)
		return rc;
	len = out->len;
	if (len == 0 || check_domain(out->data, &len))
		return fail(why, "bad-domain");
	buf_cut(out, len);
	return CS_OK;
}

/* ---------------------------------------------------------------- addresses */

/* Strict dotted quad: four decimal parts 0..255 without leading zeros. */
static int parse_ipv4(const char *s, size_t n, unsigned char addr[4])
{
	size_t i = 0;
	int part;

	for (part = 0; part < 4; part++) {
		size_t start;
		unsigned v = 0;

		if (part > 0) {
			if (i >= n || s[i] != '.')
				return -1;
			i++;
		}
		start = i;
		while (i < n && cs__isdigit((unsigned char)s[i]) && i - start < 4)
			v = v * 10 + (unsigned)(s[i++] - '0');
		if (i == start || i - start > 3 || v > 255 || (i - start > 1 && s[start] == '0'))
			return -1;
		addr[part] = (unsigned char)v;
	}
	return i == n ? 0 : -1;
}

/*
 * RFC 4291 section 2.2 text: up to eight groups of 1..4 hex digits, one
 * "::" standing for at least one zero group, and an optional dotted quad
 * in place of the last two groups. Zone ids ("%eth0") are not accepted.
 */
static int parse_ipv6(const char *s, size_t n, unsigned char addr[16])
{
	unsigned g[8];
	int ng = 0, gap = -1, k;
	size_t i = 0;

	if (n < 2)
		return -1;
	if (s[0] == ':') {
		if (s[1] != ':')
			return -1;
		gap = 0;
		i = 2;
	}
	while (i < n) {
		size_t j = i;
		unsigned v = 0;

		if (ng == 8)
			return -1;
		while (j < n && cs__isxdigit((unsigned char)s[j]) && j - i < 5)
			j++;
		if (j < n && s[j] == '.') {
			unsigned char v4[4];

			if (ng > 6 || parse_ipv4(s + i, n - i, v4))
				return -1;
			g[ng++] = (unsigned)v4[0] << 8 | v4[1];
			g[ng++] = (unsigned)v4[2] << 8 | v4[3];
			break;
		}
		if (j == i || j - i > 4)
			return -1;
		for (; i < j; i++)
			v = v << 4 | (unsigned)hexval((unsigned char)s[i]);
		g[ng++] = v;
		if (i == n)
			break;
		if (s[i] != ':')
			return -1;
		i++;
		if (i < n && s[i] == ':') {
			if (gap >= 0)
				return -1;
			gap = ng;
			i++;
		} else if (i == n) {
			return -1;
		}
	}
	if (gap < 0 ? ng != 8 : ng > 7)
		return -1;
	memset(addr, 0, 16);
	for (k = 0; k < ng; k++) {
		int pos = (gap < 0 || k < gap) ? k : 8 - (ng - k);

		addr[2 * pos] = (unsigned char)(g[k] >> 8);
		addr[2 * pos + 1] = (unsigned char)(g[k] & 0xff);
	}
	return 0;
}

int cs__parse_ip(const char *in, size_t len, unsigned char addr[16], int *alen)
{
	unsigned char a[16];

	if (!in)
		return CS_ERR_PARSE;
	if (memchr(in, ':', len)) {
		if (parse_ipv6(in, len, a))
			return CS_ERR_PARSE;
		memcpy(addr, a, 16);
		*alen = 16;
		return CS_OK;
	}
	if (parse_ipv4(in, len, a))
		return CS_ERR_PARSE;
	memcpy(addr, a, 4);
	*alen = 4;
	return CS_OK;
}

static char *put_dec(char *p, unsigned v)
{
	char tmp[10];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_ipv4(char *p, const unsigned char a[4])
{
	int i;

	for (i = 0; i < 4; i++) {
		if (i)
			*p++ = '.';
		p = put_dec(p, a[i]);
	}
	return p;
}

/*
 * RFC 5952 text of an IPv6 address into p (at least 46 bytes): lower
 * case, no leading zeros, the first longest run of two or more zero
 * groups as "::", and IPv4-mapped addresses as "::ffff:a.b.c.d".
 * Returns the end of the text (not NUL-terminated).
 */
static char *put_ipv6(char *p, const unsigned char a[16])
{
	static const char hex[] = "0123456789abcdef";
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	unsigned g[8];
	int i, best = -1, bestlen = 0, run = 0;

	if (memcmp(a, mapped, 12) == 0) {
		memcpy(p, "::ffff:", 7);
		return put_ipv4(p + 7, a + 12);
	}
	for (i = 0; i < 8; i++) {
		g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
		run = g[i] ? 0 : run + 1;
		if (run > bestlen) {
			bestlen = run;
			best = i - run + 1;
		}
	}
	if (bestlen < 2)
		best = -1;
	for (i = 0; i < 8; i++) {
		int shift, started = 0;

		if (i == best) {
			*p++ = ':';
			*p++ = ':';
			i += bestlen - 1;
			continue;
		}
		if (i > 0 && i != best + bestlen)
			*p++ = ':';
		for (shift = 12; shift >= 0; shift -= 4) {
			unsigned d = (g[i] >> shift) & 0xf;

			if (d || started || shift == 0) {
				*p++ = hex[d];
				started = 1;
			}
		}
	}
	return p;
}

/*
 * IPv4, IPv6 and CIDR values. `kind` says which families are welcome:
 * IPV4 or IPV6 only that one, CIDR either. A "/n" suffix makes a network
 * with its host bits cleared, unless n covers the whole address. A bad
 * address is "bad-ip" for the address kinds, a bad prefix (or anything
 * wrong with a CIDR value) "bad-cidr".
 */
static int norm_ip(enum cs_kind kind, const char *s, size_t n, enum cs_kind *kind_out,
		   struct cs_buf *out, const char **why)
{
	const char *bad_ip = kind == CS_KIND_CIDR ? "bad-cidr" : "bad-ip";
	char text[IP_TEXT_MAX + 1], res[IP_TEXT_MAX];
	unsigned char addr[16];
	const char *slash;
	size_t alen_text, i;
	int alen, prefix = -1, rc;
	char *p;

	rc = cs__refang(s, n, out);
	if (rc)
		return rc;
	if (out->len > IP_TEXT_MAX)
		return fail(why, bad_ip);
	memcpy(text, out->data, out->len);
	n = out->len;
	cs__buf_reset(out);
	slash = memchr(text, '/', n);
	alen_text = slash ? (size_t)(slash - text) : n;
	if (cs__parse_ip(text, alen_text, addr, &alen))
		return fail(why, bad_ip);
	if ((kind == CS_KIND_IPV4 && alen != 4) || (kind == CS_KIND_IPV6 && alen != 16))
		return fail(why, bad_ip);
	if (slash) {
		const char *d = slash + 1;
		size_t dn = n - alen_text - 1;

		if (dn == 0 || dn > 3 || (dn > 1 && d[0] == '0'))
			return fail(why, "bad-cidr");
		prefix = 0;
		for (i = 0; i < dn; i++) {
			if (!cs__isdigit((unsigned char)d[i]))
				return fail(why, "bad-cidr");
			prefix = prefix * 10 + (d[i] - '0');
		}
		if (prefix > alen * 8)
			return fail(why, "bad-cidr");
		if (prefix == alen * 8)
			prefix = -1;
	}
	if (prefix >= 0) {
		for (i = 0; i < (size_t)alen; i++) {
			int keep = prefix - (int)i * 8;

			if (keep <= 0)
				addr[i] = 0;
			else if (keep < 8)
				addr[i] &= (unsigned char)(0xff << (8 - keep));
		}
	}
	p = alen == 4 ? put_ipv4(res, addr) : put_ipv6(res, addr);
	if (prefix >= 0) {
		*p++ = '/';
		p = put_dec(p, (unsigned)prefix);
	}
	rc = cs__buf_add(out, res, (size_t)(p - res));
	if (rc)
		return rc;
	*kind_out = prefix >= 0 ? CS_KIND_CIDR : alen == 4 ? CS_KIND_IPV4 : CS_KIND_IPV6;
	return CS_OK;
}

/* ---------------------------------------------------------------- URLs */

static int unreserved(int c)
{
	return cs__isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* Bytes that may not stand literally in a URI component we write. */
static int needs_escape(int c)
{
	return c <= 0x20 || c >= 0x7f || strchr("\"<>\\^`{|}", c) != NULL;
}

static int add_escape(struct cs_buf *out, int c)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[3] = {'%', hex[(c >> 4) & 0xf], hex[c & 0xf]};

	return cs__buf_add(out, e, 3);
}

/*
 * Copy s[0..n) with RFC 3986 section 6.2.2 percent-encoding
 * normalisation: escapes of unreserved characters are decoded, the
 * others get upper-case hex digits, and a '%' that starts no escape
 * becomes "%25". With `escape` set, bytes that cannot stand in a URI
 * (controls, space, non-ASCII, "<>{}|\^`) are percent-encoded too. The
 * result is a fixed point: copying it again gives the same bytes.
 */
static int pct_copy(struct cs_buf *out, const char *s, size_t n, int escape)
{
	size_t i;
	int rc = CS_OK;

	for (i = 0; i < n && !rc; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int hi = i + 2 < n ? hexval((unsigned char)s[i + 1]) : -1;
			int lo = i + 2 < n ? hexval((unsigned char)s[i + 2]) : -1;

			if (hi < 0 || lo < 0) {
				rc = cs__buf_add(out, "%25", 3);
			} else if (unreserved(hi << 4 | lo)) {
				rc = cs__buf_addc(out, (char)(hi << 4 | lo));
				i += 2;
			} else {
				rc = add_escape(out, hi << 4 | lo);
				i += 2;
			}
		} else if (escape && needs_escape(c)) {
			rc = add_escape(out, c);
		} else {
			rc = cs__buf_addc(out, (char)c);
		}
	}
	return rc;
}

static int scheme_char(int c)
{
	return cs__isalnum(c) || c == '+' || c == '-' || c == '.';
}

/*
 * Length of the scheme when s starts with "scheme:"; 0 otherwise. With
 * *slashes set to 1 when "//" follows the colon.
 */
static size_t scheme_len(const char *s, size_t n, int *slashes)
{
	size_t i = 0;

	*slashes = 0;
	if (n == 0 || !cs__isalpha((unsigned char)s[0]))
		return 0;
	while (i < n && scheme_char((unsigned char)s[i]))
		i++;
	if (i == n || s[i] != ':')
		return 0;
	*slashes = i + 2 < n && s[i + 1] == '/' && s[i + 2] == '/';
	return i;
}

static unsigned default_port(const char *scheme, size_t n)
{
	if (cs__eqi(scheme, n, "http"))
		return 80;
	if (cs__eqi(scheme, n, "https"))
		return 443;
	if (cs__eqi(scheme, n, "ftp"))
		return 21;
	return 0;
}

/*
 * Append the canonical host: "[v6]" in RFC 5952 form, a dotted quad, or
 * a lower-case name (rules of check_domain, trailing dot dropped).
 * Escapes of unreserved characters were decoded before; any other escape
 * in a host is an error.
 */
static int url_host(struct cs_buf *out, const char *h, size_t n, const char **why)
{
	unsigned char a[16];
	char res[IP_TEXT_MAX];
	size_t start = out->len, len;
	int rc;

	if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
		if (parse_ipv6(h + 1, n - 2, a))
			return fail(why, "bad-url");
		res[0] = '[';
		len = (size_t)(put_ipv6(res + 1, a) - res);
		res[len++] = ']';
		return cs__buf_add(out, res, len);
	}
	len = n > 0 && h[n - 1] == '.' ? n - 1 : n;
	if (parse_ipv4(h, len, a) == 0)
		return cs__buf_add(out, res, (size_t)(put_ipv4(res, a) - res));
	if (n > DOMAIN_MAX + 1)
		return fail(why, "bad-url");
	rc = cs__buf_add(out, h, n);
	if (rc)
		return rc;
	len = n;
	if (check_domain(out->data + start, &len))
		return fail(why, "bad-url");
	buf_cut(out, start + len);
	return CS_OK;
}

/* Append ":port" unless the port is empty or the scheme's default. */
static int url_port(struct cs_buf *out, unsigned defport, const char *p, size_t n, const char **why)
{
	char res[8];
	unsigned v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!cs__isdigit((unsigned char)p[i]))
			return fail(why, "bad-url");
		v = v * 10 + (unsigned)(p[i] - '0');
		if (v > 65535)
			return fail(why, "bad-url");
	}
	if (n == 0 || (defport && v == defport))
		return CS_OK;
	res[0] = ':';
	return cs__buf_add(out, res, (size_t)(put_dec(res + 1, v) - res));
}

/*
 * Build the canonical URL from u[0..n) (percent-normalised and refanged)
 * into out. A value without "scheme://" is taken as "http://value"; a
 * value with another "scheme:" form (mailto:, data:, ...) is no URL we
 * match.
 */
static int url_build(const char *u, size_t n, struct cs_buf *out, const char **why)
{
	const char *scheme = "http", *auth, *host, *port = NULL, *at = NULL;
	size_t sn = 4, i, an, hn, pn = 0, rest;
	unsigned defport;
	int slashes, rc;

	i = scheme_len(u, n, &slashes);
	if (i > 0 && slashes) {
		scheme = u;
		sn = i;
		u += i + 3;
		n -= i + 3;
	} else if (i > 0 && i + 1 < n && !cs__isdigit((unsigned char)u[i + 1])) {
		return fail(why, "bad-url");
	}
	defport = default_port(scheme, sn);
	for (i = 0; i < sn; i++) {
		rc = cs__buf_addc(out, (char)cs__lower((unsigned char)scheme[i]));
		if (rc)
			return rc;
	}
	rc = cs__buf_add(out, "://", 3);
	if (rc)
		return rc;

	for (an = 0; an < n && u[an] != '/' && u[an] != '?' && u[an] != '#'; an++)
		;
	auth = u;
	/* Browsers read '\\' as '/' here, RFC 3986 as userinfo: ambiguous. */
	if (memchr(auth, '\\', an))
		return fail(why, "bad-url");
	for (i = an; i > 0; i--) {
		if (auth[i - 1] == '@') {
			at = auth + i - 1;
			break;
		}
	}
	host = at ? at + 1 : auth;
	hn = an - (size_t)(host - auth);
	if (at) {
		rc = pct_copy(out, auth, (size_t)(at - auth), 1);
		if (!rc)
			rc = cs__buf_addc(out, '@');
		if (rc)
			return rc;
	}
	if (hn > 0 && host[0] == '[') {
		const char *close = memchr(host, ']', hn);

		if (!close)
			return fail(why, "bad-url");
		if ((size_t)(close + 1 - host) < hn) {
			if (close[1] != ':')
				return fail(why, "bad-url");
			port = close + 2;
			pn = hn - (size_t)(port - host);
		}
		hn = (size_t)(close + 1 - host);
	} else {
		const char *colon = memchr(host, ':', hn);

		if (colon) {
			port = colon + 1;
			pn = hn - (size_t)(port - host);
			hn = (size_t)(colon - host);
		}
	}
	if (hn == 0)
		return fail(why, "bad-url");
	rc = url_host(out, host, hn, why);
	if (!rc && port)
		rc = url_port(out, defport, port, pn, why);
	if (rc)
		return rc;

	u += an;
	rest = n - an;
	for (i = 0; i < rest && u[i] != '#'; i++)
		;
	rest = i;
	for (i = 0; i < rest && u[i] != '?'; i++)
		;
	if (i == 0)
		rc = cs__buf_addc(out, '/');
	if (!rc)
		rc = pct_copy(out, u, rest, 1);
	return rc;
}

static int norm_url(const char *s, size_t n, struct cs_buf *out, const char **why)
{
	struct cs_buf raw;
	int rc;

	/* Escapes first: decoding may complete a defanged form ("(d%6Ft)"),
	 * which refanging must then see, while refanging never makes an
	 * escape. In this order the result is a fixed point. */
	rc = pct_copy(out, s, n, 0);
	if (rc)
		return rc;
	cs__buf_init(&raw, NORM_SCRATCH_MAX);
	rc = cs__refang(cs__buf_cstr(out), out->len, &raw);
	cs__buf_reset(out);
	if (!rc)
		rc = url_build(cs__buf_cstr(&raw), raw.len, out, why);
	cs__buf_release(&raw);
	if (!rc && out->len > NORM_MAX)
		rc = fail(why, "too-long");
	return rc;
}

/* ---------------------------------------------------------------- email */

/* RFC 5322 atext and '.', plus UTF-8 bytes (RFC 6531). */
static int local_char(int c)
{
	return cs__isalnum(c) || c >= 0x80 || (c && strchr("!#$%&'*+-/=?^_`{|}~.", c));
}

/*
 * local@domain with the local part kept as written (1..64 bytes of
 * dot-atom text; quoted local parts are refused) and the domain under
 * the DOMAIN rules. One "mailto:" prefix is dropped.
 */
static int norm_email(const char *s, size_t n, struct cs_buf *out, const char **why)
{
	const char *d = NULL, *at;
	size_t i, skip = 0, local, dn;
	int rc;

	rc = cs__refang(s, n, out);
	if (rc)
		return rc;
	if (out->len >= 7 && cs__strncasecmp(out->data, "mailto:", 7) == 0)
		skip = 7;
	if (skip) {
		memmove(out->data, out->data + skip, out->len - skip);
		buf_cut(out, out->len - skip);
	}
	at = memchr(out->data, '@', out->len);
	if (!at)
		return fail(why, "bad-email");
	local = (size_t)(at - out->data);
	d = at + 1;
	dn = out->len - local - 1;
	if (local == 0 || local > EMAIL_LOCAL_MAX || memchr(d, '@', dn))
		return fail(why, "bad-email");
	for (i = 0; i < local; i++) {
		if (!local_char((unsigned char)out->data[i]))
			return fail(why, "bad-email");
	}
	if (check_domain(out->data + local + 1, &dn))
		return fail(why, "bad-email");
	buf_cut(out, local + 1 + dn);
	if (out->len > EMAIL_MAX)
		return fail(why, "bad-email");
	return CS_OK;
}

/* ---------------------------------------------------------------- others */

/* Certificate serial: hex with ':', ' ' or '-' separators and an
 * optional "0x", written lower-case without leading zeros. */
static int norm_serial(const char *s, size_t n, struct cs_buf *out, const char **why)
{
	size_t i;
	int rc;

	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		n -= 2;
	}
	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == ':' || c == ' ' || c == '-')
			continue;
		if (!cs__isxdigit(c))
			return fail(why, "bad-value");
		if (c == '0' && out->len == 0)
			continue;
		rc = cs__buf_addc(out, (char)cs__lower(c));
		if (rc)
			return rc;
	}
	if (out->len == 0) {
		for (i = 0; i < n && s[i] != '0'; i++)
			;
		if (i == n)
			return fail(why, "empty");
		return cs__buf_addc(out, '0');
	}
	return CS_OK;
}

/*
 * Values kept as written (trimmed): regexes, file names, product
 * versions, rule names. A NUL byte is refused since values are C
 * strings from here on.
 */
static int norm_text(const char *s, size_t n, struct cs_buf *out, const char **why, const char *bad)
{
	if (memchr(s, '\0', n))
		return fail(why, bad);
	return cs__buf_add(out, s, n);
}

int cs__normalize(enum cs_kind kind, const char *in, size_t len, enum cs_kind *kind_out,
		  struct cs_buf *out, const char **why)
{
	enum cs_kind k = kind;
	int rc;

	cs__buf_reset(out);
	if (!in) {
		if (len)
			return CS_ERR_INVALID;
		in = "";
	}
	cs__trim(&in, &len);
	if (len == 0)
		return fail(why, "empty");
	if (len > NORM_MAX)
		return fail(why, "too-long");
	switch (kind) {
	case CS_KIND_MD5:
	case CS_KIND_SHA1:
	case CS_KIND_SHA256:
	case CS_KIND_SHA512:
	case CS_KIND_HASH_AUTO:
		rc = norm_hash(kind, in, len, &k, out, why);
		break;
	case CS_KIND_DOMAIN:
		rc = norm_domain(in, len, out, why);
		break;
	case CS_KIND_IPV4:
	case CS_KIND_IPV6:
	case CS_KIND_CIDR:
		rc = norm_ip(kind, in, len, &k, out, why);
		break;
	case CS_KIND_URL:
		rc = norm_url(in, len, out, why);
		break;
	case CS_KIND_EMAIL:
		rc = norm_email(in, len, out, why);
		break;
	case CS_KIND_CERT_SERIAL:
		rc = norm_serial(in, len, out, why);
		break;
	case CS_KIND_FILENAME_REGEX:
	case CS_KIND_PATH_REGEX:
	case CS_KIND_DOMAIN_REGEX:
	case CS_KIND_URL_REGEX:
	case CS_KIND_EMAIL_REGEX:
		rc = norm_text(in, len, out, why, "bad-regex");
		break;
	default:
		rc = norm_text(in, len, out, why, "bad-value");
		break;
	}
	if (rc == CS_ERR_TOOBIG)
		rc = fail(why, "too-long");
	if (rc) {
		cs__buf_reset(out);
		return rc;
	}
	if (kind_out)
		*kind_out = k;
	return CS_OK;
}

/* ---------------------------------------------------------------- guessing */

static enum cs_kind try_kind(enum cs_kind kind, const char *s, size_t n, struct cs_buf *scratch)
{
	enum cs_kind k = CS_KIND_NONE;
	const char *why;

	if (cs__normalize(kind, s, n, &k, scratch, &why) != CS_OK)
		return CS_KIND_NONE;
	return k;
}

/*
 * Guess by shape, most specific first: hashes (all hex, a hash length),
 * URLs (a scheme followed by "://", defanged or not), e-mail addresses,
 * networks, addresses, and finally names with at least one dot. Every
 * guess is a kind the value then normalises as.
 */
enum cs_kind cs__guess_kind(const char *in, size_t len)
{
	struct cs_buf r, scratch;
	enum cs_kind k = CS_KIND_NONE;
	int slashes;

	if (!in)
		return CS_KIND_NONE;
	cs__trim(&in, &len);
	if (len == 0 || len > NORM_MAX)
		return CS_KIND_NONE;
	if (all_hex(in, len) && hash_kind_of_len(len) != CS_KIND_NONE)
		return hash_kind_of_len(len);
	cs__buf_init(&r, NORM_MAX);
	cs__buf_init(&scratch, NORM_SCRATCH_MAX);
	if (cs__refang(in, len, &r) != CS_OK || r.len == 0)
		goto out;
	if (scheme_len(r.data, r.len, &slashes) > 0 && slashes)
		k = try_kind(CS_KIND_URL, in, len, &scratch);
	else if (memchr(r.data, '@', r.len))
		k = try_kind(CS_KIND_EMAIL, in, len, &scratch);
	else if (memchr(r.data, '/', r.len) || memchr(r.data, ':', r.len))
		k = try_kind(CS_KIND_CIDR, in, len, &scratch);
	else if (try_kind(CS_KIND_IPV4, in, len, &scratch) == CS_KIND_IPV4)
		k = CS_KIND_IPV4;
	else if (try_kind(CS_KIND_DOMAIN, in, len, &scratch) == CS_KIND_DOMAIN &&
		 memchr(scratch.data, '.', scratch.len))
		k = CS_KIND_DOMAIN;
out:
	cs__buf_release(&r);
	cs__buf_release(&scratch);
	return k;
}

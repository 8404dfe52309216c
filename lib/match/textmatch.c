/*
 * Network and hash indicators in free text (docs/log-hunt.md): one pass
 * over a line finds the names, addresses, URLs, e-mail addresses and hex
 * digests it holds, and looks each up in the indicator set.
 *
 *  - A name matches a domain indicator equal to it or to one of its
 *    suffixes on a label boundary, ignoring case and a trailing dot.
 *  - An address matches an address indicator equal to it, or a network
 *    containing it (a table per prefix length present in the intel).
 *  - A URL is canonicalised as intel URLs are, and matches a URL indicator
 *    equal to it or, when the indicator has no query, one whose path it
 *    continues at a '/' (a repository or folder URL covers what is under
 *    it). Its host is a name like any other.
 *  - A run of 32, 40, 64 or 128 hex digits, bounded by non-alphanumerics,
 *    is a digest ("SHA256=..." forms included).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "intel/normalize_int.h"
#include "match/match_int.h"

#define NAME_MAX_LEN 253
#define URL_MAX_LEN  8192

/* ---- the network table ---- */

/* Key: family (4 or 6), prefix length, the masked address. */
static size_t net_key(unsigned char *key, int fam, unsigned plen, const unsigned char *addr)
{
	size_t n = fam == 4 ? 4 : 16, i;

	key[0] = (unsigned char)fam;
	key[1] = (unsigned char)plen;
	for (i = 0; i < n; i++) {
		unsigned bits = plen > i * 8 ? plen - (unsigned)i * 8 : 0;
		unsigned char mask = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));

		key[2 + i] = addr[i] & mask;
	}
	return 2 + n;
}

size_t cs__match_cidr_key(const char *v, unsigned char *key, int *fam, long *plen)
{
	const char *slash = strchr(v, '/');
	unsigned char addr[16];
	char buf[64];

	if (!slash || (size_t)(slash - v) >= sizeof(buf))
		return 0;
	memcpy(buf, v, (size_t)(slash - v));
	buf[slash - v] = '\0';
	*plen = strtol(slash + 1, NULL, 10);
	*fam = strchr(buf, ':') ? 6 : 4;
	if (inet_pton(*fam == 4 ? AF_INET : AF_INET6, buf, addr) != 1 || *plen < 0 ||
	    *plen > (*fam == 4 ? 32 : 128))
		return 0;
	return net_key(key, *fam, (unsigned)*plen, addr);
}

/*
 * The network table of `in` into m->nets; with `count`, the matcher's
 * counts of each kind too (a matcher from a snapshot has its counts
 * already, read by other threads while this runs).
 */
int cs__match_build_net(struct cs_matcher *m, const struct cs_intel *in, int count)
{
	size_t i, n = cs_intel_count(in);

	for (i = 0; i < n; i++) {
		const struct cs_indicator *ind = cs_intel_at(in, i);
		unsigned char key[18];
		size_t klen;
		long plen;
		int fam;

		/* Without `count`, the counts are not written at all: other
		 * threads read them. */
		switch (cs_indicator_kind(ind)) {
		case CS_KIND_DOMAIN:
			if (count)
				m->ndomain++;
			continue;
		case CS_KIND_IPV4:
		case CS_KIND_IPV6:
			if (count)
				m->naddr++;
			continue;
		case CS_KIND_URL:
			if (count)
				m->nurl++;
			continue;
		case CS_KIND_EMAIL:
			if (count)
				m->nemail++;
			if (count && strlen(cs_indicator_value(ind)) > m->email_max)
				m->email_max = strlen(cs_indicator_value(ind));
			continue;
		case CS_KIND_CIDR:
			break;
		default:
			continue;
		}
		klen = cs__match_cidr_key(cs_indicator_value(ind), key, &fam, &plen);
		if (!klen)
			continue;
		if (count && fam == 4)
			m->v4len[plen] = 1;
		else if (count)
			m->v6len[plen] = 1;
		if (cs__map_put(&m->nets, key, klen, (uint32_t)i))
			return CS_ERR_NOMEM;
		if (count)
			m->naddr++;
	}
	return CS_OK;
}

void cs__match_text_prepare(const struct cs_matcher *cm)
{
	struct cs_matcher *m = (struct cs_matcher *)(uintptr_t)cm;

	if (m->snap)
		return; /* its filter came with it */
	pthread_mutex_lock(&m->tf_mu);
	if (!m->tf_tried) {
		m->tf_tried = 1;
		if (cs__tfilter_build(m->intel, &m->tf) != CS_OK)
			m->tf = NULL;
	}
	pthread_mutex_unlock(&m->tf_mu);
}

/* ---- lookups ---- */

struct tm_ctx {
	const struct cs_matcher *m;
	const char *s; /* the whole text */
	cs_text_fn fn;
	void *ud;
	int rc;
	size_t from, to; /* report matches starting here only */
	unsigned cut;    /* CS_TEXT_CUT_* */
	struct cs_buf norm;
};

static int report(struct tm_ctx *c, enum cs_kind observed, size_t off, size_t len,
                  const struct cs_indicator *ind)
{
	if (off < c->from || off >= c->to)
		return c->rc;
	if (!c->rc)
		c->rc = c->fn(c->ud, observed, off, len, ind);
	return c->rc;
}

/* The indicator of kind `k` and value `v`: looked up in the intel, of
 * which a matcher from a snapshot loads what a key it may hold needs. */
static const struct cs_indicator *find(struct tm_ctx *c, enum cs_kind k, const char *v)
{
	return cs__match_find(c->m, k, v, &c->rc);
}

/* The name at [off, off+len): itself and each parent on a label boundary. */
static void match_name(struct tm_ctx *c, size_t off, size_t len)
{
	char name[NAME_MAX_LEN + 1];
	size_t i, n = len;
	const char *p;

	if (!c->m->ndomain)
		return;
	while (n && c->s[off + n - 1] == '.') /* a trailing dot is no label */
		n--;
	if (n == 0 || n > NAME_MAX_LEN)
		return;
	for (i = 0; i < n; i++)
		name[i] = (char)cs__lower((unsigned char)c->s[off + i]);
	name[n] = '\0';
	for (p = name; p && *p && !c->rc;) {
		const struct cs_indicator *ind = find(c, CS_KIND_DOMAIN, p);

		if (ind)
			report(c, CS_KIND_DOMAIN, off, n, ind);
		p = strchr(p, '.');
		if (p)
			p++;
	}
}

static void match_addr(struct tm_ctx *c, int fam, const unsigned char *addr, size_t off, size_t len)
{
	const struct cs_matcher *m = c->m;
	char text[INET6_ADDRSTRLEN];
	const struct cs_indicator *ind;
	unsigned char key[18];
	int p, max = fam == 4 ? 32 : 128;

	if (!m->naddr)
		return;
	if (inet_ntop(fam == 4 ? AF_INET : AF_INET6, addr, text, sizeof(text))) {
		ind = find(c, fam == 4 ? CS_KIND_IPV4 : CS_KIND_IPV6, text);
		if (ind)
			report(c, fam == 4 ? CS_KIND_IPV4 : CS_KIND_IPV6, off, len, ind);
	}
	for (p = max; p >= 0 && !c->rc; p--) {
		if (!(fam == 4 ? m->v4len[p] : m->v6len[p]))
			continue;
		size_t klen = net_key(key, fam, (unsigned)p, addr);

		ind = cs__match_find_net(m, key, klen, &c->rc);
		if (ind)
			report(c, fam == 4 ? CS_KIND_IPV4 : CS_KIND_IPV6, off, len, ind);
	}
}

static void match_hash(struct tm_ctx *c, size_t off, size_t len)
{
	static const enum cs_kind kinds[] = {CS_KIND_MD5, CS_KIND_SHA1, CS_KIND_SHA256,
	                                     CS_KIND_SHA512};
	char hex[129];
	enum cs_kind k;
	size_t i;

	switch (len) {
	case 32:
		k = kinds[0];
		break;
	case 40:
		k = kinds[1];
		break;
	case 64:
		k = kinds[2];
		break;
	case 128:
		k = kinds[3];
		break;
	default:
		return;
	}
	if (!(c->m->hashes & (1u << (k == CS_KIND_MD5      ? 0
	                             : k == CS_KIND_SHA1   ? 1
	                             : k == CS_KIND_SHA256 ? 2
	                                                   : 3))))
		return;
	for (i = 0; i < len; i++)
		hex[i] = (char)cs__lower((unsigned char)c->s[off + i]);
	hex[len] = '\0';
	{
		const struct cs_indicator *ind = find(c, k, hex);

		if (ind)
			report(c, k, off, len, ind);
	}
}

static int try_url(struct tm_ctx *c, const char *u, size_t off, size_t len)
{
	const struct cs_indicator *ind = find(c, CS_KIND_URL, u);

	if (ind)
		report(c, CS_KIND_URL, off, len, ind);
	return ind != NULL;
}

/* The URL at [off, off+len): its canonical form, then (without the query)
 * each parent path, with and without the trailing '/', up to the root. */
static void match_url(struct tm_ctx *c, size_t off, size_t len)
{
	enum cs_kind k;
	const char *why;
	char *u, *q, *auth;
	size_t root, p, full;

	if (!c->m->nurl || len > URL_MAX_LEN)
		return;
	cs__buf_reset(&c->norm);
	if (cs__normalize(CS_KIND_URL, c->s + off, len, &k, &c->norm, &why) != CS_OK ||
	    k != CS_KIND_URL)
		return;
	u = c->norm.data;
	if (try_url(c, u, off, len))
		return;
	/* User information names no resource: "https://user:pw@host/x" is
	 * "https://host/x" for matching. */
	auth = strstr(u, "://");
	if (auth) {
		char *at, *end = auth + 3 + strcspn(auth + 3, "/?");

		at = memchr(auth + 3, '@', (size_t)(end - auth - 3));
		if (at) {
			memmove(auth + 3, at + 1, strlen(at + 1) + 1);
			if (try_url(c, u, off, len))
				return;
		}
	}
	q = strchr(u, '?');
	if (q) {
		*q = '\0';
		if (try_url(c, u, off, len))
			return;
	}
	auth = strstr(u, "://");
	auth = auth ? strchr(auth + 3, '/') : NULL;
	if (!auth)
		return;
	root = (size_t)(auth - u);
	full = strlen(u);
	for (p = full; p > root && !c->rc;) {
		char keep;

		do
			p--;
		while (p > root && u[p] != '/');
		/* u[p] is the '/' before the last segment. */
		if (p + 1 < full) {
			keep = u[p + 1];
			u[p + 1] = '\0';
			if (try_url(c, u, off, len))
				return;
			u[p + 1] = keep;
		}
		if (p == root)
			break;
		u[p] = '\0';
		full = p;
		if (try_url(c, u, off, len))
			return;
	}
}

static int name_char(unsigned char ch)
{
	return cs__isalnum(ch) || ch == '.' || ch == '-' || ch == '_';
}

static int url_stop(unsigned char ch)
{
	return ch <= 0x20 || ch == 0x7f || ch == '"' || ch == '\'' || ch == '<' || ch == '>' ||
	       ch == '`' || ch == '|' || ch == '{' || ch == '}' || ch == '^' || ch == '\\';
}

/* A strict dotted quad; 1 and the address when [s, s+n) is one. */
static int dotted_quad(const char *s, size_t n, unsigned char *addr)
{
	char buf[16];

	if (n < 7 || n > 15)
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(AF_INET, buf, addr) == 1;
}

static int all_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!cs__isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* IPv6 candidates: runs of hex digits, ':' and '.', with two colons or
 * more; brackets and a "%zone" are not part of the address. */
static void scan_v6(struct tm_ctx *c, size_t n)
{
	const char *s = c->s;
	size_t i = 0;

	while (i < n && !c->rc) {
		size_t j = i, colons = 0;
		unsigned char addr[16];
		char buf[INET6_ADDRSTRLEN + 1];

		if (!(cs__isxdigit((unsigned char)s[i]) || s[i] == ':')) {
			i++;
			continue;
		}
		if ((i == 0 && (c->cut & CS_TEXT_CUT_LEFT)) ||
		    (i > 0 && (cs__isalnum((unsigned char)s[i - 1]) || s[i - 1] == '.'))) {
			while (i < n && (cs__isalnum((unsigned char)s[i]) || s[i] == ':'))
				i++;
			continue;
		}
		while (j < n && (cs__isxdigit((unsigned char)s[j]) || s[j] == ':' || s[j] == '.')) {
			colons += s[j] == ':';
			j++;
		}
		if (colons >= 2 && j - i <= INET6_ADDRSTRLEN &&
		    (j == n ? !(c->cut & CS_TEXT_CUT_RIGHT) : !cs__isalnum((unsigned char)s[j]))) {
			size_t e = j;

			while (e > i && s[e - 1] == '.')
				e--;
			memcpy(buf, s + i, e - i);
			buf[e - i] = '\0';
			if (inet_pton(AF_INET6, buf, addr) == 1)
				match_addr(c, 6, addr, (size_t)(s + i - c->s), e - i);
		}
		i = j > i ? j : i + 1;
	}
}

size_t cs__match_text_span(const struct cs_matcher *m)
{
	/* Names are at most NAME_MAX_LEN, digests 128, addresses shorter; a
	 * URL's run is at most URL_MAX_LEN; an e-mail match is as long as
	 * its indicator. */
	return m->email_max > URL_MAX_LEN ? m->email_max : URL_MAX_LEN;
}

int cs__match_text_ref(const struct cs_matcher *m, const char *s, size_t n, cs_text_fn fn,
                       void *ud)
{
	return cs__match_text_window_ref(m, s, n, 0, n, 0, fn, ud);
}

int cs__match_text(const struct cs_matcher *m, const char *s, size_t n, cs_text_fn fn, void *ud)
{
	return cs__match_text_window(m, s, n, 0, n, 0, fn, ud);
}

int cs__match_text_window(const struct cs_matcher *m, const char *s, size_t n, size_t from,
                          size_t to, unsigned cut, cs_text_fn fn, void *ud)
{
	if (m->tf && !cs__tfilter_any(m->tf, s, n))
		return 0;
	return cs__match_text_window_ref(m, s, n, from, to, cut, fn, ud);
}

/* The reference matcher. One pass over the window: runs of name
 * characters are names, dotted quads or digests, a run followed by "://"
 * starts a URL, a run after '@' ends an e-mail address; IPv6 candidates
 * are found in a second pass. A run that touches a cut edge is skipped:
 * its true extent is not known. */
int cs__match_text_window_ref(const struct cs_matcher *m, const char *s, size_t n, size_t from,
                              size_t to, unsigned cut, cs_text_fn fn, void *ud)
{
	struct tm_ctx c;
	size_t i = 0;

	if (!m->ndomain && !m->naddr && !m->nurl && !m->nemail && !m->hashes)
		return 0;
	memset(&c, 0, sizeof(c));
	c.m = m;
	c.s = s;
	c.fn = fn;
	c.ud = ud;
	c.from = from;
	c.to = to;
	c.cut = cut;
	cs__buf_init(&c.norm, URL_MAX_LEN * 4);
	while (i < n && !c.rc) {
		size_t j;
		unsigned char addr[16];

		if (!name_char((unsigned char)s[i])) {
			i++;
			continue;
		}
		j = i;
		while (j < n && name_char((unsigned char)s[j]))
			j++;
		if ((i == 0 && (cut & CS_TEXT_CUT_LEFT)) || (j == n && (cut & CS_TEXT_CUT_RIGHT))) {
			i = j;
			continue;
		}
		/* A URL starts with "scheme://"; a run longer than
		 * URL_MAX_LEN is none, so a URL's extent is bounded. */
		if (j + 2 < n && s[j] == ':' && s[j + 1] == '/' && s[j + 2] == '/' &&
		    cs__isalpha((unsigned char)s[i])) {
			size_t e = j + 3;

			while (e < n && e - i <= URL_MAX_LEN && !url_stop((unsigned char)s[e]))
				e++;
			if (e - i <= URL_MAX_LEN && !(e == n && (cut & CS_TEXT_CUT_RIGHT))) {
				while (e > j + 3 && strchr(").,;:!?]", s[e - 1]))
					e--;
				match_url(&c, i, e - i);
			}
			/* Its host and the rest are scanned as text below. */
		}
		{
			size_t a = i, b = j;

			/* Names do not start or end with '.', '-' or '_'. */
			while (a < b && (s[a] == '.' || s[a] == '-' || s[a] == '_'))
				a++;
			while (b > a && (s[b - 1] == '-' || s[b - 1] == '_'))
				b--;
			if (b > a) {
				if (all_hex(s + a, b - a) && a == i && b == j)
					match_hash(&c, a, b - a);
				else if (dotted_quad(s + a, (b - a) - (s[b - 1] == '.'), addr))
					match_addr(&c, 4, addr, a, b - a - (s[b - 1] == '.'));
				else if (memchr(s + a, '.', b - a))
					match_name(&c, a, b - a);
				/* local@name: the address as a whole. */
				if (!c.rc && m->nemail && i > 1 && s[i - 1] == '@' &&
				    memchr(s + a, '.', b - a)) {
					size_t l = i - 1;
					char *e;
					const struct cs_indicator *ind;

					while (l > 0 && !url_stop((unsigned char)s[l - 1]) &&
					       s[l - 1] != ':' && s[l - 1] != '/' &&
					       s[l - 1] != ',' && s[l - 1] != ';' &&
					       s[l - 1] != '(' && s[l - 1] != '[')
						l--;
					e = l == 0 && (cut & CS_TEXT_CUT_LEFT)
					            ? NULL
					            : cs__strndup(s + l, b - l);
					if (e) {
						size_t k;

						for (k = i - l; e[k]; k++)
							e[k] = (char)cs__lower((unsigned char)e[k]);
						ind = l < i - 1 ? find(&c, CS_KIND_EMAIL, e) : NULL;
						if (ind)
							report(&c, CS_KIND_EMAIL, l, b - l, ind);
						free(e);
					}
				}
			}
		}
		i = j;
	}
	if (!c.rc && m->naddr && memchr(s, ':', n))
		scan_v6(&c, n);
	cs__buf_release(&c.norm);
	return c.rc;
}

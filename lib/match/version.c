/*
 * Version ordering per ecosystem (docs/software.md).
 *
 * dpkg: Debian policy 5.6.12 (epoch, upstream, revision; '~' before
 * everything, letters before other characters). RPM: rpmvercmp (epoch,
 * version, release; '~' and '^'). Alpine: the suffixes _alpha, _beta,
 * _pre and _rc sort before the release and the rest after it; otherwise
 * rpmvercmp. npm and Cargo: semver 2.0.0 (prerelease identifiers,
 * build metadata ignored). Go: semver with a leading "v" (pseudo-versions
 * are prereleases; "+incompatible" is build metadata). PyPI: PEP 440.
 * Everything else: the generic vendor order, rpmvercmp over the version
 * with a leading "v" or "r" before a digit dropped ("18.12.416",
 * "r7.17.90p608").
 *
 * A version that does not parse is CS_ERR_PARSE, never an order.
 */
#include <string.h>

#include "chainsweep/software.h"
#include "core/core_int.h"

#define VERSION_MAX 256 /* longer versions are not versions */

/* ------------------------------------------------------------------ ecosystems */

static const char *const eco_names[CS_ECO_NCOUNT] = {
        [CS_ECO_UNKNOWN] = "unknown", [CS_ECO_DEBIAN] = "Debian",
        [CS_ECO_RPM] = "RPM",         [CS_ECO_ALPINE] = "Alpine",
        [CS_ECO_NPM] = "npm",         [CS_ECO_PYPI] = "PyPI",
        [CS_ECO_GO] = "Go",           [CS_ECO_CARGO] = "crates.io",
        [CS_ECO_MAVEN] = "Maven",     [CS_ECO_RUBYGEMS] = "RubyGems",
        [CS_ECO_NUGET] = "NuGet",     [CS_ECO_PRODUCT] = "product",
        [CS_ECO_SEMVER] = "SEMVER",   [CS_ECO_PACKAGIST] = "Packagist",
};

const char *cs_ecosystem_name(enum cs_ecosystem eco)
{
	if ((unsigned)eco >= CS_ECO_NCOUNT)
		return "unknown";
	return eco_names[eco];
}

static const struct {
	const char *name;
	enum cs_ecosystem eco;
} osv_ecos[] = {
        {"debian", CS_ECO_DEBIAN},     {"ubuntu", CS_ECO_DEBIAN},
        {"red hat", CS_ECO_RPM},       {"redhat", CS_ECO_RPM},
        {"rocky linux", CS_ECO_RPM},   {"almalinux", CS_ECO_RPM},
        {"suse", CS_ECO_RPM},          {"opensuse", CS_ECO_RPM},
        {"mageia", CS_ECO_RPM},        {"openeuler", CS_ECO_RPM},
        {"alpine", CS_ECO_ALPINE},     {"wolfi", CS_ECO_ALPINE},
        {"chainguard", CS_ECO_ALPINE}, {"npm", CS_ECO_NPM},
        {"pypi", CS_ECO_PYPI},         {"go", CS_ECO_GO},
        {"crates.io", CS_ECO_CARGO},   {"maven", CS_ECO_MAVEN},
        {"rubygems", CS_ECO_RUBYGEMS}, {"nuget", CS_ECO_NUGET},
        {"product", CS_ECO_PRODUCT},   {"packagist", CS_ECO_PACKAGIST},
};

enum cs_ecosystem cs_ecosystem_from_osv(const char *name)
{
	size_t n, i;
	const char *colon;

	if (!name)
		return CS_ECO_UNKNOWN;
	colon = strchr(name, ':');
	n = colon ? (size_t)(colon - name) : strlen(name);
	for (i = 0; i < CS_ARRAY_SIZE(osv_ecos); i++) {
		if (cs__eqi(name, n, osv_ecos[i].name))
			return osv_ecos[i].eco;
	}
	return CS_ECO_UNKNOWN;
}

static const struct {
	const char *type;
	enum cs_ecosystem eco;
} purl_types[] = {
        {"deb", CS_ECO_DEBIAN},         {"rpm", CS_ECO_RPM},     {"apk", CS_ECO_ALPINE},
        {"alpm", CS_ECO_UNKNOWN},       {"npm", CS_ECO_NPM},     {"pypi", CS_ECO_PYPI},
        {"golang", CS_ECO_GO},          {"cargo", CS_ECO_CARGO}, {"maven", CS_ECO_MAVEN},
        {"gem", CS_ECO_RUBYGEMS},       {"nuget", CS_ECO_NUGET}, {"generic", CS_ECO_PRODUCT},
        {"composer", CS_ECO_PACKAGIST},
};

enum cs_ecosystem cs_ecosystem_from_purl_type(const char *type)
{
	size_t i;

	if (!type)
		return CS_ECO_UNKNOWN;
	for (i = 0; i < CS_ARRAY_SIZE(purl_types); i++) {
		if (cs__eqi(type, strlen(type), purl_types[i].type))
			return purl_types[i].eco;
	}
	return CS_ECO_UNKNOWN;
}

static int sign(long long v)
{
	return (v > 0) - (v < 0);
}

/* ------------------------------------------------------------------ dpkg */

static int dpkg_order(int c)
{
	if (cs__isdigit(c))
		return 0;
	if (cs__isalpha(c))
		return c;
	if (c == '~')
		return -1;
	if (c)
		return c + 256;
	return 0;
}

/* dpkg's verrevcmp over two counted strings. */
static int dpkg_part_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i = 0, j = 0;

	while (i < an || j < bn) {
		int first_diff = 0;

		while ((i < an && !cs__isdigit((unsigned char)a[i])) ||
		       (j < bn && !cs__isdigit((unsigned char)b[j]))) {
			int ac = dpkg_order(i < an ? (unsigned char)a[i] : 0);
			int bc = dpkg_order(j < bn ? (unsigned char)b[j] : 0);

			if (ac != bc)
				return sign(ac - bc);
			i++;
			j++;
		}
		while (i < an && a[i] == '0')
			i++;
		while (j < bn && b[j] == '0')
			j++;
		while (i < an && j < bn && cs__isdigit((unsigned char)a[i]) &&
		       cs__isdigit((unsigned char)b[j])) {
			if (!first_diff)
				first_diff = a[i] - b[j];
			i++;
			j++;
		}
		if (i < an && cs__isdigit((unsigned char)a[i]))
			return 1;
		if (j < bn && cs__isdigit((unsigned char)b[j]))
			return -1;
		if (first_diff)
			return sign(first_diff);
	}
	return 0;
}

struct dpkg_ver {
	unsigned long long epoch;
	const char *up, *rev;
	size_t up_len, rev_len;
};

static int dpkg_parse(const char *s, struct dpkg_ver *v)
{
	size_t n = strlen(s), i;
	const char *colon = memchr(s, ':', n), *dash;

	if (n == 0 || n > VERSION_MAX)
		return -1;
	v->epoch = 0;
	if (colon) {
		if (colon == s)
			return -1;
		for (i = 0; s + i < colon; i++) {
			if (!cs__isdigit((unsigned char)s[i]) || i > 9)
				return -1;
			v->epoch = v->epoch * 10 + (unsigned)(s[i] - '0');
		}
		n -= (size_t)(colon + 1 - s);
		s = colon + 1;
	}
	dash = NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '-')
			dash = s + i;
	}
	v->up = s;
	v->up_len = dash ? (size_t)(dash - s) : n;
	v->rev = dash ? dash + 1 : "";
	v->rev_len = dash ? n - v->up_len - 1 : 0;
	if (v->up_len == 0 || !cs__isdigit((unsigned char)v->up[0]))
		return -1;
	if (dash && v->rev_len == 0)
		return -1;
	for (i = 0; i < v->up_len; i++) {
		int c = (unsigned char)v->up[i];

		if (!cs__isalnum(c) && !strchr(".+~-:", c))
			return -1;
		if (c == ':' && !colon)
			return -1;
	}
	for (i = 0; i < v->rev_len; i++) {
		int c = (unsigned char)v->rev[i];

		if (!cs__isalnum(c) && !strchr(".+~", c))
			return -1;
	}
	return 0;
}

static int dpkg_cmp(const char *a, const char *b, int *cmp)
{
	struct dpkg_ver va, vb;
	int r;

	if (dpkg_parse(a, &va) || dpkg_parse(b, &vb))
		return CS_ERR_PARSE;
	if (va.epoch != vb.epoch) {
		*cmp = va.epoch < vb.epoch ? -1 : 1;
		return CS_OK;
	}
	r = dpkg_part_cmp(va.up, va.up_len, vb.up, vb.up_len);
	if (!r)
		r = dpkg_part_cmp(va.rev, va.rev_len, vb.rev, vb.rev_len);
	*cmp = r;
	return CS_OK;
}

/* ------------------------------------------------------------------ rpm */

/* rpmvercmp over two counted strings. */
static int rpm_part_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i = 0, j = 0;

	if (an == bn && memcmp(a, b, an) == 0)
		return 0;
	while (i < an || j < bn) {
		size_t si, sj, la, lb;
		int isnum, r;

		while (i < an && !cs__isalnum((unsigned char)a[i]) && a[i] != '~' && a[i] != '^')
			i++;
		while (j < bn && !cs__isalnum((unsigned char)b[j]) && b[j] != '~' && b[j] != '^')
			j++;
		if ((i < an && a[i] == '~') || (j < bn && b[j] == '~')) {
			if (!(i < an && a[i] == '~'))
				return 1;
			if (!(j < bn && b[j] == '~'))
				return -1;
			i++;
			j++;
			continue;
		}
		if ((i < an && a[i] == '^') || (j < bn && b[j] == '^')) {
			if (i >= an)
				return -1;
			if (j >= bn)
				return 1;
			if (a[i] != '^')
				return 1;
			if (b[j] != '^')
				return -1;
			i++;
			j++;
			continue;
		}
		if (i >= an || j >= bn)
			break;
		si = i;
		sj = j;
		isnum = cs__isdigit((unsigned char)a[i]);
		if (isnum) {
			while (i < an && cs__isdigit((unsigned char)a[i]))
				i++;
			while (j < bn && cs__isdigit((unsigned char)b[j]))
				j++;
		} else {
			while (i < an && cs__isalpha((unsigned char)a[i]))
				i++;
			while (j < bn && cs__isalpha((unsigned char)b[j]))
				j++;
		}
		if (j == sj)
			return isnum ? 1 : -1;
		if (isnum) {
			while (si < i && a[si] == '0')
				si++;
			while (sj < j && b[sj] == '0')
				sj++;
			if (i - si != j - sj)
				return i - si > j - sj ? 1 : -1;
		}
		la = i - si;
		lb = j - sj;
		r = memcmp(a + si, b + sj, la < lb ? la : lb);
		if (r)
			return sign(r);
		if (la != lb)
			return la > lb ? 1 : -1;
	}
	if (i >= an && j >= bn)
		return 0;
	return i < an ? 1 : -1;
}

static int printable_version(const char *s)
{
	size_t n = strlen(s), i, digits = 0;

	if (n == 0 || n > VERSION_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c >= 0x7f)
			return 0;
		digits += cs__isdigit(c);
	}
	return digits > 0;
}

struct rpm_ver {
	unsigned long long epoch;
	const char *v, *r;
	size_t vn, rn;
};

static int rpm_parse(const char *s, struct rpm_ver *v, char release_sep)
{
	size_t n = strlen(s), i = 0;
	const char *dash;

	if (!printable_version(s))
		return -1;
	v->epoch = 0;
	while (i < n && cs__isdigit((unsigned char)s[i]) && i < 10)
		i++;
	if (i > 0 && i < n && s[i] == ':') {
		size_t k;

		for (k = 0; k < i; k++)
			v->epoch = v->epoch * 10 + (unsigned)(s[k] - '0');
		s += i + 1;
		n -= i + 1;
	}
	dash = NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '-' && (release_sep != 'r' || (i + 1 < n && s[i + 1] == 'r')))
			dash = s + i;
	}
	v->v = s;
	v->vn = dash ? (size_t)(dash - s) : n;
	v->r = dash ? dash + 1 : NULL;
	v->rn = dash ? n - v->vn - 1 : 0;
	if (release_sep == 'r' && v->r) {
		v->r++;
		v->rn--;
	}
	return v->vn ? 0 : -1;
}

static int rpm_evr_cmp(const char *a, const char *b, int *cmp, char release_sep)
{
	struct rpm_ver va, vb;
	int r;

	if (rpm_parse(a, &va, release_sep) || rpm_parse(b, &vb, release_sep))
		return CS_ERR_PARSE;
	if (va.epoch != vb.epoch) {
		*cmp = va.epoch < vb.epoch ? -1 : 1;
		return CS_OK;
	}
	r = rpm_part_cmp(va.v, va.vn, vb.v, vb.vn);
	if (!r && va.r && vb.r)
		r = rpm_part_cmp(va.r, va.rn, vb.r, vb.rn);
	*cmp = r;
	return CS_OK;
}

/* ------------------------------------------------------------------ alpine */

/* Rewrite apk's pre-release suffixes so that rpmvercmp orders them:
 * "_alpha1" -> "~alpha1" (before the release), "_p1" -> "^p1" (after). */
static int apk_rewrite(const char *s, char *out, size_t cap)
{
	static const char *const pre[] = {"_alpha", "_beta", "_pre", "_rc"};
	static const char *const post[] = {"_cvs", "_svn", "_git", "_hg", "_p"};
	size_t i = 0, o = 0, n = strlen(s), k;

	if (n >= cap)
		return -1;
	while (i < n) {
		int done = 0;

		if (s[i] == '_') {
			for (k = 0; k < CS_ARRAY_SIZE(pre) && !done; k++) {
				size_t l = strlen(pre[k]);

				if (strncmp(s + i, pre[k], l) == 0) {
					out[o++] = '~';
					i++;
					done = 1;
				}
			}
			for (k = 0; k < CS_ARRAY_SIZE(post) && !done; k++) {
				size_t l = strlen(post[k]);

				if (strncmp(s + i, post[k], l) == 0) {
					out[o++] = '^';
					i++;
					done = 1;
				}
			}
			if (!done)
				return -1;
			continue;
		}
		out[o++] = s[i++];
	}
	out[o] = '\0';
	return 0;
}

static int apk_cmp(const char *a, const char *b, int *cmp)
{
	char ra[VERSION_MAX + 1], rb[VERSION_MAX + 1];

	if (apk_rewrite(a, ra, sizeof(ra)) || apk_rewrite(b, rb, sizeof(rb)) ||
	    !cs__isdigit((unsigned char)ra[0]) || !cs__isdigit((unsigned char)rb[0]))
		return CS_ERR_PARSE;
	return rpm_evr_cmp(ra, rb, cmp, 'r');
}

/* ------------------------------------------------------------------ semver */

struct semver {
	unsigned long long num[3];
	const char *pre; /* NULL when none */
	size_t pre_len;
};

static int parse_num(const char **p, const char *end, unsigned long long *out, int strict)
{
	const char *s = *p;
	unsigned long long v = 0;

	if (s >= end || !cs__isdigit((unsigned char)*s))
		return -1;
	if (strict && *s == '0' && s + 1 < end && cs__isdigit((unsigned char)s[1]))
		return -1;
	while (s < end && cs__isdigit((unsigned char)*s)) {
		if (v > 99999999999999999ULL)
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
		s++;
	}
	*p = s;
	*out = v;
	return 0;
}

/* Identifiers: non-empty, [0-9A-Za-z-]. */
static int semver_idents_ok(const char *s, size_t n)
{
	size_t i, run = 0;

	if (n == 0)
		return 0;
	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (run == 0)
				return 0;
			run = 0;
			continue;
		}
		if (!cs__isalnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
		run++;
	}
	return 1;
}

/* `vprefix`: 0 none allowed, 1 optional, 2 required. */
static int semver_parse(const char *s, struct semver *v, int vprefix)
{
	size_t n = strlen(s);
	const char *end = s + n, *plus, *p;
	int i;

	if (n == 0 || n > VERSION_MAX)
		return -1;
	if (*s == 'v' || (vprefix == 1 && *s == '=')) {
		if (!vprefix)
			return -1;
		s++;
	} else if (vprefix == 2) {
		return -1;
	}
	plus = memchr(s, '+', (size_t)(end - s));
	if (plus) {
		if (!semver_idents_ok(plus + 1, (size_t)(end - plus - 1)))
			return -1;
		end = plus;
	}
	p = s;
	for (i = 0; i < 3; i++) {
		if (i && (p >= end || *p++ != '.'))
			return -1;
		if (parse_num(&p, end, &v->num[i], 1))
			return -1;
	}
	v->pre = NULL;
	v->pre_len = 0;
	if (p < end) {
		if (*p != '-')
			return -1;
		p++;
		if (!semver_idents_ok(p, (size_t)(end - p)))
			return -1;
		v->pre = p;
		v->pre_len = (size_t)(end - p);
	}
	return 0;
}

static int all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!cs__isdigit((unsigned char)s[i]))
			return 0;
	}
	return n > 0;
}

/* Precedence of two prerelease strings (semver 2.0.0, item 11). */
static int semver_pre_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i = 0, j = 0;

	while (i < an && j < bn) {
		size_t si = i, sj = j, la, lb;
		int da, db, r;

		while (i < an && a[i] != '.')
			i++;
		while (j < bn && b[j] != '.')
			j++;
		la = i - si;
		lb = j - sj;
		da = all_digits(a + si, la);
		db = all_digits(b + sj, lb);
		if (da && db) {
			while (la > 1 && a[si] == '0') {
				si++;
				la--;
			}
			while (lb > 1 && b[sj] == '0') {
				sj++;
				lb--;
			}
			if (la != lb)
				return la < lb ? -1 : 1;
			r = memcmp(a + si, b + sj, la);
			if (r)
				return sign(r);
		} else if (da != db) {
			return da ? -1 : 1;
		} else {
			r = memcmp(a + si, b + sj, la < lb ? la : lb);
			if (r)
				return sign(r);
			if (la != lb)
				return la < lb ? -1 : 1;
		}
		i += i < an;
		j += j < bn;
	}
	if (i < an)
		return 1;
	if (j < bn)
		return -1;
	return 0;
}

static int semver_cmp(const char *a, const char *b, int *cmp, int vprefix)
{
	struct semver va, vb;
	int i;

	if (semver_parse(a, &va, vprefix) || semver_parse(b, &vb, vprefix))
		return CS_ERR_PARSE;
	for (i = 0; i < 3; i++) {
		if (va.num[i] != vb.num[i]) {
			*cmp = va.num[i] < vb.num[i] ? -1 : 1;
			return CS_OK;
		}
	}
	if (!va.pre || !vb.pre)
		*cmp = va.pre ? -1 : vb.pre ? 1 : 0;
	else
		*cmp = semver_pre_cmp(va.pre, va.pre_len, vb.pre, vb.pre_len);
	return CS_OK;
}

/* ------------------------------------------------------------------ PEP 440 */

#define PEP_MAX_RELEASE 16

struct pep440 {
	unsigned long long epoch;
	unsigned long long rel[PEP_MAX_RELEASE];
	int nrel;
	int pre_kind; /* 0 none, 1 a, 2 b, 3 rc */
	unsigned long long pre;
	int has_post, has_dev;
	unsigned long long post, dev;
	char local[VERSION_MAX + 1]; /* lower-cased, "" when none */
};

static int eat_word(const char **p, const char *end, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(end - *p) >= n && cs__strncasecmp(*p, w, n) == 0) {
		*p += n;
		return 1;
	}
	return 0;
}

static int is_sep(int c)
{
	return c == '.' || c == '-' || c == '_';
}

/* An optional separator and number after a pre/post/dev word. */
static unsigned long long pep_opt_num(const char **p, const char *end)
{
	const char *s = *p;
	unsigned long long v = 0;

	if (s < end && is_sep((unsigned char)*s) && s + 1 < end && cs__isdigit((unsigned char)s[1]))
		s++;
	if (s < end && cs__isdigit((unsigned char)*s)) {
		if (parse_num(&s, end, &v, 0))
			return 0;
		*p = s;
	}
	return v;
}

static int pep440_parse(const char *s, struct pep440 *v)
{
	size_t n = strlen(s);
	const char *p, *end, *plus;

	memset(v, 0, sizeof(*v));
	cs__trim(&s, &n);
	if (n == 0 || n > VERSION_MAX)
		return -1;
	end = s + n;
	p = s;
	if (*p == 'v' || *p == 'V')
		p++;
	plus = memchr(p, '+', (size_t)(end - p));
	if (plus) {
		size_t k, ln = (size_t)(end - plus - 1);

		if (ln == 0)
			return -1;
		for (k = 0; k < ln; k++) {
			int c = (unsigned char)plus[1 + k];

			if (!cs__isalnum(c) && !is_sep(c))
				return -1;
			v->local[k] = is_sep(c) ? '.' : (char)cs__lower(c);
		}
		v->local[ln] = '\0';
		end = plus;
	}
	/* Epoch. */
	{
		const char *q = p;
		unsigned long long e;

		if (!parse_num(&q, end, &e, 0) && q < end && *q == '!') {
			v->epoch = e;
			p = q + 1;
		}
	}
	do {
		if (v->nrel == PEP_MAX_RELEASE)
			return -1;
		if (parse_num(&p, end, &v->rel[v->nrel++], 0))
			return -1;
	} while (p + 1 < end && *p == '.' && cs__isdigit((unsigned char)p[1]) && p++);
	/* Pre-release. */
	{
		const char *q = p;
		static const struct {
			const char *w;
			int kind;
		} pre[] = {{"alpha", 1}, {"beta", 2}, {"preview", 3}, {"pre", 3},
		           {"rc", 3},    {"a", 1},    {"b", 2},       {"c", 3}};
		size_t k;

		if (q < end && is_sep((unsigned char)*q))
			q++;
		for (k = 0; k < CS_ARRAY_SIZE(pre); k++) {
			if (eat_word(&q, end, pre[k].w)) {
				v->pre_kind = pre[k].kind;
				v->pre = pep_opt_num(&q, end);
				p = q;
				break;
			}
		}
	}
	/* Post-release. */
	{
		const char *q = p;

		if (q < end && *q == '-' && q + 1 < end && cs__isdigit((unsigned char)q[1])) {
			q++;
			if (parse_num(&q, end, &v->post, 0))
				return -1;
			v->has_post = 1;
			p = q;
		} else {
			if (q < end && is_sep((unsigned char)*q))
				q++;
			if (eat_word(&q, end, "post") || eat_word(&q, end, "rev") ||
			    eat_word(&q, end, "r")) {
				v->post = pep_opt_num(&q, end);
				v->has_post = 1;
				p = q;
			}
		}
	}
	/* Development release. */
	{
		const char *q = p;

		if (q < end && is_sep((unsigned char)*q))
			q++;
		if (eat_word(&q, end, "dev")) {
			v->dev = pep_opt_num(&q, end);
			v->has_dev = 1;
			p = q;
		}
	}
	return p == end ? 0 : -1;
}

static int ull_cmp(unsigned long long a, unsigned long long b)
{
	return a < b ? -1 : a > b;
}

/* Local version labels: segments; numbers sort after words. */
static int pep_local_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		size_t la = strcspn(a, "."), lb = strcspn(b, ".");
		int da = all_digits(a, la), db = all_digits(b, lb), r;

		if (da && db) {
			unsigned long long x = 0, y = 0;
			const char *pa = a, *pb = b;

			parse_num(&pa, a + la, &x, 0);
			parse_num(&pb, b + lb, &y, 0);
			r = ull_cmp(x, y);
		} else if (da != db) {
			r = da ? 1 : -1;
		} else {
			r = memcmp(a, b, la < lb ? la : lb);
			r = r ? sign(r) : (la != lb ? (la < lb ? -1 : 1) : 0);
		}
		if (r)
			return r;
		a += la + (a[la] == '.');
		b += lb + (b[lb] == '.');
	}
	return *a ? 1 : *b ? -1 : 0;
}

static int pep440_cmp(const char *a, const char *b, int *cmp)
{
	struct pep440 va, vb;
	int i, n, r;
	/* Keys per PEP 440 / packaging: a dev-only release sorts before any
	 * pre-release of the same release, no pre-release after them all;
	 * no post-release before any; no dev-release after any. */
	long long pa, pb;

	if (pep440_parse(a, &va) || pep440_parse(b, &vb))
		return CS_ERR_PARSE;
	r = ull_cmp(va.epoch, vb.epoch);
	n = va.nrel > vb.nrel ? va.nrel : vb.nrel;
	for (i = 0; !r && i < n; i++)
		r = ull_cmp(i < va.nrel ? va.rel[i] : 0, i < vb.nrel ? vb.rel[i] : 0);
	if (!r) {
		pa = va.pre_kind ? va.pre_kind : (!va.has_post && va.has_dev ? -1 : 9);
		pb = vb.pre_kind ? vb.pre_kind : (!vb.has_post && vb.has_dev ? -1 : 9);
		r = sign(pa - pb);
		if (!r && va.pre_kind)
			r = ull_cmp(va.pre, vb.pre);
	}
	if (!r) {
		r = sign((long long)va.has_post - vb.has_post);
		if (!r && va.has_post)
			r = ull_cmp(va.post, vb.post);
	}
	if (!r) {
		r = sign((long long)vb.has_dev - va.has_dev);
		if (!r && va.has_dev)
			r = ull_cmp(va.dev, vb.dev);
	}
	if (!r) {
		if (!va.local[0] || !vb.local[0])
			r = va.local[0] ? 1 : vb.local[0] ? -1 : 0;
		else
			r = pep_local_cmp(va.local, vb.local);
	}
	*cmp = r;
	return CS_OK;
}

/* ------------------------------------------------------------------ generic */

/* Drop a leading "v"/"r" before a digit; require a digit; only version
 * characters. */
static const char *generic_start(const char *s)
{
	size_t i;

	if (!printable_version(s))
		return NULL;
	if ((s[0] == 'v' || s[0] == 'V' || s[0] == 'r' || s[0] == 'R') &&
	    cs__isdigit((unsigned char)s[1]))
		s++;
	for (i = 0; s[i]; i++) {
		int c = (unsigned char)s[i];

		if (!cs__isalnum(c) && !strchr(".-_+~:^", c))
			return NULL;
	}
	return s;
}

static int generic_cmp(const char *a, const char *b, int *cmp)
{
	const char *ga = generic_start(a), *gb = generic_start(b);

	if (!ga || !gb)
		return CS_ERR_PARSE;
	*cmp = rpm_part_cmp(ga, strlen(ga), gb, strlen(gb));
	return CS_OK;
}

/* ------------------------------------------------------------------ dispatch */

int cs_version_cmp(enum cs_ecosystem eco, const char *a, const char *b, int *cmp)
{
	int r = 0, rc;

	if (!a || !b || !cmp)
		return CS_ERR_INVALID;
	switch (eco) {
	case CS_ECO_DEBIAN:
		rc = dpkg_cmp(a, b, &r);
		break;
	case CS_ECO_RPM:
		rc = rpm_evr_cmp(a, b, &r, '-');
		break;
	case CS_ECO_ALPINE:
		rc = apk_cmp(a, b, &r);
		break;
	case CS_ECO_NPM:
		rc = semver_cmp(a, b, &r, 1);
		break;
	case CS_ECO_CARGO:
	case CS_ECO_SEMVER:
		rc = semver_cmp(a, b, &r, eco == CS_ECO_SEMVER);
		break;
	case CS_ECO_GO:
		rc = semver_cmp(a, b, &r, 1);
		break;
	case CS_ECO_PYPI:
		rc = pep440_cmp(a, b, &r);
		break;
	default:
		rc = generic_cmp(a, b, &r);
		break;
	}
	if (rc)
		return rc;
	*cmp = sign(r);
	return CS_OK;
}

int cs_version_valid(enum cs_ecosystem eco, const char *v)
{
	int c;

	return v && cs_version_cmp(eco, v, v, &c) == CS_OK;
}

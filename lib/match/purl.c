/*
 * Package URLs (github.com/package-url/purl-spec):
 *
 *   pkg:type/namespace/name@version?key=value&key=value#subpath
 *
 * Parsed right to left as the specification says: the subpath after '#',
 * qualifiers after '?', the version after the last '@' of the rest, the
 * name after its last '/', the namespace before it. Each part is
 * percent-decoded; the type and qualifier keys are lower-cased, as are
 * the namespace and name of the types the specification says are case
 * insensitive (npm, pypi, deb, apk, golang namespace, ...). PyPI names
 * also have '_' turned into '-'.
 */
#include <stdlib.h>
#include <string.h>

#include "chainsweep/software.h"
#include "core/core_int.h"

#define PURL_MAX 4096

static int hexval(int c)
{
	if (cs__isdigit(c))
		return c - '0';
	c = cs__lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode [s, s+n) in place into out (which may equal s); NUL-terminates.
 * A bad escape or an encoded NUL is an error. */
static int decode(char *out, const char *s, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			int h, l;

			if (i + 2 >= n)
				return -1;
			h = hexval((unsigned char)s[i + 1]);
			l = hexval((unsigned char)s[i + 2]);
			if (h < 0 || l < 0 || (h == 0 && l == 0))
				return -1;
			out[o++] = (char)(h * 16 + l);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return 0;
}

static void lower_str(char *s)
{
	for (; s && *s; s++)
		*s = (char)cs__lower((unsigned char)*s);
}

static int type_lowercases_name(const char *t)
{
	static const char *const types[] = {"npm",    "pypi",     "deb", "apk",      "bitbucket",
	                                    "github", "composer", "hex", "luarocks", "alpm"};
	size_t i;

	for (i = 0; i < CS_ARRAY_SIZE(types); i++) {
		if (strcmp(t, types[i]) == 0)
			return 1;
	}
	return 0;
}

void cs_purl_release(struct cs_purl *p)
{
	if (!p)
		return;
	free(p->buf_);
	memset(p, 0, sizeof(*p));
}

const char *cs_purl_qualifier(const struct cs_purl *p, const char *key)
{
	size_t i;

	for (i = 0; p && i < p->nqualifiers; i++) {
		if (strcmp(p->qkey[i], key) == 0)
			return p->qval[i];
	}
	return NULL;
}

/* Trim '/' from both ends of [*s, *s + *n). */
static void trim_slashes(char **s, size_t *n)
{
	while (*n && **s == '/') {
		(*s)++;
		(*n)--;
	}
	while (*n && (*s)[*n - 1] == '/')
		(*n)--;
}

int cs_purl_parse(const char *s, struct cs_purl *out)
{
	struct cs_purl p;
	char *b, *rest, *hash, *q, *at, *slash, *colon;
	size_t n, rn, i;

	if (!s || !out)
		return CS_ERR_INVALID;
	n = strlen(s);
	if (n > PURL_MAX || n < 6 || cs__strncasecmp(s, "pkg:", 4) != 0)
		return CS_ERR_PARSE;
	memset(&p, 0, sizeof(p));
	/* Two copies' worth: the raw text and the decoded parts. */
	b = cs__malloc(n + 1);
	if (!b)
		return CS_ERR_NOMEM;
	memcpy(b, s, n + 1);
	p.buf_ = b;
	rest = b + 4;
	while (*rest == '/')
		rest++;
	hash = strchr(rest, '#');
	if (hash) {
		char *sp = hash + 1;
		size_t sn = strlen(sp);

		*hash = '\0';
		trim_slashes(&sp, &sn);
		if (sn) {
			sp[sn] = '\0';
			if (decode(sp, sp, sn))
				goto bad;
			p.subpath = sp;
		}
	}
	q = strchr(rest, '?');
	if (q) {
		char *kv = q + 1;

		*q = '\0';
		while (*kv) {
			char *amp = strchr(kv, '&'), *eq;

			if (amp)
				*amp = '\0';
			eq = strchr(kv, '=');
			if (eq && eq != kv && eq[1]) {
				*eq = '\0';
				if (p.nqualifiers == CS_PURL_MAX_QUALIFIERS)
					goto bad;
				lower_str(kv);
				if (decode(eq + 1, eq + 1, strlen(eq + 1)))
					goto bad;
				p.qkey[p.nqualifiers] = kv;
				p.qval[p.nqualifiers++] = eq + 1;
			}
			if (!amp)
				break;
			kv = amp + 1;
		}
	}
	colon = strchr(rest, '/');
	if (!colon)
		goto bad;
	*colon = '\0';
	p.type = rest;
	if (!*p.type)
		goto bad;
	for (i = 0; p.type[i]; i++) {
		int c = (unsigned char)p.type[i];

		if (!cs__isalnum(c) && c != '.' && c != '+' && c != '-')
			goto bad;
	}
	lower_str(p.type);
	rest = colon + 1;
	rn = strlen(rest);
	trim_slashes(&rest, &rn);
	rest[rn] = '\0';
	at = strrchr(rest, '@');
	if (at) {
		*at = '\0';
		if (!at[1] || decode(at + 1, at + 1, strlen(at + 1)))
			goto bad;
		p.version = at + 1;
	}
	slash = strrchr(rest, '/');
	if (slash) {
		*slash = '\0';
		p.name = slash + 1;
		p.namespace_ = rest;
		if (decode(p.namespace_, p.namespace_, strlen(p.namespace_)))
			goto bad;
		if (!*p.namespace_)
			p.namespace_ = NULL;
	} else {
		p.name = rest;
	}
	if (!*p.name || decode(p.name, p.name, strlen(p.name)))
		goto bad;
	if (type_lowercases_name(p.type)) {
		lower_str(p.name);
		lower_str(p.namespace_);
	}
	if (strcmp(p.type, "pypi") == 0) {
		for (i = 0; p.name[i]; i++) {
			if (p.name[i] == '_')
				p.name[i] = '-';
		}
	}
	*out = p;
	return CS_OK;
bad:
	free(b);
	return CS_ERR_PARSE;
}

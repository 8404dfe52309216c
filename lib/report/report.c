/*
 * What the report writers share: the findings grouped by indicator and by
 * host, time text, deterministic UUIDs, safe JSON strings, and the table
 * of writers behind cs_report_write().
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report/report_int.h"

/* Add `s` to a list of borrowed strings unless it is there already. */
static int list_add(const char ***v, size_t *n, size_t *cap, const char *s)
{
	size_t i;

	for (i = 0; i < *n; i++) {
		if (strcmp((*v)[i], s) == 0)
			return CS_OK;
	}
	if (cs__grow((void **)v, cap, *n + 1, sizeof(**v)))
		return CS_ERR_NOMEM;
	(*v)[(*n)++] = s;
	return CS_OK;
}

/* The host entry named `name`, created on first use. */
static int host_of(struct cs_rpt *g, const char *name, size_t *out)
{
	uint32_t h;
	struct cs_rpt_host *e;

	if (cs__map_get(&g->host_map, name, strlen(name), &h)) {
		*out = h;
		return CS_OK;
	}
	if (g->nhosts >= UINT32_MAX ||
	    cs__grow((void **)&g->hosts, &g->caphosts, g->nhosts + 1, sizeof(*g->hosts)) ||
	    cs__map_put(&g->host_map, name, strlen(name), (uint32_t)g->nhosts))
		return CS_ERR_NOMEM;
	e = &g->hosts[g->nhosts];
	memset(e, 0, sizeof(*e));
	e->name = name;
	*out = g->nhosts++;
	return CS_OK;
}

/* The indicator entry of finding `f`, created on first use. */
static int ind_of(struct cs_rpt *g, const struct cs_finding_rec *f, size_t *out)
{
	const char *k = f->ind_kind ? f->ind_kind : "", *v = f->ind_value ? f->ind_value : "";
	struct cs_buf key;
	struct cs_rpt_ind *e;
	uint32_t i;
	int rc;

	cs__buf_init(&key, 0);
	rc = cs__buf_adds(&key, k);
	if (!rc)
		rc = cs__buf_addc(&key, '\0');
	if (!rc)
		rc = cs__buf_adds(&key, v);
	if (rc)
		goto out;
	if (cs__map_get(&g->ind_map, key.data, key.len, &i)) {
		*out = i;
		goto out;
	}
	if (g->ninds >= UINT32_MAX ||
	    cs__grow((void **)&g->inds, &g->capinds, g->ninds + 1, sizeof(*g->inds)) ||
	    cs__map_put(&g->ind_map, key.data, key.len, (uint32_t)g->ninds)) {
		rc = CS_ERR_NOMEM;
		goto out;
	}
	e = &g->inds[g->ninds];
	memset(e, 0, sizeof(*e));
	e->kind = k;
	e->value = v;
	e->warninglisted = 1;
	e->confidence = -1;
	*out = g->ninds++;
out:
	cs__buf_release(&key);
	return rc;
}

static void widen(int64_t *first, int64_t *last, int64_t from, int64_t until)
{
	if (!from)
		from = until;
	if (!until)
		until = from;
	if (!from)
		return;
	if (!*first || from < *first)
		*first = from;
	if (!*last || until > *last)
		*last = until;
}

/*
 * Group the findings: one entry per distinct (indicator kind, value) with
 * the span of its times, its counts, the union of labels and the hosts,
 * and one entry per host (coverage entries first, in their order, then
 * hosts only findings name). Everything is borrowed from `r`.
 */
int cs__rpt_init(struct cs_rpt *g, const struct cs_report *r)
{
	size_t i, j, h, k;
	int rc = CS_OK;

	memset(g, 0, sizeof(*g));
	cs__map_init(&g->ind_map);
	cs__map_init(&g->host_map);
	g->r = r;
	if (!r || (r->nfindings && !r->findings) || (r->nhosts && !r->hosts) ||
	    (r->nwindows && !r->windows))
		return CS_ERR_INVALID;
	if (r->nfindings) {
		g->find_ind = cs__calloc(r->nfindings, sizeof(*g->find_ind));
		if (!g->find_ind)
			return CS_ERR_NOMEM;
	}
	for (i = 0; !rc && i < r->nhosts; i++) {
		const char *name = r->hosts[i].host ? r->hosts[i].host : "";

		rc = host_of(g, name, &h);
		if (!rc && !g->hosts[h].cov)
			g->hosts[h].cov = &r->hosts[i];
	}
	for (i = 0; !rc && i < r->nfindings; i++) {
		const struct cs_finding_rec *f = &r->findings[i];
		const char *host = f->host ? f->host : "";
		struct cs_rpt_ind *e;
		struct cs_rpt_host *hh;

		rc = host_of(g, host, &h);
		if (!rc)
			rc = ind_of(g, f, &k);
		if (rc)
			break;
		hh = &g->hosts[h];
		if (cs__grow((void **)&hh->findings, &hh->capfindings, hh->nfindings + 1,
		             sizeof(*hh->findings))) {
			rc = CS_ERR_NOMEM;
			break;
		}
		hh->findings[hh->nfindings++] = i;
		g->find_ind[i] = k;
		e = &g->inds[k];
		e->nfindings++;
		e->count += f->count;
		if (!f->warninglisted)
			e->warninglisted = 0;
		if (f->confidence > e->confidence)
			e->confidence = f->confidence;
		widen(&e->first_ms, &e->last_ms, f->first_seen_ms, f->last_seen_ms);
		rc = list_add(&e->hosts, &e->nhosts, &e->caphosts, host);
		for (j = 0; !rc && f->labels && j < f->nlabels; j++) {
			if (f->labels[j])
				rc = list_add(&e->labels, &e->nlabels, &e->caplabels, f->labels[j]);
		}
	}
	for (h = 0; h < g->nhosts; h++)
		g->hosts_hit += g->hosts[h].nfindings > 0;
	return rc;
}

void cs__rpt_release(struct cs_rpt *g)
{
	size_t i;

	for (i = 0; i < g->ninds; i++) {
		free(g->inds[i].labels);
		free(g->inds[i].hosts);
	}
	for (i = 0; i < g->nhosts; i++)
		free(g->hosts[i].findings);
	free(g->inds);
	free(g->hosts);
	free(g->find_ind);
	cs__map_release(&g->ind_map);
	cs__map_release(&g->host_map);
	memset(g, 0, sizeof(*g));
}

const char *cs__rpt_label_value(const char *l, const char *prefix)
{
	size_t n = strlen(prefix);

	return l && strncmp(l, prefix, n) == 0 && l[n] ? l + n : NULL;
}

int cs__rpt_has_label(const char *const *labels, size_t n, const char *label)
{
	size_t i;

	for (i = 0; labels && i < n; i++) {
		if (labels[i] && strcmp(labels[i], label) == 0)
			return 1;
	}
	return 0;
}

/* 1 when v is a UUID (Sigma's id form). */
static int is_uuid(const char *v)
{
	size_t i;

	for (i = 0; i < 36; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? v[i] != '-' : !cs__isxdigit((unsigned char)v[i]))
			return 0;
	}
	return v[36] == '\0';
}

/* v as a YAML single-quoted scalar, control characters left out. */
static int yaml_quote(struct cs_buf *b, const char *v)
{
	int rc = cs__buf_addc(b, '\'');

	for (; !rc && *v; v++) {
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			continue;
		rc = *v == '\'' ? cs__buf_adds(b, "''") : cs__buf_addc(b, *v);
	}
	return rc ? rc : cs__buf_addc(b, '\'');
}

int cs__rpt_sigma_stub(struct cs_buf *b, const char *v)
{
	int rc;

	cs__buf_reset(b);
	rc = cs__buf_adds(b, "title: ");
	if (!rc)
		rc = yaml_quote(b, v);
	if (!rc && is_uuid(v))
		rc = cs__buf_printf(b, "\nid: %s", v);
	if (!rc)
		rc = cs__buf_adds(b, "\nstatus: unsupported\n"
		                     "description: 'chainsweep report: names the rule only, its text "
		                     "is not part of the report'\n"
		                     "logsource:\n    product: chainsweep-report\n"
		                     "detection:\n    never:\n        x_chainsweep_report: names-only\n"
		                     "    condition: never\n");
	return rc;
}

const char *cs__rpt_kind_name(enum cs_finding_kind k)
{
	switch (k) {
	case CS_FIND_FILE:
		return "file";
	case CS_FIND_LOG:
		return "log";
	case CS_FIND_SOFTWARE:
		return "software";
	case CS_FIND_PROCESS:
		return "process";
	}
	return "unknown";
}

char *cs__rpt_time(char *buf, size_t size, int64_t ms, int always_ms)
{
	int64_t s = ms / 1000, frac = ms % 1000;
	struct tm tm;
	time_t t;

	if (frac < 0) {
		frac += 1000;
		s--;
	}
	t = (time_t)s;
	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, size, "1970-01-01T00:00:00Z");
		return buf;
	}
	if (frac || always_ms)
		snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
	else
		snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
		         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return buf;
}

/* chainsweep's UUIDv5 namespace for report objects (a fixed random v4). */
static const unsigned char rpt_ns[16] = {0x6b, 0x1f, 0x2c, 0x5e, 0x93, 0x0d, 0x4a, 0x7e,
                                         0xb2, 0x41, 0x0c, 0x8f, 0x53, 0xe6, 0x19, 0xa4};

/* The UUIDv5 of `ns` and `name` as text. */
static int uuid5(char out[37], const unsigned char ns[16], const char *name, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	size_t i, o = 0;
	int ok;

	ok = c && EVP_DigestInit_ex(c, EVP_sha1(), NULL) && EVP_DigestUpdate(c, ns, 16) &&
	     EVP_DigestUpdate(c, name, len) && EVP_DigestFinal_ex(c, md, &mdlen);
	EVP_MD_CTX_free(c);
	if (!ok || mdlen < 16)
		return CS_ERR_NOMEM;
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[md[i] >> 4];
		out[o++] = hex[md[i] & 15];
	}
	out[o] = '\0';
	return CS_OK;
}

int cs__rpt_uuid(char out[37], const char *const *parts, size_t nparts)
{
	struct cs_buf b;
	size_t i;
	int rc = CS_OK;

	cs__buf_init(&b, 0);
	for (i = 0; !rc && i < nparts; i++) {
		if (i)
			rc = cs__buf_addc(&b, '\x1f');
		if (!rc && parts[i])
			rc = cs__buf_adds(&b, parts[i]);
	}
	if (!rc)
		rc = uuid5(out, rpt_ns, b.data ? b.data : "", b.len);
	cs__buf_release(&b);
	return rc;
}

int cs__rpt_uuid_stix(char out[37], const char *name)
{
	/* STIX 2.1, 2.9: the namespace of deterministic SCO identifiers. */
	static const unsigned char stix_ns[16] = {0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c,
	                                          0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7};

	return uuid5(out, stix_ns, name, strlen(name));
}

/* Length of the valid UTF-8 sequence at p, 0 when invalid. */
static size_t utf8_len(const unsigned char *p)
{
	size_t n, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	}
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
		return 0;
	return n;
}

json_t *cs__rpt_jstr(const char *s)
{
	const unsigned char *p;
	struct cs_buf b;
	json_t *v;

	if (!s)
		s = "";
	v = json_string(s);
	if (v)
		return v;
	cs__buf_init(&b, 0);
	for (p = (const unsigned char *)s; *p;) {
		size_t n = utf8_len(p);
		int rc = n ? cs__buf_add(&b, p, n) : cs__buf_printf(&b, "\\x%02x", *p);

		if (rc) {
			cs__buf_release(&b);
			return NULL;
		}
		p += n ? n : 1;
	}
	v = json_string(cs__buf_cstr(&b));
	cs__buf_release(&b);
	return v;
}

int cs__rpt_set_str(json_t *o, const char *key, const char *s)
{
	if (!s)
		return 0;
	return json_object_set_new(o, key, cs__rpt_jstr(s));
}

int cs__rpt_set_time(json_t *o, const char *key, int64_t ms, int always_ms)
{
	char t[CS_RPT_TIME_MAX];

	if (!ms)
		return 0;
	return json_object_set_new(o, key, json_string(cs__rpt_time(t, sizeof(t), ms, always_ms)));
}

int cs__rpt_dump(FILE *out, json_t *v, size_t indent)
{
	size_t flags = JSON_COMPACT;

	if (indent)
		flags = JSON_INDENT(indent);
	if (json_dumpf(v, out, flags) || fputc('\n', out) == EOF)
		return CS_ERR_IO;
	return CS_OK;
}

int cs__rpt_flush(FILE *out)
{
	if (fflush(out) || ferror(out))
		return CS_ERR_IO;
	return CS_OK;
}

static const struct {
	const char *name;
	int (*write)(FILE *out, const struct cs_report *r);
} writers[] = {
        {"jsonl", cs_report_jsonl},
        {"html", cs_report_html},
        {"stix", cs_report_stix},
        {"misp", cs_report_misp},
};

const char *const *cs_report_formats(void)
{
	static const char *const names[] = {"jsonl", "html", "stix", "misp", NULL};

	return names;
}

int cs_report_write(FILE *out, const char *format, const struct cs_report *r)
{
	size_t i;

	for (i = 0; format && i < CS_ARRAY_SIZE(writers); i++) {
		if (strcmp(format, writers[i].name) == 0)
			return writers[i].write(out, r);
	}
	return CS_ERR_INVALID;
}

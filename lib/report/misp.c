/*
 * MISP writer: one event ({"Event": {...}}, MISP's export format) that
 * imports back into chainsweep (lib/intel/read_misp.c).
 *
 * One attribute per distinct indicator, its type from the indicator's
 * kind (hashes, filename, domain, ip-dst, url, email-src, yara); kinds MISP
 * has no attribute type for (product-version, regexes, compound, ...)
 * become "text" attributes not meant for detection, which our reader and
 * MISP keep as notes only. The comment says first and last seen, the
 * hosts and the counts; each finding adds a sighting (type 0, "seen")
 * dated by its last contact with the host as source.
 *
 * Labels become tags the reader turns back into labels: "actor:",
 * "malware:", "tool:", "attack-pattern:" and "galaxy:T=V" as misp-galaxy
 * tags, "tag:X" as the tag X; any other label, "campaign:NAME" included
 * (no MISP galaxy maps to our campaign label), as a plain tag of the
 * label's text, which reads back as "tag:<label>". Labels every
 * indicator carries go to the event's Tag list, the rest to each
 * attribute's; the reader gives both to the attribute. Warninglisted
 * indicators are written with to_ids false, as MISP does for values on
 * its warninglists. Attribute first_seen/last_seen are not written: our
 * reader (and MISP's own correlation) reads them as the indicator's
 * validity, not as when it was seen.
 */
#include <limits.h>
#include <string.h>

#include "report/report_int.h"

#define MISP_MAX_HOSTS_NAMED 20

static const struct {
	const char *kind, *type, *category;
} misp_types[] = {
        {"sha256", "sha256", "Payload delivery"},     {"sha1", "sha1", "Payload delivery"},
        {"md5", "md5", "Payload delivery"},           {"sha512", "sha512", "Payload delivery"},
        {"filename", "filename", "Payload delivery"}, {"domain", "domain", "Network activity"},
        {"ipv4", "ip-dst", "Network activity"},       {"ipv6", "ip-dst", "Network activity"},
        {"cidr", "ip-dst", "Network activity"},       {"url", "url", "Network activity"},
        {"email", "email-src", "Payload delivery"},   {"yara-rule", "yara", "Payload installation"},
        {"sigma-rule", "sigma", "Payload installation"},
};

/* Galaxy tag types for label prefixes (see cs__galaxy_label). */
static const struct {
	const char *prefix, *galaxy;
} misp_galaxies[] = {
        {"actor:", "threat-actor"},
        {"malware:", "malpedia"},
        {"tool:", "mitre-tool"},
        {"attack-pattern:", "mitre-attack-pattern"},
};

/* The MISP tag name of label `l` into b. */
static int tag_name(struct cs_buf *b, const char *l)
{
	const char *v, *eq;
	size_t i;

	cs__buf_reset(b);
	for (i = 0; i < CS_ARRAY_SIZE(misp_galaxies); i++) {
		v = cs__rpt_label_value(l, misp_galaxies[i].prefix);
		if (v)
			return cs__buf_printf(b, "misp-galaxy:%s=\"%s\"", misp_galaxies[i].galaxy,
			                      v);
	}
	v = cs__rpt_label_value(l, "galaxy:");
	if (v && (eq = strchr(v, '=')) && eq > v && eq[1])
		return cs__buf_printf(b, "misp-galaxy:%.*s=\"%s\"", (int)(eq - v), v, eq + 1);
	v = cs__rpt_label_value(l, "tag:");
	return cs__buf_adds(b, v ? v : l);
}

static int add_tag(json_t *tags, struct cs_buf *b, const char *label)
{
	json_t *t;

	if (tag_name(b, label))
		return CS_ERR_NOMEM;
	t = json_object();
	if (!t || json_object_set_new(t, "name", cs__rpt_jstr(cs__buf_cstr(b))) ||
	    json_array_append_new(tags, t)) {
		json_decref(t);
		return CS_ERR_NOMEM;
	}
	return CS_OK;
}

/* 1 when every indicator of g carries `label`. */
static int shared_label(const struct cs_rpt *g, const char *label)
{
	size_t i;

	for (i = 0; i < g->ninds; i++) {
		if (!cs__rpt_has_label(g->inds[i].labels, g->inds[i].nlabels, label))
			return 0;
	}
	return g->ninds > 0;
}

/* The comment of an indicator's attribute. */
static int comment(struct cs_buf *b, const struct cs_rpt_ind *e)
{
	char t1[CS_RPT_TIME_MAX], t2[CS_RPT_TIME_MAX];
	size_t i;
	int rc;

	cs__buf_reset(b);
	if (e->first_ms)
		rc = cs__buf_printf(b, "first seen %s, last seen %s",
		                    cs__rpt_time(t1, sizeof(t1), e->first_ms, 0),
		                    cs__rpt_time(t2, sizeof(t2), e->last_ms, 0));
	else
		rc = cs__buf_adds(b, "no time known");
	if (!rc)
		rc = cs__buf_printf(b,
		                    "; %zu finding(s), seen %llu time(s); host(s):", e->nfindings,
		                    (unsigned long long)e->count);
	for (i = 0; !rc && i < e->nhosts && i < MISP_MAX_HOSTS_NAMED; i++)
		rc = cs__buf_printf(b, "%s %s", i ? "," : "", e->hosts[i]);
	if (!rc && e->nhosts > MISP_MAX_HOSTS_NAMED)
		rc = cs__buf_printf(b, " and %zu more", e->nhosts - MISP_MAX_HOSTS_NAMED);
	if (!rc && e->warninglisted)
		rc = cs__buf_adds(b, "; warninglisted (likely benign)");
	return rc;
}

/* The YARA rule that names rule `v` and never matches: a report does not
 * carry rule text. */
static int yara_stub(struct cs_buf *b, const char *v)
{
	const char *s = strrchr(v, ':');
	int rc;

	s = s && s[1] ? s + 1 : v;
	cs__buf_reset(b);
	rc = cs__buf_adds(b, "rule ");
	if (!rc && !cs__isalpha((unsigned char)*s) && *s != '_')
		rc = cs__buf_addc(b, '_');
	for (; !rc && *s; s++)
		rc = cs__buf_addc(b, cs__isalnum((unsigned char)*s) ? *s : '_');
	if (!rc)
		rc = cs__buf_adds(b,
		                  " {\n\tmeta:\n\t\tnote = \"chainsweep report: names the rule "
		                  "only, its text is not part of the report\"\n\tcondition:\n\t\t"
		                  "false\n}\n");
	return rc;
}

static json_t *attribute(const struct cs_rpt *g, const struct cs_rpt_ind *e, struct cs_buf *b,
                         const char *stamp)
{
	const char *type = "text", *category = "Other";
	const char *parts[] = {"misp-attribute", e->kind, e->value};
	json_t *a = json_object(), *tags = json_array();
	char u[37];
	size_t i;
	int rc, detect = 0;

	if (!a || !tags)
		goto fail;
	for (i = 0; i < CS_ARRAY_SIZE(misp_types); i++) {
		if (strcmp(e->kind, misp_types[i].kind) == 0) {
			type = misp_types[i].type;
			category = misp_types[i].category;
			detect = !e->warninglisted;
			break;
		}
	}
	if (cs__rpt_uuid(u, parts, 3))
		goto fail;
	rc = json_object_set_new(a, "uuid", json_string(u));
	rc |= json_object_set_new(a, "type", json_string(type));
	rc |= json_object_set_new(a, "category", json_string(category));
	cs__buf_reset(b);
	if (strcmp(type, "yara") == 0)
		rc |= yara_stub(b, e->value);
	else if (strcmp(type, "sigma") == 0)
		rc |= cs__rpt_sigma_stub(b, e->value);
	else if (strcmp(type, "text") == 0)
		rc |= cs__buf_printf(b, "%s: %s", e->kind, e->value);
	else
		rc |= cs__buf_adds(b, e->value);
	rc |= json_object_set_new(a, "value", cs__rpt_jstr(cs__buf_cstr(b)));
	rc |= json_object_set_new(a, "to_ids", json_boolean(detect));
	rc |= json_object_set_new(a, "distribution", json_string("5"));
	rc |= json_object_set_new(a, "timestamp", json_string(stamp));
	rc |= comment(b, e);
	rc |= json_object_set_new(a, "comment", cs__rpt_jstr(cs__buf_cstr(b)));
	for (i = 0; !rc && i < e->nlabels; i++) {
		if (!shared_label(g, e->labels[i]))
			rc = add_tag(tags, b, e->labels[i]);
	}
	if (json_array_size(tags))
		rc |= json_object_set(a, "Tag", tags);
	rc |= json_object_set_new(a, "Sighting", json_array());
	if (rc)
		goto fail;
	json_decref(tags);
	return a;
fail:
	json_decref(a);
	json_decref(tags);
	return NULL;
}

/* A sighting of finding f on the attribute `a`. */
static int sighting(json_t *a, const struct cs_finding_rec *f, int64_t fallback_ms)
{
	int64_t when = f->last_seen_ms ? f->last_seen_ms : f->first_seen_ms;
	json_t *s = json_object();
	char secs[32];
	int rc;

	if (!s)
		return CS_ERR_NOMEM;
	snprintf(secs, sizeof(secs), "%lld", (long long)((when ? when : fallback_ms) / 1000));
	rc = json_object_set_new(s, "type", json_string("0"));
	rc |= json_object_set_new(s, "date_sighting", json_string(secs));
	rc |= json_object_set_new(s, "source", cs__rpt_jstr(f->host ? f->host : ""));
	if (rc || json_array_append_new(json_object_get(a, "Sighting"), s)) {
		if (rc)
			json_decref(s);
		return CS_ERR_NOMEM;
	}
	return CS_OK;
}

int cs_report_misp(FILE *out, const struct cs_report *r)
{
	json_t *root = NULL, *ev = NULL, *attrs = NULL, *tags = NULL;
	char u[37], gen[CS_RPT_TIME_MAX], date[16], stamp[32];
	struct cs_rpt g;
	struct cs_buf b;
	size_t i;
	int rc, e;

	cs__buf_init(&b, 0);
	rc = cs__rpt_init(&g, r);
	if (rc)
		goto out;
	cs__rpt_time(gen, sizeof(gen), r->generated_ms, 1);
	snprintf(date, sizeof(date), "%.10s", gen);
	snprintf(stamp, sizeof(stamp), "%lld", (long long)(r->generated_ms / 1000));
	rc = cs__rpt_uuid(u, (const char *[]){"misp-event", r->title, gen}, 3);
	if (rc)
		goto out;
	rc = CS_ERR_NOMEM;
	root = json_object();
	ev = json_object();
	attrs = json_array();
	tags = json_array();
	if (!root || !ev || !attrs || !tags)
		goto out;
	for (i = 0; i < g.ninds; i++) {
		json_t *a = attribute(&g, &g.inds[i], &b, stamp);

		if (!a || json_array_append_new(attrs, a))
			goto out;
	}
	for (i = 0; i < r->nfindings; i++) {
		if (sighting(json_array_get(attrs, g.find_ind[i]), &r->findings[i],
		             r->generated_ms))
			goto out;
	}
	for (i = 0; g.ninds && i < g.inds[0].nlabels; i++) {
		if (shared_label(&g, g.inds[0].labels[i]) && add_tag(tags, &b, g.inds[0].labels[i]))
			goto out;
	}
	e = json_object_set_new(ev, "uuid", json_string(u));
	e |= json_object_set_new(ev, "info",
	                         cs__rpt_jstr(r->title ? r->title : "chainsweep sweep report"));
	e |= json_object_set_new(ev, "date", json_string(date));
	e |= json_object_set_new(ev, "timestamp", json_string(stamp));
	/* 1 high when something was found, 4 undefined otherwise; analysis 2
	 * completed: a sweep report is a finished analysis. */
	e |= json_object_set_new(ev, "threat_level_id", json_string(r->nfindings ? "1" : "4"));
	e |= json_object_set_new(ev, "analysis", json_string("2"));
	e |= json_object_set_new(ev, "distribution", json_string("0"));
	e |= json_object_set_new(ev, "published", json_false());
	e |= json_object_set(ev, "Attribute", attrs);
	e |= json_object_set(ev, "Tag", tags);
	e |= json_object_set(root, "Event", ev);
	if (e)
		goto out;
	rc = cs__rpt_dump(out, root, 1);
	if (!rc)
		rc = cs__rpt_flush(out);
out:
	json_decref(root);
	json_decref(ev);
	json_decref(attrs);
	json_decref(tags);
	cs__rpt_release(&g);
	cs__buf_release(&b);
	return rc;
}

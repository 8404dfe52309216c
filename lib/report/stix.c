/*
 * STIX 2.1 writer: a bundle of what was seen, that imports back into
 * chainsweep (lib/intel/read_stix.c).
 *
 * - an identity for chainsweep (identity_class "system": the sweeping
 *   organisation is not known here), the creator of every object;
 * - an identity per host (identity_class "system"), where things were
 *   sighted;
 * - an indicator per distinct (kind, value), its pattern written for the
 *   kind (see pattern()), valid_from its first sighting;
 * - "campaign:", "actor:", "malware:", "tool:" and "attack-pattern:"
 *   labels as campaign, intrusion-set, malware, tool and attack-pattern
 *   objects the indicator "indicates" (our reader turns those back into
 *   the same labels); a campaign takes its first/last seen from the
 *   report's incident window of the same name. Other labels go into the
 *   indicator's "labels" ("tag:X" as "X", which reads back as "tag:X");
 * - per finding an observed-data object over the cyber observables it
 *   names (file with hashes, name and directory; domain-name; ipv4-addr;
 *   ipv6-addr; url; email-addr; software) and a sighting of the indicator
 *   with it, sighted where the host's identity says.
 *
 * Identifiers are UUIDv5 of the content and times come from the report,
 * so the same report gives the same bundle.
 */
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"

#define STIX_ID_MAX    96
#define STIX_MAX_COUNT 999999999

struct stix_w {
	struct cs_rpt g;
	json_t *objs;
	char now[CS_RPT_TIME_MAX];
	char me[STIX_ID_MAX];
	struct cs_buf pat, tmp, tmp2;
	struct cs_map seen; /* ids of objects written */
};

/* "type--<uuid5 of type and parts>" into out. */
static int make_id(char out[STIX_ID_MAX], const char *type, const char *const *parts, size_t n)
{
	const char *all[8];
	char u[37];
	size_t i;
	int rc;

	all[0] = type;
	for (i = 0; i < n && i < CS_ARRAY_SIZE(all) - 1; i++)
		all[i + 1] = parts[i];
	rc = cs__rpt_uuid(u, all, i + 1);
	if (!rc)
		snprintf(out, STIX_ID_MAX, "%s--%s", type, u);
	return rc;
}

/* 1 when `id` was not written yet (and remember it), 0 when it was, or
 * CS_ERR_NOMEM. */
static int first_time(struct stix_w *w, const char *id)
{
	uint32_t v;

	if (cs__map_get(&w->seen, id, strlen(id), &v))
		return 0;
	return cs__map_put(&w->seen, id, strlen(id), 1) ? CS_ERR_NOMEM : 1;
}

/* A new object of `type` with `id`; SDOs and SROs (sco == 0) get
 * spec_version, created and modified, and chainsweep as creator. */
static json_t *object(struct stix_w *w, const char *type, const char *id, int sco)
{
	json_t *o = json_object();
	int e;

	if (!o)
		return NULL;
	e = json_object_set_new(o, "type", json_string(type));
	e |= json_object_set_new(o, "spec_version", json_string("2.1"));
	e |= json_object_set_new(o, "id", json_string(id));
	if (!sco) {
		e |= json_object_set_new(o, "created", json_string(w->now));
		e |= json_object_set_new(o, "modified", json_string(w->now));
		if (strcmp(id, w->me) != 0)
			e |= json_object_set_new(o, "created_by_ref", json_string(w->me));
	}
	if (e) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Append `o` to the bundle (NULL or a failed set: out of memory). */
static int add(struct stix_w *w, json_t *o, int e)
{
	if (!o)
		return CS_ERR_NOMEM;
	if (e) {
		json_decref(o);
		return CS_ERR_NOMEM;
	}
	return json_array_append_new(w->objs, o) ? CS_ERR_NOMEM : CS_OK;
}

static json_t *sarray1(const char *s)
{
	json_t *a = json_array();

	if (a && json_array_append_new(a, cs__rpt_jstr(s))) {
		json_decref(a);
		return NULL;
	}
	return a;
}

static int identity(struct stix_w *w, const char *id, const char *name, const char *desc)
{
	json_t *o;
	int e, rc = first_time(w, id);

	if (rc <= 0)
		return rc;
	o = object(w, "identity", id, 0);
	if (!o)
		return CS_ERR_NOMEM;
	e = json_object_set_new(o, "name", cs__rpt_jstr(name));
	e |= json_object_set_new(o, "identity_class", json_string("system"));
	e |= cs__rpt_set_str(o, "description", desc);
	return add(w, o, e);
}

static int host_id(char out[STIX_ID_MAX], const char *host)
{
	return make_id(out, "identity", (const char *[]){"host", host}, 2);
}

/* A STIX string constant: quotes, with ' and \ escaped. */
static int quote(struct cs_buf *b, const char *s)
{
	int rc = cs__buf_addc(b, '\'');

	for (; !rc && *s; s++) {
		if (*s == '\'' || *s == '\\')
			rc = cs__buf_addc(b, '\\');
		if (!rc)
			rc = cs__buf_addc(b, *s);
	}
	return rc ? rc : cs__buf_addc(b, '\'');
}

/* "[path op 'value']" into b. */
static int cmp1(struct cs_buf *b, const char *path, const char *op, const char *v)
{
	int rc = cs__buf_printf(b, "[%s %s ", path, op);

	if (!rc)
		rc = quote(b, v);
	return rc ? rc : cs__buf_addc(b, ']');
}

/* Split "vendor|product|platform|versions" (a product-version table
 * row) or "product version" into parts; empty parts are "". Writes into
 * t, which the parts point into. */
static int split_product(struct cs_buf *t, const char *v, const char **vendor, const char **name,
                         const char **platform, const char **version)
{
	char *p, *q[4];
	size_t n = 0;

	cs__buf_reset(t);
	if (cs__buf_adds(t, v) || cs__buf_addc(t, '\0'))
		return CS_ERR_NOMEM;
	*vendor = *platform = "";
	p = t->data;
	q[n++] = p;
	while (n < 4 && (p = strchr(p, '|'))) {
		*p++ = '\0';
		q[n++] = p;
	}
	if (n == 4) {
		*vendor = q[0];
		*name = q[1];
		*platform = q[2];
		*version = q[3];
		return CS_OK;
	}
	if (n > 1) {
		*name = q[0];
		*version = q[1];
		return CS_OK;
	}
	p = strrchr(t->data, ' ');
	if (p) {
		*p = '\0';
		*version = p + 1;
	} else {
		*version = "";
	}
	*name = t->data;
	return CS_OK;
}

/* A YARA rule identifier made of `v`. */
static int yara_name(struct cs_buf *b, const char *v)
{
	const char *s = strrchr(v, ':');
	int rc = CS_OK;

	s = s && s[1] ? s + 1 : v;
	if (!cs__isalpha((unsigned char)*s) && *s != '_')
		rc = cs__buf_addc(b, '_');
	for (; !rc && *s; s++)
		rc = cs__buf_addc(b, cs__isalnum((unsigned char)*s) ? *s : '_');
	return rc;
}

/*
 * The versions term of a product-version pattern. A list of exact
 * versions ("18.12.407,18.12.416") is STIX's own: software:version = 'v'
 * or software:version IN ('a', 'b'). A list with ranges or '*', or one
 * whose separators would not come back the same, goes whole into the
 * custom property software:x_chainsweep_versions, so that our reader
 * gives back exactly the value written.
 */
static int software_versions(struct cs_buf *b, struct cs_buf *t, const char *list)
{
	const char *p, *c;
	size_t n = 0, len;
	int rc = CS_OK, exact = *list != '\0';

	for (p = list; exact; p = c + 1) {
		c = strchr(p, ',');
		len = c ? (size_t)(c - p) : strlen(p);
		if (len == 0 || strcspn(p, " \t<>=*,") != len)
			exact = 0;
		if (!c)
			break;
	}
	if (!exact) {
		rc = cs__buf_adds(b, " AND software:x_chainsweep_versions = ");
		return rc ? rc : quote(b, list);
	}
	c = strchr(list, ',');
	rc = cs__buf_adds(b, c ? " AND software:version IN (" : " AND software:version = ");
	for (p = list; !rc; p = c + 1) {
		c = strchr(p, ',');
		len = c ? (size_t)(c - p) : strlen(p);
		cs__buf_reset(t);
		rc = cs__buf_adds(b, n++ ? ", " : "");
		if (!rc)
			rc = cs__buf_add(t, p, len);
		if (!rc)
			rc = quote(b, cs__buf_cstr(t));
		if (!c)
			break;
	}
	if (!rc && n > 1)
		rc = cs__buf_addc(b, ')');
	return rc;
}

/*
 * The pattern of an indicator into w->pat; *type receives "stix" or
 * "yara". A YARA rule's text is not part of a report, so a yara-rule
 * indicator is written as a rule of the same name that never matches:
 * it names the rule and imports back as a yara-rule indicator. Kinds
 * STIX cannot say as we mean them (path-regex, unknown kinds) get
 * patterns over custom properties: valid STIX that our reader and others
 * report as unsupported.
 */
static int pattern(struct stix_w *w, const char *k, const char *v, const char **type)
{
	static const struct {
		const char *kind, *path, *op;
	} map[] = {
	        {"sha256", "file:hashes.'SHA-256'", "="},
	        {"sha1", "file:hashes.'SHA-1'", "="},
	        {"md5", "file:hashes.MD5", "="},
	        {"sha512", "file:hashes.'SHA-512'", "="},
	        {"filename", "file:name", "="},
	        {"filename-regex", "file:name", "MATCHES"},
	        {"path-regex", "file:x_chainsweep_path", "MATCHES"},
	        {"domain", "domain-name:value", "="},
	        {"domain-regex", "domain-name:value", "MATCHES"},
	        {"ipv4", "ipv4-addr:value", "="},
	        {"ipv6", "ipv6-addr:value", "="},
	        {"url", "url:value", "="},
	        {"url-regex", "url:value", "MATCHES"},
	        {"email", "email-addr:value", "="},
	        {"email-regex", "email-addr:value", "MATCHES"},
	        {"cert-serial", "x509-certificate:serial_number", "="},
	};
	struct cs_buf *b = &w->pat;
	size_t i;
	int rc;

	cs__buf_reset(b);
	*type = "stix";
	for (i = 0; i < CS_ARRAY_SIZE(map); i++) {
		if (strcmp(k, map[i].kind) == 0)
			return cmp1(b, map[i].path, map[i].op, v);
	}
	if (strcmp(k, "cidr") == 0)
		return cmp1(b, strchr(v, ':') ? "ipv6-addr:value" : "ipv4-addr:value", "=", v);
	if (strcmp(k, "compound") == 0 && v[0] == '[')
		return cs__buf_adds(b, v);
	if (strcmp(k, "yara-rule") == 0) {
		*type = "yara";
		rc = cs__buf_adds(b, "rule ");
		if (!rc)
			rc = yara_name(b, v);
		if (!rc)
			rc = cs__buf_adds(b,
			                  " {\n\tmeta:\n\t\tnote = \"chainsweep report: names the "
			                  "rule only, its text is not part of the report\"\n"
			                  "\tcondition:\n\t\tfalse\n}\n");
		return rc;
	}
	if (strcmp(k, "sigma-rule") == 0) {
		*type = "sigma";
		return cs__rpt_sigma_stub(b, v);
	}
	if (strcmp(k, "product-version") == 0) {
		const char *vendor, *name, *platform, *version;

		rc = split_product(&w->tmp, v, &vendor, &name, &platform, &version);
		if (!rc)
			rc = cs__buf_adds(b, "[software:name = ");
		if (!rc)
			rc = quote(b, name);
		if (!rc && *version)
			rc = software_versions(b, &w->tmp2, version);
		if (!rc && *vendor && !(rc = cs__buf_adds(b, " AND software:vendor = ")))
			rc = quote(b, vendor);
		if (!rc && *platform && !(rc = cs__buf_adds(b, " AND software:x_platform = ")))
			rc = quote(b, platform);
		return rc ? rc : cs__buf_addc(b, ']');
	}
	rc = cs__buf_adds(b, "[x-chainsweep-indicator:kind = ");
	if (!rc)
		rc = quote(b, k);
	if (!rc)
		rc = cs__buf_adds(b, " AND x-chainsweep-indicator:value = ");
	if (!rc)
		rc = quote(b, v);
	return rc ? rc : cs__buf_addc(b, ']');
}

/* Label prefixes written as objects the indicator indicates. */
static const struct {
	const char *prefix, *type;
} label_objects[] = {
        {"campaign:", "campaign"}, {"actor:", "intrusion-set"},           {"malware:", "malware"},
        {"tool:", "tool"},         {"attack-pattern:", "attack-pattern"},
};

/* The object of label `l` (type `type`, name `name`) and the indicates
 * relationship from indicator `ind` to it. */
static int indicates(struct stix_w *w, const char *ind, const char *type, const char *name)
{
	const struct cs_report *r = w->g.r;
	char id[STIX_ID_MAX], rel[STIX_ID_MAX];
	json_t *o;
	size_t i;
	int e, rc;

	rc = make_id(id, type, &name, 1);
	if (!rc)
		rc = first_time(w, id);
	if (rc == 1) {
		o = object(w, type, id, 0);
		if (!o)
			return CS_ERR_NOMEM;
		e = json_object_set_new(o, "name", cs__rpt_jstr(name));
		if (strcmp(type, "malware") == 0)
			e |= json_object_set_new(o, "is_family", json_true());
		for (i = 0; strcmp(type, "campaign") == 0 && i < r->nwindows; i++) {
			const struct cs_incident_window *iw = &r->windows[i];

			if (!iw->name || strcmp(iw->name, name) != 0)
				continue;
			e |= cs__rpt_set_time(o, "first_seen", iw->from_ms, 1);
			e |= cs__rpt_set_time(o, "last_seen", iw->until_ms, 1);
			break;
		}
		rc = add(w, o, e);
	}
	if (rc < 0)
		return rc;
	rc = make_id(rel, "relationship", (const char *[]){"indicates", ind, id}, 3);
	if (rc)
		return rc;
	o = object(w, "relationship", rel, 0);
	if (!o)
		return CS_ERR_NOMEM;
	e = json_object_set_new(o, "relationship_type", json_string("indicates"));
	e |= json_object_set_new(o, "source_ref", json_string(ind));
	e |= json_object_set_new(o, "target_ref", json_string(id));
	return add(w, o, e);
}

/* The text of label `l` in an indicator's "labels": "tag:X" as X and
 * "galaxy:T=V" as the MISP galaxy tag misp-galaxy:T="V", which our
 * reader reads back as the same labels; others as they are (read back as
 * "tag:<label>"). */
static json_t *stix_label(struct cs_buf *b, const char *l)
{
	const char *v = cs__rpt_label_value(l, "tag:"), *eq;

	if (v)
		return cs__rpt_jstr(v);
	v = cs__rpt_label_value(l, "galaxy:");
	if (v && (eq = strchr(v, '=')) && eq > v && eq[1]) {
		cs__buf_reset(b);
		if (cs__buf_printf(b, "misp-galaxy:%.*s=\"%s\"", (int)(eq - v), v, eq + 1))
			return NULL;
		return cs__rpt_jstr(cs__buf_cstr(b));
	}
	return cs__rpt_jstr(l);
}

static int ind_id(char out[STIX_ID_MAX], const struct cs_rpt_ind *e)
{
	return make_id(out, "indicator", (const char *[]){e->kind, e->value}, 2);
}

static int indicator(struct stix_w *w, const struct cs_rpt_ind *e)
{
	char id[STIX_ID_MAX], t1[CS_RPT_TIME_MAX], t2[CS_RPT_TIME_MAX];
	const char *ptype, *v;
	json_t *o, *labels;
	size_t i, j;
	int rc, e2;

	rc = ind_id(id, e);
	if (!rc)
		rc = pattern(w, e->kind, e->value, &ptype);
	if (rc)
		return rc;
	o = object(w, "indicator", id, 0);
	labels = json_array();
	if (!o || !labels) {
		json_decref(o);
		json_decref(labels);
		return CS_ERR_NOMEM;
	}
	cs__buf_reset(&w->tmp);
	rc = cs__buf_printf(&w->tmp, "%s %s", e->kind, e->value);
	e2 = rc || json_object_set_new(o, "name", cs__rpt_jstr(cs__buf_cstr(&w->tmp)));
	cs__buf_reset(&w->tmp);
	rc = cs__buf_printf(&w->tmp,
	                    "Sighted by chainsweep: %zu finding(s) on %zu host(s), seen %llu "
	                    "time(s)",
	                    e->nfindings, e->nhosts, (unsigned long long)e->count);
	if (!rc && e->first_ms)
		rc = cs__buf_printf(&w->tmp, ", first %s, last %s",
		                    cs__rpt_time(t1, sizeof(t1), e->first_ms, 0),
		                    cs__rpt_time(t2, sizeof(t2), e->last_ms, 0));
	if (!rc && e->warninglisted)
		rc = cs__buf_adds(&w->tmp, "; warninglisted (likely benign)");
	if (!rc)
		rc = cs__buf_adds(&w->tmp, ".");
	e2 |= rc || json_object_set_new(o, "description", cs__rpt_jstr(cs__buf_cstr(&w->tmp)));
	e2 |= json_object_set_new(o, "pattern", cs__rpt_jstr(cs__buf_cstr(&w->pat)));
	e2 |= json_object_set_new(o, "pattern_type", json_string(ptype));
	e2 |= json_object_set_new(
	        o, "valid_from",
	        json_string(e->first_ms ? cs__rpt_time(t1, sizeof(t1), e->first_ms, 1) : w->now));
	if (e->confidence >= 0 && e->confidence <= 100)
		e2 |= json_object_set_new(o, "confidence", json_integer(e->confidence));
	for (i = 0; i < e->nlabels; i++) {
		const char *l = e->labels[i];
		int obj = 0;

		for (j = 0; j < CS_ARRAY_SIZE(label_objects); j++)
			obj |= cs__rpt_label_value(l, label_objects[j].prefix) != NULL;
		if (obj)
			continue;
		e2 |= json_array_append_new(labels, stix_label(&w->tmp, l));
	}
	if (json_array_size(labels))
		e2 |= json_object_set_new(o, "labels", labels);
	else
		json_decref(labels);
	rc = add(w, o, e2);
	for (i = 0; !rc && i < e->nlabels; i++) {
		for (j = 0; !rc && j < CS_ARRAY_SIZE(label_objects); j++) {
			v = cs__rpt_label_value(e->labels[i], label_objects[j].prefix);
			if (v)
				rc = indicates(w, id, label_objects[j].type, v);
		}
	}
	return rc;
}

/*
 * Add an SCO of `type` with properties `props` (consumed; all of them ID
 * contributing properties for the types written here) if new, and its id
 * to refs. The id is the UUIDv5 of the properties' canonical JSON (keys
 * sorted, no white space) in the STIX namespace, as STIX 2.1 section 2.9
 * recommends, so other producers name the same observable alike.
 */
static int sco(struct stix_w *w, json_t *refs, const char *type, json_t *props)
{
	char id[STIX_ID_MAX], u[37], *canon;
	json_t *o;
	int rc;

	if (!props)
		return CS_ERR_NOMEM;
	canon = json_dumps(props, JSON_SORT_KEYS | JSON_COMPACT);
	rc = canon ? cs__rpt_uuid_stix(u, canon) : CS_ERR_NOMEM;
	free(canon);
	if (!rc) {
		snprintf(id, sizeof(id), "%s--%s", type, u);
		rc = first_time(w, id);
	}
	if (rc == 1) {
		o = object(w, type, id, 1);
		if (!o || json_object_update(o, props)) {
			json_decref(o);
			rc = CS_ERR_NOMEM;
		} else {
			rc = add(w, o, 0);
		}
	}
	json_decref(props);
	if (rc < 0)
		return rc;
	return json_array_append_new(refs, json_string(id)) ? CS_ERR_NOMEM : CS_OK;
}

static int is_hash(const char *k)
{
	return strcmp(k, "sha256") == 0 || strcmp(k, "sha1") == 0 || strcmp(k, "md5") == 0 ||
	       strcmp(k, "sha512") == 0;
}

/* A file SCO from the finding: name and directory from its location
 * (not for log findings), hashes from its digests or a hash indicator. */
static int file_sco(struct stix_w *w, json_t *refs, const struct cs_finding_rec *f, const char *k,
                    const char *v)
{
	/* A process finding's location names the process, not a path. */
	const char *path = f->kind == CS_FIND_LOG || f->kind == CS_FIND_PROCESS ? NULL : f->location;
	const char *base = NULL, *dir = NULL;
	char *slash;
	json_t *p = json_object(), *h = json_object();
	int rc = CS_OK;

	if (!p || !h)
		goto nomem;
	if (f->sha256 || (strcmp(k, "sha256") == 0 && v))
		rc |= json_object_set_new(h, "SHA-256", cs__rpt_jstr(f->sha256 ? f->sha256 : v));
	if (f->sha1 || (strcmp(k, "sha1") == 0 && v))
		rc |= json_object_set_new(h, "SHA-1", cs__rpt_jstr(f->sha1 ? f->sha1 : v));
	if (f->md5 || (strcmp(k, "md5") == 0 && v))
		rc |= json_object_set_new(h, "MD5", cs__rpt_jstr(f->md5 ? f->md5 : v));
	if (strcmp(k, "sha512") == 0 && v)
		rc |= json_object_set_new(h, "SHA-512", cs__rpt_jstr(v));
	cs__buf_reset(&w->tmp);
	if (path && (rc |= cs__buf_adds(&w->tmp, path)) == 0 && w->tmp.len) {
		slash = strrchr(w->tmp.data, '/');
		if (slash) {
			*slash = '\0';
			base = slash + 1;
			dir = w->tmp.len > 1 && slash != w->tmp.data ? w->tmp.data : "/";
		} else {
			base = w->tmp.data;
		}
	} else if (strcmp(k, "filename") == 0) {
		base = v;
	}
	if (base && *base)
		rc |= json_object_set_new(p, "name", cs__rpt_jstr(base));
	if (json_object_size(h))
		rc |= json_object_set_new(p, "hashes", h);
	else
		json_decref(h);
	h = NULL;
	if (rc)
		goto nomem;
	if (dir) {
		json_t *d = json_object(), *drefs = json_array();

		if (!d || !drefs || json_object_set_new(d, "path", cs__rpt_jstr(dir)) ||
		    sco(w, drefs, "directory", d)) {
			json_decref(drefs);
			goto nomem;
		}
		rc = json_object_set(p, "parent_directory_ref", json_array_get(drefs, 0));
		/* the directory is an object of the observation too */
		rc |= json_array_extend(refs, drefs);
		json_decref(drefs);
		if (rc)
			goto nomem;
	}
	if (!json_object_size(p)) {
		json_decref(p);
		return CS_OK;
	}
	return sco(w, refs, "file", p);
nomem:
	json_decref(p);
	json_decref(h);
	return CS_ERR_NOMEM;
}

/* A value SCO ({"value": v}) of `type`. */
static int value_sco(struct stix_w *w, json_t *refs, const char *type, const char *v)
{
	json_t *p = json_object();

	if (p && json_object_set_new(p, "value", cs__rpt_jstr(v))) {
		json_decref(p);
		return CS_ERR_NOMEM;
	}
	return sco(w, refs, type, p);
}

/* A software SCO: name and version from what was observed ("product
 * version"), the vendor from the indicator's table row when it has one. */
static int software_sco(struct stix_w *w, json_t *refs, const struct cs_finding_rec *f)
{
	const char *vendor, *name, *platform, *version, *iv, *ivn, *ipl, *ivv;
	const char *src = f->observed ? f->observed : f->ind_value ? f->ind_value : "";
	struct cs_buf row;
	json_t *p = json_object();
	int rc;

	cs__buf_init(&row, 0);
	rc = p ? split_product(&w->tmp, src, &vendor, &name, &platform, &version) : CS_ERR_NOMEM;
	if (!rc && !*vendor && f->ind_value && strchr(f->ind_value, '|')) {
		rc = split_product(&row, f->ind_value, &iv, &ivn, &ipl, &ivv);
		vendor = iv;
	}
	if (!rc) {
		if (!*name)
			name = src;
		rc = json_object_set_new(p, "name", cs__rpt_jstr(name));
		if (*version)
			rc |= json_object_set_new(p, "version", cs__rpt_jstr(version));
		if (*vendor)
			rc |= json_object_set_new(p, "vendor", cs__rpt_jstr(vendor));
		rc = rc ? CS_ERR_NOMEM : CS_OK;
	}
	if (!rc) {
		rc = sco(w, refs, "software", p);
		p = NULL;
	}
	json_decref(p);
	cs__buf_release(&row);
	return rc;
}

/* The cyber observables of finding `f`, their ids into refs. */
static int observables(struct stix_w *w, json_t *refs, const struct cs_finding_rec *f)
{
	const char *k = f->ind_kind ? f->ind_kind : "";
	const char *v = f->ind_value;
	const char *seen =
	        (f->kind == CS_FIND_LOG || f->kind == CS_FIND_PROCESS) && f->observed ? f->observed : v;
	int net = strcmp(k, "ipv4") == 0 || strcmp(k, "ipv6") == 0 || strcmp(k, "cidr") == 0;

	if (f->kind == CS_FIND_SOFTWARE || strcmp(k, "product-version") == 0)
		return software_sco(w, refs, f);
	/* A process's connection is an address; its executable, mapped
	 * files and memory are file observables (hashes, no path). */
	if ((f->kind != CS_FIND_LOG && !(f->kind == CS_FIND_PROCESS && net)) || is_hash(k) ||
	    strcmp(k, "filename") == 0)
		return file_sco(w, refs, f, k, f->kind == CS_FIND_LOG && is_hash(k) ? seen : v);
	if (!seen)
		return CS_OK;
	if (strcmp(k, "domain") == 0 || strcmp(k, "domain-regex") == 0)
		return value_sco(w, refs, "domain-name", seen);
	if (strcmp(k, "ipv4") == 0 || strcmp(k, "ipv6") == 0 || strcmp(k, "cidr") == 0)
		return value_sco(w, refs, strchr(seen, ':') ? "ipv6-addr" : "ipv4-addr", seen);
	if (strcmp(k, "url") == 0 || strcmp(k, "url-regex") == 0)
		return value_sco(w, refs, "url", seen);
	if (strcmp(k, "email") == 0 || strcmp(k, "email-regex") == 0)
		return value_sco(w, refs, "email-addr", seen);
	return CS_OK;
}

static json_int_t clamp(uint64_t v, uint64_t lo)
{
	return (json_int_t)(v < lo ? lo : v > STIX_MAX_COUNT ? STIX_MAX_COUNT : v);
}

/* The observed-data and the sighting of finding i. */
static int sighting(struct stix_w *w, size_t i)
{
	const struct cs_finding_rec *f = &w->g.r->findings[i];
	const struct cs_rpt_ind *e = &w->g.inds[w->g.find_ind[i]];
	const char *host = f->host ? f->host : "";
	const char *kind = cs__rpt_kind_name(f->kind);
	const char *key[] = {host, kind, f->evidence, f->location, e->kind, e->value};
	char od[STIX_ID_MAX], sg[STIX_ID_MAX], ind[STIX_ID_MAX], where[STIX_ID_MAX];
	char t1[CS_RPT_TIME_MAX], t2[CS_RPT_TIME_MAX];
	int64_t first = f->first_seen_ms ? f->first_seen_ms : f->last_seen_ms;
	int64_t last = f->last_seen_ms ? f->last_seen_ms : f->first_seen_ms;
	json_t *refs = json_array(), *o;
	int rc, e2, have_od = 0;

	if (!refs)
		return CS_ERR_NOMEM;
	rc = make_id(od, "observed-data", key, CS_ARRAY_SIZE(key));
	if (!rc)
		rc = make_id(sg, "sighting", key, CS_ARRAY_SIZE(key));
	if (!rc)
		rc = ind_id(ind, e);
	if (!rc)
		rc = host_id(where, host);
	if (!rc)
		rc = identity(w, where, host, "a host swept by chainsweep");
	if (!rc)
		rc = observables(w, refs, f);
	if (rc) {
		json_decref(refs);
		return rc;
	}
	if (json_array_size(refs)) {
		o = object(w, "observed-data", od, 0);
		if (!o) {
			json_decref(refs);
			return CS_ERR_NOMEM;
		}
		e2 = json_object_set_new(
		        o, "first_observed",
		        json_string(first ? cs__rpt_time(t1, sizeof(t1), first, 1) : w->now));
		e2 |= json_object_set_new(
		        o, "last_observed",
		        json_string(last ? cs__rpt_time(t2, sizeof(t2), last, 1) : w->now));
		e2 |= json_object_set_new(o, "number_observed", json_integer(clamp(f->count, 1)));
		e2 |= json_object_set_new(o, "object_refs", refs);
		refs = NULL;
		rc = add(w, o, e2);
		if (rc)
			return rc;
		have_od = 1;
	} else {
		json_decref(refs);
		refs = NULL;
	}
	o = object(w, "sighting", sg, 0);
	if (!o)
		return CS_ERR_NOMEM;
	cs__buf_reset(&w->tmp);
	rc = cs__buf_printf(&w->tmp, "%s finding (%s) at %s", kind, f->evidence ? f->evidence : "?",
	                    f->location ? f->location : "?");
	if (!rc && f->observed)
		rc = cs__buf_printf(&w->tmp, ": %s", f->observed);
	e2 = rc || json_object_set_new(o, "description", cs__rpt_jstr(cs__buf_cstr(&w->tmp)));
	e2 |= json_object_set_new(o, "sighting_of_ref", json_string(ind));
	if (first)
		e2 |= json_object_set_new(o, "first_seen",
		                          json_string(cs__rpt_time(t1, sizeof(t1), first, 1)));
	if (last)
		e2 |= json_object_set_new(o, "last_seen",
		                          json_string(cs__rpt_time(t2, sizeof(t2), last, 1)));
	e2 |= json_object_set_new(o, "count", json_integer(clamp(f->count, 0)));
	if (have_od)
		e2 |= json_object_set_new(o, "observed_data_refs", sarray1(od));
	e2 |= json_object_set_new(o, "where_sighted_refs", sarray1(where));
	if (f->warninglisted)
		e2 |= json_object_set_new(o, "x_chainsweep_warninglisted", json_true());
	return add(w, o, e2);
}

int cs_report_stix(FILE *out, const struct cs_report *r)
{
	struct stix_w w;
	char bid[STIX_ID_MAX], gen[CS_RPT_TIME_MAX];
	json_t *bundle = NULL;
	size_t i;
	int rc;

	memset(&w, 0, sizeof(w));
	cs__buf_init(&w.pat, 0);
	cs__buf_init(&w.tmp, 0);
	cs__buf_init(&w.tmp2, 0);
	cs__map_init(&w.seen);
	rc = cs__rpt_init(&w.g, r);
	if (rc)
		goto out;
	cs__rpt_time(w.now, sizeof(w.now), r->generated_ms, 1);
	rc = make_id(w.me, "identity", (const char *[]){"chainsweep"}, 1);
	if (rc)
		goto out;
	w.objs = json_array();
	bundle = json_object();
	if (!w.objs || !bundle) {
		rc = CS_ERR_NOMEM;
		goto out;
	}
	rc = identity(&w, w.me, "chainsweep",
	              "chainsweep, the sweeping tool that made this bundle");
	for (i = 0; !rc && i < w.g.ninds; i++)
		rc = indicator(&w, &w.g.inds[i]);
	for (i = 0; !rc && i < r->nfindings; i++)
		rc = sighting(&w, i);
	if (rc)
		goto out;
	cs__rpt_time(gen, sizeof(gen), r->generated_ms, 1);
	rc = make_id(bid, "bundle", (const char *[]){r->title, gen}, 2);
	if (rc)
		goto out;
	if (json_object_set_new(bundle, "type", json_string("bundle")) ||
	    json_object_set_new(bundle, "id", json_string(bid)) ||
	    json_object_set(bundle, "objects", w.objs)) {
		rc = CS_ERR_NOMEM;
		goto out;
	}
	rc = cs__rpt_dump(out, bundle, 1);
	if (!rc)
		rc = cs__rpt_flush(out);
out:
	json_decref(bundle);
	json_decref(w.objs);
	cs__rpt_release(&w.g);
	cs__map_release(&w.seen);
	cs__buf_release(&w.pat);
	cs__buf_release(&w.tmp);
	cs__buf_release(&w.tmp2);
	return rc;
}

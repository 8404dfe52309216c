/*
 * JSON Lines writer: the versioned findings schema (docs/findings-schema.md).
 *
 * One object a line, each with "schema": CS_FINDINGS_SCHEMA and "record"
 * saying what it is: a "finding" per finding in the report's order, then
 * a "host" per host (coverage; hosts that only findings name come after
 * the coverage entries, without coverage members), then one "report".
 * Absent values (NULL strings, unknown times, confidence -1) are left out
 * rather than written as null.
 */
#include <limits.h>
#include <string.h>

#include "report/report_int.h"

static json_t *juint(uint64_t v)
{
	return json_integer(v > (uint64_t)LLONG_MAX ? LLONG_MAX : (json_int_t)v);
}

static json_t *record(const char *what)
{
	json_t *o = json_object();

	if (o && (json_object_set_new(o, "schema", json_string(CS_FINDINGS_SCHEMA)) ||
	          json_object_set_new(o, "record", json_string(what)))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *string_array(const char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && v && i < n; i++) {
		if (v[i] && json_array_append_new(a, cs__rpt_jstr(v[i]))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *finding_json(const struct cs_finding_rec *f)
{
	json_t *o = record("finding");
	int e;

	if (!o)
		return NULL;
	e = json_object_set_new(o, "kind", json_string(cs__rpt_kind_name(f->kind)));
	e |= cs__rpt_set_str(o, "host", f->host);
	e |= cs__rpt_set_str(o, "evidence", f->evidence);
	e |= cs__rpt_set_str(o, "location", f->location);
	e |= cs__rpt_set_str(o, "observed", f->observed);
	e |= cs__rpt_set_str(o, "indicator_kind", f->ind_kind);
	e |= cs__rpt_set_str(o, "indicator_value", f->ind_value);
	e |= json_object_set_new(o, "labels", string_array(f->labels, f->nlabels));
	e |= cs__rpt_set_str(o, "source", f->source);
	e |= json_object_set_new(o, "warninglisted", json_boolean(f->warninglisted));
	if (f->confidence >= 0)
		e |= json_object_set_new(o, "confidence", json_integer(f->confidence));
	e |= cs__rpt_set_time(o, "first_seen", f->first_seen_ms, 0);
	e |= cs__rpt_set_time(o, "last_seen", f->last_seen_ms, 0);
	e |= json_object_set_new(o, "count", juint(f->count));
	e |= cs__rpt_set_str(o, "sha256", f->sha256);
	e |= cs__rpt_set_str(o, "sha1", f->sha1);
	e |= cs__rpt_set_str(o, "md5", f->md5);
	if (f->process) {
		/* Kept as text by the case; a damaged one is left out. */
		json_t *pj = json_loads(f->process, 0, NULL);

		if (json_is_object(pj))
			e |= json_object_set_new(o, "process", pj);
		else
			json_decref(pj);
	}
	if (e) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *host_json(const struct cs_rpt_host *h)
{
	const struct cs_host_coverage *c = h->cov;
	json_t *o = record("host");
	int e;

	if (!o)
		return NULL;
	e = cs__rpt_set_str(o, "host", h->name);
	e |= json_object_set_new(o, "findings", juint(h->nfindings));
	e |= json_object_set_new(o, "covered", json_boolean(c != NULL));
	if (c) {
		e |= cs__rpt_set_time(o, "swept", c->swept_ms, 0);
		e |= json_object_set_new(o, "files", juint(c->files));
		e |= json_object_set_new(o, "files_fully", juint(c->files_fully));
		e |= json_object_set_new(o, "log_files", juint(c->log_files));
		e |= json_object_set_new(o, "log_lines", juint(c->log_lines));
		e |= json_object_set_new(o, "packages", juint(c->packages));
		e |= json_object_set_new(o, "gaps", string_array(c->gaps, c->ngaps));
		e |= json_object_set_new(o, "incomplete", json_boolean(c->incomplete));
	}
	if (e) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *report_json(const struct cs_rpt *g)
{
	const struct cs_report *r = g->r;
	json_t *o = record("report"), *w = json_array(), *k = json_object();
	uint64_t kinds[5] = {0, 0, 0, 0, 0};
	size_t i, incomplete = 0;
	int e;

	if (!o || !w || !k)
		goto fail;
	for (i = 0; i < r->nfindings; i++) {
		unsigned kk = (unsigned)r->findings[i].kind;

		kinds[kk <= 4 ? kk : 0]++;
	}
	for (i = 0; i < g->nhosts; i++)
		incomplete += g->hosts[i].cov && g->hosts[i].cov->incomplete;
	e = cs__rpt_set_str(o, "title", r->title);
	e |= cs__rpt_set_time(o, "generated", r->generated_ms, 0);
	e |= cs__rpt_set_str(o, "tool_version", r->tool_version);
	if (r->intel_version)
		e |= json_object_set_new(o, "intel_version", json_integer(r->intel_version));
	e |= json_object_set_new(o, "hit", json_boolean(r->nfindings > 0));
	e |= json_object_set_new(o, "findings", juint(r->nfindings));
	e |= json_object_set_new(o, "indicators", juint(g->ninds));
	e |= json_object_set_new(o, "hosts", juint(g->nhosts));
	e |= json_object_set_new(o, "hosts_with_findings", juint(g->hosts_hit));
	e |= json_object_set_new(o, "hosts_incomplete", juint(incomplete));
	e |= json_object_set_new(k, "file", juint(kinds[CS_FIND_FILE]));
	e |= json_object_set_new(k, "log", juint(kinds[CS_FIND_LOG]));
	e |= json_object_set_new(k, "software", juint(kinds[CS_FIND_SOFTWARE]));
	if (kinds[CS_FIND_PROCESS])
		e |= json_object_set_new(k, "process", juint(kinds[CS_FIND_PROCESS]));
	if (kinds[0])
		e |= json_object_set_new(k, "unknown", juint(kinds[0]));
	e |= json_object_set_new(o, "by_kind", k);
	k = NULL;
	for (i = 0; i < r->nwindows; i++) {
		const struct cs_incident_window *iw = &r->windows[i];
		json_t *x = json_object();

		if (!x || json_array_append_new(w, x))
			goto fail;
		e |= cs__rpt_set_str(x, "name", iw->name);
		e |= cs__rpt_set_time(x, "from", iw->from_ms, 0);
		e |= cs__rpt_set_time(x, "until", iw->until_ms, 0);
	}
	e |= json_object_set_new(o, "windows", w);
	w = NULL;
	if (e)
		goto fail;
	return o;
fail:
	json_decref(o);
	json_decref(w);
	json_decref(k);
	return NULL;
}

/* Write one record and drop it; a NULL record is out of memory. */
static int emit(FILE *out, json_t *o)
{
	int rc;

	if (!o)
		return CS_ERR_NOMEM;
	rc = cs__rpt_dump(out, o, 0);
	json_decref(o);
	return rc;
}

int cs_report_jsonl(FILE *out, const struct cs_report *r)
{
	struct cs_rpt g;
	size_t i;
	int rc;

	rc = cs__rpt_init(&g, r);
	for (i = 0; !rc && i < r->nfindings; i++)
		rc = emit(out, finding_json(&r->findings[i]));
	for (i = 0; !rc && i < g.nhosts; i++)
		rc = emit(out, host_json(&g.hosts[i]));
	if (!rc)
		rc = emit(out, report_json(&g));
	if (!rc)
		rc = cs__rpt_flush(out);
	cs__rpt_release(&g);
	return rc;
}

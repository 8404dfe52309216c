/*
 * chainsweep report: the case's findings as JSON Lines, a self-contained
 * HTML page, a STIX 2.1 bundle of sightings and a MISP event.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/stat.h>

#include "chainsweep/correlate.h"
#include "chainsweep/report.h"
#include "cli.h"
#include "opts.h"

#define CS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct report_state {
	const struct cs_intel *intel;
	struct cs_finding_rec *v;
	size_t n, cap;
	struct cs_host_coverage *hosts;
	size_t nhosts;
	char **owned; /* strings the records point at */
	size_t nowned;
	struct cs_intel_version *versions; /* id and indicators of each, newest first */
	size_t nversions;
};

/* Keep p (malloc'ed) until the report is written; NULL when p is. */
static void *keep(struct report_state *rs, void *p)
{
	char **v;

	if (!p)
		return NULL;
	v = realloc(rs->owned, (rs->nowned + 1) * sizeof(*v));
	if (!v) {
		free(p);
		return NULL;
	}
	rs->owned = v;
	v[rs->nowned++] = p;
	return p;
}

static const char *own(struct report_state *rs, const char *s)
{
	return s ? keep(rs, strdup(s)) : NULL;
}

/* The indicator's labels, plus "campaign:X" for each "incident:X" (the
 * report draws incident windows by campaign). */
static void labels_of(struct report_state *rs, const struct cs_indicator *ind,
                      struct cs_finding_rec *f)
{
	size_t i, n = ind ? cs_indicator_label_count(ind) : 0, k = 0;
	const char **l = calloc(2 * n + 1, sizeof(*l));

	if (!l)
		return;
	for (i = 0; i < n; i++) {
		const char *x = cs_indicator_label(rs->intel, ind, i);

		l[k++] = x;
		if (strncmp(x, "incident:", 9) == 0) {
			char buf[512];

			snprintf(buf, sizeof(buf), "campaign:%s", x + 9);
			l[k++] = own(rs, buf);
		}
	}
	f->labels = keep(rs, l);
	f->nlabels = f->labels ? k : 0;
}

static int on_finding(void *ud, const struct cs_finding_rec *f, int64_t first_sweep,
                      int64_t last_sweep)
{
	struct report_state *rs = ud;
	struct cs_finding_rec *c;
	const struct cs_indicator *ind;

	(void)first_sweep;
	(void)last_sweep;
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? 2 * rs->cap : 32;
		struct cs_finding_rec *v = realloc(rs->v, cap * sizeof(*v));

		if (!v)
			return CS_ERR_NOMEM;
		rs->v = v;
		rs->cap = cap;
	}
	c = &rs->v[rs->n++];
	*c = *f;
	c->host = own(rs, f->host);
	c->evidence = own(rs, f->evidence);
	c->location = own(rs, f->location);
	c->observed = own(rs, f->observed);
	c->ind_kind = own(rs, f->ind_kind);
	c->ind_value = own(rs, f->ind_value);
	c->sha256 = own(rs, f->sha256);
	c->sha1 = own(rs, f->sha1);
	c->md5 = own(rs, f->md5);
	c->process = own(rs, f->process);
	ind = cs_intel_find(rs->intel, cs_kind_from_name(f->ind_kind), f->ind_value);
	c->confidence = ind ? cs_indicator_confidence(ind) : -1;
	c->warninglisted = ind && (cs_indicator_flags(ind) & CS_IND_WARNLISTED);
	if (ind && cs_indicator_source_count(ind)) {
		struct cs_source_info si;
		char buf[1024];

		cs_indicator_source(rs->intel, ind, 0, &si);
		if (si.line)
			snprintf(buf, sizeof(buf), "%s:%llu", si.file ? si.file : "?",
			         (unsigned long long)si.line);
		else
			snprintf(buf, sizeof(buf), "%s", si.ref ? si.ref : si.file ? si.file : "?");
		c->source = own(rs, buf);
	}
	labels_of(rs, ind, c);
	return 0;
}

static int64_t json_u(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

/* What a sweep recorded it could not do: "stopped" (interrupted or
 * time-limit) first, then "reason count" for each gap it counted. */
static size_t sweep_gaps(struct report_state *rs, json_t *cov, const char *const **out)
{
	json_t *gaps = json_object_get(cov, "gaps"), *stopped = json_object_get(cov, "stopped");
	size_t n = 0, cap = 1 + (json_is_object(gaps) ? json_object_size(gaps) : 0);
	const char **v = keep(rs, calloc(cap, sizeof(*v)));
	const char *k;
	json_t *c;
	char buf[160];

	*out = v;
	if (!v)
		return 0;
	if (json_is_string(stopped))
		v[n++] = own(rs, json_string_value(stopped));
	if (json_is_object(gaps)) {
		json_object_foreach(gaps, k, c)
		{
			if (n >= cap || !json_is_integer(c))
				continue;
			snprintf(buf, sizeof(buf), "%s %lld", k, (long long)json_integer_value(c));
			v[n++] = own(rs, buf);
		}
	}
	return n;
}

static int on_sweep(void *ud, const struct cs_sweep_info *s)
{
	struct report_state *rs = ud;
	struct cs_host_coverage *h, *v = realloc(rs->hosts, (rs->nhosts + 1) * sizeof(*v));
	json_t *cov;

	if (!v)
		return CS_ERR_NOMEM;
	rs->hosts = v;
	h = &v[rs->nhosts++];
	memset(h, 0, sizeof(*h));
	h->host = own(rs, s->host);
	h->swept_ms = s->finished * 1000;
	h->incomplete = s->incomplete;
	h->intel_version = s->intel_version;
	cov = s->coverage ? json_loads(s->coverage, 0, NULL) : NULL;
	if (cov) {
		h->files = (uint64_t)json_u(cov, "files");
		h->files_fully = (uint64_t)(json_u(cov, "files_read") + json_u(cov, "unchanged"));
		h->log_files = (uint64_t)json_u(cov, "log_files");
		h->log_lines = (uint64_t)json_u(cov, "log_lines");
		h->packages = (uint64_t)json_u(cov, "packages");
		h->ngaps = sweep_gaps(rs, cov, &h->gaps);
		json_decref(cov);
	}
	return 0;
}

/* Keep each intel version's id and size (the note is not kept). */
static int on_version(void *ud, const struct cs_intel_version *v)
{
	struct report_state *rs = ud;
	struct cs_intel_version *nv = realloc(rs->versions, (rs->nversions + 1) * sizeof(*nv));

	if (!nv)
		return CS_ERR_NOMEM;
	rs->versions = nv;
	memset(&nv[rs->nversions], 0, sizeof(*nv));
	nv[rs->nversions].id = v->id;
	nv[rs->nversions++].indicators = v->indicators;
	return 0;
}

/* How many indicators intel version `id` held; 0 when unknown. */
static uint64_t version_size(const struct report_state *rs, int64_t id)
{
	size_t i;

	for (i = 0; id && i < rs->nversions; i++)
		if (rs->versions[i].id == id)
			return rs->versions[i].indicators;
	return 0;
}

/*
 * Incident windows from the intel: for each incident or campaign label,
 * the earliest start and the latest end of the validity windows of the
 * indicators that carry it and state both ends.
 */
static size_t windows(struct report_state *rs, struct cs_incident_window **out)
{
	struct cs_incident_window *w = NULL;
	size_t nw = 0, i, k;

	for (i = 0; i < cs_intel_count(rs->intel); i++) {
		const struct cs_indicator *ind = cs_intel_at(rs->intel, i);

		for (k = 0; k < cs_indicator_label_count(ind); k++) {
			const char *l = cs_indicator_label(rs->intel, ind, k), *name;
			int64_t from = cs_indicator_valid_from(ind) * 1000;
			int64_t until = cs_indicator_valid_until(ind) * 1000;
			size_t j;

			if (strncmp(l, "campaign:", 9) == 0)
				name = l + 9;
			else if (strncmp(l, "incident:", 9) == 0)
				name = l + 9;
			else
				continue;
			for (j = 0; j < nw && strcmp(w[j].name, name) != 0; j++)
				;
			if (j == nw) {
				struct cs_incident_window *nv = realloc(w, (nw + 1) * sizeof(*w));

				if (!nv)
					break;
				w = nv;
				memset(&w[nw], 0, sizeof(*w));
				w[nw++].name = name;
			}
			/* Only indicators that state a whole window (the
			 * product-version table does) say where one is; an
			 * open validity says nothing about its end. */
			if (!from || !until)
				continue;
			if (!w[j].from_ms || from < w[j].from_ms)
				w[j].from_ms = from;
			if (until > w[j].until_ms)
				w[j].until_ms = until;
		}
	}
	for (i = k = 0; i < nw; i++)
		if (w[i].from_ms && w[i].until_ms)
			w[k++] = w[i];
	*out = w;
	return k;
}

struct report_args {
	const char *out, *host, *title;
};

#define RA(f) offsetof(struct report_args, f)
static const struct cli_opt report_opts[] = {
        {.name = "out", .kind = CLI_OPT_STR, .off = RA(out), .arg = "DIR", .complete = CLI_C_DIR,
         .help = "the folder the reports are written to (default: the current one)"},
        {.name = "host", .kind = CLI_OPT_STR, .off = RA(host), .arg = "NAME",
         .help = "only this host's findings and coverage"},
        {.name = "title", .kind = CLI_OPT_STR, .off = RA(title), .arg = "TEXT",
         .help = "the report's title (default \"chainsweep case report\")"},
        {.name = NULL},
};

static int report_run(void *p, struct cli_global *g);

const struct cli_command cli_cmd_report = {
        .name = "report",
        .summary = "the case as findings.jsonl, report.html, sightings.stix.json and\n"
                   "event.misp.json",
        .description =
                "Write the case database's findings as DIR/findings.jsonl (the versioned\n"
                "findings schema, docs/findings-schema.md), report.html (self-contained:\n"
                "summary, findings per host, timeline against each incident's window,\n"
                "overlap leads, coverage with the intel each sweep checked against),\n"
                "sightings.stix.json (STIX 2.1 sightings) and event.misp.json (a MISP\n"
                "event); the last two import back into chainsweep. Each file is written\n"
                "whole or not at all.",
        .opts = report_opts,
        .exit_status = "0 written, 2 error.",
        .run = report_run,
        .args_size = sizeof(struct report_args),
};

static int report_run(void *p, struct cli_global *g)
{
	struct report_args *A = p;
	struct report_state rs;
	struct cs_report r;
	struct cs_incident_window *w = NULL;
	struct cs_store *st = NULL;
	struct cs_intel *in = NULL;
	struct cs_correlation *corr = NULL;
	const struct cs_lead **leads = NULL;
	static const struct cs_report_file files[] = {
	        {"findings.jsonl", "jsonl"},
	        {"report.html", "html"},
	        {"sightings.stix.json", "stix"},
	        {"event.misp.json", "misp"},
	};
	struct cli_text t = {NULL, 0};
	char err[4096 + 256];
	const char *out = A->out ? A->out : ".", *host = A->host,
	           *title = A->title ? A->title : "chainsweep case report";
	int rc = CS_EXIT_ERROR, x;
	size_t i;

	memset(&rs, 0, sizeof(rs));
	if (mkdir(out, 0755) != 0 && errno != EEXIST) {
		cli_err("%s: %s", out, strerror(errno));
		return CS_EXIT_ERROR;
	}
	st = cli_open_store_ro(g);
	if (!st)
		goto done;
	in = cli_load_intel(st);
	if (!in)
		goto done;
	rs.intel = in;
	if (cs_store_findings(st, host, 0, on_finding, &rs) || cs_store_sweeps(st, on_sweep, &rs) ||
	    cs_store_versions(st, 0, on_version, &rs)) {
		cli_err("%s", cs_store_errmsg(st));
		goto done;
	}
	for (i = 0; i < rs.nhosts; i++)
		rs.hosts[i].intel_indicators = version_size(&rs, rs.hosts[i].intel_version);
	memset(&r, 0, sizeof(r));
	r.title = title;
	r.generated_ms = (int64_t)time(NULL) * 1000;
	r.tool_version = CS_VERSION;
	if (rs.nversions) {
		r.intel_version = rs.versions[0].id;
		r.intel_indicators = rs.versions[0].indicators;
	}
	r.findings = rs.v;
	r.nfindings = rs.n;
	r.nwindows = windows(&rs, &w);
	r.windows = w;
	r.hosts = rs.hosts;
	r.nhosts = rs.nhosts;
	if (host) {
		/* Only that host's coverage. */
		size_t j = 0;

		for (i = 0; i < rs.nhosts; i++)
			if (strcmp(rs.hosts[i].host, host) == 0)
				rs.hosts[j++] = rs.hosts[i];
		r.nhosts = j;
	}
	/* Whose activity: the case's findings against the intel's clusters. */
	if (rs.n && !host) {
		struct cs_correlate_opts co;

		memset(&co, 0, sizeof(co));
		co.cooccur = 1;
		co.top = 5;
		if (cs_correlate_case(st, &co, &corr) == CS_OK) {
			r.nleads = cs_correlation_lead_count(corr);
			leads = calloc(r.nleads ? r.nleads : 1, sizeof(*leads));
			for (i = 0; leads && i < r.nleads; i++)
				leads[i] = cs_correlation_lead(corr, i);
			r.leads = leads;
			if (!leads)
				r.nleads = 0;
		} else {
			cli_err("overlap leads left out of the report: %s", cs_store_errmsg(st));
		}
	}
	x = cs_report_save(out, files, CS_ARRAY_LEN(files), &r, err, sizeof(err));
	if (x) {
		cli_err("%s", cli_escape(&t, err[0] ? err : cs_strerror(x)));
		cli_err("no report written (the files already in %s, if any, are unchanged)",
		        cli_escape(&t, out));
		goto done;
	}
	for (i = 0; i < CS_ARRAY_LEN(files); i++)
		printf("%s/%s\n", cli_escape(&t, out), files[i].name);
	rc = CS_EXIT_OK;
done:
	cs_correlation_free(corr);
	free(leads);
	free(rs.versions);
	free(w);
	for (i = 0; i < rs.nowned; i++)
		free(rs.owned[i]);
	free(rs.owned);
	free(rs.v);
	free(rs.hosts);
	cs_intel_free(in);
	cs_store_close(st);
	cli_text_release(&t);
	return rc;
}

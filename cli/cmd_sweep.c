/*
 * chainsweep sweep: the file and log sweeps of one host (this one, or a
 * collected or mounted host folder with --root), with the case's intel
 * (the bundled pack when the case has none), findings recorded in the
 * case database, and the answer in plain words.
 *
 * chainsweep findings: what the case database holds.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sys/stat.h>

#include "chainsweep/logs.h"
#include "chainsweep/proc.h"
#include "chainsweep/report.h"
#include "chainsweep/scan.h"
#include "chainsweep/sigma.h"
#include "chainsweep/software.h"
#include "cli.h"
#include "opts.h"

struct sweep_state {
	const struct cli_global *g;
	const struct cs_intel *intel;
	struct cs_finding_rec *v;
	size_t n, cap;
	const char *host;
	const char *root;
	size_t rootlen;
	struct cs_store *inv_st; /* recording the inventory, or NULL */
	struct cli_progress prog; /* the progress line */
	char **owned;            /* strings findings point at (OSV ids) */
	size_t nowned;
	struct cli_text esc;
	struct cli_gaps gaps; /* what could not be read, by reason, with the files */
	struct cli_sigma *sigma; /* the case's Sigma rules, or NULL */
	const struct cs_proc_result *proc; /* the process sweep, when it ran */
};

/* How a sweep ended early, if it did. */
enum { STOP_NONE = 0, STOP_TIME = 1, STOP_INTERRUPT = 2 };
static const char *stop_name(int stop)
{
	return stop == STOP_INTERRUPT ? "interrupted" : stop == STOP_TIME ? "time-limit" : "";
}

/* A copy that lives as long as the findings. */
static const char *keep(struct sweep_state *ss, const char *s)
{
	char **v = realloc(ss->owned, (ss->nowned + 1) * sizeof(*v));

	if (!v)
		return "?";
	ss->owned = v;
	v[ss->nowned] = strdup(s ? s : "?");
	return v[ss->nowned] ? v[ss->nowned++] : "?";
}

static void on_progress(void *ud, const struct cs_scan_progress *p)
{
	struct sweep_state *ss = ud;

	ss->prog.found = ss->n;
	cli_progress_show(&ss->prog, p->files, "files", p->bytes, p->seconds);
}

static int on_file_record(void *ud, const struct cs_file_record *r)
{
	struct sweep_state *ss = ud;

	if (ss->inv_st && cs_store_inventory_put(ss->inv_st, r)) {
		cli_err("inventory not recorded: %s", cs_store_errmsg(ss->inv_st));
		ss->inv_st = NULL;
	}
	return 0;
}

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

/* Findings by kind, place, evidence and indicator. */
static int cmp_finding(const void *pa, const void *pb)
{
	const struct cs_finding_rec *a = pa, *b = pb;
	int r;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if ((r = cmp_str(a->location, b->location)) != 0)
		return r;
	if ((r = cmp_str(a->evidence, b->evidence)) != 0)
		return r;
	if ((r = cmp_str(a->ind_kind, b->ind_kind)) != 0)
		return r;
	return cmp_str(a->ind_value, b->ind_value);
}

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* The path as the user reads it: relative to --root, escaped. */
static const char *shown(struct sweep_state *ss, const char *path)
{
	if (ss->rootlen && strncmp(path, ss->root, ss->rootlen) == 0 && path[ss->rootlen] == '/')
		path += ss->rootlen;
	return cli_escape_path(&ss->esc, path);
}

static struct cs_finding_rec *add(struct sweep_state *ss)
{
	if (ss->n == ss->cap) {
		size_t c = ss->cap ? 2 * ss->cap : 32;
		struct cs_finding_rec *nv = realloc(ss->v, c * sizeof(*nv));

		if (!nv)
			return NULL;
		ss->v = nv;
		ss->cap = c;
	}
	memset(&ss->v[ss->n], 0, sizeof(*ss->v));
	return &ss->v[ss->n++];
}

static void set_indicator(struct sweep_state *ss, struct cs_finding_rec *f,
                          const struct cs_indicator *ind)
{
	struct cs_source_info si;
	char src[1024];

	f->ind_kind = cs_kind_name(cs_indicator_kind(ind));
	f->ind_value = cs_indicator_value(ind);
	f->warninglisted = (cs_indicator_flags(ind) & CS_IND_WARNLISTED) != 0;
	f->confidence = cs_indicator_confidence(ind);
	if (cs_indicator_source_count(ind)) {
		cs_indicator_source(ss->intel, ind, 0, &si);
		if (si.line)
			snprintf(src, sizeof(src), "%s:%llu", si.file ? si.file : "?",
			         (unsigned long long)si.line);
		else
			snprintf(src, sizeof(src), "%s", si.ref ? si.ref : si.file ? si.file : "?");
		f->source = xstrdup(src);
	}
}

/* The indicator a finding names, found again in the set. */
static const struct cs_indicator *indicator_of(const struct cs_intel *in,
                                               const struct cs_finding_rec *f)
{
	return cs_intel_find(in, cs_kind_from_name(f->ind_kind), f->ind_value);
}

static int on_file_finding(void *ud, const struct cs_file_finding *ff)
{
	struct sweep_state *ss = ud;
	struct cs_finding_rec *f;

	if (!ff->indicator)
		return 0;
	f = add(ss);
	if (!f)
		return CS_ERR_NOMEM;
	f->kind = CS_FIND_FILE;
	f->host = ss->host;
	f->evidence = cs_evidence_name(ff->evidence);
	f->location = xstrdup(shown(ss, ff->path));
	f->observed = xstrdup(ff->evidence == CS_EV_PATH || ff->evidence == CS_EV_NAME
	                              ? shown(ss, ff->matched)
	                              : cli_escape(&ss->esc, ff->matched));
	set_indicator(ss, f, ff->indicator);
	f->first_seen_ms = f->last_seen_ms = ff->mtime * 1000;
	f->count = 1;
	f->sha256 = xstrdup(ff->sha256);
	f->sha1 = xstrdup(ff->sha1);
	f->md5 = xstrdup(ff->md5);
	return 0;
}

static int on_log_hit(void *ud, const struct cs_log_hit *h)
{
	struct sweep_state *ss = ud;
	const char *loc = shown(ss, h->file);
	struct cs_finding_rec *f = NULL;
	size_t i;

	/* One finding per log file and indicator, with its span. */
	for (i = ss->n; i > 0; i--) {
		struct cs_finding_rec *x = &ss->v[i - 1];

		if (x->kind == CS_FIND_LOG && strcmp(x->location, loc) == 0 &&
		    x->ind_value == cs_indicator_value(h->indicator)) {
			f = x;
			break;
		}
	}
	if (!f) {
		f = add(ss);
		if (!f)
			return CS_ERR_NOMEM;
		f->kind = CS_FIND_LOG;
		f->host = ss->host;
		f->evidence = "log";
		f->location = xstrdup(loc);
		f->observed = xstrdup(cli_escape(&ss->esc, h->matched));
		set_indicator(ss, f, h->indicator);
	}
	f->count++;
	if (h->has_time) {
		if (!f->first_seen_ms || h->time_ms < f->first_seen_ms)
			f->first_seen_ms = h->time_ms;
		if (h->time_ms > f->last_seen_ms)
			f->last_seen_ms = h->time_ms;
	}
	return 0;
}

/* A Sigma rule that fired in a log: one finding per log file and rule,
 * its observed text the first event's record and the fields it matched. */
static int on_sigma_finding(void *ud, const struct cli_sigma_finding *sf)
{
	struct sweep_state *ss = ud;
	const struct cs_indicator *ind =
	        cs_intel_find(ss->intel, CS_KIND_SIGMA_RULE, sf->rule->indicator);
	struct cs_finding_rec *f;
	char *obs = NULL;

	if (!ind)
		return 0;
	f = add(ss);
	if (!f)
		return CS_ERR_NOMEM;
	f->kind = CS_FIND_LOG;
	f->host = ss->host;
	f->evidence = "sigma";
	f->location = xstrdup(shown(ss, sf->file));
	/* "Title (level), record 5002: Image=..." */
	if (asprintf(&obs, "%s%s%s%s, %s %llu: %s", sf->rule->title ? cli_safe(sf->rule->title) : "",
	             cs_sigma_level_name(sf->rule->level)[0] ? " (" : "",
	             cs_sigma_level_name(sf->rule->level),
	             cs_sigma_level_name(sf->rule->level)[0] ? ")" : "",
	             sf->record_id ? "record" : "line",
	             (unsigned long long)(sf->record_id ? sf->record_id : sf->line),
	             cli_escape(&ss->esc, sf->matched)) < 0)
		obs = NULL;
	f->observed = obs;
	set_indicator(ss, f, ind);
	f->count = sf->count;
	if (sf->has_time) {
		f->first_seen_ms = sf->first_ms;
		f->last_seen_ms = sf->last_ms;
	}
	return 0;
}

static int on_proc_finding(void *ud, const struct cs_proc_finding *pf)
{
	struct sweep_state *ss = ud;
	struct cs_finding_rec *f;

	if (!pf->indicator)
		return 0;
	f = add(ss);
	if (!f)
		return CS_ERR_NOMEM;
	return cli_proc_rec(ss->intel, ss->host, pf, f);
}

static int on_sweep_event(void *ud, const struct cs_event *e)
{
	struct sweep_state *ss = ud;

	return cli_sigma_event(ss->sigma, e);
}

static int on_software(void *ud, const struct cs_software_finding *sf)
{
	struct sweep_state *ss = ud;
	const struct cs_package *p = sf->pkg;
	struct cs_finding_rec *f = add(ss);
	char buf[1024];

	if (!f)
		return CS_ERR_NOMEM;
	f->kind = CS_FIND_SOFTWARE;
	f->host = ss->host;
	f->evidence = sf->indeterminate ? "version-indeterminate" : "version";
	snprintf(buf, sizeof(buf), "%s%s%s", shown(ss, p->file ? p->file : "?"),
	         p->entry ? " " : "", p->entry ? p->entry : "");
	f->location = xstrdup(buf);
	snprintf(buf, sizeof(buf), "%s %s%s%s%s", p->name ? p->name : "?",
	         p->version ? p->version : "?", p->platform ? " (" : "",
	         p->platform ? p->platform : "", p->platform ? ")" : "");
	f->observed = xstrdup(buf);
	if (sf->indicator) {
		set_indicator(ss, f, sf->indicator);
	} else {
		f->ind_kind = sf->malicious ? "osv-malicious" : "osv";
		f->ind_value = keep(ss, sf->id);
		f->confidence = -1;
	}
	f->first_seen_ms = f->last_seen_ms = p->install_time * 1000;
	f->count = 1;
	return 0;
}

static void on_quiet_diag(void *ud, const struct cs_diag *d)
{
	struct sweep_state *ss = ud;

	if (ss->g->verbose && !ss->g->json) {
		cli_progress_clear(&ss->prog);
		fprintf(stderr, "%s", d->file ? cli_escape(&ss->esc, d->file) : "-");
		if (d->line)
			fprintf(stderr, ":%llu", (unsigned long long)d->line);
		fprintf(stderr, ": %s\n", cli_safe(d->message));
	}
}

/* The file sweep's problems: those counted as gaps name their files. */
static void on_file_diag(void *ud, const struct cs_diag *d)
{
	struct sweep_state *ss = ud;
	int k;

	on_quiet_diag(ud, d);
	if (!d->reason || !d->file)
		return;
	for (k = 0; k < CS_COV_NREASONS; k++)
		if (cs_scan_reason_gap((enum cs_scan_reason)k) &&
		    strcmp(d->reason, cs_scan_reason_name((enum cs_scan_reason)k)) == 0) {
			cli_gaps_add(&ss->gaps, d->reason, shown(ss, d->file));
			return;
		}
}

/* Log files that could not be read to their end. */
static void on_log_diag(void *ud, const struct cs_diag *d)
{
	struct sweep_state *ss = ud;

	on_quiet_diag(ud, d);
	if (!d->reason || !d->file)
		return;
	if (strcmp(d->reason, "open") == 0 || strcmp(d->reason, "read-error") == 0)
		cli_gaps_add(&ss->gaps, "log-unreadable", shown(ss, d->file));
	else if (strcmp(d->reason, "time-limit") == 0 || strcmp(d->reason, "interrupted") == 0)
		cli_gaps_add(&ss->gaps, d->reason, shown(ss, d->file));
}

/* Software inputs that were broken or could not be opened. */
static void on_sw_diag(void *ud, const struct cs_diag *d)
{
	struct sweep_state *ss = ud;

	on_quiet_diag(ud, d);
	if (!d->reason || !d->file || d->severity < CS_SEV_WARN)
		return;
	if (strcmp(d->reason, "broken") == 0)
		cli_gaps_add(&ss->gaps, "software-broken", shown(ss, d->file));
	else if (strcmp(d->reason, "unreadable") == 0)
		cli_gaps_add(&ss->gaps, "software-unreadable", shown(ss, d->file));
	else if (strcmp(d->reason, "time_limit") == 0)
		cli_gaps_add(&ss->gaps, "time-limit", shown(ss, d->file));
	else if (strcmp(d->reason, "interrupted") == 0)
		cli_gaps_add(&ss->gaps, "interrupted", shown(ss, d->file));
}

static void free_findings(struct sweep_state *ss)
{
	size_t i;

	for (i = 0; i < ss->n; i++) {
		free((char *)ss->v[i].location);
		free((char *)ss->v[i].observed);
		free((char *)ss->v[i].source);
		free((char *)ss->v[i].sha256);
		free((char *)ss->v[i].sha1);
		free((char *)ss->v[i].md5);
		free((char *)ss->v[i].process);
	}
	free(ss->v);
	ss->v = NULL;
	ss->n = ss->cap = 0;
	for (i = 0; i < ss->nowned; i++)
		free(ss->owned[i]);
	free(ss->owned);
	ss->owned = NULL;
	ss->nowned = 0;
	cli_gaps_release(&ss->gaps);
}

/* The files behind each gap: the first few per reason, all with
 * --verbose. */
static void print_gap_files(struct sweep_state *ss)
{
	size_t i, k;

	for (i = 0; i < ss->gaps.n; i++) {
		const struct cli_gap *gp = &ss->gaps.v[i];
		size_t show = ss->g->verbose ? gp->n : gp->n < 5 ? gp->n : 5;

		printf("    %s: %llu file%s\n", gp->reason, (unsigned long long)gp->total,
		       gp->total == 1 ? "" : "s");
		for (k = 0; k < show; k++)
			printf("      %s\n", gp->paths[k]);
		if (gp->total > show)
			printf("      ... and %llu more%s\n",
			       (unsigned long long)(gp->total - show),
			       ss->g->verbose ? "" : " (--verbose lists them)");
	}
}

static const char *ms_text(int64_t ms, char *buf, size_t len)
{
	if (!ms)
		return "no time";
	return cli_time(ms / 1000, buf, len);
}

/* The incidents (campaign labels, without sub-activity) and actors the
 * findings name, comma-separated. */
static void incidents(struct sweep_state *ss, const char *prefix, char *out, size_t len)
{
	size_t i, k, o = 0;

	out[0] = '\0';
	for (i = 0; i < ss->n; i++) {
		const struct cs_indicator *ind = indicator_of(ss->intel, &ss->v[i]);
		size_t nl = ind ? cs_indicator_label_count(ind) : 0;

		for (k = 0; k < nl; k++) {
			const char *l = cs_indicator_label(ss->intel, ind, k);
			char name[128];
			size_t pl = strlen(prefix), nn;

			if (strncmp(l, prefix, pl) != 0)
				continue;
			nn = strcspn(l + pl, ":");
			if (nn >= sizeof(name))
				nn = sizeof(name) - 1;
			memcpy(name, l + pl, nn);
			name[nn] = '\0';
			if (strstr(out, name))
				continue;
			o += (size_t)snprintf(out + o, len > o ? len - o : 0, "%s%s", o ? ", " : "",
			                      name);
		}
	}
}

/* Names under another label prefix, added to a list incidents() made. */
static void incidents_more(struct sweep_state *ss, const char *prefix, char *out, size_t len)
{
	char more[512], *p, *save = NULL;
	size_t o = strlen(out);

	incidents(ss, prefix, more, sizeof(more));
	for (p = strtok_r(more, ", ", &save); p; p = strtok_r(NULL, ", ", &save)) {
		if (strstr(out, p))
			continue;
		o += (size_t)snprintf(out + o, len > o ? len - o : 0, "%s%s", o ? ", " : "", p);
	}
}

/* The process findings of the answer, and what the process sweep saw. */
static void answer_processes(struct sweep_state *ss)
{
	size_t i, n = 0;

	for (i = 0; i < ss->n; i++)
		n += ss->v[i].kind == CS_FIND_PROCESS;
	if (n) {
		printf("  Processes (%zu):\n", n);
		for (i = 0; i < ss->n; i++) {
			const struct cs_finding_rec *f = &ss->v[i];

			if (f->kind == CS_FIND_PROCESS)
				printf("    %s  %s %s = %s\n", cli_safe(f->location),
				       cli_safe(f->evidence), cli_safe(f->ind_kind),
				       cli_safe(f->ind_value));
		}
	}
	if (ss->proc)
		cli_proc_summary(ss->proc, stdout);
}

/* A Sigma finding's rule as a person reads it: its title and level (the
 * indicator's description begins with the title), else its id. */
static const char *rule_title(struct sweep_state *ss, const struct cs_finding_rec *f)
{
	static char buf[300];
	const struct cs_indicator *ind = indicator_of(ss->intel, f);
	struct cs_source_info si;
	const char *level = NULL;
	size_t i, n;

	if (!ind || !cs_indicator_source_count(ind))
		return f->ind_value;
	cs_indicator_source(ss->intel, ind, 0, &si);
	if (!si.description)
		return f->ind_value;
	n = strcspn(si.description, ";");
	for (i = 0; i < cs_indicator_label_count(ind); i++) {
		const char *l = cs_indicator_label(ss->intel, ind, i);

		if (l && strncmp(l, "sigma-level:", 12) == 0)
			level = l + 12;
	}
	snprintf(buf, sizeof(buf), "%.*s%s%s%s", (int)(n > 200 ? 200 : n), si.description,
	         level ? " (" : "", level ? level : "", level ? ")" : "");
	return buf;
}

static void answer(struct sweep_state *ss, const struct cs_scan_result *fr,
                   const struct cs_log_result *lr, int logs_ran, const struct cs_pkgset *ps,
                   int incomplete, int stop, double limit)
{
	char inc[512], act[512], a[32], b[32];
	size_t i, files = 0, contacts = 0, versions = 0, rules = 0;
	int64_t first = 0, last = 0;

	for (i = 0; i < ss->n; i++) {
		int sigma = ss->v[i].kind == CS_FIND_LOG && strcmp(ss->v[i].evidence, "sigma") == 0;

		files += ss->v[i].kind == CS_FIND_FILE;
		rules += sigma;
		contacts += ss->v[i].kind == CS_FIND_LOG && !sigma;
		versions += ss->v[i].kind == CS_FIND_SOFTWARE;
		if (ss->v[i].kind == CS_FIND_LOG && ss->v[i].first_seen_ms &&
		    (!first || ss->v[i].first_seen_ms < first))
			first = ss->v[i].first_seen_ms;
		if (ss->v[i].kind == CS_FIND_LOG && ss->v[i].last_seen_ms > last)
			last = ss->v[i].last_seen_ms;
	}
	incidents(ss, "campaign:", inc, sizeof(inc));
	incidents_more(ss, "incident:", inc, sizeof(inc));
	incidents(ss, "actor:", act, sizeof(act));
	if (!ss->n) {
		printf("NOTHING FOUND on %s%s.\n", cli_safe(ss->host),
		       incomplete ? ", but the sweep was INCOMPLETE (see below)" : "");
	} else {
		printf("HIT on %s: %s%s%s%s%s.\n", cli_safe(ss->host),
		       inc[0] ? cli_safe(inc) : "no incident named", act[0] ? " (" : "",
		       act[0] ? "actor " : "", cli_safe(act), act[0] ? ")" : "");
	}
	if (files) {
		printf("  Files (%zu):\n", files);
		for (i = 0; i < ss->n; i++) {
			const struct cs_finding_rec *f = &ss->v[i];

			if (f->kind != CS_FIND_FILE)
				continue;
			printf("    %s  %s %s = %s%s  (modified %s)\n", cli_safe(f->location),
			       cli_safe(f->evidence), cli_safe(f->ind_kind), cli_safe(f->ind_value),
			       f->warninglisted ? " (warninglisted)" : "",
			       ms_text(f->first_seen_ms, a, sizeof(a)));
		}
	}
	if (contacts) {
		printf("  Contacts (%zu indicator%s in logs), first %s, last %s:\n", contacts,
		       contacts == 1 ? "" : "s", ms_text(first, a, sizeof(a)),
		       ms_text(last, b, sizeof(b)));
		for (i = 0; i < ss->n; i++) {
			const struct cs_finding_rec *f = &ss->v[i];

			if (f->kind != CS_FIND_LOG || strcmp(f->evidence, "sigma") == 0)
				continue;
			printf("    %s %s  %llu line%s in %s, first %s, last %s%s\n",
			       cli_safe(f->ind_kind), cli_safe(f->ind_value),
			       (unsigned long long)f->count, f->count == 1 ? "" : "s",
			       cli_safe(f->location), ms_text(f->first_seen_ms, a, sizeof(a)),
			       ms_text(f->last_seen_ms, b, sizeof(b)),
			       f->warninglisted ? " (warninglisted)" : "");
		}
	}
	if (rules) {
		printf("  Behaviour (%zu Sigma rule%s fired on logged events):\n", rules,
		       rules == 1 ? "" : "s");
		for (i = 0; i < ss->n; i++) {
			const struct cs_finding_rec *f = &ss->v[i];

			if (f->kind != CS_FIND_LOG || strcmp(f->evidence, "sigma") != 0)
				continue;
			const char *o = f->observed ? f->observed : "", *rec = strstr(o, ", record ");

			if (!rec)
				rec = strstr(o, ", line ");
			printf("    %s  %llu event%s in %s, first %s, last %s\n      %s\n",
			       cli_safe(rule_title(ss, f)), (unsigned long long)f->count,
			       f->count == 1 ? "" : "s", cli_safe(f->location),
			       ms_text(f->first_seen_ms, a, sizeof(a)),
			       ms_text(f->last_seen_ms, b, sizeof(b)), cli_safe(rec ? rec + 2 : o));
		}
	}
	if (versions) {
		printf("  Versions (%zu):\n", versions);
		for (i = 0; i < ss->n; i++) {
			const struct cs_finding_rec *f = &ss->v[i];

			if (f->kind != CS_FIND_SOFTWARE)
				continue;
			printf("    %s  in %s  %s %s%s", cli_safe(f->observed),
			       cli_safe(f->location), cli_safe(f->ind_kind), cli_safe(f->ind_value),
			       strcmp(f->evidence, "version") ? "  (INDETERMINATE: the version "
			                                        "cannot be ordered)"
			                                      : "");
			if (f->first_seen_ms)
				printf("  (installed %s)", ms_text(f->first_seen_ms, a, sizeof(a)));
			putchar('\n');
		}
	}
	answer_processes(ss);
	printf("  Coverage: %llu files (%llu read, %llu unchanged since the last sweep, "
	       "%llu archive members)",
	       (unsigned long long)fr->count[CS_COV_FILES],
	       (unsigned long long)fr->count[CS_COV_SCANNED],
	       (unsigned long long)fr->count[CS_COV_UNCHANGED],
	       (unsigned long long)fr->count[CS_COV_MEMBERS]);
	if (logs_ran)
		printf(", %llu log files (%llu lines)", (unsigned long long)lr->files,
		       (unsigned long long)lr->lines);
	if (ps)
		printf(", %zu installed packages and applications", cs_pkgset_count(ps));
	printf(": %s\n", incomplete ? "INCOMPLETE" : "complete");
	if (stop == STOP_TIME)
		printf("    STOPPED by the time limit (--max-runtime %g s): what is above was "
		       "swept and recorded\n",
		       limit);
	else if (stop == STOP_INTERRUPT)
		printf("    INTERRUPTED (signal): what is above was swept and recorded\n");
	if (incomplete) {
		int k;

		for (k = 0; k < CS_COV_NREASONS; k++)
			if (fr->count[k] && cs_scan_reason_gap((enum cs_scan_reason)k))
				printf("    not fully swept: %s %llu\n",
				       cs_scan_reason_name((enum cs_scan_reason)k),
				       (unsigned long long)fr->count[k]);
		if (logs_ran && lr->files_failed)
			printf("    log files not read to the end: %llu\n",
			       (unsigned long long)lr->files_failed);
		for (k = 0; ps && k < CS_PKG_NCOUNTS; k++)
			if (cs_pkgset_counter(ps, (enum cs_pkg_count)k) &&
			    cs_pkg_count_gap((enum cs_pkg_count)k))
				printf("    software inputs %s: %llu\n",
				       cs_pkg_count_name((enum cs_pkg_count)k),
				       (unsigned long long)cs_pkgset_counter(ps,
				                                             (enum cs_pkg_count)k));
		if (ss->gaps.n) {
			printf("  Not read, by reason:\n");
			print_gap_files(ss);
		}
	}
}

static int is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * `rel` below `root`, each component matched without regard to case (a
 * Windows disk image or a triage collection keeps the case Windows used,
 * which varies: "Windows/System32/winevt/Logs", "WINDOWS/system32/...").
 * Writes the path found into out; 0, or -1 when some component is missing.
 */
static int find_ci(const char *root, const char *rel, char *out, size_t len)
{
	char comp[256];
	const char *p = rel;

	if ((size_t)snprintf(out, len, "%s", root) >= len)
		return -1;
	while (*p) {
		size_t n = strcspn(p, "/"), used = strlen(out);
		struct dirent *e;
		DIR *d;
		int found = 0;

		if (n == 0 || n >= sizeof(comp))
			return -1;
		memcpy(comp, p, n);
		comp[n] = '\0';
		d = opendir(out[0] ? out : "/");
		if (!d)
			return -1;
		while ((e = readdir(d)) != NULL) {
			if (strcasecmp(e->d_name, comp) == 0) {
				found = (size_t)snprintf(out + used, len - used, "/%s", e->d_name) <
				        len - used;
				break;
			}
		}
		closedir(d);
		if (!found)
			return -1;
		p += n;
		while (*p == '/')
			p++;
	}
	return 0;
}

/*
 * The recorder: how `scan files` and `scan logs` put what they printed
 * into the case, through the same conversion and the same kind of sweep
 * row as `sweep`.
 */
struct cli_recorder {
	struct sweep_state ss;
};

struct cli_recorder *cli_recorder_new(const struct cli_global *g, const struct cs_intel *in,
                                      const char *host)
{
	struct cli_recorder *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->ss.g = g;
	r->ss.intel = in;
	r->ss.host = host;
	r->ss.root = "";
	return r;
}

void cli_recorder_set_intel(struct cli_recorder *r, const struct cs_intel *in)
{
	r->ss.intel = in;
}

int cli_record_file(struct cli_recorder *r, const struct cs_file_finding *ff)
{
	return on_file_finding(&r->ss, ff);
}

int cli_record_log(struct cli_recorder *r, const struct cs_log_hit *h)
{
	return on_log_hit(&r->ss, h);
}

int cli_record_sigma(struct cli_recorder *r, const struct cli_sigma_finding *f)
{
	return on_sigma_finding(&r->ss, f);
}

int cli_record_proc(struct cli_recorder *r, const struct cs_proc_finding *pf)
{
	return on_proc_finding(&r->ss, pf);
}

int cli_recorder_save(struct cli_recorder *r, struct cs_store *st, const char *what,
                      json_t *coverage, int incomplete)
{
	int64_t sweep;
	size_t i;
	char *cov = json_dumps(coverage, JSON_COMPACT | JSON_SORT_KEYS);
	int rc = -1;

	if (!cov || cs_store_sweep_begin(st, r->ss.host, what, &sweep))
		goto out;
	for (i = 0; i < r->ss.n; i++)
		if (cs_store_finding_put(st, sweep, &r->ss.v[i]))
			goto out;
	if (cs_store_sweep_end(st, sweep, cov, incomplete))
		goto out;
	rc = 0;
out:
	if (rc)
		cli_err("the findings were not recorded in the case: %s", cs_store_errmsg(st));
	free(cov);
	return rc;
}

void cli_recorder_free(struct cli_recorder *r)
{
	if (!r)
		return;
	free_findings(&r->ss);
	cli_text_release(&r->ss.esc);
	free(r);
}

/* Seconds the time limit leaves (a tiny positive value once it is
 * spent, so that the next stage stops at once); 0 without a limit. */
static double time_left(double limit, double t0)
{
	double left;

	if (limit <= 0)
		return 0;
	left = limit - (cli_now() - t0);
	return left > 1e-9 ? left : 1e-9;
}

/*
 * The intel of the sweep: the case's, the bundled pack when the case has
 * none, and the --intel files, imported into the case as a new version.
 * Files that cannot be fully used go to ss->gaps; returns NULL (the
 * error printed) when nothing usable is left.
 */
static struct cs_intel *sweep_intel(struct sweep_state *ss, struct cs_store *st, char **files,
                                    size_t nfiles, int *unrecorded)
{
	const struct cli_global *g = ss->g;
	struct cs_intel *in = cli_load_intel(st);
	int64_t ver;

	if (!in)
		return NULL;
	if (cli_intel_cache(in, g))
		goto fail;
	if (!cs_intel_count(in)) {
		/* A case without intel sweeps with the bundled pack. */
		const char *pack = cli_bundled_intel();
		struct cs_import_stats is;

		memset(&is, 0, sizeof(is));
		if (!pack && !nfiles) {
			cli_err("the case holds no intel and the bundled pack is not installed: "
			        "import some first (chainsweep intel import), or give --intel");
			goto fail;
		}
		if (pack && cs_intel_import(in, pack, &is)) {
			cli_err("cannot import the bundled pack %s", pack);
			goto fail;
		}
		if (pack && (*unrecorded || cs_store_save_intel(st, in, "bundled pack", &is, &ver))) {
			if (!*unrecorded)
				cli_err("cannot record the bundled pack in the case (%s): sweeping "
				        "with it anyway",
				        cs_store_errmsg(st));
			*unrecorded = 1;
		}
		if (pack && !g->quiet && !g->json)
			fprintf(stderr,
			        "chainsweep: the case held no intel: imported the bundled pack "
			        "(%llu indicators)\n",
			        (unsigned long long)is.read);
	}
	if (nfiles) {
		size_t usable = cli_import_more(in, files, nfiles, g, &ss->gaps);

		if (!usable) {
			cli_err("no usable intel in the --intel sources: nothing swept");
			goto fail;
		}
		if (!*unrecorded && cs_store_save_intel(st, in, "sweep --intel", NULL, &ver)) {
			cli_err("cannot record the intel in the case (%s): sweeping with it anyway",
			        cs_store_errmsg(st));
			*unrecorded = 1;
		}
		if (!g->json)
			cli_print_intel_gaps(&ss->gaps, g);
	}
	if (!cs_intel_count(in)) {
		cli_err("no intel to sweep with: nothing swept");
		goto fail;
	}
	return in;
fail:
	cs_intel_free(in);
	return NULL;
}

static json_t *finding_json(const struct cs_finding_rec *f)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s, s:s, s:I, s:I, s:I}", "record",
	                 "finding", "host", f->host, "kind",
	                 f->kind == CS_FIND_FILE      ? "file"
	                 : f->kind == CS_FIND_LOG     ? "log"
	                 : f->kind == CS_FIND_PROCESS ? "process"
	                                              : "software",
	                 "evidence", f->evidence, "location", f->location, "observed", f->observed,
	                 "indicator_kind", f->ind_kind, "indicator", f->ind_value, "first_seen_ms",
	                 (json_int_t)f->first_seen_ms, "last_seen_ms", (json_int_t)f->last_seen_ms,
	                 "count", (json_int_t)f->count);
}

static void answer_json(struct sweep_state *ss, const struct cs_scan_result *fr,
                        const struct cs_log_result *lr, int logs_ran, const struct cs_pkgset *ps,
                        int incomplete, int stop, double seconds)
{
	json_t *o = json_object(), *cov = json_object();
	size_t i;
	int k;

	for (i = 0; i < ss->n; i++)
		cli_json_print(finding_json(&ss->v[i]));
	for (k = 0; k < CS_COV_NREASONS; k++)
		json_object_set_new(cov, cs_scan_reason_name((enum cs_scan_reason)k),
		                    json_integer((json_int_t)fr->count[k]));
	json_object_set_new(o, "record", json_string("summary"));
	json_object_set_new(o, "host", json_string(ss->host));
	json_object_set_new(o, "findings", json_integer((json_int_t)ss->n));
	json_object_set_new(o, "incomplete", json_boolean(incomplete));
	if (stop)
		json_object_set_new(o, "stopped", json_string(stop_name(stop)));
	json_object_set_new(o, "seconds", json_real(seconds));
	json_object_set_new(o, "files", cov);
	if (logs_ran)
		json_object_set_new(o, "logs",
		                    json_pack("{s:I, s:I, s:I, s:I}", "files",
		                              (json_int_t)lr->files, "lines", (json_int_t)lr->lines,
		                              "files_failed", (json_int_t)lr->files_failed,
		                              "files_stopped", (json_int_t)lr->files_stopped));
	if (ps) {
		json_t *sw = json_object();

		for (k = 0; k < CS_PKG_NCOUNTS; k++)
			json_object_set_new(sw, cs_pkg_count_name((enum cs_pkg_count)k),
			                    json_integer((json_int_t)cs_pkgset_counter(
			                            ps, (enum cs_pkg_count)k)));
		json_object_set_new(o, "software", sw);
	}
	if (ss->proc)
		json_object_set_new(
		        o, "processes",
		        json_pack("{s:I, s:I, s:I, s:I, s:b, s:b}", "scanned",
		                  (json_int_t)ss->proc->scanned, "vanished",
		                  (json_int_t)ss->proc->vanished, "files",
		                  (json_int_t)ss->proc->files, "memory_bytes",
		                  (json_int_t)ss->proc->memory_bytes, "not_root",
		                  ss->proc->not_root, "incomplete", ss->proc->incomplete));
	json_object_set_new(o, "not_read", cli_gaps_json(&ss->gaps));
	cli_json_print(o);
}

/* The coverage a sweep records with its row (docs/case-database.md):
 * counts, why it stopped early if it did, and its gaps by reason. */
static char *coverage_json(struct sweep_state *ss, const struct cs_scan_result *fr,
                           const struct cs_log_result *lr, const struct cs_pkgset *ps, size_t npkgs,
                           int stop)
{
	json_t *o = json_pack(
	        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "files", (json_int_t)fr->count[CS_COV_FILES],
	        "files_read", (json_int_t)fr->count[CS_COV_SCANNED], "unchanged",
	        (json_int_t)fr->count[CS_COV_UNCHANGED], "log_files", (json_int_t)lr->files,
	        "log_lines", (json_int_t)lr->lines, "log_files_failed",
	        (json_int_t)lr->files_failed, "packages", (json_int_t)npkgs);
	json_t *gaps = json_object();
	char *s;
	size_t i;
	int k;

	if (!o || !gaps) {
		json_decref(o);
		json_decref(gaps);
		return NULL;
	}
	if (stop)
		json_object_set_new(o, "stopped", json_string(stop_name(stop)));
	for (k = 0; k < CS_COV_NREASONS; k++)
		if (fr->count[k] && cs_scan_reason_gap((enum cs_scan_reason)k))
			json_object_set_new(gaps, cs_scan_reason_name((enum cs_scan_reason)k),
			                    json_integer((json_int_t)fr->count[k]));
	if (lr->files_stopped)
		json_object_set_new(gaps, "log-files-stopped",
		                    json_integer((json_int_t)lr->files_stopped));
	for (k = 0; ps && k < CS_PKG_NCOUNTS; k++)
		if (cs_pkg_count_gap((enum cs_pkg_count)k) &&
		    cs_pkgset_counter(ps, (enum cs_pkg_count)k)) {
			char name[64];

			snprintf(name, sizeof(name), "software-%s",
			         cs_pkg_count_name((enum cs_pkg_count)k));
			json_object_set_new(gaps, name,
			                    json_integer((json_int_t)cs_pkgset_counter(
			                            ps, (enum cs_pkg_count)k)));
		}
	for (i = 0; i < ss->gaps.n; i++)
		if (!json_object_get(gaps, ss->gaps.v[i].reason))
			json_object_set_new(gaps, ss->gaps.v[i].reason,
			                    json_integer((json_int_t)ss->gaps.v[i].total));
	json_object_set_new(o, "gaps", gaps);
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s;
}

/*
 * The running processes of the live host (docs/live-host.md), after the
 * file sweep: the files it read and that did not change since are matched
 * from the inventory it has just recorded, so each file is read once per
 * sweep.
 */
static int sweep_processes(struct sweep_state *ss, struct cs_store *st, const struct cs_matcher *m,
                           const struct cs_proc_opts *po, struct cs_proc_result *res)
{
	struct cs_proc_opts o = *po;
	struct cs_inventory *inv = cs_inventory_new();
	char digest[80];
	int rc;

	if (!inv)
		return CS_ERR_NOMEM;
	if (cs_store_inventory_load(st, ss->host, inv, digest, sizeof(digest)) == CS_OK) {
		o.known = inv;
		o.known_yara_valid = strcmp(digest, cs_matcher_yara_digest(m)) == 0;
	}
	o.interrupt = &cli_interrupted;
	o.on_finding = on_proc_finding;
	o.on_diag = on_quiet_diag;
	o.userdata = ss;
	if (geteuid() != 0 && !ss->g->json)
		cli_err("not running as root: the process sweep reads only this user's processes "
		        "fully (the sweep is incomplete)");
	rc = cs_scan_processes(m, &o, res);
	cs_inventory_free(inv);
	if (!rc)
		ss->proc = res;
	return rc;
}

struct sweep_args {
	struct cli_list logs, osv, intel, exclude;
	const char *root, *host;
	int no_logs, no_software, all_filesystems, no_processes;
	struct cs_proc_opts po;
	double max_runtime, max_rate;
	unsigned threads;
};

#define WA(f) offsetof(struct sweep_args, f)
static const struct cli_opt sweep_opts[] = {
        {.name = "root", .kind = CLI_OPT_STR, .off = WA(root), .arg = "DIR", .complete = CLI_C_DIR,
         .help = "the host's root folder (default /)"},
        {.name = "host", .kind = CLI_OPT_STR, .off = WA(host), .arg = "NAME",
         .help = "the host's name (default: this host's name, or the base name of --root)"},
        {.name = "logs", .kind = CLI_OPT_LIST, .off = WA(logs), .arg = "DIR|FILE",
         .complete = CLI_C_FILE, .help = "also search these logs (repeatable)"},
        {.name = "no-logs", .kind = CLI_OPT_FLAG, .off = WA(no_logs), .help = "no log search"},
        {.name = "osv", .kind = CLI_OPT_LIST, .off = WA(osv), .arg = "FILE|DIR",
         .complete = CLI_C_FILE,
         .help = "OSV advisories for the software sweep (repeatable), beside the case's"},
        {.name = "no-software", .kind = CLI_OPT_FLAG, .off = WA(no_software),
         .help = "no software sweep"},
        {.name = "no-processes", .kind = CLI_OPT_FLAG, .off = WA(no_processes),
         .help = "no process sweep (the running processes of this host, swept after the\n"
                 "files unless --root is given; docs/live-host.md)"},
        CLI_PROC_OPTS(struct sweep_args, po),
        {.name = "intel", .kind = CLI_OPT_LIST, .off = WA(intel), .arg = "FILE|DIR",
         .complete = CLI_C_FILE,
         .help = "import this intel into the case first, then sweep with all of the\n"
                 "case's intel (repeatable); intel that cannot be fully used makes the\n"
                 "sweep incomplete"},
        {.name = "max-runtime", .kind = CLI_OPT_SECONDS, .off = WA(max_runtime),
         .arg = "SECONDS", .max = 1000000000,
         .help = "stop after SECONDS in all (files, logs, software): what was found is\n"
                 "recorded, the sweep is incomplete (exit 3 when nothing was found)"},
        {.name = "max-rate", .kind = CLI_OPT_SECONDS, .off = WA(max_rate), .arg = "MBPS",
         .max = 1000000000, .help = "read files at most MBPS megabytes per second"},
        {.name = "exclude", .kind = CLI_OPT_LIST, .off = WA(exclude), .arg = "GLOB",
         .help = "skip files and folders matching (repeatable)"},
        {.name = "threads", .kind = CLI_OPT_UNSIGNED, .off = WA(threads), .arg = "N", .min = 1,
         .max = 64, .help = "threads (default: one per core)"},
        {.name = "all-filesystems", .kind = CLI_OPT_FLAG, .off = WA(all_filesystems),
         .help = "enter other mounted filesystems below the root"},
        {.name = NULL},
};

static void sweep_init(void *p)
{
	struct sweep_args *a = p;

	cs_proc_opts_init(&a->po);
}

static int sweep_run(void *p, struct cli_global *g);

const struct cli_command cli_cmd_sweep = {
        .name = "sweep",
        .summary = "sweep a host (files, archives, logs, software) with the case's intel,\n"
                   "record the findings and print the answer in plain words",
        .description =
                "Sweep this host, or a collected or mounted host folder, with the case's intel\n"
                "(the bundled 3CX/JumpCloud pack is imported first when the case has none):\n"
                "files (archives included), logs (ROOT/var/log, a Windows root's\n"
                "Windows/System32/winevt/Logs and --logs folders, with the case's Sigma\n"
                "rules over their events), then installed software (package\n"
                "databases, exports, SBOMs under the root) against the intel's product\n"
                "versions, the OSV advisories imported into the case and --osv advisories.\n"
                "Findings are recorded in the case database; the answer is printed in plain\n"
                "words. Ctrl-C or SIGTERM stops the sweep as the time limit does.",
        .opts = sweep_opts,
        .exit_status = "0 nothing found and the sweep complete, 1 findings, 2 error, 3 nothing\n"
                       "found but the sweep was incomplete (stopped, interrupted, or some input\n"
                       "or intel could not be read).",
        .init = sweep_init,
        .run = sweep_run,
        .args_size = sizeof(struct sweep_args),
};

static int sweep_run(void *p, struct cli_global *g)
{
	struct sweep_args *A = p;
	struct sweep_state ss;
	struct cs_scan_opts so;
	struct cs_log_opts lo;
	struct cs_scan_result fr;
	int left_behind = 0; /* fr.abandoned */
	struct cs_log_result lr;
	struct cs_matcher *m = NULL;
	struct cs_intel *in = NULL;
	struct cs_store *st = NULL;
	struct cs_inventory *inv = NULL;
	const char *root = A->root ? A->root : "/", *host = A->host;
	const char **logs = calloc(A->logs.n + 3, sizeof(*logs));
	const char **exc = A->exclude.v;
	char **intel_files = (char **)A->intel.v;
	size_t nlogs = A->logs.n, nexc = A->exclude.n, nintel = A->intel.n, i;
	char hostbuf[256], varlog[4096], winevt[4096], digest[80];
	int rc, no_logs = A->no_logs, logs_ran = 0, exit_code = CS_EXIT_ERROR;
	int no_software = A->no_software, sw_ran = 0, sw_incomplete = 0, incomplete,
	    stop = STOP_NONE;
	size_t npkgs = 0, nosv = A->osv.n;
	const char **osv = A->osv.v;
	struct cs_pkgset *ps = NULL;
	struct cs_advisories *adv = NULL;
	int64_t sweep = 0;
	int unrecorded = 0; /* the case could not be written */
	double max_runtime = A->max_runtime, t0 = cli_now();
	double t_intel = 0, t_files = 0, t_logs = 0, t_sw = 0;
	struct cs_proc_result pr;

	memset(&pr, 0, sizeof(pr));
	memset(&ss, 0, sizeof(ss));
	memset(&lr, 0, sizeof(lr));
	memset(&fr, 0, sizeof(fr));
	ss.g = g;
	cs_scan_opts_init(&so);
	cs_log_opts_init(&lo);
	if (!logs) {
		cli_err("out of memory");
		goto out;
	}
	for (i = 0; i < nlogs; i++)
		logs[i] = A->logs.v[i];
	if (A->all_filesystems)
		so.one_filesystem = 0;
	so.max_rate = A->max_rate;
	so.threads = lo.threads = A->threads;
	if (!is_dir(root)) {
		cli_err("%s: not a folder", root);
		goto out;
	}
	if (!host) {
		if (strcmp(root, "/") != 0) {
			const char *b = strrchr(root, '/');

			snprintf(hostbuf, sizeof(hostbuf), "%s", b && b[1] ? b + 1 : root);
			host = hostbuf;
		} else {
			host = cli_this_host(hostbuf, sizeof(hostbuf));
		}
	}
	ss.host = host;
	ss.root = strcmp(root, "/") ? root : "";
	ss.rootlen = strlen(ss.root);
	/* From here a signal stops the sweep, which still records what it
	 * found; the time limit counts from here too. */
	cli_catch_signals();
	st = cli_create_store(g);
	if (!st) {
		/* A case that exists but cannot be written still gives its
		 * intel: sweep, print, and say it was not recorded. */
		st = cli_open_store_ro(g);
		if (!st)
			goto out;
		cli_err("the case cannot be written: sweeping anyway; the answer is printed, "
		        "not recorded");
		unrecorded = 1;
	}
	in = sweep_intel(&ss, st, intel_files, nintel, &unrecorded);
	if (!in)
		goto out;
	cs_intel_finalize(in);
	ss.intel = in;
	rc = cli_matcher_new(in, g, on_quiet_diag, &ss, &ss.gaps, &m);
	if (rc) {
		cli_err("cannot compile the intel: %s", cs_strerror(rc));
		goto out;
	}
	t_intel = cli_now();
	/* A case that cannot be written (a full disk, a read-only file) does
	 * not stop the sweep: the answer is printed, and said not recorded. */
	if (!unrecorded && cs_store_sweep_begin(st, host, "files,logs", &sweep)) {
		cli_err("cannot record this sweep in the case (%s): sweeping anyway; the answer "
		        "is printed, not recorded",
		        cs_store_errmsg(st));
		unrecorded = 1;
	}
	/* Files, with the host's inventory. */
	inv = cs_inventory_new();
	if (!inv) {
		cli_err("out of memory");
		goto out;
	}
	if (cs_store_inventory_load(st, host, inv, digest, sizeof(digest))) {
		cli_err("cannot load the inventory (%s): every file is read", cs_store_errmsg(st));
		cs_inventory_seal(inv);
		digest[0] = '\0';
	}
	so.known = inv;
	so.known_yara_valid = strcmp(digest, cs_matcher_yara_digest(m)) == 0;
	so.on_finding = on_file_finding;
	so.on_diag = on_file_diag;
	so.userdata = &ss;
	so.on_file = on_file_record;
	so.exclude = exc;
	so.nexclude = nexc;
	so.interrupt = &cli_interrupted;
	so.max_runtime = time_left(max_runtime, t0);
	cli_progress_init(&ss.prog, g, "sweep: files");
	if (ss.prog.enabled)
		so.on_progress = on_progress;
	if (!unrecorded && cs_store_inventory_begin(st, host) == CS_OK)
		ss.inv_st = st;
	else if (!unrecorded)
		cli_err("inventory not recorded: %s", cs_store_errmsg(st));
	{
		const char *roots[1] = {root};

		rc = cs_scan_files(m, roots, 1, &so, &fr);
		left_behind = fr.abandoned;
	}
	cli_progress_clear(&ss.prog);
	so.on_progress = NULL;
	/* A sweep cut short still keeps the records of what it read. */
	if (!unrecorded &&
	    cs_store_inventory_end(st, rc == CS_OK && ss.inv_st, cs_matcher_yara_digest(m)) &&
	    ss.inv_st)
		cli_err("inventory not recorded: %s", cs_store_errmsg(st));
	ss.inv_st = NULL;
	if (rc) {
		cli_err("file sweep stopped: %s", cs_strerror(rc));
		goto out;
	}
	t_files = cli_now();
	/* Logs. */
	snprintf(varlog, sizeof(varlog), "%s/var/log", strcmp(root, "/") ? root : "");
	if (!no_logs && is_dir(varlog))
		logs[nlogs++] = varlog;
	/* A Windows host's event logs (.evtx), as a collected or mounted disk
	 * holds them. */
	if (!no_logs && strcmp(root, "/") != 0 &&
	    find_ci(root, "Windows/System32/winevt/Logs", winevt, sizeof(winevt)) == 0 &&
	    is_dir(winevt))
		logs[nlogs++] = winevt;
	if (nlogs) {
		lo.on_hit = on_log_hit;
		lo.on_diag = on_log_diag;
		lo.userdata = &ss;
		lo.interrupt = &cli_interrupted;
		lo.max_runtime = time_left(max_runtime, t0);
		ss.sigma = cli_sigma_new(in, g);
		if (cli_sigma_wanted(ss.sigma))
			lo.on_event = on_sweep_event;
		cli_progress_init(&ss.prog, g, "sweep: logs");
		if (ss.prog.enabled) {
			ss.prog.total = cli_tree_bytes(logs, nlogs);
			lo.on_progress = on_progress;
		}
		rc = cs_log_scan(m, logs, nlogs, &lo, &lr);
		cli_progress_clear(&ss.prog);
		if (!rc)
			rc = cli_sigma_each(ss.sigma, on_sigma_finding, &ss);
		if (rc) {
			cli_err("log search stopped: %s", cs_strerror(rc));
			goto out;
		}
		logs_ran = 1;
	}
	t_logs = cli_now();
	/* Installed software. */
	if (!no_software) {
		struct cs_software_result swr;
		size_t k2;

		ps = cs_pkgset_new();
		adv = cs_advisories_new();
		if (!ps || !adv) {
			cli_err("out of memory");
			goto out;
		}
		cs_pkgset_set_diag(ps, on_sw_diag, &ss);
		cs_pkgset_set_stop(ps, time_left(max_runtime, t0), &cli_interrupted);
		cs_advisories_set_diag(adv, on_quiet_diag, &ss);
		rc = cs_pkgset_read_host(ps, strcmp(root, "/") ? root : NULL);
		if (rc && rc != CS_ERR_EMPTY) {
			cli_err("software sweep: %s", cs_strerror(rc));
			goto out;
		}
		cs_advisories_add_intel(adv, in);
		/* Only OSV records naming an installed package are kept. */
		if (cs_advisories_restrict(adv, ps)) {
			cli_err("out of memory");
			goto out;
		}
		for (k2 = 0; k2 < nosv; k2++)
			if (cs_advisories_load_osv(adv, osv[k2]) == CS_ERR_IO)
				cli_err("%s: cannot read", osv[k2]);
		/* And the advisories imported into the case. */
		if (cli_case_advisories(st, adv, NULL)) {
			cli_err("cannot read the advisories of the case database: %s",
			        cs_store_errmsg(st));
			goto out;
		}
		rc = cs_software_match(adv, ps, on_software, &ss, &swr);
		if (rc) {
			cli_err("software sweep stopped: %s", cs_strerror(rc));
			goto out;
		}
		sw_ran = 1;
		npkgs = cs_pkgset_count(ps);
		sw_incomplete = cs_pkgset_incomplete(ps);
		/* What the host runs, for the exposure analysis. */
		if (!unrecorded && cs_store_software_save(st, sweep, ps))
			cli_err("cannot record the software: %s", cs_store_errmsg(st));
	}
	/* The live host's processes (not under --root: a folder runs nothing). */
	if (!A->no_processes && strcmp(root, "/") == 0 && !cli_interrupted &&
	    !(max_runtime > 0 && cli_now() - t0 > max_runtime)) {
		rc = sweep_processes(&ss, st, m, &A->po, &pr);
		if (rc) {
			cli_err("process sweep stopped: %s", cs_strerror(rc));
			goto out;
		}
	}
	t_sw = cli_now();
	if (cli_interrupted)
		stop = STOP_INTERRUPT;
	else if (fr.count[CS_COV_TIME_LIMIT] || lr.stopped == CS_COV_TIME_LIMIT ||
	         (ps && cs_pkgset_counter(ps, CS_PKG_TIME_LIMIT)) ||
	         (max_runtime > 0 && cli_now() - t0 > max_runtime))
		stop = STOP_TIME;
	incomplete = fr.incomplete || lr.incomplete || sw_incomplete || stop ||
	             (ss.proc && ss.proc->incomplete) ||
	             cli_gaps_total(&ss.gaps, CLI_INTEL_REJECTED) ||
	             cli_gaps_total(&ss.gaps, CLI_INTEL_UNREADABLE);
	/* Workers report in the order they finish: the answer is given in
	 * one order whatever the threads did. */
	if (ss.n)
		qsort(ss.v, ss.n, sizeof(*ss.v), cmp_finding);
	for (i = 0; i < ss.n && !unrecorded; i++) {
		if (cs_store_finding_put(st, sweep, &ss.v[i])) {
			cli_err("cannot record the findings (%s): they are printed below, not "
			        "recorded",
			        cs_store_errmsg(st));
			unrecorded = 1;
		}
	}
	if (!unrecorded) {
		char *cov = coverage_json(&ss, &fr, &lr, ps, npkgs, stop);

		if (!cov || cs_store_sweep_end(st, sweep, cov, incomplete)) {
			cli_err("cannot record the end of the sweep: %s", cs_store_errmsg(st));
			unrecorded = 1;
		}
		free(cov);
	}
	if (unrecorded)
		cli_err("this sweep is NOT recorded in the case database: keep this output");
	if (g->verbose && !g->json)
		fprintf(stderr,
		        "chainsweep: intel %.2f s, files %.2f s, logs %.2f s, software %.2f s, "
		        "recording %.2f s\n",
		        t_intel - t0, t_files - t_intel, t_logs - t_files, t_sw - t_logs,
		        cli_now() - t_sw);
	if (g->json)
		answer_json(&ss, &fr, &lr, logs_ran, sw_ran ? ps : NULL, incomplete, stop,
		            cli_now() - t0);
	else
		answer(&ss, &fr, &lr, logs_ran, sw_ran ? ps : NULL, incomplete, stop, max_runtime);
	exit_code = ss.n ? CS_EXIT_FOUND : incomplete ? CS_EXIT_INCOMPLETE : CS_EXIT_OK;
out:
	free_findings(&ss);
	/* A worker left running inside libyara still uses these: they
	 * stay until the process exits. */
	if (!left_behind) {
		cli_sigma_free(ss.sigma);
		cs_inventory_free(inv);
		cs_matcher_free(m);
		cs_intel_free(in);
	}
	cs_store_close(st);
	free(logs);
	cs_pkgset_free(ps);
	cs_advisories_free(adv);
	cli_text_release(&ss.esc);
	return exit_code;
}

struct list_state {
	const char *host;
	const struct cli_global *g;
	const struct cs_intel *intel;
	const char *label;
	const char *indicator;
	int64_t since_ms, until_ms;
	size_t n;
};

/* Does the finding name the indicator given with --indicator? The value is
 * normalised under the finding's kind as import and `intel show` would
 * (defanged, upper case: "journalide[.]org", "JOURNALIDE.ORG"). */
static int names_indicator(const char *raw, const struct cs_finding_rec *f)
{
	enum cs_kind k = cs_kind_from_name(f->ind_kind), nk;
	char *norm = NULL;
	int same;

	if (strcmp(raw, f->ind_value) == 0)
		return 1;
	if (k == CS_KIND_NONE || cs_normalize_value(k, raw, &norm, &nk))
		return 0;
	same = nk == k && strcmp(norm, f->ind_value) == 0;
	free(norm);
	return same;
}

/* The hosts whose last sweep did not look everywhere: the findings above
 * are all it could say. */
static int on_db_sweep(void *ud, const struct cs_sweep_info *s)
{
	struct list_state *ls = ud;
	json_t *cov, *stopped;
	const char *why = NULL;
	char t[32];

	if (!s->incomplete || (ls->host && strcmp(ls->host, s->host) != 0))
		return 0;
	cov = s->coverage ? json_loads(s->coverage, 0, NULL) : NULL;
	stopped = cov ? json_object_get(cov, "stopped") : NULL;
	if (json_is_string(stopped))
		why = strcmp(json_string_value(stopped), "interrupted") == 0
		              ? "INTERRUPTED"
		              : "STOPPED by its time limit";
	if (ls->g->json)
		cli_json_print(
		        json_pack("{s:s, s:s, s:I, s:s, s:b, s:s?}", "record", "sweep", "host",
		                  s->host, "sweep", (json_int_t)s->id, "finished",
		                  cli_time(s->finished, t, sizeof(t)), "incomplete", 1, "stopped",
		                  json_is_string(stopped) ? json_string_value(stopped) : NULL));
	else
		fprintf(stderr,
		        "chainsweep: the last sweep of %s (sweep %lld) was %s: what it "
		        "did not read is not in the findings\n",
		        s->host, (long long)s->id, why ? why : "INCOMPLETE");
	json_decref(cov);
	return 0;
}

static int on_db_finding(void *ud, const struct cs_finding_rec *f, int64_t first_sweep,
                         int64_t last_sweep)
{
	struct list_state *ls = ud;
	const struct cs_indicator *ind = indicator_of(ls->intel, f);
	char a[32], b[32];
	size_t k, nl = ind ? cs_indicator_label_count(ind) : 0;

	if (ls->indicator && !names_indicator(ls->indicator, f))
		return 0;
	/* A finding without a time is kept: we cannot say it is outside. */
	if (ls->since_ms && f->last_seen_ms && f->last_seen_ms < ls->since_ms)
		return 0;
	if (ls->until_ms && f->first_seen_ms && f->first_seen_ms > ls->until_ms)
		return 0;
	if (ls->label) {
		for (k = 0; k < nl; k++) {
			const char *l = cs_indicator_label(ls->intel, ind, k);
			const char *c = strchr(l, ':');

			if (strcmp(l, ls->label) == 0 || (c && strcmp(c + 1, ls->label) == 0))
				break;
		}
		if (k == nl)
			return 0;
	}
	ls->n++;
	if (ls->g->json) {
		json_t *o = json_pack(
		        "{s:s, s:s, s:s, s:s, s:s, s:s?, s:s, s:s, s:I, s:I, s:I, s:I, s:I}",
		        "record", "finding", "host", cli_utf8(f->host), "kind",
		        f->kind == CS_FIND_FILE      ? "file"
		        : f->kind == CS_FIND_LOG     ? "log"
		        : f->kind == CS_FIND_PROCESS ? "process"
		                                     : "software",
		        "evidence", f->evidence, "location", cli_utf8(f->location), "observed",
		        cli_utf8(f->observed), "indicator_kind", f->ind_kind, "indicator",
		        cli_utf8(f->ind_value), "first_seen_ms", (json_int_t)f->first_seen_ms,
		        "last_seen_ms", (json_int_t)f->last_seen_ms, "count", (json_int_t)f->count,
		        "first_sweep", (json_int_t)first_sweep, "last_sweep",
		        (json_int_t)last_sweep);
		json_t *labels = json_array();

		for (k = 0; k < nl; k++)
			json_array_append_new(
			        labels,
			        json_string(cli_utf8(cs_indicator_label(ls->intel, ind, k))));
		json_object_set_new(o, "labels", labels);
		cli_json_print(o);
		return 0;
	}
	printf("%s  %-4s %-10s %s  %s %s  first %s  last %s  x%llu\n", cli_safe(f->host),
	       f->kind == CS_FIND_FILE      ? "file"
	       : f->kind == CS_FIND_LOG     ? "log"
	       : f->kind == CS_FIND_PROCESS ? "proc"
	                                    : "sw",
	       cli_safe(f->evidence), cli_safe(f->location), cli_safe(f->ind_kind),
	       cli_safe(f->ind_value), ms_text(f->first_seen_ms, a, sizeof(a)),
	       ms_text(f->last_seen_ms, b, sizeof(b)), (unsigned long long)f->count);
	return 0;
}

struct findings_args {
	const char *host, *label, *indicator;
	int64_t since_ms, until_ms;
	int kind;
};

static int opt_finding_kind(const char *opt, const char *val, void *target)
{
	int kind = strcmp(val, "file") == 0       ? CS_FIND_FILE
	           : strcmp(val, "log") == 0      ? CS_FIND_LOG
	           : strcmp(val, "software") == 0 ? CS_FIND_SOFTWARE
	           : strcmp(val, "process") == 0  ? CS_FIND_PROCESS
	                                          : -1;

	if (kind < 0) {
		cli_err("%s: '%s' is not one of file, log, software, process", opt, cli_safe(val));
		return -1;
	}
	*(int *)target = kind;
	return 0;
}

#define NA(f) offsetof(struct findings_args, f)
static const struct cli_opt findings_opts[] = {
        {.name = "host", .kind = CLI_OPT_STR, .off = NA(host), .arg = "NAME",
         .help = "only this host's findings"},
        {.name = "kind", .kind = CLI_OPT_FUNC, .off = NA(kind),
         .arg = "file|log|software|process",
         .parse = opt_finding_kind, .help = "only findings of this kind"},
        {.name = "label", .kind = CLI_OPT_STR, .off = NA(label), .arg = "LABEL",
         .help = "only findings whose indicator has this label: a whole label\n"
                 "(campaign:3CX-2023) or its name (3CX-2023)"},
        {.name = "indicator", .kind = CLI_OPT_STR, .off = NA(indicator), .arg = "VALUE",
         .help = "only findings of this indicator (normalised as intel show does)"},
        {.name = "since", .kind = CLI_OPT_TIME, .off = NA(since_ms), .arg = "TIME",
         .help = "only findings whose first-to-last span reaches TIME or later (ISO\n"
                 "8601 or epoch seconds); findings without a time are kept"},
        {.name = "until", .kind = CLI_OPT_TIME, .off = NA(until_ms), .arg = "TIME",
         .help = "only findings whose span starts at TIME or earlier"},
        {.name = NULL},
};

static int findings_run(void *p, struct cli_global *g);

const struct cli_command cli_cmd_findings = {
        .name = "findings",
        .summary = "what the case database has found, with first and last seen",
        .description = "What the case database has found: host, kind, evidence, where, the\n"
                       "indicator, first and last seen, count, and each host's last sweep.",
        .opts = findings_opts,
        .exit_status = "1 when something is listed, 0 when not, 2 error.",
        .run = findings_run,
        .args_size = sizeof(struct findings_args),
};

static int findings_run(void *p, struct cli_global *g)
{
	struct findings_args *A = p;
	struct list_state ls;
	struct cs_store *st;
	struct cs_intel *in;
	int rc;

	memset(&ls, 0, sizeof(ls));
	ls.g = g;
	ls.label = A->label;
	ls.indicator = A->indicator;
	ls.since_ms = A->since_ms;
	ls.until_ms = A->until_ms;
	st = cli_open_store_ro(g);
	if (!st)
		return CS_EXIT_ERROR;
	in = cli_load_intel(st);
	if (!in) {
		cs_store_close(st);
		return CS_EXIT_ERROR;
	}
	ls.intel = in;
	ls.host = A->host;
	rc = cs_store_findings(st, A->host, A->kind, on_db_finding, &ls);
	if (rc)
		cli_err("%s", cs_store_errmsg(st));
	else
		rc = cs_store_sweeps(st, on_db_sweep, &ls);
	cs_intel_free(in);
	cs_store_close(st);
	return rc ? CS_EXIT_ERROR : ls.n ? CS_EXIT_FOUND : CS_EXIT_OK;
}

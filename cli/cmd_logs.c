/*
 * chainsweep scan logs
 */
#include <search.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chainsweep/logs.h"
#include "cli.h"
#include "opts.h"

/* First and last contact, per indicator and per source host. */
struct tally {
	const struct cs_indicator *ind; /* per indicator */
	char *host;                     /* per host */
	uint64_t count;
	int64_t first_ms, last_ms; /* 0: no hit had a time */
};

struct logs_state {
	const struct cli_global *g;
	const struct cs_intel *intel; /* NULL until a snapshot's matcher loads it */
	const struct cs_matcher *m;
	struct cs_store *st;
	struct tally *inds, *hosts;
	size_t ninds, nhosts, capi, caph;
	void *ind_tree, *host_tree; /* tsearch trees of struct tally_key */
	unsigned diags_shown;
	uint64_t diags_hidden;
	struct cli_text esc;
	struct cli_recorder *rec; /* hits recorded in the case, or NULL */
	struct cli_sigma *sigma;  /* the intel's Sigma rules, or NULL */
	uint64_t sigma_findings;
	struct cli_progress prog;
};

static const char *ms_time(int has, int64_t ms, char *buf, size_t len)
{
	char t[32];

	if (!has) {
		snprintf(buf, len, "-");
		return buf;
	}
	cli_time(ms / 1000, t, sizeof(t));
	/* "2023-03-29T12:00:01Z" -> "2023-03-29T12:00:01.123Z" */
	snprintf(buf, len, "%.19s.%03dZ", t, (int)(((ms % 1000) + 1000) % 1000));
	return buf;
}

static void count(struct tally *t, int has, int64_t ms)
{
	t->count++;
	if (!has)
		return;
	if (!t->first_ms || ms < t->first_ms)
		t->first_ms = ms;
	if (!t->last_ms || ms > t->last_ms)
		t->last_ms = ms;
}

/* Where a tally is in its array, found by its indicator or its host: a
 * hunt may count millions of hits over thousands of hosts. */
struct tally_key {
	const struct cs_indicator *ind;
	const char *host; /* the tally's own copy */
	size_t idx;
};

static int cmp_ind_key(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct tally_key *)a)->ind,
	          y = (uintptr_t)((const struct tally_key *)b)->ind;

	return x < y ? -1 : x > y;
}

static int cmp_host_key(const void *a, const void *b)
{
	return strcmp(((const struct tally_key *)a)->host, ((const struct tally_key *)b)->host);
}

static struct tally *find_or_add(struct tally **v, size_t *n, size_t *cap, void **tree,
                                 const struct cs_indicator *ind, const char *host)
{
	int (*cmp)(const void *, const void *) = ind ? cmp_ind_key : cmp_host_key;
	struct tally_key probe = {ind, host, 0}, *k, **at;

	at = tfind(&probe, tree, cmp);
	if (at)
		return &(*v)[(*at)->idx];
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 16;
		struct tally *nv = realloc(*v, c * sizeof(**v));

		if (!nv)
			return NULL;
		*v = nv;
		*cap = c;
	}
	k = malloc(sizeof(*k));
	if (!k)
		return NULL;
	memset(&(*v)[*n], 0, sizeof(**v));
	(*v)[*n].ind = ind;
	(*v)[*n].host = host ? strdup(host) : NULL;
	if (host && !(*v)[*n].host) {
		free(k);
		return NULL;
	}
	k->ind = ind;
	k->host = (*v)[*n].host;
	k->idx = *n;
	if (!tsearch(k, tree, cmp)) {
		free(k);
		free((*v)[*n].host);
		return NULL;
	}
	return &(*v)[(*n)++];
}

static void on_log_diag(void *ud, const struct cs_diag *d)
{
	struct logs_state *ls = ud;

	if (ls->g->quiet && d->severity < CS_SEV_ERROR)
		return;
	if (!ls->g->verbose && ls->diags_shown >= 50) {
		ls->diags_hidden++;
		return;
	}
	ls->diags_shown++;
	cli_progress_clear(&ls->prog);
	if (d->line)
		fprintf(stderr, "%s:%llu: warning: %s\n",
		        cli_escape(&ls->esc, d->file ? d->file : "-"), (unsigned long long)d->line,
		        cli_safe(d->message));
	else
		fprintf(stderr, "%s: warning: %s\n", cli_escape(&ls->esc, d->file ? d->file : "-"),
		        cli_safe(d->message));
}

static void on_log_progress(void *ud, const struct cs_scan_progress *p)
{
	struct logs_state *ls = ud;

	cli_progress_show(&ls->prog, p->files, "files", p->bytes, p->seconds);
}

static int on_hit(void *ud, const struct cs_log_hit *h)
{
	struct logs_state *ls = ud;
	const struct cs_indicator *ind = h->indicator;
	struct tally *t;
	char tb[40];
	size_t i, n;

	if (!ls->intel) {
		ls->intel = cs_matcher_intel(ls->m);
		if (ls->rec)
			cli_recorder_set_intel(ls->rec, ls->intel);
	}
	if (ls->rec && cli_record_log(ls->rec, h))
		return CS_ERR_NOMEM;
	ls->prog.found++;
	cli_progress_clear(&ls->prog);
	t = find_or_add(&ls->inds, &ls->ninds, &ls->capi, &ls->ind_tree, ind, NULL);
	if (t)
		count(t, h->has_time, h->time_ms);
	if (h->host) {
		t = find_or_add(&ls->hosts, &ls->nhosts, &ls->caph, &ls->host_tree, NULL, h->host);
		if (t)
			count(t, h->has_time, h->time_ms);
	}
	if (ls->g->json) {
		json_t *o = json_object();

		json_object_set_new(o, "record", json_string("hit"));
		json_object_set_new(o, "file", json_string(cli_escape_path(&ls->esc, h->file)));
		json_object_set_new(o, "line", json_integer((json_int_t)h->line));
		json_object_set_new(o, "offset", json_integer((json_int_t)h->offset));
		json_object_set_new(o, "format", json_string(h->format));
		if (h->has_time) {
			json_object_set_new(o, "time",
			                    json_string(ms_time(1, h->time_ms, tb, sizeof(tb))));
			json_object_set_new(o, "time_ms", json_integer(h->time_ms));
		}
		if (h->host)
			json_object_set_new(o, "host", json_string(cli_escape(&ls->esc, h->host)));
		if (h->event_id)
			json_object_set_new(o, "event_id", json_integer(h->event_id));
		json_object_set_new(o, "observed", json_string(cs_kind_name(h->observed)));
		json_object_set_new(o, "matched", json_string(cli_escape(&ls->esc, h->matched)));
		json_object_set_new(o, "indicator", cli_indicator_json(ls->intel, ind, 1));
		cli_json_print(o);
		return 0;
	}
	/* One escape at a time: they share a buffer. */
	printf("HIT %s", cli_escape_path(&ls->esc, h->file));
	printf(":%llu  %s  ", (unsigned long long)h->line,
	       ms_time(h->has_time, h->time_ms, tb, sizeof(tb)));
	printf("%s  ", h->host ? cli_escape(&ls->esc, h->host) : "-");
	printf("%s %s", cs_kind_name(h->observed), cli_escape(&ls->esc, h->matched));
	printf("  -> %s %s", cs_kind_name(cs_indicator_kind(ind)),
	       cli_escape(&ls->esc, cs_indicator_value(ind)));
	n = cs_indicator_label_count(ind);
	for (i = 0; i < n; i++)
		printf("%s%s", i ? ", " : "  [", cli_safe(cs_indicator_label(ls->intel, ind, i)));
	if (n)
		putchar(']');
	if (cs_indicator_flags(ind) & CS_IND_WARNLISTED)
		printf("  (warninglisted: likely benign)");
	putchar('\n');
	return 0;
}

/* The loader of a matcher from a snapshot: of the case's intel, what the
 * hits need (docs/log-hunt.md, "Start-up"), read by the scanning thread
 * that has a hit, one at a time. */
static int load_failed(struct logs_state *ls, int rc)
{
	cli_err("cannot load intel: %s",
	        rc == CS_ERR_DB ? cs_store_errmsg(ls->st) : cs_strerror(rc));
	return rc;
}

static int open_case_intel(void *ud, struct cs_intel **out)
{
	struct logs_state *ls = ud;
	struct cs_intel *in = cs_intel_new();
	int rc = in ? cs_store_load_intel_begin(ls->st, in) : CS_ERR_NOMEM;

	if (rc) {
		cs_intel_free(in);
		return load_failed(ls, rc);
	}
	*out = in;
	return CS_OK;
}

static int load_case_key(void *ud, struct cs_intel *in, enum cs_kind kind, const char *value)
{
	struct logs_state *ls = ud;
	int rc = cs_store_load_intel_key(ls->st, in, kind, value);

	return rc ? load_failed(ls, rc) : CS_OK;
}

static int load_case_rest(void *ud, struct cs_intel *in)
{
	struct logs_state *ls = ud;
	int rc = cs_store_load_intel_rest(ls->st, in);

	return rc ? load_failed(ls, rc) : CS_OK;
}

static const struct cs_intel_keyload case_keyload = {open_case_intel, load_case_key,
                                                     load_case_rest};

/*
 * Start from the log hunt's snapshot of the case's intel when the cache
 * has one for its stamp (docs/log-hunt.md, "Start-up"). Returns 1 with
 * *m set, 0 when the intel must be loaded first (then `stamp` is the
 * case's, or "" when there is none, for storing a snapshot afterwards).
 */
static int from_snapshot(struct logs_state *ls, const char *dir, char *stamp, size_t len,
                         struct cs_matcher **m)
{
	int rc;

	stamp[0] = '\0';
	if (!dir[0] || cs_store_intel_stamp(ls->st, stamp, len) != CS_OK) {
		stamp[0] = '\0';
		return 0;
	}
	rc = cs_matcher_from_snapshot_keyed(dir, stamp, &case_keyload, ls, m);
	if (rc == CS_OK && ls->g->verbose)
		fprintf(stderr, "chainsweep: log-hunt snapshot loaded from the cache\n");
	else if (rc != CS_OK && rc != CS_ERR_NOTFOUND)
		fprintf(stderr,
		        "chainsweep: warning: the log-hunt snapshot in %s failed its checks "
		        "(cache-corrupt): deleted; the intel is loaded and it is made again\n",
		        cli_escape_path(&ls->esc, dir));
	return rc == CS_OK;
}

static int on_event(void *ud, const struct cs_event *e)
{
	struct logs_state *ls = ud;

	return cli_sigma_event(ls->sigma, e);
}

/* A Sigma rule that fired in a log: recorded, then shown. */
static int on_sigma(void *ud, const struct cli_sigma_finding *f)
{
	struct logs_state *ls = ud;

	ls->sigma_findings++;
	if (ls->rec && cli_record_sigma(ls->rec, f))
		return CS_ERR_NOMEM;
	if (ls->g->json)
		cli_json_print(cli_sigma_json(f, &ls->esc));
	else
		cli_sigma_print(f, &ls->esc);
	return 0;
}

static int cmp_first(const void *a, const void *b)
{
	const struct tally *x = a, *y = b;

	if (x->first_ms != y->first_ms)
		return x->first_ms < y->first_ms ? -1 : 1;
	return x->count > y->count ? -1 : x->count < y->count;
}

static void summary(struct logs_state *ls, const struct cs_log_result *r,
                    const struct cli_gaps *bad)
{
	char a[40], b[40];
	size_t i;

	if (ls->ninds)
		qsort(ls->inds, ls->ninds, sizeof(*ls->inds), cmp_first);
	if (ls->nhosts)
		qsort(ls->hosts, ls->nhosts, sizeof(*ls->hosts), cmp_first);
	if (ls->g->json) {
		json_t *o = json_object(), *iv = json_array(), *hv = json_array();

		for (i = 0; i < ls->ninds; i++) {
			struct tally *t = &ls->inds[i];
			json_t *x = json_pack(
			        "{s:s, s:s, s:I}", "kind", cs_kind_name(cs_indicator_kind(t->ind)),
			        "value", cs_indicator_value(t->ind), "count", (json_int_t)t->count);

			if (t->first_ms) {
				json_object_set_new(
				        x, "first_seen",
				        json_string(ms_time(1, t->first_ms, a, sizeof(a))));
				json_object_set_new(
				        x, "last_seen",
				        json_string(ms_time(1, t->last_ms, b, sizeof(b))));
			}
			json_object_set_new(
			        x, "warninglisted",
			        json_boolean(cs_indicator_flags(t->ind) & CS_IND_WARNLISTED));
			json_array_append_new(iv, x);
		}
		for (i = 0; i < ls->nhosts; i++) {
			struct tally *t = &ls->hosts[i];
			json_t *x = json_pack("{s:s, s:I}", "host", cli_escape(&ls->esc, t->host),
			                      "count", (json_int_t)t->count);

			if (t->first_ms) {
				json_object_set_new(
				        x, "first_seen",
				        json_string(ms_time(1, t->first_ms, a, sizeof(a))));
				json_object_set_new(
				        x, "last_seen",
				        json_string(ms_time(1, t->last_ms, b, sizeof(b))));
			}
			json_array_append_new(hv, x);
		}
		json_object_set_new(o, "record", json_string("summary"));
		json_object_set_new(o, "indicators", iv);
		json_object_set_new(o, "hosts", hv);
		json_object_set_new(o, "files", json_integer((json_int_t)r->files));
		json_object_set_new(o, "lines", json_integer((json_int_t)r->lines));
		json_object_set_new(o, "bytes", json_integer((json_int_t)r->bytes));
		json_object_set_new(o, "hits", json_integer((json_int_t)r->hits));
		json_object_set_new(o, "bad_lines", json_integer((json_int_t)r->bad_lines));
		json_object_set_new(o, "long_lines", json_integer((json_int_t)r->long_lines));
		json_object_set_new(o, "files_failed", json_integer((json_int_t)r->files_failed));
		json_object_set_new(o, "filtered", json_integer((json_int_t)r->filtered));
		json_object_set_new(o, "files_stopped", json_integer((json_int_t)r->files_stopped));
		json_object_set_new(o, "seconds", json_real(r->seconds));
		json_object_set_new(o, "decompress_seconds", json_real(r->decompress_seconds));
		if (r->stopped)
			json_object_set_new(o, "stopped",
			                    json_string(cs_scan_reason_name(r->stopped)));
		if (ls->sigma) {
			uint64_t ev, fired, usable;

			cli_sigma_counts(ls->sigma, &ev, &fired, &usable);
			json_object_set_new(o, "sigma",
			                    json_pack("{s:I, s:I, s:I}", "rules", (json_int_t)usable,
			                              "events", (json_int_t)ev, "findings",
			                              (json_int_t)ls->sigma_findings));
		}
		json_object_set_new(o, "incomplete", json_boolean(r->incomplete));
		json_object_set_new(o, "intel_unusable", cli_gaps_json(bad));
		cli_json_print(o);
		return;
	}
	if (ls->g->quiet && !r->incomplete)
		return;
	fprintf(stderr, "searched %llu files, %llu lines (%.1f MB) in %.1f s: %llu hits%s%s\n",
	        (unsigned long long)r->files, (unsigned long long)r->lines, (double)r->bytes / 1e6,
	        r->seconds, (unsigned long long)r->hits, r->filtered ? ", " : "",
	        r->filtered ? "some left out by --since/--until/--within-validity" : "");
	if (r->decompress_seconds >= 0.05)
		fprintf(stderr, "  %.1f CPU s decompressing\n", r->decompress_seconds);
	if (ls->sigma) {
		uint64_t ev, fired, usable;

		cli_sigma_counts(ls->sigma, &ev, &fired, &usable);
		fprintf(stderr, "  Sigma: %llu rules run on %llu events: %llu findings\n",
		        (unsigned long long)usable, (unsigned long long)ev,
		        (unsigned long long)ls->sigma_findings);
	}
	for (i = 0; i < ls->ninds; i++) {
		struct tally *t = &ls->inds[i];

		fprintf(stderr, "  %-10s %-40s %6llu hits  first %s  last %s%s\n",
		        cs_kind_name(cs_indicator_kind(t->ind)),
		        cli_escape(&ls->esc, cs_indicator_value(t->ind)),
		        (unsigned long long)t->count,
		        ms_time(t->first_ms != 0, t->first_ms, a, sizeof(a)),
		        ms_time(t->last_ms != 0, t->last_ms, b, sizeof(b)),
		        cs_indicator_flags(t->ind) & CS_IND_WARNLISTED ? "  (warninglisted)" : "");
	}
	for (i = 0; i < ls->nhosts; i++) {
		struct tally *t = &ls->hosts[i];

		fprintf(stderr, "  host %-35s %6llu hits  first %s  last %s\n",
		        cli_escape(&ls->esc, t->host), (unsigned long long)t->count,
		        ms_time(t->first_ms != 0, t->first_ms, a, sizeof(a)),
		        ms_time(t->last_ms != 0, t->last_ms, b, sizeof(b)));
	}
	if (r->bad_lines || r->long_lines || r->files_failed)
		fprintf(stderr,
		        "  %llu lines a reader could not parse (searched as text), %llu long "
		        "lines searched in pieces, %llu files not read to the end\n",
		        (unsigned long long)r->bad_lines, (unsigned long long)r->long_lines,
		        (unsigned long long)r->files_failed);
	if (r->stopped)
		fprintf(stderr, "  STOPPED (%s): %llu files not read to the end\n",
		        cs_scan_reason_name(r->stopped), (unsigned long long)r->files_stopped);
	if (bad->n)
		fputs("  INCOMPLETE: some intel could not be used (listed above)\n", stderr);
	else if (r->incomplete)
		fputs("  INCOMPLETE: some files could not be read to the end\n", stderr);
}

static int parse_tz(const char *s, int *min)
{
	int h, m = 0, sign = 1;

	if (strcmp(s, "UTC") == 0 || strcmp(s, "Z") == 0) {
		*min = 0;
		return 0;
	}
	if (*s == '+' || *s == '-') {
		sign = *s == '-' ? -1 : 1;
		s++;
	}
	if (sscanf(s, "%2d:%2d", &h, &m) < 1 || h > 14 || m > 59)
		return -1;
	*min = sign * (h * 60 + m);
	return 0;
}

struct logs_args {
	struct cs_log_opts o;
	struct cli_list intel, field, pos;
	uint64_t max_line;
	int no_record;
	const char *host;
};

static int opt_format(const char *opt, const char *val, void *target)
{
	const char *const *f = cs_log_formats();

	for (; *f; f++)
		if (strcmp(*f, val) == 0) {
			*(const char **)target = *f;
			return 0;
		}
	cli_err("%s: '%s' is not a log format (text, syslog, json, zeek, csv, web, xml, "
	        "squid, evtx)",
	        opt, cli_safe(val));
	return -1;
}

static int opt_tz(const char *opt, const char *val, void *target)
{
	if (parse_tz(val, target)) {
		cli_err("%s: +HH:MM, -HH:MM or UTC", opt);
		return -1;
	}
	return 0;
}

#define LA(f) offsetof(struct logs_args, f)
static const struct cli_opt logs_opts[] = {
        {.name = "intel", .kind = CLI_OPT_LIST, .off = LA(intel), .arg = "FILE|DIR",
         .complete = CLI_C_FILE,
         .help = "use this intel instead of the case database (repeatable)"},
        {.name = "format", .kind = CLI_OPT_FUNC, .off = LA(o.format), .arg = "FORMAT",
         .parse = opt_format,
         .help = "force a reader: text, syslog, json, zeek, csv, web, xml, squid,\n"
                 "evtx (default: each file's content says)"},
        {.name = "field", .kind = CLI_OPT_LIST, .off = LA(field), .arg = "NAME",
         .help = "JSON: search only this (dotted) field (repeatable)"},
        {.name = "tz", .kind = CLI_OPT_FUNC, .off = LA(o.tz_minutes), .arg = "+HH:MM|UTC",
         .parse = opt_tz, .help = "zone of stamps that carry none (default UTC)"},
        {.name = "since", .kind = CLI_OPT_TIME, .off = LA(o.since_ms), .arg = "TIME",
         .help = "keep hits whose event time is at or after TIME (ISO 8601 or epoch\n"
                 "seconds); hits without a time are kept"},
        {.name = "until", .kind = CLI_OPT_TIME, .off = LA(o.until_ms), .arg = "TIME",
         .help = "keep hits whose event time is at or before TIME"},
        {.name = "within-validity", .kind = CLI_OPT_FLAG, .off = LA(o.within_validity),
         .help = "keep only hits inside the indicator's validity window"},
        {.name = "threads", .kind = CLI_OPT_UNSIGNED, .off = LA(o.threads), .arg = "N", .min = 1,
         .max = 64, .help = "scanner threads (default: one per core)"},
        {.name = "max-line", .kind = CLI_OPT_SIZE, .off = LA(max_line), .arg = "SIZE",
         .min = 4096, .max = (uint64_t)256 << 20,
         .help = "longer lines are searched in overlapping pieces (default 1M)"},
        {.name = "host", .kind = CLI_OPT_STR, .off = LA(host), .arg = "NAME",
         .help = "the host the hits are recorded for (default: this host's name)"},
        {.name = "no-record", .kind = CLI_OPT_FLAG, .off = LA(no_record),
         .help = "do not record the hits in the case database (by default they are,\n"
                 "under a sweep row, as 'sweep' does)"},
        {.name = NULL},
};

static void logs_init(void *p)
{
	struct logs_args *a = p;

	cs_log_opts_init(&a->o);
}

static int logs_run(void *p, struct cli_global *g);

const struct cli_command cli_cmd_scan_logs = {
        .name = "scan logs",
        .summary = "search logs (syslog, JSON, Zeek, Windows events, proxy, web; compressed\n"
                   "too) for the intel's domains, addresses, URLs and hashes",
        .description =
                "Search logs for the domains, addresses, networks, URLs, e-mail addresses and\n"
                "hashes of the intel: plain text, syslog, JSON Lines, Zeek (TSV and JSON), CSV,\n"
                "web access logs, squid proxy logs, Windows/Sysmon events (.evtx event log\n"
                "files read natively, or JSON and XML exports), with the case's Sigma rules\n"
                "run over every event,\n"
                "compressed (.gz, .bz2, .xz, .zst) or not, rotated, folders, standard input\n"
                "(-), with first and last contact per indicator and source host.",
        .pos_name = "FILE|DIR|-...",
        .pos_off = LA(pos),
        .min_pos = 1,
        .max_pos = SIZE_MAX,
        .pos_complete = CLI_C_FILE,
        .opts = logs_opts,
        .exit_status = "0 nothing found, 1 hits, 2 error, 3 nothing found but some input\n"
                       "could not be read to its end.",
        .init = logs_init,
        .run = logs_run,
        .args_size = sizeof(struct logs_args),
};

static int logs_run(void *p, struct cli_global *g)
{
	struct logs_args *A = p;
	struct cs_log_opts o = A->o;
	struct cs_log_result res;
	struct logs_state ls;
	struct cs_matcher *m = NULL;
	struct cs_intel *in = NULL;
	struct cs_store *st = NULL;
	const char **paths = A->pos.v;
	const char **fields = A->field.v;
	char **intel_files = (char **)A->intel.v;
	size_t npaths = A->pos.n, nfields = A->field.n, nintel = A->intel.n, i;
	int rc, exit_code = CS_EXIT_ERROR, intel_gap, no_record = A->no_record;
	const char *host = A->host;
	char hostbuf[256], dir[4096], stamp[128];
	int snap = 0;
	struct cli_gaps bad;

	memset(&ls, 0, sizeof(ls));
	memset(&bad, 0, sizeof(bad));
	ls.g = g;
	o.max_line = (size_t)A->max_line;
	cli_cache_dir(g, dir, sizeof(dir));
	stamp[0] = '\0';
	if (!nintel) {
		st = cli_open_store(g);
		if (!st)
			goto out;
		ls.st = st;
		snap = from_snapshot(&ls, dir, stamp, sizeof(stamp), &m);
	}
	if (!snap) {
		in = cli_sweep_intel(intel_files, nintel, g, &st, &bad, 1);
		if (!in)
			goto out;
	}
	cli_print_intel_gaps(&bad, g);
	intel_gap = bad.n != 0;
	if (!no_record) {
		/* Hits shown are recorded in the case, as a sweep records
		 * them; with --intel this may start the case. */
		if (!st)
			st = cli_create_store(g);
		if (!st)
			goto out;
		if (!host)
			host = cli_this_host(hostbuf, sizeof(hostbuf));
		ls.rec = cli_recorder_new(g, in, host);
		if (!ls.rec) {
			cli_err("out of memory");
			goto out;
		}
	}
	ls.intel = in;
	if (!snap) {
		rc = cli_matcher_new(in, g, on_log_diag, &ls, &bad, &m);
		if (rc) {
			cli_err("cannot compile the intel: %s", cs_strerror(rc));
			goto out;
		}
		if (stamp[0]) {
			rc = cs_matcher_snapshot_put(m, dir, stamp);
			if (g->verbose && rc != CS_ERR_UNSUPPORTED)
				fprintf(stderr, "chainsweep: log-hunt snapshot %s\n",
				        rc ? "not stored (the cache could not be written)"
				           : "stored in the cache");
		}
	}
	ls.m = m;
	intel_gap = bad.n != 0;
	o.fields = fields;
	o.nfields = nfields;
	o.on_hit = on_hit;
	o.on_diag = on_log_diag;
	o.userdata = &ls;
	cli_catch_signals();
	o.interrupt = &cli_interrupted;
	/* A snapshot is made only of intel without Sigma rules. */
	if (in && cli_intel_cache(in, g)) /* compiled Sigma engines are cached */
		goto out;
	ls.sigma = in ? cli_sigma_new(in, g) : NULL;
	if (cli_sigma_wanted(ls.sigma))
		o.on_event = on_event;
	cli_progress_init(&ls.prog, g, "scan logs");
	if (ls.prog.enabled) {
		ls.prog.total = cli_tree_bytes(paths, npaths);
		o.on_progress = on_log_progress;
	}
	rc = cs_log_scan(m, paths, npaths, &o, &res);
	cli_progress_clear(&ls.prog);
	if (!rc)
		rc = cli_sigma_each(ls.sigma, on_sigma, &ls);
	fflush(stdout);
	if (rc) {
		cli_err("search stopped: %s", cs_strerror(rc));
		goto out;
	}
	if (ls.diags_hidden)
		fprintf(stderr, "chainsweep: %llu more problems not shown (use --verbose)\n",
		        (unsigned long long)ls.diags_hidden);
	if (intel_gap)
		res.incomplete = 1;
	if (ls.rec) {
		json_t *cov = json_pack("{s:I, s:I, s:I, s:I}", "log_files", (json_int_t)res.files,
		                        "log_lines", (json_int_t)res.lines, "log_files_failed",
		                        (json_int_t)res.files_failed, "log_files_stopped",
		                        (json_int_t)res.files_stopped);

		if (cov && res.stopped)
			json_object_set_new(cov, "stopped",
			                    json_string(cs_scan_reason_name(res.stopped)));
		if (!cov || cli_recorder_save(ls.rec, st, "logs", cov, res.incomplete))
			fputs("chainsweep: warning: the hits were not recorded in the case "
			      "(--no-record to skip)\n",
			      stderr);
		json_decref(cov);
	}
	summary(&ls, &res, &bad);
	exit_code = res.hits || ls.sigma_findings ? CS_EXIT_FOUND : res.incomplete ? CS_EXIT_INCOMPLETE : CS_EXIT_OK;
out:
	tdestroy(ls.ind_tree, free);
	tdestroy(ls.host_tree, free);
	for (i = 0; i < ls.nhosts; i++)
		free(ls.hosts[i].host);
	free(ls.hosts);
	free(ls.inds);
	cli_sigma_free(ls.sigma);
	cs_matcher_free(m);
	cs_intel_free(in);
	cs_store_close(st);
	cli_gaps_release(&bad);
	cli_recorder_free(ls.rec);
	cli_text_release(&ls.esc);
	return exit_code;
}

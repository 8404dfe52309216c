/*
 * Sigma rules in `scan logs` and `sweep`: the case's rules compiled once,
 * run on every structured event the log reader builds (it calls us from
 * several threads), and their hits gathered per (log file, rule) with
 * the first event's record and matched fields, the count and the span of
 * event times. The commands print and record the gathered hits when the
 * scan is over, sorted, so the answer does not depend on thread timing.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chainsweep/sigma.h"
#include "cli.h"

#define MATCHED_MAX 1024

struct shit {
	char *file;
	size_t rule;
	uint64_t line, record_id, count;
	int event_id;
	char *host;
	int has_time;
	int64_t first_ms, last_ms;
	char *matched;
};

struct cli_sigma {
	struct cs_sigma *sg;
	pthread_mutex_t mu;
	struct cs_sigma_scratch **free_scratch; /* idle, one per thread that used one */
	size_t nfree, capfree;
	struct cs_sigma_scratch **all;
	size_t nall, capall;
	struct shit *v;
	size_t n, cap;
	uint64_t events, fired;
	int failed; /* out of memory while evaluating */
};

static void on_sigma_diag(void *ud, const struct cs_diag *d)
{
	const struct cli_global *g = ud;

	if (g->quiet || !g->verbose)
		return;
	fprintf(stderr, "%s:%llu:%llu: note: Sigma rule not used: %s\n",
	        d->file ? d->file : "-", (unsigned long long)d->line, (unsigned long long)d->column,
	        d->message ? d->message : "");
}

struct cli_sigma *cli_sigma_new(const struct cs_intel *in, const struct cli_global *g)
{
	struct cli_sigma *s;
	struct cs_sigma_stats st;
	int rc;

	if (cs_intel_count(in) == 0)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		cli_err("out of memory");
		return NULL;
	}
	rc = cs_sigma_compile(in, on_sigma_diag, (void *)g, &s->sg);
	if (rc) {
		cli_err("cannot compile the Sigma rules: %s", cs_strerror(rc));
		free(s);
		return NULL;
	}
	cs_sigma_stats(s->sg, &st);
	if (!st.rules) {
		cs_sigma_free(s->sg);
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->mu, NULL);
	if (st.not_usable && !g->quiet && !g->json) {
		size_t i, n = cs_sigma_reason_count(s->sg);

		fprintf(stderr, "chainsweep: %llu of %llu Sigma rules cannot be run (",
		        (unsigned long long)st.not_usable, (unsigned long long)st.rules);
		for (i = 0; i < n; i++) {
			uint64_t c;
			const char *r = cs_sigma_reason(s->sg, i, &c);

			fprintf(stderr, "%s%s %llu", i ? ", " : "", r, (unsigned long long)c);
		}
		fprintf(stderr, ")%s\n", g->verbose ? "" : "; --verbose lists them");
	}
	return s;
}

void cli_sigma_free(struct cli_sigma *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nall; i++)
		cs_sigma_scratch_free(s->all[i]);
	free(s->all);
	free(s->free_scratch);
	for (i = 0; i < s->n; i++) {
		free(s->v[i].file);
		free(s->v[i].host);
		free(s->v[i].matched);
	}
	free(s->v);
	cs_sigma_free(s->sg);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int cli_sigma_wanted(const struct cli_sigma *s)
{
	struct cs_sigma_stats st;

	if (!s)
		return 0;
	cs_sigma_stats(s->sg, &st);
	return st.usable != 0;
}

static struct cs_sigma_scratch *take_scratch(struct cli_sigma *s)
{
	struct cs_sigma_scratch *sc = NULL;

	pthread_mutex_lock(&s->mu);
	if (s->nfree) {
		sc = s->free_scratch[--s->nfree];
	} else if (s->nall == s->capall) {
		size_t c = s->capall ? 2 * s->capall : 8;
		struct cs_sigma_scratch **nv = realloc(s->all, c * sizeof(*nv));
		struct cs_sigma_scratch **nf = realloc(s->free_scratch, c * sizeof(*nf));

		if (nv)
			s->all = nv;
		if (nf)
			s->free_scratch = nf;
		if (nv && nf)
			s->capall = s->capfree = c;
	}
	if (!sc && s->nall < s->capall) {
		sc = cs_sigma_scratch_new(s->sg);
		if (sc)
			s->all[s->nall++] = sc;
	}
	pthread_mutex_unlock(&s->mu);
	return sc;
}

static void give_scratch(struct cli_sigma *s, struct cs_sigma_scratch *sc)
{
	pthread_mutex_lock(&s->mu);
	if (s->nfree < s->capfree)
		s->free_scratch[s->nfree++] = sc;
	pthread_mutex_unlock(&s->mu);
}

/* "Image=C:\x.exe; CommandLine=..." of the fields a rule matched. */
static char *matched_text(const struct cs_sigma_hit *h)
{
	char buf[MATCHED_MAX];
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < h->nmatches && o < sizeof(buf) - 1; i++) {
		int w = snprintf(buf + o, sizeof(buf) - o, "%s%s=%.*s", i ? "; " : "",
		                 h->matches[i].field ? h->matches[i].field : "?",
		                 (int)(h->matches[i].value_len > 400 ? 400 : h->matches[i].value_len),
		                 h->matches[i].value ? h->matches[i].value : "");

		if (w < 0)
			break;
		o += (size_t)w;
	}
	if (o >= sizeof(buf))
		o = sizeof(buf) - 1;
	buf[o] = '\0';
	return strdup(buf);
}

/* Called with s->mu held. */
static int gather(struct cli_sigma *s, const struct cs_event *e, const struct cs_sigma_hit *h)
{
	struct shit *x = NULL;
	size_t i;

	for (i = s->n; i > 0; i--) {
		if (s->v[i - 1].rule == h->rule && strcmp(s->v[i - 1].file, e->file) == 0) {
			x = &s->v[i - 1];
			break;
		}
	}
	if (!x) {
		if (s->n == s->cap) {
			size_t c = s->cap ? 2 * s->cap : 16;
			struct shit *nv = realloc(s->v, c * sizeof(*nv));

			if (!nv)
				return CS_ERR_NOMEM;
			s->v = nv;
			s->cap = c;
		}
		x = &s->v[s->n++];
		memset(x, 0, sizeof(*x));
		x->file = strdup(e->file ? e->file : "-");
		x->rule = h->rule;
		x->line = UINT64_MAX;
		if (!x->file) {
			s->n--;
			return CS_ERR_NOMEM;
		}
	}
	x->count++;
	/* The earliest event in the file stands for the rest. */
	if (e->line < x->line) {
		x->line = e->line;
		x->record_id = e->record_id;
		x->event_id = e->event_id;
		free(x->host);
		x->host = e->host ? strdup(e->host) : NULL;
		free(x->matched);
		x->matched = matched_text(h);
	}
	if (e->has_time) {
		if (!x->has_time || e->time_ms < x->first_ms)
			x->first_ms = e->time_ms;
		if (!x->has_time || e->time_ms > x->last_ms)
			x->last_ms = e->time_ms;
		x->has_time = 1;
	}
	return 0;
}

static int on_rule(void *ud, const struct cs_event *e, const struct cs_sigma_hit *h)
{
	struct cli_sigma *s = ud;
	int rc;

	pthread_mutex_lock(&s->mu);
	s->fired++;
	rc = gather(s, e, h);
	if (rc)
		s->failed = 1;
	pthread_mutex_unlock(&s->mu);
	return 0;
}

int cli_sigma_event(struct cli_sigma *s, const struct cs_event *e)
{
	struct cs_sigma_scratch *sc;
	int rc;

	if (!s)
		return 0;
	__atomic_add_fetch(&s->events, 1, __ATOMIC_RELAXED);
	sc = take_scratch(s);
	if (!sc)
		return CS_ERR_NOMEM;
	rc = cs_sigma_eval(s->sg, sc, e, on_rule, s);
	give_scratch(s, sc);
	return rc < 0 ? rc : s->failed ? CS_ERR_NOMEM : 0;
}

static int cmp_shit(const void *pa, const void *pb)
{
	const struct shit *a = pa, *b = pb;
	int r = strcmp(a->file, b->file);

	if (r)
		return r;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return a->rule < b->rule ? -1 : a->rule > b->rule;
}

int cli_sigma_each(struct cli_sigma *s, cli_sigma_fn fn, void *ud)
{
	size_t i;
	int rc;

	if (!s)
		return 0;
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp_shit);
	for (i = 0; i < s->n; i++) {
		struct shit *x = &s->v[i];
		struct cs_sigma_rule_info ri;
		struct cli_sigma_finding f;

		if (cs_sigma_rule(s->sg, x->rule, &ri))
			continue;
		memset(&f, 0, sizeof(f));
		f.file = x->file;
		f.line = x->line;
		f.record_id = x->record_id;
		f.event_id = x->event_id;
		f.host = x->host;
		f.has_time = x->has_time;
		f.first_ms = x->first_ms;
		f.last_ms = x->last_ms;
		f.count = x->count;
		f.matched = x->matched ? x->matched : "";
		f.rule = &ri;
		rc = fn(ud, &f);
		if (rc)
			return rc;
	}
	return 0;
}

void cli_sigma_counts(const struct cli_sigma *s, uint64_t *events, uint64_t *fired,
                      uint64_t *usable)
{
	struct cs_sigma_stats st;

	*events = *fired = *usable = 0;
	if (!s)
		return;
	cs_sigma_stats(s->sg, &st);
	*events = s->events;
	*fired = s->fired;
	*usable = st.usable;
}

json_t *cli_sigma_json(const struct cli_sigma_finding *f, struct cli_text *esc)
{
	const struct cs_sigma_rule_info *r = f->rule;
	json_t *o = json_object(), *tags = json_array();
	char tb[40];
	size_t i;

	json_object_set_new(o, "record", json_string("sigma"));
	json_object_set_new(o, "file", json_string(cli_escape_path(esc, f->file)));
	json_object_set_new(o, "line", json_integer((json_int_t)f->line));
	if (f->record_id)
		json_object_set_new(o, "record_id", json_integer((json_int_t)f->record_id));
	if (f->event_id)
		json_object_set_new(o, "event_id", json_integer(f->event_id));
	if (f->host)
		json_object_set_new(o, "host", json_string(cli_escape(esc, f->host)));
	if (f->has_time) {
		json_object_set_new(o, "first_seen", json_string(cli_time_ms(f->first_ms, tb, sizeof(tb))));
		json_object_set_new(o, "last_seen", json_string(cli_time_ms(f->last_ms, tb, sizeof(tb))));
	}
	json_object_set_new(o, "count", json_integer((json_int_t)f->count));
	json_object_set_new(o, "rule_id", r->id ? json_string(r->id) : json_null());
	json_object_set_new(o, "title", json_string(cli_safe(r->title ? r->title : "")));
	json_object_set_new(o, "level", json_string(cs_sigma_level_name(r->level)));
	for (i = 0; i < r->ntags; i++)
		json_array_append_new(tags, json_string(r->tags[i]));
	json_object_set_new(o, "tags", tags);
	json_object_set_new(o, "matched", json_string(cli_escape(esc, f->matched)));
	if (r->file)
		json_object_set_new(o, "rule_file", json_string(cli_escape_path(esc, r->file)));
	return o;
}

void cli_sigma_print(const struct cli_sigma_finding *f, struct cli_text *esc)
{
	const struct cs_sigma_rule_info *r = f->rule;
	char tb[40];

	printf("SIGMA %s", cli_escape_path(esc, f->file));
	if (f->record_id)
		printf(":record %llu", (unsigned long long)f->record_id);
	else
		printf(":%llu", (unsigned long long)f->line);
	printf("  %s", f->has_time ? cli_time_ms(f->first_ms, tb, sizeof(tb)) : "-");
	printf("  %s", f->host ? cli_escape(esc, f->host) : "-");
	printf("  %s  %s", cs_sigma_level_name(r->level)[0] ? cs_sigma_level_name(r->level) : "-",
	       cli_safe(r->title ? r->title : "?"));
	if (r->id)
		printf(" (%s)", r->id);
	if (f->count > 1)
		printf("  x%llu", (unsigned long long)f->count);
	printf("\n      %s\n", cli_escape(esc, f->matched));
}

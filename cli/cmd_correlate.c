/*
 * chainsweep correlate: which known activity do these indicators
 * overlap? Ranked leads from the case database's intel, each with its
 * evidence and its score broken down (docs/correlate.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chainsweep/correlate.h"
#include "cli.h"
#include "opts.h"

static int parse_window(const char *s, int64_t *ms)
{
	char num[64];
	const char *end;
	double v, mul;
	size_t n = strspn(s, "0123456789.");

	if (n >= sizeof(num))
		return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	end = s + n;
	if (cli_parse_double(num, &v))
		return -1;
	if (!*end || strcmp(end, "s") == 0)
		mul = 1e3;
	else if (strcmp(end, "m") == 0)
		mul = 60e3;
	else if (strcmp(end, "h") == 0)
		mul = 3600e3;
	else if (strcmp(end, "d") == 0)
		mul = 86400e3;
	else
		return -1;
	if (v * mul > 9e15)
		return -1;
	*ms = (int64_t)(v * mul);
	return 0;
}

/* The query built from an imported advisory. */
struct query {
	struct cs_query_item *items;
	const char ***resolves; /* per item, owned */
	const char **files, **refs;
	size_t nitems, nfiles, nrefs;
};

static void query_release(struct query *q)
{
	size_t i;

	for (i = 0; i < q->nitems; i++)
		free(q->resolves[i]);
	free(q->resolves);
	free(q->items);
	free(q->files);
	free(q->refs);
}

static int push(const char ***v, size_t *n, const char *s)
{
	const char **nv;
	size_t i;

	if (!s || !*s)
		return 0;
	for (i = 0; i < *n; i++) {
		if ((*v)[i] == s || strcmp((*v)[i], s) == 0)
			return 0;
	}
	nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv)
		return -1;
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

static int query_build(struct query *q, const struct cs_intel *in, char **args, size_t nargs)
{
	size_t i, j, n = cs_intel_count(in);

	memset(q, 0, sizeof(*q));
	q->items = calloc(n ? n : 1, sizeof(*q->items));
	q->resolves = calloc(n ? n : 1, sizeof(*q->resolves));
	if (!q->items || !q->resolves)
		return -1;
	for (i = 0; i < nargs; i++) {
		if (push(&q->files, &q->nfiles, args[i]))
			return -1;
	}
	for (i = 0; i < n; i++) {
		const struct cs_indicator *ind = cs_intel_at(in, i);
		struct cs_query_item *it = &q->items[q->nitems];
		size_t nres = 0;

		it->kind = cs_indicator_kind(ind);
		it->value = cs_indicator_value(ind);
		it->warninglisted = (cs_indicator_flags(ind) & CS_IND_WARNLISTED) != 0;
		for (j = 0; j < cs_indicator_label_count(ind); j++) {
			const char *l = cs_indicator_label(in, ind, j), *v = NULL;

			if (strncmp(l, "resolves-to:", 12) == 0)
				v = l + 12;
			else if (strncmp(l, "resolved-from:", 14) == 0)
				v = l + 14;
			if (v && push(&q->resolves[q->nitems], &nres, v))
				return -1;
		}
		it->resolves = q->resolves[q->nitems];
		it->nresolves = nres;
		for (j = 0; j < cs_indicator_source_count(ind); j++) {
			struct cs_source_info si;

			cs_indicator_source(in, ind, j, &si);
			if (push(&q->files, &q->nfiles, si.file) || push(&q->refs, &q->nrefs, si.ref))
				return -1;
		}
		q->nitems++;
	}
	return 0;
}

/* Write the evidence graph to `path` as SVG or DOT; prints errors. */
static int write_graph(const struct cs_correlation *c, const char *path, int svg)
{
	struct cs_graph *gr = cs_graph_new();
	FILE *f;
	int rc;

	if (!gr) {
		cli_err("out of memory");
		return -1;
	}
	rc = cs_correlation_graph(c, 0, 0, gr);
	if (rc) {
		cli_err("evidence graph: %s", cs_strerror(rc));
		cs_graph_free(gr);
		return -1;
	}
	f = fopen(path, "w");
	if (!f) {
		cli_err("%s: cannot write: %s", path, strerror(errno));
		cs_graph_free(gr);
		return -1;
	}
	rc = svg ? cs_graph_write_svg(gr, f) : cs_graph_write_dot(gr, f);
	if (fclose(f) != 0 && !rc)
		rc = CS_ERR_IO;
	cs_graph_free(gr);
	if (rc) {
		cli_err("%s: %s", path, cs_strerror(rc));
		return -1;
	}
	return 0;
}

static json_t *evidence_json(const struct cs_lead_evidence *e)
{
	json_t *o = json_object(), *src = json_object();

	json_object_set_new(o, "relation", json_string(cs_relation_name(e->relation)));
	json_object_set_new(o, "counted", json_boolean(e->counted));
	json_object_set_new(o, "query", json_pack("{s:s,s:s?}", "kind", cs_kind_name(e->qkind),
						  "value", e->qvalue));
	json_object_set_new(o, "match", json_pack("{s:s,s:s?}", "kind", cs_kind_name(e->kind),
						  "value", e->value));
	if (e->via)
		json_object_set_new(o, "via", json_string(e->via));
	json_object_set_new(o, "weight", json_real(e->weight));
	json_object_set_new(o, "kind_weight", json_real(e->kind_weight));
	json_object_set_new(o, "relation_weight", json_real(e->relation_weight));
	json_object_set_new(o, "sources_naming", json_integer(e->nsources));
	json_object_set_new(o, "warninglisted", json_boolean(e->warninglisted));
	if (e->file)
		json_object_set_new(src, "file", json_string(e->file));
	if (e->line)
		json_object_set_new(src, "line", json_integer((json_int_t)e->line));
	if (e->ref)
		json_object_set_new(src, "ref", json_string(e->ref));
	if (e->description)
		json_object_set_new(src, "description", json_string(e->description));
	json_object_set_new(o, "source", src);
	return o;
}

static json_t *lead_json(const struct cs_lead *l, size_t rank)
{
	json_t *o = json_object(), *by = json_object(), *ev = json_array();
	const char *colon = strchr(l->cluster, ':');
	size_t i;
	int r;

	json_object_set_new(o, "rank", json_integer((json_int_t)rank));
	json_object_set_new(o, "cluster", json_string(l->cluster));
	json_object_set_new(o, "type", colon ? json_stringn(l->cluster, (size_t)(colon - l->cluster))
					     : json_string("source"));
	json_object_set_new(o, "score", json_real(l->score));
	json_object_set_new(o, "shared", json_integer((json_int_t)l->shared));
	if (l->size)
		json_object_set_new(o, "entries", json_integer((json_int_t)l->size));
	for (r = 0; r < CS_REL_COUNT; r++) {
		if (l->by_relation[r] > 0)
			json_object_set_new(by, cs_relation_name((enum cs_relation)r),
					    json_real(l->by_relation[r]));
	}
	json_object_set_new(o, "score_by_relation", by);
	for (i = 0; i < l->nevidence; i++)
		json_array_append_new(ev, evidence_json(&l->evidence[i]));
	json_object_set_new(o, "evidence", ev);
	return o;
}

static void print_text(const struct cs_correlation *c, int verbose)
{
	struct cli_text t1 = {0}, t2 = {0}, t3 = {0};
	size_t i, j, n = cs_correlation_lead_count(c);

	printf("query: %zu indicators, %zu share nothing with the stored intel; %zu clusters"
	       " share something\n",
	       cs_correlation_query_size(c), cs_correlation_unmatched(c),
	       cs_correlation_clusters_seen(c));
	if (cs_correlation_cooccur_capped(c))
		printf("note: %zu query values met more than 4,096 other values on their hosts"
		       " within the window; their co-occurrence evidence is incomplete\n",
		       cs_correlation_cooccur_capped(c));
	if (!n)
		printf("no lead\n");
	for (i = 0; i < n; i++) {
		const struct cs_lead *l = cs_correlation_lead(c, i);
		size_t shown = 0, limit = verbose ? l->nevidence : 8;
		int r, first = 1;

		printf("\n%zu. %s\n   score %.2f (", i + 1, cli_escape(&t1, l->cluster), l->score);
		for (r = 0; r < CS_REL_COUNT; r++) {
			if (l->by_relation[r] > 0) {
				printf("%s%s %.2f", first ? "" : ", ",
				       cs_relation_name((enum cs_relation)r), l->by_relation[r]);
				first = 0;
			}
		}
		printf("); %zu query indicators shared", l->shared);
		if (l->size)
			printf("; the cluster has %llu entries", (unsigned long long)l->size);
		printf("\n");
		for (j = 0; j < l->nevidence && shown < limit; j++, shown++) {
			const struct cs_lead_evidence *e = &l->evidence[j];

			printf("   %-14s %s %s", cs_relation_name(e->relation),
			       cs_kind_name(e->qkind), cli_escape(&t1, e->qvalue));
			if (e->relation != CS_REL_EXACT)
				printf(" ~ %s %s", cs_kind_name(e->kind), cli_escape(&t2, e->value));
			if (e->via && e->relation == CS_REL_RESOLUTION)
				printf(" (resolves: %s)", cli_escape(&t3, e->via));
			else if (e->via && e->relation == CS_REL_COOCCUR)
				printf(" (host %s)", cli_escape(&t3, e->via));
			printf("\n      weight %.3f = %.1f kind x %.1f relation / %u source%s%s%s\n",
			       e->weight, e->kind_weight, e->relation_weight, e->nsources,
			       e->nsources == 1 ? "" : "s",
			       e->warninglisted ? "; warninglisted: counts nothing" : "",
			       e->counted ? "" : "; not counted (a stronger piece counts)");
			if (e->file)
				printf("      from %s%s%llu%s%s\n", cli_escape(&t1, e->file),
				       e->line ? ":" : "", (unsigned long long)e->line,
				       e->ref ? " " : "", e->ref ? cli_escape(&t2, e->ref) : "");
		}
		if (j < l->nevidence)
			printf("   ... %zu more (--verbose or --json)\n", l->nevidence - j);
	}
	cli_text_release(&t1);
	cli_text_release(&t2);
	cli_text_release(&t3);
}

struct correlate_args {
	struct cli_list pos;
	int use_case, weak, no_sizes, no_cooccur;
	uint64_t top;
	int64_t window_ms;
	const char *svg, *dot;
};

static int opt_window(const char *opt, const char *val, void *target)
{
	if (parse_window(val, target)) {
		cli_err("%s: '%s' is not a duration such as 90s, 30m, 12h or 7d", opt,
		        cli_safe(val));
		return -1;
	}
	return 0;
}

#define CA(f) offsetof(struct correlate_args, f)
static const struct cli_opt correlate_opts[] = {
        {.name = "case", .kind = CLI_OPT_FLAG, .off = CA(use_case),
         .help = "correlate what the case found instead of INTEL files"},
        {.name = "top", .kind = CLI_OPT_U64, .off = CA(top), .arg = "N", .min = 1, .max = 100000,
         .help = "leads to show (default 10)"},
        {.name = "weak", .kind = CLI_OPT_FLAG, .off = CA(weak),
         .help = "also show leads with only weak evidence (the same IPv4 /24, a\n"
                 "cluster's CIDR)"},
        {.name = "window", .kind = CLI_OPT_FUNC, .off = CA(window_ms), .arg = "DURATION",
         .parse = opt_window,
         .help = "two findings on one host within this time are co-occurring evidence\n"
                 "(default 1d; such as 30m, 12h, 7d)"},
        {.name = "no-sizes", .kind = CLI_OPT_FLAG, .off = CA(no_sizes),
         .help = "skip counting each lead's entries (one pass over all sources)"},
        {.name = "no-cooccurrence", .kind = CLI_OPT_FLAG, .off = CA(no_cooccur),
         .help = "no co-occurrence evidence"},
        {.name = "svg", .kind = CLI_OPT_STR, .off = CA(svg), .arg = "FILE", .complete = CLI_C_FILE,
         .help = "write the evidence graph of the top 5 leads as an SVG picture"},
        {.name = "dot", .kind = CLI_OPT_STR, .off = CA(dot), .arg = "FILE", .complete = CLI_C_FILE,
         .help = "write the same graph as Graphviz DOT"},
        {.name = NULL},
};

static int correlate_run(void *p, struct cli_global *g);

const struct cli_command cli_cmd_correlate = {
        .name = "correlate",
        .summary = "which known activity clusters of the case's intel these indicators\n"
                   "overlap: ranked leads with their evidence and score broken down",
        .description =
                "Rank the activity clusters of the case database's intel (actors, intrusion\n"
                "sets, campaigns, malware, events, reports, tags; a source naming none is its\n"
                "own cluster) by how much they share with INTEL (an advisory in any format\n"
                "`intel import` reads; its own entries in the database are ignored) or with\n"
                "what the case found (--case). Evidence, strongest first: the same value; the\n"
                "query's domain under a cluster's domain; a URL on a cluster's host; a MISP\n"
                "resolution; both found on one host within --window; and, only as weak\n"
                "evidence, the same IPv4 /24 or a cluster's CIDR. Each piece weighs kind x\n"
                "relation / number of source files naming the value; a warninglisted value\n"
                "weighs nothing (docs/correlate.md).",
        .pos_name = "INTEL...",
        .pos_off = CA(pos),
        .max_pos = SIZE_MAX,
        .pos_complete = CLI_C_FILE,
        .opts = correlate_opts,
        .exit_status = "1 when there is a lead, 0 when none, 2 on error.",
        .run = correlate_run,
        .args_size = sizeof(struct correlate_args),
};

static int correlate_run(void *p, struct cli_global *g)
{
	struct correlate_args *A = p;
	struct cs_correlate_opts o;
	struct cs_correlation *c = NULL;
	struct cs_store *st = NULL;
	struct cs_intel *in = NULL;
	struct query q;
	char **files = (char **)A->pos.v;
	const char *svg = A->svg, *dot = A->dot;
	size_t nfiles = A->pos.n;
	int use_case = A->use_case, rc, ret;

	memset(&o, 0, sizeof(o));
	memset(&q, 0, sizeof(q));
	o.sizes = !A->no_sizes;
	o.cooccur = !A->no_cooccur;
	o.weak = A->weak;
	o.top = (size_t)A->top;
	o.window_ms = A->window_ms;
	if (use_case == (nfiles > 0)) {
		cli_err(use_case ? "give INTEL files or --case, not both (chainsweep correlate --help)"
				 : "nothing to correlate: give INTEL files or --case"
				   " (chainsweep correlate --help)");
		return CS_EXIT_ERROR;
	}
	if (!(st = cli_open_store(g))) {
		return CS_EXIT_ERROR;
	}
	if (use_case) {
		rc = cs_correlate_case(st, &o, &c);
	} else {
		in = cli_import_intel(files, nfiles, g, NULL);
		if (!in) {
			cs_store_close(st);
				return CS_EXIT_ERROR;
		}
		if (query_build(&q, in, files, nfiles)) {
			rc = CS_ERR_NOMEM;
		} else {
			o.self_files = q.files;
			o.nself_files = q.nfiles;
			o.self_refs = q.refs;
			o.nself_refs = q.nrefs;
			rc = cs_correlate(st, q.items, q.nitems, &o, &c);
		}
	}
	if (rc) {
		cli_err("correlate: %s%s%s", cs_strerror(rc), rc == CS_ERR_DB ? ": " : "",
			rc == CS_ERR_DB ? cs_store_errmsg(st) : "");
		ret = CS_EXIT_ERROR;
	} else {
		if (g->json) {
			json_t *o2 = json_object(), *leads = json_array();
			size_t i;

			json_object_set_new(o2, "record", json_string("correlation"));
			json_object_set_new(
				o2, "query",
				json_pack("{s:I,s:I,s:I,s:I}", "indicators",
					  (json_int_t)cs_correlation_query_size(c), "unmatched",
					  (json_int_t)cs_correlation_unmatched(c), "clusters",
					  (json_int_t)cs_correlation_clusters_seen(c),
					  "cooccurrence_capped",
					  (json_int_t)cs_correlation_cooccur_capped(c)));
			for (i = 0; i < cs_correlation_lead_count(c); i++)
				json_array_append_new(leads,
						      lead_json(cs_correlation_lead(c, i), i + 1));
			json_object_set_new(o2, "leads", leads);
			cli_json_print(o2);
		} else {
			print_text(c, g->verbose);
		}
		ret = cs_correlation_lead_count(c) ? CS_EXIT_FOUND : CS_EXIT_OK;
		if ((svg && write_graph(c, svg, 1)) || (dot && write_graph(c, dot, 0)))
			ret = CS_EXIT_ERROR;
	}
	cs_correlation_free(c);
	query_release(&q);
	cs_intel_free(in);
	cs_store_close(st);
	return ret;
}

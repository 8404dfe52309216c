/*
 * chainsweep exposure: every product version and host downstream of a
 * compromised node, with the path that reaches each (docs/exposure.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chainsweep/exposure.h"
#include "chainsweep/graph.h"
#include "cli.h"
#include "opts.h"

struct ex_state {
	const struct cli_global *g;
	struct cli_text esc, esc2;
	unsigned errors;
	uint64_t shown;
};

static void on_ex_diag(void *ud, const struct cs_diag *d)
{
	struct ex_state *es = ud;
	char pos[64] = "";

	if (d->severity == CS_SEV_ERROR)
		es->errors++;
	if (es->g->quiet && d->severity < CS_SEV_ERROR)
		return;
	if (d->line && d->column)
		snprintf(pos, sizeof(pos), ":%llu:%llu", (unsigned long long)d->line,
		         (unsigned long long)d->column);
	else if (d->line)
		snprintf(pos, sizeof(pos), ":%llu", (unsigned long long)d->line);
	fprintf(stderr, "%s%s: %s: %s\n", d->file ? cli_escape(&es->esc, d->file) : "-", pos,
	        d->severity == CS_SEV_ERROR ? "error" : "warning",
	        cli_escape(&es->esc2, d->message));
}

static const char *day(int64_t t, char *buf, size_t len)
{
	cli_time(t, buf, len);
	if (strlen(buf) > 10 && strcmp(buf + 10, "T00:00:00Z") == 0)
		buf[10] = '\0';
	return buf;
}

static const char *kind_word(enum cs_exposed_kind k)
{
	return k == CS_EXPOSED_VERSION ? "version" : k == CS_EXPOSED_HOST ? "host" : "node";
}

static json_t *hit_json(struct ex_state *es, const struct cs_exposure_hit *h)
{
	json_t *o = json_object(), *path = json_array();
	char t[32];
	size_t i;

	json_object_set_new(o, "record", json_string("exposed"));
	json_object_set_new(o, "type", json_string(kind_word(h->kind)));
	json_object_set_new(o, "key", json_string(cli_escape(&es->esc, h->key)));
	json_object_set_new(o, "label", json_string(cli_escape(&es->esc, h->label)));
	json_object_set_new(o, "kind", json_string(h->node_kind));
	if (h->product)
		json_object_set_new(o, "product", json_string(cli_escape(&es->esc, h->product)));
	if (h->version)
		json_object_set_new(o, "version", json_string(cli_escape(&es->esc, h->version)));
	if (h->released)
		json_object_set_new(o, "released",
		                    json_string(cli_time(h->released, t, sizeof(t))));
	if (h->kind == CS_EXPOSED_HOST) {
		json_object_set_new(o, "host", json_string(cli_escape(&es->esc, h->host)));
		json_object_set_new(o, "current", json_boolean(h->current));
		if (h->last_seen)
			json_object_set_new(o, "last_seen",
			                    json_string(cli_time(h->last_seen, t, sizeof(t))));
	}
	json_object_set_new(o, "indeterminate", json_boolean(h->indeterminate));
	json_object_set_new(o, "window_from",
	                    h->window_from ? json_string(cli_time(h->window_from, t, sizeof(t)))
	                                   : json_null());
	json_object_set_new(o, "window_until",
	                    h->window_until ? json_string(cli_time(h->window_until, t, sizeof(t)))
	                                    : json_null());
	for (i = 0; i < h->npath; i++) {
		const struct cs_exposure_step *s = &h->path[i];
		json_t *st = json_object();

		json_object_set_new(st, "key", json_string(cli_escape(&es->esc, s->key)));
		json_object_set_new(st, "label", json_string(cli_escape(&es->esc, s->label)));
		json_object_set_new(st, "kind", json_string(s->kind));
		if (s->relation)
			json_object_set_new(st, "relation", json_string(s->relation));
		if (s->detail)
			json_object_set_new(st, "detail",
			                    json_string(cli_escape(&es->esc, s->detail)));
		json_array_append_new(path, st);
	}
	json_object_set_new(o, "path", path);
	return o;
}

static void print_path(struct ex_state *es, const struct cs_exposure_hit *h)
{
	size_t i;

	fputs("    path: ", stdout);
	for (i = 0; i < h->npath; i++) {
		const struct cs_exposure_step *s = &h->path[i];

		if (s->relation)
			printf(" -[%s]-> ", s->relation);
		fputs(cli_escape(&es->esc, s->label), stdout);
	}
	putchar('\n');
	for (i = 0; i < h->npath; i++) {
		if (h->path[i].detail)
			printf("    seen: %s\n", cli_escape(&es->esc, h->path[i].detail));
	}
}

static int on_hit(void *ud, const struct cs_exposure_hit *h)
{
	struct ex_state *es = ud;
	char t[32];

	if (es->g->json) {
		cli_json_print(hit_json(es, h));
		return 0;
	}
	if (h->kind == CS_EXPOSED_OTHER)
		return 0; /* only in the JSON and the pictures */
	es->shown++;
	if (h->kind == CS_EXPOSED_VERSION) {
		printf("%s version %s", h->indeterminate ? "INDETERMINATE" : "EXPOSED",
		       cli_escape(&es->esc, h->label));
		if (h->released)
			printf("  (released %s)", day(h->released, t, sizeof(t)));
		else if (h->indeterminate)
			fputs("  (release date unknown)", stdout);
	} else {
		printf("%s host %s  runs %s", h->indeterminate ? "INDETERMINATE" : "EXPOSED",
		       cli_escape(&es->esc, h->host),
		       cli_escape(&es->esc2, h->path[h->npath - 2].label));
		if (!h->current)
			fputs("  (no longer seen by its latest software sweep)", stdout);
	}
	putchar('\n');
	print_path(es, h);
	return 0;
}

struct exposure_args {
	const char *compromised;
	int64_t window[2];
	struct cli_list relations, sbom;
	int no_db, dot, svg;
};

static int opt_ex_window(const char *opt, const char *val, void *target)
{
	int64_t *w = target;

	if (cs_exposure_parse_window(val, &w[0], &w[1])) {
		cli_err("%s '%s': give FROM..TO (2023-03-01..2023-03-31; an end may be empty)", opt,
		        cli_safe(val));
		return -1;
	}
	return 0;
}

#define EA(f) offsetof(struct exposure_args, f)
static const struct cli_opt exposure_opts[] = {
        {.name = "compromised", .kind = CLI_OPT_STR, .off = EA(compromised), .arg = "NODE",
         .help = "what was compromised (needed): an id (x_trader, 3cx-build), ID@VERSION\n"
                 "(x_trader@r7.17.90p608), KIND:ID (vendor:3cx, host:ws-17) or a product's\n"
                 "name"},
        {.name = "window", .kind = CLI_OPT_FUNC, .off = EA(window), .arg = "FROM..TO",
         .parse = opt_ex_window,
         .help = "the compromise window (dates or times, UTC; either end may be empty):\n"
                 "versions released outside it are not suspect; relations may narrow it"},
        {.name = "relations", .kind = CLI_OPT_LIST, .off = EA(relations), .arg = "FILE",
         .complete = CLI_C_FILE,
         .help = "a YAML relations file (repeatable; later files may name what earlier\n"
                 "ones declared)"},
        {.name = "sbom", .kind = CLI_OPT_LIST, .off = EA(sbom), .arg = "FILE",
         .complete = CLI_C_FILE,
         .help = "a CycloneDX JSON SBOM: its dependency tree (repeatable)"},
        {.name = "no-db", .kind = CLI_OPT_FLAG, .off = EA(no_db),
         .help = "do not read the case database's software"},
        {.name = "dot", .kind = CLI_OPT_FLAG, .off = EA(dot),
         .help = "the downstream graph as Graphviz DOT on standard output"},
        {.name = "svg", .kind = CLI_OPT_FLAG, .off = EA(svg),
         .help = "the downstream graph as an SVG picture on standard output"},
        {.name = NULL},
};

static int exposure_run(void *p, struct cli_global *g);

const struct cli_command cli_cmd_exposure = {
        .name = "exposure",
        .summary = "every product version and host downstream of a compromised vendor,\n"
                   "environment, product or version, with the path that reaches it",
        .description =
                "Every product version and host downstream of a compromised vendor,\n"
                "environment, product, version or component, with the path that reaches it.\n"
                "The graph comes from the relations files (vendors, environments, products\n"
                "and versions with release dates; installed-at, builds, updates, depends-on),\n"
                "CycloneDX SBOM dependency trees, and the hosts' software recorded in the case\n"
                "database by `scan software` and `sweep` (docs/exposure.md).",
        .opts = exposure_opts,
        .exit_status = "0 nothing downstream, 1 something exposed (indeterminate too), 2 error\n"
                       "(a relations file with errors included).",
        .run = exposure_run,
        .args_size = sizeof(struct exposure_args),
};

static int exposure_run(void *p, struct cli_global *g)
{
	struct exposure_args *A = p;
	struct ex_state es;
	struct cs_exposure *x = NULL;
	struct cs_store *st = NULL;
	struct cs_graph *graph = NULL;
	struct cs_exposure_query q;
	struct cs_exposure_result res;
	char **rel = (char **)A->relations.v, **sbom = (char **)A->sbom.v;
	size_t nrel = A->relations.n, nsbom = A->sbom.n, k;
	int rc, dot = A->dot, svg = A->svg, no_db = A->no_db, exit_code = CS_EXIT_ERROR;
	char t1[32], t2[32];

	memset(&es, 0, sizeof(es));
	memset(&q, 0, sizeof(q));
	es.g = g;
	q.compromised = A->compromised;
	q.from = A->window[0];
	q.until = A->window[1];
	if (!q.compromised) {
		cli_err("exposure: --compromised NODE is needed (chainsweep exposure --help)");
		goto out;
	}
	if (dot + svg + g->json > 1) {
		cli_err("--json, --dot and --svg exclude each other");
		goto out;
	}
	x = cs_exposure_new();
	if (!x) {
		cli_err("out of memory");
		goto out;
	}
	cs_exposure_set_diag(x, on_ex_diag, &es);
	for (k = 0; k < nrel; k++) {
		rc = cs_exposure_load_relations(x, rel[k]);
		if (rc == CS_ERR_NOMEM) {
			cli_err("out of memory");
			goto out;
		}
	}
	for (k = 0; k < nsbom; k++) {
		rc = cs_exposure_load_sbom(x, sbom[k], NULL);
		if (rc == CS_ERR_NOMEM) {
			cli_err("out of memory");
			goto out;
		}
	}
	if (es.errors) {
		cli_err("%u error%s in the relations or SBOMs: nothing walked", es.errors,
		        es.errors == 1 ? "" : "s");
		goto out;
	}
	if (!no_db) {
		st = cli_open_store(g);
		if (!st)
			goto out;
		rc = cs_exposure_load_store(x, st);
		if (rc) {
			cli_err("reading the software of the case database: %s %s", cs_strerror(rc),
			        cs_exposure_errmsg(x));
			goto out;
		}
	}
	if (dot || svg) {
		graph = cs_graph_new();
		if (!graph) {
			cli_err("out of memory");
			goto out;
		}
	}
	rc = cs_exposure_run(x, &q, (dot || svg) ? NULL : on_hit, &es, graph, &res);
	if (rc) {
		cli_err("--compromised %s: %s", cli_escape(&es.esc, q.compromised),
		        rc == CS_ERR_NOTFOUND || rc == CS_ERR_INVALID ? cs_exposure_errmsg(x)
		                                                      : cs_strerror(rc));
		goto out;
	}
	if (graph) {
		rc = dot ? cs_graph_write_dot(graph, stdout) : cs_graph_write_svg(graph, stdout);
		if (rc) {
			cli_err("writing the graph: %s", cs_strerror(rc));
			goto out;
		}
	} else if (g->json) {
		json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "record", "summary",
		                      "compromised", cli_escape(&es.esc, q.compromised), "versions",
		                      (json_int_t)res.versions, "hosts", (json_int_t)res.hosts,
		                      "other", (json_int_t)res.other, "indeterminate",
		                      (json_int_t)res.indeterminate);

		json_object_set_new(o, "window_from",
		                    q.from ? json_string(cli_time(q.from, t1, sizeof(t1)))
		                           : json_null());
		json_object_set_new(o, "window_until",
		                    q.until ? json_string(cli_time(q.until, t2, sizeof(t2)))
		                            : json_null());
		cli_json_print(o);
	}
	fflush(stdout);
	if (!g->json && !g->quiet) {
		fprintf(stderr, "downstream of %s", cli_escape(&es.esc, q.compromised));
		if (q.from || q.until)
			fprintf(stderr, " (window %s .. %s)",
			        q.from ? day(q.from, t1, sizeof(t1)) : "",
			        q.until ? day(q.until, t2, sizeof(t2)) : "");
		fprintf(stderr,
		        ": %llu product version%s, %llu host%s (%llu indeterminate), %llu other "
		        "node%s\n",
		        (unsigned long long)res.versions, res.versions == 1 ? "" : "s",
		        (unsigned long long)res.hosts, res.hosts == 1 ? "" : "s",
		        (unsigned long long)res.indeterminate, (unsigned long long)res.other,
		        res.other == 1 ? "" : "s");
	}
	exit_code = res.versions || res.hosts ? CS_EXIT_FOUND : CS_EXIT_OK;
out:
	cs_graph_free(graph);
	cs_exposure_free(x);
	cs_store_close(st);
	cli_text_release(&es.esc);
	cli_text_release(&es.esc2);
	return exit_code;
}

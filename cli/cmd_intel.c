/*
 * chainsweep intel import | ls | stats | show
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chainsweep/sigma.h"
#include "cli.h"
#include "opts.h"

/* The set's size after a save: the database's, which another import
 * may have added to meanwhile; the set's own when nothing was saved. */
static unsigned long long set_size(struct cs_store *st, const struct cs_intel *in, int64_t version)
{
	uint64_t n;

	if (version && cs_store_indicator_count(st, &n) == CS_OK)
		return (unsigned long long)n;
	return (unsigned long long)cs_intel_count(in);
}

struct import_args {
	const char *format, *column, *note;
	int bundled;
	struct cli_list pos;
};

#define IA(f) offsetof(struct import_args, f)
static const struct cli_opt import_opts[] = {
        {.name = "format", .kind = CLI_OPT_STR, .off = IA(format), .arg = "FORMAT",
         .help = "force a reader: stix, misp, osv, warninglist, loki-hash, loki-filename,\n"
                 "loki-c2, yara, sigma, csv, plain (default: sniffed from the content)"},
        {.name = "csv-column", .kind = CLI_OPT_STR, .off = IA(column), .arg = "COLUMN",
         .help = "take the values from this CSV column (name or number)"},
        {.name = "note", .kind = CLI_OPT_STR, .off = IA(note), .arg = "TEXT",
         .help = "what this import was (default: the files named)"},
        {.name = "bundled", .kind = CLI_OPT_FLAG, .off = IA(bundled),
         .help = "also import the bundled 3CX/JumpCloud pack"},
        {.name = NULL},
};

static int import_run(void *p, struct cli_global *g);

const struct cli_command cli_cmd_intel_import = {
        .name = "intel import",
        .summary = "read STIX 2.1, MISP (events and feed folders), Loki/signature-base IOC\n"
                   "files, CSV and plain lists, YARA and Sigma rules, OSV advisories and\n"
                   "MISP warninglists into the case database",
        .description =
                "Read intel files and folders into the case database as a new intel version.\n"
                "The reader is sniffed from the content. OSV advisories are kept in the case\n"
                "for scan software and sweep. Problems are reported as FILE:LINE:COLUMN:\n"
                "warning: ..., counted by reason, and never stop the rest. A file read only\n"
                "in part (out of memory, cut short) keeps what was read and marks the intel\n"
                "version partial.",
        .pos_name = "FILE|DIR...",
        .pos_off = IA(pos),
        .max_pos = SIZE_MAX,
        .pos_complete = CLI_C_FILE,
        .opts = import_opts,
        .exit_status = "0, or 2 when some file gave nothing usable or was read only in part.",
        .run = import_run,
        .args_size = sizeof(struct import_args),
};

static const struct cs_intel *prog_in;
static double prog_t0;

/* After each file an import read: files, bytes of the total, entries read. */
static void on_import_progress(void *ud, uint64_t files, uint64_t bytes)
{
	struct cli_progress *p = ud;

	p->found = prog_in ? cs_intel_count(prog_in) : 0;
	cli_progress_show(p, files, "files", bytes, cli_now() - prog_t0);
}

static int import_run(void *p, struct cli_global *g)
{
	struct import_args *A = p;
	struct cs_import_stats total, one;
	struct cli_progress prog;
	struct diag_state ds;
	struct cs_store *st;
	struct cs_intel *in;
	const char *format = A->format, *column = A->column, *note = A->note;
	const char **paths = A->pos.v;
	size_t before, i;
	int64_t version = 0;
	int a, npaths = (int)A->pos.n, failed_paths = 0, rc, bundled = A->bundled;
	char notebuf[1024];
	const char *pack = NULL;

	if (bundled) {
		pack = cli_bundled_intel();
		if (!pack) {
			cli_err("the bundled intel pack is not installed (looked in "
			        "$CHAINSWEEP_INTEL_DIR, "
			        "%s/chainsweep/intel and %s)",
			        CS_DATADIR, CS_SOURCE_INTEL);
			return CS_EXIT_ERROR;
		}
	}
	if (!npaths && !bundled) {
		cli_err("intel import: FILE|DIR... missing (chainsweep intel import --help)");
		return CS_EXIT_ERROR;
	}
	st = cli_create_store(g);
	if (!st)
		return CS_EXIT_ERROR;
	in = cli_load_intel(st);
	if (!in) {
		cs_store_close(st);
		return CS_EXIT_ERROR;
	}
	memset(&ds, 0, sizeof(ds));
	ds.g = g;
	if (g->json)
		ds.json_diags = json_array();
	cs_intel_set_diag(in, cli_on_diag, &ds);
	if (cli_intel_cache(in, g)) {
		cs_intel_free(in);
		cs_store_close(st);
		return CS_EXIT_ERROR;
	}
	if (format && cs_intel_set_format(in, format)) {
		cli_err("%s; formats are:", cli_safe(cs_intel_errmsg(in)));
		for (const char *const *f = cs_intel_formats(); *f; f++)
			fprintf(stderr, "  %s\n", *f);
		cs_intel_free(in);
		cs_store_close(st);
		json_decref(ds.json_diags);
		return CS_EXIT_ERROR;
	}
	if (column)
		cs_intel_set_csv_column(in, column);
	if (!note) {
		size_t used = 0;

		notebuf[0] = '\0';
		if (bundled)
			used = (size_t)snprintf(notebuf, sizeof(notebuf), "import %s", pack);
		for (a = 0; a < npaths && used + 1 < sizeof(notebuf); a++)
			used += (size_t)snprintf(notebuf + used, sizeof(notebuf) - used, "%s%s",
			                         used ? " " : "import ", paths[a]);
		note = notebuf;
	}
	before = cs_intel_count(in);
	/* Into an empty case database, indicators are written while the
	 * files are read (a writer thread); a failure shows at the save. */
	cli_progress_init(&prog, g, "intel import");
	if (prog.enabled) {
		const char **all = calloc((size_t)npaths + 1, sizeof(*all));

		if (all) {
			for (a = 0; a < npaths; a++)
				all[a] = paths[a];
			if (bundled)
				all[npaths] = pack;
			prog.total = cli_tree_bytes(all, (size_t)npaths + (bundled != 0));
			free(all);
		}
		prog.found_word = "indicators";
		ds.prog = &prog;
		prog_in = in;
		prog_t0 = cli_now();
		cs_intel_set_progress(in, on_import_progress, &prog);
	}
	cs_store_import_begin(st, in);
	memset(&total, 0, sizeof(total));
	for (a = bundled ? -1 : 0; a < npaths; a++) {
		const char *path = a < 0 ? pack : paths[a];

		rc = cs_intel_import(in, path, &one);
		if (rc == CS_ERR_IO)
			cli_err("%s", cli_safe(cs_intel_errmsg(in)));
		if (rc || one.files_failed || one.files_partial)
			failed_paths++;
		total.files += one.files;
		total.files_failed += one.files_failed;
		total.read += one.read;
		total.rejected += one.rejected;
		total.warninglist_entries += one.warninglist_entries;
		total.yara_rules += one.yara_rules;
		total.files_partial += one.files_partial;
		total.advisories += one.advisories;
	}
	cli_progress_clear(&prog);
	cs_intel_set_progress(in, NULL, NULL);
	ds.prog = NULL;
	cli_flush_suppressed(&ds);
	rc = CS_OK;
	if (total.read || total.warninglist_entries || total.yara_rules || total.advisories)
		rc = cs_store_save_intel(st, in, note, &total, &version);
	else
		cs_store_import_abort(st);
	if (rc) {
		cli_err("cannot save intel: %s",
		        cli_safe(rc == CS_ERR_DB ? cs_store_errmsg(st) : cs_strerror(rc)));
	} else if (g->json) {
		json_t *rej = json_object();

		for (i = 0; i < cs_intel_reject_reasons(in); i++) {
			uint64_t c;
			const char *reason = cs_intel_reject_reason(in, i, &c);

			json_object_set_new(rej, reason, json_integer((json_int_t)c));
		}
		cli_json_print(json_pack(
		        "{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o}",
		        "record", "import", "version", (json_int_t)version, "files",
		        (json_int_t)total.files, "files_failed", (json_int_t)total.files_failed,
		        "files_partial", (json_int_t)total.files_partial, "advisories",
		        (json_int_t)total.advisories, "accepted",
		        (json_int_t)total.read, "rejected", (json_int_t)total.rejected,
		        "yara_rules", (json_int_t)total.yara_rules, "warninglist_entries",
		        (json_int_t)total.warninglist_entries, "new_indicators",
		        (json_int_t)(cs_intel_count(in) - before), "indicators",
		        (json_int_t)set_size(st, in, version), "rejects", rej, "diagnostics",
		        ds.json_diags));
		ds.json_diags = NULL;
	} else {
		printf("files: %llu, of which %llu gave nothing usable",
		       (unsigned long long)total.files, (unsigned long long)total.files_failed);
		if (total.files_partial)
			printf(" and %llu %s read only in part",
			       (unsigned long long)total.files_partial,
			       total.files_partial == 1 ? "was" : "were");
		printf("\n");
		printf("entries: %llu accepted, %llu rejected\n", (unsigned long long)total.read,
		       (unsigned long long)total.rejected);
		for (i = 0; i < cs_intel_reject_reasons(in); i++) {
			uint64_t c;
			const char *reason = cs_intel_reject_reason(in, i, &c);

			printf("  rejected %-24s %llu\n", cli_safe(reason), (unsigned long long)c);
		}
		if (total.yara_rules)
			printf("yara rules: %llu\n", (unsigned long long)total.yara_rules);
		if (total.warninglist_entries)
			printf("warninglist entries: %llu\n",
			       (unsigned long long)total.warninglist_entries);
		if (total.advisories)
			printf("OSV advisories: %llu\n", (unsigned long long)total.advisories);
		printf("indicators: %llu in the set (%zu new)", set_size(st, in, version),
		       cs_intel_count(in) - before);
		if (version)
			printf(", intel version %lld", (long long)version);
		printf("\n");
		if (version && total.files_partial)
			printf("PARTIAL: intel version %lld holds what was read of %llu file%s read "
			       "only in part (intel stats lists %s)\n",
			       (long long)version, (unsigned long long)total.files_partial,
			       total.files_partial == 1 ? "" : "s",
			       total.files_partial == 1 ? "it" : "them");
	}
	json_decref(ds.json_diags);
	cs_intel_free(in);
	cs_store_close(st);
	if (rc)
		return CS_EXIT_ERROR;
	return failed_paths ? CS_EXIT_ERROR : CS_EXIT_OK;
}

/* One indicator as JSON (the shape of `intel ls --json` and `show`). */
static int has_label(const struct cs_intel *in, const struct cs_indicator *ind, const char *l)
{
	size_t i;

	for (i = 0; i < cs_indicator_label_count(ind); i++) {
		const char *x = cs_indicator_label(in, ind, i);
		const char *colon = strchr(x, ':');

		/* "actor:Lazarus Group" matches "actor:Lazarus Group" and
		 * "Lazarus Group". */
		if (strcasecmp(x, l) == 0 || (colon && strcasecmp(colon + 1, l) == 0))
			return 1;
	}
	return 0;
}

static int has_source(const struct cs_intel *in, const struct cs_indicator *ind, const char *s)
{
	size_t i;

	for (i = 0; i < cs_indicator_source_count(ind); i++) {
		struct cs_source_info si;

		cs_indicator_source(in, ind, i, &si);
		if ((si.file && strstr(si.file, s)) || (si.ref && strcmp(si.ref, s) == 0) ||
		    (si.format && strcmp(si.format, s) == 0))
			return 1;
	}
	return 0;
}

struct ls_args {
	const char *label, *source;
	int kind, warnlisted, not_warnlisted;
	uint64_t limit;
};

static int opt_kind(const char *opt, const char *val, void *target)
{
	enum cs_kind k = cs_kind_from_name(val);

	if (k == CS_KIND_NONE) {
		cli_err("%s: unknown kind '%s' (sha256, domain, ipv4, url, yara-rule, ...)", opt,
		        cli_safe(val));
		return -1;
	}
	*(int *)target = (int)k;
	return 0;
}

#define LSA(f) offsetof(struct ls_args, f)
static const struct cli_opt ls_opts[] = {
        {.name = "kind", .kind = CLI_OPT_FUNC, .off = LSA(kind), .arg = "KIND", .parse = opt_kind,
         .help = "only indicators of this kind (sha256, domain, ipv4, url, yara-rule,\n"
                 "sigma-rule, product-version, ...)"},
        {.name = "label", .kind = CLI_OPT_STR, .off = LSA(label), .arg = "LABEL",
         .help = "only indicators with this label"},
        {.name = "source", .kind = CLI_OPT_STR, .off = LSA(source), .arg = "TEXT",
         .help = "only indicators from a source whose file or reference holds TEXT"},
        {.name = "warnlisted", .kind = CLI_OPT_FLAG, .off = LSA(warnlisted),
         .help = "only warninglisted indicators"},
        {.name = "not-warnlisted", .kind = CLI_OPT_FLAG, .off = LSA(not_warnlisted),
         .help = "only indicators no warninglist names"},
        {.name = "limit", .kind = CLI_OPT_U64, .off = LSA(limit), .arg = "N", .max = UINT64_MAX,
         .help = "at most N indicators (0: all)"},
        {.name = NULL},
};

static int ls_run(void *p, struct cli_global *g);

const struct cli_command cli_cmd_intel_ls = {
        .name = "intel ls",
        .summary = "list indicators",
        .description = "List indicators: kind, value, labels, number of sources; --json for all\n"
                       "fields.",
        .opts = ls_opts,
        .exit_status = "0, 2 error.",
        .run = ls_run,
        .args_size = sizeof(struct ls_args),
};

static int ls_run(void *p, struct cli_global *g)
{
	struct ls_args *A = p;
	const char *label = A->label, *source = A->source;
	enum cs_kind kind = (enum cs_kind)A->kind;
	int warn = A->warnlisted ? 1 : A->not_warnlisted ? 0 : -1;
	unsigned long long limit = A->limit, shown = 0;
	struct cs_store *st;
	struct cs_intel *in;
	size_t i;

	if (A->warnlisted && A->not_warnlisted) {
		cli_err("intel ls: --warnlisted or --not-warnlisted, not both");
		return CS_EXIT_ERROR;
	}
	st = cli_open_store_ro(g);
	if (!st)
		return CS_EXIT_ERROR;
	in = cli_load_intel(st);
	if (!in) {
		cs_store_close(st);
		return CS_EXIT_ERROR;
	}
	for (i = 0; i < cs_intel_count(in) && (!limit || shown < limit); i++) {
		const struct cs_indicator *ind = cs_intel_at(in, i);
		unsigned fl = cs_indicator_flags(ind);
		size_t j;

		if (kind != CS_KIND_NONE && cs_indicator_kind(ind) != kind)
			continue;
		if (warn >= 0 && !!(fl & CS_IND_WARNLISTED) != warn)
			continue;
		if (label && !has_label(in, ind, label))
			continue;
		if (source && !has_source(in, ind, source))
			continue;
		shown++;
		if (g->json) {
			json_t *o = cli_indicator_json(in, ind, 0);

			json_object_set_new(o, "record", json_string("indicator"));
			cli_json_print(o);
			continue;
		}
		printf("%s\t%s\t", cs_kind_name(cs_indicator_kind(ind)),
		       cli_safe(cs_indicator_value(ind)));
		for (j = 0; j < cs_indicator_label_count(ind); j++)
			printf("%s%s", j ? ", " : "", cli_safe(cs_indicator_label(in, ind, j)));
		printf("\t%zu source%s%s%s\n", cs_indicator_source_count(ind),
		       cs_indicator_source_count(ind) == 1 ? "" : "s",
		       fl & CS_IND_WARNLISTED ? ", warninglisted" : "",
		       (fl & CS_IND_HUNT) && !(fl & CS_IND_DETECT) ? ", hunt-only" : "");
	}
	cs_intel_free(in);
	cs_store_close(st);
	return CS_EXIT_OK;
}

struct count {
	const char *key;
	unsigned long long n;
};

static int count_cmp(const void *a, const void *b)
{
	const struct count *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->key, y->key);
}

/* Tally strings with a small linear table (callers pass few distinct). */
static int tally(struct count **t, size_t *n, const char *key)
{
	size_t i;
	struct count *nt;

	for (i = 0; i < *n; i++) {
		if (strcmp((*t)[i].key, key) == 0) {
			(*t)[i].n++;
			return 0;
		}
	}
	nt = realloc(*t, (*n + 1) * sizeof(**t));
	if (!nt)
		return -1;
	*t = nt;
	(*t)[*n].key = key;
	(*t)[*n].n = 1;
	(*n)++;
	return 0;
}

struct versions_out {
	json_t *arr;
	int json;
	struct cs_store *st;
	json_t *partial; /* the version's partial files, with --json */
};

static int on_partial(void *ud, const char *path, const char *reason)
{
	struct versions_out *vo = ud;

	if (vo->json)
		json_array_append_new(vo->partial, json_pack("{s:s?, s:s?}", "path", path,
		                                             "reason", reason));
	else
		printf("      PARTIAL: %s: %s\n", path ? cli_safe(path) : "-",
		       reason ? cli_safe(reason) : "-");
	return 0;
}

static int on_version(void *ud, const struct cs_intel_version *v)
{
	struct versions_out *vo = ud;
	char t[32];

	if (vo->json) {
		vo->partial = json_array();
		cs_store_version_partials(vo->st, v->id, on_partial, vo);
		json_array_append_new(vo->arr,
		                      json_pack("{s:I, s:s, s:s?, s:I, s:I, s:I, s:I, s:o}", "version",
		                                (json_int_t)v->id, "created",
		                                cli_time(v->created, t, sizeof(t)), "note", v->note,
		                                "files", (json_int_t)v->files, "accepted",
		                                (json_int_t)v->accepted, "rejected",
		                                (json_int_t)v->rejected, "indicators",
		                                (json_int_t)v->indicators, "partial", vo->partial));
		vo->partial = NULL;
	} else {
		printf("  v%lld  %s  %llu files, %llu accepted, %llu rejected, %llu in set  %s\n",
		       (long long)v->id, cli_time(v->created, t, sizeof(t)),
		       (unsigned long long)v->files, (unsigned long long)v->accepted,
		       (unsigned long long)v->rejected, (unsigned long long)v->indicators,
		       cli_safe(v->note));
		cs_store_version_partials(vo->st, v->id, on_partial, vo);
	}
	return 0;
}

static json_t *counts_json(struct count *t, size_t n, size_t max)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < n && i < max; i++)
		json_object_set_new(o, t[i].key, json_integer((json_int_t)t[i].n));
	return o;
}

static void counts_print(const char *title, struct count *t, size_t n, size_t max)
{
	size_t i;

	printf("%s:\n", title);
	for (i = 0; i < n && i < max; i++)
		printf("  %-40s %llu\n", cli_safe(t[i].key), t[i].n);
	if (n > max)
		printf("  ... %zu more\n", n - max);
}

struct stats_args {
	int unused;
};

static int stats_run(void *p, struct cli_global *g);

static const struct cli_opt no_opts[] = {{.name = NULL}};

const struct cli_command cli_cmd_intel_stats = {
        .name = "intel stats",
        .summary = "counts by kind, flag, label, source; intel versions",
        .description = "Counts by kind, flag, source format, source file and label; warninglists;\n"
                       "YARA and Sigma rule files; OSV advisories; the intel versions and the files\n"
                       "each read only in part.",
        .opts = no_opts,
        .exit_status = "0, 2 error.",
        .run = stats_run,
        .args_size = sizeof(struct stats_args),
};

static int stats_run(void *p, struct cli_global *g)
{
	struct count *kinds = NULL, *labels = NULL, *files = NULL, *formats = NULL;
	size_t nk = 0, nl = 0, nf = 0, nfmt = 0, i, j;
	unsigned long long detect = 0, hunt = 0, warn = 0, partial = 0, multi = 0;
	struct versions_out vo = {NULL, g->json, NULL, NULL};
	struct cs_store_advisory_counts ac;
	struct cs_store *st;
	struct cs_intel *in;
	struct cs_sigma *sg = NULL;

	(void)p;
	vo.json = g->json;
	st = cli_open_store_ro(g);
	if (!st)
		return CS_EXIT_ERROR;
	vo.st = st;
	in = cli_load_intel(st);
	if (!in) {
		cs_store_close(st);
		return CS_EXIT_ERROR;
	}
	if (cs_store_advisory_counts(st, &ac)) {
		cli_err("%s", cli_safe(cs_store_errmsg(st)));
		cs_intel_free(in);
		cs_store_close(st);
		return CS_EXIT_ERROR;
	}
	for (i = 0; i < cs_intel_count(in); i++) {
		const struct cs_indicator *ind = cs_intel_at(in, i);
		unsigned fl = cs_indicator_flags(ind);

		tally(&kinds, &nk, cs_kind_name(cs_indicator_kind(ind)));
		detect += !!(fl & CS_IND_DETECT);
		hunt += (fl & CS_IND_HUNT) && !(fl & CS_IND_DETECT);
		warn += !!(fl & CS_IND_WARNLISTED);
		partial += !!(fl & CS_IND_PARTIAL);
		multi += cs_indicator_source_count(ind) > 1;
		for (j = 0; j < cs_indicator_label_count(ind); j++)
			tally(&labels, &nl, cs_indicator_label(in, ind, j));
		for (j = 0; j < cs_indicator_source_count(ind); j++) {
			struct cs_source_info si;

			cs_indicator_source(in, ind, j, &si);
			tally(&files, &nf, si.file ? si.file : "-");
			tally(&formats, &nfmt, si.format ? si.format : "-");
		}
	}
	if (nk)
		qsort(kinds, nk, sizeof(*kinds), count_cmp);
	if (nl)
		qsort(labels, nl, sizeof(*labels), count_cmp);
	if (nf)
		qsort(files, nf, sizeof(*files), count_cmp);
	if (nfmt)
		qsort(formats, nfmt, sizeof(*formats), count_cmp);
	/* Sigma rules are counted as the sweeps will see them: compiled. */
	if (cs_intel_sigma_count(in) && cs_sigma_compile(in, NULL, NULL, &sg) != CS_OK) {
		cli_err("cannot compile the case's Sigma rules: out of memory");
		sg = NULL;
	}
	if (g->json) {
		json_t *o = json_object(), *wl = json_object();

		vo.arr = json_array();
		cs_store_versions(st, 0, on_version, &vo);
		for (i = 0; i < cs_intel_warninglist_count(in); i++) {
			size_t n;
			const char *name = cs_intel_warninglist_name(in, i, NULL, NULL, &n);

			json_object_set_new(wl, name, json_integer((json_int_t)n));
		}
		json_object_set_new(o, "indicators", json_integer((json_int_t)cs_intel_count(in)));
		json_object_set_new(o, "by_kind", counts_json(kinds, nk, nk));
		json_object_set_new(o, "detect", json_integer((json_int_t)detect));
		json_object_set_new(o, "hunt_only", json_integer((json_int_t)hunt));
		json_object_set_new(o, "warninglisted", json_integer((json_int_t)warn));
		json_object_set_new(o, "partial", json_integer((json_int_t)partial));
		json_object_set_new(o, "multi_source", json_integer((json_int_t)multi));
		json_object_set_new(o, "by_label", counts_json(labels, nl, 50));
		json_object_set_new(o, "by_source_file", counts_json(files, nf, nf));
		json_object_set_new(o, "by_format", counts_json(formats, nfmt, nfmt));
		json_object_set_new(o, "warninglists", wl);
		json_object_set_new(o, "yara_files",
		                    json_integer((json_int_t)cs_intel_yara_count(in)));
		if (sg) {
			struct cs_sigma_stats ss;
			json_t *why = json_object();

			cs_sigma_stats(sg, &ss);
			for (i = 0; i < cs_sigma_reason_count(sg); i++) {
				uint64_t n;
				const char *reason = cs_sigma_reason(sg, i, &n);

				json_object_set_new(why, reason, json_integer((json_int_t)n));
			}
			json_object_set_new(o, "sigma",
			                    json_pack("{s:I, s:I, s:I, s:I, s:o}", "files",
			                              (json_int_t)ss.files, "rules", (json_int_t)ss.rules,
			                              "usable", (json_int_t)ss.usable, "not_usable",
			                              (json_int_t)ss.not_usable, "not_usable_by_reason",
			                              why));
		}
		json_object_set_new(o, "osv_advisories",
		                    json_pack("{s:I, s:I, s:I, s:I}", "advisories",
		                              (json_int_t)ac.ids, "records", (json_int_t)ac.records,
		                              "withdrawn", (json_int_t)ac.withdrawn, "malicious",
		                              (json_int_t)ac.malicious));
		json_object_set_new(o, "versions", vo.arr);
		json_object_set_new(o, "record", json_string("stats"));
		cli_json_print(o);
	} else {
		printf("indicators: %zu (%llu for detection, %llu hunting only, %llu "
		       "warninglisted, %llu partly supported, %llu with several sources)\n",
		       cs_intel_count(in), detect, hunt, warn, partial, multi);
		counts_print("by kind", kinds, nk, nk);
		counts_print("by source format", formats, nfmt, nfmt);
		counts_print("by source file", files, nf, 20);
		counts_print("top labels", labels, nl, 20);
		printf("warninglists: %zu\n", cs_intel_warninglist_count(in));
		for (i = 0; i < cs_intel_warninglist_count(in); i++) {
			size_t n;
			const char *type;
			const char *name = cs_intel_warninglist_name(in, i, &type, NULL, &n);

			printf("  %-60s %s, %zu entries\n", cli_safe(name), cli_safe(type), n);
		}
		printf("yara rule files: %zu\n", cs_intel_yara_count(in));
		if (sg) {
			struct cs_sigma_stats ss;

			cs_sigma_stats(sg, &ss);
			printf("sigma rules: %llu in %llu files (%llu usable, %llu not usable)\n",
			       (unsigned long long)ss.rules, (unsigned long long)ss.files,
			       (unsigned long long)ss.usable, (unsigned long long)ss.not_usable);
			for (i = 0; i < cs_sigma_reason_count(sg); i++) {
				uint64_t n;
				const char *why = cs_sigma_reason(sg, i, &n);

				printf("  not usable, %-40s %llu\n", cli_safe(why),
				       (unsigned long long)n);
			}
		}
		if (ac.records)
			printf("OSV advisories: %llu (%llu withdrawn, %llu malicious-package), "
			       "%llu records with their older versions\n",
			       (unsigned long long)ac.ids, (unsigned long long)ac.withdrawn,
			       (unsigned long long)ac.malicious, (unsigned long long)ac.records);
		printf("intel versions (newest first):\n");
		cs_store_versions(st, 10, on_version, &vo);
	}
	free(kinds);
	free(labels);
	free(files);
	free(formats);
	cs_sigma_free(sg);
	cs_intel_free(in);
	cs_store_close(st);
	return CS_EXIT_OK;
}

static void show_text(const struct cs_intel *in, const struct cs_indicator *ind, int64_t ver)
{
	unsigned fl = cs_indicator_flags(ind);
	char t[32];
	size_t i;

	printf("%s %s\n", cs_kind_name(cs_indicator_kind(ind)), cli_safe(cs_indicator_value(ind)));
	printf("  use:        %s%s%s\n",
	       fl & CS_IND_DETECT ? "detection"
	                          : (fl & CS_IND_HUNT ? "hunting only" : "unspecified"),
	       fl & CS_IND_PARTIAL ? ", pattern partly supported" : "",
	       fl & CS_IND_WARNLISTED ? ", WARNINGLISTED (a likely false positive)" : "");
	if (cs_indicator_confidence(ind) >= 0)
		printf("  confidence: %d\n", cs_indicator_confidence(ind));
	if (cs_indicator_valid_from(ind) || cs_indicator_valid_until(ind)) {
		printf("  valid:      %s", cli_time(cs_indicator_valid_from(ind), t, sizeof(t)));
		printf(" .. %s\n", cli_time(cs_indicator_valid_until(ind), t, sizeof(t)));
	}
	if (ver)
		printf("  since:      intel version %lld\n", (long long)ver);
	for (i = 0; i < cs_indicator_label_count(ind); i++)
		printf("  label:      %s\n", cli_safe(cs_indicator_label(in, ind, i)));
	for (i = 0; i < cs_indicator_warninglist_count(ind); i++)
		printf("  warninglist: %s\n", cli_safe(cs_indicator_warninglist(in, ind, i)));
	for (i = 0; i < cs_indicator_term_count(ind); i++) {
		const char *v;
		enum cs_kind k = cs_indicator_term(ind, i, &v);

		printf("  term:       [observation %u] %s %s\n",
		       cs_indicator_term_observation(ind, i) + 1, cs_kind_name(k), cli_safe(v));
	}
	for (i = 0; i < cs_indicator_source_count(ind); i++) {
		struct cs_source_info si;

		cs_indicator_source(in, ind, i, &si);
		printf("  source:     %s", si.file ? cli_safe(si.file) : "-");
		if (si.line)
			printf(":%llu", (unsigned long long)si.line);
		if (si.format)
			printf(" (%s)", cli_safe(si.format));
		if (si.ref)
			printf(" %s", cli_safe(si.ref));
		if (si.description)
			printf(" \"%s\"", cli_safe(si.description));
		printf("\n");
	}
}

/* Look a raw value up under the given kind, or under every kind it could
 * be (hash, domain, address, URL, e-mail, file name, rule name). */
struct show_args {
	int kind;
	struct cli_list pos;
};

#define SHA(f) offsetof(struct show_args, f)
static const struct cli_opt show_opts[] = {
        {.name = "kind", .kind = CLI_OPT_FUNC, .off = SHA(kind), .arg = "KIND", .parse = opt_kind,
         .help = "read VALUE as this kind (default: every kind it can be)"},
        {.name = NULL},
};

static int show_run(void *p, struct cli_global *g);

const struct cli_command cli_cmd_intel_show = {
        .name = "intel show",
        .summary = "one indicator with its sources, labels and warninglists",
        .description = "One indicator with its sources, labels, validity, confidence and\n"
                       "warninglists. VALUE is normalised as import does (defanged is fine; one\n"
                       "that starts with '-' goes after --).",
        .pos_name = "VALUE",
        .pos_off = SHA(pos),
        .min_pos = 1,
        .max_pos = 1,
        .opts = show_opts,
        .exit_status = "1 when found, 0 when not, 2 on error (as grep).",
        .run = show_run,
        .args_size = sizeof(struct show_args),
};

static int show_run(void *p, struct cli_global *g)
{
	static const enum cs_kind guesses[] = {
	        CS_KIND_HASH_AUTO,   CS_KIND_DOMAIN,         CS_KIND_IPV4,
	        CS_KIND_IPV6,        CS_KIND_CIDR,           CS_KIND_URL,
	        CS_KIND_EMAIL,       CS_KIND_FILENAME,       CS_KIND_YARA_RULE,
	        CS_KIND_PATH_REGEX,  CS_KIND_FILENAME_REGEX, CS_KIND_PRODUCT_VERSION,
	        CS_KIND_CERT_SERIAL, CS_KIND_COMPOUND,
	};
	struct show_args *A = p;
	enum cs_kind kind = (enum cs_kind)A->kind;
	const char *value = A->pos.v[0];
	struct cs_store *st;
	struct cs_intel *in;
	int found = 0;
	size_t i;

	st = cli_open_store_ro(g);
	if (!st)
		return CS_EXIT_ERROR;
	in = cli_load_intel(st);
	if (!in) {
		cs_store_close(st);
		return CS_EXIT_ERROR;
	}
	for (i = 0; i < (kind ? 1 : sizeof(guesses) / sizeof(guesses[0])); i++) {
		enum cs_kind k = kind ? kind : guesses[i], nk;
		const struct cs_indicator *ind;
		char *norm = NULL;

		if (cs_normalize_value(k, value, &norm, &nk))
			continue;
		ind = cs_intel_find(in, nk, norm);
		free(norm);
		if (!ind)
			continue;
		found++;
		if (g->json) {
			json_t *o = cli_indicator_json(in, ind, 1);

			json_object_set_new(o, "record", json_string("indicator"));
			json_object_set_new(o, "intel_version",
			                    json_integer(cs_store_indicator_version(
			                            st, nk, cs_indicator_value(ind))));
			cli_json_print(o);
		} else {
			show_text(in, ind,
			          cs_store_indicator_version(st, nk, cs_indicator_value(ind)));
		}
	}
	if (!found && !g->json)
		printf("no indicator matches '%s'\n", cli_safe(value));
	cs_intel_free(in);
	cs_store_close(st);
	return found ? CS_EXIT_FOUND : CS_EXIT_OK;
}

/*
 * chainsweep scan files
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/resource.h>

#include "chainsweep/scan.h"
#include "cli.h"

#define SCAN_DIAGS_SHOWN 50 /* problems printed without --verbose */

struct scan_state {
	const struct cli_global *g;
	struct cs_store *st; /* inventory writes, or NULL */
	int inv_failed;
	const struct cs_intel *intel;
	unsigned diags_shown;
	uint64_t diags_hidden;
	int progress; /* a progress line is on the terminal */
	struct cli_text esc;
	struct cli_recorder *rec; /* findings recorded in the case, or NULL */
};

static void clear_progress(struct scan_state *ss)
{
	if (ss->progress) {
		fputs("\r\033[K", stderr);
		ss->progress = 0;
	}
}

static void on_scan_diag(void *ud, const struct cs_diag *d)
{
	struct scan_state *ss = ud;

	if (ss->g->quiet && d->severity < CS_SEV_ERROR)
		return;
	if (!ss->g->verbose && ss->diags_shown >= SCAN_DIAGS_SHOWN) {
		ss->diags_hidden++;
		return;
	}
	ss->diags_shown++;
	clear_progress(ss);
	fprintf(stderr, "%s", d->file ? cli_escape(&ss->esc, d->file) : "-");
	if (d->line)
		fprintf(stderr, ":%llu", (unsigned long long)d->line);
	fprintf(stderr, ": %s: %s\n",
	        d->severity == CS_SEV_ERROR  ? "error"
	        : d->severity == CS_SEV_INFO ? "note"
	                                     : "warning",
	        cli_safe(d->message));
}

static void on_progress(void *ud, const struct cs_scan_progress *p)
{
	struct scan_state *ss = ud;

	fprintf(stderr, "\r\033[K%llu files, %.1f MB, %.1f MB/s, %.0f s",
	        (unsigned long long)p->files, (double)p->bytes / 1e6,
	        p->seconds > 0 ? (double)p->bytes / 1e6 / p->seconds : 0.0, p->seconds);
	ss->progress = 1;
}

static void first_source(const struct cs_intel *in, const struct cs_indicator *ind, char *buf,
                         size_t len)
{
	struct cs_source_info si;
	size_t n = cs_indicator_source_count(ind);

	buf[0] = '\0';
	if (!n)
		return;
	cs_indicator_source(in, ind, 0, &si);
	if (si.line)
		snprintf(buf, len, "%s:%llu", si.file ? si.file : "?", (unsigned long long)si.line);
	else
		snprintf(buf, len, "%s", si.file ? si.file : (si.ref ? si.ref : "?"));
	if (n > 1) {
		size_t l = strlen(buf);

		snprintf(buf + l, len - l, " (+%zu more)", n - 1);
	}
}

static json_t *finding_json(struct scan_state *ss, const struct cs_file_finding *f)
{
	json_t *o = json_object(), *file = json_object();
	char t[32];
	size_t i;

	json_object_set_new(o, "record", json_string("finding"));
	json_object_set_new(o, "evidence", json_string(cs_evidence_name(f->evidence)));
	json_object_set_new(o, "matched", json_string(cli_escape(&ss->esc, f->matched)));
	json_object_set_new(file, "path", json_string(cli_escape_path(&ss->esc, f->path)));
	json_object_set_new(file, "member_depth", json_integer(f->member_depth));
	json_object_set_new(file, "size", json_integer((json_int_t)f->size));
	if (f->mtime)
		json_object_set_new(file, "mtime", json_string(cli_time(f->mtime, t, sizeof(t))));
	if (f->ctime)
		json_object_set_new(file, "ctime", json_string(cli_time(f->ctime, t, sizeof(t))));
	if (f->inode)
		json_object_set_new(file, "inode", json_integer((json_int_t)f->inode));
	if (f->md5)
		json_object_set_new(file, "md5", json_string(f->md5));
	if (f->sha1)
		json_object_set_new(file, "sha1", json_string(f->sha1));
	if (f->sha256)
		json_object_set_new(file, "sha256", json_string(f->sha256));
	if (f->sha512)
		json_object_set_new(file, "sha512", json_string(f->sha512));
	if (f->partial)
		json_object_set_new(file, "partial", json_true());
	json_object_set_new(o, "file", file);
	if (f->evidence == CS_EV_YARA) {
		json_t *y = json_object(), *strs = json_array();

		json_object_set_new(y, "rule", json_string(f->matched));
		if (f->yara_namespace)
			json_object_set_new(y, "file", json_string(f->yara_namespace));
		for (i = 0; i < f->nstrings; i++) {
			const struct cs_yara_match *m = &f->strings[i];
			char hex[2 * CS_YARA_EVIDENCE_MAX + 1];
			size_t k;

			for (k = 0; k < m->data_len; k++)
				snprintf(hex + 2 * k, 3, "%02x", m->data[k]);
			hex[2 * m->data_len] = '\0';
			json_array_append_new(strs,
			                      json_pack("{s:s, s:I, s:I, s:s}", "id", m->id,
			                                "offset", (json_int_t)m->offset, "length",
			                                (json_int_t)m->len, "data_hex", hex));
		}
		json_object_set_new(y, "strings", strs);
		json_object_set_new(o, "yara", y);
	}
	if (f->indicator)
		json_object_set_new(o, "indicator", cli_indicator_json(ss->intel, f->indicator, 1));
	return o;
}

static int on_finding(void *ud, const struct cs_file_finding *f)
{
	struct scan_state *ss = ud;
	const struct cs_indicator *ind = f->indicator;
	char src[512];
	size_t i, n;

	if (ss->rec && cli_record_file(ss->rec, f))
		return CS_ERR_NOMEM;
	if (ss->g->json) {
		cli_json_print(finding_json(ss, f));
		fflush(stdout);
		return 0;
	}
	clear_progress(ss);
	printf("FOUND %s %s", cs_evidence_name(f->evidence), cli_escape_path(&ss->esc, f->path));
	if (ind)
		printf("  %s %s", cs_kind_name(cs_indicator_kind(ind)),
		       cli_escape(&ss->esc, cs_indicator_value(ind)));
	else
		printf("  %s", cli_escape(&ss->esc, f->matched));
	n = ind ? cs_indicator_label_count(ind) : 0;
	for (i = 0; i < n; i++)
		printf("%s%s", i ? ", " : "  [", cli_safe(cs_indicator_label(ss->intel, ind, i)));
	if (n)
		putchar(']');
	if (ind && (cs_indicator_flags(ind) & CS_IND_WARNLISTED))
		printf("  (warninglisted)");
	if (ind) {
		first_source(ss->intel, ind, src, sizeof(src));
		if (src[0])
			printf("  from %s", cli_escape(&ss->esc, src));
	}
	putchar('\n');
	for (i = 0; i < f->nstrings; i++)
		printf("    %s at %llu (%llu bytes)\n", cli_safe(f->strings[i].id),
		       (unsigned long long)f->strings[i].offset,
		       (unsigned long long)f->strings[i].len);
	if (f->partial)
		printf("    (the file changed while it was read)\n");
	fflush(stdout);
	return 0;
}

static int on_file(void *ud, const struct cs_file_record *r)
{
	struct scan_state *ss = ud;

	if (!ss->st || ss->inv_failed)
		return 0;
	if (cs_store_inventory_put(ss->st, r)) {
		/* The sweep matters more than its inventory: say so, go on. */
		clear_progress(ss);
		cli_err("inventory not recorded: %s", cs_store_errmsg(ss->st));
		ss->inv_failed = 1;
	}
	return 0;
}

static void summary_text(const struct cs_scan_result *r, const struct cs_matcher_info *mi)
{
	int i, any = 0;

	fprintf(stderr,
	        "swept %llu files (%llu read to the end, %llu unchanged since the last sweep, "
	        "%.1f MB, %llu archive members) in %.1f s with %zu hash, %zu name, %zu regex "
	        "indicators and %zu YARA rules: %llu finding%s\n",
	        (unsigned long long)r->count[CS_COV_FILES],
	        (unsigned long long)r->count[CS_COV_SCANNED],
	        (unsigned long long)r->count[CS_COV_UNCHANGED],
	        (double)r->count[CS_COV_BYTES] / 1e6, (unsigned long long)r->count[CS_COV_MEMBERS],
	        r->seconds, mi->hashes, mi->names, mi->regexes, mi->yara_rules,
	        (unsigned long long)r->findings, r->findings == 1 ? "" : "s");
	for (i = CS_COV_SKIP_SYMLINK; i < CS_COV_NREASONS; i++) {
		if (!r->count[i] || i == CS_COV_UNCHANGED)
			continue;
		fprintf(stderr, "%s%s %llu%s", any ? ", " : "  not swept or not fully: ",
		        cs_scan_reason_name((enum cs_scan_reason)i),
		        (unsigned long long)r->count[i],
		        cs_scan_reason_gap((enum cs_scan_reason)i) ? "*" : "");
		any = 1;
	}
	if (any)
		fputc('\n', stderr);
	if (mi->compounds || mi->compounds_bad)
		fprintf(stderr, "  compound indicators: %zu matched on files, %zu left out (a term no "
		                "file decides)\n",
		        mi->compounds, mi->compounds_bad);
	if (r->incomplete)
		fputs("  INCOMPLETE: the reasons marked * left something unswept\n", stderr);
}

static json_t *summary_json(const struct cs_scan_result *r, const struct cs_matcher_info *mi)
{
	json_t *o = json_object(), *cov = json_object();
	int i;

	json_object_set_new(o, "record", json_string("summary"));
	for (i = 0; i < CS_COV_NREASONS; i++)
		json_object_set_new(cov, cs_scan_reason_name((enum cs_scan_reason)i),
		                    json_integer((json_int_t)r->count[i]));
	json_object_set_new(o, "coverage", cov);
	json_object_set_new(o, "findings", json_integer((json_int_t)r->findings));
	json_object_set_new(o, "seconds", json_real(r->seconds));
	json_object_set_new(o, "incomplete", json_boolean(r->incomplete));
	json_object_set_new(o, "indicators",
	                    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "hashes",
	                              (json_int_t)mi->hashes, "names", (json_int_t)mi->names,
	                              "regexes", (json_int_t)mi->regexes, "regexes_left_out",
	                              (json_int_t)mi->regexes_bad, "yara_rules",
	                              (json_int_t)mi->yara_rules, "compounds",
	                              (json_int_t)mi->compounds, "compounds_left_out",
	                              (json_int_t)mi->compounds_bad));
	json_object_set_new(o, "yara_variants",
	                    json_pack("{s:I, s:I, s:I, s:I}", "gated_rules",
	                              (json_int_t)mi->yara_gated, "variants",
	                              (json_int_t)mi->yara_variants, "failed",
	                              (json_int_t)mi->yara_variants_failed, "files",
	                              (json_int_t)mi->yara_files_split));
	return o;
}

/* The coverage kept with the sweep row of a recorded `scan files`, in
 * the shape `sweep` records (docs/case-database.md). */
static json_t *coverage_json(const struct cs_scan_result *r, int from_inventory)
{
	json_t *gaps = json_object(), *o;
	int i;

	for (i = 0; i < CS_COV_NREASONS; i++)
		if (r->count[i] && cs_scan_reason_gap((enum cs_scan_reason)i))
			json_object_set_new(gaps, cs_scan_reason_name((enum cs_scan_reason)i),
			                    json_integer((json_int_t)r->count[i]));
	o = json_pack("{s:I, s:I, s:I, s:o}", "files", (json_int_t)r->count[CS_COV_FILES],
	              "files_read", (json_int_t)(from_inventory ? 0 : r->count[CS_COV_SCANNED]),
	              "unchanged", (json_int_t)r->count[CS_COV_UNCHANGED], "gaps", gaps);
	if (o && (r->count[CS_COV_INTERRUPTED] || r->count[CS_COV_TIME_LIMIT]))
		json_object_set_new(o, "stopped",
		                    json_string(r->count[CS_COV_INTERRUPTED] ? "interrupted"
		                                                             : "time-limit"));
	return o;
}

static int files_usage(FILE *f)
{
	fputs("usage: chainsweep scan files [options] PATH...\n"
	      "\n"
	      "Sweep files and folders for the hashes, file names, path regexes and YARA\n"
	      "rules of the case database's intel (or of --intel files), archives included.\n"
	      "\n"
	      "  --intel FILE|DIR     use this intel instead of the case database (repeatable)\n"
	      "  --threads N          scanner threads (default: one per core)\n"
	      "  --all-filesystems    enter other mounted filesystems (pseudo ones never)\n"
	      "  --keep-cache         leave what was read in the page cache\n"
	      "  --max-size SIZE      skip files larger than SIZE (e.g. 500M)\n"
	      "  --yara-max-size SIZE YARA-scan objects up to SIZE (default 256M)\n"
	      "  --yara-timeout S     seconds per object (default 60)\n"
	      "  --max-rate MBPS      read at most MBPS megabytes per second\n"
	      "  --max-runtime S      stop after S seconds (the sweep is then incomplete)\n"
	      "  --include GLOB       only files matching (repeatable; a glob without '/'\n"
	      "                       matches the base name, with '/' the whole path)\n"
	      "  --exclude GLOB       skip files and folders matching (repeatable)\n"
	      "  --no-archives        do not open archives\n"
	      "  --host NAME          the host the inventory is kept for (default: this\n"
	      "                       host's name)\n"
	      "  --no-inventory       neither use nor record the file inventory\n"
	      "  --no-record          do not record the findings in the case database\n"
	      "                       (by default they are, under a sweep row of --host,\n"
	      "                       as 'sweep' does; with --intel a missing case is\n"
	      "                       created)\n"
	      "  --rescan             read every file, even those the inventory knows\n"
	      "  --from-inventory     read no file: match the intel against the host's\n"
	      "                       inventory (hashes, names; YARA results recorded with\n"
	      "                       the same rules); no PATH is given\n"
	      "  --archive-depth N    nesting levels opened (default 4)\n"
	      "  --archive-max-bytes SIZE   expanded bytes per file on disk (default 1G)\n"
	      "  --archive-max-ratio N      expansion ratio cap (default 200)\n"
	      "  --archive-max-members N    members per archive (default 100000)\n"
	      "  --json               JSON Lines: one finding per line, then a summary\n"
	      "\n"
	      "exit status: 0 nothing found and everything swept, 1 findings, 2 error,\n"
	      "3 nothing found but the sweep was incomplete (see the summary).\n",
	      f);
	return CS_EXIT_ERROR;
}

/* Room for the many file descriptors of a deep tree and the queue. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int cmd_files(int argc, char **argv, struct cli_global *g)
{
	struct cs_scan_opts o;
	struct cs_scan_result res;
	int left_behind = 0; /* res.abandoned */
	struct cs_matcher_info mi;
	struct scan_state ss;
	struct cs_matcher *m = NULL;
	struct cs_intel *in = NULL;
	struct cs_store *st = NULL;
	const char **inc = NULL, **exc = NULL, **roots = NULL;
	char **intel_files = NULL;
	size_t ninc = 0, nexc = 0, nroots = 0, nintel = 0;
	uint64_t v;
	int i, r, rc, exit_code = CS_EXIT_ERROR;
	int no_inventory = 0, rescan = 0, from_inventory = 0, no_record = 0;
	const char *host = NULL;
	char hostbuf[256], digest[80];
	struct cs_inventory *inv = NULL;
	struct cli_gaps bad;
	int intel_gap;

	cs_scan_opts_init(&o);
	memset(&ss, 0, sizeof(ss));
	memset(&bad, 0, sizeof(bad));
	ss.g = g;
	inc = calloc((size_t)argc, sizeof(*inc));
	exc = calloc((size_t)argc, sizeof(*exc));
	roots = calloc((size_t)argc, sizeof(*roots));
	intel_files = calloc((size_t)argc, sizeof(*intel_files));
	if (!inc || !exc || !roots || !intel_files) {
		cli_err("out of memory");
		goto out;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		int takes = 1;

		r = cli_global_opt(g, argc, argv, &i);
		if (r < 0)
			goto out;
		if (r > 0)
			continue;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			files_usage(stdout);
			exit_code = CS_EXIT_OK;
			goto out;
		} else if (strcmp(a, "--all-filesystems") == 0) {
			o.one_filesystem = 0;
			takes = 0;
		} else if (strcmp(a, "--keep-cache") == 0) {
			o.keep_cache = 1;
			takes = 0;
		} else if (strcmp(a, "--no-archives") == 0) {
			o.no_archives = 1;
			takes = 0;
		} else if (strcmp(a, "--no-inventory") == 0) {
			no_inventory = 1;
			takes = 0;
		} else if (strcmp(a, "--rescan") == 0) {
			rescan = 1;
			takes = 0;
		} else if (strcmp(a, "--from-inventory") == 0) {
			from_inventory = 1;
			takes = 0;
		} else if (strcmp(a, "--no-record") == 0) {
			no_record = 1;
			takes = 0;
		} else if (strcmp(a, "--host") == 0 && val) {
			host = val;
		} else if (a[0] == '-' && a[1] == '-' && !val) {
			cli_err("%s needs a value (or is unknown)", a);
			goto out;
		} else if (strcmp(a, "--intel") == 0) {
			intel_files[nintel++] = argv[i + 1];
		} else if (strcmp(a, "--threads") == 0) {
			if (cli_opt_uint(a, val, 1, 256, &v))
				goto out;
			o.threads = (unsigned)v;
		} else if (strcmp(a, "--max-size") == 0) {
			if (cli_opt_size(a, val, 0, UINT64_MAX, &o.max_size))
				goto out;
		} else if (strcmp(a, "--yara-max-size") == 0) {
			if (cli_opt_size(a, val, 1, UINT64_MAX, &o.yara_max_size))
				goto out;
		} else if (strcmp(a, "--archive-max-bytes") == 0) {
			if (cli_opt_size(a, val, 1, UINT64_MAX, &o.archive_max_bytes))
				goto out;
		} else if (strcmp(a, "--archive-max-ratio") == 0) {
			if (cli_opt_size(a, val, 1, UINT64_MAX, &o.archive_max_ratio))
				goto out;
		} else if (strcmp(a, "--archive-max-members") == 0) {
			if (cli_opt_size(a, val, 1, UINT64_MAX, &o.archive_max_members))
				goto out;
		} else if (strcmp(a, "--archive-depth") == 0) {
			if (cli_opt_uint(a, val, 1, 64, &v))
				goto out;
			o.archive_depth = (unsigned)v;
		} else if (strcmp(a, "--yara-timeout") == 0) {
			if (cli_opt_uint(a, val, 1, 86400, &v))
				goto out;
			o.yara_timeout = (int)v;
		} else if (strcmp(a, "--max-rate") == 0 || strcmp(a, "--max-runtime") == 0) {
			double d;

			if (cli_opt_positive(a, val, 1e12, &d))
				goto out;
			if (strcmp(a, "--max-rate") == 0)
				o.max_rate = d;
			else
				o.max_runtime = d;
		} else if (strcmp(a, "--include") == 0) {
			inc[ninc++] = val;
		} else if (strcmp(a, "--exclude") == 0) {
			exc[nexc++] = val;
		} else if (a[0] == '-' && a[1]) {
			cli_err("unknown option '%s'", a);
			files_usage(stderr);
			goto out;
		} else {
			roots[nroots++] = a;
			takes = 0;
		}
		if (takes)
			i++;
	}
	if (from_inventory ? nroots != 0 || no_inventory : !nroots) {
		if (from_inventory)
			cli_err("--from-inventory reads no PATH, and needs the inventory");
		files_usage(stderr);
		goto out;
	}
	if (!host)
		host = cli_this_host(hostbuf, sizeof(hostbuf));
	if (!nintel || !no_inventory || !no_record) {
		/* With --intel this is a sweep, which may start a case. */
		st = nintel ? cli_create_store(g) : cli_open_store(g);
		if (!st)
			goto out;
	}
	in = cli_sweep_intel(intel_files, nintel, g, &st, &bad, 1);
	if (!in)
		goto out;
	cli_print_intel_gaps(&bad, g);
	ss.intel = in;
	if (!no_record) {
		ss.rec = cli_recorder_new(g, in, host);
		if (!ss.rec) {
			cli_err("out of memory");
			goto out;
		}
	}
	rc = cli_matcher_new(in, g, on_scan_diag, &ss, &bad, &m);
	if (rc) {
		cli_err("cannot compile the intel: %s", cs_strerror(rc));
		goto out;
	}
	cs_matcher_info(m, &mi);
	if (!mi.hashes && !mi.names && !mi.regexes && !mi.yara_rules && !mi.compounds)
		fprintf(stderr, "chainsweep: warning: the intel holds nothing a file sweep can "
		                "match (import hashes, file names or YARA rules first)\n");
	if (!no_inventory) {
		inv = cs_inventory_new();
		if (!inv) {
			cli_err("out of memory");
			goto out;
		}
		rc = cs_store_inventory_load(st, host, inv, digest, sizeof(digest));
		if (rc) {
			cli_err("cannot load the inventory: %s", cs_store_errmsg(st));
			goto out;
		}
		o.known_yara_valid = strcmp(digest, cs_matcher_yara_digest(m)) == 0;
		if (!rescan)
			o.known = inv;
	}
	raise_fd_limit();
	cli_catch_signals();
	o.interrupt = &cli_interrupted;
	o.include = inc;
	o.ninclude = ninc;
	o.exclude = exc;
	o.nexclude = nexc;
	o.on_finding = on_finding;
	o.on_diag = on_scan_diag;
	o.userdata = &ss;
	if (!g->quiet && !g->json && isatty(STDERR_FILENO))
		o.on_progress = on_progress;
	if (from_inventory) {
		if (!cs_inventory_count(inv)) {
			cli_err("no inventory for host '%s' in the case database: sweep it first",
			        host);
			goto out;
		}
		rc = cs_scan_inventory(m, inv, &o, &res);
	} else {
		if (!no_inventory) {
			if (cs_store_inventory_begin(st, host)) {
				cli_err("inventory not recorded: %s", cs_store_errmsg(st));
			} else {
				ss.st = st;
				o.on_file = on_file;
			}
		}
		rc = cs_scan_files(m, roots, nroots, &o, &res);
		left_behind = res.abandoned;
		if (ss.st &&
		    cs_store_inventory_end(st, !rc && !ss.inv_failed, cs_matcher_yara_digest(m)))
			cli_err("inventory not recorded: %s", cs_store_errmsg(st));
		ss.st = NULL;
	}
	clear_progress(&ss);
	if (rc) {
		cli_err("sweep stopped: %s", cs_strerror(rc));
		goto out;
	}
	if (ss.diags_hidden)
		fprintf(stderr, "chainsweep: %llu more problems not shown (use --verbose)\n",
		        (unsigned long long)ss.diags_hidden);
	cs_matcher_info(m, &mi); /* variants are built during the sweep */
	intel_gap = bad.n != 0;
	if (ss.rec) {
		json_t *cov = coverage_json(&res, from_inventory);

		/* The answer below stands even when the case cannot be written;
		 * the failure is said. */
		if (!cov || cli_recorder_save(ss.rec, st, from_inventory ? "files,inventory" : "files",
		                              cov, res.incomplete || intel_gap))
			fputs("chainsweep: warning: the findings above were not recorded in the case "
			      "(--no-record to skip)\n",
			      stderr);
		json_decref(cov);
	}
	if (g->json) {
		json_t *sj = summary_json(&res, &mi);

		json_object_set_new(sj, "intel_unusable", cli_gaps_json(&bad));
		if (intel_gap)
			json_object_set_new(sj, "incomplete", json_true());
		cli_json_print(sj);
	} else if (!g->quiet || res.incomplete || intel_gap) {
		summary_text(&res, &mi);
		if (intel_gap)
			fputs("  INCOMPLETE: some intel could not be used (listed above)\n", stderr);
	}
	exit_code = res.findings                  ? CS_EXIT_FOUND
	            : res.incomplete || intel_gap ? CS_EXIT_INCOMPLETE
	                                          : CS_EXIT_OK;
out:
	/* A worker left running inside libyara still uses these: they
	 * stay until the process exits. */
	if (!left_behind) {
		cs_matcher_free(m);
		cs_inventory_free(inv);
		cs_intel_free(in);
	}
	cs_store_close(st);
	free(inc);
	free(exc);
	free(roots);
	free(intel_files);
	cli_gaps_release(&bad);
	cli_recorder_free(ss.rec);
	cli_text_release(&ss.esc);
	return exit_code;
}

int cmd_scan(int argc, char **argv, struct cli_global *g)
{
	if (argc >= 2 && strcmp(argv[1], "files") == 0)
		return cmd_files(argc - 1, argv + 1, g);
	if (argc >= 2 && strcmp(argv[1], "logs") == 0)
		return cmd_logs(argc - 1, argv + 1, g);
	if (argc >= 2 && strcmp(argv[1], "software") == 0)
		return cmd_scan_software(argc - 1, argv + 1, g);
	if (argc >= 2 && strcmp(argv[1], "processes") == 0)
		return cmd_scan_processes(argc - 1, argv + 1, g);
	cli_err("usage: chainsweep scan files|logs [options] PATH...\n"
	        "       chainsweep scan processes [options]\n"
	        "       chainsweep scan software [--root DIR] [--osv FILE|DIR]... ...");
	return CS_EXIT_ERROR;
}

/*
 * chainsweep scan software
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chainsweep/software.h"
#include "cli.h"
#include "opts.h"

#define SW_DIAGS_SHOWN 50 /* problems printed without --verbose */

struct sw_state {
	const struct cli_global *g;
	const struct cs_intel *intel;
	unsigned diags_shown;
	uint64_t diags_hidden;
	uint64_t case_records; /* OSV records read from the case database */
	struct cli_text esc, esc2;
};

static void on_sw_diag(void *ud, const struct cs_diag *d)
{
	struct sw_state *ss = ud;
	char pos[64] = "";

	if (ss->g->quiet && d->severity < CS_SEV_WARN)
		return;
	if (d->severity == CS_SEV_INFO && !ss->g->verbose)
		return;
	if (!ss->g->verbose && ss->diags_shown >= SW_DIAGS_SHOWN) {
		ss->diags_hidden++;
		return;
	}
	ss->diags_shown++;
	if (d->line && d->column)
		snprintf(pos, sizeof(pos), ":%llu:%llu", (unsigned long long)d->line,
		         (unsigned long long)d->column);
	else if (d->line)
		snprintf(pos, sizeof(pos), ":%llu", (unsigned long long)d->line);
	fprintf(stderr, "%s%s: %s: %s\n", d->file ? cli_escape(&ss->esc, d->file) : "-", pos,
	        d->severity == CS_SEV_ERROR  ? "error"
	        : d->severity == CS_SEV_WARN ? "warning"
	                                     : "note",
	        cli_escape(&ss->esc2, d->message));
}

static const char *time_source(enum cs_time_source s)
{
	return s == CS_TIME_RECORDED      ? "recorded"
	       : s == CS_TIME_FILE_MTIME  ? "file-mtime"
	       : s == CS_TIME_PACKAGE_LOG ? "package-log"
	                                  : "";
}

static json_t *package_json(struct sw_state *ss, const struct cs_package *p)
{
	json_t *o = json_object();
	char t[32];

	json_object_set_new(o, "ecosystem", json_string(cs_ecosystem_name(p->ecosystem)));
	json_object_set_new(o, "name", json_string(cli_escape(&ss->esc, p->name)));
	json_object_set_new(o, "version", json_string(cli_escape(&ss->esc, p->version)));
	if (p->platform)
		json_object_set_new(o, "platform", json_string(p->platform));
	if (p->vendor)
		json_object_set_new(o, "vendor", json_string(cli_escape(&ss->esc, p->vendor)));
	if (p->purl)
		json_object_set_new(o, "purl", json_string(cli_escape(&ss->esc, p->purl)));
	json_object_set_new(o, "file", json_string(cli_escape(&ss->esc, p->file)));
	if (p->entry)
		json_object_set_new(o, "entry", json_string(cli_escape(&ss->esc, p->entry)));
	if (p->line)
		json_object_set_new(o, "line", json_integer((json_int_t)p->line));
	json_object_set_new(o, "reader", json_string(p->reader));
	if (p->install_time) {
		json_object_set_new(o, "install_time",
		                    json_string(cli_time(p->install_time, t, sizeof(t))));
		json_object_set_new(o, "install_time_source",
		                    json_string(time_source(p->install_time_source)));
	}
	return o;
}

static int on_sw_finding(void *ud, const struct cs_software_finding *f)
{
	struct sw_state *ss = ud;
	const struct cs_package *p = f->pkg;
	char t[32], t2[32];
	size_t i, n;

	if (ss->g->json) {
		json_t *o = json_object();

		json_object_set_new(o, "record", json_string("finding"));
		json_object_set_new(o, "id", json_string(cli_escape(&ss->esc, f->id)));
		json_object_set_new(o, "affected", json_string(cli_escape(&ss->esc, f->affected)));
		json_object_set_new(o, "indeterminate", json_boolean(f->indeterminate));
		json_object_set_new(o, "malicious", json_boolean(f->malicious));
		if (f->ecosystem)
			json_object_set_new(o, "advisory_ecosystem",
			                    json_string(cli_escape(&ss->esc, f->ecosystem)));
		if (f->summary)
			json_object_set_new(o, "summary",
			                    json_string(cli_escape(&ss->esc, f->summary)));
		if (f->aliases)
			json_object_set_new(o, "aliases",
			                    json_string(cli_escape(&ss->esc, f->aliases)));
		json_object_set_new(o, "package", package_json(ss, p));
		if (f->indicator)
			json_object_set_new(o, "indicator",
			                    cli_indicator_json(ss->intel, f->indicator, 1));
		cli_json_print(o);
		fflush(stdout);
		return 0;
	}
	printf("%s %s %s", f->indeterminate ? "INDETERMINATE" : "FOUND",
	       cli_escape(&ss->esc, p->name), cli_escape(&ss->esc2, p->version));
	printf(" [%s%s%s]", cs_ecosystem_name(p->ecosystem), p->platform ? ", " : "",
	       p->platform ? cli_safe(p->platform) : "");
	printf("  %s", cli_escape(&ss->esc, p->file));
	if (p->entry)
		printf(" (%s)", cli_escape(&ss->esc, p->entry));
	putchar('\n');
	printf("    %s%s: %s", f->malicious ? "MALICIOUS " : "",
	       f->indicator ? "product-version" : "advisory", cli_escape(&ss->esc, f->id));
	printf("  affected: %s", cli_escape(&ss->esc, f->affected));
	n = f->indicator ? cs_indicator_label_count(f->indicator) : 0;
	for (i = 0; i < n; i++)
		printf("%s%s", i ? ", " : "  [",
		       cli_safe(cs_indicator_label(ss->intel, f->indicator, i)));
	if (n)
		putchar(']');
	if (f->valid_from || f->valid_until)
		printf("  window %s .. %s",
		       f->valid_from ? cli_time(f->valid_from, t, sizeof(t)) : "",
		       f->valid_until ? cli_time(f->valid_until, t2, sizeof(t2)) : "");
	putchar('\n');
	if (f->summary || f->aliases)
		printf("    %s%s%s\n", f->summary ? cli_escape(&ss->esc, f->summary) : "",
		       f->summary && f->aliases ? "  " : "",
		       f->aliases ? cli_escape(&ss->esc2, f->aliases) : "");
	if (p->install_time)
		printf("    installed %s  (%s)\n", cli_time(p->install_time, t, sizeof(t)),
		       p->install_time_source == CS_TIME_RECORDED ? "recorded by the package source"
		       : p->install_time_source == CS_TIME_PACKAGE_LOG
		               ? "this version, from the package log; host local time read as UTC"
		               : "modification time of the file read, not an install record");
	fflush(stdout);
	return 0;
}

static void summary_text(const struct cs_pkgset *ps, const struct cs_advisory_info *ai,
                         const struct cs_software_result *r, uint64_t case_records)
{
	char from_case[80] = "";
	int i, any = 0;

	if (case_records)
		snprintf(from_case, sizeof(from_case), ", %llu of them from the case database",
		         (unsigned long long)case_records);
	fprintf(stderr,
	        "read %llu packages from %llu files (%llu folders walked) against %llu OSV "
	        "records%s (%llu withdrawn, %llu malicious-package, %llu naming nothing installed) "
	        "and %llu product-version indicators: %llu finding%s (%llu indeterminate)\n",
	        (unsigned long long)cs_pkgset_counter(ps, CS_PKG_PACKAGES),
	        (unsigned long long)cs_pkgset_counter(ps, CS_PKG_FILES),
	        (unsigned long long)cs_pkgset_counter(ps, CS_PKG_DIRS),
	        (unsigned long long)ai->records, from_case, (unsigned long long)ai->withdrawn,
	        (unsigned long long)ai->malicious, (unsigned long long)ai->unindexed,
	        (unsigned long long)ai->products, (unsigned long long)r->findings,
	        r->findings == 1 ? "" : "s", (unsigned long long)r->indeterminate);
	for (i = CS_PKG_BROKEN; i < CS_PKG_NCOUNTS; i++) {
		uint64_t v = cs_pkgset_counter(ps, (enum cs_pkg_count)i);

		if (!v)
			continue;
		fprintf(stderr, "%s%s %llu%s", any ? ", " : "  not read or not fully: ",
		        cs_pkg_count_name((enum cs_pkg_count)i), (unsigned long long)v,
		        cs_pkg_count_gap((enum cs_pkg_count)i) ? "*" : "");
		any = 1;
	}
	if (ai->broken) {
		fprintf(stderr, "%sadvisories broken %llu*",
		        any ? ", " : "  not read or not fully: ", (unsigned long long)ai->broken);
		any = 1;
	}
	if (ai->unsupported) {
		fprintf(stderr, "%sadvisory ranges or ecosystems not supported %llu",
		        any ? ", " : "  not read or not fully: ",
		        (unsigned long long)ai->unsupported);
		any = 1;
	}
	if (any)
		fputc('\n', stderr);
}

static json_t *summary_json(const struct cs_pkgset *ps, const struct cs_advisory_info *ai,
                            const struct cs_software_result *r, int incomplete,
                            const char *host, int64_t sweep, uint64_t case_records)
{
	json_t *o = json_object(), *cov = json_object();
	int i;

	json_object_set_new(o, "record", json_string("summary"));
	for (i = 0; i < CS_PKG_NCOUNTS; i++)
		json_object_set_new(
		        cov, cs_pkg_count_name((enum cs_pkg_count)i),
		        json_integer((json_int_t)cs_pkgset_counter(ps, (enum cs_pkg_count)i)));
	json_object_set_new(o, "coverage", cov);
	json_object_set_new(
	        o, "advisories",
	        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "osv_records",
	                  (json_int_t)ai->records, "withdrawn", (json_int_t)ai->withdrawn,
	                  "malicious", (json_int_t)ai->malicious, "affected_entries",
	                  (json_int_t)ai->affected, "product_versions", (json_int_t)ai->products,
	                  "unsupported", (json_int_t)ai->unsupported, "broken",
	                  (json_int_t)ai->broken, "not_installed", (json_int_t)ai->unindexed));
	json_object_set_new(json_object_get(o, "advisories"), "osv_records_from_case",
	                    json_integer((json_int_t)case_records));
	json_object_set_new(o, "findings", json_integer((json_int_t)r->findings));
	json_object_set_new(o, "indeterminate", json_integer((json_int_t)r->indeterminate));
	json_object_set_new(o, "incomplete", json_boolean(incomplete));
	if (host)
		json_object_set_new(o, "host", json_string(host));
	if (sweep)
		json_object_set_new(o, "sweep", json_integer((json_int_t)sweep));
	return o;
}

/* The base name of the root ("hosts/ws-17/" -> "ws-17"), else this
 * host's name. */
static const char *default_host(const char *root, char *buf, size_t len)
{
	size_t n;
	char *b;

	if (!root)
		return cli_this_host(buf, len);
	snprintf(buf, len, "%s", root);
	n = strlen(buf);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	b = strrchr(buf, '/');
	return b && b[1] ? b + 1 : buf;
}

struct case_adv {
	struct cs_advisories *adv;
	uint64_t records;
	char name[512];
};

static int on_case_advisory(void *ud, const struct cs_advisory_row *row)
{
	struct case_adv *ca = ud;
	int rc;

	/* Messages name the record and the file it came from. */
	snprintf(ca->name, sizeof(ca->name), "%s (OSV %s, intel version %lld)", row->path,
	         row->id, (long long)row->version);
	rc = cs_advisories_load_osv_mem(ca->adv, ca->name, row->json, row->len);
	if (rc == CS_ERR_NOMEM)
		return rc;
	ca->records++;
	return CS_OK;
}

int cli_case_advisories(struct cs_store *st, struct cs_advisories *adv, uint64_t *records)
{
	struct case_adv ca;
	int rc;

	memset(&ca, 0, sizeof(ca));
	ca.adv = adv;
	rc = cs_store_advisories(st, on_case_advisory, &ca);
	if (records)
		*records += ca.records;
	return rc;
}

struct software_args {
	struct cli_list osv, intel, sbom, path;
	const char *root, *host;
	int no_record;
};

#define SA(f) offsetof(struct software_args, f)
static const struct cli_opt software_opts[] = {
        {.name = "root", .kind = CLI_OPT_FUNC, .off = SA(root), .arg = "DIR", .parse = cli_opt_once,
         .complete = CLI_C_DIR,
         .help = "a mounted or collected host: its package databases and every lockfile,\n"
                 "SBOM, Info.plist, Electron package.json and installed-program export\n"
                 "below DIR (given once)"},
        {.name = "path", .kind = CLI_OPT_LIST, .off = SA(path), .arg = "DIR|FILE",
         .complete = CLI_C_FILE, .help = "also walk this folder (or read this file) (repeatable)"},
        {.name = "sbom", .kind = CLI_OPT_LIST, .off = SA(sbom), .arg = "FILE",
         .complete = CLI_C_FILE,
         .help = "a CycloneDX or SPDX JSON SBOM, or any lockfile (repeatable)"},
        {.name = "osv", .kind = CLI_OPT_LIST, .off = SA(osv), .arg = "FILE|DIR",
         .complete = CLI_C_FILE,
         .help = "OSV advisories: a record, an array of records, or a folder of them\n"
                 "(repeatable), beside those imported into the case (intel import),\n"
                 "which are used without --osv too"},
        {.name = "intel", .kind = CLI_OPT_LIST, .off = SA(intel), .arg = "FILE|DIR",
         .complete = CLI_C_FILE,
         .help = "product-version indicators (and OSV advisories) from these intel files\n"
                 "instead of the case's indicators (repeatable)"},
        {.name = "host", .kind = CLI_OPT_STR, .off = SA(host), .arg = "NAME",
         .help = "the host the packages are recorded for in the case database\n"
                 "(default: the base name of --root, else this host's name)"},
        {.name = "no-record", .kind = CLI_OPT_FLAG, .off = SA(no_record),
         .help = "do not record the packages in the case database (the exposure\n"
                 "analysis reads them from there)"},
        {.name = NULL},
};

static int software_run(void *p, struct cli_global *g);

const struct cli_command cli_cmd_scan_software = {
        .name = "scan software",
        .summary = "installed packages, lockfiles, SBOMs and applications whose version an\n"
                   "OSV advisory or a product-version indicator names",
        .description =
                "Find installed packages and applications whose version an advisory (OSV) or a\n"
                "product-version indicator names. With none of --root, --sbom, --path: this\n"
                "host's package databases (dpkg, apk, rpm).",
        .opts = software_opts,
        .exit_status = "0 nothing found and everything read, 1 findings (indeterminate ones\n"
                       "too), 2 error, 3 nothing found but some input could not be read.",
        .run = software_run,
        .args_size = sizeof(struct software_args),
};

static int software_run(void *p, struct cli_global *g)
{
	struct software_args *A = p;
	struct sw_state ss;
	struct cs_pkgset *ps = NULL;
	struct cs_advisories *adv = NULL;
	struct cs_intel *in = NULL;
	struct cs_store *st = NULL;
	struct cs_advisory_info ai;
	struct cs_software_result res;
	char **osv = (char **)A->osv.v, **intel = (char **)A->intel.v, **sboms = (char **)A->sbom.v,
	     **paths = (char **)A->path.v;
	size_t nosv = A->osv.n, nintel = A->intel.n, nsbom = A->sbom.n, npath = A->path.n, k;
	const char *root = A->root, *host = A->host;
	char hostbuf[256];
	int64_t sweep = 0;
	int rc, incomplete, no_record = A->no_record, exit_code = CS_EXIT_ERROR;

	memset(&ss, 0, sizeof(ss));
	ss.g = g;
	adv = cs_advisories_new();
	ps = cs_pkgset_new();
	if (!adv || !ps) {
		cli_err("out of memory");
		goto out;
	}
	cs_advisories_set_diag(adv, on_sw_diag, &ss);
	cs_pkgset_set_diag(ps, on_sw_diag, &ss);
	/* The packages. */
	if (root) {
		rc = cs_pkgset_read_host(ps, root);
		if (rc == CS_ERR_IO) {
			cli_err("%s: cannot open the root", root);
			goto out;
		}
	} else if (!nsbom && !npath) {
		rc = cs_pkgset_read_host(ps, NULL);
	} else {
		rc = CS_OK;
	}
	for (k = 0; !rc && k < npath; k++) {
		rc = cs_pkgset_read_path(ps, paths[k]);
		if (rc == CS_ERR_IO)
			rc = CS_OK; /* reported and counted as denied */
	}
	for (k = 0; !rc && k < nsbom; k++) {
		rc = cs_pkgset_read_file(ps, sboms[k]);
		if (rc == CS_ERR_UNSUPPORTED) {
			cli_err("%s: not an SBOM, lockfile or package database chainsweep reads",
			        sboms[k]);
			goto out;
		}
		if (rc == CS_ERR_IO)
			rc = CS_OK;
	}
	if (rc) {
		cli_err("reading packages failed: %s", cs_strerror(rc));
		goto out;
	}
	/* The advisories: only records naming an installed package are kept. */
	if (cs_advisories_restrict(adv, ps)) {
		cli_err("out of memory");
		goto out;
	}
	for (k = 0; k < nosv; k++) {
		rc = cs_advisories_load_osv(adv, osv[k]);
		if (rc == CS_ERR_IO || rc == CS_ERR_NOMEM) {
			cli_err("%s: cannot read the advisories", osv[k]);
			goto out;
		}
	}
	in = cli_sweep_intel(intel, nintel, g, &st, NULL, 0);
	if (!in)
		goto out;
	ss.intel = in;
	/* The advisories imported into the case, beside any --osv files.
	 * With --intel the case is opened here only when the packages are
	 * to be recorded in it anyway. */
	if (!st && !no_record)
		st = cli_create_store(g);
	if (st && cli_case_advisories(st, adv, &ss.case_records)) {
		cli_err("cannot read the advisories of the case database: %s",
		        cs_store_errmsg(st));
		goto out;
	}
	/* OSV files given as --intel. */
	for (k = 0; k < cs_intel_advisory_count(in); k++) {
		const char *json;
		size_t len;
		const char *id = cs_intel_advisory(in, k, &json, &len);

		if (cs_advisories_load_osv_mem(adv, id, json, len) == CS_ERR_NOMEM) {
			cli_err("out of memory");
			goto out;
		}
	}
	if (cs_advisories_add_intel(adv, in)) {
		cli_err("out of memory");
		goto out;
	}
	cs_advisories_info(adv, &ai);
	if (!ai.affected && !ai.unindexed && !ai.products)
		fprintf(stderr, "chainsweep: warning: no advisory to match: import OSV advisories "
		                "or product-version indicators (intel import), or give --osv "
		                "files\n");
	rc = cs_software_match(adv, ps, on_sw_finding, &ss, &res);
	if (rc) {
		cli_err("matching failed: %s", cs_strerror(rc));
		goto out;
	}
	if (ss.diags_hidden)
		fprintf(stderr, "chainsweep: %llu more problems not shown (use --verbose)\n",
		        (unsigned long long)ss.diags_hidden);
	incomplete = cs_pkgset_incomplete(ps) || ai.broken;
	if (!no_record) {
		if (!host)
			host = default_host(root, hostbuf, sizeof(hostbuf));
		/* The answer above stands whatever happens here: a case
		 * database that cannot be written is a warning, not an error. */
		if (!st) {
			fputs("chainsweep: warning: the packages were not recorded (no case "
			      "database); --no-record to skip\n",
			      stderr);
		} else if (cs_store_sweep_begin(st, host, "software", &sweep) ||
		           cs_store_software_save(st, sweep, ps) ||
		           cs_store_sweep_end(st, sweep,
		                              incomplete ? "{\"software\":\"incomplete\"}"
		                                         : "{\"software\":\"complete\"}",
		                              incomplete)) {
			fprintf(stderr, "chainsweep: warning: the packages were not recorded: %s\n",
			        cs_store_errmsg(st));
			sweep = 0;
		} else if (g->verbose && !g->json) {
			fprintf(stderr, "recorded %zu packages for host '%s' (sweep %lld)\n",
			        cs_pkgset_count(ps), cli_escape(&ss.esc, host), (long long)sweep);
		}
	}
	if (g->json)
		cli_json_print(
		        summary_json(ps, &ai, &res, incomplete, host, sweep, ss.case_records));
	else if (!g->quiet || incomplete)
		summary_text(ps, &ai, &res, ss.case_records);
	if (incomplete && !g->json)
		fputs("  INCOMPLETE: the reasons marked * left something unread\n", stderr);
	exit_code = res.findings ? CS_EXIT_FOUND : incomplete ? CS_EXIT_INCOMPLETE : CS_EXIT_OK;
out:
	cs_pkgset_free(ps);
	cs_advisories_free(adv);
	cs_intel_free(in);
	cs_store_close(st);
	cli_text_release(&ss.esc);
	cli_text_release(&ss.esc2);
	return exit_code;
}

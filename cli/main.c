/*
 * chainsweep: entry point and command table.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "cli.h"

void cli_err(const char *fmt, ...)
{
	va_list ap;

	fputs("chainsweep: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_global_opt(struct cli_global *g, int argc, char **argv, int *i)
{
	const char *a = argv[*i];

	if (strcmp(a, "--json") == 0) {
		g->json = 1;
		return 1;
	}
	if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
		g->quiet = 1;
		return 1;
	}
	if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
		g->verbose = 1;
		return 1;
	}
	if (strcmp(a, "--no-cache") == 0) {
		g->no_cache = 1;
		return 1;
	}
	if (strcmp(a, "--no-yara-variants") == 0) {
		g->no_yara_variants = 1;
		return 1;
	}
	if (strcmp(a, "--allow-slow-rules") == 0) {
		g->allow_slow_rules = 1;
		return 1;
	}
	if (strcmp(a, "--yara-variant-bytes") == 0) {
		uint64_t v;

		if (cli_opt_size(a, *i + 1 < argc ? argv[*i + 1] : "", 1, UINT64_MAX, &v))
			return -1;
		g->yara_variant_bytes = v;
		++*i;
		return 1;
	}
	if (strcmp(a, "--db") == 0) {
		if (*i + 1 >= argc) {
			cli_err("--db needs a path");
			return -1;
		}
		g->db = argv[++*i];
		return 1;
	}
	if (strncmp(a, "--db=", 5) == 0) {
		g->db = a + 5;
		return 1;
	}
	return 0;
}

static void on_store_wait(void *ud, const char *path)
{
	static int said;
	struct cli_text t = {NULL, 0};

	(void)ud;
	if (said++)
		return;
	cli_err("%s: the case database is busy (another chainsweep is writing to it); "
	        "waiting up to %u s",
	        cli_escape(&t, path), CLI_BUSY_TIMEOUT_MS / 1000);
	cli_text_release(&t);
}

enum open_mode {
	OPEN_WRITE,  /* an existing case, to write */
	OPEN_READ,   /* an existing case, read-only (cs_store_opts.readonly) */
	OPEN_CREATE, /* created, with its folder, when missing */
};

/*
 * Open the case database. Only OPEN_CREATE makes a case where none is:
 * a mistyped --db must not become a new, empty case that answers
 * "nothing found".
 */
static struct cs_store *open_store(const struct cli_global *g, enum open_mode mode)
{
	struct cs_store_opts o;
	struct cli_text t = {NULL, 0};
	char path[4096];
	struct cs_store *st = NULL;
	struct stat sb;
	int rc;

	if (g->db) {
		snprintf(path, sizeof(path), "%s", g->db);
	} else if (cs_store_default_path(path, sizeof(path))) {
		cli_err("default database path too long; use --db");
		return NULL;
	}
	if (mode != OPEN_CREATE && stat(path, &sb) != 0) {
		cli_err("%s: no case database there (%s); only 'intel import' and a sweep "
		        "create one",
		        cli_escape(&t, path), strerror(errno));
		cli_text_release(&t);
		return NULL;
	}
	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		cli_err("%s: not a case database (not a regular file)", cli_escape(&t, path));
		cli_text_release(&t);
		return NULL;
	}
	memset(&o, 0, sizeof(o));
	o.readonly = mode == OPEN_READ;
	o.busy_timeout_ms = CLI_BUSY_TIMEOUT_MS;
	o.on_wait = on_store_wait;
	rc = cs_store_open_opts(path, &o, &st);
	if (rc) {
		cli_err("cannot open case database: %s", cli_escape(&t, cs_store_errmsg(st)));
		cli_text_release(&t);
		cs_store_close(st);
		return NULL;
	}
	return st;
}

struct cs_store *cli_open_store(const struct cli_global *g)
{
	return open_store(g, OPEN_WRITE);
}

struct cs_store *cli_open_store_ro(const struct cli_global *g)
{
	return open_store(g, OPEN_READ);
}

struct cs_store *cli_create_store(const struct cli_global *g)
{
	return open_store(g, OPEN_CREATE);
}

void cli_json_print(json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);

	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		free(s);
	}
	json_decref(v);
}

const char *cli_time(long long t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !gmtime_r(&tt, &tm)) {
		snprintf(buf, len, "%s", "");
		return buf;
	}
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static void usage(FILE *f)
{
	fputs("usage: chainsweep [--db PATH] [--json] COMMAND ...\n"
	      "\n"
	      "Turns published threat intel into answers on this host.\n"
	      "\n"
	      "commands:\n"
	      "  intel import [--format F] [--csv-column C] [--note T] [--bundled] FILE|DIR...\n"
	      "                      read STIX 2.1, MISP (events and feed folders),\n"
	      "                      Loki/signature-base IOC files, CSV and plain lists,\n"
	      "                      YARA rules and MISP warninglists into the case database\n"
	      "  intel ls [--kind K] [--label L] [--source S] [--warnlisted|--not-warnlisted]\n"
	      "           [--limit N]  list indicators\n"
	      "  intel stats         counts by kind, flag, label, source; intel versions\n"
	      "  intel show VALUE [--kind K]\n"
	      "                      one indicator with its sources, labels and warninglists\n"
	      "  scan files [options] PATH...\n"
	      "                      sweep files and folders (archives too) for the hashes,\n"
	      "                      file names, path regexes and YARA rules of the intel\n"
	      "                      (chainsweep scan files --help for the options)\n"
	      "  scan software [--root DIR] [--osv FILE|DIR]... [--intel FILE]... [--sbom "
	      "FILE]...\n"
	      "                      installed packages, lockfiles, SBOMs and applications\n"
	      "                      whose version an OSV advisory or a product-version\n"
	      "                      indicator names (chainsweep scan software --help)\n"
	      "  scan processes [options]\n"
	      "                      the running processes: executables (deleted ones too),\n"
	      "                      mapped files, memory (YARA) and connections; root\n"
	      "                      sees all (chainsweep scan processes --help)\n"
	      "  scan logs [options] FILE|DIR|-...\n"
	      "                      search logs (syslog, JSON, Zeek, Sysmon, proxy, web;\n"
	      "                      compressed too) for the intel's domains, addresses,\n"
	      "                      URLs and hashes, with first and last contact\n"
	      "  sweep [--root DIR] [--host NAME] [--logs DIR]... [--intel FILE|DIR]...\n"
	      "        [--max-runtime S] [--exclude GLOB]...\n"
	      "                      sweep a host (files, archives, logs, software) with the\n"
	      "                      case's intel (the bundled pack by default), record the\n"
	      "                      findings and print the answer in plain words\n"
	      "                      (chainsweep sweep --help for the options)\n"
	      "  findings [--host H] [--kind file|log|software|process] [--label L]\n"
	      "           [--indicator V]\n"
	      "                      what the case database has found, with first/last seen\n"
	      "  report [--out DIR] [--host H] [--title T]\n"
	      "                      the case as findings.jsonl, report.html (summary,\n"
	      "                      findings, timeline, coverage), sightings.stix.json\n"
	      "                      and event.misp.json\n"
	      "  correlate [--top N] [--weak] [--window DUR] (INTEL... | --case)\n"
	      "                      which known activity clusters of the case's intel\n"
	      "                      these indicators overlap: ranked leads with their\n"
	      "                      evidence and score broken down\n"
	      "  exposure --compromised NODE [--window FROM..TO] [--relations FILE.yaml]...\n"
	      "           [--sbom FILE]... [--json|--dot|--svg]\n"
	      "                      every product version and host downstream of a\n"
	      "                      compromised vendor, environment, product or version,\n"
	      "                      with the path that reaches it\n"
	      "  watch [--quarantine DIR] [--mount] PATH...\n"
	      "                      as root, deny the execution of listed files and find\n"
	      "                      listed files as they are written (fanotify; inotify\n"
	      "                      and detect only without root; chainsweep watch --help)\n"
	      "  restore --quarantine DIR [ID]\n"
	      "                      put a quarantined file back (no ID: list them)\n"
	      "  version             print the version\n"
	      "  help                this text\n"
	      "\n"
	      "global options:\n"
	      "  --db PATH           case database (default $CHAINSWEEP_DB, else\n"
	      "                      $XDG_DATA_HOME/chainsweep/case.db or\n"
	      "                      ~/.local/share/chainsweep/case.db)\n"
	      "  --json              machine-readable output (JSON Lines)\n"
	      "  --quiet             no per-file notes\n"
	      "  --verbose           every diagnostic, not only the first per file\n"
	      "  --no-cache          compile YARA rules and regexes every time, without\n"
	      "                      the cache ($CHAINSWEEP_CACHE_DIR, else\n"
	      "                      $XDG_CACHE_HOME/chainsweep or ~/.cache/chainsweep)\n"
	      "  --no-yara-variants  scan every file with every YARA rule (by default a\n"
	      "                      file is scanned without the rules whose header test\n"
	      "                      or size bound it fails: docs/yara-variants.md)\n"
	      "  --allow-slow-rules  keep YARA rule files with a string libyara says may\n"
	      "                      slow down scanning (by default such a file is left\n"
	      "                      out and reported: one such regex can hold a file\n"
	      "                      for minutes whatever the timeout)\n"
	      "  --yara-variant-bytes N\n"
	      "                      compile a variant once N bytes of files need it\n"
	      "                      (default 32 MiB)\n"
	      "\n"
	      "exit status: 0 success (or nothing found), 1 findings, 2 error,\n"
	      "3 nothing found by a sweep that could not look everywhere (a time limit,\n"
	      "an interrupt, unreadable input or intel).\n",
	      f);
}

/*
 * glibc serves blocks above 128 KiB (its threshold then drifts up to at
 * most 32 MiB) with mmap, and every such block comes back zeroed by page
 * faults. libyara's compiler allocates and frees blocks of that size
 * hundreds of times per rule file: importing signature-base spent a third
 * of its time faulting pages in. Blocks under 32 MiB therefore come from
 * the heap, which keeps up to 64 MiB of freed memory for reuse.
 */
static void tune_malloc(void)
{
#ifdef __GLIBC__
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
}

/*
 * What a command printed must have reached standard output: a full disk,
 * a closed pipe reader or /dev/full must not pass for success. The last
 * buffered bytes are flushed and the stream closed here, for every
 * command; a failure at any point makes the exit status 2, with a message.
 */
static int finish_stdout(int rc)
{
	int err = 0, failed;

	errno = 0;
	failed = fflush(stdout) != 0;
	if (failed)
		err = errno;
	failed |= ferror(stdout) != 0;
	errno = 0;
	/* Closing a standard output that was closed to begin with is not an
	 * error when nothing was written (a failed write is caught above). */
	if (fclose(stdout) != 0 && !failed && errno != EBADF) {
		failed = 1;
		err = errno;
	}
	if (!failed)
		return rc;
	if (err)
		cli_err("cannot write to standard output: %s", strerror(err));
	else
		cli_err("cannot write to standard output (a write failed)");
	return CS_EXIT_ERROR;
}

static int run(int argc, char **argv);

int main(int argc, char **argv)
{
	return finish_stdout(run(argc, argv));
}

static int run(int argc, char **argv)
{
	struct cli_global g;
	int i = 1, r;

	tune_malloc();
	memset(&g, 0, sizeof(g));
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return CS_EXIT_OK;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("chainsweep %s\n", CS_VERSION);
			return CS_EXIT_OK;
		}
		r = cli_global_opt(&g, argc, argv, &i);
		if (r <= 0) {
			if (r == 0)
				cli_err("unknown option '%s'", cli_safe(argv[i]));
			usage(stderr);
			return CS_EXIT_ERROR;
		}
		i++;
	}
	if (i >= argc) {
		usage(stderr);
		return CS_EXIT_ERROR;
	}
	if (strcmp(argv[i], "intel") == 0)
		return cmd_intel(argc - i, argv + i, &g);
	if (strcmp(argv[i], "scan") == 0)
		return cmd_scan(argc - i, argv + i, &g);
	if (strcmp(argv[i], "sweep") == 0)
		return cmd_sweep(argc - i, argv + i, &g);
	if (strcmp(argv[i], "findings") == 0)
		return cmd_findings(argc - i, argv + i, &g);
	if (strcmp(argv[i], "report") == 0)
		return cmd_report(argc - i, argv + i, &g);
	if (strcmp(argv[i], "correlate") == 0)
		return cmd_correlate(argc - i, argv + i, &g);
	if (strcmp(argv[i], "exposure") == 0)
		return cmd_exposure(argc - i, argv + i, &g);
	if (strcmp(argv[i], "watch") == 0)
		return cmd_watch(argc - i, argv + i, &g);
	if (strcmp(argv[i], "restore") == 0)
		return cmd_restore(argc - i, argv + i, &g);
	if (strcmp(argv[i], "version") == 0) {
		printf("chainsweep %s\n", CS_VERSION);
		return CS_EXIT_OK;
	}
	if (strcmp(argv[i], "help") == 0) {
		usage(stdout);
		return CS_EXIT_OK;
	}
	cli_err("unknown command '%s'", cli_safe(argv[i]));
	usage(stderr);
	return CS_EXIT_ERROR;
}

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
#include "opts.h"

void cli_err(const char *fmt, ...)
{
	va_list ap;

	fputs("chainsweep: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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

const char *cli_time_ms(int64_t ms, char *buf, size_t len)
{
	char t[32];

	cli_time(ms / 1000, t, sizeof(t));
	/* "2023-03-29T12:00:01Z" -> "2023-03-29T12:00:01.123Z" */
	snprintf(buf, len, "%.19s.%03dZ", t, (int)(((ms % 1000) + 1000) % 1000));
	return buf;
}

extern const struct cli_command cli_cmd_intel_import, cli_cmd_intel_ls, cli_cmd_intel_stats,
        cli_cmd_intel_show, cli_cmd_scan_files, cli_cmd_scan_software, cli_cmd_scan_logs,
        cli_cmd_sweep, cli_cmd_findings, cli_cmd_report, cli_cmd_correlate, cli_cmd_exposure,
        cli_cmd_scan_processes, cli_cmd_watch, cli_cmd_restore, cli_cmd_fleet_init,
        cli_cmd_fleet_enroll, cli_cmd_fleet_setup, cli_cmd_fleet_publish, cli_cmd_fleet_hunt,
        cli_cmd_fleet_status, cli_cmd_fleet_stop, cli_cmd_fleet_collect, cli_cmd_fleet_report,
        cli_cmd_agent;

/* In help order; the words of two-word commands stay together. */
const struct cli_command *const cli_commands[] = {
        &cli_cmd_intel_import, &cli_cmd_intel_ls,     &cli_cmd_intel_stats, &cli_cmd_intel_show,
        &cli_cmd_scan_files,   &cli_cmd_scan_logs,    &cli_cmd_scan_software,
        &cli_cmd_scan_processes, &cli_cmd_sweep,      &cli_cmd_findings,    &cli_cmd_report,
        &cli_cmd_correlate,    &cli_cmd_exposure,     &cli_cmd_watch,       &cli_cmd_restore,
        &cli_cmd_fleet_init,   &cli_cmd_fleet_enroll,  &cli_cmd_fleet_setup, &cli_cmd_fleet_publish,
        &cli_cmd_fleet_hunt,   &cli_cmd_fleet_status,  &cli_cmd_fleet_stop,  &cli_cmd_fleet_collect,
        &cli_cmd_fleet_report, &cli_cmd_agent,
        NULL,
};

/* 1 when `word` is the first word of two-word commands ("intel", "scan",
 * "fleet"). */
static int is_group(const char *word)
{
	size_t i, n = strlen(word);

	for (i = 0; cli_commands[i]; i++)
		if (strncmp(cli_commands[i]->name, word, n) == 0 && cli_commands[i]->name[n] == ' ')
			return 1;
	return 0;
}

/* The command named by argv[0] (and argv[1] for a two-word one); *words
 * receives how many words it took. NULL, after saying so, when none. */
static const struct cli_command *find_command(int argc, char **argv, int *words)
{
	size_t i, n = strlen(argv[0]);
	int group = 0;

	for (i = 0; cli_commands[i]; i++) {
		const char *name = cli_commands[i]->name;

		if (strcmp(name, argv[0]) == 0) {
			*words = 1;
			return cli_commands[i];
		}
		if (strncmp(name, argv[0], n) == 0 && name[n] == ' ') {
			group = 1;
			if (argc > 1 && strcmp(name + n + 1, argv[1]) == 0) {
				*words = 2;
				return cli_commands[i];
			}
		}
	}
	if (group && argc > 1 &&
	    (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	     strcmp(argv[1], "help") == 0)) {
		cli_group_help(argv[0], stdout);
		*words = 0;
		return NULL;
	}
	if (group) {
		fprintf(stderr, "chainsweep: %s needs one of: ", cli_safe(argv[0]));
		const char *sep = "";

		for (i = 0; cli_commands[i]; i++) {
			const char *name = cli_commands[i]->name;

			if (strncmp(name, argv[0], n) == 0 && name[n] == ' ') {
				fprintf(stderr, "%s%s", sep, name + n + 1);
				sep = ", ";
			}
		}
		if (argc > 1)
			fprintf(stderr, " (not '%s')", cli_safe(argv[1]));
		fputc('\n', stderr);
	} else {
		cli_err("unknown command '%s' (chainsweep --help lists them)", cli_safe(argv[0]));
	}
	return NULL;
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
	const struct cli_command *c;
	int i = 1, words = 0;

	tune_malloc();
	memset(&g, 0, sizeof(g));
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cli_main_help(stdout);
			return CS_EXIT_OK;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("chainsweep %s\n", CS_VERSION);
			return CS_EXIT_OK;
		}
		if (cli_global_parse(argc, argv, &i, &g) < 0)
			return CS_EXIT_ERROR;
		i++;
	}
	if (i >= argc) {
		cli_main_help(stderr);
		return CS_EXIT_ERROR;
	}
	if (strcmp(argv[i], "version") == 0) {
		printf("chainsweep %s\n", CS_VERSION);
		return CS_EXIT_OK;
	}
	if (strcmp(argv[i], "help") == 0) {
		if (i + 2 == argc && is_group(argv[i + 1])) {
			cli_group_help(argv[i + 1], stdout);
			return CS_EXIT_OK;
		}
		if (i + 1 < argc) {
			c = find_command(argc - i - 1, argv + i + 1, &words);
			if (!c)
				return CS_EXIT_ERROR;
			cli_command_help(c, stdout);
			return CS_EXIT_OK;
		}
		cli_main_help(stdout);
		return CS_EXIT_OK;
	}
	if (strcmp(argv[i], "completion") == 0) {
		if (i + 2 != argc ||
		    (strcmp(argv[i + 1], "bash") != 0 && strcmp(argv[i + 1], "zsh") != 0)) {
			cli_err("usage: chainsweep completion bash|zsh");
			return CS_EXIT_ERROR;
		}
		cli_generate(argv[i + 1], stdout);
		return CS_EXIT_OK;
	}
	if (strcmp(argv[i], "man") == 0) {
		if (i + 2 == argc && strcmp(argv[i + 1], "--markdown") == 0) {
			cli_generate("markdown", stdout);
			return CS_EXIT_OK;
		}
		if (i + 2 == argc && strcmp(argv[i + 1], "--options") == 0) {
			cli_list_options(stdout);
			return CS_EXIT_OK;
		}
		if (i + 1 != argc) {
			cli_err("usage: chainsweep man [--markdown|--options]");
			return CS_EXIT_ERROR;
		}
		cli_generate("man", stdout);
		return CS_EXIT_OK;
	}
	words = -1;
	c = find_command(argc - i, argv + i, &words);
	if (!c)
		return words == 0 ? CS_EXIT_OK : CS_EXIT_ERROR;
	return cli_run_command(c, argc - i - words + 1, argv + i + words - 1, &g);
}

/*
 * chainsweep watch: deny the execution of listed files and find listed
 * files as they are written (docs/live-host.md); chainsweep restore: put
 * a quarantined file back.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chainsweep/scan.h"
#include "chainsweep/watch.h"
#include "cli.h"
#include "opts.h"

struct watch_state {
	const struct cli_global *g;
	struct cs_store *st; /* findings are recorded here, or NULL */
	struct cs_store *ro; /* the reloader reads intel versions here */
	const char *host;
	const char *qdir;
	struct cs_intel *in; /* the intel of the matcher in use */
	struct cs_matcher *m;
	struct cs_intel *next_in; /* built by the reloader, in use after the swap */
	struct cs_matcher *next_m;
	int64_t version; /* the case's intel version in use */
	struct cli_text esc;
};

static int newest_version(void *ud, const struct cs_intel_version *v)
{
	*(int64_t *)ud = v->id;
	return 1;
}

/* A new intel version in the case: build its matcher beside the one in
 * use (the watcher keeps working with the old one meanwhile). */
static int on_reload(void *ud, const struct cs_matcher **out)
{
	struct watch_state *ws = ud;
	int64_t v = 0;
	struct cs_intel *in;
	struct cs_matcher *m = NULL;

	if (!ws->ro)
		return 0;
	cs_store_versions(ws->ro, 1, newest_version, &v);
	if (v <= ws->version)
		return 0;
	in = cs_intel_new();
	if (!in || cs_store_load_intel(ws->ro, in) || cs_intel_finalize(in) ||
	    cs_matcher_new(in, NULL, NULL, &m)) {
		cs_intel_free(in);
		return 0;
	}
	ws->next_in = in;
	ws->next_m = m;
	ws->version = v;
	*out = m;
	if (!ws->g->quiet)
		fprintf(stderr,
		        "chainsweep: intel version %lld of the case is in use from now on\n",
		        (long long)v);
	return 1;
}

/* Called while no scan runs: the new pair replaces the old one. */
static void on_retire(void *ud, const struct cs_matcher *old)
{
	struct watch_state *ws = ud;

	(void)old;
	cs_matcher_free(ws->m);
	cs_intel_free(ws->in);
	ws->m = ws->next_m;
	ws->in = ws->next_in;
	ws->next_m = NULL;
	ws->next_in = NULL;
}

static void on_watch_diag(void *ud, const struct cs_diag *d)
{
	struct watch_state *ws = ud;

	fprintf(stderr, "chainsweep: %s%s%s\n", d->file ? cli_escape(&ws->esc, d->file) : "",
	        d->file ? ": " : "", cli_safe(d->message));
}

static int on_watch_finding(void *ud, const struct cs_watch_finding *wf)
{
	struct watch_state *ws = ud;
	const struct cs_file_finding *f = wf->file;
	const struct cs_indicator *ind = f->indicator;

	printf("%s %s  %s %s %s",
	       wf->action == CS_WATCH_DENIED        ? "DENIED execution of"
	       : wf->action == CS_WATCH_QUARANTINED ? "QUARANTINED"
	                                            : "FOUND",
	       cli_escape_path(&ws->esc, f->path), cs_evidence_name(f->evidence),
	       ind ? cs_kind_name(cs_indicator_kind(ind)) : "",
	       ind ? cli_safe(cs_indicator_value(ind)) : cli_safe(f->matched));
	if (wf->pid)
		printf("  (process %d)", wf->pid);
	if (wf->quarantine_id)
		printf("  as %s (chainsweep restore --quarantine %s %s)", wf->quarantine_id,
		       cli_safe(ws->qdir), wf->quarantine_id);
	putchar('\n');
	fflush(stdout);
	if (ws->st && ind && wf->action != CS_WATCH_QUARANTINED) {
		struct cli_recorder *rec = cli_recorder_new(ws->g, ws->in, ws->host);
		json_t *cov = json_pack("{s:s}", "watch",
		                        wf->action == CS_WATCH_DENIED ? "denied" : "detected");

		if (!rec || !cov || cli_record_file(rec, f) ||
		    cli_recorder_save(rec, ws->st, "watch", cov, 0))
			cli_err("this finding is NOT recorded in the case: keep this output");
		json_decref(cov);
		cli_recorder_free(rec);
	}
	return 0;
}

struct watch_args {
	struct cs_watch_opts o;
	struct cli_list intel, pos;
	const char *host;
	int no_record;
	int no_kernel_cache;
};

static void watch_init(void *p)
{
	struct watch_args *a = p;

	cs_watch_opts_init(&a->o);
}

#define WTA(f) offsetof(struct watch_args, f)
static const struct cli_opt watch_opts[] = {
        {.name = "mount", .kind = CLI_OPT_FLAG, .off = WTA(o.mount),
         .help = "mark the whole mount of each PATH (a host deployment)"},
        {.name = "decide-within", .kind = CLI_OPT_UNSIGNED, .off = WTA(o.decide_within_ms),
         .arg = "MS", .min = 1, .max = 600000,
         .help = "an execution not decided in MS milliseconds is allowed and counted\n"
                 "(default 250)"},
        {.name = "fail-closed", .kind = CLI_OPT_FLAG, .off = WTA(o.fail_closed),
         .help = "an execution not decided in time is denied instead (a slow disk then\n"
                 "blocks programs)"},
        {.name = "no-deny", .kind = CLI_OPT_FLAG, .off = WTA(o.no_deny),
         .help = "detect only, even as root"},
        {.name = "kernel-cache", .kind = CLI_OPT_FLAG, .off = WTA(o.ignore_marks),
         .help = "hand clean verdicts to the kernel as ignore marks (local\n"
                 "filesystems only): faster warm executions, but a file written\n"
                 "through a shared mapping and run at once can pass unasked before\n"
                 "its close is read (docs/live-host.md)"},
        {.name = "no-kernel-cache", .kind = CLI_OPT_FLAG, .off = WTA(no_kernel_cache),
         .help = "ask about every execution in user space (the default; overrides\n"
                 "--kernel-cache)"},
        {.name = "quarantine", .kind = CLI_OPT_STR, .off = WTA(o.quarantine_dir), .arg = "DIR",
         .complete = CLI_C_DIR,
         .help = "move hits into DIR (root only, 0700) with their metadata; chainsweep\n"
                 "restore puts them back"},
        {.name = "max-size", .kind = CLI_OPT_SIZE, .off = WTA(o.max_size), .arg = "SIZE",
         .min = 1, .max = UINT64_MAX, .help = "scan files up to SIZE (default 64M)"},
        {.name = "threads", .kind = CLI_OPT_UNSIGNED, .off = WTA(o.threads), .arg = "N", .min = 1,
         .max = 16, .help = "scanner threads (default 2)"},
        {.name = "intel", .kind = CLI_OPT_LIST, .off = WTA(intel), .arg = "FILE|DIR",
         .complete = CLI_C_FILE,
         .help = "use this intel instead of the case's (no reload)"},
        {.name = "host", .kind = CLI_OPT_STR, .off = WTA(host), .arg = "NAME",
         .help = "the host findings are recorded for (default: this host's name)"},
        {.name = "no-record", .kind = CLI_OPT_FLAG, .off = WTA(no_record),
         .help = "do not record findings in the case"},
        {.name = NULL},
};

static int watch_run(void *p, struct cli_global *g);

const struct cli_command cli_cmd_watch = {
        .name = "watch",
        .summary = "keep watching folders: deny the execution of listed files (fanotify,\n"
                   "root), scan files written, quarantine hits",
        .description =
                "Watch folders (and their subfolders), or with --mount their whole mounts, with\n"
                "the case's intel (docs/live-host.md). As root, with fanotify: the execution of\n"
                "a file matching a hash, name or YARA indicator is denied, and files are\n"
                "scanned when closed after a write (archives too). Without root: inotify,\n"
                "written files only, nothing denied. Findings are recorded in the case; a new\n"
                "intel version of the case is used as soon as it is compiled. Ctrl-C stops.",
        .pos_name = "PATH...",
        .pos_off = WTA(pos),
        .min_pos = 1,
        .max_pos = SIZE_MAX,
        .pos_complete = CLI_C_DIR,
        .opts = watch_opts,
        .exit_status = "0 stopped by Ctrl-C or SIGTERM, 2 error.",
        .init = watch_init,
        .run = watch_run,
        .args_size = sizeof(struct watch_args),
};

static int watch_run(void *p, struct cli_global *g)
{
	struct watch_args *A = p;
	struct watch_state ws;
	struct cs_watch_opts o = A->o;
	struct cs_watch_stats st;
	struct cli_gaps bad;
	const char **paths = A->pos.v;
	char **intel_files = (char **)A->intel.v;
	size_t npaths = A->pos.n, nintel = A->intel.n;
	char hostbuf[256];
	int rc, no_record = A->no_record, exit_code = CS_EXIT_ERROR;

	memset(&ws, 0, sizeof(ws));
	memset(&bad, 0, sizeof(bad));
	ws.g = g;
	ws.host = A->host;
	ws.qdir = o.quarantine_dir;
	if (!ws.host)
		ws.host = cli_this_host(hostbuf, sizeof(hostbuf));
	ws.st = nintel ? cli_create_store(g) : cli_open_store(g);
	if (!ws.st)
		goto out;
	ws.in = cli_sweep_intel(intel_files, nintel, g, &ws.st, &bad, 1);
	if (!ws.in)
		goto out;
	cli_print_intel_gaps(&bad, g);
	rc = cli_matcher_new(ws.in, g, on_watch_diag, &ws, &bad, &ws.m);
	if (rc) {
		cli_err("cannot compile the intel: %s", cs_strerror(rc));
		goto out;
	}
	if (!nintel) {
		/* Reload when the case gets a new intel version. */
		cs_store_versions(ws.st, 1, newest_version, &ws.version);
		ws.ro = cli_open_store_ro(g);
		o.reload = on_reload;
		o.retire = on_retire;
	}
	if (no_record) {
		cs_store_close(ws.st);
		ws.st = NULL;
	}
	if (geteuid() != 0)
		fprintf(stderr, "chainsweep: not running as root: watching with inotify; written "
		                "files are found, executions cannot be denied\n");
	else if (!g->quiet)
		fprintf(stderr, "chainsweep: watching %zu path%s%s (%s a late decision)\n", npaths,
		        npaths == 1 ? "" : "s", o.mount ? "' mounts" : "",
		        o.fail_closed ? "denying" : "allowing");
	cli_catch_signals();
	if (A->no_kernel_cache)
		o.ignore_marks = 0;
	o.stop = &cli_interrupted;
	o.paths = paths;
	o.npaths = npaths;
	o.on_finding = on_watch_finding;
	o.on_diag = on_watch_diag;
	o.userdata = &ws;
	rc = cs_watch_run(ws.m, &o, &st);
	if (rc) {
		cli_err("cannot watch: %s", cs_strerror(rc));
		goto out;
	}
	fprintf(stderr,
	        "chainsweep: watched with %s: %llu executions decided (%llu denied, %llu late, "
	        "%llu cache hits, %llu kernel ignore marks placed for clean files, %llu "
	        "removed again), %llu writes (%llu coalesced), %llu files scanned (%llu too "
	        "large), %llu findings, %llu quarantined, %llu intel reloads; %llu kernel queue "
	        "overflows, %llu events dropped, %llu errors\n",
	        st.fanotify ? "fanotify" : "inotify (detect only)",
	        (unsigned long long)st.exec_checks, (unsigned long long)st.exec_denied,
	        (unsigned long long)st.exec_late, (unsigned long long)st.cache_hits,
	        (unsigned long long)st.ignore_marks, (unsigned long long)st.ignore_drops,
	        (unsigned long long)st.writes, (unsigned long long)st.coalesced,
	        (unsigned long long)st.scanned, (unsigned long long)st.too_large,
	        (unsigned long long)st.findings, (unsigned long long)st.quarantined,
	        (unsigned long long)st.reloads, (unsigned long long)st.overflows,
	        (unsigned long long)st.dropped, (unsigned long long)st.errors);
	exit_code = st.findings                  ? CS_EXIT_FOUND
	            : st.overflows || st.dropped ? CS_EXIT_INCOMPLETE
	                                         : CS_EXIT_OK;
out:
	cs_matcher_free(ws.m);
	cs_intel_free(ws.in);
	cs_matcher_free(ws.next_m);
	cs_intel_free(ws.next_in);
	cs_store_close(ws.st);
	cs_store_close(ws.ro);
	cli_gaps_release(&bad);
	cli_text_release(&ws.esc);
	return exit_code;
}

/* The quarantine's entries: ID, original path, why. */
static int list_quarantine(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	if (!d) {
		cli_err("%s: cannot open the quarantine folder", dir);
		return CS_EXIT_ERROR;
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		char path[4096];
		json_t *j;

		if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		j = json_load_file(path, 0, NULL);
		printf("%.*s  %s  (%s)\n", (int)(l - 5), de->d_name,
		       cli_safe(json_string_value(json_object_get(j, "path"))),
		       cli_safe(json_string_value(json_object_get(j, "why"))));
		json_decref(j);
		n++;
	}
	closedir(d);
	if (!n)
		printf("the quarantine %s is empty\n", cli_safe(dir));
	return CS_EXIT_OK;
}

struct restore_args {
	const char *quarantine;
	struct cli_list pos;
};

#define RSA(f) offsetof(struct restore_args, f)
static const struct cli_opt restore_opts[] = {
        {.name = "quarantine", .kind = CLI_OPT_STR, .off = RSA(quarantine), .arg = "DIR",
         .complete = CLI_C_DIR, .help = "the quarantine folder `watch --quarantine` filled (needed)"},
        {.name = NULL},
};

static int restore_run(void *p, struct cli_global *g);

const struct cli_command cli_cmd_restore = {
        .name = "restore",
        .summary = "put a quarantined file back where it was, with its mode (no ID: list\n"
                   "the quarantine)",
        .description = "Put a file `watch --quarantine DIR` moved away back where it was, with\n"
                       "its bytes and mode; without ID, list what the quarantine holds.",
        .pos_name = "[ID]",
        .pos_off = RSA(pos),
        .max_pos = 1,
        .opts = restore_opts,
        .exit_status = "0 restored (or listed), 2 error.",
        .run = restore_run,
        .args_size = sizeof(struct restore_args),
};

static int restore_run(void *p, struct cli_global *g)
{
	struct restore_args *A = p;
	const char *dir = A->quarantine, *id = A->pos.n ? A->pos.v[0] : NULL;
	char back[4096];
	int rc;

	(void)g;
	if (!dir) {
		cli_err("restore: --quarantine DIR is needed (chainsweep restore --help)");
		return CS_EXIT_ERROR;
	}
	if (!id)
		return list_quarantine(dir);
	rc = cs_quarantine_restore(dir, id, back, sizeof(back));
	if (rc) {
		cli_err("%s: cannot restore %s: %s", dir, id,
		        rc == CS_ERR_INVALID    ? "a file is where it was, or the ID is not one"
		        : rc == CS_ERR_NOTFOUND ? "no such entry"
		                                : cs_strerror(rc));
		return CS_EXIT_ERROR;
	}
	printf("restored %s\n", cli_safe(back));
	return CS_EXIT_OK;
}

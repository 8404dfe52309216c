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

static int usage(FILE *f)
{
	fputs("usage: chainsweep watch [options] PATH...\n"
	      "\n"
	      "Watch folders (and their subfolders), or with --mount their whole mounts, with\n"
	      "the case's intel (docs/live-host.md). As root, with fanotify: the execution of\n"
	      "a file matching a hash, name or YARA indicator is denied, and files are\n"
	      "scanned when closed after a write (archives too). Without root: inotify,\n"
	      "written files only, nothing denied. Findings are recorded in the case; a new\n"
	      "intel version of the case is used as soon as it is compiled. Ctrl-C stops.\n"
	      "\n"
	      "  --mount                mark the mount of each PATH (a host deployment)\n"
	      "  --decide-within MS     an execution not decided in MS milliseconds is\n"
	      "                         allowed and counted (default 250)\n"
	      "  --fail-closed          ... denied instead (a slow disk then blocks programs)\n"
	      "  --no-deny              detect only, even as root\n"
	      "  --quarantine DIR       move hits into DIR (root only, 0700) with their\n"
	      "                         metadata; chainsweep restore puts them back\n"
	      "  --max-size SIZE        scan files up to SIZE (default 64M)\n"
	      "  --threads N            scanner threads (default 2)\n"
	      "  --intel FILE|DIR       use this intel instead of the case's (no reload)\n"
	      "  --host NAME            the host findings are recorded for\n"
	      "  --no-record            do not record findings in the case\n",
	      f);
	return CS_EXIT_ERROR;
}

int cmd_watch(int argc, char **argv, struct cli_global *g)
{
	struct watch_state ws;
	struct cs_watch_opts o;
	struct cs_watch_stats st;
	struct cli_gaps bad;
	const char **paths = calloc((size_t)argc + 1, sizeof(*paths));
	char **intel_files = calloc((size_t)argc + 1, sizeof(*intel_files));
	size_t npaths = 0, nintel = 0;
	char hostbuf[256];
	int i, r, rc, no_record = 0, exit_code = CS_EXIT_ERROR;
	uint64_t v;

	memset(&ws, 0, sizeof(ws));
	memset(&bad, 0, sizeof(bad));
	cs_watch_opts_init(&o);
	ws.g = g;
	if (!paths || !intel_files) {
		cli_err("out of memory");
		goto out;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		r = cli_global_opt(g, argc, argv, &i);
		if (r < 0)
			goto out;
		if (r > 0)
			continue;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			exit_code = CS_EXIT_OK;
			goto out;
		} else if (strcmp(a, "--mount") == 0) {
			o.mount = 1;
		} else if (strcmp(a, "--fail-closed") == 0) {
			o.fail_closed = 1;
		} else if (strcmp(a, "--no-deny") == 0) {
			o.no_deny = 1;
		} else if (strcmp(a, "--no-record") == 0) {
			no_record = 1;
		} else if (a[0] == '-' && a[1] == '-' && !val) {
			cli_err("%s needs a value (or is unknown)", a);
			goto out;
		} else if (strcmp(a, "--decide-within") == 0) {
			if (cli_opt_uint(a, val, 1, 600000, &v))
				goto out;
			o.decide_within_ms = (unsigned)v;
			i++;
		} else if (strcmp(a, "--quarantine") == 0) {
			o.quarantine_dir = ws.qdir = argv[++i];
		} else if (strcmp(a, "--max-size") == 0) {
			if (cli_opt_size(a, val, 1, UINT64_MAX, &o.max_size))
				goto out;
			i++;
		} else if (strcmp(a, "--threads") == 0) {
			if (cli_opt_uint(a, val, 1, 16, &v))
				goto out;
			o.threads = (unsigned)v;
			i++;
		} else if (strcmp(a, "--intel") == 0) {
			intel_files[nintel++] = argv[++i];
		} else if (strcmp(a, "--host") == 0) {
			ws.host = argv[++i];
		} else if (a[0] == '-' && a[1]) {
			cli_err("unknown option '%s'", a);
			usage(stderr);
			goto out;
		} else {
			paths[npaths++] = a;
		}
	}
	if (!npaths) {
		usage(stderr);
		goto out;
	}
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
	        "%llu cache hits), %llu writes (%llu coalesced), %llu files scanned (%llu too "
	        "large), %llu findings, %llu quarantined, %llu intel reloads; %llu kernel queue "
	        "overflows, %llu events dropped, %llu errors\n",
	        st.fanotify ? "fanotify" : "inotify (detect only)",
	        (unsigned long long)st.exec_checks, (unsigned long long)st.exec_denied,
	        (unsigned long long)st.exec_late, (unsigned long long)st.cache_hits,
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
	free(paths);
	free(intel_files);
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

int cmd_restore(int argc, char **argv, struct cli_global *g)
{
	const char *dir = NULL, *id = NULL;
	char back[4096];
	int i, r, rc;

	for (i = 1; i < argc; i++) {
		r = cli_global_opt(g, argc, argv, &i);
		if (r < 0)
			return CS_EXIT_ERROR;
		if (r > 0)
			continue;
		if (strcmp(argv[i], "--quarantine") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (argv[i][0] != '-' && !id)
			id = argv[i];
		else {
			cli_err("usage: chainsweep restore --quarantine DIR [ID]");
			return CS_EXIT_ERROR;
		}
	}
	if (!dir) {
		cli_err("usage: chainsweep restore --quarantine DIR [ID]  (no ID: list it)");
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

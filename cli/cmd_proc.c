/*
 * chainsweep scan processes: the running processes of this host
 * (docs/live-host.md), and the conversion of a process finding into the
 * case's finding record that `sweep` uses too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chainsweep/proc.h"
#include "chainsweep/report.h"
#include "chainsweep/scan.h"
#include "cli.h"
#include "opts.h"

/* "pid 4242 /tmp/t/target (deleted): memory 7f00-7f10 rw-p [heap]" */
static char *proc_location(const struct cs_proc_finding *f)
{
	const struct cs_proc_info *p = f->proc;
	char buf[8192];
	int n;

	n = snprintf(buf, sizeof(buf), "pid %d %s%s: %s", p->pid, p->exe[0] ? p->exe : p->comm,
	             p->exe_deleted ? " (deleted)" : "", cs_proc_place_name(f->place));
	if (n < 0 || (size_t)n >= sizeof(buf))
		return strdup(buf);
	switch (f->place) {
	case CS_PROC_MAPPED:
		snprintf(buf + n, sizeof(buf) - (size_t)n, " %s%s", f->path,
		         f->deleted ? " (deleted)" : "");
		break;
	case CS_PROC_MEMORY:
		snprintf(buf + n, sizeof(buf) - (size_t)n, " %llx-%llx %s %s",
		         (unsigned long long)f->region_start, (unsigned long long)f->region_end,
		         f->perms ? f->perms : "", f->path ? f->path : "");
		break;
	case CS_PROC_SOCKET:
		snprintf(buf + n, sizeof(buf) - (size_t)n, " %s", f->socket ? f->socket : "");
		break;
	default:
		break;
	}
	return strdup(buf);
}

static void set_str(json_t *o, const char *k, const char *v)
{
	if (v)
		json_object_set_new(o, k, json_string(cli_utf8(v)));
}

/* The process as the case keeps it with the finding. */
static json_t *proc_json(const struct cs_proc_finding *f)
{
	const struct cs_proc_info *p = f->proc;
	json_t *o = json_object(), *a;
	char t[32], hex[2 * CS_YARA_EVIDENCE_MAX + 1];
	size_t i, k;

	if (!o)
		return NULL;
	json_object_set_new(o, "pid", json_integer(p->pid));
	json_object_set_new(o, "ppid", json_integer(p->ppid));
	set_str(o, "comm", p->comm);
	set_str(o, "exe", p->exe);
	json_object_set_new(o, "exe_deleted", json_boolean(p->exe_deleted));
	set_str(o, "user", p->user);
	json_object_set_new(o, "uid", json_integer((json_int_t)p->uid));
	set_str(o, "start", cli_time(p->start_time, t, sizeof(t)));
	set_str(o, "cmdline", p->cmdline);
	a = json_array();
	for (i = 0; a && i < p->nenv; i++)
		json_array_append_new(a, json_string(cli_utf8(p->env_names[i])));
	json_object_set_new(o, "env_names", a);
	a = json_array();
	for (i = 0; a && i < p->nparents; i++) {
		json_t *x = json_object();

		json_object_set_new(x, "pid", json_integer(p->parents[i].pid));
		set_str(x, "comm", p->parents[i].comm);
		set_str(x, "exe", p->parents[i].exe);
		json_array_append_new(a, x);
	}
	json_object_set_new(o, "parents", a);
	set_str(o, "place", cs_proc_place_name(f->place));
	if (f->place == CS_PROC_EXE || f->place == CS_PROC_MAPPED) {
		set_str(o, "file", f->path);
		json_object_set_new(o, "file_deleted", json_boolean(f->deleted));
	}
	if (f->place == CS_PROC_MEMORY || f->place == CS_PROC_MAPPED) {
		json_t *r = json_object();
		char s0[24], s1[24];

		snprintf(s0, sizeof(s0), "0x%llx", (unsigned long long)f->region_start);
		snprintf(s1, sizeof(s1), "0x%llx", (unsigned long long)f->region_end);
		set_str(r, "start", s0);
		set_str(r, "end", s1);
		set_str(r, "perms", f->perms);
		set_str(r, "name", f->path);
		json_object_set_new(o, "region", r);
	}
	set_str(o, "socket", f->socket);
	if (f->nstrings) {
		a = json_array();
		for (i = 0; a && i < f->nstrings; i++) {
			const struct cs_yara_match *m = &f->strings[i];

			for (k = 0; k < m->data_len; k++)
				snprintf(hex + 2 * k, 3, "%02x", m->data[k]);
			hex[2 * m->data_len] = '\0';
			json_array_append_new(
			        a, json_pack("{s:s, s:I, s:I, s:s}", "id", m->id,
			                     f->place == CS_PROC_MEMORY ? "address" : "offset",
			                     (json_int_t)m->offset, "length", (json_int_t)m->len,
			                     "data_hex", hex));
		}
		json_object_set_new(o, "strings", a);
	}
	return o;
}

static const char *evidence_of(const struct cs_proc_finding *f)
{
	return f->place == CS_PROC_SOCKET ? "address" : cs_evidence_name(f->evidence);
}

int cli_proc_rec(const struct cs_intel *in, const char *host, const struct cs_proc_finding *pf,
                 struct cs_finding_rec *f)
{
	const struct cs_indicator *ind = pf->indicator;
	json_t *pj;

	memset(f, 0, sizeof(*f));
	f->kind = CS_FIND_PROCESS;
	f->host = host;
	f->evidence = evidence_of(pf);
	f->location = proc_location(pf);
	f->observed = strdup(cli_utf8(pf->matched ? pf->matched : ""));
	if (!ind)
		return CS_ERR_INVALID;
	{
		struct cs_source_info si;
		char src[1024];

		f->ind_kind = cs_kind_name(cs_indicator_kind(ind));
		f->ind_value = cs_indicator_value(ind);
		f->warninglisted = (cs_indicator_flags(ind) & CS_IND_WARNLISTED) != 0;
		f->confidence = cs_indicator_confidence(ind);
		if (cs_indicator_source_count(ind)) {
			cs_indicator_source(in, ind, 0, &si);
			if (si.line)
				snprintf(src, sizeof(src), "%s:%llu", si.file ? si.file : "?",
				         (unsigned long long)si.line);
			else
				snprintf(src, sizeof(src), "%s",
				         si.ref    ? si.ref
				         : si.file ? si.file
				                   : "?");
			f->source = strdup(src);
		}
	}
	f->first_seen_ms = f->last_seen_ms = pf->proc->start_time * 1000;
	f->count = 1;
	f->sha256 = pf->sha256 ? strdup(pf->sha256) : NULL;
	f->sha1 = pf->sha1 ? strdup(pf->sha1) : NULL;
	f->md5 = pf->md5 ? strdup(pf->md5) : NULL;
	pj = proc_json(pf);
	f->process = pj ? json_dumps(pj, JSON_COMPACT) : NULL;
	json_decref(pj);
	if (!f->location || !f->observed || !f->process)
		return CS_ERR_NOMEM;
	return CS_OK;
}

struct proc_state {
	const struct cli_global *g;
	const struct cs_intel *intel;
	struct cli_recorder *rec;
	struct cli_text esc;
	unsigned diags_shown;
	uint64_t diags_hidden;
};

static void on_proc_diag(void *ud, const struct cs_diag *d)
{
	struct proc_state *ps = ud;

	/* A process that exits meanwhile is only a note. */
	if ((ps->g->quiet || !ps->g->verbose) && d->severity < CS_SEV_WARN)
		return;
	if (!ps->g->verbose && ps->diags_shown >= 50) {
		ps->diags_hidden++;
		return;
	}
	ps->diags_shown++;
	fprintf(stderr, "%s: %s: %s\n", d->file ? cli_escape(&ps->esc, d->file) : "-",
	        d->severity == CS_SEV_ERROR  ? "error"
	        : d->severity == CS_SEV_INFO ? "note"
	                                     : "warning",
	        cli_safe(d->message));
}

static int on_proc_finding(void *ud, const struct cs_proc_finding *f)
{
	struct proc_state *ps = ud;
	const struct cs_proc_info *p = f->proc;
	const struct cs_indicator *ind = f->indicator;
	char *loc;
	size_t i, n;

	if (ps->rec && f->indicator && cli_record_proc(ps->rec, f))
		return CS_ERR_NOMEM;
	if (ps->g->json) {
		json_t *o = json_object(), *pj = proc_json(f);

		json_object_set_new(o, "record", json_string("finding"));
		json_object_set_new(o, "kind", json_string("process"));
		json_object_set_new(o, "evidence", json_string(evidence_of(f)));
		json_object_set_new(o, "matched", json_string(cli_utf8(f->matched)));
		if (f->sha256)
			json_object_set_new(o, "sha256", json_string(f->sha256));
		if (pj)
			json_object_set_new(o, "process", pj);
		if (ind)
			json_object_set_new(o, "indicator", cli_indicator_json(ps->intel, ind, 1));
		cli_json_print(o);
		fflush(stdout);
		return 0;
	}
	loc = proc_location(f);
	printf("FOUND process %s %s", evidence_of(f), cli_escape_path(&ps->esc, loc ? loc : "?"));
	free(loc);
	if (ind)
		printf("  %s %s", cs_kind_name(cs_indicator_kind(ind)),
		       cli_escape(&ps->esc, cs_indicator_value(ind)));
	else
		printf("  yara-rule %s (not in the intel)", cli_escape(&ps->esc, f->matched));
	n = ind ? cs_indicator_label_count(ind) : 0;
	for (i = 0; i < n; i++)
		printf("%s%s", i ? ", " : "  [", cli_safe(cs_indicator_label(ps->intel, ind, i)));
	if (n)
		putchar(']');
	putchar('\n');
	{
		char t[32];

		printf("    user %s, started %s, command line: %s\n", cli_safe(p->user),
		       cli_time(p->start_time, t, sizeof(t)), cli_escape(&ps->esc, p->cmdline));
	}
	printf("    parents:");
	for (i = 0; i < p->nparents; i++)
		printf("%s %d %s", i ? " <" : "", p->parents[i].pid, cli_safe(p->parents[i].comm));
	if (!p->nparents)
		printf(" none");
	putchar('\n');
	for (i = 0; i < f->nstrings; i++)
		printf("    %s at %s%llx (%llu bytes)\n", cli_safe(f->strings[i].id),
		       f->place == CS_PROC_MEMORY ? "0x" : "offset 0x",
		       (unsigned long long)f->strings[i].offset,
		       (unsigned long long)f->strings[i].len);
	fflush(stdout);
	return 0;
}

static json_t *proc_coverage(const struct cs_proc_result *r)
{
	json_t *gaps = json_object(), *o;

	if (r->not_root)
		json_object_set_new(gaps, "not-root", json_integer(1));
	if (r->denied)
		json_object_set_new(gaps, "process-denied", json_integer((json_int_t)r->denied));
	if (r->files_unreadable)
		json_object_set_new(gaps, "process-file-unreadable",
		                    json_integer((json_int_t)r->files_unreadable));
	if (r->memory_capped)
		json_object_set_new(gaps, "memory-capped",
		                    json_integer((json_int_t)r->memory_capped));
	if (r->memory_timeouts)
		json_object_set_new(gaps, "memory-timeout",
		                    json_integer((json_int_t)r->memory_timeouts));
	if (r->memory_errors)
		json_object_set_new(gaps, "memory-error",
		                    json_integer((json_int_t)r->memory_errors));
	o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "processes", (json_int_t)r->scanned,
	              "vanished", (json_int_t)r->vanished, "files", (json_int_t)r->files,
	              "memory_bytes", (json_int_t)r->memory_bytes, "regions",
	              (json_int_t)r->regions, "sockets", (json_int_t)r->sockets);
	if (o)
		json_object_set_new(o, "gaps", gaps);
	else
		json_decref(gaps);
	return o;
}

void cli_proc_summary(const struct cs_proc_result *r, FILE *out)
{
	fprintf(out,
	        "  processes: %llu scanned (%llu kernel threads skipped, %llu exited during the "
	        "scan), %llu distinct files (%llu read through /proc, %llu unchanged since the "
	        "last sweep), %.1f MB of memory in %llu regions, %llu sockets: %llu finding%s\n",
	        (unsigned long long)r->scanned, (unsigned long long)r->kernel_threads,
	        (unsigned long long)r->vanished, (unsigned long long)r->files,
	        (unsigned long long)r->files_via_proc,
	        (unsigned long long)r->files_res.count[CS_COV_UNCHANGED],
	        (double)r->memory_bytes / 1e6, (unsigned long long)r->regions,
	        (unsigned long long)r->sockets, (unsigned long long)r->findings,
	        r->findings == 1 ? "" : "s");
	if (r->not_root)
		fprintf(out, "    NOT ROOT: other users' processes were not fully read\n");
	if (r->denied)
		fprintf(out, "    processes partly unreadable: %llu\n",
		        (unsigned long long)r->denied);
	if (r->files_unreadable)
		fprintf(out, "    mapped files unreadable: %llu\n",
		        (unsigned long long)r->files_unreadable);
	if (r->memory_capped)
		fprintf(out, "    memory cut at --proc-max-bytes: %llu processes\n",
		        (unsigned long long)r->memory_capped);
	if (r->memory_timeouts)
		fprintf(out, "    memory over the time limit: %llu processes\n",
		        (unsigned long long)r->memory_timeouts);
	if (r->memory_errors)
		fprintf(out, "    memory scan errors: %llu processes\n",
		        (unsigned long long)r->memory_errors);
}

#define PIDS_MAX 4096

struct proc_args {
	struct cs_proc_opts o;
	struct cli_list intel;
	int pids[PIDS_MAX];
	size_t npids;
	const char *host;
	int no_record;
};

static int opt_pid(const char *opt, const char *val, void *target)
{
	struct proc_args *a = (struct proc_args *)((char *)target - offsetof(struct proc_args, pids));
	uint64_t v;

	if (cli_opt_uint(opt, val, 1, 0x7fffffff, &v))
		return -1;
	if (a->npids >= PIDS_MAX) {
		cli_err("%s: at most %d processes", opt, PIDS_MAX);
		return -1;
	}
	a->pids[a->npids++] = (int)v;
	return 0;
}

#define PA(f) offsetof(struct proc_args, f)
static const struct cli_opt proc_opts[] = {
        {.name = "intel", .kind = CLI_OPT_LIST, .off = PA(intel), .arg = "FILE|DIR",
         .complete = CLI_C_FILE, .help = "use this intel instead of the case database (repeatable)"},
        {.name = "pid", .kind = CLI_OPT_FUNC, .off = PA(pids), .arg = "N", .parse = opt_pid,
         .help = "only this process (repeatable)"},
        CLI_PROC_OPTS(struct proc_args, o),
        {.name = "no-files", .kind = CLI_OPT_FLAG, .off = PA(o.no_files),
         .help = "no executables or mapped files"},
        {.name = "threads", .kind = CLI_OPT_UNSIGNED, .off = PA(o.threads), .arg = "N", .min = 1,
         .max = 256, .help = "threads of the file scan"},
        {.name = "host", .kind = CLI_OPT_STR, .off = PA(host), .arg = "NAME",
         .help = "the host recorded (default: this host's name)"},
        {.name = "no-record", .kind = CLI_OPT_FLAG, .off = PA(no_record),
         .help = "do not record the findings in the case database"},
        {.name = NULL},
};

static void proc_init(void *p)
{
	struct proc_args *a = p;

	cs_proc_opts_init(&a->o);
}

static int proc_run(void *p, struct cli_global *g);

const struct cli_command cli_cmd_scan_processes = {
        .name = "scan processes",
        .summary = "the running processes of this host: executables (deleted ones too),\n"
                   "mapped files, memory (YARA) and connections against the intel",
        .description =
                "Look at the running processes of this host (docs/live-host.md): each one's\n"
                "executable (a deleted one too, read through /proc), the files it maps, its\n"
                "private and anonymous memory (YARA) and its connections (remote addresses\n"
                "against the intel's addresses and networks), with its user, start time and\n"
                "parent chain. Needs root to see every process; without it, what can be read\n"
                "is, and the answer says so. Nothing is written to, stopped or signalled.",
        .opts = proc_opts,
        .exit_status = "0 nothing found, 1 findings, 2 error, 3 nothing found but something\n"
                       "could not be read (not root, denied, bounds reached).",
        .init = proc_init,
        .run = proc_run,
        .args_size = sizeof(struct proc_args),
};

static int proc_run(void *p, struct cli_global *g)
{
	struct proc_args *A = p;
	struct cs_proc_opts o = A->o;
	struct cs_proc_result res;
	struct proc_state ps;
	struct cs_matcher *m = NULL;
	struct cs_intel *in = NULL;
	struct cs_store *st = NULL;
	struct cs_inventory *inv = NULL;
	struct cli_gaps bad;
	char **intel_files = (char **)A->intel.v;
	size_t nintel = A->intel.n, npids = A->npids;
	int *pids = A->pids;
	const char *host = A->host;
	char hostbuf[256], digest[80];
	int rc, no_record = A->no_record, exit_code = CS_EXIT_ERROR;

	memset(&ps, 0, sizeof(ps));
	memset(&bad, 0, sizeof(bad));
	ps.g = g;
	if (!host)
		host = cli_this_host(hostbuf, sizeof(hostbuf));
	st = nintel ? cli_create_store(g) : cli_open_store(g);
	if (!st)
		goto out;
	in = cli_sweep_intel(intel_files, nintel, g, &st, &bad, 1);
	if (!in)
		goto out;
	cli_print_intel_gaps(&bad, g);
	ps.intel = in;
	if (!no_record && !(ps.rec = cli_recorder_new(g, in, host))) {
		cli_err("out of memory");
		goto out;
	}
	rc = cli_matcher_new(in, g, on_proc_diag, &ps, &bad, &m);
	if (rc) {
		cli_err("cannot compile the intel: %s", cs_strerror(rc));
		goto out;
	}
	/* Files the last sweep read and that did not change are matched from
	 * the inventory, not read again. */
	inv = cs_inventory_new();
	if (!inv) {
		cli_err("out of memory");
		goto out;
	}
	if (cs_store_inventory_load(st, host, inv, digest, sizeof(digest)) == CS_OK) {
		o.known = inv;
		o.known_yara_valid = strcmp(digest, cs_matcher_yara_digest(m)) == 0;
	}
	if (geteuid() != 0)
		fprintf(stderr, "chainsweep: not running as root: only this user's processes can "
		                "be read fully; the answer will be partial\n");
	cli_catch_signals();
	o.interrupt = &cli_interrupted;
	o.pids = npids ? pids : NULL;
	o.npids = npids;
	o.on_finding = on_proc_finding;
	o.on_diag = on_proc_diag;
	o.userdata = &ps;
	rc = cs_scan_processes(m, &o, &res);
	if (rc) {
		cli_err("process scan stopped: %s", cs_strerror(rc));
		goto out;
	}
	if (ps.diags_hidden)
		fprintf(stderr, "chainsweep: %llu more problems not shown (use --verbose)\n",
		        (unsigned long long)ps.diags_hidden);
	if (ps.rec) {
		json_t *cov = proc_coverage(&res);

		if (!cov ||
		    cli_recorder_save(ps.rec, st, "processes", cov, res.incomplete || bad.n != 0))
			fputs("chainsweep: warning: the findings above were not recorded in the "
			      "case "
			      "(--no-record to skip)\n",
			      stderr);
		json_decref(cov);
	}
	if (g->json) {
		json_t *sj = proc_coverage(&res);

		json_object_set_new(sj, "record", json_string("summary"));
		json_object_set_new(sj, "findings", json_integer((json_int_t)res.findings));
		json_object_set_new(sj, "incomplete", json_boolean(res.incomplete || bad.n));
		json_object_set_new(sj, "not_root", json_boolean(res.not_root));
		cli_json_print(sj);
	} else if (!g->quiet || res.incomplete) {
		fprintf(stderr, "scanned processes in %.1f s\n", res.seconds);
		cli_proc_summary(&res, stderr);
		if (res.incomplete || bad.n)
			fputs("  INCOMPLETE: see above\n", stderr);
	}
	exit_code = res.findings                   ? CS_EXIT_FOUND
	            : res.incomplete || bad.n != 0 ? CS_EXIT_INCOMPLETE
	                                           : CS_EXIT_OK;
out:
	cs_matcher_free(m);
	cs_inventory_free(inv);
	cs_intel_free(in);
	cs_store_close(st);
	cli_gaps_release(&bad);
	cli_recorder_free(ps.rec);
	cli_text_release(&ps.esc);
	return exit_code;
}

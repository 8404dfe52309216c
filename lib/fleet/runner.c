/*
 * One hunt on the agent's host (docs/fleet.md, "The agent"): the sweep
 * runs as a child `chainsweep` on the agent's local case, so that a crash
 * or a hang in a parser never takes the agent down, and the agent can
 * always stop it. Afterwards the sweep it recorded is read back from the
 * case and its findings (and software) handed to the caller.
 *
 * The child is its own process group (a signal reaches anything it
 * started), niced by 10, with stdin from /dev/null and its output in the
 * work folder. Which sweep is ours: the host's newest finished sweep
 * after the run, when it is newer than the one before the run.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "chainsweep/fleet_agent.h"
#include "core/core_int.h"
#include "fleet/agent_int.h"

#define DEFAULT_GRACE_S 30
#define MAX_ARGS        40

const char *cs_fleet_run_state_name(enum cs_fleet_run_state s)
{
	switch (s) {
	case CS_FLEET_RUN_DONE:
		return "done";
	case CS_FLEET_RUN_INCOMPLETE:
		return "incomplete";
	case CS_FLEET_RUN_ERROR:
		break;
	}
	return "error";
}

void cs_fleet_run_result_release(struct cs_fleet_run_result *res)
{
	if (!res)
		return;
	free(res->coverage);
	res->coverage = NULL;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct run_ctx {
	const struct cs_fleet_run_spec *spec;
	struct cs_fleet_run_result *res;
	cs_fleet_finding_cb cb;
	void *ud;
	int cb_rc;
	char *err;
	size_t errlen;
};

static int say(struct run_ctx *c, int rc, const char *fmt, ...) CS_PRINTF(3, 4);

/* Record why the run failed, in err and in the result's detail. */
static int say(struct run_ctx *c, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	snprintf(c->res->detail, sizeof(c->res->detail), "%s", c->err);
	c->res->state = CS_FLEET_RUN_ERROR;
	return rc;
}

/* The host's newest finished sweep: its id and, when `keep`, the rest. */
struct sweep_pick {
	const char *host;
	int64_t id;
	int64_t intel_version;
	int incomplete;
	char *coverage;
	int nomem;
};

static int on_sweep(void *ud, const struct cs_sweep_info *s)
{
	struct sweep_pick *p = ud;

	if (strcmp(s->host, p->host) != 0)
		return 0;
	p->id = s->id;
	p->intel_version = s->intel_version;
	p->incomplete = s->incomplete;
	free(p->coverage);
	p->coverage = s->coverage && *s->coverage ? cs__strdup(s->coverage) : NULL;
	p->nomem = s->coverage && *s->coverage && !p->coverage;
	return 0;
}

static int open_case(const char *db, struct cs_store **st, char *msg, size_t len)
{
	struct cs_store_opts o;
	int rc;

	memset(&o, 0, sizeof(o));
	o.readonly = 1;
	*st = NULL;
	rc = cs_store_open_opts(db, &o, st);
	if (rc) {
		snprintf(msg, len, "%s", cs_store_errmsg(*st));
		cs_store_close(*st);
		*st = NULL;
	}
	return rc;
}

/* The host's last sweep id before the run (0 when the case or the host
 * has none yet). */
static int64_t sweep_before(const struct cs_fleet_run_spec *sp)
{
	struct sweep_pick p;
	struct cs_store *st;
	char msg[64];

	memset(&p, 0, sizeof(p));
	p.host = sp->host;
	if (access(sp->db, F_OK) != 0 || open_case(sp->db, &st, msg, sizeof(msg)))
		return 0;
	cs_store_sweeps(st, on_sweep, &p);
	cs_store_close(st);
	free(p.coverage);
	return p.id;
}

/* The last non-empty line of the child's stderr, into buf. */
static void last_line(const char *path, char *buf, size_t len)
{
	char tail[1024];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t size;
	char *e, *s;

	buf[0] = '\0';
	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	n = size > 0 ? pread(fd, tail, sizeof(tail) - 1,
	                     size > (off_t)sizeof(tail) - 1 ? size - (off_t)sizeof(tail) + 1 : 0)
	             : 0;
	close(fd);
	if (n <= 0)
		return;
	tail[n] = '\0';
	for (e = tail + n; e > tail && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' '); e--)
		;
	*e = '\0';
	s = strrchr(tail, '\n');
	s = s ? s + 1 : tail;
	snprintf(buf, len, "%s", s);
	for (s = buf; *s; s++)
		if ((unsigned char)*s < 0x20)
			*s = ' ';
}

/* The child's command line; strings in `num` (the numbers) must outlive
 * the call. */
static size_t build_argv(const struct cs_fleet_run_spec *sp, const char **av, char num[3][32])
{
	size_t n = 0;

	av[n++] = sp->exe;
	av[n++] = "--db";
	av[n++] = sp->db;
	av[n++] = "--quiet";
	if (sp->rematch) {
		av[n++] = "scan";
		av[n++] = "files";
		av[n++] = "--from-inventory";
		av[n++] = "--host";
		av[n++] = sp->host;
	} else {
		const char *root = sp->root && *sp->root ? sp->root : "/";

		av[n++] = "sweep";
		av[n++] = "--root";
		av[n++] = root;
		av[n++] = "--host";
		av[n++] = sp->host;
		if (!sp->logs)
			av[n++] = "--no-logs";
		if (!sp->software)
			av[n++] = "--no-software";
		if (strcmp(root, "/") != 0)
			av[n++] = "--no-processes";
		if (!sp->files) {
			/* `sweep` always walks the tree: every name excluded. */
			av[n++] = "--exclude";
			av[n++] = "*";
		}
		if (sp->max_rate_mbps > 0) {
			snprintf(num[1], sizeof(num[1]), "%g", sp->max_rate_mbps);
			av[n++] = "--max-rate";
			av[n++] = num[1];
		}
	}
	if (sp->max_runtime_s > 0) {
		snprintf(num[0], sizeof(num[0]), "%lld", (long long)sp->max_runtime_s);
		av[n++] = "--max-runtime";
		av[n++] = num[0];
	}
	if (sp->threads > 0) {
		snprintf(num[2], sizeof(num[2]), "%d", sp->threads);
		av[n++] = "--threads";
		av[n++] = num[2];
	}
	av[n] = NULL;
	return n;
}

/*
 * In the child, between fork and exec: only async-signal-safe calls. Its
 * own process group, default signal handling, nice, the three standard
 * descriptors and no other; on a failed exec, errno goes up the pipe.
 */
static void child(const char *const *av, int in, int out, int errfd, int report, int prio,
                  pid_t agent)
{
	struct sigaction sa;
	sigset_t none;
	int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD, SIGQUIT, SIGUSR1, SIGUSR2};
	size_t i;
	int e;

	setpgid(0, 0);
	/* The agent dies (kill -9): the sweep stops and records what it did,
	 * rather than running on beside the agent's next run. The thread
	 * that forked waits in cs_fleet_run until the child ends, so only
	 * the agent's death fires this. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != agent)
		_exit(127);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setpriority(PRIO_PROCESS, 0, prio);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0) {
		e = errno;
		if (write(report, &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	/* Nothing of the agent's (its server connection) reaches the sweep;
	 * the report pipe stays open until the exec. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	execv(av[0], (char *const *)av);
	e = errno;
	if (write(report, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

static void signal_group(pid_t pid, int sig)
{
	if (kill(-pid, sig) != 0)
		kill(pid, sig);
}

/*
 * Start the child and wait for it, enforcing the limits: SIGTERM when it
 * outlives max_runtime + grace or when *stop is set, SIGKILL grace later.
 * Writes its wait status; returns CS_OK or an error when it could not be
 * started.
 */
static int run_child(struct run_ctx *c, volatile sig_atomic_t *stop, int *status)
{
	const struct cs_fleet_run_spec *sp = c->spec;
	struct cs_fleet_run_result *res = c->res;
	const char *av[MAX_ARGS];
	char num[3][32], out_path[4096], err_path[4096];
	int in = -1, out = -1, errfd = -1, pipefd[2] = {-1, -1}, rc = CS_OK, e = 0, prio;
	int64_t grace = sp->grace_s > 0 ? sp->grace_s : DEFAULT_GRACE_S;
	double t0, term_at = 0;
	pid_t pid, agent = getpid();
	ssize_t r;

	build_argv(sp, av, num);
	if (snprintf(out_path, sizeof(out_path), "%s/run.stdout", sp->work_dir) >=
	            (int)sizeof(out_path) ||
	    snprintf(err_path, sizeof(err_path), "%s/run.stderr", sp->work_dir) >=
	            (int)sizeof(err_path))
		return say(c, CS_ERR_TOOBIG, "%s: work folder path too long", sp->work_dir);
	if (cs__fleet_mkdir(sp->work_dir) != 0)
		return say(c, CS_ERR_IO, "%s: cannot create the work folder: %s", sp->work_dir,
		           strerror(errno));
	in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	errfd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (in < 0 || out < 0 || errfd < 0) {
		rc = say(c, CS_ERR_IO, "%s: cannot create the child's output files: %s",
		         sp->work_dir, strerror(errno));
		goto out;
	}
	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		rc = say(c, CS_ERR_IO, "pipe: %s", strerror(errno));
		goto out;
	}
	errno = 0;
	prio = getpriority(PRIO_PROCESS, 0);
	prio = errno ? 10 : prio + 10 > 19 ? 19 : prio + 10;
	pid = fork();
	if (pid < 0) {
		rc = say(c, CS_ERR_IO, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		child(av, in, out, errfd, pipefd[1], prio, agent);
	setpgid(pid, pid); /* also here: no signal may miss the group */
	close(pipefd[1]);
	pipefd[1] = -1;
	do
		r = read(pipefd[0], &e, sizeof(e));
	while (r < 0 && errno == EINTR);
	if (r == (ssize_t)sizeof(e)) {
		while (waitpid(pid, status, 0) < 0 && errno == EINTR)
			;
		rc = say(c, CS_ERR_IO, "cannot run %s: %s", sp->exe, strerror(e));
		goto out;
	}
	t0 = mono_s();
	for (;;) {
		struct timespec ts = {0, 50 * 1000000L};
		pid_t w = waitpid(pid, status, WNOHANG);
		double now;

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			rc = say(c, CS_ERR_IO, "waiting for the sweep: %s", strerror(errno));
			signal_group(pid, SIGKILL);
			while (waitpid(pid, status, 0) < 0 && errno == EINTR)
				;
			goto out;
		}
		now = mono_s();
		if (!res->killed && stop && *stop) {
			res->stopped = res->killed = 1;
			term_at = now;
			signal_group(pid, SIGTERM);
		} else if (!res->killed && sp->max_runtime_s > 0 &&
		           now - t0 > (double)(sp->max_runtime_s + grace)) {
			res->killed = 1;
			term_at = now;
			signal_group(pid, SIGTERM);
		} else if (res->killed == 1 && now - term_at > (double)grace) {
			res->killed = 2; /* SIGKILL sent */
			signal_group(pid, SIGKILL);
		}
		nanosleep(&ts, NULL);
	}
	/* Anything it left in its group goes with it. */
	kill(-pid, SIGKILL);
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (errfd >= 0)
		close(errfd);
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	return rc;
}

struct detail_ctx {
	struct run_ctx *c;
	int64_t sweep;
};

static int on_finding_row(void *ud, const struct cs_finding_rec *f, int64_t first, int64_t last)
{
	struct detail_ctx *d = ud;
	struct cs_fleet_run_result *res = d->c->res;
	uint64_t cap = d->c->spec->max_findings;

	(void)first;
	if (last != d->sweep)
		return 0;
	if (cap && res->findings >= cap) {
		res->findings_dropped++;
		return 0;
	}
	d->c->cb_rc = d->c->cb ? d->c->cb(d->c->ud, f, NULL) : 0;
	if (d->c->cb_rc)
		return d->c->cb_rc;
	res->findings++;
	return 0;
}

static int on_software_row(void *ud, const struct cs_software_rec *r)
{
	struct detail_ctx *d = ud;
	struct cs_fleet_run_result *res = d->c->res;
	uint64_t cap = d->c->spec->max_findings;

	if (r->last_sweep != d->sweep)
		return 0;
	if (cap && res->software >= cap) {
		res->software_dropped++;
		return 0;
	}
	d->c->cb_rc = d->c->cb ? d->c->cb(d->c->ud, NULL, r) : 0;
	if (d->c->cb_rc)
		return d->c->cb_rc;
	res->software++;
	return 0;
}

/* Read back the sweep the child recorded and hand its details over. */
static int read_back(struct run_ctx *c, int64_t before)
{
	const struct cs_fleet_run_spec *sp = c->spec;
	struct cs_fleet_run_result *res = c->res;
	struct detail_ctx d;
	struct sweep_pick p;
	struct cs_store *st = NULL;
	char msg[512];
	int rc;

	memset(&p, 0, sizeof(p));
	p.host = sp->host;
	if (access(sp->db, F_OK) != 0)
		return CS_OK; /* nothing was recorded */
	if (open_case(sp->db, &st, msg, sizeof(msg)))
		return say(c, CS_ERR_DB, "cannot read the case: %s", msg);
	rc = cs_store_sweeps(st, on_sweep, &p);
	if (rc || p.nomem) {
		rc = say(c, rc ? rc : CS_ERR_NOMEM, "cannot read the sweeps of the case: %s",
		         cs_store_errmsg(st));
		goto out;
	}
	if (p.id <= before)
		goto out;
	res->sweep = p.id;
	res->intel_version = p.intel_version;
	res->coverage = p.coverage;
	p.coverage = NULL;
	if (p.incomplete && res->state == CS_FLEET_RUN_DONE)
		res->state = CS_FLEET_RUN_INCOMPLETE;
	d.c = c;
	d.sweep = p.id;
	rc = cs_store_findings(st, sp->host, 0, on_finding_row, &d);
	if (!rc && sp->software && !sp->rematch)
		rc = cs_store_software(st, sp->host, on_software_row, &d);
	if (rc && c->cb_rc)
		rc = say(c, c->cb_rc, "the finding callback failed (%s)", cs_strerror(c->cb_rc));
	else if (rc)
		rc = say(c, rc, "cannot read the findings of the case: %s", cs_store_errmsg(st));
out:
	free(p.coverage);
	cs_store_close(st);
	return rc;
}

/* The coverage's "stopped" reason ("time-limit", ...), or NULL. */
static const char *stopped_by(const char *coverage)
{
	static const char *const known[] = {"time-limit", "interrupted"};
	json_t *o = coverage ? json_loads(coverage, 0, NULL) : NULL;
	const char *s = json_string_value(json_object_get(o, "stopped")), *r = NULL;
	size_t i;

	for (i = 0; s && i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(s, known[i]) == 0)
			r = known[i];
	json_decref(o);
	return r;
}

int cs_fleet_run(const struct cs_fleet_run_spec *spec, volatile sig_atomic_t *stop,
                 struct cs_fleet_run_result *res, cs_fleet_finding_cb on_finding, void *userdata,
                 char *err, size_t errlen)
{
	struct run_ctx c;
	char dummy[8], tail[200], err_path[4096];
	int64_t before;
	int status = 0, rc, code;

	if (!res)
		return CS_ERR_INVALID;
	memset(res, 0, sizeof(*res));
	res->started_ms = wall_ms();
	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	memset(&c, 0, sizeof(c));
	c.spec = spec;
	c.res = res;
	c.cb = on_finding;
	c.ud = userdata;
	c.err = err;
	c.errlen = errlen;
	if (!spec || !spec->exe || !spec->db || !spec->host || !*spec->host || !spec->work_dir ||
	    (!spec->rematch && !spec->files && !spec->logs && !spec->software)) {
		rc = say(&c, CS_ERR_INVALID,
		         "run: exe, db, host, work_dir and something to sweep"
		         " are needed");
		goto done;
	}
	if (spec->root && *spec->root && spec->root[0] != '/') {
		rc = say(&c, CS_ERR_INVALID, "run: the root '%.200s' is not an absolute path",
		         spec->root);
		goto done;
	}
	before = sweep_before(spec);
	rc = run_child(&c, stop, &status);
	if (rc)
		goto done;
	code = WIFEXITED(status)     ? WEXITSTATUS(status)
	       : WIFSIGNALED(status) ? -WTERMSIG(status)
	                             : -1;
	res->exit_code = code;
	/* 0 nothing found, 1 findings, 3 incomplete: the child's outcomes. */
	res->state = res->killed              ? CS_FLEET_RUN_INCOMPLETE
	             : code == 0 || code == 1 ? CS_FLEET_RUN_DONE
	             : code == 3              ? CS_FLEET_RUN_INCOMPLETE
	                                      : CS_FLEET_RUN_ERROR;
	rc = read_back(&c, before);
	if (rc)
		goto done;
	snprintf(err_path, sizeof(err_path), "%s/run.stderr", spec->work_dir);
	last_line(err_path, tail, sizeof(tail));
	if (res->stopped)
		snprintf(res->detail, sizeof(res->detail), "stopped by a stop order%s%s",
		         res->sweep ? "" : "; nothing recorded",
		         res->killed == 2 ? " (killed)" : "");
	else if (res->killed)
		snprintf(res->detail, sizeof(res->detail),
		         "outlived its time limit (%lld s) by the grace period: %s%s",
		         (long long)spec->max_runtime_s, res->killed == 2 ? "killed" : "terminated",
		         res->sweep ? "" : "; nothing recorded");
	else if (res->state == CS_FLEET_RUN_ERROR)
		snprintf(res->detail, sizeof(res->detail), "the sweep failed (exit %d): %s", code,
		         tail[0] ? tail : "no message");
	else if (!res->sweep) {
		res->state = CS_FLEET_RUN_ERROR;
		snprintf(res->detail, sizeof(res->detail),
		         "the sweep recorded nothing in the case (exit %d): %s", code,
		         tail[0] ? tail : "no message");
	} else if (res->state == CS_FLEET_RUN_INCOMPLETE) {
		const char *why = stopped_by(res->coverage);

		if (why && strcmp(why, "time-limit") == 0)
			snprintf(res->detail, sizeof(res->detail),
			         "stopped at its time limit (%lld s)",
			         (long long)spec->max_runtime_s);
		else
			snprintf(res->detail, sizeof(res->detail),
			         "the sweep could not look everywhere (see its coverage)");
	}
	if (res->state == CS_FLEET_RUN_ERROR && !err[0])
		snprintf(err, errlen, "%s", res->detail);
done:
	res->finished_ms = wall_ms();
	return rc;
}

/* Unit tests of the fleet agent's hunt runner: the chainsweep binary
 * (CS_EXE) run as a child on a local case over small generated trees. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "chainsweep/fleet_agent.h"
#include "chainsweep/store.h"
#include "testutil.h"

static const char *exe(void)
{
	const char *e = getenv("CS_EXE");

	if (!e || access(e, X_OK) != 0) {
		print_message("SKIP: CS_EXE (the chainsweep binary) not set\n");
		skip();
	}
	return e;
}

/* A case at dir/case.db whose intel holds the SHA-256 of each content. */
static void make_case(const char *dir, const char *const *contents, size_t n, char *db,
                      size_t dblen)
{
	char iocs[4096] = "", line[200], hex[65];
	struct cs_store *st = NULL;
	struct cs_intel *in = cs_intel_new();
	struct cs_import_stats is;
	int64_t ver = 0;
	char *p;
	size_t i;

	for (i = 0; i < n; i++) {
		cs_test_sha256_hex(contents[i], strlen(contents[i]), hex);
		snprintf(line, sizeof(line), "SHA256=%s;planted %zu (test)\n", hex, i);
		strcat(iocs, line);
	}
	p = cs_test_write(dir, "iocs.txt", iocs, strlen(iocs));
	snprintf(db, dblen, "%s/case.db", dir);
	assert_int_equal(cs_store_open(db, &st), CS_OK);
	assert_int_equal(cs_intel_import(in, p, &is), CS_OK);
	assert_int_equal(cs_store_save_intel(st, in, "test", &is, &ver), CS_OK);
	cs_intel_free(in);
	cs_store_close(st);
	free(p);
}

struct seen {
	int findings, software;
	char value[80];
};

static int on_detail(void *ud, const struct cs_finding_rec *f, const struct cs_software_rec *s)
{
	struct seen *se = ud;

	if (f) {
		se->findings++;
		snprintf(se->value, sizeof(se->value), "%s", f->ind_value ? f->ind_value : "");
	}
	if (s)
		se->software++;
	return 0;
}

static void spec_init(struct cs_fleet_run_spec *sp, const char *dir, const char *db,
                      const char *root, char *work, size_t wlen)
{
	memset(sp, 0, sizeof(*sp));
	snprintf(work, wlen, "%s/work", dir);
	sp->exe = exe();
	sp->db = db;
	sp->host = "ws-test";
	sp->root = root;
	sp->files = 1;
	sp->max_runtime_s = 60;
	sp->threads = 1;
	sp->work_dir = work;
}

/* One planted file whose hash the case's intel holds: one finding, the
 * child's exit 1 is "done"; a re-match of the inventory finds it again. */
static void test_planted_finding(void **state)
{
	static const char *const content[] = {"cs-fleet-runner planted sample\n"};
	char *dir = cs_test_tmpdir(), db[512], root[512], work[512], hex[65], err[256];
	struct cs_fleet_run_spec sp;
	struct cs_fleet_run_result res;
	struct seen se;
	struct stat sb;
	char *p;

	(void)state;
	make_case(dir, content, 1, db, sizeof(db));
	snprintf(root, sizeof(root), "%s/root", dir);
	assert_int_equal(mkdir(root, 0700), 0);
	p = cs_test_write(root, "planted.bin", content[0], strlen(content[0]));
	free(p);
	p = cs_test_write(root, "other.txt", "nothing\n", 8);
	free(p);
	spec_init(&sp, dir, db, root, work, sizeof(work));
	memset(&se, 0, sizeof(se));
	assert_int_equal(cs_fleet_run(&sp, NULL, &res, on_detail, &se, err, sizeof(err)), CS_OK);
	print_message("state %s exit %d detail '%s'\n", cs_fleet_run_state_name(res.state),
	              res.exit_code, res.detail);
	assert_int_equal(res.state, CS_FLEET_RUN_DONE);
	assert_string_equal(cs_fleet_run_state_name(res.state), "done");
	assert_int_equal(res.exit_code, 1);
	assert_int_equal(res.killed, 0);
	assert_true(res.sweep > 0);
	assert_int_equal(res.intel_version, 1);
	assert_non_null(res.coverage);
	assert_true(res.coverage[0] == '{');
	assert_int_equal(res.findings, 1);
	assert_int_equal(se.findings, 1);
	cs_test_sha256_hex(content[0], strlen(content[0]), hex);
	assert_string_equal(se.value, hex);
	assert_true(res.finished_ms >= res.started_ms && res.started_ms > 0);
	snprintf(err, sizeof(err), "%s/run.stdout", work);
	assert_int_equal(stat(err, &sb), 0);
	cs_fleet_run_result_release(&res);

	/* The inventory re-matched: the same finding, under a new sweep. */
	{
		int64_t first = 0;

		sp.rematch = 1;
		memset(&se, 0, sizeof(se));
		assert_int_equal(cs_fleet_run(&sp, NULL, &res, on_detail, &se, err, sizeof(err)),
		                 CS_OK);
		first = res.sweep;
		assert_int_equal(res.state, CS_FLEET_RUN_DONE);
		assert_int_equal(res.exit_code, 1);
		assert_int_equal(se.findings, 1);
		assert_true(first > 0);
		cs_fleet_run_result_release(&res);
	}
	cs_test_rmtree(dir);
	free(dir);
}

/* More findings than the cap: the rest counted as dropped. A clean tree:
 * done, exit 0, nothing handed over. */
static void test_cap_and_clean(void **state)
{
	static const char *const content[] = {"cs-fleet planted a\n", "cs-fleet planted b\n",
	                                      "cs-fleet planted c\n"};
	char *dir = cs_test_tmpdir(), db[512], root[512], clean[512], work[512], name[16];
	struct cs_fleet_run_spec sp;
	struct cs_fleet_run_result res;
	struct seen se;
	size_t i;
	char *p;

	(void)state;
	make_case(dir, content, 3, db, sizeof(db));
	snprintf(root, sizeof(root), "%s/root", dir);
	snprintf(clean, sizeof(clean), "%s/clean", dir);
	assert_int_equal(mkdir(root, 0700), 0);
	assert_int_equal(mkdir(clean, 0700), 0);
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "f%zu.bin", i);
		p = cs_test_write(root, name, content[i], strlen(content[i]));
		free(p);
	}
	p = cs_test_write(clean, "x.txt", "clean\n", 6);
	free(p);
	spec_init(&sp, dir, db, root, work, sizeof(work));
	sp.max_findings = 2;
	memset(&se, 0, sizeof(se));
	assert_int_equal(cs_fleet_run(&sp, NULL, &res, on_detail, &se, NULL, 0), CS_OK);
	assert_int_equal(res.state, CS_FLEET_RUN_DONE);
	assert_int_equal(res.findings, 2);
	assert_int_equal(res.findings_dropped, 1);
	assert_int_equal(se.findings, 2);
	cs_fleet_run_result_release(&res);

	sp.root = clean;
	sp.host = "ws-clean";
	memset(&se, 0, sizeof(se));
	assert_int_equal(cs_fleet_run(&sp, NULL, &res, on_detail, &se, NULL, 0), CS_OK);
	assert_int_equal(res.state, CS_FLEET_RUN_DONE);
	assert_int_equal(res.exit_code, 0);
	assert_int_equal(se.findings, 0);
	assert_true(res.sweep > 0);
	cs_fleet_run_result_release(&res);
	cs_test_rmtree(dir);
	free(dir);
}

/* A tree that takes long to read (a big sparse file at 1 MB/s) and a
 * 1 s limit: the child stops itself, records the sweep as incomplete,
 * and is gone. */
static void test_runtime_limit(void **state)
{
	static const char *const content[] = {"never present\n"};
	char *dir = cs_test_tmpdir(), db[512], root[512], big[600], work[512], err[256];
	struct cs_fleet_run_spec sp;
	struct cs_fleet_run_result res;
	int fd;

	(void)state;
	make_case(dir, content, 1, db, sizeof(db));
	snprintf(root, sizeof(root), "%s/root", dir);
	assert_int_equal(mkdir(root, 0700), 0);
	snprintf(big, sizeof(big), "%s/big.bin", root);
	fd = open(big, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)1 << 31), 0);
	close(fd);
	spec_init(&sp, dir, db, root, work, sizeof(work));
	sp.max_runtime_s = 1;
	sp.max_rate_mbps = 1;
	assert_int_equal(cs_fleet_run(&sp, NULL, &res, NULL, NULL, err, sizeof(err)), CS_OK);
	print_message("state %s exit %d detail '%s' %lld ms\n", cs_fleet_run_state_name(res.state),
	              res.exit_code, res.detail, (long long)(res.finished_ms - res.started_ms));
	assert_int_equal(res.state, CS_FLEET_RUN_INCOMPLETE);
	assert_int_equal(res.exit_code, 3);
	assert_int_equal(res.killed, 0);
	assert_true(res.sweep > 0);
	assert_non_null(strstr(res.coverage, "\"stopped\":\"time-limit\""));
	assert_non_null(strstr(res.detail, "time limit"));
	assert_true(res.finished_ms - res.started_ms < 20000);
	cs_fleet_run_result_release(&res);
	cs_test_rmtree(dir);
	free(dir);
}

struct stopper {
	volatile sig_atomic_t *flag;
	int ms;
};

static void *stop_later(void *arg)
{
	struct stopper *s = arg;
	struct timespec ts = {s->ms / 1000, (s->ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
	*s->flag = 1;
	return NULL;
}

/* The stop flag: the child is sent SIGTERM, stops as at its time limit
 * and records what it did; the run is incomplete and stopped. */
static void test_stop_flag(void **state)
{
	static const char *const content[] = {"never present\n"};
	char *dir = cs_test_tmpdir(), db[512], root[512], big[600], work[512];
	struct cs_fleet_run_spec sp;
	struct cs_fleet_run_result res;
	volatile sig_atomic_t stop = 0;
	struct stopper s = {&stop, 1000};
	pthread_t th;
	int fd;

	(void)state;
	make_case(dir, content, 1, db, sizeof(db));
	snprintf(root, sizeof(root), "%s/root", dir);
	assert_int_equal(mkdir(root, 0700), 0);
	snprintf(big, sizeof(big), "%s/big.bin", root);
	fd = open(big, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)1 << 31), 0);
	close(fd);
	spec_init(&sp, dir, db, root, work, sizeof(work));
	sp.max_runtime_s = 0;
	sp.max_rate_mbps = 1;
	assert_int_equal(pthread_create(&th, NULL, stop_later, &s), 0);
	assert_int_equal(cs_fleet_run(&sp, &stop, &res, NULL, NULL, NULL, 0), CS_OK);
	pthread_join(th, NULL);
	print_message("state %s exit %d detail '%s' %lld ms\n", cs_fleet_run_state_name(res.state),
	              res.exit_code, res.detail, (long long)(res.finished_ms - res.started_ms));
	assert_int_equal(res.state, CS_FLEET_RUN_INCOMPLETE);
	assert_int_equal(res.stopped, 1);
	assert_true(res.killed >= 1);
	assert_non_null(strstr(res.detail, "stop order"));
	assert_true(res.finished_ms - res.started_ms < 20000);
	cs_fleet_run_result_release(&res);
	cs_test_rmtree(dir);
	free(dir);
}

/* 1 when the process is gone (or a zombie waiting for init). */
static int gone(pid_t pid)
{
	char path[64], buf[256];
	FILE *fp;
	int z = 0;

	if (kill(pid, 0) != 0 && errno == ESRCH)
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fp = fopen(path, "r");
	if (!fp)
		return 1;
	if (fgets(buf, sizeof(buf), fp)) {
		char *rp = strrchr(buf, ')');

		z = rp && (rp[2] == 'Z' || rp[2] == 'X');
	}
	fclose(fp);
	return z;
}

/* A child that ignores SIGTERM (and a process it started): both killed
 * once the limit and the grace period have passed twice over. */
static void test_kill_after_grace(void **state)
{
	static const char script[] = "#!/bin/sh\n"
	                             "trap '' TERM\n"
	                             "sleep 60 &\n"
	                             "echo $$ $! > \"$PIDS\"\n"
	                             "wait\n";
	char *dir = cs_test_tmpdir(), db[512], work[512], pids[600], *sh;
	struct cs_fleet_run_spec sp;
	struct cs_fleet_run_result res;
	int p1 = 0, p2 = 0, i;
	FILE *fp;

	(void)state;
	exe();
	sh = cs_test_write(dir, "stubborn.sh", script, strlen(script));
	assert_int_equal(chmod(sh, 0700), 0);
	snprintf(pids, sizeof(pids), "%s/pids", dir);
	setenv("PIDS", pids, 1);
	snprintf(db, sizeof(db), "%s/none.db", dir);
	spec_init(&sp, dir, db, dir, work, sizeof(work));
	sp.exe = sh;
	sp.max_runtime_s = 1;
	sp.grace_s = 1;
	assert_int_equal(cs_fleet_run(&sp, NULL, &res, NULL, NULL, NULL, 0), CS_OK);
	unsetenv("PIDS");
	print_message("state %s exit %d detail '%s' %lld ms\n", cs_fleet_run_state_name(res.state),
	              res.exit_code, res.detail, (long long)(res.finished_ms - res.started_ms));
	assert_int_equal(res.killed, 2);
	assert_int_equal(res.exit_code, -SIGKILL);
	assert_int_equal(res.state, CS_FLEET_RUN_INCOMPLETE);
	assert_int_equal(res.sweep, 0);
	assert_non_null(strstr(res.detail, "killed"));
	assert_true(res.finished_ms - res.started_ms >= 2500);
	assert_true(res.finished_ms - res.started_ms < 10000);
	fp = fopen(pids, "r");
	assert_non_null(fp);
	assert_int_equal(fscanf(fp, "%d %d", &p1, &p2), 2);
	fclose(fp);
	for (i = 0; i < 40 && !(gone(p1) && gone(p2)); i++)
		usleep(50000);
	assert_true(gone(p1));
	assert_true(gone(p2));
	cs_fleet_run_result_release(&res);
	free(sh);
	cs_test_rmtree(dir);
	free(dir);
}

/* A software sweep (files left out): the packages the sweep recorded are
 * handed over, capped like findings. */
static void test_software_rows(void **state)
{
	static const char *const content[] = {"never present\n"};
	char *dir = cs_test_tmpdir(), db[512], root[512], work[512];
	const char *src = getenv("CS_SOURCE_DIR");
	struct cs_fleet_run_spec sp;
	struct cs_fleet_run_result res;
	struct seen se;

	(void)state;
	assert_non_null(src);
	make_case(dir, content, 1, db, sizeof(db));
	snprintf(root, sizeof(root), "%s/tests/data/software/host", src);
	spec_init(&sp, dir, db, root, work, sizeof(work));
	sp.files = 0;
	sp.software = 1;
	memset(&se, 0, sizeof(se));
	assert_int_equal(cs_fleet_run(&sp, NULL, &res, on_detail, &se, NULL, 0), CS_OK);
	print_message("state %s exit %d detail '%s' software %llu\n",
	              cs_fleet_run_state_name(res.state), res.exit_code, res.detail,
	              (unsigned long long)res.software);
	assert_true(res.sweep > 0);
	assert_true(res.software >= 3);
	assert_int_equal(se.software, (int)res.software);
	assert_non_null(strstr(res.coverage, "\"files_read\":0"));
	cs_fleet_run_result_release(&res);
	sp.max_findings = 2;
	memset(&se, 0, sizeof(se));
	assert_int_equal(cs_fleet_run(&sp, NULL, &res, on_detail, &se, NULL, 0), CS_OK);
	assert_int_equal(res.software, 2);
	assert_true(res.software_dropped >= 1);
	cs_fleet_run_result_release(&res);
	cs_test_rmtree(dir);
	free(dir);
}

/* The child gets stdin, stdout and stderr, none of the agent's other
 * descriptors (a leaked one would be, say, its server connection). */
static void test_no_leaked_fds(void **state)
{
	static const char script[] = "#!/bin/sh\nls /proc/$$/fd > \"$FDS\"\n";
	char *dir = cs_test_tmpdir(), db[512], work[512], fds[600], *sh, *list, *p;
	struct cs_fleet_run_spec sp;
	struct cs_fleet_run_result res;
	size_t len;
	int leak;

	(void)state;
	sh = cs_test_write(dir, "fds.sh", script, strlen(script));
	assert_int_equal(chmod(sh, 0700), 0);
	snprintf(fds, sizeof(fds), "%s/fds", dir);
	setenv("FDS", fds, 1);
	leak = open("/dev/null", O_RDONLY); /* no O_CLOEXEC */
	assert_true(leak > 2);
	snprintf(db, sizeof(db), "%s/none.db", dir);
	spec_init(&sp, dir, db, dir, work, sizeof(work));
	sp.exe = sh;
	assert_int_equal(cs_fleet_run(&sp, NULL, &res, NULL, NULL, NULL, 0), CS_OK);
	unsetenv("FDS");
	close(leak);
	assert_int_equal(res.exit_code, 0);
	/* Nothing recorded in the case: an error, said so. */
	assert_int_equal(res.state, CS_FLEET_RUN_ERROR);
	assert_non_null(strstr(res.detail, "recorded nothing"));
	list = cs_test_slurp(fds, &len);
	for (p = list; *p; p = strchr(p, '\n') + 1) {
		long fd = strtol(p, NULL, 10);

		assert_non_null(strchr(p, '\n'));
		/* 0, 1, 2, and the shell's own above 9 (dash's 10) */
		assert_true(fd <= 2 || fd >= 10);
		assert_int_not_equal(fd, leak);
	}
	free(list);
	free(sh);
	cs_fleet_run_result_release(&res);
	cs_test_rmtree(dir);
	free(dir);
}

/* The agent killed -9 during a run: the sweep goes too (SIGTERM, so it
 * records what it did), not left running beside the agent's next run. */
static void test_agent_death(void **state)
{
	static const char script[] = "#!/bin/sh\necho $$ > \"$PIDS\"\nexec sleep 60\n";
	char *dir = cs_test_tmpdir(), db[512], work[512], pids[600], *sh;
	struct cs_fleet_run_spec sp;
	pid_t agent;
	int i, p = 0;
	FILE *fp = NULL;

	(void)state;
	sh = cs_test_write(dir, "sleeper.sh", script, strlen(script));
	assert_int_equal(chmod(sh, 0700), 0);
	snprintf(pids, sizeof(pids), "%s/pids", dir);
	setenv("PIDS", pids, 1);
	snprintf(db, sizeof(db), "%s/none.db", dir);
	spec_init(&sp, dir, db, dir, work, sizeof(work));
	sp.exe = sh;
	agent = fork();
	assert_true(agent >= 0);
	if (agent == 0) {
		struct cs_fleet_run_result res;

		cs_fleet_run(&sp, NULL, &res, NULL, NULL, NULL, 0);
		_exit(0);
	}
	unsetenv("PIDS");
	for (i = 0; i < 100 && !fp; i++) {
		usleep(50000);
		fp = fopen(pids, "r");
		if (fp && fscanf(fp, "%d", &p) != 1) {
			fclose(fp);
			fp = NULL;
		}
	}
	assert_non_null(fp);
	fclose(fp);
	assert_false(gone(p));
	kill(agent, SIGKILL);
	waitpid(agent, NULL, 0);
	for (i = 0; i < 60 && !gone(p); i++)
		usleep(50000);
	assert_true(gone(p));
	free(sh);
	cs_test_rmtree(dir);
	free(dir);
}

/* Logs only (no file read): the log hit comes back as a finding. */
static void test_logs_only(void **state)
{
	static const char syslog[] =
	        "Dec  5 10:00:00 ws app: contacting evil-fleet-test.example now\n";
	char *dir = cs_test_tmpdir(), db[512], root[600], logdir[700], work[512];
	struct cs_fleet_run_spec sp;
	struct cs_fleet_run_result res;
	struct cs_store *st = NULL;
	struct cs_intel *in = cs_intel_new();
	struct cs_import_stats is;
	struct seen se;
	int64_t ver = 0;
	char *p;

	(void)state;
	p = cs_test_write(dir, "domains.txt", "evil-fleet-test.example\n", 24);
	snprintf(db, sizeof(db), "%s/case.db", dir);
	assert_int_equal(cs_store_open(db, &st), CS_OK);
	assert_int_equal(cs_intel_import(in, p, &is), CS_OK);
	assert_int_equal(cs_store_save_intel(st, in, "test", &is, &ver), CS_OK);
	cs_intel_free(in);
	cs_store_close(st);
	free(p);
	snprintf(root, sizeof(root), "%s/root", dir);
	snprintf(logdir, sizeof(logdir), "%s/var", root);
	assert_int_equal(mkdir(root, 0700), 0);
	assert_int_equal(mkdir(logdir, 0700), 0);
	snprintf(logdir, sizeof(logdir), "%s/var/log", root);
	assert_int_equal(mkdir(logdir, 0700), 0);
	p = cs_test_write(logdir, "syslog", syslog, strlen(syslog));
	free(p);
	spec_init(&sp, dir, db, root, work, sizeof(work));
	sp.files = 0;
	sp.logs = 1;
	memset(&se, 0, sizeof(se));
	assert_int_equal(cs_fleet_run(&sp, NULL, &res, on_detail, &se, NULL, 0), CS_OK);
	print_message("state %s exit %d detail '%s' coverage %s\n",
	              cs_fleet_run_state_name(res.state), res.exit_code, res.detail, res.coverage);
	assert_int_equal(res.state, CS_FLEET_RUN_DONE);
	assert_int_equal(res.exit_code, 1);
	assert_int_equal(se.findings, 1);
	assert_string_equal(se.value, "evil-fleet-test.example");
	assert_non_null(strstr(res.coverage, "\"files_read\":0"));
	cs_fleet_run_result_release(&res);
	cs_test_rmtree(dir);
	free(dir);
}

/* A binary that cannot be run, and a spec without what is needed. */
static void test_bad_spec(void **state)
{
	char *dir = cs_test_tmpdir(), work[512], err[256];
	struct cs_fleet_run_spec sp;
	struct cs_fleet_run_result res;

	(void)state;
	spec_init(&sp, dir, "/nonexistent/case.db", dir, work, sizeof(work));
	sp.exe = "/nonexistent/chainsweep";
	assert_int_equal(cs_fleet_run(&sp, NULL, &res, NULL, NULL, err, sizeof(err)), CS_ERR_IO);
	assert_int_equal(res.state, CS_FLEET_RUN_ERROR);
	assert_non_null(strstr(err, "cannot run /nonexistent/chainsweep"));
	sp.root = "relative/root";
	assert_int_equal(cs_fleet_run(&sp, NULL, &res, NULL, NULL, err, sizeof(err)),
	                 CS_ERR_INVALID);
	assert_non_null(strstr(err, "not an absolute path"));
	sp.host = NULL;
	assert_int_equal(cs_fleet_run(&sp, NULL, &res, NULL, NULL, err, sizeof(err)),
	                 CS_ERR_INVALID);
	assert_int_equal(res.state, CS_FLEET_RUN_ERROR);
	cs_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_planted_finding),  cmocka_unit_test(test_cap_and_clean),
	        cmocka_unit_test(test_runtime_limit),    cmocka_unit_test(test_stop_flag),
	        cmocka_unit_test(test_kill_after_grace), cmocka_unit_test(test_software_rows),
	        cmocka_unit_test(test_logs_only),        cmocka_unit_test(test_no_leaked_fds),
	        cmocka_unit_test(test_agent_death),      cmocka_unit_test(test_bad_spec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

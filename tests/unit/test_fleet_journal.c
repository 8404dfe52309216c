/* Unit tests of the fleet agent's journal: runs, ends, a torn last line,
 * invalid lines, a restart after a crash mid-run, compaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "chainsweep/fleet_agent.h"
#include "testutil.h"

static struct cs_fleet_journal *jopen(const char *path)
{
	struct cs_fleet_journal *j = NULL;
	int rc = cs_fleet_journal_open(path, &j);

	if (rc)
		print_message("journal: %s\n", cs_fleet_journal_errmsg(j));
	assert_int_equal(rc, CS_OK);
	return j;
}

static void expect(struct cs_fleet_journal *j, const char *hunt, enum cs_fleet_hunt_state st,
                   int64_t run)
{
	enum cs_fleet_hunt_state s = (enum cs_fleet_hunt_state)99;
	int64_t r = -1;

	assert_int_equal(cs_fleet_journal_state(j, hunt, &s, &r), CS_OK);
	assert_int_equal(s, st);
	assert_int_equal(r, run);
}

static void test_start_end_reopen(void **state)
{
	char *dir = cs_test_tmpdir(), path[512];
	struct cs_fleet_journal *j;
	int64_t run = 0;
	char *text;
	size_t tlen;

	(void)state;
	snprintf(path, sizeof(path), "%s/journal", dir);
	j = jopen(path);
	expect(j, "h-20261205-1", CS_FLEET_HUNT_NONE, 0);
	assert_int_equal(cs_fleet_journal_start(j, "h-20261205-1", &run), CS_OK);
	assert_int_equal(run, 1);
	expect(j, "h-20261205-1", CS_FLEET_HUNT_STARTED, 1);
	assert_int_equal(cs_fleet_journal_end(j, "h-20261205-1", 1, "done"), CS_OK);
	expect(j, "h-20261205-1", CS_FLEET_HUNT_ENDED, 1);
	cs_fleet_journal_close(j);

	text = cs_test_slurp(path, &tlen);
	assert_true(strncmp(text, "start h-20261205-1 1 ", 21) == 0);
	assert_non_null(strstr(text, "\nend h-20261205-1 1 done "));
	free(text);

	j = jopen(path);
	assert_int_equal(cs_fleet_journal_skipped(j, NULL), 0);
	expect(j, "h-20261205-1", CS_FLEET_HUNT_ENDED, 1);
	assert_string_equal(cs_fleet_journal_end_state(j, "h-20261205-1"), "done");
	/* An ended hunt is never run again. */
	assert_int_equal(cs_fleet_journal_start(j, "h-20261205-1", &run), CS_ERR_INVALID);
	assert_non_null(strstr(cs_fleet_journal_errmsg(j), "not run again"));
	/* Ids outside [A-Za-z0-9_.:-]{1,64}, and bad states, are refused. */
	assert_int_equal(cs_fleet_journal_start(j, "a b", &run), CS_ERR_INVALID);
	assert_int_equal(cs_fleet_journal_start(j, "", &run), CS_ERR_INVALID);
	assert_int_equal(cs_fleet_journal_start(j, "x/../y", &run), CS_ERR_INVALID);
	assert_int_equal(cs_fleet_journal_end(j, "h2", 1, "Done"), CS_ERR_INVALID);
	assert_int_equal(cs_fleet_journal_end(j, "h2", -1, "done"), CS_ERR_INVALID);
	/* A hunt this host never ran (not addressed to it) ends with run 0,
	 * survives a reopen, and is not started afterwards. */
	assert_int_equal(cs_fleet_journal_end(j, "h-never", 0, "untargeted"), CS_OK);
	cs_fleet_journal_close(j);
	j = jopen(path);
	assert_int_equal(cs_fleet_journal_skipped(j, NULL), 0);
	expect(j, "h-never", CS_FLEET_HUNT_ENDED, 0);
	assert_string_equal(cs_fleet_journal_end_state(j, "h-never"), "untargeted");
	assert_int_equal(cs_fleet_journal_start(j, "h-never", &run), CS_ERR_INVALID);
	assert_true(cs_fleet_hunt_id_ok(
	        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	assert_false(cs_fleet_hunt_id_ok(
	        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	cs_fleet_journal_close(j);
	cs_test_rmtree(dir);
	free(dir);
}

/* The agent died while writing its last line: that line is ignored,
 * reported, and cut off so that the next line starts on its own. */
static void test_torn_tail(void **state)
{
	static const char data[] = "start h1 1 1796000000\n"
	                           "end h1 1 done 1796000100\n"
	                           "start h2 1 17960";
	char *dir = cs_test_tmpdir(), *path = cs_test_write(dir, "journal", data, strlen(data));
	struct cs_fleet_journal *j;
	const char *why = NULL;
	int64_t run = 0;
	struct stat sb;

	(void)state;
	j = jopen(path);
	assert_int_equal(cs_fleet_journal_skipped(j, &why), 1);
	assert_non_null(strstr(why, "journal:3: torn last line"));
	expect(j, "h1", CS_FLEET_HUNT_ENDED, 1);
	expect(j, "h2", CS_FLEET_HUNT_NONE, 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size,
	                 (off_t)strlen("start h1 1 1796000000\nend h1 1 done 1796000100\n"));
	assert_int_equal(cs_fleet_journal_start(j, "h2", &run), CS_OK);
	assert_int_equal(run, 1);
	cs_fleet_journal_close(j);

	j = jopen(path);
	assert_int_equal(cs_fleet_journal_skipped(j, NULL), 0);
	expect(j, "h2", CS_FLEET_HUNT_STARTED, 1);
	cs_fleet_journal_close(j);
	free(path);
	cs_test_rmtree(dir);
	free(dir);
}

/* Lines that do not parse are skipped and counted, never fatal. */
static void test_invalid_lines(void **state)
{
	char long_line[400];
	char *dir = cs_test_tmpdir(), *path, data[1024];
	struct cs_fleet_journal *j;
	const char *why = NULL;
	size_t len;

	(void)state;
	memset(long_line, 'a', sizeof(long_line) - 1);
	long_line[sizeof(long_line) - 1] = '\0';
	snprintf(data, sizeof(data),
	         "start ok-1 1 5\n"
	         "start bad/id 1 5\n"
	         "start h 0 5\n"
	         "bogus\n"
	         "end ok-1 1 DONE 5\n"
	         "start  ok-2 1 5\n"
	         "start ok-3 1 5 6\n"
	         "%s\n"
	         "end ok-1 1 incomplete 6\n",
	         long_line);
	/* A NUL inside an id ("ok\0x"): not the hunt "ok". */
	len = strlen(data);
	memcpy(data + len, "start ok\0x 1 5\n", 15);
	path = cs_test_write(dir, "journal", data, len + 15);
	j = jopen(path);
	assert_int_equal(cs_fleet_journal_skipped(j, &why), 8);
	expect(j, "ok", CS_FLEET_HUNT_NONE, 0);
	assert_non_null(strstr(why, "journal:2: not a journal line"));
	expect(j, "ok-1", CS_FLEET_HUNT_ENDED, 1);
	assert_string_equal(cs_fleet_journal_end_state(j, "ok-1"), "incomplete");
	expect(j, "ok-2", CS_FLEET_HUNT_NONE, 0);
	expect(j, "h", CS_FLEET_HUNT_NONE, 0);
	cs_fleet_journal_close(j);
	free(path);
	cs_test_rmtree(dir);
	free(dir);
}

struct each_acc {
	int n, started;
};

static int on_each(void *ud, const char *hunt, enum cs_fleet_hunt_state st, int64_t last_run)
{
	struct each_acc *a = ud;

	(void)hunt;
	(void)last_run;
	a->n++;
	a->started += st == CS_FLEET_HUNT_STARTED;
	return 0;
}

/* A restart sees a hunt started and never ended (the agent was killed
 * during the run): it is run again as run 2. */
static void test_restart_started_without_end(void **state)
{
	char *dir = cs_test_tmpdir(), path[512];
	struct cs_fleet_journal *j;
	struct each_acc acc = {0, 0};
	int64_t run = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/journal", dir);
	j = jopen(path);
	assert_int_equal(cs_fleet_journal_start(j, "h-crash", &run), CS_OK);
	assert_int_equal(run, 1);
	cs_fleet_journal_close(j); /* as if killed: no end */

	j = jopen(path);
	expect(j, "h-crash", CS_FLEET_HUNT_STARTED, 1);
	assert_int_equal(cs_fleet_journal_each(j, on_each, &acc), CS_OK);
	assert_int_equal(acc.n, 1);
	assert_int_equal(acc.started, 1);
	assert_int_equal(cs_fleet_journal_start(j, "h-crash", &run), CS_OK);
	assert_int_equal(run, 2);
	assert_int_equal(cs_fleet_journal_end(j, "h-crash", 2, "incomplete"), CS_OK);
	cs_fleet_journal_close(j);

	j = jopen(path);
	expect(j, "h-crash", CS_FLEET_HUNT_ENDED, 2);
	cs_fleet_journal_close(j);
	cs_test_rmtree(dir);
	free(dir);
}

static int count_lines(const char *path)
{
	size_t tlen;
	char *t = cs_test_slurp(path, &tlen), *p;
	int n = 0;

	for (p = t; *p; p++)
		n += *p == '\n';
	free(t);
	return n;
}

/* Past the compaction size the file is rewritten with one line per hunt,
 * its newest state; what the journal says is unchanged. */
static void test_compaction(void **state)
{
	char *dir = cs_test_tmpdir(), path[512], tmp[600], hunt[32];
	struct cs_fleet_journal *j;
	struct stat sb;
	int64_t run = 0;
	int i, k;

	(void)state;
	snprintf(path, sizeof(path), "%s/journal", dir);
	j = jopen(path);
	cs_fleet_journal_set_compact_bytes(j, 400);
	for (i = 0; i < 10; i++) {
		snprintf(hunt, sizeof(hunt), "hunt-%d", i);
		for (k = 0; k < 3; k++)
			assert_int_equal(cs_fleet_journal_start(j, hunt, &run), CS_OK);
		if (i % 2 == 0)
			assert_int_equal(cs_fleet_journal_end(j, hunt, run, "done"), CS_OK);
	}
	cs_fleet_journal_close(j);
	assert_int_equal(stat(path, &sb), 0);
	/* 35 lines of about 30 bytes were written: only compaction keeps the
	 * file near 400 bytes. */
	assert_true(sb.st_size <= 800);
	assert_true(count_lines(path) < 35);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_not_equal(stat(tmp, &sb), 0);

	j = jopen(path);
	assert_int_equal(cs_fleet_journal_skipped(j, NULL), 0);
	for (i = 0; i < 10; i++) {
		snprintf(hunt, sizeof(hunt), "hunt-%d", i);
		expect(j, hunt, i % 2 == 0 ? CS_FLEET_HUNT_ENDED : CS_FLEET_HUNT_STARTED, 3);
	}
	cs_fleet_journal_close(j);
	cs_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_start_end_reopen),
	        cmocka_unit_test(test_torn_tail),
	        cmocka_unit_test(test_invalid_lines),
	        cmocka_unit_test(test_restart_started_without_end),
	        cmocka_unit_test(test_compaction),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests of the fleet agent's spool: FIFO order, the cap and its drop
 * policy, recovery after a restart, damaged message files. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "chainsweep/fleet_agent.h"
#include "testutil.h"

static struct cs_fleet_spool *sopen(const char *dir, uint64_t max)
{
	struct cs_fleet_spool *sp = NULL;
	int rc = cs_fleet_spool_open(dir, max, &sp);

	if (rc)
		print_message("spool: %s\n", cs_fleet_spool_errmsg(sp));
	assert_int_equal(rc, CS_OK);
	return sp;
}

/* Put a message whose payload is 100 bytes of `fill`, msgid "<hunt>:<n>". */
static int put(struct cs_fleet_spool *sp, const char *hunt, int detail, int n)
{
	char data[100], subject[128], msgid[128];

	memset(data, 'a' + n % 26, sizeof(data));
	snprintf(subject, sizeof(subject), "res.ws-17.%s", hunt);
	snprintf(msgid, sizeof(msgid), "%s:ws-17:1:%03d", hunt, n);
	return cs_fleet_spool_put(sp, hunt, detail, subject, msgid, data, sizeof(data));
}

/* Peek and pop the oldest; check it is (hunt, n). */
static void take(struct cs_fleet_spool *sp, const char *hunt, int detail, int n)
{
	struct cs_fleet_spool_item it;
	char msgid[128];
	int rc = cs_fleet_spool_peek(sp, &it);

	if (rc)
		print_message("peek: %s\n", cs_fleet_spool_errmsg(sp));
	assert_int_equal(rc, CS_OK);
	snprintf(msgid, sizeof(msgid), "%s:ws-17:1:%03d", hunt, n);
	assert_string_equal(it.msgid, msgid);
	assert_string_equal(it.hunt, hunt);
	assert_int_equal(it.is_detail, detail);
	assert_int_equal(it.len, 100);
	assert_true(strncmp(it.subject, "res.ws-17.", 10) == 0);
	assert_int_equal(((const char *)it.data)[99], 'a' + n % 26);
	assert_int_equal(cs_fleet_spool_pop(sp), CS_OK);
}

static void test_fifo_order(void **state)
{
	char *dir = cs_test_tmpdir(), sdir[512];
	struct cs_fleet_spool *sp;
	struct cs_fleet_spool_item it;
	int i;

	(void)state;
	snprintf(sdir, sizeof(sdir), "%s/spool", dir);
	sp = sopen(sdir, 1 << 20);
	for (i = 0; i < 6; i++)
		assert_int_equal(put(sp, i % 2 ? "hB" : "hA", i != 5, i), CS_OK);
	assert_int_equal(cs_fleet_spool_count(sp), 6);
	assert_true(cs_fleet_spool_bytes(sp) > 600);
	for (i = 0; i < 6; i++)
		take(sp, i % 2 ? "hB" : "hA", i != 5, i);
	assert_int_equal(cs_fleet_spool_peek(sp, &it), CS_ERR_EMPTY);
	assert_int_equal(cs_fleet_spool_pop(sp), CS_ERR_EMPTY);
	assert_int_equal(cs_fleet_spool_bytes(sp), 0);
	/* Bad arguments. */
	assert_int_equal(cs_fleet_spool_put(sp, "bad id", 1, "s", "m", "x", 1), CS_ERR_INVALID);
	assert_int_equal(cs_fleet_spool_put(sp, "h", 1, "", "m", "x", 1), CS_ERR_INVALID);
	assert_int_equal(cs_fleet_spool_put(sp, "h", 1, "s", NULL, "x", 1), CS_ERR_INVALID);
	cs_fleet_spool_close(sp);
	cs_test_rmtree(dir);
	free(dir);
}

/*
 * The cap: the oldest hunts' details go first, statuses stay; an incoming
 * detail is dropped before the older details of its own hunt; a status
 * that cannot fit even alone with the other statuses is refused.
 */
static void test_cap_and_drops(void **state)
{
	char *dir = cs_test_tmpdir(), sdir[512];
	struct cs_fleet_spool *sp;
	uint64_t one;
	int i;

	(void)state;
	snprintf(sdir, sizeof(sdir), "%s/spool", dir);
	/* Measure one message (all have the same size here). */
	sp = sopen(sdir, 1 << 20);
	assert_int_equal(put(sp, "hA", 1, 0), CS_OK);
	one = cs_fleet_spool_bytes(sp);
	assert_int_equal(cs_fleet_spool_pop(sp), CS_OK);
	cs_fleet_spool_close(sp);

	sp = sopen(sdir, one * 6);
	assert_int_equal(put(sp, "hA", 1, 1), CS_OK);
	assert_int_equal(put(sp, "hA", 1, 2), CS_OK);
	assert_int_equal(put(sp, "hA", 0, 3), CS_OK); /* status of A */
	assert_int_equal(put(sp, "hB", 1, 4), CS_OK);
	assert_int_equal(put(sp, "hB", 1, 5), CS_OK);
	assert_int_equal(put(sp, "hB", 1, 6), CS_OK);
	assert_int_equal(cs_fleet_spool_bytes(sp), one * 6);
	/* Full: B's next detail drops A's oldest detail. */
	assert_int_equal(put(sp, "hB", 1, 7), CS_OK);
	assert_int_equal(cs_fleet_spool_dropped(sp, "hA"), 1);
	assert_int_equal(cs_fleet_spool_dropped(sp, "hB"), 0);
	assert_int_equal(put(sp, "hB", 1, 8), CS_OK);
	assert_int_equal(cs_fleet_spool_dropped(sp, "hA"), 2);
	/* A has only its status left: B's incoming detail is dropped itself,
	 * B's older details stay. */
	assert_int_equal(put(sp, "hB", 1, 9), CS_OK);
	assert_int_equal(cs_fleet_spool_dropped(sp, "hB"), 1);
	assert_int_equal(cs_fleet_spool_count(sp), 6);
	/* A status of B makes room by dropping B's oldest detail. */
	assert_int_equal(put(sp, "hB", 0, 10), CS_OK);
	assert_int_equal(cs_fleet_spool_dropped(sp, "hB"), 2);
	assert_int_equal(cs_fleet_spool_bytes(sp), one * 6);
	cs_fleet_spool_close(sp);

	/* The counts survive a restart, and so does the order. */
	sp = sopen(sdir, one * 6);
	assert_int_equal(cs_fleet_spool_dropped(sp, "hA"), 2);
	assert_int_equal(cs_fleet_spool_dropped(sp, "hB"), 2);
	take(sp, "hA", 0, 3);
	take(sp, "hB", 1, 5);
	take(sp, "hB", 1, 6);
	take(sp, "hB", 1, 7);
	take(sp, "hB", 1, 8);
	take(sp, "hB", 0, 10);
	assert_int_equal(cs_fleet_spool_count(sp), 0);

	/* Statuses only: never dropped; one too many is refused, clearly. */
	for (i = 0; i < 6; i++)
		assert_int_equal(put(sp, "hC", 0, 20 + i), CS_OK);
	assert_int_equal(put(sp, "hC", 0, 26), CS_ERR_TOOBIG);
	assert_non_null(strstr(cs_fleet_spool_errmsg(sp), "spool full"));
	/* A detail then has no room at all: dropped and counted. */
	assert_int_equal(put(sp, "hC", 1, 27), CS_OK);
	assert_int_equal(cs_fleet_spool_dropped(sp, "hC"), 1);
	assert_int_equal(cs_fleet_spool_count(sp), 6);
	assert_int_equal(cs_fleet_spool_forget(sp, "hC"), CS_OK);
	assert_int_equal(cs_fleet_spool_dropped(sp, "hC"), 0);
	cs_fleet_spool_close(sp);
	sp = sopen(sdir, one * 6);
	assert_int_equal(cs_fleet_spool_dropped(sp, "hC"), 0);
	assert_int_equal(cs_fleet_spool_dropped(sp, "hA"), 2);
	cs_fleet_spool_close(sp);
	cs_test_rmtree(dir);
	free(dir);
}

/* Messages put survive a restart; a put that died before its rename (a
 * .tmp file) is not a message; a pop is not undone. */
static void test_restart_recovery(void **state)
{
	char *dir = cs_test_tmpdir(), sdir[512], *p;
	struct cs_fleet_spool *sp;
	struct cs_fleet_spool_item it;
	uint64_t bytes;
	struct stat sb;
	int i;

	(void)state;
	snprintf(sdir, sizeof(sdir), "%s/spool", dir);
	sp = sopen(sdir, 1 << 20);
	for (i = 0; i < 4; i++)
		assert_int_equal(put(sp, "hR", i < 3, i), CS_OK);
	take(sp, "hR", 1, 0);
	bytes = cs_fleet_spool_bytes(sp);
	cs_fleet_spool_close(sp);
	p = cs_test_write(sdir, "00000000000000000009.tmp", "CSSPOOL1 d hR", 13);

	sp = sopen(sdir, 1 << 20);
	assert_int_equal(cs_fleet_spool_count(sp), 3);
	assert_int_equal(cs_fleet_spool_bytes(sp), bytes);
	assert_int_equal(cs_fleet_spool_corrupt(sp, NULL), 0);
	assert_int_not_equal(stat(p, &sb), 0);
	take(sp, "hR", 1, 1);
	/* Peeked, not popped (no acknowledgement before the "crash"). */
	assert_int_equal(cs_fleet_spool_peek(sp, &it), CS_OK);
	cs_fleet_spool_close(sp);

	sp = sopen(sdir, 1 << 20);
	take(sp, "hR", 1, 2);
	/* New messages go after the old ones. */
	assert_int_equal(put(sp, "hR", 1, 7), CS_OK);
	take(sp, "hR", 0, 3);
	take(sp, "hR", 1, 7);
	cs_fleet_spool_close(sp);
	free(p);
	cs_test_rmtree(dir);
	free(dir);
}

static char *item_path(const char *sdir, int seq)
{
	char *p = malloc(600);

	assert_non_null(p);
	snprintf(p, 600, "%s/%020d.msg", sdir, seq);
	return p;
}

/* Damaged files: reported, deleted, skipped; a detail whose header could
 * be read counts as dropped for its hunt. */
static void test_corrupt_items(void **state)
{
	char *dir = cs_test_tmpdir(), sdir[512], *p2, *p3, *p5, *junk;
	struct cs_fleet_spool *sp;
	struct cs_fleet_spool_item it;
	const char *why = NULL;
	struct stat sb;
	int fd, i;

	(void)state;
	snprintf(sdir, sizeof(sdir), "%s/spool", dir);
	sp = sopen(sdir, 1 << 20);
	for (i = 1; i <= 5; i++)
		assert_int_equal(put(sp, "hX", 1, i), CS_OK);
	cs_fleet_spool_close(sp);
	p2 = item_path(sdir, 2);
	p3 = item_path(sdir, 3);
	p5 = item_path(sdir, 5);
	/* 2: truncated (a torn copy); 3: a flipped payload byte; 5: not ours. */
	assert_int_equal(stat(p2, &sb), 0);
	assert_int_equal(truncate(p2, sb.st_size - 7), 0);
	fd = open(p3, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "Z", 1, sb.st_size - 3), 1);
	close(fd);
	junk = cs_test_write(sdir, "00000000000000000005.msg", "hello\n", 6);

	sp = sopen(sdir, 1 << 20);
	/* Found at open: the truncated one and the foreign one. */
	assert_int_equal(cs_fleet_spool_corrupt(sp, &why), 2);
	assert_non_null(strstr(why, ".msg: "));
	assert_int_equal(cs_fleet_spool_count(sp), 3);
	take(sp, "hX", 1, 1);
	/* 3 fails its checksum at peek: skipped to 4. */
	take(sp, "hX", 1, 4);
	assert_int_equal(cs_fleet_spool_corrupt(sp, NULL), 3);
	assert_int_equal(cs_fleet_spool_peek(sp, &it), CS_ERR_EMPTY);
	assert_int_equal(cs_fleet_spool_dropped(sp, "hX"), 2);
	assert_int_not_equal(stat(p2, &sb), 0);
	assert_int_not_equal(stat(p3, &sb), 0);
	assert_int_not_equal(stat(p5, &sb), 0);
	assert_int_equal(cs_fleet_spool_bytes(sp), 0);
	cs_fleet_spool_close(sp);
	free(p2);
	free(p3);
	free(p5);
	free(junk);
	cs_test_rmtree(dir);
	free(dir);
}

/* A file whose checksum holds but whose subject has a NUL byte (no put
 * writes one): damaged, not a subject cut short. */
static void test_nul_in_subject(void **state)
{
	static const char head[] = "CSSPOOL1 d hN 3 2 2";
	static const char body[] = "a\0bm1{}";
	char *dir = cs_test_tmpdir(), sdir[512], file[256], *p;
	struct cs_fleet_spool *sp;
	struct cs_fleet_spool_item it;
	uLong crc;
	int n;

	(void)state;
	snprintf(sdir, sizeof(sdir), "%s/spool", dir);
	sp = sopen(sdir, 1 << 20);
	cs_fleet_spool_close(sp);
	crc = crc32(0L, (const Bytef *)head, (uInt)strlen(head));
	crc = crc32(crc, (const Bytef *)body, 7);
	n = snprintf(file, sizeof(file), "%s %08lx\n", head, crc & 0xffffffffUL);
	memcpy(file + n, body, 7);
	p = cs_test_write(sdir, "00000000000000000001.msg", file, (size_t)n + 7);
	sp = sopen(sdir, 1 << 20);
	assert_int_equal(cs_fleet_spool_count(sp), 1);
	assert_int_equal(cs_fleet_spool_peek(sp, &it), CS_ERR_EMPTY);
	assert_int_equal(cs_fleet_spool_corrupt(sp, NULL), 1);
	assert_int_equal(cs_fleet_spool_dropped(sp, "hN"), 1);
	cs_fleet_spool_close(sp);
	free(p);
	cs_test_rmtree(dir);
	free(dir);
}

/* The writer, killed -9 at a random moment, over and over: every
 * message whose put returned and that was not popped is there after a
 * restart, in order, and no file is found damaged. */
static void test_kill9(void **state)
{
	char *dir = cs_test_tmpdir(), sdir[512];
	int round;

	(void)state;
	snprintf(sdir, sizeof(sdir), "%s/spool", dir);
	srand((unsigned)time(NULL));
	for (round = 0; round < 6; round++) {
		static char put_ok[100000], popping[100000];
		struct cs_fleet_spool *sp;
		struct cs_fleet_spool_item it;
		struct timespec ts;
		int pfd[2], n, last = -1, base = round * 10000;
		pid_t pid;
		FILE *fp;
		char line[64];

		assert_int_equal(pipe(pfd), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(pfd[0]);
			sp = NULL;
			if (cs_fleet_spool_open(sdir, 1 << 24, &sp))
				_exit(1);
			for (n = base;; n++) {
				char msg[32];
				int k;

				if (put(sp, "hK", 1, n))
					_exit(2);
				k = snprintf(msg, sizeof(msg), "P %d\n", n);
				if (write(pfd[1], msg, (size_t)k) != k)
					_exit(3);
				if (n % 3 == 0 && cs_fleet_spool_peek(sp, &it) == CS_OK) {
					k = snprintf(msg, sizeof(msg), "A %s\n", it.msgid);
					if (write(pfd[1], msg, (size_t)k) != k)
						_exit(3);
					cs_fleet_spool_pop(sp);
				}
			}
		}
		close(pfd[1]);
		ts.tv_sec = 0;
		ts.tv_nsec = (5 + rand() % 40) * 1000000L;
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		memset(put_ok, 0, sizeof(put_ok));
		memset(popping, 0, sizeof(popping));
		fp = fdopen(pfd[0], "r");
		assert_non_null(fp);
		while (fgets(line, sizeof(line), fp)) {
			int v;

			if (sscanf(line, "P %d", &v) == 1 && v < 100000)
				put_ok[v] = 1;
			else if (sscanf(line, "A hK:ws-17:1:%d", &v) == 1 && v < 100000)
				popping[v] = 1;
		}
		fclose(fp);
		sp = sopen(sdir, 1 << 24);
		assert_int_equal(cs_fleet_spool_corrupt(sp, NULL), 0);
		while (cs_fleet_spool_peek(sp, &it) == CS_OK) {
			assert_int_equal(sscanf(it.msgid, "hK:ws-17:1:%d", &n), 1);
			assert_true(n > last);
			last = n;
			put_ok[n] = 0;
			assert_int_equal(cs_fleet_spool_pop(sp), CS_OK);
		}
		for (n = 0; n < 100000; n++)
			if (put_ok[n] && !popping[n])
				fail_msg("round %d: message %d was put and never popped, and is "
				         "lost",
				         round, n);
		cs_fleet_spool_close(sp);
	}
	cs_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_fifo_order),       cmocka_unit_test(test_cap_and_drops),
	        cmocka_unit_test(test_restart_recovery), cmocka_unit_test(test_corrupt_items),
	        cmocka_unit_test(test_nul_in_subject),   cmocka_unit_test(test_kill9),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

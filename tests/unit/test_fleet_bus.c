/* The fleet's transport against a real three-node JetStream cluster on
 * loopback (tests/fleet/nats.sh), started and stopped by this test:
 * bucket and stream set-up, direct gets, publish de-duplication, the
 * collector's fetch and ack, a full results stream, and a stream leader
 * killed while results are published. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chainsweep/error.h"
#include "chainsweep/fleet_bus.h"

static char g_dir[PATH_MAX];
static char g_script[PATH_MAX];
static char g_urls[1024];
static char *g_servers[3];
static size_t g_nservers;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[2 * PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int start_cluster(void **state)
{
	const char *src = getenv("CS_SOURCE_DIR"), *build = getenv("CS_BUILD_DIR");
	FILE *p;
	char cmd[2 * PATH_MAX], *tok, *save = NULL;

	(void)state;
	snprintf(g_script, sizeof(g_script), "%s/tests/fleet/nats.sh", src ? src : ".");
	snprintf(g_dir, sizeof(g_dir), "%s/fleet-test/bus-%d", build ? build : ".", (int)getpid());
	sh("sh \"$(dirname '%s')/srvdir.sh\" -r '%s'", g_script, g_dir);
	snprintf(cmd, sizeof(cmd), "'%s' start '%s' 3", g_script, g_dir);
	p = popen(cmd, "r");
	if (!p || !fgets(g_urls, sizeof(g_urls), p)) {
		if (p)
			pclose(p);
		sh("'%s' stop '%s'", g_script, g_dir);
		return -1;
	}
	if (pclose(p) != 0) {
		/* Nodes that did start must not outlive the test. */
		sh("'%s' stop '%s'", g_script, g_dir);
		return -1;
	}
	g_urls[strcspn(g_urls, "\n")] = '\0';
	for (tok = strtok_r(g_urls, ",", &save); tok && g_nservers < 3;
	     tok = strtok_r(NULL, ",", &save))
		g_servers[g_nservers++] = tok;
	return g_nservers == 3 ? 0 : -1;
}

static int stop_cluster(void **state)
{
	(void)state;
	sh("'%s' stop '%s'", g_script, g_dir);
	sh("sh \"$(dirname '%s')/srvdir.sh\" -r '%s'", g_script, g_dir);
	return 0;
}

static struct cs_fleet_bus *connect_op(const char *name)
{
	struct cs_fleet_bus_opts o = { 0 };
	struct cs_fleet_bus *b = NULL;
	char err[512];

	o.servers = (const char *const *)g_servers;
	o.nservers = g_nservers;
	o.name = name;
	o.timeout_ms = 5000;
	if (cs_fleet_bus_connect(&o, &b, err, sizeof(err)) != CS_OK)
		fail_msg("connect: %s", err);
	return b;
}

static void setup_streams(struct cs_fleet_bus *b, int64_t max_bytes)
{
	struct cs_fleet_setup st = { 0 };
	char err[512];

	st.replicas = 3;
	st.results_max_bytes = max_bytes;
	st.ack_wait_ms = 2000;
	if (cs_fleet_bus_setup(b, &st, err, sizeof(err)) != CS_OK)
		fail_msg("setup: %s", err);
}

static void test_kv(void **state)
{
	struct cs_fleet_bus *b = connect_op("op");
	unsigned char *data = NULL;
	size_t len = 0;
	int i;
	char err[512];

	(void)state;
	setup_streams(b, 64 * 1024 * 1024);
	/* Set-up is idempotent: a second run keeps what is there. */
	setup_streams(b, 64 * 1024 * 1024);
	assert_int_equal(cs_fleet_bus_kv_get(b, "hunts.index", &data, &len, err, sizeof(err)),
			 CS_ERR_NOTFOUND);
	assert_int_equal(cs_fleet_bus_kv_put(b, "hunts.index", "[\"h1\"]", 6, err, sizeof(err)),
			 CS_OK);
	assert_int_equal(cs_fleet_bus_kv_put(b, "hunts.index", "[\"h1\",\"h2\"]", 11, err,
					     sizeof(err)),
			 CS_OK);
	/* Read from the leader: the last write, always. */
	assert_int_equal(cs_fleet_bus_kv_get_exact(b, "hunts.index", &data, &len, err, sizeof(err)),
			 CS_OK);
	assert_int_equal(len, 11);
	assert_memory_equal(data, "[\"h1\",\"h2\"]", 11);
	free(data);
	/* A direct get may be answered by a follower a moment behind; it
	 * catches up. */
	for (i = 0; i < 50; i++) {
		assert_int_equal(cs_fleet_bus_kv_get(b, "hunts.index", &data, &len, err,
						     sizeof(err)),
				 CS_OK);
		if (len == 11 && memcmp(data, "[\"h1\",\"h2\"]", 11) == 0)
			break;
		free(data);
		data = NULL;
		usleep(100 * 1000);
	}
	assert_true(i < 50);
	free(data);
	assert_int_equal(cs_fleet_bus_kv_delete(b, "hunts.index", err, sizeof(err)), CS_OK);
	/* The leader knows at once; a follower answering a direct get
	 * learns of the delete a moment later. */
	assert_int_equal(cs_fleet_bus_kv_get_exact(b, "hunts.index", &data, &len, err, sizeof(err)),
			 CS_ERR_NOTFOUND);
	for (i = 0; i < 50; i++) {
		int rc = cs_fleet_bus_kv_get(b, "hunts.index", &data, &len, err, sizeof(err));

		if (rc == CS_ERR_NOTFOUND)
			break;
		assert_int_equal(rc, CS_OK);
		free(data);
		data = NULL;
		usleep(100 * 1000);
	}
	assert_true(i < 50);
	cs_fleet_bus_close(b);
}

/* Drain every message the collector's consumer has, acknowledging each;
 * returns how many came. */
static int drain(struct cs_fleet_bus *b, char seen[][64], int max)
{
	struct cs_fleet_msg_in m;
	char err[512];
	int n = 0, rc;

	while ((rc = cs_fleet_bus_fetch(b, 1500, &m, err, sizeof(err))) == CS_OK) {
		if (n < max)
			snprintf(seen[n], 64, "%s", m.msgid);
		n++;
		assert_int_equal(cs_fleet_bus_ack(b, &m, err, sizeof(err)), CS_OK);
		cs_fleet_bus_msg_free(&m);
	}
	assert_int_equal(rc, CS_ERR_TIMEOUT);
	return n;
}

static void test_publish_dedup_fetch(void **state)
{
	struct cs_fleet_bus *b = connect_op("agent");
	struct cs_fleet_bus *c = connect_op("collector");
	char seen[16][64], err[512];
	int dup = -1;

	(void)state;
	setup_streams(b, 64 * 1024 * 1024);
	drain(c, seen, 16);
	assert_int_equal(cs_fleet_bus_publish(b, "res.ws1.h1", "h1:ws1:1:1", "{}", 2, &dup, err,
					      sizeof(err)),
			 CS_OK);
	assert_int_equal(dup, 0);
	assert_int_equal(cs_fleet_bus_publish(b, "res.ws1.h1", "h1:ws1:1:1", "{}", 2, &dup, err,
					      sizeof(err)),
			 CS_OK);
	assert_int_equal(dup, 1);
	assert_int_equal(cs_fleet_bus_publish(b, "res.ws1.h1", "h1:ws1:1:2", "{}", 2, &dup, err,
					      sizeof(err)),
			 CS_OK);
	assert_int_equal(drain(c, seen, 16), 2);
	assert_string_equal(seen[0], "h1:ws1:1:1");
	assert_string_equal(seen[1], "h1:ws1:1:2");
	cs_fleet_bus_close(c);
	cs_fleet_bus_close(b);
}

/* A message fetched and never acknowledged (a collector killed before its
 * commit) comes again after the ack wait, marked as redelivered. */
static void test_redelivery(void **state)
{
	struct cs_fleet_bus *b = connect_op("agent");
	struct cs_fleet_bus *c = connect_op("collector");
	struct cs_fleet_bus_stats st;
	struct cs_fleet_msg_in m;
	char seen[4][64], err[512];

	(void)state;
	setup_streams(b, 64 * 1024 * 1024);
	drain(c, seen, 4);
	assert_int_equal(cs_fleet_bus_publish(b, "res.ws2.h1", "h1:ws2:1:1", "{}", 2, NULL, err,
					      sizeof(err)),
			 CS_OK);
	assert_int_equal(cs_fleet_bus_fetch(c, 2000, &m, err, sizeof(err)), CS_OK);
	assert_int_equal(m.delivered, 1);
	cs_fleet_bus_msg_free(&m); /* no ack */
	cs_fleet_bus_close(c);
	/* What `fleet status` reports meanwhile: one delivered, not committed. */
	assert_int_equal(cs_fleet_bus_stats(b, &st, err, sizeof(err)), CS_OK);
	assert_int_equal(st.ack_pending, 1);
	c = connect_op("collector");
	assert_int_equal(cs_fleet_bus_fetch(c, 5000, &m, err, sizeof(err)), CS_OK);
	assert_string_equal(m.msgid, "h1:ws2:1:1");
	assert_int_equal(m.delivered, 2);
	assert_int_equal(cs_fleet_bus_ack(c, &m, err, sizeof(err)), CS_OK);
	cs_fleet_bus_msg_free(&m);
	cs_fleet_bus_close(c);
	cs_fleet_bus_close(b);
}

/* The stream leader is killed while results are published: every
 * publish succeeds once retried with the same id, the collector sees each
 * message exactly once. */
static void test_leader_kill(void **state)
{
	struct cs_fleet_bus *b = connect_op("agent");
	struct cs_fleet_bus *c = connect_op("collector");
	struct cs_fleet_bus_stats st;
	char seen[64][64], err[512], id[64];
	int i, node = 0, tries, n;

	(void)state;
	setup_streams(b, 64 * 1024 * 1024);
	drain(c, seen, 64);
	assert_int_equal(cs_fleet_bus_stats(b, &st, err, sizeof(err)), CS_OK);
	assert_true(st.leader[0]);
	for (i = 0; i < 40; i++) {
		if (i == 10) {
			char cmd[2 * PATH_MAX];
			FILE *p;

			snprintf(cmd, sizeof(cmd), "'%s' node-of '%s' '%s'", g_script, g_dir,
				 st.leader);
			p = popen(cmd, "r");
			assert_non_null(p);
			assert_int_equal(fscanf(p, "%d", &node), 1);
			pclose(p);
			assert_int_equal(sh("'%s' kill '%s' %d", g_script, g_dir, node), 0);
		}
		snprintf(id, sizeof(id), "h2:ws3:1:%d", i);
		/* The cluster needs a few seconds to elect a new leader (more
		 * on a loaded machine): retry as an agent's spool does. */
		for (tries = 0; tries < 300; tries++) {
			if (cs_fleet_bus_publish(b, "res.ws3.h2", id, "{}", 2, NULL, err,
						 sizeof(err)) == CS_OK)
				break;
			usleep(200 * 1000);
		}
		if (tries == 300)
			fail_msg("publish %d after the leader kill: %s", i, err);
	}
	assert_int_equal(sh("'%s' restart '%s' %d", g_script, g_dir, node), 0);
	n = drain(c, seen, 64);
	assert_int_equal(n, 40);
	for (i = 0; i < 40; i++) {
		snprintf(id, sizeof(id), "h2:ws3:1:%d", i);
		assert_string_equal(seen[i], id);
	}
	cs_fleet_bus_close(c);
	cs_fleet_bus_close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kv),
		cmocka_unit_test(test_publish_dedup_fetch),
		cmocka_unit_test(test_redelivery),
		cmocka_unit_test(test_leader_kill),
	};

	return cmocka_run_group_tests(tests, start_cluster, stop_cluster);
}

/* The agent's loop against a real NATS server on loopback (one node,
 * tests/fleet/nats.sh), with what an attacker who can write the bucket
 * would put there: an unsigned manifest, a bundle chunk changed after
 * signing, a hunt document changed after signing, a hunt signed by
 * another key. Each must be refused and reported in the hunt's status on
 * the RESULTS stream; a genuine hunt must run (a real child sweep of a
 * small folder holding a planted file) and report its finding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chainsweep/error.h"
#include "chainsweep/fleet.h"
#include "chainsweep/fleet_sign.h"
#include "chainsweep/fleet_wire.h"
#include "chainsweep/fleet_hindex.h"
#include "chainsweep/intel.h"
#include "chainsweep/store.h"
#include "testutil.h"

static char g_dir[PATH_MAX], g_script[PATH_MAX], g_url[256], *g_tmp;
static const char *g_servers[1];
static char g_sec[PATH_MAX], g_pub[PATH_MAX], g_sec2[PATH_MAX], g_pub2[PATH_MAX];
static char g_pubtext[CS_FLEET_PUBTEXT_MAX], g_bundle[PATH_MAX];
static struct cs_fleet_bus *g_op;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4 * PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* A case with one sha256 indicator, exported as a bundle. */
static int make_bundle(void)
{
	struct cs_store *st = NULL;
	char intel[PATH_MAX], db[PATH_MAX];
	int rc;

	snprintf(intel, sizeof(intel), "%s/hashes.txt", g_tmp);
	snprintf(db, sizeof(db), "%s/op.db", g_tmp);
	snprintf(g_bundle, sizeof(g_bundle), "%s/bundle.db", g_tmp);
	/* sha256 of "planted\n" */
	if (sh("printf 'planted\\n' | sha256sum | cut -d' ' -f1 > '%s'", intel) != 0)
		return -1;
	if (sh("'%s' --quiet --db '%s' intel import '%s' >/dev/null 2>&1", getenv("CS_EXE"), db,
	       intel) != 0)
		return -1;
	rc = cs_store_open(db, &st);
	if (rc == CS_OK)
		rc = cs_store_export_intel(st, g_bundle);
	if (st)
		cs_store_close(st);
	return rc;
}

static int setup(void **state)
{
	const char *src = getenv("CS_SOURCE_DIR"), *build = getenv("CS_BUILD_DIR");
	struct cs_fleet_bus_opts o = { 0 };
	struct cs_fleet_setup su = { 0 };
	char cmd[2 * PATH_MAX], err[512];
	FILE *p;

	(void)state;
	if (!getenv("CS_EXE"))
		return -1;
	g_tmp = cs_test_tmpdir();
	snprintf(g_script, sizeof(g_script), "%s/tests/fleet/nats.sh", src ? src : ".");
	snprintf(g_dir, sizeof(g_dir), "%s/fleet-test/agent-%d", build ? build : ".", (int)getpid());
	sh("sh \"$(dirname '%s')/srvdir.sh\" -r '%s'", g_script, g_dir);
	snprintf(cmd, sizeof(cmd), "'%s' start '%s' 1", g_script, g_dir);
	p = popen(cmd, "r");
	if (!p || !fgets(g_url, sizeof(g_url), p)) {
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
	g_url[strcspn(g_url, "\n")] = '\0';
	g_servers[0] = g_url;
	snprintf(g_sec, sizeof(g_sec), "%s/fleet.key", g_tmp);
	snprintf(g_pub, sizeof(g_pub), "%s/fleet.pub", g_tmp);
	snprintf(g_sec2, sizeof(g_sec2), "%s/other.key", g_tmp);
	snprintf(g_pub2, sizeof(g_pub2), "%s/other.pub", g_tmp);
	if (cs_fleet_keygen(g_sec, g_pub, err, sizeof(err)) != CS_OK ||
	    cs_fleet_keygen(g_sec2, g_pub2, err, sizeof(err)) != CS_OK ||
	    cs_fleet_pubkey_load(g_pub, g_pubtext, err, sizeof(err)) != CS_OK)
		return -1;
	if (make_bundle() != CS_OK)
		return -1;
	o.servers = g_servers;
	o.nservers = 1;
	o.name = "op";
	if (cs_fleet_bus_connect(&o, &g_op, err, sizeof(err)) != CS_OK)
		return -1;
	su.replicas = 1;
	su.results_max_bytes = 64 << 20;
	su.ack_wait_ms = 2000;
	return cs_fleet_bus_setup(g_op, &su, err, sizeof(err)) == CS_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	cs_fleet_bus_close(g_op);
	sh("'%s' stop '%s'", g_script, g_dir);
	sh("sh \"$(dirname '%s')/srvdir.sh\" -r '%s'", g_script, g_dir);
	cs_test_rmtree(g_tmp);
	free(g_tmp);
	return 0;
}

/* A host folder holding the planted file (or not). */
static void make_root(const char *name, int planted, char *root, size_t len)
{
	snprintf(root, len, "%s/%s", g_tmp, name);
	mkdir(root, 0755);
	assert_int_equal(sh("printf 'ordinary\\n' > '%s/a.txt'", root), 0);
	if (planted)
		assert_int_equal(sh("printf 'planted\\n' > '%s/b.bin'", root), 0);
}

static void agent_log(void *ud, const char *line)
{
	if (getenv("CS_TEST_VERBOSE"))
		fprintf(stderr, "agent %s: %s\n", (const char *)ud, line);
}

static void run_agent(const char *host, const char *root)
{
	struct cs_fleet_agent_cfg c = { 0 };
	volatile sig_atomic_t stop = 0;
	char state[PATH_MAX], err[512];

	snprintf(state, sizeof(state), "%s/state-%s", g_tmp, host);
	c.host = host;
	c.servers = g_servers;
	c.nservers = 1;
	c.fleet_pub = g_pubtext;
	c.state_dir = state;
	c.exe = getenv("CS_EXE");
	c.root = root;
	c.poll_s = 600;
	c.once = 1;
	c.once_wait_ms = 10000;
	assert_int_equal(cs_fleet_agent_run(&c, &stop, agent_log, (void *)host, err, sizeof(err)),
			 CS_OK);
}

/* The statuses and the finding count the RESULTS stream holds for one
 * host and hunt (everything else drained and acknowledged). */
struct seen {
	char state[32];
	char detail[512];
	int findings;
};

static void collect(const char *host, const char *hunt, struct seen *s)
{
	struct cs_fleet_msg_in in;
	struct cs_fleet_msg m;
	char err[512];

	memset(s, 0, sizeof(*s));
	while (cs_fleet_bus_fetch(g_op, 1500, &in, err, sizeof(err)) == CS_OK) {
		if (cs_fleet_wire_decode((const char *)in.data, in.len, &m, err, sizeof(err)) ==
		    CS_OK) {
			if (strcmp(m.host, host) == 0 && strcmp(m.hunt, hunt) == 0) {
				if (m.type == CS_FLEET_MSG_FINDING)
					s->findings++;
				if (m.type == CS_FLEET_MSG_STATUS &&
				    strcmp(m.status.state, "running") != 0) {
					snprintf(s->state, sizeof(s->state), "%s", m.status.state);
					snprintf(s->detail, sizeof(s->detail), "%s",
						 m.status.detail ? m.status.detail : "");
				}
			}
			cs_fleet_msg_free(&m);
		}
		cs_fleet_bus_ack(g_op, &in, err, sizeof(err));
		cs_fleet_bus_msg_free(&in);
	}
}

static void publish_bundle(void)
{
	char err[512];

	assert_int_equal(cs_fleet_publish_bundle(g_op, g_sec, g_bundle, 1,
						 (int64_t)time(NULL) + 3600, err, sizeof(err)),
			 CS_OK);
}

/* A signed hunt of one sweep for one host, needing intel `bundle`. */
static void put_hunt_of(const char *seckey, const char *id, const char *host, const char *sweep,
			int64_t bundle)
{
	char doc[1024], err[512];
	int64_t exp = (int64_t)time(NULL) + 3600;

	snprintf(doc, sizeof(doc),
		 "{\"id\":\"%s\",\"expires\":%lld,\"state\":\"active\","
		 "\"targets\":{\"hosts\":[\"%s\"]},\"sweeps\":[\"%s\"],"
		 "\"limits\":{\"max_runtime\":60},\"bundle\":%lld}",
		 id, (long long)exp, host, sweep, (long long)bundle);
	assert_int_equal(cs_fleet_put_hunt(g_op, seckey, id, exp, doc, strlen(doc), err,
					   sizeof(err)),
			 CS_OK);
}

static void put_hunt_v(const char *seckey, const char *id, const char *host, int64_t bundle)
{
	put_hunt_of(seckey, id, host, "files", bundle);
}

static void put_hunt(const char *seckey, const char *id, const char *host)
{
	put_hunt_v(seckey, id, host, 1);
}

/* Flip one byte of a key's value, far from its signature lines. */
static void tamper(const char *key, size_t from_end)
{
	unsigned char *data = NULL;
	size_t len = 0;
	char err[512];

	assert_int_equal(cs_fleet_bus_kv_get(g_op, key, &data, &len, err, sizeof(err)), CS_OK);
	assert_true(len > from_end);
	data[len - from_end] ^= 0x01;
	assert_int_equal(cs_fleet_bus_kv_put(g_op, key, data, len, err, sizeof(err)), CS_OK);
	free(data);
}

static void test_genuine_hunt_runs(void **state)
{
	struct seen s;
	char root[PATH_MAX];

	(void)state;
	publish_bundle();
	put_hunt(g_sec, "h-ok", "good");
	make_root("good", 1, root, sizeof(root));
	run_agent("good", root);
	collect("good", "h-ok", &s);
	assert_string_equal(s.state, "done");
	assert_int_equal(s.findings, 1);
}

static void test_hunt_signed_by_another_key(void **state)
{
	struct seen s;
	char root[PATH_MAX];

	(void)state;
	publish_bundle();
	put_hunt(g_sec2, "h-other", "h2");
	make_root("h2", 1, root, sizeof(root));
	run_agent("h2", root);
	collect("h2", "h-other", &s);
	assert_string_equal(s.state, "refused");
	assert_non_null(strstr(s.detail, "hunt refused"));
	assert_int_equal(s.findings, 0);
}

static void test_tampered_hunt(void **state)
{
	struct seen s;
	char root[PATH_MAX];

	(void)state;
	publish_bundle();
	put_hunt(g_sec, "h-tamper", "h3");
	tamper("hunt.h-tamper", 5); /* inside the JSON payload */
	make_root("h3", 1, root, sizeof(root));
	run_agent("h3", root);
	collect("h3", "h-tamper", &s);
	assert_string_equal(s.state, "refused");
	assert_non_null(strstr(s.detail, "hunt refused"));
	assert_int_equal(s.findings, 0);
}

static void test_unsigned_manifest(void **state)
{
	static const char man[] = "{\"version\":1,\"size\":10,\"sha256\":\"00\",\"chunks\":1}";
	struct seen s;
	char root[PATH_MAX], err[512];

	(void)state;
	publish_bundle();
	assert_int_equal(cs_fleet_bus_kv_put(g_op, "intel.manifest", man, strlen(man), err,
					     sizeof(err)),
			 CS_OK);
	put_hunt(g_sec, "h-unsigned", "h4");
	make_root("h4", 1, root, sizeof(root));
	run_agent("h4", root);
	collect("h4", "h-unsigned", &s);
	assert_string_equal(s.state, "refused");
	assert_non_null(strstr(s.detail, "unsigned"));
	assert_int_equal(s.findings, 0);
}

static void test_tampered_chunk(void **state)
{
	struct seen s;
	char root[PATH_MAX];

	(void)state;
	publish_bundle();
	tamper("intel.1.0", 100); /* the manifest still signs the old bytes */
	put_hunt(g_sec, "h-chunk", "h5");
	make_root("h5", 1, root, sizeof(root));
	run_agent("h5", root);
	collect("h5", "h-chunk", &s);
	assert_string_equal(s.state, "refused");
	assert_non_null(strstr(s.detail, "tampered"));
	assert_int_equal(s.findings, 0);
}

/* A bundle of the three indicators below: the planted file's sha256, a
 * file's that only a later intel names, and a domain (so the lite bundle
 * is not empty and the re-match's child sweep runs too). */
static void make_bundle2(const char *out)
{
	struct cs_store *st = NULL;
	char intel[PATH_MAX], db[PATH_MAX];

	snprintf(intel, sizeof(intel), "%s/later.txt", g_tmp);
	snprintf(db, sizeof(db), "%s/op2.db", g_tmp);
	assert_int_equal(sh("(printf 'planted\\n' | sha256sum | cut -d' ' -f1;"
			    " printf 'later\\n' | sha256sum | cut -d' ' -f1;"
			    " echo rematch-test.example) > '%s'",
			    intel),
			 0);
	assert_int_equal(sh("rm -f '%s'; '%s' --quiet --db '%s' intel import '%s' >/dev/null 2>&1",
			    db, getenv("CS_EXE"), db, intel),
			 0);
	assert_int_equal(cs_store_open(db, &st), CS_OK);
	assert_int_equal(cs_store_export_intel(st, out), CS_OK);
	cs_store_close(st);
}

static void put_rematch(const char *id, const char *host, int64_t bundle)
{
	put_hunt_of(g_sec, id, host, "rematch", bundle);
}

static long long state_version(const char *host, const char *name)
{
	char path[PATH_MAX];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/state-%s/%s", g_tmp, host, name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* A files hunt records the host's inventory; a later re-match of newer
 * intel through the hash index finds the file only the new intel names,
 * without the whole bundle (the lite one is adopted), and a shard that
 * does not match the signed table leaves the run incomplete, not clean. */
static void test_rematch_through_hash_index(void **state)
{
	struct seen s;
	char root[PATH_MAX], b2[PATH_MAX], key[96], err[512], hex[65];
	unsigned shard;
	FILE *p;

	(void)state;
	publish_bundle();
	put_hunt(g_sec, "h-rm1", "rm");
	make_root("rm", 1, root, sizeof(root));
	assert_int_equal(sh("printf 'later\\n' > '%s/later.bin'", root), 0);
	run_agent("rm", root);
	collect("rm", "h-rm1", &s);
	assert_string_equal(s.state, "done");
	assert_int_equal(s.findings, 1); /* b.bin; later.bin is not in version 1 */

	snprintf(b2, sizeof(b2), "%s/bundle2.db", g_tmp);
	make_bundle2(b2);
	assert_int_equal(cs_fleet_publish_bundle(g_op, g_sec, b2, 2, (int64_t)time(NULL) + 3600,
						 err, sizeof(err)),
			 CS_OK);
	put_rematch("h-rm2", "rm", 2);
	run_agent("rm", root);
	collect("rm", "h-rm2", &s);
	assert_string_equal(s.state, "done");
	assert_int_equal(s.findings, 2); /* b.bin and later.bin, from the index */
	assert_int_equal(state_version("rm", "lite.version"), 2);
	assert_int_equal(state_version("rm", "bundle.version"), 1);

	/* Version 3, with the shard holding later.bin's digest damaged. */
	assert_int_equal(cs_fleet_publish_bundle(g_op, g_sec, b2, 3, (int64_t)time(NULL) + 3600,
						 err, sizeof(err)),
			 CS_OK);
	p = popen("printf 'later\\n' | sha256sum | cut -c1-8", "r");
	assert_non_null(p);
	assert_non_null(fgets(hex, sizeof(hex), p));
	pclose(p);
	shard = (unsigned)(strtoul(hex, NULL, 16) >> (32 - CS_FLEET_HX_SHARD_BITS));
	snprintf(key, sizeof(key), "intel.3.hxs.%u", shard);
	tamper(key, 3);
	put_rematch("h-rm3", "rm", 3);
	run_agent("rm", root);
	collect("rm", "h-rm3", &s);
	assert_string_equal(s.state, "incomplete");
	assert_non_null(strstr(s.detail, "does not match the signed manifest"));

	/* A hunt that reads files needs the whole intel: the agent, holding
	 * the lite one, fetches the whole bundle (its chunks are intact). */
	put_hunt_v(g_sec, "h-rm4", "rm", 3);
	run_agent("rm", root);
	collect("rm", "h-rm4", &s);
	assert_string_equal(s.state, "done");
	assert_int_equal(s.findings, 2);
	assert_int_equal(state_version("rm", "bundle.version"), 3);
	assert_int_equal(state_version("rm", "lite.version"), 3);
}

/* Intel without a single digest: the hash index is empty (its prefixes
 * an empty part), the re-match is the child sweep's alone, and done. */
static void test_rematch_without_digests(void **state)
{
	struct cs_store *st = NULL;
	struct seen s;
	char root[PATH_MAX], intel[PATH_MAX], db[PATH_MAX], b[PATH_MAX], err[512];

	(void)state;
	publish_bundle();
	put_hunt(g_sec, "h-nd1", "nd");
	make_root("nd", 1, root, sizeof(root));
	run_agent("nd", root); /* its inventory */
	collect("nd", "h-nd1", &s);
	assert_string_equal(s.state, "done");

	snprintf(intel, sizeof(intel), "%s/domains.txt", g_tmp);
	snprintf(db, sizeof(db), "%s/op3.db", g_tmp);
	snprintf(b, sizeof(b), "%s/bundle5.db", g_tmp);
	assert_int_equal(sh("echo only-a-domain.example > '%s' && rm -f '%s' &&"
			    " '%s' --quiet --db '%s' intel import '%s' >/dev/null 2>&1",
			    intel, db, getenv("CS_EXE"), db, intel),
			 0);
	assert_int_equal(cs_store_open(db, &st), CS_OK);
	assert_int_equal(cs_store_export_intel(st, b), CS_OK);
	cs_store_close(st);
	assert_int_equal(cs_fleet_publish_bundle(g_op, g_sec, b, 5, (int64_t)time(NULL) + 3600,
						 err, sizeof(err)),
			 CS_OK);
	put_rematch("h-nd2", "nd", 5);
	run_agent("nd", root);
	collect("nd", "h-nd2", &s);
	assert_string_equal(s.state, "done");
	assert_int_equal(s.findings, 0);
	assert_int_equal(state_version("nd", "lite.version"), 5);
}

/* A re-match of a host never swept, with intel of digests alone (no
 * child sweep to say so): an error, never a clean answer. */
static void test_rematch_without_inventory(void **state)
{
	struct seen s;
	char root[PATH_MAX], err[512];

	(void)state;
	assert_int_equal(cs_fleet_publish_bundle(g_op, g_sec, g_bundle, 6,
						 (int64_t)time(NULL) + 3600, err, sizeof(err)),
			 CS_OK);
	put_rematch("h-ni", "ni", 6);
	make_root("ni", 1, root, sizeof(root));
	run_agent("ni", root);
	collect("ni", "h-ni", &s);
	assert_string_equal(s.state, "error");
	assert_non_null(strstr(s.detail, "no file inventory"));
	assert_int_equal(s.findings, 0);
}

/* A second agent on a folder in use is refused before it touches the
 * journal or the spool. */
static void test_state_folder_locked(void **state)
{
	struct cs_fleet_agent_cfg c = { 0 };
	volatile sig_atomic_t stop = 0;
	char dir[PATH_MAX], lock[PATH_MAX], err[512];
	int fd;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/state-locked", g_tmp);
	mkdir(dir, 0700);
	snprintf(lock, sizeof(lock), "%s/lock", dir);
	fd = open(lock, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	c.host = "locked";
	c.servers = g_servers;
	c.nservers = 1;
	c.fleet_pub = g_pubtext;
	c.state_dir = dir;
	c.exe = getenv("CS_EXE");
	c.once = 1;
	assert_int_equal(cs_fleet_agent_run(&c, &stop, NULL, NULL, err, sizeof(err)),
			 CS_ERR_INVALID);
	assert_non_null(strstr(err, "another agent uses this state folder"));
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_genuine_hunt_runs),
		cmocka_unit_test(test_hunt_signed_by_another_key),
		cmocka_unit_test(test_tampered_hunt),
		cmocka_unit_test(test_unsigned_manifest),
		cmocka_unit_test(test_tampered_chunk),
		cmocka_unit_test(test_rematch_through_hash_index),
		cmocka_unit_test(test_rematch_without_digests),
		cmocka_unit_test(test_rematch_without_inventory),
		cmocka_unit_test(test_state_folder_locked),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

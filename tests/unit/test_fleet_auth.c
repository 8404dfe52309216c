/*
 * The fleet folder against a real nats-server (lib/fleet/authconf.c):
 * a fleet with hosts h1 and h2, a server on a free loopback port that
 * includes the generated nats-auth.conf (as user nobody when the test
 * runs as root; its files under the build folder), then with libnats:
 * no key, an unknown key and another host's inbox or results are refused,
 * h1's own subjects work, and a rotated key stops working after a reload.
 * The agent configuration parser and the registry listing are tested
 * here too.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <nats/nats.h>

#include "chainsweep/fleet_admin.h"
#include "chainsweep/fleet_bus.h"
#include "chainsweep/fleet_sign.h"
#include "testutil.h"

struct env {
	char top[PATH_MAX], fleet[PATH_MAX + 16], srv[PATH_MAX + 16];
	char url[128];
	pid_t pid;
	uid_t uid;
	gid_t gid;
};

static struct env E;

/* Permission errors reach the connection's error handler, not the call. */
struct errs {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int n;
	natsStatus last;
	char text[512];
};

static void on_error(natsConnection *nc, natsSubscription *sub, natsStatus err, void *closure)
{
	struct errs *e = closure;
	const char *t = NULL;

	(void)sub;
	natsConnection_GetLastError(nc, &t);
	pthread_mutex_lock(&e->mu);
	e->n++;
	e->last = err;
	snprintf(e->text, sizeof(e->text), "%s", t ? t : "");
	pthread_cond_broadcast(&e->cv);
	pthread_mutex_unlock(&e->mu);
}

/* Wait up to 3 s for error number `n`; 1 when it came. */
static int wait_error(struct errs *e, int n)
{
	struct timespec ts;
	int got;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 3;
	pthread_mutex_lock(&e->mu);
	while (e->n < n && pthread_cond_timedwait(&e->cv, &e->mu, &ts) == 0)
		;
	got = e->n >= n;
	pthread_mutex_unlock(&e->mu);
	return got;
}

static void writef(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void copy_file(const char *from, const char *to)
{
	size_t len;
	char *s = cs_test_slurp(from, &len);
	FILE *f = fopen(to, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(s, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(s);
	if (E.uid)
		assert_int_equal(chown(to, E.uid, E.gid), 0);
}

static char *seed_path(const char *who)
{
	static char p[PATH_MAX + 64];

	if (strcmp(who, "operator") == 0)
		snprintf(p, sizeof(p), "%s/operator.nk", E.fleet);
	else
		snprintf(p, sizeof(p), "%s/agents/%s.nk", E.fleet, who);
	return p;
}

static void pub_of(const char *seedfile, char pub[57])
{
	char err[512];

	if (cs_fleet_nkey_file_public(seedfile, pub, err, sizeof(err)) != CS_OK)
		fail_msg("%s", err);
}

/*
 * Connect with the seed file `seedfile` (NULL: no key at all) and the
 * inbox prefix `inbox` (NULL: libnats's). The status of the connect.
 */
static natsStatus connect_as(const char *seedfile, const char *inbox, struct errs *e,
                             natsConnection **nc)
{
	natsOptions *o = NULL;
	natsStatus s;
	char pub[57];

	*nc = NULL;
	assert_int_equal(natsOptions_Create(&o), NATS_OK);
	natsOptions_SetURL(o, E.url);
	natsOptions_SetTimeout(o, 3000);
	natsOptions_SetAllowReconnect(o, false);
	if (seedfile) {
		pub_of(seedfile, pub);
		assert_int_equal(natsOptions_SetNKeyFromSeed(o, pub, seedfile), NATS_OK);
	}
	if (inbox)
		assert_int_equal(natsOptions_SetCustomInboxPrefix(o, inbox), NATS_OK);
	if (e)
		natsOptions_SetErrorHandler(o, on_error, e);
	/* libnats 3.4.1 drops the signature of one nonce in 256 (see
	 * cs_fleet_bus_connect): a refused key is refused every time. */
	for (int tries = 0; tries < 4; tries++) {
		s = natsConnection_Connect(nc, o);
		if (s != NATS_CONNECTION_AUTH_FAILED || !seedfile)
			break;
	}
	natsOptions_Destroy(o);
	return s;
}

static void exe_dir(char *out, size_t n)
{
	ssize_t k = readlink("/proc/self/exe", out, n - 1);

	assert_true(k > 0);
	out[k] = 0;
	*strrchr(out, '/') = 0;
}

/* Start nats-server on the configuration in E.srv; E.url from its ports
 * file. As root, the server runs as nobody. */
static int start_server(void)
{
	char conf[PATH_MAX + 64], log[PATH_MAX + 64], ports[PATH_MAX + 96];
	int i;

	snprintf(conf, sizeof(conf), "%s/server.conf", E.srv);
	snprintf(log, sizeof(log), "%s/server.log", E.srv);
	E.pid = fork();
	if (E.pid < 0)
		return -1;
	if (E.pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (getuid() == 0)
			execlp("setpriv", "setpriv", "--reuid=nobody", "--regid=nogroup",
			       "--clear-groups", "--inh-caps=-all", "nats-server", "-c", conf,
			       (char *)NULL);
		else
			execlp("nats-server", "nats-server", "-c", conf, (char *)NULL);
		_exit(127);
	}
	snprintf(ports, sizeof(ports), "%s/nats-server_%ld.ports", E.srv, (long)E.pid);
	for (i = 0; i < 200; i++) {
		size_t len;
		struct stat st;

		if (stat(ports, &st) == 0 && st.st_size > 0) {
			char *s = cs_test_slurp(ports, &len), *u = strstr(s, "nats://");

			if (u) {
				size_t n = strcspn(u, "\"");

				snprintf(E.url, sizeof(E.url), "%.*s", (int)n, u);
				free(s);
				return 0;
			}
			free(s);
		}
		if (waitpid(E.pid, NULL, WNOHANG) == E.pid) {
			E.pid = 0;
			return -1;
		}
		usleep(50000);
	}
	return -1;
}

static void stop_server(void)
{
	int i;

	if (E.pid <= 0)
		return;
	kill(E.pid, SIGTERM);
	for (i = 0; i < 100; i++) {
		if (waitpid(E.pid, NULL, WNOHANG) == E.pid) {
			E.pid = 0;
			return;
		}
		usleep(50000);
	}
	kill(E.pid, SIGKILL);
	waitpid(E.pid, NULL, 0);
	E.pid = 0;
}

static int group_setup(void **state)
{
	char err[1024], conf[PATH_MAX + 64], text[4 * PATH_MAX], from[PATH_MAX + 64],
	        to[PATH_MAX + 64];
	const char *hosts[] = {"h1", "h2"};

	(void)state;
	if (system("nats-server --version >/dev/null 2>&1") != 0) {
		fprintf(stderr, "SKIP: nats-server not installed\n");
		return 0;
	}
	memset(&E, 0, sizeof(E));
	exe_dir(E.top, sizeof(E.top) - 32);
	snprintf(E.top + strlen(E.top), 32, "/fleet-auth-%ld", (long)getpid());
	snprintf(E.fleet, sizeof(E.fleet), "%s/fleet", E.top);
	snprintf(E.srv, sizeof(E.srv), "%s/srv", E.top);
	if (mkdir(E.top, 0755) != 0)
		return -1;
	if (getuid() == 0) {
		/* The server runs as nobody: its folder must be reachable
		 * (tests/fleet/srvdir.sh falls back to /tmp under a closed
		 * parent folder). */
		const char *src = getenv("CS_SOURCE_DIR");
		char cmd[2 * PATH_MAX + 64];
		FILE *p;

		snprintf(cmd, sizeof(cmd), "'%s/tests/fleet/srvdir.sh' '%s'", src ? src : ".",
		         E.srv);
		p = popen(cmd, "r");
		if (!p || !fgets(E.srv, sizeof(E.srv), p)) {
			if (p)
				pclose(p);
			return -1;
		}
		pclose(p);
		E.srv[strcspn(E.srv, "\n")] = '\0';
	} else if (mkdir(E.srv, 0755) != 0) {
		return -1;
	}
	if (getuid() == 0) {
		struct passwd *pw = getpwnam("nobody");
		struct group *gr = getgrnam("nogroup");

		if (!pw || !gr)
			return -1;
		E.uid = pw->pw_uid;
		E.gid = gr->gr_gid;
		if (chown(E.srv, E.uid, E.gid) != 0)
			return -1;
	}
	if (cs_fleet_admin_init(E.fleet, err, sizeof(err)) != CS_OK ||
	    cs_fleet_admin_enroll_many(E.fleet, hosts, 2, "finance", NULL, 0, err, sizeof(err)) !=
	            CS_OK) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	snprintf(from, sizeof(from), "%s/nats-auth.conf", E.fleet);
	snprintf(to, sizeof(to), "%s/nats-auth.conf", E.srv);
	copy_file(from, to);
	snprintf(conf, sizeof(conf), "%s/server.conf", E.srv);
	snprintf(text, sizeof(text),
	         "host: 127.0.0.1\nport: -1\nports_file_dir: \"%s\"\n"
	         "jetstream {\n  store_dir: \"%s/js\"\n  max_memory_store: 16MB\n"
	         "  max_file_store: 64MB\n}\ninclude \"nats-auth.conf\"\n",
	         E.srv, E.srv);
	writef(conf, text);
	if (E.uid && chown(conf, E.uid, E.gid) != 0)
		return -1;
	if (start_server() != 0) {
		fprintf(stderr, "setup: nats-server did not start (see %s/server.log)\n", E.srv);
		stop_server();
		return -1;
	}
	return nats_Open(-1) == NATS_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	stop_server();
	if (E.top[0]) {
		char cmd[2 * PATH_MAX + 64];
		const char *src = getenv("CS_SOURCE_DIR");

		snprintf(cmd, sizeof(cmd), "'%s/tests/fleet/srvdir.sh' -r '%s/srv'", src ? src : ".",
		         E.top);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s/srv\n", E.top);
		cs_test_rmtree(E.top);
		nats_CloseAndWait(5000);
	}
	return 0;
}

#define NEED_SERVER()                                                                              \
	do {                                                                                       \
		if (!E.url[0]) {                                                                   \
			print_message("SKIP: nats-server not installed\n");                        \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

static void test_no_key_refused(void **state)
{
	natsConnection *nc = NULL;
	char dir[PATH_MAX + 64], pub[57], seed[59], path[PATH_MAX + 96];

	(void)state;
	NEED_SERVER();
	/* The server is there: the operator connects. */
	assert_int_equal(connect_as(seed_path("operator"), NULL, NULL, &nc), NATS_OK);
	natsConnection_Destroy(nc);
	/* No key at all. */
	assert_int_not_equal(connect_as(NULL, NULL, NULL, &nc), NATS_OK);
	assert_null(nc);
	/* A well-formed key nobody enrolled. */
	assert_int_equal(cs_fleet_nkey_new(seed, pub), CS_OK);
	snprintf(dir, sizeof(dir), "%s/stranger.nk", E.top);
	snprintf(path, sizeof(path), "%s\n", seed);
	writef(dir, path);
	assert_int_not_equal(connect_as(dir, NULL, NULL, &nc), NATS_OK);
	assert_null(nc);
}

static void test_agent_permissions(void **state)
{
	struct errs e = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, NATS_OK, ""};
	natsConnection *h1 = NULL, *op = NULL;
	natsSubscription *seen = NULL, *bad = NULL, *bad2 = NULL, *mine = NULL;
	natsMsg *m = NULL;

	(void)state;
	NEED_SERVER();
	assert_int_equal(connect_as(seed_path("operator"), NULL, NULL, &op), NATS_OK);
	assert_int_equal(natsConnection_SubscribeSync(&seen, op, "res.>"), NATS_OK);
	assert_int_equal(natsConnection_Flush(op), NATS_OK);
	assert_int_equal(connect_as(seed_path("h1"), "_INBOX_h1", &e, &h1), NATS_OK);

	/* Its own results: delivered, no error. */
	assert_int_equal(natsConnection_PublishString(h1, "res.h1.x", "mine"), NATS_OK);
	assert_int_equal(natsConnection_Flush(h1), NATS_OK);
	assert_int_equal(natsSubscription_NextMsg(&m, seen, 3000), NATS_OK);
	assert_string_equal(natsMsg_GetSubject(m), "res.h1.x");
	natsMsg_Destroy(m);
	assert_int_equal(e.n, 0);

	/* Another host's results: refused, and only the error handler says so. */
	assert_int_equal(natsConnection_PublishString(h1, "res.h2.x", "forged"), NATS_OK);
	natsConnection_Flush(h1);
	assert_true(wait_error(&e, 1));
	assert_int_equal(e.last, NATS_NOT_PERMITTED);
	assert_non_null(strstr(e.text, "res.h2.x"));
	assert_int_equal(natsSubscription_NextMsg(&m, seen, 500), NATS_TIMEOUT);

	/* Everyone's inbox and h2's inbox: refused. */
	assert_int_equal(natsConnection_SubscribeSync(&bad, h1, "_INBOX.>"), NATS_OK);
	natsConnection_Flush(h1);
	assert_true(wait_error(&e, 2));
	assert_int_equal(e.last, NATS_NOT_PERMITTED);
	assert_non_null(strstr(e.text, "_INBOX.>"));
	assert_int_equal(natsConnection_SubscribeSync(&bad2, h1, "_INBOX_h2.>"), NATS_OK);
	natsConnection_Flush(h1);
	assert_true(wait_error(&e, 3));
	assert_non_null(strstr(e.text, "_INBOX_h2.>"));

	/* Its own inbox and the notifications: delivered. */
	assert_int_equal(natsConnection_SubscribeSync(&mine, h1, "_INBOX_h1.>"), NATS_OK);
	assert_int_equal(natsConnection_Flush(h1), NATS_OK);
	assert_int_equal(natsConnection_PublishString(op, "_INBOX_h1.r1", "reply"), NATS_OK);
	assert_int_equal(natsConnection_Flush(op), NATS_OK);
	assert_int_equal(natsSubscription_NextMsg(&m, mine, 3000), NATS_OK);
	natsMsg_Destroy(m);
	natsSubscription_Destroy(mine);
	mine = NULL;
	assert_int_equal(natsConnection_SubscribeSync(&mine, h1, "fleet.notify.h1"), NATS_OK);
	assert_int_equal(natsConnection_Flush(h1), NATS_OK);
	assert_int_equal(natsConnection_PublishString(op, "fleet.notify.h1", "wake"), NATS_OK);
	assert_int_equal(natsConnection_Flush(op), NATS_OK);
	assert_int_equal(natsSubscription_NextMsg(&m, mine, 3000), NATS_OK);
	natsMsg_Destroy(m);
	/* No other write: the KV bucket's subjects, JetStream's API. */
	assert_int_equal(natsConnection_PublishString(h1, "$KV.FLEET.hunts.index", "[]"), NATS_OK);
	natsConnection_Flush(h1);
	assert_true(wait_error(&e, 4));
	assert_int_equal(natsConnection_PublishString(h1, "$JS.API.STREAM.DELETE.KV_FLEET", ""),
	                 NATS_OK);
	natsConnection_Flush(h1);
	assert_true(wait_error(&e, 5));
	assert_int_equal(e.n, 5);

	natsSubscription_Destroy(mine);
	natsSubscription_Destroy(bad);
	natsSubscription_Destroy(bad2);
	natsSubscription_Destroy(seen);
	natsConnection_Destroy(h1);
	natsConnection_Destroy(op);
}

/*
 * What the agents' permissions are for: with the bucket and the results
 * stream made by the operator, h1 reads the hunt index, a hunt and an
 * intel key by direct get (last message by subject) and publishes its
 * results into the stream with an acknowledgement; another key of the
 * bucket is refused (seen as a timeout, the cause in the error handler).
 */
static void test_agent_jetstream(void **state)
{
	struct errs e = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, NATS_OK, ""};
	natsConnection *op = NULL, *h1 = NULL;
	jsCtx *ojs = NULL, *ajs = NULL;
	kvStore *kv = NULL;
	kvConfig kc;
	jsStreamConfig sc;
	jsStreamInfo *si = NULL;
	jsPubAck *pa = NULL;
	jsDirectGetMsgOptions dg;
	jsOptions jo;
	jsErrCode jerr = 0;
	natsMsg *m = NULL;
	static const char *const keys[] = {"hunts.index", "hunt.h-1", "intel.manifest",
	                                   "intel.3.0"};
	const char *subjects[] = {"res.>"};
	char subj[128];
	size_t i;

	(void)state;
	NEED_SERVER();
	assert_int_equal(connect_as(seed_path("operator"), NULL, NULL, &op), NATS_OK);
	assert_int_equal(natsConnection_JetStream(&ojs, op, NULL), NATS_OK);
	kvConfig_Init(&kc);
	kc.Bucket = "FLEET";
	kc.History = 1;
	assert_int_equal(js_CreateKeyValue(&kv, ojs, &kc), NATS_OK);
	for (i = 0; i < 4; i++)
		assert_int_equal(kvStore_PutString(NULL, kv, keys[i], keys[i]), NATS_OK);
	assert_int_equal(kvStore_PutString(NULL, kv, "secret", "operator only"), NATS_OK);
	jsStreamConfig_Init(&sc);
	sc.Name = "RESULTS";
	sc.Subjects = subjects;
	sc.SubjectsLen = 1;
	sc.Storage = js_MemoryStorage;
	sc.MaxBytes = 1 << 20;
	sc.Discard = js_DiscardNew;
	assert_int_equal(js_AddStream(&si, ojs, &sc, NULL, &jerr), NATS_OK);
	jsStreamInfo_Destroy(si);

	assert_int_equal(connect_as(seed_path("h1"), "_INBOX_h1", &e, &h1), NATS_OK);
	jsOptions_Init(&jo);
	jo.Wait = 1000;
	assert_int_equal(natsConnection_JetStream(&ajs, h1, &jo), NATS_OK);
	for (i = 0; i < 4; i++) {
		jsDirectGetMsgOptions_Init(&dg);
		snprintf(subj, sizeof(subj), "$KV.FLEET.%s", keys[i]);
		dg.LastBySubject = subj;
		if (js_DirectGetMsg(&m, ajs, "KV_FLEET", NULL, &dg) != NATS_OK)
			fail_msg("h1 cannot read %s", keys[i]);
		assert_int_equal(natsMsg_GetDataLength(m), (int)strlen(keys[i]));
		assert_memory_equal(natsMsg_GetData(m), keys[i], strlen(keys[i]));
		natsMsg_Destroy(m);
	}
	assert_int_equal(e.n, 0);
	jsDirectGetMsgOptions_Init(&dg);
	dg.LastBySubject = "$KV.FLEET.secret";
	assert_int_not_equal(js_DirectGetMsg(&m, ajs, "KV_FLEET", NULL, &dg), NATS_OK);
	assert_true(wait_error(&e, 1));
	assert_int_equal(e.last, NATS_NOT_PERMITTED);

	assert_int_equal(js_Publish(&pa, ajs, "res.h1.h-1", "{}", 2, NULL, &jerr), NATS_OK);
	assert_non_null(pa);
	assert_string_equal(pa->Stream, "RESULTS");
	jsPubAck_Destroy(pa);
	pa = NULL;
	assert_int_not_equal(js_Publish(&pa, ajs, "res.h2.h-1", "{}", 2, NULL, &jerr), NATS_OK);
	assert_true(wait_error(&e, 2));

	jsCtx_Destroy(ajs);
	natsConnection_Destroy(h1);
	kvStore_Destroy(kv);
	jsCtx_Destroy(ojs);
	natsConnection_Destroy(op);
}

/* Rotation: h2's old seed stops working once the server reloads. */
static void test_rotation(void **state)
{
	natsConnection *nc = NULL;
	char err[1024], old[PATH_MAX + 64], from[PATH_MAX + 64], to[PATH_MAX + 64];
	size_t len;
	char *s;
	int i;

	(void)state;
	NEED_SERVER();
	s = cs_test_slurp(seed_path("h2"), &len);
	snprintf(old, sizeof(old), "%s/h2-old.nk", E.top);
	writef(old, s);
	free(s);
	assert_int_equal(connect_as(old, "_INBOX_h2", NULL, &nc), NATS_OK);
	natsConnection_Destroy(nc);

	assert_int_equal(cs_fleet_admin_enroll(E.fleet, "h2", NULL, NULL, 0, err, sizeof(err)),
	                 CS_ERR_INVALID);
	assert_non_null(strstr(err, "enrolled already"));
	assert_int_equal(cs_fleet_admin_enroll(E.fleet, "h2", NULL, NULL, 1, err, sizeof(err)),
	                 CS_OK);
	snprintf(from, sizeof(from), "%s/nats-auth.conf", E.fleet);
	snprintf(to, sizeof(to), "%s/nats-auth.conf", E.srv);
	copy_file(from, to);
	assert_int_equal(kill(E.pid, SIGHUP), 0);
	/* The server reloads in the background: wait for the new key to be
	 * let in (the old key's first failure could be a time-out on a loaded
	 * machine, before the reload), then the old key must be refused. */
	for (i = 0; i < 100; i++) {
		natsStatus st = connect_as(seed_path("h2"), "_INBOX_h2", NULL, &nc);

		natsConnection_Destroy(nc);
		nc = NULL;
		if (st == NATS_OK)
			break;
		usleep(100000);
	}
	assert_true(i < 100);
	assert_int_equal(connect_as(old, "_INBOX_h2", NULL, &nc), NATS_CONNECTION_AUTH_FAILED);
	natsConnection_Destroy(nc);
	nc = NULL;
	assert_int_equal(connect_as(seed_path("h1"), "_INBOX_h1", NULL, &nc), NATS_OK);
	natsConnection_Destroy(nc);
}

struct listing {
	int n;
	char text[512];
};

static int on_host(void *ud, const struct cs_fleet_host *h)
{
	struct listing *l = ud;
	size_t o = strlen(l->text);

	snprintf(l->text + o, sizeof(l->text) - o, "%s[%s]%c;", h->host, h->labels, h->nkey[0]);
	l->n++;
	assert_true(h->enrolled > 1700000000);
	return 0;
}

static void test_registry_and_agent_conf(void **state)
{
	struct cs_fleet_agent_conf c;
	struct listing l = {0, ""};
	char err[1024], path[PATH_MAX + 64], pub[57], want[57];
	const char *bad_ids[] = {"", "a.b", "a b", "h*", "x/y", NULL};
	int i;

	(void)state;
	if (!E.fleet[0]) {
		print_message("SKIP: nats-server not installed\n");
		skip();
	}
	assert_int_equal(cs_fleet_admin_hosts(E.fleet, on_host, &l, err, sizeof(err)), CS_OK);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.text, "h1[finance]U;h2[finance]U;");
	for (i = 0; bad_ids[i]; i++)
		assert_int_equal(
		        cs_fleet_admin_enroll(E.fleet, bad_ids[i], NULL, NULL, 0, err, sizeof(err)),
		        CS_ERR_INVALID);
	assert_int_equal(cs_fleet_admin_enroll(E.fleet, "h3", "a,,b", NULL, 0, err, sizeof(err)),
	                 CS_ERR_INVALID);
	assert_int_equal(
	        cs_fleet_admin_enroll(E.fleet, "h3", NULL, "http://x:1", 0, err, sizeof(err)),
	        CS_ERR_INVALID);
	assert_int_equal(cs_fleet_admin_init(E.fleet, err, sizeof(err)), CS_ERR_INVALID);

	/* The configuration enroll wrote is what the parser reads. */
	snprintf(path, sizeof(path), "%s/agents/h1.conf", E.fleet);
	assert_int_equal(cs_fleet_agent_conf_load(path, &c, err, sizeof(err)), CS_OK);
	assert_string_equal(c.host, "h1");
	assert_int_equal(c.nservers, 1);
	assert_string_equal(c.servers[0], "nats://127.0.0.1:4222");
	snprintf(path, sizeof(path), "%s/agents/h1.nk", E.fleet);
	assert_string_equal(c.seed, path);
	snprintf(path, sizeof(path), "%s/agents/fleet.pub", E.fleet);
	assert_string_equal(c.fleet_pub, path);
	assert_int_equal(c.nlabels, 1);
	assert_string_equal(c.labels[0], "finance");
	assert_string_equal(c.state_dir, "/var/lib/chainsweep/agent");
	assert_int_equal(c.poll, 600);
	assert_int_equal(c.spool_max, 100u << 20);
	pub_of(c.seed, pub);
	snprintf(path, sizeof(path), "%s/hosts.tsv", E.fleet);
	{
		size_t len;
		char *reg = cs_test_slurp(path, &len);

		snprintf(want, sizeof(want), "%s", strstr(reg, "h1\t") + 3);
		free(reg);
	}
	assert_string_equal(pub, want);
	{
		char pubtext[CS_FLEET_PUBTEXT_MAX];

		assert_int_equal(cs_fleet_pubkey_load(c.fleet_pub, pubtext, err, sizeof(err)),
		                 CS_OK);
		/* A seed file that holds no seed, and one that is missing. */
		snprintf(path, sizeof(path), "%s/bad.nk", E.top);
		writef(path, "SUAAAAAAAA\n");
		assert_int_equal(cs_fleet_nkey_file_public(path, pub, err, sizeof(err)),
		                 CS_ERR_PARSE);
		assert_non_null(strstr(err, "bad.nk: not a NATS user nkey seed"));
		snprintf(path, sizeof(path), "%s/none.nk", E.top);
		assert_int_equal(cs_fleet_nkey_file_public(path, pub, err, sizeof(err)), CS_ERR_IO);
		assert_non_null(strstr(err, "none.nk"));
	}
}

static void expect_conf_error(const char *text, const char *needle)
{
	struct cs_fleet_agent_conf c;
	char err[1024] = "";

	memset(&c, 0x5a, sizeof(c));
	if (cs_fleet_agent_conf_parse("/etc/chainsweep/agent.conf", text, strlen(text), &c, err,
	                              sizeof(err)) == CS_OK)
		fail_msg("accepted: %s", text);
	if (!strstr(err, needle))
		fail_msg("'%s' lacks '%s'", err, needle);
	assert_int_equal(c.poll, 0x5a5a5a5a); /* untouched */
}

/*
 * Every connect of the bus with an enrolled key succeeds. libnats 3.4.1
 * leaves out the nonce's signature when its first byte is 0, and the
 * server refuses the key: without the bus's retries about 6 of these
 * 1,500 connects fail (all pass with a chance of 0.997 at most).
 */
static void test_bus_connect_every_time(void **state)
{
	const char *servers[] = {E.url};
	struct cs_fleet_bus_opts o;
	struct cs_fleet_bus *b;
	char pub[57], err[512];
	int i, failed = 0;

	(void)state;
	NEED_SERVER();
	pub_of(seed_path("operator"), pub);
	memset(&o, 0, sizeof(o));
	o.servers = servers;
	o.nservers = 1;
	o.nkey_public = pub;
	o.seed_path = seed_path("operator");
	o.name = "operator";
	o.timeout_ms = 3000;
	for (i = 0; i < 1500; i++) {
		if (cs_fleet_bus_connect(&o, &b, err, sizeof(err)) != CS_OK) {
			if (!failed++)
				print_message("connect %d: %s\n", i, err);
			continue;
		}
		cs_fleet_bus_close(b);
	}
	assert_int_equal(failed, 0);
}

static void test_agent_conf_parser(void **state)
{
	static const char base[] = "host=ws-17\nservers=nats://a:4222,tls://b.example.org:4222\n"
	                           "seed=ws-17.nk\nfleet_pub=/opt/keys/fleet.pub\n";
	struct cs_fleet_agent_conf c;
	char err[1024], text[2048];

	(void)state;
	snprintf(text, sizeof(text), "# comment\n\n%s  poll = 30 \nspool_max=2G\nlabels=\n", base);
	assert_int_equal(cs_fleet_agent_conf_parse("/etc/chainsweep/agent.conf", text, strlen(text),
	                                           &c, err, sizeof(err)),
	                 CS_OK);
	assert_string_equal(c.host, "ws-17");
	assert_int_equal(c.nservers, 2);
	assert_string_equal(c.servers[1], "tls://b.example.org:4222");
	assert_string_equal(c.seed, "/etc/chainsweep/ws-17.nk");
	assert_string_equal(c.fleet_pub, "/opt/keys/fleet.pub");
	assert_int_equal(c.nlabels, 0);
	assert_int_equal(c.poll, 30);
	assert_int_equal(c.spool_max, 2ull << 30);

	snprintf(text, sizeof(text), "%sfrobnicate=1\n", base);
	expect_conf_error(text, "/etc/chainsweep/agent.conf:5: unknown key 'frobnicate'");
	snprintf(text, sizeof(text), "%shost=ws-18\n", base);
	expect_conf_error(text, "agent.conf:5: host given twice");
	expect_conf_error("host=ws-17\n", "servers= is missing");
	snprintf(text, sizeof(text), "%spoll=0\n", base);
	expect_conf_error(text, ":5: poll");
	snprintf(text, sizeof(text), "%spoll=10K\n", base);
	expect_conf_error(text, ":5: poll");
	snprintf(text, sizeof(text), "%sspool_max=10\n", base);
	expect_conf_error(text, ":5: spool_max");
	snprintf(text, sizeof(text), "%sspool_max=99999999999999999999G\n", base);
	expect_conf_error(text, ":5: spool_max");
	snprintf(text, sizeof(text), "%slabels=a,b c\n", base);
	expect_conf_error(text, ":5: bad label");
	expect_conf_error("host=a.b\n", ":1: bad host id");
	expect_conf_error("servers=http://x\n", ":1: bad server URL");
	expect_conf_error("servers=\n", ":1: no server URL");
	expect_conf_error("just words\n", ":1: not 'key=value'");
	{
		static const char nul[] = "host=a\0\n";

		assert_int_equal(cs_fleet_agent_conf_parse("x.conf", nul, sizeof(nul) - 1, &c, err,
		                                           sizeof(err)),
		                 CS_ERR_PARSE);
		assert_non_null(strstr(err, "x.conf:1: a NUL byte"));
	}
	{
		char *big = malloc(70000);

		memset(big, '#', 70000);
		assert_int_equal(
		        cs_fleet_agent_conf_parse("x.conf", big, 70000, &c, err, sizeof(err)),
		        CS_ERR_TOOBIG);
		memset(big, 'x', 9000);
		assert_int_equal(
		        cs_fleet_agent_conf_parse("x.conf", big, 9000, &c, err, sizeof(err)),
		        CS_ERR_PARSE);
		assert_non_null(strstr(err, "x.conf:1: line longer"));
		free(big);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_no_key_refused),
	        cmocka_unit_test(test_agent_permissions),
	        cmocka_unit_test(test_agent_jetstream),
	        cmocka_unit_test(test_registry_and_agent_conf),
	        cmocka_unit_test(test_rotation),
	        cmocka_unit_test(test_agent_conf_parser),
	        cmocka_unit_test(test_bus_connect_every_time),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

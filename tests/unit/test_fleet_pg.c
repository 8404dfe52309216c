/* Unit tests of the fleet's case database in PostgreSQL (lib/fleet/pg.c)
 * against a real server started for the group by tests/fleet/pg.sh
 * (CS_PG_HARNESS) in a folder of the build tree (CS_PG_DIR), on loopback,
 * and stopped at the end. Each test works in a database of its own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "chainsweep/fleet_pg.h"
#include "chainsweep/fleet_wire.h"
#include "chainsweep/intel.h"
#include "chainsweep/store.h"
#include "fleet/pg_int.h"
#include "testutil.h"

#ifndef CS_PG_HARNESS
#error "CMake passes CS_PG_HARNESS and CS_PG_DIR"
#endif

static char base_conninfo[512];
static int server_started;

static void harness(const char *verb, char *out, size_t outlen)
{
	char cmd[2048], line[512];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "sh '%s' %s '%s'", CS_PG_HARNESS, verb, CS_PG_DIR);
	p = popen(cmd, "r");
	if (!p)
		return;
	while (fgets(line, sizeof(line), p))
		if (out && strncmp(line, "postgresql://", 13) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, outlen, "%s", line);
		}
	pclose(p);
}

static void stop_server(void)
{
	if (server_started) {
		harness("stop", NULL, 0);
		server_started = 0;
	}
}

static int group_setup(void **state)
{
	char cmd[1024];

	(void)state;
	/* A server left by a crashed run is stopped and its files removed. */
	harness("stop", NULL, 0);
	/* srvdir.sh -r: also the /tmp folder it may stand for (tests/fleet/srvdir.sh). */
	snprintf(cmd, sizeof(cmd), "sh \"$(dirname '%s')/srvdir.sh\" -r '%s'", CS_PG_HARNESS,
	         CS_PG_DIR);
	if (system(cmd) != 0)
		return -1;
	base_conninfo[0] = '\0';
	harness("start", base_conninfo, sizeof(base_conninfo));
	if (!base_conninfo[0]) {
		fprintf(stderr, "could not start PostgreSQL with %s (see %s)\n", CS_PG_HARNESS,
		        CS_PG_DIR);
		return -1;
	}
	server_started = 1;
	atexit(stop_server);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	stop_server();
	return 0;
}

/* One statement on the server; the first column of the first row as a
 * number (-1 when no row), failing the test on error. */
static long long q1(const char *conninfo, const char *sql)
{
	PGconn *c = PQconnectdb(conninfo);
	PGresult *r;
	long long v = -1;

	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("connect %s: %s", conninfo, PQerrorMessage(c));
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	PQfinish(c);
	return v;
}

/* A fresh, empty database `name` on the server; its conninfo. */
static char *fresh_db(const char *name)
{
	char sql[256], *ci = malloc(600), *slash;

	assert_non_null(ci);
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", name);
	q1(base_conninfo, sql);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	q1(base_conninfo, sql);
	snprintf(ci, 600, "%s", base_conninfo);
	slash = strrchr(ci, '/');
	snprintf(slash + 1, 100, "%s", name);
	return ci;
}

static struct cs_fleet_pg *must_open(const char *ci)
{
	struct cs_fleet_pg *pg = NULL;
	char err[512] = "";

	if (cs_fleet_pg_open(ci, &pg, err, sizeof(err)) != CS_OK)
		fail_msg("open: %s", err);
	return pg;
}

static struct cs_finding_rec finding(const char *loc, int64_t first, int64_t last)
{
	static const char *const labels[] = {"campaign:3CX-2023"};
	struct cs_finding_rec f;

	memset(&f, 0, sizeof(f));
	f.kind = CS_FIND_FILE;
	f.evidence = "hash";
	f.location = loc;
	f.observed = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	f.ind_kind = "sha256";
	f.ind_value = f.observed;
	f.labels = labels;
	f.nlabels = 1;
	f.source = "intel.csv:2";
	f.confidence = 90;
	f.first_seen_ms = first;
	f.last_seen_ms = last;
	f.count = 1;
	f.sha256 = f.observed;
	return f;
}

/* Apply one message under the id the agents use, expecting `dup`. */
static void apply(struct cs_fleet_pg *pg, const char *json, size_t len, const char *hunt,
                  const char *host, int64_t run, int64_t seq, int want_dup)
{
	char id[256], err[512] = "";
	int dup = -1, rc;

	snprintf(id, sizeof(id), "%s:%s:%lld:%lld", hunt, host, (long long)run, (long long)seq);
	rc = cs_fleet_pg_apply(pg, id, json, len, &dup, err, sizeof(err));
	if (rc != CS_OK)
		fail_msg("apply %s: %d %s", id, rc, err);
	assert_int_equal(dup, want_dup);
}

static void send_finding(struct cs_fleet_pg *pg, const char *hunt, const char *host, int64_t run,
                         int64_t seq, const struct cs_finding_rec *f, int want_dup)
{
	char *json = NULL;
	size_t len = 0;

	assert_int_equal(cs_fleet_wire_finding(hunt, host, run, seq, f, &json, &len), CS_OK);
	apply(pg, json, len, hunt, host, run, seq, want_dup);
	free(json);
}

static void send_status(struct cs_fleet_pg *pg, const char *hunt, const char *host, int64_t run,
                        int64_t seq, const char *state, uint64_t findings)
{
	struct cs_fleet_status s;
	char *json = NULL;
	size_t len = 0;

	memset(&s, 0, sizeof(s));
	s.state = state;
	s.coverage_json = strcmp(state, "running") ? "{\"files\":10,\"files_read\":10}" : NULL;
	s.started_ms = 1796000000000;
	s.finished_ms = strcmp(state, "running") ? 1796000060000 : 0;
	s.intel_version = 3;
	s.findings = findings;
	s.detail = strcmp(state, "refused") == 0 ? "bundle signature does not verify" : NULL;
	s.exit_code = -1;
	assert_int_equal(cs_fleet_wire_status(hunt, host, run, seq, &s, &json, &len), CS_OK);
	apply(pg, json, len, hunt, host, run, seq, 0);
	free(json);
}

static void send_software(struct cs_fleet_pg *pg, const char *hunt, const char *host, int64_t run,
                          int64_t seq)
{
	struct cs_software_rec r;
	char *json = NULL;
	size_t len = 0;

	memset(&r, 0, sizeof(r));
	r.source = "/var/lib/dpkg/status";
	r.ecosystem = "deb";
	r.name = "3cxdesktopapp";
	r.version = "18.12.416";
	r.install_time = 1679000000;
	r.install_time_source = CS_TIME_RECORDED;
	assert_int_equal(cs_fleet_wire_software(hunt, host, run, seq, &r, &json, &len), CS_OK);
	apply(pg, json, len, hunt, host, run, seq, 0);
	free(json);
}

static void test_open_idempotent(void **state)
{
	char *ci = fresh_db("t_open");
	struct cs_fleet_pg *pg = must_open(ci), *pg2;
	char err[512] = "";
	int dup = 0;

	(void)state;
	pg2 = must_open(ci);
	assert_int_equal(q1(ci, "SELECT value::int FROM fleet_meta WHERE key = 'schema'"),
	                 CS_FLEET_PG_SCHEMA);
	/* A message that does not decode writes nothing, not even its id. */
	assert_int_equal(cs_fleet_pg_apply(pg, "x:y:1:0", "{\"v\":1}", 7, &dup, err, sizeof(err)),
	                 CS_ERR_PARSE);
	assert_non_null(strstr(err, "'type' missing"));
	assert_int_equal(q1(ci, "SELECT count(*) FROM fleet_msg"), 0);
	/* A message under an id that is not its own is refused. */
	{
		struct cs_fleet_status st;
		char *json = NULL;
		size_t len = 0;

		memset(&st, 0, sizeof(st));
		st.state = "done";
		assert_int_equal(cs_fleet_wire_status("h1", "ws-1", 1, 0, &st, &json, &len), CS_OK);
		assert_int_equal(
		        cs_fleet_pg_apply(pg, "h1:ws-2:1:0", json, len, &dup, err, sizeof(err)),
		        CS_ERR_PARSE);
		assert_non_null(strstr(err, "not its content's 'h1:ws-1:1:0'"));
		free(json);
	}
	assert_int_equal(q1(ci, "SELECT count(*) FROM fleet_msg"), 0);
	/* A newer schema is refused. */
	q1(ci, "UPDATE fleet_meta SET value = '99' WHERE key = 'schema'");
	cs_fleet_pg_close(pg2);
	pg2 = NULL;
	assert_int_equal(cs_fleet_pg_open(ci, &pg2, err, sizeof(err)), CS_ERR_UNSUPPORTED);
	assert_null(pg2);
	assert_non_null(strstr(err, "newer"));
	cs_fleet_pg_close(pg);
	free(ci);
}

static void test_apply_duplicate(void **state)
{
	char *ci = fresh_db("t_dup"), *big;
	struct cs_fleet_pg *pg = must_open(ci);
	struct cs_finding_rec f = finding("/opt/3cx/app.exe", 1000, 2000);

	(void)state;
	send_finding(pg, "h1", "ws-1", 1, 0, &f, 0);
	/* A redelivery of the same message id: one row, count unchanged. */
	send_finding(pg, "h1", "ws-1", 1, 0, &f, 1);
	assert_int_equal(q1(ci, "SELECT count(*) FROM fleet_msg"), 1);
	assert_int_equal(q1(ci, "SELECT count(*) FROM finding"), 1);
	assert_int_equal(q1(ci, "SELECT count FROM finding"), 1);
	assert_int_equal(q1(ci, "SELECT count(*) FROM finding WHERE labels = "
	                        "ARRAY['campaign:3CX-2023'] AND confidence = 90"),
	                 1);
	send_software(pg, "h1", "ws-1", 1, 1);
	send_status(pg, "h1", "ws-1", 1, 2, "done", 1);
	assert_int_equal(q1(ci, "SELECT count(*) FROM software"), 1);
	assert_int_equal(q1(ci, "SELECT count(*) FROM sweep WHERE finished IS NOT NULL"
	                        " AND NOT incomplete AND coverage->>'files' = '10'"),
	                 1);
	assert_int_equal(q1(ci, "SELECT count(*) FROM hunt_host WHERE state = 'done'"
	                        " AND findings = 1 AND intel_version = 3"),
	                 1);
	assert_int_equal(q1(ci, "SELECT count(*) FROM fleet_host WHERE host = 'ws-1'"), 1);
	assert_int_equal(q1(ci, "SELECT count(*) FROM fleet_msg"), 3);
	/* A path as long as a message allows: no index limit is met (a
	 * message that failed every time would be redelivered for ever). */
	big = malloc(CS_FLEET_WIRE_MAX_STRING + 1);
	assert_non_null(big);
	memset(big, 'p', CS_FLEET_WIRE_MAX_STRING);
	big[CS_FLEET_WIRE_MAX_STRING] = '\0';
	big[0] = '/';
	f.location = big;
	send_finding(pg, "h1", "ws-1", 1, 3, &f, 0);
	assert_int_equal(q1(ci, "SELECT max(length(location)) FROM finding"),
	                 CS_FLEET_WIRE_MAX_STRING);
	free(big);
	cs_fleet_pg_close(pg);
	free(ci);
}

static void test_two_sweeps_one_fact(void **state)
{
	char *ci = fresh_db("t_fact");
	struct cs_fleet_pg *pg = must_open(ci);
	struct cs_finding_rec f = finding("/opt/3cx/app.exe", 1000, 2000);

	(void)state;
	send_finding(pg, "h1", "ws-1", 1, 0, &f, 0);
	send_status(pg, "h1", "ws-1", 1, 1, "done", 1);
	f.first_seen_ms = 500;
	f.last_seen_ms = 3000;
	send_finding(pg, "h2", "ws-1", 1, 0, &f, 0);
	send_status(pg, "h2", "ws-1", 1, 1, "done", 1);
	assert_int_equal(q1(ci, "SELECT count(*) FROM sweep"), 2);
	assert_int_equal(q1(ci, "SELECT count(*) FROM finding"), 1);
	assert_int_equal(q1(ci, "SELECT count FROM finding"), 2);
	assert_int_equal(q1(ci, "SELECT first_seen FROM finding"), 500);
	assert_int_equal(q1(ci, "SELECT last_seen FROM finding"), 3000);
	assert_int_equal(q1(ci,
	                    "SELECT count(*) FROM finding f JOIN sweep a ON a.id = f.first_sweep"
	                    " JOIN sweep b ON b.id = f.last_sweep"
	                    " WHERE a.hunt = 'h1' AND b.hunt = 'h2'"),
	                 1);
	/* Another host with the same fact is another finding. */
	send_finding(pg, "h2", "ws-2", 1, 0, &f, 0);
	assert_int_equal(q1(ci, "SELECT count(*) FROM finding"), 2);
	cs_fleet_pg_close(pg);
	free(ci);
}

static void test_torn_transaction(void **state)
{
	char *ci = fresh_db("t_torn");
	struct cs_fleet_pg *pg = must_open(ci);
	struct cs_finding_rec f = finding("/opt/3cx/app.exe", 1000, 2000);
	char *json = NULL, err[512] = "";
	size_t len = 0;
	int dup = -1;

	(void)state;
	assert_int_equal(cs_fleet_wire_finding("h1", "ws-1", 1, 0, &f, &json, &len), CS_OK);
	cs__fleet_pg_break_before_commit(pg, 1);
	assert_int_equal(cs_fleet_pg_apply(pg, "h1:ws-1:1:0", json, len, &dup, err, sizeof(err)),
	                 CS_ERR_DB);
	assert_int_equal(dup, 0);
	cs__fleet_pg_break_before_commit(pg, 0);
	assert_int_equal(q1(ci, "SELECT count(*) FROM fleet_msg"), 0);
	assert_int_equal(q1(ci, "SELECT count(*) FROM finding"), 0);
	assert_int_equal(q1(ci, "SELECT count(*) FROM sweep"), 0);
	assert_int_equal(q1(ci, "SELECT count(*) FROM hunt_host"), 0);
	assert_int_equal(q1(ci, "SELECT count(*) FROM fleet_host"), 0);
	/* The redelivery applies, on a new connection. */
	assert_int_equal(cs_fleet_pg_apply(pg, "h1:ws-1:1:0", json, len, &dup, err, sizeof(err)),
	                 CS_OK);
	assert_int_equal(dup, 0);
	assert_int_equal(q1(ci, "SELECT count(*) FROM finding"), 1);
	free(json);
	cs_fleet_pg_close(pg);
	free(ci);
}

struct seen {
	char text[1024];
};

static int on_progress(void *ud, const struct cs_fleet_progress *p)
{
	struct seen *s = ud;
	size_t n = strlen(s->text);

	snprintf(s->text + n, sizeof(s->text) - n, "%s=%s/%d/%lld/%llu%s;", p->host, p->state,
	         p->targeted, (long long)p->run, (unsigned long long)p->findings,
	         p->last_msg_ms ? "" : "/never");
	return 0;
}

static void test_progress(void **state)
{
	static const char *const targets[] = {"ws-1", "ws-2", "ws-3", "ws-4"};
	char *ci = fresh_db("t_progress");
	struct cs_fleet_pg *pg = must_open(ci);
	struct cs_finding_rec f = finding("/opt/3cx/app.exe", 1000, 2000);
	struct cs_fleet_progress_totals t;
	struct seen s;

	(void)state;
	assert_int_equal(cs_fleet_pg_hunt_put(pg, "h1", "{\"id\":\"h1\"}", 1796000000, 1796600000,
	                                      targets, 4),
	                 CS_OK);
	send_finding(pg, "h1", "ws-1", 1, 0, &f, 0);
	send_status(pg, "h1", "ws-1", 1, 1, "done", 1);
	send_status(pg, "h1", "ws-2", 1, 0, "incomplete", 0);
	/* ws-4: run 2 is done; a late status of run 1 does not undo it. */
	send_status(pg, "h1", "ws-4", 2, 0, "running", 0);
	send_status(pg, "h1", "ws-4", 2, 1, "refused", 0);
	send_status(pg, "h1", "ws-4", 1, 5, "done", 0);
	/* ws-9 answered without being a target. */
	send_status(pg, "h1", "ws-9", 1, 0, "running", 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(cs_fleet_pg_progress(pg, "h1", on_progress, &s, &t), CS_OK);
	assert_string_equal(s.text, "ws-1=done/1/1/1;ws-2=incomplete/1/1/0;"
	                            "ws-3=not-seen/1/0/0/never;ws-4=refused/1/2/0;"
	                            "ws-9=running/0/1/0;");
	assert_int_equal(t.hosts, 5);
	assert_int_equal(t.targets, 4);
	assert_int_equal(t.not_seen, 1);
	assert_int_equal(t.done, 1);
	assert_int_equal(t.incomplete, 1);
	assert_int_equal(t.refused, 1);
	assert_int_equal(t.running, 1);
	assert_int_equal(t.findings, 1);
	assert_int_equal(cs_fleet_pg_progress(pg, "nope", on_progress, &s, &t), CS_ERR_NOTFOUND);
	assert_int_equal(cs_fleet_pg_hunt_state(pg, "h1", "stopped"), CS_OK);
	assert_int_equal(q1(ci, "SELECT count(*) FROM hunt WHERE state = 'stopped'"), 1);
	assert_int_equal(cs_fleet_pg_hunt_state(pg, "nope", "stopped"), CS_ERR_NOTFOUND);
	cs_fleet_pg_close(pg);
	free(ci);
}

/* A bundle: a SQLite case whose only intel version carries `note`. */
static void *make_bundle(const char *dir, const char *note, size_t *len)
{
	char path[1024];
	struct cs_store *st = NULL;
	struct cs_intel *in = cs_intel_new();
	int64_t ver = 0;
	void *data;

	snprintf(path, sizeof(path), "%s/%s.db", dir, note);
	assert_int_equal(cs_store_open(path, &st), CS_OK);
	assert_non_null(in);
	assert_int_equal(cs_store_save_intel(st, in, note, NULL, &ver), CS_OK);
	cs_store_close(st);
	cs_intel_free(in);
	data = cs_test_slurp(path, len);
	return data;
}

struct snap_read {
	char sweeps[2048];
	char findings[1024];
	char software[512];
	char versions[256];
	int64_t ws1_sweep;
};

static int on_sweep(void *ud, const struct cs_sweep_info *si)
{
	struct snap_read *r = ud;
	size_t n = strlen(r->sweeps);

	if (strcmp(si->host, "ws-1") == 0)
		r->ws1_sweep = si->id;
	snprintf(r->sweeps + n, sizeof(r->sweeps) - n, "%s inc=%d iv=%lld started=%lld %s\n",
	         si->host, si->incomplete, (long long)si->intel_version, (long long)si->started,
	         si->coverage ? si->coverage : "-");
	return 0;
}

static int on_finding(void *ud, const struct cs_finding_rec *f, int64_t first, int64_t last)
{
	struct snap_read *r = ud;
	size_t n = strlen(r->findings);

	snprintf(r->findings + n, sizeof(r->findings) - n,
	         "%s %s %s count=%llu seen=%lld..%lld sweeps=%s\n", f->host, f->location,
	         f->ind_kind, (unsigned long long)f->count, (long long)f->first_seen_ms,
	         (long long)f->last_seen_ms,
	         first == r->ws1_sweep && last == r->ws1_sweep ? "ws1" : "other");
	return 0;
}

static int on_software(void *ud, const struct cs_software_rec *w)
{
	struct snap_read *r = ud;
	size_t n = strlen(r->software);

	snprintf(r->software + n, sizeof(r->software) - n, "%s %s %s current=%d\n", w->host,
	         w->name, w->version, w->current);
	return 0;
}

static int on_version(void *ud, const struct cs_intel_version *v)
{
	struct snap_read *r = ud;
	size_t n = strlen(r->versions);

	snprintf(r->versions + n, sizeof(r->versions) - n, "%s;", v->note ? v->note : "-");
	return 0;
}

static void read_snapshot(const char *path, struct snap_read *r)
{
	struct cs_store *st = NULL;

	memset(r, 0, sizeof(*r));
	assert_int_equal(cs_store_open(path, &st), CS_OK);
	assert_int_equal(cs_store_sweeps(st, on_sweep, r), CS_OK);
	assert_int_equal(cs_store_findings(st, NULL, 0, on_finding, r), CS_OK);
	assert_int_equal(cs_store_software(st, NULL, on_software, r), CS_OK);
	assert_int_equal(cs_store_versions(st, 0, on_version, r), CS_OK);
	cs_store_close(st);
}

static void test_snapshot(void **state)
{
	static const char *const targets[] = {"ws-1", "ws-2", "ws-3"};
	char *ci = fresh_db("t_snap"), *dir = cs_test_tmpdir(), path[1024], err[512] = "";
	struct cs_fleet_pg *pg = must_open(ci);
	struct cs_finding_rec f = finding("/opt/3cx/app.exe", 1000, 2000);
	struct snap_read r;
	void *b1, *b2;
	size_t l1, l2;

	(void)state;
	snprintf(path, sizeof(path), "%s/snap.db", dir);
	/* No bundle yet: an empty case still holds the fleet's results. */
	assert_int_equal(cs_fleet_pg_hunt_put(pg, "h1", "{\"id\":\"h1\"}", 1796000000, 1796600000,
	                                      targets, 3),
	                 CS_OK);
	send_finding(pg, "h1", "ws-1", 1, 0, &f, 0);
	f.count = 4;
	send_finding(pg, "h1", "ws-1", 1, 1, &f, 0);
	send_software(pg, "h1", "ws-1", 1, 2);
	send_status(pg, "h1", "ws-1", 1, 3, "done", 1);
	send_status(pg, "h1", "ws-2", 1, 0, "incomplete", 0);
	assert_int_equal(cs_fleet_pg_snapshot(pg, NULL, path, err, sizeof(err)), CS_OK);
	read_snapshot(path, &r);
	assert_string_equal(r.versions, "");
	assert_non_null(strstr(r.sweeps, "ws-1 inc=0 iv=3 started=1796000000 "));
	assert_non_null(strstr(r.sweeps, "ws-2 inc=1 iv=3"));
	/* ws-3 never answered: incomplete, not answered, never clean. */
	assert_non_null(strstr(r.sweeps, "ws-3 inc=1 iv=0"));
	assert_non_null(strstr(r.sweeps, "\"answered\":false"));
	assert_string_equal(r.findings,
	                    "ws-1 /opt/3cx/app.exe sha256 count=5 seen=1000..2000 sweeps=ws1\n");
	assert_string_equal(r.software, "ws-1 3cxdesktopapp 18.12.416 current=1\n");

	/* With bundles: the newest one's intel is the snapshot's. */
	b1 = make_bundle(dir, "bundle-1", &l1);
	b2 = make_bundle(dir, "bundle-2", &l2);
	assert_int_equal(cs_fleet_pg_bundle_put(pg, 2, "00", b2, l2), CS_OK);
	assert_int_equal(cs_fleet_pg_bundle_put(pg, 1, "00", b1, l1), CS_OK);
	assert_int_equal(cs_fleet_pg_snapshot(pg, "h1", path, err, sizeof(err)), CS_OK);
	read_snapshot(path, &r);
	assert_string_equal(r.versions, "bundle-2;");
	assert_non_null(strstr(r.findings, "count=5"));
	assert_non_null(strstr(r.sweeps, "ws-3 inc=1"));

	/* Another hunt's view holds none of h1's results. */
	assert_int_equal(
	        cs_fleet_pg_hunt_put(pg, "h2", "{\"id\":\"h2\"}", 1796700000, 0, targets + 2, 1),
	        CS_OK);
	assert_int_equal(cs_fleet_pg_snapshot(pg, "h2", path, err, sizeof(err)), CS_OK);
	read_snapshot(path, &r);
	assert_string_equal(r.findings, "");
	assert_string_equal(r.software, "");
	assert_null(strstr(r.sweeps, "ws-1"));
	assert_non_null(strstr(r.sweeps, "ws-3 inc=1"));
	assert_int_equal(cs_fleet_pg_snapshot(pg, "nope", path, err, sizeof(err)), CS_ERR_NOTFOUND);
	free(b1);
	free(b2);
	cs_fleet_pg_close(pg);
	cs_test_rmtree(dir);
	free(dir);
	free(ci);
}

/* Run the command line; its output (stdout and stderr) and exit status. */
static int run_cli(const char *args, char *out, size_t outlen)
{
	char cmd[2048];
	size_t n = 0, k;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "'%s' %s 2>&1", CS_CLI, args);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (n + 1 < outlen && (k = fread(out + n, 1, outlen - n - 1, p)) > 0)
		n += k;
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_cli(void **state)
{
	static const char *const targets[] = {"ws-1", "ws-2"};
	char *ci = fresh_db("t_cli"), *dir = cs_test_tmpdir(), args[1024], out[8192];
	struct cs_fleet_pg *pg = must_open(ci);
	struct cs_finding_rec f = finding("/opt/3cx/app.exe", 1000, 2000);
	DIR *d;
	struct dirent *e;
	int left = 0;

	(void)state;
	assert_int_equal(
	        cs_fleet_pg_hunt_put(pg, "h1", "{\"id\":\"h1\"}", 1796000000, 0, targets, 2),
	        CS_OK);
	send_finding(pg, "h1", "ws-1", 1, 0, &f, 0);
	send_status(pg, "h1", "ws-1", 1, 1, "done", 1);
	setenv("TMPDIR", dir, 1);
	snprintf(args, sizeof(args), "--db '%s' findings", ci);
	assert_int_equal(run_cli(args, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "/opt/3cx/app.exe"));
	assert_non_null(strstr(out, "ws-2"));
	snprintf(args, sizeof(args), "--db '%s' report --out '%s'", ci, dir);
	if (run_cli(args, out, sizeof(out)) != 0)
		fail_msg("report: %s", out);
	/* The host that never answered is in the report as incomplete. */
	snprintf(args, sizeof(args),
	         "grep -q '\"host\":\"ws-2\".*\"incomplete\":true' '%s/findings.jsonl'", dir);
	assert_int_equal(system(args), 0);
	/* A command that writes a case refuses the fleet's database. */
	snprintf(args, sizeof(args), "--db '%s' scan files '%s'", ci, dir);
	assert_int_equal(run_cli(args, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "only the collector writes"));
	/* An unreachable database is an error, not an empty case. */
	assert_int_equal(
	        run_cli("--db postgresql://nobody@127.0.0.1:1/none findings", out, sizeof(out)), 2);
	assert_non_null(strstr(out, "fleet's case database"));
	/* No snapshot is left in $TMPDIR. */
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d)))
		left += strncmp(e->d_name, "chainsweep-fleet-", 17) == 0;
	closedir(d);
	assert_int_equal(left, 0);
	unsetenv("TMPDIR");
	cs_fleet_pg_close(pg);
	cs_test_rmtree(dir);
	free(dir);
	free(ci);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_open_idempotent),
	        cmocka_unit_test(test_apply_duplicate),
	        cmocka_unit_test(test_two_sweeps_one_fact),
	        cmocka_unit_test(test_torn_transaction),
	        cmocka_unit_test(test_progress),
	        cmocka_unit_test(test_snapshot),
	        cmocka_unit_test(test_cli),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

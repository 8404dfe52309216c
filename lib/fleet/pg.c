/*
 * The fleet's case database in PostgreSQL (docs/fleet.md, "The collector
 * and PostgreSQL").
 *
 * The collector applies each result message in one transaction whose
 * first statement inserts the message id into fleet_msg: a redelivered
 * message finds its id there and changes nothing, so acknowledging after
 * COMMIT gives exactly-once rows over an at-least-once stream. Findings
 * are one row per host and fact (kind, evidence, location, observed,
 * indicator), keyed by an md5 of those fields so that long paths never
 * meet PostgreSQL's limit on index entries; finding_sweep records which
 * sweeps saw each one, so that one hunt's view can be cut out.
 *
 * Operators read through a snapshot: the fleet case written as a SQLite
 * case database with the cs_store API, which the one-host commands read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "chainsweep/fleet_pg.h"
#include "chainsweep/fleet_wire.h"
#include "chainsweep/store.h"
#include "fleet/pg_int.h"

#define MSG_ID_MAX 256
#define NPARAMS    24

struct cs_fleet_pg {
	PGconn *conn;
	char *conninfo;
	char errmsg[512];
	int break_before_commit;
};

/* Text parameters of one statement. */
struct params {
	const char *v[NPARAMS];
	char num[NPARAMS][24];
	int n;
};

static const char schema_sql[] =
        "CREATE TABLE IF NOT EXISTS fleet_meta(key text PRIMARY KEY, value text NOT NULL);\n"
        "CREATE TABLE IF NOT EXISTS fleet_msg(id text PRIMARY KEY,\n"
        "  received timestamptz NOT NULL DEFAULT now());\n"
        "CREATE TABLE IF NOT EXISTS fleet_host(host text PRIMARY KEY,\n"
        "  labels text[] NOT NULL DEFAULT '{}', first_seen timestamptz NOT NULL DEFAULT now(),\n"
        "  last_seen timestamptz NOT NULL DEFAULT now());\n"
        "CREATE TABLE IF NOT EXISTS hunt(id text PRIMARY KEY, doc jsonb NOT NULL,\n"
        "  created timestamptz, expires timestamptz, state text NOT NULL DEFAULT 'active');\n"
        "CREATE TABLE IF NOT EXISTS hunt_target(\n"
        "  hunt text NOT NULL REFERENCES hunt(id) ON DELETE CASCADE, host text NOT NULL,\n"
        "  PRIMARY KEY(hunt, host));\n"
        "CREATE TABLE IF NOT EXISTS hunt_host(hunt text NOT NULL, host text NOT NULL,\n"
        "  run bigint NOT NULL, seq bigint NOT NULL DEFAULT -1, state text NOT NULL,\n"
        "  started timestamptz, finished timestamptz, findings bigint NOT NULL DEFAULT 0,\n"
        "  received bigint NOT NULL DEFAULT 0, dropped bigint NOT NULL DEFAULT 0,\n"
        "  coverage jsonb, intel_version bigint NOT NULL DEFAULT 0, detail text,\n"
        "  exit_code integer, last_msg timestamptz, PRIMARY KEY(hunt, host));\n"
        "CREATE TABLE IF NOT EXISTS sweep(id bigserial PRIMARY KEY, hunt text NOT NULL,\n"
        "  host text NOT NULL, run bigint NOT NULL, started timestamptz NOT NULL DEFAULT now(),\n"
        "  finished timestamptz, intel_version bigint NOT NULL DEFAULT 0, coverage jsonb,\n"
        "  incomplete boolean NOT NULL DEFAULT false, state text NOT NULL DEFAULT 'running',\n"
        "  detail text, seq bigint NOT NULL DEFAULT -1, UNIQUE(hunt, host, run));\n"
        "CREATE TABLE IF NOT EXISTS finding(id bigserial PRIMARY KEY, host text NOT NULL,\n"
        "  fact text NOT NULL, kind integer NOT NULL, evidence text NOT NULL,\n"
        "  location text NOT NULL, observed text, ind_kind text NOT NULL,\n"
        "  ind_value text NOT NULL, labels text[] NOT NULL DEFAULT '{}', source text,\n"
        "  warninglisted boolean NOT NULL DEFAULT false, confidence integer NOT NULL DEFAULT -1,\n"
        "  first_seen bigint NOT NULL DEFAULT 0, last_seen bigint NOT NULL DEFAULT 0,\n"
        "  count bigint NOT NULL DEFAULT 0, sha256 text, sha1 text, md5 text, process jsonb,\n"
        "  first_sweep bigint NOT NULL REFERENCES sweep(id),\n"
        "  last_sweep bigint NOT NULL REFERENCES sweep(id), UNIQUE(host, fact));\n"
        "CREATE TABLE IF NOT EXISTS finding_sweep(\n"
        "  finding bigint NOT NULL REFERENCES finding(id) ON DELETE CASCADE,\n"
        "  sweep bigint NOT NULL REFERENCES sweep(id) ON DELETE CASCADE,\n"
        "  count bigint NOT NULL DEFAULT 0, PRIMARY KEY(finding, sweep));\n"
        "CREATE INDEX IF NOT EXISTS finding_sweep_sweep ON finding_sweep(sweep);\n"
        "CREATE TABLE IF NOT EXISTS software(id bigserial PRIMARY KEY, host text NOT NULL,\n"
        "  key text NOT NULL, source text NOT NULL, entry text, ecosystem text NOT NULL,\n"
        "  name text NOT NULL, version text NOT NULL, purl text, platform text, vendor text,\n"
        "  reader text, install_time bigint NOT NULL DEFAULT 0,\n"
        "  install_time_source integer NOT NULL DEFAULT 0,\n"
        "  first_sweep bigint NOT NULL REFERENCES sweep(id),\n"
        "  last_sweep bigint NOT NULL REFERENCES sweep(id), UNIQUE(host, key));\n"
        "CREATE TABLE IF NOT EXISTS bundle(version bigint PRIMARY KEY, sha256 text NOT NULL,\n"
        "  created timestamptz NOT NULL DEFAULT now(), data bytea NOT NULL);\n"
        "INSERT INTO fleet_meta(key, value) VALUES('schema', '1')\n"
        "  ON CONFLICT(key) DO UPDATE SET value = excluded.value;\n";

static void p_str(struct params *p, const char *s)
{
	p->v[p->n++] = s;
}

static void p_i64(struct params *p, int64_t x)
{
	snprintf(p->num[p->n], sizeof(p->num[0]), "%lld", (long long)x);
	p->v[p->n] = p->num[p->n];
	p->n++;
}

static int64_t i64(const char *s)
{
	return s && *s ? strtoll(s, NULL, 10) : 0;
}

static int setmsg(struct cs_fleet_pg *pg, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static int setmsg(struct cs_fleet_pg *pg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pg->errmsg, sizeof(pg->errmsg), fmt, ap);
	va_end(ap);
	return CS_ERR_DB;
}

/* libpq's message without its trailing newline. */
static int pq_fail(struct cs_fleet_pg *pg, const char *what, const PGresult *r)
{
	const char *m = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	size_t n;

	if (!m)
		m = pg->conn ? PQerrorMessage(pg->conn) : "no connection";
	n = strcspn(m, "\n");
	return setmsg(pg, "%s: %.*s", what, (int)n, m);
}

/* libpq prints notices (CREATE ... IF NOT EXISTS says "already exists")
 * on stderr by default: the library never prints. */
static void no_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* A working connection: the one we have, or a new one. */
static int connected(struct cs_fleet_pg *pg)
{
	const char *why;
	PGresult *r;

	if (pg->conn && PQstatus(pg->conn) == CONNECTION_OK)
		return CS_OK;
	if (cs__fleet_pq_load(&why) != CS_OK)
		return setmsg(pg, "connect: %s", why);
	PQfinish(pg->conn);
	pg->conn = PQconnectdb(pg->conninfo);
	if (!pg->conn)
		return setmsg(pg, "connect: out of memory");
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		pq_fail(pg, "connect", NULL);
		PQfinish(pg->conn);
		pg->conn = NULL;
		return CS_ERR_DB;
	}
	PQsetNoticeProcessor(pg->conn, no_notice, NULL);
	if (PQsetClientEncoding(pg->conn, "UTF8") != 0)
		return pq_fail(pg, "client encoding", NULL);
	r = PQexec(pg->conn, "SET TIME ZONE 'UTC'");
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		pq_fail(pg, "connect", r);
		PQclear(r);
		return CS_ERR_DB;
	}
	PQclear(r);
	return CS_OK;
}

/* Run one statement; the result (to PQclear) when its status is `want`,
 * else NULL with the message set. */
static PGresult *exec_p(struct cs_fleet_pg *pg, const char *what, const char *sql,
                        const struct params *p, ExecStatusType want)
{
	PGresult *r =
	        PQexecParams(pg->conn, sql, p ? p->n : 0, NULL, p ? p->v : NULL, NULL, NULL, 0);

	if (PQresultStatus(r) != want) {
		pq_fail(pg, what, r);
		PQclear(r);
		return NULL;
	}
	return r;
}

static int cmd(struct cs_fleet_pg *pg, const char *what, const char *sql, const struct params *p)
{
	PGresult *r = exec_p(pg, what, sql, p, PGRES_COMMAND_OK);

	PQclear(r);
	return r ? CS_OK : CS_ERR_DB;
}

static void rollback(struct cs_fleet_pg *pg)
{
	if (pg->conn && PQstatus(pg->conn) == CONNECTION_OK)
		PQclear(PQexec(pg->conn, "ROLLBACK"));
}

static void copy_err(const struct cs_fleet_pg *pg, char *err, size_t errlen)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", pg->errmsg);
}

int cs_fleet_pg_is_uri(const char *s)
{
	return s && (strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0);
}

/*
 * Create the schema unless the database already has it. The version is
 * read first so that a role that may only read can open a database that
 * is up to date; creating happens under a transaction-scoped advisory
 * lock, so two processes opening a fresh database do not race.
 */
static int schema(struct cs_fleet_pg *pg)
{
	PGresult *r;
	int64_t have = 0;
	int rc;

	r = PQexec(pg->conn, "SELECT value FROM fleet_meta WHERE key = 'schema'");
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		if (PQntuples(r) == 1)
			have = i64(PQgetvalue(r, 0, 0));
	} else {
		const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

		if (!state || strcmp(state, "42P01") != 0) { /* undefined_table */
			pq_fail(pg, "schema", r);
			PQclear(r);
			return CS_ERR_DB;
		}
	}
	PQclear(r);
	if (have > CS_FLEET_PG_SCHEMA) {
		setmsg(pg, "schema version %lld is newer than this chainsweep's (%d)",
		       (long long)have, CS_FLEET_PG_SCHEMA);
		return CS_ERR_UNSUPPORTED;
	}
	if (have == CS_FLEET_PG_SCHEMA)
		return CS_OK;
	rc = cmd(pg, "schema", "BEGIN", NULL);
	if (!rc) {
		r = exec_p(pg, "schema", "SELECT pg_advisory_xact_lock(7401343103)", NULL,
		           PGRES_TUPLES_OK);
		rc = r ? CS_OK : CS_ERR_DB;
		PQclear(r);
	}
	if (!rc) {
		r = PQexec(pg->conn, schema_sql);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = pq_fail(pg, "schema", r);
		PQclear(r);
	}
	if (!rc)
		rc = cmd(pg, "schema", "COMMIT", NULL);
	if (rc)
		rollback(pg);
	return rc;
}

int cs_fleet_pg_open(const char *conninfo, struct cs_fleet_pg **out, char *err, size_t errlen)
{
	struct cs_fleet_pg *pg;
	int rc;

	if (!conninfo || !out) {
		if (err && errlen)
			snprintf(err, errlen, "no connection given");
		return CS_ERR_INVALID;
	}
	pg = calloc(1, sizeof(*pg));
	if (!pg || !(pg->conninfo = strdup(conninfo))) {
		free(pg);
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
		return CS_ERR_NOMEM;
	}
	rc = connected(pg);
	if (!rc)
		rc = schema(pg);
	if (rc) {
		copy_err(pg, err, errlen);
		cs_fleet_pg_close(pg);
		return rc;
	}
	*out = pg;
	return CS_OK;
}

void cs_fleet_pg_close(struct cs_fleet_pg *pg)
{
	if (!pg)
		return;
	PQfinish(pg->conn);
	free(pg->conninfo);
	free(pg);
}

const char *cs_fleet_pg_errmsg(const struct cs_fleet_pg *pg)
{
	return pg ? pg->errmsg : "no handle";
}

void cs__fleet_pg_break_before_commit(struct cs_fleet_pg *pg, int on)
{
	pg->break_before_commit = on;
}

/* ---- applying result messages ---- */

/* The to_timestamp() of epoch milliseconds, or NULL for 0. */
#define TS_MS(n) "CASE WHEN " n "::bigint > 0 THEN to_timestamp(" n "::bigint / 1000.0) END"

/* The row of the message's run of the hunt on its host (created on the
 * first message of the run), and the host's and run's bookkeeping. */
static int touch_run(struct cs_fleet_pg *pg, const struct cs_fleet_msg *m, int64_t *sweep)
{
	struct params p = {.n = 0};
	PGresult *r;
	int rc;

	p_str(&p, m->host);
	rc = cmd(pg, "host",
	         "INSERT INTO fleet_host(host) VALUES($1)"
	         " ON CONFLICT(host) DO UPDATE SET last_seen = now()",
	         &p);
	if (rc)
		return rc;
	p.n = 0;
	p_str(&p, m->hunt);
	p_str(&p, m->host);
	p_i64(&p, m->run);
	r = exec_p(pg, "sweep",
	           "INSERT INTO sweep(hunt, host, run) VALUES($1, $2, $3)"
	           " ON CONFLICT(hunt, host, run) DO UPDATE SET run = excluded.run RETURNING id",
	           &p, PGRES_TUPLES_OK);
	if (!r)
		return CS_ERR_DB;
	*sweep = i64(PQgetvalue(r, 0, 0));
	PQclear(r);
	/* The host's state in the hunt follows its latest run: a message of a
	 * newer run starts the record afresh, one of an older run (a late
	 * redelivery) only counts as contact. */
	rc = cmd(pg, "hunt host",
	         "INSERT INTO hunt_host(hunt, host, run, state) VALUES($1, $2, $3, 'running')"
	         " ON CONFLICT(hunt, host) DO NOTHING",
	         &p);
	if (!rc)
		rc = cmd(pg, "hunt host",
		         "UPDATE hunt_host SET run = $3, seq = -1, state = 'running', started = "
		         "NULL,"
		         " finished = NULL, findings = 0, received = 0, dropped = 0, coverage = "
		         "NULL,"
		         " intel_version = 0, detail = NULL, exit_code = NULL"
		         " WHERE hunt = $1 AND host = $2 AND run < $3",
		         &p);
	p.n = 2;
	if (!rc)
		rc = cmd(pg, "hunt host",
		         "UPDATE hunt_host SET last_msg = now() WHERE hunt = $1 AND host = $2", &p);
	return rc;
}

static const char finding_sql[] =
        "WITH f AS (INSERT INTO finding(host, fact, kind, evidence, location, observed,"
        "  ind_kind, ind_value, labels, source, warninglisted, confidence, first_seen,"
        "  last_seen, count, sha256, sha1, md5, process, first_sweep, last_sweep)"
        " VALUES($1, md5($2 || '|' || length($3) || ':' || $3 || '|' || length($4) || ':' || $4"
        "  || '|' || coalesce(length($5) || ':' || $5, '-') || '|' || length($6) || ':' || $6"
        "  || '|' || length($7) || ':' || $7),"
        "  $2::integer, $3, $4, $5, $6, $7,"
        "  ARRAY(SELECT jsonb_array_elements_text($8::jsonb)), $9, $10::boolean,"
        "  $11::integer, $12::bigint, $13::bigint, $14::bigint, $15, $16, $17, $18::jsonb,"
        "  $19::bigint, $19::bigint)"
        " ON CONFLICT(host, fact) DO UPDATE SET"
        "  first_seen = CASE WHEN finding.first_seen = 0 OR (excluded.first_seen <> 0 AND"
        "   excluded.first_seen < finding.first_seen) THEN excluded.first_seen"
        "   ELSE finding.first_seen END,"
        "  last_seen = greatest(finding.last_seen, excluded.last_seen),"
        "  count = CASE WHEN finding.kind = 2 THEN greatest(finding.count, excluded.count)"
        "   ELSE least(finding.count::numeric + excluded.count, 9223372036854775807)::bigint"
        "   END,"
        "  last_sweep = greatest(finding.last_sweep, excluded.last_sweep),"
        "  labels = excluded.labels, source = coalesce(excluded.source, finding.source),"
        "  warninglisted = excluded.warninglisted,"
        "  confidence = CASE WHEN excluded.confidence >= 0 THEN excluded.confidence"
        "   ELSE finding.confidence END,"
        "  sha256 = coalesce(excluded.sha256, finding.sha256),"
        "  sha1 = coalesce(excluded.sha1, finding.sha1),"
        "  md5 = coalesce(excluded.md5, finding.md5),"
        "  process = coalesce(excluded.process, finding.process)"
        " RETURNING id, kind)"
        " INSERT INTO finding_sweep(finding, sweep, count) SELECT id, $19::bigint, $14::bigint"
        "  FROM f"
        " ON CONFLICT(finding, sweep) DO UPDATE SET count = CASE"
        "  WHEN $2::integer = 2 THEN greatest(finding_sweep.count, excluded.count)"
        "  ELSE least(finding_sweep.count::numeric + excluded.count,"
        "   9223372036854775807)::bigint END";

static int apply_finding(struct cs_fleet_pg *pg, const struct cs_fleet_msg *m, int64_t sweep)
{
	const struct cs_finding_rec *f = &m->finding;
	struct params p = {.n = 0};
	json_t *labels = json_array();
	char *ltext = NULL;
	size_t i;
	int rc;

	for (i = 0; labels && i < f->nlabels; i++)
		if (json_array_append_new(labels, json_string(f->labels[i]))) {
			json_decref(labels);
			labels = NULL;
		}
	if (labels)
		ltext = json_dumps(labels, JSON_COMPACT);
	json_decref(labels);
	if (!ltext)
		return setmsg(pg, "finding: out of memory");
	p_str(&p, m->host);
	p_i64(&p, f->kind);
	p_str(&p, f->evidence ? f->evidence : "");
	p_str(&p, f->location ? f->location : "");
	p_str(&p, f->observed);
	p_str(&p, f->ind_kind ? f->ind_kind : "");
	p_str(&p, f->ind_value ? f->ind_value : "");
	p_str(&p, ltext);
	p_str(&p, f->source);
	p_str(&p, f->warninglisted ? "true" : "false");
	p_i64(&p, f->confidence);
	p_i64(&p, f->first_seen_ms);
	p_i64(&p, f->last_seen_ms);
	p_i64(&p, f->count ? (int64_t)f->count : 1);
	p_str(&p, f->sha256);
	p_str(&p, f->sha1);
	p_str(&p, f->md5);
	p_str(&p, f->process);
	p_i64(&p, sweep);
	rc = cmd(pg, "finding", finding_sql, &p);
	free(ltext);
	if (rc)
		return rc;
	p.n = 0;
	p_str(&p, m->hunt);
	p_str(&p, m->host);
	p_i64(&p, m->run);
	return cmd(pg, "hunt host",
	           "UPDATE hunt_host SET received = received + 1"
	           " WHERE hunt = $1 AND host = $2 AND run = $3",
	           &p);
}

static int apply_software(struct cs_fleet_pg *pg, const struct cs_fleet_msg *m, int64_t sweep)
{
	const struct cs_software_rec *s = &m->software;
	struct params p = {.n = 0};

	p_str(&p, m->host);
	p_str(&p, s->source);
	p_str(&p, s->entry);
	p_str(&p, s->ecosystem);
	p_str(&p, s->name);
	p_str(&p, s->version);
	p_str(&p, s->purl);
	p_str(&p, s->platform);
	p_str(&p, s->vendor);
	p_str(&p, s->reader);
	p_i64(&p, s->install_time);
	p_i64(&p, s->install_time_source);
	p_i64(&p, sweep);
	return cmd(pg, "software",
	           "INSERT INTO software(host, key, source, entry, ecosystem, name, version, purl,"
	           " platform, vendor, reader, install_time, install_time_source, first_sweep,"
	           " last_sweep)"
	           " VALUES($1, md5(length($2) || ':' || $2 || '|' || length($4) || ':' || $4"
	           "  || '|' || length($5) || ':' || $5 || '|' || $6), $2, $3, $4, $5, $6, $7, $8,"
	           "  $9, $10, $11::bigint, $12::integer, $13::bigint, $13::bigint)"
	           " ON CONFLICT(host, key) DO UPDATE SET"
	           "  last_sweep = greatest(software.last_sweep, excluded.last_sweep),"
	           "  entry = excluded.entry, purl = coalesce(excluded.purl, software.purl),"
	           "  platform = coalesce(excluded.platform, software.platform),"
	           "  vendor = coalesce(excluded.vendor, software.vendor),"
	           "  reader = coalesce(excluded.reader, software.reader),"
	           "  install_time = CASE WHEN excluded.install_time <> 0"
	           "   THEN excluded.install_time ELSE software.install_time END,"
	           "  install_time_source = CASE WHEN excluded.install_time <> 0"
	           "   THEN excluded.install_time_source ELSE software.install_time_source END",
	           &p);
}

/*
 * A status: the host's record in the hunt takes it when it is the newest
 * of the run (by seq); a final state closes the run's sweep row, with the
 * coverage, and marks it incomplete unless the state is "done" (an error
 * or a refusal covered nothing that can be called clean).
 */
static int apply_status(struct cs_fleet_pg *pg, const struct cs_fleet_msg *m, int64_t sweep)
{
	const struct cs_fleet_status *s = &m->status;
	struct params p = {.n = 0};
	int rc;

	p_str(&p, m->hunt);
	p_str(&p, m->host);
	p_i64(&p, m->run);
	p_i64(&p, m->seq);
	p_str(&p, s->state);
	p_str(&p, s->detail);
	p_str(&p, s->coverage_json);
	p_i64(&p, s->started_ms);
	p_i64(&p, s->finished_ms);
	p_i64(&p, s->intel_version);
	p_i64(&p, (int64_t)s->findings);
	p_i64(&p, (int64_t)s->dropped);
	p_i64(&p, s->exit_code);
	rc = cmd(pg, "status",
	         "UPDATE hunt_host SET seq = $4::bigint, state = $5, detail = $6,"
	         " coverage = coalesce($7::jsonb, coverage),"
	         " started = coalesce(" TS_MS(
	                 "$8") ", started),"
	                       " finished = " TS_MS("$9") ", intel_version = $10::bigint,"
	                                                  " findings = $11::bigint, dropped = "
	                                                  "$12::bigint, exit_code = $13::integer"
	                                                  " WHERE hunt = $1 AND host = $2 AND run "
	                                                  "= $3::bigint AND seq < $4::bigint",
	         &p);
	if (rc)
		return rc;
	/* Only the newest status of the run moves its sweep row. */
	p.n = 0;
	p_i64(&p, sweep);
	p_i64(&p, m->seq);
	if (strcmp(s->state, "running") == 0) {
		p_i64(&p, s->started_ms);
		p_i64(&p, s->intel_version);
		p_str(&p, s->detail);
		return cmd(pg, "status",
		           "UPDATE sweep SET seq = $2::bigint,"
		           " started = coalesce(" TS_MS(
		                   "$3") ", started),"
		                         " intel_version = CASE WHEN $4::bigint > 0 THEN $4::bigint"
		                         "  ELSE intel_version END, detail = coalesce($5, detail)"
		                         " WHERE id = $1::bigint AND finished IS NULL AND seq < "
		                         "$2::bigint",
		           &p);
	}
	p_str(&p, s->state);
	p_str(&p, s->detail);
	p_str(&p, s->coverage_json);
	p_i64(&p, s->started_ms);
	p_i64(&p, s->finished_ms);
	p_i64(&p, s->intel_version);
	return cmd(pg, "status",
	           "UPDATE sweep SET seq = $2::bigint, state = $3, detail = $4,"
	           " coverage = $5::jsonb, started = coalesce(" TS_MS(
	                   "$6") ", started),"
	                         " finished = coalesce(" TS_MS(
	                                 "$7") ", now()),"
	                                       " intel_version = $8::bigint, incomplete = ($3 <> "
	                                       "'done')"
	                                       " WHERE id = $1::bigint AND seq < $2::bigint",
	           &p);
}

int cs_fleet_pg_apply(struct cs_fleet_pg *pg, const char *msg_id, const char *json, size_t len,
                      int *duplicate, char *err, size_t errlen)
{
	struct cs_fleet_msg m;
	struct params p = {.n = 0};
	PGresult *r;
	char want[2 * CS_FLEET_ID_MAX + 48];
	int64_t sweep = 0;
	int rc, in_tx = 0;

	if (!pg || !msg_id || !json || !duplicate) {
		if (err && errlen)
			snprintf(err, errlen, "bad argument");
		return CS_ERR_INVALID;
	}
	*duplicate = 0;
	pg->errmsg[0] = '\0';
	if (!*msg_id || strlen(msg_id) > MSG_ID_MAX) {
		setmsg(pg, "message id empty or longer than %d bytes", MSG_ID_MAX);
		copy_err(pg, err, errlen);
		return CS_ERR_INVALID;
	}
	rc = cs_fleet_wire_decode(json, len, &m, pg->errmsg, sizeof(pg->errmsg));
	if (rc) {
		copy_err(pg, err, errlen);
		return rc;
	}
	/* The id is the message's identity: one that says otherwise would
	 * let a message pass for another, or a copy escape de-duplication. */
	snprintf(want, sizeof(want), "%s:%s:%lld:%lld", m.hunt, m.host, (long long)m.run,
	         (long long)m.seq);
	if (strcmp(want, msg_id) != 0) {
		rc = CS_ERR_PARSE;
		setmsg(pg, "message id '%.256s' is not its content's '%s'", msg_id, want);
		goto out;
	}
	rc = connected(pg);
	if (!rc)
		rc = cmd(pg, "begin", "BEGIN", NULL);
	if (rc)
		goto out;
	in_tx = 1;
	p_str(&p, msg_id);
	r = exec_p(pg, "message id",
	           "INSERT INTO fleet_msg(id) VALUES($1) ON CONFLICT(id) DO NOTHING", &p,
	           PGRES_COMMAND_OK);
	if (!r) {
		rc = CS_ERR_DB;
		goto out;
	}
	if (strcmp(PQcmdTuples(r), "0") == 0) {
		PQclear(r);
		*duplicate = 1;
		goto out; /* rolled back below: nothing to write */
	}
	PQclear(r);
	rc = touch_run(pg, &m, &sweep);
	if (!rc) {
		if (m.type == CS_FLEET_MSG_FINDING)
			rc = apply_finding(pg, &m, sweep);
		else if (m.type == CS_FLEET_MSG_SOFTWARE)
			rc = apply_software(pg, &m, sweep);
		else
			rc = apply_status(pg, &m, sweep);
	}
	if (rc)
		goto out;
	if (pg->break_before_commit) {
		PQfinish(pg->conn);
		pg->conn = NULL;
		rc = setmsg(pg, "commit: connection closed before COMMIT (test hook)");
		goto out;
	}
	rc = cmd(pg, "commit", "COMMIT", NULL);
	in_tx = 0;
out:
	if (in_tx && (rc || *duplicate))
		rollback(pg);
	cs_fleet_msg_free(&m);
	if (rc)
		copy_err(pg, err, errlen);
	return rc;
}

/* ---- the operator's side ---- */

int cs_fleet_pg_hunt_put(struct cs_fleet_pg *pg, const char *id, const char *doc_json,
                         int64_t created, int64_t expires, const char *const *targets,
                         size_t ntargets)
{
	struct params p = {.n = 0};
	size_t i;
	int rc;

	if (!pg)
		return CS_ERR_INVALID;
	pg->errmsg[0] = '\0';
	if (!cs_fleet_hunt_id_ok(id) || !doc_json || (ntargets && !targets) || created < 0 ||
	    expires < 0 || created > CS_FLEET_WIRE_MAX_TIME_MS / 1000 ||
	    expires > CS_FLEET_WIRE_MAX_TIME_MS / 1000) {
		setmsg(pg, "hunt: bad id, document, times or targets");
		return CS_ERR_INVALID;
	}
	for (i = 0; i < ntargets; i++)
		if (!cs_fleet_host_id_ok(targets[i])) {
			setmsg(pg, "hunt: target %zu is not a valid host id", i);
			return CS_ERR_INVALID;
		}
	rc = connected(pg);
	if (!rc)
		rc = cmd(pg, "begin", "BEGIN", NULL);
	if (rc)
		return rc;
	p_str(&p, id);
	p_str(&p, doc_json);
	p_i64(&p, created * 1000);
	p_i64(&p, expires * 1000);
	rc = cmd(pg, "hunt",
	         "INSERT INTO hunt(id, doc, created, expires, state)"
	         " VALUES($1, $2::jsonb, " TS_MS("$3") ", " TS_MS(
	                 "$4") ", 'active')"
	                       " ON CONFLICT(id) DO UPDATE SET doc = excluded.doc, created = "
	                       "excluded.created,"
	                       "  expires = excluded.expires, state = excluded.state",
	         &p);
	p.n = 1;
	if (!rc)
		rc = cmd(pg, "hunt targets", "DELETE FROM hunt_target WHERE hunt = $1", &p);
	for (i = 0; !rc && i < ntargets; i++) {
		p.n = 1;
		p_str(&p, targets[i]);
		rc = cmd(
		        pg, "hunt targets",
		        "INSERT INTO hunt_target(hunt, host) VALUES($1, $2) ON CONFLICT DO NOTHING",
		        &p);
	}
	if (!rc)
		rc = cmd(pg, "commit", "COMMIT", NULL);
	if (rc)
		rollback(pg);
	return rc;
}

int cs_fleet_pg_hunt_state(struct cs_fleet_pg *pg, const char *id, const char *state)
{
	struct params p = {.n = 0};
	PGresult *r;
	int rc;

	if (!pg)
		return CS_ERR_INVALID;
	pg->errmsg[0] = '\0';
	if (!id || !state || (strcmp(state, "active") && strcmp(state, "stopped"))) {
		setmsg(pg, "hunt state: 'active' or 'stopped'");
		return CS_ERR_INVALID;
	}
	rc = connected(pg);
	if (rc)
		return rc;
	p_str(&p, id);
	p_str(&p, state);
	r = exec_p(pg, "hunt state", "UPDATE hunt SET state = $2 WHERE id = $1", &p,
	           PGRES_COMMAND_OK);
	if (!r)
		return CS_ERR_DB;
	rc = strcmp(PQcmdTuples(r), "0") == 0 ? CS_ERR_NOTFOUND : CS_OK;
	PQclear(r);
	if (rc)
		setmsg(pg, "hunt state: no such hunt");
	return rc;
}

int cs_fleet_pg_bundle_put(struct cs_fleet_pg *pg, int64_t version, const char *sha256,
                           const void *data, size_t len)
{
	const char *vals[3];
	int lens[3] = {0, 0, 0}, fmts[3] = {0, 0, 1};
	char ver[24];
	PGresult *r;
	int rc;

	if (!pg)
		return CS_ERR_INVALID;
	pg->errmsg[0] = '\0';
	if (version < 1 || !sha256 || (!data && len) || len > 0x7fffffff) {
		setmsg(pg, "bundle: bad version, digest or data");
		return CS_ERR_INVALID;
	}
	rc = connected(pg);
	if (rc)
		return rc;
	snprintf(ver, sizeof(ver), "%lld", (long long)version);
	vals[0] = ver;
	vals[1] = sha256;
	vals[2] = data ? data : "";
	lens[2] = (int)len;
	r = PQexecParams(
	        pg->conn,
	        "INSERT INTO bundle(version, sha256, data) VALUES($1::bigint, $2, $3::bytea)"
	        " ON CONFLICT(version) DO UPDATE SET sha256 = excluded.sha256,"
	        "  data = excluded.data, created = now()",
	        3, NULL, vals, lens, fmts, 0);
	rc = PQresultStatus(r) == PGRES_COMMAND_OK ? CS_OK : pq_fail(pg, "bundle", r);
	PQclear(r);
	return rc;
}

int cs_fleet_pg_progress(struct cs_fleet_pg *pg, const char *hunt, cs_fleet_progress_fn fn,
                         void *ud, struct cs_fleet_progress_totals *tot)
{
	struct cs_fleet_progress_totals t;
	struct params p = {.n = 0};
	PGresult *r;
	int rc = CS_OK, i, n;

	if (!pg)
		return CS_ERR_INVALID;
	pg->errmsg[0] = '\0';
	if (!hunt) {
		setmsg(pg, "progress: no hunt given");
		return CS_ERR_INVALID;
	}
	rc = connected(pg);
	if (rc)
		return rc;
	memset(&t, 0, sizeof(t));
	p_str(&p, hunt);
	r = exec_p(pg, "progress",
	           "SELECT h.host, coalesce(hh.state, 'not-seen'), t.host IS NOT NULL,"
	           " coalesce(hh.run, 0), greatest(coalesce(hh.findings, 0), coalesce(hh.received, "
	           "0)),"
	           " coalesce(hh.dropped, 0),"
	           " coalesce(round(extract(epoch FROM hh.last_msg) * 1000)::bigint, 0), hh.detail"
	           " FROM (SELECT host FROM hunt_target WHERE hunt = $1"
	           "  UNION SELECT host FROM hunt_host WHERE hunt = $1) h"
	           " LEFT JOIN hunt_target t ON t.hunt = $1 AND t.host = h.host"
	           " LEFT JOIN hunt_host hh ON hh.hunt = $1 AND hh.host = h.host"
	           " ORDER BY h.host",
	           &p, PGRES_TUPLES_OK);
	if (!r)
		return CS_ERR_DB;
	n = PQntuples(r);
	if (n == 0) {
		PGresult *e = exec_p(pg, "progress", "SELECT 1 FROM hunt WHERE id = $1", &p,
		                     PGRES_TUPLES_OK);

		if (!e) {
			PQclear(r);
			return CS_ERR_DB;
		}
		if (PQntuples(e) == 0) {
			setmsg(pg, "progress: no such hunt");
			rc = CS_ERR_NOTFOUND;
		}
		PQclear(e);
	}
	for (i = 0; i < n && !rc; i++) {
		struct cs_fleet_progress row;

		memset(&row, 0, sizeof(row));
		row.host = PQgetvalue(r, i, 0);
		row.state = PQgetvalue(r, i, 1);
		row.targeted = strcmp(PQgetvalue(r, i, 2), "t") == 0;
		row.run = i64(PQgetvalue(r, i, 3));
		row.findings = (uint64_t)i64(PQgetvalue(r, i, 4));
		row.dropped = (uint64_t)i64(PQgetvalue(r, i, 5));
		row.last_msg_ms = i64(PQgetvalue(r, i, 6));
		row.detail = PQgetisnull(r, i, 7) ? NULL : PQgetvalue(r, i, 7);
		t.hosts++;
		t.targets += (uint64_t)row.targeted;
		if (strcmp(row.state, "not-seen") == 0)
			t.not_seen++;
		else if (strcmp(row.state, "running") == 0)
			t.running++;
		else if (strcmp(row.state, "done") == 0)
			t.done++;
		else if (strcmp(row.state, "incomplete") == 0)
			t.incomplete++;
		else if (strcmp(row.state, "error") == 0)
			t.error++;
		else if (strcmp(row.state, "refused") == 0)
			t.refused++;
		t.findings += row.findings;
		t.dropped += row.dropped;
		if (fn)
			rc = fn(ud, &row);
	}
	PQclear(r);
	if (!rc && tot)
		*tot = t;
	return rc;
}

/* ---- the snapshot ---- */

typedef int (*row_fn)(void *ud, const PGresult *r);

/* Run a query and hand its rows to fn one at a time (libpq's single-row
 * mode: a fleet's findings need not fit in memory twice). Every result is
 * read to the end even after fn fails, so the connection stays usable. */
static int each_row(struct cs_fleet_pg *pg, const char *what, const char *sql,
                    const struct params *p, row_fn fn, void *ud)
{
	PGresult *r;
	int rc = CS_OK;

	if (!PQsendQueryParams(pg->conn, sql, p->n, NULL, p->v, NULL, NULL, 0))
		return pq_fail(pg, what, NULL);
	if (!PQsetSingleRowMode(pg->conn))
		rc = pq_fail(pg, what, NULL);
	while ((r = PQgetResult(pg->conn))) {
		ExecStatusType st = PQresultStatus(r);

		if (st == PGRES_SINGLE_TUPLE) {
			if (!rc)
				rc = fn(ud, r);
		} else if (st != PGRES_TUPLES_OK && !rc) {
			rc = pq_fail(pg, what, r);
		}
		PQclear(r);
	}
	return rc;
}

struct id_pair {
	int64_t pg, local;
};

struct snap {
	struct cs_fleet_pg *pg;
	struct cs_store *st;
	struct id_pair *map;
	size_t nmap, cap;
	uint64_t sweeps, findings, software;
};

static int store_fail(struct snap *s, const char *what, int rc)
{
	setmsg(s->pg, "snapshot: %s: %s", what, cs_store_errmsg(s->st));
	return rc;
}

static const char *opt(const PGresult *r, int col)
{
	return PQgetisnull(r, 0, col) ? NULL : PQgetvalue(r, 0, col);
}

/*
 * The coverage a snapshot records for one sweep of the fleet: what the
 * agent sent, with "hunt"; for a run that has not ended or ended without
 * covering anything ("running", "error", "refused") "stopped" says so and
 * "detail" why, and for a target that never answered "answered": false.
 * The report shows "stopped" as the first gap of the host.
 */
static char *coverage_of(const char *cov, const char *hunt, const char *state, const char *detail)
{
	json_t *o = cov ? json_loads(cov, 0, NULL) : NULL;
	char *text;
	int final = strcmp(state, "done") == 0 || strcmp(state, "incomplete") == 0;

	if (o && !json_is_object(o)) {
		json_decref(o);
		o = NULL;
	}
	if (!o && !(o = json_object()))
		return NULL;
	json_object_set_new(o, "hunt", json_string(hunt));
	if (strcmp(state, "not-seen") == 0) {
		json_object_set_new(o, "answered", json_false());
		json_object_set_new(o, "stopped", json_string("not-answered"));
	} else if (!final) {
		json_object_set_new(o, "stopped", json_string(state));
		if (detail)
			json_object_set_new(o, "detail", json_string(detail));
	}
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

static int on_sweep_row(void *ud, const PGresult *r)
{
	struct snap *s = ud;
	struct cs_sweep_info si;
	const char *state = PQgetvalue(r, 0, 8);
	char what[96], *cov;
	int64_t local;
	int rc;

	memset(&si, 0, sizeof(si));
	si.host = PQgetvalue(r, 0, 1);
	si.started = i64(PQgetvalue(r, 0, 3));
	si.finished = i64(PQgetvalue(r, 0, 4));
	if (!si.finished)
		si.finished = si.started ? si.started : 1;
	si.intel_version = i64(PQgetvalue(r, 0, 5));
	si.incomplete = strcmp(PQgetvalue(r, 0, 7), "t") == 0 ||
	                (strcmp(state, "done") != 0 && strcmp(state, "incomplete") != 0);
	cov = coverage_of(opt(r, 6), PQgetvalue(r, 0, 2), state, opt(r, 9));
	if (!cov)
		return setmsg(s->pg, "snapshot: out of memory");
	si.coverage = cov;
	snprintf(what, sizeof(what), "fleet:%s", PQgetvalue(r, 0, 2));
	rc = cs_store_sweep_restore(s->st, &si, what, &local);
	free(cov);
	if (rc)
		return store_fail(s, "sweep", rc);
	s->sweeps++;
	if (PQgetisnull(r, 0, 0))
		return CS_OK;
	if (s->nmap == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct id_pair *m = realloc(s->map, cap * sizeof(*m));

		if (!m)
			return setmsg(s->pg, "snapshot: out of memory");
		s->map = m;
		s->cap = cap;
	}
	s->map[s->nmap].pg = i64(PQgetvalue(r, 0, 0));
	s->map[s->nmap++].local = local;
	return CS_OK;
}

static int pair_cmp(const void *a, const void *b)
{
	const struct id_pair *x = a, *y = b;

	return x->pg < y->pg ? -1 : x->pg > y->pg;
}

/* The snapshot's id of a PostgreSQL sweep, 0 when it is not in it. */
static int64_t local_id(const struct snap *s, int64_t pg)
{
	struct id_pair key = {pg, 0}, *hit;

	hit = s->nmap ? bsearch(&key, s->map, s->nmap, sizeof(*s->map), pair_cmp) : NULL;
	return hit ? hit->local : 0;
}

static int on_finding_row(void *ud, const PGresult *r)
{
	struct snap *s = ud;
	struct cs_finding_rec f;
	int64_t first = local_id(s, i64(PQgetvalue(r, 0, 17)));
	int64_t last = local_id(s, i64(PQgetvalue(r, 0, 18)));
	int rc;

	if (!first || !last)
		return setmsg(s->pg, "snapshot: a finding names a sweep that is not there");
	memset(&f, 0, sizeof(f));
	f.host = PQgetvalue(r, 0, 0);
	f.kind = (enum cs_finding_kind)i64(PQgetvalue(r, 0, 1));
	f.evidence = PQgetvalue(r, 0, 2);
	f.location = PQgetvalue(r, 0, 3);
	f.observed = opt(r, 4);
	f.ind_kind = PQgetvalue(r, 0, 5);
	f.ind_value = PQgetvalue(r, 0, 6);
	f.source = opt(r, 7);
	f.warninglisted = strcmp(PQgetvalue(r, 0, 8), "t") == 0;
	f.confidence = (int)i64(PQgetvalue(r, 0, 9));
	f.first_seen_ms = i64(PQgetvalue(r, 0, 10));
	f.last_seen_ms = i64(PQgetvalue(r, 0, 11));
	f.count = (uint64_t)i64(PQgetvalue(r, 0, 12));
	f.sha256 = opt(r, 13);
	f.sha1 = opt(r, 14);
	f.md5 = opt(r, 15);
	f.process = opt(r, 16);
	rc = cs_store_finding_restore(s->st, first, last, &f);
	if (rc)
		return store_fail(s, "finding", rc);
	s->findings++;
	return CS_OK;
}

static int on_software_row(void *ud, const PGresult *r)
{
	struct snap *s = ud;
	struct cs_software_rec w;
	int64_t first = local_id(s, i64(PQgetvalue(r, 0, 12)));
	int64_t last = local_id(s, i64(PQgetvalue(r, 0, 13)));
	int rc;

	/* Cut to one hunt, a package may have been first or last seen by
	 * another hunt's sweep: the end inside this hunt stands for both. */
	if (!first)
		first = last;
	if (!last)
		last = first;
	if (!first)
		return CS_OK;
	memset(&w, 0, sizeof(w));
	w.host = PQgetvalue(r, 0, 0);
	w.source = PQgetvalue(r, 0, 1);
	w.entry = opt(r, 2);
	w.ecosystem = PQgetvalue(r, 0, 3);
	w.name = PQgetvalue(r, 0, 4);
	w.version = PQgetvalue(r, 0, 5);
	w.purl = opt(r, 6);
	w.platform = opt(r, 7);
	w.vendor = opt(r, 8);
	w.reader = opt(r, 9);
	w.install_time = i64(PQgetvalue(r, 0, 10));
	w.install_time_source = (int)i64(PQgetvalue(r, 0, 11));
	rc = cs_store_software_restore(s->st, first, last, &w);
	if (rc)
		return store_fail(s, "software", rc);
	s->software++;
	return CS_OK;
}

static const char snap_sweeps_sql[] =
        "SELECT s.id, s.host, s.hunt, extract(epoch FROM s.started)::bigint,"
        " coalesce(extract(epoch FROM s.finished), extract(epoch FROM hh.last_msg),"
        "  extract(epoch FROM s.started))::bigint,"
        " s.intel_version, s.coverage::text, s.incomplete,"
        " CASE WHEN s.finished IS NULL THEN 'running' ELSE s.state END, s.detail"
        " FROM sweep s LEFT JOIN hunt_host hh ON hh.hunt = s.hunt AND hh.host = s.host"
        " WHERE $1::text IS NULL OR s.hunt = $1"
        " UNION ALL"
        " SELECT NULL, t.host, t.hunt, coalesce(extract(epoch FROM h.created), 0)::bigint,"
        " coalesce(extract(epoch FROM h.created), extract(epoch FROM now()))::bigint,"
        " 0, NULL, true, 'not-seen', NULL"
        " FROM hunt_target t JOIN hunt h ON h.id = t.hunt"
        " WHERE ($1::text IS NULL OR t.hunt = $1)"
        "  AND NOT EXISTS (SELECT 1 FROM sweep w WHERE w.hunt = t.hunt AND w.host = t.host)"
        " ORDER BY 4, 1 NULLS LAST";

static const char snap_findings_sql[] =
        "SELECT f.host, f.kind, f.evidence, f.location, f.observed, f.ind_kind, f.ind_value,"
        " f.source, f.warninglisted, f.confidence, f.first_seen, f.last_seen, x.c,"
        " f.sha256, f.sha1, f.md5, f.process::text, x.fs, x.ls"
        " FROM finding f JOIN LATERAL ("
        "  SELECT CASE WHEN f.kind = 2 THEN max(fs.count)"
        "   ELSE least(sum(fs.count), 9223372036854775807) END::bigint AS c,"
        "   min(fs.sweep) AS fs, max(fs.sweep) AS ls"
        "  FROM finding_sweep fs JOIN sweep s ON s.id = fs.sweep"
        "  WHERE fs.finding = f.id AND ($1::text IS NULL OR s.hunt = $1)) x"
        "  ON x.fs IS NOT NULL"
        " ORDER BY f.id";

static const char snap_software_sql[] =
        "SELECT s.host, s.source, s.entry, s.ecosystem, s.name, s.version, s.purl,"
        " s.platform, s.vendor, s.reader, s.install_time, s.install_time_source,"
        " s.first_sweep, s.last_sweep FROM software s"
        " WHERE $1::text IS NULL OR EXISTS (SELECT 1 FROM sweep w"
        "  WHERE w.id IN (s.first_sweep, s.last_sweep) AND w.hunt = $1)"
        " ORDER BY s.id";

/* Write the newest bundle (a SQLite case file holding the intel) at
 * `path`, or an empty file when there is none; stale journal files of an
 * earlier database at that path are removed first. */
static int write_base(struct cs_fleet_pg *pg, const char *path)
{
	static const char *const sfx[] = {"-wal", "-shm", "-journal"};
	PGresult *r;
	const char *data = "";
	size_t len = 0, off = 0, i;
	char side[4096 + 16];
	int fd, rc = CS_OK;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(side, sizeof(side), "%s%s", path, sfx[i]);
		if (unlink(side) != 0 && errno != ENOENT) {
			setmsg(pg, "snapshot: %s: %s", side, strerror(errno));
			return CS_ERR_IO;
		}
	}
	r = PQexecParams(pg->conn, "SELECT data FROM bundle ORDER BY version DESC LIMIT 1", 0, NULL,
	                 NULL, NULL, NULL, 1);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		pq_fail(pg, "snapshot: bundle", r);
		PQclear(r);
		return CS_ERR_DB;
	}
	if (PQntuples(r) == 1) {
		data = PQgetvalue(r, 0, 0);
		len = (size_t)PQgetlength(r, 0, 0);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		PQclear(r);
		setmsg(pg, "snapshot: %s: %s", path, strerror(errno));
		return CS_ERR_IO;
	}
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			setmsg(pg, "snapshot: %s: %s", path,
			       w < 0 ? strerror(errno) : "short write");
			rc = CS_ERR_IO;
			break;
		}
		off += (size_t)w;
	}
	if (close(fd) != 0 && !rc) {
		setmsg(pg, "snapshot: %s: %s", path, strerror(errno));
		rc = CS_ERR_IO;
	}
	PQclear(r);
	return rc;
}

int cs_fleet_pg_snapshot(struct cs_fleet_pg *pg, const char *hunt, const char *out_sqlite_path,
                         char *err, size_t errlen)
{
	struct params p = {.n = 0};
	struct snap s;
	int rc;

	if (!pg || !out_sqlite_path) {
		if (err && errlen)
			snprintf(err, errlen, "bad argument");
		return CS_ERR_INVALID;
	}
	memset(&s, 0, sizeof(s));
	s.pg = pg;
	pg->errmsg[0] = '\0';
	rc = connected(pg);
	if (rc)
		goto out;
	p_str(&p, hunt);
	if (hunt) {
		PGresult *r = exec_p(pg, "snapshot",
		                     "SELECT 1 FROM hunt WHERE id = $1"
		                     " UNION ALL SELECT 1 FROM hunt_host WHERE hunt = $1 LIMIT 1",
		                     &p, PGRES_TUPLES_OK);

		if (!r) {
			rc = CS_ERR_DB;
			goto out;
		}
		if (PQntuples(r) == 0) {
			rc = CS_ERR_NOTFOUND;
			setmsg(pg, "snapshot: no hunt '%s'", hunt);
		}
		PQclear(r);
		if (rc)
			goto out;
	}
	rc = write_base(pg, out_sqlite_path);
	if (rc)
		goto out;
	rc = cs_store_open(out_sqlite_path, &s.st);
	if (rc) {
		store_fail(&s, "open", rc);
		goto out;
	}
	rc = cs_store_restore_begin(s.st);
	if (rc) {
		store_fail(&s, "begin", rc);
		goto out;
	}
	/* One read transaction, so that the three queries see one state of
	 * a database the collector keeps writing. */
	rc = cmd(pg, "snapshot", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", NULL);
	if (!rc)
		rc = each_row(pg, "snapshot: sweeps", snap_sweeps_sql, &p, on_sweep_row, &s);
	if (!rc) {
		if (s.nmap)
			qsort(s.map, s.nmap, sizeof(*s.map), pair_cmp);
		rc = each_row(pg, "snapshot: findings", snap_findings_sql, &p, on_finding_row, &s);
	}
	if (!rc)
		rc = each_row(pg, "snapshot: software", snap_software_sql, &p, on_software_row, &s);
	rollback(pg);
	if (rc) {
		cs_store_restore_end(s.st, 0);
		goto out;
	}
	rc = cs_store_restore_end(s.st, 1);
	if (rc)
		store_fail(&s, "commit", rc);
out:
	cs_store_close(s.st);
	free(s.map);
	if (rc)
		copy_err(pg, err, errlen);
	return rc;
}

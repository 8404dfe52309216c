/* The agent's loop (docs/fleet.md, "The agent"): wake on a notification,
 * a reconnect or the poll timer; read the hunt index; for each hunt the
 * journal has not ended, check its signature, expiry, state and targets;
 * make sure the intel bundle it needs is here (signed, not older than
 * ours, whole); run it once through the runner; put every result in the
 * spool; flush the spool to the RESULTS stream. Only the spool talks to
 * the server for results, so a server that is away costs nothing but
 * disk, and a crash anywhere replays with the same message ids. */
#include <jansson.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chainsweep/error.h"
#include "chainsweep/fleet.h"
#include "chainsweep/fleet_agent.h"
#include "chainsweep/fleet_sign.h"
#include "chainsweep/fleet_wire.h"
#include "chainsweep/store.h"

#define MAX_INDEX 4096
#define MAX_CHUNKS 8192

struct agent {
	const struct cs_fleet_agent_cfg *c;
	struct cs_fleet_bus *bus;
	struct cs_fleet_journal *journal;
	struct cs_fleet_spool *spool;
	volatile sig_atomic_t *stop;
	volatile sig_atomic_t woken;
	volatile sig_atomic_t connected;
	cs_fleet_log_fn log;
	void *ud;
	char db[PATH_MAX];
	int64_t bundle;          /* the intel version installed, 0 none */
	int64_t backoff_ms;      /* the spool's flush back-off */
	double next_flush;
	char bundle_why[512];    /* why the newest manifest was refused, or "" */
	int bundle_transient;    /* the last failure was the network's: retry soon */
	int64_t bundle_backoff_ms;
	double bundle_retry_at;
	char said_why[512];
	/* Hunts refused in this process, so that a refusal is reported once. */
	char refused[64][80];
	size_t nrefused;
};

static void say(struct agent *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct agent *a, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!a->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	a->log(a->ud, line);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_wake(void *ud, const char *subject)
{
	struct agent *a = ud;

	(void)subject;
	a->woken = 1;
}

static void on_state(void *ud, int connected)
{
	struct agent *a = ud;

	a->connected = connected;
	if (connected)
		a->woken = 1;
}

/* Send what the spool holds, oldest first; stops at the first failure and
 * backs off (exponentially, with jitter, up to a minute). */
static void flush(struct agent *a)
{
	struct cs_fleet_spool_item it;
	char err[512];
	int rc;

	if (now_ms() < a->next_flush)
		return;
	while (!*a->stop && cs_fleet_spool_peek(a->spool, &it) == CS_OK) {
		rc = cs_fleet_bus_publish(a->bus, it.subject, it.msgid, it.data, it.len, NULL, err,
					  sizeof(err));
		if (rc == CS_OK) {
			cs_fleet_spool_pop(a->spool);
			a->backoff_ms = 0;
			continue;
		}
		if (rc == CS_ERR_FULL)
			say(a, "the results stream is full: %s; %llu bytes wait in the spool", err,
			    (unsigned long long)cs_fleet_spool_bytes(a->spool));
		else
			say(a, "cannot send results (%s); %llu bytes wait in the spool", err,
			    (unsigned long long)cs_fleet_spool_bytes(a->spool));
		a->backoff_ms = a->backoff_ms ? a->backoff_ms * 2 : 500;
		if (a->backoff_ms > 60000)
			a->backoff_ms = 60000;
		a->next_flush = now_ms() + (double)a->backoff_ms / 2 +
				(double)randombytes_uniform((uint32_t)a->backoff_ms);
		return;
	}
}

static int spool_msg(struct agent *a, const char *hunt, int64_t run, int64_t seq, int detail,
		     const char *json, size_t len)
{
	char subj[160], id[200];

	snprintf(subj, sizeof(subj), "res.%s.%s", a->c->host, hunt);
	snprintf(id, sizeof(id), "%s:%s:%lld:%lld", hunt, a->c->host, (long long)run,
		 (long long)seq);
	return cs_fleet_spool_put(a->spool, hunt, detail, subj, id, json, len);
}

static int send_status(struct agent *a, const char *hunt, int64_t run, int64_t seq,
		       const struct cs_fleet_status *st)
{
	char *json = NULL;
	size_t len = 0;
	int rc;

	rc = cs_fleet_wire_status(hunt, a->c->host, run, seq, st, &json, &len);
	if (rc)
		return rc;
	rc = spool_msg(a, hunt, run, seq, 0, json, len);
	free(json);
	return rc;
}

/* A hunt or bundle refused: said once per process, and sent as the
 * status of a run of its own, reserved in the journal and left without an
 * end, so that the real run that may follow (a newer bundle arrives, the
 * agent restarts) is a newer run and replaces the refusal in the fleet's
 * database. */
static void refuse(struct agent *a, const char *hunt, const char *what, const char *why)
{
	struct cs_fleet_status st = { 0 };
	char key[80], detail[512];
	int64_t run = 0;
	size_t i;

	snprintf(key, sizeof(key), "%s/%s", hunt, what);
	for (i = 0; i < a->nrefused; i++)
		if (strcmp(a->refused[i], key) == 0)
			return;
	if (a->nrefused < sizeof(a->refused) / sizeof(a->refused[0]))
		snprintf(a->refused[a->nrefused++], sizeof(a->refused[0]), "%s", key);
	snprintf(detail, sizeof(detail), "%s refused: %s", what, why);
	say(a, "hunt %s: %s", hunt, detail);
	if (cs_fleet_journal_start(a->journal, hunt, &run) != CS_OK) {
		say(a, "hunt %s: %s", hunt, cs_fleet_journal_errmsg(a->journal));
		return;
	}
	st.state = "refused";
	st.detail = detail;
	st.finished_ms = wall_ms();
	st.intel_version = a->bundle;
	send_status(a, hunt, run, 1, &st);
}

static int load_bundle_version(struct agent *a)
{
	char path[PATH_MAX];
	FILE *f;
	long long v = 0;

	snprintf(path, sizeof(path), "%s/bundle.version", a->c->state_dir);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = 0;
		fclose(f);
	}
	a->bundle = v;
	return 0;
}

static int save_bundle_version(struct agent *a, int64_t v)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/bundle.version", a->c->state_dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return CS_ERR_IO;
	fprintf(f, "%lld\n", (long long)v);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fclose(f);
		return CS_ERR_IO;
	}
	fclose(f);
	if (rename(tmp, path) != 0)
		return CS_ERR_IO;
	a->bundle = v;
	return CS_OK;
}

/* Read the signed manifest once per wake-up and, when it names a newer
 * version, fetch its chunks, check them against its size and SHA-256, and
 * let the local case adopt the bundle in one transaction. A manifest that
 * is unsigned, signed by another key, tampered, expired or older than
 * ours (rollback) is refused: the intel we have stays, the refusal is
 * said and kept in a->bundle_why for the hunts that needed more. */
static int sync_bundle(struct agent *a, char *why, size_t whylen)
{
	const struct cs_fleet_agent_hooks *hk = a->c->hooks;
	unsigned char *env = NULL, *chunk = NULL, digest[crypto_hash_sha256_BYTES];
	struct cs_fleet_sealed s;
	crypto_hash_sha256_state hs;
	char err[512], key[96], path[PATH_MAX], cached[PATH_MAX], sha[65];
	size_t envlen = 0, clen = 0, i, total = 0;
	json_t *man = NULL;
	json_int_t size, chunks;
	const char *msha;
	struct cs_store *st = NULL;
	FILE *f = NULL;
	int rc, v;

	why[0] = '\0';
	path[0] = '\0';
	cached[0] = '\0';
	a->bundle_transient = 0;
	rc = cs_fleet_bus_kv_get(a->bus, "intel.manifest", &env, &envlen, err, sizeof(err));
	if (rc) {
		snprintf(why, whylen, "no intel bundle to read (%s)",
			 rc == CS_ERR_NOTFOUND ? "none published" : err);
		a->bundle_transient = rc != CS_ERR_NOTFOUND;
		return rc;
	}
	v = cs_fleet_open(a->c->fleet_pub, env, envlen, (int64_t)time(NULL), &s, err, sizeof(err));
	if (v < 0)
		v = CS_FLEET_MALFORMED;
	if (v == CS_FLEET_OK && strcmp(s.kind, "bundle") != 0)
		v = CS_FLEET_MALFORMED;
	if (v == CS_FLEET_OK)
		v = cs_fleet_accept_bundle(&s, a->bundle);
	if (v != CS_FLEET_OK) {
		snprintf(why, whylen, "intel bundle %s: %s", cs_fleet_verdict_name(v), err);
		rc = CS_ERR_PARSE;
		goto out;
	}
	if (s.version == a->bundle) {
		rc = CS_OK;
		goto out;
	}
	man = json_loadb((const char *)s.payload, s.len, 0, NULL);
	size = json_integer_value(json_object_get(man, "size"));
	chunks = json_integer_value(json_object_get(man, "chunks"));
	msha = json_string_value(json_object_get(man, "sha256"));
	if (!man || size <= 0 || chunks <= 0 || chunks > MAX_CHUNKS || !msha ||
	    json_integer_value(json_object_get(man, "version")) != s.version) {
		snprintf(why, whylen, "intel bundle manifest malformed");
		rc = CS_ERR_PARSE;
		goto out;
	}
	if (hk && hk->cached) {
		if (hk->cached(hk->ud, msha, s.version, cached, sizeof(cached)) == 1 && cached[0]) {
			total = (size_t)size;
			goto adopt;
		}
		cached[0] = '\0';
	}
	snprintf(path, sizeof(path), "%s/bundle-%lld.db", a->c->state_dir, (long long)s.version);
	f = fopen(path, "wb");
	if (!f) {
		snprintf(why, whylen, "%s: cannot write", path);
		rc = CS_ERR_IO;
		goto out;
	}
	crypto_hash_sha256_init(&hs);
	for (i = 0; i < (size_t)chunks; i++) {
		snprintf(key, sizeof(key), "intel.%lld.%zu", (long long)s.version, i);
		rc = cs_fleet_bus_kv_get(a->bus, key, &chunk, &clen, err, sizeof(err));
		if (rc) {
			snprintf(why, whylen, "intel bundle chunk %zu: %s", i,
				 rc == CS_ERR_NOTFOUND ? "missing" : err);
			/* A slow server, or a newer version replacing this one
			 * while we read: try again, do not refuse. */
			a->bundle_transient = 1;
			goto out;
		}
		total += clen;
		if (total > (size_t)size) {
			snprintf(why, whylen, "intel bundle larger than its manifest says");
			rc = CS_ERR_PARSE;
			goto out;
		}
		crypto_hash_sha256_update(&hs, chunk, clen);
		if (fwrite(chunk, 1, clen, f) != clen) {
			snprintf(why, whylen, "%s: write failed", path);
			rc = CS_ERR_IO;
			goto out;
		}
		free(chunk);
		chunk = NULL;
	}
	crypto_hash_sha256_final(&hs, digest);
	for (i = 0; i < sizeof(digest); i++)
		snprintf(sha + 2 * i, 3, "%02x", digest[i]);
	if (total != (size_t)size || strcmp(sha, msha) != 0) {
		snprintf(why, whylen, "intel bundle tampered: its chunks do not match the signed "
				      "manifest");
		rc = CS_ERR_PARSE;
		goto out;
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		snprintf(why, whylen, "%s: write failed", path);
		rc = CS_ERR_IO;
		goto out;
	}
	fclose(f);
	f = NULL;
adopt:
	if (hk && hk->adopt) {
		err[0] = '\0';
		rc = hk->adopt(hk->ud, cached[0] ? cached : path, s.version, err, sizeof(err));
		if (rc) {
			snprintf(why, whylen, "cannot adopt intel bundle %lld: %s",
				 (long long)s.version, err);
			goto out;
		}
	} else {
		rc = cs_store_open(a->db, &st);
		if (rc == CS_OK)
			rc = cs_store_adopt_intel(st, cached[0] ? cached : path);
		if (rc) {
			snprintf(why, whylen, "cannot adopt intel bundle %lld: %s",
				 (long long)s.version, st ? cs_store_errmsg(st) : cs_strerror(rc));
			goto out;
		}
	}
	rc = save_bundle_version(a, s.version);
	if (rc == CS_OK)
		say(a, "intel bundle %lld adopted (%zu bytes)", (long long)s.version, total);
out:
	if (st)
		cs_store_close(st);
	if (f) {
		fclose(f);
	}
	if (path[0])
		unlink(path);
	json_decref(man);
	free(chunk);
	free(env);
	return rc;
}

static int targeted(struct agent *a, json_t *targets)
{
	json_t *v;
	size_t i, k;

	if (json_is_true(json_object_get(targets, "all")))
		return 1;
	json_array_foreach(json_object_get(targets, "hosts"), i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), a->c->host) == 0)
			return 1;
	}
	json_array_foreach(json_object_get(targets, "labels"), i, v)
	{
		for (k = 0; json_is_string(v) && k < a->c->nlabels; k++)
			if (strcmp(json_string_value(v), a->c->labels[k]) == 0)
				return 1;
	}
	return 0;
}

struct run_ctx {
	struct agent *a;
	const char *hunt;
	int64_t run, seq;
	uint64_t sent;
	int failed;
};

static int on_finding(void *ud, const struct cs_finding_rec *f, const struct cs_software_rec *sw)
{
	struct run_ctx *r = ud;
	char *json = NULL;
	size_t len = 0;
	int rc;

	if (f)
		rc = cs_fleet_wire_finding(r->hunt, r->a->c->host, r->run, ++r->seq, f, &json, &len);
	else
		rc = cs_fleet_wire_software(r->hunt, r->a->c->host, r->run, ++r->seq, sw, &json,
					    &len);
	if (rc == CS_OK)
		rc = spool_msg(r->a, r->hunt, r->run, r->seq, 1, json, len);
	free(json);
	if (rc)
		r->failed = rc;
	else if (f)
		r->sent++;
	return 0;
}

static int has_sweep(json_t *sweeps, const char *name)
{
	json_t *v;
	size_t i;

	json_array_foreach(sweeps, i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), name) == 0)
			return 1;
	}
	return 0;
}

/* A hunt this host will not run (again): expired, stopped, or not addressed
 * to it. A run the agent had started and not finished (it was killed) is
 * reported incomplete, with `why`; the journal's end keeps the hunt from
 * being looked at again. */
static void close_hunt(struct agent *a, const char *id, enum cs_fleet_hunt_state jstate,
		       int64_t last_run, const char *end, const char *why)
{
	struct cs_fleet_status st;

	if (jstate == CS_FLEET_HUNT_STARTED && why) {
		memset(&st, 0, sizeof(st));
		st.state = "incomplete";
		st.detail = why;
		st.finished_ms = wall_ms();
		send_status(a, id, last_run, INT32_MAX, &st);
	}
	if (cs_fleet_journal_end(a->journal, id, last_run, end) != CS_OK)
		say(a, "hunt %s: %s", id, cs_fleet_journal_errmsg(a->journal));
}

/* One hunt from the index: everything up to and including its journal
 * end. */
static void handle_hunt(struct agent *a, const char *id)
{
	unsigned char *env = NULL;
	size_t envlen = 0;
	struct cs_fleet_sealed s;
	struct cs_fleet_run_spec spec;
	struct cs_fleet_run_result res;
	struct cs_fleet_status st;
	struct run_ctx rc_ctx;
	char key[128], err[512], why[512], rerr[512];
	json_t *doc = NULL, *limits;
	enum cs_fleet_hunt_state jstate = CS_FLEET_HUNT_NONE;
	int v, rc;
	int64_t last_run = 0, run = 0, need;
	const char *state;

	if (cs_fleet_journal_state(a->journal, id, &jstate, &last_run) == CS_OK &&
	    jstate == CS_FLEET_HUNT_ENDED)
		return;
	snprintf(key, sizeof(key), "hunt.%s", id);
	rc = cs_fleet_bus_kv_get(a->bus, key, &env, &envlen, err, sizeof(err));
	if (rc)
		return;
	v = cs_fleet_open(a->c->fleet_pub, env, envlen, (int64_t)time(NULL), &s, err, sizeof(err));
	if (v < 0)
		v = CS_FLEET_MALFORMED;
	if (v == CS_FLEET_OK && (strcmp(s.kind, "hunt") != 0 || strcmp(s.id, id) != 0)) {
		v = CS_FLEET_TAMPERED;
		snprintf(err, sizeof(err), "signed for %s %s, found under %s", s.kind, s.id, id);
	}
	if (v == CS_FLEET_EXPIRED) {
		close_hunt(a, id, jstate, last_run, "expired",
			   "the hunt expired before this host could finish it");
		goto out;
	}
	if (v != CS_FLEET_OK) {
		refuse(a, id, "hunt", err[0] ? err : cs_fleet_verdict_name(v));
		goto out;
	}
	doc = json_loadb((const char *)s.payload, s.len, 0, NULL);
	if (!doc) {
		refuse(a, id, "hunt", "its document is not JSON");
		goto out;
	}
	state = json_string_value(json_object_get(doc, "state"));
	if (state && strcmp(state, "stopped") == 0) {
		close_hunt(a, id, jstate, last_run, "stopped", "stopped by the operator");
		goto out;
	}
	if (!targeted(a, json_object_get(doc, "targets"))) {
		close_hunt(a, id, jstate, last_run, "untargeted", NULL);
		goto out;
	}
	need = json_integer_value(json_object_get(doc, "bundle"));
	if ((a->bundle < need || a->bundle <= 0) && a->bundle_transient)
		goto out; /* the download is retried soon; nothing to report yet */
	if (a->bundle < need || a->bundle <= 0) {
		snprintf(why, sizeof(why), "the hunt needs intel version %lld, this host has %lld%s%s",
			 (long long)need, (long long)a->bundle, a->bundle_why[0] ? ": " : "",
			 a->bundle_why);
		refuse(a, id, "bundle", why);
		goto out;
	}
	if (cs_fleet_journal_start(a->journal, id, &run) != CS_OK) {
		say(a, "hunt %s: cannot write the journal", id);
		goto out;
	}
	say(a, "hunt %s: run %lld starts", id, (long long)run);
	memset(&st, 0, sizeof(st));
	st.state = "running";
	st.started_ms = wall_ms();
	st.intel_version = a->bundle;
	send_status(a, id, run, 0, &st);
	flush(a);

	limits = json_object_get(doc, "limits");
	memset(&spec, 0, sizeof(spec));
	spec.exe = a->c->exe;
	spec.db = a->db;
	spec.host = a->c->host;
	spec.root = json_string_value(json_object_get(doc, "root"));
	if (!spec.root)
		spec.root = a->c->root ? a->c->root : "/";
	spec.rematch = has_sweep(json_object_get(doc, "sweeps"), "rematch");
	spec.files = has_sweep(json_object_get(doc, "sweeps"), "files");
	spec.logs = has_sweep(json_object_get(doc, "sweeps"), "logs");
	spec.software = has_sweep(json_object_get(doc, "sweeps"), "software");
	spec.max_runtime_s = json_integer_value(json_object_get(limits, "max_runtime"));
	spec.max_rate_mbps = json_number_value(json_object_get(limits, "max_rate_mbps"));
	spec.threads = (int)json_integer_value(json_object_get(limits, "threads"));
	spec.max_findings = (uint64_t)json_integer_value(json_object_get(limits, "max_findings"));
	spec.work_dir = a->c->state_dir;
	memset(&rc_ctx, 0, sizeof(rc_ctx));
	rc_ctx.a = a;
	rc_ctx.hunt = id;
	rc_ctx.run = run;
	memset(&res, 0, sizeof(res));
	rerr[0] = '\0';
	if (a->c->hooks && a->c->hooks->run)
		rc = a->c->hooks->run(a->c->hooks->ud, &spec, a->stop, &res, on_finding, &rc_ctx,
				      rerr, sizeof(rerr));
	else
		rc = cs_fleet_run(&spec, a->stop, &res, on_finding, &rc_ctx, rerr, sizeof(rerr));

	memset(&st, 0, sizeof(st));
	st.state = rc ? "error" : cs_fleet_run_state_name(res.state);
	st.detail = rc ? rerr : res.detail[0] ? res.detail : NULL;
	st.coverage_json = res.coverage;
	st.started_ms = res.started_ms;
	st.finished_ms = res.finished_ms ? res.finished_ms : wall_ms();
	st.intel_version = a->bundle;
	st.findings = rc_ctx.sent;
	st.dropped = res.findings_dropped + res.software_dropped +
		     cs_fleet_spool_dropped(a->spool, id);
	st.exit_code = res.exit_code;
	if (*a->stop && !rc && res.state != CS_FLEET_RUN_DONE) {
		/* Stopped by a signal: the next start runs the hunt again. */
		say(a, "hunt %s: interrupted; it runs again at the next start", id);
		cs_fleet_run_result_release(&res);
		goto out;
	}
	if (send_status(a, id, run, rc_ctx.seq + 1, &st) == CS_OK)
		cs_fleet_journal_end(a->journal, id, run, st.state);
	say(a, "hunt %s: run %lld %s, %llu findings", id, (long long)run, st.state,
	    (unsigned long long)rc_ctx.sent);
	cs_fleet_run_result_release(&res);
	flush(a);
out:
	json_decref(doc);
	free(env);
}

static void poll_hunts(struct agent *a)
{
	unsigned char *data = NULL;
	size_t len = 0, i;
	char err[512];
	json_t *idx, *e;
	int rc;

	rc = cs_fleet_bus_kv_get(a->bus, "hunts.index", &data, &len, err, sizeof(err));
	if (rc) {
		if (rc != CS_ERR_NOTFOUND)
			say(a, "cannot read the hunt index: %s", err);
		return;
	}
	idx = json_loadb((const char *)data, len, 0, NULL);
	free(data);
	if (sync_bundle(a, a->bundle_why, sizeof(a->bundle_why)) != CS_OK && a->bundle_why[0] &&
	    strcmp(a->bundle_why, a->said_why) != 0) {
		say(a, "bundle %s: %s", a->bundle_transient ? "not read yet, retrying" : "refused",
		    a->bundle_why);
		snprintf(a->said_why, sizeof(a->said_why), "%s", a->bundle_why);
	}
	/* A failed download is tried again after a back-off with jitter
	 * (1 s doubling to 30 s), not at the next poll. */
	if (a->bundle_transient) {
		int64_t b = a->bundle_backoff_ms ? 2 * a->bundle_backoff_ms : 1000;

		a->bundle_backoff_ms = b > 30000 ? 30000 : b;
		a->bundle_retry_at = now_ms() + (double)a->bundle_backoff_ms / 2 +
				     (double)randombytes_uniform((uint32_t)a->bundle_backoff_ms);
	} else {
		a->bundle_backoff_ms = 0;
	}
	if (!json_is_array(idx) || json_array_size(idx) > MAX_INDEX) {
		say(a, "the hunt index is malformed");
		json_decref(idx);
		return;
	}
	json_array_foreach(idx, i, e)
	{
		const char *id = json_string_value(json_object_get(e, "id"));

		if (*a->stop)
			break;
		if (id && cs_fleet_hunt_id_ok(id))
			handle_hunt(a, id);
	}
	json_decref(idx);
}

int cs_fleet_agent_run(const struct cs_fleet_agent_cfg *c, volatile sig_atomic_t *stop,
		       cs_fleet_log_fn log, void *ud, char *err, size_t errlen)
{
	struct agent *a;
	struct cs_fleet_bus_opts bo = { 0 };
	char path[PATH_MAX], sub[128];
	struct cs_store *st = NULL;
	int rc;
	double next_poll = 0, deadline;

	if (sodium_init() < 0)
		return CS_ERR_NOMEM;
	a = calloc(1, sizeof(*a));
	if (!a)
		return CS_ERR_NOMEM;
	a->c = c;
	a->stop = stop;
	a->log = log;
	a->ud = ud;
	a->woken = 1;
	mkdir(c->state_dir, 0700);
	snprintf(a->db, sizeof(a->db), "%s/case.db", c->state_dir);
	/* The local case must exist before a bundle is adopted into it. */
	rc = cs_store_open(a->db, &st);
	if (rc) {
		snprintf(err, errlen, "%s: cannot open the agent's case", a->db);
		goto out;
	}
	cs_store_close(st);
	load_bundle_version(a);
	snprintf(path, sizeof(path), "%s/journal", c->state_dir);
	rc = cs_fleet_journal_open(path, &a->journal);
	if (rc) {
		snprintf(err, errlen, "%s: cannot open the journal", path);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/spool", c->state_dir);
	rc = cs_fleet_spool_open(path, c->spool_max ? c->spool_max : 100u << 20, &a->spool);
	if (rc) {
		snprintf(err, errlen, "%s: cannot open the spool", path);
		goto out;
	}
	bo.servers = c->servers;
	bo.nservers = c->nservers;
	bo.nkey_public = c->nkey_public;
	bo.seed_path = c->seed_path;
	bo.name = c->host;
	bo.retry_connect = 1;
	bo.on_state = on_state;
	bo.ud = a;
	rc = cs_fleet_bus_connect(&bo, &a->bus, err, errlen);
	if (rc)
		goto out;
	a->connected = 1;
	rc = cs_fleet_bus_subscribe(a->bus, "fleet.notify", on_wake, a, err, errlen);
	if (rc == CS_OK) {
		snprintf(sub, sizeof(sub), "fleet.notify.%s", c->host);
		rc = cs_fleet_bus_subscribe(a->bus, sub, on_wake, a, err, errlen);
	}
	if (rc)
		say(a, "wake-ups unavailable (%s); polling only", err);
	rc = CS_OK;
	deadline = now_ms() + (double)(c->once_wait_ms > 0 ? c->once_wait_ms : 30000);
	while (!*stop) {
		double t = now_ms();

		flush(a);
		if (a->bundle_transient && t >= a->bundle_retry_at)
			a->woken = 1;
		if (a->woken || t >= next_poll) {
			int64_t p = c->poll_s > 0 ? c->poll_s : 600;

			int woken = a->woken;

			a->woken = 0;
			poll_hunts(a);
			flush(a);
			next_poll = now_ms() + (double)p * 500.0 +
				    (double)randombytes_uniform((uint32_t)(p * 1000 > UINT32_MAX
									       ? UINT32_MAX
									       : p * 1000));
			/* A wake-up can outrun the write it announces: the
			 * server that answers a direct get may be a follower
			 * that has not applied it yet. Look again shortly. */
			if (woken && next_poll > now_ms() + 5000)
				next_poll = now_ms() + 3000 + (double)randombytes_uniform(4000);
		}
		if (c->once) {
			if (cs_fleet_spool_bytes(a->spool) == 0 && !a->bundle_transient)
				break;
			if (now_ms() > deadline) {
				snprintf(err, errlen, "results still in the spool after %lld ms",
					 (long long)c->once_wait_ms);
				rc = CS_ERR_NET;
				break;
			}
		}
		usleep(100 * 1000);
	}
out:
	if (a->bus)
		cs_fleet_bus_close(a->bus);
	if (a->spool)
		cs_fleet_spool_close(a->spool);
	if (a->journal)
		cs_fleet_journal_close(a->journal);
	free(a);
	return rc;
}

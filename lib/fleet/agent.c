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
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chainsweep/error.h"
#include "chainsweep/fleet.h"
#include "chainsweep/fleet_agent.h"
#include "chainsweep/fleet_hindex.h"
#include "chainsweep/fleet_sign.h"
#include "chainsweep/fleet_wire.h"
#include "chainsweep/scan.h"
#include "chainsweep/store.h"
#include "fleet/fleet_sign_int.h"

#define MAX_INDEX 4096
#define MAX_CHUNKS 8192

struct agent {
	const struct cs_fleet_agent_cfg *c;
	struct cs_fleet_bus *bus;
	struct cs_fleet_journal *journal;
	struct cs_fleet_spool *spool;
	volatile sig_atomic_t *stop;
	volatile sig_atomic_t woken;
	cs_fleet_log_fn log;
	void *ud;
	char db[PATH_MAX];
	int64_t bundle;          /* the whole intel's version installed, 0 none */
	int64_t lite;            /* the lite intel's (>= bundle; the local case holds
				  * the lite one when greater) */
	json_t *man;             /* the manifest read and checked at this poll, or NULL */
	int64_t man_version;
	unsigned char *hx_prefixes, *hx_table; /* the hash index of version hx_version */
	size_t hx_plen;
	int64_t hx_version;
	int64_t lite_items;      /* indicators and rules of the lite intel */
	int lockfd;              /* state_dir/lock, held with flock while we run */
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

/* The intel version of the local case: the newer of the two. */
static int64_t local_version(const struct agent *a)
{
	return a->lite > a->bundle ? a->lite : a->bundle;
}

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
	st.intel_version = local_version(a);
	send_status(a, hunt, run, 1, &st);
}

static int64_t load_version(struct agent *a, const char *name)
{
	char path[PATH_MAX];
	FILE *f;
	long long v = 0;

	snprintf(path, sizeof(path), "%s/%s", a->c->state_dir, name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

static int save_version(struct agent *a, const char *name, int64_t v)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", a->c->state_dir, name);
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
	return CS_OK;
}

/* Read and check the signed manifest, once per poll. One that is
 * unsigned, signed by another key, tampered, expired or older than our
 * intel (rollback) is refused: the intel we have stays, and the reason is
 * kept in a->bundle_why for the hunts that needed more. The parts it
 * names are fetched only when a hunt needs them (ensure_full,
 * ensure_lite). */
static void read_manifest(struct agent *a)
{
	unsigned char *env = NULL;
	struct cs_fleet_sealed s;
	char err[512];
	size_t envlen = 0;
	json_t *man = NULL;
	int rc, v;

	json_decref(a->man);
	a->man = NULL;
	a->man_version = 0;
	a->bundle_why[0] = '\0';
	a->bundle_transient = 0;
	rc = cs_fleet_bus_kv_get(a->bus, "intel.manifest", &env, &envlen, err, sizeof(err));
	if (rc) {
		snprintf(a->bundle_why, sizeof(a->bundle_why), "no intel bundle to read (%s)",
			 rc == CS_ERR_NOTFOUND ? "none published" : err);
		a->bundle_transient = rc != CS_ERR_NOTFOUND;
		return;
	}
	v = cs_fleet_open(a->c->fleet_pub, env, envlen, (int64_t)time(NULL), &s, err, sizeof(err));
	if (v < 0)
		v = CS_FLEET_MALFORMED;
	if (v == CS_FLEET_OK && strcmp(s.kind, "bundle") != 0)
		v = CS_FLEET_MALFORMED;
	if (v == CS_FLEET_OK)
		v = cs_fleet_accept_bundle(&s, local_version(a));
	if (v != CS_FLEET_OK) {
		snprintf(a->bundle_why, sizeof(a->bundle_why), "intel bundle %s: %s",
			 cs_fleet_verdict_name(v), err);
		goto out;
	}
	man = json_loadb((const char *)s.payload, s.len, 0, NULL);
	if (!man || json_integer_value(json_object_get(man, "size")) <= 0 ||
	    json_integer_value(json_object_get(man, "chunks")) <= 0 ||
	    json_integer_value(json_object_get(man, "chunks")) > MAX_CHUNKS ||
	    !json_string_value(json_object_get(man, "sha256")) ||
	    json_integer_value(json_object_get(man, "version")) != s.version) {
		snprintf(a->bundle_why, sizeof(a->bundle_why), "intel bundle manifest malformed");
		json_decref(man);
		goto out;
	}
	a->man = man;
	a->man_version = s.version;
out:
	free(env);
}

/* Fetch the chunks "intel.<version>.<tag><i>" of a blob the manifest
 * describes ({"size","sha256","chunks"}) into the file f, or, when f is
 * NULL, into a new buffer *mem (at most `cap` bytes), and check them
 * against its size and SHA-256. A chunk that cannot be read (a slow
 * server, or a newer version replacing this one while we read) is
 * transient: tried again soon, not refused. */
static int fetch_blob(struct agent *a, int64_t version, const char *tag, json_t *desc, FILE *f,
		      unsigned char **mem, size_t cap, size_t *total, char *why, size_t whylen)
{
	unsigned char *chunk = NULL, digest[crypto_hash_sha256_BYTES], *buf = NULL;
	crypto_hash_sha256_state hs;
	json_int_t size = json_integer_value(json_object_get(desc, "size"));
	json_int_t chunks = json_integer_value(json_object_get(desc, "chunks"));
	const char *msha = json_string_value(json_object_get(desc, "sha256"));
	char key[96], err[512], sha[65];
	size_t clen = 0, i;
	int rc = CS_OK;

	*total = 0;
	if (size < 0 || chunks <= 0 || chunks > MAX_CHUNKS || !msha || (!f && (size_t)size > cap)) {
		snprintf(why, whylen, "intel bundle manifest malformed (%s part)",
			 tag[0] ? tag : "bundle");
		return CS_ERR_PARSE;
	}
	if (!f) {
		buf = malloc((size_t)size + 1);
		if (!buf)
			return CS_ERR_NOMEM;
	}
	crypto_hash_sha256_init(&hs);
	/* An empty blob (no digests at all) is one empty chunk: nothing to read. */
	for (i = 0; size > 0 && i < (size_t)chunks; i++) {
		snprintf(key, sizeof(key), "intel.%lld.%s%zu", (long long)version, tag, i);
		rc = cs_fleet_bus_kv_get(a->bus, key, &chunk, &clen, err, sizeof(err));
		if (rc) {
			snprintf(why, whylen, "intel bundle chunk %s%zu: %s", tag, i,
				 rc == CS_ERR_NOTFOUND ? "missing" : err);
			a->bundle_transient = 1;
			goto out;
		}
		if (*total + clen > (size_t)size) {
			snprintf(why, whylen, "intel bundle larger than its manifest says");
			rc = CS_ERR_PARSE;
			goto out;
		}
		crypto_hash_sha256_update(&hs, chunk, clen);
		if (f && fwrite(chunk, 1, clen, f) != clen) {
			snprintf(why, whylen, "cannot write the intel bundle");
			rc = CS_ERR_IO;
			goto out;
		}
		if (!f && clen)
			memcpy(buf + *total, chunk, clen);
		*total += clen;
		free(chunk);
		chunk = NULL;
	}
	crypto_hash_sha256_final(&hs, digest);
	for (i = 0; i < sizeof(digest); i++)
		snprintf(sha + 2 * i, 3, "%02x", digest[i]);
	if (*total != (size_t)size || strcmp(sha, msha) != 0) {
		snprintf(why, whylen, "intel bundle tampered: its chunks do not match the signed "
				      "manifest");
		rc = CS_ERR_PARSE;
		goto out;
	}
	if (!f) {
		*mem = buf;
		buf = NULL;
	}
out:
	free(chunk);
	free(buf);
	return rc;
}

/* Let the local case adopt the bundle file at `path` in one
 * transaction (or the host's stand-in, for the benchmark). */
static int adopt_file(struct agent *a, const char *path, int64_t version, char *why,
		      size_t whylen)
{
	const struct cs_fleet_agent_hooks *hk = a->c->hooks;
	struct cs_store *st = NULL;
	char err[512];
	int rc;

	if (hk && hk->adopt) {
		err[0] = '\0';
		rc = hk->adopt(hk->ud, path, version, err, sizeof(err));
		if (rc)
			snprintf(why, whylen, "cannot adopt intel bundle %lld: %s",
				 (long long)version, err);
		return rc;
	}
	rc = cs_store_open(a->db, &st);
	if (rc == CS_OK)
		rc = cs_store_adopt_intel(st, path);
	if (rc)
		snprintf(why, whylen, "cannot adopt intel bundle %lld: %s", (long long)version,
			 st ? cs_store_errmsg(st) : cs_strerror(rc));
	if (st)
		cs_store_close(st);
	return rc;
}

/* Fetch the blob into the file `path` (made new, removed after) and let
 * the local case adopt it. */
static int adopt_blob(struct agent *a, int64_t version, const char *tag, json_t *desc,
		      const char *path, char *why, size_t whylen)
{
	size_t total = 0;
	FILE *f;
	int rc;

	f = fopen(path, "wb");
	if (!f) {
		snprintf(why, whylen, "%s: cannot write", path);
		return CS_ERR_IO;
	}
	rc = fetch_blob(a, version, tag, desc, f, NULL, 0, &total, why, whylen);
	if (rc == CS_OK && (fflush(f) != 0 || fsync(fileno(f)) != 0)) {
		snprintf(why, whylen, "%s: write failed", path);
		rc = CS_ERR_IO;
	}
	fclose(f);
	if (rc == CS_OK)
		rc = adopt_file(a, path, version, why, whylen);
	unlink(path);
	if (rc == CS_OK)
		say(a, "intel %sbundle %lld adopted (%zu bytes)", tag[0] ? "lite " : "",
		    (long long)version, total);
	return rc;
}

/* What a hunt found when it asked for its intel. */
enum intel_state { INTEL_READY = 0, INTEL_LATER, INTEL_REFUSED };

/* The whole intel of version `need` or newer in the local case. */
static enum intel_state ensure_full(struct agent *a, int64_t need)
{
	const struct cs_fleet_agent_hooks *hk = a->c->hooks;
	char path[PATH_MAX], cached[PATH_MAX];
	const char *msha;
	int rc;

	if (a->bundle >= need && a->bundle > 0 && a->lite <= a->bundle)
		return INTEL_READY;
	if (!a->man)
		return a->bundle_transient ? INTEL_LATER : INTEL_REFUSED;
	if (a->man_version < need) {
		snprintf(a->bundle_why, sizeof(a->bundle_why),
			 "the newest intel published is version %lld", (long long)a->man_version);
		return INTEL_REFUSED;
	}
	msha = json_string_value(json_object_get(a->man, "sha256"));
	cached[0] = '\0';
	if (hk && hk->cached &&
	    (hk->cached(hk->ud, msha, a->man_version, cached, sizeof(cached)) != 1 || !cached[0]))
		cached[0] = '\0';
	if (cached[0]) {
		rc = adopt_file(a, cached, a->man_version, a->bundle_why, sizeof(a->bundle_why));
	} else {
		snprintf(path, sizeof(path), "%s/bundle-%lld.db", a->c->state_dir,
			 (long long)a->man_version);
		rc = adopt_blob(a, a->man_version, "", a->man, path, a->bundle_why,
				sizeof(a->bundle_why));
	}
	if (rc == CS_OK && save_version(a, "bundle.version", a->man_version) == CS_OK &&
	    save_version(a, "lite.version", a->man_version) == CS_OK) {
		a->bundle = a->lite = a->man_version;
		a->bundle_backoff_ms = 0;
		return INTEL_READY;
	}
	if (rc == CS_OK)
		snprintf(a->bundle_why, sizeof(a->bundle_why), "%s: cannot write its state",
			 a->c->state_dir);
	return a->bundle_transient ? INTEL_LATER : INTEL_REFUSED;
}

/* For a re-match: the intel of version `need` or newer without its
 * digests (the lite bundle) and the hash index's prefixes and table, when
 * the manifest offers them; the whole intel otherwise. *lite is 1 when
 * the digests are to be matched through the index (hx_rematch). */
static enum intel_state ensure_lite(struct agent *a, int64_t need, int *lite)
{
	json_t *ld, *hx;
	char path[PATH_MAX];
	unsigned char *prefixes = NULL, *table = NULL;
	size_t plen = 0, tlen = 0;
	int rc;

	*lite = 0;
	if (a->bundle >= need && a->bundle > 0 && a->lite <= a->bundle)
		return INTEL_READY;
	if (a->lite >= need && a->lite > a->bundle && a->hx_version == a->lite) {
		*lite = 1;
		return INTEL_READY;
	}
	if (!a->man)
		return a->bundle_transient ? INTEL_LATER : INTEL_REFUSED;
	ld = json_object_get(a->man, "lite");
	hx = json_object_get(a->man, "hx");
	if (!json_is_object(ld) || !json_is_object(hx) || a->man_version < need)
		return ensure_full(a, need);
	rc = fetch_blob(a, a->man_version, "hxp.", json_object_get(hx, "prefixes"), NULL,
			&prefixes, CS_FLEET_HX_PREFIXES_MAX, &plen, a->bundle_why,
			sizeof(a->bundle_why));
	if (rc == CS_OK)
		rc = fetch_blob(a, a->man_version, "hxt.", json_object_get(hx, "table"), NULL,
				&table, CS_FLEET_HX_TABLE_LEN, &tlen, a->bundle_why,
				sizeof(a->bundle_why));
	if (rc == CS_OK && (tlen != CS_FLEET_HX_TABLE_LEN || !cs_fleet_hx_prefixes_ok(prefixes, plen))) {
		snprintf(a->bundle_why, sizeof(a->bundle_why), "intel bundle %lld: its hash index is "
			 "malformed", (long long)a->man_version);
		rc = CS_ERR_PARSE;
	}
	if (rc == CS_OK) {
		snprintf(path, sizeof(path), "%s/lite-%lld.db", a->c->state_dir,
			 (long long)a->man_version);
		rc = adopt_blob(a, a->man_version, "lite.", ld, path, a->bundle_why,
				sizeof(a->bundle_why));
	}
	if (rc == CS_OK && save_version(a, "lite.version", a->man_version) != CS_OK) {
		snprintf(a->bundle_why, sizeof(a->bundle_why), "%s: cannot write its state",
			 a->c->state_dir);
		rc = CS_ERR_IO;
	}
	if (rc) {
		free(prefixes);
		free(table);
		return a->bundle_transient ? INTEL_LATER : INTEL_REFUSED;
	}
	free(a->hx_prefixes);
	free(a->hx_table);
	a->hx_prefixes = prefixes;
	a->hx_plen = plen;
	a->hx_table = table;
	a->lite = a->hx_version = a->man_version;
	a->lite_items = json_integer_value(json_object_get(ld, "items"));
	a->bundle_backoff_ms = 0;
	*lite = 1;
	return INTEL_READY;
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

/* A candidate of the hash index: inventory record `rec`'s digest of
 * `kind`, in shard `shard`. */
struct cand {
	unsigned shard;
	enum cs_kind kind;
	size_t rec;
};

struct confirm {
	struct run_ctx *r;
	const struct cs_fleet_run_spec *spec;
	struct cs_fleet_run_result *res;
	const struct cs_inventory *inv;
	const struct cand *c;
	size_t n;
};

static int by_shard(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;

	if (a->shard != b->shard)
		return a->shard < b->shard ? -1 : 1;
	return a->rec < b->rec ? -1 : a->rec > b->rec;
}

static const char *digest_of(const struct cs_file_record *r, enum cs_kind k)
{
	switch (k) {
	case CS_KIND_MD5:
		return r->md5;
	case CS_KIND_SHA1:
		return r->sha1;
	case CS_KIND_SHA256:
		return r->sha256;
	case CS_KIND_SHA512:
		return r->sha512;
	default:
		return NULL;
	}
}

/* One indicator of a fetched shard against the shard's candidates: a
 * match is a finding, as `scan files --from-inventory` would make it. */
static int on_shard_rec(void *ud, const struct cs_fleet_hx_rec *x)
{
	struct confirm *cf = ud;
	size_t i;

	for (i = 0; i < cf->n; i++) {
		const struct cs_file_record *r = cs_inventory_at(cf->inv, cf->c[i].rec);
		const char *d = r ? digest_of(r, cf->c[i].kind) : NULL;
		struct cs_finding_rec f;

		if (cf->c[i].kind != x->kind || !d || strcasecmp(d, x->value) != 0)
			continue;
		if (cf->spec->max_findings && cf->res->findings >= cf->spec->max_findings) {
			cf->res->findings_dropped++;
			continue;
		}
		memset(&f, 0, sizeof(f));
		f.kind = CS_FIND_FILE;
		f.host = cf->spec->host;
		f.evidence = "hash";
		f.location = r->path;
		f.observed = x->value;
		f.ind_kind = cs_kind_name(x->kind);
		f.ind_value = x->value;
		f.source = x->source[0] ? x->source : NULL;
		f.confidence = x->confidence;
		f.first_seen_ms = f.last_seen_ms = r->mtime * 1000;
		f.count = 1;
		f.sha256 = r->sha256;
		f.sha1 = r->sha1;
		f.md5 = r->md5;
		cf->res->findings++;
		on_finding(cf->r, &f, NULL);
	}
	return 0;
}

/* The inventory of the host: the stand-in's, or the local case's. */
static int load_inventory(struct agent *a, const char *host, struct cs_inventory *inv,
			  char *err, size_t errlen)
{
	const struct cs_fleet_agent_hooks *hk = a->c->hooks;
	struct cs_store *st = NULL;
	char digest[128];
	int rc;

	if (hk && hk->inventory)
		rc = hk->inventory(hk->ud, host, inv, err, errlen);
	else {
		rc = cs_store_open(a->db, &st);
		if (rc == CS_OK)
			rc = cs_store_inventory_load(st, host, inv, digest, sizeof(digest));
		if (rc)
			snprintf(err, errlen, "%s: cannot read the file inventory (%s)", a->db,
				 st ? cs_store_errmsg(st) : cs_strerror(rc));
		if (st)
			cs_store_close(st);
	}
	cs_inventory_seal(inv);
	return rc;
}

/* The digest part of a re-match through the hash index (docs/fleet.md,
 * "The hash index"): every digest of the host's inventory looked up in
 * the prefixes; each candidate's shard fetched, checked against the
 * table, and read for the full values. A shard that cannot be read
 * leaves the run incomplete, never clean. */
static void hx_rematch(struct agent *a, const struct cs_fleet_run_spec *spec,
		       struct cs_fleet_run_result *res, struct run_ctx *r)
{
	static const enum cs_kind kinds[] = { CS_KIND_MD5, CS_KIND_SHA1, CS_KIND_SHA256,
					      CS_KIND_SHA512 };
	struct cs_inventory *inv = cs_inventory_new();
	struct cand *c = NULL;
	size_t n = 0, cap = 0, i = 0, j, k, nrec = 0, looked = 0;
	char err[512], key[96];
	unsigned shards = 0, failed = 0;
	int rc;

	err[0] = '\0';
	if (!inv) {
		rc = CS_ERR_NOMEM;
		snprintf(err, sizeof(err), "out of memory");
		goto out;
	}
	rc = load_inventory(a, spec->host, inv, err, sizeof(err));
	if (rc)
		goto out;
	nrec = cs_inventory_count(inv);
	if (nrec == 0) {
		/* Never swept: nothing to re-match is not "nothing found". */
		res->state = CS_FLEET_RUN_ERROR;
		snprintf(res->detail, sizeof(res->detail),
			 "no file inventory for host %s: a files hunt must run first", spec->host);
		goto out;
	}
	for (i = 0; i < nrec; i++) {
		const struct cs_file_record *rec = cs_inventory_at(inv, i);

		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			const char *d = digest_of(rec, kinds[k]);
			unsigned sh;

			if (d)
				looked++;
			if (!d || !cs_fleet_hx_candidate(a->hx_prefixes, a->hx_plen, d, &sh) ||
			    cs_fleet_hx_shard_empty(a->hx_table, sh))
				continue;
			if (n == cap) {
				struct cand *nc;

				cap = cap ? 2 * cap : 64;
				nc = realloc(c, cap * sizeof(*c));
				if (!nc) {
					rc = CS_ERR_NOMEM;
					snprintf(err, sizeof(err), "out of memory");
					goto out;
				}
				c = nc;
			}
			c[n].shard = sh;
			c[n].kind = kinds[k];
			c[n].rec = i;
			n++;
		}
	}
	if (n)
		qsort(c, n, sizeof(*c), by_shard);
	for (i = 0; i < n && !*a->stop; i = j) {
		unsigned char *d = NULL;
		size_t dl = 0;
		struct confirm cf;
		char why[512];

		for (j = i; j < n && c[j].shard == c[i].shard; j++)
			;
		shards++;
		snprintf(key, sizeof(key), "intel.%lld.hxs.%u", (long long)a->hx_version,
			 c[i].shard);
		rc = cs_fleet_bus_kv_get(a->bus, key, &d, &dl, why, sizeof(why));
		if (rc == CS_OK && cs_fleet_hx_shard_check(a->hx_table, c[i].shard, d, dl) != 0) {
			snprintf(why, sizeof(why), "does not match the signed manifest");
			rc = CS_ERR_PARSE;
		}
		memset(&cf, 0, sizeof(cf));
		cf.r = r;
		cf.spec = spec;
		cf.res = res;
		cf.inv = inv;
		cf.c = c + i;
		cf.n = j - i;
		if (rc == CS_OK)
			rc = cs_fleet_hx_shard_each(d, dl, c[i].shard, on_shard_rec, &cf, why,
						    sizeof(why));
		free(d);
		if (rc) {
			if (!failed++)
				snprintf(err, sizeof(err), "hash index shard %u of intel %lld: %s",
					 c[i].shard, (long long)a->hx_version, why);
			rc = CS_OK;
		}
	}
	if (*a->stop && i < n) {
		failed++;
		snprintf(err, sizeof(err), "stopped before the hash index was read");
	}
	say(a, "hunt %s: %zu digests of %zu files looked up in the hash index: %zu candidates "
	       "in %u shards", r->hunt, looked, nrec, n, shards);
out:
	if ((rc || failed) && res->state == CS_FLEET_RUN_DONE)
		res->state = CS_FLEET_RUN_INCOMPLETE;
	if ((rc || failed) && !res->detail[0])
		snprintf(res->detail, sizeof(res->detail), "%s%s", err,
			 failed > 1 ? " (and more shards)" : "");
	if (res->findings && res->exit_code == 0)
		res->exit_code = 1;
	free(c);
	cs_inventory_free(inv);
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
	enum intel_state intel;
	json_t *sweeps;
	int v, rc, lite = 0;
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
	sweeps = json_object_get(doc, "sweeps");
	/* A re-match alone needs the intel's digests only where the host may
	 * hold one: the lite bundle and the hash index. */
	if (has_sweep(sweeps, "rematch") && !has_sweep(sweeps, "files") &&
	    !has_sweep(sweeps, "logs") && !has_sweep(sweeps, "software"))
		intel = ensure_lite(a, need, &lite);
	else
		intel = ensure_full(a, need);
	if (intel == INTEL_LATER)
		goto out; /* the download is retried soon; nothing to report yet */
	if (intel == INTEL_REFUSED) {
		snprintf(why, sizeof(why), "the hunt needs intel version %lld, this host has %lld%s%s",
			 (long long)need, (long long)local_version(a), a->bundle_why[0] ? ": " : "",
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
	st.intel_version = local_version(a);
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
	if (lite && a->lite_items == 0) {
		/* Nothing but digests: the hash index is the whole re-match. */
		res.state = CS_FLEET_RUN_DONE;
		res.started_ms = wall_ms();
		rc = CS_OK;
	} else if (a->c->hooks && a->c->hooks->run) {
		rc = a->c->hooks->run(a->c->hooks->ud, &spec, a->stop, &res, on_finding, &rc_ctx,
				      rerr, sizeof(rerr));
	} else {
		rc = cs_fleet_run(&spec, a->stop, &res, on_finding, &rc_ctx, rerr, sizeof(rerr));
	}
	if (lite && rc == CS_OK && res.state != CS_FLEET_RUN_ERROR) {
		hx_rematch(a, &spec, &res, &rc_ctx);
		res.finished_ms = wall_ms();
	}

	memset(&st, 0, sizeof(st));
	st.state = rc ? "error" : cs_fleet_run_state_name(res.state);
	st.detail = rc ? rerr : res.detail[0] ? res.detail : NULL;
	st.coverage_json = res.coverage;
	st.started_ms = res.started_ms;
	st.finished_ms = res.finished_ms ? res.finished_ms : wall_ms();
	st.intel_version = local_version(a);
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
	read_manifest(a);
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
	if (a->bundle_why[0] && strcmp(a->bundle_why, a->said_why) != 0) {
		say(a, "bundle %s: %s", a->bundle_transient ? "not read yet, retrying" : "refused",
		    a->bundle_why);
		snprintf(a->said_why, sizeof(a->said_why), "%s", a->bundle_why);
	}
}

/* A bus for the agent, with its wake-up subscriptions (without them it
 * polls only, and says so). */
static int open_bus(struct agent *a, const struct cs_fleet_bus_opts *bo, struct cs_fleet_bus **out,
		    char *err, size_t errlen)
{
	char sub[128];
	int rc = cs_fleet_bus_connect(bo, out, err, errlen);

	if (rc)
		return rc;
	rc = cs_fleet_bus_subscribe(*out, "fleet.notify", on_wake, a, err, errlen);
	if (rc == CS_OK) {
		snprintf(sub, sizeof(sub), "fleet.notify.%s", a->c->host);
		rc = cs_fleet_bus_subscribe(*out, sub, on_wake, a, err, errlen);
	}
	if (rc)
		say(a, "wake-ups unavailable (%s); polling only", err);
	return CS_OK;
}

int cs_fleet_agent_run(const struct cs_fleet_agent_cfg *c, volatile sig_atomic_t *stop,
		       cs_fleet_log_fn log, void *ud, char *err, size_t errlen)
{
	struct agent *a;
	struct cs_fleet_bus_opts bo = { 0 };
	char path[PATH_MAX];
	struct cs_store *st = NULL;
	int rc;
	double next_poll = 0, deadline, reopen_at = 0, reopen_ms = 1000, opened_at = 0;

	if (sodium_init() < 0) {
		cs__fleet_err(err, errlen, "libsodium cannot start: %s", cs__fleet_sodium_why());
		return CS_ERR_UNSUPPORTED;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return CS_ERR_NOMEM;
	a->c = c;
	a->stop = stop;
	a->log = log;
	a->ud = ud;
	a->woken = 1;
	a->lockfd = -1;
	mkdir(c->state_dir, 0700);
	snprintf(a->db, sizeof(a->db), "%s/case.db", c->state_dir);
	/* The local case must exist before a bundle is adopted into it. */
	rc = cs_store_open(a->db, &st);
	if (rc) {
		snprintf(err, errlen, "%s: cannot open the agent's case", a->db);
		goto out;
	}
	cs_store_close(st);
	/* One agent per folder (made with the case above): two would
	 * interleave their journal and spool. */
	snprintf(path, sizeof(path), "%s/lock", c->state_dir);
	a->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (a->lockfd < 0 || flock(a->lockfd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(err, errlen, "%s: %s", c->state_dir,
			 a->lockfd < 0 ? "cannot create its lock file"
				       : "another agent uses this state folder");
		rc = a->lockfd < 0 ? CS_ERR_IO : CS_ERR_INVALID;
		goto out;
	}
	a->bundle = load_version(a, "bundle.version");
	a->lite = load_version(a, "lite.version");
	if (a->lite < a->bundle)
		a->lite = a->bundle;
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
	rc = open_bus(a, &bo, &a->bus, err, errlen);
	if (rc)
		goto out;
	deadline = now_ms() + (double)(c->once_wait_ms > 0 ? c->once_wait_ms : 30000);
	while (!*stop) {
		double t = now_ms();

		/* A connection the library gave up (a key refused twice in a
		 * row, as in a rotation) is replaced, with back-off (a key
		 * still refused closes the new one too): the old one is kept,
		 * failing at once, until a new one is open. The back-off
		 * starts again once a connection has lasted a minute. */
		if (t >= reopen_at && cs_fleet_bus_closed(a->bus)) {
			struct cs_fleet_bus *nb = NULL;
			char e2[512];

			if (open_bus(a, &bo, &nb, e2, sizeof(e2)) == CS_OK) {
				say(a, "the connection was closed; a new one is open");
				cs_fleet_bus_close(a->bus);
				a->bus = nb;
				a->woken = 1;
			} else {
				say(a, "the connection was closed; cannot open a new one: %s", e2);
			}
			opened_at = t;
			reopen_at = t + reopen_ms + (double)randombytes_uniform((uint32_t)reopen_ms);
			reopen_ms = reopen_ms * 2 > 60000 ? 60000 : reopen_ms * 2;
		} else if (reopen_ms > 1000 && t - opened_at > 60000 && !cs_fleet_bus_closed(a->bus)) {
			reopen_ms = 1000;
		}
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
	json_decref(a->man);
	free(a->hx_prefixes);
	free(a->hx_table);
	if (a->lockfd >= 0)
		close(a->lockfd); /* and the lock with it */
	free(a);
	return rc;
}

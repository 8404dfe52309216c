/*
 * fleet_sim: many fleet agents in one process, for bench/fleet.sh.
 *
 *   fleet_sim --fleet DIR --servers URLS --state DIR --from I --count N
 *             [--files 2000] [--share] [--probe HOST] [--poll S]
 *
 * Agent k (I <= k < I+N) is host sim-NNNN (four digits): its own thread,
 * its own nkey seed (DIR/agents/<host>.nk), its own NATS connection and
 * inbox, journal, spool and local case under STATE/<host>, all through the
 * real agent loop cs_fleet_agent_run. Only the host is simulated (the
 * hooks of struct cs_fleet_agent_cfg):
 *
 *   - its file inventory is FILES hashes, sha256("cs-bench-file:<host>:<i>")
 *     as lowercase hex, given to the agent through the `inventory` hook; a
 *     re-match hunt is then the agent's own: the lite bundle, the hash
 *     index's prefixes and table fetched and checked by each agent, its
 *     look-ups, the shards of its candidates (docs/fleet.md, "The hash
 *     index");
 *   - a hunt that needs the whole bundle (not the benchmark's) is run by
 *     the `run` hook: each file hash looked up in a hash set of the bundle's
 *     sha256 indicators, read from the verified bundle file with the store
 *     API once per bundle version and process (not once per agent);
 *   - with --share, one agent of the process fetches a whole bundle's
 *     chunks (and checks them against the signed manifest); the others,
 *     still fetching and verifying the signed manifest and hunt through
 *     their own connection, take that file (the `cached` hook).
 *
 * --probe HOST runs one agent with --once semantics through the real
 * adoption (into its local SQLite case) and prints how long the
 * connection, the intel (fetch, verify, adopt) and the whole took.
 *
 * Prints "base_rss_kb N" before the agents start and "agents N" once every
 * thread runs; the agents stop on SIGTERM or SIGINT.
 */

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
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
#include "chainsweep/fleet_admin.h"
#include "chainsweep/fleet_agent.h"
#include "chainsweep/fleet_sign.h"
#include "chainsweep/intel.h"
#include "chainsweep/scan.h"
#include "chainsweep/store.h"

#define MAX_SERVERS 16
#define MAX_AGENTS 5000
#define MAX_SET (1u << 24)

static volatile sig_atomic_t stopping;

/* The bundle's sha256 indicators as 32-byte keys, open addressing. */
struct hashset {
	int64_t version;
	unsigned char *keys; /* cap * 32 bytes; an all-zero key is empty */
	size_t cap, n;
};

static struct {
	const char *fleet, *state;
	const char *servers[MAX_SERVERS];
	size_t nservers;
	char pub[CS_FLEET_PUBTEXT_MAX];
	int files, share;
	int64_t poll;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct hashset set;  /* the newest bundle's, parsed once */
	int64_t held;        /* with --share: the version whose file is at hand */
	int fetching;        /* with --share: one agent fetches */
	char held_path[PATH_MAX];
	FILE *log;
	double t_start;
} G = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .files = 2000 };

struct agent {
	char host[64], state[PATH_MAX], seed[PATH_MAX], nkpub[64];
	int64_t version;
	const char *const *labels;
	struct cs_fleet_agent_hooks hooks;
	struct cs_fleet_agent_cfg cfg;
	pthread_t th;
	int probe;
	double t_adopted;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static long rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int unhex(const char *s, unsigned char out[32])
{
	size_t i;

	if (strlen(s) != 64)
		return -1;
	for (i = 0; i < 32; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

static size_t slot_of(const struct hashset *h, const unsigned char k[32])
{
	uint64_t x;

	memcpy(&x, k, sizeof(x));
	return (size_t)(x & (h->cap - 1));
}

static int set_has(const struct hashset *h, const unsigned char k[32])
{
	static const unsigned char zero[32];
	size_t i;

	if (!h->cap)
		return 0;
	for (i = slot_of(h, k);; i = (i + 1) & (h->cap - 1)) {
		if (memcmp(h->keys + i * 32, k, 32) == 0)
			return 1;
		if (memcmp(h->keys + i * 32, zero, 32) == 0)
			return 0;
	}
}

static int set_add(struct hashset *h, const unsigned char k[32])
{
	static const unsigned char zero[32];
	size_t i;

	if (memcmp(k, zero, 32) == 0)
		return 0;
	if ((h->n + 1) * 2 > h->cap) {
		struct hashset g = { .version = h->version };
		size_t j;

		g.cap = h->cap ? h->cap * 2 : 1024;
		if (g.cap > MAX_SET)
			return CS_ERR_TOOBIG;
		g.keys = calloc(g.cap, 32);
		if (!g.keys)
			return CS_ERR_NOMEM;
		for (j = 0; j < h->cap; j++)
			if (memcmp(h->keys + j * 32, zero, 32) != 0)
				set_add(&g, h->keys + j * 32);
		free(h->keys);
		*h = g;
	}
	for (i = slot_of(h, k);; i = (i + 1) & (h->cap - 1)) {
		if (memcmp(h->keys + i * 32, k, 32) == 0)
			return 0;
		if (memcmp(h->keys + i * 32, zero, 32) == 0)
			break;
	}
	memcpy(h->keys + i * 32, k, 32);
	h->n++;
	return 0;
}

static int on_indicator(void *ud, const struct cs_stored_indicator *ind)
{
	unsigned char k[32];

	if (unhex(ind->value, k) != 0)
		return 0;
	return set_add(ud, k);
}

/* Read the sha256 indicators of a bundle file into a new set. */
static int parse_bundle(const char *path, int64_t version, struct hashset *out, char *err,
			size_t errlen)
{
	struct cs_store *st = NULL;
	struct cs_store_lookup *lk = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	out->version = version;
	rc = cs_store_open(path, &st);
	if (rc == CS_OK)
		rc = cs_store_lookup_open(st, &lk);
	if (rc == CS_OK)
		rc = cs_store_lookup_kind(lk, CS_KIND_SHA256, on_indicator, out);
	if (rc)
		snprintf(err, errlen, "%s: cannot read its indicators (%s)", path, cs_strerror(rc));
	if (lk)
		cs_store_lookup_close(lk);
	if (st)
		cs_store_close(st);
	return rc;
}

/* The adopt hook: the set of this version, parsed by the first agent of
 * the process that has the file. */
static int sim_adopt(void *ud, const char *path, int64_t version, char *err, size_t errlen)
{
	struct agent *ag = ud;
	struct hashset h;
	int rc = CS_OK;

	pthread_mutex_lock(&G.mu);
	if (G.set.version != version) {
		rc = parse_bundle(path, version, &h, err, errlen);
		if (rc == CS_OK) {
			free(G.set.keys);
			G.set = h;
		} else {
			free(h.keys);
		}
	}
	if (rc == CS_OK && G.share && G.held != version) {
		snprintf(G.held_path, sizeof(G.held_path), "%s/shared-bundle-%lld.db", G.state,
			 (long long)version);
		unlink(G.held_path);
		if (link(path, G.held_path) == 0)
			G.held = version;
	}
	if (G.share) {
		G.fetching = 0;
		pthread_cond_broadcast(&G.cv);
	}
	pthread_mutex_unlock(&G.mu);
	if (rc == CS_OK)
		ag->version = version;
	return rc;
}

/* The cached hook (--share): the file another agent of this process
 * fetched and checked; waits while one is fetching. */
static int sim_cached(void *ud, const char *sha256, int64_t version, char *path, size_t len)
{
	struct timespec dl;
	int got = 0;

	(void)ud;
	(void)sha256;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 120;
	pthread_mutex_lock(&G.mu);
	while (G.held != version && G.fetching && !stopping)
		if (pthread_cond_timedwait(&G.cv, &G.mu, &dl) == ETIMEDOUT)
			break;
	if (G.held == version) {
		snprintf(path, len, "%s", G.held_path);
		got = 1;
	} else {
		G.fetching = 1;
	}
	pthread_mutex_unlock(&G.mu);
	return got;
}

struct lookup_ctx {
	int found;
};

static int on_stored(void *ud, const struct cs_stored_indicator *ind)
{
	(void)ind;
	((struct lookup_ctx *)ud)->found = 1;
	return 0;
}

/* The run hook: the re-match of the synthetic inventory. The probe
 * agent looks each hash up in its local case (where the real adoption put
 * the bundle); the others in the process's set. */
static int sim_run(void *ud, const struct cs_fleet_run_spec *spec, volatile sig_atomic_t *stop,
		   struct cs_fleet_run_result *res, cs_fleet_finding_cb on_finding, void *fud,
		   char *err, size_t errlen)
{
	struct agent *ag = ud;
	struct cs_store *st = NULL;
	struct cs_store_lookup *lk = NULL;
	unsigned char *d = NULL, *hits = NULL;
	char text[96], hex[65], loc[128];
	int i, j, rc = CS_OK;
	static int64_t sweeps;

	(void)stop;
	memset(res, 0, sizeof(*res));
	res->started_ms = (int64_t)now_ms();
	d = malloc((size_t)G.files * 32 + 1);
	hits = calloc((size_t)G.files + 1, 1);
	if (!d || !hits) {
		rc = CS_ERR_NOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < G.files; i++) {
		snprintf(text, sizeof(text), "cs-bench-file:%s:%d", spec->host, i);
		crypto_hash_sha256(d + 32 * i, (const unsigned char *)text, strlen(text));
	}
	if (ag->probe) {
		rc = cs_store_open(spec->db, &st);
		if (rc == CS_OK)
			rc = cs_store_lookup_open(st, &lk);
		if (rc) {
			snprintf(err, errlen, "%s: cannot read the case", spec->db);
			goto out;
		}
		for (i = 0; i < G.files; i++) {
			struct lookup_ctx c = { 0 };

			for (j = 0; j < 32; j++)
				snprintf(hex + 2 * j, 3, "%02x", d[32 * i + j]);
			cs_store_lookup(lk, CS_KIND_SHA256, hex, on_stored, &c);
			hits[i] = (unsigned char)c.found;
		}
	} else {
		pthread_mutex_lock(&G.mu);
		for (i = 0; i < G.files; i++)
			hits[i] = G.set.version == ag->version && set_has(&G.set, d + 32 * i);
		pthread_mutex_unlock(&G.mu);
	}
	for (i = 0; i < G.files; i++) {
		struct cs_finding_rec f = { 0 };

		if (!hits[i])
			continue;
		for (j = 0; j < 32; j++)
			snprintf(hex + 2 * j, 3, "%02x", d[32 * i + j]);
		snprintf(loc, sizeof(loc), "/srv/sim/%s/file-%05d.bin", spec->host, i);
		f.kind = CS_FIND_FILE;
		f.host = spec->host;
		f.evidence = "hash";
		f.location = loc;
		f.observed = hex;
		f.ind_kind = "sha256";
		f.ind_value = hex;
		f.source = "bench";
		f.confidence = -1;
		f.count = 1;
		f.sha256 = hex;
		if (spec->max_findings && res->findings >= spec->max_findings) {
			res->findings_dropped++;
			continue;
		}
		res->findings++;
		rc = on_finding(fud, &f, NULL);
		if (rc) {
			snprintf(err, errlen, "the agent refused a finding");
			goto out;
		}
	}
	pthread_mutex_lock(&G.mu);
	res->sweep = ++sweeps;
	pthread_mutex_unlock(&G.mu);
	res->state = CS_FLEET_RUN_DONE;
	res->exit_code = res->findings ? 1 : 0;
	res->coverage = strdup("{\"simulated\":true,\"inventory\":true}");
	res->intel_version = ag->version;
	res->finished_ms = (int64_t)now_ms();
out:
	free(d);
	free(hits);
	if (lk)
		cs_store_lookup_close(lk);
	if (st)
		cs_store_close(st);
	return rc;
}

/* The inventory hook: the same synthetic files as sim_run's, for a
 * re-match through the hash index (the agent's own code looks them up). */
static int sim_inventory(void *ud, const char *host, struct cs_inventory *inv, char *err,
			 size_t errlen)
{
	unsigned char d[32];
	char text[96], hex[65], path[128];
	int i, j;

	(void)ud;
	for (i = 0; i < G.files; i++) {
		struct cs_file_record r;

		snprintf(text, sizeof(text), "cs-bench-file:%s:%d", host, i);
		crypto_hash_sha256(d, (const unsigned char *)text, strlen(text));
		for (j = 0; j < 32; j++)
			snprintf(hex + 2 * j, 3, "%02x", d[j]);
		snprintf(path, sizeof(path), "/srv/sim/%s/file-%05d.bin", host, i);
		memset(&r, 0, sizeof(r));
		r.path = path;
		r.size = 4096;
		r.mtime = 1700000000;
		r.sha256 = hex;
		if (cs_inventory_add(inv, &r) != CS_OK) {
			snprintf(err, errlen, "out of memory");
			return CS_ERR_NOMEM;
		}
	}
	return CS_OK;
}

static void sim_log(void *ud, const char *line)
{
	struct agent *ag = ud;
	double t = now_ms();

	if (ag->probe && strstr(line, "bundle") && strstr(line, "adopted"))
		ag->t_adopted = t;
	pthread_mutex_lock(&G.mu);
	if (G.log)
		fprintf(G.log, "%.3f %s %s\n", t / 1e3, ag->host, line);
	pthread_mutex_unlock(&G.mu);
}

static void *agent_main(void *p)
{
	struct agent *ag = p;
	char err[512];
	int rc;

	rc = cs_fleet_agent_run(&ag->cfg, &stopping, sim_log, ag, err, sizeof(err));
	if (rc) {
		pthread_mutex_lock(&G.mu);
		fprintf(stderr, "fleet_sim: %s: %s\n", ag->host, err);
		pthread_mutex_unlock(&G.mu);
	}
	return NULL;
}

static int agent_init(struct agent *ag, const char *host, int probe)
{
	char err[512];

	snprintf(ag->host, sizeof(ag->host), "%s", host);
	snprintf(ag->state, sizeof(ag->state), "%s/%s", G.state, host);
	snprintf(ag->seed, sizeof(ag->seed), "%s/agents/%s.nk", G.fleet, host);
	if (cs_fleet_nkey_file_public(ag->seed, ag->nkpub, err, sizeof(err)) != CS_OK) {
		fprintf(stderr, "fleet_sim: %s\n", err);
		return -1;
	}
	ag->probe = probe;
	ag->hooks.run = sim_run;
	ag->hooks.adopt = probe ? NULL : sim_adopt;
	ag->hooks.cached = G.share && !probe ? sim_cached : NULL;
	ag->hooks.inventory = sim_inventory;
	ag->hooks.ud = ag;
	ag->cfg.host = ag->host;
	ag->cfg.servers = G.servers;
	ag->cfg.nservers = G.nservers;
	ag->cfg.nkey_public = ag->nkpub;
	ag->cfg.seed_path = ag->seed;
	ag->cfg.fleet_pub = G.pub;
	ag->cfg.state_dir = ag->state;
	ag->cfg.exe = "/nonexistent/chainsweep";
	ag->cfg.root = "/";
	ag->cfg.poll_s = G.poll;
	ag->cfg.once = probe;
	ag->cfg.once_wait_ms = 60000;
	ag->cfg.hooks = &ag->hooks;
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: fleet_sim --fleet DIR --servers URLS --state DIR "
			"(--from I --count N [--share] | --probe HOST) [--files N] [--poll S]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *servers = NULL, *probe = NULL;
	char list[4096], err[512], path[PATH_MAX], *tok, *save = NULL;
	long from = 0, count = 0, i;
	struct agent *ags;
	pthread_attr_t at;
	struct sigaction sa;

	G.poll = 600;
	for (i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "--share")) {
			G.share = 1;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (!strcmp(o, "--fleet"))
			G.fleet = v;
		else if (!strcmp(o, "--servers"))
			servers = v;
		else if (!strcmp(o, "--state"))
			G.state = v;
		else if (!strcmp(o, "--from"))
			from = strtol(v, NULL, 10);
		else if (!strcmp(o, "--count"))
			count = strtol(v, NULL, 10);
		else if (!strcmp(o, "--files"))
			G.files = (int)strtol(v, NULL, 10);
		else if (!strcmp(o, "--poll"))
			G.poll = strtol(v, NULL, 10);
		else if (!strcmp(o, "--probe"))
			probe = v;
		else
			usage();
	}
	if (!G.fleet || !servers || !G.state || (!probe && (count <= 0 || count > MAX_AGENTS)) ||
	    from < 0 || G.files < 0 || G.files > 1000000)
		usage();
	if (sodium_init() < 0)
		return 2;
	snprintf(list, sizeof(list), "%s", servers);
	for (tok = strtok_r(list, ",", &save); tok && G.nservers < MAX_SERVERS;
	     tok = strtok_r(NULL, ",", &save))
		G.servers[G.nservers++] = tok;
	snprintf(path, sizeof(path), "%s/agents/fleet.pub", G.fleet);
	if (cs_fleet_pubkey_load(path, G.pub, err, sizeof(err)) != CS_OK) {
		fprintf(stderr, "fleet_sim: %s\n", err);
		return 2;
	}
	mkdir(G.state, 0700);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	snprintf(path, sizeof(path), "%s/agents.log", G.state);
	G.log = fopen(path, "a");
	if (G.log)
		setvbuf(G.log, NULL, _IOLBF, 0);

	if (probe) {
		struct agent ag = { 0 };
		double t0;

		if (agent_init(&ag, probe, 1) != 0)
			return 2;
		t0 = now_ms();
		agent_main(&ag);
		printf("probe %s bundle_ms %.1f total_ms %.1f\n", probe,
		       ag.t_adopted ? ag.t_adopted - t0 : -1.0, now_ms() - t0);
		return ag.t_adopted ? 0 : 1;
	}

	printf("base_rss_kb %ld\n", rss_kb());
	fflush(stdout);
	ags = calloc((size_t)count, sizeof(*ags));
	if (!ags)
		return 2;
	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, 256 * 1024);
	for (i = 0; i < count; i++) {
		char host[64];

		snprintf(host, sizeof(host), "sim-%04ld", from + i);
		if (agent_init(&ags[i], host, 0) != 0)
			return 2;
		if (pthread_create(&ags[i].th, &at, agent_main, &ags[i]) != 0) {
			fprintf(stderr, "fleet_sim: cannot start agent %ld\n", i);
			return 2;
		}
	}
	printf("agents %ld\n", count);
	fflush(stdout);
	for (i = 0; i < count; i++)
		pthread_join(ags[i].th, NULL);
	free(G.set.keys);
	free(ags);
	if (G.log)
		fclose(G.log);
	return 0;
}

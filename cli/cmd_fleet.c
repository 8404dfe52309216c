/*
 * chainsweep fleet ...: the operator's commands (docs/fleet.md). Set up the
 * streams, publish the case's intel as a signed bundle, start, watch, stop
 * and report a hunt, and run the collector. The keys and the host registry
 * live in the fleet folder that `fleet init` made (--dir).
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chainsweep/error.h"
#include "chainsweep/fleet.h"
#include "chainsweep/fleet_admin.h"
#include "chainsweep/fleet_sign.h"
#include "chainsweep/fleet_pg.h"
#include "chainsweep/store.h"
#include "cli.h"
#include "opts.h"

extern volatile int cli_interrupted;
extern const struct cli_command cli_cmd_report;

struct fleet_args {
	const char *dir, *servers, *pg;
	unsigned replicas;
	uint64_t results_max;
	double expires_h;
	struct cli_list hosts, labels, sweeps;
	int all;
	double max_runtime, max_rate, wake_rate, idle_exit;
	unsigned threads;
	uint64_t max_findings;
	const char *root, *out;
	int watch;
	struct cli_list pos;
};

static void fleet_init_args(void *p)
{
	struct fleet_args *a = p;

	a->dir = getenv("CHAINSWEEP_FLEET");
	if (!a->dir)
		a->dir = "fleet";
	a->pg = getenv("CHAINSWEEP_FLEET_PG");
	a->replicas = 3;
	a->expires_h = 7 * 24;
	a->wake_rate = 200;
}

static void log_line(void *ud, const char *line)
{
	(void)ud;
	fprintf(stderr, "chainsweep: %s\n", line);
}

/* The servers: --servers, else the folder's `servers` file. */
static int servers_of(const struct fleet_args *a, char *buf, size_t len, const char **v,
		      size_t *n)
{
	char path[PATH_MAX], *tok, *save = NULL;
	FILE *f;

	*n = 0;
	if (a->servers) {
		snprintf(buf, len, "%s", a->servers);
	} else {
		snprintf(path, sizeof(path), "%s/servers", a->dir);
		f = fopen(path, "r");
		if (!f || !fgets(buf, (int)len, f)) {
			if (f)
				fclose(f);
			cli_err("fleet: no --servers and no %s", cli_safe(path));
			return -1;
		}
		fclose(f);
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	for (tok = strtok_r(buf, ", ", &save); tok && *n < 16; tok = strtok_r(NULL, ", ", &save))
		v[(*n)++] = tok;
	if (!*n) {
		cli_err("fleet: no server named");
		return -1;
	}
	return 0;
}

/* Connect as the operator (or the collector) with its nkey from the
 * folder. */
static struct cs_fleet_bus *connect_as(const struct fleet_args *a, const char *who)
{
	struct cs_fleet_bus_opts o = { 0 };
	struct cs_fleet_bus *b = NULL;
	char buf[2048], seed_path[PATH_MAX], pub[64], err[512];
	const char *v[16];
	size_t n;

	if (servers_of(a, buf, sizeof(buf), v, &n))
		return NULL;
	snprintf(seed_path, sizeof(seed_path), "%s/%s.nk", a->dir, who);
	if (cs_fleet_nkey_file_public(seed_path, pub, err, sizeof(err)) != CS_OK) {
		cli_err("fleet: %s (run `chainsweep fleet init`)", err);
		return NULL;
	}
	o.servers = v;
	o.nservers = n;
	o.nkey_public = pub;
	o.seed_path = seed_path;
	o.name = who;
	if (cs_fleet_bus_connect(&o, &b, err, sizeof(err)) != CS_OK) {
		cli_err("%s", err);
		return NULL;
	}
	return b;
}

static struct cs_fleet_pg *open_pg(const struct fleet_args *a)
{
	struct cs_fleet_pg *pg = NULL;
	char err[512];

	if (!a->pg) {
		cli_err("fleet: the fleet database is needed (--pg postgresql://... or "
			"$CHAINSWEEP_FLEET_PG)");
		return NULL;
	}
	if (cs_fleet_pg_open(a->pg, &pg, err, sizeof(err)) != CS_OK) {
		cli_err("%s", err);
		return NULL;
	}
	return pg;
}

static int setup_run(void *p, struct cli_global *g)
{
	struct fleet_args *a = p;
	struct cs_fleet_setup st = { 0 };
	struct cs_fleet_bus *b;
	char err[512];
	int rc;

	(void)g;
	b = connect_as(a, "operator");
	if (!b)
		return 2;
	st.replicas = (int)a->replicas;
	st.results_max_bytes = (int64_t)a->results_max;
	rc = cs_fleet_bus_setup(b, &st, err, sizeof(err));
	cs_fleet_bus_close(b);
	if (rc) {
		cli_err("%s", err);
		return 2;
	}
	if (!g->quiet)
		printf("fleet: bucket FLEET, stream RESULTS and consumer collector ready "
		       "(replicas %u)\n",
		       a->replicas);
	return 0;
}

static int newest_version(void *ud, const struct cs_intel_version *v)
{
	int64_t *out = ud;

	if (v->id > *out)
		*out = v->id;
	return 1;
}

/* The bundle also goes to the fleet database: the reports over the fleet
 * start from the intel the hosts were given. */
static int bundle_to_pg(struct cs_fleet_pg *pg, int64_t version, const char *path)
{
	unsigned char digest[crypto_hash_sha256_BYTES], *data = NULL;
	char sha[2 * crypto_hash_sha256_BYTES + 1];
	FILE *f = fopen(path, "rb");
	long n = -1;
	size_t i;
	int rc = -1;

	if (f && fseek(f, 0, SEEK_END) == 0)
		n = ftell(f);
	if (n < 0 || fseek(f, 0, SEEK_SET) != 0 || !(data = malloc((size_t)n + 1)) ||
	    fread(data, 1, (size_t)n, f) != (size_t)n) {
		cli_err("fleet publish: %s: cannot read the bundle", cli_safe(path));
		goto out;
	}
	crypto_hash_sha256(digest, data, (size_t)n);
	for (i = 0; i < sizeof(digest); i++)
		snprintf(sha + 2 * i, 3, "%02x", digest[i]);
	if (cs_fleet_pg_bundle_put(pg, version, sha, data, (size_t)n) != CS_OK) {
		cli_err("fleet publish: %s", cs_fleet_pg_errmsg(pg));
		goto out;
	}
	rc = 0;
out:
	if (f)
		fclose(f);
	free(data);
	return rc;
}

static int publish_run(void *p, struct cli_global *g)
{
	struct fleet_args *a = p;
	struct cs_fleet_bus *b = NULL;
	struct cs_fleet_pg *pg = NULL;
	struct cs_store *st;
	char tmp[PATH_MAX], key[PATH_MAX], err[512];
	int64_t version = 0, expires;
	int rc = 2, fd;

	st = cli_open_store_ro(g);
	if (!st)
		return 2;
	cs_store_versions(st, 1, newest_version, &version);
	if (version <= 0) {
		cli_err("fleet: the case has no intel to publish (chainsweep intel import)");
		cs_store_close(st);
		return 2;
	}
	snprintf(tmp, sizeof(tmp), "%s/.bundle-XXXXXX", a->dir);
	fd = mkstemp(tmp);
	if (fd < 0) {
		cli_err("fleet: %s: %s", cli_safe(tmp), strerror(errno));
		cs_store_close(st);
		return 2;
	}
	close(fd);
	unlink(tmp);
	if (cs_store_export_intel(st, tmp) != CS_OK) {
		cli_err("fleet: cannot export the case's intel: %s", cs_store_errmsg(st));
		cs_store_close(st);
		goto out;
	}
	cs_store_close(st);
	b = connect_as(a, "operator");
	if (!b)
		goto out;
	expires = (int64_t)time(NULL) + (int64_t)(a->expires_h * 3600);
	snprintf(key, sizeof(key), "%s/fleet.key", a->dir);
	if (cs_fleet_publish_bundle(b, key, tmp, version, expires, err, sizeof(err)) != CS_OK) {
		cli_err("%s", err);
		goto out;
	}
	if (a->pg) {
		pg = open_pg(a);
		if (!pg || bundle_to_pg(pg, version, tmp) != 0)
			goto out;
	}
	if (!g->quiet)
		printf("fleet: intel version %lld published, signed, valid until %s\n",
		       (long long)version, cli_time(expires, key, sizeof(key)));
	rc = 0;
out:
	unlink(tmp);
	if (pg)
		cs_fleet_pg_close(pg);
	cs_fleet_bus_close(b);
	return rc;
}

/* The registry's hosts a hunt targets, for "not yet seen" and wake-ups. */
struct targets {
	const struct fleet_args *a;
	char **v;
	size_t n, cap;
};

static int want_host(const struct fleet_args *a, const char *host, const char *labels)
{
	size_t i;

	if (a->all)
		return 1;
	for (i = 0; i < a->hosts.n; i++)
		if (strcmp(a->hosts.v[i], host) == 0)
			return 1;
	for (i = 0; i < a->labels.n; i++) {
		const char *p = labels;
		size_t l = strlen(a->labels.v[i]);

		while (p && *p) {
			if (strncmp(p, a->labels.v[i], l) == 0 && (p[l] == ',' || !p[l]))
				return 1;
			p = strchr(p, ',');
			if (p)
				p++;
		}
	}
	return 0;
}

static int on_host(void *ud, const struct cs_fleet_host *h)
{
	struct targets *t = ud;
	const char *host = h->host;

	if (!want_host(t->a, host, h->labels ? h->labels : ""))
		return 0;
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		char **v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return CS_ERR_NOMEM;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n] = strdup(host);
	if (!t->v[t->n])
		return CS_ERR_NOMEM;
	t->n++;
	return 0;
}

static const char *const sweep_names[] = { "files", "logs", "software", "rematch", NULL };

static int hunt_run(void *p, struct cli_global *g)
{
	struct fleet_args *a = p;
	struct cs_fleet_bus *b = NULL;
	struct cs_fleet_pg *pg = NULL;
	struct targets t = { 0 };
	json_t *doc = NULL, *targets, *sweeps, *arr;
	char id[64], key[PATH_MAX], err[512], *s = NULL;
	unsigned char rnd[4];
	int64_t now = (int64_t)time(NULL), expires, bundle = 0;
	struct tm tm;
	size_t i, k;
	int rc = 2;

	if (!a->all && !a->hosts.n && !a->labels.n) {
		cli_err("fleet hunt: which hosts? --all, --host NAME or --label LABEL");
		return 2;
	}
	for (i = 0; i < a->sweeps.n; i++) {
		for (k = 0; sweep_names[k] && strcmp(sweep_names[k], a->sweeps.v[i]); k++)
			;
		if (!sweep_names[k]) {
			cli_err("fleet hunt: --sweep %s: one of files, logs, software, rematch",
				cli_safe(a->sweeps.v[i]));
			return 2;
		}
	}
	pg = open_pg(a);
	if (!pg)
		return 2;
	t.a = a;
	if (cs_fleet_admin_hosts(a->dir, on_host, &t, err, sizeof(err)) != CS_OK) {
		cli_err("fleet: %s", err);
		goto out;
	}
	if (!t.n) {
		cli_err("fleet hunt: no enrolled host matches (chainsweep fleet enroll)");
		goto out;
	}
	{
		unsigned char *m = NULL;
		size_t ml = 0;

		b = connect_as(a, "operator");
		if (!b)
			goto out;
		if (cs_fleet_bus_kv_get_exact(b, "intel.manifest", &m, &ml, err, sizeof(err)) == CS_OK) {
			const char *v = strstr((const char *)m, " version=");

			bundle = v ? strtoll(v + 9, NULL, 10) : 0;
			free(m);
		}
		if (bundle <= 0) {
			cli_err("fleet hunt: no intel bundle published (chainsweep fleet publish)");
			goto out;
		}
	}
	randombytes_buf(rnd, sizeof(rnd));
	{
		time_t tnow = (time_t)now;

		gmtime_r(&tnow, &tm);
	}
	snprintf(id, sizeof(id), "h-%04d%02d%02d-%02d%02d%02d-%02x%02x", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, rnd[0], rnd[1]);
	expires = now + (int64_t)(a->expires_h * 3600);
	targets = json_object();
	if (a->all)
		json_object_set_new(targets, "all", json_true());
	arr = json_array();
	for (i = 0; i < a->hosts.n; i++)
		json_array_append_new(arr, json_string(a->hosts.v[i]));
	json_object_set_new(targets, "hosts", arr);
	arr = json_array();
	for (i = 0; i < a->labels.n; i++)
		json_array_append_new(arr, json_string(a->labels.v[i]));
	json_object_set_new(targets, "labels", arr);
	sweeps = json_array();
	if (!a->sweeps.n) {
		json_array_append_new(sweeps, json_string("files"));
		json_array_append_new(sweeps, json_string("logs"));
		json_array_append_new(sweeps, json_string("software"));
	}
	for (i = 0; i < a->sweeps.n; i++)
		json_array_append_new(sweeps, json_string(a->sweeps.v[i]));
	doc = json_pack("{s:s,s:I,s:I,s:s,s:o,s:o,s:{s:I,s:f,s:I,s:I},s:I}", "id", id, "created",
			(json_int_t)now, "expires", (json_int_t)expires, "state", "active",
			"targets", targets, "sweeps", sweeps, "limits", "max_runtime",
			(json_int_t)a->max_runtime, "max_rate_mbps", a->max_rate, "threads",
			(json_int_t)a->threads, "max_findings",
			(json_int_t)(a->max_findings ? a->max_findings : 10000),
			"bundle", (json_int_t)bundle);
	if (doc && a->root)
		json_object_set_new(doc, "root", json_string(a->root));
	s = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (!s) {
		cli_err("fleet hunt: out of memory");
		goto out;
	}
	/* The database first: a host that answers at once finds its hunt. */
	if (cs_fleet_pg_hunt_put(pg, id, s, now, expires, (const char *const *)t.v, t.n) != CS_OK) {
		cli_err("fleet hunt: cannot record the hunt: %s", cs_fleet_pg_errmsg(pg));
		goto out;
	}
	snprintf(key, sizeof(key), "%s/fleet.key", a->dir);
	if (cs_fleet_put_hunt(b, key, id, expires, s, strlen(s), err, sizeof(err)) != CS_OK) {
		cli_err("%s", err);
		goto out;
	}
	cli_catch_signals();
	if (a->all && a->wake_rate <= 0)
		cs_fleet_wake(b, NULL, 0, 0, (volatile sig_atomic_t *)&cli_interrupted);
	else
		cs_fleet_wake(b, (const char *const *)t.v, t.n, a->wake_rate, (volatile sig_atomic_t *)&cli_interrupted);
	if (g->json)
		printf("{\"hunt\":\"%s\",\"targets\":%zu,\"bundle\":%lld}\n", id, t.n,
		       (long long)bundle);
	else
		printf("%s\n", id);
	if (!g->quiet && !g->json)
		fprintf(stderr, "fleet: hunt %s started for %zu hosts with intel version %lld\n",
			id, t.n, (long long)bundle);
	rc = 0;
out:
	for (i = 0; i < t.n; i++)
		free(t.v[i]);
	free(t.v);
	free(s);
	json_decref(doc);
	cs_fleet_bus_close(b);
	if (pg)
		cs_fleet_pg_close(pg);
	return rc;
}

static int stop_run(void *p, struct cli_global *g)
{
	struct fleet_args *a = p;
	struct cs_fleet_bus *b = NULL;
	struct cs_fleet_pg *pg = NULL;
	char key[PATH_MAX], err[512], pub[CS_FLEET_PUBTEXT_MAX], *s = NULL;
	unsigned char *env = NULL;
	size_t envlen = 0;
	struct cs_fleet_sealed sealed;
	json_t *j = NULL;
	int64_t expires;
	int rc = 2, v;

	pg = open_pg(a);
	if (!pg)
		return 2;
	b = connect_as(a, "operator");
	if (!b)
		goto out;
	/* The hunt as the bucket has it, checked with our own public key. */
	snprintf(key, sizeof(key), "hunt.%s", a->pos.v[0]);
	if (cs_fleet_bus_kv_get_exact(b, key, &env, &envlen, err, sizeof(err)) != CS_OK) {
		cli_err("fleet stop: no hunt %s in the bucket", cli_safe(a->pos.v[0]));
		goto out;
	}
	snprintf(key, sizeof(key), "%s/fleet.pub", a->dir);
	if (cs_fleet_pubkey_load(key, pub, err, sizeof(err)) != CS_OK) {
		cli_err("fleet stop: %s", err);
		goto out;
	}
	v = cs_fleet_open(pub, env, envlen, (int64_t)time(NULL), &sealed, err, sizeof(err));
	if (v != CS_FLEET_OK || !(j = json_loadb((const char *)sealed.payload, sealed.len, 0, NULL))) {
		cli_err("fleet stop: hunt %s: %s", cli_safe(a->pos.v[0]),
			v == CS_FLEET_EXPIRED ? "expired already" : "its signed document is unusable");
		goto out;
	}
	json_object_set_new(j, "state", json_string("stopped"));
	expires = json_integer_value(json_object_get(j, "expires"));
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	if (!s)
		goto out;
	snprintf(key, sizeof(key), "%s/fleet.key", a->dir);
	if (cs_fleet_put_hunt(b, key, a->pos.v[0], expires, s, strlen(s), err, sizeof(err)) !=
	    CS_OK) {
		cli_err("%s", err);
		goto out;
	}
	cs_fleet_pg_hunt_state(pg, a->pos.v[0], "stopped");
	cs_fleet_wake(b, NULL, 0, 0, NULL);
	if (!g->quiet)
		printf("fleet: hunt %s stopped\n", a->pos.v[0]);
	rc = 0;
out:
	json_decref(j);
	free(env);
	free(s);
	cs_fleet_bus_close(b);
	if (pg)
		cs_fleet_pg_close(pg);
	return rc;
}

struct progress {
	const struct cli_global *g;
	int print;
	uint64_t n, answered, running, hit, incomplete, unseen, refused, clean;
};

static int on_progress(void *ud, const struct cs_fleet_progress *h)
{
	struct progress *p = ud;
	char t[64];

	p->n++;
	if (strcmp(h->state, "not-seen") == 0)
		p->unseen++;
	else if (strcmp(h->state, "running") == 0)
		p->running++;
	else if (strcmp(h->state, "refused") == 0 || strcmp(h->state, "error") == 0)
		p->refused++;
	else {
		p->answered++;
		if (h->findings)
			p->hit++;
		else if (strcmp(h->state, "incomplete") == 0)
			p->incomplete++;
		else
			p->clean++;
	}
	if (!p->print)
		return 0;
	if (p->g->json) {
		printf("{\"host\":\"%s\",\"state\":\"%s\",\"findings\":%llu,\"dropped\":%llu,"
		       "\"last\":%lld}\n",
		       h->host, h->state, (unsigned long long)h->findings,
		       (unsigned long long)h->dropped, (long long)h->last_msg_ms);
		return 0;
	}
	printf("  %-24s %-11s %6llu finding%s", h->host,
	       h->findings && strcmp(h->state, "not-seen") ? "HIT" : h->state,
	       (unsigned long long)h->findings, h->findings == 1 ? " " : "s");
	if (h->dropped)
		printf(" (+%llu not sent: the per-host cap or a full spool)",
		       (unsigned long long)h->dropped);
	if (h->last_msg_ms)
		printf("  last %s", cli_time_ms(h->last_msg_ms, t, sizeof(t)));
	putchar('\n');
	if (h->detail && *h->detail)
		printf("  %-24s   %s\n", "", h->detail);
	return 0;
}

static void progress_summary(const struct progress *p, const char *hunt)
{
	printf("hunt %s: %llu hosts: %llu hit, %llu clean, %llu incomplete, %llu running, "
	       "%llu refused or failed, %llu not yet seen\n",
	       hunt, (unsigned long long)p->n, (unsigned long long)p->hit,
	       (unsigned long long)p->clean, (unsigned long long)p->incomplete,
	       (unsigned long long)p->running, (unsigned long long)p->refused,
	       (unsigned long long)p->unseen);
}

/* The results stream's fill, when the operator's key is at hand: a full
 * stream means results wait in the agents' spools. */
static void stream_line(const struct fleet_args *a, const struct cli_global *g)
{
	struct cs_fleet_bus *b;
	struct cs_fleet_bus_stats st;
	char path[PATH_MAX], err[256];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/operator.nk", a->dir);
	if (stat(path, &sb) != 0 || (!a->servers && (snprintf(path, sizeof(path), "%s/servers",
							       a->dir),
						      stat(path, &sb) != 0)))
		return;
	b = connect_as(a, "operator");
	if (!b)
		return;
	if (cs_fleet_bus_stats(b, &st, err, sizeof(err)) == CS_OK && !g->json) {
		int full = st.max_bytes > 0 && st.bytes + 64 * 1024 >= (uint64_t)st.max_bytes;

		printf("results stream: %llu messages waiting for the collector",
		       (unsigned long long)st.pending);
		/* A collector that died holding messages: they come again only
		 * after the consumer's ack wait, and until then the answers
		 * above may lack their findings. */
		if (st.ack_pending)
			printf(" and %llu delivered but not yet committed (they come again after "
			       "the ack wait)",
			       (unsigned long long)st.ack_pending);
		printf(", %llu of %lld bytes%s\n", (unsigned long long)st.bytes, (long long)st.max_bytes,
		       full ? " - FULL: agents keep their results in their spools until the "
			      "collector catches up"
			    : "");
	}
	cs_fleet_bus_close(b);
}

static int status_run(void *p, struct cli_global *g)
{
	struct fleet_args *a = p;
	struct cs_fleet_pg *pg;
	struct progress pr;
	int rc = 0;

	pg = open_pg(a);
	if (!pg)
		return 2;
	stream_line(a, g);
	cli_catch_signals();
	for (;;) {
		memset(&pr, 0, sizeof(pr));
		pr.g = g;
		pr.print = !a->watch || !isatty(1);
		if (cs_fleet_pg_progress(pg, a->pos.v[0], on_progress, &pr, NULL) != CS_OK) {
			cli_err("fleet status: %s", cs_fleet_pg_errmsg(pg));
			rc = 2;
			break;
		}
		if (!pr.n) {
			cli_err("fleet status: no hunt %s", cli_safe(a->pos.v[0]));
			rc = 2;
			break;
		}
		if (a->watch && isatty(1))
			printf("\r\033[K");
		if (!g->json)
			progress_summary(&pr, a->pos.v[0]);
		fflush(stdout);
		if (!a->watch || cli_interrupted || (pr.unseen == 0 && pr.running == 0))
			break;
		sleep(1);
	}
	if (a->watch && isatty(1) && rc == 0) {
		pr.print = 1;
		memset(&pr, 0, sizeof(pr));
		pr.g = g;
		pr.print = 1;
		cs_fleet_pg_progress(pg, a->pos.v[0], on_progress, &pr, NULL);
	}
	cs_fleet_pg_close(pg);
	if (rc)
		return rc;
	return pr.hit ? 1 : (pr.unseen || pr.running || pr.incomplete || pr.refused) ? 3 : 0;
}

static int collect_run(void *p, struct cli_global *g)
{
	struct fleet_args *a = p;
	struct cs_fleet_bus *b;
	struct cs_fleet_pg *pg;
	struct cs_fleet_collect_stats st;
	char err[512];
	int rc;

	pg = open_pg(a);
	if (!pg)
		return 2;
	b = connect_as(a, "collector");
	if (!b) {
		cs_fleet_pg_close(pg);
		return 2;
	}
	cli_catch_signals();
	if (!g->quiet)
		fprintf(stderr, "fleet: collecting results into the fleet database\n");
	rc = cs_fleet_collect(b, pg, (volatile sig_atomic_t *)&cli_interrupted,
			      (int64_t)(a->idle_exit * 1000), &st, log_line, NULL, err, sizeof(err));
	cs_fleet_bus_close(b);
	cs_fleet_pg_close(pg);
	if (!g->quiet)
		fprintf(stderr,
			"fleet: %llu messages committed (%llu findings, %llu statuses), %llu "
			"duplicates absorbed, %llu rejected\n",
			(unsigned long long)st.messages, (unsigned long long)st.findings,
			(unsigned long long)st.statuses, (unsigned long long)st.duplicates,
			(unsigned long long)st.rejected);
	if (rc) {
		cli_err("%s", err);
		return 2;
	}
	return 0;
}

static int report_fleet_run(void *p, struct cli_global *g)
{
	struct fleet_args *a = p;
	struct cs_fleet_pg *pg;
	struct progress pr;
	struct cli_global g2 = *g;
	char tmp[PATH_MAX], err[512];
	const char *tdir = getenv("TMPDIR");
	char *argv[4];
	int fd, rc;

	pg = open_pg(a);
	if (!pg)
		return 2;
	snprintf(tmp, sizeof(tmp), "%s/chainsweep-fleet-XXXXXX", tdir && *tdir ? tdir : "/tmp");
	fd = mkstemp(tmp);
	if (fd < 0) {
		cli_err("fleet report: %s", strerror(errno));
		cs_fleet_pg_close(pg);
		return 2;
	}
	close(fd);
	unlink(tmp);
	rc = cs_fleet_pg_snapshot(pg, a->pos.v[0], tmp, err, sizeof(err));
	memset(&pr, 0, sizeof(pr));
	pr.g = g;
	if (rc == CS_OK)
		rc = cs_fleet_pg_progress(pg, a->pos.v[0], on_progress, &pr, NULL);
	cs_fleet_pg_close(pg);
	if (rc) {
		cli_err("fleet report: %s", err);
		unlink(tmp);
		return 2;
	}
	g2.db = tmp;
	argv[0] = (char *)"report";
	argv[1] = (char *)"--out";
	argv[2] = (char *)(a->out ? a->out : "fleet-report");
	argv[3] = NULL;
	rc = cli_run_command(&cli_cmd_report, 3, argv, &g2);
	unlink(tmp);
	if (!g->json)
		progress_summary(&pr, a->pos.v[0]);
	return rc;
}

#define FA(f) offsetof(struct fleet_args, f)
#define FLEET_DIR_OPT                                                                          \
	{.name = "dir", .kind = CLI_OPT_STR, .off = FA(dir), .arg = "DIR", .complete = CLI_C_DIR,  \
	 .help = "the fleet folder of `fleet init` (default $CHAINSWEEP_FLEET, else ./fleet)"}
#define FLEET_SERVERS_OPT                                                                      \
	{.name = "servers", .kind = CLI_OPT_STR, .off = FA(servers), .arg = "URLS",                \
	 .help = "NATS servers, comma separated (default: the folder's servers file)"}
#define FLEET_PG_OPT                                                                           \
	{.name = "pg", .kind = CLI_OPT_STR, .off = FA(pg), .arg = "URI",                           \
	 .help = "the fleet database, postgresql://... (default $CHAINSWEEP_FLEET_PG)"}

static const struct cli_opt setup_opts[] = {
        FLEET_DIR_OPT,
        FLEET_SERVERS_OPT,
        {.name = "replicas", .kind = CLI_OPT_UNSIGNED, .off = FA(replicas), .arg = "N", .min = 1,
         .max = 5, .help = "copies of each stream on the cluster (default 3)"},
        {.name = "results-max", .kind = CLI_OPT_SIZE, .off = FA(results_max), .arg = "SIZE",
         .min = 1024, .max = UINT64_MAX,
         .help = "the results stream's size limit; beyond it agents keep results in\n"
                 "their spool and the status says the stream is full (default 1G)"},
        {.name = NULL},
};

static const struct cli_opt publish_opts[] = {
        FLEET_DIR_OPT,
        FLEET_SERVERS_OPT,
        FLEET_PG_OPT,
        {.name = "expires", .kind = CLI_OPT_SECONDS, .off = FA(expires_h), .arg = "HOURS",
         .max = 24 * 366, .help = "agents refuse the bundle after this (default 168)"},
        {.name = NULL},
};

static const struct cli_opt hunt_opts[] = {
        FLEET_DIR_OPT,
        FLEET_SERVERS_OPT,
        FLEET_PG_OPT,
        {.name = "all", .kind = CLI_OPT_FLAG, .off = FA(all), .help = "every enrolled host"},
        {.name = "host", .kind = CLI_OPT_LIST, .off = FA(hosts), .arg = "NAME",
         .help = "this host (repeatable)"},
        {.name = "label", .kind = CLI_OPT_LIST, .off = FA(labels), .arg = "LABEL",
         .help = "hosts enrolled with this label (repeatable)"},
        {.name = "sweep", .kind = CLI_OPT_LIST, .off = FA(sweeps), .arg = "KIND",
         .help = "files, logs, software, or rematch (the new intel against each\n"
                 "host's file inventory, reading no file); repeatable (default: files,\n"
                 "logs and software)"},
        {.name = "max-runtime", .kind = CLI_OPT_SECONDS, .off = FA(max_runtime),
         .arg = "SECONDS", .max = 7 * 86400, .help = "each host stops after this (incomplete)"},
        {.name = "max-rate", .kind = CLI_OPT_SECONDS, .off = FA(max_rate), .arg = "MBPS",
         .max = 100000, .help = "each host reads files at most this fast"},
        {.name = "threads", .kind = CLI_OPT_UNSIGNED, .off = FA(threads), .arg = "N", .min = 1,
         .max = 256, .help = "threads on each host (default: one per core)"},
        {.name = "max-findings", .kind = CLI_OPT_U64, .off = FA(max_findings), .arg = "N",
         .min = 1, .max = 10000000,
         .help = "findings sent per host at most; the rest are counted (default 10000)"},
        {.name = "expires", .kind = CLI_OPT_SECONDS, .off = FA(expires_h), .arg = "HOURS",
         .max = 24 * 366,
         .help = "hosts that come back later than this do not run it (default 168)"},
        {.name = "root", .kind = CLI_OPT_STR, .off = FA(root), .arg = "DIR",
         .help = "the folder each host sweeps (default: the agent's root)"},
        {.name = "wake-rate", .kind = CLI_OPT_SECONDS, .off = FA(wake_rate), .arg = "N",
         .max = 1000000, .help = "hosts woken per second (default 200)"},
        {.name = NULL},
};

static const struct cli_opt status_opts[] = {
        FLEET_DIR_OPT,
        FLEET_SERVERS_OPT,
        FLEET_PG_OPT,
        {.name = "watch", .kind = CLI_OPT_FLAG, .off = FA(watch),
         .help = "refresh until every host answered (Ctrl-C stops watching)"},
        {.name = NULL},
};

static const struct cli_opt stop_opts[] = {
        FLEET_DIR_OPT,
        FLEET_SERVERS_OPT,
        FLEET_PG_OPT,
        {.name = NULL},
};

static const struct cli_opt collect_opts[] = {
        FLEET_DIR_OPT,
        FLEET_SERVERS_OPT,
        FLEET_PG_OPT,
        {.name = "idle-exit", .kind = CLI_OPT_SECONDS, .off = FA(idle_exit), .arg = "SECONDS",
         .max = 86400, .help = "return after this long without a message (default: never)"},
        {.name = NULL},
};

static const struct cli_opt report_opts[] = {
        FLEET_PG_OPT,
        {.name = "out", .kind = CLI_OPT_STR, .off = FA(out), .arg = "DIR", .complete = CLI_C_DIR,
         .help = "the report folder (default ./fleet-report)"},
        {.name = NULL},
};

#define FLEET_CMD(n, sum, desc, o, r, pn, minp, maxp)                                          \
	{.name = n, .summary = sum, .description = desc, .pos_name = pn, .pos_off = FA(pos),       \
	 .min_pos = minp, .max_pos = maxp, .opts = o, .init = fleet_init_args, .run = r,          \
	 .args_size = sizeof(struct fleet_args)}

const struct cli_command cli_cmd_fleet_setup = FLEET_CMD(
        "fleet setup", "create the fleet's bucket, results stream and collector consumer",
        "Create, on the NATS JetStream servers, the FLEET bucket (hunts and signed intel\n"
        "bundles), the RESULTS stream and the collector's consumer; what exists is kept\n"
        "(docs/fleet.md).",
        setup_opts, setup_run, NULL, 0, 0);

const struct cli_command cli_cmd_fleet_publish = FLEET_CMD(
        "fleet publish", "publish the case's intel to the fleet as a signed, versioned bundle",
        "Export the case database's intel (--db) as a bundle, sign it with the fleet key\n"
        "(version and expiry inside what is signed), cut it in chunks and put it in the\n"
        "FLEET bucket; agents refuse an unsigned, tampered, older or expired bundle.",
        publish_opts, publish_run, NULL, 0, 0);

const struct cli_command cli_cmd_fleet_hunt = FLEET_CMD(
        "fleet hunt", "start a hunt on the fleet: which hosts, which sweeps, limits, expiry",
        "Sign and publish a hunt for the hosts chosen (--all, --host, --label), record\n"
        "them in the fleet database as expected, and wake them at --wake-rate. Hosts that\n"
        "are offline run it when they come back, until it expires. Prints the hunt's id.",
        hunt_opts, hunt_run, NULL, 0, 0);

const struct cli_command cli_cmd_fleet_status = FLEET_CMD(
        "fleet status", "a hunt's progress per host: hit, clean, incomplete, running, not yet seen",
        "Each host the hunt expects, with its state from the fleet database: HIT, done\n"
        "(clean), incomplete, running, refused or error (with why), or not-seen; then the\n"
        "totals. A host that has not answered is never counted as clean.",
        status_opts, status_run, "HUNT", 1, 1);

const struct cli_command cli_cmd_fleet_stop = FLEET_CMD(
        "fleet stop", "stop a hunt: hosts that have not run it never will",
        "Publish the hunt again, signed, as stopped. Agents that have not started it skip\n"
        "it; an agent running it reports it incomplete.",
        stop_opts, stop_run, "HUNT", 1, 1);

const struct cli_command cli_cmd_fleet_collect = FLEET_CMD(
        "fleet collect", "drain the agents' results into the fleet database (PostgreSQL)",
        "Take the results stream's messages one at a time, write each in one transaction\n"
        "and acknowledge it only after the commit; a message that comes again (same id)\n"
        "makes no second row. A message claiming another host than its subject is\n"
        "refused.",
        collect_opts, collect_run, NULL, 0, 0);

const struct cli_command cli_cmd_fleet_report = FLEET_CMD(
        "fleet report", "a hunt's findings over the whole fleet as JSON Lines, HTML, STIX, MISP",
        "Write the same report files as `report`, over every host of the hunt, from the\n"
        "fleet database; hosts that did not answer are listed as such, never as clean.",
        report_opts, report_fleet_run, "HUNT", 1, 1);

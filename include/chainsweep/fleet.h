/* chainsweep: the fleet's roles — operator, agent, collector
 * (docs/fleet.md). The transport is fleet_bus.h, the signatures
 * fleet_sign.h, the agent's local parts fleet_agent.h, the PostgreSQL
 * case fleet_pg.h. */
#ifndef CHAINSWEEP_FLEET_H
#define CHAINSWEEP_FLEET_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "chainsweep/fleet_agent.h"
#include "chainsweep/fleet_bus.h"

/* What the roles say about their work, one line at a time; may be NULL. */
typedef void (*cs_fleet_log_fn)(void *ud, const char *line);

#define CS_FLEET_CHUNK (512 * 1024)

/* Operator: put the intel file `bundle_path` (cs_store_export_intel) in
 * the bucket as version `version`, signed with the secret key, valid
 * until `expires` (epoch s): chunks first, then the signed manifest that
 * names them, then the previous version's chunks go. */
int cs_fleet_publish_bundle(struct cs_fleet_bus *b, const char *seckey_path,
			    const char *bundle_path, int64_t version, int64_t expires, char *err,
			    size_t errlen);

/* Operator: sign and put a hunt document (JSON with at least "id" and
 * "expires"), and list it in hunts.index (expired hunts leave the index).
 * The same call with "state":"stopped" stops it. */
int cs_fleet_put_hunt(struct cs_fleet_bus *b, const char *seckey_path, const char *id,
		      int64_t expires, const char *doc, size_t len, char *err, size_t errlen);

/* Operator: wake hosts, `rate` per second at most (0: one broadcast). */
int cs_fleet_wake(struct cs_fleet_bus *b, const char *const *hosts, size_t nhosts,
		  double rate, volatile sig_atomic_t *stop);

/* Stand-ins for the host's side of an agent, for the fleet benchmark's
 * simulated hosts (bench/fleet_sim.c). Each may be NULL: the real host
 * (the child sweep, adoption into the local case, chunks fetched). The
 * connection, signatures, journal and spool are never replaced. */
struct cs_inventory;
struct cs_fleet_agent_hooks {
	/* Instead of cs_fleet_run, with its contract. */
	int (*run)(void *ud, const struct cs_fleet_run_spec *spec, volatile sig_atomic_t *stop,
		   struct cs_fleet_run_result *res, cs_fleet_finding_cb on_finding, void *fud,
		   char *err, size_t errlen);
	/* Instead of cs_store_adopt_intel: the bundle file, whole and matching
	 * the signed manifest; non-zero refuses it. */
	int (*adopt)(void *ud, const char *bundle_path, int64_t version, char *err, size_t errlen);
	/* Once the manifest is verified, before its chunks are fetched: 1 and
	 * a path when a file with the manifest's SHA-256 (hex) is already at
	 * hand (the chunks are then not fetched, nor the file removed). */
	int (*cached)(void *ud, const char *sha256, int64_t version, char *path, size_t pathlen);
	/* Instead of the local case's file inventory, for a re-match through
	 * the hash index: add the host's records to inv (not sealed). */
	int (*inventory)(void *ud, const char *host, struct cs_inventory *inv, char *err,
			 size_t errlen);
	void *ud;
};

/* The agent (docs/fleet.md, "The agent"). */
struct cs_fleet_agent_cfg {
	const char *host;
	const char *const *servers;
	size_t nservers;
	const char *nkey_public, *seed_path;
	const char *fleet_pub;        /* the pinned public key, as its file's text */
	const char *const *labels;
	size_t nlabels;
	const char *state_dir;
	const char *exe;              /* the chainsweep program that sweeps */
	const char *root;             /* the folder swept; "/" for this host */
	int64_t poll_s;               /* poll hunts.index this often (± 50 %) */
	uint64_t spool_max;
	int once;                     /* handle what is there, flush, return */
	int64_t once_wait_ms;         /* with once: how long to wait for the server */
	const struct cs_fleet_agent_hooks *hooks; /* NULL: the real host */
};
int cs_fleet_agent_run(const struct cs_fleet_agent_cfg *c, volatile sig_atomic_t *stop,
		       cs_fleet_log_fn log, void *ud, char *err, size_t errlen);

/* The collector: drain RESULTS into the fleet's PostgreSQL case. Returns
 * when *stop is set or, with idle_exit_ms > 0, after that long without a
 * message. */
struct cs_fleet_pg;
struct cs_fleet_collect_stats {
	uint64_t messages, duplicates, rejected, findings, statuses;
	double first_ms;   /* wall time of the first message applied, 0 when none */
	double last_ms;
};
int cs_fleet_collect(struct cs_fleet_bus *b, struct cs_fleet_pg *pg, volatile sig_atomic_t *stop,
		     int64_t idle_exit_ms, struct cs_fleet_collect_stats *st, cs_fleet_log_fn log,
		     void *ud, char *err, size_t errlen);

#endif

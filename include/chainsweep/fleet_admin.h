/*
 * chainsweep: the operator's fleet folder and the agents' identities
 * (docs/fleet.md, "Deployment and keys").
 *
 * A fleet folder (0700) holds the signing key pair (fleet.key, fleet.pub),
 * the operator's and the collector's nkey seeds (operator.nk,
 * collector.nk), the host registry (hosts.tsv: host, public nkey, labels,
 * enrolled epoch), per host agents/<host>.nk (its seed) and
 * agents/<host>.conf (its agent configuration), agents/fleet.pub (the key
 * agents pin), and nats-auth.conf: the nats-server configuration fragment
 * that names every user by nkey, inside accounts, with the permissions of
 * its role. It is rewritten on every enrollment.
 */
#ifndef CHAINSWEEP_FLEET_ADMIN_H
#define CHAINSWEEP_FLEET_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "chainsweep/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CS_FLEET_MAX_HOSTS         100000
#define CS_FLEET_MAX_SERVERS       16
#define CS_FLEET_MAX_LABELS        32
#define CS_FLEET_DEFAULT_SERVERS   "nats://127.0.0.1:4222"
#define CS_FLEET_DEFAULT_STATE_DIR "/var/lib/chainsweep/agent"
#define CS_FLEET_DEFAULT_POLL      600
#define CS_FLEET_DEFAULT_SPOOL_MAX (100ull << 20)

/* cs_fleet_host_id_ok() (fleet_wire.h) says what a host id may be. */

/*
 * Make a fleet folder: `dir` is created 0700 (or must be an empty
 * folder), with fleet.key/fleet.pub, operator.nk and collector.nk (0600),
 * an empty hosts.tsv, agents/ (with fleet.pub) and nats-auth.conf. CS_OK;
 * CS_ERR_INVALID (not empty, a fleet there already) or CS_ERR_IO, with
 * `err` naming the file.
 */
int cs_fleet_admin_init(const char *dir, char *err, size_t errlen);

/*
 * Enroll hosts: for each, a new nkey (agents/<host>.nk, 0600), its agent
 * configuration (agents/<host>.conf) and its row in hosts.tsv; then
 * nats-auth.conf is written again. `labels` is a comma list (NULL: none,
 * or on rotation the host's labels so far); `servers` a comma list of
 * nats:// or tls:// URLs (NULL: on rotation the host's configuration's,
 * else CS_FLEET_DEFAULT_SERVERS). A host enrolled already is refused
 * unless `rotate`: then its seed is replaced and its old public key is
 * gone from nats-auth.conf (after the server reloads it, the old seed can
 * no longer connect). Everything is checked before anything is written;
 * enrollments of one folder are serialized by a lock. CS_OK,
 * CS_ERR_INVALID (bad host, label or URL; enrolled already), CS_ERR_IO,
 * CS_ERR_PARSE (a damaged hosts.tsv), CS_ERR_TOOBIG, CS_ERR_NOMEM.
 */
int cs_fleet_admin_enroll(const char *dir, const char *host, const char *labels,
                          const char *servers, int rotate, char *err, size_t errlen);
int cs_fleet_admin_enroll_many(const char *dir, const char *const *hosts, size_t n,
                               const char *labels, const char *servers, int rotate, char *err,
                               size_t errlen);

/* A row of the host registry; strings valid during the callback. */
struct cs_fleet_host {
	const char *host;
	const char *nkey;   /* its public nkey "U..." */
	const char *labels; /* comma list, "" for none */
	int64_t enrolled;   /* epoch seconds of its last (re-)enrollment */
};
/* Return non-zero to stop the listing (cs_fleet_admin_hosts returns it). */
typedef int (*cs_fleet_host_fn)(void *ud, const struct cs_fleet_host *h);

/* Every enrolled host in the registry's order (enrollment order). CS_OK,
 * the callback's non-zero value, or an error (CS_ERR_PARSE names the
 * hosts.tsv line). */
int cs_fleet_admin_hosts(const char *dir, cs_fleet_host_fn fn, void *ud, char *err, size_t errlen);

/*
 * An agent's configuration file: `key=value` lines, '#' comment lines and
 * blank lines. host, servers, seed and fleet_pub are needed; labels,
 * state_dir (CS_FLEET_DEFAULT_STATE_DIR), poll (seconds, 1..86400,
 * default 600) and spool_max (bytes with an optional K, M or G, at least
 * 1M, default 100M) are optional. Relative paths are taken from the
 * configuration file's folder. An unknown or repeated key, a bad value or
 * a missing one is an error naming file:line.
 */
struct cs_fleet_agent_conf {
	char host[65];
	char servers[CS_FLEET_MAX_SERVERS][256];
	size_t nservers;
	char seed[4096];      /* path of the nkey seed file */
	char fleet_pub[4096]; /* path of the pinned signing key */
	char labels[CS_FLEET_MAX_LABELS][65];
	size_t nlabels;
	char state_dir[4096];
	unsigned poll;
	uint64_t spool_max;
};
int cs_fleet_agent_conf_load(const char *path, struct cs_fleet_agent_conf *out, char *err,
                             size_t errlen);
/* The same over text in memory; `name` is the file's path (for messages
 * and relative paths). */
int cs_fleet_agent_conf_parse(const char *name, const char *text, size_t len,
                              struct cs_fleet_agent_conf *out, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* CHAINSWEEP_FLEET_ADMIN_H */

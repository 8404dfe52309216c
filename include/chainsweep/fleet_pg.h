/*
 * chainsweep: the fleet's case database in PostgreSQL (docs/fleet.md, "The
 * collector and PostgreSQL").
 *
 * One writer, the collector, applies result messages (fleet_wire.h) each
 * in one transaction that first records the message id, so that a
 * redelivered message changes nothing; operators record hunts, their
 * target hosts and intel bundles, follow a hunt's progress, and take a
 * snapshot: a SQLite case file that the one-host commands read.
 *
 * A handle is one connection; it is not thread safe. A connection that
 * broke is opened again by the next call.
 */
#ifndef CHAINSWEEP_FLEET_PG_H
#define CHAINSWEEP_FLEET_PG_H

#include <stddef.h>
#include <stdint.h>

#include "chainsweep/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The schema version this code writes (table fleet_meta). */
#define CS_FLEET_PG_SCHEMA 1

struct cs_fleet_pg;

/*
 * Connect to `conninfo` (a postgresql:// or postgres:// URI, or libpq
 * key=value text) and create the schema when it is absent (idempotent:
 * a database already at CS_FLEET_PG_SCHEMA is only read, so a role
 * without CREATE can open it; a newer schema is refused). *out receives
 * the handle on success only. Returns CS_OK, CS_ERR_DB (with `err`, errlen
 * bytes, may be NULL, saying why), CS_ERR_UNSUPPORTED (newer schema),
 * CS_ERR_INVALID or CS_ERR_NOMEM.
 */
int cs_fleet_pg_open(const char *conninfo, struct cs_fleet_pg **out, char *err, size_t errlen);
void cs_fleet_pg_close(struct cs_fleet_pg *pg);
/* The message of the last failed call on the handle ("" when none). */
const char *cs_fleet_pg_errmsg(const struct cs_fleet_pg *pg);

/*
 * Apply one result message (`len` bytes of JSON, decoded and validated
 * with cs_fleet_wire_decode) under `msg_id` (the Nats-Msg-Id, which must
 * be the message's own "<hunt>:<host>:<run>:<seq>", else CS_ERR_PARSE;
 * the caller checks that the subject's host is the message's), in one
 * transaction whose first statement records msg_id in
 * fleet_msg: a message already recorded sets *duplicate to 1 and changes
 * nothing. Returns CS_OK only once the transaction has committed (the
 * caller acknowledges the message then, never before). A message that
 * does not decode returns the codec's error (CS_ERR_PARSE, CS_ERR_TOOBIG,
 * CS_ERR_UNSUPPORTED) and writes nothing: it will never apply, the
 * caller should acknowledge (or dead-letter) it and log `err`. CS_ERR_DB
 * is a database failure: nothing was written; retry later.
 */
int cs_fleet_pg_apply(struct cs_fleet_pg *pg, const char *msg_id, const char *json, size_t len,
                      int *duplicate, char *err, size_t errlen);

/*
 * Record a hunt (insert or replace): its document (JSON text, stored as
 * jsonb), created and expires (epoch seconds, 0 unknown), state "active",
 * and the hosts it expects an answer from (replacing the previous list;
 * each a valid host id). Returns CS_OK, CS_ERR_INVALID or CS_ERR_DB.
 */
int cs_fleet_pg_hunt_put(struct cs_fleet_pg *pg, const char *id, const char *doc_json,
                         int64_t created, int64_t expires, const char *const *targets,
                         size_t ntargets);
/* Set a hunt's state ("active", "stopped"); CS_ERR_NOTFOUND when there is
 * no such hunt. */
int cs_fleet_pg_hunt_state(struct cs_fleet_pg *pg, const char *id, const char *state);

/* Record an intel bundle (the SQLite case file holding the intel) as
 * `version`; replaces a bundle of the same version. */
int cs_fleet_pg_bundle_put(struct cs_fleet_pg *pg, int64_t version, const char *sha256,
                           const void *data, size_t len);

/*
 * A hunt's progress: fn is called once per host the hunt targets or that
 * answered it, in host order, with the state of its latest run:
 * "not-seen" (no message yet), "running", "done", "incomplete", "error"
 * or "refused". Strings are borrowed for the call; a non-zero return
 * from fn stops and is returned. `tot` (may be NULL) receives the sums.
 */
struct cs_fleet_progress {
	const char *host;
	const char *state;
	int targeted;      /* 1 when the hunt names the host as a target */
	int64_t run;       /* the latest run, 0 when not seen */
	uint64_t findings; /* as the status said, or finding messages so far */
	uint64_t dropped;
	int64_t last_msg_ms; /* when its last message was applied, 0 when none */
	const char *detail;  /* why refused or failed, or NULL */
};
struct cs_fleet_progress_totals {
	uint64_t hosts, targets, not_seen, running, done, incomplete, error, refused;
	uint64_t findings, dropped;
};
typedef int (*cs_fleet_progress_fn)(void *userdata, const struct cs_fleet_progress *p);
int cs_fleet_pg_progress(struct cs_fleet_pg *pg, const char *hunt, cs_fleet_progress_fn fn,
                         void *userdata, struct cs_fleet_progress_totals *tot);

/*
 * Write the fleet case (one hunt's, or everything's when `hunt` is NULL)
 * as a SQLite case database at `out_sqlite_path` (replaced): the newest
 * bundle's intel (an empty case when there is none), then the hosts'
 * sweeps, findings and software through the cs_store API. A host the
 * hunt targets that never answered gets a sweep with coverage
 * {"answered":false} marked incomplete: never clean. Returns CS_OK,
 * CS_ERR_DB, CS_ERR_IO, CS_ERR_NOTFOUND (no such hunt) or CS_ERR_NOMEM,
 * with `err` saying why.
 */
int cs_fleet_pg_snapshot(struct cs_fleet_pg *pg, const char *hunt, const char *out_sqlite_path,
                         char *err, size_t errlen);

/* 1 when `s` names a PostgreSQL database (postgresql:// or postgres://). */
int cs_fleet_pg_is_uri(const char *s);

#ifdef __cplusplus
}
#endif

#endif /* CHAINSWEEP_FLEET_PG_H */

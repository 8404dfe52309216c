/*
 * chainsweep: the result messages of a fleet hunt (docs/fleet.md, "Result
 * messages").
 *
 * An agent publishes one JSON object per message on res.<host>.<hunt>: a
 * finding, an installed package, or the status of its run of the hunt.
 * The encoders write that object; the decoder reads one back with strict
 * validation (types, the hunt id and host syntax, caps on every string,
 * on the label count and on the message's size), so that the collector
 * can take what an agent sends without trusting it.
 */
#ifndef CHAINSWEEP_FLEET_WIRE_H
#define CHAINSWEEP_FLEET_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "chainsweep/error.h"
#include "chainsweep/report.h"
#include "chainsweep/store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CS_FLEET_WIRE_VERSION 1
/* Caps of a result message (the decoder refuses more; the encoders too). */
#define CS_FLEET_WIRE_MAX_BYTES  (256u * 1024u) /* the whole message */
#define CS_FLEET_WIRE_MAX_STRING (32u * 1024u)  /* any string member, bytes */
#define CS_FLEET_WIRE_MAX_LABELS 256u           /* labels of a finding */
#define CS_FLEET_WIRE_MAX_LABEL  1024u          /* bytes of one label */
#define CS_FLEET_WIRE_MAX_DEPTH  16u            /* nesting of process/coverage */
#define CS_FLEET_ID_MAX          64u            /* hunt id and host */
/* The latest start or finish time a status may carry: 9999-12-31, the
 * end of what PostgreSQL's timestamps and RFC 3339 write. */
#define CS_FLEET_WIRE_MAX_TIME_MS 253402300799999LL

enum cs_fleet_msg_type {
	CS_FLEET_MSG_FINDING = 1,
	CS_FLEET_MSG_SOFTWARE = 2,
	CS_FLEET_MSG_STATUS = 3
};

/* What a run of a hunt on one host has come to. */
struct cs_fleet_status {
	const char *state;               /* "running", "done", "incomplete", "error", "refused" */
	const char *detail;              /* why refused or failed, or NULL */
	const char *coverage_json;       /* the sweep's coverage object, or NULL */
	int64_t started_ms, finished_ms; /* 0 when unknown / not yet */
	int64_t intel_version;           /* the bundle version the run used, 0 unknown */
	uint64_t findings, dropped;
	int exit_code; /* the sweep's exit code, -1 unknown */
};

/* 1 when `s` is a valid hunt id ([A-Za-z0-9_.:-]{1,64}) / host id
 * ([A-Za-z0-9_-]{1,64}), else 0. */
int cs_fleet_hunt_id_ok(const char *s);
int cs_fleet_host_id_ok(const char *s);

/*
 * Encode one message. `hunt` and `host` must be valid ids, run >= 1 and
 * seq >= 0; the record's strings valid UTF-8 within the caps (f->host and
 * the store-local members of a software record — first/last sweep, last
 * seen, current — are not sent). On success *json receives a malloc'ed,
 * NUL-terminated compact JSON text (free() it) and *len its length;
 * nothing is written on failure. Returns CS_OK, CS_ERR_INVALID (a bad
 * argument: id, kind, state, a string that is not UTF-8, a coverage that
 * is not a JSON object), CS_ERR_TOOBIG (over a cap) or CS_ERR_NOMEM.
 * What an encoder writes, cs_fleet_wire_decode() reads back.
 */
int cs_fleet_wire_finding(const char *hunt, const char *host, int64_t run, int64_t seq,
                          const struct cs_finding_rec *f, char **json, size_t *len);
int cs_fleet_wire_software(const char *hunt, const char *host, int64_t run, int64_t seq,
                           const struct cs_software_rec *r, char **json, size_t *len);
int cs_fleet_wire_status(const char *hunt, const char *host, int64_t run, int64_t seq,
                         const struct cs_fleet_status *st, char **json, size_t *len);

/*
 * A decoded message. Every string, the label array and the process and
 * coverage texts are owned by the message (released by
 * cs_fleet_msg_free); only the record of `type` is filled, the others
 * are zero. finding.host and software.host are the message's host.
 */
struct cs_fleet_msg {
	enum cs_fleet_msg_type type;
	const char *hunt;
	const char *host;
	int64_t run, seq;
	struct cs_finding_rec finding;
	struct cs_software_rec software;
	struct cs_fleet_status status;
	void *priv_; /* the parsed document and what was made from it */
};

/*
 * Decode and validate `len` bytes of one message into *out (which need
 * not be initialised). Returns CS_OK, CS_ERR_TOOBIG (over a cap),
 * CS_ERR_PARSE (not JSON, a member missing, of the wrong type or out of
 * range, an unknown member, a bad id), CS_ERR_UNSUPPORTED (another "v")
 * or CS_ERR_NOMEM; on error *out is left empty (cs_fleet_msg_free on it
 * is harmless) and `err` (errlen bytes, may be NULL) names the member
 * and the reason.
 */
int cs_fleet_wire_decode(const char *json, size_t len, struct cs_fleet_msg *out, char *err,
                         size_t errlen);
void cs_fleet_msg_free(struct cs_fleet_msg *m);

#ifdef __cplusplus
}
#endif

#endif /* CHAINSWEEP_FLEET_WIRE_H */

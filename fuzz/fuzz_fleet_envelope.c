/*
 * libFuzzer target for what an agent reads from others: signed fleet
 * envelopes (cs_fleet_open) and its configuration file
 * (cs_fleet_agent_conf_parse).
 *
 * The first byte chooses: even, the rest is an envelope opened against a
 * fixed fleet key (the seeds in fuzz/corpus/fleet_envelope are signed
 * with it, so mutations reach the signature checks and beyond); odd, the
 * rest is an agent configuration file.
 *
 * Invariants: the verdict is one of the enum's; opening twice gives the
 * same verdict; an accepted (or expired) envelope's payload lies inside
 * the input with the signed size, and its kind and id are in form; a
 * parsed configuration has a valid host, at least one server and values
 * within their ranges, and an error always says why.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chainsweep/fleet_admin.h"
#include "chainsweep/fleet_wire.h"
#include "chainsweep/fleet_sign.h"

static const char pubkey[] = "untrusted comment: minisign public key 8A0E902E6A613870\n"
                             "RWRwOGFqLpAOigU0QOvnCQs8zu32Kv4GSAS74l4fGHGEJG5AG08102nu\n";

static void check_envelope(const uint8_t *data, size_t size)
{
	struct cs_fleet_sealed s, s2;
	char why[256], why2[256];
	/* A copy of exactly the input's size, so that reads past it are seen. */
	uint8_t *copy = malloc(size ? size : 1);
	int v, v2;

	if (!copy)
		return;
	if (size)
		memcpy(copy, data, size);
	why[0] = 0;
	v = cs_fleet_open(pubkey, copy, size, 1796000000, &s, why, sizeof(why));
	v2 = cs_fleet_open(pubkey, copy, size, 1796000000, &s2, why2, sizeof(why2));
	if (v < CS_FLEET_OK || v > CS_FLEET_MALFORMED || v != v2 || !why[0])
		__builtin_trap();
	if (v == CS_FLEET_OK || v == CS_FLEET_EXPIRED) {
		if (s.payload < copy || s.payload + s.len != copy + size || s.size != s.len ||
		    !s.kind[0] || !cs_fleet_host_id_ok(s.id) || strlen(s.sha256) != 64 ||
		    (v == CS_FLEET_EXPIRED) != (s.expires <= 1796000000))
			__builtin_trap();
		if (cs_fleet_accept_bundle(&s, s.version) != CS_FLEET_OK ||
		    (s.version < INT64_MAX &&
		     cs_fleet_accept_bundle(&s, s.version + 1) != CS_FLEET_ROLLBACK))
			__builtin_trap();
	}
	free(copy);
}

static void check_conf(const uint8_t *data, size_t size)
{
	struct cs_fleet_agent_conf *c = malloc(sizeof(*c));
	char *copy = malloc(size ? size : 1);
	char err[512];
	int rc;

	if (!c || !copy)
		goto out;
	if (size)
		memcpy(copy, data, size);
	err[0] = 0;
	rc = cs_fleet_agent_conf_parse("/etc/chainsweep/agent.conf", copy, size, c, err,
	                               sizeof(err));
	if (rc == CS_OK) {
		size_t i;

		if (!cs_fleet_host_id_ok(c->host) || c->nservers < 1 ||
		    c->nservers > CS_FLEET_MAX_SERVERS || c->nlabels > CS_FLEET_MAX_LABELS ||
		    c->poll < 1 || c->poll > 86400 || c->spool_max < (1u << 20) || !c->seed[0] ||
		    !c->fleet_pub[0] || !c->state_dir[0])
			__builtin_trap();
		for (i = 0; i < c->nservers; i++)
			if (strncmp(c->servers[i], "nats://", 7) &&
			    strncmp(c->servers[i], "tls://", 6))
				__builtin_trap();
	} else if ((rc != CS_ERR_PARSE && rc != CS_ERR_TOOBIG && rc != CS_ERR_NOMEM) ||
	           (rc != CS_ERR_NOMEM && !err[0])) {
		__builtin_trap();
	}
out:
	free(c);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		check_conf(data + 1, size - 1);
	else
		check_envelope(data + 1, size - 1);
	return 0;
}

/*
 * libFuzzer target for the fleet's result messages (lib/fleet/wire.c).
 *
 * Invariants: decoding returns CS_OK or one of its documented errors; a
 * message that decoded re-encodes (the encoders accept every record the
 * decoder gives) and the re-encoded text decodes to the same record,
 * member for member.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chainsweep/fleet_wire.h"

static int same_str(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static void check_finding(const struct cs_finding_rec *a, const struct cs_finding_rec *b)
{
	size_t i;

	if (a->kind != b->kind || !same_str(a->host, b->host) ||
	    !same_str(a->evidence, b->evidence) || !same_str(a->location, b->location) ||
	    !same_str(a->observed, b->observed) || !same_str(a->ind_kind, b->ind_kind) ||
	    !same_str(a->ind_value, b->ind_value) || a->nlabels != b->nlabels ||
	    !same_str(a->source, b->source) || a->warninglisted != b->warninglisted ||
	    a->confidence != b->confidence || a->first_seen_ms != b->first_seen_ms ||
	    a->last_seen_ms != b->last_seen_ms || a->count != b->count ||
	    !same_str(a->sha256, b->sha256) || !same_str(a->sha1, b->sha1) ||
	    !same_str(a->md5, b->md5) || !same_str(a->process, b->process))
		__builtin_trap();
	for (i = 0; i < a->nlabels; i++)
		if (!same_str(a->labels[i], b->labels[i]))
			__builtin_trap();
}

static void check_software(const struct cs_software_rec *a, const struct cs_software_rec *b)
{
	if (!same_str(a->host, b->host) || !same_str(a->source, b->source) ||
	    !same_str(a->entry, b->entry) || !same_str(a->ecosystem, b->ecosystem) ||
	    !same_str(a->name, b->name) || !same_str(a->version, b->version) ||
	    !same_str(a->purl, b->purl) || !same_str(a->platform, b->platform) ||
	    !same_str(a->vendor, b->vendor) || !same_str(a->reader, b->reader) ||
	    a->install_time != b->install_time || a->install_time_source != b->install_time_source)
		__builtin_trap();
}

static void check_status(const struct cs_fleet_status *a, const struct cs_fleet_status *b)
{
	if (!same_str(a->state, b->state) || !same_str(a->detail, b->detail) ||
	    !same_str(a->coverage_json, b->coverage_json) || a->started_ms != b->started_ms ||
	    a->finished_ms != b->finished_ms || a->intel_version != b->intel_version ||
	    a->findings != b->findings || a->dropped != b->dropped || a->exit_code != b->exit_code)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_fleet_msg m, m2;
	char err[256], *json = NULL;
	size_t len = 0;
	int rc;

	err[0] = '\0';
	rc = cs_fleet_wire_decode((const char *)data, size, &m, err, sizeof(err));
	if (rc != CS_OK) {
		if (rc != CS_ERR_PARSE && rc != CS_ERR_TOOBIG && rc != CS_ERR_UNSUPPORTED &&
		    rc != CS_ERR_NOMEM)
			__builtin_trap();
		if (rc != CS_ERR_NOMEM && !err[0])
			__builtin_trap();
		cs_fleet_msg_free(&m);
		return 0;
	}
	if (m.type == CS_FLEET_MSG_FINDING)
		rc = cs_fleet_wire_finding(m.hunt, m.host, m.run, m.seq, &m.finding, &json, &len);
	else if (m.type == CS_FLEET_MSG_SOFTWARE)
		rc = cs_fleet_wire_software(m.hunt, m.host, m.run, m.seq, &m.software, &json, &len);
	else
		rc = cs_fleet_wire_status(m.hunt, m.host, m.run, m.seq, &m.status, &json, &len);
	if (rc == CS_ERR_NOMEM) {
		cs_fleet_msg_free(&m);
		return 0;
	}
	if (rc != CS_OK)
		__builtin_trap();
	if (cs_fleet_wire_decode(json, len, &m2, NULL, 0) != CS_OK)
		__builtin_trap();
	if (m.type != m2.type || strcmp(m.hunt, m2.hunt) || strcmp(m.host, m2.host) ||
	    m.run != m2.run || m.seq != m2.seq)
		__builtin_trap();
	if (m.type == CS_FLEET_MSG_FINDING)
		check_finding(&m.finding, &m2.finding);
	else if (m.type == CS_FLEET_MSG_SOFTWARE)
		check_software(&m.software, &m2.software);
	else
		check_status(&m.status, &m2.status);
	free(json);
	cs_fleet_msg_free(&m);
	cs_fleet_msg_free(&m2);
	return 0;
}

/* Unit tests of the fleet's result messages (lib/fleet/wire.c): each
 * record survives encode and decode member for member, and the decoder
 * refuses what an agent must not send. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chainsweep/fleet_wire.h"
#include "testutil.h"

static const char *const labels[] = {"campaign:3CX-2023", "actor:UNC4736"};

static struct cs_finding_rec sample_finding(void)
{
	struct cs_finding_rec f;

	memset(&f, 0, sizeof(f));
	f.kind = CS_FIND_PROCESS;
	f.host = "ignored";
	f.evidence = "yara";
	f.location = "/opt/3cx/app \xc3\xa9.exe";
	f.observed = "rule_3cx";
	f.ind_kind = "yara-rule";
	f.ind_value = "rule_3cx";
	f.labels = labels;
	f.nlabels = 2;
	f.source = "3cx.yar:4";
	f.warninglisted = 1;
	f.confidence = 80;
	f.first_seen_ms = 1679558400123;
	f.last_seen_ms = 1680111000000;
	f.count = 3;
	f.sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	f.md5 = "d41d8cd98f00b204e9800998ecf8427e";
	f.process = "{\"pid\":42,\"parents\":[{\"pid\":1,\"comm\":\"init\"}]}";
	return f;
}

static void test_finding_roundtrip(void **state)
{
	struct cs_finding_rec f = sample_finding();
	struct cs_fleet_msg m;
	char *json = NULL, err[256];
	size_t len = 0;

	(void)state;
	assert_int_equal(cs_fleet_wire_finding("h-20261205-1", "ws-17", 2, 7, &f, &json, &len),
	                 CS_OK);
	assert_int_equal(strlen(json), len);
	assert_int_equal(cs_fleet_wire_decode(json, len, &m, err, sizeof(err)), CS_OK);
	assert_int_equal(m.type, CS_FLEET_MSG_FINDING);
	assert_string_equal(m.hunt, "h-20261205-1");
	assert_string_equal(m.host, "ws-17");
	assert_int_equal(m.run, 2);
	assert_int_equal(m.seq, 7);
	assert_int_equal(m.finding.kind, CS_FIND_PROCESS);
	assert_string_equal(m.finding.host, "ws-17");
	assert_string_equal(m.finding.evidence, "yara");
	assert_string_equal(m.finding.location, f.location);
	assert_string_equal(m.finding.observed, "rule_3cx");
	assert_string_equal(m.finding.ind_kind, "yara-rule");
	assert_string_equal(m.finding.ind_value, "rule_3cx");
	assert_int_equal(m.finding.nlabels, 2);
	assert_string_equal(m.finding.labels[0], "campaign:3CX-2023");
	assert_string_equal(m.finding.labels[1], "actor:UNC4736");
	assert_string_equal(m.finding.source, "3cx.yar:4");
	assert_int_equal(m.finding.warninglisted, 1);
	assert_int_equal(m.finding.confidence, 80);
	assert_int_equal(m.finding.first_seen_ms, 1679558400123);
	assert_int_equal(m.finding.last_seen_ms, 1680111000000);
	assert_int_equal(m.finding.count, 3);
	assert_string_equal(m.finding.sha256, f.sha256);
	assert_null(m.finding.sha1);
	assert_string_equal(m.finding.md5, f.md5);
	assert_string_equal(m.finding.process, f.process);
	/* The process travels as a nested object, not as a string. */
	assert_non_null(strstr(json, "\"process\":{\"pid\":42"));
	cs_fleet_msg_free(&m);
	free(json);
	/* Unknown confidence stays unknown. */
	f.confidence = -1;
	f.process = NULL;
	assert_int_equal(cs_fleet_wire_finding("h1", "ws-1", 1, 0, &f, &json, &len), CS_OK);
	assert_int_equal(cs_fleet_wire_decode(json, len, &m, err, sizeof(err)), CS_OK);
	assert_int_equal(m.finding.confidence, -1);
	assert_null(m.finding.process);
	cs_fleet_msg_free(&m);
	free(json);
}

static void test_software_status_roundtrip(void **state)
{
	struct cs_software_rec r;
	struct cs_fleet_status s;
	struct cs_fleet_msg m;
	char *json = NULL, err[256];
	size_t len = 0;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.source = "/var/lib/dpkg/status";
	r.ecosystem = "deb";
	r.name = "3cxdesktopapp";
	r.version = "18.12.416";
	r.purl = "pkg:deb/debian/3cxdesktopapp@18.12.416";
	r.install_time = 1679000000;
	r.install_time_source = CS_TIME_RECORDED;
	r.first_sweep = 9; /* store-local: not sent */
	assert_int_equal(cs_fleet_wire_software("h1", "ws-1", 1, 3, &r, &json, &len), CS_OK);
	assert_null(strstr(json, "sweep"));
	assert_int_equal(cs_fleet_wire_decode(json, len, &m, err, sizeof(err)), CS_OK);
	assert_int_equal(m.type, CS_FLEET_MSG_SOFTWARE);
	assert_string_equal(m.software.host, "ws-1");
	assert_string_equal(m.software.name, "3cxdesktopapp");
	assert_string_equal(m.software.version, "18.12.416");
	assert_string_equal(m.software.purl, r.purl);
	assert_null(m.software.entry);
	assert_int_equal(m.software.install_time, 1679000000);
	assert_int_equal(m.software.install_time_source, CS_TIME_RECORDED);
	assert_int_equal(m.software.first_sweep, 0);
	cs_fleet_msg_free(&m);
	free(json);

	memset(&s, 0, sizeof(s));
	s.state = "incomplete";
	s.detail = "time limit";
	s.coverage_json = "{\"files\":1200,\"gaps\":{\"denied\":3}}";
	s.started_ms = 1796000000000;
	s.finished_ms = 1796000600000;
	s.intel_version = 3;
	s.findings = 2;
	s.dropped = 5;
	s.exit_code = 3;
	assert_int_equal(cs_fleet_wire_status("h1", "ws-1", 1, 9, &s, &json, &len), CS_OK);
	assert_int_equal(cs_fleet_wire_decode(json, len, &m, err, sizeof(err)), CS_OK);
	assert_int_equal(m.type, CS_FLEET_MSG_STATUS);
	assert_string_equal(m.status.state, "incomplete");
	assert_string_equal(m.status.detail, "time limit");
	assert_string_equal(m.status.coverage_json, s.coverage_json);
	assert_int_equal(m.status.started_ms, s.started_ms);
	assert_int_equal(m.status.finished_ms, s.finished_ms);
	assert_int_equal(m.status.intel_version, 3);
	assert_int_equal(m.status.findings, 2);
	assert_int_equal(m.status.dropped, 5);
	assert_int_equal(m.status.exit_code, 3);
	cs_fleet_msg_free(&m);
	free(json);
}

static void test_encoder_refuses(void **state)
{
	struct cs_finding_rec f = sample_finding();
	struct cs_fleet_status s;
	char *json = NULL, big[CS_FLEET_WIRE_MAX_STRING + 2];
	size_t len = 0;

	(void)state;
	assert_int_equal(cs_fleet_wire_finding("h 1", "ws-1", 1, 0, &f, &json, &len),
	                 CS_ERR_INVALID);
	assert_int_equal(cs_fleet_wire_finding("h1", "ws.1", 1, 0, &f, &json, &len),
	                 CS_ERR_INVALID);
	assert_int_equal(cs_fleet_wire_finding("h1", "ws-1", 0, 0, &f, &json, &len),
	                 CS_ERR_INVALID);
	f.location = "bad \xff utf-8";
	assert_int_equal(cs_fleet_wire_finding("h1", "ws-1", 1, 0, &f, &json, &len),
	                 CS_ERR_INVALID);
	f = sample_finding();
	f.process = "[1,2]";
	assert_int_equal(cs_fleet_wire_finding("h1", "ws-1", 1, 0, &f, &json, &len),
	                 CS_ERR_INVALID);
	f = sample_finding();
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	f.location = big;
	assert_int_equal(cs_fleet_wire_finding("h1", "ws-1", 1, 0, &f, &json, &len), CS_ERR_TOOBIG);
	memset(&s, 0, sizeof(s));
	s.state = "finished";
	assert_int_equal(cs_fleet_wire_status("h1", "ws-1", 1, 0, &s, &json, &len), CS_ERR_INVALID);
	assert_null(json);
}

/* Each of these is refused, with `want` and a message naming `needle`. */
static void refused(const char *json, int want, const char *needle)
{
	struct cs_fleet_msg m;
	char err[256] = "";
	int rc = cs_fleet_wire_decode(json, strlen(json), &m, err, sizeof(err));

	if (rc != want || !strstr(err, needle))
		fail_msg("%s: got %d '%s', want %d '%s'", json, rc, err, want, needle);
	assert_int_equal(m.type, 0);
	assert_null(m.priv_);
	cs_fleet_msg_free(&m);
}

#define ENV "\"v\":1,\"hunt\":\"h1\",\"host\":\"ws-1\",\"run\":1,\"seq\":0,"

static void test_decoder_refuses(void **state)
{
	char *big, *p;
	size_t i;

	(void)state;
	refused("nope", CS_ERR_PARSE, "not JSON");
	refused("[1]", CS_ERR_PARSE, "not a JSON object");
	refused("{\"v\":2,\"type\":\"status\",\"hunt\":\"h1\",\"host\":\"ws-1\",\"run\":1,"
	        "\"seq\":0,\"state\":\"done\"}",
	        CS_ERR_UNSUPPORTED, "'v'");
	refused("{" ENV "\"type\":\"status\",\"state\":\"done\",\"x\":1}", CS_ERR_PARSE,
	        "unknown member 'x'");
	refused("{" ENV "\"type\":\"status\",\"state\":\"done\",\"state\":\"done\"}", CS_ERR_PARSE,
	        "duplicate");
	refused("{" ENV "\"type\":\"status\",\"state\":\"finished\"}", CS_ERR_PARSE, "'state'");
	refused("{" ENV "\"type\":\"status\"}", CS_ERR_PARSE, "'state' missing");
	refused("{" ENV "\"type\":\"mail\"}", CS_ERR_PARSE, "'type'");
	refused("{\"v\":1,\"hunt\":\"h/1\",\"host\":\"ws-1\",\"run\":1,\"seq\":0,"
	        "\"type\":\"status\",\"state\":\"done\"}",
	        CS_ERR_PARSE, "'hunt'");
	refused("{\"v\":1,\"hunt\":\"h1\",\"host\":\"ws.1\",\"run\":1,\"seq\":0,"
	        "\"type\":\"status\",\"state\":\"done\"}",
	        CS_ERR_PARSE, "'host'");
	refused("{\"v\":1,\"hunt\":\"h1\",\"host\":\"ws-1\",\"run\":0,\"seq\":0,"
	        "\"type\":\"status\",\"state\":\"done\"}",
	        CS_ERR_PARSE, "'run'");
	refused("{" ENV "\"type\":\"status\",\"state\":\"done\",\"findings\":-1}", CS_ERR_PARSE,
	        "'findings'");
	refused("{" ENV "\"type\":\"status\",\"state\":\"done\",\"findings\":1.5}", CS_ERR_PARSE,
	        "'findings'");
	/* A time PostgreSQL cannot hold would fail the collector's transaction
	 * on every redelivery: refused here. */
	refused("{" ENV "\"type\":\"status\",\"state\":\"done\",\"finished_ms\":"
	        "9000000000000000000}",
	        CS_ERR_PARSE, "'finished_ms'");
	refused("{" ENV "\"type\":\"status\",\"state\":\"done\",\"coverage\":[]}", CS_ERR_PARSE,
	        "'coverage'");
	refused("{" ENV "\"type\":\"status\",\"state\":\"done\",\"coverage\":"
	        "{\"a\":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}}",
	        CS_ERR_TOOBIG, "nested");
	refused("{" ENV "\"type\":\"finding\",\"kind\":\"disk\",\"labels\":[],"
	        "\"warninglisted\":false,\"count\":1}",
	        CS_ERR_PARSE, "'kind'");
	refused("{" ENV "\"type\":\"finding\",\"kind\":\"file\",\"labels\":[1],"
	        "\"warninglisted\":false,\"count\":1}",
	        CS_ERR_PARSE, "'labels'");
	refused("{" ENV "\"type\":\"finding\",\"kind\":\"file\",\"labels\":[],"
	        "\"warninglisted\":false,\"count\":1,\"confidence\":101}",
	        CS_ERR_PARSE, "'confidence'");
	refused("{" ENV "\"type\":\"software\",\"source\":\"s\",\"ecosystem\":\"deb\","
	        "\"name\":\"n\"}",
	        CS_ERR_PARSE, "'version' missing");
	/* Too many labels. */
	big = malloc(64 + (CS_FLEET_WIRE_MAX_LABELS + 1) * 4 + 200);
	assert_non_null(big);
	p = big + sprintf(big, "{" ENV "\"type\":\"finding\",\"kind\":\"file\",\"warninglisted\":"
	                       "false,\"count\":1,\"labels\":[");
	for (i = 0; i <= CS_FLEET_WIRE_MAX_LABELS; i++)
		p += sprintf(p, "%s\"l\"", i ? "," : "");
	strcpy(p, "]}");
	refused(big, CS_ERR_TOOBIG, "'labels'");
	free(big);
	/* Over the message cap, before parsing anything. */
	big = malloc(CS_FLEET_WIRE_MAX_BYTES + 16);
	assert_non_null(big);
	memset(big, ' ', CS_FLEET_WIRE_MAX_BYTES + 15);
	big[CS_FLEET_WIRE_MAX_BYTES + 15] = '\0';
	big[0] = '{';
	big[CS_FLEET_WIRE_MAX_BYTES + 14] = '}';
	refused(big, CS_ERR_TOOBIG, "bytes");
	free(big);
}

static void test_ids(void **state)
{
	char id[80];

	(void)state;
	assert_true(cs_fleet_hunt_id_ok("h-20261205-1"));
	assert_true(cs_fleet_hunt_id_ok("a.b:c_d"));
	assert_false(cs_fleet_hunt_id_ok(""));
	assert_false(cs_fleet_hunt_id_ok("a b"));
	assert_false(cs_fleet_hunt_id_ok("a*"));
	assert_true(cs_fleet_host_id_ok("ws_17-a"));
	assert_false(cs_fleet_host_id_ok("ws.17"));
	assert_false(cs_fleet_host_id_ok("ws:17"));
	memset(id, 'a', 64);
	id[64] = '\0';
	assert_true(cs_fleet_host_id_ok(id));
	id[64] = 'a';
	id[65] = '\0';
	assert_false(cs_fleet_host_id_ok(id));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_finding_roundtrip),
	        cmocka_unit_test(test_software_status_roundtrip),
	        cmocka_unit_test(test_encoder_refuses),
	        cmocka_unit_test(test_decoder_refuses),
	        cmocka_unit_test(test_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

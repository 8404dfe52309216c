/*
 * Structured events from log lines (on_event): Windows events exported as
 * evtx_dump JSON, Winlogbeat JSON and one-line XML keep event.h's names;
 * plain JSON is flattened by path; Zeek and CSV rows take their header's
 * names. Lines that are not events give none.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chainsweep/logs.h"
#include "scan/logscan_int.h"
#include "testutil.h"

struct evs {
	struct cs_test_diags d;
	pthread_mutex_t mu;
	char out[32768];
	size_t o;
	int stop_after; /* return non-zero from this event on (0: never) */
	int seen;
};

#define PUT(...)                                                                              \
	(c->o += (size_t)snprintf(c->out + c->o, sizeof(c->out) - c->o, __VA_ARGS__),          \
	 c->o = c->o < sizeof(c->out) ? c->o : sizeof(c->out) - 1)

static int on_event(void *ud, const struct cs_event *e)
{
	struct evs *c = ud;
	size_t i;
	int rc;

	pthread_mutex_lock(&c->mu);
	PUT("%llu %s", (unsigned long long)e->line, e->format);
	if (e->product)
		PUT(" %s/%s", e->product, e->service ? e->service : "-");
	if (e->channel)
		PUT(" ch=%s", e->channel);
	if (e->provider)
		PUT(" prov=%s", e->provider);
	if (e->event_id)
		PUT(" id=%d", e->event_id);
	if (e->record_id)
		PUT(" rec=%llu", (unsigned long long)e->record_id);
	if (e->host)
		PUT(" host=%s", e->host);
	if (e->has_time)
		PUT(" @%lld", (long long)e->time_ms);
	PUT(":");
	for (i = 0; i < e->nfields; i++) {
		assert_int_equal(strlen(e->fields[i].value), e->fields[i].value_len);
		PUT(" %s=%s%s", e->fields[i].name, e->fields[i].value,
		    e->fields[i].is_null ? "(null)" : "");
	}
	PUT("\n");
	assert_ptr_equal(cs_event_get(e, e->nfields ? e->fields[0].name : "x"),
	                 e->nfields ? &e->fields[0] : NULL);
	rc = c->stop_after && ++c->seen >= c->stop_after;
	pthread_mutex_unlock(&c->mu);
	return rc;
}

static const char *events(struct evs *c, const char *name, const char *text, int stop_after)
{
	struct cs_intel *in = cs_intel_new();
	struct cs_matcher *m;
	struct cs_log_opts o;
	struct cs_log_result res;
	struct cs_import_stats st;
	static const char intel[] = "type,value\ndomain,evil-updates.test\n";

	assert_int_equal(cs_intel_set_format(in, "csv"), CS_OK);
	assert_int_equal(cs_intel_import_mem(in, "i.csv", intel, sizeof(intel) - 1, &st), CS_OK);
	cs_intel_finalize(in);
	assert_int_equal(cs_matcher_new(in, NULL, NULL, &m), CS_OK);
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->mu, NULL);
	c->stop_after = stop_after;
	cs_log_opts_init(&o);
	o.threads = 1;
	o.on_event = on_event;
	o.on_diag = cs_test_diag_cb;
	o.userdata = c;
	memset(&res, 0, sizeof(res));
	assert_int_equal(cs_log_scan_mem(m, name, text, strlen(text), &o, &res),
	                 stop_after ? 1 : CS_OK);
	cs_matcher_free(m);
	cs_intel_free(in);
	pthread_mutex_destroy(&c->mu);
	return c->out;
}

static void test_evtx_dump_json(void **state)
{
	struct evs c;
	static const char log[] =
	        "{\"Event\":{\"#attributes\":{\"xmlns\":\"x\"},\"System\":{\"Provider\":"
	        "{\"#attributes\":{\"Name\":\"Microsoft-Windows-Sysmon\",\"Guid\":\"5770\"}},"
	        "\"EventID\":1,\"Level\":4,\"TimeCreated\":{\"#attributes\":{\"SystemTime\":"
	        "\"2023-03-29T10:00:00.000Z\"}},\"EventRecordID\":42,\"Correlation\":null,"
	        "\"Channel\":\"Microsoft-Windows-Sysmon/Operational\",\"Computer\":\"ws1\"},"
	        "\"EventData\":{\"Image\":\"C:\\\\x\\\\3CXDesktopApp.exe\",\"ProcessId\":123,"
	        "\"Ok\":true}}}\n"
	        "{\"Event\":{\"System\":{\"EventID\":4624,\"Channel\":\"Security\"},\"UserData\":"
	        "{\"LogFileCleared\":{\"SubjectUserName\":\"bob\"}}}}\n";

	(void)state;
	assert_string_equal(
	        events(&c, "sysmon.json", log, 0),
	        "1 json windows/sysmon ch=Microsoft-Windows-Sysmon/Operational "
	        "prov=Microsoft-Windows-Sysmon id=1 rec=42 host=ws1 @1680084000000: "
	        "Provider_Name=Microsoft-Windows-Sysmon Provider_Guid=5770 EventID=1 Level=4 "
	        "TimeCreated_SystemTime=2023-03-29T10:00:00.000Z EventRecordID=42 "
	        "Correlation=(null) Channel=Microsoft-Windows-Sysmon/Operational Computer=ws1 "
	        "Image=C:\\x\\3CXDesktopApp.exe ProcessId=123 Ok=true\n"
	        "2 json windows/security ch=Security id=4624: EventID=4624 Channel=Security "
	        "SubjectUserName=bob\n");
}

static void test_winlogbeat_and_plain_json(void **state)
{
	struct evs c;
	static const char log[] =
	        "{\"@timestamp\":\"2023-03-29T10:00:00Z\",\"winlog\":{\"event_id\":\"4688\","
	        "\"channel\":\"Security\",\"computer_name\":\"dc1\",\"event_data\":"
	        "{\"NewProcessName\":\"C:\\\\a.exe\"}}}\n"
	        "{\"ts\":1680084000.5,\"query\":\"cdn.evil-updates.test\",\"id\":{\"orig_h\":"
	        "\"10.0.0.1\"},\"answers\":[\"1.2.3.4\",\"5.6.7.8\"],\"rejected\":false}\n"
	        "not json at all\n"
	        "[1,2]\n";

	(void)state;
	assert_string_equal(
	        events(&c, "beat.json", log, 0),
	        "1 json windows/security ch=Security id=4688 host=dc1 @1680084000000: "
	        "EventID=4688 Channel=Security Computer=dc1 NewProcessName=C:\\a.exe "
	        "@timestamp=2023-03-29T10:00:00Z winlog.event_id=4688 winlog.channel=Security "
	        "winlog.computer_name=dc1 winlog.event_data.NewProcessName=C:\\a.exe\n"
	        "2 json host=10.0.0.1 @1680084000500: ts=1680084000.5 "
	        "query=cdn.evil-updates.test id.orig_h=10.0.0.1 answers=1.2.3.4 answers=5.6.7.8 "
	        "rejected=false\n");
}

static void test_xml_line(void **state)
{
	struct evs c;
	static const char log[] =
	        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
	        "<Provider Name='Microsoft-Windows-Security-Auditing' Guid='{5478}'/>"
	        "<EventID>4688</EventID><TimeCreated SystemTime='2023-03-29T10:00:00.000Z'/>"
	        "<EventRecordID>7</EventRecordID><Channel>Security</Channel>"
	        "<Computer>dc1</Computer><Security/></System><EventData>"
	        "<Data Name='NewProcessName'>C:\\a&amp;b&#x41;.exe</Data>"
	        "<Data Name='Empty'></Data><Data>first</Data><Data>second</Data>"
	        "</EventData></Event>\n"
	        "<Event><System><EventID>1</EventID></System></Event>\n";

	(void)state;
	assert_string_equal(
	        events(&c, "sec.xml", log, 0),
	        "1 xml windows/security ch=Security prov=Microsoft-Windows-Security-Auditing "
	        "id=4688 rec=7 host=dc1 @1680084000000: "
	        "Provider_Name=Microsoft-Windows-Security-Auditing Provider_Guid={5478} "
	        "EventID=4688 TimeCreated_SystemTime=2023-03-29T10:00:00.000Z EventRecordID=7 "
	        "Channel=Security Computer=dc1 NewProcessName=C:\\a&bA.exe Empty= Data=first "
	        "Data_2=second\n"
	        "2 xml windows/- id=1: EventID=1\n");
}

static void test_columns(void **state)
{
	struct evs c;
	static const char zeek[] =
	        "#separator \\x09\n#set_separator\t,\n#path\tdns\n"
	        "#fields\tts\tuid\tid.orig_h\tquery\tqtype_name\n"
	        "#types\ttime\tstring\taddr\tstring\tstring\n"
	        "1680084000.000000\tC1\t10.0.0.1\tcdn.evil-updates.test\t-\n"
	        "#close\t2023-03-29-11-00-00\n";
	static const char csv[] = "timestamp,host,Image\n"
	                          "2023-03-29T10:00:00Z,ws1,\"C:\\x.exe\"\n";

	(void)state;
	assert_string_equal(events(&c, "dns.log", zeek, 0),
	                    "6 zeek zeek/dns host=10.0.0.1 @1680084000000: ts=1680084000.000000 "
	                    "uid=C1 id.orig_h=10.0.0.1 query=cdn.evil-updates.test "
	                    "qtype_name=(null)\n");
	assert_string_equal(events(&c, "x.csv", csv, 0),
	                    "2 csv host=ws1 @1680084000000: timestamp=2023-03-29T10:00:00Z "
	                    "host=ws1 Image=C:\\x.exe\n");
}

/* A non-zero return from on_event stops the scan with that value. */
static void test_stop(void **state)
{
	struct evs c;
	static const char log[] = "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n";

	(void)state;
	events(&c, "s.json", log, 1);
	assert_int_equal(c.seen, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_evtx_dump_json),
	        cmocka_unit_test(test_winlogbeat_and_plain_json),
	        cmocka_unit_test(test_xml_line),
	        cmocka_unit_test(test_columns),
	        cmocka_unit_test(test_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

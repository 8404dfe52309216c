/*
 * libFuzzer target for Sigma: the reader through the public import API,
 * the compiler, and evaluation on two fixed events (a Sysmon process
 * creation and a Zeek DNS query).
 *
 * Invariants: the import ends with CS_OK, CS_ERR_EMPTY or CS_ERR_NOMEM and
 * counts as many rules as the compiler sees; every diagnostic has a
 * message and a position inside the input; compiling a set never fails
 * but for memory; a usable rule has no reason and a kept one has one;
 * evaluation returns the number of hits, each naming a rule of the set and
 * fields of the event.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "chainsweep/sigma.h"
#include "intel/intel_int.h"
#include "fuzz_diag.h"

#define F(n, v)                                                                                    \
	{                                                                                          \
		n, v, sizeof(v) - 1, 0                                                             \
	}

static const struct cs_event_field proc_fields[] = {
        F("EventID", "1"),
        F("Channel", "Microsoft-Windows-Sysmon/Operational"),
        F("Image", "C:\\Users\\u\\AppData\\Local\\Programs\\3CXDesktopApp\\app\\3CXDesktopApp.exe"),
        F("CommandLine", "powershell.exe -enc SQBFAFgA /c whoami"),
        F("ParentImage", "C:\\Windows\\explorer.exe"),
        F("Hashes", "SHA256=DDE03348075512796241389DFEA5560C20A3D2A2EAC95C894E7BBED5E85A0ACC"),
        F("DestinationIp", "10.1.2.3"),
        F("Count", "42"),
        {"Empty", "", 0, 1}, /* null */
        F("Data", "a"),
        F("Data_2", "b"),
        F("Threat Name", "EICAR"),
};

static const struct cs_event_field dns_fields[] = {
        F("query", "www.azureonlinestorage.com"),
        F("qtype_name", "A"),
        F("id.orig_h", "192.0.2.1"),
};

static int on_hit(void *ud, const struct cs_event *ev, const struct cs_sigma_hit *h)
{
	const struct cs_sigma *sg = ud;
	size_t i;

	if (h->rule >= cs_sigma_rule_count(sg))
		__builtin_trap();
	for (i = 0; i < h->nmatches; i++) {
		size_t k;
		int found = 0;

		for (k = 0; k < ev->nfields; k++)
			found |= ev->fields[k].name == h->matches[i].field &&
			         ev->fields[k].value == h->matches[i].value;
		if (!found || !h->matches[i].rule_field)
			__builtin_trap();
	}
	return 0;
}

static void eval_one(const struct cs_sigma *sg, struct cs_sigma_scratch *s,
                     const struct cs_event *ev)
{
	int n = cs_sigma_eval(sg, s, ev, on_hit, (void *)sg);

	if (n < 0 && n != CS_ERR_NOMEM)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_import_stats st;
	struct cs_sigma_stats ss;
	struct cs_sigma_scratch *s;
	struct cs_sigma *sg = NULL;
	struct cs_intel *in;
	struct cs_event ev;
	size_t i;
	int rc;

	fuzz_diag_begin(data, size);
	in = cs_intel_new();
	if (!in)
		return 0;
	cs_intel_set_diag(in, fuzz_on_diag, NULL);
	if (cs_intel_set_format(in, cs__reader_sigma.name) != CS_OK)
		__builtin_trap();
	rc = cs_intel_import_mem(in, "fuzz.yml", data, size, &st);
	if (rc != CS_OK && rc != CS_ERR_EMPTY && rc != CS_ERR_NOMEM)
		__builtin_trap();
	rc = cs_sigma_compile(in, NULL, NULL, &sg);
	if (rc == CS_ERR_NOMEM)
		goto out;
	if (rc != CS_OK)
		__builtin_trap();
	cs_sigma_stats(sg, &ss);
	if (ss.rules != st.sigma_rules || ss.usable + ss.not_usable != ss.rules)
		__builtin_trap();
	for (i = 0; i < cs_sigma_rule_count(sg); i++) {
		struct cs_sigma_rule_info ri;

		if (cs_sigma_rule(sg, i, &ri) != CS_OK || !ri.usable != !!ri.reason)
			__builtin_trap();
	}
	s = cs_sigma_scratch_new(sg);
	if (!s)
		goto out;
	memset(&ev, 0, sizeof(ev));
	ev.product = "windows";
	ev.channel = "Microsoft-Windows-Sysmon/Operational";
	ev.event_id = 1;
	ev.fields = proc_fields;
	ev.nfields = sizeof(proc_fields) / sizeof(proc_fields[0]);
	eval_one(sg, s, &ev);
	memset(&ev, 0, sizeof(ev));
	ev.product = "zeek";
	ev.service = "dns";
	ev.fields = dns_fields;
	ev.nfields = sizeof(dns_fields) / sizeof(dns_fields[0]);
	eval_one(sg, s, &ev);
	cs_sigma_scratch_free(s);
out:
	cs_sigma_free(sg);
	cs_intel_free(in);
	return 0;
}

/*
 * libFuzzer target for the log retro-hunt: the first byte forces a reader
 * (byte % 9: one of the eight, or sniffing), the second the line cap; the
 * rest is the log, possibly compressed.
 *
 * Invariants: cs_log_scan_mem returns CS_OK; every hit has an indicator,
 * a line number, a sane offset and matched text; every diagnostic has a
 * message; every structured event (built when the second byte is odd)
 * has named fields whose values are as long as they say.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "chainsweep/logs.h"

static struct cs_intel *in;
static struct cs_matcher *m;

static const char intel[] = "type,value\n"
                            "domain,evil-updates.test\n"
                            "ipv4,198.51.100.7\n"
                            "cidr,203.0.113.0/24\n"
                            "ipv6,2001:db8::bad\n"
                            "cidr,2001:db8:ff::/48\n"
                            "url,https://github.com/IconStorages/images\n"
                            "md5,0123456789abcdef0123456789abcdef\n"
                            "email,ops@evil-updates.test\n";

static void setup(void)
{
	struct cs_import_stats st;

	in = cs_intel_new();
	cs_intel_set_format(in, "csv");
	cs_intel_import_mem(in, "intel.csv", intel, sizeof(intel) - 1, &st);
	cs_intel_finalize(in);
	if (cs_matcher_new(in, NULL, NULL, &m) != CS_OK)
		__builtin_trap();
}

static int on_hit(void *ud, const struct cs_log_hit *h)
{
	(void)ud;
	if (!h->indicator || !h->matched || !h->line || h->offset >= ((uint64_t)1 << 40))
		__builtin_trap();
	return 0;
}

static int on_event(void *ud, const struct cs_event *e)
{
	size_t i;

	(void)ud;
	if (!e->file || !e->format || !e->line)
		__builtin_trap();
	for (i = 0; i < e->nfields; i++)
		if (!e->fields[i].name || !e->fields[i].value ||
		    e->fields[i].value[e->fields[i].value_len] != '\0')
			__builtin_trap();
	return 0;
}

static void on_diag(void *ud, const struct cs_diag *d)
{
	(void)ud;
	if (!d->message || !d->message[0])
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fmts[] = {NULL,  "text", "syslog", "json", "zeek",
	                                   "csv", "web",  "xml",    "squid"};
	struct cs_log_opts o;
	struct cs_log_result r;

	if (!m)
		setup();
	if (size < 2)
		return 0;
	cs_log_opts_init(&o);
	o.format = fmts[data[0] % (sizeof(fmts) / sizeof(fmts[0]))];
	o.max_line = 4096 + (size_t)data[1] * 64;
	o.threads = 1 + (data[1] & 1);
	o.on_hit = on_hit;
	o.on_diag = on_diag;
	if (data[1] & 1)
		o.on_event = on_event;
	if (cs_log_scan_mem(m, "fuzz.log", data + 2, size - 2, &o, &r) != CS_OK)
		__builtin_trap();
	return 0;
}

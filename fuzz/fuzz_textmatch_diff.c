/*
 * libFuzzer target: the fast text matcher against the reference
 * (cs__match_text_ref). The first byte chooses the test: 0-3 a window of
 * the text with those cut bits (from and to taken from the next bytes),
 * 4-12 the log hunt with a reader forced (or sniffed) on both paths.
 * Any difference in the hits, their order, offsets, counts or
 * diagnostics aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "chainsweep/logs.h"
#include "match/match_int.h"
#include "scan/logscan_int.h"
#include "../tests/unit/textmatch_intel.h"

static struct cs_intel *in;
static struct cs_matcher *m;

static void setup(void)
{
	struct cs_import_stats st;

	in = cs_intel_new();
	cs_intel_set_format(in, "csv");
	cs_intel_import_mem(in, "intel.csv", tm_intel_csv, sizeof(tm_intel_csv) - 1, &st);
	cs_intel_finalize(in);
	if (cs_matcher_new(in, NULL, NULL, &m) != CS_OK)
		__builtin_trap();
	cs__match_text_prepare(m);
	if (!m->tf)
		__builtin_trap();
}

struct col {
	char out[8192];
	size_t o;
	int over;
};

static void put(struct col *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct col *c, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (c->o >= sizeof(c->out) - 1) {
		c->over = 1;
		return;
	}
	va_start(ap, fmt);
	k = vsnprintf(c->out + c->o, sizeof(c->out) - c->o, fmt, ap);
	va_end(ap);
	c->o = k < 0 ? c->o : c->o + (size_t)k > sizeof(c->out) - 1 ? sizeof(c->out) - 1
	                                                             : c->o + (size_t)k;
}

static int on_text(void *ud, enum cs_kind observed, size_t off, size_t len,
                   const struct cs_indicator *ind)
{
	put(ud, "%d %zu %zu %p\n", (int)observed, off, len, (const void *)ind);
	return 0;
}

static int on_hit(void *ud, const struct cs_log_hit *x)
{
	put(ud, "%llu %llu %d %s %p %d %lld %s %d\n", (unsigned long long)x->line,
	    (unsigned long long)x->offset, (int)x->observed, x->matched,
	    (const void *)x->indicator, x->has_time, (long long)x->time_ms,
	    x->host ? x->host : "-", x->event_id);
	return 0;
}

static void on_diag(void *ud, const struct cs_diag *d)
{
	put(ud, "%llu %s %s\n", (unsigned long long)d->line, d->reason, d->message);
}

static void same(const struct col *a, const struct col *b)
{
	if (a->o != b->o || memcmp(a->out, b->out, a->o) != 0) {
		fprintf(stderr, "fast:\n%.*s\nreference:\n%.*s\n", (int)a->o, a->out, (int)b->o,
		        b->out);
		__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fmts[] = {NULL,  "text", "syslog", "json", "zeek",
	                                   "csv", "web",  "xml",    "squid"};
	static struct col a, b;
	unsigned mode;

	if (!m)
		setup();
	if (size < 3)
		return 0;
	mode = data[0] % 13;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if (mode < 4) {
		const char *s = (const char *)data + 3;
		size_t n = size - 3, from = n ? data[1] % (n + 1) : 0, to;

		to = from + (n - from ? data[2] % (n - from + 1) : 0);
		if (data[1] == 0xff) {
			from = 0;
			to = n;
		}
		cs__match_text_window(m, s, n, from, to, mode, on_text, &a);
		cs__match_text_window_ref(m, s, n, from, to, mode, on_text, &b);
		same(&a, &b);
		if (mode == 0) {
			memset(&a, 0, sizeof(a));
			memset(&b, 0, sizeof(b));
			cs__match_text(m, s, n, on_text, &a);
			cs__match_text_ref(m, s, n, on_text, &b);
			same(&a, &b);
		}
	} else {
		struct cs__log_test t;
		struct cs_log_opts o;
		struct cs_log_result r1, r2;

		memset(&t, 0, sizeof(t));
		cs_log_opts_init(&o);
		o.format = fmts[mode - 4];
		o.max_line = 4096 + (size_t)data[1] * 64;
		o.threads = 1 + (data[2] % 8 == 0);
		o.on_hit = on_hit;
		o.on_diag = on_diag;
		o.userdata = &a;
		if (cs__log_scan_mem_test(m, "f.log", data + 3, size - 3, &o, &t, &r1) != CS_OK)
			__builtin_trap();
		t.reference = 1;
		o.userdata = &b;
		if (cs__log_scan_mem_test(m, "f.log", data + 3, size - 3, &o, &t, &r2) != CS_OK)
			__builtin_trap();
		same(&a, &b);
		if (r1.lines != r2.lines || r1.hits != r2.hits || r1.bad_lines != r2.bad_lines ||
		    r1.long_lines != r2.long_lines || r1.bytes != r2.bytes)
			__builtin_trap();
	}
	return 0;
}

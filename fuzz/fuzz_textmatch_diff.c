/*
 * libFuzzer target: the fast text matcher against the reference
 * (cs__match_text_ref). The first byte chooses the test: 0-3 a window of
 * the text with those cut bits (from and to taken from the next bytes),
 * 4-12 the log hunt with a reader forced (or sniffed) on both paths.
 * Any difference in the hits, their order, offsets, counts or
 * diagnostics aborts. Each of the three intel sets of the unit test is
 * compiled twice, with the pre-filter on its AVX2 path (where the CPU has
 * one) and on its scalar path: the texts go through all six matchers, a
 * log through one chosen by the third byte, and the two paths of each
 * filter must give the same offset from every line's start.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chainsweep/logs.h"
#include "match/match_int.h"
#include "scan/logscan_int.h"
#include "../tests/unit/textmatch_intel.h"

#define NSETS 3
#define NM    (2 * NSETS)
static struct cs_intel *in[NSETS];
static struct cs_matcher *ms[NM];

static struct cs_matcher *matcher_on(struct cs_intel *i, int scalar)
{
	struct cs_matcher *m;

	if (scalar)
		setenv("CS_NO_AVX2", "1", 1);
	else
		unsetenv("CS_NO_AVX2");
	if (cs_matcher_new(i, NULL, NULL, &m) != CS_OK)
		__builtin_trap();
	cs__match_text_prepare(m);
	unsetenv("CS_NO_AVX2");
	if (!m->tf)
		__builtin_trap();
	return m;
}

static void setup(void)
{
	static const char *const csv[NSETS] = {tm_intel_csv, tm_intel_plain_csv,
	                                       tm_intel_names_csv};
	struct cs_import_stats st;
	size_t i;

	for (i = 0; i < NSETS; i++) {
		in[i] = cs_intel_new();
		cs_intel_set_format(in[i], "csv");
		cs_intel_import_mem(in[i], "intel.csv", csv[i], strlen(csv[i]), &st);
		cs_intel_finalize(in[i]);
		ms[2 * i] = matcher_on(in[i], 0);
		ms[2 * i + 1] = matcher_on(in[i], 1);
	}
}

/* The two paths of each filter, from the text's start and each line's. */
static void filters_agree(const char *s, size_t n)
{
	size_t i, from, lines;

	for (i = 0; i < NM; i += 2)
		for (from = 0, lines = 0; from <= n && lines < 256; lines++) {
			const char *nl;

			if (cs__tfilter_next(ms[i]->tf, s, from, n) !=
			    cs__tfilter_next(ms[i + 1]->tf, s, from, n))
				__builtin_trap();
			nl = memchr(s + from, '\n', n - from);
			if (!nl)
				break;
			from = (size_t)(nl - s) + 1;
		}
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
	size_t mi;

	if (!ms[0])
		setup();
	if (size < 3)
		return 0;
	mode = data[0] % 13;
	filters_agree((const char *)data + 3, size - 3);
	if (mode < 4) {
		const char *s = (const char *)data + 3;
		size_t n = size - 3, from = n ? data[1] % (n + 1) : 0, to;

		to = from + (n - from ? data[2] % (n - from + 1) : 0);
		if (data[1] == 0xff) {
			from = 0;
			to = n;
		}
		for (mi = 0; mi < NM; mi++) {
			memset(&a, 0, sizeof(a));
			memset(&b, 0, sizeof(b));
			cs__match_text_window(ms[mi], s, n, from, to, mode, on_text, &a);
			cs__match_text_window_ref(ms[mi], s, n, from, to, mode, on_text, &b);
			same(&a, &b);
			if (mode == 0) {
				memset(&a, 0, sizeof(a));
				memset(&b, 0, sizeof(b));
				cs__match_text(ms[mi], s, n, on_text, &a);
				cs__match_text_ref(ms[mi], s, n, on_text, &b);
				same(&a, &b);
			}
		}
	} else {
		struct cs__log_test t;
		struct cs_log_opts o;
		struct cs_log_result r1, r2;

		mi = (size_t)(data[2] >> 3) % NM;
		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		memset(&t, 0, sizeof(t));
		cs_log_opts_init(&o);
		o.format = fmts[mode - 4];
		o.max_line = 4096 + (size_t)data[1] * 64;
		o.threads = 1 + (data[2] % 8 == 0);
		o.on_hit = on_hit;
		o.on_diag = on_diag;
		o.userdata = &a;
		if (cs__log_scan_mem_test(ms[mi], "f.log", data + 3, size - 3, &o, &t, &r1) != CS_OK)
			__builtin_trap();
		t.reference = 1;
		o.userdata = &b;
		if (cs__log_scan_mem_test(ms[mi], "f.log", data + 3, size - 3, &o, &t, &r2) != CS_OK)
			__builtin_trap();
		same(&a, &b);
		if (r1.lines != r2.lines || r1.hits != r2.hits || r1.bad_lines != r2.bad_lines ||
		    r1.long_lines != r2.long_lines || r1.bytes != r2.bytes)
			__builtin_trap();
	}
	return 0;
}

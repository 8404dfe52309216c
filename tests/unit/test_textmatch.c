/*
 * The fast text matcher against the reference (cs__match_text_ref): the
 * same hits, offset for offset, on crafted texts and on crafted logs of
 * every format, with planted hits and near misses (label boundaries,
 * addresses inside longer numbers, digests inside longer hex, case).
 * Each case also checks the hits it must find, so a matcher that finds
 * nothing on both sides does not pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <zlib.h>

#include "chainsweep/logs.h"
#include "match/match_int.h"
#include "scan/logscan_int.h"
#include "testutil.h"
#include "textmatch_intel.h"

/* The matchers under test: each intel set (textmatch_intel.h) with its
 * pre-filter on the AVX2 path (where the CPU has one) and on the scalar
 * path; g_m is the first. */
#define NSETS 3
#define NM    (2 * NSETS)
static struct cs_intel *g_in[NSETS];
static struct cs_matcher *g_ms[NM];
static struct cs_matcher *g_m;

static struct cs_matcher *matcher_on(struct cs_intel *in, int scalar)
{
	struct cs_matcher *m;

	if (scalar)
		setenv("CS_NO_AVX2", "1", 1);
	else
		unsetenv("CS_NO_AVX2");
	assert_int_equal(cs_matcher_new(in, NULL, NULL, &m), CS_OK);
	/* The filter is built by the first log hunt; build it here, or the
	 * text tests would compare the reference with itself. */
	cs__match_text_prepare(m);
	unsetenv("CS_NO_AVX2");
	assert_non_null(m->tf);
	return m;
}

static int setup(void **state)
{
	static const char *const csv[NSETS] = {tm_intel_csv, tm_intel_plain_csv,
	                                       tm_intel_names_csv};
	struct cs_import_stats st;
	size_t i;

	(void)state;
	for (i = 0; i < NSETS; i++) {
		g_in[i] = cs_intel_new();
		assert_non_null(g_in[i]);
		assert_int_equal(cs_intel_set_format(g_in[i], "csv"), CS_OK);
		assert_int_equal(cs_intel_import_mem(g_in[i], "intel.csv", csv[i], strlen(csv[i]),
		                                     &st),
		                 CS_OK);
		cs_intel_finalize(g_in[i]);
		g_ms[2 * i] = matcher_on(g_in[i], 0);
		g_ms[2 * i + 1] = matcher_on(g_in[i], 1);
	}
	g_m = g_ms[0];
	return 0;
}

static int teardown(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NM; i++)
		cs_matcher_free(g_ms[i]);
	for (i = 0; i < NSETS; i++)
		cs_intel_free(g_in[i]);
	return 0;
}

struct col {
	char out[16384];
	size_t o;
	size_t n;
};

static int on_text(void *ud, enum cs_kind observed, size_t off, size_t len,
                   const struct cs_indicator *ind)
{
	struct col *c = ud;

	c->n++;
	if (c->o < sizeof(c->out) - 512)
		c->o += (size_t)snprintf(c->out + c->o, sizeof(c->out) - c->o, "%s %zu+%zu %s\n",
		                         cs_kind_name(observed), off, len,
		                         cs_indicator_value(ind));
	return 0;
}

/* The pre-filter's two paths on the same intel give the same offsets,
 * from every starting byte. */
static void filters_agree(const char *s, size_t n)
{
	size_t i, from;

	for (i = 0; i < NM; i += 2)
		for (from = 0; from <= n; from++) {
			size_t a = cs__tfilter_next(g_ms[i]->tf, s, from, n);
			size_t b = cs__tfilter_next(g_ms[i + 1]->tf, s, from, n);

			if (a != b)
				fail_msg("intel %zu from %zu: AVX2 says %zu, scalar %zu on [%.*s]",
				         i / 2, from, a, b, (int)n, s);
		}
}

/* Matcher m (number `which` in messages) against its reference over the
 * whole text: the same hits, offset for offset; returns their number. */
static size_t agree(struct cs_matcher *m, size_t which, const char *s, size_t n)
{
	static struct col a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	assert_int_equal(cs__match_text(m, s, n, on_text, &a), 0);
	assert_int_equal(cs__match_text_ref(m, s, n, on_text, &b), 0);
	if (strcmp(a.out, b.out) != 0)
		fail_msg("matcher %zu: fast and reference differ on [%.*s]:\nfast:\n%s"
		         "reference:\n%s",
		         which, (int)n, s, a.out, b.out);
	return a.n;
}

/* Every matcher against its reference over the whole text; returns the
 * number of hits of the first (the full intel). */
static size_t both_whole(const char *s, size_t n)
{
	size_t i, hits = 0, h;

	for (i = 0; i < NM; i++) {
		h = agree(g_ms[i], i, s, n);
		if (!i)
			hits = h;
	}
	filters_agree(s, n);
	return hits;
}

/* Both matchers over the text and over windows of it with each cut;
 * returns the number of hits over the whole text (the full intel). */
static size_t both(const char *s, size_t n)
{
	static struct col a;
	size_t from, to, i, hits = both_whole(s, n);
	unsigned cut;

	if (getenv("TM_DEBUG")) {
		memset(&a, 0, sizeof(a));
		cs__match_text(g_m, s, n, on_text, &a);
		fprintf(stderr, "[%.*s]\n%s", (int)n, s, a.out);
	}
	for (i = 0; i < NM; i++) {
		for (cut = 0; cut < 4; cut++) {
			for (from = 0; from <= n; from += n / 3 + 1) {
				for (to = from; to <= n; to += n / 4 + 1) {
					struct col x, y;

					memset(&x, 0, sizeof(x));
					memset(&y, 0, sizeof(y));
					cs__match_text_window(g_ms[i], s, n, from, to, cut, on_text,
					                      &x);
					cs__match_text_window_ref(g_ms[i], s, n, from, to, cut,
					                          on_text, &y);
					if (strcmp(x.out, y.out) != 0)
						fail_msg("matcher %zu: window [%zu,%zu) cut %u differs "
						         "on [%.*s]",
						         i, from, to, cut, (int)n, s);
				}
			}
		}
	}
	return hits;
}

static size_t both_s(const char *s)
{
	return both(s, strlen(s));
}

static void test_texts(void **state)
{
	(void)state;
	/* Planted hits. */
	assert_int_equal(both_s("resolved cdn.evil-domain.com ok"), 1);
	assert_int_equal(both_s("EVIL-DOMAIN.COM."), 1);
	assert_int_equal(both_s("x.a.b.evil.co.uk"), 1);
	assert_int_equal(both_s("to 127.0.0.66:443"), 1);
	assert_int_equal(both_s("203.0.113.99,10.20.255.1;100.127.0.1"), 3);
	assert_int_equal(both_s("[2001:db8::bad]:443 2001:db8:ff:1::2"), 2);
	assert_int_equal(both_s("GET https://github.com/IconStorages/images/raw/x.ico"), 1);
	assert_int_equal(both_s("http://192.0.2.10/payload.bin"), 1);
	assert_int_equal(both_s("GET http://INTRANET/drop?id=7 HTTP/1.1"), 1);
	assert_int_equal(both_s("https://u:p@files.example.net:8443/a/b/c?q=1"), 1);
	assert_int_equal(both_s("hxxps://github[.]com/IconStorages/images"), 1);
	assert_int_equal(both_s("md5=0123456789ABCDEF0123456789ABCDEF"), 1);
	assert_int_equal(both_s("00112233445566778899AABBCCDDEEFF00112233"), 1);
	assert_int_equal(
	        both_s("SHA256=AA1111111111111111111111111111111111111111111111111111111111111A"),
	        1);
	assert_int_equal(both_s("mail from ops@evil-domain.com to Boss@MAIL.example.org"), 3);
	both_s("root@10.9.8.7");
	assert_int_equal(both_s("ping localhost."), 1);
	assert_int_equal(both_s("host 9.1.2.3.example"), 1);
	/* More labels than the filter hashes at once (NAME_BATCH). */
	assert_int_equal(both_s("q a.b.c.d.e.f.g.h.i.j.k.l.m.evil-domain.com x"), 1);
	assert_int_equal(both_s("q evil-domain.com.b.c.d.e.f.g.h.i.j.k.l.m x"), 0);
	assert_int_equal(both_s("q x1.test.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.x1.test"), 1);
	/* Near misses. */
	assert_int_equal(both_s("xevil-domain.com evil-domain.com.example notevil-domain.co"), 0);
	assert_int_equal(both_s("b.evil.co.uk evil.co.uk"), 0);
	assert_int_equal(both_s("1127.0.0.66 127.0.0.667 127.0.0.6 0127.0.0.66"), 0);
	assert_int_equal(both_s("203.0.114.1 10.21.0.1 100.128.0.1"), 0);
	assert_int_equal(both_s("2001:db8::bade 2001:db8:fe::1 x2001:db8::bad"), 0);
	assert_int_equal(both_s("https://github.com/IconStorages/imagesX"), 0);
	assert_int_equal(both_s("http://intranet/drop?id=8 http://192.0.2.11/payload.bin"), 0);
	assert_int_equal(both_s("x0123456789abcdef0123456789abcdef 0123456789abcdef0123456789abcdef0"),
	                 0);
	/* The domain, not the address: the local part keeps its case. */
	assert_int_equal(both_s("Ops@evil-domain.com boss@mail.example.org"), 1);
	assert_int_equal(both_s("localhostx .localhost-"), 0);
	/* Odd edges. */
	both_s("");
	both_s(".");
	both_s("@");
	both_s("::");
	both_s("a://");
	both_s("evil-domain.com");
	both_s("-evil-domain.com_");
	both_s("_x@evil-domain.com");
	both_s("a_b://github.com/IconStorages/images");
	both_s("http://%67ithub.com/IconStorages/images");
	both_s("http://github.com./IconStorages/images/");
	both_s("http:\\/\\/github.com\\/IconStorages\\/images");
	both_s("1.2.3.4.5.6.7.8 ...evil-domain.com... ::ffff:203.0.113.5");
	both("evil-domain.com\0bad-cdn.net", 27);
}

struct lcol {
	struct cs_test_diags d; /* first: the diagnostics callback's userdata */
	char out[65536];
	size_t o;
};

static int on_hit(void *ud, const struct cs_log_hit *x)
{
	struct lcol *c = ud;

	if (c->o < sizeof(c->out) - 1024)
		c->o += (size_t)snprintf(c->out + c->o, sizeof(c->out) - c->o,
		                         "%llu@%llu %s %s %s -> %s t=%d:%lld host=%s id=%d\n",
		                         (unsigned long long)x->line, (unsigned long long)x->offset,
		                         x->format, cs_kind_name(x->observed), x->matched,
		                         cs_indicator_value(x->indicator), x->has_time,
		                         (long long)x->time_ms, x->host ? x->host : "-",
		                         x->event_id);
	return 0;
}

/* One log through the fast path and the reference path under matcher m. */
static uint64_t log_both_m(const struct cs_matcher *m, const char *name, const char *text,
                           size_t len, const char *format)
{
	static struct lcol ref, fast;
	struct cs__log_test t;
	struct cs_log_opts o;
	struct cs_log_result r1, r2;
	unsigned th;
	size_t cap;

	for (th = 1; th <= 2; th++) {
		for (cap = 4096; cap <= (1u << 20); cap <<= 8) {
			memset(&ref, 0, sizeof(ref));
			memset(&fast, 0, sizeof(fast));
			memset(&t, 0, sizeof(t));
			cs_log_opts_init(&o);
			o.threads = th;
			o.format = format;
			o.max_line = cap;
			o.on_hit = on_hit;
			o.on_diag = cs_test_diag_cb;
			o.userdata = &ref;
			t.reference = 1;
			assert_int_equal(cs__log_scan_mem_test(m, name, text, len, &o, &t,
			                                       &r1),
			                 CS_OK);
			o.userdata = &fast;
			t.reference = 0;
			assert_int_equal(cs__log_scan_mem_test(m, name, text, len, &o, &t,
			                                       &r2),
			                 CS_OK);
			if (strcmp(ref.out, fast.out) != 0)
				fail_msg("%s: hits differ\nreference:\n%sfast:\n%s", name, ref.out,
				         fast.out);
			assert_string_equal(ref.d.text, fast.d.text);
			assert_int_equal(r1.lines, r2.lines);
			assert_int_equal(r1.hits, r2.hits);
			assert_int_equal(r1.bad_lines, r2.bad_lines);
			assert_int_equal(r1.long_lines, r2.long_lines);
			assert_int_equal(r1.bytes, r2.bytes);
		}
	}
	if (getenv("TM_DEBUG"))
		fprintf(stderr, "%s\n%s%s", name, fast.out, fast.d.text);
	return r2.hits;
}

/* One log through the fast path and the reference path, with one and two
 * threads and two line caps, under every matcher: the hits, the counts and
 * the diagnostics must be the same. Returns the number of hits under the
 * first (the full intel). */
static uint64_t log_both_n(const char *name, const char *text, size_t len, const char *format)
{
	uint64_t hits = 0;
	size_t mi;

	for (mi = NM; mi-- > 0;)
		hits = log_both_m(g_ms[mi], name, text, len, format);
	return hits;
}

static uint64_t log_both(const char *name, const char *text, const char *format)
{
	return log_both_n(name, text, strlen(text), format);
}

static const char syslog_log[] =
        "<34>Mar 29 10:00:00 web01 named[1]: query cdn.evil-domain.com IN A\n"
        "<34>Mar 29 10:00:01 web01 named[1]: query xevil-domain.com evil-domain.com.example\n"
        "<34>Mar 29 10:00:02 web02 sshd[2]: from 127.0.0.66 port 22; 1127.0.0.66 not\n"
        "Mar 29 10:00:03 web03 postfix: from=<ops@evil-domain.com> to=<Ops@evil-domain.com>\n"
        "Mar 29 10:00:04 web03 curl: GET http://192.0.2.10/payload.bin\n";

static const char json_log[] =
        "{\"ts\":\"2023-03-29T10:00:00Z\",\"host\":\"h1\",\"query\":\"WWW.EVIL-DOMAIN.COM\"}\n"
        "{\"ts\":\"2023-03-29T10:00:01Z\",\"host\":\"h1\",\"url\":\"https:\\/\\/github.com\\/"
        "IconStorages\\/images\\/a\"}\n"
        "{\"ts\":\"2023-03-29T10:00:02Z\",\"host\":\"h2\",\"q\":\"\\u0065vil-domain.com\"}\n"
        "{\"ts\":\"2023-03-29T10:00:03Z\",\"host\":\"h2\",\"q\":\"evil-domain.co\"}\n"
        "{\"ts\":\"2023-03-29T10:00:04Z\", broken 203.0.113.7\n"
        "{\"ts\":\"2023-03-29T10:00:05Z\", broken but no hit\n"
        "{\"ts\":1680084006,\"n\":12345678901234567890123,\"x\":1e999}\n"
        "{\"ts\":1680084007,\"s\":\"caf\\u00e9 \\ud83d\\ude00\",\"bad\":\"\\ud800\"}\n"
        "[1,2,{\"a\":[true,false,null,-0.5e3]}]\n"
        "{\"t\":\"2023-03-29T10:00:08Z\",\"md5\":\"0123456789abcdef0123456789abcdef\"}\n";

static const char zeek_tsv[] =
        "#separator \\x09\n"
        "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tquery\tanswers\n"
        "1680084000.000001\tCx1\t10.0.0.1\t5353\t10.0.0.53\t53\tcdn.bad-cdn.net\t203.0.113.9\n"
        "1680084001.000001\tCx2\t10.0.0.2\t5353\t10.0.0.53\t53\tbad-cdn.network\t203.0.114.9\n"
        "1680084002.000001\tCx3\t10.0.0.3\t5353\t10.0.0.53\t53\tx1.test\t-\n"
        "1680084003.000001\tCx4\t10.0.0.4\t5353\t10.0.0.53\t53\tax1.test\t2001:db8::bad\n"
        "#close\t2023-03-29-11-00-00\n";

static const char zeek_json[] =
        "{\"ts\":1680084000.5,\"id.orig_h\":\"10.20.1.1\",\"query\":\"a.b.evil.co.uk\"}\n"
        "{\"ts\":1680084001.5,\"id.orig_h\":\"10.21.1.1\",\"query\":\"b.evil.co.uk\"}\n";

static const char csv_log[] =
        "timestamp,host,EventID,message\n"
        "2023-03-29T10:00:00Z,pc1,4688,\"cmd /c curl https://files.example.net:8443/a/b/c\"\n"
        "2023-03-29T10:00:01Z,pc2,4688,\"certutil 0123456789ABCDEF0123456789ABCDEF0\"\n"
        "2023-03-29T10:00:02Z,pc3,3,\"dst 100.64.3.4 and 100.128.0.1\"\n";

static const char web_log[] =
        "192.0.2.1 - - [29/Mar/2023:10:00:00 +0000] \"GET /?r=http://intranet/drop?id=7 "
        "HTTP/1.1\" 200 1 \"-\" \"ua\"\n"
        "192.0.2.1 - - [29/Mar/2023:10:00:01 +0000] \"GET /?r=http://intranet/drop?id=8 "
        "HTTP/1.1\" 200 1 \"-\" \"ua\"\n";

static const char squid_log[] =
        "1680084000.123    12 10.1.1.1 TCP_MISS/200 512 GET http://cdn.bad-cdn.net/x - "
        "HIER_DIRECT/203.0.113.5 text/html\n"
        "1680084001.123    12 10.1.1.2 TCP_MISS/200 512 GET http://bad-cdn.net.example/x - "
        "HIER_DIRECT/198.51.100.70 text/html\n";

static const char xml_log[] =
        "<?xml version=\"1.0\"?>\n"
        "<Events>\n"
        "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\n"
        "<System><EventID>3</EventID>\n"
        "<TimeCreated SystemTime=\"2023-03-29T10:00:00.000Z\"/>\n"
        "<Computer>ws1.corp</Computer></System>\n"
        "<EventData><Data Name=\"DestinationHostname\">evil-domain.com</Data>\n"
        "<Data Name=\"Url\">https://github.com/IconStorages/images?a=1&amp;b=2</Data>\n"
        "<Data Name=\"Other\">a&amp;evil-domain.com &amp;x</Data></EventData>\n"
        "</Event>\n"
        "</Events>\n";

static void test_logs(void **state)
{
	(void)state;
	assert_int_equal(log_both("syslog.log", syslog_log, NULL), 5);
	assert_int_equal(log_both("json.log", json_log, NULL), 5);
	assert_int_equal(log_both("dns.log", zeek_tsv, NULL), 4);
	assert_int_equal(log_both("dns.json", zeek_json, NULL), 2);
	assert_int_equal(log_both("events.csv", csv_log, NULL), 2);
	assert_int_equal(log_both("access.log", web_log, NULL), 1);
	assert_int_equal(log_both("access.log", squid_log, NULL), 2);
	assert_int_equal(log_both("events.xml", xml_log, NULL), 3);
	/* Every text through every reader. */
	{
		const char *const *f;
		const char *const texts[] = {syslog_log, json_log, zeek_tsv, zeek_json,
		                             csv_log,    web_log,  squid_log, xml_log};
		size_t i;

		for (f = cs_log_formats(); *f; f++)
			for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
				log_both("any.log", texts[i], *f);
	}
}

/*
 * The pre-filter reads the text in blocks of 64 bytes: each token, hit or
 * near miss, at every offset around the first block edges, after spaces
 * (the same hits wherever it stands), after a run of digits and dots and
 * after a run of name characters it joins (one token then, however long),
 * with a line after it; all matchers agree with their references, and the
 * two paths of each filter agree byte for byte.
 */
static void test_blocks(void **state)
{
	static const char *const tok[] = {
	        "cdn.evil-domain.com", "127.0.0.66", ".127.0.0.66", "127.0.0.66.", "..10.20.3.4",
	        "1127.0.0.66", "a127.0.0.66", "127.0.0.66a", "127.0.0.66-", "_10.20.1.1",
	        "1680084000.023766", "300.000000,300.000000", "0.082341\t10.20.3.4",
	        "10.20.3.4", "203.0.113.255", "203.0.114.1", "100.127.255.255", "100.128.0.1",
	        "010.20.3.4", "10.020.3.4", "256.20.3.4", "10.20.3.4.5", "1.2.3", "1..2.3.4",
	        "ops@evil-domain.com", "root@10.9.8.7", "x@127.0.0.66", "a.b.evil.co.uk",
	        "https://github.com/IconStorages/images/x", "http://192.0.2.10/payload.bin",
	        "[2001:db8::bad]:53", "2001:db8:ff:1::2", "::ffff:127.0.0.66",
	        "0123456789abcdef0123456789abcdef", "00112233445566778899aabbccddeeff00112233",
	        "x1.test", "1.2.3.example", "9.1.2.3.example", "localhost.", "evil-domain.com.x",
	};
	static const char *const pads[] = {" ", "0.", "a-"};
	static const unsigned offs[] = {0,  1,  2,  3,  27, 28, 29, 30, 31, 32, 33,
	                                34, 45, 50, 55, 58, 59, 60, 61, 62, 63, 64,
	                                65, 66, 67, 70, 90, 120, 125, 126, 127, 128, 129};
	char text[512];
	size_t t, p, o;

	(void)state;
	for (t = 0; t < sizeof(tok) / sizeof(tok[0]); t++) {
		size_t alone = both_whole(tok[t], strlen(tok[t]));

		for (p = 0; p < sizeof(pads) / sizeof(pads[0]); p++) {
			for (o = 0; o < sizeof(offs) / sizeof(offs[0]); o++) {
				size_t k, n = 0, hits;

				for (k = 0; n < offs[o]; k++)
					text[n++] = pads[p][k % strlen(pads[p])];
				n += (size_t)snprintf(text + n, sizeof(text) - n,
				                      "%s\tq.bad-cdn.net 1.5\n0.25 %s", tok[t], tok[t]);
				hits = both_whole(text, n);
				if (p == 0 && hits != 2 * alone + 1)
					fail_msg("[%s] at %u: %zu hits, %zu alone", tok[t], offs[o],
					         hits, alone);
			}
		}
	}
	/* Every byte value in place of each '#', between and inside tokens:
	 * the two paths of each filter classify every byte alike. */
	for (t = 0; t < 256; t++) {
		static const char tpl[] = "q#cdn.evil#-domain.com#127.0.0#.66#x1.test #0123456789abcd"
		                          "ef#0123456789abcdef 10.20.1#.7#:2001:db8::bad#https:#//"
		                          "github.com/IconStorages/images#";
		size_t k, n = sizeof(tpl) - 1;

		memcpy(text, tpl, n);
		for (k = 0; k < n; k++)
			if (text[k] == '#')
				text[k] = (char)t;
		both_whole(text, n);
	}
	/* A long run crossing blocks, and one that fills a block. */
	memset(text, '7', 200);
	memcpy(text + 190, ".127.0.0.66 ", 12);
	both_whole(text, 202);
	memset(text, 'b', 200);
	memcpy(text + 100, ".evil-domain.com", 16);
	assert_int_equal(both_whole(text, 116), 1);
	text[100] = 'x';
	assert_int_equal(both_whole(text, 116), 0);
	memset(text, '1', 300);
	memcpy(text + 64, "0123456789abcdef0123456789abcdef", 32);
	both_whole(text, 300);
	text[63] = ' ';
	text[96] = ' ';
	assert_int_equal(both_whole(text, 300), 1);
}

/* Names are hashed eight bytes at a time: labels of 7 to 24 bytes, in
 * any case, with one byte changed anywhere, and ending at the text's last
 * byte (the loads must stop there), agree with the reference. */
static void test_label_lengths(void **state)
{
	static const char *const names[] = {"ABCDEFGH.ijklmnopqrstuvw.X_Y-Z.example",
	                                    "q.abcdefgh.IJKLMNOPQRSTUVW.x_y-z.EXAMPLE.",
	                                    "AbCdEfGhIjKlMnOpQ.OrG", "abcdefghijklmnopq.org",
	                                    "ABCDEFGHIJKLMNOP.qrstuvwxyzabcdefghijklmn.example"};
	char text[128], *copy;
	size_t i, k, n;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		n = strlen(names[i]);
		/* Alone, at the end of an allocation of its own size. */
		copy = malloc(n);
		assert_non_null(copy);
		memcpy(copy, names[i], n);
		assert_int_equal(both_whole(copy, n), 1);
		for (k = 0; k < n; k++) {
			char was = copy[k];

			copy[k] = copy[k] == '.' ? 'd' : copy[k] == 'z' ? 'y' : 'z';
			both_whole(copy, n);
			copy[k] = '_';
			both_whole(copy, n);
			copy[k] = was;
		}
		free(copy);
		snprintf(text, sizeof(text), "x %s y", names[i]);
		assert_int_equal(both_s(text), 1);
		snprintf(text, sizeof(text), "x %.*s", (int)n - 2, names[i]);
		assert_int_equal(both_s(text), 0);
	}
}

/* A run of digits and dots is turned away by its first two bytes unless
 * some address of the intel begins so: every first number from 0 to 255,
 * written with 1 to 3 digits (leading zeros too), before addresses under
 * and beside the intel's, on both paths, agrees with the reference; and
 * the hits it must find are found. */
static void test_first_numbers(void **state)
{
	static const char csv[] = "type,value\nipv4,7.1.2.3\nipv4,42.1.2.3\n"
	                          "cidr,198.18.0.0/15\ncidr,25.0.0.0/8\nipv4,0.9.9.9\n";
	struct cs_import_stats st;
	struct cs_intel *in = cs_intel_new();
	struct cs_matcher *m[2];
	char text[256];
	unsigned v, w, i;
	size_t hits = 0, n, h = 0;

	(void)state;
	assert_non_null(in);
	assert_int_equal(cs_intel_set_format(in, "csv"), CS_OK);
	assert_int_equal(cs_intel_import_mem(in, "first.csv", csv, strlen(csv), &st), CS_OK);
	cs_intel_finalize(in);
	m[0] = matcher_on(in, 0);
	m[1] = matcher_on(in, 1);
	for (v = 0; v < 256; v++) {
		for (w = 1; w <= 3; w++) {
			if ((v >= 10 && w < 2) || (v >= 100 && w < 3))
				continue;
			n = (size_t)snprintf(text, sizeof(text),
			                     "%0*u.1.2.3 x %0*u.18.0.1\t%0*u.19.255.7,%0*u.9.9.9 "
			                     "%0*u.1.2\n",
			                     (int)w, v, (int)w, v, (int)w, v, (int)w, v, (int)w, v);
			for (i = 0; i < 2; i++) {
				h = agree(m[i], i, text, n);
				if (cs__tfilter_next(m[i]->tf, text, 0, n) > n)
					fail_msg("past the end on [%s]", text);
			}
			hits += h;
		}
	}
	/* 7.1.2.3, 42.1.2.3, 198.18.0.1, 198.19.255.7, 0.9.9.9 and the four
	 * under 25/8, written as inet_pton reads them (no leading zeros). */
	assert_int_equal(hits, 9);
	cs_matcher_free(m[0]);
	cs_matcher_free(m[1]);
	cs_intel_free(in);
}

/* A line that holds NUL bytes, lines over the cap and a last line
 * without a newline go the same way on both paths. */
static void test_log_edges(void **state)
{
	static char big[300000];
	size_t i;

	(void)state;
	static const char nul[] = "a\nb evil-domain.com\n\0x 127.0.0.66\nc\n";

	assert_int_equal(log_both_n("nul.log", nul, sizeof(nul) - 1, NULL), 2);
	/* NUL bytes in quiet lines, at every place around a block's edges,
	 * among quiet lines and next to a hit: each such line is reported. */
	{
		char t[8192];
		size_t n = 0, k, q;

		for (k = 0; k < 70; k++) {
			n += (size_t)snprintf(t + n, sizeof(t) - n,
			                      "1680084000.%06zu\tC%zu\t10.1.2.3\t53\tx.example.org\n",
			                      k, k);
			if (k % 7 == 3) {
				q = n - 20 - k % 30;
				t[q] = '\0';
			}
		}
		n += (size_t)snprintf(t + n, sizeof(t) - n, "%s", "ok cdn.evil-domain.com\n");
		t[n++] = '\0';
		t[n++] = '\n';
		assert_int_equal(log_both_n("nul2.log", t, n, NULL), 1);
		assert_int_equal(log_both_n("nul2.log", t, n, "zeek"), 1);
		assert_int_equal(log_both_n("nul2.log", t, n, "json"), 1);
	}
	for (i = 0; i + 1 < sizeof(big); i++)
		big[i] = (char)(i % 97 == 96 ? '\n' : i % 13 == 12 ? ' ' : 'a' + (char)(i % 26));
	big[sizeof(big) - 1] = '\0';
	memcpy(big + 5000, " cdn.evil-domain.com ", 21);
	memset(big + 10000, 'z', 9000); /* a line over 4096 bytes */
	memcpy(big + 18990, " x1.test ", 9);
	memcpy(big + sizeof(big) - 20, " 127.0.0.66 ", 12);
	assert_int_equal(log_both("big.log", big, NULL), 3);
}

/* The quick JSON check says yes only where jansson accepts, and yes to
 * the common log line shapes (or the fast path would parse every line). */
static void test_json_quick(void **state)
{
	static const char *const sure[] = {
	        "{\"ts\":\"2023-03-29T10:00:00Z\",\"n\":12,\"r\":-0.5,\"b\":true,\"z\":null}",
	        "{\"a\":[1,2,{\"b\":[]},{}],\"c\":\"x\\\"y\\\\z\\/\\u00e9\\ud83d\\ude00\"}",
	        "  [ {\"k\" : \"v\" } , [ ] ]  ", "{}", "[0]",
	        "{\"big\":123456789012345678,\"neg\":-123456789012345678}",
	};
	static const char *const unsure[] = {
	        "", "x", "{", "{\"a\":}", "{\"a\":1,}", "[1,]", "{\"a\" 1}", "[01]", "[1.]",
	        "[-]", "[1e5]", "[\"\\u0000\"]", "[\"\\ud800\"]", "[\"\\udc00\"]",
	        "[\"\\x\"]", "[\"a\tb\"]", "[\"caf\xc3\xa9\"]", "[1] x", "\"s\"", "1",
	        "[1234567890123456789]", "[truex]", "[nul]", "{\"a\":1}}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sure) / sizeof(sure[0]); i++) {
		json_error_t e;
		json_t *r = json_loadb(sure[i], strlen(sure[i]), 0, &e);

		assert_non_null(r);
		json_decref(r);
		if (!cs__json_surely_valid(sure[i], strlen(sure[i])))
			fail_msg("not sure of [%s]", sure[i]);
	}
	for (i = 0; i < sizeof(unsure) / sizeof(unsure[0]); i++)
		if (cs__json_surely_valid(unsure[i], strlen(unsure[i])))
			fail_msg("sure of [%s]", unsure[i]);
}

/* gzip of text (one member). Caller frees. */
static unsigned char *gz(const char *text, size_t n, size_t *out)
{
	z_stream z;
	unsigned char *d = malloc(n + 1024);

	assert_non_null(d);
	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
	                 Z_OK);
	z.next_in = (unsigned char *)(uintptr_t)text;
	z.avail_in = (uInt)n;
	z.next_out = d;
	z.avail_out = (uInt)(n + 1024);
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	*out = z.total_out;
	deflateEnd(&z);
	return d;
}

/* A gzip log (one member, then two in a row) gives the plain log's hits,
 * and the result says how long decoding took; a plain log took none. */
static void test_gzip_time(void **state)
{
	static struct lcol a, b;
	struct cs_log_opts o;
	struct cs_log_result r1, r2;
	size_t i, n = 0, zn, zn2;
	char *text = malloc(2000000);
	unsigned char *z, *z2, *both;

	(void)state;
	assert_non_null(text);
	for (i = 0; n < 1900000; i++)
		n += (size_t)snprintf(text + n, 2000000 - n, "%zu q%zu.evil-domain.com 10.0.%zu.%zu x\n",
		                      i, i, i % 256, i % 199);
	z = gz(text, n, &zn);
	z2 = gz(text, n, &zn2);
	both = malloc(zn + zn2);
	assert_non_null(both);
	memcpy(both, z, zn);
	memcpy(both + zn, z2, zn2);
	cs_log_opts_init(&o);
	o.threads = 2;
	o.on_hit = on_hit;
	o.userdata = &a;
	assert_int_equal(cs_log_scan_mem(g_m, "p.log", text, n, &o, &r1), CS_OK);
	o.userdata = &b;
	assert_int_equal(cs_log_scan_mem(g_m, "p.log.gz", z, zn, &o, &r2), CS_OK);
	assert_string_equal(a.out, b.out);
	assert_int_equal(r1.hits, r2.hits);
	assert_true(r1.hits > 1000);
	assert_true(r1.decompress_seconds == 0.0);
	assert_true(r2.decompress_seconds > 0.0);
	assert_true(r2.decompress_seconds <= r2.seconds);
	memset(&b, 0, sizeof(b));
	assert_int_equal(cs_log_scan_mem(g_m, "two.log.gz", both, zn + zn2, &o, &r2), CS_OK);
	assert_int_equal(r2.hits, 2 * r1.hits);
	assert_int_equal(r2.lines, 2 * r1.lines);
	assert_int_equal(r2.files_failed, 0);
	free(both);
	free(z2);
	free(z);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_texts),         cmocka_unit_test(test_blocks),
	        cmocka_unit_test(test_label_lengths), cmocka_unit_test(test_logs),
	        cmocka_unit_test(test_first_numbers), cmocka_unit_test(test_log_edges),
	        cmocka_unit_test(test_gzip_time),     cmocka_unit_test(test_json_quick),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

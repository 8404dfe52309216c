/*
 * The log retro-hunt on crafted logs of every format, compressed and not:
 * exact hits (line, what was seen, which indicator, time, host), near
 * misses that must not match, and broken input reported with its line
 * while the rest is searched.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <archive.h>
#include <archive_entry.h>

#include "chainsweep/logs.h"
#include "scan/logscan_int.h"
#include "testutil.h"

static const char intel_csv[] =
        "type,value\n"
        "domain,evil-updates.test\n"
        "domain,journalide.test\n"
        "ipv4,198.51.100.7\n"
        "cidr,203.0.113.0/24\n"
        "ipv6,2001:db8::bad\n"
        "cidr,2001:db8:ff::/48\n"
        "url,https://github.com/IconStorages/images\n"
        "sha256,aa1111111111111111111111111111111111111111111111111111111111111a\n"
        "md5,0123456789abcdef0123456789abcdef\n"
        "email,ops@evil-updates.test\n"
        "domain,github.com\n";

struct hunt {
	struct cs_test_diags d; /* first: the diagnostics callback's userdata */
	struct cs_intel *in;
	struct cs_matcher *m;
	struct cs_log_result res;
	char out[65536];
	size_t o;
	uint64_t first_offset; /* the lowest hit offset, UINT64_MAX without */
};

static void hunt_init(struct hunt *h)
{
	struct cs_import_stats st;
	struct cs_intel *in = cs_intel_new();
	static const char wl[] = "{\"name\":\"Code hosting\",\"type\":\"hostname\","
	                         "\"list\":[\"github.com\"]}";

	memset(h, 0, sizeof(*h));
	assert_non_null(in);
	assert_int_equal(cs_intel_set_format(in, "csv"), CS_OK);
	assert_int_equal(
	        cs_intel_import_mem(in, "intel.csv", intel_csv, sizeof(intel_csv) - 1, &st), CS_OK);
	assert_int_equal(cs_intel_set_format(in, "warninglist"), CS_OK);
	assert_int_equal(cs_intel_import_mem(in, "wl.json", wl, sizeof(wl) - 1, &st), CS_OK);
	cs_intel_finalize(in);
	assert_int_equal(cs_matcher_new(in, NULL, NULL, &h->m), CS_OK);
	h->in = in;
}

static void hunt_free(struct hunt *h)
{
	cs_matcher_free(h->m);
	cs_intel_free(h->in);
}

/* "line observed matched -> value [time] [host] [event]" per hit. */
static int on_hit(void *ud, const struct cs_log_hit *x)
{
	struct hunt *h = ud;

	if (x->offset < h->first_offset)
		h->first_offset = x->offset;
	if (h->o > sizeof(h->out) - 2048)
		return 0; /* counted in h->res.hits only */
	h->o += (size_t)snprintf(h->out + h->o, sizeof(h->out) - h->o, "%llu %s %s -> %s",
	                         (unsigned long long)x->line, cs_kind_name(x->observed), x->matched,
	                         cs_indicator_value(x->indicator));
	if (x->has_time)
		h->o += (size_t)snprintf(h->out + h->o, sizeof(h->out) - h->o, " @%lld",
		                         (long long)x->time_ms);
	if (x->host)
		h->o += (size_t)snprintf(h->out + h->o, sizeof(h->out) - h->o, " host=%s", x->host);
	if (x->event_id)
		h->o += (size_t)snprintf(h->out + h->o, sizeof(h->out) - h->o, " id=%d",
		                         x->event_id);
	if (cs_indicator_flags(x->indicator) & CS_IND_WARNLISTED)
		h->o += (size_t)snprintf(h->out + h->o, sizeof(h->out) - h->o, " (warninglisted)");
	h->o += (size_t)snprintf(h->out + h->o, sizeof(h->out) - h->o, "\n");
	return 0;
}

static char *hunt_opts(struct hunt *h, const char *name, const void *data, size_t len,
                       struct cs_log_opts *o)
{
	struct cs_log_opts def;

	if (!o) {
		cs_log_opts_init(&def);
		o = &def;
	}
	o->on_hit = on_hit;
	o->on_diag = cs_test_diag_cb;
	o->userdata = h;
	h->o = 0;
	h->out[0] = '\0';
	h->first_offset = UINT64_MAX;
	assert_int_equal(cs_log_scan_mem(h->m, name, data, len, o, &h->res), CS_OK);
	return h->out;
}

static char *hunt(struct hunt *h, const char *name, const char *text)
{
	return hunt_opts(h, name, text, strlen(text), NULL);
}

#define T0 1680084000000LL /* 2023-03-29T10:00:00Z in ms */

static const char plain[] =
        "2023-03-29T10:00:00Z client resolved cdn.evil-updates.test OK\n"
        "2023-03-29T10:00:01Z near miss notevil-updates.test evil-updates.test.example.org "
        "evil-updates.testing xevil-updates.test\n"
        "2023-03-29T10:00:02Z UPPER CDN.EVIL-UPDATES.TEST. trailing dot\n"
        "2023-03-29T10:00:03Z connect 198.51.100.7:443 203.0.113.99 203.0.114.1 198.51.100.70 "
        "1198.51.100.7\n"
        "2023-03-29T10:00:04Z v6 [2001:db8::bad]:443 2001:db8:ff:1::2 2001:db8:fe::1 "
        "2001:db8::bade\n"
        "2023-03-29T10:00:05Z GET https://user:pw@github.com:443/IconStorages/images/raw/main/"
        "icon12.ico\n"
        "2023-03-29T10:00:06Z GET https://github.com/IconStorages/imagesX\n"
        "2023-03-29T10:00:07Z "
        "SHA256=AA1111111111111111111111111111111111111111111111111111111111111A"
        " md5 0123456789ABCDEF0123456789ABCDEF x0123456789abcdef0123456789abcdef\n"
        "2023-03-29T10:00:08Z mail from OPS@evil-updates.test to ops@evil-updates.test\n";

static const char plain_hits[] =
        "1 domain cdn.evil-updates.test -> evil-updates.test @1680084000000\n"
        "3 domain CDN.EVIL-UPDATES.TEST -> evil-updates.test @1680084002000\n"
        "4 ipv4 198.51.100.7 -> 198.51.100.7 @1680084003000\n"
        "4 ipv4 203.0.113.99 -> 203.0.113.0/24 @1680084003000\n"
        "5 ipv6 2001:db8::bad -> 2001:db8::bad @1680084004000\n"
        "5 ipv6 2001:db8:ff:1::2 -> 2001:db8:ff::/48 @1680084004000\n"
        "6 url https://user:pw@github.com:443/IconStorages/images/raw/main/icon12.ico -> "
        "https://github.com/IconStorages/images @1680084005000\n"
        "6 domain github.com -> github.com @1680084005000 (warninglisted)\n"
        "7 domain github.com -> github.com @1680084006000 (warninglisted)\n"
        "8 sha256 AA1111111111111111111111111111111111111111111111111111111111111A -> "
        "aa1111111111111111111111111111111111111111111111111111111111111a @1680084007000\n"
        "8 md5 0123456789ABCDEF0123456789ABCDEF -> 0123456789abcdef0123456789abcdef "
        "@1680084007000\n"
        "9 domain evil-updates.test -> evil-updates.test @1680084008000\n"
        "9 email ops@evil-updates.test -> ops@evil-updates.test @1680084008000\n";

static void test_plain(void **state)
{
	struct hunt h;

	(void)state;
	hunt_init(&h);
	assert_string_equal(hunt(&h, "plain.log", plain), plain_hits);
	assert_int_equal(h.res.lines, 9);
	assert_int_equal(h.res.hits, 13);
	assert_int_equal(h.res.incomplete, 0);
	hunt_free(&h);
}

/* The same log through each compressor libarchive writes. */
static void *compress(const char *filter, const char *s, size_t n, size_t *out)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	size_t cap = n + 4096, used = 0;
	void *buf = malloc(cap);

	assert_non_null(buf);
	assert_int_equal(archive_write_set_format_raw(a), ARCHIVE_OK);
	assert_int_equal(archive_write_add_filter_by_name(a, filter), ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
	archive_entry_set_filetype(e, AE_IFREG);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, s, n), (la_ssize_t)n);
	archive_write_close(a);
	archive_write_free(a);
	archive_entry_free(e);
	*out = used;
	return buf;
}

static void test_compressed(void **state)
{
	static const char *const filters[] = {"gzip", "bzip2", "xz", "zstd"};
	struct hunt h;
	size_t i, len;

	(void)state;
	hunt_init(&h);
	for (i = 0; i < 4; i++) {
		void *z = compress(filters[i], plain, sizeof(plain) - 1, &len);

		assert_string_equal(hunt_opts(&h, "plain.log.1.gz", z, len, NULL), plain_hits);
		assert_int_equal(h.res.bytes, sizeof(plain) - 1);
		free(z);
	}
	/* Cut in the middle: what came before is searched, the cut is
	 * reported with the file and line, the file counts as failed. */
	{
		size_t n = 0, cap = 4u << 20, k;
		char *big = malloc(cap);
		void *z;

		assert_non_null(big);
		n += (size_t)sprintf(big, "%s", plain);
		for (k = 0; n < cap - 200; k++)
			n += (size_t)sprintf(big + n, "%zu %08x%08x filler\n", k, (unsigned)rand(),
			                     (unsigned)rand());
		z = compress("gzip", big, n, &len);
		hunt_opts(&h, "cut.log.gz", z, len / 2, NULL);
		assert_int_equal(h.res.files_failed, 1);
		assert_int_equal(h.res.incomplete, 1);
		assert_true(cs_test_diags_have(&h.d, "cut.log.gz:"));
		assert_true(cs_test_diags_have(&h.d, "cannot read further"));
		assert_string_equal(h.out, plain_hits);
		assert_true(h.res.lines > 9 && h.res.lines < k);
		free(z);
		free(big);
	}
	hunt_free(&h);
}

/* A damaged tail, whatever the size: every line decoded before the damage
 * is searched (gzip and xz hand out each byte; bzip2 only whole blocks,
 * so a one-block file gives nothing, but says so), the file counts as not
 * read to the end. */
static void test_damaged_tail(void **state)
{
	static const char *const filters[] = {"gzip", "xz", "bzip2", "zstd"};
	struct hunt h;
	size_t i, len, n = 0, k, cap = 400000;
	char *text = malloc(cap), name[64];

	(void)state;
	assert_non_null(text);
	hunt_init(&h);
	for (k = 1; k <= 5000; k++)
		n += (size_t)snprintf(text + n, cap - n, "line %zu h%zu.evil-updates.test %08zx\n",
		                      k, k, k * 7919);
	for (i = 0; i < 4; i++) {
		void *z;

		/* The nine-line log, its last dozen bytes gone. */
		z = compress(filters[i], plain, sizeof(plain) - 1, &len);
		snprintf(name, sizeof(name), "tiny.log.%s", filters[i]);
		hunt_opts(&h, name, z, len - 12, NULL);
		assert_int_equal(h.res.files_failed, 1);
		assert_int_equal(h.res.incomplete, 1);
		assert_true(cs_test_diags_have(&h.d, name));
		if (i < 2) {
			/* All but (perhaps) the last line's hits. */
			assert_true(h.res.lines >= 8);
			assert_memory_equal(h.out, plain_hits, strlen(h.out));
			assert_true(strlen(h.out) >= sizeof(plain_hits) - 1 - 80);
		}
		free(z);
		/* 5,000 lines, the last 24 bytes gone. */
		z = compress(filters[i], text, n, &len);
		snprintf(name, sizeof(name), "big.log.%s", filters[i]);
		hunt_opts(&h, name, z, len - 24, NULL);
		assert_int_equal(h.res.files_failed, 1);
		assert_true(cs_test_diags_have(&h.d, name));
		if (i < 2)
			assert_true(h.res.hits >= 4990);
		free(z);
	}
	free(text);
	hunt_free(&h);
}

static void test_syslog(void **state)
{
	struct hunt h;
	struct cs_log_opts o;
	static const char s3164[] =
	        "<13>Mar 29 10:00:00 ws-17 dnsmasq[811]: query[A] cdn.evil-updates.test from "
	        "10.0.0.5\n"
	        "Mar  9 10:00:01 ws-18 proxy: CONNECT 198.51.100.7:443\n";
	static const char s5424[] = "<165>1 2023-03-29T10:00:00.120+02:00 gw-1 squid 42 - - "
	                            "GET http://journalide.test/x\n";

	(void)state;
	hunt_init(&h);
	cs_log_opts_init(&o);
	/* RFC 3164 stamps have no year: the file's (here: now) year, and the
	 * zone given. Check the parse directly with a known year. */
	{
		int64_t ms;

		assert_int_equal(cs__time_3164("Mar 29 10:00:00", 15, 2023, 0, &ms, NULL), 0);
		assert_int_equal(ms, T0);
		assert_int_equal(cs__time_3164("Mar 29 12:00:00", 15, 2023, 120, &ms, NULL), 0);
		assert_int_equal(ms, T0);
	}
	hunt(&h, "syslog", s3164);
	assert_non_null(strstr(h.out, "1 domain cdn.evil-updates.test -> evil-updates.test @"));
	assert_non_null(strstr(h.out, " host=ws-17\n"));
	assert_non_null(strstr(h.out, "2 ipv4 198.51.100.7 -> 198.51.100.7 @"));
	assert_non_null(strstr(h.out, " host=ws-18\n"));
	assert_string_equal(
	        hunt(&h, "syslog", s5424),
	        "1 domain journalide.test -> journalide.test @1680076800120 host=gw-1\n");
	hunt_free(&h);
}

static void test_json(void **state)
{
	struct hunt h;
	struct cs_log_opts o;
	const char *fields[1] = {"dns.query"};
	static const char js[] =
	        "{\"ts\":1680084000.5,\"host\":{\"name\":\"ws-17\"},\"url\":\"https:\\/\\/"
	        "github.com"
	        "\\/IconStorages\\/images\\/a\"}\n"
	        "{\"@timestamp\":\"2023-03-29T10:00:01Z\",\"hostname\":\"ws-18\","
	        "\"dns\":{\"query\":\"a.journalide.test\"},\"note\":\"evil-updates.test\"}\n"
	        "{\"broken\": \"198.51.100.7\"\n"
	        "\x01\x02\x00\xff binary 203.0.113.5\n"
	        "{\"ts\":\"2023-03-29T10:00:04Z\",\"msg\":\"clean\"}\n";

	(void)state;
	hunt_init(&h);
	assert_string_equal(
	        hunt_opts(&h, "app.jsonl", js, sizeof(js) - 1, NULL),
	        "1 domain github.com -> github.com @1680084000500 host=ws-17 (warninglisted)\n"
	        "1 url https://github.com/IconStorages/images/a -> "
	        "https://github.com/IconStorages/images"
	        " @1680084000500 host=ws-17\n"
	        "2 domain a.journalide.test -> journalide.test @1680084001000 host=ws-18\n"
	        "2 domain evil-updates.test -> evil-updates.test @1680084001000 host=ws-18\n"
	        "3 ipv4 198.51.100.7 -> 198.51.100.7\n"
	        "4 ipv4 203.0.113.5 -> 203.0.113.0/24\n");
	assert_int_equal(h.res.bad_lines, 3); /* line 3 (JSON), line 4 (JSON, binary) */
	assert_true(cs_test_diags_have(&h.d, "app.jsonl:3"));
	assert_true(cs_test_diags_have(&h.d, "invalid JSON"));
	assert_true(cs_test_diags_have(&h.d, "app.jsonl:4"));
	/* Named fields only. */
	cs_log_opts_init(&o);
	o.fields = fields;
	o.nfields = 1;
	assert_string_equal(hunt_opts(&h, "app.jsonl", js, sizeof(js) - 1, &o),
	                    "2 domain a.journalide.test -> journalide.test @1680084001000 "
	                    "host=ws-18\n"
	                    "3 ipv4 198.51.100.7 -> 198.51.100.7\n"
	                    "4 ipv4 203.0.113.5 -> 203.0.113.0/24\n");
	hunt_free(&h);
}

static void test_zeek(void **state)
{
	struct hunt h;
	static const char tsv[] =
	        "#separator \\x09\n"
	        "#set_separator\t,\n"
	        "#path\tdns\n"
	        "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\n"
	        "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\n"
	        "1680084000.250000\tCx1\t10.0.0.5\t53211\t10.0.0.1\t53\tudp\tcdn.evil-updates."
	        "test\n"
	        "1680084001.000000\tCx2\t10.0.0.6\t53212\t10.0.0.1\t53\tudp\tnotevil-updates.test\n"
	        "1680084002.000000\tCx3\t2001:db8::1\t443\t2001:db8::bad\t443\ttcp\t-\n"
	        "#close\t2023-03-29-11-00-00\n";
	static const char zjson[] =
	        "{\"ts\":1680084000.25,\"uid\":\"Cx1\",\"id.orig_h\":\"10.0.0.5\","
	        "\"id.resp_h\":\"198.51.100.7\",\"query\":\"x.journalide.test\"}\n";

	(void)state;
	hunt_init(&h);
	assert_string_equal(
	        hunt(&h, "dns.log", tsv),
	        "6 domain cdn.evil-updates.test -> evil-updates.test @1680084000250 "
	        "host=10.0.0.5\n"
	        "8 ipv6 2001:db8::bad -> 2001:db8::bad @1680084002000 host=2001:db8::1\n");
	assert_string_equal(hunt(&h, "conn.json", zjson),
	                    "1 ipv4 198.51.100.7 -> 198.51.100.7 @1680084000250 host=10.0.0.5\n"
	                    "1 domain x.journalide.test -> journalide.test @1680084000250 "
	                    "host=10.0.0.5\n");
	hunt_free(&h);
}

static void test_csv_web(void **state)
{
	struct hunt h;
	static const char csv[] =
	        "timestamp,src_ip,action,url\n"
	        "2023-03-29 10:00:00,10.0.0.9,allow,\"http://journalide.test/a,b\"\n"
	        "2023-03-29 10:00:01,10.0.0.9,allow,http://example.org/\n";
	static const char web[] =
	        "10.0.0.7 - - [29/Mar/2023:12:00:00 +0200] \"GET /x HTTP/1.1\" 200 12 "
	        "\"https://github.com/IconStorages/images\" \"curl/8\"\n";

	(void)state;
	hunt_init(&h);
	assert_string_equal(hunt(&h, "proxy.csv", csv),
	                    "2 domain journalide.test -> journalide.test @1680084000000 "
	                    "host=10.0.0.9\n");
	assert_string_equal(hunt(&h, "access.log", web),
	                    "1 url https://github.com/IconStorages/images -> "
	                    "https://github.com/IconStorages/images @1680084000000 host=10.0.0.7\n"
	                    "1 domain github.com -> github.com @1680084000000 host=10.0.0.7 "
	                    "(warninglisted)\n");
	hunt_free(&h);
}

static void test_sysmon(void **state)
{
	struct hunt h;
	static const char js[] =
	        "{\"EventID\":22,\"Computer\":\"WS-17.corp\",\"UtcTime\":\"2023-03-29 "
	        "10:00:00.123\","
	        "\"QueryName\":\"journalide.test\",\"Image\":\"C:\\\\Program "
	        "Files\\\\3CX\\\\3CX.exe\"}\n"
	        "{\"EventID\":3,\"Computer\":\"WS-17.corp\",\"UtcTime\":\"2023-03-29 "
	        "10:00:01.000\","
	        "\"DestinationIp\":\"198.51.100.7\",\"DestinationPort\":443}\n"
	        "{\"EventID\":7,\"Computer\":\"WS-17.corp\",\"UtcTime\":\"2023-03-29 "
	        "10:00:02.000\","
	        "\"ImageLoaded\":\"C:\\\\x\\\\ffmpeg.dll\",\"Hashes\":\"MD5="
	        "0123456789ABCDEF0123456789ABCDEF,"
	        "SHA256=AA1111111111111111111111111111111111111111111111111111111111111A\"}\n";
	static const char xml[] =
	        "<Events>\n"
	        "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\n"
	        "  <System>\n"
	        "    <EventID>22</EventID>\n"
	        "    <TimeCreated SystemTime=\"2023-03-29T10:00:00.5000000Z\"/>\n"
	        "    <Computer>WS-18.corp</Computer>\n"
	        "  </System>\n"
	        "  <EventData>\n"
	        "    <Data Name=\"QueryName\">cdn.evil-updates.test</Data>\n"
	        "    <Data Name=\"Url\">https://github.com/IconStorages/images?a=1&amp;b=2</Data>\n"
	        "  </EventData>\n"
	        "</Event>\n"
	        "</Events>\n";

	(void)state;
	hunt_init(&h);
	assert_string_equal(
	        hunt(&h, "sysmon.json", js),
	        "1 domain journalide.test -> journalide.test @1680084000123 "
	        "host=WS-17.corp id=22\n"
	        "2 ipv4 198.51.100.7 -> 198.51.100.7 @1680084001000 host=WS-17.corp id=3\n"
	        "3 md5 0123456789ABCDEF0123456789ABCDEF -> 0123456789abcdef0123456789abcdef"
	        " @1680084002000 host=WS-17.corp id=7\n"
	        "3 sha256 AA1111111111111111111111111111111111111111111111111111111111111A -> "
	        "aa1111111111111111111111111111111111111111111111111111111111111a"
	        " @1680084002000 host=WS-17.corp id=7\n");
	assert_string_equal(
	        hunt(&h, "sysmon.xml", xml),
	        "9 domain cdn.evil-updates.test -> evil-updates.test @1680084000500 "
	        "host=WS-18.corp id=22\n"
	        "10 url https://github.com/IconStorages/images?a=1&amp;b=2 -> "
	        "https://github.com/IconStorages/images @1680084000500 host=WS-18.corp "
	        "id=22\n"
	        "10 domain github.com -> github.com @1680084000500 host=WS-18.corp id=22 "
	        "(warninglisted)\n");
	hunt_free(&h);
}

/* Many chunks over two threads: hits come in order with exact lines and
 * offsets; a line longer than the cap is searched in pieces. */
static void test_chunks_and_long_lines(void **state)
{
	struct hunt h;
	struct cs_log_opts o;
	const size_t nlines = 200000;
	size_t i, len = 0, cap = nlines * 64 + (3u << 20);
	char *big = malloc(cap), *p, expect[4096];
	size_t eo = 0, off_long = 0;

	(void)state;
	assert_non_null(big);
	hunt_init(&h);
	for (i = 1; i <= nlines; i++) {
		if (i % 50000 == 0) {
			eo += (size_t)snprintf(
			        expect + eo, sizeof(expect) - eo,
			        "%zu domain h%zu.evil-updates.test -> evil-updates.test\n", i, i);
			len += (size_t)sprintf(big + len, "line %zu h%zu.evil-updates.test\n", i,
			                       i);
		} else {
			len += (size_t)sprintf(big + len, "line %zu nothing to see here\n", i);
		}
	}
	/* A 3 MB line with a name at its end. */
	off_long = len;
	memset(big + len, 'x', 3u << 20);
	len += 3u << 20;
	p = big + len - 40;
	memcpy(p, " 198.51.100.7 ", 14);
	big[len++] = '\n';
	eo += (size_t)snprintf(expect + eo, sizeof(expect) - eo,
	                       "%zu ipv4 198.51.100.7 -> 198.51.100.7\n", nlines + 1);
	/* Two threads: the reading thread counts each chunk's lines; one:
	 * the chunk is searched where it is read, and its search counts them. */
	for (i = 1; i <= 2; i++) {
		hunt_free(&h);
		hunt_init(&h);
		cs_log_opts_init(&o);
		o.threads = (unsigned)i;
		o.format = "text";
		assert_string_equal(hunt_opts(&h, "big.log", big, len, &o), expect);
		assert_int_equal(h.res.long_lines, 1);
		assert_int_equal(h.res.bytes, len);
		assert_int_equal(h.res.lines, nlines + 1);
	}
	(void)off_long;
	free(big);
	hunt_free(&h);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of `s` in sorted order, in place: the hits of one line come in
 * the order their pieces are searched. */
static char *sort_lines(char *s)
{
	char *v[16], *copy = strdup(s), *p, *save = NULL;
	size_t n = 0, i, o = 0;

	assert_non_null(copy);
	for (p = strtok_r(copy, "\n", &save); p && n < 16; p = strtok_r(NULL, "\n", &save))
		v[n++] = p;
	qsort(v, n, sizeof(v[0]), cmp_str);
	for (i = 0; i < n; i++)
		o += (size_t)sprintf(s + o, "%s\n", v[i]);
	free(copy);
	return s;
}

/* Place `tok` at every offset from `cut - strlen(tok) - 1` to `cut + 1` of
 * a long line (spaces around it, 'x' runs elsewhere) and hunt; return the
 * hits of every placement (sorted), one "offset: hits" block each. The
 * lowest hit offset must be `hit_at` bytes into the token. */
static char *place_and_hunt(struct hunt *h, const char *name, const char *filter, size_t total,
                            size_t cut, const char *tok, size_t hit_at, struct cs_log_opts *o)
{
	size_t tl = strlen(tok), at, cap = 1 << 16, used = 0;
	char *out = malloc(cap), *line = malloc(total + 1);

	assert_non_null(out);
	assert_non_null(line);
	for (at = cut - tl - 1; at <= cut + 1; at++) {
		size_t len = total + 1;
		void *z = NULL;
		char *r;

		memset(line, 'x', total);
		line[total] = '\n';
		line[at - 1] = ' ';
		memcpy(line + at, tok, tl);
		line[at + tl] = ' ';
		if (filter)
			z = compress(filter, line, total + 1, &len);
		r = sort_lines(hunt_opts(h, name, z ? z : line, len, o));
		used += (size_t)snprintf(out + used, cap - used, "%zd: %s", (ssize_t)(at - cut), r);
		assert_true(used < cap);
		assert_int_equal(h->res.long_lines, 1);
		assert_int_equal(h->res.lines, 1);
		if (*r)
			assert_int_equal(h->first_offset, at + hit_at);
		free(z);
	}
	free(line);
	return out;
}

/* The expected blocks: the same hits at every offset. */
static char *expect_blocks(size_t cut, size_t tl, const char *hits)
{
	size_t at, cap = 1 << 16, used = 0;
	char *out = malloc(cap);

	assert_non_null(out);
	out[0] = '\0';
	for (at = cut - tl - 1; at <= cut + 1; at++)
		used += (size_t)snprintf(out + used, cap - used, "%zd: %s", (ssize_t)(at - cut),
		                         hits);
	return out;
}

/* A long line is searched in pieces (cut at the cap, 1 MiB by default,
 * and between chunks, which a long line has every 512 KiB): an indicator across a cut is found once, and
 * a near miss across a cut is not taken for a match, for names, addresses
 * and URLs, plain and gzip, one thread and two. */
static void test_cut_boundaries(void **state)
{
	static const struct {
		const char *tok, *hits;
		size_t hit_at;
	} cases[] = {
	        {"evil-updates.test", "1 domain evil-updates.test -> evil-updates.test\n", 0},
	        {"xevil-updates.test", "", 0},
	        {"evil-updates.testing", "", 0},
	        {"198.51.100.7", "1 ipv4 198.51.100.7 -> 198.51.100.7\n", 0},
	        {"198.51.100.70", "", 0},
	        {"https://github.com/IconStorages/images/raw/x.ico",
	         "1 url https://github.com/IconStorages/images/raw/x.ico -> "
	         "https://github.com/IconStorages/images\n"
	         "1 domain github.com -> github.com (warninglisted)\n",
	         0},
	        {"https://github.com/IconStorages/imagesX",
	         "1 domain github.com -> github.com (warninglisted)\n", 8},
	        {"[2001:db8::bad]:443", "1 ipv6 2001:db8::bad -> 2001:db8::bad\n", 1},
	        {"2001:db8::bade", "", 0},
	        {"ops@evil-updates.test",
	         "1 domain evil-updates.test -> evil-updates.test\n"
	         "1 email ops@evil-updates.test -> ops@evil-updates.test\n",
	         0},
	        {"0123456789abcdef0123456789abcdef",
	         "1 md5 0123456789abcdef0123456789abcdef -> 0123456789abcdef0123456789abcdef\n", 0},
	        {"0123456789abcdef0123456789abcdef0", "", 0},
	};
	const size_t M = (size_t)1 << 20;
	struct hunt h;
	struct cs_log_opts o;
	size_t i;

	(void)state;
	hunt_init(&h);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t tl = strlen(cases[i].tok);
		char *want, *got, hits[512];

		/* The cut between two chunks at 4 MiB (the issue's case; the
		 * line goes on past the chunk and its context). */
		cs_log_opts_init(&o);
		o.threads = 2;
		strcpy(hits, cases[i].hits);
		want = expect_blocks(4 * M, tl, sort_lines(hits));
		got = place_and_hunt(&h, "s4.log", NULL, 4 * M + 262144, 4 * M, cases[i].tok,
		                     cases[i].hit_at, &o);
		assert_string_equal(got, want);
		free(got);
		/* The same in gzip, one thread (a name, its near miss, an
		 * address and a URL). */
		if (i == 0 || i == 1 || i == 3 || i == 5) {
			cs_log_opts_init(&o);
			o.threads = 1;
			got = place_and_hunt(&h, "s4.log.gz", "gzip", 4 * M + 262144, 4 * M,
			                     cases[i].tok, cases[i].hit_at, &o);
			assert_string_equal(got, want);
			free(got);
		}
		free(want);
		/* A cut inside a chunk, at a small cap. */
		cs_log_opts_init(&o);
		o.max_line = 4096;
		o.format = "text";
		want = expect_blocks(3 * 4096, tl, hits);
		got = place_and_hunt(&h, "cap.log", NULL, 20000, 3 * 4096, cases[i].tok,
		                     cases[i].hit_at, &o);
		assert_string_equal(got, want);
		free(got);
		free(want);
	}
	hunt_free(&h);
}

/* A hit far into a long line (in a later chunk than the line's start)
 * has the time and host of the line's start, and --since/--until see
 * that time. */
static void test_long_line_time(void **state)
{
	const size_t M = (size_t)1 << 20, n = 9 * M;
	static const char head[] = "2023-03-29T10:00:00Z gw01 proxy: ";
	struct hunt h;
	struct cs_log_opts o;
	char *line = malloc(n + 128);
	size_t len;

	(void)state;
	assert_non_null(line);
	hunt_init(&h);
	memcpy(line, head, sizeof(head) - 1);
	memset(line + sizeof(head) - 1, 'x', n);
	memcpy(line + 6 * M, " evil-updates.test ", 19);
	len = sizeof(head) - 1 + n;
	len += (size_t)snprintf(line + len, 128, "%s",
	                        "\n2023-03-29T10:00:05Z gw02 proxy: 198.51.100.7\n");
	cs_log_opts_init(&o);
	o.format = "syslog";
	o.threads = 2;
	assert_string_equal(hunt_opts(&h, "long.log", line, len, &o),
	                    "1 domain evil-updates.test -> evil-updates.test @1680084000000 "
	                    "host=gw01\n"
	                    "2 ipv4 198.51.100.7 -> 198.51.100.7 @1680084005000 host=gw02\n");
	cs_log_opts_init(&o);
	o.format = "syslog";
	o.since_ms = T0 + 1000;
	assert_string_equal(hunt_opts(&h, "long.log", line, len, &o),
	                    "2 ipv4 198.51.100.7 -> 198.51.100.7 @1680084005000 host=gw02\n");
	assert_int_equal(h.res.filtered, 1);
	free(line);
	hunt_free(&h);
}

/* Every hit with its offset, sorted, for comparing two searches. */
struct rec {
	char *v[4096];
	size_t n;
};

static int on_rec(void *ud, const struct cs_log_hit *x)
{
	struct rec *r = ud;
	char buf[1600];

	snprintf(buf, sizeof(buf), "%llu %llu %s %s", (unsigned long long)x->line,
	         (unsigned long long)x->offset, cs_indicator_value(x->indicator), x->matched);
	assert_true(r->n < 4096);
	r->v[r->n] = strdup(buf);
	assert_non_null(r->v[r->n]);
	r->n++;
	return 0;
}

static void rec_hunt(struct hunt *h, struct rec *r, const char *text, size_t len, size_t cap,
                     unsigned threads)
{
	struct cs_log_opts o;

	cs_log_opts_init(&o);
	o.format = "text";
	o.max_line = cap;
	o.threads = threads;
	o.on_hit = on_rec;
	o.userdata = r;
	r->n = 0;
	assert_int_equal(cs_log_scan_mem(h->m, "mix.log", text, len, &o, &h->res), CS_OK);
	qsort(r->v, r->n, sizeof(r->v[0]), cmp_str);
}

/* Long lines of indicators, near misses and filler joined by assorted
 * separators: searched whole and in pieces of several caps (cuts at every
 * kind of place), the hits are the same, with the same offsets. */
static void test_pieces_same_as_whole(void **state)
{
	static const char *const words[] = {"evil-updates.test",
	                                    "cdn.evil-updates.test",
	                                    "xevil-updates.test",
	                                    "evil-updates.testing",
	                                    "198.51.100.7",
	                                    "198.51.100.70",
	                                    "203.0.113.9",
	                                    "[2001:db8::bad]:80",
	                                    "2001:db8:ff::1",
	                                    "2001:db8::bade",
	                                    "ops@evil-updates.test",
	                                    "https://github.com/IconStorages/images/raw/a",
	                                    "https://github.com/IconStoragesX",
	                                    "0123456789abcdef0123456789abcdef",
	                                    "0123456789abcdef0123456789abcdefa",
	                                    "journalide.test",
	                                    "filler",
	                                    "x",
	                                    "---",
	                                    "...",
	                                    "a.b",
	                                    "12345"};
	static const char seps[] = " ./-:@\"\t,;=";
	const size_t nlines = 12, cap = 16 << 20;
	struct hunt h;
	struct rec whole, part;
	char *text = malloc(cap);
	size_t len = 0, l, i, k;
	static const size_t caps[] = {4096, 5000, 777, 64};
	unsigned seed = 12345;

	(void)state;
	assert_non_null(text);
	hunt_init(&h);
	/* A name inside a run of name characters longer than the context
	 * shown (here "x---...---evil-updates.test" and its mirror) is no
	 * name, also where a piece sees only the end of the run. */
	for (k = 0; k < 2; k++) {
		size_t n = 0, at = 3 * 4096;

		memset(text, ' ', 40000);
		if (k == 0) {
			text[100] = 'x';
			memset(text + 101, '-', at - 101);
			memcpy(text + at, "evil-updates.test", 17);
		} else {
			memcpy(text + at, "evil-updates.test", 17);
			memset(text + at + 17, '-', 20000);
			text[at + 20017] = 'x';
		}
		text[40000] = '\n';
		rec_hunt(&h, &part, text, 40001, 4096, 1);
		assert_int_equal(part.n, n);
		rec_hunt(&h, &part, text, 40001, 0, 1);
		assert_int_equal(part.n, n);
	}
	/* The random lines. */
	len = 0;
	for (l = 0; l < nlines; l++) {
		size_t target = 2000 + (size_t)(rand_r(&seed) % 60000);
		size_t start = len;

		while (len - start < target) {
			const char *w = words[rand_r(&seed) % (sizeof(words) / sizeof(words[0]))];

			len += (size_t)sprintf(text + len, "%s%c", w,
			                       seps[rand_r(&seed) % (sizeof(seps) - 1)]);
		}
		text[len++] = '\n';
	}
	rec_hunt(&h, &whole, text, len, 0, 1);
	assert_true(whole.n > 100);
	for (k = 0; k < sizeof(caps) / sizeof(caps[0]); k++) {
		rec_hunt(&h, &part, text, len, caps[k], k % 2 ? 2 : 1);
		assert_int_equal(part.n, whole.n);
		for (i = 0; i < whole.n; i++)
			assert_string_equal(part.v[i], whole.v[i]);
		for (i = 0; i < part.n; i++)
			free(part.v[i]);
	}
	for (i = 0; i < whole.n; i++)
		free(whole.v[i]);
	free(text);
	hunt_free(&h);
}

/* A log truncated between two reads is changed-while-read: what was read
 * is searched, the file counts as not read to the end. One that grows
 * (a live log) is not. */
struct shrink {
	int calls;
	off_t to;   /* truncate to this... */
	int append; /* ...or append a line */
};

static void shrink_after_read(void *ud, int fd, uint64_t raw)
{
	struct shrink *s = ud;
	char path[64];
	FILE *f;

	(void)raw;
	if (s->calls++ != 0)
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (s->append) {
		f = fopen(path, "a");
		assert_non_null(f);
		fputs("appended line with journalide.test\n", f);
		fclose(f);
	} else {
		assert_int_equal(truncate(path, s->to), 0);
	}
}

/* A hit that cannot be recorded (no memory) ends the hunt with that
 * error, in a short line and in a line searched in pieces, on one thread
 * and on two: never "no hits" for a chunk whose search stopped. */
static void test_hit_record_fails(void **state)
{
	struct hunt h;
	struct cs_log_opts o;
	struct cs__log_test t;
	struct cs_log_result r;
	char *log;
	size_t n = 0, k, cap = 64 << 10;
	unsigned th, longline;

	(void)state;
	hunt_init(&h);
	log = malloc(cap);
	assert_non_null(log);
	for (longline = 0; longline < 2; longline++) {
		n = 0;
		for (k = 0; k < 200; k++)
			n += (size_t)snprintf(log + n, cap - n, "line %zu nothing here\n", k);
		if (longline) {
			memset(log + n, 'x', 9000);
			n += 9000;
		}
		n += (size_t)snprintf(log + n, cap - n, " seen evil-updates.test\nlast line\n");
		for (th = 1; th <= 2; th++) {
			memset(&t, 0, sizeof(t));
			t.hit_fails = CS_ERR_NOMEM;
			cs_log_opts_init(&o);
			o.threads = th;
			o.max_line = 4096;
			o.on_hit = on_hit;
			o.on_diag = cs_test_diag_cb;
			o.userdata = &h;
			memset(&r, 0, sizeof(r));
			assert_int_equal(cs__log_scan_mem_test(h.m, "a.log", log, n, &o, &t, &r),
			                 CS_ERR_NOMEM);
			/* Without the fault, the same log has its hit. */
			t.hit_fails = 0;
			assert_int_equal(cs__log_scan_mem_test(h.m, "a.log", log, n, &o, &t, &r),
			                 CS_OK);
			assert_int_equal(r.hits, 1);
		}
	}
	free(log);
	hunt_free(&h);
}

static void test_changed_while_read(void **state)
{
	char dir[] = "/tmp/cs-logs-XXXXXX", path[128];
	const char *paths[1] = {path};
	struct hunt h;
	struct cs_log_opts o;
	struct shrink sh;
	struct cs__log_test t = {shrink_after_read, &sh, 0, 0};
	FILE *f;
	size_t k;
	int mode;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/app.log", dir);
	hunt_init(&h);
	for (mode = 0; mode < 3; mode++) {
		f = fopen(path, "w");
		assert_non_null(f);
		fputs("first line names evil-updates.test\n", f);
		for (k = 0; k < 20000; k++)
			fprintf(f, "line %zu nothing to see here\n", k);
		fclose(f);
		memset(&sh, 0, sizeof(sh));
		sh.to = mode == 0 ? 1000 : 0;
		sh.append = mode == 2;
		cs_log_opts_init(&o);
		o.threads = 1;
		o.on_hit = on_hit;
		o.on_diag = cs_test_diag_cb;
		o.userdata = &h;
		h.o = 0;
		h.out[0] = '\0';
		memset(&h.d, 0, sizeof(h.d));
		assert_int_equal(cs__log_scan_test(h.m, paths, 1, &o, &t, &h.res), CS_OK);
		assert_true(sh.calls > 0);
		assert_string_equal(
		        h.out, mode == 2 ? "1 domain evil-updates.test -> evil-updates.test\n"
		                           "20002 domain journalide.test -> journalide.test\n"
		                         : "1 domain evil-updates.test -> evil-updates.test\n");
		assert_int_equal(h.res.files_failed, mode == 2 ? 0 : 1);
		assert_int_equal(h.res.incomplete, mode == 2 ? 0 : 1);
		assert_int_equal(cs_test_diags_have(&h.d, "changed while being read"), mode != 2);
	}
	unlink(path);
	rmdir(dir);
	hunt_free(&h);
}

static void test_filters(void **state)
{
	struct hunt h;
	struct cs_log_opts o;

	(void)state;
	hunt_init(&h);
	cs_log_opts_init(&o);
	o.since_ms = T0 + 3000;
	o.until_ms = T0 + 5000;
	assert_string_equal(hunt_opts(&h, "plain.log", plain, sizeof(plain) - 1, &o),
	                    "4 ipv4 198.51.100.7 -> 198.51.100.7 @1680084003000\n"
	                    "4 ipv4 203.0.113.99 -> 203.0.113.0/24 @1680084003000\n"
	                    "5 ipv6 2001:db8::bad -> 2001:db8::bad @1680084004000\n"
	                    "5 ipv6 2001:db8:ff:1::2 -> 2001:db8:ff::/48 @1680084004000\n"
	                    "6 url https://user:pw@github.com:443/IconStorages/images/raw/main/"
	                    "icon12.ico -> https://github.com/IconStorages/images @1680084005000\n"
	                    "6 domain github.com -> github.com @1680084005000 (warninglisted)\n");
	assert_int_equal(h.res.filtered, 7);
	/* Zone-less stamps in the zone given. */
	cs_log_opts_init(&o);
	o.tz_minutes = 120;
	assert_string_equal(hunt_opts(&h, "x.log", "2023-03-29 12:00:00 journalide.test\n", 36, &o),
	                    "1 domain journalide.test -> journalide.test @1680084000000\n");
	hunt_free(&h);
}

/* The interrupt flag and the time limit stop the hunt: what is left is
 * counted and the result is incomplete. */
static void test_stop(void **state)
{
	struct hunt h;
	struct cs_log_opts o;
	volatile int flag = 1;

	(void)state;
	hunt_init(&h);
	cs_log_opts_init(&o);
	o.interrupt = &flag;
	hunt_opts(&h, "plain.log", plain, strlen(plain), &o);
	assert_int_equal(h.res.stopped, CS_COV_INTERRUPTED);
	assert_int_equal(h.res.files_stopped, 1);
	assert_int_equal(h.res.hits, 0);
	assert_int_equal(h.res.incomplete, 1);
	cs_log_opts_init(&o);
	o.max_runtime = 1e-9;
	hunt_opts(&h, "plain.log", plain, strlen(plain), &o);
	assert_int_equal(h.res.stopped, CS_COV_TIME_LIMIT);
	assert_int_equal(h.res.incomplete, 1);
	flag = 0;
	cs_log_opts_init(&o);
	o.interrupt = &flag;
	hunt_opts(&h, "plain.log", plain, strlen(plain), &o);
	assert_int_equal(h.res.stopped, 0);
	assert_int_equal(h.res.hits, 13);
	assert_int_equal(h.res.incomplete, 0);
	hunt_free(&h);
}

static void test_times(void **state)
{
	int64_t ms;

	(void)state;
	assert_int_equal(cs__time_any("1680084000", 10, 2023, 0, &ms), 0);
	assert_int_equal(ms, T0);
	assert_int_equal(cs__time_any("1680084000123", 13, 2023, 0, &ms), 0);
	assert_int_equal(ms, T0 + 123);
	assert_int_equal(cs__time_any("29/Mar/2023:10:00:00 +0000", 26, 2023, 0, &ms), 0);
	assert_int_equal(ms, T0);
	assert_int_equal(cs__time_any("3/29/2023 10:00:00 AM", 21, 2023, 0, &ms), 0);
	assert_int_equal(ms, T0);
	assert_int_equal(cs__time_any("3/29/2023 12:00:00 PM", 21, 2023, 120, &ms), 0);
	assert_int_equal(ms, T0);
	assert_int_equal(cs__time_any("2023-03-29T10:00:00.5-05:00", 27, 2023, 0, &ms), 0);
	assert_int_equal(ms, T0 + 5 * 3600000 + 500);
	assert_int_not_equal(cs__time_any("2023-13-29T10:00:00Z", 20, 2023, 0, &ms), 0);
	assert_int_not_equal(cs__time_any("hello", 5, 2023, 0, &ms), 0);
	assert_int_not_equal(cs__time_any("12345", 5, 2023, 0, &ms), 0);
}

/*
 * cs__logsrc_skip on a plain file (the offset moves, the buffer first), on
 * a pipe (read and dropped) and on memory: the next read continues at the
 * right byte, a skip past the end is short, and every byte counts as taken
 * from the input.
 */
static void test_logsrc_skip(void **state)
{
	enum { N = 200000 };
	char path[] = "/tmp/cs-skip-XXXXXX";
	unsigned char *data = malloc(N), got[16];
	struct cs__logsrc *s;
	int fd, k, pfd[2], eof;
	size_t i;

	(void)state;
	assert_non_null(data);
	for (i = 0; i < N; i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, N), N);
	for (k = 0; k < 3; k++) {
		if (k == 0) {
			assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
			s = cs__logsrc_fd(fd, NULL);
		} else if (k == 1) {
			assert_int_equal(pipe(pfd), 0);
			if (fork() == 0) {
				close(pfd[0]);
				_exit(write(pfd[1], data, N) == N ? 0 : 1);
			}
			close(pfd[1]);
			s = cs__logsrc_fd(pfd[0], NULL);
		} else {
			s = cs__logsrc_mem(data, N);
		}
		assert_non_null(s);
		assert_int_equal(cs__logsrc_peek(s, got, 8), 8);
		assert_int_equal(cs__logsrc_skip(s, 3), 3);
		assert_int_equal(cs__logsrc_read(s, got, 5), 5);
		assert_memory_equal(got, data + 3, 5);
		assert_int_equal(cs__logsrc_skip(s, 150000), 150000);
		assert_int_equal(cs__logsrc_read(s, got, 16), 16);
		assert_memory_equal(got, data + 150008, 16);
		assert_int_equal(cs__logsrc_skip(s, 1000), 1000);
		assert_int_equal(cs__logsrc_read(s, got, 4), 4);
		assert_memory_equal(got, data + 151024, 4);
		assert_int_equal(cs__logsrc_skip(s, N), N - 151028);
		assert_int_equal(cs__logsrc_read(s, got, 4), 0);
		assert_int_equal(cs__logsrc_raw(s, &eof), N);
		cs__logsrc_free(s);
		if (k == 1) {
			close(pfd[0]);
			wait(NULL);
		}
	}
	close(fd);
	unlink(path);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_plain),
	        cmocka_unit_test(test_compressed),
	        cmocka_unit_test(test_syslog),
	        cmocka_unit_test(test_json),
	        cmocka_unit_test(test_zeek),
	        cmocka_unit_test(test_csv_web),
	        cmocka_unit_test(test_sysmon),
	        cmocka_unit_test(test_chunks_and_long_lines),
	        cmocka_unit_test(test_filters),
	        cmocka_unit_test(test_times),
	        cmocka_unit_test(test_damaged_tail),
	        cmocka_unit_test(test_cut_boundaries),
	        cmocka_unit_test(test_pieces_same_as_whole),
	        cmocka_unit_test(test_long_line_time),
	        cmocka_unit_test(test_changed_while_read),
	        cmocka_unit_test(test_hit_record_fails),
	        cmocka_unit_test(test_stop),
	        cmocka_unit_test(test_logsrc_skip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The log hunt's start-up snapshot (lib/match/tsnap.c): a hunt from the
 * snapshot reports exactly what a hunt with the intel loaded first
 * reports, on crafted logs of every format and near misses; the intel is
 * loaded only when a line may hit; a different stamp finds nothing; a
 * damaged or truncated entry is refused and deleted, a damaged payload
 * never trusted.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include "chainsweep/logs.h"
#include "match/match_int.h"
#include "testutil.h"
#include "textmatch_intel.h"

static const char wl_json[] = "{\"name\":\"Code hosting\",\"type\":\"hostname\","
                              "\"list\":[\"github.com\"]}";

static struct cs_intel *make_intel(const char *extra)
{
	struct cs_import_stats st;
	struct cs_intel *in = cs_intel_new();

	assert_non_null(in);
	assert_int_equal(cs_intel_set_format(in, "csv"), CS_OK);
	assert_int_equal(cs_intel_import_mem(in, "intel.csv", tm_intel_csv,
	                                     sizeof(tm_intel_csv) - 1, &st),
	                 CS_OK);
	if (extra)
		assert_int_equal(cs_intel_import_mem(in, "more.csv", extra, strlen(extra), &st),
		                 CS_OK);
	assert_int_equal(cs_intel_set_format(in, "warninglist"), CS_OK);
	assert_int_equal(cs_intel_import_mem(in, "wl.json", wl_json, sizeof(wl_json) - 1, &st),
	                 CS_OK);
	assert_int_equal(cs_intel_finalize(in), CS_OK);
	return in;
}

struct loader {
	const char *extra;
	unsigned calls;
	int fail;
};

static int load(void *ud, struct cs_intel **out)
{
	struct loader *l = ud;

	l->calls++;
	if (l->fail)
		return CS_ERR_DB;
	*out = make_intel(l->extra);
	return CS_OK;
}

struct out {
	char text[65536];
	size_t n;
};

static int on_hit(void *ud, const struct cs_log_hit *h)
{
	struct out *o = ud;

	o->n += (size_t)snprintf(
	        o->text + o->n, sizeof(o->text) - o->n, "%llu@%llu %s %s -> %s %s%s t=%d:%lld h=%s\n",
	        (unsigned long long)h->line, (unsigned long long)h->offset, h->format,
	        cs_kind_name(h->observed), cs_kind_name(cs_indicator_kind(h->indicator)),
	        cs_indicator_value(h->indicator),
	        cs_indicator_flags(h->indicator) & CS_IND_WARNLISTED ? " (wl)" : "", h->has_time,
	        (long long)h->time_ms, h->host ? h->host : "-");
	assert_true(o->n < sizeof(o->text) - 512);
	return 0;
}

static int scan(const struct cs_matcher *m, const char *name, const char *text, struct out *o)
{
	struct cs_log_opts opts;
	struct cs_log_result res;

	memset(o, 0, sizeof(*o));
	cs_log_opts_init(&opts);
	opts.threads = 2;
	opts.on_hit = on_hit;
	opts.userdata = o;
	return cs_log_scan_mem(m, name, text, strlen(text), &opts, &res);
}

/* Crafted logs of each format: hits of every kind and near misses. */
static const struct {
	const char *name, *text;
	int hits;
} logs[] = {
        {"plain.log",
         "2023-03-29 10:00:00 resolved cdn.evil-domain.com to 198.51.100.7\n"
         "near: notevil-domain.com evil-domain.com.example.org 198.51.100.70 1198.51.100.7\n"
         "net 203.0.113.200 and 10.20.255.1 and 100.127.0.1; not 203.0.114.1\n"
         "v6 [2001:db8::bad]:443 2001:db8:ff:1::9 not 2001:db8:fe::1\n"
         "md5 0123456789ABCDEF0123456789ABCDEF sha1 00112233445566778899aabbccddeeff00112233\n"
         "mail from Boss@Mail.Example.org and ops@evil-domain.com, not xops@evil-domain.com\n"
         "get https://github.com/IconStorages/images/x.png and "
         "https://github.com/IconStorages/imagesX\n",
         1},
        {"syslog", "<13>Mar 29 10:00:00 ws-17 dnsmasq[811]: query[A] a.b.evil.co.uk from 10.0.0.5\n"
                   "Mar  9 10:00:01 ws-18 proxy: CONNECT 127.0.0.66:443\n"
                   "Mar  9 10:00:02 ws-18 proxy: CONNECT b.evil.co.uk:443\n",
         1},
        {"app.jsonl",
         "{\"ts\":1680084000.5,\"host\":{\"name\":\"ws-17\"},\"url\":\"https:\\/\\/github.com"
         "\\/IconStorages\\/images\\/a\"}\n"
         "{\"@timestamp\":\"2023-03-29T10:00:01Z\",\"hostname\":\"ws-18\","
         "\"dns\":{\"query\":\"x.bad-cdn.net\"},\"note\":\"x1.test\"}\n"
         "{\"broken\": \"198.51.100.7\"\n",
         1},
        {"dns.log", "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tquery\n"
                    "#types\ttime\tstring\taddr\tstring\n"
                    "1680084000.250000\tCx1\t10.0.0.5\tcdn.bad-cdn.net\n"
                    "1680084001.000000\tCx2\t10.0.0.6\tnotbad-cdn.net\n"
                    "1680084002.000000\tCx3\t2001:db8::1\t1.2.3.example\n",
         1},
        {"proxy.csv", "timestamp,src_ip,action,url\n"
                      "2023-03-29 10:00:00,10.0.0.9,allow,\"http://192.0.2.10/payload.bin\"\n"
                      "2023-03-29 10:00:01,10.0.0.9,allow,http://intranet/drop?id=7\n"
                      "2023-03-29 10:00:02,10.0.0.9,allow,http://intranet/drop?id=8\n",
         1},
        {"access.log",
         "10.0.0.7 - - [29/Mar/2023:12:00:00 +0200] \"GET /x HTTP/1.1\" 200 12 "
         "\"https://files.example.net:8443/a/b/c\" \"curl/8\"\n"
         "10.0.0.7 - - [29/Mar/2023:12:00:01 +0200] \"GET /x HTTP/1.1\" 200 12 "
         "\"https://files.example.net:8443/a/bc\" \"curl/8\"\n",
         1},
        {"events.xml", "<Event><System><EventID>3</EventID><Computer>WS-1</Computer>"
                       "<TimeCreated SystemTime=\"2023-03-29T10:00:00.000Z\"/></System>"
                       "<EventData><Data Name=\"DestinationIp\">10.20.1.1</Data>"
                       "<Data Name=\"DestinationHostname\">root@10.9.8.7</Data>"
                       "</EventData></Event>\n",
         1},
        {"quiet.log", "nothing here: example.org 192.0.2.1 localhostx deadbeef\n"
                      "almost: evil-domain.co 2001:db8:fe::1 aa111111111111111111\n",
         0},
};

static void test_same_hits(void **state)
{
	char *dir = cs_test_tmpdir();
	struct cs_intel *in = make_intel(NULL);
	struct cs_matcher *full = NULL, *snap = NULL;
	struct loader l = {NULL, 0, 0};
	struct out a, b;
	size_t i;

	(void)state;
	assert_int_equal(cs_matcher_new(in, NULL, NULL, &full), CS_OK);
	assert_int_equal(cs_matcher_snapshot_put(full, dir, "stamp-1"), CS_OK);
	for (i = 0; i < CS_ARRAY_SIZE(logs); i++) {
		/* A fresh matcher each time: the load happens in this log. */
		assert_int_equal(cs_matcher_from_snapshot(dir, "stamp-1", load, &l, &snap), CS_OK);
		assert_null(cs_matcher_intel(snap));
		l.calls = 0;
		assert_int_equal(scan(full, logs[i].name, logs[i].text, &a), CS_OK);
		assert_int_equal(scan(snap, logs[i].name, logs[i].text, &b), CS_OK);
		assert_string_equal(a.text, b.text);
		if (logs[i].hits) {
			assert_true(a.n > 0);
			assert_int_equal(l.calls, 1);
			assert_non_null(cs_matcher_intel(snap));
		} else {
			assert_int_equal(a.n, 0);
			assert_int_equal(l.calls, 0); /* nothing could hit: never loaded */
		}
		/* Once loaded, the same matcher answers the same again. */
		assert_int_equal(scan(snap, logs[i].name, logs[i].text, &b), CS_OK);
		assert_string_equal(a.text, b.text);
		cs_matcher_free(snap);
		snap = NULL;
	}
	cs_matcher_free(full);
	cs_intel_free(in);
	cs_test_rmtree(dir);
	free(dir);
}

/* Random lines of intel values, their neighbours and noise, through both
 * matchers (the differential the fuzz target does on its inputs). */
static void test_same_hits_random(void **state)
{
	static const char *const words[] = {
	        "evil-domain.com", "xevil-domain.com", "a.b.evil.co.uk", "b.evil.co.uk",
	        "bad-cdn.net", "x1.test", "localhost", "1.2.3.example", "127.0.0.66",
	        "198.51.100.7", "198.51.100.70", "203.0.113.9", "10.20.3.4", "100.64.9.9",
	        "2001:db8::bad", "2001:db8:ff::1", "https://github.com/IconStorages/images/z",
	        "http://192.0.2.10/payload.bin", "0123456789abcdef0123456789abcdef",
	        "ops@evil-domain.com", "boss@mail.example.org", "root@10.9.8.7", "github.com",
	        "example.org", "-", ",", "\"", " ", "=", "::", "/", "@", "."};
	char *dir = cs_test_tmpdir(), *text = malloc(1 << 16);
	struct cs_intel *in = make_intel(NULL);
	struct cs_matcher *full = NULL, *snap = NULL;
	struct loader l = {NULL, 0, 0};
	struct out *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	int round;

	(void)state;
	assert_non_null(text);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(cs_matcher_new(in, NULL, NULL, &full), CS_OK);
	assert_int_equal(cs_matcher_snapshot_put(full, dir, "stamp-r"), CS_OK);
	for (round = 0; round < 40; round++) {
		size_t n = 0, k;

		for (k = 0; k < 200; k++) {
			const char *w;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			w = words[x % CS_ARRAY_SIZE(words)];
			n += (size_t)snprintf(text + n, (1 << 16) - n, "%s%s", w,
			                      (x >> 20) % 7 == 0 ? "\n" : (x >> 24) % 2 ? " " : "");
		}
		assert_int_equal(cs_matcher_from_snapshot(dir, "stamp-r", load, &l, &snap), CS_OK);
		assert_int_equal(scan(full, "r.log", text, a), CS_OK);
		assert_int_equal(scan(snap, "r.log", text, b), CS_OK);
		assert_string_equal(a->text, b->text);
		cs_matcher_free(snap);
	}
	cs_matcher_free(full);
	cs_intel_free(in);
	cs_test_rmtree(dir);
	free(dir);
	free(text);
	free(a);
	free(b);
}

/* More intel under a new stamp is a new snapshot that holds it; the old
 * stamp's snapshot is not it. */
static void test_stamp(void **state)
{
	static const char more[] = "type,value\ndomain,new-one.example\n";
	char *dir = cs_test_tmpdir();
	struct cs_intel *in = make_intel(NULL), *in2 = make_intel(more);
	struct cs_matcher *full = NULL, *snap = NULL;
	struct loader l = {more, 0, 0};
	struct out o;

	(void)state;
	assert_int_equal(cs_matcher_new(in, NULL, NULL, &full), CS_OK);
	assert_int_equal(cs_matcher_snapshot_put(full, dir, "v1"), CS_OK);
	cs_matcher_free(full);
	assert_int_equal(cs_matcher_from_snapshot(dir, "v2", load, &l, &snap), CS_ERR_NOTFOUND);
	assert_null(snap);
	assert_int_equal(cs_matcher_new(in2, NULL, NULL, &full), CS_OK);
	assert_int_equal(cs_matcher_snapshot_put(full, dir, "v2"), CS_OK);
	cs_matcher_free(full);
	assert_int_equal(cs_matcher_from_snapshot(dir, "v2", load, &l, &snap), CS_OK);
	assert_int_equal(scan(snap, "a.log", "seen www.new-one.example today\n", &o), CS_OK);
	assert_non_null(strstr(o.text, "domain -> domain new-one.example"));
	cs_matcher_free(snap);
	/* A failed load stops the hunt with the loader's error, and the
	 * matcher stays failed (it is not tried again). */
	l.fail = 1;
	l.calls = 0;
	assert_int_equal(cs_matcher_from_snapshot(dir, "v2", load, &l, &snap), CS_OK);
	assert_int_equal(scan(snap, "a.log", "seen www.new-one.example today\n", &o), CS_ERR_DB);
	assert_int_equal(o.n, 0);
	assert_int_equal(scan(snap, "b.log", "seen new-one.example\n", &o), CS_ERR_DB);
	assert_int_equal(l.calls, 1);
	cs_matcher_free(snap);
	/* Intel that needs compiling first has no snapshot. */
	{
		struct cs_import_stats st;
		struct cs_intel *y = make_intel(NULL);
		static const char rule[] = "rule r { strings: $a = \"x\" condition: $a }\n";

		assert_int_equal(cs_intel_set_format(y, "yara"), CS_OK);
		assert_int_equal(cs_intel_import_mem(y, "r.yar", rule, sizeof(rule) - 1, &st),
		                 CS_OK);
		assert_int_equal(cs_intel_finalize(y), CS_OK);
		assert_int_equal(cs_matcher_new(y, NULL, NULL, &full), CS_OK);
		assert_int_equal(cs_matcher_snapshot_put(full, dir, "v3"), CS_ERR_UNSUPPORTED);
		cs_matcher_free(full);
		cs_intel_free(y);
	}
	cs_intel_free(in);
	cs_intel_free(in2);
	cs_test_rmtree(dir);
	free(dir);
}

/* The one entry in `dir`, as a path (caller frees). */
static char *the_entry(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char *path = NULL;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "tsnap-", 6) != 0)
			continue;
		assert_null(path);
		path = malloc(strlen(dir) + strlen(de->d_name) + 2);
		sprintf(path, "%s/%s", dir, de->d_name);
	}
	closedir(d);
	assert_non_null(path);
	return path;
}

static void test_damaged_entry(void **state)
{
	char *dir = cs_test_tmpdir(), *path;
	struct cs_intel *in = make_intel(NULL);
	struct cs_matcher *full = NULL, *snap = NULL;
	struct loader l = {NULL, 0, 0};
	struct stat st;
	int fd, step;

	(void)state;
	assert_int_equal(cs_matcher_new(in, NULL, NULL, &full), CS_OK);
	for (step = 0; step < 3; step++) {
		assert_int_equal(cs_matcher_snapshot_put(full, dir, "s"), CS_OK);
		path = the_entry(dir);
		assert_int_equal(stat(path, &st), 0);
		fd = open(path, O_RDWR);
		assert_true(fd >= 0);
		if (step == 0) {
			assert_int_equal(ftruncate(fd, st.st_size / 2), 0); /* truncated */
		} else if (step == 1) {
			unsigned char c;

			/* One byte of the payload flipped: the checksum fails. */
			assert_int_equal(pread(fd, &c, 1, st.st_size - 100), 1);
			c ^= 0x40;
			assert_int_equal(pwrite(fd, &c, 1, st.st_size - 100), 1);
		} else {
			assert_int_equal(ftruncate(fd, st.st_size + 8), 0); /* grown */
		}
		close(fd);
		assert_int_equal(cs_matcher_from_snapshot(dir, "s", load, &l, &snap),
		                 CS_ERR_PARSE);
		assert_null(snap);
		assert_int_not_equal(access(path, F_OK), 0); /* deleted */
		free(path);
	}
	cs_matcher_free(full);
	cs_intel_free(in);
	cs_test_rmtree(dir);
	free(dir);
}

/* Hostile payloads (what the fuzz target feeds): every prefix of a good
 * payload, and each byte of its head changed, are refused or parsed
 * without harm. The good one parses. */
static void test_hostile_payload(void **state)
{
	char *dir = cs_test_tmpdir(), *path;
	struct cs_intel *in = make_intel(NULL);
	struct cs_matcher *full = NULL;
	unsigned char *buf, *p;
	struct stat st;
	size_t n, i;
	FILE *f;

	(void)state;
	assert_int_equal(cs_matcher_new(in, NULL, NULL, &full), CS_OK);
	assert_int_equal(cs_matcher_snapshot_put(full, dir, "h"), CS_OK);
	path = the_entry(dir);
	assert_int_equal(stat(path, &st), 0);
	buf = malloc((size_t)st.st_size);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(buf, 1, (size_t)st.st_size, f), (size_t)st.st_size);
	fclose(f);
	p = buf + 88; /* the cache entry's head (mcache.c), no meta */
	n = (size_t)st.st_size - 88;
	assert_int_equal(cs__tsnap_check(p, n), CS_OK);
	for (i = 0; i < n; i += i < 512 ? 1 : 4093)
		assert_int_equal(cs__tsnap_check(p, i), CS_ERR_PARSE);
	for (i = 0; i < 512 && i < n; i++) {
		unsigned char keep = p[i];

		p[i] ^= 0xff;
		(void)cs__tsnap_check(p, n);
		p[i] = 0x7f;
		(void)cs__tsnap_check(p, n);
		p[i] = keep;
	}
	free(buf);
	free(path);
	cs_matcher_free(full);
	cs_intel_free(in);
	cs_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_same_hits),     cmocka_unit_test(test_same_hits_random),
	        cmocka_unit_test(test_stamp),         cmocka_unit_test(test_damaged_entry),
	        cmocka_unit_test(test_hostile_payload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

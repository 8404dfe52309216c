/*
 * The report writers (lib/report): a small case built in code (a file
 * finding with digests, log contacts with times, an installed version, a
 * warninglisted address, a YARA match, a file without any time whose path
 * holds "<script>" and non-ASCII text, a clean host, an incomplete sweep),
 * each writer's output checked for its structure and content, and the
 * STIX bundle and MISP event imported back through the public API.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <jansson.h>

#include "testutil.h"

#include "chainsweep/correlate.h"
#include "chainsweep/report.h"
#include "core/core_int.h"

#define SHA256 "a60a61bf844bc181d4540c9fac53203250a982e7c3ad6153869f01e19cc36203"
#define SHA1   "bf939c9c261d27ee7bb92325cc588624fca75429"
#define MD5    "74bc2d0b6680faa1a5a76b27e5479cbc"
#define EVIL   "/home/zo\xc3\xab/<script>alert('x')</script>/\xc3\xa9vil.dll"

static int64_t ms(const char *t)
{
	int64_t s = 0;

	assert_int_equal(cs__parse_time(t, strlen(t), &s), CS_OK);
	return s * 1000;
}

static const char *const l_3cx[] = {"campaign:3CX-2023", "actor:UNC4736"};
static const char *const l_dns[] = {"campaign:3CX-2023", "actor:UNC4736", "tag:dns"};
static const char *const l_sw[] = {"campaign:3CX-2023"};
static const char *const l_jc[] = {"campaign:JumpCloud-2023", "actor:UNC4899"};
static const char *const l_yara[] = {"malware:ICONIC", "campaign:3CX-2023",
                                     "galaxy:sector=Finance"};
static const char *const gaps2[] = {"denied 3", "archive-encrypted 1"};

struct fixture {
	struct cs_finding_rec f[7];
	struct cs_incident_window w[3];
	struct cs_host_coverage h[4];
	struct cs_report r;
};

static struct fixture *fixture(void)
{
	struct fixture *x = calloc(1, sizeof(*x));
	struct cs_finding_rec *f = x->f;

	assert_non_null(x);
	/* 0: a trojanized DLL by its hash */
	f[0] = (struct cs_finding_rec){CS_FIND_FILE,
	                               "ws-01",
	                               "hash",
	                               "/opt/3CXDesktopApp/ffmpeg.dll",
	                               SHA256,
	                               "sha256",
	                               SHA256,
	                               l_3cx,
	                               2,
	                               "intel/3cx.stix.json:12",
	                               0,
	                               80,
	                               ms("2023-03-22T10:15:00Z"),
	                               ms("2023-03-22T10:15:00Z"),
	                               1,
	                               SHA256,
	                               SHA1,
	                               MD5, NULL};
	/* 1: DNS contacts to a listed domain, with times */
	f[1] = (struct cs_finding_rec){CS_FIND_LOG,
	                               "ws-01",
	                               "log",
	                               "/var/log/dns.log:12",
	                               "cdn.msstorageboxes.com",
	                               "domain",
	                               "msstorageboxes.com",
	                               l_dns,
	                               3,
	                               "intel/3cx.stix.json:40",
	                               0,
	                               80,
	                               ms("2023-03-23T08:00:00Z"),
	                               ms("2023-03-29T17:30:00Z"),
	                               14,
	                               NULL,
	                               NULL,
	                               NULL, NULL};
	/* 2: the affected version installed */
	f[2] = (struct cs_finding_rec){CS_FIND_SOFTWARE,
	                               "ws-02",
	                               "version",
	                               "dpkg:/var/lib/dpkg/status",
	                               "3CX DesktopApp 18.12.416",
	                               "product-version",
	                               "3CX|3CX DesktopApp|Windows|18.12.416",
	                               l_sw,
	                               1,
	                               "intel/versions.csv:3",
	                               0,
	                               -1,
	                               ms("2023-03-10T09:00:00Z"),
	                               ms("2023-03-10T09:00:00Z"),
	                               1,
	                               NULL,
	                               NULL,
	                               NULL, NULL};
	/* 3: a warninglisted address in a proxy log */
	f[3] = (struct cs_finding_rec){CS_FIND_LOG,
	                               "ws-02",
	                               "log",
	                               "/var/log/squid/access.log:7",
	                               "8.8.8.8",
	                               "ipv4",
	                               "8.8.8.8",
	                               l_jc,
	                               2,
	                               "intel/jc.misp.json",
	                               1,
	                               30,
	                               ms("2023-06-21T12:00:00Z"),
	                               ms("2023-06-22T12:00:00Z"),
	                               2,
	                               NULL,
	                               NULL,
	                               NULL, NULL};
	/* 4: a file with no time whose path holds markup and non-ASCII text */
	f[4] = (struct cs_finding_rec){CS_FIND_FILE,
	                               "ws-03",
	                               "name",
	                               EVIL,
	                               "\xc3\xa9vil.dll",
	                               "filename",
	                               "\xc3\xa9vil.dll",
	                               NULL,
	                               0,
	                               NULL,
	                               0,
	                               -1,
	                               0,
	                               0,
	                               1,
	                               NULL,
	                               NULL,
	                               NULL, NULL};
	/* 5: a URL contact */
	f[5] = (struct cs_finding_rec){CS_FIND_LOG,
	                               "ws-01",
	                               "log",
	                               "/var/log/squid/access.log:99",
	                               "https://github.com/IconStorages/images/raw/a.ico",
	                               "url",
	                               "https://github.com/IconStorages/images",
	                               l_3cx,
	                               2,
	                               NULL,
	                               0,
	                               80,
	                               ms("2023-03-24T01:02:03Z") + 456,
	                               ms("2023-03-24T01:02:03Z") + 456,
	                               1,
	                               NULL,
	                               NULL,
	                               NULL, NULL};
	/* 6: a YARA match on a file */
	f[6] = (struct cs_finding_rec){
	        CS_FIND_FILE,
	        "ws-01",
	        "yara",
	        "/tmp/x/payload.bin",
	        "ICONIC_Stealer",
	        "yara-rule",
	        "ICONIC_Stealer",
	        l_yara,
	        3,
	        "rules/3cx.yar:1",
	        0,
	        -1,
	        ms("2023-03-25T00:00:00Z"),
	        ms("2023-03-25T00:00:00Z"),
	        1,
	        "0000000000000000000000000000000000000000000000000000000000000001",
	        NULL,
	        NULL, NULL};
	x->w[0] = (struct cs_incident_window){"3CX-2023", ms("2023-03-01"), ms("2023-04-30")};
	x->w[1] = (struct cs_incident_window){"JumpCloud-2023", ms("2023-06-20"), ms("2023-07-31")};
	x->w[2] = (struct cs_incident_window){"Unused-2020", ms("2020-01-01"), ms("2020-02-01")};
	x->h[0] = (struct cs_host_coverage){
	        "ws-01", ms("2024-01-10T10:00:00Z"), 1200, 1190, 3, 50000, 900, NULL, 0, 0, 7, 1234};
	x->h[1] = (struct cs_host_coverage){
	        "ws-02", ms("2024-01-10T10:05:00Z"), 800, 700, 2, 1000, 300, gaps2, 2, 1, 7, 1234};
	x->h[2] = (struct cs_host_coverage){
	        "ws-03", ms("2024-01-10T10:07:00Z"), 10, 10, 0, 0, 0, NULL, 0, 0, 7, 1234};
	x->h[3] = (struct cs_host_coverage){
	        "clean-04", ms("2024-01-10T10:09:00Z"), 99, 99, 1, 10, 5, NULL, 0, 0, 6, 1200000};
	x->r = (struct cs_report){.title = "Case 42 <3CX>",
	                          .generated_ms = ms("2024-01-10T11:00:00Z"),
	                          .tool_version = "0.1.0",
	                          .intel_version = 7,
	                          .intel_indicators = 1234,
	                          .findings = x->f,
	                          .nfindings = CS_ARRAY_SIZE(x->f),
	                          .windows = x->w,
	                          .nwindows = CS_ARRAY_SIZE(x->w),
	                          .hosts = x->h,
	                          .nhosts = CS_ARRAY_SIZE(x->h)};
	return x;
}

/* The output of one writer, NUL-terminated. Caller frees. */
static char *render(int (*fn)(FILE *, const struct cs_report *), const struct cs_report *r,
                    size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);

	assert_non_null(m);
	assert_int_equal(fn(m, r), CS_OK);
	assert_int_equal(fclose(m), 0);
	if (len)
		*len = n;
	return buf;
}

/* With CS_TEST_REPORT_DIR set, the fixture's outputs are kept there
 * (report.html, report.jsonl, report.stix.json, report.misp.json) to be
 * looked at or rendered in a browser. */
static void keep(const char *name, const char *data)
{
	const char *dir = getenv("CS_TEST_REPORT_DIR");

	if (dir && *dir)
		free(cs_test_write(dir, name, data, strlen(data)));
}

/* A copy of s without the line-break hints (<wbr/>) paths are written
 * with. Caller frees. */
static char *no_wbr(const char *s)
{
	char *c = strdup(s), *p;

	assert_non_null(c);
	while ((p = strstr(c, "<wbr/>")))
		memmove(p, p + 6, strlen(p + 6) + 1);
	return c;
}

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;

	for (; (hay = strstr(hay, needle)); hay += strlen(needle))
		n++;
	return n;
}

/* ---------------------------------------------------------------- JSONL */

static void test_jsonl(void **state)
{
	struct fixture *x = fixture();
	char *out = render(cs_report_jsonl, &x->r, NULL), *line, *save = NULL;
	size_t nf = 0, nh = 0, nr = 0;

	(void)state;
	keep("report.jsonl", out);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_error_t err;
		json_t *o = json_loads(line, 0, &err);
		const char *rec;

		assert_non_null(o);
		assert_string_equal(json_string_value(json_object_get(o, "schema")),
		                    CS_FINDINGS_SCHEMA);
		rec = json_string_value(json_object_get(o, "record"));
		assert_non_null(rec);
		if (strcmp(rec, "finding") == 0) {
			const struct cs_finding_rec *f = &x->f[nf++];

			assert_string_equal(json_string_value(json_object_get(o, "host")), f->host);
			assert_string_equal(json_string_value(json_object_get(o, "location")),
			                    f->location);
			assert_string_equal(
			        json_string_value(json_object_get(o, "indicator_value")),
			        f->ind_value);
			assert_int_equal(json_array_size(json_object_get(o, "labels")), f->nlabels);
			assert_int_equal(json_integer_value(json_object_get(o, "count")), f->count);
			assert_true(json_is_boolean(json_object_get(o, "warninglisted")));
			assert_int_equal(json_is_true(json_object_get(o, "warninglisted")),
			                 f->warninglisted);
			/* absent, not null */
			assert_int_equal(json_object_get(o, "first_seen") != NULL,
			                 f->first_seen_ms != 0);
			assert_int_equal(json_object_get(o, "confidence") != NULL,
			                 f->confidence >= 0);
			assert_int_equal(json_object_get(o, "sha1") != NULL, f->sha1 != NULL);
			assert_null(json_object_get(o, "md5") && !f->md5 ? o : NULL);
			if (nf == 1) {
				assert_string_equal(json_string_value(json_object_get(o, "kind")),
				                    "file");
				assert_string_equal(json_string_value(json_object_get(o, "sha256")),
				                    SHA256);
				assert_string_equal(
				        json_string_value(json_object_get(o, "first_seen")),
				        "2023-03-22T10:15:00Z");
				assert_int_equal(
				        json_integer_value(json_object_get(o, "confidence")), 80);
			}
			if (nf == 6)
				assert_string_equal(
				        json_string_value(json_object_get(o, "first_seen")),
				        "2023-03-24T01:02:03.456Z");
		} else if (strcmp(rec, "host") == 0) {
			assert_int_equal(nf, CS_ARRAY_SIZE(x->f)); /* findings come first */
			assert_string_equal(json_string_value(json_object_get(o, "host")),
			                    x->h[nh].host);
			assert_int_equal(json_integer_value(json_object_get(o, "files")),
			                 x->h[nh].files);
			assert_int_equal(json_is_true(json_object_get(o, "incomplete")),
			                 x->h[nh].incomplete);
			assert_int_equal(json_array_size(json_object_get(o, "gaps")),
			                 x->h[nh].ngaps);
			assert_int_equal(json_integer_value(json_object_get(o, "findings")),
			                 nh == 0   ? 4
			                 : nh == 3 ? 0
			                 : nh == 1 ? 2
			                           : 1);
			nh++;
		} else {
			assert_string_equal(rec, "report");
			assert_true(json_is_true(json_object_get(o, "hit")));
			assert_int_equal(json_integer_value(json_object_get(o, "findings")), 7);
			assert_int_equal(json_integer_value(json_object_get(o, "indicators")), 7);
			assert_int_equal(
			        json_integer_value(json_object_get(o, "hosts_with_findings")), 3);
			assert_int_equal(json_integer_value(json_object_get(o, "hosts_incomplete")),
			                 1);
			assert_int_equal(json_integer_value(json_object_get(
			                         json_object_get(o, "by_kind"), "file")),
			                 3);
			assert_int_equal(json_array_size(json_object_get(o, "windows")), 3);
			assert_string_equal(json_string_value(json_object_get(o, "title")),
			                    "Case 42 <3CX>");
			nr++;
		}
		json_decref(o);
	}
	assert_int_equal(nf, 7);
	assert_int_equal(nh, 4);
	assert_int_equal(nr, 1);
	free(out);
	free(x);
}

/* ----------------------------------------------------------------- HTML */

static int is_void(const char *name, size_t n)
{
	static const char *const v[] = {"meta", "br", "hr", "img", "input", "link", "col", "wbr"};
	size_t i;

	for (i = 0; i < CS_ARRAY_SIZE(v); i++) {
		if (strlen(v[i]) == n && memcmp(v[i], name, n) == 0)
			return 1;
	}
	return 0;
}

/* Every element closed, in order: a small tag-stack check (the page is
 * also well-formed XML, checked with xmllint when it is installed). */
static void check_balanced(const char *p)
{
	const char *stack[256];
	size_t len[256], depth = 0;

	while ((p = strchr(p, '<'))) {
		const char *name, *end = strchr(p, '>');
		size_t n;

		assert_non_null(end);
		if (p[1] == '!') {
			p = end + 1;
			continue;
		}
		if (p[1] == '/') {
			name = p + 2;
			n = strcspn(name, " >");
			assert_true(depth > 0);
			depth--;
			if (len[depth] != n || memcmp(stack[depth], name, n) != 0)
				fail_msg("</%.*s> closes <%.*s>", (int)n, name, (int)len[depth],
				         stack[depth]);
		} else {
			name = p + 1;
			n = strcspn(name, " >/\n");
			assert_true(n > 0);
			if (end[-1] != '/' && !is_void(name, n)) {
				assert_true(depth < CS_ARRAY_SIZE(stack));
				stack[depth] = name;
				len[depth++] = n;
			}
			if (n == 5 && memcmp(name, "style", 5) == 0) {
				end = strstr(end, "</style>");
				assert_non_null(end);
				end--;
			}
		}
		p = end + 1;
	}
	assert_int_equal(depth, 0);
}

static void test_html(void **state)
{
	struct fixture *x = fixture();
	char *out = render(cs_report_html, &x->r, NULL);
	const char *p, *tl;
	size_t i;

	(void)state;
	keep("report.html", out);
	assert_true(strncmp(out, "<!DOCTYPE html>", 15) == 0);
	check_balanced(out);
	/* nothing loaded from elsewhere, nothing run */
	assert_null(strstr(out, "<script"));
	assert_null(strstr(out, "<SCRIPT"));
	assert_null(strstr(out, "src="));
	assert_null(strstr(out, "url("));
	assert_null(strstr(out, "@import"));
	for (p = out; (p = strstr(p, "href=")); p++)
		assert_true(strncmp(p, "href=\"#", 7) == 0);
	/* escaped: the path with markup (a line may break after each
	 * separator), the title */
	assert_non_null(strstr(out, "/<wbr/>home/<wbr/>zo\xc3\xab/<wbr/>&lt;script&gt;alert(&#39;"
	                            "x&#39;)&lt;/<wbr/>script&gt;/<wbr/>\xc3\xa9vil.dll"));
	assert_non_null(strstr(out, "<title>Case 42 &lt;3CX&gt;</title>"));
	/* summary in plain words */
	assert_non_null(strstr(out, "<strong>Hit.</strong> 7 findings on 3 of 4 hosts: ws-01, "
	                            "ws-02, ws-03."));
	assert_non_null(strstr(out, "<li>3 files"));
	assert_non_null(strstr(out, "<li>3 contacts in logs</li>"));
	assert_non_null(strstr(out, "<li>1 affected software version installed</li>"));
	assert_non_null(strstr(out, "<li><strong>3CX-2023</strong>: 5 findings on 2 hosts "
	                            "(ws-01, ws-02); actor UNC4736; first seen "
	                            "2023-03-10T09:00:00Z, last seen 2023-03-29T17:30:00Z. "
	                            "Compromise window 2023-03-01T00:00:00Z to "
	                            "2023-04-30T00:00:00Z: every contact with a time falls "
	                            "inside it.</li>"));
	assert_non_null(strstr(out, "<strong>JumpCloud-2023</strong>: 1 finding on 1 host"));
	assert_non_null(strstr(out, "1 finding names no incident."));
	assert_non_null(strstr(out, "No findings on: clean-04, checked against intel version 6 "
	                            "(1,200,000 indicators)."));
	assert_non_null(strstr(out, "the case holds intel version 7 (1,234 indicators)"));
	/* every finding a row that unfolds, its whole location inside */
	assert_int_equal(count_of(out, "<details class=\"finding"), CS_ARRAY_SIZE(x->f));
	assert_int_equal(count_of(out, "<time class=\"when\""), CS_ARRAY_SIZE(x->f));
	{
		char *plain = no_wbr(strstr(out, "<section id=\"findings\">"));

		*strstr(plain, "</section>") = '\0';
		for (i = 0; i < CS_ARRAY_SIZE(x->f); i++) {
			if (!strchr(x->f[i].location, '<'))
				assert_non_null(strstr(plain, x->f[i].location));
		}
		free(plain);
	}
	assert_int_equal(count_of(out, "<details class=\"finding wl\">"), 1);
	assert_non_null(strstr(out, "<span class=\"badge wl\">warninglisted</span>"));
	assert_non_null(strstr(out, "<time class=\"when\" datetime=\"2023-03-23T08:00:00Z\">"
	                            "2023-03-23 08:00<span class=\"to\">to 2023-03-29 17:30</span>"
	                            "<span class=\"cnt\">seen 14 times</span></time>"));
	/* a product version keeps its version in sight; a hash keeps both ends */
	assert_non_null(strstr(out, "<span class=\"mono\">3CX DesktopApp 18.12.416 (Windows)"));
	assert_non_null(strstr(out, ">sha256 a60a61bf844bc1\xe2\x80\xa6" "ad6153869f01e19cc36203<"));
	/* timeline: a lane per host with a timed finding, a mark per finding
	 * with a time, the two incidents the findings name with their edges
	 * ticked, not the window no finding names */
	tl = strstr(out, "<section id=\"timeline\">");
	assert_non_null(tl);
	assert_null(strstr(out, "<svg"));
	assert_null(strstr(out, "Unused-2020"));
	assert_int_equal(count_of(tl, "<div class=\"track wrow\">"), 2);
	assert_int_equal(count_of(tl, "<div class=\"lname\">ws-"), 2);
	assert_int_equal(count_of(tl, "<span class=\"mk "), 6);
	assert_non_null(strstr(tl, "<span class=\"tk l\" style=\"left:0%\">2023-02-23</span>"));
	assert_non_null(strstr(tl, "<span class=\"tk r\" style=\"right:0%\">2023-08-06</span>"));
	assert_non_null(strstr(tl, "\">3CX-2023 2023-03-01</span>"));
	assert_non_null(strstr(tl, "\">3CX-2023 2023-04-30</span>"));
	assert_non_null(strstr(tl, "\">JumpCloud-2023 2023-06-20</span>"));
	assert_non_null(strstr(tl, "\">JumpCloud-2023 2023-07-31</span>"));
	assert_non_null(strstr(out, "<h3>No time</h3>"));
	assert_non_null(strstr(out, "\xc3\xa9vil.dll</span>: no time; host ws-03"));
	/* coverage, with the intel each sweep checked against */
	assert_non_null(strstr(out, "<span class=\"badge inc\">INCOMPLETE</span></td>"));
	assert_non_null(strstr(out, "denied 3<br/>archive-encrypted 1"));
	assert_non_null(strstr(out, "<td data-l=\"Intel\">version 6<br/><small>1,200,000 "
	                            "indicators</small></td>"));
	assert_int_equal(count_of(out, "<span class=\"badge ok\">complete</span>"), 3);

	if (system("command -v xmllint >/dev/null 2>&1") == 0) {
		char *dir = cs_test_tmpdir(), *path, cmd[4096];

		path = cs_test_write(dir, "report.html", out, strlen(out));
		snprintf(cmd, sizeof(cmd), "xmllint --noout '%s'", path);
		assert_int_equal(system(cmd), 0);
		free(path);
		cs_test_rmtree(dir);
		free(dir);
	} else {
		print_message("xmllint not installed: tag-stack check only\n");
	}
	free(out);
	free(x);
}

/* ----------------------------------------------------------------- STIX */

static json_t *by_id(json_t *objs, const char *id)
{
	size_t i;
	json_t *o;

	json_array_foreach(objs, i, o)
	{
		if (strcmp(json_string_value(json_object_get(o, "id")), id) == 0)
			return o;
	}
	return NULL;
}

static size_t count_type(json_t *objs, const char *type)
{
	size_t i, n = 0;
	json_t *o;

	json_array_foreach(objs, i, o)
	{
		n += strcmp(json_string_value(json_object_get(o, "type")), type) == 0;
	}
	return n;
}

static json_t *indicator_of(json_t *objs, const char *pattern)
{
	size_t i;
	json_t *o;

	json_array_foreach(objs, i, o)
	{
		const char *p = json_string_value(json_object_get(o, "pattern"));

		if (p && strcmp(p, pattern) == 0)
			return o;
	}
	fail_msg("no indicator with pattern %s", pattern);
	return NULL;
}

static void test_stix(void **state)
{
	static const char *const sco[] = {"file",      "directory", "domain-name", "ipv4-addr",
	                                  "ipv6-addr", "url",       "email-addr",  "software"};
	struct fixture *x = fixture();
	char *out = render(cs_report_stix, &x->r, NULL), *again;
	json_error_t err;
	json_t *b = json_loads(out, 0, &err), *objs, *o, *v;
	size_t i, j;

	(void)state;
	keep("report.stix.json", out);
	assert_non_null(b);
	assert_string_equal(json_string_value(json_object_get(b, "type")), "bundle");
	assert_true(strncmp(json_string_value(json_object_get(b, "id")), "bundle--", 8) == 0);
	objs = json_object_get(b, "objects");
	assert_int_equal(count_type(objs, "indicator"), 7);
	assert_int_equal(count_type(objs, "sighting"), 7);
	assert_int_equal(count_type(objs, "observed-data"), 7);
	assert_int_equal(count_type(objs, "identity"), 4); /* chainsweep and 3 hosts */
	assert_int_equal(count_type(objs, "campaign"), 2);
	assert_int_equal(count_type(objs, "intrusion-set"), 2);
	assert_int_equal(count_type(objs, "malware"), 1);
	/* required properties of each type, and references that resolve */
	json_array_foreach(objs, i, o)
	{
		const char *type = json_string_value(json_object_get(o, "type"));
		const char *id = json_string_value(json_object_get(o, "id"));
		int is_sco = 0;

		assert_non_null(type);
		assert_non_null(id);
		assert_true(strncmp(id, type, strlen(type)) == 0 &&
		            strncmp(id + strlen(type), "--", 2) == 0);
		assert_int_equal(strlen(id + strlen(type) + 2), 36);
		assert_int_equal(id[strlen(type) + 2 + 14], '5'); /* UUIDv5 */
		assert_string_equal(json_string_value(json_object_get(o, "spec_version")), "2.1");
		for (j = 0; j < CS_ARRAY_SIZE(sco); j++)
			is_sco |= strcmp(type, sco[j]) == 0;
		if (!is_sco) {
			assert_non_null(json_string_value(json_object_get(o, "created")));
			assert_non_null(json_string_value(json_object_get(o, "modified")));
			assert_string_equal(json_string_value(json_object_get(o, "created")),
			                    "2024-01-10T11:00:00.000Z");
		}
		if (strcmp(type, "identity") == 0) {
			assert_string_equal(json_string_value(json_object_get(o, "identity_class")),
			                    "system");
			assert_non_null(json_string_value(json_object_get(o, "name")));
		} else if (strcmp(type, "indicator") == 0) {
			assert_non_null(json_string_value(json_object_get(o, "pattern")));
			assert_non_null(json_string_value(json_object_get(o, "pattern_type")));
			assert_non_null(json_string_value(json_object_get(o, "valid_from")));
			assert_non_null(by_id(
			        objs, json_string_value(json_object_get(o, "created_by_ref"))));
		} else if (strcmp(type, "relationship") == 0) {
			assert_string_equal(
			        json_string_value(json_object_get(o, "relationship_type")),
			        "indicates");
			assert_non_null(
			        by_id(objs, json_string_value(json_object_get(o, "source_ref"))));
			assert_non_null(
			        by_id(objs, json_string_value(json_object_get(o, "target_ref"))));
		} else if (strcmp(type, "observed-data") == 0) {
			assert_non_null(json_string_value(json_object_get(o, "first_observed")));
			assert_non_null(json_string_value(json_object_get(o, "last_observed")));
			assert_true(json_integer_value(json_object_get(o, "number_observed")) >= 1);
			assert_true(json_array_size(json_object_get(o, "object_refs")) >= 1);
			json_array_foreach(json_object_get(o, "object_refs"), j, v)
			{
				assert_non_null(by_id(objs, json_string_value(v)));
			}
		} else if (strcmp(type, "sighting") == 0) {
			json_t *ind = by_id(
			        objs, json_string_value(json_object_get(o, "sighting_of_ref")));
			json_t *where = json_array_get(json_object_get(o, "where_sighted_refs"), 0);

			assert_non_null(ind);
			assert_string_equal(json_string_value(json_object_get(ind, "type")),
			                    "indicator");
			assert_non_null(
			        by_id(objs, json_string_value(json_array_get(
			                            json_object_get(o, "observed_data_refs"), 0))));
			assert_non_null(by_id(objs, json_string_value(where)));
			assert_true(json_is_integer(json_object_get(o, "count")));
		} else if (strcmp(type, "campaign") == 0 &&
		           strcmp(json_string_value(json_object_get(o, "name")), "3CX-2023") == 0) {
			assert_string_equal(json_string_value(json_object_get(o, "first_seen")),
			                    "2023-03-01T00:00:00.000Z");
		} else if (strcmp(type, "malware") == 0) {
			assert_true(json_is_true(json_object_get(o, "is_family")));
		}
	}
	/* patterns per kind */
	o = indicator_of(objs, "[file:hashes.'SHA-256' = '" SHA256 "']");
	assert_string_equal(json_string_value(json_object_get(o, "valid_from")),
	                    "2023-03-22T10:15:00.000Z");
	assert_int_equal(json_integer_value(json_object_get(o, "confidence")), 80);
	indicator_of(objs, "[domain-name:value = 'msstorageboxes.com']");
	indicator_of(objs, "[ipv4-addr:value = '8.8.8.8']");
	indicator_of(objs, "[url:value = 'https://github.com/IconStorages/images']");
	indicator_of(objs, "[file:name = '\xc3\xa9vil.dll']");
	indicator_of(objs, "[software:name = '3CX DesktopApp' AND software:version = '18.12.416' "
	                   "AND software:vendor = '3CX' AND software:x_platform = 'Windows']");
	o = indicator_of(objs, "[domain-name:value = 'msstorageboxes.com']");
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "labels"), 0)),
	                    "dns");
	/* the file observed with its digests and directory */
	assert_non_null(strstr(out, "\"SHA-1\": \"" SHA1 "\""));
	assert_non_null(strstr(out, "\"path\": \"/opt/3CXDesktopApp\""));
	assert_non_null(strstr(out, "\"value\": \"cdn.msstorageboxes.com\""));
	assert_non_null(strstr(out, "\"vendor\": \"3CX\""));
	/* the same report gives the same bundle */
	again = render(cs_report_stix, &x->r, NULL);
	assert_string_equal(out, again);
	free(again);
	json_decref(b);
	free(out);
	free(x);
}

static const struct cs_indicator *must_label(const struct cs_intel *in, enum cs_kind kind,
                                             const char *value, const char *label)
{
	const struct cs_indicator *ind = cs_test_must_find(in, kind, value);

	if (!cs_test_has_label(in, ind, label))
		fail_msg("%s has no label %s", value, label);
	return ind;
}

static void test_stix_round_trip(void **state)
{
	struct fixture *x = fixture();
	size_t len;
	char *out = render(cs_report_stix, &x->r, &len);
	struct cs_test_import *f = cs_test_import_mem("stix", out, len);
	const struct cs_indicator *ind;

	(void)state;
	assert_int_equal(f->rc, CS_OK);
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_SHA256), 1);
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_DOMAIN), 1);
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_IPV4), 1);
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_URL), 1);
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_FILENAME), 1);
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_YARA_RULE), 1);
	/* the software pattern comes back as the product-version it was */
	cs_test_must_find(f->in, CS_KIND_PRODUCT_VERSION, "3CX|3CX DesktopApp|Windows|18.12.416");
	assert_int_equal(cs_intel_count(f->in), 7);
	assert_int_equal(f->st.rejected, 0);
	ind = must_label(f->in, CS_KIND_SHA256, SHA256, "campaign:3CX-2023");
	assert_true(cs_test_has_label(f->in, ind, "actor:UNC4736"));
	assert_int_equal(cs_indicator_label_count(ind), 2);
	assert_int_equal(cs_indicator_confidence(ind), 80);
	ind = must_label(f->in, CS_KIND_DOMAIN, "msstorageboxes.com", "tag:dns");
	assert_true(cs_test_has_label(f->in, ind, "campaign:3CX-2023"));
	assert_true(cs_test_has_label(f->in, ind, "actor:UNC4736"));
	assert_int_equal(cs_indicator_label_count(ind), 3);
	ind = must_label(f->in, CS_KIND_IPV4, "8.8.8.8", "campaign:JumpCloud-2023");
	assert_true(cs_test_has_label(f->in, ind, "actor:UNC4899"));
	must_label(f->in, CS_KIND_URL, "https://github.com/IconStorages/images",
	           "campaign:3CX-2023");
	ind = must_label(f->in, CS_KIND_YARA_RULE, "ICONIC_Stealer", "malware:ICONIC");
	assert_true(cs_test_has_label(f->in, ind, "campaign:3CX-2023"));
	assert_true(cs_test_has_label(f->in, ind, "galaxy:sector=Finance"));
	assert_int_equal(cs_indicator_label_count(ind), 3);
	ind = cs_test_must_find(f->in, CS_KIND_FILENAME, "\xc3\xa9vil.dll");
	assert_int_equal(cs_indicator_label_count(ind), 0);
	/* what was seen is reported, not imported */
	assert_true(cs_test_diags_have(f->d, "7 sightings"));
	cs_test_import_free(f);
	free(out);
	free(x);
}

/* Every form of a product-version list reads back exactly as written: a
 * list of exact versions as STIX's own software:version (= or IN), ranges,
 * '*' and unusual separators through x_chainsweep_versions. */
static void test_stix_software_round_trip(void **state)
{
	static const char *const values[] = {
	        "3CX|3CX DesktopApp|windows|18.12.407,18.12.416",
	        "3CX|3CX DesktopApp|windows|18.12.416",
	        "3CX|3CX DesktopApp|windows|>=18.12.407 <18.12.422",
	        "3CX|3CX DesktopApp||18.12.407, 18.12.416",
	        "|X_TRADER||*",
	        "Trading Technologies|X_TRADER|windows|7.17.90p608,<7.0",
	};
	static const char *const patterns[] = {
	        "software:version IN ('18.12.407', '18.12.416')",
	        "software:version = '18.12.416'",
	        "software:x_chainsweep_versions = '>=18.12.407 <18.12.422'",
	        "software:x_chainsweep_versions = '18.12.407, 18.12.416'",
	        "software:x_chainsweep_versions = '*'",
	        "software:x_chainsweep_versions = '7.17.90p608,<7.0'",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		struct fixture *x = fixture();
		struct cs_test_import *f;
		size_t len;
		char *out;

		x->f[2].ind_value = values[i];
		out = render(cs_report_stix, &x->r, &len);
		if (!strstr(out, patterns[i]))
			fail_msg("%s: no %s in the bundle", values[i], patterns[i]);
		f = cs_test_import_mem("stix", out, len);
		assert_int_equal(f->rc, CS_OK);
		assert_int_equal(f->st.rejected, 0);
		assert_int_equal(cs_test_count_kind(f->in, CS_KIND_PRODUCT_VERSION), 1);
		cs_test_must_find(f->in, CS_KIND_PRODUCT_VERSION, values[i]);
		cs_test_import_free(f);
		free(out);
		free(x);
	}
}

/* ----------------------------------------------------------------- MISP */

static json_t *attr_of(json_t *attrs, const char *type)
{
	size_t i;
	json_t *a;

	json_array_foreach(attrs, i, a)
	{
		if (strcmp(json_string_value(json_object_get(a, "type")), type) == 0)
			return a;
	}
	fail_msg("no %s attribute", type);
	return NULL;
}

static int has_tag(json_t *tags, const char *name)
{
	size_t i;
	json_t *t;

	json_array_foreach(tags, i, t)
	{
		if (strcmp(json_string_value(json_object_get(t, "name")), name) == 0)
			return 1;
	}
	return 0;
}

static void test_misp(void **state)
{
	struct fixture *x = fixture();
	char *out = render(cs_report_misp, &x->r, NULL), *again;
	json_error_t err;
	json_t *root = json_loads(out, 0, &err), *ev, *attrs, *a;

	(void)state;
	keep("report.misp.json", out);
	assert_non_null(root);
	ev = json_object_get(root, "Event");
	assert_string_equal(json_string_value(json_object_get(ev, "info")), "Case 42 <3CX>");
	assert_string_equal(json_string_value(json_object_get(ev, "date")), "2024-01-10");
	assert_string_equal(json_string_value(json_object_get(ev, "threat_level_id")), "1");
	assert_non_null(json_string_value(json_object_get(ev, "analysis")));
	assert_int_equal(strlen(json_string_value(json_object_get(ev, "uuid"))), 36);
	/* no label is on every indicator: the event's tag list is empty */
	assert_int_equal(json_array_size(json_object_get(ev, "Tag")), 0);
	attrs = json_object_get(ev, "Attribute");
	assert_int_equal(json_array_size(attrs), 7);
	a = attr_of(attrs, "sha256");
	assert_string_equal(json_string_value(json_object_get(a, "value")), SHA256);
	assert_true(json_is_true(json_object_get(a, "to_ids")));
	assert_true(has_tag(json_object_get(a, "Tag"), "campaign:3CX-2023"));
	assert_true(has_tag(json_object_get(a, "Tag"), "misp-galaxy:threat-actor=\"UNC4736\""));
	assert_non_null(strstr(json_string_value(json_object_get(a, "comment")),
	                       "first seen 2023-03-22T10:15:00Z"));
	assert_non_null(strstr(json_string_value(json_object_get(a, "comment")), "ws-01"));
	assert_int_equal(json_array_size(json_object_get(a, "Sighting")), 1);
	a = attr_of(attrs, "ip-dst");
	assert_false(json_is_true(json_object_get(a, "to_ids"))); /* warninglisted */
	assert_non_null(strstr(json_string_value(json_object_get(a, "comment")), "warninglisted"));
	a = attr_of(attrs, "domain");
	assert_true(has_tag(json_object_get(a, "Tag"), "dns"));
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(json_object_get(a, "Sighting"), 0), "source")),
	                    "ws-01");
	attr_of(attrs, "url");
	attr_of(attrs, "filename");
	a = attr_of(attrs, "yara");
	assert_true(has_tag(json_object_get(a, "Tag"), "misp-galaxy:malpedia=\"ICONIC\""));
	a = attr_of(attrs, "text");
	assert_false(json_is_true(json_object_get(a, "to_ids")));
	again = render(cs_report_misp, &x->r, NULL);
	assert_string_equal(out, again);
	free(again);
	json_decref(root);
	free(out);
	free(x);
}

static void test_misp_round_trip(void **state)
{
	struct fixture *x = fixture();
	size_t len;
	char *out = render(cs_report_misp, &x->r, &len);
	struct cs_test_import *f = cs_test_import_mem("misp", out, len);
	const struct cs_indicator *ind;

	(void)state;
	assert_int_equal(f->rc, CS_OK);
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_SHA256), 1);
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_DOMAIN), 1);
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_IPV4), 1);
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_URL), 1);
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_FILENAME), 1);
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_YARA_RULE), 1);
	assert_int_equal(cs_intel_count(f->in), 6);
	/* the product version is a text note MISP has no type for */
	assert_int_equal(cs_test_rejects(f->in, "unsupported-type"), 1);
	/* actor and malware labels come back as they were; a campaign label
	 * as a plain tag, since no MISP galaxy maps to campaign: */
	ind = must_label(f->in, CS_KIND_SHA256, SHA256, "actor:UNC4736");
	assert_true(cs_test_has_label(f->in, ind, "tag:campaign:3CX-2023"));
	assert_true(cs_test_has_label(f->in, ind, "event:Case 42 <3CX>"));
	assert_true((cs_indicator_flags(ind) & CS_IND_DETECT) != 0);
	ind = must_label(f->in, CS_KIND_DOMAIN, "msstorageboxes.com", "tag:dns");
	assert_true(cs_test_has_label(f->in, ind, "actor:UNC4736"));
	ind = must_label(f->in, CS_KIND_IPV4, "8.8.8.8", "actor:UNC4899");
	assert_true((cs_indicator_flags(ind) & CS_IND_DETECT) == 0);
	ind = must_label(f->in, CS_KIND_YARA_RULE, "ICONIC_Stealer", "malware:ICONIC");
	assert_true(cs_test_has_label(f->in, ind, "galaxy:sector=Finance"));
	must_label(f->in, CS_KIND_URL, "https://github.com/IconStorages/images", "actor:UNC4736");
	cs_test_import_free(f);
	free(out);
	free(x);
}

/* A label every indicator carries goes on the event, and still reads
 * back on each. */
static void test_misp_shared_tags(void **state)
{
	static const char *const l[] = {"campaign:X", "tag:tlp:amber"};
	struct cs_finding_rec f[2] = {
	        {CS_FIND_LOG, "h", "log", "a.log:1", "evil.example", "domain", "evil.example", l, 2,
	         NULL, 0, -1, 0, 0, 1, NULL, NULL, NULL, NULL},
	        {CS_FIND_LOG, "h", "log", "a.log:2", "203.0.113.9", "ipv4", "203.0.113.9", l, 2,
	         NULL, 0, -1, 0, 0, 1, NULL, NULL, NULL, NULL},
	};
	struct cs_report r = {.title = "shared", .generated_ms = 1700000000000, .findings = f, .nfindings = 2};
	size_t len;
	char *out = render(cs_report_misp, &r, &len);
	json_t *root = json_loads(out, 0, NULL), *ev = json_object_get(root, "Event");
	struct cs_test_import *t;
	const struct cs_indicator *ind;

	(void)state;
	assert_true(has_tag(json_object_get(ev, "Tag"), "campaign:X"));
	assert_true(has_tag(json_object_get(ev, "Tag"), "tlp:amber"));
	assert_null(json_object_get(json_array_get(json_object_get(ev, "Attribute"), 0), "Tag"));
	t = cs_test_import_mem("misp", out, len);
	ind = must_label(t->in, CS_KIND_IPV4, "203.0.113.9", "tag:tlp:amber");
	assert_true(cs_test_has_label(t->in, ind, "tag:campaign:X"));
	cs_test_import_free(t);
	json_decref(root);
	free(out);
}

/* ------------------------------------------------------- edges, errors */

static void test_empty_report(void **state)
{
	struct cs_report r;
	char *out;

	(void)state;
	memset(&r, 0, sizeof(r));
	out = render(cs_report_html, &r, NULL);
	assert_non_null(strstr(out, "<strong>Nothing found</strong> on 0 hosts swept."));
	assert_non_null(strstr(out, "No finding has a time"));
	check_balanced(out);
	free(out);
	out = render(cs_report_jsonl, &r, NULL);
	assert_non_null(strstr(out, "\"record\":\"report\""));
	assert_non_null(strstr(out, "\"hit\":false"));
	assert_int_equal(count_of(out, "\n"), 1);
	free(out);
	out = render(cs_report_stix, &r, NULL);
	assert_non_null(strstr(out, "\"identity_class\": \"system\""));
	free(out);
	out = render(cs_report_misp, &r, NULL);
	assert_non_null(strstr(out, "\"Attribute\": []"));
	free(out);
}

static void test_errors(void **state)
{
	struct fixture *x = fixture();
	const char *const *fmts = cs_report_formats();
	FILE *full = fopen("/dev/full", "w");
	size_t i;

	(void)state;
	assert_int_equal(cs_report_jsonl(stdout, NULL), CS_ERR_INVALID);
	assert_int_equal(cs_report_write(stdout, "pdf", &x->r), CS_ERR_INVALID);
	for (i = 0; fmts[i]; i++) {
		char *buf = NULL;
		size_t n = 0;
		FILE *m = open_memstream(&buf, &n);

		assert_int_equal(cs_report_write(m, fmts[i], &x->r), CS_OK);
		fclose(m);
		assert_true(n > 0);
		free(buf);
		if (full) {
			assert_int_equal(cs_report_write(full, fmts[i], &x->r), CS_ERR_IO);
			clearerr(full);
		}
	}
	assert_int_equal(i, 4);
	if (full)
		fclose(full);
	x->r.findings = NULL;
	assert_int_equal(cs_report_html(stdout, &x->r), CS_ERR_INVALID);
	free(x);
}

/* Bytes that are not UTF-8 (never expected) still give valid JSON. */
static void test_not_utf8(void **state)
{
	struct cs_finding_rec f = {CS_FIND_FILE,
	                           "h",
	                           "name",
	                           "/tmp/\xff\xfe.exe",
	                           NULL,
	                           "filename",
	                           "x.exe",
	                           NULL,
	                           0,
	                           NULL,
	                           0,
	                           -1,
	                           0,
	                           0,
	                           1,
	                           NULL,
	                           NULL,
	                           NULL, NULL};
	struct cs_report r = {.findings = &f, .nfindings = 1};
	char *out = render(cs_report_jsonl, &r, NULL);

	(void)state;
	assert_non_null(strstr(out, "\"location\":\"/tmp/\\\\xff\\\\xfe.exe\""));
	free(out);
	out = render(cs_report_html, &r, NULL);
	check_balanced(out);
	free(out);
}

/* A finding a MISP event tagged with thirty ATT&CK techniques, at a very
 * long path: its row names the incident and actor, shortens the
 * techniques to two ids and a count and keeps the path's end; unfolded,
 * every technique and the whole path are there. */
static void test_html_long_finding(void **state)
{
	static char names[30][64], path[1024];
	const char *labels[33];
	struct cs_finding_rec f;
	struct cs_host_coverage h[2];
	struct cs_report r;
	char *out, want[128];
	const char *row, *rowend;
	size_t i;

	(void)state;
	labels[0] = "campaign:Long-2024";
	labels[1] = "actor:Some Group";
	labels[2] = "incident:Long-2024";
	for (i = 0; i < 30; i++) {
		snprintf(names[i], sizeof(names[i]), "attack-pattern:Technique number %zu - T%04zu.%03zu",
		         i, 1000 + i, i);
		labels[3 + i] = names[i];
	}
	strcpy(path, "/home/analyst");
	for (i = 0; i < 40; i++)
		strcat(path, "/a-rather-deep-folder");
	strcat(path, "/payload-final.bin");
	memset(&f, 0, sizeof(f));
	f.kind = CS_FIND_FILE;
	f.host = "ws-09";
	f.evidence = "hash";
	f.location = path;
	f.observed = SHA256;
	f.ind_kind = "sha256";
	f.ind_value = SHA256;
	f.labels = labels;
	f.nlabels = 33;
	f.confidence = -1;
	f.first_seen_ms = f.last_seen_ms = ms("2024-02-01T12:00:00Z");
	f.count = 1;
	memset(&r, 0, sizeof(r));
	r.findings = &f;
	r.nfindings = 1;
	out = render(cs_report_html, &r, NULL);
	keep("report-long.html", out);
	check_balanced(out);
	row = strstr(out, "<summary>");
	rowend = strstr(out, "</summary>");
	assert_non_null(row);
	assert_non_null(rowend);
	/* the row: the incident once, the actor, two technique ids and 28 more */
	assert_non_null(strstr(row, "<span class=\"why\"><span class=\"chip\" title=\"Incident: "
	                            "Long-2024\">Long-2024</span><span class=\"chip\" title=\"Actor: "
	                            "Some Group\">Some Group</span><span class=\"chip\">ATT&amp;CK "
	                            "T1000.000, T1001.001 +28</span></span></summary>"));
	/* the row keeps the path's end, cut to 64 characters */
	snprintf(want, sizeof(want), "<span class=\"where mono\">\xe2\x80\xa6%s</span>",
	         path + strlen(path) - 63);
	{
		char *plain = no_wbr(out);
		const char *prow = strstr(plain, "<summary>"), *pend = strstr(plain, "</summary>");

		assert_non_null(strstr(prow, want));
		assert_true(strstr(prow, want) < pend);
		/* unfolded: every technique and the whole path */
		for (i = 0; i < 30; i++)
			assert_non_null(strstr(pend, names[i] + strlen("attack-pattern:")));
		assert_int_equal(count_of(pend, "Long-2024"), 1);
		assert_non_null(strstr(pend, path));
		free(plain);
	}
	/* the row's path breaks at a folder, not inside a name */
	assert_non_null(strstr(row, "a-rather-deep-folder/<wbr/>payload-final.bin</span>"));
	free(out);

	/* nothing found: the verdict names the intel it was checked against */
	memset(h, 0, sizeof(h));
	h[0].host = "ws-10";
	h[0].intel_version = 3;
	h[0].intel_indicators = 12345;
	h[1] = h[0];
	h[1].host = "ws-11";
	memset(&r, 0, sizeof(r));
	r.hosts = h;
	r.nhosts = 2;
	r.intel_version = 4;
	r.intel_indicators = 20000;
	out = render(cs_report_html, &r, NULL);
	assert_non_null(strstr(out, "<strong>Nothing found</strong> on 2 hosts swept, checked "
	                            "against intel version 3 (12,345 indicators).</p>"));
	free(out);
	h[1].intel_version = 4;
	h[1].intel_indicators = 20000;
	out = render(cs_report_html, &r, NULL);
	assert_non_null(strstr(out, "checked against intel version 3 (12,345 indicators), intel "
	                            "version 4 (20,000 indicators).</p>"));
	free(out);
}

/* The overlap section: leads with escaped names and evidence, the counted
 * pieces only, the graph inlined without its XML declaration; absent when
 * no lead was computed. */
static void test_html_overlap(void **state)
{
	struct fixture *x = fixture();
	struct cs_lead_evidence ev[2];
	struct cs_lead lead;
	const struct cs_lead *leads[1] = {&lead};
	char *out;

	(void)state;
	out = render(cs_report_html, &x->r, NULL);
	assert_null(strstr(out, "id=\"overlap\""));
	free(out);
	memset(ev, 0, sizeof(ev));
	memset(&lead, 0, sizeof(lead));
	ev[0].relation = CS_REL_PARENT;
	ev[0].qkind = CS_KIND_DOMAIN;
	ev[0].qvalue = "a.<b>.example";
	ev[0].kind = CS_KIND_DOMAIN;
	ev[0].value = "<b>.example";
	ev[0].weight = 0.56;
	ev[0].counted = 1;
	ev[0].file = "intel/x&y.csv";
	ev[0].line = 3;
	ev[1] = ev[0];
	ev[1].qvalue = "not-counted.example";
	ev[1].counted = 0;
	lead.cluster = "actor:<Tide & Water>";
	lead.score = 0.56;
	lead.by_relation[CS_REL_PARENT] = 0.56;
	lead.shared = 1;
	lead.evidence = ev;
	lead.nevidence = 2;
	x->r.leads = leads;
	x->r.nleads = 1;
	out = render(cs_report_html, &x->r, NULL);
	check_balanced(out);
	assert_non_null(strstr(out, "<section id=\"overlap\">"));
	assert_non_null(strstr(out, "actor:&lt;Tide &amp; Water&gt;"));
	assert_non_null(strstr(out, "parent-domain a.&lt;b&gt;.example &rarr; &lt;b&gt;.example "
				    "<small>(0.56, intel/x&amp;y.csv:3)</small>"));
	assert_null(strstr(out, "not-counted.example"));
	assert_null(strstr(out, "<?xml"));
	assert_non_null(strstr(out, "<figure class=\"evidence\">\n<svg xmlns"));
	/* the graph: the value found in a box, the lead as node 1, one line
	 * for the counted piece, no text on it; the legend names both */
	assert_int_equal(count_of(out, "<path class=\"edge\""), 1);
	assert_non_null(strstr(out, "<title>parent-domain a.&lt;b&gt;.example &#8594; "
	                            "&lt;b&gt;.example (weight 0.56) &#8594; #1 actor:&lt;Tide "
	                            "&amp; Water&gt;</title></path>"));
	assert_non_null(strstr(out, "\">a.&lt;b&gt;.example</text>"));
	assert_non_null(strstr(out, "text-anchor=\"middle\">1</text>"));
	assert_non_null(strstr(out, "<li><strong>1</strong> actor:&lt;Tide &amp; Water&gt; "
	                            "<small>(score 0.56)</small></li>"));
	assert_non_null(strstr(out, "<li><span class=\"rel r-parent-domain\"></span>"
	                            "parent-domain</li>"));
	assert_null(strstr(out, "class=\"rel r-exact\""));
	free(out);
	x->r.leads = NULL;
	x->r.nleads = 0;
	free(x);
}

/* ------------------------------------------------------- saving files */

static const struct cs_report_file save_files[] = {
        {"findings.jsonl", "jsonl"},
        {"report.html", "html"},
        {"sightings.stix.json", "stix"},
        {"event.misp.json", "misp"},
};

/* The names in a folder, sorted, one a line. Caller frees. */
static char *listing(const char *dir)
{
	char cmd[600], *out = calloc(1, 4096);
	FILE *p;
	size_t n;

	assert_non_null(out);
	snprintf(cmd, sizeof(cmd), "ls -A '%s' | sort", dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, 4095, p);
	out[n] = '\0';
	pclose(p);
	return out;
}

static char *slurp_file(const char *path)
{
	size_t n;

	return cs_test_slurp(path, &n);
}

/* Links planted in the output folder: a symbolic link where a report goes
 * is an error, and neither it nor its target is touched; a hard link is
 * replaced by a new file, so the other name keeps its bytes. */
static void test_save_links(void **state)
{
	struct fixture *x = fixture();
	char *dir = cs_test_tmpdir(), *victim, *other, path[600], target[600], err[1024];
	char *ls, *body;
	ssize_t n;

	(void)state;
	victim = cs_test_write(dir, "victim", "precious\n", 9);
	other = cs_test_write(dir, "other", "keep me\n", 8);
	snprintf(path, sizeof(path), "%s/out", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/out/event.misp.json", dir);
	assert_int_equal(symlink(victim, path), 0);
	snprintf(target, sizeof(target), "%s/out", dir);
	assert_int_equal(cs_report_save(target, save_files, 4, &x->r, err, sizeof(err)),
	                 CS_ERR_IO);
	assert_non_null(strstr(err, "/out/event.misp.json: a symbolic link is in the way"));
	body = slurp_file(victim);
	assert_string_equal(body, "precious\n");
	free(body);
	n = readlink(path, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_string_equal(target, victim);
	snprintf(target, sizeof(target), "%s/out", dir);
	ls = listing(target);
	assert_string_equal(ls, "event.misp.json\n"); /* no report, no temporary file */
	free(ls);

	/* A hard link to another file: replaced, not written through. */
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/out/report.html", dir);
	assert_int_equal(link(other, path), 0);
	assert_int_equal(cs_report_save(target, save_files, 4, &x->r, err, sizeof(err)), CS_OK);
	body = slurp_file(other);
	assert_string_equal(body, "keep me\n");
	free(body);
	body = slurp_file(path);
	assert_non_null(strstr(body, "<!DOCTYPE html>"));
	free(body);
	ls = listing(target);
	assert_string_equal(ls, "event.misp.json\nfindings.jsonl\nreport.html\n"
	                        "sightings.stix.json\n");
	free(ls);
	/* A folder in the way. */
	snprintf(path, sizeof(path), "%s/out/findings.jsonl", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(cs_report_save(target, save_files, 4, &x->r, err, sizeof(err)),
	                 CS_ERR_IO);
	assert_non_null(strstr(err, "findings.jsonl: a folder is in the way"));
	/* Bad arguments. */
	assert_int_equal(cs_report_save(target, (const struct cs_report_file[]){{"../x", "html"}},
	                                1, &x->r, err, sizeof(err)),
	                 CS_ERR_INVALID);
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(cs_report_save(path, save_files, 4, &x->r, err, sizeof(err)), CS_ERR_IO);
	assert_non_null(strstr(err, "No such file or directory"));
	free(victim);
	free(other);
	cs_test_rmtree(dir);
	free(dir);
	free(x);
}

/*
 * A write that fails half-way (a file size limit stands in for a full
 * disk: with SIGXFSZ ignored, write() fails with EFBIG): no partial
 * report and no temporary file is left, the reports written before stay
 * as they were, and the message names the file and the system's reason.
 * Run in a child, which alone has the limit.
 */
static void test_save_write_fails(void **state)
{
	struct fixture *x = fixture();
	char *dir = cs_test_tmpdir(), err[1024], got[1024], *before, *after, *title;
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	(void)state;
	assert_int_equal(cs_report_save(dir, save_files, 4, &x->r, err, sizeof(err)), CS_OK);
	before = slurp_file(strcat(strcpy(got, dir), "/report.html"));
	/* A title of 64 KiB makes every file larger than the limit below,
	 * and the limit is above what the first files need before it. */
	title = malloc(65537);
	assert_non_null(title);
	memset(title, 'T', 65536);
	title[65536] = '\0';
	x->r.title = title;
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = {16384, 16384};
		int rc;

		close(fds[0]);
		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(99);
		rc = cs_report_save(dir, save_files, 4, &x->r, err, sizeof(err));
		if (write(fds[1], err, strlen(err)) < 0)
			_exit(98);
		_exit(rc == CS_ERR_IO ? 0 : 1);
	}
	close(fds[1]);
	n = read(fds[0], got, sizeof(got) - 1);
	close(fds[0]);
	assert_true(n > 0);
	got[n] = '\0';
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_non_null(strstr(got, "/findings.jsonl: File too large"));
	after = listing(dir);
	assert_string_equal(after, "event.misp.json\nfindings.jsonl\nreport.html\n"
	                           "sightings.stix.json\n");
	free(after);
	after = slurp_file(strcat(strcpy(got, dir), "/report.html"));
	assert_string_equal(after, before);
	free(after);
	free(before);
	free(title);
	cs_test_rmtree(dir);
	free(dir);
	free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_jsonl),
	        cmocka_unit_test(test_html),
	        cmocka_unit_test(test_html_overlap),
	        cmocka_unit_test(test_html_long_finding),
	        cmocka_unit_test(test_stix),
	        cmocka_unit_test(test_stix_round_trip),
	        cmocka_unit_test(test_stix_software_round_trip),
	        cmocka_unit_test(test_misp),
	        cmocka_unit_test(test_misp_round_trip),
	        cmocka_unit_test(test_misp_shared_tags),
	        cmocka_unit_test(test_empty_report),
	        cmocka_unit_test(test_errors),
	        cmocka_unit_test(test_not_utf8),
	        cmocka_unit_test(test_save_links),
	        cmocka_unit_test(test_save_write_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

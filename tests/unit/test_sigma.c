/*
 * Sigma: the reader (collections, metadata, reasons), each modifier and
 * condition form with near misses, log sources and field mappings, the
 * case database round trip, and SigmaHQ's own rules and regression data
 * (read by path from the real-world folder).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "chainsweep/sigma.h"
#include "chainsweep/store.h"
#include "core/core_int.h"
#include "match/sigma_int.h"
#include "testutil.h"

/* ------------------------------------------------------------ helpers */

struct ev {
	struct cs_event e;
	struct cs_event_field f[128];
	char *owned[256];
	size_t nowned;
};

static void ev_init(struct ev *v, const char *channel, int eid)
{
	memset(v, 0, sizeof(*v));
	v->e.fields = v->f;
	v->e.format = "test";
	if (channel) {
		v->e.product = "windows";
		v->e.channel = channel;
		v->e.event_id = eid;
	}
}

static void ev_add(struct ev *v, const char *name, const char *value)
{
	struct cs_event_field *f = &v->f[v->e.nfields++];

	assert_true(v->e.nfields <= 128);
	f->name = name;
	f->value = value ? value : "";
	f->value_len = value ? strlen(value) : 0;
	f->is_null = value == NULL;
}

static void ev_release(struct ev *v)
{
	size_t i;

	for (i = 0; i < v->nowned; i++)
		free(v->owned[i]);
	v->nowned = 0;
}

#define SYSMON "Microsoft-Windows-Sysmon/Operational"

/* A Sysmon process creation with the given fields (name, value, ...). */
static void ev_proc(struct ev *v, ...)
{
	va_list ap;
	const char *n;

	ev_init(v, SYSMON, 1);
	ev_add(v, "EventID", "1");
	ev_add(v, "Channel", SYSMON);
	va_start(ap, v);
	while ((n = va_arg(ap, const char *)) != NULL)
		ev_add(v, n, va_arg(ap, const char *));
	va_end(ap);
}

struct hits {
	size_t n;
	char ids[16][80];
	char fields[512];
};

static int on_hit(void *ud, const struct cs_event *e, const struct cs_sigma_hit *h)
{
	struct hits *hs = ud;
	size_t i;

	(void)e;
	if (hs->n < 16)
		snprintf(hs->ids[hs->n], sizeof(hs->ids[0]), "%s", h->id ? h->id : h->title);
	hs->n++;
	for (i = 0; i < h->nmatches; i++) {
		size_t l = strlen(hs->fields);

		snprintf(hs->fields + l, sizeof(hs->fields) - l, "%s%s=%s", l ? "," : "",
		         h->matches[i].field, h->matches[i].rule_field);
	}
	return 0;
}

/* Rules compiled from YAML text. */
struct rs {
	struct cs_test_import *imp;
	struct cs_sigma *sg;
	struct cs_sigma_scratch *s;
};

static void rs_load(struct rs *r, const char *yaml)
{
	r->imp = cs_test_import_mem("sigma", yaml, strlen(yaml));
	assert_int_equal(cs_sigma_compile(r->imp->in, NULL, NULL, &r->sg), CS_OK);
	r->s = cs_sigma_scratch_new(r->sg);
	assert_non_null(r->s);
}

static void rs_free(struct rs *r)
{
	cs_sigma_scratch_free(r->s);
	cs_sigma_free(r->sg);
	cs_test_import_free(r->imp);
}

/* How many rules fire on the event. */
static int fires(struct rs *r, struct ev *v, struct hits *h)
{
	struct hits local;
	int n;

	if (!h)
		h = &local;
	memset(h, 0, sizeof(*h));
	n = cs_sigma_eval(r->sg, r->s, &v->e, on_hit, h);
	assert_true(n >= 0);
	assert_int_equal((size_t)n, h->n);
	return n;
}

/* One process-creation rule with this detection; does it fire on the
 * event? */
static int proc_rule_fires(const char *detection, struct ev *v)
{
	char yaml[8192];
	struct rs r;
	int n;

	snprintf(yaml, sizeof(yaml),
	         "title: t\nid: 11111111-1111-1111-1111-111111111111\nstatus: test\n"
	         "logsource:\n  product: windows\n  category: process_creation\n"
	         "detection:\n%s\nlevel: high\n",
	         detection);
	rs_load(&r, yaml);
	{
		struct cs_sigma_stats st;

		cs_sigma_stats(r.sg, &st);
		if (st.usable != 1) {
			struct cs_sigma_rule_info ri;

			cs_sigma_rule(r.sg, 0, &ri);
			print_message("not usable: %s %s\n", ri.reason, ri.message);
		}
		assert_int_equal(st.usable, 1);
	}
	n = fires(&r, v, NULL);
	rs_free(&r);
	return n;
}

/* The rule's detection must not compile: the reason it is kept with. */
static void proc_rule_reason(const char *detection, const char *reason)
{
	char yaml[8192];
	struct cs_sigma_rule_info ri;
	struct rs r;

	snprintf(yaml, sizeof(yaml),
	         "title: t\nid: 22222222-2222-2222-2222-222222222222\n"
	         "logsource:\n  product: windows\n  category: process_creation\n"
	         "detection:\n%s\n",
	         detection);
	rs_load(&r, yaml);
	assert_int_equal(cs_sigma_rule_count(r.sg), 1);
	assert_int_equal(cs_sigma_rule(r.sg, 0, &ri), CS_OK);
	assert_false(ri.usable);
	assert_string_equal(ri.reason, reason);
	assert_true(ri.reason_line > 0);
	assert_true(cs_test_diags_have(r.imp->d, reason));
	rs_free(&r);
}

/* ------------------------------------------------------------ values */

static void test_plain_and_case(void **state)
{
	struct ev v;

	(void)state;
	ev_proc(&v, "Image", "C:\\Windows\\System32\\cmd.exe", NULL);
	assert_int_equal(
	        proc_rule_fires(
	                "  sel:\n    Image: 'c:\\windows\\system32\\CMD.EXE'\n  condition: sel",
	                &v),
	        1);
	/* exact: a prefix is not enough */
	assert_int_equal(proc_rule_fires("  sel:\n    Image: 'C:\\Windows\\System32\\cmd'\n"
	                                 "  condition: sel",
	                                 &v),
	                 0);
	/* cased */
	assert_int_equal(
	        proc_rule_fires("  sel:\n    Image|cased: 'c:\\windows\\system32\\cmd.exe'\n"
	                        "  condition: sel",
	                        &v),
	        0);
	assert_int_equal(
	        proc_rule_fires("  sel:\n    Image|cased: 'C:\\Windows\\System32\\cmd.exe'\n"
	                        "  condition: sel",
	                        &v),
	        1);
	/* numbers compare as text */
	assert_int_equal(proc_rule_fires("  sel:\n    EventID: 1\n  condition: sel", &v), 1);
	assert_int_equal(proc_rule_fires("  sel:\n    EventID: 11\n  condition: sel", &v), 0);
}

static void test_contains_starts_ends(void **state)
{
	struct ev v;

	(void)state;
	ev_proc(&v, "CommandLine", "powershell.exe -NoP -enc SQBFAFgA", NULL);
	assert_int_equal(proc_rule_fires("  sel:\n    CommandLine|contains: ' -ENC '\n"
	                                 "  condition: sel",
	                                 &v),
	                 1);
	assert_int_equal(proc_rule_fires("  sel:\n    CommandLine|contains: ' -encx'\n"
	                                 "  condition: sel",
	                                 &v),
	                 0);
	assert_int_equal(proc_rule_fires("  sel:\n    CommandLine|startswith: 'PowerShell'\n"
	                                 "  condition: sel",
	                                 &v),
	                 1);
	assert_int_equal(proc_rule_fires("  sel:\n    CommandLine|startswith: 'owershell'\n"
	                                 "  condition: sel",
	                                 &v),
	                 0);
	assert_int_equal(proc_rule_fires("  sel:\n    CommandLine|endswith: 'AFgA'\n"
	                                 "  condition: sel",
	                                 &v),
	                 1);
	assert_int_equal(proc_rule_fires("  sel:\n    CommandLine|endswith: 'FAG'\n"
	                                 "  condition: sel",
	                                 &v),
	                 0);
}

/*
 * `contains` searches short values with memchr on the literal's first
 * byte and long ones (over 512 bytes) with memmem: hits and near misses
 * at both ends, overlapping starts, the first byte repeated, and both
 * sides of the length at which the search changes.
 */
static void test_contains_search(void **state)
{
	static const struct {
		const char *lit, *value;
		int want;
	} c[] = {
	        {"aab", "aaab", 1},          {"aab", "aaba", 1},         {"aab", "abab", 0},
	        {"abc", "abc", 1},           {"abc", "ab", 0},           {"abc", "xxabc", 1},
	        {"abc", "xxab", 0},          {"abc", "abcxx", 1},        {"abc", "bcxxab", 0},
	        {"ee.x", "eeeeee.x", 1},     {"ee.x", "eeeeee.y", 0},    {"CMD.EXE", "c:\\cmd.exe", 1},
	        {"cmd.exe", "c:\\cmd.ex", 0}, {"\\cmd.exe", "\\\\cmd.exe", 1},
	};
	char det[256], big[1200];
	size_t i, n;
	struct ev v;

	(void)state;
	for (i = 0; i < CS_ARRAY_SIZE(c); i++) {
		snprintf(det, sizeof(det), "  sel:\n    CommandLine|contains: '%s'\n  condition: sel",
		         c[i].lit);
		ev_proc(&v, "CommandLine", c[i].value, NULL);
		if (proc_rule_fires(det, &v) != c[i].want)
			fail_msg("'%s' in '%s': want %d", c[i].lit, c[i].value, c[i].want);
	}
	for (n = 505; n <= 520; n++) {
		memset(big, 'a', n);
		memcpy(big + n - 7, "cmd.exe", 7);
		big[n] = '\0';
		ev_proc(&v, "CommandLine", big, NULL);
		assert_int_equal(proc_rule_fires("  sel:\n    CommandLine|contains: 'cmd.exe'\n"
		                                 "  condition: sel",
		                                 &v),
		                 1);
		big[n - 1] = 'x';
		assert_int_equal(proc_rule_fires("  sel:\n    CommandLine|contains: 'cmd.exe'\n"
		                                 "  condition: sel",
		                                 &v),
		                 0);
	}
}

/*
 * With the prefilter, an event's candidates are its buckets' ungated
 * rules and the gated rules all of whose clauses were met: a rule with
 * two clauses runs only when both literals occur, and the hits of gated
 * and ungated rules, in two buckets (process creation and every Sysmon
 * event), come in rule order.
 */
static void test_candidates(void **state)
{
	static const char yaml[] =
	        "title: a\nid: a0000000-0000-0000-0000-000000000001\n"
	        "logsource:\n  product: windows\n  category: process_creation\n"
	        "detection:\n  s1:\n    CommandLine|contains: 'alpha-lit'\n"
	        "  s2:\n    ParentImage|contains: 'beta-lit'\n  condition: s1 and s2\n"
	        "---\n"
	        "title: b\nid: b0000000-0000-0000-0000-000000000002\n"
	        "logsource:\n  product: windows\n  service: sysmon\n"
	        "detection:\n  sel:\n    EventID: 1\n  condition: sel\n"
	        "---\n"
	        "title: c\nid: c0000000-0000-0000-0000-000000000003\n"
	        "logsource:\n  product: windows\n  service: sysmon\n"
	        "detection:\n  sel:\n    CommandLine|contains: 'alpha-lit'\n  condition: sel\n"
	        "---\n"
	        "title: d\nid: d0000000-0000-0000-0000-000000000004\n"
	        "logsource:\n  product: windows\n  category: process_creation\n"
	        "detection:\n  sel:\n    Image|endswith: '.exe'\n  condition: sel\n";
	struct ev v;
	struct rs r;
	struct hits h;

	(void)state;
	rs_load(&r, yaml);
	ev_proc(&v, "Image", "C:\\x.exe", "CommandLine", "x ALPHA-LIT", "ParentImage", "p", NULL);
	assert_int_equal(fires(&r, &v, &h), 3);
	assert_string_equal(h.ids[0], "b0000000-0000-0000-0000-000000000002");
	assert_string_equal(h.ids[1], "c0000000-0000-0000-0000-000000000003");
	assert_string_equal(h.ids[2], "d0000000-0000-0000-0000-000000000004");
	ev_proc(&v, "Image", "C:\\x.exe", "CommandLine", "x alpha-lit", "ParentImage",
	        "C:\\beta-lit.exe", NULL);
	assert_int_equal(fires(&r, &v, &h), 4);
	assert_string_equal(h.ids[0], "a0000000-0000-0000-0000-000000000001");
	assert_string_equal(h.ids[1], "b0000000-0000-0000-0000-000000000002");
	assert_string_equal(h.ids[2], "c0000000-0000-0000-0000-000000000003");
	assert_string_equal(h.ids[3], "d0000000-0000-0000-0000-000000000004");
	/* Both literals, in the wrong fields: woken, evaluated, not fired. */
	ev_proc(&v, "Image", "C:\\beta-lit.exe", "CommandLine", "x", "ParentImage",
	        "alpha-lit", NULL);
	assert_int_equal(fires(&r, &v, &h), 2);
	assert_string_equal(h.ids[0], "b0000000-0000-0000-0000-000000000002");
	assert_string_equal(h.ids[1], "d0000000-0000-0000-0000-000000000004");
	rs_free(&r);
}

static void test_all_and_lists(void **state)
{
	struct ev v;

	(void)state;
	ev_proc(&v, "CommandLine", "net user admin /add", NULL);
	assert_int_equal(proc_rule_fires("  sel:\n    CommandLine|contains|all:\n"
	                                 "      - 'net '\n      - '/add'\n  condition: sel",
	                                 &v),
	                 1);
	assert_int_equal(proc_rule_fires("  sel:\n    CommandLine|contains|all:\n"
	                                 "      - 'net '\n      - '/del'\n  condition: sel",
	                                 &v),
	                 0);
	/* a list is OR */
	assert_int_equal(proc_rule_fires("  sel:\n    CommandLine|contains:\n"
	                                 "      - 'nope'\n      - '/add'\n  condition: sel",
	                                 &v),
	                 1);
	/* a map is AND; a list of maps is OR */
	assert_int_equal(proc_rule_fires("  sel:\n    CommandLine|contains: 'net'\n"
	                                 "    Image: 'x.exe'\n  condition: sel",
	                                 &v),
	                 0);
	assert_int_equal(proc_rule_fires("  sel:\n    - CommandLine|contains: 'zzz'\n"
	                                 "    - CommandLine|contains: 'admin'\n  condition: sel",
	                                 &v),
	                 1);
}

static void test_wildcards_escapes(void **state)
{
	struct ev v;

	(void)state;
	ev_proc(&v, "Image", "C:\\Users\\bob\\AppData\\x?.exe", "CommandLine", "a*b", NULL);
	/* a backslash before '*' escapes it; '\\' is one backslash */
	assert_int_equal(proc_rule_fires("  sel:\n    Image: 'C:\\Users\\\\*\\AppData\\\\*.exe'\n"
	                                 "  condition: sel",
	                                 &v),
	                 1);
	assert_int_equal(proc_rule_fires("  sel:\n    Image: 'C:\\Users\\*\\AppData\\*.exe'\n"
	                                 "  condition: sel",
	                                 &v),
	                 0);
	assert_int_equal(proc_rule_fires("  sel:\n    Image: 'C:\\Users\\\\*\\Roaming\\\\*.exe'\n"
	                                 "  condition: sel",
	                                 &v),
	                 0);
	/* '?' is one character */
	assert_int_equal(proc_rule_fires("  sel:\n    Image: '*\\x??exe'\n  condition: sel", &v),
	                 1);
	assert_int_equal(proc_rule_fires("  sel:\n    Image: '*\\x?exe'\n  condition: sel", &v), 0);
	/* escaped: literal '*' and '?' */
	assert_int_equal(proc_rule_fires("  sel:\n    CommandLine: 'a\\*b'\n  condition: sel", &v),
	                 1);
	assert_int_equal(proc_rule_fires("  sel:\n    Image|endswith: 'x\\?.exe'\n"
	                                 "  condition: sel",
	                                 &v),
	                 1);
	ev_proc(&v, "CommandLine", "axxb", NULL);
	assert_int_equal(proc_rule_fires("  sel:\n    CommandLine: 'a\\*b'\n  condition: sel", &v),
	                 0);
	assert_int_equal(proc_rule_fires("  sel:\n    CommandLine: 'a*b'\n  condition: sel", &v),
	                 1);
}

static void test_re(void **state)
{
	struct ev v;

	(void)state;
	ev_proc(&v, "CommandLine", "cmd /c whoami\nAND more", NULL);
	assert_int_equal(proc_rule_fires("  sel:\n    CommandLine|re: 'who(am)?i'\n"
	                                 "  condition: sel",
	                                 &v),
	                 1);
	/* case-sensitive unless i */
	assert_int_equal(
	        proc_rule_fires("  sel:\n    CommandLine|re: 'WHOAMI'\n  condition: sel", &v), 0);
	assert_int_equal(proc_rule_fires("  sel:\n    CommandLine|re|i: 'WHOAMI'\n"
	                                 "  condition: sel",
	                                 &v),
	                 1);
	/* m: ^ at a line start; s: . over newlines */
	assert_int_equal(
	        proc_rule_fires("  sel:\n    CommandLine|re: '^AND'\n  condition: sel", &v), 0);
	assert_int_equal(
	        proc_rule_fires("  sel:\n    CommandLine|re|m: '^AND'\n  condition: sel", &v), 1);
	assert_int_equal(proc_rule_fires("  sel:\n    CommandLine|re: 'whoami.AND'\n"
	                                 "  condition: sel",
	                                 &v),
	                 0);
	assert_int_equal(proc_rule_fires("  sel:\n    CommandLine|re|s: 'whoami.AND'\n"
	                                 "  condition: sel",
	                                 &v),
	                 1);
	/* a construct Hyperscan lacks: kept, with the reason */
	proc_rule_reason("  sel:\n    CommandLine|re: '(a)\\1'\n  condition: sel",
	                 "regex-unsupported");
}


/* The rules of test_engines_cache: twelve regex rules (so the regexes are
 * built on two threads) and literal rules with a filter and keywords. */
static void cache_yaml(char *y, size_t cap)
{
	size_t o = 0;
	int i;

	for (i = 0; i < 12; i++)
		o += (size_t)snprintf(y + o, cap - o,
		                      "title: re%d\nid: re%d\nlogsource:\n  product: windows\n"
		                      "  category: process_creation\ndetection:\n  sel:\n"
		                      "    CommandLine|re: 'tok%d[0-9]+x'\n  condition: sel\n---\n",
		                      i, i, i);
	snprintf(y + o, cap - o,
	         "title: lit\nid: lit\nlogsource:\n  product: windows\n"
	         "  category: process_creation\ndetection:\n  sel:\n"
	         "    CommandLine|contains: 'whoami'\n  filter:\n"
	         "    ParentImage|endswith: '\\svc.exe'\n  condition: sel and not filter\n---\n"
	         "title: kw\nid: kw\nlogsource:\n  product: windows\n"
	         "  category: process_creation\ndetection:\n  keywords:\n"
	         "    - 'evilkey'\n  condition: keywords\n");
}

/* What fires on three events, as "ids;ids;ids". */
static void cache_fires(struct rs *r, char *out, size_t cap)
{
	static const char *const cmd[] = {"run tok3123x whoami TOK4123x",
	                                  "tok1155x tok77x tok74x EvilKey", "whoami"};
	static const char *const parent[] = {"C:\\x\\svc.exe", "C:\\a.exe", "C:\\b.exe"};
	size_t o = 0, i, k;

	for (i = 0; i < 3; i++) {
		struct ev v;
		struct hits h;

		ev_proc(&v, "CommandLine", cmd[i], "ParentImage", parent[i], NULL);
		fires(r, &v, &h);
		for (k = 0; k < h.n && k < 16; k++)
			o += (size_t)snprintf(out + o, cap - o, "%s,", h.ids[k]);
		o += (size_t)snprintf(out + o, cap - o, ";");
		ev_release(&v);
	}
}

static int cache_entries(const char *dir, char *path, size_t cap)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "hs-sigma-", 9) == 0) {
			snprintf(path, cap, "%s/%s", dir, de->d_name);
			n++;
		}
	closedir(d);
	return n;
}

/* The prefilter and the regexes are kept in the compiled-rules cache and
 * loaded from it by the next compile, with the same answers; a damaged
 * entry is not used (compiled again). */
static void test_engines_cache(void **state)
{
	char yaml[8192], dir[] = "/tmp/cs_sigcache_XXXXXX", path[512];
	char want[1024], got[1024];
	struct rs r;
	struct stat st;
	FILE *fp;
	int pass;

	(void)state;
	cache_yaml(yaml, sizeof(yaml));
	assert_non_null(mkdtemp(dir));
	rs_load(&r, yaml);
	cache_fires(&r, want, sizeof(want));
	rs_free(&r);
	assert_string_equal(want, "re3,;re1,re7,re11,kw,;lit,;");
	for (pass = 0; pass < 3; pass++) {
		r.imp = cs_test_import_mem("sigma", yaml, strlen(yaml));
		assert_int_equal(cs_intel_set_cache_dir(r.imp->in, dir), CS_OK);
		assert_int_equal(cs_sigma_compile(r.imp->in, NULL, NULL, &r.sg), CS_OK);
		r.s = cs_sigma_scratch_new(r.sg);
		assert_non_null(r.s);
		cache_fires(&r, got, sizeof(got));
		assert_string_equal(got, want);
		rs_free(&r);
		assert_int_equal(cache_entries(dir, path, sizeof(path)), 1);
		if (pass == 1) {
			/* damage the stored databases */
			assert_int_equal(stat(path, &st), 0);
			fp = fopen(path, "r+b");
			assert_non_null(fp);
			fseek(fp, st.st_size - 100, SEEK_SET);
			{
				int c = fgetc(fp);

				fseek(fp, st.st_size - 100, SEEK_SET);
				fputc(0x5a ^ c, fp);
			}
			fclose(fp);
		}
	}
	unlink(path);
	rmdir(dir);
}

/* ------------------------------------------------------------ snapshot */

/* The rules of the snapshot tests: those of test_engines_cache, one of
 * each other kind of leaf, and two that are not usable. */
static void snap_yaml(char *y, size_t cap)
{
	size_t o;

	cache_yaml(y, cap);
	o = strlen(y);
	snprintf(y + o, cap - o,
	         "\n---\ntitle: glob\nid: glob\nlogsource:\n  product: windows\n"
	         "  category: process_creation\ndetection:\n  sel:\n"
	         "    CommandLine: 'run*tok?123x*'\n  condition: sel\n---\n"
	         "title: num\nid: num\nlogsource:\n  product: windows\n"
	         "  category: process_creation\ndetection:\n  sel:\n"
	         "    ProcessId|gt: 400\n    ParentImage|endswith: 'a.exe'\n  condition: sel\n"
	         "---\ntitle: ref\nid: ref\nlogsource:\n  product: windows\n"
	         "  category: process_creation\ndetection:\n  sel:\n"
	         "    Image|fieldref: ParentImage\n  condition: sel\n---\n"
	         "title: net\nid: net\nlogsource:\n  product: windows\n"
	         "  category: process_creation\ndetection:\n  sel:\n"
	         "    SourceIp|cidr: '10.1.0.0/16'\n  opt:\n    CommandLine|contains|all:\n"
	         "      - 'whoami'\n      - 'x'\n  condition: sel or 1 of opt*\n---\n"
	         "title: agg\nid: agg\nlogsource:\n  product: windows\n"
	         "  category: process_creation\ndetection:\n  sel:\n    Image: x\n"
	         "  timeframe: 5m\n  condition: sel\n---\n"
	         "title: nowhere\nid: nowhere\nlogsource:\n  product: nosuchthing\n"
	         "detection:\n  sel:\n    a: b\n  condition: sel\n");
}

/* What fires on five events, with the fields, as one string. */
static void snap_fires(struct rs *r, char *out, size_t cap)
{
	static const char *const cmd[] = {"run tok3123x whoami TOK4123x",
	                                  "tok1155x tok77x tok74x EvilKey", "whoami", "runtok5123x",
	                                  "x whoami"};
	static const char *const parent[] = {"C:\\x\\svc.exe", "C:\\a.exe", "C:\\b.exe",
	                                     "C:\\a.exe", "C:\\c.exe"};
	static const char *const img[] = {"C:\\x\\svc.exe", "C:\\i.exe", "C:\\b.exe", "C:\\k.exe",
	                                  "C:\\c.exe"};
	static const char *const pid[] = {"12", "401", "500", "9999", "1"};
	static const char *const ip[] = {"10.2.3.4", "10.1.200.1", "8.8.8.8", "10.1.0.1", "::1"};
	size_t o = 0, i, k;

	for (i = 0; i < 5; i++) {
		struct ev v;
		struct hits h;

		ev_proc(&v, "CommandLine", cmd[i], "ParentImage", parent[i], "Image", img[i],
		        "ProcessId", pid[i], "SourceIp", ip[i], NULL);
		fires(r, &v, &h);
		for (k = 0; k < h.n && k < 16; k++)
			o += (size_t)snprintf(out + o, cap - o, "%s,", h.ids[k]);
		o += (size_t)snprintf(out + o, cap - o, "[%s];", h.fields);
		ev_release(&v);
	}
}

/* Rules, reasons and counts of a set, as one string. */
static void snap_describe(const struct cs_sigma *sg, char *out, size_t cap)
{
	struct cs_sigma_stats st;
	struct cs_sigma_rule_info ri;
	size_t o, i;

	cs_sigma_stats(sg, &st);
	o = (size_t)snprintf(out, cap, "%zu/%zu/%zu/%zu;", (size_t)st.rules, (size_t)st.usable,
	                     (size_t)st.not_usable, (size_t)st.files);
	for (i = 0; i < cs_sigma_rule_count(sg); i++) {
		assert_int_equal(cs_sigma_rule(sg, i, &ri), CS_OK);
		o += (size_t)snprintf(out + o, cap - o, "%s|%s|%d|%s|%s|%llu:%llu|%s|%llu;",
		                      ri.id ? ri.id : "-", ri.title ? ri.title : "-", ri.usable,
		                      ri.reason ? ri.reason : "-", ri.message ? ri.message : "-",
		                      (unsigned long long)ri.line, (unsigned long long)ri.column,
		                      ri.indicator ? ri.indicator : "-",
		                      (unsigned long long)ri.reason_line);
	}
	for (i = 0; i < cs_sigma_reason_count(sg); i++) {
		uint64_t c;
		const char *n = cs_sigma_reason(sg, i, &c);

		o += (size_t)snprintf(out + o, cap - o, "%s=%llu;", n, (unsigned long long)c);
	}
}

static int snap_entries(const char *dir, char *path, size_t cap)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "sigma-set-", 10) == 0) {
			snprintf(path, cap, "%s/%s", dir, de->d_name);
			n++;
		}
	closedir(d);
	return n;
}

struct diag_count {
	size_t n;
	char last[512];
};

static void count_diag(void *ud, const struct cs_diag *d)
{
	struct diag_count *c = ud;

	c->n++;
	snprintf(c->last, sizeof(c->last), "%s:%llu:%llu %s %s", d->file ? d->file : "-",
	         (unsigned long long)d->line, (unsigned long long)d->column, d->reason,
	         d->message);
}

/* The compiled set is kept in the cache and the next compile of the same
 * rules takes it from there: same rules, reasons, diagnostics and
 * answers. A damaged entry (the cache's checksum) is compiled again and
 * replaced. */
static void test_set_snapshot(void **state)
{
	static char yaml[16384], want[2048], got[2048], wdesc[8192], gdesc[8192];
	char dir[] = "/tmp/cs_sigsnap_XXXXXX", path[512];
	struct diag_count wd, gd;
	struct stat st;
	struct rs r;
	FILE *fp;
	int pass;

	(void)state;
	snap_yaml(yaml, sizeof(yaml));
	assert_non_null(mkdtemp(dir));
	r.imp = cs_test_import_mem("sigma", yaml, strlen(yaml));
	memset(&wd, 0, sizeof(wd));
	assert_int_equal(cs_sigma_compile(r.imp->in, count_diag, &wd, &r.sg), CS_OK);
	r.s = cs_sigma_scratch_new(r.sg);
	assert_non_null(r.s);
	snap_fires(&r, want, sizeof(want));
	snap_describe(r.sg, wdesc, sizeof(wdesc));
	rs_free(&r);
	assert_string_equal(want,
	                    "re3,glob,ref,net,[CommandLine=CommandLine,CommandLine=CommandLine,"
	                    "Image=Image,CommandLine=CommandLine];re1,re7,re11,kw,num,net,["
	                    "CommandLine=CommandLine,CommandLine=CommandLine,CommandLine="
	                    "CommandLine,CommandLine=keywords,ProcessId=ProcessId,ParentImage="
	                    "ParentImage,SourceIp=SourceIp];lit,ref,[CommandLine=CommandLine,"
	                    "Image=Image];re5,glob,num,net,[CommandLine=CommandLine,CommandLine="
	                    "CommandLine,ProcessId=ProcessId,ParentImage=ParentImage,SourceIp="
	                    "SourceIp];lit,ref,net,[CommandLine=CommandLine,Image=Image,"
	                    "CommandLine=CommandLine];");
	assert_int_equal(wd.n, 1);
	assert_non_null(strstr(wd.last, "aggregation"));
	for (pass = 0; pass < 4; pass++) {
		r.imp = cs_test_import_mem("sigma", yaml, strlen(yaml));
		assert_int_equal(cs_intel_set_cache_dir(r.imp->in, dir), CS_OK);
		memset(&gd, 0, sizeof(gd));
		assert_int_equal(cs_sigma_compile(r.imp->in, count_diag, &gd, &r.sg), CS_OK);
		/* pass 0 compiles, 1 loads, 2 compiles (damaged), 3 loads */
		assert_int_equal(cs__sigma_from_snapshot(r.sg), pass % 2);
		r.s = cs_sigma_scratch_new(r.sg);
		assert_non_null(r.s);
		snap_fires(&r, got, sizeof(got));
		assert_string_equal(got, want);
		snap_describe(r.sg, gdesc, sizeof(gdesc));
		assert_string_equal(gdesc, wdesc);
		assert_int_equal(gd.n, wd.n);
		assert_string_equal(gd.last, wd.last);
		rs_free(&r);
		assert_int_equal(snap_entries(dir, path, sizeof(path)), 1);
		if (pass == 1) {
			assert_int_equal(stat(path, &st), 0);
			fp = fopen(path, "r+b");
			assert_non_null(fp);
			fseek(fp, st.st_size / 2, SEEK_SET);
			{
				int c = fgetc(fp);

				fseek(fp, st.st_size / 2, SEEK_SET);
				fputc(0x01 ^ c, fp);
			}
			fclose(fp);
		}
	}
	unlink(path);
	assert_int_equal(cache_entries(dir, path, sizeof(path)), 1);
	unlink(path);
	rmdir(dir);
}

/* The snapshot's reader on hostile bytes: every cut of a good snapshot,
 * a wrong version, trailing bytes and single bit flips are refused or give
 * a set that evaluates without fault (what ASan checks). */
static void test_set_snapshot_hostile(void **state)
{
	static char yaml[16384], want[2048], got[2048];
	struct cs_test_import *imp;
	struct cs_sigma *sg = NULL, *back = NULL;
	struct cs_buf b;
	unsigned char *p;
	size_t i, n, accepted = 0;

	(void)state;
	snap_yaml(yaml, sizeof(yaml));
	imp = cs_test_import_mem("sigma", yaml, strlen(yaml));
	assert_int_equal(cs_sigma_compile(imp->in, NULL, NULL, &sg), CS_OK);
	cs__buf_init(&b, 0);
	assert_int_equal(cs__sigma_snap_write(sg, &b), CS_OK);
	n = b.len;
	p = malloc(n + 8);
	assert_non_null(p);
	memcpy(p, b.data, n);
	{
		struct rs r = {NULL, NULL, NULL};

		r.sg = sg;
		r.s = cs_sigma_scratch_new(sg);
		snap_fires(&r, want, sizeof(want));
		cs_sigma_scratch_free(r.s);
		assert_int_equal(cs__sigma_snap_read(p, n, &back), CS_OK);
		r.sg = back;
		r.s = cs_sigma_scratch_new(back);
		snap_fires(&r, got, sizeof(got));
		assert_string_equal(got, want);
		cs_sigma_scratch_free(r.s);
		cs_sigma_free(back);
	}
	/* every cut */
	for (i = 0; i < n; i++)
		assert_int_equal(cs__sigma_snap_read(p, i, &back), CS_ERR_PARSE);
	/* trailing bytes */
	memset(p + n, 0, 8);
	assert_int_equal(cs__sigma_snap_read(p, n + 1, &back), CS_ERR_PARSE);
	/* another version of the layout */
	p[7] = '2';
	assert_int_equal(cs__sigma_snap_read(p, n, &back), CS_ERR_PARSE);
	p[7] = '1';
	/* one bit flipped at a time, every 7th byte */
	for (i = 0; i < n; i += 7) {
		int rc;

		p[i] ^= (unsigned char)(1u << (i % 8));
		rc = cs__sigma_snap_read(p, n, &back);
		assert_true(rc == CS_OK || rc == CS_ERR_PARSE);
		if (rc == CS_OK) {
			struct rs r = {NULL, NULL, NULL};

			accepted++;
			r.sg = back;
			r.s = cs_sigma_scratch_new(back);
			assert_non_null(r.s);
			snap_fires(&r, got, sizeof(got));
			cs_sigma_scratch_free(r.s);
			cs_sigma_free(back);
		}
		p[i] ^= (unsigned char)(1u << (i % 8));
	}
	print_message("snapshot of %zu bytes: %zu of %zu flips accepted\n", n, accepted,
	              (n + 6) / 7);
	free(p);
	cs__buf_release(&b);
	cs_sigma_free(sg);
	cs_test_import_free(imp);
}

static void test_cidr(void **state)
{
	struct ev v;

	(void)state;
	ev_init(&v, SYSMON, 3);
	ev_add(&v, "DestinationIp", "10.20.30.40");
	ev_add(&v, "SourceIp", "fe80::1");
	{
		const char *yaml =
		        "title: c\nid: 33333333-3333-3333-3333-333333333333\n"
		        "logsource:\n  product: windows\n  category: network_connection\n"
		        "detection:\n  sel:\n    DestinationIp|cidr:\n      - '10.20.0.0/16'\n"
		        "  sel6:\n    SourceIp|cidr: 'fe80::/10'\n"
		        "  far:\n    DestinationIp|cidr: '10.21.0.0/16'\n"
		        "  condition: sel and sel6 and not far\n";
		struct rs r;

		rs_load(&r, yaml);
		assert_int_equal(fires(&r, &v, NULL), 1);
		v.f[0].value = "10.21.0.1";
		v.f[0].value_len = strlen("10.21.0.1");
		assert_int_equal(fires(&r, &v, NULL), 0);
		rs_free(&r);
	}
}

static void test_base64_offsets_wide(void **state)
{
	struct ev v;

	(void)state;
	/* "IEX" base64 at offsets 0, 1, 2 of a longer text */
	ev_proc(&v, "CommandLine", "-e SUVYIChOZXctT2JqZWN0", NULL);
	assert_int_equal(proc_rule_fires("  sel:\n    CommandLine|base64offset|contains: 'IEX ('\n"
	                                 "  condition: sel",
	                                 &v),
	                 1);
	ev_proc(&v, "CommandLine", "-e YUlFWCAo", NULL); /* "aIEX (" */
	assert_int_equal(proc_rule_fires("  sel:\n    CommandLine|base64offset|contains: 'IEX ('\n"
	                                 "  condition: sel",
	                                 &v),
	                 1);
	ev_proc(&v, "CommandLine", "-e YWFJRVggKA==", NULL); /* "aaIEX (" */
	assert_int_equal(proc_rule_fires("  sel:\n    CommandLine|base64offset|contains: 'IEX ('\n"
	                                 "  condition: sel",
	                                 &v),
	                 1);
	ev_proc(&v, "CommandLine", "-e SUVZIChOZXc=", NULL); /* "IEY (New" */
	assert_int_equal(proc_rule_fires("  sel:\n    CommandLine|base64offset|contains: 'IEX ('\n"
	                                 "  condition: sel",
	                                 &v),
	                 0);
	/* base64 of the whole value */
	ev_proc(&v, "CommandLine", "x aHR0cDovLw== y", NULL);
	assert_int_equal(proc_rule_fires("  sel:\n    CommandLine|base64|contains: 'http://'\n"
	                                 "  condition: sel",
	                                 &v),
	                 1);
	assert_int_equal(proc_rule_fires("  sel:\n    CommandLine|base64|contains: 'https://'\n"
	                                 "  condition: sel",
	                                 &v),
	                 0);
	/* wide then base64: UTF-16LE "ab" is YQBiAA== */
	ev_proc(&v, "CommandLine", "-enc YQBiAA==", NULL);
	assert_int_equal(proc_rule_fires("  sel:\n    CommandLine|wide|base64|contains: 'ab'\n"
	                                 "  condition: sel",
	                                 &v),
	                 1);
	assert_int_equal(proc_rule_fires("  sel:\n    CommandLine|utf16be|base64|contains: 'ab'\n"
	                                 "  condition: sel",
	                                 &v),
	                 0);
	/* UTF-16BE "ab" is AGEAYg== */
	ev_proc(&v, "CommandLine", "AGEAYg==", NULL);
	assert_int_equal(proc_rule_fires("  sel:\n    CommandLine|utf16be|base64: 'ab'\n"
	                                 "  condition: sel",
	                                 &v),
	                 1);
	/* utf16 has a BOM: FF FE 61 00 -> //5hAA== */
	ev_proc(&v, "CommandLine", "//5hAA==", NULL);
	assert_int_equal(proc_rule_fires("  sel:\n    CommandLine|utf16|base64: 'a'\n"
	                                 "  condition: sel",
	                                 &v),
	                 1);
	/* wildcards cannot be encoded */
	proc_rule_reason("  sel:\n    CommandLine|base64: 'a*b'\n  condition: sel", "bad-value");
}

static void test_windash(void **state)
{
	struct ev v;
	static const char *const forms[] = {"x.exe -s", "x.exe /s", "x.exe \xe2\x80\x93s",
	                                    "x.exe \xe2\x80\x94s", "x.exe \xe2\x80\x95s"};
	size_t i;

	(void)state;
	for (i = 0; i < 5; i++) {
		ev_proc(&v, "CommandLine", forms[i], NULL);
		assert_int_equal(proc_rule_fires("  sel:\n    CommandLine|windash|contains: ' -s'\n"
		                                 "  condition: sel",
		                                 &v),
		                 1);
	}
	ev_proc(&v, "CommandLine", "x.exe +s", NULL);
	assert_int_equal(proc_rule_fires("  sel:\n    CommandLine|windash|contains: ' -s'\n"
	                                 "  condition: sel",
	                                 &v),
	                 0);
	/* a dash inside a word is not an option */
	ev_proc(&v, "CommandLine", "a/b", NULL);
	assert_int_equal(proc_rule_fires("  sel:\n    CommandLine|windash: 'a-b'\n"
	                                 "  condition: sel",
	                                 &v),
	                 0);
}

static void test_exists_null_num_fieldref(void **state)
{
	struct ev v;

	(void)state;
	ev_proc(&v, "Image", "a.exe", "ParentImage", "a.exe", "Empty", "", "Count", "42", NULL);
	assert_int_equal(proc_rule_fires("  sel:\n    Image|exists: true\n  condition: sel", &v),
	                 1);
	assert_int_equal(proc_rule_fires("  sel:\n    Missing|exists: true\n  condition: sel", &v),
	                 0);
	assert_int_equal(proc_rule_fires("  sel:\n    Missing|exists: false\n  condition: sel", &v),
	                 1);
	assert_int_equal(proc_rule_fires("  sel:\n    Missing: null\n  condition: sel", &v), 1);
	assert_int_equal(proc_rule_fires("  sel:\n    Empty: null\n  condition: sel", &v), 1);
	assert_int_equal(proc_rule_fires("  sel:\n    Image: null\n  condition: sel", &v), 0);
	assert_int_equal(proc_rule_fires("  sel:\n    Empty: ''\n  condition: sel", &v), 1);
	assert_int_equal(proc_rule_fires("  sel:\n    Image: ''\n  condition: sel", &v), 0);
	assert_int_equal(proc_rule_fires("  sel:\n    Count|gt: 41\n  condition: sel", &v), 1);
	assert_int_equal(proc_rule_fires("  sel:\n    Count|gt: 42\n  condition: sel", &v), 0);
	assert_int_equal(proc_rule_fires("  sel:\n    Count|gte: 42\n  condition: sel", &v), 1);
	assert_int_equal(proc_rule_fires("  sel:\n    Count|lt: 42\n  condition: sel", &v), 0);
	assert_int_equal(proc_rule_fires("  sel:\n    Count|lte: 42.5\n  condition: sel", &v), 1);
	assert_int_equal(proc_rule_fires("  sel:\n    Image|gt: 1\n  condition: sel", &v), 0);
	assert_int_equal(proc_rule_fires("  sel:\n    Image|fieldref: ParentImage\n"
	                                 "  condition: sel",
	                                 &v),
	                 1);
	assert_int_equal(proc_rule_fires("  sel:\n    Image|fieldref: Count\n  condition: sel", &v),
	                 0);
	{
		/* long values compared without case (the lower-cased copies of
		 * both, the buffer grown in between) */
		static char a[3000], b[3000];

		memset(a, 'x', sizeof(a) - 1);
		memset(b, 'X', sizeof(b) - 1);
		ev_proc(&v, "Image", a, "ParentImage", b, NULL);
		assert_int_equal(proc_rule_fires("  sel:\n    Image|fieldref: ParentImage\n"
		                                 "  condition: sel",
		                                 &v),
		                 1);
		b[10] = 'y';
		assert_int_equal(proc_rule_fires("  sel:\n    Image|fieldref: ParentImage\n"
		                                 "  condition: sel",
		                                 &v),
		                 0);
	}
	proc_rule_reason("  sel:\n    Image|expand: '%Admins%'\n  condition: sel",
	                 "placeholder-undefined");
	proc_rule_reason("  sel:\n    Image|sideways: 'x'\n  condition: sel", "unknown-modifier");
	proc_rule_reason("  sel:\n    Image|re|contains: 'x'\n  condition: sel",
	                 "bad-modifier-combination");
}

static void test_keywords(void **state)
{
	struct ev v;
	struct hits h;
	struct rs r;

	(void)state;
	ev_proc(&v, "CommandLine", "vssadmin delete shadows /all", NULL);
	assert_int_equal(proc_rule_fires("  keywords:\n    - 'DELETE SHADOWS'\n    - 'nothing'\n"
	                                 "  condition: keywords",
	                                 &v),
	                 1);
	assert_int_equal(proc_rule_fires("  keywords:\n    - 'resize shadowstorage'\n"
	                                 "  condition: keywords",
	                                 &v),
	                 0);
	/* the hit names the field the keyword was found in */
	rs_load(&r, "title: k\nid: 44444444-4444-4444-4444-444444444444\n"
	            "logsource:\n  product: windows\n  category: process_creation\n"
	            "detection:\n  keywords: 'shadows /all'\n  condition: keywords\n");
	assert_int_equal(fires(&r, &v, &h), 1);
	assert_string_equal(h.fields, "CommandLine=keywords");
	rs_free(&r);
}

/* ------------------------------------------------------------ conditions */

static const char *const cond_det = "  sel_a:\n    Image|endswith: '\\a.exe'\n"
                                    "  sel_b:\n    CommandLine|contains: 'bee'\n"
                                    "  filter_x:\n    User: 'SYSTEM'\n"
                                    "  _hidden:\n    Image|endswith: '\\zzz.exe'\n";

static int cond_fires(const char *cond, struct ev *v)
{
	char det[2048];

	snprintf(det, sizeof(det), "%s  condition: %s", cond_det, cond);
	return proc_rule_fires(det, v);
}

static void test_conditions(void **state)
{
	struct ev ab, a, asys;

	(void)state;
	ev_proc(&ab, "Image", "C:\\a.exe", "CommandLine", "a bee", "User", "bob", NULL);
	ev_proc(&a, "Image", "C:\\a.exe", "CommandLine", "x", "User", "bob", NULL);
	ev_proc(&asys, "Image", "C:\\a.exe", "CommandLine", "bee", "User", "system", NULL);

	assert_int_equal(cond_fires("sel_a and sel_b", &ab), 1);
	assert_int_equal(cond_fires("sel_a and sel_b", &a), 0);
	assert_int_equal(cond_fires("sel_a or sel_b", &a), 1);
	assert_int_equal(cond_fires("sel_a and not sel_b", &a), 1);
	assert_int_equal(cond_fires("sel_a and not sel_b", &ab), 0);
	assert_int_equal(cond_fires("not sel_a", &ab), 0);
	/* precedence: not > and > or */
	assert_int_equal(cond_fires("sel_b or sel_a and filter_x", &a), 0);
	assert_int_equal(cond_fires("(sel_b or sel_a) and not filter_x", &a), 1);
	assert_int_equal(cond_fires("(sel_b or sel_a) and not filter_x", &asys), 0);
	assert_int_equal(cond_fires("all of sel_*", &ab), 1);
	assert_int_equal(cond_fires("all of sel_*", &a), 0);
	assert_int_equal(cond_fires("1 of sel_*", &a), 1);
	assert_int_equal(cond_fires("1 of sel_* and not 1 of filter_*", &asys), 0);
	assert_int_equal(cond_fires("1 of sel_* and not 1 of filter_*", &a), 1);
	/* them: every identifier but those starting with '_' */
	assert_int_equal(cond_fires("all of them", &asys), 1);
	assert_int_equal(cond_fires("all of them", &ab), 0);
	assert_int_equal(cond_fires("2 of them", &ab), 1);
	assert_int_equal(cond_fires("2 of them", &a), 0);
	assert_int_equal(cond_fires("1 of _hid*", &a), 0);
	/* a list of conditions is OR */
	assert_int_equal(proc_rule_fires("  s1:\n    Image: 'x'\n  s2:\n    User: 'bob'\n"
	                                 "  condition:\n    - s1\n    - s2",
	                                 &a),
	                 1);

	proc_rule_reason("  sel:\n    Image: 'x'\n  condition: sel | count() > 5", "aggregation");
	proc_rule_reason("  sel:\n    Image: 'x'\n  condition: sel and sel2", "bad-condition");
	proc_rule_reason("  sel:\n    Image: 'x'\n  condition: (sel", "bad-condition");
	proc_rule_reason("  sel:\n    Image: 'x'\n  timeframe: 5m\n  condition: sel",
	                 "aggregation");
}

/* ------------------------------------------------------------ reader */

static void test_collections_and_metadata(void **state)
{
	static const char yaml[] =
	        "action: global\n"
	        "title: Collection\n"
	        "status: test\n"
	        "author: Someone\n"
	        "date: 2023-03-30\n"
	        "tags:\n  - attack.execution\n  - attack.t1059.001\n  - cve.2023.29059\n"
	        "references:\n  - https://example.invalid/r\n"
	        "level: high\n"
	        "detection:\n  condition: sel\n"
	        "---\n"
	        "id: aaaaaaaa-0000-0000-0000-000000000001\n"
	        "logsource:\n  product: windows\n  category: process_creation\n"
	        "detection:\n  sel:\n    Image|endswith: '\\one.exe'\n"
	        "---\n"
	        "action: repeat\n"
	        "id: aaaaaaaa-0000-0000-0000-000000000002\n"
	        "detection:\n  sel:\n    Image|endswith: '\\two.exe'\n"
	        "---\n"
	        "action: reset\n"
	        "---\n"
	        "title: Alone\n"
	        "id: aaaaaaaa-0000-0000-0000-000000000003\n"
	        "logsource:\n  product: windows\n  service: security\n"
	        "detection:\n  sel:\n    EventID: 4624\n  condition: sel\n"
	        "---\n"
	        "title: Broken\n"
	        "id: aaaaaaaa-0000-0000-0000-000000000004\n"
	        "logsource:\n  product: windows\n  category: process_creation\n"
	        "detection:\n  sel:\n    Image: [unclosed\n";
	struct cs_sigma_rule_info ri;
	const struct cs_indicator *ind;
	struct cs_sigma_stats st;
	struct ev v;
	struct rs r;

	(void)state;
	rs_load(&r, yaml);
	assert_int_equal(r.imp->st.sigma_rules, 4);
	cs_sigma_stats(r.sg, &st);
	assert_int_equal(st.rules, 4);
	assert_int_equal(st.usable, 3);
	assert_int_equal(cs_sigma_reason_count(r.sg), 1);
	assert_string_equal(cs_sigma_reason(r.sg, 0, NULL), "yaml-syntax");

	assert_int_equal(cs_sigma_rule(r.sg, 1, &ri), CS_OK);
	assert_string_equal(ri.id, "aaaaaaaa-0000-0000-0000-000000000002");
	assert_string_equal(ri.title, "Collection");
	assert_int_equal(ri.level, CS_SIGMA_LEVEL_HIGH);
	assert_int_equal(ri.ntags, 3);
	assert_int_equal(ri.nreferences, 1);
	assert_string_equal(ri.author, "Someone");
	assert_string_equal(ri.category, "process_creation");
	assert_int_equal(ri.line, 24);
	assert_true(ri.usable);
	assert_int_equal(cs_sigma_rule(r.sg, 2, &ri), CS_OK);
	assert_null(ri.tags);
	assert_string_equal(ri.service, "security");
	assert_int_equal(cs_sigma_rule(r.sg, 3, &ri), CS_OK);
	assert_false(ri.usable);
	assert_int_equal(ri.reason_line, 50); /* the end, where '[' is still open */

	ind = cs_test_must_find(r.imp->in, CS_KIND_SIGMA_RULE,
	                        "aaaaaaaa-0000-0000-0000-000000000001");
	assert_true(cs_test_has_label(r.imp->in, ind, "attack-pattern:T1059.001"));
	assert_true(cs_test_has_label(r.imp->in, ind, "tactic:execution"));
	assert_true(cs_test_has_label(r.imp->in, ind, "vulnerability:CVE-2023-29059"));
	assert_true(cs_test_has_label(r.imp->in, ind, "sigma-level:high"));
	assert_true(cs_test_has_source(r.imp->in, ind, "mem.json", 16, "sigma", NULL));

	/* the repeated rule runs with its own detection */
	ev_proc(&v, "Image", "C:\\two.exe", NULL);
	assert_int_equal(fires(&r, &v, NULL), 1);
	ev_proc(&v, "Image", "C:\\one.exe", NULL);
	assert_int_equal(fires(&r, &v, NULL), 1);
	ev_proc(&v, "Image", "C:\\three.exe", NULL);
	assert_int_equal(fires(&r, &v, NULL), 0);
	rs_free(&r);
}

static void test_reader_reasons(void **state)
{
	struct rs r;
	struct cs_sigma_rule_info ri;

	(void)state;
	rs_load(&r, "title: corr\ncorrelation:\n  type: event_count\n  rules: [a]\n"
	            "detection:\n  condition: x\nlogsource:\n  product: windows\n");
	assert_int_equal(cs_sigma_rule(r.sg, 0, &ri), CS_OK);
	assert_string_equal(ri.reason, "correlation");
	rs_free(&r);
	rs_load(&r, "title: nols\nlogsource:\n  product: windows\n  category: teleport\n"
	            "detection:\n  s:\n    a: b\n  condition: s\n");
	assert_int_equal(cs_sigma_rule(r.sg, 0, &ri), CS_OK);
	assert_string_equal(ri.reason, "logsource-unmapped");
	assert_int_equal(ri.reason_line, 3);
	assert_int_equal(ri.reason_column, 3);
	rs_free(&r);
	/* lone CRs are line breaks to YAML, not to our line count: positions
	 * stay inside the input */
	rs_load(&r, "title: cr\rlogsource:\r  product: [windows");
	assert_int_equal(cs_sigma_rule(r.sg, 0, &ri), CS_OK);
	assert_string_equal(ri.reason, "yaml-syntax");
	assert_int_equal(ri.reason_line, 1);
	assert_true(ri.reason_column <= strlen("title: cr\rlogsource:\r  product: [windows") + 1);
	rs_free(&r);
	rs_load(&r, "title: alias\nlogsource: &x\n  product: windows\n"
	            "detection:\n  s: *x\n  condition: s\n");
	assert_int_equal(cs_sigma_rule(r.sg, 0, &ri), CS_OK);
	assert_string_equal(ri.reason, "yaml-alias");
	rs_free(&r);
}

/* ------------------------------------------------------------ log sources */

static void test_logsource_mapping(void **state)
{
	static const char yaml[] =
	        "title: proc\nid: bbbbbbbb-0000-0000-0000-000000000001\n"
	        "logsource:\n  product: windows\n  category: process_creation\n"
	        "detection:\n  sel:\n    Image|endswith: '\\evil.exe'\n"
	        "    ParentImage|endswith: '\\word.exe'\n  condition: sel\n"
	        "---\n"
	        "title: needs hashes\nid: bbbbbbbb-0000-0000-0000-000000000002\n"
	        "logsource:\n  product: windows\n  category: process_creation\n"
	        "detection:\n  sel:\n    Image|endswith: '\\evil.exe'\n"
	        "  filter:\n    OriginalFileName: 'good.exe'\n  condition: sel and not filter\n"
	        "---\n"
	        "title: zeek dns\nid: bbbbbbbb-0000-0000-0000-000000000003\n"
	        "logsource:\n  category: dns\n"
	        "detection:\n  sel:\n    query|endswith: '.evil.example'\n"
	        "    record_type: 'A'\n  condition: sel\n";
	struct hits h;
	struct ev v;
	struct rs r;

	(void)state;
	rs_load(&r, yaml);
	/* Security 4688 under its own field names */
	ev_init(&v, "Security", 4688);
	ev_add(&v, "EventID", "4688");
	ev_add(&v, "NewProcessName", "C:\\x\\evil.exe");
	ev_add(&v, "ParentProcessName", "C:\\o\\WORD.EXE");
	assert_int_equal(fires(&r, &v, &h), 1);
	assert_string_equal(h.ids[0], "bbbbbbbb-0000-0000-0000-000000000001");
	assert_string_equal(h.fields, "NewProcessName=Image,ParentProcessName=ParentImage");
	/* the same event under Sysmon names does not fire on the Security log */
	ev_init(&v, "Security", 4688);
	ev_add(&v, "Image", "C:\\x\\evil.exe");
	ev_add(&v, "ParentImage", "C:\\o\\word.exe");
	assert_int_equal(fires(&r, &v, NULL), 0);
	/* Sysmon 1: both rules */
	ev_proc(&v, "Image", "C:\\x\\evil.exe", "ParentImage", "C:\\word.exe", NULL);
	assert_int_equal(fires(&r, &v, NULL), 2);
	/* another Sysmon event id: no process-creation rule runs */
	v.e.event_id = 3;
	assert_int_equal(fires(&r, &v, NULL), 0);
	/* Zeek dns.log: renamed fields */
	ev_init(&v, NULL, 0);
	v.e.product = "zeek";
	v.e.service = "dns";
	ev_add(&v, "query", "c2.evil.example");
	ev_add(&v, "qtype_name", "A");
	assert_int_equal(fires(&r, &v, &h), 1);
	assert_string_equal(h.ids[0], "bbbbbbbb-0000-0000-0000-000000000003");
	ev_release(&v);

	assert_int_equal(cs_sigma_applicable(r.sg, "windows", NULL, "Security", 4688), 1);
	assert_int_equal(cs_sigma_applicable(r.sg, "windows", NULL, SYSMON, 1), 2);
	assert_int_equal(cs_sigma_applicable(r.sg, "windows", NULL, SYSMON, 0), 2);
	assert_false(cs_sigma_wants(r.sg, "windows", NULL, "System", 7045));
	assert_true(cs_sigma_wants(r.sg, "zeek", "dns", NULL, 0));
	rs_free(&r);
}

/* ------------------------------------------------------------ case database */

static void test_store_round_trip(void **state)
{
	static const char yaml[] =
	        "title: rt\nid: cccccccc-0000-0000-0000-000000000001\nlevel: critical\n"
	        "tags: [attack.t1105]\n"
	        "logsource:\n  product: windows\n  category: dns_query\n"
	        "detection:\n  sel:\n    QueryName|endswith: '.evil.example'\n  condition: sel\n";
	char *dir = cs_test_tmpdir(), *rule, db[512];
	struct cs_intel *in = cs_intel_new(), *back = cs_intel_new();
	struct cs_sigma *sg;
	struct cs_sigma_scratch *s;
	struct cs_sigma_rule_info ri;
	struct cs_store *st;
	struct hits h;
	struct ev v;

	(void)state;
	rule = cs_test_write(dir, "r.yml", yaml, strlen(yaml));
	snprintf(db, sizeof(db), "%s/case.db", dir);
	assert_int_equal(cs_intel_import(in, rule, NULL), CS_OK);
	assert_int_equal(cs_store_open(db, &st), CS_OK);
	assert_int_equal(cs_store_save_intel(st, in, NULL, NULL, NULL), CS_OK);
	cs_store_close(st);
	assert_int_equal(cs_store_open(db, &st), CS_OK);
	assert_int_equal(cs_store_load_intel(st, back), CS_OK);
	cs_store_close(st);

	assert_int_equal(cs_intel_sigma_count(back), 1);
	cs_test_must_find(back, CS_KIND_SIGMA_RULE, "cccccccc-0000-0000-0000-000000000001");
	assert_int_equal(cs_sigma_compile(back, NULL, NULL, &sg), CS_OK);
	assert_int_equal(cs_sigma_rule(sg, 0, &ri), CS_OK);
	assert_int_equal(ri.level, CS_SIGMA_LEVEL_CRITICAL);
	assert_string_equal(ri.file, rule);
	s = cs_sigma_scratch_new(sg);
	ev_init(&v, SYSMON, 22);
	ev_add(&v, "QueryName", "www.evil.example");
	memset(&h, 0, sizeof(h));
	assert_int_equal(cs_sigma_eval(sg, s, &v.e, on_hit, &h), 1);
	cs_sigma_scratch_free(s);
	cs_sigma_free(sg);
	cs_intel_free(in);
	cs_intel_free(back);
	free(rule);
	cs_test_rmtree(dir);
	free(dir);
}

/* ------------------------------------------------------------ 3CX rules */

static int fired_id(struct rs *r, struct ev *v, const char *id)
{
	struct hits h;
	size_t i;

	fires(r, v, &h);
	for (i = 0; i < h.n && i < 16; i++)
		if (strcmp(h.ids[i], id) == 0)
			return 1;
	return 0;
}

static void rs_load_path(struct rs *r, const char *path)
{
	r->imp = cs_test_import_path(NULL, path);
	assert_int_equal(r->imp->rc, CS_OK);
	assert_int_equal(cs_sigma_compile(r->imp->in, NULL, NULL, &r->sg), CS_OK);
	r->s = cs_sigma_scratch_new(r->sg);
	assert_non_null(r->s);
}

#define APP "C:\\Users\\u\\AppData\\Local\\Programs\\3CXDesktopApp\\app\\3CXDesktopApp.exe"

/* The bundled pack's own rules (intel/3cx-sigma.yml), with near misses. */
static void test_bundled_3cx(void **state)
{
	char path[4096];
	struct cs_sigma_stats st;
	struct ev v;
	struct rs r;

	(void)state;
	snprintf(path, sizeof(path), "%s/intel/3cx-sigma.yml", getenv("CS_SOURCE_DIR"));
	rs_load_path(&r, path);
	cs_sigma_stats(r.sg, &st);
	assert_int_equal(st.rules, 6);
	assert_int_equal(st.usable, 6);

	ev_proc(&v, "Image", APP, "FileVersion", "18.12.416.0", NULL);
	assert_true(fired_id(&r, &v, "153166c5-a903-4703-aa9e-6691b6c22ea5"));
	ev_proc(&v, "Image", APP, "FileVersion", "18.12.425.0", NULL);
	assert_false(fired_id(&r, &v, "153166c5-a903-4703-aa9e-6691b6c22ea5"));
	ev_proc(&v, "Image", APP, "Hashes",
	        "MD5=00,SHA256=FAD482DED2E25CE9E1DD3D3ECC3227AF714BDFBBDE04347DBC1B21D6A3670405",
	        NULL);
	assert_true(fired_id(&r, &v, "153166c5-a903-4703-aa9e-6691b6c22ea5"));

	ev_proc(&v, "ParentImage", APP, "Image", "C:\\Windows\\System32\\cmd.exe", NULL);
	assert_true(fired_id(&r, &v, "7c4733c3-e2ca-42e0-bace-5c8c8c2382f8"));
	ev_proc(&v, "ParentImage", APP, "Image", "C:\\Windows\\System32\\notepad.exe", NULL);
	assert_int_equal(fires(&r, &v, NULL), 0);

	ev_init(&v, SYSMON, 7);
	ev_add(&v, "Image", APP);
	ev_add(&v, "ImageLoaded", "C:\\x\\app\\ffmpeg.dll");
	ev_add(&v, "Hashes",
	       "SHA1=1,SHA256=7986BBAEE8940DA11CE089383521AB420C443AB7B15ED42AED91FD31CE833896");
	assert_true(fired_id(&r, &v, "88cfc5ea-89b9-473a-a2c3-d87be4cc67de"));
	v.f[1].value = "C:\\x\\app\\avcodec.dll";
	v.f[1].value_len = strlen(v.f[1].value);
	assert_int_equal(fires(&r, &v, NULL), 0);

	ev_init(&v, SYSMON, 22);
	ev_add(&v, "QueryName", "raw.azureonlinestorage.com");
	assert_true(fired_id(&r, &v, "9b96ca84-3efd-4ff1-95a8-7b9a0a331eea"));
	v.f[0].value = "notazureonlinestorage.com";
	v.f[0].value_len = strlen(v.f[0].value);
	assert_int_equal(fires(&r, &v, NULL), 0);
	v.f[0].value = "sbmsa.wiki";
	v.f[0].value_len = strlen(v.f[0].value);
	assert_int_equal(fires(&r, &v, NULL), 1);

	ev_init(&v, NULL, 0);
	v.e.product = "zeek";
	v.e.service = "dns";
	ev_add(&v, "query", "journalide.org");
	assert_true(fired_id(&r, &v, "55469098-76fb-4d72-9997-c8778ab9672a"));

	ev_init(&v, NULL, 0);
	v.e.service = "proxy";
	ev_add(&v, "c-uri", "https://raw.githubusercontent.com/IconStorages/images/main/icon7.ico");
	assert_true(fired_id(&r, &v, "6d2fc1df-3ba1-4f6c-80ab-57be98bc6dcc"));
	ev_init(&v, NULL, 0);
	v.e.product = "zeek";
	v.e.service = "http";
	ev_add(&v, "uri", "/IconStorages/images/main/icon7.ico");
	assert_true(fired_id(&r, &v, "6d2fc1df-3ba1-4f6c-80ab-57be98bc6dcc"));
	rs_free(&r);
}

/* SigmaHQ's eight 3CX rules, imported by path, each fired by a crafted
 * event its logic allows. */
static void test_sigmahq_3cx(void **state)
{
	const char *dir = CS_TEST_REAL_WORLD("sigma-3cx");
	struct cs_sigma_stats st;
	struct ev v;
	struct rs r;

	(void)state;
	rs_load_path(&r, dir);
	cs_sigma_stats(r.sg, &st);
	assert_int_equal(st.rules, 8);
	assert_int_equal(st.usable, 8);

	ev_init(&v, SYSMON, 22);
	ev_add(&v, "QueryName", "cdn.azureonlinestorage.com");
	assert_true(fired_id(&r, &v, "bd03a0dc-5d93-49eb-b2e8-2dfd268600f8"));

	ev_init(&v, SYSMON, 7);
	ev_add(&v, "ImageLoaded", "C:\\x\\d3dcompiler_47.dll");
	ev_add(&v, "Hashes", "SHA1=20D554A80D759C50D6537DD7097FED84DD258B3E,MD5=0");
	assert_true(fired_id(&r, &v, "d0b65ad3-e945-435e-a7a9-438e62dd48e9"));

	ev_init(&v, SYSMON, 3);
	ev_add(&v, "Image", APP);
	ev_add(&v, "DestinationHostname", "msstorageazure.com");
	assert_true(fired_id(&r, &v, "51eecf75-d069-43c7-9ea2-63f75499edd4"));

	ev_proc(&v, "Image", APP, "FileVersion", "18.12.416.0", NULL);
	assert_true(fired_id(&r, &v, "93bbde78-dc86-4e73-9ffc-ff8a384ca89c"));

	ev_proc(&v, "ParentImage", APP, "Image",
	        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", NULL);
	assert_true(fired_id(&r, &v, "63f3605b-979f-48c2-b7cc-7f90523fed88"));

	ev_proc(&v, "Image",
	        "C:\\Users\\u\\AppData\\Local\\Programs\\3CXDesktopApp\\app\\Update.exe",
	        "CommandLine",
	        "Update.exe --update https://example.invalid/electron/update/win32/18.12/x", NULL);
	assert_true(fired_id(&r, &v, "e7581747-1e44-4d4b-85a6-0db0b4a00f2a"));

	ev_init(&v, NULL, 0);
	v.e.service = "proxy";
	ev_add(&v, "cs-host", "www.pbxsources.com");
	assert_true(fired_id(&r, &v, "3c4b3bbf-36b4-470c-b6cf-f07e8b1c7e26"));
	ev_init(&v, NULL, 0);
	v.e.product = "zeek";
	v.e.service = "http";
	ev_add(&v, "host", "www.pbxsources.com");
	assert_true(fired_id(&r, &v, "3c4b3bbf-36b4-470c-b6cf-f07e8b1c7e26"));

	ev_init(&v, NULL, 0);
	v.e.service = "proxy";
	ev_add(&v, "c-uri", "https://raw.githubusercontent.com/IconStorages/images/main/icon3.ico");
	assert_true(fired_id(&r, &v, "76bc1601-9546-4b75-9419-06e0e8d10651"));
	rs_free(&r);
}

/* ------------------------------------------------------------ SigmaHQ */

/*
 * A test-only converter from evtx_dump's JSON (Event.System with
 * "#attributes", EventData items by name) to a struct cs_event, named
 * as event.h says.
 */
struct jev {
	struct ev v;
	char chan[256];
};

static const char *own(struct ev *v, char *s)
{
	assert_true(v->nowned < 256);
	v->owned[v->nowned++] = s;
	return s;
}

static char *jtext(json_t *j)
{
	char buf[64];

	if (json_is_string(j))
		return strdup(json_string_value(j));
	if (json_is_integer(j)) {
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(j));
		return strdup(buf);
	}
	if (json_is_real(j)) {
		snprintf(buf, sizeof(buf), "%g", json_real_value(j));
		return strdup(buf);
	}
	if (json_is_true(j))
		return strdup("true");
	if (json_is_false(j))
		return strdup("false");
	if (json_is_object(j) && json_object_get(j, "#text"))
		return jtext(json_object_get(j, "#text"));
	return NULL;
}

static void jadd(struct ev *v, const char *name, json_t *val)
{
	char *t;

	if (json_is_array(val)) {
		size_t i;

		for (i = 0; i < json_array_size(val); i++) {
			char nm[80];

			if (i == 0)
				snprintf(nm, sizeof(nm), "%s", name);
			else
				snprintf(nm, sizeof(nm), "%s_%zu", name, i + 1);
			jadd(v, own(v, strdup(nm)), json_array_get(val, i));
		}
		return;
	}
	if (json_is_null(val)) {
		ev_add(v, name, NULL);
		return;
	}
	t = jtext(val);
	if (!t)
		return;
	ev_add(v, name, own(v, t));
}

static void jconvert(struct jev *je, json_t *root)
{
	json_t *evj = json_object_get(root, "Event"), *sys, *data, *val;
	const char *key;
	const struct cs_event_field *f;

	ev_init(&je->v, NULL, 0);
	sys = json_object_get(evj, "System");
	json_object_foreach(sys, key, val)
	{
		json_t *attrs = json_is_object(val) ? json_object_get(val, "#attributes") : NULL;

		if (attrs && !json_object_get(val, "#text")) {
			const char *ak;
			json_t *av;

			json_object_foreach(attrs, ak, av)
			{
				char nm[128];

				snprintf(nm, sizeof(nm), "%s_%s", key, ak);
				jadd(&je->v, own(&je->v, strdup(nm)), av);
			}
		} else {
			jadd(&je->v, key, val);
		}
	}
	data = json_object_get(evj, "EventData");
	if (!data) {
		/* UserData: the one element under it, by its children's names */
		json_t *ud = json_object_get(evj, "UserData");
		const char *k;
		json_t *el;

		json_object_foreach(ud, k, el)
		{
			if (strcmp(k, "#attributes") != 0 && json_is_object(el)) {
				data = el;
				break;
			}
		}
	}
	json_object_foreach(data, key, val)
	{
		if (strcmp(key, "#attributes") != 0)
			jadd(&je->v, key, val);
	}
	je->v.e.product = "windows";
	je->v.e.format = "evtx-json";
	f = cs_event_get(&je->v.e, "Channel");
	if (f) {
		snprintf(je->chan, sizeof(je->chan), "%s", f->value);
		je->v.e.channel = je->chan;
	}
	f = cs_event_get(&je->v.e, "EventID");
	if (f)
		je->v.e.event_id = atoi(f->value);
	f = cs_event_get(&je->v.e, "Provider_Name");
	if (f)
		je->v.e.provider = f->value;
}

struct want {
	const char *id;
	int hit;
	size_t all; /* every rule that fired */
};

static int on_want(void *ud, const struct cs_event *e, const struct cs_sigma_hit *h)
{
	struct want *w = ud;

	(void)e;
	w->all++;
	if (h->id && strcmp(h->id, w->id) == 0)
		w->hit = 1;
	return 0;
}

/* The rule id info.yml names (first rule_metadata entry). */
static int info_rule_id(const char *path, char *out, size_t cap)
{
	size_t len;
	char *t = cs_test_slurp(path, &len), *p, *e;
	int ok = 0;

	p = strstr(t, "rule_metadata:");
	if (p && (p = strstr(p, "id:")) != NULL) {
		p += 3;
		while (*p == ' ')
			p++;
		e = p;
		while (*e && *e != '\n' && *e != '\r' && *e != ' ')
			e++;
		snprintf(out, cap, "%.*s", (int)(e - p), p);
		ok = 1;
	}
	free(t);
	return ok;
}

#define SPEED_REPS 200

struct regress {
	struct cs_sigma *sg;
	struct cs_sigma_scratch *s;
	size_t pairs, fired, events, hits;
	/* Evaluation speed: each event evaluated again SPEED_REPS times. */
	double secs;
	size_t evals;
	struct cs_buf fails;
};

/* Does rule `id` fire on any event of the JSON file? -1 when the file
 * is missing. */
static int json_fires(struct regress *rg, const char *json, const char *id)
{
	size_t len, off = 0;
	char *t;
	struct want w = {id, 0, 0};

	if (access(json, R_OK) != 0)
		return -1;
	t = cs_test_slurp(json, &len);
	while (off < len) {
		json_error_t err;
		json_t *root;
		struct jev je;

		while (off < len && strchr(" \t\r\n", t[off]))
			off++;
		if (off >= len)
			break;
		root = json_loadb(t + off, len - off, JSON_DISABLE_EOF_CHECK, &err);
		assert_non_null(root);
		off += (size_t)err.position;
		jconvert(&je, root);
		rg->events++;
		assert_true(cs_sigma_eval(rg->sg, rg->s, &je.v.e, on_want, &w) >= 0);
		{
			struct timespec t0, t1;
			int k;

			clock_gettime(CLOCK_MONOTONIC, &t0);
			for (k = 0; k < SPEED_REPS; k++)
				cs_sigma_eval(rg->sg, rg->s, &je.v.e, NULL, NULL);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			rg->secs += (double)(t1.tv_sec - t0.tv_sec) +
			            (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
			rg->evals += SPEED_REPS;
		}
		ev_release(&je.v);
		json_decref(root);
	}
	free(t);
	rg->hits += w.all;
	return w.hit;
}

/* A raw log (one event per line, the line as its message) of the rule's
 * own product and service, as a syslog reader would hand it over. */
static int raw_fires(struct regress *rg, const char *raw, const struct cs_sigma_rule_info *ri)
{
	size_t len;
	char *t = cs_test_slurp(raw, &len), *line, *save = NULL;
	struct want w = {ri->id, 0, 0};

	for (line = strtok_r(t, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		struct ev v;

		ev_init(&v, NULL, 0);
		v.e.product = ri->product;
		v.e.service = ri->service ? ri->service : ri->category;
		ev_add(&v, "message", line);
		rg->events++;
		assert_true(cs_sigma_eval(rg->sg, rg->s, &v.e, on_want, &w) >= 0);
	}
	free(t);
	rg->hits += w.all;
	return w.hit;
}

static size_t rule_index(const struct cs_sigma *sg, const char *id)
{
	size_t i;
	struct cs_sigma_rule_info ri;

	for (i = 0; i < cs_sigma_rule_count(sg); i++) {
		cs_sigma_rule(sg, i, &ri);
		if (ri.id && strcmp(ri.id, id) == 0)
			return i;
	}
	return (size_t)-1;
}

static void walk_regress(struct regress *rg, const char *dir)
{
	struct dirent **ents;
	int n, i;
	char path[4096], json[4096] = "", raw[4096] = "", id[128];
	int has_info = 0;

	n = scandir(dir, &ents, NULL, alphasort);
	assert_true(n >= 0);
	for (i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;
		struct stat sb;

		if (nm[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, nm);
		if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
			walk_regress(rg, path);
		else if (strcmp(nm, "info.yml") == 0)
			has_info = 1;
		else if (cs__name_ends(nm, ".json"))
			snprintf(json, sizeof(json), "%s", path);
		else if (cs__name_ends(nm, ".raw"))
			snprintf(raw, sizeof(raw), "%s", path);
	}
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	if (!has_info)
		return;
	snprintf(path, sizeof(path), "%s/info.yml", dir);
	assert_true(info_rule_id(path, id, sizeof(id)));
	rg->pairs++;
	{
		size_t ri = rule_index(rg->sg, id);
		struct cs_sigma_rule_info info;
		int r;

		if (ri == (size_t)-1) {
			cs__buf_printf(&rg->fails, "  %s: rule not among the imported rules (%s)\n",
			               id, dir);
			return;
		}
		cs_sigma_rule(rg->sg, ri, &info);
		if (!info.usable) {
			cs__buf_printf(&rg->fails, "  %s %s: not usable: %s: %s\n", id, info.title,
			               info.reason, info.message);
			return;
		}
		r = *json ? json_fires(rg, json, id) : *raw ? raw_fires(rg, raw, &info) : -1;
		if (r < 0)
			cs__buf_printf(&rg->fails, "  %s %s: no JSON twin of the .evtx in %s\n", id,
			               info.title, dir);
		else if (!r)
			cs__buf_printf(&rg->fails, "  %s %s: did not fire (%s)\n", id, info.title,
			               json);
		else
			rg->fired++;
	}
}

/*
 * Rules of the regression data that may not fire, each with the reason.
 * Empty: every pair fires (the one without an .evtx, a Cisco log line,
 * through its .raw file).
 */
static const char *const allowed_misses[] = {NULL};

static void import_sigmahq(struct cs_intel *in, struct cs_import_stats *total)
{
	static const char *const dirs[] = {"sigma/rules", "sigma/rules-emerging-threats",
	                                   "sigma/rules-threat-hunting"};
	size_t i;

	memset(total, 0, sizeof(*total));
	for (i = 0; i < 3; i++) {
		struct cs_import_stats st;
		const char *p = cs_test_real_world(dirs[i]);

		assert_non_null(p);
		assert_int_equal(cs_intel_import(in, p, &st), CS_OK);
		total->files += st.files;
		total->files_failed += st.files_failed;
		total->sigma_rules += st.sigma_rules;
	}
}

static void test_sigmahq_regression(void **state)
{
	char *data = strdup(CS_TEST_REAL_WORLD("sigma/regression_data"));
	struct cs_intel *in = cs_intel_new();
	struct cs_import_stats st;
	struct regress rg;
	size_t misses = 0;

	(void)state;
	memset(&rg, 0, sizeof(rg));
	cs__buf_init(&rg.fails, 0);
	import_sigmahq(in, &st);
	assert_int_equal(cs_sigma_compile(in, NULL, NULL, &rg.sg), CS_OK);
	rg.s = cs_sigma_scratch_new(rg.sg);
	walk_regress(&rg, data);
	print_message("regression: %zu pairs, %zu fired, %zu events, %zu rule hits in all\n",
	              rg.pairs, rg.fired, rg.events, rg.hits);
	if (rg.secs > 0)
		print_message("evaluation with every SigmaHQ rule loaded: %.0f events/s "
		              "(%zu evaluations of the regression events)\n",
		              (double)rg.evals / rg.secs, rg.evals);
	if (rg.fails.len)
		print_message("rules that did not fire:\n%s", cs__buf_cstr(&rg.fails));
	/* Every miss must be listed with its reason. */
	{
		const char *line = cs__buf_cstr(&rg.fails);

		while (*line) {
			const char *e = strchr(line, '\n');
			size_t k;
			int ok = 0;

			for (k = 0; !ok && allowed_misses[k]; k++)
				ok = strncmp(line + 2, allowed_misses[k], 36) == 0;
			if (!ok)
				misses++;
			line = e + 1;
		}
	}
	assert_true(rg.pairs >= 170);
	assert_int_equal(misses, 0);
	cs__buf_release(&rg.fails);
	cs_sigma_scratch_free(rg.s);
	cs_sigma_free(rg.sg);
	cs_intel_free(in);
	free(data);
}

static void test_sigmahq_all_folders(void **state)
{
	struct cs_intel *in;
	struct cs_import_stats st;
	struct cs_sigma_stats ss;
	struct cs_sigma *sg;
	struct timespec t0, t1;
	double secs;
	size_t i;

	(void)state;
	CS_TEST_REAL_WORLD("sigma/rules");
	in = cs_intel_new();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	import_sigmahq(in, &st);
	assert_int_equal(cs_sigma_compile(in, NULL, NULL, &sg), CS_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cs_sigma_stats(sg, &ss);
	print_message("SigmaHQ: %llu files, %llu rules, %llu usable, %llu not usable, "
	              "imported and compiled in %.2f s\n",
	              (unsigned long long)ss.files, (unsigned long long)ss.rules,
	              (unsigned long long)ss.usable, (unsigned long long)ss.not_usable, secs);
	for (i = 0; i < cs_sigma_reason_count(sg); i++) {
		uint64_t n;
		const char *r = cs_sigma_reason(sg, i, &n);

		print_message("  %-24s %llu\n", r, (unsigned long long)n);
	}
	assert_int_equal(ss.rules, st.sigma_rules);
	assert_true(ss.rules > 3000);
	assert_true(ss.usable * 100 >= ss.rules * 95);
	assert_true(secs < 120);
	cs_sigma_free(sg);
	cs_intel_free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_plain_and_case),
	        cmocka_unit_test(test_contains_starts_ends),
	        cmocka_unit_test(test_contains_search),
	        cmocka_unit_test(test_candidates),
	        cmocka_unit_test(test_all_and_lists),
	        cmocka_unit_test(test_wildcards_escapes),
	        cmocka_unit_test(test_re),
	        cmocka_unit_test(test_engines_cache),
	        cmocka_unit_test(test_set_snapshot),
	        cmocka_unit_test(test_set_snapshot_hostile),
	        cmocka_unit_test(test_cidr),
	        cmocka_unit_test(test_base64_offsets_wide),
	        cmocka_unit_test(test_windash),
	        cmocka_unit_test(test_exists_null_num_fieldref),
	        cmocka_unit_test(test_keywords),
	        cmocka_unit_test(test_conditions),
	        cmocka_unit_test(test_collections_and_metadata),
	        cmocka_unit_test(test_reader_reasons),
	        cmocka_unit_test(test_logsource_mapping),
	        cmocka_unit_test(test_store_round_trip),
	        cmocka_unit_test(test_bundled_3cx),
	        cmocka_unit_test(test_sigmahq_3cx),
	        cmocka_unit_test(test_sigmahq_all_folders),
	        cmocka_unit_test(test_sigmahq_regression),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

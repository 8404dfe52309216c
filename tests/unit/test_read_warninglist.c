/*
 * Unit tests of the MISP warninglist reader (lib/intel/read_warninglist.c):
 * crafted lists under tests/data/warninglist, the real MISP lists, and
 * which indicators cs_intel_finalize() then marks. Expected marks were
 * computed independently (jq for string and hostname lists, Python's
 * ipaddress for CIDR lists; commands in the comments).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chainsweep/intel.h"
#include "testutil.h"

#define K(kind) (1u << (kind))

/* Index of the list called `name`; fails the test when absent. */
static size_t list_index(struct cs_intel *in, const char *name)
{
	size_t i;

	for (i = 0; i < cs_intel_warninglist_count(in); i++) {
		if (strcmp(cs_intel_warninglist_name(in, i, NULL, NULL, NULL), name) == 0)
			return i;
	}
	fail_msg("no warninglist '%s'", name);
	return 0;
}

static void check_list(struct cs_intel *in, const char *name, const char *type, uint32_t kinds,
                       size_t n)
{
	const char *t;
	uint32_t k;
	size_t got;

	cs_intel_warninglist_name(in, list_index(in, name), &t, &k, &got);
	assert_string_equal(t, type);
	assert_int_equal(k, kinds);
	assert_int_equal(got, n);
}

/*
 * The indicator (kind, raw value) is present after finalize, and the
 * lists naming it are exactly `expect` (a space-separated sorted list,
 * "" for none), with CS_IND_WARNLISTED set accordingly.
 */
static void check_marks(struct cs_intel *in, enum cs_kind kind, const char *raw, const char *expect)
{
	const struct cs_indicator *ind;
	char *norm, got[512] = "";
	const char *names[32];
	enum cs_kind k;
	size_t i, j, n;

	assert_int_equal(cs_normalize_value(kind, raw, &norm, &k), CS_OK);
	ind = cs_intel_find(in, k, norm);
	if (!ind)
		fail_msg("indicator '%s' is gone", norm);
	free(norm);
	n = cs_indicator_warninglist_count(ind);
	assert_true(n < 32);
	for (i = 0; i < n; i++)
		names[i] = cs_indicator_warninglist(in, ind, i);
	for (i = 1; i < n; i++) {
		for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			const char *t = names[j];

			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	}
	for (i = 0; i < n; i++) {
		if (i)
			strcat(got, " ");
		strcat(got, names[i]);
	}
	if (strcmp(got, expect) != 0)
		fail_msg("%s: marked by '%s', expected '%s'", raw, got, expect);
	assert_int_equal(!!(cs_indicator_flags(ind) & CS_IND_WARNLISTED), n > 0);
}

static void import_plain(struct cs_test_env *e, const char *text)
{
	assert_int_equal(cs_intel_set_format(e->in, "plain"), CS_OK);
	assert_int_equal(cs_intel_import_mem(e->in, "indicators", text, strlen(text), &e->st),
	                 CS_OK);
	assert_int_equal(e->st.rejected, 0);
	assert_int_equal(cs_intel_set_format(e->in, NULL), CS_OK);
}

/* ------------------------------------------------------------------ crafted */

static void test_crafted_lists(void **state)
{
	struct cs_test_env *e = *state;
	size_t before;

	assert_int_equal(cs_intel_import(e->in, cs_test_data("warninglist"), &e->st), CS_OK);
	/* Seven files; bad-type.json and broken.json are unusable. */
	assert_int_equal(e->st.files, 7);
	assert_int_equal(e->st.files_failed, 2);
	/* 2 + 2 + 1 (no-attrs) + 2 (unknown-attrs) + 1 (mixed) */
	assert_int_equal(e->st.warninglist_entries, 8);
	/* mixed-entries: 1 and null; bad-type; broken. */
	assert_int_equal(e->st.rejected, 4);
	assert_true(cs_test_diags_have(e->d, "bad-type.json:0:0: unsupported-type:"));
	assert_true(cs_test_diags_have(e->d, "broken.json:3:"));
	assert_true(cs_test_diags_have(e->d, "json-syntax"));
	assert_true(cs_test_diags_have(e->d, "entry 3 is not a string"));
	assert_int_equal(cs_intel_warninglist_count(e->in), 5);

	/* Names: the folder of a list.json, else the file name. */
	check_list(e->in, "crafted-hashes", "string",
	           K(CS_KIND_MD5) | K(CS_KIND_SHA256) | K(CS_KIND_SHA1), 2);
	check_list(e->in, "crafted-cidr", "cidr",
	           K(CS_KIND_IPV4) | K(CS_KIND_IPV6) | K(CS_KIND_CIDR) | K(CS_KIND_DOMAIN), 2);
	check_list(e->in, "no-attrs", "hostname", 0, 1);
	check_list(e->in, "unknown-attrs", "string", K(CS_KIND_NONE), 2);
	check_list(e->in, "mixed-entries", "string", K(CS_KIND_DOMAIN), 1);

	import_plain(e, "0123456789abcdef0123456789abcdef\n"
	                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
	                "198.51.100.9\n198.51.101.1\n2001:db8::1\n"
	                "a.example.net\nuser@example.net\nnotexample.net\n"
	                "example.org\nok-wl.example\n");
	before = cs_intel_count(e->in);
	assert_int_equal(before, 10);
	assert_int_equal(cs_intel_finalize(e->in), CS_OK);
	assert_int_equal(cs_intel_count(e->in), before);
	check_marks(e->in, CS_KIND_MD5, "0123456789abcdef0123456789abcdef", "crafted-hashes");
	check_marks(e->in, CS_KIND_SHA256,
	            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	            "crafted-hashes");
	check_marks(e->in, CS_KIND_IPV4, "198.51.100.9", "crafted-cidr");
	check_marks(e->in, CS_KIND_IPV4, "198.51.101.1", "");
	check_marks(e->in, CS_KIND_IPV6, "2001:db8::1", "crafted-cidr");
	/* No matching_attributes: every kind, e-mail domains included. */
	check_marks(e->in, CS_KIND_DOMAIN, "a.example.net", "no-attrs");
	check_marks(e->in, CS_KIND_EMAIL, "user@example.net", "no-attrs");
	check_marks(e->in, CS_KIND_DOMAIN, "notexample.net", "");
	/* Attribute types we hold no kind of: the list marks nothing. */
	check_marks(e->in, CS_KIND_DOMAIN, "example.org", "");
	check_marks(e->in, CS_KIND_DOMAIN, "ok-wl.example", "mixed-entries");
}

/* ------------------------------------------------------------------ real lists */

static void test_real_lists(void **state)
{
	struct cs_test_env *e = *state;
	const char *p = CS_TEST_REAL_WORLD("misp-warninglists/lists");
	const uint32_t ip = K(CS_KIND_IPV4) | K(CS_KIND_IPV6) | K(CS_KIND_CIDR);
	const uint32_t hashes =
	        K(CS_KIND_MD5) | K(CS_KIND_SHA1) | K(CS_KIND_SHA256) | K(CS_KIND_SHA512);
	const uint32_t dom_ip = K(CS_KIND_DOMAIN) | K(CS_KIND_IPV4) | K(CS_KIND_IPV6);

	assert_int_equal(cs_intel_import(e->in, p, &e->st), CS_OK);
	assert_int_equal(e->st.files, 11);
	assert_int_equal(e->st.files_failed, 0);
	assert_int_equal(e->st.rejected, 0);
	assert_int_equal(e->st.read, 0);
	/* for d in lists/<every folder>; do jq '.list | length' $d/list.json; done |
	 *   awk '{s+=$1} END {print s}'  -> 110588 (no entry is empty or not a string:
	 *   jq '[.list[] | select(type != "string" or . == "")] | length' -> 0 each) */
	assert_int_equal(e->st.warninglist_entries, 110588);
	assert_int_equal(cs_intel_warninglist_count(e->in), 11);
	assert_int_equal(cs_intel_count(e->in), 0);
	/* jq -c '{type, matching_attributes, n: (.list | length)}' lists/<name>/list.json */
	check_list(e->in, "cisco_top1000", "string", K(CS_KIND_DOMAIN) | K(CS_KIND_URL) | dom_ip,
	           1000);
	/* md5 sha1 sha224 sha256 sha512 filename|md5 ... (sha224 held by no kind) */
	check_list(e->in, "common-ioc-false-positive", "string", hashes, 69);
	check_list(e->in, "dynamic-dns", "hostname", K(CS_KIND_DOMAIN) | dom_ip, 35467);
	/* ... plus ssdeep and filename|ssdeep, ignored */
	check_list(e->in, "empty-hashes", "string", hashes, 6);
	check_list(e->in, "google", "string", K(CS_KIND_URL) | dom_ip, 669);
	check_list(e->in, "microsoft", "string", K(CS_KIND_URL) | dom_ip, 191);
	check_list(e->in, "microsoft-office365", "string", dom_ip, 183);
	/* ip-src ip-dst domain|ip ip-src|port ip-dst|port */
	check_list(e->in, "public-dns-v4", "cidr", ip | dom_ip, 62745);
	check_list(e->in, "rfc1918", "cidr", ip | dom_ip, 3);
	check_list(e->in, "tranco10k", "hostname", K(CS_KIND_URL) | dom_ip, 10000);
	check_list(e->in, "url-shortener", "hostname", K(CS_KIND_URL) | dom_ip, 255);
}

static void test_real_marking(void **state)
{
	struct cs_test_env *e = *state;
	const char *p = CS_TEST_REAL_WORLD("misp-warninglists/lists");
	size_t before;

	assert_int_equal(cs_intel_import(e->in, p, &e->st), CS_OK);
	import_plain(e, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
	                "d41d8cd98f00b204e9800998ecf8427e\n"
	                "8.8.8.8\n1.1.1.1\n10.1.2.3\n172.32.0.1\n192.168.1.1\n"
	                "10.0.0.0/16\n10.0.0.0/7\n203.0.113.7\n"
	                "google.com\nmail.google.com\nnotgoogle.com\nx.duckdns.org\n"
	                "evil-3cx-c2.example\nuser@google.com\n"
	                "http://bit.ly/abc\nhttp://bit.ly/\nhttp://10.1.2.3/x\n");
	/* A file name that is also a listed domain: lists for domains only
	 * leave it alone. */
	assert_int_equal(cs_intel_set_format(e->in, "csv"), CS_OK);
	assert_int_equal(cs_intel_import_mem(e->in, "f.csv", "value,type\ngoogle.com,filename\n",
	                                     31, &e->st),
	                 CS_OK);
	before = cs_intel_count(e->in);
	assert_int_equal(before, 20);
	assert_int_equal(cs_intel_finalize(e->in), CS_OK);
	/* Marked indicators are kept. */
	assert_int_equal(cs_intel_count(e->in), before);

	/* jq -e --arg v V '.list | index($v)' lists/<name>/list.json for string lists */
	check_marks(e->in, CS_KIND_SHA256,
	            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	            "common-ioc-false-positive empty-hashes");
	check_marks(e->in, CS_KIND_MD5, "d41d8cd98f00b204e9800998ecf8427e",
	            "common-ioc-false-positive empty-hashes");
	/* python3: ipaddress.ip_network(V).subnet_of(entry) over public-dns-v4 and
	 * rfc1918 */
	check_marks(e->in, CS_KIND_IPV4, "8.8.8.8", "public-dns-v4");
	check_marks(e->in, CS_KIND_IPV4, "1.1.1.1", "public-dns-v4");
	check_marks(e->in, CS_KIND_IPV4, "10.1.2.3", "rfc1918");
	check_marks(e->in, CS_KIND_IPV4, "172.32.0.1", "");
	check_marks(e->in, CS_KIND_IPV4, "192.168.1.1", "rfc1918");
	check_marks(e->in, CS_KIND_CIDR, "10.0.0.0/16", "rfc1918");
	check_marks(e->in, CS_KIND_CIDR, "10.0.0.0/7", "");
	check_marks(e->in, CS_KIND_IPV4, "203.0.113.7", "");
	/* string lists: exact; hostname lists: the name or a parent, with the
	 * entries' leading dots dropped (jq '[.list[] | ltrimstr(".")] | index($p)'
	 * for each parent p):
	 *   google.com      -> cisco_top1000 google tranco10k[google.com]
	 *   mail.google.com -> cisco_top1000 tranco10k[google.com]
	 *   x.duckdns.org   -> dynamic-dns[duckdns.org] tranco10k[duckdns.org] */
	check_marks(e->in, CS_KIND_DOMAIN, "google.com", "cisco_top1000 google tranco10k");
	check_marks(e->in, CS_KIND_DOMAIN, "mail.google.com", "cisco_top1000 tranco10k");
	check_marks(e->in, CS_KIND_DOMAIN, "notgoogle.com", "");
	check_marks(e->in, CS_KIND_DOMAIN, "x.duckdns.org", "dynamic-dns tranco10k");
	check_marks(e->in, CS_KIND_DOMAIN, "evil-3cx-c2.example", "");
	/* No list applies to e-mail addresses or file names. */
	check_marks(e->in, CS_KIND_EMAIL, "user@google.com", "");
	check_marks(e->in, CS_KIND_FILENAME, "google.com", "");
	/* URLs by their host, for lists that name "url", only when the URL
	 * names the host itself: bit.ly is in tranco10k and url-shortener,
	 * one link on it is not; rfc1918 does not apply to URLs. */
	check_marks(e->in, CS_KIND_URL, "http://bit.ly/", "tranco10k url-shortener");
	check_marks(e->in, CS_KIND_URL, "http://bit.ly/abc", "");
	check_marks(e->in, CS_KIND_URL, "http://10.1.2.3/x", "");
}

/* ------------------------------------------------------------------ hostile */

static void import_forced(struct cs_test_env *e, const char *name, const void *data, size_t len)
{
	memset(e->d, 0, sizeof(*e->d));
	assert_int_equal(cs_intel_set_format(e->in, "warninglist"), CS_OK);
	assert_int_equal(cs_intel_import_mem(e->in, name, data, len, &e->st), CS_ERR_EMPTY);
}

static void test_empty_and_truncated(void **state)
{
	struct cs_test_env *e = *state;
	static const char cut[] = "{\"name\": \"x\", \"type\": \"string\",\n\"list\": [\"a.exa";

	import_forced(e, "empty.json", "", 0);
	assert_int_equal(e->st.rejected, 1);
	assert_true(cs_test_diags_have(e->d, "json-syntax"));
	import_forced(e, "cut.json", cut, sizeof(cut) - 1);
	assert_true(cs_test_diags_have(e->d, "cut.json:2:"));
	import_forced(e, "arr.json", "[1, 2]", 6);
	assert_true(cs_test_diags_have(e->d, "not-warninglist"));
	assert_int_equal(cs_intel_warninglist_count(e->in), 0);
}

static void test_nul_bytes(void **state)
{
	struct cs_test_env *e = *state;
	static const char t[] = "{\"name\": \"n\", \"type\": \"string\", \"list\": [\"a\0b\"]}";
	static const char esc[] =
	        "{\"name\": \"n\", \"type\": \"string\", \"list\": [\"a\\u0000b\"]}";

	import_forced(e, "nul.json", t, sizeof(t) - 1);
	assert_int_equal(e->st.rejected, 1);
	import_forced(e, "esc.json", esc, sizeof(esc) - 1);
	assert_int_equal(e->st.rejected, 1);
	assert_int_equal(cs_intel_warninglist_count(e->in), 0);
}

static void test_crlf(void **state)
{
	struct cs_test_env *e = *state;
	static const char t[] = "{\r\n  \"name\": \"c\",\r\n  \"type\": \"hostname\",\r\n"
	                        "  \"list\": [\r\n    \"crlf.example\"\r\n  ]\r\n}\r\n";

	assert_int_equal(cs_intel_import_mem(e->in, "crlf.json", t, sizeof(t) - 1, &e->st), CS_OK);
	assert_int_equal(e->st.warninglist_entries, 1);
	check_list(e->in, "crlf", "hostname", 0, 1);
}

/* Deterministic bytes of every value. */
static void fill_garbage(unsigned char *p, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (unsigned char)(seed >> 16);
	}
}

static void test_binary_garbage(void **state)
{
	struct cs_test_env *e = *state;
	unsigned char buf[4096];
	char *deep;
	size_t i, n = 100000;
	uint32_t seed;

	for (seed = 1; seed <= 8; seed++) {
		fill_garbage(buf, sizeof(buf), seed);
		import_forced(e, "g.json", buf, sizeof(buf));
		assert_int_equal(e->st.rejected, 1);
	}
	/* Nesting far beyond any list: refused by the parser's depth cap. */
	deep = malloc(n + 64);
	assert_non_null(deep);
	memcpy(deep, "{\"type\": \"string\", \"list\": ", 27);
	for (i = 27; i < n; i++)
		deep[i] = '[';
	import_forced(e, "deep.json", deep, n);
	assert_int_equal(e->st.rejected, 1);
	free(deep);
}

/* A 100 MB line: one entry of 100 MB is refused, the file parses in
 * linear time. */
static void test_100mb_line(void **state)
{
	struct cs_test_env *e = *state;
	const size_t n = (size_t)100 << 20;
	char *dir = cs_test_tmpdir(), *big, *path;
	static const char head[] = "{\"name\": \"big\", \"type\": \"string\", \"list\": [\"";
	clock_t t0;

	assert_non_null(dir);
	big = malloc(n);
	assert_non_null(big);
	memset(big, 'a', n);
	memcpy(big, head, sizeof(head) - 1);
	memcpy(big + n - 3, "\"]}", 3);
	path = cs_test_write(dir, "big.json", big, n);
	free(big);
	assert_non_null(path);
	memset(e->d, 0, sizeof(*e->d));
	assert_int_equal(cs_intel_set_format(e->in, "warninglist"), CS_OK);
	t0 = clock();
	assert_int_equal(cs_intel_import(e->in, path, &e->st), CS_ERR_EMPTY);
	assert_true(clock() - t0 < 60 * CLOCKS_PER_SEC);
	assert_int_equal(e->st.rejected, 1);
	assert_true(cs_test_diags_have(e->d, "too-long"));
	free(path);
	cs_test_rmtree(dir);
	free(dir);
}

static void test_sniffing(void **state)
{
	struct cs_test_env *e = *state;
	size_t i, n, cap = 200000;
	char *t = malloc(cap);

	/* A big list as MISP writes it: past the 64 KiB the driver sniffs,
	 * only "description" and the start of "list" are seen. */
	assert_non_null(t);
	n = (size_t)snprintf(t, cap, "{\n  \"description\": \"d\",\n  \"list\": [\n");
	for (i = 0; i < 5000; i++)
		n += (size_t)snprintf(t + n, cap - n, "    \"e%05zu.example\",\n", i);
	n += (size_t)snprintf(t + n, cap - n,
	                      "    \"last.example\"\n  ],\n  \"name\": \"n\",\n"
	                      "  \"type\": \"string\"\n}\n");
	assert_true(n > 100000);
	assert_int_equal(cs_intel_import_mem(e->in, "lists/sniffed/list.json", t, n, &e->st),
	                 CS_OK);
	assert_true(cs_test_diags_have(e->d, "read as warninglist"));
	check_list(e->in, "sniffed", "string", 0, 5001);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_crafted_lists, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_real_lists, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_real_marking, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_empty_and_truncated, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_nul_bytes, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_crlf, cs_test_env_setup, cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_binary_garbage, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_100mb_line, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_sniffing, cs_test_env_setup,
	                                        cs_test_env_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

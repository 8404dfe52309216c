/* Unit tests of the indicator set (lib/intel/intel.c): merging, sources,
 * labels, flags, validity windows, rejects and warninglists. */
#include <stdlib.h>
#include <string.h>

#include "intel/intel_int.h"
#include "testutil.h"

static const struct cs_reader fake_reader = {"fake", NULL, NULL};

static void ctx_init(struct cs_reader_ctx *ctx, struct cs_intel *in, const char *path)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->intel = in;
	ctx->reader = &fake_reader;
	ctx->path = path;
	ctx->data = "";
}

#define SHA "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"

static void test_same_value_merges(void **state)
{
	struct cs_intel *in = cs_intel_new();
	struct cs_reader_ctx a, b;
	struct cs_ind_add add;
	const struct cs_indicator *ind;
	struct cs_source_info si;
	const char *l1[] = {"incident:3CX-2023"},
	           *l2[] = {"actor:Lazarus Group", "incident:3CX-2023"};

	(void)state;
	ctx_init(&a, in, "volexity.csv");
	ctx_init(&b, in, "eset.json");
	cs__ind_add_init(&add);
	add.kind = CS_KIND_SHA256;
	add.value = SHA;
	add.line = 4;
	add.labels = l1;
	add.nlabels = 1;
	add.detect = 0;
	add.confidence = 40;
	add.valid_from = 1000;
	add.valid_until = 2000;
	assert_int_equal(cs__intel_add(&a, &add), CS_OK);
	cs__ind_add_init(&add);
	add.kind = CS_KIND_HASH_AUTO;
	add.value = "SHA256=AEC070645FE53EE3B3763059376134F058CC337247C978ADD178B6CCDFB0019F";
	add.ref = "attr-uuid-1";
	add.labels = l2;
	add.nlabels = 2;
	add.detect = 1;
	add.confidence = 80;
	add.valid_from = 500;
	add.valid_until = 1500;
	add.description = "ffmpeg.dll";
	assert_int_equal(cs__intel_add(&b, &add), CS_OK);
	/* Re-adding the very same source does not duplicate it. */
	assert_int_equal(cs__intel_add(&b, &add), CS_OK);

	assert_int_equal(cs_intel_count(in), 1);
	ind = cs_intel_find(in, CS_KIND_SHA256, SHA);
	assert_non_null(ind);
	assert_int_equal(cs_indicator_source_count(ind), 2);
	cs_indicator_source(in, ind, 0, &si);
	assert_string_equal(si.file, "volexity.csv");
	assert_int_equal(si.line, 4);
	assert_null(si.ref);
	assert_string_equal(si.format, "fake");
	cs_indicator_source(in, ind, 1, &si);
	assert_string_equal(si.file, "eset.json");
	assert_string_equal(si.ref, "attr-uuid-1");
	assert_string_equal(si.description, "ffmpeg.dll");
	assert_int_equal(cs_indicator_label_count(ind), 2);
	assert_true(cs_test_has_label(in, ind, "actor:Lazarus Group"));
	assert_true(cs_test_has_label(in, ind, "incident:3CX-2023"));
	assert_int_equal(cs_indicator_flags(ind) & (CS_IND_DETECT | CS_IND_HUNT),
	                 CS_IND_DETECT | CS_IND_HUNT);
	assert_int_equal(cs_indicator_confidence(ind), 80);
	assert_int_equal(cs_indicator_valid_from(ind), 500);
	assert_int_equal(cs_indicator_valid_until(ind), 2000);
	assert_int_equal(a.accepted + b.accepted, 3);
	cs_intel_free(in);
}

static void test_open_window_stays_open(void **state)
{
	struct cs_intel *in = cs_intel_new();
	struct cs_reader_ctx c;
	struct cs_ind_add add;
	const struct cs_indicator *ind;

	(void)state;
	ctx_init(&c, in, "x");
	cs__ind_add_init(&add);
	add.kind = CS_KIND_DOMAIN;
	add.value = "evil.example";
	add.valid_from = 100;
	assert_int_equal(cs__intel_add(&c, &add), CS_OK);
	add.valid_from = 0; /* a source without a start: open */
	add.valid_until = 50;
	add.line = 2;
	assert_int_equal(cs__intel_add(&c, &add), CS_OK);
	ind = cs_intel_find(in, CS_KIND_DOMAIN, "evil.example");
	assert_int_equal(cs_indicator_valid_from(ind), 0);
	assert_int_equal(cs_indicator_valid_until(ind), 0);
	assert_int_equal(cs_indicator_confidence(ind), -1);
	cs_intel_free(in);
}

static void test_rejects_are_counted_and_reported(void **state)
{
	struct cs_intel *in = cs_intel_new();
	struct cs_test_diags d;
	struct cs_reader_ctx c;
	struct cs_ind_add add;
	char *big;
	uint64_t n = 0;
	size_t i;
	int seen_len = 0, seen_long = 0;

	(void)state;
	memset(&d, 0, sizeof(d));
	cs_intel_set_diag(in, cs_test_diag_cb, &d);
	ctx_init(&c, in, "list.txt");
	cs__ind_add_init(&add);
	add.kind = CS_KIND_SHA256;
	add.value = "abcd"; /* too short for SHA-256 */
	add.line = 7;
	add.column = 3;
	assert_int_equal(cs__intel_add(&c, &add), CS_ERR_PARSE);
	big = malloc(200000);
	memset(big, 'a', 199999);
	big[199999] = '\0';
	add.kind = CS_KIND_DOMAIN;
	add.value = big;
	add.line = 8;
	assert_int_equal(cs__intel_add(&c, &add), CS_ERR_PARSE);
	free(big);
	assert_int_equal(c.rejected, 2);
	assert_int_equal(c.accepted, 0);
	assert_int_equal(cs_intel_count(in), 0);
	assert_int_equal(cs_intel_reject_reasons(in), 2);
	for (i = 0; i < cs_intel_reject_reasons(in); i++) {
		const char *r = cs_intel_reject_reason(in, i, &n);

		assert_int_equal(n, 1);
		seen_len |= strcmp(r, "hash-length") == 0;
		seen_long |= strcmp(r, "too-long") == 0;
	}
	assert_true(seen_len && seen_long);
	assert_true(cs_test_diags_have(&d, "list.txt:7:3: hash-length:"));
	assert_true(cs_test_diags_have(&d, "list.txt:8:3: too-long:"));
	cs_intel_free(in);
}

static void test_compound_keeps_terms(void **state)
{
	struct cs_intel *in = cs_intel_new();
	struct cs_reader_ctx c;
	struct cs_ind_add add;
	const struct cs_indicator *ind;
	struct cs_term terms[2] = {{CS_KIND_SHA256, SHA, 0},
	                           {CS_KIND_NONE, "file:mime_type = 'x'", 0}};
	const char *v;

	(void)state;
	ctx_init(&c, in, "b.json");
	cs__ind_add_init(&add);
	add.kind = CS_KIND_COMPOUND;
	add.value = "[file:hashes.'SHA-256' = '" SHA "' AND file:mime_type = 'x']";
	add.terms = terms;
	add.nterms = 2;
	add.flags = CS_IND_PARTIAL;
	assert_int_equal(cs__intel_add(&c, &add), CS_OK);
	ind = cs_intel_at(in, 0);
	assert_int_equal(cs_indicator_kind(ind), CS_KIND_COMPOUND);
	assert_int_equal(cs_indicator_term_count(ind), 2);
	assert_int_equal(cs_indicator_term(ind, 0, &v), CS_KIND_SHA256);
	assert_string_equal(v, SHA);
	assert_int_equal(cs_indicator_term(ind, 1, &v), CS_KIND_NONE);
	assert_int_equal(cs_indicator_term(ind, 2, &v), CS_KIND_NONE);
	assert_null(v);
	assert_true(cs_indicator_flags(ind) & CS_IND_PARTIAL);
	cs_intel_free(in);
}

static void add_value(struct cs_reader_ctx *c, enum cs_kind k, const char *v)
{
	struct cs_ind_add add;

	cs__ind_add_init(&add);
	add.kind = k;
	add.value = v;
	assert_int_equal(cs__intel_add(c, &add), CS_OK);
}

static int marked(const struct cs_intel *in, enum cs_kind k, const char *v, const char *list)
{
	const struct cs_indicator *ind = cs_intel_find(in, k, v);
	size_t i;

	assert_non_null(ind);
	if (!list)
		return !!(cs_indicator_flags(ind) & CS_IND_WARNLISTED);
	for (i = 0; i < cs_indicator_warninglist_count(ind); i++) {
		if (strcmp(cs_indicator_warninglist(in, ind, i), list) == 0)
			return 1;
	}
	return 0;
}

static void test_warninglists_mark_never_drop(void **state)
{
	static const char *const hosts[] = {"google.com", ".dyndns.org"};
	static const char *const strs[] = {
	        "EXAMPLE.ORG", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	        "https://example.org/listed/in/full"};
	static const char *const nets[] = {"10.0.0.0/8", "2001:db8::/32", "not a net"};
	static const char *const subs[] = {"cdn"};
	static const char *const res[] = {"^up[0-9]+\\.", "(unclosed"};
	struct cs_intel *in = cs_intel_new();
	struct cs_reader_ctx c;
	size_t n_before;

	(void)state;
	ctx_init(&c, in, "x");
	add_value(&c, CS_KIND_DOMAIN, "google.com");
	add_value(&c, CS_KIND_DOMAIN, "mail.google.com");
	add_value(&c, CS_KIND_DOMAIN, "notgoogle.com");
	add_value(&c, CS_KIND_DOMAIN, "google.com.evil.example");
	add_value(&c, CS_KIND_DOMAIN, "a.b.dyndns.org");
	add_value(&c, CS_KIND_URL, "https://mail.google.com/x");
	add_value(&c, CS_KIND_URL, "https://mail.google.com/");
	add_value(&c, CS_KIND_URL, "https://user@google.com:8443/");
	add_value(&c, CS_KIND_URL, "https://google.com/?q=1");
	add_value(&c, CS_KIND_URL, "https://example.org/IconStorages/images");
	add_value(&c, CS_KIND_URL, "https://example.org/listed/in/full");
	add_value(&c, CS_KIND_URL, "http://10.1.2.3/payload.bin");
	add_value(&c, CS_KIND_URL, "http://10.1.2.4/");
	add_value(&c, CS_KIND_EMAIL, "bob@example.org");
	add_value(&c, CS_KIND_SHA256, strs[1]);
	add_value(&c, CS_KIND_IPV4, "10.1.2.3");
	add_value(&c, CS_KIND_IPV4, "11.1.2.3");
	add_value(&c, CS_KIND_CIDR, "10.128.0.0/9");
	add_value(&c, CS_KIND_CIDR, "8.0.0.0/7");
	add_value(&c, CS_KIND_IPV6, "2001:db8::1");
	add_value(&c, CS_KIND_DOMAIN, "cdn.example.net");
	add_value(&c, CS_KIND_DOMAIN, "up12.example.net");
	n_before = cs_intel_count(in);
	assert_int_equal(cs_intel_add_warninglist(in, "hosts", "hostname",
	                                          (1u << CS_KIND_DOMAIN) | (1u << CS_KIND_URL),
	                                          hosts, 2),
	                 CS_OK);
	assert_int_equal(cs_intel_add_warninglist(in, "strings", "string", 0, strs, 3), CS_OK);
	assert_int_equal(cs_intel_add_warninglist(in, "nets", "cidr", 0, nets, 3), CS_OK);
	assert_int_equal(
	        cs_intel_add_warninglist(in, "subs", "substring", 1u << CS_KIND_DOMAIN, subs, 1),
	        CS_OK);
	assert_int_equal(cs_intel_add_warninglist(in, "res", "regex", 0, res, 2), CS_OK);
	assert_int_equal(cs_intel_add_warninglist(in, "bad", "nonsense", 0, subs, 1),
	                 CS_ERR_UNSUPPORTED);
	assert_int_equal(cs_intel_finalize(in), CS_OK);
	assert_int_equal(cs_intel_count(in), n_before);

	assert_true(marked(in, CS_KIND_DOMAIN, "google.com", "hosts"));
	assert_true(marked(in, CS_KIND_DOMAIN, "mail.google.com", "hosts"));
	assert_false(marked(in, CS_KIND_DOMAIN, "notgoogle.com", NULL));
	assert_false(marked(in, CS_KIND_DOMAIN, "google.com.evil.example", NULL));
	assert_true(marked(in, CS_KIND_DOMAIN, "a.b.dyndns.org", "hosts"));
	/* A host list marks a bare host URL, never one resource on that host
	 * (the 3CX payload URL on github.com is not a false positive). */
	assert_false(marked(in, CS_KIND_URL, "https://mail.google.com/x", NULL));
	assert_true(marked(in, CS_KIND_URL, "https://mail.google.com/", "hosts"));
	assert_true(marked(in, CS_KIND_URL, "https://user@google.com:8443/", "hosts"));
	assert_false(marked(in, CS_KIND_URL, "https://google.com/?q=1", NULL));
	assert_false(marked(in, CS_KIND_URL, "https://example.org/IconStorages/images", NULL));
	/* A string list compares the whole value. */
	assert_true(marked(in, CS_KIND_URL, "https://example.org/listed/in/full", "strings"));
	assert_false(marked(in, CS_KIND_URL, "http://10.1.2.3/payload.bin", NULL));
	assert_true(marked(in, CS_KIND_URL, "http://10.1.2.4/", "nets"));
	assert_true(marked(in, CS_KIND_EMAIL, "bob@example.org", "strings"));
	assert_true(marked(in, CS_KIND_SHA256, strs[1], "strings"));
	assert_true(marked(in, CS_KIND_IPV4, "10.1.2.3", "nets"));
	assert_false(marked(in, CS_KIND_IPV4, "11.1.2.3", NULL));
	assert_true(marked(in, CS_KIND_CIDR, "10.128.0.0/9", "nets"));
	/* A wider network only overlapping a listed one is not benign. */
	assert_false(marked(in, CS_KIND_CIDR, "8.0.0.0/7", NULL));
	assert_true(marked(in, CS_KIND_IPV6, "2001:db8::1", "nets"));
	assert_true(marked(in, CS_KIND_DOMAIN, "cdn.example.net", "subs"));
	assert_true(marked(in, CS_KIND_DOMAIN, "up12.example.net", "res"));

	/* Replacing a list recomputes the marks. */
	assert_int_equal(cs_intel_add_warninglist(in, "hosts", "hostname", 0, hosts + 1, 1), CS_OK);
	assert_int_equal(cs_intel_finalize(in), CS_OK);
	assert_false(marked(in, CS_KIND_DOMAIN, "google.com", NULL));
	assert_true(marked(in, CS_KIND_DOMAIN, "a.b.dyndns.org", "hosts"));
	assert_int_equal(cs_intel_warninglist_count(in), 5);
	cs_intel_free(in);
}

static void test_kind_names_round_trip(void **state)
{
	int k;

	(void)state;
	for (k = 1; k <= CS_KIND_EMAIL_REGEX; k++)
		assert_int_equal(cs_kind_from_name(cs_kind_name((enum cs_kind)k)), k);
	assert_int_equal(cs_kind_from_name("bogus"), CS_KIND_NONE);
	assert_string_equal(cs_kind_name((enum cs_kind)99), "unknown");
}

static void test_format_option(void **state)
{
	struct cs_intel *in = cs_intel_new();

	(void)state;
	assert_int_equal(cs_intel_set_format(in, "stix"), CS_OK);
	assert_int_equal(cs_intel_set_format(in, "nope"), CS_ERR_INVALID);
	assert_non_null(strstr(cs_intel_errmsg(in), "nope"));
	assert_int_equal(cs_intel_set_format(in, NULL), CS_OK);
	cs_intel_free(in);
	cs_intel_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_same_value_merges),
	        cmocka_unit_test(test_open_window_stays_open),
	        cmocka_unit_test(test_rejects_are_counted_and_reported),
	        cmocka_unit_test(test_compound_keeps_terms),
	        cmocka_unit_test(test_warninglists_mark_never_drop),
	        cmocka_unit_test(test_kind_names_round_trip),
	        cmocka_unit_test(test_format_option),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The STIX 2.1 reader (lib/intel/read_stix.c) through the public import
 * API: crafted files in tests/data/stix, the OASIS example bundles from
 * the real-world folder, and hostile inputs.
 *
 * Expected counts on real files are computed independently with jq; the
 * command is written beside each number.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "intel/intel_int.h"

#define FORMAT "stix"

#define ID(n) "indicator--00000000-0000-4000-8000-0000000000" #n

/* ------------------------------------------------------- crafted files */

static void test_bundle_counts_by_kind(void **state)
{
	struct cs_test_import *f = cs_test_import_path(FORMAT, cs_test_data("stix/bundle.json"));

	(void)state;
	assert_int_equal(f->rc, CS_OK);
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_SHA256), 1);
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_DOMAIN), 1);
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_IPV4), 1);
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_URL), 1);
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_FILENAME), 1);
	/* pattern_type yara: rule "x" */
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_YARA_RULE), 1);
	assert_int_equal(cs_intel_count(f->in), 6);
	assert_int_equal(f->st.read, 6);
	assert_int_equal(f->st.yara_rules, 1);
	/* snort, one pattern that does not parse */
	assert_int_equal(cs_test_rejects(f->in, "unsupported-pattern-type"), 1);
	assert_int_equal(cs_test_rejects(f->in, "bad-pattern"), 1);
	assert_int_equal(f->st.rejected, 2);
	assert_null(cs_intel_find(f->in, CS_KIND_DOMAIN, "revoked.example"));
	assert_null(cs_intel_find(f->in, CS_KIND_DOMAIN, "observed.example"));
	cs_test_import_free(f);
}

static void test_bundle_fields(void **state)
{
	struct cs_test_import *f = cs_test_import_path(FORMAT, cs_test_data("stix/bundle.json"));
	const struct cs_indicator *ind;
	struct cs_source_info si;

	(void)state;
	ind = cs_test_must_find(f->in, CS_KIND_SHA256,
	                        "7986bbaee8940da11ce089383521ab420c443ab7b15ed42aed91fd31ce833896");
	assert_int_equal(cs_indicator_confidence(ind), 85);
	assert_int_equal(cs_indicator_valid_from(ind), 1680048000);  /* date -d 2023-03-29Z +%s */
	assert_int_equal(cs_indicator_valid_until(ind), 1711670400); /* date -d 2024-03-29Z +%s */
	assert_true(cs_test_has_label(f->in, ind, "tag:tlp:clear"));
	assert_true(cs_test_has_label(f->in, ind, "actor:Labyrinth Chollima"));
	assert_true(cs_test_has_label(f->in, ind, "indicator-type:malicious-activity"));
	assert_true(cs_test_has_label(f->in, ind, "kill-chain:mitre-attack:initial-access"));
	assert_int_equal(cs_indicator_source_count(ind), 1);
	cs_indicator_source(f->in, ind, 0, &si);
	assert_string_equal(si.ref, ID(11));
	assert_string_equal(si.format, "stix");
	assert_int_equal(si.line, 6);
	assert_string_equal(
	        si.description,
	        "3CX trojanised library: ffmpeg.dll shipped in 3CXDesktopApp 18.12.416");
	cs_test_import_free(f);
}

static void test_bundle_relationship_labels(void **state)
{
	struct cs_test_import *f = cs_test_import_path(FORMAT, cs_test_data("stix/bundle.json"));
	const struct cs_indicator *ind;

	(void)state;
	/* indicates malware, declared before the indicator, SDO after it */
	ind = cs_test_must_find(f->in, CS_KIND_SHA256,
	                        "7986bbaee8940da11ce089383521ab420c443ab7b15ed42aed91fd31ce833896");
	assert_true(cs_test_has_label(f->in, ind, "malware:SUDDENICON"));
	/* indicates campaign; campaign attributed-to intrusion-set
	 * attributed-to threat-actor: all three labels */
	ind = cs_test_must_find(f->in, CS_KIND_DOMAIN, "msstorageazure.com");
	assert_true(cs_test_has_label(f->in, ind, "campaign:3CX supply chain"));
	assert_true(cs_test_has_label(f->in, ind, "actor:UNC4736"));
	assert_true(cs_test_has_label(f->in, ind, "actor:Lazarus Group"));
	assert_false(
	        cs_test_has_label(f->in, ind, "malware:SUDDENICON")); /* "uses" is not followed */
	ind = cs_test_must_find(f->in, CS_KIND_IPV4, "198.51.100.7");
	assert_true(cs_test_has_label(f->in, ind, "actor:Lazarus Group"));
	ind = cs_test_must_find(
	        f->in, CS_KIND_URL,
	        "https://raw.githubusercontent.com/IconStorages/images/main/icon12.ico");
	assert_true(
	        cs_test_has_label(f->in, ind, "attack-pattern:Compromise Software Supply Chain"));
	ind = cs_test_must_find(f->in, CS_KIND_FILENAME, "d3dcompiler_47.dll");
	assert_true(cs_test_has_label(f->in, ind, "tool:rundll32"));
	assert_int_equal(cs_indicator_label_count(ind), 1);
	cs_test_import_free(f);
}

static void test_bundle_diagnostics(void **state)
{
	struct cs_test_import *f = cs_test_import_path(FORMAT, cs_test_data("stix/bundle.json"));

	(void)state;
	/* The bad pattern "[file:name = 'a.exe' AND ]" is on line 10; the
	 * parser's offset is added to where the pattern string starts. */
	assert_true(cs_test_diags_have(f->d, "bundle.json:10:"));
	assert_true(cs_test_diags_have(f->d, "bad-pattern: indicator " ID(15)));
	assert_false(cs_test_diags_have(f->d, "pattern_type 'yara'"));
	assert_true(cs_test_diags_have(f->d, "pattern_type 'snort' is not supported yet"));
	assert_true(cs_test_diags_have(f->d,
	                               "not imported: 2 cyber observables, 1 observed-data, "
	                               "1 sightings, 1 custom x- objects, 1 objects of "
	                               "unknown type (e.g. 'acme-thing'), 1 revoked indicators"));
	assert_int_equal(f->d->errors, 0);
	cs_test_import_free(f);
}

static void test_bad_pattern_column(void **state)
{
	size_t len;
	char *data = cs_test_slurp(cs_test_data("stix/bundle.json"), &len);
	struct cs_test_import *f = cs_test_import_mem(FORMAT, data, len);
	const char *line10 = data, *pat;
	char want[64];
	int i;

	(void)state;
	for (i = 1; i < 10; i++)
		line10 = strchr(line10, '\n') + 1;
	pat = strstr(line10, "[file:name = 'a.exe' AND ]");
	assert_non_null(pat);
	/* The parser stops at the ']' that follows AND or just before it;
	 * either way within the pattern text on line 10. */
	for (i = 20; i <= 26; i++) {
		snprintf(want, sizeof(want), "mem.json:10:%d:", (int)(pat - line10) + 1 + i);
		if (cs_test_diags_have(f->d, want))
			break;
	}
	assert_true(i <= 26);
	free(data);
	cs_test_import_free(f);
}

static void test_top_level_array(void **state)
{
	struct cs_test_import *f = cs_test_import_path(FORMAT, cs_test_data("stix/array.json"));
	const struct cs_indicator *ind;

	(void)state;
	assert_int_equal(f->rc, CS_OK);
	assert_int_equal(cs_intel_count(f->in), 2);
	cs_test_must_find(f->in, CS_KIND_IPV6, "2001:db8::1");
	ind = cs_test_must_find(f->in, CS_KIND_EMAIL, "ops@example.org");
	assert_true(cs_test_has_label(f->in, ind, "actor:Example Actor"));
	cs_test_import_free(f);
}

static void test_single_bare_object(void **state)
{
	struct cs_test_import *f = cs_test_import_path(FORMAT, cs_test_data("stix/single.json"));
	const struct cs_indicator *ind;
	struct cs_source_info si;

	(void)state;
	assert_int_equal(f->rc, CS_OK);
	assert_int_equal(cs_intel_count(f->in), 1);
	ind = cs_test_must_find(f->in, CS_KIND_MD5, "d41d8cd98f00b204e9800998ecf8427e");
	cs_indicator_source(f->in, ind, 0, &si);
	assert_int_equal(si.line, 1);
	assert_string_equal(si.description, "lone indicator");
	cs_test_import_free(f);
}

static void test_misp_export_labels(void **state)
{
	struct cs_test_import *f =
	        cs_test_import_path(FORMAT, cs_test_data("stix/misp_export.json"));
	const struct cs_indicator *ind;

	(void)state;
	assert_int_equal(cs_intel_count(f->in), 2);
	/* misp:to_ids gives the detection flag; misp:type and misp:category
	 * are not kept as labels */
	ind = cs_test_must_find(f->in, CS_KIND_DOMAIN, "od.lk");
	assert_true(cs_indicator_flags(ind) & CS_IND_HUNT);
	assert_false(cs_indicator_flags(ind) & CS_IND_DETECT);
	assert_true(cs_test_has_label(f->in, ind, "tag:tlp:white"));
	assert_true(cs_test_has_label(f->in, ind, "kill-chain:misp-category:Network activity"));
	assert_int_equal(cs_indicator_label_count(ind), 2);
	ind = cs_test_must_find(f->in, CS_KIND_MD5, "cedb9cdbad254f60cfb215b9bff84fb9");
	assert_true(cs_indicator_flags(ind) & CS_IND_DETECT);
	assert_true(cs_test_has_label(f->in, ind, "actor:Lazarus Group"));
	assert_int_equal(cs_indicator_label_count(ind), 1);
	cs_test_import_free(f);
}

/* A STIX indicator whose pattern is YARA text: compiled as a rule file of
 * its own, named after the bundle and the indicator, kept for the file
 * sweep, with the indicator's labels; a rule that does not compile is
 * rejected with its line in the rule text. */
static void test_yara_pattern(void **state)
{
	static const char bundle[] =
		"{\"type\": \"bundle\", \"objects\": [\n"
		"{\"type\": \"indicator\", \"id\": \"indicator--1\", \"pattern_type\": \"yara\",\n"
		" \"labels\": [\"malicious-activity\"], \"pattern\": \"rule good_one : apt "
		"{ strings: $a = \\\"ffmpeg\\\" condition: $a }\"},\n"
		"{\"type\": \"indicator\", \"id\": \"indicator--2\", \"pattern_type\": \"yara\",\n"
		" \"pattern\": \"rule broken {\\n condition: nosuchthing }\"},\n"
		"{\"type\": \"relationship\", \"relationship_type\": \"indicates\",\n"
		" \"source_ref\": \"indicator--1\", \"target_ref\": \"malware--1\"},\n"
		"{\"type\": \"malware\", \"id\": \"malware--1\", \"name\": \"SUDDENICON\"}]}\n";
	struct cs_test_import *f = cs_test_import_mem(FORMAT, bundle, sizeof(bundle) - 1);
	const struct cs_indicator *ind;
	struct cs_source_info si;
	const char *text;

	(void)state;
	assert_int_equal(f->rc, CS_OK);
	assert_int_equal(f->st.yara_rules, 1);
	ind = cs_test_must_find(f->in, CS_KIND_YARA_RULE, "good_one");
	assert_true(cs_test_has_label(f->in, ind, "malware:SUDDENICON"));
	assert_true(cs_test_has_label(f->in, ind, "tag:apt"));
	cs_indicator_source(f->in, ind, 0, &si);
	assert_string_equal(si.file, "mem.json#indicator--1");
	assert_string_equal(si.format, "yara");
	assert_int_equal(cs_intel_yara_count(f->in), 1);
	assert_string_equal(cs_intel_yara_source(f->in, 0, &text, NULL), "mem.json#indicator--1");
	assert_non_null(strstr(text, "rule good_one"));
	assert_int_equal(cs_test_rejects(f->in, "yara-compile"), 1);
	assert_true(cs_test_diags_have(f->d, "mem.json#indicator--2:2:"));
	cs_test_import_free(f);
}

static void test_sniffed_without_format(void **state)
{
	struct cs_intel *in = cs_intel_new();
	struct cs_import_stats st;

	(void)state;
	assert_int_equal(cs_intel_import(in, cs_test_data("stix/bundle.json"), &st), CS_OK);
	assert_int_equal(cs_intel_count(in), 6);
	cs_intel_free(in);
}

static void test_bid(void **state)
{
	const char *bundle = "{\"type\": \"bundle\", \"objects\": []}";
	const char *ind = "{\"type\":\"indicator\",\"pattern\":\"[x:y = 'z']\"}";
	const char *misp = "{\"Event\": {\"info\": \"x\"}}";

	(void)state;
	assert_true(cs__reader_stix.bid(bundle, strlen(bundle), "x.json") >= 90);
	assert_true(cs__reader_stix.bid(ind, strlen(ind), "x.json") >= 50);
	assert_int_equal(cs__reader_stix.bid(misp, strlen(misp), "x.json"), 0);
	assert_int_equal(cs__reader_stix.bid("md5;x", 5, "x.txt"), 0);
	assert_int_equal(cs__reader_stix.bid("", 0, "x.json"), 0);
}

/* ---------------------------------------------------------- hostile */

static void test_truncated_file_keeps_earlier_objects(void **state)
{
	struct cs_test_import *f = cs_test_import_path(FORMAT, cs_test_data("stix/truncated.json"));

	(void)state;
	/* Cut in the middle of line 8: the SHA-256 (line 6) and the domain
	 * and address (line 7) indicators are complete before the cut. */
	assert_int_equal(f->rc, CS_OK);
	assert_int_equal(cs_intel_count(f->in), 3);
	cs_test_must_find(f->in, CS_KIND_DOMAIN, "msstorageazure.com");
	cs_test_must_find(f->in, CS_KIND_IPV4, "198.51.100.7");
	/* The fault, and the file counted as read only in part. */
	assert_int_equal(f->d->errors, 2);
	assert_int_equal(f->st.files_partial, 1);
	/* The file ends after 120 bytes of line 8. */
	assert_true(cs_test_diags_have(f->d, "truncated.json:8:121:"));
	assert_true(cs_test_diags_have(f->d, "JSON syntax error at line 8, column 121"));
	assert_true(cs_test_diags_have(f->d, "complete STIX objects before it are still read: 3"));
	assert_true(cs_test_diags_have(f->d, "read only in part as stix (damaged or truncated)"));
	cs_test_import_free(f);
}

/* Cut the crafted bundle at many lengths: never a crash, never more
 * indicators than the whole file, more text never gives fewer. */
static void test_truncation_sweep(void **state)
{
	size_t len, cut;
	char *data = cs_test_slurp(cs_test_data("stix/bundle.json"), &len);
	uint64_t last = 0;

	(void)state;
	for (cut = 0; cut <= len; cut += (cut < 64 || len - cut < 64) ? 1 : 13) {
		struct cs_test_import *f = cs_test_import_mem(FORMAT, data, cut);

		assert_true(f->st.read >= last);
		assert_true(f->st.read <= 6);
		last = f->st.read;
		cs_test_import_free(f);
	}
	assert_int_equal(last, 6);
	free(data);
}

static void test_invalid_element_is_skipped(void **state)
{
	struct cs_test_import *f =
	        cs_test_import_path(FORMAT, cs_test_data("stix/bad_element.json"));

	(void)state;
	assert_int_equal(f->rc, CS_OK);
	assert_int_equal(cs_intel_count(f->in), 2);
	cs_test_must_find(f->in, CS_KIND_DOMAIN, "first.example");
	cs_test_must_find(f->in, CS_KIND_DOMAIN, "fourth.example");
	assert_null(cs_intel_find(f->in, CS_KIND_DOMAIN, "broken.example"));
	assert_null(cs_intel_find(f->in, CS_KIND_DOMAIN, "third.example"));
	assert_int_equal(cs_test_rejects(f->in, "json-syntax"), 2);
	assert_true(cs_test_diags_have(f->d, "bad_element.json:3:"));
	assert_true(cs_test_diags_have(f->d, "bad_element.json:4:"));
	assert_true(cs_test_diags_have(f->d, "json-syntax: STIX object:"));
	assert_int_equal(f->d->errors, 0);
	cs_test_import_free(f);
}

static void test_deeply_nested_arrays(void **state)
{
	size_t n = 100000;
	char *data = malloc(n);
	struct cs_test_import *f;

	(void)state;
	assert_non_null(data);
	memset(data, '[', n);
	f = cs_test_import_mem(FORMAT, data, n);
	assert_int_equal(f->rc, CS_ERR_EMPTY);
	assert_int_equal(cs_intel_count(f->in), 0);
	assert_true(cs_test_diags_have(f->d, "nesting deeper than 256"));
	assert_true(cs_test_diags_have(f->d, "mem.json:1:257:"));
	cs_test_import_free(f);
	/* The same depth inside an element of a bundle. */
	{
		const char *head = "{\"type\":\"bundle\",\"objects\":[{\"type\":\"indicator\","
		                   "\"pattern\":\"[domain-name:value = 'a.example']\"},{\"x\":";
		size_t hl = strlen(head);
		char *doc = malloc(hl + n);

		assert_non_null(doc);
		memcpy(doc, head, hl);
		memset(doc + hl, '[', n);
		f = cs_test_import_mem(FORMAT, doc, hl + n);
		assert_int_equal(f->rc, CS_OK);
		cs_test_must_find(f->in, CS_KIND_DOMAIN, "a.example");
		assert_true(cs_test_diags_have(f->d, "nesting deeper than 256"));
		cs_test_import_free(f);
		free(doc);
	}
	free(data);
}

static void test_huge_strings(void **state)
{
	const char *a =
	        "{\"type\":\"bundle\",\"objects\":[{\"type\":\"indicator\",\"id\":\"indicator--1\","
	        "\"pattern\":\"[domain-name:value = 'a.example']\",\"description\":\"";
	const char *b = "\"},{\"type\":\"indicator\",\"id\":\"indicator--2\",\"pattern\":\"";
	const char *c = "\"},{\"type\":\"indicator\",\"pattern\":\"[domain-name:value = '";
	const char *d = "']\"},{\"type\":\"indicator\",\"pattern\":\"[domain-name:value = "
	                "'last.example']\"}]}";
	size_t big = ((size_t)17 << 20), mid = ((size_t)2 << 20), val = ((size_t)100 << 10);
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c), ld = strlen(d);
	size_t n = la + big + lb + mid + lc + val + ld, p = 0;
	char *doc = malloc(n);
	struct cs_test_import *f;

	(void)state;
	assert_non_null(doc);
	memcpy(doc + p, a, la);
	p += la;
	memset(doc + p, 'x', big); /* 17 MiB description: element over the cap */
	p += big;
	memcpy(doc + p, b, lb);
	p += lb;
	memset(doc + p, 'y', mid); /* 2 MiB pattern: over the pattern cap */
	p += mid;
	memcpy(doc + p, c, lc);
	p += lc;
	memset(doc + p, 'z', val); /* 100 KiB domain: over the value cap */
	p += val;
	memcpy(doc + p, d, ld);
	p += ld;
	assert_int_equal(p, n);
	f = cs_test_import_mem(FORMAT, doc, n);
	assert_int_equal(f->rc, CS_OK);
	assert_int_equal(cs_intel_count(f->in), 1);
	cs_test_must_find(f->in, CS_KIND_DOMAIN, "last.example");
	assert_int_equal(cs_test_rejects(f->in, "too-big"), 1);
	assert_int_equal(cs_test_rejects(f->in, "too-long"), 2);
	cs_test_import_free(f);
	free(doc);
}

static void test_wrong_types_everywhere(void **state)
{
	struct cs_test_import *f =
	        cs_test_import_path(FORMAT, cs_test_data("stix/wrong_types.json"));

	(void)state;
	assert_int_equal(f->rc, CS_OK);
	/* Only the indicator whose pattern is a string survives; its other
	 * fields of the wrong type are ignored. */
	assert_int_equal(cs_intel_count(f->in), 1);
	cs_test_must_find(f->in, CS_KIND_DOMAIN, "typed.example");
	/* 5, "indicator", {"type":7} */
	assert_int_equal(cs_test_rejects(f->in, "bad-object"), 3);
	/* pattern 7, pattern_type ["stix"], no pattern */
	assert_int_equal(cs_test_rejects(f->in, "bad-indicator"), 3);
	assert_true(cs_test_diags_have(f->d, "pattern is not a string"));
	assert_true(cs_test_diags_have(f->d, "ignoring valid_until 'soon'"));
	cs_test_import_free(f);
}

static void test_objects_not_an_array(void **state)
{
	struct cs_test_import *f =
	        cs_test_import_path(FORMAT, cs_test_data("stix/objects_not_array.json"));

	(void)state;
	assert_int_equal(f->rc, CS_ERR_EMPTY);
	assert_true(cs_test_diags_have(f->d, "\"objects\" of the bundle is not an array"));
	assert_true(cs_test_diags_have(f->d, "objects_not_array.json:1:"));
	cs_test_import_free(f);
}

static void test_empty_and_garbage(void **state)
{
	static const char *const inputs[] = {"",
	                                     "   \n\t ",
	                                     "garbage",
	                                     "\"just a string\"",
	                                     "42",
	                                     "{",
	                                     "[",
	                                     "{\"type\": \"bundle\"}",
	                                     "{}",
	                                     "[]",
	                                     "{\"objects\": []}"};
	size_t i;

	(void)state;
	for (i = 0; i < CS_ARRAY_SIZE(inputs); i++) {
		struct cs_test_import *f = cs_test_import_mem(FORMAT, inputs[i], strlen(inputs[i]));

		assert_int_equal(f->rc, CS_ERR_EMPTY);
		assert_int_equal(cs_intel_count(f->in), 0);
		cs_test_import_free(f);
	}
}

static void test_nul_bytes(void **state)
{
	static const char doc[] =
	        "{\"type\":\"bundle\",\"objects\":["
	        "{\"type\":\"indicator\",\"pattern\":\"[domain-name:value = "
	        "'a\\u0000b.example']\"},"
	        "{\"type\":\"indicator\",\"pattern\":\"[domain-name:value = 'raw\0nul.example']\"},"
	        "{\"type\":\"indicator\",\"pattern\":\"[domain-name:value = 'ok.example']\"},"
	        "\0{\"type\":\"indicator\",\"pattern\":\"[domain-name:value = "
	        "'after.example']\"}]}";
	struct cs_test_import *f = cs_test_import_mem(FORMAT, doc, sizeof(doc) - 1);

	(void)state;
	assert_int_equal(f->rc, CS_OK);
	/* \u0000 in a pattern: rejected, never cut to "a"; a raw NUL inside a
	 * string: jansson refuses the element; a NUL between elements is a
	 * value of its own (refused too) and the walk stops after it, where
	 * a ',' is missing. */
	assert_int_equal(cs_intel_count(f->in), 1);
	cs_test_must_find(f->in, CS_KIND_DOMAIN, "ok.example");
	assert_null(cs_intel_find(f->in, CS_KIND_DOMAIN, "a"));
	assert_int_equal(cs_test_rejects(f->in, "bad-pattern"), 1);
	assert_int_equal(cs_test_rejects(f->in, "json-syntax"), 2);
	/* The missing ',' stops the walk: the file is read only in part. */
	assert_int_equal(f->d->errors, 2);
	assert_int_equal(f->st.files_partial, 1);
	assert_null(cs_intel_find(f->in, CS_KIND_DOMAIN, "after.example"));
	cs_test_import_free(f);
}

/* A bundle large enough that the reader hands back the memory of the
 * objects it has visited: every indicator is still read whole, and a
 * broken pattern near the end is reported at its exact line. */
static void test_large_bundle_released(void **state)
{
	const size_t n = 100000, bad = 99990;
	size_t cap = n * 320 + 256, len = 0, i;
	char *doc = malloc(cap), want[64];
	struct cs_test_import *f;

	(void)state;
	assert_non_null(doc);
	len += (size_t)snprintf(doc + len, cap - len, "{\"type\": \"bundle\", \"objects\": [\n");
	for (i = 0; i < n; i++) {
		/* line of object i: i + 2 */
		len += (size_t)snprintf(
			doc + len, cap - len,
			"%s{\"type\": \"indicator\", \"id\": \"indicator--%08zx-0000-4000-8000-"
			"000000000000\", \"name\": \"large bundle indicator number %zu\","
			" \"pattern_type\": \"stix\", \"pattern\": \"[domain-name:value = "
			"'%s%zu.example']\"}\n",
			i ? "," : "", i, i, i == bad ? "bad name with spaces " : "host", i);
	}
	len += (size_t)snprintf(doc + len, cap - len, "]}\n");
	assert_true(len < cap && len > 2 * (8u << 20));
	f = cs_test_import_mem(FORMAT, doc, len);
	assert_int_equal(f->rc, CS_OK);
	assert_int_equal(cs_intel_count(f->in), n - 1);
	cs_test_must_find(f->in, CS_KIND_DOMAIN, "host0.example");
	cs_test_must_find(f->in, CS_KIND_DOMAIN, "host1.example");
	cs_test_must_find(f->in, CS_KIND_DOMAIN, "host99999.example");
	snprintf(want, sizeof(want), "mem.json:%zu:", bad + 2);
	assert_true(cs_test_diags_have(f->d, want));
	cs_test_import_free(f);
	free(doc);
}

/* ---------------------------------------------------------- real world */

static void test_real_apt1(void **state)
{
	const char *path = CS_TEST_REAL_WORLD("stix/apt1.json");
	struct cs_test_import *f = cs_test_import_path(FORMAT, path);
	const struct cs_indicator *ind;

	(void)state;
	assert_int_equal(f->rc, CS_OK);
	/* jq '[.objects[]|select(.type=="indicator")]|length' apt1.json -> 12,
	 * each a single comparison or one AND: one indicator each */
	assert_int_equal(f->st.read, 12);
	assert_int_equal(f->st.rejected, 0);
	/* jq '[.objects[]|select(.type=="indicator")|.pattern
	 *      |select(startswith("[ipv4-addr:value"))]|length' -> 4 (all /15) */
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_CIDR), 4);
	/* ... select(startswith("[domain-name:value")) -> 3 */
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_DOMAIN), 3);
	/* ... select(startswith("[file:hashes.md5")) -> 3 */
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_MD5), 3);
	/* ... select(startswith("[x509-certificate:issuer")) -> 2, issuer AND serial */
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_COMPOUND), 2);
	assert_int_equal(cs_intel_count(f->in), 12);
	/* jq '(.objects|map({(.id):.})|add) as $m|.objects[]
	 *   |select(.type=="relationship" and .relationship_type=="indicates")
	 *   |[$m[.source_ref].pattern, $m[.target_ref].type, $m[.target_ref].name]'
	 * hugesoft.org -> threat-actor "Ugly Gorilla";
	 * 223.166.0.0/15 -> malware "HUC Packet Transmit Tool (HTRAN)" */
	ind = cs_test_must_find(f->in, CS_KIND_DOMAIN, "hugesoft.org");
	assert_true(cs_test_has_label(f->in, ind, "actor:Ugly Gorilla"));
	assert_true(cs_test_has_label(f->in, ind, "indicator-type:malicious-activity"));
	ind = cs_test_must_find(f->in, CS_KIND_CIDR, "223.166.0.0/15");
	assert_true(cs_test_has_label(f->in, ind, "malware:HUC Packet Transmit Tool (HTRAN)"));
	assert_true(cs_test_has_label(
	        f->in, ind, "kill-chain:mandiant-attack-lifecycle-model:establish-foothold"));
	/* jq '.objects[]|select(.id=="indicator--3f3ff9f1-bb4e-4392-89e5-1991179042ba")
	 *     |.valid_from' -> "2015-05-15T09:12:16.432678Z" */
	assert_int_equal(cs_indicator_valid_from(ind), 1431681136);
	/* 4 identities, 1 report: known SDOs, not reported as unknown */
	assert_false(cs_test_diags_have(f->d, "unknown type"));
	cs_test_import_free(f);
}

static void test_real_poisonivy(void **state)
{
	const char *path = CS_TEST_REAL_WORLD("stix/poisonivy.json");
	struct cs_test_import *f = cs_test_import_path(FORMAT, path);
	const struct cs_indicator *ind;

	(void)state;
	assert_int_equal(f->rc, CS_OK);
	/* jq "[.objects[]|select(.type==\"indicator\")|.pattern
	 *      |scan(\"domain-name:value = '([^']*)'\")[0]]|unique|length" -> 25,
	 * one of which is "domain autuo.xicp.net" (a space: not a domain) */
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_DOMAIN), 24);
	assert_int_equal(cs_test_rejects(f->in, "bad-domain"), 1);
	/* same with ipv4-addr:value -> 18 */
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_IPV4), 18);
	/* same with file:name -> 2 */
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_FILENAME), 2);
	assert_int_equal(cs_intel_count(f->in), 24 + 18 + 2);
	/* www.webserver.dynssl.com indicates campaign "admin@338" and malware
	 * "PIVY Variant (8010cae3e8431bb11ed6dc9acabb93b7,)" (jq as above) */
	ind = cs_test_must_find(f->in, CS_KIND_DOMAIN, "www.webserver.dynssl.com");
	assert_true(cs_test_has_label(f->in, ind, "campaign:admin@338"));
	assert_true(cs_test_has_label(f->in, ind,
	                              "malware:PIVY Variant (8010cae3e8431bb11ed6dc9acabb93b7,)"));
	/* nkr.iphone.qpoe.com -> campaign th3bug */
	ind = cs_test_must_find(f->in, CS_KIND_DOMAIN, "nkr.iphone.qpoe.com");
	assert_true(cs_test_has_label(f->in, ind, "campaign:th3bug"));
	assert_false(cs_test_has_label(f->in, ind, "campaign:admin@338"));
	/* 113.10.246.30 is in four patterns of admin@338: one indicator with
	 * four sources */
	ind = cs_test_must_find(f->in, CS_KIND_IPV4, "113.10.246.30");
	assert_true(cs_test_has_label(f->in, ind, "campaign:admin@338"));
	assert_true(cs_indicator_source_count(ind) >= 3);
	cs_test_import_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_bundle_counts_by_kind),
	        cmocka_unit_test(test_bundle_fields),
	        cmocka_unit_test(test_bundle_relationship_labels),
	        cmocka_unit_test(test_bundle_diagnostics),
	        cmocka_unit_test(test_bad_pattern_column),
	        cmocka_unit_test(test_top_level_array),
	        cmocka_unit_test(test_single_bare_object),
	        cmocka_unit_test(test_misp_export_labels),
	        cmocka_unit_test(test_yara_pattern),
	        cmocka_unit_test(test_sniffed_without_format),
	        cmocka_unit_test(test_bid),
	        cmocka_unit_test(test_truncated_file_keeps_earlier_objects),
	        cmocka_unit_test(test_truncation_sweep),
	        cmocka_unit_test(test_invalid_element_is_skipped),
	        cmocka_unit_test(test_deeply_nested_arrays),
	        cmocka_unit_test(test_huge_strings),
	        cmocka_unit_test(test_wrong_types_everywhere),
	        cmocka_unit_test(test_objects_not_an_array),
	        cmocka_unit_test(test_empty_and_garbage),
	        cmocka_unit_test(test_nul_bytes),
	        cmocka_unit_test(test_large_bundle_released),
	        cmocka_unit_test(test_real_apt1),
	        cmocka_unit_test(test_real_poisonivy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

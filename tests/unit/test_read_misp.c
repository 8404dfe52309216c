/*
 * The MISP reader (lib/intel/read_misp.c) through the public import API:
 * crafted events in tests/data/misp, ESET's 3CX event from the
 * real-world folder, and hostile inputs.
 *
 * Expected counts on the real file are computed independently with jq;
 * the command is written beside each number.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "intel/intel_int.h"

#define FORMAT "misp"

static int detect(const struct cs_indicator *ind)
{
	return (cs_indicator_flags(ind) & CS_IND_DETECT) != 0;
}

static int hunt(const struct cs_indicator *ind)
{
	return (cs_indicator_flags(ind) & CS_IND_HUNT) != 0;
}

#define EV "a0000000-0000-4000-8000-000000000000"

/* ------------------------------------------------------- crafted files */

static void test_event_counts_by_kind(void **state)
{
	struct cs_test_import *f = cs_test_import_path(FORMAT, cs_test_data("misp/event.json"));

	(void)state;
	assert_int_equal(f->rc, CS_OK);
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_MD5), 1);
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_SHA1), 1);   /* x509 fingerprint */
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_SHA256), 1); /* of filename|sha256 */
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_FILENAME), 3);
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_DOMAIN), 4);
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_IPV4), 4);
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_IPV6), 1);
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_URL), 1);
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_EMAIL), 1);
	/* the yara attribute's rule "x" */
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_YARA_RULE), 1);
	assert_int_equal(f->st.yara_rules, 1);
	assert_int_equal(cs_intel_count(f->in), 18);
	/* comment, the imphash of filename|imphash, the object's "signature"
	 * text marked to_ids */
	assert_int_equal(cs_test_rejects(f->in, "unsupported-type"), 3);
	assert_true(cs_test_rejects(f->in, "bad-hash") + cs_test_rejects(f->in, "hash-length") ==
	            1);
	assert_int_equal(f->st.rejected, 4);
	/* a link, a deleted attribute, two descriptive object attributes */
	assert_true(cs_test_diags_have(f->d, "event " EV ": not imported: 1 deleted attributes, "
	                                     "1 links, 2 descriptive object attributes"));
	assert_null(cs_intel_find(f->in, CS_KIND_URL, "https://www.example.com/blog/3cx"));
	assert_null(cs_intel_find(f->in, CS_KIND_SHA1, "0000000000000000000000000000000000000000"));
	cs_test_import_free(f);
}

static void test_event_labels_after_attributes(void **state)
{
	struct cs_test_import *f = cs_test_import_path(FORMAT, cs_test_data("misp/event.json"));
	size_t i;

	(void)state;
	/* Tag and Galaxy come after Attribute and Object in the file; every
	 * indicator still carries the event's labels. */
	for (i = 0; i < cs_intel_count(f->in); i++) {
		const struct cs_indicator *ind = cs_intel_at(f->in, i);

		assert_true(cs_test_has_label(f->in, ind, "event:3CX supply chain test event"));
		assert_true(cs_test_has_label(f->in, ind, "actor:Lazarus Group"));
		assert_true(cs_test_has_label(f->in, ind,
		                              "attack-pattern:Supply Chain Compromise - T1195"));
		assert_true(cs_test_has_label(f->in, ind, "galaxy:sector=Finance"));
		assert_true(cs_test_has_label(f->in, ind, "tag:tlp:white"));
		assert_true(cs_test_has_label(f->in, ind, "tool:Rundll32"));
	}
	cs_test_import_free(f);
}

static void test_event_detect_and_hunt(void **state)
{
	struct cs_test_import *f = cs_test_import_path(FORMAT, cs_test_data("misp/event.json"));
	const struct cs_indicator *ind;

	(void)state;
	ind = cs_test_must_find(f->in, CS_KIND_MD5, "bb915073385dd16a846dfa318afa3c19");
	assert_true(detect(ind));
	assert_false(hunt(ind));
	/* to_ids false: still imported, for hunting */
	ind = cs_test_must_find(f->in, CS_KIND_DOMAIN, "akamaicontainer.com");
	assert_false(detect(ind));
	assert_true(hunt(ind));
	ind = cs_test_must_find(f->in, CS_KIND_FILENAME, "ffmpeg.dll");
	assert_true(hunt(ind));
	cs_test_import_free(f);
}

static void test_event_fields(void **state)
{
	struct cs_test_import *f = cs_test_import_path(FORMAT, cs_test_data("misp/event.json"));
	const struct cs_indicator *ind;
	struct cs_source_info si;

	(void)state;
	ind = cs_test_must_find(f->in, CS_KIND_MD5, "bb915073385dd16a846dfa318afa3c19");
	cs_indicator_source(f->in, ind, 0, &si);
	assert_string_equal(si.format, "misp");
	assert_string_equal(si.ref, EV "/a0000000-0000-4000-8000-000000000001");
	assert_string_equal(si.description, "ffmpeg.dll");
	assert_int_equal(si.line, 8);
	ind = cs_test_must_find(f->in, CS_KIND_DOMAIN, "akamaicontainer.com");
	assert_int_equal(cs_indicator_valid_from(ind), 1677628800);  /* date -d 2023-03-01Z +%s */
	assert_int_equal(cs_indicator_valid_until(ind), 1680091200); /* 2023-03-29T12:00Z */
	/* object first_seen applies to its attributes */
	ind = cs_test_must_find(f->in, CS_KIND_DOMAIN, "sbmsa.wiki");
	assert_int_equal(cs_indicator_valid_from(ind), 1675209600); /* 2023-02-01Z */
	cs_indicator_source(f->in, ind, 0, &si);
	assert_int_equal(si.line, 35);
	/* the object's comment when the attribute has none */
	ind = cs_test_must_find(f->in, CS_KIND_DOMAIN, "pbxphonenetwork.com");
	cs_indicator_source(f->in, ind, 0, &si);
	assert_string_equal(si.description, "C2");
	assert_true(cs_test_has_label(f->in, ind, "misp-object:domain-ip"));
	/* attribute-level tags */
	ind = cs_test_must_find(f->in, CS_KIND_EMAIL, "Recruiter@example.org");
	assert_true(cs_test_has_label(f->in, ind, "tag:phishing"));
	assert_true(cs_test_has_label(f->in, ind, "malware:TAXHAUL"));
	ind = cs_test_must_find(f->in, CS_KIND_SHA1, "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3");
	assert_true(cs_test_has_label(f->in, ind, "cert:x509-fingerprint"));
	cs_test_must_find(f->in, CS_KIND_IPV6, "2001:db8::20");
	cs_test_import_free(f);
}

static void test_composite_values_split(void **state)
{
	struct cs_test_import *f = cs_test_import_path(FORMAT, cs_test_data("misp/event.json"));
	const struct cs_indicator *ind;

	(void)state;
	/* filename|sha256: both, same source and flags */
	ind = cs_test_must_find(f->in, CS_KIND_FILENAME, "d3dcompiler_47.dll");
	assert_true(detect(ind));
	ind = cs_test_must_find(f->in, CS_KIND_SHA256,
	                        "11be1803e2e307b647a8a7fccc55a6e8d6a07f3c0a3a0a9f4d2d9d2a0e9e1e4c");
	assert_true(detect(ind));
	/* ip-dst|port: the address only */
	cs_test_must_find(f->in, CS_KIND_IPV4, "203.0.113.10");
	/* filename|imphash: the name, the imphash rejected */
	cs_test_must_find(f->in, CS_KIND_FILENAME, "3CXDesktopApp.exe");
	assert_null(cs_intel_find(f->in, CS_KIND_MD5, "f34d5f2d4577ed6d9ceec516c1f5a744"));
	/* domain|ip: both, each naming the other */
	ind = cs_test_must_find(f->in, CS_KIND_DOMAIN, "glcloudservice.com");
	assert_true(cs_test_has_label(f->in, ind, "resolves-to:198.51.100.20"));
	ind = cs_test_must_find(f->in, CS_KIND_IPV4, "198.51.100.20");
	assert_true(cs_test_has_label(f->in, ind, "resolved-from:glcloudservice.com"));
	cs_test_import_free(f);
}

static void test_resolved_to_references(void **state)
{
	struct cs_test_import *f = cs_test_import_path(FORMAT, cs_test_data("misp/event.json"));
	const struct cs_indicator *ind;

	(void)state;
	/* object 1 (domain) resolved-to object 2 (ip), declared before it */
	ind = cs_test_must_find(f->in, CS_KIND_DOMAIN, "pbxphonenetwork.com");
	assert_true(cs_test_has_label(f->in, ind, "resolves-to:192.0.2.55"));
	ind = cs_test_must_find(f->in, CS_KIND_IPV4, "192.0.2.55");
	assert_true(cs_test_has_label(f->in, ind, "resolved-from:pbxphonenetwork.com"));
	/* hostname and ip inside one domain-ip object */
	ind = cs_test_must_find(f->in, CS_KIND_DOMAIN, "sbmsa.wiki");
	assert_true(cs_test_has_label(f->in, ind, "resolves-to:192.0.2.66"));
	ind = cs_test_must_find(f->in, CS_KIND_IPV4, "192.0.2.66");
	assert_true(cs_test_has_label(f->in, ind, "resolved-from:sbmsa.wiki"));
	assert_false(cs_test_has_label(f->in, ind, "resolved-from:pbxphonenetwork.com"));
	/* nothing of the sort on unrelated values */
	ind = cs_test_must_find(f->in, CS_KIND_DOMAIN, "akamaicontainer.com");
	assert_int_equal(cs_indicator_label_count(ind), 6);
	cs_test_import_free(f);
}

/* A yara attribute is compiled as a rule file named after the event file
 * and the attribute, carrying the event's labels, and kept for sweeps. */
static void test_yara_attribute(void **state)
{
	struct cs_test_import *f = cs_test_import_path(FORMAT, cs_test_data("misp/event.json"));
	const struct cs_indicator *ind = cs_test_must_find(f->in, CS_KIND_YARA_RULE, "x");
	struct cs_source_info si;
	const char *text;

	(void)state;
	cs_indicator_source(f->in, ind, 0, &si);
	assert_non_null(strstr(si.file, "event.json#" EV "/a0000000-0000-4000-8000-000000000009"));
	assert_string_equal(si.format, "yara");
	assert_true(cs_indicator_label_count(ind) > 0);
	assert_int_equal(cs_intel_yara_count(f->in), 1);
	cs_intel_yara_source(f->in, 0, &text, NULL);
	assert_string_equal(text, "rule x { condition: true }");
	cs_test_import_free(f);
}

static void test_reject_messages(void **state)
{
	struct cs_test_import *f = cs_test_import_path(FORMAT, cs_test_data("misp/event.json"));

	(void)state;
	assert_true(cs_test_diags_have(f->d,
	                               "event.json:15:7: unsupported-type: MISP attribute type "
	                               "'comment' is not an indicator kind we match"));
	assert_false(cs_test_diags_have(f->d, "type 'yara'"));
	assert_true(cs_test_diags_have(f->d, "'filename|imphash': the part after '|'"));
	assert_true(cs_test_diags_have(f->d, "event.json:20:"));
	assert_int_equal(f->d->errors, 0);
	cs_test_import_free(f);
}

static void test_response_with_several_events(void **state)
{
	struct cs_test_import *f = cs_test_import_path(FORMAT, cs_test_data("misp/response.json"));
	const struct cs_indicator *ind;
	struct cs_source_info si;

	(void)state;
	assert_int_equal(f->rc, CS_OK);
	assert_int_equal(cs_intel_count(f->in), 3);
	assert_int_equal(f->st.read, 4);
	/* one.example is in both events: both events' labels, two sources,
	 * detection wins over hunting only in flags both ways */
	ind = cs_test_must_find(f->in, CS_KIND_DOMAIN, "one.example");
	assert_true(cs_test_has_label(f->in, ind, "event:first event"));
	assert_true(cs_test_has_label(f->in, ind, "event:second event"));
	assert_true(cs_test_has_label(f->in, ind, "tag:tlp:green"));
	assert_int_equal(cs_indicator_source_count(ind), 2);
	cs_indicator_source(f->in, ind, 1, &si);
	assert_string_equal(si.ref, "d0000000-0000-4000-8000-000000000002/"
	                            "d0000000-0000-4000-8000-000000000022");
	/* the first event's tag does not leak into the second */
	ind = cs_test_must_find(f->in, CS_KIND_DOMAIN, "two.example");
	assert_true(cs_test_has_label(f->in, ind, "event:second event"));
	assert_false(cs_test_has_label(f->in, ind, "tag:tlp:green"));
	assert_false(cs_test_has_label(f->in, ind, "event:first event"));
	assert_true(hunt(ind));
	cs_test_must_find(f->in, CS_KIND_SHA1, "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3");
	cs_test_import_free(f);
}

static void test_bare_event(void **state)
{
	struct cs_test_import *f = cs_test_import_path(FORMAT, cs_test_data("misp/bare.json"));
	const struct cs_indicator *ind;

	(void)state;
	assert_int_equal(f->rc, CS_OK);
	assert_int_equal(cs_intel_count(f->in), 2);
	ind = cs_test_must_find(f->in, CS_KIND_SHA512,
	                        "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
	                        "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
	assert_true(detect(ind)); /* to_ids "1" */
	assert_true(cs_test_has_label(f->in, ind, "event:bare event"));
	ind = cs_test_must_find(f->in, CS_KIND_DOMAIN, "updates.example.net"); /* hostname|port */
	assert_true(hunt(ind));                                                /* to_ids "0" */
	cs_test_import_free(f);
}

static void test_attribute_search_results(void **state)
{
	struct cs_test_import *f =
	        cs_test_import_path(FORMAT, cs_test_data("misp/attributes.json"));
	const struct cs_indicator *ind;

	(void)state;
	assert_int_equal(f->rc, CS_OK);
	assert_int_equal(cs_intel_count(f->in), 2);
	ind = cs_test_must_find(f->in, CS_KIND_IPV4, "203.0.113.99");
	assert_true(detect(ind));
	assert_int_equal(cs_indicator_label_count(ind), 0);
	cs_test_must_find(f->in, CS_KIND_URL, "http://evil.example/gate.php");
	cs_test_import_free(f);
	f = cs_test_import_path(FORMAT, cs_test_data("misp/attribute_list.json"));
	assert_int_equal(f->rc, CS_OK);
	assert_int_equal(cs_intel_count(f->in), 3);
	cs_test_must_find(f->in, CS_KIND_DOMAIN, "context.example"); /* with its "Event" context */
	cs_test_must_find(f->in, CS_KIND_MD5, "d41d8cd98f00b204e9800998ecf8427e");
	cs_test_must_find(f->in, CS_KIND_FILENAME, "update.exe");
	cs_test_import_free(f);
}

static void test_sniffed_without_format(void **state)
{
	static const char *const files[] = {"misp/event.json", "misp/response.json",
	                                    "misp/bare.json", "misp/attributes.json"};
	size_t i;

	(void)state;
	for (i = 0; i < CS_ARRAY_SIZE(files); i++) {
		struct cs_intel *in = cs_intel_new();
		struct cs_import_stats st;

		assert_int_equal(cs_intel_import(in, cs_test_data(files[i]), &st), CS_OK);
		assert_true(cs_intel_count(in) > 0);
		cs_intel_free(in);
	}
}

static void test_feed_folder(void **state)
{
	const char *manifest = "{\"d0000000-0000-4000-8000-000000000001\": {\"info\": \"first\"},"
	                       " \"e0000000-0000-4000-8000-000000000001\": {\"info\": \"bare\"}}";
	size_t l1, l2;
	char *ev1 = cs_test_slurp(cs_test_data("misp/response.json"), &l1);
	char *ev2 = cs_test_slurp(cs_test_data("misp/bare.json"), &l2);
	char *dir = cs_test_tmpdir();
	struct cs_intel *in = cs_intel_new();
	struct cs_import_stats st;

	(void)state;
	assert_non_null(dir);
	free(cs_test_write(dir, "manifest.json", manifest, strlen(manifest)));
	/* A feed holds {"Event": ...} files; the reader takes the other
	 * shapes too, which is what these two are. */
	free(cs_test_write(dir, "d0000000-0000-4000-8000-000000000001.json", ev1, l1));
	free(cs_test_write(dir, "e0000000-0000-4000-8000-000000000001.json", ev2, l2));
	free(cs_test_write(dir, "README.txt", "not intel", 9));
	assert_int_equal(cs_intel_import(in, dir, &st), CS_OK);
	assert_int_equal(st.files, 2);
	assert_int_equal(cs_intel_count(in), 3 + 2);
	cs_test_must_find(in, CS_KIND_DOMAIN, "updates.example.net");
	cs_test_must_find(in, CS_KIND_DOMAIN, "two.example");
	cs_intel_free(in);
	cs_test_rmtree(dir);
	free(dir);
	free(ev1);
	free(ev2);
}

static void test_bid(void **state)
{
	const char *ev = "{\"Event\": {\"info\": \"x\"}}";
	const char *bundle = "{\"type\": \"bundle\", \"objects\": []}";
	const char *wl = "{\"list\": [\"8.8.8.8\"], \"name\": \"x\", \"type\": \"cidr\"}";

	(void)state;
	assert_true(cs__reader_misp.bid(ev, strlen(ev), "x.json") >= 90);
	assert_int_equal(cs__reader_misp.bid(bundle, strlen(bundle), "x.json"), 0);
	assert_int_equal(cs__reader_misp.bid(wl, strlen(wl), "x.json"), 0);
	assert_int_equal(cs__reader_misp.bid("", 0, "x.json"), 0);
}

/* ---------------------------------------------------------- hostile */

static void test_truncated_event_keeps_earlier_attributes(void **state)
{
	size_t len;
	char *data = cs_test_slurp(cs_test_data("misp/event.json"), &len);
	const char *cut = strstr(data, "{\"id\": \"4\"");
	struct cs_test_import *f;

	(void)state;
	assert_non_null(cut);
	/* Cut in the middle of the 4th attribute (line 11): the first three
	 * attributes (md5, domain, filename|sha256) are complete. */
	f = cs_test_import_mem(FORMAT, data, (size_t)(cut - data) + 30);
	assert_int_equal(f->rc, CS_OK);
	assert_int_equal(cs_intel_count(f->in), 4);
	cs_test_must_find(f->in, CS_KIND_MD5, "bb915073385dd16a846dfa318afa3c19");
	cs_test_must_find(f->in, CS_KIND_SHA256,
	                  "11be1803e2e307b647a8a7fccc55a6e8d6a07f3c0a3a0a9f4d2d9d2a0e9e1e4c");
	/* The fault, and the file counted as read only in part. */
	assert_int_equal(f->d->errors, 2);
	assert_true(cs_test_diags_have(f->d, "mem.json:11:37:"));
	assert_true(cs_test_diags_have(f->d, "JSON syntax error at line 11, column 37"));
	assert_true(cs_test_diags_have(f->d, "read only in part as misp"));
	assert_int_equal(f->st.files_partial, 1);
	assert_int_equal(f->st.files_failed, 0);
	cs_test_import_free(f);
	free(data);
}

static void test_truncation_sweep(void **state)
{
	static const char *const files[] = {"misp/event.json", "misp/response.json"};
	size_t i;

	(void)state;
	for (i = 0; i < CS_ARRAY_SIZE(files); i++) {
		size_t len, cut;
		char *data = cs_test_slurp(cs_test_data(files[i]), &len);
		uint64_t last = 0, full;
		struct cs_test_import *f = cs_test_import_mem(FORMAT, data, len);

		full = f->st.read;
		cs_test_import_free(f);
		for (cut = 0; cut <= len; cut += (cut < 64 || len - cut < 64) ? 1 : 11) {
			f = cs_test_import_mem(FORMAT, data, cut);
			assert_true(f->st.read >= last);
			assert_true(f->st.read <= full);
			last = f->st.read;
			cs_test_import_free(f);
		}
		assert_int_equal(last, full);
		free(data);
	}
}

static void test_invalid_attribute_is_skipped(void **state)
{
	const char *doc = "{\"Event\": {\"info\": \"x\", \"Attribute\": [\n"
	                  "{\"type\": \"domain\", \"value\": \"a.example\"},\n"
	                  "{\"type\": \"domain\" \"value\": \"b.example\"},\n"
	                  "{\"type\": \"domain\", \"value\": \"c.example\", \"x\": [tru]},\n"
	                  "{\"type\": \"domain\", \"value\": \"d.example\"}\n]}}";
	struct cs_test_import *f = cs_test_import_mem(FORMAT, doc, strlen(doc));

	(void)state;
	assert_int_equal(f->rc, CS_OK);
	assert_int_equal(cs_intel_count(f->in), 2);
	cs_test_must_find(f->in, CS_KIND_DOMAIN, "a.example");
	cs_test_must_find(f->in, CS_KIND_DOMAIN, "d.example");
	assert_int_equal(cs_test_rejects(f->in, "json-syntax"), 2);
	assert_true(cs_test_diags_have(f->d, "mem.json:3:"));
	assert_true(cs_test_diags_have(f->d, "mem.json:4:"));
	assert_int_equal(f->d->errors, 0);
	cs_test_import_free(f);
}

static void test_deeply_nested_arrays(void **state)
{
	size_t n = 100000;
	const char *head = "{\"Event\": {\"info\": \"x\", \"Attribute\": [{\"type\": \"domain\", "
	                   "\"value\": \"a.example\"}, ";
	size_t hl = strlen(head);
	char *doc = malloc(hl + n);
	struct cs_test_import *f;

	(void)state;
	assert_non_null(doc);
	memset(doc, '[', n);
	f = cs_test_import_mem(FORMAT, doc, n);
	assert_int_equal(f->rc, CS_ERR_EMPTY);
	assert_true(cs_test_diags_have(f->d, "nesting deeper than 256"));
	cs_test_import_free(f);
	memcpy(doc, head, hl);
	memset(doc + hl, '[', n);
	f = cs_test_import_mem(FORMAT, doc, hl + n);
	assert_int_equal(f->rc, CS_OK);
	cs_test_must_find(f->in, CS_KIND_DOMAIN, "a.example");
	assert_true(cs_test_diags_have(f->d, "nesting deeper than 256"));
	cs_test_import_free(f);
	free(doc);
}

static void test_huge_strings(void **state)
{
	const char *a = "{\"Event\": {\"info\": \"x\", \"Attribute\": [{\"type\": \"domain\", "
	                "\"value\": \"a.example\", \"comment\": \"";
	const char *b = "\"}, {\"type\": \"domain\", \"value\": \"";
	const char *c = "\"}, {\"type\": \"domain\", \"value\": \"last.example\"}]}}";
	size_t big = (size_t)17 << 20, val = (size_t)100 << 10;
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c), n = la + big + lb + val + lc;
	char *doc = malloc(n);
	struct cs_test_import *f;

	(void)state;
	assert_non_null(doc);
	memcpy(doc, a, la);
	memset(doc + la, 'x', big);
	memcpy(doc + la + big, b, lb);
	memset(doc + la + big + lb, 'z', val);
	memcpy(doc + la + big + lb + val, c, lc);
	f = cs_test_import_mem(FORMAT, doc, n);
	assert_int_equal(f->rc, CS_OK);
	assert_int_equal(cs_intel_count(f->in), 1);
	cs_test_must_find(f->in, CS_KIND_DOMAIN, "last.example");
	assert_int_equal(cs_test_rejects(f->in, "too-big"), 1);
	assert_int_equal(cs_test_rejects(f->in, "too-long"), 1);
	cs_test_import_free(f);
	free(doc);
}

static void test_wrong_types_everywhere(void **state)
{
	struct cs_test_import *f =
	        cs_test_import_path(FORMAT, cs_test_data("misp/wrong_types.json"));

	(void)state;
	assert_int_equal(f->rc, CS_OK);
	assert_int_equal(cs_intel_count(f->in), 2);
	cs_test_must_find(f->in, CS_KIND_DOMAIN, "ok.example");
	cs_test_must_find(f->in, CS_KIND_FILENAME, "kept.exe");
	/* 5, type 7, value [..] */
	assert_int_equal(cs_test_rejects(f->in, "bad-attribute"), 3);
	/* domain|ip without '|' */
	assert_int_equal(cs_test_rejects(f->in, "bad-value"), 1);
	/* object 7, object whose Attribute is 5 */
	assert_int_equal(cs_test_rejects(f->in, "bad-object"), 2);
	cs_test_import_free(f);
	/* Event, response, Attribute of the wrong JSON type */
	{
		static const char *const docs[] = {
		        "{\"Event\": 5}",
		        "{\"response\": \"x\"}",
		        "{\"Event\": {\"info\": \"x\", \"Attribute\": {\"type\": \"md5\"}}}",
		        "[1, \"x\", null]",
		};
		size_t i;

		for (i = 0; i < CS_ARRAY_SIZE(docs); i++) {
			f = cs_test_import_mem(FORMAT, docs[i], strlen(docs[i]));
			assert_int_equal(f->rc, CS_ERR_EMPTY);
			assert_true(cs_test_rejects(f->in, "bad-event") >= 1);
			cs_test_import_free(f);
		}
	}
}

static void test_empty_and_garbage(void **state)
{
	static const char *const inputs[] = {
	        "",  " \n ", "garbage", "\"Event\"",       "{",
	        "[", "{}",   "[]",      "{\"Event\": {}}", "{\"response\": []}"};
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
	static const char doc[] = "{\"Event\": {\"info\": \"x\", \"Attribute\": ["
	                          "{\"type\": \"filename\", \"value\": \"a\\u0000.exe\"},"
	                          "{\"type\": \"domain\", \"value\": \"raw\0nul.example\"},"
	                          "{\"type\": \"domain\", \"value\": \"ok.example\"}]}}";
	struct cs_test_import *f = cs_test_import_mem(FORMAT, doc, sizeof(doc) - 1);

	(void)state;
	assert_int_equal(f->rc, CS_OK);
	assert_int_equal(cs_intel_count(f->in), 1);
	cs_test_must_find(f->in, CS_KIND_DOMAIN, "ok.example");
	assert_null(cs_intel_find(f->in, CS_KIND_FILENAME, "a"));
	assert_int_equal(cs_test_rejects(f->in, "bad-value"), 1);
	assert_int_equal(cs_test_rejects(f->in, "json-syntax"), 1);
	cs_test_import_free(f);
}

/* ---------------------------------------------------------- real world */

#define ESET_JQ_OBJ ".response[0].Event.Object[].Attribute[]"

static void test_real_eset_counts(void **state)
{
	const char *path = CS_TEST_REAL_WORLD("eset/lazarus_3cx.misp.json");
	struct cs_test_import *f = cs_test_import_path(FORMAT, path);

	(void)state;
	assert_int_equal(f->rc, CS_OK);
	/* jq '.response[0].Event.Attribute|length' -> 0: everything is in
	 * objects. For each type T:
	 * jq --arg t T '[ESET_JQ_OBJ|select(.type==$t)|.value]|unique|length' */
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_MD5), 4);      /* md5 -> 4 */
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_SHA1), 4);     /* sha1 -> 4 */
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_SHA256), 4);   /* sha256 -> 4 */
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_FILENAME), 4); /* filename -> 4 */
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_DOMAIN), 2);   /* domain -> 2 */
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_IPV4), 3); /* ip-dst -> 3 (4 attrs) */
	assert_int_equal(cs_test_count_kind(f->in, CS_KIND_URL), 3);  /* url -> 3 */
	assert_int_equal(cs_intel_count(f->in), 24);
	/* jq '[ESET_JQ_OBJ|select(.type=="text" and .to_ids)]|length' -> 2
	 * (av-signature "signature" values): the only rejects */
	assert_int_equal(f->st.rejected, 2);
	assert_int_equal(cs_test_rejects(f->in, "unsupported-type"), 2);
	/* jq '[ESET_JQ_OBJ|select((.type=="text" or .type=="port") and
	 *      (.to_ids|not))]|length' -> 21 + 2 = 23 descriptive attributes */
	assert_true(cs_test_diags_have(f->d, "0 deleted attributes, 0 links, "
	                                     "23 descriptive object attributes"));
	/* jq '[ESET_JQ_OBJ|select(.type as $t|["md5","sha1","sha256","filename",
	 *      "domain","ip-dst","url"]|index($t))]|length' -> 25 accepted */
	assert_int_equal(f->st.read, 25);
	cs_test_import_free(f);
}

static void test_real_eset_labels_and_flags(void **state)
{
	const char *path = CS_TEST_REAL_WORLD("eset/lazarus_3cx.misp.json");
	struct cs_test_import *f = cs_test_import_path(FORMAT, path);
	const struct cs_indicator *ind;
	size_t i;

	(void)state;
	/* jq '.response[0].Event.Galaxy[]|select(.type=="threat-actor")
	 *     |.GalaxyCluster[].value' -> "Lazarus Group" */
	for (i = 0; i < cs_intel_count(f->in); i++) {
		ind = cs_intel_at(f->in, i);
		assert_true(cs_test_has_label(f->in, ind, "actor:Lazarus Group"));
		assert_true(cs_test_has_label(f->in, ind, "tag:ESET"));
		assert_true(cs_test_has_label(
		        f->in, ind,
		        "event:Linux malware strengthen links between Lazarus and the 3CX "
		        "supply-chain attack"));
		assert_true(
		        cs_test_has_label(f->in, ind, "attack-pattern:Social Media - T1593.001"));
	}
	/* jq '[ESET_JQ_OBJ|select(.type=="sha256")|.to_ids]|unique' -> [true] */
	ind = cs_test_must_find(f->in, CS_KIND_SHA256,
	                        "eebb01932de0b5605dd460cc82844d8693c00ea8ab5ffdf8dbede6528c1c18fd");
	assert_true(detect(ind));
	assert_true(cs_test_has_label(f->in, ind, "misp-object:file"));
	/* jq '[ESET_JQ_OBJ|select(.type=="domain")|.to_ids]|unique' -> [false] */
	ind = cs_test_must_find(f->in, CS_KIND_DOMAIN, "od.lk");
	assert_true(hunt(ind));
	assert_false(detect(ind));
	/* jq '.response[0].Event.Object[]|select(.ObjectReference[]?
	 *     .relationship_type=="resolved-to")|[.Attribute[].value,
	 *     .ObjectReference[].referenced_uuid]': od.lk -> object 56ccf232
	 *     (ip-dst 38.108.185.115), journalide.org -> d6d1e6a4 (172.93.201.88) */
	assert_true(cs_test_has_label(f->in, ind, "resolves-to:38.108.185.115"));
	ind = cs_test_must_find(f->in, CS_KIND_IPV4, "38.108.185.115");
	assert_true(cs_test_has_label(f->in, ind, "resolved-from:od.lk"));
	ind = cs_test_must_find(f->in, CS_KIND_DOMAIN, "journalide.org");
	assert_true(cs_test_has_label(f->in, ind, "resolves-to:172.93.201.88"));
	ind = cs_test_must_find(f->in, CS_KIND_IPV4, "172.93.201.88");
	assert_true(cs_test_has_label(f->in, ind, "resolved-from:journalide.org"));
	/* 23.254.211.230: no resolved-to reference names it */
	ind = cs_test_must_find(f->in, CS_KIND_IPV4, "23.254.211.230");
	assert_int_equal(cs_indicator_source_count(ind), 2); /* listed twice in its object */
	cs_test_import_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_event_counts_by_kind),
	        cmocka_unit_test(test_event_labels_after_attributes),
	        cmocka_unit_test(test_event_detect_and_hunt),
	        cmocka_unit_test(test_event_fields),
	        cmocka_unit_test(test_composite_values_split),
	        cmocka_unit_test(test_resolved_to_references),
	        cmocka_unit_test(test_yara_attribute),
	        cmocka_unit_test(test_reject_messages),
	        cmocka_unit_test(test_response_with_several_events),
	        cmocka_unit_test(test_bare_event),
	        cmocka_unit_test(test_attribute_search_results),
	        cmocka_unit_test(test_sniffed_without_format),
	        cmocka_unit_test(test_feed_folder),
	        cmocka_unit_test(test_bid),
	        cmocka_unit_test(test_truncated_event_keeps_earlier_attributes),
	        cmocka_unit_test(test_truncation_sweep),
	        cmocka_unit_test(test_invalid_attribute_is_skipped),
	        cmocka_unit_test(test_deeply_nested_arrays),
	        cmocka_unit_test(test_huge_strings),
	        cmocka_unit_test(test_wrong_types_everywhere),
	        cmocka_unit_test(test_empty_and_garbage),
	        cmocka_unit_test(test_nul_bytes),
	        cmocka_unit_test(test_real_eset_counts),
	        cmocka_unit_test(test_real_eset_labels_and_flags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

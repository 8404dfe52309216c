/*
 * Unit tests of the CSV and plain-list readers (lib/intel/read_csv.c):
 * crafted tables and lists under tests/data/csv, Volexity's 3CX table and
 * ESET's sample hashes, and hostile input. Counts on real files were
 * computed independently with the commands in the comments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chainsweep/intel.h"
#include "testutil.h"

/* ------------------------------------------------------------------ CSV */

static void test_csv_header_and_types(void **state)
{
	struct cs_test_env *e = *state;
	const struct cs_indicator *ind;
	char *url;
	enum cs_kind k;

	assert_int_equal(cs_intel_import(e->in, cs_test_data("csv/iocs-header.csv"), &e->st),
	                 CS_OK);
	assert_true(cs_test_diags_have(e->d, "read as csv"));
	/* Records on lines 2, 3, 4-6 (two hashes), 7, 9 (two parts), 10 are
	 * good; 8 (bad e-mail), 11 (unknown type), 12 (empty) are not. */
	assert_int_equal(e->st.read, 8);
	assert_int_equal(e->st.rejected, 3);
	assert_true(cs_test_diags_have(e->d, "iocs-header.csv:8:1: bad-email:"));
	assert_true(cs_test_diags_have(e->d, "iocs-header.csv:11:1: unsupported-type:"));
	assert_true(cs_test_diags_have(e->d, "iocs-header.csv:12:1: empty:"));

	ind = cs_test_must_find(e->in, CS_KIND_DOMAIN, "evil.example");
	assert_true(
	        cs_test_has_source(e->in, ind, "iocs-header.csv", 2, "csv", "C2 domain, primary"));
	ind = cs_test_must_find(e->in, CS_KIND_IPV4, "198.51.100.7");
	assert_true(cs_test_has_source(e->in, ind, "iocs-header.csv", 3, NULL, "plain address"));
	/* One quoted cell, two hashes on two lines; the description spans
	 * two lines too. */
	ind = cs_test_must_find(e->in, CS_KIND_MD5, "d41d8cd98f00b204e9800998ecf8427e");
	assert_true(cs_test_has_source(e->in, ind, "iocs-header.csv", 4, NULL,
	                               "two hashes, one cell\r\nspanning lines"));
	ind = cs_test_must_find(e->in, CS_KIND_SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	assert_true(cs_test_has_source(e->in, ind, "iocs-header.csv", 5, NULL, NULL));
	/* A URL keeps its comma: URLs are never split. */
	assert_int_equal(cs_normalize_value(CS_KIND_URL, "http://evil.example/a,b?c=1", &url, &k),
	                 CS_OK);
	ind = cs_test_must_find(e->in, CS_KIND_URL, url);
	free(url);
	assert_true(
	        cs_test_has_source(e->in, ind, "iocs-header.csv", 7, NULL, "a URL with a comma"));
	/* MISP composite type "domain|ip". */
	cs_test_must_find(e->in, CS_KIND_DOMAIN, "x.example");
	cs_test_must_find(e->in, CS_KIND_IPV4, "203.0.113.9");
	ind = cs_test_must_find(e->in, CS_KIND_FILENAME, "quoted \"name\".exe");
	assert_true(cs_test_has_source(e->in, ind, "iocs-header.csv", 10, NULL, "doubled quotes"));
	assert_int_equal(cs_intel_count(e->in), 8);
}

static void test_csv_typed_columns(void **state)
{
	struct cs_test_env *e = *state;

	assert_int_equal(cs_intel_import(e->in, cs_test_data("csv/typed-columns.csv"), &e->st),
	                 CS_OK);
	/* Every column names a kind: md5, sha256, filename. An empty cell
	 * is no value. */
	assert_int_equal(e->st.read, 5);
	assert_int_equal(e->st.rejected, 0);
	cs_test_must_find(e->in, CS_KIND_MD5, "d41d8cd98f00b204e9800998ecf8427e");
	cs_test_must_find(e->in, CS_KIND_SHA256,
	                  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b856");
	cs_test_must_find(e->in, CS_KIND_FILENAME, "other.bin");
	assert_int_equal(cs_test_count_kind(e->in, CS_KIND_FILENAME), 2);
}

/* A vendor's table whose columns name the activity: each value of a
 * family, actor, campaign or tag column labels every indicator of its row
 * (several split at ';', ',' or '|'), and first/last seen columns give the
 * window; a date that is not one is said, with its line and column. */
static int has_label(const struct cs_intel *in, const struct cs_indicator *ind, const char *l)
{
	size_t i;

	for (i = 0; i < cs_indicator_label_count(ind); i++)
		if (strcmp(cs_indicator_label(in, ind, i), l) == 0)
			return 1;
	return 0;
}

static void test_csv_activity_columns(void **state)
{
	static const char t[] =
	        "Indicator,Type,Associated Malware,Threat Actor,Campaign,Tags,First Seen,Last Seen\n"
	        "journalide.org,domain,SmoothOperator,Lazarus Group,3CX supply chain,"
	        "\"3cx; c2|dns\",2023-03-07,2023-03-29T12:00:00Z\n"
	        "5e92d54af229d34029c9c80e4ec36c30d6a37bca03fe6cfae7be92f772201922,sha256,"
	        "ICONICSTEALER,,,,yesterday,\n";
	struct cs_test_env *e = *state;
	const struct cs_indicator *ind;

	assert_int_equal(cs_intel_set_format(e->in, "csv"), CS_OK);
	assert_int_equal(cs_intel_import_mem(e->in, "vendor.csv", t, sizeof(t) - 1, &e->st), CS_OK);
	assert_int_equal(e->st.read, 2);
	ind = cs_test_must_find(e->in, CS_KIND_DOMAIN, "journalide.org");
	assert_true(has_label(e->in, ind, "malware:SmoothOperator"));
	assert_true(has_label(e->in, ind, "actor:Lazarus Group"));
	assert_true(has_label(e->in, ind, "campaign:3CX supply chain"));
	assert_true(has_label(e->in, ind, "tag:3cx"));
	assert_true(has_label(e->in, ind, "tag:c2"));
	assert_true(has_label(e->in, ind, "tag:dns"));
	assert_int_equal(cs_indicator_label_count(ind), 6);
	assert_int_equal(cs_indicator_valid_from(ind), 1678147200);  /* 2023-03-07 */
	assert_int_equal(cs_indicator_valid_until(ind), 1680091200); /* 2023-03-29T12:00 */
	ind = cs_test_must_find(e->in, CS_KIND_SHA256,
	                        "5e92d54af229d34029c9c80e4ec36c30d6a37bca03fe6cfae7be92f772201922");
	assert_true(has_label(e->in, ind, "malware:ICONICSTEALER"));
	assert_int_equal(cs_indicator_label_count(ind), 1);
	assert_int_equal(cs_indicator_valid_from(ind), 0);
	assert_true(cs_test_diags_have(e->d, "vendor.csv:3:"));
	assert_true(cs_test_diags_have(e->d, "first_seen 'yesterday' is not a date"));
}

static void test_csv_no_header(void **state)
{
	struct cs_test_env *e = *state;
	const struct cs_indicator *ind;

	assert_int_equal(cs_intel_import(e->in, cs_test_data("csv/no-header.csv"), &e->st), CS_OK);
	assert_true(cs_test_diags_have(e->d, "read as csv"));
	/* Column 1, kinds guessed; a cell of two domains is two values. */
	assert_int_equal(e->st.read, 4);
	ind = cs_test_must_find(e->in, CS_KIND_DOMAIN, "evil-nohdr.example");
	assert_true(cs_test_has_source(e->in, ind, "no-header.csv", 2, NULL, NULL));
	cs_test_must_find(e->in, CS_KIND_IPV4, "198.51.100.99");
	cs_test_must_find(e->in, CS_KIND_DOMAIN, "a.example");
	ind = cs_test_must_find(e->in, CS_KIND_DOMAIN, "b.example");
	assert_true(cs_test_has_source(e->in, ind, "no-header.csv", 4, NULL, NULL));
}

static void test_csv_column_option(void **state)
{
	struct cs_test_env *e = *state;
	static const char t[] = "when,what,where\n"
	                        "2023-03-29,note one,evil-col.example\n"
	                        "2023-03-30,note two,198.51.100.200\n";
	static const char nohdr[] = "x,evil-num.example\ny,198.51.100.201\n";

	assert_int_equal(cs_intel_set_format(e->in, "csv"), CS_OK);
	assert_int_equal(cs_intel_set_csv_column(e->in, "Where"), CS_OK);
	assert_int_equal(cs_intel_import_mem(e->in, "t.csv", t, sizeof(t) - 1, &e->st), CS_OK);
	assert_int_equal(e->st.read, 2);
	cs_test_must_find(e->in, CS_KIND_DOMAIN, "evil-col.example");
	assert_int_equal(cs_intel_set_csv_column(e->in, "2"), CS_OK);
	assert_int_equal(cs_intel_import_mem(e->in, "n.csv", nohdr, sizeof(nohdr) - 1, &e->st),
	                 CS_OK);
	assert_int_equal(e->st.read, 2);
	cs_test_must_find(e->in, CS_KIND_IPV4, "198.51.100.201");
	/* A column that is not there: the file is unusable, said so. */
	assert_int_equal(cs_intel_set_csv_column(e->in, "nosuch"), CS_OK);
	assert_int_equal(cs_intel_import_mem(e->in, "t.csv", t, sizeof(t) - 1, &e->st),
	                 CS_ERR_EMPTY);
	assert_true(cs_test_diags_have(e->d, "no column named 'nosuch'"));
	assert_int_equal(cs_intel_set_csv_column(e->in, NULL), CS_OK);
}

static void test_real_volexity_csv(void **state)
{
	struct cs_test_env *e = *state;
	const char *p = CS_TEST_REAL_WORLD("volexity/3cx-iocs.csv");
	const struct cs_indicator *ind;

	assert_int_equal(cs_intel_import(e->in, p, &e->st), CS_OK);
	assert_true(cs_test_diags_have(e->d, "read as csv"));
	/* awk -F, 'NR>1 && $2=="hostname"' 3cx-iocs.csv | wc -l      -> 23
	 * awk -F, 'NR>1 && $2=="emailwhois"' 3cx-iocs.csv | wc -l    -> 5
	 * grep -o '[0-9a-f]\{32,64\}' 3cx-iocs.csv | awk '{print length}' |
	 *   sort | uniq -c                           -> 6 of 32, 6 of 40, 6 of 64 */
	assert_int_equal(e->st.read, 23 + 5 + 18);
	assert_int_equal(e->st.rejected, 0);
	assert_int_equal(cs_test_count_kind(e->in, CS_KIND_DOMAIN), 23);
	assert_int_equal(cs_test_count_kind(e->in, CS_KIND_EMAIL), 5);
	assert_int_equal(cs_test_count_kind(e->in, CS_KIND_MD5), 6);
	assert_int_equal(cs_test_count_kind(e->in, CS_KIND_SHA1), 6);
	assert_int_equal(cs_test_count_kind(e->in, CS_KIND_SHA256), 6);
	/* grep -n 59e1edf4 3cx-iocs.csv -> line 30, three hashes in one cell */
	ind = cs_test_must_find(e->in, CS_KIND_SHA256,
	                        "59e1edf4d82fae4978e97512b0331b7eb21dd4b838b850ba46794d9c7a2c0983");
	assert_true(cs_test_has_source(e->in, ind, "3cx-iocs.csv", 30, "csv",
	                               "MSI installer for 3CX containing backdoored ffmpeg.dll"));
	ind = cs_test_must_find(e->in, CS_KIND_SHA1, "bfecb8ce89a312d2ef4afc64a63847ae11c6f69e");
	assert_true(cs_test_has_source(e->in, ind, "3cx-iocs.csv", 30, NULL, NULL));
	ind = cs_test_must_find(e->in, CS_KIND_MD5, "0eeb1c0133eb4d571178b2d9d14ce3e9");
	assert_true(cs_test_has_source(e->in, ind, "3cx-iocs.csv", 30, NULL, NULL));
	/* grep -n '^philip.je@proton.me' 3cx-iocs.csv -> 4; the last record
	 * (line 35) has no newline. */
	ind = cs_test_must_find(e->in, CS_KIND_EMAIL, "philip.je@proton.me");
	assert_true(cs_test_has_source(e->in, ind, "3cx-iocs.csv", 4, NULL,
	                               "Indicators related to the supply chain attack on 3CX"));
	ind = cs_test_must_find(e->in, CS_KIND_SHA256,
	                        "a64fa9f1c76457ecc58402142a8728ce34ccba378c17318b3340083eeb7acc67");
	assert_true(cs_test_has_source(e->in, ind, "3cx-iocs.csv", 35, NULL,
	                               "MACOS backdoored libffmpeg.dylib"));
}

/* ------------------------------------------------------------------ plain */

static void test_plain_mixed(void **state)
{
	struct cs_test_env *e = *state;
	const struct cs_indicator *ind;
	char *url;
	enum cs_kind k;

	assert_int_equal(cs_intel_import(e->in, cs_test_data("csv/plain-mixed.txt"), &e->st),
	                 CS_OK);
	assert_true(cs_test_diags_have(e->d, "read as plain"));
	/* Every data line but 10 ("not-an-indicator"). */
	assert_int_equal(e->st.read, 9);
	assert_int_equal(e->st.rejected, 1);
	assert_true(cs_test_diags_have(e->d, "plain-mixed.txt:10:1: unknown-kind:"));
	ind = cs_test_must_find(e->in, CS_KIND_DOMAIN, "evil-plain.example");
	assert_true(cs_test_has_source(e->in, ind, "plain-mixed.txt", 2, "plain", NULL));
	ind = cs_test_must_find(e->in, CS_KIND_IPV4, "198.51.100.50");
	assert_true(cs_test_has_source(e->in, ind, "plain-mixed.txt", 3, NULL, "trailing comment"));
	cs_test_must_find(e->in, CS_KIND_IPV6, "2001:db8::5");
	assert_int_equal(
	        cs_normalize_value(CS_KIND_URL, "http://evil-plain.example/path", &url, &k), CS_OK);
	cs_test_must_find(e->in, CS_KIND_URL, url);
	free(url);
	cs_test_must_find(e->in, CS_KIND_EMAIL, "user@evil-plain.example");
	/* sha256sum text and binary modes, and the --tag form. */
	ind = cs_test_must_find(e->in, CS_KIND_SHA256,
	                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_true(cs_test_has_source(e->in, ind, "plain-mixed.txt", 7, NULL, "empty.bin"));
	ind = cs_test_must_find(e->in, CS_KIND_MD5, "d41d8cd98f00b204e9800998ecf8427e");
	assert_true(cs_test_has_source(e->in, ind, "plain-mixed.txt", 8, NULL, "binary-mode.exe"));
	ind = cs_test_must_find(e->in, CS_KIND_SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	assert_true(cs_test_has_source(e->in, ind, "plain-mixed.txt", 9, NULL, "tagged.bin"));
	cs_test_must_find(e->in, CS_KIND_CIDR, "10.0.0.0/8");
}

static void test_real_eset_sha256(void **state)
{
	struct cs_test_env *e = *state;
	const char *p = CS_TEST_REAL_WORLD("eset/lazarus_3cx.samples.sha256");
	const struct cs_indicator *ind;

	assert_int_equal(cs_intel_import(e->in, p, &e->st), CS_OK);
	assert_true(cs_test_diags_have(e->d, "read as plain"));
	/* wc -l lazarus_3cx.samples.sha256 -> 555;  sort -u ... | wc -l -> 555;
	 * awk '{print length($0), NF}' ... | sort | uniq -c -> "555 64 1" */
	assert_int_equal(e->st.read, 555);
	assert_int_equal(e->st.rejected, 0);
	assert_int_equal(cs_test_count_kind(e->in, CS_KIND_SHA256), 555);
	assert_int_equal(cs_intel_count(e->in), 555);
	/* head -1 -> 6471f389..., tail -1 -> ...ffb47e2470 (line 555) */
	ind = cs_test_must_find(e->in, CS_KIND_SHA256,
	                        "6471f3898e63c2a9af25284253dc087dfda94809182c45728b3adc40e238c7f6");
	assert_true(cs_test_has_source(e->in, ind, "lazarus_3cx.samples.sha256", 1, "plain", NULL));
}

/* ------------------------------------------------------------------ hostile */

static const char *const text_formats[] = {"csv", "plain"};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static void test_empty_file(void **state)
{
	struct cs_test_env *e = *state;
	size_t i;

	for (i = 0; i < N_OF(text_formats); i++) {
		assert_int_equal(cs_intel_set_format(e->in, text_formats[i]), CS_OK);
		assert_int_equal(cs_intel_import_mem(e->in, "empty", "", 0, &e->st), CS_ERR_EMPTY);
		assert_int_equal(e->st.rejected, 0);
		assert_int_equal(cs_intel_import_mem(e->in, "blank", "\r\n\n  \n#c\n", 9, &e->st),
		                 CS_ERR_EMPTY);
		assert_int_equal(e->st.rejected, 0);
	}
	/* A header alone. */
	assert_int_equal(cs_intel_set_format(e->in, "csv"), CS_OK);
	assert_int_equal(cs_intel_import_mem(e->in, "h.csv", "value,type\n", 11, &e->st),
	                 CS_ERR_EMPTY);
	assert_int_equal(cs_intel_count(e->in), 0);
}

static void test_nul_bytes(void **state)
{
	struct cs_test_env *e = *state;
	static const char csv[] = "value,description\n"
	                          "ok-csv.example,fine\n"
	                          "bad\0.example,nul in value\n"
	                          "ok2-csv.example,nul\0in description\n";
	static const char plain[] = "ok-plain.example\nbad\0.example\n";

	assert_int_equal(cs_intel_set_format(e->in, "csv"), CS_OK);
	assert_int_equal(cs_intel_import_mem(e->in, "nul.csv", csv, sizeof(csv) - 1, &e->st),
	                 CS_OK);
	assert_int_equal(e->st.read, 1);
	assert_int_equal(e->st.rejected, 2);
	assert_true(cs_test_diags_have(e->d, "nul.csv:3:0: nul-byte:"));
	assert_true(cs_test_diags_have(e->d, "nul.csv:4:0: nul-byte:"));
	assert_int_equal(cs_intel_set_format(e->in, "plain"), CS_OK);
	assert_int_equal(cs_intel_import_mem(e->in, "nul.txt", plain, sizeof(plain) - 1, &e->st),
	                 CS_OK);
	assert_int_equal(e->st.read, 1);
	assert_true(cs_test_diags_have(e->d, "nul.txt:2:4: nul-byte:"));
	/* Sniffing refuses binary data. */
	assert_int_equal(cs_intel_set_format(e->in, NULL), CS_OK);
	assert_int_equal(cs_intel_import_mem(e->in, "x.csv", csv, sizeof(csv) - 1, &e->st),
	                 CS_ERR_EMPTY);
}

static void test_crlf_and_quotes(void **state)
{
	struct cs_test_env *e = *state;
	/* An unterminated quote runs to the end of the file; a stray quote
	 * in an unquoted cell is text. */
	static const char t[] = "value,description\r\n"
	                        "crlf.example,\"x\"\r\n"
	                        "\"bad value\"tail,odd\r\n"
	                        "q\"uote.example,stray quote\r\n"
	                        "\"never-closed.example,rest\r\nof the file\r\n";

	assert_int_equal(cs_intel_set_format(e->in, "csv"), CS_OK);
	assert_int_equal(cs_intel_import_mem(e->in, "q.csv", t, sizeof(t) - 1, &e->st), CS_OK);
	cs_test_must_find(e->in, CS_KIND_DOMAIN, "crlf.example");
	assert_true(cs_test_diags_have(e->d, "q.csv:3:2: unknown-kind:"));
	assert_true(cs_test_diags_have(e->d, "q.csv:4:1: unknown-kind:"));
	assert_true(cs_test_diags_have(e->d, "q.csv:5:0: -: quoted cell never closed"));
	assert_int_equal(e->st.read, 1);
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
	unsigned char buf[8192];
	size_t i;
	uint32_t seed;

	for (seed = 1; seed <= 8; seed++) {
		fill_garbage(buf, sizeof(buf), seed);
		assert_int_equal(cs_intel_set_format(e->in, NULL), CS_OK);
		assert_int_equal(
		        cs_intel_import_mem(e->in, "garbage.csv", buf, sizeof(buf), &e->st),
		        CS_ERR_EMPTY);
		for (i = 0; i < N_OF(text_formats); i++) {
			assert_int_equal(cs_intel_set_format(e->in, text_formats[i]), CS_OK);
			cs_intel_import_mem(e->in, "garbage.bin", buf, sizeof(buf), &e->st);
			assert_int_equal(e->st.files, 1);
		}
	}
	/* Thousands of cells in one record: the excess is read, not kept. */
	{
		size_t n = 3000 * 2;
		char *wide = malloc(n + 1);

		assert_non_null(wide);
		for (i = 0; i < n; i += 2) {
			wide[i] = 'a';
			wide[i + 1] = ',';
		}
		wide[n - 1] = '\n';
		assert_int_equal(cs_intel_set_format(e->in, "csv"), CS_OK);
		cs_intel_import_mem(e->in, "wide.csv", wide, n, &e->st);
		assert_true(cs_test_diags_have(e->d, "more than 1024 cells"));
		free(wide);
	}
}

/* 100 MB in one line, and in one never-closed quoted cell: too long, in
 * linear time. */
static void test_100mb_line(void **state)
{
	struct cs_test_env *e = *state;
	const size_t n = (size_t)100 << 20;
	char *dir = cs_test_tmpdir(), *big, *p1, *p2;
	clock_t t0;
	size_t i;

	assert_non_null(dir);
	big = malloc(n);
	assert_non_null(big);
	memset(big, 'a', n);
	p1 = cs_test_write(dir, "big.txt", big, n);
	big[0] = '"';
	for (i = 4096; i < n; i += 4096)
		big[i] = '\n';
	p2 = cs_test_write(dir, "bigq.csv", big, n);
	free(big);
	assert_non_null(p1);
	assert_non_null(p2);
	for (i = 0; i < N_OF(text_formats); i++) {
		memset(e->d, 0, sizeof(*e->d));
		assert_int_equal(cs_intel_set_format(e->in, text_formats[i]), CS_OK);
		t0 = clock();
		assert_int_equal(cs_intel_import(e->in, p1, &e->st), CS_ERR_EMPTY);
		assert_true(clock() - t0 < 60 * CLOCKS_PER_SEC);
		assert_int_equal(e->st.rejected, 1);
		assert_true(cs_test_diags_have(e->d, "big.txt:1:1: too-long:"));
	}
	memset(e->d, 0, sizeof(*e->d));
	assert_int_equal(cs_intel_set_format(e->in, "csv"), CS_OK);
	t0 = clock();
	assert_int_equal(cs_intel_import(e->in, p2, &e->st), CS_ERR_EMPTY);
	assert_true(clock() - t0 < 60 * CLOCKS_PER_SEC);
	assert_true(cs_test_diags_have(e->d, "bigq.csv:1:1: too-long:"));
	assert_true(cs_test_diags_have(e->d, "quoted cell never closed"));
	free(p1);
	free(p2);
	cs_test_rmtree(dir);
	free(dir);
}

static void test_sniffing(void **state)
{
	struct cs_test_env *e = *state;
	static const char kw[] = "mimilib\nsekurlsa::logonpasswords\neo.oe.kiwi\n";
	static const char json[] = "{\"a\": 1, \"b\": 2}\n";

	/* A keyword list is no plain list even if some words look like names. */
	assert_int_equal(cs_intel_import_mem(e->in, "keywords.txt", kw, sizeof(kw) - 1, &e->st),
	                 CS_ERR_EMPTY);
	assert_null(cs_intel_find(e->in, CS_KIND_DOMAIN, "eo.oe.kiwi"));
	/* JSON is never a table. */
	assert_int_equal(cs_intel_set_format(e->in, NULL), CS_OK);
	assert_int_equal(cs_intel_import_mem(e->in, "x.txt", json, sizeof(json) - 1, &e->st),
	                 CS_ERR_EMPTY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_csv_header_and_types, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_csv_typed_columns, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_csv_activity_columns, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_csv_no_header, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_csv_column_option, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_real_volexity_csv, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_plain_mixed, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_real_eset_sha256, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_empty_file, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_nul_bytes, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_crlf_and_quotes, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_binary_garbage, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_100mb_line, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_sniffing, cs_test_env_setup,
	                                        cs_test_env_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

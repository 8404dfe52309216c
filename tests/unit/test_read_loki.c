/*
 * Unit tests of the Loki / signature-base readers (lib/intel/read_loki.c):
 * crafted lists under tests/data/loki, the real signature-base lists, and
 * hostile input. Every count asserted on a real file was computed
 * independently with the shell command in the comment beside it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chainsweep/intel.h"
#include "testutil.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static int import_data(struct cs_test_env *e, const char *rel)
{
	return cs_intel_import(e->in, cs_test_data(rel), &e->st);
}

/* ------------------------------------------------------------------ crafted */

static void test_hash_crafted(void **state)
{
	struct cs_test_env *e = *state;
	const struct cs_indicator *ind;

	assert_int_equal(import_data(e, "loki/hash-iocs-crafted.txt"), CS_OK);
	assert_true(cs_test_diags_have(e->d, "read as loki-hash"));
	/* Lines 3, 4, 5, 7 (two hashes) and 11 are good; 8, 9, 10 are not. */
	assert_int_equal(e->st.read, 6);
	assert_int_equal(e->st.rejected, 3);
	assert_true(cs_test_diags_have(e->d, "hash-iocs-crafted.txt:8:1: hash-length:"));
	assert_true(cs_test_diags_have(e->d, "hash-iocs-crafted.txt:9:1: bad-hash:"));
	assert_true(cs_test_diags_have(e->d, "hash-iocs-crafted.txt:10:1: empty:"));

	ind = cs_test_must_find(e->in, CS_KIND_MD5, "d41d8cd98f00b204e9800998ecf8427e");
	assert_true(cs_test_has_source(e->in, ind, "hash-iocs-crafted.txt", 3, "loki-hash",
	                               "empty file md5"));
	assert_int_equal(cs_indicator_confidence(ind), -1);
	/* CRLF: the CR is not part of the description. */
	ind = cs_test_must_find(e->in, CS_KIND_SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	assert_true(cs_test_has_source(e->in, ind, "hash-iocs-crafted.txt", 4, NULL,
	                               "upper-case sha1"));
	ind = cs_test_must_find(e->in, CS_KIND_SHA256,
	                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(cs_indicator_confidence(ind), 90);
	assert_true(
	        cs_test_has_source(e->in, ind, "hash-iocs-crafted.txt", 5, NULL, "scored sha256"));
	ind = cs_test_must_find(e->in, CS_KIND_MD5, "fedcba9876543210fedcba9876543210");
	assert_true(cs_test_has_source(e->in, ind, "hash-iocs-crafted.txt", 7, NULL,
	                               "two md5 in one field"));
	cs_test_must_find(e->in, CS_KIND_MD5, "0123456789abcdef0123456789abcdef");
	/* A second field that is no score stays part of the description. */
	ind = cs_test_must_find(e->in, CS_KIND_SHA512,
	                        "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
	                        "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
	assert_true(cs_test_has_source(e->in, ind, "hash-iocs-crafted.txt", 11, NULL,
	                               "sha512; with; semicolons"));
	assert_int_equal(cs_intel_count(e->in), 6);
}

static void test_filename_crafted(void **state)
{
	struct cs_test_env *e = *state;
	const struct cs_indicator *ind;

	assert_int_equal(import_data(e, "loki/filename-iocs-crafted.txt"), CS_OK);
	assert_true(cs_test_diags_have(e->d, "read as loki-filename"));
	/* Lines 4, 5, 6, 11, 12, 13 are good; 9 (regex) and 10 (score) not. */
	assert_int_equal(e->st.read, 6);
	assert_int_equal(e->st.rejected, 2);
	assert_true(cs_test_diags_have(e->d, "filename-iocs-crafted.txt:9:1: bad-regex:"));
	assert_true(cs_test_diags_have(e->d, "filename-iocs-crafted.txt:10:10: bad-score:"));
	/* A broken false-positive regex is reported; the entry is kept. */
	assert_true(cs_test_diags_have(e->d, "filename-iocs-crafted.txt:11:13: -: false-positive"));

	ind = cs_test_must_find(e->in, CS_KIND_PATH_REGEX, "\\\\evil\\.exe");
	/* Lines 4 and 12: one indicator, both sections, the higher score. */
	assert_int_equal(cs_indicator_confidence(ind), 90);
	assert_true(cs_test_has_source(e->in, ind, "filename-iocs-crafted.txt", 4, "loki-filename",
	                               "Section One https://example.org/report1"));
	assert_true(cs_test_has_source(e->in, ind, "filename-iocs-crafted.txt", 12, NULL,
	                               "Section Two"));
	assert_true(
	        cs_test_has_label(e->in, ind, "report:Section One https://example.org/report1"));
	assert_true(cs_test_has_label(e->in, ind, "report:Section Two"));
	/* Python-only syntax is accepted; scores are clamped to 100. */
	ind = cs_test_must_find(e->in, CS_KIND_PATH_REGEX, "(?i)\\\\temp\\\\[a-z]{8}\\.dll$");
	assert_int_equal(cs_indicator_confidence(ind), 100);
	ind = cs_test_must_find(e->in, CS_KIND_PATH_REGEX, "\\\\tool(64)?\\.exe");
	assert_true(cs_test_has_label(e->in, ind, "fp-regex:(?i)\\\\Program Files\\\\"));
	ind = cs_test_must_find(e->in, CS_KIND_PATH_REGEX, "\\\\y\\.exe");
	assert_int_equal(cs_indicator_label_count(ind), 1); /* the section only */
	ind = cs_test_must_find(e->in, CS_KIND_PATH_REGEX, "\\\\noscore\\.exe");
	assert_int_equal(cs_indicator_confidence(ind), -1);
	assert_int_equal(cs_intel_count(e->in), 5);
}

static void test_c2_crafted(void **state)
{
	struct cs_test_env *e = *state;
	const struct cs_indicator *ind;

	assert_int_equal(import_data(e, "loki/c2-iocs-crafted.txt"), CS_OK);
	assert_true(cs_test_diags_have(e->d, "read as loki-c2"));
	/* Lines 3, 4, 5, 6, 10, 11, 13 are good; 7 and 12 are not. */
	assert_int_equal(e->st.read, 7);
	assert_int_equal(e->st.rejected, 2);
	assert_true(cs_test_diags_have(e->d, "c2-iocs-crafted.txt:7:1: unknown-kind:"));
	assert_true(cs_test_diags_have(e->d, "c2-iocs-crafted.txt:12:11: bad-score:"));

	ind = cs_test_must_find(e->in, CS_KIND_DOMAIN, "evil-c2.example");
	assert_true(cs_test_has_source(e->in, ind, "c2-iocs-crafted.txt", 3, "loki-c2",
	                               "Operation Crafted https://example.org/op"));
	assert_true(cs_test_has_source(e->in, ind, "c2-iocs-crafted.txt", 10, NULL, "Second Op"));
	assert_true(
	        cs_test_has_label(e->in, ind, "report:Operation Crafted https://example.org/op"));
	assert_true(cs_test_has_label(e->in, ind, "report:Second Op"));
	ind = cs_test_must_find(e->in, CS_KIND_IPV4, "198.51.100.23");
	assert_int_equal(cs_indicator_confidence(ind), 65);
	cs_test_must_find(e->in, CS_KIND_DOMAIN, "bad.example");
	cs_test_must_find(e->in, CS_KIND_IPV6, "2001:db8::1");
	cs_test_must_find(e->in, CS_KIND_CIDR, "203.0.113.0/24");
	/* The last line has no newline. */
	ind = cs_test_must_find(e->in, CS_KIND_DOMAIN, "last.example");
	assert_true(cs_test_has_source(e->in, ind, "c2-iocs-crafted.txt", 13, NULL, "Second Op"));
	assert_int_equal(cs_intel_count(e->in), 6);
}

/* ------------------------------------------------------------------ real files */

static void test_real_hash_iocs(void **state)
{
	struct cs_test_env *e = *state;
	const char *p = CS_TEST_REAL_WORLD("signature-base/iocs/hash-iocs.txt");
	const struct cs_indicator *ind;

	assert_int_equal(cs_intel_import(e->in, p, &e->st), CS_OK);
	assert_true(cs_test_diags_have(e->d, "read as loki-hash"));
	/* grep -v '^#' hash-iocs.txt | grep -v '^\s*$' | wc -l  -> 3224 */
	assert_int_equal(e->st.read, 3224);
	assert_int_equal(e->st.rejected, 0);
	/* grep -v '^#' hash-iocs.txt | grep -v '^\s*$' | cut -d';' -f1 | tr A-F a-f |
	 *   sort -u | awk '{print length($0)}' | sort | uniq -c
	 *   -> 986 of 32, 893 of 40, 1174 of 64 */
	assert_int_equal(cs_test_count_kind(e->in, CS_KIND_MD5), 986);
	assert_int_equal(cs_test_count_kind(e->in, CS_KIND_SHA1), 893);
	assert_int_equal(cs_test_count_kind(e->in, CS_KIND_SHA256), 1174);
	assert_int_equal(cs_intel_count(e->in), 986 + 893 + 1174);
	/* grep -n '^bf4f4140' hash-iocs.txt -> 2070, "hash;55;description" */
	ind = cs_test_must_find(e->in, CS_KIND_SHA256,
	                        "bf4f41403280c1b115650d470f9b260a5c9042c04d9bcc2a6ca504a66379b2d6");
	assert_int_equal(cs_indicator_confidence(ind), 55);
	assert_true(cs_test_has_source(e->in, ind, "hash-iocs.txt", 2070, "loki-hash",
	                               "Vulnerable Log4j library ./apache-log4j-2.0-alpha2-bin/"
	                               "log4j-core-2.0-alpha2.jar"));
	/* grep -n '^B3C8C1C8' hash-iocs.txt -> 1328, an upper-case sha1 */
	ind = cs_test_must_find(e->in, CS_KIND_SHA1, "b3c8c1c80824278661fbb26b17040b87180d1d34");
	assert_true(cs_test_has_source(e->in, ind, "hash-iocs.txt", 1328, NULL, NULL));
	/* grep -n '^2bbf7407' hash-iocs.txt -> 1300, a ';' inside the text */
	ind = cs_test_must_find(e->in, CS_KIND_MD5, "2bbf74073ed7a910a69c3d2a67bd5f8f");
	assert_true(cs_test_has_source(
	        e->in, ind, "hash-iocs.txt", 1300, NULL,
	        "BRONZE VINEWOOD report MD5 hash - used by BRONZE VINEWOOD; uses "
	        "GitHub gist for command and control - https://www.secureworks.com/"
	        "research/bronze-vinewood-targets-supply-chains"));
}

static void test_real_filename_iocs(void **state)
{
	struct cs_test_env *e = *state;
	const char *p = CS_TEST_REAL_WORLD("signature-base/iocs/filename-iocs.txt");
	const struct cs_indicator *ind;
	size_t i, with_fp = 0;

	assert_int_equal(cs_intel_import(e->in, p, &e->st), CS_OK);
	assert_true(cs_test_diags_have(e->d, "read as loki-filename"));
	/* grep -v '^#' filename-iocs.txt | grep -v '^\s*$' | wc -l  -> 3828; every
	 * regex compiles with Python's re (python3 -c 're.compile(...)' loop: 0 bad) */
	assert_int_equal(e->st.read, 3828);
	assert_int_equal(e->st.rejected, 0);
	/* grep -v '^#' filename-iocs.txt | grep -v '^\s*$' | cut -d';' -f1 |
	 *   sed 's/[ \t]*$//' | sort -u | wc -l  -> 3711 */
	assert_int_equal(cs_test_count_kind(e->in, CS_KIND_PATH_REGEX), 3711);
	assert_int_equal(cs_intel_count(e->in), 3711);
	/* grep -v '^#' filename-iocs.txt | grep -v '^\s*$' | awk -F';' 'NF>=3' |
	 *   cut -d';' -f1 | sort -u | wc -l  -> 30 regexes with a false-positive regex */
	for (i = 0; i < cs_intel_count(e->in); i++) {
		const struct cs_indicator *x = cs_intel_at(e->in, i);
		size_t k;

		for (k = 0; k < cs_indicator_label_count(x); k++) {
			if (strncmp(cs_indicator_label(e->in, x, k), "fp-regex:", 9) == 0) {
				with_fp++;
				break;
			}
		}
	}
	assert_int_equal(with_fp, 30);
	/* grep -n 'usbclass' filename-iocs.txt -> 34, under "# Regin" */
	ind = cs_test_must_find(e->in, CS_KIND_PATH_REGEX, "\\\\usbclass\\.sys");
	assert_int_equal(cs_indicator_confidence(ind), 80);
	assert_true(
	        cs_test_has_source(e->in, ind, "filename-iocs.txt", 34, "loki-filename", "Regin"));
	assert_true(cs_test_has_label(e->in, ind, "report:Regin"));
	/* grep -n '^\\\\whatsapp' filename-iocs.txt -> 250, score 55 and a FP regex */
	ind = cs_test_must_find(e->in, CS_KIND_PATH_REGEX, "\\\\whatsapp\\.exe");
	assert_true(cs_test_has_source(e->in, ind, "filename-iocs.txt", 250, NULL, NULL));
	assert_true(cs_test_has_label(
	        e->in, ind,
	        "fp-regex:(\\\\WhatsApp|\\\\Prefetch\\\\|\\\\(Packages|WindowsApps)\\\\.{8}\\."
	        "WhatsAppDesktop)"));
	/* A "(?i)" regex, which POSIX regcomp alone would refuse. */
	cs_test_must_find(e->in, CS_KIND_PATH_REGEX, "(?i)\\\\quarks-pwdump\\.exe");
}

static void test_real_c2_iocs(void **state)
{
	struct cs_test_env *e = *state;
	const char *p = CS_TEST_REAL_WORLD("signature-base/iocs/c2-iocs.txt");
	const struct cs_indicator *ind;

	assert_int_equal(cs_intel_import(e->in, p, &e->st), CS_OK);
	assert_true(cs_test_diags_have(e->d, "read as loki-c2"));
	/* grep -v '^#' c2-iocs.txt | grep -v '^\s*$' | wc -l  -> 1844 */
	assert_int_equal(e->st.read, 1844);
	assert_int_equal(e->st.rejected, 0);
	/* grep -v '^#' c2-iocs.txt | grep -v '^\s*$' | cut -d';' -f1 |
	 *   grep -E '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$' | sort -u | wc -l  -> 118
	 * ... | grep -vE '^[0-9.]+$' | tr A-Z a-z | sort -u | wc -l  -> 1655 */
	assert_int_equal(cs_test_count_kind(e->in, CS_KIND_IPV4), 118);
	assert_int_equal(cs_test_count_kind(e->in, CS_KIND_DOMAIN), 1655);
	assert_int_equal(cs_intel_count(e->in), 118 + 1655);
	/* grep -n '^suroot.com' c2-iocs.txt -> 13, after the comment on line 12 */
	ind = cs_test_must_find(e->in, CS_KIND_DOMAIN, "suroot.com");
	assert_true(cs_test_has_source(e->in, ind, "c2-iocs.txt", 13, "loki-c2",
	                               "FireEye Operation Snowman https://goo.gl/x1v7mT"));
	assert_true(cs_test_has_label(e->in, ind,
	                              "report:FireEye Operation Snowman https://goo.gl/x1v7mT"));
	/* grep -n '^176.123.5.126' c2-iocs.txt -> "176.123.5.126;65" */
	ind = cs_test_must_find(e->in, CS_KIND_IPV4, "176.123.5.126");
	assert_int_equal(cs_indicator_confidence(ind), 65);
}

static void test_real_keywords_not_read(void **state)
{
	struct cs_test_env *e = *state;
	const char *p = CS_TEST_REAL_WORLD("signature-base/iocs/keywords.txt");

	/* Keywords are not indicators we match: no reader bids. */
	assert_int_equal(cs_intel_import(e->in, p, &e->st), CS_ERR_EMPTY);
	assert_true(cs_test_diags_have(e->d, "not a recognised intel format"));
	assert_int_equal(cs_intel_count(e->in), 0);
}

static void test_real_iocs_folder(void **state)
{
	struct cs_test_env *e = *state;
	const char *p = CS_TEST_REAL_WORLD("signature-base/iocs");

	/* hash, filename and c2 lists are read; keywords.txt and README.txt
	 * are skipped as not intel. */
	assert_int_equal(cs_intel_import(e->in, p, &e->st), CS_OK);
	assert_int_equal(e->st.files, 3);
	assert_int_equal(e->st.files_failed, 0);
	/* 3224 + 3828 + 1844 (see the tests above) */
	assert_int_equal(e->st.read, 3224 + 3828 + 1844);
	assert_true(cs_test_diags_have(e->d, "keywords.txt:0:0: -: skipped"));
}

/* ------------------------------------------------------------------ hostile */

static const char *const loki_formats[] = {"loki-hash", "loki-filename", "loki-c2"};

static void test_empty_file(void **state)
{
	struct cs_test_env *e = *state;
	size_t i;

	for (i = 0; i < N_OF(loki_formats); i++) {
		assert_int_equal(cs_intel_set_format(e->in, loki_formats[i]), CS_OK);
		assert_int_equal(cs_intel_import_mem(e->in, "empty", "", 0, &e->st), CS_ERR_EMPTY);
		assert_int_equal(e->st.rejected, 0);
		assert_int_equal(cs_intel_import_mem(e->in, "comments", "#\n# x\n\n", 7, &e->st),
		                 CS_ERR_EMPTY);
	}
	assert_int_equal(cs_intel_count(e->in), 0);
}

static void test_nul_bytes(void **state)
{
	struct cs_test_env *e = *state;
	static const char hash[] = "d41d8cd98f00b204e9800998ecf8427e;ok\n"
	                           "da39a3ee5e6b4b0d3255bfef95601890afd80709;n\0l\n"
	                           "\0\n";
	static const char c2[] = "ok.example\nbad\0.example\n";

	assert_int_equal(cs_intel_set_format(e->in, "loki-hash"), CS_OK);
	assert_int_equal(cs_intel_import_mem(e->in, "nul", hash, sizeof(hash) - 1, &e->st), CS_OK);
	assert_int_equal(e->st.read, 1);
	assert_int_equal(e->st.rejected, 2);
	assert_true(cs_test_diags_have(e->d, "nul:2:43: nul-byte:"));
	assert_true(cs_test_diags_have(e->d, "nul:3:1: nul-byte:"));
	assert_int_equal(cs_intel_set_format(e->in, "loki-c2"), CS_OK);
	assert_int_equal(cs_intel_import_mem(e->in, "nul2", c2, sizeof(c2) - 1, &e->st), CS_OK);
	assert_int_equal(e->st.read, 1);
	assert_int_equal(e->st.rejected, 1);
	/* The bids refuse binary data. */
	assert_int_equal(cs_intel_set_format(e->in, NULL), CS_OK);
	assert_int_equal(
	        cs_intel_import_mem(e->in, "hash-iocs.txt", hash, sizeof(hash) - 1, &e->st),
	        CS_ERR_EMPTY);
}

static void test_truncated_last_line(void **state)
{
	struct cs_test_env *e = *state;
	static const char hash[] = "d41d8cd98f00b204e9800998ecf8427e;one\r\n"
	                           "da39a3ee5e6b4b0d3255bfef95601890afd80709;two";
	static const char fn[] = "\\\\a\\.exe;50\n(abc";
	const struct cs_indicator *ind;

	assert_int_equal(
	        cs_intel_import_mem(e->in, "x-hash-iocs.txt", hash, sizeof(hash) - 1, &e->st),
	        CS_OK);
	assert_int_equal(e->st.read, 2);
	ind = cs_test_must_find(e->in, CS_KIND_SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	assert_true(cs_test_has_source(e->in, ind, "x-hash-iocs.txt", 2, "loki-hash", "two"));
	/* A cut regex is still checked. */
	assert_int_equal(cs_intel_set_format(e->in, "loki-filename"), CS_OK);
	assert_int_equal(cs_intel_import_mem(e->in, "f", fn, sizeof(fn) - 1, &e->st), CS_OK);
	assert_int_equal(e->st.read, 1);
	assert_int_equal(e->st.rejected, 1);
	assert_true(cs_test_diags_have(e->d, "f:2:1: bad-regex:"));
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
		/* Sniffed: nothing wants it. */
		assert_int_equal(cs_intel_set_format(e->in, NULL), CS_OK);
		assert_int_equal(
		        cs_intel_import_mem(e->in, "garbage.bin", buf, sizeof(buf), &e->st),
		        CS_ERR_EMPTY);
		/* Forced: read without harm, nothing usable. */
		for (i = 0; i < N_OF(loki_formats); i++) {
			assert_int_equal(cs_intel_set_format(e->in, loki_formats[i]), CS_OK);
			cs_intel_import_mem(e->in, "garbage.bin", buf, sizeof(buf), &e->st);
			assert_int_equal(e->st.files, 1);
		}
	}
}

/* A 100 MB line without a newline: rejected as too long, in linear time. */
static void test_100mb_line(void **state)
{
	struct cs_test_env *e = *state;
	const size_t n = (size_t)100 << 20;
	char *dir = cs_test_tmpdir(), *big, *path;
	size_t i;
	clock_t t0;

	assert_non_null(dir);
	big = malloc(n);
	assert_non_null(big);
	memset(big, 'a', n);
	path = cs_test_write(dir, "big-hash-iocs.txt", big, n);
	assert_non_null(path);
	free(big);
	for (i = 0; i < N_OF(loki_formats); i++) {
		memset(e->d, 0, sizeof(*e->d));
		assert_int_equal(cs_intel_set_format(e->in, loki_formats[i]), CS_OK);
		t0 = clock();
		cs_intel_import(e->in, path, &e->st);
		assert_true(clock() - t0 < 60 * CLOCKS_PER_SEC);
		assert_int_equal(e->st.files, 1);
		assert_int_equal(e->st.read, 0);
		assert_int_equal(e->st.rejected, 1);
		assert_true(cs_test_diags_have(e->d, "big-hash-iocs.txt:1:1: too-long:"));
	}
	free(path);
	cs_test_rmtree(dir);
	free(dir);
}

static void test_sniffing(void **state)
{
	struct cs_test_env *e = *state;
	static const char hash[] = "d41d8cd98f00b204e9800998ecf8427e;x\n";
	static const char fn[] = "\\\\a\\.exe;50\n\\\\b\\.dll;60;\\\\c\\\\\n";
	static const char c2[] = "# r\nevil.example\n198.51.100.1\n";
	static const char sigma[] = "title: C2 beacon\ndetection:\n  selection:\n"
	                            "    c-uri|contains: '/x'\n  condition: selection\n";
	static const char prefixed[] =
	        "SHA256=82f4ddc9d114a0ca864923e69885d4d915f4d7a63cb711806b5217f2f8768f93;x\n"
	        "0123;too short\n";

	/* Shape alone picks the hash and filename readers; a C2 list without
	 * "c2" in its name is a plain list. */
	assert_int_equal(cs_intel_import_mem(e->in, "a.txt", hash, sizeof(hash) - 1, &e->st),
	                 CS_OK);
	assert_true(cs_test_diags_have(e->d, "read as loki-hash"));
	assert_int_equal(cs_intel_import_mem(e->in, "b.txt", fn, sizeof(fn) - 1, &e->st), CS_OK);
	assert_true(cs_test_diags_have(e->d, "read as loki-filename"));
	assert_int_equal(cs_intel_import_mem(e->in, "c.txt", c2, sizeof(c2) - 1, &e->st), CS_OK);
	assert_true(cs_test_diags_have(e->d, "c.txt:0:0: -: read as plain"));
	assert_int_equal(cs_intel_import_mem(e->in, "my-c2.txt", c2, sizeof(c2) - 1, &e->st),
	                 CS_OK);
	assert_true(cs_test_diags_have(e->d, "my-c2.txt:0:0: -: read as loki-c2"));
	/* "SHA256=<hash>" has the shape; with the name, half the lines fitting
	 * is enough. */
	assert_int_equal(cs_intel_import_mem(e->in, "x-hash-iocs.txt", prefixed,
	                                     sizeof(prefixed) - 1, &e->st),
	                 CS_OK);
	assert_true(cs_test_diags_have(e->d, "x-hash-iocs.txt:0:0: -: read as loki-hash"));
	assert_non_null(
	        cs_intel_find(e->in, CS_KIND_SHA256,
	                      "82f4ddc9d114a0ca864923e69885d4d915f4d7a63cb711806b5217f2f8768f93"));
	/* A Sigma rule named after C2 beacons is no C2 list. */
	assert_int_equal(
	        cs_intel_import_mem(e->in, "proxy_c2_beacon.yml", sigma, sizeof(sigma) - 1, &e->st),
	        CS_ERR_EMPTY);
	assert_true(cs_test_diags_have(e->d, "proxy_c2_beacon.yml:0:0: -: not a recognised"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_hash_crafted, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_filename_crafted, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_c2_crafted, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_real_hash_iocs, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_real_filename_iocs, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_real_c2_iocs, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_real_keywords_not_read, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_real_iocs_folder, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_empty_file, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_nul_bytes, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_truncated_last_line, cs_test_env_setup,
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

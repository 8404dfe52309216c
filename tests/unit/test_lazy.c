/*
 * Libraries loaded on first use (lib/core/dl.c): what a user sees when
 * one cannot be loaded. Each library's soname is pointed at a file that
 * does not exist before anything in this process loads it; every test
 * then checks that the work that needs it is refused with the library's
 * name and the reason, counted, and that the rest goes on.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <hs/hs.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "chainsweep/fleet_bus.h"
#include "chainsweep/fleet_sign.h"
#include "chainsweep/scan.h"
#include "core/dl_int.h"
#include "scan/logscan_int.h"
#include "testutil.h"

#define MISSING_ARCHIVE "libcs-missing-archive.so.0"
#define MISSING_NATS    "libcs-missing-nats.so.0"
#define MISSING_SODIUM  "libcs-missing-sodium.so.0"
#define MISSING_HS      "libcs-missing-hs.so.0"
#define MISSING_YARA    "libcs-missing-yara.so.0"

struct sweep {
	struct cs_test_diags d; /* first: the diagnostics callback's userdata */
	uint64_t findings;
};

static int on_finding(void *ud, const struct cs_file_finding *f)
{
	struct sweep *s = ud;

	(void)f;
	s->findings++;
	return 0;
}

/* A gzip stream of `text`, made with zlib (libarchive is not there). */
static size_t gzip_mem(const char *text, unsigned char *out, size_t cap)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (unsigned char *)text;
	z.avail_in = (uInt)strlen(text);
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	deflateEnd(&z);
	return z.total_out;
}

/* A .tar.gz in the sweep: not opened, counted as an archive whose members
 * were not read, with libarchive's name and why; the file itself is still
 * hashed and matched. */
static void test_archive_missing(void **state)
{
	struct sweep s;
	struct cs_intel *in;
	struct cs_matcher *m;
	struct cs_import_stats st;
	struct cs_scan_opts o;
	struct cs_scan_result res;
	unsigned char gz[512];
	char hash[65], csv[128], *root, *path;
	const char *roots[1];
	size_t n;
	FILE *f;

	(void)state;
	memset(&s, 0, sizeof(s));
	n = gzip_mem("benign member text\n", gz, sizeof(gz));
	cs_test_sha256_hex(gz, n, hash);
	root = cs_test_tmpdir();
	assert_non_null(root);
	assert_true(asprintf(&path, "%s/logs.tar.gz", root) > 0);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(gz, 1, n, f), n);
	fclose(f);

	in = cs_intel_new();
	assert_non_null(in);
	snprintf(csv, sizeof(csv), "sha256\n%s\n", hash);
	memset(&st, 0, sizeof(st));
	assert_int_equal(cs_intel_set_format(in, "csv"), CS_OK);
	assert_int_equal(cs_intel_import_mem(in, "h.csv", csv, strlen(csv), &st), CS_OK);
	cs_intel_finalize(in);
	assert_int_equal(cs_matcher_new(in, cs_test_diag_cb, &s.d, &m), CS_OK);
	cs_scan_opts_init(&o);
	o.on_finding = on_finding;
	o.on_diag = cs_test_diag_cb;
	o.userdata = &s;
	roots[0] = root;
	assert_int_equal(cs_scan_files(m, roots, 1, &o, &res), CS_OK);

	assert_int_equal(res.count[CS_COV_SCANNED], 1);
	assert_int_equal(res.count[CS_COV_ARCHIVE_CORRUPT], 1);
	assert_int_equal(res.count[CS_COV_MEMBERS], 0);
	assert_true(res.incomplete);
	assert_int_equal(s.findings, 1); /* the file's own hash */
	assert_true(cs_test_diags_have(&s.d, "logs.tar.gz"));
	assert_true(
	        cs_test_diags_have(&s.d, "not opened as an archive (cannot load " MISSING_ARCHIVE));

	cs_matcher_free(m);
	cs_intel_free(in);
	unlink(path);
	free(path);
	cs_test_rmtree(root);
	free(root);
}

/* A zstd log in the log hunt: an error naming libarchive, not a crash. */
static void test_log_missing(void **state)
{
	static const unsigned char zst[] = {0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x00, 0x01, 0x00, 0x00};
	struct cs__logsrc *src;
	char buf[64];

	(void)state;
	src = cs__logsrc_mem(zst, sizeof(zst));
	assert_non_null(src);
	assert_true(cs__logsrc_read(src, buf, sizeof(buf)) <= 0);
	assert_non_null(cs__logsrc_error(src));
	assert_non_null(strstr(cs__logsrc_error(src), "cannot load " MISSING_ARCHIVE));
	cs__logsrc_free(src);
}

/* The fleet's bus without libnats: refused before any connection is
 * tried, with the library's name. */
static void test_nats_missing(void **state)
{
	const char *servers[1] = {"nats://127.0.0.1:1"};
	struct cs_fleet_bus_opts o;
	struct cs_fleet_bus *b = NULL;
	char err[512] = "";

	(void)state;
	memset(&o, 0, sizeof(o));
	o.servers = servers;
	o.nservers = 1;
	o.name = "lazy-test";
	assert_int_equal(cs_fleet_bus_connect(&o, &b, err, sizeof(err)), CS_ERR_UNSUPPORTED);
	assert_null(b);
	assert_non_null(strstr(err, "no NATS client"));
	assert_non_null(strstr(err, "cannot load " MISSING_NATS));
}

/* Signing keys without libsodium: refused with the library's name, no
 * key file written. The functions whose callers never check an answer
 * still do their work, from what is linked anyway. */
static void test_sodium_missing(void **state)
{
	static const unsigned char abc_sha256[32] = {
	        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
	        0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
	        0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
	static const unsigned char zero[32];
	unsigned char r1[32], r2[32], md[32];
	char err[512] = "", *root, *sec, *pub;
	uint32_t u;
	int i;

	(void)state;
	root = cs_test_tmpdir();
	assert_non_null(root);
	assert_true(asprintf(&sec, "%s/k.sec", root) > 0);
	assert_true(asprintf(&pub, "%s/k.pub", root) > 0);
	assert_int_equal(sodium_init(), -1);
	assert_int_not_equal(cs_fleet_keygen(sec, pub, err, sizeof(err)), CS_OK);
	assert_non_null(strstr(err, "libsodium cannot start: cannot load " MISSING_SODIUM));
	assert_int_not_equal(access(sec, F_OK), 0);
	assert_int_not_equal(access(pub, F_OK), 0);
	assert_int_equal(crypto_sign_verify_detached(zero, zero, 0, zero), -1);

	memset(r1, 0, sizeof(r1));
	memset(r2, 0, sizeof(r2));
	randombytes_buf(r1, sizeof(r1));
	randombytes_buf(r2, sizeof(r2));
	assert_memory_not_equal(r1, zero, sizeof(r1));
	assert_memory_not_equal(r1, r2, sizeof(r1));
	for (i = 0; i < 1000; i++) {
		u = randombytes_uniform(7);
		assert_true(u < 7);
	}
	assert_int_equal(randombytes_uniform(1), 0);
	assert_int_equal(crypto_hash_sha256(md, (const unsigned char *)"abc", 3), 0);
	assert_memory_equal(md, abc_sha256, 32);
	assert_int_equal(sodium_memcmp(md, abc_sha256, 32), 0);
	assert_int_equal(sodium_memcmp(r1, r2, 32), -1);
	sodium_memzero(r1, sizeof(r1));
	assert_memory_equal(r1, zero, sizeof(r1));

	free(sec);
	free(pub);
	cs_test_rmtree(root);
	free(root);
}

/* Regex intel without Hyperscan: each regex left out with the library's
 * name and why; the compile functions answer a compile error that says
 * so; freeing what was never made needs no library. */
static void test_hs_missing(void **state)
{
	static const char loki[] = "\\\\Temp\\\\x\\.exe;60\n";
	struct cs_test_diags d;
	struct cs_intel *in;
	struct cs_matcher *m = NULL;
	struct cs_import_stats st;
	hs_compile_error_t *err = NULL;
	hs_database_t *db = NULL;

	(void)state;
	memset(&d, 0, sizeof(d));
	in = cs_intel_new();
	assert_non_null(in);
	memset(&st, 0, sizeof(st));
	assert_int_equal(cs_intel_set_format(in, "loki-filename"), CS_OK);
	assert_int_equal(cs_intel_import_mem(in, "f.txt", loki, strlen(loki), &st), CS_OK);
	cs_intel_finalize(in);
	assert_int_equal(cs_matcher_new(in, cs_test_diag_cb, &d, &m), CS_OK);
	assert_true(cs_test_diags_have(&d, "left out of the sweep: cannot load " MISSING_HS));
	cs_matcher_free(m);
	cs_intel_free(in);

	assert_int_equal(hs_compile("a", 0, HS_MODE_BLOCK, NULL, &db, &err), HS_COMPILER_ERROR);
	assert_null(db);
	assert_non_null(err);
	assert_non_null(strstr(err->message, "cannot load " MISSING_HS));
	assert_int_equal(hs_free_compile_error(err), HS_SUCCESS);
	assert_int_equal(hs_free_database(NULL), HS_SUCCESS);
	assert_int_equal(hs_free_scratch(NULL), HS_SUCCESS);
}

/* A YARA rule file without libyara: not read, with the library's name;
 * the rest of the import goes on. */
static void test_yara_missing(void **state)
{
	static const char rule[] = "rule Benign_Marker { strings: $m = \"XTRADER-BENIGN\" "
	                           "condition: $m }\n";
	struct cs_test_diags d;
	struct cs_intel *in;
	struct cs_import_stats st;

	(void)state;
	memset(&d, 0, sizeof(d));
	in = cs_intel_new();
	assert_non_null(in);
	cs_intel_set_diag(in, cs_test_diag_cb, &d);
	memset(&st, 0, sizeof(st));
	assert_int_equal(cs_intel_set_format(in, "yara"), CS_OK);
	assert_int_not_equal(cs_intel_import_mem(in, "r.yar", rule, strlen(rule), &st), CS_OK);
	assert_true(
	        cs_test_diags_have(&d, "r.yar: YARA rules not read: cannot load " MISSING_YARA));
	memset(&st, 0, sizeof(st));
	assert_int_equal(cs_intel_set_format(in, "csv"), CS_OK);
	assert_int_equal(cs_intel_import_mem(in, "h.csv", "md5\n0123456789abcdef0123456789abcdef\n",
	                                     37, &st),
	                 CS_OK);
	assert_int_equal(st.read, 1);
	cs_intel_free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_archive_missing), cmocka_unit_test(test_log_missing),
	        cmocka_unit_test(test_nats_missing),    cmocka_unit_test(test_sodium_missing),
	        cmocka_unit_test(test_hs_missing),      cmocka_unit_test(test_yara_missing),
	};

	/* Before anything loads them. */
	cs__dl_archive.soname = MISSING_ARCHIVE;
	cs__dl_nats.soname = MISSING_NATS;
	cs__dl_sodium.soname = MISSING_SODIUM;
	cs__dl_hs.soname = MISSING_HS;
	cs__dl_yara.soname = MISSING_YARA;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

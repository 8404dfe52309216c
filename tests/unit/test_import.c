/* Unit tests of the import driver (lib/intel/import.c): sniffing, forced
 * formats, folder walks, symbolic links, FIFOs, MISP feed folders, and the
 * exit conditions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chainsweep/intel.h"
#include "testutil.h"

static void test_every_format_has_a_reader(void **state)
{
	const char *const *f;
	struct cs_intel *in = cs_intel_new();
	struct cs_import_stats st;
	int n = 0;

	(void)state;
	/* Forcing each format on a one-line input must reach a real reader:
	 * a missing reader would leave the file "not a recognised format". */
	for (f = cs_intel_formats(); *f; f++, n++) {
		struct cs_test_diags d;

		memset(&d, 0, sizeof(d));
		cs_intel_set_diag(in, cs_test_diag_cb, &d);
		assert_int_equal(cs_intel_set_format(in, *f), CS_OK);
		cs_intel_import_mem(in, "x", "x\n", 2, &st);
		assert_false(cs_test_diags_have(&d, "not a recognised intel format"));
	}
	assert_int_equal(n, 11);
	cs_intel_free(in);
}

static void test_folder_walk(void **state)
{
	char *dir = cs_test_tmpdir(), path[600], *p;
	struct cs_intel *in = cs_intel_new();
	struct cs_test_diags d;
	struct cs_import_stats st;

	(void)state;
	memset(&d, 0, sizeof(d));
	cs_intel_set_diag(in, cs_test_diag_cb, &d);
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	free(cs_test_write(dir, "a.txt", "evil.example\n198.51.100.1\n", 26));
	free(cs_test_write(path, "b.txt",
			   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
			   65));
	free(cs_test_write(dir, ".hidden", "hidden.example\n", 15));
	free(cs_test_write(dir, "README", "\x01\x02\x03 binary \xff\xfe", 14));
	/* A symbolic link loop and a FIFO inside the folder are skipped. */
	snprintf(path, sizeof(path), "%s/loop", dir);
	assert_int_equal(symlink(dir, path), 0);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);

	assert_int_equal(cs_intel_import(in, dir, &st), CS_OK);
	assert_int_equal(cs_intel_count(in), 3);
	assert_non_null(cs_intel_find(in, CS_KIND_DOMAIN, "evil.example"));
	assert_null(cs_intel_find(in, CS_KIND_DOMAIN, "hidden.example"));
	assert_true(cs_test_diags_have(&d, "symbolic link not followed"));
	assert_true(cs_test_diags_have(&d, "not a regular file"));
	assert_int_equal(st.read, 3);
	assert_int_equal(st.files_failed, 0);

	/* Named explicitly, a file nothing reads is an error. */
	snprintf(path, sizeof(path), "%s/README", dir);
	assert_int_equal(cs_intel_import(in, path, &st), CS_ERR_EMPTY);
	assert_int_equal(st.files_failed, 1);
	assert_true(d.errors >= 1);
	assert_int_equal(cs_intel_import(in, "/nonexistent/intel.json", &st), CS_ERR_IO);
	assert_non_null(strstr(cs_intel_errmsg(in), "/nonexistent/intel.json"));

	p = cs_test_write(dir, "empty.csv", "", 0);
	assert_int_equal(cs_intel_import(in, p, &st), CS_ERR_EMPTY);
	free(p);
	cs_intel_free(in);
	cs_test_rmtree(dir);
	free(dir);
}

static void test_misp_feed_folder(void **state)
{
	static const char manifest[] =
		"{\"11111111-1111-4111-8111-111111111111\": {\"info\": \"one\"},"
		" \"22222222-2222-4222-8222-222222222222\": {\"info\": \"two\"},"
		" \"../escape\": {}}";
	static const char ev1[] =
		"{\"Event\": {\"info\": \"one\", \"uuid\": \"11111111-1111-4111-8111-111111111111\","
		" \"Attribute\": [{\"type\": \"domain\", \"value\": \"feed-one.example\","
		" \"to_ids\": true, \"uuid\": \"a1\"}]}}";
	char *dir = cs_test_tmpdir();
	struct cs_intel *in = cs_intel_new();
	struct cs_test_diags d;
	struct cs_import_stats st;

	(void)state;
	memset(&d, 0, sizeof(d));
	cs_intel_set_diag(in, cs_test_diag_cb, &d);
	free(cs_test_write(dir, "manifest.json", manifest, sizeof(manifest) - 1));
	free(cs_test_write(dir, "11111111-1111-4111-8111-111111111111.json", ev1,
			   sizeof(ev1) - 1));
	/* Not in the manifest: ignored. */
	free(cs_test_write(dir, "unlisted.txt", "unlisted.example\n", 17));
	assert_int_equal(cs_intel_import(in, dir, &st), CS_OK);
	assert_non_null(cs_intel_find(in, CS_KIND_DOMAIN, "feed-one.example"));
	assert_null(cs_intel_find(in, CS_KIND_DOMAIN, "unlisted.example"));
	/* The second event is missing: reported, the first still counts. */
	assert_true(cs_test_diags_have(&d, "22222222-2222-4222-8222-222222222222.json"));
	assert_true(cs_test_diags_have(&d, "odd event key"));
	assert_int_equal(st.files_failed, 1);
	cs_intel_free(in);
	cs_test_rmtree(dir);
	free(dir);
}

static void test_forced_format_and_mem(void **state)
{
	struct cs_intel *in = cs_intel_new();
	struct cs_import_stats st;

	(void)state;
	assert_int_equal(cs_intel_set_format(in, "plain"), CS_OK);
	assert_int_equal(cs_intel_import_mem(in, "mem", "evil[.]example\n", 15, &st), CS_OK);
	assert_non_null(cs_intel_find(in, CS_KIND_DOMAIN, "evil.example"));
	assert_int_equal(cs_intel_import_mem(in, "mem", "", 0, &st), CS_ERR_EMPTY);
	cs_intel_free(in);
}

/* Count the distinct source files of an indicator. */
static size_t source_files(const struct cs_intel *in, const struct cs_indicator *ind)
{
	size_t i, j, n = 0;

	for (i = 0; i < cs_indicator_source_count(ind); i++) {
		struct cs_source_info a, b;

		cs_indicator_source(in, ind, i, &a);
		for (j = 0; j < i; j++) {
			cs_indicator_source(in, ind, j, &b);
			if (strcmp(a.file, b.file) == 0)
				break;
		}
		n += j == i;
	}
	return n;
}

/*
 * The real 3CX intel of three publishers merges: journalide.org is in
 * ESET's MISP event (an object attribute, to_ids false), signature-base's
 * c2-iocs.txt (twice, under two report comments) and Volexity's CSV
 * (`grep -il journalide` over the three files). Volexity and
 * signature-base share the MSI installer hash 59e1edf4...0983.
 */
static void test_real_world_sources_merge(void **state)
{
	const char *files[] = {"eset/lazarus_3cx.misp.json", "signature-base/iocs/c2-iocs.txt",
			       "signature-base/iocs/hash-iocs.txt", "volexity/3cx-iocs.csv"};
	struct cs_intel *in;
	const struct cs_indicator *ind;
	struct cs_import_stats st;
	size_t i;

	(void)state;
	/* Skip before allocating: a skipped test must not leak. */
	(void)CS_TEST_REAL_WORLD(files[0]);
	in = cs_intel_new();
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		const char *p = CS_TEST_REAL_WORLD(files[i]);

		assert_int_equal(cs_intel_import(in, p, &st), CS_OK);
	}
	ind = cs_intel_find(in, CS_KIND_DOMAIN, "journalide.org");
	assert_non_null(ind);
	assert_int_equal(source_files(in, ind), 3);
	assert_int_equal(cs_indicator_source_count(ind), 4);
	assert_true(cs_test_has_label(in, ind, "actor:Lazarus Group"));
	/* ESET says hunting only; nobody says detection. */
	assert_int_equal(cs_indicator_flags(ind) & (CS_IND_DETECT | CS_IND_HUNT), CS_IND_HUNT);
	ind = cs_intel_find(in, CS_KIND_SHA256,
			    "59e1edf4d82fae4978e97512b0331b7eb21dd4b838b850ba46794d9c7a2c0983");
	assert_non_null(ind);
	assert_int_equal(source_files(in, ind), 2);
	cs_intel_free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_format_has_a_reader),
		cmocka_unit_test(test_folder_walk),
		cmocka_unit_test(test_misp_feed_folder),
		cmocka_unit_test(test_forced_format_and_mem),
		cmocka_unit_test(test_real_world_sources_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Libraries loaded on first use (lib/core/dl.c, lib/fleet/pq_dl.c): libpq
 * is not in the process until the fleet's PostgreSQL case is first used;
 * a library or symbol that cannot be found is an error with its name, the
 * same on every later call; a library that loads gives working functions.
 */
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <archive.h>
#include <libpq-fe.h>

#include "chainsweep/intel.h"
#include "chainsweep/sigma.h"
#include "core/dl_int.h"
#include "fleet/pg_int.h"
#include "testutil.h"

static int find_obj(struct dl_phdr_info *info, size_t size, void *ud)
{
	(void)size;
	return info->dlpi_name && strstr(info->dlpi_name, (const char *)ud) != NULL;
}

static int loaded(const char *name)
{
	return dl_iterate_phdr(find_obj, (void *)name);
}

static void test_pq_on_first_use(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_false(loaded("/libpq.so"));
	assert_false(loaded("/libgnutls"));
	assert_int_equal(cs__fleet_pq_load(&why), CS_OK);
	assert_true(loaded("/libpq.so"));
	/* libpq's own answers, through the wrappers */
	assert_int_equal(PQstatus(NULL), CONNECTION_BAD);
	assert_int_equal(PQresultStatus(NULL), PGRES_FATAL_ERROR);
	PQclear(NULL);
	PQfinish(NULL);
}

/* A scan whose intel holds no Sigma rule builds an empty Sigma set
 * without Hyperscan: the cache key of a compiled set names Hyperscan's
 * version, and asking for it loaded the library (and libstdc++) in every
 * `scan logs`, 7 ms of a 16 ms start. Runs before the test below loads
 * everything. */
static void test_sigma_without_rules_needs_no_hyperscan(void **state)
{
	static const char csv[] = "type,value\ndomain,bench-nothing.invalid\n";
	struct cs_intel *in = cs_intel_new();
	struct cs_sigma *sg = NULL;
	char *dir = cs_test_tmpdir();

	(void)state;
	assert_non_null(in);
	assert_int_equal(cs_intel_set_cache_dir(in, dir), CS_OK);
	assert_int_equal(cs_intel_import_mem(in, "intel.csv", csv, sizeof(csv) - 1, NULL), CS_OK);
	assert_int_equal(cs_intel_finalize(in), CS_OK);
	assert_int_equal(cs_sigma_compile(in, NULL, NULL, &sg), CS_OK);
	assert_false(loaded("/libhs.so"));
	cs_sigma_free(sg);
	cs_intel_free(in);
	cs_test_rmtree(dir);
	free(dir);
}

/* The libraries that only some commands need are not in the process at
 * start; each comes in on its first use. */
static void test_lazy_on_first_use(void **state)
{
	static const struct {
		struct cs__dl *dl;
		const char *file;
	} libs[] = {
	        {&cs__dl_archive, "/libarchive.so"},
	        {&cs__dl_nats, "/libnats.so"},
	        {&cs__dl_sodium, "/libsodium.so"},
	        {&cs__dl_hs, "/libhs.so"},
	        {&cs__dl_yara, "/libyara.so"},
	};
	struct archive *a;
	size_t i;

	(void)state;
	for (i = 0; i < CS_ARRAY_SIZE(libs); i++) {
		assert_false(loaded(libs[i].file));
		assert_int_equal(cs__dl_load(libs[i].dl), CS_OK);
		assert_true(loaded(libs[i].file));
	}
	a = archive_read_new();
	assert_non_null(a);
	assert_int_equal(archive_read_free(a), ARCHIVE_OK);
}

static const char *const z_names[] = {"zlibVersion", "crc32"};
static void *z_slots[2];
static struct cs__dl z_ok = CS_DL_INIT("libz.so.1", z_names, z_slots);

static const char *const bad_names[] = {"zlibVersion", "cs_no_such_function"};
static void *bad_slots[2];
static struct cs__dl z_bad = CS_DL_INIT("libz.so.1", bad_names, bad_slots);

static const char *const none_names[] = {"f"};
static void *none_slots[1];
static struct cs__dl none = CS_DL_INIT("libcs-no-such-library.so.0", none_names, none_slots);

static void test_load(void **state)
{
	int k;

	(void)state;
	assert_int_equal(cs__dl_load(&z_ok), CS_OK);
	assert_non_null(z_slots[0]);
	assert_string_equal(((const char *(*)(void))z_slots[0])(), zlibVersion());
	assert_int_equal(((uLong(*)(uLong, const Bytef *, uInt))z_slots[1])(0, (const Bytef *)"a", 1),
	                 crc32(0, (const Bytef *)"a", 1));
	for (k = 0; k < 2; k++) {
		assert_int_equal(cs__dl_load(&z_bad), CS_ERR_UNSUPPORTED);
		assert_string_equal(cs__dl_why(&z_bad), "libz.so.1 has no cs_no_such_function");
		assert_int_equal(cs__dl_load(&none), CS_ERR_UNSUPPORTED);
		assert_non_null(strstr(cs__dl_why(&none), "cannot load libcs-no-such-library.so.0"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_pq_on_first_use),
	        cmocka_unit_test(test_load),
	        cmocka_unit_test(test_sigma_without_rules_needs_no_hyperscan),
	        cmocka_unit_test(test_lazy_on_first_use),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

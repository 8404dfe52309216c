/* Unit tests of an import as it reaches the case database: a file read
 * only in part (out of memory, cut short) is recorded as partial with its
 * intel version; OSV advisories are kept as records keyed by id and
 * modified time and read back for the software sweep. */
#include <signal.h>
#include <stdio.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chainsweep/software.h"
#include "chainsweep/store.h"
#include "testutil.h"

#define NIND 20000

/* A STIX bundle of NIND SHA-256 indicators (about 5 MB). Caller frees. */
static char *make_bundle(size_t *len)
{
	size_t cap = (size_t)NIND * 400 + 200, n = 0, i;
	char *b = malloc(cap);

	assert_non_null(b);
	n += (size_t)snprintf(b + n, cap - n,
	                      "{\"type\": \"bundle\", \"id\": "
	                      "\"bundle--00000000-0000-4000-8000-000000000000\", \"objects\": [\n");
	for (i = 0; i < NIND; i++)
		n += (size_t)snprintf(
		        b + n, cap - n,
		        "%s{\"type\": \"indicator\", \"spec_version\": \"2.1\", \"id\": "
		        "\"indicator--%08zx-0000-4000-8000-000000000000\", \"pattern\": "
		        "\"[file:hashes.'SHA-256' = '%064zx']\", \"pattern_type\": \"stix\", "
		        "\"valid_from\": \"2023-01-01T00:00:00Z\"}\n",
		        i ? "," : "", i, i);
	n += (size_t)snprintf(b + n, cap - n, "]}\n");
	*len = n;
	return b;
}

static int count_partial(void *ud, const char *path, const char *reason)
{
	int *n = ud;

	(void)path;
	(void)reason;
	(*n)++;
	return 0;
}

static int partial_rows(struct cs_store *st, int64_t ver)
{
	int n = 0;

	assert_int_equal(cs_store_version_partials(st, ver, count_partial, &n), CS_OK);
	return n;
}

static void test_cut_bundle_recorded_partial(void **state)
{
	char *dir = cs_test_tmpdir(), *db, *path;
	struct cs_import_stats is;
	struct cs_store *st = NULL;
	struct cs_intel *in = cs_intel_new();
	size_t len;
	char *b = make_bundle(&len);
	int64_t ver = 0;

	(void)state;
	path = cs_test_write(dir, "half.json", b, len / 2);
	db = cs_test_write(dir, "case.db", "", 0);
	unlink(db);
	assert_int_equal(cs_store_open(db, &st), CS_OK);
	assert_int_equal(cs_intel_import(in, path, &is), CS_OK);
	assert_true(is.read > 0 && is.read < NIND);
	assert_int_equal(is.files_partial, 1);
	assert_int_equal(is.files_failed, 0);
	assert_int_equal(cs_store_save_intel(st, in, "half", &is, &ver), CS_OK);
	assert_int_equal(partial_rows(st, ver), 1);
	cs_intel_free(in);
	/* The whole bundle: a version without a partial row. */
	in = cs_intel_new();
	free(path);
	path = cs_test_write(dir, "whole.json", b, len);
	assert_int_equal(cs_intel_import(in, path, &is), CS_OK);
	assert_int_equal(is.read, NIND);
	assert_int_equal(is.files_partial, 0);
	assert_int_equal(cs_store_save_intel(st, in, "whole", &is, &ver), CS_OK);
	assert_int_equal(partial_rows(st, ver), 0);
	assert_int_equal(partial_rows(st, ver - 1), 1);
	cs_intel_free(in);
	cs_store_close(st);
	free(b);
	free(path);
	free(db);
	cs_test_rmtree(dir);
	free(dir);
}

/* Outcomes of one import under a lowered address-space limit. */
enum { OOM_WHOLE = 10, OOM_NOTHING, OOM_PARTIAL_RECORDED, OOM_SILENT_PARTIAL, OOM_OTHER };

static size_t vm_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long pages = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%lu", &pages) != 1)
		pages = 0;
	fclose(f);
	return (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
}

/*
 * In a child: open the case, lower the soft address-space limit to what
 * the process uses plus `extra`, import the bundle, raise the limit
 * again and save. Exits with one of the OOM_ outcomes.
 */
static void oom_child(const char *path, const char *db, long long extra)
{
	struct cs_store *st = NULL;
	struct cs_intel *in = cs_intel_new();
	struct cs_import_stats is;
	struct rlimit old, low;
	int64_t ver = 0;
	int rc, n = 0;

	if (!in || cs_store_open(db, &st) || getrlimit(RLIMIT_AS, &old))
		_exit(OOM_OTHER);
		/* Memory the parent freed would otherwise serve the import whatever
		 * the limit. */
#ifdef __GLIBC__
	malloc_trim(0);
#endif
	low = old;
	low.rlim_cur = (rlim_t)((long long)vm_bytes() + extra);
	if (setrlimit(RLIMIT_AS, &low))
		_exit(OOM_OTHER);
	rc = cs_intel_import(in, path, &is);
	if (setrlimit(RLIMIT_AS, &old))
		_exit(OOM_OTHER);
	if (rc || !is.read)
		_exit(OOM_NOTHING);
	if (is.read == NIND && !is.files_partial)
		_exit(OOM_WHOLE);
	if (!is.files_partial)
		_exit(OOM_SILENT_PARTIAL);
	if (cs_store_save_intel(st, in, "oom", &is, &ver) ||
	    cs_store_version_partials(st, ver, count_partial, &n) || n != 1)
		_exit(OOM_OTHER);
	cs_intel_free(in);
	cs_store_close(st);
	_exit(OOM_PARTIAL_RECORDED);
}

#if defined(__SANITIZE_ADDRESS__)
#define CS_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CS_TEST_ASAN 1
#endif
#endif

static void test_out_of_memory_recorded_partial(void **state)
{
	char *dir, *path, *b;
	size_t len;
	long long extra;
	int found = 0, k = 0;

	(void)state;
#ifdef CS_TEST_ASAN
	print_message("SKIP: a lowered RLIMIT_AS cannot work under AddressSanitizer\n");
	skip();
#endif
	dir = cs_test_tmpdir();
	b = make_bundle(&len);
	path = cs_test_write(dir, "bundle.json", b, len);
	free(b);
	/* Raise the limit step by step until the import runs out of memory
	 * part-way (some indicators read, not all): that one must be counted
	 * and recorded as partial, never saved as if whole. */
	for (extra = 0; extra < (long long)len + (160LL << 20) && !found; extra += 256LL << 10) {
		char db[64];
		pid_t pid;
		int status = 0;

		snprintf(db, sizeof(db), "case%d.db", k++);
		b = cs_test_write(dir, db, "", 0);
		unlink(b);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0)
			oom_child(path, b, extra);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		free(b);
		if (getenv("CS_TEST_VERBOSE"))
			print_message("extra %lld: status %d\n", extra, status);
		assert_true(WIFEXITED(status));
		assert_int_not_equal(WEXITSTATUS(status), OOM_SILENT_PARTIAL);
		assert_int_not_equal(WEXITSTATUS(status), OOM_OTHER);
		if (WEXITSTATUS(status) == OOM_PARTIAL_RECORDED)
			found = 1;
		if (WEXITSTATUS(status) == OOM_WHOLE)
			break;
	}
	free(path);
	cs_test_rmtree(dir);
	free(dir);
	if (!found) {
		print_message("SKIP: no limit made the import run out of memory part-way\n");
		skip();
	}
}

/* ---------------------------------------------------------------- OSV */

static const char osv_old[] =
        "{\"schema_version\": \"1.6.0\", \"id\": \"DEMO-2026-7\", \"modified\": "
        "\"2026-01-01T00:00:00Z\", \"summary\": \"first\", \"affected\": [{\"package\": "
        "{\"ecosystem\": \"npm\", \"name\": \"demo-left-pad\"}, \"versions\": [\"1.0.0\"]}]}";
/* The same advisory, later: 1.0.0 is no longer named, 2.0.0 is. */
static const char osv_new[] =
        "[{\"schema_version\": \"1.6.0\", \"id\": \"DEMO-2026-7\", \"modified\": "
        "\"2026-02-01T00:00:00Z\", \"summary\": \"second\", \"affected\": [{\"package\": "
        "{\"ecosystem\": \"npm\", \"name\": \"demo-left-pad\"}, \"versions\": [\"2.0.0\"]}]},"
        " {\"id\": \"MAL-2026-9\", \"modified\": \"2026-02-01T00:00:00Z\", \"affected\": "
        "[{\"package\": {\"ecosystem\": \"npm\", \"name\": \"demo-evil\"}}]},"
        " {\"id\": \"DEMO-no-time\", \"affected\": []}, 7]";

struct rows {
	int n;
	int second;
};

static int on_row(void *ud, const struct cs_advisory_row *r)
{
	struct rows *x = ud;

	x->n++;
	if (strcmp(r->id, "DEMO-2026-7") == 0) {
		assert_string_equal(r->modified, "2026-02-01T00:00:00Z");
		assert_non_null(strstr(r->path, "new.json"));
		x->second = memmem(r->json, r->len, "\"second\"", 8) != NULL;
	}
	return 0;
}

struct hits {
	int n;
	const char *id;
};

static int on_hit(void *ud, const struct cs_software_finding *f)
{
	struct hits *h = ud;

	h->n++;
	h->id = f->id;
	return 0;
}

static void test_osv_import_kept_in_case(void **state)
{
	char *dir = cs_test_tmpdir(), *db, *p1, *p2;
	struct cs_store *st = NULL;
	struct cs_intel *in = cs_intel_new();
	struct cs_import_stats is;
	struct cs_store_advisory_counts ac;
	struct rows rows;
	int64_t ver = 0;

	(void)state;
	p1 = cs_test_write(dir, "old.json", osv_old, sizeof(osv_old) - 1);
	p2 = cs_test_write(dir, "new.json", osv_new, sizeof(osv_new) - 1);
	db = cs_test_write(dir, "case.db", "", 0);
	unlink(db);
	assert_int_equal(cs_store_open(db, &st), CS_OK);
	/* Sniffed as OSV: one record, then an array with a newer record of
	 * the same id, a malicious-package record, and two it rejects. */
	assert_int_equal(cs_intel_import(in, p1, &is), CS_OK);
	assert_int_equal(is.advisories, 1);
	assert_int_equal(cs_store_save_intel(st, in, "old", &is, &ver), CS_OK);
	assert_int_equal(cs_intel_import(in, p2, &is), CS_OK);
	assert_int_equal(is.advisories, 2);
	assert_int_equal(is.rejected, 2);
	assert_int_equal(cs_store_save_intel(st, in, "new", &is, &ver), CS_OK);
	/* Saving again stores nothing twice. */
	assert_int_equal(cs_intel_import(in, p2, &is), CS_OK);
	assert_int_equal(cs_store_save_intel(st, in, "again", &is, &ver), CS_OK);
	assert_int_equal(cs_store_advisory_counts(st, &ac), CS_OK);
	assert_int_equal(ac.records, 3);
	assert_int_equal(ac.ids, 2);
	assert_int_equal(ac.malicious, 1);
	assert_int_equal(ac.withdrawn, 0);
	/* The newest record of each id comes back. */
	memset(&rows, 0, sizeof(rows));
	assert_int_equal(cs_store_advisories(st, on_row, &rows), CS_OK);
	assert_int_equal(rows.n, 2);
	assert_true(rows.second);
	cs_intel_free(in);
	cs_store_close(st);
	free(p1);
	free(p2);
	free(db);
	cs_test_rmtree(dir);
	free(dir);
}

/* What the sweep does with them: the stored records feed the matcher as
 * --osv files would. */
static int feed(void *ud, const struct cs_advisory_row *r)
{
	return cs_advisories_load_osv_mem(ud, r->path, r->json, r->len) == CS_ERR_NOMEM
	               ? CS_ERR_NOMEM
	               : 0;
}

static void test_osv_from_case_matches(void **state)
{
	static const char lock[] =
	        "{\"name\": \"app\", \"lockfileVersion\": 3, \"packages\": {\"\": {\"name\": "
	        "\"app\"}, \"node_modules/demo-left-pad\": {\"version\": \"2.0.0\"}}}";
	char *dir = cs_test_tmpdir(), *db, *p;
	struct cs_store *st = NULL;
	struct cs_intel *in = cs_intel_new();
	struct cs_import_stats is;
	struct cs_advisories *adv = cs_advisories_new();
	struct cs_pkgset *ps = cs_pkgset_new();
	struct cs_software_result res;
	struct hits h = {0, NULL};
	int64_t ver = 0;

	(void)state;
	p = cs_test_write(dir, "new.json", osv_new, sizeof(osv_new) - 1);
	db = cs_test_write(dir, "case.db", "", 0);
	unlink(db);
	assert_int_equal(cs_store_open(db, &st), CS_OK);
	assert_int_equal(cs_intel_import(in, p, &is), CS_OK);
	assert_int_equal(cs_store_save_intel(st, in, "osv", &is, &ver), CS_OK);
	free(p);
	p = cs_test_write(dir, "package-lock.json", lock, sizeof(lock) - 1);
	assert_int_equal(cs_pkgset_read_file(ps, p), CS_OK);
	assert_int_equal(cs_advisories_restrict(adv, ps), CS_OK);
	assert_int_equal(cs_store_advisories(st, feed, adv), CS_OK);
	assert_int_equal(cs_software_match(adv, ps, on_hit, &h, &res), CS_OK);
	assert_int_equal(h.n, 1);
	cs_advisories_free(adv);
	cs_pkgset_free(ps);
	cs_intel_free(in);
	cs_store_close(st);
	free(p);
	free(db);
	cs_test_rmtree(dir);
	free(dir);
}

/* The real OSV files (GitHub advisories) import as advisories. */
static void test_real_world_osv(void **state)
{
	const char *rw = CS_TEST_REAL_WORLD("osv");
	struct cs_intel *in = cs_intel_new();
	struct cs_import_stats is;

	(void)state;
	assert_int_equal(cs_intel_import(in, rw, &is), CS_OK);
	assert_int_equal(is.advisories, 4);
	assert_int_equal(is.files_failed, 0);
	assert_int_equal(is.files_partial, 0);
	cs_intel_free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_cut_bundle_recorded_partial),
	        cmocka_unit_test(test_out_of_memory_recorded_partial),
	        cmocka_unit_test(test_osv_import_kept_in_case),
	        cmocka_unit_test(test_osv_from_case_matches),
	        cmocka_unit_test(test_real_world_osv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests of intel bundles: a case's intel exported alone, adopted by
 * another case that keeps its inventory and findings; files that are not
 * a chainsweep case refused; compiled YARA rules not reused across it. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "chainsweep/scan.h"
#include "chainsweep/store.h"
#include "testutil.h"

static const char rule_a[] =
        "rule cs_bundle_rule { strings: $a = \"cs-bundle-marker\" condition: $a }\n";
static const char rule_b[] =
        "rule cs_local_rule { strings: $a = \"cs-local-marker\" condition: $a }\n";
static const char hash_b[] =
        "SHA256=1111111111111111111111111111111111111111111111111111111111111111;local only\n";

static struct cs_store *sopen(const char *path)
{
	struct cs_store *st = NULL;
	int rc = cs_store_open(path, &st);

	if (rc)
		print_message("%s\n", cs_store_errmsg(st));
	assert_int_equal(rc, CS_OK);
	return st;
}

/* Import files into the case as one intel version. */
static void import(struct cs_store *st, const char *const *paths, size_t n)
{
	struct cs_intel *in = cs_intel_new();
	struct cs_import_stats is;
	int64_t ver = 0;
	size_t i;

	assert_int_equal(cs_store_load_intel(st, in), CS_OK);
	for (i = 0; i < n; i++) {
		int rc = cs_intel_import(in, paths[i], &is);

		if (rc)
			print_message("%s: %s\n", paths[i], cs_intel_errmsg(in));
		assert_int_equal(rc, CS_OK);
	}
	assert_int_equal(cs_store_save_intel(st, in, "test", NULL, &ver), CS_OK);
	assert_true(ver > 0);
	cs_intel_free(in);
}

static struct cs_intel *load(struct cs_store *st)
{
	struct cs_intel *in = cs_intel_new();

	assert_int_equal(cs_store_load_intel(st, in), CS_OK);
	return in;
}

/* A sweep of host ws-17 with one inventory record and one finding. */
static void add_case_rows(struct cs_store *st, const char *path)
{
	struct cs_file_record r;
	struct cs_finding_rec f;
	int64_t sweep = 0;

	memset(&r, 0, sizeof(r));
	r.path = path;
	r.size = 5;
	r.mtime = 1796000000;
	r.inode = 42;
	r.sha256 = "2222222222222222222222222222222222222222222222222222222222222222";
	assert_int_equal(cs_store_sweep_begin(st, "ws-17", "files", &sweep), CS_OK);
	assert_int_equal(cs_store_inventory_begin(st, "ws-17"), CS_OK);
	assert_int_equal(cs_store_inventory_put(st, &r), CS_OK);
	assert_int_equal(cs_store_inventory_end(st, 1, ""), CS_OK);
	memset(&f, 0, sizeof(f));
	f.kind = CS_FIND_FILE;
	f.evidence = "hash";
	f.location = path;
	f.observed = r.sha256;
	f.ind_kind = "sha256";
	f.ind_value = r.sha256;
	f.count = 1;
	assert_int_equal(cs_store_finding_put(st, sweep, &f), CS_OK);
	assert_int_equal(cs_store_sweep_end(st, sweep, "{}", 0), CS_OK);
}

static int count_finding(void *ud, const struct cs_finding_rec *f, int64_t a, int64_t b)
{
	(void)f;
	(void)a;
	(void)b;
	(*(int *)ud)++;
	return 0;
}

static int64_t rows(const char *db, const char *table)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *q = NULL;
	char sql[128];
	int64_t n = -1;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(h, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(h);
	return n;
}

static void exec_on(const char *db, const char *sql)
{
	sqlite3 *h = NULL;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

static int newest(void *ud, const struct cs_intel_version *v)
{
	int64_t *acc = ud;

	acc[0]++;
	acc[1] += v->id * 1000 + (int64_t)v->indicators;
	return 0;
}

static int found(void *ud, const struct cs_stored_indicator *ind)
{
	(void)ind;
	(*(int *)ud)++;
	return 0;
}

static int lookup(struct cs_store *st, enum cs_kind k, const char *v)
{
	struct cs_store_lookup *lk = NULL;
	int n = 0;

	assert_int_equal(cs_store_lookup_open(st, &lk), CS_OK);
	assert_int_equal(cs_store_lookup(lk, k, v, found, &n), CS_OK);
	cs_store_lookup_close(lk);
	return n;
}

/* The YARA cache state and digest of a matcher built from the case. */
static int yara_build(struct cs_store *st, const char *cache, char *digest, size_t *rules)
{
	struct cs_intel *in = load(st);
	struct cs_matcher_opts o;
	struct cs_matcher *m = NULL;
	struct cs_matcher_info mi;

	cs_matcher_opts_init(&o);
	o.cache_dir = cache;
	assert_int_equal(cs_intel_finalize(in), CS_OK);
	assert_int_equal(cs_matcher_new_opts(in, &o, NULL, NULL, &m), CS_OK);
	cs_matcher_info(m, &mi);
	snprintf(digest, 65, "%s", cs_matcher_yara_digest(m));
	*rules = mi.yara_rules;
	cs_matcher_free(m);
	cs_intel_free(in);
	return mi.yara_cache;
}

/* Intel of A exported, adopted by B: B's intel is A's, B's own rows stay. */
static void test_export_adopt(void **state)
{
	char *dir = cs_test_tmpdir(), a_db[512], b_db[512], bundle[512], side[600], cache[512];
	char *ya, *yb, *hb, *sigma, d1[65], d2[65];
	const char *src = getenv("CS_SOURCE_DIR");
	struct cs_store *a, *b;
	struct cs_intel *ia, *ib;
	struct cs_store_advisory_counts ca, cb;
	struct cs_inventory *inv;
	int64_t va[2] = {0, 0}, vb[2] = {0, 0};
	size_t i, nrules = 0;
	struct stat sb;
	int nf = 0;

	(void)state;
	assert_non_null(src);
	snprintf(a_db, sizeof(a_db), "%s/a/case.db", dir);
	snprintf(b_db, sizeof(b_db), "%s/b/case.db", dir);
	snprintf(bundle, sizeof(bundle), "%s/bundle.db", dir);
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	ya = cs_test_write(dir, "a.yar", rule_a, strlen(rule_a));
	yb = cs_test_write(dir, "b.yar", rule_b, strlen(rule_b));
	hb = cs_test_write(dir, "b-hashes.txt", hash_b, strlen(hash_b));
	sigma = malloc(strlen(src) + 64);
	assert_non_null(sigma);
	snprintf(sigma, strlen(src) + 64, "%s/intel/3cx-sigma.yml", src);
	{
		char p1[512], p2[512], p3[512], p4[512];
		const char *files[6];

		snprintf(p1, sizeof(p1), "%s", cs_test_data("stix/bundle.json"));
		snprintf(p2, sizeof(p2), "%s", cs_test_data("loki/hash-iocs-crafted.txt"));
		snprintf(p3, sizeof(p3), "%s", cs_test_data("warninglist/crafted-cidr.json"));
		snprintf(p4, sizeof(p4), "%s",
		         cs_test_data("software/osv/DEBIAN-DEMO-2026-0001.json"));
		files[0] = p1;
		files[1] = p2;
		files[2] = p3;
		files[3] = p4;
		files[4] = ya;
		files[5] = sigma;
		a = sopen(a_db);
		import(a, files, 3);
		import(a, files + 3, 3);
	}
	add_case_rows(a, "/srv/a-only.bin");
	assert_int_equal(cs_store_export_intel(a, bundle), CS_OK);
	/* The bundle: intel only, one self-contained file. */
	assert_int_equal(rows(bundle, "finding"), 0);
	assert_int_equal(rows(bundle, "sweep"), 0);
	assert_int_equal(rows(bundle, "host"), 0);
	assert_int_equal(rows(bundle, "file_inventory"), 0);
	assert_true(rows(bundle, "indicator") > 5);
	assert_int_equal(rows(bundle, "indicator"), rows(a_db, "indicator"));
	assert_int_equal(rows(bundle, "advisory"), rows(a_db, "advisory"));
	assert_true(rows(bundle, "sigma_source") >= 1);
	snprintf(side, sizeof(side), "%s-wal", bundle);
	assert_int_not_equal(stat(side, &sb), 0);

	b = sopen(b_db);
	{
		const char *files[2] = {yb, hb};

		import(b, files, 2);
	}
	add_case_rows(b, "/srv/b-only.bin");
	assert_int_equal(yara_build(b, cache, d1, &nrules), CS_CACHE_STORED);
	assert_int_equal(yara_build(b, cache, d1, &nrules), CS_CACHE_HIT);
	assert_int_equal(lookup(b, CS_KIND_SHA256,
	                        "1111111111111111111111111111111111111111111111111111111111111111"),
	                 1);

	assert_int_equal(cs_store_adopt_intel(b, bundle), CS_OK);

	/* B's intel is A's. */
	ia = load(a);
	ib = load(b);
	assert_int_equal(cs_intel_count(ib), cs_intel_count(ia));
	for (i = 0; i < cs_intel_count(ia); i++) {
		const struct cs_indicator *x = cs_intel_at(ia, i), *y;

		y = cs_intel_find(ib, cs_indicator_kind(x), cs_indicator_value(x));
		assert_non_null(y);
		assert_int_equal(cs_indicator_label_count(y), cs_indicator_label_count(x));
		assert_int_equal(cs_indicator_source_count(y), cs_indicator_source_count(x));
	}
	assert_int_equal(cs_intel_warninglist_count(ib), cs_intel_warninglist_count(ia));
	assert_true(cs_intel_warninglist_count(ib) >= 1);
	assert_true(cs_intel_yara_count(ia) >= 1);
	assert_int_equal(cs_intel_yara_count(ib), cs_intel_yara_count(ia));
	assert_int_equal(cs_intel_sigma_count(ib), cs_intel_sigma_count(ia));
	assert_int_equal(cs_store_versions(a, 0, newest, va), CS_OK);
	assert_int_equal(cs_store_versions(b, 0, newest, vb), CS_OK);
	assert_int_equal(va[0], 2);
	assert_int_equal(vb[0], va[0]);
	assert_int_equal(vb[1], va[1]);
	assert_int_equal(cs_store_advisory_counts(a, &ca), CS_OK);
	assert_int_equal(cs_store_advisory_counts(b, &cb), CS_OK);
	assert_true(ca.ids >= 1);
	assert_int_equal(cb.ids, ca.ids);
	assert_int_equal(cb.records, ca.records);
	assert_int_equal(lookup(b, CS_KIND_SHA256,
	                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
	                 1);
	assert_int_equal(lookup(b, CS_KIND_SHA256,
	                        "1111111111111111111111111111111111111111111111111111111111111111"),
	                 0);
	cs_intel_free(ia);
	cs_intel_free(ib);

	/* B's own rows stay; A's did not come along. */
	inv = cs_inventory_new();
	assert_int_equal(cs_store_inventory_load(b, "ws-17", inv, d2, sizeof(d2)), CS_OK);
	assert_int_equal(cs_inventory_count(inv), 1);
	assert_non_null(cs_inventory_find(inv, "/srv/b-only.bin"));
	cs_inventory_free(inv);
	assert_int_equal(cs_store_findings(b, NULL, 0, count_finding, &nf), CS_OK);
	assert_int_equal(nf, 1);

	/* The YARA rules compiled before are not reused: new rules, new key. */
	assert_int_equal(yara_build(b, cache, d2, &nrules), CS_CACHE_STORED);
	assert_true(nrules >= 1);
	assert_string_not_equal(d1, d2);
	/* What B compiles now is what A compiles: the same rules, found in
	 * the cache under their own key. */
	assert_int_equal(yara_build(a, cache, d1, &nrules), CS_CACHE_HIT);
	assert_string_equal(d1, d2);

	cs_store_close(a);
	cs_store_close(b);
	free(ya);
	free(yb);
	free(hb);
	free(sigma);
	cs_test_rmtree(dir);
	free(dir);
}

static void expect_refused(struct cs_store *st, const char *path, uint64_t keep)
{
	uint64_t n = 0;
	int rc = cs_store_adopt_intel(st, path);

	print_message("refused: %s\n", cs_store_errmsg(st));
	assert_int_equal(rc, CS_ERR_UNSUPPORTED);
	assert_non_null(strstr(cs_store_errmsg(st), path));
	assert_int_equal(cs_store_indicator_count(st, &n), CS_OK);
	assert_int_equal(n, keep);
}

static void copy_file(const char *from, const char *to)
{
	size_t len;
	char *d = cs_test_slurp(from, &len);
	FILE *fp = fopen(to, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(d, 1, len, fp), len);
	fclose(fp);
	free(d);
}

/* Files that are not a chainsweep case, or a damaged one, are refused and
 * the case keeps its intel. */
static void test_refuse_non_case(void **state)
{
	char *dir = cs_test_tmpdir(), a_db[512], b_db[512], bundle[512], t[512];
	char *hb, *text;
	struct cs_store *a, *b;
	uint64_t keep = 0;
	int fd;

	(void)state;
	snprintf(a_db, sizeof(a_db), "%s/a.db", dir);
	snprintf(b_db, sizeof(b_db), "%s/b.db", dir);
	snprintf(bundle, sizeof(bundle), "%s/bundle.db", dir);
	a = sopen(a_db);
	{
		char p[512];
		const char *files[1] = {p};

		snprintf(p, sizeof(p), "%s", cs_test_data("stix/bundle.json"));
		import(a, files, 1);
	}
	assert_int_equal(cs_store_export_intel(a, bundle), CS_OK);
	cs_store_close(a);
	b = sopen(b_db);
	hb = cs_test_write(dir, "b-hashes.txt", hash_b, strlen(hash_b));
	{
		const char *files[1] = {hb};

		import(b, files, 1);
	}
	assert_int_equal(cs_store_indicator_count(b, &keep), CS_OK);
	assert_int_equal(keep, 1);

	/* Not SQLite at all. */
	text = cs_test_write(dir, "text.db", "hello, not a database\n", 22);
	expect_refused(b, text, keep);
	/* SQLite, not a case. */
	snprintf(t, sizeof(t), "%s/other.db", dir);
	exec_on(t, "CREATE TABLE foo(x); INSERT INTO foo VALUES(1);");
	expect_refused(b, t, keep);
	/* A case of another schema. */
	snprintf(t, sizeof(t), "%s/schema.db", dir);
	copy_file(bundle, t);
	exec_on(t, "UPDATE meta SET value = '99' WHERE key = 'schema'");
	expect_refused(b, t, keep);
	/* An intel table missing. */
	snprintf(t, sizeof(t), "%s/notable.db", dir);
	copy_file(bundle, t);
	exec_on(t, "DROP TABLE indicator_source");
	expect_refused(b, t, keep);
	/* Pages overwritten. */
	snprintf(t, sizeof(t), "%s/damaged.db", dir);
	copy_file(bundle, t);
	fd = open(t, O_WRONLY);
	assert_true(fd >= 0);
	{
		char junk[4096];
		struct stat sb;
		off_t off;

		memset(junk, 0x5a, sizeof(junk));
		assert_int_equal(fstat(fd, &sb), 0);
		for (off = 4096; off < sb.st_size; off += 8192)
			assert_int_equal(pwrite(fd, junk, sizeof(junk), off),
			                 (ssize_t)sizeof(junk));
	}
	close(fd);
	expect_refused(b, t, keep);
	/* The case's own file. */
	expect_refused(b, b_db, keep);
	/* And the genuine bundle is still adopted after all that. */
	assert_int_equal(cs_store_adopt_intel(b, bundle), CS_OK);
	assert_int_equal(cs_store_indicator_count(b, &keep), CS_OK);
	assert_true(keep > 1);
	cs_store_close(b);
	free(hb);
	free(text);
	cs_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_export_adopt),
	        cmocka_unit_test(test_refuse_non_case),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

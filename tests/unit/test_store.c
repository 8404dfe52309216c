/* Unit tests of the SQLite case database: save, load back, versions,
 * merging across saves, warninglists and YARA sources surviving. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "chainsweep/store.h"
#include "intel/intel_int.h"
#include "testutil.h"

static const struct cs_reader fake_reader = {"fake", NULL, NULL};

static void add(struct cs_intel *in, const char *file, uint64_t line, enum cs_kind k, const char *v,
                const char *label, int detect)
{
	struct cs_reader_ctx c;
	struct cs_ind_add a;

	memset(&c, 0, sizeof(c));
	c.intel = in;
	c.reader = &fake_reader;
	c.path = file;
	c.data = "";
	cs__ind_add_init(&a);
	a.kind = k;
	a.value = v;
	a.line = line;
	a.labels = &label;
	a.nlabels = label ? 1 : 0;
	a.detect = detect;
	a.valid_from = 1679443200; /* 2023-03-22 */
	assert_int_equal(cs__intel_add(&c, &a), CS_OK);
}

static int64_t count_rows(const char *db, const char *sql);

static int count_versions(void *ud, const struct cs_intel_version *v)
{
	int *n = ud;

	(*n)++;
	assert_true(v->id >= 1);
	return 0;
}

static int sum_rejects(void *ud, const char *reason, uint64_t count)
{
	uint64_t *n = ud;

	(void)reason;
	*n += count;
	return 0;
}

static void test_round_trip_and_versions(void **state)
{
	static const char *const wl[] = {"example.org"};
	char *dir = cs_test_tmpdir(), path[512];
	struct cs_store *st = NULL;
	struct cs_intel *in = cs_intel_new(), *back;
	const struct cs_indicator *ind;
	struct cs_term terms[2] = {{CS_KIND_DOMAIN, "evil.example", 0},
	                           {CS_KIND_IPV4, "198.51.100.9", 1}};
	struct cs_reader_ctx c;
	struct cs_ind_add a;
	struct cs_source_info si;
	struct cs_import_stats stats;
	int64_t v1 = 0, v2 = 0;
	int nv = 0;
	uint64_t nrej = 0;
	const char *tv;

	(void)state;
	snprintf(path, sizeof(path), "%s/sub/dir/case.db", dir);
	assert_int_equal(cs_store_open(path, &st), CS_OK);
	add(in, "a.csv", 3, CS_KIND_DOMAIN, "evil.example", "incident:X", 1);
	add(in, "a.csv", 4, CS_KIND_DOMAIN, "www.example.org", NULL, 0);
	memset(&c, 0, sizeof(c));
	c.intel = in;
	c.reader = &fake_reader;
	c.path = "b.json";
	c.data = "";
	cs__ind_add_init(&a);
	a.kind = CS_KIND_COMPOUND;
	a.value = "[domain-name:value = 'evil.example' AND x:y = 'z']";
	a.terms = terms;
	a.nterms = 2;
	a.ref = "indicator--1";
	assert_int_equal(cs__intel_add(&c, &a), CS_OK);
	a.kind = CS_KIND_SHA256;
	a.value = "nothex";
	assert_int_equal(cs__intel_add(&c, &a), CS_ERR_PARSE);
	assert_int_equal(cs_intel_add_warninglist(in, "wl", "hostname", 0, wl, 1), CS_OK);
	assert_int_equal(cs__intel_add_yara_source(in, "r.yar", "rule a { condition: true }", 26),
	                 CS_OK);
	memset(&stats, 0, sizeof(stats));
	stats.files = 2;
	stats.read = 3;
	stats.rejected = 1;
	assert_int_equal(cs_store_save_intel(st, in, "first", &stats, &v1), CS_OK);
	assert_int_equal(v1, 1);
	/* The bulk first save ran without the write-ahead log; it is back. */
	assert_int_equal(count_rows(path, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"),
			 1);
	cs_intel_free(in);
	cs_store_close(st);

	/* Reopen, load, add a second source for the same value, save. */
	assert_int_equal(cs_store_open(path, &st), CS_OK);
	in = cs_intel_new();
	assert_int_equal(cs_store_load_intel(st, in), CS_OK);
	assert_int_equal(cs_intel_count(in), 3);
	add(in, "c.txt", 9, CS_KIND_DOMAIN, "EVIL.example.", "actor:Y", 0);
	add(in, "c.txt", 10, CS_KIND_IPV4, "198.51.100.7", NULL, -1);
	assert_int_equal(cs_store_save_intel(st, in, "second", NULL, &v2), CS_OK);
	assert_int_equal(v2, 2);
	cs_intel_free(in);
	/* The first save built the key index after a bulk insert; the merge of
	 * evil.example must have found its row, not added a second one. */
	assert_int_equal(count_rows(path, "SELECT count(*) FROM sqlite_master"
	                                  " WHERE name = 'indicator_key'"),
	                 1);
	assert_int_equal(count_rows(path, "SELECT count(*) FROM indicator"), 4);

	back = cs_intel_new();
	assert_int_equal(cs_store_load_intel(st, back), CS_OK);
	assert_int_equal(cs_intel_count(back), 4);
	ind = cs_intel_find(back, CS_KIND_DOMAIN, "evil.example");
	assert_non_null(ind);
	assert_int_equal(cs_indicator_source_count(ind), 2);
	assert_true(cs_test_has_label(back, ind, "incident:X"));
	assert_true(cs_test_has_label(back, ind, "actor:Y"));
	assert_int_equal(cs_indicator_flags(ind) & (CS_IND_DETECT | CS_IND_HUNT),
	                 CS_IND_DETECT | CS_IND_HUNT);
	assert_int_equal(cs_indicator_valid_from(ind), 1679443200);
	cs_indicator_source(back, ind, 1, &si);
	assert_string_equal(si.file, "c.txt");
	assert_int_equal(si.line, 9);
	assert_string_equal(si.format, "fake");
	assert_int_equal(cs_store_indicator_version(st, CS_KIND_DOMAIN, "evil.example"), 1);
	assert_int_equal(cs_store_indicator_version(st, CS_KIND_IPV4, "198.51.100.7"), 2);
	assert_int_equal(cs_store_indicator_version(st, CS_KIND_IPV4, "192.0.2.1"), 0);

	ind = cs_intel_find(back, CS_KIND_DOMAIN, "www.example.org");
	assert_true(cs_indicator_flags(ind) & CS_IND_WARNLISTED);
	assert_string_equal(cs_indicator_warninglist(back, ind, 0), "wl");

	ind = cs_intel_find(back, CS_KIND_COMPOUND,
	                    "[domain-name:value = 'evil.example' AND x:y = 'z']");
	assert_non_null(ind);
	assert_int_equal(cs_indicator_term_count(ind), 2);
	assert_int_equal(cs_indicator_term(ind, 0, &tv), CS_KIND_DOMAIN);
	assert_string_equal(tv, "evil.example");
	assert_int_equal(cs_indicator_term_observation(ind, 0), 0);
	assert_int_equal(cs_indicator_term(ind, 1, &tv), CS_KIND_IPV4);
	assert_string_equal(tv, "198.51.100.9");
	assert_int_equal(cs_indicator_term_observation(ind, 1), 1);
	cs_indicator_source(back, ind, 0, &si);
	assert_string_equal(si.ref, "indicator--1");

	assert_int_equal(cs_intel_yara_count(back), 1);
	assert_string_equal(cs_intel_yara_source(back, 0, &tv, NULL), "r.yar");
	assert_string_equal(tv, "rule a { condition: true }");

	assert_int_equal(cs_store_versions(st, 0, count_versions, &nv), CS_OK);
	assert_int_equal(nv, 2);
	assert_int_equal(cs_store_version_rejects(st, v1, sum_rejects, &nrej), CS_OK);
	assert_int_equal(nrej, 1);
	cs_intel_free(back);
	cs_store_close(st);
	cs_test_rmtree(dir);
	free(dir);
}

static int64_t count_rows(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *q = NULL;
	int64_t n = -1;

	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &q, NULL), SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(h);
	return n;
}

/* Indicators with the same labels share one label set; the label order
 * of each indicator survives the round trip. */
static void test_label_sets_shared_and_ordered(void **state)
{
	char *dir = cs_test_tmpdir(), path[512], v[32];
	struct cs_store *st = NULL;
	struct cs_intel *in = cs_intel_new();
	const struct cs_indicator *ind;
	int i;

	(void)state;
	snprintf(path, sizeof(path), "%s/case.db", dir);
	assert_int_equal(cs_store_open(path, &st), CS_OK);
	for (i = 0; i < 100; i++) {
		snprintf(v, sizeof(v), "host%d.example", i);
		add(in, "a.txt", (uint64_t)i + 1, CS_KIND_DOMAIN, v, "tag:zeta", -1);
		add(in, "b.txt", (uint64_t)i + 1, CS_KIND_DOMAIN, v, "actor:Alpha", -1);
	}
	add(in, "c.txt", 1, CS_KIND_DOMAIN, "other.example", "actor:Alpha", -1);
	assert_int_equal(cs_store_save_intel(st, in, "x", NULL, NULL), CS_OK);
	cs_intel_free(in);
	assert_int_equal(count_rows(path, "SELECT count(*) FROM indicator"), 101);
	/* {zeta, Alpha} for the merged indicators, {zeta} and {Alpha} for
	 * the sources that gave them. */
	assert_int_equal(count_rows(path, "SELECT count(*) FROM labelset"), 3);
	assert_int_equal(count_rows(path, "SELECT count(*) FROM label"), 2);

	in = cs_intel_new();
	assert_int_equal(cs_store_load_intel(st, in), CS_OK);
	ind = cs_intel_find(in, CS_KIND_DOMAIN, "host7.example");
	assert_int_equal(cs_indicator_label_count(ind), 2);
	assert_string_equal(cs_indicator_label(in, ind, 0), "tag:zeta");
	assert_string_equal(cs_indicator_label(in, ind, 1), "actor:Alpha");
	/* Each source keeps the labels it gave itself. */
	assert_int_equal(cs_indicator_source_count(ind), 2);
	for (i = 0; i < 2; i++) {
		struct cs_source_info si;

		cs_indicator_source(in, ind, (size_t)i, &si);
		assert_int_equal(si.nlabels, 1);
		assert_string_equal(si.labels[0],
				    strcmp(si.file, "a.txt") == 0 ? "tag:zeta" : "actor:Alpha");
	}
	ind = cs_intel_find(in, CS_KIND_DOMAIN, "other.example");
	assert_int_equal(cs_indicator_label_count(ind), 1);
	assert_string_equal(cs_indicator_label(in, ind, 0), "actor:Alpha");
	/* Saving again changes nothing. */
	assert_int_equal(cs_store_save_intel(st, in, "again", NULL, NULL), CS_OK);
	assert_int_equal(count_rows(path, "SELECT count(*) FROM labelset"), 3);
	assert_int_equal(count_rows(path, "SELECT count(*) FROM indicator_source"), 201);
	cs_intel_free(in);
	cs_store_close(st);
	cs_test_rmtree(dir);
	free(dir);
}

static void exec_sql(const char *db, const char *sql);

/* A database of schema 1 (sources without their own labels) opens,
 * gains the column, and its sources load with no labels of their own. */
static void test_migrate_schema1(void **state)
{
	char *dir = cs_test_tmpdir(), path[512];
	struct cs_store *st = NULL;
	struct cs_intel *in = cs_intel_new();
	const struct cs_indicator *ind;
	struct cs_source_info si;

	(void)state;
	snprintf(path, sizeof(path), "%s/case.db", dir);
	exec_sql(path, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
		       "INSERT INTO meta VALUES('schema', '1');"
		       "CREATE TABLE indicator_source(indicator_id INTEGER NOT NULL,"
		       " file_id INTEGER NOT NULL, line INTEGER NOT NULL, ref TEXT NOT NULL,"
		       " description TEXT, version INTEGER NOT NULL,"
		       " PRIMARY KEY(indicator_id, file_id, line, ref)) WITHOUT ROWID;"
		       "CREATE TABLE indicator(id INTEGER PRIMARY KEY, kind INTEGER NOT NULL,"
		       " value TEXT NOT NULL, flags INTEGER NOT NULL DEFAULT 0,"
		       " confidence INTEGER NOT NULL DEFAULT -1, valid_from INTEGER NOT NULL"
		       " DEFAULT 0, valid_until INTEGER NOT NULL DEFAULT 0, labelset INTEGER"
		       " NOT NULL DEFAULT 0, added_version INTEGER NOT NULL);"
		       "CREATE TABLE source_file(id INTEGER PRIMARY KEY, path TEXT NOT NULL,"
		       " format TEXT NOT NULL, UNIQUE(path, format));"
		       "INSERT INTO indicator VALUES(1, 8, 'old.example', 0, -1, 0, 0, 0, 1);"
		       "INSERT INTO source_file VALUES(1, 'old.txt', 'plain');"
		       "INSERT INTO indicator_source VALUES(1, 1, 3, '', NULL, 1);");
	assert_int_equal(cs_store_open(path, &st), CS_OK);
	assert_int_equal(count_rows(path, "SELECT value FROM meta WHERE key = 'schema'"), 2);
	assert_int_equal(count_rows(path, "SELECT count(*) FROM pragma_table_info("
					  "'indicator_source') WHERE name = 'labelset'"),
			 1);
	assert_int_equal(cs_store_load_intel(st, in), CS_OK);
	ind = cs_intel_find(in, CS_KIND_DOMAIN, "old.example");
	assert_non_null(ind);
	cs_indicator_source(in, ind, 0, &si);
	assert_string_equal(si.file, "old.txt");
	assert_int_equal(si.line, 3);
	assert_int_equal(si.nlabels, 0);
	cs_intel_free(in);
	cs_store_close(st);
	cs_test_rmtree(dir);
	free(dir);
}

static void exec_sql(const char *db, const char *sql)
{
	sqlite3 *h = NULL;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

/* A save writes only what changed since the load: untouched rows are not
 * rewritten, warninglist marks of untouched indicators survive, and a new
 * warninglist marks indicators that were already stored. */
static void test_save_writes_only_changes(void **state)
{
	static const char *const wl[] = {"b.example"};
	char *dir = cs_test_tmpdir(), path[512];
	struct cs_store *st = NULL;
	struct cs_intel *in = cs_intel_new();
	const struct cs_indicator *ind;

	(void)state;
	snprintf(path, sizeof(path), "%s/case.db", dir);
	assert_int_equal(cs_store_open(path, &st), CS_OK);
	add(in, "a.txt", 1, CS_KIND_DOMAIN, "a.example", NULL, -1);
	add(in, "a.txt", 2, CS_KIND_DOMAIN, "b.example", NULL, -1);
	assert_int_equal(cs_intel_add_warninglist(in, "wl", "hostname", 0, wl, 1), CS_OK);
	assert_int_equal(cs_store_save_intel(st, in, "v1", NULL, NULL), CS_OK);
	cs_intel_free(in);

	in = cs_intel_new();
	assert_int_equal(cs_store_load_intel(st, in), CS_OK);
	/* Tamper with a stored row after the load: a save that rewrote it
	 * would undo this. */
	exec_sql(path, "UPDATE indicator SET confidence = 77 WHERE value = 'a.example'");
	add(in, "c.txt", 1, CS_KIND_DOMAIN, "c.example", NULL, -1);
	assert_int_equal(cs_store_save_intel(st, in, "v2", NULL, NULL), CS_OK);
	assert_int_equal(count_rows(path, "SELECT confidence FROM indicator"
	                                  " WHERE value = 'a.example'"),
	                 77);
	assert_int_equal(count_rows(path, "SELECT count(*) FROM indicator_warninglist"), 1);
	/* Saving the same set again writes nothing new. */
	assert_int_equal(cs_store_save_intel(st, in, "v3", NULL, NULL), CS_OK);
	assert_int_equal(count_rows(path, "SELECT count(*) FROM indicator_source"), 3);
	cs_intel_free(in);

	/* A later warninglist marks an indicator stored long before. */
	in = cs_intel_new();
	assert_int_equal(cs_store_load_intel(st, in), CS_OK);
	assert_int_equal(cs_intel_add_warninglist(in, "wl2", "string", 0, wl, 1), CS_OK);
	assert_int_equal(cs_store_save_intel(st, in, "v4", NULL, NULL), CS_OK);
	cs_intel_free(in);
	in = cs_intel_new();
	assert_int_equal(cs_store_load_intel(st, in), CS_OK);
	ind = cs_intel_find(in, CS_KIND_DOMAIN, "b.example");
	assert_int_equal(cs_indicator_warninglist_count(ind), 2);
	assert_int_equal(count_rows(path, "SELECT count(*) FROM indicator_warninglist"), 2);
	assert_false(cs_indicator_flags(cs_intel_find(in, CS_KIND_DOMAIN, "c.example")) &
	             CS_IND_WARNLISTED);
	cs_intel_free(in);
	cs_store_close(st);
	cs_test_rmtree(dir);
	free(dir);
}

struct sw_seen {
	size_t n, current;
	char names[8][64];
};

static int on_sw_rec(void *ud, const struct cs_software_rec *r)
{
	struct sw_seen *s = ud;

	if (s->n < 8)
		snprintf(s->names[s->n], sizeof(s->names[0]), "%s %s %s %s%s", r->host, r->name,
			 r->version, r->ecosystem, r->current ? "" : " (old)");
	s->n++;
	s->current += r->current != 0;
	return 0;
}

/* The software table: packages saved under a sweep, seen again by a
 * later one (one row, last sweep moved), an upgrade (the old version
 * kept, not current), per-host queries. */
static void test_software_table(void **state)
{
	static const char csv1[] = "DisplayName,DisplayVersion,Publisher\n"
				   "3CX Desktop App,18.12.416,3CX Ltd\n";
	static const char csv2[] = "DisplayName,DisplayVersion,Publisher\n"
				   "3CX Desktop App,18.12.422,3CX Ltd\n";
	struct cs_store *st = NULL;
	struct cs_pkgset *ps;
	struct sw_seen seen;
	char *dir = cs_test_tmpdir(), *path, *db;
	int64_t s1, s2, s3;

	(void)state;
	db = cs_test_write(dir, "case.db", "", 0);
	unlink(db);
	assert_int_equal(cs_store_open(db, &st), CS_OK);
	/* Nothing recorded yet: an empty answer, not an error. */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(cs_store_software(st, NULL, on_sw_rec, &seen), CS_OK);
	assert_int_equal(seen.n, 0);

	path = cs_test_write(dir, "uninstall-keys.csv", csv1, sizeof(csv1) - 1);
	ps = cs_pkgset_new();
	assert_int_equal(cs_pkgset_read_file(ps, path), CS_OK);
	assert_int_equal(cs_pkgset_count(ps), 1);
	assert_int_equal(cs_store_sweep_begin(st, "ws-17", "software", &s1), CS_OK);
	assert_int_equal(cs_store_software_save(st, s1, ps), CS_OK);
	assert_int_equal(cs_store_sweep_end(st, s1, "{}", 0), CS_OK);
	assert_int_equal(cs_store_sweep_begin(st, "ws-17", "software", &s2), CS_OK);
	assert_int_equal(cs_store_software_save(st, s2, ps), CS_OK);
	assert_int_equal(cs_store_sweep_end(st, s2, "{}", 0), CS_OK);
	assert_int_equal(cs_store_sweep_begin(st, "ws-18", "software", &s3), CS_OK);
	assert_int_equal(cs_store_software_save(st, s3, ps), CS_OK);
	cs_pkgset_free(ps);

	memset(&seen, 0, sizeof(seen));
	assert_int_equal(cs_store_software(st, NULL, on_sw_rec, &seen), CS_OK);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.names[0], "ws-17 3CX Desktop App 18.12.416 product");
	assert_string_equal(seen.names[1], "ws-18 3CX Desktop App 18.12.416 product");

	/* ws-18 upgrades: the old row stays, no longer current. */
	free(path);
	path = cs_test_write(dir, "uninstall-keys.csv", csv2, sizeof(csv2) - 1);
	ps = cs_pkgset_new();
	assert_int_equal(cs_pkgset_read_file(ps, path), CS_OK);
	assert_int_equal(cs_store_sweep_begin(st, "ws-18", "software", &s3), CS_OK);
	assert_int_equal(cs_store_software_save(st, s3, ps), CS_OK);
	cs_pkgset_free(ps);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(cs_store_software(st, "ws-18", on_sw_rec, &seen), CS_OK);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.current, 1);
	assert_string_equal(seen.names[0], "ws-18 3CX Desktop App 18.12.416 product (old)");
	assert_string_equal(seen.names[1], "ws-18 3CX Desktop App 18.12.422 product");
	assert_int_equal(cs_store_software_save(st, s3, NULL), CS_ERR_INVALID);
	cs_store_close(st);
	free(path);
	free(db);
	cs_test_rmtree(dir);
	free(dir);
}

static void test_open_errors(void **state)
{
	struct cs_store *st = NULL;
	char *dir = cs_test_tmpdir(), *path;

	(void)state;
	assert_int_not_equal(cs_store_open("/proc/nope/case.db", &st), CS_OK);
	assert_non_null(strstr(cs_store_errmsg(st), "/proc/nope/case.db"));
	cs_store_close(st);
	/* A file that is not a database is refused with a message. */
	path = cs_test_write(dir, "junk.db", "this is not sqlite, just text padding....", 40);
	st = NULL;
	assert_int_not_equal(cs_store_open(path, &st), CS_OK);
	assert_non_null(strstr(cs_store_errmsg(st), "junk.db"));
	cs_store_close(st);
	cs_store_close(NULL);
	free(path);
	cs_test_rmtree(dir);
	free(dir);
}

static void test_default_path(void **state)
{
	char buf[4096];

	(void)state;
	setenv("CHAINSWEEP_DB", "/x/y.db", 1);
	assert_int_equal(cs_store_default_path(buf, sizeof(buf)), CS_OK);
	assert_string_equal(buf, "/x/y.db");
	unsetenv("CHAINSWEEP_DB");
	setenv("XDG_DATA_HOME", "/data", 1);
	assert_int_equal(cs_store_default_path(buf, sizeof(buf)), CS_OK);
	assert_string_equal(buf, "/data/chainsweep/case.db");
	unsetenv("XDG_DATA_HOME");
	setenv("HOME", "/home/u", 1);
	assert_int_equal(cs_store_default_path(buf, sizeof(buf)), CS_OK);
	assert_string_equal(buf, "/home/u/.local/share/chainsweep/case.db");
	assert_int_equal(cs_store_default_path(buf, 5), CS_ERR_TOOBIG);
}

/* ------------------------------------------------------------------ */
/* Bulk import with the writer thread                                 */

/* The same indicators into a set: more than one writer batch, then
 * values of the first batch again from another file (merged after they
 * were handed to the writer), a compound, a value seen twice on one
 * line with a description only the second time. */
static void feed(struct cs_intel *in, size_t n)
{
	struct cs_term terms[2] = {{CS_KIND_DOMAIN, "evil.example", 0},
	                           {CS_KIND_IPV4, "198.51.100.9", 0}};
	struct cs_reader_ctx c;
	struct cs_ind_add a;
	char v[65];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(v, sizeof(v), "%064zx", i * 2654435761u + 1);
		add(in, "a.csv", i + 1, CS_KIND_SHA256, v, i % 3 ? "incident:A" : NULL, 1);
	}
	for (i = 0; i < 100; i++) {
		snprintf(v, sizeof(v), "%064zx", i * 7 * 2654435761u + 1);
		add(in, "b.csv", i + 1, CS_KIND_SHA256, v, "actor:B", 0);
	}
	memset(&c, 0, sizeof(c));
	c.intel = in;
	c.reader = &fake_reader;
	c.path = "c.json";
	c.data = "";
	cs__ind_add_init(&a);
	a.kind = CS_KIND_COMPOUND;
	a.value = "[domain-name:value = 'evil.example' AND ipv4-addr:value = '198.51.100.9']";
	a.terms = terms;
	a.nterms = 2;
	a.ref = "indicator--1";
	assert_int_equal(cs__intel_add(&c, &a), CS_OK);
	cs__ind_add_init(&a);
	a.kind = CS_KIND_DOMAIN;
	a.value = "twice.example";
	a.ref = "indicator--2";
	assert_int_equal(cs__intel_add(&c, &a), CS_OK);
	a.description = "said the second time";
	a.confidence = 90;
	assert_int_equal(cs__intel_add(&c, &a), CS_OK);
}

/* A loaded set as text, in its order (the database's id order). */
static char *dump(const char *db)
{
	struct cs_store *st = NULL;
	struct cs_intel *in = cs_intel_new();
	struct cs_buf b;
	size_t i, j;

	assert_int_equal(cs_store_open(db, &st), CS_OK);
	assert_int_equal(cs_store_load_intel(st, in), CS_OK);
	cs_store_close(st);
	cs__buf_init(&b, 0);
	for (i = 0; i < cs_intel_count(in); i++) {
		const struct cs_indicator *ind = cs_intel_at(in, i);

		assert_int_equal(cs__buf_printf(&b, "%d %s %u %d %lld %lld|",
		                                (int)cs_indicator_kind(ind), cs_indicator_value(ind),
		                                cs_indicator_flags(ind), cs_indicator_confidence(ind),
		                                (long long)cs_indicator_valid_from(ind),
		                                (long long)cs_indicator_valid_until(ind)),
		                 CS_OK);
		for (j = 0; j < cs_indicator_label_count(ind); j++)
			assert_int_equal(cs__buf_printf(&b, "l:%s|", cs_indicator_label(in, ind, j)),
			                 CS_OK);
		for (j = 0; j < cs_indicator_source_count(ind); j++) {
			struct cs_source_info si;
			size_t k;

			cs_indicator_source(in, ind, j, &si);
			assert_int_equal(cs__buf_printf(&b, "s:%s:%s:%llu:%s:%s", si.file, si.format,
			                                (unsigned long long)si.line,
			                                si.ref ? si.ref : "",
			                                si.description ? si.description : "-"),
			                 CS_OK);
			for (k = 0; k < si.nlabels; k++)
				assert_int_equal(cs__buf_printf(&b, ":%s", si.labels[k]), CS_OK);
			assert_int_equal(cs__buf_addc(&b, '|'), CS_OK);
		}
		for (j = 0; j < cs_indicator_term_count(ind); j++) {
			const char *tv;
			enum cs_kind tk = cs_indicator_term(ind, j, &tv);

			assert_int_equal(cs__buf_printf(&b, "t:%d:%s:%u|", (int)tk, tv,
			                                cs_indicator_term_observation(ind, j)),
			                 CS_OK);
		}
		assert_int_equal(cs__buf_addc(&b, '\n'), CS_OK);
	}
	cs_intel_free(in);
	return cs__buf_detach(&b);
}

/* Written while reading (import_begin) or all at the save: the same
 * database content, the key index rebuilt, the file intact. */
static void test_bulk_import_same_as_save(void **state)
{
	char *dir = cs_test_tmpdir(), p1[512], p2[512], *d1, *d2;
	struct cs_store *st = NULL;
	struct cs_intel *in;
	int64_t v = 0;

	(void)state;
	snprintf(p1, sizeof(p1), "%s/threaded.db", dir);
	snprintf(p2, sizeof(p2), "%s/plain.db", dir);

	assert_int_equal(cs_store_open(p1, &st), CS_OK);
	in = cs_intel_new();
	assert_int_equal(cs_store_import_begin(st, in), CS_OK);
	feed(in, 20000);
	assert_int_equal(cs_store_save_intel(st, in, "threaded", NULL, &v), CS_OK);
	assert_int_equal(v, 1);
	/* The set is clean: a second save writes no indicator. */
	assert_int_equal(cs_store_save_intel(st, in, "again", NULL, &v), CS_OK);
	cs_store_close(st);
	cs_intel_free(in);

	assert_int_equal(cs_store_open(p2, &st), CS_OK);
	in = cs_intel_new();
	feed(in, 20000);
	assert_int_equal(cs_store_save_intel(st, in, "plain", NULL, &v), CS_OK);
	cs_store_close(st);
	cs_intel_free(in);

	d1 = dump(p1);
	d2 = dump(p2);
	assert_true(strlen(d1) > 20000 * 70);
	/* Merged after the writer had them: the second file's label and
	 * source, and the description given the second time, are there. */
	assert_non_null(strstr(d1, "|l:actor:B|s:a.csv:fake:1::-|s:b.csv:fake:1::-:actor:B|"));
	assert_non_null(strstr(d1, "twice.example 0 90 0 0|s:c.json:fake:0:indicator--2:said"));
	assert_string_equal(d1, d2);
	free(d1);
	free(d2);
	assert_int_equal(count_rows(p1, "SELECT count(*) FROM indicator"), 20002);
	assert_int_equal(count_rows(p1, "SELECT count(*) FROM indicator WHERE added_version = 1"),
	                 20002);
	assert_int_equal(count_rows(p1, "SELECT count(*) FROM indicator_source"), 20102);
	assert_int_equal(count_rows(p1, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
	                                " AND name = 'indicator_key'"),
	                 1);
	assert_int_equal(count_rows(p1, "SELECT count(*) FROM pragma_integrity_check"
	                                " WHERE integrity_check = 'ok'"),
	                 1);
	assert_int_equal(count_rows(p1, "SELECT accepted FROM intel_version WHERE id = 1"), 0);
	assert_int_equal(count_rows(p1, "SELECT count(*) FROM intel_version WHERE id = 1"
	                                " AND note = 'threaded'"),
	                 1);
	cs_test_rmtree(dir);
	free(dir);
}

/* An import rolled back leaves nothing; the same set saved afterwards
 * (shipped indicators dirty again) is complete. Into a database that
 * holds indicators, begin does nothing and the save merges as always. */
static void test_bulk_import_abort_and_nonempty(void **state)
{
	char *dir = cs_test_tmpdir(), p[512];
	struct cs_store *st = NULL;
	struct cs_intel *in = cs_intel_new(), *more = cs_intel_new();
	int64_t v = 0;

	(void)state;
	snprintf(p, sizeof(p), "%s/case.db", dir);
	assert_int_equal(cs_store_open(p, &st), CS_OK);
	assert_int_equal(cs_store_import_begin(st, in), CS_OK);
	feed(in, 10000);
	cs_store_import_abort(st);
	assert_int_equal(count_rows(p, "SELECT count(*) FROM indicator"), 0);
	assert_int_equal(count_rows(p, "SELECT count(*) FROM intel_version"), 0);
	assert_int_equal(cs_store_save_intel(st, in, "after abort", NULL, &v), CS_OK);
	assert_int_equal(count_rows(p, "SELECT count(*) FROM indicator"), 10002);
	assert_int_equal(count_rows(p, "SELECT count(*) FROM indicator_source"), 10102);

	/* Not empty now. */
	assert_int_equal(cs_store_load_intel(st, more), CS_OK);
	assert_int_equal(cs_store_import_begin(st, more), CS_OK);
	add(more, "d.csv", 1, CS_KIND_DOMAIN, "new.example", "actor:D", 1);
	add(more, "d.csv", 2, CS_KIND_DOMAIN, "twice.example", "actor:D", 1);
	assert_int_equal(cs_store_save_intel(st, more, "more", NULL, &v), CS_OK);
	assert_int_equal(v, 2);
	assert_int_equal(count_rows(p, "SELECT count(*) FROM indicator"), 10003);
	assert_int_equal(count_rows(p, "SELECT count(*) FROM indicator_source"), 10104);
	/* A store closed in the middle of an import rolls it back. */
	cs_store_close(st);
	cs_intel_free(in);
	in = cs_intel_new();
	snprintf(p, sizeof(p), "%s/closed.db", dir);
	assert_int_equal(cs_store_open(p, &st), CS_OK);
	assert_int_equal(cs_store_import_begin(st, in), CS_OK);
	feed(in, 9000);
	cs_store_close(st);
	assert_int_equal(count_rows(p, "SELECT count(*) FROM indicator"), 0);
	cs_intel_free(in);
	cs_intel_free(more);
	cs_test_rmtree(dir);
	free(dir);
}

static int count_finding(void *ud, const struct cs_finding_rec *f, int64_t a, int64_t b)
{
	(void)f;
	(void)a;
	(void)b;
	(*(int *)ud)++;
	return 0;
}

static int count_sweep(void *ud, const struct cs_sweep_info *s)
{
	(void)s;
	(*(int *)ud)++;
	return 0;
}

/* A case opened read-only is read and never written: no schema upgrade,
 * no meta row, no sweep tables created, and a save is refused. */
static void test_open_readonly(void **state)
{
	struct cs_store_opts ro = {1, 0, NULL, NULL};
	char *dir = cs_test_tmpdir(), path[512], old[512], none[512];
	struct cs_store *st = NULL;
	struct cs_intel *in = cs_intel_new();
	int n = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/case.db", dir);
	assert_int_equal(cs_store_open(path, &st), CS_OK);
	add(in, "a.csv", 1, CS_KIND_DOMAIN, "evil.example", "actor:A", 1);
	assert_int_equal(cs_store_save_intel(st, in, "v1", NULL, NULL), CS_OK);
	cs_store_close(st);
	cs_intel_free(in);

	in = cs_intel_new();
	assert_int_equal(cs_store_open_opts(path, &ro, &st), CS_OK);
	assert_int_equal(cs_store_load_intel(st, in), CS_OK);
	assert_non_null(cs_intel_find(in, CS_KIND_DOMAIN, "evil.example"));
	/* No sweep yet: nothing to read, and nothing created. */
	assert_int_equal(cs_store_findings(st, NULL, 0, count_finding, &n), CS_OK);
	assert_int_equal(cs_store_sweeps(st, count_sweep, &n), CS_OK);
	assert_int_equal(n, 0);
	assert_int_equal(count_rows(path, "SELECT count(*) FROM sqlite_master WHERE name"
					  " IN ('finding', 'sweep', 'host')"),
			 0);
	add(in, "a.csv", 2, CS_KIND_DOMAIN, "more.example", NULL, 1);
	assert_int_equal(cs_store_save_intel(st, in, "v2", NULL, NULL), CS_ERR_DB);
	assert_non_null(strstr(cs_store_errmsg(st), "readonly"));
	cs_store_close(st);
	cs_intel_free(in);
	assert_int_equal(count_rows(path, "SELECT count(*) FROM intel_version"), 1);

	/* An older schema is not upgraded by a reader. */
	snprintf(old, sizeof(old), "%s/old.db", dir);
	exec_sql(old, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
		      "INSERT INTO meta VALUES('schema', '1');");
	st = NULL;
	assert_int_equal(cs_store_open_opts(old, &ro, &st), CS_ERR_UNSUPPORTED);
	assert_non_null(strstr(cs_store_errmsg(st), "older chainsweep (schema 1 < 2)"));
	cs_store_close(st);
	assert_int_equal(count_rows(old, "SELECT value FROM meta WHERE key = 'schema'"), 1);
	assert_int_equal(count_rows(old, "SELECT count(*) FROM sqlite_master"), 2);
	/* A missing case is not created. */
	snprintf(none, sizeof(none), "%s/sub/none.db", dir);
	st = NULL;
	assert_int_not_equal(cs_store_open_opts(none, &ro, &st), CS_OK);
	assert_non_null(strstr(cs_store_errmsg(st), "none.db"));
	cs_store_close(st);
	assert_int_not_equal(access(none, F_OK), 0);
	cs_test_rmtree(dir);
	free(dir);
}

/* A schema value that is not a number is refused and left as it is. */
static void test_schema_not_a_number(void **state)
{
	char *dir = cs_test_tmpdir(), path[512];
	struct cs_store *st = NULL;
	sqlite3 *h = NULL;
	sqlite3_stmt *q = NULL;

	(void)state;
	snprintf(path, sizeof(path), "%s/case.db", dir);
	assert_int_equal(cs_store_open(path, &st), CS_OK);
	cs_store_close(st);
	exec_sql(path, "UPDATE meta SET value = 'two' WHERE key = 'schema'");
	st = NULL;
	assert_int_equal(cs_store_open(path, &st), CS_ERR_UNSUPPORTED);
	assert_non_null(strstr(cs_store_errmsg(st), "'two', not a number"));
	cs_store_close(st);
	exec_sql(path, "UPDATE meta SET value = '1x' WHERE key = 'schema'");
	st = NULL;
	assert_int_equal(cs_store_open(path, &st), CS_ERR_UNSUPPORTED);
	cs_store_close(st);
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT value FROM meta WHERE key = 'schema'", -1,
					    &q, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "1x");
	sqlite3_finalize(q);
	sqlite3_close(h);
	cs_test_rmtree(dir);
	free(dir);
}

struct opener {
	const char *path;
	int rc;
	int waits;
	char msg[512];
};

static void count_wait(void *ud, const char *path)
{
	struct opener *o = ud;

	assert_non_null(strstr(path, "case.db"));
	o->waits++;
}

static void *open_later(void *arg)
{
	struct opener *o = arg;
	struct cs_store_opts opts = {0, 20000, count_wait, o};
	struct cs_store *st = NULL;
	struct cs_intel *in = cs_intel_new();

	o->rc = cs_store_open_opts(o->path, &opts, &st);
	if (!o->rc)
		o->rc = cs_store_load_intel(st, in);
	snprintf(o->msg, sizeof(o->msg), "%s", cs_store_errmsg(st));
	cs_store_close(st);
	cs_intel_free(in);
	return NULL;
}

/* A second connection opened while a bulk import holds the case (in
 * rollback mode) waits for it, saying so, instead of failing at once. */
static void test_open_waits_for_import(void **state)
{
	char *dir = cs_test_tmpdir(), path[512];
	struct cs_store *st = NULL;
	struct cs_intel *in = cs_intel_new();
	struct opener o;
	struct timespec pause = {0, 300000000L};
	pthread_t th;

	(void)state;
	snprintf(path, sizeof(path), "%s/case.db", dir);
	memset(&o, 0, sizeof(o));
	o.path = path;
	assert_int_equal(cs_store_open(path, &st), CS_OK);
	assert_int_equal(cs_store_import_begin(st, in), CS_OK);
	feed(in, 20000);
	assert_int_equal(pthread_create(&th, NULL, open_later, &o), 0);
	nanosleep(&pause, NULL);
	assert_int_equal(cs_store_save_intel(st, in, "bulk", NULL, NULL), CS_OK);
	pthread_join(th, NULL);
	if (o.rc)
		fail_msg("second open: %s", o.msg);
	assert_true(o.waits >= 1);
	cs_store_close(st);
	cs_intel_free(in);
	cs_test_rmtree(dir);
	free(dir);
}

/* Two imports that loaded the same set and save one after the other: the
 * second version's set size counts what the first added too. */
static void test_concurrent_saves_count(void **state)
{
	char *dir = cs_test_tmpdir(), path[512];
	struct cs_store *a = NULL, *b = NULL;
	struct cs_intel *in = cs_intel_new(), *ina = cs_intel_new(), *inb = cs_intel_new();
	int64_t v = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/case.db", dir);
	assert_int_equal(cs_store_open(path, &a), CS_OK);
	add(in, "x.csv", 1, CS_KIND_DOMAIN, "first.example", NULL, 1);
	assert_int_equal(cs_store_save_intel(a, in, "v1", NULL, NULL), CS_OK);
	assert_int_equal(cs_store_open(path, &b), CS_OK);
	assert_int_equal(cs_store_load_intel(a, ina), CS_OK);
	assert_int_equal(cs_store_load_intel(b, inb), CS_OK);
	add(ina, "a.csv", 1, CS_KIND_DOMAIN, "a.example", NULL, 1);
	add(ina, "a.csv", 2, CS_KIND_DOMAIN, "aa.example", NULL, 1);
	add(inb, "b.csv", 1, CS_KIND_DOMAIN, "b.example", NULL, 1);
	assert_int_equal(cs_store_save_intel(a, ina, "a", NULL, &v), CS_OK);
	assert_int_equal(v, 2);
	assert_int_equal(cs_store_save_intel(b, inb, "b", NULL, &v), CS_OK);
	assert_int_equal(v, 3);
	assert_int_equal(count_rows(path, "SELECT indicators FROM intel_version WHERE id = 2"), 3);
	assert_int_equal(count_rows(path, "SELECT indicators FROM intel_version WHERE id = 3"), 4);
	assert_int_equal(count_rows(path, "SELECT count(*) FROM indicator"), 4);
	cs_store_close(a);
	cs_store_close(b);
	cs_intel_free(in);
	cs_intel_free(ina);
	cs_intel_free(inb);
	cs_test_rmtree(dir);
	free(dir);
}

/* The intel stamp: the same while nothing changes (findings do not
 * count), new after every save and after an adopted bundle, different
 * between two cases with the same history, given to a case saved before
 * stamps existed, and absent from a read-only one without it. */
static void test_intel_stamp(void **state)
{
	char *dir = cs_test_tmpdir(), a[512], b[512], bundle[512];
	char s1[128], s2[128], s3[128], t1[128];
	struct cs_store *st = NULL, *st2 = NULL;
	struct cs_store_opts ro;
	struct cs_intel *in = cs_intel_new(), *in2 = cs_intel_new();
	int64_t ver;
	sqlite3 *db;

	(void)state;
	snprintf(a, sizeof(a), "%s/a.db", dir);
	snprintf(b, sizeof(b), "%s/b.db", dir);
	snprintf(bundle, sizeof(bundle), "%s/bundle.db", dir);
	assert_int_equal(cs_store_open(a, &st), CS_OK);
	assert_int_equal(cs_store_open(b, &st2), CS_OK);
	add(in, "a.csv", 1, CS_KIND_DOMAIN, "evil.example", NULL, 1);
	add(in2, "a.csv", 1, CS_KIND_DOMAIN, "evil.example", NULL, 1);
	assert_int_equal(cs_store_save_intel(st, in, "one", NULL, &ver), CS_OK);
	assert_int_equal(cs_store_save_intel(st2, in2, "one", NULL, &ver), CS_OK);
	assert_int_equal(cs_store_intel_stamp(st, s1, sizeof(s1)), CS_OK);
	assert_int_equal(cs_store_intel_stamp(st2, t1, sizeof(t1)), CS_OK);
	assert_string_not_equal(s1, t1);
	assert_int_equal(cs_store_intel_stamp(st, s2, sizeof(s2)), CS_OK);
	assert_string_equal(s1, s2);
	{
		int64_t sweep;

		assert_int_equal(cs_store_sweep_begin(st, "h", "logs", &sweep), CS_OK);
	}
	assert_int_equal(cs_store_intel_stamp(st, s2, sizeof(s2)), CS_OK);
	assert_string_equal(s1, s2);
	add(in, "b.csv", 1, CS_KIND_DOMAIN, "more.example", NULL, 1);
	assert_int_equal(cs_store_save_intel(st, in, "two", NULL, &ver), CS_OK);
	assert_int_equal(cs_store_intel_stamp(st, s2, sizeof(s2)), CS_OK);
	assert_string_not_equal(s1, s2);
	/* A bundle of b adopted into a: a's stamp changes again. */
	assert_int_equal(cs_store_export_intel(st2, bundle), CS_OK);
	assert_int_equal(cs_store_adopt_intel(st, bundle), CS_OK);
	assert_int_equal(cs_store_intel_stamp(st, s3, sizeof(s3)), CS_OK);
	assert_string_not_equal(s3, s2);
	assert_string_not_equal(s3, t1);
	assert_int_equal(cs_store_intel_stamp(st, s3 + 64, 4), CS_ERR_TOOBIG);
	cs_store_close(st);
	/* A lite bundle holds less than its case: not the case's stamp. */
	{
		struct cs_store *lite = NULL;
		uint64_t kept;

		snprintf(bundle, sizeof(bundle), "%s/lite.db", dir);
		assert_int_equal(cs_store_export_intel_lite(st2, bundle, &kept), CS_OK);
		assert_int_equal(cs_store_open(bundle, &lite), CS_OK);
		assert_int_equal(cs_store_intel_stamp(lite, s2, sizeof(s2)), CS_OK);
		assert_string_not_equal(s2, t1);
		cs_store_close(lite);
	}
	cs_store_close(st2);
	/* A case from before stamps: none in the file. */
	assert_int_equal(sqlite3_open(a, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DELETE FROM meta WHERE key = 'intel_stamp'", NULL, NULL,
	                              NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	memset(&ro, 0, sizeof(ro));
	ro.readonly = 1;
	assert_int_equal(cs_store_open_opts(a, &ro, &st), CS_OK);
	assert_int_equal(cs_store_intel_stamp(st, s1, sizeof(s1)), CS_ERR_NOTFOUND);
	cs_store_close(st);
	assert_int_equal(cs_store_open(a, &st), CS_OK);
	assert_int_equal(cs_store_intel_stamp(st, s1, sizeof(s1)), CS_OK);
	assert_string_not_equal(s1, s3);
	assert_int_equal(cs_store_intel_stamp(st, s2, sizeof(s2)), CS_OK);
	assert_string_equal(s1, s2);
	cs_store_close(st);
	cs_intel_free(in);
	cs_intel_free(in2);
	cs_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_round_trip_and_versions),
	        cmocka_unit_test(test_label_sets_shared_and_ordered),
	        cmocka_unit_test(test_migrate_schema1),
	        cmocka_unit_test(test_save_writes_only_changes),
	        cmocka_unit_test(test_software_table),
	        cmocka_unit_test(test_open_errors),
	        cmocka_unit_test(test_default_path),
	        cmocka_unit_test(test_bulk_import_same_as_save),
	        cmocka_unit_test(test_bulk_import_abort_and_nonempty),
	        cmocka_unit_test(test_open_readonly),
	        cmocka_unit_test(test_schema_not_a_number),
	        cmocka_unit_test(test_open_waits_for_import),
	        cmocka_unit_test(test_concurrent_saves_count),
	        cmocka_unit_test(test_intel_stamp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Intel bundles (docs/fleet.md, "Intel bundles"): the intel of a case as
 * a SQLite file of its own, and a case's intel replaced by a bundle's.
 *
 * The intel is every row of the tables below; everything else (sweeps,
 * findings, hosts, the file inventory, software, and any table this list
 * does not name) is the case's own and never leaves it in a bundle nor
 * is touched by an adoption.
 *
 * Compiled rules need no invalidation here: the compiled-rules cache
 * (lib/core/mcache.c) is keyed by the rule texts themselves and the file
 * inventory's YARA results by the digest of the rules they were made
 * with (cs_matcher_yara_digest), so a matcher built from the adopted
 * intel never reuses what was compiled from the old one. The intel
 * versions are the bundle's (the operator's numbering): a sweep records
 * the bundle's newest version.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chainsweep/store.h"
#include "core/core_int.h"
#include "store/store_int.h"

/* The intel tables, parents before children. The last two are created
 * when first written: a bundle or case without them holds none. */
static const char *const intel_tables[] = {
        "intel_version",         "label",       "labelset",
        "source_file",           "indicator",   "indicator_source",
        "indicator_term",        "warninglist", "warninglist_entry",
        "indicator_warninglist", "yara_source", "sigma_source",
        "import_reject",         "advisory",    "import_partial"};
#define N_REQUIRED 13

static int is_intel_table(const char *name)
{
	size_t i;

	if (strcmp(name, "meta") == 0)
		return 1;
	for (i = 0; i < CS_ARRAY_SIZE(intel_tables); i++)
		if (strcmp(name, intel_tables[i]) == 0)
			return 1;
	return 0;
}

static int run_on(struct cs_store *st, sqlite3 *db, const char *sql, const char *what)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		snprintf(st->errmsg, sizeof(st->errmsg), "%s: %s", what,
		         err ? err : "sqlite error");
		sqlite3_free(err);
		return CS_ERR_DB;
	}
	return CS_OK;
}

static void unlink_db(const char *path)
{
	char side[4096];

	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-journal", path);
	unlink(side);
}

/* Empty every table of `db` that is not intel. */
static int strip(struct cs_store *st, sqlite3 *db, const char *path)
{
	sqlite3_stmt *q = NULL;
	struct cs_buf sql;
	int r, rc = CS_OK;

	cs__buf_init(&sql, 0);
	if (sqlite3_prepare_v2(db,
	                       "SELECT name FROM sqlite_master WHERE type = 'table'"
	                       " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
	                       -1, &q, NULL) != SQLITE_OK) {
		snprintf(st->errmsg, sizeof(st->errmsg), "%s: %s", path, sqlite3_errmsg(db));
		return CS_ERR_DB;
	}
	while (!rc && (r = sqlite3_step(q)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(q, 0);

		if (!name || is_intel_table(name) || strchr(name, '"'))
			continue;
		rc = cs__buf_printf(&sql, "DELETE FROM \"%s\";", name) ? CS_ERR_NOMEM : CS_OK;
	}
	sqlite3_finalize(q);
	if (!rc && sql.len)
		rc = run_on(st, db, cs__buf_cstr(&sql), path);
	cs__buf_release(&sql);
	return rc;
}

int cs_store_export_intel(struct cs_store *st, const char *out_path)
{
	sqlite3_stmt *q = NULL;
	sqlite3 *db = NULL;
	int rc = CS_OK;

	if (!out_path || !*out_path) {
		snprintf(st->errmsg, sizeof(st->errmsg), "export: no output path");
		return CS_ERR_INVALID;
	}
	if (st->imp || st->inv_put) {
		snprintf(st->errmsg, sizeof(st->errmsg), "export: a write is in progress");
		return CS_ERR_INVALID;
	}
	/* VACUUM INTO writes only a file that does not exist. */
	unlink_db(out_path);
	if (sqlite3_prepare_v2(st->db, "VACUUM INTO ?1", -1, &q, NULL) != SQLITE_OK)
		return cs__store_fail(st, "export");
	sqlite3_bind_text(q, 1, out_path, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE) {
		snprintf(st->errmsg, sizeof(st->errmsg), "%s: %s", out_path,
		         sqlite3_errmsg(st->db));
		sqlite3_finalize(q);
		unlink_db(out_path);
		return CS_ERR_DB;
	}
	sqlite3_finalize(q);
	if (sqlite3_open_v2(out_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		snprintf(st->errmsg, sizeof(st->errmsg), "%s: %s", out_path,
		         db ? sqlite3_errmsg(db) : "cannot open");
		rc = CS_ERR_DB;
		goto out;
	}
	/* One self-contained file: no write-ahead log beside it. */
	rc = run_on(st, db, "PRAGMA journal_mode=DELETE; BEGIN", out_path);
	if (!rc)
		rc = strip(st, db, out_path);
	if (!rc)
		rc = run_on(st, db, "COMMIT", out_path);
	if (!rc)
		rc = run_on(st, db, "VACUUM", out_path);
out:
	sqlite3_close(db);
	if (rc)
		unlink_db(out_path);
	return rc;
}

int cs_store_export_intel_lite(struct cs_store *st, const char *out_path, uint64_t *kept)
{
	static const char del[] =
	        "PRAGMA journal_mode=DELETE; BEGIN;"
	        "DELETE FROM indicator_source WHERE indicator_id IN"
	        " (SELECT id FROM indicator WHERE kind IN (1, 2, 3, 4));"
	        "DELETE FROM indicator_term WHERE indicator_id IN"
	        " (SELECT id FROM indicator WHERE kind IN (1, 2, 3, 4));"
	        "DELETE FROM indicator_warninglist WHERE indicator_id IN"
	        " (SELECT id FROM indicator WHERE kind IN (1, 2, 3, 4));"
	        "DELETE FROM indicator WHERE kind IN (1, 2, 3, 4);"
	        "INSERT OR REPLACE INTO meta(key, value)"
	        " VALUES('intel_stamp', lower(hex(randomblob(16))));"
	        "COMMIT; VACUUM";
	sqlite3 *db = NULL;
	int rc;

	_Static_assert(CS_KIND_MD5 == 1 && CS_KIND_SHA1 == 2 && CS_KIND_SHA256 == 3 &&
	                   CS_KIND_SHA512 == 4,
	               "the digest kinds in the statement above");
	rc = cs_store_export_intel(st, out_path);
	if (rc)
		return rc;
	if (sqlite3_open_v2(out_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		snprintf(st->errmsg, sizeof(st->errmsg), "%s: %s", out_path,
		         db ? sqlite3_errmsg(db) : "cannot open");
		rc = CS_ERR_DB;
	} else {
		rc = run_on(st, db, del, out_path);
	}
	*kept = 0;
	if (!rc) {
		sqlite3_stmt *q = NULL;

		if (sqlite3_prepare_v2(db,
		                       "SELECT (SELECT count(*) FROM indicator) +"
		                       " (SELECT count(*) FROM yara_source) +"
		                       " (SELECT count(*) FROM sigma_source)",
		                       -1, &q, NULL) == SQLITE_OK &&
		    sqlite3_step(q) == SQLITE_ROW)
			*kept = (uint64_t)sqlite3_column_int64(q, 0);
		else {
			snprintf(st->errmsg, sizeof(st->errmsg), "%s: %s", out_path,
			         sqlite3_errmsg(db));
			rc = CS_ERR_DB;
		}
		sqlite3_finalize(q);
	}
	sqlite3_close(db);
	if (rc)
		unlink_db(out_path);
	return rc;
}

/* The text of one value of a one-row query on the store's handle, into
 * buf ("" when no row). */
static int query_text(struct cs_store *st, const char *sql, const char *arg, char *buf, size_t len)
{
	sqlite3_stmt *q = NULL;
	int r;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK)
		return CS_ERR_DB;
	if (arg)
		sqlite3_bind_text(q, 1, arg, -1, SQLITE_STATIC);
	r = sqlite3_step(q);
	if (r == SQLITE_ROW && sqlite3_column_text(q, 0))
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	return r == SQLITE_ROW || r == SQLITE_DONE ? CS_OK : CS_ERR_DB;
}

/* The columns of table `t` in schema `schema`, as a quoted list; empty
 * when the table is absent. */
static int columns(struct cs_store *st, const char *schema, const char *t, struct cs_buf *out)
{
	sqlite3_stmt *q = NULL;
	int r, rc = CS_OK;

	cs__buf_reset(out);
	if (sqlite3_prepare_v2(st->db, "SELECT name FROM pragma_table_info(?1, ?2) ORDER BY cid",
	                       -1, &q, NULL) != SQLITE_OK)
		return CS_ERR_DB;
	sqlite3_bind_text(q, 1, t, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, schema, -1, SQLITE_STATIC);
	while (!rc && (r = sqlite3_step(q)) == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(q, 0);

		if (!c || strchr(c, '"'))
			continue;
		rc = cs__buf_printf(out, "%s\"%s\"", out->len ? "," : "", c) ? CS_ERR_NOMEM : CS_OK;
	}
	if (!rc && r != SQLITE_DONE)
		rc = CS_ERR_DB;
	sqlite3_finalize(q);
	return rc;
}

/* 1 when every column of `need` (a quoted, comma-separated list) is in
 * `have` (another). */
static int has_columns(const char *need, const char *have)
{
	const char *p = need;

	while (*p == '"') {
		const char *e = strchr(p + 1, '"'), *h;
		size_t n;
		int found = 0;

		if (!e)
			return 0;
		n = (size_t)(e - p) + 1;
		for (h = have; *h == '"' && !found;) {
			const char *he = strchr(h + 1, '"');

			if (!he)
				return 0;
			found = (size_t)(he - h) + 1 == n && memcmp(h, p, n) == 0;
			h = he[1] == ',' ? he + 2 : he + 1;
		}
		if (!found)
			return 0;
		p = e[1] == ',' ? e + 2 : e + 1;
	}
	return *p == '\0';
}

/* The message names the file; SQLite's multi-line reports become one line. */
static int refuse(struct cs_store *st, const char *path, const char *why)
{
	char *p;

	snprintf(st->errmsg, sizeof(st->errmsg), "%s: not a chainsweep intel bundle: %s", path,
	         why);
	for (p = st->errmsg; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	return CS_ERR_UNSUPPORTED;
}

/*
 * Check the attached bundle: intact, a case of this schema, every intel
 * table with at least the columns the case has.
 */
static int check_bundle(struct cs_store *st, const char *path, struct cs_buf *cols,
                        struct cs_buf *bcols)
{
	char mine[32], theirs[64], ok[64];
	size_t i;
	int rc;

	if (query_text(st, "SELECT count(*) FROM cs_bundle.sqlite_master", NULL, ok, sizeof(ok)))
		return refuse(st, path, sqlite3_errmsg(st->db));
	if (query_text(st, "PRAGMA cs_bundle.quick_check(1)", NULL, ok, sizeof(ok)) ||
	    strcmp(ok, "ok") != 0)
		return refuse(st, path, ok[0] ? ok : sqlite3_errmsg(st->db));
	if (query_text(st, "SELECT value FROM main.meta WHERE key = 'schema'", NULL, mine,
	               sizeof(mine)))
		return cs__store_fail(st, "adopt");
	if (query_text(st, "SELECT value FROM cs_bundle.meta WHERE key = 'schema'", NULL, theirs,
	               sizeof(theirs)))
		return refuse(st, path, "no meta table");
	if (strcmp(mine, theirs) != 0) {
		char why[160];

		snprintf(why, sizeof(why), "its schema is '%.40s', this case's is '%s'",
		         theirs[0] ? theirs : "(none)", mine);
		return refuse(st, path, why);
	}
	for (i = 0; i < CS_ARRAY_SIZE(intel_tables); i++) {
		rc = columns(st, "main", intel_tables[i], cols);
		if (!rc)
			rc = columns(st, "cs_bundle", intel_tables[i], bcols);
		if (rc)
			return cs__store_fail(st, "adopt");
		if (!bcols->len && i >= N_REQUIRED)
			continue;
		if (!bcols->len || !has_columns(cs__buf_cstr(cols), cs__buf_cstr(bcols))) {
			char why[160];

			snprintf(why, sizeof(why), "table %s is %s", intel_tables[i],
			         bcols->len ? "missing columns" : "absent");
			return refuse(st, path, why);
		}
	}
	return CS_OK;
}

/* Replace every intel table's rows by the bundle's, in one transaction. */
static int copy_intel(struct cs_store *st, struct cs_buf *cols, struct cs_buf *bcols,
                      struct cs_buf *sql)
{
	size_t i;
	int rc = cs__store_run(st, "BEGIN IMMEDIATE");

	for (i = 0; !rc && i < CS_ARRAY_SIZE(intel_tables); i++) {
		const char *t = intel_tables[i];

		rc = columns(st, "main", t, cols);
		if (!rc)
			rc = columns(st, "cs_bundle", t, bcols);
		cs__buf_reset(sql);
		if (!rc && cs__buf_printf(sql, "DELETE FROM main.\"%s\";", t))
			rc = CS_ERR_NOMEM;
		if (!rc && bcols->len &&
		    cs__buf_printf(sql,
		                   "INSERT INTO main.\"%s\"(%s) SELECT %s FROM cs_bundle.\"%s\";",
		                   t, cs__buf_cstr(cols), cs__buf_cstr(cols), t))
			rc = CS_ERR_NOMEM;
		if (!rc)
			rc = cs__store_run(st, cs__buf_cstr(sql));
	}
	if (!rc)
		rc = cs__store_run(st, cs__store_stamp_sql);
	if (!rc)
		rc = cs__store_run(st, "COMMIT");
	if (rc) {
		char keep[sizeof(st->errmsg)];

		snprintf(keep, sizeof(keep), "adopt: %s", st->errmsg);
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		snprintf(st->errmsg, sizeof(st->errmsg), "%s", keep);
	}
	return rc;
}

int cs_store_adopt_intel(struct cs_store *st, const char *bundle_path)
{
	struct cs_buf cols, bcols, sql;
	struct stat a, b;
	sqlite3_stmt *q = NULL;
	int rc;

	if (!bundle_path || !*bundle_path) {
		snprintf(st->errmsg, sizeof(st->errmsg), "adopt: no bundle path");
		return CS_ERR_INVALID;
	}
	if (st->readonly || st->imp || st->inv_put) {
		snprintf(st->errmsg, sizeof(st->errmsg),
		         "adopt: the case is read-only or a write is in progress");
		return CS_ERR_INVALID;
	}
	if (stat(bundle_path, &b) != 0) {
		snprintf(st->errmsg, sizeof(st->errmsg), "%s: %s", bundle_path, strerror(errno));
		return CS_ERR_IO;
	}
	if (!S_ISREG(b.st_mode))
		return refuse(st, bundle_path, "not a regular file");
	if (st->path && stat(st->path, &a) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return refuse(st, bundle_path, "it is this case's own file");
	/* The optional tables, so that every intel table exists here. */
	rc = cs__store_run(st, cs__store_advisory_sql);
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(st->db, "ATTACH DATABASE ?1 AS cs_bundle", -1, &q, NULL) !=
	    SQLITE_OK)
		return cs__store_fail(st, "adopt");
	sqlite3_bind_text(q, 1, bundle_path, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return refuse(st, bundle_path, sqlite3_errmsg(st->db));
	cs__buf_init(&cols, 0);
	cs__buf_init(&bcols, 0);
	cs__buf_init(&sql, 0);
	rc = check_bundle(st, bundle_path, &cols, &bcols);
	if (!rc)
		rc = copy_intel(st, &cols, &bcols, &sql);
	sqlite3_exec(st->db, "DETACH DATABASE cs_bundle", NULL, NULL, NULL);
	cs__buf_release(&cols);
	cs__buf_release(&bcols);
	cs__buf_release(&sql);
	return rc;
}

/*
 * The file inventory in the case database: one row per (host, path) with
 * the size, times, inode, the hashes computed and the YARA rules that
 * matched. Paths are stored as blobs: a name that is not UTF-8 keeps its
 * exact bytes.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "chainsweep/store.h"
#include "store/store_int.h"

const char cs__store_inventory_sql[] =
        "CREATE TABLE IF NOT EXISTS host(\n"
        "  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,\n"
        "  yara_digest TEXT NOT NULL DEFAULT '', last_sweep INTEGER NOT NULL DEFAULT 0);\n"
        "CREATE TABLE IF NOT EXISTS file_inventory(\n"
        "  host INTEGER NOT NULL, path BLOB NOT NULL, depth INTEGER NOT NULL,\n"
        "  size INTEGER NOT NULL, mtime INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,\n"
        "  ctime INTEGER NOT NULL, inode INTEGER NOT NULL,\n"
        "  md5 TEXT, sha1 TEXT, sha256 TEXT, sha512 TEXT, yara TEXT,\n"
        "  seen INTEGER NOT NULL, gaps INTEGER NOT NULL DEFAULT 0,\n"
        "  PRIMARY KEY(host, path)) WITHOUT ROWID;\n";

int cs__store_fail(struct cs_store *st, const char *what)
{
	snprintf(st->errmsg, sizeof(st->errmsg), "%s: %s", what, sqlite3_errmsg(st->db));
	return CS_ERR_DB;
}

int cs__store_run(struct cs_store *st, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		snprintf(st->errmsg, sizeof(st->errmsg), "%s", err ? err : "sqlite error");
		sqlite3_free(err);
		return CS_ERR_DB;
	}
	return CS_OK;
}

static int fail(struct cs_store *st, const char *what)
{
	char w[64];

	snprintf(w, sizeof(w), "inventory: %s", what);
	return cs__store_fail(st, w);
}

/*
 * Create the inventory tables, or bring those of an older chainsweep up to
 * date: the `gaps` column (what a sweep could not read in each file) came
 * later; a record without it says nothing of its gaps, so an old record is
 * marked CS_GAPS_UNKNOWN and its file read again by the next sweep.
 */
static int has_gaps_column(struct cs_store *st, int *has)
{
	sqlite3_stmt *q = NULL;

	if (sqlite3_prepare_v2(st->db, "SELECT 1 FROM pragma_table_info('file_inventory')"
	                               " WHERE name = 'gaps'",
	                       -1, &q, NULL) != SQLITE_OK)
		return fail(st, "schema");
	*has = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	return CS_OK;
}

static int inventory_schema(struct cs_store *st)
{
	int rc, has = 0;

	/* Up to date: nothing to write (a case opened read-only loads). */
	rc = has_gaps_column(st, &has);
	if (rc || has)
		return rc;
	rc = cs__store_run(st, cs__store_inventory_sql);
	if (!rc)
		rc = has_gaps_column(st, &has);
	if (rc || has)
		return rc;
	return cs__store_run(st, "ALTER TABLE file_inventory ADD COLUMN gaps INTEGER NOT NULL "
	                         "DEFAULT 0;"
	                         "UPDATE file_inventory SET gaps = 1 << 63 WHERE depth = 0;");
}

int cs__store_host_id(struct cs_store *st, const char *host, int create, int64_t *id)
{
	sqlite3_stmt *q = NULL;
	int r;

	*id = 0;
	if (create) {
		if (sqlite3_prepare_v2(st->db, "INSERT OR IGNORE INTO host(name) VALUES(?)", -1, &q,
		                       NULL) != SQLITE_OK)
			return fail(st, "host");
		sqlite3_bind_text(q, 1, host, -1, SQLITE_STATIC);
		r = sqlite3_step(q);
		sqlite3_finalize(q);
		if (r != SQLITE_DONE)
			return fail(st, "host");
	}
	if (sqlite3_prepare_v2(st->db, "SELECT id FROM host WHERE name = ?", -1, &q, NULL) !=
	    SQLITE_OK)
		return fail(st, "host");
	sqlite3_bind_text(q, 1, host, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW)
		*id = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return CS_OK;
}

int cs_store_inventory_begin(struct cs_store *st, const char *host)
{
	int rc;

	if (st->inv_put)
		return CS_ERR_INVALID;
	rc = inventory_schema(st);
	if (!rc)
		rc = cs__store_run(st, "BEGIN IMMEDIATE");
	if (rc)
		return rc;
	rc = cs__store_host_id(st, host, 1, &st->inv_host);
	if (!rc &&
	    sqlite3_prepare_v2(st->db,
	                       "INSERT OR REPLACE INTO file_inventory(host, path, depth, size, "
	                       "mtime, mtime_ns, ctime, inode, md5, sha1, sha256, sha512, "
	                       "yara, seen, gaps) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	                       -1, &st->inv_put, NULL) != SQLITE_OK)
		rc = fail(st, "prepare");
	if (rc) {
		cs__store_run(st, "ROLLBACK");
		return rc;
	}
	st->inv_time = (int64_t)time(NULL);
	return CS_OK;
}

static void bind_opt(sqlite3_stmt *q, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, i);
}

int cs_store_inventory_put(struct cs_store *st, const struct cs_file_record *r)
{
	sqlite3_stmt *q = st->inv_put;
	int rc = CS_OK;

	if (!q)
		return CS_ERR_INVALID;
	sqlite3_bind_int64(q, 1, st->inv_host);
	sqlite3_bind_blob(q, 2, r->path, (int)strlen(r->path), SQLITE_STATIC);
	sqlite3_bind_int(q, 3, (int)r->member_depth);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)r->size);
	sqlite3_bind_int64(q, 5, r->mtime);
	sqlite3_bind_int64(q, 6, r->mtime_ns);
	sqlite3_bind_int64(q, 7, r->ctime);
	sqlite3_bind_int64(q, 8, (sqlite3_int64)r->inode);
	bind_opt(q, 9, r->md5);
	bind_opt(q, 10, r->sha1);
	bind_opt(q, 11, r->sha256);
	bind_opt(q, 12, r->sha512);
	bind_opt(q, 13, r->yara);
	sqlite3_bind_int64(q, 14, st->inv_time);
	sqlite3_bind_int64(q, 15, (sqlite3_int64)r->gaps);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = fail(st, "write");
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return rc;
}

int cs_store_inventory_end(struct cs_store *st, int commit, const char *yara_digest)
{
	sqlite3_stmt *q = NULL;
	int rc = CS_OK;

	if (!st->inv_put)
		return CS_ERR_INVALID;
	sqlite3_finalize(st->inv_put);
	st->inv_put = NULL;
	if (!commit)
		return cs__store_run(st, "ROLLBACK");
	if (sqlite3_prepare_v2(st->db,
	                       "UPDATE host SET yara_digest = ?, last_sweep = ? WHERE id = ?", -1,
	                       &q, NULL) != SQLITE_OK) {
		rc = fail(st, "host");
	} else {
		sqlite3_bind_text(q, 1, yara_digest ? yara_digest : "", -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, st->inv_time);
		sqlite3_bind_int64(q, 3, st->inv_host);
		if (sqlite3_step(q) != SQLITE_DONE)
			rc = fail(st, "host");
		sqlite3_finalize(q);
	}
	if (rc) {
		cs__store_run(st, "ROLLBACK");
		return rc;
	}
	return cs__store_run(st, "COMMIT");
}

static const char *col_text(sqlite3_stmt *q, int i)
{
	return sqlite3_column_type(q, i) == SQLITE_NULL ? NULL
	                                                : (const char *)sqlite3_column_text(q, i);
}

int cs_store_inventory_load(struct cs_store *st, const char *host, struct cs_inventory *inv,
                            char *digest, size_t digest_len)
{
	sqlite3_stmt *q = NULL;
	int64_t id;
	int rc, r;

	if (digest_len)
		digest[0] = '\0';
	/* A case that never held an inventory has none to load (and may be
	 * open read-only, where it cannot be made). */
	if (sqlite3_prepare_v2(st->db,
	                       "SELECT 1 FROM sqlite_master WHERE name = 'file_inventory'", -1,
	                       &q, NULL) != SQLITE_OK)
		return fail(st, "load");
	r = sqlite3_step(q);
	sqlite3_finalize(q);
	q = NULL;
	if (r != SQLITE_ROW) {
		cs_inventory_seal(inv);
		return CS_OK;
	}
	rc = inventory_schema(st);
	if (!rc)
		rc = cs__store_host_id(st, host, 0, &id);
	if (rc)
		return rc;
	if (!id) {
		cs_inventory_seal(inv);
		return CS_OK;
	}
	if (sqlite3_prepare_v2(st->db, "SELECT yara_digest FROM host WHERE id = ?", -1, &q, NULL) !=
	    SQLITE_OK)
		return fail(st, "host");
	sqlite3_bind_int64(q, 1, id);
	if (sqlite3_step(q) == SQLITE_ROW && digest_len)
		snprintf(digest, digest_len, "%s", (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	if (sqlite3_prepare_v2(
	            st->db,
	            "SELECT path, depth, size, mtime, mtime_ns, ctime, inode, md5, sha1, "
	            "sha256, sha512, yara, gaps FROM file_inventory WHERE host = ?",
	            -1, &q, NULL) != SQLITE_OK)
		return fail(st, "load");
	sqlite3_bind_int64(q, 1, id);
	while (!rc && (r = sqlite3_step(q)) == SQLITE_ROW) {
		struct cs_file_record rec;
		char path[16384];
		int n = sqlite3_column_bytes(q, 0);
		char *big = NULL;

		memset(&rec, 0, sizeof(rec));
		if ((size_t)n < sizeof(path)) {
			memcpy(path, sqlite3_column_blob(q, 0), (size_t)n);
			path[n] = '\0';
			rec.path = path;
		} else {
			big = sqlite3_mprintf("%.*s", n, (const char *)sqlite3_column_blob(q, 0));
			if (!big) {
				rc = CS_ERR_NOMEM;
				break;
			}
			rec.path = big;
		}
		rec.member_depth = (unsigned)sqlite3_column_int(q, 1);
		rec.size = (uint64_t)sqlite3_column_int64(q, 2);
		rec.mtime = sqlite3_column_int64(q, 3);
		rec.mtime_ns = sqlite3_column_int64(q, 4);
		rec.ctime = sqlite3_column_int64(q, 5);
		rec.inode = (uint64_t)sqlite3_column_int64(q, 6);
		rec.md5 = col_text(q, 7);
		rec.sha1 = col_text(q, 8);
		rec.sha256 = col_text(q, 9);
		rec.sha512 = col_text(q, 10);
		rec.yara = col_text(q, 11);
		rec.gaps = (uint64_t)sqlite3_column_int64(q, 12);
		rc = cs_inventory_add(inv, &rec);
		sqlite3_free(big);
	}
	if (!rc && r != SQLITE_DONE)
		rc = fail(st, "load");
	sqlite3_finalize(q);
	cs_inventory_seal(inv);
	return rc;
}

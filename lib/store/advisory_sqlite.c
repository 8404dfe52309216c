/*
 * OSV advisories and partly read sources in the case database, written
 * in the transaction of an intel version (cs_store_save_intel) and read
 * by the software sweeps and `intel stats` (docs/case-database.md).
 *
 * advisory: one row per (id, modified), the record's JSON as it was read,
 * with where it came from (path) and the intel version that first brought
 * it. A record with a newer `modified` time is a new row; the sweeps read
 * only the newest row of each id. The same (id, modified) imported again
 * keeps its first row.
 *
 * import_partial: the files of an intel version whose reader stopped
 * part-way, and why. What was read of them is in the version; the row
 * says it is not all the file held.
 *
 * Both tables are created when first written, so a database from before
 * them reads as holding none.
 */
#include <stdio.h>
#include <string.h>

#include "intel/intel_int.h"
#include "store/store_int.h"

const char cs__store_advisory_sql[] =
	"CREATE TABLE IF NOT EXISTS advisory(\n"
	"  id TEXT NOT NULL, modified TEXT NOT NULL, withdrawn INTEGER NOT NULL DEFAULT 0,\n"
	"  path TEXT NOT NULL, version INTEGER NOT NULL, json TEXT NOT NULL,\n"
	"  UNIQUE(id, modified));\n"
	"CREATE TABLE IF NOT EXISTS import_partial(\n"
	"  version INTEGER NOT NULL, path TEXT NOT NULL, reason TEXT NOT NULL);\n";

static int step(struct cs_store *st, sqlite3_stmt *q, const char *what)
{
	int r = sqlite3_step(q);

	sqlite3_reset(q);
	return r == SQLITE_DONE ? CS_OK : cs__store_fail(st, what);
}

/*
 * Inside the save of version `ver`: the advisories the set kept since its
 * last save, and the files read only in part. `stats` may count more
 * partial files than the set could note (out of memory for the note):
 * those get a row without a name, so the version never looks whole.
 */
int cs__store_save_advisories(struct cs_store *st, const struct cs_intel *in, int64_t ver,
			      const struct cs_import_stats *stats)
{
	sqlite3_stmt *q = NULL;
	size_t i, n = cs__intel_advisory_count(in), np = cs__intel_partial_count(in);
	int rc = CS_OK;

	if (!n && !np && !(stats && stats->files_partial))
		return CS_OK;
	rc = cs__store_run(st, cs__store_advisory_sql);
	if (rc)
		return rc;
	if (n && sqlite3_prepare_v2(st->db,
				    "INSERT INTO advisory(id, modified, withdrawn, path, version,"
				    " json) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"
				    " ON CONFLICT(id, modified) DO NOTHING",
				    -1, &q, NULL) != SQLITE_OK)
		return cs__store_fail(st, "prepare advisory");
	for (i = 0; !rc && i < n; i++) {
		const char *mod, *path, *json;
		const char *id;
		size_t len;
		int wd;

		id = cs__intel_advisory(in, i, &mod, &path, &wd, &json, &len);
		sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, mod, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 3, wd);
		sqlite3_bind_text(q, 4, path, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 5, ver);
		sqlite3_bind_text(q, 6, json, (int)len, SQLITE_STATIC);
		rc = step(st, q, "save advisory");
	}
	sqlite3_finalize(q);
	q = NULL;
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(st->db,
			       "INSERT INTO import_partial(version, path, reason) VALUES(?1, ?2, ?3)",
			       -1, &q, NULL) != SQLITE_OK)
		return cs__store_fail(st, "prepare partial");
	for (i = 0; !rc && (i < np || (stats && i < stats->files_partial)); i++) {
		const char *reason = "stopped part-way (the file's name was not kept: out of memory)";
		const char *path = i < np ? cs__intel_partial(in, i, &reason) : "-";

		sqlite3_bind_int64(q, 1, ver);
		sqlite3_bind_text(q, 2, path, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, reason, -1, SQLITE_STATIC);
		rc = step(st, q, "save partial source");
	}
	sqlite3_finalize(q);
	return rc;
}

int cs_store_advisories(struct cs_store *st, cs_advisory_row_fn fn, void *ud)
{
	sqlite3_stmt *q = NULL;
	int rc = cs__store_has_table(st, "advisory");

	if (rc <= 0)
		return rc;
	/* The newest record of each id; ties on the time cannot happen (the
	 * key is unique). */
	if (sqlite3_prepare_v2(st->db,
			       "SELECT a.id, a.modified, a.path, a.version, a.json FROM advisory a"
			       " WHERE NOT EXISTS (SELECT 1 FROM advisory b WHERE b.id = a.id"
			       " AND b.modified > a.modified) ORDER BY a.id",
			       -1, &q, NULL) != SQLITE_OK)
		return cs__store_fail(st, "advisories");
	rc = CS_OK;
	while (!rc) {
		struct cs_advisory_row r;
		int s = sqlite3_step(q);

		if (s == SQLITE_DONE)
			break;
		if (s != SQLITE_ROW) {
			rc = cs__store_fail(st, "advisories");
			break;
		}
		r.id = (const char *)sqlite3_column_text(q, 0);
		r.modified = (const char *)sqlite3_column_text(q, 1);
		r.path = (const char *)sqlite3_column_text(q, 2);
		r.version = sqlite3_column_int64(q, 3);
		r.json = (const char *)sqlite3_column_text(q, 4);
		r.len = (size_t)sqlite3_column_bytes(q, 4);
		if (!r.id || !r.modified || !r.path || !r.json) {
			rc = CS_ERR_NOMEM;
			break;
		}
		rc = fn(ud, &r);
	}
	sqlite3_finalize(q);
	return rc;
}

int cs_store_advisory_counts(struct cs_store *st, struct cs_store_advisory_counts *out)
{
	sqlite3_stmt *q = NULL;
	int rc = cs__store_has_table(st, "advisory");

	if (rc < 0)
		return rc;
	memset(out, 0, sizeof(*out));
	if (!rc)
		return CS_OK;
	/* Counted over the newest record of each id, as the sweeps read them. */
	if (sqlite3_prepare_v2(st->db,
			       "SELECT (SELECT count(*) FROM advisory), count(*),"
			       " coalesce(sum(withdrawn), 0),"
			       " coalesce(sum(substr(id, 1, 4) = 'MAL-'), 0) FROM advisory a"
			       " WHERE NOT EXISTS (SELECT 1 FROM advisory b WHERE b.id = a.id"
			       " AND b.modified > a.modified)",
			       -1, &q, NULL) != SQLITE_OK)
		return cs__store_fail(st, "advisory counts");
	if (sqlite3_step(q) == SQLITE_ROW) {
		out->records = (uint64_t)sqlite3_column_int64(q, 0);
		out->ids = (uint64_t)sqlite3_column_int64(q, 1);
		out->withdrawn = (uint64_t)sqlite3_column_int64(q, 2);
		out->malicious = (uint64_t)sqlite3_column_int64(q, 3);
		rc = CS_OK;
	} else {
		rc = cs__store_fail(st, "advisory counts");
	}
	sqlite3_finalize(q);
	return rc;
}

int cs_store_version_partials(struct cs_store *st, int64_t version, cs_partial_fn fn, void *ud)
{
	sqlite3_stmt *q = NULL;
	int rc = cs__store_has_table(st, "import_partial");

	if (rc <= 0)
		return rc;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT path, reason FROM import_partial WHERE version = ?1"
			       " ORDER BY rowid",
			       -1, &q, NULL) != SQLITE_OK)
		return cs__store_fail(st, "partial sources");
	sqlite3_bind_int64(q, 1, version);
	rc = CS_OK;
	while (!rc && sqlite3_step(q) == SQLITE_ROW)
		rc = fn(ud, (const char *)sqlite3_column_text(q, 0),
			(const char *)sqlite3_column_text(q, 1));
	sqlite3_finalize(q);
	return rc;
}

/*
 * Sweeps and findings in the case database (docs/case-database.md).
 *
 * A finding is one row per (host, kind, evidence, location, indicator):
 * seeing it again in a later sweep widens its first/last seen, adds to its
 * count and records the sweep, so a case keeps one line per fact however
 * often the hosts are swept.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "chainsweep/store.h"
#include "store/store_int.h"

const char cs__store_findings_sql[] =
        "CREATE TABLE IF NOT EXISTS sweep(\n"
        "  id INTEGER PRIMARY KEY, host INTEGER NOT NULL, started INTEGER NOT NULL,\n"
        "  finished INTEGER NOT NULL DEFAULT 0, intel_version INTEGER NOT NULL,\n"
        "  what TEXT NOT NULL, coverage TEXT, incomplete INTEGER NOT NULL DEFAULT 0);\n"
        "CREATE TABLE IF NOT EXISTS finding(\n"
        "  id INTEGER PRIMARY KEY, host INTEGER NOT NULL, kind INTEGER NOT NULL,\n"
        "  evidence TEXT NOT NULL, location BLOB NOT NULL, observed TEXT,\n"
        "  ind_kind TEXT NOT NULL, ind_value TEXT NOT NULL,\n"
        "  first_seen INTEGER NOT NULL DEFAULT 0, last_seen INTEGER NOT NULL DEFAULT 0,\n"
        "  count INTEGER NOT NULL DEFAULT 0, first_sweep INTEGER NOT NULL,\n"
        "  last_sweep INTEGER NOT NULL, sha256 TEXT, sha1 TEXT, md5 TEXT, process TEXT,\n"
        "  UNIQUE(host, kind, evidence, location, ind_kind, ind_value));\n";

/* Does the finding table have the `process` column (added for process
 * findings; a case written before has not)? */
static int has_process_col(struct cs_store *st)
{
	sqlite3_stmt *q = NULL;
	int ok = sqlite3_prepare_v2(st->db, "SELECT process FROM finding LIMIT 0", -1, &q, NULL) ==
	         SQLITE_OK;

	sqlite3_finalize(q);
	return ok;
}

/* A writable case from before process findings gets the column. */
static int add_process_col(struct cs_store *st)
{
	if (has_process_col(st))
		return CS_OK;
	return cs__store_run(st, "ALTER TABLE finding ADD COLUMN process TEXT");
}

static int fail(struct cs_store *st, const char *what)
{
	char w[64];

	snprintf(w, sizeof(w), "findings: %s", what);
	return cs__store_fail(st, w);
}

static int64_t latest_intel(struct cs_store *st)
{
	sqlite3_stmt *q = NULL;
	int64_t v = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT max(id) FROM intel_version", -1, &q, NULL) ==
	            SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

/*
 * Before reading the sweep tables: a writable handle creates them when
 * absent (1); a read-only one cannot, and an absent `table` means there
 * is nothing to read (0). CS_ERR_DB on error.
 */
static int readable(struct cs_store *st, const char *table)
{
	if (!st->readonly) {
		if (cs__store_run(st, cs__store_inventory_sql) ||
		    cs__store_run(st, cs__store_findings_sql) || add_process_col(st))
			return CS_ERR_DB;
		return 1;
	}
	if (cs__store_has_table(st, "host") == 0)
		return 0;
	return cs__store_has_table(st, table);
}

int cs_store_sweep_begin(struct cs_store *st, const char *host, const char *what, int64_t *sweep)
{
	sqlite3_stmt *q = NULL;
	int64_t hid;
	int rc;

	*sweep = 0;
	rc = cs__store_run(st, cs__store_inventory_sql);
	if (!rc)
		rc = cs__store_run(st, cs__store_findings_sql);
	if (!rc)
		rc = add_process_col(st);
	if (!rc)
		rc = cs__store_host_id(st, host, 1, &hid);
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(
	            st->db, "INSERT INTO sweep(host, started, intel_version, what) VALUES(?,?,?,?)",
	            -1, &q, NULL) != SQLITE_OK)
		return fail(st, "sweep");
	sqlite3_bind_int64(q, 1, hid);
	sqlite3_bind_int64(q, 2, (int64_t)time(NULL));
	sqlite3_bind_int64(q, 3, latest_intel(st));
	sqlite3_bind_text(q, 4, what, -1, SQLITE_STATIC);
	rc = sqlite3_step(q) == SQLITE_DONE ? CS_OK : fail(st, "sweep");
	sqlite3_finalize(q);
	if (!rc)
		*sweep = sqlite3_last_insert_rowid(st->db);
	return rc;
}

int cs_store_sweep_end(struct cs_store *st, int64_t sweep, const char *coverage, int incomplete)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if (sqlite3_prepare_v2(
	            st->db,
	            "UPDATE sweep SET finished = ?, coverage = ?, incomplete = ? WHERE id = ?", -1,
	            &q, NULL) != SQLITE_OK)
		return fail(st, "sweep");
	sqlite3_bind_int64(q, 1, (int64_t)time(NULL));
	sqlite3_bind_text(q, 2, coverage ? coverage : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 3, incomplete);
	sqlite3_bind_int64(q, 4, sweep);
	rc = sqlite3_step(q) == SQLITE_DONE ? CS_OK : fail(st, "sweep");
	sqlite3_finalize(q);
	return rc;
}

static void bind_opt(sqlite3_stmt *q, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(q, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(q, i);
}

int cs_store_finding_put(struct cs_store *st, int64_t sweep, const struct cs_finding_rec *f)
{
	static const char sql[] =
	        "INSERT INTO finding(host, kind, evidence, location, observed, ind_kind, ind_value,"
	        " first_seen, last_seen, count, first_sweep, last_sweep, sha256, sha1, md5,"
	        " process)"
	        " SELECT host, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?1, ?1, ?11, ?12, ?13, ?14"
	        " FROM sweep WHERE id = ?1"
	        " ON CONFLICT(host, kind, evidence, location, ind_kind, ind_value) DO UPDATE SET"
	        "  first_seen = CASE WHEN first_seen = 0 OR (excluded.first_seen <> 0 AND"
	        "   excluded.first_seen < first_seen) THEN excluded.first_seen ELSE first_seen END,"
	        "  last_seen = max(last_seen, excluded.last_seen),"
	        /* A log re-read by a later sweep holds the same lines again: a
	         * log finding counts lines (the most seen), a file finding the
	         * sweeps that saw it. */
	        "  count = CASE WHEN kind = 2 THEN max(count, excluded.count)"
	        "   ELSE count + excluded.count END, last_sweep = excluded.last_sweep,"
	        "  observed = excluded.observed,"
	        "  sha256 = coalesce(excluded.sha256, sha256), sha1 = coalesce(excluded.sha1, "
	        "sha1),"
	        "  md5 = coalesce(excluded.md5, md5),"
	        "  process = coalesce(excluded.process, process)";
	sqlite3_stmt *q = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK)
		return fail(st, "finding");
	sqlite3_bind_int64(q, 1, sweep);
	sqlite3_bind_int(q, 2, (int)f->kind);
	sqlite3_bind_text(q, 3, f->evidence ? f->evidence : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(q, 4, f->location ? f->location : "",
	                  (int)strlen(f->location ? f->location : ""), SQLITE_TRANSIENT);
	bind_opt(q, 5, f->observed);
	sqlite3_bind_text(q, 6, f->ind_kind ? f->ind_kind : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 7, f->ind_value ? f->ind_value : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 8, f->first_seen_ms);
	sqlite3_bind_int64(q, 9, f->last_seen_ms);
	sqlite3_bind_int64(q, 10, (sqlite3_int64)(f->count ? f->count : 1));
	bind_opt(q, 11, f->sha256);
	bind_opt(q, 12, f->sha1);
	bind_opt(q, 13, f->md5);
	bind_opt(q, 14, f->process);
	rc = sqlite3_step(q) == SQLITE_DONE ? CS_OK : fail(st, "finding");
	sqlite3_finalize(q);
	return rc;
}

int cs_store_findings(struct cs_store *st, const char *host, int kind, cs_finding_fn_db fn,
                      void *ud)
{
	sqlite3_stmt *q = NULL;
	int rc = CS_OK, r;
	char sql[512];

	rc = readable(st, "finding");
	if (rc <= 0)
		return rc;
	rc = CS_OK;
	snprintf(sql, sizeof(sql), "%s%s%s",
	         "SELECT h.name, f.kind, f.evidence, f.location, f.observed, f.ind_kind,"
	         " f.ind_value, f.first_seen, f.last_seen, f.count, f.sha256, f.sha1,"
	         " f.md5, f.first_sweep, f.last_sweep, ",
	         has_process_col(st) ? "f.process" : "NULL",
	         " FROM finding f JOIN host h ON h.id = f.host"
	         " WHERE (?1 IS NULL OR h.name = ?1) AND (?2 = 0 OR f.kind = ?2)"
	         " ORDER BY h.name, f.kind, f.first_seen, f.location");
	if (sqlite3_prepare_v2(
	            st->db, sql,
	            -1, &q, NULL) != SQLITE_OK)
		return fail(st, "findings");
	if (host)
		sqlite3_bind_text(q, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, kind);
	while (!rc && (r = sqlite3_step(q)) == SQLITE_ROW) {
		struct cs_finding_rec f;
		char loc[8192];
		int n = sqlite3_column_bytes(q, 3);
		int64_t sweeps[2];

		memset(&f, 0, sizeof(f));
		if ((size_t)n >= sizeof(loc))
			n = sizeof(loc) - 1;
		memcpy(loc, sqlite3_column_blob(q, 3), (size_t)n);
		loc[n] = '\0';
		f.host = (const char *)sqlite3_column_text(q, 0);
		f.kind = (enum cs_finding_kind)sqlite3_column_int(q, 1);
		f.evidence = (const char *)sqlite3_column_text(q, 2);
		f.location = loc;
		f.observed = (const char *)sqlite3_column_text(q, 4);
		f.ind_kind = (const char *)sqlite3_column_text(q, 5);
		f.ind_value = (const char *)sqlite3_column_text(q, 6);
		f.first_seen_ms = sqlite3_column_int64(q, 7);
		f.last_seen_ms = sqlite3_column_int64(q, 8);
		f.count = (uint64_t)sqlite3_column_int64(q, 9);
		f.sha256 = (const char *)sqlite3_column_text(q, 10);
		f.sha1 = (const char *)sqlite3_column_text(q, 11);
		f.md5 = (const char *)sqlite3_column_text(q, 12);
		f.process = (const char *)sqlite3_column_text(q, 15);
		f.confidence = -1;
		sweeps[0] = sqlite3_column_int64(q, 13);
		sweeps[1] = sqlite3_column_int64(q, 14);
		rc = fn(ud, &f, sweeps[0], sweeps[1]);
	}
	if (!rc && r != SQLITE_DONE)
		rc = fail(st, "findings");
	sqlite3_finalize(q);
	return rc;
}

int cs_store_sweeps(struct cs_store *st, cs_sweep_fn fn, void *ud)
{
	sqlite3_stmt *q = NULL;
	int rc = CS_OK, r;

	rc = readable(st, "sweep");
	if (rc <= 0)
		return rc;
	rc = CS_OK;
	/* The last finished sweep of each host (`scan software` runs, which
	 * record only packages, have no coverage to report). */
	if (sqlite3_prepare_v2(st->db,
			       "SELECT h.name, s.id, s.started, s.finished, s.intel_version,"
			       " s.coverage, s.incomplete FROM sweep s JOIN host h ON h.id = s.host"
			       " WHERE s.id = (SELECT max(id) FROM sweep t WHERE t.host = s.host"
			       " AND t.finished <> 0 AND t.what <> 'software') ORDER BY h.name",
			       -1, &q, NULL) != SQLITE_OK)
		return fail(st, "sweeps");
	while (!rc && (r = sqlite3_step(q)) == SQLITE_ROW) {
		struct cs_sweep_info si;

		si.host = (const char *)sqlite3_column_text(q, 0);
		si.id = sqlite3_column_int64(q, 1);
		si.started = sqlite3_column_int64(q, 2);
		si.finished = sqlite3_column_int64(q, 3);
		si.intel_version = sqlite3_column_int64(q, 4);
		si.coverage = (const char *)sqlite3_column_text(q, 5);
		si.incomplete = sqlite3_column_int(q, 6);
		rc = fn(ud, &si);
	}
	if (!rc && r != SQLITE_DONE)
		rc = fail(st, "sweeps");
	sqlite3_finalize(q);
	return rc;
}

static int ensure_sweep_tables(struct cs_store *st)
{
	int rc = cs__store_run(st, cs__store_inventory_sql);

	if (!rc)
		rc = cs__store_run(st, cs__store_findings_sql);
	return rc ? rc : add_process_col(st);
}

int cs_store_restore_begin(struct cs_store *st)
{
	int rc;

	if (!st || st->readonly)
		return CS_ERR_INVALID;
	rc = ensure_sweep_tables(st);
	return rc ? rc : cs__store_run(st, "BEGIN IMMEDIATE");
}

int cs_store_restore_end(struct cs_store *st, int commit)
{
	if (!st)
		return CS_ERR_INVALID;
	return cs__store_run(st, commit ? "COMMIT" : "ROLLBACK");
}

int cs_store_sweep_restore(struct cs_store *st, const struct cs_sweep_info *s, const char *what,
			   int64_t *sweep)
{
	sqlite3_stmt *q = NULL;
	int64_t hid;
	int rc;

	if (!st || !s || !s->host || !what || !sweep)
		return CS_ERR_INVALID;
	rc = ensure_sweep_tables(st);
	if (!rc)
		rc = cs__store_host_id(st, s->host, 1, &hid);
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(st->db,
			       "INSERT INTO sweep(host, started, finished, intel_version, what,"
			       " coverage, incomplete) VALUES(?,?,?,?,?,?,?)",
			       -1, &q, NULL) != SQLITE_OK)
		return fail(st, "sweep");
	sqlite3_bind_int64(q, 1, hid);
	sqlite3_bind_int64(q, 2, s->started);
	sqlite3_bind_int64(q, 3, s->finished);
	sqlite3_bind_int64(q, 4, s->intel_version);
	sqlite3_bind_text(q, 5, what, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, s->coverage ? s->coverage : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 7, s->incomplete != 0);
	rc = sqlite3_step(q) == SQLITE_DONE ? CS_OK : fail(st, "sweep");
	sqlite3_finalize(q);
	if (!rc)
		*sweep = sqlite3_last_insert_rowid(st->db);
	return rc;
}

int cs_store_finding_restore(struct cs_store *st, int64_t first_sweep, int64_t last_sweep,
			     const struct cs_finding_rec *f)
{
	static const char sql[] =
	        "INSERT INTO finding(host, kind, evidence, location, observed, ind_kind, ind_value,"
	        " first_seen, last_seen, count, first_sweep, last_sweep, sha256, sha1, md5,"
	        " process)"
	        " SELECT host, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?1, ?15, ?11, ?12, ?13, ?14"
	        " FROM sweep WHERE id = ?1"
	        " ON CONFLICT(host, kind, evidence, location, ind_kind, ind_value) DO UPDATE SET"
	        "  first_seen = CASE WHEN first_seen = 0 OR (excluded.first_seen <> 0 AND"
	        "   excluded.first_seen < first_seen) THEN excluded.first_seen ELSE first_seen END,"
	        "  last_seen = max(last_seen, excluded.last_seen),"
	        "  count = CASE WHEN kind = 2 THEN max(count, excluded.count)"
	        "   ELSE count + excluded.count END,"
	        "  first_sweep = min(first_sweep, excluded.first_sweep),"
	        "  last_sweep = max(last_sweep, excluded.last_sweep),"
	        "  observed = coalesce(excluded.observed, observed),"
	        "  sha256 = coalesce(excluded.sha256, sha256), sha1 = coalesce(excluded.sha1, sha1),"
	        "  md5 = coalesce(excluded.md5, md5),"
	        "  process = coalesce(excluded.process, process)";
	sqlite3_stmt *q = NULL;
	int rc;

	if (!st || !f)
		return CS_ERR_INVALID;
	if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK)
		return fail(st, "finding");
	sqlite3_bind_int64(q, 1, first_sweep);
	sqlite3_bind_int(q, 2, (int)f->kind);
	sqlite3_bind_text(q, 3, f->evidence ? f->evidence : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(q, 4, f->location ? f->location : "",
	                  (int)strlen(f->location ? f->location : ""), SQLITE_TRANSIENT);
	bind_opt(q, 5, f->observed);
	sqlite3_bind_text(q, 6, f->ind_kind ? f->ind_kind : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 7, f->ind_value ? f->ind_value : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 8, f->first_seen_ms);
	sqlite3_bind_int64(q, 9, f->last_seen_ms);
	sqlite3_bind_int64(q, 10, (sqlite3_int64)(f->count > INT64_MAX ? INT64_MAX : f->count));
	bind_opt(q, 11, f->sha256);
	bind_opt(q, 12, f->sha1);
	bind_opt(q, 13, f->md5);
	bind_opt(q, 14, f->process);
	sqlite3_bind_int64(q, 15, last_sweep);
	rc = sqlite3_step(q) == SQLITE_DONE ? CS_OK : fail(st, "finding");
	if (!rc && sqlite3_changes(st->db) == 0)
		rc = fail(st, "finding: no such sweep");
	sqlite3_finalize(q);
	return rc;
}

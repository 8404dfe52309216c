/*
 * What software sweeps found installed, per host (docs/case-database.md).
 *
 * One row per (host, source file, ecosystem, name, version): a later
 * sweep that sees the same package again only moves its last sweep, so
 * the table is the history of what each host ran; a row is "current" when
 * the host's latest software sweep saw it. The exposure analysis reads
 * it (docs/exposure.md).
 */
#include <stdio.h>
#include <string.h>

#include "chainsweep/store.h"
#include "store/store_int.h"

static const char software_sql[] =
        "CREATE TABLE IF NOT EXISTS software(\n"
        "  id INTEGER PRIMARY KEY, host INTEGER NOT NULL, source TEXT NOT NULL,\n"
        "  entry TEXT, ecosystem TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL,\n"
        "  purl TEXT, platform TEXT, vendor TEXT, reader TEXT,\n"
        "  install_time INTEGER NOT NULL DEFAULT 0,\n"
        "  install_time_source INTEGER NOT NULL DEFAULT 0,\n"
        "  first_sweep INTEGER NOT NULL, last_sweep INTEGER NOT NULL,\n"
        "  UNIQUE(host, source, ecosystem, name, version));\n"
        "CREATE INDEX IF NOT EXISTS software_name ON software(name);\n";

static int fail(struct cs_store *st, const char *what)
{
	char w[64];

	snprintf(w, sizeof(w), "software: %s", what);
	return cs__store_fail(st, w);
}

static void bind_opt(sqlite3_stmt *q, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, i);
}

static int ensure(struct cs_store *st)
{
	int rc = cs__store_run(st, cs__store_inventory_sql);

	if (!rc)
		rc = cs__store_run(st, cs__store_findings_sql);
	return rc ? rc : cs__store_run(st, software_sql);
}

int cs_store_software_save(struct cs_store *st, int64_t sweep, const struct cs_pkgset *ps)
{
	static const char sql[] =
	        "INSERT INTO software(host, source, entry, ecosystem, name, version, purl,"
	        " platform, vendor, reader, install_time, install_time_source, first_sweep,"
	        " last_sweep)"
	        " SELECT host, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?1, ?1"
	        " FROM sweep WHERE id = ?1"
	        " ON CONFLICT(host, source, ecosystem, name, version) DO UPDATE SET"
	        "  last_sweep = excluded.last_sweep, entry = excluded.entry,"
	        "  purl = coalesce(excluded.purl, purl),"
	        "  platform = coalesce(excluded.platform, platform),"
	        "  vendor = coalesce(excluded.vendor, vendor), reader = excluded.reader,"
	        "  install_time = CASE WHEN excluded.install_time <> 0"
	        "   THEN excluded.install_time ELSE install_time END,"
	        "  install_time_source = CASE WHEN excluded.install_time <> 0"
	        "   THEN excluded.install_time_source ELSE install_time_source END";
	sqlite3_stmt *q = NULL;
	size_t i, n;
	int rc;

	if (!st || !ps)
		return CS_ERR_INVALID;
	rc = ensure(st);
	if (!rc)
		rc = cs__store_run(st, "BEGIN IMMEDIATE");
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK) {
		rc = fail(st, "prepare");
		goto out;
	}
	n = cs_pkgset_count(ps);
	for (i = 0; i < n && !rc; i++) {
		const struct cs_package *p = cs_pkgset_at(ps, i);

		if (!p->name || !p->version)
			continue;
		sqlite3_reset(q);
		sqlite3_bind_int64(q, 1, sweep);
		sqlite3_bind_text(q, 2, p->file ? p->file : "", -1, SQLITE_STATIC);
		bind_opt(q, 3, p->entry);
		sqlite3_bind_text(q, 4, cs_ecosystem_name(p->ecosystem), -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 5, p->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 6, p->version, -1, SQLITE_STATIC);
		bind_opt(q, 7, p->purl);
		bind_opt(q, 8, p->platform);
		bind_opt(q, 9, p->vendor);
		bind_opt(q, 10, p->reader);
		sqlite3_bind_int64(q, 11, p->install_time);
		sqlite3_bind_int(q, 12, (int)p->install_time_source);
		if (sqlite3_step(q) != SQLITE_DONE)
			rc = fail(st, "insert");
	}
out:
	sqlite3_finalize(q);
	if (rc) {
		cs__store_run(st, "ROLLBACK");
		return rc;
	}
	return cs__store_run(st, "COMMIT");
}

int cs_store_software(struct cs_store *st, const char *host, cs_software_rec_fn fn, void *ud)
{
	sqlite3_stmt *q = NULL;
	int rc, r = SQLITE_DONE;

	if (!st || !fn)
		return CS_ERR_INVALID;
	rc = ensure(st);
	if (rc)
		return rc;
	/* The host's latest software sweep once per host, not per row (a
	 * correlated max() per row took 14 s over 500,000 rows). */
	if (sqlite3_prepare_v2(
	            st->db,
	            "WITH cur(host, m) AS (SELECT host, max(last_sweep) FROM software GROUP BY "
	            "host)"
	            " SELECT h.name, s.source, s.entry, s.ecosystem, s.name, s.version, s.purl,"
	            " s.platform, s.vendor, s.reader, s.install_time, s.install_time_source,"
	            " s.first_sweep, s.last_sweep, s.last_sweep = cur.m, coalesce(w.finished, 0)"
	            " FROM software s JOIN host h ON h.id = s.host JOIN cur ON cur.host = s.host"
	            " LEFT JOIN sweep w ON w.id = s.last_sweep"
	            " WHERE (?1 IS NULL OR h.name = ?1)"
	            " ORDER BY h.name, s.name, s.version, s.source",
	            -1, &q, NULL) != SQLITE_OK)
		return fail(st, "select");
	if (host)
		sqlite3_bind_text(q, 1, host, -1, SQLITE_STATIC);
	while (!rc && (r = sqlite3_step(q)) == SQLITE_ROW) {
		struct cs_software_rec s;

		memset(&s, 0, sizeof(s));
		s.host = (const char *)sqlite3_column_text(q, 0);
		s.source = (const char *)sqlite3_column_text(q, 1);
		s.entry = (const char *)sqlite3_column_text(q, 2);
		s.ecosystem = (const char *)sqlite3_column_text(q, 3);
		s.name = (const char *)sqlite3_column_text(q, 4);
		s.version = (const char *)sqlite3_column_text(q, 5);
		s.purl = (const char *)sqlite3_column_text(q, 6);
		s.platform = (const char *)sqlite3_column_text(q, 7);
		s.vendor = (const char *)sqlite3_column_text(q, 8);
		s.reader = (const char *)sqlite3_column_text(q, 9);
		s.install_time = sqlite3_column_int64(q, 10);
		s.install_time_source = sqlite3_column_int(q, 11);
		s.first_sweep = sqlite3_column_int64(q, 12);
		s.last_sweep = sqlite3_column_int64(q, 13);
		s.current = sqlite3_column_int(q, 14);
		s.last_seen = sqlite3_column_int64(q, 15);
		rc = fn(ud, &s);
	}
	if (!rc && r != SQLITE_DONE)
		rc = fail(st, "select");
	sqlite3_finalize(q);
	return rc;
}

int cs_store_software_restore(struct cs_store *st, int64_t first_sweep, int64_t last_sweep,
			      const struct cs_software_rec *r)
{
	static const char sql[] =
	        "INSERT INTO software(host, source, entry, ecosystem, name, version, purl,"
	        " platform, vendor, reader, install_time, install_time_source, first_sweep,"
	        " last_sweep)"
	        " SELECT host, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?1, ?13"
	        " FROM sweep WHERE id = ?1"
	        " ON CONFLICT(host, source, ecosystem, name, version) DO UPDATE SET"
	        "  first_sweep = min(first_sweep, excluded.first_sweep),"
	        "  last_sweep = max(last_sweep, excluded.last_sweep)";
	sqlite3_stmt *q = NULL;
	int rc;

	if (!st || !r || !r->source || !r->ecosystem || !r->name || !r->version)
		return CS_ERR_INVALID;
	rc = ensure(st);
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK)
		return fail(st, "restore");
	sqlite3_bind_int64(q, 1, first_sweep);
	sqlite3_bind_text(q, 2, r->source, -1, SQLITE_STATIC);
	bind_opt(q, 3, r->entry);
	sqlite3_bind_text(q, 4, r->ecosystem, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, r->version, -1, SQLITE_STATIC);
	bind_opt(q, 7, r->purl);
	bind_opt(q, 8, r->platform);
	bind_opt(q, 9, r->vendor);
	bind_opt(q, 10, r->reader);
	sqlite3_bind_int64(q, 11, r->install_time);
	sqlite3_bind_int(q, 12, r->install_time_source);
	sqlite3_bind_int64(q, 13, last_sweep);
	rc = sqlite3_step(q) == SQLITE_DONE ? CS_OK : fail(st, "restore");
	if (!rc && sqlite3_changes(st->db) == 0)
		rc = fail(st, "restore: no such sweep");
	sqlite3_finalize(q);
	return rc;
}

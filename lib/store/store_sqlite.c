/*
 * The case database on SQLite: schema, versioned save of an indicator set,
 * and loading it back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "chainsweep/store.h"
#include "intel/intel_int.h"

#define CS_SCHEMA_VERSION 2
#define CS_STR_(x) #x
#define CS_STR(x) CS_STR_(x)

#include "store/store_int.h"

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);\n"
	"CREATE TABLE IF NOT EXISTS intel_version(\n"
	"  id INTEGER PRIMARY KEY, created INTEGER NOT NULL, note TEXT,\n"
	"  files INTEGER, accepted INTEGER, rejected INTEGER, indicators INTEGER);\n"
	"CREATE TABLE IF NOT EXISTS indicator(\n"
	"  id INTEGER PRIMARY KEY, kind INTEGER NOT NULL, value TEXT NOT NULL,\n"
	"  flags INTEGER NOT NULL DEFAULT 0, confidence INTEGER NOT NULL DEFAULT -1,\n"
	"  valid_from INTEGER NOT NULL DEFAULT 0, valid_until INTEGER NOT NULL DEFAULT 0,\n"
	"  labelset INTEGER NOT NULL DEFAULT 0, added_version INTEGER NOT NULL);\n"
	"CREATE UNIQUE INDEX IF NOT EXISTS indicator_key ON indicator(kind, value);\n"
	"CREATE TABLE IF NOT EXISTS label(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);\n"
	"CREATE TABLE IF NOT EXISTS labelset(id INTEGER PRIMARY KEY, members TEXT NOT NULL UNIQUE);\n"
	"CREATE TABLE IF NOT EXISTS source_file(\n"
	"  id INTEGER PRIMARY KEY, path TEXT NOT NULL, format TEXT NOT NULL,\n"
	"  UNIQUE(path, format));\n"
	"CREATE TABLE IF NOT EXISTS indicator_source(\n"
	"  indicator_id INTEGER NOT NULL, file_id INTEGER NOT NULL, line INTEGER NOT NULL,\n"
	"  ref TEXT NOT NULL, description TEXT, version INTEGER NOT NULL,\n"
	"  labelset INTEGER NOT NULL DEFAULT 0,\n"
	"  PRIMARY KEY(indicator_id, file_id, line, ref)) WITHOUT ROWID;\n"
	"CREATE TABLE IF NOT EXISTS indicator_term(\n"
	"  indicator_id INTEGER NOT NULL, seq INTEGER NOT NULL, kind INTEGER NOT NULL,\n"
	"  value TEXT NOT NULL, obs INTEGER NOT NULL DEFAULT 0,\n"
	"  PRIMARY KEY(indicator_id, seq)) WITHOUT ROWID;\n"
	"CREATE TABLE IF NOT EXISTS warninglist(\n"
	"  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, type TEXT NOT NULL,\n"
	"  kinds INTEGER NOT NULL, version INTEGER NOT NULL);\n"
	"CREATE TABLE IF NOT EXISTS warninglist_entry(\n"
	"  list_id INTEGER NOT NULL, seq INTEGER NOT NULL, value TEXT NOT NULL,\n"
	"  PRIMARY KEY(list_id, seq)) WITHOUT ROWID;\n"
	"CREATE TABLE IF NOT EXISTS indicator_warninglist(\n"
	"  indicator_id INTEGER NOT NULL, list_id INTEGER NOT NULL,\n"
	"  PRIMARY KEY(indicator_id, list_id)) WITHOUT ROWID;\n"
	"CREATE TABLE IF NOT EXISTS yara_source(\n"
	"  id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, text TEXT NOT NULL,\n"
	"  version INTEGER NOT NULL);\n"
	"CREATE TABLE IF NOT EXISTS sigma_source(\n"
	"  id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, text TEXT NOT NULL,\n"
	"  version INTEGER NOT NULL);\n"
	"CREATE TABLE IF NOT EXISTS import_reject(\n"
	"  version INTEGER NOT NULL, reason TEXT NOT NULL, count INTEGER NOT NULL);\n";

const char cs__store_stamp_sql[] =
	"INSERT OR REPLACE INTO meta(key, value) VALUES('intel_stamp', lower(hex(randomblob(16))))";

static int db_fail(struct cs_store *st, const char *what)
{
	snprintf(st->errmsg, sizeof(st->errmsg), "%s: %s", what, sqlite3_errmsg(st->db));
	return CS_ERR_DB;
}

static int exec(struct cs_store *st, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		snprintf(st->errmsg, sizeof(st->errmsg), "%s", err ? err : "sqlite error");
		sqlite3_free(err);
		return CS_ERR_DB;
	}
	return CS_OK;
}

/* mkdir -p of the folder holding `path`. */
static int make_parent(const char *path)
{
	char *dir = cs__strdup(path), *p;
	int rc = CS_OK;

	if (!dir)
		return CS_ERR_NOMEM;
	p = strrchr(dir, '/');
	if (p && p != dir) {
		*p = '\0';
		for (p = dir + 1; *p; p++) {
			if (*p != '/')
				continue;
			*p = '\0';
			if (mkdir(dir, 0700) != 0 && errno != EEXIST)
				rc = CS_ERR_IO;
			*p = '/';
		}
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			rc = CS_ERR_IO;
	}
	free(dir);
	return rc;
}

int cs_store_default_path(char *buf, size_t len)
{
	const char *env = getenv("CHAINSWEEP_DB"), *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	int n;

	if (env && *env)
		n = snprintf(buf, len, "%s", env);
	else if (xdg && *xdg)
		n = snprintf(buf, len, "%s/chainsweep/case.db", xdg);
	else
		n = snprintf(buf, len, "%s/.local/share/chainsweep/case.db",
			     home && *home ? home : ".");
	return n < 0 || (size_t)n >= len ? CS_ERR_TOOBIG : CS_OK;
}

/*
 * Bring a database written by an older chainsweep up to this schema.
 * Schema 2 gave each indicator source the labels it gave itself
 * (indicator_source.labelset); older sources keep 0, "not recorded".
 */
static int migrate(struct cs_store *st)
{
	sqlite3_stmt *q = NULL;
	int has = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT 1 FROM pragma_table_info('indicator_source')"
				       " WHERE name = 'labelset'",
			       -1, &q, NULL) != SQLITE_OK)
		return db_fail(st, "schema check");
	has = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	if (has)
		return CS_OK;
	return exec(st, "ALTER TABLE indicator_source ADD COLUMN labelset INTEGER NOT NULL"
			" DEFAULT 0");
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * One more wait for a lock another connection holds: `count` 0 starts a
 * wait (and tells the caller's on_wait). Sleeps a little and returns 1
 * while the busy timeout has not run out, else 0. SQLite's busy handler
 * and the open's own retries (where SQLite does not call the handler)
 * share it.
 */
static int busy_wait(struct cs_store *st, int count)
{
	int64_t waited;
	struct timespec ts;
	long ms;

	if (count == 0) {
		st->wait_start_ms = now_ms();
		if (st->on_wait)
			st->on_wait(st->wait_ud, st->path ? st->path : "");
	}
	waited = now_ms() - st->wait_start_ms;
	if (waited >= (int64_t)st->busy_ms)
		return 0;
	ms = count < 5 ? 10L << count : 200;
	if (ms > (int64_t)st->busy_ms - waited)
		ms = (long)((int64_t)st->busy_ms - waited);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
	return 1;
}

static int on_busy(void *ud, int count)
{
	return busy_wait(ud, count);
}

/*
 * exec() that waits when the database is busy even where SQLite returns
 * SQLITE_BUSY at once: changing the journal mode while another connection
 * writes in rollback mode is refused without calling the busy handler
 * (waiting there could deadlock), but nothing is held between two tries
 * here, so waiting is safe.
 */
static int exec_wait(struct cs_store *st, const char *sql)
{
	int n = 0;

	for (;;) {
		int rc = exec(st, sql), ec = sqlite3_errcode(st->db) & 0xff;

		if (!rc || (ec != SQLITE_BUSY && ec != SQLITE_LOCKED))
			return rc;
		if (!busy_wait(st, n++))
			return rc;
	}
}

int cs__store_has_table(struct cs_store *st, const char *table)
{
	sqlite3_stmt *q = NULL;
	int r;

	if (sqlite3_prepare_v2(st->db, "SELECT 1 FROM sqlite_master WHERE type = 'table'"
				       " AND name = ?1",
			       -1, &q, NULL) != SQLITE_OK)
		return db_fail(st, "schema check");
	sqlite3_bind_text(q, 1, table, -1, SQLITE_STATIC);
	r = sqlite3_step(q);
	sqlite3_finalize(q);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return db_fail(st, "schema check");
	return r == SQLITE_ROW;
}

/*
 * The schema number the database records: CS_OK with *v (0 when there is
 * no meta table or no schema row). A value that is not a plain decimal
 * number is refused, never rewritten.
 */
static int schema_of(struct cs_store *st, const char *path, int *v)
{
	sqlite3_stmt *q = NULL;
	const unsigned char *t;
	int r, n = 0, i;

	*v = 0;
	r = cs__store_has_table(st, "meta");
	if (r <= 0)
		return r;
	if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = 'schema'", -1, &q,
			       NULL) != SQLITE_OK)
		return db_fail(st, "schema check");
	r = sqlite3_step(q);
	if (r == SQLITE_DONE) {
		sqlite3_finalize(q);
		return CS_OK;
	}
	if (r != SQLITE_ROW) {
		sqlite3_finalize(q);
		return db_fail(st, "schema check");
	}
	t = sqlite3_column_text(q, 0);
	for (i = 0; t && t[i] >= '0' && t[i] <= '9' && i < 9; i++)
		n = n * 10 + (t[i] - '0');
	if (!t || i == 0 || t[i]) {
		snprintf(st->errmsg, sizeof(st->errmsg),
			 "%s: its schema number is '%.40s', not a number: not a chainsweep case"
			 " database, or a damaged one",
			 path, t ? (const char *)t : "");
		sqlite3_finalize(q);
		return CS_ERR_UNSUPPORTED;
	}
	sqlite3_finalize(q);
	*v = n;
	return CS_OK;
}

/* "file:" URI of `path` with immutable=1 (sqlite3_open_v2 with
 * SQLITE_OPEN_URI): every byte but unreserved ones and '/' %-encoded. */
static char *immutable_uri(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	struct cs_buf b;
	const unsigned char *p;
	int rc;

	cs__buf_init(&b, 0);
	rc = cs__buf_adds(&b, "file:");
	for (p = (const unsigned char *)path; !rc && *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("/-._~", *p)) {
			rc = cs__buf_addc(&b, (char)*p);
		} else {
			char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};

			rc = cs__buf_add(&b, e, 3);
		}
	}
	if (!rc)
		rc = cs__buf_adds(&b, "?immutable=1");
	if (rc) {
		cs__buf_release(&b);
		return NULL;
	}
	return cs__buf_detach(&b);
}

/*
 * Open read-only. A first read tells whether the write-ahead log's
 * shared-memory file could be had; when it cannot (a read-only folder, a
 * full disk) and there is no -wal file, or an empty one, no writer is at
 * work and the main file is the whole database: it is read as immutable.
 */
static int open_readonly(struct cs_store *st, const char *path)
{
	struct stat wst;
	char *wal = NULL, *uri = NULL;
	int r, ec, rc;
	size_t n;

	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto fail_open;
	sqlite3_busy_handler(st->db, on_busy, st);
	r = sqlite3_exec(st->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
	ec = sqlite3_errcode(st->db) & 0xff;
	if (r == SQLITE_OK)
		return CS_OK;
	if (ec != SQLITE_READONLY && ec != SQLITE_CANTOPEN && ec != SQLITE_IOERR && ec != SQLITE_FULL)
		goto fail_open;
	n = strlen(path) + 5;
	wal = cs__malloc(n);
	if (!wal)
		return CS_ERR_NOMEM;
	snprintf(wal, n, "%s-wal", path);
	/* An empty log (left by a writer that could not write) holds
	 * nothing the main file lacks. */
	if (stat(wal, &wst) == 0 ? wst.st_size != 0 : errno != ENOENT) {
		free(wal);
		goto fail_open;
	}
	free(wal);
	uri = immutable_uri(path);
	if (!uri)
		return CS_ERR_NOMEM;
	sqlite3_close(st->db);
	st->db = NULL;
	rc = sqlite3_open_v2(uri, &st->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	free(uri);
	if (rc != SQLITE_OK)
		goto fail_open;
	sqlite3_busy_handler(st->db, on_busy, st);
	return CS_OK;
fail_open:
	snprintf(st->errmsg, sizeof(st->errmsg), "%s: %s", path,
		 st->db ? sqlite3_errmsg(st->db) : "cannot open");
	return CS_ERR_DB;
}

int cs_store_open(const char *path, struct cs_store **out)
{
	return cs_store_open_opts(path, NULL, out);
}

int cs_store_open_opts(const char *path, const struct cs_store_opts *o, struct cs_store **out)
{
	struct cs_store *st = cs__calloc(1, sizeof(*st));
	sqlite3_stmt *q = NULL;
	int rc, v;

	*out = st;
	if (!st)
		return CS_ERR_NOMEM;
	st->path = cs__strdup(path);
	if (!st->path)
		return CS_ERR_NOMEM;
	st->busy_ms = o && o->busy_timeout_ms ? o->busy_timeout_ms : 10000;
	st->on_wait = o ? o->on_wait : NULL;
	st->wait_ud = o ? o->userdata : NULL;
	st->readonly = o && o->readonly;
	if (st->readonly) {
		rc = open_readonly(st, path);
		if (!rc)
			rc = exec(st, "PRAGMA cache_size=-65536");
		if (!rc)
			rc = schema_of(st, path, &v);
		if (rc)
			return rc;
		if (v == CS_SCHEMA_VERSION)
			return CS_OK;
		if (!v)
			snprintf(st->errmsg, sizeof(st->errmsg),
				 "%s: not a chainsweep case database (no schema)", path);
		else if (v > CS_SCHEMA_VERSION)
			snprintf(st->errmsg, sizeof(st->errmsg),
				 "%s: written by a newer chainsweep (schema %d > %d)", path, v,
				 CS_SCHEMA_VERSION);
		else
			snprintf(st->errmsg, sizeof(st->errmsg),
				 "%s: written by an older chainsweep (schema %d < %d): a command"
				 " that writes the case upgrades it",
				 path, v, CS_SCHEMA_VERSION);
		return CS_ERR_UNSUPPORTED;
	}
	if (make_parent(path)) {
		snprintf(st->errmsg, sizeof(st->errmsg), "%s: cannot create its folder: %s", path,
			 strerror(errno));
		return CS_ERR_IO;
	}
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		snprintf(st->errmsg, sizeof(st->errmsg), "%s: %s", path,
			 st->db ? sqlite3_errmsg(st->db) : "cannot open");
		return CS_ERR_DB;
	}
	sqlite3_busy_handler(st->db, on_busy, st);
	/* A 64 MB page cache: the default 2 MB spills a million-row save into
	 * the WAL half-way through its transaction. Another import may hold
	 * the file in rollback mode for its bulk write (save_begin): switching
	 * to WAL then waits for it. */
	rc = exec_wait(st, "PRAGMA journal_mode=WAL");
	if (!rc)
		rc = exec(st, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
			      " PRAGMA cache_size=-65536;");
	if (!rc)
		rc = exec_wait(st, schema_sql);
	if (rc) {
		char tmp[sizeof(st->errmsg)];

		snprintf(tmp, sizeof(tmp), "%s", st->errmsg);
		snprintf(st->errmsg, sizeof(st->errmsg), "%s: %s", path, tmp);
		return rc;
	}
	rc = schema_of(st, path, &v);
	if (rc)
		return rc;
	if (v > CS_SCHEMA_VERSION) {
		snprintf(st->errmsg, sizeof(st->errmsg),
			 "%s: written by a newer chainsweep (schema %d > %d)", path, v,
			 CS_SCHEMA_VERSION);
		return CS_ERR_UNSUPPORTED;
	}
	if (v == CS_SCHEMA_VERSION)
		return CS_OK;
	rc = migrate(st);
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(st->db, "INSERT INTO meta(key, value) VALUES('schema', ?1)"
				       " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
			       -1, &q, NULL) != SQLITE_OK)
		return db_fail(st, "schema");
	sqlite3_bind_text(q, 1, CS_STR(CS_SCHEMA_VERSION), -1, SQLITE_STATIC);
	rc = sqlite3_step(q) == SQLITE_DONE ? CS_OK : db_fail(st, "schema");
	sqlite3_finalize(q);
	return rc;
}

void cs_store_close(struct cs_store *st)
{
	if (!st)
		return;
	if (st->inv_put)
		cs_store_inventory_end(st, 0, NULL); /* an unfinished sweep: roll back */
	cs_store_import_abort(st);           /* an unfinished import: roll back */
	for (size_t i = 0; i < CS_ARRAY_SIZE(st->kq); i++)
		sqlite3_finalize(st->kq[i]);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

const char *cs_store_errmsg(const struct cs_store *st)
{
	return st ? st->errmsg : "out of memory";
}

/* Prepared statements of one save, finalized together. */
enum {
	Q_IND_INS,
	Q_IND_UPD,
	Q_LABEL_INS,
	Q_LABEL_ID,
	Q_SET_INS,
	Q_SET_ID,
	Q_FILE_INS,
	Q_FILE_ID,
	Q_SRC,
	Q_TERM,
	Q_WL_UPSERT,
	Q_WL_DEL,
	Q_WL_ENTRY,
	Q_IND_WL,
	Q_IND_WL_DEL,
	Q_WL_ID,
	Q_YARA,
	Q_SIGMA,
	Q_REJECT,
	Q_COUNT
};

static const char *const save_sql[Q_COUNT] = {
	[Q_IND_INS] = "INSERT OR IGNORE INTO indicator(kind, value, flags, confidence, valid_from,"
		      " valid_until, labelset, added_version)"
		      " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[Q_IND_UPD] = "UPDATE indicator SET flags = ?3, confidence = ?4, valid_from = ?5,"
		      " valid_until = ?6, labelset = ?7 WHERE kind = ?1 AND value = ?2 RETURNING id",
	[Q_LABEL_INS] = "INSERT OR IGNORE INTO label(name) VALUES(?1)",
	[Q_LABEL_ID] = "SELECT id FROM label WHERE name = ?1",
	[Q_SET_INS] = "INSERT OR IGNORE INTO labelset(members) VALUES(?1)",
	[Q_SET_ID] = "SELECT id FROM labelset WHERE members = ?1",
	[Q_FILE_INS] = "INSERT OR IGNORE INTO source_file(path, format) VALUES(?1, ?2)",
	[Q_FILE_ID] = "SELECT id FROM source_file WHERE path = ?1 AND format = ?2",
	[Q_SRC] = "INSERT INTO indicator_source(indicator_id, file_id, line, ref,"
		  " description, version, labelset) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"
		  " ON CONFLICT DO UPDATE SET description = coalesce(description,"
		  " excluded.description), labelset = CASE WHEN excluded.labelset = 0"
		  " THEN labelset ELSE excluded.labelset END",
	[Q_TERM] = "INSERT OR IGNORE INTO indicator_term(indicator_id, seq, kind, value, obs)"
		   " VALUES(?1, ?2, ?3, ?4, ?5)",
	[Q_WL_UPSERT] = "INSERT INTO warninglist(name, type, kinds, version) VALUES(?1, ?2, ?3, ?4)"
			" ON CONFLICT(name) DO UPDATE SET type = excluded.type,"
			" kinds = excluded.kinds, version = excluded.version RETURNING id",
	[Q_WL_DEL] = "DELETE FROM warninglist_entry WHERE list_id = ?1",
	[Q_WL_ENTRY] = "INSERT INTO warninglist_entry(list_id, seq, value) VALUES(?1, ?2, ?3)",
	[Q_IND_WL] = "INSERT OR IGNORE INTO indicator_warninglist(indicator_id, list_id)"
		     " VALUES(?1, ?2)",
	[Q_IND_WL_DEL] = "DELETE FROM indicator_warninglist WHERE indicator_id = ?1",
	[Q_WL_ID] = "SELECT id FROM warninglist WHERE name = ?1",
	[Q_YARA] = "INSERT INTO yara_source(path, text, version) VALUES(?1, ?2, ?3)"
		   " ON CONFLICT(path) DO UPDATE SET text = excluded.text,"
		   " version = excluded.version WHERE text IS NOT excluded.text",
	[Q_SIGMA] = "INSERT INTO sigma_source(path, text, version) VALUES(?1, ?2, ?3)"
		    " ON CONFLICT(path) DO UPDATE SET text = excluded.text,"
		    " version = excluded.version WHERE text IS NOT excluded.text",
	[Q_REJECT] = "INSERT INTO import_reject(version, reason, count) VALUES(?1, ?2, ?3)",
};

static int step_done(struct cs_store *st, sqlite3_stmt *q, const char *what)
{
	int r = sqlite3_step(q);

	sqlite3_reset(q);
	if (r != SQLITE_DONE && r != SQLITE_ROW)
		return db_fail(st, what);
	return CS_OK;
}

static void bind_text(sqlite3_stmt *q, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, i);
}

/*
 * The database id of a unique text (a label name through Q_LABEL_INS/_ID,
 * a label set through Q_SET_INS/_ID), inserted when new. Ids are cached
 * in a map for the duration of a save.
 */
static int text_id(struct cs_store *st, sqlite3_stmt *ins, sqlite3_stmt *sel,
		   struct cs_map *cache, const char *text, int64_t *id)
{
	uint32_t v;
	int rc;

	if (cs__map_get(cache, text, strlen(text), &v)) {
		*id = v;
		return CS_OK;
	}
	bind_text(ins, 1, text);
	rc = step_done(st, ins, "save label");
	if (rc)
		return rc;
	bind_text(sel, 1, text);
	if (sqlite3_step(sel) != SQLITE_ROW) {
		sqlite3_reset(sel);
		return db_fail(st, "label id");
	}
	*id = sqlite3_column_int64(sel, 0);
	sqlite3_reset(sel);
	if (*id > UINT32_MAX)
		return CS_ERR_TOOBIG;
	return cs__map_put(cache, text, strlen(text), (uint32_t)*id);
}

/* Per-save caches of label, label-set and source-file ids, and a
 * scratch key. */
struct save_cache {
	struct cs_map labels;
	struct cs_map sets;
	struct cs_map label_vecs; /* the bytes of an interned label vector -> set id */
	struct cs_map files;
	struct cs_buf key;
	/* The previous indicator's answers. The set's strings are interned,
	 * so equal pointers mean equal text: consecutive indicators of one
	 * file or event hit these without building a key. */
	const char *last_file, *last_format;
	int64_t last_file_id;
	const char **last_labels;
	size_t nlast_labels, caplast_labels;
	int64_t last_set_id;
	const char **ind_labels; /* scratch: an indicator's labels */
	size_t capind_labels;
};

/*
 * The id of a source file as read by one reader: each is stored once, so
 * a million sources of one file do not repeat its path.
 */
static int source_file_id(struct cs_store *st, sqlite3_stmt **q, struct save_cache *c,
			  const struct cs_source_info *si, int64_t *id)
{
	const char *path = si->file ? si->file : "", *fmt = si->format ? si->format : "";
	uint32_t v;
	int rc;

	if (c->last_file_id && si->file == c->last_file && si->format == c->last_format) {
		*id = c->last_file_id;
		return CS_OK;
	}
	c->last_file = si->file;
	c->last_format = si->format;
	cs__buf_reset(&c->key);
	if ((rc = cs__buf_adds(&c->key, fmt)) || (rc = cs__buf_addc(&c->key, '\0')) ||
	    (rc = cs__buf_adds(&c->key, path)))
		return rc;
	if (cs__map_get(&c->files, c->key.data, c->key.len, &v)) {
		*id = c->last_file_id = v;
		return CS_OK;
	}
	bind_text(q[Q_FILE_INS], 1, path);
	bind_text(q[Q_FILE_INS], 2, fmt);
	rc = step_done(st, q[Q_FILE_INS], "save source file");
	if (rc)
		return rc;
	bind_text(q[Q_FILE_ID], 1, path);
	bind_text(q[Q_FILE_ID], 2, fmt);
	if (sqlite3_step(q[Q_FILE_ID]) != SQLITE_ROW) {
		sqlite3_reset(q[Q_FILE_ID]);
		return db_fail(st, "source file id");
	}
	*id = sqlite3_column_int64(q[Q_FILE_ID], 0);
	sqlite3_reset(q[Q_FILE_ID]);
	if (*id > UINT32_MAX)
		return CS_ERR_TOOBIG;
	c->last_file_id = *id;
	return cs__map_put(&c->files, c->key.data, c->key.len, (uint32_t)*id);
}

/*
 * An indicator's labels are stored as a label set: the label ids in the
 * indicator's order, "3,1,2". Indicators of one file or event share one
 * set, so a million indicators need a few rows instead of millions.
 * 0 means no labels.
 */
static int labelset_id(struct cs_store *st, sqlite3_stmt **q, struct save_cache *c,
		       const char *const *v, size_t n, int64_t *id)
{
	int64_t lid;
	uint32_t got;
	size_t j;
	int rc;

	*id = 0;
	if (!n)
		return CS_OK;
	if (n == c->nlast_labels && memcmp(v, c->last_labels, n * sizeof(*v)) == 0) {
		*id = c->last_set_id;
		return CS_OK;
	}
	/* Interned: the same labels in the same order are the same pointers,
	 * so the vector itself is a key for the set seen before. */
	if (!cs__map_get(&c->label_vecs, v, n * sizeof(*v), &got)) {
		cs__buf_reset(&c->key);
		for (j = 0; j < n; j++) {
			rc = text_id(st, q[Q_LABEL_INS], q[Q_LABEL_ID], &c->labels, v[j], &lid);
			if (!rc)
				rc = cs__buf_printf(&c->key, "%s%lld", j ? "," : "", (long long)lid);
			if (rc)
				return rc;
		}
		rc = text_id(st, q[Q_SET_INS], q[Q_SET_ID], &c->sets, cs__buf_cstr(&c->key), &lid);
		if (!rc)
			rc = cs__map_put(&c->label_vecs, v, n * sizeof(*v), (uint32_t)lid);
		if (rc)
			return rc;
		got = (uint32_t)lid;
	}
	if (cs__grow((void **)&c->last_labels, &c->caplast_labels, n, sizeof(*c->last_labels)))
		return CS_ERR_NOMEM;
	memcpy(c->last_labels, v, n * sizeof(*v));
	c->nlast_labels = n;
	*id = c->last_set_id = got;
	return CS_OK;
}

/* The label set of an indicator's merged labels. */
static int indicator_labelset(struct cs_store *st, sqlite3_stmt **q, struct save_cache *c,
			      const struct cs_intel *in, const struct cs_indicator *ind,
			      int64_t *id)
{
	size_t j, n = cs_indicator_label_count(ind);

	if (cs__grow((void **)&c->ind_labels, &c->capind_labels, n ? n : 1,
		     sizeof(*c->ind_labels)))
		return CS_ERR_NOMEM;
	for (j = 0; j < n; j++)
		c->ind_labels[j] = cs_indicator_label(in, ind, j);
	return labelset_id(st, q, c, c->ind_labels, n, id);
}

/* Bind the merged fields of an indicator: ?1 kind .. ?7 label set. */
static void bind_indicator(sqlite3_stmt *s, const struct cs_indicator *ind, int64_t set)
{
	sqlite3_bind_int(s, 1, (int)cs_indicator_kind(ind));
	bind_text(s, 2, cs_indicator_value(ind));
	sqlite3_bind_int(s, 3, (int)cs_indicator_flags(ind));
	sqlite3_bind_int(s, 4, cs_indicator_confidence(ind));
	sqlite3_bind_int64(s, 5, cs_indicator_valid_from(ind));
	sqlite3_bind_int64(s, 6, cs_indicator_valid_until(ind));
	sqlite3_bind_int64(s, 7, set);
}

/*
 * Insert a new indicator, or update the merged fields of a stored one
 * (its id never changes). A plain insert comes first: on a fresh import
 * nearly every indicator is new, and then it costs one statement.
 */
static int save_indicator(struct cs_store *st, sqlite3_stmt **q, struct save_cache *c,
			  const struct cs_intel *in, const struct cs_indicator *ind,
			  int64_t version, int64_t *wl_ids)
{
	sqlite3_stmt *qi = q[Q_IND_INS], *qu = q[Q_IND_UPD];
	int64_t id, set, fid, sset;
	size_t j;
	int rc;

	rc = indicator_labelset(st, q, c, in, ind, &set);
	if (rc)
		return rc;
	bind_indicator(qi, ind, set);
	sqlite3_bind_int64(qi, 8, version);
	rc = step_done(st, qi, "save indicator");
	if (rc)
		return rc;
	if (sqlite3_changes(st->db) == 1) {
		id = sqlite3_last_insert_rowid(st->db);
	} else {
		/* Stored before: its marks are rewritten below. */
		bind_indicator(qu, ind, set);
		if (sqlite3_step(qu) != SQLITE_ROW) {
			sqlite3_reset(qu);
			return db_fail(st, "update indicator");
		}
		id = sqlite3_column_int64(qu, 0);
		sqlite3_reset(qu);
		sqlite3_bind_int64(q[Q_IND_WL_DEL], 1, id);
		rc = step_done(st, q[Q_IND_WL_DEL], "replace warninglist marks");
		if (rc)
			return rc;
	}
	for (j = 0; j < cs_indicator_source_count(ind); j++) {
		struct cs_source_info si;

		cs_indicator_source(in, ind, j, &si);
		rc = source_file_id(st, q, c, &si, &fid);
		if (!rc)
			rc = labelset_id(st, q, c, si.labels, si.nlabels, &sset);
		if (rc)
			return rc;
		sqlite3_bind_int64(q[Q_SRC], 1, id);
		sqlite3_bind_int64(q[Q_SRC], 2, fid);
		sqlite3_bind_int64(q[Q_SRC], 3, (sqlite3_int64)si.line);
		bind_text(q[Q_SRC], 4, si.ref ? si.ref : "");
		bind_text(q[Q_SRC], 5, si.description);
		sqlite3_bind_int64(q[Q_SRC], 6, version);
		sqlite3_bind_int64(q[Q_SRC], 7, sset);
		rc = step_done(st, q[Q_SRC], "save source");
		if (rc)
			return rc;
	}
	for (j = 0; j < cs_indicator_term_count(ind); j++) {
		const char *tv;
		enum cs_kind tk = cs_indicator_term(ind, j, &tv);

		sqlite3_bind_int64(q[Q_TERM], 1, id);
		sqlite3_bind_int64(q[Q_TERM], 2, (sqlite3_int64)j);
		sqlite3_bind_int(q[Q_TERM], 3, (int)tk);
		bind_text(q[Q_TERM], 4, tv);
		sqlite3_bind_int64(q[Q_TERM], 5, cs_indicator_term_observation(ind, j));
		rc = step_done(st, q[Q_TERM], "save term");
		if (rc)
			return rc;
	}
	for (j = 0; j < cs_indicator_warninglist_count(ind); j++) {
		const char *name = cs_indicator_warninglist(in, ind, j);
		size_t k;

		for (k = 0; k < cs_intel_warninglist_count(in); k++) {
			if (strcmp(cs_intel_warninglist_name(in, k, NULL, NULL, NULL), name) == 0)
				break;
		}
		if (k == cs_intel_warninglist_count(in))
			continue;
		sqlite3_bind_int64(q[Q_IND_WL], 1, id);
		sqlite3_bind_int64(q[Q_IND_WL], 2, wl_ids[k]);
		rc = step_done(st, q[Q_IND_WL], "save warninglist mark");
		if (rc)
			return rc;
	}
	return CS_OK;
}

static int save_warninglists(struct cs_store *st, sqlite3_stmt **q, const struct cs_intel *in,
			     int64_t version, int64_t *wl_ids)
{
	size_t i, j, n;
	int rc;

	for (i = 0; i < cs_intel_warninglist_count(in); i++) {
		const char *type;
		uint32_t kinds;
		const char *name = cs_intel_warninglist_name(in, i, &type, &kinds, &n);

		if (!cs__warninglist_dirty(in, i)) {
			/* Unchanged since it was loaded: only its id is needed. */
			bind_text(q[Q_WL_ID], 1, name);
			if (sqlite3_step(q[Q_WL_ID]) == SQLITE_ROW) {
				wl_ids[i] = sqlite3_column_int64(q[Q_WL_ID], 0);
				sqlite3_reset(q[Q_WL_ID]);
				continue;
			}
			sqlite3_reset(q[Q_WL_ID]);
		}
		bind_text(q[Q_WL_UPSERT], 1, name);
		bind_text(q[Q_WL_UPSERT], 2, type);
		sqlite3_bind_int64(q[Q_WL_UPSERT], 3, kinds);
		sqlite3_bind_int64(q[Q_WL_UPSERT], 4, version);
		if (sqlite3_step(q[Q_WL_UPSERT]) != SQLITE_ROW) {
			sqlite3_reset(q[Q_WL_UPSERT]);
			return db_fail(st, "save warninglist");
		}
		wl_ids[i] = sqlite3_column_int64(q[Q_WL_UPSERT], 0);
		sqlite3_reset(q[Q_WL_UPSERT]);
		sqlite3_bind_int64(q[Q_WL_DEL], 1, wl_ids[i]);
		rc = step_done(st, q[Q_WL_DEL], "replace warninglist");
		if (rc)
			return rc;
		for (j = 0; j < n; j++) {
			sqlite3_bind_int64(q[Q_WL_ENTRY], 1, wl_ids[i]);
			sqlite3_bind_int64(q[Q_WL_ENTRY], 2, (sqlite3_int64)j);
			bind_text(q[Q_WL_ENTRY], 3, cs_intel_warninglist_entry(in, i, j));
			rc = step_done(st, q[Q_WL_ENTRY], "save warninglist entry");
			if (rc)
				return rc;
		}
	}
	return CS_OK;
}

/* 1 when the table has no row, 0 when it has, -1 on error. */
static int table_empty(struct cs_store *st, const char *table)
{
	char sql[96];
	sqlite3_stmt *q = NULL;
	int r;

	snprintf(sql, sizeof(sql), "SELECT 1 FROM %s LIMIT 1", table);
	if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK) {
		db_fail(st, "check table");
		return -1;
	}
	r = sqlite3_step(q);
	sqlite3_finalize(q);
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		db_fail(st, "check table");
		return -1;
	}
	return r == SQLITE_DONE;
}

/* One save in progress: its statements, caches and version. */
struct save_state {
	sqlite3_stmt *q[Q_COUNT];
	struct save_cache cache;
	int64_t ver;
	int bulk;  /* into an empty indicator table: key index dropped */
	int began; /* inside BEGIN .. COMMIT */
	int journal_changed; /* switched to rollback mode: back to WAL at the end */
};

/*
 * Open the save's transaction: BEGIN, the statements, a version row
 * (its counts are written at the end) and, into an empty indicator
 * table, no key index until the end.
 */
static int save_begin(struct cs_store *st, struct save_state *s)
{
	size_t i;
	sqlite3_stmt *v = NULL;
	int rc;

	memset(s, 0, sizeof(*s));
	cs__map_init(&s->cache.labels);
	cs__map_init(&s->cache.sets);
	cs__map_init(&s->cache.label_vecs);
	cs__map_init(&s->cache.files);
	cs__buf_init(&s->cache.key, 0);
	/* Into an empty database, write the pages once: a write-ahead log
	 * would hold them all and then copy them into the file again. The
	 * switch fails harmlessly when another connection has the file open. */
	s->bulk = table_empty(st, "indicator");
	if (s->bulk < 0) {
		s->bulk = 0;
		return CS_ERR_DB;
	}
	if (s->bulk)
		exec(st, "PRAGMA journal_mode=DELETE");
	s->journal_changed = s->bulk;
	rc = exec(st, "BEGIN IMMEDIATE");
	if (rc)
		return rc;
	s->began = 1;
	/* Another import may have committed between the look above and the
	 * lock: only the transaction's own view decides the bulk path. */
	if (s->bulk) {
		s->bulk = table_empty(st, "indicator");
		if (s->bulk < 0) {
			s->bulk = 0;
			return CS_ERR_DB;
		}
	}
	for (i = 0; i < Q_COUNT; i++) {
		if (sqlite3_prepare_v2(st->db, save_sql[i], -1, &s->q[i], NULL) != SQLITE_OK)
			return db_fail(st, "prepare save");
	}
	if (sqlite3_prepare_v2(st->db, "INSERT INTO intel_version(created) VALUES(?1)", -1, &v,
			       NULL) != SQLITE_OK)
		return db_fail(st, "prepare version");
	sqlite3_bind_int64(v, 1, (sqlite3_int64)time(NULL));
	rc = sqlite3_step(v) == SQLITE_DONE ? CS_OK : db_fail(st, "save version");
	sqlite3_finalize(v);
	if (rc)
		return rc;
	s->ver = sqlite3_last_insert_rowid(st->db);
	rc = exec(st, cs__store_stamp_sql);
	if (rc)
		return rc;
	/* Into an empty table, build the key index once at the end: sorting a
	 * million keys beats a million inserts at random places in a B-tree.
	 * The set's keys are unique already. */
	if (s->bulk)
		rc = exec(st, "DROP INDEX indicator_key");
	return rc;
}

/* Build the key index dropped by save_begin(). */
static int save_index(struct cs_store *st, struct save_state *s)
{
	char keep[sizeof(st->errmsg)];
	int rc;

	if (!s->bulk)
		return CS_OK;
	/* The index is sorted by SQLite's sorter: in runs of 8 MB, each sorted
	 * by a helper thread while the next is read, then merged. One run of
	 * the full 64 MB cache takes nearly twice as long on two cores. */
	exec(st, "PRAGMA threads=1; PRAGMA cache_size=-8192");
	rc = exec(st, "CREATE UNIQUE INDEX indicator_key ON indicator(kind, value)");
	memcpy(keep, st->errmsg, sizeof(keep));
	exec(st, "PRAGMA threads=0; PRAGMA cache_size=-65536");
	memcpy(st->errmsg, keep, sizeof(keep));
	s->bulk = 0; /* built: later upserts find stored keys */
	return rc;
}

/*
 * Everything but the indicators already written: the version's counts,
 * warninglists, every dirty indicator upserted (its merged flags,
 * confidence and window replace the stored ones; its labels and sources
 * are added), warninglist marks recomputed, YARA sources upserted, OSV
 * advisories and partly read files recorded, reject counts recorded.
 */
static int save_body(struct cs_store *st, struct save_state *s, struct cs_intel *in,
		     const char *note, const struct cs_import_stats *stats)
{
	sqlite3_stmt *v = NULL, **q = s->q;
	int64_t *wl_ids = NULL;
	size_t i;
	int rc;

	rc = cs_intel_finalize(in);
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(st->db,
			       "UPDATE intel_version SET created = ?1, note = ?2, files = ?3,"
			       " accepted = ?4, rejected = ?5, indicators = ?6 WHERE id = ?7",
			       -1, &v, NULL) != SQLITE_OK)
		return db_fail(st, "prepare version");
	sqlite3_bind_int64(v, 1, (sqlite3_int64)time(NULL));
	bind_text(v, 2, note);
	sqlite3_bind_int64(v, 3, stats ? (sqlite3_int64)stats->files : 0);
	sqlite3_bind_int64(v, 4, stats ? (sqlite3_int64)stats->read : 0);
	sqlite3_bind_int64(v, 5, stats ? (sqlite3_int64)stats->rejected : 0);
	sqlite3_bind_int64(v, 6, (sqlite3_int64)cs_intel_count(in));
	sqlite3_bind_int64(v, 7, s->ver);
	rc = sqlite3_step(v) == SQLITE_DONE ? CS_OK : db_fail(st, "save version");
	sqlite3_finalize(v);
	if (rc)
		return rc;
	wl_ids = cs__calloc(cs_intel_warninglist_count(in) + 1, sizeof(*wl_ids));
	if (!wl_ids)
		return CS_ERR_NOMEM;
	rc = save_warninglists(st, q, in, s->ver, wl_ids);
	for (i = 0; !rc && i < cs_intel_count(in); i++) {
		const struct cs_indicator *ind = cs_intel_at(in, i);

		if (cs__indicator_dirty(ind))
			rc = save_indicator(st, q, &s->cache, in, ind, s->ver, wl_ids);
	}
	free(wl_ids);
	if (!rc)
		rc = save_index(st, s);
	for (i = 0; !rc && i < cs_intel_yara_count(in); i++) {
		const char *text;
		size_t len;
		const char *path = cs_intel_yara_source(in, i, &text, &len);

		bind_text(q[Q_YARA], 1, path);
		sqlite3_bind_text(q[Q_YARA], 2, text, (int)len, SQLITE_STATIC);
		sqlite3_bind_int64(q[Q_YARA], 3, s->ver);
		rc = step_done(st, q[Q_YARA], "save yara source");
	}
	for (i = 0; !rc && i < cs_intel_sigma_count(in); i++) {
		const char *text;
		size_t len;
		const char *path = cs_intel_sigma_source(in, i, &text, &len);

		bind_text(q[Q_SIGMA], 1, path);
		sqlite3_bind_text(q[Q_SIGMA], 2, text, (int)len, SQLITE_STATIC);
		sqlite3_bind_int64(q[Q_SIGMA], 3, s->ver);
		rc = step_done(st, q[Q_SIGMA], "save sigma source");
	}
	if (!rc)
		rc = cs__store_save_advisories(st, in, s->ver, stats);
	for (i = 0; !rc && i < cs_intel_reject_reasons(in); i++) {
		uint64_t count;
		const char *reason = cs_intel_reject_reason(in, i, &count);

		sqlite3_bind_int64(q[Q_REJECT], 1, s->ver);
		bind_text(q[Q_REJECT], 2, reason);
		sqlite3_bind_int64(q[Q_REJECT], 3, (sqlite3_int64)count);
		rc = step_done(st, q[Q_REJECT], "save rejects");
	}
	/* The set's size is the database's, counted inside this transaction:
	 * another import may have added indicators this set never loaded. */
	if (!rc && sqlite3_prepare_v2(st->db,
				      "UPDATE intel_version SET indicators ="
				      " (SELECT count(*) FROM indicator) WHERE id = ?1",
				      -1, &v, NULL) != SQLITE_OK)
		return db_fail(st, "prepare version");
	if (!rc) {
		sqlite3_bind_int64(v, 1, s->ver);
		rc = sqlite3_step(v) == SQLITE_DONE ? CS_OK : db_fail(st, "save version");
		sqlite3_finalize(v);
	}
	return rc;
}

/* Commit on rc == CS_OK, else roll back; release the save's resources.
 * Returns the final status. */
static int save_end(struct cs_store *st, struct save_state *s, int rc, int journal_changed)
{
	char keep[sizeof(st->errmsg)];
	size_t i;

	for (i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(s->q[i]);
	cs__map_release(&s->cache.labels);
	cs__map_release(&s->cache.sets);
	cs__map_release(&s->cache.label_vecs);
	cs__map_release(&s->cache.files);
	cs__buf_release(&s->cache.key);
	free(s->cache.last_labels);
	free(s->cache.ind_labels);
	if (!rc && s->began) {
		rc = exec(st, "COMMIT");
	} else if (s->began) {
		memcpy(keep, st->errmsg, sizeof(keep));
		exec(st, "ROLLBACK");
		memcpy(st->errmsg, keep, sizeof(keep));
	}
	if (journal_changed) {
		memcpy(keep, st->errmsg, sizeof(keep));
		exec(st, "PRAGMA journal_mode=WAL");
		memcpy(st->errmsg, keep, sizeof(keep));
	}
	memset(s, 0, sizeof(*s));
	return rc;
}

/* ------------------------------------------------------------------
 * Bulk import with a writer thread.
 *
 * Into an empty case database, the indicators are written while the
 * files are still being read: the set hands finished indicators over in
 * batches (cs__intel_set_sink), the reading thread copies what the rows
 * need into the batch, and a writer thread inserts them. An indicator
 * that a later entry changes (the same value from another source) is
 * dirty again and is upserted at the end, after the key index exists, as
 * in any save. See docs/case-database.md.
 */

#define IMPORT_BATCH 8192   /* indicators per batch */
#define IMPORT_INFLIGHT 4   /* batches queued or being written */

struct wsrc {
	struct cs_source_info si;
};

struct wterm {
	const char *value;
	int64_t obs;
	int kind;
};

struct wrow {
	const char *value;
	int64_t valid_from, valid_until;
	size_t lab0, nlab, src0, nsrc, term0, nterm;
	int kind, flags, confidence;
};

struct wbatch {
	struct wbatch *next;
	struct wrow *rows;
	size_t nrows;
	const char **labs;
	struct wsrc *srcs;
	struct wterm *terms;
};

#define MULTI 32
#define IND_COLS 9
#define SRC_COLS 7

enum { W_IND1, W_INDN, W_SRC1, W_SRCN, W_COUNT };

struct cs_store_import {
	struct cs_store *st;
	struct cs_intel *in;
	struct save_state s;
	int journal_changed;
	pthread_t th;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct wbatch *head, *tail;
	int inflight;
	int closing;
	int rc; /* the writer's first error */
	sqlite3_stmt *w[W_COUNT]; /* the writer's statements */
	int64_t next_id;    /* the id of the writer's next indicator */
};

static void wbatch_free(struct wbatch *b)
{
	if (!b)
		return;
	free(b->rows);
	free(b->labs);
	free(b->srcs);
	free(b->terms);
	free(b);
}

/*
 * The writer's own statements: rows go in MULTI at a time (one statement
 * step for MULTI rows instead of one each: SQLite's per-statement work
 * was most of the writer's time), the rest one by one. Into an empty
 * table the writer gives the ids itself, in the set's order, so that a
 * source row can name its indicator without asking SQLite; no key can
 * conflict (the set's keys are unique, and a source is unique per
 * indicator in the set), so these are plain INSERTs.
 */

/* "INSERT INTO t(cols) VALUES(?,..),(?,..)..." for n rows of k columns. */
static char *multi_sql(const char *head, int k, int n)
{
	struct cs_buf b;
	int r, c;

	cs__buf_init(&b, 0);
	if (cs__buf_adds(&b, head))
		goto fail;
	for (r = 0; r < n; r++) {
		if (cs__buf_adds(&b, r ? ",(" : " VALUES("))
			goto fail;
		for (c = 0; c < k; c++)
			if (cs__buf_adds(&b, c ? ",?" : "?"))
				goto fail;
		if (cs__buf_addc(&b, ')'))
			goto fail;
	}
	return cs__buf_detach(&b);
fail:
	cs__buf_release(&b);
	return NULL;
}

static int writer_prepare(struct cs_store *st, sqlite3_stmt **w)
{
	static const char ind[] = "INSERT INTO indicator(id, kind, value, flags, confidence,"
				  " valid_from, valid_until, labelset, added_version)";
	static const char src[] = "INSERT INTO indicator_source(indicator_id, file_id, line,"
				  " ref, description, version, labelset)";
	const struct {
		const char *head;
		int cols, rows;
	} spec[W_COUNT] = {
		[W_IND1] = {ind, IND_COLS, 1},
		[W_INDN] = {ind, IND_COLS, MULTI},
		[W_SRC1] = {src, SRC_COLS, 1},
		[W_SRCN] = {src, SRC_COLS, MULTI},
	};
	int i, r;

	for (i = 0; i < W_COUNT; i++) {
		char *sql = multi_sql(spec[i].head, spec[i].cols, spec[i].rows);

		if (!sql)
			return CS_ERR_NOMEM;
		r = sqlite3_prepare_v2(st->db, sql, -1, &w[i], NULL);
		free(sql);
		if (r != SQLITE_OK)
			return db_fail(st, "prepare import");
	}
	return CS_OK;
}

/* A source row, resolved: what the statement binds. */
struct wsrc_row {
	int64_t ind, file, set;
	const struct cs_source_info *si;
};

static void bind_src(sqlite3_stmt *q, int base, const struct wsrc_row *r, int64_t version)
{
	sqlite3_bind_int64(q, base + 1, r->ind);
	sqlite3_bind_int64(q, base + 2, r->file);
	sqlite3_bind_int64(q, base + 3, (sqlite3_int64)r->si->line);
	bind_text(q, base + 4, r->si->ref ? r->si->ref : "");
	bind_text(q, base + 5, r->si->description);
	sqlite3_bind_int64(q, base + 6, version);
	sqlite3_bind_int64(q, base + 7, r->set);
}

static void bind_ind(sqlite3_stmt *q, int base, const struct wrow *w, int64_t id, int64_t set,
		     int64_t version)
{
	sqlite3_bind_int64(q, base + 1, id);
	sqlite3_bind_int(q, base + 2, w->kind);
	bind_text(q, base + 3, w->value);
	sqlite3_bind_int(q, base + 4, w->flags);
	sqlite3_bind_int(q, base + 5, w->confidence);
	sqlite3_bind_int64(q, base + 6, w->valid_from);
	sqlite3_bind_int64(q, base + 7, w->valid_until);
	sqlite3_bind_int64(q, base + 8, set);
	sqlite3_bind_int64(q, base + 9, version);
}

/* Insert one batch: the rows save_indicator() writes for a new
 * indicator, from the copies. */
static int write_batch(struct cs_store_import *imp, const struct wbatch *b)
{
	struct cs_store *st = imp->st;
	struct save_state *s = &imp->s;
	sqlite3_stmt **q = s->q, **w = imp->w;
	struct wsrc_row srcs[MULTI];
	int64_t sets[MULTI];
	size_t r0, r, n, j, k, nsrc = 0;
	int rc;

	for (r0 = 0; r0 < b->nrows; r0 += n) {
		n = b->nrows - r0 < MULTI ? b->nrows - r0 : MULTI;
		for (r = 0; r < n; r++) {
			const struct wrow *row = &b->rows[r0 + r];

			rc = labelset_id(st, q, &s->cache, b->labs + row->lab0, row->nlab, &sets[r]);
			if (rc)
				return rc;
		}
		if (n == MULTI) {
			for (r = 0; r < n; r++)
				bind_ind(w[W_INDN], (int)r * IND_COLS, &b->rows[r0 + r],
					 imp->next_id + (int64_t)r, sets[r], s->ver);
			rc = step_done(st, w[W_INDN], "save indicator");
			if (rc)
				return rc;
		} else {
			for (r = 0; r < n; r++) {
				bind_ind(w[W_IND1], 0, &b->rows[r0 + r], imp->next_id + (int64_t)r,
					 sets[r], s->ver);
				rc = step_done(st, w[W_IND1], "save indicator");
				if (rc)
					return rc;
			}
		}
		for (r = 0; r < n; r++) {
			const struct wrow *row = &b->rows[r0 + r];
			int64_t id = imp->next_id + (int64_t)r;

			for (j = 0; j < row->nsrc; j++) {
				struct wsrc_row *sr = &srcs[nsrc];

				sr->si = &b->srcs[row->src0 + j].si;
				sr->ind = id;
				rc = source_file_id(st, q, &s->cache, sr->si, &sr->file);
				if (!rc)
					rc = labelset_id(st, q, &s->cache, sr->si->labels,
							 sr->si->nlabels, &sr->set);
				if (rc)
					return rc;
				if (++nsrc < MULTI)
					continue;
				for (k = 0; k < MULTI; k++)
					bind_src(w[W_SRCN], (int)k * SRC_COLS, &srcs[k], s->ver);
				rc = step_done(st, w[W_SRCN], "save source");
				if (rc)
					return rc;
				nsrc = 0;
			}
			for (j = 0; j < row->nterm; j++) {
				const struct wterm *t = &b->terms[row->term0 + j];

				sqlite3_bind_int64(q[Q_TERM], 1, id);
				sqlite3_bind_int64(q[Q_TERM], 2, (sqlite3_int64)j);
				sqlite3_bind_int(q[Q_TERM], 3, t->kind);
				bind_text(q[Q_TERM], 4, t->value);
				sqlite3_bind_int64(q[Q_TERM], 5, t->obs);
				rc = step_done(st, q[Q_TERM], "save term");
				if (rc)
					return rc;
			}
		}
		imp->next_id += (int64_t)n;
	}
	for (k = 0; k < nsrc; k++) {
		bind_src(w[W_SRC1], 0, &srcs[k], s->ver);
		rc = step_done(st, w[W_SRC1], "save source");
		if (rc)
			return rc;
	}
	return CS_OK;
}

static void *writer_main(void *arg)
{
	struct cs_store_import *imp = arg;
	struct wbatch *b;
	int rc;

	for (;;) {
		pthread_mutex_lock(&imp->mu);
		while (!imp->head && !imp->closing)
			pthread_cond_wait(&imp->cv, &imp->mu);
		b = imp->head;
		if (!b) {
			pthread_mutex_unlock(&imp->mu);
			break;
		}
		imp->head = b->next;
		if (!imp->head)
			imp->tail = NULL;
		rc = imp->rc;
		pthread_mutex_unlock(&imp->mu);
		if (!rc)
			rc = write_batch(imp, b);
		wbatch_free(b);
		pthread_mutex_lock(&imp->mu);
		imp->inflight--;
		if (rc && !imp->rc)
			imp->rc = rc;
		pthread_cond_broadcast(&imp->cv);
		pthread_mutex_unlock(&imp->mu);
	}
	return NULL;
}

/* The set's sink, on the reading thread: copy inds[first .. end) into a
 * batch and queue it for the writer. */
static int import_sink(void *ud, struct cs_intel *in, size_t first, size_t end)
{
	struct cs_store_import *imp = ud;
	struct wbatch *b;
	size_t i, j, nlab = 0, nsrc = 0, nterm = 0;
	int rc;

	pthread_mutex_lock(&imp->mu);
	rc = imp->rc;
	pthread_mutex_unlock(&imp->mu);
	if (rc)
		return rc;
	for (i = first; i < end; i++) {
		const struct cs_indicator *ind = cs_intel_at(in, i);

		nlab += cs_indicator_label_count(ind);
		nsrc += cs_indicator_source_count(ind);
		nterm += cs_indicator_term_count(ind);
	}
	b = cs__calloc(1, sizeof(*b));
	if (!b)
		return CS_ERR_NOMEM;
	b->rows = cs__calloc(end - first, sizeof(*b->rows));
	b->labs = cs__calloc(nlab + 1, sizeof(*b->labs));
	b->srcs = cs__calloc(nsrc + 1, sizeof(*b->srcs));
	b->terms = cs__calloc(nterm + 1, sizeof(*b->terms));
	if (!b->rows || !b->labs || !b->srcs || !b->terms) {
		wbatch_free(b);
		return CS_ERR_NOMEM;
	}
	nlab = nsrc = nterm = 0;
	for (i = first; i < end; i++) {
		const struct cs_indicator *ind = cs_intel_at(in, i);
		struct wrow *w = &b->rows[b->nrows++];

		w->kind = (int)cs_indicator_kind(ind);
		w->value = cs_indicator_value(ind);
		w->flags = (int)cs_indicator_flags(ind);
		w->confidence = cs_indicator_confidence(ind);
		w->valid_from = cs_indicator_valid_from(ind);
		w->valid_until = cs_indicator_valid_until(ind);
		w->lab0 = nlab;
		w->nlab = cs_indicator_label_count(ind);
		for (j = 0; j < w->nlab; j++)
			b->labs[nlab++] = cs_indicator_label(in, ind, j);
		w->src0 = nsrc;
		w->nsrc = cs_indicator_source_count(ind);
		for (j = 0; j < w->nsrc; j++)
			cs_indicator_source(in, ind, j, &b->srcs[nsrc++].si);
		w->term0 = nterm;
		w->nterm = cs_indicator_term_count(ind);
		for (j = 0; j < w->nterm; j++) {
			struct wterm *t = &b->terms[nterm++];

			t->kind = (int)cs_indicator_term(ind, j, &t->value);
			t->obs = cs_indicator_term_observation(ind, j);
		}
	}
	pthread_mutex_lock(&imp->mu);
	while (imp->inflight >= IMPORT_INFLIGHT && !imp->rc)
		pthread_cond_wait(&imp->cv, &imp->mu);
	rc = imp->rc;
	if (!rc) {
		if (imp->tail)
			imp->tail->next = b;
		else
			imp->head = b;
		imp->tail = b;
		imp->inflight++;
		pthread_cond_broadcast(&imp->cv);
	}
	pthread_mutex_unlock(&imp->mu);
	if (rc)
		wbatch_free(b);
	return rc;
}

/* Stop the writer after the queued batches; its first error. */
static int import_join(struct cs_store_import *imp)
{
	if (!imp->started)
		return imp->rc;
	pthread_mutex_lock(&imp->mu);
	imp->closing = 1;
	pthread_cond_broadcast(&imp->cv);
	pthread_mutex_unlock(&imp->mu);
	pthread_join(imp->th, NULL);
	imp->started = 0;
	return imp->rc;
}

static void import_free(struct cs_store_import *imp)
{
	size_t i;

	for (i = 0; i < CS_ARRAY_SIZE(imp->w); i++)
		sqlite3_finalize(imp->w[i]);
	pthread_mutex_destroy(&imp->mu);
	pthread_cond_destroy(&imp->cv);
	free(imp);
}

int cs_store_import_begin(struct cs_store *st, struct cs_intel *in)
{
	struct cs_store_import *imp;
	int rc, empty;

	if (st->imp || cs_intel_count(in))
		return CS_OK;
	empty = table_empty(st, "indicator");
	if (empty <= 0)
		return empty < 0 ? CS_ERR_DB : CS_OK;
	imp = cs__calloc(1, sizeof(*imp));
	if (!imp)
		return CS_ERR_NOMEM;
	imp->st = st;
	imp->in = in;
	pthread_mutex_init(&imp->mu, NULL);
	pthread_cond_init(&imp->cv, NULL);
	rc = save_begin(st, &imp->s);
	imp->journal_changed = imp->s.journal_changed;
	/* The writer only appends (ids grow, no key index yet): a small page
	 * cache does, and the file read into memory is still there. */
	if (!rc)
		exec(st, "PRAGMA cache_size=-8192");
	if (!rc)
		rc = writer_prepare(st, imp->w);
	imp->next_id = 1; /* the table is empty */
	if (!rc && !imp->s.bulk) {
		/* Another import filled the table meanwhile: no bulk path, the
		 * save will work as without it. */
		save_end(st, &imp->s, CS_ERR_DB, imp->journal_changed);
		exec(st, "PRAGMA cache_size=-65536");
		import_free(imp);
		return CS_OK;
	}
	if (!rc && pthread_create(&imp->th, NULL, writer_main, imp) != 0)
		rc = CS_ERR_NOMEM;
	if (rc) {
		save_end(st, &imp->s, rc, imp->journal_changed);
		import_free(imp);
		return rc;
	}
	imp->started = 1;
	st->imp = imp;
	cs__intel_set_sink(in, import_sink, imp, IMPORT_BATCH);
	return CS_OK;
}

void cs_store_import_abort(struct cs_store *st)
{
	struct cs_store_import *imp = st ? st->imp : NULL;

	if (!imp)
		return;
	st->imp = NULL;
	import_join(imp);
	cs__intel_unship(imp->in);
	save_end(st, &imp->s, CS_ERR_DB, imp->journal_changed);
	exec(st, "PRAGMA cache_size=-65536");
	import_free(imp);
}

/* The end of a bulk import: the rest of the batches, then the key index,
 * then everything else as in any save. */
static int import_finish(struct cs_store *st, struct cs_intel *in, const char *note,
			 const struct cs_import_stats *stats)
{
	struct cs_store_import *imp = st->imp;
	int rc;

	st->imp = NULL;
	if (imp->in == in)
		cs__intel_sink_flush(in);
	rc = import_join(imp);
	if (imp->in != in)
		rc = CS_ERR_INVALID; /* a different set: its indicators were never shipped */
	if (!rc)
		rc = save_index(st, &imp->s);
	if (!rc)
		rc = save_body(st, &imp->s, in, note, stats);
	if (rc)
		cs__intel_unship(imp->in);
	rc = save_end(st, &imp->s, rc, imp->journal_changed);
	import_free(imp);
	return rc;
}

int cs_store_save_intel(struct cs_store *st, struct cs_intel *in, const char *note,
			const struct cs_import_stats *stats, int64_t *version)
{
	struct save_state s;
	int64_t ver;
	int rc, journal_changed;

	if (st->imp) {
		ver = st->imp->s.ver;
		rc = import_finish(st, in, note, stats);
	} else {
		rc = save_begin(st, &s);
		journal_changed = s.journal_changed;
		ver = s.ver;
		if (!rc)
			rc = save_body(st, &s, in, note, stats);
		rc = save_end(st, &s, rc, journal_changed);
	}
	if (rc)
		return rc;
	cs__intel_mark_clean(in);
	if (version)
		*version = ver;
	return CS_OK;
}

/* Map database ids to set indexes while loading (ids are dense). */
struct id_map {
	long *idx;
	size_t n;
};

static long id_lookup(const struct id_map *m, int64_t id)
{
	return id >= 0 && (uint64_t)id < m->n ? m->idx[id] : -1;
}

void cs__labelsets_release(struct cs__labelsets *ls)
{
	size_t i;

	for (i = 0; i < ls->nnames; i++)
		free(ls->names[i]);
	for (i = 0; i < ls->nsets; i++)
		free(ls->sets[i].v);
	free(ls->names);
	free(ls->sets);
}

/* Ids are INTEGER PRIMARY KEYs: small and dense, so arrays index them. */
static int max_id(struct cs_store *st, const char *table, size_t *out)
{
	char sql[96];
	sqlite3_stmt *q = NULL;
	int64_t v = 0;

	snprintf(sql, sizeof(sql), "SELECT coalesce(max(id), 0) FROM %s", table);
	if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK)
		return db_fail(st, "load");
	if (sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	if (v < 0 || (uint64_t)v >= SIZE_MAX / sizeof(void *) / 2) {
		snprintf(st->errmsg, sizeof(st->errmsg), "%s: id %lld out of range", table,
			 (long long)v);
		return CS_ERR_DB;
	}
	*out = (size_t)v + 1;
	return CS_OK;
}

/* Load every label name and label set ("3,1,2": label ids in order). */
int cs__labelsets_load(struct cs_store *st, struct cs__labelsets *ls)
{
	sqlite3_stmt *q = NULL;
	int rc;

	memset(ls, 0, sizeof(*ls));
	rc = max_id(st, "label", &ls->nnames);
	if (!rc)
		rc = max_id(st, "labelset", &ls->nsets);
	if (rc)
		return rc;
	ls->names = cs__calloc(ls->nnames, sizeof(*ls->names));
	ls->sets = cs__calloc(ls->nsets, sizeof(*ls->sets));
	if (!ls->names || !ls->sets)
		return CS_ERR_NOMEM;
	if (sqlite3_prepare_v2(st->db, "SELECT id, name FROM label", -1, &q, NULL) != SQLITE_OK)
		return db_fail(st, "load labels");
	while (!rc && sqlite3_step(q) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(q, 0);

		if (id > 0 && (size_t)id < ls->nnames &&
		    !(ls->names[id] = cs__strdup((const char *)sqlite3_column_text(q, 1))))
			rc = CS_ERR_NOMEM;
	}
	sqlite3_finalize(q);
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(st->db, "SELECT id, members FROM labelset", -1, &q, NULL) !=
	    SQLITE_OK)
		return db_fail(st, "load label sets");
	while (!rc && sqlite3_step(q) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(q, 0);
		const char *p = (const char *)sqlite3_column_text(q, 1);
		struct cs__lset *set;
		size_t cap = 0;

		if (id <= 0 || (size_t)id >= ls->nsets || !p)
			continue;
		set = &ls->sets[id];
		while (*p) {
			char *end;
			unsigned long long lid = strtoull(p, &end, 10);

			if (end == p)
				break;
			p = *end == ',' ? end + 1 : end;
			if (lid >= ls->nnames || !ls->names[lid])
				continue; /* a dangling id loses one label, not the set */
			if (cs__grow((void **)&set->v, &cap, set->n + 1, sizeof(*set->v))) {
				rc = CS_ERR_NOMEM;
				break;
			}
			set->v[set->n++] = ls->names[lid];
		}
	}
	sqlite3_finalize(q);
	return rc;
}

/* Every indicator row into `in`, with its labels; m maps row ids to
 * indexes. With `keep`, a set shared by key loads (cs__intel_share): the
 * indicators in[0 .. keep) are left as they are (others hold them), and
 * the rows of their keys are skipped, sources too. */
static int load_indicators(struct cs_store *st, struct cs_intel *in, struct id_map *m,
                           const struct cs__labelsets *ls, const size_t *keep)
{
	sqlite3_stmt *q = NULL;
	int r = SQLITE_DONE, rc;

	rc = max_id(st, "indicator", &m->n);
	if (rc)
		return rc;
	m->idx = cs__malloc(m->n * sizeof(*m->idx));
	if (!m->idx)
		return CS_ERR_NOMEM;
	memset(m->idx, 0xff, m->n * sizeof(*m->idx));
	/* At most one indicator per id: room for all at once (a shared set
	 * has it already, and its index gets it). */
	if (cs__intel_reserve(in, keep ? m->n : cs_intel_count(in) + m->n))
		return CS_ERR_NOMEM;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT id, kind, value, flags, confidence, valid_from,"
			       " valid_until, labelset FROM indicator ORDER BY id",
			       -1, &q, NULL) != SQLITE_OK)
		return db_fail(st, "load indicators");
	while (!rc && (r = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(q, 0);
		long idx;

		if (keep) {
			const char *v = (const char *)sqlite3_column_text(q, 2);
			long had = v ? cs__intel_index_of(in,
			                                  (enum cs_kind)sqlite3_column_int(q, 1), v)
			             : -1;

			if (!v || (had >= 0 && (size_t)had < *keep))
				continue;
		}
		idx = cs__intel_put(in, (enum cs_kind)sqlite3_column_int(q, 1),
		                    (const char *)sqlite3_column_text(q, 2),
		                    (unsigned)sqlite3_column_int(q, 3) &
		                            ~(unsigned)CS_IND_WARNLISTED,
		                    sqlite3_column_int(q, 4), sqlite3_column_int64(q, 5),
		                    sqlite3_column_int64(q, 6));

		if (idx < 0) {
			rc = (int)idx;
			break;
		}
		int64_t set = sqlite3_column_int64(q, 7);
		size_t j;

		if (id >= 0 && (size_t)id < m->n)
			m->idx[id] = idx;
		if (set > 0 && (size_t)set < ls->nsets) {
			for (j = 0; !rc && j < ls->sets[set].n; j++)
				rc = cs__intel_put_label(in, (size_t)idx, ls->sets[set].v[j]);
		}
	}
	if (!rc && r != SQLITE_DONE)
		rc = db_fail(st, "load indicators");
	sqlite3_finalize(q);
	return rc;
}

static int load_related(struct cs_store *st, struct cs_intel *in, const struct id_map *m,
			const struct cs__labelsets *ls)
{
	sqlite3_stmt *q = NULL;
	int r, rc = CS_OK;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT s.indicator_id, f.path, s.line, s.ref, f.format,"
			       " s.description, s.labelset FROM indicator_source s"
			       " CROSS JOIN source_file f ON f.id = s.file_id",
			       -1, &q, NULL) != SQLITE_OK)
		return db_fail(st, "load sources");
	while (!rc && (r = sqlite3_step(q)) == SQLITE_ROW) {
		long idx = id_lookup(m, sqlite3_column_int64(q, 0));
		const char *ref = (const char *)sqlite3_column_text(q, 3);
		int64_t set = sqlite3_column_int64(q, 6);
		const struct cs__lset *l = set > 0 && (size_t)set < ls->nsets ? &ls->sets[set] : NULL;

		if (idx >= 0)
			rc = cs__intel_put_source(in, (size_t)idx,
						  (const char *)sqlite3_column_text(q, 1),
						  (uint64_t)sqlite3_column_int64(q, 2),
						  ref && *ref ? ref : NULL,
						  (const char *)sqlite3_column_text(q, 4),
						  (const char *)sqlite3_column_text(q, 5),
						  l ? (const char *const *)l->v : NULL, l ? l->n : 0);
	}
	sqlite3_finalize(q);
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT indicator_id, kind, value, obs FROM indicator_term"
			       " ORDER BY indicator_id, seq",
			       -1, &q, NULL) != SQLITE_OK)
		return db_fail(st, "load terms");
	{
		struct cs_term *terms = NULL;
		char **vals = NULL;
		size_t n = 0, cap = 0, vcap = 0, k;
		long cur = -1;

		r = sqlite3_step(q);
		for (;;) {
			long idx = r == SQLITE_ROW ? id_lookup(m, sqlite3_column_int64(q, 0)) : -2;

			if (idx != cur && cur >= 0 && n) {
				for (k = 0; k < n; k++)
					terms[k].value = vals[k];
				rc = cs__intel_put_terms(in, (size_t)cur, terms, n);
				for (k = 0; k < n; k++)
					free(vals[k]);
				n = 0;
			}
			if (r != SQLITE_ROW || rc)
				break;
			cur = idx;
			if (cs__grow((void **)&terms, &cap, n + 1, sizeof(*terms)) ||
			    cs__grow((void **)&vals, &vcap, n + 1, sizeof(*vals)) ||
			    !(vals[n] = cs__strdup((const char *)sqlite3_column_text(q, 2)))) {
				rc = CS_ERR_NOMEM;
				break;
			}
			terms[n].kind = (enum cs_kind)sqlite3_column_int(q, 1);
			terms[n].obs = (unsigned)sqlite3_column_int(q, 3);
			n++;
			r = sqlite3_step(q);
		}
		for (k = 0; k < n; k++)
			free(vals[k]);
		free(terms);
		free(vals);
	}
	sqlite3_finalize(q);
	return rc;
}

static int load_warninglists(struct cs_store *st, struct cs_intel *in)
{
	sqlite3_stmt *q = NULL, *e = NULL;
	int rc = CS_OK;

	if (sqlite3_prepare_v2(st->db, "SELECT id, name, type, kinds FROM warninglist ORDER BY id",
			       -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db,
			       "SELECT value FROM warninglist_entry WHERE list_id = ?1 ORDER BY seq",
			       -1, &e, NULL) != SQLITE_OK) {
		sqlite3_finalize(q);
		return db_fail(st, "load warninglists");
	}
	while (!rc && sqlite3_step(q) == SQLITE_ROW) {
		char **entries = NULL;
		size_t n = 0, cap = 0, k;

		sqlite3_bind_int64(e, 1, sqlite3_column_int64(q, 0));
		while (!rc && sqlite3_step(e) == SQLITE_ROW) {
			if (cs__grow((void **)&entries, &cap, n + 1, sizeof(*entries)) ||
			    !(entries[n] = cs__strdup((const char *)sqlite3_column_text(e, 0))))
				rc = CS_ERR_NOMEM;
			else
				n++;
		}
		sqlite3_reset(e);
		if (!rc)
			rc = cs_intel_add_warninglist(in, (const char *)sqlite3_column_text(q, 1),
						      (const char *)sqlite3_column_text(q, 2),
						      (uint32_t)sqlite3_column_int64(q, 3),
						      (const char *const *)entries, n);
		for (k = 0; k < n; k++)
			free(entries[k]);
		free(entries);
	}
	sqlite3_finalize(q);
	sqlite3_finalize(e);
	return rc;
}

static int load_yara(struct cs_store *st, struct cs_intel *in)
{
	sqlite3_stmt *q = NULL;
	int rc = CS_OK;

	if (sqlite3_prepare_v2(st->db, "SELECT path, text FROM yara_source ORDER BY id", -1, &q,
			       NULL) != SQLITE_OK)
		return db_fail(st, "load yara sources");
	while (!rc && sqlite3_step(q) == SQLITE_ROW)
		rc = cs__intel_add_yara_source(in, (const char *)sqlite3_column_text(q, 0),
					       (const char *)sqlite3_column_text(q, 1),
					       (size_t)sqlite3_column_bytes(q, 1));
	sqlite3_finalize(q);
	return rc;
}

/* Sigma rule files, kept whole (the rules are compiled from them again,
 * chainsweep/sigma.h). A database opened read-only that predates the
 * table holds none. */
static int load_sigma(struct cs_store *st, struct cs_intel *in)
{
	sqlite3_stmt *q = NULL;
	int rc = CS_OK;

	if (sqlite3_prepare_v2(st->db, "SELECT path, text FROM sigma_source ORDER BY id", -1, &q,
			       NULL) != SQLITE_OK) {
		if (strstr(sqlite3_errmsg(st->db), "no such table"))
			return CS_OK;
		return db_fail(st, "load sigma sources");
	}
	while (!rc && sqlite3_step(q) == SQLITE_ROW)
		rc = cs__intel_add_sigma_source(in, (const char *)sqlite3_column_text(q, 0),
						(const char *)sqlite3_column_text(q, 1),
						(size_t)sqlite3_column_bytes(q, 1));
	sqlite3_finalize(q);
	return rc;
}

int cs_store_load_intel(struct cs_store *st, struct cs_intel *in)
{
	struct id_map m = {NULL, 0};
	struct cs__labelsets ls;
	int fresh = !cs_intel_count(in) && !cs_intel_warninglist_count(in);
	int rc;

	rc = exec(st, "BEGIN");
	if (rc)
		return rc;
	rc = cs__labelsets_load(st, &ls);
	if (!rc)
		rc = load_indicators(st, in, &m, &ls, NULL);
	if (!rc)
		rc = load_related(st, in, &m, &ls);
	cs__labelsets_release(&ls);
	if (!rc)
		rc = load_warninglists(st, in);
	if (!rc)
		rc = load_yara(st, in);
	if (!rc)
		rc = load_sigma(st, in);
	free(m.idx);
	exec(st, "COMMIT");
	if (!rc)
		rc = cs_intel_finalize(in);
	/* Loaded into an empty set, the set is what the database holds:
	 * only later changes need writing. Merged into a set that already
	 * held something, everything stays marked for the next save. */
	if (!rc && fresh)
		cs__intel_mark_clean(in);
	return rc;
}

/*
 * Loading by key (cs_store_load_intel_key): the case read a few rows at
 * a time, each indicator as the whole load gives it. `lq`/`sq` read a
 * label set's members and a label's name; the label names of the last
 * set read are kept in names[0..n) (sources of one file share one).
 */
struct keyload {
	struct cs_store *st;
	struct cs_intel *in;
	sqlite3_stmt *ind, *src, *set, *label;
	int64_t set_id;
	char **names;
	size_t n, cap;
};

static void keyload_names_clear(struct keyload *k)
{
	while (k->n)
		free(k->names[--k->n]);
	k->set_id = -1;
}

/* The label names of label set `id` into k->names, in the set's order,
 * dangling label ids left out: what cs__labelsets_load() gives the set. */
static int keyload_set(struct keyload *k, int64_t id)
{
	const char *p;
	int r, rc = CS_OK;

	if (id == k->set_id)
		return CS_OK;
	keyload_names_clear(k);
	if (id <= 0)
		return CS_OK;
	sqlite3_bind_int64(k->set, 1, id);
	r = sqlite3_step(k->set);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = db_fail(k->st, "load label sets");
	p = r == SQLITE_ROW ? (const char *)sqlite3_column_text(k->set, 0) : NULL;
	while (!rc && p && *p) {
		char *end, *name;
		unsigned long long lid = strtoull(p, &end, 10);

		if (end == p)
			break;
		p = *end == ',' ? end + 1 : end;
		if (lid == 0 || lid > INT64_MAX)
			continue; /* no label has that id */
		sqlite3_bind_int64(k->label, 1, (int64_t)lid);
		r = sqlite3_step(k->label);
		if (r == SQLITE_ROW && sqlite3_column_text(k->label, 0)) {
			name = cs__strdup((const char *)sqlite3_column_text(k->label, 0));
			if (!name ||
			    cs__grow((void **)&k->names, &k->cap, k->n + 1, sizeof(*k->names))) {
				free(name);
				rc = CS_ERR_NOMEM;
			} else {
				k->names[k->n++] = name;
			}
		} else if (r != SQLITE_ROW && r != SQLITE_DONE) {
			rc = db_fail(k->st, "load labels");
		}
		sqlite3_reset(k->label);
	}
	sqlite3_reset(k->set);
	if (!rc)
		k->set_id = id;
	return rc;
}

/* Add the indicator of the row k->ind is on (id, value, flags,
 * confidence, valid_from, valid_until, labelset), with its labels and
 * sources. */
static int keyload_row(struct keyload *k, enum cs_kind kind)
{
	sqlite3_stmt *q = k->ind;
	int64_t id = sqlite3_column_int64(q, 0);
	long idx = cs__intel_put(k->in, kind, (const char *)sqlite3_column_text(q, 1),
	                         (unsigned)sqlite3_column_int(q, 2) & ~(unsigned)CS_IND_WARNLISTED,
	                         sqlite3_column_int(q, 3), sqlite3_column_int64(q, 4),
	                         sqlite3_column_int64(q, 5));
	size_t j;
	int r, rc;

	if (idx < 0)
		return (int)idx;
	rc = keyload_set(k, sqlite3_column_int64(q, 6));
	for (j = 0; !rc && j < k->n; j++)
		rc = cs__intel_put_label(k->in, (size_t)idx, k->names[j]);
	if (rc)
		return rc;
	sqlite3_bind_int64(k->src, 1, id);
	while (!rc && (r = sqlite3_step(k->src)) == SQLITE_ROW) {
		const char *ref = (const char *)sqlite3_column_text(k->src, 2);
		int64_t set = sqlite3_column_int64(k->src, 5);

		/* The whole load reads no label set id past the largest. */
		rc = keyload_set(k, set);
		if (!rc)
			rc = cs__intel_put_source(
			        k->in, (size_t)idx, (const char *)sqlite3_column_text(k->src, 0),
			        (uint64_t)sqlite3_column_int64(k->src, 1), ref && *ref ? ref : NULL,
			        (const char *)sqlite3_column_text(k->src, 3),
			        (const char *)sqlite3_column_text(k->src, 4),
			        (const char *const *)k->names, k->n);
	}
	if (!rc && r != SQLITE_DONE)
		rc = db_fail(k->st, "load sources");
	sqlite3_reset(k->src);
	return rc;
}

int cs_store_load_intel_begin(struct cs_store *st, struct cs_intel *in)
{
	size_t n = 0;
	int rc;

	if (cs_intel_count(in) || cs_intel_warninglist_count(in))
		return CS_ERR_INVALID;
	rc = exec(st, "BEGIN");
	if (rc)
		return rc;
	rc = max_id(st, "indicator", &n);
	if (!rc)
		rc = load_warninglists(st, in);
	sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	if (!rc)
		rc = cs__intel_share(in, n);
	return rc;
}

int cs_store_load_intel_rest(struct cs_store *st, struct cs_intel *in)
{
	struct id_map m = {NULL, 0};
	struct cs__labelsets ls;
	size_t first;
	int rc;

	cs__intel_lock(in);
	first = cs_intel_count(in);
	rc = exec(st, "BEGIN");
	if (rc) {
		cs__intel_unlock(in);
		return rc;
	}
	rc = cs__labelsets_load(st, &ls);
	if (!rc)
		rc = load_indicators(st, in, &m, &ls, &first);
	if (!rc)
		rc = load_related(st, in, &m, &ls);
	cs__labelsets_release(&ls);
	free(m.idx);
	sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	if (!rc)
		rc = cs__intel_settle(in, first);
	cs__intel_unlock(in);
	return rc;
}

/* The statements of the load by key, in struct cs_store.kq. */
enum { KQ_KEY, KQ_KIND, KQ_SRC, KQ_SET, KQ_LABEL, KQ_BEGIN, KQ_END };
static const char *const kq_sql[] = {
        [KQ_KEY] = "SELECT id, value, flags, confidence, valid_from, valid_until, labelset"
                   " FROM indicator WHERE kind = ?1 AND value = ?2 ORDER BY id",
        [KQ_KIND] = "SELECT id, value, flags, confidence, valid_from, valid_until, labelset"
                    " FROM indicator WHERE kind = ?1 ORDER BY id",
        [KQ_SRC] = "SELECT f.path, s.line, s.ref, f.format, s.description, s.labelset"
                   " FROM indicator_source s CROSS JOIN source_file f"
                   " ON f.id = s.file_id WHERE s.indicator_id = ?1",
        [KQ_SET] = "SELECT members FROM labelset WHERE id = ?1",
        [KQ_LABEL] = "SELECT name FROM label WHERE id = ?1",
        [KQ_BEGIN] = "BEGIN",
        [KQ_END] = "COMMIT",
};

static int kq_ready(struct cs_store *st)
{
	size_t i;

	for (i = 0; i < CS_ARRAY_SIZE(st->kq); i++)
		if (!st->kq[i] &&
		    sqlite3_prepare_v2(st->db, kq_sql[i], -1, &st->kq[i], NULL) != SQLITE_OK)
			return db_fail(st, "load by key");
	return CS_OK;
}

int cs_store_load_intel_key(struct cs_store *st, struct cs_intel *in, enum cs_kind kind,
                            const char *value)
{
	struct keyload k;
	size_t first;
	int r = SQLITE_DONE, rc;

	if (kind == CS_KIND_COMPOUND)
		return CS_ERR_INVALID; /* terms are not read by key */
	memset(&k, 0, sizeof(k));
	k.st = st;
	k.in = in;
	k.set_id = -1;
	cs__intel_lock(in);
	first = cs_intel_count(in);
	if (value && cs_intel_find(in, kind, value)) {
		cs__intel_unlock(in);
		return CS_OK;
	}
	rc = kq_ready(st);
	if (!rc && sqlite3_step(st->kq[KQ_BEGIN]) != SQLITE_DONE)
		rc = db_fail(st, "load by key");
	sqlite3_reset(st->kq[KQ_BEGIN]);
	if (rc) {
		cs__intel_unlock(in);
		return rc;
	}
	k.ind = st->kq[value ? KQ_KEY : KQ_KIND];
	k.src = st->kq[KQ_SRC];
	k.set = st->kq[KQ_SET];
	k.label = st->kq[KQ_LABEL];
	sqlite3_bind_int(k.ind, 1, (int)kind);
	if (value)
		sqlite3_bind_text(k.ind, 2, value, -1, SQLITE_STATIC);
	while (!rc && (r = sqlite3_step(k.ind)) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(k.ind, 1);
		long had = v ? cs__intel_index_of(in, kind, v) : -1;

		/* One loaded before is in other threads' hands: left as it is. */
		if (!v || (had >= 0 && (size_t)had < first))
			continue;
		rc = keyload_row(&k, kind);
	}
	if (!rc && r != SQLITE_DONE)
		rc = db_fail(st, "load indicators");
	sqlite3_reset(k.ind);
	sqlite3_clear_bindings(k.ind);
	/* A read: ending it loses nothing, and keeps the message of what failed. */
	sqlite3_step(st->kq[KQ_END]);
	sqlite3_reset(st->kq[KQ_END]);
	keyload_names_clear(&k);
	free(k.names);
	if (!rc)
		rc = cs__intel_settle(in, first);
	cs__intel_unlock(in);
	return rc;
}

/*
 * The stamp of the case's intel: a random token that every save, adopt
 * and lite export replaces (cs__store_stamp_sql), and the newest intel
 * version (a case without a token gets one here). Two databases never
 * share a token unless one is a file copy of the other, so the pair names
 * the intel's content; a writer that does not know the token (an older
 * chainsweep) still adds a version.
 */
static int stamp_query(struct cs_store *st, char *buf, size_t len, int *absent)
{
	sqlite3_stmt *q = NULL;
	int rc = CS_ERR_NOTFOUND, n;

	*absent = 0;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT (SELECT value FROM meta WHERE key = 'intel_stamp'),"
			       " (SELECT max(id) FROM intel_version)",
			       -1, &q, NULL) != SQLITE_OK)
		return db_fail(st, "intel stamp");
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 1) == SQLITE_INTEGER) {
		if (sqlite3_column_type(q, 0) == SQLITE_TEXT) {
			n = snprintf(buf, len, "%s/%lld", (const char *)sqlite3_column_text(q, 0),
				     (long long)sqlite3_column_int64(q, 1));
			rc = n < 0 || (size_t)n >= len ? CS_ERR_TOOBIG : CS_OK;
		} else {
			*absent = 1;
		}
	}
	sqlite3_finalize(q);
	return rc;
}

int cs_store_intel_stamp(struct cs_store *st, char *buf, size_t len)
{
	int absent, rc = stamp_query(st, buf, len, &absent);

	/* A case saved before stamps existed gets one now: a token no cached
	 * form was ever made under. A read-only case goes without. Only
	 * then is anything written (no write lock on every hunt). */
	if (absent && !st->readonly &&
	    sqlite3_exec(st->db,
			 "INSERT OR IGNORE INTO meta(key, value)"
			 " VALUES('intel_stamp', lower(hex(randomblob(16))))",
			 NULL, NULL, NULL) == SQLITE_OK)
		rc = stamp_query(st, buf, len, &absent);
	return rc;
}

int cs_store_versions(struct cs_store *st, size_t limit, cs_version_fn fn, void *ud)
{
	sqlite3_stmt *q = NULL;
	int rc = CS_OK;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT id, created, note, files, accepted, rejected, indicators"
			       " FROM intel_version ORDER BY id DESC LIMIT ?1",
			       -1, &q, NULL) != SQLITE_OK)
		return db_fail(st, "versions");
	sqlite3_bind_int64(q, 1, limit ? (sqlite3_int64)limit : -1);
	while (!rc && sqlite3_step(q) == SQLITE_ROW) {
		struct cs_intel_version v;

		v.id = sqlite3_column_int64(q, 0);
		v.created = sqlite3_column_int64(q, 1);
		v.note = (const char *)sqlite3_column_text(q, 2);
		v.files = (uint64_t)sqlite3_column_int64(q, 3);
		v.accepted = (uint64_t)sqlite3_column_int64(q, 4);
		v.rejected = (uint64_t)sqlite3_column_int64(q, 5);
		v.indicators = (uint64_t)sqlite3_column_int64(q, 6);
		rc = fn(ud, &v);
	}
	sqlite3_finalize(q);
	return rc;
}

int cs_store_version_rejects(struct cs_store *st, int64_t version, cs_reject_fn fn, void *ud)
{
	sqlite3_stmt *q = NULL;
	int rc = CS_OK;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT reason, count FROM import_reject WHERE version = ?1"
			       " ORDER BY count DESC, reason",
			       -1, &q, NULL) != SQLITE_OK)
		return db_fail(st, "rejects");
	sqlite3_bind_int64(q, 1, version);
	while (!rc && sqlite3_step(q) == SQLITE_ROW)
		rc = fn(ud, (const char *)sqlite3_column_text(q, 0),
			(uint64_t)sqlite3_column_int64(q, 1));
	sqlite3_finalize(q);
	return rc;
}

int64_t cs_store_indicator_version(struct cs_store *st, enum cs_kind kind, const char *value)
{
	sqlite3_stmt *q = NULL;
	int64_t v = 0;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT added_version FROM indicator WHERE kind = ?1 AND value = ?2",
			       -1, &q, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int(q, 1, (int)kind);
	bind_text(q, 2, value);
	if (sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

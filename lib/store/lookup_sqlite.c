/*
 * Point lookups in the stored intel (cs_store_lookup*): what analysis
 * needs from a store of millions of indicators without loading it. Each
 * lookup is an index probe on indicator(kind, value) followed by the
 * indicator's sources through the indicator_source primary key.
 */
#include <stdlib.h>
#include <string.h>

#include "chainsweep/store.h"
#include "core/core_int.h"
#include "store/store_int.h"

enum { L_EXACT, L_PREFIX, L_KIND, L_SOURCES, L_COUNT };

static const char *const lookup_sql[L_COUNT] = {
	[L_EXACT] = "SELECT id, kind, value, flags, labelset,"
		    " EXISTS(SELECT 1 FROM indicator_warninglist w WHERE w.indicator_id = id), confidence"
		    " FROM indicator WHERE kind = ?1 AND value = ?2",
	[L_PREFIX] = "SELECT id, kind, value, flags, labelset,"
		     " EXISTS(SELECT 1 FROM indicator_warninglist w WHERE w.indicator_id = id), confidence"
		     " FROM indicator WHERE kind = ?1 AND value >= ?2 AND value < ?3"
		     " ORDER BY value LIMIT ?4",
	[L_KIND] = "SELECT id, kind, value, flags, labelset,"
		   " EXISTS(SELECT 1 FROM indicator_warninglist w WHERE w.indicator_id = id), confidence"
		   " FROM indicator WHERE kind = ?1 ORDER BY value",
	[L_SOURCES] = "SELECT s.file_id, f.path, f.format, s.line, s.ref, s.description,"
		      " s.labelset FROM indicator_source s CROSS JOIN source_file f"
		      " ON f.id = s.file_id WHERE s.indicator_id = ?1",
};

struct cs_store_lookup {
	struct cs_store *st;
	sqlite3_stmt *q[L_COUNT];
	struct cs__labelsets ls;
	struct cs_stored_source *srcs;
	size_t capsrcs;
	struct cs_arena strs; /* the current indicator's source texts */
};

void cs_store_lookup_close(struct cs_store_lookup *lk)
{
	size_t i;

	if (!lk)
		return;
	for (i = 0; i < L_COUNT; i++)
		sqlite3_finalize(lk->q[i]);
	cs__labelsets_release(&lk->ls);
	cs__arena_release(&lk->strs);
	free(lk->srcs);
	free(lk);
}

int cs_store_lookup_open(struct cs_store *st, struct cs_store_lookup **out)
{
	struct cs_store_lookup *lk = cs__calloc(1, sizeof(*lk));
	size_t i;
	int rc;

	*out = NULL;
	if (!lk)
		return CS_ERR_NOMEM;
	lk->st = st;
	cs__arena_init(&lk->strs);
	rc = cs__labelsets_load(st, &lk->ls);
	for (i = 0; !rc && i < L_COUNT; i++) {
		if (sqlite3_prepare_v2(st->db, lookup_sql[i], -1, &lk->q[i], NULL) != SQLITE_OK)
			rc = cs__store_fail(st, "prepare lookup");
	}
	if (rc) {
		cs_store_lookup_close(lk);
		return rc;
	}
	*out = lk;
	return CS_OK;
}

static void set_labels(const struct cs__labelsets *ls, int64_t set, const char *const **v,
		       size_t *n)
{
	if (set > 0 && (size_t)set < ls->nsets) {
		*v = (const char *const *)ls->sets[set].v;
		*n = ls->sets[set].n;
	} else {
		*v = NULL;
		*n = 0;
	}
}

/* A copy of column i (NULL when null or empty; "" on a copy failure,
 * flagged in *nomem): a column's text lasts only until the next step. */
static const char *col_copy(struct cs_store_lookup *lk, sqlite3_stmt *q, int i, int *nomem)
{
	const char *s = (const char *)sqlite3_column_text(q, i);
	char *c;

	if (!s || !*s)
		return NULL;
	c = cs__arena_strndup(&lk->strs, s, (size_t)sqlite3_column_bytes(q, i));
	if (!c)
		*nomem = 1;
	return c ? c : "";
}

/* Deliver the indicator on the current row of `q` with its sources. */
static int deliver(struct cs_store_lookup *lk, sqlite3_stmt *q, cs_stored_fn fn, void *ud)
{
	struct cs_stored_indicator ind;
	sqlite3_stmt *s = lk->q[L_SOURCES];
	size_t n = 0;
	int r, rc, nomem = 0;

	cs__arena_release(&lk->strs);
	cs__arena_init(&lk->strs);
	memset(&ind, 0, sizeof(ind));
	ind.id = sqlite3_column_int64(q, 0);
	ind.kind = (enum cs_kind)sqlite3_column_int(q, 1);
	ind.value = (const char *)sqlite3_column_text(q, 2);
	ind.flags = (unsigned)sqlite3_column_int(q, 3) & ~(unsigned)CS_IND_WARNLISTED;
	if (sqlite3_column_int(q, 5))
		ind.flags |= CS_IND_WARNLISTED;
	ind.confidence = sqlite3_column_int(q, 6);
	set_labels(&lk->ls, sqlite3_column_int64(q, 4), &ind.labels, &ind.nlabels);
	sqlite3_bind_int64(s, 1, ind.id);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct cs_stored_source *o;

		if (cs__grow((void **)&lk->srcs, &lk->capsrcs, n + 1, sizeof(*lk->srcs))) {
			sqlite3_reset(s);
			return CS_ERR_NOMEM;
		}
		o = &lk->srcs[n++];
		o->file_id = sqlite3_column_int64(s, 0);
		o->file = col_copy(lk, s, 1, &nomem);
		o->format = col_copy(lk, s, 2, &nomem);
		o->line = (uint64_t)sqlite3_column_int64(s, 3);
		o->ref = col_copy(lk, s, 4, &nomem);
		o->description = col_copy(lk, s, 5, &nomem);
		set_labels(&lk->ls, sqlite3_column_int64(s, 6), &o->labels, &o->nlabels);
	}
	sqlite3_reset(s);
	if (r != SQLITE_DONE)
		return cs__store_fail(lk->st, "lookup sources");
	if (nomem)
		return CS_ERR_NOMEM;
	ind.sources = lk->srcs;
	ind.nsources = n;
	rc = fn(ud, &ind);
	return rc;
}

static int run(struct cs_store_lookup *lk, sqlite3_stmt *q, cs_stored_fn fn, void *ud)
{
	int r, rc = CS_OK;

	while (!rc && (r = sqlite3_step(q)) == SQLITE_ROW)
		rc = deliver(lk, q, fn, ud);
	if (!rc && r != SQLITE_DONE)
		rc = cs__store_fail(lk->st, "lookup");
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return rc;
}

int cs_store_lookup(struct cs_store_lookup *lk, enum cs_kind kind, const char *value,
		    cs_stored_fn fn, void *ud)
{
	sqlite3_stmt *q = lk->q[L_EXACT];

	sqlite3_bind_int(q, 1, (int)kind);
	sqlite3_bind_text(q, 2, value, -1, SQLITE_STATIC);
	return run(lk, q, fn, ud);
}

int cs_store_lookup_prefix(struct cs_store_lookup *lk, enum cs_kind kind, const char *prefix,
			   size_t limit, cs_stored_fn fn, void *ud)
{
	sqlite3_stmt *q = lk->q[L_PREFIX];
	size_t len = strlen(prefix);
	char *hi;
	int rc;

	/* [prefix, prefix with its last byte raised) holds exactly the
	 * values that start with it, in the BINARY collation. A prefix
	 * ending in 0xff bytes has no such bound: drop them and widen. */
	while (len && (unsigned char)prefix[len - 1] == 0xff)
		len--;
	if (!len)
		return cs_store_lookup_kind(lk, kind, fn, ud);
	hi = cs__malloc(len + 1);
	if (!hi)
		return CS_ERR_NOMEM;
	memcpy(hi, prefix, len);
	hi[len - 1] = (char)((unsigned char)hi[len - 1] + 1);
	hi[len] = '\0';
	sqlite3_bind_int(q, 1, (int)kind);
	sqlite3_bind_text(q, 2, prefix, (int)strlen(prefix), SQLITE_STATIC);
	sqlite3_bind_text(q, 3, hi, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, limit ? (sqlite3_int64)limit : -1);
	rc = run(lk, q, fn, ud);
	free(hi);
	return rc;
}

int cs_store_lookup_kind(struct cs_store_lookup *lk, enum cs_kind kind, cs_stored_fn fn,
			 void *ud)
{
	sqlite3_stmt *q = lk->q[L_KIND];

	sqlite3_bind_int(q, 1, (int)kind);
	return run(lk, q, fn, ud);
}

int cs_store_source_counts(struct cs_store_lookup *lk, cs_source_count_fn fn, void *ud)
{
	sqlite3_stmt *q = NULL;
	int r, rc = CS_OK;

	if (sqlite3_prepare_v2(lk->st->db,
			       "SELECT c.file_id, f.path, c.labelset, c.n FROM"
			       " (SELECT file_id, labelset, count(*) AS n FROM indicator_source"
			       " GROUP BY file_id, labelset) c"
			       " CROSS JOIN source_file f ON f.id = c.file_id",
			       -1, &q, NULL) != SQLITE_OK)
		return cs__store_fail(lk->st, "count sources");
	while (!rc && (r = sqlite3_step(q)) == SQLITE_ROW) {
		const char *const *v;
		size_t n;

		set_labels(&lk->ls, sqlite3_column_int64(q, 2), &v, &n);
		rc = fn(ud, sqlite3_column_int64(q, 0), (const char *)sqlite3_column_text(q, 1), v,
			n, (uint64_t)sqlite3_column_int64(q, 3));
	}
	if (!rc && r != SQLITE_DONE)
		rc = cs__store_fail(lk->st, "count sources");
	sqlite3_finalize(q);
	return rc;
}

int cs_store_indicator_count(struct cs_store *st, uint64_t *n)
{
	sqlite3_stmt *q = NULL;
	int rc = CS_OK;

	*n = 0;
	if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM indicator", -1, &q, NULL) !=
	    SQLITE_OK)
		return cs__store_fail(st, "count indicators");
	if (sqlite3_step(q) == SQLITE_ROW)
		*n = (uint64_t)sqlite3_column_int64(q, 0);
	else
		rc = cs__store_fail(st, "count indicators");
	sqlite3_finalize(q);
	return rc;
}

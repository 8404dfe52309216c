/*
 * Private to lib/store: the handle, shared by the indicator tables
 * (store_sqlite.c) and the file inventory (inventory_sqlite.c).
 */
#ifndef CS_STORE_INT_H
#define CS_STORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "chainsweep/store.h"

struct cs_store {
	sqlite3 *db;
	char errmsg[512];
	/* An inventory write in progress. */
	sqlite3_stmt *inv_put;
	int64_t inv_host;
	int64_t inv_time;
	/* A bulk intel import in progress (cs_store_import_begin). */
	struct cs_store_import *imp;
	/* Opened by cs_store_open_opts with readonly: nothing is created. */
	int readonly;
	/* Waiting for another connection's lock (see cs_store_opts). */
	char *path;
	unsigned busy_ms;
	int64_t wait_start_ms;
	cs_store_wait_fn on_wait;
	void *wait_ud;
	/* Loading by key (cs_store_load_intel_key): its statements, made at
	 * its first call and kept until close (a hunt reads thousands of
	 * keys). */
	sqlite3_stmt *kq[7];
};

/* 1 when the database has the table, 0 when not, CS_ERR_DB on error. */
int cs__store_has_table(struct cs_store *st, const char *table);

/* Record sqlite's message for `what` in errmsg; returns CS_ERR_DB. */
int cs__store_fail(struct cs_store *st, const char *what);
/* Run SQL without results; CS_OK or CS_ERR_DB with errmsg set. */
int cs__store_run(struct cs_store *st, const char *sql);

/* SQL that gives the case's intel a new stamp (cs_store_intel_stamp):
 * run inside every transaction that writes an intel table. */
extern const char cs__store_stamp_sql[];

/* In the save of intel version `ver`: the set's OSV advisories and the
 * files read only in part (advisory_sqlite.c). */
struct cs_intel;
struct cs_import_stats;
int cs__store_save_advisories(struct cs_store *st, const struct cs_intel *intel, int64_t ver,
			      const struct cs_import_stats *stats);
/* The advisory and import_partial tables (CREATE ... IF NOT EXISTS). */
extern const char cs__store_advisory_sql[];
/* The host and file inventory tables (CREATE ... IF NOT EXISTS). */
extern const char cs__store_inventory_sql[];
/* The sweep and finding tables (CREATE ... IF NOT EXISTS). */
extern const char cs__store_findings_sql[];
/* The host's id, created when `create`; 0 when absent. */
int cs__store_host_id(struct cs_store *st, const char *host, int create, int64_t *id);

/* Label names and label sets by database id (ids are small and dense,
 * so arrays index them). A set is its labels in order. */
struct cs__labelsets {
	char **names; /* names[label id] */
	size_t nnames;
	struct cs__lset {
		const char **v;
		size_t n;
	} *sets; /* sets[labelset id] */
	size_t nsets;
};
int cs__labelsets_load(struct cs_store *st, struct cs__labelsets *ls);
void cs__labelsets_release(struct cs__labelsets *ls);

#endif /* CS_STORE_INT_H */

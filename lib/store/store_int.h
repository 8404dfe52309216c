/*
 * Private to lib/store: the handle, shared by the indicator tables
 * (store_sqlite.c) and the file inventory (inventory_sqlite.c).
 */
#ifndef CS_STORE_INT_H
#define CS_STORE_INT_H

#include <sqlite3.h>

struct cs_store {
	sqlite3 *db;
	char errmsg[512];
	/* An inventory write in progress. */
	sqlite3_stmt *inv_put;
	int64_t inv_host;
	int64_t inv_time;
};

#endif /* CS_STORE_INT_H */

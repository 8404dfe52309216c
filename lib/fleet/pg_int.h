/*
 * Private to lib/fleet and its tests: hooks into the PostgreSQL store.
 */
#ifndef CS_FLEET_PG_INT_H
#define CS_FLEET_PG_INT_H

#include "chainsweep/fleet_pg.h"

/* Test hook: when `on`, cs_fleet_pg_apply closes the connection right
 * before its COMMIT (a collector that dies mid-transaction) and fails
 * with CS_ERR_DB; the next call connects again. */
void cs__fleet_pg_break_before_commit(struct cs_fleet_pg *pg, int on);

/* Load libpq (pq_dl.c) if it is not yet: CS_OK, or CS_ERR_UNSUPPORTED
 * with the reason in *why. */
int cs__fleet_pq_load(const char **why);

#endif /* CS_FLEET_PG_INT_H */

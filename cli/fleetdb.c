/*
 * --db postgresql://… : the fleet's case database (docs/fleet.md).
 *
 * The commands that only read a case run unchanged on a snapshot of the
 * fleet case: a private SQLite file made with mkstemp under $TMPDIR,
 * written by cs_fleet_pg_snapshot and removed when the command ends.
 * Commands that write a case refuse: only the collector writes the
 * fleet's database. The fleet's own commands (fleet …, agent) take the
 * URI as it is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chainsweep/fleet_pg.h"
#include "cli.h"
#include "opts.h"

static const char *const readers[] = {"findings", "report",      "correlate",  "exposure",
                                      "intel ls", "intel stats", "intel show", NULL};

static int is_reader(const char *name)
{
	size_t i;

	for (i = 0; readers[i]; i++)
		if (strcmp(readers[i], name) == 0)
			return 1;
	return 0;
}

static void remove_snapshot(const char *path)
{
	static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
	char p[4096 + 16];
	size_t i;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		unlink(p);
	}
}

int cli_fleet_db_run(const struct cli_command *c, void *args, struct cli_global *g)
{
	struct cs_fleet_pg *pg = NULL;
	const char *tmp = getenv("TMPDIR"), *uri = g->db;
	char path[4096], err[512];
	int fd, rc;

	if (strncmp(c->name, "fleet", 5) == 0 || strcmp(c->name, "agent") == 0)
		return c->run(args, g);
	if (!is_reader(c->name)) {
		cli_err("%s: --db names the fleet's case database (PostgreSQL), which only the "
		        "collector writes; the commands that read a case take it: findings, "
		        "report, correlate, exposure, intel ls, intel stats, intel show",
		        c->name);
		return CS_EXIT_ERROR;
	}
	if (!tmp || !*tmp)
		tmp = "/tmp";
	if ((size_t)snprintf(path, sizeof(path), "%s/chainsweep-fleet-XXXXXX", tmp) >=
	    sizeof(path)) {
		cli_err("$TMPDIR is too long");
		return CS_EXIT_ERROR;
	}
	fd = mkstemp(path);
	if (fd < 0) {
		cli_err("%s: cannot make the fleet snapshot there: %s", tmp, strerror(errno));
		return CS_EXIT_ERROR;
	}
	close(fd);
	/* The URI may hold a password: it is never printed. */
	rc = cs_fleet_pg_open(uri, &pg, err, sizeof(err));
	if (!rc)
		rc = cs_fleet_pg_snapshot(pg, NULL, path, err, sizeof(err));
	cs_fleet_pg_close(pg);
	if (rc) {
		cli_err("the fleet's case database: %s", err);
		remove_snapshot(path);
		return CS_EXIT_ERROR;
	}
	g->db = path;
	rc = c->run(args, g);
	g->db = uri;
	remove_snapshot(path);
	return rc;
}

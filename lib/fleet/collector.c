/* The collector: one message at a time from the RESULTS stream into the
 * fleet's PostgreSQL case, acknowledged only after its transaction
 * committed (docs/fleet.md). A message whose host or hunt disagrees with
 * the subject it came on is refused: the server's permissions let an agent
 * publish only under res.<its host>, so the subject is the proof of who
 * sent it and the payload cannot claim another host. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chainsweep/error.h"
#include "chainsweep/fleet.h"
#include "chainsweep/fleet_pg.h"
#include "chainsweep/fleet_wire.h"

static double wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* res.<host>.<hunt>: the hunt id may hold dots, the host may not. */
static int subject_matches(const char *subject, const struct cs_fleet_msg *m)
{
	size_t hl = strlen(m->host);

	if (strncmp(subject, "res.", 4) != 0)
		return 0;
	subject += 4;
	if (strncmp(subject, m->host, hl) != 0 || subject[hl] != '.')
		return 0;
	return strcmp(subject + hl + 1, m->hunt) == 0;
}

int cs_fleet_collect(struct cs_fleet_bus *b, struct cs_fleet_pg *pg, volatile sig_atomic_t *stop,
		     int64_t idle_exit_ms, struct cs_fleet_collect_stats *st, cs_fleet_log_fn log,
		     void *ud, char *err, size_t errlen)
{
	struct cs_fleet_msg_in in;
	struct cs_fleet_msg m;
	char e[512], line[1024];
	double idle_since = wall_ms();
	int rc, dup, type;

	memset(st, 0, sizeof(*st));
	while (!*stop) {
		rc = cs_fleet_bus_fetch(b, 1000, &in, e, sizeof(e));
		if (rc == CS_ERR_TIMEOUT) {
			if (idle_exit_ms > 0 && wall_ms() - idle_since > (double)idle_exit_ms)
				break;
			continue;
		}
		if (rc) {
			if (log) {
				snprintf(line, sizeof(line), "fetch: %s", e);
				log(ud, line);
			}
			usleep(500 * 1000);
			continue;
		}
		idle_since = wall_ms();
		rc = cs_fleet_wire_decode((const char *)in.data, in.len, &m, e, sizeof(e));
		if (rc == CS_OK && !subject_matches(in.subject, &m)) {
			snprintf(e, sizeof(e), "claims host %s hunt %s", m.host, m.hunt);
			cs_fleet_msg_free(&m);
			rc = CS_ERR_INVALID;
		}
		if (rc) {
			/* Never good: acknowledged so that it does not come back
			 * forever, and counted. */
			st->rejected++;
			if (log) {
				snprintf(line, sizeof(line), "rejected message %s on %s: %s", in.msgid,
					 in.subject, e);
				log(ud, line);
			}
			cs_fleet_bus_ack(b, &in, e, sizeof(e));
			cs_fleet_bus_msg_free(&in);
			continue;
		}
		type = m.type;
		cs_fleet_msg_free(&m);
		dup = 0;
		rc = cs_fleet_pg_apply(pg, in.msgid[0] ? in.msgid : NULL, (const char *)in.data,
				       in.len, &dup, e, sizeof(e));
		if (rc) {
			/* Not committed: it comes again. */
			if (log) {
				snprintf(line, sizeof(line), "database: %s; message %s left for later", e,
					 in.msgid);
				log(ud, line);
			}
			cs_fleet_bus_nak(b, &in);
			cs_fleet_bus_msg_free(&in);
			usleep(500 * 1000);
			continue;
		}
		if (cs_fleet_bus_ack(b, &in, e, sizeof(e)) != CS_OK && log) {
			snprintf(line, sizeof(line), "ack %s: %s (it comes again; its id makes it one row)",
				 in.msgid, e);
			log(ud, line);
		}
		cs_fleet_bus_msg_free(&in);
		st->messages++;
		if (dup)
			st->duplicates++;
		else if (type == CS_FLEET_MSG_FINDING)
			st->findings++;
		else if (type == CS_FLEET_MSG_STATUS)
			st->statuses++;
		if (!st->first_ms)
			st->first_ms = wall_ms();
		st->last_ms = wall_ms();
	}
	(void)err;
	(void)errlen;
	return CS_OK;
}

/*
 * libpq, loaded when the fleet's PostgreSQL case is first used (pg.c and
 * the tests call these names as usual). libpq brings Kerberos, LDAP,
 * GnuTLS and a dozen more libraries whose mapping, relocation and
 * constructors cost every chainsweep process about 15 ms of CPU at start
 * when linked; only the fleet commands that reach PostgreSQL need them.
 * Each wrapper below has libpq's own prototype (checked against
 * libpq-fe.h) and, when the library cannot be loaded, answers as libpq
 * does for a connection that failed, with the reason as its error message.
 */
#include <libpq-fe.h>

#include "core/dl_int.h"
#include "fleet/pg_int.h"

#ifndef CS_PQ_SONAME
#define CS_PQ_SONAME "libpq.so.5"
#endif

/* X: a function with a value (what to return when libpq is missing);
 * V: a function without one. */
#define CS_PQ_FUNCS(X, V)                                                                        \
	X(PGconn *, PQconnectdb, (const char *a), (a), NULL)                                         \
	V(PQfinish, (PGconn * a), (a))                                                               \
	X(ConnStatusType, PQstatus, (const PGconn *a), (a), CONNECTION_BAD)                          \
	X(char *, PQerrorMessage, (const PGconn *a), (a), (char *)cs__dl_why(&pq))                   \
	X(int, PQsetClientEncoding, (PGconn * a, const char *b), (a, b), -1)                          \
	X(PQnoticeProcessor, PQsetNoticeProcessor, (PGconn * a, PQnoticeProcessor b, void *c),       \
	  (a, b, c), NULL)                                                                           \
	X(PGresult *, PQexec, (PGconn * a, const char *b), (a, b), NULL)                             \
	X(PGresult *, PQexecParams,                                                                  \
	  (PGconn * a, const char *b, int c, const Oid *d, const char *const *e, const int *f,       \
	   const int *g, int h),                                                                     \
	  (a, b, c, d, e, f, g, h), NULL)                                                            \
	X(int, PQsendQueryParams,                                                                    \
	  (PGconn * a, const char *b, int c, const Oid *d, const char *const *e, const int *f,       \
	   const int *g, int h),                                                                     \
	  (a, b, c, d, e, f, g, h), 0)                                                               \
	X(int, PQsetSingleRowMode, (PGconn * a), (a), 0)                                             \
	X(PGresult *, PQgetResult, (PGconn * a), (a), NULL)                                          \
	X(ExecStatusType, PQresultStatus, (const PGresult *a), (a), PGRES_FATAL_ERROR)               \
	X(char *, PQresultErrorField, (const PGresult *a, int b), (a, b), NULL)                      \
	X(int, PQntuples, (const PGresult *a), (a), 0)                                               \
	X(char *, PQgetvalue, (const PGresult *a, int b, int c), (a, b, c), (char *)"")              \
	X(int, PQgetlength, (const PGresult *a, int b, int c), (a, b, c), 0)                         \
	X(int, PQgetisnull, (const PGresult *a, int b, int c), (a, b, c), 1)                         \
	X(char *, PQcmdTuples, (PGresult * a), (a), (char *)"")                                      \
	V(PQclear, (PGresult * a), (a))

enum { CS_PQ_FUNCS(CS_DL_IDX_X, CS_DL_IDX_V) N_PQ };
static const char *const pq_names[] = {CS_PQ_FUNCS(CS_DL_NAME_X, CS_DL_NAME_V)};
static void *pq_slots[N_PQ];
static struct cs__dl pq = CS_DL_INIT(CS_PQ_SONAME, pq_names, pq_slots);

#define CS_DL_SELF  pq
#define CS_DL_SLOTS pq_slots
CS_PQ_FUNCS(CS_DL_WRAP_X, CS_DL_WRAP_V)

int cs__fleet_pq_load(const char **why)
{
	int rc = cs__dl_load(&pq);

	if (rc && why)
		*why = cs__dl_why(&pq);
	return rc;
}

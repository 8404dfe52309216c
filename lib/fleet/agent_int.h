/*
 * Private to the agent's local parts (journal.c, spool.c, runner.c):
 * durable file writes.
 */
#ifndef CS_FLEET_AGENT_INT_H
#define CS_FLEET_AGENT_INT_H

#include <stddef.h>

/* write() until done, retrying EINTR: 0, or -1 with errno. */
int cs__fleet_write_all(int fd, const void *p, size_t n);
/* fsync the folder holding `path` (the folder itself when is_dir): 0 or -1. */
int cs__fleet_fsync_dir(const char *path, int is_dir);
/* mkdir `dir` (0700) unless it exists: 0, or -1 with errno. */
int cs__fleet_mkdir(const char *dir);

#endif /* CS_FLEET_AGENT_INT_H */

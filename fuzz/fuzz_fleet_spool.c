/*
 * libFuzzer target for the fleet agent's spool: the input is a message
 * file as a crash or a damaged disk may leave it, found in the spool's
 * folder at open.
 *
 * Invariants: opening never fails; the file is either returned by peek,
 * whole and consistent (a valid hunt id, a subject and message id of 1 to
 * 255 bytes, the payload within the cap), or counted as damaged and
 * deleted; the spool then works on (a put, a peek of it, a pop).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chainsweep/fleet_agent.h"

static char dir[] = "/tmp/fuzz_fleet_spool.XXXXXX";

static void empty_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[600];

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	closedir(d);
}

static void cleanup(void)
{
	empty_dir();
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct cs_fleet_spool *sp = NULL;
	struct cs_fleet_spool_item it;
	char path[600];
	int fd, rc;

	if (!ready) {
		if (!mkdtemp(dir))
			abort();
		atexit(cleanup);
		ready = 1;
	}
	if (size > (1 << 16))
		return 0;
	empty_dir();
	snprintf(path, sizeof(path), "%s/00000000000000000007.msg", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);
	if (cs_fleet_spool_open(dir, 1 << 20, &sp) != CS_OK)
		abort();
	rc = cs_fleet_spool_peek(sp, &it);
	if (rc == CS_OK) {
		size_t sl = strlen(it.subject), ml = strlen(it.msgid);

		if (!cs_fleet_hunt_id_ok(it.hunt) || sl < 1 || sl > 255 || ml < 1 || ml > 255 ||
		    it.len > CS_FLEET_SPOOL_MAX_DATA || it.seq != 7 ||
		    cs_fleet_spool_corrupt(sp, NULL) != 0)
			abort();
		if (cs_fleet_spool_pop(sp) != CS_OK)
			abort();
	} else if (rc != CS_ERR_EMPTY || cs_fleet_spool_corrupt(sp, NULL) != 1 ||
	           access(path, F_OK) == 0) {
		abort();
	}
	if (cs_fleet_spool_bytes(sp) != 0 ||
	    cs_fleet_spool_put(sp, "h", 1, "res.x.h", "h:x:1:1", "{}", 2) != CS_OK ||
	    cs_fleet_spool_peek(sp, &it) != CS_OK || it.seq != 8 || it.len != 2 ||
	    memcmp(it.data, "{}", 2) != 0 || cs_fleet_spool_pop(sp) != CS_OK)
		abort();
	cs_fleet_spool_close(sp);
	return 0;
}

/*
 * libFuzzer target for the fleet agent's journal: the input is the
 * journal file as a crash or a damaged disk may leave it.
 *
 * Invariants: opening never fails on a small file; after it the file ends
 * with a newline (a torn tail is cut off); a start appended then (which
 * may compact the file) and a reopen give the same state for every hunt,
 * with no more lines skipped than the first time (bad lines stay until a
 * compaction drops them).
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chainsweep/fleet_agent.h"

static char dir[] = "/tmp/fuzz_fleet_journal.XXXXXX";
static char path[128], tmp[140];

static void cleanup(void)
{
	unlink(path);
	unlink(tmp);
	rmdir(dir);
}

#define MAXH 256
struct snap {
	size_t n;
	char hunt[MAXH][65];
	enum cs_fleet_hunt_state st[MAXH];
	int64_t run[MAXH];
};

static int take(void *ud, const char *hunt, enum cs_fleet_hunt_state st, int64_t run)
{
	struct snap *s = ud;

	if (!cs_fleet_hunt_id_ok(hunt))
		abort();
	if (s->n < MAXH) {
		snprintf(s->hunt[s->n], sizeof(s->hunt[0]), "%s", hunt);
		s->st[s->n] = st;
		s->run[s->n] = run;
		s->n++;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct snap a;
	struct cs_fleet_journal *j = NULL;
	enum cs_fleet_hunt_state st;
	int64_t run = 0, last = 0;
	uint64_t skipped;
	struct stat sb;
	size_t i;
	int fd;

	if (!path[0]) {
		if (!mkdtemp(dir))
			abort();
		snprintf(path, sizeof(path), "%s/journal", dir);
		snprintf(tmp, sizeof(tmp), "%s.tmp", path);
		atexit(cleanup);
	}
	if (size > (1 << 16))
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);
	if (cs_fleet_journal_open(path, &j) != CS_OK)
		abort();
	cs_fleet_journal_set_compact_bytes(j, 128);
	skipped = cs_fleet_journal_skipped(j, NULL);
	if (stat(path, &sb) != 0)
		abort();
	if (sb.st_size > 0) {
		char c = 0;

		fd = open(path, O_RDONLY);
		if (fd < 0 || pread(fd, &c, 1, sb.st_size - 1) != 1 || c != '\n')
			abort();
		close(fd);
	}
	if (cs_fleet_journal_state(j, "fuzz-new", &st, &last) != CS_OK)
		abort();
	if (st != CS_FLEET_HUNT_ENDED &&
	    (cs_fleet_journal_start(j, "fuzz-new", &run) != CS_OK || run != last + 1))
		abort();
	memset(&a, 0, sizeof(a));
	cs_fleet_journal_each(j, take, &a);
	cs_fleet_journal_close(j);
	j = NULL;
	if (cs_fleet_journal_open(path, &j) != CS_OK || cs_fleet_journal_skipped(j, NULL) > skipped)
		abort();
	for (i = 0; i < a.n; i++) {
		if (cs_fleet_journal_state(j, a.hunt[i], &st, &run) != CS_OK)
			abort();
		/* A hunt only ever named in a skipped line is not there. */
		if (a.st[i] != CS_FLEET_HUNT_NONE && (st != a.st[i] || run != a.run[i]))
			abort();
	}
	cs_fleet_journal_close(j);
	return 0;
}

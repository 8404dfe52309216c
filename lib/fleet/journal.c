/*
 * The agent's journal of hunts (docs/fleet.md, "The agent"): an
 * append-only text file, one fsynced line per event, read back whole at
 * open into a table of hunts (id -> newest state and run).
 *
 * Durability: a line is one write() followed by fsync() before the call
 * returns, so a line the agent acted on is on disk. A crash can leave at
 * most the last line torn (no newline): open cuts it off the file and
 * counts it, so the next append starts on a line of its own. The file is
 * created with its folder fsynced; compaction writes the newest state of
 * each hunt to a temporary file, fsyncs it, renames it over the journal
 * and fsyncs the folder, so the journal is always the old file or the
 * new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chainsweep/fleet_agent.h"
#include "chainsweep/fleet_wire.h"
#include "core/core_int.h"
#include "fleet/agent_int.h"

#define LINE_MAX_BYTES 256
/* Far above what compaction leaves: a journal this big is not ours. */
#define JOURNAL_MAX_BYTES ((uint64_t)256 << 20)
#define RUN_MAX           ((int64_t)1 << 53)

struct hunt_ent {
	char *id;
	enum cs_fleet_hunt_state state;
	int64_t last_run;
	int64_t epoch;
	char end_state[17];
};

struct cs_fleet_journal {
	char *path;
	int fd;
	struct hunt_ent *v;
	size_t n, cap;
	struct cs_map idx;
	uint64_t size;       /* bytes in the file */
	uint64_t limit;      /* compaction size asked for */
	uint64_t compact_at; /* the next compaction: at least limit */
	uint64_t skipped;
	char first_skip[256];
	char errmsg[512];
};

int cs__fleet_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int cs__fleet_fsync_dir(const char *path, int is_dir)
{
	char buf[4096];
	const char *dir = path;
	int fd, r, e;

	if (!is_dir) {
		const char *s = strrchr(path, '/');

		if (!s)
			dir = ".";
		else if (s == path)
			dir = "/";
		else if ((size_t)(s - path) < sizeof(buf)) {
			memcpy(buf, path, (size_t)(s - path));
			buf[s - path] = '\0';
			dir = buf;
		} else {
			errno = ENAMETOOLONG;
			return -1;
		}
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = fsync(fd);
	e = errno;
	close(fd);
	errno = e;
	return r;
}

int cs__fleet_mkdir(const char *dir)
{
	struct stat sb;

	if (mkdir(dir, 0700) == 0)
		return cs__fleet_fsync_dir(dir, 0);
	if (errno != EEXIST)
		return -1;
	if (stat(dir, &sb) != 0)
		return -1;
	if (!S_ISDIR(sb.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

static int state_word_ok(const char *s, size_t n)
{
	size_t i;

	if (n < 1 || n > 16)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < 'a' || s[i] > 'z')
			return 0;
	return 1;
}

static int fail(struct cs_fleet_journal *j, int rc, const char *what)
{
	snprintf(j->errmsg, sizeof(j->errmsg), "%s: %s: %s", j->path, what, strerror(errno));
	return rc;
}

static struct hunt_ent *find(const struct cs_fleet_journal *j, const char *hunt)
{
	uint32_t i;

	if (!cs__map_get(&j->idx, hunt, strlen(hunt), &i))
		return NULL;
	return &j->v[i];
}

static int get_or_add(struct cs_fleet_journal *j, const char *hunt, size_t len,
                      struct hunt_ent **out)
{
	struct hunt_ent *e;
	uint32_t i;

	if (cs__map_get(&j->idx, hunt, len, &i)) {
		*out = &j->v[i];
		return CS_OK;
	}
	if (j->n >= UINT32_MAX || cs__grow((void **)&j->v, &j->cap, j->n + 1, sizeof(*j->v)))
		return CS_ERR_NOMEM;
	e = &j->v[j->n];
	memset(e, 0, sizeof(*e));
	e->id = cs__strndup(hunt, len);
	if (!e->id || cs__map_put(&j->idx, hunt, len, (uint32_t)j->n)) {
		free(e->id);
		return CS_ERR_NOMEM;
	}
	j->n++;
	*out = e;
	return CS_OK;
}

/* A decimal number of 1 to 18 digits. */
static int parse_num(const char *s, size_t n, int64_t *v)
{
	size_t i;
	int64_t x = 0;

	if (n < 1 || n > 18)
		return 0;
	for (i = 0; i < n; i++) {
		if (!cs__isdigit((unsigned char)s[i]))
			return 0;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return 1;
}

/* Split a line (no newline) into at most 6 space-separated fields. */
static size_t split(const char *s, size_t n, const char **f, size_t *fl)
{
	size_t k = 0, i, start = 0;

	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != ' ')
			continue;
		if (k == 6)
			return 7;
		f[k] = s + start;
		fl[k] = i - start;
		k++;
		start = i + 1;
	}
	return k;
}

/* Apply one line; 0 when it is not a valid journal line. */
static int apply_line(struct cs_fleet_journal *j, const char *s, size_t n, int *nomem)
{
	const char *f[6];
	size_t fl[6], k = split(s, n, f, fl);
	char id[65];
	int64_t run, epoch;
	struct hunt_ent *e;
	int end;

	if (k != 4 && k != 5)
		return 0;
	end = k == 5 && fl[0] == 3 && memcmp(f[0], "end", 3) == 0;
	if (!end && !(k == 4 && fl[0] == 5 && memcmp(f[0], "start", 5) == 0))
		return 0;
	if (fl[1] < 1 || fl[1] > 64 || memchr(f[1], '\0', fl[1]))
		return 0;
	memcpy(id, f[1], fl[1]);
	id[fl[1]] = '\0';
	/* An end may have run 0: a hunt this host never ran (not addressed
	 * to it, stopped or expired first). */
	if (!cs_fleet_hunt_id_ok(id) || !parse_num(f[2], fl[2], &run) || run < !end ||
	    run > RUN_MAX || !parse_num(f[k - 1], fl[k - 1], &epoch))
		return 0;
	if (end && !state_word_ok(f[3], fl[3]))
		return 0;
	if (get_or_add(j, id, fl[1], &e)) {
		*nomem = 1;
		return 0;
	}
	if (run > e->last_run)
		e->last_run = run;
	e->epoch = epoch;
	if (end) {
		e->state = CS_FLEET_HUNT_ENDED;
		memcpy(e->end_state, f[3], fl[3]);
		e->end_state[fl[3]] = '\0';
	} else {
		e->state = CS_FLEET_HUNT_STARTED;
		e->end_state[0] = '\0';
	}
	return 1;
}

static void skip(struct cs_fleet_journal *j, uint64_t line, const char *why)
{
	if (!j->skipped++)
		snprintf(j->first_skip, sizeof(j->first_skip), "%s:%llu: %s", j->path,
		         (unsigned long long)line, why);
}

/* Read the file: every line applied, a torn tail cut off the file. */
static int load(struct cs_fleet_journal *j)
{
	struct stat sb;
	char *buf = NULL;
	size_t len = 0, pos = 0, good = 0;
	uint64_t line = 0;
	int rc = CS_OK, nomem = 0;

	if (fstat(j->fd, &sb) != 0)
		return fail(j, CS_ERR_IO, "stat");
	if ((uint64_t)sb.st_size > JOURNAL_MAX_BYTES) {
		snprintf(j->errmsg, sizeof(j->errmsg),
		         "%s: %lld bytes: larger than a journal can be (%llu), not read", j->path,
		         (long long)sb.st_size, (unsigned long long)JOURNAL_MAX_BYTES);
		return CS_ERR_TOOBIG;
	}
	if (sb.st_size == 0)
		return CS_OK;
	buf = cs__malloc((size_t)sb.st_size);
	if (!buf)
		return CS_ERR_NOMEM;
	while (len < (size_t)sb.st_size) {
		ssize_t r = pread(j->fd, buf + len, (size_t)sb.st_size - len, (off_t)len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = fail(j, CS_ERR_IO, "read");
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n;

		line++;
		if (!nl) {
			skip(j, line, "torn last line (no newline): ignored and cut off");
			break;
		}
		n = (size_t)(nl - (buf + pos));
		if (n > LINE_MAX_BYTES || !apply_line(j, buf + pos, n, &nomem)) {
			if (nomem) {
				rc = CS_ERR_NOMEM;
				goto out;
			}
			skip(j, line, "not a journal line: ignored");
		}
		pos += n + 1;
		good = pos;
	}
	if (good < len) {
		if (ftruncate(j->fd, (off_t)good) != 0 || fsync(j->fd) != 0) {
			rc = fail(j, CS_ERR_IO, "cutting off the torn last line");
			goto out;
		}
	}
	j->size = good;
out:
	free(buf);
	return rc;
}

int cs_fleet_journal_open(const char *path, struct cs_fleet_journal **out)
{
	struct cs_fleet_journal *j = cs__calloc(1, sizeof(*j));
	int created = 0;

	*out = j;
	if (!j)
		return CS_ERR_NOMEM;
	j->fd = -1;
	cs__map_init(&j->idx);
	j->limit = j->compact_at = CS_FLEET_JOURNAL_COMPACT_BYTES;
	j->path = cs__strdup(path ? path : "");
	if (!j->path)
		return CS_ERR_NOMEM;
	if (!path || !*path) {
		snprintf(j->errmsg, sizeof(j->errmsg), "journal: no path");
		return CS_ERR_INVALID;
	}
	j->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (j->fd < 0 && errno == ENOENT) {
		j->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		             0600);
		created = j->fd >= 0;
	}
	if (j->fd < 0)
		return fail(j, CS_ERR_IO, "open");
	if (created && (fsync(j->fd) != 0 || cs__fleet_fsync_dir(path, 0) != 0))
		return fail(j, CS_ERR_IO, "fsync after creating");
	return load(j);
}

void cs_fleet_journal_close(struct cs_fleet_journal *j)
{
	size_t i;

	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	for (i = 0; i < j->n; i++)
		free(j->v[i].id);
	free(j->v);
	cs__map_release(&j->idx);
	free(j->path);
	free(j);
}

const char *cs_fleet_journal_errmsg(const struct cs_fleet_journal *j)
{
	return j ? j->errmsg : "out of memory";
}

uint64_t cs_fleet_journal_skipped(const struct cs_fleet_journal *j, const char **first)
{
	if (first)
		*first = j->first_skip;
	return j->skipped;
}

void cs_fleet_journal_set_compact_bytes(struct cs_fleet_journal *j, uint64_t bytes)
{
	j->limit = j->compact_at = bytes ? bytes : CS_FLEET_JOURNAL_COMPACT_BYTES;
}

int cs_fleet_journal_state(struct cs_fleet_journal *j, const char *hunt,
                           enum cs_fleet_hunt_state *state, int64_t *last_run)
{
	const struct hunt_ent *e;

	if (!cs_fleet_hunt_id_ok(hunt)) {
		snprintf(j->errmsg, sizeof(j->errmsg), "not a hunt id");
		return CS_ERR_INVALID;
	}
	e = find(j, hunt);
	*state = e ? e->state : CS_FLEET_HUNT_NONE;
	*last_run = e ? e->last_run : 0;
	return CS_OK;
}

const char *cs_fleet_journal_end_state(struct cs_fleet_journal *j, const char *hunt)
{
	const struct hunt_ent *e = cs_fleet_hunt_id_ok(hunt) ? find(j, hunt) : NULL;

	return e && e->state == CS_FLEET_HUNT_ENDED ? e->end_state : "";
}

int cs_fleet_journal_each(struct cs_fleet_journal *j, cs_fleet_journal_fn fn, void *ud)
{
	size_t i;
	int rc;

	for (i = 0; i < j->n; i++) {
		rc = fn(ud, j->v[i].id, j->v[i].state, j->v[i].last_run);
		if (rc)
			return rc;
	}
	return CS_OK;
}

static int format_ent(const struct hunt_ent *e, char *buf, size_t len)
{
	if (e->state == CS_FLEET_HUNT_ENDED)
		return snprintf(buf, len, "end %s %lld %s %lld\n", e->id, (long long)e->last_run,
		                e->end_state, (long long)e->epoch);
	return snprintf(buf, len, "start %s %lld %lld\n", e->id, (long long)e->last_run,
	                (long long)e->epoch);
}

/*
 * Rewrite the journal as one line per hunt (its newest state). The next
 * compaction waits until the file is twice what this one left, so a
 * journal of many hunts is not rewritten at every line.
 */
static int compact(struct cs_fleet_journal *j)
{
	struct cs_buf b;
	char line[LINE_MAX_BYTES + 2], *tmp = NULL;
	size_t i;
	int fd = -1, nfd, rc = CS_OK;

	cs__buf_init(&b, 0);
	for (i = 0; i < j->n && !rc; i++) {
		if (j->v[i].state == CS_FLEET_HUNT_NONE)
			continue;
		format_ent(&j->v[i], line, sizeof(line));
		rc = cs__buf_adds(&b, line);
	}
	if (rc)
		goto out;
	tmp = cs__malloc(strlen(j->path) + 5);
	if (!tmp) {
		rc = CS_ERR_NOMEM;
		goto out;
	}
	snprintf(tmp, strlen(j->path) + 5, "%s.tmp", j->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || cs__fleet_write_all(fd, b.data, b.len) != 0 || fsync(fd) != 0) {
		rc = fail(j, CS_ERR_IO, "compaction: writing the new journal");
		goto out;
	}
	if (rename(tmp, j->path) != 0 || cs__fleet_fsync_dir(j->path, 0) != 0) {
		rc = fail(j, CS_ERR_IO, "compaction: renaming the new journal");
		goto out;
	}
	nfd = open(j->path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (nfd < 0) {
		rc = fail(j, CS_ERR_IO, "compaction: reopening");
		goto out;
	}
	close(j->fd);
	j->fd = nfd;
	j->size = b.len;
	j->compact_at = j->size * 2 > j->limit ? j->size * 2 : j->limit;
out:
	if (fd >= 0)
		close(fd);
	if (rc && tmp)
		unlink(tmp);
	free(tmp);
	cs__buf_release(&b);
	return rc;
}

/* Append one line and fsync; on a failed write the file is cut back to
 * where it was, so no half line stays in the middle. */
static int append(struct cs_fleet_journal *j, const char *line, size_t n)
{
	if (cs__fleet_write_all(j->fd, line, n) != 0) {
		int e = errno;

		if (ftruncate(j->fd, (off_t)j->size) == 0)
			fsync(j->fd);
		errno = e;
		return fail(j, CS_ERR_IO, "append");
	}
	if (fsync(j->fd) != 0)
		return fail(j, CS_ERR_IO, "fsync");
	j->size += n;
	return CS_OK;
}

/* Write the entry's new state (the line naming run `line_run`), then keep
 * it; compact when due. */
static int record(struct cs_fleet_journal *j, const char *hunt, const struct hunt_ent *proposed,
                  int64_t line_run)
{
	char line[LINE_MAX_BYTES + 2];
	struct hunt_ent w = *proposed, *e;
	int n, rc;

	w.last_run = line_run;
	n = format_ent(&w, line, sizeof(line));

	if (n < 0 || (size_t)n >= sizeof(line))
		return CS_ERR_INVALID;
	rc = append(j, line, (size_t)n);
	if (rc)
		return rc;
	rc = get_or_add(j, hunt, strlen(hunt), &e);
	if (rc) {
		snprintf(j->errmsg, sizeof(j->errmsg), "%s: out of memory", j->path);
		return rc;
	}
	e->state = proposed->state;
	e->last_run = proposed->last_run;
	e->epoch = proposed->epoch;
	memcpy(e->end_state, proposed->end_state, sizeof(e->end_state));
	if (j->size > j->compact_at)
		return compact(j);
	return CS_OK;
}

int cs_fleet_journal_start(struct cs_fleet_journal *j, const char *hunt, int64_t *run)
{
	const struct hunt_ent *e;
	struct hunt_ent p;
	int rc;

	if (!cs_fleet_hunt_id_ok(hunt)) {
		snprintf(j->errmsg, sizeof(j->errmsg), "not a hunt id");
		return CS_ERR_INVALID;
	}
	e = find(j, hunt);
	if (e && e->state == CS_FLEET_HUNT_ENDED) {
		snprintf(j->errmsg, sizeof(j->errmsg), "hunt %s ended (%s): it is not run again",
		         hunt, e->end_state);
		return CS_ERR_INVALID;
	}
	memset(&p, 0, sizeof(p));
	p.id = (char *)hunt;
	p.state = CS_FLEET_HUNT_STARTED;
	p.last_run = (e ? e->last_run : 0) + 1;
	p.epoch = (int64_t)time(NULL);
	if (p.last_run > RUN_MAX)
		return CS_ERR_TOOBIG;
	rc = record(j, hunt, &p, p.last_run);
	if (!rc)
		*run = p.last_run;
	return rc;
}

int cs_fleet_journal_end(struct cs_fleet_journal *j, const char *hunt, int64_t run,
                         const char *state)
{
	const struct hunt_ent *e;
	struct hunt_ent p;

	if (!cs_fleet_hunt_id_ok(hunt) || !state || !state_word_ok(state, strlen(state)) ||
	    run < 0 || run > RUN_MAX) {
		snprintf(j->errmsg, sizeof(j->errmsg),
		         "journal end: not a hunt id, run or state ([a-z]{1,16})");
		return CS_ERR_INVALID;
	}
	e = find(j, hunt);
	memset(&p, 0, sizeof(p));
	p.id = (char *)hunt;
	p.state = CS_FLEET_HUNT_ENDED;
	p.last_run = e && e->last_run > run ? e->last_run : run;
	p.epoch = (int64_t)time(NULL);
	snprintf(p.end_state, sizeof(p.end_state), "%s", state);
	return record(j, hunt, &p, run);
}

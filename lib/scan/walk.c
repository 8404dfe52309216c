/*
 * The file sweep driver: one walker (the calling thread) lists folders
 * and opens files; a pool of workers reads, hashes and matches them.
 *
 * Safety on a production host (docs/file-sweep.md): symbolic links below
 * a root are never followed; other filesystems are not entered unless
 * asked; pseudo filesystems (/proc, /sys, ...) never; FIFOs, sockets and
 * devices are never opened; files are opened read-only, without
 * following links, without updating access times where the kernel lets
 * us; what we read is dropped from the page cache when it was not cached
 * before. Files are opened relative to their folder, so a path longer
 * than PATH_MAX is no obstacle.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dirent.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "scan/scan_int.h"

#define DEFAULT_YARA_MAX ((uint64_t)256 << 20)
#define RESIDENT_PAGES   1024 /* pages looked at for "was it cached?" */

static const char *const reason_names[CS_COV_NREASONS] = {
        [CS_COV_FILES] = "files",
        [CS_COV_SCANNED] = "scanned",
        [CS_COV_BYTES] = "bytes",
        [CS_COV_DIRS] = "folders",
        [CS_COV_MEMBERS] = "archive-members",
        [CS_COV_SKIP_SYMLINK] = "symlink",
        [CS_COV_SKIP_SPECIAL] = "special-file",
        [CS_COV_SKIP_PSEUDO_FS] = "pseudo-fs",
        [CS_COV_SKIP_OTHER_FS] = "other-fs",
        [CS_COV_SKIP_EXCLUDED] = "excluded",
        [CS_COV_SKIP_TOO_LARGE] = "too-large",
        [CS_COV_DENIED] = "denied",
        [CS_COV_VANISHED] = "vanished",
        [CS_COV_CHANGED] = "changed-while-read",
        [CS_COV_READ_ERROR] = "read-error",
        [CS_COV_YARA_TOO_LARGE] = "yara-too-large",
        [CS_COV_YARA_TIMEOUT] = "yara-timeout",
        [CS_COV_YARA_TOO_MANY] = "yara-too-many-matches",
        [CS_COV_YARA_ERROR] = "yara-error",
        [CS_COV_ARCHIVE_CORRUPT] = "archive-corrupt",
        [CS_COV_ARCHIVE_ENCRYPTED] = "archive-encrypted",
        [CS_COV_ARCHIVE_BOMB] = "archive-bomb",
        [CS_COV_ARCHIVE_DEPTH] = "archive-too-deep",
        [CS_COV_ARCHIVE_MEMBERS] = "archive-too-many-members",
        [CS_COV_TIME_LIMIT] = "time-limit",
        [CS_COV_INTERRUPTED] = "interrupted",
        [CS_COV_DEEP_PATH] = "path-too-deep",
        [CS_COV_UNCHANGED] = "unchanged",
        [CS_COV_INVENTORY_NO_HASH] = "inventory-lacks-hash",
};

const char *cs_scan_reason_name(enum cs_scan_reason r)
{
	return r < CS_COV_NREASONS ? reason_names[r] : "unknown";
}

int cs_scan_reason_gap(enum cs_scan_reason r)
{
	switch (r) {
	case CS_COV_DENIED:
	case CS_COV_CHANGED:
	case CS_COV_READ_ERROR:
	case CS_COV_YARA_TOO_LARGE:
	case CS_COV_YARA_TIMEOUT:
	case CS_COV_YARA_TOO_MANY:
	case CS_COV_YARA_ERROR:
	case CS_COV_ARCHIVE_CORRUPT:
	case CS_COV_ARCHIVE_ENCRYPTED:
	case CS_COV_ARCHIVE_BOMB:
	case CS_COV_ARCHIVE_DEPTH:
	case CS_COV_ARCHIVE_MEMBERS:
	case CS_COV_TIME_LIMIT:
	case CS_COV_INTERRUPTED:
	case CS_COV_DEEP_PATH:
	case CS_COV_INVENTORY_NO_HASH:
		return 1;
	default:
		return 0;
	}
}

void cs_scan_opts_init(struct cs_scan_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->one_filesystem = 1;
}

double cs__now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cs__scan_stopping(struct cs_scan *s)
{
	if (__atomic_load_n(&s->stop, __ATOMIC_RELAXED))
		return 1;
	if (s->o.interrupt && __atomic_load_n(s->o.interrupt, __ATOMIC_RELAXED)) {
		__atomic_store_n(&s->stop_reason, CS_COV_INTERRUPTED, __ATOMIC_RELAXED);
		__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
		return 1;
	}
	if (s->o.max_runtime > 0 && cs__now() - s->t0 > s->o.max_runtime) {
		__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
		return 1;
	}
	return 0;
}

enum cs_scan_reason cs__scan_stop_reason(struct cs_scan *s)
{
	return __atomic_load_n(&s->stop_reason, __ATOMIC_RELAXED) == CS_COV_INTERRUPTED
	               ? CS_COV_INTERRUPTED
	               : CS_COV_TIME_LIMIT;
}

const char *cs__scan_stop_words(struct cs_scan *s)
{
	return cs__scan_stop_reason(s) == CS_COV_INTERRUPTED ? "interrupted" : "time limit";
}

int cs__scan_yara_timeout(struct cs_scan *s)
{
	double left;

	if (s->o.max_runtime <= 0)
		return s->o.yara_timeout;
	left = s->o.max_runtime - (cs__now() - s->t0);
	if (left < 1)
		return 0;
	return left < s->o.yara_timeout ? (int)left : s->o.yara_timeout;
}

void cs__scan_throttle(struct cs_scan *s, size_t n)
{
	uint64_t total = __atomic_add_fetch(&s->bytes_read, n, __ATOMIC_RELAXED);
	double due, now;

	if (s->o.max_rate <= 0)
		return;
	due = (double)total / (s->o.max_rate * 1e6);
	now = cs__now() - s->t0;
	if (due > now) {
		double d = due - now;
		struct timespec ts;

		if (d > 1.0)
			d = 1.0; /* stay responsive to the time limit */
		ts.tv_sec = (time_t)d;
		ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
	}
}

/* ---- the job queue ---- */

struct job {
	int fd;
	char *path;
	size_t base; /* offset of the base name in path */
	struct stat st;
};

struct queue {
	struct job *v;
	size_t cap, head, n;
	int closed;
	pthread_mutex_t mu;
	pthread_cond_t not_empty, not_full;
};

static void queue_push(struct queue *q, struct job *j)
{
	pthread_mutex_lock(&q->mu);
	while (q->n == q->cap)
		pthread_cond_wait(&q->not_full, &q->mu);
	q->v[(q->head + q->n) % q->cap] = *j;
	q->n++;
	pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->mu);
}

/* 1 with a job, 0 when the queue is closed and empty. */
static int queue_pop(struct queue *q, struct job *j)
{
	pthread_mutex_lock(&q->mu);
	while (q->n == 0 && !q->closed)
		pthread_cond_wait(&q->not_empty, &q->mu);
	if (q->n == 0) {
		pthread_mutex_unlock(&q->mu);
		return 0;
	}
	*j = q->v[q->head];
	q->head = (q->head + 1) % q->cap;
	q->n--;
	pthread_cond_signal(&q->not_full);
	pthread_mutex_unlock(&q->mu);
	return 1;
}

/* ---- reading one file ---- */

/* Were any of the first pages of the file in the page cache already?
 * Then it is someone else's working set and we leave it there. */
static int was_cached(int fd, uint64_t size)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len, npages, i;
	unsigned char vec[RESIDENT_PAGES];
	void *p;
	int hit = 0;

	if (size == 0 || page <= 0)
		return 1;
	len = size > (uint64_t)RESIDENT_PAGES * (uint64_t)page
	              ? (size_t)RESIDENT_PAGES * (size_t)page
	              : (size_t)size;
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 1;
	npages = (len + (size_t)page - 1) / (size_t)page;
	if (mincore(p, len, vec) == 0) {
		for (i = 0; i < npages && !hit; i++)
			hit = vec[i] & 1;
	} else {
		hit = 1;
	}
	munmap(p, len);
	return hit;
}

/* Read up to n bytes; returns the count (short only at end of file) or
 * -1 with errno. */
static ssize_t read_full(int fd, unsigned char *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				/* O_NONBLOCK on a file that is not a regular file
				 * any more: give up on it. */
				return -1;
			}
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static int ensure_buf(struct cs_worker *w, size_t n)
{
	unsigned char *p;

	if (n <= w->cap)
		return CS_OK;
	p = realloc(w->buf, n);
	if (!p)
		return CS_ERR_NOMEM;
	w->buf = p;
	w->cap = n;
	return CS_OK;
}

/* Does a file larger than its first chunk end like a zip (a
 * self-extracting zip after its stub)? Its last 4 KiB are read into the
 * buffer behind the chunk; a zip comment longer than that hides it. */
static int zip_at_end(struct cs_worker *w, int fd, uint64_t size, size_t got)
{
	size_t n = 4096;
	ssize_t r;

	if (size <= got)
		return 0;
	if (size - got < n)
		n = (size_t)(size - got);
	if (ensure_buf(w, got + n + 1))
		return 0;
	r = pread(fd, w->buf + got, n, (off_t)(size - n));
	return r == (ssize_t)n && cs__archive_zip_tail(w->buf + got, n);
}

/* Give back a very large buffer after the file that needed it. */
static void trim_buf(struct cs_worker *w)
{
	if (w->cap > CS_SCAN_KEEP_BUF) {
		free(w->buf);
		w->buf = NULL;
		w->cap = 0;
	}
}

/* Is the inventory's record of this file still good for a sweep with
 * this matcher? Then nothing needs to be read. */
static int lacks_hash(const struct cs_scan *s, const struct cs_file_record *r);

static const struct cs_file_record *unchanged(struct cs_scan *s, const struct job *j)
{
	const struct cs_file_record *r = cs_inventory_find(s->o.known, j->path);

	if (!r || r->member_depth || r->size != (uint64_t)j->st.st_size ||
	    r->mtime != (int64_t)j->st.st_mtime || r->mtime_ns != (int64_t)j->st.st_mtim.tv_nsec ||
	    r->ctime != (int64_t)j->st.st_ctime || r->inode != (uint64_t)j->st.st_ino)
		return NULL;
	if (r->gaps || lacks_hash(s, r))
		return NULL;
	if (s->m->rules && (!s->o.known_yara_valid || !r->yara))
		return NULL;
	return r;
}

/* Does the record lack a hash kind the intel needs? */
static int lacks_hash(const struct cs_scan *s, const struct cs_file_record *r)
{
	const char *h[4] = {r->md5, r->sha1, r->sha256, r->sha512};
	unsigned mask = cs_matcher_hashes(s->m);
	int i;

	for (i = 0; i < 4; i++)
		if ((mask & (1u << i)) && !h[i])
			return 1;
	return 0;
}

/* Match a file and its archive members from their records. */
static int replay(struct cs_worker *w, const struct cs_file_record *r)
{
	const struct cs_file_record *first;
	struct cs_object o;
	char *prefix;
	size_t n, i;
	int rc;

	cs__object_from_record(&o, r, w->s->o.known_yara_valid);
	rc = cs__scan_object(w, &o);
	w->count[CS_COV_UNCHANGED]++;
	prefix = cs__malloc(strlen(r->path) + 3);
	if (!prefix)
		return CS_ERR_NOMEM;
	strcpy(prefix, r->path);
	strcat(prefix, "!/");
	n = cs__inventory_range(w->s->o.known, prefix, &first);
	for (i = 0; i < n && !rc; i++) {
		cs__object_from_record(&o, &first[i], w->s->o.known_yara_valid);
		rc = cs__scan_object(w, &o);
		w->count[CS_COV_MEMBERS]++;
	}
	free(prefix);
	return rc;
}

static void scan_file(struct cs_worker *w, struct job *j)
{
	struct cs_scan *s = w->s;
	const struct cs_matcher *m = s->m;
	uint64_t size = (uint64_t)j->st.st_size, yara_max = s->o.yara_max_size;
	struct cs_object o;
	struct stat after;
	size_t got = 0, want;
	ssize_t r;
	int whole = 0, drop, archive;

	w->file_gaps = 0;
	if (s->o.known) {
		const struct cs_file_record *rec = unchanged(s, j);

		if (rec) {
			replay(w, rec);
			close(j->fd);
			__atomic_add_fetch(&s->files_done, 1, __ATOMIC_RELAXED);
			return;
		}
	}
	memset(&o, 0, sizeof(o));
	o.path = j->path;
	o.base = j->path + j->base;
	o.mtime_ns = (int64_t)j->st.st_mtim.tv_nsec;
	o.size = size;
	o.mtime = (int64_t)j->st.st_mtime;
	o.ctime = (int64_t)j->st.st_ctime;
	o.inode = (uint64_t)j->st.st_ino;
	o.uid = j->st.st_uid;
	o.have_uid = 1;
	drop = !s->o.keep_cache && !was_cached(j->fd, size);
	posix_fadvise(j->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (cs__hash_begin(w) != CS_OK) {
		cs__scan_problem(w, j->path, CS_COV_READ_ERROR, "no-memory", "out of memory");
		goto out;
	}
	want = size < CS_SCAN_CHUNK ? (size_t)size : CS_SCAN_CHUNK;
	if (ensure_buf(w, want + 1)) {
		cs__scan_problem(w, j->path, CS_COV_READ_ERROR, "no-memory", "out of memory");
		goto out;
	}
	r = read_full(j->fd, w->buf, want);
	if (r < 0) {
		cs__scan_problem(w, j->path, CS_COV_READ_ERROR, "read-error",
		                 "read failed at 0: %s", strerror(errno));
		goto out;
	}
	got = (size_t)r;
	cs__hash_update(w, w->buf, got);
	cs__scan_throttle(s, got);
	archive = !s->o.no_archives && cs__archive_sniff(w->buf, got);
	if (size <= yara_max &&
	    (m->rules || archive || (!s->o.no_archives && zip_at_end(w, j->fd, size, got))))
		whole = ensure_buf(w, (size_t)size + 1) == CS_OK;
	while ((uint64_t)got < size && r > 0 && !cs__scan_stopping(s)) {
		unsigned char *dst = whole ? w->buf + got : w->buf;

		want = size - got < CS_SCAN_CHUNK ? (size_t)(size - got) : CS_SCAN_CHUNK;
		r = read_full(j->fd, dst, want);
		if (r < 0) {
			cs__scan_problem(w, j->path, CS_COV_READ_ERROR, "read-error",
			                 "read failed at byte %zu: %s", got, strerror(errno));
			o.partial = 1;
			break;
		}
		cs__hash_update(w, dst, (size_t)r);
		cs__scan_throttle(s, (size_t)r);
		got += (size_t)r;
		if ((size_t)r < want)
			break;
	}
	if ((uint64_t)got < size && !o.partial) {
		o.partial = 1;
		if (cs__scan_stopping(s))
			cs__scan_problem(w, j->path, cs__scan_stop_reason(s),
			                 cs_scan_reason_name(cs__scan_stop_reason(s)),
			                 "stopped after %zu of %llu bytes: %s", got,
			                 (unsigned long long)size, cs__scan_stop_words(s));
		else
			cs__scan_problem(w, j->path, CS_COV_CHANGED, "changed",
			                 "file shrank while being read: %zu of %llu bytes", got,
			                 (unsigned long long)size);
	} else if (!o.partial && fstat(j->fd, &after) == 0 &&
	           (after.st_size != j->st.st_size || after.st_mtime != j->st.st_mtime ||
	            after.st_mtim.tv_nsec != j->st.st_mtim.tv_nsec)) {
		o.partial = 1;
		cs__scan_problem(w, j->path, CS_COV_CHANGED, "changed",
		                 "file changed while being read (size %llu -> %llu)",
		                 (unsigned long long)size, (unsigned long long)after.st_size);
	}
	w->count[CS_COV_BYTES] += got;
	cs__hash_end(w, &o);
	if (whole) {
		o.data = w->buf;
		o.len = got;
	}
	if (m->rules && !whole && size > yara_max && !o.partial) {
		/* Too large to hold: YARA reads it again, in blocks. */
		o.big_fd = j->fd;
		o.has_big_fd = 1;
	} else if (archive && !whole && size > yara_max)
		cs__scan_problem(w, j->path, CS_COV_YARA_TOO_LARGE, "yara-too-large",
		                 "%llu bytes: an archive over the size cap (--yara-max-size); "
		                 "hashed and named only, not opened",
		                 (unsigned long long)size);
	w->held = o.len;
	cs__scan_object(w, &o);
	w->held = 0;
	if (!o.partial)
		w->count[CS_COV_SCANNED]++;
out:
	if (drop)
		posix_fadvise(j->fd, 0, 0, POSIX_FADV_DONTNEED);
	close(j->fd);
	trim_buf(w);
	__atomic_add_fetch(&s->files_done, 1, __ATOMIC_RELAXED);
}

struct worker_arg {
	struct cs_worker w;
	struct queue *q;
	pthread_t th;
	int started;
	int done; /* joined, or left running */
	/* The file being read, for the watchdog's report. */
	pthread_mutex_t mu;
	char cur[1024];
	int busy;
};

static void *worker_main(void *p)
{
	struct worker_arg *a = p;
	struct job j;

	while (queue_pop(a->q, &j)) {
		if (cs__scan_stopping(a->w.s)) {
			/* Not read: counted when the time limit stopped us (a
			 * callback that stops the sweep makes it an error). */
			if (!a->w.s->cb_rc)
				cs__scan_problem(&a->w, j.path, cs__scan_stop_reason(a->w.s),
				                 "stop", "not read: %s",
				                 cs__scan_stop_words(a->w.s));
			close(j.fd);
		} else {
			pthread_mutex_lock(&a->mu);
			snprintf(a->cur, sizeof(a->cur), "%s", j.path);
			a->busy = 1;
			pthread_mutex_unlock(&a->mu);
			scan_file(&a->w, &j);
			pthread_mutex_lock(&a->mu);
			a->busy = 0;
			pthread_mutex_unlock(&a->mu);
		}
		free(j.path);
	}
	return NULL;
}

/* ---- the walker ---- */

struct walker {
	struct cs_scan *s;
	struct cs_worker *w; /* counters and diagnostics of the walker */
	struct queue *q;
	struct cs_buf path;
	dev_t root_dev;
	dev_t last_dev;
	int last_pseudo;
};

static int glob_hit(const char *const *pats, size_t n, const char *path, const char *base)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *subject = strchr(pats[i], '/') ? path : base;

		if (fnmatch(pats[i], subject, 0) == 0)
			return 1;
	}
	return 0;
}

static int is_pseudo(struct walker *wk, int fd, dev_t dev)
{
	struct statfs sf;

	if (dev == wk->last_dev)
		return wk->last_pseudo;
	wk->last_dev = dev;
	wk->last_pseudo = 0;
	if (fstatfs(fd, &sf) != 0)
		return 0;
	switch ((unsigned long)sf.f_type) {
	case PROC_SUPER_MAGIC:
	case SYSFS_MAGIC:
	case DEVPTS_SUPER_MAGIC:
	case DEBUGFS_MAGIC:
	case SECURITYFS_MAGIC:
	case CGROUP_SUPER_MAGIC:
	case CGROUP2_SUPER_MAGIC:
	case PSTOREFS_MAGIC:
	case BPF_FS_MAGIC:
	case TRACEFS_MAGIC:
	case HUGETLBFS_MAGIC:
	case SELINUX_MAGIC:
	case SMACK_MAGIC:
	case EFIVARFS_MAGIC:
		wk->last_pseudo = 1;
		break;
	default:
		break;
	}
	return wk->last_pseudo;
}

static int open_file_at(int dirfd, const char *name)
{
	int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	int fd = openat(dirfd, name, flags | O_NOATIME);

	/* O_NOATIME is refused on files we do not own (EPERM). */
	if (fd < 0 && errno == EPERM)
		fd = openat(dirfd, name, flags);
	return fd;
}

static void open_error(struct walker *wk, const char *what, int err)
{
	const char *path = cs__buf_cstr(&wk->path);

	if (err == EACCES || err == EPERM)
		cs__scan_problem(wk->w, path, CS_COV_DENIED, "denied", "cannot open %s: %s", what,
		                 strerror(err));
	else if (err == ENOENT || err == ELOOP || err == ENOTDIR)
		cs__scan_problem(wk->w, path, CS_COV_VANISHED, "vanished",
		                 "%s vanished or was replaced before it was opened", what);
	else if (err == ENAMETOOLONG)
		cs__scan_problem(wk->w, path, CS_COV_DEEP_PATH, "name-too-long",
		                 "cannot open %s: %s", what, strerror(err));
	else
		cs__scan_problem(wk->w, path, CS_COV_READ_ERROR, "open-error", "cannot open %s: %s",
		                 what, strerror(err));
}

/* Queue a regular file for the workers; `fd` is open. */
static void submit(struct walker *wk, int fd, const struct stat *st, size_t base)
{
	struct job j;

	j.fd = fd;
	j.path = cs__strndup(wk->path.data, wk->path.len);
	j.base = base;
	j.st = *st;
	if (!j.path) {
		close(fd);
		cs__scan_problem(wk->w, cs__buf_cstr(&wk->path), CS_COV_READ_ERROR, "no-memory",
		                 "out of memory");
		return;
	}
	queue_push(wk->q, &j);
}

/* Handle one regular file at (dirfd, name); path holds its full path. */
static void walk_file(struct walker *wk, int dirfd, const char *name, const struct stat *st,
                      size_t base)
{
	struct cs_scan *s = wk->s;
	const char *path = cs__buf_cstr(&wk->path);
	struct stat st2;
	int fd;

	wk->w->count[CS_COV_FILES]++;
	if ((s->o.ninclude && !glob_hit(s->o.include, s->o.ninclude, path, path + base)) ||
	    glob_hit(s->o.exclude, s->o.nexclude, path, path + base)) {
		wk->w->count[CS_COV_SKIP_EXCLUDED]++;
		return;
	}
	if (s->o.max_size && (uint64_t)st->st_size > s->o.max_size) {
		cs__scan_problem(wk->w, path, CS_COV_SKIP_TOO_LARGE, "too-large",
		                 "%lld bytes: over --max-size, not read", (long long)st->st_size);
		return;
	}
	fd = open_file_at(dirfd, name);
	if (fd < 0) {
		open_error(wk, "file", errno);
		return;
	}
	/* The name may have been replaced between listing and opening. */
	if (fstat(fd, &st2) != 0 || !S_ISREG(st2.st_mode)) {
		close(fd);
		cs__scan_problem(wk->w, path, CS_COV_VANISHED, "vanished",
		                 "replaced by something else than a file before it was opened");
		return;
	}
	submit(wk, fd, &st2, base);
}

struct frame {
	DIR *d;
	size_t pathlen;
};

/* Walk the folder open at fd (its path in wk->path). Consumes fd. */
static void walk_dir(struct walker *wk, int fd)
{
	struct cs_scan *s = wk->s;
	struct frame *stack = NULL;
	size_t depth = 0, cap = 0;
	DIR *d = fdopendir(fd);

	if (!d) {
		close(fd);
		open_error(wk, "folder", errno);
		return;
	}
	wk->w->count[CS_COV_DIRS]++;
	if (cs__grow((void **)&stack, &cap, 1, sizeof(*stack))) {
		closedir(d);
		return;
	}
	stack[depth].d = d;
	stack[depth++].pathlen = wk->path.len;
	while (depth) {
		struct frame *f = &stack[depth - 1];
		struct dirent *e;
		struct stat st;
		size_t base;
		int dfd = dirfd(f->d);

		if (cs__scan_stopping(s)) {
			if (!s->cb_rc)
				wk->w->count[cs__scan_stop_reason(s)]++;
			closedir(f->d);
			depth--;
			continue;
		}
		errno = 0;
		e = readdir(f->d);
		if (!e) {
			if (errno) {
				wk->path.len = f->pathlen;
				wk->path.data[wk->path.len] = '\0';
				cs__scan_problem(wk->w, cs__buf_cstr(&wk->path), CS_COV_READ_ERROR,
				                 "read-error", "cannot list folder: %s",
				                 strerror(errno));
			}
			closedir(f->d);
			depth--;
			continue;
		}
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		wk->path.len = f->pathlen;
		if (wk->path.len && wk->path.data[wk->path.len - 1] != '/')
			cs__buf_addc(&wk->path, '/');
		else if (wk->path.data)
			wk->path.data[wk->path.len] = '\0';
		base = wk->path.len;
		if (cs__buf_adds(&wk->path, e->d_name)) {
			cs__scan_problem(wk->w, e->d_name, CS_COV_DEEP_PATH, "path-too-long",
			                 "path over the walker's cap");
			continue;
		}
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			open_error(wk, "entry", errno);
			continue;
		}
		if (S_ISLNK(st.st_mode)) {
			wk->w->count[CS_COV_SKIP_SYMLINK]++;
		} else if (S_ISREG(st.st_mode)) {
			walk_file(wk, dfd, e->d_name, &st, base);
		} else if (S_ISDIR(st.st_mode)) {
			const char *path = cs__buf_cstr(&wk->path);
			int nfd;

			if (glob_hit(s->o.exclude, s->o.nexclude, path, path + base)) {
				wk->w->count[CS_COV_SKIP_EXCLUDED]++;
				continue;
			}
			nfd = openat(dfd, e->d_name,
			             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
			if (nfd < 0) {
				open_error(wk, "folder", errno);
				continue;
			}
			if (st.st_dev != wk->root_dev && is_pseudo(wk, nfd, st.st_dev)) {
				close(nfd);
				wk->w->count[CS_COV_SKIP_PSEUDO_FS]++;
				continue;
			}
			if (st.st_dev != wk->root_dev && s->o.one_filesystem) {
				close(nfd);
				cs__scan_problem(wk->w, path, CS_COV_SKIP_OTHER_FS, "other-fs",
				                 "another filesystem is mounted here; not entered "
				                 "(--all-filesystems to enter)");
				continue;
			}
			if (depth >= CS_SCAN_MAX_DEPTH) {
				close(nfd);
				cs__scan_problem(wk->w, path, CS_COV_DEEP_PATH, "too-deep",
				                 "folder nested over %d levels; not entered",
				                 CS_SCAN_MAX_DEPTH);
				continue;
			}
			d = fdopendir(nfd);
			if (!d) {
				close(nfd);
				open_error(wk, "folder", errno);
				continue;
			}
			if (cs__grow((void **)&stack, &cap, depth + 1, sizeof(*stack))) {
				closedir(d);
				continue;
			}
			wk->w->count[CS_COV_DIRS]++;
			stack[depth].d = d;
			stack[depth++].pathlen = wk->path.len;
		} else {
			wk->w->count[CS_COV_SKIP_SPECIAL]++;
		}
	}
	free(stack);
}

static void walk_root(struct walker *wk, const char *root)
{
	struct stat st;
	const char *slash;
	size_t base;
	int fd;

	cs__buf_reset(&wk->path);
	if (cs__buf_adds(&wk->path, root))
		return;
	/* A root is followed when it is a symbolic link: the user named it. */
	if (stat(root, &st) != 0) {
		/* A root the user named and we cannot open is a gap, whatever
		 * the reason: the sweep did not look where it was asked to. */
		cs__scan_problem(wk->w, root, CS_COV_READ_ERROR, "root", "cannot sweep: %s",
		                 strerror(errno));
		return;
	}
	wk->root_dev = st.st_dev;
	if (S_ISDIR(st.st_mode)) {
		fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0) {
			open_error(wk, "folder", errno);
			return;
		}
		if (is_pseudo(wk, fd, st.st_dev)) {
			close(fd);
			wk->w->count[CS_COV_SKIP_PSEUDO_FS]++;
			return;
		}
		walk_dir(wk, fd);
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		wk->w->count[CS_COV_SKIP_SPECIAL]++;
		return;
	}
	slash = strrchr(root, '/');
	base = slash ? (size_t)(slash - root) + 1 : 0;
	walk_file(wk, AT_FDCWD, root, &st, base);
}

/* ---- the sweep ---- */

struct progress_arg {
	struct cs_scan *s;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done;
};

static void *progress_main(void *p)
{
	struct progress_arg *a = p;
	struct cs_scan *s = a->s;

	pthread_mutex_lock(&a->mu);
	while (!a->done) {
		struct timespec ts;
		struct cs_scan_progress pr;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 500000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&a->cv, &a->mu, &ts);
		if (a->done)
			break;
		pr.files = __atomic_load_n(&s->files_done, __ATOMIC_RELAXED);
		pr.bytes = __atomic_load_n(&s->bytes_read, __ATOMIC_RELAXED);
		pr.seconds = cs__now() - s->t0;
		pr.current = NULL;
		pthread_mutex_lock(&s->out_lock);
		s->o.on_progress(s->o.userdata, &pr);
		pthread_mutex_unlock(&s->out_lock);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

static int scan_init(struct cs_scan *s, const struct cs_matcher *m, const struct cs_scan_opts *o)
{
	static const char *const names[4] = {"MD5", "SHA1", "SHA256", "SHA512"};
	unsigned mask = cs_matcher_hashes(m);
	int i;

	memset(s, 0, sizeof(*s));
	s->m = m;
	if (o)
		s->o = *o;
	else
		cs_scan_opts_init(&s->o);
	if (!s->o.yara_max_size)
		s->o.yara_max_size = DEFAULT_YARA_MAX;
	if (!s->o.yara_timeout)
		s->o.yara_timeout = 60;
	if (!s->o.archive_depth)
		s->o.archive_depth = 4;
	if (!s->o.archive_max_members)
		s->o.archive_max_members = 100000;
	if (!s->o.archive_max_bytes)
		s->o.archive_max_bytes = (uint64_t)1 << 30;
	if (!s->o.archive_max_ratio)
		s->o.archive_max_ratio = 200;
	for (i = 0; i < 4; i++)
		if (mask & (1u << i))
			s->md[i] = EVP_get_digestbyname(names[i]);
	if (m->compound_n) {
		s->cobs_seen = cs__calloc(m->cobs_n, 1);
		s->compound_done = cs__calloc(m->compound_n, 1);
		if (!s->cobs_seen || !s->compound_done) {
			free(s->cobs_seen);
			free(s->compound_done);
			return CS_ERR_NOMEM;
		}
	}
	pthread_mutex_init(&s->out_lock, NULL);
	s->t0 = cs__now();
	return CS_OK;
}

static void add_counts(struct cs_scan_result *res, const struct cs_worker *w)
{
	int i;

	for (i = 0; i < CS_COV_NREASONS; i++)
		res->count[i] += w->count[i];
	res->findings += w->findings;
}

static void finish(struct cs_scan *s, struct cs_scan_result *res)
{
	int i;

	res->seconds = cs__now() - s->t0;
	res->incomplete = 0;
	for (i = 0; i < CS_COV_NREASONS; i++)
		if (res->count[i] && cs_scan_reason_gap((enum cs_scan_reason)i))
			res->incomplete = 1;
	free(s->cobs_seen);
	free(s->compound_done);
	pthread_mutex_destroy(&s->out_lock);
}

/*
 * How long workers may run on past the time limit (or an interrupt)
 * before the watchdog leaves them: a scan inside libyara's regex engine
 * does not see its timeout, and one file must not hold the sweep.
 */
#define WATCHDOG_GRACE 0.5

/* What the workers share; left allocated when one of them is left
 * running (it may still touch it when libyara returns). */
struct scan_run {
	struct cs_scan s;
	struct queue q;
	struct worker_arg *wa;
	unsigned nthreads;
};

/*
 * Join the workers. With a time limit or an interrupt flag, a worker that
 * is still busy WATCHDOG_GRACE seconds after the sweep began to stop is
 * left running: its file is counted (as the stop's reason) and named, no
 * callback is made from then on, and 1 is returned.
 */
static int join_workers(struct scan_run *run, struct cs_worker *ww, struct cs_scan_result *res)
{
	struct cs_scan *s = &run->s;
	int watch = s->o.max_runtime > 0 || s->o.interrupt;
	unsigned i, pending = 0;
	double deadline = 0;
	int left = 0;

	for (i = 0; i < run->nthreads; i++) {
		struct worker_arg *a = &run->wa[i];

		if (a->started && !watch) {
			pthread_join(a->th, NULL);
			a->done = 1;
		}
		if (!a->started || a->done) {
			add_counts(res, &a->w);
			cs__worker_release(&a->w);
			a->done = 1;
		} else {
			pending++;
		}
	}
	while (pending) {
		struct timespec nap = {0, 20 * 1000 * 1000};

		for (i = 0; i < run->nthreads; i++) {
			struct worker_arg *a = &run->wa[i];

			if (a->done || pthread_tryjoin_np(a->th, NULL) != 0)
				continue;
			add_counts(res, &a->w);
			cs__worker_release(&a->w);
			a->done = 1;
			pending--;
		}
		if (!pending)
			break;
		if (cs__scan_stopping(s)) {
			if (!deadline)
				deadline = cs__now() + WATCHDOG_GRACE;
			else if (cs__now() > deadline)
				break;
		}
		nanosleep(&nap, NULL);
	}
	for (i = 0; pending && i < run->nthreads; i++) {
		struct worker_arg *a = &run->wa[i];
		char cur[sizeof(a->cur)];
		int busy;

		if (a->done)
			continue;
		pthread_mutex_lock(&a->mu);
		memcpy(cur, a->cur, sizeof(cur));
		busy = a->busy;
		pthread_mutex_unlock(&a->mu);
		cs__scan_problem(ww, busy ? cur : "-", cs__scan_stop_reason(s),
		                 cs_scan_reason_name(cs__scan_stop_reason(s)),
		                 "still being scanned %.1f s after the sweep had to stop (%s): "
		                 "left behind, not fully read",
		                 WATCHDOG_GRACE, cs__scan_stop_words(s));
		pthread_detach(a->th);
		a->done = 1;
		left = 1;
	}
	if (left) {
		pthread_mutex_lock(&s->out_lock);
		s->abandoned = 1;
		pthread_mutex_unlock(&s->out_lock);
	}
	return left;
}

int cs_scan_files(const struct cs_matcher *m, const char *const *roots, size_t nroots,
                  const struct cs_scan_opts *o, struct cs_scan_result *res)
{
	struct scan_run *run;
	struct cs_scan *s;
	struct queue *q;
	struct worker_arg *wa = NULL;
	struct cs_worker ww;
	struct walker wk;
	struct progress_arg pa;
	pthread_t pth;
	unsigned nthreads, i;
	int rc = CS_OK, progress = 0, left;

	memset(res, 0, sizeof(*res));
	if (!m || (!roots && nroots))
		return CS_ERR_INVALID;
	run = cs__calloc(1, sizeof(*run));
	if (!run)
		return CS_ERR_NOMEM;
	s = &run->s;
	q = &run->q;
	if (scan_init(s, m, o)) {
		free(run);
		return CS_ERR_NOMEM;
	}
	nthreads = s->o.threads;
	if (!nthreads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		nthreads = n > 0 ? (unsigned)n : 1;
	}
	if (nthreads > 256)
		nthreads = 256;
	q->cap = 4 * (size_t)nthreads + 64;
	q->v = cs__calloc(q->cap, sizeof(*q->v));
	wa = cs__calloc(nthreads, sizeof(*wa));
	if (!q->v || !wa) {
		free(q->v);
		free(wa);
		finish(s, res);
		free(run);
		return CS_ERR_NOMEM;
	}
	run->wa = wa;
	run->nthreads = nthreads;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->not_empty, NULL);
	pthread_cond_init(&q->not_full, NULL);
	rc = cs__worker_init(&ww, s);
	for (i = 0; i < nthreads; i++)
		pthread_mutex_init(&wa[i].mu, NULL);
	for (i = 0; i < nthreads && !rc; i++) {
		rc = cs__worker_init(&wa[i].w, s);
		wa[i].q = q;
		if (!rc && pthread_create(&wa[i].th, NULL, worker_main, &wa[i]) != 0)
			rc = CS_ERR_NOMEM;
		if (!rc)
			wa[i].started = 1;
	}
	if (!rc && s->o.on_progress) {
		pa.s = s;
		pa.done = 0;
		pthread_mutex_init(&pa.mu, NULL);
		pthread_cond_init(&pa.cv, NULL);
		progress = pthread_create(&pth, NULL, progress_main, &pa) == 0;
	}
	memset(&wk, 0, sizeof(wk));
	wk.s = s;
	wk.w = &ww;
	wk.q = q;
	wk.last_dev = (dev_t)-1;
	cs__buf_init(&wk.path, 0);
	for (i = 0; i < nroots && !rc && !cs__scan_stopping(s); i++)
		walk_root(&wk, roots[i]);
	if (i < nroots && !rc)
		ww.count[cs__scan_stop_reason(s)] += nroots - i;
	cs__buf_release(&wk.path);
	pthread_mutex_lock(&q->mu);
	q->closed = 1;
	pthread_cond_broadcast(&q->not_empty);
	pthread_mutex_unlock(&q->mu);
	/* Progress goes on while the workers finish the queue. */
	left = join_workers(run, &ww, res);
	if (progress) {
		pthread_mutex_lock(&pa.mu);
		pa.done = 1;
		pthread_cond_signal(&pa.cv);
		pthread_mutex_unlock(&pa.mu);
	}
	if (progress) {
		pthread_join(pth, NULL);
		pthread_mutex_destroy(&pa.mu);
		pthread_cond_destroy(&pa.cv);
	}
	add_counts(res, &ww);
	cs__worker_release(&ww);
	if (!rc)
		rc = s->cb_rc;
	if (left) {
		/* A worker may still use all of this when libyara returns:
		 * it stays allocated. The jobs it has not taken are counted. */
		pthread_mutex_lock(&q->mu);
		res->count[cs__scan_stop_reason(s)] += q->n;
		pthread_mutex_unlock(&q->mu);
		res->abandoned = 1;
		res->seconds = cs__now() - s->t0;
		res->incomplete = 1;
		return rc;
	}
	/* Jobs still queued when a worker failed to start. */
	while (q->n) {
		struct job j;

		queue_pop(q, &j);
		close(j.fd);
		free(j.path);
	}
	for (i = 0; i < nthreads; i++)
		pthread_mutex_destroy(&wa[i].mu);
	free(q->v);
	free(wa);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
	finish(s, res);
	free(run);
	return rc;
}

/*
 * A record of a file that the sweep which wrote it could not fully read:
 * matching it from the record cannot be complete either, so each of its
 * gaps is counted again (and said, naming the file and the reasons).
 */
_Static_assert(CS_COV_NREASONS < 63, "a record's gaps are one bit per reason");

static void recorded_gaps(struct cs_worker *w, const struct cs_file_record *r)
{
	char why[256];
	size_t o = 0;
	int i;

	if (r->gaps == CS_GAPS_UNKNOWN)
		return;
	why[0] = '\0';
	for (i = 0; i < CS_COV_NREASONS && o < sizeof(why); i++) {
		if (!(r->gaps & (UINT64_C(1) << i)) || !cs_scan_reason_gap((enum cs_scan_reason)i))
			continue;
		w->count[i]++;
		o += (size_t)snprintf(why + o, sizeof(why) - o, "%s%s", o ? ", " : "",
		                      cs_scan_reason_name((enum cs_scan_reason)i));
	}
	cs__scan_problem(w, r->path, CS_COV_NREASONS, "inventory-gap",
	                 "not fully read when last swept (%s); matched from what was read", why);
}

int cs_scan_inventory(const struct cs_matcher *m, const struct cs_inventory *inv,
                      const struct cs_scan_opts *o, struct cs_scan_result *res)
{
	struct cs_scan s;
	struct cs_worker w;
	size_t i, n = cs_inventory_count(inv);
	int rc;

	memset(res, 0, sizeof(*res));
	if (!m || !inv)
		return CS_ERR_INVALID;
	if (scan_init(&s, m, o))
		return CS_ERR_NOMEM;
	s.o.on_file = NULL; /* the records are what we read */
	rc = cs__worker_init(&w, &s);
	for (i = 0; i < n && !rc; i++) {
		const struct cs_file_record *r = cs__inventory_at(inv, i);
		struct cs_object obj;

		cs__object_from_record(&obj, r, s.o.known_yara_valid);
		if (lacks_hash(&s, r))
			w.count[CS_COV_INVENTORY_NO_HASH]++;
		if (r->gaps)
			recorded_gaps(&w, r);
		rc = cs__scan_object(&w, &obj);
		w.count[r->member_depth ? CS_COV_MEMBERS : CS_COV_FILES]++;
		w.count[CS_COV_UNCHANGED]++;
	}
	add_counts(res, &w);
	cs__worker_release(&w);
	if (!rc)
		rc = s.cb_rc;
	finish(&s, res);
	return rc;
}

int cs_scan_mem(const struct cs_matcher *m, const char *path, const void *data, size_t len,
                const struct cs_scan_opts *o, struct cs_scan_result *res)
{
	struct cs_scan s;
	struct cs_worker w;
	struct cs_object obj;
	const char *slash;
	int rc;

	memset(res, 0, sizeof(*res));
	if (!m || !path || (!data && len))
		return CS_ERR_INVALID;
	if (scan_init(&s, m, o))
		return CS_ERR_NOMEM;
	rc = cs__worker_init(&w, &s);
	if (!rc)
		rc = cs__hash_begin(&w);
	if (!rc) {
		memset(&obj, 0, sizeof(obj));
		obj.path = path;
		slash = strrchr(path, '/');
		obj.base = slash ? slash + 1 : path;
		obj.size = len;
		obj.data = data ? data : (const unsigned char *)"";
		obj.len = len;
		cs__hash_update(&w, obj.data, len);
		cs__hash_end(&w, &obj);
		w.count[CS_COV_FILES]++;
		w.count[CS_COV_BYTES] += len;
		w.held = len;
		rc = cs__scan_object(&w, &obj);
		w.count[CS_COV_SCANNED]++;
	}
	add_counts(res, &w);
	cs__worker_release(&w);
	if (!rc)
		rc = s.cb_rc;
	finish(&s, res);
	return rc;
}

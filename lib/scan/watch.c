/*
 * The watcher (docs/live-host.md).
 *
 * One thread reads the fanotify queue and never scans: a permission
 * event (FAN_OPEN_EXEC_PERM) is answered from the decision cache, or
 * handed to a scanner thread and answered when the verdict comes or when
 * `decide_within_ms` has passed (then allowed and counted, or denied with
 * fail_closed); a close-after-write event is queued for the scanners
 * (one entry per file however often it is written before its turn).
 * Reading events quickly is what keeps the kernel's queue from
 * overflowing; an overflow is counted and reported.
 *
 * Deadlocks: the scanners read the file through the event's descriptor,
 * which fanotify opened without notification; events caused by this
 * process itself (its case database, its quarantine copies) are allowed
 * or dropped at once, never waited on; and the only permission asked for
 * is execution, which this process never does. Only the paths given are
 * marked (or their mounts with `mount`).
 *
 * Decisions are cached by (device, inode, change time, size); a write to
 * the file drops its entry. With ignore_marks (opt-in: the kernel was
 * seen to let a rare execution after a write pass unasked,
 * docs/live-host.md), a clean verdict given to an execution is also
 * handed to the kernel as an ignore mark on the file (FAN_OPEN_EXEC_PERM
 * in its ignored mask, without FAN_MARK_IGNORED_SURV_MODIFY): its next
 * executions are not even asked about until the file is modified, which
 * clears the mark. Swapping the matcher (a new intel version) takes a
 * write lock that waits for the scans under way: the old matcher serves
 * until the new one is in place, and then the cache and every ignore mark
 * are dropped before a scan with the new one can start.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "chainsweep/watch.h"
#include "core/core_int.h"
#include "scan/scan_int.h"

#define WATCH_QUEUE_MAX  65536 /* scan jobs waiting */
#define WATCH_CACHE_MAX  (1u << 18)
#define WATCH_DIRS_MAX   100000 /* folders marked under the paths */
#define WATCH_DEPTH_MAX  64
#define WATCH_IGNORE_MAX 4096 /* kernel ignore marks (the default) */
#define WATCH_MOUNTS_MAX 64   /* filesystems with ignore marks */

struct job {
	int fd;
	int pid;
	int perm;
	uint64_t dev, ino;
	int64_t ctime_s, ctime_ns, mtime;
	int64_t size;
	uint64_t gen; /* the matcher generation that scanned it */
	int done, deny, orphan;
	struct job *next;
};

/* A file with a kernel ignore mark: its handle, to remove the mark again
 * once the event's descriptor is closed. */
struct ignent {
	uint64_t dev, ino;
	int mnt; /* index in watcher.mnts */
	struct file_handle *fh;
};

struct centry {
	int64_t ctime_s, ctime_ns, size;
	int deny, valid;
};

struct watcher {
	const struct cs_watch_opts *o;
	struct cs_watch_stats *st;
	const struct cs_matcher *m;
	pthread_rwlock_t mlock;
	pthread_mutex_t lock; /* queue, cache, pending */
	pthread_mutex_t cb_lock;
	pthread_cond_t work_cv, done_cv;
	struct job *head, *tail;
	size_t queued;
	int quit;
	struct cs_map pending; /* (dev, ino) -> 1 while a write job waits */
	struct cs_map cache;   /* (dev, ino) -> index in centries */
	struct centry *centries;
	size_t ncache, ccap;
	uint64_t gen; /* bumped at each matcher swap (atomic; written under both locks) */
	/* kernel ignore marks (under lock) */
	struct cs_map ign; /* (dev, ino) -> index in igns */
	struct ignent *igns;
	size_t nign, igncap, ign_max;
	struct {
		uint64_t dev;
		int fd;    /* a folder on that filesystem, for open_by_handle_at */
		int local; /* every write to it passes this kernel (ignore marks allowed) */
	} mnts[WATCH_MOUNTS_MAX];
	size_t nmnt;
	int fan, ino;
	pid_t self;
	/* inotify: the folder of each watch descriptor */
	char **wdpath;
	size_t nwd;
};

void cs_watch_opts_init(struct cs_watch_opts *o)
{
	memset(o, 0, sizeof(*o));
}

static void add(uint64_t *c, uint64_t n)
{
	__atomic_add_fetch(c, n, __ATOMIC_RELAXED);
}

static void diag(struct watcher *w, enum cs_severity sev, const char *file, const char *reason,
                 const char *fmt, ...) CS_PRINTF(5, 6);
static void diag(struct watcher *w, enum cs_severity sev, const char *file, const char *reason,
                 const char *fmt, ...)
{
	struct cs_diag d;
	char msg[512];
	va_list ap;

	if (!w->o->on_diag)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memset(&d, 0, sizeof(d));
	d.severity = sev;
	d.file = file;
	d.reason = reason;
	d.message = msg;
	pthread_mutex_lock(&w->cb_lock);
	w->o->on_diag(w->o->userdata, &d);
	pthread_mutex_unlock(&w->cb_lock);
}

static size_t key_of(unsigned char *k, uint64_t dev, uint64_t ino)
{
	memcpy(k, &dev, 8);
	memcpy(k + 8, &ino, 8);
	return 16;
}

/* ---- the decision cache (under w->lock) ---- */

static int cache_get(struct watcher *w, const struct job *j, int *deny)
{
	unsigned char k[16];
	uint32_t i;
	const struct centry *e;

	if (!cs__map_get(&w->cache, k, key_of(k, j->dev, j->ino), &i))
		return 0;
	e = &w->centries[i];
	if (!e->valid || e->ctime_s != j->ctime_s || e->ctime_ns != j->ctime_ns ||
	    e->size != j->size)
		return 0;
	*deny = e->deny;
	return 1;
}

static void cache_put(struct watcher *w, const struct job *j, int deny)
{
	unsigned char k[16];
	size_t kl = key_of(k, j->dev, j->ino);
	uint32_t i;

	if (!cs__map_get(&w->cache, k, kl, &i)) {
		if (w->ncache >= WATCH_CACHE_MAX) {
			/* Full: start again rather than grow without bound. */
			cs__map_release(&w->cache);
			cs__map_init(&w->cache);
			w->ncache = 0;
		}
		if (cs__grow((void **)&w->centries, &w->ccap, w->ncache + 1,
		             sizeof(*w->centries)) ||
		    cs__map_put(&w->cache, k, kl, (uint32_t)w->ncache))
			return;
		i = (uint32_t)w->ncache++;
	}
	w->centries[i].ctime_s = j->ctime_s;
	w->centries[i].ctime_ns = j->ctime_ns;
	w->centries[i].size = j->size;
	w->centries[i].deny = deny;
	w->centries[i].valid = 1;
}

static void cache_drop(struct watcher *w, uint64_t dev, uint64_t ino)
{
	unsigned char k[16];
	uint32_t i;

	if (cs__map_get(&w->cache, k, key_of(k, dev, ino), &i))
		w->centries[i].valid = 0;
}

/* ---- scanning (scanner threads) ---- */

struct scan_ctx {
	struct watcher *w;
	struct job *j;
	int hits;
	/* The first hit, for the quarantine report. */
	const struct cs_indicator *ind;
	enum cs_evidence ev;
	char matched[256];
	char sha256[65];
};

static int on_hit(void *ud, const struct cs_file_finding *ff)
{
	struct scan_ctx *c = ud;
	struct watcher *w = c->w;
	struct cs_watch_finding wf;
	struct cs_file_finding f2 = *ff;
	int rc = 0;

	if (!ff->indicator)
		return 0;
	/* The file's own times and inode (the scan saw only its bytes). */
	if (!ff->member_depth) {
		f2.mtime = c->j->mtime;
		f2.ctime = c->j->ctime_s;
		f2.inode = c->j->ino;
	}
	memset(&wf, 0, sizeof(wf));
	wf.file = &f2;
	wf.pid = c->j->pid;
	wf.action = CS_WATCH_DETECTED;
	if (c->j->perm && !w->o->no_deny) {
		/* Claim the denial while the reader still waits for us. */
		pthread_mutex_lock(&w->lock);
		if (!c->j->orphan) {
			c->j->deny = 1;
			wf.action = CS_WATCH_DENIED;
		}
		pthread_cond_broadcast(&w->done_cv);
		pthread_mutex_unlock(&w->lock);
	}
	if (!c->hits++) {
		c->ind = ff->indicator;
		c->ev = ff->evidence;
		cs__copy_n(c->matched, sizeof(c->matched), ff->matched ? ff->matched : "",
		           strlen(ff->matched ? ff->matched : ""));
		if (ff->sha256)
			cs__copy_n(c->sha256, sizeof(c->sha256), ff->sha256, strlen(ff->sha256));
	}
	add(&w->st->findings, 1);
	pthread_mutex_lock(&w->cb_lock);
	if (w->o->on_finding)
		rc = w->o->on_finding(w->o->userdata, &wf);
	pthread_mutex_unlock(&w->cb_lock);
	(void)rc;
	return 0;
}

static void fd_path(int fd, char *buf, size_t len)
{
	char l[64];
	ssize_t r;

	snprintf(l, sizeof(l), "/proc/self/fd/%d", fd);
	r = readlink(l, buf, len - 1);
	if (r < 0)
		r = 0;
	buf[r] = '\0';
}

static void quarantine(struct watcher *w, struct scan_ctx *c, const char *path)
{
	struct cs_file_finding ff;
	struct cs_watch_finding wf;
	char id[128], why[512];

	snprintf(why, sizeof(why), "%s %s", cs_kind_name(cs_indicator_kind(c->ind)),
	         cs_indicator_value(c->ind));
	if (cs_quarantine_file(w->o->quarantine_dir, path, why, id, sizeof(id))) {
		add(&w->st->errors, 1);
		diag(w, CS_SEV_ERROR, path, "quarantine", "cannot move %s into the quarantine %s",
		     path, w->o->quarantine_dir);
		return;
	}
	add(&w->st->quarantined, 1);
	memset(&ff, 0, sizeof(ff));
	ff.evidence = c->ev;
	ff.indicator = c->ind;
	ff.matched = c->matched;
	ff.path = path;
	ff.sha256 = c->sha256[0] ? c->sha256 : NULL;
	memset(&wf, 0, sizeof(wf));
	wf.file = &ff;
	wf.action = CS_WATCH_QUARANTINED;
	wf.pid = c->j->pid;
	wf.quarantine_id = id;
	pthread_mutex_lock(&w->cb_lock);
	if (w->o->on_finding)
		w->o->on_finding(w->o->userdata, &wf);
	pthread_mutex_unlock(&w->cb_lock);
}

/* Scan one file through its descriptor; returns the number of hits. */
static int scan_job(struct watcher *w, struct job *j, unsigned char **buf, size_t *cap)
{
	uint64_t max = w->o->max_size ? w->o->max_size : (uint64_t)64 << 20;
	struct cs_scan_opts so;
	struct cs_scan_result res;
	struct scan_ctx c;
	char path[PATH_MAX];
	size_t got = 0;

	if (j->size < 0 || (uint64_t)j->size > max) {
		add(&w->st->too_large, 1);
		return 0;
	}
	if (cs__grow((void **)buf, cap, (size_t)j->size + 1, 1)) {
		add(&w->st->errors, 1);
		return 0;
	}
	while (got < (size_t)j->size) {
		ssize_t n = pread(j->fd, *buf + got, (size_t)j->size - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	fd_path(j->fd, path, sizeof(path));
	memset(&c, 0, sizeof(c));
	c.w = w;
	c.j = j;
	cs_scan_opts_init(&so);
	so.on_finding = on_hit;
	so.userdata = &c;
	pthread_rwlock_rdlock(&w->mlock);
	j->gen = __atomic_load_n(&w->gen, __ATOMIC_ACQUIRE);
	cs_scan_mem(w->m, path[0] ? path : "?", *buf, got, &so, &res);
	pthread_rwlock_unlock(&w->mlock);
	add(&w->st->scanned, 1);
	if (c.hits && w->o->quarantine_dir && path[0] == '/' && !strstr(path, " (deleted)"))
		quarantine(w, &c, path);
	return c.hits;
}

static void *scanner(void *arg)
{
	struct watcher *w = arg;
	unsigned char *buf = NULL;
	size_t cap = 0;

	for (;;) {
		struct job *j;
		int hits, free_it;

		pthread_mutex_lock(&w->lock);
		while (!w->head && !w->quit)
			pthread_cond_wait(&w->work_cv, &w->lock);
		if (!w->head) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		j = w->head;
		w->head = j->next;
		if (!w->head)
			w->tail = NULL;
		w->queued--;
		if (!j->perm) {
			unsigned char k[16];

			cs__map_put(&w->pending, k, key_of(k, j->dev, j->ino), 0);
		}
		pthread_mutex_unlock(&w->lock);

		hits = scan_job(w, j, &buf, &cap);

		pthread_mutex_lock(&w->lock);
		/* A verdict of a matcher swapped out meanwhile is not kept. */
		if (j->gen == __atomic_load_n(&w->gen, __ATOMIC_ACQUIRE))
			cache_put(w, j, hits > 0 && !w->o->no_deny);
		j->done = 1;
		free_it = !j->perm || j->orphan;
		pthread_cond_broadcast(&w->done_cv);
		pthread_mutex_unlock(&w->lock);
		if (free_it) {
			close(j->fd);
			free(j);
		}
	}
	free(buf);
	return NULL;
}

static void enqueue(struct watcher *w, struct job *j)
{
	j->next = NULL;
	if (w->tail)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	w->queued++;
	pthread_cond_signal(&w->work_cv);
}

static struct job *new_job(int fd, int pid, int perm)
{
	struct job *j = calloc(1, sizeof(*j));
	struct stat st;

	if (!j)
		return NULL;
	j->fd = fd;
	j->pid = pid;
	j->perm = perm;
	if (fstat(fd, &st) == 0) {
		j->dev = (uint64_t)st.st_dev;
		j->ino = (uint64_t)st.st_ino;
		j->ctime_s = (int64_t)st.st_ctim.tv_sec;
		j->ctime_ns = (int64_t)st.st_ctim.tv_nsec;
		j->mtime = (int64_t)st.st_mtim.tv_sec;
		j->size = S_ISREG(st.st_mode) ? (int64_t)st.st_size : -1;
	} else {
		j->size = -1;
	}
	return j;
}

/* ---- kernel ignore marks (under w->lock) ---- */

/*
 * A folder on the filesystem `dev`, opened once from the folder
 * of the file `fd` is open on: open_by_handle_at needs a descriptor on
 * the same filesystem to turn a handle back into the file. Returns its
 * index, or -1 (too many filesystems, or the path is gone): that file
 * then gets no ignore mark.
 */
/*
 * Whether every change to files on a filesystem of type `f_type` (statfs)
 * goes through this kernel's write paths, which clear an ignore mark.
 * Disk and memory filesystems only, by an allow-list of magic numbers: a
 * network filesystem (NFS, SMB, 9p, Ceph), FUSE (virtiofs too) or an
 * overlay (whose lower and upper folders can be written beside it) can
 * change under the mark with no event here, so its files keep being asked
 * about, answered from the user-space cache that compares change time and
 * size.
 */
int cs__watch_local_fs_type(unsigned long f_type)
{
	static const unsigned long magic[] = {
	        0xEF53,     /* ext2, ext3, ext4 */
	        0x58465342, /* xfs */
	        0x9123683E, /* btrfs */
	        0x01021994, /* tmpfs */
	        0xF2F52010, /* f2fs */
	        0x2FC12FC1, /* zfs */
	};
	size_t i;

	for (i = 0; i < sizeof(magic) / sizeof(magic[0]); i++)
		if (f_type == magic[i])
			return 1;
	return 0;
}

static int local_fs(int fd)
{
	struct statfs sf;

	return fstatfs(fd, &sf) == 0 && cs__watch_local_fs_type((unsigned long)sf.f_type);
}

static int mount_for(struct watcher *w, uint64_t dev, int fd)
{
	char path[PATH_MAX], *slash;
	struct stat st;
	size_t i;
	int d;

	for (i = 0; i < w->nmnt; i++)
		if (w->mnts[i].dev == dev)
			return (int)i;
	if (w->nmnt >= WATCH_MOUNTS_MAX)
		return -1;
	fd_path(fd, path, sizeof(path));
	slash = strrchr(path, '/');
	if (path[0] != '/' || !slash || strstr(path, " (deleted)"))
		return -1;
	slash[slash == path] = '\0';
	d = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* open_by_handle_at takes no O_PATH */
	if (d < 0)
		return -1;
	if (fstat(d, &st) != 0 || (uint64_t)st.st_dev != dev) {
		close(d);
		return -1;
	}
	w->mnts[w->nmnt].dev = dev;
	w->mnts[w->nmnt].fd = d;
	w->mnts[w->nmnt].local = local_fs(d);
	return (int)w->nmnt++;
}

/*
 * Remove every ignore mark placed: each file is reopened from its handle
 * (O_PATH) and its mark removed through /proc/self/fd (fanotify_mark
 * takes no O_PATH descriptor as the object itself). A file deleted since
 * has lost its mark with its inode (ESTALE), and a mark the kernel
 * cleared at a write may be gone (ENOENT). The group and the folder or
 * mount marks stay in place, so nothing goes unwatched meanwhile. A mark
 * that cannot be removed otherwise is an error, reported; with mount
 * marks only, every inode mark of the group is an ignore mark, and
 * FAN_MARK_FLUSH removes them all instead.
 */
static void ignore_drop_all(struct watcher *w)
{
	size_t i, failed = 0;

	for (i = 0; i < w->nign; i++) {
		struct ignent *e = &w->igns[i];
		int fd = open_by_handle_at(w->mnts[e->mnt].fd, e->fh, O_PATH | O_CLOEXEC);

		if (fd >= 0) {
			char l[64];

			snprintf(l, sizeof(l), "/proc/self/fd/%d", fd);
			if (fanotify_mark(w->fan, FAN_MARK_REMOVE | FAN_MARK_IGNORED_MASK,
			                  FAN_OPEN_EXEC_PERM, AT_FDCWD, l) == 0)
				add(&w->st->ignore_drops, 1);
			else if (errno != ENOENT)
				failed++;
			/* Then the event that kept the mark alive: the mark goes
			 * with no ignored mask left on it. */
			fanotify_mark(w->fan, FAN_MARK_REMOVE, FAN_CLOSE_WRITE, AT_FDCWD, l);
			close(fd);
		} else if (errno != ESTALE && errno != ENOENT) {
			failed++;
		}
		free(e->fh);
	}
	if (failed && w->o->mount && fanotify_mark(w->fan, FAN_MARK_FLUSH, 0, AT_FDCWD, NULL) == 0)
		failed = 0;
	if (failed) {
		add(&w->st->errors, 1);
		diag(w, CS_SEV_ERROR, NULL, "ignore-mark",
		     "%zu kernel ignore marks of clean files could not be removed: those files "
		     "run unchecked until they are written or the watcher restarts",
		     failed);
	}
	w->nign = 0;
	cs__map_release(&w->ign);
	cs__map_init(&w->ign);
}

/*
 * The execution of j's file was allowed on a clean verdict of the current
 * matcher: let the kernel allow its next executions without asking. The
 * file is listed (with a handle to find it again) before it is marked, so
 * that a reload can always remove the mark. A write clears the mark in
 * the kernel (no FAN_MARK_IGNORED_SURV_MODIFY); a write between the stat
 * the verdict belongs to and the mark is caught by a second stat.
 */
static void ignore_add(struct watcher *w, const struct job *j)
{
	unsigned char k[16];
	size_t kl = key_of(k, j->dev, j->ino);
	uint32_t i;
	struct stat st;

	if (!w->o->ignore_marks || j->size < 0 ||
	    j->gen != __atomic_load_n(&w->gen, __ATOMIC_ACQUIRE))
		return;
	if (!cs__map_get(&w->ign, k, kl, &i)) {
		struct file_handle *fh;
		int mid, mi;

		if (w->nign >= w->ign_max)
			ignore_drop_all(w);
		mi = mount_for(w, j->dev, j->fd);
		if (mi < 0 || !w->mnts[mi].local ||
		    cs__grow((void **)&w->igns, &w->igncap, w->nign + 1, sizeof(*w->igns)))
			return;
		fh = malloc(sizeof(*fh) + MAX_HANDLE_SZ);
		if (!fh)
			return;
		fh->handle_bytes = MAX_HANDLE_SZ;
		if (name_to_handle_at(j->fd, "", fh, &mid, AT_EMPTY_PATH) != 0 ||
		    cs__map_put(&w->ign, k, kl, (uint32_t)w->nign)) {
			free(fh);
			return;
		}
		{
			struct file_handle *small = realloc(fh, sizeof(*fh) + fh->handle_bytes);

			if (small)
				fh = small;
		}
		w->igns[w->nign].dev = j->dev;
		w->igns[w->nign].ino = j->ino;
		w->igns[w->nign].mnt = mi;
		w->igns[w->nign].fh = fh;
		w->nign++;
	}
	/* The file's mark carries an event too (close-after-write, which the
	 * folder or mount mark reports anyway, once per group): removing its
	 * ignored mask later then leaves the mark in place. A mark left with
	 * empty masks is destroyed, and a destroyed mark that a queued event
	 * still held was seen to leave the next mark uncleared by a write
	 * (docs/live-host.md, "Limits"). */
	if (fanotify_mark(w->fan, FAN_MARK_ADD, FAN_CLOSE_WRITE, j->fd, NULL) != 0 ||
	    fanotify_mark(w->fan, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK, FAN_OPEN_EXEC_PERM, j->fd,
	                  NULL) != 0)
		return;
	if (fstat(j->fd, &st) != 0 || (int64_t)st.st_ctim.tv_sec != j->ctime_s ||
	    (int64_t)st.st_ctim.tv_nsec != j->ctime_ns || (int64_t)st.st_size != j->size) {
		fanotify_mark(w->fan, FAN_MARK_REMOVE | FAN_MARK_IGNORED_MASK, FAN_OPEN_EXEC_PERM,
		              j->fd, NULL);
		return;
	}
	add(&w->st->ignore_marks, 1);
}

/* A close-after-write: the kernel cleared the mark at the write already,
 * except after writes through a shared mapping (no modify event). */
static void ignore_forget(struct watcher *w, const struct job *j)
{
	unsigned char k[16];
	uint32_t i;

	if (cs__map_get(&w->ign, k, key_of(k, j->dev, j->ino), &i))
		fanotify_mark(w->fan, FAN_MARK_REMOVE | FAN_MARK_IGNORED_MASK, FAN_OPEN_EXEC_PERM,
		              j->fd, NULL);
}

/* ---- events (the reading thread) ---- */

static void respond(struct watcher *w, int fd, int allow)
{
	struct fanotify_response r;

	r.fd = fd;
	r.response = allow ? FAN_ALLOW : FAN_DENY;
	while (write(w->fan, &r, sizeof(r)) < 0 && errno == EINTR)
		;
}

static void deadline_after(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void on_exec(struct watcher *w, int fd, int pid)
{
	unsigned ms = w->o->decide_within_ms ? w->o->decide_within_ms : 250;
	struct timespec dl;
	struct job *j;
	int deny = 0, hit, late = 0, free_it = 1;

	add(&w->st->exec_checks, 1);
	if (pid == w->self || w->o->no_deny) {
		respond(w, fd, 1);
		close(fd);
		return;
	}
	j = new_job(fd, pid, 1);
	if (!j) {
		respond(w, fd, !w->o->fail_closed);
		close(fd);
		return;
	}
	pthread_mutex_lock(&w->lock);
	hit = j->size >= 0 && cache_get(w, j, &deny);
	if (hit) {
		add(&w->st->cache_hits, 1);
		/* The cache holds the current matcher's verdicts only. */
		j->gen = __atomic_load_n(&w->gen, __ATOMIC_ACQUIRE);
		if (!deny)
			ignore_add(w, j);
		pthread_mutex_unlock(&w->lock);
		respond(w, fd, !deny);
		if (deny)
			add(&w->st->exec_denied, 1);
		close(fd);
		free(j);
		return;
	}
	add(&w->st->cache_misses, 1);
	enqueue(w, j);
	deadline_after(&dl, ms);
	while (!j->done && !j->deny) {
		if (pthread_cond_timedwait(&w->done_cv, &w->lock, &dl) == ETIMEDOUT)
			break;
	}
	deny = j->deny;
	if (!j->done && !j->deny) {
		late = 1;
		j->orphan = 1; /* the scanner finishes and frees it */
		free_it = 0;
		deny = w->o->fail_closed;
	} else if (!j->done) {
		j->orphan = 1; /* denied already; the scan goes on for the rest */
		free_it = 0;
	} else if (!deny) {
		ignore_add(w, j); /* clean, and scanned by the current matcher */
	}
	pthread_mutex_unlock(&w->lock);
	respond(w, fd, !deny);
	if (late)
		add(&w->st->exec_late, 1);
	if (deny)
		add(&w->st->exec_denied, 1);
	if (free_it) {
		close(fd);
		free(j);
	}
}

/* A file written: queue it once. Takes the descriptor. */
static void on_write(struct watcher *w, int fd, int pid)
{
	unsigned char k[16];
	size_t kl;
	uint32_t v = 0;
	struct job *j;

	if (pid == w->self) {
		close(fd);
		return;
	}
	add(&w->st->writes, 1);
	j = new_job(fd, pid, 0);
	if (!j) {
		add(&w->st->dropped, 1);
		close(fd);
		return;
	}
	kl = key_of(k, j->dev, j->ino);
	pthread_mutex_lock(&w->lock);
	cache_drop(w, j->dev, j->ino);
	if (w->fan >= 0)
		ignore_forget(w, j);
	if (cs__map_get(&w->pending, k, kl, &v) && v) {
		pthread_mutex_unlock(&w->lock);
		add(&w->st->coalesced, 1);
		close(fd);
		free(j);
		return;
	}
	if (w->queued >= WATCH_QUEUE_MAX || cs__map_put(&w->pending, k, kl, 1)) {
		pthread_mutex_unlock(&w->lock);
		add(&w->st->dropped, 1);
		close(fd);
		free(j);
		return;
	}
	enqueue(w, j);
	pthread_mutex_unlock(&w->lock);
}

static void fan_events(struct watcher *w)
{
	char buf[65536] __attribute__((aligned(8)));
	ssize_t n = read(w->fan, buf, sizeof(buf));
	struct fanotify_event_metadata *md = (struct fanotify_event_metadata *)buf;

	if (n <= 0)
		return;
	for (; FAN_EVENT_OK(md, n); md = FAN_EVENT_NEXT(md, n)) {
		if (md->vers != FANOTIFY_METADATA_VERSION) {
			add(&w->st->errors, 1);
			break;
		}
		if (md->mask & FAN_Q_OVERFLOW) {
			add(&w->st->overflows, 1);
			diag(w, CS_SEV_WARN, NULL, "overflow",
			     "the kernel's event queue overflowed: events were lost");
			continue;
		}
		if (md->fd < 0)
			continue;
		if (md->mask & FAN_OPEN_EXEC_PERM)
			on_exec(w, md->fd, md->pid);
		else if (md->mask & FAN_CLOSE_WRITE)
			on_write(w, md->fd, md->pid);
		else
			close(md->fd);
	}
}

static void ino_events(struct watcher *w);

/* Mark a folder and those below it (fanotify), or watch them (inotify). */
static int mark_tree(struct watcher *w, const char *dir, unsigned depth, size_t *ndirs)
{
	uint64_t mask = FAN_CLOSE_WRITE | FAN_EVENT_ON_CHILD;
	DIR *d;
	struct dirent *de;
	int marked = 0;

	if (*ndirs >= WATCH_DIRS_MAX || depth > WATCH_DEPTH_MAX)
		return 0;
	if (w->fan >= 0) {
		if (!w->o->no_deny)
			mask |= FAN_OPEN_EXEC_PERM;
		if (fanotify_mark(w->fan, FAN_MARK_ADD | FAN_MARK_ONLYDIR, mask, AT_FDCWD, dir) !=
		    0)
			return 0;
	} else {
		int wd = inotify_add_watch(w->ino, dir,
		                           IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_ONLYDIR |
		                                   IN_DONT_FOLLOW);
		char **v;

		if (wd < 0)
			return 0;
		if ((size_t)wd >= w->nwd) {
			size_t nn = (size_t)wd + 64;

			v = realloc(w->wdpath, nn * sizeof(*v));
			if (!v)
				return 0;
			memset(v + w->nwd, 0, (nn - w->nwd) * sizeof(*v));
			w->wdpath = v;
			w->nwd = nn;
		}
		free(w->wdpath[wd]);
		w->wdpath[wd] = strdup(dir);
	}
	(*ndirs)++;
	marked = 1;
	d = opendir(dir);
	if (!d)
		return marked;
	while ((de = readdir(d)) != NULL) {
		char sub[PATH_MAX];
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) >= sizeof(sub))
			continue;
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			mark_tree(w, sub, depth + 1, ndirs);
	}
	closedir(d);
	return marked;
}

static void ino_events(struct watcher *w)
{
	char buf[65536] __attribute__((aligned(8)));
	ssize_t n = read(w->ino, buf, sizeof(buf)), off = 0;

	while (n > 0 && off < n) {
		const struct inotify_event *ev = (const struct inotify_event *)(buf + off);
		char path[PATH_MAX];

		off += (ssize_t)(sizeof(*ev) + ev->len);
		if (ev->mask & IN_Q_OVERFLOW) {
			add(&w->st->overflows, 1);
			diag(w, CS_SEV_WARN, NULL, "overflow",
			     "the kernel's event queue overflowed: events were lost");
			continue;
		}
		if (ev->wd < 0 || (size_t)ev->wd >= w->nwd || !w->wdpath[ev->wd] || !ev->len)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", w->wdpath[ev->wd], ev->name) >=
		    sizeof(path))
			continue;
		if (ev->mask & IN_ISDIR) {
			size_t nd = 0;

			if (ev->mask & (IN_CREATE | IN_MOVED_TO))
				mark_tree(w, path, 0, &nd);
			continue;
		}
		if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) {
			int fd = open(path,
			              O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

			if (fd >= 0)
				on_write(w, fd, 0);
		}
	}
}

/* ---- reloading the intel ---- */

static void *reloader(void *arg)
{
	struct watcher *w = arg;
	double every = w->o->reload_seconds > 0 ? w->o->reload_seconds : 2;

	for (;;) {
		const struct cs_matcher *nm = NULL, *old;
		double slept = 0;

		while (slept < every) {
			struct timespec ts = {0, 100000000L};

			pthread_mutex_lock(&w->lock);
			if (w->quit) {
				pthread_mutex_unlock(&w->lock);
				return NULL;
			}
			pthread_mutex_unlock(&w->lock);
			nanosleep(&ts, NULL);
			slept += 0.1;
		}
		if (w->o->reload(w->o->userdata, &nm) != 1 || !nm)
			continue;
		pthread_rwlock_wrlock(&w->mlock);
		old = w->m;
		w->m = nm;
		/* No scan runs while the lock is held: the old matcher (and
		 * what the caller keeps with it) can go now. */
		if (w->o->retire)
			w->o->retire(w->o->userdata, old);
		/* Old verdicts were the old intel's: the cache and the kernel's
		 * ignore marks go before a scan with the new matcher starts,
		 * and a verdict of the old one still on its way is not kept
		 * (its generation is behind). */
		pthread_mutex_lock(&w->lock);
		__atomic_add_fetch(&w->gen, 1, __ATOMIC_RELEASE);
		cs__map_release(&w->cache);
		cs__map_init(&w->cache);
		w->ncache = 0;
		if (w->fan >= 0)
			ignore_drop_all(w);
		pthread_mutex_unlock(&w->lock);
		pthread_rwlock_unlock(&w->mlock);
		add(&w->st->reloads, 1);
	}
}

int cs_watch_run(const struct cs_matcher *m, const struct cs_watch_opts *o,
                 struct cs_watch_stats *st)
{
	struct watcher w;
	pthread_t th[16], rl;
	unsigned nth = 0, want, i;
	int rc = CS_OK, have_rl = 0;
	size_t k, ndirs = 0;

	memset(st, 0, sizeof(*st));
	if (!m || !o || !o->paths || !o->npaths)
		return CS_ERR_INVALID;
	memset(&w, 0, sizeof(w));
	w.o = o;
	w.st = st;
	w.m = m;
	w.self = getpid();
	w.fan = w.ino = -1;
	pthread_rwlock_init(&w.mlock, NULL);
	pthread_mutex_init(&w.lock, NULL);
	pthread_mutex_init(&w.cb_lock, NULL);
	pthread_cond_init(&w.work_cv, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_REALTIME);
		pthread_cond_init(&w.done_cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	cs__map_init(&w.pending);
	cs__map_init(&w.cache);
	cs__map_init(&w.ign);
	w.ign_max = o->ignore_max ? o->ignore_max : WATCH_IGNORE_MAX;
	if (!o->force_inotify)
		w.fan = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK,
		                      O_RDONLY | O_LARGEFILE | O_CLOEXEC | O_NOATIME);
	if (w.fan < 0 && !o->force_inotify)
		w.fan = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK,
		                      O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (w.fan < 0) {
		if (!o->force_inotify)
			diag(&w, CS_SEV_WARN, NULL, "no-fanotify",
			     "fanotify is not available (%s: it needs root): watching with "
			     "inotify, "
			     "which detects written files but cannot deny an execution",
			     strerror(errno));
		w.ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		if (w.ino < 0) {
			rc = CS_ERR_IO;
			goto out;
		}
	}
	st->fanotify = w.fan >= 0;
	for (k = 0; k < o->npaths; k++) {
		int ok;

		if (w.fan >= 0 && o->mount) {
			uint64_t mask = FAN_CLOSE_WRITE | (o->no_deny ? 0 : FAN_OPEN_EXEC_PERM);

			ok = fanotify_mark(w.fan, FAN_MARK_ADD | FAN_MARK_MOUNT, mask, AT_FDCWD,
			                   o->paths[k]) == 0;
		} else {
			ok = mark_tree(&w, o->paths[k], 0, &ndirs);
		}
		if (!ok)
			diag(&w, CS_SEV_ERROR, o->paths[k], "mark", "cannot watch %s: %s",
			     o->paths[k], strerror(errno));
		else
			rc = 1;
	}
	if (rc != 1) {
		rc = CS_ERR_IO;
		goto out;
	}
	rc = CS_OK;
	want = o->threads ? o->threads : 2;
	if (want > CS_ARRAY_SIZE(th))
		want = CS_ARRAY_SIZE(th);
	for (i = 0; i < want; i++)
		if (pthread_create(&th[nth], NULL, scanner, &w) == 0)
			nth++;
	if (!nth) {
		rc = CS_ERR_NOMEM;
		goto out;
	}
	if (o->reload && pthread_create(&rl, NULL, reloader, &w) == 0)
		have_rl = 1;
	if (o->on_ready)
		o->on_ready(o->userdata, w.fan >= 0);
	while (!(o->stop && *o->stop)) {
		struct pollfd p = {w.fan >= 0 ? w.fan : w.ino, POLLIN, 0};

		if (poll(&p, 1, 100) > 0) {
			if (w.fan >= 0)
				fan_events(&w);
			else
				ino_events(&w);
		}
	}
out:
	pthread_mutex_lock(&w.lock);
	w.quit = 1;
	pthread_cond_broadcast(&w.work_cv);
	pthread_mutex_unlock(&w.lock);
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	if (have_rl)
		pthread_join(rl, NULL);
	/* Closing the group answers what is left (the kernel allows it). */
	if (w.fan >= 0)
		close(w.fan);
	if (w.ino >= 0)
		close(w.ino);
	for (k = 0; k < w.nwd; k++)
		free(w.wdpath[k]);
	free(w.wdpath);
	free(w.centries);
	for (k = 0; k < w.nign; k++)
		free(w.igns[k].fh);
	free(w.igns);
	for (k = 0; k < w.nmnt; k++)
		close(w.mnts[k].fd);
	cs__map_release(&w.pending);
	cs__map_release(&w.cache);
	cs__map_release(&w.ign);
	pthread_cond_destroy(&w.work_cv);
	pthread_cond_destroy(&w.done_cv);
	pthread_mutex_destroy(&w.lock);
	pthread_mutex_destroy(&w.cb_lock);
	pthread_rwlock_destroy(&w.mlock);
	return rc;
}

/*
 * The process scan (docs/live-host.md).
 *
 * Four passes, all read-only towards the processes:
 *  1. list /proc: per process its stat line (command name, parent, start
 *     time), owner, executable link, command line and environment names;
 *  2. files: every executable and file-backed mapping, keyed by (device,
 *     inode) so that a library mapped by 300 processes is read once. A
 *     file still reachable under its path with the same identity goes to
 *     the file sweep (cs_scan_files: threads, the inventory, archives);
 *     one that is not (deleted, replaced, memfd, another mount namespace)
 *     is read through /proc/PID/exe or /proc/PID/map_files and scanned in
 *     memory under its own name;
 *  3. memory: YARA over the readable anonymous and private writable
 *     regions, as libyara blocks that we fetch with process_vm_readv
 *     (falling back to /proc/PID/mem), bounded in bytes and seconds per
 *     process;
 *  4. sockets: /proc/PID/net/{tcp,tcp6,udp,udp6} once per network
 *     namespace, remote addresses matched against the intel's addresses
 *     and networks; a listed socket is tied to its processes through the
 *     "socket:[inode]" links of their descriptors.
 *
 * libyara's own process scanning is not used: it reads every mapping,
 * the shared libraries' code included (the same bytes again for every
 * process), with no bound on the bytes of one process, while here files
 * are read once by the file sweep and memory means what only the process
 * holds.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>

#include "chainsweep/proc.h"
#include "core/core_int.h"
#include "match/match_int.h"
#include "scan/proc_int.h"

#define PROC_MAX_PROCS   (1u << 20)
#define PROC_MAX_MAPS    (1u << 17)         /* lines of one maps file */
#define PROC_MAX_TEXT    ((size_t)64 << 20) /* one proc text file */
#define PROC_CMDLINE_MAX 4096
#define PROC_ENV_MAX     512 /* names kept per process */
#define PROC_CHAIN_MAX   64
#define PROC_BLOCK       ((size_t)16 << 20) /* one YARA memory block */
#define PROC_FDS_MAX     (1u << 20)

struct region {
	uint64_t start, end;
	char perms[5];
	const char *name;
};

struct pr {
	int pid, ppid;
	unsigned uid;
	int64_t start;
	const char *comm, *exe, *user, *cmdline;
	const char **env;
	size_t nenv;
	int exe_deleted;
	int kernel;   /* no executable: a kernel thread */
	int selected; /* scanned (not only named in a chain) */
	int gone;     /* exited meanwhile */
	int denied;
	uint64_t netns;
	struct cs_proc_parent *parents;
	size_t nparents;
	struct region *reg;
	size_t nreg;
};

/* A distinct file, and who uses it how. */
struct pfile {
	unsigned major, minor;
	uint64_t ino;
	const char *path; /* as the process names it, unescaped, no " (deleted)" */
	int deleted;
	int on_disk;     /* `path` holds this very file */
	const char *via; /* a /proc link to read it through */
	uint32_t uses;   /* head of its uses, +1; 0 none */
};
struct puse {
	uint32_t proc;
	uint32_t next;
	enum cs_proc_place place;
	uint64_t start, end;
};

struct psock {
	uint64_t inode;
	const struct cs_indicator *ind;
	char text[160];
	char addr[64];
	uint64_t netns;
};

struct pscan {
	const struct cs_matcher *m;
	struct cs_proc_opts o;
	struct cs_proc_result *res;
	const char *root;
	struct cs_arena arena;
	struct pr *v;
	size_t n, cap;
	struct pfile *files;
	size_t nfiles, fcap;
	struct puse *uses;
	size_t nuses, ucap;
	struct cs_map fkeys;  /* (major, minor, ino) -> file */
	struct cs_map fpaths; /* on-disk path -> file */
	uint32_t cur_file;    /* the file cs_scan_mem scans, +1 */
	int cb_rc;
	int64_t btime;
	long ticks;
	struct cs_buf tmp;
	char *text; /* the proc file being read */
	size_t textlen, textcap;
};

const char *cs_proc_place_name(enum cs_proc_place p)
{
	switch (p) {
	case CS_PROC_EXE:
		return "exe";
	case CS_PROC_MAPPED:
		return "mapped";
	case CS_PROC_MEMORY:
		return "memory";
	case CS_PROC_SOCKET:
		return "socket";
	}
	return "unknown";
}

void cs_proc_opts_init(struct cs_proc_opts *o)
{
	memset(o, 0, sizeof(*o));
}

static void diag(struct pscan *s, enum cs_severity sev, const char *file, const char *reason,
                 const char *fmt, ...) CS_PRINTF(5, 6);
static void diag(struct pscan *s, enum cs_severity sev, const char *file, const char *reason,
                 const char *fmt, ...)
{
	struct cs_diag d;
	char msg[512];
	va_list ap;

	if (!s->o.on_diag)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memset(&d, 0, sizeof(d));
	d.severity = sev;
	d.file = file;
	d.reason = reason;
	d.message = msg;
	s->o.on_diag(s->o.userdata, &d);
}

static int stopping(struct pscan *s)
{
	return s->cb_rc || (s->o.interrupt && *s->o.interrupt);
}

/* Read a proc text file whole (at most `max` bytes) into s->text,
 * NUL-terminated. Returns 0, or the errno. */
static int read_text(struct pscan *s, const char *path, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	int err = 0;

	s->textlen = 0;
	if (fd < 0)
		return errno ? errno : EIO;
	for (;;) {
		ssize_t r;

		if (s->textlen + 4096 + 1 > s->textcap) {
			if (s->textlen >= max)
				break;
			if (cs__grow((void **)&s->text, &s->textcap, s->textlen + 65536 + 1, 1)) {
				err = ENOMEM;
				break;
			}
		}
		r = read(fd, s->text + s->textlen, s->textcap - s->textlen - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = errno ? errno : EIO;
			break;
		}
		if (r == 0)
			break;
		s->textlen += (size_t)r;
		if (s->textlen >= max) {
			s->textlen = max;
			break;
		}
	}
	close(fd);
	if (s->text)
		s->text[s->textlen] = '\0';
	return err;
}

static int gone_errno(int e)
{
	return e == ENOENT || e == ESRCH;
}

static const char *ppath(struct pscan *s, int pid, const char *what)
{
	cs__buf_reset(&s->tmp);
	if (cs__buf_printf(&s->tmp, "%s/%d/%s", s->root, pid, what))
		return "";
	return cs__buf_cstr(&s->tmp);
}

static int64_t boot_time(struct pscan *s)
{
	char path[PATH_MAX];
	const char *p;

	snprintf(path, sizeof(path), "%s/stat", s->root);
	if (read_text(s, path, 1 << 20) || !s->text)
		return 0;
	p = strstr(s->text, "\nbtime ");
	return p ? (int64_t)strtoll(p + 7, NULL, 10) : 0;
}

static const char *user_name(struct pscan *s, unsigned uid)
{
	struct passwd pw, *r = NULL;
	char buf[1024], num[16];

	if (getpwuid_r((uid_t)uid, &pw, buf, sizeof(buf), &r) == 0 && r && r->pw_name)
		return cs__arena_strndup(&s->arena, r->pw_name, strlen(r->pw_name));
	snprintf(num, sizeof(num), "%u", uid);
	return cs__arena_strndup(&s->arena, num, strlen(num));
}

static struct pr *find_pid(struct pscan *s, int pid)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->v[mid].pid == pid)
			return &s->v[mid];
		if (s->v[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int cmp_pid(const void *a, const void *b)
{
	const struct pr *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static int wanted(const struct pscan *s, int pid)
{
	size_t i;

	if (!s->o.pids)
		return 1;
	for (i = 0; i < s->o.npids; i++)
		if (s->o.pids[i] == pid)
			return 1;
	return 0;
}

static void mark_gone(struct pscan *s, struct pr *p)
{
	if (p->gone)
		return;
	p->gone = 1;
	if (p->selected) {
		s->res->vanished++;
		diag(s, CS_SEV_INFO, ppath(s, p->pid, ""), "vanished",
		     "process %d (%s) exited during the scan", p->pid, p->comm ? p->comm : "?");
	}
}

static void mark_denied(struct pscan *s, struct pr *p, const char *what, int err)
{
	if (!p->denied && p->selected) {
		s->res->denied++;
		diag(s, CS_SEV_WARN, ppath(s, p->pid, what), "denied",
		     "process %d (%s): cannot read %s: %s", p->pid, p->comm ? p->comm : "?", what,
		     strerror(err));
	}
	p->denied = 1;
}

/* Arguments, NULs turned into spaces; the environment's names. */
static void read_args(struct pscan *s, struct pr *p)
{
	size_t i, k, n;
	int e;

	e = read_text(s, ppath(s, p->pid, "cmdline"), PROC_CMDLINE_MAX);
	if (!e && s->text) {
		n = s->textlen;
		while (n && s->text[n - 1] == '\0')
			n--;
		for (i = 0; i < n; i++)
			if (s->text[i] == '\0')
				s->text[i] = ' ';
		p->cmdline = cs__arena_strndup(&s->arena, s->text, n);
	} else if (gone_errno(e)) {
		mark_gone(s, p);
		return;
	}
	e = read_text(s, ppath(s, p->pid, "environ"), (size_t)1 << 20);
	if (e) {
		if (gone_errno(e))
			mark_gone(s, p);
		else
			mark_denied(s, p, "environ", e);
		return;
	}
	p->env = cs__arena_alloc(&s->arena, PROC_ENV_MAX * sizeof(*p->env));
	if (!p->env)
		return;
	for (i = 0; i < s->textlen && p->nenv < PROC_ENV_MAX; i = k + 1) {
		const char *v = s->text + i;
		size_t len = strnlen(v, s->textlen - i), eq = strcspn(v, "=");

		k = i + len;
		if (!len)
			continue;
		p->env[p->nenv++] = cs__arena_strndup(&s->arena, v, eq < len ? eq : len);
	}
}

static uint64_t ns_inode(struct pscan *s, int pid)
{
	char link[64];
	ssize_t r = readlink(ppath(s, pid, "ns/net"), link, sizeof(link) - 1);

	if (r <= 0)
		return 0;
	link[r] = '\0';
	return strncmp(link, "net:[", 5) == 0 ? strtoull(link + 5, NULL, 10) : 0;
}

/* Pass 1: one process. 1 when it is one to keep. */
static int read_process(struct pscan *s, int pid, struct pr *p)
{
	struct cs_proc_stat stt;
	struct stat st;
	char link[PATH_MAX + 16];
	ssize_t r;
	int e;

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	e = read_text(s, ppath(s, pid, "stat"), 4096);
	if (e || !s->text || cs__proc_parse_stat(s->text, s->textlen, &stt))
		return 0; /* gone before we looked: never counted */
	p->ppid = stt.ppid;
	p->comm = cs__arena_strndup(&s->arena, stt.comm, strlen(stt.comm));
	p->start = s->btime + (s->ticks > 0 ? (int64_t)(stt.starttime / (uint64_t)s->ticks) : 0);
	if (stat(ppath(s, pid, ""), &st) == 0)
		p->uid = (unsigned)st.st_uid;
	p->selected = wanted(s, pid);
	r = readlink(ppath(s, pid, "exe"), link, sizeof(link) - 1);
	if (r < 0) {
		int err = errno;

		/* A kernel thread has no executable (ENOENT with its proc
		 * folder still there). */
		if (err == ENOENT && stat(ppath(s, pid, "stat"), &st) == 0)
			p->kernel = 1;
		else if (gone_errno(err))
			mark_gone(s, p);
		else
			mark_denied(s, p, "exe", err);
		p->exe = "";
	} else {
		static const char del[] = " (deleted)";
		size_t n = (size_t)r;

		link[n] = '\0';
		if (n > sizeof(del) - 1 && strcmp(link + n - (sizeof(del) - 1), del) == 0) {
			n -= sizeof(del) - 1;
			p->exe_deleted = 1;
		}
		p->exe = cs__arena_strndup(&s->arena, link, n);
	}
	if (p->selected && !p->kernel) {
		p->user = user_name(s, p->uid);
		read_args(s, p);
		p->netns = ns_inode(s, pid);
	}
	if (!p->comm || !p->exe)
		return -1;
	return 1;
}

static int list_processes(struct pscan *s)
{
	DIR *d = opendir(s->root);
	struct dirent *de;
	int rc = CS_OK;

	if (!d) {
		diag(s, CS_SEV_ERROR, s->root, "unreadable", "cannot list %s: %s", s->root,
		     strerror(errno));
		return CS_ERR_IO;
	}
	while ((de = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		int k;

		if (*end || pid <= 0 || pid > INT_MAX || de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		if (s->n >= PROC_MAX_PROCS)
			break;
		if (cs__grow((void **)&s->v, &s->cap, s->n + 1, sizeof(*s->v))) {
			rc = CS_ERR_NOMEM;
			break;
		}
		k = read_process(s, (int)pid, &s->v[s->n]);
		if (k < 0) {
			rc = CS_ERR_NOMEM;
			break;
		}
		if (k > 0)
			s->n++;
	}
	closedir(d);
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), cmp_pid);
	return rc;
}

/* The ancestors of each selected process. */
static int chains(struct pscan *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct pr *p = &s->v[i], *q = p;
		struct cs_proc_parent tmp[PROC_CHAIN_MAX];
		size_t n = 0;

		if (!p->selected)
			continue;
		while (n < PROC_CHAIN_MAX && q->ppid > 0 && q->ppid != q->pid) {
			struct pr *up = find_pid(s, q->ppid);

			tmp[n].pid = q->ppid;
			tmp[n].comm = up ? up->comm : "?";
			tmp[n].exe = up ? up->exe : "";
			n++;
			if (!up)
				break;
			q = up;
		}
		if (!n)
			continue;
		p->parents = cs__arena_alloc(&s->arena, n * sizeof(*p->parents));
		if (!p->parents)
			return CS_ERR_NOMEM;
		memcpy(p->parents, tmp, n * sizeof(*tmp));
		p->nparents = n;
	}
	return CS_OK;
}

static void proc_info(const struct pr *p, struct cs_proc_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	pi->pid = p->pid;
	pi->ppid = p->ppid;
	pi->uid = p->uid;
	pi->user = p->user ? p->user : "";
	pi->start_time = p->start;
	pi->comm = p->comm;
	pi->exe = p->exe;
	pi->exe_deleted = p->exe_deleted;
	pi->cmdline = p->cmdline ? p->cmdline : "";
	pi->env_names = p->env;
	pi->nenv = p->nenv;
	pi->parents = p->parents;
	pi->nparents = p->nparents;
}

static int emit(struct pscan *s, struct cs_proc_finding *f, const struct pr *p)
{
	struct cs_proc_info pi;
	int rc = 0;

	proc_info(p, &pi);
	f->proc = &pi;
	s->res->findings++;
	if (s->o.on_finding && !s->cb_rc)
		rc = s->o.on_finding(s->o.userdata, f);
	if (rc && !s->cb_rc)
		s->cb_rc = rc;
	return rc;
}

/* ---- pass 2: files ---- */

static uint32_t file_of(struct pscan *s, unsigned major, unsigned minor, uint64_t ino,
                        const char *path, size_t plen, int deleted, const char *via, int *err)
{
	unsigned char key[16];
	uint32_t idx;
	struct pfile *f;
	char buf[PATH_MAX];

	memcpy(key, &major, 4);
	memcpy(key + 4, &minor, 4);
	memcpy(key + 8, &ino, 8);
	if (cs__map_get(&s->fkeys, key, sizeof(key), &idx))
		return idx;
	if (cs__grow((void **)&s->files, &s->fcap, s->nfiles + 1, sizeof(*s->files)) ||
	    cs__map_put(&s->fkeys, key, sizeof(key), (uint32_t)s->nfiles)) {
		*err = CS_ERR_NOMEM;
		return UINT32_MAX;
	}
	f = &s->files[s->nfiles];
	memset(f, 0, sizeof(*f));
	f->major = major;
	f->minor = minor;
	f->ino = ino;
	cs__proc_unescape(buf, sizeof(buf), path, plen);
	f->path = cs__arena_strndup(&s->arena, buf, strlen(buf));
	f->via = cs__arena_strndup(&s->arena, via, strlen(via));
	f->deleted = deleted;
	if (!f->path || !f->via) {
		*err = CS_ERR_NOMEM;
		return UINT32_MAX;
	}
	return (uint32_t)s->nfiles++;
}

static int add_use(struct pscan *s, uint32_t fi, uint32_t proc, enum cs_proc_place place,
                   uint64_t start, uint64_t end)
{
	struct pfile *f = &s->files[fi];

	/* One use per process and file: its executable, or its first map. */
	if (f->uses && s->uses[f->uses - 1].proc == proc)
		return CS_OK;
	if (cs__grow((void **)&s->uses, &s->ucap, s->nuses + 1, sizeof(*s->uses)))
		return CS_ERR_NOMEM;
	s->uses[s->nuses].proc = proc;
	s->uses[s->nuses].place = place;
	s->uses[s->nuses].start = start;
	s->uses[s->nuses].end = end;
	s->uses[s->nuses].next = f->uses;
	f->uses = (uint32_t)++s->nuses;
	return CS_OK;
}

/* Is this a region YARA reads: readable, and anonymous ("", "[heap]",
 * "[stack]", "[anon:...]") or a private writable file mapping (its
 * pages may differ from the file)? */
static int memory_region(const struct cs_proc_map *mp)
{
	if (mp->perms[0] != 'r')
		return 0;
	if (mp->path_len && mp->path[0] == '[') {
		if ((mp->path_len == 6 && memcmp(mp->path, "[vvar]", 6) == 0) ||
		    (mp->path_len >= 10 && memcmp(mp->path, "[vsyscall]", 10) == 0) ||
		    (mp->path_len >= 5 && memcmp(mp->path, "[vvar", 5) == 0) ||
		    (mp->path_len == 6 && memcmp(mp->path, "[vdso]", 6) == 0))
			return 0;
		return 1;
	}
	if (!mp->inode)
		return 1;
	return mp->perms[3] == 'p' && mp->perms[1] == 'w';
}

/* The maps of one process: its files and its memory regions. */
static int read_maps(struct pscan *s, uint32_t pi)
{
	struct pr *p = &s->v[pi];
	const char *line, *end;
	size_t nlines = 0, cap = 0;
	int e, rc = CS_OK;
	char via[96];

	e = read_text(s, ppath(s, p->pid, "maps"), PROC_MAX_TEXT);
	if (e) {
		if (gone_errno(e))
			mark_gone(s, p);
		else
			mark_denied(s, p, "maps", e);
		return CS_OK;
	}
	if (!s->textlen && !p->kernel) {
		/* An empty maps file: a zombie, or a process exiting. */
		return CS_OK;
	}
	for (line = s->text, end = s->text + s->textlen; line < end && !rc; line++) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t len = nl ? (size_t)(nl - line) : (size_t)(end - line);
		struct cs_proc_map mp;

		if (++nlines > PROC_MAX_MAPS)
			break;
		if (cs__proc_parse_maps_line(line, len, &mp)) {
			diag(s, CS_SEV_WARN, ppath(s, p->pid, "maps"), "parse",
			     "line %zu is not a maps line: skipped", nlines);
			line += len;
			continue;
		}
		line += len;
		if (!s->o.no_files && mp.inode && mp.path_len && mp.path[0] == '/') {
			uint32_t fi;

			snprintf(via, sizeof(via), "%s/%d/map_files/%llx-%llx", s->root, p->pid,
			         (unsigned long long)mp.start, (unsigned long long)mp.end);
			fi = file_of(s, mp.major, mp.minor, mp.inode, mp.path, mp.path_len,
			             mp.deleted, via, &rc);
			if (fi == UINT32_MAX)
				break;
			rc = add_use(s, fi, pi, CS_PROC_MAPPED, mp.start, mp.end);
		}
		if (!s->o.no_memory && memory_region(&mp)) {
			struct region *r;
			char name[PATH_MAX];

			if (cs__grow((void **)&p->reg, &cap, p->nreg + 1, sizeof(*p->reg))) {
				rc = CS_ERR_NOMEM;
				break;
			}
			r = &p->reg[p->nreg++];
			r->start = mp.start;
			r->end = mp.end;
			memcpy(r->perms, mp.perms, 5);
			if (mp.path_len)
				cs__proc_unescape(name, sizeof(name), mp.path, mp.path_len);
			else
				snprintf(name, sizeof(name), "[anon]");
			r->name = cs__arena_strndup(&s->arena, name, strlen(name));
		}
	}
	return rc;
}

/* The executable of one process, as a file. */
static int add_exe(struct pscan *s, uint32_t pi)
{
	struct pr *p = &s->v[pi];
	struct stat st;
	char via[64];
	uint32_t fi;
	int rc = CS_OK;

	if (!p->exe[0] || stat(ppath(s, p->pid, "exe"), &st) != 0) {
		int e = errno;

		if (p->exe[0] && gone_errno(e))
			mark_gone(s, p);
		else if (p->exe[0])
			mark_denied(s, p, "exe", e);
		return CS_OK;
	}
	snprintf(via, sizeof(via), "%s/%d/exe", s->root, p->pid);
	fi = file_of(s, major(st.st_dev), minor(st.st_dev), (uint64_t)st.st_ino, p->exe,
	             strlen(p->exe), p->exe_deleted, via, &rc);
	if (fi == UINT32_MAX)
		return rc;
	return add_use(s, fi, pi, CS_PROC_EXE, 0, 0);
}

/* Report a file finding for every process that uses the file. */
static int file_hit(struct pscan *s, uint32_t fi, const struct cs_file_finding *ff)
{
	const struct pfile *f = &s->files[fi];
	uint32_t u;
	char path[PATH_MAX + 64];

	if (ff->member_depth && strlen(ff->path) > strlen(f->path))
		snprintf(path, sizeof(path), "%s%s", f->path, ff->path + strlen(f->path));
	else
		snprintf(path, sizeof(path), "%s", f->path);
	for (u = f->uses; u; u = s->uses[u - 1].next) {
		const struct puse *us = &s->uses[u - 1];
		const struct pr *p = &s->v[us->proc];
		struct cs_proc_finding pf;

		if (!p->selected)
			continue;
		memset(&pf, 0, sizeof(pf));
		pf.place = us->place;
		pf.evidence = ff->evidence;
		pf.indicator = ff->indicator;
		pf.matched = ff->evidence == CS_EV_NAME || ff->evidence == CS_EV_PATH
		                     ? (f->on_disk ? ff->matched : path)
		                     : ff->matched;
		pf.path = path;
		pf.deleted = f->deleted || !f->on_disk;
		pf.region_start = us->start;
		pf.region_end = us->end;
		pf.md5 = ff->md5;
		pf.sha1 = ff->sha1;
		pf.sha256 = ff->sha256;
		pf.sha512 = ff->sha512;
		pf.nstrings = ff->nstrings;
		pf.strings = ff->strings;
		if (emit(s, &pf, p))
			return s->cb_rc;
	}
	return 0;
}

static int on_file_finding(void *ud, const struct cs_file_finding *ff)
{
	struct pscan *s = ud;
	uint32_t fi;

	if (s->cur_file)
		return file_hit(s, s->cur_file - 1, ff);
	if (cs__map_get(&s->fpaths, ff->path, strlen(ff->path), &fi))
		return file_hit(s, fi, ff);
	if (ff->member_depth) {
		/* "outer.jar!/inner.class": the file on disk is a prefix. */
		const char *bang = ff->path;

		while ((bang = strstr(bang, "!/")) != NULL) {
			if (cs__map_get(&s->fpaths, ff->path, (size_t)(bang - ff->path), &fi))
				return file_hit(s, fi, ff);
			bang += 2;
		}
	}
	return 0;
}

static void on_file_diag(void *ud, const struct cs_diag *d)
{
	struct pscan *s = ud;

	if (s->o.on_diag)
		s->o.on_diag(s->o.userdata, d);
}

/* Read a file that is not on disk any more through its /proc link. */
static int scan_via_proc(struct pscan *s, uint32_t fi, const struct cs_scan_opts *so)
{
	const struct pfile *f = &s->files[fi];
	uint64_t max = s->o.max_file_size ? s->o.max_file_size : (uint64_t)256 << 20;
	struct cs_scan_result r;
	int e, rc;

	s->res->files_via_proc++;
	e = read_text(s, f->via, (size_t)max);
	if (e) {
		s->res->files_unreadable++;
		diag(s, CS_SEV_WARN, f->path, "unreadable",
		     "%s (deleted or not reachable) cannot be read through %s: %s", f->path, f->via,
		     strerror(e));
		return CS_OK;
	}
	if (s->textlen >= max)
		diag(s, CS_SEV_WARN, f->path, "too-large",
		     "%s read through %s: only its first %llu bytes", f->path, f->via,
		     (unsigned long long)max);
	s->cur_file = fi + 1;
	rc = cs_scan_mem(s->m, f->path, s->text ? s->text : "", s->textlen, so, &r);
	s->cur_file = 0;
	return rc;
}

static int scan_files(struct pscan *s)
{
	struct cs_scan_opts so;
	const char **roots = NULL;
	size_t i, nroots = 0;
	int rc = CS_OK;

	s->res->files = s->nfiles;
	if (!s->nfiles)
		return CS_OK;
	roots = cs__calloc(s->nfiles, sizeof(*roots));
	if (!roots)
		return CS_ERR_NOMEM;
	for (i = 0; i < s->nfiles; i++) {
		struct pfile *f = &s->files[i];
		struct stat st;

		if (!f->deleted && stat(f->path, &st) == 0 && S_ISREG(st.st_mode) &&
		    (uint64_t)st.st_ino == f->ino && major(st.st_dev) == f->major &&
		    minor(st.st_dev) == f->minor) {
			f->on_disk = 1;
			if (cs__map_put(&s->fpaths, f->path, strlen(f->path), (uint32_t)i)) {
				rc = CS_ERR_NOMEM;
				goto out;
			}
			roots[nroots++] = f->path;
		}
	}
	cs_scan_opts_init(&so);
	so.threads = s->o.threads;
	so.known = s->o.known;
	so.known_yara_valid = s->o.known_yara_valid;
	so.on_file = s->o.on_file;
	so.interrupt = s->o.interrupt;
	so.on_finding = on_file_finding;
	so.on_diag = on_file_diag;
	so.userdata = s;
	/* Roots given one by one are files: a folder never comes here. */
	so.one_filesystem = 0;
	if (nroots) {
		rc = cs_scan_files(s->m, roots, nroots, &so, &s->res->files_res);
		if (rc)
			goto out;
	}
	so.known = NULL;
	so.on_file = NULL;
	for (i = 0; i < s->nfiles && !rc && !stopping(s); i++)
		if (!s->files[i].on_disk)
			rc = scan_via_proc(s, (uint32_t)i, &so);
out:
	free(roots);
	return rc ? rc : s->cb_rc;
}

/* ---- pass 3: memory ---- */

struct mscan {
	struct pscan *s;
	struct pr *p;
	int memfd;
	size_t ri;        /* region */
	uint64_t pos;     /* next address in it */
	uint64_t budget;  /* bytes left in this pass */
	uint64_t budget0; /* the bound of one pass */
	unsigned char *buf;
	size_t bufcap;
	YR_MEMORY_BLOCK blk;
	double t0, limit;
	int capped, timed_out, gone, errors;
	/* The rule being reported. */
	struct cs_yara_match strings[16];
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static YR_MEMORY_BLOCK *mem_at(struct mscan *ms)
{
	while (ms->ri < ms->p->nreg) {
		const struct region *r = &ms->p->reg[ms->ri];
		uint64_t left;

		if (ms->pos < r->start)
			ms->pos = r->start;
		if (ms->pos >= r->end) {
			ms->ri++;
			ms->pos = 0; /* the regions are not in address order */
			continue;
		}
		if (!ms->budget) {
			ms->capped = 1;
			return NULL;
		}
		if (now() - ms->t0 > ms->limit) {
			ms->timed_out = 1;
			return NULL;
		}
		left = r->end - ms->pos;
		if (left > PROC_BLOCK)
			left = PROC_BLOCK;
		if (left > ms->budget)
			left = ms->budget;
		ms->blk.base = ms->pos;
		ms->blk.size = (size_t)left;
		ms->pos += left;
		ms->budget -= left;
		return &ms->blk;
	}
	return NULL;
}

static YR_MEMORY_BLOCK *mem_first(YR_MEMORY_BLOCK_ITERATOR *it)
{
	struct mscan *ms = it->context;

	/* libyara's modules (elf, pe, math, hash) walk the blocks again from
	 * the first: each pass has the whole bound. */
	ms->ri = 0;
	ms->pos = 0;
	ms->budget = ms->budget0;
	return mem_at(ms);
}

static YR_MEMORY_BLOCK *mem_next(YR_MEMORY_BLOCK_ITERATOR *it)
{
	return mem_at(it->context);
}

/* The block's bytes: process_vm_readv (no stop, one copy); pages it
 * cannot read (guard pages, a region unmapped meanwhile) are tried
 * through /proc/PID/mem one by one and otherwise left as zeros. */
static const uint8_t *mem_fetch(YR_MEMORY_BLOCK *b)
{
	struct mscan *ms = b->context;
	size_t got = 0;

	if (b->size > ms->bufcap) {
		free(ms->buf);
		ms->buf = malloc(b->size);
		ms->bufcap = ms->buf ? b->size : 0;
		if (!ms->buf) {
			ms->errors++;
			return NULL;
		}
	}
	while (got < b->size) {
		struct iovec l = {ms->buf + got, b->size - got};
		struct iovec r = {(void *)(uintptr_t)(b->base + got), b->size - got};
		ssize_t n = process_vm_readv(ms->p->pid, &l, 1, &r, 1, 0);

		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n < 0 && errno == ESRCH) {
			ms->gone = 1;
			return NULL;
		}
		/* One page through /proc/PID/mem, or zeros. */
		{
			size_t page = 4096 - (size_t)((b->base + got) & 4095);

			if (page > b->size - got)
				page = b->size - got;
			if (ms->memfd < 0 || pread(ms->memfd, ms->buf + got, page,
			                           (off_t)(b->base + got)) != (ssize_t)page)
				memset(ms->buf + got, 0, page);
			got += page;
		}
	}
	ms->s->res->memory_bytes += b->size;
	return ms->buf;
}

static const struct region *region_at(const struct pr *p, uint64_t addr)
{
	size_t i;

	for (i = 0; i < p->nreg; i++)
		if (addr >= p->reg[i].start && addr < p->reg[i].end)
			return &p->reg[i];
	return NULL;
}

static int mem_cb(YR_SCAN_CONTEXT *ctx, int msg, void *data, void *ud)
{
	struct mscan *ms = ud;
	struct pscan *s = ms->s;

	if (msg == CALLBACK_MSG_RULE_MATCHING) {
		YR_RULE *rule = data;
		YR_STRING *str;
		struct cs_proc_finding pf;
		const struct region *rg = NULL;
		size_t n = 0;

		yr_rule_strings_foreach(rule, str)
		{
			YR_MATCH *mp = ctx->matches[str->idx].head;

			while (mp && n < CS_ARRAY_SIZE(ms->strings)) {
				struct cs_yara_match *y = &ms->strings[n++];
				YR_MATCH mm;

				memcpy(&mm, mp, sizeof(mm));
				y->id = str->identifier;
				y->offset = (uint64_t)(mm.base + mm.offset);
				y->len = (uint64_t)mm.match_length;
				y->data = mm.data;
				y->data_len = (size_t)mm.data_length;
				if (y->data_len > CS_YARA_EVIDENCE_MAX)
					y->data_len = CS_YARA_EVIDENCE_MAX;
				if (!rg)
					rg = region_at(ms->p, y->offset);
				mp = mm.next;
			}
		}
		memset(&pf, 0, sizeof(pf));
		pf.place = CS_PROC_MEMORY;
		pf.evidence = CS_EV_YARA;
		pf.indicator = cs_intel_find(s->m->intel, CS_KIND_YARA_RULE, rule->identifier);
		pf.matched = rule->identifier;
		pf.path = rg ? rg->name : "[memory]";
		pf.region_start = rg ? rg->start : 0;
		pf.region_end = rg ? rg->end : 0;
		pf.perms = rg ? rg->perms : "";
		pf.strings = ms->strings;
		pf.nstrings = n;
		return emit(s, &pf, ms->p) ? CALLBACK_ABORT : CALLBACK_CONTINUE;
	}
	return CALLBACK_CONTINUE;
}

/* The order regions are read in: the heap and stacks first, then the
 * smaller before the larger, so that the byte bound is spent on what a
 * process has written rather than on a huge reservation (a JIT's or a
 * sanitizer's) that is mostly zero pages. */
static int region_rank(const struct region *r)
{
	return strcmp(r->name, "[heap]") == 0 || strncmp(r->name, "[stack", 6) == 0 ? 0 : 1;
}

static int cmp_region(const void *a, const void *b)
{
	const struct region *x = a, *y = b;
	int rx = region_rank(x), ry = region_rank(y);
	uint64_t sx = x->end - x->start, sy = y->end - y->start;

	if (rx != ry)
		return rx - ry;
	if (sx != sy)
		return sx < sy ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

static int scan_memory(struct pscan *s, YR_SCANNER *sc, struct pr *p)
{
	YR_MEMORY_BLOCK_ITERATOR it;
	struct mscan ms;
	double limit = s->o.max_seconds > 0 ? s->o.max_seconds : 30;
	int r, t;

	if (!p->nreg)
		return CS_OK;
	qsort(p->reg, p->nreg, sizeof(*p->reg), cmp_region);
	memset(&ms, 0, sizeof(ms));
	ms.s = s;
	ms.p = p;
	ms.budget0 = s->o.max_bytes ? s->o.max_bytes : (uint64_t)256 << 20;
	ms.t0 = now();
	ms.limit = limit;
	ms.blk.context = &ms;
	ms.blk.fetch_data = mem_fetch;
	ms.memfd = open(ppath(s, p->pid, "mem"), O_RDONLY | O_CLOEXEC);
	if (ms.memfd < 0 && gone_errno(errno)) {
		mark_gone(s, p);
		return CS_OK;
	}
	memset(&it, 0, sizeof(it));
	it.context = &ms;
	it.first = mem_first;
	it.next = mem_next;
	it.file_size = NULL;
	it.last_error = ERROR_SUCCESS;
	t = (int)limit;
	yr_scanner_set_callback(sc, mem_cb, &ms);
	yr_scanner_set_timeout(sc, t < 1 ? 1 : t);
	yr_scanner_set_flags(sc, 0);
	yr_scanner_define_string_variable(sc, "filename", p->comm);
	yr_scanner_define_string_variable(sc, "filepath", p->exe);
	yr_scanner_define_string_variable(sc, "extension", "");
	yr_scanner_define_string_variable(sc, "filetype", "");
	yr_scanner_define_string_variable(sc, "owner", p->user ? p->user : "");
	r = yr_scanner_scan_mem_blocks(sc, &it);
	s->res->regions += p->nreg;
	if (ms.memfd >= 0)
		close(ms.memfd);
	free(ms.buf);
	if (ms.gone) {
		mark_gone(s, p);
		return CS_OK;
	}
	if (r == ERROR_SCAN_TIMEOUT)
		ms.timed_out = 1;
	else if (r != ERROR_SUCCESS && r != ERROR_CALLBACK_ERROR && !s->cb_rc)
		ms.errors++;
	if (ms.timed_out) {
		s->res->memory_timeouts++;
		diag(s, CS_SEV_WARN, ppath(s, p->pid, "mem"), "memory-timeout",
		     "process %d (%s): memory not fully scanned in %g s", p->pid, p->comm, limit);
	}
	if (ms.capped) {
		s->res->memory_capped++;
		diag(s, CS_SEV_WARN, ppath(s, p->pid, "mem"), "memory-capped",
		     "process %d (%s): memory scanned up to the bound of %llu bytes", p->pid,
		     p->comm,
		     (unsigned long long)(s->o.max_bytes ? s->o.max_bytes : (uint64_t)256 << 20));
	}
	if (ms.errors) {
		s->res->memory_errors++;
		diag(s, CS_SEV_WARN, ppath(s, p->pid, "mem"), "memory-error",
		     "process %d (%s): YARA over its memory failed (error %d)", p->pid, p->comm, r);
	}
	return s->cb_rc;
}

/* ---- pass 4: sockets ---- */

static const char *tcp_state(unsigned st)
{
	static const char *const names[] = {"",           "established", "syn-sent",  "syn-recv",
	                                    "fin-wait1",  "fin-wait2",   "time-wait", "close",
	                                    "close-wait", "last-ack",    "listen",    "closing"};

	return st < CS_ARRAY_SIZE(names) ? names[st] : "?";
}

static void addr_text(const struct cs_proc_sock *k, const unsigned char *a, char *out, size_t len)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (k->family == 6 && memcmp(a, mapped, 12) == 0)
		inet_ntop(AF_INET, a + 12, out, (socklen_t)len);
	else
		inet_ntop(k->family == 4 ? AF_INET : AF_INET6, a, out, (socklen_t)len);
}

struct sock_hit {
	const struct cs_indicator *ind;
};

static int on_addr(void *ud, enum cs_kind observed, size_t off, size_t len,
                   const struct cs_indicator *ind)
{
	struct sock_hit *h = ud;

	(void)observed;
	(void)off;
	(void)len;
	if (!h->ind)
		h->ind = ind;
	return 0;
}

/* The sockets of one network namespace (read through `pid`) whose remote
 * address is listed. */
static int ns_sockets(struct pscan *s, int pid, uint64_t netns, struct psock **v, size_t *n,
                      size_t *cap)
{
	static const struct {
		const char *file, *proto;
		int family;
	} tabs[] = {{"net/tcp", "tcp", 4},
	            {"net/tcp6", "tcp6", 6},
	            {"net/udp", "udp", 4},
	            {"net/udp6", "udp6", 6}};
	size_t t;

	for (t = 0; t < CS_ARRAY_SIZE(tabs); t++) {
		const char *line, *end;
		size_t lineno = 0;
		int e = read_text(s, ppath(s, pid, tabs[t].file), PROC_MAX_TEXT);

		if (e) {
			if (e != ENOENT)
				diag(s, CS_SEV_WARN, ppath(s, pid, tabs[t].file), "unreadable",
				     "cannot read the sockets: %s", strerror(e));
			continue;
		}
		for (line = s->text, end = s->text + s->textlen; line < end; line++) {
			const char *nl = memchr(line, '\n', (size_t)(end - line));
			size_t len = nl ? (size_t)(nl - line) : (size_t)(end - line);
			struct cs_proc_sock k;
			struct sock_hit h = {NULL};
			char ra[64], la[64];
			static const unsigned char zero[16];

			lineno++;
			if (cs__proc_parse_net_line(line, len, tabs[t].family, &k)) {
				if (lineno > 1)
					diag(s, CS_SEV_WARN, ppath(s, pid, tabs[t].file), "parse",
					     "line %zu is not a socket line: skipped", lineno);
				line += len;
				continue;
			}
			line += len;
			s->res->sockets++;
			if (memcmp(k.remote, zero, k.family == 4 ? 4 : 16) == 0 || !k.inode)
				continue;
			addr_text(&k, k.remote, ra, sizeof(ra));
			cs__match_text(s->m, ra, strlen(ra), on_addr, &h);
			if (!h.ind)
				continue;
			addr_text(&k, k.local, la, sizeof(la));
			if (cs__grow((void **)v, cap, *n + 1, sizeof(**v)))
				return CS_ERR_NOMEM;
			(*v)[*n].inode = k.inode;
			(*v)[*n].ind = h.ind;
			(*v)[*n].netns = netns;
			snprintf((*v)[*n].addr, sizeof((*v)[*n].addr), "%s", ra);
			snprintf((*v)[*n].text, sizeof((*v)[*n].text),
			         "%s %s%s%s:%u -> %s%s%s:%u%s%s", tabs[t].proto,
			         k.family == 6 && strchr(la, ':') ? "[" : "", la,
			         k.family == 6 && strchr(la, ':') ? "]" : "", k.lport,
			         k.family == 6 && strchr(ra, ':') ? "[" : "", ra,
			         k.family == 6 && strchr(ra, ':') ? "]" : "", k.rport,
			         tabs[t].proto[0] == 't' ? " " : "",
			         tabs[t].proto[0] == 't' ? tcp_state(k.state) : "");
			(*n)++;
		}
	}
	return CS_OK;
}

/* The processes holding one of the listed sockets. */
static int socket_owners(struct pscan *s, const struct psock *v, size_t n, uint64_t netns)
{
	size_t i, k;

	for (i = 0; i < s->n && !stopping(s); i++) {
		struct pr *p = &s->v[i];
		DIR *d;
		struct dirent *de;
		unsigned nfd = 0;

		if (!p->selected || p->kernel || p->gone || p->netns != netns)
			continue;
		d = opendir(ppath(s, p->pid, "fd"));
		if (!d) {
			if (gone_errno(errno))
				mark_gone(s, p);
			else
				mark_denied(s, p, "fd", errno);
			continue;
		}
		while ((de = readdir(d)) != NULL && nfd++ < PROC_FDS_MAX) {
			char link[64], rel[80];
			ssize_t r;
			uint64_t ino;

			if (de->d_name[0] == '.')
				continue;
			snprintf(rel, sizeof(rel), "fd/%s", de->d_name);
			r = readlink(ppath(s, p->pid, rel), link, sizeof(link) - 1);
			if (r <= 8)
				continue;
			link[r] = '\0';
			if (strncmp(link, "socket:[", 8) != 0)
				continue;
			ino = strtoull(link + 8, NULL, 10);
			for (k = 0; k < n; k++) {
				struct cs_proc_finding pf;

				if (v[k].inode != ino || v[k].netns != netns)
					continue;
				memset(&pf, 0, sizeof(pf));
				pf.place = CS_PROC_SOCKET;
				pf.indicator = v[k].ind;
				pf.matched = v[k].addr;
				pf.path = p->exe;
				pf.deleted = p->exe_deleted;
				pf.socket = v[k].text;
				if (emit(s, &pf, p))
					break;
			}
		}
		closedir(d);
	}
	return s->cb_rc;
}

static int scan_sockets(struct pscan *s)
{
	struct psock *v = NULL;
	size_t n = 0, cap = 0, i, j;
	int rc = CS_OK;

	if (!s->m->naddr)
		return CS_OK;
	for (i = 0; i < s->n && !rc && !stopping(s); i++) {
		struct pr *p = &s->v[i];
		size_t before = n;

		if (!p->selected || p->kernel || p->gone)
			continue;
		/* Once per namespace: the first process seen in it reads it. */
		for (j = 0; j < i; j++)
			if (s->v[j].selected && !s->v[j].kernel && s->v[j].netns == p->netns)
				break;
		if (j < i)
			continue;
		rc = ns_sockets(s, p->pid, p->netns, &v, &n, &cap);
		if (!rc && n > before)
			rc = socket_owners(s, v + before, n - before, p->netns);
	}
	free(v);
	return rc;
}

int cs_scan_processes(const struct cs_matcher *m, const struct cs_proc_opts *o,
                      struct cs_proc_result *res)
{
	struct pscan s;
	YR_SCANNER *sc = NULL;
	double t0 = now();
	size_t i;
	int rc;

	memset(res, 0, sizeof(*res));
	if (!m || !o)
		return CS_ERR_INVALID;
	memset(&s, 0, sizeof(s));
	s.m = m;
	s.o = *o;
	s.res = res;
	s.root = o->proc_root ? o->proc_root : "/proc";
	cs__arena_init(&s.arena);
	cs__map_init(&s.fkeys);
	cs__map_init(&s.fpaths);
	cs__buf_init(&s.tmp, 1 << 16);
	s.ticks = sysconf(_SC_CLK_TCK);
	s.btime = boot_time(&s);
	if (geteuid() != 0) {
		res->not_root = 1;
		diag(&s, CS_SEV_WARN, s.root, "not-root",
		     "not running as root: the memory, files and sockets of other users' "
		     "processes cannot be read; this answer covers only what could be");
	}
	rc = list_processes(&s);
	if (!rc)
		rc = chains(&s);
	for (i = 0; i < s.n; i++) {
		res->processes++;
		if (s.v[i].kernel)
			res->kernel_threads++;
	}
	for (i = 0; !rc && i < s.n && !stopping(&s); i++) {
		struct pr *p = &s.v[i];

		if (!p->selected || p->kernel || p->gone)
			continue;
		if (!o->no_files)
			rc = add_exe(&s, (uint32_t)i);
		if (!rc)
			rc = read_maps(&s, (uint32_t)i);
	}
	if (!rc && !o->no_files)
		rc = scan_files(&s);
	if (!rc && !o->no_memory && m->rules && !stopping(&s)) {
		if (yr_scanner_create(m->rules, &sc) != ERROR_SUCCESS)
			rc = CS_ERR_NOMEM;
		for (i = 0; !rc && i < s.n && !stopping(&s); i++) {
			struct pr *p = &s.v[i];

			/* Not our own memory: it holds the rules themselves. */
			if (p->selected && !p->kernel && !p->gone && p->pid != getpid())
				rc = scan_memory(&s, sc, p);
		}
		if (sc)
			yr_scanner_destroy(sc);
	}
	if (!rc && !o->no_sockets && !stopping(&s))
		rc = scan_sockets(&s);
	for (i = 0; i < s.n; i++) {
		if (s.v[i].selected && !s.v[i].kernel && !s.v[i].gone)
			res->scanned++;
		free(s.v[i].reg);
	}
	res->incomplete = res->not_root || res->denied || res->files_unreadable ||
	                  res->memory_capped || res->memory_timeouts || res->memory_errors ||
	                  res->files_res.incomplete || (o->interrupt && *o->interrupt);
	res->seconds = now() - t0;
	free(s.v);
	free(s.files);
	free(s.uses);
	free(s.text);
	cs__buf_release(&s.tmp);
	cs__map_release(&s.fkeys);
	cs__map_release(&s.fpaths);
	cs__arena_release(&s.arena);
	if (!rc)
		rc = s.cb_rc;
	return rc;
}

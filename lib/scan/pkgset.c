/*
 * The package set: installed packages and applications read from package
 * databases, lockfiles, SBOMs and application metadata, and the walker
 * that finds those files under a folder (docs/software.md).
 *
 * The walk never follows a symbolic link, never enters a /proc-like
 * filesystem, reads only files whose name (and first bytes) a reader
 * wants, and refuses inputs over CS_PKG_MAX_FILE. Folders are read in
 * name order so that the same tree always gives the same packages in the
 * same order.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "scan/pkg_int.h"
#include "scan/scan_int.h"

#define SNIFF_LEN 4096

static const struct pkg_reader *const readers[] = {
        &cs__pkg_dpkg,         &cs__pkg_apk,
        &cs__pkg_rpm_qa,       &cs__pkg_npm_lock,
        &cs__pkg_yarn_lock,    &cs__pkg_pnpm_lock,
        &cs__pkg_node_module,  &cs__pkg_electron,
        &cs__pkg_py_metadata,  &cs__pkg_py_requirements,
        &cs__pkg_poetry_lock,  &cs__pkg_go_sum,
        &cs__pkg_cargo_lock,   &cs__pkg_cyclonedx,
        &cs__pkg_spdx,         &cs__pkg_plist,
        &cs__pkg_win_csv,      &cs__pkg_win_json,
        &cs__pkg_asar,         &cs__pkg_gobin,
        &cs__pkg_pipfile_lock, &cs__pkg_composer_lock,
        &cs__pkg_gemfile_lock, &cs__pkg_spdx_tv,
};

static const char *const count_names[CS_PKG_NCOUNTS] = {
        [CS_PKG_FILES] = "files",
        [CS_PKG_PACKAGES] = "packages",
        [CS_PKG_DIRS] = "dirs",
        [CS_PKG_BROKEN] = "broken",
        [CS_PKG_DENIED] = "denied",
        [CS_PKG_TOO_LARGE] = "too_large",
        [CS_PKG_SKIP_SYMLINK] = "symlinks",
        [CS_PKG_SKIP_PSEUDO] = "pseudo_fs",
        [CS_PKG_DEEP] = "too_deep",
        [CS_PKG_SKIPPED] = "entries_skipped",
        [CS_PKG_TIME_LIMIT] = "time_limit",
        [CS_PKG_INTERRUPTED] = "interrupted",
};

const char *cs_pkg_count_name(enum cs_pkg_count c)
{
	return (unsigned)c < CS_PKG_NCOUNTS ? count_names[c] : "?";
}

int cs_pkg_count_gap(enum cs_pkg_count c)
{
	return c == CS_PKG_BROKEN || c == CS_PKG_DENIED || c == CS_PKG_TOO_LARGE ||
	       c == CS_PKG_DEEP || c == CS_PKG_TIME_LIMIT || c == CS_PKG_INTERRUPTED;
}

struct cs_pkgset *cs_pkgset_new(void)
{
	struct cs_pkgset *ps = cs__calloc(1, sizeof(*ps));

	if (ps)
		cs__arena_init(&ps->arena);
	return ps;
}

void cs_pkgset_free(struct cs_pkgset *ps)
{
	if (!ps)
		return;
	free(ps->pkgs);
	cs__arena_release(&ps->arena);
	free(ps);
}

void cs_pkgset_set_diag(struct cs_pkgset *ps, cs_diag_fn fn, void *userdata)
{
	ps->diag = fn;
	ps->userdata = userdata;
}

void cs_pkgset_set_stop(struct cs_pkgset *ps, double max_runtime, const volatile int *interrupt)
{
	ps->deadline = max_runtime > 0 ? cs__now() + max_runtime : 0;
	ps->interrupt = interrupt;
	ps->stopped = 0;
}

int cs__pkg_stopping(struct cs_pkgset *ps)
{
	if (ps->stopped)
		return 1;
	if (ps->interrupt && __atomic_load_n(ps->interrupt, __ATOMIC_RELAXED))
		ps->stopped = CS_PKG_INTERRUPTED;
	else if (ps->deadline > 0 && cs__now() > ps->deadline)
		ps->stopped = CS_PKG_TIME_LIMIT;
	return ps->stopped != 0;
}

size_t cs_pkgset_count(const struct cs_pkgset *ps)
{
	return ps ? ps->n : 0;
}

const struct cs_package *cs_pkgset_at(const struct cs_pkgset *ps, size_t i)
{
	return ps && i < ps->n ? &ps->pkgs[i] : NULL;
}

uint64_t cs_pkgset_counter(const struct cs_pkgset *ps, enum cs_pkg_count c)
{
	return ps && (unsigned)c < CS_PKG_NCOUNTS ? ps->count[c] : 0;
}

int cs_pkgset_incomplete(const struct cs_pkgset *ps)
{
	int i;

	for (i = 0; i < CS_PKG_NCOUNTS; i++) {
		if (cs_pkg_count_gap((enum cs_pkg_count)i) && ps->count[i])
			return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ helpers */

static const char *arena_str(struct cs_pkgset *ps, const char *s)
{
	return s ? cs__arena_strndup(&ps->arena, s, strlen(s)) : NULL;
}

int cs__pkg_add(struct pkg_ctx *c, const char *reader, const struct cs_package *p)
{
	struct cs_pkgset *ps = c->ps;
	struct cs_package *q;

	if (!p->name || !*p->name || !p->version || !*p->version) {
		ps->count[CS_PKG_SKIPPED]++;
		return CS_OK;
	}
	if (ps->n == ps->cap && cs__grow((void **)&ps->pkgs, &ps->cap, ps->n + 1, sizeof(*q)))
		return CS_ERR_NOMEM;
	q = &ps->pkgs[ps->n];
	*q = *p;
	q->name = arena_str(ps, p->name);
	q->version = arena_str(ps, p->version);
	q->platform = arena_str(ps, p->platform);
	q->vendor = arena_str(ps, p->vendor);
	q->purl = arena_str(ps, p->purl);
	q->entry = arena_str(ps, p->entry);
	q->file = c->path;
	q->reader = reader;
	if (!q->install_time && c->mtime) {
		q->install_time = c->mtime;
		q->install_time_source = CS_TIME_FILE_MTIME;
	} else if (q->install_time && !q->install_time_source) {
		q->install_time_source = CS_TIME_RECORDED;
	}
	if (!q->name || !q->version || (p->platform && !q->platform) || (p->vendor && !q->vendor) ||
	    (p->purl && !q->purl) || (p->entry && !q->entry))
		return CS_ERR_NOMEM;
	ps->n++;
	ps->count[CS_PKG_PACKAGES]++;
	c->added++;
	return CS_OK;
}

static void pkg_vdiag(struct pkg_ctx *c, enum cs_severity sev, const char *reason, uint64_t line,
                      uint64_t column, const char *fmt, va_list ap) CS_PRINTF(6, 0);

static void pkg_vdiag(struct pkg_ctx *c, enum cs_severity sev, const char *reason, uint64_t line,
                      uint64_t column, const char *fmt, va_list ap)
{
	char msg[512];
	struct cs_diag d;

	if (!c->ps->diag)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	d.severity = sev;
	d.file = c->path;
	d.line = line;
	d.column = column;
	d.reason = reason;
	d.message = msg;
	c->ps->diag(c->ps->userdata, &d);
}

void cs__pkg_broken(struct pkg_ctx *c, uint64_t line, uint64_t column, const char *fmt, ...)
{
	va_list ap;

	c->broken = 1;
	va_start(ap, fmt);
	pkg_vdiag(c, CS_SEV_WARN, "broken", line, column, fmt, ap);
	va_end(ap);
}

void cs__pkg_note(struct pkg_ctx *c, uint64_t line, uint64_t column, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pkg_vdiag(c, CS_SEV_INFO, NULL, line, column, fmt, ap);
	va_end(ap);
}

void cs__pkg_linecol(const struct pkg_ctx *c, size_t off, uint64_t *line, uint64_t *column)
{
	size_t i, bol = 0;
	uint64_t l = 1;

	if (off > c->len)
		off = c->len;
	for (i = 0; i < off; i++) {
		if (c->data[i] == '\n') {
			l++;
			bol = i + 1;
		}
	}
	*line = l;
	*column = off - bol + 1;
}

json_t *cs__pkg_json(struct pkg_ctx *c, const char *what)
{
	json_error_t err;
	json_t *j = json_loadb(c->data, c->len, 0, &err);

	if (!j) {
		cs__pkg_broken(c, err.line > 0 ? (uint64_t)err.line : 0,
		               err.column > 0 ? (uint64_t)err.column : 0, "%s: %s", what, err.text);
		return NULL;
	}
	return j;
}

const char *cs__pkg_jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

int64_t cs__pkg_parse_time(const char *s)
{
	size_t n, i;
	int64_t t;

	if (!s)
		return 0;
	n = strlen(s);
	cs__trim(&s, &n);
	if (n == 0)
		return 0;
	for (i = 0; i < n && cs__isdigit((unsigned char)s[i]); i++)
		;
	if (i == n && n == 8) {
		char iso[11];

		memcpy(iso, s, 4);
		iso[4] = '-';
		memcpy(iso + 5, s + 4, 2);
		iso[7] = '-';
		memcpy(iso + 8, s + 6, 2);
		iso[10] = '\0';
		return cs__parse_time(iso, 10, &t) == CS_OK ? t : 0;
	}
	if (i == n && n >= 9 && n <= 11) {
		t = 0;
		for (i = 0; i < n; i++)
			t = t * 10 + (s[i] - '0');
		return t;
	}
	return cs__parse_time(s, n, &t) == CS_OK ? t : 0;
}

int cs__pkg_path_ends(const char *path, const char *tail)
{
	size_t pl = strlen(path), tl = strlen(tail);

	return pl >= tl && cs__strncasecmp(path + pl - tl, tail, tl) == 0;
}

/* ------------------------------------------------------------------ dispatch */

/* UTF-16LE with a byte order mark (what PowerShell's '>' writes) to UTF-8.
 * Returns a new buffer or NULL. */
static char *utf16le_to_utf8(const char *d, size_t len, size_t *out_len)
{
	const unsigned char *u = (const unsigned char *)d;
	size_t i, o = 0;
	char *out = cs__malloc(len / 2 * 3 + 4);

	if (!out)
		return NULL;
	for (i = 2; i + 1 < len; i += 2) {
		unsigned cp = u[i] | (unsigned)u[i + 1] << 8;

		if (cp >= 0xd800 && cp < 0xdc00 && i + 3 < len) {
			unsigned lo = u[i + 2] | (unsigned)u[i + 3] << 8;

			if (lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				i += 2;
			} else {
				cp = 0xfffd;
			}
		} else if (cp >= 0xd800 && cp < 0xe000) {
			cp = 0xfffd;
		}
		if (cp == 0)
			cp = 0xfffd;
		if (cp < 0x80) {
			out[o++] = (char)cp;
		} else if (cp < 0x800) {
			out[o++] = (char)(0xc0 | cp >> 6);
			out[o++] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			out[o++] = (char)(0xe0 | cp >> 12);
			out[o++] = (char)(0x80 | (cp >> 6 & 0x3f));
			out[o++] = (char)(0x80 | (cp & 0x3f));
		} else {
			out[o++] = (char)(0xf0 | cp >> 18);
			out[o++] = (char)(0x80 | (cp >> 12 & 0x3f));
			out[o++] = (char)(0x80 | (cp >> 6 & 0x3f));
			out[o++] = (char)(0x80 | (cp & 0x3f));
		}
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}

static const struct pkg_reader *choose(const char *path, const char *data, size_t len)
{
	size_t i;

	for (i = 0; i < CS_ARRAY_SIZE(readers); i++) {
		if (readers[i]->want(path, data, len))
			return readers[i];
	}
	return NULL;
}

static int is_utf16le(const char *d, size_t len)
{
	return len >= 2 && (unsigned char)d[0] == 0xff && (unsigned char)d[1] == 0xfe;
}

/* Read a buffer (NUL-terminated at data[len]) with the reader that wants
 * it. CS_ERR_UNSUPPORTED when none does. */
static int read_buffer(struct cs_pkgset *ps, const char *path, const char *data, size_t len,
                       int64_t mtime)
{
	struct pkg_ctx c;
	const struct pkg_reader *r;
	char *conv = NULL;
	int rc;

	if (is_utf16le(data, len)) {
		conv = utf16le_to_utf8(data, len, &len);
		if (!conv)
			return CS_ERR_NOMEM;
		data = conv;
	} else if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
		data += 3;
		len -= 3;
	}
	r = choose(path, data, len);
	if (!r) {
		free(conv);
		return CS_ERR_UNSUPPORTED;
	}
	memset(&c, 0, sizeof(c));
	c.ps = ps;
	c.path = arena_str(ps, path);
	c.data = data;
	c.len = len;
	c.mtime = mtime;
	if (!c.path) {
		free(conv);
		return CS_ERR_NOMEM;
	}
	ps->count[CS_PKG_FILES]++;
	rc = r->read(&c);
	if (rc && rc != CS_ERR_NOMEM) {
		if (!c.broken)
			cs__pkg_broken(&c, 0, 0, "%s: %s", r->name, cs_strerror(rc));
		rc = CS_OK;
	}
	if (c.broken)
		ps->count[CS_PKG_BROKEN]++;
	free(conv);
	return rc;
}

int cs_pkgset_read_mem(struct cs_pkgset *ps, const char *name, const void *data, size_t len)
{
	char *copy;
	int rc;

	if (!ps || !name || (!data && len))
		return CS_ERR_INVALID;
	copy = cs__malloc(len + 1);
	if (!copy)
		return CS_ERR_NOMEM;
	if (len)
		memcpy(copy, data, len);
	copy[len] = '\0';
	rc = read_buffer(ps, name, copy, len, 0);
	free(copy);
	return rc;
}

/* Report a file or folder that could not be read: "WHAT: strerror(e)",
 * or WHAT alone when e is 0. */
static void report_path(struct cs_pkgset *ps, const char *path, const char *what, int e)
{
	struct cs_diag d;
	char msg[300];

	if (!ps->diag)
		return;
	if (e)
		snprintf(msg, sizeof(msg), "%s: %s", what, strerror(e));
	else
		snprintf(msg, sizeof(msg), "%s", what);
	memset(&d, 0, sizeof(d));
	d.severity = CS_SEV_WARN;
	d.file = path;
	d.reason = "unreadable";
	d.message = msg;
	ps->diag(ps->userdata, &d);
}

/* Read a regular file at `fd` (taken) named `path`: sniff its start, and
 * read it whole when a reader wants it. */
#define READ_STEP ((size_t)4 << 20)

/* An input left unread because the reading stopped early. */
static void stop_diag(struct cs_pkgset *ps, const char *path)
{
	struct cs_diag d;

	if (!ps->diag)
		return;
	memset(&d, 0, sizeof(d));
	d.severity = CS_SEV_WARN;
	d.file = path;
	d.reason = cs_pkg_count_name((enum cs_pkg_count)ps->stopped);
	d.message = ps->stopped == CS_PKG_INTERRUPTED ? "not read: interrupted"
	                                              : "not read: time limit";
	ps->diag(ps->userdata, &d);
}

static int read_fd(struct cs_pkgset *ps, int fd, const char *path, int explicit)
{
	struct stat st;
	char head[SNIFF_LEN + 1];
	ssize_t got;
	size_t hl = 0;
	char *data = NULL;
	int rc = CS_OK;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return explicit ? CS_ERR_IO : CS_OK;
	}
	while (hl < SNIFF_LEN) {
		got = read(fd, head + hl, SNIFF_LEN - hl);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		hl += (size_t)got;
	}
	head[hl] = '\0';
	if (is_utf16le(head, hl)) {
		/* Sniff the converted text. */
		size_t cl;
		char *conv = utf16le_to_utf8(head, hl & ~(size_t)1, &cl);

		if (!conv) {
			close(fd);
			return CS_ERR_NOMEM;
		}
		rc = choose(path, conv, cl) != NULL;
		free(conv);
	} else {
		size_t off = hl >= 3 && memcmp(head, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;

		rc = choose(path, head + off, hl - off) != NULL;
	}
	if (!rc) {
		close(fd);
		return explicit ? CS_ERR_UNSUPPORTED : CS_OK;
	}
	if ((uint64_t)st.st_size > CS_PKG_MAX_FILE) {
		ps->count[CS_PKG_TOO_LARGE]++;
		report_path(ps, path, "larger than the input cap, not read", 0);
		close(fd);
		return CS_OK;
	}
	{
		size_t len = 0, cap = (size_t)st.st_size;

		data = cs__malloc(cap + 1);
		if (!data) {
			close(fd);
			return CS_ERR_NOMEM;
		}
		if (lseek(fd, 0, SEEK_SET) != 0) {
			ps->count[CS_PKG_DENIED]++;
			report_path(ps, path, "cannot read", errno);
			free(data);
			close(fd);
			return CS_OK;
		}
		while (len < cap) {
			/* A big input is read a few MiB at a time, so that a
			 * time limit or an interrupt is not overrun by much. */
			if (cs__pkg_stopping(ps)) {
				ps->count[ps->stopped]++;
				stop_diag(ps, path);
				free(data);
				close(fd);
				return CS_OK;
			}
			got = read(fd, data + len, cap - len < READ_STEP ? cap - len : READ_STEP);
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0) {
				ps->count[CS_PKG_DENIED]++;
				report_path(ps, path, "cannot read", errno);
				free(data);
				close(fd);
				return CS_OK;
			}
			if (got == 0)
				break;
			len += (size_t)got;
		}
		close(fd);
		data[len] = '\0';
		rc = read_buffer(ps, path, data, len, (int64_t)st.st_mtime);
		free(data);
	}
	return rc == CS_ERR_UNSUPPORTED ? CS_OK : rc;
}

int cs_pkgset_read_file(struct cs_pkgset *ps, const char *path)
{
	int fd;

	if (!ps || !path)
		return CS_ERR_INVALID;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		report_path(ps, path, "cannot open", errno);
		ps->count[CS_PKG_DENIED]++;
		return CS_ERR_IO;
	}
	return read_fd(ps, fd, path, 1);
}

/* ------------------------------------------------------------------ walk */

static int pseudo_fs(int fd)
{
	struct statfs sf;

	if (fstatfs(fd, &sf) != 0)
		return 0;
	switch ((unsigned long)sf.f_type) {
	case 0x9fa0UL:     /* proc */
	case 0x62656572UL: /* sysfs */
	case 0x1cd1UL:     /* devpts */
	case 0x27e0ebUL:   /* cgroup */
	case 0x63677270UL: /* cgroup2 */
	case 0x64626720UL: /* debugfs */
	case 0x73636673UL: /* securityfs */
	case 0x74726163UL: /* tracefs */
	case 0xcafe4a11UL: /* bpf */
	case 0x6e736673UL: /* nsfs */
		return 1;
	default:
		return 0;
	}
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk_dir(struct cs_pkgset *ps, int dfd, struct cs_buf *path, unsigned depth)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i, base = path->len;
	int rc = CS_OK;

	if (pseudo_fs(dfd)) {
		ps->count[CS_PKG_SKIP_PSEUDO]++;
		close(dfd);
		return CS_OK;
	}
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		ps->count[CS_PKG_DENIED]++;
		return CS_OK;
	}
	ps->count[CS_PKG_DIRS]++;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap && cs__grow((void **)&names, &cap, n + 1, sizeof(*names))) {
			rc = CS_ERR_NOMEM;
			break;
		}
		names[n] = cs__strdup(de->d_name);
		if (!names[n]) {
			rc = CS_ERR_NOMEM;
			break;
		}
		n++;
	}
	if (!rc && n) /* qsort wants a non-NULL array, even empty */
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n && !rc; i++) {
		struct stat st;
		int fd;

		if (cs__pkg_stopping(ps)) {
			ps->count[ps->stopped] += n - i;
			break;
		}
		path->len = base;
		if (cs__buf_printf(path, "%s%s", base && path->data[base - 1] == '/' ? "" : "/",
		                   names[i])) {
			rc = CS_ERR_NOMEM;
			break;
		}
		if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			ps->count[CS_PKG_SKIP_SYMLINK]++;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (depth + 1 >= CS_PKG_MAX_DEPTH) {
				ps->count[CS_PKG_DEEP]++;
				continue;
			}
			fd = openat(dirfd(d), names[i],
			            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0) {
				ps->count[CS_PKG_DENIED]++;
				report_path(ps, path->data, "cannot open folder", errno);
				continue;
			}
			rc = walk_dir(ps, fd, path, depth + 1);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		fd = openat(dirfd(d), names[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0) {
			ps->count[CS_PKG_DENIED]++;
			report_path(ps, path->data, "cannot open", errno);
			continue;
		}
		rc = read_fd(ps, fd, path->data, 0);
	}
	path->len = base;
	if (path->data)
		path->data[base] = '\0';
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

int cs_pkgset_read_path(struct cs_pkgset *ps, const char *root)
{
	struct cs_buf path;
	struct stat st;
	int fd, rc;

	if (!ps || !root)
		return CS_ERR_INVALID;
	if (stat(root, &st) != 0) {
		report_path(ps, root, "cannot open", errno);
		ps->count[CS_PKG_DENIED]++;
		return CS_ERR_IO;
	}
	if (!S_ISDIR(st.st_mode))
		return cs_pkgset_read_file(ps, root);
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		report_path(ps, root, "cannot open", errno);
		ps->count[CS_PKG_DENIED]++;
		return CS_ERR_IO;
	}
	cs__buf_init(&path, 1 << 20);
	rc = cs__buf_adds(&path, root);
	while (!rc && path.len > 1 && path.data[path.len - 1] == '/')
		path.data[--path.len] = '\0';
	if (rc) {
		close(fd);
		cs__buf_release(&path);
		return rc;
	}
	rc = walk_dir(ps, fd, &path, 0);
	cs__buf_release(&path);
	return rc;
}

/* The package databases of this host; absent ones are not an error. */
static int read_host_db(struct cs_pkgset *ps, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (errno != ENOENT && errno != ENOTDIR) {
			ps->count[CS_PKG_DENIED]++;
			report_path(ps, path, "cannot open", errno);
		}
		return CS_OK;
	}
	return read_fd(ps, fd, path, 0);
}

int cs_pkgset_read_host(struct cs_pkgset *ps, const char *root)
{
	int rc;

	if (!ps)
		return CS_ERR_INVALID;
	if (root) {
		char status[4096];
		size_t n = strlen(root);

		rc = cs_pkgset_read_path(ps, root);
		while (n > 1 && root[n - 1] == '/')
			n--;
		if (rc || n + 24 >= sizeof(status))
			return rc;
		if (cs__pkg_stopping(ps)) {
			ps->count[ps->stopped]++;
			return CS_OK;
		}
		snprintf(status, sizeof(status), "%.*s/var/lib/dpkg/status", (int)n, root);
		rc = cs__pkg_install_logs(ps, root, n == 1 && root[0] == '/' ? status + 1 : status);
		if (!rc) {
			status[n] = '\0'; /* the root without its trailing slashes */
			rc = cs__pkg_rpm_host(ps, n == 1 && root[0] == '/' ? "" : status);
		}
		return rc;
	}
	if (cs__pkg_stopping(ps)) {
		ps->count[ps->stopped]++;
		return CS_OK;
	}
	rc = read_host_db(ps, "/var/lib/dpkg/status");
	if (!rc)
		rc = cs__pkg_install_logs(ps, "/", "/var/lib/dpkg/status");
	if (!rc)
		rc = read_host_db(ps, "/lib/apk/db/installed");
	if (!rc)
		rc = cs__pkg_rpm_host(ps, NULL);
	return rc;
}

/*
 * Install times from the package manager's own logs: dpkg's
 * /var/log/dpkg.log and apt's /var/log/apt/history.log, with their
 * rotations (dpkg.log.1, dpkg.log.2.gz, ...; compressed ones through
 * libarchive's raw format, as the log sweep reads them).
 *
 * Each log says when a package reached a version:
 *
 *   dpkg.log     2024-01-15 10:23:45 install libfoo:amd64 <none> 1.2-3
 *                2024-01-15 10:23:45 upgrade libfoo:amd64 1.2-2 1.2-3
 *   history.log  Start-Date: 2024-01-15  10:23:40
 *                Install: libfoo:amd64 (1.2-3), bar:amd64 (2.0-1, automatic)
 *                Upgrade: baz:amd64 (1.0-1, 1.0-2)
 *
 * The latest time a package was installed, upgraded, downgraded or
 * reinstalled at exactly its installed version is that version's install
 * time. Both logs write the host's local time without a zone: the times
 * are read as UTC and marked CS_TIME_PACKAGE_LOG, which says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>

#include "core/dl_int.h"
#include "scan/pkg_int.h"

#define LOG_MAX       ((size_t)256 << 20) /* one decompressed log */
#define LOG_ROTATIONS 10                  /* dpkg.log, .1, .2.gz ... .9.gz */

struct inst_times {
	struct cs_map map; /* "name\tversion" -> index + 1 into t */
	int64_t *t;
	size_t n, cap;
};

static void times_init(struct inst_times *it)
{
	memset(it, 0, sizeof(*it));
	cs__map_init(&it->map);
}

static void times_release(struct inst_times *it)
{
	cs__map_release(&it->map);
	free(it->t);
}

/* Note that `name` (":arch" dropped) reached `ver` at `t`; the latest
 * time wins. */
static int times_note(struct inst_times *it, const char *name, size_t nl, const char *ver,
                      size_t vl, int64_t t)
{
	char key[600];
	const char *colon = memchr(name, ':', nl);
	uint32_t idx;

	if (colon)
		nl = (size_t)(colon - name);
	if (!nl || !vl || nl + vl + 1 > sizeof(key))
		return CS_OK;
	memcpy(key, name, nl);
	key[nl] = '\t';
	memcpy(key + nl + 1, ver, vl);
	if (cs__map_get(&it->map, key, nl + 1 + vl, &idx)) {
		if (t > it->t[idx - 1])
			it->t[idx - 1] = t;
		return CS_OK;
	}
	if (it->n == it->cap && cs__grow((void **)&it->t, &it->cap, it->n + 1, sizeof(*it->t)))
		return CS_ERR_NOMEM;
	it->t[it->n++] = t;
	return cs__map_put(&it->map, key, nl + 1 + vl, (uint32_t)it->n);
}

/* The next white-space separated word of [*p, end). */
static int word(const char **p, const char *end, const char **w, size_t *wl)
{
	const char *s = *p;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	*w = s;
	while (s < end && *s != ' ' && *s != '\t')
		s++;
	*wl = (size_t)(s - *w);
	*p = s;
	return *wl > 0;
}

static int eqw(const char *w, size_t wl, const char *lit)
{
	return strlen(lit) == wl && memcmp(w, lit, wl) == 0;
}

/* A "YYYY-MM-DD HH:MM:SS" stamp at s (with any run of blanks between
 * date and time, as history.log writes two). */
static int stamp(const char *s, const char *end, int64_t *t)
{
	char buf[20];
	const char *q = s + 10;

	if (end - s < 19)
		return 0;
	memcpy(buf, s, 10);
	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	if (q == s + 10 || end - q < 8)
		return 0;
	buf[10] = ' ';
	memcpy(buf + 11, q, 8);
	return cs__parse_time(buf, 19, t) == CS_OK;
}

struct log_pos {
	const char *file;
	uint64_t bad, first_bad;
};

/* dpkg.log: "DATE TIME ACTION PKG OLD NEW" for install, upgrade,
 * downgrade (dpkg does not write that word, but apt's log does) and the
 * "status"/"configure"/... lines, which are skipped. */
static int read_dpkg_log(struct inst_times *it, const char *d, size_t len, struct log_pos *lp)
{
	const char *p = d, *end = d + len;
	uint64_t no = 0;
	int rc = CS_OK;

	while (!rc && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end, *q, *w,
		           *name, *ver;
		size_t wl, nlen, vlen;
		int64_t t;

		no++;
		q = p;
		p = nl ? nl + 1 : end;
		if (le > q && le[-1] == '\r')
			le--;
		if (le == q)
			continue;
		if (!stamp(q, le, &t)) {
			if (!lp->bad++)
				lp->first_bad = no;
			continue;
		}
		q += 19;
		if (!word(&q, le, &w, &wl))
			continue;
		if (!eqw(w, wl, "install") && !eqw(w, wl, "upgrade") && !eqw(w, wl, "downgrade"))
			continue;
		if (!word(&q, le, &name, &nlen) || !word(&q, le, &w, &wl) ||
		    !word(&q, le, &ver, &vlen)) {
			if (!lp->bad++)
				lp->first_bad = no;
			continue;
		}
		if (eqw(ver, vlen, "<none>"))
			continue;
		rc = times_note(it, name, nlen, ver, vlen, t);
	}
	return rc;
}

/* history.log: a "Start-Date:" line, then "Install:", "Upgrade:",
 * "Downgrade:", "Reinstall:" lines listing "name:arch (v1[, v2][,
 * automatic])", the new version last among the versions. */
static int read_history(struct inst_times *it, const char *d, size_t len, struct log_pos *lp)
{
	const char *p = d, *end = d + len;
	uint64_t no = 0;
	int64_t start = 0;
	int rc = CS_OK;

	while (!rc && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end, *q;
		int upgrade;

		no++;
		q = p;
		p = nl ? nl + 1 : end;
		if (le > q && le[-1] == '\r')
			le--;
		if (le - q > 11 && memcmp(q, "Start-Date:", 11) == 0) {
			q += 11;
			while (q < le && *q == ' ')
				q++;
			if (!stamp(q, le, &start)) {
				start = 0;
				if (!lp->bad++)
					lp->first_bad = no;
			}
			continue;
		}
		if (le - q >= 9 && memcmp(q, "End-Date:", 9) == 0) {
			start = 0; /* a transaction's lines are between its dates */
			continue;
		}
		if (le - q > 8 && memcmp(q, "Install:", 8) == 0) {
			q += 8;
			upgrade = 0;
		} else if (le - q > 10 && memcmp(q, "Reinstall:", 10) == 0) {
			q += 10;
			upgrade = 0;
		} else if (le - q > 8 && memcmp(q, "Upgrade:", 8) == 0) {
			q += 8;
			upgrade = 1;
		} else if (le - q > 10 && memcmp(q, "Downgrade:", 10) == 0) {
			q += 10;
			upgrade = 1;
		} else {
			continue;
		}
		if (!start) {
			if (!lp->bad++)
				lp->first_bad = no;
			continue;
		}
		/* "name (a, b), name2 (c)" */
		while (!rc && q < le) {
			const char *name, *open, *close, *v1, *v2, *comma;
			size_t nlen;

			while (q < le && (*q == ' ' || *q == ','))
				q++;
			if (q >= le)
				break;
			name = q;
			open = memchr(q, '(', (size_t)(le - q));
			close = open ? memchr(open, ')', (size_t)(le - open)) : NULL;
			if (!close) {
				if (!lp->bad++)
					lp->first_bad = no;
				break;
			}
			nlen = (size_t)(open - name);
			while (nlen && name[nlen - 1] == ' ')
				nlen--;
			v1 = open + 1;
			comma = memchr(v1, ',', (size_t)(close - v1));
			v2 = NULL;
			if (upgrade && comma) {
				v2 = comma + 1;
				while (v2 < close && *v2 == ' ')
					v2++;
				comma = memchr(v2, ',', (size_t)(close - v2));
				v1 = v2;
			}
			{
				const char *ve = comma ? comma : close;

				while (ve > v1 && ve[-1] == ' ')
					ve--;
				if (nlen && memchr(name, ' ', nlen) == NULL)
					rc = times_note(it, name, nlen, v1, (size_t)(ve - v1),
					                start);
			}
			q = close + 1;
		}
	}
	return rc;
}

static void log_report(struct cs_pkgset *ps, const struct log_pos *lp, const char *what)
{
	struct cs_diag d;
	char msg[200];

	if (!lp->bad || !ps->diag)
		return;
	snprintf(msg, sizeof(msg),
	         "%s: %llu line%s not understood (install times from it may miss)", what,
	         (unsigned long long)lp->bad, lp->bad == 1 ? "" : "s");
	memset(&d, 0, sizeof(d));
	d.severity = CS_SEV_WARN;
	d.file = lp->file;
	d.line = lp->first_bad;
	d.column = 1;
	d.reason = "broken";
	d.message = msg;
	ps->diag(ps->userdata, &d);
}

/* Apply the times to the dpkg packages read from `status` (NULL: all). */
static void times_apply(struct cs_pkgset *ps, const struct inst_times *it, const char *status)
{
	size_t i;
	char key[600];

	if (!it->n)
		return;
	for (i = 0; i < ps->n; i++) {
		struct cs_package *p = &ps->pkgs[i];
		size_t nl, vl;
		uint32_t idx;

		if (strcmp(p->reader, "dpkg") != 0 || (status && strcmp(p->file, status) != 0))
			continue;
		nl = strlen(p->name);
		vl = strlen(p->version);
		if (nl + vl + 1 > sizeof(key))
			continue;
		memcpy(key, p->name, nl);
		key[nl] = '\t';
		memcpy(key + nl + 1, p->version, vl);
		if (cs__map_get(&it->map, key, nl + 1 + vl, &idx)) {
			p->install_time = it->t[idx - 1];
			p->install_time_source = CS_TIME_PACKAGE_LOG;
		}
	}
}

static int read_log_mem(struct cs_pkgset *ps, struct inst_times *it, const char *name,
                        const char *data, size_t len)
{
	struct log_pos lp = {name, 0, 0};
	int history = strstr(cs__path_base(name), "history") != NULL, rc;

	rc = history ? read_history(it, data, len, &lp) : read_dpkg_log(it, data, len, &lp);
	log_report(ps, &lp, history ? "apt history.log" : "dpkg.log");
	return rc;
}

int cs_pkgset_read_install_log(struct cs_pkgset *ps, const char *name, const void *data, size_t len)
{
	struct inst_times it;
	int rc;

	if (!ps || !name || (!data && len))
		return CS_ERR_INVALID;
	times_init(&it);
	rc = read_log_mem(ps, &it, name, data ? data : "", len);
	if (!rc)
		times_apply(ps, &it, NULL);
	times_release(&it);
	return rc;
}

/* A whole log, decompressed when it is (libarchive's raw format); NULL
 * when absent or unreadable (reported unless absent). */
static char *load_log(struct cs_pkgset *ps, const char *path, size_t *len)
{
	struct archive *a;
	struct archive_entry *ae;
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int r, fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return NULL;
	if (cs__dl_load(&cs__dl_archive) != CS_OK) {
		a = NULL;
		goto out;
	}
	a = archive_read_new();
	if (!a) {
		close(fd);
		return NULL;
	}
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	archive_read_support_format_empty(a);
	if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK)
		goto out;
	r = archive_read_next_header(a, &ae);
	if (r == ARCHIVE_EOF) {
		buf = cs__malloc(1); /* an empty log, as rotation leaves one */
		if (buf)
			buf[0] = '\0';
		goto out;
	}
	if (r != ARCHIVE_OK)
		goto out;
	for (;;) {
		la_ssize_t got;

		if (cap - n < 65536 + 1) {
			if (cap >= LOG_MAX || cs__grow((void **)&buf, &cap, n + 65536 + 1, 1)) {
				free(buf);
				buf = NULL;
				goto out;
			}
		}
		got = archive_read_data(a, buf + n, cap - n - 1);
		if (got < 0) {
			free(buf);
			buf = NULL;
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (buf)
		buf[n] = '\0';
out:
	if (!buf && ps->diag) {
		struct cs_diag d;
		char msg[384];

		memset(&d, 0, sizeof(d));
		d.severity = CS_SEV_WARN;
		d.file = path;
		d.reason = "unreadable";
		d.message = "cannot read this package log (install times from it missing)";
		if (cs__dl_load(&cs__dl_archive) != CS_OK) {
			snprintf(msg, sizeof(msg),
			         "cannot read this package log (%s; install times from it missing)",
			         cs__dl_why(&cs__dl_archive));
			d.message = msg;
		}
		ps->diag(ps->userdata, &d);
	}
	archive_read_free(a);
	close(fd);
	*len = n;
	return buf;
}

int cs__pkg_install_logs(struct cs_pkgset *ps, const char *root, const char *status)
{
	static const char *const logs[] = {"var/log/dpkg.log", "var/log/apt/history.log"};
	struct inst_times it;
	char path[4096];
	size_t i, len;
	int r, rc = CS_OK;

	times_init(&it);
	for (i = 0; i < CS_ARRAY_SIZE(logs) && !rc; i++) {
		for (r = 0; r < LOG_ROTATIONS && !rc; r++) {
			char *data;
			int k;

			for (k = 0; k < 2; k++) {
				/* name, name.1, name.2.gz, ...; also name.1.gz */
				if (r == 0 && k == 1)
					break;
				snprintf(path, sizeof(path), "%s%s%s%s%.0d%s", root,
				         root[0] && root[strlen(root) - 1] != '/' ? "/" : "",
				         logs[i], r ? "." : "", r, k ? ".gz" : "");
				if (access(path, F_OK) != 0)
					continue;
				data = load_log(ps, path, &len);
				if (!data)
					continue;
				rc = read_log_mem(ps, &it, path, data, len);
				free(data);
			}
		}
	}
	if (!rc)
		times_apply(ps, &it, status);
	times_release(&it);
	return rc;
}

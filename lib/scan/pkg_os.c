/*
 * Operating-system package databases: dpkg's status file, Alpine's apk
 * installed database, and RPM through `rpm -qa` (its output, or a saved
 * copy of it named rpm-qa.tsv).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scan/pkg_int.h"

/* A "Key: value" paragraph walker shared by dpkg and apk. */
struct para_line {
	const char *key, *val;
	size_t klen, vlen;
	uint64_t line;
	int blank; /* paragraph separator */
	int cont;  /* continuation line (starts with a blank) */
	int bad;   /* no separator */
};

static int next_line(const char *d, size_t len, size_t *pos, uint64_t *no, char sep,
                     struct para_line *l)
{
	size_t s = *pos, e;
	const char *c;

	if (s >= len)
		return 0;
	e = s;
	while (e < len && d[e] != '\n')
		e++;
	*pos = e < len ? e + 1 : e;
	(*no)++;
	memset(l, 0, sizeof(*l));
	l->line = *no;
	if (e > s && d[e - 1] == '\r')
		e--;
	if (e == s) {
		l->blank = 1;
		return 1;
	}
	if (d[s] == ' ' || d[s] == '\t') {
		l->cont = 1;
		return 1;
	}
	c = memchr(d + s, sep, e - s);
	if (!c) {
		l->bad = 1;
		return 1;
	}
	l->key = d + s;
	l->klen = (size_t)(c - (d + s));
	l->val = c + 1;
	l->vlen = (size_t)(d + e - (c + 1));
	cs__trim(&l->val, &l->vlen);
	return 1;
}

/* ------------------------------------------------------------------ dpkg */

static int want_dpkg(const char *path, const char *data, size_t len)
{
	if (cs__pkg_path_ends(path, "/var/lib/dpkg/status") ||
	    strcmp(cs__path_base(path), "status") == 0)
		return len >= 9 && strncmp(data, "Package: ", 9) == 0;
	return 0;
}

struct dpkg_para {
	char name[256], version[256], arch[64], status[128], maint[256];
	uint64_t line;
};

static void set_field(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* dpkg keeps the list of each package's files in info/NAME[:ARCH].list,
 * written when it was unpacked: its time is the install time. */
static int64_t dpkg_list_time(const char *status_path, const struct dpkg_para *p)
{
	const char *slash = strrchr(status_path, '/');
	char buf[4096];
	struct stat st;
	int dirlen = slash ? (int)(slash - status_path) : 1;
	const char *dir = slash ? status_path : ".";

	if (p->arch[0]) {
		snprintf(buf, sizeof(buf), "%.*s/info/%s:%s.list", dirlen, dir, p->name, p->arch);
		if (lstat(buf, &st) == 0)
			return (int64_t)st.st_mtime;
	}
	snprintf(buf, sizeof(buf), "%.*s/info/%s.list", dirlen, dir, p->name);
	if (lstat(buf, &st) == 0)
		return (int64_t)st.st_mtime;
	return 0;
}

static int dpkg_flush(struct pkg_ctx *c, struct dpkg_para *p)
{
	struct cs_package pkg;
	char entry[300], purl[600];
	const char *w;
	int rc = CS_OK;

	if (!p->name[0] && !p->version[0] && !p->status[0]) {
		memset(p, 0, sizeof(*p));
		return CS_OK;
	}
	if (!p->name[0]) {
		cs__pkg_broken(c, p->line, 1, "paragraph without a Package field");
		memset(p, 0, sizeof(*p));
		return CS_OK;
	}
	/* "install ok installed": the third word is the state. */
	w = strrchr(p->status, ' ');
	w = w ? w + 1 : p->status;
	if (p->status[0] && strcmp(w, "installed") != 0 && strcmp(w, "half-configured") != 0 &&
	    strcmp(w, "unpacked") != 0 && strcmp(w, "half-installed") != 0 &&
	    strncmp(w, "triggers-", 9) != 0) {
		memset(p, 0, sizeof(*p));
		return CS_OK;
	}
	memset(&pkg, 0, sizeof(pkg));
	snprintf(entry, sizeof(entry), "Package: %s", p->name);
	snprintf(purl, sizeof(purl), "pkg:deb/debian/%s@%s%s%s", p->name, p->version,
	         p->arch[0] ? "?arch=" : "", p->arch);
	pkg.ecosystem = CS_ECO_DEBIAN;
	pkg.name = p->name;
	pkg.version = p->version;
	pkg.platform = "linux";
	pkg.vendor = p->maint[0] ? p->maint : NULL;
	pkg.purl = purl;
	pkg.entry = entry;
	pkg.line = p->line;
	pkg.install_time = dpkg_list_time(c->path, p);
	if (!p->version[0])
		cs__pkg_broken(c, p->line, 1, "package %s has no Version", p->name);
	else
		rc = cs__pkg_add(c, "dpkg", &pkg);
	memset(p, 0, sizeof(*p));
	return rc;
}

static int read_dpkg(struct pkg_ctx *c)
{
	struct dpkg_para p;
	struct para_line l;
	size_t pos = 0;
	uint64_t no = 0;
	int rc = CS_OK;

	memset(&p, 0, sizeof(p));
	while (!rc && next_line(c->data, c->len, &pos, &no, ':', &l)) {
		if (l.blank) {
			rc = dpkg_flush(c, &p);
			continue;
		}
		if (l.cont)
			continue;
		if (l.bad) {
			cs__pkg_broken(c, l.line, 1, "line is not 'Field: value'");
			continue;
		}
		if (!p.line)
			p.line = l.line;
		if (cs__eqi(l.key, l.klen, "Package"))
			set_field(p.name, sizeof(p.name), l.val, l.vlen);
		else if (cs__eqi(l.key, l.klen, "Version"))
			set_field(p.version, sizeof(p.version), l.val, l.vlen);
		else if (cs__eqi(l.key, l.klen, "Architecture"))
			set_field(p.arch, sizeof(p.arch), l.val, l.vlen);
		else if (cs__eqi(l.key, l.klen, "Status"))
			set_field(p.status, sizeof(p.status), l.val, l.vlen);
		else if (cs__eqi(l.key, l.klen, "Maintainer"))
			set_field(p.maint, sizeof(p.maint), l.val, l.vlen);
	}
	if (!rc)
		rc = dpkg_flush(c, &p);
	return rc;
}

const struct pkg_reader cs__pkg_dpkg = {"dpkg", want_dpkg, read_dpkg};

/* ------------------------------------------------------------------ apk */

static int want_apk(const char *path, const char *data, size_t len)
{
	if (!cs__pkg_path_ends(path, "/lib/apk/db/installed") &&
	    strcmp(cs__path_base(path), "installed") != 0)
		return 0;
	return len >= 2 && (data[0] == 'C' || data[0] == 'P') && data[1] == ':';
}

static int apk_flush(struct pkg_ctx *c, struct dpkg_para *p)
{
	struct cs_package pkg;
	char entry[300], purl[600];
	int rc = CS_OK;

	if (p->name[0] || p->version[0]) {
		memset(&pkg, 0, sizeof(pkg));
		snprintf(entry, sizeof(entry), "P:%s", p->name);
		snprintf(purl, sizeof(purl), "pkg:apk/alpine/%s@%s", p->name, p->version);
		pkg.ecosystem = CS_ECO_ALPINE;
		pkg.name = p->name;
		pkg.version = p->version;
		pkg.platform = "linux";
		pkg.purl = purl;
		pkg.entry = entry;
		pkg.line = p->line;
		if (!p->name[0] || !p->version[0])
			cs__pkg_broken(c, p->line, 1, "package entry without P: or V:");
		else
			rc = cs__pkg_add(c, "apk", &pkg);
	}
	memset(p, 0, sizeof(*p));
	return rc;
}

static int read_apk(struct pkg_ctx *c)
{
	struct dpkg_para p;
	struct para_line l;
	size_t pos = 0;
	uint64_t no = 0;
	int rc = CS_OK;

	memset(&p, 0, sizeof(p));
	while (!rc && next_line(c->data, c->len, &pos, &no, ':', &l)) {
		if (l.blank) {
			rc = apk_flush(c, &p);
			continue;
		}
		if (l.cont || l.bad || l.klen != 1) {
			cs__pkg_broken(c, l.line, 1, "line is not 'K:value'");
			continue;
		}
		if (!p.line)
			p.line = l.line;
		if (l.key[0] == 'P')
			set_field(p.name, sizeof(p.name), l.val, l.vlen);
		else if (l.key[0] == 'V')
			set_field(p.version, sizeof(p.version), l.val, l.vlen);
	}
	if (!rc)
		rc = apk_flush(c, &p);
	return rc;
}

const struct pkg_reader cs__pkg_apk = {"apk", want_apk, read_apk};

/* ------------------------------------------------------------------ rpm */

#define RPM_QUERYFORMAT "%{NAME}\\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\\t%{ARCH}\\t%{INSTALLTIME}\\n"

static int want_rpm_qa(const char *path, const char *data, size_t len)
{
	(void)data;
	(void)len;
	return strcmp(cs__path_base(path), "rpm-qa.tsv") == 0;
}

/* Lines "name TAB epoch:version-release TAB arch TAB installtime". */
static int read_rpm_qa(struct pkg_ctx *c)
{
	size_t pos = 0;
	uint64_t no = 0;
	int rc = CS_OK;

	while (!rc && pos < c->len) {
		const char *s = c->data + pos, *f[4];
		size_t e = pos, fl[4], k = 0, i;
		char name[256], ver[256], arch[64], when[32], entry[300], purl[700];
		struct cs_package pkg;

		while (e < c->len && c->data[e] != '\n')
			e++;
		no++;
		f[0] = s;
		for (i = pos; i <= e && k < 4; i++) {
			if (i == e || c->data[i] == '\t') {
				fl[k] = (size_t)(c->data + i - f[k]);
				k++;
				if (k < 4)
					f[k] = c->data + i + 1;
			}
		}
		pos = e + 1;
		if (e == (size_t)(s - c->data))
			continue;
		if (k < 2) {
			cs__pkg_broken(c, no, 1, "not 'name<TAB>epoch:version-release...'");
			continue;
		}
		set_field(name, sizeof(name), f[0], fl[0]);
		set_field(ver, sizeof(ver), f[1], fl[1]);
		set_field(arch, sizeof(arch), k > 2 ? f[2] : "", k > 2 ? fl[2] : 0);
		set_field(when, sizeof(when), k > 3 ? f[3] : "", k > 3 ? fl[3] : 0);
		/* Epoch 0 is written "0:": drop it, as rpm prints versions. */
		memset(&pkg, 0, sizeof(pkg));
		pkg.ecosystem = CS_ECO_RPM;
		pkg.name = name;
		pkg.version = strncmp(ver, "0:", 2) == 0 ? ver + 2 : ver;
		pkg.platform = "linux";
		snprintf(entry, sizeof(entry), "line %llu: %s", (unsigned long long)no, name);
		snprintf(purl, sizeof(purl), "pkg:rpm/%s@%s%s%s", name, pkg.version,
		         arch[0] ? "?arch=" : "", arch);
		pkg.entry = entry;
		pkg.purl = purl;
		pkg.line = no;
		pkg.install_time = cs__pkg_parse_time(when);
		rc = cs__pkg_add(c, "rpm", &pkg);
	}
	return rc;
}

const struct pkg_reader cs__pkg_rpm_qa = {"rpm", want_rpm_qa, read_rpm_qa};

/*
 * Run `BIN [--root ROOT --dbpath DBPATH] -qa --queryformat ...` (no
 * shell; stdin from /dev/null, stderr discarded) and read its output,
 * reported as `what`.
 */
int cs__pkg_rpm_run(struct cs_pkgset *ps, const char *bin, const char *root, const char *dbpath,
                    const char *what)
{
	struct cs_buf out;
	struct pkg_ctx c;
	int fds[2], status = 0, rc = CS_OK;
	pid_t pid;
	char chunk[65536];

	if (pipe2(fds, O_CLOEXEC) != 0)
		return CS_OK;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return CS_OK;
	}
	if (pid == 0) {
		char *const plain[] = {(char *)"rpm", (char *)"-qa", (char *)"--queryformat",
		                       (char *)RPM_QUERYFORMAT, NULL};
		char *const rooted[] = {
		        (char *)"rpm",           (char *)"--root",        (char *)root,
		        (char *)"--dbpath",      (char *)dbpath,          (char *)"-qa",
		        (char *)"--queryformat", (char *)RPM_QUERYFORMAT, NULL};
		int devnull = open("/dev/null", O_RDWR);

		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 2);
		}
		dup2(fds[1], 1);
		execv(bin, root ? rooted : plain);
		_exit(127);
	}
	close(fds[1]);
	cs__buf_init(&out, 64u << 20);
	for (;;) {
		ssize_t got = read(fds[0], chunk, sizeof(chunk));

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		if (cs__buf_add(&out, chunk, (size_t)got))
			break;
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	memset(&c, 0, sizeof(c));
	c.ps = ps;
	c.path = cs__arena_strndup(&ps->arena, what, strlen(what));
	if (!c.path) {
		cs__buf_release(&out);
		return CS_ERR_NOMEM;
	}
	c.data = cs__buf_cstr(&out);
	c.len = out.len;
	ps->count[CS_PKG_FILES]++;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		cs__pkg_broken(&c, 0, 0, "rpm -qa failed (exit %d); its output may be incomplete",
		               WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	rc = read_rpm_qa(&c);
	if (c.broken)
		ps->count[CS_PKG_BROKEN]++;
	cs__buf_release(&out);
	return rc;
}

static const char *rpm_bin(void)
{
	static const char *const bins[] = {"/usr/bin/rpm", "/bin/rpm"};
	size_t i;

	for (i = 0; i < CS_ARRAY_SIZE(bins); i++) {
		if (access(bins[i], X_OK) == 0)
			return bins[i];
	}
	return NULL;
}

/*
 * The RPM database of this host (`root` NULL) or of a mounted or
 * collected host: /usr/lib/sysimage/rpm (Fedora 36 and later, SUSE) or
 * /var/lib/rpm below it, read with `rpm --root ROOT --dbpath ...`. A
 * host without an RPM database is fine; a database we cannot read
 * because this machine has no rpm program is reported and counted as a
 * gap, unless a saved `rpm-qa.tsv` of that root was read instead.
 */
int cs__pkg_rpm_host(struct cs_pkgset *ps, const char *root)
{
	static const char *const dbs[] = {"/usr/lib/sysimage/rpm", "/var/lib/rpm"};
	const char *bin = rpm_bin(), *db = NULL;
	char path[4096], absroot[4096], what[4200];
	size_t i;

	for (i = 0; i < CS_ARRAY_SIZE(dbs) && !db; i++) {
		struct stat st;

		snprintf(path, sizeof(path), "%s%s", root ? root : "", dbs[i]);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			db = dbs[i];
	}
	if (!db)
		return CS_OK;
	if (!root)
		return bin ? cs__pkg_rpm_run(ps, bin, NULL, NULL, "rpm -qa") : CS_OK;
	snprintf(path, sizeof(path), "%s%s", root, db);
	if (!bin) {
		struct pkg_ctx c;

		for (i = 0; i < ps->n; i++) {
			if (strcmp(ps->pkgs[i].reader, "rpm") == 0 &&
			    strncmp(ps->pkgs[i].file, root, strlen(root)) == 0)
				return CS_OK; /* its rpm-qa.tsv stands in */
		}
		memset(&c, 0, sizeof(c));
		c.ps = ps;
		c.path = cs__arena_strndup(&ps->arena, path, strlen(path));
		if (!c.path)
			return CS_ERR_NOMEM;
		cs__pkg_broken(&c, 0, 0,
		               "RPM database not read: no rpm program on this machine (install "
		               "Debian's 'rpm', or save `rpm -qa --queryformat "
		               "'%%{NAME}\\t%%{EPOCHNUM}:%%{VERSION}-%%{RELEASE}\\t%%{ARCH}\\t"
		               "%%{INSTALLTIME}\\n'` on the host as rpm-qa.tsv)");
		ps->count[CS_PKG_BROKEN]++;
		return CS_OK;
	}
	if (!realpath(root[0] ? root : "/", absroot))
		return CS_OK;
	snprintf(what, sizeof(what), "rpm --root %s -qa", absroot);
	return cs__pkg_rpm_run(ps, bin, absroot, db, what);
}

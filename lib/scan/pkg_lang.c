/*
 * Language package managers: npm (package-lock.json v1-v3 and
 * npm-shrinkwrap.json, yarn.lock v1 and berry, pnpm-lock.yaml v5-v9,
 * node_modules/NAME/package.json), Python (*.dist-info/METADATA,
 * *.egg-info/PKG-INFO, pinned requirements*.txt, poetry.lock,
 * Pipfile.lock), Go (go.sum), Rust (Cargo.lock), Ruby (Gemfile.lock) and
 * PHP (composer.lock).
 *
 * pnpm-lock.yaml is YAML; only the keys of its `packages:` map are read
 * ("/name/1.2.3", "/name@1.2.3(peer@1)", "name@1.2.3"), by hand: no YAML
 * library is needed for that subset. poetry.lock and Cargo.lock are TOML;
 * only the `name` and `version` of each [[package]] table are read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/pkg_int.h"

#define NAME_MAX_LEN 512

static int add_simple(struct pkg_ctx *c, const char *reader, enum cs_ecosystem eco,
                      const char *name, const char *version, const char *entry, uint64_t line)
{
	struct cs_package p;

	memset(&p, 0, sizeof(p));
	p.ecosystem = eco;
	p.name = name;
	p.version = version;
	p.entry = entry;
	p.line = line;
	return cs__pkg_add(c, reader, &p);
}

/* Iterate lines: returns 0 at the end; *s, *n the line without '\n'/'\r'. */
static int line_next(const struct pkg_ctx *c, size_t *pos, uint64_t *no, const char **s, size_t *n)
{
	size_t e = *pos;

	if (*pos >= c->len)
		return 0;
	while (e < c->len && c->data[e] != '\n')
		e++;
	*s = c->data + *pos;
	*n = e - *pos;
	if (*n && (*s)[*n - 1] == '\r')
		(*n)--;
	*pos = e + 1;
	(*no)++;
	return 1;
}

/* ------------------------------------------------------------------ npm */

static int want_npm_lock(const char *path, const char *data, size_t len)
{
	const char *b = cs__path_base(path);

	(void)data;
	(void)len;
	return strcmp(b, "package-lock.json") == 0 || strcmp(b, "npm-shrinkwrap.json") == 0 ||
	       strcmp(b, ".package-lock.json") == 0;
}

static int npm_v1(struct pkg_ctx *c, json_t *deps, struct cs_buf *path, unsigned depth)
{
	const char *key;
	json_t *v;
	size_t base = path->len;
	int rc = CS_OK;

	if (depth > CS_PKG_MAX_DEPTH) {
		cs__pkg_broken(c, 0, 0, "%s: nested deeper than %d", cs__buf_cstr(path),
		               CS_PKG_MAX_DEPTH);
		return CS_OK;
	}
	json_object_foreach(deps, key, v)
	{
		const char *ver;
		json_t *sub;

		path->len = base;
		if (cs__buf_printf(path, "%s[\"%s\"]", base ? ".dependencies" : "dependencies",
		                   key))
			return CS_ERR_NOMEM;
		if (!json_is_object(v)) {
			cs__pkg_broken(c, 0, 0, "%s: not an object", cs__buf_cstr(path));
			continue;
		}
		ver = cs__pkg_jstr(v, "version");
		if (!ver) {
			cs__pkg_broken(c, 0, 0, "%s: no version", cs__buf_cstr(path));
		} else if (strncmp(ver, "file:", 5) != 0 && strncmp(ver, "link:", 5) != 0) {
			rc = add_simple(c, "npm-lock", CS_ECO_NPM, key, ver, cs__buf_cstr(path), 0);
			if (rc)
				return rc;
		}
		sub = json_object_get(v, "dependencies");
		if (json_is_object(sub)) {
			rc = npm_v1(c, sub, path, depth + 1);
			if (rc)
				return rc;
		}
	}
	path->len = base;
	if (path->data)
		path->data[base] = '\0';
	return rc;
}

static int read_npm_lock(struct pkg_ctx *c)
{
	json_t *j = cs__pkg_json(c, "package-lock"), *pkgs, *deps, *v;
	struct cs_buf path;
	const char *key;
	char entry[1024];
	int rc = CS_OK;

	if (!j)
		return CS_OK;
	if (!json_is_object(j)) {
		cs__pkg_broken(c, 1, 1, "package-lock: the top is not an object");
		json_decref(j);
		return CS_OK;
	}
	pkgs = json_object_get(j, "packages");
	deps = json_object_get(j, "dependencies");
	if (json_is_object(pkgs)) {
		json_object_foreach(pkgs, key, v)
		{
			const char *nm = strstr(key, "node_modules/"), *last = nm, *name, *ver;

			if (!*key || !nm)
				continue; /* the project itself, or a workspace folder */
			while ((nm = strstr(last + 13, "node_modules/")) != NULL)
				last = nm;
			snprintf(entry, sizeof(entry), "packages[\"%s\"]", key);
			if (!json_is_object(v)) {
				cs__pkg_broken(c, 0, 0, "%s: not an object", entry);
				continue;
			}
			if (json_is_true(json_object_get(v, "link")))
				continue;
			name = cs__pkg_jstr(v, "name");
			if (!name)
				name = last + 13;
			ver = cs__pkg_jstr(v, "version");
			if (!ver) {
				cs__pkg_broken(c, 0, 0, "%s: no version", entry);
				continue;
			}
			rc = add_simple(c, "npm-lock", CS_ECO_NPM, name, ver, entry, 0);
			if (rc)
				break;
		}
	} else if (json_is_object(deps)) {
		cs__buf_init(&path, 1 << 20);
		rc = npm_v1(c, deps, &path, 0);
		cs__buf_release(&path);
	} else {
		cs__pkg_broken(c, 1, 1, "package-lock: neither 'packages' nor 'dependencies'");
	}
	json_decref(j);
	return rc;
}

const struct pkg_reader cs__pkg_npm_lock = {"npm-lock", want_npm_lock, read_npm_lock};

/* node_modules/NAME/package.json and node_modules/@SCOPE/NAME/package.json */
static int want_node_module(const char *path, const char *data, size_t len)
{
	const char *p = path, *nm = NULL, *rest;
	size_t slashes = 0;

	(void)data;
	(void)len;
	if (strcmp(cs__path_base(path), "package.json") != 0)
		return 0;
	while ((p = strstr(p, "node_modules/")) != NULL) {
		nm = p;
		p += 13;
	}
	if (!nm || (nm != path && nm[-1] != '/'))
		return 0;
	rest = nm + 13;
	for (p = rest; *p; p++)
		slashes += *p == '/';
	return slashes == 1 || (slashes == 2 && rest[0] == '@');
}

static int read_node_module(struct pkg_ctx *c)
{
	json_t *j = cs__pkg_json(c, "package.json");
	int rc = CS_OK;

	if (!j)
		return CS_OK;
	if (!json_is_object(j) || !cs__pkg_jstr(j, "name") || !cs__pkg_jstr(j, "version"))
		cs__pkg_broken(c, 1, 1, "package.json without a name and version");
	else
		rc = add_simple(c, "node-module", CS_ECO_NPM, cs__pkg_jstr(j, "name"),
		                cs__pkg_jstr(j, "version"), "name, version", 0);
	json_decref(j);
	return rc;
}

const struct pkg_reader cs__pkg_node_module = {"node-module", want_node_module, read_node_module};

/* ------------------------------------------------------------------ yarn */

static int want_yarn_lock(const char *path, const char *data, size_t len)
{
	(void)data;
	(void)len;
	return strcmp(cs__path_base(path), "yarn.lock") == 0;
}

/* The package name of a yarn entry key: the first spec, unquoted, up to
 * the '@' that starts its range ("@babel/core@^7.0.0" -> "@babel/core"). */
static int yarn_name(const char *s, size_t n, char *out, size_t cap)
{
	size_t i, end;

	while (n && (*s == '"' || *s == ' ')) {
		s++;
		n--;
	}
	for (end = 0; end < n && s[end] != ',' && s[end] != '"'; end++)
		;
	for (i = 1; i < end && s[i] != '@'; i++)
		;
	if (i >= end || i == 0)
		return -1;
	cs__copy_n(out, cap, s, i);
	return 0;
}

static int read_yarn_lock(struct pkg_ctx *c)
{
	size_t pos = 0, n;
	uint64_t no = 0, entry_line = 0;
	const char *s;
	char name[NAME_MAX_LEN] = "", ver[256], entry[64];
	int rc = CS_OK, in_entry = 0;

	while (!rc && line_next(c, &pos, &no, &s, &n)) {
		if (n == 0 || s[0] == '#')
			continue;
		if (s[0] != ' ') {
			in_entry = 0;
			if (s[n - 1] != ':') {
				cs__pkg_broken(c, no, 1, "yarn.lock: entry key without ':'");
				continue;
			}
			if (n >= 13 && strncmp(s, "__metadata:", 11) == 0)
				continue;
			if (yarn_name(s, n - 1, name, sizeof(name))) {
				cs__pkg_broken(c, no, 1, "yarn.lock: no package name in the key");
				continue;
			}
			in_entry = 1;
			entry_line = no;
			continue;
		}
		if (in_entry) {
			const char *t = s;
			size_t tn = n;

			cs__trim(&t, &tn);
			if (tn > 8 && strncmp(t, "version", 7) == 0 &&
			    (t[7] == ' ' || t[7] == ':')) {
				t += 8;
				tn -= 8;
				cs__trim(&t, &tn);
				while (tn && (*t == '"' || *t == ' ')) {
					t++;
					tn--;
				}
				while (tn && t[tn - 1] == '"')
					tn--;
				cs__copy_n(ver, sizeof(ver), t, tn);
				snprintf(entry, sizeof(entry), "line %llu",
				         (unsigned long long)entry_line);
				rc = add_simple(c, "yarn-lock", CS_ECO_NPM, name, ver, entry,
				                entry_line);
				in_entry = 0;
			}
		}
	}
	return rc;
}

const struct pkg_reader cs__pkg_yarn_lock = {"yarn-lock", want_yarn_lock, read_yarn_lock};

/* ------------------------------------------------------------------ pnpm */

static int want_pnpm_lock(const char *path, const char *data, size_t len)
{
	(void)data;
	(void)len;
	return strcmp(cs__path_base(path), "pnpm-lock.yaml") == 0;
}

/* "/name/1.2.3_peer", "/@s/n@1.2.3(p@1)", "name@1.2.3" -> name, version */
static int pnpm_key(const char *s, size_t n, char *name, size_t ncap, char *ver, size_t vcap)
{
	const char *paren = memchr(s, '(', n), *at = NULL;
	size_t i;

	if (paren)
		n = (size_t)(paren - s);
	if (n && s[0] == '/') {
		s++;
		n--;
	}
	for (i = 1; i < n; i++) {
		if (s[i] == '@')
			at = s + i;
	}
	if (at) {
		cs__copy_n(name, ncap, s, (size_t)(at - s));
		cs__copy_n(ver, vcap, at + 1, n - (size_t)(at + 1 - s));
	} else {
		const char *slash = NULL, *us;

		for (i = 0; i < n; i++) {
			if (s[i] == '/')
				slash = s + i;
		}
		if (!slash || slash == s)
			return -1;
		cs__copy_n(name, ncap, s, (size_t)(slash - s));
		cs__copy_n(ver, vcap, slash + 1, n - (size_t)(slash + 1 - s));
		us = strchr(ver, '_');
		if (us)
			ver[us - ver] = '\0';
	}
	return name[0] && ver[0] ? 0 : -1;
}

static int read_pnpm_lock(struct pkg_ctx *c)
{
	size_t pos = 0, n;
	uint64_t no = 0;
	const char *s;
	char name[NAME_MAX_LEN], ver[256], entry[64];
	int rc = CS_OK, in_pkgs = 0;

	while (!rc && line_next(c, &pos, &no, &s, &n)) {
		size_t ind = 0;

		if (n == 0 || s[0] == '#')
			continue;
		if (s[0] != ' ') {
			in_pkgs = n >= 9 && strncmp(s, "packages:", 9) == 0;
			continue;
		}
		if (!in_pkgs)
			continue;
		while (ind < n && s[ind] == ' ')
			ind++;
		if (ind != 2 || s[n - 1] != ':')
			continue;
		s += 2;
		n -= 3;
		while (n && (s[0] == '\'' || s[0] == '"')) {
			s++;
			n--;
		}
		while (n && (s[n - 1] == '\'' || s[n - 1] == '"'))
			n--;
		if (pnpm_key(s, n, name, sizeof(name), ver, sizeof(ver))) {
			cs__pkg_broken(c, no, 3,
			               "pnpm-lock: a package key that is not name@version");
			continue;
		}
		snprintf(entry, sizeof(entry), "line %llu", (unsigned long long)no);
		rc = add_simple(c, "pnpm-lock", CS_ECO_NPM, name, ver, entry, no);
	}
	return rc;
}

const struct pkg_reader cs__pkg_pnpm_lock = {"pnpm-lock", want_pnpm_lock, read_pnpm_lock};

/* ------------------------------------------------------------------ Python */

static int want_py_metadata(const char *path, const char *data, size_t len)
{
	(void)data;
	(void)len;
	return cs__pkg_path_ends(path, ".dist-info/METADATA") ||
	       cs__pkg_path_ends(path, ".egg-info/PKG-INFO");
}

static int read_py_metadata(struct pkg_ctx *c)
{
	size_t pos = 0, n;
	uint64_t no = 0, name_line = 0;
	const char *s;
	char name[NAME_MAX_LEN] = "", ver[256] = "";

	while (line_next(c, &pos, &no, &s, &n)) {
		if (n == 0)
			break; /* the body starts */
		if (n > 5 && cs__strncasecmp(s, "Name:", 5) == 0) {
			const char *v = s + 5;
			size_t vn = n - 5;

			cs__trim(&v, &vn);
			cs__copy_n(name, sizeof(name), v, vn);
			name_line = no;
		} else if (n > 8 && cs__strncasecmp(s, "Version:", 8) == 0) {
			const char *v = s + 8;
			size_t vn = n - 8;

			cs__trim(&v, &vn);
			cs__copy_n(ver, sizeof(ver), v, vn);
		}
	}
	if (!name[0] || !ver[0]) {
		cs__pkg_broken(c, 1, 1, "metadata without Name and Version");
		return CS_OK;
	}
	return add_simple(c, "python-metadata", CS_ECO_PYPI, name, ver, "Name, Version", name_line);
}

const struct pkg_reader cs__pkg_py_metadata = {"python-metadata", want_py_metadata,
                                               read_py_metadata};

static int want_py_requirements(const char *path, const char *data, size_t len)
{
	const char *b = cs__path_base(path);

	(void)data;
	(void)len;
	return strncmp(b, "requirements", 12) == 0 && cs__name_ends(b, ".txt");
}

/* Pinned lines only: "name==1.2.3", "name[extra]===1.2.3 ; marker". */
static int read_py_requirements(struct pkg_ctx *c)
{
	size_t pos = 0, n;
	uint64_t no = 0;
	const char *s;
	char name[NAME_MAX_LEN], ver[256], entry[64];
	int rc = CS_OK;

	while (!rc && line_next(c, &pos, &no, &s, &n)) {
		const char *eq, *hash = memchr(s, '#', n), *semi, *v, *br;
		size_t vn, nn;

		if (hash)
			n = (size_t)(hash - s);
		semi = memchr(s, ';', n);
		if (semi)
			n = (size_t)(semi - s);
		cs__trim(&s, &n);
		if (n == 0 || s[0] == '-')
			continue;
		eq = NULL;
		for (size_t i = 0; i + 1 < n; i++) {
			if (s[i] == '=' && s[i + 1] == '=') {
				eq = s + i;
				break;
			}
		}
		if (!eq)
			continue; /* not pinned: nothing installed to name */
		nn = (size_t)(eq - s);
		br = memchr(s, '[', nn);
		if (br)
			nn = (size_t)(br - s);
		v = eq + 2;
		if (v < s + n && *v == '=')
			v++;
		vn = (size_t)(s + n - v);
		{
			const char *sp = v;

			while (sp < v + vn && *sp != ' ' && *sp != '\t' && *sp != '\\')
				sp++;
			vn = (size_t)(sp - v);
		}
		{
			const char *nm = s;

			cs__trim(&nm, &nn);
			cs__trim(&v, &vn);
			if (!nn || !vn) {
				cs__pkg_broken(c, no, 1, "requirement without a name or version");
				continue;
			}
			cs__copy_n(name, sizeof(name), nm, nn);
			cs__copy_n(ver, sizeof(ver), v, vn);
		}
		snprintf(entry, sizeof(entry), "line %llu", (unsigned long long)no);
		rc = add_simple(c, "python-requirements", CS_ECO_PYPI, name, ver, entry, no);
	}
	return rc;
}

const struct pkg_reader cs__pkg_py_requirements = {"python-requirements", want_py_requirements,
                                                   read_py_requirements};

/* [[package]] tables of poetry.lock and Cargo.lock: name = "..", version = "..". */
static int read_toml_packages(struct pkg_ctx *c, const char *reader, enum cs_ecosystem eco)
{
	size_t pos = 0, n;
	uint64_t no = 0, pkg_line = 0;
	const char *s;
	char name[NAME_MAX_LEN] = "", ver[256] = "", entry[64];
	int rc = CS_OK, in_pkg = 0;

	for (;;) {
		int more = line_next(c, &pos, &no, &s, &n);

		if (more)
			cs__trim(&s, &n);
		if (!more || (n && s[0] == '[')) {
			if (in_pkg) {
				if (!name[0] || !ver[0]) {
					cs__pkg_broken(c, pkg_line, 1,
					               "[[package]] without a name and version");
				} else {
					snprintf(entry, sizeof(entry), "[[package]] at line %llu",
					         (unsigned long long)pkg_line);
					rc = add_simple(c, reader, eco, name, ver, entry, pkg_line);
					if (rc)
						return rc;
				}
			}
			if (!more)
				break;
			in_pkg = n == 11 && strncmp(s, "[[package]]", 11) == 0;
			name[0] = ver[0] = '\0';
			pkg_line = no;
			continue;
		}
		if (!in_pkg || n == 0)
			continue;
		{
			const char *eq = memchr(s, '=', n), *k = s, *v;
			size_t kn, vn;

			if (!eq)
				continue;
			kn = (size_t)(eq - s);
			v = eq + 1;
			vn = n - kn - 1;
			cs__trim(&k, &kn);
			cs__trim(&v, &vn);
			if (vn < 2 || v[0] != '"' || v[vn - 1] != '"')
				continue;
			v++;
			vn -= 2;
			if (cs__eqi(k, kn, "name"))
				cs__copy_n(name, sizeof(name), v, vn);
			else if (cs__eqi(k, kn, "version"))
				cs__copy_n(ver, sizeof(ver), v, vn);
		}
	}
	return rc;
}

static int want_poetry_lock(const char *path, const char *data, size_t len)
{
	(void)data;
	(void)len;
	return strcmp(cs__path_base(path), "poetry.lock") == 0;
}

static int read_poetry_lock(struct pkg_ctx *c)
{
	return read_toml_packages(c, "poetry-lock", CS_ECO_PYPI);
}

const struct pkg_reader cs__pkg_poetry_lock = {"poetry-lock", want_poetry_lock, read_poetry_lock};

static int want_cargo_lock(const char *path, const char *data, size_t len)
{
	(void)data;
	(void)len;
	return strcmp(cs__path_base(path), "Cargo.lock") == 0;
}

static int read_cargo_lock(struct pkg_ctx *c)
{
	return read_toml_packages(c, "cargo-lock", CS_ECO_CARGO);
}

const struct pkg_reader cs__pkg_cargo_lock = {"cargo-lock", want_cargo_lock, read_cargo_lock};

/* ------------------------------------------------------------------ Go */

static int want_go_sum(const char *path, const char *data, size_t len)
{
	(void)data;
	(void)len;
	return strcmp(cs__path_base(path), "go.sum") == 0;
}

/* "module version h1:hash": modules whose code was used. Lines for
 * "version/go.mod" name only a go.mod read during resolution and are
 * skipped. */
static int read_go_sum(struct pkg_ctx *c)
{
	size_t pos = 0, n;
	uint64_t no = 0;
	const char *s;
	char name[NAME_MAX_LEN], ver[256], entry[64];
	int rc = CS_OK;

	while (!rc && line_next(c, &pos, &no, &s, &n)) {
		const char *sp1, *sp2;

		cs__trim(&s, &n);
		if (n == 0)
			continue;
		sp1 = memchr(s, ' ', n);
		sp2 = sp1 ? memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - s)) : NULL;
		if (!sp1 || !sp2 || sp2 == sp1 + 1) {
			cs__pkg_broken(c, no, 1, "go.sum: not 'module version hash'");
			continue;
		}
		if (sp2 - sp1 > 8 && memcmp(sp2 - 7, "/go.mod", 7) == 0)
			continue;
		cs__copy_n(name, sizeof(name), s, (size_t)(sp1 - s));
		cs__copy_n(ver, sizeof(ver), sp1 + 1, (size_t)(sp2 - sp1 - 1));
		snprintf(entry, sizeof(entry), "line %llu", (unsigned long long)no);
		rc = add_simple(c, "go-sum", CS_ECO_GO, name, ver, entry, no);
	}
	return rc;
}

const struct pkg_reader cs__pkg_go_sum = {"go-sum", want_go_sum, read_go_sum};

/* ------------------------------------------------------------------ Pipfile.lock */

static int want_pipfile_lock(const char *path, const char *data, size_t len)
{
	(void)data;
	(void)len;
	return strcmp(cs__path_base(path), "Pipfile.lock") == 0;
}

/* {"default": {"name": {"version": "==1.2.3", ...}}, "develop": {...}}:
 * every pinned package of both groups (a VCS or path entry has no
 * version and is skipped). */
static int read_pipfile_lock(struct pkg_ctx *c)
{
	static const char *const groups[] = {"default", "develop"};
	json_t *j = cs__pkg_json(c, "Pipfile.lock"), *g, *v;
	const char *name;
	char entry[NAME_MAX_LEN + 32];
	size_t k;
	int rc = CS_OK;

	if (!j)
		return CS_OK;
	if (!json_is_object(j)) {
		cs__pkg_broken(c, 1, 1, "Pipfile.lock: not a JSON object");
		json_decref(j);
		return CS_OK;
	}
	for (k = 0; k < CS_ARRAY_SIZE(groups) && !rc; k++) {
		g = json_object_get(j, groups[k]);
		if (g && !json_is_object(g)) {
			cs__pkg_broken(c, 0, 0, "Pipfile.lock: %s is not an object", groups[k]);
			continue;
		}
		json_object_foreach(g, name, v)
		{
			const char *ver = cs__pkg_jstr(v, "version");

			if (rc)
				break;
			if (!ver) {
				c->ps->count[CS_PKG_SKIPPED]++;
				continue;
			}
			if (strncmp(ver, "===", 3) == 0)
				ver += 3;
			else if (strncmp(ver, "==", 2) == 0)
				ver += 2;
			snprintf(entry, sizeof(entry), "%s[\"%.*s\"]", groups[k], NAME_MAX_LEN,
			         name);
			rc = add_simple(c, "pipfile-lock", CS_ECO_PYPI, name, ver, entry, 0);
		}
	}
	json_decref(j);
	return rc;
}

const struct pkg_reader cs__pkg_pipfile_lock = {"pipfile-lock", want_pipfile_lock,
                                                read_pipfile_lock};

/* ------------------------------------------------------------------ composer.lock */

static int want_composer_lock(const char *path, const char *data, size_t len)
{
	(void)data;
	(void)len;
	return strcmp(cs__path_base(path), "composer.lock") == 0;
}

/* {"packages": [{"name": "vendor/pkg", "version": "v1.2.3"}],
 *  "packages-dev": [...]}. */
static int read_composer_lock(struct pkg_ctx *c)
{
	static const char *const groups[] = {"packages", "packages-dev"};
	json_t *j = cs__pkg_json(c, "composer.lock"), *g, *v;
	char entry[64];
	size_t k, i;
	int rc = CS_OK;

	if (!j)
		return CS_OK;
	for (k = 0; k < CS_ARRAY_SIZE(groups) && !rc; k++) {
		g = json_object_get(j, groups[k]);
		if (g && !json_is_array(g)) {
			cs__pkg_broken(c, 0, 0, "composer.lock: %s is not an array", groups[k]);
			continue;
		}
		json_array_foreach(g, i, v)
		{
			if (rc)
				break;
			if (!json_is_object(v)) {
				cs__pkg_broken(c, 0, 0, "composer.lock: %s[%zu] is not an object",
				               groups[k], i);
				continue;
			}
			snprintf(entry, sizeof(entry), "%s[%zu]", groups[k], i);
			rc = add_simple(c, "composer-lock", CS_ECO_PACKAGIST,
			                cs__pkg_jstr(v, "name"), cs__pkg_jstr(v, "version"), entry,
			                0);
		}
	}
	json_decref(j);
	return rc;
}

const struct pkg_reader cs__pkg_composer_lock = {"composer-lock", want_composer_lock,
                                                 read_composer_lock};

/* ------------------------------------------------------------------ Gemfile.lock */

static int want_gemfile_lock(const char *path, const char *data, size_t len)
{
	(void)data;
	(void)len;
	return strcmp(cs__path_base(path), "Gemfile.lock") == 0;
}

/*
 * Bundler's lockfile: sections (GEM, GIT, PATH, PLATFORMS, DEPENDENCIES,
 * ...) at column 0; in GEM, GIT and PATH, a "specs:" list whose entries
 * are "    name (version[-platform])" at four spaces (their own
 * dependencies follow at six, with requirements, and are not packages).
 */
static int read_gemfile_lock(struct pkg_ctx *c)
{
	size_t pos = 0, n;
	uint64_t no = 0;
	const char *s;
	char name[NAME_MAX_LEN], ver[256], entry[64];
	int in_specs = 0, rc = CS_OK;

	while (!rc && line_next(c, &pos, &no, &s, &n)) {
		const char *open, *close;
		size_t vl, k;

		if (n == 0)
			continue;
		if (s[0] != ' ') {
			in_specs = 0;
			continue;
		}
		if (n >= 8 && memcmp(s, "  specs:", 8) == 0) {
			in_specs = 1;
			continue;
		}
		if (!in_specs || n < 5 || memcmp(s, "    ", 4) != 0 || s[4] == ' ')
			continue;
		open = memchr(s, '(', n);
		close = open ? memchr(open, ')', n - (size_t)(open - s)) : NULL;
		if (!open || !close || open < s + 6 || open[-1] != ' ') {
			cs__pkg_broken(c, no, 5, "Gemfile.lock: spec is not 'name (version)'");
			continue;
		}
		cs__copy_n(name, sizeof(name), s + 4, (size_t)(open - 1 - (s + 4)));
		vl = (size_t)(close - open - 1);
		/* "1.13.10-x86_64-linux": the platform is not part of the
		 * version OSV lists. */
		for (k = 0; k + 1 < vl; k++) {
			if (open[1 + k] == '-' && cs__isalpha((unsigned char)open[2 + k])) {
				vl = k;
				break;
			}
		}
		cs__copy_n(ver, sizeof(ver), open + 1, vl);
		snprintf(entry, sizeof(entry), "specs, line %llu", (unsigned long long)no);
		rc = add_simple(c, "gemfile-lock", CS_ECO_RUBYGEMS, name, ver, entry, no);
	}
	return rc;
}

const struct pkg_reader cs__pkg_gemfile_lock = {"gemfile-lock", want_gemfile_lock,
                                                read_gemfile_lock};

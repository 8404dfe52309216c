/*
 * Private interface of the package and SBOM readers (lib/scan/pkg_*.c)
 * and the package set (pkgset.c).
 *
 * A reader is a row of a table, as the intel readers are: `want` looks at
 * the path (and the first bytes) and says whether the file is its kind;
 * `read` gets the whole file in memory and adds packages through
 * cs__pkg_add(). Readers never print: a broken input is reported with
 * cs__pkg_broken() (position and message) and counted once per file.
 */
#ifndef CS_PKG_INT_H
#define CS_PKG_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "chainsweep/software.h"
#include "core/core_int.h"

#define CS_PKG_MAX_FILE  ((size_t)256 << 20) /* one input file */
#define CS_PKG_MAX_DEPTH 64                  /* nesting: SBOM components, folders */

struct cs_pkgset {
	struct cs_package *pkgs;
	size_t n, cap;
	struct cs_arena arena;
	uint64_t count[CS_PKG_NCOUNTS];
	cs_diag_fn diag;
	void *userdata;
	double deadline;               /* monotonic seconds, 0: none */
	const volatile int *interrupt; /* or NULL */
	int stopped;                   /* CS_PKG_TIME_LIMIT / CS_PKG_INTERRUPTED, or 0 */
};

/* 1 when reading must stop (time limit or interrupt flag). */
int cs__pkg_stopping(struct cs_pkgset *ps);

/* One input being read. */
struct pkg_ctx {
	struct cs_pkgset *ps;
	const char *path; /* as reported; owned by the set's arena */
	const char *data; /* whole file, NUL-terminated */
	size_t len;
	int64_t mtime; /* of the file, 0 when read from memory */
	int broken;    /* some part could not be read */
	uint64_t added;
};

struct pkg_reader {
	const char *name;
	/* 1 when the file named `path` starting with `data` is this kind. */
	int (*want)(const char *path, const char *data, size_t len);
	int (*read)(struct pkg_ctx *c);
};

/*
 * Add a package; strings are copied. `file`, `reader` and, when no
 * install time is given, the file's modification time (marked as such)
 * are filled in. Returns CS_OK or CS_ERR_NOMEM. A package without name
 * or version is counted as skipped, not added.
 */
int cs__pkg_add(struct pkg_ctx *c, const char *reader, const struct cs_package *p);
/* Report that (part of) the input is broken: position and message. */
void cs__pkg_broken(struct pkg_ctx *c, uint64_t line, uint64_t column, const char *fmt, ...)
        CS_PRINTF(4, 5);
/* Report something worth knowing that is not a gap. */
void cs__pkg_note(struct pkg_ctx *c, uint64_t line, uint64_t column, const char *fmt, ...)
        CS_PRINTF(4, 5);
/* Line (1-based) and column of byte offset `off` in c->data. */
void cs__pkg_linecol(const struct pkg_ctx *c, size_t off, uint64_t *line, uint64_t *column);
/* Parse JSON input with jansson; a syntax error is reported broken with
 * its line and column and NULL returned. */
json_t *cs__pkg_json(struct pkg_ctx *c, const char *what);
/* A string member of a JSON object, or NULL. */
const char *cs__pkg_jstr(json_t *o, const char *key);
/* Time from a few spellings: epoch seconds, "YYYYMMDD" (Windows
 * InstallDate), ISO 8601. 0 when none parses. */
int64_t cs__pkg_parse_time(const char *s);

/* Readers (pkg_os.c, pkg_lang.c, pkg_sbom.c, pkg_desktop.c). */
extern const struct pkg_reader cs__pkg_dpkg, cs__pkg_apk, cs__pkg_rpm_qa;
extern const struct pkg_reader cs__pkg_npm_lock, cs__pkg_yarn_lock, cs__pkg_pnpm_lock,
        cs__pkg_node_module, cs__pkg_py_metadata, cs__pkg_py_requirements, cs__pkg_poetry_lock,
        cs__pkg_go_sum, cs__pkg_cargo_lock, cs__pkg_pipfile_lock, cs__pkg_composer_lock,
        cs__pkg_gemfile_lock;
extern const struct pkg_reader cs__pkg_cyclonedx, cs__pkg_spdx, cs__pkg_spdx_tv;
extern const struct pkg_reader cs__pkg_plist, cs__pkg_electron, cs__pkg_win_csv, cs__pkg_win_json,
        cs__pkg_asar;
extern const struct pkg_reader cs__pkg_gobin; /* pkg_gobin.c */

/* The rpm database of this host (`root` NULL) or below `root` through
 * `rpm [--root R --dbpath D] -qa` (pkg_os.c); CS_OK when there is none,
 * a gap reported when there is one but no rpm program. */
int cs__pkg_rpm_host(struct cs_pkgset *ps, const char *root);
/* Run `bin` as rpm and read its output as `what` (tests pass a stand-in). */
int cs__pkg_rpm_run(struct cs_pkgset *ps, const char *bin, const char *root, const char *dbpath,
                    const char *what);

/* Install times from the package logs below `root` ("/" for this host)
 * for the dpkg packages read from the status file `status` (pkg_logs.c). */
int cs__pkg_install_logs(struct cs_pkgset *ps, const char *root, const char *status);

/* Path helpers for `want`: the base name, and whether the path ends with
 * `tail` ("/resources/app/package.json"), ignoring ASCII case. */
int cs__pkg_path_ends(const char *path, const char *tail);

#endif /* CS_PKG_INT_H */

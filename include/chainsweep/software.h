/*
 * chainsweep: installed software and SBOMs against advisories.
 *
 * Three objects:
 *
 * - struct cs_pkgset: installed packages and applications, each a
 *   struct cs_package (ecosystem, name, version, platform, vendor, where
 *   it was found and when it was installed, if recorded). Filled by the
 *   readers: package databases (dpkg, apk, rpm), lockfiles (npm, yarn,
 *   pnpm, Python, Go, Cargo), SBOMs (CycloneDX, SPDX JSON), macOS
 *   Info.plist, Electron package.json and Windows installed-program
 *   exports (docs/software.md lists them). A broken input is reported
 *   through the diagnostic callback with its position and counted; it
 *   never stops the rest.
 * - struct cs_advisories: OSV records (explicit versions, SEMVER and
 *   ECOSYSTEM ranges; withdrawn records ignored) and the product-version
 *   indicators of an indicator set, indexed by (ecosystem, name).
 * - cs_software_match(): every package an advisory names, with an
 *   affected version, or a version that cannot be ordered
 *   ("indeterminate": never reported as safe).
 *
 * Version ordering per ecosystem is public (cs_version_cmp) and so is
 * purl parsing (cs_purl_parse).
 */
#ifndef CHAINSWEEP_SOFTWARE_H
#define CHAINSWEEP_SOFTWARE_H

#include <stddef.h>
#include <stdint.h>

#include "chainsweep/error.h"
#include "chainsweep/intel.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Ecosystems: which version order and name rules apply. */
enum cs_ecosystem {
	CS_ECO_UNKNOWN = 0, /* compared with the generic order */
	CS_ECO_DEBIAN,      /* dpkg: Debian, Ubuntu */
	CS_ECO_RPM,         /* rpmvercmp: Red Hat, SUSE, Rocky, Alma, ... */
	CS_ECO_ALPINE,      /* apk */
	CS_ECO_NPM,         /* semver 2.0.0 */
	CS_ECO_PYPI,        /* PEP 440 */
	CS_ECO_GO,          /* semver with "v"; pseudo-versions */
	CS_ECO_CARGO,       /* semver 2.0.0 */
	CS_ECO_MAVEN,       /* generic order (approximate) */
	CS_ECO_RUBYGEMS,    /* generic order (approximate) */
	CS_ECO_NUGET,       /* generic order (approximate) */
	CS_ECO_PRODUCT,     /* a vendor's application: generic order */
	CS_ECO_SEMVER,      /* OSV "SEMVER" ranges, whatever the ecosystem */
	CS_ECO_PACKAGIST,   /* PHP Composer: generic order (approximate) */
	CS_ECO_NCOUNT
};

const char *cs_ecosystem_name(enum cs_ecosystem eco);
/* An OSV ecosystem ("Debian:12", "npm", "crates.io", "Red Hat", ...) or
 * a purl type ("deb", "npm", "cargo", ...); CS_ECO_UNKNOWN otherwise. */
enum cs_ecosystem cs_ecosystem_from_osv(const char *name);
enum cs_ecosystem cs_ecosystem_from_purl_type(const char *type);

/*
 * Compare two versions of an ecosystem. Writes -1, 0 or 1 to *cmp and
 * returns CS_OK, or returns CS_ERR_PARSE when either version is not a
 * version of that ecosystem (the caller must then treat the question as
 * undecided, never as "not affected").
 */
int cs_version_cmp(enum cs_ecosystem eco, const char *a, const char *b, int *cmp);
/* 1 when `v` parses as a version of the ecosystem. */
int cs_version_valid(enum cs_ecosystem eco, const char *v);

/*
 * A package URL (purl-spec): pkg:type/namespace/name@version?qualifiers
 * #subpath, percent-decoded. Fields point into the struct's own storage
 * and stay valid until cs_purl_release(); absent parts are NULL.
 */
#define CS_PURL_MAX_QUALIFIERS 16
struct cs_purl {
	char *type; /* lower-cased */
	char *namespace_;
	char *name;
	char *version;
	char *subpath;
	size_t nqualifiers;
	char *qkey[CS_PURL_MAX_QUALIFIERS];
	char *qval[CS_PURL_MAX_QUALIFIERS];
	char *buf_; /* storage */
};
/* Returns CS_OK, CS_ERR_PARSE or CS_ERR_NOMEM; *p is valid (and must be
 * released) only on CS_OK. */
int cs_purl_parse(const char *s, struct cs_purl *p);
void cs_purl_release(struct cs_purl *p);
/* The qualifier's value, or NULL. */
const char *cs_purl_qualifier(const struct cs_purl *p, const char *key);

/* How the install time of a package is known. */
enum cs_time_source {
	CS_TIME_NONE = 0,
	CS_TIME_RECORDED = 1,   /* the package manager or export records it */
	CS_TIME_FILE_MTIME = 2, /* only the modification time of the file read */
	CS_TIME_PACKAGE_LOG = 3 /* dpkg.log or apt history.log: when this exact
	                           version was installed, in the host's local
	                           time (no zone recorded), read as UTC */
};

/*
 * One installed package or application. Strings are owned by the set
 * and live as long as it; absent ones are NULL.
 */
struct cs_package {
	enum cs_ecosystem ecosystem;
	const char *name; /* as the ecosystem names it ("@scope/x", "group:artifact") */
	const char *version;
	const char *platform; /* "linux", "windows", "macos", or NULL */
	const char *vendor;
	const char *purl;
	const char *file;     /* the file it was read from */
	const char *entry;    /* where inside: "Package: x", a JSON path, a key */
	uint64_t line;        /* 1-based, 0 when unknown */
	const char *reader;   /* "dpkg", "npm-lock", "cyclonedx", ... */
	int64_t install_time; /* epoch seconds, 0 when unknown */
	enum cs_time_source install_time_source;
};

/* Coverage of the readers. */
enum cs_pkg_count {
	CS_PKG_FILES = 0,    /* inputs read */
	CS_PKG_PACKAGES,     /* packages recorded */
	CS_PKG_DIRS,         /* folders walked */
	CS_PKG_BROKEN,       /* inputs that could not be read whole (a gap) */
	CS_PKG_DENIED,       /* files and folders that could not be opened (a gap) */
	CS_PKG_TOO_LARGE,    /* inputs over the size cap (a gap) */
	CS_PKG_SKIP_SYMLINK, /* symbolic links, never followed */
	CS_PKG_SKIP_PSEUDO,  /* /proc-like filesystems */
	CS_PKG_DEEP,         /* folders nested deeper than the walker goes (a gap) */
	CS_PKG_SKIPPED,      /* entries without a name or version */
	CS_PKG_TIME_LIMIT,   /* entries not read: the time limit was reached (a gap) */
	CS_PKG_INTERRUPTED,  /* entries not read: the interrupt flag was set (a gap) */
	CS_PKG_NCOUNTS
};
const char *cs_pkg_count_name(enum cs_pkg_count c);
/* 1 when inputs counted under `c` were asked for but not (fully) read. */
int cs_pkg_count_gap(enum cs_pkg_count c);

struct cs_pkgset;

struct cs_pkgset *cs_pkgset_new(void);
void cs_pkgset_free(struct cs_pkgset *ps);
/* Receive diagnostics: broken inputs with file, line and column (or a
 * JSON path in the message). */
void cs_pkgset_set_diag(struct cs_pkgset *ps, cs_diag_fn fn, void *userdata);
/* Stop reading after max_runtime seconds from now (0: no limit), or as
 * soon as *interrupt is non-zero (NULL: never; a signal handler may set
 * it). What was left is counted under CS_PKG_TIME_LIMIT or
 * CS_PKG_INTERRUPTED, and the set is then incomplete. */
void cs_pkgset_set_stop(struct cs_pkgset *ps, double max_runtime, const volatile int *interrupt);

/*
 * Read the package databases of a host: `root` NULL for this host (dpkg,
 * apk and, when the rpm program exists, `rpm -qa`), or the folder where
 * a host's files are mounted or collected. With a root the whole folder
 * is also walked for lockfiles, SBOMs, Info.plist files, Electron
 * package.json files and installed-program exports (no symbolic links
 * followed, /proc-like filesystems never entered). Returns CS_OK, or
 * CS_ERR_IO when the root cannot be opened, CS_ERR_NOMEM.
 */
int cs_pkgset_read_host(struct cs_pkgset *ps, const char *root);
/* Walk a folder (or read a file) for lockfiles, SBOMs, ... as above. */
int cs_pkgset_read_path(struct cs_pkgset *ps, const char *path);
/*
 * Read one file whose kind is sniffed from its name and content (any
 * format above, and "status" files of dpkg). CS_ERR_UNSUPPORTED when no
 * reader wants it.
 */
int cs_pkgset_read_file(struct cs_pkgset *ps, const char *path);
/* Read from memory; `name` decides the reader as a file name would. */
int cs_pkgset_read_mem(struct cs_pkgset *ps, const char *name, const void *data, size_t len);

/*
 * Install times from a package manager log held in memory: dpkg.log
 * lines, or apt's history.log when `name`'s base name holds "history".
 * Every dpkg package of the set installed, upgraded, downgraded or
 * reinstalled at exactly its version gets the latest such time
 * (CS_TIME_PACKAGE_LOG). cs_pkgset_read_host() does this itself with the
 * host's /var/log/dpkg.log* and /var/log/apt/history.log* (rotations,
 * compressed too) for the host's dpkg status. Lines not understood are
 * reported (the first one's position). Returns CS_OK or CS_ERR_NOMEM.
 */
int cs_pkgset_read_install_log(struct cs_pkgset *ps, const char *name, const void *data,
                               size_t len);

size_t cs_pkgset_count(const struct cs_pkgset *ps);
const struct cs_package *cs_pkgset_at(const struct cs_pkgset *ps, size_t i);
uint64_t cs_pkgset_counter(const struct cs_pkgset *ps, enum cs_pkg_count c);
/* 1 when some gap counter is non-zero. */
int cs_pkgset_incomplete(const struct cs_pkgset *ps);

struct cs_advisories;

struct cs_advisories *cs_advisories_new(void);
void cs_advisories_free(struct cs_advisories *adv);
void cs_advisories_set_diag(struct cs_advisories *adv, cs_diag_fn fn, void *userdata);
/*
 * Load OSV records from a file (one record, or an array of records) or
 * a folder (walked, every *.json file). Broken files are reported and
 * skipped. Returns CS_OK when something was read, CS_ERR_EMPTY when
 * nothing usable was, CS_ERR_IO when the path cannot be opened.
 */
int cs_advisories_load_osv(struct cs_advisories *adv, const char *path);
/*
 * Index only the OSV records that name a package of `ps` (by the key the
 * matcher looks up, so the findings are the same); call it before
 * loading. Every record is still checked and counted (a broken one is
 * reported), but one naming nothing installed is not copied: a sweep of
 * one host against a whole OSV export keeps little. `ps` is read only
 * during the call. Returns CS_OK or CS_ERR_NOMEM.
 */
int cs_advisories_restrict(struct cs_advisories *adv, const struct cs_pkgset *ps);
int cs_advisories_load_osv_mem(struct cs_advisories *adv, const char *name, const void *data,
                               size_t len);
/*
 * Take the product-version indicators of a finalized set
 * ("vendor|product|platform|versions", docs/indicators.md). Indicators
 * whose value does not parse are reported and skipped. `intel` must
 * outlive the advisory set.
 */
int cs_advisories_add_intel(struct cs_advisories *adv, const struct cs_intel *intel);

struct cs_advisory_info {
	uint64_t records;     /* OSV records read */
	uint64_t withdrawn;   /* ignored as withdrawn */
	uint64_t malicious;   /* MAL- records */
	uint64_t affected;    /* (ecosystem, name) entries indexed */
	uint64_t products;    /* product-version indicators indexed */
	uint64_t unsupported; /* ranges we cannot evaluate (GIT) */
	uint64_t broken;      /* files or records that could not be read */
	uint64_t unindexed;   /* records naming no installed package
	                         (cs_advisories_restrict()) */
};
void cs_advisories_info(const struct cs_advisories *adv, struct cs_advisory_info *out);

/*
 * A finding: a package an advisory or indicator names, whose version is
 * affected (`indeterminate` 0), or could not be compared (`indeterminate`
 * 1: the version or the range does not parse in that ecosystem's order).
 * Pointers are valid during the callback only.
 */
struct cs_software_finding {
	const struct cs_package *pkg;
	const char *id;        /* OSV id, or the indicator's value */
	const char *summary;   /* OSV summary, or NULL */
	const char *aliases;   /* OSV aliases, comma-separated, or NULL */
	const char *affected;  /* what matched: "=1.2.3", ">=1.0 <1.2.5", "all versions" */
	const char *ecosystem; /* as the advisory wrote it */
	int malicious;         /* an OSV MAL- record */
	int indeterminate;
	const struct cs_indicator *indicator; /* product-version findings, else NULL */
	int64_t valid_from, valid_until;      /* the indicator's compromise window */
};

typedef int (*cs_software_fn)(void *userdata, const struct cs_software_finding *f);

struct cs_software_result {
	uint64_t packages;
	uint64_t findings;
	uint64_t indeterminate;
};

/* Match every package against the advisories, calling `fn` for each
 * finding in package order. A non-zero return from `fn` stops and is
 * returned. */
int cs_software_match(const struct cs_advisories *adv, const struct cs_pkgset *ps,
                      cs_software_fn fn, void *userdata, struct cs_software_result *res);

#ifdef __cplusplus
}
#endif

#endif /* CHAINSWEEP_SOFTWARE_H */

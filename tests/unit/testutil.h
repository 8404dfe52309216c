/*
 * Helpers shared by the unit tests: where the real-world intel lives,
 * temporary folders, writing files, and importing with diagnostics kept.
 */
#ifndef CS_TESTUTIL_H
#define CS_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "chainsweep/intel.h"
#include "chainsweep/scan.h"

/* Absolute path of a file under ../shared/real-world (CS_REAL_WORLD), or
 * NULL when that folder is absent. The string is static: copy it. */
const char *cs_test_real_world(const char *rel);
/* Skip the current cmocka test, loudly, when the real-world folder is
 * absent; returns the path otherwise. */
#define CS_TEST_REAL_WORLD(rel)                                                                    \
	({                                                                                         \
		const char *p_ = cs_test_real_world(rel);                                          \
		if (!p_) {                                                                         \
			print_message("SKIP: real-world folder absent (%s)\n", rel);               \
			skip();                                                                    \
		}                                                                                  \
		p_;                                                                                \
	})

/* Path of a file under tests/data (CS_SOURCE_DIR/tests/data). Static. */
const char *cs_test_data(const char *rel);

/* A fresh temporary folder (removed by cs_test_rmtree). Caller frees. */
char *cs_test_tmpdir(void);
void cs_test_rmtree(const char *dir);
/* The SHA-256 of p[0, n) as 64 lower-case hex digits and a NUL. */
void cs_test_sha256_hex(const void *p, size_t n, char out[65]);
/* Write `len` bytes to dir/name; returns the malloc'ed path. */
char *cs_test_write(const char *dir, const char *name, const void *data, size_t len);

/* Diagnostics collected during an import. */
struct cs_test_diags {
	size_t n;
	size_t errors;
	size_t warnings;
	char text[65536]; /* "file:line:col: reason: message\n" ... (truncated) */
};
void cs_test_diag_cb(void *ud, const struct cs_diag *d);
/* 1 when some collected diagnostic contains `needle`. */
int cs_test_diags_have(const struct cs_test_diags *d, const char *needle);

/* Count indicators of a kind in a set. */
size_t cs_test_count_kind(const struct cs_intel *in, enum cs_kind kind);
/* 1 when the indicator carries the label. */
int cs_test_has_label(const struct cs_intel *in, const struct cs_indicator *ind, const char *label);

/*
 * A fresh indicator set whose diagnostics are collected: the cmocka
 * per-test setup/teardown pair most reader tests use (`*state` is a
 * struct cs_test_env).
 */
struct cs_test_env {
	struct cs_intel *in;
	struct cs_test_diags *d;
	struct cs_import_stats st;
};
int cs_test_env_setup(void **state);
int cs_test_env_teardown(void **state);

/*
 * One import into a fresh set whose diagnostics are kept, with `format`
 * forced: the outcome (`rc`, counts, diagnostics) stays for assertions.
 * In-memory imports are named "mem.json" in positions.
 */
struct cs_test_import {
	struct cs_intel *in;
	struct cs_test_diags *d;
	struct cs_import_stats st;
	int rc;
};
struct cs_test_import *cs_test_import_path(const char *format, const char *path);
struct cs_test_import *cs_test_import_mem(const char *format, const char *data, size_t len);
void cs_test_import_free(struct cs_test_import *f);

/* The indicator (kind, value), or fail the test naming it. */
const struct cs_indicator *cs_test_must_find(const struct cs_intel *in, enum cs_kind kind,
                                             const char *value);
/* 1 when `ind` has a source at `line` of a file whose path ends in `file`,
 * read by `format` (NULL: any) with description `desc` (NULL: any). */
int cs_test_has_source(const struct cs_intel *in, const struct cs_indicator *ind, const char *file,
                       uint64_t line, const char *format, const char *desc);
/* How many entries the set rejected under `reason` (0 when none). */
uint64_t cs_test_rejects(const struct cs_intel *in, const char *reason);
/* A whole file, NUL-terminated (fails the test when unreadable). */
char *cs_test_slurp(const char *path, size_t *len);

/*
 * One YARA rule swept over buffers (cs_scan_mem, one thread): after each
 * cs_test_sweep_mem, `found` holds the paths found, one a line, `diags`
 * the diagnostics as "file: reason: message" lines, `res` the counts.
 */
struct cs_test_sweep {
	struct cs_intel *in;
	struct cs_matcher *m;
	char found[4096];
	char diags[4096];
	struct cs_scan_result res;
};
void cs_test_sweep_init(struct cs_test_sweep *s, const char *yara_rule);
void cs_test_sweep_mem(struct cs_test_sweep *s, const char *name, const void *p, size_t n);
void cs_test_sweep_free(struct cs_test_sweep *s);

#endif

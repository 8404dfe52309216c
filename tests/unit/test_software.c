/*
 * The software sweep end to end on the crafted host tree in
 * tests/data/software: 3CX DesktopApp 18.12.416 in a Windows export and
 * in a macOS Info.plist (affected), 18.12.422 in an Electron package.json
 * and an osquery export (clean), an npm lockfile holding a version a MAL-
 * record names and its clean neighbour, Debian packages inside and just
 * outside an affected range, a package removed but for its configuration
 * files, a withdrawn advisory, and broken inputs. Exactly the affected
 * ones are reported, and the broken ones with their positions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chainsweep/software.h"
#include "testutil.h"

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static int on_hit(void *ud, const struct cs_software_finding *f)
{
	char *text = ud;
	size_t l = strlen(text);

	snprintf(text + l, 8192 - l, "%s %s %s %s %s\n", base(f->pkg->file), f->pkg->name,
	         f->pkg->version, f->id, f->affected);
	return 0;
}

/* A set told to stop (interrupt flag) reads nothing more, counts what it
 * left, and is incomplete. */
static void test_stop(void **state)
{
	struct cs_pkgset *ps = cs_pkgset_new();
	volatile int flag = 1;

	(void)state;
	assert_non_null(ps);
	cs_pkgset_set_stop(ps, 0, &flag);
	assert_int_equal(cs_pkgset_read_path(ps, cs_test_data("software/host")), CS_OK);
	assert_int_equal(cs_pkgset_count(ps), 0);
	assert_true(cs_pkgset_counter(ps, CS_PKG_INTERRUPTED) >= 1);
	assert_true(cs_pkgset_incomplete(ps));
	flag = 0;
	cs_pkgset_set_stop(ps, 1e-9, &flag);
	assert_int_equal(cs_pkgset_read_path(ps, cs_test_data("software/host")), CS_OK);
	assert_true(cs_pkgset_counter(ps, CS_PKG_TIME_LIMIT) >= 1);
	cs_pkgset_free(ps);
	ps = cs_pkgset_new();
	cs_pkgset_set_stop(ps, 0, &flag);
	assert_int_equal(cs_pkgset_read_path(ps, cs_test_data("software/host")), CS_OK);
	assert_true(cs_pkgset_count(ps) > 0);
	assert_false(cs_pkgset_incomplete(ps) && cs_pkgset_counter(ps, CS_PKG_INTERRUPTED));
	cs_pkgset_free(ps);
}

static void test_host_tree(void **state)
{
	char *root = strdup(cs_test_data("software/host"));
	struct cs_test_import *imp =
	        cs_test_import_path("csv", cs_test_data("software/intel/3cx-product-versions.csv"));
	struct cs_advisories *a = cs_advisories_new();
	struct cs_pkgset *ps = cs_pkgset_new();
	struct cs_test_diags d;
	struct cs_software_result r;
	struct cs_advisory_info ai;
	static char text[8192];

	(void)state;
	memset(&d, 0, sizeof(d));
	text[0] = '\0';
	assert_int_equal(imp->rc, CS_OK);
	assert_int_equal(cs_test_count_kind(imp->in, CS_KIND_PRODUCT_VERSION), 3);
	cs_intel_finalize(imp->in);
	assert_int_equal(cs_advisories_load_osv(a, cs_test_data("software/osv")), CS_OK);
	assert_int_equal(cs_advisories_add_intel(a, imp->in), CS_OK);
	cs_advisories_info(a, &ai);
	assert_int_equal(ai.records, 5);
	assert_int_equal(ai.withdrawn, 1);
	assert_int_equal(ai.malicious, 1);
	assert_int_equal(ai.products, 3);
	cs_pkgset_set_diag(ps, cs_test_diag_cb, &d);
	assert_int_equal(cs_pkgset_read_host(ps, root), CS_OK);
	assert_int_equal(cs_software_match(a, ps, on_hit, text, &r), CS_OK);
	assert_string_equal(text,
	                    "Info.plist 3CX Desktop App 18.12.416 "
	                    "3CX|3CX DesktopApp|macos|18.11.1213,18.12.402,18.12.407,18.12.416 "
	                    "=18.12.416\n"
	                    "uninstall-keys.csv 3CX Desktop App 18.12.416 "
	                    "3CX|3CX DesktopApp|windows|18.12.407,18.12.416 =18.12.416\n"
	                    "bom.cdx.json demo-requests 2.31.0 PYSEC-DEMO-2026-1 <2.32.0\n"
	                    "package-lock.json demo-evil-pkg 1.0.1 MAL-2026-0001 =1.0.1\n"
	                    "status libdemo1 1.4.2-2 DEBIAN-DEMO-2026-0001 <1.4.2-3\n");
	assert_int_equal(r.findings, 5);
	assert_int_equal(r.indeterminate, 0);
	/* Eleven inputs: the dpkg status, three Info.plist files, the
	 * Electron package.json, two exports, two lockfiles and two SBOMs;
	 * three of them broken. */
	assert_int_equal(cs_pkgset_counter(ps, CS_PKG_FILES), 11);
	assert_int_equal(cs_pkgset_counter(ps, CS_PKG_BROKEN), 3);
	assert_true(cs_pkgset_incomplete(ps));
	assert_true(cs_test_diags_have(&d, "Broken.app/Contents/Info.plist:6:7:"));
	assert_true(cs_test_diags_have(&d, "broken/package-lock.json:6:40:"));
	assert_true(cs_test_diags_have(&d, "broken/cut.cdx.json:8:5:"));
	/* libdemo1's time is that of its upgrade to exactly 1.4.2-2 in the
	 * crafted var/log/dpkg.log (the .list file's time stands in only
	 * when no log names the version). */
	{
		size_t i;
		int seen = 0;

		for (i = 0; i < cs_pkgset_count(ps); i++) {
			const struct cs_package *p = cs_pkgset_at(ps, i);

			if (strcmp(p->name, "libdemo1") == 0) {
				assert_int_equal(p->install_time_source, CS_TIME_PACKAGE_LOG);
				assert_int_equal(p->install_time, 1769936401); /* 2026-02-01 */
				seen = 1;
			}
			if (strcmp(p->reader, "windows-export") == 0 &&
			    strcmp(p->version, "18.12.416") == 0)
				assert_int_equal(p->install_time, 1679443200); /* 2023-03-22 */
		}
		assert_true(seen);
	}
	cs_pkgset_free(ps);
	cs_advisories_free(a);
	cs_test_import_free(imp);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_host_tree),
	        cmocka_unit_test(test_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

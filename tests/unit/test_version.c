/*
 * Unit tests of lib/match/version.c: the order of versions per ecosystem
 * (Debian policy's examples, semver 2.0.0's precedence list, PEP 440's
 * ordering example, rpmvercmp, apk, Go pseudo-versions, the generic
 * vendor order) and the rule that a version that does not parse is never
 * ordered.
 */
#include <string.h>

#include "chainsweep/software.h"
#include "testutil.h"

#define CS_N(a) (sizeof(a) / sizeof((a)[0]))

/* Every element of `v` sorts strictly before the next one, and equals
 * itself. */
static void assert_ascending(enum cs_ecosystem eco, const char *const *v, size_t n)
{
	size_t i, j;
	int c;

	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			if (cs_version_cmp(eco, v[i], v[j], &c) != CS_OK)
				fail_msg("%s: '%s' vs '%s' did not compare", cs_ecosystem_name(eco),
				         v[i], v[j]);
			if (c != (i < j ? -1 : i > j))
				fail_msg("%s: '%s' vs '%s' gave %d", cs_ecosystem_name(eco), v[i],
				         v[j], c);
		}
	}
}

static int cmp(enum cs_ecosystem eco, const char *a, const char *b)
{
	int c = 99;

	assert_int_equal(cs_version_cmp(eco, a, b, &c), CS_OK);
	return c;
}

static void test_dpkg_policy(void **state)
{
	/* Debian policy 5.6.12: '~' sorts before anything, even the end. */
	static const char *const tilde[] = {"1.0~~", "1.0~~a", "1.0~", "1.0", "1.0a"};
	static const char *const order[] = {
	        "0.9", "1.0~rc1-1", "1.0-1", "1.0-1+b1",    "1.0-2",   "1.0+dfsg-1", "1.0.1-1",
	        "1.2", "1.10",      "1:0.1", "1:0.5-1~bpo", "1:0.5-1", "2:0.0.1",
	};

	(void)state;
	assert_ascending(CS_ECO_DEBIAN, tilde, CS_N(tilde));
	assert_ascending(CS_ECO_DEBIAN, order, CS_N(order));
	/* Leading zeros and a zero epoch do not count. */
	assert_int_equal(cmp(CS_ECO_DEBIAN, "0:1.01-1", "1.1-1"), 0);
	/* Letters sort before non-letters. */
	assert_int_equal(cmp(CS_ECO_DEBIAN, "1.0a", "1.0+"), -1);
	assert_int_equal(cmp(CS_ECO_DEBIAN, "7.88.1-10+deb12u5", "7.88.1-10+deb12u4"), 1);
	/* Not versions: no digit first, bad epoch, empty revision. */
	assert_false(cs_version_valid(CS_ECO_DEBIAN, "abc"));
	assert_false(cs_version_valid(CS_ECO_DEBIAN, "x:1.0"));
	assert_false(cs_version_valid(CS_ECO_DEBIAN, "1.0-"));
	assert_false(cs_version_valid(CS_ECO_DEBIAN, "1.0 beta"));
	assert_false(cs_version_valid(CS_ECO_DEBIAN, ""));
}

static void test_semver_precedence(void **state)
{
	/* semver 2.0.0, item 11. */
	static const char *const order[] = {
	        "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
	        "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
	        "1.0.0-rc.1",  "1.0.0",         "1.0.1",
	        "1.1.0",       "2.0.0",         "10.0.0",
	};
	int c;

	(void)state;
	assert_ascending(CS_ECO_NPM, order, CS_N(order));
	assert_ascending(CS_ECO_CARGO, order, CS_N(order));
	/* Build metadata does not count; npm allows a leading v. */
	assert_int_equal(cmp(CS_ECO_NPM, "1.0.0+build.5", "1.0.0"), 0);
	assert_int_equal(cmp(CS_ECO_NPM, "v1.2.3", "1.2.3"), 0);
	assert_int_equal(cs_version_cmp(CS_ECO_CARGO, "v1.2.3", "1.2.3", &c), CS_ERR_PARSE);
	assert_false(cs_version_valid(CS_ECO_NPM, "1.2"));
	assert_false(cs_version_valid(CS_ECO_NPM, "01.2.3"));
	assert_false(cs_version_valid(CS_ECO_NPM, "1.2.3-"));
	assert_false(cs_version_valid(CS_ECO_NPM, "1.2.3-a..b"));
	assert_false(cs_version_valid(CS_ECO_NPM, "latest"));
}

static void test_go(void **state)
{
	/* Pseudo-versions are prereleases of the next patch. */
	static const char *const order[] = {
	        "v0.0.0-20190101000000-aaaaaaaaaaaa",   "v0.1.0", "v1.2.3",
	        "v1.2.4-0.20230101000000-abcdef123456", "v1.2.4", "v2.0.0-rc.1",
	};

	(void)state;
	assert_ascending(CS_ECO_GO, order, CS_N(order));
	assert_int_equal(cmp(CS_ECO_GO, "v2.0.0+incompatible", "v2.0.0"), 0);
	/* OSV writes Go versions without the "v". */
	assert_int_equal(cmp(CS_ECO_GO, "1.2.3", "v1.2.3"), 0);
	assert_int_equal(cmp(CS_ECO_SEMVER, "1.2.3", "v1.2.4"), -1);
}

static void test_pep440(void **state)
{
	/* The ordering example of PEP 440 ("Summary of permitted suffixes
	 * and relative ordering"), then spellings it normalises. */
	static const char *const order[] = {
	        "1.dev0",
	        "1.0.dev456",
	        "1.0a1",
	        "1.0a2.dev456",
	        "1.0a12.dev456",
	        "1.0a12",
	        "1.0b1.dev456",
	        "1.0b2",
	        "1.0b2.post345.dev456",
	        "1.0b2.post345",
	        "1.0rc1.dev456",
	        "1.0rc1",
	        "1.0",
	        "1.0+abc.5",
	        "1.0+abc.7",
	        "1.0+5",
	        "1.0.post456.dev34",
	        "1.0.post456",
	        "1.0.15",
	        "1.1.dev1",
	        "1!0.1",
	};

	(void)state;
	assert_ascending(CS_ECO_PYPI, order, CS_N(order));
	assert_int_equal(cmp(CS_ECO_PYPI, "1.0", "1.0.0"), 0);
	assert_int_equal(cmp(CS_ECO_PYPI, "1.0-alpha-1", "1.0a1"), 0);
	assert_int_equal(cmp(CS_ECO_PYPI, "1.0c1", "1.0rc1"), 0);
	assert_int_equal(cmp(CS_ECO_PYPI, "1.0-1", "1.0.post1"), 0);
	assert_int_equal(cmp(CS_ECO_PYPI, "v2.31.0", "2.31.0"), 0);
	assert_false(cs_version_valid(CS_ECO_PYPI, "1.0-foo"));
	assert_false(cs_version_valid(CS_ECO_PYPI, "dev"));
}

static void test_rpm_and_apk(void **state)
{
	static const char *const rpm[] = {
	        "1.0~rc1-1",  "1.0-1",  "1.0-1.el8", "1.0-2.el8",
	        "1.0^git1-1", "1.0a-1", "1.0.1-1",   "1:0.9-1",
	};
	static const char *const apk[] = {
	        "1.2.3_alpha1-r0", "1.2.3_rc1-r0", "1.2.3-r0",
	        "1.2.3-r1",        "1.2.3_p1-r0",  "1.2.4-r0",
	};

	(void)state;
	/* rpmvercmp: a number is newer than letters in the same place. */
	assert_int_equal(cmp(CS_ECO_RPM, "1.0a-1", "1.0.1-1"), -1);
	assert_int_equal(cmp(CS_ECO_RPM, "2.0-1", "2.0-1"), 0);
	assert_ascending(CS_ECO_RPM, rpm, CS_N(rpm));
	assert_ascending(CS_ECO_ALPINE, apk, CS_N(apk));
}

static void test_generic_vendor(void **state)
{
	/* 3CX DesktopApp builds and X_TRADER's "p" builds. */
	static const char *const order[] = {
	        "7.17.90",   "7.17.90p608", "7.17.90p609", "18.11.1213", "18.12.402",
	        "18.12.407", "18.12.416",   "18.12.422",   "20.0",
	};
	int c;

	(void)state;
	assert_ascending(CS_ECO_PRODUCT, order, CS_N(order));
	assert_ascending(CS_ECO_UNKNOWN, order, CS_N(order));
	assert_int_equal(cmp(CS_ECO_PRODUCT, "r7.17.90p608", "7.17.90p608"), 0);
	assert_int_equal(cmp(CS_ECO_PRODUCT, "v18.12.416", "18.12.416"), 0);
	/* Unparsable: undecided, never "older" or "newer". */
	assert_int_equal(cs_version_cmp(CS_ECO_PRODUCT, "latest", "18.12.416", &c), CS_ERR_PARSE);
	assert_int_equal(cs_version_cmp(CS_ECO_PRODUCT, "18.12 beta", "18.12.416", &c),
	                 CS_ERR_PARSE);
	assert_int_equal(cs_version_cmp(CS_ECO_PRODUCT, "", "1", &c), CS_ERR_PARSE);
	assert_int_equal(cs_version_cmp(CS_ECO_PRODUCT, "1", NULL, &c), CS_ERR_INVALID);
}

static void test_ecosystem_names(void **state)
{
	(void)state;
	assert_int_equal(cs_ecosystem_from_osv("Debian:12"), CS_ECO_DEBIAN);
	assert_int_equal(cs_ecosystem_from_osv("Ubuntu:22.04:LTS"), CS_ECO_DEBIAN);
	assert_int_equal(cs_ecosystem_from_osv("crates.io"), CS_ECO_CARGO);
	assert_int_equal(cs_ecosystem_from_osv("PyPI"), CS_ECO_PYPI);
	assert_int_equal(cs_ecosystem_from_osv("Red Hat"), CS_ECO_RPM);
	assert_int_equal(cs_ecosystem_from_osv("Alpine:v3.18"), CS_ECO_ALPINE);
	assert_int_equal(cs_ecosystem_from_osv("Packagist"), CS_ECO_PACKAGIST);
	assert_int_equal(cs_ecosystem_from_purl_type("composer"), CS_ECO_PACKAGIST);
	assert_int_equal(cs_ecosystem_from_osv("Hex"), CS_ECO_UNKNOWN);
	assert_int_equal(cs_ecosystem_from_purl_type("golang"), CS_ECO_GO);
	assert_int_equal(cs_ecosystem_from_purl_type("deb"), CS_ECO_DEBIAN);
	assert_string_equal(cs_ecosystem_name(CS_ECO_CARGO), "crates.io");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_dpkg_policy),
	        cmocka_unit_test(test_semver_precedence),
	        cmocka_unit_test(test_go),
	        cmocka_unit_test(test_pep440),
	        cmocka_unit_test(test_rpm_and_apk),
	        cmocka_unit_test(test_generic_vendor),
	        cmocka_unit_test(test_ecosystem_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

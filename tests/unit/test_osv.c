/*
 * Unit tests of the advisory set (lib/match/advisory.c): OSV semantics
 * (explicit versions, ECOSYSTEM and SEMVER ranges with introduced, fixed
 * and last_affected, withdrawn records, MAL- records, GIT ranges), the
 * indeterminate rule, broken records with their position, arrays of
 * records, product-version indicators, and the real-world OSV files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chainsweep/software.h"
#include "testutil.h"

/* Findings as "name version id affected[ ?]" lines, in order. */
struct hits {
	char text[8192];
	size_t n;
};

static int on_hit(void *ud, const struct cs_software_finding *f)
{
	struct hits *h = ud;
	size_t l = strlen(h->text);

	snprintf(h->text + l, sizeof(h->text) - l, "%s %s %s %s%s%s\n", f->pkg->name,
	         f->pkg->version, f->id, f->affected, f->indeterminate ? " ?" : "",
	         f->malicious ? " MAL" : "");
	h->n++;
	return 0;
}

static void match(struct cs_advisories *a, struct cs_pkgset *ps, struct hits *h)
{
	struct cs_software_result r;

	memset(h, 0, sizeof(*h));
	assert_int_equal(cs_software_match(a, ps, on_hit, h, &r), CS_OK);
	assert_int_equal(r.findings, h->n);
	assert_int_equal(r.packages, cs_pkgset_count(ps));
}

/* A package set from a requirements file of "name==version" lines. */
static struct cs_pkgset *pypi(const char *lines)
{
	struct cs_pkgset *ps = cs_pkgset_new();

	assert_int_equal(cs_pkgset_read_mem(ps, "requirements.txt", lines, strlen(lines)), CS_OK);
	return ps;
}

static struct cs_advisories *osv(const char *json)
{
	struct cs_advisories *a = cs_advisories_new();

	assert_int_equal(cs_advisories_load_osv_mem(a, "mem.json", json, strlen(json)), CS_OK);
	return a;
}

static void test_ranges(void **state)
{
	struct cs_advisories *a = osv(
	        "[{\"id\":\"A-1\",\"affected\":[{\"package\":{\"ecosystem\":\"PyPI\",\"name\":"
	        "\"Alpha_Pkg\"},\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"fixed\":\"1.5\"}"
	        ","
	        "{\"introduced\":\"1.0\"},{\"introduced\":\"2.0\"},{\"fixed\":\"2.1.post1\"}]}]}]},"
	        "{\"id\":\"A-2\",\"affected\":[{\"package\":{\"ecosystem\":\"PyPI\",\"name\":"
	        "\"beta\"},\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},"
	        "{\"last_affected\":\"3.2\"}]}]}]},"
	        "{\"id\":\"A-3\",\"affected\":[{\"package\":{\"ecosystem\":\"PyPI\",\"name\":"
	        "\"gamma\"},\"versions\":[\"0.9\",\"1.0.0\"]}]}]");
	struct cs_pkgset *ps = pypi("alpha-pkg==0.9\nalpha.pkg==1.0rc1\nalpha_pkg==1.0\n"
	                            "Alpha-Pkg==1.4.9\nalpha-pkg==1.5\nalpha-pkg==2.1\n"
	                            "alpha-pkg==2.1.post1\n"
	                            "beta==3.2\nbeta==3.2.post1\nbeta==3.2.dev1\n"
	                            "gamma==1.0\ngamma==1.0.1\n");
	struct hits h;

	(void)state;
	match(a, ps, &h);
	/* Fixed at or after, last_affected after, introduced at or after;
	 * names as PyPI compares them; 1.0 equals 1.0.0 in PEP 440. */
	assert_string_equal(h.text, "alpha_pkg 1.0 A-1 >=1.0 <1.5\n"
	                            "Alpha-Pkg 1.4.9 A-1 >=1.0 <1.5\n"
	                            "alpha-pkg 2.1 A-1 >=2.0 <2.1.post1\n"
	                            "beta 3.2 A-2 <=3.2\n"
	                            "beta 3.2.dev1 A-2 <=3.2\n"
	                            "gamma 1.0 A-3 =1.0.0\n");
	cs_pkgset_free(ps);
	cs_advisories_free(a);
}

static void test_indeterminate(void **state)
{
	/* An installed version that is not PEP 440, and a range whose own
	 * versions are not: both undecided, never "safe". */
	struct cs_advisories *a = osv(
	        "{\"id\":\"B-1\",\"affected\":[{\"package\":{\"ecosystem\":\"PyPI\",\"name\":\"x\"}"
	        ","
	        "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},{\"fixed\":"
	        "\"2.0\"}]}]},{\"package\":{\"ecosystem\":\"PyPI\",\"name\":\"y\"},\"ranges\":[{"
	        "\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"1.0\"},{\"fixed\":\"next-"
	        "one\"}"
	        "]}]}]}");
	struct cs_pkgset *ps = pypi("x==custom-build\nx==2.0\ny==5.0\n");
	struct hits h;

	(void)state;
	match(a, ps, &h);
	assert_string_equal(
	        h.text, "x custom-build B-1 a range that cannot be compared with this version ?\n"
	                "y 5.0 B-1 a range that cannot be compared with this version ?\n");
	cs_pkgset_free(ps);
	cs_advisories_free(a);
}

static void test_withdrawn_malicious_git(void **state)
{
	struct cs_advisories *a = cs_advisories_new();
	struct cs_advisory_info ai;
	struct cs_pkgset *ps = cs_pkgset_new();
	struct hits h;
	const char *lock = "{\"lockfileVersion\":3,\"packages\":{\"\":{\"name\":\"app\"},"
	                   "\"node_modules/evil\":{\"version\":\"1.0.1\"},"
	                   "\"node_modules/x/node_modules/evil\":{\"version\":\"1.0.0\"},"
	                   "\"node_modules/@s/g\":{\"version\":\"2.0.0\"},"
	                   "\"node_modules/w\":{\"version\":\"1.0.0\"}}}";
	const char *recs =
	        "[{\"id\":\"MAL-2026-9\",\"affected\":[{\"package\":{\"ecosystem\":\"npm\","
	        "\"name\":"
	        "\"evil\"},\"versions\":[\"1.0.1\"]}]},"
	        "{\"id\":\"GHSA-w\",\"withdrawn\":\"2026-01-01T00:00:00Z\",\"affected\":[{"
	        "\"package\":"
	        "{\"ecosystem\":\"npm\",\"name\":\"w\"}}]},"
	        "{\"id\":\"GHSA-g\",\"affected\":[{\"package\":{\"ecosystem\":\"npm\",\"name\":"
	        "\"@s/"
	        "g\"},\"ranges\":[{\"type\":\"GIT\",\"repo\":\"r\",\"events\":[{\"introduced\":"
	        "\"0\"}]}]}]},"
	        "{\"id\":\"MAL-2026-10\",\"affected\":[{\"package\":{\"ecosystem\":\"npm\","
	        "\"name\":"
	        "\"@s/g\"}}]}]";

	(void)state;
	assert_int_equal(cs_advisories_load_osv_mem(a, "mem.json", recs, strlen(recs)), CS_OK);
	cs_advisories_info(a, &ai);
	assert_int_equal(ai.records, 4);
	assert_int_equal(ai.withdrawn, 1);
	assert_int_equal(ai.malicious, 2);
	assert_int_equal(ai.unsupported, 1);
	assert_int_equal(cs_pkgset_read_mem(ps, "package-lock.json", lock, strlen(lock)), CS_OK);
	match(a, ps, &h);
	/* The clean neighbour 1.0.0 is not named; a GIT range decides
	 * nothing; an entry without versions and ranges names them all. */
	assert_string_equal(h.text, "evil 1.0.1 MAL-2026-9 =1.0.1 MAL\n"
	                            "@s/g 2.0.0 MAL-2026-10 all versions MAL\n");
	cs_pkgset_free(ps);
	cs_advisories_free(a);
}

static void test_broken_records(void **state)
{
	struct cs_advisories *a = cs_advisories_new();
	struct cs_test_diags d;
	struct cs_advisory_info ai;
	const char *arr = "[\n{\"id\":\"OK-1\",\"affected\":[]},\n{\"id\" \"BAD\"},\n"
	                  "{\"affected\":[]},\n{\"id\":\"OK-2\",\"affected\":[]}\n]";

	(void)state;
	memset(&d, 0, sizeof(d));
	cs_advisories_set_diag(a, cs_test_diag_cb, &d);
	assert_int_equal(cs_advisories_load_osv_mem(a, "arr.json", arr, strlen(arr)), CS_OK);
	cs_advisories_info(a, &ai);
	assert_int_equal(ai.records, 2);
	assert_int_equal(ai.broken, 2);
	/* The bad element is reported at its line in the file. */
	assert_true(cs_test_diags_have(&d, "arr.json:3:"));
	assert_true(cs_test_diags_have(&d, "without an id"));
	assert_int_equal(cs_advisories_load_osv_mem(a, "cut.json", "{\"id\":", 6), CS_ERR_EMPTY);
	assert_true(cs_test_diags_have(&d, "cut.json:1:"));
	assert_int_equal(cs_advisories_load_osv_mem(a, "x.json", "nope", 4), CS_ERR_EMPTY);
	cs_advisories_free(a);
}

static void test_product_versions(void **state)
{
	const char *csv = "vendor,product,platform,versions,valid_from,valid_until,incident\n"
	                  "Demo,Demo App,windows,\">=2.0 <2.3, 3.1\",2026-03-01,2026-03-31,DEMO-1\n"
	                  "Demo,Demo App,macos,*,,,DEMO-1\n"
	                  "Demo,Other|Thing,,1.0,,,\n";
	const char *winexp = "\"DisplayName\",\"DisplayVersion\",\"Publisher\",\"InstallDate\"\n"
	                     "\"Demo App\",\"2.2.9\",\"Demo\",\"20260310\"\n"
	                     "\"DemoApp\",\"2.3\",\"Demo\",\"\"\n"
	                     "\"demo app\",\"3.1\",\"Demo\",\"\"\n"
	                     "\"Demo-App\",\"nightly\",\"Demo\",\"\"\n";
	struct cs_test_import *imp = cs_test_import_mem("csv", csv, strlen(csv));
	struct cs_advisories *a = cs_advisories_new();
	struct cs_pkgset *ps = cs_pkgset_new();
	struct cs_advisory_info ai;
	const struct cs_indicator *ind;
	struct hits h;

	(void)state;
	assert_int_equal(imp->rc, CS_OK);
	assert_int_equal(cs_test_count_kind(imp->in, CS_KIND_PRODUCT_VERSION), 2);
	assert_int_equal(cs_test_rejects(imp->in, "bad-value"), 1);
	ind = cs_test_must_find(imp->in, CS_KIND_PRODUCT_VERSION,
	                        "Demo|Demo App|windows|>=2.0 <2.3, 3.1");
	assert_true(cs_test_has_label(imp->in, ind, "incident:DEMO-1"));
	assert_int_equal(cs_indicator_valid_from(ind), 1772323200);  /* 2026-03-01 */
	assert_int_equal(cs_indicator_valid_until(ind), 1774915200); /* 2026-03-31 */
	assert_int_equal(cs_intel_finalize(imp->in), CS_OK);
	assert_int_equal(cs_advisories_add_intel(a, imp->in), CS_OK);
	cs_advisories_info(a, &ai);
	assert_int_equal(ai.products, 2);
	assert_int_equal(cs_pkgset_read_mem(ps, "programs.csv", winexp, strlen(winexp)), CS_OK);
	assert_int_equal(cs_pkgset_count(ps), 4);
	match(a, ps, &h);
	/* Windows rows only (the macOS "*" row is for another platform);
	 * names compare on letters and digits. */
	assert_string_equal(h.text,
	                    "Demo App 2.2.9 Demo|Demo App|windows|>=2.0 <2.3, 3.1 >=2.0 <2.3\n"
	                    "demo app 3.1 Demo|Demo App|windows|>=2.0 <2.3, 3.1 =3.1\n"
	                    "Demo-App nightly Demo|Demo App|windows|>=2.0 <2.3, 3.1 versions that "
	                    "cannot be compared with this one ?\n");
	assert_int_equal(cs_pkgset_at(ps, 0)->install_time, 1773100800); /* 2026-03-10 */
	assert_int_equal(cs_pkgset_at(ps, 0)->install_time_source, CS_TIME_RECORDED);
	cs_pkgset_free(ps);
	cs_advisories_free(a);
	cs_test_import_free(imp);
}

static void test_real_world_osv(void **state)
{
	const char *dir = CS_TEST_REAL_WORLD("osv");
	struct cs_advisories *a = cs_advisories_new();
	struct cs_advisory_info ai;
	struct cs_pkgset *ps = cs_pkgset_new();
	struct hits h;
	/* Counted by hand from the four files: GHSA-4g4c-8gqh-m4vm names
	 * paranoid2 1.1.6 (RubyGems); GHSA-mr95-9rr4-668f two Maven
	 * akka-actor artifacts, 2.5.0 up to 2.5.16; GHSA-pxmp-fwjc-4x7q
	 * marky-markdown (SEMVER from 0.0.0) and GHSA-jvf4-g24p-2qgw shiba
	 * (from 0), every version. */
	const char *bom = "{\"bomFormat\":\"CycloneDX\",\"components\":["
	                  "{\"name\":\"paranoid2\",\"version\":\"1.1.6\",\"purl\":\"pkg:gem/"
	                  "paranoid2@1.1.6\"},"
	                  "{\"name\":\"paranoid2\",\"version\":\"1.1.5\",\"purl\":\"pkg:gem/"
	                  "paranoid2@1.1.5\"},"
	                  "{\"purl\":\"pkg:maven/com.typesafe.akka/akka-actor_2.12@2.5.15\"},"
	                  "{\"purl\":\"pkg:maven/com.typesafe.akka/akka-actor_2.12@2.5.16\"},"
	                  "{\"purl\":\"pkg:maven/com.typesafe.akka/akka-actor_2.11@2.4.20\"},"
	                  "{\"purl\":\"pkg:maven/com.typesafe.akka/akka-actor_2.11@2.5.0\"},"
	                  "{\"purl\":\"pkg:npm/marky-markdown@11.3.2\"},"
	                  "{\"purl\":\"pkg:npm/shiba@0.1.0\"},"
	                  "{\"purl\":\"pkg:npm/left-pad@1.3.0\"}]}";

	(void)state;
	assert_int_equal(cs_advisories_load_osv(a, dir), CS_OK);
	cs_advisories_info(a, &ai);
	assert_int_equal(ai.records, 4);
	assert_int_equal(ai.affected, 5);
	assert_int_equal(ai.withdrawn, 0);
	assert_int_equal(ai.malicious, 0);
	assert_int_equal(ai.broken, 0);
	assert_int_equal(cs_pkgset_read_mem(ps, "bom.json", bom, strlen(bom)), CS_OK);
	match(a, ps, &h);
	assert_string_equal(h.text,
	                    "paranoid2 1.1.6 GHSA-4g4c-8gqh-m4vm =1.1.6\n"
	                    "com.typesafe.akka:akka-actor_2.12 2.5.15 GHSA-mr95-9rr4-668f >=2.5.0 "
	                    "<2.5.16\n"
	                    "com.typesafe.akka:akka-actor_2.11 2.5.0 GHSA-mr95-9rr4-668f >=2.5.0 "
	                    "<2.5.16\n"
	                    "marky-markdown 11.3.2 GHSA-pxmp-fwjc-4x7q >=0.0.0\n"
	                    "shiba 0.1.0 GHSA-jvf4-g24p-2qgw all versions\n");
	cs_pkgset_free(ps);
	cs_advisories_free(a);
}

/*
 * cs_advisories_restrict(): the same findings as without it; records
 * naming nothing installed are counted (MAL- ones too) but not indexed;
 * a broken record is still reported even though it names nothing
 * installed; an entry in another ecosystem with an installed name does
 * not count as installed.
 */
static void test_restricted(void **state)
{
	const char *lock = "{\"lockfileVersion\":3,\"packages\":{\"\":{\"name\":\"app\"},"
	                   "\"node_modules/evil\":{\"version\":\"1.0.1\"},"
	                   "\"node_modules/Mixed\":{\"version\":\"2.0.0\"},"
	                   "\"node_modules/w\":{\"version\":\"1.0.0\"}}}";
	const char *recs =
	        "[\n{\"id\":\"MAL-1\",\"affected\":[{\"package\":{\"ecosystem\":\"npm\","
	        "\"name\":\"evil\"},\"versions\":[\"1.0.1\"]}]},\n"
	        "{\"id\":\"MAL-2\",\"affected\":[{\"package\":{\"ecosystem\":\"npm\","
	        "\"name\":\"other\"}}]},\n"
	        "{\"id\":\"PY-1\",\"affected\":[{\"package\":{\"ecosystem\":\"PyPI\","
	        "\"name\":\"evil\"}}]},\n"
	        "{\"id\":\"GHSA-w\",\"withdrawn\":\"2026-01-01T00:00:00Z\",\"affected\":[{"
	        "\"package\":{\"ecosystem\":\"npm\",\"name\":\"w\"}}]},\n"
	        "{\"id\":\"BAD\",\"affected\":[{\"package\":{\"ecosystem\":\"npm\","
	        "\"name\":\"nobody\\x\"}}]},\n"
	        "{\"id\":\"TWO\",\"affected\":[{\"package\":{\"ecosystem\":\"npm\","
	        "\"name\":\"nobody\"}},{\"package\":{\"ecosystem\":\"npm\",\"name\":"
	        "\"mi\\u0078ed\"},"
	        "\"ranges\":[{\"type\":\"SEMVER\",\"events\":[{\"introduced\":\"0\"},"
	        "{\"fixed\":\"2.0.1\"}]}]}]}\n]";
	struct cs_advisory_info full, only;
	struct hits hf, ho;
	struct cs_pkgset *ps = cs_pkgset_new();
	struct cs_advisories *a = cs_advisories_new(), *b = cs_advisories_new();
	struct cs_test_diags d;

	(void)state;
	memset(&d, 0, sizeof(d));
	assert_int_equal(cs_pkgset_read_mem(ps, "package-lock.json", lock, strlen(lock)), CS_OK);
	assert_int_equal(cs_advisories_load_osv_mem(a, "m.json", recs, strlen(recs)), CS_OK);
	assert_int_equal(cs_advisories_restrict(b, ps), CS_OK);
	cs_advisories_set_diag(b, cs_test_diag_cb, &d);
	assert_int_equal(cs_advisories_load_osv_mem(b, "m.json", recs, strlen(recs)), CS_OK);
	match(a, ps, &hf);
	match(b, ps, &ho);
	assert_string_equal(ho.text, hf.text);
	assert_string_equal(ho.text, "evil 1.0.1 MAL-1 =1.0.1 MAL\n"
	                             "Mixed 2.0.0 TWO <2.0.1\n");
	cs_advisories_info(a, &full);
	cs_advisories_info(b, &only);
	assert_int_equal(only.records, full.records);
	assert_int_equal(only.records, 5);
	assert_int_equal(only.withdrawn, 1);
	assert_int_equal(only.malicious, full.malicious);
	assert_int_equal(only.malicious, 2);
	assert_int_equal(only.broken, 1);
	assert_int_equal(full.broken, 1);
	assert_true(cs_test_diags_have(&d, "m.json:6"));
	assert_int_equal(only.unindexed, 2); /* MAL-2, PY-1 */
	assert_int_equal(full.unindexed, 0);
	assert_int_equal(only.affected, 3); /* MAL-1, TWO's two entries */
	assert_int_equal(full.affected, 5);
	cs_pkgset_free(ps);
	cs_advisories_free(a);
	cs_advisories_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ranges),
	        cmocka_unit_test(test_indeterminate),
	        cmocka_unit_test(test_withdrawn_malicious_git),
	        cmocka_unit_test(test_broken_records),
	        cmocka_unit_test(test_product_versions),
	        cmocka_unit_test(test_real_world_osv),
	        cmocka_unit_test(test_restricted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

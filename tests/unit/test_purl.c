/*
 * Unit tests of lib/match/purl.c: package URLs as the purl specification
 * writes them (its test-suite examples), percent-decoding, qualifiers,
 * subpaths, name normalisation per type, and malformed input.
 */
#include <string.h>

#include "chainsweep/software.h"
#include "testutil.h"

static void expect(const char *s, const char *type, const char *ns, const char *name,
                   const char *version, const char *subpath)
{
	struct cs_purl p;

	if (cs_purl_parse(s, &p) != CS_OK)
		fail_msg("'%s' did not parse", s);
	assert_string_equal(p.type, type);
	if (ns)
		assert_string_equal(p.namespace_, ns);
	else
		assert_null(p.namespace_);
	assert_string_equal(p.name, name);
	if (version)
		assert_string_equal(p.version, version);
	else
		assert_null(p.version);
	if (subpath)
		assert_string_equal(p.subpath, subpath);
	else
		assert_null(p.subpath);
	cs_purl_release(&p);
}

static void test_spec_examples(void **state)
{
	(void)state;
	expect("pkg:npm/%40babel/helper-string-parser@7.19.4#packages/babel-helper-string-parser",
	       "npm", "@babel", "helper-string-parser", "7.19.4",
	       "packages/babel-helper-string-parser");
	expect("pkg:maven/org.apache.commons/io@1.3.4", "maven", "org.apache.commons", "io",
	       "1.3.4", NULL);
	expect("pkg:golang/github.com/gorilla/context@234fd47e07d1004f0aed9c", "golang",
	       "github.com/gorilla", "context", "234fd47e07d1004f0aed9c", NULL);
	expect("pkg:gem/ruby-advisory-db-check@0.12.4", "gem", NULL, "ruby-advisory-db-check",
	       "0.12.4", NULL);
	expect("pkg:npm/foobar@12.3.1", "npm", NULL, "foobar", "12.3.1", NULL);
	/* Case-insensitive types lower-case the name; PyPI turns '_' to '-'. */
	expect("pkg:PYPI/Django_Allauth@0.56.0", "pypi", NULL, "django-allauth", "0.56.0", NULL);
	expect("pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie", "deb", "debian", "curl",
	       "7.50.3-1", NULL);
	/* Slashes around the parts are not part of them. */
	expect("pkg://npm//left-pad@1.3.0", "npm", NULL, "left-pad", "1.3.0", NULL);
	/* A version with an encoded '+' and ':'. */
	expect("pkg:deb/ubuntu/dpkg@1.19.0.4%2Bubuntu1?arch=amd64", "deb", "ubuntu", "dpkg",
	       "1.19.0.4+ubuntu1", NULL);
	expect("pkg:rpm/fedora/curl@0:7.61.1-11.fc29", "rpm", "fedora", "curl", "0:7.61.1-11.fc29",
	       NULL);
	expect("pkg:generic/openssl", "generic", NULL, "openssl", NULL, NULL);
}

static void test_qualifiers(void **state)
{
	struct cs_purl p;

	(void)state;
	assert_int_equal(cs_purl_parse("pkg:deb/debian/curl@7.50.3-1?ARCH=i386&distro=jessie&"
	                               "checksum=sha256%3A0123&empty=",
	                               &p),
	                 CS_OK);
	assert_int_equal(p.nqualifiers, 3);
	assert_string_equal(cs_purl_qualifier(&p, "arch"), "i386");
	assert_string_equal(cs_purl_qualifier(&p, "distro"), "jessie");
	assert_string_equal(cs_purl_qualifier(&p, "checksum"), "sha256:0123");
	assert_null(cs_purl_qualifier(&p, "empty"));
	cs_purl_release(&p);
	cs_purl_release(NULL);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
	        "",
	        "npm/foo@1",
	        "pkg:",
	        "pkg:npm",
	        "pkg:npm/",
	        "pkg:/foo@1",
	        "pkg:n%20pm/foo@1",
	        "pkg:npm/fo%4",
	        "pkg:npm/fo%zz@1",
	        "pkg:npm/foo%00@1",
	        "pkg:npm/foo@",
	        "http://example.com/pkg:npm/foo",
	};
	struct cs_purl p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (cs_purl_parse(bad[i], &p) != CS_ERR_PARSE)
			fail_msg("'%s' parsed", bad[i]);
	}
	assert_int_equal(cs_purl_parse(NULL, &p), CS_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_spec_examples),
	        cmocka_unit_test(test_qualifiers),
	        cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

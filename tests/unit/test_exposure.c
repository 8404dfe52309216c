/*
 * Unit tests of lib/analysis/exposure.c: the cascading 3CX case from a
 * relations file and software records (X_TRADER -> the 3CX build
 * environment -> DesktopApp 18.12.407 and 18.12.416 -> the hosts that
 * run them, never the host on 18.12.422), windows from the relation and
 * from the query, unknown release dates (indeterminate), CycloneDX
 * dependency trees, references (ids, KIND:ID, names, ambiguous ones),
 * cycles, the picture, and hostile YAML: alias bombs, recursive aliases,
 * deep nesting, huge scalars, wrong types, syntax errors with their
 * line and column, NUL bytes, oversized files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis_int.h"
#include "chainsweep/exposure.h"
#include "chainsweep/graph.h"
#include "testutil.h"

static const char cascade[] = "chainsweep-relations: 1\n"
                              "vendors:\n"
                              "  - {id: trading-technologies, name: Trading Technologies}\n"
                              "  - {id: 3cx, name: 3CX}\n"
                              "environments:\n"
                              "  - {id: 3cx-build, name: 3CX build environment, vendor: 3cx}\n"
                              "products:\n"
                              "  - id: x_trader\n"
                              "    name: X_TRADER\n"
                              "    vendor: trading-technologies\n"
                              "    versions: [r7.17.90p608]\n"
                              "  - id: 3cx-desktopapp\n"
                              "    name: 3CX DesktopApp\n"
                              "    vendor: 3cx\n"
                              "    aliases: [3CX Desktop App]\n"
                              "    versions:\n"
                              "      - {version: 18.10.461, released: 2022-02-15}\n"
                              "      - {version: 18.12.407, released: 2023-03-03}\n"
                              "      - {version: 18.12.416, released: 2023-03-13}\n"
                              "      - {version: 18.12.422, released: 2023-04-11}\n"
                              "relations:\n"
                              "  - type: installed-at\n"
                              "    what: x_trader@r7.17.90p608\n"
                              "    at: 3cx-build\n"
                              "    window: 2022-04-01..2023-03-29\n"
                              "  - {type: builds, by: 3cx-build, product: 3cx-desktopapp}\n";

struct collect {
	size_t n, versions, hosts, other, indet;
	char lines[32][512];
};

static int on_hit(void *ud, const struct cs_exposure_hit *h)
{
	struct collect *c = ud;
	char *p;
	size_t i, left;

	if (h->kind == CS_EXPOSED_VERSION)
		c->versions++;
	else if (h->kind == CS_EXPOSED_HOST)
		c->hosts++;
	else
		c->other++;
	c->indet += h->indeterminate != 0;
	if (c->n >= 32)
		return 0;
	p = c->lines[c->n++];
	left = sizeof(c->lines[0]);
	for (i = 0; i < h->npath && left > 1; i++) {
		int w = snprintf(p, left, "%s%s%s%s", i ? " -" : "",
		                 h->path[i].relation ? h->path[i].relation : "", i ? "-> " : "",
		                 h->path[i].key);

		if (w < 0 || (size_t)w >= left)
			break;
		p += w;
		left -= (size_t)w;
	}
	if (h->indeterminate && left > 8)
		snprintf(p, left, " [?]");
	return 0;
}

static int has(const struct collect *c, const char *needle)
{
	size_t i;

	for (i = 0; i < c->n && i < 32; i++) {
		if (strstr(c->lines[i], needle))
			return 1;
	}
	return 0;
}

static void sw(struct cs_exposure *x, const char *host, const char *name, const char *version,
               int current)
{
	struct cs_software_rec r;

	memset(&r, 0, sizeof(r));
	r.host = host;
	r.source = "exports/programs.csv";
	r.ecosystem = "product";
	r.name = name;
	r.version = version;
	r.current = current;
	assert_int_equal(cs_exposure_add_software(x, &r), CS_OK);
}

static struct cs_exposure *load(const char *yaml, struct cs_test_diags *d)
{
	struct cs_exposure *x = cs_exposure_new();

	assert_non_null(x);
	cs_exposure_set_diag(x, cs_test_diag_cb, d);
	cs__exposure_set_no_files(x, 1);
	assert_int_equal(cs_exposure_load_relations_mem(x, "rel.yaml", yaml, strlen(yaml)), CS_OK);
	return x;
}

static void run(struct cs_exposure *x, const char *node, int64_t from, int64_t until,
                struct collect *c, int expect_rc)
{
	struct cs_exposure_query q = {node, from, until};
	struct cs_exposure_result res;

	memset(c, 0, sizeof(*c));
	assert_int_equal(cs_exposure_run(x, &q, on_hit, c, NULL, &res), expect_rc);
	if (!expect_rc) {
		assert_int_equal(res.versions, c->versions);
		assert_int_equal(res.hosts, c->hosts);
	}
}

static void test_cascade(void **state)
{
	struct cs_test_diags d;
	struct cs_exposure *x;
	struct collect c;

	(void)state;
	memset(&d, 0, sizeof(d));
	x = load(cascade, &d);
	assert_int_equal(d.errors, 0);
	sw(x, "ws-17", "3CX Desktop App", "18.12.416", 1);
	sw(x, "ws-12", "3cx desktopapp", "18.12.407", 1);
	sw(x, "ws-18", "3CX Desktop App", "18.12.422", 1);
	sw(x, "ws-19", "7-Zip", "23.01", 1);
	run(x, "x_trader@r7.17.90p608", 0, 0, &c, CS_OK);
	assert_int_equal(c.versions, 2);
	assert_int_equal(c.hosts, 2);
	assert_int_equal(c.indet, 0);
	assert_string_equal(c.lines[0],
	                    "product:x_trader@r7.17.90p608 -installed at-> environment:3cx-build"
	                    " -builds-> product:3cx-desktopapp -version-> "
	                    "product:3cx-desktopapp@18.12.407");
	assert_true(has(&c, "-version-> product:3cx-desktopapp@18.12.416"));
	assert_true(has(&c, "product:3cx-desktopapp@18.12.416 -runs-> host:ws-17"));
	assert_true(has(&c, "product:3cx-desktopapp@18.12.407 -runs-> host:ws-12"));
	assert_false(has(&c, "18.12.422"));
	assert_false(has(&c, "ws-18"));
	assert_false(has(&c, "18.10.461"));
	assert_false(has(&c, "ws-19"));

	/* A narrower query window: only 18.12.416. */
	run(x, "x_trader@r7.17.90p608", 1678406400 /* 2023-03-10 */, 0, &c, CS_OK);
	assert_int_equal(c.versions, 1);
	assert_true(has(&c, "@18.12.416 -runs-> host:ws-17"));
	assert_false(has(&c, "ws-12"));
	/* A window that misses the relation's: nothing. */
	run(x, "x_trader@r7.17.90p608", 1700000000, 0, &c, CS_OK);
	assert_int_equal(c.versions + c.hosts, 0);

	/* The environment itself, with no window: every version, 18.12.422
	 * and its host too. */
	run(x, "3cx-build", 0, 0, &c, CS_OK);
	assert_int_equal(c.versions, 4);
	assert_true(has(&c, "host:ws-18"));
	/* A version directly: its hosts. */
	run(x, "3cx-desktopapp@18.12.422", 0, 0, &c, CS_OK);
	assert_int_equal(c.versions, 0);
	assert_int_equal(c.hosts, 1);
	assert_true(has(&c, "-runs-> host:ws-18"));
	/* References: by name, KIND:ID, unknown, unknown version. */
	run(x, "X_TRADER@r7.17.90p608", 0, 0, &c, CS_OK);
	assert_int_equal(c.hosts, 2);
	run(x, "environment:3cx-build", 0, 0, &c, CS_OK);
	run(x, "vendor:3cx", 1678406400, 0, &c, CS_OK);
	assert_true(has(&c, "vendor:3cx -makes-> product:3cx-desktopapp"));
	/* Versions equal in the vendor order are one: a trader host that
	 * records "7.17.90p608", a query that writes "v7.17.90p608". */
	sw(x, "trader-01", "X_TRADER", "7.17.90p608", 1);
	run(x, "x_trader@v7.17.90p608", 0, 0, &c, CS_OK);
	assert_true(has(&c, "product:x_trader@r7.17.90p608 -runs-> host:trader-01"));
	assert_int_equal(c.hosts, 3);
	run(x, "no-such-thing", 0, 0, &c, CS_ERR_NOTFOUND);
	assert_non_null(strstr(cs_exposure_errmsg(x), "no-such-thing"));
	run(x, "x_trader@9.9", 0, 0, &c, CS_ERR_NOTFOUND);
	run(x, "3cx-build@1", 0, 0, &c, CS_ERR_NOTFOUND);
	cs_exposure_free(x);
	cs_exposure_free(NULL);
}

/* A version whose release date is unknown while a window applies is
 * indeterminate, and so are its hosts; a definite path wins. */
static void test_indeterminate(void **state)
{
	static const char y[] =
	        "products:\n"
	        "  - id: app\n"
	        "    versions: [1.0, {version: 2.0, released: 2023-01-01}]\n"
	        "environments: [{id: ci}]\n"
	        "relations:\n"
	        "  - {type: builds, by: ci, product: app, window: 2022-12-01..2023-02-01}\n";
	struct cs_test_diags d;
	struct cs_exposure *x;
	struct collect c;

	(void)state;
	memset(&d, 0, sizeof(d));
	x = load(y, &d);
	sw(x, "h1", "app", "1.0", 0);
	sw(x, "h2", "app", "3.0", 1); /* undeclared: release unknown too */
	run(x, "ci", 0, 0, &c, CS_OK);
	assert_int_equal(c.versions, 3);
	assert_int_equal(c.hosts, 2);
	assert_int_equal(c.indet, 4);
	assert_true(has(&c, "product:app@1.0 -ran-> host:h1 [?]"));
	assert_true(has(&c, "product:app@2.0"));
	cs_exposure_free(x);
}

/* Depends-on relations and cycles: the walk ends and each node is
 * reported once. */
static void test_dependencies_and_cycles(void **state)
{
	static const char y[] = "products:\n"
	                        "  - {id: lib, versions: [1.0]}\n"
	                        "  - {id: app, versions: [5.0]}\n"
	                        "  - {id: suite, versions: [9]}\n"
	                        "environments: [{id: ci}]\n"
	                        "relations:\n"
	                        "  - {type: depends-on, product: app@5.0, on: lib@1.0}\n"
	                        "  - {type: depends-on, product: suite@9, on: app@5.0}\n"
	                        "  - {type: depends-on, product: lib@1.0, on: suite@9}\n"
	                        "  - {type: installed-at, what: suite@9, at: ci}\n"
	                        "  - {type: builds, by: ci, product: lib}\n";
	struct cs_test_diags d;
	struct cs_exposure *x;
	struct collect c;
	struct cs_graph *g = cs_graph_new();
	struct cs_exposure_query q = {"lib@1.0", 0, 0};
	FILE *f;
	char *svg = NULL;
	size_t len = 0;

	(void)state;
	memset(&d, 0, sizeof(d));
	x = load(y, &d);
	run(x, "lib@1.0", 0, 0, &c, CS_OK);
	assert_int_equal(c.versions, 2); /* app 5.0, suite 9 */
	assert_true(has(&c, "product:lib@1.0 -dependency of-> product:app@5.0 -dependency of-> "
	                    "product:suite@9"));
	/* The picture of the same walk. */
	assert_int_equal(cs_exposure_run(x, &q, NULL, NULL, g, NULL), CS_OK);
	assert_true(cs_graph_node_count(g) >= 4);
	f = open_memstream(&svg, &len);
	assert_int_equal(cs_graph_write_svg(g, f), CS_OK);
	fclose(f);
	assert_non_null(strstr(svg, "compromised"));
	free(svg);
	cs_graph_free(g);
	cs_exposure_free(x);
}

static void test_sbom(void **state)
{
	static const char y[] =
	        "products:\n"
	        "  - {id: 3cx-desktopapp, name: 3CX DesktopApp, versions: [18.12.416]}\n";
	static const char bom[] =
	        "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.5\",\"metadata\":{\"component\":"
	        "{\"bom-ref\":\"k\",\"name\":\"kiosk\",\"version\":\"1.3.0\"}},"
	        "\"components\":[{\"bom-ref\":\"a\",\"name\":\"3CX Desktop App\","
	        "\"version\":\"18.12.416\"},{\"bom-ref\":\"u\",\"name\":\"ui\",\"version\":\"4\"}],"
	        "\"dependencies\":[{\"ref\":\"k\",\"dependsOn\":[\"u\"]},"
	        "{\"ref\":\"u\",\"dependsOn\":[\"a\",\"nope\"]}]}";
	struct cs_test_diags d;
	struct cs_exposure *x;
	struct collect c;
	char *dir = cs_test_tmpdir(), *p, *q2;

	(void)state;
	memset(&d, 0, sizeof(d));
	x = load(y, &d);
	p = cs_test_write(dir, "k.cdx.json", bom, sizeof(bom) - 1);
	assert_int_equal(cs_exposure_load_sbom(x, p, NULL), CS_OK);
	sw(x, "kiosk-01", "kiosk", "1.3.0", 1);
	run(x, "3cx-desktopapp@18.12.416", 0, 0, &c, CS_OK);
	assert_int_equal(c.versions, 2);
	assert_true(has(&c, "product:3cx-desktopapp@18.12.416 -dependency of-> component:ui@4 "
	                    "-dependency of-> component:kiosk@1.3.0 -runs-> host:kiosk-01"));
	/* Not CycloneDX, not JSON. */
	q2 = cs_test_write(dir, "x.json", "{\"spdxVersion\":\"SPDX-2.3\"}", 26);
	assert_int_equal(cs_exposure_load_sbom(x, q2, NULL), CS_ERR_PARSE);
	free(q2);
	q2 = cs_test_write(dir, "y.json", "{\"bomFormat\": [", 15);
	assert_int_equal(cs_exposure_load_sbom(x, q2, NULL), CS_ERR_PARSE);
	assert_true(cs_test_diags_have(&d, "y.json:1:"));
	free(q2);
	assert_int_equal(cs_exposure_load_sbom(x, "/nonexistent/bom.json", NULL), CS_ERR_IO);
	free(p);
	cs_test_rmtree(dir);
	free(dir);
	cs_exposure_free(x);
}

/* Load hostile YAML; returns the result and keeps the diagnostics. */
static int hostile(const char *yaml, size_t len, struct cs_test_diags *d)
{
	struct cs_exposure *x = cs_exposure_new();
	int rc;

	memset(d, 0, sizeof(*d));
	cs_exposure_set_diag(x, cs_test_diag_cb, d);
	cs__exposure_set_no_files(x, 1);
	rc = cs_exposure_load_relations_mem(x, "bad.yaml", yaml, len);
	/* Whatever was kept can still be walked. */
	if (cs__exposure_node_count(x)) {
		struct cs_exposure_query q = {cs__exposure_node_key(x, 0), 0, 0};
		struct cs_graph *g = cs_graph_new();

		assert_int_equal(cs_exposure_run(x, &q, NULL, NULL, g, NULL), CS_OK);
		cs_graph_free(g);
	}
	cs_exposure_free(x);
	if (getenv("CS_TEST_SHOW"))
		print_message("%s", d->text);
	return rc;
}

#define H(s) hostile((s), strlen(s), &d)

static void test_hostile_syntax_and_types(void **state)
{
	struct cs_test_diags d;

	(void)state;
	/* A syntax error: file, line and column. */
	assert_int_equal(H("vendors:\n  - id: a\n  - id: [b\n"), CS_ERR_PARSE);
	assert_int_equal(d.errors, 1);
	assert_true(cs_test_diags_have(&d, "bad.yaml:4:1"));
	/* Tabs are not YAML indentation. */
	assert_int_equal(H("vendors:\n\t- id: a\n"), CS_ERR_PARSE);
	assert_true(cs_test_diags_have(&d, "bad.yaml:2:"));
	/* Wrong types, each with its position. */
	{
		static const char y[] =
		        "vendors: {id: a}\n"
		        "products:\n"
		        "  - id: [x]\n"
		        "  - id: p\n"
		        "    versions: {a: 1}\n"
		        "  - id: q\n"
		        "    versions: [[1]]\n"
		        "  - 42\n"
		        "  - {id: 'bad@id'}\n"
		        "  - {id: r, versions: [{version: 1, released: tomorrow}]}\n"
		        "relations:\n"
		        "  - {type: builds, by: nowhere, product: p}\n"
		        "  - {type: eats, by: a, product: p}\n"
		        "  - {type: builds, by: p}\n"
		        "  - {type: installed-at, what: p, at: q, window: 2024..2023}\n"
		        "  - just text\n"
		        "unknown: 1\n";

		assert_int_equal(hostile(y, sizeof(y) - 1, &d), CS_ERR_PARSE);
		assert_true(cs_test_diags_have(&d, "bad.yaml:1:10: error: 'vendors' must be a "
		                                   "list, not a mapping"));
		assert_true(cs_test_diags_have(&d, "bad.yaml:3:9: error: 'id' must be a scalar"));
		assert_true(cs_test_diags_have(&d, "bad.yaml:5:15: error: 'versions' must be a "
		                                   "list"));
		assert_true(cs_test_diags_have(&d, "bad.yaml:7:16: error: a version must be"));
		assert_true(cs_test_diags_have(&d, "bad.yaml:8:5: error: a product must be a "
		                                   "mapping"));
		assert_true(cs_test_diags_have(&d, "bad.yaml:9:10: error: id 'bad@id'"));
		assert_true(cs_test_diags_have(&d, "bad.yaml:10:47: error: 'released' is not a "
		                                   "date"));
		assert_true(cs_test_diags_have(&d, "bad.yaml:12:24: error: 'nowhere' names "
		                                   "nothing declared"));
		assert_true(cs_test_diags_have(&d, "bad.yaml:13:12: error: unknown relation "
		                                   "type 'eats'"));
		assert_true(cs_test_diags_have(&d, "needs 'by' and 'product'"));
		assert_true(cs_test_diags_have(&d, "window '2024..2023'"));
		assert_true(cs_test_diags_have(&d, "bad.yaml:16:5: error: a relation must be a "
		                                   "mapping"));
		assert_true(cs_test_diags_have(&d, "bad.yaml:17:1: warning: unknown top-level "
		                                   "key 'unknown'"));
	}
	/* Not a mapping at the top; empty; a later version of the format. */
	assert_int_equal(H("- a\n- b\n"), CS_ERR_PARSE);
	assert_true(cs_test_diags_have(&d, "the top level must be a mapping"));
	assert_int_equal(H(""), CS_OK);
	assert_int_equal(H("# nothing\n"), CS_OK);
	assert_int_equal(H("chainsweep-relations: 2\n"), CS_ERR_PARSE);
	/* A NUL byte in a double-quoted scalar, and raw bytes that are not
	 * UTF-8 (libyaml refuses them). */
	assert_int_equal(H("vendors: [{id: \"a\\0b\"}]\n"), CS_ERR_PARSE);
	assert_true(cs_test_diags_have(&d, "NUL byte"));
	assert_int_equal(H("vendors: [{id: a\xff\xfe}]\n"), CS_ERR_PARSE);
	/* A version entry without its version. */
	assert_int_equal(H("products: [{id: p, versions: [{released: 2023-01-01}]}]\n"),
	                 CS_ERR_PARSE);
	assert_true(cs_test_diags_have(&d, "bad.yaml:1:31: error: a version needs 'version'"));
	/* Duplicate ids: a warning, the first stays. */
	assert_int_equal(H("vendors: [{id: a}, {id: a, name: b}]\n"), CS_OK);
	assert_true(cs_test_diags_have(&d, "declared again"));
	/* Ambiguous references. */
	assert_int_equal(H("vendors: [{id: a}]\nenvironments: [{id: a}]\n"
	                   "products: [{id: p}]\n"
	                   "relations: [{type: builds, by: a, product: p}]\n"),
	                 CS_ERR_PARSE);
	assert_true(cs_test_diags_have(&d, "names both vendor:a and environment:a"));
}

static void test_hostile_sizes(void **state)
{
	struct cs_test_diags d;
	size_t n = 2u << 20, i;
	char *big = malloc(n + 64), *p;

	(void)state;
	assert_non_null(big);
	/* A billion-laughs alias bomb: ten levels of ten aliases each;
	 * reported, with a bounded number of messages. */
	p = big;
	p += sprintf(p, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (i = 1; i < 10; i++)
		p += sprintf(p,
		             "a%zu: &a%zu [*a%zu, *a%zu, *a%zu, *a%zu, *a%zu, *a%zu, *a%zu, *a%zu, "
		             "*a%zu, *a%zu]\n",
		             i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1,
		             i - 1);
	p += sprintf(p, "vendors: *a9\nproducts: [{id: p, versions: *a9, aliases: *a9}]\n");
	assert_int_equal(hostile(big, (size_t)(p - big), &d), CS_ERR_PARSE);
	assert_true(d.n < 150);
	/* Many wrong entries: a hundred messages, then it stops. */
	p = big;
	p += sprintf(p, "vendors: [");
	for (i = 0; i < 1000; i++)
		p += sprintf(p, "%s1", i ? ", " : "");
	p += sprintf(p, "]\n");
	assert_int_equal(hostile(big, (size_t)(p - big), &d), CS_ERR_PARSE);
	assert_int_equal(d.errors, 100);
	assert_true(cs_test_diags_have(&d, "100 errors: stopped"));
	/* A bomb through what the schema does walk: 5,000 aliases of a
	 * product with 200 versions and aliases each. */
	p = big;
	p += sprintf(p, "v: &v [");
	for (i = 0; i < 100; i++)
		p += sprintf(p, "%s%zu", i ? ", " : "", i);
	p += sprintf(p, "]\np: &p {id: p, versions: *v, aliases: *v}\nproducts: [");
	for (i = 0; i < 5000; i++)
		p += sprintf(p, "%s*p", i ? ", " : "");
	p += sprintf(p, "]\n");
	assert_int_equal(hostile(big, (size_t)(p - big), &d), CS_ERR_PARSE);
	assert_true(cs_test_diags_have(&d, "YAML nodes visited"));
	/* A recursive alias. */
	assert_int_equal(H("vendors: &v [*v]\n"), CS_ERR_PARSE);
	assert_int_equal(H("products: &v [{id: p, versions: *v}]\n"), CS_ERR_PARSE);
	/* Deep nesting: 100,000 '[' under an unknown key, and under a known one. */
	memset(big, '[', 100000);
	memcpy(big, "x: ", 3);
	assert_int_equal(hostile(big, 100000, &d), CS_ERR_PARSE);
	assert_true(cs_test_diags_have(&d, "bad.yaml:1:68: error: '[' and '{' nested deeper"));
	memcpy(big, "vendors: ", 9);
	assert_int_equal(hostile(big, 100000, &d), CS_ERR_PARSE);
	/* Deep, but not too deep, and balanced: read (a wrong type). */
	p = big;
	p += sprintf(p, "x: ");
	for (i = 0; i < 64; i++)
		*p++ = i & 1 ? '{' : '[';
	for (i = 64; i-- > 0;)
		*p++ = i & 1 ? '}' : ']';
	p += sprintf(p, "\nvendors: [[[[[[[[]]]]]]]]\n");
	assert_int_equal(hostile(big, (size_t)(p - big), &d), CS_ERR_PARSE);
	assert_true(cs_test_diags_have(&d, "a vendor must be a mapping"));
	/* Deep block nesting is bounded by the file cap (indentation grows). */
	p = big;
	for (i = 0; i < 1000; i++) {
		memset(p, ' ', i);
		p += i;
		p += sprintf(p, "k:\n");
	}
	assert_int_equal(hostile(big, (size_t)(p - big), &d), CS_OK);
	assert_true(cs_test_diags_have(&d, "unknown top-level key 'k'"));
	/* A huge scalar: over the value cap, reported, not kept. */
	memcpy(big, "vendors: [{id: ", 15);
	memset(big + 15, 'v', 1u << 20);
	memcpy(big + 15 + (1u << 20), "}]\n", 4);
	assert_int_equal(hostile(big, strlen(big), &d), CS_ERR_PARSE);
	assert_true(cs_test_diags_have(&d, "longer than 4096 bytes"));
	/* Over the file cap. */
	free(big);
	n = 5u << 20;
	big = malloc(n);
	assert_non_null(big);
	memset(big, '#', n);
	assert_int_equal(hostile(big, n, &d), CS_ERR_TOOBIG);
	free(big);
}

static void test_window_parse(void **state)
{
	int64_t f, u;

	(void)state;
	assert_int_equal(cs_exposure_parse_window("2023-03-01..2023-03-31", &f, &u), CS_OK);
	assert_int_equal(f, 1677628800);
	assert_int_equal(u, 1680307199); /* the whole last day */
	assert_int_equal(cs_exposure_parse_window("..2023-03-31T12:00:00Z", &f, &u), CS_OK);
	assert_int_equal(f, 0);
	assert_int_equal(u, 1680264000);
	assert_int_equal(cs_exposure_parse_window("2023-03-01..", &f, &u), CS_OK);
	assert_int_equal(u, 0);
	assert_int_equal(cs_exposure_parse_window("..", &f, &u), CS_OK);
	assert_int_equal(cs_exposure_parse_window("2023-03-01", &f, &u), CS_ERR_PARSE);
	assert_int_equal(cs_exposure_parse_window("2023-04-01..2023-03-01", &f, &u), CS_ERR_PARSE);
	assert_int_equal(cs_exposure_parse_window("soon..later", &f, &u), CS_ERR_PARSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_cascade),
	        cmocka_unit_test(test_indeterminate),
	        cmocka_unit_test(test_dependencies_and_cycles),
	        cmocka_unit_test(test_sbom),
	        cmocka_unit_test(test_hostile_syntax_and_types),
	        cmocka_unit_test(test_hostile_sizes),
	        cmocka_unit_test(test_window_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

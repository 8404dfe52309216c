/*
 * STIX 2.1 pattern parser and emitter (lib/intel/stix_pattern.c).
 *
 * Parser tests assert the exact DNF shape; emitter tests feed a pattern
 * into a fresh indicator set through a hand-made reader context and look
 * at the result through the public accessors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "intel/stix_pattern_int.h"

#define SHA256_A "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"
#define MD5_A    "cead3f77f6cda6ec00f57d76c9a6879f"

/* ------------------------------------------------------------------ */
/* Helpers                                                            */

static struct cs_stix_pattern *parse_ok(const char *text)
{
	struct cs_stix_pattern *p = NULL;
	char err[256];
	size_t pos = 0;
	int rc = cs__stix_pattern_parse(text, strlen(text), &p, err, sizeof(err), &pos);

	if (rc != CS_OK)
		print_message("unexpected error %d at %zu: %s\n  in: %s\n", rc, pos, err, text);
	assert_int_equal(rc, CS_OK);
	assert_non_null(p);
	return p;
}

/* Parse text of len bytes that must fail; returns the code, writes the offset. */
static int parse_fail(const char *text, size_t len, size_t *pos)
{
	struct cs_stix_pattern *p = NULL;
	char err[256];
	int rc;

	*pos = (size_t)-1;
	err[0] = 'x';
	rc = cs__stix_pattern_parse(text, len, &p, err, sizeof(err), pos);
	assert_int_not_equal(rc, CS_OK);
	assert_null(p);
	assert_true(strlen(err) > 0);
	assert_true(*pos <= len);
	return rc;
}

static const struct cs_stix_cmp *cmp_at(const struct cs_stix_pattern *p, size_t alt, size_t obs,
                                        size_t cmp)
{
	assert_true(alt < p->nalts);
	assert_true(obs < p->alts[alt].nobs);
	assert_true(cmp < p->alts[alt].obs[obs].ncmps);
	return &p->alts[alt].obs[obs].cmps[cmp];
}

static void check_cmp(const struct cs_stix_cmp *c, const char *object, const char *path,
                      enum cs_stix_op op, const char *value)
{
	assert_string_equal(c->object, object);
	assert_string_equal(c->path, path);
	assert_int_equal(c->op, op);
	if (value) {
		assert_int_equal(c->nvalues, 1);
		assert_string_equal(c->values[0], value);
	}
}

/* The shape of alternative `alt`: its observation count and comparison counts. */
static void check_shape(const struct cs_stix_pattern *p, size_t alt, size_t nobs,
                        const size_t *ncmps)
{
	size_t i;

	assert_true(alt < p->nalts);
	assert_int_equal(p->alts[alt].nobs, nobs);
	for (i = 0; i < nobs; i++)
		assert_int_equal(p->alts[alt].obs[i].ncmps, ncmps[i]);
}

/* An indicator set, a reader context on it and a base add request. */
struct emit_env {
	struct cs_intel *in;
	struct cs_reader_ctx ctx;
	struct cs_ind_add base;
	struct cs_test_diags diags;
	const char *labels[1];
};

static struct emit_env *env_new(void)
{
	struct emit_env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->in = cs_intel_new();
	assert_non_null(e->in);
	cs_intel_set_diag(e->in, cs_test_diag_cb, &e->diags);
	e->ctx.intel = e->in;
	e->ctx.path = "indicators.json";
	cs__ind_add_init(&e->base);
	e->labels[0] = "actor:Lazarus Group";
	e->base.labels = e->labels;
	e->base.nlabels = 1;
	e->base.ref = "indicator--0b8d0f4a-4d1f-4a0e-9e4e-6a3f2d3c1b0a";
	e->base.line = 12;
	e->base.column = 5;
	e->base.confidence = 80;
	e->base.detect = 1;
	e->base.description = "test indicator";
	return e;
}

static void env_free(struct emit_env *e)
{
	cs_intel_free(e->in);
	free(e);
}

/* Parse and emit; returns what the emitter returned. */
static int emit(struct emit_env *e, const char *pattern)
{
	struct cs_stix_pattern *p = parse_ok(pattern);
	int n = cs__stix_pattern_emit(&e->ctx, p, &e->base);

	cs__stix_pattern_free(p);
	return n;
}

static const struct cs_indicator *find(struct emit_env *e, enum cs_kind kind, const char *value)
{
	const struct cs_indicator *ind = cs_intel_find(e->in, kind, value);

	if (!ind) {
		size_t i;

		print_message("missing %s '%s'; the set has:\n", cs_kind_name(kind), value);
		for (i = 0; i < cs_intel_count(e->in); i++)
			print_message("  %s '%s'\n",
			              cs_kind_name(cs_indicator_kind(cs_intel_at(e->in, i))),
			              cs_indicator_value(cs_intel_at(e->in, i)));
	}
	assert_non_null(ind);
	return ind;
}

static uint64_t reject_count(const struct emit_env *e, const char *reason)
{
	size_t i;
	uint64_t n;

	for (i = 0; i < cs_intel_reject_reasons(e->in); i++) {
		const char *r = cs_intel_reject_reason(e->in, i, &n);

		if (r && strcmp(r, reason) == 0)
			return n;
	}
	return 0;
}

static void check_term(const struct cs_indicator *ind, size_t i, enum cs_kind kind,
                       const char *value)
{
	const char *v = NULL;

	assert_true(i < cs_indicator_term_count(ind));
	assert_int_equal(cs_indicator_term(ind, i, &v), kind);
	assert_non_null(v);
	assert_string_equal(v, value);
}

/* ------------------------------------------------------------------ */
/* Parser: real-world and specification examples                      */

static void test_spec_examples_parse(void **state)
{
	const char *path = CS_TEST_REAL_WORLD("stix/pattern-spec-examples-v21.txt");
	char line[8192];
	size_t n = 0;
	FILE *f;

	(void)state;
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);
		struct cs_stix_pattern *p;

		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len)
			continue;
		p = parse_ok(line);
		assert_true(p->nalts >= 1);
		cs__stix_pattern_free(p);
		n++;
	}
	fclose(f);
	assert_true(n >= 20);
}

static void test_single_hash(void **state)
{
	struct cs_stix_pattern *p = parse_ok("[file:hashes.'SHA-256' = '" SHA256_A "']");
	const struct cs_stix_cmp *c;
	static const size_t one[] = {1};

	(void)state;
	assert_int_equal(p->nalts, 1);
	check_shape(p, 0, 1, one);
	c = cmp_at(p, 0, 0, 0);
	check_cmp(c, "file", "hashes.'SHA-256'", CS_STIX_EQ, SHA256_A);
	assert_int_equal(c->vtype, CS_STIX_STRING);
	assert_int_equal(c->negated, 0);
	assert_int_equal(p->alts[0].qualifiers, 0);
	assert_int_equal(p->qualifiers, 0);
	cs__stix_pattern_free(p);
}

static void test_canonical_paths(void **state)
{
	struct cs_stix_pattern *p =
	        parse_ok("[file:hashes.'MD5' = 'a' AND file:'name' = 'b' AND "
	                 "email-message:body_multipart[*].body_raw_ref.name MATCHES 'c' AND "
	                 "file:extensions.'windows-pebinary-ext'.sections[0].entropy > 7.0]");

	(void)state;
	assert_int_equal(p->nalts, 1);
	assert_int_equal(p->alts[0].obs[0].ncmps, 4);
	check_cmp(cmp_at(p, 0, 0, 0), "file", "hashes.MD5", CS_STIX_EQ, "a");
	check_cmp(cmp_at(p, 0, 0, 1), "file", "name", CS_STIX_EQ, "b");
	check_cmp(cmp_at(p, 0, 0, 2), "email-message", "body_multipart[*].body_raw_ref.name",
	          CS_STIX_MATCHES, "c");
	check_cmp(cmp_at(p, 0, 0, 3), "file",
	          "extensions.'windows-pebinary-ext'.sections[0].entropy", CS_STIX_GT, "7.0");
	assert_int_equal(cmp_at(p, 0, 0, 3)->vtype, CS_STIX_FLOAT);
	cs__stix_pattern_free(p);
}

static void test_adjacent_strings_in_path_fail(void **state)
{
	size_t pos;

	(void)state;
	/* 'it''s' is two string tokens, not an escaped quote. */
	assert_int_equal(parse_fail("[x:a.'it''s' = 'd']", 19, &pos), CS_ERR_PARSE);
}

static void test_quoted_path_escape(void **state)
{
	struct cs_stix_pattern *p = parse_ok("[x:'a\\'b'.c = 'e' AND x:list[-1] = 'f']");

	(void)state;
	check_cmp(cmp_at(p, 0, 0, 0), "x", "'a\\'b'.c", CS_STIX_EQ, "e");
	check_cmp(cmp_at(p, 0, 0, 1), "x", "list[-1]", CS_STIX_EQ, "f");
	cs__stix_pattern_free(p);
}

static void test_or_inside_observation(void **state)
{
	struct cs_stix_pattern *p = parse_ok(
	        "[url:value = 'http://example.com/foo' OR url:value = 'http://example.com/bar']");
	static const size_t one[] = {1};

	(void)state;
	assert_int_equal(p->nalts, 2);
	check_shape(p, 0, 1, one);
	check_shape(p, 1, 1, one);
	check_cmp(cmp_at(p, 0, 0, 0), "url", "value", CS_STIX_EQ, "http://example.com/foo");
	check_cmp(cmp_at(p, 1, 0, 0), "url", "value", CS_STIX_EQ, "http://example.com/bar");
	cs__stix_pattern_free(p);
}

/* The specification's "[A OR B] AND [C]": two alternatives of two observations. */
static void test_spec_or_and(void **state)
{
	struct cs_stix_pattern *p =
	        parse_ok("[file:hashes.'SHA-256' = "
	                 "'bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c' OR "
	                 "file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f'] AND "
	                 "[file:hashes.'SHA-256' = '" SHA256_A "']");
	static const size_t two[] = {1, 1};

	(void)state;
	assert_int_equal(p->nalts, 2);
	check_shape(p, 0, 2, two);
	check_shape(p, 1, 2, two);
	check_cmp(cmp_at(p, 0, 0, 0), "file", "hashes.'SHA-256'", CS_STIX_EQ,
	          "bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c");
	check_cmp(cmp_at(p, 0, 1, 0), "file", "hashes.'SHA-256'", CS_STIX_EQ, SHA256_A);
	check_cmp(cmp_at(p, 1, 0, 0), "file", "hashes.MD5", CS_STIX_EQ, MD5_A);
	check_cmp(cmp_at(p, 1, 1, 0), "file", "hashes.'SHA-256'", CS_STIX_EQ, SHA256_A);
	assert_int_equal(p->qualifiers, 0);
	cs__stix_pattern_free(p);
}

static void test_cmp_precedence(void **state)
{
	struct cs_stix_pattern *p = parse_ok("[a:x = '1' OR a:y = '2' AND a:z = '3']");
	static const size_t one[] = {1}, two[] = {2};

	(void)state;
	assert_int_equal(p->nalts, 2);
	check_shape(p, 0, 1, one);
	check_shape(p, 1, 1, two);
	check_cmp(cmp_at(p, 0, 0, 0), "a", "x", CS_STIX_EQ, "1");
	check_cmp(cmp_at(p, 1, 0, 0), "a", "y", CS_STIX_EQ, "2");
	check_cmp(cmp_at(p, 1, 0, 1), "a", "z", CS_STIX_EQ, "3");
	cs__stix_pattern_free(p);
}

static void test_cmp_parentheses(void **state)
{
	struct cs_stix_pattern *p =
	        parse_ok("[(a:x = '1' OR a:y = '2') AND ((a:z = '3') OR (a:w = '4'))]");
	static const size_t two[] = {2};
	static const char *const want[4][2] = {{"x", "z"}, {"x", "w"}, {"y", "z"}, {"y", "w"}};
	size_t i;

	(void)state;
	assert_int_equal(p->nalts, 4);
	for (i = 0; i < 4; i++) {
		check_shape(p, i, 1, two);
		assert_string_equal(cmp_at(p, i, 0, 0)->path, want[i][0]);
		assert_string_equal(cmp_at(p, i, 0, 1)->path, want[i][1]);
	}
	cs__stix_pattern_free(p);
}

static void test_obs_precedence(void **state)
{
	struct cs_stix_pattern *p = parse_ok("[a:x = '1'] OR [a:y = '2'] AND [a:z = '3']");
	static const size_t one[] = {1}, two[] = {1, 1};

	(void)state;
	assert_int_equal(p->nalts, 2);
	check_shape(p, 0, 1, one);
	check_shape(p, 1, 2, two);
	assert_string_equal(cmp_at(p, 0, 0, 0)->path, "x");
	assert_string_equal(cmp_at(p, 1, 0, 0)->path, "y");
	assert_string_equal(cmp_at(p, 1, 1, 0)->path, "z");
	cs__stix_pattern_free(p);
}

static void test_followedby_lowest(void **state)
{
	struct cs_stix_pattern *p = parse_ok("[a:x = '1'] OR [a:y = '2'] FOLLOWEDBY [a:z = '3']");
	static const size_t two[] = {1, 1};

	(void)state;
	assert_int_equal(p->nalts, 2);
	check_shape(p, 0, 2, two);
	check_shape(p, 1, 2, two);
	assert_string_equal(cmp_at(p, 0, 0, 0)->path, "x");
	assert_string_equal(cmp_at(p, 0, 1, 0)->path, "z");
	assert_string_equal(cmp_at(p, 1, 0, 0)->path, "y");
	assert_string_equal(cmp_at(p, 1, 1, 0)->path, "z");
	assert_int_equal(p->alts[0].qualifiers, CS_STIX_Q_FOLLOWEDBY);
	assert_int_equal(p->alts[1].qualifiers, CS_STIX_Q_FOLLOWEDBY);
	assert_int_equal(p->qualifiers, CS_STIX_Q_FOLLOWEDBY);
	cs__stix_pattern_free(p);
}

static void test_nested_obs_parentheses(void **state)
{
	struct cs_stix_pattern *p =
	        parse_ok("(([file:name = 'foo.dll'] AND "
	                 "[win-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo']))"
	                 " OR [process:name = 'fooproc' OR process:name = 'x']");
	static const size_t two[] = {1, 1}, one[] = {1};

	(void)state;
	assert_int_equal(p->nalts, 3);
	check_shape(p, 0, 2, two);
	check_shape(p, 1, 1, one);
	check_shape(p, 2, 1, one);
	check_cmp(cmp_at(p, 0, 1, 0), "win-registry-key", "key", CS_STIX_EQ,
	          "HKEY_LOCAL_MACHINE\\foo");
	check_cmp(cmp_at(p, 2, 0, 0), "process", "name", CS_STIX_EQ, "x");
	cs__stix_pattern_free(p);
}

static void test_spec_followedby_within(void **state)
{
	struct cs_stix_pattern *p =
	        parse_ok("([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY "
	                 "[win-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) WITHIN 300 "
	                 "SECONDS");
	static const size_t two[] = {1, 1};

	(void)state;
	assert_int_equal(p->nalts, 1);
	check_shape(p, 0, 2, two);
	check_cmp(cmp_at(p, 0, 0, 0), "file", "hashes.MD5", CS_STIX_EQ,
	          "79054025255fb1a26e4bc422aef54eb4");
	check_cmp(cmp_at(p, 0, 1, 0), "win-registry-key", "key", CS_STIX_EQ,
	          "HKEY_LOCAL_MACHINE\\foo\\bar");
	assert_int_equal(p->alts[0].qualifiers, CS_STIX_Q_FOLLOWEDBY | CS_STIX_Q_WITHIN);
	assert_int_equal(p->qualifiers, CS_STIX_Q_FOLLOWEDBY | CS_STIX_Q_WITHIN);
	cs__stix_pattern_free(p);
}

static void test_qualifiers(void **state)
{
	struct cs_stix_pattern *p;

	(void)state;
	p = parse_ok("[network-traffic:dst_ref.value = 'example.com'] REPEATS 5 TIMES WITHIN 1800 "
	             "SECONDS");
	assert_int_equal(p->nalts, 1);
	assert_int_equal(p->alts[0].qualifiers, CS_STIX_Q_REPEATS | CS_STIX_Q_WITHIN);
	cs__stix_pattern_free(p);

	p = parse_ok("[a:b = '1'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00.123Z'");
	assert_int_equal(p->alts[0].qualifiers, CS_STIX_Q_STARTSTOP);
	cs__stix_pattern_free(p);

	p = parse_ok("[a:b = '1'] WITHIN 2.5 SECONDS");
	assert_int_equal(p->alts[0].qualifiers, CS_STIX_Q_WITHIN);
	cs__stix_pattern_free(p);

	/* A qualifier binds to the observation before it, tighter than OR. */
	p = parse_ok("[a:b = '1'] OR [a:c = '2'] WITHIN 5 SECONDS");
	assert_int_equal(p->nalts, 2);
	assert_int_equal(p->alts[0].qualifiers, 0);
	assert_int_equal(p->alts[1].qualifiers, CS_STIX_Q_WITHIN);
	assert_int_equal(p->qualifiers, CS_STIX_Q_WITHIN);
	cs__stix_pattern_free(p);
}

static void test_bad_qualifiers(void **state)
{
	static const char *const bad[] = {
	        "[a:b = '1'] WITHIN -5 SECONDS",
	        "[a:b = '1'] WITHIN 5",
	        "[a:b = '1'] WITHIN 5 seconds",
	        "[a:b = '1'] REPEATS 2.5 TIMES",
	        "[a:b = '1'] REPEATS 5",
	        "[a:b = '1'] START '2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
	        "[a:b = '1'] START t'2016-06-01T00:00:00Z'",
	        "[a:b = '1'] START t'2016-06-01' STOP t'2016-07-01T00:00:00Z'",
	        "WITHIN 5 SECONDS [a:b = '1']",
	};
	size_t i, pos;

	(void)state;
	for (i = 0; i < CS_ARRAY_SIZE(bad); i++)
		assert_int_equal(parse_fail(bad[i], strlen(bad[i]), &pos), CS_ERR_PARSE);
}

static void test_string_escapes(void **state)
{
	struct cs_stix_pattern *p = parse_ok("[file:name = 'it\\'s a \\\\ test' AND x:y = '']");
	size_t pos;

	(void)state;
	check_cmp(cmp_at(p, 0, 0, 0), "file", "name", CS_STIX_EQ, "it's a \\ test");
	check_cmp(cmp_at(p, 0, 0, 1), "x", "y", CS_STIX_EQ, "");
	cs__stix_pattern_free(p);

	/* The specification's regex example: \\ in the text is one backslash. */
	p = parse_ok("[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$']");
	check_cmp(cmp_at(p, 0, 0, 0), "email-message", "from_ref.value", CS_STIX_MATCHES,
	          ".+\\@example\\.com$");
	cs__stix_pattern_free(p);

	/* Only \' and \\ are escapes. */
	assert_int_equal(parse_fail("[file:name = 'a\\.exe']", 22, &pos), CS_ERR_PARSE);
	assert_int_equal(pos, 15);
}

static void test_in_lists(void **state)
{
	struct cs_stix_pattern *p = parse_ok("[file:name IN ('a.exe', 'b.exe' , 'c\\'d')]");
	const struct cs_stix_cmp *c;
	size_t pos;

	(void)state;
	c = cmp_at(p, 0, 0, 0);
	assert_int_equal(p->nalts, 1);
	assert_int_equal(c->op, CS_STIX_IN);
	assert_int_equal(c->vtype, CS_STIX_STRING);
	assert_int_equal(c->nvalues, 3);
	assert_string_equal(c->values[0], "a.exe");
	assert_string_equal(c->values[1], "b.exe");
	assert_string_equal(c->values[2], "c'd");
	cs__stix_pattern_free(p);

	p = parse_ok("[file:size NOT IN ()]");
	c = cmp_at(p, 0, 0, 0);
	assert_int_equal(c->op, CS_STIX_IN);
	assert_int_equal(c->negated, 1);
	assert_int_equal(c->nvalues, 0);
	cs__stix_pattern_free(p);

	p = parse_ok("[file:size IN (1, 2.5, -3)]");
	c = cmp_at(p, 0, 0, 0);
	assert_int_equal(c->vtype, CS_STIX_FLOAT);
	assert_int_equal(c->nvalues, 3);
	assert_string_equal(c->values[2], "-3");
	cs__stix_pattern_free(p);

	assert_int_equal(parse_fail("[file:size IN (1, 'a')]", 23, &pos), CS_ERR_PARSE);
	assert_int_equal(pos, 18);
	assert_int_equal(parse_fail("[file:size IN (1, )]", 20, &pos), CS_ERR_PARSE);
	assert_int_equal(parse_fail("[file:size IN 'a']", 18, &pos), CS_ERR_PARSE);
	assert_int_equal(parse_fail("[file:size IN ('a']", 19, &pos), CS_ERR_PARSE);
}

static void test_constants(void **state)
{
	struct cs_stix_pattern *p =
	        parse_ok("[a:i = 5 AND a:n = -3 AND a:f = 7.0 AND a:g = .5 AND a:t = true AND "
	                 "a:u = false AND a:h = h'ffD8' AND a:b = b'AAEC/w==' AND "
	                 "a:s = t'2014-01-13T07:03:17Z' AND a:p = +4 AND a:z = 0]");
	static const struct {
		enum cs_stix_vtype t;
		const char *v;
	} want[] = {
	        {CS_STIX_INT, "5"},
	        {CS_STIX_INT, "-3"},
	        {CS_STIX_FLOAT, "7.0"},
	        {CS_STIX_FLOAT, ".5"},
	        {CS_STIX_BOOL, "true"},
	        {CS_STIX_BOOL, "false"},
	        {CS_STIX_HEX, "ffD8"},
	        {CS_STIX_BINARY, "AAEC/w=="},
	        {CS_STIX_TIMESTAMP, "2014-01-13T07:03:17Z"},
	        {CS_STIX_INT, "4"},
	        {CS_STIX_INT, "0"},
	};
	size_t i;

	(void)state;
	assert_int_equal(p->alts[0].obs[0].ncmps, CS_ARRAY_SIZE(want));
	for (i = 0; i < CS_ARRAY_SIZE(want); i++) {
		const struct cs_stix_cmp *c = cmp_at(p, 0, 0, i);

		assert_int_equal(c->vtype, want[i].t);
		assert_int_equal(c->nvalues, 1);
		assert_string_equal(c->values[0], want[i].v);
	}
	cs__stix_pattern_free(p);
}

static void test_bad_constants(void **state)
{
	static const char *const bad[] = {
	        "[a:b = h'abc']",
	        "[a:b = h'zz']",
	        "[a:b = b'AAA']",
	        "[a:b = b'']",
	        "[a:b = b'A===']",
	        "[a:b = t'2014-13-01T00:00:00Z']",
	        "[a:b = t'2014-01-13 07:03:17Z']",
	        "[a:b = t'2014-01-13T07:03:17']",
	        "[a:b = t'2014-01-13T07:03:17.Z']",
	        "[a:b = 007]",
	        "[a:b = TRUE]",
	        "[a:b > true]",
	        "[a:b LIKE 5]",
	        "[a:b MATCHES h'ff']",
	        "[a:b ISSUBSET 1]",
	        "[a:b = 'x'y']",
	        "[a:b = ]",
	        "[a:b = -]",
	};
	size_t i, pos;

	(void)state;
	for (i = 0; i < CS_ARRAY_SIZE(bad); i++) {
		int rc = parse_fail(bad[i], strlen(bad[i]), &pos);

		if (rc != CS_ERR_PARSE)
			print_message("%s\n", bad[i]);
		assert_int_equal(rc, CS_ERR_PARSE);
	}
}

static void test_operators(void **state)
{
	struct cs_stix_pattern *p = parse_ok(
	        "[a:b = '1' AND a:b == '1' AND a:b != '1' AND a:b <> '1' AND a:b > 1 AND a:b < 1 "
	        "AND "
	        "a:b >= 1 AND a:b <= 1 AND a:b IN ('1') AND a:b LIKE '1%' AND a:b MATCHES '^1' AND "
	        "a:b ISSUBSET '10.0.0.0/8' AND a:b ISSUPERSET '10.0.0.0/8' AND EXISTS a:b AND "
	        "a:b NOT = '1' AND a:b NOT MATCHES 'x' AND NOT EXISTS a:c AND a:b NOT LIKE 'x']");
	static const enum cs_stix_op want[] = {
	        CS_STIX_EQ,      CS_STIX_EQ,       CS_STIX_NE,         CS_STIX_NE,     CS_STIX_GT,
	        CS_STIX_LT,      CS_STIX_GE,       CS_STIX_LE,         CS_STIX_IN,     CS_STIX_LIKE,
	        CS_STIX_MATCHES, CS_STIX_ISSUBSET, CS_STIX_ISSUPERSET, CS_STIX_EXISTS, CS_STIX_EQ,
	        CS_STIX_MATCHES, CS_STIX_EXISTS,   CS_STIX_LIKE,
	};
	size_t i;

	(void)state;
	assert_int_equal(p->nalts, 1);
	assert_int_equal(p->alts[0].obs[0].ncmps, CS_ARRAY_SIZE(want));
	for (i = 0; i < CS_ARRAY_SIZE(want); i++) {
		const struct cs_stix_cmp *c = cmp_at(p, 0, 0, i);

		assert_int_equal(c->op, want[i]);
		assert_int_equal(c->negated, i >= 14);
	}
	assert_int_equal(cmp_at(p, 0, 0, 13)->nvalues, 0);
	assert_string_equal(cmp_at(p, 0, 0, 16)->path, "c");
	cs__stix_pattern_free(p);
}

static void test_keywords_case_sensitive(void **state)
{
	static const char *const bad[] = {
	        "[a:b = '1' and a:c = '2']",
	        "[a:b = '1'] or [a:c = '2']",
	        "[a:b = '1'] followedby [a:c = '2']",
	        "[a:b like '1']",
	        "[a:b in ('1')]",
	        "[a:b = '1'] within 5 seconds",
	};
	size_t i, pos;

	(void)state;
	for (i = 0; i < CS_ARRAY_SIZE(bad); i++)
		assert_int_equal(parse_fail(bad[i], strlen(bad[i]), &pos), CS_ERR_PARSE);
}

static void test_spacing_and_comments(void **state)
{
	struct cs_stix_pattern *p;
	size_t pos;

	(void)state;
	p = parse_ok("[process:command_line MATCHES'^.+>-add$']FOLLOWEDBY[a:b='x']");
	assert_int_equal(p->alts[0].nobs, 2);
	cs__stix_pattern_free(p);

	p = parse_ok(" /* lead */ [ a : b /* in */ = '1' ]\t// trailing\n\r\n");
	check_cmp(cmp_at(p, 0, 0, 0), "a", "b", CS_STIX_EQ, "1");
	cs__stix_pattern_free(p);

	/* U+00A0 and U+3000 are white space in the grammar. */
	p = parse_ok("[a:b\xc2\xa0=\xe3\x80\x80'1']");
	cs__stix_pattern_free(p);

	assert_int_equal(parse_fail("[a:b = '1'] /* open", 19, &pos), CS_ERR_PARSE);
	assert_int_equal(pos, 12);
}

static void test_bad_object_paths(void **state)
{
	static const char *const bad[] = {
	        "[file = 'a']",          "[:name = 'a']",     "[file: = 'a']",
	        "[file:name. = 'a']",    "[file:a[x] = 'a']", "[file:a[1 = 'a']",
	        "[AND:name = 'a']",      "[file:name 'a']",   "[file:name NOT 'a']",
	        "[NOT file:name = 'a']", "[EXISTS]",          "[file:a[1.5] = 'a']",
	};
	size_t i, pos;

	(void)state;
	for (i = 0; i < CS_ARRAY_SIZE(bad); i++)
		assert_int_equal(parse_fail(bad[i], strlen(bad[i]), &pos), CS_ERR_PARSE);
}

/* ------------------------------------------------------------------ */
/* Parser: hostile input                                              */

static void test_unterminated_string(void **state)
{
	size_t pos;

	(void)state;
	assert_int_equal(parse_fail("[file:name = 'abc]", 18, &pos), CS_ERR_PARSE);
	assert_int_equal(pos, 13);
	assert_int_equal(parse_fail("[file:name = 'abc\\'", 19, &pos), CS_ERR_PARSE);
	assert_int_equal(parse_fail("[file:name = 'abc\\", 18, &pos), CS_ERR_PARSE);
	assert_int_equal(parse_fail("[a:b = h'ff", 11, &pos), CS_ERR_PARSE);
}

static void test_unbalanced(void **state)
{
	static const struct {
		const char *text;
		size_t pos;
	} bad[] = {
	        {"[file:name = 'a'", 16},
	        {"file:name = 'a']", 0},
	        {"[[file:name = 'a']]", 1},
	        {"([file:name = 'a']", 18},
	        {"[file:name = 'a'])", 17},
	        {"[(file:name = 'a']", 17},
	        {"[file:name = 'a')]", 16},
	        {"()", 1},
	        {"[]", 1},
	        {"[file:name = 'a'] AND", 21},
	        {"[file:name = 'a'] AND AND [a:b = '1']", 22},
	};
	size_t i, pos;

	(void)state;
	for (i = 0; i < CS_ARRAY_SIZE(bad); i++) {
		assert_int_equal(parse_fail(bad[i].text, strlen(bad[i].text), &pos), CS_ERR_PARSE);
		if (pos != bad[i].pos)
			print_message("%s: offset %zu\n", bad[i].text, pos);
		assert_int_equal(pos, bad[i].pos);
	}
}

static char *repeat_around(const char *open, const char *mid, const char *close, size_t n)
{
	size_t lo = strlen(open), lm = strlen(mid), lc = strlen(close), i;
	char *s = malloc(n * (lo + lc) + lm + 1), *w = s;

	assert_non_null(s);
	for (i = 0; i < n; i++, w += lo)
		memcpy(w, open, lo);
	memcpy(w, mid, lm);
	w += lm;
	for (i = 0; i < n; i++, w += lc)
		memcpy(w, close, lc);
	*w = '\0';
	return s;
}

static void test_deep_nesting(void **state)
{
	char *s;
	size_t pos;
	struct cs_stix_pattern *p;

	(void)state;
	s = repeat_around("(", "[a:b = '1']", ")", 100000);
	assert_int_equal(parse_fail(s, strlen(s), &pos), CS_ERR_TOOBIG);
	assert_true(pos <= 256);
	free(s);

	s = repeat_around("(", "a:b = '1'", ")", 100000);
	s[0] = '[';
	assert_int_equal(parse_fail(s, strlen(s), &pos), CS_ERR_TOOBIG);
	free(s);

	/* Unclosed: fails on depth before it could notice the missing ')'. */
	s = repeat_around("(", "", "", 100000);
	assert_int_equal(parse_fail(s, strlen(s), &pos), CS_ERR_TOOBIG);
	free(s);

	s = repeat_around("(", "[a:b = '1']", ")", 200);
	p = parse_ok(s);
	assert_int_equal(p->nalts, 1);
	cs__stix_pattern_free(p);
	free(s);
}

static void test_empty_input(void **state)
{
	struct cs_stix_pattern *p = NULL;
	size_t pos;

	(void)state;
	assert_int_equal(parse_fail("", 0, &pos), CS_ERR_PARSE);
	assert_int_equal(pos, 0);
	assert_int_equal(parse_fail(" \n\t ", 4, &pos), CS_ERR_PARSE);
	assert_int_equal(parse_fail("/* */", 5, &pos), CS_ERR_PARSE);
	assert_int_equal(cs__stix_pattern_parse(NULL, 0, &p, NULL, 0, NULL), CS_ERR_PARSE);
	assert_null(p);
}

static void test_nul_bytes(void **state)
{
	static const char text[] = "[file:name = 'a\0b']";
	static const char text2[] = "[file:name = 'a']\0 garbage";
	size_t pos;

	(void)state;
	assert_int_equal(parse_fail(text, sizeof(text) - 1, &pos), CS_ERR_PARSE);
	assert_int_equal(pos, 15);
	assert_int_equal(parse_fail(text2, sizeof(text2) - 1, &pos), CS_ERR_PARSE);
	assert_int_equal(pos, 17);
}

static void test_trailing_garbage(void **state)
{
	size_t pos;

	(void)state;
	assert_int_equal(parse_fail("[a:b = '1'] xyz", 15, &pos), CS_ERR_PARSE);
	assert_int_equal(pos, 12);
	assert_int_equal(parse_fail("[a:b = '1']]", 12, &pos), CS_ERR_PARSE);
	assert_int_equal(pos, 11);
	assert_int_equal(parse_fail("[a:b = '1'] [a:c = '2']", 23, &pos), CS_ERR_PARSE);
	assert_int_equal(pos, 12);
	assert_int_equal(parse_fail("[a:b = '1'] \x01", 13, &pos), CS_ERR_PARSE);
	assert_int_equal(pos, 12);
	assert_int_equal(parse_fail("[a:b = '1'] \xff", 13, &pos), CS_ERR_PARSE);
}

/* "[(a:k0 = 'x' OR a:k0 = 'y') AND ... ]" with n pairs: 2^n alternatives. */
static char *pairs_pattern(size_t n, int observations)
{
	size_t i, cap = 64 + n * 80;
	char *s = malloc(cap), *w = s;

	assert_non_null(s);
	if (!observations)
		*w++ = '[';
	for (i = 0; i < n; i++) {
		if (observations)
			w += sprintf(w, "%s([a:k%zu = 'x'] OR [a:k%zu = 'y'])", i ? " AND " : "", i,
			             i);
		else
			w += sprintf(w, "%s(a:k%zu = 'x' OR a:k%zu = 'y')", i ? " AND " : "", i, i);
	}
	if (!observations)
		*w++ = ']';
	*w = '\0';
	return s;
}

static void test_dnf_explosion(void **state)
{
	struct cs_stix_pattern *p;
	char *s;
	size_t pos;

	(void)state;
	s = pairs_pattern(20, 0);
	assert_int_equal(parse_fail(s, strlen(s), &pos), CS_ERR_TOOBIG);
	free(s);
	s = pairs_pattern(20, 1);
	assert_int_equal(parse_fail(s, strlen(s), &pos), CS_ERR_TOOBIG);
	free(s);

	/* 2^12 is exactly the cap. */
	s = pairs_pattern(12, 0);
	p = parse_ok(s);
	assert_int_equal(p->nalts, CS_STIX_MAX_ALTS);
	assert_int_equal(p->alts[4095].obs[0].ncmps, 12);
	assert_string_equal(cmp_at(p, 4095, 0, 11)->values[0], "y");
	assert_string_equal(cmp_at(p, 0, 0, 11)->values[0], "x");
	cs__stix_pattern_free(p);
	free(s);
	s = pairs_pattern(12, 1);
	p = parse_ok(s);
	assert_int_equal(p->nalts, CS_STIX_MAX_ALTS);
	assert_int_equal(p->alts[17].nobs, 12);
	cs__stix_pattern_free(p);
	free(s);
	s = pairs_pattern(13, 1);
	assert_int_equal(parse_fail(s, strlen(s), &pos), CS_ERR_TOOBIG);
	free(s);
}

static void test_dnf_or_cap(void **state)
{
	struct cs_stix_pattern *p;
	char *s = malloc(4200 * 24 + 16), *w;
	size_t i, pos;

	(void)state;
	assert_non_null(s);
	w = s;
	*w++ = '[';
	for (i = 0; i < CS_STIX_MAX_ALTS; i++)
		w += sprintf(w, "%sa:b = '%zu'", i ? " OR " : "", i);
	strcpy(w, "]");
	p = parse_ok(s);
	assert_int_equal(p->nalts, CS_STIX_MAX_ALTS);
	cs__stix_pattern_free(p);
	strcpy(w, " OR a:b = 'one too many']");
	assert_int_equal(parse_fail(s, strlen(s), &pos), CS_ERR_TOOBIG);
	free(s);
}

/* 4096 alternatives of 12 comparisons fit; add 5 more to each and they do not. */
static void test_dnf_weight_cap(void **state)
{
	char *s = pairs_pattern(12, 0), *t;
	size_t pos;

	(void)state;
	t = malloc(strlen(s) + 200);
	assert_non_null(t);
	strcpy(t, s);
	strcpy(t + strlen(t) - 1,
	       " AND a:c = '1' AND a:d = '1' AND a:e = '1' AND a:f = '1' AND a:g = '1']");
	assert_int_equal(parse_fail(t, strlen(t), &pos), CS_ERR_TOOBIG);
	free(s);
	free(t);
}

/* Long chains must stay linear: 60000 comparisons or observations ANDed. */
static void test_long_chains(void **state)
{
	const size_t n = 60000;
	char *s = malloc(n * 32 + 16), *w;
	struct cs_stix_pattern *p;
	size_t i, pos;

	(void)state;
	assert_non_null(s);
	w = s;
	*w++ = '[';
	for (i = 0; i < n; i++)
		w += sprintf(w, "%sa:k%zu = '%zu'", i ? " AND " : "", i, i);
	strcpy(w, "]");
	p = parse_ok(s);
	assert_int_equal(p->nalts, 1);
	assert_int_equal(p->alts[0].obs[0].ncmps, n);
	assert_string_equal(cmp_at(p, 0, 0, n - 1)->values[0], "59999");
	cs__stix_pattern_free(p);

	w = s;
	for (i = 0; i < n; i++)
		w += sprintf(w, "%s[a:b = '%zu']", i ? " AND " : "", i);
	p = parse_ok(s);
	assert_int_equal(p->nalts, 1);
	assert_int_equal(p->alts[0].nobs, n);
	assert_string_equal(cmp_at(p, 0, n - 1, 0)->values[0], "59999");
	cs__stix_pattern_free(p);

	/* 70000 is past the cap on comparisons. */
	s = realloc(s, 70000 * 32 + 16);
	assert_non_null(s);
	w = s;
	*w++ = '[';
	for (i = 0; i < 70000; i++)
		w += sprintf(w, "%sa:k = '%zu'", i ? " OR " : "", i);
	strcpy(w, "]");
	assert_int_equal(parse_fail(s, strlen(s), &pos), CS_ERR_TOOBIG);
	free(s);
}

static void test_small_error_buffer(void **state)
{
	struct cs_stix_pattern *p = NULL;
	char err[8];
	size_t pos = 99;

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(cs__stix_pattern_parse("[a:b = 'x", 9, &p, err, sizeof(err), &pos),
	                 CS_ERR_PARSE);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_int_equal(pos, 7);
	assert_int_equal(cs__stix_pattern_parse("[a:b = 'x", 9, &p, NULL, 0, NULL), CS_ERR_PARSE);
	assert_null(p);
}

static void test_free_null(void **state)
{
	(void)state;
	cs__stix_pattern_free(NULL);
}

/* ------------------------------------------------------------------ */
/* Emitter                                                            */

static void test_emit_simple_hash(void **state)
{
	struct emit_env *e = env_new();
	const struct cs_indicator *ind;
	struct cs_source_info src;

	(void)state;
	assert_int_equal(emit(e, "[file:hashes.'SHA-256' = 'AEC070645FE53EE3B3763059376134F058CC3"
	                         "37247C978ADD178B6CCDFB0019F']"),
	                 1);
	assert_int_equal(cs_intel_count(e->in), 1);
	ind = find(e, CS_KIND_SHA256, SHA256_A);
	assert_int_equal(cs_indicator_confidence(ind), 80);
	assert_true(cs_indicator_flags(ind) & CS_IND_DETECT);
	assert_false(cs_indicator_flags(ind) & CS_IND_PARTIAL);
	assert_true(cs_test_has_label(e->in, ind, "actor:Lazarus Group"));
	assert_int_equal(cs_indicator_source_count(ind), 1);
	cs_indicator_source(e->in, ind, 0, &src);
	assert_string_equal(src.ref, e->base.ref);
	assert_int_equal(src.line, 12);
	assert_string_equal(src.description, "test indicator");
	assert_int_equal(cs_indicator_term_count(ind), 0);
	assert_int_equal(e->diags.n, 0);
	env_free(e);
}

static void test_emit_hash_keys(void **state)
{
	struct emit_env *e = env_new();

	(void)state;
	assert_int_equal(emit(e, "[file:hashes.MD5 = '" MD5_A "' OR file:hashes.SHA1 = "
	                         "'0123456789abcdef0123456789abcdef01234567' OR "
	                         "x509-certificate:hashes.'SHA-1' = "
	                         "'1123456789abcdef0123456789abcdef01234567']"),
	                 3);
	find(e, CS_KIND_MD5, MD5_A);
	find(e, CS_KIND_SHA1, "0123456789abcdef0123456789abcdef01234567");
	find(e, CS_KIND_SHA1, "1123456789abcdef0123456789abcdef01234567");
	env_free(e);
}

static void test_emit_in_list(void **state)
{
	struct emit_env *e = env_new();

	(void)state;
	assert_int_equal(emit(e, "[file:name IN ('a.exe', 'b.exe', 'c.dll')]"), 3);
	find(e, CS_KIND_FILENAME, "a.exe");
	find(e, CS_KIND_FILENAME, "b.exe");
	find(e, CS_KIND_FILENAME, "c.dll");
	env_free(e);
}

static void test_emit_like_and_matches(void **state)
{
	struct emit_env *e = env_new();

	(void)state;
	assert_int_equal(emit(e, "[domain-name:value LIKE '%.Evil-Example.com']"), 1);
	find(e, CS_KIND_DOMAIN_REGEX, "^.*\\.evil-example\\.com$");
	assert_int_equal(emit(e, "[file:name LIKE 'inv_%(1).exe']"), 1);
	find(e, CS_KIND_FILENAME_REGEX, "^inv..*\\(1\\)\\.exe$");
	assert_int_equal(emit(e, "[file:name MATCHES '^Final Report.+\\\\.exe$']"), 1);
	find(e, CS_KIND_FILENAME_REGEX, "^Final Report.+\\.exe$");
	assert_int_equal(emit(e, "[url:value MATCHES '^https?://evil\\\\.example/']"), 1);
	find(e, CS_KIND_URL_REGEX, "^https?://evil\\.example/");
	assert_int_equal(emit(e, "[email-addr:value LIKE '%@evil.example']"), 1);
	find(e, CS_KIND_EMAIL_REGEX, "^.*@evil\\.example$");
	assert_int_equal(emit(e, "[domain-name:value MATCHES '(^|\\\\.)evil\\\\.com$']"), 1);
	find(e, CS_KIND_DOMAIN_REGEX, "(^|\\.)evil\\.com$");
	env_free(e);
}

static void test_emit_addresses(void **state)
{
	struct emit_env *e = env_new();

	(void)state;
	assert_int_equal(emit(e, "[ipv4-addr:value = '198.51.100.3']"), 1);
	find(e, CS_KIND_IPV4, "198.51.100.3");
	assert_int_equal(emit(e, "[ipv4-addr:value = '198.51.100.0/24']"), 1);
	find(e, CS_KIND_CIDR, "198.51.100.0/24");
	assert_int_equal(emit(e, "[ipv4-addr:value ISSUBSET '10.1.2.3/8']"), 1);
	find(e, CS_KIND_CIDR, "10.0.0.0/8");
	assert_int_equal(emit(e, "[ipv6-addr:value = '2001:0DB8::0001']"), 1);
	find(e, CS_KIND_IPV6, "2001:db8::1");
	assert_int_equal(emit(e, "[network-traffic:dst_ref.value = '203.0.113.33/32']"), 1);
	find(e, CS_KIND_IPV4, "203.0.113.33");
	assert_int_equal(emit(e, "[network-traffic:dst_ref.value ISSUBSET "
	                         "'2001:0db8:dead:beef:0000:0000:0000:0000/64']"),
	                 1);
	find(e, CS_KIND_CIDR, "2001:db8:dead:beef::/64");
	assert_int_equal(emit(e, "[network-traffic:src_ref.value = '192.0.2.7']"), 1);
	find(e, CS_KIND_IPV4, "192.0.2.7");
	env_free(e);
}

static void test_emit_url_email_serial(void **state)
{
	struct emit_env *e = env_new();

	(void)state;
	assert_int_equal(emit(e, "[url:value = 'http://example.com/foo' OR "
	                         "url:value = 'http://example.com/bar']"),
	                 2);
	find(e, CS_KIND_URL, "http://example.com/foo");
	find(e, CS_KIND_URL, "http://example.com/bar");
	assert_int_equal(emit(e, "[email-message:from_ref.value = 'Bad.Guy@Example.COM']"), 1);
	find(e, CS_KIND_EMAIL, "Bad.Guy@example.com");
	assert_int_equal(emit(e, "[email-message:sender_ref.value = 'jdoe@example.com']"), 1);
	find(e, CS_KIND_EMAIL, "jdoe@example.com");
	assert_int_equal(emit(e, "[email-addr:value = 'x@example.org']"), 1);
	find(e, CS_KIND_EMAIL, "x@example.org");
	assert_int_equal(emit(e, "[x509-certificate:serial_number = "
	                         "'4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']"),
	                 1);
	find(e, CS_KIND_CERT_SERIAL, "4c0b1d197486a766b41abf4027217628");
	env_free(e);
}

static void test_emit_compound(void **state)
{
	struct emit_env *e = env_new();
	const struct cs_indicator *ind;
	const char *want =
	        "[file:hashes.'SHA-256' = '" SHA256_A "' AND file:mime_type = 'application/x-pdf']";

	(void)state;
	assert_int_equal(emit(e, "[file:mime_type = 'application/x-pdf' AND "
	                         "file:hashes.'SHA-256' = '" SHA256_A "']"),
	                 1);
	assert_int_equal(cs_intel_count(e->in), 1);
	ind = find(e, CS_KIND_COMPOUND, want);
	assert_int_equal(cs_indicator_term_count(ind), 2);
	check_term(ind, 0, CS_KIND_SHA256, SHA256_A);
	check_term(ind, 1, CS_KIND_NONE, "file:mime_type = 'application/x-pdf'");
	/* One observation: both terms must hold for the same file. */
	assert_int_equal(cs_indicator_term_observation(ind, 0), 0);
	assert_int_equal(cs_indicator_term_observation(ind, 1), 0);
	assert_false(cs_indicator_flags(ind) & CS_IND_PARTIAL);
	assert_true(cs_test_has_label(e->in, ind, "actor:Lazarus Group"));

	/* The same comparisons in another order are the same compound. */
	assert_int_equal(emit(e, "[file:hashes.'SHA-256' = '" SHA256_A "' AND "
	                         "file:mime_type = 'application/x-pdf']"),
	                 1);
	assert_int_equal(cs_intel_count(e->in), 1);
	env_free(e);
}

static void test_emit_compound_normalised_terms(void **state)
{
	struct emit_env *e = env_new();
	const struct cs_indicator *ind;

	(void)state;
	assert_int_equal(
	        emit(e,
	             "[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number "
	             "= '4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']"),
	        1);
	ind = find(e, CS_KIND_COMPOUND,
	           "[x509-certificate:issuer = 'CN=WEBMAIL' AND "
	           "x509-certificate:serial_number = '4c0b1d197486a766b41abf4027217628']");
	check_term(ind, 0, CS_KIND_NONE, "x509-certificate:issuer = 'CN=WEBMAIL'");
	check_term(ind, 1, CS_KIND_CERT_SERIAL, "4c0b1d197486a766b41abf4027217628");

	/* NOT and != on a known path are text terms; escapes survive. */
	assert_int_equal(emit(e, "[file:name NOT = 'a\\'b.exe' AND file:hashes.MD5 = '" MD5_A
	                         "' AND file:size > 1000 AND file:name != 'c.exe']"),
	                 1);
	ind = find(e, CS_KIND_COMPOUND,
	           "[file:hashes.MD5 = '" MD5_A "' AND file:name != 'c.exe' AND "
	           "file:name NOT = 'a\\'b.exe' AND file:size > 1000]");
	assert_int_equal(cs_indicator_term_count(ind), 4);
	check_term(ind, 0, CS_KIND_MD5, MD5_A);
	check_term(ind, 1, CS_KIND_NONE, "file:name != 'c.exe'");
	check_term(ind, 2, CS_KIND_NONE, "file:name NOT = 'a\\'b.exe'");
	check_term(ind, 3, CS_KIND_NONE, "file:size > 1000");
	env_free(e);
}

static void test_emit_compound_in_expands(void **state)
{
	struct emit_env *e = env_new();
	const struct cs_indicator *ind;

	(void)state;
	assert_int_equal(emit(e, "[file:name IN ('a.exe', 'b.exe') AND file:size = 10]"), 2);
	ind = find(e, CS_KIND_COMPOUND, "[file:name = 'a.exe' AND file:size = 10]");
	check_term(ind, 0, CS_KIND_FILENAME, "a.exe");
	check_term(ind, 1, CS_KIND_NONE, "file:size = 10");
	find(e, CS_KIND_COMPOUND, "[file:name = 'b.exe' AND file:size = 10]");
	env_free(e);
}

static void test_emit_multi_observation(void **state)
{
	struct emit_env *e = env_new();
	const struct cs_indicator *ind;

	(void)state;
	assert_int_equal(emit(e,
	                      "[file:hashes.'SHA-256' = "
	                      "'bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c' "
	                      "OR file:hashes.MD5 = '" MD5_A "'] AND "
	                      "[file:hashes.'SHA-256' = '" SHA256_A "']"),
	                 2);
	ind = find(e, CS_KIND_COMPOUND,
	           "[file:hashes.MD5 = '" MD5_A "'] AND [file:hashes.'SHA-256' = '" SHA256_A "']");
	assert_int_equal(cs_indicator_term_count(ind), 2);
	check_term(ind, 0, CS_KIND_MD5, MD5_A);
	check_term(ind, 1, CS_KIND_SHA256, SHA256_A);
	find(e, CS_KIND_COMPOUND,
	     "[file:hashes.'SHA-256' = "
	     "'bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c'] AND "
	     "[file:hashes.'SHA-256' = '" SHA256_A "']");
	assert_int_equal(e->diags.n, 0);
	env_free(e);
}

static void test_emit_unsupported(void **state)
{
	struct emit_env *e = env_new();

	(void)state;
	assert_int_equal(emit(e, "[user-account:account_type = 'unix' AND "
	                         "user-account:user_id = '1007']"),
	                 0);
	assert_int_equal(cs_intel_count(e->in), 0);
	assert_int_equal(reject_count(e, "unsupported-path"), 1);
	assert_int_equal(e->ctx.rejected, 1);
	assert_true(cs_test_diags_have(&e->diags, "user-account:account_type"));
	assert_true(cs_test_diags_have(&e->diags, ":12:5: unsupported-path:"));

	/* A known path with an operator we cannot match is no better. */
	assert_int_equal(emit(e, "[file:name != 'a.exe']"), 0);
	assert_int_equal(emit(e, "[file:hashes.MD5 MATCHES '^ab']"), 0);
	assert_int_equal(emit(e, "[ipv4-addr:value ISSUPERSET '10.0.0.1']"), 0);
	assert_int_equal(emit(e, "[file:name = 5]"), 0);
	assert_int_equal(emit(e, "[EXISTS file:name]"), 0);
	assert_int_equal(reject_count(e, "unsupported-path"), 6);

	/* One supported alternative is kept, the other rejected. */
	assert_int_equal(emit(e, "[file:name = 'x.exe'] OR [process:name = 'x']"), 1);
	find(e, CS_KIND_FILENAME, "x.exe");
	assert_int_equal(reject_count(e, "unsupported-path"), 7);
	assert_true(cs_test_diags_have(&e->diags, "process:name ="));
	env_free(e);
}

static void test_emit_bad_values(void **state)
{
	struct emit_env *e = env_new();

	(void)state;
	assert_int_equal(emit(e, "[file:hashes.MD5 = 'not-a-hash']"), 0);
	assert_true(e->ctx.rejected >= 1);
	assert_int_equal(cs_intel_count(e->in), 0);
	/* In a compound the bad term rejects the combination. */
	assert_int_equal(emit(e, "[file:hashes.MD5 = 'zz' AND file:size = 10]"), 0);
	assert_int_equal(cs_intel_count(e->in), 0);
	/* In an IN list only the bad value goes. */
	assert_int_equal(emit(e, "[file:hashes.MD5 IN ('zz', '" MD5_A "') AND file:size = 10]"), 1);
	find(e, CS_KIND_COMPOUND, "[file:hashes.MD5 = '" MD5_A "' AND file:size = 10]");
	assert_int_equal(emit(e, "[file:hashes.MD5 IN ('zz', '" MD5_A "')]"), 1);
	find(e, CS_KIND_MD5, MD5_A);
	env_free(e);
}

static void test_emit_caps(void **state)
{
	struct emit_env *e = env_new();
	char *s = malloc(80000), *w;
	size_t i;

	(void)state;
	assert_non_null(s);
	w = s + sprintf(s, "[file:size = 1 AND file:name IN (");
	for (i = 0; i < 5000; i++)
		w += sprintf(w, "%s'f%zu.exe'", i ? ", " : "", i);
	strcpy(w, ")]");
	assert_int_equal(emit(e, s), 0);
	assert_int_equal(reject_count(e, "pattern-too-complex"), 1);
	assert_int_equal(cs_intel_count(e->in), 0);

	w = s + sprintf(s, "[file:name = 'a.exe' AND file:x = '");
	memset(w, 'x', 70000);
	strcpy(w + 70000, "']");
	assert_int_equal(emit(e, s), 0);
	assert_int_equal(reject_count(e, "too-long"), 1);
	assert_int_equal(cs_intel_count(e->in), 0);
	free(s);
	env_free(e);
}

static void test_emit_qualifiers_partial(void **state)
{
	struct emit_env *e = env_new();
	const struct cs_indicator *ind;

	(void)state;
	assert_int_equal(emit(e, "[domain-name:value = 'evil.example'] REPEATS 5 TIMES"), 1);
	ind = find(e, CS_KIND_DOMAIN, "evil.example");
	assert_true(cs_indicator_flags(ind) & CS_IND_PARTIAL);
	assert_int_equal(e->diags.warnings, 1);
	assert_true(cs_test_diags_have(&e->diags, "REPEATS"));

	assert_int_equal(
	        emit(e, "([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY "
	                "[win-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) WITHIN 300 "
	                "SECONDS"),
	        1);
	ind = find(e, CS_KIND_COMPOUND,
	           "[file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] AND "
	           "[win-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']");
	assert_true(cs_indicator_flags(ind) & CS_IND_PARTIAL);
	check_term(ind, 1, CS_KIND_NONE,
	           "win-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar'");
	/* Two observations: each term says which one it belongs to. */
	assert_int_equal(cs_indicator_term_observation(ind, 0), 0);
	assert_int_equal(cs_indicator_term_observation(ind, 1), 1);
	assert_int_equal(e->diags.warnings, 2);
	assert_true(cs_test_diags_have(&e->diags, "WITHIN, FOLLOWEDBY"));

	/* Only the qualified alternative is partial. */
	assert_int_equal(emit(e, "[url:value = 'http://a.example/'] OR "
	                         "[url:value = 'http://b.example/'] WITHIN 5 SECONDS"),
	                 2);
	assert_false(cs_indicator_flags(find(e, CS_KIND_URL, "http://a.example/")) &
	             CS_IND_PARTIAL);
	assert_true(cs_indicator_flags(find(e, CS_KIND_URL, "http://b.example/")) & CS_IND_PARTIAL);
	assert_int_equal(e->diags.warnings, 3);
	env_free(e);
}

static void test_emit_spec_examples(void **state)
{
	const char *path = CS_TEST_REAL_WORLD("stix/pattern-spec-examples-v21.txt");
	struct emit_env *e = env_new();
	char line[8192];
	FILE *f;
	int total = 0;

	(void)state;
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		size_t len = strcspn(line, "\r\n");
		int n;

		line[len] = '\0';
		if (!len)
			continue;
		n = emit(e, line);
		assert_true(n >= 0);
		total += n;
	}
	fclose(f);
	assert_int_equal((size_t)total, cs_intel_count(e->in));
	assert_true(total >= 18);
	assert_true(reject_count(e, "unsupported-path") >= 11);
	find(e, CS_KIND_COMPOUND,
	     "[file:created = t'2014-01-13T07:03:17Z' AND file:name = 'pdf.exe']");
	find(e, CS_KIND_MD5, "cead3f77f6cda6ec00f57d76c9a69faa");
	find(e, CS_KIND_CIDR, "2001:db8:dead:beef::/64");
	env_free(e);
}

/* ------------------------------------------------------------------ */
/* Fast path: whatever it takes, the parser reads the same            */

/* The fast path took `text`: the full parser must give one comparison,
 * the same one. */
static void check_fast_same(const char *text, size_t len)
{
	struct cs_stix_fast f;
	struct cs_stix_pattern *p = NULL;
	const struct cs_stix_cmp *c;
	char err[256];
	size_t pos = 0;
	int rc;

	assert_int_equal(cs__stix_pattern_fast(text, len, &f), 1);
	rc = cs__stix_pattern_parse(text, len, &p, err, sizeof(err), &pos);
	if (rc != CS_OK)
		print_message("fast path took what the parser refuses (%s): %.*s\n", err,
		              (int)len, text);
	assert_int_equal(rc, CS_OK);
	assert_int_equal(p->nalts, 1);
	assert_int_equal(p->qualifiers, 0);
	assert_int_equal(p->alts[0].qualifiers, 0);
	assert_int_equal(p->alts[0].nobs, 1);
	assert_int_equal(p->alts[0].obs[0].ncmps, 1);
	c = &p->alts[0].obs[0].cmps[0];
	assert_string_equal(c->object, f.object);
	assert_string_equal(c->path, f.path);
	assert_int_equal(c->op, CS_STIX_EQ);
	assert_int_equal(c->negated, 0);
	assert_int_equal(c->vtype, CS_STIX_STRING);
	assert_int_equal(c->nvalues, 1);
	assert_int_equal(strlen(c->values[0]), f.value_len);
	assert_memory_equal(c->values[0], f.value, f.value_len);
	cs__stix_pattern_free(p);
}

/* What a set holds, as text, to compare two sets. */
static void set_text(struct emit_env *e, struct cs_buf *b)
{
	size_t i, j;
	uint64_t n;

	for (i = 0; i < cs_intel_count(e->in); i++) {
		const struct cs_indicator *ind = cs_intel_at(e->in, i);
		struct cs_source_info si;

		assert_int_equal(cs__buf_printf(b, "%s %s %u %d %zu|",
		                                cs_kind_name(cs_indicator_kind(ind)),
		                                cs_indicator_value(ind), cs_indicator_flags(ind),
		                                cs_indicator_confidence(ind),
		                                cs_indicator_term_count(ind)),
		                 CS_OK);
		for (j = 0; j < cs_indicator_label_count(ind); j++)
			assert_int_equal(cs__buf_printf(b, "l:%s|", cs_indicator_label(e->in, ind, j)),
			                 CS_OK);
		for (j = 0; j < cs_indicator_source_count(ind); j++) {
			cs_indicator_source(e->in, ind, j, &si);
			assert_int_equal(cs__buf_printf(b, "s:%s:%llu:%s:%s|", si.file,
			                                (unsigned long long)si.line,
			                                si.ref ? si.ref : "", si.description),
			                 CS_OK);
		}
	}
	for (i = 0; i < cs_intel_reject_reasons(e->in); i++) {
		const char *r = cs_intel_reject_reason(e->in, i, &n);

		assert_int_equal(cs__buf_printf(b, "r:%s=%llu|", r, (unsigned long long)n), CS_OK);
	}
	assert_int_equal(cs__buf_printf(b, "d:%zu:%s", e->diags.n, e->diags.text), CS_OK);
}

/* Emitting through the fast path gives the set the parser's path gives. */
static void check_fast_emit_same(const char *text)
{
	struct emit_env *a = env_new(), *b = env_new();
	struct cs_stix_fast f;
	struct cs_buf ta, tb, scratch;
	int na, nb;

	cs__buf_init(&ta, 0);
	cs__buf_init(&tb, 0);
	cs__buf_init(&scratch, 0);
	assert_int_equal(cs__stix_pattern_fast(text, strlen(text), &f), 1);
	na = cs__stix_pattern_emit_fast(&a->ctx, &f, &a->base, &scratch);
	nb = emit(b, text);
	assert_int_equal(na, nb);
	set_text(a, &ta);
	set_text(b, &tb);
	assert_string_equal(cs__buf_cstr(&ta), cs__buf_cstr(&tb));
	cs__buf_release(&ta);
	cs__buf_release(&tb);
	cs__buf_release(&scratch);
	env_free(a);
	env_free(b);
}

static const char *const fast_prefixes[] = {
        "[file:hashes.'SHA-256' = '", "[file:hashes.MD5 = '",
        "[file:hashes.'SHA-1' = '",   "[file:hashes.'SHA-512' = '",
        "[file:name = '",             "[domain-name:value = '",
        "[ipv4-addr:value = '",       "[ipv6-addr:value = '",
        "[url:value = '",             "[email-addr:value = '",
};

/* Values the fast path takes: good ones, ones the normaliser rejects,
 * and text that looks like pattern syntax but sits inside the string. */
static const char *const fast_values[] = {
        SHA256_A,
        MD5_A,
        "AEC070645FE53EE3B3763059376134F058CC337247C978ADD178B6CCDFB0019F",
        "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "",
        " ",
        "not-a-hash",
        "evil.example",
        "EVIL.Example.",
        "evil[.]example",
        "hxxp://evil.example/a?b=c",
        "198.51.100.7",
        "198.51.100.0/24",
        "2001:db8::1",
        "user@evil.example",
        "a] OR [file:name = b",
        "/* not a comment */",
        "// nor this",
        "]",
        "[",
        " = ",
        "caf\xc3\xa9.example",
        "\xff\xfe",
        "tab\there",
        "line\nbreak",
};

static void test_fast_path_matches_parser(void **state)
{
	char text[512];
	size_t i, j;

	(void)state;
	for (i = 0; i < CS_ARRAY_SIZE(fast_prefixes); i++) {
		for (j = 0; j < CS_ARRAY_SIZE(fast_values); j++) {
			snprintf(text, sizeof(text), "%s%s']", fast_prefixes[i], fast_values[j]);
			check_fast_same(text, strlen(text));
			check_fast_emit_same(text);
		}
	}
}

/* Inputs the fast path must leave to the parser. */
static void test_fast_path_declines(void **state)
{
	static const char *const no[] = {
	        "",
	        "[",
	        "']",
	        "[']",
	        "[file:hashes.MD5 = '",
	        "[file:hashes.MD5 = ']",
	        "[file:hashes.MD5 = 'a'",
	        "[file:hashes.MD5 = 'a'] ",
	        " [file:hashes.MD5 = 'a']",
	        "[file:hashes.MD5 = 'a' ]",
	        "[file:hashes.MD5  = 'a']",
	        "[file:hashes.MD5='a']",
	        "[file:hashes.md5 = 'a']",
	        "[file:hashes.'MD5' = 'a']",
	        "[file:hashes.SHA256 = 'a']",
	        "[file:hashes.'sha-256' = 'a']",
	        "[File:name = 'a']",
	        "[file:name != 'a']",
	        "[file:name NOT = 'a']",
	        "[file:name LIKE 'a%']",
	        "[domain-name:value = 'a\\'b']",
	        "[domain-name:value = 'a\\\\b']",
	        "[domain-name:value = 'a'] OR [domain-name:value = 'b']",
	        "[domain-name:value = 'a' OR domain-name:value = 'b']",
	        "[domain-name:value = 'a'] WITHIN 5 SECONDS",
	        "[domain-name:value = 'a'] REPEATS 2 TIMES",
	        "[domain-name:value = 'a'] START t'2020-01-01T00:00:00Z' STOP t'2021-01-01T00:00:00Z'",
	        "[domain-name:value = h'00']",
	        "[domain-name:value = 'a']]",
	        "[network-traffic:dst_ref.value = '198.51.100.7']",
	        "[x509-certificate:serial_number = '01']",
	        "[domain-name:value = 'a'/* c */]",
	        "[domain-name:value = 'a''']",
	};
	static const char nul[] = "[domain-name:value = 'a\0b']";
	struct cs_stix_fast f;
	size_t i;

	(void)state;
	assert_int_equal(cs__stix_pattern_fast(NULL, 0, &f), 0);
	for (i = 0; i < CS_ARRAY_SIZE(no); i++) {
		if (cs__stix_pattern_fast(no[i], strlen(no[i]), &f))
			print_message("fast path took: %s\n", no[i]);
		assert_int_equal(cs__stix_pattern_fast(no[i], strlen(no[i]), &f), 0);
	}
	assert_int_equal(cs__stix_pattern_fast(nul, sizeof(nul) - 1, &f), 0);
	/* A length short of the text: only the first bytes count. */
	assert_int_equal(cs__stix_pattern_fast("[file:name = 'a']", 10, &f), 0);
}

/*
 * Every one-byte change (replace, insert, delete) of the canonical
 * shapes: whatever the fast path still takes, the parser reads the same.
 */
static void test_fast_path_mutations(void **state)
{
	static const char bytes[] = {'\'', '\\', '\0', ']', '[', ' ',  '=', ':', '.',
	                             '-',  'a',  'M',  '/', '*', '(', '\n', '"', (char)0xc2};
	char base[256], m[260];
	size_t i, pos, k, n, taken = 0;
	struct cs_stix_fast f;

	(void)state;
	for (i = 0; i < CS_ARRAY_SIZE(fast_prefixes); i++) {
		snprintf(base, sizeof(base), "%s%s']", fast_prefixes[i], MD5_A);
		n = strlen(base);
		for (pos = 0; pos <= n; pos++) {
			for (k = 0; k < sizeof(bytes); k++) {
				if (pos < n) {
					memcpy(m, base, n);
					m[pos] = bytes[k];
					if (cs__stix_pattern_fast(m, n, &f)) {
						check_fast_same(m, n);
						taken++;
					}
				}
				memcpy(m, base, pos);
				m[pos] = bytes[k];
				memcpy(m + pos + 1, base + pos, n - pos);
				if (cs__stix_pattern_fast(m, n + 1, &f)) {
					check_fast_same(m, n + 1);
					taken++;
				}
			}
			if (pos < n) {
				memcpy(m, base, pos);
				memcpy(m + pos + 1 - 1, base + pos + 1, n - pos - 1);
				if (cs__stix_pattern_fast(m, n - 1, &f)) {
					check_fast_same(m, n - 1);
					taken++;
				}
			}
		}
	}
	/* Changes inside the value are taken (all but quote, backslash, NUL). */
	assert_true(taken > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_spec_examples_parse),
	        cmocka_unit_test(test_single_hash),
	        cmocka_unit_test(test_canonical_paths),
	        cmocka_unit_test(test_adjacent_strings_in_path_fail),
	        cmocka_unit_test(test_quoted_path_escape),
	        cmocka_unit_test(test_or_inside_observation),
	        cmocka_unit_test(test_spec_or_and),
	        cmocka_unit_test(test_cmp_precedence),
	        cmocka_unit_test(test_cmp_parentheses),
	        cmocka_unit_test(test_obs_precedence),
	        cmocka_unit_test(test_followedby_lowest),
	        cmocka_unit_test(test_nested_obs_parentheses),
	        cmocka_unit_test(test_spec_followedby_within),
	        cmocka_unit_test(test_qualifiers),
	        cmocka_unit_test(test_bad_qualifiers),
	        cmocka_unit_test(test_string_escapes),
	        cmocka_unit_test(test_in_lists),
	        cmocka_unit_test(test_constants),
	        cmocka_unit_test(test_bad_constants),
	        cmocka_unit_test(test_operators),
	        cmocka_unit_test(test_keywords_case_sensitive),
	        cmocka_unit_test(test_spacing_and_comments),
	        cmocka_unit_test(test_bad_object_paths),
	        cmocka_unit_test(test_unterminated_string),
	        cmocka_unit_test(test_unbalanced),
	        cmocka_unit_test(test_deep_nesting),
	        cmocka_unit_test(test_empty_input),
	        cmocka_unit_test(test_nul_bytes),
	        cmocka_unit_test(test_trailing_garbage),
	        cmocka_unit_test(test_dnf_explosion),
	        cmocka_unit_test(test_dnf_or_cap),
	        cmocka_unit_test(test_dnf_weight_cap),
	        cmocka_unit_test(test_long_chains),
	        cmocka_unit_test(test_small_error_buffer),
	        cmocka_unit_test(test_free_null),
	        cmocka_unit_test(test_emit_simple_hash),
	        cmocka_unit_test(test_emit_hash_keys),
	        cmocka_unit_test(test_emit_in_list),
	        cmocka_unit_test(test_emit_like_and_matches),
	        cmocka_unit_test(test_emit_addresses),
	        cmocka_unit_test(test_emit_url_email_serial),
	        cmocka_unit_test(test_emit_compound),
	        cmocka_unit_test(test_emit_compound_normalised_terms),
	        cmocka_unit_test(test_emit_compound_in_expands),
	        cmocka_unit_test(test_emit_multi_observation),
	        cmocka_unit_test(test_emit_unsupported),
	        cmocka_unit_test(test_emit_bad_values),
	        cmocka_unit_test(test_emit_caps),
	        cmocka_unit_test(test_emit_qualifiers_partial),
	        cmocka_unit_test(test_emit_spec_examples),
	        cmocka_unit_test(test_fast_path_matches_parser),
	        cmocka_unit_test(test_fast_path_declines),
	        cmocka_unit_test(test_fast_path_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests of the YARA gate reader (lib/match/yara_gate.c): rule
 * extents, names and flags; the gates found (header tests, size bounds)
 * and the conditions that must stay ungated; texts refused; header tests
 * on short buffers; and a soundness oracle (ygate_oracle.h) that scans
 * probes with libyara itself, over a table of tricky rules and over every
 * signature-base rule file (skipped when the real-world folder is absent).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testutil.h"
#include "ygate_oracle.h"

static struct cs_ygate read_text(const char *text)
{
	struct cs_ygate g;

	assert_int_equal(cs__ygate_read(&g, text, strlen(text)), CS_OK);
	return g;
}

static void assert_name(const struct cs_yrule *r, const char *name)
{
	if (r->name_len != strlen(name) || memcmp(r->name, name, r->name_len) != 0)
		fail_msg("rule name '%.*s', expected '%s'", (int)r->name_len, r->name, name);
}

/* The text of rule r's extent. */
static void assert_extent(const char *text, const struct cs_yrule *r, const char *expect)
{
	size_t n = strlen(expect);

	if (r->end - r->start != n || memcmp(text + r->start, expect, n) != 0)
		fail_msg("extent '%.*s', expected '%s'", (int)(r->end - r->start), text + r->start,
		         expect);
}

/* ------------------------------------------------------------- extents */

static void test_extents(void **state)
{
	static const char text[] =
	        "import \"pe\"\n"
	        "// rule commented { condition: true }\n"
	        "/* rule also_commented {\n condition: true } */\n"
	        "private rule helper : tag_a tag_b {\n"
	        "  meta:\n"
	        "    description = \"rule fake { } \\\" { / }\"\n"
	        "    score = -5\n"
	        "    ok = true\n"
	        "  strings:\n"
	        "    $t = \"}{ /* \\\"rule x {\" ascii wide\n"
	        "    $h = { 4D 5A [2-4] ( 00 | 01 ) ?? // a } comment\n"
	        "           /* rule y { */ 9? }\n"
	        "    $r = /a\\/b}c/is\n"
	        "    $x = \"x\" xor(1-2)\n"
	        "    $condition = \"c\"\n"
	        "  condition:\n"
	        "    any of them\n"
	        "}\n"
	        "global rule g1 { condition: filesize < 10MB }\n"
	        "global private rule g2{condition:true}"
	        "rule last { condition: helper and \"}\" == \"}\" and filepath matches /}\\//i }";
	struct cs_ygate g = read_text(text);

	(void)state;
	assert_int_equal(g.complete, 1);
	assert_int_equal(g.nrules, 4);
	assert_name(&g.rules[0], "helper");
	assert_true(g.rules[0].priv);
	assert_false(g.rules[0].global);
	assert_true(strncmp(text + g.rules[0].start, "private rule helper", 19) == 0);
	assert_true(memcmp(text + g.rules[0].end - 17, "    any of them\n}", 17) == 0);
	assert_name(&g.rules[1], "g1");
	assert_true(g.rules[1].global);
	assert_false(g.rules[1].priv);
	assert_extent(text, &g.rules[1], "global rule g1 { condition: filesize < 10MB }");
	assert_int_equal(g.rules[1].max_size, 10u << 20);
	assert_name(&g.rules[2], "g2");
	assert_true(g.rules[2].global);
	assert_true(g.rules[2].priv);
	assert_extent(text, &g.rules[2], "global private rule g2{condition:true}");
	assert_name(&g.rules[3], "last");
	assert_extent(text, &g.rules[3],
	              "rule last { condition: helper and \"}\" == \"}\" and filepath matches "
	              "/}\\//i }");
	assert_int_equal(g.rules[3].ntests, 0);
	cs__ygate_release(&g);
}

/* ----------------------------------------------------------------- gates */

struct gcase {
	const char *cond; /* the condition of "rule r { strings: $a = "needle" condition: ... }" */
	unsigned ntests;
	struct cs_ygate_test t[3];
	uint64_t max_size;
};

#define NOBOUND UINT64_MAX
#define MZ                                                                                         \
	{                                                                                          \
		2, 0, 0x5a4d                                                                       \
	}
#define ELF                                                                                        \
	{                                                                                          \
		4, 0, 0x464c457f                                                                   \
	}

static const struct gcase gates[] = {
        {"uint16(0) == 0x5a4d and $a", 1, {MZ}, NOBOUND},
        {"0x5a4d == uint16(0) and $a", 1, {MZ}, NOBOUND},
        {"uint16(0) == 0x5A4D and $a", 1, {MZ}, NOBOUND},
        {"uint16(0) == 23117 and $a", 1, {MZ}, NOBOUND},
        {"uint16(0) == 0o55115 and $a", 1, {MZ}, NOBOUND},
        {"uint16(0)==0x5a4d and$a", 1, {MZ}, NOBOUND},
        {"uint16 ( 0 ) == 0x5a4d and $a", 1, {MZ}, NOBOUND},
        {"uint16(0x0) == 0x5a4d and $a", 1, {MZ}, NOBOUND},
        {"uint16(0) /* c */ == // c\n 0x5a4d and $a", 1, {MZ}, NOBOUND},
        {"$a and uint16(0) == 0x5a4d", 1, {MZ}, NOBOUND},
        {"(uint16(0) == 0x5a4d) and $a", 1, {MZ}, NOBOUND},
        {"((uint16(0) == 0x5a4d and $a))", 1, {MZ}, NOBOUND},
        {"uint32(0) == 0x464c457f and $a", 1, {ELF}, NOBOUND},
        {"uint32be(0) == 0x7f454c46 and $a", 1, {{4, 1, 0x7f454c46}}, NOBOUND},
        {"uint16be(0) == 0x4d5a and $a", 1, {{2, 1, 0x4d5a}}, NOBOUND},
        {"uint8(0) == 0x4d and $a", 1, {{1, 0, 0x4d}}, NOBOUND},
        {"uint8(0) == 0x1ff and $a", 1, {{1, 0, 0x1ff}}, NOBOUND}, /* never true */
        {"(uint16(0) == 0x5a4d or uint32(0) == 0x464c457f) and $a", 2, {MZ, ELF}, NOBOUND},
        {"((uint16(0) == 0x5a4d) or (0x464c457f == uint32(0))) and $a", 2, {MZ, ELF}, NOBOUND},
        {"(uint16(0) == 0x5a4d or uint32(0) == 0x464c457f or uint8(0) == 0x50) and $a",
         3,
         {MZ, ELF, {1, 0, 0x50}},
         NOBOUND},
        {"uint16(0) == 0x5a4d and uint32(0) == 0x00905a4d and $a", 1, {MZ}, NOBOUND},
        {"$a and filesize < 100KB", 0, {{0, 0, 0}}, 102400},
        {"filesize <= 1MB and $a", 0, {{0, 0, 0}}, 1048577},
        {"100KB > filesize and $a", 0, {{0, 0, 0}}, 102400},
        {"1MB >= filesize and $a", 0, {{0, 0, 0}}, 1048577},
        {"filesize<300 and $a", 0, {{0, 0, 0}}, 300},
        {"filesize < 0x400 and $a", 0, {{0, 0, 0}}, 1024},
        {"(filesize < 50) and $a", 0, {{0, 0, 0}}, 50},
        {"filesize < 2MB and filesize < 100 and $a", 0, {{0, 0, 0}}, 100},
        {"filesize < 100 and filesize <= 2MB and $a", 0, {{0, 0, 0}}, 100},
        {"uint16(0) == 0x5a4d and filesize < 200 and $a", 1, {MZ}, 200},
        {"(uint16(0) == 0x5a4d and filesize < 200 and $a)", 1, {MZ}, 200},
        {"filesize < 0 and $a", 0, {{0, 0, 0}}, 0},
        {"uint16(0) == 0x5a4d and for any i in (0..1) : (filesize < 10 or $a)", 1, {MZ}, NOBOUND},
        {"uint16(0) == 0x5a4d and filepath matches /x/i and $a", 1, {MZ}, NOBOUND},
        {"uint16(0) == 0x5a4d and not (filesize < 10) and $a", 1, {MZ}, NOBOUND},
        {"uint16(0) == 0x5a4d and $a and for any of ($a) : ( $ at 0 )", 1, {MZ}, NOBOUND},
        /* Short files: the header test is undefined, and so false. */
        {"uint16(0) == 0 and filesize < 3 and ($a or true)", 1, {{2, 0, 0}}, 3},
        {"uint32(0) == 0 and ($a or true)", 1, {{4, 0, 0}}, NOBOUND},
        {"uint8(0) == 0 and filesize <= 1 and ($a or true)", 1, {{1, 0, 0}}, 2},
        {"filesize < 2 and ($a or true)", 0, {{0, 0, 0}}, 2},
};

/* Conditions with no gate; "!" marks one libyara does not compile. */
static const char *const ungated[] = {
        "uint16(0) == 0x5a4d or $a",
        "$a or uint16(0) == 0x5a4d and filesize < 10",
        "uint16(0) == 0x5a4d and filesize < 10 and $a or true",
        "(uint16(0) == 0x5a4d and $a) or filesize < 10",
        "not uint16(0) == 0x5a4d and $a",
        "not (uint16(0) == 0x5a4d) and $a",
        "uint16(0) != 0x5a4d and $a",
        "!uint16(0) == 0x5a4d == true and $a",
        "!uint16(0) == (0x5a4d == 0x5a4d) and $a",
        "uint16(1) == 0x5a4d and $a",
        "uint16(0+0) == 0x5a4d and $a",
        "int16(0) == 0x5a4d and $a",
        "int32(0) == 0x464c457f and $a",
        "uint16(0) + 1 == 0x5a4e and $a",
        "uint16(0) == 0x5a4d + 0 and $a",
        "uint16(0) == 0x5a4d * 1 and $a",
        "uint16(0) == -1 and $a",
        "uint16(0) == 23117.0 and $a",
        "uint16(0) & 0xffff == 0x5a4d and $a",
        "uint16(0) | 0 == 0x5a4d and $a",
        "uint16(0) >= 0x5a4d and $a",
        "uint16(0) < 2 and $a",
        "filesize > 100 and $a",
        "filesize >= 100 and $a",
        "100 < filesize and $a",
        "filesize != 100 and $a",
        "filesize == 100 and $a",
        "filesize < 1.5 and $a",
        "filesize < 100 * 1024 and $a",
        "filesize - 1 < 100 and $a",
        "filesize < 100 + 1 and $a",
        "filesize < -1 and $a",
        "!filesize < 9999999999999999999 and $a",
        "not filesize < 100 and $a",
        "for any i in (0..1) : ( filesize < 100 ) and $a",
        "for all i in (0..1) : ( uint16(0) == 0x5a4d ) and $a",
        "(filesize < 100 or $a) and $a",
        "(uint16(0) == 0x5a4d or $a) and $a",
        "(uint16(0) == 0x5a4d or uint16(0) == 0x4b50 and $a) and $a",
        "defined uint16(0) and $a",
        "defined (uint16(0) == 0x5a4d) and $a",
        "$a and uint16(0) == 0x5a4d or not $a",
        /* Bug 1: libyara ends a regex's flags at "i?s?": "/x/or" is "/x/" "or". */
        "uint16(0) == 0x5a4d and filepath matches /x/or true",
        "uint16(0) == 0x5a4d and filesize < 10 and filepath matches /x/isor true",
        /* Bug 2: libyara ends a number where its digits end: "10or" is 10 "or". */
        "uint16(0) == 0x5a4d and filesize < 10or true",
        "uint16(0) == 0x5a4dor true",
        "uint16(0) == 0x5a4d and filesize < 1KBor true",
        "uint16(0) == 0x5a4d and filesize < 1.5or true",
        "uint16(0) == 0o55115or true",
};

/* "rule r { strings: $a = "needle" condition: COND }", without the
 * strings when COND does not use $a (libyara refuses an unused string). */
static char *rule_with(const char *cond)
{
	static const char head[] = "rule r { strings: $a = \"needle\" condition: ";
	char *s = malloc(strlen(head) + strlen(cond) + 4);

	assert_non_null(s);
	if (strstr(cond, "$a"))
		sprintf(s, "%s%s\n}", head, cond);
	else
		sprintf(s, "rule r { condition: %s\n}", cond);
	return s;
}

/* The oracle on one text: probes with its strings after each header, at
 * each interesting size. Returns how many probes matched some rule. */
static void oracle_text(const char *text, int must_compile)
{
	struct cs_ygate g;
	struct ygo o;
	struct ygo_buf body = {NULL, 0, 0};
	int rc;

	assert_int_equal(cs__ygate_read(&g, text, strlen(text)), CS_OK);
	rc = ygo_open(&o, &g, text, strlen(text));
	if (rc == -2)
		fail_msg("%s: %s", o.msg, text);
	if (rc != 0) {
		if (must_compile)
			fail_msg("libyara does not compile: %s", text);
		cs__ygate_release(&g);
		return;
	}
	if (ygo_same_rules(&o) != 0)
		fail_msg("%s: %s", o.msg, text);
	assert_int_equal(ygo_put(&body, "\0\0\0\0\n", 5), 0);
	assert_int_equal(ygo_strings(&o, NULL, &body), 0);
	if (ygo_probe_all(&o, body.p, body.len, 1 << 16) != 0)
		fail_msg("UNSOUND: %s\n  in: %s", o.msg, text);
	free(body.p);
	ygo_close(&o);
	cs__ygate_release(&g);
}

static void test_gates(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < CS_ARRAY_SIZE(gates); i++) {
		const struct gcase *c = &gates[i];
		char *text = rule_with(c->cond);
		struct cs_ygate g = read_text(text);

		print_message("gate: %s\n", c->cond);
		assert_int_equal(g.complete, 1);
		assert_int_equal(g.nrules, 1);
		assert_name(&g.rules[0], "r");
		assert_int_equal(g.rules[0].ntests, c->ntests);
		for (k = 0; k < c->ntests; k++) {
			const struct cs_ygate_test *t = &g.tests[g.rules[0].first_test + k];

			assert_int_equal(t->width, c->t[k].width);
			assert_int_equal(t->be, c->t[k].be);
			assert_int_equal(t->value, c->t[k].value);
		}
		assert_true(g.rules[0].max_size == c->max_size);
		cs__ygate_release(&g);
		oracle_text(text, 1);
		free(text);
	}
}

static void test_ungated(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < CS_ARRAY_SIZE(ungated); i++) {
		int valid = ungated[i][0] != '!';
		char *text = rule_with(ungated[i] + !valid);
		struct cs_ygate g;

		print_message("ungated: %s\n", ungated[i]);
		oracle_text(text, valid); /* first: the oracle alone must catch a bad gate */
		g = read_text(text);
		if (g.complete) {
			assert_int_equal(g.nrules, 1);
			assert_int_equal(g.rules[0].ntests, 0);
			assert_true(g.rules[0].max_size == NOBOUND);
		}
		cs__ygate_release(&g);
		free(text);
	}
}

/* Several rules in one text: each gets its own gates. */
static void test_gates_per_rule(void **state)
{
	static const char text[] =
	        "rule a { condition: uint16(0) == 0x5a4d }\n"
	        "rule b { condition: a or filesize < 10 }\n"
	        "rule c { strings: $c = \"c\" condition: filesize < 10 and $c }\n"
	        "rule d { condition: (uint8(0) == 1 or uint8(0) == 2) and filesize <= 5 }\n";
	struct cs_ygate g = read_text(text);

	(void)state;
	assert_int_equal(g.complete, 1);
	assert_int_equal(g.nrules, 4);
	assert_int_equal(g.rules[0].ntests, 1);
	assert_int_equal(g.tests[g.rules[0].first_test].value, 0x5a4d);
	assert_int_equal(g.rules[1].ntests, 0);
	assert_true(g.rules[1].max_size == NOBOUND);
	assert_int_equal(g.rules[2].ntests, 0);
	assert_int_equal(g.rules[2].max_size, 10);
	assert_int_equal(g.rules[3].ntests, 2);
	assert_int_equal(g.tests[g.rules[3].first_test].value, 1);
	assert_int_equal(g.tests[g.rules[3].first_test + 1].value, 2);
	assert_int_equal(g.rules[3].max_size, 6);
	cs__ygate_release(&g);
	oracle_text(text, 1);
}

/* ------------------------------------------------------------- refused */

static const char *const refused[] = {
        "rule a { condition: true } /* unterminated",
        "rule a { strings: $a = \"unterminated condition: $a }",
        "rule a { strings: $a = \"line\nbreak\" condition: $a }",
        "rule a { strings: $a = { 4D 5A condition: $a }",
        "rule a { strings: $a = { 4D { 5A } } condition: $a }",
        "rule a { strings: $a = /unterminated condition: $a }",
        "rule a { condition: filepath matches /unterminated }",
        "rule a { condition: uint16(0) == 0x5a4d and filesize / 2 < 10 }",
        "include \"other.yar\"\nrule a { condition: uint16(0) == 0x5a4d }",
        "rule a { condition: true }\ninclude \"other.yar\"\n",
        "rule a { condition: true }\ngarbage\nrule b { condition: true }",
        "rule a { condition: true } ; rule b { condition: true }",
        "rule a { condition: uint16(0) == 0x5a4d and { }",
        "rule a { condition: uint16(0) == 0x5a4d",
        "rule a { condition: uint16(0) == 0x5a4d and",
        "rule a { strings: $a = \"x\" }",
        "rule a { condition }",
        "rule { condition: true }",
        "rule 1a { condition: true }",
        "rule a condition: true }",
        "rule",
        "private",
        "import \"pe\" rule",
        "import pe rule a { condition: true }",
};

static void test_refused(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < CS_ARRAY_SIZE(refused); i++) {
		struct cs_ygate g = read_text(refused[i]);

		print_message("refused: %s\n", refused[i]);
		assert_int_equal(g.complete, 0);
		cs__ygate_release(&g);
	}
}

/* libyara compiles a text up to its first NUL; the reader refuses one. */
static void test_nul_refused(void **state)
{
	static const char t[] = "rule a { condition: true } // \0\n"
	                        "rule b { condition: uint16(0) == 0x5a4d }";
	struct cs_ygate g;

	(void)state;
	assert_int_equal(cs__ygate_read(&g, t, sizeof(t) - 1), CS_OK);
	assert_int_equal(g.complete, 0);
	cs__ygate_release(&g);
	assert_int_equal(cs__ygate_read(&g, "", 0), CS_OK);
	assert_int_equal(g.complete, 1);
	assert_int_equal(g.nrules, 0);
	cs__ygate_release(&g);
	assert_int_equal(cs__ygate_read(&g, NULL, 0), CS_OK);
	assert_int_equal(g.nrules, 0);
	cs__ygate_release(&g);
}

/* Every truncation of a good text is read without harm; a cut inside a
 * rule is refused. */
static void test_truncations(void **state)
{
	static const char t[] =
	        "import \"pe\"\nrule a : t { meta: m = \"v\" strings: $a = { 4D [1-2] 5A }"
	        " $b = /x\\/y/i condition: (uint16(0) == 0x5a4d or "
	        "uint8(0) == 1) and filesize < 1KB and $a and $b }";
	size_t n;

	(void)state;
	for (n = 0; n < sizeof(t) - 1; n++) {
		struct cs_ygate g;
		char *copy = malloc(n ? n : 1);

		assert_non_null(copy);
		memcpy(copy, t, n);
		assert_int_equal(cs__ygate_read(&g, copy, n), CS_OK);
		assert_int_equal(g.nrules, 0);
		if (n > 12)
			assert_int_equal(g.complete, 0);
		cs__ygate_release(&g);
		free(copy);
	}
}

/* -------------------------------------------------------------- holds */

static void test_holds(void **state)
{
	static const struct cs_ygate_test mz = {2, 0, 0x5a4d}, mzbe = {2, 1, 0x4d5a},
	                                  elf = {4, 0, 0x464c457f}, elfbe = {4, 1, 0x7f454c46},
	                                  b = {1, 0, 0x4d}, wide = {1, 0, 0x14d},
	                                  wide2 = {2, 0, 0x15a4d}, zero = {4, 0, 0};
	static const unsigned char m[] = {'M', 'Z', 0x90, 0};
	static const unsigned char e[] = {0x7f, 'E', 'L', 'F'};

	(void)state;
	assert_true(cs__ygate_holds(&mz, m, 4));
	assert_true(cs__ygate_holds(&mz, m, 2));
	assert_false(cs__ygate_holds(&mz, m, 1)); /* undefined: false */
	assert_false(cs__ygate_holds(&mz, m, 0));
	assert_true(cs__ygate_holds(&mzbe, m, 2));
	assert_false(cs__ygate_holds(&mzbe, e, 4));
	assert_true(cs__ygate_holds(&elf, e, 4));
	assert_false(cs__ygate_holds(&elf, e, 3));
	assert_true(cs__ygate_holds(&elfbe, e, 4));
	assert_false(cs__ygate_holds(&elfbe, m, 4));
	assert_true(cs__ygate_holds(&b, m, 1));
	assert_false(cs__ygate_holds(&b, m, 0));
	assert_false(cs__ygate_holds(&wide, m, 4));  /* wider than the width: never */
	assert_false(cs__ygate_holds(&wide2, m, 4)); /* likewise */
	assert_false(cs__ygate_holds(&zero, (const unsigned char *)"\0\0\0", 3));
	assert_true(cs__ygate_holds(&zero, (const unsigned char *)"\0\0\0\0", 4));
}

/* The oracle sees matches, private rules included, and only this scan's. */
static void test_oracle_sees(void **state)
{
	static const char t[] = "private rule p { condition: uint8(0) == 1 }\n"
	                        "rule q { condition: p }\n"
	                        "rule s { strings: $s = \"needle\" condition: $s }\n";
	struct cs_ygate g = read_text(t);
	struct ygo o;
	const YR_RULE *rule;
	size_t on = 0;

	(void)state;
	assert_int_equal(ygo_open(&o, &g, t, strlen(t)), 0);
	assert_int_equal(ygo_check(&o, (const unsigned char *)"\1 needle", 9), 0);
	yr_rules_foreach(o.rules, rule) on += (size_t)ygo_matched(&o, rule);
	assert_int_equal(on, 3);
	assert_int_equal(ygo_check(&o, (const unsigned char *)"\2", 1), 0);
	on = 0;
	yr_rules_foreach(o.rules, rule) on += (size_t)ygo_matched(&o, rule);
	assert_int_equal(on, 0);
	/* A gate that libyara contradicts is caught. */
	g.rules[2].max_size = 5;
	assert_int_equal(ygo_check(&o, (const unsigned char *)"\2 needle", 9), -1);
	assert_non_null(strstr(o.msg, "rule s matches a 9-byte probe"));
	ygo_close(&o);
	cs__ygate_release(&g);
}

/* --------------------------------------------------------- real world */

/* Four bytes for which no alternative of r holds, or -1. */
static int failing_header(const struct cs_ygate *g, const struct cs_yrule *r, unsigned char *h)
{
	static const unsigned char cand[][4] = {{0, 0, 0, 0},        {0xff, 0xff, 0xff, 0xff},
	                                        {'M', 'Z', 0x90, 0}, {0x7f, 'E', 'L', 'F'},
	                                        {'P', 'K', 3, 4},    {0x12, 0x34, 0x56, 0x78}};
	size_t c, k;

	for (c = 0; c < CS_ARRAY_SIZE(cand); c++) {
		int any = 0;

		for (k = 0; k < r->ntests; k++)
			any |= cs__ygate_holds(&g->tests[r->first_test + k], cand[c], 4);
		if (!any) {
			memcpy(h, cand[c], 4);
			return 0;
		}
	}
	return -1;
}

/* The reader's rule named like `rule`, or NULL. */
static const struct cs_yrule *reader_rule(const struct cs_ygate *g, const YR_RULE *rule)
{
	size_t i, nl = strlen(rule->identifier);

	for (i = 0; i < g->nrules; i++)
		if (g->rules[i].name_len == nl &&
		    memcmp(g->rules[i].name, rule->identifier, nl) == 0)
			return &g->rules[i];
	return NULL;
}

struct rw_stats {
	size_t files, compiled, complete, rules, gated, bounded, probes, positive;
};

/* One rule file: every gated rule, with its literal strings after a
 * header that fails the gate and at a size that fails the bound, must
 * not match; with a passing header and size it may (counted). */
static void real_file(const char *path, struct rw_stats *st)
{
	size_t len;
	char *text = cs_test_slurp(path, &len);
	struct cs_ygate g;
	struct ygo o;
	const YR_RULE *rule;
	int rc;

	st->files++;
	assert_int_equal(cs__ygate_read(&g, text, len), CS_OK);
	rc = ygo_open(&o, &g, text, len);
	if (rc == -2)
		fail_msg("%s: %s", path, o.msg);
	if (rc != 0) {
		cs__ygate_release(&g);
		free(text);
		return;
	}
	st->compiled++;
	st->complete += (size_t)g.complete;
	if (g.complete && ygo_same_rules(&o) != 0)
		fail_msg("%s: %s", path, o.msg);
	yr_rules_foreach(o.rules, rule)
	{
		const struct cs_yrule *r = reader_rule(&g, rule);
		struct ygo_buf b = {NULL, 0, 0};
		unsigned char h[4];

		st->rules++;
		if (!g.complete || !r || (!r->ntests && r->max_size == NOBOUND))
			continue;
		st->gated += r->ntests > 0;
		st->bounded += r->max_size != NOBOUND;
		assert_int_equal(ygo_put(&b, "\0\0\0\0\n", 5), 0);
		assert_int_equal(ygo_strings(&o, rule, &b), 0);
		/* A header that fails, at a size that passes (or any). */
		if (r->ntests && failing_header(&g, r, h) == 0) {
			size_t n = b.len;

			if (r->max_size != NOBOUND && n >= r->max_size)
				n = r->max_size ? (size_t)r->max_size - 1 : 0;
			memcpy(b.p, h, 4);
			st->probes++;
			if (ygo_check(&o, b.p, n) < 0)
				fail_msg("UNSOUND in %s: %s", path, o.msg);
		}
		/* A header that passes: a control, then the size bound. */
		if (r->ntests)
			ygo_header(&g.tests[r->first_test], b.p);
		if (r->max_size == NOBOUND || b.len < r->max_size) {
			st->probes++;
			rc = ygo_check(&o, b.p, b.len);
			if (rc < 0)
				fail_msg("UNSOUND in %s: %s", path, o.msg);
			st->positive += rc == 0 && ygo_matched(&o, rule);
		}
		if (r->max_size != NOBOUND && r->max_size <= YGO_MAX_PROBE) {
			assert_int_equal(ygo_pad(&b, (size_t)r->max_size), 0);
			st->probes++;
			if (ygo_check(&o, b.p, (size_t)r->max_size) < 0)
				fail_msg("UNSOUND in %s: %s", path, o.msg);
		}
		free(b.p);
	}
	ygo_close(&o);
	cs__ygate_release(&g);
	free(text);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_real_signature_base(void **state)
{
	const char *dir = CS_TEST_REAL_WORLD("signature-base/yara");
	char base[4096], **names = NULL;
	size_t n = 0, cap = 0, i;
	struct rw_stats st;
	struct dirent *de;
	DIR *d;
	time_t t0 = time(NULL);

	(void)state;
	memset(&st, 0, sizeof(st));
	snprintf(base, sizeof(base), "%s", dir);
	d = opendir(base);
	if (!d) {
		print_message("SKIP: %s absent\n", base);
		skip();
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l < 5 || strcmp(de->d_name + l - 4, ".yar") != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			names = realloc(names, cap * sizeof(*names));
			assert_non_null(names);
		}
		names[n] = malloc(strlen(base) + l + 2);
		assert_non_null(names[n]);
		sprintf(names[n], "%s/%s", base, de->d_name);
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		real_file(names[i], &st);
		free(names[i]);
	}
	free(names);
	print_message("signature-base: %zu files, %zu compile, %zu read completely; %zu rules, "
	              "%zu with a header gate, %zu with a size bound; %zu probes, %zu gated rules "
	              "matched their passing probe; %lds\n",
	              st.files, st.compiled, st.complete, st.rules, st.gated, st.bounded, st.probes,
	              st.positive, (long)(time(NULL) - t0));
	assert_true(st.compiled > 100);
	assert_true(st.gated > 100);
	assert_true(st.positive > 0);
}

static int setup(void **state)
{
	(void)state;
	return yr_initialize() == ERROR_SUCCESS ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	yr_finalize();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_extents),     cmocka_unit_test(test_gates),
	        cmocka_unit_test(test_ungated),     cmocka_unit_test(test_gates_per_rule),
	        cmocka_unit_test(test_refused),     cmocka_unit_test(test_nul_refused),
	        cmocka_unit_test(test_truncations), cmocka_unit_test(test_holds),
	        cmocka_unit_test(test_oracle_sees), cmocka_unit_test(test_real_signature_base),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

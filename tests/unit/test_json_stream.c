/*
 * The streaming JSON walker (lib/intel/json_stream.c): spans of values,
 * walking containers, structural faults and their positions, the caps,
 * element parsing with positions in the file, and the label helpers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "intel/json_stream_int.h"

static void scan_str(struct cs_json_scan *s, const char *text)
{
	cs__json_scan_init(s, text, strlen(text));
}

static void test_skip_scalars_and_strings(void **state)
{
	static const struct {
		const char *text;
		size_t len; /* of the first value */
	} cases[] = {
	        {"\"plain\" ,", 7},
	        {"\"esc\\\"aped\\\\\"]", 13},
	        {"\"\\\\\\\\\"x", 6},
	        {"12.5e3,", 6},
	        {"-0}", 2},
	        {"true]", 4},
	        {"null", 4},
	        {"{\"a\":[1,{\"b\":\"]}\"}]}, 1", 20},
	        {"[[], {}, \"[\"]", 13},
	};
	struct cs_json_scan s;
	struct cs_json_span sp;
	size_t i;

	(void)state;
	for (i = 0; i < CS_ARRAY_SIZE(cases); i++) {
		scan_str(&s, cases[i].text);
		assert_int_equal(cs__json_skip(&s, &sp), CS_OK);
		assert_int_equal(sp.off, 0);
		assert_int_equal(sp.len, cases[i].len);
		assert_int_equal(s.pos, cases[i].len);
	}
}

static void test_collect_array_elements(void **state)
{
	const char *text = "  [1, {\"a\": [2, 3]} ,\"x,]\" , [ ] ]  ";
	struct cs_json_spans sp = {NULL, 0, 0};
	struct cs_json_scan s;

	(void)state;
	scan_str(&s, text);
	assert_int_equal(cs__json_collect(&s, &sp), CS_OK);
	assert_int_equal(sp.n, 4);
	assert_memory_equal(text + sp.v[0].off, "1", 1);
	assert_int_equal(sp.v[1].len, strlen("{\"a\": [2, 3]}"));
	assert_memory_equal(text + sp.v[1].off, "{\"a\": [2, 3]}", sp.v[1].len);
	assert_memory_equal(text + sp.v[2].off, "\"x,]\"", sp.v[2].len);
	assert_memory_equal(text + sp.v[3].off, "[ ]", sp.v[3].len);
	assert_int_equal(cs__json_peek(&s), -1);
	assert_int_equal(s.depth, 0);
	cs__json_spans_release(&sp);
}

static void test_collect_empty_array(void **state)
{
	struct cs_json_spans sp = {NULL, 0, 0};
	struct cs_json_scan s;

	(void)state;
	scan_str(&s, "[ \n ]");
	assert_int_equal(cs__json_collect(&s, &sp), CS_OK);
	assert_int_equal(sp.n, 0);
	cs__json_spans_release(&sp);
}

static void test_truncated_keeps_complete_elements(void **state)
{
	const char *text = "[{\"a\": 1}, {\"b\": 2}, {\"c\": [3, ";
	struct cs_json_spans sp = {NULL, 0, 0};
	struct cs_json_scan s;

	(void)state;
	scan_str(&s, text);
	assert_int_equal(cs__json_collect(&s, &sp), CS_ERR_PARSE);
	assert_int_equal(sp.n, 2);
	assert_int_equal(s.err, CS_ERR_PARSE);
	assert_int_equal(s.err_off, strlen(text));
	assert_non_null(strstr(s.errmsg, "end of input"));
	/* A failed scanner keeps failing the same way. */
	assert_int_equal(cs__json_skip(&s, NULL), CS_ERR_PARSE);
	assert_int_equal(s.err_off, strlen(text));
	cs__json_spans_release(&sp);
}

static void test_truncated_inside_string(void **state)
{
	const char *text = "[\"abc\", \"de\\\"";
	struct cs_json_spans sp = {NULL, 0, 0};
	struct cs_json_scan s;

	(void)state;
	scan_str(&s, text);
	assert_int_equal(cs__json_collect(&s, &sp), CS_ERR_PARSE);
	assert_int_equal(sp.n, 1);
	cs__json_spans_release(&sp);
}

static void test_mismatched_bracket_position(void **state)
{
	const char *text = "[{\"a\": 1}, {\"b\": [2}]";
	struct cs_json_spans sp = {NULL, 0, 0};
	struct cs_json_scan s;

	(void)state;
	scan_str(&s, text);
	assert_int_equal(cs__json_collect(&s, &sp), CS_ERR_PARSE);
	assert_int_equal(sp.n, 1);
	assert_int_equal(s.err_off, (size_t)(strrchr(text, '}') - text));
	assert_non_null(strstr(s.errmsg, "expected ']'"));
	cs__json_spans_release(&sp);
}

static void test_missing_comma_between_elements(void **state)
{
	const char *text = "[1, 2 3]";
	struct cs_json_spans sp = {NULL, 0, 0};
	struct cs_json_scan s;

	(void)state;
	scan_str(&s, text);
	assert_int_equal(cs__json_collect(&s, &sp), CS_ERR_PARSE);
	assert_int_equal(sp.n, 2);
	assert_int_equal(s.err_off, 6);
	cs__json_spans_release(&sp);
}

static void test_trailing_comma_is_a_fault(void **state)
{
	struct cs_json_spans sp = {NULL, 0, 0};
	struct cs_json_scan s;

	(void)state;
	scan_str(&s, "[1, 2, ]");
	assert_int_equal(cs__json_collect(&s, &sp), CS_ERR_PARSE);
	assert_int_equal(sp.n, 2);
	assert_int_equal(s.err_off, 7);
	cs__json_spans_release(&sp);
}

static void test_depth_cap_on_100000_brackets(void **state)
{
	size_t n = 100000;
	char *text = malloc(n + 1);
	struct cs_json_spans sp = {NULL, 0, 0};
	struct cs_json_scan s;

	(void)state;
	assert_non_null(text);
	memset(text, '[', n);
	text[n] = '\0';
	cs__json_scan_init(&s, text, n);
	assert_int_equal(cs__json_collect(&s, &sp), CS_ERR_TOOBIG);
	assert_int_equal(sp.n, 0);
	/* The first bracket is the array being collected (depth 1); the
	 * fault is at the first bracket beyond the cap. */
	assert_int_equal(s.err_off, CS_JSON_MAX_DEPTH);
	assert_non_null(strstr(s.errmsg, "nesting deeper"));
	cs__json_spans_release(&sp);
	free(text);
}

static void test_depth_within_cap_is_fine(void **state)
{
	size_t d = CS_JSON_MAX_DEPTH - 1, i;
	char *text = malloc(2 * d + 3);
	struct cs_json_spans sp = {NULL, 0, 0};
	struct cs_json_scan s;

	(void)state;
	assert_non_null(text);
	text[0] = '[';
	for (i = 0; i < d; i++) {
		text[1 + i] = '[';
		text[1 + d + i] = ']';
	}
	text[1 + 2 * d] = ']';
	text[2 + 2 * d] = '\0';
	cs__json_scan_init(&s, text, 2 * d + 2);
	assert_int_equal(cs__json_collect(&s, &sp), CS_OK);
	assert_int_equal(sp.n, 1);
	cs__json_spans_release(&sp);
	free(text);
}

static void test_object_members_and_keys(void **state)
{
	const char *text = "{\"type\": \"bundle\", \"objects\": [1, 2], \"x\": {\"y\": null}}";
	struct cs_json_scan s;
	struct cs_json_level lv;
	struct cs_json_span key, v;
	int n = 0;

	(void)state;
	scan_str(&s, text);
	assert_int_equal(cs__json_enter(&s, &lv), CS_OK);
	while (cs__json_next(&s, &lv, &key) == 1) {
		assert_int_equal(cs__json_skip(&s, &v), CS_OK);
		if (n == 0) {
			assert_true(cs__json_str_eq(text, key, "type"));
			assert_true(cs__json_str_eq(text, v, "bundle"));
		}
		if (n == 1)
			assert_true(cs__json_str_eq(text, key, "objects"));
		n++;
	}
	assert_int_equal(s.err, CS_OK);
	assert_int_equal(n, 3);
	assert_int_equal(s.depth, 0);
}

static void test_member_lookup_last_wins_and_escapes(void **state)
{
	const char *text =
	        "{\"id\": \"x\", \"type\": \"first\", \"ty\\u0070e\": \"last\", \"n\": 1}";
	struct cs_json_span obj = {0, strlen(text)}, v;

	(void)state;
	assert_int_equal(cs__json_member(text, obj, "type", &v), 1);
	assert_true(cs__json_str_eq(text, v, "last"));
	assert_int_equal(cs__json_member(text, obj, "missing", &v), 0);
	assert_int_equal(cs__json_member("[1]", (struct cs_json_span){0, 3}, "a", &v), 0);
	assert_true(cs__json_member("{\"a\" 1}", (struct cs_json_span){0, 7}, "a", &v) < 0);
}

static void test_str_eq_decodes_escapes(void **state)
{
	const char *text = "\"in\\u0064icator\"";
	struct cs_json_span sp = {0, strlen(text)};

	(void)state;
	assert_true(cs__json_str_eq(text, sp, "indicator"));
	assert_false(cs__json_str_eq(text, sp, "indicato"));
	assert_false(cs__json_str_eq("5", (struct cs_json_span){0, 1}, "5"));
}

static void test_bom_is_skipped(void **state)
{
	const char *text = "\xEF\xBB\xBF [\"a\"]";
	struct cs_json_spans sp = {NULL, 0, 0};
	struct cs_json_scan s;

	(void)state;
	scan_str(&s, text);
	assert_int_equal(cs__json_peek(&s), '[');
	assert_int_equal(cs__json_collect(&s, &sp), CS_OK);
	assert_int_equal(sp.n, 1);
	cs__json_spans_release(&sp);
}

static void test_nul_bytes_do_not_stop_the_scanner(void **state)
{
	static const char text[] = "[\"a\0b\", 1, \"\0\"]";
	struct cs_json_spans sp = {NULL, 0, 0};
	struct cs_json_scan s;

	(void)state;
	cs__json_scan_init(&s, text, sizeof(text) - 1);
	assert_int_equal(cs__json_collect(&s, &sp), CS_OK);
	assert_int_equal(sp.n, 3);
	assert_int_equal(sp.v[0].len, 5);
	cs__json_spans_release(&sp);
}

static void test_skip_rejects_missing_value(void **state)
{
	struct cs_json_scan s;

	(void)state;
	scan_str(&s, "  , 1");
	assert_int_equal(cs__json_skip(&s, NULL), CS_ERR_PARSE);
	assert_int_equal(s.err_off, 2);
	scan_str(&s, "   ");
	assert_int_equal(cs__json_skip(&s, NULL), CS_ERR_PARSE);
}

/* cs__json_validate() and jansson agree on `text`. */
static void same_verdict(const char *text, size_t len)
{
	struct cs_json_span sp = {0, len};
	json_t *v = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	const char *msg = NULL;
	size_t at = 0;
	int ours = cs__json_validate(text, sp, &at, &msg);

	if ((v != NULL) != (ours == CS_OK))
		fail_msg("validator %s, jansson %s: '%.*s'", ours ? "rejects" : "accepts",
		         v ? "accepts" : "rejects", (int)len, text);
	if (ours)
		assert_true(at <= len);
	json_decref(v);
}

static void test_validate_agrees_with_jansson(void **state)
{
	static const char *const cases[] = {
	        "0",
	        "-0",
	        "01",
	        "1.",
	        "1.5",
	        "-",
	        "1e",
	        "1e+5",
	        "1E-2",
	        ".5",
	        "+1",
	        "1 2",
	        "9223372036854775807",
	        "9223372036854775808",
	        "-9223372036854775808",
	        "-9223372036854775809",
	        "123456789012345678901",
	        "1e400",
	        "-1e400",
	        "1e-400",
	        "true",
	        "tru",
	        "nulls",
	        "false ",
	        " [ ] ",
	        "[1,]",
	        "[,1]",
	        "{\"a\":}",
	        "{\"a\" 1}",
	        "{\"a\":1,}",
	        "{a:1}",
	        "{\"a\":1 \"b\":2}",
	        "[1 2]",
	        "[[]]]",
	        "[[]",
	        "\"abc",
	        "\"\\ud800\"",
	        "\"\\udc00\"",
	        "\"\\ud800\\udc00\"",
	        "\"\\ud800x\"",
	        "\"\\u00e9\"",
	        "\"\\u0000\"",
	        "\"\\x\"",
	        "\"\\u12G4\"",
	        "\"\t\"",
	        "\"\x7f\"",
	        "\"\xc3\xa9\"",
	        "\"\xc0\x80\"",
	        "\"\xed\xa0\x80\"",
	        "\"\xf4\x90\x80\x80\"",
	        "\"\xf0\x9f\x98\x80\"",
	        "\"\xe2\x82\"",
	        "\"\xff\"",
	        "\xc3\xa9",
	        "",
	        "   ",
	        "{}",
	        "[]",
	        "{\"a\":[{\"b\":null}]}",
	};
	static const char *const seeds[] = {
	        "{\"type\": \"indicator\", \"n\": [1, -2.5e3, true, false, null],"
	        " \"s\": \"a\\\"b\\\\c\\u00e9\\ud83d\\ude00\"}",
	        "[{\"Event\": {\"info\": \"x\", \"Attribute\": [{\"to_ids\": true}]}}]",
	};
	static const char bytes[] = "{}[],:\"\\ -+.eE0129tfnu\x80\xc3\xa9\xed\xf0\x1f";
	char buf[256];
	unsigned long x = 12345;
	size_t i;

	(void)state;
	for (i = 0; i < CS_ARRAY_SIZE(cases); i++)
		same_verdict(cases[i], strlen(cases[i]));
	/* Random edits of valid documents (a fixed generator: reproducible). */
	for (i = 0; i < 50000; i++) {
		const char *seed = seeds[i % CS_ARRAY_SIZE(seeds)];
		size_t len = strlen(seed), k, edits;

		memcpy(buf, seed, len);
		for (edits = 1 + i % 3; edits > 0 && len > 0; edits--) {
			x = x * 6364136223846793005UL + 1442695040888963407UL;
			k = (x >> 33) % len;
			switch ((x >> 20) % 4) {
			case 0: /* replace */
				buf[k] = bytes[(x >> 8) % (sizeof(bytes) - 1)];
				break;
			case 1: /* delete */
				memmove(buf + k, buf + k + 1, len - k - 1);
				len--;
				break;
			case 2: /* insert */
				if (len + 1 < sizeof(buf)) {
					memmove(buf + k + 1, buf + k, len - k);
					buf[k] = bytes[(x >> 8) % (sizeof(bytes) - 1)];
					len++;
				}
				break;
			default: /* truncate */
				len = k + 1;
				break;
			}
		}
		same_verdict(buf, len);
	}
}

/* A reader context over `text` with diagnostics collected in `d`. */
static void make_ctx(struct cs_reader_ctx *ctx, struct cs_intel *in, const char *text,
                     struct cs_test_diags *d)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->intel = in;
	ctx->path = "mem.json";
	ctx->data = text;
	ctx->len = strlen(text);
	cs_intel_set_diag(in, cs_test_diag_cb, d);
}

static void test_load_reports_position_in_file(void **state)
{
	const char *text = "[\n  {\"a\": 1},\n  {\"b\" 2}\n]\n";
	struct cs_test_diags *d = calloc(1, sizeof(*d));
	struct cs_intel *in = cs_intel_new();
	struct cs_json_spans sp = {NULL, 0, 0};
	struct cs_reader_ctx ctx;
	struct cs_json_scan s;
	json_t *v;

	(void)state;
	assert_non_null(d);
	assert_non_null(in);
	make_ctx(&ctx, in, text, d);
	scan_str(&s, text);
	assert_int_equal(cs__json_collect(&s, &sp), CS_OK);
	assert_int_equal(sp.n, 2);
	v = cs__json_load(&ctx, sp.v[0], "test element");
	assert_non_null(v);
	json_decref(v);
	assert_null(cs__json_load(&ctx, sp.v[1], "test element"));
	assert_int_equal(ctx.rejected, 1);
	/* {"b" 2} starts at line 3 column 3; jansson stops at the 2. */
	assert_true(cs_test_diags_have(d, "mem.json:3:"));
	assert_true(cs_test_diags_have(d, "json-syntax: test element:"));
	cs__json_spans_release(&sp);
	cs_intel_free(in);
	free(d);
}

static void test_report_names_line_and_column(void **state)
{
	const char *text = "[\n {\"a\": 1},\n {\"b\": ";
	struct cs_test_diags *d = calloc(1, sizeof(*d));
	struct cs_intel *in = cs_intel_new();
	struct cs_json_spans sp = {NULL, 0, 0};
	struct cs_reader_ctx ctx;
	struct cs_json_scan s;

	(void)state;
	assert_non_null(d);
	make_ctx(&ctx, in, text, d);
	scan_str(&s, text);
	assert_int_equal(cs__json_collect(&s, &sp), CS_ERR_PARSE);
	cs__json_report(&ctx, &s, sp.n, "elements");
	assert_int_equal(d->errors, 1);
	assert_true(cs_test_diags_have(d, "mem.json:3:8:"));
	assert_true(cs_test_diags_have(d, "line 3, column 8"));
	assert_true(cs_test_diags_have(d, "complete elements before it are still read: 1"));
	cs__json_spans_release(&sp);
	cs_intel_free(in);
	free(d);
}

static void test_load_rejects_oversized_element(void **state)
{
	size_t n = CS_JSON_MAX_ELEMENT + 16;
	char *text = malloc(n + 1);
	struct cs_test_diags *d = calloc(1, sizeof(*d));
	struct cs_intel *in = cs_intel_new();
	struct cs_reader_ctx ctx;
	struct cs_json_span sp = {0, n};

	(void)state;
	assert_non_null(text);
	assert_non_null(d);
	memset(text, ' ', n);
	text[0] = '"';
	text[n - 1] = '"';
	text[n] = '\0';
	make_ctx(&ctx, in, text, d);
	assert_null(cs__json_load(&ctx, sp, "big"));
	assert_true(cs_test_diags_have(d, "too-big"));
	cs_intel_free(in);
	free(d);
	free(text);
}

static void test_flags_accept_misp_spellings(void **state)
{
	const char *text = "{\"t\": true, \"f\": false, \"s1\": \"1\", \"s0\": \"False\", "
	                   "\"i1\": 1, \"odd\": \"maybe\", \"i7\": 7, \"n\": null, \"r\": 1.0}";
	struct cs_json_field f[] = {
	        {"t", {0, 0}},   {"f", {0, 0}},  {"s1", {0, 0}},     {"s0", {0, 0}}, {"i1", {0, 0}},
	        {"odd", {0, 0}}, {"i7", {0, 0}}, {"absent", {0, 0}}, {"n", {0, 0}},  {"r", {0, 0}}};
	static const int want[] = {1, 0, 1, 0, 1, -1, -1, -1, -1, -1};
	size_t i;

	(void)state;
	assert_int_equal(
	        cs__json_fields(text, (struct cs_json_span){0, strlen(text)}, f, CS_ARRAY_SIZE(f)),
	        1);
	for (i = 0; i < CS_ARRAY_SIZE(f); i++)
		assert_int_equal(cs__json_span_flag(text, f[i].v), want[i]);
}

static void test_fields_text_and_int(void **state)
{
	const char *text = "{\"id\": \"a\\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00\\u0000z\", "
	                   "\"n\": -42, \"big\": 9223372036854775807, \"real\": 2.5, "
	                   "\"arr\": [1], \"id\": \"last\", \"k\\u0065y\": \"esc\"}";
	struct cs_json_field f[] = {{"id", {0, 0}},   {"n", {0, 0}},   {"big", {0, 0}},
	                            {"real", {0, 0}}, {"arr", {0, 0}}, {"key", {0, 0}},
	                            {"none", {0, 0}}};
	struct cs_json_span obj = {0, strlen(text)}, first;
	struct cs_buf b;
	long long v;

	(void)state;
	cs__buf_init(&b, 0);
	assert_int_equal(cs__json_fields(text, obj, f, CS_ARRAY_SIZE(f)), 1);
	/* the last "id" wins */
	assert_int_equal(cs__json_text(text, f[0].v, &b), 1);
	assert_string_equal(b.data, "last");
	/* decoding every escape, a surrogate pair and \u0000 */
	first.off = strchr(text, ':') - text + 2;
	first.len = strstr(text, "z\"") - text + 2 - first.off;
	assert_int_equal(cs__json_text(text, first, &b), 1);
	assert_int_equal(b.len, 16);
	assert_memory_equal(b.data, "a\"b\\c/d\n\xc3\xa9\xf0\x9f\x98\x80\0z", 16);
	assert_int_equal(cs__json_span_int(text, f[1].v, &v), 1);
	assert_int_equal(v, -42);
	assert_int_equal(cs__json_span_int(text, f[2].v, &v), 1);
	assert_true(v == INT64_MAX);
	assert_int_equal(cs__json_span_int(text, f[3].v, &v), 0);
	assert_int_equal(cs__json_text(text, f[1].v, &b), 0);
	assert_int_equal(cs__json_kind(text, f[4].v), '[');
	assert_int_equal(cs__json_kind(text, f[1].v), '0');
	assert_int_equal(cs__json_kind(text, f[6].v), 0);
	assert_int_equal(cs__json_text(text, f[5].v, &b), 1);
	assert_string_equal(b.data, "esc");
	assert_int_equal(cs__json_fields("[1]", (struct cs_json_span){0, 3}, f, 1), 0);
	assert_int_equal(f[0].v.len, 0);
	cs__buf_release(&b);
}

static void test_check_reports_like_jansson(void **state)
{
	const char *text = "[{\"a\": 1},\n {\"a\": tru},\n {\"s\": \"\\ud800\"}]";
	struct cs_test_diags *d = calloc(1, sizeof(*d));
	struct cs_intel *in = cs_intel_new();
	struct cs_json_spans sp = {NULL, 0, 0};
	struct cs_reader_ctx ctx;
	struct cs_json_scan s;

	(void)state;
	assert_non_null(d);
	make_ctx(&ctx, in, text, d);
	scan_str(&s, text);
	assert_int_equal(cs__json_collect(&s, &sp), CS_OK);
	assert_int_equal(sp.n, 3);
	assert_int_equal(cs__json_check(&ctx, sp.v[0], "elem"), CS_OK);
	assert_int_equal(cs__json_check(&ctx, sp.v[1], "elem"), CS_ERR_PARSE);
	assert_int_equal(cs__json_check(&ctx, sp.v[2], "elem"), CS_ERR_PARSE);
	assert_int_equal(ctx.rejected, 2);
	assert_true(cs_test_diags_have(d, "mem.json:2:"));
	assert_true(cs_test_diags_have(d, "mem.json:3:"));
	assert_true(cs_test_diags_have(d, "json-syntax: elem: invalid token"));
	cs__json_spans_release(&sp);
	cs_intel_free(in);
	free(d);
}

static void test_labels_dedup_truncate_vec(void **state)
{
	struct cs_labels l;
	const char *const *v;

	(void)state;
	cs__labels_init(&l);
	assert_int_equal(cs__labels_add(&l, "actor:", "Lazarus Group", 13), CS_OK);
	assert_int_equal(cs__labels_add(&l, "actor:", " Lazarus Group ", 15), CS_OK);
	assert_int_equal(cs__labels_add(&l, "", "actor:Lazarus Group", 19), CS_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(cs__labels_add(&l, "tag:", "tlp:white", 9), CS_OK);
	assert_int_equal(cs__labels_add(&l, "tag:", "bad\0nul", 7), CS_OK);
	assert_int_equal(cs__labels_add(&l, "tag:", "", 0), CS_OK);
	assert_int_equal(l.n, 2);
	v = cs__labels_vec(&l);
	assert_string_equal(v[0], "actor:Lazarus Group");
	assert_string_equal(v[1], "tag:tlp:white");
	cs__labels_truncate(&l, 1);
	assert_int_equal(cs__labels_add(&l, "malware:", "SUDDENICON", 10), CS_OK);
	v = cs__labels_vec(&l);
	assert_int_equal(l.n, 2);
	assert_string_equal(v[1], "malware:SUDDENICON");
	cs__labels_reset(&l);
	assert_null(cs__labels_vec(&l));
	cs__labels_release(&l);
}

static void test_labels_are_capped(void **state)
{
	struct cs_labels l;
	char name[32];
	char *longname = malloc(4000);
	size_t i;

	(void)state;
	assert_non_null(longname);
	cs__labels_init(&l);
	for (i = 0; i < CS_INTEL_MAX_LABELS + 10; i++) {
		int n = snprintf(name, sizeof(name), "%zu", i);

		assert_int_equal(cs__labels_add(&l, "tag:", name, (size_t)n), CS_OK);
	}
	assert_int_equal(l.n, CS_INTEL_MAX_LABELS);
	cs__labels_reset(&l);
	/* A long name is cut, never in the middle of a UTF-8 character. */
	for (i = 0; i < 4000; i += 2) {
		longname[i] = (char)0xC3;
		longname[i + 1] = (char)0xA9;
	}
	assert_int_equal(cs__labels_add(&l, "event:", longname, 4000), CS_OK);
	assert_true(strlen(cs__labels_vec(&l)[0]) <= 6 + 512);
	assert_int_equal((strlen(cs__labels_vec(&l)[0]) - 6) % 2, 0);
	cs__labels_release(&l);
	free(longname);
}

static void test_tag_and_galaxy_mapping(void **state)
{
	static const struct {
		const char *tag;
		const char *label;
	} cases[] = {
	        {"tlp:white", "tag:tlp:white"},
	        {"ESET", "tag:ESET"},
	        {"misp-galaxy:threat-actor=\"Lazarus Group\"", "actor:Lazarus Group"},
	        {"misp-galaxy:mitre-intrusion-set=\"APT38 - G0082\"", "actor:APT38 - G0082"},
	        {"misp-galaxy:malware=\"TAXHAUL\"", "malware:TAXHAUL"},
	        {"misp-galaxy:tool=\"PlugX\"", "malware:PlugX"},
	        {"misp-galaxy:ransomware=\"WannaCry\"", "malware:WannaCry"},
	        {"misp-galaxy:mitre-malware=\"BLINDINGCAN - S0520\"",
	         "malware:BLINDINGCAN - S0520"},
	        {"misp-galaxy:mitre-tool=\"Rundll32\"", "tool:Rundll32"},
	        {"misp-galaxy:mitre-attack-pattern=\"Domains - T1584.001\"",
	         "attack-pattern:Domains - T1584.001"},
	        {"misp-galaxy:sector=\"Finance\"", "galaxy:sector=Finance"},
	        {"misp-galaxy:=\"x\"", "tag:misp-galaxy:=\"x\""},
	        {"misp-galaxy:country", "tag:misp-galaxy:country"},
	};
	struct cs_labels l;
	size_t i;

	(void)state;
	cs__labels_init(&l);
	for (i = 0; i < CS_ARRAY_SIZE(cases); i++) {
		cs__labels_reset(&l);
		assert_int_equal(cs__tag_label(&l, cases[i].tag, strlen(cases[i].tag)), CS_OK);
		assert_int_equal(l.n, 1);
		assert_string_equal(cs__labels_vec(&l)[0], cases[i].label);
	}
	cs__labels_release(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_skip_scalars_and_strings),
	        cmocka_unit_test(test_collect_array_elements),
	        cmocka_unit_test(test_collect_empty_array),
	        cmocka_unit_test(test_truncated_keeps_complete_elements),
	        cmocka_unit_test(test_truncated_inside_string),
	        cmocka_unit_test(test_mismatched_bracket_position),
	        cmocka_unit_test(test_missing_comma_between_elements),
	        cmocka_unit_test(test_trailing_comma_is_a_fault),
	        cmocka_unit_test(test_depth_cap_on_100000_brackets),
	        cmocka_unit_test(test_depth_within_cap_is_fine),
	        cmocka_unit_test(test_object_members_and_keys),
	        cmocka_unit_test(test_member_lookup_last_wins_and_escapes),
	        cmocka_unit_test(test_str_eq_decodes_escapes),
	        cmocka_unit_test(test_bom_is_skipped),
	        cmocka_unit_test(test_nul_bytes_do_not_stop_the_scanner),
	        cmocka_unit_test(test_skip_rejects_missing_value),
	        cmocka_unit_test(test_validate_agrees_with_jansson),
	        cmocka_unit_test(test_load_reports_position_in_file),
	        cmocka_unit_test(test_report_names_line_and_column),
	        cmocka_unit_test(test_load_rejects_oversized_element),
	        cmocka_unit_test(test_flags_accept_misp_spellings),
	        cmocka_unit_test(test_fields_text_and_int),
	        cmocka_unit_test(test_check_reports_like_jansson),
	        cmocka_unit_test(test_labels_dedup_truncate_vec),
	        cmocka_unit_test(test_labels_are_capped),
	        cmocka_unit_test(test_tag_and_galaxy_mapping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

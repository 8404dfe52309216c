/*
 * Unit tests of the YARA reader (lib/intel/read_yara.c): crafted rule
 * files under tests/data/yara, every signature-base rule file, Volexity's
 * 3CX rules, and hostile input. Rule counts are checked against numbers
 * computed without libyara (commands in the comments), and every file
 * our reader refuses must be refused by the yarac command too.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chainsweep/intel.h"
#include "testutil.h"

static const struct cs_indicator *must_find(struct cs_intel *in, const char *rule)
{
	return cs_test_must_find(in, CS_KIND_YARA_RULE, rule);
}

/* The first source of `ind`. */
static struct cs_source_info source0(struct cs_intel *in, const struct cs_indicator *ind)
{
	struct cs_source_info si;

	assert_true(cs_indicator_source_count(ind) >= 1);
	cs_indicator_source(in, ind, 0, &si);
	return si;
}

/* 1 when yarac is installed; says so loudly when it is not. */
static int have_yarac(void)
{
	static int known = -1;

	if (known < 0) {
		known = system("command -v yarac >/dev/null 2>&1") == 0;
		if (!known)
			print_message("SKIP: yarac absent, CLI cross-checks not run\n");
	}
	return known;
}

/* Does the yarac command compile `path` (with signature-base's externals)? */
static int yarac_compiles(const char *path)
{
	char cmd[4200];
	int rc;

	snprintf(cmd, sizeof(cmd),
	         "yarac -d filename= -d filepath= -d extension= -d filetype= -d owner= "
	         "'%s' /dev/null >/dev/null 2>&1",
	         path);
	rc = system(cmd);
	return rc == 0;
}

/* ------------------------------------------------------------------ crafted */

static void test_crafted_rules(void **state)
{
	struct cs_test_env *e = *state;
	const struct cs_indicator *ind;
	struct cs_source_info si;
	const char *text;
	size_t len;

	assert_int_equal(cs_intel_import(e->in, cs_test_data("yara/crafted.yar"), &e->st), CS_OK);
	assert_true(cs_test_diags_have(e->d, "read as yara"));
	/* Four declarations outside comments and strings: lines 8, 14, 31, 38. */
	assert_int_equal(e->st.yara_rules, 4);
	assert_int_equal(e->st.read, 4);
	assert_int_equal(e->st.rejected, 0);
	assert_int_equal(cs_intel_count(e->in), 4);
	assert_null(cs_intel_find(e->in, CS_KIND_YARA_RULE, "commented_out"));
	assert_null(cs_intel_find(e->in, CS_KIND_YARA_RULE, "fake_in_string"));
	assert_null(cs_intel_find(e->in, CS_KIND_YARA_RULE, "not_a_rule"));

	ind = must_find(e->in, "helper_private");
	si = source0(e->in, ind);
	assert_int_equal(si.line, 8);
	assert_string_equal(si.format, "yara");
	assert_true(cs_test_has_label(e->in, ind, "tag:internal"));
	assert_true(cs_test_has_label(e->in, ind, "yara:private"));

	ind = must_find(e->in, "tagged_rule");
	si = source0(e->in, ind);
	assert_int_equal(si.line, 14);
	assert_string_equal(si.description, "Detects a crafted thing; rule fake_in_string { }; "
	                                    "author: chainsweep tests; reference: "
	                                    "https://example.org/ref");
	assert_string_equal(si.ref, "9f2a6e5c-0000-4000-8000-000000000001");
	assert_int_equal(cs_indicator_confidence(ind), 85);
	assert_true(cs_test_has_label(e->in, ind, "tag:apt"));
	assert_true(cs_test_has_label(e->in, ind, "tag:lazarus"));
	assert_true(cs_test_has_label(e->in, ind, "actor:Lazarus Group"));
	assert_true(cs_test_has_label(e->in, ind, "malware:ICONIC"));
	assert_int_equal(cs_indicator_label_count(ind), 4);

	/* "global rule" on line 31, the name on line 32: the keyword's line. */
	ind = must_find(e->in, "split_decl");
	assert_int_equal(source0(e->in, ind).line, 31);
	assert_true(cs_test_has_label(e->in, ind, "yara:global"));
	/* Compiles thanks to the declared externals. */
	ind = must_find(e->in, "uses_externals");
	assert_int_equal(source0(e->in, ind).line, 38);
	assert_int_equal(cs_indicator_confidence(ind), -1);

	/* The text is kept for the sweeps. */
	assert_int_equal(cs_intel_yara_count(e->in), 1);
	assert_non_null(strstr(cs_intel_yara_source(e->in, 0, &text, &len), "crafted.yar"));
	assert_non_null(strstr(text, "rule uses_externals"));
	assert_int_equal(strlen(text), len);
}

static void test_syntax_error(void **state)
{
	struct cs_test_env *e = *state;
	const char *p = cs_test_data("yara/syntax-error.yar");

	/* The error on line 12 is reported there; the file counts one reject
	 * and fails; no rule of it is added, not even the good first one. */
	assert_int_equal(cs_intel_import(e->in, p, &e->st), CS_ERR_EMPTY);
	assert_int_equal(e->st.files_failed, 1);
	assert_int_equal(e->st.rejected, 1);
	assert_int_equal(e->st.yara_rules, 0);
	assert_true(cs_test_diags_have(e->d, "syntax-error.yar:12:0: -: "));
	assert_true(cs_test_diags_have(e->d, "syntax-error.yar:12:0: yara-compile: "));
	assert_true(cs_test_diags_have(e->d, "syntax error"));
	assert_int_equal(cs_intel_count(e->in), 0);
	assert_int_equal(cs_intel_yara_count(e->in), 0);
	if (have_yarac())
		assert_false(yarac_compiles(p));
}

static void test_include_refused(void **state)
{
	struct cs_test_env *e = *state;
	const char *p = cs_test_data("yara/include-passwd.yar");

	assert_int_equal(cs_intel_import(e->in, p, &e->st), CS_ERR_EMPTY);
	assert_int_equal(e->st.rejected, 1);
	assert_true(cs_test_diags_have(e->d, "include-passwd.yar:1:0: yara-compile: "));
	assert_true(cs_test_diags_have(e->d, "includes are disabled"));
	/* Nothing of /etc/passwd reached us. */
	assert_false(cs_test_diags_have(e->d, "root:"));
	assert_int_equal(cs_intel_count(e->in), 0);
	if (have_yarac())
		assert_false(yarac_compiles(p));
}

static void test_undefined_identifier(void **state)
{
	struct cs_test_env *e = *state;
	const char *p = cs_test_data("yara/undefined-identifier.yar");

	assert_int_equal(cs_intel_import(e->in, p, &e->st), CS_ERR_EMPTY);
	assert_int_equal(e->st.rejected, 1);
	assert_true(cs_test_diags_have(e->d, "undefined-identifier.yar:4:0: yara-compile: "));
	if (have_yarac())
		assert_false(yarac_compiles(p));
}

static void test_no_rules(void **state)
{
	struct cs_test_env *e = *state;
	const char *p = cs_test_data("yara/no-rules.yar");

	/* Compiles: no reject, no error; a rule file of comments only is a
	 * note, not a file that failed (signature-base ships four). */
	assert_int_equal(cs_intel_import(e->in, p, &e->st), CS_OK);
	assert_int_equal(e->st.rejected, 0);
	assert_int_equal(e->st.files_failed, 0);
	assert_true(cs_test_diags_have(e->d, "holds no rule"));
	assert_true(cs_test_diags_have(e->d, "holds nothing to import"));
	if (have_yarac())
		assert_true(yarac_compiles(p));
}

static void test_crlf_no_final_newline(void **state)
{
	struct cs_test_env *e = *state;

	assert_int_equal(
	        cs_intel_import(e->in, cs_test_data("yara/crlf-no-final-newline.yar"), &e->st),
	        CS_OK);
	assert_int_equal(e->st.yara_rules, 2);
	assert_int_equal(source0(e->in, must_find(e->in, "crlf_one")).line, 1);
	assert_int_equal(source0(e->in, must_find(e->in, "crlf_two")).line, 7);
}

/* ------------------------------------------------------------------ real files */

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void test_real_signature_base(void **state)
{
	struct cs_test_env *e = *state;
	const char *base = CS_TEST_REAL_WORLD("signature-base/yara");
	struct dirent **ents;
	char dir[4096], path[4400];
	uint64_t rules = 0, files = 0, failed = 0, refused = 0, empty = 0;
	const struct cs_indicator *ind;
	int n, i;

	snprintf(dir, sizeof(dir), "%s", base);
	n = scandir(dir, &ents, NULL, name_cmp);
	assert_true(n > 0);
	for (i = 0; i < n; i++) {
		if (ents[i]->d_name[0] == '.') {
			free(ents[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
		free(ents[i]);
		cs_intel_import(e->in, path, &e->st);
		files += e->st.files;
		failed += e->st.files_failed;
		rules += e->st.yara_rules;
		if (e->st.rejected) {
			/* Refused by libyara: yarac must refuse it too. */
			refused++;
			print_message("refused: %s\n", path);
			if (have_yarac())
				assert_false(yarac_compiles(path));
		} else if (e->st.yara_rules == 0) {
			empty++;
		}
	}
	free(ents);
	/* ls signature-base/yara | wc -l  -> 741 (737 .yar, 4 .yara); yarac with the five
	 * externals compiles every one of them (for f in *; do yarac -d filename= ... $f;
	 * done: 0 failures). */
	assert_int_equal(files, 741);
	assert_int_equal(refused, 0);
	/* Rules, counted without libyara: strip strings and comments, count
	 * declarations:
	 *   perl -0777 -ne 's{"(?:\\.|[^"\\\n])*"|/\*.*?\*\/|//[^\n]*}{...}gse;
	 *     $n += () = /^\s*(?:(?:private|global)\s+)*rule\s+\w+/mg; END {print $n}' *
	 *   -> 5883 (12 of them private; `yara -n` + `yara` on an empty file list the
	 *   5871 others).  Per file the same count is 0 for 4 files (rules moved
	 *   elsewhere or commented out), which yield nothing: a note, not a
	 *   failure. */
	assert_int_equal(rules, 5883);
	assert_int_equal(failed, 0);
	assert_int_equal(empty, 4);
	/* ... | cut -f2 | sort -u | wc -l -> 5883 distinct rule names */
	assert_int_equal(cs_test_count_kind(e->in, CS_KIND_YARA_RULE), 5883);
	assert_int_equal(cs_intel_yara_count(e->in), 741);
	/* apt_hatman.yar: "private global rule hatman_filesize" on line 13 is inside a
	 * comment (lines 11-17); grep -n 'rule hatman_setstatus' -> 21:private rule */
	assert_null(cs_intel_find(e->in, CS_KIND_YARA_RULE, "hatman_filesize"));
	ind = must_find(e->in, "hatman_setstatus");
	assert_int_equal(source0(e->in, ind).line, 21);
	assert_true(cs_test_has_label(e->in, ind, "tag:hatman"));
	assert_true(cs_test_has_label(e->in, ind, "yara:private"));
	/* grep -n BPFDoor_Controller_May22_1 mal_lnx_implant_may22.yar -> 45; score = 90 */
	ind = must_find(e->in, "APT_MAL_LNX_RedMenshen_BPFDoor_Controller_May22_1");
	assert_int_equal(source0(e->in, ind).line, 45);
	assert_int_equal(cs_indicator_confidence(ind), 90);
	assert_string_equal(source0(e->in, ind).ref, "1438c3bf-3c42-59d5-9f3f-2d72bdaaac42");
	/* apt_ms_platinum.yara:1 "rule Trojan_Win32_PlaSrv : Platinum", activity_group */
	ind = must_find(e->in, "Trojan_Win32_PlaSrv");
	assert_int_equal(source0(e->in, ind).line, 1);
	assert_true(cs_test_has_label(e->in, ind, "actor:Platinum"));
	assert_true(cs_test_has_label(e->in, ind, "tag:Platinum"));
}

/* ------------------------------------------------------------------ import cache */

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Everything an import gave, one sorted line per indicator source. */
static char *dump_intel(struct cs_intel *in)
{
	size_t i, j, n = cs_intel_count(in), len = 0;
	char **lines = calloc(n ? n : 1, sizeof(*lines)), *out;

	assert_non_null(lines);
	for (i = 0; i < n; i++) {
		const struct cs_indicator *ind = cs_intel_at(in, i);
		struct cs_source_info si = source0(in, ind);
		char labels[8192] = "";
		size_t o = 0;

		for (j = 0; j < cs_indicator_label_count(ind); j++)
			o += (size_t)snprintf(labels + o, sizeof(labels) - o, "%s,",
			                      cs_indicator_label(in, ind, j));
		assert_true(asprintf(&lines[i], "%s|%d|%s|%llu|%s|%s|%s\n", cs_indicator_value(ind),
		                     cs_indicator_confidence(ind), si.file,
		                     (unsigned long long)si.line, si.ref ? si.ref : "-",
		                     si.description ? si.description : "-", labels) > 0);
		len += strlen(lines[i]);
	}
	qsort(lines, n, sizeof(*lines), str_cmp);
	out = calloc(1, len + 1);
	assert_non_null(out);
	for (i = 0; i < n; i++) {
		strcat(out, lines[i]);
		free(lines[i]);
	}
	free(lines);
	return out;
}

static char *import_dump(const char *const *paths, size_t n, const char *cache)
{
	struct cs_intel *in = cs_intel_new();
	struct cs_import_stats st;
	char *d;
	size_t i;

	assert_non_null(in);
	assert_int_equal(cs_intel_set_cache_dir(in, cache), CS_OK);
	for (i = 0; i < n; i++) {
		memset(&st, 0, sizeof(st));
		cs_intel_import(in, paths[i], &st);
	}
	cs_intel_finalize(in);
	d = dump_intel(in);
	cs_intel_free(in);
	return d;
}

/* Flip a byte in the middle of every "yfile" entry of `dir`. */
static size_t damage_entries(const char *dir)
{
	struct dirent **ents;
	char path[4400];
	size_t hit = 0;
	int n, i;

	n = scandir(dir, &ents, NULL, name_cmp);
	for (i = 0; i < n; i++) {
		if (strncmp(ents[i]->d_name, "yfile-", 6) == 0) {
			FILE *f;
			long sz;
			int c;

			snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
			f = fopen(path, "r+b");
			assert_non_null(f);
			fseek(f, 0, SEEK_END);
			sz = ftell(f);
			fseek(f, sz / 2, SEEK_SET);
			c = fgetc(f);
			fseek(f, sz / 2, SEEK_SET);
			fputc(c ^ 0x5a, f);
			fclose(f);
			hit++;
		}
		free(ents[i]);
	}
	free(ents);
	return hit;
}

/*
 * A rule file imported again with the cache gives exactly what compiling
 * it gives (names, lines, labels, descriptions, references, confidence),
 * cold, warm, and after every entry was damaged (rebuilt). signature-base
 * too when it is there.
 */
static void test_import_cache(void **state)
{
	char *tmp = cs_test_tmpdir(), *cache, *plain, *cold, *warm, *fixed;
	const char *paths[1] = {cs_test_data("yara/crafted.yar")};
	const char *sb[1] = {CS_TEST_REAL_WORLD("signature-base/yara")};
	size_t k;

	(void)state;
	assert_true(asprintf(&cache, "%s/cache", tmp) > 0);
	for (k = 0; k < 2; k++) {
		const char *const *p = k == 0 ? paths : sb;

		if (k == 1 && access(sb[0], R_OK) != 0) {
			print_message("SKIP: %s absent\n", sb[0]);
			break;
		}
		plain = import_dump(p, 1, NULL);
		cold = import_dump(p, 1, cache);
		warm = import_dump(p, 1, cache);
		assert_true(strlen(plain) > 100);
		assert_string_equal(cold, plain);
		assert_string_equal(warm, plain);
		assert_true(damage_entries(cache) >= 1);
		fixed = import_dump(p, 1, cache);
		assert_string_equal(fixed, plain);
		free(fixed);
		fixed = import_dump(p, 1, cache); /* from the rebuilt entries */
		assert_string_equal(fixed, plain);
		free(plain);
		free(cold);
		free(warm);
		free(fixed);
	}
	free(cache);
	cs_test_rmtree(tmp);
	free(tmp);
}

static void test_real_volexity_rules(void **state)
{
	struct cs_test_env *e = *state;
	const char *p = CS_TEST_REAL_WORLD("volexity/3cx-rules.yar");
	const struct cs_indicator *ind;

	assert_int_equal(cs_intel_import(e->in, p, &e->st), CS_OK);
	/* grep -cE '^rule ' 3cx-rules.yar -> 6 */
	assert_int_equal(e->st.yara_rules, 6);
	/* grep -n 'rule apt_win_iconic:' 3cx-rules.yar -> 70 */
	ind = must_find(e->in, "apt_win_iconic");
	assert_int_equal(source0(e->in, ind).line, 70);
	assert_true(cs_test_has_label(e->in, ind, "tag:UTA0040"));
	ind = must_find(e->in, "apt_ico_uta0040_b64_c2");
	assert_string_equal(source0(e->in, ind).description,
	                    "Detection of malicious ICO files used in 3CX compromise.; author: "
	                    "threatintel@volexity.com");
}

/* ------------------------------------------------------------------ hostile */

static void test_empty_file(void **state)
{
	struct cs_test_env *e = *state;

	assert_int_equal(cs_intel_set_format(e->in, "yara"), CS_OK);
	assert_int_equal(cs_intel_import_mem(e->in, "empty.yar", "", 0, &e->st), CS_OK);
	assert_int_equal(e->st.files_failed, 0);
	assert_int_equal(e->st.rejected, 0);
	assert_int_equal(cs_intel_count(e->in), 0);
}

static void test_nul_bytes(void **state)
{
	struct cs_test_env *e = *state;
	static const char t[] = "rule a { condition: true }\n"
	                        "rule b { condition: \0 true }\n";

	assert_int_equal(cs_intel_set_format(e->in, "yara"), CS_OK);
	assert_int_equal(cs_intel_import_mem(e->in, "nul.yar", t, sizeof(t) - 1, &e->st),
	                 CS_ERR_EMPTY);
	assert_int_equal(e->st.rejected, 1);
	assert_true(cs_test_diags_have(e->d, "nul.yar:2:21: yara-compile:"));
	assert_int_equal(cs_intel_count(e->in), 0);
}

/* Deterministic bytes of every value. */
static void fill_garbage(unsigned char *p, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (unsigned char)(seed >> 16);
	}
}

static void test_binary_garbage(void **state)
{
	struct cs_test_env *e = *state;
	unsigned char buf[4096];
	uint32_t seed;
	size_t i;

	for (seed = 1; seed <= 8; seed++) {
		fill_garbage(buf, sizeof(buf), seed);
		/* Without NUL bytes libyara gets to see it. */
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = buf[i] ? buf[i] : 'x';
		assert_int_equal(cs_intel_set_format(e->in, "yara"), CS_OK);
		assert_int_equal(cs_intel_import_mem(e->in, "g.yar", buf, sizeof(buf), &e->st),
		                 CS_ERR_EMPTY);
		assert_int_equal(e->st.rejected, 1);
	}
	/* Truncated in the middle of a rule. */
	assert_int_equal(
	        cs_intel_import_mem(e->in, "cut.yar", "rule a { condition: tr", 22, &e->st),
	        CS_ERR_EMPTY);
	assert_true(cs_test_diags_have(e->d, "cut.yar:1:0: yara-compile:"));
}

/* A 100 MB line: refused before libyara sees it (its lexer is quadratic
 * in the length of a line). */
static void test_100mb_line(void **state)
{
	struct cs_test_env *e = *state;
	const size_t n = (size_t)100 << 20;
	char *dir = cs_test_tmpdir(), *big, *path;
	clock_t t0;

	assert_non_null(dir);
	big = malloc(n);
	assert_non_null(big);
	memset(big, 'a', n);
	memcpy(big, "rule a { condition: true }\n//", 29);
	path = cs_test_write(dir, "big.yar", big, n);
	free(big);
	assert_non_null(path);
	t0 = clock();
	assert_int_equal(cs_intel_import(e->in, path, &e->st), CS_ERR_EMPTY);
	assert_true(clock() - t0 < 30 * CLOCKS_PER_SEC);
	assert_int_equal(e->st.rejected, 1);
	assert_true(cs_test_diags_have(e->d, "big.yar:0:0: too-long:"));
	free(path);
	cs_test_rmtree(dir);
	free(dir);
}

static void test_long_line_refused(void **state)
{
	struct cs_test_env *e = *state;
	size_t n = 20000;
	char *t = malloc(n + 64);
	int k;

	assert_non_null(t);
	k = snprintf(t, 64, "rule a { condition: true }\n//");
	memset(t + k, 'c', n);
	memcpy(t + k + n, "\nrule b { condition: true }\n", 29);
	assert_int_equal(cs_intel_set_format(e->in, "yara"), CS_OK);
	assert_int_equal(cs_intel_import_mem(e->in, "long.yar", t, strlen(t), &e->st),
	                 CS_ERR_EMPTY);
	assert_true(cs_test_diags_have(e->d, "long.yar:2:0: too-long:"));
	free(t);
}

static void test_sniffing(void **state)
{
	struct cs_test_env *e = *state;
	static const char r[] = "// no extension\nrule sniffed { condition: true }\n";

	assert_int_equal(cs_intel_import_mem(e->in, "rules", r, sizeof(r) - 1, &e->st), CS_OK);
	assert_true(cs_test_diags_have(e->d, "rules:0:0: -: read as yara"));
	must_find(e->in, "sniffed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_crafted_rules, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_syntax_error, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_include_refused, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_undefined_identifier, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_no_rules, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_crlf_no_final_newline, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_real_signature_base, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test(test_import_cache),
	        cmocka_unit_test_setup_teardown(test_real_volexity_rules, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_empty_file, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_nul_bytes, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_binary_garbage, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_100mb_line, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_long_line_refused, cs_test_env_setup,
	                                        cs_test_env_teardown),
	        cmocka_unit_test_setup_teardown(test_sniffing, cs_test_env_setup,
	                                        cs_test_env_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

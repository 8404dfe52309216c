/* Unit tests of lib/core: buffers, arena, map, string table, time, files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core_int.h"
#include "testutil.h"

static void test_buf_grows_and_caps(void **state)
{
	struct cs_buf b;
	int i;

	(void)state;
	cs__buf_init(&b, 10);
	assert_string_equal(cs__buf_cstr(&b), "");
	assert_int_equal(cs__buf_adds(&b, "hello"), CS_OK);
	assert_int_equal(cs__buf_printf(&b, "%d", 1234), CS_OK);
	assert_string_equal(cs__buf_cstr(&b), "hello1234");
	assert_int_equal(cs__buf_addc(&b, 'x'), CS_OK);
	/* The cap is exact: one more byte is refused and nothing changes. */
	assert_int_equal(cs__buf_addc(&b, 'y'), CS_ERR_TOOBIG);
	assert_int_equal(cs__buf_printf(&b, "%s", "zz"), CS_ERR_TOOBIG);
	assert_string_equal(cs__buf_cstr(&b), "hello1234x");
	cs__buf_reset(&b);
	assert_int_equal(b.len, 0);
	cs__buf_release(&b);
	cs__buf_init(&b, 0);
	for (i = 0; i < 100000; i++)
		assert_int_equal(cs__buf_addc(&b, 'a'), CS_OK);
	assert_int_equal(b.len, 100000);
	assert_int_equal(strlen(cs__buf_cstr(&b)), 100000);
	cs__buf_release(&b);
}

static void test_arena(void **state)
{
	struct cs_arena a;
	char big[200000];
	char *p, *q, *r;
	int i;

	(void)state;
	cs__arena_init(&a);
	p = cs__arena_strndup(&a, "abc", 3);
	memset(big, 'b', sizeof(big));
	q = cs__arena_strndup(&a, big, sizeof(big));
	r = cs__arena_strndup(&a, "def", 3);
	assert_string_equal(p, "abc");
	assert_string_equal(r, "def");
	assert_int_equal(strlen(q), sizeof(big));
	for (i = 0; i < 100000; i++)
		assert_non_null(cs__arena_alloc(&a, 17));
	cs__arena_release(&a);
}

/* An arena grown to tens of megabytes (blocks up to a huge page, and a
 * dedicated one past it) keeps every string where it was put, aligned;
 * cs__malloc_huge hands out 2 MiB-aligned blocks that free and realloc
 * accept. */
static void test_arena_large(void **state)
{
	struct cs_arena a;
	char **v = calloc(200000, sizeof(*v)), buf[64];
	char *huge, *big = malloc((size_t)3 << 20);
	size_t i;

	(void)state;
	assert_non_null(v);
	assert_non_null(big);
	cs__arena_init(&a);
	memset(big, 'x', ((size_t)3 << 20) - 1);
	big[((size_t)3 << 20) - 1] = '\0';
	for (i = 0; i < 200000; i++) {
		int n = snprintf(buf, sizeof(buf), "%zu.indicator-%zu.example", i, i * 7919);

		v[i] = cs__arena_strndup(&a, buf, (size_t)n);
		assert_non_null(v[i]);
		assert_int_equal((uintptr_t)v[i] % _Alignof(max_align_t), 0);
		if (i == 100000)
			assert_non_null(cs__arena_strndup(&a, big, strlen(big)));
	}
	for (i = 0; i < 200000; i++) {
		snprintf(buf, sizeof(buf), "%zu.indicator-%zu.example", i, i * 7919);
		assert_string_equal(v[i], buf);
	}
	assert_true(a.total > ((size_t)3 << 20));
	cs__arena_release(&a);
	huge = cs__malloc_huge((size_t)5 << 20);
	assert_non_null(huge);
	assert_int_equal((uintptr_t)huge % ((uintptr_t)2 << 20), 0);
	memset(huge, 'h', (size_t)5 << 20);
	huge = realloc(huge, (size_t)9 << 20);
	assert_non_null(huge);
	assert_int_equal(huge[((size_t)5 << 20) - 1], 'h');
	free(huge);
	free(big);
	free(v);
}

static void test_map_and_strtab(void **state)
{
	struct cs_map m;
	struct cs_strtab t;
	char key[32];
	uint32_t v, i, a, b;

	(void)state;
	cs__map_init(&m);
	for (i = 0; i < 50000; i++) {
		snprintf(key, sizeof(key), "k%u", i);
		assert_int_equal(cs__map_put(&m, key, strlen(key), i * 2), CS_OK);
	}
	assert_int_equal(m.count, 50000);
	for (i = 0; i < 50000; i++) {
		snprintf(key, sizeof(key), "k%u", i);
		assert_true(cs__map_get(&m, key, strlen(key), &v));
		assert_int_equal(v, i * 2);
	}
	assert_false(cs__map_get(&m, "nope", 4, &v));
	/* Keys are byte strings: embedded NULs count. */
	assert_int_equal(cs__map_put(&m, "a\0b", 3, 7), CS_OK);
	assert_false(cs__map_get(&m, "a", 1, &v));
	assert_true(cs__map_get(&m, "a\0b", 3, &v));
	assert_int_equal(v, 7);
	cs__map_release(&m);

	cs__strtab_init(&t);
	a = cs__strtab_intern(&t, "actor:X", 7);
	b = cs__strtab_intern(&t, "actor:Y", 7);
	assert_true(a >= 1 && b >= 1 && a != b);
	assert_int_equal(cs__strtab_intern(&t, "actor:X", 7), a);
	assert_string_equal(cs__strtab_get(&t, b), "actor:Y");
	assert_null(cs__strtab_get(&t, 0));
	assert_null(cs__strtab_get(&t, 999));
	assert_int_equal(cs__strtab_find(&t, "actor:Z", 7), 0);
	cs__strtab_release(&t);
}

static void test_parse_time(void **state)
{
	static const struct {
		const char *in;
		int64_t want;
	} ok[] = {
		{"1970-01-01T00:00:00Z", 0},
		{"2023-03-29T00:00:00Z", 1680048000},
		{"2023-03-29T00:00:00.123Z", 1680048000},
		{"2023-03-29 02:00:00+02:00", 1680048000},
		{"2023-03-28T19:00:00-05:00", 1680048000},
		{"2023-03-29", 1680048000},
		{"2000-02-29T12:00:00Z", 951825600},
	};
	static const char *const bad[] = {"", "2023", "2023-13-01", "2023-03-29T25:00:00Z",
					  "2023-03-29Tx", "2023-03-29T00:00:00Zjunk", "t'2023'"};
	int64_t t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(cs__parse_time(ok[i].in, strlen(ok[i].in), &t), CS_OK);
		assert_int_equal(t, ok[i].want);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cs__parse_time(bad[i], strlen(bad[i]), &t), CS_ERR_PARSE);
}

static void test_read_file(void **state)
{
	char *dir = cs_test_tmpdir(), *path, *data = NULL;
	size_t len = 0;
	int e;

	(void)state;
	path = cs_test_write(dir, "f", "abc\0def", 7);
	assert_int_equal(cs__read_file(path, 100, &data, &len, &e), CS_OK);
	assert_int_equal(len, 7);
	assert_memory_equal(data, "abc\0def", 8); /* NUL-terminated too */
	free(data);
	assert_int_equal(cs__read_file(path, 6, &data, &len, &e), CS_ERR_TOOBIG);
	assert_int_equal(cs__read_file(dir, 100, &data, &len, &e), CS_ERR_UNSUPPORTED);
	free(path);
	path = cs_test_write(dir, "empty", "", 0);
	assert_int_equal(cs__read_file(path, 100, &data, &len, &e), CS_OK);
	assert_int_equal(len, 0);
	free(data);
	free(path);
	assert_int_equal(cs__read_file("/nonexistent/x", 100, &data, &len, &e), CS_ERR_IO);
	cs_test_rmtree(dir);
	free(dir);
}

static void test_ascii_helpers(void **state)
{
	const char *s = "  \t x y \r\n";
	size_t len = strlen(s);

	(void)state;
	cs__trim(&s, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(s, "x y", 3);
	assert_true(cs__eqi("SHA256", 6, "sha256"));
	assert_false(cs__eqi("SHA25", 5, "sha256"));
	assert_string_equal(cs__path_base("/a/b/hash-iocs.txt"), "hash-iocs.txt");
	assert_string_equal(cs__path_base("plain"), "plain");
	assert_string_equal(cs__path_base(NULL), "");
	/* Only the base name counts, case-insensitively. */
	assert_true(cs__name_has("/x/Hash-IOCS.txt", "hash"));
	assert_false(cs__name_has("/hash/iocs.txt", "hash"));
	assert_true(cs__name_ends("/r/RULES.YAR", ".yar"));
	assert_false(cs__name_ends("/r/.yar", ".yar")); /* nothing before the suffix */
	assert_false(cs__name_ends("/r.yar/x", ".yar"));
	assert_string_equal(cs_strerror(CS_ERR_EMPTY), "nothing usable was read");
	assert_string_equal(cs_strerror(-999), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_grows_and_caps), cmocka_unit_test(test_arena),
		cmocka_unit_test(test_arena_large),
		cmocka_unit_test(test_map_and_strtab),     cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_read_file),          cmocka_unit_test(test_ascii_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests of the fleet's hash index (lib/fleet/hindex.c): what the
 * operator builds is what the agent reads back, a digest's prefix finds
 * its shard, near misses are not candidates, and the agent refuses
 * prefixes out of order, shards that do not match the table and every
 * malformed shard line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chainsweep/error.h"
#include "chainsweep/fleet_hindex.h"
#include "testutil.h"

#define S256_A "00000001aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define S256_B "00000001bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define S256_C "ffffffff0000000000000000000000000000000000000000000000000000000c"
#define MD5_D "7fffffff000000000000000000000000"

struct got {
	int n;
	char value[8][130];
	char source[8][64];
	int confidence[8];
};

static int take(void *ud, const struct cs_fleet_hx_rec *r)
{
	struct got *g = ud;

	if (g->n < 8) {
		snprintf(g->value[g->n], sizeof(g->value[0]), "%s:%s", cs_kind_name(r->kind),
			 r->value);
		snprintf(g->source[g->n], sizeof(g->source[0]), "%s", r->source);
		g->confidence[g->n] = r->confidence;
	}
	g->n++;
	return 0;
}

static struct cs_fleet_hx *build(void)
{
	struct cs_fleet_hx *hx = NULL;
	struct cs_fleet_hx_rec r = { CS_KIND_SHA256, S256_A, 80, "a.txt:1" };

	assert_int_equal(cs_fleet_hx_new(&hx), CS_OK);
	assert_int_equal(cs_fleet_hx_add(hx, &r), CS_OK);
	r.value = S256_B; /* the same prefix as A */
	r.confidence = -1;
	r.source = "bundle\twith\ttabs\nand a line break";
	assert_int_equal(cs_fleet_hx_add(hx, &r), CS_OK);
	r.value = S256_C;
	r.source = "";
	assert_int_equal(cs_fleet_hx_add(hx, &r), CS_OK);
	r.kind = CS_KIND_MD5;
	r.value = MD5_D;
	r.source = "indicator--1234";
	assert_int_equal(cs_fleet_hx_add(hx, &r), CS_OK);
	assert_int_equal(cs_fleet_hx_finish(hx), CS_OK);
	return hx;
}

static void test_roundtrip(void **state)
{
	struct cs_fleet_hx *hx = build();
	const unsigned char *p, *table, *d;
	size_t plen, dl;
	unsigned sh, i, nonempty = 0;
	struct got g;
	char err[256];

	(void)state;
	assert_int_equal(cs_fleet_hx_count(hx), 4);
	p = cs_fleet_hx_prefixes(hx, &plen);
	assert_int_equal(plen, 12); /* A and B share theirs */
	assert_true(cs_fleet_hx_prefixes_ok(p, plen));
	table = cs_fleet_hx_table(hx);
	for (i = 0; i < CS_FLEET_HX_SHARDS; i++)
		nonempty += !cs_fleet_hx_shard_empty(table, i);
	assert_int_equal(nonempty, 3);

	assert_true(cs_fleet_hx_candidate(p, plen, S256_B, &sh));
	assert_int_equal(sh, 0);
	d = cs_fleet_hx_shard(hx, sh, &dl);
	assert_int_equal(cs_fleet_hx_shard_check(table, sh, d, dl), 0);
	memset(&g, 0, sizeof(g));
	assert_int_equal(cs_fleet_hx_shard_each(d, dl, sh, take, &g, err, sizeof(err)), CS_OK);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.value[0], "sha256:" S256_A);
	assert_string_equal(g.source[0], "a.txt:1");
	assert_int_equal(g.confidence[0], 80);
	assert_string_equal(g.value[1], "sha256:" S256_B);
	assert_string_equal(g.source[1], "bundle with tabs and a line break");
	assert_int_equal(g.confidence[1], -1);

	assert_true(cs_fleet_hx_candidate(p, plen, S256_C, &sh));
	assert_int_equal(sh, CS_FLEET_HX_SHARDS - 1);
	assert_true(cs_fleet_hx_candidate(p, plen, MD5_D, &sh));
	assert_int_equal(sh, 0x7fffffffu >> (32 - CS_FLEET_HX_SHARD_BITS));
	/* Uppercase hex is the same digest. */
	assert_true(cs_fleet_hx_candidate(p, plen, "FFFFFFFF00", NULL));
	cs_fleet_hx_free(hx);
}

static void test_near_misses(void **state)
{
	struct cs_fleet_hx *hx = build();
	const unsigned char *p;
	size_t plen;

	(void)state;
	p = cs_fleet_hx_prefixes(hx, &plen);
	assert_false(cs_fleet_hx_candidate(p, plen, "00000002aaaa", NULL));
	assert_false(cs_fleet_hx_candidate(p, plen, "00000000ffff", NULL));
	assert_false(cs_fleet_hx_candidate(p, plen, "fffffffe", NULL));
	assert_false(cs_fleet_hx_candidate(p, plen, "0000000", NULL)); /* too short */
	assert_false(cs_fleet_hx_candidate(p, plen, "0000000g", NULL));
	assert_false(cs_fleet_hx_candidate(p, plen, NULL, NULL));
	assert_false(cs_fleet_hx_candidate(p, 0, S256_A, NULL));
	cs_fleet_hx_free(hx);
}

static void test_builder_refuses(void **state)
{
	struct cs_fleet_hx *hx = NULL;
	struct cs_fleet_hx_rec r = { CS_KIND_SHA256, S256_A, 50, "" };

	(void)state;
	assert_int_equal(cs_fleet_hx_new(&hx), CS_OK);
	r.kind = CS_KIND_DOMAIN;
	assert_int_equal(cs_fleet_hx_add(hx, &r), CS_ERR_INVALID);
	r.kind = CS_KIND_SHA1; /* a sha256's length */
	assert_int_equal(cs_fleet_hx_add(hx, &r), CS_ERR_INVALID);
	r.kind = CS_KIND_SHA256;
	r.value = "00000001AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	assert_int_equal(cs_fleet_hx_add(hx, &r), CS_ERR_INVALID);
	r.value = S256_A;
	r.confidence = 101;
	assert_int_equal(cs_fleet_hx_add(hx, &r), CS_ERR_INVALID);
	assert_int_equal(cs_fleet_hx_finish(hx), CS_OK);
	assert_int_equal(cs_fleet_hx_count(hx), 0);
	cs_fleet_hx_free(hx);
}

static void test_prefixes_refused(void **state)
{
	static const unsigned char down[] = { 0, 0, 0, 2, 0, 0, 0, 1 };
	static const unsigned char dup[] = { 0, 0, 0, 2, 0, 0, 0, 2 };
	static const unsigned char odd[] = { 0, 0, 0, 2, 0 };

	(void)state;
	assert_false(cs_fleet_hx_prefixes_ok(down, sizeof(down)));
	assert_false(cs_fleet_hx_prefixes_ok(dup, sizeof(dup)));
	assert_false(cs_fleet_hx_prefixes_ok(odd, sizeof(odd)));
	assert_true(cs_fleet_hx_prefixes_ok(down, 4));
	assert_true(cs_fleet_hx_prefixes_ok(NULL, 0));
}

static void test_shard_refused(void **state)
{
	struct cs_fleet_hx *hx = build();
	const unsigned char *table, *d;
	unsigned char *bad;
	size_t dl;
	struct got g;
	char err[256];
	static const char *const lines[] = {
		"sha256\t" S256_A "\t80\n",                   /* three fields */
		"sha256\t" S256_A "\t80\tx\ty\n",                /* a tab in the source */
		"domain\t" S256_A "\t80\tx\n",                /* not a digest kind */
		"sha256\t" S256_A "0\t80\tx\n",               /* too long */
		"sha256\t00000001AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\t1\tx\n",
		"sha256\t" S256_A "\t101\tx\n",               /* confidence */
		"sha256\t" S256_A "\t\tx\n",                  /* no confidence */
		"sha256\t" S256_A "\t080\tx\n",               /* not written as we write it */
		"sha256\t" S256_A "\t +8\tx\n",
		"sha256\t" S256_C "\t1\tx\n",                 /* another shard's */
		"sha256\t" S256_A "\t1\tx",                   /* no final line break */
		"sha256\t" S256_A "\t1\tx\x01y\n",            /* control character */
	};
	size_t i;

	(void)state;
	table = cs_fleet_hx_table(hx);
	d = cs_fleet_hx_shard(hx, 0, &dl);
	bad = malloc(dl);
	assert_non_null(bad);
	memcpy(bad, d, dl);
	bad[dl - 2] ^= 1;
	assert_int_not_equal(cs_fleet_hx_shard_check(table, 0, bad, dl), 0);
	assert_int_not_equal(cs_fleet_hx_shard_check(table, 0, d, dl - 1), 0);
	assert_int_not_equal(cs_fleet_hx_shard_check(table, 0, NULL, 0), 0);
	assert_int_equal(cs_fleet_hx_shard_check(table, 1, NULL, 0), 0); /* empty, said empty */
	free(bad);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		memset(&g, 0, sizeof(g));
		err[0] = '\0';
		assert_int_equal(cs_fleet_hx_shard_each((const unsigned char *)lines[i],
							strlen(lines[i]), 0, take, &g, err,
							sizeof(err)),
				 CS_ERR_PARSE);
		assert_int_equal(g.n, 0);
		assert_non_null(strstr(err, "shard 0"));
	}
	/* The line of the error is named. */
	{
		static const char two[] = "sha256\t" S256_A "\t1\tok\nsha256\tzz\t1\tx\n";

		memset(&g, 0, sizeof(g));
		assert_int_equal(cs_fleet_hx_shard_each((const unsigned char *)two,
							sizeof(two) - 1, 0, take, &g, err,
							sizeof(err)),
				 CS_ERR_PARSE);
		assert_int_equal(g.n, 1);
		assert_non_null(strstr(err, "line 2"));
	}
	cs_fleet_hx_free(hx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_near_misses),
		cmocka_unit_test(test_builder_refuses),
		cmocka_unit_test(test_prefixes_refused),
		cmocka_unit_test(test_shard_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

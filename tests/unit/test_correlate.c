/*
 * Overlap analysis over crafted intel where the true cluster is known:
 * decoys share only shared-hosting addresses or warninglisted domains.
 * Plus the real files: ESET's 3CX event leads to signature-base's and
 * Volexity's 3CX entries through journalide.org.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chainsweep/correlate.h"
#include "chainsweep/store.h"
#include "testutil.h"

#define H_TRUE "5e0b0b3a1d34b5f11b4a0b5f51d7bd6d8b9e2e1ee6c7f6b1d2f4b0b0f2c9a3d1"
#define H_OTHER "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"

/* The known intel: a labelled true cluster, a document cluster sharing
 * one of its values, and decoys. */
static const char true_c2[] = "# Operation Tidewater (true)\n"
			      "evil-true.example\n"
			      "cdn-true.example\n"
			      "203.0.113.10\n"
			      "198.51.100.7\n"
			      "# Unrelated campaign\n"
			      "unrelated.example\n";
static const char true_csv[] = "value,type,note\n"
			       H_TRUE ",sha256,tidewater loader\n"
			       "https://cdn-true.example/a/b.ico,url,tidewater stage 2\n";
/* Shares only a cloud address many operators rent, and a name a
 * warninglist marks as benign. */
static const char decoy_c2[] = "# Decoy shared hosting\n"
			       "198.51.100.7\n"
			       "203.0.113.200\n"
			       "# Decoy benign name\n"
			       "login.microsoftonline.test\n"
			       "decoy-own.example\n";
static const char warnlist[] =
	"{\"name\": \"test benign\", \"version\": 1, \"description\": \"test\","
	" \"type\": \"hostname\", \"list\": [\"microsoftonline.test\"],"
	" \"matching_attributes\": [\"domain\", \"hostname\"]}";

struct fixture {
	char *dir;
	char db[512];
	struct cs_store *st;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct cs_intel *in = cs_intel_new();
	struct cs_import_stats s;
	char *p;
	const char *files[][2] = {
		{"tidewater-c2-iocs.txt", true_c2},
		{"tidewater.csv", true_csv},
		{"decoy-c2-iocs.txt", decoy_c2},
		{"benign.warninglist.json", warnlist},
	};
	size_t i;

	assert_non_null(f);
	f->dir = cs_test_tmpdir();
	snprintf(f->db, sizeof(f->db), "%s/case.db", f->dir);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		p = cs_test_write(f->dir, files[i][0], files[i][1], strlen(files[i][1]));
		memset(&s, 0, sizeof(s));
		if (strstr(files[i][0], "c2-iocs"))
			assert_int_equal(cs_intel_set_format(in, "loki-c2"), CS_OK);
		else if (strstr(files[i][0], "warninglist"))
			assert_int_equal(cs_intel_set_format(in, "warninglist"), CS_OK);
		else
			assert_int_equal(cs_intel_set_format(in, NULL), CS_OK);
		assert_int_equal(cs_intel_import(in, p, &s), CS_OK);
		free(p);
	}
	assert_int_equal(cs_intel_finalize(in), CS_OK);
	assert_int_equal(cs_store_open(f->db, &f->st), CS_OK);
	assert_int_equal(cs_store_save_intel(f->st, in, "known", NULL, NULL), CS_OK);
	cs_intel_free(in);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	cs_store_close(f->st);
	cs_test_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static const struct cs_lead *find_lead(const struct cs_correlation *c, const char *needle,
				       size_t *rank)
{
	size_t i;

	for (i = 0; i < cs_correlation_lead_count(c); i++) {
		const struct cs_lead *l = cs_correlation_lead(c, i);

		if (strstr(l->cluster, needle)) {
			if (rank)
				*rank = i;
			return l;
		}
	}
	return NULL;
}

static const struct cs_lead_evidence *find_ev(const struct cs_lead *l, const char *qvalue,
					      enum cs_relation rel)
{
	size_t i;

	for (i = 0; i < l->nevidence; i++) {
		if (strcmp(l->evidence[i].qvalue, qvalue) == 0 && l->evidence[i].relation == rel)
			return &l->evidence[i];
	}
	return NULL;
}

static const struct cs_query_item advisory[] = {
	{CS_KIND_SHA256, H_TRUE, NULL, 0, 0},
	{CS_KIND_DOMAIN, "beacon.evil-true.example", NULL, 0, 0},
	{CS_KIND_URL, "https://cdn-true.example/x.php", NULL, 0, 0},
	{CS_KIND_IPV4, "198.51.100.7", NULL, 0, 0},
	{CS_KIND_DOMAIN, "login.microsoftonline.test", NULL, 0, 0},
	{CS_KIND_SHA256, H_OTHER, NULL, 0, 0},
	{CS_KIND_IPV4, "203.0.113.99", NULL, 0, 0},
};

static void test_true_cluster_first(void **state)
{
	struct fixture *f = *state;
	struct cs_correlate_opts o;
	struct cs_correlation *c = NULL;
	const struct cs_lead *l, *d;
	const struct cs_lead_evidence *e;
	size_t rank = 99;

	memset(&o, 0, sizeof(o));
	o.sizes = 1;
	assert_int_equal(cs_correlate(f->st, advisory, 7, &o, &c), CS_OK);
	assert_int_equal(cs_correlation_query_size(c), 7);
	/* Only the other hash shares nothing at all. */
	assert_int_equal(cs_correlation_unmatched(c), 1);
	l = find_lead(c, "report:Operation Tidewater", &rank);
	assert_non_null(l);
	assert_int_equal(rank, 0);
	/* Exact hash (from the CSV document cluster, not this one), parent
	 * domain, URL host, the shared address, the /24 neighbour. */
	e = find_ev(l, "beacon.evil-true.example", CS_REL_PARENT);
	assert_non_null(e);
	assert_string_equal(e->value, "evil-true.example");
	assert_true(e->counted);
	assert_true(e->weight > 0.55 && e->weight < 0.57); /* 0.7 x 0.8 / 1 */
	e = find_ev(l, "https://cdn-true.example/x.php", CS_REL_URL_HOST);
	assert_non_null(e);
	assert_string_equal(e->value, "cdn-true.example");
	e = find_ev(l, "198.51.100.7", CS_REL_EXACT);
	assert_non_null(e);
	assert_int_equal(e->nsources, 2); /* the decoy's file lists it too */
	assert_true(e->weight > 0.19 && e->weight < 0.21);
	assert_non_null(strstr(e->file, "tidewater-c2-iocs.txt"));
	assert_int_equal(e->line, 5);
	e = find_ev(l, "203.0.113.99", CS_REL_PREFIX);
	assert_non_null(e);
	assert_string_equal(e->value, "203.0.113.10");
	assert_int_equal(l->shared, 4);
	assert_int_equal(l->size, 4);
	/* The hash lives in the CSV: its own document cluster, second. */
	l = find_lead(c, "tidewater.csv", &rank);
	assert_non_null(l);
	assert_non_null(find_ev(l, H_TRUE, CS_REL_EXACT));
	/* The decoys rank below, and the warninglisted name weighs nothing. */
	d = find_lead(c, "Decoy shared hosting", &rank);
	assert_non_null(d);
	assert_true(rank > 0);
	assert_true(d->score < cs_correlation_lead(c, 0)->score);
	assert_null(find_lead(c, "Decoy benign name", NULL));
	assert_null(find_lead(c, "Unrelated", NULL));
	{
		/* The evidence graph of the first lead: its cluster, the four
		 * query values, the three cluster values they reach when not
		 * equal (parent domain, URL host, /24 neighbour). */
		struct cs_graph *g = cs_graph_new();

		assert_int_equal(cs_correlation_graph(c, 1, 0, g), CS_OK);
		assert_int_equal(cs_graph_node_count(g), 1 + 4 + 3);
		assert_int_equal(cs_graph_edge_count(g), 1 + 3 * 2);
		cs_graph_free(g);
	}
	cs_correlation_free(c);
}

/* Without the values it shares, the true cluster is no lead: the /24
 * neighbour alone is weak evidence, shown only when asked. */
static void test_removing_shared_removes_lead(void **state)
{
	struct fixture *f = *state;
	struct cs_correlate_opts o;
	struct cs_correlation *c = NULL;
	const struct cs_query_item rest[] = {
		{CS_KIND_DOMAIN, "login.microsoftonline.test", NULL, 0, 0},
		{CS_KIND_SHA256, H_OTHER, NULL, 0, 0},
		{CS_KIND_IPV4, "203.0.113.99", NULL, 0, 0},
	};
	const struct cs_lead *l;

	memset(&o, 0, sizeof(o));
	assert_int_equal(cs_correlate(f->st, rest, 3, &o, &c), CS_OK);
	assert_null(find_lead(c, "Operation Tidewater", NULL));
	assert_null(find_lead(c, "tidewater.csv", NULL));
	assert_int_equal(cs_correlation_lead_count(c), 0);
	cs_correlation_free(c);

	o.weak = 1;
	assert_int_equal(cs_correlate(f->st, rest, 3, &o, &c), CS_OK);
	l = find_lead(c, "Operation Tidewater", NULL);
	assert_non_null(l);
	assert_true(l->by_relation[CS_REL_PREFIX] > 0);
	assert_true(l->by_relation[CS_REL_EXACT] == 0);
	/* The warninglisted name is evidence that counts nothing. */
	assert_null(find_lead(c, "Decoy benign name", NULL));
	cs_correlation_free(c);
}

/* A resolution the query states reaches the cluster's address. */
static void test_resolution(void **state)
{
	struct fixture *f = *state;
	struct cs_correlation *c = NULL;
	const char *res[] = {"203.0.113.10"};
	const struct cs_query_item q[] = {
		{CS_KIND_DOMAIN, "fresh-c2.example", res, 1, 0},
	};
	const struct cs_lead *l;
	const struct cs_lead_evidence *e;

	assert_int_equal(cs_correlate(f->st, q, 1, NULL, &c), CS_OK);
	l = find_lead(c, "Operation Tidewater", NULL);
	assert_non_null(l);
	e = find_ev(l, "fresh-c2.example", CS_REL_RESOLUTION);
	assert_non_null(e);
	assert_string_equal(e->value, "203.0.113.10");
	assert_string_equal(e->via, "203.0.113.10");
	cs_correlation_free(c);
}

/* The query's own entries in the store are never evidence for it. */
static void test_self_excluded(void **state)
{
	struct fixture *f = *state;
	struct cs_correlate_opts o;
	struct cs_correlation *c = NULL;
	const struct cs_query_item q[] = {
		{CS_KIND_DOMAIN, "decoy-own.example", NULL, 0, 0},
	};
	char self[600];
	const char *files[] = {self};

	memset(&o, 0, sizeof(o));
	assert_int_equal(cs_correlate(f->st, q, 1, &o, &c), CS_OK);
	assert_non_null(find_lead(c, "Decoy benign name", NULL));
	cs_correlation_free(c);
	/* Named through another spelling of the same file. */
	snprintf(self, sizeof(self), "%s/./decoy-c2-iocs.txt", f->dir);
	o.self_files = files;
	o.nself_files = 1;
	assert_int_equal(cs_correlate(f->st, q, 1, &o, &c), CS_OK);
	assert_int_equal(cs_correlation_lead_count(c), 0);
	assert_int_equal(cs_correlation_unmatched(c), 1);
	cs_correlation_free(c);
}

/* Findings on one host within the window tie a value no intel knows to
 * the cluster whose value was found beside it. */
static void test_cooccurrence(void **state)
{
	struct fixture *f = *state;
	struct cs_correlate_opts o;
	struct cs_correlation *c = NULL;
	struct cs_finding_rec r;
	int64_t sweep;
	const struct cs_query_item q[] = {
		{CS_KIND_DOMAIN, "never-seen-before.example", NULL, 0, 0},
	};
	const struct cs_lead *l;
	const struct cs_lead_evidence *e;

	assert_int_equal(cs_store_sweep_begin(f->st, "ws-1", "logs", &sweep), CS_OK);
	memset(&r, 0, sizeof(r));
	r.kind = CS_FIND_LOG;
	r.evidence = "log";
	r.location = "proxy.log:10";
	r.observed = "never-seen-before.example";
	r.ind_kind = "domain";
	r.ind_value = "never-seen-before.example";
	r.first_seen_ms = r.last_seen_ms = 1680000000000;
	r.count = 1;
	assert_int_equal(cs_store_finding_put(f->st, sweep, &r), CS_OK);
	r.location = "proxy.log:99";
	r.observed = "evil-true.example";
	r.ind_value = "evil-true.example";
	r.first_seen_ms = r.last_seen_ms = 1680000000000 + 3600000; /* an hour later */
	assert_int_equal(cs_store_finding_put(f->st, sweep, &r), CS_OK);
	assert_int_equal(cs_store_sweep_end(f->st, sweep, "{}", 0), CS_OK);

	memset(&o, 0, sizeof(o));
	o.cooccur = 1;
	assert_int_equal(cs_correlate(f->st, q, 1, &o, &c), CS_OK);
	l = find_lead(c, "Operation Tidewater", NULL);
	assert_non_null(l);
	e = find_ev(l, "never-seen-before.example", CS_REL_COOCCUR);
	assert_non_null(e);
	assert_string_equal(e->value, "evil-true.example");
	assert_string_equal(e->via, "ws-1");
	cs_correlation_free(c);

	o.window_ms = 30 * 60000; /* 30 minutes: too far apart */
	assert_int_equal(cs_correlate(f->st, q, 1, &o, &c), CS_OK);
	assert_int_equal(cs_correlation_lead_count(c), 0);
	cs_correlation_free(c);

	/* The case itself as the query: both findings, and the cluster. */
	o.window_ms = 0;
	assert_int_equal(cs_correlate_case(f->st, &o, &c), CS_OK);
	assert_int_equal(cs_correlation_query_size(c), 2);
	l = find_lead(c, "Operation Tidewater", NULL);
	assert_non_null(l);
	assert_non_null(find_ev(l, "evil-true.example", CS_REL_EXACT));
	cs_correlation_free(c);
}

/* Many findings of one value on one host: each is paired only with its
 * neighbours in the window, and a value found beside it many times is
 * looked up once. */
static void test_cooccurrence_many(void **state)
{
	struct fixture *f = *state;
	struct cs_correlate_opts o;
	struct cs_correlation *c = NULL;
	struct cs_finding_rec r;
	char loc[64];
	int64_t sweep, t0 = 1680000000000;
	int i;
	const struct cs_query_item q[] = {
		{CS_KIND_DOMAIN, "noise.example", NULL, 0, 0},
	};
	const struct cs_lead *l;

	assert_int_equal(cs_store_sweep_begin(f->st, "ws-2", "logs", &sweep), CS_OK);
	memset(&r, 0, sizeof(r));
	r.kind = CS_FIND_LOG;
	r.evidence = "log";
	r.ind_kind = "domain";
	r.count = 1;
	for (i = 0; i < 5000; i++) {
		snprintf(loc, sizeof(loc), "proxy.log:%d", i + 1);
		r.location = loc;
		/* every minute noise.example; every 7th minute the cluster's
		 * domain as well, from the 2,500th minute on */
		r.observed = r.ind_value = (i % 7 == 3 && i > 2500) ? "cdn-true.example"
								      : "noise.example";
		r.first_seen_ms = r.last_seen_ms = t0 + (int64_t)i * 60000;
		assert_int_equal(cs_store_finding_put(f->st, sweep, &r), CS_OK);
	}
	assert_int_equal(cs_store_sweep_end(f->st, sweep, "{}", 0), CS_OK);
	memset(&o, 0, sizeof(o));
	o.cooccur = 1;
	o.window_ms = 5 * 60000;
	assert_int_equal(cs_correlate(f->st, q, 1, &o, &c), CS_OK);
	l = find_lead(c, "Operation Tidewater", NULL);
	assert_non_null(l);
	/* One piece of evidence: the same value on the same host. */
	assert_int_equal(l->nevidence, 1);
	assert_string_equal(l->evidence[0].value, "cdn-true.example");
	assert_string_equal(l->evidence[0].via, "ws-2");
	assert_int_equal(cs_correlation_cooccur_capped(c), 0);
	cs_correlation_free(c);
}

/* More distinct values beside one item than are looked up: the item is
 * counted as capped, never silently cut. */
static void test_cooccurrence_capped(void **state)
{
	struct fixture *f = *state;
	struct cs_correlate_opts o;
	struct cs_correlation *c = NULL;
	struct cs_finding_rec r;
	char loc[64], val[64];
	int64_t sweep, t0 = 1680000000000;
	int i;
	const struct cs_query_item q[] = {
		{CS_KIND_DOMAIN, "noise.example", NULL, 0, 0},
	};

	assert_int_equal(cs_store_sweep_begin(f->st, "ws-3", "logs", &sweep), CS_OK);
	memset(&r, 0, sizeof(r));
	r.kind = CS_FIND_LOG;
	r.evidence = "log";
	r.ind_kind = "domain";
	r.count = 1;
	r.first_seen_ms = r.last_seen_ms = t0;
	r.location = "proxy.log:1";
	r.observed = r.ind_value = "noise.example";
	assert_int_equal(cs_store_finding_put(f->st, sweep, &r), CS_OK);
	for (i = 0; i < 4100; i++) {
		snprintf(loc, sizeof(loc), "proxy.log:%d", i + 2);
		snprintf(val, sizeof(val), "v%d.example", i);
		r.location = loc;
		r.observed = r.ind_value = val;
		assert_int_equal(cs_store_finding_put(f->st, sweep, &r), CS_OK);
	}
	assert_int_equal(cs_store_sweep_end(f->st, sweep, "{}", 0), CS_OK);
	memset(&o, 0, sizeof(o));
	o.cooccur = 1;
	assert_int_equal(cs_correlate(f->st, q, 1, &o, &c), CS_OK);
	assert_int_equal(cs_correlation_cooccur_capped(c), 1);
	cs_correlation_free(c);
}

/* Hostile queries: empty, absurd values, huge values; nothing breaks. */
static void test_hostile_queries(void **state)
{
	struct fixture *f = *state;
	struct cs_correlation *c = NULL;
	char *huge = malloc(200000);
	struct cs_query_item q[6];

	assert_non_null(huge);
	memset(huge, 'a', 199999);
	huge[199999] = '\0';
	memset(q, 0, sizeof(q));
	q[0].kind = CS_KIND_URL;
	q[0].value = "not a url";
	q[1].kind = CS_KIND_URL;
	q[1].value = "http://[::1/x";
	q[2].kind = CS_KIND_IPV4;
	q[2].value = "999.1.1.1";
	q[3].kind = CS_KIND_DOMAIN;
	q[3].value = huge;
	q[4].kind = CS_KIND_DOMAIN;
	q[4].value = "";
	q[5].kind = CS_KIND_IPV6;
	q[5].value = "2001:db8::1";
	assert_int_equal(cs_correlate(f->st, q, 6, NULL, &c), CS_OK);
	assert_int_equal(cs_correlation_lead_count(c), 0);
	assert_int_equal(cs_correlation_query_size(c), 5);
	cs_correlation_free(c);
	assert_int_equal(cs_correlate(f->st, NULL, 0, NULL, &c), CS_OK);
	assert_int_equal(cs_correlation_query_size(c), 0);
	cs_correlation_free(c);
	free(huge);
}

/* ESET's 3CX event against signature-base and Volexity. */
static void test_real_eset(void **state)
{
	char *dir, db[512], *eset, *sigbase, *volexity;
	struct cs_store *st = NULL;
	struct cs_intel *known, *query;
	struct cs_import_stats s;
	struct cs_query_item *items;
	struct cs_correlate_opts o;
	struct cs_correlation *c = NULL;
	const char *self[1];
	const struct cs_lead *l;
	size_t i, n;

	(void)state;
	eset = strdup(CS_TEST_REAL_WORLD("eset/lazarus_3cx.misp.json"));
	sigbase = strdup(CS_TEST_REAL_WORLD("signature-base/iocs"));
	volexity = strdup(CS_TEST_REAL_WORLD("volexity/3cx-iocs.csv"));
	assert_true(eset && sigbase && volexity);
	dir = cs_test_tmpdir();
	known = cs_intel_new();
	query = cs_intel_new();
	memset(&s, 0, sizeof(s));
	assert_int_equal(cs_intel_import(known, sigbase, &s), CS_OK);
	assert_int_equal(cs_intel_import(known, volexity, &s), CS_OK);
	assert_int_equal(cs_intel_import(known, eset, &s), CS_OK);
	assert_int_equal(cs_intel_finalize(known), CS_OK);
	snprintf(db, sizeof(db), "%s/case.db", dir);
	assert_int_equal(cs_store_open(db, &st), CS_OK);
	assert_int_equal(cs_store_save_intel(st, known, "known", NULL, NULL), CS_OK);

	assert_int_equal(cs_intel_import(query, eset, &s), CS_OK);
	assert_int_equal(cs_intel_finalize(query), CS_OK);
	n = cs_intel_count(query);
	items = calloc(n, sizeof(*items));
	assert_non_null(items);
	for (i = 0; i < n; i++) {
		items[i].kind = cs_indicator_kind(cs_intel_at(query, i));
		items[i].value = cs_indicator_value(cs_intel_at(query, i));
	}
	memset(&o, 0, sizeof(o));
	self[0] = eset;
	o.self_files = self;
	o.nself_files = 1;
	assert_int_equal(cs_correlate(st, items, n, &o, &c), CS_OK);
	/* The event itself, stored too, is not a lead for itself. */
	assert_null(find_lead(c, "event:", NULL));
	assert_null(find_lead(c, "actor:Lazarus", NULL));
	l = find_lead(c, "report:3CX Compromise IOCs", NULL);
	assert_non_null(l);
	assert_non_null(find_ev(l, "journalide.org", CS_REL_EXACT));
	l = find_lead(c, "volexity/3cx-iocs.csv", NULL);
	assert_non_null(l);
	assert_non_null(find_ev(l, "journalide.org", CS_REL_EXACT));
	cs_correlation_free(c);
	free(items);
	cs_intel_free(known);
	cs_intel_free(query);
	cs_store_close(st);
	cs_test_rmtree(dir);
	free(dir);
	free(eset);
	free(sigbase);
	free(volexity);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_true_cluster_first, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_removing_shared_removes_lead, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_resolution, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_self_excluded, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cooccurrence, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cooccurrence_many, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cooccurrence_capped, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_hostile_queries, setup, teardown),
	        cmocka_unit_test(test_real_eset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

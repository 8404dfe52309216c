/*
 * The log hunt's load by key (cs_store_load_intel_key,
 * cs_matcher_from_snapshot_keyed): each indicator loaded by its key is
 * the one the whole load gives (labels, sources in order with their
 * labels, refs and descriptions, confidence, window, warninglist marks,
 * CIDRs, URLs, e-mail addresses, digests); a hunt from the snapshot with
 * several threads reports exactly what a hunt with the whole intel
 * reports, while the intel grows under readers; only the hit keys are
 * loaded; a damaged case gives an error, never a crash.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chainsweep/logs.h"
#include "chainsweep/store.h"
#include "intel/intel_int.h"
#include "match/match_int.h"
#include "testutil.h"
#include "textmatch_intel.h"

#define NGEN 1500 /* generated domains */

static const char more_csv[] =
        "type,value,campaign,actor,description,valid_from\n"
        "domain,evil-domain.com,Op Lure,Crew A,seen in the lure,2023-03-01\n"
        "domain,bad-cdn.net,Op Lure,,cdn of the lure,\n"
        "ipv4,198.51.100.7,,Crew B,,\n"
        "cidr,203.0.113.0/24,Op Net,,,\n"
        "url,https://github.com/IconStorages/images,Op Lure,Crew A,icon host,\n"
        "email,ops@evil-domain.com,,Crew A,sender,\n"
        "md5,0123456789abcdef0123456789abcdef,Op Drop,,dropper,\n";

static const char wl_host[] = "{\"name\":\"Code hosting\",\"type\":\"hostname\","
                              "\"list\":[\"github.com\",\"x1.test\"]}";
static const char wl_cidr[] = "{\"name\":\"Documentation nets\",\"type\":\"cidr\","
                              "\"list\":[\"198.51.100.0/24\",\"203.0.113.0/24\"]}";

static void import(struct cs_intel *in, const char *fmt, const char *name, const char *text)
{
	struct cs_import_stats st;

	assert_int_equal(cs_intel_set_format(in, fmt), CS_OK);
	assert_int_equal(cs_intel_import_mem(in, name, text, strlen(text), &st), CS_OK);
}

/* A case at dir/case.db: the text matcher's intel, a second file giving
 * some of it again with labels, generated domains with labels, sources
 * with refs and source labels, and two warninglists. */
static char *make_case(const char *dir)
{
	struct cs_intel *in = cs_intel_new();
	struct cs_store *st = NULL;
	char *path = malloc(strlen(dir) + 16), *gen = malloc(NGEN * 64 + 64);
	size_t n, i;
	long idx;

	assert_non_null(in);
	assert_non_null(gen);
	sprintf(path, "%s/case.db", dir);
	import(in, "csv", "intel.csv", tm_intel_csv);
	import(in, "csv", "more.csv", more_csv);
	n = (size_t)sprintf(gen, "type,value,campaign,tags\n");
	for (i = 0; i < NGEN; i++)
		n += (size_t)sprintf(gen + n, "domain,h%zu.gen.test,Gen %zu,t%zu\n", i, i % 7,
		                     i % 3);
	import(in, "csv", "gen.csv", gen);
	import(in, "warninglist", "wl-host.json", wl_host);
	import(in, "warninglist", "wl-cidr.json", wl_cidr);
	/* Sources the readers above do not give: refs, source labels, a
	 * higher confidence. */
	{
		static const char *const l1[] = {"actor:Crew C", "tag:from-stix"};
		static const char *const l2[] = {"tag:second"};

		idx = cs__intel_put(in, CS_KIND_DOMAIN, "evil-domain.com", CS_IND_DETECT, 80, 0, 0);
		assert_true(idx >= 0);
		assert_int_equal(cs__intel_put_source(in, (size_t)idx, "feed.json", 0,
		                                      "indicator--0001", "stix", "from a feed", l1,
		                                      2),
		                 CS_OK);
		assert_int_equal(cs__intel_put_source(in, (size_t)idx, "feed.json", 0,
		                                      "indicator--0002", "stix", NULL, l2, 1),
		                 CS_OK);
		idx = cs__intel_put(in, CS_KIND_DOMAIN, "h7.gen.test", CS_IND_HUNT, 30, 0, 0);
		assert_true(idx >= 0);
		assert_int_equal(cs__intel_put_label(in, (size_t)idx, "malware:GenBot"), CS_OK);
		assert_int_equal(cs__intel_put_source(in, (size_t)idx, "feed.json", 12, NULL,
		                                      "stix", "line source", l2, 1),
		                 CS_OK);
	}
	assert_int_equal(cs_intel_finalize(in), CS_OK);
	assert_int_equal(cs_store_open(path, &st), CS_OK);
	assert_int_equal(cs_store_save_intel(st, in, "test", NULL, NULL), CS_OK);
	cs_store_close(st);
	cs_intel_free(in);
	free(gen);
	return path;
}

static struct cs_intel *load_whole(struct cs_store *st)
{
	struct cs_intel *in = cs_intel_new();

	assert_non_null(in);
	assert_int_equal(cs_store_load_intel(st, in), CS_OK);
	assert_int_equal(cs_intel_finalize(in), CS_OK);
	return in;
}

/* Everything a report can show of an indicator, as text. */
static size_t describe(const struct cs_intel *in, const struct cs_indicator *ind, char *buf,
                       size_t len)
{
	size_t n = 0, i, j;

#define PUT(...) (n += (size_t)snprintf(buf + n, n < len ? len - n : 0, __VA_ARGS__))
	PUT("%s %s f=%u c=%d w=%lld..%lld L[", cs_kind_name(cs_indicator_kind(ind)),
	    cs_indicator_value(ind), cs_indicator_flags(ind), cs_indicator_confidence(ind),
	    (long long)cs_indicator_valid_from(ind), (long long)cs_indicator_valid_until(ind));
	for (i = 0; i < cs_indicator_label_count(ind); i++)
		PUT("%s;", cs_indicator_label(in, ind, i));
	PUT("] S[");
	for (i = 0; i < cs_indicator_source_count(ind); i++) {
		struct cs_source_info si;

		cs_indicator_source(in, ind, i, &si);
		PUT("(%s:%llu %s %s %s", si.file ? si.file : "-", (unsigned long long)si.line,
		    si.ref ? si.ref : "-", si.format ? si.format : "-",
		    si.description ? si.description : "-");
		for (j = 0; j < si.nlabels; j++)
			PUT(" %s", si.labels[j]);
		PUT(")");
	}
	PUT("] W[");
	for (i = 0; i < cs_indicator_warninglist_count(ind); i++)
		PUT("%s;", cs_indicator_warninglist(in, ind, i));
	PUT("]");
#undef PUT
	assert_true(n < len);
	return n;
}

static int snap_kind(enum cs_kind k)
{
	return k == CS_KIND_DOMAIN || k == CS_KIND_IPV4 || k == CS_KIND_IPV6 || k == CS_KIND_CIDR ||
	       k == CS_KIND_URL || k == CS_KIND_EMAIL || k == CS_KIND_MD5 || k == CS_KIND_SHA1 ||
	       k == CS_KIND_SHA256 || k == CS_KIND_SHA512;
}

/* Every indicator loaded by its key (CIDRs by kind) is the whole load's. */
static void test_key_same_as_whole(void **state)
{
	char *dir = cs_test_tmpdir(), *path = make_case(dir), a[4096], b[4096];
	struct cs_store *st = NULL;
	struct cs_intel *whole, *keyed = cs_intel_new();
	size_t i, n, want = 0, marked = 0, labelled = 0, multi = 0;

	(void)state;
	assert_int_equal(cs_store_open(path, &st), CS_OK);
	whole = load_whole(st);
	n = cs_intel_count(whole);
	assert_true(n > NGEN);
	assert_int_equal(cs_store_load_intel_begin(st, keyed), CS_OK);
	assert_int_equal(cs_intel_count(keyed), 0);
	assert_int_equal(cs_store_load_intel_key(st, keyed, CS_KIND_CIDR, NULL), CS_OK);
	for (i = 0; i < n; i++) {
		const struct cs_indicator *w = cs_intel_at(whole, i), *k;
		enum cs_kind kind = cs_indicator_kind(w);

		if (!snap_kind(kind))
			continue;
		want++;
		if (kind != CS_KIND_CIDR && i % 2)
			continue; /* read by the rest, below */
		if (kind != CS_KIND_CIDR)
			assert_int_equal(
			        cs_store_load_intel_key(st, keyed, kind, cs_indicator_value(w)),
			        CS_OK);
		k = cs_intel_find(keyed, kind, cs_indicator_value(w));
		assert_non_null(k);
		describe(whole, w, a, sizeof(a));
		describe(keyed, k, b, sizeof(b));
		assert_string_equal(a, b);
		marked += cs_indicator_warninglist_count(w) != 0;
		labelled += cs_indicator_label_count(w) != 0;
		multi += cs_indicator_source_count(w) > 1;
		/* Asked again: nothing added, nothing moved. */
		if (kind != CS_KIND_CIDR) {
			size_t had = cs_intel_count(keyed);

			assert_int_equal(
			        cs_store_load_intel_key(st, keyed, kind, cs_indicator_value(w)),
			        CS_OK);
			assert_int_equal(cs_intel_count(keyed), had);
			assert_ptr_equal(cs_intel_find(keyed, kind, cs_indicator_value(w)), k);
		}
	}
	/* The rest in one pass: what was loaded stays where it is, the
	 * others come as the whole load gives them. */
	{
		const struct cs_indicator *first = cs_intel_at(keyed, 0);
		size_t had = cs_intel_count(keyed);

		assert_true(had < want);
		assert_int_equal(cs_store_load_intel_rest(st, keyed), CS_OK);
		assert_int_equal(cs_intel_count(keyed), n);
		assert_ptr_equal(cs_intel_at(keyed, 0), first);
		for (i = 0; i < n; i++) {
			const struct cs_indicator *w = cs_intel_at(whole, i), *k;
			enum cs_kind kind = cs_indicator_kind(w);

			k = cs_intel_find(keyed, kind, cs_indicator_value(w));
			assert_non_null(k);
			describe(whole, w, a, sizeof(a));
			describe(keyed, k, b, sizeof(b));
			assert_string_equal(a, b);
			marked += cs_indicator_warninglist_count(w) != 0;
			labelled += cs_indicator_label_count(w) != 0;
			multi += cs_indicator_source_count(w) > 1;
		}
		assert_int_equal(cs_store_load_intel_rest(st, keyed), CS_OK);
		assert_int_equal(cs_intel_count(keyed), n);
	}
	/* The case is what the test means it to be. */
	assert_true(marked >= 3);
	assert_true(labelled > NGEN);
	assert_true(multi >= 5);
	assert_int_equal(want, n);
	/* A key the case does not hold adds nothing; the shared set is not
	 * finalized whole. */
	assert_int_equal(cs_store_load_intel_key(st, keyed, CS_KIND_DOMAIN, "absent.test"), CS_OK);
	assert_int_equal(cs_intel_count(keyed), n);
	assert_int_equal(cs_intel_finalize(keyed), CS_ERR_INVALID);
	assert_int_equal(cs_store_load_intel_key(st, keyed, CS_KIND_COMPOUND, "x"), CS_ERR_INVALID);
	/* _begin wants an empty set. */
	assert_int_equal(cs_store_load_intel_begin(st, keyed), CS_ERR_INVALID);
	cs_intel_free(keyed);
	cs_intel_free(whole);
	cs_store_close(st);
	cs_test_rmtree(dir);
	free(dir);
	free(path);
}

/* The hunt's loader: the case, through the store's load by key. */
struct kstate {
	struct cs_store *st;
	unsigned opens, keys, rests;
};

static int k_open(void *ud, struct cs_intel **out)
{
	struct kstate *k = ud;
	struct cs_intel *in = cs_intel_new();
	int rc = in ? cs_store_load_intel_begin(k->st, in) : CS_ERR_NOMEM;

	k->opens++;
	if (rc)
		cs_intel_free(in);
	else
		*out = in;
	return rc;
}

static int k_key(void *ud, struct cs_intel *in, enum cs_kind kind, const char *value)
{
	struct kstate *k = ud;

	k->keys++;
	return cs_store_load_intel_key(k->st, in, kind, value);
}

static int k_rest(void *ud, struct cs_intel *in)
{
	struct kstate *k = ud;

	k->rests++;
	return cs_store_load_intel_rest(k->st, in);
}

static const struct cs_intel_keyload kl = {k_open, k_key, NULL};
/* The same, and the rest read whole past KEYS_WHOLE keys (tsnap.c). */
static const struct cs_intel_keyload kl_rest = {k_open, k_key, k_rest};

struct out {
	const struct cs_matcher *m;
	const struct cs_intel *in; /* the whole intel, or NULL: the matcher's */
	char *text;
	size_t n, cap;
};

static int on_hit(void *ud, const struct cs_log_hit *h)
{
	struct out *o = ud;
	const struct cs_intel *in = o->in ? o->in : cs_matcher_intel(o->m);
	char d[4096];

	assert_non_null(in);
	describe(in, h->indicator, d, sizeof(d));
	if (o->n + sizeof(d) + 256 > o->cap) {
		o->cap = (o->cap + sizeof(d) + 256) * 2;
		o->text = realloc(o->text, o->cap);
		assert_non_null(o->text);
	}
	o->n += (size_t)sprintf(o->text + o->n, "%llu@%llu %s %s -> %s\n",
	                        (unsigned long long)h->line, (unsigned long long)h->offset,
	                        cs_kind_name(h->observed), h->matched, d);
	return 0;
}

static int scan(const struct cs_matcher *m, const struct cs_intel *in, const char *text, size_t len,
                unsigned threads, struct out *o)
{
	struct cs_log_opts opts;
	struct cs_log_result res;
	int rc;

	o->m = m;
	o->in = in;
	o->n = 0;
	cs_log_opts_init(&opts);
	opts.threads = threads;
	opts.max_line = 4096;
	opts.on_hit = on_hit;
	opts.userdata = o;
	rc = cs_log_scan_mem(m, "hunt.log", text, len, &opts, &res);
	if (o->text)
		o->text[o->n] = '\0';
	return rc;
}

/* A log of `lines` lines: generated names (some hit, most near misses),
 * the text matcher's keys, addresses in networks, noise. */
static char *make_log(uint64_t seed, size_t lines, size_t *len)
{
	static const char *const fixed[] = {"cdn.evil-domain.com",
	                                    "a.b.evil.co.uk",
	                                    "x.bad-cdn.net",
	                                    "x1.test",
	                                    "198.51.100.7",
	                                    "203.0.113.77",
	                                    "10.20.3.4",
	                                    "100.64.9.9",
	                                    "2001:db8::bad",
	                                    "2001:db8:ff::17",
	                                    "https://github.com/IconStorages/images/x.png",
	                                    "http://192.0.2.10/payload.bin",
	                                    "http://intranet/drop?id=7",
	                                    "https://files.example.net:8443/a/b/c",
	                                    "0123456789ABCDEF0123456789ABCDEF",
	                                    "00112233445566778899aabbccddeeff00112233",
	                                    "ops@evil-domain.com",
	                                    "boss@mail.example.org",
	                                    "root@10.9.8.7",
	                                    "github.com",
	                                    "notevil-domain.com"};
	char *t = malloc(lines * 160 + 1);
	size_t n = 0, i;
	uint64_t x = seed;

	assert_non_null(t);
	for (i = 0; i < lines; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		switch (x % 4) {
		case 0:
			n += (size_t)sprintf(
			        t + n, "2023-03-29 10:00:%02u q www.h%llu.gen.test ok\n",
			        (unsigned)(i % 60), (unsigned long long)((x >> 8) % NGEN));
			break;
		case 1:
			n += (size_t)sprintf(
			        t + n, "2023-03-29 10:01:%02u q h%llu.gen.testx miss\n",
			        (unsigned)(i % 60), (unsigned long long)((x >> 8) % NGEN));
			break;
		case 2:
			n += (size_t)sprintf(t + n, "2023-03-29 10:02:%02u saw %s and %s\n",
			                     (unsigned)(i % 60),
			                     fixed[(x >> 8) % CS_ARRAY_SIZE(fixed)],
			                     fixed[(x >> 20) % CS_ARRAY_SIZE(fixed)]);
			break;
		default:
			n += (size_t)sprintf(t + n, "2023-03-29 10:03:%02u nothing at all here\n",
			                     (unsigned)(i % 60));
			break;
		}
	}
	*len = n;
	return t;
}

/* A generated case, its whole intel, a matcher on it and its snapshot
 * in `cache` under `stamp`: what the hunts below compare against. */
struct kcase {
	char *dir, *path, *cache;
	struct cs_store *st;
	struct cs_intel *whole;
	struct cs_matcher *full;
};

static void kcase_open(struct kcase *c, const char *stamp)
{
	c->dir = cs_test_tmpdir();
	c->path = make_case(c->dir);
	c->cache = malloc(strlen(c->dir) + 8);
	assert_non_null(c->cache);
	sprintf(c->cache, "%s/cache", c->dir);
	assert_int_equal(cs_store_open(c->path, &c->st), CS_OK);
	c->whole = load_whole(c->st);
	assert_int_equal(cs_matcher_new(c->whole, NULL, NULL, &c->full), CS_OK);
	assert_int_equal(cs_matcher_snapshot_put(c->full, c->cache, stamp), CS_OK);
}

static void kcase_close(struct kcase *c)
{
	cs_matcher_free(c->full);
	cs_intel_free(c->whole);
	cs_store_close(c->st);
	cs_test_rmtree(c->dir);
	free(c->dir);
	free(c->path);
	free(c->cache);
}

/*
 * Hunts from the snapshot, loading by key with four threads, against the
 * whole intel: the same hits, each with the same labels, sources and
 * marks, read while other threads add to the intel. Only hit keys are
 * loaded, each once.
 */
static void test_keyed_hunt(void **state)
{
	struct kcase c;
	struct cs_matcher *snap = NULL;
	struct out a, b;
	int round;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	kcase_open(&c, "k1");
	for (round = 0; round < 6; round++) {
		struct kstate k = {c.st, 0, 0, 0};
		size_t len, total = cs_intel_count(c.whole);
		char *log = make_log(0x9e3779b97f4a7c15ULL + (uint64_t)round, 3000, &len);
		unsigned threads = round % 3 == 2 ? 1 : 4;
		int rest = round % 2;

		assert_int_equal(cs_matcher_from_snapshot_keyed(c.cache, "k1", rest ? &kl_rest : &kl,
		                                                &k, &snap),
		                 CS_OK);
		assert_null(cs_matcher_intel(snap));
		assert_int_equal(scan(c.full, c.whole, log, len, threads, &a), CS_OK);
		assert_int_equal(scan(snap, NULL, log, len, threads, &b), CS_OK);
		assert_true(a.n > 0);
		assert_string_equal(a.text, b.text);
		assert_int_equal(k.opens, 1);
		if (rest) {
			/* Hundreds of keys hit: past total / 64 + 64 of them the
			 * rest was read whole, once. */
			assert_int_equal(k.rests, 1);
			assert_true(k.keys <= total / 64 + 64 + 2);
			assert_int_equal(cs_intel_count(cs_matcher_intel(snap)), total);
		} else {
			/* Fewer indicators than the case holds: the hits' only. */
			assert_int_equal(k.rests, 0);
			assert_true(cs_intel_count(cs_matcher_intel(snap)) < total / 2);
		}
		/* Once loaded, the same matcher answers the same again, asking
		 * the case nothing more. */
		{
			unsigned keys = k.keys;

			assert_int_equal(scan(snap, NULL, log, len, threads, &b), CS_OK);
			assert_string_equal(a.text, b.text);
			assert_int_equal(k.keys, keys);
		}
		cs_matcher_free(snap);
		snap = NULL;
		free(log);
	}
	/* Nothing that could hit: nothing opened. */
	{
		struct kstate k = {c.st, 0, 0, 0};
		static const char quiet[] = "nothing here: example.org 192.0.2.1 h1.gen.testx\n";

		assert_int_equal(cs_matcher_from_snapshot_keyed(c.cache, "k1", &kl, &k, &snap),
		                 CS_OK);
		assert_int_equal(scan(snap, NULL, quiet, sizeof(quiet) - 1, 2, &b), CS_OK);
		assert_int_equal(b.n, 0);
		assert_int_equal(k.opens, 0);
		assert_null(cs_matcher_intel(snap));
		cs_matcher_free(snap);
	}
	free(a.text);
	free(b.text);
	kcase_close(&c);
}

/* One of the threads of test_keyed_threads: its lines through a matcher,
 * each hit described through `in` (NULL: the matcher's intel). */
struct tjob {
	const struct cs_matcher *m;
	const struct cs_intel *in;
	pthread_barrier_t *go;
	const char *log;
	size_t len;
	char *text;
	size_t n, cap;
	int rc;
};

static int t_hit(void *ud, enum cs_kind observed, size_t off, size_t len,
                 const struct cs_indicator *ind)
{
	struct tjob *j = ud;
	const struct cs_intel *in = j->in ? j->in : cs_matcher_intel(j->m);
	char d[4096];

	if (!in)
		return CS_ERR_INVALID;
	describe(in, ind, d, sizeof(d));
	if (j->n + sizeof(d) + 64 > j->cap) {
		j->cap = (j->cap + sizeof(d) + 64) * 2;
		j->text = realloc(j->text, j->cap);
		if (!j->text)
			return CS_ERR_NOMEM;
	}
	j->n += (size_t)sprintf(j->text + j->n, "%s %zu+%zu %s\n", cs_kind_name(observed), off, len,
	                        d);
	return 0;
}

static void *t_main(void *arg)
{
	struct tjob *j = arg;
	const char *p = j->log, *end = j->log + j->len;

	if (j->go)
		pthread_barrier_wait(j->go);
	while (p < end && !j->rc) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		j->rc = cs__match_text(j->m, p, n, t_hit, j);
		p += n + 1;
	}
	return NULL;
}

/*
 * Four threads look keys up in one matcher from the snapshot at once,
 * each its own lines, and read every indicator they get (labels,
 * sources, marks) while the others load more: each sees what the whole
 * intel gives. (Run under ThreadSanitizer too.)
 */
static void test_keyed_threads(void **state)
{
	struct kcase c;
	struct cs_matcher *snap = NULL;
	struct kstate k;
	int round, i;

	(void)state;
	kcase_open(&c, "t1");
	for (round = 0; round < 4; round++) {
		struct tjob a[4], b[4];
		pthread_t th[4];
		pthread_barrier_t go;

		k.st = c.st;
		k.opens = k.keys = k.rests = 0;
		assert_int_equal(cs_matcher_from_snapshot_keyed(
		                         c.cache, "t1", round % 2 ? &kl_rest : &kl, &k, &snap),
		                 CS_OK);
		assert_int_equal(pthread_barrier_init(&go, NULL, 4), 0);
		for (i = 0; i < 4; i++) {
			memset(&a[i], 0, sizeof(a[i]));
			a[i].log = make_log(0x1234567ULL * (uint64_t)(round * 4 + i + 1), 1500,
			                    &a[i].len);
			a[i].m = c.full;
			a[i].in = c.whole;
			t_main(&a[i]);
			assert_int_equal(a[i].rc, CS_OK);
			b[i] = a[i];
			b[i].m = snap;
			b[i].in = NULL;
			b[i].go = &go;
			b[i].text = NULL;
			b[i].n = b[i].cap = 0;
		}
		for (i = 0; i < 4; i++)
			assert_int_equal(pthread_create(&th[i], NULL, t_main, &b[i]), 0);
		for (i = 0; i < 4; i++)
			assert_int_equal(pthread_join(th[i], NULL), 0);
		for (i = 0; i < 4; i++) {
			assert_int_equal(b[i].rc, CS_OK);
			assert_true(a[i].n > 0);
			assert_int_equal(a[i].n, b[i].n);
			assert_memory_equal(a[i].text, b[i].text, a[i].n);
			free(a[i].text);
			free(b[i].text);
			free((char *)a[i].log);
		}
		assert_int_equal(k.opens, 1);
		assert_int_equal(k.rests, (unsigned)(round % 2));
		pthread_barrier_destroy(&go);
		cs_matcher_free(snap);
		snap = NULL;
	}
	kcase_close(&c);
}

/* A case damaged after the snapshot was made: the hunt stops with the
 * store's error, every time, and nothing crashes. */
static void test_damaged_case(void **state)
{
	struct kcase c;
	struct cs_matcher *snap = NULL;
	struct stat sb;
	unsigned char junk[4096];
	struct out o;
	off_t off;
	int fd, round;

	(void)state;
	memset(&o, 0, sizeof(o));
	kcase_open(&c, "d1");
	cs_store_close(c.st);
	c.st = NULL;
	/* Every page after the first few: junk. */
	memset(junk, 0xa5, sizeof(junk));
	assert_int_equal(stat(c.path, &sb), 0);
	fd = open(c.path, O_WRONLY);
	assert_true(fd >= 0);
	for (off = 4 * 4096; off < sb.st_size; off += 4096)
		assert_int_equal(pwrite(fd, junk, sizeof(junk), off), (ssize_t)sizeof(junk));
	close(fd);
	for (round = 0; round < 2; round++) {
		struct cs_store_opts so;
		struct kstate k = {NULL, 0, 0, 0};
		static const char line[] = "q www.h5.gen.test and cdn.evil-domain.com\n";
		int rc;

		memset(&so, 0, sizeof(so));
		so.readonly = round;
		rc = cs_store_open_opts(c.path, &so, &k.st);
		if (rc) {
			/* Refused at open: a clear error too. */
			assert_int_equal(rc, CS_ERR_DB);
			assert_true(strlen(cs_store_errmsg(k.st)) > 0);
			cs_store_close(k.st);
			continue;
		}
		assert_int_equal(cs_matcher_from_snapshot_keyed(c.cache, "d1", &kl, &k, &snap),
		                 CS_OK);
		rc = scan(snap, NULL, line, sizeof(line) - 1, 2, &o);
		assert_int_equal(rc, CS_ERR_DB);
		assert_true(strlen(cs_store_errmsg(k.st)) > 0);
		assert_int_equal(o.n, 0);
		/* Failed once, failed for good: not asked again. */
		{
			unsigned calls = k.opens + k.keys;

			assert_int_equal(scan(snap, NULL, line, sizeof(line) - 1, 2, &o),
			                 CS_ERR_DB);
			assert_int_equal(k.opens + k.keys, calls);
		}
		cs_matcher_free(snap);
		snap = NULL;
		cs_store_close(k.st);
	}
	free(o.text);
	kcase_close(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_key_same_as_whole),
	        cmocka_unit_test(test_keyed_hunt),
	        cmocka_unit_test(test_keyed_threads),
	        cmocka_unit_test(test_damaged_case),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

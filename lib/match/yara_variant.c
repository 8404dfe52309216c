/*
 * YARA ruleset variants (docs/yara-variants.md).
 *
 * A file is scanned with a ruleset that leaves out the rules it cannot
 * satisfy: those whose condition needs a header the file lacks or a
 * size it exceeds (yara_gate.c). The findings are those of the whole
 * ruleset, by construction: a rule left out is false for the file.
 *
 * A variant is named by the file's class: the header tests that hold
 * for its first bytes and its size class (how many of the size
 * thresholds it reaches). Any compiled variant whose class holds at
 * least the same tests and reaches at most the same threshold has every
 * rule the file needs, so a file always has a ruleset to use: the
 * whole one until a better variant exists.
 *
 * Variants are built lazily, by the first worker whose file needs one:
 * from the compiled-rules cache when there, else compiled from the rule
 * texts with the left-out rules blanked, once the files of that class
 * add up to YV_COMPILE_BYTES (compiling costs about what scanning
 * 20-30 MB costs). One variant is built at a time (libyara's compiler
 * is not known to be safe in two threads at once); meanwhile the other
 * workers go on with what exists, and a class whose turn was taken is
 * built on its next file. The table is the only mutable part of the
 * matcher; an entry's rules, once published under the lock, never
 * change.
 *
 * Every variant is checked before use: it must hold exactly the rules
 * of the whole set less those left out, by namespace and name.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match/match_int.h"

#define YV_MAX           CS_YVAR_MAX /* variants per matcher */
#define YV_TESTS         64         /* distinct header tests told apart */
#define YV_THRESH        6          /* size thresholds */
#define YV_COMPILE_BYTES (32 << 20) /* bytes of a class before compiling it */
#define YV_MIN_LEFT_OUT  25         /* fewer: not worth a variant */

enum { YV_NEW, YV_BUSY, YV_READY, YV_SKIP };

/* A rule a variant may leave out. */
struct yv_rule {
	uint32_t src;      /* source index */
	uint32_t idx;      /* rule index in gate[src] */
	uint64_t hmask;    /* one of these tests must hold; 0: no header test */
	uint64_t max_size; /* the file must be smaller; UINT64_MAX: no bound */
};

struct yv_entry {
	uint64_t held;   /* header tests that hold */
	unsigned k;      /* thresholds reached */
	int state;       /* YV_* */
	int cache_tried; /* the cache was looked in */
	uint64_t bytes;  /* bytes of files of this class seen */
	size_t left_out;
	YR_RULES *rules;
};

struct cs_yvariants {
	pthread_mutex_t lock;
	struct cs_ygate *gate; /* per source */
	size_t ngate;
	struct cs_ygate_test tests[YV_TESTS];
	unsigned ntests;
	uint64_t thr[YV_THRESH];
	unsigned nthr;
	struct yv_rule *r;
	size_t nr, cap_r;
	struct yv_entry v[YV_MAX];
	unsigned nv;
	int lock_made;
	int building; /* a worker is building a variant: one at a time */
	char *cache_dir;
	unsigned char key[32]; /* the whole ruleset's cache key */
	int keyed;
	uint64_t compile_bytes;
	/* What happened, for the summary. */
	uint64_t files_split, bytes_split;
	unsigned built, loaded, failed;
};

static int left_out(const struct cs_yvariants *yv, const struct yv_rule *r, uint64_t held,
                    unsigned k)
{
	return (r->hmask && !(r->hmask & held)) || (k && r->max_size <= yv->thr[k - 1]);
}

static size_t count_left_out(const struct cs_yvariants *yv, uint64_t held, unsigned k)
{
	size_t i, n = 0;

	for (i = 0; i < yv->nr; i++)
		n += (size_t)left_out(yv, &yv->r[i], held, k);
	return n;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The index of test `t` in the table, added when new; -1 when full. */
static int test_index(struct cs_yvariants *yv, const struct cs_ygate_test *t)
{
	unsigned i;

	for (i = 0; i < yv->ntests; i++)
		if (yv->tests[i].width == t->width && yv->tests[i].be == t->be &&
		    yv->tests[i].value == t->value)
			return (int)i;
	if (yv->ntests == YV_TESTS)
		return -1;
	yv->tests[yv->ntests] = *t;
	return (int)yv->ntests++;
}

/* Is rule `r` named by some condition (exactly, or by a wildcard in
 * `wild`)? Then it stays in every variant, as do global rules. */
static int referenced(const struct cs_map *names, const struct cs_yref *const *wild, size_t nwild,
                      const struct cs_yrule *r)
{
	uint32_t v;
	size_t i;

	if (cs__map_get(names, r->name, r->name_len, &v))
		return 1;
	for (i = 0; i < nwild; i++)
		if (wild[i]->len <= r->name_len && memcmp(wild[i]->p, r->name, wild[i]->len) == 0)
			return 1;
	return 0;
}

/* Does source `i` share its namespace with a source the reader did not
 * fully read? Rules can name rules of their own namespace, and what that
 * source names is not known: nothing of the namespace is left out. */
static int ns_unread(const struct cs_yvariants *yv, const struct cs_matcher *m,
                     const unsigned char *bad, size_t i)
{
	size_t j;

	for (j = 0; j < yv->ngate; j++)
		if (j != i && !bad[j] && !yv->gate[j].complete &&
		    strcmp(m->yara_ns[j], m->yara_ns[i]) == 0)
			return 1;
	return 0;
}

/* Read every kept source's rules and keep those a variant may leave out. */
static int yv_analyse(struct cs_yvariants *yv, const struct cs_matcher *m, const unsigned char *bad)
{
	size_t i, j, n = cs_intel_yara_count(m->intel), nsize = 0, nwild = 0, wcap = 0;
	const struct cs_yref **wild = NULL;
	uint64_t *sizes = NULL;
	struct cs_map names;
	unsigned t;
	int rc = CS_OK;

	yv->gate = cs__calloc(n ? n : 1, sizeof(*yv->gate));
	if (!yv->gate)
		return CS_ERR_NOMEM;
	yv->ngate = n;
	cs__map_init(&names);
	for (i = 0; i < n && !rc; i++) {
		const char *text;
		size_t len;

		if (bad[i])
			continue;
		cs_intel_yara_source(m->intel, i, &text, &len);
		rc = cs__ygate_read(&yv->gate[i], text, len);
		for (j = 0; !rc && j < yv->gate[i].nrefs; j++) {
			const struct cs_yref *ref = &yv->gate[i].refs[j];

			if (!ref->wild)
				rc = cs__map_put(&names, ref->p, ref->len, 0);
			else if (cs__grow((void **)&wild, &wcap, nwild + 1, sizeof(*wild)))
				rc = CS_ERR_NOMEM;
			else
				wild[nwild++] = ref;
		}
	}
	for (i = 0; i < n && !rc; i++) {
		const struct cs_ygate *g = &yv->gate[i];

		if (bad[i] || !g->complete || ns_unread(yv, m, bad, i))
			continue;
		for (j = 0; j < g->nrules && !rc; j++) {
			const struct cs_yrule *r = &g->rules[j];
			struct yv_rule x = {(uint32_t)i, (uint32_t)j, 0, r->max_size};

			if (r->global || referenced(&names, wild, nwild, r))
				continue;
			for (t = 0; t < r->ntests; t++) {
				int k = test_index(yv, &g->tests[r->first_test + t]);

				if (k < 0) {
					x.hmask = 0; /* too many kinds of header: no test */
					break;
				}
				x.hmask |= (uint64_t)1 << k;
			}
			if (!x.hmask && x.max_size == UINT64_MAX)
				continue;
			if (cs__grow((void **)&yv->r, &yv->cap_r, yv->nr + 1, sizeof(*yv->r))) {
				rc = CS_ERR_NOMEM;
				break;
			}
			yv->r[yv->nr++] = x;
			if (x.max_size != UINT64_MAX)
				nsize++;
		}
	}
	cs__map_release(&names);
	free(wild);
	if (rc || !nsize)
		return rc;
	/* Size thresholds at evenly spaced ranks of the rules' bounds. */
	sizes = cs__malloc(nsize * sizeof(*sizes));
	if (!sizes)
		return CS_ERR_NOMEM;
	for (i = 0, j = 0; i < yv->nr; i++)
		if (yv->r[i].max_size != UINT64_MAX)
			sizes[j++] = yv->r[i].max_size;
	qsort(sizes, nsize, sizeof(*sizes), cmp_u64);
	for (t = 1; t <= YV_THRESH; t++) {
		uint64_t v = sizes[nsize * t / (YV_THRESH + 1)];

		if (!yv->nthr || v > yv->thr[yv->nthr - 1])
			yv->thr[yv->nthr++] = v;
	}
	free(sizes);
	return CS_OK;
}

/* The cache key of variant (held, k): the whole set's key, the reader's
 * version, the tests that hold and the threshold reached. */
static int yv_key(const struct cs_yvariants *yv, uint64_t held, unsigned k, unsigned char *key)
{
	struct cs_keyer kr;
	unsigned i;

	cs__key_begin(&kr, "chainsweep yara variant v1");
	cs__key_add(&kr, yv->key, sizeof(yv->key));
	for (i = 0; i < yv->ntests; i++) {
		unsigned char t[10];
		unsigned b;

		if (!(held >> i & 1))
			continue;
		t[0] = yv->tests[i].width;
		t[1] = yv->tests[i].be;
		for (b = 0; b < 8; b++)
			t[2 + b] = (unsigned char)(yv->tests[i].value >> (8 * b));
		cs__key_add(&kr, t, sizeof(t));
	}
	cs__key_adds(&kr, "size");
	if (k) {
		unsigned char t[8];
		unsigned b;

		for (b = 0; b < 8; b++)
			t[b] = (unsigned char)(yv->thr[k - 1] >> (8 * b));
		cs__key_add(&kr, t, sizeof(t));
	}
	return cs__key_end(&kr, key);
}

/* Does `rules` hold exactly the whole set less the rules variant
 * (held, k) leaves out? Compared by namespace and name. */
static int yv_check(const struct cs_yvariants *yv, const struct cs_matcher *m, uint64_t held,
                    unsigned k, YR_RULES *rules)
{
	struct cs_map out;
	struct cs_buf kb;
	size_t i, nout = 0, n = 0;
	YR_RULE *rule;
	uint32_t v;
	int ok = 1;

	cs__map_init(&out);
	cs__buf_init(&kb, 1 << 16);
	for (i = 0; i < yv->nr && ok; i++) {
		const struct yv_rule *r = &yv->r[i];
		const struct cs_yrule *gr = &yv->gate[r->src].rules[r->idx];

		if (!left_out(yv, r, held, k))
			continue;
		cs__buf_reset(&kb);
		ok = !cs__buf_adds(&kb, m->yara_ns[r->src]) && !cs__buf_addc(&kb, '\0') &&
		     !cs__buf_add(&kb, gr->name, gr->name_len) &&
		     !cs__map_put(&out, kb.data, kb.len, 0);
		nout++;
	}
	yr_rules_foreach(rules, rule)
	{
		if (!ok)
			break;
		n++;
		cs__buf_reset(&kb);
		ok = !cs__buf_adds(&kb, rule->ns->name) && !cs__buf_addc(&kb, '\0') &&
		     !cs__buf_adds(&kb, rule->identifier) && !cs__map_get(&out, kb.data, kb.len, &v);
	}
	cs__buf_release(&kb);
	cs__map_release(&out);
	return ok && n + nout == m->yara_rules;
}

/* Compile variant (held, k): every kept source with the rules it leaves
 * out blanked (newlines kept, so lines do not move). */
static YR_RULES *yv_compile(const struct cs_yvariants *yv, const struct cs_matcher *m,
                            uint64_t held, unsigned k)
{
	size_t i, j, n = cs_intel_yara_count(m->intel);
	YR_COMPILER *c = NULL;
	YR_RULES *rules = NULL;
	int ok = 1;

	if (yr_compiler_create(&c) != ERROR_SUCCESS)
		return NULL;
	cs__yara_externals(c);
	for (i = 0; i < n && ok; i++) {
		const char *text;
		size_t len;
		char *copy;

		if (m->yara_bad_v[i])
			continue;
		cs_intel_yara_source(m->intel, i, &text, &len);
		/* The whole text, as the extents count it (a NUL inside makes
		 * the reader leave the text alone, but the copy must hold the
		 * extents whatever it reads). */
		copy = cs__malloc(len + 1);
		if (!copy) {
			ok = 0;
			break;
		}
		memcpy(copy, text, len);
		copy[len] = '\0';
		for (j = 0; j < yv->nr; j++) {
			const struct yv_rule *r = &yv->r[j];
			const struct cs_yrule *gr;
			size_t b;

			if (r->src != i || !left_out(yv, r, held, k))
				continue;
			gr = &yv->gate[i].rules[r->idx];
			for (b = gr->start; b < gr->end; b++)
				if (copy[b] != '\n')
					copy[b] = ' ';
		}
		ok = yr_compiler_add_string(c, copy, m->yara_ns[i]) == 0;
		free(copy);
	}
	if (ok && yr_compiler_get_rules(c, &rules) != ERROR_SUCCESS)
		rules = NULL;
	yr_compiler_destroy(c);
	return rules;
}

/*
 * The rules of variant (held, k): from the cache, else (when `compile`)
 * compiled and kept in the cache. NULL when neither gave rules that pass
 * the check; *compiled tells whether compiling was tried.
 */
static YR_RULES *yv_make(struct cs_yvariants *yv, const struct cs_matcher *m, uint64_t held,
                         unsigned k, int compile, int *compiled)
{
	unsigned char key[32];
	int keyed = yv->keyed && yv->cache_dir && yv_key(yv, held, k, key);
	YR_RULES *rules = NULL;

	*compiled = 0;
	if (keyed) {
		struct cs_mcache_entry e;

		if (cs__mcache_get(yv->cache_dir, "yvar", key, &e) == CS_OK) {
			if (cs__yara_load(e.payload, e.payload_len, &rules) == CS_OK &&
			    !yv_check(yv, m, held, k, rules)) {
				yr_rules_destroy(rules);
				rules = NULL;
			}
			cs__mcache_entry_release(&e);
			if (rules)
				return rules;
		}
	}
	if (!compile)
		return NULL;
	*compiled = 1;
	rules = yv_compile(yv, m, held, k);
	if (rules && !yv_check(yv, m, held, k, rules)) {
		yr_rules_destroy(rules);
		return NULL;
	}
	if (rules && keyed) {
		unsigned char *img = NULL;
		size_t len = 0;

		if (cs__yara_save(rules, &img, &len) == CS_OK)
			cs__mcache_put(yv->cache_dir, "yvar", key, NULL, 0, img, len);
		free(img);
	}
	return rules;
}

int cs__yvar_new(struct cs_matcher *m, const char *cache_dir, const unsigned char *key, int keyed,
                 uint64_t compile_bytes)
{
	struct cs_yvariants *yv;
	int rc;

	if (!m->rules)
		return CS_OK;
	yv = cs__calloc(1, sizeof(*yv));
	if (!yv)
		return CS_ERR_NOMEM;
	rc = yv_analyse(yv, m, m->yara_bad_v);
	if (rc == CS_OK && yv->nr && cache_dir && !(yv->cache_dir = cs__strdup(cache_dir)))
		rc = CS_ERR_NOMEM;
	if (rc != CS_OK || !yv->nr) {
		cs__yvar_free(yv);
		return rc;
	}
	if (keyed)
		memcpy(yv->key, key, sizeof(yv->key));
	yv->keyed = keyed;
	yv->compile_bytes = compile_bytes ? compile_bytes : YV_COMPILE_BYTES;
	if (pthread_mutex_init(&yv->lock, NULL) != 0) {
		cs__yvar_free(yv);
		return CS_ERR_NOMEM;
	}
	yv->lock_made = 1;
	m->yv = yv;
	return CS_OK;
}

void cs__yvar_free(struct cs_yvariants *yv)
{
	size_t i;

	if (!yv)
		return;
	for (i = 0; i < yv->nv; i++)
		if (yv->v[i].rules)
			yr_rules_destroy(yv->v[i].rules);
	for (i = 0; i < yv->ngate; i++)
		cs__ygate_release(&yv->gate[i]);
	if (yv->lock_made)
		pthread_mutex_destroy(&yv->lock);
	free(yv->gate);
	free(yv->r);
	free(yv->cache_dir);
	free(yv);
}

/* The class of a file: the tests that hold for its first bytes, and the
 * thresholds its size reaches. */
static unsigned yv_class(const struct cs_yvariants *yv, const unsigned char *p, size_t len,
                         uint64_t *held)
{
	unsigned i, k = 0;

	*held = 0;
	for (i = 0; i < yv->ntests; i++)
		if (cs__ygate_holds(&yv->tests[i], p, len))
			*held |= (uint64_t)1 << i;
	while (k < yv->nthr && yv->thr[k] <= len)
		k++;
	return k;
}

/* Under the lock: the entry of class (held, k), made when there is room;
 * NULL when the table is full. */
static struct yv_entry *yv_entry(struct cs_yvariants *yv, uint64_t held, unsigned k)
{
	struct yv_entry *e;
	unsigned i;

	for (i = 0; i < yv->nv; i++)
		if (yv->v[i].held == held && yv->v[i].k == k)
			return &yv->v[i];
	if (yv->nv == YV_MAX)
		return NULL;
	e = &yv->v[yv->nv++];
	memset(e, 0, sizeof(*e));
	e->held = held;
	e->k = k;
	e->left_out = count_left_out(yv, held, k);
	e->state = e->left_out >= YV_MIN_LEFT_OUT ? YV_NEW : YV_SKIP;
	return e;
}

/* Under the lock: the ready variant with the fewest rules that has every
 * rule class (held, k) needs; -1 for the whole set. */
static int yv_best(const struct cs_yvariants *yv, uint64_t held, unsigned k)
{
	unsigned i;
	int best = -1;

	for (i = 0; i < yv->nv; i++) {
		const struct yv_entry *e = &yv->v[i];

		if (e->state != YV_READY || (held & ~e->held) || e->k > k)
			continue;
		if (best < 0 || e->left_out > yv->v[best].left_out)
			best = (int)i;
	}
	return best;
}

YR_SCANNER *cs__yvar_scanner(struct cs_match_thread *t, const unsigned char *data, size_t len)
{
	struct cs_yvariants *yv = t->m->yv;
	struct yv_entry *e;
	uint64_t held;
	unsigned k;
	int best, build = 0, compile = 0;

	if (!yv)
		return t->scanner;
	k = yv_class(yv, data, len, &held);
	pthread_mutex_lock(&yv->lock);
	e = yv_entry(yv, held, k);
	if (e) {
		e->bytes += len;
		if (e->state == YV_NEW && !yv->building &&
		    (!e->cache_tried || e->bytes >= yv->compile_bytes)) {
			e->state = YV_BUSY;
			yv->building = 1;
			build = 1;
			compile = e->bytes >= yv->compile_bytes;
		}
	}
	pthread_mutex_unlock(&yv->lock);
	if (build) {
		int compiled;
		YR_RULES *rules = yv_make(yv, t->m, held, k, compile, &compiled);

		pthread_mutex_lock(&yv->lock);
		yv->building = 0;
		e->cache_tried = 1;
		e->rules = rules;
		e->state = rules ? YV_READY : compiled ? YV_SKIP : YV_NEW;
		if (rules && compiled)
			yv->built++;
		else if (rules)
			yv->loaded++;
		else if (compiled)
			yv->failed++;
		pthread_mutex_unlock(&yv->lock);
	}
	pthread_mutex_lock(&yv->lock);
	best = yv_best(yv, held, k);
	if (best >= 0) {
		yv->files_split++;
		yv->bytes_split += len;
	}
	pthread_mutex_unlock(&yv->lock);
	if (best < 0)
		return t->scanner;
	if (!t->vscan[best] && yr_scanner_create(yv->v[best].rules, &t->vscan[best]) != ERROR_SUCCESS) {
		t->vscan[best] = NULL;
		return t->scanner;
	}
	return t->vscan[best];
}

void cs__yvar_thread_release(struct cs_match_thread *t)
{
	size_t i;

	for (i = 0; i < CS_YVAR_MAX; i++) {
		if (t->vscan[i])
			yr_scanner_destroy(t->vscan[i]);
		t->vscan[i] = NULL;
	}
}

void cs__yvar_info(const struct cs_matcher *m, struct cs_matcher_info *o)
{
	struct cs_yvariants *yv = m->yv;

	if (!yv)
		return;
	pthread_mutex_lock(&yv->lock);
	o->yara_gated = yv->nr;
	o->yara_variants = yv->built + yv->loaded;
	o->yara_variants_failed = yv->failed;
	o->yara_files_split = yv->files_split;
	pthread_mutex_unlock(&yv->lock);
}

/*
 * Compound file indicators (STIX "[file:hashes.'SHA-256' = 'x' AND
 * file:name = 'y']", docs/file-sweep.md): every term of an observation
 * must hold for the same file.
 *
 * Each observation is compiled into a list of checks on one object: a
 * digest equal to a value, the base name (or path tail) equal or not
 * equal to a name, the base name matching a regex, the size compared
 * with a number. An observation is found through an anchor — its first
 * hash term, else its first exact name — in a map, so that the sweep
 * looks at the few observations that can hold and not at all of them;
 * observations with neither are checked on every object.
 *
 * A compound about files with a term the sweep cannot decide on a file
 * (a parent folder, a creation time, a term about another object type)
 * is left out whole and reported, never matched on its other terms: a
 * finding must mean that every term held.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match/match_int.h"

enum ccheck_kind {
	CC_HASH,     /* hex digest of kind `hash` (0..3) equals `s` */
	CC_NAME,     /* base name or path tail equals (struct cs_name_entry) */
	CC_NAME_NOT, /* base name differs from `s` (folded) */
	CC_NAME_RX,  /* base name matches the regex (`db`) */
	CC_SIZE      /* size `op` `n` */
};

enum size_op { SZ_EQ, SZ_NE, SZ_LT, SZ_LE, SZ_GT, SZ_GE };

struct cs_ccheck {
	enum ccheck_kind kind;
	int hash;
	const char *s;
	struct cs_name_entry name;
	hs_database_t *db;
	enum size_op op;
	uint64_t n;
};

static const enum cs_kind hash_kinds[4] = {CS_KIND_MD5, CS_KIND_SHA1, CS_KIND_SHA256,
                                           CS_KIND_SHA512};

static int hash_index(enum cs_kind k)
{
	int i;

	for (i = 0; i < 4; i++)
		if (hash_kinds[i] == k)
			return i;
	return -1;
}

static int is_file_kind(enum cs_kind k)
{
	return hash_index(k) >= 0 || k == CS_KIND_FILENAME || k == CS_KIND_FILENAME_REGEX ||
	       k == CS_KIND_PATH_REGEX;
}

/* A STIX string constant ('...' with \' and \\ escapes) at *p; the
 * unescaped text into the arena. NULL when it is not one. */
static char *stix_string(struct cs_arena *a, const char *p)
{
	size_t n = strlen(p), i, j;
	char *o;

	if (n < 2 || p[0] != '\'' || p[n - 1] != '\'')
		return NULL;
	o = cs__arena_alloc(a, n);
	if (!o)
		return NULL;
	for (i = 1, j = 0; i + 1 < n; i++) {
		if (p[i] == '\\' && i + 2 < n)
			i++;
		else if (p[i] == '\'')
			return NULL;
		o[j++] = p[i];
	}
	o[j] = '\0';
	return o;
}

/*
 * A term kept as text ("file:size <= 2000", "file:name NOT = 'b.dll'")
 * that the sweep can decide anyway. Returns 1 with *c filled, 0 when it
 * cannot, <0 on error.
 */
static int text_check(struct cs_arena *a, const char *t, struct cs_ccheck *c)
{
	static const struct {
		const char *text;
		enum size_op op;
	} ops[] = {{"NOT = ", SZ_NE}, {"NOT != ", SZ_EQ}, {"NOT < ", SZ_GE}, {"NOT <= ", SZ_GT},
	           {"NOT > ", SZ_LE}, {"NOT >= ", SZ_LT}, {"= ", SZ_EQ},     {"!= ", SZ_NE},
	           {"<= ", SZ_LE},    {">= ", SZ_GE},    {"< ", SZ_LT},      {"> ", SZ_GT}};
	size_t i;

	memset(c, 0, sizeof(*c));
	if (strncmp(t, "file:size ", 10) == 0) {
		const char *v = t + 10;

		for (i = 0; i < CS_ARRAY_SIZE(ops); i++) {
			size_t l = strlen(ops[i].text);
			char *end;
			unsigned long long n;

			if (strncmp(v, ops[i].text, l) != 0)
				continue;
			v += l;
			if (!cs__isdigit((unsigned char)*v))
				return 0;
			n = strtoull(v, &end, 10);
			if (*end)
				return 0;
			c->kind = CC_SIZE;
			c->op = ops[i].op;
			c->n = n;
			return 1;
		}
		return 0;
	}
	if (strncmp(t, "file:name NOT = ", 16) == 0 || strncmp(t, "file:name != ", 13) == 0) {
		const char *v = strchr(t + 10, '\'');
		char *s;

		if (!v)
			return 0;
		s = stix_string(a, v);
		if (!s)
			return 0;
		if (strchr(s, '/') || strchr(s, '\\'))
			return 0; /* a name with a folder is not a base name */
		s = cs__fold_path(a, s, strlen(s));
		if (!s)
			return CS_ERR_NOMEM;
		c->kind = CC_NAME_NOT;
		c->s = s;
		return 1;
	}
	return 0;
}

/* A name term: equal to the base name, or with separators to the path's
 * tail (as file name indicators compare, docs/file-sweep.md). */
static int name_check(struct cs_arena *a, const char *v, struct cs_ccheck *c)
{
	const char *f = cs__fold_path(a, v, strlen(v)), *base, *t, *slash;

	if (!f)
		return CS_ERR_NOMEM;
	memset(c, 0, sizeof(*c));
	c->kind = CC_NAME;
	base = strrchr(f, '/');
	base = base ? base + 1 : f;
	if (!*base)
		return 0; /* a folder: no file equals it */
	c->s = base;
	if (base != f) {
		t = f;
		while (*t == '/')
			t++;
		slash = strchr(t, '/');
		if (slash && cs__match_wild_component(t, (size_t)(slash - t))) {
			c->name.any_prefix = 1;
			t = slash + 1;
		}
		c->name.tail = t;
		c->name.tail_len = strlen(t);
	}
	return 1;
}

static void check_release(struct cs_ccheck *c)
{
	if (c->kind == CC_NAME_RX)
		hs_free_database(c->db);
}

/* Compile a regex over base names into its own database; the matcher's
 * prototype scratch grows to fit it. 0 when Hyperscan refuses it. */
static int regex_check(struct cs_matcher *m, const char *v, struct cs_ccheck *c)
{
	hs_compile_error_t *err = NULL;

	memset(c, 0, sizeof(*c));
	if (hs_compile(v, HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY, HS_MODE_BLOCK, NULL, &c->db,
	               &err) != HS_SUCCESS) {
		hs_free_compile_error(err);
		return 0;
	}
	if (hs_alloc_scratch(c->db, &m->scratch) != HS_SUCCESS) {
		hs_free_database(c->db);
		return CS_ERR_NOMEM;
	}
	c->kind = CC_NAME_RX;
	c->s = v;
	return 1;
}

static void report_left_out(struct cs_matcher *m, cs_diag_fn diag, void *ud,
                            const struct cs_indicator *ind, const char *why, const char *term)
{
	struct cs_diag d = {CS_SEV_WARN, NULL, 0, 0, "compound-unsupported", NULL};
	char msg[600];

	m->compound_bad++;
	if (!diag)
		return;
	snprintf(msg, sizeof(msg), "compound indicator %.200s left out of the file sweep: %s '%.200s'",
	         cs_indicator_value(ind), why, term);
	d.message = msg;
	diag(ud, &d);
}

/* Does the compound talk about files at all? A term of a file kind, or
 * a term kept as text about "file:". */
static int about_files(const struct cs_indicator *ind)
{
	size_t i, n = cs_indicator_term_count(ind);

	for (i = 0; i < n; i++) {
		const char *v;
		enum cs_kind k = cs_indicator_term(ind, i, &v);

		if (is_file_kind(k) || (k == CS_KIND_NONE && v && strncmp(v, "file:", 5) == 0))
			return 1;
	}
	return 0;
}

static int add_anchor(struct cs_matcher *m, const char *key, size_t klen, uint32_t obs,
                      size_t *cap)
{
	uint32_t head = 0;
	int rc;

	rc = cs__grow((void **)&m->canchor_v, cap, m->canchor_n + 1, sizeof(*m->canchor_v));
	if (rc)
		return rc;
	m->canchor_v[m->canchor_n].obs = obs;
	m->canchor_v[m->canchor_n].next = 0;
	if (cs__map_get(&m->canchors, key, klen, &head))
		m->canchor_v[m->canchor_n].next = head;
	m->canchor_n++;
	return cs__map_put(&m->canchors, key, klen, (uint32_t)m->canchor_n);
}

/*
 * Compile one compound. Returns CS_OK (added, or left out and reported)
 * or an error.
 */
static int add_compound(struct cs_matcher *m, const struct cs_indicator *ind, cs_diag_fn diag,
                        void *ud, size_t *ccap, size_t *ocap, size_t *kcap, size_t *acap)
{
	size_t i, n = cs_indicator_term_count(ind), first_check = m->ccheck_n;
	size_t first_obs = m->cobs_n;
	unsigned nobs = 0, o;
	int rc = CS_OK;

	for (i = 0; i < n; i++)
		if (cs_indicator_term_observation(ind, i) + 1 > nobs)
			nobs = cs_indicator_term_observation(ind, i) + 1;
	if (nobs == 0 || nobs > CS_COMPOUND_MAX_OBS) {
		report_left_out(m, diag, ud, ind, "observations", nobs ? "too many" : "none");
		return CS_OK;
	}
	for (o = 0; o < nobs && !rc; o++) {
		struct cs_cobs *ob;
		size_t start = m->ccheck_n;

		for (i = 0; i < n && !rc; i++) {
			const char *v;
			enum cs_kind k = cs_indicator_term(ind, i, &v);
			struct cs_ccheck c;
			int ok;

			if (cs_indicator_term_observation(ind, i) != o)
				continue;
			if (hash_index(k) >= 0) {
				memset(&c, 0, sizeof(c));
				c.kind = CC_HASH;
				c.hash = hash_index(k);
				c.s = v;
				ok = 1;
			} else if (k == CS_KIND_FILENAME) {
				ok = name_check(&m->arena, v, &c);
			} else if (k == CS_KIND_FILENAME_REGEX) {
				ok = regex_check(m, v, &c);
			} else if (k == CS_KIND_NONE && v) {
				ok = text_check(&m->arena, v, &c);
			} else {
				ok = 0;
			}
			if (ok < 0) {
				rc = ok;
				break;
			}
			if (!ok) {
				report_left_out(m, diag, ud, ind,
				                k == CS_KIND_NONE
				                        ? "the sweep cannot decide the term"
				                        : "the term is not about a file:",
				                v ? v : "?");
				rc = 1;
				break;
			}
			rc = cs__grow((void **)&m->ccheck_v, ccap, m->ccheck_n + 1,
			              sizeof(*m->ccheck_v));
			if (rc) {
				check_release(&c);
				break;
			}
			m->ccheck_v[m->ccheck_n++] = c;
		}
		if (rc)
			break;
		rc = cs__grow((void **)&m->cobs_v, ocap, m->cobs_n + 1, sizeof(*m->cobs_v));
		if (rc)
			break;
		ob = &m->cobs_v[m->cobs_n++];
		ob->compound = (uint32_t)m->compound_n;
		ob->index = o;
		ob->first = start;
		ob->n = m->ccheck_n - start;
	}
	if (rc) {
		/* Left out (1) or failed: drop what this compound added. */
		for (i = first_check; i < m->ccheck_n; i++)
			check_release(&m->ccheck_v[i]);
		m->ccheck_n = first_check;
		m->cobs_n = first_obs;
		return rc == 1 ? CS_OK : rc;
	}
	rc = cs__grow((void **)&m->compound_v, kcap, m->compound_n + 1, sizeof(*m->compound_v));
	if (rc)
		return rc;
	m->compound_v[m->compound_n].ind = ind;
	m->compound_v[m->compound_n].first_obs = first_obs;
	m->compound_v[m->compound_n].nobs = nobs;
	m->compound_n++;
	/* Anchors: each observation under its first hash, else its first
	 * exact base name, else on the list checked for every object. */
	for (i = first_obs; i < m->cobs_n && !rc; i++) {
		const struct cs_cobs *ob = &m->cobs_v[i];
		const struct cs_ccheck *h = NULL, *nm = NULL;
		char key[200];
		size_t j;
		int kl;

		for (j = ob->first; j < ob->first + ob->n; j++) {
			const struct cs_ccheck *c = &m->ccheck_v[j];

			if (c->kind == CC_HASH && !h)
				h = c;
			if (c->kind == CC_NAME && !nm)
				nm = c;
		}
		if (h)
			kl = snprintf(key, sizeof(key), "h%d:%s", h->hash, h->s);
		else if (nm)
			kl = snprintf(key, sizeof(key), "n:%s", nm->s);
		else
			kl = -1;
		if (kl > 0 && (size_t)kl < sizeof(key))
			rc = add_anchor(m, key, (size_t)kl, (uint32_t)i, acap);
		else
			rc = add_anchor(m, "*", 1, (uint32_t)i, acap);
		if (h)
			m->hashes |= 1u << h->hash;
	}
	/* Every hash kind a term names must be computed. */
	for (i = first_check; i < m->ccheck_n; i++)
		if (m->ccheck_v[i].kind == CC_HASH)
			m->hashes |= 1u << m->ccheck_v[i].hash;
	return rc;
}

int cs__match_build_compounds(struct cs_matcher *m, cs_diag_fn diag, void *ud)
{
	size_t i, n = cs_intel_count(m->intel), ccap = 0, ocap = 0, kcap = 0, acap = 0;
	int rc = CS_OK;

	for (i = 0; i < n && !rc; i++) {
		const struct cs_indicator *ind = cs_intel_at(m->intel, i);

		if (cs_indicator_kind(ind) != CS_KIND_COMPOUND || !about_files(ind))
			continue;
		rc = add_compound(m, ind, diag, ud, &ccap, &ocap, &kcap, &acap);
	}
	return rc;
}

void cs__match_free_compounds(struct cs_matcher *m)
{
	size_t i;

	for (i = 0; i < m->ccheck_n; i++)
		check_release(&m->ccheck_v[i]);
	free(m->ccheck_v);
	free(m->cobs_v);
	free(m->compound_v);
	free(m->canchor_v);
	cs__map_release(&m->canchors);
}

static int on_rx(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                 void *ud)
{
	(void)id;
	(void)from;
	(void)to;
	(void)flags;
	*(int *)ud = 1;
	return 1;
}

/* Does the check hold for the object? `folded` is its path folded. */
static int check_holds(struct cs_match_thread *t, const struct cs_ccheck *c,
                       const struct cs_match_obj *o, const char *folded, size_t plen)
{
	size_t blen;
	int hit = 0;

	switch (c->kind) {
	case CC_HASH:
		return o->hex[c->hash] && o->hex[c->hash][0] && strcmp(o->hex[c->hash], c->s) == 0;
	case CC_NAME:
		blen = strlen(o->base);
		if (strlen(c->s) != blen || memcmp(folded + plen - blen, c->s, blen) != 0)
			return 0;
		return !c->name.tail || cs__match_tail(&c->name, folded, plen);
	case CC_NAME_NOT:
		blen = strlen(o->base);
		return strlen(c->s) != blen || memcmp(folded + plen - blen, c->s, blen) != 0;
	case CC_NAME_RX:
		if (!t->scratch)
			return 0;
		hs_scan(c->db, o->base, (unsigned)strlen(o->base), 0, t->scratch, on_rx, &hit);
		return hit;
	case CC_SIZE:
		switch (c->op) {
		case SZ_EQ:
			return o->size == c->n;
		case SZ_NE:
			return o->size != c->n;
		case SZ_LT:
			return o->size < c->n;
		case SZ_LE:
			return o->size <= c->n;
		case SZ_GT:
			return o->size > c->n;
		case SZ_GE:
			return o->size >= c->n;
		}
	}
	return 0;
}

static int obs_holds(struct cs_match_thread *t, const struct cs_cobs *ob,
                     const struct cs_match_obj *o, const char *folded, size_t plen)
{
	size_t j;

	for (j = ob->first; j < ob->first + ob->n; j++)
		if (!check_holds(t, &t->m->ccheck_v[j], o, folded, plen))
			return 0;
	return 1;
}

/* Walk the observations anchored under `key` (and their chain). */
static int try_anchor(struct cs_match_thread *t, const char *key, size_t klen,
                      const struct cs_match_obj *o, const char *folded, size_t plen,
                      cs_compound_fn fn, void *ud)
{
	const struct cs_matcher *m = t->m;
	uint32_t idx;
	int rc = CS_OK;

	if (!cs__map_get(&m->canchors, key, klen, &idx))
		return CS_OK;
	while (idx && !rc) {
		const struct cs_canchor *a = &m->canchor_v[idx - 1];
		const struct cs_cobs *ob = &m->cobs_v[a->obs];

		if (obs_holds(t, ob, o, folded, plen))
			rc = fn(ud, &m->compound_v[ob->compound], ob->compound, ob->index);
		idx = a->next;
	}
	return rc;
}

int cs__match_compounds(struct cs_match_thread *t, const struct cs_match_obj *o,
                        cs_compound_fn fn, void *ud)
{
	const struct cs_matcher *m = t->m;
	size_t plen, blen, i;
	char key[200], *folded;
	int rc = CS_OK, kl;

	if (!m->compound_n)
		return CS_OK;
	plen = strlen(o->path);
	blen = strlen(o->base);
	folded = cs__malloc(plen + 1);
	if (!folded)
		return CS_ERR_NOMEM;
	for (i = 0; i < plen; i++)
		folded[i] = o->path[i] == '\\' ? '/' : (char)cs__lower((unsigned char)o->path[i]);
	folded[plen] = '\0';
	for (i = 0; i < 4 && !rc; i++) {
		if (!o->hex[i] || !o->hex[i][0])
			continue;
		kl = snprintf(key, sizeof(key), "h%zu:%s", i, o->hex[i]);
		if (kl > 0 && (size_t)kl < sizeof(key))
			rc = try_anchor(t, key, (size_t)kl, o, folded, plen, fn, ud);
	}
	if (!rc && blen && blen + 2 < sizeof(key)) {
		key[0] = 'n';
		key[1] = ':';
		memcpy(key + 2, folded + plen - blen, blen);
		rc = try_anchor(t, key, blen + 2, o, folded, plen, fn, ud);
	}
	if (!rc)
		rc = try_anchor(t, "*", 1, o, folded, plen, fn, ud);
	free(folded);
	return rc;
}

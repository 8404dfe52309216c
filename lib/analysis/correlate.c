/*
 * Overlap analysis (docs/correlate.md): every query indicator is looked up
 * in the stored intel by the relations of enum cs_relation; each stored
 * source that answers puts its clusters forward with one piece of
 * evidence. A lead's score is, per query indicator, its best evidence:
 *
 *   weight = kind weight x relation weight / source files naming the value
 *
 * with warninglisted values weighing nothing: a value many reports name is
 * shared infrastructure more often than a signature of one actor. Everything is point lookups
 * in the store's indexes, so the cost follows the query, not the store.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chainsweep/correlate.h"
#include "chainsweep/report.h"
#include "core/core_int.h"

/* Label types that name a cluster of activity. */
static const char *const cluster_types[] = {
	"actor", "intrusion-set", "threat-actor", "campaign", "malware", "tool",
	"incident", "event", "report", "tag", NULL,
};

static const double relation_weight[CS_REL_COUNT] = {
	[CS_REL_EXACT] = 1.0,      [CS_REL_PARENT] = 0.8, [CS_REL_URL_HOST] = 0.6,
	[CS_REL_RESOLUTION] = 0.5, [CS_REL_COOCCUR] = 0.3, [CS_REL_PREFIX] = 0.1,
};

static const char *const relation_names[CS_REL_COUNT] = {
	[CS_REL_EXACT] = "exact",           [CS_REL_PARENT] = "parent-domain",
	[CS_REL_URL_HOST] = "url-host",     [CS_REL_RESOLUTION] = "resolution",
	[CS_REL_COOCCUR] = "co-occurrence", [CS_REL_PREFIX] = "network-prefix",
};

const char *cs_relation_name(enum cs_relation r)
{
	return (unsigned)r < CS_REL_COUNT ? relation_names[r] : "unknown";
}

/* How much one shared value says, by kind: a file hash names one file;
 * an address may be shared hosting; a file name is anyone's. */
static double kind_weight(enum cs_kind k)
{
	switch (k) {
	case CS_KIND_MD5:
	case CS_KIND_SHA1:
	case CS_KIND_SHA256:
	case CS_KIND_SHA512:
		return 1.0;
	case CS_KIND_CERT_SERIAL:
	case CS_KIND_COMPOUND:
		return 0.9;
	case CS_KIND_URL:
		return 0.8;
	case CS_KIND_DOMAIN:
	case CS_KIND_EMAIL:
		return 0.7;
	case CS_KIND_YARA_RULE:
		return 0.6;
	case CS_KIND_PRODUCT_VERSION:
		return 0.5;
	case CS_KIND_IPV4:
	case CS_KIND_IPV6:
		return 0.4;
	case CS_KIND_FILENAME:
		return 0.3;
	default:
		return 0.2; /* networks and regexes */
	}
}

struct ev {
	struct cs_lead_evidence e;
	size_t qi; /* the query item */
};

struct cluster {
	char *name;
	struct ev *ev;
	size_t nev, capev;
	struct cs_lead lead;
	struct cs_lead_evidence *out; /* the lead's evidence, in order */
};

struct finding {
	char *host;
	enum cs_kind kind;
	char *value;
	int64_t from, until;
	size_t host_begin, host_end; /* the host's findings, once indexed */
	int64_t host_span;           /* the longest first-to-last span on the host */
};

struct cs_correlation {
	struct cs_store *st;
	struct cs_store_lookup *lk;
	const struct cs_correlate_opts *o;
	struct cs_arena strs;
	struct cluster *cl;
	size_t ncl, capcl;
	struct cs_map cl_index; /* name -> index */
	struct cs_map self_files, self_refs, self_real;
	struct cs_map file_self; /* file id -> 1 self, 2 not */
	struct cs_map file_cluster; /* file id -> its document cluster */
	struct cs_map seen;      /* "qi\0cluster\0rel\0value": evidence added */
	struct cs_buf key;
	int cidrs_loaded;
	struct cs_cidr {
		unsigned char addr[16];
		int alen, prefix;
		char *value;
	} *nets;
	size_t nnets, capnets;
	struct finding *finds;
	size_t nfinds, capfinds;
	size_t *next_same;       /* the next finding of the same (kind, value) */
	struct cs_map find_index; /* (kind, value) -> its first finding */
	int indexed;
	size_t cooccur_capped;
	size_t nitems, unmatched;
	const struct cs_lead **leads;
	size_t nleads;
	/* The item and relation being looked up. */
	size_t cur_qi;
	const struct cs_query_item *cur;
	enum cs_relation cur_rel;
	const char *cur_via;
	int hit;
	/* Resolution neighbours of the current item, collected while its
	 * exact match is delivered. */
	char **nbrs;
	size_t nnbrs, capnbrs;
	int rc;
};

static char *keep(struct cs_correlation *c, const char *s)
{
	if (!s)
		return NULL;
	return cs__arena_strndup(&c->strs, s, strlen(s));
}

static int is_cluster_label(const char *label)
{
	const char *colon = strchr(label, ':');
	size_t i, n;

	if (!colon || !colon[1])
		return 0;
	n = (size_t)(colon - label);
	for (i = 0; cluster_types[i]; i++) {
		if (strlen(cluster_types[i]) == n && memcmp(cluster_types[i], label, n) == 0)
			return 1;
	}
	return 0;
}

/* Is this stored source the query itself? */
static int source_is_self(struct cs_correlation *c, const struct cs_stored_source *s)
{
	uint32_t v;
	char *real;
	int self;

	if (s->ref && cs__map_get(&c->self_refs, s->ref, strlen(s->ref), &v))
		return 1;
	if (!s->file)
		return 0;
	if (cs__map_get(&c->file_self, &s->file_id, sizeof(s->file_id), &v))
		return v == 1;
	self = cs__map_get(&c->self_files, s->file, strlen(s->file), &v);
	if (!self && (real = realpath(s->file, NULL)) != NULL) {
		self = cs__map_get(&c->self_real, real, strlen(real), &v);
		free(real);
	}
	if (cs__map_put(&c->file_self, &s->file_id, sizeof(s->file_id), self ? 1 : 2))
		c->rc = CS_ERR_NOMEM;
	return self;
}

static long cluster_get(struct cs_correlation *c, const char *name)
{
	uint32_t v;
	struct cluster *k;

	if (cs__map_get(&c->cl_index, name, strlen(name), &v))
		return (long)v;
	if (c->ncl >= UINT32_MAX ||
	    cs__grow((void **)&c->cl, &c->capcl, c->ncl + 1, sizeof(*c->cl)))
		return CS_ERR_NOMEM;
	k = &c->cl[c->ncl];
	memset(k, 0, sizeof(*k));
	if (!(k->name = keep(c, name)) ||
	    cs__map_put(&c->cl_index, name, strlen(name), (uint32_t)c->ncl))
		return CS_ERR_NOMEM;
	return (long)c->ncl++;
}

/* The cluster names one stored source puts a value in, into `names`
 * (each once); returns how many. A source naming no cluster is its own
 * document cluster, "source:FILE", made when `create` (never once leads
 * point into the clusters). */
static size_t source_clusters(struct cs_correlation *c, const struct cs_stored_source *s,
			      const char **names, size_t cap, int create)
{
	size_t i, n = 0;

	for (i = 0; i < s->nlabels && n < cap; i++) {
		if (is_cluster_label(s->labels[i]))
			names[n++] = s->labels[i];
	}
	if (!n && cap) {
		uint32_t v;
		long ci;

		/* The document cluster, made once per source file. */
		if (cs__map_get(&c->file_cluster, &s->file_id, sizeof(s->file_id), &v)) {
			names[n++] = c->cl[v].name;
			return n;
		}
		if (!create) /* counting sizes: clusters are fixed, leads point at them */
			return 0;
		cs__buf_reset(&c->key);
		if (cs__buf_printf(&c->key, "source:%s", s->file ? s->file : "?") ||
		    (ci = cluster_get(c, cs__buf_cstr(&c->key))) < 0 ||
		    cs__map_put(&c->file_cluster, &s->file_id, sizeof(s->file_id), (uint32_t)ci)) {
			c->rc = CS_ERR_NOMEM;
			return 0;
		}
		names[n++] = c->cl[ci].name;
	}
	return n;
}

#define MAX_CLUSTERS_PER_VALUE 512

static int add_evidence(struct cs_correlation *c, long ci, const struct cs_stored_indicator *ind,
			const struct cs_stored_source *src, unsigned nsources)
{
	struct cluster *k = &c->cl[ci];
	struct ev *x;
	uint32_t v;
	int warn;

	/* One piece per (item, cluster, relation, value): a value that
	 * several sources put in one cluster is one piece of evidence. */
	cs__buf_reset(&c->key);
	if (cs__buf_printf(&c->key, "%zu%c%ld%c%d%c%d%c%s", c->cur_qi, 0, ci, 0, (int)c->cur_rel, 0,
			   (int)ind->kind, 0, ind->value))
		return CS_ERR_NOMEM;
	if (cs__map_get(&c->seen, c->key.data, c->key.len, &v))
		return CS_OK;
	if (cs__map_put(&c->seen, c->key.data, c->key.len, 1))
		return CS_ERR_NOMEM;
	if (cs__grow((void **)&k->ev, &k->capev, k->nev + 1, sizeof(*k->ev)))
		return CS_ERR_NOMEM;
	x = &k->ev[k->nev];
	memset(x, 0, sizeof(*x));
	x->qi = c->cur_qi;
	x->e.relation = c->cur_rel;
	x->e.qkind = c->cur->kind;
	x->e.qvalue = c->cur->value; /* the caller's, copied when the lead is built */
	x->e.kind = ind->kind;
	x->e.value = keep(c, ind->value);
	x->e.via = keep(c, c->cur_via);
	x->e.kind_weight = kind_weight(ind->kind);
	x->e.relation_weight = relation_weight[c->cur_rel];
	x->e.nsources = nsources ? nsources : 1;
	warn = (ind->flags & CS_IND_WARNLISTED) || c->cur->warninglisted;
	x->e.warninglisted = warn;
	x->e.weight = warn ? 0.0 : x->e.kind_weight * x->e.relation_weight / x->e.nsources;
	x->e.file = keep(c, src->file);
	x->e.line = src->line;
	x->e.ref = keep(c, src->ref);
	x->e.description = keep(c, src->description);
	if (!x->e.value || (c->cur_via && !x->e.via) || (src->file && !x->e.file))
		return CS_ERR_NOMEM;
	k->nev++;
	c->hit = 1;
	return CS_OK;
}

/* Resolution neighbours a stored indicator's labels name. */
static int collect_neighbours(struct cs_correlation *c, const struct cs_stored_indicator *ind)
{
	size_t i;

	for (i = 0; i < ind->nlabels; i++) {
		const char *l = ind->labels[i], *v = NULL;

		if (strncmp(l, "resolves-to:", 12) == 0)
			v = l + 12;
		else if (strncmp(l, "resolved-from:", 14) == 0)
			v = l + 14;
		if (!v || !*v)
			continue;
		if (cs__grow((void **)&c->nbrs, &c->capnbrs, c->nnbrs + 1, sizeof(*c->nbrs)) ||
		    !(c->nbrs[c->nnbrs] = keep(c, v)))
			return CS_ERR_NOMEM;
		c->nnbrs++;
	}
	return CS_OK;
}

/* A stored indicator answered the current lookup: its clusters (from
 * sources that are not the query) each get a piece of evidence. */
static int on_stored(void *ud, const struct cs_stored_indicator *ind)
{
	struct cs_correlation *c = ud;
	const struct cs_stored_source *first[MAX_CLUSTERS_PER_VALUE];
	long ids[MAX_CLUSTERS_PER_VALUE];
	int64_t files[MAX_CLUSTERS_PER_VALUE];
	size_t i, j, n = 0, nfiles = 0;
	int rc;

	if (c->cur_rel == CS_REL_EXACT && (rc = collect_neighbours(c, ind)))
		return rc;
	/* Prefix and co-occurrence never count the query's own value. */
	if (c->cur_rel != CS_REL_EXACT && ind->kind == c->cur->kind &&
	    strcmp(ind->value, c->cur->value) == 0)
		return CS_OK;
	for (i = 0; i < ind->nsources; i++) {
		const struct cs_stored_source *s = &ind->sources[i];
		const char *mine[64];
		size_t m;

		if (source_is_self(c, s))
			continue;
		for (j = 0; j < nfiles && files[j] != s->file_id; j++)
			;
		if (j == nfiles && nfiles < MAX_CLUSTERS_PER_VALUE)
			files[nfiles++] = s->file_id;
		m = source_clusters(c, s, mine, sizeof(mine) / sizeof(mine[0]), 1);
		if (c->rc)
			return c->rc;
		for (j = 0; j < m && n < MAX_CLUSTERS_PER_VALUE; j++) {
			long ci = cluster_get(c, mine[j]);
			size_t k;

			if (ci < 0)
				return (int)ci;
			for (k = 0; k < n && ids[k] != ci; k++)
				;
			if (k < n)
				continue;
			ids[n] = ci;
			first[n] = s;
			n++;
		}
	}
	for (i = 0; i < n; i++) {
		rc = add_evidence(c, ids[i], ind, first[i], (unsigned)nfiles);
		if (rc)
			return rc;
	}
	return CS_OK;
}

static int lookup(struct cs_correlation *c, enum cs_relation rel, enum cs_kind kind,
		  const char *value, const char *via)
{
	c->cur_rel = rel;
	c->cur_via = via;
	return cs_store_lookup(c->lk, kind, value, on_stored, c);
}

static enum cs_kind address_kind(const char *s)
{
	unsigned char buf[16];

	if (inet_pton(AF_INET, s, buf) == 1)
		return CS_KIND_IPV4;
	if (inet_pton(AF_INET6, s, buf) == 1)
		return CS_KIND_IPV6;
	return CS_KIND_NONE;
}

/* Parent domains of `d` with at least two labels: a.b.evil.com gives
 * b.evil.com and evil.com. */
static int lookup_parents(struct cs_correlation *c, enum cs_relation rel, const char *d,
			  const char *via)
{
	const char *p = strchr(d, '.');
	int rc;

	while (p && strchr(p + 1, '.')) {
		rc = lookup(c, rel, CS_KIND_DOMAIN, p + 1, via);
		if (rc)
			return rc;
		p = strchr(p + 1, '.');
	}
	return CS_OK;
}

/* The host of a canonical URL ("scheme://[user@]host[:port]/..."). */
static int url_host(const char *url, char *out, size_t cap)
{
	const char *h = strstr(url, "://"), *e, *at;
	size_t n;

	if (!h)
		return -1;
	h += 3;
	e = h + strcspn(h, "/?#");
	at = memchr(h, '@', (size_t)(e - h));
	if (at)
		h = at + 1;
	if (*h == '[') {
		const char *r = memchr(h, ']', (size_t)(e - h));

		if (!r)
			return -1;
		h++;
		e = r;
	} else {
		const char *colon = memchr(h, ':', (size_t)(e - h));

		if (colon)
			e = colon;
	}
	n = (size_t)(e - h);
	if (!n || n >= cap)
		return -1;
	memcpy(out, h, n);
	out[n] = '\0';
	return 0;
}

static int load_cidrs_cb(void *ud, const struct cs_stored_indicator *ind)
{
	struct cs_correlation *c = ud;
	struct cs_cidr *n;
	char buf[64];
	const char *slash = strchr(ind->value, '/');
	size_t len;

	if (!slash || (len = (size_t)(slash - ind->value)) >= sizeof(buf))
		return CS_OK;
	memcpy(buf, ind->value, len);
	buf[len] = '\0';
	if (cs__grow((void **)&c->nets, &c->capnets, c->nnets + 1, sizeof(*c->nets)))
		return CS_ERR_NOMEM;
	n = &c->nets[c->nnets];
	if (inet_pton(AF_INET, buf, n->addr) == 1)
		n->alen = 4;
	else if (inet_pton(AF_INET6, buf, n->addr) == 1)
		n->alen = 16;
	else
		return CS_OK;
	n->prefix = atoi(slash + 1);
	if (n->prefix < 0 || n->prefix > n->alen * 8)
		return CS_OK;
	if (!(n->value = keep(c, ind->value)))
		return CS_ERR_NOMEM;
	c->nnets++;
	return CS_OK;
}

static int in_net(const struct cs_cidr *n, const unsigned char *a, int alen)
{
	int full = n->prefix / 8, rest = n->prefix % 8;

	if (alen != n->alen || memcmp(a, n->addr, (size_t)full) != 0)
		return 0;
	return !rest || ((a[full] ^ n->addr[full]) & (0xff00 >> rest) & 0xff) == 0;
}

/* Weak evidence for an address: the same /24, or inside a stored CIDR. */
static int lookup_networks(struct cs_correlation *c, const struct cs_query_item *q)
{
	unsigned char a[16];
	int alen = q->kind == CS_KIND_IPV4 ? 4 : 16;
	size_t i;
	int rc;

	if (inet_pton(alen == 4 ? AF_INET : AF_INET6, q->value, a) != 1)
		return CS_OK;
	if (!c->cidrs_loaded) {
		c->cidrs_loaded = 1;
		rc = cs_store_lookup_kind(c->lk, CS_KIND_CIDR, load_cidrs_cb, c);
		if (rc)
			return rc;
	}
	c->cur_rel = CS_REL_PREFIX;
	for (i = 0; i < c->nnets; i++) {
		if (!in_net(&c->nets[i], a, alen))
			continue;
		c->cur_via = c->nets[i].value;
		rc = cs_store_lookup(c->lk, CS_KIND_CIDR, c->nets[i].value, on_stored, c);
		if (rc)
			return rc;
	}
	if (alen == 4) {
		char pfx[32];
		const char *dot = strrchr(q->value, '.');

		if (!dot || (size_t)(dot - q->value) + 2 > sizeof(pfx))
			return CS_OK;
		memcpy(pfx, q->value, (size_t)(dot - q->value) + 1);
		pfx[dot - q->value + 1] = '\0';
		c->cur_via = NULL;
		rc = cs_store_lookup_prefix(c->lk, CS_KIND_IPV4, pfx, 256, on_stored, c);
		if (rc)
			return rc;
	}
	return CS_OK;
}

/*
 * Co-occurrence index, built once: findings sorted by (host, first seen),
 * with each host's range and longest span, and the findings of each
 * (kind, value) chained, so that an item meets only the findings of its
 * own value and, for each, its host's neighbours inside the window.
 */
static int by_host_time(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;
	int r = strcmp(x->host, y->host);

	if (r)
		return r;
	return x->from < y->from ? -1 : x->from > y->from;
}

static int cooccur_index(struct cs_correlation *c)
{
	size_t i, start;

	if (c->nfinds) /* qsort(NULL, 0, ...) is undefined (UBSan) */
		qsort(c->finds, c->nfinds, sizeof(*c->finds), by_host_time);
	c->next_same = cs__malloc((c->nfinds ? c->nfinds : 1) * sizeof(*c->next_same));
	if (!c->next_same)
		return CS_ERR_NOMEM;
	for (start = 0; start < c->nfinds; start = i) {
		int64_t span = 0;

		for (i = start; i < c->nfinds && strcmp(c->finds[i].host, c->finds[start].host) == 0;
		     i++) {
			if (c->finds[i].until - c->finds[i].from > span)
				span = c->finds[i].until - c->finds[i].from;
		}
		for (size_t k = start; k < i; k++) {
			c->finds[k].host_begin = start;
			c->finds[k].host_end = i;
			c->finds[k].host_span = span;
		}
	}
	for (i = c->nfinds; i-- > 0;) {
		uint32_t v;
		struct finding *f = &c->finds[i];

		cs__buf_reset(&c->key);
		if (cs__buf_printf(&c->key, "%d%c%s", (int)f->kind, 0, f->value))
			return CS_ERR_NOMEM;
		c->next_same[i] = cs__map_get(&c->find_index, c->key.data, c->key.len, &v)
					  ? (size_t)v
					  : SIZE_MAX;
		if (i > UINT32_MAX - 1 ||
		    cs__map_put(&c->find_index, c->key.data, c->key.len, (uint32_t)i))
			return CS_ERR_NOMEM;
	}
	c->indexed = 1;
	return CS_OK;
}

/* At most this many distinct values found beside one item are looked up. */
#define MAX_COOCCUR_VALUES 4096

/* Findings on the same host as the item, within the window. */
static int lookup_cooccurring(struct cs_correlation *c, const struct cs_query_item *q)
{
	int64_t w = c->o->window_ms > 0 ? c->o->window_ms : 86400000;
	struct cs_map looked;
	size_t i, j, nlooked = 0;
	uint32_t v;
	int rc = CS_OK, capped = 0;

	if (!c->indexed && (rc = cooccur_index(c)))
		return rc;
	cs__buf_reset(&c->key);
	if (cs__buf_printf(&c->key, "%d%c%s", (int)q->kind, 0, q->value))
		return CS_ERR_NOMEM;
	if (!cs__map_get(&c->find_index, c->key.data, c->key.len, &v))
		return CS_OK;
	cs__map_init(&looked);
	for (i = v; !rc && i != SIZE_MAX; i = c->next_same[i]) {
		const struct finding *f = &c->finds[i];
		size_t lo = f->host_begin, hi = f->host_end;
		int64_t from = f->from - w - f->host_span;

		if (!f->from)
			continue;
		/* The first finding of the host that can reach the window. */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (c->finds[mid].from < from)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (j = lo; !rc && j < f->host_end && c->finds[j].from <= f->until + w; j++) {
			const struct finding *g = &c->finds[j];

			if (j == i || !g->from || g->until < f->from - w ||
			    (g->kind == q->kind && strcmp(g->value, q->value) == 0))
				continue;
			cs__buf_reset(&c->key);
			if (cs__buf_printf(&c->key, "%d%c%s%c%s", (int)g->kind, 0, g->value, 0,
					   g->host)) {
				rc = CS_ERR_NOMEM;
				break;
			}
			if (cs__map_get(&looked, c->key.data, c->key.len, &v))
				continue;
			if (nlooked++ >= MAX_COOCCUR_VALUES) {
				capped = 1;
				break;
			}
			rc = cs__map_put(&looked, c->key.data, c->key.len, 1);
			if (!rc)
				rc = lookup(c, CS_REL_COOCCUR, g->kind, g->value, g->host);
		}
	}
	cs__map_release(&looked);
	c->cooccur_capped += capped;
	return rc;
}

static int lookup_item(struct cs_correlation *c, const struct cs_query_item *q)
{
	char host[512];
	size_t i;
	int rc;

	c->cur = q;
	c->hit = 0;
	c->nnbrs = 0;
	rc = lookup(c, CS_REL_EXACT, q->kind, q->value, NULL);
	for (i = 0; !rc && i < q->nresolves; i++) {
		if (q->resolves[i] &&
		    (cs__grow((void **)&c->nbrs, &c->capnbrs, c->nnbrs + 1, sizeof(*c->nbrs)) ||
		     !(c->nbrs[c->nnbrs++] = keep(c, q->resolves[i]))))
			rc = CS_ERR_NOMEM;
	}
	for (i = 0; !rc && i < c->nnbrs; i++) {
		enum cs_kind k = address_kind(c->nbrs[i]);
		size_t j;

		for (j = 0; j < i && strcmp(c->nbrs[j], c->nbrs[i]) != 0; j++)
			;
		if (j < i)
			continue;
		rc = lookup(c, CS_REL_RESOLUTION, k ? k : CS_KIND_DOMAIN, c->nbrs[i], c->nbrs[i]);
	}
	if (rc)
		return rc;
	switch (q->kind) {
	case CS_KIND_DOMAIN:
		rc = lookup_parents(c, CS_REL_PARENT, q->value, NULL);
		for (i = 0; !rc && i < 2; i++) {
			/* URLs the clusters list on this very host. */
			cs__buf_reset(&c->key);
			if (cs__buf_printf(&c->key, "%s://%s/", i ? "https" : "http", q->value))
				return CS_ERR_NOMEM;
			{
				char *pfx = cs__strdup(cs__buf_cstr(&c->key));

				if (!pfx)
					return CS_ERR_NOMEM;
				c->cur_rel = CS_REL_URL_HOST;
				c->cur_via = q->value;
				rc = cs_store_lookup_prefix(c->lk, CS_KIND_URL, pfx, 256, on_stored, c);
				free(pfx);
			}
		}
		break;
	case CS_KIND_URL:
		if (url_host(q->value, host, sizeof(host)) == 0) {
			enum cs_kind k = address_kind(host);

			rc = lookup(c, CS_REL_URL_HOST, k ? k : CS_KIND_DOMAIN, host, host);
			if (!rc && !k)
				rc = lookup_parents(c, CS_REL_URL_HOST, host, host);
		}
		break;
	case CS_KIND_IPV4:
	case CS_KIND_IPV6:
		rc = lookup_networks(c, q);
		break;
	default:
		break;
	}
	if (!rc && c->o->cooccur)
		rc = lookup_cooccurring(c, q);
	if (!rc && !c->hit)
		c->unmatched++;
	return rc;
}

static int ev_by_item_then_weight(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;

	if (x->qi != y->qi)
		return x->qi < y->qi ? -1 : 1;
	if (x->e.weight != y->e.weight)
		return x->e.weight > y->e.weight ? -1 : 1;
	return (int)x->e.relation - (int)y->e.relation;
}

static int ev_for_display(const void *a, const void *b)
{
	const struct cs_lead_evidence *x = a, *y = b;
	int r;

	if (x->counted != y->counted)
		return y->counted - x->counted;
	if (x->weight != y->weight)
		return x->weight > y->weight ? -1 : 1;
	if ((int)x->relation != (int)y->relation)
		return (int)x->relation - (int)y->relation;
	r = strcmp(x->qvalue, y->qvalue);
	return r ? r : strcmp(x->value, y->value);
}

/* Score a cluster: per query item, its best evidence counts. */
static int score(struct cs_correlation *c, struct cluster *k)
{
	size_t i;
	int has_strong = 0;

	qsort(k->ev, k->nev, sizeof(*k->ev), ev_by_item_then_weight);
	k->out = cs__arena_alloc(&c->strs, (k->nev ? k->nev : 1) * sizeof(*k->out));
	if (!k->out)
		return CS_ERR_NOMEM;
	memset(&k->lead, 0, sizeof(k->lead));
	for (i = 0; i < k->nev; i++) {
		struct cs_lead_evidence *e = &k->ev[i].e;

		e->counted = (i == 0 || k->ev[i - 1].qi != k->ev[i].qi) && e->weight > 0;
		if (e->counted) {
			k->lead.score += e->weight;
			k->lead.by_relation[e->relation] += e->weight;
			k->lead.shared++;
			if (e->relation != CS_REL_PREFIX)
				has_strong = 1;
		}
		k->out[i] = *e;
		if (!(k->out[i].qvalue = keep(c, e->qvalue)))
			return CS_ERR_NOMEM;
	}
	qsort(k->out, k->nev, sizeof(*k->out), ev_for_display);
	k->lead.cluster = k->name;
	k->lead.evidence = k->out;
	k->lead.nevidence = k->nev;
	if (!has_strong && !c->o->weak)
		k->lead.score = -k->lead.score - 1; /* below every lead: dropped */
	return CS_OK;
}

static int lead_order(const void *a, const void *b)
{
	const struct cs_lead *x = *(const struct cs_lead *const *)a;
	const struct cs_lead *y = *(const struct cs_lead *const *)b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	if (x->shared != y->shared)
		return x->shared > y->shared ? -1 : 1;
	return strcmp(x->cluster, y->cluster);
}

static int count_sizes(void *ud, int64_t file_id, const char *file, const char *const *labels,
		       size_t nlabels, uint64_t count)
{
	struct cs_correlation *c = ud;
	struct cs_stored_source s;
	const char *names[64];
	size_t i, n;
	uint32_t v;

	memset(&s, 0, sizeof(s));
	s.file_id = file_id;
	s.file = file;
	s.labels = labels;
	s.nlabels = nlabels;
	n = source_clusters(c, &s, names, sizeof(names) / sizeof(names[0]), 0);
	if (c->rc)
		return c->rc;
	for (i = 0; i < n; i++) {
		if (cs__map_get(&c->cl_index, names[i], strlen(names[i]), &v))
			c->cl[v].lead.size += count;
	}
	return CS_OK;
}

static int add_self(struct cs_correlation *c)
{
	const struct cs_correlate_opts *o = c->o;
	size_t i;
	int rc = CS_OK;

	for (i = 0; !rc && i < o->nself_files; i++) {
		char *real = realpath(o->self_files[i], NULL);

		rc = cs__map_put(&c->self_files, o->self_files[i], strlen(o->self_files[i]), 1);
		if (!rc && real)
			rc = cs__map_put(&c->self_real, real, strlen(real), 1);
		free(real);
	}
	for (i = 0; !rc && i < o->nself_refs; i++) {
		if (o->self_refs[i] && *o->self_refs[i])
			rc = cs__map_put(&c->self_refs, o->self_refs[i], strlen(o->self_refs[i]), 1);
	}
	return rc;
}

static int keep_finding(void *ud, const struct cs_finding_rec *f, int64_t first_sweep,
			int64_t last_sweep)
{
	struct cs_correlation *c = ud;
	struct finding *g;
	enum cs_kind k = cs_kind_from_name(f->ind_kind);

	(void)first_sweep;
	(void)last_sweep;
	if (!k || !f->ind_value)
		return CS_OK;
	if (cs__grow((void **)&c->finds, &c->capfinds, c->nfinds + 1, sizeof(*c->finds)))
		return CS_ERR_NOMEM;
	g = &c->finds[c->nfinds];
	g->kind = k;
	g->host = keep(c, f->host ? f->host : "");
	g->value = keep(c, f->ind_value);
	g->from = f->first_seen_ms;
	g->until = f->last_seen_ms > f->first_seen_ms ? f->last_seen_ms : f->first_seen_ms;
	if (!g->host || !g->value)
		return CS_ERR_NOMEM;
	c->nfinds++;
	return CS_OK;
}

static struct cs_correlation *correlation_new(struct cs_store *st,
					      const struct cs_correlate_opts *o)
{
	struct cs_correlation *c = cs__calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->st = st;
	c->o = o;
	cs__arena_init(&c->strs);
	cs__map_init(&c->cl_index);
	cs__map_init(&c->self_files);
	cs__map_init(&c->self_refs);
	cs__map_init(&c->self_real);
	cs__map_init(&c->file_self);
	cs__map_init(&c->file_cluster);
	cs__map_init(&c->seen);
	cs__map_init(&c->find_index);
	cs__buf_init(&c->key, 1 << 20);
	return c;
}

void cs_correlation_free(struct cs_correlation *c)
{
	size_t i;

	if (!c)
		return;
	cs_store_lookup_close(c->lk);
	for (i = 0; i < c->ncl; i++)
		free(c->cl[i].ev);
	free(c->cl);
	free(c->nets);
	free(c->finds);
	free(c->next_same);
	cs__map_release(&c->find_index);
	free(c->nbrs);
	free(c->leads);
	cs__map_release(&c->cl_index);
	cs__map_release(&c->self_files);
	cs__map_release(&c->self_refs);
	cs__map_release(&c->self_real);
	cs__map_release(&c->file_self);
	cs__map_release(&c->file_cluster);
	cs__map_release(&c->seen);
	cs__buf_release(&c->key);
	cs__arena_release(&c->strs);
	free(c);
}

/* The query items, deduplicated, then the analysis. */
static int run(struct cs_correlation *c, const struct cs_query_item *items, size_t nitems)
{
	const struct cs_correlate_opts *o = c->o;
	size_t i, top = o->top ? o->top : 10;
	struct cs_map dedupe;
	uint32_t v;
	int rc;

	rc = add_self(c);
	if (!rc)
		rc = cs_store_lookup_open(c->st, &c->lk);
	if (!rc && o->cooccur && !c->nfinds)
		rc = cs_store_findings(c->st, NULL, 0, keep_finding, c);
	if (rc)
		return rc;
	cs__map_init(&dedupe);
	for (i = 0; !rc && i < nitems; i++) {
		const struct cs_query_item *q = &items[i];

		if (!q->value || !*q->value)
			continue;
		cs__buf_reset(&c->key);
		if (cs__buf_printf(&c->key, "%d%c%s", (int)q->kind, 0, q->value)) {
			rc = CS_ERR_NOMEM;
			break;
		}
		if (cs__map_get(&dedupe, c->key.data, c->key.len, &v))
			continue;
		rc = cs__map_put(&dedupe, c->key.data, c->key.len, 1);
		c->nitems++;
		c->cur_qi = i;
		if (!rc)
			rc = lookup_item(c, q);
		if (!rc)
			rc = c->rc;
	}
	cs__map_release(&dedupe);
	for (i = 0; !rc && i < c->ncl; i++)
		rc = score(c, &c->cl[i]);
	if (rc)
		return rc;
	c->leads = cs__calloc(c->ncl ? c->ncl : 1, sizeof(*c->leads));
	if (!c->leads)
		return CS_ERR_NOMEM;
	for (i = 0; i < c->ncl; i++)
		c->leads[i] = &c->cl[i].lead;
	qsort(c->leads, c->ncl, sizeof(*c->leads), lead_order);
	for (c->nleads = 0; c->nleads < c->ncl && c->nleads < top; c->nleads++) {
		if (c->leads[c->nleads]->score <= 0)
			break;
	}
	if (o->sizes && c->nleads)
		rc = cs_store_source_counts(c->lk, count_sizes, c);
	return rc ? rc : c->rc;
}

static const struct cs_correlate_opts default_opts;

/* Run the analysis on `c`; it becomes *out, or is freed on failure. */
static int finish(struct cs_correlation *c, const struct cs_query_item *items, size_t nitems,
		  struct cs_correlation **out)
{
	int rc = run(c, items, nitems);

	if (rc) {
		cs_correlation_free(c);
		return rc;
	}
	*out = c;
	return CS_OK;
}

int cs_correlate(struct cs_store *st, const struct cs_query_item *items, size_t nitems,
		 const struct cs_correlate_opts *opts, struct cs_correlation **out)
{
	struct cs_correlation *c = correlation_new(st, opts ? opts : &default_opts);

	*out = NULL;
	return c ? finish(c, items, nitems, out) : CS_ERR_NOMEM;
}

int cs_correlate_case(struct cs_store *st, const struct cs_correlate_opts *opts,
		      struct cs_correlation **out)
{
	struct cs_correlation *c = correlation_new(st, opts ? opts : &default_opts);
	struct cs_query_item *items = NULL;
	size_t i;
	int rc;

	*out = NULL;
	if (!c)
		return CS_ERR_NOMEM;
	rc = cs_store_findings(st, NULL, 0, keep_finding, c);
	if (!rc && c->nfinds && !(items = cs__calloc(c->nfinds, sizeof(*items))))
		rc = CS_ERR_NOMEM;
	if (rc) {
		cs_correlation_free(c);
		return rc;
	}
	for (i = 0; i < c->nfinds; i++) {
		items[i].kind = c->finds[i].kind;
		items[i].value = c->finds[i].value;
	}
	rc = finish(c, items, c->nfinds, out);
	free(items);
	return rc;
}

size_t cs_correlation_query_size(const struct cs_correlation *c)
{
	return c->nitems;
}

size_t cs_correlation_unmatched(const struct cs_correlation *c)
{
	return c->unmatched;
}

size_t cs_correlation_clusters_seen(const struct cs_correlation *c)
{
	return c->ncl;
}

size_t cs_correlation_cooccur_capped(const struct cs_correlation *c)
{
	return c->cooccur_capped;
}

size_t cs_correlation_lead_count(const struct cs_correlation *c)
{
	return c->nleads;
}

const struct cs_lead *cs_correlation_lead(const struct cs_correlation *c, size_t i)
{
	return i < c->nleads ? c->leads[i] : NULL;
}

/* Add a node keyed "kind:value" with a short label "value". */
static long graph_value(struct cs_graph *g, struct cs_buf *key, const char *prefix,
			enum cs_kind kind, const char *value, const char *nodekind)
{
	cs__buf_reset(key);
	if (cs__buf_printf(key, "%s%s:%s", prefix, cs_kind_name(kind), value))
		return CS_ERR_NOMEM;
	return cs_graph_node(g, cs__buf_cstr(key), value, nodekind);
}

int cs_correlation_graph(const struct cs_correlation *c, size_t top, size_t per_lead,
			 struct cs_graph *g)
{
	struct cs_buf key, label;
	size_t i, j, shown;
	int rc = CS_OK;

	if (!top)
		top = 5;
	if (!per_lead)
		per_lead = 12;
	cs__buf_init(&key, 1 << 20);
	cs__buf_init(&label, 1 << 16);
	for (i = 0; !rc && i < c->nleads && i < top; i++) {
		const struct cs_lead *l = c->leads[i];
		long cn;

		cs__buf_reset(&label);
		rc = cs__buf_printf(&label, "#%zu %s (score %.2f)", i + 1, l->cluster, l->score);
		if (rc)
			break;
		cs__buf_reset(&key);
		if ((rc = cs__buf_printf(&key, "cluster:%s", l->cluster)))
			break;
		cn = cs_graph_node(g, cs__buf_cstr(&key), cs__buf_cstr(&label), "cluster");
		if (cn < 0) {
			rc = (int)cn;
			break;
		}
		for (j = 0, shown = 0; !rc && j < l->nevidence && shown < per_lead; j++) {
			const struct cs_lead_evidence *e = &l->evidence[j];
			long qn, mn;

			if (!e->counted)
				continue;
			shown++;
			qn = graph_value(g, &key, "query:", e->qkind, e->qvalue, "indicator");
			if (qn < 0) {
				rc = (int)qn;
				break;
			}
			cs__buf_reset(&label);
			if ((rc = cs__buf_printf(&label, "%s %.2f", cs_relation_name(e->relation),
						 e->weight)))
				break;
			if (e->relation == CS_REL_EXACT) {
				rc = cs_graph_edge(g, (size_t)qn, (size_t)cn, cs__buf_cstr(&label));
				continue;
			}
			mn = graph_value(g, &key, "known:", e->kind, e->value, "known");
			if (mn < 0) {
				rc = (int)mn;
				break;
			}
			if (e->relation == CS_REL_COOCCUR && e->via) {
				long hn;

				cs__buf_reset(&key);
				if ((rc = cs__buf_printf(&key, "host:%s", e->via)))
					break;
				hn = cs_graph_node(g, cs__buf_cstr(&key), e->via, "host");
				if (hn < 0) {
					rc = (int)hn;
					break;
				}
				rc = cs_graph_edge(g, (size_t)qn, (size_t)hn, "found on");
				if (!rc)
					rc = cs_graph_edge(g, (size_t)hn, (size_t)mn, cs__buf_cstr(&label));
			} else {
				rc = cs_graph_edge(g, (size_t)qn, (size_t)mn, cs__buf_cstr(&label));
			}
			if (!rc)
				rc = cs_graph_edge(g, (size_t)mn, (size_t)cn, "named by");
		}
	}
	cs__buf_release(&key);
	cs__buf_release(&label);
	return rc;
}

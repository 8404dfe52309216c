/*
 * Exposure: the graph of vendors, environments, products, versions,
 * components and hosts, and the walk downstream of a compromised node
 * (docs/exposure.md).
 *
 * Edges point the way a compromise flows:
 *   vendor -makes-> product, vendor -operates-> environment,
 *   product -version-> version (taken only when the version's release
 *     date is inside the window that applies; unknown date: indeterminate),
 *   what -installed at-> where (a window on the relation narrows the one
 *     that applies downstream),
 *   environment -builds/updates-> product,
 *   dependency -dependency of-> dependent (relations and SBOM trees),
 *   version -runs/ran-> host (the case database's software sweeps).
 * The walk is breadth-first, so each node's path is a shortest one; a
 * node is walked again when a later path widens its window or makes it
 * definite where it was indeterminate (windows only widen, so it ends).
 *
 * The relations file is read with libyaml's document loader (aliases
 * stay references, never copies); our walk over it visits only the
 * schema's few levels and charges every node visited to a budget, so an
 * alias bomb or a deep nest costs at most the budget.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>

#include "analysis/analysis_int.h"
#include "chainsweep/exposure.h"
#include "chainsweep/software.h"
#include "core/core_int.h"

#define X_MAX_FILE    (4u << 20)   /* relations file */
#define X_MAX_SBOM    (256u << 20) /* SBOM file */
#define X_MAX_SCALAR  4096         /* bytes in one YAML value */
#define X_MAX_NODES   1000000u
#define X_MAX_EDGES   4000000u
#define X_YAML_BUDGET 200000 /* YAML nodes visited per file, aliases included */
#define X_SBOM_DEPTH  16     /* nested CycloneDX components */
#define X_MAX_ERRORS  100    /* reported per relations file */
#define X_MAX_FLOW    64     /* nested [ and { */
/* "Not found" from the look-ups, apart from every CS_ERR_* code. */
#define X_NONE (-1000L)

enum rel {
	REL_MAKES = 1,
	REL_OPERATES,
	REL_VERSION,
	REL_INSTALLED,
	REL_BUILDS,
	REL_UPDATES,
	REL_DEPENDENCY,
	REL_RUNS,
	REL_RAN
};

static const char *const rel_names[] = {
        "",       "makes",   "operates",      "version", "installed at",
        "builds", "updates", "dependency of", "runs",    "ran"};

struct xnode {
	const char *key;
	const char *label;
	const char *kind;
	uint32_t product;  /* versions: the product's node, else UINT32_MAX */
	uint32_t versions; /* products: first version; versions: the next one */
	const char *version;
	int64_t released; /* epoch s, 0 unknown */
};

struct xedge {
	uint32_t from, to;
	enum rel rel;
	int64_t wfrom, wuntil; /* 0 = open */
	const char *detail;
	int current;
	int64_t last_seen;
};

struct cs_exposure {
	struct xnode *nodes;
	size_t n, cap;
	struct xedge *edges;
	size_t ne, ecap;
	struct cs_map keys;  /* node key -> index */
	struct cs_map names; /* "p:" normalised product name, "c:" name@version -> index */
	struct cs_map ekeys; /* from, to, rel -> edge */
	struct cs_arena strs;
	cs_diag_fn diag;
	void *diag_ud;
	int no_files;
	char errmsg[512];
};

void cs__exposure_set_no_files(struct cs_exposure *x, int on)
{
	x->no_files = on;
}

size_t cs__exposure_node_count(const struct cs_exposure *x)
{
	return x->n;
}

const char *cs__exposure_node_key(const struct cs_exposure *x, size_t i)
{
	return i < x->n ? x->nodes[i].key : NULL;
}

/* ------------------------------------------------------------------ model */

struct cs_exposure *cs_exposure_new(void)
{
	struct cs_exposure *x = cs__calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	cs__map_init(&x->keys);
	cs__map_init(&x->names);
	cs__map_init(&x->ekeys);
	cs__arena_init(&x->strs);
	return x;
}

void cs_exposure_free(struct cs_exposure *x)
{
	if (!x)
		return;
	free(x->nodes);
	free(x->edges);
	cs__map_release(&x->keys);
	cs__map_release(&x->names);
	cs__map_release(&x->ekeys);
	cs__arena_release(&x->strs);
	free(x);
}

void cs_exposure_set_diag(struct cs_exposure *x, cs_diag_fn fn, void *userdata)
{
	x->diag = fn;
	x->diag_ud = userdata;
}

const char *cs_exposure_errmsg(const struct cs_exposure *x)
{
	return x ? x->errmsg : "";
}

static void diag(struct cs_exposure *x, enum cs_severity sev, const char *file, uint64_t line,
                 uint64_t col, const char *fmt, ...) CS_PRINTF(6, 7);
static void diag(struct cs_exposure *x, enum cs_severity sev, const char *file, uint64_t line,
                 uint64_t col, const char *fmt, ...)
{
	char msg[600];
	struct cs_diag d;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (sev == CS_SEV_ERROR)
		snprintf(x->errmsg, sizeof(x->errmsg), "%s", msg);
	if (!x->diag)
		return;
	memset(&d, 0, sizeof(d));
	d.severity = sev;
	d.file = file;
	d.line = line;
	d.column = col;
	d.reason = sev == CS_SEV_ERROR ? "error" : "warning";
	d.message = msg;
	x->diag(x->diag_ud, &d);
}

static const char *dup(struct cs_exposure *x, const char *s)
{
	return s ? cs__arena_strndup(&x->strs, s, strlen(s)) : NULL;
}

/* Lower-cased letters and digits only ("3CX Desktop App" and "3CX
 * DesktopApp" are one product), as the product-version matcher compares
 * names. Bytes of 0x80 and above are kept. */
static void norm_name(const char *s, struct cs_buf *b)
{
	cs__buf_reset(b);
	for (; *s; s++) {
		int c = (unsigned char)*s;

		if (cs__isalnum(c) || c >= 0x80)
			cs__buf_addc(b, (char)cs__lower(c));
	}
}

static long find(const struct cs_exposure *x, const char *key)
{
	uint32_t v;

	return cs__map_get(&x->keys, key, strlen(key), &v) ? (long)v : X_NONE;
}

/* Add (or find) a node; label and kind are kept from the first time. */
static long add_node(struct cs_exposure *x, const char *key, const char *label, const char *kind)
{
	long i = find(x, key);
	struct xnode *nd;

	if (i >= 0)
		return i;
	if (x->n >= X_MAX_NODES)
		return CS_ERR_TOOBIG;
	if (cs__grow((void **)&x->nodes, &x->cap, x->n + 1, sizeof(*x->nodes)))
		return CS_ERR_NOMEM;
	nd = &x->nodes[x->n];
	memset(nd, 0, sizeof(*nd));
	nd->key = dup(x, key);
	nd->label = dup(x, label ? label : key);
	nd->kind = kind;
	nd->product = UINT32_MAX;
	nd->versions = UINT32_MAX;
	if (!nd->key || !nd->label || cs__map_put(&x->keys, key, strlen(key), (uint32_t)x->n))
		return CS_ERR_NOMEM;
	return (long)x->n++;
}

static int add_edge(struct cs_exposure *x, uint32_t from, uint32_t to, enum rel rel, int64_t wfrom,
                    int64_t wuntil, const char *detail)
{
	uint32_t k[3] = {from, to, (uint32_t)rel}, v;
	struct xedge *e;

	if (from == to)
		return CS_OK;
	if (cs__map_get(&x->ekeys, k, sizeof(k), &v))
		return CS_OK;
	if (x->ne >= X_MAX_EDGES)
		return CS_ERR_TOOBIG;
	if (cs__grow((void **)&x->edges, &x->ecap, x->ne + 1, sizeof(*x->edges)))
		return CS_ERR_NOMEM;
	e = &x->edges[x->ne];
	memset(e, 0, sizeof(*e));
	e->from = from;
	e->to = to;
	e->rel = rel;
	e->wfrom = wfrom;
	e->wuntil = wuntil;
	e->detail = detail ? dup(x, detail) : NULL;
	e->current = 1;
	if (cs__map_put(&x->ekeys, k, sizeof(k), (uint32_t)x->ne))
		return CS_ERR_NOMEM;
	x->ne++;
	return CS_OK;
}

/* The version node of a product ("product:ID@VERSION"), created when
 * absent (release unknown). */
/*
 * A version of a product already known: written the same, or equal in
 * the generic vendor order (cs_version_cmp: "r7.17.90p608" is
 * "7.17.90p608", "v1.2" is "1.2"). X_NONE when there is none.
 */
static long version_find(const struct cs_exposure *x, uint32_t prod, const char *version)
{
	uint32_t v;
	long eq = X_NONE;

	for (v = x->nodes[prod].versions; v != UINT32_MAX; v = x->nodes[v].versions) {
		int c;

		if (strcmp(x->nodes[v].version, version) == 0)
			return (long)v;
		if (eq == X_NONE &&
		    cs_version_cmp(CS_ECO_PRODUCT, x->nodes[v].version, version, &c) == CS_OK &&
		    c == 0)
			eq = (long)v;
	}
	return eq;
}

static long version_node(struct cs_exposure *x, uint32_t prod, const char *version)
{
	struct cs_buf k, l;
	long i;

	cs__buf_init(&k, 0);
	cs__buf_init(&l, 0);
	if (cs__buf_printf(&k, "%s@%s", x->nodes[prod].key, version) ||
	    cs__buf_printf(&l, "%s %s", x->nodes[prod].label, version)) {
		i = CS_ERR_NOMEM;
		goto out;
	}
	i = version_find(x, prod, version);
	if (i >= 0)
		goto out;
	i = add_node(x, k.data, l.data, "version");
	if (i < 0)
		goto out;
	x->nodes[i].product = prod;
	x->nodes[i].versions = x->nodes[prod].versions;
	x->nodes[prod].versions = (uint32_t)i;
	x->nodes[i].version = dup(x, version);
	if (!x->nodes[i].version || add_edge(x, prod, (uint32_t)i, REL_VERSION, 0, 0, NULL))
		i = CS_ERR_NOMEM;
out:
	cs__buf_release(&k);
	cs__buf_release(&l);
	return i;
}

/* The product a name designates (its id, name or an alias), or -1. */
static long product_by_name(const struct cs_exposure *x, const char *name)
{
	struct cs_buf n, k;
	uint32_t v;
	long r = X_NONE;

	cs__buf_init(&n, 0);
	cs__buf_init(&k, 0);
	norm_name(name, &n);
	if (n.len && !cs__buf_printf(&k, "p:%s", n.data) &&
	    cs__map_get(&x->names, k.data, k.len, &v))
		r = (long)v;
	cs__buf_release(&n);
	cs__buf_release(&k);
	return r;
}

static int name_put(struct cs_exposure *x, const char *prefix, const char *name, const char *suffix,
                    uint32_t idx)
{
	struct cs_buf n, k;
	uint32_t old;
	int rc = CS_OK;

	cs__buf_init(&n, 0);
	cs__buf_init(&k, 0);
	norm_name(name, &n);
	if (!n.len)
		goto out;
	rc = cs__buf_printf(&k, "%s%s%s", prefix, n.data, suffix ? suffix : "");
	if (!rc && !cs__map_get(&x->names, k.data, k.len, &old))
		rc = cs__map_put(&x->names, k.data, k.len, idx);
out:
	cs__buf_release(&n);
	cs__buf_release(&k);
	return rc;
}

static long component_by(const struct cs_exposure *x, const char *name, const char *version)
{
	struct cs_buf n, k;
	uint32_t v;
	long r = X_NONE;

	cs__buf_init(&n, 0);
	cs__buf_init(&k, 0);
	norm_name(name, &n);
	if (n.len && !cs__buf_printf(&k, "c:%s@%s", n.data, version ? version : "") &&
	    cs__map_get(&x->names, k.data, k.len, &v))
		r = (long)v;
	cs__buf_release(&n);
	cs__buf_release(&k);
	return r;
}

/* A component (of an SBOM): a declared product's version when its name
 * is a product's, else "component:NAME@VERSION". */
static long component_node(struct cs_exposure *x, const char *name, const char *version)
{
	struct cs_buf k, l;
	long p = product_by_name(x, name), i;

	if (p >= 0 && version && *version)
		return version_node(x, (uint32_t)p, version);
	if (p >= 0)
		return p;
	i = component_by(x, name, version);
	if (i >= 0)
		return i;
	cs__buf_init(&k, 0);
	cs__buf_init(&l, 0);
	if (version && *version) {
		cs__buf_printf(&k, "component:%s@%s", name, version);
		cs__buf_printf(&l, "%s %s", name, version);
	} else {
		cs__buf_printf(&k, "component:%s", name);
		cs__buf_adds(&l, name);
	}
	i = add_node(x, cs__buf_cstr(&k), cs__buf_cstr(&l), "component");
	if (i >= 0)
		x->nodes[i].version = version && *version ? dup(x, version) : NULL;
	if (i >= 0) {
		struct cs_buf n, key;

		cs__buf_init(&n, 0);
		cs__buf_init(&key, 0);
		norm_name(name, &n);
		if (cs__buf_printf(&key, "c:%s@%s", cs__buf_cstr(&n), version ? version : "") ||
		    cs__map_put(&x->names, key.data, key.len, (uint32_t)i))
			i = CS_ERR_NOMEM;
		cs__buf_release(&n);
		cs__buf_release(&key);
	}
	cs__buf_release(&k);
	cs__buf_release(&l);
	return i;
}

/* ------------------------------------------------------------------ windows */

/* A date or time; a bare date as `until` means its whole day. */
static int parse_when(const char *s, size_t n, int end, int64_t *out)
{
	const char *p = s;
	size_t len = n;

	cs__trim(&p, &len);
	if (!len) {
		*out = 0;
		return CS_OK;
	}
	if (cs__parse_time(p, len, out))
		return CS_ERR_PARSE;
	if (end && len == 10)
		*out += 86399;
	return CS_OK;
}

int cs_exposure_parse_window(const char *s, int64_t *from, int64_t *until)
{
	const char *dots = s ? strstr(s, "..") : NULL;
	int64_t f, u;

	if (!dots)
		return CS_ERR_PARSE;
	if (parse_when(s, (size_t)(dots - s), 0, &f) ||
	    parse_when(dots + 2, strlen(dots + 2), 1, &u))
		return CS_ERR_PARSE;
	if (f && u && f > u)
		return CS_ERR_PARSE;
	*from = f;
	*until = u;
	return CS_OK;
}

/* ------------------------------------------------------------------ YAML */

struct yctx {
	struct cs_exposure *x;
	yaml_document_t *doc;
	const char *file;
	char dir[4096]; /* the file's folder, for SBOM paths */
	long budget;
	int errors, warnings;
	/* Relations are resolved once everything is declared. */
	struct pending *pend;
	size_t npend, cappend;
};

struct pending {
	enum rel rel;
	const char *from, *to; /* references, in the arena */
	uint64_t from_line, from_col, to_line, to_col;
	int64_t wfrom, wuntil;
};

static void yerr(struct yctx *c, const yaml_node_t *n, const char *fmt, ...) CS_PRINTF(3, 4);
static void yerr(struct yctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->errors >= X_MAX_ERRORS)
		return;
	if (++c->errors == X_MAX_ERRORS) {
		/* Stop walking: the file is not what it should be. */
		c->budget = 0;
		diag(c->x, CS_SEV_ERROR, c->file, n ? n->start_mark.line + 1 : 0,
		     n ? n->start_mark.column + 1 : 0, "%d errors: stopped", X_MAX_ERRORS);
		return;
	}
	diag(c->x, CS_SEV_ERROR, c->file, n ? n->start_mark.line + 1 : 0,
	     n ? n->start_mark.column + 1 : 0, "%s", msg);
}

static void ywarn(struct yctx *c, const yaml_node_t *n, const char *fmt, ...) CS_PRINTF(3, 4);
static void ywarn(struct yctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (c->warnings >= X_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (++c->warnings == X_MAX_ERRORS)
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
		         " (%d warnings: no more are shown)", X_MAX_ERRORS);
	diag(c->x, CS_SEV_WARN, c->file, n ? n->start_mark.line + 1 : 0,
	     n ? n->start_mark.column + 1 : 0, "%s", msg);
}

/* A node of the document, charged to the budget; NULL when spent. */
static yaml_node_t *ynode(struct yctx *c, int id)
{
	if (c->budget <= 0)
		return NULL;
	if (--c->budget == 0) {
		yerr(c, NULL, "more than %d YAML nodes visited (aliases included): stopped",
		     X_YAML_BUDGET);
		return NULL;
	}
	return yaml_document_get_node(c->doc, id);
}

static const char *type_name(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE     ? "a scalar"
	       : n->type == YAML_SEQUENCE_NODE ? "a list"
	       : n->type == YAML_MAPPING_NODE  ? "a mapping"
	                                       : "empty";
}

/* The text of a scalar node, or NULL (reported) when it is not one, is
 * too long or holds a NUL byte. */
static const char *yscalar(struct yctx *c, const yaml_node_t *n, const char *what)
{
	const char *s;

	if (!n)
		return NULL;
	if (n->type != YAML_SCALAR_NODE) {
		yerr(c, n, "'%s' must be a scalar, not %s", what, type_name(n));
		return NULL;
	}
	if (n->data.scalar.length > X_MAX_SCALAR) {
		yerr(c, n, "'%s' is longer than %d bytes", what, X_MAX_SCALAR);
		return NULL;
	}
	s = (const char *)n->data.scalar.value;
	if (strlen(s) != n->data.scalar.length) {
		yerr(c, n, "'%s' holds a NUL byte", what);
		return NULL;
	}
	return s;
}

/* Call fn for each (key, value) of a mapping node. */
typedef int (*ymap_fn)(struct yctx *c, const char *key, yaml_node_t *kn, yaml_node_t *vn, void *ud);

static int ymap(struct yctx *c, yaml_node_t *m, const char *what, ymap_fn fn, void *ud)
{
	yaml_node_pair_t *p;

	if (m->type != YAML_MAPPING_NODE) {
		yerr(c, m, "%s must be a mapping, not %s", what, type_name(m));
		return CS_OK;
	}
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = ynode(c, p->key), *vn;
		const char *k;
		int rc;

		if (!kn)
			return CS_OK;
		vn = ynode(c, p->value);
		if (!vn)
			return CS_OK;
		k = yscalar(c, kn, "key");
		if (!k)
			continue;
		rc = fn(c, k, kn, vn, ud);
		if (rc)
			return rc;
	}
	return CS_OK;
}

/* Call fn for each item of a sequence node. */
typedef int (*yseq_fn)(struct yctx *c, yaml_node_t *item, void *ud);

static int yseq(struct yctx *c, yaml_node_t *s, const char *what, yseq_fn fn, void *ud)
{
	yaml_node_item_t *it;

	if (s->type != YAML_SEQUENCE_NODE) {
		yerr(c, s, "'%s' must be a list, not %s", what, type_name(s));
		return CS_OK;
	}
	for (it = s->data.sequence.items.start; it < s->data.sequence.items.top; it++) {
		yaml_node_t *n = ynode(c, *it);
		int rc;

		if (!n)
			return CS_OK;
		rc = fn(c, n, ud);
		if (rc)
			return rc;
	}
	return CS_OK;
}

/* An entity being read: vendor, environment or product. */
struct yent {
	const char *id, *name, *vendor;
	yaml_node_t *idn, *vendorn, *versions, *aliases, *node;
	int64_t wfrom, wuntil;
	const char *what; /* "vendor", "environment", "product" */
	/* relations */
	const char *type;
	yaml_node_t *typen;
	const char *a, *b;
	yaml_node_t *an, *bn;
	const char *version, *released, *file, *product;
	yaml_node_t *releasedn, *windown, *productn;
};

static int ywindow(struct yctx *c, yaml_node_t *vn, struct yent *e)
{
	const char *s = yscalar(c, vn, "window");

	if (!s)
		return CS_OK;
	if (cs_exposure_parse_window(s, &e->wfrom, &e->wuntil))
		yerr(c, vn, "window '%.80s' is not FROM..TO (dates, either end may be empty)", s);
	return CS_OK;
}

static int ent_field(struct yctx *c, const char *k, yaml_node_t *kn, yaml_node_t *vn, void *ud)
{
	struct yent *e = ud;

	if (strcmp(k, "id") == 0) {
		e->id = yscalar(c, vn, k);
		e->idn = vn;
	} else if (strcmp(k, "name") == 0) {
		e->name = yscalar(c, vn, k);
	} else if (strcmp(k, "vendor") == 0 && strcmp(e->what, "vendor") != 0) {
		e->vendor = yscalar(c, vn, k);
		e->vendorn = vn;
	} else if (strcmp(k, "versions") == 0 && strcmp(e->what, "product") == 0) {
		e->versions = vn;
	} else if (strcmp(k, "aliases") == 0 && strcmp(e->what, "product") == 0) {
		e->aliases = vn;
	} else if (strcmp(k, "note") == 0 || strcmp(k, "description") == 0) {
		(void)0;
	} else {
		ywarn(c, kn, "unknown key '%.80s' in a %s (ignored)", k, e->what);
	}
	return CS_OK;
}

static int ver_field(struct yctx *c, const char *k, yaml_node_t *kn, yaml_node_t *vn, void *ud)
{
	struct yent *e = ud;

	if (strcmp(k, "version") == 0) {
		e->version = yscalar(c, vn, k);
		e->an = vn;
	} else if (strcmp(k, "released") == 0) {
		e->released = yscalar(c, vn, k);
		e->releasedn = vn;
	} else if (strcmp(k, "note") == 0) {
		(void)0;
	} else {
		ywarn(c, kn, "unknown key '%.80s' in a version (ignored)", k);
	}
	return CS_OK;
}

static int add_version_item(struct yctx *c, yaml_node_t *item, void *ud)
{
	uint32_t prod = *(uint32_t *)ud;
	struct yent v;
	long i;

	memset(&v, 0, sizeof(v));
	if (item->type == YAML_SCALAR_NODE) {
		v.version = yscalar(c, item, "version");
	} else if (item->type == YAML_MAPPING_NODE) {
		ymap(c, item, "a version", ver_field, &v);
		if (!v.an)
			yerr(c, item, "a version needs 'version'");
	} else {
		yerr(c, item, "a version must be a scalar or a mapping, not %s", type_name(item));
	}
	if (!v.version || !*v.version)
		return CS_OK;
	if (strchr(v.version, '@')) {
		yerr(c, item, "a version may not contain '@'");
		return CS_OK;
	}
	i = version_node(c->x, prod, v.version);
	if (i < 0)
		return (int)i;
	if (v.released) {
		int64_t t;

		if (parse_when(v.released, strlen(v.released), 0, &t) || !t)
			yerr(c, v.releasedn, "'released' is not a date: '%.80s'", v.released);
		else
			c->x->nodes[i].released = t;
	}
	return CS_OK;
}

static int add_alias_item(struct yctx *c, yaml_node_t *item, void *ud)
{
	uint32_t prod = *(uint32_t *)ud;
	const char *a = yscalar(c, item, "aliases");

	return a ? name_put(c->x, "p:", a, NULL, prod) : CS_OK;
}

static int valid_id(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++) {
		if (*s == '@' || *s == ':' || (unsigned char)*s < 0x20)
			return 0;
	}
	return 1;
}

static int push_pending(struct yctx *c, enum rel rel, const char *from, const yaml_node_t *fn,
                        const char *to, const yaml_node_t *tn, int64_t wf, int64_t wu)
{
	struct pending *p;

	if (cs__grow((void **)&c->pend, &c->cappend, c->npend + 1, sizeof(*c->pend)))
		return CS_ERR_NOMEM;
	p = &c->pend[c->npend];
	p->rel = rel;
	p->from = dup(c->x, from);
	p->to = dup(c->x, to);
	if (!p->from || !p->to)
		return CS_ERR_NOMEM;
	p->from_line = fn->start_mark.line + 1;
	p->from_col = fn->start_mark.column + 1;
	p->to_line = tn->start_mark.line + 1;
	p->to_col = tn->start_mark.column + 1;
	p->wfrom = wf;
	p->wuntil = wu;
	c->npend++;
	return CS_OK;
}

static int entity_item(struct yctx *c, yaml_node_t *item, void *ud)
{
	const char *what = ud;
	struct yent e;
	struct cs_buf k;
	long i;
	int rc = CS_OK;

	memset(&e, 0, sizeof(e));
	e.what = what;
	e.node = item;
	if (item->type != YAML_MAPPING_NODE) {
		yerr(c, item, "a %s must be a mapping, not %s", what, type_name(item));
		return CS_OK;
	}
	ymap(c, item, what, ent_field, &e);
	if (!e.id) {
		if (!e.idn)
			yerr(c, item, "a %s needs an 'id'", what);
		return CS_OK;
	}
	if (!valid_id(e.id)) {
		yerr(c, e.idn,
		     "id '%.80s' must be non-empty without '@', ':' or control characters", e.id);
		return CS_OK;
	}
	cs__buf_init(&k, 0);
	if (cs__buf_printf(&k, "%s:%s", what, e.id)) {
		cs__buf_release(&k);
		return CS_ERR_NOMEM;
	}
	if (find(c->x, k.data) >= 0)
		ywarn(c, e.idn, "%s '%.80s' is declared again (the first stays)", what, e.id);
	i = add_node(c->x, k.data, e.name ? e.name : e.id, what);
	cs__buf_release(&k);
	if (i < 0)
		return (int)i;
	if (strcmp(what, "product") == 0) {
		uint32_t p = (uint32_t)i;

		rc = name_put(c->x, "p:", e.id, NULL, p);
		if (!rc && e.name)
			rc = name_put(c->x, "p:", e.name, NULL, p);
		if (!rc && e.aliases)
			rc = yseq(c, e.aliases, "aliases", add_alias_item, &p);
		if (!rc && e.versions)
			rc = yseq(c, e.versions, "versions", add_version_item, &p);
	}
	if (!rc && e.vendor) {
		char ref[X_MAX_SCALAR + 16];

		snprintf(ref, sizeof(ref), "vendor:%s", e.vendor);
		rc = push_pending(c, strcmp(what, "product") == 0 ? REL_MAKES : REL_OPERATES, ref,
		                  e.vendorn, c->x->nodes[i].key, e.idn, 0, 0);
	}
	return rc;
}

static int rel_field(struct yctx *c, const char *k, yaml_node_t *kn, yaml_node_t *vn, void *ud)
{
	struct yent *e = ud;

	if (strcmp(k, "type") == 0) {
		e->type = yscalar(c, vn, k);
		e->typen = vn;
	} else if (strcmp(k, "what") == 0 || strcmp(k, "by") == 0 || strcmp(k, "on") == 0) {
		e->a = yscalar(c, vn, k);
		e->an = vn;
	} else if (strcmp(k, "at") == 0 || strcmp(k, "product") == 0) {
		e->b = yscalar(c, vn, k);
		e->bn = vn;
	} else if (strcmp(k, "window") == 0) {
		e->windown = vn;
		ywindow(c, vn, e);
	} else if (strcmp(k, "note") == 0) {
		(void)0;
	} else {
		ywarn(c, kn, "unknown key '%.80s' in a relation (ignored)", k);
	}
	return CS_OK;
}

static int relation_item(struct yctx *c, yaml_node_t *item, void *ud)
{
	struct yent e;
	enum rel rel;
	const char *need_a, *need_b;

	(void)ud;
	memset(&e, 0, sizeof(e));
	if (item->type != YAML_MAPPING_NODE) {
		yerr(c, item, "a relation must be a mapping, not %s", type_name(item));
		return CS_OK;
	}
	ymap(c, item, "a relation", rel_field, &e);
	if (!e.type) {
		if (!e.typen)
			yerr(c, item,
			     "a relation needs a 'type' (installed-at, builds, updates, "
			     "depends-on)");
		return CS_OK;
	}
	if (strcmp(e.type, "installed-at") == 0) {
		rel = REL_INSTALLED;
		need_a = "what";
		need_b = "at";
	} else if (strcmp(e.type, "builds") == 0 || strcmp(e.type, "updates") == 0) {
		rel = e.type[0] == 'b' ? REL_BUILDS : REL_UPDATES;
		need_a = "by";
		need_b = "product";
	} else if (strcmp(e.type, "depends-on") == 0) {
		rel = REL_DEPENDENCY;
		need_a = "on";
		need_b = "product";
	} else {
		yerr(c, e.typen,
		     "unknown relation type '%.80s' (installed-at, builds, updates, "
		     "depends-on)",
		     e.type);
		return CS_OK;
	}
	if (!e.a || !e.b) {
		if (!(e.a ? e.bn : e.an))
			yerr(c, item, "a %s relation needs '%s' and '%s'", e.type, need_a, need_b);
		return CS_OK;
	}
	/* What the compromise flows from, and to. */
	return push_pending(c, rel, e.a, e.an, e.b, e.bn, e.wfrom, e.wuntil);
}

static int sbom_field(struct yctx *c, const char *k, yaml_node_t *kn, yaml_node_t *vn, void *ud)
{
	struct yent *e = ud;

	if (strcmp(k, "file") == 0) {
		e->file = yscalar(c, vn, k);
		e->an = vn;
	} else if (strcmp(k, "product") == 0) {
		e->product = yscalar(c, vn, k);
		e->productn = vn;
	} else {
		ywarn(c, kn, "unknown key '%.80s' in an SBOM entry (ignored)", k);
	}
	return CS_OK;
}

static int sbom_item(struct yctx *c, yaml_node_t *item, void *ud)
{
	struct yent e;
	char path[8192];
	int rc;

	(void)ud;
	memset(&e, 0, sizeof(e));
	if (item->type == YAML_SCALAR_NODE) {
		e.file = yscalar(c, item, "sboms");
		e.an = item;
	} else {
		ymap(c, item, "an SBOM entry", sbom_field, &e);
	}
	if (!e.file) {
		if (!e.an)
			yerr(c, item, "an SBOM entry needs 'file'");
		return CS_OK;
	}
	if (e.file[0] == '/' || !c->dir[0])
		snprintf(path, sizeof(path), "%s", e.file);
	else
		snprintf(path, sizeof(path), "%s/%s", c->dir, e.file);
	if (c->x->no_files) {
		ywarn(c, e.an, "SBOM '%.200s' not read (files are not opened here)", e.file);
		return CS_OK;
	}
	rc = cs_exposure_load_sbom(c->x, path, e.product);
	if (rc == CS_ERR_NOMEM)
		return rc;
	if (rc) {
		yerr(c, e.an, "SBOM '%.200s' could not be read (%s)", e.file, cs_strerror(rc));
	}
	return CS_OK;
}

static int top_field(struct yctx *c, const char *k, yaml_node_t *kn, yaml_node_t *vn, void *ud)
{
	(void)ud;
	if (strcmp(k, "vendors") == 0)
		return yseq(c, vn, k, entity_item, (void *)"vendor");
	if (strcmp(k, "environments") == 0)
		return yseq(c, vn, k, entity_item, (void *)"environment");
	if (strcmp(k, "products") == 0)
		return yseq(c, vn, k, entity_item, (void *)"product");
	if (strcmp(k, "chainsweep-relations") == 0) {
		const char *v = yscalar(c, vn, k);

		if (v && strcmp(v, "1") != 0)
			yerr(c, vn, "chainsweep-relations %.20s: this program reads version 1", v);
		return CS_OK;
	}
	if (strcmp(k, "relations") == 0 || strcmp(k, "sboms") == 0)
		return CS_OK; /* after the declarations */
	ywarn(c, kn, "unknown top-level key '%.80s' (ignored)", k);
	return CS_OK;
}

static int late_field(struct yctx *c, const char *k, yaml_node_t *kn, yaml_node_t *vn, void *ud)
{
	(void)kn;
	(void)ud;
	if (strcmp(k, "sboms") == 0)
		return yseq(c, vn, k, sbom_item, NULL);
	return CS_OK;
}

static int later_field(struct yctx *c, const char *k, yaml_node_t *kn, yaml_node_t *vn, void *ud)
{
	(void)kn;
	(void)ud;
	if (strcmp(k, "relations") == 0)
		return yseq(c, vn, k, relation_item, NULL);
	return CS_OK;
}

/*
 * A reference: "KIND:ID" (vendor, environment, product, component, host),
 * or an id of a vendor, environment or product, or a product's name;
 * "...@VERSION" names a version of a product (created when not declared)
 * or of an SBOM component. Writes the node or returns CS_ERR_NOTFOUND /
 * CS_ERR_INVALID (ambiguous) with the message in errmsg.
 */
static int resolve(struct cs_exposure *x, const char *ref, int create, uint32_t *out)
{
	static const char *const kinds[] = {"vendor", "environment", "product"};
	const char *at = strrchr(ref, '@'), *colon = strchr(ref, ':');
	char base[X_MAX_SCALAR + 32];
	long found = -1, i;
	size_t k, blen = at ? (size_t)(at - ref) : strlen(ref);
	int nfound = 0;

	if (blen >= sizeof(base) - 16) {
		snprintf(x->errmsg, sizeof(x->errmsg), "reference too long");
		return CS_ERR_NOTFOUND;
	}
	if (colon && (size_t)(colon - ref) < blen) {
		if (strncmp(ref, "host:", 5) == 0) {
			i = create ? add_node(x, ref, ref + 5, "host") : find(x, ref);
			if (i >= 0) {
				*out = (uint32_t)i;
				return CS_OK;
			}
			if (i == CS_ERR_NOMEM)
				return CS_ERR_NOMEM;
		}
		i = find(x, ref);
		if (i >= 0) {
			*out = (uint32_t)i;
			return CS_OK;
		}
		memcpy(base, ref, blen);
		base[blen] = '\0';
		found = find(x, base);
		nfound = found >= 0;
	} else {
		for (k = 0; k < CS_ARRAY_SIZE(kinds); k++) {
			snprintf(base, sizeof(base), "%s:%.*s", kinds[k], (int)blen, ref);
			i = find(x, base);
			if (i >= 0 && i != found) {
				nfound++;
				if (found >= 0) {
					snprintf(x->errmsg, sizeof(x->errmsg),
					         "'%.200s' names both %.200s and %.200s: write "
					         "KIND:ID",
					         ref, x->nodes[found].key, x->nodes[i].key);
					return CS_ERR_INVALID;
				}
				found = i;
			}
		}
		if (found < 0) {
			memcpy(base, ref, blen);
			base[blen] = '\0';
			found = product_by_name(x, base);
			nfound = found >= 0;
		}
		if (found < 0 && at) {
			i = component_by(x, base, at + 1);
			if (i >= 0) {
				*out = (uint32_t)i;
				return CS_OK;
			}
		}
	}
	if (!nfound) {
		snprintf(x->errmsg, sizeof(x->errmsg), "'%.200s' names nothing declared", ref);
		return CS_ERR_NOTFOUND;
	}
	if (!at) {
		*out = (uint32_t)found;
		return CS_OK;
	}
	if (strcmp(x->nodes[found].kind, "product") != 0) {
		snprintf(x->errmsg, sizeof(x->errmsg), "'%.200s': only products have versions",
		         ref);
		return CS_ERR_NOTFOUND;
	}
	i = at[1] ? version_find(x, (uint32_t)found, at + 1) : X_NONE;
	if (i < 0 && create && at[1])
		i = version_node(x, (uint32_t)found, at + 1);
	if (i == CS_ERR_NOMEM)
		return CS_ERR_NOMEM;
	if (i < 0) {
		snprintf(x->errmsg, sizeof(x->errmsg), "'%.200s': no such version declared", ref);
		return CS_ERR_NOTFOUND;
	}
	*out = (uint32_t)i;
	return CS_OK;
}

static int resolve_pending(struct yctx *c)
{
	size_t i;

	for (i = 0; i < c->npend; i++) {
		const struct pending *p = &c->pend[i];
		uint32_t a, b;
		int rc = resolve(c->x, p->from, 1, &a);

		if (rc == CS_ERR_NOMEM)
			return rc;
		if (rc) {
			c->errors++;
			diag(c->x, CS_SEV_ERROR, c->file, p->from_line, p->from_col, "%s",
			     c->x->errmsg);
			continue;
		}
		rc = resolve(c->x, p->to, 1, &b);
		if (rc == CS_ERR_NOMEM)
			return rc;
		if (rc) {
			c->errors++;
			diag(c->x, CS_SEV_ERROR, c->file, p->to_line, p->to_col, "%s",
			     c->x->errmsg);
			continue;
		}
		rc = add_edge(c->x, a, b, p->rel, p->wfrom, p->wuntil, NULL);
		if (rc)
			return rc;
	}
	return CS_OK;
}

int cs_exposure_load_relations_mem(struct cs_exposure *x, const char *name, const void *data,
                                   size_t len)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	struct yctx c;
	const char *slash;
	int rc = CS_OK;

	if (!x || (!data && len))
		return CS_ERR_INVALID;
	if (!name)
		name = "relations";
	x->errmsg[0] = '\0';
	if (len > X_MAX_FILE) {
		diag(x, CS_SEV_ERROR, name, 0, 0, "larger than %u bytes", X_MAX_FILE);
		return CS_ERR_TOOBIG;
	}
	memset(&c, 0, sizeof(c));
	c.x = x;
	c.file = name;
	c.doc = &doc;
	c.budget = X_YAML_BUDGET;
	slash = strrchr(name, '/');
	if (slash && (size_t)(slash - name) < sizeof(c.dir))
		snprintf(c.dir, sizeof(c.dir), "%.*s", (int)(slash - name), name);
	/* libyaml takes time quadratic in the nesting of flow collections
	 * (100,000 '[' cost 30 s): refuse deep nests before it sees them. */
	{
		const unsigned char *p = data, *e = p + len, *deep = NULL;
		size_t depth = 0;
		uint64_t line = 1, col = 1, dl = 0, dc = 0;

		for (; p < e && !deep; p++, col++) {
			if (*p == '\n') {
				line++;
				col = 0;
			} else if (*p == '[' || *p == '{') {
				if (++depth > X_MAX_FLOW) {
					deep = p;
					dl = line;
					dc = col;
				}
			} else if ((*p == ']' || *p == '}') && depth) {
				depth--;
			}
		}
		if (deep) {
			diag(x, CS_SEV_ERROR, name, dl, dc,
			     "'[' and '{' nested deeper than %d (counted anywhere, quoted or not)",
			     X_MAX_FLOW);
			return CS_ERR_PARSE;
		}
	}
	if (!yaml_parser_initialize(&parser))
		return CS_ERR_NOMEM;
	yaml_parser_set_input_string(&parser, data ? data : (const void *)"", len);
	if (!yaml_parser_load(&parser, &doc)) {
		diag(x, CS_SEV_ERROR, name, parser.problem_mark.line + 1,
		     parser.problem_mark.column + 1, "%s%s%s",
		     parser.problem ? parser.problem : "YAML error", parser.context ? " " : "",
		     parser.context ? parser.context : "");
		rc = parser.error == YAML_MEMORY_ERROR ? CS_ERR_NOMEM : CS_ERR_PARSE;
		yaml_parser_delete(&parser);
		return rc;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		diag(x, CS_SEV_WARN, name, 0, 0, "empty: no relations");
		goto out;
	}
	if (root->type != YAML_MAPPING_NODE) {
		yerr(&c, root,
		     "the top level must be a mapping (vendors, environments, products, "
		     "relations, sboms), not %s",
		     type_name(root));
		goto out;
	}
	rc = ymap(&c, root, "the top level", top_field, NULL);
	if (!rc)
		rc = ymap(&c, root, "the top level", late_field, NULL);
	if (!rc)
		rc = ymap(&c, root, "the top level", later_field, NULL);
	if (!rc)
		rc = resolve_pending(&c);
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	free(c.pend);
	if (!rc && c.errors)
		rc = CS_ERR_PARSE;
	return rc;
}

int cs_exposure_load_relations(struct cs_exposure *x, const char *path)
{
	char *data = NULL;
	size_t len = 0;
	int err = 0, rc;

	if (!x || !path)
		return CS_ERR_INVALID;
	rc = cs__read_file(path, X_MAX_FILE, &data, &len, &err);
	if (rc) {
		diag(x, CS_SEV_ERROR, path, 0, 0, "%s",
		     rc == CS_ERR_TOOBIG ? "too large for a relations file" : strerror(err));
		return rc;
	}
	rc = cs_exposure_load_relations_mem(x, path, data, len);
	free(data);
	return rc;
}

/* ------------------------------------------------------------------ SBOM */

struct sbom_ctx {
	struct cs_exposure *x;
	const char *file;
	struct cs_map refs; /* bom-ref -> node */
};

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int sbom_component(struct sbom_ctx *s, json_t *c, long forced, long *out, int depth)
{
	const char *name = jstr(c, "name"), *version = jstr(c, "version");
	const char *ref = jstr(c, "bom-ref"), *group = jstr(c, "group");
	json_t *sub = json_object_get(c, "components"), *v;
	struct cs_buf full;
	size_t i;
	long node = forced;
	int rc = CS_OK;

	if (out)
		*out = -1;
	if (!json_is_object(c) || depth > X_SBOM_DEPTH)
		return CS_OK;
	cs__buf_init(&full, 0);
	if (node < 0 && name && *name) {
		if (group && *group)
			cs__buf_printf(&full, "%s/%s", group, name);
		else
			cs__buf_adds(&full, name);
		node = product_by_name(s->x, name) >= 0
		               ? component_node(s->x, name, version)
		               : component_node(s->x, cs__buf_cstr(&full), version);
		if (node == CS_ERR_NOMEM || node == CS_ERR_TOOBIG) {
			rc = (int)node;
			goto out;
		}
	}
	if (node >= 0 && ref && *ref)
		rc = cs__map_put(&s->refs, ref, strlen(ref), (uint32_t)node);
	if (out)
		*out = node;
	json_array_foreach(sub, i, v)
	{
		if (rc)
			break;
		rc = sbom_component(s, v, -1, NULL, depth + 1);
	}
out:
	cs__buf_release(&full);
	return rc;
}

int cs_exposure_load_sbom(struct cs_exposure *x, const char *path, const char *product)
{
	struct sbom_ctx s;
	json_error_t jerr;
	json_t *root = NULL, *comps, *deps, *meta, *v, *d;
	char *data = NULL;
	size_t len = 0, i, j;
	long forced = -1, rootnode = -1;
	int err = 0, rc;

	if (!x || !path)
		return CS_ERR_INVALID;
	rc = cs__read_file(path, X_MAX_SBOM, &data, &len, &err);
	if (rc) {
		diag(x, CS_SEV_ERROR, path, 0, 0, "%s",
		     rc == CS_ERR_TOOBIG ? "too large for an SBOM" : strerror(err));
		return rc;
	}
	root = json_loadb(data, len, 0, &jerr);
	free(data);
	if (!root) {
		diag(x, CS_SEV_ERROR, path, (uint64_t)jerr.line, (uint64_t)jerr.column, "%s",
		     jerr.text);
		return CS_ERR_PARSE;
	}
	if (!json_is_object(root) || !jstr(root, "bomFormat") ||
	    strcmp(jstr(root, "bomFormat"), "CycloneDX") != 0) {
		diag(x, CS_SEV_ERROR, path, 0, 0, "not a CycloneDX JSON SBOM");
		json_decref(root);
		return CS_ERR_PARSE;
	}
	memset(&s, 0, sizeof(s));
	s.x = x;
	s.file = path;
	cs__map_init(&s.refs);
	if (product) {
		uint32_t p;

		rc = resolve(x, product, 1, &p);
		if (rc) {
			diag(x, CS_SEV_ERROR, path, 0, 0, "product %s", x->errmsg);
			goto out;
		}
		forced = (long)p;
	}
	meta = json_object_get(json_object_get(root, "metadata"), "component");
	rc = sbom_component(&s, meta, forced, &rootnode, 0);
	comps = json_object_get(root, "components");
	json_array_foreach(comps, i, v)
	{
		if (rc)
			break;
		rc = sbom_component(&s, v, -1, NULL, 0);
	}
	deps = json_object_get(root, "dependencies");
	json_array_foreach(deps, i, v)
	{
		const char *ref = jstr(v, "ref");
		uint32_t a, b;

		if (rc)
			break;
		if (!ref || !cs__map_get(&s.refs, ref, strlen(ref), &a))
			continue;
		json_array_foreach(json_object_get(v, "dependsOn"), j, d)
		{
			const char *dr = json_is_string(d) ? json_string_value(d) : NULL;

			if (!dr || !cs__map_get(&s.refs, dr, strlen(dr), &b))
				continue;
			rc = add_edge(x, b, a, REL_DEPENDENCY, 0, 0, NULL);
			if (rc)
				break;
		}
	}
	/* Without a dependency tree, every component is the root's. */
	if (!rc && rootnode >= 0 && !json_array_size(deps)) {
		json_array_foreach(comps, i, v)
		{
			const char *ref = jstr(v, "bom-ref");
			uint32_t b;

			if (ref && cs__map_get(&s.refs, ref, strlen(ref), &b))
				rc = add_edge(x, b, (uint32_t)rootnode, REL_DEPENDENCY, 0, 0, NULL);
			if (rc)
				break;
		}
	}
out:
	cs__map_release(&s.refs);
	json_decref(root);
	return rc;
}

/* ------------------------------------------------------------------ software */

int cs_exposure_add_software(struct cs_exposure *x, const struct cs_software_rec *r)
{
	struct cs_buf hk, detail;
	long p, v, h;
	int rc = CS_OK;

	if (!x || !r || !r->host || !r->name || !r->version)
		return CS_ERR_INVALID;
	p = product_by_name(x, r->name);
	if (p >= 0) {
		v = version_node(x, (uint32_t)p, r->version);
		if (v < 0)
			return (int)v;
	} else {
		v = component_by(x, r->name, r->version);
		if (v < 0)
			return CS_OK; /* nothing the graph knows */
	}
	cs__buf_init(&hk, 0);
	cs__buf_init(&detail, 0);
	rc = cs__buf_printf(&hk, "host:%s", r->host);
	if (rc)
		goto out;
	h = add_node(x, hk.data, r->host, "host");
	if (h < 0) {
		rc = (int)h;
		goto out;
	}
	rc = cs__buf_printf(&detail, "%s%s%s%s", r->source ? r->source : "", r->entry ? " (" : "",
	                    r->entry ? r->entry : "", r->entry ? ")" : "");
	if (!rc) {
		uint32_t k[3] = {(uint32_t)v, (uint32_t)h, REL_RUNS}, e;

		if (cs__map_get(&x->ekeys, k, sizeof(k), &e) ||
		    (k[2] = REL_RAN, cs__map_get(&x->ekeys, k, sizeof(k), &e)))
			goto out; /* one edge per (version, host) */
		rc = add_edge(x, (uint32_t)v, (uint32_t)h, r->current ? REL_RUNS : REL_RAN, 0, 0,
		              detail.data);
		if (!rc) {
			x->edges[x->ne - 1].current = r->current;
			x->edges[x->ne - 1].last_seen = r->last_seen;
		}
	}
out:
	cs__buf_release(&hk);
	cs__buf_release(&detail);
	return rc;
}

static int on_rec(void *ud, const struct cs_software_rec *r)
{
	return cs_exposure_add_software(ud, r);
}

int cs_exposure_load_store(struct cs_exposure *x, struct cs_store *st)
{
	int rc;

	if (!x || !st)
		return CS_ERR_INVALID;
	rc = cs_store_software(st, NULL, on_rec, x);
	if (rc == CS_ERR_DB)
		snprintf(x->errmsg, sizeof(x->errmsg), "%s", cs_store_errmsg(st));
	return rc;
}

/* ------------------------------------------------------------------ the walk */

struct wstate {
	uint32_t parent; /* edge, UINT32_MAX for the start */
	int64_t wfrom, wuntil;
	unsigned char reached, indet;
};

/* Intersection of two windows (0 = open end); 0 when empty. */
static int w_and(int64_t af, int64_t au, int64_t bf, int64_t bu, int64_t *f, int64_t *u)
{
	*f = !af ? bf : !bf ? af : (af > bf ? af : bf);
	*u = !au ? bu : !bu ? au : (au < bu ? au : bu);
	return !(*f && *u && *f > *u);
}

/* 1 when [bf, bu] widens [af, au]. */
static int w_wider(int64_t af, int64_t au, int64_t bf, int64_t bu)
{
	return (af && (!bf || bf < af)) || (au && (!bu || bu > au));
}

struct hitrec {
	uint32_t node;
	int order; /* kind, for sorting */
};

static int hit_cmp(const void *pa, const void *pb, void *arg)
{
	const struct cs_exposure *sort_x = arg;
	const struct hitrec *a = pa, *b = pb;
	const struct xnode *na = &sort_x->nodes[a->node], *nb = &sort_x->nodes[b->node];
	int c;

	if (a->order != b->order)
		return a->order < b->order ? -1 : 1;
	if (na->product != UINT32_MAX && nb->product != UINT32_MAX && na->product != nb->product)
		return strcmp(sort_x->nodes[na->product].label, sort_x->nodes[nb->product].label);
	if (na->released != nb->released)
		return na->released < nb->released ? -1 : 1;
	c = strcmp(na->label, nb->label);
	return c ? c : strcmp(na->key, nb->key);
}

static const char *graph_kind(const struct xnode *nd)
{
	return nd->kind;
}

int cs_exposure_run(struct cs_exposure *x, const struct cs_exposure_query *q, cs_exposure_fn fn,
                    void *ud, struct cs_graph *g, struct cs_exposure_result *res)
{
	uint32_t *start = NULL, *list = NULL, *queue = NULL, start_node, qh = 0, qt = 0;
	struct wstate *ws = NULL;
	struct hitrec *hits = NULL;
	struct cs_exposure_step *path = NULL;
	long *gid = NULL;
	size_t i, nh = 0, qcap;
	int rc;

	if (!x || !q || !q->compromised)
		return CS_ERR_INVALID;
	if (res)
		memset(res, 0, sizeof(*res));
	rc = resolve(x, q->compromised, 0, &start_node);
	if (rc)
		return rc;
	ws = cs__calloc(x->n ? x->n : 1, sizeof(*ws));
	start = cs__calloc(x->n + 1, sizeof(*start));
	list = cs__malloc((x->ne ? x->ne : 1) * sizeof(*list));
	/* A node is queued again only when its window widens or it turns
	 * definite: bounded by a few times the node count. */
	qcap = 4 * x->n + 16;
	queue = cs__malloc(qcap * sizeof(*queue));
	hits = cs__malloc((x->n ? x->n : 1) * sizeof(*hits));
	path = cs__malloc((x->n + 1) * sizeof(*path));
	gid = cs__malloc((x->n ? x->n : 1) * sizeof(*gid));
	if (!ws || !start || !list || !queue || !hits || !path || !gid) {
		rc = CS_ERR_NOMEM;
		goto out;
	}
	/* Out-edges, CSR. */
	for (i = 0; i < x->ne; i++)
		start[x->edges[i].from + 1]++;
	for (i = 0; i < x->n; i++)
		start[i + 1] += start[i];
	{
		uint32_t *fill = cs__malloc((x->n ? x->n : 1) * sizeof(*fill));

		if (!fill) {
			rc = CS_ERR_NOMEM;
			goto out;
		}
		memcpy(fill, start, x->n * sizeof(*fill));
		for (i = 0; i < x->ne; i++)
			list[fill[x->edges[i].from]++] = (uint32_t)i;
		free(fill);
	}
	ws[start_node].reached = 1;
	ws[start_node].parent = UINT32_MAX;
	ws[start_node].wfrom = q->from;
	ws[start_node].wuntil = q->until;
	queue[qt++] = start_node;
	while (qh < qt) {
		uint32_t u = queue[qh++], j;

		for (j = start[u]; j < start[u + 1]; j++) {
			const struct xedge *e = &x->edges[list[j]];
			struct wstate *t = &ws[e->to];
			int64_t f, un;
			int indet = ws[u].indet;

			if (!w_and(ws[u].wfrom, ws[u].wuntil, e->wfrom, e->wuntil, &f, &un))
				continue;
			if (e->rel == REL_VERSION && (f || un)) {
				int64_t r = x->nodes[e->to].released;

				if (!r)
					indet = 1;
				else if ((f && r < f) || (un && r > un))
					continue;
			}
			if (e->to == start_node)
				continue;
			if (!t->reached) {
				t->reached = 1;
				t->parent = list[j];
				t->wfrom = f;
				t->wuntil = un;
				t->indet = (unsigned char)indet;
			} else if (w_wider(t->wfrom, t->wuntil, f, un) || (t->indet && !indet)) {
				if (t->indet && !indet) {
					t->parent = list[j];
					t->indet = 0;
				}
				t->wfrom = (!t->wfrom || !f) ? 0 : (f < t->wfrom ? f : t->wfrom);
				t->wuntil =
				        (!t->wuntil || !un) ? 0 : (un > t->wuntil ? un : t->wuntil);
			} else {
				continue;
			}
			if (qt >= qcap) {
				uint32_t *nq;

				if (qh > 0) {
					memmove(queue, queue + qh, (qt - qh) * sizeof(*queue));
					qt -= qh;
					qh = 0;
				}
				if (qt >= qcap) {
					nq = cs__realloc(queue, 2 * qcap * sizeof(*queue));
					if (!nq) {
						rc = CS_ERR_NOMEM;
						goto out;
					}
					queue = nq;
					qcap *= 2;
				}
			}
			queue[qt++] = e->to;
		}
	}
	/* What to report, in order. */
	for (i = 0; i < x->n; i++) {
		const char *k = x->nodes[i].kind;

		if (!ws[i].reached || i == start_node)
			continue;
		hits[nh].node = (uint32_t)i;
		hits[nh++].order = strcmp(k, "version") == 0 || strcmp(k, "component") == 0 ? 0
		                   : strcmp(k, "host") == 0                                 ? 1
		                                                                            : 2;
	}
	qsort_r(hits, nh, sizeof(*hits), hit_cmp, x);
	/* The picture: nodes reached, edges walked (the parents). */
	if (g) {
		for (i = 0; i < x->n; i++) {
			gid[i] = -1;
			if (!ws[i].reached)
				continue;
			gid[i] = cs_graph_node(g, x->nodes[i].key, x->nodes[i].label,
			                       i == start_node ? "compromised"
			                                       : graph_kind(&x->nodes[i]));
			if (gid[i] < 0) {
				rc = (int)gid[i];
				goto out;
			}
		}
		for (i = 0; i < x->ne; i++) {
			const struct xedge *e = &x->edges[i];

			if (gid[e->from] < 0 || gid[e->to] < 0 || ws[e->to].parent != i)
				continue;
			rc = cs_graph_edge(g, (size_t)gid[e->from], (size_t)gid[e->to],
			                   rel_names[e->rel]);
			if (rc)
				goto out;
		}
	}
	for (i = 0; i < nh && !rc; i++) {
		uint32_t v = hits[i].node, c = v;
		const struct xnode *nd = &x->nodes[v];
		struct cs_exposure_hit h;
		size_t np = 0, a;

		/* Path, from the node back to the start, then reversed. */
		while (np <= x->n) {
			const struct xnode *cn = &x->nodes[c];
			uint32_t pe = ws[c].parent;

			path[np].key = cn->key;
			path[np].label = cn->label;
			path[np].kind = c == start_node ? "compromised" : cn->kind;
			path[np].relation = pe == UINT32_MAX ? NULL : rel_names[x->edges[pe].rel];
			path[np].detail = pe == UINT32_MAX ? NULL : x->edges[pe].detail;
			np++;
			if (pe == UINT32_MAX)
				break;
			c = x->edges[pe].from;
		}
		for (a = 0; a < np / 2; a++) {
			struct cs_exposure_step t = path[a];

			path[a] = path[np - 1 - a];
			path[np - 1 - a] = t;
		}
		memset(&h, 0, sizeof(h));
		h.key = nd->key;
		h.label = nd->label;
		h.node_kind = nd->kind;
		h.indeterminate = ws[v].indet;
		h.window_from = ws[v].wfrom;
		h.window_until = ws[v].wuntil;
		h.path = path;
		h.npath = np;
		if (hits[i].order == 0) {
			h.kind = CS_EXPOSED_VERSION;
			h.version = nd->version;
			h.product = nd->product != UINT32_MAX ? x->nodes[nd->product].label : NULL;
			h.released = nd->released;
			if (res)
				res->versions++;
		} else if (hits[i].order == 1) {
			const struct xedge *pe = &x->edges[ws[v].parent];
			const struct xnode *vn = &x->nodes[pe->from];

			h.kind = CS_EXPOSED_HOST;
			h.host = nd->label;
			h.version = vn->version;
			h.product =
			        vn->product != UINT32_MAX ? x->nodes[vn->product].label : vn->label;
			h.current = pe->current;
			h.last_seen = pe->last_seen;
			h.released = vn->released;
			if (res)
				res->hosts++;
		} else {
			h.kind = CS_EXPOSED_OTHER;
			if (res)
				res->other++;
		}
		if (res && h.indeterminate)
			res->indeterminate++;
		if (fn)
			rc = fn(ud, &h);
	}
out:
	free(ws);
	free(start);
	free(list);
	free(queue);
	free(hits);
	free(path);
	free(gid);
	return rc;
}

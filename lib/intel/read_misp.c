/*
 * MISP reader: events as MISP exports them ({"Event":{...}}, the feed
 * format), as the API returns them ({"response":[{"Event":{...}}, ...]}),
 * bare ({"info":..., "Attribute":[...]}), lists of those, and attribute
 * searches ({"response":{"Attribute":[...]}} or a list of attributes).
 *
 * An event is walked without building it: its Attribute and Object arrays
 * are collected as spans and each attribute or object is parsed alone, so
 * an event of a million attributes costs one attribute's tree at a time.
 * Event tags, galaxies and info may come after the attributes (they do in
 * MISP's own exports), so they are applied once the event's members have
 * all been seen.
 *
 * Labels: event and attribute tags through cs__tag_label(), galaxy
 * clusters through cs__galaxy_label(), "event:<info>", and for attributes
 * inside objects "misp-object:<name>". Object references "resolved-to"
 * (a domain-ip object naming the one holding the address it resolved to),
 * the pairs inside a domain-ip object and domain|ip attributes give the
 * domain "resolves-to:<address>" and the address "resolved-from:<domain>".
 * The mapping of attribute types and every choice are documented in
 * docs/intel-formats-json.md.
 */
#include <stdlib.h>
#include <string.h>

#include "intel/json_stream_int.h"
#include "intel/normalize_int.h"

/* Nesting of wrappers followed: {"response":[{"Event":{...}}]}. */
#define MISP_MAX_WRAP 4
/* resolves-to / resolved-from labels per indicator. */
#define MISP_MAX_RESOLVE 64

/* Pseudo-kinds of the type table. */
#define K_IP   1000 /* IPv4 or IPv6, by the value */
#define K_DROP 1001 /* part of a composite that is not an indicator (a port) */
/* Decoded members of one attribute (see A_NFIELDS). */
#define A_NFIELDS_MAX 11

static const struct misp_type {
	const char *name;
	int k1;
	int k2;            /* second part of a composite "a|b" value, or 0 */
	const char *label; /* extra label, or NULL */
} misp_types[] = {
        {"md5", CS_KIND_MD5, 0, NULL},
        {"sha1", CS_KIND_SHA1, 0, NULL},
        {"sha256", CS_KIND_SHA256, 0, NULL},
        {"sha512", CS_KIND_SHA512, 0, NULL},
        {"filename", CS_KIND_FILENAME, 0, NULL},
        {"email-attachment", CS_KIND_FILENAME, 0, NULL},
        {"domain", CS_KIND_DOMAIN, 0, NULL},
        {"hostname", CS_KIND_DOMAIN, 0, NULL},
        {"ip-src", K_IP, 0, NULL},
        {"ip-dst", K_IP, 0, NULL},
        {"url", CS_KIND_URL, 0, NULL},
        {"uri", CS_KIND_URL, 0, NULL},
        {"email", CS_KIND_EMAIL, 0, NULL},
        {"email-src", CS_KIND_EMAIL, 0, NULL},
        {"email-dst", CS_KIND_EMAIL, 0, NULL},
        {"email-reply-to", CS_KIND_EMAIL, 0, NULL},
        {"x509-fingerprint-md5", CS_KIND_MD5, 0, "cert:x509-fingerprint"},
        {"x509-fingerprint-sha1", CS_KIND_SHA1, 0, "cert:x509-fingerprint"},
        {"x509-fingerprint-sha256", CS_KIND_SHA256, 0, "cert:x509-fingerprint"},
        {"filename|md5", CS_KIND_FILENAME, CS_KIND_MD5, NULL},
        {"filename|sha1", CS_KIND_FILENAME, CS_KIND_SHA1, NULL},
        {"filename|sha256", CS_KIND_FILENAME, CS_KIND_SHA256, NULL},
        {"filename|sha512", CS_KIND_FILENAME, CS_KIND_SHA512, NULL},
        {"domain|ip", CS_KIND_DOMAIN, K_IP, NULL},
        {"ip-src|port", K_IP, K_DROP, NULL},
        {"ip-dst|port", K_IP, K_DROP, NULL},
        {"hostname|port", CS_KIND_DOMAIN, K_DROP, NULL},
};

/*
 * Objects joined by "resolved-to" references, from a first walk over an
 * event's objects (made only when some object holds such a reference).
 * Each object known by uuid keeps its domain and address values, packed
 * "v1\0v2\0\0" in the arena.
 */
struct misp_node {
	const char *domains;
	const char *ips;
	uint32_t out; /* first edge from this object + 1 */
	uint32_t in;  /* first edge to this object + 1 */
};

struct misp_edge {
	uint32_t src, dst;
	uint32_t next_out, next_in;
};

struct misp_graph {
	struct cs_map ids;
	struct misp_node *nodes;
	size_t nnodes, capnodes;
	struct misp_edge *edges;
	size_t nedges, capedges;
	struct cs_arena text;
};

/* What one event object holds, from the walk over its members. */
struct misp_event {
	struct cs_json_spans attrs;
	struct cs_json_spans objs;
	struct cs_json_span info, uuid, tags, galaxy, type, value;
	int nested;   /* an "Event" member was walked */
	int has_list; /* an "Attribute" or "Object" array was seen */
};

/* The object an attribute belongs to. */
struct misp_obj {
	const char *name;
	const char *comment;
	int64_t first_seen, last_seen;
	const struct cs_labels *to;   /* resolves-to values, for domains */
	const struct cs_labels *from; /* resolved-from values, for addresses */
};

struct misp_reader {
	struct cs_reader_ctx *ctx;
	struct cs_labels labels;
	size_t nshared;     /* labels of the current event */
	struct cs_buf uuid; /* the current event's uuid */
	struct cs_buf ref;
	struct cs_labels to, from;
	struct cs_buf norm;
	struct misp_graph g;
	int have_graph;
	uint64_t deleted, links, props, events;
	/* Scratch: decoded attribute members, the current object's name,
	 * comment and uuid, a galaxy type, anything else; attribute spans of
	 * the current object. */
	struct cs_buf f[A_NFIELDS_MAX];
	struct cs_buf oname, ocomment, ouuid, gtype, tbuf;
	struct cs_json_spans aspans;
};

static int eqn(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(s, word, len) == 0;
}

static int span_is(const struct misp_reader *r, struct cs_json_span sp, const char *lit)
{
	return cs__json_str_eq(r->ctx->data, sp, lit);
}

/* --------------------------------------------------------------- graph */

static void graph_init(struct misp_graph *g)
{
	memset(g, 0, sizeof(*g));
	cs__map_init(&g->ids);
	cs__arena_init(&g->text);
}

static void graph_release(struct misp_graph *g)
{
	cs__map_release(&g->ids);
	cs__arena_release(&g->text);
	free(g->nodes);
	free(g->edges);
	graph_init(g);
}

/* The node of an object uuid, created on first use. */
static int graph_node(struct misp_graph *g, const char *uuid, size_t len, uint32_t *out)
{
	uint32_t n;

	if (cs__map_get(&g->ids, uuid, len, &n)) {
		*out = n;
		return CS_OK;
	}
	if (g->nnodes >= UINT32_MAX - 1)
		return CS_ERR_TOOBIG;
	if (cs__grow((void **)&g->nodes, &g->capnodes, g->nnodes + 1, sizeof(*g->nodes)))
		return CS_ERR_NOMEM;
	n = (uint32_t)g->nnodes;
	if (cs__map_put(&g->ids, uuid, len, n))
		return CS_ERR_NOMEM;
	memset(&g->nodes[n], 0, sizeof(g->nodes[n]));
	g->nnodes++;
	*out = n;
	return CS_OK;
}

/* Copy the values of `l` into the arena as "v1\0v2\0\0". */
static const char *pack(struct misp_graph *g, const struct cs_labels *l)
{
	char *p;

	if (!l->n)
		return NULL;
	p = cs__arena_alloc(&g->text, l->text.len + 1);
	if (!p)
		return NULL;
	memcpy(p, l->text.data, l->text.len);
	p[l->text.len] = '\0';
	return p;
}

/* ------------------------------------------------------------- values */

static int ip_kind(const char *v, size_t len)
{
	return memchr(v, ':', len) ? CS_KIND_IPV6 : CS_KIND_IPV4;
}

/* The canonical text of a value for use inside a label; the trimmed raw
 * text when it does not normalise. */
static int label_value(struct misp_reader *r, int kind, const char *v, size_t len, const char **out,
                       size_t *olen)
{
	enum cs_kind k;
	const char *why;
	int rc;

	if (kind == K_IP)
		kind = ip_kind(v, len);
	rc = cs__normalize((enum cs_kind)kind, v, len, &k, &r->norm, &why);
	if (rc == CS_ERR_NOMEM)
		return rc;
	if (rc) {
		cs__trim(&v, &len);
		*out = v;
		*olen = len;
	} else {
		*out = r->norm.data;
		*olen = r->norm.len;
	}
	return CS_OK;
}

static const struct misp_type *find_type(const char *t, size_t len)
{
	size_t i;

	for (i = 0; i < CS_ARRAY_SIZE(misp_types); i++) {
		if (eqn(t, len, misp_types[i].name))
			return &misp_types[i];
	}
	return NULL;
}

/* Members of an attribute the reader uses. */
enum {
	A_TYPE,
	A_VALUE,
	A_TOIDS,
	A_UUID,
	A_COMMENT,
	A_FIRST,
	A_LAST,
	A_DELETED,
	A_TAG,
	A_GALAXY,
	A_REL,
	A_NFIELDS
};

static const char *const attr_keys[A_NFIELDS] = {
        [A_TYPE] = "type",      [A_VALUE] = "value",         [A_TOIDS] = "to_ids",
        [A_UUID] = "uuid",      [A_COMMENT] = "comment",     [A_FIRST] = "first_seen",
        [A_LAST] = "last_seen", [A_DELETED] = "deleted",     [A_TAG] = "Tag",
        [A_GALAXY] = "Galaxy",  [A_REL] = "object_relation",
};

_Static_assert(A_NFIELDS == A_NFIELDS_MAX, "A_NFIELDS_MAX out of date");

/* Spans of the members of the attribute at `sp`; 0 when not an object. */
static int attr_fields(const struct misp_reader *r, struct cs_json_span sp, struct cs_json_field *f)
{
	size_t i;

	for (i = 0; i < A_NFIELDS; i++)
		f[i].key = attr_keys[i];
	return cs__json_fields(r->ctx->data, sp, f, A_NFIELDS);
}

/* Decode the string at `v` into `b`: 1 when it is a string without NUL
 * bytes, 0 otherwise, or CS_ERR_NOMEM. */
static int text(const struct misp_reader *r, struct cs_json_span v, struct cs_buf *b)
{
	int rc = cs__json_text(r->ctx->data, v, b);

	if (rc == 1 && memchr(b->data, '\0', b->len))
		return 0;
	return rc;
}

/* The elements of the (valid) array at `arr` into `out`; nothing when it
 * is absent or not an array. */
static int elements(const struct misp_reader *r, struct cs_json_span arr, struct cs_json_spans *out)
{
	struct cs_json_scan s;
	int rc;

	out->n = 0;
	if (cs__json_kind(r->ctx->data, arr) != '[')
		return CS_OK;
	memset(&s, 0, sizeof(s));
	s.data = r->ctx->data;
	s.len = arr.off + arr.len;
	s.pos = arr.off;
	rc = cs__json_collect(&s, out);
	return rc == CS_ERR_NOMEM ? rc : CS_OK;
}

/*
 * The domain and address values among an object's attributes, as label
 * text: domains into `d`, addresses into `ip` (both reset first). Values
 * of domain|ip attributes count on both sides.
 */
static int object_values(struct misp_reader *r, const struct cs_json_spans *attrs,
                         struct cs_labels *d, struct cs_labels *ip)
{
	struct cs_json_field f[A_NFIELDS];
	struct cs_buf *tb = &r->f[A_TYPE], *vb = &r->f[A_VALUE];
	size_t i;
	int rc = CS_OK;

	cs__labels_reset(d);
	cs__labels_reset(ip);
	for (i = 0; !rc && i < attrs->n; i++) {
		const struct misp_type *mt;
		const char *bar, *o;
		size_t ol;

		if (!attr_fields(r, attrs->v[i], f) ||
		    cs__json_span_flag(r->ctx->data, f[A_DELETED].v) == 1)
			continue;
		if ((rc = text(r, f[A_TYPE].v, tb)) != 1 || (rc = text(r, f[A_VALUE].v, vb)) != 1) {
			rc = rc < 0 ? rc : CS_OK;
			continue;
		}
		rc = CS_OK;
		if (!(mt = find_type(tb->data, tb->len)))
			continue;
		bar = mt->k2 ? memchr(vb->data, '|', vb->len) : NULL;
		if (mt->k1 == CS_KIND_DOMAIN || mt->k1 == K_IP) {
			size_t l1 = bar ? (size_t)(bar - vb->data) : vb->len;

			rc = label_value(r, mt->k1, vb->data, l1, &o, &ol);
			if (!rc)
				rc = cs__labels_add(mt->k1 == K_IP ? ip : d, "", o, ol);
		}
		if (!rc && bar && mt->k2 == K_IP) {
			rc = label_value(r, K_IP, bar + 1, vb->len - (size_t)(bar + 1 - vb->data),
			                 &o, &ol);
			if (!rc)
				rc = cs__labels_add(ip, "", o, ol);
		}
	}
	return rc;
}

/* Record a "resolved-to" reference from object node `n`. */
static int learn_reference(struct misp_reader *r, uint32_t n, struct cs_json_span ref)
{
	struct misp_graph *g = &r->g;
	struct cs_json_field f[] = {{"relationship_type", {0, 0}}, {"referenced_uuid", {0, 0}}};
	struct misp_edge *e;
	uint32_t t;
	int rc;

	cs__json_fields(r->ctx->data, ref, f, 2);
	if (!cs__json_str_eq(r->ctx->data, f[0].v, "resolved-to"))
		return CS_OK;
	rc = text(r, f[1].v, &r->ouuid);
	if (rc != 1)
		return rc;
	rc = graph_node(g, r->ouuid.data, r->ouuid.len, &t);
	if (rc)
		return rc;
	if (g->nedges >= UINT32_MAX - 1)
		return CS_ERR_TOOBIG;
	if (cs__grow((void **)&g->edges, &g->capedges, g->nedges + 1, sizeof(*g->edges)))
		return CS_ERR_NOMEM;
	e = &g->edges[g->nedges];
	e->src = n;
	e->dst = t;
	e->next_out = g->nodes[n].out;
	e->next_in = g->nodes[t].in;
	g->nedges++;
	g->nodes[n].out = (uint32_t)g->nedges;
	g->nodes[t].in = (uint32_t)g->nedges;
	return CS_OK;
}

/*
 * First walk over an event's objects: the domain and address values of
 * each object and its "resolved-to" references, so that both ends of a
 * reference can be labelled whichever comes first. Malformed objects are
 * left for the second walk to report.
 */
static int learn_objects(struct misp_reader *r, const struct cs_json_spans *objs)
{
	struct misp_graph *g = &r->g;
	struct cs_json_spans attrs = {NULL, 0, 0}, refs = {NULL, 0, 0};
	struct cs_labels d, ip;
	size_t i, j, at;
	const char *msg;
	int rc = CS_OK;

	cs__labels_init(&d);
	cs__labels_init(&ip);
	for (i = 0; !rc && i < objs->n; i++) {
		struct cs_json_span sp = objs->v[i];
		struct cs_json_field f[] = {{"uuid", {0, 0}},
		                            {"deleted", {0, 0}},
		                            {"Attribute", {0, 0}},
		                            {"ObjectReference", {0, 0}}};
		uint32_t n;

		if (sp.len > CS_JSON_MAX_ELEMENT ||
		    cs__json_validate(r->ctx->data, sp, &at, &msg) ||
		    !cs__json_fields(r->ctx->data, sp, f, 4) ||
		    cs__json_span_flag(r->ctx->data, f[1].v) == 1 ||
		    text(r, f[0].v, &r->ouuid) != 1)
			continue;
		rc = graph_node(g, r->ouuid.data, r->ouuid.len, &n);
		if (!rc)
			rc = elements(r, f[2].v, &attrs);
		if (!rc)
			rc = object_values(r, &attrs, &d, &ip);
		if (!rc) {
			g->nodes[n].domains = pack(g, &d);
			g->nodes[n].ips = pack(g, &ip);
			if ((d.n && !g->nodes[n].domains) || (ip.n && !g->nodes[n].ips))
				rc = CS_ERR_NOMEM;
		}
		if (!rc)
			rc = elements(r, f[3].v, &refs);
		for (j = 0; !rc && j < refs.n; j++)
			rc = learn_reference(r, n, refs.v[j]);
	}
	cs__json_spans_release(&attrs);
	cs__json_spans_release(&refs);
	cs__labels_release(&d);
	cs__labels_release(&ip);
	return rc == CS_ERR_TOOBIG ? CS_OK : rc;
}

/* Add packed values (see pack()) to `l`, up to MISP_MAX_RESOLVE. */
static int add_packed(struct cs_labels *l, const char *packed)
{
	int rc;

	for (; packed && *packed; packed += strlen(packed) + 1) {
		if (l->n >= MISP_MAX_RESOLVE)
			break;
		rc = cs__labels_add(l, "", packed, strlen(packed));
		if (rc)
			return rc;
	}
	return CS_OK;
}

/* Values an object's domains resolve to and its addresses are resolved
 * from, through the references learnt in the first walk. */
static int graph_values(struct misp_reader *r, const char *uuid, size_t len)
{
	struct misp_graph *g = &r->g;
	uint32_t n, e;
	int rc = CS_OK;

	if (!r->have_graph || !uuid || !cs__map_get(&g->ids, uuid, len, &n))
		return CS_OK;
	for (e = g->nodes[n].out; !rc && e; e = g->edges[e - 1].next_out) {
		const struct misp_node *t = &g->nodes[g->edges[e - 1].dst];

		rc = add_packed(&r->to, t->ips);
		if (!rc)
			rc = add_packed(&r->to, t->domains);
	}
	for (e = g->nodes[n].in; !rc && e; e = g->edges[e - 1].next_in)
		rc = add_packed(&r->from, g->nodes[g->edges[e - 1].src].domains);
	return rc;
}

/* --------------------------------------------------------- attributes */

/* Labels of a (valid) Tag list: [{"name": ...}, ...]. */
static int tag_labels(struct misp_reader *r, struct cs_json_span tags)
{
	struct cs_json_spans el = {NULL, 0, 0};
	size_t i;
	int rc;

	rc = elements(r, tags, &el);
	for (i = 0; !rc && i < el.n; i++) {
		struct cs_json_field f[] = {{"name", {0, 0}}};

		cs__json_fields(r->ctx->data, el.v[i], f, 1);
		rc = text(r, f[0].v, &r->tbuf);
		rc = rc == 1 ? cs__tag_label(&r->labels, r->tbuf.data, r->tbuf.len) : rc;
	}
	cs__json_spans_release(&el);
	return rc;
}

/* Labels of a (valid) Galaxy list: [{"type": ..., "GalaxyCluster":
 * [{"value": ..., "type": ...}, ...]}, ...]. */
static int galaxy_labels(struct misp_reader *r, struct cs_json_span galaxies)
{
	struct cs_json_spans gl = {NULL, 0, 0}, cl = {NULL, 0, 0};
	size_t i, j;
	int rc;

	rc = elements(r, galaxies, &gl);
	for (i = 0; !rc && i < gl.n; i++) {
		struct cs_json_field g[] = {{"type", {0, 0}}, {"GalaxyCluster", {0, 0}}};
		int have_type;

		cs__json_fields(r->ctx->data, gl.v[i], g, 2);
		rc = have_type = text(r, g[0].v, &r->gtype);
		if (rc < 0)
			break;
		rc = elements(r, g[1].v, &cl);
		for (j = 0; !rc && j < cl.n; j++) {
			struct cs_json_field c[] = {{"value", {0, 0}}, {"type", {0, 0}}};
			struct cs_buf *tb = &r->gtype;

			cs__json_fields(r->ctx->data, cl.v[j], c, 2);
			if (!have_type) {
				tb = &r->f[A_REL];
				if ((rc = text(r, c[1].v, tb)) != 1) {
					rc = rc < 0 ? rc : CS_OK;
					continue;
				}
			}
			rc = text(r, c[0].v, &r->tbuf);
			rc = rc == 1 ? cs__galaxy_label(&r->labels, tb->data, tb->len, r->tbuf.data,
			                                r->tbuf.len)
			             : rc;
		}
	}
	cs__json_spans_release(&gl);
	cs__json_spans_release(&cl);
	return rc;
}

/* A first_seen/last_seen value into *out; one that is not a timestamp is
 * ignored with a warning (MISP writes null for none). */
static void read_time(struct misp_reader *r, struct cs_json_span v, const char *key, int64_t *out,
                      uint64_t line, uint64_t col)
{
	int rc = text(r, v, &r->tbuf);

	if (rc == 1 && r->tbuf.len && cs__parse_time(r->tbuf.data, r->tbuf.len, out) != CS_OK) {
		*out = 0;
		cs__diag(r->ctx, CS_SEV_WARN, line, col, "ignoring %s '%.40s': not a timestamp",
		         key, r->tbuf.data);
	} else if (rc == 0 && v.len && cs__json_kind(r->ctx->data, v) != 'n') {
		cs__diag(r->ctx, CS_SEV_WARN, line, col, "ignoring %s: not a string", key);
	}
}

/* Add each value of `vals` to `l` as "<prefix><value>". */
static int prefixed(struct cs_labels *l, const char *prefix, const struct cs_labels *vals)
{
	size_t i;
	int rc;

	for (i = 0; vals && i < vals->n; i++) {
		const char *v = vals->text.data + vals->offs[i];

		rc = cs__labels_add(l, prefix, v, strlen(v));
		if (rc)
			return rc;
	}
	return CS_OK;
}

/* Add one part of an attribute with the labels for its kind. */
static int add_part(struct misp_reader *r, struct cs_ind_add *a, int kind, const char *v,
                    size_t len, size_t nlabels, const char *peer_domain, size_t pdl,
                    const char *peer_ip, size_t pil, const struct misp_obj *obj)
{
	int rc = CS_OK;

	cs__labels_truncate(&r->labels, nlabels);
	if (kind == K_IP)
		kind = ip_kind(v, len);
	if (kind == CS_KIND_DOMAIN) {
		rc = prefixed(&r->labels, "resolves-to:", obj ? obj->to : NULL);
		if (!rc && peer_ip)
			rc = cs__labels_add(&r->labels, "resolves-to:", peer_ip, pil);
	} else if (kind == CS_KIND_IPV4 || kind == CS_KIND_IPV6) {
		rc = prefixed(&r->labels, "resolved-from:", obj ? obj->from : NULL);
		if (!rc && peer_domain)
			rc = cs__labels_add(&r->labels, "resolved-from:", peer_domain, pdl);
	}
	if (rc)
		return rc;
	a->kind = (enum cs_kind)kind;
	a->value = v;
	a->value_len = len;
	a->labels = cs__labels_vec(&r->labels);
	a->nlabels = a->labels ? r->labels.n : 0;
	rc = cs__intel_add(r->ctx, a);
	return rc == CS_ERR_NOMEM ? rc : CS_OK;
}

/* domain|ip: both parts, each naming the other in a label. */
static int add_domain_ip(struct misp_reader *r, struct cs_ind_add *add, const char *value,
                         size_t l1, size_t vl, size_t nlabels, const struct misp_obj *obj)
{
	const char *bar = value + l1, *o;
	struct cs_buf peers;
	size_t ol, dlen;
	int rc;

	/* r->norm is reused by the second call: copy the peers out. */
	cs__buf_init(&peers, 0);
	rc = label_value(r, CS_KIND_DOMAIN, value, l1, &o, &ol);
	if (!rc)
		rc = cs__buf_add(&peers, o, ol);
	dlen = peers.len;
	if (!rc)
		rc = cs__buf_addc(&peers, '\0');
	if (!rc)
		rc = label_value(r, K_IP, bar + 1, vl - l1 - 1, &o, &ol);
	if (!rc)
		rc = cs__buf_add(&peers, o, ol);
	if (!rc)
		rc = add_part(r, add, CS_KIND_DOMAIN, value, l1, nlabels, NULL, 0,
		              peers.data + dlen + 1, peers.len - dlen - 1, obj);
	if (!rc)
		rc = add_part(r, add, K_IP, bar + 1, vl - l1 - 1, nlabels, peers.data, dlen, NULL,
		              0, obj);
	cs__buf_release(&peers);
	return rc;
}

/* Reject an attribute whose type we do not match, or count it when it is
 * a descriptive attribute of an object. */
static void unsupported(struct misp_reader *r, const struct cs_json_field *f,
                        const struct misp_obj *obj, int to_ids, uint64_t line, uint64_t col)
{
	struct cs_reader_ctx *ctx = r->ctx;
	const char *type = r->f[A_TYPE].data;

	if (obj && to_ids != 1) {
		r->props++;
		return;
	}
	if (obj) {
		if (text(r, f[A_REL].v, &r->f[A_REL]) != 1)
			cs__buf_reset(&r->f[A_REL]);
		cs__reject(
		        ctx, "unsupported-type", line, col,
		        "MISP attribute type '%.60s' (object '%.60s', relation '%.60s') is not an "
		        "indicator kind we match",
		        type, obj->name ? obj->name : "?", cs__buf_cstr(&r->f[A_REL]));
	} else {
		cs__reject(ctx, "unsupported-type", line, col,
		           "MISP attribute type '%.60s' is not an indicator kind we match", type);
	}
}

/*
 * One attribute at `sp`, at the top of an event or inside an object
 * (`obj`, whose span was checked already). Unsupported types are rejected
 * ("unsupported-type"), except descriptive attributes of objects (an
 * ELF's "arch", a URL's "port") that are not marked for detection: those
 * are counted as object properties.
 */
static int do_attr(struct misp_reader *r, struct cs_json_span sp, const struct misp_obj *obj)
{
	struct cs_reader_ctx *ctx = r->ctx;
	struct cs_json_field f[A_NFIELDS];
	const struct misp_type *mt;
	struct cs_ind_add add;
	const char *type, *value, *bar = NULL;
	size_t tl, vl, l1, nlabels, i;
	uint64_t line, col;
	int to_ids, rc, rt, rv, yara, valid;

	cs__offset_to_linecol(ctx, sp.off, &line, &col);
	if (obj) {
		valid = attr_fields(r, sp, f);
	} else {
		/* Checked and read in one walk. */
		for (i = 0; i < A_NFIELDS; i++)
			f[i].key = attr_keys[i];
		if (cs__json_check_fields(ctx, sp, "MISP attribute", f, A_NFIELDS))
			return CS_OK;
		valid = cs__json_kind(ctx->data, sp) == '{';
	}
	if (!valid) {
		cs__reject(ctx, "bad-attribute", line, col, "MISP attribute is not an object");
		return CS_OK;
	}
	if (cs__json_span_flag(ctx->data, f[A_DELETED].v) == 1) {
		r->deleted++;
		return CS_OK;
	}
	rt = cs__json_text(ctx->data, f[A_TYPE].v, &r->f[A_TYPE]);
	rv = cs__json_text(ctx->data, f[A_VALUE].v, &r->f[A_VALUE]);
	if (rt < 0 || rv < 0)
		return CS_ERR_NOMEM;
	if (rt != 1 || rv != 1 || memchr(r->f[A_TYPE].data, '\0', r->f[A_TYPE].len)) {
		cs__reject(ctx, "bad-attribute", line, col, "MISP attribute without %s string",
		           rt != 1 ? "a \"type\"" : "a \"value\"");
		return CS_OK;
	}
	type = r->f[A_TYPE].data;
	tl = r->f[A_TYPE].len;
	value = r->f[A_VALUE].data;
	vl = r->f[A_VALUE].len;
	to_ids = cs__json_span_flag(ctx->data, f[A_TOIDS].v);
	if (eqn(type, tl, "link")) {
		r->links++;
		return CS_OK;
	}
	mt = find_type(type, tl);
	if (!mt && tl > 9 && memcmp(type, "filename|", 9) == 0)
		mt = find_type("filename", 8); /* filename|imphash & co: the name only */
	/* A yara attribute holds rule text: read as a rule file of its own. */
	yara = !mt && eqn(type, tl, "yara");
	if (!mt && !yara) {
		unsupported(r, f, obj, to_ids, line, col);
		return CS_OK;
	}
	if (memchr(value, '\0', vl)) {
		cs__reject(ctx, "bad-value", line, col, "MISP %s value holds a NUL byte",
		           yara ? "yara" : mt->name);
		return CS_OK;
	}
	if (memchr(type, '|', tl)) {
		bar = memchr(value, '|', vl);
		if (!bar) {
			cs__reject(ctx, "bad-value", line, col,
			           "MISP '%.60s' value '%.80s' has no '|' between its parts", type,
			           value);
			return CS_OK;
		}
	}

	cs__ind_add_init(&add);
	add.line = line;
	add.column = col;
	add.detect = to_ids;
	rc = cs__buf_add(&r->ref, "", 0);
	cs__buf_reset(&r->ref);
	if (!rc && r->uuid.len)
		rc = cs__buf_add(&r->ref, r->uuid.data, r->uuid.len);
	if (!rc && text(r, f[A_UUID].v, &r->f[A_UUID]) == 1 && r->f[A_UUID].len) {
		if (r->ref.len)
			rc = cs__buf_addc(&r->ref, '/');
		if (!rc)
			rc = cs__buf_add(&r->ref, r->f[A_UUID].data, r->f[A_UUID].len);
	}
	if (rc)
		return rc;
	add.ref = r->ref.len ? r->ref.data : NULL;
	rc = text(r, f[A_COMMENT].v, &r->f[A_COMMENT]);
	if (rc < 0)
		return rc;
	if (rc == 1 && r->f[A_COMMENT].len)
		add.description = r->f[A_COMMENT].data;
	else if (obj && obj->comment && *obj->comment)
		add.description = obj->comment;
	read_time(r, f[A_FIRST].v, "first_seen", &add.valid_from, line, col);
	read_time(r, f[A_LAST].v, "last_seen", &add.valid_until, line, col);
	if (!add.valid_from && obj)
		add.valid_from = obj->first_seen;
	if (!add.valid_until && obj)
		add.valid_until = obj->last_seen;

	cs__labels_truncate(&r->labels, r->nshared);
	rc = CS_OK;
	if (obj && obj->name && *obj->name)
		rc = cs__labels_add(&r->labels, "misp-object:", obj->name, strlen(obj->name));
	if (!rc && mt && mt->label)
		rc = cs__labels_add(&r->labels, "", mt->label, strlen(mt->label));
	if (!rc && f[A_TAG].v.len)
		rc = tag_labels(r, f[A_TAG].v);
	if (!rc && f[A_GALAXY].v.len)
		rc = galaxy_labels(r, f[A_GALAXY].v);
	if (rc)
		return rc;
	nlabels = r->labels.n;

	if (yara) {
		struct cs_buf name;

		cs__buf_init(&name, 0);
		rc = cs__buf_printf(&name, "%s#%s", ctx->path ? ctx->path : "-",
		                    r->ref.len ? r->ref.data : "(no uuid)");
		if (!rc)
			rc = cs__yara_embedded(ctx, name.data, value, vl, cs__labels_vec(&r->labels),
			                       nlabels);
		cs__buf_release(&name);
		return rc == CS_ERR_NOMEM ? rc : CS_OK;
	}
	l1 = bar ? (size_t)(bar - value) : vl;
	if (mt->k2 == K_IP && mt->k1 == CS_KIND_DOMAIN)
		return add_domain_ip(r, &add, value, l1, vl, nlabels, obj);
	rc = add_part(r, &add, mt->k1, value, l1, nlabels, NULL, 0, NULL, 0, obj);
	if (rc || !bar)
		return rc;
	if (mt->k2 && mt->k2 != K_DROP)
		return add_part(r, &add, mt->k2, bar + 1, vl - l1 - 1, nlabels, NULL, 0, NULL, 0,
		                obj);
	if (!mt->k2)
		cs__reject(ctx, "unsupported-type", line, col,
		           "MISP '%.60s': the part after '|' is not an indicator kind we match",
		           type);
	return CS_OK;
}

/* One MISP object: its attributes, with the object's name, comment,
 * validity and resolution labels. */
static int do_object(struct misp_reader *r, struct cs_json_span sp)
{
	struct cs_reader_ctx *ctx = r->ctx;
	struct cs_json_field f[] = {
	        {"name", {0, 0}},       {"uuid", {0, 0}},      {"comment", {0, 0}},
	        {"first_seen", {0, 0}}, {"last_seen", {0, 0}}, {"deleted", {0, 0}},
	        {"Attribute", {0, 0}},
	};
	struct misp_obj obj;
	uint64_t line, col;
	size_t i;
	int rc;

	if (cs__json_check(ctx, sp, "MISP object"))
		return CS_OK;
	cs__offset_to_linecol(ctx, sp.off, &line, &col);
	if (!cs__json_fields(ctx->data, sp, f, CS_ARRAY_SIZE(f)) ||
	    (f[6].v.len && cs__json_kind(ctx->data, f[6].v) != '[')) {
		cs__reject(ctx, "bad-object", line, col, "%s",
		           cs__json_kind(ctx->data, sp) == '{'
		                   ? "MISP object whose \"Attribute\" is not an array"
		                   : "MISP object is not an object");
		return CS_OK;
	}
	rc = elements(r, f[6].v, &r->aspans);
	if (rc)
		return rc;
	if (cs__json_span_flag(ctx->data, f[5].v) == 1) {
		r->deleted += r->aspans.n;
		return CS_OK;
	}
	memset(&obj, 0, sizeof(obj));
	if ((rc = text(r, f[0].v, &r->oname)) < 0)
		return rc;
	obj.name = rc == 1 && r->oname.len ? r->oname.data : NULL;
	if ((rc = text(r, f[2].v, &r->ocomment)) < 0)
		return rc;
	obj.comment = rc == 1 ? r->ocomment.data : NULL;
	read_time(r, f[3].v, "first_seen", &obj.first_seen, line, col);
	read_time(r, f[4].v, "last_seen", &obj.last_seen, line, col);

	cs__labels_reset(&r->to);
	cs__labels_reset(&r->from);
	if (obj.name && strcmp(obj.name, "domain-ip") == 0) {
		/* Inside the object, domains resolve to its addresses (into
		 * r->to) and addresses are resolved from its domains (into
		 * r->from). */
		rc = object_values(r, &r->aspans, &r->from, &r->to);
		if (rc)
			return rc;
	}
	if ((rc = text(r, f[1].v, &r->ouuid)) < 0)
		return rc;
	if (rc == 1 && (rc = graph_values(r, r->ouuid.data, r->ouuid.len)))
		return rc;
	obj.to = r->to.n ? &r->to : NULL;
	obj.from = r->from.n ? &r->from : NULL;
	for (i = 0; i < r->aspans.n; i++) {
		rc = do_attr(r, r->aspans.v[i], &obj);
		if (rc)
			return rc;
	}
	return CS_OK;
}

/* ------------------------------------------------------------- events */

/*
 * The labels every indicator of the event gets, and its uuid. The
 * members were only skipped by the walk: each is checked here, and a
 * malformed one is reported and left out.
 */
static int event_labels(struct misp_reader *r, const struct misp_event *ev)
{
	struct cs_reader_ctx *ctx = r->ctx;
	int rc = CS_OK;

	cs__labels_reset(&r->labels);
	cs__buf_reset(&r->uuid);
	if (ev->uuid.len && !cs__json_check(ctx, ev->uuid, "MISP event uuid") &&
	    (rc = text(r, ev->uuid, &r->uuid)) != 1)
		cs__buf_reset(&r->uuid);
	if (rc >= 0 && ev->info.len && !cs__json_check(ctx, ev->info, "MISP event info") &&
	    (rc = text(r, ev->info, &r->tbuf)) == 1)
		rc = cs__labels_add(&r->labels, "event:", r->tbuf.data, r->tbuf.len);
	if (rc >= 0 && ev->tags.len && !cs__json_check(ctx, ev->tags, "MISP event Tag"))
		rc = tag_labels(r, ev->tags);
	if (rc >= 0 && ev->galaxy.len && !cs__json_check(ctx, ev->galaxy, "MISP event Galaxy"))
		rc = galaxy_labels(r, ev->galaxy);
	r->nshared = r->labels.n;
	return rc < 0 ? rc : CS_OK;
}

/* Whether some object of the event holds a "resolved-to" reference. */
static int has_resolution(const struct misp_reader *r, const struct cs_json_spans *objs)
{
	size_t first, last;

	if (!objs->n)
		return 0;
	first = objs->v[0].off;
	last = objs->v[objs->n - 1].off + objs->v[objs->n - 1].len;
	return memmem(r->ctx->data + first, last - first, "\"resolved-to\"", 13) != NULL;
}

/*
 * Import one walked event: its labels first, then (when references need
 * it) the first walk over its objects, then attributes and objects. Per
 * event counters are reported in one informational line.
 */
static int process_event(struct misp_reader *r, const struct misp_event *ev)
{
	size_t i;
	int rc;

	r->events++;
	r->deleted = r->links = r->props = 0;
	rc = event_labels(r, ev);
	if (!rc && has_resolution(r, &ev->objs)) {
		r->have_graph = 1;
		rc = learn_objects(r, &ev->objs);
	}
	for (i = 0; !rc && i < ev->attrs.n; i++)
		rc = do_attr(r, ev->attrs.v[i], NULL);
	for (i = 0; !rc && i < ev->objs.n; i++)
		rc = do_object(r, ev->objs.v[i]);
	if (r->have_graph) {
		graph_release(&r->g);
		r->have_graph = 0;
	}
	if (!rc && (r->deleted || r->links || r->props))
		cs__diag(r->ctx, CS_SEV_INFO, 0, 0,
		         "event %s: not imported: %llu deleted attributes, %llu links, "
		         "%llu descriptive object attributes",
		         r->uuid.len ? r->uuid.data : "(no uuid)", (unsigned long long)r->deleted,
		         (unsigned long long)r->links, (unsigned long long)r->props);
	cs__labels_reset(&r->labels);
	r->nshared = 0;
	cs__buf_reset(&r->uuid);
	return rc;
}

static int walk_value(struct misp_reader *r, struct cs_json_scan *s, int depth);

/* Warn about a member of the wrong JSON type and skip it. */
static int wrong_type(struct misp_reader *r, struct cs_json_scan *s, const char *what)
{
	uint64_t line, col;

	cs__offset_to_linecol(r->ctx, s->pos, &line, &col);
	cs__reject(r->ctx, "bad-event", line, col, "MISP %s has the wrong JSON type", what);
	return cs__json_skip(s, NULL);
}

/*
 * Walk the object at the scanner's position as whatever it turns out to
 * be: a wrapper ({"Event":...}, {"response":...}), an event, or a lone
 * attribute. What was collected is processed even when the walk stops
 * on a fault, so a truncated event still yields its first attributes.
 */
static int walk_object(struct misp_reader *r, struct cs_json_scan *s, int depth)
{
	struct misp_event ev;
	struct cs_json_level lv;
	struct cs_json_span key, *keep;
	size_t start = s->pos;
	int rc, c, complete;

	memset(&ev, 0, sizeof(ev));
	rc = cs__json_enter(s, &lv);
	while (!rc && (rc = cs__json_next(s, &lv, &key)) == 1) {
		c = cs__json_peek(s);
		keep = NULL;
		if (span_is(r, key, "Event") || span_is(r, key, "response")) {
			if (depth >= MISP_MAX_WRAP)
				rc = cs__json_skip(s, NULL);
			else if (c == '{' || c == '[')
				rc = walk_value(r, s, depth + 1);
			else
				rc = wrong_type(r, s, "\"Event\" or \"response\"");
			ev.nested = 1;
			continue;
		}
		if (span_is(r, key, "Attribute") || span_is(r, key, "Object")) {
			if (c == '[') {
				ev.has_list = 1;
				rc = cs__json_collect(s, span_is(r, key, "Object") ? &ev.objs
				                                                   : &ev.attrs);
			} else {
				rc = wrong_type(r, s, "event \"Attribute\" or \"Object\" list");
			}
			continue;
		}
		if (span_is(r, key, "info"))
			keep = &ev.info;
		else if (span_is(r, key, "uuid"))
			keep = &ev.uuid;
		else if (span_is(r, key, "Tag"))
			keep = &ev.tags;
		else if (span_is(r, key, "Galaxy"))
			keep = &ev.galaxy;
		else if (span_is(r, key, "type"))
			keep = &ev.type;
		else if (span_is(r, key, "value"))
			keep = &ev.value;
		rc = cs__json_skip(s, keep);
	}
	complete = rc == 0;
	if (rc == CS_ERR_NOMEM)
		goto out;
	if (ev.has_list || (!ev.nested && ev.info.len)) {
		int prc = process_event(r, &ev);

		if (prc)
			rc = prc;
	} else if (complete && ev.type.len && ev.value.len) {
		/* An attribute; from a search with context it holds an "Event". */
		struct cs_json_span sp = {start, s->pos - start};
		int prc;

		cs__labels_reset(&r->labels);
		r->nshared = 0;
		prc = do_attr(r, sp, NULL);
		if (prc)
			rc = prc;
	}
out:
	cs__json_spans_release(&ev.attrs);
	cs__json_spans_release(&ev.objs);
	return rc < 0 ? rc : CS_OK;
}

/* An object (walk_object) or an array of them (a response list, a list
 * of events or attributes). */
static int walk_value(struct misp_reader *r, struct cs_json_scan *s, int depth)
{
	struct cs_json_level lv;
	int rc, c = cs__json_peek(s);

	if (c == '{')
		return walk_object(r, s, depth);
	rc = cs__json_enter(s, &lv);
	while (!rc && (rc = cs__json_next(s, &lv, NULL)) == 1) {
		if (cs__json_peek(s) == '{' && depth < MISP_MAX_WRAP)
			rc = walk_object(r, s, depth + 1);
		else
			rc = wrong_type(r, s, "list element");
	}
	return rc < 0 ? rc : CS_OK;
}

/*
 * Read a MISP file of any of the shapes above. Returns CS_OK; CS_ERR_PARSE
 * or CS_ERR_TOOBIG after a structural fault (already reported; what came
 * before it was read); CS_ERR_EMPTY for an empty file; CS_ERR_NOMEM.
 */
static int misp_read(struct cs_reader_ctx *ctx)
{
	struct misp_reader r;
	struct cs_json_scan s;
	uint64_t line, col;
	size_t i;
	int c, rc;

	cs__json_scan_init(&s, ctx->data, ctx->len);
	c = cs__json_peek(&s);
	if (c < 0) {
		cs__diag(ctx, CS_SEV_ERROR, 0, 0, "empty file: no JSON value");
		return CS_ERR_EMPTY;
	}
	if (c != '{' && c != '[') {
		cs__offset_to_linecol(ctx, s.pos, &line, &col);
		cs__diag(ctx, CS_SEV_ERROR, line, col, "not MISP JSON: expected '{' or '['");
		return CS_ERR_PARSE;
	}
	memset(&r, 0, sizeof(r));
	r.ctx = ctx;
	cs__labels_init(&r.labels);
	cs__labels_init(&r.to);
	cs__labels_init(&r.from);
	cs__buf_init(&r.uuid, 4096);
	cs__buf_init(&r.ref, 8192);
	cs__buf_init(&r.norm, CS_INTEL_MAX_VALUE * 2);
	for (i = 0; i < A_NFIELDS_MAX; i++)
		cs__buf_init(&r.f[i], 0);
	cs__buf_init(&r.oname, 0);
	cs__buf_init(&r.ocomment, 0);
	cs__buf_init(&r.ouuid, 0);
	cs__buf_init(&r.gtype, 0);
	cs__buf_init(&r.tbuf, 0);
	graph_init(&r.g);

	rc = walk_value(&r, &s, 0);
	if (rc && rc != CS_ERR_NOMEM && s.err) {
		cs__json_report(ctx, &s, (size_t)ctx->accepted + ctx->rejected, "entries");
	} else if (!rc && cs__json_peek(&s) >= 0) {
		cs__offset_to_linecol(ctx, s.pos, &line, &col);
		cs__diag(ctx, CS_SEV_WARN, line, col, "ignoring data after the JSON value");
	}
	if (!rc && !r.events && !ctx->accepted && !ctx->rejected)
		cs__diag(ctx, CS_SEV_WARN, 0, 0, "no MISP event or attribute found");

	graph_release(&r.g);
	cs__labels_release(&r.labels);
	cs__labels_release(&r.to);
	cs__labels_release(&r.from);
	cs__buf_release(&r.uuid);
	cs__buf_release(&r.ref);
	cs__buf_release(&r.norm);
	for (i = 0; i < A_NFIELDS_MAX; i++)
		cs__buf_release(&r.f[i]);
	cs__buf_release(&r.oname);
	cs__buf_release(&r.ocomment);
	cs__buf_release(&r.ouuid);
	cs__buf_release(&r.gtype);
	cs__buf_release(&r.tbuf);
	cs__json_spans_release(&r.aspans);
	return rc;
}

/* Sure for an "Event" key, fairly sure for attributes with an event's
 * "info" or an API "response", or for attribute search results. */
static int misp_bid(const char *data, size_t len, const char *path)
{
	(void)path;
	if (!cs__json_sniff_start(data, len))
		return 0;
	if (cs__json_sniff_key(data, len, "\"Event\"", NULL))
		return 95;
	if (cs__json_sniff_key(data, len, "\"Attribute\"", NULL) &&
	    (cs__json_sniff_key(data, len, "\"info\"", NULL) ||
	     cs__json_sniff_key(data, len, "\"response\"", NULL)))
		return 90;
	if (cs__json_sniff_key(data, len, "\"to_ids\"", NULL) &&
	    cs__json_sniff_key(data, len, "\"category\"", NULL))
		return 80;
	return 0;
}

const struct cs_reader cs__reader_misp = {
        .name = "misp",
        .bid = misp_bid,
        .read = misp_read,
};

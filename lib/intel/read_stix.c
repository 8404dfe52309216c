/*
 * STIX 2.1 reader: a bundle {"type":"bundle","objects":[...]}, a JSON
 * array of objects, or one bare object.
 *
 * Indicators with a STIX pattern become indicators through the pattern
 * parser (stix_pattern.c). What an indicator points at through
 * relationships becomes labels: "indicates" gives malware:, actor:
 * (intrusion-set and threat-actor), campaign:, attack-pattern: and tool:
 * labels, and "attributed-to" chains from those (campaign -> intrusion-set
 * -> threat-actor) add the actors behind them. Relationships and the
 * objects they name may come anywhere in the bundle, so the objects are
 * walked twice: first the relationships and named objects (indicators are
 * only glanced at for their type), then the indicators. Neither walk
 * builds a tree of the whole bundle.
 *
 * Not imported, counted and reported once per file: cyber observables
 * (SCOs) and observed-data (what was seen, not what to look for),
 * sightings, custom x- objects and types we do not know, revoked
 * indicators. Indicators in other pattern languages (YARA, Sigma, Snort,
 * Suricata, PCRE) are rejected as "unsupported-pattern-type".
 */
#include <stdlib.h>
#include <string.h>

#include "intel/json_stream_int.h"
#include "intel/stix_pattern_int.h"

/* Longest pattern handed to the parser. */
#define STIX_MAX_PATTERN ((size_t)1 << 20)
/* attributed-to hops followed from what an indicator indicates, and
 * labels gathered that way per indicator. */
#define STIX_MAX_HOPS 4
#define STIX_MAX_WALK 256

enum stix_otype {
	OT_BROKEN, /* no readable "type": malformed, or not an object */
	OT_INDICATOR,
	OT_RELATIONSHIP,
	OT_NAMED, /* an SDO whose name becomes a label */
	OT_SDO,   /* another known SDO or meta object */
	OT_SCO,
	OT_OBSERVED,
	OT_SIGHTING,
	OT_CUSTOM,
	OT_UNKNOWN
};

/* SDOs an indicator may indicate, and the label each becomes. */
static const struct {
	const char *type;
	const char *prefix;
} named_types[] = {
        {"malware", "malware:"},
        {"intrusion-set", "actor:"},
        {"threat-actor", "actor:"},
        {"campaign", "campaign:"},
        {"attack-pattern", "attack-pattern:"},
        {"tool", "tool:"},
};

static const char *const sdo_types[] = {
        "identity",
        "report",
        "course-of-action",
        "vulnerability",
        "note",
        "opinion",
        "grouping",
        "infrastructure",
        "location",
        "malware-analysis",
        "incident",
        "marking-definition",
        "language-content",
        "extension-definition",
        "bundle",
};

static const char *const sco_types[] = {
        "artifact",
        "autonomous-system",
        "directory",
        "domain-name",
        "email-addr",
        "email-message",
        "file",
        "ipv4-addr",
        "ipv6-addr",
        "mac-addr",
        "mutex",
        "network-traffic",
        "process",
        "software",
        "url",
        "user-account",
        "windows-registry-key",
        "x509-certificate",
};

struct stix_node {
	const char *label; /* "malware:Poison Ivy", in the graph arena, or NULL */
	uint32_t out;      /* first outgoing edge + 1, 0 = none */
};

enum { EDGE_INDICATES, EDGE_ATTRIBUTED };

struct stix_edge {
	uint32_t dst;
	uint32_t next; /* next edge of the same source + 1 */
	int kind;
};

/* Relationships and named objects of one file, from the first walk. */
struct stix_graph {
	struct cs_map ids; /* STIX id -> node index */
	struct stix_node *nodes;
	size_t nnodes, capnodes;
	struct stix_edge *edges;
	size_t nedges, capedges;
	struct cs_arena text;
};

struct stix_reader {
	struct cs_reader_ctx *ctx;
	struct stix_graph g;
	struct cs_labels labels;
	struct cs_buf desc;
	struct cs_buf id;
	struct cs_buf pattern;
	struct cs_buf t[2]; /* scratch for decoded strings */
	uint64_t skipped[OT_UNKNOWN + 1];
	uint64_t revoked;
	int detect; /* of the current indicator, from misp:to_ids */
	char first_unknown[64];
};

static int eqn(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(s, word, len) == 0;
}

/*
 * The "type" of the object spanning `sp`, read without parsing the object
 * (the type is usually its first member). `name`/`nlen` receive the raw
 * type text for messages.
 */
static enum stix_otype classify_type(const char *data, struct cs_json_span v, const char **name,
                                     size_t *nlen)
{
	const char *t;
	size_t n, i;

	*name = "";
	*nlen = 0;
	if (v.len < 2 || data[v.off] != '"')
		return OT_BROKEN;
	t = data + v.off + 1;
	n = v.len - 2;
	if (memchr(t, '\\', n))
		return OT_UNKNOWN; /* no STIX type needs an escape */
	*name = t;
	*nlen = n;
	if (eqn(t, n, "indicator"))
		return OT_INDICATOR;
	if (eqn(t, n, "relationship"))
		return OT_RELATIONSHIP;
	if (eqn(t, n, "sighting"))
		return OT_SIGHTING;
	if (eqn(t, n, "observed-data"))
		return OT_OBSERVED;
	if (n > 2 && t[0] == 'x' && t[1] == '-')
		return OT_CUSTOM;
	for (i = 0; i < CS_ARRAY_SIZE(named_types); i++) {
		if (eqn(t, n, named_types[i].type))
			return OT_NAMED;
	}
	for (i = 0; i < CS_ARRAY_SIZE(sdo_types); i++) {
		if (eqn(t, n, sdo_types[i]))
			return OT_SDO;
	}
	for (i = 0; i < CS_ARRAY_SIZE(sco_types); i++) {
		if (eqn(t, n, sco_types[i]))
			return OT_SCO;
	}
	return OT_UNKNOWN;
}

static enum stix_otype classify(const char *data, struct cs_json_span sp, const char **name,
                                size_t *nlen)
{
	struct cs_json_span v = {0, 0};

	if (cs__json_member(data, sp, "type", &v) != 1)
		v.len = 0;
	return classify_type(data, v, name, nlen);
}

static void graph_init(struct stix_graph *g)
{
	memset(g, 0, sizeof(*g));
	cs__map_init(&g->ids);
	cs__arena_init(&g->text);
}

static void graph_release(struct stix_graph *g)
{
	cs__map_release(&g->ids);
	cs__arena_release(&g->text);
	free(g->nodes);
	free(g->edges);
}

/* The node of a STIX id, created on first use. Returns CS_OK or an error. */
static int graph_node(struct stix_graph *g, const char *id, size_t len, uint32_t *out)
{
	uint32_t n;

	if (cs__map_get(&g->ids, id, len, &n)) {
		*out = n;
		return CS_OK;
	}
	if (g->nnodes >= UINT32_MAX - 1)
		return CS_ERR_TOOBIG;
	if (cs__grow((void **)&g->nodes, &g->capnodes, g->nnodes + 1, sizeof(*g->nodes)))
		return CS_ERR_NOMEM;
	n = (uint32_t)g->nnodes;
	if (cs__map_put(&g->ids, id, len, n))
		return CS_ERR_NOMEM;
	g->nodes[n].label = NULL;
	g->nodes[n].out = 0;
	g->nnodes++;
	*out = n;
	return CS_OK;
}

/* Add an edge of `kind` from STIX id `src` to `dst`. */
static int graph_edge(struct stix_graph *g, const char *src, size_t slen, const char *dst,
                      size_t dlen, int kind)
{
	uint32_t s, d;
	int rc;

	rc = graph_node(g, src, slen, &s);
	if (!rc)
		rc = graph_node(g, dst, dlen, &d);
	if (rc)
		return rc;
	if (g->nedges >= UINT32_MAX - 1)
		return CS_ERR_TOOBIG;
	if (cs__grow((void **)&g->edges, &g->capedges, g->nedges + 1, sizeof(*g->edges)))
		return CS_ERR_NOMEM;
	g->edges[g->nedges].dst = d;
	g->edges[g->nedges].kind = kind;
	g->edges[g->nedges].next = g->nodes[s].out;
	g->nodes[s].out = (uint32_t)++g->nedges;
	return CS_OK;
}

/* Decode field `f` into buffer `b`; 1 when it is a string without NUL
 * bytes, 0 otherwise, or CS_ERR_NOMEM. */
static int text(struct stix_reader *r, struct cs_json_span v, struct cs_buf *b)
{
	int rc = cs__json_text(r->ctx->data, v, b);

	if (rc == 1 && memchr(b->data, '\0', b->len))
		return 0;
	return rc;
}

/* First walk, one element: remember "indicates" and "attributed-to"
 * relationships and the names of the objects they can point at. */
static int learn(struct stix_reader *r, struct cs_json_span sp, int valid, enum stix_otype t,
                 const char *tname, size_t tlen)
{
	struct stix_graph *g = &r->g;
	struct cs_json_field f[] = {
	        {"relationship_type", {0, 0}},
	        {"source_ref", {0, 0}},
	        {"target_ref", {0, 0}},
	        {"id", {0, 0}},
	        {"name", {0, 0}},
	        {"revoked", {0, 0}},
	};
	const char *d = r->ctx->data;
	size_t i;
	int rc;

	if (valid)
		cs__json_fields(d, sp, f, CS_ARRAY_SIZE(f));
	else if (cs__json_check_fields(r->ctx, sp, "STIX object", f, CS_ARRAY_SIZE(f)))
		return CS_OK; /* reported; the second walk leaves it alone */
	if (cs__json_span_flag(d, f[5].v) == 1)
		return CS_OK;
	if (t == OT_RELATIONSHIP) {
		int kind;

		if (cs__json_str_eq(d, f[0].v, "indicates"))
			kind = EDGE_INDICATES;
		else if (cs__json_str_eq(d, f[0].v, "attributed-to"))
			kind = EDGE_ATTRIBUTED;
		else
			return CS_OK;
		rc = text(r, f[1].v, &r->t[0]);
		if (rc == 1)
			rc = text(r, f[2].v, &r->t[1]);
		if (rc != 1)
			return rc < 0 ? rc : CS_OK;
		rc = graph_edge(g, r->t[0].data, r->t[0].len, r->t[1].data, r->t[1].len, kind);
		return rc == CS_ERR_TOOBIG ? CS_OK : rc;
	}
	rc = text(r, f[3].v, &r->t[0]);
	if (rc == 1)
		rc = text(r, f[4].v, &r->t[1]);
	if (rc != 1 || !r->t[1].len)
		return rc < 0 ? rc : CS_OK;
	for (i = 0; i < CS_ARRAY_SIZE(named_types); i++) {
		const char *p = named_types[i].prefix;
		size_t pl = strlen(p), nl = r->t[1].len;
		uint32_t n;
		char *label;

		if (!eqn(tname, tlen, named_types[i].type))
			continue;
		rc = graph_node(g, r->t[0].data, r->t[0].len, &n);
		if (rc)
			return rc == CS_ERR_TOOBIG ? CS_OK : rc;
		label = cs__arena_alloc(&g->text, pl + nl + 1);
		if (!label)
			return CS_ERR_NOMEM;
		memcpy(label, p, pl);
		memcpy(label + pl, r->t[1].data, nl + 1);
		g->nodes[n].label = label;
		break;
	}
	return CS_OK;
}

/* Labels of the actors behind node `n`, through attributed-to edges. */
static int follow_attribution(struct stix_reader *r, uint32_t n, int hops, int *budget)
{
	struct stix_graph *g = &r->g;
	uint32_t e;
	int rc;

	if (hops >= STIX_MAX_HOPS)
		return CS_OK;
	for (e = g->nodes[n].out; e && *budget > 0; e = g->edges[e - 1].next) {
		const struct stix_edge *ed = &g->edges[e - 1];
		const char *label = g->nodes[ed->dst].label;

		if (ed->kind != EDGE_ATTRIBUTED)
			continue;
		(*budget)--;
		if (label && (rc = cs__labels_add(&r->labels, "", label, strlen(label))))
			return rc;
		rc = follow_attribution(r, ed->dst, hops + 1, budget);
		if (rc)
			return rc;
	}
	return CS_OK;
}

/* Labels from what the indicator `id` indicates. */
static int relationship_labels(struct stix_reader *r, const char *id, size_t len)
{
	struct stix_graph *g = &r->g;
	int budget = STIX_MAX_WALK, rc;
	uint32_t n, e;

	if (!id || !cs__map_get(&g->ids, id, len, &n))
		return CS_OK;
	for (e = g->nodes[n].out; e && budget > 0; e = g->edges[e - 1].next) {
		const struct stix_edge *ed = &g->edges[e - 1];
		const char *label = g->nodes[ed->dst].label;

		if (ed->kind != EDGE_INDICATES)
			continue;
		budget--;
		if (label && (rc = cs__labels_add(&r->labels, "", label, strlen(label))))
			return rc;
		rc = follow_attribution(r, ed->dst, 0, &budget);
		if (rc)
			return rc;
	}
	return CS_OK;
}

/*
 * Call `fn` for each element of the valid array at `arr` (nothing when
 * it is absent or not an array).
 */
static int each_element(struct stix_reader *r, struct cs_json_span arr,
                        int (*fn)(struct stix_reader *r, struct cs_json_span el))
{
	struct cs_json_scan s;
	struct cs_json_level lv;
	struct cs_json_span el;
	int rc;

	if (cs__json_kind(r->ctx->data, arr) != '[')
		return CS_OK;
	memset(&s, 0, sizeof(s));
	s.data = r->ctx->data;
	s.len = arr.off + arr.len;
	s.pos = arr.off;
	rc = cs__json_enter(&s, &lv);
	while (!rc && (rc = cs__json_next(&s, &lv, NULL)) == 1) {
		rc = cs__json_skip(&s, &el);
		if (!rc)
			rc = fn(r, el);
	}
	return rc == CS_ERR_NOMEM ? rc : CS_OK;
}

/*
 * One of the indicator's "labels". MISP's STIX export writes an
 * attribute's metadata there: misp:to_ids="True" says whether the value
 * is meant for detection, misp:type and misp:category repeat what the
 * pattern says; those are read, not kept as labels.
 */
static int add_label(struct stix_reader *r, struct cs_json_span el)
{
	const char *t;
	size_t n;
	int rc = text(r, el, &r->t[0]);

	if (rc != 1)
		return rc;
	t = r->t[0].data;
	n = r->t[0].len;
	if (n >= 12 && memcmp(t, "misp:to_ids=", 12) == 0) {
		if (cs__eqi(t + 12, n - 12, "\"true\"") || cs__eqi(t + 12, n - 12, "true"))
			r->detect = 1;
		else if (cs__eqi(t + 12, n - 12, "\"false\"") || cs__eqi(t + 12, n - 12, "false"))
			r->detect = 0;
		return CS_OK;
	}
	if ((n >= 10 && memcmp(t, "misp:type=", 10) == 0) ||
	    (n >= 14 && memcmp(t, "misp:category=", 14) == 0))
		return CS_OK;
	return cs__tag_label(&r->labels, t, n);
}

static int add_indicator_type(struct stix_reader *r, struct cs_json_span el)
{
	int rc = text(r, el, &r->t[0]);

	if (rc != 1)
		return rc;
	return cs__labels_add(&r->labels, "indicator-type:", r->t[0].data, r->t[0].len);
}

/* "kill-chain:<kill_chain_name>:<phase_name>" of one phase. */
static int add_kill_chain(struct stix_reader *r, struct cs_json_span el)
{
	struct cs_json_field f[] = {{"kill_chain_name", {0, 0}}, {"phase_name", {0, 0}}};
	char prefix[256];
	int rc;

	cs__json_fields(r->ctx->data, el, f, 2);
	rc = text(r, f[0].v, &r->t[0]);
	if (rc == 1)
		rc = text(r, f[1].v, &r->t[1]);
	if (rc != 1 || r->t[0].len > 200)
		return rc < 0 ? rc : CS_OK;
	snprintf(prefix, sizeof(prefix), "kill-chain:%s:", r->t[0].data);
	return cs__labels_add(&r->labels, prefix, r->t[1].data, r->t[1].len);
}

/* valid_from/valid_until into *out; one that is not a timestamp is
 * ignored with a warning. */
static void read_time(struct stix_reader *r, struct cs_json_span v, const char *key, int64_t *out,
                      uint64_t line, uint64_t col)
{
	int rc = text(r, v, &r->t[0]);

	if (rc == 1 && cs__parse_time(r->t[0].data, r->t[0].len, out) != CS_OK) {
		*out = 0;
		cs__diag(r->ctx, CS_SEV_WARN, line, col, "ignoring %s '%.40s': not a timestamp",
		         key, r->t[0].data);
	} else if (rc != 1 && v.len) {
		cs__diag(r->ctx, CS_SEV_WARN, line, col, "ignoring %s: not a string", key);
	}
}

/*
 * Where in the file the pattern's error is: the pattern string's value
 * span plus the parser's offset, exact when the JSON string holds no
 * escapes; the start of the string otherwise.
 */
static size_t pattern_error_offset(struct stix_reader *r, struct cs_json_span v, size_t errpos)
{
	const char *d = r->ctx->data;

	if (memchr(d + v.off + 1, '\\', v.len - 2) || errpos > v.len - 2)
		return v.off;
	return v.off + 1 + errpos;
}

enum {
	F_ID,
	F_PTYPE,
	F_PATTERN,
	F_FROM,
	F_UNTIL,
	F_CONF,
	F_NAME,
	F_DESCR,
	F_LABELS,
	F_ITYPES,
	F_KILL,
	F_REVOKED,
	F_NFIELDS
};

/* Second walk, one indicator object (already checked). */
static int do_indicator(struct stix_reader *r, struct cs_json_span sp)
{
	struct cs_json_field f[F_NFIELDS] = {
	        [F_ID] = {"id", {0, 0}},
	        [F_PTYPE] = {"pattern_type", {0, 0}},
	        [F_PATTERN] = {"pattern", {0, 0}},
	        [F_FROM] = {"valid_from", {0, 0}},
	        [F_UNTIL] = {"valid_until", {0, 0}},
	        [F_CONF] = {"confidence", {0, 0}},
	        [F_NAME] = {"name", {0, 0}},
	        [F_DESCR] = {"description", {0, 0}},
	        [F_LABELS] = {"labels", {0, 0}},
	        [F_ITYPES] = {"indicator_types", {0, 0}},
	        [F_KILL] = {"kill_chain_phases", {0, 0}},
	        [F_REVOKED] = {"revoked", {0, 0}},
	};
	struct cs_reader_ctx *ctx = r->ctx;
	const char *d = ctx->data;
	struct cs_stix_pattern *pat = NULL;
	struct cs_stix_fast fast;
	struct cs_ind_add base;
	const char *id;
	size_t errpos = 0, pl;
	uint64_t line, col;
	long long conf;
	char errbuf[256];
	int rc, is_yara;

	cs__offset_to_linecol(ctx, sp.off, &line, &col);
	cs__json_fields(d, sp, f, F_NFIELDS);
	if (cs__json_span_flag(d, f[F_REVOKED].v) == 1) {
		r->revoked++;
		return CS_OK;
	}
	rc = text(r, f[F_ID].v, &r->id);
	if (rc < 0)
		return rc;
	id = rc == 1 ? r->id.data : NULL;
	is_yara = 0;
	if (f[F_PTYPE].v.len) {
		rc = text(r, f[F_PTYPE].v, &r->t[0]);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			cs__reject(ctx, "bad-indicator", line, col,
			           "indicator %s: pattern_type is not a string",
			           id ? id : "(no id)");
			return CS_OK;
		}
		is_yara = eqn(r->t[0].data, r->t[0].len, "yara");
		if (!is_yara && !eqn(r->t[0].data, r->t[0].len, "stix")) {
			cs__reject(ctx, "unsupported-pattern-type", line, col,
			           "indicator %s: pattern_type '%.40s' is not supported yet",
			           id ? id : "(no id)", r->t[0].data);
			return CS_OK;
		}
	}
	rc = cs__json_text(d, f[F_PATTERN].v, &r->pattern);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		cs__reject(ctx, "bad-indicator", line, col, "indicator %s: %s", id ? id : "(no id)",
		           f[F_PATTERN].v.len ? "pattern is not a string" : "no pattern");
		return CS_OK;
	}
	pl = r->pattern.len;
	if (memchr(r->pattern.data, '\0', pl)) {
		cs__reject(ctx, "bad-pattern", line, col, "indicator %s: pattern holds a NUL byte",
		           id ? id : "(no id)");
		return CS_OK;
	}
	if (pl > STIX_MAX_PATTERN) {
		cs__reject(ctx, "too-long", line, col,
		           "indicator %s: pattern of %zu bytes exceeds %zu", id ? id : "(no id)",
		           pl, (size_t)STIX_MAX_PATTERN);
		return CS_OK;
	}

	cs__ind_add_init(&base);
	base.ref = id;
	base.line = line;
	base.column = col;
	read_time(r, f[F_FROM].v, "valid_from", &base.valid_from, line, col);
	read_time(r, f[F_UNTIL].v, "valid_until", &base.valid_until, line, col);
	if (cs__json_span_int(d, f[F_CONF].v, &conf) && conf >= 0 && conf <= 100)
		base.confidence = (int)conf;

	rc = text(r, f[F_NAME].v, &r->desc);
	if (rc < 0)
		return rc;
	if (rc == 0)
		cs__buf_reset(&r->desc);
	rc = text(r, f[F_DESCR].v, &r->t[0]);
	if (rc < 0)
		return rc;
	if (rc == 1 && r->t[0].len) {
		if (r->desc.len)
			rc = cs__buf_adds(&r->desc, ": ");
		if (rc >= 0)
			rc = cs__buf_add(&r->desc, r->t[0].data, r->t[0].len);
		if (rc < 0)
			return rc;
	}
	base.description = r->desc.len ? r->desc.data : NULL;

	cs__labels_reset(&r->labels);
	r->detect = -1;
	rc = relationship_labels(r, id, id ? r->id.len : 0);
	if (!rc)
		rc = each_element(r, f[F_LABELS].v, add_label);
	if (!rc)
		rc = each_element(r, f[F_ITYPES].v, add_indicator_type);
	if (!rc)
		rc = each_element(r, f[F_KILL].v, add_kill_chain);
	if (rc)
		return rc;
	base.labels = cs__labels_vec(&r->labels);
	base.nlabels = base.labels ? r->labels.n : 0;
	base.detect = r->detect;

	if (is_yara) {
		/* The pattern is YARA rule text: compile it as a rule file of
		 * its own, named after the bundle and the indicator. */
		struct cs_buf name;

		cs__buf_init(&name, 0);
		rc = cs__buf_printf(&name, "%s#%s", ctx->path ? ctx->path : "-",
		                    id ? id : "(no id)");
		if (!rc)
			rc = cs__yara_embedded(ctx, name.data, r->pattern.data, pl, base.labels,
			                       base.nlabels);
		cs__buf_release(&name);
		return rc == CS_ERR_NOMEM ? rc : CS_OK;
	}
	if (cs__stix_pattern_fast(r->pattern.data, pl, &fast)) {
		rc = cs__stix_pattern_emit_fast(ctx, &fast, &base, &r->t[1]);
		return rc == CS_ERR_NOMEM ? rc : CS_OK;
	}
	rc = cs__stix_pattern_parse(r->pattern.data, pl, &pat, errbuf, sizeof(errbuf), &errpos);
	if (rc == CS_ERR_NOMEM)
		return rc;
	if (rc) {
		cs__offset_to_linecol(ctx, pattern_error_offset(r, f[F_PATTERN].v, errpos), &line,
		                      &col);
		cs__reject(ctx, rc == CS_ERR_TOOBIG ? "pattern-too-complex" : "bad-pattern", line,
		           col, "indicator %s: pattern error at offset %zu: %s",
		           id ? id : "(no id)", errpos, errbuf);
		return CS_OK;
	}
	rc = cs__stix_pattern_emit(ctx, pat, &base);
	cs__stix_pattern_free(pat);
	return rc == CS_ERR_NOMEM ? rc : CS_OK;
}

/* Second walk, one element of type `t` (from the first walk). */
static int visit(struct stix_reader *r, struct cs_json_span sp, int valid, enum stix_otype t)
{
	struct cs_reader_ctx *ctx = r->ctx;
	uint64_t line, col;

	if (t != OT_INDICATOR && t != OT_BROKEN) {
		r->skipped[t]++;
		return CS_OK;
	}
	if (!valid && cs__json_check(ctx, sp, "STIX object"))
		return CS_OK;
	if (t == OT_INDICATOR)
		return do_indicator(r, sp);
	/* Valid JSON, but not an object with a readable type. */
	cs__offset_to_linecol(ctx, sp.off, &line, &col);
	cs__reject(ctx, "bad-object", line, col, "%s",
	           cs__json_kind(ctx->data, sp) == '{' ? "STIX object without a \"type\" string"
	                                               : "element of \"objects\" is not an object");
	return CS_OK;
}

/* One informational line on what was read but not imported. */
static void report_skipped(struct stix_reader *r)
{
	static const struct {
		enum stix_otype t;
		const char *what;
	} kinds[] = {
	        {OT_SCO, "cyber observables"},
	        {OT_OBSERVED, "observed-data"},
	        {OT_SIGHTING, "sightings"},
	        {OT_CUSTOM, "custom x- objects"},
	        {OT_UNKNOWN, "objects of unknown type"},
	};
	struct cs_buf b;
	size_t i;

	cs__buf_init(&b, 4096);
	for (i = 0; i < CS_ARRAY_SIZE(kinds); i++) {
		if (!r->skipped[kinds[i].t])
			continue;
		cs__buf_printf(&b, "%s%llu %s", b.len ? ", " : "",
		               (unsigned long long)r->skipped[kinds[i].t], kinds[i].what);
		if (kinds[i].t == OT_UNKNOWN && r->first_unknown[0])
			cs__buf_printf(&b, " (e.g. '%s')", r->first_unknown);
	}
	if (r->revoked)
		cs__buf_printf(&b, "%s%llu revoked indicators", b.len ? ", " : "",
		               (unsigned long long)r->revoked);
	if (b.len)
		cs__diag(r->ctx, CS_SEV_INFO, 0, 0, "not imported: %s", cs__buf_cstr(&b));
	cs__buf_release(&b);
}

/* The elements being collected: the type of each (enum stix_otype),
 * with ELEMENT_CHECKED set when it was checked on the way. */
#define ELEMENT_CHECKED 0x80

struct elements {
	struct cs_json_spans spans;
	unsigned char *types;
	size_t cap;
	const char *data;
};

static int on_element(void *ud, size_t i, int valid, const struct cs_json_field *f)
{
	struct elements *el = ud;
	const char *tname;
	size_t tlen;
	enum stix_otype t;

	if (cs__grow((void **)&el->types, &el->cap, i + 1, 1))
		return CS_ERR_NOMEM;
	if (valid)
		t = classify_type(el->data, f[0].v, &tname, &tlen);
	else
		t = classify(el->data, el->spans.v[i], &tname, &tlen);
	el->types[i] = (unsigned char)(t | (valid ? ELEMENT_CHECKED : 0));
	return CS_OK;
}

/* Collect the elements of the array at the position, each checked and
 * classified on the way: one walk over each element's text. */
static int collect(struct cs_json_scan *s, struct elements *el)
{
	struct cs_json_field f[] = {{"type", {0, 0}}};

	return cs__json_collect_checked(s, &el->spans, f, 1, on_element, el);
}

/*
 * A top-level object: a bundle (its "objects" are collected) or one bare
 * STIX object (its own span is the only element). Returns the scanner's
 * error, or CS_ERR_PARSE after reporting an "objects" that is not an
 * array (then *reported is set).
 */
static int top_object(struct cs_reader_ctx *ctx, struct cs_json_scan *s, struct elements *el,
                      int *reported)
{
	struct cs_json_spans *out = &el->spans;
	struct cs_json_level lv;
	struct cs_json_span key, tsp = {0, 0};
	size_t start = s->pos, bad_off = 0;
	int rc, have = 0, bad = 0;

	rc = cs__json_enter(s, &lv);
	while (!rc && (rc = cs__json_next(s, &lv, &key)) == 1) {
		if (cs__json_str_eq(ctx->data, key, "objects") && cs__json_peek(s) == '[') {
			have = 1;
			out->n = 0; /* of duplicate members, the last wins */
			rc = collect(s, el);
		} else if (cs__json_str_eq(ctx->data, key, "objects")) {
			bad = 1;
			bad_off = s->pos;
			rc = cs__json_skip(s, NULL);
		} else if (cs__json_str_eq(ctx->data, key, "type")) {
			rc = cs__json_skip(s, &tsp);
		} else {
			rc = cs__json_skip(s, NULL);
		}
	}
	if (rc < 0)
		return rc;
	if (!have && bad) {
		uint64_t line, col;

		cs__offset_to_linecol(ctx, bad_off, &line, &col);
		cs__diag(ctx, CS_SEV_ERROR, line, col, "\"objects\" of the bundle is not an array");
		*reported = 1;
		return CS_ERR_PARSE;
	}
	if (!have && !(tsp.len && cs__json_str_eq(ctx->data, tsp, "bundle"))) {
		if (cs__grow((void **)&out->v, &out->cap, 1, sizeof(*out->v)))
			return CS_ERR_NOMEM;
		out->v[0].off = start;
		out->v[0].len = s->pos - start;
		out->n = 1;
		return on_element(el, 0, 0, NULL);
	}
	return CS_OK;
}

/*
 * Read a STIX file: collect the elements, learn relationships and names,
 * then import the indicators. Returns CS_OK; CS_ERR_PARSE or
 * CS_ERR_TOOBIG after a structural fault (already reported; the complete
 * elements before it were read); CS_ERR_EMPTY for an empty file;
 * CS_ERR_NOMEM.
 */
static int stix_read(struct cs_reader_ctx *ctx)
{
	struct stix_reader r;
	struct cs_json_scan s;
	struct elements el;
	int c, serr = CS_OK, rc = CS_OK, reported = 0, ordered;
	size_t i;

	cs__json_scan_init(&s, ctx->data, ctx->len);
	c = cs__json_peek(&s);
	if (c < 0) {
		cs__diag(ctx, CS_SEV_ERROR, 0, 0, "empty file: no JSON value");
		return CS_ERR_EMPTY;
	}
	memset(&el, 0, sizeof(el));
	el.data = ctx->data;
	if (c == '[') {
		serr = collect(&s, &el);
	} else if (c == '{') {
		serr = top_object(ctx, &s, &el, &reported);
	} else {
		uint64_t line, col;

		cs__offset_to_linecol(ctx, s.pos, &line, &col);
		cs__diag(ctx, CS_SEV_ERROR, line, col, "not STIX JSON: expected '{' or '['");
		return CS_ERR_PARSE;
	}
	if (serr == CS_ERR_NOMEM) {
		cs__json_spans_release(&el.spans);
		free(el.types);
		return serr;
	}

	memset(&r, 0, sizeof(r));
	r.ctx = ctx;
	graph_init(&r.g);
	cs__labels_init(&r.labels);
	cs__buf_init(&r.desc, 0);
	cs__buf_init(&r.id, 0);
	cs__buf_init(&r.pattern, 0);
	cs__buf_init(&r.t[0], 0);
	cs__buf_init(&r.t[1], 0);
	for (i = 0; !rc && i < el.spans.n; i++) {
		enum stix_otype t = (enum stix_otype)(el.types[i] & ~ELEMENT_CHECKED);
		const char *tname;
		size_t tlen;

		if (t != OT_RELATIONSHIP && t != OT_NAMED &&
		    (t != OT_UNKNOWN || r.first_unknown[0]))
			continue;
		/* Rare kinds: their type name is looked up again. */
		classify(ctx->data, el.spans.v[i], &tname, &tlen);
		if (t == OT_UNKNOWN && tlen)
			snprintf(r.first_unknown, sizeof(r.first_unknown), "%.*s",
			         (int)(tlen > 40 ? 40 : tlen), tname);
		if (t == OT_RELATIONSHIP || t == OT_NAMED)
			rc = learn(&r, el.spans.v[i], el.types[i] & ELEMENT_CHECKED, t, tname,
			           tlen);
	}
	/* Objects are visited in file order and each reads only its own
	 * span (the graph holds copies): what lies before the current one is
	 * done with, and a big bundle need not stay whole beside the
	 * indicators read from it. */
	for (i = 1; i < el.spans.n && el.spans.v[i].off >= el.spans.v[i - 1].off; i++)
		;
	ordered = i >= el.spans.n;
	for (i = 0; !rc && i < el.spans.n; i++) {
		if (ordered)
			cs__release_before(ctx, el.spans.v[i].off);
		rc = visit(&r, el.spans.v[i], el.types[i] & ELEMENT_CHECKED,
		           (enum stix_otype)(el.types[i] & ~ELEMENT_CHECKED));
	}
	free(el.types);
	if (!rc)
		report_skipped(&r);
	if (!rc && serr && !reported)
		cs__json_report(ctx, &s, el.spans.n, "STIX objects");
	if (!rc && !serr && cs__json_peek(&s) >= 0) {
		uint64_t line, col;

		cs__offset_to_linecol(ctx, s.pos, &line, &col);
		cs__diag(ctx, CS_SEV_WARN, line, col, "ignoring data after the JSON value");
	}
	graph_release(&r.g);
	cs__labels_release(&r.labels);
	cs__buf_release(&r.desc);
	cs__buf_release(&r.id);
	cs__buf_release(&r.pattern);
	cs__buf_release(&r.t[0]);
	cs__buf_release(&r.t[1]);
	cs__json_spans_release(&el.spans);
	return rc ? rc : serr;
}

/* Sure for a bundle, fairly sure for a lone indicator or any object
 * with a spec_version and a STIX id; not ours otherwise. */
static int stix_bid(const char *data, size_t len, const char *path)
{
	(void)path;
	if (!cs__json_sniff_start(data, len))
		return 0;
	if (cs__json_sniff_key(data, len, "\"type\"", "\"bundle\""))
		return 95;
	if (cs__json_sniff_key(data, len, "\"type\"", "\"indicator\"") &&
	    memmem(data, len, "\"pattern\"", 9))
		return 85;
	if (memmem(data, len, "\"spec_version\"", 14) && memmem(data, len, "--", 2))
		return 60;
	return 0;
}

const struct cs_reader cs__reader_stix = {
        .name = "stix",
        .bid = stix_bid,
        .read = stix_read,
};

/*
 * A small directed graph with two writers: Graphviz DOT text, and an SVG
 * picture laid out here (docs/analysis.md), so that nothing needs
 * Graphviz at run time.
 *
 * The SVG layout is the classic layered one (Sugiyama, Tagawa and Toda),
 * drawn left to right:
 *   1. cycles are broken by reversing the back edges of a depth-first
 *      search (in node order, so the result is deterministic); the edges
 *      are drawn with their real direction afterwards;
 *   2. longest-path layering: a node's column is one more than the
 *      furthest column of its predecessors; then each source moves right
 *      to just before its nearest successor;
 *   3. an edge spanning several columns gets one dummy node per column
 *      crossed, so it is ordered and routed like the others;
 *   4. the order inside each column comes from barycentre sweeps (down
 *      then up, a fixed number of rounds), keeping the order with the
 *      fewest crossings (counted with a Fenwick tree per column pair);
 *   5. vertical positions are pulled towards the mean of each node's
 *      neighbours while keeping order and spacing.
 * Everything is integer arithmetic, so the picture is the same with every
 * compiler and build. Strings are escaped by one function per format;
 * very long text is cut with an ellipsis and shown whole (up to a cap) in
 * the element's <title>.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chainsweep/graph.h"
#include "core/core_int.h"

/* Caps on what a graph holds, and on what the SVG layout accepts. */
#define GRAPH_MAX_NODES 1000000u
#define GRAPH_MAX_EDGES 4000000u
#define SVG_MAX_NODES   20000u
#define SVG_MAX_LINKS   100000u
#define SVG_MAX_VNODES  400000u

/* Code points shown: in a box, on an edge, in a title, in DOT. */
#define BOX_CHARS   40
#define EDGE_CHARS  24
#define TITLE_CHARS 1000
#define DOT_CHARS   1000

/* Geometry (pixels). */
#define CHAR_W       7
#define EDGE_CHAR_W  6
#define BOX_PAD      10
#define BOX_H        26
#define NODE_SEP     14 /* between two boxes of a column */
#define DUMMY_SEP    10 /* around an edge passing through a column */
#define COL_GAP      70 /* minimum between columns */
#define MARGIN       20
#define ORDER_ROUNDS 12
#define PLACE_ROUNDS 8

struct gnode {
	const char *key;
	const char *label;
	const char *kind;
};

struct gedge {
	uint32_t from, to;
	const char *label;
};

struct cs_graph {
	struct gnode *nodes;
	size_t n, cap;
	struct gedge *edges;
	size_t ne, ecap;
	struct cs_map keys;  /* key -> node index */
	struct cs_map ekeys; /* from, to, label -> edge index */
	struct cs_arena strs;
};

struct cs_graph *cs_graph_new(void)
{
	struct cs_graph *g = cs__calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	cs__map_init(&g->keys);
	cs__map_init(&g->ekeys);
	cs__arena_init(&g->strs);
	return g;
}

void cs_graph_free(struct cs_graph *g)
{
	if (!g)
		return;
	free(g->nodes);
	free(g->edges);
	cs__map_release(&g->keys);
	cs__map_release(&g->ekeys);
	cs__arena_release(&g->strs);
	free(g);
}

long cs_graph_node(struct cs_graph *g, const char *key, const char *label, const char *kind)
{
	uint32_t idx;
	size_t klen;
	struct gnode *nd;
	int rc;

	if (!g || !key)
		return CS_ERR_INVALID;
	klen = strlen(key);
	if (cs__map_get(&g->keys, key, klen, &idx))
		return (long)idx;
	if (g->n >= GRAPH_MAX_NODES)
		return CS_ERR_TOOBIG;
	rc = cs__grow((void **)&g->nodes, &g->cap, g->n + 1, sizeof(*g->nodes));
	if (rc)
		return rc;
	nd = &g->nodes[g->n];
	nd->key = cs__arena_strndup(&g->strs, key, klen);
	nd->label = label ? cs__arena_strndup(&g->strs, label, strlen(label)) : nd->key;
	nd->kind = cs__arena_strndup(&g->strs, kind ? kind : "", kind ? strlen(kind) : 0);
	if (!nd->key || !nd->label || !nd->kind)
		return CS_ERR_NOMEM;
	rc = cs__map_put(&g->keys, key, klen, (uint32_t)g->n);
	if (rc)
		return rc;
	return (long)g->n++;
}

int cs_graph_edge(struct cs_graph *g, size_t from, size_t to, const char *label)
{
	struct cs_buf k;
	uint32_t f32, t32, idx;
	struct gedge *e;
	int rc;

	if (!g || from >= g->n || to >= g->n)
		return CS_ERR_INVALID;
	if (!label)
		label = "";
	f32 = (uint32_t)from;
	t32 = (uint32_t)to;
	cs__buf_init(&k, 0);
	rc = cs__buf_add(&k, &f32, sizeof(f32));
	if (!rc)
		rc = cs__buf_add(&k, &t32, sizeof(t32));
	if (!rc)
		rc = cs__buf_adds(&k, label);
	if (rc)
		goto out;
	if (cs__map_get(&g->ekeys, k.data, k.len, &idx))
		goto out;
	if (g->ne >= GRAPH_MAX_EDGES) {
		rc = CS_ERR_TOOBIG;
		goto out;
	}
	rc = cs__grow((void **)&g->edges, &g->ecap, g->ne + 1, sizeof(*g->edges));
	if (rc)
		goto out;
	e = &g->edges[g->ne];
	e->from = f32;
	e->to = t32;
	e->label = cs__arena_strndup(&g->strs, label, strlen(label));
	if (!e->label) {
		rc = CS_ERR_NOMEM;
		goto out;
	}
	rc = cs__map_put(&g->ekeys, k.data, k.len, (uint32_t)g->ne);
	if (!rc)
		g->ne++;
out:
	cs__buf_release(&k);
	return rc;
}

size_t cs_graph_node_count(const struct cs_graph *g)
{
	return g ? g->n : 0;
}

size_t cs_graph_edge_count(const struct cs_graph *g)
{
	return g ? g->ne : 0;
}

/* ---- text ---- */

/*
 * Length of the valid UTF-8 sequence at p (1 to 4), or 0 when the bytes
 * there are not UTF-8 (overlong forms, surrogates, past U+10FFFF and
 * truncated sequences are refused). Writes the code point.
 */
static size_t utf8_seq(const unsigned char *p, uint32_t *cp)
{
	unsigned char c = p[0];
	size_t n, i;
	uint32_t v;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		v = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;
		if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;
		if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		unsigned char d = p[i];

		if (d < (i == 1 ? lo : 0x80) || d > (i == 1 ? hi : 0xbf))
			return 0;
		v = (v << 6) | (d & 0x3f);
	}
	*cp = v;
	return n;
}

enum esc_mode { ESC_DOT, ESC_XML };

/*
 * Append `s` to `b` escaped for `mode`, showing at most `max` code points
 * (0: all); a cut is marked with "…". Control characters, bytes that are
 * not UTF-8 and (for XML) code points XML 1.0 forbids are shown as the
 * text \xNN, one per byte. Returns the number of characters shown (an
 * escape counts its visible width), or (size_t)-1 when out of memory.
 */
static size_t esc_text(struct cs_buf *b, const char *s, enum esc_mode mode, size_t max)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t shown = 0;
	int rc = 0;

	while (*p && !rc) {
		uint32_t cp = 0;
		size_t n = utf8_seq(p, &cp), i;
		int bad = n == 0 || cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0xfffe ||
		          cp == 0xffff;

		if (max && shown >= max) {
			rc = cs__buf_adds(b, "\xe2\x80\xa6");
			shown++;
			break;
		}
		if (bad) {
			if (!n)
				n = 1;
			for (i = 0; i < n && !rc; i++)
				rc = mode == ESC_DOT ? cs__buf_printf(b, "\\\\x%02x", p[i])
				                     : cs__buf_printf(b, "\\x%02x", p[i]);
			p += n;
			shown += 4 * n;
			continue;
		}
		shown++;
		if (mode == ESC_DOT) {
			if (*p == '"')
				rc = cs__buf_adds(b, "\\\"");
			else if (*p == '\\')
				rc = cs__buf_adds(b, "\\\\");
			else
				rc = cs__buf_add(b, p, n);
		} else {
			switch (*p) {
			case '&':
				rc = cs__buf_adds(b, "&amp;");
				break;
			case '<':
				rc = cs__buf_adds(b, "&lt;");
				break;
			case '>':
				rc = cs__buf_adds(b, "&gt;");
				break;
			case '"':
				rc = cs__buf_adds(b, "&quot;");
				break;
			case '\'':
				rc = cs__buf_adds(b, "&#39;");
				break;
			default:
				rc = cs__buf_add(b, p, n);
			}
		}
		p += n;
	}
	return rc ? (size_t)-1 : shown;
}

/* The style of a node kind: DOT shape and SVG corner radius, colours. */
struct kstyle {
	const char *kind;
	const char *fill;
	const char *stroke;
	const char *dot_shape;
	const char *dot_style;
	int rx;
};

static const struct kstyle kstyles[] = {
        {"compromised", "#f9d3cf", "#b42318", "box", "rounded,filled,bold", 10},
        {"vendor", "#fde2c8", "#c56a1b", "box", "rounded,filled", 10},
        {"environment", "#fdf1c7", "#a07810", "box", "rounded,filled", 10},
        {"product", "#d6e6fb", "#2e6bb8", "box", "filled", 3},
        {"component", "#efe6f7", "#7d4fa6", "box", "filled", 3},
        {"version", "#eef3fa", "#5a7fae", "box", "filled", 3},
        {"host", "#dff3e4", "#27864a", "box", "rounded,filled", 13},
        {"indicator", "#f3f4f6", "#555f69", "note", "filled", 0},
        {"cluster", "#fbe3e1", "#b03a2e", "ellipse", "filled", 13},
};
static const struct kstyle kstyle_other = {"", "#f1f3f5", "#6b7580", "box", "filled", 3};

static const struct kstyle *style_of(const char *kind)
{
	size_t i;

	for (i = 0; i < CS_ARRAY_SIZE(kstyles); i++) {
		if (strcmp(kstyles[i].kind, kind) == 0)
			return &kstyles[i];
	}
	return &kstyle_other;
}

/* Write the buffer out and empty it; CS_ERR_IO when that fails. */
static int flush(struct cs_buf *b, FILE *out)
{
	int rc = CS_OK;

	if (b->len && fwrite(b->data, 1, b->len, out) != b->len)
		rc = CS_ERR_IO;
	cs__buf_reset(b);
	return rc;
}

/* ---- DOT ---- */

int cs_graph_write_dot(const struct cs_graph *g, FILE *out)
{
	struct cs_buf b;
	size_t i;
	int rc = CS_OK;

	if (!g || !out)
		return CS_ERR_INVALID;
	cs__buf_init(&b, 0);
	rc = cs__buf_adds(&b, "digraph chainsweep {\n"
	                      "\tgraph [rankdir=LR, fontname=\"Helvetica\"];\n"
	                      "\tnode [fontname=\"Helvetica\", fontsize=11];\n"
	                      "\tedge [fontname=\"Helvetica\", fontsize=9];\n");
	for (i = 0; i < g->n && !rc; i++) {
		const struct gnode *nd = &g->nodes[i];
		const struct kstyle *k = style_of(nd->kind);

		rc = cs__buf_printf(&b, "\tn%zu [label=\"", i);
		if (!rc && esc_text(&b, nd->label, ESC_DOT, DOT_CHARS) == (size_t)-1)
			rc = CS_ERR_NOMEM;
		if (!rc)
			rc = cs__buf_adds(&b, "\", tooltip=\"");
		if (!rc && esc_text(&b, nd->kind, ESC_DOT, 40) == (size_t)-1)
			rc = CS_ERR_NOMEM;
		if (!rc)
			rc = cs__buf_adds(&b, ": ");
		if (!rc && esc_text(&b, nd->key, ESC_DOT, DOT_CHARS) == (size_t)-1)
			rc = CS_ERR_NOMEM;
		if (!rc)
			rc = cs__buf_printf(&b,
			                    "\", shape=%s, style=\"%s\", fillcolor=\"%s\", "
			                    "color=\"%s\"];\n",
			                    k->dot_shape, k->dot_style, k->fill, k->stroke);
		if (!rc && b.len > 65536)
			rc = flush(&b, out);
	}
	for (i = 0; i < g->ne && !rc; i++) {
		const struct gedge *e = &g->edges[i];

		rc = cs__buf_printf(&b, "\tn%u -> n%u", e->from, e->to);
		if (!rc && e->label[0]) {
			rc = cs__buf_adds(&b, " [label=\"");
			if (!rc && esc_text(&b, e->label, ESC_DOT, DOT_CHARS) == (size_t)-1)
				rc = CS_ERR_NOMEM;
			if (!rc)
				rc = cs__buf_adds(&b, "\"]");
		}
		if (!rc)
			rc = cs__buf_adds(&b, ";\n");
		if (!rc && b.len > 65536)
			rc = flush(&b, out);
	}
	if (!rc)
		rc = cs__buf_adds(&b, "}\n");
	if (!rc)
		rc = flush(&b, out);
	if (!rc && (fflush(out) || ferror(out)))
		rc = CS_ERR_IO;
	cs__buf_release(&b);
	return rc;
}

/* ---- layout ---- */

/* A drawn link: every edge between the same two nodes, one path. */
struct link {
	uint32_t from, to;   /* real direction */
	uint32_t first_edge; /* its first edge (for the label) */
	uint32_t nlabels;
	uint32_t chain;  /* index of its first vnode in lay.chain */
	uint32_t nchain; /* vnodes from the DAG tail to the DAG head */
	int reversed;
};

struct lay {
	size_t n;  /* real nodes */
	size_t nv; /* real + dummy nodes */
	struct link *links;
	size_t nlinks;
	uint32_t *layer; /* per vnode */
	uint32_t *pos;   /* per vnode: index inside its layer */
	int64_t *y;      /* per vnode: centre */
	uint32_t *width; /* per real node: box width */
	uint32_t nlayers;
	uint32_t **rows; /* rows[l]: vnodes of layer l in order */
	uint32_t *rowlen;
	/* Segments between consecutive layers, as CSR both ways. */
	uint32_t *seg_from, *seg_to;
	size_t nseg;
	uint32_t *out_start, *out_list, *in_start, *in_list;
	uint32_t *chain; /* per link: its vnodes */
	size_t nchain_total;
	int64_t *colx;  /* per layer: left x */
	uint32_t *colw; /* per layer: width */
	int64_t height;
	int64_t width_total;
};

static void lay_release(struct lay *L)
{
	uint32_t l;

	if (L->rows) {
		for (l = 0; l < L->nlayers; l++)
			free(L->rows[l]);
	}
	free(L->rows);
	free(L->rowlen);
	free(L->links);
	free(L->layer);
	free(L->pos);
	free(L->y);
	free(L->width);
	free(L->seg_from);
	free(L->seg_to);
	free(L->out_start);
	free(L->out_list);
	free(L->in_start);
	free(L->in_list);
	free(L->chain);
	free(L->colx);
	free(L->colw);
	memset(L, 0, sizeof(*L));
}

/* Compressed adjacency of `m` pairs over `n` nodes: start[n + 1], list[m]. */
static int csr(size_t n, size_t m, const uint32_t *a, const uint32_t *b, uint32_t **start,
               uint32_t **list)
{
	size_t i;
	uint32_t *s = cs__calloc(n + 1, sizeof(*s)), *fill;
	uint32_t *lst = cs__malloc((m ? m : 1) * sizeof(*lst));

	if (!s || !lst) {
		free(s);
		free(lst);
		return CS_ERR_NOMEM;
	}
	for (i = 0; i < m; i++)
		s[a[i] + 1]++;
	for (i = 0; i < n; i++)
		s[i + 1] += s[i];
	fill = cs__malloc((n ? n : 1) * sizeof(*fill));
	if (!fill) {
		free(s);
		free(lst);
		return CS_ERR_NOMEM;
	}
	memcpy(fill, s, n * sizeof(*fill));
	for (i = 0; i < m; i++)
		lst[fill[a[i]]++] = b[i];
	free(fill);
	*start = s;
	*list = lst;
	return CS_OK;
}

/*
 * Steps 1 and 2: the links (self-loops left out of the layering), back
 * edges of an iterative DFS reversed, then longest-path layers over the
 * resulting DAG in topological (Kahn) order.
 */
static int build_layers(const struct cs_graph *g, struct lay *L)
{
	struct cs_map pairs;
	uint32_t *a = NULL, *b = NULL, *start = NULL, *list = NULL;
	uint32_t *stack = NULL, *iter = NULL, *indeg = NULL, *queue = NULL;
	unsigned char *state = NULL;
	size_t i, m = 0, qh = 0, qt = 0;
	int rc = CS_OK;

	cs__map_init(&pairs);
	L->links = cs__calloc(g->ne ? g->ne : 1, sizeof(*L->links));
	if (!L->links)
		return CS_ERR_NOMEM;
	for (i = 0; i < g->ne; i++) {
		uint32_t k[2] = {g->edges[i].from, g->edges[i].to}, li;

		if (cs__map_get(&pairs, k, sizeof(k), &li)) {
			L->links[li].nlabels += g->edges[i].label[0] != 0;
			continue;
		}
		if (L->nlinks >= SVG_MAX_LINKS) {
			rc = CS_ERR_TOOBIG;
			goto out;
		}
		rc = cs__map_put(&pairs, k, sizeof(k), (uint32_t)L->nlinks);
		if (rc)
			goto out;
		L->links[L->nlinks].from = k[0];
		L->links[L->nlinks].to = k[1];
		L->links[L->nlinks].first_edge = (uint32_t)i;
		L->links[L->nlinks].nlabels = g->edges[i].label[0] != 0;
		L->nlinks++;
	}
	/* Adjacency of the non-loop links, by link index. */
	a = cs__malloc((L->nlinks + 1) * sizeof(*a));
	b = cs__malloc((L->nlinks + 1) * sizeof(*b));
	if (!a || !b) {
		rc = CS_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < L->nlinks; i++) {
		if (L->links[i].from == L->links[i].to)
			continue;
		a[m] = L->links[i].from;
		b[m] = (uint32_t)i;
		m++;
	}
	rc = csr(L->n, m, a, b, &start, &list);
	if (rc)
		goto out;
	/* Iterative DFS: state 0 new, 1 on the stack, 2 done. */
	state = cs__calloc(L->n ? L->n : 1, 1);
	stack = cs__malloc((L->n ? L->n : 1) * sizeof(*stack));
	iter = cs__malloc((L->n ? L->n : 1) * sizeof(*iter));
	if (!state || !stack || !iter) {
		rc = CS_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < L->n; i++) {
		size_t sp = 0;

		if (state[i])
			continue;
		stack[sp++] = (uint32_t)i;
		iter[i] = start[i];
		state[i] = 1;
		while (sp) {
			uint32_t u = stack[sp - 1];

			if (iter[u] < start[u + 1]) {
				struct link *lk = &L->links[list[iter[u]++]];
				uint32_t v = lk->to;

				if (state[v] == 1) {
					lk->reversed = 1;
				} else if (state[v] == 0) {
					state[v] = 1;
					iter[v] = start[v];
					stack[sp++] = v;
				}
			} else {
				state[u] = 2;
				sp--;
			}
		}
	}
	/* Longest path over the DAG (tails to heads after reversal). */
	m = 0;
	for (i = 0; i < L->nlinks; i++) {
		const struct link *lk = &L->links[i];

		if (lk->from == lk->to)
			continue;
		a[m] = lk->reversed ? lk->to : lk->from;
		b[m] = lk->reversed ? lk->from : lk->to;
		m++;
	}
	free(start);
	free(list);
	start = list = NULL;
	rc = csr(L->n, m, a, b, &start, &list);
	if (rc)
		goto out;
	indeg = cs__calloc(L->n ? L->n : 1, sizeof(*indeg));
	queue = cs__malloc((L->n ? L->n : 1) * sizeof(*queue));
	L->layer = cs__calloc(L->n ? L->n : 1, sizeof(*L->layer));
	if (!indeg || !queue || !L->layer) {
		rc = CS_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < m; i++)
		indeg[b[i]]++;
	for (i = 0; i < L->n; i++) {
		if (!indeg[i])
			queue[qt++] = (uint32_t)i;
	}
	while (qh < qt) {
		uint32_t u = queue[qh++], j;

		for (j = start[u]; j < start[u + 1]; j++) {
			uint32_t v = list[j];

			if (L->layer[v] < L->layer[u] + 1)
				L->layer[v] = L->layer[u] + 1;
			if (--indeg[v] == 0)
				queue[qt++] = v;
		}
	}
	/* A source sits just before its nearest successor, not in the first
	 * column with a long edge to it. */
	memset(indeg, 0, L->n * sizeof(*indeg));
	for (i = 0; i < m; i++)
		indeg[b[i]]++;
	for (i = 0; i < L->n; i++) {
		uint32_t j, lo = UINT32_MAX;

		if (indeg[i] || start[i] == start[i + 1])
			continue;
		for (j = start[i]; j < start[i + 1]; j++) {
			if (L->layer[list[j]] < lo)
				lo = L->layer[list[j]];
		}
		L->layer[i] = lo - 1;
	}
	L->nlayers = 0;
	for (i = 0; i < L->n; i++) {
		if (L->layer[i] + 1 > L->nlayers)
			L->nlayers = L->layer[i] + 1;
	}
out:
	cs__map_release(&pairs);
	free(a);
	free(b);
	free(start);
	free(list);
	free(state);
	free(stack);
	free(iter);
	free(indeg);
	free(queue);
	return rc;
}

/* Step 3: dummy vnodes on long links, the segments between layers, the
 * rows in their first order (vnode order). */
static int build_vnodes(struct lay *L)
{
	size_t i, nv = L->n, nseg = 0, k;
	uint32_t l;
	int rc;

	for (i = 0; i < L->nlinks; i++) {
		const struct link *lk = &L->links[i];
		uint32_t la = L->layer[lk->from], lb = L->layer[lk->to];
		uint32_t span = la > lb ? la - lb : lb - la;

		if (lk->from == lk->to)
			continue;
		nv += span - 1;
		nseg += span;
		L->nchain_total += span + 1;
		if (nv > SVG_MAX_VNODES)
			return CS_ERR_TOOBIG;
	}
	L->nv = nv;
	{
		uint32_t *nl = cs__realloc(L->layer, (nv ? nv : 1) * sizeof(*nl));

		if (!nl)
			return CS_ERR_NOMEM;
		L->layer = nl;
	}
	L->chain = cs__malloc((L->nchain_total ? L->nchain_total : 1) * sizeof(*L->chain));
	L->seg_from = cs__malloc((nseg ? nseg : 1) * sizeof(*L->seg_from));
	L->seg_to = cs__malloc((nseg ? nseg : 1) * sizeof(*L->seg_to));
	L->pos = cs__calloc(nv ? nv : 1, sizeof(*L->pos));
	L->y = cs__calloc(nv ? nv : 1, sizeof(*L->y));
	L->rows = cs__calloc(L->nlayers ? L->nlayers : 1, sizeof(*L->rows));
	L->rowlen = cs__calloc(L->nlayers ? L->nlayers : 1, sizeof(*L->rowlen));
	if (!L->chain || !L->seg_from || !L->seg_to || !L->pos || !L->y || !L->rows || !L->rowlen)
		return CS_ERR_NOMEM;
	nv = L->n;
	k = 0;
	for (i = 0; i < L->nlinks; i++) {
		struct link *lk = &L->links[i];
		uint32_t tail = lk->reversed ? lk->to : lk->from;
		uint32_t head = lk->reversed ? lk->from : lk->to;
		uint32_t prev = tail;

		if (lk->from == lk->to)
			continue;
		lk->chain = (uint32_t)k;
		L->chain[k++] = tail;
		for (l = L->layer[tail] + 1; l < L->layer[head]; l++) {
			L->layer[nv] = l;
			L->seg_from[L->nseg] = prev;
			L->seg_to[L->nseg++] = (uint32_t)nv;
			L->chain[k++] = (uint32_t)nv;
			prev = (uint32_t)nv++;
		}
		L->seg_from[L->nseg] = prev;
		L->seg_to[L->nseg++] = head;
		L->chain[k++] = head;
		lk->nchain = (uint32_t)(k - lk->chain);
	}
	rc = csr(L->nv, L->nseg, L->seg_from, L->seg_to, &L->out_start, &L->out_list);
	if (!rc)
		rc = csr(L->nv, L->nseg, L->seg_to, L->seg_from, &L->in_start, &L->in_list);
	if (rc)
		return rc;
	for (i = 0; i < L->nv; i++)
		L->rowlen[L->layer[i]]++;
	for (l = 0; l < L->nlayers; l++) {
		L->rows[l] = cs__malloc((L->rowlen[l] ? L->rowlen[l] : 1) * sizeof(**L->rows));
		if (!L->rows[l])
			return CS_ERR_NOMEM;
		L->rowlen[l] = 0;
	}
	for (i = 0; i < L->nv; i++) {
		l = L->layer[i];
		L->pos[i] = L->rowlen[l];
		L->rows[l][L->rowlen[l]++] = (uint32_t)i;
	}
	return CS_OK;
}

struct bary {
	int64_t key; /* barycentre * 1024, or the current position * 1024 */
	uint32_t pos;
	uint32_t v;
};

static int bary_cmp(const void *x, const void *y)
{
	const struct bary *a = x, *b = y;

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* Reorder layer l by the barycentre of each vnode's neighbours in the
 * adjacent layer (`down`: predecessors, else successors). */
static void order_layer(struct lay *L, uint32_t l, int down, struct bary *tmp)
{
	uint32_t i, j;
	const uint32_t *start = down ? L->in_start : L->out_start;
	const uint32_t *list = down ? L->in_list : L->out_list;

	for (i = 0; i < L->rowlen[l]; i++) {
		uint32_t v = L->rows[l][i];
		int64_t sum = 0, cnt = start[v + 1] - start[v];

		for (j = start[v]; j < start[v + 1]; j++)
			sum += L->pos[list[j]];
		tmp[i].key = cnt ? (sum * 1024) / cnt : (int64_t)i * 1024;
		tmp[i].pos = i;
		tmp[i].v = v;
	}
	qsort(tmp, L->rowlen[l], sizeof(*tmp), bary_cmp);
	for (i = 0; i < L->rowlen[l]; i++) {
		L->rows[l][i] = tmp[i].v;
		L->pos[tmp[i].v] = i;
	}
}

struct pair {
	uint32_t a, b;
};

static int pair_cmp(const void *x, const void *y)
{
	const struct pair *p = x, *q = y;

	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	return p->b < q->b ? -1 : p->b > q->b;
}

/* Crossings between every pair of adjacent layers: the inversions of the
 * heads' positions once the segments are sorted by (tail, head). */
static uint64_t crossings(const struct lay *L, struct pair *pairs, uint32_t *fen)
{
	uint64_t total = 0;
	uint32_t l;

	for (l = 0; l + 1 < L->nlayers; l++) {
		size_t m = 0, i;
		uint32_t n2 = L->rowlen[l + 1], j;

		for (i = 0; i < L->rowlen[l]; i++) {
			uint32_t v = L->rows[l][i];

			for (j = L->out_start[v]; j < L->out_start[v + 1]; j++) {
				pairs[m].a = L->pos[v];
				pairs[m++].b = L->pos[L->out_list[j]];
			}
		}
		qsort(pairs, m, sizeof(*pairs), pair_cmp);
		memset(fen, 0, (n2 + 1) * sizeof(*fen));
		for (i = 0; i < m; i++) {
			uint32_t k, below = 0;

			/* Count earlier heads at positions <= b, then add b. */
			for (k = pairs[i].b + 1; k; k -= k & (0u - k))
				below += fen[k];
			total += i - below;
			for (k = pairs[i].b + 1; k <= n2; k += k & (0u - k))
				fen[k]++;
		}
	}
	return total;
}

/* Step 4: barycentre sweeps, keeping the best order seen. */
static int order_layers(struct lay *L)
{
	struct bary *tmp = NULL;
	struct pair *pairs = NULL;
	uint32_t *fen = NULL, *best = NULL, maxrow = 0, l, i;
	uint64_t best_x, x;
	int round, rc = CS_OK;

	for (l = 0; l < L->nlayers; l++) {
		if (L->rowlen[l] > maxrow)
			maxrow = L->rowlen[l];
	}
	tmp = cs__malloc((maxrow + 1) * sizeof(*tmp));
	pairs = cs__malloc((L->nseg + 1) * sizeof(*pairs));
	fen = cs__malloc((maxrow + 2) * sizeof(*fen));
	best = cs__malloc((L->nv + 1) * sizeof(*best));
	if (!tmp || !pairs || !fen || !best) {
		rc = CS_ERR_NOMEM;
		goto out;
	}
	best_x = crossings(L, pairs, fen);
	memcpy(best, L->pos, L->nv * sizeof(*best));
	for (round = 0; round < ORDER_ROUNDS && best_x; round++) {
		int down = !(round & 1);

		if (down) {
			for (l = 1; l < L->nlayers; l++)
				order_layer(L, l, 1, tmp);
		} else {
			for (l = L->nlayers; l-- > 1;)
				order_layer(L, l - 1, 0, tmp);
		}
		x = crossings(L, pairs, fen);
		if (x < best_x) {
			best_x = x;
			memcpy(best, L->pos, L->nv * sizeof(*best));
		}
	}
	memcpy(L->pos, best, L->nv * sizeof(*best));
	for (i = 0; i < L->nv; i++)
		L->rows[L->layer[i]][L->pos[i]] = i;
out:
	free(tmp);
	free(pairs);
	free(fen);
	free(best);
	return rc;
}

static int64_t half_h(const struct lay *L, uint32_t v)
{
	return v < L->n ? BOX_H / 2 : 0;
}

static int64_t sep(const struct lay *L, uint32_t u, uint32_t v)
{
	int64_t s = half_h(L, u) + half_h(L, v);

	return s + ((u < L->n && v < L->n) ? NODE_SEP : DUMMY_SEP);
}

/*
 * Place one layer's vnodes at the mean y of their neighbours on the side
 * given (`dir` < 0: previous layer, > 0: next, 0: both), keeping order
 * and spacing: the wanted positions are pushed down from the top and up
 * from the bottom, and the two results averaged (each keeps the spacing,
 * so their mean does too).
 */
static int place_layer(struct lay *L, uint32_t l, int dir, int64_t *want, int64_t *down,
                       int64_t *up)
{
	uint32_t n = L->rowlen[l], i, j;

	if (!n)
		return CS_OK;
	for (i = 0; i < n; i++) {
		uint32_t v = L->rows[l][i];
		int64_t sum = 0, cnt = 0;

		if (dir <= 0) {
			for (j = L->in_start[v]; j < L->in_start[v + 1]; j++, cnt++)
				sum += L->y[L->in_list[j]];
		}
		if (dir >= 0) {
			for (j = L->out_start[v]; j < L->out_start[v + 1]; j++, cnt++)
				sum += L->y[L->out_list[j]];
		}
		want[i] = cnt ? sum / cnt : L->y[v];
	}
	down[0] = want[0];
	for (i = 1; i < n; i++) {
		int64_t lo = down[i - 1] + sep(L, L->rows[l][i - 1], L->rows[l][i]);

		down[i] = want[i] > lo ? want[i] : lo;
	}
	up[n - 1] = want[n - 1];
	for (i = n - 1; i-- > 0;) {
		int64_t hi = up[i + 1] - sep(L, L->rows[l][i], L->rows[l][i + 1]);

		up[i] = want[i] < hi ? want[i] : hi;
	}
	for (i = 0; i < n; i++)
		L->y[L->rows[l][i]] = (down[i] + up[i]) / 2;
	return CS_OK;
}

/* Step 5 and the columns' x: packed first, then pulled to neighbours. */
static int place(const struct cs_graph *g, struct lay *L)
{
	int64_t *want = NULL, *down = NULL, *up = NULL, miny = INT64_MAX, maxy = INT64_MIN, x;
	uint32_t maxrow = 0, l, i, *gapw = NULL;
	int round, rc = CS_OK;

	L->width = cs__calloc(L->n ? L->n : 1, sizeof(*L->width));
	L->colx = cs__calloc(L->nlayers + 1, sizeof(*L->colx));
	L->colw = cs__calloc(L->nlayers + 1, sizeof(*L->colw));
	gapw = cs__calloc(L->nlayers + 1, sizeof(*gapw));
	if (!L->width || !L->colx || !L->colw || !gapw) {
		rc = CS_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < L->n; i++) {
		struct cs_buf t;
		size_t chars;

		cs__buf_init(&t, 0);
		chars = esc_text(&t, g->nodes[i].label, ESC_XML, BOX_CHARS);
		cs__buf_release(&t);
		if (chars == (size_t)-1) {
			rc = CS_ERR_NOMEM;
			goto out;
		}
		if (chars > BOX_CHARS + 1)
			chars = BOX_CHARS + 1;
		L->width[i] = (uint32_t)(2 * BOX_PAD + CHAR_W * (chars ? chars : 1));
		if (L->width[i] > L->colw[L->layer[i]])
			L->colw[L->layer[i]] = L->width[i];
	}
	/* Room for the labels of edges that leave each column. */
	for (i = 0; i < L->nlinks; i++) {
		const struct link *lk = &L->links[i];
		uint32_t gap, w;
		size_t chars;
		struct cs_buf t;

		if (lk->from == lk->to || !lk->nlabels)
			continue;
		cs__buf_init(&t, 0);
		chars = esc_text(&t, g->edges[lk->first_edge].label, ESC_XML, EDGE_CHARS);
		cs__buf_release(&t);
		if (chars == (size_t)-1) {
			rc = CS_ERR_NOMEM;
			goto out;
		}
		if (chars > EDGE_CHARS + 3)
			chars = EDGE_CHARS + 3;
		w = (uint32_t)(EDGE_CHAR_W * chars + 24);
		/* The first stretch of the path in its real direction. */
		gap = lk->reversed ? L->layer[lk->from] - 1 : L->layer[lk->from];
		if (w > gapw[gap])
			gapw[gap] = w;
	}
	x = MARGIN;
	for (l = 0; l < L->nlayers; l++) {
		L->colx[l] = x;
		x += L->colw[l] + (gapw[l] > COL_GAP ? gapw[l] : COL_GAP);
		if (L->rowlen[l] > maxrow)
			maxrow = L->rowlen[l];
	}
	L->width_total = L->nlayers ? L->colx[L->nlayers - 1] + L->colw[L->nlayers - 1] + MARGIN
	                            : 2 * MARGIN;
	want = cs__malloc((maxrow + 1) * sizeof(*want));
	down = cs__malloc((maxrow + 1) * sizeof(*down));
	up = cs__malloc((maxrow + 1) * sizeof(*up));
	if (!want || !down || !up) {
		rc = CS_ERR_NOMEM;
		goto out;
	}
	/* Packed from the top. */
	for (l = 0; l < L->nlayers; l++) {
		int64_t yy = 0;

		for (i = 0; i < L->rowlen[l]; i++) {
			uint32_t v = L->rows[l][i];

			if (i)
				yy += sep(L, L->rows[l][i - 1], v);
			L->y[v] = yy;
		}
	}
	for (round = 0; round < PLACE_ROUNDS; round++) {
		if (!(round & 1)) {
			for (l = 1; l < L->nlayers; l++)
				place_layer(L, l, -1, want, down, up);
		} else {
			for (l = L->nlayers; l-- > 0;)
				place_layer(L, l, l + 1 < L->nlayers ? 1 : -1, want, down, up);
		}
	}
	for (i = 0; i < L->nv; i++) {
		if (L->y[i] - half_h(L, i) < miny)
			miny = L->y[i] - half_h(L, i);
		if (L->y[i] + half_h(L, i) > maxy)
			maxy = L->y[i] + half_h(L, i);
	}
	if (!L->nv)
		miny = maxy = 0;
	/* Room above for self-loops. */
	for (i = 0; i < L->nv; i++)
		L->y[i] += MARGIN + 16 - miny;
	L->height = maxy - miny + 2 * MARGIN + 16;
out:
	free(want);
	free(down);
	free(up);
	free(gapw);
	return rc;
}

/* ---- SVG ---- */

static int64_t box_x(const struct lay *L, uint32_t v)
{
	uint32_t l = L->layer[v];

	return L->colx[l] + (L->colw[l] - L->width[v]) / 2;
}

/* The points of a link's path, in its real direction. */
static int link_points(const struct lay *L, const struct link *lk, int64_t *px, int64_t *py,
                       size_t *np)
{
	size_t k, n = 0;

	for (k = 0; k < lk->nchain; k++) {
		uint32_t v = L->chain[lk->chain + k];

		if (v < L->n) {
			px[n] = k == 0 ? box_x(L, v) + L->width[v] : box_x(L, v);
			py[n++] = L->y[v];
		} else {
			uint32_t l = L->layer[v];

			px[n] = L->colx[l];
			py[n++] = L->y[v];
			px[n] = L->colx[l] + L->colw[l];
			py[n++] = L->y[v];
		}
	}
	if (lk->reversed) {
		for (k = 0; k < n / 2; k++) {
			int64_t t = px[k];

			px[k] = px[n - 1 - k];
			px[n - 1 - k] = t;
			t = py[k];
			py[k] = py[n - 1 - k];
			py[n - 1 - k] = t;
		}
	}
	*np = n;
	return CS_OK;
}

/* Every label of the edges between a link's two nodes, joined. */
static int link_label(const struct cs_graph *g, const struct link *lk, struct cs_buf *out)
{
	size_t i;
	int rc = CS_OK, first = 1;

	for (i = lk->first_edge; i < g->ne && !rc; i++) {
		const struct gedge *e = &g->edges[i];

		if (e->from != lk->from || e->to != lk->to || !e->label[0])
			continue;
		if (!first)
			rc = cs__buf_adds(out, ", ");
		first = 0;
		if (!rc)
			rc = cs__buf_adds(out, e->label);
		if (out->len > 4 * TITLE_CHARS)
			break;
	}
	return rc;
}

/* An axis-aligned box, for keeping edge labels off each other and off
 * the nodes. */
struct rect {
	int64_t x0, y0, x1, y1;
};

struct placed {
	struct rect *r;
	size_t n, cap;
};

static int rect_free(const struct placed *pl, const struct rect *r)
{
	size_t i;

	for (i = 0; i < pl->n; i++) {
		const struct rect *q = &pl->r[i];

		if (r->x0 < q->x1 && q->x0 < r->x1 && r->y0 < q->y1 && q->y0 < r->y1)
			return 0;
	}
	return 1;
}

static int rect_add(struct placed *pl, const struct rect *r)
{
	if (cs__grow((void **)&pl->r, &pl->cap, pl->n + 1, sizeof(*pl->r)))
		return CS_ERR_NOMEM;
	pl->r[pl->n++] = *r;
	return CS_OK;
}

/*
 * Where an edge's label goes: beside the middle of one stretch of its
 * path, the first of these spots whose box touches no node and no label
 * already placed (first stretches first, above the line, then below,
 * then further off). 0 with the label's anchor in *tx, *ty; -1 when no
 * spot is free: the label is then left out of the drawing (it stays in
 * the edge's tooltip), never drawn over another.
 */
static int label_spot(const struct placed *pl, const int64_t *px, const int64_t *py, size_t np,
                      int64_t w, int64_t *tx, int64_t *ty)
{
	static const int64_t dy[] = {-4, 13, -17, 26, -30};
	size_t k, j;

	for (j = 0; j < CS_ARRAY_SIZE(dy); j++) {
		for (k = 1; k < np; k++) {
			int64_t mx = (px[k - 1] + px[k]) / 2, my = (py[k - 1] + py[k]) / 2 + dy[j];
			struct rect r = {mx - w / 2 - 2, my - 10, mx + w / 2 + 2, my + 3};

			if (rect_free(pl, &r)) {
				*tx = mx;
				*ty = my;
				return 0;
			}
		}
	}
	return -1;
}

static int svg_edges(const struct cs_graph *g, const struct lay *L, struct cs_buf *b, FILE *out,
                     size_t *dropped)
{
	int64_t *px = NULL, *py = NULL;
	size_t maxn = 2, i, k, np;
	struct cs_buf lbl;
	struct placed pl = {NULL, 0, 0};
	int rc = CS_OK;

	for (i = 0; i < L->nlinks; i++) {
		if (2 * (size_t)L->links[i].nchain > maxn)
			maxn = 2 * (size_t)L->links[i].nchain;
	}
	px = cs__malloc(maxn * sizeof(*px));
	py = cs__malloc(maxn * sizeof(*py));
	cs__buf_init(&lbl, 0);
	if (!px || !py) {
		rc = CS_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < L->n && !rc; i++) {
		struct rect r = {box_x(L, (uint32_t)i), L->y[i] - BOX_H / 2,
		                 box_x(L, (uint32_t)i) + L->width[i], L->y[i] + BOX_H / 2};

		rc = rect_add(&pl, &r);
	}
	for (i = 0; i < L->nlinks && !rc; i++) {
		const struct link *lk = &L->links[i];

		cs__buf_reset(&lbl);
		if (lk->nlabels)
			rc = link_label(g, lk, &lbl);
		if (!rc)
			rc = cs__buf_adds(b, "<g class=\"edge\"><title>");
		if (!rc && esc_text(b, g->nodes[lk->from].label, ESC_XML, 80) == (size_t)-1)
			rc = CS_ERR_NOMEM;
		if (!rc)
			rc = cs__buf_adds(b, " \xe2\x86\x92 ");
		if (!rc && esc_text(b, g->nodes[lk->to].label, ESC_XML, 80) == (size_t)-1)
			rc = CS_ERR_NOMEM;
		if (!rc && lbl.len) {
			rc = cs__buf_adds(b, ": ");
			if (!rc && esc_text(b, lbl.data, ESC_XML, TITLE_CHARS) == (size_t)-1)
				rc = CS_ERR_NOMEM;
		}
		if (!rc)
			rc = cs__buf_adds(b, "</title>");
		if (rc)
			break;
		if (lk->from == lk->to) {
			int64_t x0 = box_x(L, lk->from) + L->width[lk->from] - 12;
			int64_t y0 = L->y[lk->from] - BOX_H / 2;

			rc = cs__buf_printf(b,
			                    "<path d=\"M%lld %lld C%lld %lld %lld %lld %lld %lld\" "
			                    "fill=\"none\" stroke=\"#56606a\" "
			                    "marker-end=\"url(#cs-arrow)\"/>",
			                    (long long)(x0 - 14), (long long)y0,
			                    (long long)(x0 - 18), (long long)(y0 - 22),
			                    (long long)(x0 + 4), (long long)(y0 - 22),
			                    (long long)x0, (long long)y0);
		} else {
			link_points(L, lk, px, py, &np);
			rc = cs__buf_printf(b, "<path d=\"M%lld %lld", (long long)px[0],
			                    (long long)py[0]);
			for (k = 1; k < np && !rc; k++) {
				int64_t mx = (px[k - 1] + px[k]) / 2;

				if (py[k] == py[k - 1])
					rc = cs__buf_printf(b, " L%lld %lld", (long long)px[k],
					                    (long long)py[k]);
				else
					rc = cs__buf_printf(b, " C%lld %lld %lld %lld %lld %lld",
					                    (long long)mx, (long long)py[k - 1],
					                    (long long)mx, (long long)py[k],
					                    (long long)px[k], (long long)py[k]);
			}
			if (!rc)
				rc = cs__buf_printf(b,
				                    "\" fill=\"none\" stroke=\"%s\" "
				                    "marker-end=\"url(#cs-arrow)\"/>",
				                    lk->reversed ? "#b07a2a" : "#56606a");
			if (!rc && lbl.len) {
				struct cs_buf t;
				size_t chars;
				int64_t tx, ty, w;

				cs__buf_init(&t, 0);
				chars = esc_text(&t, lbl.data, ESC_XML, EDGE_CHARS);
				cs__buf_release(&t);
				w = (int64_t)(chars == (size_t)-1 ? EDGE_CHARS : chars) * EDGE_CHAR_W;
				if (label_spot(&pl, px, py, np, w, &tx, &ty) == 0) {
					struct rect r = {tx - w / 2 - 2, ty - 10, tx + w / 2 + 2, ty + 3};

					rc = rect_add(&pl, &r);
					if (!rc)
						rc = cs__buf_printf(
						        b,
						        "<text class=\"el\" x=\"%lld\" y=\"%lld\" "
						        "font-size=\"10\" text-anchor=\"middle\" "
						        "fill=\"#3d454d\">",
						        (long long)tx, (long long)ty);
					if (!rc &&
					    esc_text(b, lbl.data, ESC_XML, EDGE_CHARS) == (size_t)-1)
						rc = CS_ERR_NOMEM;
					if (!rc)
						rc = cs__buf_adds(b, "</text>");
				} else {
					++*dropped;
				}
			}
		}
		if (!rc)
			rc = cs__buf_adds(b, "</g>\n");
		if (!rc && b->len > 65536)
			rc = flush(b, out);
	}
out:
	cs__buf_release(&lbl);
	free(pl.r);
	free(px);
	free(py);
	return rc;
}

#define LEGEND_H 46

/* Under the drawing: a swatch per node kind it holds, and how to read the
 * edge labels. */
static int svg_legend(const struct cs_graph *g, const struct lay *L, size_t dropped,
                      struct cs_buf *b)
{
	int64_t x = MARGIN, y = L->height + 8;
	size_t i, k;
	int rc = cs__buf_printf(b, "<g class=\"legend\" font-size=\"11\" fill=\"#3d454d\">");

	for (k = 0; k <= CS_ARRAY_SIZE(kstyles) && !rc; k++) {
		const struct kstyle *ks = k < CS_ARRAY_SIZE(kstyles) ? &kstyles[k] : &kstyle_other;
		int found = 0;

		for (i = 0; i < g->n && !found; i++)
			found = style_of(g->nodes[i].kind) == ks;
		if (!found)
			continue;
		rc = cs__buf_printf(b,
		                    "<rect x=\"%lld\" y=\"%lld\" width=\"16\" height=\"11\" "
		                    "rx=\"%d\" fill=\"%s\" stroke=\"%s\"/>"
		                    "<text x=\"%lld\" y=\"%lld\">%s</text>",
		                    (long long)x, (long long)y, ks->rx > 5 ? 5 : ks->rx, ks->fill,
		                    ks->stroke, (long long)(x + 21), (long long)(y + 10),
		                    ks->kind[0] ? ks->kind : "other");
		x += 21 + 8 * (int64_t)(ks->kind[0] ? strlen(ks->kind) : 5) + 18;
	}
	if (!rc)
		rc = cs__buf_printf(b,
		                    "<text x=\"%d\" y=\"%lld\">An arrow's label names the "
		                    "relation (and its weight); %s hover an arrow for all of "
		                    "it.</text></g>\n",
		                    MARGIN, (long long)(L->height + 34),
		                    dropped ? "labels with no room are left off the drawing:"
		                            : "");
	return rc;
}

static int svg_nodes(const struct cs_graph *g, const struct lay *L, struct cs_buf *b, FILE *out)
{
	uint32_t i;
	int rc = CS_OK;

	for (i = 0; i < L->n && !rc; i++) {
		const struct gnode *nd = &g->nodes[i];
		const struct kstyle *k = style_of(nd->kind);
		int64_t x = box_x(L, i), y = L->y[i] - BOX_H / 2;

		rc = cs__buf_adds(b, "<g class=\"node\"><title>");
		if (!rc && esc_text(b, nd->kind, ESC_XML, 40) == (size_t)-1)
			rc = CS_ERR_NOMEM;
		if (!rc)
			rc = cs__buf_adds(b, ": ");
		if (!rc && esc_text(b, nd->label, ESC_XML, TITLE_CHARS) == (size_t)-1)
			rc = CS_ERR_NOMEM;
		if (!rc && strcmp(nd->key, nd->label) != 0) {
			rc = cs__buf_adds(b, " (");
			if (!rc && esc_text(b, nd->key, ESC_XML, TITLE_CHARS) == (size_t)-1)
				rc = CS_ERR_NOMEM;
			if (!rc)
				rc = cs__buf_adds(b, ")");
		}
		if (!rc)
			rc = cs__buf_printf(
			        b,
			        "</title><rect x=\"%lld\" y=\"%lld\" width=\"%u\" "
			        "height=\"%d\" rx=\"%d\" fill=\"%s\" stroke=\"%s\" "
			        "stroke-width=\"%s\"/><text x=\"%lld\" y=\"%lld\" "
			        "text-anchor=\"middle\" fill=\"#1d232a\">",
			        (long long)x, (long long)y, L->width[i], BOX_H, k->rx, k->fill,
			        k->stroke, strcmp(k->kind, "compromised") ? "1" : "2.5",
			        (long long)(x + L->width[i] / 2), (long long)(L->y[i] + 4));
		if (!rc && esc_text(b, nd->label, ESC_XML, BOX_CHARS) == (size_t)-1)
			rc = CS_ERR_NOMEM;
		if (!rc)
			rc = cs__buf_adds(b, "</text></g>\n");
		if (!rc && b->len > 65536)
			rc = flush(b, out);
	}
	return rc;
}

int cs_graph_write_svg(const struct cs_graph *g, FILE *out)
{
	struct lay L;
	struct cs_buf b;
	size_t dropped = 0;
	int rc;

	if (!g || !out)
		return CS_ERR_INVALID;
	if (g->n > SVG_MAX_NODES)
		return CS_ERR_TOOBIG;
	memset(&L, 0, sizeof(L));
	L.n = g->n;
	cs__buf_init(&b, 0);
	rc = build_layers(g, &L);
	if (!rc)
		rc = build_vnodes(&L);
	if (!rc)
		rc = order_layers(&L);
	if (!rc)
		rc = place(g, &L);
	if (rc)
		goto out;
	if (L.width_total < 640)
		L.width_total = 640;
	rc = cs__buf_printf(&b,
	                    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%lld\" "
	                    "height=\"%lld\" viewBox=\"0 0 %lld %lld\" font-family=\"sans-serif\" "
	                    "font-size=\"12\">\n"
	                    "<defs><marker id=\"cs-arrow\" viewBox=\"0 0 10 10\" refX=\"10\" "
	                    "refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\">"
	                    "<path d=\"M0 0 L10 5 L0 10 z\" fill=\"#56606a\"/></marker></defs>\n"
	                    "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n",
	                    (long long)L.width_total, (long long)(L.height + LEGEND_H),
	                    (long long)L.width_total, (long long)(L.height + LEGEND_H));
	if (!rc)
		rc = svg_edges(g, &L, &b, out, &dropped);
	if (!rc)
		rc = svg_nodes(g, &L, &b, out);
	if (!rc)
		rc = svg_legend(g, &L, dropped, &b);
	if (!rc)
		rc = cs__buf_adds(&b, "</svg>\n");
	if (!rc)
		rc = flush(&b, out);
	if (!rc && (fflush(out) || ferror(out)))
		rc = CS_ERR_IO;
out:
	cs__buf_release(&b);
	lay_release(&L);
	return rc;
}

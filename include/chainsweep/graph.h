/*
 * chainsweep: a small directed graph and its two renderings, Graphviz DOT
 * text and a self-contained SVG picture laid out by our own code (no
 * Graphviz at run time). The analysis commands (exposure, correlate)
 * build one and write it; see docs/analysis.md.
 *
 * Nodes are found by a unique key; the label is the text shown and the
 * kind a short class ("vendor", "product", "version", "host",
 * "indicator", "cluster", ...) that picks the shape and colour. Every
 * string is copied. Labels may hold any bytes: the writers escape them
 * (bytes that are not UTF-8 and control characters are shown as \xNN,
 * as the CLI shows them) and shorten very long ones.
 */
#ifndef CHAINSWEEP_GRAPH_H
#define CHAINSWEEP_GRAPH_H

#include <stddef.h>
#include <stdio.h>

#include "chainsweep/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cs_graph;

/* An empty graph; NULL when out of memory. */
struct cs_graph *cs_graph_new(void);
/* Free the graph; NULL is a no-op. */
void cs_graph_free(struct cs_graph *g);

/*
 * Add or find a node by key (unique); label is the text shown (NULL: the
 * key); kind a short class used for shape and colour (NULL: ""). A key
 * seen before returns its node unchanged (the first label and kind stay).
 * Returns the node index >= 0, or a negative CS_ERR_* (CS_ERR_INVALID for
 * a NULL key, CS_ERR_TOOBIG past the node cap).
 */
long cs_graph_node(struct cs_graph *g, const char *key, const char *label, const char *kind);

/*
 * Directed edge from -> to; label may be NULL (the same as ""). Duplicate
 * (from, to, label) edges are kept once. Self-loops are allowed.
 * Returns CS_OK, CS_ERR_INVALID for an index that is not a node, or
 * CS_ERR_NOMEM / CS_ERR_TOOBIG.
 */
int cs_graph_edge(struct cs_graph *g, size_t from, size_t to, const char *label);

size_t cs_graph_node_count(const struct cs_graph *g);
size_t cs_graph_edge_count(const struct cs_graph *g);

/* Graphviz DOT text (left to right), every string quoted and escaped.
 * CS_OK or CS_ERR_IO when writing failed. */
int cs_graph_write_dot(const struct cs_graph *g, FILE *out);

/*
 * A self-contained SVG document (no script, no external reference): our
 * own layered layout (Sugiyama-style: cycles broken by reversing DFS back
 * edges, longest-path layering, dummy nodes on long edges, barycentre
 * ordering with crossing counts), left to right. Text is XML-escaped;
 * each node and edge carries its full (capped) text in a <title>.
 * CS_ERR_TOOBIG when the graph is too large to lay out (docs/analysis.md
 * gives the caps), CS_ERR_IO when writing failed.
 */
int cs_graph_write_svg(const struct cs_graph *g, FILE *out);

#ifdef __cplusplus
}
#endif

#endif /* CHAINSWEEP_GRAPH_H */

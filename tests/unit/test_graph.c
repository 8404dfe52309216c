/*
 * Unit tests of lib/analysis/graph.c: nodes and edges (unique keys,
 * duplicate edges kept once, bad indexes), the DOT text and the SVG
 * document with hostile labels (quotes, backslashes, markup, bytes that
 * are not UTF-8, control characters, a 100,000-character label), cycles
 * and self-loops, a larger random graph, determinism and the layout cap.
 * The SVG is checked by a small well-formedness parser written here
 * (tags balanced, attributes quoted, entities known, UTF-8 valid, no
 * control characters), and by xmllint when it is installed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chainsweep/graph.h"
#include "core/core_int.h"
#include "testutil.h"

/* Render into memory. */
static char *render(const struct cs_graph *g, int svg, size_t *len, int *rc)
{
	char *p = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&p, &n);

	assert_non_null(f);
	*rc = svg ? cs_graph_write_svg(g, f) : cs_graph_write_dot(g, f);
	fclose(f);
	if (len)
		*len = n;
	return p;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	const char *p = hay;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

/* Valid UTF-8 of one character at p; 0 when not. */
static size_t u8(const unsigned char *p)
{
	unsigned c = p[0], n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	}
	if (c == 0xed && p[1] >= 0xa0)
		return 0;
	return n;
}

static int entity_ok(const char *p)
{
	static const char *const names[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#39;"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strncmp(p, names[i], strlen(names[i])) == 0)
			return (int)strlen(names[i]);
	}
	return 0;
}

/*
 * A small XML well-formedness check: returns NULL when `s` is one
 * element with balanced tags, quoted attributes, known entities, valid
 * UTF-8 and no control characters; else a description of the problem.
 */
static const char *xml_check(const char *s)
{
	char stack[64][32];
	int depth = 0, roots = 0;
	const char *p = s;

	while (*p) {
		size_t n;

		if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t')
			return "control character";
		if (*p == '&') {
			int k = entity_ok(p);

			if (!k)
				return "bad entity";
			p += k;
			continue;
		}
		if (*p == '>')
			return "stray >"; /* we escape it, so it must not appear */
		if (*p != '<') {
			n = u8((const unsigned char *)p);
			if (!n)
				return "invalid UTF-8";
			if (!depth && !cs__isspace(*p))
				return "text outside the root";
			p += n;
			continue;
		}
		p++;
		if (*p == '/') {
			size_t len;

			p++;
			len = strcspn(p, ">");
			if (!depth || len != strlen(stack[depth - 1]) ||
			    strncmp(p, stack[depth - 1], len) != 0)
				return "mismatched end tag";
			depth--;
			p += len;
			if (*p != '>')
				return "unterminated end tag";
			p++;
			continue;
		}
		{
			char name[32];
			size_t len = strcspn(p, " \t\n/>");

			if (!len || len >= sizeof(name))
				return "bad tag name";
			memcpy(name, p, len);
			name[len] = 0;
			p += len;
			for (;;) {
				while (*p == ' ' || *p == '\n' || *p == '\t')
					p++;
				if (*p == '/' && p[1] == '>') {
					p += 2;
					break;
				}
				if (*p == '>') {
					if (depth >= 64)
						return "too deep";
					snprintf(stack[depth++], sizeof(stack[0]), "%s", name);
					if (depth == 1)
						roots++;
					p++;
					break;
				}
				len = strcspn(p, "= \t\n/>");
				if (!len || p[len] != '=' || p[len + 1] != '"')
					return "bad attribute";
				p += len + 2;
				while (*p && *p != '"') {
					if (*p == '<')
						return "< in attribute";
					if (*p == '&') {
						int k = entity_ok(p);

						if (!k)
							return "bad entity in attribute";
						p += k;
						continue;
					}
					if ((unsigned char)*p < 0x20)
						return "control character in attribute";
					n = u8((const unsigned char *)p);
					if (!n)
						return "invalid UTF-8 in attribute";
					p += n;
				}
				if (*p != '"')
					return "unterminated attribute";
				p++;
			}
		}
	}
	if (depth)
		return "unclosed element";
	return roots == 1 ? NULL : "not exactly one root";
}

static void assert_xml(const char *svg)
{
	const char *why = xml_check(svg);

	if (why)
		fail_msg("SVG not well-formed: %s", why);
}

/* xmllint, when present, on the document. */
static void xmllint(const char *svg, size_t len)
{
	char *dir, *path, cmd[4200];
	int st;

	if (system("command -v xmllint >/dev/null 2>&1") != 0) {
		print_message("SKIP: xmllint absent\n");
		return;
	}
	dir = cs_test_tmpdir();
	path = cs_test_write(dir, "g.svg", svg, len);
	snprintf(cmd, sizeof(cmd), "xmllint --noout '%s'", path);
	st = system(cmd);
	assert_int_equal(st, 0);
	free(path);
	cs_test_rmtree(dir);
	free(dir);
}

static void test_nodes_edges(void **state)
{
	struct cs_graph *g = cs_graph_new();
	long a, b, c;

	(void)state;
	assert_non_null(g);
	a = cs_graph_node(g, "vendor:tt", "Trading Technologies", "vendor");
	b = cs_graph_node(g, "product:x_trader", "X_TRADER", "product");
	assert_int_equal(a, 0);
	assert_int_equal(b, 1);
	/* Same key: same node, first label kept. */
	assert_int_equal(cs_graph_node(g, "vendor:tt", "other", "host"), 0);
	c = cs_graph_node(g, "host:ws-17", NULL, NULL);
	assert_int_equal(c, 2);
	assert_int_equal(cs_graph_node(g, NULL, "x", "y"), CS_ERR_INVALID);
	assert_int_equal(cs_graph_node_count(g), 3);

	assert_int_equal(cs_graph_edge(g, 0, 1, "builds"), CS_OK);
	assert_int_equal(cs_graph_edge(g, 0, 1, "builds"), CS_OK);
	assert_int_equal(cs_graph_edge(g, 0, 1, NULL), CS_OK);
	assert_int_equal(cs_graph_edge(g, 0, 1, ""), CS_OK); /* the same as NULL */
	assert_int_equal(cs_graph_edge(g, 0, 1, "signs"), CS_OK);
	assert_int_equal(cs_graph_edge(g, 1, 2, NULL), CS_OK);
	assert_int_equal(cs_graph_edge(g, 2, 2, "loop"), CS_OK);
	assert_int_equal(cs_graph_edge(g, 0, 3, NULL), CS_ERR_INVALID);
	assert_int_equal(cs_graph_edge(g, 9, 0, NULL), CS_ERR_INVALID);
	assert_int_equal(cs_graph_edge_count(g), 5);
	cs_graph_free(g);
	cs_graph_free(NULL);
}

static struct cs_graph *hostile(void)
{
	struct cs_graph *g = cs_graph_new();
	char *huge = malloc(100001);
	long n[8];

	assert_non_null(huge);
	memset(huge, 'A', 100000);
	huge[100000] = 0;
	memcpy(huge + 50, "\"<&>", 4);
	n[0] = cs_graph_node(g, "q", "say \"hi\" \\ \\\" end\\", "vendor");
	n[1] = cs_graph_node(g, "m", "<script>alert(1)</script> & <![CDATA[x]]> -->", "product");
	n[2] = cs_graph_node(g, "b", "bad \xff\xfe bytes \xc3 \xed\xa0\x80 \xef\xbf\xbe",
	                     "version");
	n[3] = cs_graph_node(g, "c", "tab\there\nnew\rline\x01\x7f", "host");
	n[4] = cs_graph_node(g, "huge", huge, "indicator");
	n[5] = cs_graph_node(g, "u", "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x94\xa5", "cluster");
	n[6] = cs_graph_node(g, "k\"<&\xff", NULL, "weird \" <kind> \xff");
	n[7] = cs_graph_node(g, "", "", "");
	for (int i = 0; i < 8; i++)
		assert_true(n[i] == i);
	assert_int_equal(cs_graph_edge(g, 0, 1, "a \"quoted\" <edge> & \xff"), CS_OK);
	assert_int_equal(cs_graph_edge(g, 1, 2, huge), CS_OK);
	assert_int_equal(cs_graph_edge(g, 2, 3, "\n"), CS_OK);
	assert_int_equal(cs_graph_edge(g, 3, 4, NULL), CS_OK);
	assert_int_equal(cs_graph_edge(g, 4, 5, "x"), CS_OK);
	assert_int_equal(cs_graph_edge(g, 5, 6, NULL), CS_OK);
	assert_int_equal(cs_graph_edge(g, 6, 7, "\\"), CS_OK);
	assert_int_equal(cs_graph_edge(g, 7, 0, "back"), CS_OK); /* a cycle through all */
	free(huge);
	return g;
}

/* Every quoted DOT string ends where it should: outside quotes only
 * identifiers, punctuation and white space. */
static void assert_dot_quoting(const char *dot)
{
	const char *p = dot;
	int in = 0;

	for (; *p; p++) {
		if (in) {
			if (*p == '\\') {
				assert_true(p[1] != 0);
				p++;
			} else if (*p == '"') {
				in = 0;
			} else {
				assert_true(*p != '\n' && *p != '\r');
			}
		} else if (*p == '"') {
			in = 1;
		} else {
			assert_true(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			                   "0123456789_ \t\n[]{};,=->",
			                   *p) != NULL);
		}
	}
	assert_int_equal(in, 0);
}

static void test_dot_hostile(void **state)
{
	struct cs_graph *g = hostile();
	size_t len;
	int rc;
	char *dot = render(g, 0, &len, &rc);

	(void)state;
	assert_int_equal(rc, CS_OK);
	assert_dot_quoting(dot);
	assert_int_equal(count(dot, " -> "), 8);
	assert_int_equal(count(dot, "[label="), 8 + 6); /* nodes, and the labelled edges */
	assert_non_null(strstr(dot, "say \\\"hi\\\" \\\\ \\\\\\\" end\\\\\""));
	assert_non_null(strstr(dot, "bad \\\\xff\\\\xfe bytes \\\\xc3 \\\\xed\\\\xa0\\\\x80"));
	assert_non_null(strstr(dot, "tab\\\\x09here\\\\x0anew\\\\x0dline\\\\x01\\\\x7f"));
	assert_non_null(strstr(dot, "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x94\xa5"));
	/* The huge label is cut with an ellipsis. */
	assert_non_null(strstr(dot, "AAA\xe2\x80\xa6\""));
	assert_true(len < 20000);
	assert_null(strchr(dot, '\r'));
	free(dot);
	cs_graph_free(g);
}

static void test_svg_hostile(void **state)
{
	struct cs_graph *g = hostile();
	size_t len;
	int rc;
	char *svg = render(g, 1, &len, &rc);

	(void)state;
	assert_int_equal(rc, CS_OK);
	assert_xml(svg);
	xmllint(svg, len);
	assert_int_equal(count(svg, "<g class=\"node\">"), 8);
	assert_int_equal(count(svg, "<g class=\"edge\">"), 8);
	assert_null(strstr(svg, "<script"));
	assert_null(strstr(svg, "href"));
	assert_non_null(strstr(svg, "&lt;script&gt;alert(1)&lt;/script&gt; &amp;"));
	assert_non_null(strstr(svg, "bad \\xff\\xfe bytes \\xc3 \\xed\\xa0\\x80 \\xef\\xbf\\xbe"));
	assert_non_null(strstr(svg, "say &quot;hi&quot;"));
	assert_true(len < 40000);
	free(svg);
	cs_graph_free(g);
}

static void test_svg_cycles_and_loops(void **state)
{
	struct cs_graph *g = cs_graph_new();
	size_t len;
	int rc;
	char *svg, *again;

	(void)state;
	for (int i = 0; i < 5; i++) {
		char k[8];

		snprintf(k, sizeof(k), "n%d", i);
		assert_true(cs_graph_node(g, k, k, "product") == i);
	}
	/* 0 -> 1 -> 2 -> 0, 2 -> 3, 3 <-> 4, 4 -> 4, a long edge 0 -> 4. */
	cs_graph_edge(g, 0, 1, "a");
	cs_graph_edge(g, 1, 2, "b");
	cs_graph_edge(g, 2, 0, "c");
	cs_graph_edge(g, 2, 3, NULL);
	cs_graph_edge(g, 3, 4, NULL);
	cs_graph_edge(g, 4, 3, NULL);
	cs_graph_edge(g, 4, 4, "self");
	cs_graph_edge(g, 0, 4, "long");
	svg = render(g, 1, &len, &rc);
	assert_int_equal(rc, CS_OK);
	assert_xml(svg);
	assert_int_equal(count(svg, "<g class=\"node\">"), 5);
	assert_int_equal(count(svg, "<g class=\"edge\">"), 8);
	assert_int_equal(count(svg, "marker-end="), 8);
	/* The same graph renders the same bytes. */
	again = render(g, 1, NULL, &rc);
	assert_string_equal(svg, again);
	free(svg);
	free(again);
	cs_graph_free(g);
}

static void test_svg_empty_and_single(void **state)
{
	struct cs_graph *g = cs_graph_new();
	int rc;
	char *svg;

	(void)state;
	svg = render(g, 1, NULL, &rc);
	assert_int_equal(rc, CS_OK);
	assert_xml(svg);
	free(svg);
	svg = render(g, 0, NULL, &rc);
	assert_int_equal(rc, CS_OK);
	assert_string_equal(svg, "digraph chainsweep {\n"
	                         "\tgraph [rankdir=LR, fontname=\"Helvetica\"];\n"
	                         "\tnode [fontname=\"Helvetica\", fontsize=11];\n"
	                         "\tedge [fontname=\"Helvetica\", fontsize=9];\n}\n");
	free(svg);
	cs_graph_node(g, "only", "only", "host");
	svg = render(g, 1, NULL, &rc);
	assert_int_equal(rc, CS_OK);
	assert_xml(svg);
	assert_int_equal(count(svg, "<g class=\"node\">"), 1);
	free(svg);
	cs_graph_free(g);
}

/* The boxes of the edge labels drawn (class "el", font size 10, six
 * pixels a character as the writer reckons) and of the nodes. */
struct box {
	long x0, y0, x1, y1;
};

static size_t boxes(const char *svg, struct box *v, size_t max, int labels)
{
	const char *p = svg;
	size_t n = 0;

	while (n < max && (p = strstr(p, labels ? "<text class=\"el\" x=\"" : "<g class=\"node\">"))) {
		long x, y, w, h;

		if (labels) {
			const char *t;

			assert_int_equal(sscanf(p, "<text class=\"el\" x=\"%ld\" y=\"%ld\"", &x, &y), 2);
			t = strchr(p, '>') + 1;
			w = (long)(strchr(t, '<') - t) * 6;
			v[n].x0 = x - w / 2;
			v[n].x1 = x + w / 2;
			v[n].y0 = y - 9;
			v[n].y1 = y + 2;
		} else {
			p = strstr(p, "<rect x=\"");
			assert_int_equal(sscanf(p, "<rect x=\"%ld\" y=\"%ld\" width=\"%ld\" height=\"%ld\"",
			                        &x, &y, &w, &h),
			                 4);
			v[n].x0 = x;
			v[n].y0 = y;
			v[n].x1 = x + w;
			v[n].y1 = y + h;
		}
		n++;
		p++;
	}
	return n;
}

static int overlap(const struct box *a, const struct box *b)
{
	return a->x0 < b->x1 && b->x0 < a->x1 && a->y0 < b->y1 && b->y0 < a->y1;
}

/* A correlate-like graph: many values each linked to a host and to two
 * clusters by labelled edges. No label is drawn over another or over a
 * node; a label with no room is left out (it stays in the tooltip), and
 * the legend names the node kinds drawn. */
static void test_svg_labels_apart(void **state)
{
	struct cs_graph *g = cs_graph_new();
	struct box lab[200], nod[64];
	size_t nl, nn, i, j;
	long c1, c2, h;
	int rc;
	char *svg, key[32];

	(void)state;
	h = cs_graph_node(g, "host:ws-17", "ws-17", "host");
	c1 = cs_graph_node(g, "c1", "#1 actor:UNC4736 (score 4.14)", "cluster");
	c2 = cs_graph_node(g, "c2", "#2 campaign:3CX-2023 (score 4.14)", "cluster");
	for (i = 0; i < 14; i++) {
		long v;

		snprintf(key, sizeof(key), "value-%zu.example", i);
		v = cs_graph_node(g, key, key, "indicator");
		assert_int_equal(cs_graph_edge(g, (size_t)v, (size_t)h, "found on"), CS_OK);
		assert_int_equal(cs_graph_edge(g, (size_t)v, (size_t)c1, "exact 0.30"), CS_OK);
		assert_int_equal(cs_graph_edge(g, (size_t)v, (size_t)c2, "exact 0.50"), CS_OK);
	}
	assert_int_equal(cs_graph_edge(g, (size_t)h, (size_t)c2, "co-occurrence 0.15"), CS_OK);
	svg = render(g, 1, NULL, &rc);
	assert_int_equal(rc, CS_OK);
	assert_xml(svg);
	nl = boxes(svg, lab, 200, 1);
	nn = boxes(svg, nod, 64, 0);
	assert_int_equal(nn, 17);
	assert_true(nl >= 10); /* most labels find room */
	for (i = 0; i < nl; i++) {
		for (j = i + 1; j < nl; j++)
			assert_false(overlap(&lab[i], &lab[j]));
		for (j = 0; j < nn; j++)
			assert_false(overlap(&lab[i], &nod[j]));
	}
	assert_non_null(strstr(svg, "<g class=\"legend\""));
	assert_non_null(strstr(svg, ">indicator</text>"));
	assert_non_null(strstr(svg, ">cluster</text>"));
	assert_non_null(strstr(svg, ">host</text>"));
	assert_null(strstr(svg, ">vendor</text>"));
	free(svg);
	cs_graph_free(g);
}

/* A layered random graph: the layout must keep the order it was given
 * between layers (no two boxes of a column overlap). */
static void test_svg_random(void **state)
{
	struct cs_graph *g = cs_graph_new();
	unsigned seed = 12345;
	size_t len, e = 0;
	int rc;
	char *svg;

	(void)state;
	for (int i = 0; i < 400; i++) {
		char k[16];

		snprintf(k, sizeof(k), "v%d", i);
		assert_true(cs_graph_node(g, k, k, i % 3 ? "version" : "vendor") == i);
	}
	for (int i = 0; i < 1200; i++) {
		unsigned a, b;

		seed = seed * 1103515245u + 12345u;
		a = (seed >> 8) % 400;
		seed = seed * 1103515245u + 12345u;
		b = (seed >> 8) % 400;
		assert_int_equal(cs_graph_edge(g, a, b, (i % 7) ? NULL : "rel"), CS_OK);
	}
	e = cs_graph_edge_count(g);
	assert_true(e > 1000);
	svg = render(g, 1, &len, &rc);
	assert_int_equal(rc, CS_OK);
	assert_xml(svg);
	xmllint(svg, len);
	assert_int_equal(count(svg, "<g class=\"node\">"), 400);
	free(svg);
	svg = render(g, 0, &len, &rc);
	assert_int_equal(rc, CS_OK);
	assert_int_equal(count(svg, " -> "), e);
	free(svg);
	cs_graph_free(g);
}

static void test_svg_cap(void **state)
{
	struct cs_graph *g = cs_graph_new();
	int rc;
	char *out;

	(void)state;
	for (int i = 0; i < 20001; i++) {
		char k[16];

		snprintf(k, sizeof(k), "h%d", i);
		assert_true(cs_graph_node(g, k, NULL, "host") == i);
	}
	out = render(g, 1, NULL, &rc);
	assert_int_equal(rc, CS_ERR_TOOBIG);
	free(out);
	out = render(g, 0, NULL, &rc);
	assert_int_equal(rc, CS_OK);
	free(out);
	cs_graph_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_nodes_edges),
	        cmocka_unit_test(test_dot_hostile),
	        cmocka_unit_test(test_svg_hostile),
	        cmocka_unit_test(test_svg_cycles_and_loops),
	        cmocka_unit_test(test_svg_empty_and_single),
	        cmocka_unit_test(test_svg_labels_apart),
	        cmocka_unit_test(test_svg_random),
	        cmocka_unit_test(test_svg_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

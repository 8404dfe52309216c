/*
 * libFuzzer target for the YARA gate reader (lib/match/yara_gate.c): the
 * input is a rule text.
 *
 * Invariants: the reader never fails but for memory; rules' extents are
 * in bounds, ordered and do not overlap, each holding its name; header
 * tests are of width 1, 2 or 4 and their indices in range; references
 * point into the text. When libyara compiles the input and the reader
 * read it completely, both see the same rules, and the soundness oracle
 * (tests/unit/ygate_oracle.h) holds on probes made from the input: the
 * input itself and its literal strings, with each header test the reader
 * found and common magic numbers written over the first bytes, truncated
 * and padded around each size bound (up to 1 MiB). A rule libyara
 * matches on a probe must pass its gates.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/unit/ygate_oracle.h"

#define YG_MAX_INPUT 4096

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (yr_initialize() != ERROR_SUCCESS)
		abort();
	return 0;
}

static void check_shape(const struct cs_ygate *g, const char *text, size_t len)
{
	size_t i, prev_end = 0;

	if (g->complete != 0 && g->complete != 1)
		__builtin_trap();
	for (i = 0; i < g->nrules; i++) {
		const struct cs_yrule *r = &g->rules[i];
		size_t k;

		if (r->start >= r->end || r->end > len || r->start < prev_end)
			__builtin_trap();
		if (text[r->end - 1] != '}')
			__builtin_trap();
		if (!r->name || r->name < text + r->start || r->name_len == 0 ||
		    r->name + r->name_len > text + r->end)
			__builtin_trap();
		if (r->first_test + r->ntests > g->ntests)
			__builtin_trap();
		for (k = 0; k < r->ntests; k++) {
			const struct cs_ygate_test *t = &g->tests[r->first_test + k];

			if ((t->width != 1 && t->width != 2 && t->width != 4) || t->be > 1)
				__builtin_trap();
		}
		prev_end = r->end;
	}
	for (i = 0; i < g->nrefs; i++)
		if (g->refs[i].p < text || g->refs[i].len == 0 ||
		    g->refs[i].p + g->refs[i].len > text + len)
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct ygo_buf body = {NULL, 0, 0};
	struct cs_ygate g;
	struct ygo o;
	int rc;

	if (size > YG_MAX_INPUT)
		return 0;
	rc = cs__ygate_read(&g, text, size);
	if (rc == CS_ERR_NOMEM)
		return 0;
	if (rc != CS_OK)
		__builtin_trap();
	check_shape(&g, text, size);
	rc = g.complete ? ygo_open(&o, &g, text, size) : -1;
	if (rc == -2) {
		fprintf(stderr, "reader and libyara disagree: %s\n", o.msg);
		__builtin_trap();
	}
	if (rc != 0) {
		cs__ygate_release(&g);
		return 0;
	}
	if (ygo_same_rules(&o) != 0) {
		fprintf(stderr, "reader and libyara disagree: %s\n", o.msg);
		__builtin_trap();
	}
	if (ygo_probe_all(&o, data, size, 4096) != 0) {
		fprintf(stderr, "UNSOUND: %s\n", o.msg);
		__builtin_trap();
	}
	if (ygo_put(&body, "\0\0\0\0\n", 5) == 0 && ygo_strings(&o, NULL, &body) == 0 &&
	    ygo_probe_all(&o, body.p, body.len, 4096) != 0) {
		fprintf(stderr, "UNSOUND: %s\n", o.msg);
		__builtin_trap();
	}
	free(body.p);
	ygo_close(&o);
	cs__ygate_release(&g);
	return 0;
}

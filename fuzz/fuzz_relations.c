/*
 * libFuzzer target for the exposure relations reader (YAML, libyaml) and
 * the walk and pictures after it.
 *
 * The input is a relations file; SBOM files it names are never opened.
 * Invariants: reading returns CS_OK, CS_ERR_PARSE, CS_ERR_TOOBIG or
 * CS_ERR_NOMEM; every diagnostic has a message; the walk from each of
 * the first nodes succeeds; the DOT and SVG of the walk write.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis_int.h"
#include "chainsweep/exposure.h"
#include "chainsweep/graph.h"

static void on_diag(void *ud, const struct cs_diag *d)
{
	(void)ud;
	if (!d->message || !d->message[0])
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_exposure *x = cs_exposure_new();
	size_t i, n;
	int rc;

	if (!x)
		return 0;
	cs_exposure_set_diag(x, on_diag, NULL);
	cs__exposure_set_no_files(x, 1);
	rc = cs_exposure_load_relations_mem(x, "/nonexistent-fuzz/rel.yaml", data, size);
	if (rc != CS_OK && rc != CS_ERR_PARSE && rc != CS_ERR_TOOBIG && rc != CS_ERR_NOMEM)
		abort();
	n = cs__exposure_node_count(x);
	for (i = 0; i < n && i < 4; i++) {
		struct cs_exposure_query q = {cs__exposure_node_key(x, i), 0, 0};
		struct cs_graph *g = cs_graph_new();
		FILE *f = fopen("/dev/null", "w");

		if (!g || !f)
			abort();
		rc = cs_exposure_run(x, &q, NULL, NULL, g, NULL);
		/* A key is always found; an id declared twice under two kinds
		 * may be ambiguous only for bare ids, never for keys. */
		if (rc != CS_OK && rc != CS_ERR_NOMEM)
			abort();
		if (cs_graph_write_dot(g, f) || cs_graph_write_svg(g, f))
			abort();
		fclose(f);
		cs_graph_free(g);
	}
	cs_exposure_free(x);
	return 0;
}

/*
 * libFuzzer target for the STIX 2.1 pattern parser and its emitter.
 *
 * Any input must either parse into a well-formed DNF (1..CS_STIX_MAX_ALTS
 * alternatives, none empty) or fail with an offset inside the input; a
 * parsed pattern is then emitted into a fresh indicator set. Where the
 * fast path takes the input, the parser must give exactly its one
 * comparison.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "intel/stix_pattern_int.h"

static void check_shape(const struct cs_stix_pattern *p)
{
	size_t i, j;

	if (p->nalts == 0 || p->nalts > CS_STIX_MAX_ALTS)
		__builtin_trap();
	for (i = 0; i < p->nalts; i++) {
		if (p->alts[i].nobs == 0)
			__builtin_trap();
		for (j = 0; j < p->alts[i].nobs; j++)
			if (p->alts[i].obs[j].ncmps == 0)
				__builtin_trap();
	}
}

static void emit(const struct cs_stix_pattern *p)
{
	struct cs_intel *in = cs_intel_new();
	struct cs_reader_ctx ctx;
	struct cs_ind_add base;
	int rc;

	if (!in)
		return;
	memset(&ctx, 0, sizeof(ctx));
	ctx.intel = in;
	ctx.path = "fuzz";
	cs__ind_add_init(&base);
	base.line = 1;
	rc = cs__stix_pattern_emit(&ctx, p, &base);
	if (rc < 0 && rc != CS_ERR_NOMEM && rc != CS_ERR_TOOBIG)
		__builtin_trap();
	cs_intel_free(in);
}

/* The fast path's answer is the parser's. */
static void check_fast(const struct cs_stix_fast *f, const struct cs_stix_pattern *p)
{
	const struct cs_stix_cmp *c;

	if (!p || p->nalts != 1 || p->qualifiers || p->alts[0].nobs != 1 ||
	    p->alts[0].qualifiers || p->alts[0].obs[0].ncmps != 1)
		__builtin_trap();
	c = &p->alts[0].obs[0].cmps[0];
	if (strcmp(c->object, f->object) != 0 || strcmp(c->path, f->path) != 0 ||
	    c->op != CS_STIX_EQ || c->negated || c->vtype != CS_STIX_STRING || c->nvalues != 1 ||
	    strlen(c->values[0]) != f->value_len ||
	    memcmp(c->values[0], f->value, f->value_len) != 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_stix_pattern *p = NULL;
	struct cs_stix_fast fast;
	char err[128];
	size_t pos = 0;
	int rc, is_fast;

	is_fast = cs__stix_pattern_fast((const char *)data, size, &fast);
	rc = cs__stix_pattern_parse((const char *)data, size, &p, err, sizeof(err), &pos);
	if (is_fast && rc == CS_OK)
		check_fast(&fast, p);
	else if (is_fast && rc != CS_ERR_NOMEM)
		__builtin_trap();
	if (rc != CS_OK) {
		if (p || pos > size || err[0] == '\0')
			__builtin_trap();
		return 0;
	}
	check_shape(p);
	emit(p);
	cs__stix_pattern_free(p);
	return 0;
}

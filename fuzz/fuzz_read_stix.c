/*
 * libFuzzer target for the STIX 2.1 reader through the public import API,
 * and a differential check of the JSON fast path against jansson.
 *
 * Invariants: the import ends with CS_OK, CS_ERR_EMPTY or CS_ERR_NOMEM;
 * merging never yields more indicators than were accepted; every
 * diagnostic has a message and a position inside the input; and
 * cs__json_validate() accepts exactly what jansson accepts (apart from
 * nesting, where our cap is lower than jansson's, and NUL bytes, where
 * jansson stops reading).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "intel/json_stream_int.h"
#include "fuzz_diag.h"

static void differential(const uint8_t *data, size_t size)
{
	struct cs_json_span sp = {0, size};
	json_error_t jerr;
	const char *msg = NULL;
	size_t at = 0;
	json_t *v;
	int ours;

	/* jansson's reader stops at a NUL byte as if the input ended there;
	 * the readers never hand it such a span outside a string. */
	if (memchr(data, '\0', size))
		return;
	ours = cs__json_validate((const char *)data, sp, &at, &msg);
	if (ours && (at > size || !msg))
		__builtin_trap();
	if (ours && strcmp(msg, "nesting too deep") == 0)
		return;
	v = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if ((v != NULL) != (ours == CS_OK))
		__builtin_trap();
	json_decref(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_import_stats st;
	struct cs_intel *in;
	int rc;

	fuzz_diag_begin(data, size);
	differential(data, size);

	in = cs_intel_new();
	if (!in)
		return 0;
	cs_intel_set_diag(in, fuzz_on_diag, NULL);
	/* A direct reference: links the reader even where the driver's table
	 * refers to it weakly. */
	if (cs_intel_set_format(in, cs__reader_stix.name) != CS_OK)
		__builtin_trap();
	rc = cs_intel_import_mem(in, "fuzz.json", data, size, &st);
	if (rc != CS_OK && rc != CS_ERR_EMPTY && rc != CS_ERR_NOMEM)
		__builtin_trap();
	if (cs_intel_count(in) > st.read || (rc == CS_OK && cs_intel_count(in) == 0))
		__builtin_trap();
	cs_intel_free(in);
	return 0;
}

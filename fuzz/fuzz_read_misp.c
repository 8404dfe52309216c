/*
 * libFuzzer target for the MISP reader through the public import API.
 *
 * Invariants: the import ends with CS_OK, CS_ERR_EMPTY or CS_ERR_NOMEM;
 * merging never yields more indicators than were accepted; every
 * diagnostic has a message and a position inside the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "intel/json_stream_int.h"
#include "fuzz_diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_import_stats st;
	struct cs_intel *in;
	int rc;

	fuzz_diag_begin(data, size);

	in = cs_intel_new();
	if (!in)
		return 0;
	cs_intel_set_diag(in, fuzz_on_diag, NULL);
	/* A direct reference: links the reader even where the driver's table
	 * refers to it weakly. */
	if (cs_intel_set_format(in, cs__reader_misp.name) != CS_OK)
		__builtin_trap();
	rc = cs_intel_import_mem(in, "fuzz.json", data, size, &st);
	if (rc != CS_OK && rc != CS_ERR_EMPTY && rc != CS_ERR_NOMEM)
		__builtin_trap();
	if (cs_intel_count(in) > st.read || (rc == CS_OK && cs_intel_count(in) == 0))
		__builtin_trap();
	cs_intel_free(in);
	return 0;
}

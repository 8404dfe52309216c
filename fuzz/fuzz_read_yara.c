/*
 * libFuzzer target for the YARA reader: the input is a rule file,
 * compiled by libyara through the import API.
 *
 * Invariants: the bid is 0..100; the import ends with CS_OK,
 * CS_ERR_EMPTY or CS_ERR_NOMEM; a file that fails has no rule indicator
 * and no kept text; a file that compiles keeps its text once and yields
 * as many indicators as rules (names are unique within a file); every
 * diagnostic has a message and a line inside the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "intel/intel_int.h"
#include "fuzz_diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_import_stats st;
	struct cs_intel *in;
	int rc, bid;

	fuzz_diag_begin(data, size);
	bid = cs__reader_yara.bid((const char *)data, size, "fuzz.yar");
	if (bid < 0 || bid > 100)
		__builtin_trap();
	in = cs_intel_new();
	if (!in)
		return 0;
	cs_intel_set_diag(in, fuzz_on_diag, NULL);
	if (cs_intel_set_format(in, cs__reader_yara.name) != CS_OK)
		__builtin_trap();
	rc = cs_intel_import_mem(in, "fuzz.yar", data, size, &st);
	if (rc != CS_OK && rc != CS_ERR_EMPTY && rc != CS_ERR_NOMEM)
		__builtin_trap();
	if (st.rejected) {
		if (cs_intel_count(in) != 0 || cs_intel_yara_count(in) != 0)
			__builtin_trap();
	} else if (rc != CS_ERR_NOMEM) {
		if (cs_intel_yara_count(in) != 1 || cs_intel_count(in) != st.yara_rules)
			__builtin_trap();
	}
	cs_intel_free(in);
	return 0;
}

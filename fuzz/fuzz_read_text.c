/*
 * libFuzzer target for the line-oriented readers: Loki hash, file name
 * and C2 lists, CSV, plain lists, and MISP warninglists.
 *
 * The first byte chooses the reader (byte % 6) and, for CSV, the column
 * option (byte / 6 % 4: none, "2", "value", a name no table has); the
 * rest is the file. Every bid is asked too.
 *
 * Invariants: every bid is 0..100; the import ends with CS_OK,
 * CS_ERR_EMPTY or CS_ERR_NOMEM; merging never yields more indicators
 * than were accepted; every diagnostic has a message and a position
 * inside the input; finalizing keeps every indicator.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "intel/intel_int.h"
#include "fuzz_diag.h"

static const struct cs_reader *const readers[] = {
        &cs__reader_loki_hash, &cs__reader_loki_filename, &cs__reader_loki_c2,
        &cs__reader_csv,       &cs__reader_plain,         &cs__reader_warninglist,
};

static const char *const names[] = {
        "hash-iocs.txt", "filename-iocs.txt", "c2-iocs.txt", "iocs.csv", "list.txt", "list.json",
};

static const char *const columns[] = {NULL, "2", "value", "no-such-column"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const size_t nr = sizeof(readers) / sizeof(readers[0]);
	struct cs_import_stats st;
	struct cs_intel *in;
	size_t i, sel, before;
	int rc;

	if (size < 1)
		return 0;
	sel = data[0];
	data++;
	size--;
	fuzz_diag_begin(data, size);

	for (i = 0; i < nr; i++) {
		int bid = readers[i]->bid((const char *)data, size, names[sel % nr]);

		if (bid < 0 || bid > 100)
			__builtin_trap();
	}
	in = cs_intel_new();
	if (!in)
		return 0;
	cs_intel_set_diag(in, fuzz_on_diag, NULL);
	if (cs_intel_set_format(in, readers[sel % nr]->name) != CS_OK)
		__builtin_trap();
	if (cs_intel_set_csv_column(in, columns[sel / nr % 4]) != CS_OK) {
		cs_intel_free(in);
		return 0;
	}
	rc = cs_intel_import_mem(in, names[sel % nr], data, size, &st);
	if (rc != CS_OK && rc != CS_ERR_EMPTY && rc != CS_ERR_NOMEM)
		__builtin_trap();
	if (cs_intel_count(in) > st.read ||
	    (rc == CS_OK && cs_intel_count(in) == 0 && st.warninglist_entries == 0))
		__builtin_trap();
	before = cs_intel_count(in);
	if (cs_intel_finalize(in) == CS_OK && cs_intel_count(in) != before)
		__builtin_trap();
	cs_intel_free(in);
	return 0;
}

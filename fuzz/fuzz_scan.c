/*
 * libFuzzer target for the per-object scan: archive descent (every
 * libarchive format and filter we enable), YARA, hashes and names over
 * whatever bytes come in, as if they were one file.
 *
 * Invariants: cs_scan_mem returns CS_OK (or CS_ERR_NOMEM); every finding
 * has an indicator, a path under the input's name and hashes of the right
 * length; every diagnostic has a message; no gap counter exceeds what
 * the caps allow.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "chainsweep/scan.h"

static struct cs_intel *in;
static struct cs_matcher *m;

static const char yara_rule[] =
        "rule Fuzz_Marker { strings: $m = \"XTRADER-FUZZ-MARKER\" "
        "condition: $m }\n"
        "rule Fuzz_MZ { condition: uint16(0) == 0x5a4d and filesize < 4096 }\n";
static const char names[] = "filename\npayload.bin\nx.dll\n";
static const char hashes[] = "sha256,md5\n"
                             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855,"
                             "d41d8cd98f00b204e9800998ecf8427e\n";
static const char regexes[] = "\\\\sub\\\\[a-z]+\\.bin;70\n";

static void setup(void)
{
	struct cs_import_stats st;

	in = cs_intel_new();
	cs_intel_set_format(in, "yara");
	cs_intel_import_mem(in, "fuzz.yar", yara_rule, sizeof(yara_rule) - 1, &st);
	cs_intel_set_format(in, "csv");
	cs_intel_import_mem(in, "names.csv", names, sizeof(names) - 1, &st);
	cs_intel_import_mem(in, "hashes.csv", hashes, sizeof(hashes) - 1, &st);
	cs_intel_set_format(in, "loki-filename");
	cs_intel_import_mem(in, "filename-iocs.txt", regexes, sizeof(regexes) - 1, &st);
	cs_intel_finalize(in);
	if (cs_matcher_new(in, NULL, NULL, &m) != CS_OK)
		__builtin_trap();
}

static int on_finding(void *ud, const struct cs_file_finding *f)
{
	(void)ud;
	if (!f->indicator || !f->path || strncmp(f->path, "input", 5) != 0)
		__builtin_trap();
	if (f->sha256 && strlen(f->sha256) != 64)
		__builtin_trap();
	if (f->md5 && strlen(f->md5) != 32)
		__builtin_trap();
	if (f->nstrings > 16)
		__builtin_trap();
	return 0;
}

static void on_diag(void *ud, const struct cs_diag *d)
{
	(void)ud;
	if (!d->message || !d->message[0])
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_scan_opts o;
	struct cs_scan_result r;
	int rc;

	if (!m)
		setup();
	cs_scan_opts_init(&o);
	o.on_finding = on_finding;
	o.on_diag = on_diag;
	o.yara_timeout = 5;
	o.archive_max_bytes = (uint64_t)64 << 20;
	o.archive_max_members = 1000;
	rc = cs_scan_mem(m, "input.bin", data, size, &o, &r);
	if (rc != CS_OK && rc != CS_ERR_NOMEM)
		__builtin_trap();
	if (r.count[CS_COV_ARCHIVE_BOMB] > 1 + r.count[CS_COV_MEMBERS])
		__builtin_trap();
	return 0;
}

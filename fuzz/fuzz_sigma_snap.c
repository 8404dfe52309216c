/*
 * libFuzzer target for the compiled Sigma set's snapshot (lib/match/sigma.c,
 * cs__sigma_snap_read): what `scan logs` and `sweep` take from the
 * compiled-rules cache instead of parsing and compiling the rules again.
 *
 * The cache checks a SHA-256 over the entry before the payload is parsed,
 * so only a bug of ours or a hand-made file gets this far; the reader must
 * still refuse what does not add up (counts past the end, indexes out of
 * range, a node naming a later node, a regex leaf without its database,
 * more clauses per rule than the per-event counter holds) and never read
 * outside the input. An accepted set is run on a few events.
 *
 * Seeds in fuzz/corpus/sigma_snap: payloads written by chainsweep for the
 * bundled 3CX rules and for a set with every kind of leaf.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "chainsweep/sigma.h"
#include "match/sigma_int.h"

static int on_hit(void *ud, const struct cs_event *e, const struct cs_sigma_hit *h)
{
	(void)ud;
	(void)e;
	(void)h;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"CommandLine", "Image", "ParentImage", "ProcessId",
	                                    "SourceIp",    "Data",  "Threat Name", "QueryName"};
	static const char *const values[] = {"C:\\Windows\\cmd.exe /c whoami",
	                                     "C:\\Users\\u\\AppData\\Local\\3CXDesktopApp.exe",
	                                     "C:\\x\\svc.exe",
	                                     "401",
	                                     "10.1.2.3",
	                                     "ffmpeg.dll",
	                                     "Trojan:Win32/x",
	                                     "raw.githubusercontent.com"};
	struct cs_event_field f[8];
	struct cs_event ev;
	struct cs_sigma *sg = NULL;
	struct cs_sigma_scratch *s;
	static const int eids[] = {1, 3, 22, 7};
	size_t i;

	if (cs__sigma_snap_read(data, size, &sg) != 0)
		return 0;
	s = cs_sigma_scratch_new(sg);
	if (s) {
		memset(f, 0, sizeof(f));
		for (i = 0; i < 8; i++) {
			f[i].name = names[i];
			f[i].value = values[i];
			f[i].value_len = strlen(values[i]);
		}
		for (i = 0; i < 4; i++) {
			memset(&ev, 0, sizeof(ev));
			ev.format = "fuzz";
			ev.product = "windows";
			ev.channel = "Microsoft-Windows-Sysmon/Operational";
			ev.event_id = eids[i];
			ev.fields = f;
			ev.nfields = 8;
			(void)cs_sigma_eval(sg, s, &ev, on_hit, NULL);
		}
		cs_sigma_scratch_free(s);
	}
	cs_sigma_free(sg);
	return 0;
}

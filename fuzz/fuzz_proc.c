/*
 * libFuzzer target for the proc text parsers (lib/scan/proc_parse.c):
 * the input is a proc file's text, cut into lines; the first byte picks
 * the parser (maps, tcp, tcp6, stat). Besides memory errors (ASan/UBSan,
 * which catch a read past a line's length), the properties below trap:
 *  - a maps line that parses has start <= end, a path inside the line,
 *    and " (deleted)" cut only from a path that is a file's;
 *  - unescaping never writes past its buffer and always terminates it;
 *  - a stat line that parses has a terminated command name.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chainsweep/error.h"
#include "scan/proc_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one_line(unsigned which, const char *l, size_t n)
{
	/* Each line in its own allocation, so ASan sees a read past it. */
	char *c = malloc(n ? n : 1), path[64];

	if (!c)
		return;
	memcpy(c, l, n);
	if (which == 0) {
		struct cs_proc_map mp;

		if (cs__proc_parse_maps_line(c, n, &mp) == CS_OK) {
			if (mp.start > mp.end || mp.path < c || mp.path + mp.path_len > c + n)
				__builtin_trap();
			if (mp.deleted && (!mp.path_len || mp.path[0] != '/'))
				__builtin_trap();
			memset(path, 'x', sizeof(path));
			cs__proc_unescape(path, 16, mp.path, mp.path_len);
			if (strlen(path) >= 16 || path[16] != 'x')
				__builtin_trap();
		}
	} else if (which == 1 || which == 2) {
		struct cs_proc_sock k;

		if (cs__proc_parse_net_line(c, n, which == 1 ? 4 : 6, &k) == CS_OK &&
		    (k.lport > 0xffff || k.rport > 0xffff || k.state > 0xff))
			__builtin_trap();
	} else {
		struct cs_proc_stat st;

		if (cs__proc_parse_stat(c, n, &st) == CS_OK &&
		    strnlen(st.comm, sizeof(st.comm)) >= sizeof(st.comm))
			__builtin_trap();
	}
	free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p, *end;
	unsigned which;

	if (!size)
		return 0;
	which = data[0] % 4;
	p = (const char *)data + 1;
	end = (const char *)data + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		one_line(which, p, n);
		p += n + 1;
	}
	return 0;
}

/*
 * Private interface of the process scan (proc.c): the parsers of the
 * proc filesystem's text (proc_parse.c), shared with the unit tests and
 * fuzz/fuzz_proc.c.
 */
#ifndef CS_PROC_INT_H
#define CS_PROC_INT_H

#include <stddef.h>
#include <stdint.h>

/* One line of /proc/PID/maps. `path` points into the line (not
 * NUL-terminated): "" for an anonymous map, "[heap]" and the like, or a
 * file path whose kernel suffix " (deleted)" is cut off and said by
 * `deleted`. The kernel escapes a newline in a path as "\012". */
struct cs_proc_map {
	uint64_t start, end, offset, inode;
	unsigned major, minor;
	char perms[5];
	const char *path;
	size_t path_len;
	int deleted;
};
/* CS_OK, or CS_ERR_PARSE for a line that is not a maps line. */
int cs__proc_parse_maps_line(const char *line, size_t len, struct cs_proc_map *out);

/* One line of /proc/net/{tcp,udp}[6]. Addresses are in network order
 * (16 bytes for family 6, the first 4 for family 4). */
struct cs_proc_sock {
	int family; /* 4 or 6 */
	unsigned char local[16], remote[16];
	unsigned lport, rport;
	unsigned state;
	unsigned uid;
	uint64_t inode;
};
/* CS_OK, or CS_ERR_PARSE (the header line, a damaged line). */
int cs__proc_parse_net_line(const char *line, size_t len, int family, struct cs_proc_sock *out);

/* /proc/PID/stat: the command name sits in parentheses and may itself
 * hold spaces and parentheses; the last ')' ends it. */
struct cs_proc_stat {
	int pid, ppid;
	char comm[64];
	char state;
	uint64_t starttime; /* clock ticks after boot */
};
int cs__proc_parse_stat(const char *s, size_t len, struct cs_proc_stat *out);

/* A maps path with the kernel's escapes ("\012" for a newline) undone
 * into dst (cap bytes, NUL-terminated, cut when too long). */
void cs__proc_unescape(char *dst, size_t cap, const char *s, size_t n);

#endif /* CS_PROC_INT_H */

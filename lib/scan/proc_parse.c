/*
 * Parsers of the proc filesystem's text lines (maps, net sockets, stat).
 * Each takes one line with its length (no NUL needed), never reads past
 * it, and refuses a line that is not what it should be rather than
 * guessing: numbers that overflow, missing fields and stray bytes are
 * CS_ERR_PARSE.
 */
#include <string.h>

#include "chainsweep/error.h"
#include "scan/proc_int.h"

struct cur {
	const char *p, *end;
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex digits (at least one, at most `maxdig`) into *v. */
static int get_hex(struct cur *c, unsigned maxdig, uint64_t *v)
{
	unsigned n = 0;
	int d;

	*v = 0;
	while (c->p < c->end && (d = hexval(*c->p)) >= 0) {
		if (++n > maxdig)
			return CS_ERR_PARSE;
		*v = (*v << 4) | (uint64_t)d;
		c->p++;
	}
	return n ? CS_OK : CS_ERR_PARSE;
}

static int get_dec(struct cur *c, uint64_t *v)
{
	unsigned n = 0;

	*v = 0;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		uint64_t d = (uint64_t)(*c->p - '0');

		if (*v > (UINT64_MAX - d) / 10)
			return CS_ERR_PARSE;
		*v = *v * 10 + d;
		n++;
		c->p++;
	}
	return n ? CS_OK : CS_ERR_PARSE;
}

static int get_char(struct cur *c, char ch)
{
	if (c->p >= c->end || *c->p != ch)
		return CS_ERR_PARSE;
	c->p++;
	return CS_OK;
}

/* One or more spaces (or tabs). */
static int get_space(struct cur *c)
{
	const char *s = c->p;

	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
	return c->p > s ? CS_OK : CS_ERR_PARSE;
}

int cs__proc_parse_maps_line(const char *line, size_t len, struct cs_proc_map *out)
{
	static const char del[] = " (deleted)";
	struct cur c = {line, line + len};
	uint64_t v;
	int i;

	memset(out, 0, sizeof(*out));
	if (c.end > c.p && c.end[-1] == '\n')
		c.end--;
	if (get_hex(&c, 16, &out->start) || get_char(&c, '-') || get_hex(&c, 16, &out->end) ||
	    get_space(&c) || out->end < out->start)
		return CS_ERR_PARSE;
	for (i = 0; i < 4; i++) {
		if (c.p >= c.end || !strchr("rwxps-", *c.p) || *c.p == '\0')
			return CS_ERR_PARSE;
		out->perms[i] = *c.p++;
	}
	if (get_space(&c) || get_hex(&c, 16, &out->offset) || get_space(&c) || get_hex(&c, 8, &v))
		return CS_ERR_PARSE;
	out->major = (unsigned)v;
	if (get_char(&c, ':') || get_hex(&c, 8, &v))
		return CS_ERR_PARSE;
	out->minor = (unsigned)v;
	if (get_space(&c) || get_dec(&c, &out->inode))
		return CS_ERR_PARSE;
	/* The path, if any, after the padding. */
	if (c.p < c.end && get_space(&c))
		return CS_ERR_PARSE;
	out->path = c.p;
	out->path_len = (size_t)(c.end - c.p);
	if (out->path_len > sizeof(del) - 1 && out->path[0] == '/' &&
	    memcmp(c.end - (sizeof(del) - 1), del, sizeof(del) - 1) == 0) {
		out->deleted = 1;
		out->path_len -= sizeof(del) - 1;
	}
	return CS_OK;
}

/* "0100007F:1F90": the address as the kernel prints it (32-bit words
 * in host order) and the port. */
static int get_endpoint(struct cur *c, int family, unsigned char *addr, unsigned *port)
{
	int words = family == 6 ? 4 : 1, i;
	uint64_t v;

	memset(addr, 0, 16);
	for (i = 0; i < words; i++) {
		uint32_t w;
		const char *s = c->p;

		if (c->end - c->p < 8)
			return CS_ERR_PARSE;
		{
			struct cur one = {c->p, c->p + 8};

			if (get_hex(&one, 8, &v) || one.p != s + 8)
				return CS_ERR_PARSE;
		}
		c->p += 8;
		w = (uint32_t)v;
		memcpy(addr + 4 * i, &w, 4);
	}
	if (get_char(c, ':') || get_hex(c, 4, &v))
		return CS_ERR_PARSE;
	*port = (unsigned)v;
	return CS_OK;
}

int cs__proc_parse_net_line(const char *line, size_t len, int family, struct cs_proc_sock *out)
{
	struct cur c = {line, line + len};
	uint64_t v;

	memset(out, 0, sizeof(*out));
	if (family != 4 && family != 6)
		return CS_ERR_PARSE;
	out->family = family;
	if (c.end > c.p && c.end[-1] == '\n')
		c.end--;
	while (c.p < c.end && *c.p == ' ')
		c.p++;
	/* "sl:" */
	if (get_dec(&c, &v) || get_char(&c, ':') || get_space(&c))
		return CS_ERR_PARSE;
	if (get_endpoint(&c, family, out->local, &out->lport) || get_space(&c) ||
	    get_endpoint(&c, family, out->remote, &out->rport) || get_space(&c) ||
	    get_hex(&c, 2, &v))
		return CS_ERR_PARSE;
	out->state = (unsigned)v;
	/* tx_queue:rx_queue tr:tm->when retrnsmt */
	if (get_space(&c) || get_hex(&c, 16, &v) || get_char(&c, ':') || get_hex(&c, 16, &v) ||
	    get_space(&c) || get_hex(&c, 8, &v) || get_char(&c, ':') || get_hex(&c, 16, &v) ||
	    get_space(&c) || get_hex(&c, 16, &v))
		return CS_ERR_PARSE;
	if (get_space(&c) || get_dec(&c, &v) || v > UINT32_MAX)
		return CS_ERR_PARSE;
	out->uid = (unsigned)v;
	/* timeout, then the inode */
	if (get_space(&c) || get_dec(&c, &v) || get_space(&c) || get_dec(&c, &out->inode))
		return CS_ERR_PARSE;
	for (; c.p < c.end; c.p++)
		if ((unsigned char)*c.p < ' ' && *c.p != '\t')
			return CS_ERR_PARSE;
	return CS_OK;
}

int cs__proc_parse_stat(const char *s, size_t len, struct cs_proc_stat *out)
{
	struct cur c = {s, s + len};
	const char *open, *close = NULL, *p;
	uint64_t v;
	size_t n;
	int field;

	memset(out, 0, sizeof(*out));
	if (get_dec(&c, &v) || v > 0x7fffffff || get_char(&c, ' ') || get_char(&c, '('))
		return CS_ERR_PARSE;
	out->pid = (int)v;
	open = c.p;
	for (p = c.p; p < c.end; p++)
		if (*p == ')')
			close = p;
	if (!close)
		return CS_ERR_PARSE;
	n = (size_t)(close - open);
	if (n >= sizeof(out->comm))
		n = sizeof(out->comm) - 1;
	memcpy(out->comm, open, n);
	out->comm[n] = '\0';
	c.p = close + 1;
	if (get_char(&c, ' ') || c.p >= c.end)
		return CS_ERR_PARSE;
	out->state = *c.p++;
	/* Fields 4 (ppid) to 22 (starttime); some may be negative. */
	for (field = 4; field <= 22; field++) {
		int neg = 0;

		if (get_char(&c, ' '))
			return CS_ERR_PARSE;
		if (c.p < c.end && *c.p == '-') {
			neg = 1;
			c.p++;
		}
		if (get_dec(&c, &v))
			return CS_ERR_PARSE;
		if (field == 4) {
			if (neg || v > 0x7fffffff)
				return CS_ERR_PARSE;
			out->ppid = (int)v;
		} else if (field == 22) {
			if (neg)
				return CS_ERR_PARSE;
			out->starttime = v;
		}
	}
	return CS_OK;
}

void cs__proc_unescape(char *dst, size_t cap, const char *s, size_t n)
{
	size_t i, o = 0;

	if (!cap)
		return;
	for (i = 0; i < n && o + 1 < cap; i++) {
		if (s[i] == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			dst[o++] = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 +
			                  (s[i + 3] - '0'));
			i += 3;
		} else {
			dst[o++] = s[i];
		}
	}
	dst[o] = '\0';
}

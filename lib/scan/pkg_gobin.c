/*
 * Go module build information embedded in Go binaries (what
 * `go version -m` prints), read by hand: no Go toolchain.
 *
 * Since Go 1.18 the linker writes a 32-byte header, aligned to 16 bytes,
 * into the binary's data:
 *
 *   "\xff Go buildinf:"  14 bytes of magic
 *   ptrsize, flags       flags & 2: the strings follow inline
 *   16 bytes             unused when inline
 *
 * then two strings, each an unsigned varint length and its bytes: the Go
 * version ("go1.21.5") and the module information, framed by 16-byte
 * sentinels:
 *
 *   path  example.com/cmd/tool
 *   mod   example.com/tool  v1.2.3  h1:...
 *   dep   golang.org/x/net  v0.17.0 h1:...
 *   =>    example.com/fork  v0.17.1 h1:...   (replaces the dep above)
 *   build -ldflags=...
 *
 * Packages: every `dep` (its replacement when that has a version; a
 * replacement by a local folder keeps the original), the main `mod`
 * unless its version is "(devel)", and the standard library as Go
 * package "stdlib" at the toolchain's version (OSV names it so). Older
 * binaries (flags without 2) hold pointers into the binary instead of
 * inline strings: they are reported as not read.
 *
 * Which files: ELF files whose first 4 KiB hold the Go build-ID note
 * (name "Go", type 4), PE and Mach-O files whose first 4 KiB hold the
 * "\xff Go build ID: " text, and any file whose first 4 KiB hold the
 * build-info magic itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/pkg_int.h"

#define MAGIC     "\xff Go buildinf:"
#define MAGIC_LEN 14
#define HDR_LEN   32

static int want_gobin(const char *path, const char *data, size_t len)
{
	static const char note[] = "\x04\x00\x00\x00Go\x00\x00";
	const char *p;

	(void)path;
	if (len >= 4 && memcmp(data,
	                       "\x7f"
	                       "ELF",
	                       4) == 0) {
		/* namesz 4, descsz, type 4, "Go\0\0" */
		for (p = data; (p = memmem(p, len - (size_t)(p - data), note, 8)) != NULL; p++) {
			if (p - data >= 8 && memcmp(p - 8, "\x04\x00\x00\x00", 4) == 0)
				return 1;
		}
		return memmem(data, len, MAGIC, MAGIC_LEN) != NULL;
	}
	if (len >= 4 &&
	    (memcmp(data, "MZ", 2) == 0 || memcmp(data, "\xcf\xfa\xed\xfe", 4) == 0 ||
	     memcmp(data, "\xce\xfa\xed\xfe", 4) == 0 || memcmp(data, "\xca\xfe\xba\xbe", 4) == 0))
		return memmem(data, len, "\xff Go build ID: \"", 16) != NULL ||
		       memmem(data, len, MAGIC, MAGIC_LEN) != NULL;
	return memmem(data, len, MAGIC, MAGIC_LEN) != NULL;
}

/* An unsigned LEB128 varint at *pos (at most 10 bytes); 0 when cut or
 * too long. */
static int uvarint(const struct pkg_ctx *c, size_t *pos, uint64_t *out)
{
	uint64_t v = 0;
	unsigned shift = 0;
	size_t p = *pos;

	while (p < c->len && shift < 64) {
		unsigned char b = (unsigned char)c->data[p++];

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*pos = p;
			*out = v;
			return 1;
		}
		shift += 7;
	}
	return 0;
}

/* The next field of a tab-separated line [*s, end). */
static int field(const char **s, const char *end, const char **f, size_t *n)
{
	const char *t;

	if (*s > end)
		return 0;
	t = memchr(*s, '\t', (size_t)(end - *s));
	*f = *s;
	*n = (size_t)((t ? t : end) - *s);
	*s = t ? t + 1 : end + 1;
	return 1;
}

struct gomod {
	char path[512], ver[256];
	uint64_t line;
	int set;
};

static int gomod_flush(struct pkg_ctx *c, struct gomod *m, size_t hdr)
{
	struct cs_package p;
	char entry[600];
	int rc = CS_OK;

	if (m->set && m->path[0] && m->ver[0] && strcmp(m->ver, "(devel)") != 0) {
		memset(&p, 0, sizeof(p));
		p.ecosystem = CS_ECO_GO;
		p.name = m->path;
		p.version = m->ver;
		snprintf(entry, sizeof(entry), "Go build info at byte %zu, module line %llu", hdr,
		         (unsigned long long)m->line);
		p.entry = entry;
		rc = cs__pkg_add(c, "go-binary", &p);
	}
	memset(m, 0, sizeof(*m));
	return rc;
}

/* The module lines of `mod` (sentinels removed). */
static int read_modinfo(struct pkg_ctx *c, const char *mod, size_t n, size_t hdr)
{
	const char *s = mod, *end = mod + n;
	struct gomod m;
	uint64_t no = 0;
	int rc = CS_OK;

	memset(&m, 0, sizeof(m));
	while (!rc && s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s)), *le = nl ? nl : end, *q = s,
		           *f, *path, *ver;
		size_t fl, pl, vl;

		no++;
		s = nl ? nl + 1 : end;
		if (!field(&q, le, &f, &fl) || !fl)
			continue;
		if ((fl == 3 && memcmp(f, "mod", 3) == 0) ||
		    (fl == 3 && memcmp(f, "dep", 3) == 0)) {
			rc = gomod_flush(c, &m, hdr);
			if (rc)
				break;
			if (!field(&q, le, &path, &pl) || !pl || !field(&q, le, &ver, &vl) || !vl) {
				cs__pkg_broken(c, 0, 0,
				               "Go build info at byte %zu: module line %llu is not "
				               "'%.*s<TAB>path<TAB>version'",
				               hdr, (unsigned long long)no, (int)fl, f);
				continue;
			}
			cs__copy_n(m.path, sizeof(m.path), path, pl);
			cs__copy_n(m.ver, sizeof(m.ver), ver, vl);
			m.line = no;
			m.set = 1;
		} else if (fl == 2 && memcmp(f, "=>", 2) == 0) {
			if (!m.set)
				continue;
			/* A replacement with a version is what was compiled;
			 * one by a local folder has none and keeps the
			 * original's identity. */
			if (field(&q, le, &path, &pl) && pl && field(&q, le, &ver, &vl) && vl) {
				cs__copy_n(m.path, sizeof(m.path), path, pl);
				cs__copy_n(m.ver, sizeof(m.ver), ver, vl);
			}
		}
	}
	if (!rc)
		rc = gomod_flush(c, &m, hdr);
	return rc;
}

static int read_one(struct pkg_ctx *c, size_t hdr)
{
	static const char sentinel_end = '\n';
	size_t pos = hdr + HDR_LEN;
	uint64_t vlen, mlen;
	const char *ver, *mod;
	unsigned char flags;

	if (c->len - hdr < HDR_LEN) {
		cs__pkg_broken(c, 0, 0, "Go build info at byte %zu: header cut short", hdr);
		return CS_OK;
	}
	flags = (unsigned char)c->data[hdr + 15];
	if (!(flags & 2)) {
		cs__pkg_broken(c, 0, 0,
		               "Go build info at byte %zu: written by Go before 1.18 (pointers "
		               "into the binary), not read",
		               hdr);
		return CS_OK;
	}
	if (!uvarint(c, &pos, &vlen) || vlen > c->len - pos) {
		cs__pkg_broken(c, 0, 0, "Go build info at byte %zu: Go version cut short", hdr);
		return CS_OK;
	}
	ver = c->data + pos;
	pos += (size_t)vlen;
	if (!uvarint(c, &pos, &mlen) || mlen > c->len - pos) {
		cs__pkg_broken(c, 0, 0, "Go build info at byte %zu: module information cut short",
		               hdr);
		return CS_OK;
	}
	mod = c->data + pos;
	/* The module text is framed by 16-byte sentinels. */
	if (mlen >= 33 && mod[mlen - 17] == sentinel_end) {
		mod += 16;
		mlen -= 32;
	}
	if (vlen > 2 && vlen < 64 && memcmp(ver, "go", 2) == 0) {
		char v[64], entry[64];
		struct cs_package p;
		size_t n = 2;
		int rc;

		while (n < vlen && ver[n] != ' ' && ver[n] != '\0')
			n++;
		cs__copy_n(v, sizeof(v), ver + 2, n - 2);
		memset(&p, 0, sizeof(p));
		p.ecosystem = CS_ECO_GO;
		p.name = "stdlib";
		p.version = v;
		snprintf(entry, sizeof(entry), "Go build info at byte %zu, Go version", hdr);
		p.entry = entry;
		rc = cs__pkg_add(c, "go-binary", &p);
		if (rc)
			return rc;
	}
	return read_modinfo(c, mod, (size_t)mlen, hdr);
}

static int read_gobin(struct pkg_ctx *c)
{
	const char *h = memmem(c->data, c->len, MAGIC, MAGIC_LEN), *first = h;

	/* The header is 16-aligned in its section, and so in the file for
	 * the usual layouts; the first aligned copy wins, else the first. */
	while (h && (size_t)(h - c->data) % 16) {
		size_t off = (size_t)(h - c->data) + 1;

		h = memmem(c->data + off, c->len - off, MAGIC, MAGIC_LEN);
	}
	if (!h)
		h = first;
	if (!h) {
		cs__pkg_note(c, 0, 0, "Go binary without build information (stripped or too old)");
		return CS_OK;
	}
	return read_one(c, (size_t)(h - c->data));
}

const struct pkg_reader cs__pkg_gobin = {"go-binary", want_gobin, read_gobin};

/* The hash index of an intel bundle (docs/fleet.md, "The hash index").
 *
 * A re-match hunt needs, of a bundle's file digests, only those its host
 * holds, and a host holds almost none of them: 1,000 agents each fetching
 * a 100,000-hash bundle move the same 18 MB a thousand times. Beside the
 * bundle the operator publishes
 *
 *   prefixes  the first four bytes of every digest indicator (md5, sha1,
 *             sha256, sha512), big-endian, sorted, unique: 4 bytes each;
 *   shards    the indicators, one text line each
 *             ("kind TAB value TAB confidence TAB source LF"), split into
 *             CS_FLEET_HX_SHARDS by the top bits of the prefix;
 *   table     the SHA-256 of every shard, all zero for an empty one;
 *
 * and names the prefixes and the table, by size and SHA-256, in the
 * signed manifest. An agent looks each digest of its inventory up in the
 * prefixes; a hit is only a candidate (with 100,000 indicators, one
 * look-up in 43,000 is a false one), confirmed by the full value in its
 * shard, which it fetches and checks against the table. The same idea as
 * the hash-prefix lists of web-safety services: a small filter for
 * everyone, the full values only where a host may hold one.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chainsweep/error.h"
#include "chainsweep/fleet_hindex.h"
#include "core/core_int.h"
#include "intel/intel_int.h"

struct ent {
	uint32_t prefix;
	uint32_t off, len; /* the line in text */
};

struct cs_fleet_hx {
	struct ent *e;
	size_t n, cap;
	struct cs_buf text;
	unsigned char *prefixes;
	size_t plen;
	struct cs_buf shard[CS_FLEET_HX_SHARDS];
	unsigned char table[CS_FLEET_HX_TABLE_LEN];
	int finished;
};

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The first 4 bytes of a hex digest; -1 when `hex` does not start with 8
 * hex digits. */
static int64_t prefix_of(const char *hex)
{
	uint32_t v = 0;
	int i, d;

	for (i = 0; i < 8; i++) {
		d = nibble(hex[i]);
		if (d < 0)
			return -1;
		v = v << 4 | (uint32_t)d;
	}
	return v;
}

static unsigned shard_of(uint32_t prefix)
{
	return prefix >> (32 - CS_FLEET_HX_SHARD_BITS);
}

static int lower_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[n] == '\0' || s[n] == '\t';
}

int cs_fleet_hx_new(struct cs_fleet_hx **out)
{
	struct cs_fleet_hx *hx = cs__calloc(1, sizeof(*hx));
	unsigned i;

	*out = NULL;
	if (!hx)
		return CS_ERR_NOMEM;
	cs__buf_init(&hx->text, 0);
	for (i = 0; i < CS_FLEET_HX_SHARDS; i++)
		cs__buf_init(&hx->shard[i], CS_FLEET_HX_SHARD_MAX);
	*out = hx;
	return CS_OK;
}

void cs_fleet_hx_free(struct cs_fleet_hx *hx)
{
	unsigned i;

	if (!hx)
		return;
	free(hx->e);
	cs__buf_release(&hx->text);
	free(hx->prefixes);
	for (i = 0; i < CS_FLEET_HX_SHARDS; i++)
		cs__buf_release(&hx->shard[i]);
	free(hx);
}

int cs_fleet_hx_add(struct cs_fleet_hx *hx, const struct cs_fleet_hx_rec *r)
{
	size_t n = cs__kind_hex_len(r->kind), start = hx->text.len, i;
	const char *src = r->source ? r->source : "";
	int64_t p;
	int rc;

	if (hx->finished || !n || !r->value || strlen(r->value) != n || !lower_hex(r->value, n) ||
	    r->confidence < -1 || r->confidence > 100)
		return CS_ERR_INVALID;
	p = prefix_of(r->value);
	rc = cs__grow((void **)&hx->e, &hx->cap, hx->n + 1, sizeof(*hx->e));
	if (rc)
		return rc;
	if (cs__buf_printf(&hx->text, "%s\t%s\t%d\t", cs_kind_name(r->kind), r->value,
			   r->confidence))
		return CS_ERR_NOMEM;
	/* A source is text for people: cut, and no field or line breaks. */
	for (i = 0; src[i] && i < CS_FLEET_HX_SOURCE_MAX; i++)
		if (cs__buf_addc(&hx->text, (unsigned char)src[i] < 0x20 ||
						    src[i] == 0x7f ? ' ' : src[i]))
			return CS_ERR_NOMEM;
	if (cs__buf_addc(&hx->text, '\n'))
		return CS_ERR_NOMEM;
	if (hx->text.len > UINT32_MAX)
		return CS_ERR_TOOBIG;
	hx->e[hx->n].prefix = (uint32_t)p;
	hx->e[hx->n].off = (uint32_t)start;
	hx->e[hx->n].len = (uint32_t)(hx->text.len - start);
	hx->n++;
	return CS_OK;
}

static int by_prefix(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;

	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

int cs_fleet_hx_finish(struct cs_fleet_hx *hx)
{
	size_t i, np = 0;
	unsigned s;

	if (hx->finished)
		return CS_OK;
	if (hx->n)
		qsort(hx->e, hx->n, sizeof(*hx->e), by_prefix);
	hx->prefixes = cs__malloc(hx->n * 4 + 1);
	if (!hx->prefixes)
		return CS_ERR_NOMEM;
	for (i = 0; i < hx->n; i++) {
		uint32_t p = hx->e[i].prefix;

		if (cs__buf_add(&hx->shard[shard_of(p)], hx->text.data + hx->e[i].off,
				hx->e[i].len))
			return CS_ERR_TOOBIG;
		if (np && hx->e[i - 1].prefix == p)
			continue;
		hx->prefixes[4 * np] = (unsigned char)(p >> 24);
		hx->prefixes[4 * np + 1] = (unsigned char)(p >> 16);
		hx->prefixes[4 * np + 2] = (unsigned char)(p >> 8);
		hx->prefixes[4 * np + 3] = (unsigned char)p;
		np++;
	}
	hx->plen = 4 * np;
	for (s = 0; s < CS_FLEET_HX_SHARDS; s++) {
		if (hx->shard[s].len)
			crypto_hash_sha256(hx->table + 32 * s,
					   (const unsigned char *)hx->shard[s].data,
					   hx->shard[s].len);
		else
			memset(hx->table + 32 * s, 0, 32);
	}
	hx->finished = 1;
	return CS_OK;
}

size_t cs_fleet_hx_count(const struct cs_fleet_hx *hx)
{
	return hx->n;
}

const unsigned char *cs_fleet_hx_prefixes(const struct cs_fleet_hx *hx, size_t *len)
{
	*len = hx->plen;
	return hx->prefixes;
}

const unsigned char *cs_fleet_hx_table(const struct cs_fleet_hx *hx)
{
	return hx->table;
}

const unsigned char *cs_fleet_hx_shard(const struct cs_fleet_hx *hx, unsigned i, size_t *len)
{
	if (i >= CS_FLEET_HX_SHARDS) {
		*len = 0;
		return NULL;
	}
	*len = hx->shard[i].len;
	return (const unsigned char *)cs__buf_cstr(&hx->shard[i]);
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int cs_fleet_hx_prefixes_ok(const unsigned char *p, size_t len)
{
	size_t i;

	if (len % 4 || len > CS_FLEET_HX_PREFIXES_MAX || (len && !p))
		return 0;
	for (i = 4; i < len; i += 4)
		if (be32(p + i - 4) >= be32(p + i))
			return 0;
	return 1;
}

int cs_fleet_hx_candidate(const unsigned char *p, size_t len, const char *hex, unsigned *shard)
{
	int64_t v = hex ? prefix_of(hex) : -1;
	size_t lo = 0, hi = len / 4;

	if (v < 0)
		return 0;
	if (shard)
		*shard = shard_of((uint32_t)v);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t m = be32(p + 4 * mid);

		if (m == (uint32_t)v)
			return 1;
		if (m < (uint32_t)v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int cs_fleet_hx_shard_empty(const unsigned char *table, unsigned i)
{
	static const unsigned char zero[32];

	return i >= CS_FLEET_HX_SHARDS || memcmp(table + 32 * i, zero, 32) == 0;
}

int cs_fleet_hx_shard_check(const unsigned char *table, unsigned i, const unsigned char *d,
			    size_t len)
{
	unsigned char h[32];

	if (i >= CS_FLEET_HX_SHARDS || len > CS_FLEET_HX_SHARD_MAX || (len && !d))
		return -1;
	if (len == 0)
		return cs_fleet_hx_shard_empty(table, i) ? 0 : -1;
	crypto_hash_sha256(h, d, len);
	return sodium_memcmp(h, table + 32 * i, 32) == 0 ? 0 : -1;
}

/* One line of a shard (without its LF) into r; 0 or -1 with `why`. */
static int parse_line(char *line, size_t n, unsigned shard, struct cs_fleet_hx_rec *r,
		      const char **why)
{
	char *tab1, *tab2, *tab3, *end, canon[24];
	size_t vl, i;
	long conf;
	int64_t p;

	if (memchr(line, '\0', n)) {
		*why = "a NUL byte";
		return -1;
	}
	line[n] = '\0';
	tab1 = strchr(line, '\t');
	tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
	tab3 = tab2 ? strchr(tab2 + 1, '\t') : NULL;
	if (!tab3) {
		*why = "fewer than four fields";
		return -1;
	}
	*tab1 = *tab2 = *tab3 = '\0';
	r->kind = cs_kind_from_name(line);
	vl = cs__kind_hex_len(r->kind);
	if (!vl) {
		*why = "not a digest kind";
		return -1;
	}
	r->value = tab1 + 1;
	if (strlen(r->value) != vl || !lower_hex(r->value, vl)) {
		*why = "a value that is not the kind's lowercase hex";
		return -1;
	}
	conf = strtol(tab2 + 1, &end, 10);
	snprintf(canon, sizeof(canon), "%ld", conf);
	if (end == tab2 + 1 || *end || conf < -1 || conf > 100 || strcmp(canon, tab2 + 1) != 0) {
		*why = "a confidence that is not a plain number in -1..100";
		return -1;
	}
	r->confidence = (int)conf;
	r->source = tab3 + 1;
	if (strlen(r->source) > CS_FLEET_HX_SOURCE_MAX) {
		*why = "a source longer than its cap";
		return -1;
	}
	for (i = 0; r->source[i]; i++)
		if ((unsigned char)r->source[i] < 0x20 || r->source[i] == 0x7f) {
			*why = "a control character in the source";
			return -1;
		}
	p = prefix_of(r->value);
	if (p < 0 || shard_of((uint32_t)p) != shard) {
		*why = "an indicator of another shard";
		return -1;
	}
	return 0;
}

int cs_fleet_hx_shard_each(const unsigned char *d, size_t len, unsigned i, cs_fleet_hx_fn fn,
			   void *ud, char *err, size_t errlen)
{
	char *copy;
	size_t off = 0, lineno = 0;
	int rc = CS_OK;

	if (i >= CS_FLEET_HX_SHARDS || len > CS_FLEET_HX_SHARD_MAX) {
		snprintf(err, errlen, "hash index shard %u: too large or out of range", i);
		return CS_ERR_PARSE;
	}
	if (len && d[len - 1] != '\n') {
		snprintf(err, errlen, "hash index shard %u: does not end with a line break", i);
		return CS_ERR_PARSE;
	}
	copy = cs__malloc(len + 1);
	if (!copy)
		return CS_ERR_NOMEM;
	if (len)
		memcpy(copy, d, len);
	while (off < len && rc == CS_OK) {
		char *nl = memchr(copy + off, '\n', len - off);
		size_t n = (size_t)(nl - (copy + off));
		struct cs_fleet_hx_rec r;
		const char *why = NULL;

		lineno++;
		if (parse_line(copy + off, n, i, &r, &why) != 0) {
			snprintf(err, errlen, "hash index shard %u, line %zu: %s", i, lineno, why);
			rc = CS_ERR_PARSE;
			break;
		}
		rc = fn(ud, &r);
		off += n + 1;
	}
	free(copy);
	return rc;
}

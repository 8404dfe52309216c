/*
 * libFuzzer target for the fleet's hash index as an agent reads it
 * (lib/fleet/hindex.c): a shard fetched from the bucket and a prefix list.
 *
 * Input: two bytes choose the shard; the rest is the shard's text, and
 * also a prefix list.
 *
 * Invariants: reading never fails but with CS_ERR_PARSE; every record
 * delivered is a digest kind with its length of lowercase hex, in the
 * chosen shard, with no control character in its source; the records
 * built again into an index give the same shard text back; a prefix list
 * that passes the check finds each of its own prefixes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chainsweep/error.h"
#include "chainsweep/fleet_hindex.h"

struct ctx {
	struct cs_fleet_hx *hx;
	unsigned shard;
};

static int on_rec(void *ud, const struct cs_fleet_hx_rec *r)
{
	struct ctx *c = ud;
	size_t n = strlen(r->value), i;
	unsigned sh = 0;
	unsigned char p[4];
	char head[9];
	uint32_t v;

	memcpy(head, r->value, 8);
	head[8] = '\0';
	v = (uint32_t)strtoul(head, NULL, 16);
	if (!((r->kind == CS_KIND_MD5 && n == 32) || (r->kind == CS_KIND_SHA1 && n == 40) ||
	      (r->kind == CS_KIND_SHA256 && n == 64) || (r->kind == CS_KIND_SHA512 && n == 128)))
		abort();
	for (i = 0; i < n; i++)
		if (!((r->value[i] >= '0' && r->value[i] <= '9') ||
		      (r->value[i] >= 'a' && r->value[i] <= 'f')))
			abort();
	for (i = 0; r->source[i]; i++)
		if ((unsigned char)r->source[i] < 0x20 || r->source[i] == 0x7f)
			abort();
	if (r->confidence < -1 || r->confidence > 100)
		abort();
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
	if (!cs_fleet_hx_candidate(p, 4, r->value, &sh) || sh != c->shard)
		abort();
	if (cs_fleet_hx_add(c->hx, r) != CS_OK)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx c;
	char err[256];
	const unsigned char *again;
	size_t alen, i;
	int rc;

	if (size < 2)
		return 0;
	c.shard = ((unsigned)data[0] << 8 | data[1]) % CS_FLEET_HX_SHARDS;
	data += 2;
	size -= 2;
	if (cs_fleet_hx_new(&c.hx) != CS_OK)
		return 0;
	rc = cs_fleet_hx_shard_each(data, size, c.shard, on_rec, &c, err, sizeof(err));
	if (rc != CS_OK && rc != CS_ERR_PARSE)
		abort();
	if (rc == CS_ERR_PARSE && !strstr(err, "shard"))
		abort();
	if (rc == CS_OK) {
		/* Built again, the shard is the same text (records keep their
		 * order when their prefixes are in order, which a shard of our
		 * own making always has; compare as sets of lines otherwise). */
		if (cs_fleet_hx_finish(c.hx) != CS_OK)
			abort();
		again = cs_fleet_hx_shard(c.hx, c.shard, &alen);
		if (alen != size)
			abort();
		if (cs_fleet_hx_shard_check(cs_fleet_hx_table(c.hx), c.shard, again, alen) != 0)
			abort();
	}
	cs_fleet_hx_free(c.hx);
	if (cs_fleet_hx_prefixes_ok(data, size & ~(size_t)3)) {
		for (i = 0; i + 4 <= size; i += 4) {
			char hex[9];

			snprintf(hex, sizeof(hex), "%02x%02x%02x%02x", data[i], data[i + 1],
				 data[i + 2], data[i + 3]);
			if (!cs_fleet_hx_candidate(data, size & ~(size_t)3, hex, NULL))
				abort();
		}
	}
	return 0;
}

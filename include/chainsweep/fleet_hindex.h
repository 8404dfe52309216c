/* chainsweep: the hash index of a fleet intel bundle (docs/fleet.md,
 * "The hash index"): what a re-match hunt fetches instead of the whole
 * bundle. Pure data, no transport: the operator builds the three parts
 * (prefixes, shards, table) and puts them in the bucket; the agent checks
 * and reads them. */
#ifndef CHAINSWEEP_FLEET_HINDEX_H
#define CHAINSWEEP_FLEET_HINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "chainsweep/intel.h"

/* Shards: digests fall in one by the top 10 bits of their first 4 bytes. */
#define CS_FLEET_HX_SHARD_BITS 10
#define CS_FLEET_HX_SHARDS (1u << CS_FLEET_HX_SHARD_BITS)
#define CS_FLEET_HX_TABLE_LEN (CS_FLEET_HX_SHARDS * 32u)
/* Caps on what an agent accepts. */
#define CS_FLEET_HX_SHARD_MAX ((size_t)8 << 20)
#define CS_FLEET_HX_PREFIXES_MAX ((size_t)256 << 20)
#define CS_FLEET_HX_SOURCE_MAX 1024

/* One indicator of a shard; strings valid during the callback only. */
struct cs_fleet_hx_rec {
	enum cs_kind kind;      /* CS_KIND_MD5, _SHA1, _SHA256 or _SHA512 */
	const char *value;      /* lowercase hex */
	int confidence;         /* -1..100 */
	const char *source;     /* "file:line" or a STIX/MISP id; may be "" */
};

/* The operator's side: add every digest indicator, then finish; the parts
 * stay owned by the builder. _add returns CS_ERR_INVALID for a kind that
 * is not a digest or a value that is not its hex. */
struct cs_fleet_hx;
int cs_fleet_hx_new(struct cs_fleet_hx **out);
void cs_fleet_hx_free(struct cs_fleet_hx *hx);
int cs_fleet_hx_add(struct cs_fleet_hx *hx, const struct cs_fleet_hx_rec *r);
int cs_fleet_hx_finish(struct cs_fleet_hx *hx);
size_t cs_fleet_hx_count(const struct cs_fleet_hx *hx);
const unsigned char *cs_fleet_hx_prefixes(const struct cs_fleet_hx *hx, size_t *len);
const unsigned char *cs_fleet_hx_table(const struct cs_fleet_hx *hx);
const unsigned char *cs_fleet_hx_shard(const struct cs_fleet_hx *hx, unsigned i, size_t *len);

/* The agent's side. _prefixes_ok: 1 when `p` is a whole number of
 * strictly ascending 4-byte prefixes. _candidate: 1 when the digest `hex`
 * (any length of at least 8 hex digits) has its prefix in `p` (which
 * passed _prefixes_ok); *shard gets its shard. _shard_empty: 1 when the
 * table says shard i holds nothing. */
int cs_fleet_hx_prefixes_ok(const unsigned char *p, size_t len);
int cs_fleet_hx_candidate(const unsigned char *p, size_t len, const char *hex, unsigned *shard);
int cs_fleet_hx_shard_empty(const unsigned char *table, unsigned i);
/* Check shard i's bytes against the table: 0 when they match. */
int cs_fleet_hx_shard_check(const unsigned char *table, unsigned i, const unsigned char *d,
			    size_t len);
/* Every record of shard i, in order. A malformed line or one that does
 * not belong to shard i stops the walk with CS_ERR_PARSE and a message
 * naming the line; a non-zero return of fn stops it with that value. */
typedef int (*cs_fleet_hx_fn)(void *ud, const struct cs_fleet_hx_rec *r);
int cs_fleet_hx_shard_each(const unsigned char *d, size_t len, unsigned i, cs_fleet_hx_fn fn,
			   void *ud, char *err, size_t errlen);

#endif

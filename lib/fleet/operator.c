/* The operator's side of the fleet: signed bundles and hunts put in the
 * FLEET bucket, and paced wake-ups (docs/fleet.md). The bucket is the
 * only state agents read; the order of the puts is what makes a reader
 * safe: chunks before the manifest that names them, the hunt document
 * before the index that lists it. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chainsweep/error.h"
#include "chainsweep/fleet.h"
#include "chainsweep/fleet_hindex.h"
#include "chainsweep/fleet_sign.h"
#include "chainsweep/store.h"
#include "fleet/fleet_sign_int.h"

#define MAX_BUNDLE ((size_t)1 << 31)

static int read_file(const char *path, unsigned char **data, size_t *len, char *err,
		     size_t errlen)
{
	FILE *f = fopen(path, "rb");
	long n;

	*data = NULL;
	if (!f) {
		snprintf(err, errlen, "%s: cannot open", path);
		return CS_ERR_IO;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || (size_t)n > MAX_BUNDLE ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		snprintf(err, errlen, "%s: cannot size, or larger than 2 GiB", path);
		return CS_ERR_TOOBIG;
	}
	*data = malloc((size_t)n + 1);
	if (!*data) {
		fclose(f);
		return CS_ERR_NOMEM;
	}
	if (fread(*data, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(*data);
		*data = NULL;
		snprintf(err, errlen, "%s: read failed", path);
		return CS_ERR_IO;
	}
	fclose(f);
	*len = (size_t)n;
	return CS_OK;
}

static void hex(const unsigned char *d, size_t n, char *out)
{
	static const char x[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = x[d[i] >> 4];
		out[2 * i + 1] = x[d[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The version the bucket's manifest names now, or 0; the operator reads
 * its own manifest without checking the signature (it only decides which
 * chunks to remove). */
static int64_t current_version(struct cs_fleet_bus *b)
{
	unsigned char *data = NULL;
	size_t len = 0;
	char err[256];
	int64_t v = 0;
	const char *p;

	if (cs_fleet_bus_kv_get_exact(b, "intel.manifest", &data, &len, err, sizeof(err)) != CS_OK)
		return 0;
	p = strstr((const char *)data, " version=");
	if (p)
		v = strtoll(p + 9, NULL, 10);
	free(data);
	return v;
}

/* Put `data` as chunks "intel.<version>.<tag><i>"; *chunks gets their
 * number. */
static int put_chunks(struct cs_fleet_bus *b, int64_t version, const char *tag,
		      const unsigned char *data, size_t len, size_t *chunks, char *err,
		      size_t errlen)
{
	char key[96];
	size_t n = (len + CS_FLEET_CHUNK - 1) / CS_FLEET_CHUNK, i;
	int rc;

	if (n == 0)
		n = 1; /* an empty blob is one empty chunk */
	for (i = 0; i < n; i++) {
		size_t off = i * CS_FLEET_CHUNK;
		size_t m = len - off < CS_FLEET_CHUNK ? len - off : CS_FLEET_CHUNK;

		snprintf(key, sizeof(key), "intel.%lld.%s%zu", (long long)version, tag, i);
		rc = cs_fleet_bus_kv_put(b, key, data + off, m, err, errlen);
		if (rc)
			return rc;
	}
	*chunks = n;
	return CS_OK;
}

/* {"size","sha256","chunks"} of a blob put with put_chunks. */
static json_t *blob_desc(const unsigned char *data, size_t len, size_t chunks)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	char sha[2 * crypto_hash_sha256_BYTES + 1];

	crypto_hash_sha256(digest, data, len);
	hex(digest, sizeof(digest), sha);
	return json_pack("{s:I,s:s,s:I}", "size", (json_int_t)len, "sha256", sha, "chunks",
			 (json_int_t)chunks);
}

/* The first source of a stored indicator as a finding names it. */
static void source_text(const struct cs_stored_indicator *ind, char *buf, size_t len)
{
	const struct cs_stored_source *s = ind->nsources ? &ind->sources[0] : NULL;

	buf[0] = '\0';
	if (!s)
		return;
	if (s->line)
		snprintf(buf, len, "%s:%llu", s->file ? s->file : "?", (unsigned long long)s->line);
	else
		snprintf(buf, len, "%s", s->ref ? s->ref : s->file ? s->file : "?");
}

static int on_digest(void *ud, const struct cs_stored_indicator *ind)
{
	struct cs_fleet_hx_rec r;
	char src[CS_FLEET_HX_SOURCE_MAX + 1];

	source_text(ind, src, sizeof(src));
	r.kind = ind->kind;
	r.value = ind->value;
	r.confidence = ind->confidence < -1 || ind->confidence > 100 ? -1 : ind->confidence;
	r.source = src;
	/* A value import let through that is not a digest's hex stays in the
	 * lite bundle's absence: say nothing, it could never match a file. */
	if (cs_fleet_hx_add(ud, &r) == CS_ERR_NOMEM)
		return CS_ERR_NOMEM;
	return 0;
}

/* The bundle's digest indicators into a hash index, and the bundle
 * without them into `lite_path`; *lite_items gets how many indicators and
 * YARA sources the lite bundle keeps. */
static int split_bundle(const char *bundle_path, const char *lite_path, struct cs_fleet_hx *hx,
			int64_t *lite_items, char *err, size_t errlen)
{
	static const enum cs_kind kinds[] = { CS_KIND_MD5, CS_KIND_SHA1, CS_KIND_SHA256,
					      CS_KIND_SHA512 };
	struct cs_store *st = NULL;
	struct cs_store_lookup *lk = NULL;
	uint64_t kept = 0;
	size_t i;
	int rc;

	rc = cs_store_open(bundle_path, &st);
	if (rc == CS_OK)
		rc = cs_store_lookup_open(st, &lk);
	for (i = 0; rc == CS_OK && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		rc = cs_store_lookup_kind(lk, kinds[i], on_digest, hx);
	if (rc == CS_OK)
		rc = cs_fleet_hx_finish(hx);
	if (lk)
		cs_store_lookup_close(lk);
	if (rc == CS_OK)
		rc = cs_store_export_intel_lite(st, lite_path, &kept);
	*lite_items = (int64_t)kept;
	if (rc)
		snprintf(err, errlen, "%s: cannot build its hash index (%s)", bundle_path,
			 st ? cs_store_errmsg(st) : cs_strerror(rc));
	if (st)
		cs_store_close(st);
	return rc;
}

/* Remove version `v`'s chunk series "intel.<v>.<tag><i>" (until one is
 * missing). */
static void delete_chunks(struct cs_fleet_bus *b, int64_t v, const char *tag)
{
	char key[96], e2[256];
	size_t i;

	for (i = 0;; i++) {
		unsigned char *d = NULL;
		size_t dl = 0;

		snprintf(key, sizeof(key), "intel.%lld.%s%zu", (long long)v, tag, i);
		if (cs_fleet_bus_kv_get_exact(b, key, &d, &dl, e2, sizeof(e2)) != CS_OK)
			break;
		free(d);
		cs_fleet_bus_kv_delete(b, key, e2, sizeof(e2));
	}
}

/* Everything of version `v` but the manifest: agents that read the old
 * manifest a moment ago try again with the new one when a part is gone. */
static void delete_version(struct cs_fleet_bus *b, int64_t v)
{
	unsigned char *table = NULL;
	size_t tl = 0;
	unsigned i;
	char key[96], e2[256];

	delete_chunks(b, v, "");
	delete_chunks(b, v, "lite.");
	delete_chunks(b, v, "hxp.");
	snprintf(key, sizeof(key), "intel.%lld.hxt.0", (long long)v);
	if (cs_fleet_bus_kv_get_exact(b, key, &table, &tl, e2, sizeof(e2)) != CS_OK)
		return;
	delete_chunks(b, v, "hxt.");
	for (i = 0; tl == CS_FLEET_HX_TABLE_LEN && i < CS_FLEET_HX_SHARDS; i++) {
		if (cs_fleet_hx_shard_empty(table, i))
			continue;
		snprintf(key, sizeof(key), "intel.%lld.hxs.%u", (long long)v, i);
		cs_fleet_bus_kv_delete(b, key, e2, sizeof(e2));
	}
	free(table);
}

int cs_fleet_publish_bundle(struct cs_fleet_bus *b, const char *seckey_path,
			    const char *bundle_path, int64_t version, int64_t expires, char *err,
			    size_t errlen)
{
	unsigned char *data = NULL, *lite = NULL;
	char key[96], lite_path[4096], *man = NULL, *env = NULL;
	size_t len = 0, litelen = 0, nchunks = 0, nlite = 0, nprefix = 0, ntable = 0, plen, i, sl;
	size_t envlen = 0;
	const unsigned char *prefixes, *table, *shard;
	struct cs_fleet_hx *hx = NULL;
	int64_t old, lite_items = 0;
	json_t *j = NULL, *full = NULL, *ld = NULL;
	int rc;

	if (sodium_init() < 0) {
		cs__fleet_err(err, errlen, "libsodium cannot start: %s", cs__fleet_sodium_why());
		return CS_ERR_UNSUPPORTED;
	}
	if (snprintf(lite_path, sizeof(lite_path), "%s.lite", bundle_path) >=
	    (int)sizeof(lite_path))
		return CS_ERR_TOOBIG;
	rc = read_file(bundle_path, &data, &len, err, errlen);
	if (rc)
		return rc;
	rc = cs_fleet_hx_new(&hx);
	if (rc == CS_OK)
		rc = split_bundle(bundle_path, lite_path, hx, &lite_items, err, errlen);
	if (rc == CS_OK)
		rc = read_file(lite_path, &lite, &litelen, err, errlen);
	if (rc)
		goto out;
	old = current_version(b);
	/* Every part before the manifest that names it. */
	rc = put_chunks(b, version, "", data, len, &nchunks, err, errlen);
	if (rc == CS_OK)
		rc = put_chunks(b, version, "lite.", lite, litelen, &nlite, err, errlen);
	prefixes = cs_fleet_hx_prefixes(hx, &plen);
	if (rc == CS_OK)
		rc = put_chunks(b, version, "hxp.", prefixes, plen, &nprefix, err, errlen);
	table = cs_fleet_hx_table(hx);
	for (i = 0; rc == CS_OK && i < CS_FLEET_HX_SHARDS; i++) {
		shard = cs_fleet_hx_shard(hx, (unsigned)i, &sl);
		if (!sl)
			continue;
		snprintf(key, sizeof(key), "intel.%lld.hxs.%zu", (long long)version, i);
		rc = cs_fleet_bus_kv_put(b, key, shard, sl, err, errlen);
	}
	if (rc == CS_OK)
		rc = put_chunks(b, version, "hxt.", table, CS_FLEET_HX_TABLE_LEN, &ntable, err,
				errlen);
	if (rc)
		goto out;
	full = blob_desc(data, len, nchunks);
	ld = blob_desc(lite, litelen, nlite);
	if (ld && json_object_set_new(ld, "items", json_integer((json_int_t)lite_items)) != 0) {
		rc = CS_ERR_NOMEM;
		goto out;
	}
	/* The manifest: the whole bundle (as before the hash index), the lite
	 * bundle and the hash index's prefixes and table. */
	j = full && ld ? json_pack("{s:I,s:I,s:O,s:I,s:I,s:I,s:O,s:{s:I,s:o,s:o}}", "version",
				   (json_int_t)version, "size", (json_int_t)len, "sha256",
				   json_object_get(full, "sha256"), "chunks", (json_int_t)nchunks,
				   "chunk_size", (json_int_t)CS_FLEET_CHUNK, "expires",
				   (json_int_t)expires, "lite", ld, "hx", "count",
				   (json_int_t)cs_fleet_hx_count(hx), "prefixes",
				   blob_desc(prefixes, plen, nprefix), "table",
				   blob_desc(table, CS_FLEET_HX_TABLE_LEN, ntable))
		       : NULL;
	man = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (!man) {
		rc = CS_ERR_NOMEM;
		goto out;
	}
	rc = cs_fleet_seal(seckey_path, "bundle", "intel", version, expires, man, strlen(man),
			   &env, &envlen, err, errlen);
	if (rc)
		goto out;
	rc = cs_fleet_bus_kv_put(b, "intel.manifest", env, envlen, err, errlen);
	if (rc)
		goto out;
	if (old > 0 && old != version)
		delete_version(b, old);
out:
	json_decref(j);
	json_decref(full);
	json_decref(ld);
	free(man);
	free(env);
	free(data);
	free(lite);
	cs_fleet_hx_free(hx);
	unlink(lite_path);
	return rc;
}

/* hunts.index: a JSON array of {"id","expires"}; expired ones leave it. */
static int index_add(struct cs_fleet_bus *b, const char *id, int64_t expires, char *err,
		     size_t errlen)
{
	unsigned char *data = NULL;
	size_t len = 0, i;
	json_t *arr = NULL, *out = json_array(), *e;
	int64_t now = (int64_t)time(NULL);
	char *s = NULL;
	int rc;

	if (!out)
		return CS_ERR_NOMEM;
	rc = cs_fleet_bus_kv_get_exact(b, "hunts.index", &data, &len, err, errlen);
	if (rc == CS_OK)
		arr = json_loadb((const char *)data, len, 0, NULL);
	else if (rc != CS_ERR_NOTFOUND)
		goto out;
	json_array_foreach(arr, i, e)
	{
		const char *eid = json_string_value(json_object_get(e, "id"));
		json_int_t ex = json_integer_value(json_object_get(e, "expires"));

		if (!eid || strcmp(eid, id) == 0 || ex < now)
			continue;
		json_array_append(out, e);
	}
	json_array_append_new(out, json_pack("{s:s,s:I}", "id", id, "expires",
					     (json_int_t)expires));
	s = json_dumps(out, JSON_COMPACT);
	rc = s ? cs_fleet_bus_kv_put(b, "hunts.index", s, strlen(s), err, errlen) : CS_ERR_NOMEM;
out:
	free(s);
	free(data);
	json_decref(arr);
	json_decref(out);
	return rc;
}

int cs_fleet_put_hunt(struct cs_fleet_bus *b, const char *seckey_path, const char *id,
		      int64_t expires, const char *doc, size_t len, char *err, size_t errlen)
{
	char key[128], *env = NULL;
	size_t envlen = 0;
	int rc;

	if (snprintf(key, sizeof(key), "hunt.%s", id) >= (int)sizeof(key))
		return CS_ERR_INVALID;
	rc = cs_fleet_seal(seckey_path, "hunt", id, 1, expires, doc, len, &env, &envlen, err,
			   errlen);
	if (rc)
		return rc;
	rc = cs_fleet_bus_kv_put(b, key, env, envlen, err, errlen);
	free(env);
	if (rc)
		return rc;
	return index_add(b, id, expires, err, errlen);
}

int cs_fleet_wake(struct cs_fleet_bus *b, const char *const *hosts, size_t nhosts, double rate,
		  volatile sig_atomic_t *stop)
{
	char subj[128];
	size_t i;
	struct timespec ts;

	if (!hosts || rate <= 0)
		return cs_fleet_bus_notify(b, "fleet.notify");
	ts.tv_sec = (time_t)(1.0 / rate);
	ts.tv_nsec = (long)((1.0 / rate - (double)ts.tv_sec) * 1e9);
	for (i = 0; i < nhosts && !(stop && *stop); i++) {
		snprintf(subj, sizeof(subj), "fleet.notify.%s", hosts[i]);
		if (cs_fleet_bus_notify(b, subj) != CS_OK)
			return CS_ERR_NET;
		nanosleep(&ts, NULL);
	}
	return CS_OK;
}

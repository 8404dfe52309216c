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

#include "chainsweep/error.h"
#include "chainsweep/fleet.h"
#include "chainsweep/fleet_sign.h"

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

int cs_fleet_publish_bundle(struct cs_fleet_bus *b, const char *seckey_path,
			    const char *bundle_path, int64_t version, int64_t expires, char *err,
			    size_t errlen)
{
	unsigned char *data = NULL, digest[crypto_hash_sha256_BYTES];
	char key[96], sha[2 * crypto_hash_sha256_BYTES + 1], *man = NULL, *env = NULL;
	size_t len = 0, nchunks, i, envlen = 0;
	int64_t old;
	json_t *j = NULL;
	int rc;

	if (sodium_init() < 0)
		return CS_ERR_NOMEM;
	rc = read_file(bundle_path, &data, &len, err, errlen);
	if (rc)
		return rc;
	old = current_version(b);
	crypto_hash_sha256(digest, data, len);
	hex(digest, sizeof(digest), sha);
	nchunks = (len + CS_FLEET_CHUNK - 1) / CS_FLEET_CHUNK;
	for (i = 0; i < nchunks; i++) {
		size_t off = i * CS_FLEET_CHUNK;
		size_t n = len - off < CS_FLEET_CHUNK ? len - off : CS_FLEET_CHUNK;

		snprintf(key, sizeof(key), "intel.%lld.%zu", (long long)version, i);
		rc = cs_fleet_bus_kv_put(b, key, data + off, n, err, errlen);
		if (rc)
			goto out;
	}
	j = json_pack("{s:I,s:I,s:s,s:I,s:I,s:I}", "version", (json_int_t)version, "size",
		      (json_int_t)len, "sha256", sha, "chunks", (json_int_t)nchunks, "chunk_size",
		      (json_int_t)CS_FLEET_CHUNK, "expires", (json_int_t)expires);
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
	/* The old version's chunks: agents that read the old manifest a
	 * moment ago retry with the new one when a chunk is gone. */
	if (old > 0 && old != version) {
		char e2[256];

		for (i = 0;; i++) {
			unsigned char *d = NULL;
			size_t dl = 0;

			snprintf(key, sizeof(key), "intel.%lld.%zu", (long long)old, i);
			if (cs_fleet_bus_kv_get_exact(b, key, &d, &dl, e2, sizeof(e2)) != CS_OK)
				break;
			free(d);
			cs_fleet_bus_kv_delete(b, key, e2, sizeof(e2));
		}
	}
out:
	json_decref(j);
	free(man);
	free(env);
	free(data);
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

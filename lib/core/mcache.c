/*
 * The compiled-rules cache: compiled YARA rules and Hyperscan databases
 * kept in files under a folder of the user's (docs/file-sweep.md), so
 * that a sweep or import with the same rules does not compile them again.
 *
 * An entry is named "<kind>-<key>", the key being a SHA-256 (hex) over
 * everything the compiled form depends on: the rule texts and their
 * names, the declared externals, the library versions and the entry
 * format. A change to any of them is a different name, so a stale entry
 * is never read; old entries are pruned (keep_of: a number per kind).
 *
 * An entry is never trusted blindly. It is read only when the folder and
 * the file belong to the effective user and nobody else may write them
 * (libyara and Hyperscan load compiled forms without validating them
 * against hostile input, so the cache must be as private as the
 * program); then its magic, format version, key, lengths and a SHA-256
 * over its content must all agree before a byte of it reaches a library.
 * An entry that fails is deleted and the caller compiles afresh.
 *
 * Layout, integers little-endian:
 *   "CSMCACHE" | u32 format | key[32] | u32 meta_len | u64 payload_len |
 *   sha256(meta || payload)[32] | meta | payload
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/core_int.h"

#define CACHE_MAGIC   "CSMCACHE"
#define CACHE_FORMAT  1u
#define CACHE_HEAD    (8 + 4 + 32 + 4 + 8 + 32)
#define CACHE_MAX     ((uint64_t)1 << 31) /* 2 GiB: far above any ruleset */
#define CACHE_NAMEMAX 128

/* How many entries of a kind are kept (the most recently used), and how
 * many stores of that kind a process makes between two prunings (a
 * pruning reads the folder). Whole rulesets and regex databases: a few;
 * ruleset variants: up to 16, those of one ruleset; single rule files (import):
 * hundreds a ruleset. */
static const struct {
	const char *kind;
	size_t keep;
	unsigned every;
} keep_kinds[] = {{"yvar", 16, 1}, {"yfile", 4096, 64}};

static size_t keep_of(const char *kind, unsigned *every)
{
	size_t i;

	for (i = 0; i < CS_ARRAY_SIZE(keep_kinds); i++) {
		if (strcmp(kind, keep_kinds[i].kind) == 0) {
			*every = keep_kinds[i].every;
			return keep_kinds[i].keep;
		}
	}
	*every = 1;
	return 4;
}

static void put_le(unsigned char *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void hex32(const unsigned char *k, char *out)
{
	static const char hexd[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = hexd[k[i] >> 4];
		out[2 * i + 1] = hexd[k[i] & 15];
	}
	out[64] = '\0';
}

static int sha256_two(const void *a, size_t al, const void *b, size_t bl, unsigned char *md)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int len = 0;
	int ok;

	ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) && EVP_DigestUpdate(c, a, al) &&
	     EVP_DigestUpdate(c, b, bl) && EVP_DigestFinal_ex(c, md, &len) && len == 32;
	EVP_MD_CTX_free(c);
	return ok ? CS_OK : CS_ERR_NOMEM;
}

/* A folder or file we may trust: ours, and writable by nobody else. */
static int private_stat(const struct stat *st)
{
	return st->st_uid == geteuid() && (st->st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

/*
 * Make sure `dir` exists (creating missing folders 0700) and is private.
 * Returns CS_OK, or CS_ERR_IO when it cannot be used.
 */
static int cache_dir_ready(const char *dir)
{
	char *p = cs__strdup(dir), *s;
	struct stat st;
	int rc = CS_OK;

	if (!p)
		return CS_ERR_NOMEM;
	for (s = p + 1; *s && !rc; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			rc = CS_ERR_IO;
		*s = '/';
	}
	if (!rc && mkdir(p, 0700) != 0 && errno != EEXIST)
		rc = CS_ERR_IO;
	free(p);
	if (rc)
		return rc;
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || !private_stat(&st))
		return CS_ERR_IO;
	return CS_OK;
}

static int entry_path(char *buf, size_t len, const char *dir, const char *kind,
                      const unsigned char *key)
{
	char hex[65];
	int n;

	hex32(key, hex);
	n = snprintf(buf, len, "%s/%s-%s", dir, kind, hex);
	return n < 0 || (size_t)n >= len ? CS_ERR_TOOBIG : CS_OK;
}

void cs__mcache_entry_release(struct cs_mcache_entry *e)
{
	if (e->map_len)
		munmap(e->buf, e->map_len);
	else
		free(e->buf);
	memset(e, 0, sizeof(*e));
}

/* The entry, read into memory or mapped (`map`); see cs__mcache_get. */
static int fetch(const char *dir, const char *kind, const unsigned char *key,
                 struct cs_mcache_entry *e, int map)
{
	char path[4096];
	unsigned char md[32];
	struct stat st;
	unsigned char *buf = NULL;
	uint64_t mlen, plen;
	size_t got = 0;
	int fd, rc = CS_ERR_PARSE;

	memset(e, 0, sizeof(*e));
	if (!dir || entry_path(path, sizeof(path), dir, kind, key))
		return CS_ERR_NOTFOUND;
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || !private_stat(&st))
		return CS_ERR_NOTFOUND;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return CS_ERR_NOTFOUND;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !private_stat(&st)) {
		close(fd);
		return CS_ERR_NOTFOUND; /* not ours: leave it, do not read it */
	}
	if ((uint64_t)st.st_size < CACHE_HEAD || (uint64_t)st.st_size > CACHE_MAX)
		goto bad;
	if (map) {
		void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);

		if (p == MAP_FAILED) {
			close(fd);
			return CS_ERR_NOMEM;
		}
		buf = p;
		got = (size_t)st.st_size;
	} else {
		buf = cs__malloc((size_t)st.st_size);
	}
	if (!buf) {
		close(fd);
		return CS_ERR_NOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			goto bad;
		got += (size_t)r;
	}
	if (memcmp(buf, CACHE_MAGIC, 8) != 0 || get_le(buf + 8, 4) != CACHE_FORMAT ||
	    memcmp(buf + 12, key, 32) != 0)
		goto bad;
	mlen = get_le(buf + 44, 4);
	plen = get_le(buf + 48, 8);
	if (plen > CACHE_MAX || CACHE_HEAD + mlen + plen != (uint64_t)st.st_size)
		goto bad;
	if (sha256_two(buf + CACHE_HEAD, (size_t)mlen, buf + CACHE_HEAD + mlen, (size_t)plen, md))
		goto bad;
	if (memcmp(md, buf + 56, 32) != 0)
		goto bad;
	close(fd);
	e->buf = buf;
	e->meta = buf + CACHE_HEAD;
	e->meta_len = (size_t)mlen;
	e->payload = buf + CACHE_HEAD + mlen;
	e->payload_len = (size_t)plen;
	e->map_len = map ? (size_t)st.st_size : 0;
	/* Used: the newest entries survive pruning. */
	utimensat(AT_FDCWD, path, NULL, AT_SYMLINK_NOFOLLOW);
	return CS_OK;
bad:
	close(fd);
	if (map && buf)
		munmap(buf, (size_t)st.st_size);
	else
		free(buf);
	unlink(path);
	return rc;
}

/*
 * Look the entry `kind`/`key` up in `dir`. Returns CS_OK with *e filled
 * (free with cs__mcache_entry_release), CS_ERR_NOTFOUND when there is
 * none or the folder is not usable, CS_ERR_PARSE when there was one but
 * it failed a check (it is then deleted), CS_ERR_NOMEM.
 */
int cs__mcache_get(const char *dir, const char *kind, const unsigned char *key,
                   struct cs_mcache_entry *e)
{
	return fetch(dir, kind, key, e, 0);
}

int cs__mcache_map(const char *dir, const char *kind, const unsigned char *key,
                   struct cs_mcache_entry *e)
{
	return fetch(dir, kind, key, e, 1);
}

/* Delete all but the most recently used entries of `kind` (keep_of),
 * and temporary files over an hour old. */
static void prune(const char *dir, const char *kind, size_t keep)
{
	struct old {
		char name[CACHE_NAMEMAX];
		struct timespec t;
	} *v = NULL;
	size_t n = 0, cap = 0, i, kl = strlen(kind);
	struct dirent *de;
	DIR *d;
	int dfd;

	d = opendir(dir);
	if (!d)
		return;
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		/* A temporary file left by a sweep that died while writing. */
		if (strncmp(de->d_name, ".tmp-", 5) == 0 &&
		    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
		    st.st_mtime + 3600 < time(NULL)) {
			unlinkat(dfd, de->d_name, 0);
			continue;
		}
		if (strncmp(de->d_name, kind, kl) != 0 || de->d_name[kl] != '-' ||
		    strlen(de->d_name) != kl + 1 + 64 ||
		    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (cs__grow((void **)&v, &cap, n + 1, sizeof(*v)))
			break;
		snprintf(v[n].name, sizeof(v[n].name), "%s", de->d_name);
		v[n].t = st.st_mtim;
		n++;
	}
	while (n > keep) {
		size_t o = 0;

		for (i = 1; i < n; i++)
			if (v[i].t.tv_sec < v[o].t.tv_sec ||
			    (v[i].t.tv_sec == v[o].t.tv_sec && v[i].t.tv_nsec < v[o].t.tv_nsec))
				o = i;
		unlinkat(dfd, v[o].name, 0);
		v[o] = v[--n];
	}
	free(v);
	closedir(d);
}

static int write_all(int fd, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return CS_ERR_IO;
		c += w;
		n -= (size_t)w;
	}
	return CS_OK;
}

/*
 * Store the entry `kind`/`key` in `dir` (created 0700 if missing):
 * written to a temporary file, then renamed, so a reader never sees half
 * an entry. Failures are not errors of the sweep: the next one compiles
 * again. Returns CS_OK or the reason it was not stored.
 */
int cs__mcache_put(const char *dir, const char *kind, const unsigned char *key, const void *meta,
                   size_t meta_len, const void *payload, size_t payload_len)
{
	char path[4096], tmp[4200];
	unsigned char head[CACHE_HEAD];
	int fd, rc, n;

	if (!dir || meta_len > UINT32_MAX || (uint64_t)payload_len > CACHE_MAX)
		return CS_ERR_INVALID;
	rc = cache_dir_ready(dir);
	if (!rc)
		rc = entry_path(path, sizeof(path), dir, kind, key);
	if (rc)
		return rc;
	n = snprintf(tmp, sizeof(tmp), "%s/.tmp-%s-XXXXXX", dir, kind);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return CS_ERR_TOOBIG;
	memcpy(head, CACHE_MAGIC, 8);
	put_le(head + 8, CACHE_FORMAT, 4);
	memcpy(head + 12, key, 32);
	put_le(head + 44, meta_len, 4);
	put_le(head + 48, payload_len, 8);
	rc = sha256_two(meta ? meta : "", meta_len, payload ? payload : "", payload_len, head + 56);
	if (rc)
		return rc;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return CS_ERR_IO;
	rc = write_all(fd, head, sizeof(head));
	if (!rc && meta_len)
		rc = write_all(fd, meta, meta_len);
	if (!rc && payload_len)
		rc = write_all(fd, payload, payload_len);
	if (close(fd) != 0 && !rc)
		rc = CS_ERR_IO;
	if (!rc && rename(tmp, path) != 0)
		rc = CS_ERR_IO;
	if (rc) {
		unlink(tmp);
		return rc;
	}
	{
		static unsigned stores; /* a hint: racing threads may prune twice */
		unsigned every;
		size_t keep = keep_of(kind, &every);

		if (every <= 1 || __atomic_fetch_add(&stores, 1, __ATOMIC_RELAXED) % every == 0)
			prune(dir, kind, keep);
	}
	return CS_OK;
}

void cs__key_begin(struct cs_keyer *k, const char *what)
{
	k->c = EVP_MD_CTX_new();
	k->ok = k->c && EVP_DigestInit_ex(k->c, EVP_sha256(), NULL);
	if (k->ok)
		k->ok = EVP_DigestUpdate(k->c, what, strlen(what) + 1);
}

void cs__key_add(struct cs_keyer *k, const void *p, size_t n)
{
	unsigned char len[8];
	int i;

	for (i = 0; i < 8; i++)
		len[i] = (unsigned char)((uint64_t)n >> (8 * i));
	if (k->ok)
		k->ok = EVP_DigestUpdate(k->c, p, n) && EVP_DigestUpdate(k->c, len, 8);
}

void cs__key_adds(struct cs_keyer *k, const char *s)
{
	cs__key_add(k, s, strlen(s));
}

int cs__key_end(struct cs_keyer *k, unsigned char *key)
{
	unsigned int len = 0;

	if (k->ok)
		k->ok = EVP_DigestFinal_ex(k->c, key, &len) && len == 32;
	EVP_MD_CTX_free(k->c);
	return k->ok;
}

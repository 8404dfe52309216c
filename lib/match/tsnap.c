/*
 * The log hunt's snapshot (docs/log-hunt.md, "Start-up"): what `scan
 * logs` needs before it reads a byte, kept in the compiled-rules cache
 * (lib/core/mcache.c) under the case's intel stamp, so that a hunt with
 * hundreds of thousands of indicators starts at once.
 *
 * It holds the text pre-filter as built (textfilter.c), the matcher's
 * counts, and a sorted array of 64-bit fingerprints of every key the text
 * matcher can look up: (kind, value) of each domain, address, URL, e-mail
 * and digest indicator, and the network key of each CIDR. A lookup whose
 * fingerprint is absent has no indicator; one whose fingerprint is
 * present loads what it needs through the caller's loader: the whole
 * intel, once (cs_matcher_from_snapshot), or the indicators of that key,
 * once per key, into one intel that grows while threads read it
 * (cs_matcher_from_snapshot_keyed: a case of 200,000 indicators is not
 * read whole for a hit on one). A hunt that finds nothing never loads
 * the indicator records; one that finds something reports exactly what a
 * hunt with the intel loaded first would (a fingerprint collision costs
 * a load, never a hit).
 *
 * Loading by key, the locks: tf_mu orders the loads (one at a time, the
 * keys asked for remembered); the intel's own lock (cs__intel_share) is
 * held around each load and taken by every reader of the intel's tables,
 * so a key's indicators appear whole or not at all, and those handed out
 * never move or change. `opened`, `nets` and `complete` are published
 * with release stores after what they guard is done; past KEYS_WHOLE
 * keys the rest of the intel is read in one pass (kl->rest) and every
 * lookup from then on is the intel's own.
 *
 * Only intel the log hunt uses whole is snapshot: a case with YARA or
 * Sigma rules, regexes or compound indicators (whose compilation reports
 * problems at start, or which run on events) is always loaded first.
 *
 * The entry is mapped, not read (cs__mcache_map): the fingerprints and
 * the filter's arrays are used where they lie, so start-up costs the
 * checksum over the file and little else.
 *
 * Payload, native byte order (the cache key names the machine's), each
 * array at a multiple of 8 from its start:
 *   "CSTSNAP1" | u64 indicators, ndomain, naddr, nurl, nemail, email_max,
 *   hashes | v4len[33] | v6len[129] | 0-7 zero bytes | u64 nfp |
 *   u64 fp[nfp], increasing | u64 filter_len | filter (cs__tfilter_save)
 */
#include <stdlib.h>
#include <string.h>

#include "intel/intel_int.h"
#include "match/match_int.h"

#define SNAP_MAGIC   "CSTSNAP1"
#define SNAP_KIND    "tsnap"
#define SNAP_SCALARS 7

struct cs_tsnap {
	const uint64_t *fp; /* in the entry */
	size_t nfp;
	struct cs_mcache_entry e; /* mapped; or nothing (cs__tsnap_check) */
	/* Loading by key (cs_matcher_from_snapshot_keyed), or NULL: the
	 * intel is loaded whole. `opened` (atomic) once the matcher's intel
	 * exists, `nets` once its networks are loaded and m->nets built;
	 * `tried`: the keys asked for (tag byte, then the key), under tf_mu. */
	const struct cs_intel_keyload *kl;
	int opened, nets;
	struct cs_map tried;
	/* Keys read one by one so far, and how many the intel holds in all
	 * (the snapshot's count): past KEYS_WHOLE(nind) keys the rest is
	 * read in one pass (kl->rest), and `complete` (atomic) is set. */
	size_t nkeys, nind;
	int complete;
};

/* A key read costs some 20 times what one indicator of the whole load
 * costs: past this many keys, the whole load would have been cheaper. */
#define KEYS_WHOLE(n) ((n) / 64 + 64)

uint64_t cs__tsnap_fp(unsigned tag, const void *key, size_t n)
{
	const unsigned char *p = key;
	uint64_t h = 0xcbf29ce484222325ULL ^ tag;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	h ^= n;
	return cs__fmix64(h);
}

static int tsnap_has(const struct cs_tsnap *s, uint64_t f)
{
	size_t lo = 0, hi = s->nfp;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->fp[mid] < f)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->nfp && s->fp[lo] == f;
}

static void tsnap_free(struct cs_tsnap *s)
{
	if (!s)
		return;
	cs__mcache_entry_release(&s->e);
	cs__map_release(&s->tried);
	free(s);
}

/* The cache key: the stamp of the case's intel, and everything of this
 * build that the payload's meaning depends on. */
static int snap_key(const char *stamp, unsigned char *key)
{
	struct cs_keyer k;
	uint32_t order = 0x01020304u, layout = cs__tfilter_layout();
	uint32_t sizes[3] = {(uint32_t)sizeof(size_t), (uint32_t)sizeof(int),
	                     (uint32_t)sizeof(struct cs_tsnap)};

	cs__key_begin(&k, "chainsweep log-hunt snapshot 1");
	cs__key_add(&k, &order, sizeof(order));
	cs__key_add(&k, &layout, sizeof(layout));
	cs__key_add(&k, sizes, sizeof(sizes));
	cs__key_adds(&k, stamp);
	return cs__key_end(&k, key) ? CS_OK : CS_ERR_NOMEM;
}

/* Can a hunt with this intel start from a snapshot? Only when nothing in
 * it is compiled with diagnostics or needed before the first hit. */
static int snap_eligible(const struct cs_intel *in)
{
	size_t i, n = cs_intel_count(in);

	if (!n || cs_intel_yara_count(in) || cs_intel_sigma_count(in))
		return 0;
	for (i = 0; i < n; i++) {
		switch (cs_indicator_kind(cs_intel_at(in, i))) {
		case CS_KIND_MD5:
		case CS_KIND_SHA1:
		case CS_KIND_SHA256:
		case CS_KIND_SHA512:
		case CS_KIND_DOMAIN:
		case CS_KIND_IPV4:
		case CS_KIND_IPV6:
		case CS_KIND_CIDR:
		case CS_KIND_URL:
		case CS_KIND_EMAIL:
		case CS_KIND_FILENAME:
		case CS_KIND_PRODUCT_VERSION:
		case CS_KIND_CERT_SERIAL:
			break;
		default:
			return 0;
		}
	}
	return 1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The sorted, distinct fingerprints of every key the text matcher can
 * look up in `in`. */
static int snap_fps(const struct cs_intel *in, uint64_t **out, size_t *nout)
{
	size_t i, n = cs_intel_count(in), k = 0, j;
	uint64_t *v = malloc((n ? n : 1) * sizeof(*v));

	if (!v)
		return CS_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		const struct cs_indicator *ind = cs_intel_at(in, i);
		enum cs_kind kind = cs_indicator_kind(ind);
		const char *val = cs_indicator_value(ind);
		unsigned char key[18];
		size_t klen;
		long plen;
		int fam;

		switch (kind) {
		case CS_KIND_MD5:
		case CS_KIND_SHA1:
		case CS_KIND_SHA256:
		case CS_KIND_SHA512:
		case CS_KIND_DOMAIN:
		case CS_KIND_IPV4:
		case CS_KIND_IPV6:
		case CS_KIND_URL:
		case CS_KIND_EMAIL:
			v[k++] = cs__tsnap_fp((unsigned)kind, val, strlen(val));
			break;
		case CS_KIND_CIDR:
			klen = cs__match_cidr_key(val, key, &fam, &plen);
			if (klen)
				v[k++] = cs__tsnap_fp(CS_TSNAP_NET, key, klen);
			break;
		default:
			break;
		}
	}
	if (k)
		qsort(v, k, sizeof(*v), cmp_u64);
	for (i = j = 0; i < k; i++)
		if (!j || v[j - 1] != v[i])
			v[j++] = v[i];
	*out = v;
	*nout = j;
	return CS_OK;
}

int cs_matcher_snapshot_put(const struct cs_matcher *m, const char *cache_dir, const char *stamp)
{
	unsigned char key[32];
	uint64_t sc[SNAP_SCALARS], nfp, flen;
	uint64_t *fps = NULL;
	size_t n = 0, at;
	struct cs_buf b;
	int rc;

	if (!cache_dir || !*cache_dir || !stamp || !m->intel || m->snap)
		return CS_ERR_INVALID;
	if (!snap_eligible(m->intel))
		return CS_ERR_UNSUPPORTED;
	cs__match_text_prepare(m);
	if (!m->tf)
		return CS_ERR_UNSUPPORTED;
	rc = snap_key(stamp, key);
	if (!rc)
		rc = snap_fps(m->intel, &fps, &n);
	if (rc)
		return rc;
	sc[0] = cs_intel_count(m->intel);
	sc[1] = m->ndomain;
	sc[2] = m->naddr;
	sc[3] = m->nurl;
	sc[4] = m->nemail;
	sc[5] = m->email_max;
	sc[6] = m->hashes;
	nfp = n;
	cs__buf_init(&b, 0);
	rc = cs__buf_add(&b, SNAP_MAGIC, 8);
	if (!rc)
		rc = cs__buf_add(&b, sc, sizeof(sc));
	if (!rc)
		rc = cs__buf_add(&b, m->v4len, sizeof(m->v4len));
	if (!rc)
		rc = cs__buf_add(&b, m->v6len, sizeof(m->v6len));
	if (!rc)
		rc = cs__buf_add(&b, "\0\0\0\0\0\0\0", (8 - b.len % 8) % 8);
	if (!rc)
		rc = cs__buf_add(&b, &nfp, sizeof(nfp));
	if (!rc && n)
		rc = cs__buf_add(&b, fps, n * sizeof(*fps));
	at = b.len;
	flen = 0;
	if (!rc)
		rc = cs__buf_add(&b, &flen, sizeof(flen));
	if (!rc)
		rc = cs__tfilter_save(m->tf, &b);
	if (!rc) {
		flen = b.len - at - sizeof(flen);
		memcpy(b.data + at, &flen, sizeof(flen));
		rc = cs__mcache_put(cache_dir, SNAP_KIND, key, NULL, 0, b.data, b.len);
	}
	cs__buf_release(&b);
	free(fps);
	return rc;
}

/*
 * Read a payload at p (8-byte aligned; it must outlive the parts: the
 * fingerprints and the filter's arrays stay in it) into a matcher's
 * parts. Every length is checked against what is left before it is used;
 * the fingerprints must increase (the binary search relies on it).
 * Returns CS_OK, CS_ERR_PARSE, CS_ERR_NOMEM.
 */
static int snap_parse(const unsigned char *p, size_t n, struct cs_matcher *m,
                      struct cs_tsnap **snap, struct cs_tfilter **tf)
{
	const unsigned char *start = p, *end = p + n;
	uint64_t sc[SNAP_SCALARS], nfp, flen, i;
	size_t head = 8 + sizeof(sc) + sizeof(m->v4len) + sizeof(m->v6len);
	struct cs_tsnap *s;
	int rc;

	*snap = NULL;
	*tf = NULL;
	head += (8 - head % 8) % 8;
	if ((uintptr_t)p % 8 || n < head + sizeof(nfp) || memcmp(p, SNAP_MAGIC, 8) != 0)
		return CS_ERR_PARSE;
	p += 8;
	memcpy(sc, p, sizeof(sc));
	p += sizeof(sc);
	memcpy(m->v4len, p, sizeof(m->v4len));
	p += sizeof(m->v4len);
	memcpy(m->v6len, p, sizeof(m->v6len));
	p = start + head;
	memcpy(&nfp, p, sizeof(nfp));
	p += sizeof(nfp);
	if (sc[0] == 0 || sc[0] > SIZE_MAX / 2 || sc[5] > ((size_t)64 << 10) ||
	    nfp > (uint64_t)(end - p) / sizeof(uint64_t))
		return CS_ERR_PARSE;
	s = calloc(1, sizeof(*s));
	if (!s)
		return CS_ERR_NOMEM;
	cs__map_init(&s->tried);
	s->nind = (size_t)sc[0];
	s->nfp = (size_t)nfp;
	s->fp = (const uint64_t *)(const void *)p;
	p += s->nfp * sizeof(uint64_t);
	for (i = 1; i < nfp; i++)
		if (s->fp[i - 1] >= s->fp[i])
			break;
	if ((nfp && i < nfp) || (size_t)(end - p) < sizeof(flen)) {
		tsnap_free(s);
		return CS_ERR_PARSE;
	}
	memcpy(&flen, p, sizeof(flen));
	p += sizeof(flen);
	if (flen != (uint64_t)(end - p)) {
		tsnap_free(s);
		return CS_ERR_PARSE;
	}
	rc = cs__tfilter_load(p, (size_t)flen, 1, tf);
	if (rc) {
		tsnap_free(s);
		return rc;
	}
	m->ndomain = (size_t)sc[1];
	m->naddr = (size_t)sc[2];
	m->nurl = (size_t)sc[3];
	m->nemail = (size_t)sc[4];
	m->email_max = (size_t)sc[5];
	m->hashes = (unsigned)sc[6];
	*snap = s;
	return CS_OK;
}

int cs__tsnap_check(const void *p, size_t n)
{
	struct cs_matcher m;
	struct cs_tsnap *s;
	struct cs_tfilter *tf;
	void *copy = malloc(n ? n : 1); /* aligned, as a mapping is */
	int rc;

	if (!copy)
		return CS_ERR_NOMEM;
	if (n)
		memcpy(copy, p, n);
	memset(&m, 0, sizeof(m));
	rc = snap_parse(copy, n, &m, &s, &tf);
	if (!rc) {
		/* What a hunt would do with it: probe both parts. */
		(void)tsnap_has(s, cs__tsnap_fp(CS_KIND_DOMAIN, "evil.example", 12));
		(void)cs__tfilter_any(tf, "a evil.example 198.51.100.7 http://x.example/ ::1", 48);
		tsnap_free(s);
		cs__tfilter_free(tf);
	}
	free(copy);
	return rc;
}

static int from_snapshot(const char *cache_dir, const char *stamp, cs_intel_load_fn load,
                         const struct cs_intel_keyload *kl, void *userdata, struct cs_matcher **out)
{
	struct cs_mcache_entry e;
	unsigned char key[32];
	struct cs_matcher *m;
	int rc;

	*out = NULL;
	if (!cache_dir || !*cache_dir || !stamp || (!load && (!kl || !kl->open || !kl->key)))
		return CS_ERR_NOTFOUND;
	rc = snap_key(stamp, key);
	if (rc)
		return rc;
	rc = cs__mcache_map(cache_dir, SNAP_KIND, key, &e);
	if (rc)
		return rc;
	m = cs__calloc(1, sizeof(*m));
	if (!m) {
		cs__mcache_entry_release(&e);
		return CS_ERR_NOMEM;
	}
	cs__map_init(&m->names);
	cs__map_init(&m->nets);
	cs__map_init(&m->canchors);
	cs__arena_init(&m->arena);
	pthread_mutex_init(&m->tf_mu, NULL);
	rc = snap_parse(e.payload, e.payload_len, m, &m->snap, &m->tf);
	if (rc) {
		cs__mcache_entry_release(&e);
		cs_matcher_free(m);
		return rc == CS_ERR_NOMEM ? rc : CS_ERR_PARSE;
	}
	m->snap->e = e; /* the parts point into it */
	m->snap->kl = kl;
	m->tf_tried = 1;
	m->load = load;
	m->load_ud = userdata;
	*out = m;
	return CS_OK;
}

int cs_matcher_from_snapshot(const char *cache_dir, const char *stamp, cs_intel_load_fn load,
                             void *userdata, struct cs_matcher **out)
{
	return from_snapshot(cache_dir, stamp, load, NULL, userdata, out);
}

int cs_matcher_from_snapshot_keyed(const char *cache_dir, const char *stamp,
                                   const struct cs_intel_keyload *kl, void *userdata,
                                   struct cs_matcher **out)
{
	return from_snapshot(cache_dir, stamp, NULL, kl, userdata, out);
}

static const struct cs_intel *load_failed(int lrc, int *rc)
{
	if (!*rc)
		*rc = lrc;
	return NULL;
}

/* The intel a loader made (rc its answer): the matcher's own from now
 * on, published through *done; or freed, and the failure published
 * through m->load_rc. Under tf_mu. */
static void adopt(struct cs_matcher *m, int rc, struct cs_intel *in, int *done)
{
	if (!rc && !in)
		rc = CS_ERR_INVALID;
	if (rc) {
		cs_intel_free(in);
		__atomic_store_n(&m->load_rc, rc, __ATOMIC_RELEASE);
		return;
	}
	m->own_intel = in;
	m->intel = in;
	__atomic_store_n(done, 1, __ATOMIC_RELEASE);
}

/* The whole intel through m->load, once (under tf_mu); NULL with *rc
 * set when it failed, now or before. */
static const struct cs_intel *load_whole(struct cs_matcher *m, int *rc)
{
	int lrc = __atomic_load_n(&m->load_rc, __ATOMIC_ACQUIRE);

	if (lrc)
		return load_failed(lrc, rc);
	pthread_mutex_lock(&m->tf_mu);
	if (!m->loaded && !m->load_rc) {
		struct cs_intel *in = NULL;

		lrc = m->load(m->load_ud, &in);
		if (!lrc && in)
			lrc = cs__match_build_net(m, in, 0);
		adopt(m, lrc, in, &m->loaded);
	}
	lrc = m->load_rc;
	pthread_mutex_unlock(&m->tf_mu);
	return lrc ? load_failed(lrc, rc) : m->intel;
}

/* Past KEYS_WHOLE keys: every indicator not loaded yet, in one pass, and
 * the network table if it is not built; then every lookup is the
 * intel's own. Under tf_mu and the intel's lock. */
static int load_rest(struct cs_matcher *m)
{
	struct cs_tsnap *s = m->snap;
	int lrc = s->kl->rest(m->load_ud, m->own_intel);

	if (!lrc && !s->nets) {
		lrc = cs__match_build_net(m, m->intel, 0);
		if (!lrc)
			__atomic_store_n(&s->nets, 1, __ATOMIC_RELEASE);
	}
	if (!lrc)
		__atomic_store_n(&s->complete, 1, __ATOMIC_RELEASE);
	return lrc;
}

/*
 * The matcher's intel with what key (tag, key[0..n)) needs loaded: the
 * intel made through kl->open the first time, then the indicators of
 * the key through kl->key, once per key (a network key: every CIDR
 * indicator, once, and the network table built). Under tf_mu, and the
 * intel's lock around each change, so that readers of the intel never
 * see an indicator half loaded. NULL with *rc set when a load failed,
 * now or before: the hunt stops with that error.
 */
static const struct cs_intel *load_key(struct cs_matcher *m, unsigned tag, const void *key,
                                       size_t n, int *rc)
{
	struct cs_tsnap *s = m->snap;
	const struct cs_intel_keyload *kl = s->kl;
	int lrc = __atomic_load_n(&m->load_rc, __ATOMIC_ACQUIRE);

	if (lrc)
		return load_failed(lrc, rc);
	pthread_mutex_lock(&m->tf_mu);
	if (!m->load_rc && !s->opened) {
		struct cs_intel *in = NULL;

		lrc = kl->open(m->load_ud, &in);
		adopt(m, lrc, in, &s->opened);
	}
	if (!m->load_rc && tag == CS_TSNAP_NET && !s->nets) {
		cs__intel_lock(m->intel);
		lrc = kl->key(m->load_ud, m->own_intel, CS_KIND_CIDR, NULL);
		if (!lrc)
			lrc = cs__match_build_net(m, m->intel, 0);
		if (lrc)
			__atomic_store_n(&m->load_rc, lrc, __ATOMIC_RELEASE);
		else
			__atomic_store_n(&s->nets, 1, __ATOMIC_RELEASE);
		cs__intel_unlock(m->intel);
	} else if (!m->load_rc && tag != CS_TSNAP_NET && !s->complete) {
		unsigned char *tk = cs__malloc(n + 2);
		uint32_t one;

		lrc = CS_ERR_NOMEM;
		if (tk) {
			tk[0] = (unsigned char)tag;
			memcpy(tk + 1, key, n);
			tk[n + 1] = '\0'; /* the value, as a string */
			lrc = CS_OK;
			if (!cs__map_get(&s->tried, tk, n + 1, &one)) {
				/* A failed load may leave part of an indicator
				 * in the intel: the failure is published before
				 * the lock is given back, and a reader that
				 * finds the key checks it after (cs__match_find). */
				cs__intel_lock(m->intel);
				lrc = kl->key(m->load_ud, m->own_intel, (enum cs_kind)tag,
				              (const char *)tk + 1);
				if (!lrc)
					lrc = cs__map_put(&s->tried, tk, n + 1, 1);
				if (!lrc && kl->rest && ++s->nkeys > KEYS_WHOLE(s->nind))
					lrc = load_rest(m);
				if (lrc)
					__atomic_store_n(&m->load_rc, lrc, __ATOMIC_RELEASE);
				cs__intel_unlock(m->intel);
			}
			free(tk);
		}
		if (lrc)
			__atomic_store_n(&m->load_rc, lrc, __ATOMIC_RELEASE);
	}
	lrc = m->load_rc;
	pthread_mutex_unlock(&m->tf_mu);
	return lrc ? load_failed(lrc, rc) : m->intel;
}

const struct cs_indicator *cs__match_find(const struct cs_matcher *cm, enum cs_kind kind,
                                          const char *v, int *rc)
{
	struct cs_matcher *m = (struct cs_matcher *)(uintptr_t)cm;
	const struct cs_intel *in;
	size_t n;
	int lrc;

	if (!m->snap || __atomic_load_n(&m->loaded, __ATOMIC_ACQUIRE))
		return cs_intel_find(m->intel, kind, v);
	n = strlen(v);
	if (!tsnap_has(m->snap, cs__tsnap_fp((unsigned)kind, v, n)))
		return NULL;
	if (!m->snap->kl) {
		in = load_whole(m, rc);
		return in ? cs_intel_find(in, kind, v) : NULL;
	}
	lrc = __atomic_load_n(&m->load_rc, __ATOMIC_ACQUIRE);
	if (lrc) {
		load_failed(lrc, rc);
		return NULL;
	}
	if (__atomic_load_n(&m->snap->complete, __ATOMIC_ACQUIRE))
		return cs_intel_find(m->intel, kind, v);
	if (__atomic_load_n(&m->snap->opened, __ATOMIC_ACQUIRE)) {
		/* Loaded already: the intel's lock is all it takes. */
		const struct cs_indicator *ind = cs_intel_find(m->intel, kind, v);

		lrc = __atomic_load_n(&m->load_rc, __ATOMIC_ACQUIRE);
		if (lrc) {
			load_failed(lrc, rc);
			return NULL;
		}
		if (ind)
			return ind;
	}
	in = load_key(m, (unsigned)kind, v, n, rc);
	return in ? cs_intel_find(in, kind, v) : NULL;
}

const struct cs_indicator *cs__match_find_net(const struct cs_matcher *cm, const unsigned char *key,
                                              size_t n, int *rc)
{
	struct cs_matcher *m = (struct cs_matcher *)(uintptr_t)cm;
	const struct cs_intel *in;
	uint32_t idx;

	if (!m->snap || __atomic_load_n(&m->loaded, __ATOMIC_ACQUIRE) ||
	    (m->snap->kl && __atomic_load_n(&m->snap->nets, __ATOMIC_ACQUIRE))) {
		in = m->intel;
	} else {
		if (!tsnap_has(m->snap, cs__tsnap_fp(CS_TSNAP_NET, key, n)))
			return NULL;
		in = m->snap->kl ? load_key(m, CS_TSNAP_NET, key, n, rc) : load_whole(m, rc);
		if (!in)
			return NULL;
	}
	return cs__map_get(&m->nets, key, n, &idx) ? cs_intel_at(in, idx) : NULL;
}

int cs__match_load_rc(const struct cs_matcher *m)
{
	return __atomic_load_n(&m->load_rc, __ATOMIC_ACQUIRE);
}

const struct cs_intel *cs_matcher_intel(const struct cs_matcher *m)
{
	if (m->snap && !__atomic_load_n(&m->loaded, __ATOMIC_ACQUIRE) &&
	    !(m->snap->kl && __atomic_load_n(&m->snap->opened, __ATOMIC_ACQUIRE)))
		return NULL;
	return m->intel;
}

void cs__tsnap_free(struct cs_tsnap *s)
{
	tsnap_free(s);
}

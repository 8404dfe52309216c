/*
 * String-keyed hash map (open addressing, linear probing) and the string
 * interning table built on it.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"

struct cs_map_slot {
	const char *key; /* NULL: empty */
	uint32_t len;
	uint32_t val;
	uint64_t hash;
};

/*
 * Eight bytes at a time: each word is mixed in with a multiply and a
 * rotation, the tail of under eight bytes as one more word, and the
 * length and a final avalanche (MurmurHash3's) spread every input bit
 * over the result. Linear probing wants well-spread low bits.
 */
uint64_t cs__hash_bytes(const void *p, size_t n)
{
	const unsigned char *s = p;
	const uint64_t k = 0x9e3779b97f4a7c15ULL;
	uint64_t h = 0xcbf29ce484222325ULL ^ (n * k), w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * k;
		h = (h << 31) | (h >> 33);
	}
	if (n) {
		w = 0;
		memcpy(&w, s, n);
		h = (h ^ w) * k;
		h = (h << 31) | (h >> 33);
	}
	return cs__fmix64(h);
}

void cs__map_init(struct cs_map *m)
{
	m->slots = NULL;
	m->nslots = 0;
	m->count = 0;
	cs__arena_init(&m->keys);
}

void cs__map_release(struct cs_map *m)
{
	free(m->slots);
	cs__arena_release(&m->keys);
	cs__map_init(m);
}

static struct cs_map_slot *map_find(const struct cs_map *m, const void *key, size_t len,
				    uint64_t h)
{
	size_t mask = m->nslots - 1, i = (size_t)h & mask;

	for (;;) {
		struct cs_map_slot *s = &m->slots[i];

		if (!s->key)
			return s;
		if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0)
			return s;
		i = (i + 1) & mask;
	}
}

static int map_resize(struct cs_map *m)
{
	size_t n = m->nslots ? m->nslots * 2 : 64, i;
	struct cs_map_slot *old = m->slots;
	size_t oldn = m->nslots;

	m->slots = calloc(n, sizeof(*m->slots));
	if (!m->slots) {
		m->slots = old;
		return CS_ERR_NOMEM;
	}
	m->nslots = n;
	for (i = 0; i < oldn; i++) {
		if (old[i].key)
			*map_find(m, old[i].key, old[i].len, old[i].hash) = old[i];
	}
	free(old);
	return CS_OK;
}

int cs__map_get(const struct cs_map *m, const void *key, size_t len, uint32_t *val)
{
	const struct cs_map_slot *s;

	if (!m->count || len > UINT32_MAX)
		return 0;
	s = map_find(m, key, len, cs__hash_bytes(key, len));
	if (!s->key)
		return 0;
	*val = s->val;
	return 1;
}

int cs__map_put(struct cs_map *m, const void *key, size_t len, uint32_t val)
{
	struct cs_map_slot *s;
	uint64_t h;

	if (len > UINT32_MAX)
		return CS_ERR_TOOBIG;
	if ((m->count + 1) * 4 > m->nslots * 3 && map_resize(m))
		return CS_ERR_NOMEM;
	h = cs__hash_bytes(key, len);
	s = map_find(m, key, len, h);
	if (!s->key) {
		char *k = cs__arena_strndup(&m->keys, key, len);

		if (!k)
			return CS_ERR_NOMEM;
		s->key = k;
		s->len = (uint32_t)len;
		s->hash = h;
		m->count++;
	}
	s->val = val;
	return CS_OK;
}

void cs__strtab_init(struct cs_strtab *t)
{
	cs__map_init(&t->map);
	t->strs = NULL;
	t->n = 0;
	t->cap = 0;
}

void cs__strtab_release(struct cs_strtab *t)
{
	cs__map_release(&t->map);
	free(t->strs);
	t->strs = NULL;
	t->n = t->cap = 0;
}

uint32_t cs__strtab_intern(struct cs_strtab *t, const char *s, size_t len)
{
	uint32_t id;

	if (cs__map_get(&t->map, s, len, &id))
		return id;
	if (t->n == 0) {
		if (cs__grow((void **)&t->strs, &t->cap, 1, sizeof(*t->strs)))
			return 0;
		t->strs[0] = NULL;
		t->n = 1;
	}
	if (t->n >= UINT32_MAX || cs__grow((void **)&t->strs, &t->cap, t->n + 1, sizeof(*t->strs)))
		return 0;
	id = (uint32_t)t->n;
	if (cs__map_put(&t->map, s, len, id))
		return 0;
	/* The map's arena holds the copy; find it again to share it. */
	{
		uint64_t h = cs__hash_bytes(s, len);
		const struct cs_map_slot *slot = map_find(&t->map, s, len, h);

		t->strs[id] = slot->key;
	}
	t->n++;
	return id;
}

uint32_t cs__strtab_find(const struct cs_strtab *t, const char *s, size_t len)
{
	uint32_t id;

	return cs__map_get(&t->map, s, len, &id) ? id : 0;
}

const char *cs__strtab_get(const struct cs_strtab *t, uint32_t id)
{
	return id && id < t->n ? t->strs[id] : NULL;
}

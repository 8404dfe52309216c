/*
 * The in-memory file inventory: records sorted by path, so that a file's
 * record and the records of its archive members ("a.zip!/...") are found
 * by binary search.
 */
#include <stdlib.h>
#include <string.h>

#include "scan/scan_int.h"

struct cs_inventory {
	struct cs_file_record *v;
	size_t n, cap;
	struct cs_arena strs;
	int sealed;
};

struct cs_inventory *cs_inventory_new(void)
{
	struct cs_inventory *inv = cs__calloc(1, sizeof(*inv));

	if (inv)
		cs__arena_init(&inv->strs);
	return inv;
}

void cs_inventory_free(struct cs_inventory *inv)
{
	if (!inv)
		return;
	free(inv->v);
	cs__arena_release(&inv->strs);
	free(inv);
}

static const char *dup(struct cs_inventory *inv, const char *s, int *nomem)
{
	char *d;

	if (!s)
		return NULL;
	d = cs__arena_strndup(&inv->strs, s, strlen(s));
	if (!d)
		*nomem = 1;
	return d;
}

int cs_inventory_add(struct cs_inventory *inv, const struct cs_file_record *r)
{
	struct cs_file_record *d;
	int nomem = 0, rc;

	if (!r->path)
		return CS_ERR_INVALID;
	rc = cs__grow((void **)&inv->v, &inv->cap, inv->n + 1, sizeof(*inv->v));
	if (rc)
		return rc;
	d = &inv->v[inv->n];
	*d = *r;
	d->path = dup(inv, r->path, &nomem);
	d->md5 = dup(inv, r->md5, &nomem);
	d->sha1 = dup(inv, r->sha1, &nomem);
	d->sha256 = dup(inv, r->sha256, &nomem);
	d->sha512 = dup(inv, r->sha512, &nomem);
	d->yara = dup(inv, r->yara, &nomem);
	if (nomem)
		return CS_ERR_NOMEM;
	inv->n++;
	inv->sealed = 0;
	return CS_OK;
}

static int cmp_rec(const void *a, const void *b)
{
	return strcmp(((const struct cs_file_record *)a)->path,
	              ((const struct cs_file_record *)b)->path);
}

void cs_inventory_seal(struct cs_inventory *inv)
{
	if (inv->n)
		qsort(inv->v, inv->n, sizeof(*inv->v), cmp_rec);
	inv->sealed = 1;
}

size_t cs_inventory_count(const struct cs_inventory *inv)
{
	return inv ? inv->n : 0;
}

const struct cs_file_record *cs_inventory_at(const struct cs_inventory *inv, size_t i)
{
	return inv && i < inv->n ? &inv->v[i] : NULL;
}

/* Index of the first record whose path is >= key. */
static size_t lower_bound(const struct cs_inventory *inv, const char *key)
{
	size_t lo = 0, hi = inv->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(inv->v[mid].path, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct cs_file_record *cs_inventory_find(const struct cs_inventory *inv, const char *path)
{
	size_t i;

	if (!inv || !inv->sealed)
		return NULL;
	i = lower_bound(inv, path);
	return i < inv->n && strcmp(inv->v[i].path, path) == 0 ? &inv->v[i] : NULL;
}

size_t cs__inventory_range(const struct cs_inventory *inv, const char *prefix,
                           const struct cs_file_record **first)
{
	size_t i, j, n = strlen(prefix);

	*first = NULL;
	if (!inv || !inv->sealed)
		return 0;
	i = lower_bound(inv, prefix);
	for (j = i; j < inv->n && strncmp(inv->v[j].path, prefix, n) == 0; j++)
		;
	if (j > i)
		*first = &inv->v[i];
	return j - i;
}

const struct cs_file_record *cs__inventory_at(const struct cs_inventory *inv, size_t i)
{
	return i < inv->n ? &inv->v[i] : NULL;
}

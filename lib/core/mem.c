/*
 * Allocation wrappers, bounded buffers and the string arena.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/core_int.h"

#define CS_BUF_DEFAULT_MAX ((size_t)1 << 30)
#define CS_ARENA_BLOCK ((size_t)64 << 10)
#define CS_HUGE_PAGE   ((size_t)2 << 20)

void *cs__malloc(size_t n)
{
	return malloc(n ? n : 1);
}

/*
 * On a virtual machine a first touch of a 4 KiB page costs about 13 us
 * (bench/RESULTS.md, 22:40 section), so the memory a large indicator set
 * is loaded into costs more in page faults than in the loading. Blocks of
 * 2 MiB and more are aligned to 2 MiB and advised as huge pages; the
 * rounding up stays untouched (no memory) unless written. Only advice:
 * where transparent huge pages are off, this is an aligned malloc.
 */
void *cs__malloc_huge(size_t n)
{
	size_t whole;
	void *p;

	if (n < CS_HUGE_PAGE || n > SIZE_MAX - CS_HUGE_PAGE)
		return cs__malloc(n);
	whole = (n + CS_HUGE_PAGE - 1) & ~(CS_HUGE_PAGE - 1);
	p = aligned_alloc(CS_HUGE_PAGE, whole);
#ifdef MADV_HUGEPAGE
	if (p)
		(void)madvise(p, whole, MADV_HUGEPAGE);
#endif
	return p;
}

void *cs__calloc(size_t n, size_t size)
{
	return calloc(n ? n : 1, size ? size : 1);
}

void *cs__realloc(void *p, size_t n)
{
	return realloc(p, n ? n : 1);
}

/*
 * Grow an array geometrically so that it holds at least `need` elements.
 * On failure the array is left as it was.
 */
int cs__grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *np;

	if (need <= *cap)
		return CS_OK;
	ncap = *cap ? *cap : 8;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return CS_ERR_TOOBIG;
		ncap *= 2;
	}
	if (ncap > SIZE_MAX / size)
		return CS_ERR_TOOBIG;
	np = realloc(*p, ncap * size);
	if (!np)
		return CS_ERR_NOMEM;
	*p = np;
	*cap = ncap;
	return CS_OK;
}

char *cs__strndup(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (!d)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

void cs__copy_n(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

char *cs__strdup(const char *s)
{
	return cs__strndup(s, strlen(s));
}

void cs__buf_init(struct cs_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max ? max : CS_BUF_DEFAULT_MAX;
}

void cs__buf_release(struct cs_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void cs__buf_reset(struct cs_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* Make room for n more bytes plus the terminating NUL. */
static int buf_reserve(struct cs_buf *b, size_t n)
{
	size_t need, ncap;
	char *nd;

	if (n > b->max || b->len > b->max - n)
		return CS_ERR_TOOBIG;
	need = b->len + n + 1;
	if (need <= b->cap)
		return CS_OK;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	nd = realloc(b->data, ncap);
	if (!nd)
		return CS_ERR_NOMEM;
	b->data = nd;
	b->cap = ncap;
	return CS_OK;
}

int cs__buf_add(struct cs_buf *b, const void *p, size_t n)
{
	int rc = buf_reserve(b, n);

	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return CS_OK;
}

int cs__buf_addc(struct cs_buf *b, char c)
{
	return cs__buf_add(b, &c, 1);
}

int cs__buf_adds(struct cs_buf *b, const char *s)
{
	return cs__buf_add(b, s, strlen(s));
}

int cs__buf_vprintf(struct cs_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n, rc;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return CS_ERR_INVALID;
	rc = buf_reserve(b, (size_t)n);
	if (rc)
		return rc;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return CS_OK;
}

int cs__buf_printf(struct cs_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = cs__buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

const char *cs__buf_cstr(const struct cs_buf *b)
{
	return b->data ? b->data : "";
}

char *cs__buf_detach(struct cs_buf *b)
{
	char *d = b->data;

	if (!d)
		d = cs__strndup("", 0);
	b->data = NULL;
	b->len = b->cap = 0;
	return d;
}

struct cs_arena_block {
	struct cs_arena_block *next;
	size_t size;
	max_align_t align;
};

void cs__arena_init(struct cs_arena *a)
{
	a->head = NULL;
	a->used = 0;
	a->total = 0;
}

void cs__arena_release(struct cs_arena *a)
{
	struct cs_arena_block *b = a->head, *next;

	while (b) {
		next = b->next;
		free(b);
		b = next;
	}
	cs__arena_init(a);
}

/*
 * Hand out n bytes aligned for any type. Large requests get a block of
 * their own so that one huge value does not waste a shared block.
 */
void *cs__arena_alloc(struct cs_arena *a, size_t n)
{
	const size_t al = sizeof(max_align_t);
	struct cs_arena_block *b;
	size_t size;
	char *base;

	n = (n + al - 1) & ~(al - 1);
	if (!n)
		n = al;
	if (a->head && a->head->size - a->used >= n) {
		base = (char *)&a->head->align;
		a->used += n;
		a->total += n;
		return base + a->used - n;
	}
	/* Blocks grow with the arena (an eighth of what it holds, up to a
	 * huge page), so a large set lives in few blocks on huge pages. */
	size = a->total / 8 < CS_ARENA_BLOCK ? CS_ARENA_BLOCK
	       : a->total / 8 < CS_HUGE_PAGE ? a->total / 8
	                                      : CS_HUGE_PAGE - offsetof(struct cs_arena_block, align);
	if (n > size / 4)
		size = n;
	b = size + offsetof(struct cs_arena_block, align) >= CS_HUGE_PAGE
	            ? cs__malloc_huge(offsetof(struct cs_arena_block, align) + size)
	            : malloc(offsetof(struct cs_arena_block, align) + size);
	if (!b)
		return NULL;
	b->size = size;
	if (size == n && a->head) {
		/* Dedicated block: keep the current head for small strings. */
		b->next = a->head->next;
		a->head->next = b;
	} else {
		b->next = a->head;
		a->head = b;
		a->used = n;
	}
	a->total += n;
	return &b->align;
}

char *cs__arena_strndup(struct cs_arena *a, const char *s, size_t n)
{
	char *d;

	if (n == SIZE_MAX)
		return NULL;
	d = cs__arena_alloc(a, n + 1);
	if (!d)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

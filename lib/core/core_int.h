/*
 * Private helpers of lib/core: bounded buffers, an arena for strings,
 * a string-keyed hash map and a string interning table.
 *
 * Every growable structure has a cap; exceeding it is CS_ERR_TOOBIG,
 * never an abort. None of these objects is thread-safe; each thread owns
 * its own.
 */
#ifndef CS_CORE_INT_H
#define CS_CORE_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "chainsweep/error.h"

#define CS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define CS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CS_PRINTF(f, a)
#endif

/* Allocation wrappers: return NULL on failure, never abort. */
void *cs__malloc(size_t n);
void *cs__calloc(size_t n, size_t size);
void *cs__realloc(void *p, size_t n);
/* A large block (freed with free(), realloc() works on it) whose 2 MiB
 * pages the kernel is asked to back with transparent huge pages: one
 * page fault where there would be 512. Small requests are plain malloc. */
void *cs__malloc_huge(size_t n);
/* Grow *p (an array of *cap elements of `size` bytes) to hold at least
 * `need` elements. Returns CS_OK or CS_ERR_NOMEM/CS_ERR_TOOBIG. */
int cs__grow(void **p, size_t *cap, size_t need, size_t size);
char *cs__strndup(const char *s, size_t n);
char *cs__strdup(const char *s);
/* Copy [s, s+n) into dst[cap] (cap >= 1), cut to cap - 1 bytes, NUL-ended. */
void cs__copy_n(char *dst, size_t cap, const char *s, size_t n);

/*
 * struct cs_buf: a growable byte buffer that is always NUL-terminated
 * (data[len] == 0 once anything was added) and never exceeds `max`
 * bytes of content (0 = 1 GiB default cap).
 */
struct cs_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
};

void cs__buf_init(struct cs_buf *b, size_t max);
void cs__buf_release(struct cs_buf *b);
void cs__buf_reset(struct cs_buf *b);
int cs__buf_add(struct cs_buf *b, const void *p, size_t n);
int cs__buf_addc(struct cs_buf *b, char c);
int cs__buf_adds(struct cs_buf *b, const char *s);
int cs__buf_printf(struct cs_buf *b, const char *fmt, ...) CS_PRINTF(2, 3);
int cs__buf_vprintf(struct cs_buf *b, const char *fmt, va_list ap) CS_PRINTF(2, 0);
/* Returns data, or "" when nothing was added yet; never NULL. */
const char *cs__buf_cstr(const struct cs_buf *b);
/* Hand the data to the caller (caller frees) and reset the buffer. */
char *cs__buf_detach(struct cs_buf *b);

/*
 * struct cs_arena: bump allocator for many small strings that live as
 * long as their owner. Freed all at once by cs__arena_release().
 */
struct cs_arena_block;
struct cs_arena {
	struct cs_arena_block *head;
	size_t used;  /* bytes used in head */
	size_t total; /* bytes handed out overall */
};

void cs__arena_init(struct cs_arena *a);
void cs__arena_release(struct cs_arena *a);
void *cs__arena_alloc(struct cs_arena *a, size_t n);
/* Copy n bytes and append a NUL. */
char *cs__arena_strndup(struct cs_arena *a, const char *s, size_t n);

/*
 * struct cs_map: open-addressing hash map from byte strings to uint32_t.
 * Keys are copied into the map's arena. Values are caller-defined
 * (typically an index into the caller's own array).
 */
struct cs_map_slot;
struct cs_map {
	struct cs_map_slot *slots;
	size_t nslots; /* power of two */
	size_t count;
	struct cs_arena keys;
};

void cs__map_init(struct cs_map *m);
void cs__map_release(struct cs_map *m);
uint64_t cs__hash_bytes(const void *p, size_t n);
/* Returns 1 and writes *val when found, 0 when absent. */
int cs__map_get(const struct cs_map *m, const void *key, size_t len, uint32_t *val);
/* Insert or replace. Returns CS_OK or CS_ERR_NOMEM. */
int cs__map_put(struct cs_map *m, const void *key, size_t len, uint32_t val);

/*
 * struct cs_strtab: interns strings; id 0 is reserved for "no string",
 * so valid ids start at 1. Strings live until cs__strtab_release().
 */
struct cs_strtab {
	struct cs_map map;
	const char **strs; /* strs[id], strs[0] == NULL */
	size_t n;
	size_t cap;
};

void cs__strtab_init(struct cs_strtab *t);
void cs__strtab_release(struct cs_strtab *t);
/* Returns the id (>= 1), or 0 when out of memory. */
uint32_t cs__strtab_intern(struct cs_strtab *t, const char *s, size_t len);
/* Returns the id, or 0 when the string was never interned. */
uint32_t cs__strtab_find(const struct cs_strtab *t, const char *s, size_t len);
const char *cs__strtab_get(const struct cs_strtab *t, uint32_t id);

/* ASCII helpers that do not depend on the locale. */
/* The 64-bit finalizer of MurmurHash3: every input bit moves every output
 * bit. The hashes built on it (map.c, the text filter, the start-up
 * snapshot's persisted fingerprints) depend on these exact constants. */
static inline uint64_t cs__fmix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static inline int cs__lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}
static inline int cs__isdigit(int c)
{
	return c >= '0' && c <= '9';
}
static inline int cs__isxdigit(int c)
{
	return cs__isdigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static inline int cs__isspace(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
static inline int cs__isalpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static inline int cs__isalnum(int c)
{
	return cs__isalpha(c) || cs__isdigit(c);
}
/* Case-insensitive comparison of n ASCII bytes; 0 when equal. */
int cs__strncasecmp(const char *a, const char *b, size_t n);
/* 1 when [s, s+len) equals the NUL-terminated word, ignoring ASCII case. */
int cs__eqi(const char *s, size_t len, const char *word);
/* The part of a path after its last '/' ("" for NULL). */
const char *cs__path_base(const char *path);
/* 1 when the base name of `path` contains `word` / ends with `suffix`,
 * ignoring ASCII case (readers' bids look at file names this way). */
int cs__name_has(const char *path, const char *word);
int cs__name_ends(const char *path, const char *suffix);
/* Trim ASCII white space from both ends of [*s, *s + *len). */
void cs__trim(const char **s, size_t *len);

/* Read a whole file into memory, refusing files larger than max bytes.
 * *out is NUL-terminated (not counted in *len). Caller frees. */
int cs__read_file(const char *path, size_t max, char **out, size_t *len, int *err_no);

/* Parse an ISO 8601 / RFC 3339 timestamp ("2023-03-29T12:00:00Z",
 * "2023-03-29 12:00:00", "2023-03-29"); zone-less stamps are UTC.
 * Writes epoch seconds. Returns CS_OK or CS_ERR_PARSE. */
int cs__parse_time(const char *s, size_t len, int64_t *out);

/* The compiled-rules cache (mcache.c, docs/file-sweep.md). An entry
 * read back: `buf` owns the bytes `meta` and `payload` point into. */
struct cs_mcache_entry {
	unsigned char *buf;
	const unsigned char *meta, *payload;
	size_t meta_len, payload_len;
	size_t map_len; /* mapped (cs__mcache_map), else 0: read */
};
int cs__mcache_get(const char *dir, const char *kind, const unsigned char *key,
                   struct cs_mcache_entry *e);
/* As _get, with the file mapped read-only instead of read: the payload
 * starts at a multiple of 8 from a page boundary (meta_len a multiple of
 * 8 too keeps it so). Entries are replaced by rename, never rewritten in
 * place, so a mapping stays whole while it is used. */
int cs__mcache_map(const char *dir, const char *kind, const unsigned char *key,
                   struct cs_mcache_entry *e);
int cs__mcache_put(const char *dir, const char *kind, const unsigned char *key, const void *meta,
                   size_t meta_len, const void *payload, size_t payload_len);
void cs__mcache_entry_release(struct cs_mcache_entry *e);

/* A SHA-256 fed piece by piece; each piece is followed by its length so
 * that ("ab","c") and ("a","bc") differ (mcache.c). cs__key_end gives 1
 * with the key in `key`, 0 when hashing failed (no cache then). */
struct cs_keyer {
	void *c; /* EVP_MD_CTX */
	int ok;
};
void cs__key_begin(struct cs_keyer *k, const char *what);
void cs__key_add(struct cs_keyer *k, const void *p, size_t n);
void cs__key_adds(struct cs_keyer *k, const char *s);
int cs__key_end(struct cs_keyer *k, unsigned char *key);

#endif /* CS_CORE_INT_H */

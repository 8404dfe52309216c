/*
 * The indicator set: storage, merging of the same (kind, value) from
 * several sources, diagnostics and reject counters, warninglists and the
 * public read accessors.
 */
#include <pthread.h>
#include <regex.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intel/intel_int.h"
#include "intel/normalize_int.h"

struct cs_src {
	uint32_t file;   /* strtab ids, 0 = none */
	uint32_t format;
	uint32_t lset;   /* the labels this source gave: index in in->lsets, 0 = none */
	const char *ref; /* in the set's arena: refs are unique, not worth interning */
	const char *desc; /* in the arena: mostly unique too (a STIX name) */
	uint64_t line;
};

struct cs_indicator {
	const char *value; /* in the set's arena */
	int64_t valid_from;
	int64_t valid_until;
	uint32_t *labels; /* strtab ids */
	struct cs_src *srcs;
	uint32_t *warn; /* warninglist indexes */
	struct cs_term *terms; /* compound only, in the arena */
	uint32_t nlabels, caplabels;
	uint32_t nsrcs, capsrcs;
	uint32_t nwarn, capwarn, nterms;
	int16_t confidence;
	uint8_t kind;
	uint8_t flags;
	uint8_t heap;  /* HEAP_*: which arrays are malloc'd (else in the arena) */
	uint8_t dirty; /* changed since the case database last saw it;
			* DIRTY_SHIPPED: handed to a bulk import's writer as it is
			* now, and not changed since */
};

#define DIRTY_SHIPPED 2

/* struct cs_indicator.heap: which of its arrays are malloc'd. */
#define HEAP_LABELS 0x01
#define HEAP_SRCS 0x02
#define HEAP_WARN 0x04

enum wl_type { WL_STRING, WL_SUBSTRING, WL_HOSTNAME, WL_CIDR, WL_REGEX };

struct cs_wlist {
	uint32_t name; /* strtab id */
	enum wl_type type;
	uint32_t kinds;
	char **entries; /* as given, in the arena */
	size_t n;
	struct cs_map set; /* lower-cased entries, for string/hostname */
	struct { unsigned char addr[16]; int alen, prefix; } *nets;
	size_t nnets, capnets;
	regex_t *res;
	size_t nres, capres;
	int dirty; /* new or replaced since the case database last saw it */
};

struct cs_reject {
	uint32_t reason;
	uint64_t count;
};

struct cs_yara_src {
	uint32_t path;
	char *text;
	size_t len;
};

struct cs_adv_src {
	uint32_t path, id, modified;
	int withdrawn;
	char *json;
	size_t len;
};

struct cs_intel {
	struct cs_indicator *inds;
	size_t n, cap;
	/* The (kind, value) index: open addressing over positions in inds.
	 * Keys are the indicators' own values; each slot keeps 32 bits of the
	 * key's hash so that a probe reads the indicator only on a likely
	 * match (a million random reads saved on a bulk import). */
	struct cs_islot {
		uint32_t pos; /* 0 = empty, i + 1 = inds[i] */
		uint32_t tag; /* high half of the key's hash */
	} *slots;
	size_t nslots;
	struct cs_arena arena;
	struct cs_strtab strs;
	struct cs_buf norm; /* cs__intel_add()'s normalised value, reused */
	struct cs_wlist *wls;
	size_t nwls, capwls;
	struct cs_reject *rejects;
	size_t nrejects, caprejects;
	struct cs_yara_src *yara;
	size_t nyara, capyara;
	struct cs_yara_src *sigma; /* Sigma rule files: same shape */
	size_t nsigma, capsigma;
	/* Read since the last save: OSV advisories (kept as their JSON) and
	 * the files a reader stopped in part-way (cs__intel_note_partial). */
	struct cs_adv_src *advs;
	size_t nadvs, capadvs;
	struct cs_partial {
		uint32_t path, reason;
	} *partials;
	size_t npartials, cappartials;
	/* Label vectors of sources, interned: the indicators of one file or
	 * event share one. lsets[0] is the empty vector. Members are strtab
	 * strings, so a vector's bytes are its key. */
	struct cs_lset {
		const char **v; /* in the arena */
		size_t n;
	} *lsets;
	size_t nlsets, caplsets;
	struct cs_map lset_index;
	const char **tmp_labels; /* cs__intel_add()'s vector, reused */
	size_t captmp_labels;
	cs_diag_fn diag;
	void *diag_ud;
	cs_import_progress_fn progress; /* after each file, or NULL */
	void *progress_ud;
	uint64_t progress_files, progress_bytes;
	const char *format; /* forced reader name, or NULL */
	char *csv_column;
	char *cache_dir;
	char errmsg[256];
	int finalized;
	/* Bulk import into an empty case database (lib/store): new
	 * indicators go to `sink` in batches while reading goes on. */
	cs__intel_sink_fn sink;
	void *sink_ud;
	size_t sink_batch;
	size_t shipped; /* inds[0 .. shipped) were offered to the sink */
	/* A set filled by key while other threads read it (cs__intel_share):
	 * `inds` never moves, and `mu` (recursive) guards the tables the
	 * indicators refer to. */
	int shared;
	pthread_mutex_t mu;
};

static const char *const kind_names[] = {
	[CS_KIND_NONE] = "none",
	[CS_KIND_MD5] = "md5",
	[CS_KIND_SHA1] = "sha1",
	[CS_KIND_SHA256] = "sha256",
	[CS_KIND_SHA512] = "sha512",
	[CS_KIND_FILENAME] = "filename",
	[CS_KIND_FILENAME_REGEX] = "filename-regex",
	[CS_KIND_PATH_REGEX] = "path-regex",
	[CS_KIND_DOMAIN] = "domain",
	[CS_KIND_IPV4] = "ipv4",
	[CS_KIND_IPV6] = "ipv6",
	[CS_KIND_CIDR] = "cidr",
	[CS_KIND_URL] = "url",
	[CS_KIND_EMAIL] = "email",
	[CS_KIND_YARA_RULE] = "yara-rule",
	[CS_KIND_PRODUCT_VERSION] = "product-version",
	[CS_KIND_CERT_SERIAL] = "cert-serial",
	[CS_KIND_COMPOUND] = "compound",
	[CS_KIND_DOMAIN_REGEX] = "domain-regex",
	[CS_KIND_URL_REGEX] = "url-regex",
	[CS_KIND_EMAIL_REGEX] = "email-regex",
	[CS_KIND_SIGMA_RULE] = "sigma-rule",
};

const char *cs_kind_name(enum cs_kind kind)
{
	if (kind == CS_KIND_HASH_AUTO)
		return "hash";
	if ((size_t)kind < CS_ARRAY_SIZE(kind_names) && kind_names[kind])
		return kind_names[kind];
	return "unknown";
}

enum cs_kind cs_kind_from_name(const char *name)
{
	size_t i;

	for (i = 1; i < CS_ARRAY_SIZE(kind_names); i++) {
		if (kind_names[i] && strcmp(kind_names[i], name) == 0)
			return (enum cs_kind)i;
	}
	if (strcmp(name, "hash") == 0)
		return CS_KIND_HASH_AUTO;
	return CS_KIND_NONE;
}

struct cs_intel *cs_intel_new(void)
{
	struct cs_intel *in = cs__calloc(1, sizeof(*in));

	if (!in)
		return NULL;
	cs__arena_init(&in->arena);
	cs__strtab_init(&in->strs);
	cs__map_init(&in->lset_index);
	cs__buf_init(&in->norm, CS_INTEL_MAX_VALUE * 2);
	return in;
}

static void wlist_release(struct cs_wlist *w)
{
	size_t i;

	cs__map_release(&w->set);
	free(w->nets);
	for (i = 0; i < w->nres; i++)
		regfree(&w->res[i]);
	free(w->res);
	free(w->entries);
}

void cs_intel_free(struct cs_intel *in)
{
	size_t i;

	if (!in)
		return;
	for (i = 0; i < in->n; i++) {
		if (in->inds[i].heap & HEAP_LABELS)
			free(in->inds[i].labels);
		if (in->inds[i].heap & HEAP_SRCS)
			free(in->inds[i].srcs);
		if (in->inds[i].heap & HEAP_WARN)
			free(in->inds[i].warn);
	}
	free(in->inds);
	for (i = 0; i < in->nwls; i++)
		wlist_release(&in->wls[i]);
	free(in->wls);
	for (i = 0; i < in->nyara; i++)
		free(in->yara[i].text);
	free(in->yara);
	for (i = 0; i < in->nsigma; i++)
		free(in->sigma[i].text);
	free(in->sigma);
	for (i = 0; i < in->nadvs; i++)
		free(in->advs[i].json);
	free(in->advs);
	free(in->partials);
	free(in->rejects);
	free(in->csv_column);
	free(in->cache_dir);
	free(in->slots);
	cs__arena_release(&in->arena);
	cs__strtab_release(&in->strs);
	cs__map_release(&in->lset_index);
	free(in->lsets);
	free(in->tmp_labels);
	cs__buf_release(&in->norm);
	if (in->shared)
		pthread_mutex_destroy(&in->mu);
	free(in);
}

/* The lock of a shared set (cs__intel_share); nothing for any other. */
static void rd_lock(const struct cs_intel *in)
{
	if (in->shared)
		pthread_mutex_lock(&((struct cs_intel *)(uintptr_t)in)->mu);
}

static void rd_unlock(const struct cs_intel *in)
{
	if (in->shared)
		pthread_mutex_unlock(&((struct cs_intel *)(uintptr_t)in)->mu);
}

void cs__intel_lock(const struct cs_intel *in)
{
	rd_lock(in);
}

void cs__intel_unlock(const struct cs_intel *in)
{
	rd_unlock(in);
}

int cs__intel_share(struct cs_intel *in, size_t n)
{
	pthread_mutexattr_t a;
	int rc;

	if (in->shared || in->n || in->inds)
		return CS_ERR_INVALID;
	if (n > UINT32_MAX - 1)
		n = UINT32_MAX - 1;
	/* Pages never touched cost nothing: the array for every indicator
	 * of a large case, of which a hunt may load a few. The index holds
	 * what is loaded and grows with it, under the lock. */
	in->inds = cs__malloc_huge((n ? n : 1) * sizeof(*in->inds));
	if (!in->inds)
		return CS_ERR_NOMEM;
	in->cap = n;
	if (pthread_mutexattr_init(&a))
		return CS_ERR_NOMEM;
	rc = CS_OK;
	if (pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE) ||
	    pthread_mutex_init(&in->mu, &a))
		rc = CS_ERR_NOMEM;
	pthread_mutexattr_destroy(&a);
	if (!rc)
		in->shared = 1;
	return rc;
}

void cs_intel_set_diag(struct cs_intel *in, cs_diag_fn fn, void *userdata)
{
	in->diag = fn;
	in->diag_ud = userdata;
}

void cs_intel_set_progress(struct cs_intel *in, cs_import_progress_fn fn, void *userdata)
{
	in->progress = fn;
	in->progress_ud = userdata;
}

void cs__intel_file_done(struct cs_intel *in, uint64_t bytes)
{
	in->progress_files++;
	in->progress_bytes += bytes;
	if (in->progress)
		in->progress(in->progress_ud, in->progress_files, in->progress_bytes);
}

int cs_intel_set_format(struct cs_intel *in, const char *format)
{
	const char *const *f;

	if (!format) {
		in->format = NULL;
		return CS_OK;
	}
	for (f = cs_intel_formats(); *f; f++) {
		if (strcmp(*f, format) == 0) {
			in->format = *f;
			return CS_OK;
		}
	}
	snprintf(in->errmsg, sizeof(in->errmsg), "unknown intel format '%s'", format);
	return CS_ERR_INVALID;
}

void cs__intel_set_errmsg(struct cs_intel *in, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(in->errmsg, sizeof(in->errmsg), fmt, ap);
	va_end(ap);
}

const char *cs__intel_format(const struct cs_intel *in)
{
	return in->format;
}

int cs_intel_set_csv_column(struct cs_intel *in, const char *column)
{
	char *c = NULL;

	if (column && !(c = cs__strdup(column)))
		return CS_ERR_NOMEM;
	free(in->csv_column);
	in->csv_column = c;
	return CS_OK;
}

int cs_intel_set_cache_dir(struct cs_intel *in, const char *dir)
{
	char *d = NULL;

	if (dir && dir[0] && !(d = cs__strdup(dir)))
		return CS_ERR_NOMEM;
	free(in->cache_dir);
	in->cache_dir = d;
	return CS_OK;
}

const char *cs__intel_cache_dir(const struct cs_intel *in)
{
	return in->cache_dir;
}

const char *cs__intel_csv_column(const struct cs_intel *in)
{
	return in->csv_column;
}

struct cs_strtab *cs__intel_strtab(struct cs_intel *in)
{
	return &in->strs;
}

const char *cs_intel_errmsg(const struct cs_intel *in)
{
	return in->errmsg;
}

void cs__ind_add_init(struct cs_ind_add *a)
{
	memset(a, 0, sizeof(*a));
	a->confidence = CS_CONF_UNKNOWN;
	a->detect = -1;
}

static void vdiag(struct cs_reader_ctx *ctx, enum cs_severity sev, const char *reason,
		  uint64_t line, uint64_t column, const char *fmt, va_list ap) CS_PRINTF(6, 0);

static void vdiag(struct cs_reader_ctx *ctx, enum cs_severity sev, const char *reason,
		  uint64_t line, uint64_t column, const char *fmt, va_list ap)
{
	struct cs_diag d;
	char msg[1024];

	if (!ctx->intel->diag)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	d.severity = sev;
	d.file = ctx->path;
	d.line = line;
	d.column = column;
	d.reason = reason;
	d.message = msg;
	ctx->intel->diag(ctx->intel->diag_ud, &d);
}

void cs__diag(struct cs_reader_ctx *ctx, enum cs_severity sev, uint64_t line, uint64_t column,
	      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(ctx, sev, NULL, line, column, fmt, ap);
	va_end(ap);
}

static void count_reject(struct cs_intel *in, const char *reason)
{
	uint32_t id = cs__strtab_intern(&in->strs, reason, strlen(reason));
	size_t i;

	for (i = 0; i < in->nrejects; i++) {
		if (in->rejects[i].reason == id) {
			in->rejects[i].count++;
			return;
		}
	}
	if (!id || cs__grow((void **)&in->rejects, &in->caprejects, in->nrejects + 1,
			    sizeof(*in->rejects)))
		return;
	in->rejects[in->nrejects].reason = id;
	in->rejects[in->nrejects].count = 1;
	in->nrejects++;
}

void cs__reject(struct cs_reader_ctx *ctx, const char *reason, uint64_t line, uint64_t column,
		const char *fmt, ...)
{
	va_list ap;

	ctx->rejected++;
	count_reject(ctx->intel, reason);
	va_start(ap, fmt);
	vdiag(ctx, CS_SEV_WARN, reason, line, column, fmt, ap);
	va_end(ap);
}

void cs__diag_reason(struct cs_reader_ctx *ctx, enum cs_severity sev, const char *reason,
		     uint64_t line, uint64_t column, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(ctx, sev, reason, line, column, fmt, ap);
	va_end(ap);
}

size_t cs_intel_reject_reasons(const struct cs_intel *in)
{
	return in->nrejects;
}

const char *cs_intel_reject_reason(const struct cs_intel *in, size_t i, uint64_t *count)
{
	if (i >= in->nrejects)
		return NULL;
	if (count)
		*count = in->rejects[i].count;
	return cs__strtab_get(&in->strs, in->rejects[i].reason);
}

/*
 * Line and column of a byte offset. Readers mostly ask for offsets that
 * grow (entries of a JSON array in order); the context caches the last
 * answer so that walking a file stays linear. The cache is valid while
 * lc_line != 0.
 */
/* Give memory back in steps of this size at least. */
#define RELEASE_STEP ((size_t)8 << 20)

void cs__release_before(struct cs_reader_ctx *ctx, size_t off)
{
	uint64_t line, col;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uintptr_t from, to;

	if (!ctx->release_ok || off > ctx->len || off < ctx->released + RELEASE_STEP)
		return;
	/* Count the lines of the prefix while it is still there. */
	cs__offset_to_linecol(ctx, off, &line, &col);
	ctx->lc0_off = ctx->lc_off;
	ctx->lc0_line = ctx->lc_line;
	ctx->lc0_bol = ctx->lc_bol;
	/* Whole pages inside [released, off) only: the allocator's own words
	 * before the buffer and after it are never touched. */
	from = ((uintptr_t)ctx->data + ctx->released + page - 1) & ~(uintptr_t)(page - 1);
	to = ((uintptr_t)ctx->data + off) & ~(uintptr_t)(page - 1);
	if (to > from)
		madvise((void *)from, to - from, MADV_DONTNEED);
	ctx->released = off;
}

void cs__offset_to_linecol(struct cs_reader_ctx *ctx, size_t off, uint64_t *line,
			   uint64_t *column)
{
	size_t i, bol;
	uint64_t l;

	if (off > ctx->len)
		off = ctx->len;
	if (ctx->lc_line && ctx->lc_off <= off) {
		i = ctx->lc_off;
		l = ctx->lc_line;
		bol = ctx->lc_bol;
	} else if (ctx->lc0_line && ctx->lc0_off <= off) {
		i = ctx->lc0_off;
		l = ctx->lc0_line;
		bol = ctx->lc0_bol;
	} else if (ctx->lc0_line) {
		/* Inside the released prefix: its text is gone. */
		*line = ctx->lc0_line;
		*column = 0;
		return;
	} else {
		i = 0;
		l = 1;
		bol = 0;
	}
	for (; i < off; i++) {
		const char *nl = memchr(ctx->data + i, '\n', off - i);

		if (!nl)
			break;
		i = (size_t)(nl - ctx->data);
		l++;
		bol = i + 1;
	}
	ctx->lc_off = off;
	ctx->lc_line = l;
	ctx->lc_bol = bol;
	*line = l;
	*column = off - bol + 1;
}

static uint64_t key_hash(enum cs_kind kind, const char *v, size_t len)
{
	return cs__hash_bytes(v, len) ^ ((uint64_t)kind * 0x9e3779b97f4a7c15ULL);
}

/* The slot holding (kind, value), or the empty slot where it would go.
 * The table is never full (load below 3/4). Stored values may be shorter
 * than `len`: strncmp stops at their NUL where memcmp would read on. */
static struct cs_islot *index_slot(const struct cs_intel *in, enum cs_kind kind, const char *v,
				   size_t len, uint64_t h)
{
	size_t mask = in->nslots - 1, i = (size_t)h & mask;
	uint32_t tag = (uint32_t)(h >> 32);

	for (;;) {
		struct cs_islot *s = &in->slots[i];
		const struct cs_indicator *ind;

		if (!s->pos)
			return s;
		if (s->tag == tag) {
			ind = &in->inds[s->pos - 1];
			if (ind->kind == kind && strncmp(ind->value, v, len) == 0 &&
			    !ind->value[len])
				return s;
		}
		i = (i + 1) & mask;
	}
}

/* Double the index and place every indicator again. */
static int index_grow(struct cs_intel *in)
{
	size_t n = in->nslots ? in->nslots * 2 : 1024, i;
	struct cs_islot *old = in->slots;

	if (n > SIZE_MAX / sizeof(*old))
		return CS_ERR_NOMEM;
	in->slots = cs__malloc_huge(n * sizeof(*in->slots));
	if (!in->slots) {
		in->slots = old;
		return CS_ERR_NOMEM;
	}
	memset(in->slots, 0, n * sizeof(*in->slots));
	in->nslots = n;
	for (i = 0; i < in->n; i++) {
		const struct cs_indicator *ind = &in->inds[i];
		size_t len = strlen(ind->value);
		uint64_t h = key_hash((enum cs_kind)ind->kind, ind->value, len);
		struct cs_islot *s = index_slot(in, (enum cs_kind)ind->kind, ind->value, len, h);

		s->pos = (uint32_t)i + 1;
		s->tag = (uint32_t)(h >> 32);
	}
	free(old);
	return CS_OK;
}

/*
 * Make room for `n` indicators in all: the array and an index that holds
 * them without growing (the case database loader knows the count before
 * it adds a row, and skips the copies and re-placing of every doubling).
 * A hint only: adding more than `n` still works. CS_OK or CS_ERR_NOMEM.
 */
int cs__intel_reserve(struct cs_intel *in, size_t n)
{
	size_t slots = in->nslots ? in->nslots : 1024;

	if (n > UINT32_MAX - 1)
		n = UINT32_MAX - 1;
	if (in->shared && n > in->cap)
		n = in->cap; /* its indicators never move */
	if (!in->inds && n) {
		in->inds = cs__malloc_huge(n * sizeof(*in->inds));
		if (!in->inds)
			return CS_ERR_NOMEM;
		in->cap = n;
	}
	if (cs__grow((void **)&in->inds, &in->cap, n, sizeof(*in->inds)))
		return CS_ERR_NOMEM;
	while ((n + 1) * 4 > slots * 3)
		slots *= 2;
	while (in->nslots < slots) {
		if (index_grow(in))
			return CS_ERR_NOMEM;
	}
	return CS_OK;
}

/* Look up (kind, value); returns the index or -1. */
static long find_index(const struct cs_intel *in, enum cs_kind kind, const char *v, size_t len)
{
	uint32_t pos;

	if (!in->nslots)
		return -1;
	pos = index_slot(in, kind, v, len, key_hash(kind, v, len))->pos;
	return pos ? (long)pos - 1 : -1;
}

long cs__intel_put(struct cs_intel *in, enum cs_kind kind, const char *value, unsigned flags,
		   int confidence, int64_t valid_from, int64_t valid_until)
{
	struct cs_indicator *ind;
	struct cs_islot *slot;
	size_t len = strlen(value);
	uint64_t h = key_hash(kind, value, len);

	/* A shared set's indicators are referred to by other threads. */
	if (in->shared && in->n >= in->cap && find_index(in, kind, value, len) < 0)
		return CS_ERR_TOOBIG;
	/* Grow first, so that the slot found below stays valid for an insert. */
	if ((in->n + 1) * 4 > in->nslots * 3 && index_grow(in))
		return CS_ERR_NOMEM;
	slot = index_slot(in, kind, value, len, h);
	if (slot->pos) {
		long idx = (long)slot->pos - 1;
		int64_t from, until;

		ind = &in->inds[idx];
		from = (!ind->valid_from || !valid_from)
			       ? 0
			       : (valid_from < ind->valid_from ? valid_from : ind->valid_from);
		until = (!ind->valid_until || !valid_until)
				? 0
				: (valid_until > ind->valid_until ? valid_until : ind->valid_until);
		if ((ind->flags | flags) != ind->flags || confidence > ind->confidence ||
		    from != ind->valid_from || until != ind->valid_until)
			ind->dirty = 1;
		ind->flags |= (uint8_t)flags;
		if (confidence > ind->confidence)
			ind->confidence = (int16_t)confidence;
		ind->valid_from = from;
		ind->valid_until = until;
		return idx;
	}
	if (in->n >= UINT32_MAX - 1 ||
	    cs__grow((void **)&in->inds, &in->cap, in->n + 1, sizeof(*in->inds)))
		return CS_ERR_NOMEM;
	ind = &in->inds[in->n];
	memset(ind, 0, sizeof(*ind));
	ind->value = cs__arena_strndup(&in->arena, value, len);
	if (!ind->value)
		return CS_ERR_NOMEM;
	slot->pos = (uint32_t)in->n + 1;
	slot->tag = (uint32_t)(h >> 32);
	ind->kind = (uint8_t)kind;
	ind->flags = (uint8_t)flags;
	ind->confidence = (int16_t)(confidence < -1 ? -1 : confidence > 100 ? 100 : confidence);
	ind->valid_from = valid_from;
	ind->valid_until = valid_until;
	ind->dirty = 1;
	in->finalized = 0;
	return (long)in->n++;
}

static uint32_t intern(struct cs_intel *in, const char *s)
{
	return s && *s ? cs__strtab_intern(&in->strs, s, strlen(s)) : 0;
}

/*
 * Grow one of an indicator's own arrays (labels, sources, marks) to hold
 * `need` elements, starting from one: most indicators have one source
 * and a few labels, and with a million of them a generous first size
 * costs hundreds of megabytes. Arrays of up to SMALL_ARENA bytes come
 * from the set's arena (a million malloc calls saved on a bulk import;
 * a grown-out-of small array stays there unused); larger ones from the
 * heap, marked by `bit` in *heap so that cs_intel_free() frees them.
 */
#define SMALL_ARENA 64

static int grow_small(struct cs_intel *in, void **p, uint32_t *cap, size_t need, size_t size,
		      uint8_t *heap, uint8_t bit)
{
	size_t ncap = *cap ? *cap : 1;
	void *np;

	if (need <= *cap)
		return CS_OK;
	while (ncap < need)
		ncap *= 2;
	if (ncap > UINT32_MAX)
		return CS_ERR_TOOBIG;
	if (*heap & bit) {
		np = realloc(*p, ncap * size);
	} else if (ncap * size <= SMALL_ARENA) {
		np = cs__arena_alloc(&in->arena, ncap * size);
		if (np && *cap)
			memcpy(np, *p, *cap * size);
	} else {
		np = malloc(ncap * size);
		if (np) {
			if (*cap)
				memcpy(np, *p, *cap * size);
			*heap |= bit;
		}
	}
	if (!np)
		return CS_ERR_NOMEM;
	*p = np;
	*cap = (uint32_t)ncap;
	return CS_OK;
}

static int same_ref(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* Add an interned label to an indicator, once. */
static int put_label_id(struct cs_intel *in, struct cs_indicator *ind, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < ind->nlabels; i++) {
		if (ind->labels[i] == id)
			return CS_OK;
	}
	if (ind->nlabels >= CS_INTEL_MAX_LABELS)
		return CS_ERR_TOOBIG;
	if (grow_small(in, (void **)&ind->labels, &ind->caplabels, ind->nlabels + 1,
		       sizeof(*ind->labels), &ind->heap, HEAP_LABELS))
		return CS_ERR_NOMEM;
	ind->labels[ind->nlabels++] = id;
	ind->dirty = 1;
	return CS_OK;
}

int cs__intel_put_label(struct cs_intel *in, size_t idx, const char *label)
{
	uint32_t id;

	if (!label || !*label)
		return CS_OK;
	id = intern(in, label);
	if (!id)
		return CS_ERR_NOMEM;
	return put_label_id(in, &in->inds[idx], id);
}

/*
 * Intern a vector of interned label strings; returns its index in
 * in->lsets (0 for the empty vector) or 0 with *rc set on failure.
 */
static uint32_t lset_intern(struct cs_intel *in, const char *const *v, size_t n, int *rc)
{
	uint32_t id;
	struct cs_lset *l;

	*rc = CS_OK;
	if (!n)
		return 0;
	if (cs__map_get(&in->lset_index, v, n * sizeof(*v), &id))
		return id;
	if (!in->nlsets)
		in->nlsets = 1; /* 0 is the empty vector */
	if (in->nlsets >= UINT32_MAX ||
	    cs__grow((void **)&in->lsets, &in->caplsets, in->nlsets + 1, sizeof(*in->lsets))) {
		*rc = CS_ERR_NOMEM;
		return 0;
	}
	l = &in->lsets[in->nlsets];
	l->v = cs__arena_alloc(&in->arena, n * sizeof(*v));
	if (!l->v) {
		*rc = CS_ERR_NOMEM;
		return 0;
	}
	memcpy(l->v, v, n * sizeof(*v));
	l->n = n;
	id = (uint32_t)in->nlsets;
	*rc = cs__map_put(&in->lset_index, v, n * sizeof(*v), id);
	if (*rc)
		return 0;
	in->nlsets++;
	return id;
}

/*
 * Intern `label` and append it to in->tmp_labels (of which `*n` are in
 * use, room already made) unless empty or there already. Returns 1 when
 * appended (its id in *id), 0 when not, CS_ERR_NOMEM.
 */
static int tmp_label_add(struct cs_intel *in, const char *label, size_t *n, uint32_t *id)
{
	const char *l;
	size_t j;

	if (!label || !*label)
		return 0;
	if (!(*id = intern(in, label)))
		return CS_ERR_NOMEM;
	l = cs__strtab_get(&in->strs, *id);
	for (j = 0; j < *n && in->tmp_labels[j] != l; j++)
		;
	if (j < *n)
		return 0;
	in->tmp_labels[(*n)++] = l;
	return 1;
}

/* The labels of set `a` followed by those of `b` not in `a`, interned. */
static uint32_t lset_union(struct cs_intel *in, uint32_t a, uint32_t b, int *rc)
{
	const struct cs_lset *la = &in->lsets[a], *lb = &in->lsets[b];
	size_t n = 0, i, j;

	*rc = CS_OK;
	if (!a || a == b)
		return b;
	if (!b)
		return a;
	if (cs__grow((void **)&in->tmp_labels, &in->captmp_labels, la->n + lb->n,
		     sizeof(*in->tmp_labels))) {
		*rc = CS_ERR_NOMEM;
		return 0;
	}
	for (i = 0; i < la->n; i++)
		in->tmp_labels[n++] = la->v[i];
	for (i = 0; i < lb->n; i++) {
		for (j = 0; j < la->n && la->v[j] != lb->v[i]; j++)
			;
		if (j == la->n)
			in->tmp_labels[n++] = lb->v[i];
	}
	return lset_intern(in, in->tmp_labels, n, rc);
}

/* Add a source whose file and format are already interned. */
static int put_source(struct cs_intel *in, size_t idx, uint32_t file, uint64_t line,
		      const char *ref, uint32_t format, const char *description, uint32_t lset)
{
	struct cs_indicator *ind = &in->inds[idx];
	struct cs_src s;
	uint32_t i;
	int rc;

	s.file = file;
	s.lset = lset;
	s.ref = ref && *ref ? ref : NULL;
	s.format = format;
	s.desc = description && *description ? description : NULL;
	s.line = line;
	for (i = 0; i < ind->nsrcs; i++) {
		const struct cs_src *o = &ind->srcs[i];

		if (o->file == s.file && o->line == s.line && same_ref(o->ref, s.ref)) {
			if (!o->desc && s.desc) {
				ind->srcs[i].desc =
					cs__arena_strndup(&in->arena, s.desc, strlen(s.desc));
				if (!ind->srcs[i].desc)
					return CS_ERR_NOMEM;
				ind->dirty = 1;
			}
			if (o->lset != lset) {
				uint32_t u = lset_union(in, o->lset, lset, &rc);

				if (rc)
					return rc;
				if (u != o->lset) {
					ind->srcs[i].lset = u;
					ind->dirty = 1;
				}
			}
			return CS_OK;
		}
	}
	if (s.ref && !(s.ref = cs__arena_strndup(&in->arena, s.ref, strlen(s.ref))))
		return CS_ERR_NOMEM;
	if (s.desc && !(s.desc = cs__arena_strndup(&in->arena, s.desc, strlen(s.desc))))
		return CS_ERR_NOMEM;
	if (grow_small(in, (void **)&ind->srcs, &ind->capsrcs, ind->nsrcs + 1, sizeof(*ind->srcs),
		       &ind->heap, HEAP_SRCS))
		return CS_ERR_NOMEM;
	ind->srcs[ind->nsrcs++] = s;
	ind->dirty = 1;
	return CS_OK;
}

int cs__intel_put_source(struct cs_intel *in, size_t idx, const char *file, uint64_t line,
			 const char *ref, const char *format, const char *description,
			 const char *const *labels, size_t nlabels)
{
	uint32_t lset = 0;
	size_t i, n = 0;
	int rc;

	if (nlabels) {
		if (nlabels > CS_INTEL_MAX_LABELS)
			nlabels = CS_INTEL_MAX_LABELS;
		if (cs__grow((void **)&in->tmp_labels, &in->captmp_labels, nlabels,
			     sizeof(*in->tmp_labels)))
			return CS_ERR_NOMEM;
		for (i = 0; i < nlabels; i++) {
			uint32_t id;

			if (tmp_label_add(in, labels[i], &n, &id) < 0)
				return CS_ERR_NOMEM;
		}
		lset = lset_intern(in, in->tmp_labels, n, &rc);
		if (rc)
			return rc;
	}
	return put_source(in, idx, intern(in, file), line, ref, intern(in, format), description,
			  lset);
}

int cs__intel_put_terms(struct cs_intel *in, size_t idx, const struct cs_term *terms, size_t n)
{
	struct cs_indicator *ind = &in->inds[idx];
	size_t i;

	if (ind->nterms || !n)
		return CS_OK; /* same canonical text, same terms */
	if (n > UINT32_MAX / sizeof(*terms))
		return CS_ERR_TOOBIG;
	ind->terms = cs__arena_alloc(&in->arena, n * sizeof(*terms));
	if (!ind->terms)
		return CS_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		ind->terms[i].kind = terms[i].kind;
		ind->terms[i].obs = terms[i].obs;
		ind->terms[i].value =
			cs__arena_strndup(&in->arena, terms[i].value, strlen(terms[i].value));
		if (!ind->terms[i].value)
			return CS_ERR_NOMEM;
	}
	ind->nterms = (uint32_t)n;
	ind->dirty = 1;
	return CS_OK;
}

/*
 * Normalise, then merge into the set with the reader's context (file,
 * format, file-level labels). Values that fail normalisation are rejected
 * with the normaliser's reason.
 */
int cs__intel_add(struct cs_reader_ctx *ctx, const struct cs_ind_add *a)
{
	struct cs_intel *in = ctx->intel;
	struct cs_buf *norm = &in->norm;
	enum cs_kind kind = a->kind;
	const char *why = "bad-value";
	const char *value = a->value ? a->value : "";
	size_t len = a->value_len ? a->value_len : strlen(value);
	unsigned flags = a->flags;
	uint32_t lset;
	long idx;
	size_t i, n;
	int rc;

	if (len > CS_INTEL_MAX_VALUE) {
		cs__reject(ctx, "too-long", a->line, a->column, "%s value of %zu bytes exceeds %zu",
			   cs_kind_name(a->kind), len, (size_t)CS_INTEL_MAX_VALUE);
		return CS_ERR_PARSE;
	}
	cs__buf_reset(norm);
	if (kind == CS_KIND_COMPOUND) {
		rc = cs__buf_add(norm, value, len);
	} else {
		rc = cs__normalize(kind, value, len, &kind, norm, &why);
	}
	if (rc == CS_ERR_NOMEM)
		return rc;
	if (rc) {
		int shown = len > 80 ? 80 : (int)len;

		cs__reject(ctx, why, a->line, a->column, "rejected %s '%.*s%s': %s",
		           cs_kind_name(a->kind), shown, value, len > 80 ? "..." : "", why);
		return CS_ERR_PARSE;
	}
	if (a->detect == 1)
		flags |= CS_IND_DETECT;
	else if (a->detect == 0)
		flags |= CS_IND_HUNT;
	idx = cs__intel_put(in, kind, cs__buf_cstr(norm), flags, a->confidence, a->valid_from,
	                    a->valid_until);
	if (idx < 0)
		return (int)idx;
	/* The file and reader are the same for every entry of a file:
	 * intern them once. */
	if (!ctx->file_id) {
		ctx->file_id = intern(in, ctx->path);
		ctx->format_id = intern(in, ctx->reader ? ctx->reader->name : NULL);
	}
	/* The labels of this entry: the file's, then its own, each once. They
	 * go on the indicator and, as one interned vector, on this source. */
	rc = CS_OK;
	n = 0;
	if (ctx->nfile_labels + a->nlabels &&
	    cs__grow((void **)&in->tmp_labels, &in->captmp_labels,
		     ctx->nfile_labels + a->nlabels, sizeof(*in->tmp_labels)))
		return CS_ERR_NOMEM;
	for (i = 0; i < ctx->nfile_labels + a->nlabels && n < CS_INTEL_MAX_LABELS; i++) {
		const char *l = i < ctx->nfile_labels ? ctx->file_labels[i]
						      : a->labels[i - ctx->nfile_labels];
		uint32_t id;

		rc = tmp_label_add(in, l, &n, &id);
		if (rc <= 0) {
			if (rc)
				return rc;
			continue;
		}
		rc = put_label_id(in, &in->inds[idx], id);
		if (rc == CS_ERR_TOOBIG)
			rc = CS_OK; /* label cap: keep the indicator, drop the excess */
		if (rc)
			return rc;
	}
	lset = lset_intern(in, in->tmp_labels, n, &rc);
	if (!rc)
		rc = put_source(in, (size_t)idx, ctx->file_id, a->line, a->ref, ctx->format_id,
				a->description, lset);
	if (!rc && kind == CS_KIND_COMPOUND)
		rc = cs__intel_put_terms(in, (size_t)idx, a->terms, a->nterms);
	if (rc == CS_ERR_TOOBIG)
		rc = CS_OK; /* label cap: keep the indicator, drop the excess */
	if (!rc)
		ctx->accepted++;
	if (!rc && in->sink && in->n - in->shipped >= in->sink_batch)
		cs__intel_sink_flush(in);
	return rc;
}

void cs__intel_set_sink(struct cs_intel *in, cs__intel_sink_fn fn, void *ud, size_t batch)
{
	in->sink = fn;
	in->sink_ud = ud;
	in->sink_batch = batch ? batch : 1;
	in->shipped = in->n;
}

void cs__intel_sink_flush(struct cs_intel *in)
{
	size_t i, first = in->shipped;

	if (!in->sink || first >= in->n)
		return;
	if (in->sink(in->sink_ud, in, first, in->n) != CS_OK) {
		/* The writer gave up: the rest stays dirty and is saved, or
		 * the save fails, at the end. */
		in->sink = NULL;
		return;
	}
	for (i = first; i < in->n; i++) {
		if (in->inds[i].dirty == 1)
			in->inds[i].dirty = DIRTY_SHIPPED;
	}
	in->shipped = in->n;
}

void cs__intel_unship(struct cs_intel *in)
{
	size_t i;

	in->sink = NULL;
	for (i = 0; i < in->n; i++) {
		if (in->inds[i].dirty == DIRTY_SHIPPED)
			in->inds[i].dirty = 1;
	}
}

int cs_normalize_value(enum cs_kind kind, const char *raw, char **out, enum cs_kind *kind_out)
{
	struct cs_buf b;
	const char *why;
	enum cs_kind k = kind;
	int rc;

	cs__buf_init(&b, CS_INTEL_MAX_VALUE * 2);
	rc = cs__normalize(kind, raw, strlen(raw), &k, &b, &why);
	if (rc) {
		cs__buf_release(&b);
		return rc;
	}
	*out = cs__buf_detach(&b);
	if (!*out)
		return CS_ERR_NOMEM;
	*kind_out = k;
	return CS_OK;
}

/* Keep a rule file's text under its path; a second file of the same path
 * replaces the first (a re-import of an edited file). */
static int add_source(struct cs_intel *in, struct cs_yara_src **v, size_t *n, size_t *cap,
		      const char *path, const char *text, size_t len)
{
	struct cs_yara_src *y;
	uint32_t id = intern(in, path);
	size_t i;

	if (!id)
		return CS_ERR_NOMEM;
	for (i = 0; i < *n; i++) {
		if ((*v)[i].path == id)
			break;
	}
	if (i == *n) {
		if (cs__grow((void **)v, cap, *n + 1, sizeof(**v)))
			return CS_ERR_NOMEM;
		(*n)++;
		(*v)[i].text = NULL;
	}
	y = &(*v)[i];
	free(y->text);
	y->path = id;
	y->text = cs__strndup(text, len);
	y->len = len;
	return y->text ? CS_OK : CS_ERR_NOMEM;
}

int cs__intel_add_yara_source(struct cs_intel *in, const char *path, const char *text,
			      size_t len)
{
	return add_source(in, &in->yara, &in->nyara, &in->capyara, path, text, len);
}

int cs__intel_add_sigma_source(struct cs_intel *in, const char *path, const char *text,
			       size_t len)
{
	return add_source(in, &in->sigma, &in->nsigma, &in->capsigma, path, text, len);
}

int cs__intel_add_advisory(struct cs_reader_ctx *ctx, const char *id, const char *modified,
			   int withdrawn, const char *json, size_t len)
{
	struct cs_intel *in = ctx->intel;
	struct cs_adv_src *a;
	uint32_t path = intern(in, ctx->path), iid = intern(in, id),
		 mod = intern(in, modified ? modified : "");

	if (!path || !iid || !mod)
		return CS_ERR_NOMEM;
	if (cs__grow((void **)&in->advs, &in->capadvs, in->nadvs + 1, sizeof(*in->advs)))
		return CS_ERR_NOMEM;
	a = &in->advs[in->nadvs];
	a->json = cs__strndup(json, len);
	if (!a->json)
		return CS_ERR_NOMEM;
	a->len = len;
	a->path = path;
	a->id = iid;
	a->modified = mod;
	a->withdrawn = withdrawn;
	in->nadvs++;
	ctx->advisories++;
	return CS_OK;
}

size_t cs__intel_advisory_count(const struct cs_intel *in)
{
	return in->nadvs;
}

const char *cs__intel_advisory(const struct cs_intel *in, size_t i, const char **modified,
			       const char **path, int *withdrawn, const char **json, size_t *len)
{
	const struct cs_adv_src *a;

	if (i >= in->nadvs)
		return NULL;
	a = &in->advs[i];
	*modified = cs__strtab_get(&in->strs, a->modified);
	*path = cs__strtab_get(&in->strs, a->path);
	*withdrawn = a->withdrawn;
	*json = a->json;
	*len = a->len;
	return cs__strtab_get(&in->strs, a->id);
}

size_t cs_intel_advisory_count(const struct cs_intel *in)
{
	return in->nadvs;
}

const char *cs_intel_advisory(const struct cs_intel *in, size_t i, const char **json,
			      size_t *len)
{
	if (i >= in->nadvs)
		return NULL;
	*json = in->advs[i].json;
	*len = in->advs[i].len;
	return cs__strtab_get(&in->strs, in->advs[i].id);
}

int cs__intel_note_partial(struct cs_intel *in, const char *path, const char *reason)
{
	uint32_t p = intern(in, path), r = intern(in, reason);

	if (!p || !r ||
	    cs__grow((void **)&in->partials, &in->cappartials, in->npartials + 1,
		     sizeof(*in->partials)))
		return CS_ERR_NOMEM;
	in->partials[in->npartials].path = p;
	in->partials[in->npartials].reason = r;
	in->npartials++;
	return CS_OK;
}

size_t cs__intel_partial_count(const struct cs_intel *in)
{
	return in->npartials;
}

const char *cs__intel_partial(const struct cs_intel *in, size_t i, const char **reason)
{
	if (i >= in->npartials)
		return NULL;
	*reason = cs__strtab_get(&in->strs, in->partials[i].reason);
	return cs__strtab_get(&in->strs, in->partials[i].path);
}

size_t cs_intel_yara_count(const struct cs_intel *in)
{
	return in->nyara;
}

const char *cs_intel_yara_source(const struct cs_intel *in, size_t i, const char **text,
				 size_t *len)
{
	if (i >= in->nyara)
		return NULL;
	if (text)
		*text = in->yara[i].text;
	if (len)
		*len = in->yara[i].len;
	return cs__strtab_get(&in->strs, in->yara[i].path);
}

size_t cs_intel_sigma_count(const struct cs_intel *in)
{
	return in->nsigma;
}

const char *cs_intel_sigma_source(const struct cs_intel *in, size_t i, const char **text,
				  size_t *len)
{
	if (i >= in->nsigma)
		return NULL;
	if (text)
		*text = in->sigma[i].text;
	if (len)
		*len = in->sigma[i].len;
	return cs__strtab_get(&in->strs, in->sigma[i].path);
}

/* Accessors. */
size_t cs_intel_count(const struct cs_intel *in)
{
	size_t n;

	rd_lock(in);
	n = in->n;
	rd_unlock(in);
	return n;
}

const struct cs_indicator *cs_intel_at(const struct cs_intel *in, size_t i)
{
	const struct cs_indicator *ind;

	rd_lock(in);
	ind = i < in->n ? &in->inds[i] : NULL;
	rd_unlock(in);
	return ind;
}

long cs__intel_index_of(const struct cs_intel *in, enum cs_kind kind, const char *value)
{
	long idx;

	rd_lock(in);
	idx = find_index(in, kind, value, strlen(value));
	rd_unlock(in);
	return idx;
}

const struct cs_indicator *cs_intel_find(const struct cs_intel *in, enum cs_kind kind,
					 const char *value)
{
	long idx;

	rd_lock(in);
	idx = find_index(in, kind, value, strlen(value));
	rd_unlock(in);
	return idx >= 0 ? &in->inds[idx] : NULL;
}

enum cs_kind cs_indicator_kind(const struct cs_indicator *ind)
{
	return (enum cs_kind)ind->kind;
}

const char *cs_indicator_value(const struct cs_indicator *ind)
{
	return ind->value;
}

unsigned cs_indicator_flags(const struct cs_indicator *ind)
{
	return ind->flags;
}

int cs_indicator_confidence(const struct cs_indicator *ind)
{
	return ind->confidence;
}

int64_t cs_indicator_valid_from(const struct cs_indicator *ind)
{
	return ind->valid_from;
}

int64_t cs_indicator_valid_until(const struct cs_indicator *ind)
{
	return ind->valid_until;
}

size_t cs_indicator_label_count(const struct cs_indicator *ind)
{
	return ind->nlabels;
}

const char *cs_indicator_label(const struct cs_intel *in, const struct cs_indicator *ind,
			       size_t i)
{
	const char *l;

	if (i >= ind->nlabels)
		return NULL;
	rd_lock(in);
	l = cs__strtab_get(&in->strs, ind->labels[i]);
	rd_unlock(in);
	return l;
}

size_t cs_indicator_warninglist_count(const struct cs_indicator *ind)
{
	return ind->nwarn;
}

const char *cs_indicator_warninglist(const struct cs_intel *in, const struct cs_indicator *ind,
				     size_t i)
{
	const char *name;

	if (i >= ind->nwarn)
		return NULL;
	rd_lock(in);
	name = cs__strtab_get(&in->strs, in->wls[ind->warn[i]].name);
	rd_unlock(in);
	return name;
}

size_t cs_indicator_source_count(const struct cs_indicator *ind)
{
	return ind->nsrcs;
}

void cs_indicator_source(const struct cs_intel *in, const struct cs_indicator *ind, size_t i,
			 struct cs_source_info *out)
{
	const struct cs_src *s;

	memset(out, 0, sizeof(*out));
	if (i >= ind->nsrcs)
		return;
	s = &ind->srcs[i];
	rd_lock(in);
	out->file = cs__strtab_get(&in->strs, s->file);
	out->line = s->line;
	out->ref = s->ref;
	out->format = cs__strtab_get(&in->strs, s->format);
	out->description = s->desc;
	if (s->lset && s->lset < in->nlsets) {
		out->labels = in->lsets[s->lset].v;
		out->nlabels = in->lsets[s->lset].n;
	}
	rd_unlock(in);
}

size_t cs_indicator_term_count(const struct cs_indicator *ind)
{
	return ind->nterms;
}

unsigned cs_indicator_term_observation(const struct cs_indicator *ind, size_t i)
{
	return i < ind->nterms ? ind->terms[i].obs : 0;
}

enum cs_kind cs_indicator_term(const struct cs_indicator *ind, size_t i, const char **value)
{
	if (i >= ind->nterms) {
		*value = NULL;
		return CS_KIND_NONE;
	}
	*value = ind->terms[i].value;
	return ind->terms[i].kind;
}

/* Warninglists. */

static const char *const wl_type_names[] = {"string", "substring", "hostname", "cidr", "regex"};

size_t cs_intel_warninglist_count(const struct cs_intel *in)
{
	return in->nwls;
}

const char *cs_intel_warninglist_name(const struct cs_intel *in, size_t i, const char **type,
				      uint32_t *kinds, size_t *nentries)
{
	if (i >= in->nwls)
		return NULL;
	if (type)
		*type = wl_type_names[in->wls[i].type];
	if (kinds)
		*kinds = in->wls[i].kinds;
	if (nentries)
		*nentries = in->wls[i].n;
	return cs__strtab_get(&in->strs, in->wls[i].name);
}

const char *cs_intel_warninglist_entry(const struct cs_intel *in, size_t list, size_t i)
{
	if (list >= in->nwls || i >= in->wls[list].n)
		return NULL;
	return in->wls[list].entries[i];
}

static void lower_into(struct cs_buf *b, const char *s, size_t len)
{
	size_t i;

	cs__buf_reset(b);
	for (i = 0; i < len; i++)
		cs__buf_addc(b, (char)cs__lower((unsigned char)s[i]));
}

/* Prepare the lookup structures of one list. Entries that cannot be used
 * (a CIDR that does not parse, a regex that does not compile) are kept
 * in `entries` but not matched. */
static int wlist_build(struct cs_wlist *w)
{
	struct cs_buf b;
	size_t i;
	int rc = CS_OK;

	cs__buf_init(&b, 0);
	for (i = 0; i < w->n && !rc; i++) {
		const char *e = w->entries[i];
		size_t len = strlen(e);

		cs__trim(&e, &len);
		if (w->type == WL_CIDR) {
			const char *slash = memchr(e, '/', len);
			size_t alen = slash ? (size_t)(slash - e) : len;
			int prefix;

			rc = cs__grow((void **)&w->nets, &w->capnets, w->nnets + 1,
				      sizeof(*w->nets));
			if (rc)
				break;
			if (cs__parse_ip(e, alen, w->nets[w->nnets].addr, &w->nets[w->nnets].alen))
				continue;
			prefix = w->nets[w->nnets].alen * 8;
			if (slash) {
				char *endp;
				long p = strtol(slash + 1, &endp, 10);

				if (endp == slash + 1 || p < 0 || p > prefix)
					continue;
				prefix = (int)p;
			}
			w->nets[w->nnets].prefix = prefix;
			w->nnets++;
		} else if (w->type == WL_REGEX) {
			char *pat = cs__strndup(e, len);

			if (!pat) {
				rc = CS_ERR_NOMEM;
				break;
			}
			rc = cs__grow((void **)&w->res, &w->capres, w->nres + 1,
				      sizeof(*w->res));
			if (!rc && regcomp(&w->res[w->nres], pat,
					   REG_EXTENDED | REG_ICASE | REG_NOSUB) == 0)
				w->nres++;
			free(pat);
		} else {
			if (w->type == WL_HOSTNAME && len && e[0] == '.') {
				e++;
				len--;
			}
			while (len && e[len - 1] == '.')
				len--;
			lower_into(&b, e, len);
			rc = cs__map_put(&w->set, cs__buf_cstr(&b), b.len, (uint32_t)i);
		}
	}
	cs__buf_release(&b);
	return rc;
}

int cs_intel_add_warninglist(struct cs_intel *in, const char *name, const char *type,
			     uint32_t kinds, const char *const *entries, size_t n)
{
	struct cs_wlist w;
	uint32_t id;
	size_t i;
	int rc;

	memset(&w, 0, sizeof(w));
	for (i = 0; i < CS_ARRAY_SIZE(wl_type_names); i++) {
		if (strcmp(type, wl_type_names[i]) == 0)
			break;
	}
	if (i == CS_ARRAY_SIZE(wl_type_names)) {
		snprintf(in->errmsg, sizeof(in->errmsg), "warninglist '%s': unknown type '%s'",
			 name, type);
		return CS_ERR_UNSUPPORTED;
	}
	w.type = (enum wl_type)i;
	w.kinds = kinds;
	id = intern(in, name);
	if (!id)
		return CS_ERR_NOMEM;
	w.name = id;
	cs__map_init(&w.set);
	w.entries = cs__calloc(n, sizeof(*w.entries));
	if (!w.entries)
		return CS_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		w.entries[i] = cs__arena_strndup(&in->arena, entries[i], strlen(entries[i]));
		if (!w.entries[i]) {
			wlist_release(&w);
			return CS_ERR_NOMEM;
		}
	}
	w.n = n;
	rc = wlist_build(&w);
	if (rc) {
		wlist_release(&w);
		return rc;
	}
	w.dirty = 1;
	for (i = 0; i < in->nwls; i++) {
		if (in->wls[i].name == id) {
			wlist_release(&in->wls[i]);
			in->wls[i] = w;
			in->finalized = 0;
			return CS_OK;
		}
	}
	if (cs__grow((void **)&in->wls, &in->capwls, in->nwls + 1, sizeof(*in->wls))) {
		wlist_release(&w);
		return CS_ERR_NOMEM;
	}
	in->wls[in->nwls++] = w;
	in->finalized = 0;
	return CS_OK;
}

static int in_net(const unsigned char *addr, int alen, const unsigned char *net, int nlen,
		  int prefix)
{
	int full = prefix / 8, rest = prefix % 8;

	if (alen != nlen)
		return 0;
	if (memcmp(addr, net, (size_t)full) != 0)
		return 0;
	if (rest) {
		unsigned char mask = (unsigned char)(0xff << (8 - rest));

		if ((addr[full] & mask) != (net[full] & mask))
			return 0;
	}
	return 1;
}

/*
 * The part of an indicator a list of host names or networks compares: the
 * host of a URL, the domain of an e-mail address, the value itself
 * otherwise. A URL with a path, query or fragment names one resource on
 * its host, not the host: a list of popular hosts says nothing about
 * https://github.com/IconStorages/images, so such a URL has no subject
 * (returns 0) and only lists of whole strings, substrings or regular
 * expressions can mark it.
 */
static int match_subject(const struct cs_indicator *ind, const char **s, size_t *len)
{
	const char *v = ind->value, *p;

	*s = v;
	*len = strlen(v);
	if (ind->kind == CS_KIND_URL) {
		p = strstr(v, "://");
		if (p) {
			const char *h = p + 3, *e = h, *at;

			while (*e && *e != '/' && *e != '?' && *e != '#')
				e++;
			if (*e && !(e[0] == '/' && e[1] == '\0'))
				return 0;
			at = memchr(h, '@', (size_t)(e - h));
			if (at)
				h = at + 1;
			if (*h == '[') {
				const char *rb = memchr(h, ']', (size_t)(e - h));

				if (rb) {
					*s = h + 1;
					*len = (size_t)(rb - h - 1);
					return 1;
				}
			}
			p = memchr(h, ':', (size_t)(e - h));
			*s = h;
			*len = (size_t)((p ? p : e) - h);
		}
	} else if (ind->kind == CS_KIND_EMAIL) {
		p = strrchr(v, '@');
		if (p) {
			*s = p + 1;
			*len = strlen(p + 1);
		}
	}
	return 1;
}

static int wlist_matches(const struct cs_wlist *w, const struct cs_indicator *ind,
			 struct cs_buf *b)
{
	const char *s;
	size_t len, i;
	uint32_t dummy;
	int whole;

	if (w->kinds && !(w->kinds & (1u << ind->kind)))
		return 0;
	whole = match_subject(ind, &s, &len);
	if (!whole && (w->type == WL_HOSTNAME || w->type == WL_CIDR))
		return 0;
	switch (w->type) {
	case WL_STRING:
		if (whole) {
			lower_into(b, s, len);
			if (cs__map_get(&w->set, cs__buf_cstr(b), b->len, &dummy))
				return 1;
		}
		if (s != ind->value || !whole) {
			lower_into(b, ind->value, strlen(ind->value));
			return cs__map_get(&w->set, cs__buf_cstr(b), b->len, &dummy);
		}
		return 0;
	case WL_HOSTNAME:
		/* The name itself or any parent domain on a label boundary. */
		lower_into(b, s, len);
		for (i = 0; i < b->len; i++) {
			if ((i == 0 || b->data[i - 1] == '.') &&
			    cs__map_get(&w->set, b->data + i, b->len - i, &dummy))
				return 1;
		}
		return 0;
	case WL_SUBSTRING:
		lower_into(b, ind->value, strlen(ind->value));
		for (i = 0; i < w->n; i++) {
			struct cs_buf e;
			int hit;

			cs__buf_init(&e, 0);
			lower_into(&e, w->entries[i], strlen(w->entries[i]));
			hit = e.len && strstr(cs__buf_cstr(b), cs__buf_cstr(&e)) != NULL;
			cs__buf_release(&e);
			if (hit)
				return 1;
		}
		return 0;
	case WL_CIDR: {
		unsigned char addr[16];
		int alen, prefix;
		const char *slash = memchr(s, '/', len);

		if (ind->kind != CS_KIND_IPV4 && ind->kind != CS_KIND_IPV6 &&
		    ind->kind != CS_KIND_CIDR && ind->kind != CS_KIND_URL)
			return 0;
		if (cs__parse_ip(s, slash ? (size_t)(slash - s) : len, addr, &alen))
			return 0;
		prefix = slash ? atoi(slash + 1) : alen * 8;
		for (i = 0; i < w->nnets; i++) {
			/* A network is warninglisted only when it lies wholly
			 * inside a listed one. */
			if (prefix >= w->nets[i].prefix &&
			    in_net(addr, alen, w->nets[i].addr, w->nets[i].alen, w->nets[i].prefix))
				return 1;
		}
		return 0;
	}
	case WL_REGEX:
		for (i = 0; i < w->nres; i++) {
			if (regexec(&w->res[i], ind->value, 0, NULL, 0) == 0)
				return 1;
		}
		return 0;
	}
	return 0;
}

/*
 * Mark each of inds[first ..] that a warninglist names. Marks are
 * recomputed from scratch so that the result does not depend on import
 * order; an indicator whose marks changed is dirty.
 */
static int mark_range(struct cs_intel *in, size_t first)
{
	struct cs_buf b;
	uint32_t *old = NULL;
	size_t i, j;

	if (in->nwls && !(old = cs__calloc(in->nwls, sizeof(*old))))
		return CS_ERR_NOMEM;
	cs__buf_init(&b, 0);
	for (i = first; i < in->n; i++) {
		struct cs_indicator *ind = &in->inds[i];
		uint32_t nold = ind->nwarn < in->nwls ? ind->nwarn : (uint32_t)in->nwls;
		uint8_t oldflags = ind->flags;

		/* Keep the old marks to tell whether they changed. */
		if (nold)
			memcpy(old, ind->warn, nold * sizeof(*old));
		ind->nwarn = 0;
		ind->flags &= (uint8_t)~CS_IND_WARNLISTED;
		for (j = 0; j < in->nwls; j++) {
			if (!wlist_matches(&in->wls[j], ind, &b))
				continue;
			if (grow_small(in, (void **)&ind->warn, &ind->capwarn, ind->nwarn + 1,
				       sizeof(*ind->warn), &ind->heap, HEAP_WARN)) {
				cs__buf_release(&b);
				free(old);
				return CS_ERR_NOMEM;
			}
			ind->warn[ind->nwarn++] = (uint32_t)j;
			ind->flags |= CS_IND_WARNLISTED;
		}
		if (ind->flags != oldflags || ind->nwarn != nold ||
		    (nold && memcmp(old, ind->warn, nold * sizeof(*old)) != 0))
			ind->dirty = 1;
	}
	cs__buf_release(&b);
	free(old);
	return CS_OK;
}

int cs_intel_finalize(struct cs_intel *in)
{
	int rc;

	if (in->finalized)
		return CS_OK;
	if (in->shared)
		return CS_ERR_INVALID; /* its indicators are settled one load at a time */
	rc = mark_range(in, 0);
	if (!rc)
		in->finalized = 1;
	return rc;
}

int cs__intel_settle(struct cs_intel *in, size_t first)
{
	size_t i;
	int rc;

	rd_lock(in);
	rc = mark_range(in, first);
	for (i = first; !rc && i < in->n; i++)
		in->inds[i].dirty = 0;
	rd_unlock(in);
	return rc;
}

int cs__indicator_dirty(const struct cs_indicator *ind)
{
	return ind->dirty == 1;
}

int cs__warninglist_dirty(const struct cs_intel *in, size_t i)
{
	return i < in->nwls && in->wls[i].dirty;
}

void cs__intel_mark_clean(struct cs_intel *in)
{
	size_t i;

	in->sink = NULL;
	for (i = 0; i < in->n; i++)
		in->inds[i].dirty = 0;
	for (i = 0; i < in->nwls; i++)
		in->wls[i].dirty = 0;
	for (i = 0; i < in->nadvs; i++)
		free(in->advs[i].json);
	in->nadvs = 0;
	in->npartials = 0;
}

/*
 * The advisory set: OSV records and product-version indicators, indexed
 * by (ecosystem, normalised package name), and the matcher that decides
 * whether an installed version is affected (docs/software.md).
 *
 * OSV semantics: an `affected` entry names a package; its version is
 * affected when it is one of `versions` (exact text, or equal in the
 * ecosystem's order), or when a range says so. SEMVER ranges use semver
 * order, ECOSYSTEM ranges the ecosystem's; GIT ranges are counted as
 * unsupported. Events are sorted, then walked: `introduced` (at or after)
 * turns "affected" on, `fixed` (at or after) and `last_affected` (after)
 * turn it off. An entry without versions and ranges affects every
 * version. Withdrawn records are ignored. When the installed version or a
 * range's versions cannot be ordered, the answer is "indeterminate",
 * never "not affected".
 *
 * Product-version indicators: "vendor|product|platform|versions", the
 * versions a comma-separated list of exact versions, ranges of
 * comparators (">=18.12.407 <18.12.422") or "*", in the generic order.
 * Product names compare on their letters and digits only, ignoring case
 * ("3CX Desktop App" = "3CXDesktopApp"); an unknown platform on either
 * side matches any.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "chainsweep/software.h"
#include "core/core_int.h"
#include "intel/json_stream_int.h"

#define OSV_MAX_FILE ((size_t)1 << 30)
#define SUMMARY_MAX  300
#define KEY_MAX      1024

enum { EV_INTRODUCED = 1, EV_FIXED = 2, EV_LAST_AFFECTED = 3 };

struct adv_event {
	int type;
	const char *v; /* "0" for introduced-at-the-beginning */
};

struct adv_range {
	enum cs_ecosystem order;
	uint32_t first, n; /* events */
	int bad;           /* events that cannot be ordered */
};

struct adv_record {
	const char *id, *summary, *aliases;
	int malicious;
};

struct adv_entry {
	uint32_t rec;  /* index into records, or UINT32_MAX for an indicator */
	uint32_t next; /* next entry of the same key, +1; 0 ends */
	enum cs_ecosystem eco;
	const char *eco_name;
	const char **versions;
	uint32_t nversions;
	uint32_t first_range, nranges;
	int all;              /* neither versions nor ranges: every version */
	const char *platform; /* products: normalised platform or NULL */
	const char *spec;     /* products: the versions text */
	const struct cs_indicator *ind;
};

struct cs_advisories {
	struct cs_arena arena;
	struct cs_map index; /* key -> head entry + 1 */
	struct adv_record *recs;
	size_t nrecs, caprecs;
	struct adv_entry *ents;
	size_t nents, capents;
	struct adv_range *ranges;
	size_t nranges, capranges;
	struct adv_event *events;
	size_t nevents, capevents;
	struct cs_advisory_info info;
	cs_diag_fn diag;
	void *userdata;
	/* cs_advisories_restrict(): keys of the installed packages; only
	 * records naming one of them are indexed. */
	struct cs_map only;
	int restricted;
};

struct cs_advisories *cs_advisories_new(void)
{
	struct cs_advisories *a = cs__calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	cs__arena_init(&a->arena);
	cs__map_init(&a->index);
	cs__map_init(&a->only);
	return a;
}

void cs_advisories_free(struct cs_advisories *a)
{
	if (!a)
		return;
	cs__arena_release(&a->arena);
	cs__map_release(&a->index);
	cs__map_release(&a->only);
	free(a->recs);
	free(a->ents);
	free(a->ranges);
	free(a->events);
	free(a);
}

void cs_advisories_set_diag(struct cs_advisories *a, cs_diag_fn fn, void *userdata)
{
	a->diag = fn;
	a->userdata = userdata;
}

void cs_advisories_info(const struct cs_advisories *a, struct cs_advisory_info *out)
{
	*out = a->info;
}

static size_t make_key(enum cs_ecosystem eco, const char *name, char *key);

int cs_advisories_restrict(struct cs_advisories *a, const struct cs_pkgset *ps)
{
	size_t i, n = cs_pkgset_count(ps);
	char key[KEY_MAX];

	a->restricted = 1;
	for (i = 0; i < n; i++) {
		const struct cs_package *p = cs_pkgset_at(ps, i);
		enum cs_ecosystem eco =
		        p->ecosystem == CS_ECO_UNKNOWN ? CS_ECO_PRODUCT : p->ecosystem;
		size_t klen = p->name ? make_key(eco, p->name, key) : 0;

		if (klen && cs__map_put(&a->only, key, klen, 1))
			return CS_ERR_NOMEM;
	}
	return CS_OK;
}

static void adv_diag(struct cs_advisories *a, const char *file, uint64_t line, uint64_t col,
                     const char *fmt, ...) CS_PRINTF(5, 6);

static void adv_diag(struct cs_advisories *a, const char *file, uint64_t line, uint64_t col,
                     const char *fmt, ...)
{
	char msg[512];
	struct cs_diag d;
	va_list ap;

	if (!a->diag)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d.severity = CS_SEV_WARN;
	d.file = file;
	d.line = line;
	d.column = col;
	d.reason = "broken";
	d.message = msg;
	a->diag(a->userdata, &d);
}

/* ------------------------------------------------------------------ keys */

/* The index key: one byte of ecosystem, then the name as the ecosystem
 * compares names. Returns the key length, 0 when the name is empty or
 * too long. */
static size_t make_key(enum cs_ecosystem eco, const char *name, char *key)
{
	size_t i, o = 1, n = strlen(name);
	int last_sep = 0;

	if (n == 0 || n >= KEY_MAX - 1)
		return 0;
	key[0] = (char)('A' + eco);
	for (i = 0; i < n; i++) {
		int c = (unsigned char)name[i];

		switch (eco) {
		case CS_ECO_PRODUCT:
		case CS_ECO_UNKNOWN:
			if (cs__isalnum(c) || c >= 0x80)
				key[o++] = (char)cs__lower(c);
			break;
		case CS_ECO_PYPI:
			if (c == '-' || c == '_' || c == '.') {
				if (!last_sep)
					key[o++] = '-';
				last_sep = 1;
				continue;
			}
			key[o++] = (char)cs__lower(c);
			break;
		case CS_ECO_GO:
			key[o++] = (char)c;
			break;
		default:
			key[o++] = (char)cs__lower(c);
			break;
		}
		last_sep = 0;
	}
	key[o] = '\0';
	return o > 1 ? o : 0;
}

static int index_entry(struct cs_advisories *a, const char *key, size_t klen, uint32_t idx)
{
	uint32_t head;

	if (cs__map_get(&a->index, key, klen, &head)) {
		uint32_t k = head - 1;

		while (a->ents[k].next)
			k = a->ents[k].next - 1;
		a->ents[k].next = idx + 1;
		return CS_OK;
	}
	return cs__map_put(&a->index, key, klen, idx + 1);
}

static const char *astr(struct cs_advisories *a, const char *s, size_t max)
{
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s);
	if (n > max) {
		n = max;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return cs__arena_strndup(&a->arena, s, n);
}

static struct adv_entry *new_entry(struct cs_advisories *a)
{
	struct adv_entry *e;

	if (a->nents >= UINT32_MAX - 1 ||
	    cs__grow((void **)&a->ents, &a->capents, a->nents + 1, sizeof(*e)))
		return NULL;
	e = &a->ents[a->nents];
	memset(e, 0, sizeof(*e));
	return e;
}

/* ------------------------------------------------------------------ OSV */

static int event_cmp(enum cs_ecosystem order, const struct adv_event *x, const struct adv_event *y,
                     int *cmp)
{
	int x0 = x->type == EV_INTRODUCED && strcmp(x->v, "0") == 0;
	int y0 = y->type == EV_INTRODUCED && strcmp(y->v, "0") == 0;

	if (x0 || y0) {
		*cmp = x0 && y0 ? 0 : x0 ? -1 : 1;
		return CS_OK;
	}
	return cs_version_cmp(order, x->v, y->v, cmp);
}

/*
 * Records are read straight from the document, as the STIX and MISP
 * readers do it (lib/intel/json_stream.c): each array element is checked
 * with cs__json_validate() without building it, then only the members we
 * need are decoded. A jansson tree per record would cost three times as
 * much for 100,000 records.
 */
struct osv_reader {
	struct cs_advisories *a;
	const char *d;
	size_t len;
	const char *file;
	size_t rec_off;   /* where the record starts */
	size_t line_off;  /* lines are counted lazily, up to here */
	uint64_t line_at; /* the line at line_off */
	struct cs_buf t, t2;
	struct cs_json_spans s2, s3, s4; /* scratch lists of spans */
};

/* The line of the record being read. Counted only when a message needs
 * it, from where the last count stopped (records come in order), so a
 * big array stays linear and a clean one costs nothing. */
static uint64_t rec_line(struct osv_reader *r)
{
	if (r->rec_off < r->line_off) {
		r->line_off = 0;
		r->line_at = 1;
	}
	while (r->line_off < r->rec_off) {
		const char *nl = memchr(r->d + r->line_off, '\n', r->rec_off - r->line_off);

		if (!nl) {
			r->line_off = r->rec_off;
			break;
		}
		r->line_at++;
		r->line_off = (size_t)(nl - r->d) + 1;
	}
	return r->line_at;
}

/* The decoded string at `v`, copied into the arena (cut at `max`); NULL
 * when `v` is not a string. *oom is set when out of memory. */
static const char *span_str(struct osv_reader *r, struct cs_json_span v, size_t max, int *oom)
{
	int got = cs__json_text(r->d, v, &r->t);
	const char *s;

	if (got < 0) {
		*oom = 1;
		return NULL;
	}
	if (!got || memchr(r->t.data, '\0', r->t.len))
		return NULL;
	s = astr(r->a, cs__buf_cstr(&r->t), max);
	if (!s)
		*oom = 1;
	return s;
}

/* The elements of the array at `v` into `out` (emptied first); 0 when
 * `v` is not an array. */
static int span_array(struct osv_reader *r, struct cs_json_span v, struct cs_json_spans *out)
{
	struct cs_json_scan sc;

	out->n = 0;
	if (cs__json_kind(r->d, v) != '[')
		return 0;
	cs__json_scan_init(&sc, r->d, v.off + v.len);
	sc.pos = v.off;
	return cs__json_collect(&sc, out) == CS_OK;
}

/* Add one range of an affected entry; returns CS_OK, or CS_ERR_NOMEM. */
static int osv_range(struct osv_reader *rd, struct cs_json_span range, enum cs_ecosystem eco,
                     struct adv_entry *e)
{
	struct cs_advisories *a = rd->a;
	struct cs_json_field f[] = {{"type", {0, 0}}, {"events", {0, 0}}};
	struct adv_range *r;
	size_t i, j;
	int semver, oom = 0;

	if (!cs__json_fields(rd->d, range, f, 2))
		return CS_OK;
	if (cs__json_str_eq(rd->d, f[0].v, "SEMVER"))
		semver = 1;
	else if (cs__json_str_eq(rd->d, f[0].v, "ECOSYSTEM"))
		semver = 0;
	else {
		a->info.unsupported++; /* GIT, or a type we do not know */
		return CS_OK;
	}
	if (!span_array(rd, f[1].v, &rd->s4))
		return CS_OK;
	if (cs__grow((void **)&a->ranges, &a->capranges, a->nranges + 1, sizeof(*r)))
		return CS_ERR_NOMEM;
	r = &a->ranges[a->nranges];
	memset(r, 0, sizeof(*r));
	r->order = semver ? CS_ECO_SEMVER : eco;
	r->first = (uint32_t)a->nevents;
	for (i = 0; i < rd->s4.n; i++) {
		struct cs_json_field ev[] = {
		        {"introduced", {0, 0}}, {"fixed", {0, 0}}, {"last_affected", {0, 0}}};
		int t;

		if (!cs__json_fields(rd->d, rd->s4.v[i], ev, 3))
			continue;
		for (t = 0; t < 3; t++) {
			struct adv_event *x;
			const char *v;

			if (!ev[t].v.len)
				continue;
			v = span_str(rd, ev[t].v, 256, &oom);
			if (oom)
				return CS_ERR_NOMEM;
			if (!v)
				continue;
			if (cs__grow((void **)&a->events, &a->capevents, a->nevents + 1,
			             sizeof(*x)))
				return CS_ERR_NOMEM;
			x = &a->events[a->nevents++];
			x->type = EV_INTRODUCED + t;
			x->v = v;
			r->n++;
		}
	}
	/* Insertion sort in the range's order; events that cannot be
	 * ordered make the range undecidable. */
	for (i = 1; i < r->n && !r->bad; i++) {
		struct adv_event tmp = a->events[r->first + i];

		for (j = i; j > 0; j--) {
			int c;

			if (event_cmp(r->order, &a->events[r->first + j - 1], &tmp, &c)) {
				r->bad = 1;
				break;
			}
			if (c <= 0)
				break;
			a->events[r->first + j] = a->events[r->first + j - 1];
		}
		a->events[r->first + j] = tmp;
	}
	if (r->n == 1 && a->events[r->first].type == EV_INTRODUCED &&
	    strcmp(a->events[r->first].v, "0") != 0 &&
	    !cs_version_valid(r->order, a->events[r->first].v))
		r->bad = 1;
	if (!e->nranges)
		e->first_range = (uint32_t)a->nranges;
	e->nranges++;
	a->nranges++;
	return CS_OK;
}

/* One affected[] entry of record `ri`. */
static int osv_affected(struct osv_reader *rd, struct cs_json_span aff, uint32_t ri, const char *id,
                        size_t idx)
{
	struct cs_advisories *a = rd->a;
	struct cs_json_field f[] = {{"package", {0, 0}}, {"versions", {0, 0}}, {"ranges", {0, 0}}};
	struct cs_json_field pk[] = {{"ecosystem", {0, 0}}, {"name", {0, 0}}};
	struct adv_entry *e;
	char key[KEY_MAX];
	const char *econame;
	enum cs_ecosystem eco;
	size_t klen, k, nranges;
	int oom = 0, rc;

	if (!cs__json_fields(rd->d, aff, f, 3) || !cs__json_fields(rd->d, f[0].v, pk, 2) ||
	    cs__json_text(rd->d, pk[1].v, &rd->t) != 1 || !rd->t.len) {
		adv_diag(a, rd->file, rec_line(rd), 0, "%s: affected[%zu] without a package", id,
		         idx);
		return CS_OK;
	}
	if (rd->t.len >= KEY_MAX - 1 || memchr(rd->t.data, '\0', rd->t.len))
		return CS_OK;
	econame = span_str(rd, pk[0].v, 64, &oom);
	if (oom)
		return CS_ERR_NOMEM;
	eco = cs_ecosystem_from_osv(econame);
	if (!econame || eco == CS_ECO_UNKNOWN) {
		a->info.unsupported++;
		return CS_OK;
	}
	/* The name is still in rd->t: span_str used it only for econame
	 * after the name was checked, so decode it again. */
	if (cs__json_text(rd->d, pk[1].v, &rd->t) != 1)
		return CS_OK;
	klen = make_key(eco, cs__buf_cstr(&rd->t), key);
	if (!klen)
		return CS_OK;
	e = new_entry(a);
	if (!e)
		return CS_ERR_NOMEM;
	e->rec = ri;
	e->eco = eco;
	e->eco_name = econame;
	if (span_array(rd, f[1].v, &rd->s3) && rd->s3.n) {
		e->versions = cs__arena_alloc(&a->arena, rd->s3.n * sizeof(*e->versions));
		if (!e->versions)
			return CS_ERR_NOMEM;
		for (k = 0; k < rd->s3.n; k++) {
			const char *v = span_str(rd, rd->s3.v[k], 256, &oom);

			if (oom)
				return CS_ERR_NOMEM;
			if (v)
				e->versions[e->nversions++] = v;
		}
	}
	nranges = 0;
	if (span_array(rd, f[2].v, &rd->s3)) {
		struct cs_json_spans ranges = rd->s3;

		/* osv_range() reuses s4 only; keep the ranges' spans. */
		rd->s3.v = NULL;
		rd->s3.n = rd->s3.cap = 0;
		nranges = ranges.n;
		for (k = 0; k < ranges.n; k++) {
			rc = osv_range(rd, ranges.v[k], eco, e);
			if (rc) {
				cs__json_spans_release(&ranges);
				return rc;
			}
		}
		cs__json_spans_release(&ranges);
	}
	e->all = !e->nversions && !e->nranges && !nranges;
	a->nents++;
	a->info.affected++;
	return index_entry(a, key, klen, (uint32_t)(a->nents - 1));
}

/*
 * 1 when an affected[] entry of the valid record names an installed
 * package (cs_advisories_restrict()), by the key the matcher looks up;
 * 0 when none does. An entry that cannot be read as a package counts as
 * naming one: osv_affected() then reports it.
 */
static int names_installed(struct osv_reader *rd, struct cs_json_span affected)
{
	struct cs_advisories *a = rd->a;
	struct cs_json_scan sc;
	struct cs_json_level lv;
	struct cs_json_span el;
	char key[KEY_MAX];
	uint32_t hit;
	int c;

	cs__json_scan_init(&sc, rd->d, affected.off + affected.len);
	sc.pos = affected.off;
	if (cs__json_enter(&sc, &lv))
		return 1;
	while ((c = cs__json_next(&sc, &lv, NULL)) == 1) {
		struct cs_json_field f[] = {{"package", {0, 0}}};
		struct cs_json_field pk[] = {{"ecosystem", {0, 0}}, {"name", {0, 0}}};
		enum cs_ecosystem eco;
		size_t klen;

		if (cs__json_skip(&sc, &el))
			return 1;
		/* Without a name osv_affected() reports the entry. */
		if (!cs__json_fields(rd->d, el, f, 1) || !cs__json_fields(rd->d, f[0].v, pk, 2) ||
		    cs__json_text(rd->d, pk[1].v, &rd->t) != 1 || !rd->t.len)
			return 1;
		if (rd->t.len >= KEY_MAX - 1 || memchr(rd->t.data, '\0', rd->t.len))
			continue; /* osv_affected() would not index it */
		if (cs__json_text(rd->d, pk[0].v, &rd->t2) != 1 ||
		    memchr(rd->t2.data, '\0', rd->t2.len))
			continue;
		eco = cs_ecosystem_from_osv(cs__buf_cstr(&rd->t2));
		if (eco == CS_ECO_UNKNOWN)
			continue;
		klen = make_key(eco, cs__buf_cstr(&rd->t), key);
		if (klen && cs__map_get(&a->only, key, klen, &hit))
			return 1;
	}
	return c != 0;
}

/*
 * One OSV record at span `sp`. `pre` holds its members when the caller
 * has already checked it (cs__json_skip_checked()); NULL when it must be
 * checked here.
 */
static int osv_record(struct osv_reader *rd, struct cs_json_span sp,
                      const struct cs_json_field *pre)
{
	struct cs_advisories *a = rd->a;
	struct cs_json_field f[] = {{"id", {0, 0}},
	                            {"summary", {0, 0}},
	                            {"aliases", {0, 0}},
	                            {"withdrawn", {0, 0}},
	                            {"affected", {0, 0}}};
	struct adv_record *r;
	struct cs_buf aliases;
	struct cs_json_spans affs = {NULL, 0, 0};
	const char *id, *msg = NULL;
	size_t i, err_off = 0;
	uint32_t ri;
	int oom = 0, rc = CS_OK, malicious;

	rd->rec_off = sp.off;
	if (pre) {
		memcpy(f, pre, sizeof(f));
	} else if (cs__json_validate(rd->d, sp, &err_off, &msg)) {
		uint64_t l = rec_line(rd);

		for (i = sp.off; i < err_off && i < rd->len; i++)
			l += rd->d[i] == '\n';
		a->info.broken++;
		adv_diag(a, rd->file, l, 0, "OSV: %s", msg ? msg : "invalid JSON");
		return CS_OK;
	} else {
		cs__json_fields(rd->d, sp, f, CS_ARRAY_SIZE(f));
	}
	rc = cs__json_kind(rd->d, sp) == '{' ? cs__json_text(rd->d, f[0].v, &rd->t) : 0;
	if (rc < 0)
		return CS_ERR_NOMEM;
	if (rc != 1 || memchr(rd->t.data, '\0', rd->t.len)) {
		a->info.broken++;
		adv_diag(a, rd->file, rec_line(rd), 0, "OSV record without an id");
		return CS_OK;
	}
	rc = CS_OK;
	malicious = strncmp(cs__buf_cstr(&rd->t), "MAL-", 4) == 0;
	a->info.records++;
	if (cs__json_kind(rd->d, f[3].v) == '"') {
		a->info.withdrawn++;
		return CS_OK;
	}
	if (cs__json_kind(rd->d, f[4].v) != '[') {
		adv_diag(a, rd->file, rec_line(rd), 0, "%.256s: no 'affected' array",
		         cs__buf_cstr(&rd->t));
		return CS_OK;
	}
	if (a->restricted && !names_installed(rd, f[4].v)) {
		/* Checked and counted, but naming nothing installed: not
		 * worth its copies. */
		a->info.unindexed++;
		a->info.malicious += (uint64_t)malicious;
		return CS_OK;
	}
	if (!(id = span_str(rd, f[0].v, 256, &oom)))
		return CS_ERR_NOMEM; /* it decoded above: only memory fails */
	if (cs__grow((void **)&a->recs, &a->caprecs, a->nrecs + 1, sizeof(*r)))
		return CS_ERR_NOMEM;
	ri = (uint32_t)a->nrecs;
	r = &a->recs[a->nrecs++];
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->summary = span_str(rd, f[1].v, SUMMARY_MAX, &oom);
	r->malicious = malicious;
	a->info.malicious += (uint64_t)r->malicious;
	if (span_array(rd, f[2].v, &rd->s2) && rd->s2.n) {
		cs__buf_init(&aliases, 4096);
		for (i = 0; i < rd->s2.n; i++) {
			if (cs__json_text(rd->d, rd->s2.v[i], &rd->t) == 1 &&
			    ((aliases.len && cs__buf_addc(&aliases, ',')) ||
			     cs__buf_add(&aliases, rd->t.data, rd->t.len)))
				break;
		}
		r->aliases = aliases.len ? astr(a, cs__buf_cstr(&aliases), 4096) : NULL;
		cs__buf_release(&aliases);
	}
	if (oom)
		return CS_ERR_NOMEM;
	if (!span_array(rd, f[4].v, &affs))
		return CS_OK;
	for (i = 0; i < affs.n && !rc; i++)
		rc = osv_affected(rd, affs.v[i], ri, id, i);
	cs__json_spans_release(&affs);
	return rc;
}

static uint64_t line_of(const char *d, size_t off)
{
	uint64_t l = 1;
	size_t i;

	for (i = 0; i < off; i++)
		l += d[i] == '\n';
	return l;
}

int cs_advisories_load_osv_mem(struct cs_advisories *a, const char *name, const void *data,
                               size_t len)
{
	struct cs_json_field f[] = {{"id", {0, 0}},
	                            {"summary", {0, 0}},
	                            {"aliases", {0, 0}},
	                            {"withdrawn", {0, 0}},
	                            {"affected", {0, 0}}};
	struct osv_reader rd;
	struct cs_json_scan s;
	struct cs_json_level lv;
	struct cs_json_span sp;
	uint64_t before = a->info.records;
	int c, rc = CS_OK;

	memset(&rd, 0, sizeof(rd));
	rd.a = a;
	rd.d = data;
	rd.len = len;
	rd.file = name;
	rd.line_at = 1;
	cs__buf_init(&rd.t, 1 << 20);
	cs__buf_init(&rd.t2, 4096);
	cs__json_scan_init(&s, rd.d, len);
	c = cs__json_peek(&s);
	if (c == '{') {
		if (cs__json_skip(&s, &sp) == CS_OK)
			rc = osv_record(&rd, sp, NULL);
	} else if (c == '[' && cs__json_enter(&s, &lv) == CS_OK) {
		while (!rc && (c = cs__json_next(&s, &lv, NULL)) == 1) {
			/* One walk checks the record and finds its members; a
			 * record that fails is checked again, and reported, by
			 * osv_record(). */
			c = cs__json_skip_checked(&s, &sp, f, CS_ARRAY_SIZE(f));
			if (c < 0)
				break;
			rc = osv_record(&rd, sp, c == 1 ? f : NULL);
		}
	} else if (c != '[') {
		a->info.broken++;
		adv_diag(a, name, 1, 1, "OSV: not a JSON object or array");
	}
	if (s.err && !rc) {
		a->info.broken++;
		adv_diag(a, name, line_of(rd.d, s.err_off), 0, "OSV: %s", s.errmsg);
	}
	cs__buf_release(&rd.t);
	cs__buf_release(&rd.t2);
	cs__json_spans_release(&rd.s2);
	cs__json_spans_release(&rd.s3);
	cs__json_spans_release(&rd.s4);
	if (rc)
		return rc;
	return a->info.records > before ? CS_OK : CS_ERR_EMPTY;
}

static int load_file(struct cs_advisories *a, const char *path)
{
	char *data = NULL;
	size_t len;
	int e = 0, rc;

	rc = cs__read_file(path, OSV_MAX_FILE, &data, &len, &e);
	if (rc) {
		a->info.broken++;
		adv_diag(a, path, 0, 0, "cannot read: %s", e ? strerror(e) : cs_strerror(rc));
		return CS_ERR_IO;
	}
	rc = cs_advisories_load_osv_mem(a, path, data, len);
	free(data);
	return rc;
}

static int name_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static int load_dir(struct cs_advisories *a, const char *dir, unsigned depth, int *any)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int rc = CS_OK;

	if (!d) {
		adv_diag(a, dir, 0, 0, "cannot open: %s", strerror(errno));
		a->info.broken++;
		return CS_OK;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (cs__grow((void **)&names, &cap, n + 1, sizeof(*names)) ||
		    !(names[n] = cs__strdup(de->d_name))) {
			rc = CS_ERR_NOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (!rc && n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n && !rc; i++) {
		struct stat st;
		char *p = cs__malloc(strlen(dir) + strlen(names[i]) + 2);

		if (!p) {
			rc = CS_ERR_NOMEM;
			break;
		}
		sprintf(p, "%s/%s", dir, names[i]);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode) && depth < 32) {
			rc = load_dir(a, p, depth + 1, any);
		} else if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) && cs__name_ends(p, ".json")) {
			int r = load_file(a, p);

			if (r == CS_OK)
				*any = 1;
			else if (r == CS_ERR_NOMEM)
				rc = r;
		}
		free(p);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int cs_advisories_load_osv(struct cs_advisories *a, const char *path)
{
	struct stat st;
	int any = 0, rc;

	if (!a || !path)
		return CS_ERR_INVALID;
	if (stat(path, &st) != 0) {
		adv_diag(a, path, 0, 0, "cannot open: %s", strerror(errno));
		return CS_ERR_IO;
	}
	if (!S_ISDIR(st.st_mode))
		return load_file(a, path);
	rc = load_dir(a, path, 0, &any);
	if (rc)
		return rc;
	return any ? CS_OK : CS_ERR_EMPTY;
}

/* ------------------------------------------------------------------ products */

static const char *norm_platform(const char *s, size_t n)
{
	static const struct {
		const char *name, *norm;
	} p[] = {{"windows", "windows"}, {"win", "windows"},  {"win32", "windows"},
	         {"win64", "windows"},   {"macos", "macos"},  {"mac", "macos"},
	         {"osx", "macos"},       {"darwin", "macos"}, {"mac os x", "macos"},
	         {"linux", "linux"},     {"", NULL},          {"*", NULL},
	         {"any", NULL}};
	size_t i;

	cs__trim(&s, &n);
	for (i = 0; i < CS_ARRAY_SIZE(p); i++) {
		if (cs__eqi(s, n, p[i].name))
			return p[i].norm;
	}
	return "other";
}

int cs_advisories_add_intel(struct cs_advisories *a, const struct cs_intel *in)
{
	size_t i, n = cs_intel_count(in);

	for (i = 0; i < n; i++) {
		const struct cs_indicator *ind = cs_intel_at(in, i);
		const char *v = cs_indicator_value(ind), *f[4];
		size_t fl[4], k = 0;
		char key[KEY_MAX], prod[KEY_MAX];
		struct adv_entry *e;
		size_t klen;
		const char *p;

		if (cs_indicator_kind(ind) != CS_KIND_PRODUCT_VERSION)
			continue;
		f[0] = v;
		for (p = v; k < 4; p++) {
			if (*p == '|' || !*p) {
				fl[k] = (size_t)(p - f[k]);
				k++;
				if (!*p)
					break;
				if (k < 4)
					f[k] = p + 1;
			}
		}
		if (k != 4 || *p) {
			struct cs_source_info si;

			memset(&si, 0, sizeof(si));
			if (cs_indicator_source_count(ind))
				cs_indicator_source(in, ind, 0, &si);
			adv_diag(
			        a, si.file ? si.file : "intel", si.line, 0,
			        "product-version '%.80s' is not 'vendor|product|platform|versions'",
			        v);
			a->info.broken++;
			continue;
		}
		{
			const char *s = f[1];
			size_t sn = fl[1];

			cs__trim(&s, &sn);
			if (sn >= sizeof(prod))
				continue;
			memcpy(prod, s, sn);
			prod[sn] = '\0';
		}
		klen = make_key(CS_ECO_PRODUCT, prod, key);
		if (!klen)
			continue;
		e = new_entry(a);
		if (!e)
			return CS_ERR_NOMEM;
		e->rec = UINT32_MAX;
		e->eco = CS_ECO_PRODUCT;
		e->eco_name = "product";
		e->ind = ind;
		e->platform = norm_platform(f[2], fl[2]);
		e->spec = f[3];
		a->nents++;
		a->info.products++;
		if (index_entry(a, key, klen, (uint32_t)(a->nents - 1)))
			return CS_ERR_NOMEM;
	}
	return CS_OK;
}

/* ------------------------------------------------------------------ matching */

enum { V_NO = 0, V_YES = 1, V_UNKNOWN = 2 };

static int range_eval(const struct cs_advisories *a, const struct adv_range *r, const char *ver,
                      char *what, size_t wcap)
{
	uint32_t i;
	int affected = 0, c;
	const char *from = NULL, *to = NULL;
	int to_type = 0;

	if (r->bad || !cs_version_valid(r->order, ver))
		return V_UNKNOWN;
	for (i = 0; i < r->n; i++) {
		const struct adv_event *e = &a->events[r->first + i];

		if (e->type == EV_INTRODUCED) {
			if (strcmp(e->v, "0") == 0) {
				c = 1;
			} else if (cs_version_cmp(r->order, ver, e->v, &c)) {
				return V_UNKNOWN;
			}
			if (c >= 0 && !affected) {
				affected = 1;
				from = e->v;
				to = NULL;
			}
		} else {
			if (cs_version_cmp(r->order, ver, e->v, &c))
				return V_UNKNOWN;
			if (affected && (e->type == EV_FIXED ? c >= 0 : c > 0))
				affected = 0;
			else if (affected && !to) {
				to = e->v;
				to_type = e->type;
			}
		}
	}
	if (affected) {
		if (from && strcmp(from, "0") != 0)
			snprintf(what, wcap, ">=%s%s%s%s", from, to ? " " : "",
			         to ? (to_type == EV_FIXED ? "<" : "<=") : "", to ? to : "");
		else if (to)
			snprintf(what, wcap, "%s%s", to_type == EV_FIXED ? "<" : "<=", to);
		else
			snprintf(what, wcap, "all versions");
	}
	return affected ? V_YES : V_NO;
}

static int entry_eval(const struct cs_advisories *a, const struct adv_entry *e, const char *ver,
                      char *what, size_t wcap)
{
	uint32_t i;
	int unknown = 0, r, c;

	if (e->all) {
		snprintf(what, wcap, "all versions");
		return V_YES;
	}
	for (i = 0; i < e->nversions; i++) {
		if (!e->versions[i])
			continue;
		if (strcmp(e->versions[i], ver) == 0 ||
		    (cs_version_cmp(e->eco, e->versions[i], ver, &c) == 0 && c == 0)) {
			snprintf(what, wcap, "=%s", e->versions[i]);
			return V_YES;
		}
	}
	for (i = 0; i < e->nranges; i++) {
		r = range_eval(a, &a->ranges[e->first_range + i], ver, what, wcap);
		if (r == V_YES)
			return V_YES;
		unknown |= r == V_UNKNOWN;
	}
	if (unknown)
		snprintf(what, wcap, "a range that cannot be compared with this version");
	return unknown ? V_UNKNOWN : V_NO;
}

/* One item of a product spec: "*", an exact version, or comparators. */
static int spec_item(const char *s, size_t n, const char *ver)
{
	char tok[257];
	size_t i = 0;
	int any = 0, c;

	cs__trim(&s, &n);
	if (n == 1 && s[0] == '*')
		return V_YES;
	if (n && s[0] != '<' && s[0] != '>' && s[0] != '=') {
		if (n >= sizeof(tok))
			return V_NO;
		memcpy(tok, s, n);
		tok[n] = '\0';
		if (strcmp(tok, ver) == 0)
			return V_YES;
		if (cs_version_cmp(CS_ECO_PRODUCT, ver, tok, &c))
			return V_UNKNOWN;
		return c == 0 ? V_YES : V_NO;
	}
	while (i < n) {
		size_t st, op_len = 0;
		const char *op;

		while (i < n && s[i] == ' ')
			i++;
		if (i >= n)
			break;
		op = s + i;
		while (i < n && (s[i] == '<' || s[i] == '>' || s[i] == '=')) {
			i++;
			op_len++;
		}
		while (i < n && s[i] == ' ')
			i++;
		st = i;
		while (i < n && s[i] != ' ')
			i++;
		if (i - st == 0 || i - st >= sizeof(tok) || op_len == 0 || op_len > 2)
			return V_UNKNOWN;
		memcpy(tok, s + st, i - st);
		tok[i - st] = '\0';
		if (cs_version_cmp(CS_ECO_PRODUCT, ver, tok, &c))
			return V_UNKNOWN;
		if ((op_len == 1 && op[0] == '<' && !(c < 0)) ||
		    (op_len == 1 && op[0] == '>' && !(c > 0)) ||
		    (op_len == 1 && op[0] == '=' && c != 0) ||
		    (op_len == 2 && op[0] == '<' && !(c <= 0)) ||
		    (op_len == 2 && op[0] == '>' && !(c >= 0)) ||
		    (op_len == 2 && op[0] == '=' && c != 0))
			return V_NO;
		any = 1;
	}
	return any ? V_YES : V_UNKNOWN;
}

static int product_eval(const struct adv_entry *e, const struct cs_package *p, char *what,
                        size_t wcap)
{
	const char *s = e->spec, *comma;
	int unknown = 0;

	if (e->platform && p->platform && strcmp(e->platform, p->platform) != 0)
		return V_NO;
	while (*s && *s != '|') {
		size_t n;
		int r;

		comma = strchr(s, ',');
		n = comma ? (size_t)(comma - s) : strlen(s);
		r = spec_item(s, n, p->version);
		if (r == V_YES) {
			const char *t = s;

			cs__trim(&t, &n);
			snprintf(what, wcap, "%s%.*s",
			         n && (t[0] == '<' || t[0] == '>' || t[0] == '*') ? "" : "=",
			         (int)n, t);
			return V_YES;
		}
		unknown |= r == V_UNKNOWN;
		if (!comma)
			break;
		s = comma + 1;
	}
	if (unknown)
		snprintf(what, wcap, "versions that cannot be compared with this one");
	return unknown ? V_UNKNOWN : V_NO;
}

int cs_software_match(const struct cs_advisories *a, const struct cs_pkgset *ps, cs_software_fn fn,
                      void *userdata, struct cs_software_result *res)
{
	size_t i, n = cs_pkgset_count(ps);
	struct cs_software_result r;
	char key[KEY_MAX], what[600];
	int rc = CS_OK;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < n && !rc; i++) {
		const struct cs_package *p = cs_pkgset_at(ps, i);
		enum cs_ecosystem eco = p->ecosystem;
		uint32_t head;
		size_t klen;

		r.packages++;
		if (eco == CS_ECO_UNKNOWN)
			eco = CS_ECO_PRODUCT;
		klen = make_key(eco, p->name, key);
		if (!klen || !cs__map_get(&a->index, key, klen, &head))
			continue;
		while (head && !rc) {
			const struct adv_entry *e = &a->ents[head - 1];
			struct cs_software_finding f;
			int v;

			head = e->next;
			what[0] = '\0';
			v = e->ind ? product_eval(e, p, what, sizeof(what))
			           : entry_eval(a, e, p->version, what, sizeof(what));
			if (v == V_NO)
				continue;
			memset(&f, 0, sizeof(f));
			f.pkg = p;
			f.affected = what;
			f.ecosystem = e->eco_name;
			f.indeterminate = v == V_UNKNOWN;
			if (e->ind) {
				f.id = cs_indicator_value(e->ind);
				f.indicator = e->ind;
				f.valid_from = cs_indicator_valid_from(e->ind);
				f.valid_until = cs_indicator_valid_until(e->ind);
			} else {
				const struct adv_record *rec = &a->recs[e->rec];

				f.id = rec->id;
				f.summary = rec->summary;
				f.aliases = rec->aliases;
				f.malicious = rec->malicious;
			}
			r.findings++;
			r.indeterminate += (uint64_t)f.indeterminate;
			if (fn)
				rc = fn(userdata, &f);
		}
	}
	if (res)
		*res = r;
	return rc;
}

/*
 * The log retro-hunt (docs/log-hunt.md).
 *
 * Every input goes through logsrc.c, so gzip, bzip2, xz and zstd streams
 * (and rotated "name.2.gz" files) are decompressed on the way whatever
 * their names. The reading thread cuts the stream into chunks of whole
 * lines and hands them to the workers; results are delivered in stream
 * order. A line longer than the cap (or than a chunk) is searched in
 * pieces, each shown with the bytes around it so a match across a cut is
 * still found, once. Memory is bounded by the chunk size times the number
 * of chunks in flight.
 *
 * Formats differ only in where a line's time, source host and Windows
 * event id are; every line is also matched as text, so a line a
 * structured reader cannot parse is reported and still searched.
 */
#include <dirent.h>
#include <malloc.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/mman.h>
#include <sys/stat.h>

#include <jansson.h>

#include "match/match_int.h"
#include "scan/evtx_int.h"
#include "scan/logscan_int.h"
#include "scan/scan_int.h"

#define CHUNK            ((size_t)512 << 10)
#define READ_STEP        ((size_t)512 << 10)
#define DEFAULT_MAX_LINE ((size_t)1 << 20)
#define MAX_LINE_CAP     ((size_t)256 << 20) /* the reader holds this much */
#define DIAGS_PER_FILE   10
#define HOST_MAX         255
#define MATCHED_MAX      1024

enum fmt { F_TEXT, F_SYSLOG, F_JSON, F_ZEEK, F_CSV, F_WEB, F_XML, F_SQUID, F_EVTX, F_N };

static const char *const fmt_names[F_N + 1] = {"text", "syslog", "json",  "zeek", "csv",
                                               "web",  "xml",    "squid", "evtx", NULL};

const char *const *cs_log_formats(void)
{
	return fmt_names;
}

void cs_log_opts_init(struct cs_log_opts *o)
{
	memset(o, 0, sizeof(*o));
}

/* ---- per file ---- */

/* What one line said about itself. */
struct linfo {
	int has_time;
	int64_t ms;
	int event_id;
	char host[HOST_MAX + 1];
};

struct log_file {
	const char *name;
	enum fmt fmt;
	int year; /* for RFC 3164 stamps, which have none */
	/* Zeek TSV and CSV: the header. */
	char sep;
	int ts_col, host_col, id_col;
	char **cols; /* every column's name, for events */
	size_t ncols;
	char zeek_path[64]; /* Zeek's "#path" (dns, conn, http...) */
	/* XML events: what the current event said so far (sequential). */
	int64_t xml_ms;
	int xml_has_time, xml_id;
	char xml_host[HOST_MAX + 1];
	/* Diagnostics shown for this file. */
	unsigned diags;
	int failed; /* not read to its end */
	/* The indicators delivered for the last line with hits: a line cut
	 * into pieces reports each once. */
	uint64_t seen_line;
	const struct cs_indicator **seen;
	size_t nseen, seencap;
	/* A line that goes on into later chunks: what its start said. */
	uint64_t open_line;
	struct linfo open_li;
};

/* ---- one chunk of lines ---- */

struct evbatch;

struct hitrec {
	uint64_t line, offset;
	int has_time;
	int64_t ms;
	int event_id;
	enum cs_kind observed;
	const struct cs_indicator *ind;
	char *matched;
	char *host;
};

struct diagrec {
	uint64_t line;
	char *reason;
	char *msg;
};

/* A chunk: data[pre, pre+len) is its own; the `pre` bytes before are the
 * end of the previous chunk and the `post` bytes after the start of the
 * next, shown to the matcher (but not searched) when a line runs across
 * the cut. */
struct job {
	struct log_file *f;
	char *data;
	size_t pre, len, post;
	uint64_t cont_len; /* bytes of the first line in earlier chunks */
	uint64_t line0, off0;
	int done;
	struct hitrec *hits;
	size_t nhits, cap;
	struct diagrec *diags;
	size_t ndiags, dcap;
	uint64_t lines, bad_lines, long_lines;
	int cont;              /* the first line continues the previous chunk's last */
	struct linfo *tail_li; /* the facts of the last line, when it goes on */
	int ev_rc;             /* what on_event returned, when not 0 */
	int scan_rc; /* why the search of its lines stopped (no memory, no intel), when not 0 */
	uint64_t tail_line;
	uint64_t newlines; /* in the chunk's own bytes, when counted is set */
	int counted;       /* scan_lines went to the end */
	struct evbatch *eb; /* a batch of .evtx events for on_event, or NULL */
	struct job *next_q; /* the workers' queue */
	struct job *next_f; /* the reader's in-order list */
};

struct lscan {
	const struct cs_matcher *m;
	struct cs_log_opts o;
	struct cs_log_result *res;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	struct job *queue_head, *queue_tail; /* waiting for a worker */
	size_t overlap;                      /* context shown on each side of a piece */
	const struct cs__log_test *test;
	int ref; /* test->reference */
	/* Chunk buffers given back by deliver(), for the reading thread to
	 * fill again (fresh 4 MiB buffers cost page faults and zeroing). */
	char *spare[16];
	unsigned nspare;
	int closing;
	int rc;
	double t0;
	double last_progress; /* when on_progress was last called */
	uint64_t raw_done;    /* input bytes of the files finished */
};

/* 1 when the hunt must stop: the interrupt flag or the time limit. Only
 * the reading thread calls it; queued chunks are still searched. */
static int log_stopping(struct lscan *ls)
{
	if (ls->res->stopped)
		return 1;
	if (ls->o.interrupt && __atomic_load_n(ls->o.interrupt, __ATOMIC_RELAXED))
		ls->res->stopped = CS_COV_INTERRUPTED;
	else if (ls->o.max_runtime > 0 && cs__now() - ls->t0 > ls->o.max_runtime)
		ls->res->stopped = CS_COV_TIME_LIMIT;
	if (ls->res->stopped)
		ls->res->incomplete = 1;
	return ls->res->stopped != 0;
}

static const char *stop_words(const struct lscan *ls)
{
	return ls->res->stopped == CS_COV_INTERRUPTED ? "interrupted" : "time limit";
}

static char *dupn(const char *s, size_t n)
{
	return cs__strndup(s, n);
}

/*
 * A fresh chunk buffer, its whole 2 MiB pages marked for transparent huge
 * pages. The kernel fills the buffer on first touch one page fault at a
 * time, and on a virtual machine a fault of a 4 KiB page costs about as
 * much as reading 60 KiB of the log (bench/RESULTS.md, 22:40 section):
 * the few buffers of a hunt cost thousands of faults, and far fewer on
 * huge pages. Only advice: where the kernel has none to give, the buffer
 * is the same.
 */
static char *chunk_alloc(size_t n)
{
	char *p = cs__malloc(n);
#ifdef MADV_HUGEPAGE
	/* The whole huge pages inside the chunk's own part: the room for a
	 * long line past it is seldom touched, and would cost a whole huge
	 * page when it is. Not an aligned allocation: buffers freed and
	 * allocated again in a long hunt must reuse the same memory. */
	const uintptr_t huge = (uintptr_t)2 << 20;
	uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1),
	          e = ((uintptr_t)p + (n < CHUNK ? n : CHUNK)) & ~(huge - 1);

	if (p && e > a)
		(void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#endif
	return p;
}

/* A buffer for a chunk (CHUNK + the line cap + twice the overlap, and a
 * NUL): a spare one when there is one. Only the reading thread calls
 * these three. */
static char *chunk_new(struct lscan *ls)
{
	size_t cap = CHUNK + ls->o.max_line + 2 * ls->overlap;

	return ls->nspare ? ls->spare[--ls->nspare] : chunk_alloc(cap + 1);
}

/* The chunk of the first n bytes of *buf, the buffer being gathered,
 * NUL-terminated: the buffer itself (*buf is then NULL) unless the chunk
 * is small (a short stream's only chunk, or its last), which is copied to
 * its own size so that small files in flight stay small. */
static char *chunk_take(const struct lscan *ls, char **buf, size_t n)
{
	size_t cap = CHUNK + ls->o.max_line + 2 * ls->overlap;
	char *d = *buf;

	if (n < cap / 2)
		return dupn(d, n);
	d[n] = '\0';
	*buf = NULL;
	return d;
}

static void chunk_put(struct lscan *ls, char *data)
{
	if (data && ls->nspare < CS_ARRAY_SIZE(ls->spare) &&
	    malloc_usable_size(data) > CHUNK + ls->o.max_line + 2 * ls->overlap)
		ls->spare[ls->nspare++] = data;
	else
		free(data);
}

static void job_diag(struct job *j, uint64_t line, const char *reason, const char *fmt, ...)
        CS_PRINTF(4, 5);

static void job_diag(struct job *j, uint64_t line, const char *reason, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (cs__grow((void **)&j->diags, &j->dcap, j->ndiags + 1, sizeof(*j->diags)))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	j->diags[j->ndiags].line = line;
	j->diags[j->ndiags].reason = cs__strdup(reason);
	j->diags[j->ndiags].msg = cs__strdup(msg);
	j->ndiags++;
}

static void set_host(struct linfo *li, const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '"'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '"'))
		n--;
	if (n > HOST_MAX)
		n = HOST_MAX;
	memcpy(li->host, s, n);
	li->host[n] = '\0';
}

/* ---- the line matcher ---- */

struct line_ctx {
	struct lscan *ls;
	struct job *j;
	const char *line;
	size_t len;
	uint64_t lineno, off; /* off: of the text at `base` in the window */
	size_t base;
	const struct linfo *li;
	const char *alt;  /* a decoded copy being matched, or NULL */
	size_t first_hit; /* the line's first hit in j->hits */
};

static int seen_ind(const struct job *j, size_t from, const struct cs_indicator *ind)
{
	size_t i;

	for (i = from; i < j->nhits; i++)
		if (j->hits[i].ind == ind)
			return 1;
	return 0;
}

static int on_text(void *ud, enum cs_kind observed, size_t off, size_t len,
                   const struct cs_indicator *ind)
{
	struct line_ctx *c = ud;
	struct job *j = c->j;
	const char *src = c->alt ? c->alt : c->line;
	struct hitrec *h;

	if (seen_ind(j, c->first_hit, ind))
		return 0;
	if (c->ls->test && c->ls->test->hit_fails)
		return c->ls->test->hit_fails;
	if (cs__grow((void **)&j->hits, &j->cap, j->nhits + 1, sizeof(*j->hits)))
		return CS_ERR_NOMEM;
	h = &j->hits[j->nhits];
	memset(h, 0, sizeof(*h));
	h->line = c->lineno;
	h->ind = ind;
	h->offset = c->off + (c->alt ? 0 : off - c->base);
	h->has_time = c->li->has_time;
	h->ms = c->li->ms;
	h->event_id = c->li->event_id;
	h->observed = observed;
	h->matched = dupn(src + off, len > MATCHED_MAX ? MATCHED_MAX : len);
	h->host = c->li->host[0] ? cs__strdup(c->li->host) : NULL;
	j->nhits++;
	return 0;
}

static int match(struct line_ctx *c, const char *s, size_t n, const char *alt)
{
	c->alt = alt;
	if (c->ls->ref)
		return cs__match_text_ref(c->ls->m, s, n, on_text, c);
	return cs__match_text(c->ls->m, s, n, on_text, c);
}

/* ---- formats: time, host, event id ---- */

static void info_text(struct log_file *f, const struct cs_log_opts *o, const char *s, size_t n,
                      struct linfo *li)
{
	const char *b;

	if (cs__time_any(s, n, f->year, o->tz_minutes, &li->ms) == 0) {
		li->has_time = 1;
		return;
	}
	/* "... [29/Mar/2023:12:00:01 +0000] ..." anywhere. */
	b = memchr(s, '[', n);
	if (b && cs__time_web(b + 1, n - (size_t)(b + 1 - s), &li->ms, NULL) == 0)
		li->has_time = 1;
}

static void info_syslog(struct log_file *f, const struct cs_log_opts *o, const char *s, size_t n,
                        struct linfo *li)
{
	size_t i = 0, used = 0, h;

	if (i < n && s[i] == '<') {
		while (i < n && s[i] != '>')
			i++;
		i++;
	}
	if (i + 1 < n && s[i] == '1' && s[i + 1] == ' ') {
		/* RFC 5424: VERSION SP TIMESTAMP SP HOSTNAME */
		i += 2;
		if (cs__time_iso(s + i, n - i, o->tz_minutes, &li->ms, &used) == 0)
			li->has_time = 1;
	} else if (i < n &&
	           cs__time_3164(s + i, n - i, f->year, o->tz_minutes, &li->ms, &used) == 0) {
		li->has_time = 1;
	} else if (i < n && cs__time_iso(s + i, n - i, o->tz_minutes, &li->ms, &used) == 0) {
		li->has_time = 1; /* rsyslog's high-precision form */
	} else {
		return;
	}
	i += used;
	while (i < n && s[i] == ' ')
		i++;
	for (h = i; h < n && s[h] != ' '; h++)
		;
	if (h > i && !(h - i == 1 && s[i] == '-'))
		set_host(li, s + i, h - i);
}

/* Squid's native log: "time.ms elapsed client code/status bytes method
 * URL ...". */
static void info_squid(const char *s, size_t n, struct linfo *li)
{
	const char *p = s, *end = s + n, *t;
	int k;

	if (cs__time_epoch(s, n, &li->ms, NULL) == 0)
		li->has_time = 1;
	for (k = 0; k < 2 && p < end; k++) {
		while (p < end && *p != ' ')
			p++;
		while (p < end && *p == ' ')
			p++;
	}
	for (t = p; t < end && *t != ' '; t++)
		;
	if (t > p)
		set_host(li, p, (size_t)(t - p));
}

static void info_web(const struct cs_log_opts *o, const char *s, size_t n, struct linfo *li)
{
	const char *sp = memchr(s, ' ', n), *b = memchr(s, '[', n);

	(void)o;
	if (sp)
		set_host(li, s, (size_t)(sp - s));
	if (b && cs__time_web(b + 1, n - (size_t)(b + 1 - s), &li->ms, NULL) == 0)
		li->has_time = 1;
}

/* The n-th field of a separated line (CSV quotes honoured). */
static int field(const char *s, size_t n, char sep, int want, const char **fs, size_t *fn)
{
	size_t i = 0;
	int k = 0;

	while (i <= n) {
		size_t st = i;
		int q = sep == ',' && i < n && s[i] == '"';

		if (q) {
			i++;
			while (i < n && !(s[i] == '"' && (i + 1 >= n || s[i + 1] != '"')))
				i += s[i] == '"' ? 2 : 1;
			if (i < n)
				i++;
		}
		while (i < n && s[i] != sep)
			i++;
		if (k == want) {
			*fs = s + st + q;
			*fn = i - st - (size_t)(q ? 2 : 0);
			if (q && i - st < 2)
				*fn = 0;
			return 0;
		}
		k++;
		i++;
	}
	return -1;
}

static void info_columns(struct log_file *f, const struct cs_log_opts *o, const char *s, size_t n,
                         struct linfo *li)
{
	const char *v;
	size_t vn;

	if (f->ts_col >= 0 && field(s, n, f->sep, f->ts_col, &v, &vn) == 0 &&
	    cs__time_any(v, vn, f->year, o->tz_minutes, &li->ms) == 0)
		li->has_time = 1;
	if (f->host_col >= 0 && field(s, n, f->sep, f->host_col, &v, &vn) == 0 && vn &&
	    !(vn == 1 && v[0] == '-'))
		set_host(li, v, vn);
	if (f->id_col >= 0 && field(s, n, f->sep, f->id_col, &v, &vn) == 0 && vn)
		li->event_id = atoi(v);
}

static const char *const time_keys[] = {"ts",       "@timestamp", "timestamp",   "time",
                                        "UtcTime",  "EventTime",  "TimeCreated", "date",
                                        "datetime", "eventTime",
                                        "Event.System.TimeCreated.#attributes.SystemTime", NULL};
static const char *const host_keys[] = {"id.orig_h",     "Computer",  "hostname",  "host",
                                        "src_ip",        "client_ip", "source_ip", "src",
                                        "computer_name", "ClientIP",  "Event.System.Computer",
                                        NULL};
static const char *const id_keys[] = {"EventID", "event_id", "EventId", "Id",
                                      "Event.System.EventID", NULL};

/* A value by dotted path ("winlog.event_id"), or by a flat key that has
 * dots itself (Zeek's "id.orig_h"). */
static json_t *jget(json_t *o, const char *path)
{
	json_t *v = json_object_get(o, path);
	const char *dot;
	char head[128];

	if (v || !json_is_object(o))
		return v;
	dot = strchr(path, '.');
	if (!dot || (size_t)(dot - path) >= sizeof(head))
		return NULL;
	memcpy(head, path, (size_t)(dot - path));
	head[dot - path] = '\0';
	v = json_object_get(o, head);
	return v ? jget(v, dot + 1) : NULL;
}

static void info_json(struct log_file *f, const struct cs_log_opts *o, json_t *root,
                      struct linfo *li)
{
	json_t *v;
	int i;

	for (i = 0; time_keys[i] && !li->has_time; i++) {
		v = jget(root, time_keys[i]);
		if (json_is_string(v)) {
			li->has_time = cs__time_any(json_string_value(v), json_string_length(v),
			                            f->year, o->tz_minutes, &li->ms) == 0;
		} else if (json_is_object(v) && json_is_string(json_object_get(v, "SystemTime"))) {
			v = json_object_get(v, "SystemTime");
			li->has_time = cs__time_any(json_string_value(v), json_string_length(v),
			                            f->year, o->tz_minutes, &li->ms) == 0;
		} else if (json_is_number(v)) {
			double d = json_number_value(v);

			/* Seconds, or milliseconds when it is that large. */
			li->ms = d > 1e11 ? (int64_t)d : (int64_t)(d * 1000.0);
			li->has_time = d > 0;
		}
	}
	for (i = 0; host_keys[i] && !li->host[0]; i++) {
		v = jget(root, host_keys[i]);
		if (json_is_object(v))
			v = json_object_get(v, "name");
		if (json_is_string(v))
			set_host(li, json_string_value(v), json_string_length(v));
	}
	v = jget(root, "winlog.event_id");
	for (i = 0; id_keys[i] && !json_is_integer(v) && !json_is_string(v); i++)
		v = jget(root, id_keys[i]);
	if (json_is_integer(v))
		li->event_id = (int)json_integer_value(v);
	else if (json_is_string(v))
		li->event_id = atoi(json_string_value(v));
}

/* Match every string value (or the named fields) of a JSON value. */
static int match_json_strings(struct line_ctx *c, json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;
	int rc = 0;

	if (json_is_string(v))
		return match(c, json_string_value(v), json_string_length(v), json_string_value(v));
	if (json_is_object(v)) {
		json_object_foreach(v, k, x)
		{
			rc = match_json_strings(c, x);
			if (rc)
				return rc;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
		{
			rc = match_json_strings(c, x);
			if (rc)
				return rc;
		}
	}
	return rc;
}

/* XML events: remember what the <System> part says. */
static void xml_state(struct log_file *f, const char *s, size_t n)
{
	const char *p;
	char buf[128];

	if (memmem(s, n, "<Event ", 7) || memmem(s, n, "<Event>", 7)) {
		f->xml_has_time = 0;
		f->xml_id = 0;
		f->xml_host[0] = '\0';
	}
	p = memmem(s, n, "SystemTime=", 11);
	if (p && p + 12 < s + n) {
		int64_t ms;

		if (cs__time_iso(p + 12, n - (size_t)(p + 12 - s), 0, &ms, NULL) == 0) {
			f->xml_ms = ms;
			f->xml_has_time = 1;
		}
	}
	p = memmem(s, n, "<Computer>", 10);
	if (p) {
		const char *e = memmem(p, n - (size_t)(p - s), "</", 2);
		size_t len = e ? (size_t)(e - p - 10) : 0;

		if (len > HOST_MAX)
			len = HOST_MAX;
		memcpy(f->xml_host, p + 10, len);
		f->xml_host[len] = '\0';
	}
	p = memmem(s, n, "<EventID", 8);
	if (p) {
		const char *gt = memchr(p, '>', n - (size_t)(p - s));

		if (gt) {
			size_t len = (size_t)(s + n - gt - 1);

			if (len >= sizeof(buf))
				len = sizeof(buf) - 1;
			memcpy(buf, gt + 1, len);
			buf[len] = '\0';
			f->xml_id = atoi(buf);
		}
	}
}

/* Decode the five XML entities into a copy. */
static char *xml_decode(const char *s, size_t n, size_t *out)
{
	static const char *const ent[5][2] = {
	        {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}};
	char *d = cs__malloc(n + 1);
	size_t i = 0, o = 0;
	int k;

	if (!d)
		return NULL;
	while (i < n) {
		for (k = 0; k < 5; k++) {
			size_t l = strlen(ent[k][0]);

			if (s[i] == '&' && i + l <= n && memcmp(s + i, ent[k][0], l) == 0) {
				d[o++] = ent[k][1][0];
				i += l;
				break;
			}
		}
		if (k == 5)
			d[o++] = s[i++];
	}
	d[o] = '\0';
	*out = o;
	return d;
}

/* What a line's start says (time, host, event id), for every reader but
 * JSON, which needs the whole line; 1 for a line to leave out (Zeek's
 * header and footer lines). */
static int line_facts(struct log_file *f, const struct cs_log_opts *o, const char *s, size_t n,
                      struct linfo *li)
{
	switch (f->fmt) {
	case F_SYSLOG:
		info_syslog(f, o, s, n, li);
		break;
	case F_WEB:
		info_web(o, s, n, li);
		break;
	case F_SQUID:
		info_squid(s, n, li);
		break;
	case F_ZEEK:
	case F_CSV:
		if (n && s[0] == '#' && f->fmt == F_ZEEK)
			return 1;
		info_columns(f, o, s, n, li);
		break;
	case F_XML:
		xml_state(f, s, n);
		li->has_time = f->xml_has_time;
		li->ms = f->xml_ms;
		li->event_id = f->xml_id;
		snprintf(li->host, sizeof(li->host), "%s", f->xml_host);
		break;
	case F_JSON:
		break;
	default:
		info_text(f, o, s, n, li);
		break;
	}
	return 0;
}

/* The line as a structured event, for on_event (Sigma rules): JSON
 * objects, Windows events written as one line of XML, and rows of Zeek
 * and CSV logs under their header's names. */
static void line_event(struct lscan *ls, struct job *j, json_t *root, const char *s, size_t n,
                       uint64_t lineno, uint64_t off, const struct linfo *li)
{
	struct log_file *f = j->f;
	struct cs__evb b;
	struct cs_event e;
	int ok = -1;

	memset(&b, 0, sizeof(b));
	memset(&e, 0, sizeof(e));
	e.format = fmt_names[f->fmt];
	if (f->fmt == F_JSON && json_is_object(root))
		ok = cs__event_from_json(&b, root, &e);
	else if (f->fmt == F_XML)
		ok = cs__event_from_xml(&b, s, n, &e);
	else if ((f->fmt == F_ZEEK || f->fmt == F_CSV) && f->ncols)
		ok = cs__event_from_row(&b, (const char *const *)f->cols, f->ncols, f->sep, s, n,
		                        &e);
	if (ok == 0) {
		if (f->fmt == F_ZEEK) {
			e.product = "zeek";
			e.service = f->zeek_path[0] ? f->zeek_path : NULL;
		}
		e.file = f->name;
		e.line = lineno;
		e.offset = off;
		e.has_time = li->has_time;
		e.time_ms = li->ms;
		if (!e.host && li->host[0])
			e.host = li->host;
		if (!e.event_id)
			e.event_id = li->event_id;
		j->ev_rc = ls->o.on_event(ls->o.userdata, &e);
	}
	cs__evb_free(&b);
}

/* One whole line: its facts, then the text. */
static int scan_line(struct lscan *ls, struct job *j, const char *s, size_t n, uint64_t lineno,
                     uint64_t off)
{
	struct log_file *f = j->f;
	struct linfo li;
	struct line_ctx c;
	json_t *root = NULL;
	int rc = 0;

	if (n && s[n - 1] == '\r')
		n--;
	memset(&li, 0, sizeof(li));
	memset(&c, 0, sizeof(c));
	c.ls = ls;
	c.j = j;
	c.line = s;
	c.len = n;
	c.lineno = lineno;
	c.off = off;
	c.li = &li;
	c.first_hit = j->nhits;
	if (n == 0)
		return 0;
	if (memchr(s, '\0', n)) {
		if (j->bad_lines++ < DIAGS_PER_FILE)
			job_diag(j, lineno, "binary", "binary data (NUL bytes); searched as text");
	}
	if (f->fmt != F_JSON) {
		if (line_facts(f, &ls->o, s, n, &li))
			return 0;
	} else {
		json_error_t err;

		root = json_loadb(s, n, 0, &err);
		if (!root) {
			if (j->bad_lines++ < DIAGS_PER_FILE)
				job_diag(j, lineno, "json-syntax",
				         "invalid JSON at column %d: %s; searched as text",
				         err.column, err.text);
		} else {
			info_json(f, &ls->o, root, &li);
		}
	}
	if (root && ls->o.nfields) {
		size_t i;

		for (i = 0; i < ls->o.nfields && !rc; i++) {
			json_t *v = jget(root, ls->o.fields[i]);

			if (v)
				rc = match_json_strings(&c, v);
		}
	} else {
		rc = match(&c, s, n, NULL);
		/* Escapes hide text: "http:\/\/evil.com" in JSON, "&amp;" in XML. */
		if (!rc && root && memchr(s, '\\', n))
			rc = match_json_strings(&c, root);
		if (!rc && f->fmt == F_XML && memchr(s, '&', n)) {
			size_t dn;
			char *d = xml_decode(s, n, &dn);

			if (d) {
				rc = match(&c, d, dn, d);
				free(d);
			}
		}
	}
	if (!rc && ls->o.on_event && !j->ev_rc)
		line_event(ls, j, root, s, n, lineno, off, &li);
	json_decref(root);
	return rc;
}

/* One piece of a line: [w, w+wn) is what is seen of the line around it,
 * the piece is [w+a, w+b); only matches that start in the piece count. */
static int scan_piece(struct lscan *ls, struct job *j, const char *w, size_t wn, size_t a, size_t b,
                      unsigned cut, uint64_t lineno, uint64_t off, const struct linfo *li,
                      size_t first_hit)
{
	struct line_ctx c;

	memset(&c, 0, sizeof(c));
	c.ls = ls;
	c.j = j;
	c.line = w;
	c.len = wn;
	c.lineno = lineno;
	c.off = off;
	c.base = a;
	c.li = li;
	c.first_hit = first_hit;
	if (ls->ref)
		return cs__match_text_window_ref(ls->m, w, wn, a, b, cut, on_text, &c);
	return cs__match_text_window(ls->m, w, wn, a, b, cut, on_text, &c);
}

/* A line over the cap, or the part of a line this chunk holds, searched in
 * pieces of at most the cap. Each piece is shown with `overlap` bytes of
 * the line on either side (from the chunk's pre and post context when the
 * line runs across a chunk boundary), so a match across a cut is found in
 * the piece where it starts, once, and the name and word boundaries see
 * the bytes really next to it. */
static int scan_long(struct lscan *ls, struct job *j, const char *p, const char *le, int head,
                     int tail, uint64_t line)
{
	const char *lo = j->data, *own = j->data + j->pre;
	const char *hi = own + j->len + j->post;
	const char *vs = p, *ve = le, *a, *q;
	size_t max_line = ls->o.max_line, ov = ls->overlap;
	size_t first_hit = j->nhits;
	int vhead = head, vtail = tail, binary = 0, rc;
	struct linfo li;

	if (!head) {
		q = memrchr(lo, '\n', (size_t)(p - lo));
		vs = q ? q + 1 : lo;
		vhead = q != NULL;
	}
	if (!tail) {
		q = memchr(le, '\n', (size_t)(hi - le));
		ve = q ? q : hi;
		vtail = q != NULL;
	}
	memset(&li, 0, sizeof(li));
	if (head && line_facts(j->f, &ls->o, p,
	                       (size_t)(le - p) < max_line ? (size_t)(le - p) : max_line, &li))
		return 0;
	if (head && !tail && !j->tail_li) {
		j->tail_li = cs__malloc(sizeof(li));
		if (j->tail_li) {
			*j->tail_li = li;
			j->tail_line = line;
		}
	}
	for (a = p; a < le;) {
		const char *b = (size_t)(le - a) > max_line ? a + max_line : le;
		const char *ws = (size_t)(a - vs) > ov ? a - ov : vs;
		const char *we = (size_t)(ve - b) > ov ? b + ov : ve;
		unsigned cut = (ws > vs || !vhead ? CS_TEXT_CUT_LEFT : 0) |
		               (we < ve || !vtail ? CS_TEXT_CUT_RIGHT : 0);

		if (!binary && memchr(a, '\0', (size_t)(b - a))) {
			binary = 1;
			if (j->bad_lines++ < DIAGS_PER_FILE)
				job_diag(j, line, "binary",
				         "binary data (NUL bytes); searched as text");
		}
		rc = scan_piece(ls, j, ws, (size_t)(we - ws), (size_t)(a - ws), (size_t)(b - ws),
		                cut, line, j->off0 + (uint64_t)(a - own), &li, first_hit);
		if (rc)
			return rc;
		a = b;
	}
	return 0;
}

/* The fast path: 1 when the whole line [p, p+n) of the chunk's own bytes
 * can be left alone, because the text pre-filter finds no candidate in it
 * (*cand caches the next candidate's offset in `own`, valid from *from).
 * A JSON line must also be valid JSON for sure (or scan_line parses it
 * and reports it) and hold no escaped candidate. */
static int line_quiet(const struct lscan *ls, const struct job *j, const char *own, const char *p,
                      size_t n, size_t *cand, size_t *from)
{
	size_t at = (size_t)(p - own);
	const struct cs_tfilter *tf = ls->m->tf;

	if (*cand < at || *from > at) {
		*from = at;
		*cand = cs__tfilter_next(tf, own, at, j->len);
	}
	if (*cand < at + n)
		return 0;
	if (j->f->fmt == F_JSON) {
		if (n && p[n - 1] == '\r')
			n--;
		if (memchr(p, '\\', n)) {
			char *d = cs__malloc(n + 1);
			size_t dn;
			int quiet = d && cs__json_unescape(p, n, d, &dn) == 0 &&
			            !cs__tfilter_any(tf, d, dn);

			free(d);
			if (!quiet)
				return 0;
		}
		return cs__json_surely_valid(p, n);
	}
	return 1;
}

/* The fast path over many lines at once: the bytes from `p` (a line's
 * start in the chunk's own bytes) to the end of the last whole line
 * before the next candidate, at most the line cap of them (so no line in
 * it is long), or 0; *nlines: how many lines that is. Not for JSON, whose
 * every line is checked. */
static size_t skip_quiet(const struct lscan *ls, const struct job *j, const char *own,
                         const char *p, size_t *cand, size_t *from, uint64_t *nlines)
{
	size_t at = (size_t)(p - own), lim;
	const char *e;

	if (*cand < at || *from > at) {
		*from = at;
		*cand = cs__tfilter_next(ls->m->tf, own, at, j->len);
	}
	lim = *cand < j->len ? *cand : j->len;
	if (lim - at > ls->o.max_line)
		lim = at + ls->o.max_line;
	e = lim > at ? memrchr(p, '\n', lim - at) : NULL;
	if (!e)
		return 0;
	*nlines = cs__count_newlines(p, (size_t)(e + 1 - p));
	return (size_t)(e + 1 - p);
}

/* The lines of a chunk. A line that began in an earlier chunk, or goes on
 * in the next, or is longer than the cap, is searched in pieces. A whole
 * line in which the text pre-filter finds no candidate is counted and
 * left alone (line_quiet): no time, host or JSON parsing for it. XML keeps
 * the full path (its event state runs across lines). A line holding a NUL
 * byte is always a candidate of the pre-filter, so it is searched and
 * reported as binary. */
/* ---- .evtx events evaluated on the workers ---- */

/*
 * A batch of decoded .evtx events, deep-copied out of the reader's
 * buffers so a worker can hand them to on_event while the reading thread
 * decodes the next ones. While it is being filled, its string and field
 * pointers hold offsets (plus one, so 0 stays NULL) into `text` and
 * `fl`, which may still move; evbatch_seal() turns them into pointers.
 */
struct evbatch {
	struct cs_event *ev;
	size_t nev, capev;
	struct cs_event_field *fl;
	size_t nfl, capfl;
	struct cs_buf text;
};

#define EVB_EVENTS 128
#define EVB_BYTES  ((size_t)512 << 10)

static void evbatch_free(struct evbatch *b)
{
	if (!b)
		return;
	free(b->ev);
	free(b->fl);
	cs__buf_release(&b->text);
	free(b);
}

static int evbatch_full(const struct evbatch *b)
{
	return b->nev >= EVB_EVENTS || b->text.len >= EVB_BYTES;
}

/* Copy n bytes and a NUL into the batch; *out: the offset plus one. */
static int evb_str(struct evbatch *b, const char *s, size_t n, const char **out)
{
	uintptr_t off = (uintptr_t)b->text.len + 1;

	if (!s) {
		*out = NULL;
		return 0;
	}
	if (cs__buf_add(&b->text, s, n) || cs__buf_addc(&b->text, '\0'))
		return CS_ERR_NOMEM;
	*out = (const char *)off;
	return 0;
}

/* Copy event `e` into the batch. Its file, format, product and service
 * are names that outlive the file's reading and are kept as they are. */
static int evbatch_add(struct evbatch *b, const struct cs_event *e)
{
	struct cs_event *c;
	size_t i;

	if (cs__grow((void **)&b->ev, &b->capev, b->nev + 1, sizeof(*b->ev)) ||
	    cs__grow((void **)&b->fl, &b->capfl, b->nfl + e->nfields, sizeof(*b->fl)))
		return CS_ERR_NOMEM;
	c = &b->ev[b->nev];
	*c = *e;
	if (evb_str(b, e->host, e->host ? strlen(e->host) : 0, &c->host) ||
	    evb_str(b, e->channel, e->channel ? strlen(e->channel) : 0, &c->channel) ||
	    evb_str(b, e->provider, e->provider ? strlen(e->provider) : 0, &c->provider))
		return CS_ERR_NOMEM;
	c->fields = (const struct cs_event_field *)(uintptr_t)b->nfl;
	for (i = 0; i < e->nfields; i++) {
		const struct cs_event_field *f = &e->fields[i];
		struct cs_event_field *d = &b->fl[b->nfl + i];

		*d = *f;
		if (evb_str(b, f->name, f->name ? strlen(f->name) : 0, &d->name) ||
		    evb_str(b, f->value, f->value_len, &d->value))
			return CS_ERR_NOMEM;
	}
	b->nfl += e->nfields;
	b->nev++;
	return 0;
}

static const char *evb_ptr(const struct evbatch *b, const char *off)
{
	return off ? b->text.data + ((uintptr_t)off - 1) : NULL;
}

/* The offsets become pointers: the batch is complete and will not move. */
static void evbatch_seal(struct evbatch *b)
{
	size_t i;

	for (i = 0; i < b->nev; i++) {
		struct cs_event *e = &b->ev[i];

		e->host = evb_ptr(b, e->host);
		e->channel = evb_ptr(b, e->channel);
		e->provider = evb_ptr(b, e->provider);
		e->fields = b->fl + (uintptr_t)e->fields;
	}
	for (i = 0; i < b->nfl; i++) {
		b->fl[i].name = evb_ptr(b, b->fl[i].name);
		b->fl[i].value = evb_ptr(b, b->fl[i].value);
	}
}

/* On a worker: every event of the batch to on_event, until one fails. */
static void evbatch_run(struct lscan *ls, struct job *j)
{
	size_t i;

	for (i = 0; i < j->eb->nev && !j->ev_rc; i++)
		j->ev_rc = ls->o.on_event(ls->o.userdata, &j->eb->ev[i]);
}

static void scan_lines(struct lscan *ls, struct job *j);

static void scan_job(struct lscan *ls, struct job *j)
{
	if (j->eb) {
		evbatch_run(ls, j);
		return;
	}
	scan_lines(ls, j);
}

static void scan_lines(struct lscan *ls, struct job *j)
{
	const char *own = j->data + j->pre, *own_end = own + j->len, *p = own;
	size_t max_line = ls->o.max_line, cand = 0, cand_from = SIZE_MAX;
	uint64_t line = j->line0;
	/* Formats whose lines become events (Sigma rules) need every line,
	 * candidates or not; text, syslog, web and squid lines are no events. */
	int events = ls->o.on_event &&
	             (j->f->fmt == F_JSON || j->f->fmt == F_ZEEK || j->f->fmt == F_CSV);
	int fast = !ls->ref && !events && ls->m->tf && j->f->fmt != F_XML;

	while (p < own_end) {
		const char *nl, *le;
		int head = !(p == own && j->cont), tail;
		uint64_t k;
		size_t skip;

		if (fast && head && j->f->fmt != F_JSON &&
		    (skip = skip_quiet(ls, j, own, p, &cand, &cand_from, &k)) != 0) {
			j->lines += k;
			line += k;
			p += skip;
			continue;
		}
		nl = memchr(p, '\n', (size_t)(own_end - p));
		le = nl ? nl : own_end;
		tail = nl != NULL || j->post == 0;
		uint64_t before = head ? 0 : j->cont_len;
		size_t n = (size_t)(le - p);

		if (head)
			j->lines++;
		if (before + n > max_line && before <= max_line) {
			j->long_lines++;
			job_diag(j, line, "long-line",
			         "line longer than %zu bytes: searched in pieces", max_line);
		}
		if (head && tail && n <= max_line) {
			if (fast && line_quiet(ls, j, own, p, n, &cand, &cand_from))
				;
			else if ((j->scan_rc = scan_line(ls, j, p, n, line,
			                                 j->off0 + (uint64_t)(p - own))) != 0)
				return;
		} else if ((j->scan_rc = scan_long(ls, j, p, le, head, tail, line)) != 0) {
			return;
		}
		if (!nl)
			break;
		p = nl + 1;
		line++;
	}
	j->newlines = line - j->line0;
	j->counted = 1;
}

/* ---- the worker pool ---- */

static void *worker_main(void *arg)
{
	struct lscan *ls = arg;

	pthread_mutex_lock(&ls->mu);
	for (;;) {
		struct job *j;

		while (!ls->queue_head && !ls->closing)
			pthread_cond_wait(&ls->work, &ls->mu);
		if (!ls->queue_head)
			break;
		j = ls->queue_head;
		ls->queue_head = j->next_q;
		if (!ls->queue_head)
			ls->queue_tail = NULL;
		pthread_mutex_unlock(&ls->mu);
		scan_job(ls, j);
		pthread_mutex_lock(&ls->mu);
		j->done = 1;
		pthread_cond_broadcast(&ls->done);
	}
	pthread_mutex_unlock(&ls->mu);
	return NULL;
}

/* Whether `ind` was already delivered for this line (and remember it):
 * the pieces of a long line, searched apart, report an indicator once. */
static int seen_on_line(struct log_file *f, uint64_t line, const struct cs_indicator *ind)
{
	size_t k;

	if (line != f->seen_line) {
		f->seen_line = line;
		f->nseen = 0;
	}
	for (k = 0; k < f->nseen; k++)
		if (f->seen[k] == ind)
			return 1;
	if (cs__grow((void **)&f->seen, &f->seencap, f->nseen + 1, sizeof(*f->seen)) == 0)
		f->seen[f->nseen++] = ind;
	return 0;
}

/* --since, --until and --within-validity: whether the hit stays. A hit
 * without a time stays. */
static int keep_hit(const struct cs_log_opts *o, const struct hitrec *h)
{
	int64_t s = h->ms / 1000;

	if (!h->has_time)
		return 1;
	return !((o->since_ms && h->ms < o->since_ms) || (o->until_ms && h->ms > o->until_ms) ||
	         (o->within_validity &&
	          ((cs_indicator_valid_from(h->ind) && s < cs_indicator_valid_from(h->ind)) ||
	           (cs_indicator_valid_until(h->ind) && s > cs_indicator_valid_until(h->ind)))));
}

/* A hit in the part of a line that lies in a later chunk than its start
 * takes the time, host and event id the start gave. */
static void inherit(struct log_file *f, const struct job *j, struct hitrec *h)
{
	const struct linfo *li = &f->open_li;

	if (!j->cont || h->line != j->line0 || h->line != f->open_line || h->has_time || h->host ||
	    h->event_id)
		return;
	h->has_time = li->has_time;
	h->ms = li->ms;
	h->event_id = li->event_id;
	h->host = li->host[0] ? cs__strdup(li->host) : NULL;
}

static void deliver(struct lscan *ls, struct job *j)
{
	struct log_file *f = j->f;
	size_t i;

	for (i = 0; i < j->ndiags; i++) {
		if (ls->o.on_diag && f->diags < DIAGS_PER_FILE) {
			struct cs_diag d = {CS_SEV_WARN,        f->name,        j->diags[i].line, 0,
			                    j->diags[i].reason, j->diags[i].msg};

			ls->o.on_diag(ls->o.userdata, &d);
		}
		f->diags++;
		free(j->diags[i].reason);
		free(j->diags[i].msg);
	}
	for (i = 0; i < j->nhits; i++) {
		struct hitrec *h = &j->hits[i];
		struct cs_log_hit hit;
		int dup;

		inherit(f, j, h);
		/* A hit left out still stands for the line's report of it. */
		dup = seen_on_line(f, h->line, h->ind);
		if (dup || !keep_hit(&ls->o, h)) {
			if (!dup)
				ls->res->filtered++;
			free(h->matched);
			free(h->host);
			continue;
		}
		ls->res->hits++;
		if (!ls->rc && ls->o.on_hit) {
			memset(&hit, 0, sizeof(hit));
			hit.file = f->name;
			hit.format = fmt_names[f->fmt];
			hit.line = h->line;
			hit.offset = h->offset;
			hit.has_time = h->has_time;
			hit.time_ms = h->ms;
			hit.host = h->host;
			hit.event_id = h->event_id;
			hit.observed = h->observed;
			hit.matched = h->matched ? h->matched : "";
			hit.indicator = h->ind;
			ls->rc = ls->o.on_hit(ls->o.userdata, &hit);
		}
		free(h->matched);
		free(h->host);
	}
	if (j->ev_rc && !ls->rc)
		ls->rc = j->ev_rc;
	/* A chunk whose lines were not all searched ends the hunt with its
	 * reason: never a quiet "no hits" for lines nobody read. */
	if (j->scan_rc && !ls->rc)
		ls->rc = j->scan_rc;
	ls->res->lines += j->lines;
	ls->res->bad_lines += j->bad_lines;
	ls->res->long_lines += j->long_lines;
	if (j->tail_li) {
		f->open_line = j->tail_line;
		f->open_li = *j->tail_li;
		free(j->tail_li);
	}
	free(j->hits);
	free(j->diags);
	chunk_put(ls, j->data);
	evbatch_free(j->eb);
	free(j);
}

/* ---- reading one input ---- */

struct pipe {
	struct lscan *ls;
	struct log_file *f;
	struct job *head, *tail; /* submitted, in stream order */
	size_t inflight, limit;
	uint64_t line, off; /* of the next chunk */
	int cont;           /* the last chunk ended inside a line */
	uint64_t line_len;  /* then: that line's bytes so far */
};

/* Deliver finished chunks in order; with `all`, wait for every one; past
 * the limit, wait for the oldest. */
static void pipe_drain(struct pipe *p, int all)
{
	struct lscan *ls = p->ls;

	pthread_mutex_lock(&ls->mu);
	while (p->head && (p->head->done || all || p->inflight > p->limit)) {
		struct job *j = p->head;

		while (!j->done)
			pthread_cond_wait(&ls->done, &ls->mu);
		p->head = j->next_f;
		if (!p->head)
			p->tail = NULL;
		p->inflight--;
		pthread_mutex_unlock(&ls->mu);
		deliver(ls, j);
		pthread_mutex_lock(&ls->mu);
	}
	pthread_mutex_unlock(&ls->mu);
}

static uint64_t count_lines(const char *s, size_t n)
{
	return cs__count_newlines(s, n);
}

/* Hand a chunk to the workers, or scan it here when the format needs its
 * order (XML events) or there are no workers. `data` (consumed) holds
 * `pre` bytes of context, the chunk's `len` bytes, `post` of context. */
static int submit(struct pipe *p, char *data, size_t pre, size_t len, size_t post, int inline_scan)
{
	struct lscan *ls = p->ls;
	struct job *j = cs__calloc(1, sizeof(*j));
	const char *own = data + pre, *nl;

	if (!j) {
		free(data);
		return CS_ERR_NOMEM;
	}
	j->f = p->f;
	j->data = data;
	j->pre = pre;
	j->len = len;
	j->post = post;
	j->line0 = p->line;
	j->off0 = p->off;
	j->cont = p->cont;
	j->cont_len = p->cont ? p->line_len : 0;
	nl = len ? memrchr(own, '\n', len) : NULL;
	if (len && own[len - 1] != '\n')
		p->line_len = nl ? (uint64_t)(own + len - nl - 1) : j->cont_len + len;
	p->cont = len && own[len - 1] != '\n';
	p->off += len;
	if (inline_scan) {
		scan_job(ls, j);
		j->done = 1;
	}
	/* A chunk searched here to its end has counted its lines. */
	p->line += j->counted ? j->newlines : count_lines(own, len);
	pthread_mutex_lock(&ls->mu);
	if (p->tail)
		p->tail->next_f = j;
	else
		p->head = j;
	p->tail = j;
	p->inflight++;
	if (!inline_scan) {
		if (ls->queue_tail)
			ls->queue_tail->next_q = j;
		else
			ls->queue_head = j;
		ls->queue_tail = j;
		pthread_cond_signal(&ls->work);
	}
	pthread_mutex_unlock(&ls->mu);
	pipe_drain(p, 0);
	return CS_OK;
}

static int has_word(const char *s, size_t n, const char *w)
{
	return memmem(s, n, w, strlen(w)) != NULL;
}

/* Column index of the first header name in `names`, or -1. */
static int col_of(const char *hdr, size_t n, char sep, const char *const *names)
{
	int k, i;

	for (i = 0; names[i]; i++) {
		for (k = 0;; k++) {
			const char *v;
			size_t vn;

			if (field(hdr, n, sep, k, &v, &vn))
				break;
			while (vn && (*v == ' ' || *v == '"'))
				v++, vn--;
			if (cs__eqi(v, vn, names[i]))
				return k;
		}
	}
	return -1;
}

static const char *const col_time[] = {"ts",          "timestamp",     "@timestamp", "time",
                                       "date",        "datetime",      "UtcTime",    "EventTime",
                                       "TimeCreated", "Date and Time", NULL};
static const char *const col_host[] = {"id.orig_h",     "host",   "hostname", "computer",
                                       "computer_name", "src_ip", "src",      "source",
                                       "client_ip",     "client", NULL};
static const char *const col_id[] = {"EventID", "event_id", "Event ID", "Id", NULL};

#define MAX_COLS 1024

/* Every column name of a header line, for events. */
static void keep_cols(struct log_file *f, const char *l, size_t n, char sep)
{
	size_t cap = 0;
	int k;

	for (k = 0; k < MAX_COLS; k++) {
		const char *v;
		size_t vn;
		char *name;

		if (field(l, n, sep, k, &v, &vn))
			break;
		while (vn && (*v == ' ' || *v == '"'))
			v++, vn--;
		while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '"' || v[vn - 1] == '\r'))
			vn--;
		name = cs__strndup(v, vn);
		if (!name || cs__grow((void **)&f->cols, &cap, f->ncols + 1, sizeof(*f->cols))) {
			free(name);
			break;
		}
		f->cols[f->ncols++] = name;
	}
}

static void free_cols(struct log_file *f)
{
	size_t i;

	for (i = 0; i < f->ncols; i++)
		free(f->cols[i]);
	free(f->cols);
	f->cols = NULL;
	f->ncols = 0;
}

/* Zeek's "#fields" line (tab-separated names after the tag) and "#path". */
static void zeek_header(struct log_file *f, const char *s, size_t n)
{
	const char *l = memmem(s, n, "#fields\t", 8), *e, *p = memmem(s, n, "\n#path\t", 7);

	if (p) {
		const char *pe = memchr(p + 7, '\n', n - (size_t)(p + 7 - s));
		size_t pn = pe ? (size_t)(pe - p - 7) : 0;

		if (pn < sizeof(f->zeek_path)) {
			memcpy(f->zeek_path, p + 7, pn);
			f->zeek_path[pn] = '\0';
		}
	}
	if (!l)
		return;
	l += 8;
	e = memchr(l, '\n', n - (size_t)(l - s));
	if (!e)
		e = s + n;
	free_cols(f);
	keep_cols(f, l, (size_t)(e - l), '\t');
	f->ts_col = col_of(l, (size_t)(e - l), '\t', col_time);
	f->host_col = col_of(l, (size_t)(e - l), '\t', col_host);
	f->id_col = -1;
}

/* Choose the reader from the first line(s); read the header of the
 * column formats. */
static void sniff(struct log_file *f, const char *force, const char *s, size_t n)
{
	const char *l = s, *e;
	size_t ln;
	int i;

	f->ts_col = f->host_col = f->id_col = -1;
	f->sep = '\t';
	/* First non-empty line. */
	while (l < s + n && (*l == '\n' || *l == '\r' || *l == ' '))
		l++;
	e = memchr(l, '\n', (size_t)(s + n - l));
	ln = e ? (size_t)(e - l) : (size_t)(s + n - l);
	if (ln && l[ln - 1] == '\r')
		ln--;
	f->fmt = F_TEXT;
	if (force) {
		for (i = 0; i < F_N; i++)
			if (strcmp(force, fmt_names[i]) == 0)
				f->fmt = (enum fmt)i;
	} else if (ln && l[0] == '{') {
		f->fmt = F_JSON;
	} else if (ln >= 10 && memcmp(l, "#separator", 10) == 0) {
		f->fmt = F_ZEEK;
	} else if (ln && l[0] == '<' &&
	           (has_word(s, n < 4096 ? n : 4096, "<Event") || has_word(l, ln, "<?xml"))) {
		f->fmt = F_XML;
	} else if (ln) {
		int64_t ms;
		const char *b = memchr(l, '[', ln), *sp = memchr(l, ' ', ln);
		size_t used;

		if (cs__time_epoch(l, ln, &ms, &used) == 0 && used < ln && l[used] == ' ' &&
		    memchr(l, '/', ln))
			f->fmt = F_SQUID;
		else if (l[0] == '<' || cs__time_3164(l, ln, 2000, 0, &ms, &used) == 0)
			f->fmt = F_SYSLOG;
		else if (cs__time_iso(l, ln, 0, &ms, &used) == 0 && used + 1 < ln &&
		         l[used] == ' ' && memchr(l + used + 1, ' ', ln - used - 1) &&
		         memchr(l + used + 1, ':', ln - used - 1) && !memchr(l, ',', ln))
			f->fmt = F_SYSLOG;
		else if (b && sp && sp < b &&
		         cs__time_web(b + 1, ln - (size_t)(b + 1 - l), &ms, NULL) == 0)
			f->fmt = F_WEB;
		else if (memchr(l, ',', ln) && col_of(l, ln, ',', col_time) >= 0)
			f->fmt = F_CSV;
	}
	if (f->fmt == F_ZEEK) {
		zeek_header(f, s, n);
	} else if (f->fmt == F_CSV) {
		f->sep = ',';
		f->ts_col = col_of(l, ln, ',', col_time);
		f->host_col = col_of(l, ln, ',', col_host);
		f->id_col = col_of(l, ln, ',', col_id);
		free_cols(f);
		keep_cols(f, l, ln, ',');
	}
}

static void file_diag(struct lscan *ls, struct log_file *f, uint64_t line, const char *reason,
                      const char *fmt, ...) CS_PRINTF(5, 6);

static void file_diag(struct lscan *ls, struct log_file *f, uint64_t line, const char *reason,
                      const char *fmt, ...)
{
	struct cs_diag d = {CS_SEV_WARN, f->name, line, 0, reason, NULL};
	char msg[512];
	va_list ap;

	if (!ls->o.on_diag)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d.message = msg;
	ls->o.on_diag(ls->o.userdata, &d);
}

/* Read one source to its end, cutting it into chunks of whole lines. A
 * line that does not fit (longer than the cap and the chunk) is cut; the
 * chunks on both sides of such a cut carry `overlap` bytes of each other
 * as context (struct job). */
/* Progress, at most twice a second, from the reading thread: files begun
 * and input bytes taken (compressed ones as on disk). */
static void log_progress(struct lscan *ls, struct cs__logsrc *src)
{
	struct cs_scan_progress pr;
	double now;
	int eof;

	if (!ls->o.on_progress)
		return;
	now = cs__now();
	if (now - ls->last_progress < 0.5)
		return;
	ls->last_progress = now;
	memset(&pr, 0, sizeof(pr));
	pr.files = ls->res->files;
	pr.bytes = ls->raw_done + (src ? cs__logsrc_raw(src, &eof) : 0);
	pr.seconds = now - ls->t0;
	ls->o.on_progress(ls->o.userdata, &pr);
}

static int read_stream(struct lscan *ls, struct log_file *f, struct cs__logsrc *src)
{
	size_t max_line = ls->o.max_line, ov = ls->overlap;
	size_t cap = CHUNK + max_line + 2 * ov, have = 0, lead = 0;
	char *buf = chunk_new(ls);
	uint64_t total = 0;
	struct pipe p;
	int rc = CS_OK, first = 1, inl = 1;
	ptrdiff_t r;

	if (!buf)
		return CS_ERR_NOMEM;
	memset(&p, 0, sizeof(p));
	p.ls = ls;
	p.f = f;
	p.line = 1;
	p.limit = 2 * (ls->o.threads ? ls->o.threads : 1) + 2;
	for (;;) {
		char *own, *nl, *chunk, *next;
		size_t np, take, post = 0, keep, used;

		if (log_stopping(ls)) {
			file_diag(ls, f, p.line, cs_scan_reason_name(ls->res->stopped),
			          "stopped at line %llu: %s; what came before was searched",
			          (unsigned long long)p.line, stop_words(ls));
			ls->res->files_stopped++;
			if (first && have > lead) {
				sniff(f, ls->o.format, buf + lead, have - lead);
				inl = f->fmt == F_XML || ls->o.threads <= 1;
			}
			if (have > lead) {
				chunk = chunk_take(ls, &buf, have);
				rc = chunk ? submit(&p, chunk, lead, have - lead, 0, inl) : CS_ERR_NOMEM;
			}
			break;
		}
		log_progress(ls, src);
		r = cs__logsrc_read(src, buf + have,
		                    cap - have < READ_STEP ? cap - have : READ_STEP);
		if (r < 0) {
			const char *why = cs__logsrc_error(src) ? cs__logsrc_error(src) : "error";

			if (total)
				file_diag(ls, f, p.line + count_lines(buf + lead, have - lead),
				          "read-error",
				          "cannot read further: %s; what came before was searched",
				          why);
			else
				file_diag(ls, f, 0, "read-error", "cannot read: %s", why);
			f->failed = 1;
		}
		if (r > 0) {
			have += (size_t)r;
			total += (uint64_t)r;
			ls->res->bytes += (uint64_t)r;
		}
		np = have - lead;
		own = buf + lead;
		if (r > 0 && np < CHUNK + ov && have < cap)
			continue; /* gather a full chunk */
		if (first) {
			sniff(f, ls->o.format, own, np);
			first = 0;
			inl = f->fmt == F_XML || ls->o.threads <= 1;
		}
		if (r <= 0) {
			/* The end (or an error): the rest is the last line. */
			if (np) {
				chunk = chunk_take(ls, &buf, have);
				rc = chunk ? submit(&p, chunk, lead, np, 0, inl) : CS_ERR_NOMEM;
			}
			break;
		}
		nl = memrchr(own, '\n', np);
		if (nl) {
			take = (size_t)(nl - own) + 1;
		} else if (np >= max_line + ov || have == cap) {
			/* Inside a long line: cut (at the chunk size, so cuts
			 * fall at the same places whatever the reads return),
			 * keeping context both ways. */
			take = np - ov > CHUNK ? CHUNK : np - ov;
			post = ov;
		} else {
			continue;
		}
		/* The chunk is the buffer read into; what follows it (and the
		 * context it keeps) starts the next buffer. */
		used = lead + take;
		keep = post ? (used < ov ? used : ov) : 0;
		next = chunk_new(ls);
		if (!next) {
			rc = CS_ERR_NOMEM;
			break;
		}
		memcpy(next, buf + used - keep, have - (used - keep));
		have -= used - keep;
		chunk = buf;
		chunk[used + post] = '\0';
		buf = next;
		rc = submit(&p, chunk, lead, take, post, inl);
		lead = keep;
		if (rc || ls->rc)
			break;
	}
	pipe_drain(&p, 1);
	chunk_put(ls, buf);
	return rc;
}

static int year_of(time_t t)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm))
		return 1970;
	return tm.tm_year + 1900;
}

static void file_failed(struct lscan *ls)
{
	ls->res->files_failed++;
	ls->res->incomplete = 1;
}

/* ---- Windows .evtx files (evtx.c) ---- */

struct evtx_hunt {
	struct lscan *ls;
	struct log_file *f;
	struct cs__logsrc *src;
	struct cs_buf text; /* an event's values, one per line */
	const struct cs_event *e;
	struct hitrec *hits;
	size_t nhits, cap;
	int stop; /* the hunt must stop (time limit, interrupt) */
	/* With workers, events go to on_event in batches evaluated there. */
	int par;
	struct pipe p;
	struct evbatch *eb; /* being filled */
};

#define EVTX_STOP 1000 /* on_event's return when the hunt stops */

static ptrdiff_t evtx_src_read(void *ud, void *buf, size_t n)
{
	struct evtx_hunt *h = ud;
	ptrdiff_t r = cs__logsrc_read(h->src, buf, n);

	if (r > 0)
		h->ls->res->bytes += (uint64_t)r;
	return r;
}

static ptrdiff_t evtx_src_skip(void *ud, size_t n)
{
	struct evtx_hunt *h = ud;
	ptrdiff_t r = cs__logsrc_skip(h->src, n);

	if (r > 0)
		h->ls->res->bytes += (uint64_t)r;
	return r;
}

static const char *evtx_src_why(void *ud)
{
	struct evtx_hunt *h = ud;

	return cs__logsrc_error(h->src);
}

static void evtx_diag(void *ud, uint64_t record, uint64_t offset, const char *reason,
                      const char *msg)
{
	struct evtx_hunt *h = ud;

	(void)offset; /* the message names it */
	if (h->ls->o.on_diag && h->f->diags < DIAGS_PER_FILE) {
		struct cs_diag d = {CS_SEV_WARN, h->f->name, record, 0, reason, msg};

		h->ls->o.on_diag(h->ls->o.userdata, &d);
	}
	h->f->diags++;
}

static int evtx_on_text(void *ud, enum cs_kind observed, size_t off, size_t len,
                        const struct cs_indicator *ind)
{
	struct evtx_hunt *h = ud;
	struct hitrec *r;
	size_t i;

	for (i = 0; i < h->nhits; i++)
		if (h->hits[i].ind == ind)
			return 0;
	if (cs__grow((void **)&h->hits, &h->cap, h->nhits + 1, sizeof(*h->hits)))
		return CS_ERR_NOMEM;
	r = &h->hits[h->nhits++];
	memset(r, 0, sizeof(*r));
	r->observed = observed;
	r->ind = ind;
	r->matched = dupn(h->text.data + off, len > MATCHED_MAX ? MATCHED_MAX : len);
	return 0;
}

/* The time limit or an interrupt: say where the file was left. */
static int evtx_stopping(struct evtx_hunt *h, uint64_t record)
{
	struct lscan *ls = h->ls;

	if (!log_stopping(ls))
		return 0;
	file_diag(ls, h->f, record, cs_scan_reason_name(ls->res->stopped),
	          "stopped at record %llu: %s; what came before was searched",
	          (unsigned long long)record, stop_words(ls));
	ls->res->files_stopped++;
	h->stop = 1;
	return 1;
}

static int ls_rc(const struct evtx_hunt *h)
{
	return h->ls->rc;
}

/* Search h->text, and deliver its hits with what `e` says of the event
 * (time, host, id; line: the record id; offset: the record's). */
static int evtx_match(struct evtx_hunt *h, const struct cs_event *e)
{
	struct lscan *ls = h->ls;
	size_t i;
	int rc;

	h->nhits = 0;
	rc = cs__match_text(ls->m, h->text.data ? h->text.data : "", h->text.len, evtx_on_text, h);
	for (i = 0; i < h->nhits; i++) {
		struct hitrec *r = &h->hits[i];

		r->line = e->line;
		r->offset = e->offset;
		r->has_time = e->has_time;
		r->ms = e->time_ms;
		r->event_id = e->event_id;
		if (!keep_hit(&ls->o, r)) {
			ls->res->filtered++;
		} else {
			ls->res->hits++;
			if (!ls->rc && ls->o.on_hit) {
				struct cs_log_hit hit;

				memset(&hit, 0, sizeof(hit));
				hit.file = h->f->name;
				hit.format = fmt_names[F_EVTX];
				hit.line = e->line;
				hit.offset = e->offset;
				hit.has_time = e->has_time;
				hit.time_ms = e->time_ms;
				hit.host = e->host;
				hit.event_id = e->event_id;
				hit.observed = r->observed;
				hit.matched = r->matched ? r->matched : "";
				hit.indicator = r->ind;
				ls->rc = ls->o.on_hit(ls->o.userdata, &hit);
			}
		}
		free(r->matched);
	}
	h->nhits = 0;
	return rc;
}

/* Hand the batch being filled to the workers (in the file's pipe, so
 * that scan_evtx can wait for all of them); returns ls->rc, which a
 * batch delivered meanwhile may have set. */
static int evtx_flush(struct evtx_hunt *h)
{
	struct lscan *ls = h->ls;
	struct evbatch *b = h->eb;
	struct job *j;

	if (!b || !b->nev)
		return ls->rc;
	h->eb = NULL;
	evbatch_seal(b);
	j = cs__calloc(1, sizeof(*j));
	if (!j) {
		evbatch_free(b);
		return CS_ERR_NOMEM;
	}
	j->f = h->f;
	j->eb = b;
	pthread_mutex_lock(&ls->mu);
	if (h->p.tail)
		h->p.tail->next_f = j;
	else
		h->p.head = j;
	h->p.tail = j;
	h->p.inflight++;
	if (ls->queue_tail)
		ls->queue_tail->next_q = j;
	else
		ls->queue_head = j;
	ls->queue_tail = j;
	pthread_cond_signal(&ls->work);
	pthread_mutex_unlock(&ls->mu);
	pipe_drain(&h->p, 0);
	return ls->rc;
}

/* Copy the event into the batch being filled; a full batch goes. */
static int evtx_queue(struct evtx_hunt *h, const struct cs_event *e)
{
	int rc;

	if (!h->eb) {
		h->eb = cs__calloc(1, sizeof(*h->eb));
		if (!h->eb)
			return CS_ERR_NOMEM;
		cs__buf_init(&h->eb->text, 0);
	}
	rc = evbatch_add(h->eb, e);
	if (rc)
		return rc;
	return evbatch_full(h->eb) ? evtx_flush(h) : h->ls->rc;
}

/*
 * One event: its field values are searched (one line each, so a match
 * never spans two fields), its hits delivered with the event's time,
 * host and id (line: the record id; offset: the record's), then the
 * event itself to on_event.
 */
static int evtx_event(void *ud, const struct cs_event *e)
{
	struct evtx_hunt *h = ud;
	struct lscan *ls = h->ls;
	size_t i;
	int rc = 0;

	if (evtx_stopping(h, e->line))
		return EVTX_STOP;
	ls->res->lines++;
	cs__buf_reset(&h->text);
	for (i = 0; i < e->nfields && !rc; i++)
		rc = cs__buf_add(&h->text, e->fields[i].value, e->fields[i].value_len) ||
		     cs__buf_addc(&h->text, '\n');
	if (rc)
		return CS_ERR_NOMEM;
	rc = evtx_match(h, e);
	if (rc)
		return rc;
	if (!ls->rc && ls->o.on_event) {
		if (h->par)
			return evtx_queue(h, e);
		ls->rc = ls->o.on_event(ls->o.userdata, e);
	}
	return ls->rc;
}

/*
 * Bytes the reader could not make an event of (a damaged record, a
 * skipped chunk): their UTF-16LE text, read at both byte alignments with
 * anything unprintable as a line break, is searched all the same; hits
 * have the record id when it is known, no time, host or event id.
 */
static int evtx_damaged(void *ud, uint64_t record, uint64_t offset, const void *p, size_t n)
{
	struct evtx_hunt *h = ud;
	const unsigned char *b = p;
	struct cs_event e;
	size_t a, i;
	int rc = 0;

	if (evtx_stopping(h, record))
		return EVTX_STOP;
	cs__buf_reset(&h->text);
	for (a = 0; a < 2 && !rc; a++) {
		for (i = a; i + 1 < n && !rc; i += 2) {
			unsigned u = b[i] | (unsigned)b[i + 1] << 8;
			char o[4];
			size_t k = 1;

			o[0] = '\n';
			if (u >= 0x20 && u < 0x7f) {
				o[0] = (char)u;
			} else if (u >= 0xa0 && (u < 0xd800 || u >= 0xe000)) {
				o[0] = (char)(0xe0 | u >> 12);
				o[1] = (char)(0x80 | ((u >> 6) & 0x3f));
				o[2] = (char)(0x80 | (u & 0x3f));
				k = 3;
				if (u < 0x800) {
					o[0] = (char)(0xc0 | u >> 6);
					o[1] = (char)(0x80 | (u & 0x3f));
					k = 2;
				}
			}
			rc = cs__buf_add(&h->text, o, k);
		}
		rc = rc || cs__buf_addc(&h->text, '\n');
	}
	if (rc)
		return CS_ERR_NOMEM;
	memset(&e, 0, sizeof(e));
	e.line = record;
	e.offset = offset;
	rc = evtx_match(h, &e);
	return rc ? rc : ls_rc(h);
}

/* A Windows event log file: every record an event (docs/log-hunt.md).
 * Damaged chunks and records are reported and skipped; they, and a file
 * that ends inside a chunk, make the file count as not read to its end. */
static int scan_evtx(struct lscan *ls, struct log_file *f, struct cs__logsrc *src)
{
	struct evtx_hunt h;
	struct cs__evtx_io io;
	struct cs__evtx_stats st;
	int rc, frc;

	memset(&h, 0, sizeof(h));
	h.ls = ls;
	h.f = f;
	h.src = src;
	f->fmt = F_EVTX;
	cs__buf_init(&h.text, 0);
	memset(&io, 0, sizeof(io));
	io.read = evtx_src_read;
	io.skip = evtx_src_skip;
	io.read_ud = &h;
	io.why = evtx_src_why;
	io.on_event = evtx_event;
	io.on_diag = evtx_diag;
	io.on_damaged = evtx_damaged;
	io.ud = &h;
	h.par = ls->o.on_event && ls->o.threads > 1;
	h.p.ls = ls;
	h.p.f = f;
	h.p.limit = 2 * ls->o.threads + 2;
	rc = cs__evtx_read(f->name, NULL, 0, &io, &st);
	/* The events read are all evaluated, even when the reading stopped. */
	frc = evtx_flush(&h);
	pipe_drain(&h.p, 1);
	evbatch_free(h.eb);
	if (!rc && frc && frc != ls->rc)
		rc = frc;
	ls->res->bad_lines += st.bad_records + st.bad_chunks;
	if (st.lost && !h.stop)
		f->failed = 1;
	if (h.stop || rc == ls->rc)
		rc = CS_OK; /* stopped, or the callbacks' answer, kept in ls->rc */
	cs__buf_release(&h.text);
	free(h.hits);
	return rc;
}

/* Search one source. With `fd` and `st0` (the file as opened), a regular
 * file that shrank, or was rewritten, while being read is reported
 * `changed-while-read` and counts as not read to the end; one that only
 * grew (a live log) does not: what it held when reached was read. */
static int scan_source(struct lscan *ls, const char *name, struct cs__logsrc *src, int year, int fd,
                       const struct stat *st0)
{
	struct log_file f;
	struct stat st1;
	int rc, eof;
	uint64_t raw;
	char head[CS_EVTX_MAGIC_LEN];
	size_t nhead;

	memset(&f, 0, sizeof(f));
	f.name = name;
	f.year = year;
	ls->res->files++;
	nhead = cs__logsrc_peek(src, head, sizeof(head));
	if (ls->o.format ? strcmp(ls->o.format, "evtx") == 0 : cs__evtx_is(head, nhead))
		rc = scan_evtx(ls, &f, src);
	else
		rc = read_stream(ls, &f, src);
	ls->res->decompress_seconds += cs__logsrc_seconds(src);
	raw = cs__logsrc_raw(src, &eof);
	ls->raw_done += raw;
	if (!rc && !f.failed && fd >= 0 && st0 && S_ISREG(st0->st_mode) && fstat(fd, &st1) == 0 &&
	    ((eof && raw < (uint64_t)st0->st_size) || st1.st_size < st0->st_size ||
	     (st1.st_size == st0->st_size && (st1.st_mtim.tv_sec != st0->st_mtim.tv_sec ||
	                                      st1.st_mtim.tv_nsec != st0->st_mtim.tv_nsec)))) {
		file_diag(ls, &f, 0, "changed-while-read",
		          "changed while being read (%lld bytes when opened, %lld now, %llu read): "
		          "what was read was searched",
		          (long long)st0->st_size, (long long)st1.st_size, (unsigned long long)raw);
		f.failed = 1;
	}
	if (f.failed)
		file_failed(ls);
	free(f.seen);
	free_cols(&f);
	return rc;
}

/* A file or "-". A file named by the user is opened as named: links are
 * followed, and a pipe or FIFO is read as a stream. One met while walking
 * a folder (`walked`) must still be a regular file and not a link. */
static int scan_file(struct lscan *ls, const char *path, int walked)
{
	struct cs__logsrc *src;
	struct stat st;
	int fd, rc;

	memset(&st, 0, sizeof(st));
	if (strcmp(path, "-") == 0 && !walked) {
		fd = STDIN_FILENO;
		if (fstat(fd, &st) != 0)
			memset(&st, 0, sizeof(st));
	} else {
		fd = open(path,
		          O_RDONLY | O_NOCTTY | O_CLOEXEC | (walked ? O_NOFOLLOW | O_NONBLOCK : 0));
		if (fd < 0 || fstat(fd, &st) != 0 || (walked && !S_ISREG(st.st_mode))) {
			struct log_file f = {0};

			f.name = path;
			if (fd >= 0 && walked && !S_ISREG(st.st_mode))
				file_diag(ls, &f, 0, "open",
				          "replaced by something else than a file "
				          "before it was opened");
			else
				file_diag(ls, &f, 0, "open", "cannot open: %s", strerror(errno));
			ls->res->files++;
			file_failed(ls);
			if (fd >= 0)
				close(fd);
			return CS_OK;
		}
		if (S_ISDIR(st.st_mode)) {
			close(fd);
			return CS_OK; /* a folder appeared under the name */
		}
	}
	src = cs__logsrc_fd(fd, ls->test);
	if (!src) {
		if (fd != STDIN_FILENO)
			close(fd);
		return CS_ERR_NOMEM;
	}
	rc = scan_source(ls, path, src, year_of(S_ISREG(st.st_mode) ? st.st_mtime : time(NULL)), fd,
	                 &st);
	cs__logsrc_free(src);
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* A folder: its regular files and folders, in name order, recursively;
 * links are not followed. */
static int scan_dir(struct lscan *ls, const char *dir, int depth)
{
	struct dirent **v = NULL;
	int n, i, rc = CS_OK;

	n = scandir(dir, &v, NULL, name_cmp);
	if (n < 0) {
		struct log_file f = {0};

		f.name = dir;
		file_diag(ls, &f, 0, "open", "cannot list folder: %s", strerror(errno));
		ls->res->files_failed++;
		ls->res->incomplete = 1;
		return CS_OK;
	}
	for (i = 0; i < n; i++) {
		struct stat st;
		char *p;

		if (!rc && log_stopping(ls)) {
			ls->res->files_stopped++;
			free(v[i]);
			continue;
		}
		if (!rc && strcmp(v[i]->d_name, ".") && strcmp(v[i]->d_name, "..") &&
		    asprintf(&p, "%s/%s", dir, v[i]->d_name) > 0) {
			if (lstat(p, &st) == 0) {
				if (S_ISREG(st.st_mode))
					rc = scan_file(ls, p, 1);
				else if (S_ISDIR(st.st_mode) && depth < 64)
					rc = scan_dir(ls, p, depth + 1);
			}
			free(p);
		}
		free(v[i]);
	}
	free(v);
	return rc ? rc : ls->rc;
}

static int lscan_begin(struct lscan *ls, const struct cs_matcher *m, const struct cs_log_opts *o,
                       struct cs_log_result *res, pthread_t *th, unsigned *nth)
{
	unsigned i, n;

	memset(res, 0, sizeof(*res));
	memset(ls, 0, sizeof(*ls));
	ls->m = m;
	if (o)
		ls->o = *o;
	ls->res = res;
	n = ls->o.threads;
	if (!n) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);

		n = c > 0 ? (unsigned)c : 1;
	}
	if (n > 64)
		n = 64;
	ls->o.threads = n;
	if (!ls->o.max_line)
		ls->o.max_line = DEFAULT_MAX_LINE;
	if (ls->o.max_line > MAX_LINE_CAP)
		ls->o.max_line = MAX_LINE_CAP;
	ls->overlap = cs__match_text_span(m) + 2;
	cs__match_text_prepare(m);
	pthread_mutex_init(&ls->mu, NULL);
	pthread_cond_init(&ls->work, NULL);
	pthread_cond_init(&ls->done, NULL);
	*nth = 0;
	if (n > 1) {
		for (i = 0; i < n; i++) {
			if (pthread_create(&th[i], NULL, worker_main, ls) != 0)
				break;
			(*nth)++;
		}
		if (!*nth)
			ls->o.threads = 1;
	}
	return CS_OK;
}

static int lscan_end(struct lscan *ls, pthread_t *th, unsigned nth, double t0, int rc)
{
	unsigned i;

	pthread_mutex_lock(&ls->mu);
	ls->closing = 1;
	pthread_cond_broadcast(&ls->work);
	pthread_mutex_unlock(&ls->mu);
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&ls->mu);
	pthread_cond_destroy(&ls->work);
	pthread_cond_destroy(&ls->done);
	while (ls->nspare)
		free(ls->spare[--ls->nspare]);
	ls->res->seconds = cs__now() - t0;
	if (ls->res->files_failed)
		ls->res->incomplete = 1;
	if (!rc && !ls->rc)
		rc = cs__match_load_rc(ls->m); /* a snapshot's intel failed to load */
	return rc ? rc : ls->rc;
}

int cs__log_scan_test(const struct cs_matcher *m, const char *const *paths, size_t n,
                      const struct cs_log_opts *o, const struct cs__log_test *test,
                      struct cs_log_result *res)
{
	struct lscan ls;
	pthread_t th[64];
	unsigned nth;
	double t0 = cs__now();
	size_t i;
	int rc = CS_OK;

	if (!m || (!paths && n))
		return CS_ERR_INVALID;
	lscan_begin(&ls, m, o, res, th, &nth);
	ls.t0 = t0;
	ls.test = test;
	ls.ref = test && test->reference;
	for (i = 0; i < n && !rc && !ls.rc; i++) {
		struct stat st;

		if (log_stopping(&ls)) {
			res->files_stopped += n - i;
			break;
		}
		/* Named folders are walked (a link to one too). */
		if (strcmp(paths[i], "-") != 0 && stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode))
			rc = scan_dir(&ls, paths[i], 0);
		else
			rc = scan_file(&ls, paths[i], 0);
	}
	return lscan_end(&ls, th, nth, t0, rc);
}

int cs_log_scan(const struct cs_matcher *m, const char *const *paths, size_t n,
                const struct cs_log_opts *o, struct cs_log_result *res)
{
	return cs__log_scan_test(m, paths, n, o, NULL, res);
}

int cs_log_scan_mem(const struct cs_matcher *m, const char *name, const void *data, size_t len,
                    const struct cs_log_opts *o, struct cs_log_result *res)
{
	return cs__log_scan_mem_test(m, name, data, len, o, NULL, res);
}

int cs__log_scan_mem_test(const struct cs_matcher *m, const char *name, const void *data,
                          size_t len, const struct cs_log_opts *o,
                          const struct cs__log_test *test, struct cs_log_result *res)
{
	struct lscan ls;
	pthread_t th[64];
	unsigned nth;
	double t0 = cs__now();
	struct cs__logsrc *src;
	int rc;

	if (!m || !name || (!data && len))
		return CS_ERR_INVALID;
	lscan_begin(&ls, m, o, res, th, &nth);
	ls.t0 = t0;
	ls.test = test;
	ls.ref = test && test->reference;
	src = cs__logsrc_mem(data ? data : "", len);
	if (!src)
		return lscan_end(&ls, th, nth, t0, CS_ERR_NOMEM);
	rc = scan_source(&ls, name, src, year_of(time(NULL)), -1, NULL);
	cs__logsrc_free(src);
	return lscan_end(&ls, th, nth, t0, rc);
}

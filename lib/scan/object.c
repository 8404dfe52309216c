/*
 * Scanning one object — a file on disk or an archive member — whose
 * content has been read once: the hashes were computed while reading,
 * and the same bytes go to YARA and to archive descent.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pwd.h>
#include <unistd.h>

#include "scan/scan_int.h"

static int scan_object(struct cs_worker *w, struct cs_object *o);

static const enum cs_kind hash_kinds[4] = {CS_KIND_MD5, CS_KIND_SHA1, CS_KIND_SHA256,
                                           CS_KIND_SHA512};

int cs__worker_init(struct cs_worker *w, struct cs_scan *s)
{
	int i;

	memset(w, 0, sizeof(*w));
	w->s = s;
	cs__buf_init(&w->tmp, 0);
	for (i = 0; i < 4; i++) {
		if (!s->md[i])
			continue;
		w->ctx[i] = EVP_MD_CTX_new();
		if (!w->ctx[i])
			return CS_ERR_NOMEM;
	}
	return cs__match_thread_init(&w->mt, s->m);
}

void cs__worker_release(struct cs_worker *w)
{
	int i;

	for (i = 0; i < 4; i++)
		EVP_MD_CTX_free(w->ctx[i]);
	cs__match_thread_release(&w->mt);
	free(w->buf);
	cs__buf_release(&w->tmp);
	w->buf = NULL;
}

int cs__hash_begin(struct cs_worker *w)
{
	int i;

	for (i = 0; i < 4; i++)
		if (w->ctx[i] && !EVP_DigestInit_ex(w->ctx[i], w->s->md[i], NULL))
			return CS_ERR_NOMEM;
	return CS_OK;
}

void cs__hash_update(struct cs_worker *w, const void *p, size_t n)
{
	int i;

	for (i = 0; i < 4; i++)
		if (w->ctx[i])
			EVP_DigestUpdate(w->ctx[i], p, n);
}

void cs__hash_end(struct cs_worker *w, struct cs_object *obj)
{
	static const char hexd[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n, j;
	int i;

	for (i = 0; i < 4; i++) {
		obj->hex[i][0] = '\0';
		if (!w->ctx[i] || !EVP_DigestFinal_ex(w->ctx[i], md, &n))
			continue;
		for (j = 0; j < n && j * 2 + 2 < sizeof(obj->hex[i]); j++) {
			obj->hex[i][j * 2] = hexd[md[j] >> 4];
			obj->hex[i][j * 2 + 1] = hexd[md[j] & 15];
		}
		obj->hex[i][j * 2] = '\0';
	}
}

void cs__scan_problem(struct cs_worker *w, const char *path, enum cs_scan_reason reason,
                      const char *tag, const char *fmt, ...)
{
	struct cs_scan *s = w->s;
	/* The reason a caller sees is the counter's name, so that it can
	 * name the files behind each count. */
	struct cs_diag d = {CS_SEV_WARN,
	                    path,
	                    0,
	                    0,
	                    reason < CS_COV_NREASONS ? cs_scan_reason_name(reason) : tag,
	                    NULL};
	char msg[512];
	va_list ap;

	if (reason < CS_COV_NREASONS) {
		w->count[reason]++;
		if (cs_scan_reason_gap(reason))
			w->file_gaps |= UINT64_C(1) << reason;
	}
	if (!s->o.on_diag)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d.message = msg;
	pthread_mutex_lock(&s->out_lock);
	if (!s->abandoned)
		s->o.on_diag(s->o.userdata, &d);
	pthread_mutex_unlock(&s->out_lock);
}

/* Findings already reported for the current object (dedup). */
struct emitted {
	const struct cs_indicator *ind[16];
	enum cs_evidence ev[16];
	size_t n;
};

struct obj_ctx {
	struct cs_worker *w;
	struct cs_object *obj;
	struct emitted done;
	/* YARA evidence of the rule being reported. */
	struct cs_yara_match strings[16];
	size_t nstrings;
	const char *ns;
};

static int emit(struct obj_ctx *c, enum cs_evidence ev, const struct cs_indicator *ind,
                const char *matched)
{
	struct cs_worker *w = c->w;
	struct cs_scan *s = w->s;
	struct cs_object *o = c->obj;
	struct cs_file_finding f;
	size_t i;
	int rc = 0;

	for (i = 0; i < c->done.n; i++)
		if (c->done.ind[i] == ind && c->done.ev[i] == ev && ind)
			return 0;
	if (c->done.n < CS_ARRAY_SIZE(c->done.ind)) {
		c->done.ind[c->done.n] = ind;
		c->done.ev[c->done.n++] = ev;
	}
	memset(&f, 0, sizeof(f));
	f.evidence = ev;
	f.indicator = ind;
	f.matched = matched;
	f.path = o->path;
	f.member_depth = o->depth;
	f.size = o->size;
	f.mtime = o->mtime;
	f.ctime = o->ctime;
	f.inode = o->inode;
	f.md5 = o->hex[0][0] ? o->hex[0] : NULL;
	f.sha1 = o->hex[1][0] ? o->hex[1] : NULL;
	f.sha256 = o->hex[2][0] ? o->hex[2] : NULL;
	f.sha512 = o->hex[3][0] ? o->hex[3] : NULL;
	f.partial = o->partial;
	if (ev == CS_EV_YARA) {
		f.yara_namespace = c->ns;
		f.strings = c->strings;
		f.nstrings = c->nstrings;
	}
	w->findings++;
	if (!s->o.on_finding)
		return 0;
	pthread_mutex_lock(&s->out_lock);
	if (!s->cb_rc && !s->abandoned)
		rc = s->o.on_finding(s->o.userdata, &f);
	if (rc && !s->cb_rc) {
		s->cb_rc = rc;
		__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&s->out_lock);
	return rc;
}

static int on_path_match(void *ud, enum cs_evidence ev, const struct cs_indicator *ind,
                         const char *matched)
{
	return emit(ud, ev, ind, matched);
}

/*
 * An observation of a compound held for this object. With one
 * observation that is the finding. With several, the sweep remembers it
 * and reports the compound once, on the object that completes it, when
 * every observation has held for some object of this sweep (STIX "[A]
 * AND [B]": by the same object or by different ones).
 */
static int on_compound(void *ud, const struct cs_compound_entry *ce, size_t ci, unsigned obs)
{
	struct obj_ctx *c = ud;
	struct cs_scan *s = c->w->s;
	char what[96];
	unsigned k;

	if (ce->nobs == 1)
		return emit(c, CS_EV_COMPOUND, ce->ind, cs_indicator_value(ce->ind));
	__atomic_store_n(&s->cobs_seen[ce->first_obs + obs], 1, __ATOMIC_RELAXED);
	for (k = 0; k < ce->nobs; k++)
		if (!__atomic_load_n(&s->cobs_seen[ce->first_obs + k], __ATOMIC_RELAXED))
			return CS_OK;
	if (__atomic_exchange_n(&s->compound_done[ci], 1, __ATOMIC_ACQ_REL))
		return CS_OK;
	snprintf(what, sizeof(what), "all %u observations held in this sweep; this file: #%u",
	         ce->nobs, obs + 1);
	return emit(c, CS_EV_COMPOUND, ce->ind, what);
}

/* ---- YARA ---- */

static const char *file_type(const unsigned char *p, size_t n)
{
	if (n >= 2 && p[0] == 'M' && p[1] == 'Z')
		return "EXE";
	if (n >= 4 && memcmp(p, "\177ELF", 4) == 0)
		return "ELF";
	if (n >= 4 &&
	    (memcmp(p, "\xcf\xfa\xed\xfe", 4) == 0 || memcmp(p, "\xce\xfa\xed\xfe", 4) == 0 ||
	     memcmp(p, "\xca\xfe\xba\xbe", 4) == 0))
		return "MACH-O";
	if (n >= 4 && memcmp(p, "PK\003\004", 4) == 0)
		return "ZIP";
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return "GZIP";
	if (n >= 4 && memcmp(p, "Rar!", 4) == 0)
		return "RAR";
	if (n >= 4 && memcmp(p, "%PDF", 4) == 0)
		return "PDF";
	if (n >= 2 && p[0] == '#' && p[1] == '!')
		return "SCRIPT";
	return "UNKNOWN"; /* as Loki says it */
}

static int yara_cb(YR_SCAN_CONTEXT *ctx, int msg, void *data, void *ud)
{
	struct obj_ctx *c = ud;
	const struct cs_matcher *m = c->w->s->m;

	if (msg == CALLBACK_MSG_RULE_MATCHING) {
		YR_RULE *rule = data;
		YR_STRING *str;
		const struct cs_indicator *ind;

		c->nstrings = 0;
		yr_rule_strings_foreach(rule, str)
		{
			/* libyara's match records are not always 8-byte
			 * aligned: copy each before reading it. */
			YR_MATCH *mp = ctx->matches[str->idx].head;

			while (mp && c->nstrings < CS_ARRAY_SIZE(c->strings)) {
				struct cs_yara_match *y = &c->strings[c->nstrings++];
				YR_MATCH mm;

				memcpy(&mm, mp, sizeof(mm));
				y->id = str->identifier;
				y->offset = (uint64_t)(mm.base + mm.offset);
				y->len = (uint64_t)mm.match_length;
				y->data = mm.data;
				y->data_len = (size_t)mm.data_length;
				if (y->data_len > CS_YARA_EVIDENCE_MAX)
					y->data_len = CS_YARA_EVIDENCE_MAX;
				mp = mm.next;
			}
		}
		c->ns = rule->ns ? rule->ns->name : NULL;
		cs__buf_printf(&c->obj->yara_hits, "%s\t%s\n", c->ns ? c->ns : "",
		               rule->identifier);
		ind = cs_intel_find(m->intel, CS_KIND_YARA_RULE, rule->identifier);
		return emit(c, CS_EV_YARA, ind, rule->identifier) ? CALLBACK_ABORT
		                                                  : CALLBACK_CONTINUE;
	}
	if (msg == CALLBACK_MSG_TOO_MANY_MATCHES) {
		YR_STRING *str = data;
		const char *rname = "?";

		if (m->rules && str->rule_idx < m->rules->num_rules)
			rname = m->rules->rules_table[str->rule_idx].identifier;
		cs__scan_problem(c->w, c->obj->path, CS_COV_YARA_TOO_MANY, "yara-too-many",
		                 "YARA rule %s: string %s matched too often; later matches of it "
		                 "are not seen",
		                 rname, str->identifier);
		return CALLBACK_CONTINUE;
	}
	return CALLBACK_CONTINUE;
}

/* The extension as Loki and Thor give it to rules (Python's
 * os.path.splitext, lower-cased): from the last dot, dot included, "" for
 * none; the leading dots of a dot-file are not an extension
 * (".mysql_history" has none, ".a.TXT" has ".txt"). */
static void extension(const char *base, char *out, size_t len)
{
	const char *p = base, *dot;
	size_t i;

	while (*p == '.')
		p++;
	dot = strrchr(p, '.');
	out[0] = '\0';
	if (!dot)
		return;
	for (i = 0; dot[i] && i + 1 < len; i++)
		out[i] = (char)cs__lower((unsigned char)dot[i]);
	out[i] = '\0';
}

/* The owner's user name (numeric when unknown), cached per thread. */
static void owner_name(struct cs_worker *w, uid_t uid, char *out, size_t len)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (w->owner_uid_set && w->owner_uid == uid) {
		snprintf(out, len, "%s", w->owner);
		return;
	}
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		snprintf(w->owner, sizeof(w->owner), "%s", res->pw_name);
	else
		snprintf(w->owner, sizeof(w->owner), "%u", (unsigned)uid);
	w->owner_uid = uid;
	w->owner_uid_set = 1;
	snprintf(out, len, "%s", w->owner);
}

/*
 * A file too large to hold in memory, seen by libyara as overlapping
 * blocks read with pread: the YARA size cap's bytes each (at most 64 MiB),
 * the next starting 1/64 of that before the end of the last (1 MiB for
 * 64 MiB blocks), so that a string up to that long is seen whole in some
 * block (libyara keeps one match per offset). Conditions on the whole file (filesize, uint16(0), entry
 * points) hold as for a file read whole: libyara fetches the block that
 * holds an offset. Reads never fault (a mapping of a file truncated under
 * it would raise SIGBUS); a short read marks the scan changed.
 */
#define YARA_BLOCK_MAX ((size_t)64 << 20)
#define YARA_BLOCK_MIN ((size_t)64 << 10)

struct yblocks {
	int fd;
	uint64_t size;
	size_t block, overlap;
	unsigned char *buf;
	uint64_t loaded; /* offset of the block in buf, or UINT64_MAX */
	YR_MEMORY_BLOCK blk;
	int short_read;
};

static const uint8_t *yb_fetch(YR_MEMORY_BLOCK *b)
{
	struct yblocks *y = b->context;
	size_t got = 0;

	if (y->loaded == b->base)
		return y->buf;
	y->loaded = UINT64_MAX;
	while (got < b->size) {
		ssize_t r = pread(y->fd, y->buf + got, b->size - got, (off_t)(b->base + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			y->short_read = 1;
			return NULL;
		}
		got += (size_t)r;
	}
	y->loaded = b->base;
	return y->buf;
}

static YR_MEMORY_BLOCK *yb_at(YR_MEMORY_BLOCK_ITERATOR *it, uint64_t base)
{
	struct yblocks *y = it->context;

	if (base >= y->size)
		return NULL;
	y->blk.base = base;
	y->blk.size = y->size - base < y->block ? (size_t)(y->size - base) : y->block;
	y->blk.context = y;
	y->blk.fetch_data = yb_fetch;
	return &y->blk;
}

static YR_MEMORY_BLOCK *yb_first(YR_MEMORY_BLOCK_ITERATOR *it)
{
	return yb_at(it, 0);
}

static YR_MEMORY_BLOCK *yb_next(YR_MEMORY_BLOCK_ITERATOR *it)
{
	struct yblocks *y = it->context;
	uint64_t end = y->blk.base + y->blk.size;

	return end >= y->size ? NULL : yb_at(it, end - y->overlap);
}

static uint64_t yb_size(YR_MEMORY_BLOCK_ITERATOR *it)
{
	return ((struct yblocks *)it->context)->size;
}

static void yara_scan_with(struct obj_ctx *c, const unsigned char *head, size_t headlen,
                           uint64_t size, YR_MEMORY_BLOCK_ITERATOR *it);

static void yara_scan(struct obj_ctx *c)
{
	yara_scan_with(c, c->obj->data, c->obj->len, c->obj->len, NULL);
}

/* YARA over a file on disk too large to hold, in blocks. */
static void yara_scan_big(struct obj_ctx *c)
{
	struct cs_worker *w = c->w;
	struct cs_object *o = c->obj;
	YR_MEMORY_BLOCK_ITERATOR it;
	struct yblocks y;
	const uint8_t *head;

	memset(&y, 0, sizeof(y));
	y.fd = o->big_fd;
	y.size = o->size;
	y.loaded = UINT64_MAX;
	y.block = w->s->o.yara_max_size < YARA_BLOCK_MAX ? (size_t)w->s->o.yara_max_size
	                                                 : YARA_BLOCK_MAX;
	if (y.block < YARA_BLOCK_MIN)
		y.block = YARA_BLOCK_MIN;
	y.overlap = y.block / 64;
	y.buf = cs__malloc(y.block);
	if (!y.buf) {
		cs__scan_problem(w, o->path, CS_COV_YARA_ERROR, "yara-error",
		                 "YARA scan not begun: out of memory");
		return;
	}
	memset(&it, 0, sizeof(it));
	it.context = &y;
	it.first = yb_first;
	it.next = yb_next;
	it.file_size = yb_size;
	it.last_error = ERROR_SUCCESS;
	head = yb_fetch(yb_first(&it));
	if (!head)
		cs__scan_problem(w, o->path, CS_COV_CHANGED, "changed",
		                 "file changed while being read: shorter than %llu bytes",
		                 (unsigned long long)o->size);
	else
		yara_scan_with(c, head, y.blk.size, o->size, &it);
	if (head && y.short_read)
		cs__scan_problem(w, o->path, CS_COV_CHANGED, "changed",
		                 "file changed while YARA read it: shorter than %llu bytes",
		                 (unsigned long long)o->size);
	free(y.buf);
}

/* The YARA scan of an object: its bytes in memory, or the blocks of `it`
 * (then `head` is the first block, `size` the whole file's). */
static void yara_scan_with(struct obj_ctx *c, const unsigned char *head, size_t headlen,
                           uint64_t size, YR_MEMORY_BLOCK_ITERATOR *it)
{
	struct cs_worker *w = c->w;
	struct cs_object *o = c->obj;
	YR_SCANNER *sc;
	char ext[64];
	char owner[64] = "";
	int r, timeout = cs__scan_yara_timeout(w->s);

	if (!timeout) {
		/* Less than the one second libyara can be given is left:
		 * a scan begun now would end after the time limit. */
		__atomic_store_n(&w->s->stop, 1, __ATOMIC_RELAXED);
		cs__scan_problem(w, o->path, CS_COV_TIME_LIMIT, "time-limit",
		                 "YARA scan not begun: time limit");
		return;
	}
	sc = cs__yvar_scanner(&w->mt, head, (size_t)size);

	if (o->have_uid)
		owner_name(w, o->uid, owner, sizeof(owner));
	yr_scanner_set_callback(sc, yara_cb, c);
	yr_scanner_set_timeout(sc, timeout);
	yr_scanner_set_flags(sc, 0);
	yr_scanner_define_string_variable(sc, "filename", o->base);
	yr_scanner_define_string_variable(sc, "filepath", o->path);
	extension(o->base, ext, sizeof(ext));
	yr_scanner_define_string_variable(sc, "extension", ext);
	yr_scanner_define_string_variable(sc, "filetype", file_type(head, headlen));
	yr_scanner_define_string_variable(sc, "owner", owner);
	o->yara_ran = 1;
	cs__buf_init(&o->yara_hits, (size_t)1 << 20);
	r = it ? yr_scanner_scan_mem_blocks(sc, it) : yr_scanner_scan_mem(sc, head, headlen);
	if (r == ERROR_SUCCESS || r == ERROR_CALLBACK_ERROR)
		return;
	if (r == ERROR_SCAN_TIMEOUT) {
		YR_RULE *rule = yr_scanner_last_error_rule(sc);

		if (cs__scan_stopping(w->s)) {
			cs__scan_problem(w, o->path, cs__scan_stop_reason(w->s),
			                 cs_scan_reason_name(cs__scan_stop_reason(w->s)),
			                 "YARA scan cut short: %s", cs__scan_stop_words(w->s));
			return;
		}
		cs__scan_problem(w, o->path, CS_COV_YARA_TIMEOUT, "yara-timeout",
		                 "YARA scan timed out after %d s%s%s; rules not yet evaluated "
		                 "are not seen",
		                 w->s->o.yara_timeout, rule ? " in rule " : "",
		                 rule ? rule->identifier : "");
		return;
	}
	cs__scan_problem(w, o->path, CS_COV_YARA_ERROR, "yara-error", "YARA scan failed (error %d)",
	                 r);
}

/* Report again the YARA matches recorded in the inventory. */
static int yara_replay(struct obj_ctx *c, const char *list)
{
	const struct cs_matcher *m = c->w->s->m;
	char ns[4096], rule[256];
	int rc = 0;

	while (*list && !rc) {
		const char *tab = strchr(list, '\t'), *nl;

		if (!tab)
			break;
		nl = strchr(tab, '\n');
		if (!nl)
			nl = tab + strlen(tab);
		snprintf(ns, sizeof(ns), "%.*s", (int)(tab - list), list);
		snprintf(rule, sizeof(rule), "%.*s", (int)(nl - tab - 1), tab + 1);
		c->ns = ns;
		c->nstrings = 0;
		rc = emit(c, CS_EV_YARA, cs_intel_find(m->intel, CS_KIND_YARA_RULE, rule), rule);
		list = *nl ? nl + 1 : nl;
	}
	return rc;
}

void cs__object_from_record(struct cs_object *o, const struct cs_file_record *r, int yara_valid)
{
	const char *h[4] = {r->md5, r->sha1, r->sha256, r->sha512};
	const char *slash = strrchr(r->path, '/');
	int i;

	memset(o, 0, sizeof(*o));
	o->path = r->path;
	o->base = slash ? slash + 1 : r->path;
	o->depth = r->member_depth;
	o->size = r->size;
	o->mtime = r->mtime;
	o->mtime_ns = r->mtime_ns;
	o->ctime = r->ctime;
	o->inode = r->inode;
	for (i = 0; i < 4; i++)
		snprintf(o->hex[i], sizeof(o->hex[i]), "%s", h[i] ? h[i] : "");
	o->yara_prev = r->yara;
	o->yara_prev_valid = yara_valid && r->yara;
	o->from_inventory = 1;
}

/* Hand the object's inventory record to the caller. */
static int emit_record(struct cs_worker *w, struct cs_object *o)
{
	struct cs_scan *s = w->s;
	struct cs_file_record r;
	int rc = 0;

	if (!s->o.on_file || o->partial)
		return 0;
	memset(&r, 0, sizeof(r));
	r.path = o->path;
	r.member_depth = o->depth;
	r.size = o->size;
	r.mtime = o->mtime;
	r.mtime_ns = o->mtime_ns;
	r.ctime = o->ctime;
	r.inode = o->inode;
	r.md5 = o->hex[0][0] ? o->hex[0] : NULL;
	r.sha1 = o->hex[1][0] ? o->hex[1] : NULL;
	r.sha256 = o->hex[2][0] ? o->hex[2] : NULL;
	r.sha512 = o->hex[3][0] ? o->hex[3] : NULL;
	if (o->yara_ran)
		r.yara = cs__buf_cstr(&o->yara_hits);
	else if (o->yara_prev_valid)
		r.yara = o->yara_prev;
	if (!o->depth)
		r.gaps = w->file_gaps;
	pthread_mutex_lock(&s->out_lock);
	if (!s->cb_rc && !s->abandoned)
		rc = s->o.on_file(s->o.userdata, &r);
	if (rc && !s->cb_rc) {
		s->cb_rc = rc;
		__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&s->out_lock);
	return rc;
}

int cs__scan_object(struct cs_worker *w, struct cs_object *o)
{
	int rc = scan_object(w, o);

	if (!rc)
		rc = emit_record(w, o);
	if (o->yara_keep && o->yara_ran)
		cs__buf_adds(o->yara_keep, cs__buf_cstr(&o->yara_hits));
	cs__buf_release(&o->yara_hits);
	return rc;
}

static int scan_object(struct cs_worker *w, struct cs_object *o)
{
	const struct cs_matcher *m = w->s->m;
	struct obj_ctx c;
	int i, rc;

	memset(&c, 0, sizeof(c));
	c.w = w;
	c.obj = o;
	rc = cs__match_path(&w->mt, o->path, o->base, on_path_match, &c);
	for (i = 0; i < 4 && !rc; i++) {
		const struct cs_indicator *ind;

		if (!o->hex[i][0])
			continue;
		ind = cs__match_hash(m, hash_kinds[i], o->hex[i]);
		if (ind)
			rc = emit(&c, CS_EV_HASH, ind, o->hex[i]);
	}
	if (!rc && m->compound_n) {
		struct cs_match_obj mo;

		mo.path = o->path;
		mo.base = o->base;
		mo.size = o->size;
		for (i = 0; i < 4; i++)
			mo.hex[i] = o->hex[i];
		rc = cs__match_compounds(&w->mt, &mo, on_compound, &c);
	}
	if (rc)
		return rc;
	if (o->yara_prev_valid) {
		rc = yara_replay(&c, o->yara_prev);
		if (rc)
			return rc;
	} else if (m->rules) {
		if (o->data)
			yara_scan(&c);
		else if (o->has_big_fd)
			yara_scan_big(&c);
		else if (!o->from_inventory)
			w->count[CS_COV_YARA_TOO_LARGE]++;
	}
	if (w->s->cb_rc)
		return w->s->cb_rc;
	if (o->data && !w->s->o.no_archives && cs__archive_sniff(o->data, o->len))
		return cs__scan_archive(w, o);
	return CS_OK;
}

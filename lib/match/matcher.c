/*
 * The compiled file matchers: hash kinds, exact names and path tails,
 * path and name regexes (Hyperscan) and YARA rules (libyara), built once
 * from a finalized indicator set (docs/file-sweep.md).
 *
 * Hash indicators need no structure of their own: the set's index finds a
 * (kind, value) in constant time, whatever the number of indicators, and a
 * finalized set may be read by many threads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/dl_int.h"
#include "match/match_int.h"

#define FP_PREFIX "fp-regex:"

static void report(cs_diag_fn diag, void *ud, const char *file, const char *reason, const char *fmt,
                   ...) CS_PRINTF(5, 6);

static void report(cs_diag_fn diag, void *ud, const char *file, const char *reason, const char *fmt,
                   ...)
{
	struct cs_diag d = {CS_SEV_WARN, file, 0, 0, reason, NULL};
	char msg[512];
	va_list ap;

	if (!diag)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d.message = msg;
	diag(ud, &d);
}

/* ---- the compiled-matcher cache ---- */

/* The state to show for several cache uses: the one that most needs
 * saying. */
static int cache_worst(int a, int b)
{
	static const int rank[] = {0, 1, 2, 4, 3}; /* off, hit, stored, rebuilt, failed */

	return rank[b] > rank[a] ? b : a;
}

static void cache_note(struct cs_matcher *m, cs_diag_fn diag, void *ud, const char *kind, int rc)
{
	if (rc == CS_ERR_PARSE)
		report(diag, ud, m->cache_dir, "cache-corrupt",
		       "compiled %s cache entry failed its checks: deleted and compiled again", kind);
}

/* ---- exact names ---- */

char *cs__fold_path(struct cs_arena *a, const char *s, size_t n)
{
	char *o = cs__arena_alloc(a, n + 1);
	size_t i;

	if (!o)
		return NULL;
	for (i = 0; i < n; i++)
		o[i] = s[i] == '\\' ? '/' : (char)cs__lower((unsigned char)s[i]);
	o[n] = '\0';
	return o;
}

/* 1 when the first component of a folded tail stands for any prefix:
 * "~", "%localappdata%", "c:". */
int cs__match_wild_component(const char *s, size_t n)
{
	if (n == 1 && s[0] == '~')
		return 1;
	if (n >= 2 && s[0] == '%' && s[n - 1] == '%')
		return 1;
	return n == 2 && cs__isalpha((unsigned char)s[0]) && s[1] == ':';
}

static int add_name(struct cs_matcher *m, const struct cs_indicator *ind, size_t *cap)
{
	const char *v = cs_indicator_value(ind);
	size_t n = strlen(v), blen;
	struct cs_name_entry *e;
	const char *base;
	char *f;
	uint32_t head = 0;
	int rc;

	f = cs__fold_path(&m->arena, v, n);
	if (!f)
		return CS_ERR_NOMEM;
	base = strrchr(f, '/');
	base = base ? base + 1 : f;
	blen = strlen(base);
	if (blen == 0)
		return CS_OK; /* a folder: nothing a file can equal */
	rc = cs__grow((void **)&m->name_v, cap, m->name_n + 1, sizeof(*m->name_v));
	if (rc)
		return rc;
	e = &m->name_v[m->name_n];
	memset(e, 0, sizeof(*e));
	e->ind = ind;
	if (base != f) {
		const char *t = f, *slash;

		while (*t == '/')
			t++;
		slash = strchr(t, '/');
		if (slash && cs__match_wild_component(t, (size_t)(slash - t))) {
			e->any_prefix = 1;
			t = slash + 1;
		}
		e->tail = t;
		e->tail_len = strlen(t);
	}
	if (cs__map_get(&m->names, base, blen, &head))
		e->next = head;
	m->name_n++;
	return cs__map_put(&m->names, base, blen, (uint32_t)m->name_n);
}

/* Does the folded full path end with the entry's tail on a component
 * boundary? */
int cs__match_tail(const struct cs_name_entry *e, const char *folded, size_t n)
{
	if (e->tail_len > n || memcmp(folded + n - e->tail_len, e->tail, e->tail_len) != 0)
		return 0;
	if (e->tail_len == n)
		return 1;
	/* Archive members ("a.zip!/x") count '!' as a boundary too. */
	return folded[n - e->tail_len - 1] == '/' || folded[n - e->tail_len - 1] == '!';
}

/* ---- regexes ---- */

struct rx_list {
	const char **expr;
	unsigned *flags;
	unsigned *ids;
	size_t n, cap;
};

static int rx_push(struct rx_list *l, const char *expr, unsigned id)
{
	size_t c1 = l->cap, c2 = l->cap;
	int rc = cs__grow((void **)&l->expr, &l->cap, l->n + 1, sizeof(*l->expr));

	if (!rc)
		rc = cs__grow((void **)&l->flags, &c1, l->n + 1, sizeof(*l->flags));
	if (!rc)
		rc = cs__grow((void **)&l->ids, &c2, l->n + 1, sizeof(*l->ids));
	if (rc)
		return rc;
	l->expr[l->n] = expr;
	l->flags[l->n] = HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY;
	l->ids[l->n] = id;
	l->n++;
	return CS_OK;
}

static void rx_free(struct rx_list *l)
{
	free(l->expr);
	free(l->flags);
	free(l->ids);
}

/* The cache key of a regex list: the expressions, flags and ids that
 * Hyperscan accepted one by one, and Hyperscan's version. */
static int rx_key(const struct rx_list *l, const char *what, unsigned char *key)
{
	struct cs_keyer k;
	size_t i;

	cs__key_begin(&k, "chainsweep hyperscan block v1");
	cs__key_adds(&k, hs_version());
	cs__key_adds(&k, what);
	for (i = 0; i < l->n; i++) {
		cs__key_adds(&k, l->expr[i]);
		cs__key_add(&k, &l->flags[i], sizeof(l->flags[i]));
		cs__key_add(&k, &l->ids[i], sizeof(l->ids[i]));
	}
	return cs__key_end(&k, key);
}

static const char *rx_kind(const char *what)
{
	return what[0] == 'p' ? "hs-path" : what[0] == 'f' && what[1] == 'i' ? "hs-name" : "hs-fp";
}

/* Load the database of the list from the cache: 1 when it was. */
static int rx_cached(struct cs_matcher *m, const struct rx_list *l, const char *what,
                     hs_database_t **db, cs_diag_fn diag, void *ud)
{
	struct cs_mcache_entry e;
	unsigned char key[32];
	int rc;

	if (!m->cache_dir || !rx_key(l, what, key))
		return 0;
	rc = cs__mcache_get(m->cache_dir, rx_kind(what), key, &e);
	if (rc == CS_OK) {
		if (hs_deserialize_database((const char *)e.payload, e.payload_len, db) ==
		    HS_SUCCESS) {
			cs__mcache_entry_release(&e);
			m->regex_cache = cache_worst(m->regex_cache, CS_CACHE_HIT);
			return 1;
		}
		/* Intact but not loadable (another Hyperscan, another CPU). */
		*db = NULL;
		cs__mcache_entry_release(&e);
		rc = CS_ERR_PARSE;
	}
	cache_note(m, diag, ud, "regex", rc);
	if (rc == CS_ERR_PARSE)
		m->regex_cache = cache_worst(m->regex_cache, CS_CACHE_REBUILT);
	return 0;
}

/* Keep a freshly compiled database of the whole list. */
static void rx_store(struct cs_matcher *m, const struct rx_list *l, const char *what,
                     const hs_database_t *db)
{
	unsigned char key[32];
	char *bytes = NULL;
	size_t len = 0;
	int st = CS_CACHE_STORED;

	if (!m->cache_dir)
		return;
	if (!rx_key(l, what, key) || hs_serialize_database(db, &bytes, &len) != HS_SUCCESS ||
	    cs__mcache_put(m->cache_dir, rx_kind(what), key, NULL, 0, bytes, len) != CS_OK)
		st = CS_CACHE_FAILED;
	m->regex_cache = cache_worst(m->regex_cache, st);
	free(bytes);
}

/*
 * Report a regex left out (or, with `note`, one that can never match), at
 * the file and line of the intel that gave it (the first source of the
 * indicator holding slot `id` of `slots`).
 */
static void rx_report(const struct cs_matcher *m, const struct cs_regex_entry *slots,
                      unsigned id, const char *what, const char *expr, const char *why,
                      int note, cs_diag_fn diag, void *ud)
{
	const struct cs_indicator *ind = slots[id].ind;
	struct cs_source_info si;
	struct cs_diag d = {CS_SEV_WARN, NULL, 0, 0, "regex-unsupported", NULL};
	char msg[512];

	if (!diag)
		return;
	if (note) {
		d.severity = CS_SEV_INFO;
		d.reason = "regex-never-matches";
	}
	if (ind && cs_indicator_source_count(ind)) {
		cs_indicator_source(m->intel, ind, 0, &si);
		d.file = si.file;
		d.line = si.line;
	}
	if (note)
		snprintf(msg, sizeof(msg), "%s regex '%.80s' %s", what, expr, why);
	else
		snprintf(msg, sizeof(msg), "%s regex '%.80s' left out of the sweep: %s", what, expr,
		         why);
	d.message = msg;
	diag(ud, &d);
}

static void rx_left_out(const struct cs_matcher *m, const struct cs_regex_entry *slots,
                        unsigned id, const char *what, const char *expr, const char *why,
                        cs_diag_fn diag, void *ud)
{
	rx_report(m, slots, id, what, expr, why, 0, diag, ud);
}

/*
 * Python's re, the engine of Loki whose IOC files signature-base writes,
 * takes an unescaped '$' anywhere as the end of the text; Hyperscan
 * refuses one that is not at the end of the pattern or of a branch. Such a
 * '$' with more to match after it can only match before a final newline,
 * which no path ends in: it is written as an empty class, which matches
 * nothing, so that the other branches keep their meaning
 * ('\\Device\\|$env:windir' still matches '\\Device\\'). Returns the
 * rewritten expression in the matcher's arena, or NULL when there is no
 * such '$' (or no memory).
 */
static const char *rx_dead_anchors(struct cs_matcher *m, const char *e)
{
	static const char never[] = "[^\\x00-\\xff]";
	size_t i, n = strlen(e);
	struct cs_buf b;
	int in_class = 0, changed = 0, rc = CS_OK;
	const char *out = NULL;

	cs__buf_init(&b, 0);
	for (i = 0; i < n && !rc; i++) {
		char c = e[i];

		if (c == '\\' && i + 1 < n) {
			rc = cs__buf_add(&b, e + i, 2);
			i++;
		} else if (in_class) {
			in_class = c != ']';
			rc = cs__buf_addc(&b, c);
		} else if (c == '[') {
			size_t k = i + 1;

			/* A ']' first in a class (after '^') is a member. */
			if (k < n && e[k] == '^')
				k++;
			if (k < n && e[k] == ']')
				k++;
			rc = cs__buf_add(&b, e + i, k - i);
			i = k - 1;
			in_class = 1;
		} else if (c == '$' && i + 1 < n && e[i + 1] != ')' && e[i + 1] != '|') {
			rc = cs__buf_adds(&b, never);
			changed = 1;
		} else {
			rc = cs__buf_addc(&b, c);
		}
	}
	if (!rc && changed)
		out = cs__arena_strndup(&m->arena, cs__buf_cstr(&b), b.len);
	cs__buf_release(&b);
	return out;
}

/* Whether Hyperscan's refusal says the expression can match nothing. */
static int never_matches(const hs_compile_error_t *err)
{
	return err && err->message && strstr(err->message, "can never match");
}

/*
 * Compile the list into one block-mode database. Expressions Hyperscan
 * refuses are reported, counted and left out (their slot keeps its id so
 * the caller's table stays aligned). *db stays NULL for an empty list.
 * `slots` holds the indicator of each id, to say where a refused one came
 * from.
 */
static int rx_compile(struct cs_matcher *m, struct rx_list *l, const char *what, hs_database_t **db,
                      const struct cs_regex_entry *slots, cs_diag_fn diag, void *ud)
{
	hs_compile_error_t *err = NULL;
	size_t i, j;

	/* Weed out unsupported expressions one by one first: a failed
	 * multi-compile names only the first bad expression. */
	for (i = j = 0; i < l->n; i++) {
		hs_expr_info_t *info = NULL;

		if (hs_expression_info(l->expr[i], l->flags[i], &info, &err) != HS_SUCCESS) {
			const char *re = rx_dead_anchors(m, l->expr[i]);

			if (re && !never_matches(err)) {
				hs_free_compile_error(err);
				err = NULL;
				if (hs_expression_info(re, l->flags[i], &info, &err) == HS_SUCCESS) {
					rx_report(m, slots, l->ids[i], what, l->expr[i],
					          "has a '$' before its end, which ends the text (as in "
					          "Python, Loki's engine): that part can never match and "
					          "is matched as such",
					          1, diag, ud);
					free(info);
					l->expr[j] = re;
					l->flags[j] = l->flags[i];
					l->ids[j] = l->ids[i];
					j++;
					continue;
				}
			}
			if (never_matches(err)) {
				/* Nothing to look for, in Loki as here: not a gap. */
				rx_report(m, slots, l->ids[i], what, l->expr[i],
				          "can never match (as in Python, Loki's engine): nothing to "
				          "look for",
				          1, diag, ud);
				hs_free_compile_error(err);
				err = NULL;
				continue;
			}
			rx_left_out(m, slots, l->ids[i], what, l->expr[i],
			            err ? err->message : "refused", diag, ud);
			hs_free_compile_error(err);
			err = NULL;
			m->regex_bad++;
			continue;
		}
		free(info);
		l->expr[j] = l->expr[i];
		l->flags[j] = l->flags[i];
		l->ids[j] = l->ids[i];
		j++;
	}
	l->n = j;
	if (l->n && rx_cached(m, l, what, db, diag, ud))
		goto scratch;
	while (l->n) {
		if (hs_compile_multi(l->expr, l->flags, l->ids, (unsigned)l->n, HS_MODE_BLOCK, NULL,
		                     db, &err) == HS_SUCCESS) {
			if (l->n == j)
				rx_store(m, l, what, *db);
			break;
		}
		if (!err || err->expression < 0 || (size_t)err->expression >= l->n) {
			report(diag, ud, NULL, "regex-unsupported", "%s regexes left out: %s", what,
			       err ? err->message : "compile failed");
			m->regex_bad += l->n;
			hs_free_compile_error(err);
			l->n = 0;
			break;
		}
		i = (size_t)err->expression;
		rx_left_out(m, slots, l->ids[i], what, l->expr[i], err->message, diag, ud);
		hs_free_compile_error(err);
		err = NULL;
		m->regex_bad++;
		memmove(l->expr + i, l->expr + i + 1, (l->n - i - 1) * sizeof(*l->expr));
		memmove(l->flags + i, l->flags + i + 1, (l->n - i - 1) * sizeof(*l->flags));
		memmove(l->ids + i, l->ids + i + 1, (l->n - i - 1) * sizeof(*l->ids));
		l->n--;
	}
scratch:
	if (*db && hs_alloc_scratch(*db, &m->scratch) != HS_SUCCESS)
		return CS_ERR_NOMEM;
	return CS_OK;
}

/* The false-positive regex a Loki entry carries, as a label. */
static const char *fp_regex(const struct cs_intel *in, const struct cs_indicator *ind)
{
	size_t i, n = cs_indicator_label_count(ind);

	for (i = 0; i < n; i++) {
		const char *l = cs_indicator_label(in, ind, i);

		if (l && strncmp(l, FP_PREFIX, strlen(FP_PREFIX)) == 0)
			return l + strlen(FP_PREFIX);
	}
	return NULL;
}

static int build_regexes(struct cs_matcher *m, cs_diag_fn diag, void *ud)
{
	struct rx_list path = {0}, base = {0}, fp = {0};
	size_t i, n = cs_intel_count(m->intel), pcap = 0, bcap = 0;
	int rc = CS_OK;

	for (i = 0; i < n && !rc; i++) {
		const struct cs_indicator *ind = cs_intel_at(m->intel, i);
		enum cs_kind k = cs_indicator_kind(ind);
		const char *f;

		if (k == CS_KIND_PATH_REGEX) {
			rc = cs__grow((void **)&m->path_v, &pcap, m->path_n + 1,
			              sizeof(*m->path_v));
			if (rc)
				break;
			m->path_v[m->path_n].ind = ind;
			m->path_v[m->path_n].fp = 0;
			f = fp_regex(m->intel, ind);
			if (f) {
				rc = rx_push(&fp, f, (unsigned)m->path_n);
				if (rc)
					break;
			}
			rc = rx_push(&path, cs_indicator_value(ind), (unsigned)m->path_n);
			m->path_n++;
		} else if (k == CS_KIND_FILENAME_REGEX) {
			rc = cs__grow((void **)&m->base_v, &bcap, m->base_n + 1,
			              sizeof(*m->base_v));
			if (rc)
				break;
			m->base_v[m->base_n].ind = ind;
			m->base_v[m->base_n].fp = 0;
			rc = rx_push(&base, cs_indicator_value(ind), (unsigned)m->base_n);
			m->base_n++;
		}
	}
	if (!rc)
		rc = rx_compile(m, &path, "path", &m->path_db, m->path_v, diag, ud);
	if (!rc)
		rc = rx_compile(m, &base, "file name", &m->base_db, m->base_v, diag, ud);
	/* A false-positive regex that does not compile leaves its entry
	 * without one (as at import), and is reported once. */
	if (!rc) {
		size_t bad = m->regex_bad;

		rc = rx_compile(m, &fp, "false-positive", &m->fp_db, m->path_v, diag, ud);
		m->regex_bad = bad;
		for (i = 0; i < fp.n; i++)
			m->path_v[fp.ids[i]].fp = 1;
		m->fp_n = fp.n;
	}
	rx_free(&path);
	rx_free(&base);
	rx_free(&fp);
	return rc;
}

/* ---- YARA ---- */

struct yara_err {
	cs_diag_fn diag;
	void *ud;
	const char *file;
	int errors;
	int slow; /* "may slow down scanning" warnings in the current source */
	int allow_slow;
};

static void yara_compile_cb(int level, const char *file, int line, const YR_RULE *rule,
                            const char *msg, void *ud)
{
	struct yara_err *e = ud;

	(void)file;
	if (level == YARA_ERROR_LEVEL_WARNING && msg && strstr(msg, "slow down scanning")) {
		e->slow++;
		if (e->slow <= 3)
			report(e->diag, e->ud, e->file, "yara-slow", "line %d: rule %s: %s%s", line,
			       rule && rule->identifier ? rule->identifier : "?", msg,
			       e->allow_slow ? " (kept: --allow-slow-rules)" : "");
		return;
	}
	if (level != YARA_ERROR_LEVEL_ERROR)
		return;
	e->errors++;
	if (e->errors <= 3)
		report(e->diag, e->ud, e->file, "yara-compile", "line %d: %s", line, msg);
}

/* Compile every kept source not marked bad. Returns the index of a source
 * that failed (>= 0), -1 on success, or a negative error below -1. */
static long yara_try(struct cs_matcher *m, const unsigned char *bad, cs_diag_fn diag, void *ud)
{
	size_t i, n = cs_intel_yara_count(m->intel);
	struct yara_err e = {diag, ud, NULL, 0, 0, m->allow_slow};
	YR_COMPILER *c = NULL;

	if (yr_compiler_create(&c) != ERROR_SUCCESS)
		return CS_ERR_NOMEM - 1;
	cs__yara_externals(c);
	yr_compiler_set_callback(c, yara_compile_cb, &e);
	m->yara_sources = 0;
	for (i = 0; i < n; i++) {
		const char *text;
		size_t len;
		const char *path = cs_intel_yara_source(m->intel, i, &text, &len);
		char *copy;
		int errs;

		if (bad[i])
			continue;
		/* yr_compiler_add_string wants a NUL-terminated string. */
		copy = cs__strndup(text, len);
		if (!copy) {
			yr_compiler_destroy(c);
			return CS_ERR_NOMEM - 1;
		}
		e.file = path;
		e.slow = 0;
		errs = yr_compiler_add_string(c, copy, m->yara_ns[i]);
		free(copy);
		if (errs || (e.slow && !m->allow_slow)) {
			yr_compiler_destroy(c);
			return (long)i;
		}
		m->yara_sources++;
	}
	if (yr_compiler_get_rules(c, &m->rules) != ERROR_SUCCESS) {
		yr_compiler_destroy(c);
		return CS_ERR_NOMEM - 1;
	}
	yr_compiler_destroy(c);
	m->yara_rules = cs__yara_count(m->rules);
	return -1;
}

/* Name the compiled rules: SHA-256 over each kept source's path and text.
 * The inventory keeps it, to know whether recorded YARA results still
 * hold. */
static void yara_digest(struct cs_matcher *m, const unsigned char *bad)
{
	static const char hexd[] = "0123456789abcdef";
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char md[32];
	unsigned int len = 0, j;
	size_t i, n = cs_intel_yara_count(m->intel);

	if (!c || !EVP_DigestInit_ex(c, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(c);
		return;
	}
	for (i = 0; i < n; i++) {
		const char *text;
		size_t tl;
		const char *path = cs_intel_yara_source(m->intel, i, &text, &tl);

		if (bad[i])
			continue;
		EVP_DigestUpdate(c, path ? path : "", path ? strlen(path) + 1 : 1);
		EVP_DigestUpdate(c, text, tl);
		EVP_DigestUpdate(c, "", 1);
	}
	if (EVP_DigestFinal_ex(c, md, &len) && len == 32) {
		for (j = 0; j < 32; j++) {
			m->yara_digest[2 * j] = hexd[md[j] >> 4];
			m->yara_digest[2 * j + 1] = hexd[md[j] & 15];
		}
		m->yara_digest[64] = '\0';
	}
	EVP_MD_CTX_free(c);
}

/* The cache key of the YARA rules: every source with its namespace, the
 * externals, libyara's version and compiled-rules format, the word size. */
static int yara_key(const struct cs_matcher *m, unsigned char *key)
{
	size_t i, k, n = cs_intel_yara_count(m->intel);
	struct cs_keyer kr;
	char v[64];

	cs__key_begin(&kr, "chainsweep yara v1");
	snprintf(v, sizeof(v), "%s/%d/%zu", YR_VERSION, YR_ARENA_FILE_VERSION, sizeof(void *));
	cs__key_adds(&kr, v);
	for (k = 0; cs__yara_external_names[k]; k++) {
		cs__key_adds(&kr, cs__yara_external_names[k]);
		cs__key_adds(&kr, ""); /* its default value */
	}
	/* Slow rule files are left out, or not: two different rulesets. */
	cs__key_adds(&kr, m->allow_slow ? "allow-slow" : "");
	for (i = 0; i < n; i++) {
		const char *text;
		size_t len;

		cs_intel_yara_source(m->intel, i, &text, &len);
		cs__key_adds(&kr, m->yara_ns[i]);
		cs__key_add(&kr, text, len);
	}
	return cs__key_end(&kr, key);
}

/*
 * The rules from the cache. The entry's meta lists the sources left out
 * when it was compiled (u32 count, then u32 indexes, ascending); they are
 * marked in `bad` and reported again. Returns 1 when loaded.
 */
static int yara_cached(struct cs_matcher *m, const unsigned char *key, unsigned char *bad,
                       cs_diag_fn diag, void *ud)
{
	size_t i, n = cs_intel_yara_count(m->intel), nbad;
	struct cs_mcache_entry e;
	int rc;

	rc = cs__mcache_get(m->cache_dir, "yara", key, &e);
	if (rc == CS_OK) {
		const unsigned char *p = e.meta;
		int ok = e.meta_len >= 4;

		nbad = ok ? (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 |
		                (size_t)p[3] << 24
		          : 0;
		ok = ok && nbad <= n && e.meta_len == 4 + 4 * nbad;
		memset(bad, 0, n);
		for (i = 0; ok && i < nbad; i++) {
			const unsigned char *q = p + 4 + 4 * i;
			size_t idx = (size_t)q[0] | (size_t)q[1] << 8 | (size_t)q[2] << 16 |
			             (size_t)q[3] << 24;

			ok = idx < n && !bad[idx];
			if (ok)
				bad[idx] = 1;
		}
		if (ok && cs__yara_load(e.payload, e.payload_len, &m->rules) == CS_OK) {
			cs__mcache_entry_release(&e);
			m->yara_cache = CS_CACHE_HIT;
			m->yara_sources = n - nbad;
			m->yara_rules = cs__yara_count(m->rules);
			for (i = 0; i < n; i++) {
				if (!bad[i])
					continue;
				m->yara_bad++;
				report(diag, ud, m->yara_ns[i], "yara-compile",
				       "rule file left out of the sweep");
			}
			return 1;
		}
		memset(bad, 0, n);
		cs__mcache_entry_release(&e);
		rc = CS_ERR_PARSE; /* intact, but not rules this libyara loads */
	}
	cache_note(m, diag, ud, "YARA", rc);
	if (rc == CS_ERR_PARSE)
		m->yara_cache = CS_CACHE_REBUILT;
	return 0;
}

/* Keep freshly compiled rules, with the sources left out. */
static void yara_store(struct cs_matcher *m, const unsigned char *key, const unsigned char *bad)
{
	size_t i, n = cs_intel_yara_count(m->intel), nbad = 0, len = 0;
	unsigned char *meta, *img = NULL;
	int ok;

	meta = cs__malloc(4 + 4 * n);
	if (!meta) {
		m->yara_cache = CS_CACHE_FAILED;
		return;
	}
	for (i = 0; i < n; i++) {
		if (!bad[i])
			continue;
		nbad++;
		meta[4 * nbad] = (unsigned char)i;
		meta[4 * nbad + 1] = (unsigned char)(i >> 8);
		meta[4 * nbad + 2] = (unsigned char)(i >> 16);
		meta[4 * nbad + 3] = (unsigned char)(i >> 24);
	}
	meta[0] = (unsigned char)nbad;
	meta[1] = (unsigned char)(nbad >> 8);
	meta[2] = (unsigned char)(nbad >> 16);
	meta[3] = (unsigned char)(nbad >> 24);
	ok = n <= UINT32_MAX && cs__yara_save(m->rules, &img, &len) == CS_OK &&
	     cs__mcache_put(m->cache_dir, "yara", key, meta, 4 + 4 * nbad, img, len) == CS_OK;
	if (m->yara_cache != CS_CACHE_REBUILT || !ok)
		m->yara_cache = ok ? CS_CACHE_STORED : CS_CACHE_FAILED;
	free(img);
	free(meta);
}

/* Ruleset variants, unless turned off. */
static int yara_variants(struct cs_matcher *m, const unsigned char *key, int keyed)
{
	if (m->no_variants)
		return CS_OK;
	return cs__yvar_new(m, m->cache_dir, key, keyed, m->variant_bytes);
}

static int build_yara(struct cs_matcher *m, cs_diag_fn diag, void *ud)
{
	size_t i, n = cs_intel_yara_count(m->intel);
	unsigned char *bad, key[32];
	int keyed = 0;
	long r;

	if (n == 0)
		return CS_OK;
	if (cs__dl_load(&cs__dl_yara) != CS_OK) {
		/* Left out as rule files that do not compile are: counted,
		 * said, and the rest of the intel still swept. */
		report(diag, ud, NULL, "yara-unavailable",
		       "%zu YARA rule files left out of the sweep: %s", n, cs__dl_why(&cs__dl_yara));
		m->yara_bad = n;
		return CS_OK;
	}
	if (yr_initialize() != ERROR_SUCCESS)
		return CS_ERR_NOMEM;
	m->yr_init = 1;
	m->yara_ns = cs__calloc(n, sizeof(*m->yara_ns));
	bad = cs__calloc(n, 1);
	if (!m->yara_ns || !bad) {
		free(bad);
		return CS_ERR_NOMEM;
	}
	for (i = 0; i < n; i++) {
		const char *text;
		size_t len;
		const char *path = cs_intel_yara_source(m->intel, i, &text, &len);

		/* The source path is the namespace: rules of the same name in
		 * two files do not clash, and a finding says which file. */
		m->yara_ns[i] = path ? path : "default";
	}
	m->yara_bad_v = bad;
	if (m->cache_dir) {
		keyed = yara_key(m, key);
		if (keyed && yara_cached(m, key, bad, diag, ud)) {
			yara_digest(m, bad);
			return yara_variants(m, key, keyed);
		}
	}
	/* A source that compiled alone at import can still clash with the
	 * others (or with a newer libyara): leave it out and try again. */
	while ((r = yara_try(m, bad, diag, ud)) >= 0) {
		bad[r] = 1;
		m->yara_bad++;
		report(diag, ud, m->yara_ns[r], "yara-compile", "rule file left out of the sweep");
	}
	if (r != -1)
		return (int)(r + 1);
	yara_digest(m, bad);
	if (keyed)
		yara_store(m, key, bad);
	return yara_variants(m, key, keyed);
}

/* ---- the matcher ---- */

void cs_matcher_opts_init(struct cs_matcher_opts *o)
{
	memset(o, 0, sizeof(*o));
}

int cs_matcher_new(const struct cs_intel *intel, cs_diag_fn diag, void *ud, struct cs_matcher **out)
{
	return cs_matcher_new_opts(intel, NULL, diag, ud, out);
}

int cs_matcher_new_opts(const struct cs_intel *intel, const struct cs_matcher_opts *o,
                        cs_diag_fn diag, void *ud, struct cs_matcher **out)
{
	struct cs_matcher *m;
	size_t i, n, name_cap = 0;
	int rc = CS_OK;

	*out = NULL;
	if (!intel)
		return CS_ERR_INVALID;
	m = cs__calloc(1, sizeof(*m));
	if (!m)
		return CS_ERR_NOMEM;
	m->intel = intel;
	m->cache_dir = o && o->cache_dir && o->cache_dir[0] ? o->cache_dir : NULL;
	m->no_variants = o && o->no_yara_variants;
	m->variant_bytes = o ? o->yara_variant_bytes : 0;
	m->allow_slow = o && o->allow_slow_yara;
	cs__map_init(&m->names);
	cs__map_init(&m->nets);
	pthread_mutex_init(&m->tf_mu, NULL);
	cs__map_init(&m->canchors);
	cs__arena_init(&m->arena);
	n = cs_intel_count(intel);
	for (i = 0; i < n && !rc; i++) {
		const struct cs_indicator *ind = cs_intel_at(intel, i);

		switch (cs_indicator_kind(ind)) {
		case CS_KIND_MD5:
			m->hashes |= CS_HASH_MD5;
			m->nhash++;
			break;
		case CS_KIND_SHA1:
			m->hashes |= CS_HASH_SHA1;
			m->nhash++;
			break;
		case CS_KIND_SHA256:
			m->hashes |= CS_HASH_SHA256;
			m->nhash++;
			break;
		case CS_KIND_SHA512:
			m->hashes |= CS_HASH_SHA512;
			m->nhash++;
			break;
		case CS_KIND_FILENAME:
			rc = add_name(m, ind, &name_cap);
			break;
		default:
			break;
		}
	}
	if (!rc)
		rc = cs__match_build_net(m, intel, 1);
	if (!rc)
		rc = build_regexes(m, diag, ud);
	if (!rc)
		rc = cs__match_build_compounds(m, diag, ud);
	if (!rc)
		rc = build_yara(m, diag, ud);
	m->cache_dir = NULL; /* borrowed for the call only */
	if (rc) {
		cs_matcher_free(m);
		return rc;
	}
	*out = m;
	return CS_OK;
}

void cs_matcher_free(struct cs_matcher *m)
{
	if (!m)
		return;
	cs__map_release(&m->names);
	cs__map_release(&m->nets);
	cs__tfilter_free(m->tf);
	cs__tsnap_free(m->snap);
	cs_intel_free(m->own_intel);
	pthread_mutex_destroy(&m->tf_mu);
	cs__arena_release(&m->arena);
	free(m->name_v);
	free(m->path_v);
	free(m->base_v);
	cs__match_free_compounds(m);
	hs_free_database(m->path_db);
	hs_free_database(m->base_db);
	hs_free_database(m->fp_db);
	hs_free_scratch(m->scratch);
	cs__yvar_free(m->yv);
	if (m->rules)
		yr_rules_destroy(m->rules);
	free(m->yara_ns);
	free(m->yara_bad_v);
	if (m->yr_init)
		yr_finalize();
	free(m);
}

unsigned cs_matcher_hashes(const struct cs_matcher *m)
{
	return m->hashes;
}

const char *cs_matcher_yara_digest(const struct cs_matcher *m)
{
	return m->yara_digest;
}

void cs_matcher_info(const struct cs_matcher *m, struct cs_matcher_info *o)
{
	memset(o, 0, sizeof(*o));
	o->hashes = m->nhash;
	o->names = m->name_n;
	o->regexes = m->path_n + m->base_n - m->regex_bad;
	o->regexes_bad = m->regex_bad;
	o->yara_rules = m->yara_rules;
	o->yara_sources = m->yara_sources;
	o->yara_bad = m->yara_bad;
	o->compounds = m->compound_n;
	o->compounds_bad = m->compound_bad;
	o->yara_cache = m->yara_cache;
	o->regex_cache = m->regex_cache;
	cs__yvar_info(m, o);
}

const char *cs_evidence_name(enum cs_evidence ev)
{
	switch (ev) {
	case CS_EV_HASH:
		return "hash";
	case CS_EV_NAME:
		return "name";
	case CS_EV_PATH:
		return "path-regex";
	case CS_EV_YARA:
		return "yara";
	case CS_EV_COMPOUND:
		return "compound";
	}
	return "unknown";
}

/* ---- per thread ---- */

int cs__match_thread_init(struct cs_match_thread *t, const struct cs_matcher *m)
{
	memset(t, 0, sizeof(*t));
	t->m = m;
	if (m->scratch && hs_clone_scratch(m->scratch, &t->scratch) != HS_SUCCESS)
		return CS_ERR_NOMEM;
	if (m->rules && yr_scanner_create(m->rules, &t->scanner) != ERROR_SUCCESS) {
		hs_free_scratch(t->scratch);
		t->scratch = NULL;
		return CS_ERR_NOMEM;
	}
	return CS_OK;
}

void cs__match_thread_release(struct cs_match_thread *t)
{
	hs_free_scratch(t->scratch);
	if (t->scanner)
		yr_scanner_destroy(t->scanner);
	cs__yvar_thread_release(t);
	memset(t, 0, sizeof(*t));
}

const struct cs_indicator *cs__match_hash(const struct cs_matcher *m, enum cs_kind kind,
                                          const char *hex)
{
	return cs_intel_find(m->intel, kind, hex);
}

struct hs_ctx {
	const struct cs_regex_entry *v;
	size_t n;
	uint32_t *hits;
	size_t nhits, cap;
	int nomem;
};

static int on_hs(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                 void *ud)
{
	struct hs_ctx *c = ud;

	(void)from;
	(void)to;
	(void)flags;
	if (cs__grow((void **)&c->hits, &c->cap, c->nhits + 1, sizeof(*c->hits))) {
		c->nomem = 1;
		return 1;
	}
	c->hits[c->nhits++] = id;
	return 0;
}

/* Run db over s, and again over s with '/' as '\' when s has any '/':
 * signature-base writes its path regexes for Windows paths. */
static int hs_both(struct cs_match_thread *t, const hs_database_t *db, const char *s, size_t n,
                   struct hs_ctx *c)
{
	char *alt;
	size_t i;

	if (!db)
		return CS_OK;
	if (hs_scan(db, s, (unsigned)n, 0, t->scratch, on_hs, c) != HS_SUCCESS && c->nomem)
		return CS_ERR_NOMEM;
	if (!memchr(s, '/', n))
		return CS_OK;
	alt = cs__strndup(s, n);
	if (!alt)
		return CS_ERR_NOMEM;
	for (i = 0; i < n; i++)
		if (alt[i] == '/')
			alt[i] = '\\';
	hs_scan(db, alt, (unsigned)n, 0, t->scratch, on_hs, c);
	free(alt);
	return c->nomem ? CS_ERR_NOMEM : CS_OK;
}

static int seen(const uint32_t *v, size_t n, uint32_t id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == id)
			return 1;
	return 0;
}

int cs__match_path(struct cs_match_thread *t, const char *path, const char *base, cs_match_fn fn,
                   void *ud)
{
	const struct cs_matcher *m = t->m;
	size_t plen = strlen(path), blen = strlen(base), i;
	struct hs_ctx c = {0}, fp = {0};
	uint32_t idx;
	int rc = CS_OK;

	if (m->name_n && blen) {
		char *fb = cs__malloc(plen + 1);

		if (!fb)
			return CS_ERR_NOMEM;
		for (i = 0; i < plen; i++)
			fb[i] = path[i] == '\\' ? '/' : (char)cs__lower((unsigned char)path[i]);
		fb[plen] = '\0';
		if (cs__map_get(&m->names, fb + plen - blen, blen, &idx)) {
			while (idx && !rc) {
				const struct cs_name_entry *e = &m->name_v[idx - 1];

				if (!e->tail || cs__match_tail(e, fb, plen))
					rc = fn(ud, CS_EV_NAME, e->ind, e->tail ? path : base);
				idx = e->next;
			}
		}
		free(fb);
		if (rc)
			return rc;
	}
	if (!t->scratch)
		return CS_OK;
	rc = hs_both(t, m->path_db, path, plen, &c);
	if (!rc && c.nhits && m->fp_db)
		rc = hs_both(t, m->fp_db, path, plen, &fp);
	for (i = 0; i < c.nhits && !rc; i++) {
		uint32_t id = c.hits[i];

		if (seen(c.hits, i, id))
			continue;
		if (m->path_v[id].fp && seen(fp.hits, fp.nhits, id))
			continue; /* the entry's own false-positive regex */
		rc = fn(ud, CS_EV_PATH, m->path_v[id].ind, path);
	}
	c.nhits = 0;
	if (!rc && m->base_db) {
		if (hs_scan(m->base_db, base, (unsigned)blen, 0, t->scratch, on_hs, &c) !=
		            HS_SUCCESS &&
		    c.nomem)
			rc = CS_ERR_NOMEM;
		for (i = 0; i < c.nhits && !rc; i++)
			if (!seen(c.hits, i, c.hits[i]))
				rc = fn(ud, CS_EV_PATH, m->base_v[c.hits[i]].ind, base);
	}
	free(c.hits);
	free(fp.hits);
	return rc;
}

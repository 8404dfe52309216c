/*
 * Reader for YARA rule files (docs/intel-formats-text.md).
 *
 * Each file is compiled on its own with libyara, exactly as a sweep will
 * compile it later, so that a file that does not compile is found at
 * import time and not in the middle of a sweep. A file that compiles
 * yields one CS_KIND_YARA_RULE indicator per rule (value: the rule
 * identifier) and its text is kept in the set for the sweeps.
 *
 * Choices:
 *  - the externals signature-base expects (filename, filepath, extension,
 *    filetype, owner) are declared as empty strings;
 *  - "include" directives are refused: a rule file must not make us read
 *    other files (a rule set is imported folder by folder instead);
 *  - a file that does not compile counts one reject, "yara-compile",
 *    with every compiler error reported at its line; its rules are not
 *    added and its text is not kept;
 *  - a file over 32 MiB or with a line over 16 KiB is not compiled at all
 *    (one reject, "too-long"): libyara's lexer is quadratic in the
 *    length of a line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yara.h>

#include "core/dl_int.h"
#include "intel/intel_int.h"
#include "intel/yara_int.h"

#define YARA_DESC_MAX   4096
#define YARA_MAX_ERRORS 20 /* compiler errors reported per file */
/* libyara's lexer takes time quadratic in the length of a line (a 4 MB
 * comment line costs 20 s); real rule files stay under 4 KB a line and
 * 2 MB a file. */
#define YARA_MAX_LINE ((size_t)16 << 10)
#define YARA_MAX_FILE ((size_t)32 << 20)


/* ------------------------------------------------------------------ scanning */

/*
 * A light scanner over the rule text: it knows comments, text strings,
 * regular expressions and identifiers well enough to find the
 * "rule <name>" declarations and their lines. libyara does not keep
 * line numbers in compiled rules.
 */
struct rule_pos {
	const char *name;
	size_t len;
	uint64_t line;
};

struct rule_scan {
	struct rule_pos *v;
	size_t n, cap;
};

static int ident_start(int c)
{
	return cs__isalpha(c) || c == '_';
}

static int ident_char(int c)
{
	return cs__isalnum(c) || c == '_';
}

/*
 * Collect every "rule NAME" outside comments and strings, in order.
 * A '/' starts a regular expression after '=' or the word "matches"
 * (elsewhere it divides). Linear in the text. Returns CS_OK or
 * CS_ERR_NOMEM.
 */
static int scan_rules(const char *s, size_t n, struct rule_scan *out)
{
	size_t i = 0;
	uint64_t line = 1;
	int regex_ok = 0; /* a '/' here would start a regex */

	while (i < n) {
		int c = (unsigned char)s[i];

		if (c == '\n') {
			line++;
			i++;
			continue;
		}
		if (cs__isspace(c)) {
			i++;
			continue;
		}
		if (c == '/' && i + 1 < n && s[i + 1] == '/') {
			while (i < n && s[i] != '\n')
				i++;
			continue;
		}
		if (c == '/' && i + 1 < n && s[i + 1] == '*') {
			i += 2;
			while (i < n && !(s[i] == '*' && i + 1 < n && s[i + 1] == '/')) {
				if (s[i] == '\n')
					line++;
				i++;
			}
			i = i < n ? i + 2 : n;
			continue;
		}
		if (c == '"' || (c == '/' && regex_ok)) {
			int close = c;

			i++;
			while (i < n && s[i] != close && s[i] != '\n') {
				if (s[i] == '\\' && i + 1 < n && s[i + 1] != '\n')
					i++;
				i++;
			}
			if (i < n && s[i] == close)
				i++;
			regex_ok = 0;
			continue;
		}
		if (ident_start(c)) {
			size_t start = i;

			while (i < n && ident_char((unsigned char)s[i]))
				i++;
			regex_ok = (i - start == 7 && memcmp(s + start, "matches", 7) == 0);
			if (i - start == 4 && memcmp(s + start, "rule", 4) == 0) {
				size_t j = i;
				uint64_t l = line;

				while (j < n && cs__isspace((unsigned char)s[j])) {
					if (s[j] == '\n')
						l++;
					j++;
				}
				if (j < n && ident_start((unsigned char)s[j])) {
					size_t ns = j;

					while (j < n && ident_char((unsigned char)s[j]))
						j++;
					if (cs__grow((void **)&out->v, &out->cap, out->n + 1,
					             sizeof(*out->v)))
						return CS_ERR_NOMEM;
					out->v[out->n].name = s + ns;
					out->v[out->n].len = j - ns;
					out->v[out->n].line = line;
					out->n++;
					line = l;
					i = j;
				}
			}
			continue;
		}
		regex_ok = c == '=' || c == '(' || c == ',';
		i++;
	}
	return CS_OK;
}

/* The line of rule `name`: the first declaration not yet claimed, so
 * that declarations and compiled rules pair up in order. 0 if none. */
static uint64_t rule_line(struct rule_scan *sc, size_t *from, const char *name)
{
	size_t len = strlen(name), k;

	for (k = *from; k < sc->n; k++) {
		if (sc->v[k].len == len && memcmp(sc->v[k].name, name, len) == 0) {
			*from = k + 1;
			return sc->v[k].line;
		}
	}
	for (k = 0; k < *from && k < sc->n; k++) {
		if (sc->v[k].len == len && memcmp(sc->v[k].name, name, len) == 0)
			return sc->v[k].line;
	}
	return 0;
}

/* ------------------------------------------------------------------ compiling */

struct compile_errs {
	struct cs_reader_ctx *ctx;
	int errors;
	int first_line;
	char first_msg[256];
};

/* libyara reports each error and warning here; warnings ("string may
 * slow down scanning") are no business of an import. */
static void compiler_cb(int level, const char *file, int line, const YR_RULE *rule,
                        const char *message, void *ud)
{
	struct compile_errs *e = ud;

	(void)file;
	(void)rule;
	if (level != YARA_ERROR_LEVEL_ERROR)
		return;
	if (e->errors == 0) {
		e->first_line = line;
		snprintf(e->first_msg, sizeof(e->first_msg), "%s", message ? message : "error");
	}
	if (e->errors < YARA_MAX_ERRORS)
		cs__diag(e->ctx, CS_SEV_ERROR, line > 0 ? (uint64_t)line : 0, 0, "%s:%d: yara: %s",
		         e->ctx->path ? e->ctx->path : "-", line, message ? message : "error");
	e->errors++;
}

static int map_yr_err(int e)
{
	return e == ERROR_INSUFFICIENT_MEMORY ? CS_ERR_NOMEM : CS_ERR_PARSE;
}

/* ------------------------------------------------------------------ rules */

static int rec_add(struct cs_buf *b, const struct cs_ind_add *a);

static int meta_is(const YR_META *m, const char *const *keys)
{
	for (; *keys; keys++) {
		if (cs__eqi(m->identifier, strlen(m->identifier), *keys))
			return 1;
	}
	return 0;
}

static const char *const desc_keys[] = {"description", "desc", NULL};
static const char *const author_keys[] = {"author", NULL};
static const char *const ref_keys[] = {"reference", "ref", "report", NULL};
static const char *const actor_keys[] = {"actor", "threat_actor", "activity_group", NULL};
static const char *const malware_keys[] = {"malware",   "malware_family",  "family",
                                           "malfamily", "malpedia_family", NULL};
static const char *const score_keys[] = {"score", NULL};
static const char *const id_keys[] = {"id", NULL};

/* Append "key: value" pieces to the description; the text stops at
 * YARA_DESC_MAX bytes, on a UTF-8 sequence boundary. */
static int desc_add(struct cs_buf *d, const char *key, const char *v)
{
	size_t vl = strlen(v), room;
	int rc = CS_OK;

	if (vl == 0 || d->len >= YARA_DESC_MAX)
		return CS_OK;
	if (d->len)
		rc = cs__buf_adds(d, "; ");
	if (!rc && key)
		rc = cs__buf_printf(d, "%s: ", key);
	if (rc)
		return rc == CS_ERR_TOOBIG ? CS_OK : rc;
	room = d->len < YARA_DESC_MAX ? YARA_DESC_MAX - d->len : 0;
	if (vl > room) {
		vl = room;
		while (vl && ((unsigned char)v[vl] & 0xc0) == 0x80)
			vl--;
	}
	rc = cs__buf_add(d, v, vl);
	return rc == CS_ERR_TOOBIG ? CS_OK : rc;
}

struct rule_labels {
	char **v;
	size_t n, cap;
};

/* Add "<prefix><v>" (v cut at 1 KiB) to the rule's labels; empty values
 * and labels past CS_INTEL_MAX_LABELS are dropped. */
static int label_add(struct rule_labels *l, const char *prefix, const char *v)
{
	size_t pl = strlen(prefix), vl = strlen(v);
	char *s;

	if (vl == 0 || l->n >= CS_INTEL_MAX_LABELS)
		return CS_OK;
	if (vl > 1024) {
		vl = 1024;
		while (vl && ((unsigned char)v[vl] & 0xc0) == 0x80)
			vl--;
	}
	if (cs__grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v)))
		return CS_ERR_NOMEM;
	s = cs__malloc(pl + vl + 1);
	if (!s)
		return CS_ERR_NOMEM;
	memcpy(s, prefix, pl);
	memcpy(s + pl, v, vl);
	s[pl + vl] = '\0';
	l->v[l->n++] = s;
	return CS_OK;
}

static void labels_clear(struct rule_labels *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

/*
 * One compiled rule as an indicator: tags become "tag:<t>" labels, meta
 * actor/malware keys "actor:"/"malware:" labels, description, author and
 * reference the description, an integer "score" the confidence and a
 * string "id" the reference. Private and global rules are indicators
 * too (a sweep never reports a private rule by itself); they carry a
 * "yara:private" / "yara:global" label.
 */
static int add_rule(struct cs_reader_ctx *ctx, const YR_RULE *rule, uint64_t line,
                    struct cs_buf *desc, struct rule_labels *labels, struct cs_buf **rec)
{
	const char *tag, *description = NULL, *author = NULL, *reference = NULL, *id = NULL;
	const YR_META *m;
	struct cs_ind_add a;
	int conf = CS_CONF_UNKNOWN, rc = CS_OK;

	labels_clear(labels);
	cs__buf_reset(desc);
	yr_rule_tags_foreach(rule, tag)
	{
		if (!rc)
			rc = label_add(labels, "tag:", tag);
	}
	yr_rule_metas_foreach(rule, m)
	{
		if (rc)
			break;
		if (m->type == META_TYPE_STRING && m->string) {
			if (!description && meta_is(m, desc_keys))
				description = m->string;
			else if (!author && meta_is(m, author_keys))
				author = m->string;
			else if (!reference && meta_is(m, ref_keys))
				reference = m->string;
			else if (!id && meta_is(m, id_keys))
				id = m->string;
			else if (meta_is(m, actor_keys))
				rc = label_add(labels, "actor:", m->string);
			else if (meta_is(m, malware_keys))
				rc = label_add(labels, "malware:", m->string);
			else if (conf < 0 && meta_is(m, score_keys)) {
				char *end;
				long v = strtol(m->string, &end, 10);

				if (end != m->string && *end == '\0')
					conf = v < 0 ? 0 : v > 100 ? 100 : (int)v;
			}
		} else if (m->type == META_TYPE_INTEGER && conf < 0 && meta_is(m, score_keys)) {
			conf = m->integer < 0 ? 0 : m->integer > 100 ? 100 : (int)m->integer;
		}
	}
	if (!rc && RULE_IS_PRIVATE(rule))
		rc = label_add(labels, "yara:", "private");
	if (!rc && RULE_IS_GLOBAL(rule))
		rc = label_add(labels, "yara:", "global");
	if (!rc && description)
		rc = desc_add(desc, NULL, description);
	if (!rc && author)
		rc = desc_add(desc, "author", author);
	if (!rc && reference)
		rc = desc_add(desc, "reference", reference);
	if (rc)
		return rc;
	cs__ind_add_init(&a);
	a.kind = CS_KIND_YARA_RULE;
	a.value = rule->identifier;
	a.labels = (const char *const *)labels->v;
	a.nlabels = labels->n;
	a.confidence = conf;
	a.line = line;
	a.column = 0;
	a.ref = id;
	a.description = desc->len ? cs__buf_cstr(desc) : NULL;
	if (*rec && rec_add(*rec, &a) != CS_OK)
		*rec = NULL; /* not kept: too big, or no memory */
	rc = cs__intel_add(ctx, &a);
	return rc == CS_ERR_NOMEM ? rc : CS_OK;
}

/* The first line longer than YARA_MAX_LINE (1-based), or 0. Linear. */
static uint64_t long_line(const char *s, size_t n)
{
	size_t i = 0;
	uint64_t line = 1;

	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - s) : n;

		if (e - i > YARA_MAX_LINE)
			return line;
		i = e + 1;
		line++;
	}
	return 0;
}

/*
 * The import cache for single rule files (docs/file-sweep.md). Importing
 * a rule file compiles it, which for signature-base is most of the time;
 * a file that compiled before, with the same libyara, gives the same
 * indicators. The cache keeps those (not the compiled rules, which would
 * be ten times the size of the whole ruleset's entry): per rule, what
 * add_rule derived. Only files that compiled without error are kept, so
 * a hit has no error to report (compiler warnings are never reported).
 * Bump YARA_FILE_CACHE when add_rule or rule_line change what they give.
 *
 * Payload, integers little-endian: u32 rules, then per rule
 *   u64 line | i32 confidence | str value | str ref | str description |
 *   u32 labels | str label...
 * where str is u32 length (0xffffffff: none) and the bytes.
 */
#define YARA_FILE_CACHE "chainsweep yara import v1"

static int rec_u32(struct cs_buf *b, uint32_t v)
{
	unsigned char p[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
	                      (unsigned char)(v >> 24)};

	return cs__buf_add(b, p, 4);
}

static int rec_str(struct cs_buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	int rc;

	if (!s)
		return rec_u32(b, UINT32_MAX);
	if (n >= UINT32_MAX)
		return CS_ERR_TOOBIG;
	rc = rec_u32(b, (uint32_t)n);
	return rc ? rc : cs__buf_add(b, s, n);
}

/* Append one indicator to the record buffer (a no-op when it is off). */
static int rec_add(struct cs_buf *b, const struct cs_ind_add *a)
{
	size_t i;
	int rc;

	if (!b)
		return CS_OK;
	rc = rec_u32(b, (uint32_t)a->line);
	if (!rc)
		rc = rec_u32(b, (uint32_t)(a->line >> 32));
	if (!rc)
		rc = rec_u32(b, (uint32_t)a->confidence);
	if (!rc)
		rc = rec_str(b, a->value);
	if (!rc)
		rc = rec_str(b, a->ref);
	if (!rc)
		rc = rec_str(b, a->description);
	if (!rc)
		rc = rec_u32(b, (uint32_t)a->nlabels);
	for (i = 0; !rc && i < a->nlabels; i++)
		rc = rec_str(b, a->labels[i]);
	return rc;
}

struct rec_reader {
	const unsigned char *p, *end;
	int bad;
};

static uint32_t get_u32(struct rec_reader *r)
{
	uint32_t v;

	if (r->bad || r->end - r->p < 4) {
		r->bad = 1;
		return 0;
	}
	v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
	    (uint32_t)r->p[3] << 24;
	r->p += 4;
	return v;
}

/* A string of the record, copied into a fresh allocation (NULL: none or
 * bad; r->bad tells which). */
static char *get_str(struct rec_reader *r)
{
	uint32_t n = get_u32(r);
	char *s;

	if (r->bad || n == UINT32_MAX)
		return NULL;
	if ((size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return NULL;
	}
	s = cs__strndup((const char *)r->p, n);
	if (!s)
		r->bad = 1;
	r->p += n;
	return s;
}

static int file_key(struct cs_reader_ctx *ctx, unsigned char *key)
{
	struct cs_keyer kr;
	char v[64];
	size_t k;

	if (!cs__intel_cache_dir(ctx->intel))
		return 0;
	cs__key_begin(&kr, YARA_FILE_CACHE);
	snprintf(v, sizeof(v), "%s/%d/%zu", YR_VERSION, YR_ARENA_FILE_VERSION, sizeof(void *));
	cs__key_adds(&kr, v);
	for (k = 0; cs__yara_external_names[k]; k++)
		cs__key_adds(&kr, cs__yara_external_names[k]);
	cs__key_add(&kr, ctx->data, ctx->len);
	return cs__key_end(&kr, key);
}

/*
 * Walk a "yfile" payload: check it all (ctx NULL), or add its indicators
 * to ctx. Returns 1 with *count set when the payload is whole, 0 when it
 * is not (nothing was added when checking), or CS_ERR_NOMEM.
 */
static int records_walk(const unsigned char *p, size_t len, struct cs_reader_ctx *ctx,
                        uint64_t *count)
{
	struct rec_reader r = {p, p + len, 0};
	uint32_t n = get_u32(&r), i;
	int rc = 1;

	for (i = 0; i < n && !r.bad && rc == 1; i++) {
		struct cs_ind_add a;
		char *value, *ref, *desc, **labels = NULL;
		uint32_t nl, j;
		uint64_t line = get_u32(&r);

		line |= (uint64_t)get_u32(&r) << 32;
		cs__ind_add_init(&a);
		a.kind = CS_KIND_YARA_RULE;
		a.line = line;
		a.confidence = (int)get_u32(&r);
		value = get_str(&r);
		ref = get_str(&r);
		desc = get_str(&r);
		nl = get_u32(&r);
		if (!r.bad && (!value || nl > CS_INTEL_MAX_LABELS ||
		               (a.confidence != CS_CONF_UNKNOWN && (a.confidence < 0 || a.confidence > 100))))
			r.bad = 1;
		if (!r.bad && !(labels = cs__calloc(nl ? nl : 1, sizeof(*labels))))
			r.bad = 1;
		for (j = 0; j < nl && !r.bad; j++)
			if (!(labels[j] = get_str(&r)))
				r.bad = 1;
		if (!r.bad && ctx) {
			a.value = value;
			a.ref = ref;
			a.description = desc;
			a.labels = (const char *const *)labels;
			a.nlabels = nl;
			if (cs__intel_add(ctx, &a) == CS_ERR_NOMEM)
				rc = CS_ERR_NOMEM;
		}
		for (j = 0; labels && j < nl; j++)
			free(labels[j]);
		free(labels);
		free(value);
		free(ref);
		free(desc);
	}
	if (rc == 1 && (r.bad || r.p != r.end))
		rc = ctx ? CS_ERR_NOMEM : 0; /* once checked, adding fails only for memory */
	*count = n;
	return rc;
}

int cs__yara_records_check(const unsigned char *p, size_t len)
{
	uint64_t n;

	return records_walk(p, len, NULL, &n) == 1;
}

/*
 * Add the indicators the cache kept for this text. Returns 1 when done
 * (*count set), 0 when there is no usable entry (nothing was added), or
 * CS_ERR_NOMEM. The entry passed its SHA-256, so a payload that is not
 * whole comes only from a bug; it is checked to the end before anything
 * is added.
 */
static int file_cached(struct cs_reader_ctx *ctx, const unsigned char *key, uint64_t *count)
{
	struct cs_mcache_entry e;
	int rc;

	if (cs__mcache_get(cs__intel_cache_dir(ctx->intel), "yfile", key, &e) != CS_OK)
		return 0;
	rc = records_walk(e.payload, e.payload_len, NULL, count);
	if (rc == 1)
		rc = records_walk(e.payload, e.payload_len, ctx, count);
	cs__mcache_entry_release(&e);
	return rc;
}

/*
 * Compile the file and add its rules. Returns CS_OK when the file
 * compiled (even with no rule in it), CS_ERR_PARSE when it did not (one
 * "yara-compile" reject, errors reported with their lines), or
 * CS_ERR_NOMEM.
 */
static int read_yara(struct cs_reader_ctx *ctx)
{
	struct compile_errs errs;
	struct rule_scan scan = {NULL, 0, 0};
	struct rule_labels labels = {NULL, 0, 0};
	struct cs_buf desc;
	YR_COMPILER *comp = NULL;
	YR_RULES *rules = NULL;
	const YR_RULE *rule;
	const char *nul;
	struct cs_buf recb, *rec = NULL;
	size_t from = 0;
	uint64_t count = 0, longl;
	unsigned char key[32];
	int rc, yrc, keyed;

	if (ctx->len > YARA_MAX_FILE) {
		cs__reject(ctx, "too-long", 0, 0, "rule file of %zu bytes exceeds %zu", ctx->len,
		           (size_t)YARA_MAX_FILE);
		return CS_ERR_TOOBIG;
	}
	longl = long_line(ctx->data, ctx->len);
	if (longl) {
		cs__reject(ctx, "too-long", longl, 0, "line longer than %zu bytes; not compiled",
		           (size_t)YARA_MAX_LINE);
		return CS_ERR_TOOBIG;
	}
	nul = memchr(ctx->data, '\0', ctx->len);
	if (nul) {
		uint64_t line, col;

		cs__offset_to_linecol(ctx, (size_t)(nul - ctx->data), &line, &col);
		cs__diag(ctx, CS_SEV_ERROR, line, col, "%s:%llu: yara: NUL byte in rule text",
		         ctx->path ? ctx->path : "-", (unsigned long long)line);
		cs__reject(ctx, "yara-compile", line, col, "rule file does not compile");
		return CS_ERR_PARSE;
	}
	if (cs__dl_load(&cs__dl_yara) != CS_OK) {
		cs__diag(ctx, CS_SEV_ERROR, 0, 0, "%s: YARA rules not read: %s",
		         ctx->path ? ctx->path : "-", cs__dl_why(&cs__dl_yara));
		cs__reject(ctx, "yara-unavailable", 0, 0, "rule file not read");
		return CS_ERR_UNSUPPORTED;
	}
	yrc = yr_initialize();
	if (yrc != ERROR_SUCCESS) {
		cs__diag(ctx, CS_SEV_ERROR, 0, 0, "libyara failed to initialise (error %d)", yrc);
		return map_yr_err(yrc);
	}
	cs__buf_init(&desc, YARA_DESC_MAX * 2);
	cs__buf_init(&recb, (size_t)64 << 20);
	memset(&errs, 0, sizeof(errs));
	errs.ctx = ctx;
	keyed = file_key(ctx, key);
	if (keyed) {
		rc = file_cached(ctx, key, &count);
		if (rc < 0)
			goto out;
		if (rc == 1) {
			rc = CS_OK;
			goto added;
		}
	}
	yrc = yr_compiler_create(&comp);
	if (yrc != ERROR_SUCCESS) {
		rc = map_yr_err(yrc);
		goto out;
	}
	yr_compiler_set_callback(comp, compiler_cb, &errs);
	/* No include callback: libyara then refuses every include. */
	yr_compiler_set_include_callback(comp, NULL, NULL, NULL);
	yrc = cs__yara_externals(comp);
	if (yrc != ERROR_SUCCESS) {
		rc = map_yr_err(yrc);
		goto out;
	}
	if (yr_compiler_add_string(comp, ctx->data, NULL) != 0 || errs.errors) {
		if (errs.errors > YARA_MAX_ERRORS)
			cs__diag(ctx, CS_SEV_ERROR, 0, 0, "%d more yara errors not shown",
			         errs.errors - YARA_MAX_ERRORS);
		cs__reject(ctx, "yara-compile", errs.first_line > 0 ? (uint64_t)errs.first_line : 0,
		           0, "rule file does not compile: %s", errs.first_msg);
		rc = CS_ERR_PARSE;
		goto out;
	}
	yrc = yr_compiler_get_rules(comp, &rules);
	if (yrc != ERROR_SUCCESS) {
		cs__reject(ctx, "yara-compile", 0, 0, "rules could not be built (error %d)", yrc);
		rc = map_yr_err(yrc);
		goto out;
	}
	rc = scan_rules(ctx->data, ctx->len, &scan);
	if (rc)
		goto out;
	rec = keyed && rec_u32(&recb, 0) == CS_OK ? &recb : NULL; /* the count, set below */
	yr_rules_foreach(rules, rule)
	{
		rc = add_rule(ctx, rule, rule_line(&scan, &from, rule->identifier), &desc, &labels,
		              &rec);
		if (rc)
			break;
		count++;
	}
	if (!rc && rec && count <= UINT32_MAX) {
		recb.data[0] = (char)count;
		recb.data[1] = (char)(count >> 8);
		recb.data[2] = (char)(count >> 16);
		recb.data[3] = (char)(count >> 24);
		cs__mcache_put(cs__intel_cache_dir(ctx->intel), "yfile", key, NULL, 0, recb.data,
		               recb.len);
	}
added:
	if (!rc)
		rc = cs__intel_add_yara_source(ctx->intel, ctx->path ? ctx->path : "-", ctx->data,
		                               ctx->len);
	if (!rc)
		ctx->yara_rules += count;
	if (!rc && count == 0) {
		cs__diag(ctx, CS_SEV_INFO, 0, 0, "rule file compiles but holds no rule");
		ctx->empty_ok = 1;
	}
out:
	if (rules)
		yr_rules_destroy(rules);
	if (comp)
		yr_compiler_destroy(comp);
	yr_finalize();
	labels_clear(&labels);
	free(labels.v);
	free(scan.v);
	cs__buf_release(&desc);
	cs__buf_release(&recb);
	return rc;
}

/* Does the text declare a rule: "rule NAME" followed by '{' or ':' at
 * the start of a line (after "private"/"global")? */
static int has_rule_decl(const char *data, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - data) : len, j = i;

		while (j < e && cs__isspace((unsigned char)data[j]))
			j++;
		for (;;) {
			if (e - j > 8 && memcmp(data + j, "private", 7) == 0 &&
			    cs__isspace((unsigned char)data[j + 7]))
				j += 8;
			else if (e - j > 7 && memcmp(data + j, "global", 6) == 0 &&
			         cs__isspace((unsigned char)data[j + 6]))
				j += 7;
			else
				break;
			while (j < e && cs__isspace((unsigned char)data[j]))
				j++;
		}
		if (e - j > 5 && memcmp(data + j, "rule", 4) == 0 &&
		    cs__isspace((unsigned char)data[j + 4])) {
			j += 5;
			while (j < e && cs__isspace((unsigned char)data[j]))
				j++;
			if (j < e && ident_start((unsigned char)data[j])) {
				while (j < e && ident_char((unsigned char)data[j]))
					j++;
				while (j < e && cs__isspace((unsigned char)data[j]))
					j++;
				if (j == e || data[j] == '{' || data[j] == ':')
					return 1;
			}
		}
		i = e + 1;
	}
	return 0;
}

/*
 * Bid: a rule declaration is near certain; the ".yar"/".yara" name adds
 * to it and alone makes a weak bid (a file of imports only, or one cut
 * by the sniff window before its first rule).
 */
static int bid_yara(const char *data, size_t len, const char *path)
{
	int ext = cs__name_ends(path, ".yar") || cs__name_ends(path, ".yara"), decl;

	if (memchr(data, '\0', len))
		return ext ? 20 : 0;
	decl = has_rule_decl(data, len);
	if (decl)
		return ext ? 95 : 80;
	return ext ? 40 : 0;
}

const struct cs_reader cs__reader_yara = {"yara", bid_yara, read_yara};

/*
 * YARA rule text found inside another intel file (a STIX indicator with
 * pattern_type "yara", a MISP attribute of type "yara") is read as a rule
 * file of its own named `name` (e.g. "bundle.json#indicator--…"): its
 * diagnostics and the sources of its rules name that, with lines counted
 * in the rule text. The rules carry `labels` as well as their own.
 */
int cs__yara_embedded(struct cs_reader_ctx *ctx, const char *name, const char *text,
                      size_t len, const char *const *labels, size_t nlabels)
{
	struct cs_reader_ctx sub;
	char *copy = cs__strndup(text, len);
	int rc;

	if (!copy)
		return CS_ERR_NOMEM;
	memset(&sub, 0, sizeof(sub));
	sub.intel = ctx->intel;
	sub.reader = &cs__reader_yara;
	sub.path = name;
	sub.data = copy;
	sub.len = len;
	sub.file_labels = labels;
	sub.nfile_labels = nlabels;
	rc = read_yara(&sub);
	ctx->accepted += sub.accepted;
	ctx->rejected += sub.rejected;
	ctx->yara_rules += sub.yara_rules;
	free(copy);
	return rc;
}

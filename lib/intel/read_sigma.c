/*
 * Sigma rules (docs/sigma.md): YAML files of one or more documents, each
 * a rule, or a collection where an `action: global` document is merged
 * into the rules after it (`reset` forgets it, `repeat` takes the
 * previous rule again with changes).
 *
 * The reader keeps the file's text in the set (the case database stores
 * it; the compiler in lib/match/sigma.c parses it again) and adds one
 * CS_KIND_SIGMA_RULE indicator per rule, with the rule's tags as labels
 * and its position as the source. A rule that cannot be evaluated is
 * kept all the same, marked partly supported, and reported with the
 * reason at its file:line:column.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "intel/intel_int.h"
#include "intel/sigma_int.h"

/* ------------------------------------------------------------ YAML tree */

struct pst {
	yaml_parser_t p;
	const char *text; /* the input, for positions */
	size_t len;
	uint64_t maxline; /* lines of the input (libyaml also counts Unicode breaks) */
	struct cs_arena *a;
	size_t nodes;
	int err;            /* CS_ERR_* when the tree could not be built */
	const char *reason; /* "yaml-syntax", "yaml-alias", "too-big" */
	char msg[200];
	uint64_t eline, ecol;
};

const struct cs__sy *cs__sy_get(const struct cs__sy *m, const char *key)
{
	size_t i;

	if (!m || m->type != CS__SY_MAP)
		return NULL;
	for (i = 0; i < m->n; i++) {
		const struct cs__sy *k = m->v[2 * i];

		if (k->type == CS__SY_SCALAR && strcmp(k->s, key) == 0)
			return m->v[2 * i + 1];
	}
	return NULL;
}

/* Line and column (1-based) of a mark. */
static void mark_pos(struct pst *ps, const yaml_mark_t *mk)
{
	ps->eline = mk->line + 1 < ps->maxline ? mk->line + 1 : ps->maxline;
	ps->ecol = mk->column + 1 < ps->len + 1 ? mk->column + 1 : ps->len + 1;
}

static struct cs__sy *node_new(struct pst *ps, enum cs__sy_type t, const yaml_mark_t *mk)
{
	struct cs__sy *n;

	if (++ps->nodes > CS_SIGMA_MAX_NODES) {
		ps->err = CS_ERR_TOOBIG;
		ps->reason = "too-big";
		snprintf(ps->msg, sizeof(ps->msg), "more than %d YAML nodes in one file",
		         CS_SIGMA_MAX_NODES);
		mark_pos(ps, mk);
		return NULL;
	}
	n = cs__arena_alloc(ps->a, sizeof(*n));
	if (!n) {
		ps->err = CS_ERR_NOMEM;
		return NULL;
	}
	memset(n, 0, sizeof(*n));
	n->type = t;
	n->s = "";
	n->line = (uint32_t)(mk->line + 1 < ps->maxline ? mk->line + 1 : ps->maxline);
	n->col = (uint32_t)(mk->column + 1 < ps->len + 1 ? mk->column + 1 : ps->len + 1);
	return n;
}

static void yaml_fail(struct pst *ps)
{
	if (ps->err)
		return;
	ps->err = CS_ERR_PARSE;
	ps->reason = "yaml-syntax";
	if (ps->p.error == YAML_MEMORY_ERROR) {
		ps->err = CS_ERR_NOMEM;
		return;
	}
	snprintf(ps->msg, sizeof(ps->msg), "YAML: %s%s%s", ps->p.problem ? ps->p.problem : "error",
	         ps->p.context ? " " : "", ps->p.context ? ps->p.context : "");
	mark_pos(ps, &ps->p.problem_mark);
}

static int is_null_plain(const char *s, size_t n)
{
	return n == 0 || (n == 1 && s[0] == '~') ||
	       (n == 4 &&
	        (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4)));
}

static struct cs__sy *build(struct pst *ps, yaml_event_t *ev, int depth);

/* The children of a sequence or map whose start event was just read, up
 * to its end event. */
static int build_children(struct pst *ps, struct cs__sy *n, yaml_event_type_t end, int depth)
{
	struct cs__sy **tmp = NULL;
	size_t cnt = 0, cap = 0;
	yaml_event_t ev;
	int rc = CS_OK;

	for (;;) {
		struct cs__sy *c;

		if (!yaml_parser_parse(&ps->p, &ev)) {
			yaml_fail(ps);
			rc = ps->err;
			break;
		}
		if (ev.type == end) {
			yaml_event_delete(&ev);
			break;
		}
		c = build(ps, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!c) {
			rc = ps->err;
			break;
		}
		if (cs__grow((void **)&tmp, &cap, cnt + 1, sizeof(*tmp))) {
			rc = ps->err = CS_ERR_NOMEM;
			break;
		}
		tmp[cnt++] = c;
	}
	if (!rc) {
		if (n->type == CS__SY_MAP) {
			size_t i;

			/* Keys are scalars; a complex key is kept as its first
			 * position with an empty name, never matched. */
			for (i = 0; i + 1 < cnt; i += 2)
				if (tmp[i]->type != CS__SY_SCALAR)
					tmp[i]->type = CS__SY_SCALAR;
		}
		n->n = n->type == CS__SY_MAP ? cnt / 2 : cnt;
		if (cnt) {
			n->v = cs__arena_alloc(ps->a, cnt * sizeof(*n->v));
			if (!n->v)
				rc = ps->err = CS_ERR_NOMEM;
			else
				memcpy(n->v, tmp, cnt * sizeof(*n->v));
		}
	}
	free(tmp);
	return rc;
}

/* One node from its first event (which the caller deletes). NULL with
 * ps->err set on failure. */
static struct cs__sy *build(struct pst *ps, yaml_event_t *ev, int depth)
{
	struct cs__sy *n;

	if (depth > CS_SIGMA_MAX_DEPTH) {
		ps->err = CS_ERR_TOOBIG;
		ps->reason = "too-deep";
		snprintf(ps->msg, sizeof(ps->msg), "YAML nested deeper than %d levels",
		         CS_SIGMA_MAX_DEPTH);
		mark_pos(ps, &ev->start_mark);
		return NULL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT: {
		const char *s = (const char *)ev->data.scalar.value;
		size_t len = ev->data.scalar.length;
		int quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;

		n = node_new(ps, (!quoted && is_null_plain(s, len)) ? CS__SY_NULL : CS__SY_SCALAR,
		             &ev->start_mark);
		if (!n)
			return NULL;
		n->quoted = quoted;
		if (n->type == CS__SY_SCALAR) {
			n->s = cs__arena_strndup(ps->a, s, len);
			n->len = len;
			if (!n->s) {
				ps->err = CS_ERR_NOMEM;
				return NULL;
			}
		}
		return n;
	}
	case YAML_SEQUENCE_START_EVENT:
		n = node_new(ps, CS__SY_SEQ, &ev->start_mark);
		if (!n || build_children(ps, n, YAML_SEQUENCE_END_EVENT, depth))
			return NULL;
		return n;
	case YAML_MAPPING_START_EVENT:
		n = node_new(ps, CS__SY_MAP, &ev->start_mark);
		if (!n || build_children(ps, n, YAML_MAPPING_END_EVENT, depth))
			return NULL;
		return n;
	case YAML_ALIAS_EVENT:
		/* Aliases would let a small file expand without bound; Sigma
		 * rules do not use them. */
		ps->err = CS_ERR_PARSE;
		ps->reason = "yaml-alias";
		snprintf(ps->msg, sizeof(ps->msg), "YAML aliases are not supported in Sigma rules");
		mark_pos(ps, &ev->start_mark);
		return NULL;
	default:
		ps->err = CS_ERR_PARSE;
		ps->reason = "yaml-syntax";
		snprintf(ps->msg, sizeof(ps->msg), "unexpected YAML event");
		mark_pos(ps, &ev->start_mark);
		return NULL;
	}
}

/* ------------------------------------------------------ collections */

/* A map with `b`'s entries over `a`'s, maps merged recursively (Sigma's
 * rule collections); anything else is `b`. */
static struct cs__sy *merge(struct cs_arena *ar, const struct cs__sy *a, const struct cs__sy *b)
{
	struct cs__sy *m;
	size_t i, j, k = 0;

	if (!a || a->type != CS__SY_MAP || !b || b->type != CS__SY_MAP)
		return (struct cs__sy *)b;
	m = cs__arena_alloc(ar, sizeof(*m));
	if (!m)
		return NULL;
	*m = *b;
	m->v = cs__arena_alloc(ar, 2 * (a->n + b->n) * sizeof(*m->v) + 1);
	if (!m->v)
		return NULL;
	for (i = 0; i < a->n; i++) {
		const struct cs__sy *key = a->v[2 * i];
		const struct cs__sy *bv = cs__sy_get(b, key->s);

		m->v[2 * k] = a->v[2 * i];
		if (bv) {
			m->v[2 * k + 1] = merge(ar, a->v[2 * i + 1], bv);
			if (!m->v[2 * k + 1])
				return NULL;
		} else {
			m->v[2 * k + 1] = a->v[2 * i + 1];
		}
		k++;
	}
	for (j = 0; j < b->n; j++) {
		if (cs__sy_get(a, b->v[2 * j]->s))
			continue;
		m->v[2 * k] = b->v[2 * j];
		m->v[2 * k + 1] = b->v[2 * j + 1];
		k++;
	}
	m->n = k;
	return m;
}

/* `m` without its `action` key. */
static struct cs__sy *without_action(struct cs_arena *ar, const struct cs__sy *m)
{
	struct cs__sy *c = cs__arena_alloc(ar, sizeof(*c));
	size_t i, k = 0;

	if (!c)
		return NULL;
	*c = *m;
	c->v = cs__arena_alloc(ar, 2 * m->n * sizeof(*c->v) + 1);
	if (!c->v)
		return NULL;
	for (i = 0; i < m->n; i++) {
		if (strcmp(m->v[2 * i]->s, "action") == 0)
			continue;
		c->v[2 * k] = m->v[2 * i];
		c->v[2 * k + 1] = m->v[2 * i + 1];
		k++;
	}
	c->n = k;
	return c;
}

/* ------------------------------------------------------ rule documents */

int cs__sigma_fail(struct cs__sigma_rule *r, const char *reason, const struct cs__sy *at,
                   const char *fmt, ...)
{
	va_list ap;

	if (r->reason)
		return CS_ERR_UNSUPPORTED;
	r->reason = reason;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
	r->rline = at ? at->line : r->line;
	r->rcol = at ? at->col : r->col;
	return CS_ERR_UNSUPPORTED;
}

static const char *scalar(const struct cs__sy *m, const char *key)
{
	const struct cs__sy *v = cs__sy_get(m, key);

	return v && v->type == CS__SY_SCALAR ? v->s : NULL;
}

/* A list of scalars (a lone scalar counts as a list of one). */
static int strlist(struct cs_arena *ar, const struct cs__sy *v, const char ***out, size_t *n)
{
	size_t i, k = 0;

	*out = NULL;
	*n = 0;
	if (!v)
		return CS_OK;
	if (v->type == CS__SY_SCALAR) {
		*out = cs__arena_alloc(ar, sizeof(**out));
		if (!*out)
			return CS_ERR_NOMEM;
		(*out)[0] = v->s;
		*n = 1;
		return CS_OK;
	}
	if (v->type != CS__SY_SEQ || !v->n)
		return CS_OK;
	*out = cs__arena_alloc(ar, v->n * sizeof(**out));
	if (!*out)
		return CS_ERR_NOMEM;
	for (i = 0; i < v->n; i++)
		if (v->v[i]->type == CS__SY_SCALAR)
			(*out)[k++] = v->v[i]->s;
	*n = k;
	return CS_OK;
}

/* Fill the rule from its (merged) document and mark what makes it
 * unusable before any compiling: no detection, a correlation or filter
 * document, no condition. */
static int rule_from(struct cs_arena *ar, struct cs__sigma_rule *r, const struct cs__sy *d)
{
	const struct cs__sy *ls, *det;
	int rc;

	r->line = d->line;
	r->col = d->col;
	r->id = scalar(d, "id");
	r->title = scalar(d, "title");
	r->status = scalar(d, "status");
	r->description = scalar(d, "description");
	r->author = scalar(d, "author");
	r->date = scalar(d, "date");
	r->modified = scalar(d, "modified");
	r->level = scalar(d, "level");
	rc = strlist(ar, cs__sy_get(d, "tags"), &r->tags, &r->ntags);
	if (!rc)
		rc = strlist(ar, cs__sy_get(d, "references"), &r->refs, &r->nrefs);
	if (rc)
		return rc;
	ls = cs__sy_get(d, "logsource");
	det = cs__sy_get(d, "detection");
	r->logsource = ls && ls->type == CS__SY_MAP ? ls : NULL;
	r->detection = det && det->type == CS__SY_MAP ? det : NULL;
	r->product = scalar(r->logsource, "product");
	r->category = scalar(r->logsource, "category");
	r->service = scalar(r->logsource, "service");
	if (cs__sy_get(d, "correlation"))
		cs__sigma_fail(r, "correlation", cs__sy_get(d, "correlation"),
		               "a correlation rule (over other rules' matches) is not evaluated");
	else if (cs__sy_get(d, "filter") && !det)
		cs__sigma_fail(r, "filter-rule", cs__sy_get(d, "filter"),
		               "a Sigma filter (applied to other rules) is not evaluated");
	else if (!det)
		cs__sigma_fail(r, "no-detection", d, "the rule has no detection");
	else if (!r->detection)
		cs__sigma_fail(r, "bad-detection", det, "detection is not a map");
	else if (!cs__sy_get(det, "condition"))
		cs__sigma_fail(r, "no-condition", det, "detection has no condition");
	else if (!ls)
		cs__sigma_fail(r, "no-logsource", d, "the rule has no logsource");
	return CS_OK;
}

struct doc_state {
	uint64_t maxline, maxcol; /* positions are kept inside the input */
	struct cs_arena *ar;
	const struct cs__sy *global;
	const struct cs__sy *prev;
	const char *file;
	size_t ndoc;
	cs__sigma_rule_fn fn;
	void *ud;
};

/* Hand a rule over with its positions inside the input (libyaml counts
 * Unicode line breaks as lines too). */
static int emit(struct doc_state *s, struct cs__sigma_rule *r)
{
	if (r->line > s->maxline)
		r->line = s->maxline;
	if (r->rline > s->maxline)
		r->rline = s->maxline;
	if (r->col > s->maxcol)
		r->col = s->maxcol;
	if (r->rcol > s->maxcol)
		r->rcol = s->maxcol;
	return s->fn(s->ud, r);
}

static int on_doc(struct doc_state *s, const struct cs__sy *d)
{
	struct cs__sigma_rule r;
	const char *action;
	const struct cs__sy *body;
	int rc;

	s->ndoc++;
	if (d->type == CS__SY_NULL)
		return CS_OK;
	memset(&r, 0, sizeof(r));
	r.file = s->file;
	r.doc = s->ndoc - 1;
	r.line = d->line;
	r.col = d->col;
	if (d->type != CS__SY_MAP) {
		cs__sigma_fail(&r, "not-a-rule", d, "the document is not a map");
		return emit(s, &r);
	}
	action = scalar(d, "action");
	if (action && strcmp(action, "global") == 0) {
		s->global = without_action(s->ar, d);
		return s->global ? CS_OK : CS_ERR_NOMEM;
	}
	if (action && strcmp(action, "reset") == 0) {
		s->global = NULL;
		return CS_OK;
	}
	body = action ? without_action(s->ar, d) : d;
	if (!body)
		return CS_ERR_NOMEM;
	if (action && strcmp(action, "repeat") == 0) {
		if (!s->prev) {
			cs__sigma_fail(&r, "bad-collection", d,
			               "action: repeat without a rule before it");
			return emit(s, &r);
		}
		body = merge(s->ar, s->prev, body);
	} else if (action) {
		cs__sigma_fail(&r, "bad-collection", cs__sy_get(d, "action"),
		               "unknown collection action '%.40s'", action);
		return emit(s, &r);
	} else if (s->global) {
		body = merge(s->ar, s->global, body);
	}
	if (!body)
		return CS_ERR_NOMEM;
	s->prev = body;
	rc = rule_from(s->ar, &r, body);
	if (rc)
		return rc;
	r.line = d->line;
	r.col = d->col;
	if (r.reason && !r.rline) {
		r.rline = r.line;
		r.rcol = r.col;
	}
	return emit(s, &r);
}

int cs__sigma_parse(const char *file, const char *text, size_t len, struct cs_arena *arena,
                    cs__sigma_rule_fn fn, void *ud)
{
	struct doc_state ds;
	struct pst ps;
	yaml_event_t ev;
	char *copy;
	size_t i;
	int rc = CS_OK, done = 0;

	memset(&ps, 0, sizeof(ps));
	memset(&ds, 0, sizeof(ds));
	ds.ar = arena;
	ds.file = file;
	ds.fn = fn;
	ds.ud = ud;
	ps.a = arena;
	if (len > CS_SIGMA_MAX_FILE)
		return CS_ERR_TOOBIG;
	/* A lone CR is a line break to YAML and to no line count of ours:
	 * parse a copy where it is LF (the same YAML). */
	copy = cs__malloc(len + 1);
	if (!copy)
		return CS_ERR_NOMEM;
	ds.maxline = 1;
	for (i = 0; i < len; i++) {
		copy[i] = text[i] == '\r' && (i + 1 >= len || text[i + 1] != '\n') ? '\n' : text[i];
		ds.maxline += text[i] == '\n';
	}
	copy[len] = '\0';
	ds.maxcol = len + 1;
	ps.text = copy;
	ps.len = len;
	ps.maxline = ds.maxline;
	if (!yaml_parser_initialize(&ps.p)) {
		free(copy);
		return CS_ERR_NOMEM;
	}
	yaml_parser_set_input_string(&ps.p, (const unsigned char *)copy, len);
	while (!done && !rc) {
		struct cs__sy *d;

		if (!yaml_parser_parse(&ps.p, &ev)) {
			yaml_fail(&ps);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			break;
		default:
			if (ds.ndoc >= CS_SIGMA_MAX_DOCS) {
				ps.err = CS_ERR_TOOBIG;
				ps.reason = "too-big";
				snprintf(ps.msg, sizeof(ps.msg),
				         "more than %d documents in one file", CS_SIGMA_MAX_DOCS);
				mark_pos(&ps, &ev.start_mark);
				break;
			}
			d = build(&ps, &ev, 0);
			if (d)
				rc = on_doc(&ds, d);
			break;
		}
		yaml_event_delete(&ev);
		if (ps.err)
			break;
	}
	yaml_parser_delete(&ps.p);
	free(copy);
	if (!rc && ps.err == CS_ERR_NOMEM)
		rc = CS_ERR_NOMEM;
	if (!rc && ps.err) {
		/* The document that failed becomes one rule that is not usable,
		 * at the position of the fault. */
		struct cs__sigma_rule r;

		memset(&r, 0, sizeof(r));
		r.file = file;
		r.doc = ds.ndoc;
		r.reason = ps.reason ? ps.reason : "yaml-syntax";
		snprintf(r.message, sizeof(r.message), "%s", ps.msg);
		r.line = r.rline = ps.eline;
		r.col = r.rcol = ps.ecol;
		rc = emit(&ds, &r);
	}
	return rc;
}

/* Does a line (after indentation) start with `key:`? Only top-level
 * keys count: no indentation. */
static int has_top_key(const char *d, size_t len, const char *key)
{
	size_t kl = strlen(key), i = 0;

	while (i < len) {
		if (len - i > kl && memcmp(d + i, key, kl) == 0 && d[i + kl] == ':')
			return 1;
		while (i < len && d[i] != '\n')
			i++;
		i++;
	}
	return 0;
}

int cs__sigma_sniff(const char *data, size_t len)
{
	return has_top_key(data, len, "detection") &&
	       (has_top_key(data, len, "logsource") || has_top_key(data, len, "action"));
}

/* ------------------------------------------------------------- reader */

static int bid_sigma(const char *data, size_t len, const char *path)
{
	int yml = path && (cs__name_ends(path, ".yml") || cs__name_ends(path, ".yaml"));

	if (!cs__sigma_sniff(data, len))
		return 0;
	return yml ? 95 : 60;
}

/* A Sigma tag as a label: ATT&CK techniques, groups and software by id,
 * tactics by name, CVEs; anything else kept as a Sigma tag. */
static int tag_label(struct cs_buf *b, const char *tag)
{
	size_t n = strlen(tag);

	cs__buf_reset(b);
	if (n > 8 && cs__strncasecmp(tag, "attack.", 7) == 0) {
		const char *t = tag + 7;
		int digits = cs__isdigit((unsigned char)t[1]);
		char c = (char)cs__lower((unsigned char)t[0]);
		size_t i;
		int rc = CS_OK;

		if (digits && (c == 't' || c == 'g' || c == 's')) {
			rc = cs__buf_adds(b, c == 't'   ? "attack-pattern:"
			                     : c == 'g' ? "intrusion-set:"
			                                : "software:");
			for (i = 0; !rc && t[i]; i++)
				rc = cs__buf_addc(b, i == 0 ? (char)(c - 32) : t[i]);
			return rc;
		}
		rc = cs__buf_adds(b, "tactic:");
		return rc ? rc : cs__buf_adds(b, t);
	}
	/* chainsweep's own namespace: the activity a rule was written for,
	 * as the labels other intel uses ("chainsweep.campaign.3CX-2023"). */
	if (n > 11 && cs__strncasecmp(tag, "chainsweep.", 11) == 0 && strchr(tag + 11, '.')) {
		const char *dot = strchr(tag + 11, '.');
		int rc = cs__buf_add(b, tag + 11, (size_t)(dot - tag - 11));

		if (!rc)
			rc = cs__buf_addc(b, ':');
		return rc ? rc : cs__buf_adds(b, dot + 1);
	}
	if (n > 4 && cs__strncasecmp(tag, "cve.", 4) == 0) {
		size_t i;
		int rc = cs__buf_adds(b, "vulnerability:CVE-");

		for (i = 4; !rc && tag[i]; i++)
			rc = cs__buf_addc(b, tag[i] == '.' ? '-' : tag[i]);
		return rc;
	}
	if (cs__buf_adds(b, "sigma-tag:"))
		return CS_ERR_NOMEM;
	return cs__buf_adds(b, tag);
}

struct rd {
	struct cs_reader_ctx *ctx;
	uint64_t rules;
	int nomem;
};

static int on_rule(void *ud, struct cs__sigma_rule *r)
{
	struct rd *rd = ud;
	struct cs_reader_ctx *ctx = rd->ctx;
	struct cs_ind_add a;
	struct cs_buf lab, desc;
	char **labels = NULL;
	size_t nl = 0, i;
	int rc = CS_OK;

	rd->rules++;
	if (!r->reason && cs__sigma_check(r) == CS_ERR_NOMEM)
		return CS_ERR_NOMEM;
	if (r->reason && (r->id || r->title))
		cs__diag_reason(ctx, CS_SEV_WARN, r->reason, r->rline, r->rcol,
		                "Sigma rule %s%s'%.80s' kept but not usable (%s): %s",
		                r->id ? r->id : "", r->id ? " " : "", r->title ? r->title : "",
		                r->reason, r->message);
	else if (r->reason)
		cs__diag_reason(ctx, CS_SEV_WARN, r->reason, r->rline, r->rcol,
		                "Sigma document %zu kept but not usable (%s): %s", r->doc + 1,
		                r->reason, r->message);
	if (!r->id && !r->title)
		return CS_OK; /* nothing to name it by: counted by the compiler */
	cs__buf_init(&lab, 4096);
	cs__buf_init(&desc, 8192);
	labels = cs__calloc(r->ntags + 3, sizeof(*labels));
	if (!labels) {
		rc = CS_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < r->ntags && !rc; i++) {
		rc = tag_label(&lab, r->tags[i]);
		if (!rc && !(labels[nl++] = cs__strdup(cs__buf_cstr(&lab))))
			rc = CS_ERR_NOMEM;
	}
	if (!rc && r->level) {
		cs__buf_reset(&lab);
		rc = cs__buf_printf(&lab, "sigma-level:%s", r->level);
		if (!rc && !(labels[nl++] = cs__strdup(cs__buf_cstr(&lab))))
			rc = CS_ERR_NOMEM;
	}
	if (!rc && r->title)
		rc = cs__buf_adds(&desc, r->title);
	if (!rc && r->author)
		rc = cs__buf_printf(&desc, "%sauthor: %s", desc.len ? "; " : "", r->author);
	if (rc)
		goto out;
	cs__ind_add_init(&a);
	a.kind = CS_KIND_SIGMA_RULE;
	a.value = r->id ? r->id : r->title;
	a.labels = (const char *const *)labels;
	a.nlabels = nl;
	a.detect = r->status && (strcmp(r->status, "stable") == 0 || strcmp(r->status, "test") == 0)
	                   ? 1
	                   : -1;
	a.flags = r->reason ? CS_IND_PARTIAL : 0;
	a.ref = r->id;
	a.line = r->line;
	a.column = r->col;
	a.description = desc.len ? cs__buf_cstr(&desc) : NULL;
	rc = cs__intel_add(ctx, &a);
	if (rc == CS_ERR_PARSE)
		rc = CS_OK; /* rejected and reported by cs__intel_add */
out:
	for (i = 0; i < nl; i++)
		free(labels[i]);
	free(labels);
	cs__buf_release(&lab);
	cs__buf_release(&desc);
	return rc;
}

static int read_sigma(struct cs_reader_ctx *ctx)
{
	struct cs_arena ar;
	struct rd rd;
	int rc;

	if (ctx->len > CS_SIGMA_MAX_FILE) {
		cs__reject(ctx, "too-big", 0, 0, "Sigma file larger than %zu bytes",
		           (size_t)CS_SIGMA_MAX_FILE);
		return CS_ERR_TOOBIG;
	}
	memset(&rd, 0, sizeof(rd));
	rd.ctx = ctx;
	cs__arena_init(&ar);
	rc = cs__sigma_parse(ctx->path ? ctx->path : "-", ctx->data, ctx->len, &ar, on_rule, &rd);
	cs__arena_release(&ar);
	if (rc)
		return rc;
	if (!rd.rules) {
		ctx->empty_ok = 1;
		return CS_OK;
	}
	/* The rules are compiled again from the file's text (every sweep), so
	 * the text is what the set keeps, usable rules or not. */
	rc = cs__intel_add_sigma_source(ctx->intel, ctx->path ? ctx->path : "-", ctx->data,
	                                ctx->len);
	if (!rc)
		ctx->sigma_rules += rd.rules;
	return rc;
}

const struct cs_reader cs__reader_sigma = {
        .name = "sigma",
        .bid = bid_sigma,
        .read = read_sigma,
};

const char *cs__sigma_build_tag(void)
{
	return "read_sigma.c " __DATE__ " " __TIME__;
}

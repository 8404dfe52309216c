/*
 * A soundness oracle for the YARA gate reader (lib/match/yara_gate.c),
 * shared by tests/unit/test_yara_gate.c and fuzz/fuzz_yara_gate.c.
 *
 * libyara compiles a rule text and scans probe buffers; every rule whose
 * condition is true for a probe must pass the gates the reader found for
 * it: some header alternative holds (cs__ygate_holds) and the probe is
 * smaller than max_size. A rule that fails its gates yet matches is one
 * chainsweep would leave out of a file that `yara` reports.
 *
 * Header-only (static functions): no cmocka, so the fuzzer can use it.
 * The caller has called yr_initialize().
 */
#ifndef CS_YGATE_ORACLE_H
#define CS_YGATE_ORACLE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yara.h>

#include "match/match_int.h"

struct ygo {
	YR_RULES *rules;
	YR_SCANNER *sc;
	const struct cs_ygate *g;
	unsigned char *hit; /* per rule index: true in the last scan */
	size_t nrules;
	unsigned long scans;
	char msg[512]; /* why the last check failed */
};

static inline void ygo_close(struct ygo *o);

/* Blank the "private" and "global" of every rule the reader read (same
 * length, so nothing moves): libyara's callback reports neither private
 * rules nor the rules of a namespace whose global rule failed, and the
 * oracle wants to see every condition that is true. */
static inline void ygo_unmodify(const struct cs_ygate *g, const char *text, char *copy)
{
	size_t i, k;

	for (i = 0; i < g->nrules; i++) {
		const struct cs_yrule *r = &g->rules[i];
		size_t end = (size_t)(r->name - text);

		if (!r->priv && !r->global)
			continue;
		for (k = r->start; k + 6 <= end; k++) {
			if (k + 7 <= end && memcmp(copy + k, "private", 7) == 0)
				memset(copy + k, ' ', 7);
			else if (memcmp(copy + k, "global", 6) == 0)
				memset(copy + k, ' ', 6);
		}
	}
}

/* Compile `text` as the matcher does (externals defined, the text up to
 * its first NUL), every rule made public and not global when the reader
 * read the text completely. Returns 0 with o->rules set, -1 when it
 * does not compile, or -2 (o->msg set) when it compiles only as is. */
static inline int ygo_open(struct ygo *o, const struct cs_ygate *g, const char *text, size_t len)
{
	YR_COMPILER *c = NULL;
	char *copy;
	int errs, pass;

	memset(o, 0, sizeof(*o));
	o->g = g;
	copy = malloc(len + 1);
	if (!copy)
		return -1;
	memcpy(copy, text, len);
	copy[len] = '\0';
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			/* The text compiles as is: it must still compile with the
			 * modifiers the reader found blanked. */
			if (!g->complete)
				break;
			yr_rules_destroy(o->rules);
			o->rules = NULL;
			ygo_unmodify(g, text, copy);
		}
		if (yr_compiler_create(&c) != ERROR_SUCCESS) {
			free(copy);
			return -1;
		}
		cs__yara_externals(c);
		errs = yr_compiler_add_string(c, copy, NULL);
		if (errs || yr_compiler_get_rules(c, &o->rules) != ERROR_SUCCESS) {
			yr_compiler_destroy(c);
			o->rules = NULL;
			free(copy);
			if (pass == 1)
				snprintf(o->msg, sizeof(o->msg),
				         "the text compiles, not with the modifiers the reader "
				         "found blanked");
			return pass == 0 ? -1 : -2;
		}
		yr_compiler_destroy(c);
	}
	free(copy);
	if (yr_scanner_create(o->rules, &o->sc) != ERROR_SUCCESS) {
		yr_rules_destroy(o->rules);
		o->rules = NULL;
		return -1;
	}
	yr_scanner_set_timeout(o->sc, 10);
	{
		const YR_RULE *rule;

		yr_rules_foreach(o->rules, rule) o->nrules++;
	}
	o->hit = calloc(o->nrules + 1, 1);
	if (!o->hit) {
		ygo_close(o);
		return -1;
	}
	return 0;
}

static inline void ygo_close(struct ygo *o)
{
	free(o->hit);
	o->hit = NULL;
	if (o->sc)
		yr_scanner_destroy(o->sc);
	if (o->rules)
		yr_rules_destroy(o->rules);
	o->sc = NULL;
	o->rules = NULL;
}

static inline int ygo_cb(YR_SCAN_CONTEXT *ctx, int msg, void *data, void *ud)
{
	struct ygo *o = ud;

	(void)ctx;
	if (msg == CALLBACK_MSG_RULE_MATCHING) {
		size_t idx = (size_t)((const YR_RULE *)data - o->rules->rules_table);

		if (idx < o->nrules)
			o->hit[idx] = 1;
	}
	return CALLBACK_CONTINUE;
}

/* Does the reader's rule `r` let a file of bytes p[0..len) through? */
static inline int ygo_passes(const struct cs_ygate *g, const struct cs_yrule *r,
                             const unsigned char *p, size_t len)
{
	size_t k;
	int ok = r->ntests == 0;

	for (k = 0; k < r->ntests && !ok; k++)
		ok = cs__ygate_holds(&g->tests[r->first_test + k], p, len);
	return ok && (uint64_t)len < r->max_size;
}

/* The reader's rules named `name` (NUL-terminated), counted. */
static inline size_t ygo_count_named(const struct cs_ygate *g, const char *name)
{
	size_t i, n = 0, nl = strlen(name);

	for (i = 0; i < g->nrules; i++)
		n += g->rules[i].name_len == nl && memcmp(g->rules[i].name, name, nl) == 0;
	return n;
}

/* Did rule `rule` of o->rules match in the last scan? */
static inline int ygo_matched(const struct ygo *o, const YR_RULE *rule)
{
	size_t idx = (size_t)(rule - o->rules->rules_table);

	return idx < o->nrules && o->hit[idx];
}

/* Scan p[0..len) and check every rule that matches against its gates.
 * Returns 0 when sound, 1 when the scan failed (nothing learnt), -1 with
 * o->msg set otherwise. Only a completely read text is checked: the
 * variants leave nothing out of the others. */
static inline int ygo_check(struct ygo *o, const unsigned char *p, size_t len)
{
	const struct cs_ygate *g = o->g;
	const YR_RULE *rule;

	if (!g->complete)
		return 1;
	memset(o->hit, 0, o->nrules);
	yr_scanner_set_callback(o->sc, ygo_cb, o);
	o->scans++;
	if (yr_scanner_scan_mem(o->sc, len ? p : (const uint8_t *)"", len) != ERROR_SUCCESS)
		return 1;
	yr_rules_foreach(o->rules, rule)
	{
		size_t i, nl = strlen(rule->identifier);

		if (!ygo_matched(o, rule))
			continue;
		for (i = 0; i < g->nrules; i++) {
			const struct cs_yrule *r = &g->rules[i];

			if (r->name_len != nl || memcmp(r->name, rule->identifier, nl) != 0)
				continue;
			if (!ygo_passes(g, r, p, len)) {
				snprintf(o->msg, sizeof(o->msg),
				         "rule %s matches a %zu-byte probe starting %02x %02x %02x "
				         "%02x "
				         "that fails its gates (%zu header tests, max_size %llu)",
				         rule->identifier, len, len > 0 ? p[0] : 0,
				         len > 1 ? p[1] : 0, len > 2 ? p[2] : 0, len > 3 ? p[3] : 0,
				         r->ntests, (unsigned long long)r->max_size);
				return -1;
			}
		}
	}
	return 0;
}

/* Do the reader and libyara see the same rules (a completely read text
 * only)? Returns 0 or -1 with o->msg set. */
static inline int ygo_same_rules(struct ygo *o)
{
	const YR_RULE *rule;
	size_t n = 0;

	if (!o->g->complete)
		return 0;
	yr_rules_foreach(o->rules, rule)
	{
		n++;
		if (ygo_count_named(o->g, rule->identifier) != 1) {
			snprintf(o->msg, sizeof(o->msg), "libyara's rule %s is read %zu times",
			         rule->identifier, ygo_count_named(o->g, rule->identifier));
			return -1;
		}
	}
	if (n != o->g->nrules) {
		snprintf(o->msg, sizeof(o->msg), "libyara has %zu rules, the reader %zu", n,
		         o->g->nrules);
		return -1;
	}
	return 0;
}

/* A growable byte buffer. */
struct ygo_buf {
	unsigned char *p;
	size_t len, cap;
};

static inline int ygo_put(struct ygo_buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		unsigned char *q;

		while (cap < b->len + n)
			cap *= 2;
		q = realloc(b->p, cap);
		if (!q)
			return -1;
		b->p = q;
		b->cap = cap;
	}
	if (n && p)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

/* Pad with zeros to n bytes. */
static inline int ygo_pad(struct ygo_buf *b, size_t n)
{
	size_t old = b->len;

	if (n <= b->len)
		return 0;
	if (ygo_put(b, NULL, n - old))
		return -1;
	memset(b->p + old, 0, n - old);
	return 0;
}

/* The literal strings of `rule` (all rules when NULL), each as written
 * and, when wide, as UTF-16LE, separated by newlines. */
static inline int ygo_strings(const struct ygo *o, const YR_RULE *only, struct ygo_buf *b)
{
	const YR_RULE *rule;
	const YR_STRING *s;

	yr_rules_foreach(o->rules, rule)
	{
		if (only && rule != only)
			continue;
		yr_rule_strings_foreach(rule, s)
		{
			int i;

			if (!STRING_IS_LITERAL(s) || s->length <= 0 || s->length > 4096)
				continue;
			if (ygo_put(b, s->string, (size_t)s->length) || ygo_put(b, "\n", 1))
				return -1;
			if (s->flags & STRING_FLAGS_WIDE) {
				for (i = 0; i < s->length; i++)
					if (ygo_put(b, s->string + i, 1) || ygo_put(b, "", 1))
						return -1;
				if (ygo_put(b, "\n", 1))
					return -1;
			}
		}
	}
	return 0;
}

/* Write test `t`'s value at the start of p (which has room for 4). */
static inline void ygo_header(const struct cs_ygate_test *t, unsigned char *p)
{
	unsigned k;

	for (k = 0; k < t->width; k++) {
		unsigned shift = t->be ? 8u * (t->width - 1u - k) : 8u * k;

		p[k] = (unsigned char)(t->value >> shift);
	}
}

#define YGO_MAX_PROBE ((size_t)1 << 20)

/*
 * Probes around `body`: each header (the reader's tests, common magic
 * numbers, none) written over the body's first bytes, at the body's own
 * size, at 0-5 bytes, and just below, at and above every size bound the
 * reader found (up to YGO_MAX_PROBE; padded with zeros). Sizes above
 * `big` get fewer headers. Returns 0 or -1 with o->msg set.
 */
static inline int ygo_probe_all(struct ygo *o, const unsigned char *body, size_t blen, size_t big)
{
	static const unsigned char magic[][4] = {
	        {'M', 'Z', 0x90, 0}, {0x7f, 'E', 'L', 'F'},    {'P', 'K', 3, 4},
	        {0, 0, 0, 0},        {0xff, 0xff, 0xff, 0xff}, {0xca, 0xfe, 0xba, 0xbe}};
	const struct cs_ygate *g = o->g;
	size_t nh = g->ntests + CS_ARRAY_SIZE(magic) + 1, nsz = 0, h, s, i;
	size_t sizes[6 + 3 * 64 + 1];
	unsigned char *buf;
	int rc = 0;

	sizes[nsz++] = blen;
	for (s = 0; s <= 5; s++)
		sizes[nsz++] = s;
	for (i = 0; i < g->nrules && nsz + 3 <= CS_ARRAY_SIZE(sizes); i++) {
		uint64_t m = g->rules[i].max_size;

		if (m == UINT64_MAX || m > YGO_MAX_PROBE)
			continue;
		if (m > 0)
			sizes[nsz++] = (size_t)m - 1;
		sizes[nsz++] = (size_t)m;
		sizes[nsz++] = (size_t)m + 1;
	}
	for (s = 0; s < nsz && !rc; s++) {
		size_t len = sizes[s], cap = len > blen ? len : blen;

		buf = calloc(cap + 4, 1);
		if (!buf)
			return 0;
		for (h = 0; h < nh && !rc; h++) {
			if (len > big && h > 0 && h != g->ntests + CS_ARRAY_SIZE(magic))
				continue; /* big: the first test and the body as is */
			memset(buf, 0, cap + 4);
			if (blen)
				memcpy(buf, body, blen);
			if (h < g->ntests) {
				ygo_header(&g->tests[h], buf);
			} else if (h < g->ntests + CS_ARRAY_SIZE(magic)) {
				memcpy(buf, magic[h - g->ntests], 4);
			}
			rc = ygo_check(o, buf, len) < 0 ? -1 : 0;
		}
		free(buf);
	}
	return rc;
}

#endif

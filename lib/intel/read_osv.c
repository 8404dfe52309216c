/*
 * OSV advisories (https://ossf.github.io/osv-schema/) as intel: a file
 * holding one record, or an array of records; a folder of them is walked
 * by the import driver.
 *
 * Advisories are not indicators: the reader checks each record, takes its
 * id, `modified` time and `withdrawn` mark, and keeps the record's JSON
 * text as it is (cs__intel_add_advisory). The case database stores the
 * text with the intel version, and the software sweep reads it back with
 * the same OSV code as `--osv` files (lib/match/advisory.c), so the two
 * ways in cannot disagree on what a record means.
 */
#include <stdio.h>
#include <string.h>

#include "intel/json_stream_int.h"

#define OSV_MAX_ID       256
#define OSV_MAX_MODIFIED 64

/* A position for messages. */
/*
 * One element of the file at `sp`. `f` holds its members when `checked`
 * (cs__json_skip_checked() passed it); otherwise it is checked here and
 * a bad one rejected. Returns CS_OK (kept or rejected) or CS_ERR_NOMEM.
 */
static int osv_one(struct cs_reader_ctx *ctx, struct cs_json_span sp, int checked,
                   struct cs_json_field *f, size_t nf, struct cs_buf *id, struct cs_buf *mod)
{
	uint64_t line, col;
	int rc;

	if (!checked) {
		if (cs__json_check_fields(ctx, sp, "OSV record", f, nf))
			return CS_OK; /* rejected and reported */
	}
	if (cs__json_kind(ctx->data, sp) != '{') {
		cs__offset_to_linecol(ctx, sp.off, &line, &col);
		cs__reject(ctx, "osv-not-object", line, col, "OSV record is not a JSON object");
		return CS_OK;
	}
	rc = cs__json_text(ctx->data, f[0].v, id);
	if (rc < 0)
		return rc;
	if (rc != 1 || !id->len || id->len > OSV_MAX_ID || memchr(id->data, '\0', id->len)) {
		cs__offset_to_linecol(ctx, sp.off, &line, &col);
		cs__reject(ctx, "osv-no-id", line, col,
		           "OSV record without a usable \"id\" (a string of 1 to %d bytes)",
		           OSV_MAX_ID);
		return CS_OK;
	}
	rc = cs__json_text(ctx->data, f[1].v, mod);
	if (rc < 0)
		return rc;
	if (rc != 1 || mod->len > OSV_MAX_MODIFIED || memchr(mod->data, '\0', mod->len)) {
		cs__offset_to_linecol(ctx, f[1].v.len ? f[1].v.off : sp.off, &line, &col);
		cs__reject(ctx, "osv-no-modified", line, col,
		           "OSV record %.80s without a usable \"modified\" time", cs__buf_cstr(id));
		return CS_OK;
	}
	return cs__intel_add_advisory(ctx, cs__buf_cstr(id), cs__buf_cstr(mod),
	                              cs__json_kind(ctx->data, f[2].v) == '"', ctx->data + sp.off,
	                              sp.len);
}

/*
 * Read an OSV file. Returns CS_OK; CS_ERR_PARSE or CS_ERR_TOOBIG after a
 * structural fault (reported; the records before it were kept);
 * CS_ERR_EMPTY for an empty file; CS_ERR_NOMEM.
 */
static int osv_read(struct cs_reader_ctx *ctx)
{
	struct cs_json_field f[] = {{"id", {0, 0}}, {"modified", {0, 0}}, {"withdrawn", {0, 0}}};
	struct cs_json_scan s;
	struct cs_json_level lv;
	struct cs_json_span sp;
	struct cs_buf id, mod;
	uint64_t line, col;
	size_t n = 0;
	int c, rc = CS_OK;

	cs__json_scan_init(&s, ctx->data, ctx->len);
	c = cs__json_peek(&s);
	if (c < 0) {
		cs__diag(ctx, CS_SEV_ERROR, 0, 0, "empty file: no JSON value");
		return CS_ERR_EMPTY;
	}
	if (c != '{' && c != '[') {
		cs__offset_to_linecol(ctx, s.pos, &line, &col);
		cs__diag(ctx, CS_SEV_ERROR, line, col, "not OSV JSON: expected '{' or '['");
		return CS_ERR_PARSE;
	}
	cs__buf_init(&id, OSV_MAX_ID * 8);
	cs__buf_init(&mod, OSV_MAX_MODIFIED * 8);
	if (c == '{') {
		c = cs__json_skip_checked(&s, &sp, f, CS_ARRAY_SIZE(f));
		if (c >= 0) {
			rc = osv_one(ctx, sp, c == 1, f, CS_ARRAY_SIZE(f), &id, &mod);
			n = 1;
		}
	} else if (cs__json_enter(&s, &lv) == CS_OK) {
		while (!rc && (c = cs__json_next(&s, &lv, NULL)) == 1) {
			c = cs__json_skip_checked(&s, &sp, f, CS_ARRAY_SIZE(f));
			if (c < 0)
				break;
			/* Each record is copied: what lies before it is done. */
			cs__release_before(ctx, sp.off);
			rc = osv_one(ctx, sp, c == 1, f, CS_ARRAY_SIZE(f), &id, &mod);
			n++;
		}
		if (!rc && !s.err && !n)
			ctx->empty_ok = 1;
	}
	cs__buf_release(&id);
	cs__buf_release(&mod);
	if (rc)
		return rc;
	if (s.err) {
		cs__json_report(ctx, &s, n, "OSV records");
		return s.err;
	}
	if (cs__json_peek(&s) >= 0) {
		cs__offset_to_linecol(ctx, s.pos, &line, &col);
		cs__diag(ctx, CS_SEV_WARN, line, col, "ignoring data after the JSON value");
	}
	return CS_OK;
}

/* Fairly sure for an object (or array of them) with an "id", an
 * "affected" list and a "modified" time or a "schema_version": the OSV
 * record's own members. */
static int osv_bid(const char *data, size_t len, const char *path)
{
	(void)path;
	if (!cs__json_sniff_start(data, len))
		return 0;
	if (cs__json_sniff_key(data, len, "\"id\"", NULL) &&
	    cs__json_sniff_key(data, len, "\"affected\"", NULL) &&
	    (cs__json_sniff_key(data, len, "\"modified\"", NULL) ||
	     cs__json_sniff_key(data, len, "\"schema_version\"", NULL)))
		return 88;
	return 0;
}

const struct cs_reader cs__reader_osv = {
        .name = "osv",
        .bid = osv_bid,
        .read = osv_read,
};

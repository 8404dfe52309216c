/*
 * Streaming walk over a JSON document held whole in memory
 * (lib/intel/json_stream.c), and helpers shared by the JSON readers
 * (read_stix.c, read_misp.c).
 *
 * A STIX bundle or a MISP event with a million indicators is never built
 * as one jansson tree. A structural scanner walks the document: it enters
 * the few containers a reader cares about (a bundle's "objects", an
 * event's "Attribute") and skips everything else without building it. The
 * scanner only follows strings and bracket nesting, so an element that is
 * balanced but otherwise invalid ({"a" 1}) still has a well-defined span:
 * jansson then parses each element alone, reports what is wrong with it,
 * and the walk goes on with the next one. Only a structural fault (end of
 * input inside a value, mismatched brackets, nesting deeper than the cap,
 * a missing ',' between elements) stops the walk; whatever came before it
 * stays usable.
 *
 * Positions are byte offsets into the document; cs__offset_to_linecol()
 * turns them into line and column for messages.
 */
#ifndef CS_JSON_STREAM_INT_H
#define CS_JSON_STREAM_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "intel/intel_int.h"

/* Nesting of containers, counted from the top of the document. */
#define CS_JSON_MAX_DEPTH 256
/* One element parsed alone with jansson (an indicator, an attribute, an
 * event's Galaxy list). */
#define CS_JSON_MAX_ELEMENT ((size_t)16 << 20)
/* Elements collected from one array. */
#define CS_JSON_MAX_ELEMENTS ((size_t)1 << 24)

/* A value in the document: bytes [off, off + len). Strings include their
 * quotes. */
struct cs_json_span {
	size_t off;
	size_t len;
};

/*
 * The scanner. `err` is CS_OK until the first structural fault; then it
 * holds CS_ERR_PARSE (or CS_ERR_TOOBIG for the depth and element caps),
 * `err_off` the offset of the fault and `errmsg` what was expected. Every
 * call on a failed scanner fails again with the same error.
 */
struct cs_json_scan {
	const char *data;
	size_t len;
	size_t pos;
	unsigned depth; /* containers entered with cs__json_enter() */
	int err;
	size_t err_off;
	char errmsg[160];
};

/* One container being walked: which bracket closes it and how many
 * elements (or members) were handed out. */
struct cs_json_level {
	char close;
	size_t n;
};

/* A growable list of spans (capped at CS_JSON_MAX_ELEMENTS). */
struct cs_json_spans {
	struct cs_json_span *v;
	size_t n;
	size_t cap;
};

void cs__json_scan_init(struct cs_json_scan *s, const char *data, size_t len);

/*
 * Helpers for the JSON readers' bids: cheap textual tests on the sniffed
 * prefix of a file, not parses.
 * cs__json_sniff_start: 1 when the text starts, after a UTF-8 BOM and
 * white space, like an object or an array.
 * cs__json_sniff_key: 1 when `key` (with its quotes, "\"type\"") appears
 * followed by ':' and, when `value` is not NULL, by that value text.
 */
int cs__json_sniff_start(const char *data, size_t len);
int cs__json_sniff_key(const char *data, size_t len, const char *key, const char *value);
/* Skip white space (and a UTF-8 byte order mark at offset 0). Returns the
 * byte at the new position, or -1 at the end of the input. */
int cs__json_peek(struct cs_json_scan *s);
/* Skip the value at the position; writes its span when `out` is given. */
int cs__json_skip(struct cs_json_scan *s, struct cs_json_span *out);
/* Enter the array or object at the position. */
int cs__json_enter(struct cs_json_scan *s, struct cs_json_level *lv);
/*
 * Move to the next element of the container `lv`: returns 1 with the
 * position at the element's value (for an object, `key` receives the
 * member name's span), 0 after the closing bracket, or a negative error.
 * After 1 the caller must consume the value (cs__json_skip, enter, ...).
 */
int cs__json_next(struct cs_json_scan *s, struct cs_json_level *lv, struct cs_json_span *key);
/*
 * Append the span of every element of the array at the position to
 * `out`. On a structural fault the elements before it stay in `out` and
 * the error is returned.
 */
int cs__json_collect(struct cs_json_scan *s, struct cs_json_spans *out);
void cs__json_spans_release(struct cs_json_spans *sp);

/*
 * Find member `key` of the object spanning `obj` (a complete value) and
 * write its value's span. The last of duplicate members wins, as with
 * jansson. Returns 1 when found, 0 when absent or `obj` is not an object,
 * a negative error when the span is malformed.
 */
int cs__json_member(const char *data, struct cs_json_span obj, const char *key,
                    struct cs_json_span *val);
/* 1 when the string value at `str` (quotes included) decodes to `lit`. */
int cs__json_str_eq(const char *data, struct cs_json_span str, const char *lit);

/*
 * Parse one element with jansson. A span over CS_JSON_MAX_ELEMENT bytes
 * is rejected ("too-big") unparsed; a syntax error is rejected
 * ("json-syntax") with its position in the file and jansson's message,
 * prefixed by `what` ("STIX object", "MISP attribute"). Returns a new
 * reference or NULL (already reported).
 */
json_t *cs__json_load(struct cs_reader_ctx *ctx, struct cs_json_span sp, const char *what);
/* Report a structural fault of the walk as an error at its position;
 * `done` says how many complete entries before it are being read. */
void cs__json_report(struct cs_reader_ctx *ctx, const struct cs_json_scan *s, size_t done,
                     const char *what);

/*
 * The fast path for elements (an attribute, an indicator): check the
 * element strictly without building it, then read the few members a
 * reader wants straight from the document.
 *
 * cs__json_validate() accepts what jansson accepts with JSON_DECODE_ANY |
 * JSON_ALLOW_NUL: the grammar, string escapes (\u0000 included, paired
 * surrogates only), UTF-8, no raw control characters, integers that fit
 * 64 bits. On failure it writes the offset of the fault and a static
 * message.
 */
int cs__json_validate(const char *data, struct cs_json_span sp, size_t *err_off, const char **msg);
/*
 * Check one element before reading it: the size cap, then
 * cs__json_validate(). A bad element is rejected as cs__json_load()
 * would reject it (jansson's message and position). Returns CS_OK, or
 * CS_ERR_PARSE when it was rejected (already reported).
 */
int cs__json_check(struct cs_reader_ctx *ctx, struct cs_json_span sp, const char *what);

/* A member wanted from an object: the name, and the value's span (len 0
 * when absent). */
struct cs_json_field {
	const char *key;
	struct cs_json_span v;
};

/* Fill the spans of the wanted members of the valid object at `obj`
 * (the last of duplicates wins). Returns 1 when `obj` is an object, 0
 * otherwise (every span then empty). */
int cs__json_fields(const char *data, struct cs_json_span obj, struct cs_json_field *f, size_t n);

/*
 * One walk instead of a check and then a read of the fields: the same
 * checks and the same answers as cs__json_check() followed, when it
 * passed, by cs__json_fields(). Returns CS_OK or CS_ERR_PARSE (reported).
 */
int cs__json_check_fields(struct cs_reader_ctx *ctx, struct cs_json_span sp, const char *what,
                          struct cs_json_field *f, size_t n);
/*
 * cs__json_skip() that also checks the element as cs__json_check() would
 * and fills the wanted members of an object on the way. Returns 1 when
 * the element is an array or object that passes the check (then `f` is
 * filled), 0 when it was only skipped (then `f` is empty and the element
 * must be checked when read), or the scanner's error.
 */
int cs__json_skip_checked(struct cs_json_scan *s, struct cs_json_span *out, struct cs_json_field *f,
                          size_t n);
/*
 * cs__json_collect() that checks each element with cs__json_skip_checked()
 * and then calls `fn` with its index, whether it passed, and its fields
 * (`f`). An error from `fn` stops the walk and is returned.
 */
typedef int (*cs_json_element_fn)(void *ud, size_t i, int valid, const struct cs_json_field *f);
int cs__json_collect_checked(struct cs_json_scan *s, struct cs_json_spans *out,
                             struct cs_json_field *f, size_t n, cs_json_element_fn fn, void *ud);
/* Decode the valid string at `v` into `out` (reset first; NUL-terminated,
 * may hold NUL bytes). Returns 1 for a string, 0 when `v` is absent or
 * not a string, CS_ERR_NOMEM. */
int cs__json_text(const char *data, struct cs_json_span v, struct cs_buf *out);
/* A boolean given as true/false, 0/1 or "0"/"1"/"true"/"false" (as MISP
 * writes to_ids): 1, 0, or -1 when absent or something else. */
int cs__json_span_flag(const char *data, struct cs_json_span v);
/* 1 and *out when the valid value at `v` is an integer, 0 otherwise. */
int cs__json_span_int(const char *data, struct cs_json_span v, long long *out);
/* The JSON type of a value span by its first byte: '"', '{', '[', 't',
 * 'f', 'n', '0' for a number, or 0 when the span is empty. */
char cs__json_kind(const char *data, struct cs_json_span v);

/*
 * The labels of one indicator under construction: "type:name" strings
 * kept in one buffer, without duplicates, capped at CS_INTEL_MAX_LABELS.
 * cs__labels_vec() returns the pointer array cs_ind_add wants; it stays
 * valid until the next change.
 */
struct cs_labels {
	struct cs_buf text;
	size_t *offs;
	size_t n, cap;
	const char **vec;
	size_t veccap;
};

void cs__labels_init(struct cs_labels *l);
void cs__labels_release(struct cs_labels *l);
void cs__labels_reset(struct cs_labels *l);
/* Truncate to the first `n` labels (to drop per-entry labels and keep the
 * shared ones added before them). */
void cs__labels_truncate(struct cs_labels *l, size_t n);
/* Add "<prefix><name>" (name of `len` bytes). Returns CS_OK (also when
 * the label was already there or the cap is reached) or CS_ERR_NOMEM. */
int cs__labels_add(struct cs_labels *l, const char *prefix, const char *name, size_t len);
const char *const *cs__labels_vec(struct cs_labels *l);

/*
 * Add the label a MISP tag stands for: a galaxy tag
 * misp-galaxy:<type>="<value>" as cs__galaxy_label() maps it, any other
 * tag as "tag:<name>". STIX readers use it for `labels` too, since MISP
 * exports its tags there.
 */
int cs__tag_label(struct cs_labels *l, const char *tag, size_t len);
/* The label of a galaxy cluster `value` of galaxy `type`: threat actors
 * and intrusion sets "actor:", malware families "malware:", ATT&CK
 * techniques "attack-pattern:", ATT&CK tools "tool:", anything else
 * "galaxy:<type>=<value>". */
int cs__galaxy_label(struct cs_labels *l, const char *type, size_t tlen, const char *value,
                     size_t vlen);

#endif /* CS_JSON_STREAM_INT_H */

/*
 * The result messages of a fleet hunt as JSON (docs/fleet.md, "Result
 * messages"): one object per message, the envelope members (v, type,
 * hunt, host, run, seq) and the record's members side by side.
 *
 * The decoder is the collector's first line against what an agent sends:
 * it takes nothing on trust (duplicate members, unknown members, a wrong
 * type or range, a string over its cap, a label too many are each a
 * refusal naming the member), and every encoder checks its own output
 * with the decoder, so that whatever is published can be read back.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "chainsweep/fleet_wire.h"

struct wire_priv {
	json_t *root;
	char *process;  /* the finding's process object, as compact text */
	char *coverage; /* the status's coverage object, as compact text */
	const char **labels;
};

static const char *const kind_names[] = {NULL, "file", "log", "software", "process"};
static const char *const states[] = {"running", "done", "incomplete", "error", "refused", NULL};

static int id_ok(const char *s, const char *extra)
{
	size_t n = 0;

	if (!s)
		return 0;
	for (; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];

		if (n >= CS_FLEET_ID_MAX)
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || (c && strchr(extra, c))))
			return 0;
	}
	return n > 0;
}

int cs_fleet_hunt_id_ok(const char *s)
{
	return id_ok(s, ".:");
}

int cs_fleet_host_id_ok(const char *s)
{
	return id_ok(s, "");
}

static void say(char *err, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Nesting depth of a JSON value: 0 for a scalar. The parser bounds the
 * recursion (jansson refuses documents nested deeper than 2048). */
static size_t depth(json_t *v)
{
	size_t d = 0, i;
	const char *k;
	json_t *c;

	if (json_is_object(v)) {
		json_object_foreach(v, k, c)
		{
			size_t e = depth(c);

			if (e > d)
				d = e;
		}
		return d + 1;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, c)
		{
			size_t e = depth(c);

			if (e > d)
				d = e;
		}
		return d + 1;
	}
	return 0;
}

/* ---- encoding ---- */

/* Set a string member when `s` is not NULL; -1 when it is not UTF-8. */
static int put_str(json_t *o, const char *key, const char *s)
{
	json_t *v;

	if (!s)
		return 0;
	v = json_string(s);
	if (!v)
		return -1;
	return json_object_set_new(o, key, v);
}

static int put_int(json_t *o, const char *key, int64_t n)
{
	return json_object_set_new(o, key, json_integer((json_int_t)n));
}

static int64_t clamp_u64(uint64_t n)
{
	return n > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)n;
}

/* A JSON text that must hold one object, parsed for embedding; NULL when
 * it does not. */
static json_t *object_text(const char *text)
{
	json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, NULL);

	if (v && !json_is_object(v)) {
		json_decref(v);
		v = NULL;
	}
	return v;
}

static json_t *envelope(const char *type, const char *hunt, const char *host, int64_t run,
                        int64_t seq)
{
	json_t *o;

	if (!cs_fleet_hunt_id_ok(hunt) || !cs_fleet_host_id_ok(host) || run < 1 || seq < 0)
		return NULL;
	o = json_object();
	if (!o)
		return NULL;
	if (put_int(o, "v", CS_FLEET_WIRE_VERSION) || put_str(o, "type", type) ||
	    put_str(o, "hunt", hunt) || put_str(o, "host", host) || put_int(o, "run", run) ||
	    put_int(o, "seq", seq)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Dump `o` (consumed) and check it with the decoder: the caps are the
 * decoder's, so an encoder never publishes what the collector refuses. */
static int finish(json_t *o, char **json, size_t *len)
{
	struct cs_fleet_msg m;
	char *s;
	size_t n;
	int rc;

	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!s)
		return CS_ERR_NOMEM;
	n = strlen(s);
	rc = cs_fleet_wire_decode(s, n, &m, NULL, 0);
	cs_fleet_msg_free(&m);
	if (rc) {
		free(s);
		return rc == CS_ERR_PARSE ? CS_ERR_INVALID : rc;
	}
	*json = s;
	*len = n;
	return CS_OK;
}

int cs_fleet_wire_finding(const char *hunt, const char *host, int64_t run, int64_t seq,
                          const struct cs_finding_rec *f, char **json, size_t *len)
{
	json_t *o, *labels, *proc = NULL;
	size_t i;
	int bad = 0;

	if (!f || !json || !len || f->kind < CS_FIND_FILE || f->kind > CS_FIND_PROCESS ||
	    f->confidence > 100 || (f->nlabels && !f->labels))
		return CS_ERR_INVALID;
	if (f->process && !(proc = object_text(f->process)))
		return CS_ERR_INVALID;
	o = envelope("finding", hunt, host, run, seq);
	labels = json_array();
	if (!o || !labels) {
		json_decref(o);
		json_decref(labels);
		json_decref(proc);
		return o ? CS_ERR_NOMEM : CS_ERR_INVALID;
	}
	for (i = 0; i < f->nlabels && !bad; i++) {
		json_t *l = f->labels[i] ? json_string(f->labels[i]) : NULL;

		bad = !l || json_array_append_new(labels, l);
	}
	bad |= put_str(o, "kind", kind_names[f->kind]) != 0;
	bad |= put_str(o, "evidence", f->evidence) != 0;
	bad |= put_str(o, "location", f->location) != 0;
	bad |= put_str(o, "observed", f->observed) != 0;
	bad |= put_str(o, "indicator_kind", f->ind_kind) != 0;
	bad |= put_str(o, "indicator_value", f->ind_value) != 0;
	bad |= json_object_set_new(o, "labels", labels) != 0;
	bad |= put_str(o, "source", f->source) != 0;
	bad |= json_object_set_new(o, "warninglisted", json_boolean(f->warninglisted)) != 0;
	if (f->confidence >= 0)
		bad |= put_int(o, "confidence", f->confidence) != 0;
	bad |= put_int(o, "first_seen_ms", f->first_seen_ms) != 0;
	bad |= put_int(o, "last_seen_ms", f->last_seen_ms) != 0;
	bad |= put_int(o, "count", clamp_u64(f->count)) != 0;
	bad |= put_str(o, "sha256", f->sha256) != 0;
	bad |= put_str(o, "sha1", f->sha1) != 0;
	bad |= put_str(o, "md5", f->md5) != 0;
	if (proc)
		bad |= json_object_set_new(o, "process", proc) != 0;
	if (bad) {
		json_decref(o);
		return CS_ERR_INVALID;
	}
	return finish(o, json, len);
}

int cs_fleet_wire_software(const char *hunt, const char *host, int64_t run, int64_t seq,
                           const struct cs_software_rec *r, char **json, size_t *len)
{
	json_t *o;
	int bad = 0;

	if (!r || !json || !len || !r->source || !r->ecosystem || !r->name || !r->version)
		return CS_ERR_INVALID;
	o = envelope("software", hunt, host, run, seq);
	if (!o)
		return CS_ERR_INVALID;
	bad |= put_str(o, "source", r->source) != 0;
	bad |= put_str(o, "entry", r->entry) != 0;
	bad |= put_str(o, "ecosystem", r->ecosystem) != 0;
	bad |= put_str(o, "name", r->name) != 0;
	bad |= put_str(o, "version", r->version) != 0;
	bad |= put_str(o, "purl", r->purl) != 0;
	bad |= put_str(o, "platform", r->platform) != 0;
	bad |= put_str(o, "vendor", r->vendor) != 0;
	bad |= put_str(o, "reader", r->reader) != 0;
	bad |= put_int(o, "install_time", r->install_time) != 0;
	bad |= put_int(o, "install_time_source", r->install_time_source) != 0;
	if (bad) {
		json_decref(o);
		return CS_ERR_INVALID;
	}
	return finish(o, json, len);
}

int cs_fleet_wire_status(const char *hunt, const char *host, int64_t run, int64_t seq,
                         const struct cs_fleet_status *st, char **json, size_t *len)
{
	json_t *o, *cov = NULL;
	int bad = 0;

	if (!st || !json || !len || !st->state)
		return CS_ERR_INVALID;
	if (st->coverage_json && !(cov = object_text(st->coverage_json)))
		return CS_ERR_INVALID;
	o = envelope("status", hunt, host, run, seq);
	if (!o) {
		json_decref(cov);
		return CS_ERR_INVALID;
	}
	bad |= put_str(o, "state", st->state) != 0;
	bad |= put_str(o, "detail", st->detail) != 0;
	if (cov)
		bad |= json_object_set_new(o, "coverage", cov) != 0;
	bad |= put_int(o, "started_ms", st->started_ms) != 0;
	bad |= put_int(o, "finished_ms", st->finished_ms) != 0;
	bad |= put_int(o, "intel_version", st->intel_version) != 0;
	bad |= put_int(o, "findings", clamp_u64(st->findings)) != 0;
	bad |= put_int(o, "dropped", clamp_u64(st->dropped)) != 0;
	bad |= put_int(o, "exit_code", st->exit_code) != 0;
	if (bad) {
		json_decref(o);
		return CS_ERR_INVALID;
	}
	return finish(o, json, len);
}

/* ---- decoding ---- */

struct dec {
	json_t *o;
	char *err;
	size_t errlen;
};

/* The members each type allows; anything else is refused. */
static const char *const common_keys[] = {"v", "type", "hunt", "host", "run", "seq", NULL};
static const char *const finding_keys[] = {
        "kind",   "evidence", "location",      "observed",   "indicator_kind", "indicator_value",
        "labels", "source",   "warninglisted", "confidence", "first_seen_ms",  "last_seen_ms",
        "count",  "sha256",   "sha1",          "md5",        "process",        NULL};
static const char *const software_keys[] = {"source",
                                            "entry",
                                            "ecosystem",
                                            "name",
                                            "version",
                                            "purl",
                                            "platform",
                                            "vendor",
                                            "reader",
                                            "install_time",
                                            "install_time_source",
                                            NULL};
static const char *const status_keys[] = {
        "state",         "detail",   "coverage", "started_ms", "finished_ms",
        "intel_version", "findings", "dropped",  "exit_code",  NULL};

static int in_list(const char *const *l, const char *k)
{
	for (; *l; l++)
		if (strcmp(*l, k) == 0)
			return 1;
	return 0;
}

/* A string member: absent is NULL (an error when `required`). */
static int get_str(struct dec *d, const char *key, int required, size_t cap, const char **out)
{
	json_t *v = json_object_get(d->o, key);

	*out = NULL;
	if (!v) {
		if (!required)
			return CS_OK;
		say(d->err, d->errlen, "member '%s' missing", key);
		return CS_ERR_PARSE;
	}
	if (!json_is_string(v)) {
		say(d->err, d->errlen, "member '%s': not a string", key);
		return CS_ERR_PARSE;
	}
	if (json_string_length(v) > cap) {
		say(d->err, d->errlen, "member '%s': %zu bytes (at most %zu)", key,
		    json_string_length(v), cap);
		return CS_ERR_TOOBIG;
	}
	*out = json_string_value(v);
	return CS_OK;
}

/* An integer member in [min, max]; absent gives `dflt` (an error when
 * `required`). */
static int get_int(struct dec *d, const char *key, int required, int64_t min, int64_t max,
                   int64_t dflt, int64_t *out)
{
	json_t *v = json_object_get(d->o, key);
	json_int_t n;

	*out = dflt;
	if (!v) {
		if (!required)
			return CS_OK;
		say(d->err, d->errlen, "member '%s' missing", key);
		return CS_ERR_PARSE;
	}
	if (!json_is_integer(v)) {
		say(d->err, d->errlen, "member '%s': not an integer", key);
		return CS_ERR_PARSE;
	}
	n = json_integer_value(v);
	if (n < min || n > max) {
		say(d->err, d->errlen, "member '%s': %lld out of range [%lld, %lld]", key,
		    (long long)n, (long long)min, (long long)max);
		return CS_ERR_PARSE;
	}
	*out = (int64_t)n;
	return CS_OK;
}

/* An object member (process, coverage) kept as compact text. */
static int get_obj(struct dec *d, const char *key, char **out)
{
	json_t *v = json_object_get(d->o, key);

	*out = NULL;
	if (!v)
		return CS_OK;
	if (!json_is_object(v)) {
		say(d->err, d->errlen, "member '%s': not an object", key);
		return CS_ERR_PARSE;
	}
	if (depth(v) > CS_FLEET_WIRE_MAX_DEPTH) {
		say(d->err, d->errlen, "member '%s': nested deeper than %u", key,
		    CS_FLEET_WIRE_MAX_DEPTH);
		return CS_ERR_TOOBIG;
	}
	*out = json_dumps(v, JSON_COMPACT);
	if (!*out) {
		say(d->err, d->errlen, "out of memory");
		return CS_ERR_NOMEM;
	}
	return CS_OK;
}

static int dec_finding(struct dec *d, struct wire_priv *p, struct cs_finding_rec *f)
{
	const char *kind;
	json_t *labels, *w, *l;
	int64_t n;
	size_t i;
	int rc, k;

	rc = get_str(d, "kind", 1, 32, &kind);
	if (rc)
		return rc;
	for (k = CS_FIND_FILE; k <= CS_FIND_PROCESS; k++)
		if (strcmp(kind, kind_names[k]) == 0)
			break;
	if (k > CS_FIND_PROCESS) {
		say(d->err, d->errlen, "member 'kind': unknown kind");
		return CS_ERR_PARSE;
	}
	f->kind = (enum cs_finding_kind)k;
	if ((rc = get_str(d, "evidence", 0, CS_FLEET_WIRE_MAX_STRING, &f->evidence)) ||
	    (rc = get_str(d, "location", 0, CS_FLEET_WIRE_MAX_STRING, &f->location)) ||
	    (rc = get_str(d, "observed", 0, CS_FLEET_WIRE_MAX_STRING, &f->observed)) ||
	    (rc = get_str(d, "indicator_kind", 0, CS_FLEET_WIRE_MAX_STRING, &f->ind_kind)) ||
	    (rc = get_str(d, "indicator_value", 0, CS_FLEET_WIRE_MAX_STRING, &f->ind_value)) ||
	    (rc = get_str(d, "source", 0, CS_FLEET_WIRE_MAX_STRING, &f->source)) ||
	    (rc = get_str(d, "sha256", 0, 64, &f->sha256)) ||
	    (rc = get_str(d, "sha1", 0, 40, &f->sha1)) || (rc = get_str(d, "md5", 0, 32, &f->md5)))
		return rc;
	w = json_object_get(d->o, "warninglisted");
	if (!json_is_boolean(w)) {
		say(d->err, d->errlen,
		    w ? "member 'warninglisted': not a boolean" : "member 'warninglisted' missing");
		return CS_ERR_PARSE;
	}
	f->warninglisted = json_is_true(w);
	if ((rc = get_int(d, "confidence", 0, 0, 100, -1, &n)))
		return rc;
	f->confidence = (int)n;
	if ((rc = get_int(d, "first_seen_ms", 0, INT64_MIN, INT64_MAX, 0, &f->first_seen_ms)) ||
	    (rc = get_int(d, "last_seen_ms", 0, INT64_MIN, INT64_MAX, 0, &f->last_seen_ms)))
		return rc;
	if ((rc = get_int(d, "count", 1, 0, INT64_MAX, 0, &n)))
		return rc;
	f->count = (uint64_t)n;
	labels = json_object_get(d->o, "labels");
	if (!json_is_array(labels)) {
		say(d->err, d->errlen,
		    labels ? "member 'labels': not an array" : "member 'labels' missing");
		return CS_ERR_PARSE;
	}
	if (json_array_size(labels) > CS_FLEET_WIRE_MAX_LABELS) {
		say(d->err, d->errlen, "member 'labels': %zu labels (at most %u)",
		    json_array_size(labels), CS_FLEET_WIRE_MAX_LABELS);
		return CS_ERR_TOOBIG;
	}
	if (json_array_size(labels)) {
		p->labels = calloc(json_array_size(labels), sizeof(*p->labels));
		if (!p->labels) {
			say(d->err, d->errlen, "out of memory");
			return CS_ERR_NOMEM;
		}
	}
	json_array_foreach(labels, i, l)
	{
		if (!json_is_string(l)) {
			say(d->err, d->errlen, "member 'labels': item %zu not a string", i);
			return CS_ERR_PARSE;
		}
		if (json_string_length(l) > CS_FLEET_WIRE_MAX_LABEL) {
			say(d->err, d->errlen, "member 'labels': item %zu: %zu bytes (at most %u)",
			    i, json_string_length(l), CS_FLEET_WIRE_MAX_LABEL);
			return CS_ERR_TOOBIG;
		}
		p->labels[i] = json_string_value(l);
	}
	f->labels = p->labels;
	f->nlabels = json_array_size(labels);
	if ((rc = get_obj(d, "process", &p->process)))
		return rc;
	f->process = p->process;
	return CS_OK;
}

static int dec_software(struct dec *d, struct cs_software_rec *r)
{
	int64_t n;
	int rc;

	if ((rc = get_str(d, "source", 1, CS_FLEET_WIRE_MAX_STRING, &r->source)) ||
	    (rc = get_str(d, "entry", 0, CS_FLEET_WIRE_MAX_STRING, &r->entry)) ||
	    (rc = get_str(d, "ecosystem", 1, 64, &r->ecosystem)) ||
	    (rc = get_str(d, "name", 1, CS_FLEET_WIRE_MAX_STRING, &r->name)) ||
	    (rc = get_str(d, "version", 1, CS_FLEET_WIRE_MAX_STRING, &r->version)) ||
	    (rc = get_str(d, "purl", 0, CS_FLEET_WIRE_MAX_STRING, &r->purl)) ||
	    (rc = get_str(d, "platform", 0, CS_FLEET_WIRE_MAX_STRING, &r->platform)) ||
	    (rc = get_str(d, "vendor", 0, CS_FLEET_WIRE_MAX_STRING, &r->vendor)) ||
	    (rc = get_str(d, "reader", 0, CS_FLEET_WIRE_MAX_STRING, &r->reader)) ||
	    (rc = get_int(d, "install_time", 0, INT64_MIN, INT64_MAX, 0, &r->install_time)))
		return rc;
	if ((rc = get_int(d, "install_time_source", 0, CS_TIME_NONE, CS_TIME_PACKAGE_LOG,
	                  CS_TIME_NONE, &n)))
		return rc;
	r->install_time_source = (int)n;
	return CS_OK;
}

static int dec_status(struct dec *d, struct wire_priv *p, struct cs_fleet_status *s)
{
	int64_t n;
	int rc, i;

	if ((rc = get_str(d, "state", 1, 32, &s->state)))
		return rc;
	for (i = 0; states[i] && strcmp(states[i], s->state); i++)
		;
	if (!states[i]) {
		say(d->err, d->errlen, "member 'state': unknown state");
		return CS_ERR_PARSE;
	}
	if ((rc = get_str(d, "detail", 0, CS_FLEET_WIRE_MAX_STRING, &s->detail)) ||
	    (rc = get_obj(d, "coverage", &p->coverage)) ||
	    (rc = get_int(d, "started_ms", 0, 0, CS_FLEET_WIRE_MAX_TIME_MS, 0, &s->started_ms)) ||
	    (rc = get_int(d, "finished_ms", 0, 0, CS_FLEET_WIRE_MAX_TIME_MS, 0, &s->finished_ms)) ||
	    (rc = get_int(d, "intel_version", 0, 0, INT64_MAX, 0, &s->intel_version)))
		return rc;
	s->coverage_json = p->coverage;
	if ((rc = get_int(d, "findings", 0, 0, INT64_MAX, 0, &n)))
		return rc;
	s->findings = (uint64_t)n;
	if ((rc = get_int(d, "dropped", 0, 0, INT64_MAX, 0, &n)))
		return rc;
	s->dropped = (uint64_t)n;
	if ((rc = get_int(d, "exit_code", 0, -1, 255, -1, &n)))
		return rc;
	s->exit_code = (int)n;
	return CS_OK;
}

static void priv_free(struct wire_priv *p)
{
	if (!p)
		return;
	json_decref(p->root);
	free(p->process);
	free(p->coverage);
	free(p->labels);
	free(p);
}

int cs_fleet_wire_decode(const char *json, size_t len, struct cs_fleet_msg *out, char *err,
                         size_t errlen)
{
	struct wire_priv *p = NULL;
	struct cs_fleet_msg m;
	const char *type, *k, *const *allowed = NULL;
	json_error_t je;
	struct dec d;
	json_t *v;
	int64_t ver;
	int rc;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!json || !out)
		return CS_ERR_INVALID;
	memset(&m, 0, sizeof(m));
	if (len > CS_FLEET_WIRE_MAX_BYTES) {
		say(err, errlen, "message of %zu bytes (at most %u)", len, CS_FLEET_WIRE_MAX_BYTES);
		return CS_ERR_TOOBIG;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		say(err, errlen, "out of memory");
		return CS_ERR_NOMEM;
	}
	p->root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (!p->root) {
		say(err, errlen, "not JSON: %s at byte %d", je.text, je.position);
		rc = CS_ERR_PARSE;
		goto out;
	}
	if (!json_is_object(p->root)) {
		say(err, errlen, "not a JSON object");
		rc = CS_ERR_PARSE;
		goto out;
	}
	d.o = p->root;
	d.err = err;
	d.errlen = errlen;
	if ((rc = get_int(&d, "v", 1, INT64_MIN, INT64_MAX, 0, &ver)))
		goto out;
	if (ver != CS_FLEET_WIRE_VERSION) {
		say(err, errlen, "member 'v': version %lld not supported (this reads %d)",
		    (long long)ver, CS_FLEET_WIRE_VERSION);
		rc = CS_ERR_UNSUPPORTED;
		goto out;
	}
	if ((rc = get_str(&d, "type", 1, 16, &type)) ||
	    (rc = get_str(&d, "hunt", 1, CS_FLEET_ID_MAX, &m.hunt)) ||
	    (rc = get_str(&d, "host", 1, CS_FLEET_ID_MAX, &m.host)) ||
	    (rc = get_int(&d, "run", 1, 1, INT64_MAX, 0, &m.run)) ||
	    (rc = get_int(&d, "seq", 1, 0, INT64_MAX, 0, &m.seq)))
		goto out;
	if (!cs_fleet_hunt_id_ok(m.hunt) || !cs_fleet_host_id_ok(m.host)) {
		say(err, errlen, "member '%s': not a valid id",
		    cs_fleet_hunt_id_ok(m.hunt) ? "host" : "hunt");
		rc = CS_ERR_PARSE;
		goto out;
	}
	if (strcmp(type, "finding") == 0) {
		m.type = CS_FLEET_MSG_FINDING;
		allowed = finding_keys;
	} else if (strcmp(type, "software") == 0) {
		m.type = CS_FLEET_MSG_SOFTWARE;
		allowed = software_keys;
	} else if (strcmp(type, "status") == 0) {
		m.type = CS_FLEET_MSG_STATUS;
		allowed = status_keys;
	} else {
		say(err, errlen, "member 'type': unknown type");
		rc = CS_ERR_PARSE;
		goto out;
	}
	json_object_foreach(p->root, k, v)
	{
		if (!in_list(common_keys, k) && !in_list(allowed, k)) {
			say(err, errlen, "unknown member '%.64s' in a %s message", k, type);
			rc = CS_ERR_PARSE;
			goto out;
		}
	}
	if (m.type == CS_FLEET_MSG_FINDING) {
		rc = dec_finding(&d, p, &m.finding);
		m.finding.host = m.host;
	} else if (m.type == CS_FLEET_MSG_SOFTWARE) {
		rc = dec_software(&d, &m.software);
		m.software.host = m.host;
	} else {
		rc = dec_status(&d, p, &m.status);
	}
out:
	if (rc) {
		priv_free(p);
		return rc;
	}
	m.priv_ = p;
	*out = m;
	return CS_OK;
}

void cs_fleet_msg_free(struct cs_fleet_msg *m)
{
	if (!m)
		return;
	priv_free(m->priv_);
	memset(m, 0, sizeof(*m));
}

/*
 * Helpers shared by the subcommands: diagnostics printing, loading the
 * indicator set, indicators as JSON.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define DIAGS_PER_FILE 10

static const char *sev_name(enum cs_severity s)
{
	return s == CS_SEV_ERROR ? "error" : s == CS_SEV_WARN ? "warning" : "note";
}

void cli_flush_suppressed(struct diag_state *ds)
{
	if (ds->suppressed)
		fprintf(stderr, "%s: note: %u more diagnostics not shown (use --verbose)\n",
		        cli_safe(ds->file), ds->suppressed);
	ds->suppressed = 0;
}

/*
 * Whether an import diagnostic says its file was not fully usable: an
 * entry or rule was rejected (such diagnostics carry the reject's
 * reason), or the file could not be read, listed or recognised (errors
 * without a reason, other than the "read as F: nothing usable" summary,
 * which follows rejects when there were any and otherwise only says the
 * file held nothing, as a fully commented-out rule file does).
 */
static const char *intel_problem(const struct cs_diag *d)
{
	if (d->reason && d->severity >= CS_SEV_WARN)
		return CLI_INTEL_REJECTED;
	if (d->severity == CS_SEV_ERROR && strncmp(d->message, "read as ", 8) != 0)
		return strstr(d->message, "yara: ") ? CLI_INTEL_REJECTED : CLI_INTEL_UNREADABLE;
	return NULL;
}

void cli_on_diag(void *ud, const struct cs_diag *d)
{
	struct diag_state *ds = ud;
	const char *file = d->file ? d->file : "-";
	const char *bad = ds->bad ? intel_problem(d) : NULL;

	if (bad)
		cli_gaps_add(ds->bad, bad, file);
	if (ds->prog)
		cli_progress_clear(ds->prog);

	if (strcmp(ds->file, file) != 0) {
		cli_flush_suppressed(ds);
		snprintf(ds->file, sizeof(ds->file), "%s", file);
		ds->shown = 0;
	}
	if (ds->json_diags && d->severity != CS_SEV_INFO) {
		json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:s?, s:s}", "severity",
		                      sev_name(d->severity), "file", file, "line",
		                      (json_int_t)d->line, "column", (json_int_t)d->column,
		                      "reason", d->reason, "message", d->message);

		json_array_append_new(ds->json_diags, o);
	}
	if (d->severity == CS_SEV_INFO && (ds->g->quiet || !d->reason)) {
		/* Per-file summaries are notes; --quiet drops them. */
		if (ds->g->quiet || ds->g->json)
			return;
		fprintf(stderr, "%s: %s\n", cli_safe(file), cli_safe(d->message));
		return;
	}
	if (d->severity != CS_SEV_ERROR && !ds->g->verbose && ds->shown >= DIAGS_PER_FILE) {
		ds->suppressed++;
		return;
	}
	ds->shown++;
	if (d->line && d->column)
		fprintf(stderr, "%s:%llu:%llu: %s: %s\n", cli_safe(file),
		        (unsigned long long)d->line, (unsigned long long)d->column,
		        sev_name(d->severity), cli_safe(d->message));
	else if (d->line)
		fprintf(stderr, "%s:%llu: %s: %s\n", cli_safe(file), (unsigned long long)d->line,
		        sev_name(d->severity), cli_safe(d->message));
	else
		fprintf(stderr, "%s: %s: %s\n", cli_safe(file), sev_name(d->severity),
		        cli_safe(d->message));
}

struct cs_intel *cli_load_intel(struct cs_store *st)
{
	struct cs_intel *in = cs_intel_new();
	int rc;

	if (!in) {
		cli_err("out of memory");
		return NULL;
	}
	rc = cs_store_load_intel(st, in);
	if (rc) {
		cli_err("cannot load intel: %s",
		        rc == CS_ERR_DB ? cs_store_errmsg(st) : cs_strerror(rc));
		cs_intel_free(in);
		return NULL;
	}
	return in;
}

json_t *cli_indicator_json(const struct cs_intel *in, const struct cs_indicator *ind, int full)
{
	unsigned fl = cs_indicator_flags(ind);
	json_t *o = json_object(), *labels = json_array(), *srcs = json_array();
	char t1[32], t2[32];
	size_t i;

	json_object_set_new(o, "kind", json_string(cs_kind_name(cs_indicator_kind(ind))));
	json_object_set_new(o, "value", json_string(cli_utf8(cs_indicator_value(ind))));
	for (i = 0; i < cs_indicator_label_count(ind); i++)
		json_array_append_new(labels,
		                      json_string(cli_utf8(cs_indicator_label(in, ind, i))));
	json_object_set_new(o, "labels", labels);
	json_object_set_new(o, "detect", json_boolean(fl & CS_IND_DETECT));
	json_object_set_new(o, "hunt_only",
	                    json_boolean((fl & CS_IND_HUNT) && !(fl & CS_IND_DETECT)));
	json_object_set_new(o, "partial", json_boolean(fl & CS_IND_PARTIAL));
	if (cs_indicator_confidence(ind) >= 0)
		json_object_set_new(o, "confidence", json_integer(cs_indicator_confidence(ind)));
	if (cs_indicator_valid_from(ind))
		json_object_set_new(
		        o, "valid_from",
		        json_string(cli_time(cs_indicator_valid_from(ind), t1, sizeof(t1))));
	if (cs_indicator_valid_until(ind))
		json_object_set_new(
		        o, "valid_until",
		        json_string(cli_time(cs_indicator_valid_until(ind), t2, sizeof(t2))));
	if (cs_indicator_warninglist_count(ind)) {
		json_t *w = json_array();

		for (i = 0; i < cs_indicator_warninglist_count(ind); i++)
			json_array_append_new(
			        w, json_string(cli_utf8(cs_indicator_warninglist(in, ind, i))));
		json_object_set_new(o, "warninglists", w);
	}
	if (!full) {
		json_object_set_new(o, "sources",
		                    json_integer((json_int_t)cs_indicator_source_count(ind)));
		json_decref(srcs);
		return o;
	}
	for (i = 0; i < cs_indicator_source_count(ind); i++) {
		struct cs_source_info si;

		cs_indicator_source(in, ind, i, &si);
		json_array_append_new(srcs, json_pack("{s:s?, s:I, s:s?, s:s?, s:s?}", "file",
		                                      cli_utf8(si.file), "line",
		                                      (json_int_t)si.line, "ref", cli_utf8(si.ref),
		                                      "format", cli_utf8(si.format), "description",
		                                      cli_utf8(si.description)));
	}
	json_object_set_new(o, "sources", srcs);
	if (cs_indicator_term_count(ind)) {
		json_t *terms = json_array();

		for (i = 0; i < cs_indicator_term_count(ind); i++) {
			const char *v;
			enum cs_kind k = cs_indicator_term(ind, i, &v);

			json_array_append_new(
			        terms, json_pack("{s:s, s:s, s:i}", "kind", cs_kind_name(k),
			                         "value", cli_utf8(v), "observation",
			                         (int)cs_indicator_term_observation(ind, i)));
		}
		json_object_set_new(o, "terms", terms);
	}
	return o;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/*
 * Valid UTF-8 that a terminal still acts on: the C1 controls U+0080 to
 * U+009F (U+009B is CSI, like ESC [) and the bidirectional embedding,
 * override and isolate marks, which reorder what is shown after them.
 */
static int is_control(const unsigned char *p, size_t n)
{
	if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0)
		return 1;
	if (n == 3 && p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae)
		return 1;
	if (n == 3 && p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
		return 1;
	return 0;
}

/* Whether the bytes at p print as an escape ("\\xNN"), or start with an
 * 'x' or a backslash: a backslash before them must be doubled for the
 * escaping to be one-to-one. */
static int starts_escape(const unsigned char *p)
{
	size_t n;

	if (*p == 'x' || *p == '\\')
		return 1;
	if (!*p)
		return 0;
	n = utf8_len(p);
	return n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f)) || is_control(p, n);
}

static const char *escape(struct cli_text *t, const char *s, int one_to_one)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t need = strlen(s) * 4 + 1, o = 0;

	if (need > t->cap) {
		char *q = realloc(t->p, need);

		if (!q)
			return "(out of memory)";
		t->p = q;
		t->cap = need;
	}
	while (*p) {
		size_t n = utf8_len(p), k;

		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f))) {
			snprintf(t->p + o, 5, "\\x%02x", *p);
			o += 4;
			p++;
			continue;
		}
		if (is_control(p, n)) {
			/* Every byte escaped: needs 4n bytes for n, as budgeted. */
			for (k = 0; k < n; k++, o += 4)
				snprintf(t->p + o, 5, "\\x%02x", p[k]);
			p += n;
			continue;
		}
		if (one_to_one && *p == '\\' && starts_escape(p + 1))
			t->p[o++] = '\\';
		memcpy(t->p + o, p, n);
		o += n;
		p += n;
	}
	t->p[o] = '\0';
	return t->p;
}

const char *cli_escape(struct cli_text *t, const char *s)
{
	return escape(t, s, 0);
}

const char *cli_escape_path(struct cli_text *t, const char *s)
{
	return escape(t, s, 1);
}

const char *cli_utf8(const char *s)
{
	static struct cli_text ring[CLI_SAFE_SLOTS];
	static unsigned next;
	const unsigned char *p;
	struct cli_text *t;
	size_t o = 0;

	if (!s)
		return NULL;
	for (p = (const unsigned char *)s; *p; p += utf8_len(p))
		if (!utf8_len(p))
			break;
	if (!*p)
		return s;
	t = &ring[next++ % CLI_SAFE_SLOTS];
	if (strlen(s) * 4 + 1 > t->cap) {
		char *q = realloc(t->p, strlen(s) * 4 + 1);

		if (!q)
			return "(out of memory)";
		t->p = q;
		t->cap = strlen(s) * 4 + 1;
	}
	for (p = (const unsigned char *)s; *p;) {
		size_t n = utf8_len(p);

		if (!n) {
			snprintf(t->p + o, 5, "\\x%02x", *p);
			o += 4;
			p++;
			continue;
		}
		memcpy(t->p + o, p, n);
		o += n;
		p += n;
	}
	t->p[o] = '\0';
	return t->p;
}

const char *cli_safe(const char *s)
{
	static struct cli_text ring[CLI_SAFE_SLOTS];
	static unsigned next;
	struct cli_text *t = &ring[next++ % CLI_SAFE_SLOTS];

	return cli_escape(t, s ? s : "");
}

const char *cli_this_host(char *buf, size_t len)
{
	if (gethostname(buf, len) != 0)
		snprintf(buf, len, "localhost");
	buf[len - 1] = '\0';
	return buf;
}

void cli_text_release(struct cli_text *t)
{
	free(t->p);
	t->p = NULL;
	t->cap = 0;
}

/*
 * A decimal number, all of `s`: digits only (no sign, space or base
 * prefix, which strtoull would take: "-5" is 2^64-5 to it), then, when
 * `suffixes`, one of K, M, G (binary multiples). Overflow is an error.
 */
static int parse_u64(const char *s, int suffixes, uint64_t *out)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (suffixes && *end) {
		switch (*end) {
		case 'k':
		case 'K':
			shift = 10;
			break;
		case 'm':
		case 'M':
			shift = 20;
			break;
		case 'g':
		case 'G':
			shift = 30;
			break;
		default:
			return -1;
		}
		end++;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int cli_parse_size(const char *s, uint64_t *out)
{
	return parse_u64(s, 1, out);
}

static int opt_u64(const char *opt, const char *val, int suffixes, uint64_t min, uint64_t max,
                   uint64_t *out)
{
	struct cli_text t = {NULL, 0};
	uint64_t v;

	if (parse_u64(val, suffixes, &v)) {
		cli_err("%s: '%s' is not %s", opt, cli_escape(&t, val ? val : ""),
		        suffixes ? "a size (a whole number, or one with K, M or G)"
		                 : "a whole number");
		cli_text_release(&t);
		return -1;
	}
	if (v < min || v > max) {
		if (max == UINT64_MAX)
			cli_err("%s: '%s' is out of range (at least %llu)", opt,
			        cli_escape(&t, val), (unsigned long long)min);
		else
			cli_err("%s: '%s' is out of range (%llu to %llu)", opt, cli_escape(&t, val),
			        (unsigned long long)min, (unsigned long long)max);
		cli_text_release(&t);
		return -1;
	}
	*out = v;
	return 0;
}

int cli_opt_uint(const char *opt, const char *val, uint64_t min, uint64_t max, uint64_t *out)
{
	return opt_u64(opt, val, 0, min, max, out);
}

int cli_opt_size(const char *opt, const char *val, uint64_t min, uint64_t max, uint64_t *out)
{
	return opt_u64(opt, val, 1, min, max, out);
}

int cli_parse_double(const char *s, double *out)
{
	char *end;
	double v;

	/* strtod takes "nan", "inf", hexadecimal and leading space: a
	 * number here starts with a digit or a point and is finite. */
	if (!s || !((*s >= '0' && *s <= '9') || *s == '.'))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v) || strpbrk(s, "xXpP"))
		return -1;
	*out = v;
	return 0;
}

int cli_opt_positive(const char *opt, const char *val, double max, double *out)
{
	struct cli_text t = {NULL, 0};
	double v;

	if (cli_parse_double(val, &v)) {
		cli_err("%s: '%s' is not a positive number (such as 2.5)", opt,
		        cli_escape(&t, val ? val : ""));
		cli_text_release(&t);
		return -1;
	}
	if (!(v > 0) || v > max) {
		cli_err("%s: '%s' is out of range (above 0, at most %g)", opt, cli_escape(&t, val),
		        max);
		cli_text_release(&t);
		return -1;
	}
	*out = v;
	return 0;
}

int cli_intel_cache(struct cs_intel *in, const struct cli_global *g)
{
	char dir[4096];

	if (cs_intel_set_cache_dir(in, cli_cache_dir(g, dir, sizeof(dir)))) {
		cli_err("out of memory");
		return -1;
	}
	return 0;
}

size_t cli_import_more(struct cs_intel *in, char **files, size_t n, const struct cli_global *g,
                       struct cli_gaps *bad)
{
	struct diag_state ds;
	struct cs_import_stats stats;
	size_t i, usable = 0;

	memset(&ds, 0, sizeof(ds));
	ds.g = g;
	ds.bad = bad;
	cs_intel_set_diag(in, cli_on_diag, &ds);
	if (cli_intel_cache(in, g))
		return 0;
	for (i = 0; i < n; i++) {
		int rc;

		memset(&stats, 0, sizeof(stats));
		rc = cs_intel_import(in, files[i], &stats);
		if (rc == CS_ERR_IO) {
			cli_err("%s: cannot read: %s", cli_safe(files[i]), cli_safe(cs_intel_errmsg(in)));
			if (bad)
				cli_gaps_add(bad, CLI_INTEL_UNREADABLE, files[i]);
		}
		usable += rc == CS_OK;
	}
	cli_flush_suppressed(&ds);
	cs_intel_set_diag(in, NULL, NULL);
	return usable;
}

struct cs_intel *cli_import_intel(char **files, size_t n, const struct cli_global *g,
                                  struct cli_gaps *bad)
{
	struct cs_intel *in = cs_intel_new();

	if (!in) {
		cli_err("out of memory");
		return NULL;
	}
	cli_import_more(in, files, n, g, bad);
	cs_intel_finalize(in);
	return in;
}

void cli_print_intel_gaps(const struct cli_gaps *bad, const struct cli_global *g)
{
	size_t i, k;

	for (i = 0; bad && i < bad->n; i++) {
		const struct cli_gap *gp = &bad->v[i];
		size_t show = g->verbose ? gp->n : gp->n < 5 ? gp->n : 5;

		if (strcmp(gp->reason, CLI_INTEL_REJECTED) &&
		    strcmp(gp->reason, CLI_INTEL_UNREADABLE))
			continue;
		fprintf(stderr, "chainsweep: intel not fully usable (%s): %llu file%s:", gp->reason,
		        (unsigned long long)gp->total, gp->total == 1 ? "" : "s");
		for (k = 0; k < show; k++)
			fprintf(stderr, " %s", gp->paths[k]);
		if (gp->total > show)
			fprintf(stderr, " and %llu more (--verbose)",
			        (unsigned long long)(gp->total - show));
		fputc('\n', stderr);
	}
}

int cli_gaps_add(struct cli_gaps *gs, const char *reason, const char *raw)
{
	struct cli_gap *gp = NULL;
	size_t i, keep = gs->keep ? gs->keep : CLI_GAPS_KEEP_MAX;
	struct cli_text esc = {NULL, 0};
	const char *path = cli_escape(&esc, raw);
	int rc = 0;

	for (i = 0; i < gs->n; i++)
		if (strcmp(gs->v[i].reason, reason) == 0)
			gp = &gs->v[i];
	if (!gp) {
		if (gs->n == gs->cap) {
			size_t c = gs->cap ? 2 * gs->cap : 8;
			struct cli_gap *nv = realloc(gs->v, c * sizeof(*nv));

			if (!nv) {
				rc = -1;
				goto out;
			}
			gs->v = nv;
			gs->cap = c;
		}
		gp = &gs->v[gs->n];
		memset(gp, 0, sizeof(*gp));
		gp->reason = strdup(reason);
		if (!gp->reason) {
			rc = -1;
			goto out;
		}
		gs->n++;
	}
	if (gp->n && strcmp(gp->paths[gp->n - 1], path) == 0)
		goto out;
	gp->total++;
	if (gp->n >= keep)
		goto out;
	if (gp->n == gp->cap) {
		size_t c = gp->cap ? 2 * gp->cap : 8;
		char **nv = realloc(gp->paths, c * sizeof(*nv));

		if (!nv) {
			rc = -1;
			goto out;
		}
		gp->paths = nv;
		gp->cap = c;
	}
	gp->paths[gp->n] = strdup(path);
	if (!gp->paths[gp->n]) {
		rc = -1;
		goto out;
	}
	gp->n++;
out:
	cli_text_release(&esc);
	return rc;
}

uint64_t cli_gaps_total(const struct cli_gaps *gs, const char *reason)
{
	size_t i;

	for (i = 0; gs && i < gs->n; i++)
		if (strcmp(gs->v[i].reason, reason) == 0)
			return gs->v[i].total;
	return 0;
}

json_t *cli_gaps_json(const struct cli_gaps *gs)
{
	json_t *o = json_object();
	size_t i, k;

	for (i = 0; i < gs->n; i++) {
		json_t *paths = json_array();

		for (k = 0; k < gs->v[i].n; k++)
			json_array_append_new(paths, json_string(gs->v[i].paths[k]));
		json_object_set_new(o, gs->v[i].reason,
		                    json_pack("{s:I, s:o}", "count", (json_int_t)gs->v[i].total,
		                              "paths", paths));
	}
	return o;
}

void cli_gaps_release(struct cli_gaps *gs)
{
	size_t i, k;

	for (i = 0; i < gs->n; i++) {
		for (k = 0; k < gs->v[i].n; k++)
			free(gs->v[i].paths[k]);
		free(gs->v[i].paths);
		free(gs->v[i].reason);
	}
	free(gs->v);
	gs->v = NULL;
	gs->n = gs->cap = 0;
}

volatile int cli_interrupted;

/* Only sets the flag: the sweeps poll it and stop as with a time limit. */
static void on_signal(int signo)
{
	cli_interrupted = signo;
}

void cli_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* The next signal of the kind takes its default action: a second
	 * Ctrl-C ends a sweep that does not stop fast enough. */
	sa.sa_flags = SA_RESETHAND | SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

double cli_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *cli_bundled_intel(void)
{
	static char path[4096];
	const char *env = getenv("CHAINSWEEP_INTEL_DIR");
	const char *dirs[3];
	size_t i;

	dirs[0] = env && *env ? env : NULL;
	dirs[1] = CS_DATADIR "/chainsweep/intel";
	dirs[2] = CS_SOURCE_INTEL;
	for (i = 0; i < 3; i++) {
		if (!dirs[i])
			continue;
		snprintf(path, sizeof(path), "%s/3cx-jumpcloud.stix.json", dirs[i]);
		if (access(path, R_OK) == 0) {
			/* The pack is the folder: the STIX bundle and the
			 * product-version table beside it. */
			snprintf(path, sizeof(path), "%s", dirs[i]);
			return path;
		}
	}
	return NULL;
}

int cli_parse_when(const char *s, int64_t *ms)
{
	char *end;
	long long v;

	if (strlen(s) >= 10 && s[4] == '-') {
		/* Reuse the library's ISO reader through an import-free path:
		 * YYYY-MM-DD[THH:MM[:SS]][Z|+hh:mm]. */
		struct tm tm;
		int y, mo, d, h = 0, mi = 0, se = 0, n = 0;

		memset(&tm, 0, sizeof(tm));
		if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
			return -1;
		if (s[n] == 'T' || s[n] == ' ')
			sscanf(s + n + 1, "%2d:%2d:%2d", &h, &mi, &se);
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
		tm.tm_hour = h;
		tm.tm_min = mi;
		tm.tm_sec = se;
		*ms = (int64_t)timegm(&tm) * 1000;
		return 0;
	}
	v = strtoll(s, &end, 10);
	if (end == s || *end)
		return -1;
	*ms = v * 1000;
	return 0;
}

struct cs_intel *cli_sweep_intel(char **files, size_t n, const struct cli_global *g,
                                 struct cs_store **st, struct cli_gaps *bad, int require)
{
	struct cs_intel *in;

	if (n) {
		in = cli_import_intel(files, n, g, bad);
	} else {
		if (!*st) {
			*st = require ? cli_open_store(g) : cli_create_store(g);
			if (!*st)
				return NULL;
		}
		in = cli_load_intel(*st);
		if (in)
			cs_intel_finalize(in);
	}
	if (in && require && !cs_intel_count(in)) {
		/* Sweeping with nothing to look for is an error, not a
		 * clean result. */
		if (n)
			cli_err("no usable intel in %s%s: nothing swept", files[0],
			        n > 1 ? " and the other --intel sources" : "");
		else
			cli_err("the case database holds no intel: nothing swept (chainsweep "
			        "intel import first, or --intel)");
		cs_intel_free(in);
		return NULL;
	}
	return in;
}

const char *cli_cache_dir(const struct cli_global *g, char *buf, size_t len)
{
	const char *env = getenv("CHAINSWEEP_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	int n;

	if (g->no_cache)
		n = snprintf(buf, len, "%s", "");
	else if (env && *env)
		n = snprintf(buf, len, "%s", env);
	else if (xdg && *xdg)
		n = snprintf(buf, len, "%s/chainsweep", xdg);
	else if (home && *home)
		n = snprintf(buf, len, "%s/.cache/chainsweep", home);
	else
		n = snprintf(buf, len, "%s", "");
	if (n < 0 || (size_t)n >= len)
		buf[0] = '\0';
	return buf;
}

static const char *cache_word(int st)
{
	switch (st) {
	case CS_CACHE_HIT:
		return "loaded from the cache";
	case CS_CACHE_STORED:
		return "compiled and cached";
	case CS_CACHE_REBUILT:
		return "compiled again (the cached copy failed its checks) and cached";
	case CS_CACHE_FAILED:
		return "compiled (the cache could not be written)";
	}
	return "compiled";
}

struct matcher_diag {
	cs_diag_fn diag;
	void *ud;
	struct cli_gaps *bad;
};

/* The matcher's diagnostics go to the command's; a rule file or a regex
 * it leaves out of the sweep is intel not fully used, named in `bad`. */
static void on_matcher_diag(void *ud, const struct cs_diag *d)
{
	struct matcher_diag *md = ud;

	if (md->diag)
		md->diag(md->ud, d);
	if (!md->bad || !d->reason)
		return;
	if (strcmp(d->reason, "regex-unsupported") == 0 ||
	    (strcmp(d->reason, "yara-compile") == 0 && strstr(d->message, "left out of the sweep")))
		cli_gaps_add(md->bad, CLI_INTEL_REJECTED, d->file ? d->file : "-");
}

int cli_matcher_new(const struct cs_intel *in, const struct cli_global *g, cs_diag_fn diag,
                    void *ud, struct cli_gaps *bad, struct cs_matcher **out)
{
	struct cs_matcher_opts o;
	struct cs_matcher_info mi;
	struct matcher_diag md = {diag, ud, bad};
	char dir[4096];
	int rc;

	cs_matcher_opts_init(&o);
	o.cache_dir = cli_cache_dir(g, dir, sizeof(dir));
	o.no_yara_variants = g->no_yara_variants;
	o.allow_slow_yara = g->allow_slow_rules;
	o.yara_variant_bytes = g->yara_variant_bytes;
	rc = cs_matcher_new_opts(in, &o, on_matcher_diag, &md, out);
	if (rc || !g->verbose)
		return rc;
	cs_matcher_info(*out, &mi);
	if (mi.yara_sources || mi.yara_bad)
		fprintf(stderr, "chainsweep: YARA rules %s%s%s\n", cache_word(mi.yara_cache),
		        dir[0] ? " in " : "", dir);
	if (mi.regexes)
		fprintf(stderr, "chainsweep: regexes %s%s%s\n", cache_word(mi.regex_cache),
		        dir[0] ? " in " : "", dir);
	if (mi.yara_gated)
		fprintf(stderr,
		        "chainsweep: %zu YARA rules have a header test or size bound: files that "
		        "fail it are scanned without them\n",
		        mi.yara_gated);
	return rc;
}

/*
 * HTML writer: one self-contained page a person reads, and can mail or
 * archive as it is: inline CSS and inline SVG only, no script, no
 * external style sheet, font or image, no link out of the page.
 *
 * Sections: the answer in plain words (hit or not, which hosts, counts by
 * kind, each incident named by a "campaign:" label with its hosts, actors
 * and first and last seen), the findings per host, a timeline (one row
 * per indicator, a bar from first to last seen, against a shaded band
 * for each incident window whose name a "campaign:" label of the
 * findings gives; indicators without a time are listed under it), and
 * the coverage table per host.
 *
 * Every string from the report goes through esc(): & < > " ' become
 * entities and control bytes are shown as \xNN, as the CLI shows them.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chainsweep/correlate.h"
#include "report/report_int.h"

/* Rows drawn on the timeline; more are counted under it. */
#define TL_MAX_ROWS 400
/* Characters of an indicator shown beside its row (all of it in the
 * row's tooltip). */
#define TL_LABEL_CHARS 44

#define TL_WIDTH 1000
#define TL_LEFT  330
#define TL_RIGHT 20
#define TL_TOP   44
#define TL_ROW   20
#define TL_AXIS  34

#define DAY_MS ((int64_t)86400000)

struct hw {
	FILE *out;
	struct cs_rpt g;
	const struct cs_report *r;
};

static const char css[] =
        "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
        "margin:2em auto;max-width:1200px;padding:0 1em;color:#1d232a;background:#fff}\n"
        "h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #d5dbe1;"
        "padding-bottom:.2em;margin-top:1.8em}h3{margin-bottom:.3em}\n"
        ".meta{color:#5b6670}.verdict{font-size:1.2em;padding:.6em .9em;border-radius:6px}\n"
        ".verdict.hit{background:#fdecea;border-left:6px solid #c0392b}\n"
        ".verdict.clean{background:#eaf7ee;border-left:6px solid #27ae60}\n"
        "table{border-collapse:collapse;width:100%;margin:.4em 0 1em;font-size:13px}\n"
        "th,td{border:1px solid #d5dbe1;padding:3px 6px;text-align:left;vertical-align:top}\n"
        "th{background:#f1f4f7}td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
        "figure.evidence{overflow-x:auto;margin:1em 0}figure.evidence svg{max-width:none}\n"
        "td.mono,span.mono{font-family:ui-monospace,Menlo,Consolas,monospace;"
        "word-break:break-all}\n"
        "tr.wl td{color:#7b858e;background:#f7f7f7}"
        ".badge{display:inline-block;padding:0 .4em;border-radius:3px;font-size:11px;"
        "font-weight:600}\n"
        ".badge.wl{background:#e1e5e9;color:#4a545d}.badge.inc{background:#c0392b;color:#fff}\n"
        ".badge.ok{background:#27ae60;color:#fff}\n"
        "svg.timeline{max-width:100%;height:auto;font-size:11px}"
        "svg .band{fill:#f5b041;fill-opacity:.22}\n"
        "svg .bandlabel{fill:#9a6407;font-weight:600}svg .grid{stroke:#dde2e6}\n"
        "svg .bar{fill:#c0392b}svg .bar.wl{fill:#a3abb2}svg .rowlabel{fill:#1d232a}\n"
        "svg .axis{fill:#5b6670}\n"
        "footer{margin-top:3em;color:#7b858e;font-size:12px}\n";

static void put(struct hw *w, const char *s)
{
	fputs(s, w->out);
}

static void pf(struct hw *w, const char *fmt, ...) CS_PRINTF(2, 3);
static void pf(struct hw *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(w->out, fmt, ap);
	va_end(ap);
}

/* Write at most `max` characters (code points; 0 = all) of `s`, escaped;
 * "…" marks a cut. */
static void esc_n(struct hw *w, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t chars = 0;

	for (; *p; p++) {
		if ((*p & 0xc0) != 0x80 && max && chars++ == max) {
			put(w, "\xe2\x80\xa6");
			return;
		}
		switch (*p) {
		case '&':
			put(w, "&amp;");
			break;
		case '<':
			put(w, "&lt;");
			break;
		case '>':
			put(w, "&gt;");
			break;
		case '"':
			put(w, "&quot;");
			break;
		case '\'':
			put(w, "&#39;");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				pf(w, "\\x%02x", *p);
			else
				fputc(*p, w->out);
		}
	}
}

static void esc(struct hw *w, const char *s)
{
	esc_n(w, s, 0);
}

static void time_or(struct hw *w, int64_t ms, const char *none)
{
	char t[CS_RPT_TIME_MAX];

	if (ms)
		put(w, cs__rpt_time(t, sizeof(t), ms, 0));
	else
		put(w, none);
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* The incident window named `name`, or NULL. */
static const struct cs_incident_window *window_of(const struct cs_report *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nwindows; i++) {
		if (r->windows[i].name && strcmp(r->windows[i].name, name) == 0)
			return &r->windows[i];
	}
	return NULL;
}

/* Distinct labels with `prefix` over all findings, in order of
 * appearance (borrowed). */
static int labels_with(const struct cs_report *r, const char *prefix, const char ***out, size_t *n)
{
	size_t i, j, k, cap = 0;

	*out = NULL;
	*n = 0;
	for (i = 0; i < r->nfindings; i++) {
		const struct cs_finding_rec *f = &r->findings[i];

		for (j = 0; f->labels && j < f->nlabels; j++) {
			const char *l = f->labels[j];

			if (!cs__rpt_label_value(l, prefix))
				continue;
			for (k = 0; k < *n && strcmp((*out)[k], l); k++)
				;
			if (k < *n)
				continue;
			if (cs__grow((void **)out, &cap, *n + 1, sizeof(**out)))
				return CS_ERR_NOMEM;
			(*out)[(*n)++] = l;
		}
	}
	return CS_OK;
}

static int finding_has(const struct cs_finding_rec *f, const char *label)
{
	return cs__rpt_has_label(f->labels, f->nlabels, label);
}

/* One incident in the summary: hosts, counts, actors, first and last
 * seen, the window and how the contacts sit against it. */
static int incident(struct hw *w, const char *label)
{
	const struct cs_report *r = w->g.r;
	const char *name = cs__rpt_label_value(label, "campaign:");
	const struct cs_incident_window *iw = window_of(r, name);
	const char **hosts = NULL, **actors = NULL;
	size_t nh = 0, na = 0, ch = 0, ca = 0, i, j, k, n = 0, before = 0, after = 0;
	int64_t first = 0, last = 0;

	for (i = 0; i < r->nfindings; i++) {
		const struct cs_finding_rec *f = &r->findings[i];
		const char *h = f->host ? f->host : "";
		int64_t a = f->first_seen_ms ? f->first_seen_ms : f->last_seen_ms;
		int64_t b = f->last_seen_ms ? f->last_seen_ms : f->first_seen_ms;

		if (!finding_has(f, label))
			continue;
		n++;
		if (a && (!first || a < first))
			first = a;
		if (b && b > last)
			last = b;
		if (iw && a && iw->from_ms && a < iw->from_ms)
			before++;
		if (iw && b && iw->until_ms && b > iw->until_ms)
			after++;
		for (k = 0; k < nh && strcmp(hosts[k], h); k++)
			;
		if (k == nh) {
			if (cs__grow((void **)&hosts, &ch, nh + 1, sizeof(*hosts)))
				goto nomem;
			hosts[nh++] = h;
		}
		for (j = 0; f->labels && j < f->nlabels; j++) {
			if (!cs__rpt_label_value(f->labels[j], "actor:"))
				continue;
			for (k = 0; k < na && strcmp(actors[k], f->labels[j]); k++)
				;
			if (k == na) {
				if (cs__grow((void **)&actors, &ca, na + 1, sizeof(*actors)))
					goto nomem;
				actors[na++] = f->labels[j];
			}
		}
	}
	put(w, "<li><strong>");
	esc(w, name);
	pf(w, "</strong>: %zu finding%s on %zu host%s (", n, plural(n), nh, plural(nh));
	for (k = 0; k < nh; k++) {
		put(w, k ? ", " : "");
		esc(w, hosts[k]);
	}
	put(w, ")");
	if (na) {
		put(w, "; actor");
		put(w, na > 1 ? "s " : " ");
		for (k = 0; k < na; k++) {
			put(w, k ? ", " : "");
			esc(w, cs__rpt_label_value(actors[k], "actor:"));
		}
	}
	if (first) {
		put(w, "; first seen ");
		time_or(w, first, "");
		put(w, ", last seen ");
		time_or(w, last, "");
	} else {
		put(w, "; no time known");
	}
	if (iw) {
		put(w, ". Compromise window ");
		time_or(w, iw->from_ms, "(open)");
		put(w, " to ");
		time_or(w, iw->until_ms, "(open)");
		if (first && !before && !after)
			put(w, ": every contact with a time falls inside it");
		else if (before || after)
			pf(w, ": %zu finding%s start before it, %zu end after it", before,
			   plural(before), after);
	}
	put(w, ".</li>\n");
	free(hosts);
	free(actors);
	return CS_OK;
nomem:
	free(hosts);
	free(actors);
	return CS_ERR_NOMEM;
}

static int summary(struct hw *w)
{
	const struct cs_report *r = w->g.r;
	const struct cs_rpt *g = &w->g;
	uint64_t kinds[4] = {0, 0, 0, 0}, wl = 0, nocamp = 0;
	const char **camps = NULL;
	size_t ncamps = 0, i, j, incomplete = 0, covered = 0;
	int rc;

	for (i = 0; i < r->nfindings; i++) {
		const struct cs_finding_rec *f = &r->findings[i];
		unsigned k = (unsigned)f->kind;
		int camp = 0;

		kinds[k <= 3 ? k : 0]++;
		wl += f->warninglisted != 0;
		for (j = 0; f->labels && j < f->nlabels; j++)
			camp |= cs__rpt_label_value(f->labels[j], "campaign:") != NULL;
		nocamp += !camp;
	}
	for (i = 0; i < g->nhosts; i++) {
		covered += g->hosts[i].cov != NULL;
		incomplete += g->hosts[i].cov && g->hosts[i].cov->incomplete;
	}
	put(w, "<section id=\"summary\">\n<h2>Summary</h2>\n");
	if (r->nfindings) {
		pf(w,
		   "<p class=\"verdict hit\"><strong>Hit.</strong> %zu finding%s on %zu of %zu "
		   "host%s: ",
		   r->nfindings, plural(r->nfindings), g->hosts_hit, g->nhosts, plural(g->nhosts));
		for (i = 0, j = 0; i < g->nhosts; i++) {
			if (!g->hosts[i].nfindings)
				continue;
			put(w, j++ ? ", " : "");
			esc(w, g->hosts[i].name);
		}
		put(w, ".</p>\n");
	} else {
		pf(w,
		   "<p class=\"verdict clean\"><strong>Nothing found</strong> on %zu host%s "
		   "swept.</p>\n",
		   g->nhosts, plural(g->nhosts));
	}
	if (incomplete) {
		pf(w,
		   "<p><span class=\"badge inc\">INCOMPLETE</span> The sweep did not cover "
		   "everything on %zu host%s: ",
		   incomplete, plural(incomplete));
		for (i = 0, j = 0; i < g->nhosts; i++) {
			if (!g->hosts[i].cov || !g->hosts[i].cov->incomplete)
				continue;
			put(w, j++ ? ", " : "");
			esc(w, g->hosts[i].name);
		}
		put(w, " (see <a href=\"#coverage\">coverage</a>). What was not read cannot be "
		       "called clean.</p>\n");
	} else if (covered) {
		put(w, "<p>Every sweep covered what it set out to read (see "
		       "<a href=\"#coverage\">coverage</a>).</p>\n");
	}
	if (r->nfindings) {
		put(w, "<ul class=\"kinds\">\n");
		if (kinds[CS_FIND_FILE])
			pf(w, "<li>%llu file%s (hash, name, path or YARA match)</li>\n",
			   (unsigned long long)kinds[CS_FIND_FILE], plural(kinds[CS_FIND_FILE]));
		if (kinds[CS_FIND_LOG])
			pf(w, "<li>%llu contact%s in logs</li>\n",
			   (unsigned long long)kinds[CS_FIND_LOG], plural(kinds[CS_FIND_LOG]));
		if (kinds[CS_FIND_SOFTWARE])
			pf(w, "<li>%llu affected software version%s installed</li>\n",
			   (unsigned long long)kinds[CS_FIND_SOFTWARE],
			   plural(kinds[CS_FIND_SOFTWARE]));
		if (kinds[0])
			pf(w, "<li>%llu finding%s of another kind</li>\n",
			   (unsigned long long)kinds[0], plural(kinds[0]));
		put(w, "</ul>\n");
		if (wl)
			pf(w,
			   "<p>%llu finding%s match%s a value on a warninglist (a known benign "
			   "value): marked <span class=\"badge wl\">warninglisted</span> below; "
			   "on its own such a finding means little.</p>\n",
			   (unsigned long long)wl, plural(wl), wl == 1 ? "es" : "");
	}
	rc = labels_with(r, "campaign:", &camps, &ncamps);
	if (!rc && ncamps) {
		put(w, "<h3>Incidents</h3>\n<ul class=\"incidents\">\n");
		for (i = 0; !rc && i < ncamps; i++)
			rc = incident(w, camps[i]);
		if (nocamp)
			pf(w, "<li>%llu finding%s name%s no incident.</li>\n",
			   (unsigned long long)nocamp, plural(nocamp), nocamp == 1 ? "s" : "");
		put(w, "</ul>\n");
	}
	free(camps);
	put(w, "</section>\n");
	return rc;
}

static void labels_cell(struct hw *w, const char *const *labels, size_t n)
{
	size_t i;

	put(w, "<td>");
	for (i = 0; labels && i < n; i++) {
		if (!labels[i])
			continue;
		put(w, i ? "<br/>" : "");
		esc(w, labels[i]);
	}
	put(w, "</td>");
}

static void cell(struct hw *w, const char *cls, const char *s)
{
	pf(w, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
	esc(w, s ? s : "");
	put(w, "</td>");
}

/* A digest of the file in the note cell, unless it is what was observed. */
static void note_digest(struct hw *w, const char *name, const char *d, const char *observed,
                        size_t *n)
{
	if (!d || (observed && strcmp(d, observed) == 0))
		return;
	pf(w, "%s<small class=\"mono\">%s ", (*n)++ ? "<br/>" : "", name);
	esc(w, d);
	put(w, "</small>");
}

static void findings(struct hw *w)
{
	const struct cs_rpt *g = &w->g;
	const struct cs_report *r = g->r;
	size_t h, i, j;

	put(w, "<section id=\"findings\">\n<h2>Findings per host</h2>\n");
	for (h = 0; h < g->nhosts; h++) {
		const struct cs_rpt_host *hh = &g->hosts[h];

		if (!hh->nfindings)
			continue;
		put(w, "<h3>");
		esc(w, hh->name);
		pf(w, " <small>(%zu finding%s)</small></h3>\n", hh->nfindings,
		   plural(hh->nfindings));
		put(w, "<table>\n<thead><tr><th>Kind</th><th>Evidence</th><th>Where</th>"
		       "<th>Observed</th><th>Indicator</th><th>Labels</th><th>First seen</th>"
		       "<th>Last seen</th><th>Count</th><th>Note</th></tr></thead>\n<tbody>\n");
		for (i = 0; i < hh->nfindings; i++) {
			const struct cs_finding_rec *f = &r->findings[hh->findings[i]];

			put(w, f->warninglisted ? "<tr class=\"wl\">" : "<tr>");
			cell(w, NULL, cs__rpt_kind_name(f->kind));
			cell(w, NULL, f->evidence);
			cell(w, "mono", f->location);
			cell(w, "mono", f->observed);
			put(w, "<td><span class=\"mono\">");
			esc(w, f->ind_kind);
			put(w, " ");
			esc(w, f->ind_value);
			put(w, "</span>");
			if (f->source) {
				put(w, "<br/><small>from ");
				esc(w, f->source);
				put(w, "</small>");
			}
			put(w, "</td>");
			labels_cell(w, f->labels, f->nlabels);
			put(w, "<td>");
			time_or(w, f->first_seen_ms, "no time");
			put(w, "</td><td>");
			time_or(w, f->last_seen_ms, "no time");
			pf(w, "</td><td class=\"num\">%llu</td><td>", (unsigned long long)f->count);
			j = 0;
			if (f->warninglisted) {
				put(w, "<span class=\"badge wl\">warninglisted</span>");
				j++;
			}
			if (f->confidence >= 0)
				pf(w, "%sconfidence %d", j++ ? "<br/>" : "", f->confidence);
			note_digest(w, "sha256", f->sha256, f->observed, &j);
			note_digest(w, "sha1", f->sha1, f->observed, &j);
			note_digest(w, "md5", f->md5, f->observed, &j);
			put(w, "</td></tr>\n");
		}
		put(w, "</tbody>\n</table>\n");
	}
	for (h = 0, j = 0; h < g->nhosts; h++) {
		if (g->hosts[h].nfindings)
			continue;
		put(w, j++ ? ", " : "<p>No findings on: ");
		esc(w, g->hosts[h].name);
	}
	if (j)
		put(w, ".</p>\n");
	if (!r->nfindings && !g->nhosts)
		put(w, "<p>No findings.</p>\n");
	put(w, "</section>\n");
}

/* ------------------------------------------------------------ timeline */

struct axis {
	int64_t lo, hi;
};

static double xpos(const struct axis *a, int64_t t)
{
	return TL_LEFT +
	       (double)(t - a->lo) * (TL_WIDTH - TL_LEFT - TL_RIGHT) / (double)(a->hi - a->lo);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Ticks: a step from the table giving at most 8 ticks over the axis;
 * whole months and years for spans of months. */
static void ticks(struct hw *w, const struct axis *a, double y0, double y1)
{
	static const int64_t ms_steps[] = {
	        60000,    300000,   900000, 1800000,    3600000,    10800000,
	        21600000, 43200000, DAY_MS, 2 * DAY_MS, 7 * DAY_MS, 14 * DAY_MS,
	};
	static const int month_steps[] = {1, 2, 3, 6, 12, 24, 60, 120, 600, 1200};
	int64_t span = a->hi - a->lo, step = 0, t;
	int months = 0, n = 0;
	size_t i;

	for (i = 0; i < CS_ARRAY_SIZE(ms_steps); i++) {
		if (span / ms_steps[i] <= 8) {
			step = ms_steps[i];
			break;
		}
	}
	for (i = 0; !step && i < CS_ARRAY_SIZE(month_steps); i++) {
		months = month_steps[i];
		if (span / (months * 30 * DAY_MS) <= 8)
			break;
	}
	if (step) {
		for (t = floor_div(a->lo, step) * step; t <= a->hi && n < 64; t += step) {
			char lab[40];
			time_t s = (time_t)floor_div(t, 1000);
			struct tm tm;
			double x;

			if (t < a->lo)
				continue;
			gmtime_r(&s, &tm);
			strftime(lab, sizeof(lab), step < DAY_MS ? "%m-%d %H:%M" : "%Y-%m-%d", &tm);
			x = xpos(a, t);
			pf(w,
			   "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			   "<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s"
			   "</text>\n",
			   x, y0, x, y1, x, y1 + 14, lab);
			n++;
		}
		return;
	}
	{
		time_t s = (time_t)floor_div(a->lo, 1000);
		struct tm tm;
		long m;

		gmtime_r(&s, &tm);
		m = (long)(tm.tm_year + 1900) * 12 + tm.tm_mon + 1; /* next month */
		m = (m + months - 1) / months * months;
		for (; n < 64; m += months, n++) {
			char lab[16];
			double x;

			memset(&tm, 0, sizeof(tm));
			tm.tm_year = (int)(m / 12) - 1900;
			tm.tm_mon = (int)(m % 12);
			tm.tm_mday = 1;
			t = (int64_t)timegm(&tm) * 1000;
			if (t > a->hi)
				break;
			strftime(lab, sizeof(lab), months < 12 ? "%Y-%m" : "%Y", &tm);
			x = xpos(a, t);
			pf(w,
			   "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			   "<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s"
			   "</text>\n",
			   x, y0, x, y1, x, y1 + 14, lab);
		}
	}
}

/* Whether row x goes before row y: by first seen, then by order. */
static int before(const struct cs_rpt_ind *inds, size_t x, size_t y)
{
	if (inds[x].first_ms != inds[y].first_ms)
		return inds[x].first_ms < inds[y].first_ms;
	return x < y;
}

/* Indexes of indicators with a time, by first seen (a bottom-up merge
 * sort: stable, n log n, no global state as qsort's comparator needs). */
static int timed_rows(const struct cs_rpt *g, size_t **rows, size_t *n)
{
	size_t i, width, *v, *t;

	*n = 0;
	*rows = NULL;
	if (!g->ninds)
		return CS_OK;
	v = cs__calloc(g->ninds, sizeof(*v));
	t = cs__calloc(g->ninds, sizeof(*t));
	if (!v || !t) {
		free(v);
		free(t);
		return CS_ERR_NOMEM;
	}
	for (i = 0; i < g->ninds; i++) {
		if (g->inds[i].first_ms)
			v[(*n)++] = i;
	}
	for (width = 1; width < *n; width *= 2) {
		size_t lo, *swap;

		for (lo = 0; lo < *n; lo += 2 * width) {
			size_t mid = lo + width < *n ? lo + width : *n;
			size_t hi = lo + 2 * width < *n ? lo + 2 * width : *n;
			size_t a = lo, b = mid, o = lo;

			while (a < mid && b < hi)
				t[o++] = before(g->inds, v[b], v[a]) ? v[b++] : v[a++];
			while (a < mid)
				t[o++] = v[a++];
			while (b < hi)
				t[o++] = v[b++];
		}
		swap = v;
		v = t;
		t = swap;
	}
	free(t);
	*rows = v;
	return CS_OK;
}

/* The text beside a row: "kind value"; a product-version table row
 * ("vendor|product|platform|versions") as "product versions (platform)",
 * which keeps the version in sight when the text is cut. */
static int row_label(struct cs_buf *b, const struct cs_rpt_ind *e)
{
	const char *p1, *p2, *p3;

	cs__buf_reset(b);
	if (strcmp(e->kind, "product-version") == 0 && (p1 = strchr(e->value, '|')) &&
	    (p2 = strchr(p1 + 1, '|')) && (p3 = strchr(p2 + 1, '|')))
		return cs__buf_printf(b, "%.*s %s%s%.*s%s", (int)(p2 - p1 - 1), p1 + 1, p3 + 1,
		                      p3 > p2 + 1 ? " (" : "", (int)(p3 - p2 - 1), p2 + 1,
		                      p3 > p2 + 1 ? ")" : "");
	return cs__buf_printf(b, "%s %s", e->kind, e->value);
}

static int timeline(struct hw *w)
{
	const struct cs_rpt *g = &w->g;
	const struct cs_report *r = g->r;
	const struct cs_incident_window **bands = NULL;
	size_t *rows = NULL, nrows = 0, nshow, nbands = 0, capb = 0, i, j, notime = 0;
	struct axis a = {0, 0};
	struct cs_buf lab;
	int rc;

	cs__buf_init(&lab, 0);
	put(w, "<section id=\"timeline\">\n<h2>Timeline</h2>\n");
	rc = timed_rows(g, &rows, &nrows);
	for (i = 0; !rc && i < r->nwindows; i++) {
		const struct cs_incident_window *iw = &r->windows[i];
		int used = 0;

		if (!iw->name || (!iw->from_ms && !iw->until_ms))
			continue;
		for (j = 0; !used && j < g->ninds; j++) {
			const struct cs_rpt_ind *e = &g->inds[j];
			size_t k;

			for (k = 0; !used && k < e->nlabels; k++) {
				const char *v = cs__rpt_label_value(e->labels[k], "campaign:");

				used = v && strcmp(v, iw->name) == 0;
			}
		}
		if (!used)
			continue;
		if (cs__grow((void **)&bands, &capb, nbands + 1, sizeof(*bands)))
			rc = CS_ERR_NOMEM;
		else
			bands[nbands++] = iw;
	}
	if (rc)
		goto out;
	nshow = nrows < TL_MAX_ROWS ? nrows : TL_MAX_ROWS;
	for (i = 0; i < nrows; i++) {
		const struct cs_rpt_ind *e = &g->inds[rows[i]];

		if (!a.lo || e->first_ms < a.lo)
			a.lo = e->first_ms;
		if (!a.hi || e->last_ms > a.hi)
			a.hi = e->last_ms;
	}
	if (nrows) {
		for (i = 0; i < nbands; i++) {
			if (bands[i]->from_ms && bands[i]->from_ms < a.lo)
				a.lo = bands[i]->from_ms;
			if (bands[i]->until_ms && bands[i]->until_ms > a.hi)
				a.hi = bands[i]->until_ms;
		}
		if (a.hi - a.lo < 3600000) {
			a.lo -= DAY_MS / 2;
			a.hi += DAY_MS / 2;
		}
		{
			int64_t pad = (a.hi - a.lo) / 40;

			a.lo -= pad;
			a.hi += pad;
		}
	}
	if (!nrows) {
		put(w, "<p>No finding has a time: nothing to draw.</p>\n");
	} else {
		double y0 = TL_TOP - 6, y1 = TL_TOP + (double)nshow * TL_ROW + 4;
		int height = TL_TOP + (int)nshow * TL_ROW + TL_AXIS;

		put(w, "<p>First to last contact per indicator (UTC)");
		if (nbands)
			put(w, ", against the compromise window of each incident (shaded)");
		put(w, ".</p>\n");
		pf(w,
		   "<svg class=\"timeline\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
		   "role=\"img\" aria-label=\"Timeline of first and last contact per "
		   "indicator\">\n",
		   TL_WIDTH, height, TL_WIDTH, height);
		for (i = 0; i < nbands; i++) {
			int64_t f = bands[i]->from_ms ? bands[i]->from_ms : a.lo;
			int64_t u = bands[i]->until_ms ? bands[i]->until_ms : a.hi;
			double x0 = xpos(&a, f), x1 = xpos(&a, u);

			pf(w, "<g><title>");
			esc(w, bands[i]->name);
			put(w, ": compromise window ");
			time_or(w, bands[i]->from_ms, "(open)");
			put(w, " to ");
			time_or(w, bands[i]->until_ms, "(open)");
			pf(w,
			   "</title><rect class=\"band\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			   "height=\"%.1f\"/><text class=\"bandlabel\" x=\"%.1f\" y=\"%d\">",
			   x0, y0, x1 - x0 < 1 ? 1 : x1 - x0, y1 - y0, x0 + 3,
			   12 + (int)(i % 2) * 14);
			esc_n(w, bands[i]->name, 40);
			put(w, "</text></g>\n");
		}
		ticks(w, &a, y0, y1);
		for (i = 0; i < nshow; i++) {
			const struct cs_rpt_ind *e = &g->inds[rows[i]];
			double y = TL_TOP + (double)i * TL_ROW;
			double x0 = xpos(&a, e->first_ms), x1 = xpos(&a, e->last_ms);
			const char *cls = e->warninglisted ? "bar wl" : "bar";

			put(w, "<g><title>");
			esc(w, e->kind);
			put(w, " ");
			esc(w, e->value);
			put(w, ": first seen ");
			time_or(w, e->first_ms, "");
			put(w, ", last seen ");
			time_or(w, e->last_ms, "");
			pf(w, "; %zu host%s, seen %llu time%s%s</title>", e->nhosts,
			   plural(e->nhosts), (unsigned long long)e->count, plural(e->count),
			   e->warninglisted ? "; warninglisted" : "");
			pf(w, "<text class=\"rowlabel\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">",
			   TL_LEFT - 8, y + 14);
			if (row_label(&lab, e)) {
				rc = CS_ERR_NOMEM;
				goto out;
			}
			esc_n(w, lab.data, TL_LABEL_CHARS);
			put(w, "</text>");
			if (x1 - x0 >= 3)
				pf(w,
				   "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
				   "height=\"10\" rx=\"2\"/>",
				   cls, x0, y + 5, x1 - x0);
			else
				pf(w, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"5\"/>", cls,
				   (x0 + x1) / 2, y + 10);
			put(w, "</g>\n");
		}
		put(w, "</svg>\n<p class=\"meta\">Each row: an indicator, its bar from first "
		       "to last contact over all hosts (a dot when they are the same moment; grey "
		       "when warninglisted); hover a row for hosts and counts.");
		if (nbands)
			put(w, " Shaded: the incident&#39;s compromise window.");
		put(w, "</p>\n");
		if (nrows > nshow)
			pf(w, "<p>%zu more indicators with a time are not drawn.</p>\n",
			   nrows - nshow);
	}
	for (i = 0; i < g->ninds; i++)
		notime += !g->inds[i].first_ms;
	if (notime) {
		put(w,
		    "<h3>No time</h3>\n<p>Seen without a time of their own (files without a "
		    "usable modification time, log lines without a timestamp, packages without an "
		    "install time):</p>\n<ul class=\"notime\">\n");
		for (i = 0; i < g->ninds; i++) {
			const struct cs_rpt_ind *e = &g->inds[i];

			if (e->first_ms)
				continue;
			put(w, "<li><span class=\"mono\">");
			esc(w, e->kind);
			put(w, " ");
			esc(w, e->value);
			put(w, "</span>: no time; host");
			put(w, e->nhosts == 1 ? " " : "s ");
			for (j = 0; j < e->nhosts; j++) {
				put(w, j ? ", " : "");
				esc(w, e->hosts[j]);
			}
			put(w, "</li>\n");
		}
		put(w, "</ul>\n");
	}
	put(w, "</section>\n");
out:
	cs__buf_release(&lab);
	free(rows);
	free(bands);
	return rc;
}

/* Whose activity: the overlap leads of the case, with their evidence. */
static void overlap(struct hw *w)
{
	const struct cs_report *r = w->r;
	const char *svg = r->leads_svg;
	size_t i, j, shown;
	int k;

	if (!r->leads || !r->nleads)
		return;
	put(w, "<section id=\"overlap\">\n<h2>Whose activity: overlap leads</h2>\n"
	       "<p class=\"meta\">Known activity clusters of the case's intel that share values "
	       "with what was found, ranked by weighted overlap (chainsweep correlate --case). "
	       "Each piece of evidence weighs kind &times; relation / source files naming the "
	       "value; warninglisted values count nothing. Leads, not verdicts.</p>\n"
	       "<table>\n<thead><tr><th>#</th><th>Cluster</th><th>Score</th><th>Shared</th>"
	       "<th>Evidence (counted)</th></tr></thead>\n<tbody>\n");
	for (i = 0; i < r->nleads; i++) {
		const struct cs_lead *l = r->leads[i];

		pf(w, "<tr><td class=\"num\">%zu</td>", i + 1);
		cell(w, NULL, l->cluster);
		pf(w, "<td class=\"num\">%.2f", l->score);
		for (k = 0; k < CS_REL_COUNT; k++) {
			if (l->by_relation[k] > 0)
				pf(w, "<br/><small>%s %.2f</small>",
				   cs_relation_name((enum cs_relation)k), l->by_relation[k]);
		}
		pf(w, "</td><td class=\"num\">%zu</td><td>", l->shared);
		for (j = 0, shown = 0; j < l->nevidence && shown < 6; j++) {
			const struct cs_lead_evidence *e = &l->evidence[j];

			if (!e->counted)
				continue;
			put(w, shown++ ? "<br/>" : "");
			pf(w, "%s ", cs_relation_name(e->relation));
			esc_n(w, e->qvalue, 120);
			if (e->relation != CS_REL_EXACT) {
				put(w, " &rarr; ");
				esc_n(w, e->value, 120);
			}
			pf(w, " <small>(%.2f", e->weight);
			if (e->file) {
				put(w, ", ");
				esc_n(w, e->file, 160);
				if (e->line)
					pf(w, ":%llu", (unsigned long long)e->line);
			}
			put(w, ")</small>");
		}
		if (l->shared > shown)
			pf(w, "<br/><small>&hellip; %zu more</small>", l->shared - shown);
		put(w, "</td></tr>\n");
	}
	put(w, "</tbody>\n</table>\n");
	if (svg) {
		/* Inline: the document without its XML declaration. */
		if (strncmp(svg, "<?xml", 5) == 0 && strstr(svg, "?>")) {
			svg = strstr(svg, "?>") + 2;
			svg += strspn(svg, " \t\r\n");
		}
		put(w, "<figure class=\"evidence\">\n");
		put(w, svg);
		put(w, "<figcaption>Evidence graph of the first leads: query values, the "
		       "clusters' values they reach, the clusters.</figcaption>\n</figure>\n");
	}
	put(w, "</section>\n");
}

static void coverage(struct hw *w)
{
	const struct cs_rpt *g = &w->g;
	size_t h, i;

	put(w, "<section id=\"coverage\">\n<h2>Coverage</h2>\n");
	if (!g->nhosts) {
		put(w, "<p>No host in this report.</p>\n</section>\n");
		return;
	}
	put(w, "<table>\n<thead><tr><th>Host</th><th>Swept</th><th>Files</th><th>Fully read</th>"
	       "<th>Log files</th><th>Log lines</th><th>Packages</th><th>Gaps</th>"
	       "<th>Status</th></tr></thead>\n<tbody>\n");
	for (h = 0; h < g->nhosts; h++) {
		const struct cs_host_coverage *c = g->hosts[h].cov;

		put(w, "<tr>");
		cell(w, NULL, g->hosts[h].name);
		if (!c) {
			put(w, "<td colspan=\"7\">no coverage record</td><td>unknown</td></tr>\n");
			continue;
		}
		put(w, "<td>");
		time_or(w, c->swept_ms, "");
		pf(w,
		   "</td><td class=\"num\">%llu</td><td class=\"num\">%llu</td>"
		   "<td class=\"num\">%llu</td><td class=\"num\">%llu</td>"
		   "<td class=\"num\">%llu</td><td>",
		   (unsigned long long)c->files, (unsigned long long)c->files_fully,
		   (unsigned long long)c->log_files, (unsigned long long)c->log_lines,
		   (unsigned long long)c->packages);
		for (i = 0; c->gaps && i < c->ngaps; i++) {
			put(w, i ? "<br/>" : "");
			esc(w, c->gaps[i]);
		}
		if (!c->ngaps)
			put(w, "none");
		put(w, c->incomplete ? "</td><td><span class=\"badge inc\">INCOMPLETE</span></td>"
		                     : "</td><td><span class=\"badge ok\">complete</span></td>");
		put(w, "</tr>\n");
	}
	put(w, "</tbody>\n</table>\n</section>\n");
}

int cs_report_html(FILE *out, const struct cs_report *r)
{
	const char *title;
	struct hw w;
	int rc;

	w.out = out;
	w.r = r;
	rc = cs__rpt_init(&w.g, r);
	if (rc)
		goto out;
	title = r->title ? r->title : "chainsweep report";
	put(&w, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
	        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
	        "<meta name=\"generator\" content=\"chainsweep\"/>\n<title>");
	esc(&w, title);
	put(&w, "</title>\n<style>\n");
	put(&w, css);
	put(&w, "</style>\n</head>\n<body>\n<header>\n<h1>");
	esc(&w, title);
	put(&w, "</h1>\n<p class=\"meta\">Generated ");
	time_or(&w, r->generated_ms, "(time unknown)");
	put(&w, " by chainsweep");
	if (r->tool_version) {
		put(&w, " ");
		esc(&w, r->tool_version);
	}
	if (r->intel_version)
		pf(&w, ", intel version %lld", (long long)r->intel_version);
	put(&w, ". Times are UTC.</p>\n</header>\n<main>\n");
	rc = summary(&w);
	if (!rc) {
		findings(&w);
		rc = timeline(&w);
	}
	if (!rc) {
		overlap(&w);
		coverage(&w);
		put(&w, "</main>\n<footer>Written by chainsweep; this page loads nothing from "
		        "elsewhere.</footer>\n</body>\n</html>\n");
		rc = cs__rpt_flush(out);
	}
out:
	cs__rpt_release(&w.g);
	return rc;
}

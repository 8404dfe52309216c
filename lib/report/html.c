/*
 * HTML writer: one self-contained page a person reads, and can mail or
 * archive as it is: inline CSS and inline SVG only, no script, no
 * external style sheet, font or image, no link out of the page. It reads
 * on a wide screen and at phone width alike: nothing is wider than the
 * page, and text keeps its size (the timeline is HTML, not a scaled
 * drawing; the one drawing, the overlap graph, is narrow enough to keep
 * its text legible when shrunk to a phone's width).
 *
 * Sections: the answer in plain words (hit or not, which hosts, counts by
 * kind, each incident named by a "campaign:" label with its hosts, actors
 * and first and last seen; a "nothing found" says which intel version,
 * and how many indicators, it was checked against), the findings per host
 * as one compact row each (what, where, when, why) that unfolds into the
 * details with a <details> element, a timeline with one lane per host
 * against a shaded band for each incident window whose name a "campaign:"
 * label of the findings gives (ticks at the window's edges), the overlap
 * leads with their evidence graph and its legend, and the coverage table.
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

/* Findings drawn on the timeline; more are counted under it. */
#define TL_MAX_MARKS 2000
/* Stacked rows of marks in one host's lane; more overlap on the last. */
#define TL_MAX_SUB 10
/* Characters shown in a finding's row (all of it when unfolded). */
#define ROW_WHAT_CHARS  44
#define ROW_WHERE_CHARS 64
#define ROW_LABEL_CHARS 28
/* Labels named in a finding's row; the rest are counted. */
#define ROW_LABELS 4

/* The overlap graph: leads and pieces of evidence drawn, its geometry
 * (SVG user units; the text is 12 units, at least 9 px when the drawing
 * is shrunk to a 360 px column). */
#define OG_LEADS     6
#define OG_PER_LEAD  8
#define OG_CHARS     30
#define OG_CHAR_W    7.4
#define OG_WIDTH     460
#define OG_ROW       26
#define OG_EDGE_X    250
#define OG_NODE_X    432
#define OG_NODE_R    11

#define DAY_MS ((int64_t)86400000)

struct hw {
	FILE *out;
	struct cs_rpt g;
	const struct cs_report *r;
};

static const char css[] =
        "*,*::before,*::after{box-sizing:border-box}\n"
        "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
        "margin:1.5em auto;max-width:1200px;padding:0 16px;color:#1d232a;background:#fff;"
        "overflow-wrap:break-word}\n"
        "h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #d5dbe1;"
        "padding-bottom:.2em;margin-top:1.8em}h3{margin-bottom:.3em}\n"
        ".meta{color:#5b6670}.verdict{font-size:1.2em;padding:.6em .9em;border-radius:6px}\n"
        ".verdict.hit{background:#fdecea;border-left:6px solid #c0392b}\n"
        ".verdict.clean{background:#eaf7ee;border-left:6px solid #27ae60}\n"
        ".mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.93em;"
        "overflow-wrap:anywhere}\ntd.ev,dd{overflow-wrap:anywhere}\n"
        "table{border-collapse:collapse;width:100%;margin:.4em 0 1em;font-size:13px}\n"
        "th,td{border:1px solid #d5dbe1;padding:3px 6px;text-align:left;vertical-align:top}\n"
        "th{background:#f1f4f7}td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
        ".badge{display:inline-block;padding:0 .4em;border-radius:3px;font-size:11px;"
        "font-weight:600}\n"
        ".badge.wl{background:#e1e5e9;color:#4a545d}.badge.inc{background:#c0392b;color:#fff}\n"
        ".badge.ok{background:#27ae60;color:#fff}\n"
        /* findings: a compact row that unfolds */
        ".fhead,details.finding>summary{display:grid;grid-template-columns:1.1em "
        "minmax(0,3fr) minmax(0,4fr) 11em minmax(0,3fr);gap:.15em .9em;padding:.35em .3em}\n"
        ".fhead{font-weight:600;background:#f1f4f7;border-bottom:1px solid #d5dbe1;"
        "font-size:13px}\n"
        "details.finding{border-bottom:1px solid #e3e7eb}\n"
        "details.finding>summary{cursor:pointer;list-style:none}\n"
        "details.finding>summary::-webkit-details-marker{display:none}\n"
        "details.finding>summary:hover{background:#f7f9fa}\n"
        ".fmark::before{content:'\\25B8';color:#5b6670}"
        "details[open]>summary .fmark::before{content:'\\25BE'}\n"
        "details.finding.wl>summary{color:#7b858e}\n"
        ".kind{display:inline-block;font-size:11px;font-weight:600;padding:0 .35em;"
        "border-radius:3px;color:#fff;background:#5b6670}\n"
        ".k-file{background:#c0392b}.k-log{background:#2471a3}.k-software{background:#7d3c98}"
        ".k-process{background:#b9770e}.ptree{list-style:none;padding:0;margin:0}\n"
        ".when{font-variant-numeric:tabular-nums;white-space:nowrap}"
        ".when .to,.when .cnt{display:block;color:#5b6670}\n"
        ".chip{display:inline-block;margin:0 .3em .15em 0;padding:0 .4em;border-radius:3px;"
        "background:#eef1f4;font-size:12px}.chip.more{background:none;color:#5b6670}\n"
        "dl.detail{display:grid;grid-template-columns:9em minmax(0,1fr);gap:.2em 1em;"
        "margin:.2em 0 .8em 1.4em;font-size:13px}\n"
        "dl.detail dt{color:#5b6670}dl.detail dd{margin:0}\n"
        /* timeline: one lane per host */
        ".tl{margin:.6em 0}.lane{display:grid;grid-template-columns:8em minmax(0,1fr);"
        "gap:.6em;align-items:start}\n"
        ".lname{font-weight:600;padding-top:2px}.track{position:relative;background:#f7f9fa;"
        "border-bottom:1px solid #d5dbe1;margin-bottom:4px}\n"
        ".band{position:absolute;top:0;bottom:0;background:rgba(245,176,65,.25);"
        "border-left:1px dashed #b9770e;border-right:1px dashed #b9770e}\n"
        ".wrow{height:20px;background:none;border:none}.wrow .band{overflow:hidden;"
        "white-space:nowrap;text-overflow:ellipsis;font-size:12px;font-weight:600;"
        "color:#9a6407;padding:1px 4px}\n"
        ".mk{position:absolute;height:10px;min-width:8px;border-radius:3px}"
        ".mk.pt{margin-left:-4px}\n"
        ".mk.k-file{background:#c0392b}.mk.k-log{background:#2471a3}"
        ".mk.k-software{background:#7d3c98}.mk.k-process{background:#b9770e}"
        ".mk.wl{background:#a3abb2}\n"
        ".ticks{position:relative;font-size:12px;color:#5b6670}"
        ".trow{position:relative;height:17px}\n"
        ".tk{position:absolute;top:0;white-space:nowrap;padding:0 3px}"
        ".tk.l{border-left:1px solid #5b6670}.tk.r{border-right:1px solid #5b6670}\n"
        ".key{display:inline-block;width:14px;height:10px;border-radius:3px;margin:0 .3em 0 .8em;"
        "vertical-align:baseline}.key.wl{background:#a3abb2}"
        ".key.kband{background:rgba(245,176,65,.45);border-radius:0}\n"
        /* overlap graph */
        "figure.evidence{margin:1em 0;display:flex;flex-wrap:wrap;gap:.5em 2em;align-items:start}"
        "figure.evidence svg{display:block;flex:1 1 300px;max-width:460px;height:auto;"
        "font:12px ui-monospace,Menlo,Consolas,monospace}\nfigure.evidence figcaption{flex:1 1 260px}\n"
        "svg .vnode{fill:#f4f6f8;stroke:#8a949c}svg .cnode{fill:#fdecea;stroke:#c0392b}\n"
        "svg .cnum{font-weight:700;fill:#1d232a}svg .edge{fill:none;stroke-opacity:.85}\n"
        ".legend{font-size:13px;margin:.4em 0;padding:0;list-style:none}.legend li{margin:.15em 0}\n"
        ".rel{display:inline-block;width:26px;height:0;vertical-align:middle;"
        "margin-right:.4em;border-top-width:3px}\n"
        ".r-exact{border-top:3px solid #c0392b}.r-parent-domain{border-top:3px dashed #d35400}\n"
        ".r-url-host{border-top:3px dashed #2471a3}.r-resolution{border-top:3px dotted #117a65}\n"
        ".r-co-occurrence{border-top:3px dotted #7d3c98}.r-network-prefix{border-top:3px dotted #7b858e}\n"
        /* narrow screens: one column, tables as cards */
        "@media (max-width:720px){body{margin:1em auto}\n"
        ".fhead{display:none}details.finding>summary{grid-template-columns:1.1em minmax(0,1fr)}\n"
        "details.finding>summary>:not(.fmark){grid-column:2}\n"
        "dl.detail{grid-template-columns:minmax(0,1fr);margin-left:.4em}"
        "dl.detail dd{margin-bottom:.3em}\n"
        ".lane{grid-template-columns:minmax(0,1fr);gap:0}\n"
        "table.cards thead{display:none}table.cards,table.cards tbody,table.cards tr,"
        "table.cards td{display:block;width:100%}\n"
        "table.cards tr{border:1px solid #d5dbe1;margin-bottom:.5em}"
        "table.cards td{border:none;text-align:left}\n"
        "table.cards td[data-l]::before{content:attr(data-l) ': ';font-weight:600;"
        "color:#5b6670}}\n"
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

/* Write the bytes [p, end) escaped. */
static void esc_range(struct hw *w, const char *s, const char *end)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; (const char *)p < end && *p; p++) {
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
	s = s ? s : "";
	esc_range(w, s, s + strlen(s));
}

/* Code points in s (UTF-8 lead bytes; other bytes count one each). */
static size_t cps(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* The start of code point `n` of s (its end when s is shorter). */
static const char *cp_at(const char *s, size_t n)
{
	for (; *s; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80 && n-- == 0)
			return s;
	}
	return s;
}

/* Write at most `max` code points (0 = all) of `s`, escaped: the start,
 * "…" marking the cut. */
static void esc_n(struct hw *w, const char *s, size_t max)
{
	s = s ? s : "";
	if (!max || cps(s) <= max) {
		esc(w, s);
		return;
	}
	esc_range(w, s, cp_at(s, max));
	put(w, "\xe2\x80\xa6");
}

/* A path escaped, with a line-break opportunity (<wbr/>) after each
 * separator, so a long path wraps at a folder rather than inside a name. */
static void esc_path(struct hw *w, const char *s)
{
	size_t n;

	while (*s) {
		n = strcspn(s, "/\\");
		if (!s[n]) {
			esc(w, s);
			return;
		}
		esc_range(w, s, s + n + 1);
		put(w, "<wbr/>");
		s += n + 1;
	}
}

/* A path cut to its last `max` code points ("…" first), so it keeps its
 * file name, written as esc_path() does. */
static void path_tail(struct hw *w, const char *s, size_t max)
{
	size_t n;

	s = s ? s : "";
	n = cps(s);
	if (n > max) {
		put(w, "\xe2\x80\xa6");
		s = cp_at(s, n - (max - 1));
	}
	esc_path(w, s);
}

/* As esc_n(), keeping both ends: a hash stays recognisable. */
static void esc_mid(struct hw *w, const char *s, size_t max)
{
	size_t n, head;

	s = s ? s : "";
	n = cps(s);
	if (n <= max) {
		esc(w, s);
		return;
	}
	head = (max - 1) / 2;
	esc_range(w, s, cp_at(s, head));
	put(w, "\xe2\x80\xa6");
	esc(w, cp_at(s, n - (max - 1 - head)));
}

static void time_or(struct hw *w, int64_t ms, const char *none)
{
	char t[CS_RPT_TIME_MAX];

	if (ms)
		put(w, cs__rpt_time(t, sizeof(t), ms, 0));
	else
		put(w, none);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* A time as a person reads it in a row: "2023-03-21 08:30", with the
 * seconds when they are not zero; the date alone when `date_only` and
 * the time is midnight. */
static void short_time(struct hw *w, int64_t ms, int date_only)
{
	time_t s = (time_t)floor_div(ms, 1000);
	struct tm tm;
	char b[40];

	if (!gmtime_r(&s, &tm)) {
		put(w, "?");
		return;
	}
	if (date_only && !tm.tm_hour && !tm.tm_min && !tm.tm_sec)
		strftime(b, sizeof(b), "%Y-%m-%d", &tm);
	else
		strftime(b, sizeof(b), tm.tm_sec ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%d %H:%M", &tm);
	put(w, b);
}

/* A count with thousands separators. */
static void count(struct hw *w, uint64_t n)
{
	char d[32];
	int len = snprintf(d, sizeof(d), "%llu", (unsigned long long)n), i;

	for (i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			put(w, ",");
		fputc(d[i], w->out);
	}
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* "intel version 3 (1,234 indicators)", or what is not known of it. */
static void intel_phrase(struct hw *w, int64_t version, uint64_t n)
{
	if (!version) {
		put(w, "intel of an unrecorded version");
		return;
	}
	pf(w, "intel version %lld", (long long)version);
	if (n) {
		put(w, " (");
		count(w, n);
		pf(w, " indicator%s)", plural(n));
	}
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

static void checked_against(struct hw *w);


/* A host of a fleet hunt that never answered (the fleet snapshot records it
 * as a sweep whose only gap is "not-answered"; docs/fleet.md). */
static int not_answered(const struct cs_host_coverage *c)
{
	size_t i;

	for (i = 0; c && i < c->ngaps; i++)
		if (strncmp(c->gaps[i], "not-answered", 12) == 0)
			return 1;
	return 0;
}

static int summary(struct hw *w)
{
	const struct cs_report *r = w->g.r;
	const struct cs_rpt *g = &w->g;
	uint64_t kinds[5] = {0, 0, 0, 0, 0}, wl = 0, nocamp = 0, sigma = 0;
	const char **camps = NULL;
	size_t ncamps = 0, i, j, incomplete = 0, covered = 0, unanswered = 0;
	int rc;

	for (i = 0; i < r->nfindings; i++) {
		const struct cs_finding_rec *f = &r->findings[i];
		unsigned k = (unsigned)f->kind;
		int camp = 0;

		kinds[k <= 4 ? k : 0]++;
		if (f->kind == CS_FIND_LOG && f->evidence && strcmp(f->evidence, "sigma") == 0) {
			kinds[CS_FIND_LOG]--;
			sigma++;
		}
		wl += f->warninglisted != 0;
		for (j = 0; f->labels && j < f->nlabels; j++)
			camp |= cs__rpt_label_value(f->labels[j], "campaign:") != NULL;
		nocamp += !camp;
	}
	for (i = 0; i < g->nhosts; i++) {
		covered += g->hosts[i].cov != NULL;
		if (not_answered(g->hosts[i].cov))
			unanswered++;
		else
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
		pf(w, "<p class=\"verdict clean\"><strong>Nothing found</strong> on %zu host%s swept",
		   g->nhosts, plural(g->nhosts));
		for (i = 0; i < g->nhosts && !(g->hosts[i].cov && g->hosts[i].cov->intel_version);
		     i++)
			;
		if (i < g->nhosts || r->intel_version) {
			put(w, ", checked against ");
			checked_against(w);
		}
		put(w, ".</p>\n");
	}
	if (unanswered) {
		pf(w,
		   "<p><span class=\"badge inc\">NO ANSWER</span> %zu host%s the hunt expected "
		   "did not answer: ",
		   unanswered, plural(unanswered));
		for (i = 0, j = 0; i < g->nhosts; i++) {
			if (!not_answered(g->hosts[i].cov))
				continue;
			put(w, j++ ? ", " : "");
			esc(w, g->hosts[i].name);
		}
		pf(w, ". %s not counted as clean.</p>\n", unanswered == 1 ? "It is" : "They are");
	}
	if (incomplete) {
		pf(w,
		   "<p><span class=\"badge inc\">INCOMPLETE</span> The sweep did not cover "
		   "everything on %zu host%s: ",
		   incomplete, plural(incomplete));
		for (i = 0, j = 0; i < g->nhosts; i++) {
			if (!g->hosts[i].cov || !g->hosts[i].cov->incomplete ||
			    not_answered(g->hosts[i].cov))
				continue;
			put(w, j++ ? ", " : "");
			esc(w, g->hosts[i].name);
		}
		put(w, " (see <a href=\"#coverage\">coverage</a>). What was not read cannot be "
		       "called clean.</p>\n");
	} else if (covered > unanswered) {
		pf(w, "<p>Every sweep%s covered what it set out to read (see "
		      "<a href=\"#coverage\">coverage</a>).</p>\n",
		   unanswered ? " of the hosts that answered" : "");
	}
	if (r->nfindings) {
		put(w, "<ul class=\"kinds\">\n");
		if (kinds[CS_FIND_FILE])
			pf(w, "<li>%llu file%s (hash, name, path or YARA match)</li>\n",
			   (unsigned long long)kinds[CS_FIND_FILE], plural(kinds[CS_FIND_FILE]));
		if (kinds[CS_FIND_LOG])
			pf(w, "<li>%llu contact%s in logs</li>\n",
			   (unsigned long long)kinds[CS_FIND_LOG], plural(kinds[CS_FIND_LOG]));
		if (sigma)
			pf(w, "<li>%llu Sigma rule%s fired on logged events (behaviour)</li>\n",
			   (unsigned long long)sigma, plural(sigma));
		if (kinds[CS_FIND_SOFTWARE])
			pf(w, "<li>%llu affected software version%s installed</li>\n",
			   (unsigned long long)kinds[CS_FIND_SOFTWARE],
			   plural(kinds[CS_FIND_SOFTWARE]));
		if (kinds[CS_FIND_PROCESS])
			pf(w, "<li>%llu running process%s (executable, mapped file, memory or "
			      "connection)</li>\n",
			   (unsigned long long)kinds[CS_FIND_PROCESS],
			   kinds[CS_FIND_PROCESS] == 1 ? "" : "es");
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

/* The intel the sweeps of the report checked against: "intel version 3
 * (1,234 indicators)" when every host's sweep used the same version,
 * else each version once, or the case's newest when no sweep says. */
static void checked_against(struct hw *w)
{
	const struct cs_rpt *g = &w->g;
	size_t i, j, n = 0;

	for (i = 0; i < g->nhosts; i++) {
		const struct cs_host_coverage *c = g->hosts[i].cov;

		if (!c || !c->intel_version)
			continue;
		for (j = 0; j < i; j++) {
			const struct cs_host_coverage *d = g->hosts[j].cov;

			if (d && d->intel_version == c->intel_version)
				break;
		}
		if (j < i)
			continue;
		put(w, n++ ? ", " : "");
		intel_phrase(w, c->intel_version, c->intel_indicators);
	}
	if (!n)
		intel_phrase(w, w->r->intel_version, w->r->intel_indicators);
}

/* ------------------------------------------------------------ findings */

/* Label groups in the order a reader wants them: who and what first,
 * ATT&CK techniques shortened to their ids, then the rest. */
enum lgroup { LG_INCIDENT, LG_ACTOR, LG_MALWARE, LG_TOOL, LG_ATTACK, LG_TAG, LG_OTHER, LG_N };

static const struct {
	const char *prefix;
	enum lgroup group;
} lprefixes[] = {
        {"campaign:", LG_INCIDENT},  {"incident:", LG_INCIDENT},    {"actor:", LG_ACTOR},
        {"intrusion-set:", LG_ACTOR}, {"threat-actor:", LG_ACTOR},  {"malware:", LG_MALWARE},
        {"tool:", LG_TOOL},          {"attack-pattern:", LG_ATTACK}, {"tag:", LG_TAG},
};

static const char *const lgroup_names[LG_N] = {"Incident", "Actor",    "Malware", "Tool",
                                               "ATT&amp;CK", "Tags", "Other labels"};

/* The group of label `l`, and its value without the prefix into *value. */
static enum lgroup label_group(const char *l, const char **value)
{
	size_t i;

	for (i = 0; i < CS_ARRAY_SIZE(lprefixes); i++) {
		const char *v = cs__rpt_label_value(l, lprefixes[i].prefix);

		if (v) {
			*value = v;
			return lprefixes[i].group;
		}
	}
	*value = l;
	return LG_OTHER;
}

/* The ATT&CK technique id in `v` ("Spearphishing Attachment - T1566.001"
 * gives "T1566.001"): its start and length, 0 when there is none. */
static size_t attack_id(const char *v, const char **start)
{
	const char *p;

	for (p = v; (p = strchr(p, 'T')); p++) {
		size_t n = 1;

		if (p > v && ((p[-1] >= 'A' && p[-1] <= 'Z') || (p[-1] >= 'a' && p[-1] <= 'z') ||
		              (p[-1] >= '0' && p[-1] <= '9')))
			continue;
		while (n < 5 && p[n] >= '0' && p[n] <= '9')
			n++;
		if (n != 5 || (p[n] >= '0' && p[n] <= '9'))
			continue;
		if (p[n] == '.' && p[n + 1] >= '0' && p[n + 1] <= '9' && p[n + 2] >= '0' &&
		    p[n + 2] <= '9' && p[n + 3] >= '0' && p[n + 3] <= '9')
			n += 4;
		*start = p;
		return n;
	}
	return 0;
}

/* An ATT&CK label in short: its technique id, or its start. */
static void attack_short(struct hw *w, const char *v)
{
	const char *s;
	size_t n = attack_id(v, &s);

	if (n)
		esc_range(w, s, s + n);
	else
		esc_n(w, v, 16);
}

/* Whether a label before label i of f has the same group and value
 * ("campaign:X" and "incident:X" are one incident). */
static int seen_before(const struct cs_finding_rec *f, size_t i, enum lgroup grp, const char *v)
{
	const char *u;
	size_t j;

	for (j = 0; j < i; j++) {
		if (f->labels[j] && label_group(f->labels[j], &u) == grp && strcmp(u, v) == 0)
			return 1;
	}
	return 0;
}

/* Why a finding matters, in its row: the incidents, actors, malware and
 * tools it names (at most ROW_LABELS), its ATT&CK techniques as ids (at
 * most two, with how many more), and how many other labels it has. */
static void why_cell(struct hw *w, const struct cs_finding_rec *f)
{
	size_t i, named = 0, rest = 0, nattack = 0, shown_attack = 0;
	int grp;
	const char *v;

	put(w, "<span class=\"why\">");
	if (f->warninglisted)
		put(w, "<span class=\"badge wl\">warninglisted</span> ");
	for (grp = LG_INCIDENT; grp <= LG_TOOL; grp++) {
		for (i = 0; f->labels && i < f->nlabels; i++) {
			if (!f->labels[i] || label_group(f->labels[i], &v) != (enum lgroup)grp ||
			    seen_before(f, i, (enum lgroup)grp, v))
				continue;
			if (named == ROW_LABELS) {
				rest++;
				continue;
			}
			pf(w, "<span class=\"chip\" title=\"%s: ", lgroup_names[grp]);
			esc(w, v);
			put(w, "\">");
			esc_n(w, v, ROW_LABEL_CHARS);
			put(w, "</span>");
			named++;
		}
	}
	for (i = 0; f->labels && i < f->nlabels; i++) {
		if (!f->labels[i])
			continue;
		grp = (int)label_group(f->labels[i], &v);
		nattack += grp == LG_ATTACK;
		rest += grp == LG_TAG || grp == LG_OTHER;
	}
	if (nattack) {
		put(w, "<span class=\"chip\">ATT&amp;CK ");
		for (i = 0; f->labels && i < f->nlabels && shown_attack < 2; i++) {
			if (!f->labels[i] || label_group(f->labels[i], &v) != LG_ATTACK)
				continue;
			put(w, shown_attack++ ? ", " : "");
			attack_short(w, v);
		}
		if (nattack > shown_attack)
			pf(w, " +%zu", nattack - shown_attack);
		put(w, "</span>");
	}
	if (rest)
		pf(w, "<span class=\"chip more\">+%zu label%s</span>", rest, plural(rest));
	if (!named && !nattack && !rest && !f->warninglisted)
		put(w, "<span class=\"chip more\">no label</span>");
	put(w, "</span>");
}

/* The labels of a finding unfolded: one line per group, ATT&CK as
 * "T1566.001 Spearphishing Attachment". */
static void labels_detail(struct hw *w, const struct cs_finding_rec *f)
{
	size_t i, n;
	int grp;
	const char *v;

	for (grp = 0; grp < LG_N; grp++) {
		for (i = 0, n = 0; f->labels && i < f->nlabels; i++) {
			if (!f->labels[i] || label_group(f->labels[i], &v) != (enum lgroup)grp ||
			    seen_before(f, i, (enum lgroup)grp, v))
				continue;
			if (!n++)
				pf(w, "<dt>%s</dt><dd>", lgroup_names[grp]);
			else
				put(w, grp == LG_ATTACK ? "<br/>" : ", ");
			esc(w, v);
		}
		if (n)
			put(w, "</dd>");
	}
}

/* The text of an indicator: "kind value"; a product-version table row
 * ("vendor|product|platform|versions") as "product versions (platform)",
 * which keeps the version in sight when the text is cut. */
static int ind_label(struct cs_buf *b, const char *kind, const char *value)
{
	const char *p1, *p2, *p3;

	kind = kind ? kind : "";
	value = value ? value : "";
	cs__buf_reset(b);
	if (strcmp(kind, "product-version") == 0 && (p1 = strchr(value, '|')) &&
	    (p2 = strchr(p1 + 1, '|')) && (p3 = strchr(p2 + 1, '|')))
		return cs__buf_printf(b, "%.*s %s%s%.*s%s", (int)(p2 - p1 - 1), p1 + 1, p3 + 1,
		                      p3 > p2 + 1 ? " (" : "", (int)(p3 - p2 - 1), p2 + 1,
		                      p3 > p2 + 1 ? ")" : "");
	return cs__buf_printf(b, "%s %s", kind, value);
}

static void dd_digest(struct hw *w, const char *name, const char *d)
{
	if (!d)
		return;
	pf(w, "<dt>%s</dt><dd class=\"mono\">", name);
	esc(w, d);
	put(w, "</dd>");
}

/*
 * The process tree around a process finding: its ancestors from the
 * oldest down, the process itself marked, with what matched in it (the
 * memory region, mapped file or socket). `js` is the JSON object the
 * case keeps; a damaged one shows nothing.
 */
static void process_tree(struct hw *w, const char *js)
{
	json_t *o = json_loads(js, 0, NULL), *par, *x;
	size_t i, n, depth = 0;

	if (!json_is_object(o)) {
		json_decref(o);
		return;
	}
	par = json_object_get(o, "parents");
	n = json_is_array(par) ? json_array_size(par) : 0;
	put(w, "<dt>Process tree</dt><dd><ul class=\"ptree mono\">");
	for (i = n; i > 0; i--, depth++) {
		json_t *pp = json_array_get(par, i - 1);

		pf(w, "<li style=\"margin-left:%zuem\">", depth);
		pf(w, "%lld ", (long long)json_integer_value(json_object_get(pp, "pid")));
		esc(w, json_string_value(json_object_get(pp, "comm")));
		if ((x = json_object_get(pp, "exe")) && json_string_length(x)) {
			put(w, " <small>");
			esc(w, json_string_value(x));
			put(w, "</small>");
		}
		put(w, "</li>");
	}
	pf(w, "<li style=\"margin-left:%zuem\"><strong>%lld ", depth,
	   (long long)json_integer_value(json_object_get(o, "pid")));
	esc(w, json_string_value(json_object_get(o, "comm")));
	put(w, "</strong> ");
	esc(w, json_string_value(json_object_get(o, "exe")));
	if (json_is_true(json_object_get(o, "exe_deleted")))
		put(w, " <span class=\"badge\">deleted</span>");
	put(w, "<br/><small>user ");
	esc(w, json_string_value(json_object_get(o, "user")));
	put(w, ", started ");
	esc(w, json_string_value(json_object_get(o, "start")));
	if ((x = json_object_get(o, "cmdline")) && json_string_length(x)) {
		put(w, ", command line ");
		esc_n(w, json_string_value(x), 300);
	}
	put(w, "</small><br/>&#8627; ");
	esc(w, json_string_value(json_object_get(o, "place")));
	if ((x = json_object_get(o, "region")) && json_is_object(x)) {
		put(w, " ");
		esc(w, json_string_value(json_object_get(x, "start")));
		put(w, "-");
		esc(w, json_string_value(json_object_get(x, "end")));
		put(w, " ");
		esc(w, json_string_value(json_object_get(x, "perms")));
		put(w, " ");
		esc(w, json_string_value(json_object_get(x, "name")));
	}
	if ((x = json_object_get(o, "file")) && json_is_string(x)) {
		put(w, " ");
		esc(w, json_string_value(x));
	}
	if ((x = json_object_get(o, "socket")) && json_is_string(x)) {
		put(w, " ");
		esc(w, json_string_value(x));
	}
	put(w, "</li></ul></dd>");
	json_decref(o);
}

/*
 * One finding: a row a person scans (what was found, where, when, why it
 * matters) with the full record unfolding under it. The row cuts long
 * values (a path keeps its end, a hash both ends); the details show
 * everything. The time is a <time> element of class "when".
 */
static int finding_row(struct hw *w, const struct cs_finding_rec *f, struct cs_buf *lab)
{
	const char *kind = cs__rpt_kind_name(f->kind);
	int64_t a = f->first_seen_ms ? f->first_seen_ms : f->last_seen_ms;
	int64_t b = f->last_seen_ms ? f->last_seen_ms : f->first_seen_ms;
	char t[CS_RPT_TIME_MAX];

	if (ind_label(lab, f->ind_kind, f->ind_value))
		return CS_ERR_NOMEM;
	pf(w, "<details class=\"finding%s\"><summary><span class=\"fmark\"></span>",
	   f->warninglisted ? " wl" : "");
	pf(w, "<span class=\"what\"><span class=\"kind k-%s\">%s</span> <span class=\"mono\">", kind,
	   kind);
	esc_mid(w, lab->data, ROW_WHAT_CHARS);
	put(w, "</span></span><span class=\"where mono\">");
	path_tail(w, f->location, ROW_WHERE_CHARS);
	put(w, "</span>");
	if (a) {
		pf(w, "<time class=\"when\" datetime=\"%s\">", cs__rpt_time(t, sizeof(t), a, 0));
		short_time(w, a, 0);
		if (b != a) {
			put(w, "<span class=\"to\">to ");
			short_time(w, b, 0);
			put(w, "</span>");
		}
	} else {
		put(w, "<time class=\"when\">no time");
	}
	if (f->count > 1) {
		put(w, "<span class=\"cnt\">seen ");
		count(w, f->count);
		put(w, " times</span>");
	}
	put(w, "</time>");
	why_cell(w, f);
	put(w, "</summary>\n<dl class=\"detail\"><dt>Indicator</dt><dd><span class=\"mono\">");
	esc(w, f->ind_kind);
	put(w, " ");
	esc(w, f->ind_value);
	put(w, "</span>");
	if (f->source) {
		put(w, "<br/><small>from ");
		esc(w, f->source);
		put(w, "</small>");
	}
	put(w, "</dd><dt>Matched by</dt><dd>");
	esc(w, f->evidence);
	if (f->observed) {
		put(w, ", <span class=\"mono\">");
		esc(w, f->observed);
		put(w, "</span>");
	}
	put(w, "</dd><dt>Where</dt><dd class=\"mono\">");
	esc_path(w, f->location ? f->location : "");
	put(w, "</dd><dt>First seen</dt><dd>");
	time_or(w, f->first_seen_ms, "no time");
	put(w, "</dd><dt>Last seen</dt><dd>");
	time_or(w, f->last_seen_ms, "no time");
	put(w, "</dd><dt>Count</dt><dd>");
	count(w, f->count);
	put(w, "</dd>");
	if (f->confidence >= 0)
		pf(w, "<dt>Confidence</dt><dd>%d</dd>", f->confidence);
	if (f->warninglisted)
		put(w, "<dt>Warninglist</dt><dd><span class=\"badge wl\">warninglisted</span> a "
		       "known benign value</dd>");
	if (!f->observed || !f->sha256 || strcmp(f->observed, f->sha256))
		dd_digest(w, "SHA-256", f->sha256);
	if (!f->observed || !f->sha1 || strcmp(f->observed, f->sha1))
		dd_digest(w, "SHA-1", f->sha1);
	if (!f->observed || !f->md5 || strcmp(f->observed, f->md5))
		dd_digest(w, "MD5", f->md5);
	labels_detail(w, f);
	if (f->process)
		process_tree(w, f->process);
	put(w, "</dl></details>\n");
	return CS_OK;
}

static int findings(struct hw *w)
{
	const struct cs_rpt *g = &w->g;
	const struct cs_report *r = g->r;
	struct cs_buf lab;
	size_t h, i, j;
	int rc = CS_OK;

	cs__buf_init(&lab, 0);
	put(w, "<section id=\"findings\">\n<h2>Findings per host</h2>\n");
	if (r->nfindings)
		put(w, "<p class=\"meta\">One row per finding: what was found, where, when "
		       "(UTC), and why it matters; open a row for the whole record.</p>\n");
	for (h = 0; !rc && h < g->nhosts; h++) {
		const struct cs_rpt_host *hh = &g->hosts[h];

		if (!hh->nfindings)
			continue;
		put(w, "<h3>");
		esc(w, hh->name);
		pf(w, " <small>(%zu finding%s)</small></h3>\n", hh->nfindings,
		   plural(hh->nfindings));
		put(w, "<div class=\"findings\"><div class=\"fhead\" aria-hidden=\"true\"><span></span>"
		       "<span>What</span><span>Where</span><span>When</span><span>Why</span>"
		       "</div>\n");
		for (i = 0; !rc && i < hh->nfindings; i++)
			rc = finding_row(w, &r->findings[hh->findings[i]], &lab);
		put(w, "</div>\n");
	}
	for (h = 0, j = 0; h < g->nhosts; h++) {
		const struct cs_host_coverage *c = g->hosts[h].cov;

		if (g->hosts[h].nfindings)
			continue;
		put(w, j++ ? "; " : "<p>No findings on: ");
		esc(w, g->hosts[h].name);
		if (c && c->intel_version) {
			put(w, ", checked against ");
			intel_phrase(w, c->intel_version, c->intel_indicators);
		}
	}
	if (j)
		put(w, ".</p>\n");
	if (!r->nfindings && !g->nhosts)
		put(w, "<p>No findings.</p>\n");
	put(w, "</section>\n");
	cs__buf_release(&lab);
	return rc;
}

/* ------------------------------------------------------------ timeline */

struct axis {
	int64_t lo, hi;
};

/* Where time t sits on the axis, in percent of the lane's width. */
static double pct(const struct axis *a, int64_t t)
{
	return (double)(t - a->lo) * 100.0 / (double)(a->hi - a->lo);
}

static int64_t first_of(const struct cs_finding_rec *f)
{
	return f->first_seen_ms ? f->first_seen_ms : f->last_seen_ms;
}

static int64_t last_of(const struct cs_finding_rec *f)
{
	return f->last_seen_ms ? f->last_seen_ms : f->first_seen_ms;
}

/* Sort finding indexes by first time (a bottom-up merge sort: stable,
 * n log n, no global state as qsort's comparator needs). */
static int sort_by_time(const struct cs_report *r, size_t *v, size_t n)
{
	size_t width, *t = n ? cs__calloc(n, sizeof(*t)) : NULL, *src = v, *dst = t;

	if (n && !t)
		return CS_ERR_NOMEM;
	for (width = 1; width < n; width *= 2) {
		size_t lo, *swap;

		for (lo = 0; lo < n; lo += 2 * width) {
			size_t mid = lo + width < n ? lo + width : n;
			size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
			size_t a = lo, b = mid, o = lo;

			while (a < mid && b < hi)
				dst[o++] = first_of(&r->findings[src[b]]) <
				                           first_of(&r->findings[src[a]])
				                   ? src[b++]
				                   : src[a++];
			while (a < mid)
				dst[o++] = src[a++];
			while (b < hi)
				dst[o++] = src[b++];
		}
		swap = src;
		src = dst;
		dst = swap;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
	free(t);
	return CS_OK;
}

/* A tick under the lanes at time t, on a line of its own so no two
 * labels meet: left of the middle the text starts at the tick, right of
 * it the text ends there, so it never runs past the lane. */
static void tick(struct hw *w, const struct axis *a, int64_t t, const char *what)
{
	double x = pct(a, t);

	if (x <= 50)
		pf(w, "<div class=\"trow\"><span class=\"tk l\" style=\"left:%.2f%%\">", x);
	else
		pf(w, "<div class=\"trow\"><span class=\"tk r\" style=\"right:%.2f%%\">", 100 - x);
	if (what) {
		esc_n(w, what, 24);
		put(w, " ");
	}
	short_time(w, t, 1);
	put(w, "</span></div>\n");
}

/* The incident windows the findings name (borrowed), in report order. */
static int used_windows(const struct cs_rpt *g, const struct cs_incident_window ***out,
                        size_t *n)
{
	const struct cs_report *r = g->r;
	size_t i, j, k, cap = 0;

	*out = NULL;
	*n = 0;
	for (i = 0; i < r->nwindows; i++) {
		const struct cs_incident_window *iw = &r->windows[i];
		int used = 0;

		if (!iw->name || (!iw->from_ms && !iw->until_ms))
			continue;
		for (j = 0; !used && j < g->ninds; j++) {
			const struct cs_rpt_ind *e = &g->inds[j];

			for (k = 0; !used && k < e->nlabels; k++) {
				const char *v = cs__rpt_label_value(e->labels[k], "campaign:");

				used = v && strcmp(v, iw->name) == 0;
			}
		}
		if (!used)
			continue;
		if (cs__grow((void **)out, &cap, *n + 1, sizeof(**out)))
			return CS_ERR_NOMEM;
		(*out)[(*n)++] = iw;
	}
	return CS_OK;
}

/* One host's lane: its findings with a time as marks (a bar from first
 * to last seen, a dot when they are one moment), stacked so that marks
 * do not cover each other, over the incident windows' bands. */
static int lane(struct hw *w, const struct cs_rpt_host *hh, const struct axis *a,
                const struct cs_incident_window *const *bands, size_t nbands, size_t *budget)
{
	const struct cs_report *r = w->r;
	double ends[TL_MAX_SUB];
	size_t *v = NULL, n = 0, i, nsub = 0, *sub = NULL;
	int rc = CS_OK;

	v = cs__calloc(hh->nfindings ? hh->nfindings : 1, sizeof(*v));
	sub = cs__calloc(hh->nfindings ? hh->nfindings : 1, sizeof(*sub));
	if (!v || !sub) {
		rc = CS_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < hh->nfindings && n < *budget; i++) {
		if (first_of(&r->findings[hh->findings[i]]))
			v[n++] = hh->findings[i];
	}
	*budget -= n;
	if (!n)
		goto out;
	rc = sort_by_time(r, v, n);
	if (rc)
		goto out;
	/* Greedy stacking: a mark goes on the first row whose last mark
	 * ends 3% of the lane before it starts (8 px marks stay apart down
	 * to a lane 270 px wide). */
	for (i = 0; i < n; i++) {
		const struct cs_finding_rec *f = &r->findings[v[i]];
		double x0 = pct(a, first_of(f)), x1 = pct(a, last_of(f));
		size_t s;

		for (s = 0; s < nsub && ends[s] + 3 > x0; s++)
			;
		if (s == nsub && nsub < TL_MAX_SUB)
			nsub++;
		else if (s == nsub)
			s = nsub - 1;
		ends[s] = x1 > x0 + 1 ? x1 : x0 + 1;
		sub[i] = s;
	}
	put(w, "<div class=\"lane\"><div class=\"lname\">");
	esc(w, hh->name);
	pf(w, "</div><div class=\"track\" style=\"height:%zupx\">", nsub * 14 + 6);
	for (i = 0; i < nbands; i++) {
		int64_t f = bands[i]->from_ms ? bands[i]->from_ms : a->lo;
		int64_t u = bands[i]->until_ms ? bands[i]->until_ms : a->hi;

		pf(w, "<div class=\"band\" style=\"left:%.2f%%;width:%.2f%%\"></div>", pct(a, f),
		   pct(a, u) - pct(a, f));
	}
	for (i = 0; i < n; i++) {
		const struct cs_finding_rec *f = &r->findings[v[i]];
		double x0 = pct(a, first_of(f)), x1 = pct(a, last_of(f));

		pf(w, "<span class=\"mk k-%s%s%s\" style=\"left:%.2f%%;width:%.2f%%;top:%zupx\" "
		      "title=\"",
		   cs__rpt_kind_name(f->kind), f->warninglisted ? " wl" : "",
		   x1 - x0 < 0.5 ? " pt" : "", x0, x1 - x0, 4 + sub[i] * 14);
		esc(w, f->ind_kind);
		put(w, " ");
		esc(w, f->ind_value);
		put(w, " at ");
		esc(w, f->location);
		put(w, ": ");
		time_or(w, f->first_seen_ms ? f->first_seen_ms : f->last_seen_ms, "");
		if (last_of(f) != first_of(f)) {
			put(w, " to ");
			time_or(w, last_of(f), "");
		}
		put(w, "\"></span>");
	}
	put(w, "</div></div>\n");
out:
	free(v);
	free(sub);
	return rc;
}

/*
 * The timeline: one lane per host with a mark per finding with a time,
 * over a shaded band per incident window that a "campaign:" label of the
 * findings names; under the lanes, ticks at the axis's ends and at each
 * window's edges. HTML boxes placed in percent, not a drawing, so the
 * text keeps its size at any width. Indicators without a time are listed
 * under it.
 */
static int timeline(struct hw *w)
{
	const struct cs_rpt *g = &w->g;
	const struct cs_report *r = g->r;
	const struct cs_incident_window **bands = NULL;
	size_t nbands = 0, i, j, ntimed = 0, budget = TL_MAX_MARKS, notime = 0;
	uint64_t kinds[5] = {0, 0, 0, 0, 0};
	struct axis a = {0, 0};
	int rc, wl = 0;

	put(w, "<section id=\"timeline\">\n<h2>Timeline</h2>\n");
	rc = used_windows(g, &bands, &nbands);
	if (rc)
		goto out;
	for (i = 0; i < r->nfindings; i++) {
		const struct cs_finding_rec *f = &r->findings[i];
		int64_t t0 = first_of(f), t1 = last_of(f);

		if (!t0)
			continue;
		ntimed++;
		kinds[(unsigned)f->kind <= 4 ? (unsigned)f->kind : 0]++;
		wl |= f->warninglisted;
		if (!a.lo || t0 < a.lo)
			a.lo = t0;
		if (!a.hi || t1 > a.hi)
			a.hi = t1;
	}
	if (!ntimed) {
		put(w, "<p>No finding has a time: nothing to draw.</p>\n");
	} else {
		int64_t pad;

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
		pad = (a.hi - a.lo) / 30;
		a.lo -= pad;
		a.hi += pad;
		/* Ends on whole days (whole hours for a short span): the
		 * labels at the ends read as round times. */
		pad = a.hi - a.lo >= 2 * DAY_MS ? DAY_MS : 3600000;
		a.lo = floor_div(a.lo, pad) * pad;
		a.hi = (floor_div(a.hi - 1, pad) + 1) * pad;
		put(w, "<p class=\"meta\">One lane per host; each mark a finding, from first to "
		       "last contact (UTC)");
		if (nbands)
			put(w, ", against the compromise window of each incident (shaded, its "
			       "edges ticked under the lanes)");
		put(w, ". Hover a mark for what it is; the findings above list each.</p>\n"
		       "<div class=\"tl\">\n");
		for (i = 0; i < nbands; i++) {
			int64_t f = bands[i]->from_ms ? bands[i]->from_ms : a.lo;
			int64_t u = bands[i]->until_ms ? bands[i]->until_ms : a.hi;

			put(w, "<div class=\"lane\"><div class=\"lname meta\">");
			put(w, i ? "" : "Incidents");
			pf(w, "</div><div class=\"track wrow\"><div class=\"band\" "
			      "style=\"left:%.2f%%;width:%.2f%%\" title=\"",
			   pct(&a, f), pct(&a, u) - pct(&a, f));
			esc(w, bands[i]->name);
			put(w, ": compromise window ");
			time_or(w, bands[i]->from_ms, "(open)");
			put(w, " to ");
			time_or(w, bands[i]->until_ms, "(open)");
			put(w, "\">");
			esc(w, bands[i]->name);
			put(w, "</div></div></div>\n");
		}
		for (i = 0; !rc && i < g->nhosts; i++)
			rc = lane(w, &g->hosts[i], &a, bands, nbands, &budget);
		if (rc)
			goto out;
		put(w, "<div class=\"lane\"><div class=\"lname\"></div><div class=\"ticks\">\n");
		pf(w, "<div class=\"trow\"><span class=\"tk l\" style=\"left:0%%\">");
		short_time(w, a.lo, 1);
		pf(w, "</span><span class=\"tk r\" style=\"right:0%%\">");
		short_time(w, a.hi, 1);
		put(w, "</span></div>\n");
		for (i = 0; i < nbands; i++) {
			if (bands[i]->from_ms)
				tick(w, &a, bands[i]->from_ms, nbands > 1 ? bands[i]->name : NULL);
			if (bands[i]->until_ms)
				tick(w, &a, bands[i]->until_ms, nbands > 1 ? bands[i]->name : NULL);
		}
		put(w, "</div></div>\n</div>\n<p class=\"meta\">Marks:");
		for (j = 1; j <= 4; j++) {
			if (kinds[j])
				pf(w, "<span class=\"key k-%s\"></span>%s",
				   cs__rpt_kind_name((enum cs_finding_kind)j),
				   j == CS_FIND_FILE       ? "file (its time)"
				   : j == CS_FIND_LOG      ? "log contact"
				   : j == CS_FIND_PROCESS  ? "process (its start)"
				                           : "software (installed)");
		}
		if (wl)
			put(w, "<span class=\"key wl\"></span>warninglisted");
		if (nbands)
			put(w, "<span class=\"key kband\"></span>compromise window");
		put(w, ".</p>\n");
		if (ntimed > TL_MAX_MARKS)
			pf(w, "<p>%zu more findings with a time are not drawn.</p>\n",
			   ntimed - TL_MAX_MARKS);
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
	free(bands);
	return rc;
}

/* ------------------------------------------------------------- overlap */

/* The colour and dash of an evidence relation in the graph (the legend
 * shows the same with the "r-NAME" classes). */
static const char *rel_stroke(enum cs_relation rel)
{
	switch (rel) {
	case CS_REL_EXACT:
		return "stroke=\"#c0392b\"";
	case CS_REL_PARENT:
		return "stroke=\"#d35400\" stroke-dasharray=\"6 3\"";
	case CS_REL_URL_HOST:
		return "stroke=\"#2471a3\" stroke-dasharray=\"6 3\"";
	case CS_REL_RESOLUTION:
		return "stroke=\"#117a65\" stroke-dasharray=\"2 3\"";
	case CS_REL_COOCCUR:
		return "stroke=\"#7d3c98\" stroke-dasharray=\"2 3\"";
	default:
		return "stroke=\"#7b858e\" stroke-dasharray=\"2 3\"";
	}
}

/* The value nodes of the graph: the distinct query values of the
 * counted evidence of the first leads, in order of first use. */
struct og {
	const char **vals;
	size_t nvals, cap;
	double cy[OG_LEADS];
	size_t nleads;
};

static int og_value(struct og *o, const char *v, size_t *at)
{
	size_t i;

	for (i = 0; i < o->nvals && strcmp(o->vals[i], v); i++)
		;
	if (i == o->nvals) {
		if (cs__grow((void **)&o->vals, &o->cap, o->nvals + 1, sizeof(*o->vals)))
			return CS_ERR_NOMEM;
		o->vals[o->nvals++] = v;
	}
	*at = i;
	return CS_OK;
}

static double og_y(size_t row)
{
	return 10 + (double)row * OG_ROW + OG_ROW / 2.0;
}

/*
 * The evidence graph, drawn here rather than taken from the graph
 * writer so that it fits a phone: on the left the values found (each in
 * a box sized to its text, cut in the middle past OG_CHARS), on the right
 * a numbered node per lead placed beside its values and pushed apart so
 * that no two touch, and between them one line per counted piece of
 * evidence, its colour and dash the relation, its width the weight. No
 * text sits on a line: what a line means is in the legend under the
 * drawing and in each line's tooltip.
 */
static int overlap_graph(struct hw *w)
{
	const struct cs_report *r = w->r;
	struct og o;
	size_t i, j, k, n, at, sum[OG_LEADS], cnt[OG_LEADS];
	double height;
	int rc = CS_OK, used[CS_REL_COUNT];

	memset(&o, 0, sizeof(o));
	memset(used, 0, sizeof(used));
	o.nleads = r->nleads < OG_LEADS ? r->nleads : OG_LEADS;
	for (i = 0; i < o.nleads; i++) {
		const struct cs_lead *l = r->leads[i];

		sum[i] = cnt[i] = 0;
		for (j = 0, n = 0; l && j < l->nevidence && n < OG_PER_LEAD; j++) {
			if (!l->evidence[j].counted || !l->evidence[j].qvalue)
				continue;
			rc = og_value(&o, l->evidence[j].qvalue, &at);
			if (rc)
				goto out;
			sum[i] += at;
			cnt[i]++;
			n++;
		}
	}
	if (!o.nvals)
		goto out;
	/* Each lead beside the mean of its values, then pushed down and up
	 * so nodes keep a row apart and stay inside the drawing. */
	height = 20 + (double)o.nvals * OG_ROW;
	if (height < 20 + (double)o.nleads * OG_ROW)
		height = 20 + (double)o.nleads * OG_ROW;
	for (i = 0; i < o.nleads; i++) {
		o.cy[i] = cnt[i] ? og_y(0) + (double)sum[i] / (double)cnt[i] * OG_ROW : og_y(i);
		if (i && o.cy[i] < o.cy[i - 1] + OG_ROW)
			o.cy[i] = o.cy[i - 1] + OG_ROW;
	}
	for (i = o.nleads; i-- > 0;) {
		double max = i + 1 < o.nleads ? o.cy[i + 1] - OG_ROW : height - 10 - OG_ROW / 2.0;

		if (o.cy[i] > max)
			o.cy[i] = max;
	}
	pf(w,
	   "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %.0f\" role=\"img\" "
	   "aria-label=\"Evidence graph: values found, linked to the clusters they overlap\">\n",
	   OG_WIDTH, height);
	for (i = 0; i < o.nleads; i++) {
		const struct cs_lead *l = r->leads[i];

		for (j = 0, n = 0; l && j < l->nevidence && n < OG_PER_LEAD; j++) {
			const struct cs_lead_evidence *e = &l->evidence[j];
			double x0, y0, y1, sw;

			if (!e->counted || !e->qvalue)
				continue;
			n++;
			for (k = 0; k < o.nvals && strcmp(o.vals[k], e->qvalue); k++)
				;
			x0 = 10 + (double)(cps(o.vals[k]) < OG_CHARS ? cps(o.vals[k]) : OG_CHARS) *
			                  OG_CHAR_W +
			     12;
			y0 = og_y(k);
			y1 = o.cy[i];
			sw = 1 + 3 * (e->weight > 1 ? 1 : e->weight < 0 ? 0 : e->weight);
			used[(unsigned)e->relation < CS_REL_COUNT ? e->relation : CS_REL_PREFIX] = 1;
			pf(w,
			   "<path class=\"edge\" %s stroke-width=\"%.1f\" d=\"M%.1f %.1f C%.1f %.1f "
			   "%.1f %.1f %.1f %.1f\"><title>",
			   rel_stroke(e->relation), sw, x0, y0, (x0 + OG_NODE_X) / 2, y0,
			   (x0 + OG_NODE_X) / 2, y1, (double)OG_NODE_X - OG_NODE_R, y1);
			pf(w, "%s ", cs_relation_name(e->relation));
			esc(w, e->qvalue);
			if (e->relation != CS_REL_EXACT && e->value) {
				put(w, " &#8594; ");
				esc(w, e->value);
			}
			pf(w, " (weight %.2f) &#8594; #%zu ", e->weight, i + 1);
			esc(w, l->cluster);
			put(w, "</title></path>\n");
		}
	}
	for (k = 0; k < o.nvals; k++) {
		size_t c = cps(o.vals[k]) < OG_CHARS ? cps(o.vals[k]) : OG_CHARS;

		pf(w,
		   "<g><title>");
		esc(w, o.vals[k]);
		pf(w,
		   "</title><rect class=\"vnode\" x=\"10\" y=\"%.1f\" width=\"%.1f\" height=\"20\" "
		   "rx=\"3\"/><text x=\"16\" y=\"%.1f\">",
		   og_y(k) - 10, (double)c * OG_CHAR_W + 12, og_y(k) + 4);
		esc_mid(w, o.vals[k], OG_CHARS);
		put(w, "</text></g>\n");
	}
	for (i = 0; i < o.nleads; i++) {
		pf(w, "<g><title>#%zu ", i + 1);
		esc(w, r->leads[i] ? r->leads[i]->cluster : "");
		pf(w,
		   "</title><circle class=\"cnode\" cx=\"%d\" cy=\"%.1f\" r=\"%d\"/>"
		   "<text class=\"cnum\" x=\"%d\" y=\"%.1f\" text-anchor=\"middle\">%zu</text></g>\n",
		   OG_NODE_X, o.cy[i], OG_NODE_R, OG_NODE_X, o.cy[i] + 4, i + 1);
	}
	put(w, "</svg>\n<figcaption><ul class=\"legend\">\n");
	for (i = 0; i < o.nleads; i++) {
		pf(w, "<li><strong>%zu</strong> ", i + 1);
		esc(w, r->leads[i] ? r->leads[i]->cluster : "");
		pf(w, " <small>(score %.2f)</small></li>\n", r->leads[i] ? r->leads[i]->score : 0);
	}
	put(w, "</ul>\n<ul class=\"legend\">\n");
	for (k = 0; k < CS_REL_COUNT; k++) {
		if (!used[k])
			continue;
		pf(w, "<li><span class=\"rel r-%s\"></span>%s</li>\n",
		   cs_relation_name((enum cs_relation)k), cs_relation_name((enum cs_relation)k));
	}
	put(w, "</ul>\n<p class=\"meta\">Left: values found on the hosts; right: the "
	       "clusters (numbered as in the table). A thicker line is heavier evidence; "
	       "hover a line or a box for its full text.</p></figcaption>\n");
out:
	free(o.vals);
	return rc;
}

/* Whose activity: the overlap leads of the case, with their evidence. */
static int overlap(struct hw *w)
{
	const struct cs_report *r = w->r;
	size_t i, j, shown;
	int k, rc;

	if (!r->leads || !r->nleads)
		return CS_OK;
	put(w, "<section id=\"overlap\">\n<h2>Whose activity: overlap leads</h2>\n"
	       "<p class=\"meta\">Known activity clusters of the case's intel that share values "
	       "with what was found, ranked by weighted overlap (chainsweep correlate --case). "
	       "Each piece of evidence weighs kind &times; relation / source files naming the "
	       "value; warninglisted values count nothing. Leads, not verdicts.</p>\n"
	       "<table class=\"cards\">\n<thead><tr><th>#</th><th>Cluster</th><th>Score</th>"
	       "<th>Shared</th><th>Evidence (counted)</th></tr></thead>\n<tbody>\n");
	for (i = 0; i < r->nleads; i++) {
		const struct cs_lead *l = r->leads[i];

		if (!l)
			continue;
		pf(w, "<tr><td class=\"num\" data-l=\"#\">%zu</td><td data-l=\"Cluster\">", i + 1);
		esc(w, l->cluster);
		pf(w, "</td><td class=\"num\" data-l=\"Score\">%.2f", l->score);
		for (k = 0; k < CS_REL_COUNT; k++) {
			if (l->by_relation[k] > 0)
				pf(w, "<br/><small>%s %.2f</small>",
				   cs_relation_name((enum cs_relation)k), l->by_relation[k]);
		}
		pf(w, "</td><td class=\"num\" data-l=\"Shared\">%zu</td><td class=\"ev\" data-l=\"Evidence\">",
		   l->shared);
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
	put(w, "</tbody>\n</table>\n<figure class=\"evidence\">\n");
	rc = overlap_graph(w);
	put(w, "</figure>\n</section>\n");
	return rc;
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
	put(w, "<table class=\"cards\">\n<thead><tr><th>Host</th><th>Swept</th><th>Intel</th>"
	       "<th>Files</th><th>Fully read</th><th>Log files</th><th>Log lines</th>"
	       "<th>Packages</th><th>Gaps</th><th>Status</th></tr></thead>\n<tbody>\n");
	for (h = 0; h < g->nhosts; h++) {
		const struct cs_host_coverage *c = g->hosts[h].cov;

		put(w, "<tr><td data-l=\"Host\"><strong>");
		esc(w, g->hosts[h].name);
		put(w, "</strong></td>");
		if (!c) {
			put(w, "<td colspan=\"8\">no coverage record</td><td data-l=\"Status\">"
			       "unknown</td></tr>\n");
			continue;
		}
		put(w, "<td data-l=\"Swept\">");
		time_or(w, c->swept_ms, "");
		put(w, "</td><td data-l=\"Intel\">");
		if (c->intel_version) {
			pf(w, "version %lld", (long long)c->intel_version);
			if (c->intel_indicators) {
				put(w, "<br/><small>");
				count(w, c->intel_indicators);
				pf(w, " indicator%s</small>", plural(c->intel_indicators));
			}
		} else {
			put(w, "unrecorded");
		}
		put(w, "</td><td class=\"num\" data-l=\"Files\">");
		count(w, c->files);
		put(w, "</td><td class=\"num\" data-l=\"Fully read\">");
		count(w, c->files_fully);
		put(w, "</td><td class=\"num\" data-l=\"Log files\">");
		count(w, c->log_files);
		put(w, "</td><td class=\"num\" data-l=\"Log lines\">");
		count(w, c->log_lines);
		put(w, "</td><td class=\"num\" data-l=\"Packages\">");
		count(w, c->packages);
		put(w, "</td><td data-l=\"Gaps\">");
		for (i = 0; c->gaps && i < c->ngaps; i++) {
			put(w, i ? "<br/>" : "");
			esc(w, c->gaps[i]);
		}
		if (!c->ngaps)
			put(w, "none");
		put(w, c->incomplete ? "</td><td data-l=\"Status\"><span class=\"badge inc\">"
		                       "INCOMPLETE</span></td>"
		                     : "</td><td data-l=\"Status\"><span class=\"badge ok\">"
		                       "complete</span></td>");
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
	if (r->intel_version) {
		put(&w, "; the case holds ");
		intel_phrase(&w, r->intel_version, r->intel_indicators);
	}
	put(&w, ". Times are UTC.</p>\n</header>\n<main>\n");
	rc = summary(&w);
	if (!rc)
		rc = findings(&w);
	if (!rc)
		rc = timeline(&w);
	if (!rc)
		rc = overlap(&w);
	if (!rc) {
		coverage(&w);
		put(&w, "</main>\n<footer>Written by chainsweep; this page loads nothing from "
		        "elsewhere.</footer>\n</body>\n</html>\n");
		rc = cs__rpt_flush(out);
	}
out:
	cs__rpt_release(&w.g);
	return rc;
}

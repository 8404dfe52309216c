/*
 * One progress line for every long command, on a terminal only:
 *
 *   scan files: 12,345 files · 1.2 GB · 85.3 MB/s · 2 found · 0:14
 *   scan logs: 3 files · 310.0 MB of 1.1 GB (28%) · 120.4 MB/s · 0 found · 0:02, ETA 0:07
 *
 * what is being done, how many items, the bytes (out of the total when it
 * is known beforehand, with the share done and an estimate of the time
 * left), the rate, findings so far and the time spent. It is rewritten in
 * place and cleared before anything else is printed to the terminal.
 */
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "cli.h"

void cli_progress_init(struct cli_progress *p, const struct cli_global *g, const char *what)
{
	memset(p, 0, sizeof(*p));
	p->what = what;
	p->enabled = !g->quiet && !g->json && isatty(STDERR_FILENO);
}

/* 1234567 -> "1,234,567" */
static const char *thousands(uint64_t v, char *buf, size_t len)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v), i, o = 0;

	for (i = 0; i < n && (size_t)o + 2 < len; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
	return buf;
}

static const char *bytes(uint64_t b, char *buf, size_t len)
{
	if (b >= 1000000000ull)
		snprintf(buf, len, "%.1f GB", (double)b / 1e9);
	else
		snprintf(buf, len, "%.1f MB", (double)b / 1e6);
	return buf;
}

static const char *duration(double s, char *buf, size_t len)
{
	unsigned long t = s > 0 ? (unsigned long)(s + 0.5) : 0;

	if (t >= 3600)
		snprintf(buf, len, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, len, "%lu:%02lu", t / 60, t % 60);
	return buf;
}

void cli_progress_show(struct cli_progress *p, uint64_t items, const char *unit, uint64_t done,
                       double seconds)
{
	char a[32], b[32], c[32], d[32], e[32];
	double rate = seconds > 0 ? (double)done / seconds : 0;

	if (!p->enabled)
		return;
	/* At most four times a second, whoever calls. */
	if (p->shown && seconds - p->last < 0.25 && seconds >= p->last)
		return;
	p->last = seconds;
	fprintf(stderr, "\r\033[K%s: %s %s · %s", p->what, thousands(items, a, sizeof(a)), unit,
	        bytes(done, b, sizeof(b)));
	if (p->total && done <= p->total)
		fprintf(stderr, " of %s (%.0f%%)", bytes(p->total, c, sizeof(c)),
		        100.0 * (double)done / (double)p->total);
	fprintf(stderr, " · %.1f MB/s · %s %s · %s", rate / 1e6, thousands(p->found, d, sizeof(d)),
	        p->found_word ? p->found_word : "found", duration(seconds, e, sizeof(e)));
	if (p->total && done <= p->total && rate > 0 && seconds >= 2)
		fprintf(stderr, ", ETA %s", duration((double)(p->total - done) / rate, a, sizeof(a)));
	p->shown = 1;
}

void cli_progress_clear(struct cli_progress *p)
{
	if (p->shown) {
		fputs("\r\033[K", stderr);
		p->shown = 0;
	}
}

static uint64_t tree_sum;

static int add_size(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (type == FTW_F && S_ISREG(st->st_mode))
		tree_sum += (uint64_t)st->st_size;
	return 0;
}

uint64_t cli_tree_bytes(const char *const *paths, size_t n)
{
	struct stat st;
	size_t i;

	tree_sum = 0;
	for (i = 0; i < n; i++) {
		if (strcmp(paths[i], "-") == 0 || stat(paths[i], &st) != 0)
			continue;
		if (S_ISREG(st.st_mode))
			tree_sum += (uint64_t)st.st_size;
		else if (S_ISDIR(st.st_mode))
			nftw(paths[i], add_size, 32, FTW_PHYS);
	}
	return tree_sum;
}

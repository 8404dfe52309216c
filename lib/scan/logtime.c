/*
 * Event times in logs (docs/log-hunt.md): ISO 8601 / RFC 3339, RFC 3164
 * and RFC 5424 syslog, epoch seconds or milliseconds (Zeek's "ts"),
 * the common web-log form and the US form Windows tools export. Each
 * parser reads at the start of its input and returns epoch milliseconds.
 * Stamps without a zone are read in the zone given (minutes east of UTC).
 */
#include <string.h>
#include <time.h>

#include "scan/logscan_int.h"

static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static int month_of(const char *s, size_t n)
{
	int i;

	if (n < 3)
		return -1;
	for (i = 0; i < 12; i++)
		if (cs__strncasecmp(s, months[i], 3) == 0)
			return i;
	return -1;
}

/* Read exactly `w` digits. */
static int digits(const char *s, size_t n, size_t *i, int w, int *out)
{
	int v = 0, k;

	if (*i + (size_t)w > n)
		return -1;
	for (k = 0; k < w; k++) {
		char c = s[*i + (size_t)k];

		if (!cs__isdigit((unsigned char)c))
			return -1;
		v = v * 10 + (c - '0');
	}
	*i += (size_t)w;
	*out = v;
	return 0;
}

/* One or two digits. */
static int digits12(const char *s, size_t n, size_t *i, int *out)
{
	if (*i < n && s[*i] == ' ')
		(*i)++; /* syslog pads single-digit days with a space */
	if (digits(s, n, i, 2, out) == 0)
		return 0;
	return digits(s, n, i, 1, out);
}

static int64_t to_ms(int y, int mo, int d, int h, int mi, int se, int ms, int tz_min)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	return ((int64_t)timegm(&tm) - (int64_t)tz_min * 60) * 1000 + ms;
}

static int valid(int y, int mo, int d, int h, int mi, int se)
{
	return y >= 1970 && y <= 2200 && mo >= 0 && mo < 12 && d >= 1 && d <= 31 && h >= 0 &&
	       h < 24 && mi >= 0 && mi < 60 && se >= 0 && se <= 60;
}

/* ".123456" -> milliseconds; advances past every fraction digit. */
static int fraction(const char *s, size_t n, size_t *i)
{
	int ms = 0, k = 0;

	if (*i >= n || (s[*i] != '.' && s[*i] != ','))
		return 0;
	(*i)++;
	while (*i < n && cs__isdigit((unsigned char)s[*i])) {
		if (k < 3)
			ms = ms * 10 + (s[*i] - '0');
		k++;
		(*i)++;
	}
	while (k > 0 && k < 3) {
		ms *= 10;
		k++;
	}
	return ms;
}

/* "Z", "+hh:mm", "+hhmm", "+hh"; 1 when a zone was read. */
static int zone(const char *s, size_t n, size_t *i, int *tz)
{
	int hh, mm = 0, sign;

	if (*i < n && (s[*i] == 'Z' || s[*i] == 'z')) {
		(*i)++;
		*tz = 0;
		return 1;
	}
	if (*i >= n || (s[*i] != '+' && s[*i] != '-'))
		return 0;
	sign = s[*i] == '-' ? -1 : 1;
	(*i)++;
	if (digits(s, n, i, 2, &hh))
		return 0;
	if (*i < n && s[*i] == ':')
		(*i)++;
	if (*i + 1 < n && cs__isdigit((unsigned char)s[*i]))
		digits(s, n, i, 2, &mm);
	*tz = sign * (hh * 60 + mm);
	return 1;
}

int cs__time_iso(const char *s, size_t n, int tz_min, int64_t *ms, size_t *used)
{
	size_t i = 0;
	int y, mo, d, h = 0, mi = 0, se = 0, frac = 0, tz = tz_min;

	if (digits(s, n, &i, 4, &y) || i >= n || s[i++] != '-' || digits(s, n, &i, 2, &mo) ||
	    i >= n || s[i++] != '-' || digits(s, n, &i, 2, &d))
		return -1;
	if (i < n && (s[i] == 'T' || s[i] == ' ') && i + 1 < n &&
	    cs__isdigit((unsigned char)s[i + 1])) {
		i++;
		if (digits(s, n, &i, 2, &h) || i >= n || s[i++] != ':' || digits(s, n, &i, 2, &mi))
			return -1;
		if (i < n && s[i] == ':') {
			i++;
			if (digits(s, n, &i, 2, &se))
				return -1;
			frac = fraction(s, n, &i);
		}
		zone(s, n, &i, &tz);
	}
	if (!valid(y, mo - 1, d, h, mi, se))
		return -1;
	*ms = to_ms(y, mo - 1, d, h, mi, se, frac, tz);
	if (used)
		*used = i;
	return 0;
}

int cs__time_3164(const char *s, size_t n, int year, int tz_min, int64_t *ms, size_t *used)
{
	size_t i = 3;
	int mo = month_of(s, n), d, h, mi, se, frac;

	if (mo < 0 || i >= n || s[i++] != ' ' || digits12(s, n, &i, &d) || i >= n ||
	    s[i++] != ' ' || digits(s, n, &i, 2, &h) || i >= n || s[i++] != ':' ||
	    digits(s, n, &i, 2, &mi) || i >= n || s[i++] != ':' || digits(s, n, &i, 2, &se))
		return -1;
	frac = fraction(s, n, &i);
	if (!valid(year, mo, d, h, mi, se))
		return -1;
	*ms = to_ms(year, mo, d, h, mi, se, frac, tz_min);
	if (used)
		*used = i;
	return 0;
}

int cs__time_epoch(const char *s, size_t n, int64_t *ms, size_t *used)
{
	size_t i = 0;
	int64_t v = 0;
	int frac;

	while (i < n && cs__isdigit((unsigned char)s[i]) && i < 14)
		v = v * 10 + (s[i++] - '0');
	if (i < n && cs__isdigit((unsigned char)s[i]))
		return -1;
	if (i >= 9 && i <= 10) {
		/* Seconds from 1973 to 2286. */
		frac = fraction(s, n, &i);
		*ms = v * 1000 + frac;
	} else if (i >= 12 && i <= 13) {
		*ms = v;
	} else {
		return -1;
	}
	if (used)
		*used = i;
	return 0;
}

int cs__time_web(const char *s, size_t n, int64_t *ms, size_t *used)
{
	size_t i = 0;
	int d, mo, y, h, mi, se, tz = 0;

	if (digits12(s, n, &i, &d) || i >= n || s[i++] != '/')
		return -1;
	mo = month_of(s + i, n - i);
	i += 3;
	if (mo < 0 || i >= n || s[i++] != '/' || digits(s, n, &i, 4, &y) || i >= n ||
	    s[i++] != ':' || digits(s, n, &i, 2, &h) || i >= n || s[i++] != ':' ||
	    digits(s, n, &i, 2, &mi) || i >= n || s[i++] != ':' || digits(s, n, &i, 2, &se))
		return -1;
	if (i < n && s[i] == ' ')
		i++;
	zone(s, n, &i, &tz);
	if (!valid(y, mo, d, h, mi, se))
		return -1;
	*ms = to_ms(y, mo, d, h, mi, se, 0, tz);
	if (used)
		*used = i;
	return 0;
}

int cs__time_us(const char *s, size_t n, int tz_min, int64_t *ms, size_t *used)
{
	size_t i = 0;
	int mo, d, y, h, mi, se = 0;

	if (digits12(s, n, &i, &mo) || i >= n || s[i++] != '/' || digits12(s, n, &i, &d) ||
	    i >= n || s[i++] != '/' || digits(s, n, &i, 4, &y) || i >= n || s[i++] != ' ' ||
	    digits12(s, n, &i, &h) || i >= n || s[i++] != ':' || digits(s, n, &i, 2, &mi))
		return -1;
	if (i < n && s[i] == ':') {
		i++;
		if (digits(s, n, &i, 2, &se))
			return -1;
	}
	if (i + 2 < n && s[i] == ' ' && (s[i + 1] == 'P' || s[i + 1] == 'A') && s[i + 2] == 'M') {
		if (h == 12)
			h = 0;
		if (s[i + 1] == 'P')
			h += 12;
		i += 3;
	}
	if (!valid(y, mo - 1, d, h, mi, se))
		return -1;
	*ms = to_ms(y, mo - 1, d, h, mi, se, 0, tz_min);
	if (used)
		*used = i;
	return 0;
}

int cs__time_any(const char *s, size_t n, int year, int tz_min, int64_t *ms)
{
	while (n && (*s == '"' || *s == '[' || *s == ' '))
		s++, n--;
	if (!n)
		return -1;
	if (cs__time_iso(s, n, tz_min, ms, NULL) == 0)
		return 0;
	if (cs__isdigit((unsigned char)*s) && cs__time_epoch(s, n, ms, NULL) == 0)
		return 0;
	if (cs__time_web(s, n, ms, NULL) == 0)
		return 0;
	if (cs__time_us(s, n, tz_min, ms, NULL) == 0)
		return 0;
	return cs__time_3164(s, n, year, tz_min, ms, NULL);
}

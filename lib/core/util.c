/*
 * Small helpers: ASCII string comparison, trimming, whole-file reads and
 * ISO 8601 timestamps.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/core_int.h"

int cs__strncasecmp(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int ca = cs__lower((unsigned char)a[i]), cb = cs__lower((unsigned char)b[i]);

		if (ca != cb)
			return ca - cb;
		if (!ca)
			return 0;
	}
	return 0;
}

int cs__eqi(const char *s, size_t len, const char *word)
{
	size_t wl = strlen(word);

	return wl == len && cs__strncasecmp(s, word, len) == 0;
}

const char *cs__path_base(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : (path ? path : "");
}

int cs__name_has(const char *path, const char *word)
{
	const char *b = cs__path_base(path);
	size_t bl = strlen(b), wl = strlen(word), i;

	for (i = 0; i + wl <= bl; i++) {
		if (cs__strncasecmp(b + i, word, wl) == 0)
			return 1;
	}
	return 0;
}

int cs__name_ends(const char *path, const char *suffix)
{
	const char *b = cs__path_base(path);
	size_t bl = strlen(b), sl = strlen(suffix);

	return bl > sl && cs__strncasecmp(b + bl - sl, suffix, sl) == 0;
}

void cs__trim(const char **s, size_t *len)
{
	while (*len && cs__isspace((unsigned char)(*s)[0])) {
		(*s)++;
		(*len)--;
	}
	while (*len && cs__isspace((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

/*
 * Read a regular file whole. Refuses non-regular files (a FIFO would
 * block) and files over `max` bytes; *err_no receives errno on I/O errors.
 */
int cs__read_file(const char *path, size_t max, char **out, size_t *len, int *err_no)
{
	struct stat st;
	char *data = NULL;
	size_t cap, n = 0;
	int fd, rc = CS_OK;

	*err_no = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		*err_no = errno;
		return CS_ERR_IO;
	}
	if (fstat(fd, &st) != 0) {
		*err_no = errno;
		close(fd);
		return CS_ERR_IO;
	}
	if (!S_ISREG(st.st_mode)) {
		*err_no = EINVAL;
		close(fd);
		return CS_ERR_UNSUPPORTED;
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return CS_ERR_TOOBIG;
	}
	cap = (size_t)st.st_size + 1;
	data = malloc(cap);
	if (!data) {
		close(fd);
		return CS_ERR_NOMEM;
	}
	for (;;) {
		ssize_t r;

		if (n + 1 >= cap) {
			/* Full: probe one byte before growing, so a file whose
			 * size fstat gave exactly is never reallocated. */
			char probe;

			r = read(fd, &probe, 1);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				if (r < 0) {
					*err_no = errno;
					rc = CS_ERR_IO;
				}
				break;
			}
			/* The file grew while we read it. */
			if (cap > max) {
				rc = CS_ERR_TOOBIG;
				break;
			}
			if (cs__grow((void **)&data, &cap, cap * 2, 1)) {
				rc = CS_ERR_NOMEM;
				break;
			}
			data[n++] = probe;
			continue;
		}
		r = read(fd, data + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			*err_no = errno;
			rc = CS_ERR_IO;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (rc) {
		free(data);
		return rc;
	}
	data[n] = '\0';
	*out = data;
	*len = n;
	return CS_OK;
}

static int parse_digits(const char **p, const char *end, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (*p >= end || !cs__isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int cs__parse_time(const char *s, size_t len, int64_t *out)
{
	const char *p = s, *end = s + len;
	int y, mo, d, h = 0, mi = 0, sec = 0, sign, oh, om;
	int64_t t;

	cs__trim(&p, &len);
	end = p + len;
	if (parse_digits(&p, end, 4, &y) || p >= end || *p++ != '-' ||
	    parse_digits(&p, end, 2, &mo) || p >= end || *p++ != '-' ||
	    parse_digits(&p, end, 2, &d))
		return CS_ERR_PARSE;
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return CS_ERR_PARSE;
	if (p < end && (*p == 'T' || *p == 't' || *p == ' ')) {
		p++;
		if (parse_digits(&p, end, 2, &h) || p >= end || *p++ != ':' ||
		    parse_digits(&p, end, 2, &mi))
			return CS_ERR_PARSE;
		if (p < end && *p == ':') {
			p++;
			if (parse_digits(&p, end, 2, &sec))
				return CS_ERR_PARSE;
			if (p < end && (*p == '.' || *p == ',')) {
				p++;
				while (p < end && cs__isdigit((unsigned char)*p))
					p++;
			}
		}
		if (h > 23 || mi > 59 || sec > 60)
			return CS_ERR_PARSE;
	}
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	if (p < end && (*p == 'Z' || *p == 'z')) {
		p++;
	} else if (p < end && (*p == '+' || *p == '-')) {
		sign = *p++ == '-' ? -1 : 1;
		if (parse_digits(&p, end, 2, &oh))
			return CS_ERR_PARSE;
		if (p < end && *p == ':')
			p++;
		if (parse_digits(&p, end, 2, &om))
			return CS_ERR_PARSE;
		t -= sign * (oh * 3600 + om * 60);
	}
	if (p != end)
		return CS_ERR_PARSE;
	*out = t;
	return CS_OK;
}

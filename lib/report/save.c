/*
 * Reports written into a folder, safely: each file is written under a
 * fresh temporary name (created exclusively, never through a link), every
 * write, the flush, fsync and close are checked, and only when all the
 * files are complete are they renamed into place. A link or anything but
 * a regular file where a report goes is an error, and it is left alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>

#include "report/report_int.h"

#define TMP_TRIES 64

/* A FILE that writes to a descriptor and remembers the first errno. */
struct sink {
	int fd;
	int err;
};

static ssize_t sink_write(void *c, const char *buf, size_t len)
{
	struct sink *s = c;
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(s->fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!s->err)
				s->err = n < 0 ? errno : EIO;
			return -1;
		}
		done += (size_t)n;
	}
	return (ssize_t)len;
}

static int sink_close(void *c)
{
	struct sink *s = c;
	int rc = 0;

	if (!s->err && fsync(s->fd) != 0)
		s->err = errno;
	if (close(s->fd) != 0 && !s->err)
		s->err = errno;
	s->fd = -1;
	if (s->err)
		rc = -1;
	return rc;
}

/* Say what failed: "DIR/NAME: reason". */
static int failed(char *err, size_t errlen, const char *dir, const char *name, int rc, int e)
{
	if (err && errlen)
		snprintf(err, errlen, "%s/%s: %s", dir, name,
		         e ? strerror(e) : cs_strerror(rc ? rc : CS_ERR_IO));
	return rc ? rc : CS_ERR_IO;
}

/*
 * Create a fresh temporary file ".NAME.XXXXXX" in the folder: O_EXCL
 * refuses any name that exists (a link too), so the file is new and ours.
 */
static int make_temp(int dfd, const char *name, char *tmp, size_t tmplen)
{
	static const char abc[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	struct timespec ts;
	unsigned long x;
	int i, k, fd;

	clock_gettime(CLOCK_REALTIME, &ts);
	x = (unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 16) ^ (unsigned long)ts.tv_sec;
	for (i = 0; i < TMP_TRIES; i++) {
		char suf[7];

		for (k = 0; k < 6; k++) {
			x = x * 6364136223846793005UL + 1442695040888963407UL;
			suf[k] = abc[(x >> 33) % (sizeof(abc) - 1)];
		}
		suf[6] = '\0';
		if ((size_t)snprintf(tmp, tmplen, ".%s.%s", name, suf) >= tmplen) {
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

/* Write one report into an open temporary file. */
static int write_temp(int fd, const char *format, const struct cs_report *r, int *e)
{
	static const cookie_io_functions_t io = {NULL, sink_write, NULL, sink_close};
	struct sink s = {fd, 0};
	FILE *f = fopencookie(&s, "w", io);
	int rc, crc;

	*e = 0;
	if (!f) {
		close(fd);
		return CS_ERR_NOMEM;
	}
	rc = cs_report_write(f, format, r);
	crc = fclose(f);
	if (s.err) {
		*e = s.err;
		return CS_ERR_IO;
	}
	if (!rc && crc != 0)
		rc = CS_ERR_IO;
	return rc;
}

/* 0 when `name` is free or a regular file (replaced); else the errno to
 * report: ELOOP for a symbolic link, EISDIR, or EEXIST for the rest. */
static int in_the_way(int dfd, const char *name)
{
	struct stat sb;

	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : errno;
	if (S_ISREG(sb.st_mode))
		return 0;
	return S_ISLNK(sb.st_mode) ? ELOOP : S_ISDIR(sb.st_mode) ? EISDIR : EEXIST;
}

/* Something is where a report goes and is not a regular file. */
static int refuse(char *err, size_t errlen, const char *dir, const char *name, int e)
{
	const char *what = e == ELOOP    ? "a symbolic link"
	                   : e == EISDIR ? "a folder"
	                   : e == EEXIST ? "something that is not a regular file"
	                                 : NULL;

	if (!what)
		return failed(err, errlen, dir, name, CS_ERR_IO, e);
	if (err && errlen)
		snprintf(err, errlen, "%s/%s: %s is in the way (neither followed nor replaced)",
		         dir, name, what);
	return CS_ERR_IO;
}

int cs_report_save(const char *dir, const struct cs_report_file *files, size_t n,
                   const struct cs_report *r, char *err, size_t errlen)
{
	char(*tmp)[256] = NULL;
	size_t i, made = 0;
	int dfd, rc = CS_OK, e;

	if (err && errlen)
		err[0] = '\0';
	if (!dir || (n && !files) || !r)
		return CS_ERR_INVALID;
	for (i = 0; i < n; i++) {
		if (!files[i].name || !files[i].format || !files[i].name[0] ||
		    strchr(files[i].name, '/') || strlen(files[i].name) > 200)
			return CS_ERR_INVALID;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return failed(err, errlen, dir, ".", CS_ERR_IO, errno);
	tmp = cs__calloc(n ? n : 1, sizeof(*tmp));
	if (!tmp) {
		close(dfd);
		return CS_ERR_NOMEM;
	}
	for (i = 0; !rc && i < n; i++) {
		int fd;

		e = in_the_way(dfd, files[i].name);
		if (e) {
			rc = refuse(err, errlen, dir, files[i].name, e);
			break;
		}
		fd = make_temp(dfd, files[i].name, tmp[i], sizeof(tmp[i]));
		if (fd < 0) {
			rc = failed(err, errlen, dir, files[i].name, CS_ERR_IO, errno);
			break;
		}
		made = i + 1;
		rc = write_temp(fd, files[i].format, r, &e);
		if (rc)
			failed(err, errlen, dir, files[i].name, rc, e);
	}
	/* All complete: into place. A link planted since the check above is
	 * replaced itself (rename never follows it), not its target. */
	for (i = 0; !rc && i < n; i++) {
		e = in_the_way(dfd, files[i].name);
		if (e) {
			rc = refuse(err, errlen, dir, files[i].name, e);
			break;
		}
		if (renameat(dfd, tmp[i], dfd, files[i].name) != 0) {
			rc = failed(err, errlen, dir, files[i].name, CS_ERR_IO, errno);
			break;
		}
		tmp[i][0] = '\0';
	}
	if (!rc && fsync(dfd) != 0 && errno != EINVAL)
		rc = failed(err, errlen, dir, ".", CS_ERR_IO, errno);
	for (i = 0; i < made; i++) {
		if (tmp[i][0])
			unlinkat(dfd, tmp[i], 0);
	}
	free(tmp);
	close(dfd);
	return rc;
}

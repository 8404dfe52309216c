/*
 * The quarantine folder of the watcher (docs/live-host.md): a hit is
 * moved in as ID.bin, made unreadable to anyone but the owner of the
 * folder, with ID.json beside it saying where it came from and how it
 * was (mode, owner, times, size, SHA-256, why). Restoring puts the same
 * bytes back under the same name with the same mode, owner and
 * modification time, and never replaces a file that is there.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "chainsweep/watch.h"
#include "core/core_int.h"

/* The folder: created 0700 when missing; ours and closed to others. */
static int check_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return CS_ERR_IO;
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return CS_ERR_IO;
	if (st.st_uid != geteuid() || (st.st_mode & 077))
		return CS_ERR_INVALID;
	return CS_OK;
}

/* Copy fd `in` to a new file `to` (mode `mode`), synced. */
static int copy_to(int in, const char *to, mode_t mode)
{
	char buf[65536];
	int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	off_t off = 0;
	int rc = CS_OK;

	if (out < 0)
		return CS_ERR_IO;
	for (;;) {
		ssize_t n = pread(in, buf, sizeof(buf), off), w = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = CS_ERR_IO;
			break;
		}
		if (n == 0)
			break;
		while (w < n) {
			ssize_t k = write(out, buf + w, (size_t)(n - w));

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				rc = CS_ERR_IO;
				break;
			}
			w += k;
		}
		if (rc)
			break;
		off += n;
	}
	if (!rc && fsync(out) != 0)
		rc = CS_ERR_IO;
	if (close(out) != 0 && !rc)
		rc = CS_ERR_IO;
	if (rc)
		unlink(to);
	return rc;
}

static int sha256_fd(int fd, char *hex)
{
	unsigned char buf[65536], md[32];
	unsigned mdlen = 0, i;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	off_t off = 0;
	int rc = CS_OK;

	if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c);
		return CS_ERR_NOMEM;
	}
	for (;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = CS_ERR_IO;
			break;
		}
		if (n == 0)
			break;
		EVP_DigestUpdate(c, buf, (size_t)n);
		off += n;
	}
	if (!rc && EVP_DigestFinal_ex(c, md, &mdlen) == 1)
		for (i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
	EVP_MD_CTX_free(c);
	return rc;
}

int cs_quarantine_file(const char *dir, const char *path, const char *why, char *id, size_t idlen)
{
	static unsigned counter;
	char hex[65] = "", bin[4096], meta[4096], myid[96];
	struct stat st;
	json_t *j = NULL;
	char *text = NULL;
	int fd = -1, rc;

	if (!dir || !path || !id || !idlen)
		return CS_ERR_INVALID;
	rc = check_dir(dir);
	if (rc)
		return rc;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = fd < 0 ? CS_ERR_IO : CS_ERR_UNSUPPORTED;
		goto out;
	}
	rc = sha256_fd(fd, hex);
	if (rc)
		goto out;
	snprintf(myid, sizeof(myid), "%.16s-%lld-%u-%u", hex, (long long)time(NULL),
	         (unsigned)getpid(), __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
	if ((size_t)snprintf(bin, sizeof(bin), "%s/%s.bin", dir, myid) >= sizeof(bin) ||
	    (size_t)snprintf(meta, sizeof(meta), "%s/%s.json", dir, myid) >= sizeof(meta)) {
		rc = CS_ERR_TOOBIG;
		goto out;
	}
	j = json_pack("{s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:I}", "path", path, "mode",
	              (int)(st.st_mode & 07777), "uid", (json_int_t)st.st_uid, "gid",
	              (json_int_t)st.st_gid, "mtime", (json_int_t)st.st_mtim.tv_sec, "mtime_ns",
	              (json_int_t)st.st_mtim.tv_nsec, "size", (json_int_t)st.st_size, "sha256", hex,
	              "why", why ? why : "", "quarantined", (json_int_t)time(NULL));
	text = j ? json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS) : NULL;
	if (!text) {
		rc = CS_ERR_NOMEM;
		goto out;
	}
	{
		int mfd = open(meta, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		size_t n = strlen(text);

		if (mfd < 0 || write(mfd, text, n) != (ssize_t)n || fsync(mfd) != 0) {
			if (mfd >= 0)
				close(mfd);
			unlink(meta);
			rc = CS_ERR_IO;
			goto out;
		}
		close(mfd);
	}
	/* The same filesystem: one rename. Another: a copy, then the
	 * original is removed. */
	if (rename(path, bin) != 0) {
		if (errno != EXDEV || copy_to(fd, bin, 0400) || unlink(path) != 0) {
			unlink(bin);
			unlink(meta);
			rc = CS_ERR_IO;
			goto out;
		}
	}
	if (chmod(bin, 0400) != 0) {
		rc = CS_ERR_IO;
		goto out;
	}
	cs__copy_n(id, idlen, myid, strlen(myid));
out:
	if (fd >= 0)
		close(fd);
	free(text);
	json_decref(j);
	return rc;
}

static int valid_id(const char *id)
{
	size_t i, n = strlen(id);

	if (!n || n > 80)
		return 0;
	for (i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f') ||
		      id[i] == '-'))
			return 0;
	return 1;
}

int cs_quarantine_restore(const char *dir, const char *id, char *path, size_t pathlen)
{
	char bin[4096], meta[4096];
	json_t *j = NULL;
	const char *orig;
	struct stat st;
	struct timespec ts[2];
	int rc = CS_OK, fd = -1;
	mode_t mode;

	if (!dir || !id || !valid_id(id))
		return CS_ERR_INVALID;
	snprintf(bin, sizeof(bin), "%s/%s.bin", dir, id);
	snprintf(meta, sizeof(meta), "%s/%s.json", dir, id);
	j = json_load_file(meta, 0, NULL);
	orig = json_string_value(json_object_get(j, "path"));
	if (!j || !orig || orig[0] != '/') {
		rc = CS_ERR_NOTFOUND;
		goto out;
	}
	if (lstat(orig, &st) == 0) {
		rc = CS_ERR_INVALID; /* something is there now: never replaced */
		goto out;
	}
	mode = (mode_t)json_integer_value(json_object_get(j, "mode")) & 07777;
	if (rename(bin, orig) != 0) {
		if (errno != EXDEV) {
			rc = CS_ERR_IO;
			goto out;
		}
		fd = open(bin, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || copy_to(fd, orig, 0600)) {
			rc = CS_ERR_IO;
			goto out;
		}
		unlink(bin);
	}
	if (lchown(orig, (uid_t)json_integer_value(json_object_get(j, "uid")),
	           (gid_t)json_integer_value(json_object_get(j, "gid"))) != 0 &&
	    geteuid() == 0)
		rc = CS_ERR_IO;
	if (chmod(orig, mode) != 0)
		rc = CS_ERR_IO;
	ts[0].tv_sec = 0;
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_sec = (time_t)json_integer_value(json_object_get(j, "mtime"));
	ts[1].tv_nsec = (long)json_integer_value(json_object_get(j, "mtime_ns"));
	utimensat(AT_FDCWD, orig, ts, AT_SYMLINK_NOFOLLOW);
	if (!rc) {
		unlink(meta);
		if (path && pathlen)
			cs__copy_n(path, pathlen, orig, strlen(orig));
	}
out:
	if (fd >= 0)
		close(fd);
	json_decref(j);
	return rc;
}

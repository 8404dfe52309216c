/*
 * A log's bytes, decompressed (docs/log-hunt.md, "Broken input").
 *
 * gzip, bzip2 and xz are decoded here with their own libraries, because
 * they hand out every byte decoded before a damaged or truncated tail;
 * libarchive's filters drop the 64 KiB block they were filling, and a
 * small file entirely. Other compressions libarchive knows (zstd, lz4,
 * compress, lzip, lzma) still go through its raw reader, fed from the same
 * buffered input. Anything else is read as it is.
 *
 * gzip is inflated by ISA-L's igzip when the build has it (about 2.5
 * times zlib's speed, streaming like zlib; docs/decisions.md says why not
 * libdeflate), else by zlib. The time spent decoding is kept for the
 * hunt's result.
 */
#include <bzlib.h>
#include <errno.h>
#include <lzma.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#ifdef CS_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include <archive.h>
#include <archive_entry.h>

#include "core/dl_int.h"
#include "scan/logscan_int.h"

#define IN_SIZE   ((size_t)64 << 10)
#define XZ_MEMMAX ((uint64_t)256 << 20)

enum codec { C_PLAIN, C_GZIP, C_BZIP2, C_XZ, C_ARCHIVE };

struct cs__logsrc {
	int fd; /* -1: memory */
	const unsigned char *mem;
	size_t memlen, mempos;
	const struct cs__log_test *test;
	unsigned char in[IN_SIZE];
	size_t in_pos, in_len;
	int in_eof;     /* the input has no more bytes */
	uint64_t raw;   /* bytes taken from the input */
	uint64_t size;  /* a plain file's size when last asked (seek_plain) */
	int positional; /* a regular file read with pread at raw (seek_plain) */
	enum codec codec;
	int started; /* the decoder was set up */
	int ended;   /* the decoded stream ended */
	int failed;  /* error[] holds why; reported on the next read */
	z_stream z;
#ifdef CS_HAVE_ISAL
	struct inflate_state isal;
#endif
	bz_stream bz;
	lzma_stream xz;
	struct archive *a;
	double decode_seconds;
	char error[256];
	/* Bytes peeked (cs__logsrc_peek), handed out again first. */
	unsigned char peeked[64];
	size_t npeeked, peekpos;
};

static void set_error(struct cs__logsrc *s, const char *fmt, ...) CS_PRINTF(2, 3);

static void set_error(struct cs__logsrc *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
	s->failed = 1;
}

/* Top up the input buffer (keeping what is unread); 0, or -1 on a read
 * error. At the end of the input in_eof is set. */
static int fill(struct cs__logsrc *s)
{
	size_t room;

	if (s->in_eof)
		return 0;
	if (s->in_pos) {
		memmove(s->in, s->in + s->in_pos, s->in_len - s->in_pos);
		s->in_len -= s->in_pos;
		s->in_pos = 0;
	}
	room = IN_SIZE - s->in_len;
	if (!room)
		return 0;
	if (s->fd < 0) {
		size_t k = s->memlen - s->mempos < room ? s->memlen - s->mempos : room;

		memcpy(s->in + s->in_len, s->mem + s->mempos, k);
		s->mempos += k;
		s->in_len += k;
		s->raw += k;
		if (!k)
			s->in_eof = 1;
		return 0;
	}
	for (;;) {
		ssize_t r = s->positional ? pread(s->fd, s->in + s->in_len, room, (off_t)s->raw)
		                          : read(s->fd, s->in + s->in_len, room);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			set_error(s, "read error: %s", strerror(errno));
			return -1;
		}
		s->in_len += (size_t)r;
		s->raw += (uint64_t)r;
		if (r == 0)
			s->in_eof = 1;
		if (s->test && s->test->after_read)
			s->test->after_read(s->test->ud, s->fd, s->raw);
		return 0;
	}
}

/* Input for libarchive: what is buffered, then the rest. */
static la_ssize_t archive_in(struct archive *a, void *ud, const void **buf)
{
	struct cs__logsrc *s = ud;
	size_t n;

	(void)a;
	if (s->in_pos == s->in_len) {
		s->in_pos = s->in_len = 0;
		if (fill(s))
			return -1;
	}
	n = s->in_len - s->in_pos;
	*buf = s->in + s->in_pos;
	s->in_pos = s->in_len;
	return (la_ssize_t)n;
}

static int has_magic(const struct cs__logsrc *s, const char *magic, size_t n)
{
	return s->in_len - s->in_pos >= n && memcmp(s->in + s->in_pos, magic, n) == 0;
}

static enum codec sniff_codec(const struct cs__logsrc *s)
{
	if (has_magic(s, "\x1f\x8b", 2))
		return C_GZIP;
	if (has_magic(s, "BZh", 3) && s->in_len - s->in_pos > 3 && s->in[s->in_pos + 3] >= '1' &&
	    s->in[s->in_pos + 3] <= '9')
		return C_BZIP2;
	if (has_magic(s, "\xfd\x37\x7a\x58\x5a\x00", 6))
		return C_XZ;
	if (has_magic(s, "\x28\xb5\x2f\xfd", 4) || has_magic(s, "\x04\x22\x4d\x18", 4) ||
	    has_magic(s, "\x1f\x9d", 2) || has_magic(s, "LZIP", 4) ||
	    has_magic(s, "\x5d\x00\x00", 3))
		return C_ARCHIVE;
	return C_PLAIN;
}

static int start(struct cs__logsrc *s)
{
	struct archive_entry *e;
	int r;

	s->started = 1;
	if (fill(s))
		return -1;
	s->codec = sniff_codec(s);
	switch (s->codec) {
	case C_GZIP:
#ifdef CS_HAVE_ISAL
		isal_inflate_init(&s->isal);
		s->isal.crc_flag = ISAL_GZIP;
#else
		if (inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK) {
			set_error(s, "cannot start the gzip decoder");
			return -1;
		}
#endif
		break;
	case C_BZIP2:
		if (BZ2_bzDecompressInit(&s->bz, 0, 0) != BZ_OK) {
			set_error(s, "cannot start the bzip2 decoder");
			return -1;
		}
		break;
	case C_XZ:
		if (lzma_stream_decoder(&s->xz, XZ_MEMMAX, LZMA_CONCATENATED) != LZMA_OK) {
			set_error(s, "cannot start the xz decoder");
			return -1;
		}
		break;
	case C_ARCHIVE:
		if (cs__dl_load(&cs__dl_archive) != CS_OK) {
			set_error(s, "not decompressed (%s)", cs__dl_why(&cs__dl_archive));
			return -1;
		}
		s->a = archive_read_new();
		if (!s->a) {
			set_error(s, "out of memory");
			return -1;
		}
		archive_read_support_filter_all(s->a);
		archive_read_support_format_raw(s->a);
		archive_read_support_format_empty(s->a);
		if (archive_read_open(s->a, s, NULL, archive_in, NULL) != ARCHIVE_OK) {
			set_error(s, "%s",
			          archive_error_string(s->a) ? archive_error_string(s->a)
			                                     : "error");
			return -1;
		}
		r = archive_read_next_header(s->a, &e);
		if (r == ARCHIVE_EOF) {
			s->ended = 1;
		} else if (r < ARCHIVE_WARN) {
			set_error(s, "%s",
			          archive_error_string(s->a) ? archive_error_string(s->a)
			                                     : "error");
			return -1;
		}
		break;
	case C_PLAIN:
		break;
	}
	return 0;
}

/* The next member of a concatenated gzip or bzip2 file starts here? */
static int next_member(struct cs__logsrc *s, const char *magic, size_t n)
{
	if (s->in_len - s->in_pos < n && fill(s))
		return 0;
	return has_magic(s, magic, n);
}

#ifndef CS_HAVE_ISAL
static size_t read_gzip(struct cs__logsrc *s, unsigned char *out, size_t n)
{
	z_stream *z = &s->z;
	int zr;

	z->next_out = out;
	z->avail_out = (uInt)n;
	while (z->avail_out && !s->ended && !s->failed) {
		if (s->in_pos == s->in_len && fill(s))
			break;
		if (s->in_pos == s->in_len && s->in_eof) {
			set_error(s, "truncated gzip input");
			break;
		}
		z->next_in = s->in + s->in_pos;
		z->avail_in = (uInt)(s->in_len - s->in_pos);
		zr = inflate(z, Z_NO_FLUSH);
		s->in_pos = s->in_len - z->avail_in;
		if (zr == Z_STREAM_END) {
			/* Rotated logs are often several members in a row;
			 * anything else after the end is ignored, as gzip does. */
			if (next_member(s, "\x1f\x8b", 2))
				inflateReset(z);
			else
				s->ended = 1;
		} else if (zr != Z_OK && zr != Z_BUF_ERROR) {
			set_error(s, "gzip data is corrupt (%s)", z->msg ? z->msg : "error");
		}
	}
	return n - z->avail_out;
}
#endif

#ifdef CS_HAVE_ISAL
static const char *isal_why(int r)
{
	switch (r) {
	case ISAL_INVALID_BLOCK:
		return "invalid block";
	case ISAL_INVALID_SYMBOL:
		return "invalid symbol";
	case ISAL_INVALID_LOOKBACK:
		return "invalid distance";
	case ISAL_INVALID_WRAPPER:
		return "invalid header";
	case ISAL_UNSUPPORTED_METHOD:
		return "unknown compression method";
	case ISAL_INCORRECT_CHECKSUM:
		return "incorrect data check";
	default:
		return "error";
	}
}

/* The same contract as read_gzip, with igzip. */
static size_t read_igzip(struct cs__logsrc *s, unsigned char *out, size_t n)
{
	struct inflate_state *st = &s->isal;
	int r;

	st->next_out = out;
	st->avail_out = (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n);
	n = st->avail_out;
	while (st->avail_out && !s->ended && !s->failed) {
		if (s->in_pos == s->in_len && fill(s))
			break;
		if (s->in_pos == s->in_len && s->in_eof) {
			/* igzip may hold decoded bytes it took all the input
			 * for: they come out before the truncation is said. */
			uint32_t before = st->avail_out;

			st->next_in = s->in + s->in_pos;
			st->avail_in = 0;
			r = isal_inflate(st);
			if (r == ISAL_DECOMP_OK && st->block_state == ISAL_BLOCK_FINISH) {
				s->ended = !next_member(s, "\x1f\x8b", 2);
				if (!s->ended) {
					isal_inflate_reset(st);
					st->crc_flag = ISAL_GZIP;
				}
				continue;
			}
			if (r == ISAL_DECOMP_OK && st->avail_out != before)
				continue;
			set_error(s, "truncated gzip input");
			break;
		}
		st->next_in = s->in + s->in_pos;
		st->avail_in = (uint32_t)(s->in_len - s->in_pos);
		r = isal_inflate(st);
		s->in_pos = s->in_len - st->avail_in;
		if (r != ISAL_DECOMP_OK) {
			set_error(s, "gzip data is corrupt (%s)", isal_why(r));
		} else if (st->block_state == ISAL_BLOCK_FINISH) {
			/* Rotated logs are often several members in a row;
			 * anything else after the end is ignored, as gzip does. */
			if (next_member(s, "\x1f\x8b", 2)) {
				isal_inflate_reset(st);
				st->crc_flag = ISAL_GZIP;
			} else {
				s->ended = 1;
			}
		}
	}
	return n - st->avail_out;
}
#endif

static size_t read_bzip2(struct cs__logsrc *s, unsigned char *out, size_t n)
{
	bz_stream *bz = &s->bz;
	int br;

	bz->next_out = (char *)out;
	bz->avail_out = (unsigned)n;
	while (bz->avail_out && !s->ended && !s->failed) {
		if (s->in_pos == s->in_len && fill(s))
			break;
		if (s->in_pos == s->in_len && s->in_eof) {
			set_error(s, "truncated bzip2 input");
			break;
		}
		bz->next_in = (char *)s->in + s->in_pos;
		bz->avail_in = (unsigned)(s->in_len - s->in_pos);
		br = BZ2_bzDecompress(bz);
		s->in_pos = s->in_len - bz->avail_in;
		if (br == BZ_STREAM_END) {
			BZ2_bzDecompressEnd(bz);
			if (next_member(s, "BZh", 3)) {
				if (BZ2_bzDecompressInit(bz, 0, 0) != BZ_OK)
					set_error(s, "cannot start the bzip2 decoder");
			} else {
				s->ended = 1;
			}
		} else if (br != BZ_OK) {
			set_error(s, "bzip2 data is corrupt (error %d)", br);
		}
	}
	return n - bz->avail_out;
}

static size_t read_xz(struct cs__logsrc *s, unsigned char *out, size_t n)
{
	lzma_stream *x = &s->xz;
	lzma_ret xr;

	x->next_out = out;
	x->avail_out = n;
	while (x->avail_out && !s->ended && !s->failed) {
		if (s->in_pos == s->in_len && fill(s))
			break;
		x->next_in = s->in + s->in_pos;
		x->avail_in = s->in_len - s->in_pos;
		xr = lzma_code(x, s->in_eof ? LZMA_FINISH : LZMA_RUN);
		s->in_pos = s->in_len - x->avail_in;
		if (xr == LZMA_STREAM_END)
			s->ended = 1;
		else if (xr == LZMA_BUF_ERROR && s->in_eof)
			set_error(s, "truncated xz input");
		else if (xr == LZMA_MEMLIMIT_ERROR)
			set_error(s, "xz stream needs more than %llu MiB to decode",
			          (unsigned long long)(XZ_MEMMAX >> 20));
		else if (xr != LZMA_OK && xr != LZMA_BUF_ERROR)
			set_error(s, "xz data is corrupt (error %d)", (int)xr);
	}
	return n - x->avail_out;
}

static size_t read_plain(struct cs__logsrc *s, unsigned char *out, size_t n)
{
	size_t k;

	/* Once the buffer is spent, reads go straight from a descriptor to
	 * the caller: the buffer is for sniffing the start. (An .evtx chunk is
	 * read in parts around a skip; through the buffer it would be read
	 * ahead and copied twice.) */
	if (s->in_pos == s->in_len && s->fd >= 0 && !s->in_eof) {
		for (;;) {
			ssize_t r = s->positional ? pread(s->fd, out, n, (off_t)s->raw)
			                          : read(s->fd, out, n);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				set_error(s, "read error: %s", strerror(errno));
				return 0;
			}
			s->raw += (uint64_t)r;
			if (r == 0)
				s->in_eof = s->ended = 1;
			if (s->test && s->test->after_read)
				s->test->after_read(s->test->ud, s->fd, s->raw);
			return (size_t)r;
		}
	}
	if (s->in_pos == s->in_len) {
		s->in_pos = s->in_len = 0;
		if (fill(s))
			return 0;
	}
	k = s->in_len - s->in_pos < n ? s->in_len - s->in_pos : n;
	memcpy(out, s->in + s->in_pos, k);
	s->in_pos += k;
	if (!k && s->in_eof)
		s->ended = 1;
	return k;
}

static size_t read_archive(struct cs__logsrc *s, unsigned char *out, size_t n)
{
	la_ssize_t r = archive_read_data(s->a, out, n);

	if (r < 0) {
		set_error(s, "%s",
		          archive_error_string(s->a) ? archive_error_string(s->a) : "error");
		return 0;
	}
	if (r == 0)
		s->ended = 1;
	return (size_t)r;
}

/* CPU time of the calling thread: what decoding costs, not how long a
 * busy machine made it wait. */
static double cpu_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

ptrdiff_t cs__logsrc_read(struct cs__logsrc *s, void *buf, size_t n)
{
	size_t got = 0;
	double t0;

	if (s->peekpos < s->npeeked && n) {
		got = s->npeeked - s->peekpos < n ? s->npeeked - s->peekpos : n;
		memcpy(buf, s->peeked + s->peekpos, got);
		s->peekpos += got;
		return (ptrdiff_t)got;
	}
	if (!s->started && start(s))
		return -1;
	t0 = s->codec == C_PLAIN ? 0 : cpu_now();
	while (!got && !s->ended && !s->failed && n) {
		switch (s->codec) {
		case C_GZIP:
#ifdef CS_HAVE_ISAL
			got = read_igzip(s, buf, n);
#else
			got = read_gzip(s, buf, n);
#endif
			break;
		case C_BZIP2:
			got = read_bzip2(s, buf, n);
			break;
		case C_XZ:
			got = read_xz(s, buf, n);
			break;
		case C_ARCHIVE:
			got = read_archive(s, buf, n);
			break;
		case C_PLAIN:
			got = read_plain(s, buf, n);
			break;
		}
	}
	if (s->codec != C_PLAIN)
		s->decode_seconds += cpu_now() - t0;
	/* What was decoded before a failure is handed out first. */
	if (got)
		return (ptrdiff_t)got;
	return s->failed ? -1 : 0;
}

/* Pass over up to n bytes of a plain descriptor's input, no further than
 * the file's current size; 0 when it cannot (not a regular file). */
static size_t seek_plain(struct cs__logsrc *s, size_t n)
{
	struct stat sb;
	size_t k;

	if (s->fd < 0 || s->in_eof)
		return 0;
	/* The size is asked again only when the skip would pass the last one
	 * seen (the file may have grown). */
	if (s->size < s->raw + n) {
		if (fstat(s->fd, &sb) != 0 || !S_ISREG(sb.st_mode))
			return 0;
		s->size = (uint64_t)sb.st_size;
	}
	if (s->size <= s->raw)
		return 0;
	k = s->size - s->raw < n ? (size_t)(s->size - s->raw) : n;
	/* From the first skip on, the file is read with pread at raw, so a
	 * skip costs no system call: an .evtx file skips the unused tail of
	 * nearly every chunk, and on a sparse log the lseek was a third of
	 * the system calls. Until then the descriptor's offset is raw. */
	s->positional = 1;
	s->raw += k;
	if (s->test && s->test->after_read)
		s->test->after_read(s->test->ud, s->fd, s->raw);
	return k;
}

ptrdiff_t cs__logsrc_skip(struct cs__logsrc *s, size_t n)
{
	unsigned char junk[4096];
	size_t done = 0, k;

	if (s->peekpos < s->npeeked) {
		k = s->npeeked - s->peekpos < n ? s->npeeked - s->peekpos : n;
		s->peekpos += k;
		done += k;
	}
	if (done < n && !s->started && start(s))
		return -1;
	if (done < n && s->codec == C_PLAIN && !s->failed) {
		k = s->in_len - s->in_pos < n - done ? s->in_len - s->in_pos : n - done;
		s->in_pos += k;
		done += k;
		if (done < n && s->fd < 0) {
			k = s->memlen - s->mempos < n - done ? s->memlen - s->mempos : n - done;
			s->mempos += k;
			s->raw += k;
			done += k;
		} else if (done < n) {
			done += seek_plain(s, n - done);
		}
	}
	while (done < n) {
		ptrdiff_t r = cs__logsrc_read(s, junk, n - done < sizeof(junk) ? n - done : sizeof(junk));

		if (r < 0)
			return done ? (ptrdiff_t)done : -1;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ptrdiff_t)done;
}

size_t cs__logsrc_peek(struct cs__logsrc *s, void *buf, size_t n)
{
	unsigned char *o = buf;
	size_t got = 0;

	if (n > sizeof(s->peeked))
		n = sizeof(s->peeked);
	if (s->peekpos || s->npeeked)
		return 0;
	while (got < n) {
		ptrdiff_t r = cs__logsrc_read(s, o + got, n - got);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	memcpy(s->peeked, o, got);
	s->npeeked = got;
	return got;
}

double cs__logsrc_seconds(const struct cs__logsrc *s)
{
	return s->decode_seconds;
}

const char *cs__logsrc_error(const struct cs__logsrc *s)
{
	return s->failed ? s->error : NULL;
}

uint64_t cs__logsrc_raw(const struct cs__logsrc *s, int *at_eof)
{
	if (at_eof)
		*at_eof = s->in_eof;
	return s->raw;
}

static struct cs__logsrc *src_new(void)
{
	struct cs__logsrc *s = cs__calloc(1, sizeof(*s));

	if (s)
		s->fd = -1;
	return s;
}

struct cs__logsrc *cs__logsrc_fd(int fd, const struct cs__log_test *test)
{
	struct cs__logsrc *s = src_new();

	if (s) {
		s->fd = fd;
		s->test = test;
	}
	return s;
}

struct cs__logsrc *cs__logsrc_mem(const void *data, size_t len)
{
	struct cs__logsrc *s = src_new();

	if (s) {
		s->mem = data;
		s->memlen = len;
	}
	return s;
}

void cs__logsrc_free(struct cs__logsrc *s)
{
	if (!s)
		return;
	if (s->started) {
		switch (s->codec) {
		case C_GZIP:
#ifndef CS_HAVE_ISAL
			inflateEnd(&s->z);
#endif
			break;
		case C_BZIP2:
			BZ2_bzDecompressEnd(&s->bz);
			break;
		case C_XZ:
			lzma_end(&s->xz);
			break;
		case C_ARCHIVE:
			archive_read_free(s->a);
			break;
		case C_PLAIN:
			break;
		}
	}
	free(s);
}

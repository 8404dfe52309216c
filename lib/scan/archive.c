/*
 * Archive descent through libarchive: zip (and jar, nupkg, whl, apk),
 * tar with its compressed forms, 7z, cab, iso, deb (ar) and rpm (cpio
 * payload), and single compressed streams (.gz, .bz2, .xz, .zst).
 *
 * Members are expanded into memory one at a time and scanned exactly as
 * files are ("outer.zip!/dir/inner.dll"), nested up to a depth cap. A
 * top-level file has one budget of expanded bytes, and its expansion ratio
 * is watched: an archive that breaks either cap is a bomb, reported and
 * left, and the sweep goes on.
 */
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "scan/scan_int.h"

#define BOMB_FLOOR ((uint64_t)16 << 20) /* the ratio cap applies beyond this */

static int compressed_magic(const unsigned char *p, size_t n)
{
	return (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) || (n >= 3 && memcmp(p, "BZh", 3) == 0) ||
	       (n >= 6 && memcmp(p,
	                         "\xfd"
	                         "7zXZ\0",
	                         6) == 0) ||
	       (n >= 4 && memcmp(p, "\x28\xb5\x2f\xfd", 4) == 0);
}

int cs__archive_sniff(const unsigned char *p, size_t n)
{
	if (n >= 4 && (memcmp(p, "PK\003\004", 4) == 0 || memcmp(p, "PK\005\006", 4) == 0))
		return 1;
	if (compressed_magic(p, n))
		return 1;
	if (n >= 6 && memcmp(p, "7z\xbc\xaf\x27\x1c", 6) == 0)
		return 1;
	if (n >= 4 && memcmp(p, "MSCF", 4) == 0)
		return 1;
	if (n >= 7 && memcmp(p, "Rar!\x1a\x07", 6) == 0)
		return 1;
	if (n >= 8 && memcmp(p, "!<arch>\n", 8) == 0)
		return 1;
	if (n >= 4 && memcmp(p, "\xed\xab\xee\xdb", 4) == 0)
		return 1;
	if (n >= 6 && (memcmp(p, "070701", 6) == 0 || memcmp(p, "070707", 6) == 0))
		return 1;
	if (n >= 262 && memcmp(p + 257, "ustar", 5) == 0)
		return 1;
	if (n >= 0x8006 && memcmp(p + 0x8001, "CD001", 5) == 0)
		return 1;
	return 0;
}

/* "outer!/name", dropping a leading "./" or "/" of the member name. */
static char *member_path(const char *outer, const char *name)
{
	size_t a, b;
	char *p;

	while (name[0] == '.' && name[1] == '/')
		name += 2;
	while (name[0] == '/')
		name++;
	a = strlen(outer);
	b = strlen(name);
	p = cs__malloc(a + b + 3);
	if (!p)
		return NULL;
	memcpy(p, outer, a);
	memcpy(p + a, "!/", 2);
	memcpy(p + a + 2, name, b + 1);
	return p;
}

/* The name of a single compressed stream: the outer base name without
 * its last extension ("x.log.gz" -> "x.log"). */
static char *raw_name(const char *base)
{
	const char *dot = strrchr(base, '.');
	size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);

	return cs__strndup(base, n);
}

struct member_buf {
	unsigned char *p;
	size_t len, cap;
};

static int mb_add(struct member_buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t c = b->cap ? b->cap : 65536;
		unsigned char *q;

		while (c < b->len + n + 1)
			c *= 2;
		q = realloc(b->p, c);
		if (!q)
			return CS_ERR_NOMEM;
		b->p = q;
		b->cap = c;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return CS_OK;
}

enum member_end { M_OK, M_BOMB, M_ERROR, M_STOP, M_NOMEM };

/* Expand one member: hash everything, keep up to the YARA cap in memory. */
static enum member_end read_member(struct cs_worker *w, struct archive *a, struct cs_object *m,
                                   struct member_buf *b, uint64_t budget_floor, uint64_t top_size)
{
	struct cs_scan *s = w->s;
	const void *blk;
	size_t n;
	la_int64_t off;
	int keep = 1, r;

	if (cs__hash_begin(w))
		return M_NOMEM;
	for (;;) {
		r = archive_read_data_block(a, &blk, &n, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return M_ERROR;
		if (cs__scan_stopping(s))
			return M_STOP;
		m->size += n;
		*m->expanded += n;
		if (*m->expanded > s->o.archive_max_bytes ||
		    (*m->expanded > budget_floor &&
		     *m->expanded / (top_size ? top_size : 1) > s->o.archive_max_ratio))
			return M_BOMB;
		cs__hash_update(w, blk, n);
		if (keep && b->len + n <= s->o.yara_max_size) {
			if (mb_add(b, blk, n))
				return M_NOMEM;
		} else {
			keep = 0;
		}
	}
	cs__hash_end(w, m);
	if (keep) {
		m->data = b->p ? b->p : (const unsigned char *)"";
		m->len = b->len;
	}
	return M_OK;
}

int cs__scan_archive(struct cs_worker *w, struct cs_object *obj)
{
	struct cs_scan *s = w->s;
	struct archive *a;
	struct archive_entry *e;
	uint64_t expanded = 0, members = 0;
	int raw = compressed_magic(obj->data, obj->len), r, rc = CS_OK;
	uint64_t top_size = obj->depth ? obj->top_size : obj->size;

	if (obj->depth >= s->o.archive_depth) {
		cs__scan_problem(w, obj->path, CS_COV_ARCHIVE_DEPTH, "archive-too-deep",
		                 "archive nested %u levels deep: not opened (cap %u)", obj->depth,
		                 s->o.archive_depth);
		return CS_OK;
	}
	/* One budget per file on disk, shared by everything nested in it;
	 * the ratio is measured against that file's size. */
	if (!obj->expanded)
		obj->expanded = &expanded;
	a = archive_read_new();
	if (!a)
		return CS_ERR_NOMEM;
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	if (raw)
		archive_read_support_format_raw(a);
	if (archive_read_open_memory(a, obj->data, obj->len) != ARCHIVE_OK) {
		/* An archive we cannot open (or a magic number by chance): the
		 * file itself was scanned; what it may hold was not. */
		cs__scan_problem(w, obj->path, CS_COV_ARCHIVE_CORRUPT, "archive-corrupt",
		                 "cannot open as an archive: %s",
		                 archive_error_string(a) ? archive_error_string(a)
		                                         : "unknown format");
		archive_read_free(a);
		return CS_OK;
	}
	for (;;) {
		struct cs_object m;
		struct member_buf b = {0};
		enum member_end end;
		const char *name;
		char *path, *alloc_name = NULL;

		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			cs__scan_problem(w, obj->path, CS_COV_ARCHIVE_CORRUPT, "archive-corrupt",
			                 "archive unreadable after %llu members: %s",
			                 (unsigned long long)members,
			                 archive_error_string(a) ? archive_error_string(a)
			                                         : "error");
			break;
		}
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		if (++members > s->o.archive_max_members) {
			cs__scan_problem(w, obj->path, CS_COV_ARCHIVE_MEMBERS, "archive-too-many",
			                 "more than %llu members; the rest is not scanned",
			                 (unsigned long long)s->o.archive_max_members);
			break;
		}
		if (archive_format(a) == ARCHIVE_FORMAT_RAW) {
			alloc_name = raw_name(obj->base);
			name = alloc_name;
		} else {
			name = archive_entry_pathname(e);
		}
		path = member_path(obj->path, name ? name : "?");
		free(alloc_name);
		if (!path) {
			rc = CS_ERR_NOMEM;
			break;
		}
		if (archive_entry_is_encrypted(e)) {
			cs__scan_problem(w, path, CS_COV_ARCHIVE_ENCRYPTED, "archive-encrypted",
			                 "encrypted member: not scanned");
			free(path);
			continue;
		}
		memset(&m, 0, sizeof(m));
		m.path = path;
		m.base = strrchr(path, '/') + 1;
		m.depth = obj->depth + 1;
		m.mtime = archive_entry_mtime_is_set(e) ? (int64_t)archive_entry_mtime(e) : 0;
		m.expanded = obj->expanded;
		m.top_size = top_size;
		end = read_member(w, a, &m, &b, BOMB_FLOOR, top_size);
		if (end == M_OK) {
			w->count[CS_COV_MEMBERS]++;
			rc = cs__scan_object(w, &m);
		} else if (end == M_BOMB) {
			cs__scan_problem(w, obj->path, CS_COV_ARCHIVE_BOMB, "archive-bomb",
			                 "expands past its cap (%llu bytes out of %llu; caps %llu "
			                 "bytes, ratio %llu): left at member %s",
			                 (unsigned long long)*obj->expanded,
			                 (unsigned long long)top_size,
			                 (unsigned long long)s->o.archive_max_bytes,
			                 (unsigned long long)s->o.archive_max_ratio, m.base);
		} else if (end == M_ERROR) {
			if (archive_entry_is_encrypted(e) ||
			    archive_read_has_encrypted_entries(a) > 0)
				cs__scan_problem(w, path, CS_COV_ARCHIVE_ENCRYPTED,
				                 "archive-encrypted",
				                 "encrypted member: not scanned");
			else
				cs__scan_problem(w, path, CS_COV_ARCHIVE_CORRUPT, "archive-corrupt",
				                 "member unreadable after %llu bytes: %s",
				                 (unsigned long long)m.size,
				                 archive_error_string(a) ? archive_error_string(a)
				                                         : "error");
		} else if (end == M_NOMEM) {
			rc = CS_ERR_NOMEM;
		} else if (end == M_STOP && !s->cb_rc) {
			cs__scan_problem(w, path, cs__scan_stop_reason(s),
			                 cs_scan_reason_name(cs__scan_stop_reason(s)),
			                 "stopped inside the archive: %s", cs__scan_stop_words(s));
		}
		free(b.p);
		free(path);
		if (rc || end == M_BOMB || end == M_STOP || end == M_NOMEM)
			break;
		if (end == M_ERROR && !archive_entry_is_encrypted(e))
			break; /* the stream is lost after a bad member */
	}
	archive_read_free(a);
	if (obj->expanded == &expanded)
		obj->expanded = NULL;
	return rc;
}

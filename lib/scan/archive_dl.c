/*
 * libarchive, loaded when an archive, a compressed log or a package log
 * is first opened (archive.c, logsrc.c, pkg_logs.c and the tests call
 * these names as usual). Debian's libarchive brings libxml2, ICU,
 * nettle, acl, zstd, lz4 and more: linked, their mapping, relocation and
 * constructors cost every chainsweep process about 7 ms of CPU and 16 ms
 * of wall time at start, most of it for commands that never open an
 * archive. When the library cannot be loaded, a function answers as
 * libarchive does for a handle it could not create or use (NULL,
 * ARCHIVE_FATAL), and archive_error_string() gives the reason; callers
 * check cs__dl_load(&cs__dl_archive) first to report it as such.
 */
#include <stdarg.h>
#include <stdio.h>

#include <archive.h>
#include <archive_entry.h>

#include "core/dl_int.h"

#ifndef CS_ARCHIVE_SONAME
#define CS_ARCHIVE_SONAME "libarchive.so.13"
#endif

#define CS_ARCHIVE_FUNCS(X, V)                                                                     \
	X(mode_t, archive_entry_filetype, (struct archive_entry * a), (a), 0)                      \
	V(archive_entry_free, (struct archive_entry * a), (a))                                     \
	X(const char *, archive_entry_hardlink, (struct archive_entry * a), (a), NULL)             \
	X(int, archive_entry_is_encrypted, (struct archive_entry * a), (a), 0)                     \
	X(time_t, archive_entry_mtime, (struct archive_entry * a), (a), 0)                         \
	X(int, archive_entry_mtime_is_set, (struct archive_entry * a), (a), 0)                     \
	X(struct archive_entry *, archive_entry_new, (void), (), NULL)                             \
	X(const char *, archive_entry_pathname, (struct archive_entry * a), (a), NULL)             \
	V(archive_entry_set_filetype, (struct archive_entry * a, unsigned int b), (a, b))          \
	V(archive_entry_set_mtime, (struct archive_entry * a, time_t b, long c), (a, b, c))        \
	V(archive_entry_set_pathname, (struct archive_entry * a, const char *b), (a, b))           \
	V(archive_entry_set_perm, (struct archive_entry * a, mode_t b), (a, b))                    \
	V(archive_entry_set_size, (struct archive_entry * a, la_int64_t b), (a, b))                \
	X(la_int64_t, archive_entry_size, (struct archive_entry * a), (a), 0)                      \
	X(const char *, archive_error_string, (struct archive * a), (a), cs__dl_why(&CS_DL_SELF))  \
	X(la_int64_t, archive_filter_bytes, (struct archive * a, int b), (a, b), 0)                \
	X(int, archive_filter_count, (struct archive * a), (a), ARCHIVE_FATAL)                     \
	X(const char *, archive_filter_name, (struct archive * a, int b), (a, b), NULL)            \
	X(la_ssize_t, archive_read_data, (struct archive * a, void *b, size_t c), (a, b, c),       \
	  ARCHIVE_FATAL)                                                                           \
	X(int, archive_read_data_block,                                                            \
	  (struct archive * a, const void **b, size_t *c, la_int64_t *d), (a, b, c, d),            \
	  ARCHIVE_FATAL)                                                                           \
	X(int, archive_read_free, (struct archive * a), (a), ARCHIVE_FATAL)                        \
	X(int, archive_read_has_encrypted_entries, (struct archive * a), (a), ARCHIVE_FATAL)       \
	X(struct archive *, archive_read_new, (void), (), NULL)                                    \
	X(int, archive_read_next_header, (struct archive * a, struct archive_entry * *b), (a, b),  \
	  ARCHIVE_FATAL)                                                                           \
	X(int, archive_read_open,                                                                  \
	  (struct archive * a, void *b, archive_open_callback *c, archive_read_callback *d,        \
	   archive_close_callback *e),                                                             \
	  (a, b, c, d, e), ARCHIVE_FATAL)                                                          \
	X(int, archive_read_open_fd, (struct archive * a, int b, size_t c), (a, b, c),             \
	  ARCHIVE_FATAL)                                                                           \
	X(int, archive_read_open_memory, (struct archive * a, const void *b, size_t c), (a, b, c), \
	  ARCHIVE_FATAL)                                                                           \
	X(int, archive_read_support_filter_all, (struct archive * a), (a), ARCHIVE_FATAL)          \
	X(int, archive_read_support_filter_bzip2, (struct archive * a), (a), ARCHIVE_FATAL)        \
	X(int, archive_read_support_filter_compress, (struct archive * a), (a), ARCHIVE_FATAL)     \
	X(int, archive_read_support_filter_gzip, (struct archive * a), (a), ARCHIVE_FATAL)         \
	X(int, archive_read_support_filter_lz4, (struct archive * a), (a), ARCHIVE_FATAL)          \
	X(int, archive_read_support_filter_lzip, (struct archive * a), (a), ARCHIVE_FATAL)         \
	X(int, archive_read_support_filter_lzma, (struct archive * a), (a), ARCHIVE_FATAL)         \
	X(int, archive_read_support_filter_rpm, (struct archive * a), (a), ARCHIVE_FATAL)          \
	X(int, archive_read_support_filter_uu, (struct archive * a), (a), ARCHIVE_FATAL)           \
	X(int, archive_read_support_filter_xz, (struct archive * a), (a), ARCHIVE_FATAL)           \
	X(int, archive_read_support_filter_zstd, (struct archive * a), (a), ARCHIVE_FATAL)         \
	X(int, archive_read_support_format_7zip, (struct archive * a), (a), ARCHIVE_FATAL)         \
	X(int, archive_read_support_format_ar, (struct archive * a), (a), ARCHIVE_FATAL)           \
	X(int, archive_read_support_format_cab, (struct archive * a), (a), ARCHIVE_FATAL)          \
	X(int, archive_read_support_format_cpio, (struct archive * a), (a), ARCHIVE_FATAL)         \
	X(int, archive_read_support_format_empty, (struct archive * a), (a), ARCHIVE_FATAL)        \
	X(int, archive_read_support_format_iso9660, (struct archive * a), (a), ARCHIVE_FATAL)      \
	X(int, archive_read_support_format_lha, (struct archive * a), (a), ARCHIVE_FATAL)          \
	X(int, archive_read_support_format_rar, (struct archive * a), (a), ARCHIVE_FATAL)          \
	X(int, archive_read_support_format_rar5, (struct archive * a), (a), ARCHIVE_FATAL)         \
	X(int, archive_read_support_format_raw, (struct archive * a), (a), ARCHIVE_FATAL)          \
	X(int, archive_read_support_format_tar, (struct archive * a), (a), ARCHIVE_FATAL)          \
	X(int, archive_read_support_format_warc, (struct archive * a), (a), ARCHIVE_FATAL)         \
	X(int, archive_read_support_format_xar, (struct archive * a), (a), ARCHIVE_FATAL)          \
	X(int, archive_read_support_format_zip, (struct archive * a), (a), ARCHIVE_FATAL)          \
	X(int, archive_write_add_filter_by_name, (struct archive * a, const char *b), (a, b),      \
	  ARCHIVE_FATAL)                                                                           \
	X(int, archive_write_add_filter_compress, (struct archive * a), (a), ARCHIVE_FATAL)        \
	X(int, archive_write_close, (struct archive * a), (a), ARCHIVE_FATAL)                      \
	X(la_ssize_t, archive_write_data, (struct archive * a, const void *b, size_t c),           \
	  (a, b, c), ARCHIVE_FATAL)                                                                \
	X(int, archive_write_free, (struct archive * a), (a), ARCHIVE_FATAL)                       \
	X(int, archive_write_header, (struct archive * a, struct archive_entry * b), (a, b),       \
	  ARCHIVE_FATAL)                                                                           \
	X(struct archive *, archive_write_new, (void), (), NULL)                                   \
	X(int, archive_write_open_memory, (struct archive * a, void *b, size_t c, size_t *d),      \
	  (a, b, c, d), ARCHIVE_FATAL)                                                             \
	X(int, archive_write_set_bytes_in_last_block, (struct archive * a, int b), (a, b),         \
	  ARCHIVE_FATAL)                                                                           \
	X(int, archive_write_set_format_by_name, (struct archive * a, const char *b), (a, b),      \
	  ARCHIVE_FATAL)                                                                           \
	X(int, archive_write_set_format_raw, (struct archive * a), (a), ARCHIVE_FATAL)             \
	X(int, archive_write_set_options, (struct archive * a, const char *b), (a, b),             \
	  ARCHIVE_FATAL)                                                                           \
	X(int, archive_write_set_passphrase, (struct archive * a, const char *b), (a, b),          \
	  ARCHIVE_FATAL)

enum { CS_ARCHIVE_FUNCS(CS_DL_IDX_X, CS_DL_IDX_V) I_archive_set_error, N_ARCHIVE };

static const char *const archive_names[] = {
        CS_ARCHIVE_FUNCS(CS_DL_NAME_X, CS_DL_NAME_V) "archive_set_error"};
static void *archive_slots[N_ARCHIVE];
struct cs__dl cs__dl_archive = CS_DL_INIT(CS_ARCHIVE_SONAME, archive_names, archive_slots);

#define CS_DL_SELF  cs__dl_archive
#define CS_DL_SLOTS archive_slots
CS_ARCHIVE_FUNCS(CS_DL_WRAP_X, CS_DL_WRAP_V)

/* Variadic, with no va_list form in libarchive: formatted here, passed
 * on as one string. */
void archive_set_error(struct archive *a, int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (cs__dl_load(&cs__dl_archive) != CS_OK)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	((__typeof__(archive_set_error) *)archive_slots[I_archive_set_error])(a, err, "%s", msg);
}

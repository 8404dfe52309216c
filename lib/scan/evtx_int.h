/*
 * Private to the log retro-hunt: the native reader of Windows event log
 * files (.evtx, evtx.c; docs/log-hunt.md, "Windows .evtx files").
 *
 * The file is read front to back, one 64 KiB chunk at a time, so memory
 * does not grow with the file. Of an intact chunk only the header and the
 * records up to its free-space offset are read when the input can skip:
 * a sparse log is mostly free space. Every complete event record becomes one
 * struct cs_event (chainsweep/event.h) handed to a callback in file order.
 * Damage (a bad checksum, a record that does not parse, a chunk cut short)
 * is reported through a second callback with the byte offset, skipped and
 * counted; it never stops the rest of the file.
 */
#ifndef CS_EVTX_INT_H
#define CS_EVTX_INT_H

#include <stddef.h>
#include <stdint.h>

#include "chainsweep/event.h"

#define CS_EVTX_MAGIC     "ElfFile"
#define CS_EVTX_MAGIC_LEN 8 /* with its NUL */

/* What one file held, and what of it could not be read. */
struct cs__evtx_stats {
	uint64_t chunks;      /* chunks read (a damaged one too) */
	uint64_t records;     /* events delivered */
	uint64_t bad_chunks;  /* chunks skipped whole (header damaged) */
	uint64_t bad_records; /* records skipped (or bytes between records skipped) */
	uint64_t bytes;       /* bytes taken from the input */
	int lost; /* some events could not be read: a skipped chunk or record, a chunk cut
	           * short before its last record, a read error */
};

/* Up to n bytes of the file: > 0 bytes, 0 at its end, -1 on an error
 * (the message, if any, from `why`). */
typedef ptrdiff_t (*cs__evtx_read_fn)(void *ud, void *buf, size_t n);
/* Pass over the next n bytes: how many were passed over (fewer at the
 * end), -1 on an error. */
typedef ptrdiff_t (*cs__evtx_skip_fn)(void *ud, size_t n);
/* A non-zero return stops the reading; cs__evtx_read() returns it. */
typedef int (*cs__evtx_event_fn)(void *ud, const struct cs_event *e);
/* `record` is the EventRecordID when the problem is in one record, else 0;
 * `offset` the byte offset in the file; `reason` a short tag
 * ("evtx-header", "evtx-chunk", "evtx-checksum", "evtx-record",
 * "evtx-truncated", "read-error"). */
typedef void (*cs__evtx_diag_fn)(void *ud, uint64_t record, uint64_t offset, const char *reason,
                                 const char *msg);

/* The bytes of a record that does not parse, of bytes between records
 * that hold none, or of a chunk skipped whole (record 0 then), so that
 * they can still be searched as text. A non-zero return stops the reading. */
typedef int (*cs__evtx_damaged_fn)(void *ud, uint64_t record, uint64_t offset, const void *p,
                                   size_t n);

struct cs__evtx_io {
	cs__evtx_read_fn read;
	cs__evtx_skip_fn skip; /* NULL: every byte is read; else the unused
	                        * tail of an intact chunk is passed over */
	void *read_ud;
	const char *(*why)(void *read_ud); /* the read error's message, or NULL */
	cs__evtx_event_fn on_event;
	cs__evtx_diag_fn on_diag;
	cs__evtx_damaged_fn on_damaged; /* NULL: damaged bytes are only reported */
	void *ud;
};

/* 1 when [p, p+n) starts like an .evtx file. */
int cs__evtx_is(const void *p, size_t n);

/*
 * Read one .evtx file named `name` (for struct cs_event.file). `pre`
 * holds the first `npre` bytes, already taken from the input by the
 * caller (sniffing); the rest comes from io->read. Returns CS_OK when
 * the file was read (damage is in *st and the diagnostics), CS_ERR_NOMEM,
 * or the first non-zero value on_event returned.
 */
int cs__evtx_read(const char *name, const void *pre, size_t npre, const struct cs__evtx_io *io,
                  struct cs__evtx_stats *st);

/* The same over a buffer (tests, fuzzing). */
int cs__evtx_read_mem(const char *name, const void *data, size_t len, cs__evtx_event_fn on_event,
                      cs__evtx_diag_fn on_diag, void *ud, struct cs__evtx_stats *st);

/* The Sigma service of a Windows channel ("sysmon", "security", ...), or
 * NULL when it has none. */
const char *cs__evtx_service(const char *channel);

#endif /* CS_EVTX_INT_H */

/*
 * Sigma log sources (sigma_logsource.c) for the compiler (sigma.c): which
 * events a rule's `logsource` stands for, and how the rule's field names
 * become the event's (docs/sigma.md has the tables in prose).
 */
#ifndef CS_MATCH_SIGMA_INT_H
#define CS_MATCH_SIGMA_INT_H

#include <stddef.h>

/* A rule field the events of a target carry under another name. */
struct cs__sg_rename {
	const char *sigma;
	const char *event;
};

/*
 * Where a rule runs. Windows targets name a channel and event ids (none:
 * every event of the channel; channel NULL: every Windows event). Other
 * targets name an index key "o|product|service" (product "-" for events
 * that name none). `renames`: NULL-ended, or NULL for none. `closed`: the
 * events carry only the renamed fields, the common Windows System fields
 * and `native`; a rule that uses another field does not run there (a
 * Security 4688 event has no OriginalFileName, so a filter on it would
 * never hold and a `not filter` would always).
 */
struct cs__sg_target {
	const char *channel;
	int eids[8]; /* 0-ended */
	const char *okey;
	const struct cs__sg_rename *renames;
	int closed;
	const char *const *native; /* NULL-ended */
};

#define CS__SG_MAX_TARGETS 8

/*
 * The targets of a rule's log source (any of the three may be NULL).
 * Returns how many were written to out[] (at most CS__SG_MAX_TARGETS);
 * 0 when the log source is one no reader can carry. Non-Windows targets
 * are built in `keybuf` (size `cap` per target).
 */
size_t cs__sigma_targets(const char *product, const char *category, const char *service,
                         struct cs__sg_target *out, char (*keybuf)[96]);

/* This build of the tables (their compile time), for the snapshot's key. */
const char *cs__sigma_logsource_tag(void);

/* The Windows System fields every event carries under their own names. */
int cs__sigma_common_field(const char *name);

/*
 * The compiled set's snapshot in the compiled-rules cache (sigma.c):
 * written by cs_sigma_compile, read back by the next compile of the same
 * rule files. _read refuses (CS_ERR_PARSE) bytes that are not a whole,
 * consistent snapshot; it is what fuzz/fuzz_sigma_snap.c runs.
 */
struct cs_sigma;
struct cs_buf;
int cs__sigma_snap_write(const struct cs_sigma *sg, struct cs_buf *out);
int cs__sigma_snap_read(const void *data, size_t len, struct cs_sigma **out);
/* 1 when the set was loaded from a snapshot. */
int cs__sigma_from_snapshot(const struct cs_sigma *sg);

#endif /* CS_MATCH_SIGMA_INT_H */

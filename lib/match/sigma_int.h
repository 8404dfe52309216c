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

/* The Windows System fields every event carries under their own names. */
int cs__sigma_common_field(const char *name);

#endif /* CS_MATCH_SIGMA_INT_H */

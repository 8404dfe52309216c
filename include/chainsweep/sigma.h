/*
 * chainsweep: Sigma rules over structured events (docs/sigma.md).
 *
 * Sigma rules are imported like any intel (cs_intel_import(): a .yml or
 * .yaml document with `detection` and `logsource`). The set keeps each
 * rule file's text, so the case database round-trips it, and one
 * indicator of kind CS_KIND_SIGMA_RULE per rule (value: the rule id, or
 * its title when it has no id) carrying its labels and provenance, so
 * that findings, correlate and the reports name it like a YARA rule.
 *
 * cs_sigma_compile() turns every Sigma rule of a set into an evaluator:
 * an immutable object that many threads share, each with its own
 * struct cs_sigma_scratch. cs_sigma_eval() runs the rules that apply to
 * one event (by log source: product, service, category -> channel and
 * event ids) and calls back once per rule that fires, with the event
 * fields that matched.
 *
 * A rule that cannot be evaluated (an unknown modifier, an aggregation,
 * a log source no reader can carry, a regex the engine rejects...) is
 * kept: it is listed with its reason and position, counted by reason,
 * and never run.
 */
#ifndef CHAINSWEEP_SIGMA_H
#define CHAINSWEEP_SIGMA_H

#include <stddef.h>
#include <stdint.h>

#include "chainsweep/error.h"
#include "chainsweep/event.h"
#include "chainsweep/intel.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cs_sigma;
struct cs_sigma_scratch;

/* Sigma's `level`. Stored in findings: never renumber. */
enum cs_sigma_level {
	CS_SIGMA_LEVEL_NONE = 0, /* absent or unknown */
	CS_SIGMA_LEVEL_INFORMATIONAL = 1,
	CS_SIGMA_LEVEL_LOW = 2,
	CS_SIGMA_LEVEL_MEDIUM = 3,
	CS_SIGMA_LEVEL_HIGH = 4,
	CS_SIGMA_LEVEL_CRITICAL = 5
};

/* "informational", "low", ... or "" for CS_SIGMA_LEVEL_NONE. */
const char *cs_sigma_level_name(enum cs_sigma_level level);

/*
 * Compile every Sigma rule kept in `intel` (which is only read, and may
 * be used by other threads meanwhile). Rules that cannot be evaluated are
 * reported through `diag` (severity warning, reason tag and the rule's
 * file:line:column) and kept as not usable; `diag` may be NULL.
 * Returns CS_OK with *out set (also when the set holds no Sigma rule, or
 * none usable), CS_ERR_NOMEM, or CS_ERR_TOOBIG past the caps.
 */
int cs_sigma_compile(const struct cs_intel *intel, cs_diag_fn diag, void *userdata,
                     struct cs_sigma **out);
void cs_sigma_free(struct cs_sigma *sg);

/* Counts over the compiled set. */
struct cs_sigma_stats {
	uint64_t rules;      /* rule documents read (collections expanded) */
	uint64_t usable;     /* compiled and run on the events they apply to */
	uint64_t not_usable; /* kept but never run; by reason below */
	uint64_t files;      /* rule files */
};
void cs_sigma_stats(const struct cs_sigma *sg, struct cs_sigma_stats *out);
/* Not-usable rules by reason ("aggregation", "unknown-modifier",
 * "logsource-unmapped", "regex-unsupported", ...), most frequent first;
 * NULL past the end. */
size_t cs_sigma_reason_count(const struct cs_sigma *sg);
const char *cs_sigma_reason(const struct cs_sigma *sg, size_t i, uint64_t *count);

/*
 * One rule's metadata, borrowed from the compiled set (valid until
 * cs_sigma_free()). Absent strings are NULL; lists may be empty.
 */
struct cs_sigma_rule_info {
	const char *id; /* lower-case as written, or NULL */
	const char *title;
	const char *status; /* stable, test, experimental, deprecated, unsupported */
	enum cs_sigma_level level;
	const char *description;
	const char *author;
	const char *date;
	const char *modified;
	const char *const *tags; /* as written: "attack.t1059.001", "attack.execution" */
	size_t ntags;
	const char *const *references;
	size_t nreferences;
	const char *product; /* logsource */
	const char *category;
	const char *service;
	const char *indicator; /* the CS_KIND_SIGMA_RULE indicator's value */
	/* Provenance: the rule file and the position of the rule's document
	 * (1-based). */
	const char *file;
	uint64_t line, column;
	int usable;
	/* When not usable: the reason tag, a message, and where in the file
	 * the problem is (the document's position when nothing closer). */
	const char *reason;
	const char *message;
	uint64_t reason_line, reason_column;
};
size_t cs_sigma_rule_count(const struct cs_sigma *sg);
/* Fill *out for rule i (0-based, in file and document order); CS_OK or
 * CS_ERR_NOTFOUND. */
int cs_sigma_rule(const struct cs_sigma *sg, size_t i, struct cs_sigma_rule_info *out);

/* Per-thread evaluation state; NULL on out of memory. */
struct cs_sigma_scratch *cs_sigma_scratch_new(const struct cs_sigma *sg);
void cs_sigma_scratch_free(struct cs_sigma_scratch *s);

/*
 * A field of the event that a rule's detection matched: the event's own
 * field name (after mapping: a Security 4688 event's NewProcessName for
 * a rule's Image), the name the rule used, and the value (borrowed from
 * the event). Keyword matches name the field the keyword was found in.
 */
struct cs_sigma_match {
	const char *field;
	const char *rule_field;
	const char *value;
	size_t value_len;
};

/* One rule firing on one event. Everything is borrowed for the callback. */
struct cs_sigma_hit {
	size_t rule; /* index for cs_sigma_rule() */
	const char *id;
	const char *title;
	enum cs_sigma_level level;
	const char *indicator; /* value of the CS_KIND_SIGMA_RULE indicator */
	const char *const *tags;
	size_t ntags;
	const struct cs_sigma_match *matches;
	size_t nmatches;
};

/* Return 0 to go on, nonzero to stop evaluating this event. */
typedef int (*cs_sigma_hit_fn)(void *userdata, const struct cs_event *ev,
                               const struct cs_sigma_hit *hit);

/*
 * Run every usable rule whose log source the event can carry (product,
 * service, channel and event id; an event without product or channel
 * meets only rules whose log source names none of them) and call `fn`
 * for each that fires, in rule order. Returns the number of rules that
 * fired (>= 0), or CS_ERR_NOMEM / CS_ERR_INVALID.
 */
int cs_sigma_eval(const struct cs_sigma *sg, struct cs_sigma_scratch *s, const struct cs_event *ev,
                  cs_sigma_hit_fn fn, void *userdata);

/*
 * Would any usable rule look at an event of this log source? `product`,
 * `service`, `channel` may be NULL, `event_id` 0 for any. Lets a reader
 * skip building events nobody evaluates.
 */
int cs_sigma_wants(const struct cs_sigma *sg, const char *product, const char *service,
                   const char *channel, int event_id);

/* Number of usable rules that may apply to events of this source, same
 * arguments: for a coverage note ("12 rules for this log"). */
size_t cs_sigma_applicable(const struct cs_sigma *sg, const char *product, const char *service,
                           const char *channel, int event_id);

#ifdef __cplusplus
}
#endif

#endif /* CHAINSWEEP_SIGMA_H */

/*
 * Private helpers of the report writers: the findings of a report grouped
 * by indicator and by host, times as RFC 3339 text, deterministic UUIDs
 * and JSON strings that are always valid UTF-8.
 */
#ifndef CS_REPORT_INT_H
#define CS_REPORT_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "chainsweep/report.h"
#include "core/core_int.h"

/* One distinct indicator (kind, value) over all findings. */
struct cs_rpt_ind {
	const char *kind, *value;  /* borrowed from the first finding */
	int64_t first_ms, last_ms; /* 0 when no finding has a time */
	uint64_t count;            /* sum of the findings' counts */
	size_t nfindings;
	int warninglisted;   /* every finding of it is warninglisted */
	int confidence;      /* highest known, -1 when none */
	const char **labels; /* union, in order of appearance */
	size_t nlabels, caplabels;
	const char **hosts; /* hosts it was seen on */
	size_t nhosts, caphosts;
};

/* One host: its coverage entry (or NULL) and its findings. */
struct cs_rpt_host {
	const char *name;
	const struct cs_host_coverage *cov;
	size_t *findings; /* indexes into r->findings */
	size_t nfindings, capfindings;
};

/* A report grouped for writing. */
struct cs_rpt {
	const struct cs_report *r;
	struct cs_rpt_ind *inds;
	size_t ninds, capinds;
	size_t *find_ind; /* finding i -> its indicator */
	struct cs_rpt_host *hosts;
	size_t nhosts, caphosts;
	size_t hosts_hit;
	struct cs_map ind_map, host_map;
};

/* Group the findings of `r`. Returns CS_OK, CS_ERR_NOMEM or
 * CS_ERR_INVALID (a NULL report, or findings without their arrays). */
int cs__rpt_init(struct cs_rpt *g, const struct cs_report *r);
void cs__rpt_release(struct cs_rpt *g);

/* The value of label `l` after "campaign:" etc. when it has `prefix`,
 * NULL otherwise. */
const char *cs__rpt_label_value(const char *l, const char *prefix);
/* 1 when the indicator or finding label list holds `label`. */
int cs__rpt_has_label(const char *const *labels, size_t n, const char *label);

/* The Sigma rule that names rule `v` (its id, or its title) and never
 * fires, into b: a report does not carry rule text (as for YARA). Our
 * Sigma reader reads it back as a rule of that id. CS_OK or CS_ERR_NOMEM. */
int cs__rpt_sigma_stub(struct cs_buf *b, const char *v);

/* The finding kind as text: "file", "log", "software" ("unknown"). */
const char *cs__rpt_kind_name(enum cs_finding_kind k);

/* RFC 3339 UTC text of an epoch-milliseconds time into buf (>= 32
 * bytes): "2023-03-29T12:00:00Z", with ".123" when the milliseconds
 * are not zero or `always_ms` is set. Returns buf. */
char *cs__rpt_time(char *buf, size_t size, int64_t ms, int always_ms);
#define CS_RPT_TIME_MAX 40

/* A UUID version 5 (RFC 9562) in chainsweep's namespace of the name
 * "part1\x1fpart2..." (NULL parts count as empty), as 36 characters
 * plus a NUL into out. Returns CS_OK or CS_ERR_NOMEM. */
int cs__rpt_uuid(char out[37], const char *const *parts, size_t nparts);
/* The UUIDv5 of `name` in the STIX namespace for cyber observables
 * (STIX 2.1, section 2.9): `name` is the canonical JSON of the object's
 * ID contributing properties. */
int cs__rpt_uuid_stix(char out[37], const char *name);

/* A JSON string of `s`; bytes that are not valid UTF-8 (never expected:
 * findings arrive as UTF-8) are written as "\xNN" text. NULL only when
 * out of memory. */
json_t *cs__rpt_jstr(const char *s);
/* Set key to the string s unless s is NULL; set key to a time unless 0.
 * Return 0 or -1 (out of memory). */
int cs__rpt_set_str(json_t *o, const char *key, const char *s);
int cs__rpt_set_time(json_t *o, const char *key, int64_t ms, int always_ms);
/* Dump one JSON value to out (indent 0: one line). CS_OK or CS_ERR_IO. */
int cs__rpt_dump(FILE *out, json_t *v, size_t indent);
/* CS_OK when out has seen no write error after a flush, else CS_ERR_IO. */
int cs__rpt_flush(FILE *out);

#endif /* CS_REPORT_INT_H */

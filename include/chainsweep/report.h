/*
 * chainsweep: reports of a case (docs/findings-schema.md).
 *
 * A report is written from the findings of one or more sweeps, already
 * deduplicated: one struct cs_finding_rec per (host, what, where), with
 * first and last seen. Writers: JSON Lines (the versioned findings
 * schema), a self-contained HTML page (summary, findings per host as
 * compact rows that unfold, a timeline with one lane per host against each
 * incident's compromise window, the overlap leads and their graph, the
 * coverage table with the intel each sweep checked against), a STIX 2.1 bundle of sightings
 * and a MISP event; the last two import back into chainsweep.
 */
#ifndef CHAINSWEEP_REPORT_H
#define CHAINSWEEP_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "chainsweep/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CS_FINDINGS_SCHEMA "chainsweep-findings/1"

/* What kind of evidence a finding is. */
enum cs_finding_kind {
	CS_FIND_FILE = 1,     /* a file (hash, name, path regex, YARA) */
	CS_FIND_LOG = 2,      /* a log line naming a domain, address, URL, hash */
	CS_FIND_SOFTWARE = 3, /* an installed product version */
	CS_FIND_PROCESS = 4   /* a running process: executable, mapped file, memory, socket */
};

/* One deduplicated finding. Strings are UTF-8 (paths escaped as the CLI
 * does); NULL when absent. Times are epoch milliseconds, 0 when unknown. */
struct cs_finding_rec {
	enum cs_finding_kind kind;
	const char *host;
	const char *evidence;      /* "hash", "name", "path-regex", "yara", "log", "version" */
	const char *location;      /* file path, "log:line", or package source */
	const char *observed;      /* the matched text, hash, rule or "product version" */
	/* The indicator. */
	const char *ind_kind;      /* "sha256", "domain", "product-version", ... */
	const char *ind_value;
	const char *const *labels; /* "campaign:3CX-2023", "actor:UNC4736", ... */
	size_t nlabels;
	const char *source;        /* first source: "file:line" or a STIX/MISP id */
	int warninglisted;
	int confidence;            /* 0..100, -1 unknown */
	int64_t first_seen_ms;     /* event time (logs), file mtime or install time */
	int64_t last_seen_ms;
	uint64_t count;            /* how many times seen (log lines, re-sweeps) */
	/* File findings: digests when computed. */
	const char *sha256, *sha1, *md5;
	/* Process findings: the process as a JSON object (pid, user, start,
	 * exe, parents, and the region or socket that matched;
	 * docs/live-host.md), or NULL. */
	const char *process;
};

/* An incident's compromise window, drawn on the timeline. */
struct cs_incident_window {
	const char *name;          /* matches a "campaign:NAME" label */
	int64_t from_ms, until_ms;
};

/* One host's sweep: what was covered. */
struct cs_host_coverage {
	const char *host;
	int64_t swept_ms;
	uint64_t files, files_fully, log_files, log_lines, packages;
	const char *const *gaps;   /* "denied 3", "archive-encrypted 1", ... */
	size_t ngaps;
	int incomplete;
	/* The intel the sweep checked against: its version and how many
	 * indicators that version held; 0 when unknown. */
	int64_t intel_version;
	uint64_t intel_indicators;
};

struct cs_lead; /* chainsweep/correlate.h */

struct cs_report {
	const char *title;
	int64_t generated_ms;
	const char *tool_version;
	int64_t intel_version;     /* the case's newest intel version, 0 unknown */
	uint64_t intel_indicators; /* indicators it holds, 0 unknown */
	const struct cs_finding_rec *findings;
	size_t nfindings;
	const struct cs_incident_window *windows;
	size_t nwindows;
	const struct cs_host_coverage *hosts;
	size_t nhosts;
	/* Overlap leads of the case (chainsweep correlate --case), shown by
	 * the HTML report as a table and an evidence graph it draws; NULL
	 * and 0 when not computed. */
	const struct cs_lead *const *leads;
	size_t nleads;
};

/*
 * Each writer returns CS_OK, CS_ERR_IO (write failed), CS_ERR_NOMEM, or
 * CS_ERR_INVALID (r is NULL, or a count without its array). The output is
 * a function of `r` alone: the same report gives the same bytes (STIX and
 * MISP identifiers are UUIDv5 of the content; times come from `r`).
 *
 * cs_report_jsonl: docs/findings-schema.md, one JSON object a line.
 * cs_report_html:  one self-contained page (inline CSS and SVG only).
 * cs_report_stix:  a STIX 2.1 bundle: identities, indicators, campaigns,
 *                  intrusion sets, observed-data with their SCOs, sightings.
 * cs_report_misp:  one MISP event ({"Event": {...}}), an attribute per
 *                  indicator with its sightings.
 */
int cs_report_jsonl(FILE *out, const struct cs_report *r);
int cs_report_html(FILE *out, const struct cs_report *r);
int cs_report_stix(FILE *out, const struct cs_report *r);
int cs_report_misp(FILE *out, const struct cs_report *r);

/* The writers by name: "jsonl", "html", "stix", "misp" (NULL-terminated
 * list). cs_report_write() returns CS_ERR_INVALID for an unknown name. */
const char *const *cs_report_formats(void);
int cs_report_write(FILE *out, const char *format, const struct cs_report *r);

/*
 * Write reports as files into the folder `dir` (which must exist): one
 * file per entry of `files`, `format` as cs_report_write() names it,
 * `name` a plain file name. Each is written under a fresh temporary name
 * (created with O_EXCL | O_NOFOLLOW, so never through a link), every
 * write, fsync and close checked; only when every file is complete are
 * they renamed into place, so each report is complete or absent, and on
 * failure no temporary file is left. A symbolic link, folder or other
 * non-regular file where a report goes is an error and is left alone (a
 * regular file is replaced, a hard link's other names keep the old bytes).
 * Returns CS_OK, CS_ERR_INVALID, CS_ERR_NOMEM or CS_ERR_IO; on error `err`
 * (errlen bytes, may be NULL) says which file and why, with the system's
 * reason ("No space left on device").
 */
struct cs_report_file {
	const char *name;
	const char *format;
};
int cs_report_save(const char *dir, const struct cs_report_file *files, size_t n,
		   const struct cs_report *r, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* CHAINSWEEP_REPORT_H */

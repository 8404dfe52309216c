/*
 * chainsweep: one structured event, as the log readers hand it to the
 * behaviour rules (Sigma).
 *
 * A Windows event record (read from a .evtx file, or from an XML or JSON
 * export of one) and a structured log line (JSON, Zeek, CSV) become the
 * same thing: a list of named fields with text values. Field names are
 * the ones the source uses, so that the rules' field mappings decide what
 * "Image" or "query" means, not the reader:
 *   - Windows: the System element's children by name (EventID, Channel,
 *     Computer, EventRecordID, Level, Task, Opcode, Keywords, Version),
 *     attribute-only elements as Element_Attribute (Provider_Name,
 *     Provider_Guid, TimeCreated_SystemTime, Execution_ProcessID,
 *     Security_UserID), then every EventData/UserData item by its Name
 *     attribute (Image, CommandLine, ...), unnamed items as Data, Data_2...
 *   - JSON lines: every scalar by its dotted path (id.orig_h,
 *     winlog.event_data.Image), and for Winlogbeat-style nesting also by
 *     its last component when that is not ambiguous.
 * Values are UTF-8 text (numbers in decimal, booleans as true/false, binary
 * as upper-case hex), each NUL-terminated; a field present with an empty
 * or null value has value "" and is_null set for null.
 */
#ifndef CHAINSWEEP_EVENT_H
#define CHAINSWEEP_EVENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct cs_event_field {
	const char *name;
	const char *value;
	size_t value_len;
	int is_null;
};

struct cs_event {
	const char *file;   /* the log as named */
	const char *format; /* the reader: "evtx", "json", "winxml", "zeek"... */
	uint64_t line;      /* line in the stream, or record number for .evtx */
	uint64_t offset;    /* byte offset of the event in the (decoded) stream */
	int has_time;
	int64_t time_ms;      /* the event's own time, epoch milliseconds (UTC) */
	const char *host;     /* the source host (Windows: Computer), or NULL */
	const char *product;  /* log source product as Sigma names it ("windows", "zeek",
	                       * "linux"), or NULL when unknown */
	const char *service;  /* log source service ("sysmon", "security", "dns"...), or NULL */
	const char *channel;  /* Windows channel, or NULL */
	const char *provider; /* Windows provider name, or NULL */
	int event_id;         /* Windows event id, or 0 */
	uint64_t record_id;   /* Windows EventRecordID, or 0 */
	const struct cs_event_field *fields;
	size_t nfields;
};

/* The first field named `name` (compared exactly), or NULL. */
const struct cs_event_field *cs_event_get(const struct cs_event *e, const char *name);

#ifdef __cplusplus
}
#endif

#endif /* CHAINSWEEP_EVENT_H */

/*
 * Reader for MISP warninglists (docs/intel-formats-text.md): a JSON
 * object with "name", "type" (string, substring, hostname, cidr, regex),
 * "list" (the entries) and "matching_attributes" (MISP attribute types the
 * list applies to). A warninglist adds no indicator: it is handed whole
 * to cs_intel_add_warninglist() and cs_intel_finalize() marks the
 * indicators it names (CS_IND_WARNLISTED); they are never dropped.
 *
 * The list is known by a short name: the folder of a "list.json" (the
 * MISP repository lays lists out as lists/<name>/list.json), else the
 * file name without ".json", else the "name" member.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "intel/intel_int.h"

#define WL_MAX_FILE ((size_t)256 << 20)
#define WL_NAME_MAX 200

/* MISP attribute types and the kinds they stand for. A composite type
 * ("filename|sha256", "domain|ip") is looked up part by part. */
static const struct {
	const char *type;
	uint32_t kinds;
} attr_kinds[] = {
        {"md5", 1u << CS_KIND_MD5},
        {"sha1", 1u << CS_KIND_SHA1},
        {"sha256", 1u << CS_KIND_SHA256},
        {"sha512", 1u << CS_KIND_SHA512},
        {"filename", 1u << CS_KIND_FILENAME},
        {"domain", 1u << CS_KIND_DOMAIN},
        {"hostname", 1u << CS_KIND_DOMAIN},
        {"url", 1u << CS_KIND_URL},
        {"uri", 1u << CS_KIND_URL},
        {"link", 1u << CS_KIND_URL},
        {"ip-src", 1u << CS_KIND_IPV4 | 1u << CS_KIND_IPV6 | 1u << CS_KIND_CIDR},
        {"ip-dst", 1u << CS_KIND_IPV4 | 1u << CS_KIND_IPV6 | 1u << CS_KIND_CIDR},
        {"ip", 1u << CS_KIND_IPV4 | 1u << CS_KIND_IPV6 | 1u << CS_KIND_CIDR},
        {"whois-registrant-email", 1u << CS_KIND_EMAIL},
        {"target-email", 1u << CS_KIND_EMAIL},
        {"x509-fingerprint-sha1", 1u << CS_KIND_SHA1},
        {"x509-fingerprint-sha256", 1u << CS_KIND_SHA256},
        {"x509-fingerprint-md5", 1u << CS_KIND_MD5},
};

/*
 * Kinds of one MISP attribute type; 0 when it names nothing we hold
 * (ssdeep, sha224, AS, port...). Composite types: "domain|ip" gives
 * DOMAIN|IPV4|IPV6 (the parts' kinds, the address part as plain
 * addresses), "filename|<hash>" the hash only (the entry is a hash),
 * "<x>|port" the kinds of <x>.
 */
static uint32_t attr_mask(const char *t)
{
	const char *bar = strchr(t, '|');
	size_t i, tl = strlen(t);

	if (bar) {
		char first[64];
		size_t fl = (size_t)(bar - t);
		uint32_t a, b;

		if (fl >= sizeof(first))
			return 0;
		memcpy(first, t, fl);
		first[fl] = '\0';
		if (strcmp(first, "filename") == 0)
			return attr_mask(bar + 1);
		if (strcmp(bar + 1, "port") == 0)
			return attr_mask(first);
		a = attr_mask(first);
		b = attr_mask(bar + 1);
		if (strcmp(bar + 1, "ip") == 0)
			b = 1u << CS_KIND_IPV4 | 1u << CS_KIND_IPV6;
		return a | b;
	}
	if (tl >= 5 && strncmp(t, "email", 5) == 0)
		return 1u << CS_KIND_EMAIL;
	for (i = 0; i < CS_ARRAY_SIZE(attr_kinds); i++) {
		if (strcmp(t, attr_kinds[i].type) == 0)
			return attr_kinds[i].kinds;
	}
	return 0;
}

/* Short name of the list (see the file comment) into buf. */
static void list_name(const char *path, const char *json_name, char *buf, size_t size)
{
	const char *p = path ? path : "", *slash = strrchr(p, '/');
	const char *base = slash ? slash + 1 : p;
	size_t bl = strlen(base);

	if (strcmp(base, "list.json") == 0 && slash && slash > p) {
		const char *d = slash;

		while (d > p && d[-1] != '/')
			d--;
		if (slash > d) {
			snprintf(buf, size, "%.*s", (int)(slash - d), d);
			return;
		}
	}
	if (bl > 5 && strcmp(base + bl - 5, ".json") == 0) {
		snprintf(buf, size, "%.*s", (int)(bl - 5), base);
		return;
	}
	if (json_name && *json_name) {
		snprintf(buf, size, "%s", json_name);
		return;
	}
	snprintf(buf, size, "%s", bl ? base : "warninglist");
}

/*
 * Parse the list and hand it to the set. The file is unusable (an error
 * is returned and one reject counted) when it is not JSON, not an object
 * with a "list" array, or of a type we do not know; entries that are not
 * strings (or longer than an indicator value may be, or holding a NUL)
 * are rejected one by one.
 */
static int read_warninglist(struct cs_reader_ctx *ctx)
{
	json_error_t jerr;
	json_t *root, *list, *attrs, *v;
	const char *type, *jname, **entries = NULL;
	char name[WL_NAME_MAX + 1];
	uint32_t kinds = 0;
	size_t i, n = 0;
	int rc;

	if (ctx->len > WL_MAX_FILE) {
		cs__reject(ctx, "too-big", 0, 0, "warninglist larger than %zu bytes",
		           (size_t)WL_MAX_FILE);
		return CS_ERR_TOOBIG;
	}
	root = json_loadb(ctx->data, ctx->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		cs__reject(ctx, "json-syntax", jerr.line > 0 ? (uint64_t)jerr.line : 0,
		           jerr.column > 0 ? (uint64_t)jerr.column : 0, "%s", jerr.text);
		return CS_ERR_PARSE;
	}
	list = json_object_get(root, "list");
	type = json_string_value(json_object_get(root, "type"));
	jname = json_string_value(json_object_get(root, "name"));
	if (!json_is_array(list) || !type) {
		cs__reject(ctx, "not-warninglist", 0, 0,
		           "not a warninglist: needs a \"list\" array and a \"type\"");
		json_decref(root);
		return CS_ERR_PARSE;
	}
	attrs = json_object_get(root, "matching_attributes");
	if (json_is_array(attrs) && json_array_size(attrs) > 0) {
		json_array_foreach(attrs, i, v)
		{
			if (json_is_string(v))
				kinds |= attr_mask(json_string_value(v));
		}
		if (kinds == 0) {
			/* Only attribute types we hold no kind of: the list
			 * applies to no indicator (0 would mean all). */
			kinds = 1u << CS_KIND_NONE;
			cs__diag(ctx, CS_SEV_INFO, 0, 0,
			         "warninglist applies to no kind of indicator we hold");
		}
	}
	if (json_array_size(list) > 0) {
		entries = cs__calloc(json_array_size(list), sizeof(*entries));
		if (!entries) {
			json_decref(root);
			return CS_ERR_NOMEM;
		}
	}
	json_array_foreach(list, i, v)
	{
		const char *s = json_string_value(v);

		if (!s) {
			cs__reject(ctx, "bad-entry", 0, 0, "entry %zu is not a string", i + 1);
			continue;
		}
		if (json_string_length(v) > CS_INTEL_MAX_VALUE) {
			cs__reject(ctx, "too-long", 0, 0, "entry %zu is longer than %zu bytes",
			           i + 1, (size_t)CS_INTEL_MAX_VALUE);
			continue;
		}
		if (strlen(s) != json_string_length(v)) {
			cs__reject(ctx, "nul-byte", 0, 0, "entry %zu holds a NUL byte", i + 1);
			continue;
		}
		if (*s)
			entries[n++] = s;
	}
	list_name(ctx->path, jname, name, sizeof(name));
	rc = cs_intel_add_warninglist(ctx->intel, name, type, kinds, entries, n);
	if (rc == CS_ERR_UNSUPPORTED) {
		cs__reject(ctx, "unsupported-type", 0, 0,
		           "warninglist type '%.40s' is not one of "
		           "string, substring, hostname, cidr, regex",
		           type);
		rc = CS_ERR_UNSUPPORTED;
	} else if (rc == CS_OK) {
		ctx->warninglist_entries += n;
	}
	free(entries);
	json_decref(root);
	return rc;
}

/* Where the value of object key `key` starts in the text (after the
 * ':' and blanks), or 0 when the key does not appear. */
static size_t key_value(const char *data, size_t len, const char *key)
{
	size_t kl = strlen(key), i;

	for (i = 0; i + kl + 2 <= len; i++) {
		const char *q = memchr(data + i, '"', len - i);
		size_t j;

		if (!q)
			return 0;
		i = (size_t)(q - data);
		if (i + kl + 2 > len)
			return 0;
		if (memcmp(q + 1, key, kl) != 0 || q[kl + 1] != '"')
			continue;
		for (j = i + kl + 2; j < len && cs__isspace((unsigned char)data[j]); j++)
			;
		if (j >= len || data[j] != ':')
			continue;
		for (j++; j < len && cs__isspace((unsigned char)data[j]); j++)
			;
		return j;
	}
	return 0;
}

/*
 * Bid: a JSON object with a "list" array and either
 * "matching_attributes" or both "type" and "name". The sniff window may
 * hold only the start of a large list: MISP writes the keys in order
 * ("description", "list", "matching_attributes", "name", "type",
 * "version"), so past the window only "description" and the start of
 * "list" are seen; that shape still makes a fair bid, a good one for a
 * file named list.json.
 */
static int bid_warninglist(const char *data, size_t len, const char *path)
{
	size_t i, lv;
	int attrs, type, name, file_named;

	for (i = 0; i < len && cs__isspace((unsigned char)data[i]); i++)
		;
	if (i >= len || data[i] != '{')
		return 0;
	lv = key_value(data, len, "list");
	if (!lv || lv >= len || data[lv] != '[')
		return 0;
	attrs = key_value(data, len, "matching_attributes") != 0;
	type = key_value(data, len, "type") != 0;
	name = key_value(data, len, "name") != 0;
	file_named = path && strlen(path) >= 9 && strcmp(path + strlen(path) - 9, "list.json") == 0;
	if (attrs || (type && name))
		return file_named ? 95 : 90;
	if (key_value(data, len, "description"))
		return file_named ? 80 : 60;
	return 0;
}

const struct cs_reader cs__reader_warninglist = {"warninglist", bid_warninglist, read_warninglist};

/*
 * Structured events from log lines (include/chainsweep/event.h): a JSON
 * object, a Windows event as one line of XML, or a row of a Zeek or CSV
 * log with its header's column names. The log reader calls these only
 * when someone asked for events (Sigma rules), so the plain hunt never
 * pays for them.
 *
 * Windows events keep the names event.h gives them whichever export they
 * come from: evtx_dump's JSON ({"Event":{"System":..,"EventData":..}}),
 * Winlogbeat's ({"winlog":{"event_id":..,"event_data":..}}) and the XML
 * that wevtutil and Get-WinEvent write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/core_int.h"
#include "scan/logscan_int.h"

#define EV_MAX_FIELDS 4096
#define EV_MAX_DEPTH  32
#define EV_NAME_MAX   512

/* Code point c as UTF-8 into d; the bytes written (at most 4). */
static size_t utf8_put(char *d, uint32_t c)
{
	if (c < 0x80) {
		d[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		d[0] = (char)(0xC0 | (c >> 6));
		d[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		d[0] = (char)(0xE0 | (c >> 12));
		d[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		d[2] = (char)(0x80 | (c & 0x3F));
		return 3;
	}
	d[0] = (char)(0xF0 | (c >> 18));
	d[1] = (char)(0x80 | ((c >> 12) & 0x3F));
	d[2] = (char)(0x80 | ((c >> 6) & 0x3F));
	d[3] = (char)(0x80 | (c & 0x3F));
	return 4;
}

void cs__evb_reset(struct cs__evb *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		free((char *)b->f[i].name);
		free((char *)b->f[i].value);
	}
	b->n = 0;
	free(b->channel);
	free(b->provider);
	free(b->host);
	b->channel = b->provider = b->host = NULL;
}

void cs__evb_free(struct cs__evb *b)
{
	cs__evb_reset(b);
	free(b->f);
	memset(b, 0, sizeof(*b));
}

/* Append a field (copies both); 0, or -1 when full or out of memory. */
int cs__evb_add(struct cs__evb *b, const char *name, size_t nn, const char *v, size_t vn,
                int is_null)
{
	struct cs_event_field *f;
	char *n, *val;

	if (b->n >= EV_MAX_FIELDS || cs__grow((void **)&b->f, &b->cap, b->n + 1, sizeof(*b->f)))
		return -1;
	n = cs__strndup(name, nn);
	val = cs__strndup(v ? v : "", v ? vn : 0);
	if (!n || !val) {
		free(n);
		free(val);
		return -1;
	}
	f = &b->f[b->n++];
	f->name = n;
	f->value = val;
	f->value_len = v ? vn : 0;
	f->is_null = is_null;
	return 0;
}

/* A JSON scalar as event.h's text: numbers in decimal, booleans as
 * true/false, null as "" with is_null. 0 when `v` is not a scalar. */
static int scalar_text(json_t *v, char *buf, size_t len, const char **s, size_t *n, int *is_null)
{
	*is_null = 0;
	switch (json_typeof(v)) {
	case JSON_STRING:
		*s = json_string_value(v);
		*n = json_string_length(v);
		return 1;
	case JSON_INTEGER:
		*n = (size_t)snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		*n = (size_t)snprintf(buf, len, "%.17g", json_real_value(v));
		break;
	case JSON_TRUE:
		*n = (size_t)snprintf(buf, len, "true");
		break;
	case JSON_FALSE:
		*n = (size_t)snprintf(buf, len, "false");
		break;
	case JSON_NULL:
		*n = 0;
		buf[0] = '\0';
		*is_null = 1;
		break;
	default:
		return 0;
	}
	if (*n >= len)
		*n = len - 1;
	*s = buf;
	return 1;
}

static int add_json(struct cs__evb *b, const char *name, size_t nn, json_t *v)
{
	char buf[64];
	const char *s;
	size_t n;
	int is_null;

	if (!scalar_text(v, buf, sizeof(buf), &s, &n, &is_null))
		return 0;
	return cs__evb_add(b, name, nn, s, n, is_null);
}

/* Every scalar under `v` by its dotted path after `prefix`; arrays of
 * scalars as one field per element under the same name. */
static void flatten(struct cs__evb *b, json_t *v, char *path, size_t plen, int depth)
{
	const char *k;
	json_t *x;
	size_t i;

	if (depth > EV_MAX_DEPTH)
		return;
	if (json_is_object(v)) {
		json_object_foreach(v, k, x)
		{
			size_t kl = strlen(k), np = plen ? plen + 1 + kl : kl;

			if (np >= EV_NAME_MAX)
				continue;
			if (plen)
				path[plen] = '.';
			memcpy(path + (plen ? plen + 1 : 0), k, kl);
			path[np] = '\0';
			flatten(b, x, path, np, depth + 1);
			path[plen] = '\0';
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
		        flatten(b, x, path, plen, depth + 1);
	} else if (plen) {
		add_json(b, path, plen, v);
	}
}

/* Windows naming for one element's children: an element that holds only
 * "#attributes" becomes Element_Attribute per attribute; one with text
 * and attributes gives its text under its name too. */
static void win_children(struct cs__evb *b, json_t *obj, int by_name)
{
	const char *k;
	json_t *x;

	json_object_foreach(obj, k, x)
	{
		char name[EV_NAME_MAX];

		if (strcmp(k, "#attributes") == 0)
			continue;
		if (json_is_object(x)) {
			json_t *attrs = json_object_get(x, "#attributes"), *text = json_object_get(x, "#text");
			const char *ak;
			json_t *av;

			if (json_is_object(attrs)) {
				json_object_foreach(attrs, ak, av)
				{
					if (snprintf(name, sizeof(name), "%s_%s", k, ak) <
					    (int)sizeof(name))
						add_json(b, name, strlen(name), av);
				}
			}
			if (text)
				add_json(b, k, strlen(k), text);
			if (!attrs && !text && by_name) {
				/* UserData: one more level of named items. */
				win_children(b, x, 0);
			}
		} else if (json_is_array(x)) {
			size_t i;
			json_t *e;

			json_array_foreach(x, i, e)
			{
				if (json_is_object(e))
					win_children(b, e, 0);
				else
					add_json(b, k, strlen(k), e);
			}
		} else {
			add_json(b, k, strlen(k), x);
		}
	}
}

static const char *field_value(const struct cs__evb *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (strcmp(b->f[i].name, name) == 0)
			return b->f[i].value;
	return NULL;
}

/* Sigma's service names for the Windows channels it knows by name. */
static const char *service_of(const char *channel)
{
	static const struct {
		const char *channel, *service;
	} map[] = {
	        {"Microsoft-Windows-Sysmon/Operational", "sysmon"},
	        {"Security", "security"},
	        {"System", "system"},
	        {"Application", "application"},
	        {"Microsoft-Windows-PowerShell/Operational", "powershell"},
	        {"Windows PowerShell", "powershell-classic"},
	        {"Microsoft-Windows-Windows Defender/Operational", "windefend"},
	        {"Microsoft-Windows-TaskScheduler/Operational", "taskscheduler"},
	        {"Microsoft-Windows-WMI-Activity/Operational", "wmi"},
	        {"Microsoft-Windows-DNS-Client/Operational", "dns-client"},
	        {"Microsoft-Windows-Bits-Client/Operational", "bits-client"},
	        {"Microsoft-Windows-CodeIntegrity/Operational", "codeintegrity-operational"},
	        {"Microsoft-Windows-AppLocker/EXE and DLL", "applocker"},
	        {"Microsoft-Windows-AppLocker/MSI and Script", "applocker"},
	        {"Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",
	         "terminalservices-localsessionmanager"},
	        {"Microsoft-Windows-NTLM/Operational", "ntlm"},
	        {"Microsoft-Windows-Windows Firewall With Advanced Security/Firewall", "firewall-as"},
	        {"Microsoft-Windows-DriverFrameworks-UserMode/Operational", "driver-framework"},
	        {"Microsoft-Windows-Shell-Core/Operational", "shell-core"},
	        {"Microsoft-Windows-OpenSSH/Operational", "openssh"},
	        {"Microsoft-Windows-LDAP-Client/Debug", "ldap_debug"},
	};
	size_t i;

	if (!channel)
		return NULL;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].channel, channel) == 0)
			return map[i].service;
	return NULL;
}

/* The Windows facts the event struct carries beside the fields. */
static void win_facts(struct cs__evb *b, struct cs_event *e)
{
	const char *v;

	e->product = "windows";
	if ((v = field_value(b, "Channel")) != NULL)
		b->channel = cs__strdup(v);
	if ((v = field_value(b, "Provider_Name")) != NULL)
		b->provider = cs__strdup(v);
	if ((v = field_value(b, "Computer")) != NULL)
		b->host = cs__strdup(v);
	if ((v = field_value(b, "EventID")) != NULL)
		e->event_id = atoi(v);
	if ((v = field_value(b, "EventRecordID")) != NULL)
		e->record_id = strtoull(v, NULL, 10);
	e->channel = b->channel;
	e->provider = b->provider;
	e->service = service_of(b->channel);
	if (b->host)
		e->host = b->host;
}

/* Winlogbeat's names for the System fields. */
static const char *const beat_names[][2] = {
        {"event_id", "EventID"},          {"channel", "Channel"},
        {"computer_name", "Computer"},    {"provider_name", "Provider_Name"},
        {"provider_guid", "Provider_Guid"}, {"record_id", "EventRecordID"},
        {"task", "Task"},                 {"opcode", "Opcode"},
        {"version", "Version"},           {"keywords", "Keywords"},
};

int cs__event_from_json(struct cs__evb *b, json_t *root, struct cs_event *e)
{
	json_t *ev = json_object_get(root, "Event"), *sys, *w;
	char path[EV_NAME_MAX];
	size_t i;

	cs__evb_reset(b);
	sys = json_is_object(ev) ? json_object_get(ev, "System") : NULL;
	if (json_is_object(sys)) {
		const char *k;
		json_t *x;

		win_children(b, sys, 0);
		json_object_foreach(ev, k, x)
		{
			if (strcmp(k, "System") != 0 && strcmp(k, "#attributes") != 0 &&
			    json_is_object(x))
				win_children(b, x, strcmp(k, "UserData") == 0);
		}
		e->format = "json";
		win_facts(b, e);
	} else if (json_is_object(w = json_object_get(root, "winlog"))) {
		json_t *ed = json_object_get(w, "event_data"), *ud = json_object_get(w, "user_data");

		for (i = 0; i < sizeof(beat_names) / sizeof(beat_names[0]); i++) {
			json_t *x = json_object_get(w, beat_names[i][0]);

			if (x)
				add_json(b, beat_names[i][1], strlen(beat_names[i][1]), x);
		}
		if (json_is_object(ed))
			win_children(b, ed, 0);
		if (json_is_object(ud))
			win_children(b, ud, 0);
		win_facts(b, e);
		/* Everything else (process.*, host.*, ...) by its path as well. */
		path[0] = '\0';
		flatten(b, root, path, 0, 0);
	} else {
		path[0] = '\0';
		flatten(b, root, path, 0, 0);
	}
	e->fields = b->f;
	e->nfields = b->n;
	return b->n ? 0 : -1;
}

/* ---- Windows events as one line of XML ---- */

static const char *xml_find(const char *p, const char *end, const char *s)
{
	return memmem(p, (size_t)(end - p), s, strlen(s));
}

/* The value of attribute `a` inside the tag [t, gt), or NULL. */
static const char *xml_attr(const char *t, const char *gt, const char *a, size_t *n)
{
	size_t al = strlen(a);
	const char *p = t;

	while ((p = memmem(p, (size_t)(gt - p), a, al)) != NULL) {
		const char *q = p + al;

		if (p > t && (p[-1] == ' ' || p[-1] == '\t') && q + 1 < gt && q[0] == '=' &&
		    (q[1] == '\'' || q[1] == '"')) {
			const char *e = memchr(q + 2, q[1], (size_t)(gt - q - 2));

			if (!e)
				return NULL;
			*n = (size_t)(e - q - 2);
			return q + 2;
		}
		p = q;
	}
	return NULL;
}

/* Decode the XML entities (the five named and numeric ones) of [s, s+n). */
static char *xml_text(const char *s, size_t n, size_t *out)
{
	char *d = cs__malloc(n + 1);
	size_t i = 0, o = 0;

	if (!d)
		return NULL;
	while (i < n) {
		static const char *const ent[5][2] = {
		        {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}};
		int k, done = 0;

		if (s[i] == '&') {
			for (k = 0; k < 5 && !done; k++) {
				size_t l = strlen(ent[k][0]);

				if (i + l <= n && memcmp(s + i, ent[k][0], l) == 0) {
					d[o++] = ent[k][1][0];
					i += l;
					done = 1;
				}
			}
			if (!done && i + 3 < n && s[i + 1] == '#') {
				const char *semi = memchr(s + i, ';', n - i < 12 ? n - i : 12);
				unsigned long c;
				char *endp;

				if (semi) {
					c = s[i + 2] == 'x' ? strtoul(s + i + 3, &endp, 16)
					                    : strtoul(s + i + 2, &endp, 10);
					if (endp == semi && c > 0 && c < 0x110000) {
						o += utf8_put(d + o, (uint32_t)c);
						i = (size_t)(semi - s) + 1;
						done = 1;
					}
				}
			}
		}
		if (!done)
			d[o++] = s[i++];
	}
	d[o] = '\0';
	*out = o;
	return d;
}

static void xml_add(struct cs__evb *b, const char *name, size_t nn, const char *v, size_t vn)
{
	size_t dn;
	char *d = xml_text(v, vn, &dn);

	if (d) {
		cs__evb_add(b, name, nn, d, dn, 0);
		free(d);
	}
}

/* Children of <System>: <Name>text</Name>, <Name a='x'/> as Name_a. */
static void xml_system(struct cs__evb *b, const char *p, const char *end)
{
	while ((p = memchr(p, '<', (size_t)(end - p))) != NULL && p + 1 < end) {
		const char *ns = p + 1, *ne = ns, *gt;
		char name[EV_NAME_MAX];
		size_t nl;

		if (*ns == '/')
			break;
		while (ne < end && *ne != ' ' && *ne != '>' && *ne != '/')
			ne++;
		gt = memchr(ne, '>', (size_t)(end - ne));
		if (!gt)
			break;
		nl = (size_t)(ne - ns);
		if (nl == 0 || nl >= 200)
			break;
		/* Attributes. */
		{
			const char *a = ne;

			while (a < gt) {
				const char *eq = memchr(a, '=', (size_t)(gt - a)), *an;
				size_t vn;
				const char *v;

				if (!eq)
					break;
				an = eq;
				while (an > a && an[-1] != ' ')
					an--;
				if (snprintf(name, sizeof(name), "%.*s_%.*s", (int)nl, ns,
				             (int)(eq - an), an) < (int)sizeof(name)) {
					char attr[EV_NAME_MAX];

					snprintf(attr, sizeof(attr), "%.*s", (int)(eq - an), an);
					v = xml_attr(an - 1, gt, attr, &vn);
					if (v)
						xml_add(b, name, strlen(name), v, vn);
				}
				a = eq + 1;
				if (a < gt && (*a == '\'' || *a == '"')) {
					const char *q = memchr(a + 1, *a, (size_t)(gt - a - 1));

					a = q ? q + 1 : gt;
				}
			}
		}
		if (gt[-1] == '/') {
			p = gt + 1;
			continue;
		}
		{
			const char *close = memchr(gt + 1, '<', (size_t)(end - gt - 1));

			if (!close)
				break;
			if (close > gt + 1 || (close + 1 < end && close[1] == '/'))
				xml_add(b, ns, nl, gt + 1, (size_t)(close - gt - 1));
			p = close;
			/* Skip the closing tag. */
			if (close + 1 < end && close[1] == '/') {
				const char *cg = memchr(close, '>', (size_t)(end - close));

				p = cg ? cg + 1 : end;
			}
		}
	}
}

/* <Data Name='X'>v</Data> items (unnamed ones as Data, Data_2, ...) and,
 * in UserData, leaf elements by their own names. */
static void xml_data(struct cs__evb *b, const char *p, const char *end)
{
	unsigned unnamed = 0;

	while ((p = memchr(p, '<', (size_t)(end - p))) != NULL && p + 1 < end) {
		const char *ns = p + 1, *ne = ns, *gt, *close;
		size_t nl, vn;
		const char *nv;

		if (*ns == '/' || *ns == '?' || *ns == '!') {
			p = ns;
			continue;
		}
		while (ne < end && *ne != ' ' && *ne != '>' && *ne != '/')
			ne++;
		gt = memchr(ne, '>', (size_t)(end - ne));
		if (!gt)
			break;
		nl = (size_t)(ne - ns);
		if (gt[-1] == '/') {
			p = gt + 1;
			continue;
		}
		close = memchr(gt + 1, '<', (size_t)(end - gt - 1));
		if (!close)
			break;
		if (close + 1 < end && close[1] != '/') {
			p = close; /* a container: its children follow */
			continue;
		}
		if (nl == 4 && memcmp(ns, "Data", 4) == 0) {
			nv = xml_attr(ne, gt, "Name", &vn);
			if (nv) {
				xml_add(b, nv, vn, gt + 1, (size_t)(close - gt - 1));
			} else {
				char name[32];

				unnamed++;
				if (unnamed == 1)
					snprintf(name, sizeof(name), "Data");
				else
					snprintf(name, sizeof(name), "Data_%u", unnamed);
				xml_add(b, name, strlen(name), gt + 1, (size_t)(close - gt - 1));
			}
		} else if (nl > 0 && nl < 200) {
			xml_add(b, ns, nl, gt + 1, (size_t)(close - gt - 1));
		}
		p = close + 1;
	}
}

int cs__event_from_xml(struct cs__evb *b, const char *s, size_t n, struct cs_event *e)
{
	const char *end = s + n, *sys, *sys_end, *data;

	cs__evb_reset(b);
	sys = xml_find(s, end, "<System>");
	if (!sys)
		return -1;
	sys_end = xml_find(sys, end, "</System>");
	if (!sys_end)
		return -1;
	xml_system(b, sys + 8, sys_end);
	data = xml_find(sys_end, end, "<EventData");
	if (!data)
		data = xml_find(sys_end, end, "<UserData");
	if (data) {
		const char *gt = memchr(data, '>', (size_t)(end - data));

		if (gt)
			xml_data(b, gt + 1, end);
	}
	e->format = "xml";
	win_facts(b, e);
	e->fields = b->f;
	e->nfields = b->n;
	return b->n ? 0 : -1;
}

/* ---- rows of column logs ---- */

int cs__event_from_row(struct cs__evb *b, const char *const *names, size_t ncols, char sep,
                       const char *s, size_t n, struct cs_event *e)
{
	size_t col = 0;
	const char *p = s, *end = s + n;

	cs__evb_reset(b);
	while (col < ncols) {
		const char *q = memchr(p, sep, (size_t)(end - p));
		const char *fe = q ? q : end;
		const char *v = p;
		size_t vn = (size_t)(fe - p);

		if (sep == ',' && vn >= 2 && v[0] == '"' && v[vn - 1] == '"')
			v++, vn -= 2;
		/* Zeek writes "-" for unset and "(empty)" for an empty set. */
		if (sep == '\t' && vn == 1 && v[0] == '-')
			cs__evb_add(b, names[col], strlen(names[col]), "", 0, 1);
		else
			cs__evb_add(b, names[col], strlen(names[col]), v, vn, 0);
		col++;
		if (!q)
			break;
		p = q + 1;
	}
	/* The header row itself is no event. */
	for (col = 0; col < b->n; col++)
		if (strcmp(b->f[col].name, b->f[col].value) != 0)
			break;
	if (col == b->n)
		return -1;
	e->fields = b->f;
	e->nfields = b->n;
	return 0;
}

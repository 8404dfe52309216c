/*
 * Desktop applications: macOS app bundles (NAME.app/Contents/Info.plist,
 * XML or binary plist), Electron apps (resources/app/package.json), and
 * Windows installed-program exports: CSV or JSON from PowerShell
 * (Get-Package, or Get-ItemProperty over the registry Uninstall keys) and
 * osquery's `programs` table as JSON.
 *
 * They are all recorded in the "product" ecosystem, compared with the
 * generic vendor order, and matched against product-version indicators.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/pkg_int.h"

#define TEXT_MAX 1024

/* "windows" or "macos" from where an Electron app lives, or NULL. */
static const char *platform_of_path(const char *path)
{
	if (strstr(path, ".app/Contents/"))
		return "macos";
	if (strstr(path, "/AppData/") || strstr(path, "Program Files") ||
	    strstr(path, "/Windows/") || strstr(path, "/Users/") || strstr(path, "\\"))
		return "windows";
	return NULL;
}

/* ------------------------------------------------------------------ plist */

/* The bundle keys we keep. */
struct bundle {
	char name[TEXT_MAX], display[TEXT_MAX], exe[TEXT_MAX], id[TEXT_MAX];
	char short_ver[256], ver[256];
};

static void bundle_set(struct bundle *b, const char *key, const char *val, size_t vn)
{
	if (strcmp(key, "CFBundleName") == 0)
		cs__copy_n(b->name, sizeof(b->name), val, vn);
	else if (strcmp(key, "CFBundleDisplayName") == 0)
		cs__copy_n(b->display, sizeof(b->display), val, vn);
	else if (strcmp(key, "CFBundleExecutable") == 0)
		cs__copy_n(b->exe, sizeof(b->exe), val, vn);
	else if (strcmp(key, "CFBundleIdentifier") == 0)
		cs__copy_n(b->id, sizeof(b->id), val, vn);
	else if (strcmp(key, "CFBundleShortVersionString") == 0)
		cs__copy_n(b->short_ver, sizeof(b->short_ver), val, vn);
	else if (strcmp(key, "CFBundleVersion") == 0)
		cs__copy_n(b->ver, sizeof(b->ver), val, vn);
}

static int bundle_add(struct pkg_ctx *c, const struct bundle *b, const char *entry)
{
	struct cs_package p;
	char ent[TEXT_MAX + 64];

	memset(&p, 0, sizeof(p));
	p.ecosystem = CS_ECO_PRODUCT;
	p.name = b->name[0] ? b->name : b->display[0] ? b->display : b->exe;
	p.version = b->short_ver[0] ? b->short_ver : b->ver;
	p.platform = "macos";
	snprintf(ent, sizeof(ent), "%s%s%s", entry, b->id[0] ? " " : "", b->id);
	p.entry = ent;
	if (!p.name[0] || !p.version[0]) {
		cs__pkg_broken(c, 0, 0, "Info.plist without CFBundleName and a version string");
		return CS_OK;
	}
	return cs__pkg_add(c, "info-plist", &p);
}

struct xp {
	const char *d;
	size_t len, pos;
	size_t err_off;
	const char *err;
};

static int xp_fail(struct xp *x, const char *msg)
{
	if (!x->err) {
		x->err = msg;
		x->err_off = x->pos;
	}
	return -1;
}

static int xp_starts(const struct xp *x, const char *s)
{
	size_t n = strlen(s);

	return x->len - x->pos >= n && memcmp(x->d + x->pos, s, n) == 0;
}

/* Skip blanks, comments, processing instructions and the DOCTYPE. */
static int xp_skip(struct xp *x)
{
	for (;;) {
		while (x->pos < x->len && cs__isspace((unsigned char)x->d[x->pos]))
			x->pos++;
		if (xp_starts(x, "<!--")) {
			const char *e = memmem(x->d + x->pos, x->len - x->pos, "-->", 3);

			if (!e)
				return xp_fail(x, "comment never closed");
			x->pos = (size_t)(e - x->d) + 3;
		} else if (xp_starts(x, "<?") || xp_starts(x, "<!")) {
			const char *e = memchr(x->d + x->pos, '>', x->len - x->pos);

			if (!e)
				return xp_fail(x, "declaration never closed");
			x->pos = (size_t)(e - x->d) + 1;
		} else {
			return 0;
		}
	}
}

/* At '<': read the tag name; *kind 0 open, 1 self-closing, 2 closing. */
static int xp_tag(struct xp *x, char *name, size_t cap, int *kind)
{
	size_t s, n;
	const char *e;

	if (xp_skip(x))
		return -1;
	if (x->pos >= x->len)
		return xp_fail(x, "unexpected end of the document");
	if (x->d[x->pos] != '<')
		return xp_fail(x, "expected an element");
	x->pos++;
	*kind = 0;
	if (x->pos < x->len && x->d[x->pos] == '/') {
		*kind = 2;
		x->pos++;
	}
	s = x->pos;
	while (x->pos < x->len && (cs__isalnum((unsigned char)x->d[x->pos]) || x->d[x->pos] == '_'))
		x->pos++;
	n = x->pos - s;
	if (n == 0)
		return xp_fail(x, "element without a name");
	cs__copy_n(name, cap, x->d + s, n);
	e = memchr(x->d + x->pos, '>', x->len - x->pos);
	if (!e)
		return xp_fail(x, "tag never closed");
	if (e > x->d + x->pos && e[-1] == '/')
		*kind = 1;
	x->pos = (size_t)(e - x->d) + 1;
	return 0;
}

/* Text up to "</name>", entities decoded, into out (cut at cap). */
static int xp_text(struct xp *x, const char *name, char *out, size_t cap)
{
	char close[40];
	const char *e;
	size_t i, o = 0;

	snprintf(close, sizeof(close), "</%s>", name);
	e = memmem(x->d + x->pos, x->len - x->pos, close, strlen(close));
	if (!e)
		return xp_fail(x, "element never closed");
	for (i = x->pos; x->d + i < e && o + 1 < cap; i++) {
		static const struct {
			const char *ent;
			char c;
		} ents[] = {{"&amp;", '&'},
		            {"&lt;", '<'},
		            {"&gt;", '>'},
		            {"&quot;", '"'},
		            {"&apos;", '\''}};
		size_t k;
		int done = 0;

		if (x->d[i] == '<')
			return xp_fail(x, "markup inside a value");
		if (x->d[i] == '&') {
			for (k = 0; k < CS_ARRAY_SIZE(ents) && !done; k++) {
				size_t l = strlen(ents[k].ent);

				if ((size_t)(e - (x->d + i)) >= l &&
				    memcmp(x->d + i, ents[k].ent, l) == 0) {
					out[o++] = ents[k].c;
					i += l - 1;
					done = 1;
				}
			}
			if (done)
				continue;
		}
		out[o++] = x->d[i];
	}
	out[o] = '\0';
	x->pos = (size_t)(e - x->d) + strlen(close);
	return 0;
}

/* Skip the rest of an open element (its children and its end tag). */
static int xp_skip_element(struct xp *x, const char *name, unsigned depth)
{
	char tag[40], buf[8];
	int kind;

	if (depth > CS_PKG_MAX_DEPTH)
		return xp_fail(x, "nested too deep");
	if (strcmp(name, "dict") != 0 && strcmp(name, "array") != 0)
		return xp_text(x, name, buf, sizeof(buf));
	for (;;) {
		if (xp_tag(x, tag, sizeof(tag), &kind))
			return -1;
		if (kind == 2) {
			if (strcmp(tag, name) != 0)
				return xp_fail(x, "mismatched end tag");
			return 0;
		}
		if (kind == 0 && xp_skip_element(x, tag, depth + 1))
			return -1;
	}
}

static int read_plist_xml(struct pkg_ctx *c, struct bundle *b)
{
	struct xp x = {c->data, c->len, 0, 0, NULL};
	char tag[40], key[256], val[TEXT_MAX];
	int kind;

	if (xp_tag(&x, tag, sizeof(tag), &kind) || strcmp(tag, "plist") != 0 || kind != 0) {
		xp_fail(&x, "no <plist> element");
		goto bad;
	}
	if (xp_tag(&x, tag, sizeof(tag), &kind) || strcmp(tag, "dict") != 0 || kind != 0) {
		xp_fail(&x, "the plist's top is not a <dict>");
		goto bad;
	}
	for (;;) {
		if (xp_tag(&x, tag, sizeof(tag), &kind))
			goto bad;
		if (kind == 2 && strcmp(tag, "dict") == 0)
			break;
		if (kind != 0 || strcmp(tag, "key") != 0) {
			xp_fail(&x, "expected <key>");
			goto bad;
		}
		if (xp_text(&x, "key", key, sizeof(key)))
			goto bad;
		if (xp_tag(&x, tag, sizeof(tag), &kind) || kind == 2) {
			xp_fail(&x, "a key without a value");
			goto bad;
		}
		if (kind == 1)
			continue;
		if (strcmp(tag, "string") == 0) {
			if (xp_text(&x, "string", val, sizeof(val)))
				goto bad;
			bundle_set(b, key, val, strlen(val));
		} else if (xp_skip_element(&x, tag, 1)) {
			goto bad;
		}
	}
	return bundle_add(c, b, "Info.plist");
bad : {
	uint64_t line, col;

	cs__pkg_linecol(c, x.err_off, &line, &col);
	cs__pkg_broken(c, line, col, "Info.plist: %s", x.err ? x.err : "malformed");
	/* What was read before the fault may still name the app. */
	if ((b->name[0] || b->display[0]) && (b->short_ver[0] || b->ver[0]))
		return bundle_add(c, b, "Info.plist (before the fault)");
	return CS_OK;
}
}

/* Binary plist ("bplist00"): a trailer, an offset table, objects. */
struct bp {
	const unsigned char *d;
	size_t len;
	unsigned off_size, ref_size;
	uint64_t nobjs, top, table;
};

static int bp_uint(const struct bp *p, size_t at, unsigned n, uint64_t *out)
{
	uint64_t v = 0;
	unsigned i;

	if (n == 0 || n > 8 || at > p->len || p->len - at < n)
		return -1;
	for (i = 0; i < n; i++)
		v = v << 8 | p->d[at + i];
	*out = v;
	return 0;
}

static int bp_offset(const struct bp *p, uint64_t obj, size_t *out)
{
	uint64_t o;

	if (obj >= p->nobjs ||
	    bp_uint(p, (size_t)(p->table + obj * p->off_size), p->off_size, &o) || o >= p->len - 32)
		return -1;
	*out = (size_t)o;
	return 0;
}

/* Marker and length of the object at `at`; *data after the length. */
static int bp_head(const struct bp *p, size_t at, unsigned *type, uint64_t *count, size_t *data)
{
	unsigned m = p->d[at];

	*type = m >> 4;
	*count = m & 0xf;
	*data = at + 1;
	if (*count == 0xf && (*type == 0x5 || *type == 0x6 || *type == 0xd || *type == 0xa)) {
		unsigned im;

		if (*data >= p->len)
			return -1;
		im = p->d[*data];
		if (im >> 4 != 0x1 || (im & 0xf) > 3)
			return -1;
		if (bp_uint(p, *data + 1, 1u << (im & 0xf), count))
			return -1;
		*data += 1 + (1u << (im & 0xf));
	}
	return 0;
}

/* An ASCII or UTF-16 string object as UTF-8 (BMP only; others '?'). */
static int bp_string(const struct bp *p, uint64_t obj, char *out, size_t cap)
{
	size_t at, data, o = 0;
	unsigned type;
	uint64_t n, i;

	if (bp_offset(p, obj, &at) || bp_head(p, at, &type, &n, &data))
		return -1;
	if (type == 0x5) {
		if (n > p->len - data)
			return -1;
		cs__copy_n(out, cap, (const char *)p->d + data, (size_t)n);
		return 0;
	}
	if (type != 0x6 || n > (p->len - data) / 2)
		return -1;
	for (i = 0; i < n && o + 4 < cap; i++) {
		unsigned cp = (unsigned)p->d[data + 2 * i] << 8 | p->d[data + 2 * i + 1];

		if (cp < 0x80) {
			out[o++] = cp ? (char)cp : '?';
		} else if (cp < 0x800) {
			out[o++] = (char)(0xc0 | cp >> 6);
			out[o++] = (char)(0x80 | (cp & 0x3f));
		} else if (cp >= 0xd800 && cp < 0xe000) {
			out[o++] = '?';
		} else {
			out[o++] = (char)(0xe0 | cp >> 12);
			out[o++] = (char)(0x80 | (cp >> 6 & 0x3f));
			out[o++] = (char)(0x80 | (cp & 0x3f));
		}
	}
	out[o] = '\0';
	return 0;
}

static int read_plist_binary(struct pkg_ctx *c, struct bundle *b)
{
	struct bp p;
	size_t at, data, t;
	unsigned type;
	uint64_t n, i;
	const char *why = "malformed";

	p.d = (const unsigned char *)c->data;
	p.len = c->len;
	if (p.len < 8 + 32 + 1)
		goto bad;
	t = p.len - 32;
	p.off_size = p.d[t + 6];
	p.ref_size = p.d[t + 7];
	if (bp_uint(&p, t + 8, 8, &p.nobjs) || bp_uint(&p, t + 16, 8, &p.top) ||
	    bp_uint(&p, t + 24, 8, &p.table) || p.off_size == 0 || p.off_size > 8 ||
	    p.ref_size == 0 || p.ref_size > 8 || p.table >= t || p.nobjs == 0 ||
	    p.nobjs > (t - p.table) / p.off_size) {
		why = "bad trailer";
		goto bad;
	}
	if (bp_offset(&p, p.top, &at) || bp_head(&p, at, &type, &n, &data) || type != 0xd) {
		why = "the top object is not a dictionary";
		goto bad;
	}
	if (n > (p.len - data) / (2 * p.ref_size)) {
		why = "dictionary larger than the file";
		goto bad;
	}
	for (i = 0; i < n; i++) {
		uint64_t kref, vref;
		char key[256], val[TEXT_MAX];

		if (bp_uint(&p, data + (size_t)i * p.ref_size, p.ref_size, &kref) ||
		    bp_uint(&p, data + (size_t)(n + i) * p.ref_size, p.ref_size, &vref))
			goto bad;
		if (bp_string(&p, kref, key, sizeof(key)))
			continue;
		if (bp_string(&p, vref, val, sizeof(val)) == 0)
			bundle_set(b, key, val, strlen(val));
	}
	return bundle_add(c, b, "Info.plist (binary)");
bad:
	cs__pkg_broken(c, 0, 0, "binary plist: %s", why);
	return CS_OK;
}

static int want_plist(const char *path, const char *data, size_t len)
{
	(void)data;
	(void)len;
	return cs__pkg_path_ends(path, ".app/Contents/Info.plist");
}

static int read_plist(struct pkg_ctx *c)
{
	struct bundle b;

	memset(&b, 0, sizeof(b));
	if (c->len >= 8 && memcmp(c->data, "bplist00", 8) == 0)
		return read_plist_binary(c, &b);
	return read_plist_xml(c, &b);
}

const struct pkg_reader cs__pkg_plist = {"info-plist", want_plist, read_plist};

/* ------------------------------------------------------------------ Electron */

static int want_electron(const char *path, const char *data, size_t len)
{
	(void)data;
	(void)len;
	return cs__pkg_path_ends(path, "/resources/app/package.json");
}

/* The product an Electron app's package.json names. */
static int electron_add(struct pkg_ctx *c, json_t *j, const char *entry, const char *reader)
{
	struct cs_package p;
	json_t *author;

	memset(&p, 0, sizeof(p));
	p.ecosystem = CS_ECO_PRODUCT;
	p.name = cs__pkg_jstr(j, "productName");
	if (!p.name)
		p.name = cs__pkg_jstr(j, "name");
	p.version = cs__pkg_jstr(j, "version");
	author = json_object_get(j, "author");
	p.vendor = json_is_string(author)   ? json_string_value(author)
	           : json_is_object(author) ? cs__pkg_jstr(author, "name")
	                                    : NULL;
	p.platform = platform_of_path(c->path);
	p.entry = entry;
	if (!p.name || !p.version) {
		cs__pkg_broken(c, 1, 1, "Electron package.json without a name and version");
		return CS_OK;
	}
	return cs__pkg_add(c, reader, &p);
}

static int read_electron(struct pkg_ctx *c)
{
	json_t *j = cs__pkg_json(c, "package.json");
	int rc;

	if (!j)
		return CS_OK;
	rc = electron_add(c, j, "productName, version", "electron");
	json_decref(j);
	return rc;
}

const struct pkg_reader cs__pkg_electron = {"electron", want_electron, read_electron};

/* ------------------------------------------------------------------ app.asar */

/*
 * Electron's archive format: a Chromium pickle holding the header size
 * (bytes 0-7: 4, then SIZE), a pickle holding the header JSON (bytes
 * 8-15: payload size, string length; the JSON from byte 16), then the
 * files' bytes from 8 + SIZE. The header is a tree of folders
 * ({"files": {...}}) and files ({"size": N, "offset": "N"}; "unpacked":
 * true for files kept beside it in app.asar.unpacked/, which the walk
 * reads on its own). The app's package.json gives the product, as the
 * unpacked resources/app/package.json does; the package.json files of
 * its node_modules give npm packages.
 */
#define ASAR_MAX_DEPTH 24

static int want_asar(const char *path, const char *data, size_t len)
{
	return cs__pkg_path_ends(path, "/app.asar") && len >= 16 &&
	       memcmp(data, "\x04\x00\x00\x00", 4) == 0;
}

static uint32_t le32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	return u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

struct asar {
	struct pkg_ctx *c;
	size_t base; /* where the files' bytes start */
};

/* The bytes of file entry `f` parsed as JSON; NULL (reported) when they
 * are outside the archive or not JSON; NULL silently when unpacked. */
static json_t *asar_json(struct asar *a, json_t *f, const char *inner)
{
	const char *off_s = cs__pkg_jstr(f, "offset");
	json_t *size = json_object_get(f, "size"), *j;
	json_error_t err;
	unsigned long long off;
	char *endp;

	if (json_is_true(json_object_get(f, "unpacked")))
		return NULL;
	if (!off_s || !json_is_integer(size) || json_integer_value(size) < 0) {
		cs__pkg_broken(a->c, 0, 0, "app.asar: header entry %s without offset and size",
		               inner);
		return NULL;
	}
	off = strtoull(off_s, &endp, 10);
	if (*endp || endp == off_s || off > a->c->len ||
	    (unsigned long long)json_integer_value(size) > a->c->len - a->base ||
	    off > a->c->len - a->base - (size_t)json_integer_value(size)) {
		cs__pkg_broken(a->c, 0, 0, "app.asar: %s lies outside the archive (offset %s)",
		               inner, off_s);
		return NULL;
	}
	j = json_loadb(a->c->data + a->base + off, (size_t)json_integer_value(size), 0, &err);
	if (!j)
		cs__pkg_broken(a->c, 0, 0, "app.asar!/%s:%d:%d: %s", inner, err.line, err.column,
		               err.text);
	return j;
}

/* The npm packages below the folder entry `dir` (a node_modules). */
static int asar_modules(struct asar *a, json_t *dir, const char *prefix, unsigned depth)
{
	json_t *files = json_object_get(dir, "files"), *sub;
	const char *name;
	char inner[2048];
	int rc = CS_OK;

	if (!json_is_object(files) || depth > ASAR_MAX_DEPTH)
		return CS_OK;
	json_object_foreach(files, name, sub)
	{
		json_t *pf, *pj;

		if (rc)
			break;
		if (name[0] == '@') {
			snprintf(inner, sizeof(inner), "%s/%s", prefix, name);
			rc = asar_modules(a, sub, inner, depth + 1);
			continue;
		}
		pf = json_object_get(json_object_get(sub, "files"), "package.json");
		if (!json_is_object(pf))
			continue;
		snprintf(inner, sizeof(inner), "%s/%s/package.json", prefix, name);
		pj = asar_json(a, pf, inner);
		if (pj) {
			struct cs_package p;
			char entry[2100];

			memset(&p, 0, sizeof(p));
			p.ecosystem = CS_ECO_NPM;
			p.name = cs__pkg_jstr(pj, "name");
			p.version = cs__pkg_jstr(pj, "version");
			snprintf(entry, sizeof(entry), "app.asar!/%s", inner);
			p.entry = entry;
			if (p.name && p.version)
				rc = cs__pkg_add(a->c, "electron-asar", &p);
			json_decref(pj);
		}
		if (!rc) {
			snprintf(inner, sizeof(inner), "%s/%s/node_modules", prefix, name);
			rc = asar_modules(
			        a, json_object_get(json_object_get(sub, "files"), "node_modules"),
			        inner, depth + 1);
		}
	}
	return rc;
}

static int read_asar(struct pkg_ctx *c)
{
	uint32_t hsize, jlen;
	json_error_t err;
	json_t *h, *pf, *pj;
	struct asar a;
	int rc = CS_OK;

	hsize = le32(c->data + 4);
	jlen = le32(c->data + 12);
	if (hsize < 8 || hsize > c->len - 8 || jlen > hsize - 8) {
		cs__pkg_broken(c, 0, 0,
		               "app.asar: header size %u (JSON %u) does not fit the %zu "
		               "bytes of the file",
		               hsize, jlen, c->len);
		return CS_OK;
	}
	h = json_loadb(c->data + 16, jlen, 0, &err);
	if (!h) {
		cs__pkg_broken(c, 0, 0, "app.asar: header JSON line %d column %d (byte %d): %s",
		               err.line, err.column, err.position + 16, err.text);
		return CS_OK;
	}
	a.c = c;
	a.base = 8 + (size_t)hsize;
	pf = json_object_get(json_object_get(h, "files"), "package.json");
	if (!json_is_object(pf)) {
		cs__pkg_broken(c, 0, 0, "app.asar: no package.json at its top");
	} else if ((pj = asar_json(&a, pf, "package.json")) != NULL) {
		rc = electron_add(c, pj, "app.asar!/package.json", "electron-asar");
		json_decref(pj);
	}
	if (!rc)
		rc = asar_modules(&a, json_object_get(json_object_get(h, "files"), "node_modules"),
		                  "node_modules", 0);
	json_decref(h);
	return rc;
}

const struct pkg_reader cs__pkg_asar = {"electron-asar", want_asar, read_asar};

/* ------------------------------------------------------------------ Windows */

/* Column names of the exports, compared ignoring case. */
static const char *const name_keys[] = {"DisplayName", "Name"};
static const char *const version_keys[] = {"DisplayVersion", "Version"};
static const char *const vendor_keys[] = {"Publisher"};
static const char *const date_keys[] = {"InstallDate", "install_date"};
/* Keys only an installed-program export has. */
static const char *const marker_keys[] = {"DisplayName",        "ProviderName",
                                          "UninstallString",    "InstallLocation",
                                          "identifying_number", "install_location"};

static int key_in(const char *k, size_t n, const char *const *keys, size_t nkeys)
{
	size_t i;

	for (i = 0; i < nkeys; i++) {
		if (cs__eqi(k, n, keys[i]))
			return 1;
	}
	return 0;
}

static int win_add(struct pkg_ctx *c, const char *name, const char *ver, const char *vendor,
                   const char *date, const char *entry, uint64_t line)
{
	struct cs_package p;

	memset(&p, 0, sizeof(p));
	p.ecosystem = CS_ECO_PRODUCT;
	p.name = name && *name ? name : NULL;
	p.version = ver && *ver ? ver : NULL;
	p.vendor = vendor && *vendor ? vendor : NULL;
	p.platform = "windows";
	p.entry = entry;
	p.line = line;
	p.install_time = cs__pkg_parse_time(date);
	return cs__pkg_add(c, "windows-export", &p);
}

/* A minimal RFC 4180 record reader: cells into `cells` (text in `buf`). */
#define WIN_CELLS 64
struct csv_row {
	char buf[16384];
	const char *cell[WIN_CELLS];
	size_t n;
	uint64_t line;
};

static int csv_row(const struct pkg_ctx *c, size_t *pos, uint64_t *no, struct csv_row *r)
{
	size_t o = 0, i = *pos;
	int q = 0;

	if (i >= c->len)
		return 0;
	r->n = 0;
	r->line = *no;
	r->cell[r->n++] = r->buf;
	while (i < c->len) {
		char ch = c->data[i++];

		if (q) {
			if (ch == '"' && i < c->len && c->data[i] == '"') {
				i++;
			} else if (ch == '"') {
				q = 0;
				continue;
			}
			if (ch == '\n')
				(*no)++;
		} else if (ch == '"') {
			q = 1;
			continue;
		} else if (ch == ',') {
			if (o + 1 < sizeof(r->buf))
				r->buf[o++] = '\0';
			if (r->n < WIN_CELLS)
				r->cell[r->n++] = r->buf + o;
			continue;
		} else if (ch == '\n') {
			(*no)++;
			break;
		} else if (ch == '\r') {
			continue;
		}
		if (o + 2 < sizeof(r->buf))
			r->buf[o++] = ch;
	}
	r->buf[o] = '\0';
	*pos = i;
	return q ? -1 : 1;
}

static int want_win_csv(const char *path, const char *data, size_t len)
{
	const char *nl, *p = data, *end = data + len;
	size_t hits = 0;

	if (!cs__name_ends(path, ".csv"))
		return 0;
	if (len > 5 && strncmp(data, "#TYPE", 5) == 0) {
		nl = memchr(data, '\n', len);
		if (!nl)
			return 0;
		p = nl + 1;
	}
	nl = memchr(p, '\n', (size_t)(end - p));
	if (nl)
		end = nl;
	while (p < end) {
		const char *s = p, *e;
		size_t n;

		e = memchr(p, ',', (size_t)(end - p));
		if (!e)
			e = end;
		n = (size_t)(e - s);
		cs__trim(&s, &n);
		if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
			s++;
			n -= 2;
		}
		if (key_in(s, n, marker_keys, CS_ARRAY_SIZE(marker_keys)))
			hits++;
		p = e + 1;
	}
	return hits > 0;
}

static int read_win_csv(struct pkg_ctx *c)
{
	struct csv_row *r = cs__calloc(1, sizeof(*r));
	long col_name = -1, col_ver = -1, col_vendor = -1, col_date = -1, col_dn = -1;
	size_t pos = 0, i;
	uint64_t no = 1;
	int got, rc = CS_OK, header = 1;
	char entry[64];

	if (!r)
		return CS_ERR_NOMEM;
	if (c->len > 5 && strncmp(c->data, "#TYPE", 5) == 0) {
		while (pos < c->len && c->data[pos] != '\n')
			pos++;
		pos++;
		no++;
	}
	while (!rc && (got = csv_row(c, &pos, &no, r)) != 0) {
		const char *cell[4];
		long cols[4];
		int k;

		if (got < 0) {
			cs__pkg_broken(c, r->line, 1, "quoted cell never closed");
			break;
		}
		if (header) {
			header = 0;
			for (i = 0; i < r->n; i++) {
				size_t n = strlen(r->cell[i]);

				if (cs__eqi(r->cell[i], n, "DisplayName"))
					col_dn = (long)i;
				else if (key_in(r->cell[i], n, name_keys, 2) && col_name < 0)
					col_name = (long)i;
				else if (key_in(r->cell[i], n, version_keys, 2) && col_ver < 0)
					col_ver = (long)i;
				else if (key_in(r->cell[i], n, vendor_keys, 1) && col_vendor < 0)
					col_vendor = (long)i;
				else if (key_in(r->cell[i], n, date_keys, 2) && col_date < 0)
					col_date = (long)i;
			}
			if (col_dn >= 0)
				col_name = col_dn;
			if (col_name < 0 || col_ver < 0) {
				cs__pkg_broken(c, r->line, 1, "no name and version columns");
				break;
			}
			continue;
		}
		if (r->n == 1 && !r->cell[0][0])
			continue;
		cols[0] = col_name;
		cols[1] = col_ver;
		cols[2] = col_vendor;
		cols[3] = col_date;
		for (k = 0; k < 4; k++)
			cell[k] = cols[k] >= 0 && (size_t)cols[k] < r->n ? r->cell[cols[k]] : NULL;
		if (!cell[0] || !cell[1]) {
			cs__pkg_broken(c, r->line, 1, "row has %zu cells, fewer than the header",
			               r->n);
			continue;
		}
		if (!*cell[0] || !*cell[1])
			continue; /* updates and components without a version */
		snprintf(entry, sizeof(entry), "row at line %llu", (unsigned long long)r->line);
		rc = win_add(c, cell[0], cell[1], cell[2], cell[3], entry, r->line);
	}
	free(r);
	return rc;
}

const struct pkg_reader cs__pkg_win_csv = {"windows-export-csv", want_win_csv, read_win_csv};

static int want_win_json(const char *path, const char *data, size_t len)
{
	size_t i;

	(void)path;
	for (i = 0; i < len && cs__isspace((unsigned char)data[i]); i++)
		;
	if (i >= len || (data[i] != '[' && data[i] != '{'))
		return 0;
	if (memmem(data, len, "\"bomFormat\"", 11) || memmem(data, len, "\"spdxVersion\"", 13))
		return 0;
	return memmem(data, len, "\"DisplayName\"", 13) ||
	       (memmem(data, len, "\"ProviderName\"", 14) && memmem(data, len, "\"Version\"", 9)) ||
	       memmem(data, len, "\"identifying_number\"", 20) ||
	       memmem(data, len, "\"install_location\"", 18);
}

/* A member by any of `keys`, ignoring case; strings, or numbers as
 * text (InstallDate may be a number). */
static const char *jget(json_t *o, const char *const *keys, size_t n, char *buf, size_t cap)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
	{
		if (!key_in(k, strlen(k), keys, n))
			continue;
		if (json_is_string(v))
			return json_string_value(v);
		if (json_is_integer(v)) {
			snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
			return buf;
		}
	}
	return NULL;
}

static int read_win_json(struct pkg_ctx *c)
{
	json_t *j = cs__pkg_json(c, "installed-program export"), *o;
	size_t i;
	int rc = CS_OK;

	if (!j)
		return CS_OK;
	if (json_is_object(j)) {
		json_t *a = json_array();

		json_array_append_new(a, j);
		j = a;
	}
	if (!json_is_array(j)) {
		cs__pkg_broken(c, 1, 1, "not an array of programs");
		json_decref(j);
		return CS_OK;
	}
	json_array_foreach(j, i, o)
	{
		char entry[64], dbuf[32];
		const char *name, *ver;

		snprintf(entry, sizeof(entry), "[%zu]", i);
		if (!json_is_object(o)) {
			cs__pkg_broken(c, 0, 0, "%s: not an object", entry);
			continue;
		}
		name = jget(o, name_keys, 1, NULL, 0);
		if (!name)
			name = jget(o, name_keys + 1, 1, NULL, 0);
		ver = jget(o, version_keys, 1, NULL, 0);
		if (!ver)
			ver = jget(o, version_keys + 1, 1, NULL, 0);
		if (!name || !ver || !*name || !*ver)
			continue; /* updates and components without a version */
		rc = win_add(c, name, ver, jget(o, vendor_keys, 1, NULL, 0),
		             jget(o, date_keys, 2, dbuf, sizeof(dbuf)), entry, 0);
		if (rc)
			break;
	}
	json_decref(j);
	return rc;
}

const struct pkg_reader cs__pkg_win_json = {"windows-export-json", want_win_json, read_win_json};

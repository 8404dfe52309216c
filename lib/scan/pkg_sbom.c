/*
 * SBOMs: CycloneDX JSON (components nested to any depth, and the
 * metadata component the SBOM describes) and SPDX 2.x JSON (packages).
 *
 * A component's purl decides its ecosystem and name ("pkg:npm/%40babel/
 * core@7.0.0" -> npm "@babel/core"; Maven "group:artifact"; Go and the
 * others "namespace/name"; for deb, rpm and apk the namespace is the
 * distribution and not part of the name), and its version too, when it
 * has one (SPDX's versionInfo may be written differently). Without a purl the component
 * keeps its name (CycloneDX: "group/name" when there is a group), its
 * version, and no ecosystem: it is matched against product-version
 * indicators only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/pkg_int.h"

/* Fill ecosystem, name and (when the purl has one) version from a purl;
 * `buf` and `vbuf` hold them. Returns 0 when the purl parsed. */
static int from_purl(const char *purl, struct cs_package *p, char *buf, size_t cap, char *vbuf,
                     size_t vcap)
{
	struct cs_purl u;
	const char *sep = "/";

	if (!purl || cs_purl_parse(purl, &u) != CS_OK)
		return -1;
	p->ecosystem = cs_ecosystem_from_purl_type(u.type);
	if (strcmp(u.type, "maven") == 0)
		sep = ":";
	if (u.namespace_ && strcmp(u.type, "deb") != 0 && strcmp(u.type, "rpm") != 0 &&
	    strcmp(u.type, "apk") != 0 && strcmp(u.type, "generic") != 0)
		snprintf(buf, cap, "%s%s%s", u.namespace_, sep, u.name);
	else
		snprintf(buf, cap, "%s", u.name);
	p->name = buf;
	/* The purl's version goes with the purl's name. */
	if (u.version) {
		snprintf(vbuf, vcap, "%s", u.version);
		p->version = vbuf;
	}
	cs_purl_release(&u);
	return 0;
}

/* ------------------------------------------------------------------ CycloneDX */

static int want_cyclonedx(const char *path, const char *data, size_t len)
{
	(void)path;
	return len > 0 && (data[0] == '{' || cs__isspace((unsigned char)data[0])) &&
	       memmem(data, len, "\"bomFormat\"", 11) && memmem(data, len, "CycloneDX", 9);
}

static int cdx_component(struct pkg_ctx *c, json_t *comp, struct cs_buf *path)
{
	struct cs_package p;
	char name[1024], ver[256];
	const char *purl, *nm, *grp;

	memset(&p, 0, sizeof(p));
	if (!json_is_object(comp)) {
		cs__pkg_broken(c, 0, 0, "%s: not an object", cs__buf_cstr(path));
		return CS_OK;
	}
	purl = cs__pkg_jstr(comp, "purl");
	p.version = cs__pkg_jstr(comp, "version");
	p.purl = purl;
	p.entry = cs__buf_cstr(path);
	p.vendor = cs__pkg_jstr(comp, "publisher");
	if (!p.vendor) {
		json_t *sup = json_object_get(comp, "supplier");

		p.vendor = json_is_object(sup) ? cs__pkg_jstr(sup, "name") : NULL;
	}
	if (from_purl(purl, &p, name, sizeof(name), ver, sizeof(ver))) {
		if (purl)
			cs__pkg_note(c, 0, 0, "%s.purl: not a package URL; using the name",
			             cs__buf_cstr(path));
		nm = cs__pkg_jstr(comp, "name");
		grp = cs__pkg_jstr(comp, "group");
		if (nm && grp && *grp)
			snprintf(name, sizeof(name), "%s/%s", grp, nm);
		else
			snprintf(name, sizeof(name), "%s", nm ? nm : "");
		p.name = name;
		p.ecosystem = CS_ECO_UNKNOWN;
	}
	return cs__pkg_add(c, "cyclonedx", &p);
}

static int cdx_list(struct pkg_ctx *c, json_t *arr, struct cs_buf *path, unsigned depth)
{
	size_t base = path->len, i;
	json_t *comp;
	int rc;

	if (!json_is_array(arr)) {
		cs__pkg_broken(c, 0, 0, "%s: not an array", cs__buf_cstr(path));
		return CS_OK;
	}
	if (depth > CS_PKG_MAX_DEPTH) {
		cs__pkg_broken(c, 0, 0, "%s: components nested deeper than %d", cs__buf_cstr(path),
		               CS_PKG_MAX_DEPTH);
		return CS_OK;
	}
	json_array_foreach(arr, i, comp)
	{
		json_t *sub;

		path->len = base;
		if (cs__buf_printf(path, "[%zu]", i))
			return CS_ERR_NOMEM;
		rc = cdx_component(c, comp, path);
		if (rc)
			return rc;
		sub = json_is_object(comp) ? json_object_get(comp, "components") : NULL;
		if (sub) {
			if (cs__buf_adds(path, ".components"))
				return CS_ERR_NOMEM;
			rc = cdx_list(c, sub, path, depth + 1);
			if (rc)
				return rc;
		}
	}
	path->len = base;
	path->data[base] = '\0';
	return CS_OK;
}

static int read_cyclonedx(struct pkg_ctx *c)
{
	json_t *j = cs__pkg_json(c, "CycloneDX"), *meta, *comps;
	struct cs_buf path;
	int rc = CS_OK;

	if (!j)
		return CS_OK;
	cs__buf_init(&path, 1 << 20);
	meta = json_object_get(j, "metadata");
	if (json_is_object(meta) && json_is_object(json_object_get(meta, "component"))) {
		if (cs__buf_adds(&path, "metadata.component"))
			rc = CS_ERR_NOMEM;
		else
			rc = cdx_component(c, json_object_get(meta, "component"), &path);
		cs__buf_reset(&path);
	}
	comps = json_object_get(j, "components");
	if (!rc && comps) {
		if (cs__buf_adds(&path, "components"))
			rc = CS_ERR_NOMEM;
		else
			rc = cdx_list(c, comps, &path, 0);
	}
	cs__buf_release(&path);
	json_decref(j);
	return rc;
}

const struct pkg_reader cs__pkg_cyclonedx = {"cyclonedx", want_cyclonedx, read_cyclonedx};

/* ------------------------------------------------------------------ SPDX */

static int want_spdx(const char *path, const char *data, size_t len)
{
	(void)path;
	return len > 0 && (data[0] == '{' || cs__isspace((unsigned char)data[0])) &&
	       memmem(data, len, "\"spdxVersion\"", 13) != NULL;
}

static int read_spdx(struct pkg_ctx *c)
{
	json_t *j = cs__pkg_json(c, "SPDX"), *pkgs, *pk;
	size_t i;
	int rc = CS_OK;

	if (!j)
		return CS_OK;
	pkgs = json_object_get(j, "packages");
	if (!json_is_array(pkgs)) {
		cs__pkg_broken(c, 1, 1, "SPDX: no 'packages' array");
		json_decref(j);
		return CS_OK;
	}
	json_array_foreach(pkgs, i, pk)
	{
		struct cs_package p;
		char entry[64], name[1024], ver[256];
		const char *purl = NULL;
		json_t *refs, *r;
		size_t k;

		snprintf(entry, sizeof(entry), "packages[%zu]", i);
		if (!json_is_object(pk)) {
			cs__pkg_broken(c, 0, 0, "%s: not an object", entry);
			continue;
		}
		refs = json_object_get(pk, "externalRefs");
		json_array_foreach(refs, k, r)
		{
			const char *t = cs__pkg_jstr(r, "referenceType");

			if (t && strcmp(t, "purl") == 0 && !purl)
				purl = cs__pkg_jstr(r, "referenceLocator");
		}
		memset(&p, 0, sizeof(p));
		p.version = cs__pkg_jstr(pk, "versionInfo");
		p.purl = purl;
		p.entry = entry;
		p.vendor = cs__pkg_jstr(pk, "supplier");
		if (from_purl(purl, &p, name, sizeof(name), ver, sizeof(ver))) {
			p.name = cs__pkg_jstr(pk, "name");
			p.ecosystem = CS_ECO_UNKNOWN;
		}
		rc = cs__pkg_add(c, "spdx", &p);
		if (rc)
			break;
	}
	json_decref(j);
	return rc;
}

const struct pkg_reader cs__pkg_spdx = {"spdx", want_spdx, read_spdx};

/* ------------------------------------------------------------------ SPDX tag-value */

static int want_spdx_tv(const char *path, const char *data, size_t len)
{
	(void)path;
	return len >= 17 && memcmp(data, "SPDXVersion: SPDX-", 17) == 0;
}

struct tv_pkg {
	char name[1024], ver[256], purl[2048], supplier[512];
	uint64_t line;
	size_t index;
};

static int tv_flush(struct pkg_ctx *c, struct tv_pkg *t)
{
	struct cs_package p;
	char entry[1100], name[1024], ver[256];
	int rc = CS_OK;

	if (t->line) {
		memset(&p, 0, sizeof(p));
		p.version = t->ver[0] ? t->ver : NULL;
		p.purl = t->purl[0] ? t->purl : NULL;
		p.vendor = t->supplier[0] ? t->supplier : NULL;
		snprintf(entry, sizeof(entry), "PackageName: %s", t->name);
		p.entry = entry;
		p.line = t->line;
		if (from_purl(p.purl, &p, name, sizeof(name), ver, sizeof(ver))) {
			if (p.purl)
				cs__pkg_note(c, t->line, 1,
				             "%s: purl does not parse; using the name", entry);
			p.name = t->name;
			p.ecosystem = CS_ECO_UNKNOWN;
		}
		rc = cs__pkg_add(c, "spdx-tv", &p);
	}
	memset(t, 0, sizeof(*t));
	return rc;
}

/*
 * SPDX 2.x tag-value: "Tag: value" lines; a package starts at
 * PackageName and runs to the next one (or to a file or snippet
 * section). PackageVersion, PackageSupplier and the
 * "ExternalRef: PACKAGE-MANAGER purl pkg:..." reference are kept; the
 * purl decides as in the JSON form. Multi-line <text>...</text> values
 * are skipped whole.
 */
static int read_spdx_tv(struct pkg_ctx *c)
{
	struct tv_pkg t;
	size_t pos = 0;
	uint64_t no = 0;
	int in_text = 0, rc = CS_OK;

	memset(&t, 0, sizeof(t));
	while (!rc && pos < c->len) {
		const char *s = c->data + pos, *colon, *v;
		size_t e = pos, n, vn;

		while (e < c->len && c->data[e] != '\n')
			e++;
		n = e - pos;
		pos = e + 1;
		no++;
		if (n && s[n - 1] == '\r')
			n--;
		if (in_text) {
			if (memmem(s, n, "</text>", 7))
				in_text = 0;
			continue;
		}
		if (n == 0 || s[0] == '#')
			continue;
		colon = memchr(s, ':', n);
		if (!colon) {
			cs__pkg_broken(c, no, 1, "SPDX tag-value: line is not 'Tag: value'");
			continue;
		}
		v = colon + 1;
		vn = n - (size_t)(v - s);
		cs__trim(&v, &vn);
		if (vn >= 6 && memcmp(v, "<text>", 6) == 0 && !memmem(v, vn, "</text>", 7)) {
			in_text = 1;
			continue;
		}
#define TAG(x) ((size_t)(colon - s) == sizeof(x) - 1 && memcmp(s, x, sizeof(x) - 1) == 0)
		if (TAG("PackageName")) {
			rc = tv_flush(c, &t);
			t.line = no;
			cs__copy_n(t.name, sizeof(t.name), v, vn);
		} else if (TAG("FileName") || TAG("SnippetSPDXID")) {
			rc = tv_flush(c, &t);
		} else if (t.line && TAG("PackageVersion")) {
			cs__copy_n(t.ver, sizeof(t.ver), v, vn);
		} else if (t.line && TAG("PackageSupplier")) {
			cs__copy_n(t.supplier, sizeof(t.supplier), v, vn);
		} else if (t.line && TAG("ExternalRef") && !t.purl[0]) {
			/* "PACKAGE-MANAGER purl pkg:npm/x@1" (or PACKAGE_MANAGER) */
			const char *sp = memchr(v, ' ', vn);

			if (sp && (size_t)(v + vn - sp) > 6 && memcmp(sp, " purl ", 6) == 0)
				cs__copy_n(t.purl, sizeof(t.purl), sp + 6, (size_t)(v + vn - sp - 6));
		}
#undef TAG
	}
	if (!rc)
		rc = tv_flush(c, &t);
	if (in_text && !rc)
		cs__pkg_broken(c, no, 1, "SPDX tag-value: <text> never closed");
	return rc;
}

const struct pkg_reader cs__pkg_spdx_tv = {"spdx-tv", want_spdx_tv, read_spdx_tv};

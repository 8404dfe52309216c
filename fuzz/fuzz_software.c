/*
 * libFuzzer target for the software sweep: the package readers, OSV
 * records, purl parsing and version ordering.
 *
 * The first byte chooses the file name the input is read under (and so
 * the reader: dpkg status, apk, rpm-qa, npm/yarn/pnpm lockfiles,
 * node_modules package.json, Python, Go, Cargo, CycloneDX, SPDX,
 * Info.plist, Electron, Windows exports, Go binaries, app.asar,
 * Pipfile.lock, composer.lock, Gemfile.lock, SPDX tag-value), or OSV
 * records (all, or only those naming the packages of a small set),
 * versions, or a dpkg.log / apt history.log applied to a dpkg status;
 * the rest is the file.
 *
 * Invariants: reads return CS_OK, CS_ERR_UNSUPPORTED or CS_ERR_NOMEM;
 * every diagnostic has a message and a line inside the input; every
 * package has a name and a version; version comparison is antisymmetric
 * and a version compares equal to itself; matching the packages read
 * against the advisories read never fails.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chainsweep/software.h"

static const char *const names[] = {
        "/h/var/lib/dpkg/status",
        "/h/lib/apk/db/installed",
        "rpm-qa.tsv",
        "package-lock.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "/a/node_modules/@s/x/package.json",
        "/a/x.dist-info/METADATA",
        "requirements.txt",
        "poetry.lock",
        "go.sum",
        "Cargo.lock",
        "bom.cdx.json",
        "sbom.spdx.json",
        "/A/X.app/Contents/Info.plist",
        "/u/AppData/Local/Programs/x/resources/app/package.json",
        "programs.csv",
        "programs.json",
        /* 18, 19: OSV records, versions (below); then more readers */
        NULL,
        NULL,
        "/r/usr/local/bin/tool",
        "/u/AppData/Local/Programs/x/resources/app.asar",
        /* 22: OSV records restricted to installed packages; 23, 24:
         * install logs applied to a dpkg status */
        NULL,
        "/h/var/log/dpkg.log",
        "/h/var/log/apt/history.log",
        "Pipfile.lock",
        "composer.lock",
        "Gemfile.lock",
        "sbom.spdx",
};

enum { SEL_OSV = 18, SEL_VERSIONS = 19, SEL_OSV_ONLY = 22, SEL_DPKG_LOG = 23, SEL_HISTORY = 24 };

static size_t cur_lines;

static void on_diag(void *ud, const struct cs_diag *d)
{
	(void)ud;
	if (!d->message || !d->message[0])
		__builtin_trap();
	if (d->line > cur_lines + 1)
		__builtin_trap();
}

static int on_finding(void *ud, const struct cs_software_finding *f)
{
	(void)ud;
	if (!f->pkg || !f->id || !f->affected)
		__builtin_trap();
	return 0;
}

/* Versions: the input split on newlines, compared pairwise. */
static void versions(const char *text)
{
	const char *v[8];
	char *copy = strdup(text), *s, *save = NULL;
	size_t n = 0, i, j;
	int e, a, b;

	if (!copy)
		return;
	for (s = strtok_r(copy, "\n", &save); s && n < 8; s = strtok_r(NULL, "\n", &save))
		v[n++] = s;
	for (e = 0; e < CS_ECO_NCOUNT; e++) {
		for (i = 0; i < n; i++) {
			for (j = 0; j < n; j++) {
				int ra = cs_version_cmp((enum cs_ecosystem)e, v[i], v[j], &a);
				int rb = cs_version_cmp((enum cs_ecosystem)e, v[j], v[i], &b);

				if (ra != rb)
					__builtin_trap();
				if (!ra && a != -b)
					__builtin_trap();
				if (!ra && i == j && a != 0)
					__builtin_trap();
			}
		}
	}
	for (i = 0; i < n; i++) {
		struct cs_purl p;

		if (cs_purl_parse(v[i], &p) == CS_OK) {
			if (!p.type || !p.name)
				__builtin_trap();
			cs_purl_release(&p);
		}
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const size_t nn = sizeof(names) / sizeof(names[0]);
	struct cs_pkgset *ps;
	struct cs_advisories *adv;
	size_t i, sel;
	char *text;
	int rc;

	if (size < 1)
		return 0;
	sel = data[0] % nn;
	data++;
	size--;
	cur_lines = 0;
	for (i = 0; i < size; i++)
		cur_lines += data[i] == '\n';
	ps = cs_pkgset_new();
	adv = cs_advisories_new();
	if (!ps || !adv)
		goto out;
	cs_pkgset_set_diag(ps, on_diag, NULL);
	cs_advisories_set_diag(adv, on_diag, NULL);
	if (sel == SEL_OSV || sel == SEL_OSV_ONLY) {
		cs_pkgset_read_mem(ps, "requirements.txt", "a==1.0\nb==2\n", 12);
		if (sel == SEL_OSV_ONLY && cs_advisories_restrict(adv, ps) != CS_OK)
			goto out;
		rc = cs_advisories_load_osv_mem(adv, "osv.json", data, size);
		if (rc != CS_OK && rc != CS_ERR_EMPTY && rc != CS_ERR_NOMEM)
			__builtin_trap();
	} else if (sel == SEL_VERSIONS) {
		text = malloc(size + 1);
		if (!text)
			goto out;
		memcpy(text, data, size);
		text[size] = '\0';
		versions(text);
		free(text);
	} else if (sel == SEL_DPKG_LOG || sel == SEL_HISTORY) {
		static const char status[] = "Package: a\nStatus: install ok installed\n"
		                             "Version: 1.0-1\n\nPackage: b\nVersion: 2\n";

		cs_pkgset_read_mem(ps, "/h/var/lib/dpkg/status", status, sizeof(status) - 1);
		rc = cs_pkgset_read_install_log(ps, names[sel], data, size);
		if (rc != CS_OK && rc != CS_ERR_NOMEM)
			__builtin_trap();
	} else {
		rc = cs_pkgset_read_mem(ps, names[sel], data, size);
		if (rc != CS_OK && rc != CS_ERR_UNSUPPORTED && rc != CS_ERR_NOMEM)
			__builtin_trap();
		for (i = 0; i < cs_pkgset_count(ps); i++) {
			const struct cs_package *p = cs_pkgset_at(ps, i);

			if (!p->name || !*p->name || !p->version || !*p->version || !p->file)
				__builtin_trap();
		}
		/* Each package against advisories naming it at every version. */
		{
			static const char osv[] =
			        "[{\"id\":\"MAL-0\",\"affected\":[{\"package\":{\"ecosystem\":"
			        "\"npm\",\"name\":\"x\"},\"ranges\":[{\"type\":\"SEMVER\","
			        "\"events\":"
			        "[{\"introduced\":\"0\"},{\"fixed\":\"1.0.0\"}]}]}]}]";

			cs_advisories_load_osv_mem(adv, "osv.json", osv, sizeof(osv) - 1);
		}
	}
	if (cs_software_match(adv, ps, on_finding, NULL, NULL) != CS_OK)
		__builtin_trap();
out:
	cs_pkgset_free(ps);
	cs_advisories_free(adv);
	return 0;
}

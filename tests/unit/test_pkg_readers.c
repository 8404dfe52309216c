/*
 * Unit tests of the package readers (lib/scan/pkg_*.c) and the package
 * set (pkgset.c): each reader on crafted input, broken input reported
 * with its position while the rest is kept, the walker, and the
 * real-world CycloneDX SBOMs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chainsweep/software.h"
#include "scan/pkg_int.h"
#include "testutil.h"

struct fixture {
	struct cs_pkgset *ps;
	struct cs_test_diags d;
};

static struct fixture *fx_new(void)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->ps = cs_pkgset_new();
	cs_pkgset_set_diag(f->ps, cs_test_diag_cb, &f->d);
	return f;
}

static void fx_free(struct fixture *f)
{
	cs_pkgset_free(f->ps);
	free(f);
}

static int fx_read(struct fixture *f, const char *name, const char *text)
{
	return cs_pkgset_read_mem(f->ps, name, text, strlen(text));
}

/* "eco name version [platform]" lines of every package. */
static const char *listing(struct fixture *f)
{
	static char buf[16384];
	size_t i, l = 0;

	buf[0] = '\0';
	for (i = 0; i < cs_pkgset_count(f->ps); i++) {
		const struct cs_package *p = cs_pkgset_at(f->ps, i);

		l += (size_t)snprintf(buf + l, sizeof(buf) - l, "%s %s %s%s%s\n",
		                      cs_ecosystem_name(p->ecosystem), p->name, p->version,
		                      p->platform ? " " : "", p->platform ? p->platform : "");
	}
	return buf;
}

static void test_dpkg_apk_rpm(void **state)
{
	struct fixture *f = fx_new();

	(void)state;
	assert_int_equal(
	        fx_read(f, "/x/var/lib/dpkg/status",
	                "Package: a\nStatus: install ok installed\nVersion: 1:2.0-1\n"
	                "Description: x\n continued\n\n"
	                "Package: gone\nStatus: deinstall ok config-files\nVersion: 1\n\n"
	                "Package: nover\nStatus: install ok installed\n\n"
	                "garbage line\n"
	                "Package: b\nStatus: install ok half-configured\nVersion: 3~rc1\n"),
	        CS_OK);
	assert_int_equal(
	        fx_read(f, "/y/lib/apk/db/installed",
	                "C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\n\nP:busybox\nV:1.36.1-r5\n"),
	        CS_OK);
	assert_int_equal(fx_read(f, "rpm-qa.tsv",
	                         "bash\t0:5.1.8-6.el9\tx86_64\t1700000000\n"
	                         "kernel\t1:5.14.0-362.el9\tx86_64\t1700000001\nbad line\n"),
	                 CS_OK);
	assert_string_equal(listing(f), "Debian a 1:2.0-1 linux\n"
	                                "Debian b 3~rc1 linux\n"
	                                "Alpine musl 1.2.4-r2 linux\n"
	                                "Alpine busybox 1.36.1-r5 linux\n"
	                                "RPM bash 5.1.8-6.el9 linux\n"
	                                "RPM kernel 1:5.14.0-362.el9 linux\n");
	/* The broken parts are reported with their lines. */
	assert_true(cs_test_diags_have(&f->d, "status:11:1: broken: package nover has no Version"));
	assert_true(cs_test_diags_have(&f->d, "status:14:1: broken: line is not"));
	assert_true(cs_test_diags_have(&f->d, "rpm-qa.tsv:3:1:"));
	assert_int_equal(cs_pkgset_counter(f->ps, CS_PKG_BROKEN), 2);
	assert_int_equal(cs_pkgset_at(f->ps, 4)->install_time, 1700000000);
	assert_int_equal(cs_pkgset_at(f->ps, 4)->install_time_source, CS_TIME_RECORDED);
	assert_string_equal(cs_pkgset_at(f->ps, 0)->entry, "Package: a");
	assert_int_equal(cs_pkgset_at(f->ps, 0)->line, 1);
	fx_free(f);
}

static void test_npm(void **state)
{
	struct fixture *f = fx_new();

	(void)state;
	/* v1: nested dependencies. */
	assert_int_equal(fx_read(f, "a/package-lock.json",
	                         "{\"lockfileVersion\":1,\"dependencies\":{\"x\":{\"version\":"
	                         "\"1.0.0\",\"dependencies\":{\"y\":{\"version\":\"2.0.0\"}}},"
	                         "\"loc\":{\"version\":\"file:../loc\"}}}"),
	                 CS_OK);
	/* v2/v3: packages; links, the project itself and its workspace
	 * folders are not installed packages. */
	assert_int_equal(
	        fx_read(f, "b/package-lock.json",
	                "{\"lockfileVersion\":3,\"packages\":{\"\":{\"version\":\"9.9.9\"},"
	                "\"node_modules/@s/p\":{\"version\":\"1.2.3\"},"
	                "\"node_modules/q/node_modules/r\":{\"version\":\"4.5.6\"},"
	                "\"node_modules/ln\":{\"link\":true,\"resolved\":\"pkgs/ln\"},"
	                "\"pkgs/ln\":{\"version\":\"0.0.1\"}}}"),
	        CS_OK);
	/* A broken lockfile: reported at its line and column. */
	assert_int_equal(fx_read(f, "c/package-lock.json",
	                         "{\"packages\": {\n  \"node_modules/z\""
	                         " {\"version\": \"1\"}}}"),
	                 CS_OK);
	assert_true(cs_test_diags_have(&f->d, "c/package-lock.json:2:"));
	/* yarn v1 and berry. */
	assert_int_equal(
	        fx_read(f, "yarn.lock",
	                "# yarn lockfile v1\n\n\"@babel/core@^7.0.0\", \"@babel/core@^7.1\":\n"
	                "  version \"7.21.0\"\n  resolved \"https://x\"\n\nleft-pad@^1.0.0:\n"
	                "  version \"1.3.0\"\n"),
	        CS_OK);
	assert_int_equal(fx_read(f, "d/yarn.lock",
	                         "__metadata:\n  version: 6\n\n\"lodash@npm:^4.17.0\":\n"
	                         "  version: 4.17.21\n  resolution: \"lodash@npm:4.17.21\"\n"),
	                 CS_OK);
	/* pnpm v5, v6 and v9 keys. */
	assert_int_equal(fx_read(f, "pnpm-lock.yaml",
	                         "lockfileVersion: 5.4\nimporters:\n  .:\n    specifiers: {}\n"
	                         "packages:\n  /ms/2.1.2:\n    resolution: {integrity: x}\n"
	                         "  /@types/node/18.0.0_abc:\n    dev: true\n"
	                         "  /debug@4.3.4(supports-color@8.1.1):\n    dev: false\n"
	                         "  '@scope/pkg@1.0.0':\n    resolution: {}\n"
	                         "  not-a-key:\n"),
	                 CS_OK);
	/* node_modules/NAME/package.json only, not a nested file. */
	assert_int_equal(fx_read(f, "/app/node_modules/@s/m/package.json",
	                         "{\"name\":\"@s/m\",\"version\":\"3.0.0\"}"),
	                 CS_OK);
	assert_int_equal(fx_read(f, "/app/node_modules/m/lib/package.json",
	                         "{\"name\":\"inner\",\"version\":\"0.0.0\"}"),
	                 CS_ERR_UNSUPPORTED);
	assert_string_equal(listing(f), "npm x 1.0.0\n"
	                                "npm y 2.0.0\n"
	                                "npm @s/p 1.2.3\n"
	                                "npm r 4.5.6\n"
	                                "npm @babel/core 7.21.0\n"
	                                "npm left-pad 1.3.0\n"
	                                "npm lodash 4.17.21\n"
	                                "npm ms 2.1.2\n"
	                                "npm @types/node 18.0.0\n"
	                                "npm debug 4.3.4\n"
	                                "npm @scope/pkg 1.0.0\n"
	                                "npm @s/m 3.0.0\n");
	assert_true(cs_test_diags_have(&f->d, "pnpm-lock.yaml:14:3:"));
	assert_string_equal(cs_pkgset_at(f->ps, 1)->entry,
	                    "dependencies[\"x\"].dependencies[\"y\"]");
	assert_string_equal(cs_pkgset_at(f->ps, 3)->entry,
	                    "packages[\"node_modules/q/node_modules/r\"]");
	fx_free(f);
}

static void test_python_go_cargo(void **state)
{
	struct fixture *f = fx_new();

	(void)state;
	assert_int_equal(
	        fx_read(f, "/usr/lib/python3/site-packages/requests-2.31.0.dist-info/METADATA",
	                "Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n\n"
	                "Name: not-this\n"),
	        CS_OK);
	assert_int_equal(fx_read(f, "requirements-dev.txt",
	                         "# pinned\nDjango[argon2]==4.2.1 ; python_version > '3.8'\n"
	                         "flask>=2.0\n-r other.txt\nurllib3===1.26.18 \\\n"
	                         "    --hash=sha256:abc\n==1.0\n"),
	                 CS_OK);
	assert_int_equal(fx_read(f, "poetry.lock",
	                         "[[package]]\nname = \"attrs\"\nversion = \"23.1.0\"\n"
	                         "[package.extras]\ndev = [\"x\"]\n\n[[package]]\nname = \"six\"\n"
	                         "version = \"1.16.0\"\n\n[metadata]\nlock-version = \"2.0\"\n"),
	                 CS_OK);
	assert_int_equal(
	        fx_read(f, "go.sum",
	                "github.com/pkg/errors v0.9.1 h1:abc=\n"
	                "github.com/pkg/errors v0.9.1/go.mod h1:def=\n"
	                "golang.org/x/sys v0.0.0-20220715151400-c0bba94af5f8/go.mod h1:x=\n"
	                "broken-line\n"),
	        CS_OK);
	assert_int_equal(
	        fx_read(f, "Cargo.lock",
	                "version = 3\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.188\"\n"
	                "source = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
	                "\n[[package]]\nname = \"nover\"\n"),
	        CS_OK);
	assert_string_equal(listing(f), "PyPI requests 2.31.0\n"
	                                "PyPI Django 4.2.1\n"
	                                "PyPI urllib3 1.26.18\n"
	                                "PyPI attrs 23.1.0\n"
	                                "PyPI six 1.16.0\n"
	                                "Go github.com/pkg/errors v0.9.1\n"
	                                "crates.io serde 1.0.188\n");
	assert_true(cs_test_diags_have(&f->d, "requirements-dev.txt:7:1:"));
	assert_true(cs_test_diags_have(&f->d, "go.sum:4:1:"));
	assert_true(cs_test_diags_have(&f->d, "Cargo.lock:8:1:"));
	fx_free(f);
}

static void test_sboms(void **state)
{
	struct fixture *f = fx_new();

	(void)state;
	assert_int_equal(
	        fx_read(f, "bom.json",
	                "{\"bomFormat\":\"CycloneDX\",\"metadata\":{\"component\":{\"name\":"
	                "\"app\","
	                "\"version\":\"1.0\"}},\"components\":[{\"name\":\"a\",\"group\":\"g\","
	                "\"version\":\"1\",\"components\":[{\"purl\":\"pkg:deb/debian/"
	                "openssl@3.0.11-1~deb12u2?arch=amd64\"},{\"purl\":\"pkg:maven/org.x/"
	                "y@2.0\","
	                "\"version\":\"2.0\"}]},{\"name\":\"nover\"},{\"name\":\"bad\",\"version\":"
	                "\"1\",\"purl\":\"npm:bad\"}]}"),
	        CS_OK);
	assert_int_equal(
	        fx_read(f, "sbom.spdx.json",
	                "{\"spdxVersion\":\"SPDX-2.3\",\"packages\":[{\"name\":\"curl\","
	                "\"versionInfo\":\"8.4.0\",\"externalRefs\":[{\"referenceCategory\":"
	                "\"PACKAGE-MANAGER\",\"referenceType\":\"purl\",\"referenceLocator\":"
	                "\"pkg:golang/github.com/a/"
	                "b@v1.2.3\"}]},{\"name\":\"zlib\",\"versionInfo\":"
	                "\"1.3\"},\"junk\"]}"),
	        CS_OK);
	/* A cut SBOM: reported where it stops. */
	assert_int_equal(fx_read(f, "cut.cdx.json",
	                         "{\"bomFormat\": \"CycloneDX\",\n"
	                         "\"components\": [{\"name\": \"x\""),
	                 CS_OK);
	assert_true(cs_test_diags_have(&f->d, "cut.cdx.json:2:"));
	assert_true(cs_test_diags_have(&f->d, "packages[2]: not an object"));
	assert_string_equal(listing(f), "unknown app 1.0\n"
	                                "unknown g/a 1\n"
	                                "Debian openssl 3.0.11-1~deb12u2\n"
	                                "Maven org.x:y 2.0\n"
	                                "unknown bad 1\n"
	                                "Go github.com/a/b v1.2.3\n"
	                                "unknown zlib 1.3\n");
	assert_string_equal(cs_pkgset_at(f->ps, 2)->entry, "components[0].components[0]");
	assert_int_equal(cs_pkgset_counter(f->ps, CS_PKG_SKIPPED), 1);
	fx_free(f);
}

static void test_desktop(void **state)
{
	struct fixture *f = fx_new();
	const char *bin =
	        cs_test_data("software/host/Applications/Calculator.app/Contents/Info.plist");
	/* A PowerShell export written with '>' is UTF-16LE with a BOM. */
	const char *json = "[{\"DisplayName\":\"Tool \\u00e9\",\"DisplayVersion\":\"1.2\","
	                   "\"Publisher\":\"T\",\"InstallDate\":\"20240102\"},"
	                   "{\"DisplayName\":\"KB123\"}]";
	char u16[512];
	size_t i, n = strlen(json);

	(void)state;
	u16[0] = (char)0xff;
	u16[1] = (char)0xfe;
	for (i = 0; i < n; i++) {
		u16[2 + 2 * i] = json[i];
		u16[3 + 2 * i] = 0;
	}
	assert_int_equal(cs_pkgset_read_mem(f->ps, "programs.json", u16, 2 + 2 * n), CS_OK);
	assert_int_equal(cs_pkgset_read_file(f->ps, bin), CS_OK);
	assert_int_equal(fx_read(f, "/m/Apps/Broken.app/Contents/Info.plist",
	                         "<?xml version=\"1.0\"?>\n<plist><dict>\n<key>CFBundleName</key>"
	                         "<string>B</string>\n<key>CFBundleShortVersionString</key>"
	                         "<string>1.0</string>\n<key>X</key><array><string>a</string>\n"
	                         "</dict></plist>\n"),
	                 CS_OK);
	assert_int_equal(fx_read(f,
	                         "/h/Users/u/AppData/Local/Programs/x/resources/app/package.json",
	                         "{\"name\":\"x-app\",\"productName\":\"X App\",\"version\":"
	                         "\"5.0.1\",\"author\":{\"name\":\"X Corp\"}}"),
	                 CS_OK);
	assert_int_equal(fx_read(f, "osquery.json",
	                         "[{\"name\":\"Zoom\",\"version\":\"5.16.2\",\"install_location\":"
	                         "\"\",\"install_date\":\"\",\"publisher\":\"Zoom\"}]"),
	                 CS_OK);
	assert_string_equal(listing(f), "product Tool \xc3\xa9 1.2 windows\n"
	                                "product Calculator 10.16 macos\n"
	                                "product B 1.0 macos\n"
	                                "product X App 5.0.1 windows\n"
	                                "product Zoom 5.16.2 windows\n");
	/* The broken plist is reported at the fault; what came before it
	 * still names the app. */
	assert_true(cs_test_diags_have(&f->d, "Broken.app/Contents/Info.plist:6:"));
	assert_string_equal(cs_pkgset_at(f->ps, 3)->vendor, "X Corp");
	assert_int_equal(cs_pkgset_at(f->ps, 0)->install_time, 1704153600);
	fx_free(f);
}

/*
 * Install times from dpkg.log and apt's history.log: the latest install,
 * upgrade or reinstall of exactly the installed version; other versions
 * and packages of another reader are left alone; a line not understood
 * is reported at its position. Then the crafted host tree: its logs
 * (one rotated and compressed) are found under the root.
 */
static void test_install_logs(void **state)
{
	struct fixture *f = fx_new();
	const char *dlog = "2026-02-01 09:00:01 upgrade a:amd64 1.0-1 2.0-1\n"
	                   "2026-02-01 09:00:02 status installed a:amd64 2.0-1\n"
	                   "2026-01-01 00:00:00 install a:amd64 <none> 2.0-1\n"
	                   "2026-02-03 00:00:00 install b:amd64 <none> 1.0\n"
	                   "2026-02-04 00:00:00 install c <none>\n"
	                   "nonsense\n";
	const char *hist = "Start-Date: 2026-03-05  14:20:11\n"
	                   "Upgrade: b:amd64 (1.0, 3~rc1), x (1, 2)\n"
	                   "Install: d:amd64 (4.0-1, automatic), e (1\n"
	                   "End-Date: 2026-03-05  14:20:15\n"
	                   "Reinstall: e (1)\n";
	const char *root = cs_test_data("software/host");
	size_t i;

	(void)state;
	assert_int_equal(fx_read(f, "/x/var/lib/dpkg/status",
	                         "Package: a\nStatus: install ok installed\nArchitecture: amd64\n"
	                         "Version: 2.0-1\n\n"
	                         "Package: b\nStatus: install ok installed\nVersion: 3~rc1\n\n"
	                         "Package: d\nStatus: install ok installed\nVersion: 4.0-1\n\n"
	                         "Package: e\nStatus: install ok installed\nVersion: 1\n"),
	                 CS_OK);
	assert_int_equal(fx_read(f, "requirements.txt", "a==2.0-1\n"), CS_OK);
	assert_int_equal(
	        cs_pkgset_read_install_log(f->ps, "/x/var/log/dpkg.log", dlog, strlen(dlog)),
	        CS_OK);
	assert_int_equal(
	        cs_pkgset_read_install_log(f->ps, "/x/var/log/apt/history.log", hist, strlen(hist)),
	        CS_OK);
	/* a: the upgrade on 2026-02-01 is later than the first install. */
	assert_int_equal(cs_pkgset_at(f->ps, 0)->install_time, 1769936401);
	assert_int_equal(cs_pkgset_at(f->ps, 0)->install_time_source, CS_TIME_PACKAGE_LOG);
	/* b: installed as 1.0, upgraded to 3~rc1 per history.log. */
	assert_int_equal(cs_pkgset_at(f->ps, 1)->install_time, 1772720411);
	assert_int_equal(cs_pkgset_at(f->ps, 2)->install_time, 1772720411);
	/* e: its Install entry is cut, and a Reinstall outside a
	 * transaction gives no time. */
	assert_int_equal(cs_pkgset_at(f->ps, 3)->install_time, 0);
	/* The requirements.txt package is not a dpkg one. */
	assert_int_not_equal(cs_pkgset_at(f->ps, 4)->install_time_source, CS_TIME_PACKAGE_LOG);
	assert_true(cs_test_diags_have(&f->d, "dpkg.log:5:1: broken: dpkg.log: 2 lines"));
	assert_true(cs_test_diags_have(&f->d, "history.log:3:1: broken: apt history.log"));
	fx_free(f);

	f = fx_new();
	assert_int_equal(cs_pkgset_read_host(f->ps, root), CS_OK);
	for (i = 0; i < cs_pkgset_count(f->ps); i++) {
		const struct cs_package *p = cs_pkgset_at(f->ps, i);

		if (strcmp(p->name, "libdemo1") == 0) {
			assert_int_equal(p->install_time, 1769936401); /* dpkg.log */
			assert_int_equal(p->install_time_source, CS_TIME_PACKAGE_LOG);
		} else if (strcmp(p->name, "libdemo2") == 0) {
			assert_int_equal(p->install_time, 1772720411); /* history.log */
		} else if (strcmp(p->name, "tzdata") == 0) {
			/* dpkg.log.2.gz names another version. */
			assert_int_not_equal(p->install_time_source, CS_TIME_PACKAGE_LOG);
		}
	}
	assert_true(cs_test_diags_have(&f->d, "var/log/dpkg.log:5:1:"));
	fx_free(f);
}

/* An unsigned varint. */
static size_t put_uvarint(char *o, size_t n)
{
	size_t k = 0;

	while (n >= 0x80) {
		o[k++] = (char)(n | 0x80);
		n >>= 7;
	}
	o[k++] = (char)n;
	return k;
}

/*
 * A crafted Go binary: an ELF header, the Go build-ID note, and at a
 * 16-aligned offset the build-info header with inline strings (flags 2)
 * or, flags 0, the pre-1.18 pointer form. `cut` shortens the module
 * information's recorded length past the end of the file.
 */
static size_t go_binary(char *b, const char *ver, const char *mod, int flags, int cut)
{
	static const char sent1[] = "0w\xaf\x0c\x92t\x08\x02"
	                            "A\xe1\xc1\x07\xe6\xd6\x18\xe6";
	static const char sent2[] = "\xf9"
	                            "2C1\x86\x18 r\x00\x82"
	                            "B\x10"
	                            "A\x16\xd8\xf2";
	size_t n = 0, ml = strlen(mod);

	memset(b, 0, 4096);
	memcpy(b,
	       "\x7f"
	       "ELF\x02\x01\x01",
	       7);
	memcpy(b + 64,
	       "\x04\x00\x00\x00\x08\x00\x00\x00\x04\x00\x00\x00Go\x00\x00"
	       "abcdefgh",
	       24);
	n = 112;
	memcpy(b + n, "\xff Go buildinf:", 14);
	b[n + 14] = 8;
	b[n + 15] = (char)flags;
	n += 32;
	n += put_uvarint(b + n, strlen(ver));
	memcpy(b + n, ver, strlen(ver));
	n += strlen(ver);
	n += put_uvarint(b + n, ml + 32 + (cut ? 1000 : 0));
	memcpy(b + n, sent1, 16);
	memcpy(b + n + 16, mod, ml);
	memcpy(b + n + 16 + ml, sent2, 16);
	return n + 32 + ml;
}

/* A crafted app.asar holding `nfiles` files: the header JSON names
 * them, their bytes follow in order. */
static size_t asar(char *b, const char *header, const char *const *files, size_t nfiles)
{
	size_t jl = strlen(header), hs = 8 + ((jl + 3) & ~(size_t)3), n, i;

	memset(b, 0, 8192);
	b[0] = 4;
	b[4] = (char)(hs & 0xff);
	b[5] = (char)(hs >> 8);
	b[8] = (char)((hs - 4) & 0xff);
	b[9] = (char)((hs - 4) >> 8);
	b[12] = (char)(jl & 0xff);
	b[13] = (char)(jl >> 8);
	memcpy(b + 16, header, jl);
	n = 8 + hs;
	for (i = 0; i < nfiles; i++) {
		memcpy(b + n, files[i], strlen(files[i]));
		n += strlen(files[i]);
	}
	return n;
}

/*
 * Go build information in a binary, and Electron's app.asar: exact
 * packages from crafted files; broken ones reported with their position
 * (a byte offset in a binary, a line and column inside a JSON member).
 */
static void test_binaries(void **state)
{
	struct fixture *f = fx_new();
	char *b = malloc(8192);
	size_t n;
	const char *mod = "path\texample.com/cmd/tool\n"
	                  "mod\texample.com/tool\t(devel)\t\n"
	                  "dep\tgolang.org/x/net\tv0.17.0\th1:abc=\n"
	                  "dep\tgithub.com/a/b\tv1.0.0\th1:x=\n"
	                  "=>\tgithub.com/fork/b\tv1.0.1\th1:y=\n"
	                  "dep\tgithub.com/c/d\tv2.0.0\n"
	                  "=>\t../local/d\t\t\n"
	                  "dep\tbroken-line\n"
	                  "build\t-compiler=gc\n";
	const char *pj = "{\"name\":\"demo-desktop\",\"productName\":\"Demo Desktop\","
	                 "\"version\":\"18.12.416\",\"author\":\"Demo Ltd\"}";
	const char *py = "{\"name\":\"@s/y\",\"version\":\"1.0.0\"}";
	const char *px = "{\"name\":\"x\",\"version\":\"2.1.0\"}";
	const char *pz = "{\"name\":\"z\",\"version\":\"0.0.1\"}";
	const char *files[] = {pj, py, px, pz};
	char header[1024];

	(void)state;
	assert_non_null(b);
	n = go_binary(b, "go1.21.5 X:boringcrypto", mod, 2, 0);
	assert_int_equal(cs_pkgset_read_mem(f->ps, "/r/usr/local/bin/tool", b, n), CS_OK);
	assert_string_equal(listing(f), "Go stdlib 1.21.5\n"
	                                "Go golang.org/x/net v0.17.0\n"
	                                "Go github.com/fork/b v1.0.1\n"
	                                "Go github.com/c/d v2.0.0\n");
	assert_true(cs_test_diags_have(&f->d, "tool:0:0: broken: Go build info at byte 112: module "
	                                      "line 8 is not"));
	assert_string_equal(cs_pkgset_at(f->ps, 1)->reader, "go-binary");
	/* Cut short, and the pre-1.18 form: reported, not guessed. */
	n = go_binary(b, "go1.17", mod, 2, 1);
	assert_int_equal(cs_pkgset_read_mem(f->ps, "/r/bin/cut", b, n), CS_OK);
	assert_true(cs_test_diags_have(&f->d, "cut:0:0: broken: Go build info at byte 112: module "
	                                      "information cut short"));
	n = go_binary(b, "go1.16", mod, 0, 0);
	assert_int_equal(cs_pkgset_read_mem(f->ps, "/r/bin/old", b, n), CS_OK);
	assert_true(cs_test_diags_have(&f->d,
	                               "old:0:0: broken: Go build info at byte 112: written by "
	                               "Go before 1.18"));
	/* Not Go: an ELF file without the note is no reader's. */
	memset(b, 0, 256);
	memcpy(b,
	       "\x7f"
	       "ELF",
	       4);
	assert_int_equal(cs_pkgset_read_mem(f->ps, "/r/bin/c-tool", b, 256), CS_ERR_UNSUPPORTED);
	assert_int_equal(cs_pkgset_count(f->ps), 4);
	fx_free(f);

	f = fx_new();
	snprintf(header, sizeof(header),
	         "{\"files\":{\"package.json\":{\"size\":%zu,\"offset\":\"0\"},"
	         "\"node_modules\":{\"files\":{"
	         "\"@s\":{\"files\":{\"y\":{\"files\":{\"package.json\":{\"size\":%zu,"
	         "\"offset\":\"%zu\"}}}}},"
	         "\"u\":{\"files\":{\"package.json\":{\"size\":5,\"offset\":\"0\","
	         "\"unpacked\":true}}},"
	         "\"x\":{\"files\":{\"package.json\":{\"size\":%zu,\"offset\":\"%zu\"},"
	         "\"node_modules\":{\"files\":{\"z\":{\"files\":{\"package.json\":{"
	         "\"size\":%zu,\"offset\":\"%zu\"}}}}}}},"
	         "\"far\":{\"files\":{\"package.json\":{\"size\":10,\"offset\":\"99999\"}}}"
	         "}}}}",
	         strlen(pj), strlen(py), strlen(pj), strlen(px), strlen(pj) + strlen(py),
	         strlen(pz), strlen(pj) + strlen(py) + strlen(px));
	n = asar(b, header, files, 4);
	assert_int_equal(cs_pkgset_read_mem(f->ps,
	                                    "/h/Users/a/AppData/Local/Programs/demo/resources/"
	                                    "app.asar",
	                                    b, n),
	                 CS_OK);
	assert_string_equal(listing(f), "product Demo Desktop 18.12.416 windows\n"
	                                "npm @s/y 1.0.0\n"
	                                "npm x 2.1.0\n"
	                                "npm z 0.0.1\n");
	assert_string_equal(cs_pkgset_at(f->ps, 0)->vendor, "Demo Ltd");
	assert_string_equal(cs_pkgset_at(f->ps, 3)->entry,
	                    "app.asar!/node_modules/x/node_modules/z/package.json");
	assert_true(cs_test_diags_have(&f->d, "app.asar:0:0: broken: app.asar: "
	                                      "node_modules/far/package.json lies outside"));
	/* A header cut in its JSON; a header larger than the file. */
	header[40] = '\0';
	n = asar(b, header, files, 0);
	assert_int_equal(cs_pkgset_read_mem(f->ps, "/m/X.app/Contents/Resources/app.asar", b, n),
	                 CS_OK);
	assert_true(cs_test_diags_have(&f->d, "app.asar:0:0: broken: app.asar: header JSON line 1 "
	                                      "column"));
	b[5] = 0x7f;
	assert_int_equal(cs_pkgset_read_mem(f->ps, "/m/Y.app/Contents/Resources/app.asar", b, n),
	                 CS_OK);
	assert_true(cs_test_diags_have(&f->d, "does not fit"));
	assert_int_equal(cs_pkgset_count(f->ps), 4);
	free(b);
	fx_free(f);
}

/*
 * RPM databases under a root: read through `rpm --root R --dbpath D -qa`
 * (a stand-in script checks the arguments here); without an rpm program
 * the database is reported as a gap, unless the root's rpm-qa.tsv was
 * read instead; a failing rpm is reported.
 */
static void test_rpm_root(void **state)
{
	struct fixture *f = fx_new();
	char *dir = cs_test_tmpdir(), path[4096], *p;
	const char *fake = "#!/bin/sh\n"
	                   "[ \"$1\" = --root ] && [ \"$3\" = --dbpath ] && "
	                   "[ \"$4\" = /var/lib/rpm ] && [ \"$5\" = -qa ] || exit 3\n"
	                   "printf 'bash\\t0:5.2.15-2.fc39\\tx86_64\\t1700000000\\n'\n"
	                   "printf 'openssl\\t1:3.1.1-4.fc39\\tx86_64\\t1700000001\\n'\n";
	int have_rpm = access("/usr/bin/rpm", X_OK) == 0 || access("/bin/rpm", X_OK) == 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/var", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/var/lib", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/var/lib/rpm", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	p = cs_test_write(dir, "fake-rpm", fake, strlen(fake));
	assert_int_equal(chmod(p, 0700), 0);
	assert_int_equal(cs__pkg_rpm_run(f->ps, p, dir, "/var/lib/rpm", "rpm --root R -qa"), CS_OK);
	assert_string_equal(listing(f), "RPM bash 5.2.15-2.fc39 linux\n"
	                                "RPM openssl 1:3.1.1-4.fc39 linux\n");
	assert_int_equal(cs_pkgset_at(f->ps, 1)->install_time, 1700000001);
	assert_string_equal(cs_pkgset_at(f->ps, 1)->file, "rpm --root R -qa");
	/* Wrong arguments: the stand-in exits 3 with nothing. */
	assert_int_equal(cs__pkg_rpm_run(f->ps, p, dir, "/elsewhere", "rpm --root R -qa"), CS_OK);
	assert_true(cs_test_diags_have(&f->d, "rpm --root R -qa:0:0: broken: rpm -qa failed "
	                                      "(exit 3)"));
	free(p);
	fx_free(f);
	if (!have_rpm) {
		f = fx_new();
		assert_int_equal(cs_pkgset_read_host(f->ps, dir), CS_OK);
		assert_true(cs_test_diags_have(&f->d, "/var/lib/rpm:0:0: broken: RPM database not "
		                                      "read: no rpm program"));
		assert_true(cs_pkgset_incomplete(f->ps));
		fx_free(f);
		/* A saved rpm -qa output of that host stands in. */
		f = fx_new();
		p = cs_test_write(dir, "rpm-qa.tsv", "bash\t0:5.2.15-2.fc39\tx86_64\t1\n", 30);
		free(p);
		assert_int_equal(cs_pkgset_read_host(f->ps, dir), CS_OK);
		assert_false(cs_test_diags_have(&f->d, "RPM database not read"));
		assert_int_equal(cs_pkgset_count(f->ps), 1);
		fx_free(f);
	}
	cs_test_rmtree(dir);
	free(dir);
}

/*
 * Pipfile.lock, composer.lock, Gemfile.lock and SPDX tag-value: exact
 * packages, and broken parts reported with their position.
 */
static void test_more_lockfiles(void **state)
{
	struct fixture *f = fx_new();
	const char *pipfile = "{\"_meta\":{\"hash\":{}},\n"
	                      "\"default\":{\"requests\":{\"hashes\":[],\"version\":\"==2.31.0\"},"
	                      "\"my-fork\":{\"git\":\"https://example.invalid/x.git\"}},\n"
	                      "\"develop\":{\"pytest\":{\"version\":\"==7.4.0\"}}}";
	const char *composer = "{\"packages\":[{\"name\":\"monolog/monolog\",\"version\":"
	                       "\"2.9.1\"},7],\n\"packages-dev\":[{\"name\":\"phpunit/phpunit\","
	                       "\"version\":\"v9.6.0\"}]}";
	const char *gemfile = "GIT\n  remote: https://example.invalid/g.git\n  specs:\n"
	                      "    forked (0.1.0)\n\n"
	                      "GEM\n  remote: https://rubygems.org/\n  specs:\n"
	                      "    actionpack (7.0.4)\n"
	                      "      rack (~> 2.0, >= 2.2.0)\n"
	                      "    nokogiri (1.13.10-x86_64-linux)\n"
	                      "    broken-spec 1.0\n"
	                      "    rack (2.2.6.2)\n\n"
	                      "PLATFORMS\n  x86_64-linux\n\n"
	                      "DEPENDENCIES\n  actionpack\n";
	const char *tv = "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n"
	                 "DocumentComment: <text>a\nPackageName: not-a-package\n</text>\n"
	                 "PackageName: left-pad\nSPDXID: SPDXRef-1\nPackageVersion: 1.3.0\n"
	                 "ExternalRef: PACKAGE-MANAGER purl pkg:npm/left-pad@1.3.0\n\n"
	                 "PackageName: Demo Tool\nPackageVersion: 4.2\n"
	                 "PackageSupplier: Organization: Demo\n"
	                 "this line has no tag\n"
	                 "FileName: ./x.c\nPackageVersion: 9.9\n";

	(void)state;
	assert_int_equal(fx_read(f, "/p/Pipfile.lock", pipfile), CS_OK);
	assert_int_equal(fx_read(f, "/p/composer.lock", composer), CS_OK);
	assert_int_equal(fx_read(f, "/p/Gemfile.lock", gemfile), CS_OK);
	assert_int_equal(fx_read(f, "/p/sbom.spdx", tv), CS_OK);
	assert_string_equal(listing(f), "PyPI requests 2.31.0\n"
	                                "PyPI pytest 7.4.0\n"
	                                "Packagist monolog/monolog 2.9.1\n"
	                                "Packagist phpunit/phpunit v9.6.0\n"
	                                "RubyGems forked 0.1.0\n"
	                                "RubyGems actionpack 7.0.4\n"
	                                "RubyGems nokogiri 1.13.10\n"
	                                "RubyGems rack 2.2.6.2\n"
	                                "npm left-pad 1.3.0\n"
	                                "unknown Demo Tool 4.2\n");
	assert_true(cs_test_diags_have(&f->d, "composer.lock:0:0: broken: composer.lock: "
	                                      "packages[1] is not an object"));
	assert_true(cs_test_diags_have(&f->d, "Gemfile.lock:12:5: broken: Gemfile.lock: spec"));
	assert_true(cs_test_diags_have(&f->d, "sbom.spdx:14:1: broken: SPDX tag-value"));
	assert_string_equal(cs_pkgset_at(f->ps, 0)->entry, "default[\"requests\"]");
	assert_string_equal(cs_pkgset_at(f->ps, 9)->vendor, "Organization: Demo");
	assert_int_equal(cs_pkgset_at(f->ps, 9)->line, 11);
	/* Cut JSON: line and column. */
	assert_int_equal(fx_read(f, "/q/Pipfile.lock", "{\"default\":{\"a\":\n{\"version\":"),
	                 CS_OK);
	assert_true(cs_test_diags_have(&f->d, "/q/Pipfile.lock:2:"));
	assert_int_equal(cs_pkgset_count(f->ps), 10);
	fx_free(f);
}

static void test_walk(void **state)
{
	struct fixture *f = fx_new();
	char *dir = cs_test_tmpdir(), path[4096];
	char *p;

	(void)state;
	snprintf(path, sizeof(path), "%s/node_modules", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/node_modules/m", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	p = cs_test_write(path, "package.json", "{\"name\":\"m\",\"version\":\"1.0.0\"}", 30);
	free(p);
	p = cs_test_write(dir, "notes.json", "{\"a\":1}", 7);
	free(p);
	p = cs_test_write(dir, "go.sum", "example.com/m v1.0.0 h1:x=\n", 27);
	free(p);
	snprintf(path, sizeof(path), "%s/loop", dir);
	assert_int_equal(symlink(".", path), 0);
	assert_int_equal(cs_pkgset_read_path(f->ps, dir), CS_OK);
	assert_string_equal(listing(f), "Go example.com/m v1.0.0\nnpm m 1.0.0\n");
	assert_int_equal(cs_pkgset_counter(f->ps, CS_PKG_FILES), 2);
	assert_int_equal(cs_pkgset_counter(f->ps, CS_PKG_SKIP_SYMLINK), 1);
	assert_int_equal(cs_pkgset_counter(f->ps, CS_PKG_DIRS), 3);
	assert_false(cs_pkgset_incomplete(f->ps));
	/* The package's time is its file's, and says so. */
	assert_int_equal(cs_pkgset_at(f->ps, 0)->install_time_source, CS_TIME_FILE_MTIME);
	assert_int_equal(cs_pkgset_read_path(f->ps, "/nonexistent/chainsweep"), CS_ERR_IO);
	assert_true(cs_pkgset_incomplete(f->ps));
	cs_test_rmtree(dir);
	free(dir);
	fx_free(f);
}

/* Both juice-shop SBOMs: 1,115 components (837 at the top of the bare
 * one, the rest nested; all at the top of the flat one) plus the
 * metadata component juice-shop 14.1.1, every one an npm purl (counted
 * with jq over the files). */
static void real_world_sbom(const char *rel, const char *nested_entry)
{
	const char *path = CS_TEST_REAL_WORLD(rel);
	struct fixture *f = fx_new();
	size_t i, npm = 0, found = 0;

	assert_int_equal(cs_pkgset_read_file(f->ps, path), CS_OK);
	assert_int_equal(cs_pkgset_count(f->ps), 1116);
	assert_int_equal(cs_pkgset_counter(f->ps, CS_PKG_BROKEN), 0);
	for (i = 0; i < cs_pkgset_count(f->ps); i++) {
		const struct cs_package *p = cs_pkgset_at(f->ps, i);

		npm += p->ecosystem == CS_ECO_NPM && cs_version_valid(CS_ECO_NPM, p->version);
		if (strcmp(p->name, "@babel/helper-string-parser") == 0) {
			assert_string_equal(p->version, "7.19.4");
			found++;
		}
		if (nested_entry && strcmp(p->entry, nested_entry) == 0) {
			assert_string_equal(p->name, "ansi-regex");
			assert_string_equal(p->version, "5.0.1");
			found++;
		}
	}
	assert_int_equal(npm, 1116);
	assert_int_equal(found, nested_entry ? 2 : 1);
	assert_string_equal(cs_pkgset_at(f->ps, 0)->name, "juice-shop");
	fx_free(f);
}

static void test_real_world_sboms(void **state)
{
	(void)state;
	real_world_sbom("sbom/cyclonedx-juice-shop-bare.1.4.json", "components[7].components[0]");
	real_world_sbom("sbom/cyclonedx-juice-shop-flat.1.4.json", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_dpkg_apk_rpm),     cmocka_unit_test(test_npm),
	        cmocka_unit_test(test_python_go_cargo),  cmocka_unit_test(test_sboms),
	        cmocka_unit_test(test_desktop),          cmocka_unit_test(test_walk),
	        cmocka_unit_test(test_real_world_sboms), cmocka_unit_test(test_install_logs),
	        cmocka_unit_test(test_binaries),         cmocka_unit_test(test_rpm_root),
	        cmocka_unit_test(test_more_lockfiles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The file sweep on crafted, benign trees: exact findings and exact
 * coverage counts, archives nested in archives, a hit at the end of a
 * 200 MB file, decoys, and hostile entries.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "chainsweep/scan.h"
#include "chainsweep/store.h"
#include "core/core_int.h"
#include "scan/scan_int.h"
#include "testutil.h"

#define MARKER "XTRADER-BENIGN-TEST-MARKER-7f3a"

/* ---- building trees ---- */

static void mkparents(const char *path)
{
	char *p = strdup(path), *s;

	for (s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	free(p);
}

static char *put(const char *dir, const char *rel, const void *data, size_t len)
{
	char *path;
	FILE *f;

	assert_true(asprintf(&path, "%s/%s", dir, rel) > 0);
	mkparents(path);
	f = fopen(path, "wb");
	assert_non_null(f);
	if (len)
		assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	return path;
}

static void put_s(const char *dir, const char *rel, const char *text)
{
	free(put(dir, rel, text, strlen(text)));
}

struct member {
	const char *name;
	const void *data;
	size_t len;
};

/* An archive in memory: format "zip" or "tar", filter "gzip" or NULL,
 * members optionally encrypted (zip only). Caller frees. */
static void *make_archive(const char *format, const char *filter, const struct member *m, size_t n,
                          const char *passphrase, size_t *outlen)
{
	struct archive *a = archive_write_new();
	size_t cap = 1 << 20, used = 0, i;
	void *buf;

	for (i = 0; i < n; i++)
		cap += m[i].len + 4096;
	buf = malloc(cap);
	assert_non_null(buf);
	assert_int_equal(archive_write_set_format_by_name(a, format), ARCHIVE_OK);
	if (filter)
		assert_int_equal(archive_write_add_filter_by_name(a, filter), ARCHIVE_OK);
	if (passphrase) {
		assert_int_equal(archive_write_set_options(a, "zip:encryption=zipcrypt"),
		                 ARCHIVE_OK);
		assert_int_equal(archive_write_set_passphrase(a, passphrase), ARCHIVE_OK);
	}
	assert_int_equal(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();

		archive_entry_set_pathname(e, m[i].name);
		archive_entry_set_size(e, (la_int64_t)m[i].len);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_mtime(e, 1679616000, 0); /* 2023-03-24 */
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (m[i].len)
			assert_int_equal(archive_write_data(a, m[i].data, m[i].len),
			                 (la_ssize_t)m[i].len);
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	*outlen = used;
	return buf;
}

/* ---- intel and sweeping ---- */

struct sweep {
	struct cs_test_diags d; /* first: the diagnostics callback's userdata */
	struct cs_intel *in;
	struct cs_matcher *m;
	char *root;
	char **lines;
	size_t n, cap;
	struct cs_scan_result res;
};

static void intel_add(struct sweep *s, const char *format, const char *name, const char *text)
{
	struct cs_import_stats st;

	memset(&st, 0, sizeof(st));
	assert_int_equal(cs_intel_set_format(s->in, format), CS_OK);
	assert_int_equal(cs_intel_import_mem(s->in, name, text, strlen(text), &st), CS_OK);
	assert_int_equal(st.rejected, 0);
}

static void sweep_init(struct sweep *s)
{
	memset(s, 0, sizeof(*s));
	s->in = cs_intel_new();
	assert_non_null(s->in);
	cs_intel_set_diag(s->in, cs_test_diag_cb, &s->d);
	s->root = cs_test_tmpdir();
	assert_non_null(s->root);
}

static void sweep_free(struct sweep *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->lines[i]);
	free(s->lines);
	cs_matcher_free(s->m);
	cs_intel_free(s->in);
	chmod(s->root, 0755);
	cs_test_rmtree(s->root);
	free(s->root);
}

/* "evidence path matched", with the root cut off the path. */
static int on_finding(void *ud, const struct cs_file_finding *f)
{
	struct sweep *s = ud;
	size_t rl = strlen(s->root);
	const char *p = strncmp(f->path, s->root, rl) == 0 ? f->path + rl + 1 : f->path;
	const char *m = strncmp(f->matched, s->root, rl) == 0 ? f->matched + rl + 1 : f->matched;
	char *line;

	assert_non_null(f->indicator);
	assert_true(asprintf(&line, "%s %s %s", cs_evidence_name(f->evidence), p,
	                     f->evidence == CS_EV_HASH
	                             ? cs_kind_name(cs_indicator_kind(f->indicator))
	                             : m) > 0);
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->lines = realloc(s->lines, s->cap * sizeof(*s->lines));
		assert_non_null(s->lines);
	}
	s->lines[s->n++] = line;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The findings, sorted, one per line. Static buffer. */
static const char *findings(struct sweep *s)
{
	static char buf[65536];
	size_t i, o = 0;

	if (s->n)
		qsort(s->lines, s->n, sizeof(*s->lines), cmp_str);
	buf[0] = '\0';
	for (i = 0; i < s->n; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s\n", s->lines[i]);
	return buf;
}

static void compile(struct sweep *s)
{
	cs_intel_finalize(s->in);
	assert_int_equal(cs_matcher_new(s->in, cs_test_diag_cb, &s->d, &s->m), CS_OK);
}

static void run(struct sweep *s, struct cs_scan_opts *o)
{
	struct cs_scan_opts def;
	const char *roots[1] = {s->root};

	if (!o) {
		cs_scan_opts_init(&def);
		o = &def;
	}
	if (!s->m)
		compile(s);
	o->on_finding = on_finding;
	o->on_diag = cs_test_diag_cb;
	o->userdata = s;
	assert_int_equal(cs_scan_files(s->m, roots, 1, o, &s->res), CS_OK);
}

static const char yara_rule[] = "rule Benign_Marker { strings: $m = \"" MARKER "\" "
                                "condition: $m }\n"
                                "rule Benign_Tail { strings: $t = \"TAIL-" MARKER "\" "
                                "condition: $t at filesize - 36 }\n";

/* ---- tests ---- */

static void test_tree(void **state)
{
	struct sweep s;
	char hash[65], csv[256], *path;
	const char payload[] = "benign stand-in for a trojanized DLL\n";
	struct member inner[2] = {{"sub/payload.bin", payload, sizeof(payload) - 1},
	                          {"readme.txt", "nothing here\n", 13}};
	struct member outer[2];
	void *zip, *tgz;
	size_t ziplen, tgzlen;
	char deep[4200];
	int i, dfd;

	(void)state;
	sweep_init(&s);
	cs_test_sha256_hex(payload, sizeof(payload) - 1, hash);
	snprintf(csv, sizeof(csv), "sha256\n%s\n", hash);
	intel_add(&s, "csv", "hashes.csv", csv);
	intel_add(&s, "csv", "names.csv",
	          "filename\nffmpeg.dll\n"
	          "%LOCALAPPDATA%\\Programs\\3CXDesktopApp\\app\\manifest\n");
	intel_add(&s, "loki-filename", "filename-iocs.txt",
	          "\\\\Temp\\\\[a-z]+\\.exe$;70;\\\\Temp\\\\safe\\.exe\n");
	intel_add(&s, "yara", "marker.yar", yara_rule);

	/* Hits. */
	free(put(s.root, "sub/payload.bin", payload, sizeof(payload) - 1));
	put_s(s.root, "app/FFMPEG.DLL", "not the real one\n");
	put_s(s.root, "home/u/Programs/3CXDesktopApp/app/manifest", "x\n");
	put_s(s.root, "Temp/evil.exe", "x\n");
	put_s(s.root, "marker.txt", "text " MARKER " text\n");
	/* Decoys. */
	put_s(s.root, "app/libffmpeg.dll", "x\n");
	put_s(s.root, "app/ffmpeg.dll.bak", "x\n");
	put_s(s.root, "home/u/Programs/Other/app/manifest", "x\n");
	put_s(s.root, "Temp/safe.exe", "x\n");
	put_s(s.root, "Temp/evil.exe.txt", "x\n");
	put_s(s.root, "near.bin", "benign stand-in for a trojanized DLL!\n");
	put_s(s.root, "split.txt", "XTRADER-BENIGN-TEST-\nMARKER-7f3a\n");
	/* A zip inside a tgz. */
	zip = make_archive("zip", NULL, inner, 2, NULL, &ziplen);
	outer[0] = (struct member){"pkg/inner.zip", zip, ziplen};
	outer[1] = (struct member){"pkg/package.json", "{}\n", 3};
	tgz = make_archive("ustar", "gzip", outer, 2, NULL, &tgzlen);
	free(put(s.root, "dl/pkg.tgz", tgz, tgzlen));
	free(zip);
	free(tgz);
	/* Hostile entries: a symlink loop, a FIFO, a non-UTF-8 name, a
	 * path of more than 4,000 bytes. */
	assert_true(asprintf(&path, "%s/loop", s.root) > 0);
	assert_int_equal(symlink(".", path), 0);
	free(path);
	assert_true(asprintf(&path, "%s/fifo", s.root) > 0);
	assert_int_equal(mkfifo(path, 0600), 0);
	free(path);
	free(put(s.root, "bad\xff\xfe.bin", payload, sizeof(payload) - 1));
	assert_true(asprintf(&path, "%s/deep", s.root) > 0);
	assert_int_equal(mkdir(path, 0755), 0);
	dfd = open(path, O_RDONLY | O_DIRECTORY);
	free(path);
	assert_true(dfd >= 0);
	memset(deep, 0, sizeof(deep));
	for (i = 0; i < 20; i++) {
		char name[201];
		int nfd;

		memset(name, 'd', 200);
		name[200] = '\0';
		name[0] = (char)('a' + i);
		assert_int_equal(mkdirat(dfd, name, 0755), 0);
		nfd = openat(dfd, name, O_RDONLY | O_DIRECTORY);
		assert_true(nfd >= 0);
		close(dfd);
		dfd = nfd;
	}
	i = openat(dfd, "deep-payload.bin", O_WRONLY | O_CREAT, 0644);
	assert_true(i >= 0);
	assert_int_equal(write(i, payload, sizeof(payload) - 1), (ssize_t)sizeof(payload) - 1);
	close(i);
	close(dfd);

	run(&s, NULL);
	{
		/* The deep path, as the sweep writes it. */
		char expect[65536], dp[4400];
		size_t o = 0;

		o = (size_t)snprintf(dp, sizeof(dp), "deep");
		for (i = 0; i < 20; i++) {
			dp[o++] = '/';
			dp[o++] = (char)('a' + i);
			memset(dp + o, 'd', 199);
			o += 199;
		}
		snprintf(dp + o, sizeof(dp) - o, "/deep-payload.bin");
		assert_true(strlen(dp) > 4000);
		snprintf(expect, sizeof(expect),
		         "hash bad\xff\xfe.bin sha256\n"
		         "hash %s sha256\n"
		         "hash dl/pkg.tgz!/pkg/inner.zip!/sub/payload.bin sha256\n"
		         "hash sub/payload.bin sha256\n"
		         "name app/FFMPEG.DLL FFMPEG.DLL\n"
		         "name home/u/Programs/3CXDesktopApp/app/manifest "
		         "home/u/Programs/3CXDesktopApp/app/manifest\n"
		         "path-regex Temp/evil.exe Temp/evil.exe\n"
		         "yara marker.txt Benign_Marker\n",
		         dp);
		if (strcmp(findings(&s), expect) != 0)
			fprintf(stderr, "got:\n%s\nexpected:\n%s\n", findings(&s), expect);
		assert_string_equal(findings(&s), expect);
	}
	assert_int_equal(s.res.count[CS_COV_FILES], 15);
	assert_int_equal(s.res.count[CS_COV_SCANNED], 15);
	assert_int_equal(s.res.count[CS_COV_MEMBERS], 4);
	assert_int_equal(s.res.count[CS_COV_SKIP_SYMLINK], 1);
	assert_int_equal(s.res.count[CS_COV_SKIP_SPECIAL], 1);
	assert_int_equal(s.res.findings, 8);
	assert_int_equal(s.res.incomplete, 0);
	for (i = CS_COV_SKIP_PSEUDO_FS; i < CS_COV_NREASONS; i++)
		assert_int_equal(s.res.count[i], 0);
	sweep_free(&s);
}

/* A hit at the very end of a 200 MB file: by hash and by YARA. */
static void test_big_file(void **state)
{
	struct sweep s;
	const size_t size = 200u << 20;
	char *data, hash[65], csv[128], *path;
	struct cs_scan_opts o;
	const char tail[] = "TAIL-" MARKER;

	(void)state;
	sweep_init(&s);
	data = calloc(1, size);
	assert_non_null(data);
	memcpy(data + size - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
	cs_test_sha256_hex(data, size, hash);
	snprintf(csv, sizeof(csv), "sha256\n%s\n", hash);
	intel_add(&s, "csv", "h.csv", csv);
	intel_add(&s, "yara", "marker.yar", yara_rule);
	path = put(s.root, "big.bin", data, size);
	free(path);
	free(data);
	cs_scan_opts_init(&o);
	o.keep_cache = 1;
	run(&s, &o);
	assert_string_equal(findings(&s), "hash big.bin sha256\n"
	                                  "yara big.bin Benign_Marker\n"
	                                  "yara big.bin Benign_Tail\n");
	assert_int_equal(s.res.count[CS_COV_BYTES], size);
	assert_int_equal(s.res.incomplete, 0);
	sweep_free(&s);
}

/* A zip bomb is reported and left; the sweep goes on. */
static void test_zip_bomb(void **state)
{
	struct sweep s;
	const size_t zeros = 40u << 20;
	char *z = calloc(1, zeros);
	struct member m[2] = {{"a.bin", z, zeros}, {"b.txt", MARKER, sizeof(MARKER) - 1}};
	void *zip;
	size_t len;

	(void)state;
	assert_non_null(z);
	sweep_init(&s);
	intel_add(&s, "yara", "marker.yar", yara_rule);
	zip = make_archive("zip", NULL, m, 2, NULL, &len);
	assert_true(len < zeros / 200); /* the ratio cap fires */
	free(put(s.root, "bomb.zip", zip, len));
	put_s(s.root, "after.txt", MARKER);
	free(zip);
	free(z);
	run(&s, NULL);
	assert_string_equal(findings(&s), "yara after.txt Benign_Marker\n");
	assert_int_equal(s.res.count[CS_COV_ARCHIVE_BOMB], 1);
	assert_int_equal(s.res.count[CS_COV_MEMBERS], 0);
	assert_int_equal(s.res.incomplete, 1);
	sweep_free(&s);
}

/* An encrypted member is reported as not scanned; its clear neighbour is. */
static void test_encrypted(void **state)
{
	struct sweep s;
	struct member m[1] = {{"secret.bin", MARKER, sizeof(MARKER) - 1}};
	struct member c[1] = {{"clear.bin", MARKER, sizeof(MARKER) - 1}};
	void *zip;
	size_t len;

	(void)state;
	sweep_init(&s);
	intel_add(&s, "yara", "marker.yar", yara_rule);
	zip = make_archive("zip", NULL, m, 1, "infected", &len);
	free(put(s.root, "enc.zip", zip, len));
	free(zip);
	zip = make_archive("zip", NULL, c, 1, NULL, &len);
	free(put(s.root, "clear.zip", zip, len));
	free(zip);
	run(&s, NULL);
	assert_string_equal(findings(&s), "yara clear.zip!/clear.bin Benign_Marker\n");
	assert_int_equal(s.res.count[CS_COV_ARCHIVE_ENCRYPTED], 1);
	assert_int_equal(s.res.count[CS_COV_MEMBERS], 1);
	assert_int_equal(s.res.incomplete, 1);
	sweep_free(&s);
}

/* A tgz cut in half: what comes before the cut is scanned, the archive is
 * reported, and the next file is swept. */
static void test_truncated_archive(void **state)
{
	struct sweep s;
	char *big = malloc(1 << 20);
	struct member m[2] = {{"first.txt", MARKER, sizeof(MARKER) - 1}, {"big.bin", big, 1 << 20}};
	void *tgz;
	size_t len, i;

	(void)state;
	assert_non_null(big);
	for (i = 0; i < (1u << 20); i++)
		big[i] = (char)(rand() & 0xff); /* incompressible */
	sweep_init(&s);
	intel_add(&s, "yara", "marker.yar", yara_rule);
	tgz = make_archive("ustar", "gzip", m, 2, NULL, &len);
	free(put(s.root, "cut.tgz", tgz, len / 2));
	put_s(s.root, "z-after.txt", MARKER);
	free(tgz);
	free(big);
	run(&s, NULL);
	assert_string_equal(findings(&s), "yara cut.tgz!/first.txt Benign_Marker\n"
	                                  "yara z-after.txt Benign_Marker\n");
	assert_int_equal(s.res.count[CS_COV_ARCHIVE_CORRUPT], 1);
	assert_int_equal(s.res.count[CS_COV_SCANNED], 2);
	sweep_free(&s);
}

/* An archive nested deeper than the cap is reported, not opened. */
static void test_depth_cap(void **state)
{
	struct sweep s;
	struct member m[1] = {{"m.txt", MARKER, sizeof(MARKER) - 1}};
	struct member w[1];
	void *a, *b;
	size_t la, lb;
	struct cs_scan_opts o;

	(void)state;
	sweep_init(&s);
	intel_add(&s, "yara", "marker.yar", yara_rule);
	a = make_archive("zip", NULL, m, 1, NULL, &la);
	w[0] = (struct member){"in.zip", a, la};
	b = make_archive("zip", NULL, w, 1, NULL, &lb);
	free(put(s.root, "out.zip", b, lb));
	free(a);
	free(b);
	cs_scan_opts_init(&o);
	o.archive_depth = 1;
	run(&s, &o);
	assert_string_equal(findings(&s), "");
	assert_int_equal(s.res.count[CS_COV_ARCHIVE_DEPTH], 1);
	assert_int_equal(s.res.count[CS_COV_MEMBERS], 1);
	assert_int_equal(s.res.incomplete, 1);
	/* One level more reaches the marker. */
	while (s.n)
		free(s.lines[--s.n]);
	o.archive_depth = 2;
	run(&s, &o);
	assert_string_equal(findings(&s), "yara out.zip!/in.zip!/m.txt Benign_Marker\n");
	assert_int_equal(s.res.count[CS_COV_ARCHIVE_DEPTH], 0);
	sweep_free(&s);
}

/* Unreadable files and folders are counted and make the sweep incomplete;
 * when the tests run as root, the sweep runs in a child as "nobody". */
static void test_denied(void **state)
{
	struct sweep s;
	pid_t pid;
	int st, fds[2];
	char *p;
	uint64_t got[3];

	(void)state;
	sweep_init(&s);
	intel_add(&s, "yara", "marker.yar", yara_rule);
	p = put(s.root, "locked.txt", MARKER, sizeof(MARKER) - 1);
	assert_int_equal(chmod(p, 0), 0);
	free(p);
	put_s(s.root, "open/readable.txt", MARKER);
	p = put(s.root, "closed/inside.txt", MARKER, sizeof(MARKER) - 1);
	free(p);
	assert_true(asprintf(&p, "%s/closed", s.root) > 0);
	assert_int_equal(chmod(p, 0), 0);
	free(p);
	chmod(s.root, 0755);
	compile(&s);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct cs_scan_opts o;
		const char *roots[1] = {s.root};
		struct cs_scan_result r;

		close(fds[0]);
		if (geteuid() == 0 && (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		                       setresuid(65534, 65534, 65534)))
			_exit(3);
		cs_scan_opts_init(&o);
		if (cs_scan_files(s.m, roots, 1, &o, &r))
			_exit(4);
		got[0] = r.count[CS_COV_DENIED];
		got[1] = r.findings;
		got[2] = (uint64_t)r.incomplete;
		if (write(fds[1], got, sizeof(got)) != (ssize_t)sizeof(got))
			_exit(5);
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], got, sizeof(got)), (ssize_t)sizeof(got));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(got[0], 2); /* locked.txt and closed/ */
	assert_int_equal(got[1], 1); /* open/readable.txt */
	assert_int_equal(got[2], 1);
	assert_true(asprintf(&p, "%s/closed", s.root) > 0);
	chmod(p, 0755);
	free(p);
	sweep_free(&s);
}

struct trunc_arg {
	const char *path;
};

static void *truncate_soon(void *p)
{
	struct trunc_arg *a = p;
	struct timespec ts = {0, 200 * 1000 * 1000};

	nanosleep(&ts, NULL);
	if (truncate(a->path, 4096) != 0)
		abort();
	return NULL;
}

/* A file cut while it is read (the read is slowed by --max-rate). */
static void test_truncated_while_read(void **state)
{
	struct sweep s;
	const size_t size = 64u << 20;
	char *data = calloc(1, size), *path;
	struct cs_scan_opts o;
	struct trunc_arg ta;
	pthread_t th;

	(void)state;
	assert_non_null(data);
	sweep_init(&s);
	intel_add(&s, "yara", "marker.yar", yara_rule);
	memcpy(data, MARKER, sizeof(MARKER) - 1);
	path = put(s.root, "growing.log", data, size);
	free(data);
	cs_scan_opts_init(&o);
	o.max_rate = 32; /* MB/s: two seconds for the file */
	o.keep_cache = 1;
	ta.path = path;
	/* Compiled first: under a sanitizer on a loaded machine the compile
	 * alone can outlast the 200 ms before the cut. */
	compile(&s);
	assert_int_equal(pthread_create(&th, NULL, truncate_soon, &ta), 0);
	run(&s, &o);
	pthread_join(th, NULL);
	assert_int_equal(s.res.count[CS_COV_CHANGED], 1);
	assert_int_equal(s.res.count[CS_COV_SCANNED], 0);
	assert_int_equal(s.res.incomplete, 1);
	/* What was read is still matched, and marked partial. */
	assert_string_equal(findings(&s), "yara growing.log Benign_Marker\n");
	free(path);
	sweep_free(&s);
}

/* A regex Hyperscan cannot compile is reported and left out; the rest of
 * the matcher works. */
static void test_bad_regex(void **state)
{
	struct sweep s;
	struct cs_matcher_info mi;

	(void)state;
	sweep_init(&s);
	intel_add(&s, "loki-filename", "f.txt", "(ab)\\1x;60\n\\\\Temp\\\\x\\.exe;60\n");
	compile(&s);
	cs_matcher_info(s.m, &mi);
	assert_int_equal(mi.regexes, 1);
	assert_int_equal(mi.regexes_bad, 1);
	assert_true(cs_test_diags_have(&s.d, "regex-unsupported"));
	put_s(s.root, "Temp/x.exe", "x");
	run(&s, NULL);
	assert_string_equal(findings(&s), "path-regex Temp/x.exe Temp/x.exe\n");
	sweep_free(&s);
}

/* A '$' inside a Loki regex ends the text, as in Python: a regex that can
 * then never match is a note, not a gap; in one with other branches only
 * that branch is dead, and the others still match (signature-base's
 * filename-iocs.txt has one of each). */
static void test_regex_inner_anchor(void **state)
{
	struct sweep s;
	struct cs_matcher_info mi;

	(void)state;
	sweep_init(&s);
	intel_add(&s, "loki-filename", "f.txt",
	          "[Cc]:\\\\$Recycle\\.Bin\\\\x\\.exe;60\n"
	          "(\\\\Temp\\\\|$env:temp)[a-z]+\\.exe$;60\n"
	          "[$]lit\\$x[$]\\.dll$;60\n");
	compile(&s);
	cs_matcher_info(s.m, &mi);
	assert_int_equal(mi.regexes_bad, 0);
	assert_false(cs_test_diags_have(&s.d, "regex-unsupported"));
	assert_true(cs_test_diags_have(&s.d, "can never match"));
	assert_true(cs_test_diags_have(&s.d, "that part can never match"));
	put_s(s.root, "Temp/up.exe", "x");
	put_s(s.root, "$lit$x$.dll", "x");
	put_s(s.root, "$env:tempup.exe", "x");
	run(&s, NULL);
	assert_string_equal(findings(&s), "path-regex $lit$x$.dll $lit$x$.dll\n"
	                                  "path-regex Temp/up.exe Temp/up.exe\n");
	sweep_free(&s);
}

/* ---- the compiled-rules cache ---- */

/* The path of the one cache entry of `kind` in dir (static), or NULL. */
static const char *cache_entry(const char *dir, const char *kind)
{
	static char path[4096];
	char cmd[4200];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "ls -t '%s' | grep '^%s-' | head -n 1", dir, kind);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = strlen(dir);
	memcpy(path, dir, n);
	path[n++] = '/';
	if (!fgets(path + n, (int)(sizeof(path) - n), p)) {
		pclose(p);
		return NULL;
	}
	pclose(p);
	path[strcspn(path, "\n")] = '\0';
	return path;
}

static size_t cache_count(const char *dir, const char *kind)
{
	char cmd[4200];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls '%s' | grep -c '^%s-'", dir, kind);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return (size_t)n;
}

/* Build the matcher with the cache, sweep, and check what the cache did
 * and that the findings are the same whatever it did. */
/* Forget the matcher and the findings; build the matcher again with `o`. */
static void rematch(struct sweep *s, const struct cs_matcher_opts *o)
{
	size_t i;

	cs_matcher_free(s->m);
	s->m = NULL;
	for (i = 0; i < s->n; i++)
		free(s->lines[i]);
	s->n = 0;
	assert_int_equal(cs_matcher_new_opts(s->in, o, cs_test_diag_cb, &s->d, &s->m), CS_OK);
}

static void cached_sweep(struct sweep *s, const char *dir, int yara_state, int regex_state)
{
	struct cs_matcher_opts o;
	struct cs_matcher_info mi;

	cs_matcher_opts_init(&o);
	o.cache_dir = dir;
	rematch(s, &o);
	cs_matcher_info(s->m, &mi);
	assert_int_equal(mi.yara_cache, yara_state);
	assert_int_equal(mi.regex_cache, regex_state);
	assert_int_equal(mi.yara_rules, 2);
	assert_int_equal(mi.yara_sources, 1);
	assert_int_equal(mi.regexes, 1);
	run(s, NULL);
	assert_string_equal(findings(s), "path-regex Temp/x.exe Temp/x.exe\n"
	                                 "yara Temp/x.exe Benign_Marker\n");
}

/* Flip one byte of a file at `off` from its end. */
static void flip(const char *path, off_t off)
{
	int fd = open(path, O_RDWR);
	unsigned char c;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, lseek(fd, 0, SEEK_END) - off), 1);
	c ^= 0x5a;
	assert_int_equal(pwrite(fd, &c, 1, lseek(fd, 0, SEEK_END) - off), 1);
	close(fd);
}

/*
 * Compiled YARA rules and regex databases are kept and reused when the
 * rules are the same; other rules are another entry; an entry that fails
 * its checks (flipped byte, cut short, another's or writable by others)
 * is never loaded: it is compiled again, and the findings never change.
 */
static void test_matcher_cache(void **state)
{
	struct sweep s;
	char *tmp = cs_test_tmpdir(), *dir, digest[65];
	const char *e;
	struct stat st;

	(void)state;
	assert_true(asprintf(&dir, "%s/cache/chainsweep", tmp) > 0);
	sweep_init(&s);
	intel_add(&s, "yara", "marker.yar", yara_rule);
	intel_add(&s, "loki-filename", "f.txt", "\\\\Temp\\\\x\\.exe;60\n");
	cs_intel_finalize(s.in);
	put_s(s.root, "Temp/x.exe", "aa " MARKER " bb");
	put_s(s.root, "decoy.txt", "XTRADER-BENIGN-TEST-MARKER-7f3b");

	/* Cold: compiled and stored, the folders created private. */
	cached_sweep(&s, dir, CS_CACHE_STORED, CS_CACHE_STORED);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(cache_count(dir, "yara"), 1);
	assert_int_equal(cache_count(dir, "hs-path"), 1);
	snprintf(digest, sizeof(digest), "%s", cs_matcher_yara_digest(s.m));
	/* Warm: loaded, same ruleset name (the inventory relies on it). */
	cached_sweep(&s, dir, CS_CACHE_HIT, CS_CACHE_HIT);
	assert_string_equal(cs_matcher_yara_digest(s.m), digest);
	assert_false(cs_test_diags_have(&s.d, "cache-corrupt"));

	/* A flipped byte in the compiled rules: detected, deleted, rebuilt. */
	e = cache_entry(dir, "yara");
	assert_non_null(e);
	flip(e, 100);
	cached_sweep(&s, dir, CS_CACHE_REBUILT, CS_CACHE_HIT);
	assert_true(cs_test_diags_have(&s.d, "cache-corrupt"));
	cached_sweep(&s, dir, CS_CACHE_HIT, CS_CACHE_HIT);
	/* Cut short, and a flipped byte in the header's key. */
	e = cache_entry(dir, "yara");
	assert_int_equal(truncate(e, 200), 0);
	cached_sweep(&s, dir, CS_CACHE_REBUILT, CS_CACHE_HIT);
	e = cache_entry(dir, "hs-path");
	assert_non_null(e);
	{
		int fd = open(e, O_RDWR);
		unsigned char c;

		assert_true(fd >= 0);
		assert_int_equal(pread(fd, &c, 1, 20), 1);
		c ^= 1;
		assert_int_equal(pwrite(fd, &c, 1, 20), 1);
		close(fd);
	}
	cached_sweep(&s, dir, CS_CACHE_HIT, CS_CACHE_REBUILT);
	/* An entry others may write is not read (and is replaced). */
	e = cache_entry(dir, "yara");
	assert_int_equal(chmod(e, 0666), 0);
	cached_sweep(&s, dir, CS_CACHE_STORED, CS_CACHE_HIT);
	assert_int_equal(stat(cache_entry(dir, "yara"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* A folder others may write is not used at all. */
	assert_int_equal(chmod(dir, 0777), 0);
	cached_sweep(&s, dir, CS_CACHE_FAILED, CS_CACHE_FAILED);
	assert_int_equal(chmod(dir, 0700), 0);
	cached_sweep(&s, dir, CS_CACHE_HIT, CS_CACHE_HIT);
	sweep_free(&s);

	/* Other rules (one string changed): another entry, never the old. */
	sweep_init(&s);
	{
		char other[sizeof(yara_rule) + 8];
		char *p;

		snprintf(other, sizeof(other), "%s", yara_rule);
		p = strstr(other, "condition: $t at");
		assert_non_null(p);
		memcpy(p + 11, "#t ==", 5);
		memmove(p + 16, p + 16 + 12, strlen(p + 16 + 12) + 1); /* "$t at filesize - 36" -> "#t == 0" */
		intel_add(&s, "yara", "marker.yar", other);
	}
	intel_add(&s, "loki-filename", "f.txt", "\\\\Temp\\\\x\\.exe;60\n");
	cs_intel_finalize(s.in);
	put_s(s.root, "Temp/x.exe", "aa " MARKER " bb");
	cached_sweep(&s, dir, CS_CACHE_STORED, CS_CACHE_HIT);
	assert_int_equal(cache_count(dir, "yara"), 2);
	assert_string_not_equal(cs_matcher_yara_digest(s.m), digest);
	sweep_free(&s);
	cs_test_rmtree(tmp);
	free(tmp);
	free(dir);
}

/* ---- compound indicators ---- */

/* A STIX bundle of one indicator per pattern (JSON-escaped by the
 * caller), imported into the sweep's intel. */
static void intel_stix(struct sweep *s, const char *const *patterns, size_t n)
{
	char *buf = NULL, *p;
	size_t i, len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fputs("{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":[", f);
	for (i = 0; i < n; i++)
		fprintf(f,
		        "%s{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--%zu\","
		        "\"created\":\"2023-01-01T00:00:00Z\",\"modified\":\"2023-01-01T00:00:00Z\","
		        "\"valid_from\":\"2023-01-01T00:00:00Z\",\"pattern_type\":\"stix\","
		        "\"pattern\":\"%s\"}",
		        i ? "," : "", i, patterns[i]);
	fputs("]}", f);
	fclose(f);
	p = buf;
	{
		struct cs_import_stats st;

		memset(&st, 0, sizeof(st));
		assert_int_equal(cs_intel_set_format(s->in, "stix"), CS_OK);
		assert_int_equal(cs_intel_import_mem(s->in, "c.json", p, strlen(p), &st), CS_OK);
		assert_int_equal(st.rejected, 0);
	}
	free(buf);
}

/* The findings with the compound's text cut to its first 40 bytes; a
 * compound of several observations is reported on whichever file
 * completed it, which depends on the order of the walk: those lines come
 * last, as "compound * all N observations held in this sweep". */
static const char *short_findings(struct sweep *s)
{
	static char out[65536], tail[4096];
	const char *f = findings(s), *nl;
	size_t o = 0, t = 0;

	out[0] = tail[0] = '\0';
	for (; *f; f = nl + 1) {
		const char *sp = strchr(f, ' '), *sp2, *semi;

		nl = strchr(f, '\n');
		sp2 = sp ? strchr(sp + 1, ' ') : NULL;
		if (!sp2 || sp2 > nl)
			sp2 = nl;
		if (sp2 < nl && strncmp(sp2 + 1, "all ", 4) == 0) {
			semi = memchr(sp2, ';', (size_t)(nl - sp2));
			t += (size_t)snprintf(tail + t, sizeof(tail) - t, "%.*s * %.*s\n",
			                      (int)(sp - f), f,
			                      (int)((semi ? semi : nl) - sp2 - 1), sp2 + 1);
			continue;
		}
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%.*s %.*s\n", (int)(sp2 - f), f,
		                      (int)(nl - sp2 - 1 < 40 ? nl - sp2 - 1 : 40), sp2 + 1);
	}
	snprintf(out + o, sizeof(out) - o, "%s", tail);
	return out;
}

/*
 * STIX compound file indicators: every term of an observation must hold
 * for the same file (hash, name, name regex, size, name inequality);
 * near misses (hash right, name wrong; name right, size wrong) find
 * nothing; a compound of two observations is reported once both held, on
 * different files; one with a term no file decides is left out whole,
 * reported and counted — never matched on its other terms.
 */
static void test_compound(void **state)
{
	struct sweep s;
	struct cs_matcher_info mi;
	struct member zm[1] = {{"pkg/y.exe", "payload-A", 9}};
	char ha[65], pat[4][400], md5[33];
	unsigned char md[16];
	unsigned int mdlen = 0;
	int i;
	const char *pats[7];
	void *zip;
	size_t zlen;

	(void)state;
	sweep_init(&s);
	cs_test_sha256_hex("payload-A", 9, ha);
	snprintf(pat[0], sizeof(pat[0]),
	         "[file:hashes.'SHA-256' = '%s' AND file:name = 'y.exe']", ha);
	pats[0] = pat[0];
	pats[1] = "[file:name = 'cfg.bin' AND file:size = 5]";
	pats[2] = "[file:name MATCHES '^lib.*\\\\\\\\.so$' AND file:size > 10 AND "
	          "file:name NOT = 'libok.so']";
	/* md5("first-half") and a name: two observations, two files. */
	assert_int_equal(EVP_Digest("first-half", 10, md, &mdlen, EVP_md5(), NULL), 1);
	for (i = 0; i < 16; i++)
		sprintf(md5 + 2 * i, "%02x", md[i]);
	snprintf(pat[2], sizeof(pat[2]),
	         "[file:hashes.MD5 = '%s'] AND [file:name = 'second.txt']", md5);
	pats[3] = pat[2];
	snprintf(pat[1], sizeof(pat[1]),
	         "[file:hashes.'SHA-256' = '%s' AND file:parent_directory_ref.path = 'C:\\\\\\\\x']",
	         ha);
	pats[4] = pat[1];
	pats[5] = "[domain-name:value = 'a.example' AND ipv4-addr:value = '192.0.2.1']";
	pats[6] = "[file:hashes.MD5 = 'ffffffffffffffffffffffffffffffff'] AND "
	          "[file:name = 'never-there.txt']";
	intel_stix(&s, pats, 7);
	assert_int_equal(cs_test_count_kind(s.in, CS_KIND_COMPOUND), 7);
	/* Hits. */
	put_s(s.root, "a/y.exe", "payload-A");
	put_s(s.root, "cfg.bin", "12345");
	put_s(s.root, "libevil.so", "0123456789abc");
	put_s(s.root, "f/first.txt", "first-half");
	put_s(s.root, "g/second.txt", "anything");
	/* Near misses. */
	put_s(s.root, "b/z.exe", "payload-A");    /* hash right, name wrong */
	put_s(s.root, "c/y.exe", "payload-B");    /* name right, hash wrong */
	put_s(s.root, "d/cfg.bin", "123456");     /* name right, size wrong */
	put_s(s.root, "libok.so", "0123456789abc"); /* the excluded name */
	put_s(s.root, "libtiny.so", "0123");      /* regex right, too small */
	put_s(s.root, "Y.EXE.bak", "payload-A");  /* not the name */
	/* In an archive: the member is a file like any other. */
	zip = make_archive("zip", NULL, zm, 1, NULL, &zlen);
	free(put(s.root, "e/pkg.zip", zip, zlen));
	free(zip);
	compile(&s);
	cs_matcher_info(s.m, &mi);
	assert_int_equal(mi.compounds, 5);
	assert_int_equal(mi.compounds_bad, 1);
	assert_true(cs_test_diags_have(&s.d, "compound-unsupported"));
	assert_true(cs_test_diags_have(&s.d, "file:parent_directory_ref.path"));
	/* The compounds' hash kinds are computed even with no plain hash. */
	assert_int_equal(cs_matcher_hashes(s.m), CS_HASH_SHA256 | CS_HASH_MD5);
	run(&s, NULL);
	assert_string_equal(short_findings(&s),
	                    "compound a/y.exe [file:hashes.'SHA-256' = '9162a3aec1bc08\n"
	                    "compound cfg.bin [file:name = 'cfg.bin' AND file:size = 5\n"
	                    "compound e/pkg.zip!/pkg/y.exe [file:hashes.'SHA-256' = '9162a3aec1bc08\n"
	                    "compound libevil.so [file:name MATCHES '^lib.*\\\\.so$' AND fi\n"
	                    "compound * all 2 observations held in this sweep\n");
	assert_true(strstr(findings(&s), "compound f/first.txt ") ||
	            strstr(findings(&s), "compound g/second.txt "));
	assert_int_equal(s.res.findings, 5);
	sweep_free(&s);

	/* One observation of two held: nothing. */
	sweep_init(&s);
	pats[0] = pat[2];
	intel_stix(&s, pats, 1);
	put_s(s.root, "second.txt", "x");
	put_s(s.root, "first.txt", "first-half-not");
	run(&s, NULL);
	assert_string_equal(findings(&s), "");
	sweep_free(&s);
}

/* cs_scan_mem: an archive held in memory, and garbage that looks like one. */
/* ---- YARA ruleset variants ---- */

/*
 * Rules with gates (docs/yara-variants.md) and rules that must stay:
 * one named by another rule, a global rule, rules with a top-level "or".
 * Thirty filler rules of each kind make variants worth building.
 */
static char *variant_rules(void)
{
	struct cs_buf b;
	int i;

	cs__buf_init(&b, 0);
	for (i = 0; i < 30; i++)
		assert_int_equal(cs__buf_printf(&b,
		                                "rule Mz_Filler_%d { strings: $a = \"MZFILL-%d\" "
		                                "condition: uint16(0) == 0x5a4d and $a }\n"
		                                "rule Small_Filler_%d { strings: $a = \"SMFILL-%d\" "
		                                "condition: $a and filesize < 200 }\n",
		                                i, i, i, i),
		                 CS_OK);
	assert_int_equal(
	        cs__buf_adds(&b,
	                     "rule Mz_Marker { strings: $m = \"" MARKER "\" "
	                     "condition: uint16(0) == 0x5A4D and $m }\n"
	                     "rule Small_Marker { strings: $m = \"" MARKER "\" "
	                     "condition: ($m and filesize <= 199) }\n"
	                     "rule Either_Header { strings: $m = \"" MARKER "\" condition: "
	                     "(uint16(0) == 0x5a4d or uint32(0) == 0x464c457f) and $m }\n"
	                     "private rule Elf_Ref { strings: $m = \"" MARKER "\" "
	                     "condition: uint32(0) == 0x464c457f and $m }\n"
	                     "rule Uses_Ref { condition: Elf_Ref }\n"
	                     "rule Or_Marker { strings: $m = \"" MARKER "\" "
	                     "condition: uint16(0) == 0x5a4d or $m }\n"),
	        CS_OK);
	return cs__buf_detach(&b);
}

static void variant_sweep(struct sweep *s, const char *cache, int off, struct cs_matcher_info *mi)
{
	struct cs_matcher_opts o;
	struct cs_scan_opts so;

	cs_matcher_opts_init(&o);
	o.cache_dir = cache;
	o.no_yara_variants = off;
	o.yara_variant_bytes = 1; /* a variant for every class from its first file */
	rematch(s, &o);
	cs_scan_opts_init(&so);
	so.threads = 1; /* one builder never finds another at work: counts are exact */
	run(s, &so);
	cs_matcher_info(s->m, mi);
}

/*
 * The same findings with a variant for every class of file (cold, then
 * from the cache) and with none; the files sit on both sides of each
 * gate: an MZ and an ELF header, none, a 1-byte file (the header read is
 * undefined), sizes under and over the bound.
 */
static void test_yara_variants(void **state)
{
	static const char expect[] =
	        "yara elf.bin Either_Header\n"
	        "yara elf.bin Or_Marker\n"
	        "yara elf.bin Small_Marker\n"
	        "yara elf.bin Uses_Ref\n"
	        "yara mz-big.exe Either_Header\n"
	        "yara mz-big.exe Inner\n"
	        "yara mz-big.exe Mz_Marker\n"
	        "yara mz-big.exe Only_Mz\n"
	        "yara mz-big.exe Or_Marker\n"
	        "yara mz.exe Either_Header\n"
	        "yara mz.exe Inner\n"
	        "yara mz.exe Mz_Marker\n"
	        "yara mz.exe Only_Mz\n"
	        "yara mz.exe Or_Marker\n"
	        "yara mz.exe Small_Marker\n"
	        "yara text-199.txt Or_Marker\n"
	        "yara text-199.txt Small_Marker\n"
	        "yara text-200.txt Or_Marker\n";
	struct cs_matcher_info mi;
	struct sweep s;
	char *tmp = cs_test_tmpdir(), *cache, *rules = variant_rules(), pad[400];
	int pass;

	(void)state;
	assert_true(asprintf(&cache, "%s/cache", tmp) > 0);
	sweep_init(&s);
	intel_add(&s, "yara", "gated.yar", rules);
	/* A false global rule makes its whole file false: it is never left out. */
	intel_add(&s, "yara", "global.yar",
	          "global rule Only_Mz { condition: uint16(0) == 0x5a4d }\n"
	          "rule Inner { strings: $m = \"" MARKER "\" condition: $m }\n");
	cs_intel_finalize(s.in);
	put_s(s.root, "mz.exe", "MZ\x90" MARKER);
	memset(pad, '.', sizeof(pad));
	memcpy(pad, "MZ", 2);
	memcpy(pad + 10, MARKER, strlen(MARKER));
	free(put(s.root, "mz-big.exe", pad, 300));
	put_s(s.root, "elf.bin", "\x7f" "ELF" MARKER);
	memset(pad, ' ', sizeof(pad));
	memcpy(pad, MARKER, strlen(MARKER));
	free(put(s.root, "text-199.txt", pad, 199));
	free(put(s.root, "text-200.txt", pad, 200));
	put_s(s.root, "one", "M");

	variant_sweep(&s, NULL, 1, &mi);
	assert_string_equal(findings(&s), expect);
	assert_int_equal(mi.yara_files_split, 0);
	for (pass = 0; pass < 3; pass++) {
		/* 0: no cache; 1: compiled and cached; 2: loaded from the cache */
		variant_sweep(&s, pass ? cache : NULL, 0, &mi);
		assert_string_equal(findings(&s), expect);
		/* 63: the fillers, Mz_Marker, Small_Marker, Either_Header; not Elf_Ref
		 * (named by Uses_Ref), Only_Mz (global), Or_Marker, Inner, Uses_Ref. */
		assert_int_equal(mi.yara_gated, 63);
		assert_int_equal(mi.yara_variants_failed, 0);
		assert_true(mi.yara_variants >= 2);
		assert_true(mi.yara_files_split >= 4);
	}
	assert_true(cache_count(cache, "yvar") >= 2);
	free(rules);
	free(cache);
	cs_test_rmtree(tmp);
	free(tmp);
	sweep_free(&s);
}

static void test_scan_mem(void **state)
{
	struct sweep s;
	struct member m[1] = {{"x/y.txt", MARKER, sizeof(MARKER) - 1}};
	struct cs_scan_opts o;
	void *zip;
	size_t len;

	(void)state;
	sweep_init(&s);
	intel_add(&s, "yara", "marker.yar", yara_rule);
	compile(&s);
	zip = make_archive("zip", NULL, m, 1, NULL, &len);
	cs_scan_opts_init(&o);
	o.on_finding = on_finding;
	o.userdata = &s;
	assert_int_equal(cs_scan_mem(s.m, "mem.zip", zip, len, &o, &s.res), CS_OK);
	assert_string_equal(findings(&s), "yara mem.zip!/x/y.txt Benign_Marker\n");
	assert_int_equal(s.res.count[CS_COV_MEMBERS], 1);
	/* Cut: a corrupt archive, reported, no crash. */
	memset(&s.res, 0, sizeof(s.res));
	assert_int_equal(cs_scan_mem(s.m, "cut.zip", zip, 30, &o, &s.res), CS_OK);
	assert_int_equal(s.res.count[CS_COV_MEMBERS], 0);
	free(zip);
	sweep_free(&s);
}

/* An LZMA stream whose header asks for a dictionary past the cap is not
 * decompressed (the decoder would allocate it whole, whatever the
 * stream's size): an archive-bomb gap, the raw bytes still scanned. A
 * stream within the cap, and bytes appended after a stream, are read. */
static void test_lzma_dictionary(void **state)
{
	struct sweep s;
	struct cs_scan_opts o;
	/* lzma-alone: props 0x5d, a 1 GiB dictionary, size unknown. */
	unsigned char alone[64] = {0x5d, 0x00, 0x00, 0x00, 0x40, 0xff, 0xff,
	                           0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	/* xz: stream header, then a block header naming LZMA2 with the
	 * largest dictionary (props byte 40). */
	unsigned char xz[64] = {0xfd, '7',  'z',  'X',  'Z',  0x00, 0x00, 0x01, 0x69, 0x22,
	                        0xde, 0x36, 0x02, 0x00, 0x21, 0x01, 40,   0x00, 0x00, 0x00};

	(void)state;
	sweep_init(&s);
	intel_add(&s, "yara", "marker.yar", yara_rule);
	compile(&s);
	cs_scan_opts_init(&o);
	o.on_finding = on_finding;
	o.userdata = &s;
	memcpy(alone + 20, MARKER, sizeof(MARKER) - 1 < 40 ? sizeof(MARKER) - 1 : 40);
	assert_int_equal(cs_scan_mem(s.m, "big.lzma", alone, sizeof(alone), &o, &s.res), CS_OK);
	assert_int_equal(s.res.count[CS_COV_ARCHIVE_BOMB], 1);
	assert_int_equal(s.res.count[CS_COV_MEMBERS], 0);
	assert_string_equal(findings(&s), "yara big.lzma Benign_Marker\n");
	memset(&s.res, 0, sizeof(s.res));
	assert_int_equal(cs_scan_mem(s.m, "big.xz", xz, sizeof(xz), &o, &s.res), CS_OK);
	assert_int_equal(s.res.count[CS_COV_ARCHIVE_BOMB], 1);
	sweep_free(&s);
}

/* --include, --exclude (folders too) and --max-size. */
static void test_selection(void **state)
{
	struct sweep s;
	struct cs_scan_opts o;
	const char *inc[1] = {"*.txt"}, *exc[2] = {"skip", "*/logs/old-*"};

	(void)state;
	sweep_init(&s);
	intel_add(&s, "yara", "marker.yar", yara_rule);
	put_s(s.root, "a.txt", MARKER);
	put_s(s.root, "b.bin", MARKER);
	put_s(s.root, "skip/c.txt", MARKER);
	put_s(s.root, "logs/old-d.txt", MARKER);
	put_s(s.root, "logs/new-e.txt", MARKER "                                        ");
	cs_scan_opts_init(&o);
	o.include = inc;
	o.ninclude = 1;
	o.exclude = exc;
	o.nexclude = 2;
	o.max_size = sizeof(MARKER) + 8;
	run(&s, &o);
	assert_string_equal(findings(&s), "yara a.txt Benign_Marker\n");
	assert_int_equal(s.res.count[CS_COV_SKIP_EXCLUDED], 3);  /* b.bin, skip/, old-d */
	assert_int_equal(s.res.count[CS_COV_SKIP_TOO_LARGE], 1); /* new-e */
	assert_int_equal(s.res.count[CS_COV_FILES], 4);
	assert_int_equal(s.res.incomplete, 0);
	sweep_free(&s);
}

/* --max-runtime: a sweep stopped by its time limit says it is incomplete. */
static void test_time_limit(void **state)
{
	struct sweep s;
	struct cs_scan_opts o;
	char *data = calloc(1, 8u << 20);
	int i;

	(void)state;
	assert_non_null(data);
	sweep_init(&s);
	intel_add(&s, "yara", "marker.yar", yara_rule);
	for (i = 0; i < 4; i++) {
		char name[32];

		snprintf(name, sizeof(name), "f%d.bin", i);
		free(put(s.root, name, data, 8u << 20));
	}
	free(data);
	cs_scan_opts_init(&o);
	o.max_rate = 16;     /* MB/s: two seconds for all */
	o.max_runtime = 0.3; /* seconds */
	o.keep_cache = 1;
	run(&s, &o);
	assert_true(s.res.count[CS_COV_TIME_LIMIT] >= 1);
	assert_true(s.res.count[CS_COV_SCANNED] < 4);
	assert_int_equal(s.res.incomplete, 1);
	sweep_free(&s);
}

/* The caller's interrupt flag (set by a signal handler) stops the sweep
 * as the time limit does, counted apart, with the files left named. */
static void test_interrupt(void **state)
{
	struct sweep s;
	struct cs_scan_opts o;
	volatile int flag = 1;

	(void)state;
	sweep_init(&s);
	intel_add(&s, "yara", "marker.yar", yara_rule);
	free(put(s.root, "a.txt", MARKER, strlen(MARKER)));
	cs_scan_opts_init(&o);
	o.interrupt = &flag;
	run(&s, &o);
	assert_true(s.res.count[CS_COV_INTERRUPTED] >= 1);
	assert_int_equal(s.res.count[CS_COV_TIME_LIMIT], 0);
	assert_int_equal(s.res.count[CS_COV_SCANNED], 0);
	assert_int_equal(s.res.incomplete, 1);
	assert_string_equal(cs_scan_reason_name(CS_COV_INTERRUPTED), "interrupted");
	assert_true(cs_scan_reason_gap(CS_COV_INTERRUPTED));
	sweep_free(&s);
	/* Not set: the same sweep runs to its end. */
	sweep_init(&s);
	intel_add(&s, "yara", "marker.yar", yara_rule);
	free(put(s.root, "a.txt", MARKER, strlen(MARKER)));
	flag = 0;
	run(&s, &o);
	assert_int_equal(s.res.count[CS_COV_INTERRUPTED], 0);
	assert_int_equal(s.res.count[CS_COV_SCANNED], 1);
	assert_int_equal(s.res.incomplete, 0);
	sweep_free(&s);
}

static int record(void *ud, const struct cs_file_record *r)
{
	return cs_inventory_add(ud, r);
}

/* The inventory: new hash intel matched without reading a file; a
 * re-sweep reads only what changed; the case database keeps it whole. */
static void test_inventory(void **state)
{
	struct sweep s, t;
	struct cs_scan_opts o;
	struct cs_inventory *inv = cs_inventory_new(), *back = cs_inventory_new();
	const struct cs_file_record *r;
	char hash[65], csv[128], *db, digest[80];
	struct cs_store *st = NULL;
	const char later[] = "a file nobody suspected yet\n";
	struct member m[1] = {{"in/later.txt", later, sizeof(later) - 1}};
	void *zip;
	size_t len, i;

	(void)state;
	assert_non_null(inv);
	assert_non_null(back);
	sweep_init(&s);
	intel_add(&s, "yara", "marker.yar", yara_rule);
	intel_add(&s, "csv", "h.csv",
	          "sha256\n"
	          "0000000000000000000000000000000000000000000000000000000000000000\n");
	put_s(s.root, "marker.txt", MARKER);
	put_s(s.root, "later.txt", later);
	put_s(s.root, "bad\xff.txt", "x");
	zip = make_archive("zip", NULL, m, 1, NULL, &len);
	free(put(s.root, "a.zip", zip, len));
	free(zip);
	cs_scan_opts_init(&o);
	o.on_file = record;
	compile(&s);
	{
		/* on_file's userdata is the options' userdata: the sweep's
		 * findings go to s; collect records with a second pass. */
		struct cs_scan_opts o2 = o;
		const char *roots[1] = {s.root};

		o2.userdata = inv;
		assert_int_equal(cs_scan_files(s.m, roots, 1, &o2, &s.res), CS_OK);
	}
	cs_inventory_seal(inv);
	assert_int_equal(cs_inventory_count(inv), 5); /* 4 files, 1 member */
	assert_int_equal(s.res.count[CS_COV_SCANNED], 4);

	/* New intel: the hash of later.txt. Nothing is read. */
	sweep_init(&t);
	cs_test_sha256_hex(later, sizeof(later) - 1, hash);
	snprintf(csv, sizeof(csv), "sha256\n%s\n", hash);
	intel_add(&t, "csv", "new.csv", csv);
	compile(&t);
	cs_scan_opts_init(&o);
	o.on_finding = on_finding;
	o.userdata = &t;
	assert_int_equal(cs_scan_inventory(t.m, inv, &o, &t.res), CS_OK);
	assert_int_equal(t.res.count[CS_COV_BYTES], 0);
	assert_int_equal(t.res.count[CS_COV_UNCHANGED], 5);
	{
		/* Paths carry s's root, which t does not strip. */
		char expect[1024];

		snprintf(expect, sizeof(expect),
		         "hash %s/a.zip!/in/later.txt sha256\nhash %s/later.txt sha256\n", s.root,
		         s.root);
		assert_string_equal(findings(&t), expect);
	}
	sweep_free(&t);

	/* Re-sweep with the inventory: unchanged files are not read, their
	 * YARA result is replayed; a changed file is read. */
	put_s(s.root, "later.txt", "changed " MARKER);
	while (s.n)
		free(s.lines[--s.n]);
	cs_scan_opts_init(&o);
	o.known = inv;
	o.known_yara_valid = 1;
	run(&s, &o);
	assert_int_equal(s.res.count[CS_COV_UNCHANGED], 3);
	assert_int_equal(s.res.count[CS_COV_SCANNED], 1);
	assert_int_equal(s.res.count[CS_COV_BYTES], strlen("changed " MARKER));
	assert_string_equal(findings(&s), "yara later.txt Benign_Marker\n"
	                                  "yara marker.txt Benign_Marker\n");

	/* Through the case database, a non-UTF-8 path included. */
	assert_true(asprintf(&db, "%s/case.db", s.root) > 0);
	assert_int_equal(cs_store_open(db, &st), CS_OK);
	assert_int_equal(cs_store_inventory_begin(st, "host-a"), CS_OK);
	for (i = 0; i < cs_inventory_count(inv); i++) {
		char p[4096];

		snprintf(p, sizeof(p), "%s/%s", s.root,
		         i == 0   ? "a.zip"
		         : i == 1 ? "a.zip!/in/later.txt"
		         : i == 2 ? "bad\xff.txt"
		         : i == 3 ? "later.txt"
		                  : "marker.txt");
		r = cs_inventory_find(inv, p);
		assert_non_null(r);
		assert_int_equal(cs_store_inventory_put(st, r), CS_OK);
	}
	assert_int_equal(cs_store_inventory_end(st, 1, "digest-1"), CS_OK);
	assert_int_equal(cs_store_inventory_load(st, "host-a", back, digest, sizeof(digest)),
	                 CS_OK);
	assert_string_equal(digest, "digest-1");
	assert_int_equal(cs_inventory_count(back), 5);
	for (i = 0; i < 5; i++) {
		const struct cs_file_record *a = cs__inventory_at(inv, i),
		                            *b = cs__inventory_at(back, i);

		assert_string_equal(a->path, b->path);
		assert_int_equal(a->size, b->size);
		assert_int_equal(a->mtime_ns, b->mtime_ns);
		assert_int_equal(a->inode, b->inode);
		assert_string_equal(a->sha256 ? a->sha256 : "-", b->sha256 ? b->sha256 : "-");
		assert_string_equal(a->yara ? a->yara : "-", b->yara ? b->yara : "-");
	}
	/* Another host has nothing. */
	cs_inventory_free(back);
	back = cs_inventory_new();
	assert_int_equal(cs_store_inventory_load(st, "host-b", back, digest, sizeof(digest)),
	                 CS_OK);
	assert_int_equal(cs_inventory_count(back), 0);
	cs_store_close(st);
	free(db);
	cs_inventory_free(inv);
	cs_inventory_free(back);
	sweep_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_tree),
	        cmocka_unit_test(test_big_file),
	        cmocka_unit_test(test_zip_bomb),
	        cmocka_unit_test(test_encrypted),
	        cmocka_unit_test(test_truncated_archive),
	        cmocka_unit_test(test_depth_cap),
	        cmocka_unit_test(test_denied),
	        cmocka_unit_test(test_truncated_while_read),
	        cmocka_unit_test(test_bad_regex),
	        cmocka_unit_test(test_regex_inner_anchor),
	        cmocka_unit_test(test_matcher_cache),
	        cmocka_unit_test(test_yara_variants),
	        cmocka_unit_test(test_compound),
	        cmocka_unit_test(test_scan_mem),
	        cmocka_unit_test(test_inventory),
	        cmocka_unit_test(test_lzma_dictionary),
	        cmocka_unit_test(test_selection),
	        cmocka_unit_test(test_time_limit),
	        cmocka_unit_test(test_interrupt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

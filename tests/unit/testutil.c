/* Helpers shared by the unit tests (see testutil.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "testutil.h"

const char *cs_test_real_world(const char *rel)
{
	static char path[PATH_MAX];
	const char *base = getenv("CS_REAL_WORLD");
	struct stat sb;

	if (!base || !*base)
		base = "../shared/real-world";
	if (stat(base, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", base, rel);
	return path;
}

const char *cs_test_data(const char *rel)
{
	static char path[PATH_MAX];
	const char *base = getenv("CS_SOURCE_DIR");

	if (!base || !*base)
		base = ".";
	snprintf(path, sizeof(path), "%s/tests/data/%s", base, rel);
	return path;
}

char *cs_test_tmpdir(void)
{
	const char *t = getenv("TMPDIR");
	char tmpl[PATH_MAX];

	snprintf(tmpl, sizeof(tmpl), "%s/cs-test-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmpl))
		return NULL;
	return strdup(tmpl);
}

void cs_test_rmtree(const char *dir)
{
	char cmd[2 * PATH_MAX + 64];

	if (!dir || strncmp(dir, "/tmp/", 5) != 0 || strstr(dir, "cs-test-") == NULL)
		return;
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", dir, dir);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", dir);
}

char *cs_test_write(const char *dir, const char *name, const void *data, size_t len)
{
	char *path = malloc(strlen(dir) + strlen(name) + 2);
	FILE *f;

	if (!path)
		return NULL;
	sprintf(path, "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f) {
		free(path);
		return NULL;
	}
	if (len && fwrite(data, 1, len, f) != len) {
		fclose(f);
		free(path);
		return NULL;
	}
	fclose(f);
	return path;
}

void cs_test_diag_cb(void *ud, const struct cs_diag *d)
{
	struct cs_test_diags *t = ud;
	size_t used = strlen(t->text);

	t->n++;
	if (d->severity == CS_SEV_ERROR)
		t->errors++;
	else if (d->severity == CS_SEV_WARN)
		t->warnings++;
	if (used + 1 < sizeof(t->text))
		snprintf(t->text + used, sizeof(t->text) - used, "%s:%llu:%llu: %s: %s\n",
		         d->file ? d->file : "-", (unsigned long long)d->line,
		         (unsigned long long)d->column, d->reason ? d->reason : "-", d->message);
}

int cs_test_diags_have(const struct cs_test_diags *d, const char *needle)
{
	return strstr(d->text, needle) != NULL;
}

size_t cs_test_count_kind(const struct cs_intel *in, enum cs_kind kind)
{
	size_t i, n = 0;

	for (i = 0; i < cs_intel_count(in); i++) {
		if (cs_indicator_kind(cs_intel_at(in, i)) == kind)
			n++;
	}
	return n;
}

int cs_test_has_label(const struct cs_intel *in, const struct cs_indicator *ind, const char *label)
{
	size_t i;

	for (i = 0; i < cs_indicator_label_count(ind); i++) {
		if (strcmp(cs_indicator_label(in, ind, i), label) == 0)
			return 1;
	}
	return 0;
}

int cs_test_env_setup(void **state)
{
	struct cs_test_env *e = calloc(1, sizeof(*e));

	if (!e)
		return -1;
	e->in = cs_intel_new();
	e->d = calloc(1, sizeof(*e->d));
	if (!e->in || !e->d) {
		cs_intel_free(e->in);
		free(e->d);
		free(e);
		return -1;
	}
	cs_intel_set_diag(e->in, cs_test_diag_cb, e->d);
	*state = e;
	return 0;
}

int cs_test_env_teardown(void **state)
{
	struct cs_test_env *e = *state;

	cs_intel_free(e->in);
	free(e->d);
	free(e);
	return 0;
}

const struct cs_indicator *cs_test_must_find(const struct cs_intel *in, enum cs_kind kind,
                                             const char *value)
{
	const struct cs_indicator *ind = cs_intel_find(in, kind, value);

	if (!ind)
		fail_msg("no %s indicator '%s'", cs_kind_name(kind), value);
	return ind;
}

int cs_test_has_source(const struct cs_intel *in, const struct cs_indicator *ind, const char *file,
                       uint64_t line, const char *format, const char *desc)
{
	size_t i, fl = strlen(file);

	for (i = 0; i < cs_indicator_source_count(ind); i++) {
		struct cs_source_info si;
		size_t l;

		cs_indicator_source(in, ind, i, &si);
		l = si.file ? strlen(si.file) : 0;
		if (l < fl || strcmp(si.file + l - fl, file) != 0 || si.line != line)
			continue;
		if (format && (!si.format || strcmp(si.format, format) != 0))
			continue;
		if (desc && (!si.description || strcmp(si.description, desc) != 0))
			continue;
		return 1;
	}
	return 0;
}

uint64_t cs_test_rejects(const struct cs_intel *in, const char *reason)
{
	size_t i;
	uint64_t n;

	for (i = 0; i < cs_intel_reject_reasons(in); i++) {
		const char *r = cs_intel_reject_reason(in, i, &n);

		if (strcmp(r, reason) == 0)
			return n;
	}
	return 0;
}

char *cs_test_slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static struct cs_test_import *import_new(const char *format)
{
	struct cs_test_import *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->in = cs_intel_new();
	f->d = calloc(1, sizeof(*f->d));
	assert_non_null(f->in);
	assert_non_null(f->d);
	cs_intel_set_diag(f->in, cs_test_diag_cb, f->d);
	assert_int_equal(cs_intel_set_format(f->in, format), CS_OK);
	return f;
}

struct cs_test_import *cs_test_import_path(const char *format, const char *path)
{
	struct cs_test_import *f = import_new(format);

	f->rc = cs_intel_import(f->in, path, &f->st);
	return f;
}

struct cs_test_import *cs_test_import_mem(const char *format, const char *data, size_t len)
{
	struct cs_test_import *f = import_new(format);

	f->rc = cs_intel_import_mem(f->in, "mem.json", data, len, &f->st);
	return f;
}

void cs_test_import_free(struct cs_test_import *f)
{
	cs_intel_free(f->in);
	free(f->d);
	free(f);
}

static int sweep_finding(void *ud, const struct cs_file_finding *f)
{
	struct cs_test_sweep *s = ud;
	size_t o = strlen(s->found);

	snprintf(s->found + o, sizeof(s->found) - o, "%s\n", f->path);
	return 0;
}

static void sweep_diag(void *ud, const struct cs_diag *d)
{
	struct cs_test_sweep *s = ud;
	size_t o = strlen(s->diags);

	snprintf(s->diags + o, sizeof(s->diags) - o, "%s: %s: %s\n", d->file ? d->file : "-",
	         d->reason ? d->reason : "-", d->message);
}

void cs_test_sweep_init(struct cs_test_sweep *s, const char *yara_rule)
{
	struct cs_import_stats st;

	memset(s, 0, sizeof(*s));
	s->in = cs_intel_new();
	assert_non_null(s->in);
	cs_intel_set_format(s->in, "yara");
	assert_int_equal(cs_intel_import_mem(s->in, "m.yar", yara_rule, strlen(yara_rule), &st),
	                 CS_OK);
	cs_intel_finalize(s->in);
	assert_int_equal(cs_matcher_new(s->in, NULL, NULL, &s->m), CS_OK);
}

void cs_test_sweep_mem(struct cs_test_sweep *s, const char *name, const void *p, size_t n)
{
	struct cs_scan_opts o;

	cs_scan_opts_init(&o);
	o.threads = 1;
	o.on_finding = sweep_finding;
	o.on_diag = sweep_diag;
	o.userdata = s;
	s->found[0] = s->diags[0] = '\0';
	memset(&s->res, 0, sizeof(s->res));
	assert_int_equal(cs_scan_mem(s->m, name, p, n, &o, &s->res), CS_OK);
}

void cs_test_sweep_free(struct cs_test_sweep *s)
{
	cs_matcher_free(s->m);
	cs_intel_free(s->in);
}

void cs_test_sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0;
	int i;

	assert_int_equal(EVP_Digest(p, n, md, &len, EVP_sha256(), NULL), 1);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

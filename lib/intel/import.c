/*
 * The import driver: walks files and folders, picks a reader by sniffing
 * (or the one the user forced), runs it and keeps the counts.
 *
 * Files are read whole: intel files are at most a few hundred megabytes,
 * and the readers that matter for speed (STIX, MISP) walk the buffer
 * without building a tree of the whole document. A reader may hand back
 * the pages of what it has finished with (cs__release_before): the
 * buffer is the driver's and nothing reads it after the reader returns.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "intel/intel_int.h"

#define CS_IMPORT_MAX_DEPTH 32
#define CS_SNIFF_BYTES ((size_t)64 << 10)

/* Readers in bidding order (ties go to the earlier one); declared in
 * intel_int.h, one read_*.c file each. */
static const struct cs_reader *const readers[] = {
	&cs__reader_stix,          &cs__reader_misp,  &cs__reader_osv,
	&cs__reader_warninglist,
	&cs__reader_loki_hash,     &cs__reader_loki_filename,
	&cs__reader_loki_c2,       &cs__reader_yara,  &cs__reader_sigma, &cs__reader_csv,
	&cs__reader_plain,
};

static const char *const format_names[] = {
	"stix", "misp", "osv", "warninglist", "loki-hash", "loki-filename", "loki-c2", "yara", "sigma", "csv",
	"plain", NULL,
};

const char *const *cs_intel_formats(void)
{
	return format_names;
}

static const struct cs_reader *reader_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < CS_ARRAY_SIZE(readers); i++) {
		if (strcmp(readers[i]->name, name) == 0)
			return readers[i];
	}
	return NULL;
}

/* The highest bid wins; ties go to the earlier reader in the table. */
static const struct cs_reader *sniff(const char *data, size_t len, const char *path)
{
	const struct cs_reader *best = NULL;
	int best_bid = 0;
	size_t i, n = len < CS_SNIFF_BYTES ? len : CS_SNIFF_BYTES;

	for (i = 0; i < CS_ARRAY_SIZE(readers); i++) {
		int bid;

		if (!readers[i]->bid)
			continue;
		bid = readers[i]->bid(data, n, path);
		if (bid > best_bid) {
			best_bid = bid;
			best = readers[i];
		}
	}
	return best;
}

static void driver_diag(struct cs_intel *in, const char *path, enum cs_severity sev,
			const char *fmt, ...) CS_PRINTF(4, 5);

static void driver_diag(struct cs_intel *in, const char *path, enum cs_severity sev,
			const char *fmt, ...)
{
	struct cs_reader_ctx ctx;
	char msg[512];
	va_list ap;

	memset(&ctx, 0, sizeof(ctx));
	ctx.intel = in;
	ctx.path = path;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cs__diag(&ctx, sev, 0, 0, "%s", msg);
}

/*
 * A reader stopped part-way after it had read something: out of memory,
 * a truncated or damaged document, a cap. The rule (docs/case-database.md):
 * what was read is kept, the file is counted in files_partial and noted
 * on the set, so that the intel version saved with it records the file as
 * read only in part; the import command then exits 2. Returns 1: the file
 * yielded something.
 */
static int partial(struct cs_intel *in, const char *path, const struct cs_reader *r, int rc,
		   const struct cs_reader_ctx *ctx, struct cs_import_stats *st)
{
	const char *why = rc == CS_ERR_NOMEM   ? "out of memory"
			  : rc == CS_ERR_PARSE ? "damaged or truncated"
			  : rc == CS_ERR_TOOBIG ? "over a size limit"
					       : cs_strerror(rc);
	char reason[160];

	snprintf(reason, sizeof(reason), "%s stopped part-way: %s", r->name, why);
	st->files_partial++;
	driver_diag(in, path, CS_SEV_ERROR,
		    "read only in part as %s (%s): what was read before the fault is kept "
		    "(%llu accepted, %llu rejected), and the file counts as partial",
		    r->name, why,
		    (unsigned long long)(ctx->accepted + ctx->warninglist_entries +
					 ctx->advisories + ctx->yara_rules),
		    (unsigned long long)ctx->rejected);
	/* Without memory for the note, the save still records a file of
	 * this version as partial from the count. */
	cs__intel_note_partial(in, path, reason);
	return 1;
}

/*
 * Run one reader over one buffer. `forced` overrides both the user's
 * --format and sniffing (used for MISP feed members). `quiet_unknown`
 * turns "no reader wants this file" from an error into a note (files met
 * while walking a folder: READMEs, licences). `owned`: the buffer is the
 * driver's own and freed right after, so the reader may hand back the
 * memory of what it has finished with (cs__release_before).
 * Returns 1 when the file yielded something usable, 0 when it did not,
 * -1 when it was skipped as not intel.
 */
static int import_one(struct cs_intel *in, const char *path, const char *data, size_t len,
		      const struct cs_reader *forced, int quiet_unknown, int owned,
		      struct cs_import_stats *st)
{
	const struct cs_reader *r = forced;
	const char *fmt = cs__intel_format(in);
	struct cs_reader_ctx ctx;
	int rc;

	if (!r && fmt)
		r = reader_by_name(fmt);
	if (!r)
		r = sniff(data, len, path);
	if (!r) {
		if (quiet_unknown) {
			driver_diag(in, path, CS_SEV_INFO, "skipped: not a recognised intel format");
			return -1;
		}
		st->files++;
		st->files_failed++;
		driver_diag(in, path, CS_SEV_ERROR,
			    "not a recognised intel format (use --format to choose a reader)");
		return 0;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.intel = in;
	ctx.reader = r;
	ctx.path = path;
	ctx.data = data;
	ctx.len = len;
	ctx.csv_column = cs__intel_csv_column(in);
	ctx.release_ok = owned;
	st->files++;
	rc = r->read(&ctx);
	st->read += ctx.accepted;
	st->rejected += ctx.rejected;
	st->yara_rules += ctx.yara_rules;
	st->warninglist_entries += ctx.warninglist_entries;
	st->advisories += ctx.advisories;
	st->sigma_rules += ctx.sigma_rules;
	if (ctx.accepted || ctx.warninglist_entries || ctx.yara_rules || ctx.advisories ||
	    ctx.sigma_rules) {
		if (rc)
			return partial(in, path, r, rc, &ctx, st);
		driver_diag(in, path, CS_SEV_INFO, "read as %s: %llu accepted, %llu rejected",
			    r->name,
			    (unsigned long long)(ctx.accepted + ctx.warninglist_entries +
						 ctx.advisories),
			    (unsigned long long)ctx.rejected);
		return 1;
	}
	if (!rc && ctx.empty_ok && !ctx.rejected) {
		driver_diag(in, path, CS_SEV_INFO, "read as %s: holds nothing to import", r->name);
		return 1;
	}
	st->files_failed++;
	driver_diag(in, path, CS_SEV_ERROR, "read as %s: nothing usable (%llu rejected)%s%s",
		    r->name, (unsigned long long)ctx.rejected, rc ? ": " : "",
		    rc ? cs_strerror(rc) : "");
	return 0;
}

int cs__import_buffer(struct cs_intel *in, const char *path, const char *data, size_t len,
		      struct cs_import_stats *st)
{
	return import_one(in, path, data, len, NULL, 0, 0, st);
}

int cs_intel_import_mem(struct cs_intel *in, const char *name, const void *data, size_t len,
			struct cs_import_stats *stats)
{
	struct cs_import_stats local;
	char *copy;
	int ok;

	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	/* Readers rely on a NUL after the data. */
	copy = cs__malloc(len + 1);
	if (!copy)
		return CS_ERR_NOMEM;
	memcpy(copy, data, len);
	copy[len] = '\0';
	ok = import_one(in, name, copy, len, NULL, 0, 1, stats);
	free(copy);
	return ok > 0 ? CS_OK : CS_ERR_EMPTY;
}

static int import_file(struct cs_intel *in, const char *path, const struct cs_reader *forced,
		       int quiet_unknown, struct cs_import_stats *st)
{
	char *data = NULL;
	size_t len = 0;
	int err_no = 0, rc, ok;

	rc = cs__read_file(path, CS_INTEL_MAX_FILE, &data, &len, &err_no);
	if (rc) {
		st->files++;
		st->files_failed++;
		if (rc == CS_ERR_TOOBIG)
			driver_diag(in, path, CS_SEV_ERROR, "file larger than %zu bytes, skipped",
				    (size_t)CS_INTEL_MAX_FILE);
		else
			driver_diag(in, path, CS_SEV_ERROR, "cannot read: %s",
				    err_no ? strerror(err_no) : cs_strerror(rc));
		return 0;
	}
	ok = import_one(in, path, data, len, forced, quiet_unknown, 1, st);
	free(data);
	cs__intel_file_done(in, len);
	return ok;
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_entry(const char *name)
{
	return strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || name[0] == '.';
}

static char *join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	char *p = cs__malloc(dl + nl + 2);

	if (!p)
		return NULL;
	memcpy(p, dir, dl);
	if (dl && dir[dl - 1] != '/')
		p[dl++] = '/';
	memcpy(p + dl, name, nl + 1);
	return p;
}

/*
 * A MISP feed folder: manifest.json maps event uuids to summaries; each
 * event is <uuid>.json beside it. Events the manifest names but that are
 * missing are reported; files the manifest does not name are ignored.
 */
static int import_feed(struct cs_intel *in, const char *dir, const char *manifest,
		       struct cs_import_stats *st)
{
	const struct cs_reader *misp = reader_by_name("misp");
	json_error_t jerr;
	json_t *root, *v;
	const char *uuid;
	int any = 0;

	root = json_load_file(manifest, JSON_REJECT_DUPLICATES, &jerr);
	if (!root || !json_is_object(root)) {
		st->files++;
		st->files_failed++;
		if (root)
			driver_diag(in, manifest, CS_SEV_ERROR, "MISP feed manifest is not an object");
		else
			driver_diag(in, manifest, CS_SEV_ERROR, "line %d, column %d: %s",
				    jerr.line, jerr.column, jerr.text);
		json_decref(root);
		return 0;
	}
	json_object_foreach(root, uuid, v) {
		char name[300];
		char *path;

		(void)v;
		if (strlen(uuid) > 200 || strchr(uuid, '/') || uuid[0] == '.') {
			driver_diag(in, manifest, CS_SEV_WARN, "skipping odd event key '%.60s'",
				    uuid);
			continue;
		}
		snprintf(name, sizeof(name), "%s.json", uuid);
		path = join(dir, name);
		if (!path)
			break;
		if (import_file(in, path, misp, 0, st) > 0)
			any = 1;
		free(path);
	}
	json_decref(root);
	return any;
}

static int import_path(struct cs_intel *in, const char *path, int depth, int top,
		       struct cs_import_stats *st);

static int import_dir(struct cs_intel *in, const char *path, int depth,
		      struct cs_import_stats *st)
{
	struct dirent **ents = NULL;
	int n, i, any = 0;
	char *manifest = join(path, "manifest.json");
	struct stat mst;

	if (!manifest)
		return 0;
	if (stat(manifest, &mst) == 0 && S_ISREG(mst.st_mode)) {
		any = import_feed(in, path, manifest, st);
		free(manifest);
		return any;
	}
	free(manifest);
	n = scandir(path, &ents, NULL, name_cmp);
	if (n < 0) {
		st->files++;
		st->files_failed++;
		driver_diag(in, path, CS_SEV_ERROR, "cannot list folder: %s", strerror(errno));
		return 0;
	}
	for (i = 0; i < n; i++) {
		char *child;

		if (!skip_entry(ents[i]->d_name) && (child = join(path, ents[i]->d_name))) {
			if (import_path(in, child, depth + 1, 0, st) > 0)
				any = 1;
			free(child);
		}
		free(ents[i]);
	}
	free(ents);
	return any;
}

/*
 * Import a file or folder. Symbolic links met inside a folder are not
 * followed (no loops, no escaping the folder); a link named by the user
 * is followed.
 */
static int import_path(struct cs_intel *in, const char *path, int depth, int top,
		       struct cs_import_stats *st)
{
	struct stat sb;

	if ((top ? stat(path, &sb) : lstat(path, &sb)) != 0) {
		st->files++;
		st->files_failed++;
		driver_diag(in, path, CS_SEV_ERROR, "cannot open: %s", strerror(errno));
		return 0;
	}
	if (S_ISLNK(sb.st_mode)) {
		driver_diag(in, path, CS_SEV_INFO, "skipped: symbolic link not followed");
		return -1;
	}
	if (S_ISDIR(sb.st_mode)) {
		if (depth >= CS_IMPORT_MAX_DEPTH) {
			driver_diag(in, path, CS_SEV_WARN, "skipped: folders nested deeper than %d",
				    CS_IMPORT_MAX_DEPTH);
			return 0;
		}
		return import_dir(in, path, depth, st);
	}
	if (!S_ISREG(sb.st_mode)) {
		driver_diag(in, path, top ? CS_SEV_ERROR : CS_SEV_INFO,
			    "skipped: not a regular file");
		if (top) {
			st->files++;
			st->files_failed++;
		}
		return 0;
	}
	return import_file(in, path, NULL, !top, st);
}

int cs_intel_import(struct cs_intel *in, const char *path, struct cs_import_stats *stats)
{
	struct cs_import_stats local;
	struct stat sb;

	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	if (stat(path, &sb) != 0) {
		cs__intel_set_errmsg(in, "%s: %s", path, strerror(errno));
		stats->files = stats->files_failed = 1;
		return CS_ERR_IO;
	}
	return import_path(in, path, 0, 1, stats) > 0 ? CS_OK : CS_ERR_EMPTY;
}

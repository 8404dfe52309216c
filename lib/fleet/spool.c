/*
 * The agent's spool of outgoing messages (docs/fleet.md, "The agent"): a
 * bounded FIFO kept as one file per message in a folder.
 *
 * A message file is named by its sequence number ("%020llu.msg") and
 * holds a header line and the bodies:
 *
 *   CSSPOOL1 <d|s> <hunt> <subject bytes> <msgid bytes> <data bytes> <crc32>\n
 *   subject msgid data
 *
 * where the CRC-32 covers the header up to the CRC and the bodies. A put
 * writes "<seq>.tmp", fsyncs it, renames it to "<seq>.msg" and fsyncs the
 * folder: a message is in the spool once put returned, and never half.
 * A pop unlinks the file; a crash before the unlink reaches the disk
 * sends the message again (at least once). Leftover .tmp files are puts
 * that never returned: open deletes them.
 *
 * Drop counts per hunt live in "drops" (lines "<hunt> <count>"),
 * rewritten the same way. A drop is counted before its file is deleted:
 * a crash between the two may count a message that is then sent, never
 * lose one uncounted.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "chainsweep/fleet_agent.h"
#include "core/core_int.h"
#include "fleet/agent_int.h"

#define MAGIC           "CSSPOOL1"
#define HEAD_MAX        200
#define NAME_MAX_BYTES  255
#define ITEM_MAX        ((uint64_t)CS_FLEET_SPOOL_MAX_DATA + 2 * NAME_MAX_BYTES + HEAD_MAX)
#define DROPS_MAX_BYTES (4u << 20)

struct sp_item {
	uint64_t seq;
	char *hunt;
	int is_detail;
	int gone;
	uint64_t bytes;
};

struct sp_drop {
	char *hunt;
	uint64_t n;
};

struct cs_fleet_spool {
	char *dir;
	uint64_t max;
	struct sp_item *v;
	size_t head, n, cap;
	uint64_t bytes, status_bytes, live;
	uint64_t next_seq;
	struct sp_drop *drops;
	size_t ndrops, dcap;
	uint64_t corrupt;
	char first_corrupt[512];
	unsigned char *peek;
	size_t peek_cap;
	char errmsg[512];
};

static int fail(struct cs_fleet_spool *sp, int rc, const char *what, const char *name)
{
	snprintf(sp->errmsg, sizeof(sp->errmsg), "%s%s%s: %s: %s", sp->dir, name ? "/" : "",
	         name ? name : "", what, strerror(errno));
	return rc;
}

static void item_name(char *buf, size_t len, uint64_t seq, const char *ext)
{
	snprintf(buf, len, "%020llu.%s", (unsigned long long)seq, ext);
}

static int dir_path(const struct cs_fleet_spool *sp, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", sp->dir, name);

	return n < 0 || (size_t)n >= len ? CS_ERR_TOOBIG : CS_OK;
}

static struct sp_drop *drop_of(const struct cs_fleet_spool *sp, const char *hunt)
{
	size_t i;

	for (i = 0; i < sp->ndrops; i++)
		if (strcmp(sp->drops[i].hunt, hunt) == 0)
			return &sp->drops[i];
	return NULL;
}

static int drop_add(struct cs_fleet_spool *sp, const char *hunt, uint64_t n)
{
	struct sp_drop *d = drop_of(sp, hunt);

	if (d) {
		d->n += n;
		return CS_OK;
	}
	if (cs__grow((void **)&sp->drops, &sp->dcap, sp->ndrops + 1, sizeof(*sp->drops)))
		return CS_ERR_NOMEM;
	d = &sp->drops[sp->ndrops];
	d->hunt = cs__strdup(hunt);
	if (!d->hunt)
		return CS_ERR_NOMEM;
	d->n = n;
	sp->ndrops++;
	return CS_OK;
}

/* Write `name` in the folder atomically and durably. */
static int write_file(struct cs_fleet_spool *sp, const char *name, const char *tmpname,
                      const void *a, size_t alen, const void *b, size_t blen)
{
	char path[4096], tmp[4096];
	int fd, rc = CS_OK;

	if (dir_path(sp, name, path, sizeof(path)) || dir_path(sp, tmpname, tmp, sizeof(tmp))) {
		snprintf(sp->errmsg, sizeof(sp->errmsg), "%s: path too long", sp->dir);
		return CS_ERR_TOOBIG;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return fail(sp, CS_ERR_IO, "create", tmpname);
	if (cs__fleet_write_all(fd, a, alen) != 0 || cs__fleet_write_all(fd, b, blen) != 0 ||
	    fsync(fd) != 0)
		rc = fail(sp, CS_ERR_IO, "write", tmpname);
	close(fd);
	if (!rc && rename(tmp, path) != 0)
		rc = fail(sp, CS_ERR_IO, "rename", tmpname);
	if (rc) {
		unlink(tmp);
		return rc;
	}
	if (cs__fleet_fsync_dir(sp->dir, 1) != 0)
		return fail(sp, CS_ERR_IO, "fsync", NULL);
	return CS_OK;
}

static int save_drops(struct cs_fleet_spool *sp)
{
	struct cs_buf b;
	size_t i;
	int rc = CS_OK;

	cs__buf_init(&b, 0);
	for (i = 0; i < sp->ndrops && !rc; i++)
		if (sp->drops[i].n)
			rc = cs__buf_printf(&b, "%s %llu\n", sp->drops[i].hunt,
			                    (unsigned long long)sp->drops[i].n);
	if (!rc)
		rc = write_file(sp, "drops", "drops.tmp", b.data ? b.data : "", b.len, "", 0);
	cs__buf_release(&b);
	return rc;
}

static int load_drops(struct cs_fleet_spool *sp)
{
	char path[4096], *buf = NULL, *p, *nl;
	size_t len = 0;
	int e = 0, rc;

	if (dir_path(sp, "drops", path, sizeof(path)))
		return CS_ERR_TOOBIG;
	rc = cs__read_file(path, DROPS_MAX_BYTES, &buf, &len, &e);
	if (rc) {
		if (e == ENOENT)
			return CS_OK;
		errno = e;
		return fail(sp, rc == CS_ERR_TOOBIG ? CS_ERR_TOOBIG : CS_ERR_IO, "read", "drops");
	}
	for (p = buf; p < buf + len; p = nl + 1) {
		char *sp1;
		unsigned long long n;
		char *end;

		nl = memchr(p, '\n', (size_t)(buf + len - p));
		if (!nl)
			break; /* torn: never, the file is renamed in whole */
		*nl = '\0';
		sp1 = strchr(p, ' ');
		if (!sp1)
			continue;
		*sp1 = '\0';
		errno = 0;
		n = strtoull(sp1 + 1, &end, 10);
		if (errno || *end || end == sp1 + 1 || !cs_fleet_hunt_id_ok(p))
			continue;
		rc = drop_add(sp, p, n);
		if (rc)
			break;
	}
	free(buf);
	return rc;
}

/* The header line of an item. */
static int format_head(char *buf, size_t len, int is_detail, const char *hunt, size_t sl, size_t ml,
                       size_t dl)
{
	return snprintf(buf, len, MAGIC " %c %s %zu %zu %zu", is_detail ? 'd' : 's', hunt, sl, ml,
	                dl);
}

struct head {
	int is_detail;
	char hunt[65];
	size_t sl, ml, dl, hlen; /* hlen: the header line with its newline */
	uint32_t crc;
};

/* Parse the header at the start of buf (n bytes): 0 when it is not one. */
static int parse_head(const char *buf, size_t n, struct head *h)
{
	char line[HEAD_MAX + 1], flag, crc[9];
	const char *nl = memchr(buf, '\n', n < HEAD_MAX ? n : HEAD_MAX);
	int used = 0;
	char chk[HEAD_MAX];
	unsigned long long sl, ml, dl;
	size_t ll;

	if (!nl)
		return 0;
	ll = (size_t)(nl - buf);
	memcpy(line, buf, ll);
	line[ll] = '\0';
	if (sscanf(line, MAGIC " %c %64s %llu %llu %llu %8s%n", &flag, h->hunt, &sl, &ml, &dl, crc,
	           &used) != 6 ||
	    (size_t)used != ll || (flag != 'd' && flag != 's') ||
	    !cs_fleet_hunt_id_ok(h->hunt) || sl < 1 || sl > NAME_MAX_BYTES || ml < 1 ||
	    ml > NAME_MAX_BYTES || dl > CS_FLEET_SPOOL_MAX_DATA || strlen(crc) != 8)
		return 0;
	h->is_detail = flag == 'd';
	h->sl = (size_t)sl;
	h->ml = (size_t)ml;
	h->dl = (size_t)dl;
	h->hlen = ll + 1;
	h->crc = (uint32_t)strtoul(crc, NULL, 16);
	/* The canonical form: no other spelling of the same numbers. */
	format_head(chk, sizeof(chk), h->is_detail, h->hunt, h->sl, h->ml, h->dl);
	return strlen(chk) + 9 == ll && memcmp(chk, line, strlen(chk)) == 0;
}

static void note_corrupt(struct cs_fleet_spool *sp, const char *name, const char *why)
{
	if (!sp->corrupt++)
		snprintf(sp->first_corrupt, sizeof(sp->first_corrupt), "%s/%s: %s: deleted",
		         sp->dir, name, why);
}

/* A damaged message file: deleted, counted, and a detail's drop counted. */
static void discard(struct cs_fleet_spool *sp, const char *name, const char *why,
                    const struct head *h)
{
	char path[4096];

	note_corrupt(sp, name, why);
	if (h && h->is_detail && !drop_add(sp, h->hunt, 1))
		save_drops(sp);
	if (!dir_path(sp, name, path, sizeof(path)))
		unlink(path);
}

static int add_item(struct cs_fleet_spool *sp, uint64_t seq, const char *hunt, int is_detail,
                    uint64_t bytes)
{
	struct sp_item *it;

	if (cs__grow((void **)&sp->v, &sp->cap, sp->n + 1, sizeof(*sp->v)))
		return CS_ERR_NOMEM;
	it = &sp->v[sp->n];
	it->hunt = cs__strdup(hunt);
	if (!it->hunt)
		return CS_ERR_NOMEM;
	it->seq = seq;
	it->is_detail = is_detail;
	it->gone = 0;
	it->bytes = bytes;
	sp->n++;
	sp->bytes += bytes;
	sp->live++;
	if (!is_detail)
		sp->status_bytes += bytes;
	return CS_OK;
}

static void item_gone(struct cs_fleet_spool *sp, struct sp_item *it)
{
	it->gone = 1;
	sp->bytes -= it->bytes;
	sp->live--;
	if (!it->is_detail)
		sp->status_bytes -= it->bytes;
	free(it->hunt);
	it->hunt = NULL;
}

static int cmp_item(const void *a, const void *b)
{
	const struct sp_item *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* "<20 digits>.<ext>": the sequence number, or 0 when not such a name. */
static uint64_t name_seq(const char *name, const char *ext)
{
	uint64_t v = 0;
	int i;

	if (strlen(name) != 21 + strlen(ext) || name[20] != '.' || strcmp(name + 21, ext) != 0)
		return 0;
	for (i = 0; i < 20; i++) {
		if (!cs__isdigit((unsigned char)name[i]))
			return 0;
		v = v * 10 + (uint64_t)(name[i] - '0');
	}
	return v;
}

/* Index the message files: headers and sizes checked, leftovers removed. */
static int scan(struct cs_fleet_spool *sp)
{
	DIR *d = opendir(sp->dir);
	struct dirent *de;
	int rc = CS_OK;

	if (!d)
		return fail(sp, CS_ERR_IO, "open", NULL);
	while (!rc && (de = readdir(d)) != NULL) {
		char path[4096], buf[HEAD_MAX];
		struct head h;
		struct stat sb;
		uint64_t seq;
		ssize_t r;
		int fd;

		if (name_seq(de->d_name, "tmp") || strcmp(de->d_name, "drops.tmp") == 0) {
			if (!dir_path(sp, de->d_name, path, sizeof(path)))
				unlink(path);
			continue;
		}
		seq = name_seq(de->d_name, "msg");
		if (!seq || dir_path(sp, de->d_name, path, sizeof(path)))
			continue;
		if (seq >= sp->next_seq)
			sp->next_seq = seq + 1;
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			note_corrupt(sp, de->d_name, strerror(errno));
			continue;
		}
		r = fstat(fd, &sb) == 0 ? pread(fd, buf, sizeof(buf), 0) : -1;
		close(fd);
		if (r < 0 || !S_ISREG(sb.st_mode)) {
			discard(sp, de->d_name, "unreadable", NULL);
			continue;
		}
		if (!parse_head(buf, (size_t)r, &h)) {
			discard(sp, de->d_name, "not a spool message (bad header)", NULL);
			continue;
		}
		if ((uint64_t)sb.st_size != h.hlen + h.sl + h.ml + h.dl) {
			discard(sp, de->d_name, "truncated or overlong message", &h);
			continue;
		}
		rc = add_item(sp, seq, h.hunt, h.is_detail, (uint64_t)sb.st_size);
	}
	closedir(d);
	if (!rc && sp->n)
		qsort(sp->v, sp->n, sizeof(*sp->v), cmp_item);
	return rc;
}

int cs_fleet_spool_open(const char *dir, uint64_t max_bytes, struct cs_fleet_spool **out)
{
	struct cs_fleet_spool *sp = cs__calloc(1, sizeof(*sp));
	int rc;

	*out = sp;
	if (!sp)
		return CS_ERR_NOMEM;
	sp->dir = cs__strdup(dir ? dir : "");
	if (!sp->dir)
		return CS_ERR_NOMEM;
	sp->max = max_bytes;
	sp->next_seq = 1;
	if (!dir || !*dir || !max_bytes) {
		snprintf(sp->errmsg, sizeof(sp->errmsg), "spool: no folder or no size");
		return CS_ERR_INVALID;
	}
	if (cs__fleet_mkdir(dir) != 0)
		return fail(sp, CS_ERR_IO, "create", NULL);
	rc = load_drops(sp);
	if (!rc)
		rc = scan(sp);
	return rc;
}

void cs_fleet_spool_close(struct cs_fleet_spool *sp)
{
	size_t i;

	if (!sp)
		return;
	for (i = 0; i < sp->n; i++)
		free(sp->v[i].hunt);
	for (i = 0; i < sp->ndrops; i++)
		free(sp->drops[i].hunt);
	free(sp->v);
	free(sp->drops);
	free(sp->peek);
	free(sp->dir);
	free(sp);
}

const char *cs_fleet_spool_errmsg(const struct cs_fleet_spool *sp)
{
	return sp ? sp->errmsg : "out of memory";
}

uint64_t cs_fleet_spool_bytes(const struct cs_fleet_spool *sp)
{
	return sp->bytes;
}

uint64_t cs_fleet_spool_count(const struct cs_fleet_spool *sp)
{
	return sp->live;
}

uint64_t cs_fleet_spool_dropped(const struct cs_fleet_spool *sp, const char *hunt)
{
	const struct sp_drop *d = hunt ? drop_of(sp, hunt) : NULL;

	return d ? d->n : 0;
}

int cs_fleet_spool_forget(struct cs_fleet_spool *sp, const char *hunt)
{
	struct sp_drop *d = hunt ? drop_of(sp, hunt) : NULL;

	if (!d || !d->n)
		return CS_OK;
	d->n = 0;
	return save_drops(sp);
}

uint64_t cs_fleet_spool_corrupt(const struct cs_fleet_spool *sp, const char **first)
{
	if (first)
		*first = sp->first_corrupt;
	return sp->corrupt;
}

/* Drop the array's leading gone items once they are half of it. */
static void tidy(struct cs_fleet_spool *sp)
{
	size_t i, k = 0;

	while (sp->head < sp->n && sp->v[sp->head].gone)
		sp->head++;
	if (sp->head < 1024 || sp->head < sp->n / 2)
		return;
	for (i = sp->head; i < sp->n; i++)
		sp->v[k++] = sp->v[i];
	sp->n = k;
	sp->head = 0;
}

/*
 * Make room for an item of `need` bytes of hunt `hunt`: choose details to
 * drop, those of the oldest hunts first. Returns 1 when the incoming item
 * (a detail) is to be dropped itself, 0 when the victims marked `gone`
 * made room, or a negative error.
 */
static int make_room(struct cs_fleet_spool *sp, const char *hunt, int is_detail, uint64_t size)
{
	const char **order = NULL;
	size_t norder = 0, ocap = 0, i, k, nvict = 0;
	size_t *vict = NULL, vcap = 0;
	uint64_t freed = 0, need = sp->bytes + size - sp->max;
	int rc = CS_OK, self = 0, seen_self = 0;

	for (i = sp->head; i < sp->n && !rc; i++) {
		if (sp->v[i].gone)
			continue;
		for (k = 0; k < norder && strcmp(order[k], sp->v[i].hunt) != 0; k++)
			;
		if (k == norder) {
			rc = cs__grow((void **)&order, &ocap, norder + 1, sizeof(*order));
			if (!rc)
				order[norder++] = sp->v[i].hunt;
		}
	}
	for (k = 0; k < norder && !rc && freed < need; k++) {
		if (strcmp(order[k], hunt) == 0) {
			seen_self = 1;
			if (is_detail) {
				self = 1;
				break;
			}
		}
		for (i = sp->head; i < sp->n && !rc && freed < need; i++) {
			struct sp_item *it = &sp->v[i];

			if (it->gone || !it->is_detail || strcmp(it->hunt, order[k]) != 0)
				continue;
			rc = cs__grow((void **)&vict, &vcap, nvict + 1, sizeof(*vict));
			if (!rc) {
				vict[nvict++] = i;
				freed += it->bytes;
			}
		}
	}
	if (!rc && freed < need && is_detail && !seen_self)
		self = 1; /* a new hunt's detail: the newest of all */
	if (rc || self)
		goto out;
	/* Count first, then delete: a crash in between over-counts. */
	for (i = 0; i < nvict && !rc; i++)
		rc = drop_add(sp, sp->v[vict[i]].hunt, 1);
	if (!rc)
		rc = save_drops(sp);
	for (i = 0; i < nvict && !rc; i++) {
		char name[32], path[4096];

		item_name(name, sizeof(name), sp->v[vict[i]].seq, "msg");
		if (!dir_path(sp, name, path, sizeof(path)) && unlink(path) != 0 && errno != ENOENT)
			rc = fail(sp, CS_ERR_IO, "delete", name);
		else
			item_gone(sp, &sp->v[vict[i]]);
	}
out:
	free(order);
	free(vict);
	return rc ? rc : self;
}

int cs_fleet_spool_put(struct cs_fleet_spool *sp, const char *hunt, int is_detail,
                       const char *subject, const char *msgid, const void *data, size_t len)
{
	char head[HEAD_MAX], name[32], tmpname[32];
	size_t sl = subject ? strlen(subject) : 0, ml = msgid ? strlen(msgid) : 0, hl;
	uint64_t size;
	unsigned char *body = NULL;
	uLong crc;
	int rc;

	if (!cs_fleet_hunt_id_ok(hunt) || sl < 1 || sl > NAME_MAX_BYTES || ml < 1 ||
	    ml > NAME_MAX_BYTES || strpbrk(subject, " \n") || strpbrk(msgid, " \n") ||
	    (len && !data)) {
		snprintf(sp->errmsg, sizeof(sp->errmsg),
		         "spool put: a hunt id, a subject and a message id (1 to 255 bytes, no"
		         " space) are needed");
		return CS_ERR_INVALID;
	}
	if (len > CS_FLEET_SPOOL_MAX_DATA) {
		snprintf(sp->errmsg, sizeof(sp->errmsg),
		         "spool put: a message of %zu bytes is larger than the cap (%u)", len,
		         CS_FLEET_SPOOL_MAX_DATA);
		return CS_ERR_TOOBIG;
	}
	format_head(head, sizeof(head), is_detail, hunt, sl, ml, len);
	hl = strlen(head);
	size = hl + 10 + sl + ml + len;
	if (!is_detail && sp->status_bytes + size > sp->max) {
		snprintf(sp->errmsg, sizeof(sp->errmsg),
		         "%s: spool full: %llu bytes of status messages wait (cap %llu); this one"
		         " (%llu bytes) is refused",
		         sp->dir, (unsigned long long)sp->status_bytes, (unsigned long long)sp->max,
		         (unsigned long long)size);
		return CS_ERR_TOOBIG;
	}
	if (sp->bytes + size > sp->max) {
		rc = make_room(sp, hunt, is_detail, size);
		if (rc < 0)
			return rc;
		tidy(sp);
		if (rc == 1) {
			rc = drop_add(sp, hunt, 1);
			return rc ? rc : save_drops(sp);
		}
	}
	body = cs__malloc(sl + ml + len + 1);
	if (!body)
		return CS_ERR_NOMEM;
	memcpy(body, subject, sl);
	memcpy(body + sl, msgid, ml);
	if (len)
		memcpy(body + sl + ml, data, len);
	crc = crc32(0L, (const Bytef *)head, (uInt)hl);
	crc = crc32(crc, body, (uInt)(sl + ml + len));
	snprintf(head + hl, sizeof(head) - hl, " %08lx\n", (unsigned long)crc & 0xffffffffUL);
	item_name(name, sizeof(name), sp->next_seq, "msg");
	item_name(tmpname, sizeof(tmpname), sp->next_seq, "tmp");
	rc = write_file(sp, name, tmpname, head, hl + 10, body, sl + ml + len);
	free(body);
	if (rc)
		return rc;
	rc = add_item(sp, sp->next_seq, hunt, is_detail, size);
	sp->next_seq++;
	return rc;
}

/* Read and check the item's file into sp->peek; 0 when it is damaged
 * (then discarded). */
static int read_item(struct cs_fleet_spool *sp, const struct sp_item *it,
                     struct cs_fleet_spool_item *out, int *err)
{
	char name[32], path[4096];
	char *buf = NULL;
	size_t len = 0;
	struct head h;
	int e = 0, rc;
	uLong crc;

	*err = CS_OK;
	item_name(name, sizeof(name), it->seq, "msg");
	if (dir_path(sp, name, path, sizeof(path))) {
		*err = CS_ERR_TOOBIG;
		return 0;
	}
	rc = cs__read_file(path, (size_t)ITEM_MAX, &buf, &len, &e);
	if (rc == CS_ERR_NOMEM) {
		*err = rc;
		return 0;
	}
	if (rc) {
		discard(sp, name, e ? strerror(e) : "too large", NULL);
		return 0;
	}
	if (!parse_head(buf, len, &h)) {
		discard(sp, name, "not a spool message (bad header)", NULL);
		free(buf);
		return 0;
	}
	if (len != h.hlen + h.sl + h.ml + h.dl) {
		discard(sp, name, "truncated or overlong message", &h);
		free(buf);
		return 0;
	}
	crc = crc32(0L, (const Bytef *)buf, (uInt)(h.hlen - 10));
	crc = crc32(crc, (const Bytef *)buf + h.hlen, (uInt)(h.sl + h.ml + h.dl));
	if ((uint32_t)crc != h.crc) {
		discard(sp, name, "checksum mismatch", &h);
		free(buf);
		return 0;
	}
	/* A put never writes a NUL in a subject or message id. */
	if (memchr(buf + h.hlen, '\0', h.sl + h.ml)) {
		discard(sp, name, "NUL byte in its subject or message id", &h);
		free(buf);
		return 0;
	}
	/* subject\0 msgid\0 data hunt\0 in the peek buffer */
	if (cs__grow((void **)&sp->peek, &sp->peek_cap, h.sl + h.ml + h.dl + 68, 1)) {
		free(buf);
		*err = CS_ERR_NOMEM;
		return 0;
	}
	memcpy(sp->peek, buf + h.hlen, h.sl);
	sp->peek[h.sl] = '\0';
	memcpy(sp->peek + h.sl + 1, buf + h.hlen + h.sl, h.ml);
	sp->peek[h.sl + 1 + h.ml] = '\0';
	memcpy(sp->peek + h.sl + h.ml + 2, buf + h.hlen + h.sl + h.ml, h.dl);
	memcpy(sp->peek + h.sl + h.ml + 2 + h.dl, h.hunt, strlen(h.hunt) + 1);
	free(buf);
	out->seq = it->seq;
	out->is_detail = h.is_detail;
	out->subject = (const char *)sp->peek;
	out->msgid = (const char *)sp->peek + h.sl + 1;
	out->data = sp->peek + h.sl + h.ml + 2;
	out->len = h.dl;
	out->hunt = (const char *)sp->peek + h.sl + h.ml + 2 + h.dl;
	return 1;
}

int cs_fleet_spool_peek(struct cs_fleet_spool *sp, struct cs_fleet_spool_item *item)
{
	for (;;) {
		struct sp_item *it;
		int err;

		tidy(sp);
		if (sp->head >= sp->n)
			return CS_ERR_EMPTY;
		it = &sp->v[sp->head];
		if (read_item(sp, it, item, &err))
			return CS_OK;
		if (err)
			return err;
		item_gone(sp, it);
	}
}

int cs_fleet_spool_pop(struct cs_fleet_spool *sp)
{
	char name[32], path[4096];
	struct sp_item *it;

	tidy(sp);
	if (sp->head >= sp->n)
		return CS_ERR_EMPTY;
	it = &sp->v[sp->head];
	item_name(name, sizeof(name), it->seq, "msg");
	if (!dir_path(sp, name, path, sizeof(path)) && unlink(path) != 0 && errno != ENOENT)
		return fail(sp, CS_ERR_IO, "delete", name);
	item_gone(sp, it);
	tidy(sp);
	return CS_OK;
}

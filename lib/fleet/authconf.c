/*
 * The operator's fleet folder (docs/fleet.md, "Deployment and keys"): the
 * signing keys, the nkeys of the operator, the collector and every agent,
 * the host registry, the agents' configuration files, and the
 * nats-server authorization fragment generated from the registry.
 *
 * The fragment follows the hygiene Debian's nats-server 2.9.10 needs
 * (CVE-2023-47090 and the later no_auth_user advisory): users exist only
 * inside `accounts`, there is an account besides the system one, and
 * there is neither an `authorization` block nor `no_auth_user`, so a
 * connection that proves no nkey is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <sodium.h>

#include "chainsweep/fleet_admin.h"
#include "chainsweep/fleet_wire.h"
#include "chainsweep/fleet_sign.h"
#include "fleet/fleet_sign_int.h"

#define REGISTRY      "hosts.tsv"
#define AUTHCONF      "nats-auth.conf"
#define REGISTRY_MAX  (64u << 20)
#define CONF_MAX      (64u << 10)
#define CONF_LINE_MAX 8192u

/* A growing text, capped. */
struct sbuf {
	char *p;
	size_t n, cap;
	int failed;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (b->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
		va_end(ap);
		if (k < 0) {
			b->failed = 1;
			return;
		}
		if (b->p && b->n + (size_t)k < b->cap) {
			b->n += (size_t)k;
			return;
		}
		{
			size_t ncap = b->cap ? b->cap * 2 : 4096;
			char *np;

			while (ncap < b->n + (size_t)k + 1)
				ncap *= 2;
			if (ncap > (256u << 20) || !(np = realloc(b->p, ncap))) {
				b->failed = 1;
				return;
			}
			b->p = np;
			b->cap = ncap;
		}
	}
}

static int id_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

static int token_ok(const char *s, size_t n, int dot)
{
	size_t i;

	if (n < 1 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!id_char((unsigned char)s[i]) && !(dot && s[i] == '.'))
			return 0;
	return 1;
}


/*
 * Split a comma list into `max` slots of `width` bytes, each item checked
 * by `ok`. -1 with err set when an item is bad, empty, too long, or there
 * are too many.
 */
static int split_list(const char *what, const char *s, size_t len, char *slots, size_t width,
                      size_t max, size_t *count, int (*ok)(const char *, size_t), char *err,
                      size_t errlen)
{
	const char *p = s, *end = s + len;

	*count = 0;
	if (!len)
		return 0;
	for (;;) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		size_t n = c ? (size_t)(c - p) : (size_t)(end - p);

		if (*count >= max) {
			cs__fleet_err(err, errlen, "more than %zu %s", max, what);
			return -1;
		}
		if (n >= width || !ok(p, n)) {
			cs__fleet_err(err, errlen, "bad %s '%.*s'", what, (int)(n > 200 ? 200 : n),
			              p);
			return -1;
		}
		memcpy(slots + *count * width, p, n);
		slots[*count * width + n] = 0;
		(*count)++;
		if (!c)
			return 0;
		p = c + 1;
	}
}

static int label_ok(const char *s, size_t n)
{
	return token_ok(s, n, 1);
}

/* nats://HOST[:PORT] or tls://..., the host part of [A-Za-z0-9.-_:[]]. */
static int url_ok(const char *s, size_t n)
{
	size_t i, skip;

	if (n > 7 && memcmp(s, "nats://", 7) == 0)
		skip = 7;
	else if (n > 6 && memcmp(s, "tls://", 6) == 0)
		skip = 6;
	else
		return 0;
	if (n > 255)
		return 0;
	for (i = skip; i < n; i++)
		if (!id_char((unsigned char)s[i]) && s[i] != '.' && s[i] != ':' && s[i] != '[' &&
		    s[i] != ']')
			return 0;
	return 1;
}

static int write_seed(const char *path, int replace, char pub[57], char *err, size_t errlen)
{
	char seed[59], text[64];
	int rc;

	rc = cs_fleet_nkey_new(seed, pub);
	if (rc)
		return rc;
	snprintf(text, sizeof(text), "%s\n", seed);
	rc = replace ? cs__fleet_write_replace(path, text, strlen(text), 0600, err, errlen)
	             : cs__fleet_write_new(path, text, strlen(text), 0600, err, errlen);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(text, sizeof(text));
	return rc;
}

static int pathf(char *out, size_t n, char *err, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
static int pathf(char *out, size_t n, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(out, n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= n) {
		cs__fleet_err(err, errlen, "path too long");
		return CS_ERR_INVALID;
	}
	return CS_OK;
}

/* The registry in memory. */
struct row {
	char host[65];
	char nkey[57];
	char *labels; /* malloc'ed */
	int64_t enrolled;
};
struct registry {
	struct row *v;
	size_t n, cap;
};

static void reg_release(struct registry *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->v[i].labels);
	free(r->v);
	r->v = NULL;
	r->n = r->cap = 0;
}

/* Append a row, taking its labels (freed here on failure). */
static int reg_push(struct registry *r, const struct row *row)
{
	if (r->n >= CS_FLEET_MAX_HOSTS) {
		free(row->labels);
		return CS_ERR_TOOBIG;
	}
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 64;
		struct row *nv = realloc(r->v, nc * sizeof(*nv));

		if (!nv) {
			free(row->labels);
			return CS_ERR_NOMEM;
		}
		r->v = nv;
		r->cap = nc;
	}
	r->v[r->n++] = *row;
	return CS_OK;
}

static struct row *reg_find(struct registry *r, const char *host)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->v[i].host, host) == 0)
			return &r->v[i];
	return NULL;
}

static int nkey_ok(const char *s)
{
	unsigned char pk[32];

	return cs_fleet_nkey_decode(s, pk) == CS_OK;
}

/*
 * Read hosts.tsv: '#' lines skipped; each other line exactly
 * host TAB nkey TAB labels TAB enrolled, every field checked.
 */
static int reg_load(const char *dir, struct registry *r, char *err, size_t errlen)
{
	char path[4096], *buf = NULL, *p, *end;
	size_t len, line = 0;
	int rc;

	rc = pathf(path, sizeof(path), err, errlen, "%s/%s", dir, REGISTRY);
	if (rc)
		return rc;
	rc = cs__fleet_read_file(path, REGISTRY_MAX, &buf, &len, err, errlen);
	if (rc)
		return rc;
	p = buf;
	end = buf + len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *f[4], *q;
		struct row row;
		size_t k, labn;
		int64_t when = 0;
		char labs[CS_FLEET_MAX_LABELS][65];

		line++;
		if (!nl) {
			cs__fleet_err(err, errlen, "%s:%zu: the last line has no newline", path,
			              line);
			rc = CS_ERR_PARSE;
			goto out;
		}
		*nl = 0;
		if (*p == '#' || p == nl) {
			p = nl + 1;
			continue;
		}
		f[0] = p;
		for (k = 1, q = p; k < 4; k++) {
			q = strchr(q, '\t');
			if (!q)
				break;
			*q++ = 0;
			f[k] = q;
		}
		memset(&row, 0, sizeof(row));
		if (k < 4 || strchr(f[3], '\t') || !cs_fleet_host_id_ok(f[0]) || !nkey_ok(f[1]) ||
		    split_list("label", f[2], strlen(f[2]), &labs[0][0], 65, CS_FLEET_MAX_LABELS,
		               &labn, label_ok, NULL, 0) != 0) {
			cs__fleet_err(err, errlen,
			              "%s:%zu: not 'host<TAB>nkey<TAB>labels<TAB>enrolled'", path,
			              line);
			rc = CS_ERR_PARSE;
			goto out;
		}
		for (q = f[3]; *q >= '0' && *q <= '9' && q - f[3] < 18; q++)
			when = when * 10 + (*q - '0');
		if (q == f[3] || *q) {
			cs__fleet_err(err, errlen, "%s:%zu: bad enrollment time", path, line);
			rc = CS_ERR_PARSE;
			goto out;
		}
		if (reg_find(r, f[0])) {
			cs__fleet_err(err, errlen, "%s:%zu: host %s listed twice", path, line,
			              f[0]);
			rc = CS_ERR_PARSE;
			goto out;
		}
		snprintf(row.host, sizeof(row.host), "%s", f[0]);
		snprintf(row.nkey, sizeof(row.nkey), "%s", f[1]);
		row.labels = strdup(f[2]);
		if (!row.labels) {
			rc = CS_ERR_NOMEM;
			goto out;
		}
		row.enrolled = when;
		rc = reg_push(r, &row);
		if (rc) {
			cs__fleet_err(err, errlen, "%s:%zu: %s", path, line,
			              rc == CS_ERR_TOOBIG ? "too many hosts" : "out of memory");
			goto out;
		}
		p = nl + 1;
	}
out:
	free(buf);
	return rc;
}

static int reg_save(const char *dir, const struct registry *r, char *err, size_t errlen)
{
	struct sbuf b = {0};
	char path[4096];
	size_t i;
	int rc;

	rc = pathf(path, sizeof(path), err, errlen, "%s/%s", dir, REGISTRY);
	if (rc)
		return rc;
	sb_add(&b, "# host\tnkey\tlabels\tenrolled\n");
	for (i = 0; i < r->n; i++)
		sb_add(&b, "%s\t%s\t%s\t%" PRId64 "\n", r->v[i].host, r->v[i].nkey, r->v[i].labels,
		       r->v[i].enrolled);
	if (b.failed) {
		free(b.p);
		return CS_ERR_NOMEM;
	}
	rc = cs__fleet_write_replace(path, b.p, b.n, 0600, err, errlen);
	free(b.p);
	return rc;
}

static void allow_list(struct sbuf *b, const char *const *subjects, size_t n)
{
	size_t i;

	sb_add(b, "[");
	for (i = 0; i < n; i++)
		sb_add(b, "%s\"%s\"", i ? ", " : "", subjects[i]);
	sb_add(b, "]");
}

static void user(struct sbuf *b, const char *comment, const char *nkey, const char *const *pub,
                 size_t npub, const char *const *sub, size_t nsub)
{
	sb_add(b, "      # %s\n      {nkey: \"%s\", permissions: {\n        publish: {allow: ",
	       comment, nkey);
	allow_list(b, pub, npub);
	sb_add(b, "}\n        subscribe: {allow: ");
	allow_list(b, sub, nsub);
	sb_add(b, "}\n      }}\n");
}

/*
 * nats-auth.conf from the registry and the operator's and collector's
 * seeds. An agent may read the hunt index, the hunts and the intel keys
 * of the FLEET bucket by direct get (the key is in the subject, so the
 * permission can name it), publish its own results, and receive its own
 * inbox and the notifications; nothing else.
 */
static int write_authconf(const char *dir, const struct registry *r, char *err, size_t errlen)
{
	static const char *const all[] = {">"};
	static const char *const col_pub[] = {"$JS.API.>", "$JS.ACK.RESULTS.>"};
	static const char *const col_sub[] = {"_INBOX_collector.>"};
	char path[4096], op[57], col[57];
	char a_pub[4][160], a_sub[3][160];
	const char *ap[4], *as[3];
	struct sbuf b = {0};
	size_t i, j;
	int rc;

	if ((rc = pathf(path, sizeof(path), err, errlen, "%s/operator.nk", dir)) ||
	    (rc = cs_fleet_nkey_file_public(path, op, err, errlen)) ||
	    (rc = pathf(path, sizeof(path), err, errlen, "%s/collector.nk", dir)) ||
	    (rc = cs_fleet_nkey_file_public(path, col, err, errlen)) ||
	    (rc = pathf(path, sizeof(path), err, errlen, "%s/%s", dir, AUTHCONF)))
		return rc;
	sb_add(&b,
	       "# nats-server authorization of the chainsweep fleet (docs/fleet.md).\n"
	       "# Written by 'chainsweep fleet init' and 'chainsweep fleet enroll': do not edit,\n"
	       "# it is rewritten on every enrollment. Include it in the server's configuration\n"
	       "# (include \"nats-auth.conf\") and reload the server after each enrollment\n"
	       "# (nats-server --signal reload). Users exist only inside accounts, and there\n"
	       "# is no no_auth_user: a connection without an enrolled nkey is refused.\n"
	       "accounts {\n  FLEET {\n    jetstream: enabled\n    users: [\n");
	user(&b, "operator", op, all, 1, all, 1);
	user(&b, "collector", col, col_pub, 2, col_sub, 1);
	for (i = 0; i < r->n; i++) {
		const char *h = r->v[i].host;
		char comment[128];

		snprintf(a_pub[0], sizeof(a_pub[0]),
		         "$JS.API.DIRECT.GET.KV_FLEET.$KV.FLEET.hunts.index");
		snprintf(a_pub[1], sizeof(a_pub[1]),
		         "$JS.API.DIRECT.GET.KV_FLEET.$KV.FLEET.hunt.*");
		snprintf(a_pub[2], sizeof(a_pub[2]),
		         "$JS.API.DIRECT.GET.KV_FLEET.$KV.FLEET.intel.>");
		snprintf(a_pub[3], sizeof(a_pub[3]), "res.%s.>", h);
		snprintf(a_sub[0], sizeof(a_sub[0]), "_INBOX_%s.>", h);
		snprintf(a_sub[1], sizeof(a_sub[1]), "fleet.notify");
		snprintf(a_sub[2], sizeof(a_sub[2]), "fleet.notify.%s", h);
		for (j = 0; j < 4; j++)
			ap[j] = a_pub[j];
		for (j = 0; j < 3; j++)
			as[j] = a_sub[j];
		snprintf(comment, sizeof(comment), "agent %s", h);
		user(&b, comment, r->v[i].nkey, ap, 4, as, 3);
	}
	sb_add(&b, "    ]\n  }\n  SYS {}\n}\nsystem_account: SYS\n");
	if (b.failed) {
		free(b.p);
		cs__fleet_err(err, errlen, "%s: out of memory", path);
		return CS_ERR_NOMEM;
	}
	rc = cs__fleet_write_replace(path, b.p, b.n, 0644, err, errlen);
	free(b.p);
	return rc;
}

/* Hold the folder's lock (dir/.lock) until the descriptor is closed. */
static int lock_dir(const char *dir, int *fd, char *err, size_t errlen)
{
	char path[4096];
	int rc = pathf(path, sizeof(path), err, errlen, "%s/.lock", dir);

	if (rc)
		return rc;
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (*fd < 0 || flock(*fd, LOCK_EX) != 0) {
		cs__fleet_err(err, errlen, "%s: %s", path, strerror(errno));
		if (*fd >= 0)
			close(*fd);
		return CS_ERR_IO;
	}
	return CS_OK;
}

int cs_fleet_admin_init(const char *dir, char *err, size_t errlen)
{
	char path[4096], path2[4096], pub[57];
	struct registry r = {0};
	struct stat st;
	DIR *d;
	struct dirent *e;
	int rc, lock = -1;
	static const char header[] = "# host\tnkey\tlabels\tenrolled\n";

	if (!dir || !*dir) {
		cs__fleet_err(err, errlen, "no folder named");
		return CS_ERR_INVALID;
	}
	if (mkdir(dir, 0700) != 0) {
		if (errno != EEXIST || lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			cs__fleet_err(err, errlen, "%s: %s", dir,
			              errno == EEXIST ? "exists and is not a folder"
			                              : strerror(errno));
			return CS_ERR_IO;
		}
		d = opendir(dir);
		if (!d) {
			cs__fleet_err(err, errlen, "%s: %s", dir, strerror(errno));
			return CS_ERR_IO;
		}
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				break;
		closedir(d);
		if (e) {
			cs__fleet_err(err, errlen,
			              "%s: not empty (a fleet folder is made in a new or "
			              "empty folder; nothing is replaced)",
			              dir);
			return CS_ERR_INVALID;
		}
		if (chmod(dir, 0700) != 0) {
			cs__fleet_err(err, errlen, "%s: %s", dir, strerror(errno));
			return CS_ERR_IO;
		}
	}
	if ((rc = lock_dir(dir, &lock, err, errlen)))
		return rc;
	if ((rc = pathf(path, sizeof(path), err, errlen, "%s/fleet.key", dir)) ||
	    (rc = pathf(path2, sizeof(path2), err, errlen, "%s/fleet.pub", dir)) ||
	    (rc = cs_fleet_keygen(path, path2, err, errlen)))
		goto out;
	if ((rc = pathf(path, sizeof(path), err, errlen, "%s/operator.nk", dir)) ||
	    (rc = write_seed(path, 0, pub, err, errlen)) ||
	    (rc = pathf(path, sizeof(path), err, errlen, "%s/collector.nk", dir)) ||
	    (rc = write_seed(path, 0, pub, err, errlen)) ||
	    (rc = pathf(path, sizeof(path), err, errlen, "%s/%s", dir, REGISTRY)) ||
	    (rc = cs__fleet_write_new(path, header, strlen(header), 0600, err, errlen)) ||
	    (rc = pathf(path, sizeof(path), err, errlen, "%s/agents", dir)))
		goto out;
	if (mkdir(path, 0700) != 0) {
		cs__fleet_err(err, errlen, "%s: %s", path, strerror(errno));
		rc = CS_ERR_IO;
		goto out;
	}
	{
		char pubtext[CS_FLEET_PUBTEXT_MAX];

		if ((rc = cs_fleet_pubkey_load(path2, pubtext, err, errlen)) ||
		    (rc = pathf(path, sizeof(path), err, errlen, "%s/agents/fleet.pub", dir)) ||
		    (rc = cs__fleet_write_new(path, pubtext, strlen(pubtext), 0644, err, errlen)))
			goto out;
	}
	rc = write_authconf(dir, &r, err, errlen);
out:
	close(lock);
	return rc;
}

/* The servers line of an existing agent configuration, or NULL. */
static int old_servers(const char *conf, char *out, size_t n)
{
	struct cs_fleet_agent_conf *c = malloc(sizeof(*c));
	size_t i, o = 0;
	int rc = -1;

	if (!c)
		return -1;
	if (cs_fleet_agent_conf_load(conf, c, NULL, 0) == CS_OK) {
		out[0] = 0;
		for (i = 0; i < c->nservers; i++) {
			int k = snprintf(out + o, n - o, "%s%s", i ? "," : "", c->servers[i]);

			if (k < 0 || (size_t)k >= n - o)
				goto out;
			o += (size_t)k;
		}
		rc = 0;
	}
out:
	free(c);
	return rc;
}

static int write_agent_conf(const char *dir, const char *host, const char *labels,
                            const char *servers, char *err, size_t errlen)
{
	char path[4096];
	struct sbuf b = {0};
	int rc;

	if ((rc = pathf(path, sizeof(path), err, errlen, "%s/agents/%s.conf", dir, host)))
		return rc;
	sb_add(&b,
	       "# chainsweep agent configuration of host %s (chainsweep fleet enroll).\n"
	       "# Install it with %s.nk and fleet.pub in one folder, e.g. /etc/chainsweep/;\n"
	       "# relative paths are taken from this file's folder.\n"
	       "host=%s\nservers=%s\nseed=%s.nk\nfleet_pub=fleet.pub\nlabels=%s\n"
	       "state_dir=%s\npoll=%d\nspool_max=100M\n",
	       host, host, host, servers, host, labels, CS_FLEET_DEFAULT_STATE_DIR,
	       CS_FLEET_DEFAULT_POLL);
	if (b.failed) {
		free(b.p);
		return CS_ERR_NOMEM;
	}
	rc = cs__fleet_write_replace(path, b.p, b.n, 0644, err, errlen);
	free(b.p);
	return rc;
}

int cs_fleet_admin_enroll_many(const char *dir, const char *const *hosts, size_t n,
                               const char *labels, const char *servers, int rotate, char *err,
                               size_t errlen)
{
	char labs[CS_FLEET_MAX_LABELS][65], urls[CS_FLEET_MAX_SERVERS][256];
	char path[4096], srv[CS_FLEET_MAX_SERVERS * 256], pub[57];
	struct registry r = {0};
	size_t i, j, cnt;
	int rc, lock = -1;
	int64_t now = (int64_t)time(NULL);

	if (!dir || !hosts || !n) {
		cs__fleet_err(err, errlen, "no folder or no host named");
		return CS_ERR_INVALID;
	}
	for (i = 0; i < n; i++) {
		if (!cs_fleet_host_id_ok(hosts[i])) {
			cs__fleet_err(
			        err, errlen,
			        "bad host id '%.80s' (1 to 64 of A-Z a-z 0-9 _ -: it is a NATS "
			        "subject token)",
			        hosts[i] ? hosts[i] : "");
			return CS_ERR_INVALID;
		}
		for (j = 0; j < i; j++)
			if (strcmp(hosts[i], hosts[j]) == 0) {
				cs__fleet_err(err, errlen, "host %s named twice", hosts[i]);
				return CS_ERR_INVALID;
			}
	}
	if (labels && (strlen(labels) >= CS_FLEET_MAX_LABELS * 65 ||
	               split_list("label", labels, strlen(labels), &labs[0][0], 65,
	                          CS_FLEET_MAX_LABELS, &cnt, label_ok, err, errlen) != 0))
		return CS_ERR_INVALID;
	if (servers && (!*servers || strlen(servers) >= sizeof(srv) ||
	                split_list("server URL", servers, strlen(servers), &urls[0][0], 256,
	                           CS_FLEET_MAX_SERVERS, &cnt, url_ok, err, errlen) != 0)) {
		if (servers && !*servers)
			cs__fleet_err(err, errlen, "no server URL");
		return CS_ERR_INVALID;
	}
	{
		struct stat st;

		if ((rc = pathf(path, sizeof(path), err, errlen, "%s/%s", dir, REGISTRY)))
			return rc;
		if (stat(path, &st) != 0) {
			cs__fleet_err(
			        err, errlen,
			        "%s: not a fleet folder (no %s; chainsweep fleet init makes one)",
			        dir, REGISTRY);
			return CS_ERR_INVALID;
		}
	}
	if ((rc = lock_dir(dir, &lock, err, errlen)))
		return rc;
	if ((rc = reg_load(dir, &r, err, errlen)))
		goto out;
	for (i = 0; i < n; i++)
		if (reg_find(&r, hosts[i]) && !rotate) {
			cs__fleet_err(
			        err, errlen,
			        "%s: enrolled already (--rotate gives it a new key; the old one "
			        "stops working)",
			        hosts[i]);
			rc = CS_ERR_INVALID;
			goto out;
		}
	for (i = 0; i < n; i++) {
		struct row *row = reg_find(&r, hosts[i]);
		struct row fresh;

		if ((rc = pathf(path, sizeof(path), err, errlen, "%s/agents/%s.conf", dir,
		                hosts[i])))
			goto out;
		if (servers)
			snprintf(srv, sizeof(srv), "%s", servers);
		else if (!row || old_servers(path, srv, sizeof(srv)) != 0)
			snprintf(srv, sizeof(srv), "%s", CS_FLEET_DEFAULT_SERVERS);
		if ((rc = pathf(path, sizeof(path), err, errlen, "%s/agents/%s.nk", dir,
		                hosts[i])) ||
		    (rc = write_seed(path, 1, pub, err, errlen)))
			goto out;
		if (!row) {
			memset(&fresh, 0, sizeof(fresh));
			snprintf(fresh.host, sizeof(fresh.host), "%s", hosts[i]);
			fresh.labels = strdup("");
			if (!fresh.labels || (rc = reg_push(&r, &fresh))) {
				rc = fresh.labels ? rc : CS_ERR_NOMEM;
				cs__fleet_err(err, errlen, "%s",
				              rc == CS_ERR_TOOBIG ? "too many hosts"
				                                  : "out of memory");
				goto out;
			}
			row = &r.v[r.n - 1];
		}
		snprintf(row->nkey, sizeof(row->nkey), "%s", pub);
		if (labels) {
			char *l = strdup(labels);

			if (!l) {
				rc = CS_ERR_NOMEM;
				goto out;
			}
			free(row->labels);
			row->labels = l;
		}
		row->enrolled = now;
		if ((rc = write_agent_conf(dir, hosts[i], row->labels, srv, err, errlen)))
			goto out;
	}
	if ((rc = reg_save(dir, &r, err, errlen)))
		goto out;
	rc = write_authconf(dir, &r, err, errlen);
out:
	reg_release(&r);
	if (lock >= 0)
		close(lock);
	return rc;
}

int cs_fleet_admin_enroll(const char *dir, const char *host, const char *labels,
                          const char *servers, int rotate, char *err, size_t errlen)
{
	const char *hosts[1] = {host};

	return cs_fleet_admin_enroll_many(dir, hosts, 1, labels, servers, rotate, err, errlen);
}

int cs_fleet_admin_hosts(const char *dir, cs_fleet_host_fn fn, void *ud, char *err, size_t errlen)
{
	struct registry r = {0};
	size_t i;
	int rc;

	if (!dir || !fn)
		return CS_ERR_INVALID;
	rc = reg_load(dir, &r, err, errlen);
	for (i = 0; !rc && i < r.n; i++) {
		struct cs_fleet_host h = {r.v[i].host, r.v[i].nkey, r.v[i].labels, r.v[i].enrolled};

		rc = fn(ud, &h);
	}
	reg_release(&r);
	return rc;
}

/* A path of the configuration: absolute as it is, relative from the
 * configuration file's folder. */
static int conf_path(const char *name, const char *v, char *out, size_t n)
{
	const char *slash = strrchr(name, '/');
	int k;

	if (v[0] == '/' || !slash)
		k = snprintf(out, n, "%s", v);
	else
		k = snprintf(out, n, "%.*s/%s", (int)(slash - name), name, v);
	return k < 0 || (size_t)k >= n ? -1 : 0;
}

/* A size: digits and an optional K, M or G; -1 when malformed or past
 * 2^63. */
static int parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0, mul = 1;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		if (v > UINT64_C(1) << 50)
			return -1;
		v = v * 10 + (uint64_t)(*p++ - '0');
	}
	if (*p == 'K' || *p == 'k')
		mul = 1u << 10;
	else if (*p == 'M' || *p == 'm')
		mul = 1u << 20;
	else if (*p == 'G' || *p == 'g')
		mul = 1u << 30;
	if (mul != 1)
		p++;
	if (*p || v > (UINT64_C(1) << 62) / mul)
		return -1;
	*out = v * mul;
	return 0;
}

enum { K_HOST, K_SERVERS, K_SEED, K_FLEET_PUB, K_LABELS, K_STATE_DIR, K_POLL, K_SPOOL_MAX, K_N };
static const char *const conf_keys[K_N] = {"host",   "servers",   "seed", "fleet_pub",
                                           "labels", "state_dir", "poll", "spool_max"};

/*
 * One `key=value` line (already cut, without its newline) into `c`.
 * Whitespace around the key and the value is dropped. -1 with err set
 * (naming name:line) when anything is wrong.
 */
static int conf_line(const char *name, size_t lineno, char *line, struct cs_fleet_agent_conf *c,
                     int seen[K_N], char *err, size_t errlen)
{
	char *eq = strchr(line, '='), *k = line, *v, *e;
	int key;

	if (!eq) {
		cs__fleet_err(err, errlen, "%s:%zu: not 'key=value'", name, lineno);
		return -1;
	}
	*eq = 0;
	v = eq + 1;
	while (*k == ' ' || *k == '\t')
		k++;
	for (e = eq; e > k && (e[-1] == ' ' || e[-1] == '\t'); e--)
		e[-1] = 0;
	while (*v == ' ' || *v == '\t')
		v++;
	for (e = v + strlen(v); e > v && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'); e--)
		e[-1] = 0;
	for (key = 0; key < K_N; key++)
		if (strcmp(k, conf_keys[key]) == 0)
			break;
	if (key == K_N) {
		cs__fleet_err(err, errlen, "%s:%zu: unknown key '%.64s'", name, lineno, k);
		return -1;
	}
	if (seen[key]) {
		cs__fleet_err(err, errlen, "%s:%zu: %s given twice", name, lineno, k);
		return -1;
	}
	seen[key] = 1;
	switch (key) {
	case K_HOST:
		if (!cs_fleet_host_id_ok(v)) {
			cs__fleet_err(err, errlen,
			              "%s:%zu: bad host id (1 to 64 of A-Z a-z 0-9 _ -)", name,
			              lineno);
			return -1;
		}
		snprintf(c->host, sizeof(c->host), "%s", v);
		return 0;
	case K_SERVERS:
	case K_LABELS: {
		char msg[256];
		int bad = key == K_SERVERS
		                  ? (!*v || split_list("server URL", v, strlen(v),
		                                       &c->servers[0][0], 256, CS_FLEET_MAX_SERVERS,
		                                       &c->nservers, url_ok, msg, sizeof(msg)) != 0)
		                  : split_list("label", v, strlen(v), &c->labels[0][0], 65,
		                               CS_FLEET_MAX_LABELS, &c->nlabels, label_ok, msg,
		                               sizeof(msg)) != 0;

		if (bad) {
			cs__fleet_err(err, errlen, "%s:%zu: %s", name, lineno,
			              *v ? msg : "no server URL");
			return -1;
		}
		return 0;
	}
	case K_SEED:
	case K_FLEET_PUB:
	case K_STATE_DIR: {
		char *dst = key == K_SEED        ? c->seed
		            : key == K_FLEET_PUB ? c->fleet_pub
		                                 : c->state_dir;

		if (!*v || conf_path(name, v, dst, 4096) != 0) {
			cs__fleet_err(err, errlen, "%s:%zu: %s: empty or too long a path", name,
			              lineno, k);
			return -1;
		}
		return 0;
	}
	case K_POLL: {
		uint64_t n = 0;
		size_t i;

		for (i = 0; v[i] >= '0' && v[i] <= '9' && i < 6; i++)
			n = n * 10 + (uint64_t)(v[i] - '0');
		if (!i || v[i] || n < 1 || n > 86400) {
			cs__fleet_err(err, errlen, "%s:%zu: poll must be 1 to 86400 seconds", name,
			              lineno);
			return -1;
		}
		c->poll = (unsigned)n;
		return 0;
	}
	default:
		if (parse_size(v, &c->spool_max) != 0 || c->spool_max < (1u << 20)) {
			cs__fleet_err(
			        err, errlen,
			        "%s:%zu: spool_max must be a size of at least 1M (digits and K, M "
			        "or G)",
			        name, lineno);
			return -1;
		}
		return 0;
	}
}

int cs_fleet_agent_conf_parse(const char *name, const char *text, size_t len,
                              struct cs_fleet_agent_conf *out, char *err, size_t errlen)
{
	struct cs_fleet_agent_conf *c;
	const char *p = text, *end = text + len;
	char *line;
	int seen[K_N] = {0}, rc = CS_ERR_PARSE, k;
	size_t lineno = 0;

	if (!name || (!text && len) || !out)
		return CS_ERR_INVALID;
	if (len > CONF_MAX) {
		cs__fleet_err(err, errlen, "%s: larger than %u bytes", name, CONF_MAX);
		return CS_ERR_TOOBIG;
	}
	c = calloc(1, sizeof(*c));
	line = malloc(CONF_LINE_MAX + 1);
	if (!c || !line) {
		rc = CS_ERR_NOMEM;
		goto out;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p), i;

		lineno++;
		if (n > CONF_LINE_MAX) {
			cs__fleet_err(err, errlen, "%s:%zu: line longer than %u bytes", name,
			              lineno, CONF_LINE_MAX);
			goto out;
		}
		if (memchr(p, 0, n)) {
			cs__fleet_err(err, errlen, "%s:%zu: a NUL byte", name, lineno);
			goto out;
		}
		memcpy(line, p, n);
		line[n] = 0;
		p = nl ? nl + 1 : end;
		for (i = 0; line[i] == ' ' || line[i] == '\t' || line[i] == '\r'; i++)
			;
		if (!line[i] || line[i] == '#')
			continue;
		if (conf_line(name, lineno, line, c, seen, err, errlen) != 0)
			goto out;
	}
	for (k = 0; k < K_LABELS; k++)
		if (!seen[k]) {
			cs__fleet_err(err, errlen, "%s: %s= is missing", name, conf_keys[k]);
			goto out;
		}
	if (!seen[K_STATE_DIR])
		snprintf(c->state_dir, sizeof(c->state_dir), "%s", CS_FLEET_DEFAULT_STATE_DIR);
	if (!seen[K_POLL])
		c->poll = CS_FLEET_DEFAULT_POLL;
	if (!seen[K_SPOOL_MAX])
		c->spool_max = CS_FLEET_DEFAULT_SPOOL_MAX;
	*out = *c;
	rc = CS_OK;
out:
	free(c);
	free(line);
	return rc;
}

int cs_fleet_agent_conf_load(const char *path, struct cs_fleet_agent_conf *out, char *err,
                             size_t errlen)
{
	char *buf = NULL;
	size_t len;
	int rc = cs__fleet_read_file(path, CONF_MAX, &buf, &len, err, errlen);

	if (rc)
		return rc;
	rc = cs_fleet_agent_conf_parse(path, buf, len, out, err, errlen);
	free(buf);
	return rc;
}

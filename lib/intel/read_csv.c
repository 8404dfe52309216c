/*
 * Readers for comma-separated tables and plain lists of values
 * (docs/intel-formats-text.md).
 *
 * csv: RFC 4180 records (quoted cells may hold commas, doubled quotes and
 * line breaks; LF or CRLF ends a record; a stray quote inside an unquoted
 * cell is kept as text). A first row whose cells are column names is a
 * header; it says which column holds the values, which their type and
 * which a description. A cell may hold several values (Volexity writes
 * md5, sha1 and sha256 of a file in one quoted cell).
 *
 * plain: one value per line, '#' comments, the kind guessed from the
 * value; "<hash>  <file name>" lines as sha256sum and friends write them,
 * and "SHA256 (name) = <hash>" as they write them with --tag.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intel/intel_int.h"
#include "intel/normalize_int.h"

#define CSV_MAX_CELLS   1024                     /* cells kept per record */
#define CSV_CELL_MAX    (CS_INTEL_MAX_VALUE + 1) /* bytes kept per cell */
#define CSV_RECORD_MAX  ((size_t)8 << 20)        /* bytes kept per record */
#define CSV_DESC_MAX    4096
#define CSV_LABEL_COLS  8   /* label columns read per table */
#define CSV_ROW_LABELS  32  /* labels kept per row */
#define CSV_LABEL_MAX   200 /* bytes of one label's name */
#define CSV_BID_RECORDS 32
#define PLAIN_BID_LINES 64

/* ------------------------------------------------------------------ helpers */

static int is_hash_text(const char *s, size_t n)
{
	size_t i;

	if (n != 32 && n != 40 && n != 64 && n != 128)
		return 0;
	for (i = 0; i < n; i++) {
		if (!cs__isxdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

static int is_hash_kind(enum cs_kind k)
{
	return k == CS_KIND_MD5 || k == CS_KIND_SHA1 || k == CS_KIND_SHA256 ||
	       k == CS_KIND_SHA512 || k == CS_KIND_HASH_AUTO;
}

/* Copy at most CSV_DESC_MAX bytes of trimmed text, up to any NUL and
 * without cutting a UTF-8 sequence in two. */
static int set_text(struct cs_buf *b, const char *s, size_t n)
{
	const char *nul = memchr(s, '\0', n);

	if (nul)
		n = (size_t)(nul - s);
	cs__buf_reset(b);
	cs__trim(&s, &n);
	if (n > CSV_DESC_MAX) {
		n = CSV_DESC_MAX;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return cs__buf_add(b, s, n) ? CS_ERR_NOMEM : CS_OK;
}

/* What a row says of each value in it besides the value: its description,
 * the labels of its family, actor, campaign and tag columns, and the
 * window of its first-seen and last-seen columns. */
struct row_ctx {
	const char *desc;
	const char *const *labels;
	size_t nlabels;
	int64_t valid_from, valid_until;
};

/* Add one value with its kind (CS_KIND_NONE: guess). Rejections are
 * counted by cs__intel_add or here; only running out of memory is an
 * error for the caller. */
static int add_value(struct cs_reader_ctx *ctx, enum cs_kind kind, const char *v, size_t n,
                     uint64_t line, uint64_t col, const struct row_ctx *rx)
{
	struct cs_ind_add a;
	int rc;

	cs__trim(&v, &n);
	if (n == 0)
		return CS_OK;
	if (n > CS_INTEL_MAX_VALUE) {
		cs__reject(ctx, "too-long", line, col, "value of %zu bytes exceeds %zu", n,
		           (size_t)CS_INTEL_MAX_VALUE);
		return CS_OK;
	}
	if (memchr(v, '\0', n)) {
		cs__reject(ctx, "nul-byte", line, col, "value holds a NUL byte");
		return CS_OK;
	}
	if (kind == CS_KIND_NONE) {
		kind = cs__guess_kind(v, n);
		if (kind == CS_KIND_NONE) {
			cs__reject(ctx, "unknown-kind", line, col,
			           "'%.*s%s' is no kind of indicator we know",
			           (int)(n > 80 ? 80 : n), v, n > 80 ? "..." : "");
			return CS_OK;
		}
	}
	cs__ind_add_init(&a);
	a.kind = kind;
	a.value = v;
	a.value_len = n;
	a.line = line;
	a.column = col;
	a.description = rx->desc && *rx->desc ? rx->desc : NULL;
	a.labels = rx->labels;
	a.nlabels = rx->nlabels;
	a.valid_from = rx->valid_from;
	a.valid_until = rx->valid_until;
	rc = cs__intel_add(ctx, &a);
	return rc == CS_ERR_NOMEM ? rc : CS_OK;
}

/* ------------------------------------------------------------------ CSV records */

struct csv_cell {
	size_t off, len; /* in the record's text */
	uint64_t line;   /* where the cell starts in the file, 1-based */
	uint64_t column;
	int quoted;
	int toolong; /* content was cut at CSV_CELL_MAX */
};

struct csv_rec {
	struct cs_buf text;
	struct csv_cell *cells;
	size_t n, cap;
	uint64_t line;    /* first line of the record */
	int unterminated; /* a quote was never closed */
	int ended;        /* ended by a newline (not by the end of data) */
};

struct csv_pos {
	size_t pos;
	uint64_t line; /* line of pos, 1-based */
	size_t bol;    /* offset where that line begins */
};

static void rec_init(struct csv_rec *r)
{
	memset(r, 0, sizeof(*r));
	cs__buf_init(&r->text, CSV_RECORD_MAX);
}

static void rec_release(struct csv_rec *r)
{
	cs__buf_release(&r->text);
	free(r->cells);
}

static const char *cell_text(const struct csv_rec *r, size_t i, size_t *len)
{
	if (i >= r->n || i >= CSV_MAX_CELLS) {
		*len = 0;
		return "";
	}
	*len = r->cells[i].len;
	return r->text.data ? r->text.data + r->cells[i].off : "";
}

/* Append to the current (last) cell, keeping the caps. */
static int cell_add(struct csv_rec *r, const char *s, size_t n)
{
	struct csv_cell *c;
	size_t room;
	int rc;

	if (r->n == 0 || r->n > CSV_MAX_CELLS)
		return CS_OK;
	c = &r->cells[r->n - 1];
	room = c->len < CSV_CELL_MAX ? CSV_CELL_MAX - c->len : 0;
	if (n > room) {
		c->toolong = 1;
		n = room;
	}
	if (n == 0)
		return CS_OK;
	rc = cs__buf_add(&r->text, s, n);
	if (rc == CS_ERR_TOOBIG) {
		c->toolong = 1;
		return CS_OK;
	}
	if (rc)
		return rc;
	c->len += n;
	return CS_OK;
}

/* Open a new cell at p. Past CSV_MAX_CELLS cells are still parsed (the
 * caller walks over them) but not kept: r->n stays at CSV_MAX_CELLS + 1. */
static int cell_start(struct csv_rec *r, const struct csv_pos *p, int quoted)
{
	struct csv_cell *c;

	if (r->n >= CSV_MAX_CELLS) {
		r->n = CSV_MAX_CELLS + 1; /* cells past the cap are read, not kept */
		return CS_OK;
	}
	if (cs__grow((void **)&r->cells, &r->cap, r->n + 1, sizeof(*r->cells)))
		return CS_ERR_NOMEM;
	c = &r->cells[r->n++];
	c->off = r->text.len;
	c->len = 0;
	c->line = p->line;
	c->column = p->pos - p->bol + 1;
	c->quoted = quoted;
	c->toolong = 0;
	return CS_OK;
}

/* Advance p over d[p->pos .. end), counting line breaks. */
static void advance(const char *d, struct csv_pos *p, size_t end)
{
	const char *nl;

	while (p->pos < end && (nl = memchr(d + p->pos, '\n', end - p->pos)) != NULL) {
		p->line++;
		p->pos = (size_t)(nl - d) + 1;
		p->bol = p->pos;
	}
	p->pos = end;
}

/*
 * Read one record from d[p->pos .. len). Every byte is looked at a
 * bounded number of times, so a 100 MB line or an unterminated quote
 * costs linear time; what a cell keeps is capped. Returns 1 when a
 * record was read, 0 at the end of the data, or CS_ERR_NOMEM.
 */
static int csv_next(const char *d, size_t len, struct csv_pos *p, struct csv_rec *r)
{
	int rc;

	if (p->pos >= len)
		return 0;
	cs__buf_reset(&r->text);
	r->n = 0;
	r->line = p->line;
	r->unterminated = 0;
	r->ended = 0;
	for (;;) {
		size_t i;

		if (p->pos < len && d[p->pos] == '"') {
			if ((rc = cell_start(r, p, 1)))
				return rc;
			p->pos++;
			for (;;) {
				const char *q = memchr(d + p->pos, '"', len - p->pos);
				size_t end = q ? (size_t)(q - d) : len;
				size_t from = p->pos;

				if ((rc = cell_add(r, d + from, end - from)))
					return rc;
				advance(d, p, end);
				if (!q) {
					r->unterminated = 1;
					return 1;
				}
				if (end + 1 < len && d[end + 1] == '"') {
					if ((rc = cell_add(r, "\"", 1)))
						return rc;
					p->pos = end + 2;
					continue;
				}
				p->pos = end + 1;
				break;
			}
			/* Text between the closing quote and the separator is
			 * kept (lenient), except a CR before LF. */
			for (i = p->pos; i < len && d[i] != ',' && d[i] != '\n'; i++)
				;
			{
				size_t e = i;

				if (e > p->pos && d[e - 1] == '\r' && (e == len || d[e] == '\n'))
					e--;
				if ((rc = cell_add(r, d + p->pos, e - p->pos)))
					return rc;
			}
			p->pos = i;
		} else {
			size_t e;

			if ((rc = cell_start(r, p, 0)))
				return rc;
			for (i = p->pos; i < len && d[i] != ',' && d[i] != '\n'; i++)
				;
			e = i;
			if (e > p->pos && d[e - 1] == '\r' && (e == len || d[e] == '\n'))
				e--;
			if ((rc = cell_add(r, d + p->pos, e - p->pos)))
				return rc;
			p->pos = i;
		}
		if (p->pos >= len)
			return 1;
		if (d[p->pos] == '\n') {
			p->pos++;
			p->line++;
			p->bol = p->pos;
			r->ended = 1;
			return 1;
		}
		p->pos++; /* ',' */
	}
}

/* Skip a '#' comment line or a blank line at p; 1 when one was skipped. */
static int csv_skip_line(const char *d, size_t len, struct csv_pos *p)
{
	size_t i = p->pos;
	const char *nl;

	while (i < len && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r'))
		i++;
	if (i < len && d[i] != '#' && d[i] != '\n')
		return 0;
	nl = memchr(d + i, '\n', len - i);
	p->pos = nl ? (size_t)(nl - d) + 1 : len;
	p->line++;
	p->bol = p->pos;
	return 1;
}

/* ------------------------------------------------------------------ columns */

enum col_role {
	ROLE_NONE,
	ROLE_VALUE,
	ROLE_TYPE,
	ROLE_DESC,
	ROLE_KIND,
	ROLE_OTHER,
	/* Product-version tables (docs/indicators.md): a product column and a
	 * versions column make every row one product-version indicator. */
	ROLE_VENDOR,
	ROLE_PRODUCT,
	ROLE_PLATFORM,
	ROLE_VERSIONS,
	ROLE_VALID_FROM,
	ROLE_VALID_UNTIL,
	ROLE_INCIDENT,
	ROLE_NROLES,
	/* Indicator tables: columns naming the activity (each value becomes a
	 * label of the column's type) and the observed window. */
	ROLE_LABEL,
	ROLE_FIRST_SEEN,
	ROLE_LAST_SEEN
};

/* The product columns, in the order of csv_state.pcol[]. */
#define PCOL_FIRST ROLE_VENDOR
#define PCOL_N     (ROLE_NROLES - ROLE_VENDOR)

static const struct {
	const char *name;
	enum col_role role;
	enum cs_kind kind; /* ROLE_KIND: what the column holds */
} col_names[] = {
        {"value", ROLE_VALUE, 0},
        {"indicator", ROLE_VALUE, 0},
        {"ioc", ROLE_VALUE, 0},
        {"ioc_value", ROLE_VALUE, 0},
        {"indicator_value", ROLE_VALUE, 0},
        {"observable", ROLE_VALUE, 0},
        {"observable_value", ROLE_VALUE, 0},
        {"artifact", ROLE_VALUE, 0},
        {"type", ROLE_TYPE, 0},
        {"entity_type", ROLE_TYPE, 0},
        {"indicator_type", ROLE_TYPE, 0},
        {"ioc_type", ROLE_TYPE, 0},
        {"observable_type", ROLE_TYPE, 0},
        {"attribute_type", ROLE_TYPE, 0},
        {"description", ROLE_DESC, 0},
        {"comment", ROLE_DESC, 0},
        {"comments", ROLE_DESC, 0},
        {"note", ROLE_DESC, 0},
        {"notes", ROLE_DESC, 0},
        {"context", ROLE_DESC, 0},
        {"md5", ROLE_KIND, CS_KIND_MD5},
        {"sha1", ROLE_KIND, CS_KIND_SHA1},
        {"sha_1", ROLE_KIND, CS_KIND_SHA1},
        {"sha256", ROLE_KIND, CS_KIND_SHA256},
        {"sha_256", ROLE_KIND, CS_KIND_SHA256},
        {"sha512", ROLE_KIND, CS_KIND_SHA512},
        {"sha_512", ROLE_KIND, CS_KIND_SHA512},
        {"hash", ROLE_KIND, CS_KIND_HASH_AUTO},
        {"file_hash", ROLE_KIND, CS_KIND_HASH_AUTO},
        {"filehash", ROLE_KIND, CS_KIND_HASH_AUTO},
        {"domain", ROLE_KIND, CS_KIND_DOMAIN},
        {"hostname", ROLE_KIND, CS_KIND_DOMAIN},
        {"fqdn", ROLE_KIND, CS_KIND_DOMAIN},
        {"ip", ROLE_KIND, CS_KIND_CIDR},
        {"ip_address", ROLE_KIND, CS_KIND_CIDR},
        {"ipaddress", ROLE_KIND, CS_KIND_CIDR},
        {"ipv4", ROLE_KIND, CS_KIND_CIDR},
        {"ipv6", ROLE_KIND, CS_KIND_CIDR},
        {"url", ROLE_KIND, CS_KIND_URL},
        {"uri", ROLE_KIND, CS_KIND_URL},
        {"email", ROLE_KIND, CS_KIND_EMAIL},
        {"email_address", ROLE_KIND, CS_KIND_EMAIL},
        {"filename", ROLE_KIND, CS_KIND_FILENAME},
        {"file_name", ROLE_KIND, CS_KIND_FILENAME},
        {"name", ROLE_OTHER, 0},
        {"source", ROLE_OTHER, 0},
        {"date", ROLE_OTHER, 0},
        {"timestamp", ROLE_OTHER, 0},
        {"confidence", ROLE_OTHER, 0},
        {"score", ROLE_OTHER, 0},
        {"category", ROLE_OTHER, 0},
        {"reference", ROLE_OTHER, 0},
        {"tlp", ROLE_OTHER, 0},
        {"uuid", ROLE_OTHER, 0},
        {"id", ROLE_OTHER, 0},
        {"vendor", ROLE_VENDOR, 0},
        {"product", ROLE_PRODUCT, 0},
        {"platform", ROLE_PLATFORM, 0},
        {"version", ROLE_VERSIONS, 0},
        {"versions", ROLE_VERSIONS, 0},
        {"affected_versions", ROLE_VERSIONS, 0},
        {"valid_from", ROLE_VALID_FROM, 0},
        {"valid_until", ROLE_VALID_UNTIL, 0},
        {"incident", ROLE_INCIDENT, 0},
        {"first_seen", ROLE_FIRST_SEEN, 0},
        {"firstseen", ROLE_FIRST_SEEN, 0},
        {"first_seen_utc", ROLE_FIRST_SEEN, 0},
        {"last_seen", ROLE_LAST_SEEN, 0},
        {"lastseen", ROLE_LAST_SEEN, 0},
        {"last_seen_utc", ROLE_LAST_SEEN, 0},
};

/* Columns whose values label every indicator of their row, with the label
 * type each gives (the types correlate groups activity by). */
static const struct {
	const char *name;
	const char *prefix;
} label_cols[] = {
        {"malware", "malware:"},
        {"malware_family", "malware:"},
        {"malware_families", "malware:"},
        {"family", "malware:"},
        {"associated_malware", "malware:"},
        {"malware_name", "malware:"},
        {"actor", "actor:"},
        {"actors", "actor:"},
        {"threat_actor", "actor:"},
        {"threat_actors", "actor:"},
        {"intrusion_set", "actor:"},
        {"attribution", "actor:"},
        {"apt_group", "actor:"},
        {"campaign", "campaign:"},
        {"campaigns", "campaign:"},
        {"operation", "campaign:"},
        {"tag", "tag:"},
        {"tags", "tag:"},
        {"label", "tag:"},
        {"labels", "tag:"},
};

/* The role of a header cell: names compare ignoring case, with ' ' and
 * '-' taken as '_'. */
static enum col_role header_role(const char *s, size_t n, enum cs_kind *kind)
{
	char key[40];
	size_t i;

	cs__trim(&s, &n);
	if (n == 0 || n >= sizeof(key))
		return ROLE_NONE;
	for (i = 0; i < n; i++) {
		char c = (char)cs__lower((unsigned char)s[i]);

		key[i] = (c == ' ' || c == '-') ? '_' : c;
	}
	key[n] = '\0';
	for (i = 0; i < CS_ARRAY_SIZE(col_names); i++) {
		if (strcmp(key, col_names[i].name) == 0) {
			if (kind)
				*kind = col_names[i].kind;
			return col_names[i].role;
		}
	}
	for (i = 0; i < CS_ARRAY_SIZE(label_cols); i++) {
		if (strcmp(key, label_cols[i].name) == 0) {
			/* The label type, as an index into label_cols. */
			if (kind)
				*kind = (enum cs_kind)i;
			return ROLE_LABEL;
		}
	}
	return ROLE_NONE;
}

/* A header: some cell names a column we know and no cell is a value. */
static int looks_like_header(const struct csv_rec *r)
{
	size_t i, known = 0, n = r->n > CSV_MAX_CELLS ? CSV_MAX_CELLS : r->n;

	for (i = 0; i < n; i++) {
		size_t len;
		const char *s = cell_text(r, i, &len);

		if (header_role(s, len, NULL) != ROLE_NONE)
			known++;
		else if (cs__guess_kind(s, len) != CS_KIND_NONE)
			return 0;
	}
	return known > 0;
}

/* Type names as IOC tables write them (Volexity, MISP exports, ...).
 * CS_KIND_NONE with `skip` set: a part we ignore (a port). */
static const struct {
	const char *name;
	enum cs_kind kind;
} type_names[] = {
        {"md5", CS_KIND_MD5},
        {"sha1", CS_KIND_SHA1},
        {"sha-1", CS_KIND_SHA1},
        {"sha256", CS_KIND_SHA256},
        {"sha-256", CS_KIND_SHA256},
        {"sha512", CS_KIND_SHA512},
        {"sha-512", CS_KIND_SHA512},
        {"hash", CS_KIND_HASH_AUTO},
        {"file", CS_KIND_HASH_AUTO},
        {"filehash", CS_KIND_HASH_AUTO},
        {"file_hash", CS_KIND_HASH_AUTO},
        {"file-hash", CS_KIND_HASH_AUTO},
        {"hostname", CS_KIND_DOMAIN},
        {"domain", CS_KIND_DOMAIN},
        {"domain-name", CS_KIND_DOMAIN},
        {"domain_name", CS_KIND_DOMAIN},
        {"fqdn", CS_KIND_DOMAIN},
        {"ip", CS_KIND_CIDR},
        {"ipaddress", CS_KIND_CIDR},
        {"ip-address", CS_KIND_CIDR},
        {"ip_address", CS_KIND_CIDR},
        {"ipv4", CS_KIND_CIDR},
        {"ipv6", CS_KIND_CIDR},
        {"ipv4-addr", CS_KIND_CIDR},
        {"ipv6-addr", CS_KIND_CIDR},
        {"ip-src", CS_KIND_CIDR},
        {"ip-dst", CS_KIND_CIDR},
        {"cidr", CS_KIND_CIDR},
        {"ip-range", CS_KIND_CIDR},
        {"url", CS_KIND_URL},
        {"uri", CS_KIND_URL},
        {"link", CS_KIND_URL},
        {"email", CS_KIND_EMAIL},
        {"emailwhois", CS_KIND_EMAIL},
        {"email-src", CS_KIND_EMAIL},
        {"email-dst", CS_KIND_EMAIL},
        {"email-addr", CS_KIND_EMAIL},
        {"email-address", CS_KIND_EMAIL},
        {"email_address", CS_KIND_EMAIL},
        {"e-mail", CS_KIND_EMAIL},
        {"whois-registrant-email", CS_KIND_EMAIL},
        {"filename", CS_KIND_FILENAME},
        {"file-name", CS_KIND_FILENAME},
        {"file_name", CS_KIND_FILENAME},
        {"port", CS_KIND_NONE},
};

/* 1 and *kind for a known type name; 0 for an unknown one. */
static int type_kind(const char *s, size_t n, enum cs_kind *kind)
{
	size_t i;

	cs__trim(&s, &n);
	for (i = 0; i < CS_ARRAY_SIZE(type_names); i++) {
		if (cs__eqi(s, n, type_names[i].name)) {
			*kind = type_names[i].kind;
			return 1;
		}
	}
	return 0;
}

/* Kinds whose values never hold a blank, ',' or ';': a cell of them may
 * list several values. */
static int splittable(enum cs_kind k)
{
	return is_hash_kind(k) || k == CS_KIND_DOMAIN || k == CS_KIND_IPV4 || k == CS_KIND_IPV6 ||
	       k == CS_KIND_CIDR || k == CS_KIND_EMAIL;
}

static int value_sep(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' || c == ';';
}

struct csv_state {
	struct cs_reader_ctx *ctx;
	struct csv_rec rec;
	struct cs_buf desc;
	/* Columns, 0-based; -1 when absent. */
	long value_col, type_col, desc_col;
	/* Columns that each hold one kind ("md5,sha256,domain" headers). */
	long kind_cols[CSV_MAX_CELLS];
	enum cs_kind kind_of[CSV_MAX_CELLS];
	size_t nkind_cols;
	enum cs_kind value_kind; /* kind the value column's name says, or NONE */
	long pcol[PCOL_N];       /* product columns by role - PCOL_FIRST, or -1 */
	int product_mode;        /* rows are product-version indicators */
	struct cs_buf pval;
	/* Label columns (with their label_cols index) and the observed window's
	 * columns, or -1. */
	long lcol[CSV_LABEL_COLS];
	size_t ltype[CSV_LABEL_COLS];
	size_t nlcols;
	long first_col, last_col;
	struct cs_buf lbuf;                 /* this row's labels, NUL-separated */
	const char *lptr[CSV_ROW_LABELS]; /* into lbuf */
};

/* A walk over the pieces of one cell, in order. */
struct piece_cursor {
	size_t off;     /* bytes of the cell looked at */
	uint64_t nls;   /* line breaks among them */
	size_t last_nl; /* offset after the last one */
};

/*
 * Where in the file the piece at `off` of a cell lies: the cell's line
 * plus the line breaks before the piece; the column on that line (on
 * the cell's first line, doubled quotes before the piece may shift it).
 * Offsets must grow from call to call, so a cell costs linear time.
 */
static void piece_pos(const struct csv_cell *c, const char *text, struct piece_cursor *pc,
                      size_t off, uint64_t *line, uint64_t *col)
{
	for (; pc->off < off; pc->off++) {
		if (text[pc->off] == '\n') {
			pc->nls++;
			pc->last_nl = pc->off + 1;
		}
	}
	*line = c->line + pc->nls;
	*col = pc->nls ? off - pc->last_nl + 1 : c->column + (uint64_t)c->quoted + off;
}

/*
 * Add the values of one cell as `kind` (CS_KIND_NONE: guess each). A
 * cell of a kind that never holds separators is split on blanks, commas
 * and semicolons; a cell of unknown kind is split only when every piece
 * is a value of some kind, and taken whole otherwise.
 */
static int add_cell(struct csv_state *st, const struct csv_cell *c, const char *s, size_t n,
                    enum cs_kind kind, const struct row_ctx *rx)
{
	struct cs_reader_ctx *ctx = st->ctx;
	struct piece_cursor pc = {0, 0, 0};
	uint64_t line, col;
	size_t i = 0, pieces = 0, good = 0;
	int split = 0, rc;

	if (c->toolong) {
		cs__reject(ctx, "too-long", c->line, c->column, "cell longer than %zu bytes",
		           (size_t)CS_INTEL_MAX_VALUE);
		return CS_OK;
	}
	if (kind != CS_KIND_NONE) {
		split = splittable(kind);
	} else {
		while (i < n) {
			size_t start;

			while (i < n && value_sep((unsigned char)s[i]))
				i++;
			start = i;
			while (i < n && !value_sep((unsigned char)s[i]))
				i++;
			if (i > start) {
				pieces++;
				if (cs__guess_kind(s + start, i - start) != CS_KIND_NONE)
					good++;
			}
		}
		split = pieces > 1 && good == pieces;
	}
	if (!split) {
		const char *v = s;
		size_t vn = n;

		cs__trim(&v, &vn);
		piece_pos(c, s, &pc, (size_t)(v - s), &line, &col);
		if (vn == 0 && kind == CS_KIND_NONE)
			return CS_OK;
		return add_value(ctx, kind, v, vn, line, col, rx);
	}
	for (i = 0; i < n;) {
		size_t start;

		while (i < n && value_sep((unsigned char)s[i]))
			i++;
		start = i;
		while (i < n && !value_sep((unsigned char)s[i]))
			i++;
		if (i == start)
			continue;
		piece_pos(c, s, &pc, start, &line, &col);
		rc = add_value(ctx, kind, s + start, i - start, line, col, rx);
		if (rc)
			return rc;
	}
	return CS_OK;
}

/*
 * Resolve the columns from the first record (and the csv_column option).
 * Returns 1 when the first record is a header, 0 when it is data, or
 * CS_ERR_INVALID when the option names no column.
 */
static int csv_columns(struct csv_state *st)
{
	const struct csv_rec *r = &st->rec;
	const char *opt = st->ctx->csv_column;
	size_t i, n = r->n > CSV_MAX_CELLS ? CSV_MAX_CELLS : r->n;
	int header = looks_like_header(r);
	long named = -1;

	st->value_col = st->type_col = st->desc_col = -1;
	st->first_col = st->last_col = -1;
	st->nkind_cols = 0;
	for (i = 0; i < PCOL_N; i++)
		st->pcol[i] = -1;
	st->product_mode = 0;
	st->value_kind = CS_KIND_NONE;
	if (opt && *opt) {
		size_t ol = strlen(opt), k;
		int digits = 1;

		for (k = 0; k < ol; k++)
			digits &= cs__isdigit((unsigned char)opt[k]);
		if (!digits) {
			for (i = 0; i < n && named < 0; i++) {
				size_t len;
				const char *s = cell_text(r, i, &len);

				cs__trim(&s, &len);
				if (cs__eqi(s, len, opt))
					named = (long)i;
			}
			if (named < 0) {
				cs__diag(st->ctx, CS_SEV_ERROR, r->line, 0,
				         "no column named '%s' in the first row", opt);
				return CS_ERR_INVALID;
			}
			header = 1;
		} else {
			long v = strtol(opt, NULL, 10);

			if (v < 1 || v > CSV_MAX_CELLS) {
				cs__diag(st->ctx, CS_SEV_ERROR, 0, 0, "bad CSV column number '%s'",
				         opt);
				return CS_ERR_INVALID;
			}
			named = v - 1;
		}
	}
	if (header) {
		for (i = 0; i < n; i++) {
			size_t len;
			const char *s = cell_text(r, i, &len);
			enum cs_kind k = CS_KIND_NONE;
			enum col_role role = header_role(s, len, &k);

			if (role == ROLE_VALUE && st->value_col < 0)
				st->value_col = (long)i;
			else if (role == ROLE_TYPE && st->type_col < 0)
				st->type_col = (long)i;
			else if (role == ROLE_DESC && st->desc_col < 0)
				st->desc_col = (long)i;
			else if (role == ROLE_KIND) {
				st->kind_cols[st->nkind_cols] = (long)i;
				st->kind_of[st->nkind_cols++] = k;
			} else if (role == ROLE_LABEL && st->nlcols < CSV_LABEL_COLS) {
				st->lcol[st->nlcols] = (long)i;
				st->ltype[st->nlcols++] = (size_t)k;
			} else if (role == ROLE_FIRST_SEEN && st->first_col < 0) {
				st->first_col = (long)i;
			} else if (role == ROLE_LAST_SEEN && st->last_col < 0) {
				st->last_col = (long)i;
			} else if (role >= PCOL_FIRST && role < ROLE_NROLES &&
			           st->pcol[role - PCOL_FIRST] < 0) {
				st->pcol[role - PCOL_FIRST] = (long)i;
			}
		}
		st->product_mode = !opt && st->pcol[ROLE_PRODUCT - PCOL_FIRST] >= 0 &&
		                   st->pcol[ROLE_VERSIONS - PCOL_FIRST] >= 0;
		if (st->product_mode)
			return header;
	}
	if (named >= 0) {
		st->value_col = named;
		st->nkind_cols = 0;
		if (header && (size_t)named < n) {
			size_t len;
			const char *s = cell_text(r, (size_t)named, &len);
			enum cs_kind k = CS_KIND_NONE;

			if (header_role(s, len, &k) == ROLE_KIND)
				st->value_kind = k;
		}
		if (st->type_col == named)
			st->type_col = -1;
		if (st->desc_col == named)
			st->desc_col = -1;
	} else if (st->value_col >= 0) {
		st->nkind_cols = 0;
	} else if (st->nkind_cols == 0) {
		st->value_col = 0;
		if (header)
			cs__diag(st->ctx, CS_SEV_INFO, r->line, 0,
			         "no value column named in the header; using column 1");
	}
	return header;
}

/* Split "a|b" composite MISP types and values, one part at a time. */
static int add_typed(struct csv_state *st, const struct csv_cell *c, const char *v, size_t vn,
                     const char *t, size_t tn, const struct row_ctx *rx)
{
	const char *tbar = memchr(t, '|', tn), *vbar;
	enum cs_kind k;
	int rc;

	cs__trim(&t, &tn);
	if (tn == 0)
		return add_cell(st, c, v, vn, CS_KIND_NONE, rx);
	if (!tbar) {
		if (!type_kind(t, tn, &k)) {
			cs__reject(st->ctx, "unsupported-type", c->line, c->column,
			           "type '%.*s' is no kind of indicator we know",
			           (int)(tn > 60 ? 60 : tn), t);
			return CS_OK;
		}
		if (k == CS_KIND_NONE)
			return CS_OK;
		return add_cell(st, c, v, vn, k, rx);
	}
	vbar = memchr(v, '|', vn);
	if (!vbar) {
		cs__reject(st->ctx, "bad-value", c->line, c->column,
		           "type '%.*s' wants two values separated by '|'",
		           (int)(tn > 60 ? 60 : tn), t);
		return CS_OK;
	}
	rc = add_typed(st, c, v, (size_t)(vbar - v), t, (size_t)(tbar - t), rx);
	if (rc)
		return rc;
	/* Only the first '|' splits: the second part is the rest. */
	return add_typed(st, c, vbar + 1, vn - (size_t)(vbar + 1 - v), tbar + 1,
	                 tn - (size_t)(tbar + 1 - t), rx);
}

/* A product column's trimmed text ("" when absent). */
static const char *pcell(const struct csv_state *st, enum col_role role, size_t *len)
{
	long col = st->pcol[role - PCOL_FIRST];
	const char *s;

	*len = 0;
	if (col < 0 || (size_t)col >= st->rec.n)
		return "";
	s = cell_text(&st->rec, (size_t)col, len);
	cs__trim(&s, len);
	return s;
}

/*
 * One row of a product-version table: "vendor|product|platform|versions"
 * with the row's validity window (the compromise window) and incident
 * label.
 */
static int product_record(struct csv_state *st, const char *desc)
{
	static const enum col_role parts[] = {ROLE_VENDOR, ROLE_PRODUCT, ROLE_PLATFORM,
	                                      ROLE_VERSIONS};
	const struct csv_rec *r = &st->rec;
	long pc = st->pcol[ROLE_PRODUCT - PCOL_FIRST];
	struct cs_ind_add a;
	char label[300];
	const char *labels[1], *s;
	size_t i, len;
	int64_t t;
	int rc;

	cs__buf_reset(&st->pval);
	for (i = 0; i < CS_ARRAY_SIZE(parts); i++) {
		s = pcell(st, parts[i], &len);
		if (memchr(s, '|', len) || memchr(s, '\0', len)) {
			cs__reject(st->ctx, "bad-value", r->line, 0,
			           "product-version cells may not hold '|'");
			return CS_OK;
		}
		if ((parts[i] == ROLE_PRODUCT || parts[i] == ROLE_VERSIONS) && !len) {
			cs__reject(st->ctx, "empty", r->line, 0, "product-version row without a %s",
			           parts[i] == ROLE_PRODUCT ? "product" : "version");
			return CS_OK;
		}
		if ((i && cs__buf_addc(&st->pval, '|')) || cs__buf_add(&st->pval, s, len))
			return CS_ERR_NOMEM;
	}
	cs__ind_add_init(&a);
	a.kind = CS_KIND_PRODUCT_VERSION;
	a.value = cs__buf_cstr(&st->pval);
	a.line = r->line;
	a.column = pc >= 0 && (size_t)pc < r->n ? r->cells[pc].column : 0;
	a.description = desc && *desc ? desc : NULL;
	s = pcell(st, ROLE_VALID_FROM, &len);
	if (len && cs__parse_time(s, len, &t) == CS_OK)
		a.valid_from = t;
	else if (len)
		cs__diag(st->ctx, CS_SEV_WARN, r->line, 0, "valid_from '%.*s' is not a date",
		         (int)(len > 40 ? 40 : len), s);
	s = pcell(st, ROLE_VALID_UNTIL, &len);
	if (len && cs__parse_time(s, len, &t) == CS_OK)
		a.valid_until = t;
	else if (len)
		cs__diag(st->ctx, CS_SEV_WARN, r->line, 0, "valid_until '%.*s' is not a date",
		         (int)(len > 40 ? 40 : len), s);
	s = pcell(st, ROLE_INCIDENT, &len);
	if (len && len < 200) {
		snprintf(label, sizeof(label), "incident:%.*s", (int)len, s);
		labels[0] = label;
		a.labels = labels;
		a.nlabels = 1;
	}
	rc = cs__intel_add(st->ctx, &a);
	return rc == CS_ERR_NOMEM ? rc : CS_OK;
}

/* A first-seen or last-seen cell into *t (0 when empty or not a date,
 * which is said). */
static void row_time(struct csv_state *st, long col, const char *what, int64_t *t)
{
	const struct csv_rec *r = &st->rec;
	const char *s;
	size_t len;

	*t = 0;
	if (col < 0 || (size_t)col >= r->n)
		return;
	s = cell_text(r, (size_t)col, &len);
	cs__trim(&s, &len);
	if (len && cs__parse_time(s, len, t) != CS_OK) {
		*t = 0;
		cs__diag(st->ctx, CS_SEV_WARN, r->cells[col].line, r->cells[col].column,
		         "%s '%.*s' is not a date", what, (int)(len > 40 ? 40 : len), s);
	}
}

/*
 * The labels and window of one record: each value of a label column
 * (several split at ',', ';' or '|') becomes "type:value", at most
 * CSV_ROW_LABELS per row and CSV_LABEL_MAX bytes each.
 */
static int row_extras(struct csv_state *st, struct row_ctx *rx)
{
	const struct csv_rec *r = &st->rec;
	size_t offs[CSV_ROW_LABELS], n = 0, k, i;

	cs__buf_reset(&st->lbuf);
	for (k = 0; k < st->nlcols && n < CSV_ROW_LABELS; k++) {
		const char *s;
		size_t len;

		if ((size_t)st->lcol[k] >= r->n)
			continue;
		s = cell_text(r, (size_t)st->lcol[k], &len);
		for (i = 0; i < len && n < CSV_ROW_LABELS;) {
			const char *v;
			size_t start, vn;

			while (i < len && (s[i] == ',' || s[i] == ';' || s[i] == '|'))
				i++;
			start = i;
			while (i < len && s[i] != ',' && s[i] != ';' && s[i] != '|')
				i++;
			v = s + start;
			vn = i - start;
			cs__trim(&v, &vn);
			if (vn == 0 || vn > CSV_LABEL_MAX || memchr(v, '\0', vn))
				continue;
			offs[n++] = st->lbuf.len;
			if (cs__buf_adds(&st->lbuf, label_cols[st->ltype[k]].prefix) ||
			    cs__buf_add(&st->lbuf, v, vn) || cs__buf_addc(&st->lbuf, '\0'))
				return CS_ERR_NOMEM;
		}
	}
	for (i = 0; i < n; i++)
		st->lptr[i] = st->lbuf.data + offs[i];
	rx->labels = n ? st->lptr : NULL;
	rx->nlabels = n;
	row_time(st, st->first_col, "first_seen", &rx->valid_from);
	row_time(st, st->last_col, "last_seen", &rx->valid_until);
	return CS_OK;
}

/* Add the indicators of one data record. */
static int csv_record(struct csv_state *st)
{
	const struct csv_rec *r = &st->rec;
	struct row_ctx rx = {NULL, NULL, 0, 0, 0};
	const char *desc = NULL;
	size_t i, len;
	const char *s;
	int rc = CS_OK;

	if (st->desc_col >= 0 && (size_t)st->desc_col < r->n) {
		s = cell_text(r, (size_t)st->desc_col, &len);
		if (set_text(&st->desc, s, len))
			return CS_ERR_NOMEM;
		desc = cs__buf_cstr(&st->desc);
	}
	if (st->product_mode)
		return product_record(st, desc);
	rx.desc = desc;
	rc = row_extras(st, &rx);
	if (rc)
		return rc;
	if (st->value_col < 0) {
		for (i = 0; i < st->nkind_cols && !rc; i++) {
			size_t col = (size_t)st->kind_cols[i];

			if (col >= r->n)
				continue;
			s = cell_text(r, col, &len);
			rc = add_cell(st, &r->cells[col], s, len, st->kind_of[i], &rx);
		}
		return rc;
	}
	if ((size_t)st->value_col >= r->n) {
		cs__reject(st->ctx, "missing-column", r->line, 0,
		           "record has %zu cells, no column %ld", r->n, st->value_col + 1);
		return CS_OK;
	}
	s = cell_text(r, (size_t)st->value_col, &len);
	{
		const char *v = s;
		size_t vn = len;

		cs__trim(&v, &vn);
		if (vn == 0) {
			cs__reject(st->ctx, "empty", r->cells[st->value_col].line,
			           r->cells[st->value_col].column, "empty value cell");
			return CS_OK;
		}
	}
	if (st->type_col >= 0 && (size_t)st->type_col < r->n) {
		size_t tl;
		const char *t = cell_text(r, (size_t)st->type_col, &tl);

		return add_typed(st, &r->cells[st->value_col], s, len, t, tl, &rx);
	}
	return add_cell(st, &r->cells[st->value_col], s, len, st->value_kind, &rx);
}

/* 1 when every cell of the record is empty or blank. */
static int rec_blank(const struct csv_rec *r)
{
	size_t i, len, n = r->n > CSV_MAX_CELLS ? CSV_MAX_CELLS : r->n;

	for (i = 0; i < n; i++) {
		const char *s = cell_text(r, i, &len);

		cs__trim(&s, &len);
		if (len)
			return 0;
	}
	return 1;
}

/*
 * Read a whole table. The first non-comment record decides the columns
 * (see csv_columns); every later record adds its values. Comment lines
 * ('#' first) and blank records are skipped wherever a record starts.
 */
static int read_csv(struct cs_reader_ctx *ctx)
{
	struct csv_state *st;
	struct csv_pos p = {0, 1, 0};
	int first = 1, rc = CS_OK, got;

	st = cs__calloc(1, sizeof(*st));
	if (!st)
		return CS_ERR_NOMEM;
	st->ctx = ctx;
	rec_init(&st->rec);
	cs__buf_init(&st->desc, 0);
	cs__buf_init(&st->pval, CS_INTEL_MAX_VALUE);
	cs__buf_init(&st->lbuf, CSV_ROW_LABELS * (CSV_LABEL_MAX + 16));
	if (ctx->len >= 3 && memcmp(ctx->data, "\xef\xbb\xbf", 3) == 0)
		p.pos = p.bol = 3;
	while (rc == CS_OK) {
		uint64_t line;

		if (p.pos < ctx->len && csv_skip_line(ctx->data, ctx->len, &p))
			continue;
		line = p.line;
		got = csv_next(ctx->data, ctx->len, &p, &st->rec);
		if (got <= 0) {
			rc = got;
			break;
		}
		if (st->rec.unterminated)
			cs__diag(ctx, CS_SEV_WARN, line, 0,
			         "quoted cell never closed; read to the end of the file");
		if (st->rec.n > CSV_MAX_CELLS)
			cs__diag(ctx, CS_SEV_WARN, line, 0, "more than %d cells; the rest ignored",
			         CSV_MAX_CELLS);
		if (memchr(cs__buf_cstr(&st->rec.text), '\0', st->rec.text.len)) {
			cs__reject(ctx, "nul-byte", line, 0, "record holds a NUL byte");
			continue;
		}
		if (rec_blank(&st->rec))
			continue;
		if (first) {
			first = 0;
			rc = csv_columns(st);
			if (rc == 1) {
				rc = CS_OK;
				continue;
			}
			if (rc)
				break;
		}
		rc = csv_record(st);
	}
	rec_release(&st->rec);
	cs__buf_release(&st->desc);
	cs__buf_release(&st->pval);
	cs__buf_release(&st->lbuf);
	free(st);
	return rc;
}

/*
 * Bid: a table whose first records all have the same number (two or
 * more) of cells, or a header row we recognise, or a ".csv" name. JSON,
 * XML and binary data are never tables.
 */
static int bid_csv(const char *data, size_t len, const char *path)
{
	struct csv_rec r;
	struct csv_pos p = {0, 1, 0};
	size_t i, records = 0, width = 0;
	int consistent = 1, header = 0, ext = cs__name_ends(path, ".csv"), got;

	for (i = 0; i < len && cs__isspace((unsigned char)data[i]); i++)
		;
	if (i < len && (data[i] == '{' || data[i] == '[' || data[i] == '<'))
		return 0;
	if (memchr(data, '\0', len))
		return 0;
	rec_init(&r);
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		p.pos = p.bol = 3;
	while (records < CSV_BID_RECORDS) {
		if (p.pos < len && csv_skip_line(data, len, &p))
			continue;
		got = csv_next(data, len, &p, &r);
		if (got <= 0)
			break;
		/* The sniff window may end inside the last record. */
		if (!r.ended && records > 0)
			break;
		if (records == 0) {
			header = looks_like_header(&r);
			width = r.n;
		} else if (r.n != width) {
			consistent = 0;
		}
		records++;
	}
	rec_release(&r);
	if (records == 0)
		return ext ? 30 : 0;
	consistent = consistent && width >= 2 && (records > 1 || header);
	if (consistent && header)
		return ext ? 92 : 88;
	if (consistent && ext)
		return 80;
	if (header && ext)
		return 75;
	if (consistent)
		return 45;
	return ext ? 30 : 0;
}

/* ------------------------------------------------------------------ plain */

struct plain_line {
	const char *s;
	size_t len;
	uint64_t no;
	int complete;
};

/* The next line (CR before LF dropped, a UTF-8 BOM skipped); linear. */
static int plain_next(const char *data, size_t len, size_t *pos, uint64_t *no, struct plain_line *l)
{
	const char *nl;
	size_t start = *pos, end;

	if (start >= len)
		return 0;
	nl = memchr(data + start, '\n', len - start);
	end = nl ? (size_t)(nl - data) : len;
	*pos = nl ? end + 1 : len;
	l->s = data + start;
	l->len = end - start;
	l->no = ++*no;
	l->complete = nl != NULL;
	if (l->len && l->s[l->len - 1] == '\r')
		l->len--;
	if (start == 0 && l->len >= 3 && memcmp(l->s, "\xef\xbb\xbf", 3) == 0) {
		l->s += 3;
		l->len -= 3;
	}
	return 1;
}

/*
 * Split a plain line into a value and the text after it. Forms:
 *   value
 *   value  free text            (sha256sum: "<hash>  <name>", "<hash> *<name>")
 *   SHA256 (name) = <hash>      (sha256sum --tag; also MD5, SHA1, SHA512)
 * (*v, *vn) receive the value, (*d, *dn) the text (maybe empty), *kind
 * CS_KIND_HASH_AUTO for the --tag form, CS_KIND_NONE otherwise.
 */
static void plain_split(const char *s, size_t n, const char **v, size_t *vn, const char **d,
                        size_t *dn, enum cs_kind *kind)
{
	size_t i = 0;

	*kind = CS_KIND_NONE;
	while (i < n && !cs__isspace((unsigned char)s[i]))
		i++;
	*v = s;
	*vn = i;
	*d = s + i;
	*dn = n - i;
	if (i < n && cs__hash_key_kind(s, i) != CS_KIND_NONE && i + 1 < n && s[i + 1] == '(') {
		const char *close = NULL;
		size_t k;

		for (k = n; k > i + 2; k--) {
			if (s[k - 1] == ')' && k + 2 < n && s[k] == ' ' && s[k + 1] == '=') {
				close = s + k - 1;
				break;
			}
		}
		if (close) {
			*d = s + i + 2;
			*dn = (size_t)(close - *d);
			*v = close + 3;
			*vn = n - (size_t)(*v - s);
			*kind = CS_KIND_HASH_AUTO;
			return;
		}
	}
	cs__trim(d, dn);
	if (*dn && (**d == '*' || **d == '#')) {
		while (*dn && (**d == '*' || **d == '#' || **d == ' ')) {
			(*d)++;
			(*dn)--;
		}
	}
}

/*
 * Plain lists: one value per line; the kind of each is guessed (a value
 * no kind fits is rejected as "unknown-kind"); text after the value is
 * kept as its description.
 */
static int read_plain(struct cs_reader_ctx *ctx)
{
	struct plain_line l;
	struct cs_buf desc;
	size_t pos = 0;
	uint64_t no = 0;
	int rc = CS_OK;

	cs__buf_init(&desc, 0);
	while (rc == CS_OK && plain_next(ctx->data, ctx->len, &pos, &no, &l)) {
		const char *s = l.s, *v, *d, *nul;
		size_t n = l.len, vn, dn;
		enum cs_kind kind;

		nul = memchr(s, '\0', n);
		if (nul) {
			cs__reject(ctx, "nul-byte", l.no, (uint64_t)(nul - l.s) + 1,
			           "line holds a NUL byte");
			continue;
		}
		cs__trim(&s, &n);
		if (n == 0 || s[0] == '#')
			continue;
		plain_split(s, n, &v, &vn, &d, &dn, &kind);
		if (kind == CS_KIND_NONE && is_hash_text(v, vn))
			kind = CS_KIND_HASH_AUTO;
		rc = set_text(&desc, d, dn);
		if (!rc) {
			struct row_ctx rx = {cs__buf_cstr(&desc), NULL, 0, 0, 0};

			rc = add_value(ctx, kind, v, vn, l.no, (uint64_t)(v - l.s) + 1, &rx);
		}
	}
	cs__buf_release(&desc);
	return rc;
}

/* File names plain lists often carry. */
static const char *const plain_exts[] = {".txt",    ".lst",    ".list",    ".ioc",
                                         ".iocs",   ".sha256", ".sha1",    ".md5",
                                         ".sha512", ".hashes", ".domains", ".ips"};

/*
 * Bid: most data lines start with a value of some kind. Loki keyword
 * lists ("keywords" in the name) are not indicator lists: no bid.
 */
static int bid_plain(const char *data, size_t len, const char *path)
{
	struct plain_line l;
	size_t pos = 0, i;
	uint64_t no = 0;
	unsigned total = 0, fit = 0;
	int ext = 0;

	if (cs__name_has(path, "keyword") || memchr(data, '\0', len))
		return 0;
	for (i = 0; i < CS_ARRAY_SIZE(plain_exts); i++)
		ext |= cs__name_ends(path, plain_exts[i]);
	while (total < PLAIN_BID_LINES && plain_next(data, len, &pos, &no, &l)) {
		const char *s = l.s, *v, *d;
		size_t n = l.len, vn, dn;
		enum cs_kind kind;

		cs__trim(&s, &n);
		if (n == 0 || s[0] == '#')
			continue;
		if (!l.complete && total > 0)
			break;
		total++;
		plain_split(s, n, &v, &vn, &d, &dn, &kind);
		if (kind != CS_KIND_NONE || is_hash_text(v, vn) ||
		    cs__guess_kind(v, vn) != CS_KIND_NONE)
			fit++;
	}
	if (total == 0 || fit * 10 < total * 9)
		return 0;
	return ext ? 60 : 50;
}

const struct cs_reader cs__reader_csv = {"csv", bid_csv, read_csv};
const struct cs_reader cs__reader_plain = {"plain", bid_plain, read_plain};

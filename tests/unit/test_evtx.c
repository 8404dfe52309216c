/*
 * The native .evtx reader: events with every value type written by a
 * small writer of our own (evtx_build.h), the log hunt over such files
 * (hits with the event's time, host, id and record number; events handed
 * to on_event in file order), hostile files (cut short, bad checksums,
 * huge counts, template loops, offsets out of range, garbage between
 * records, a file growing while read), and a differential test against
 * SigmaHQ's regression data: every scalar of each .evtx's JSON twin
 * (evtx_dump's output) must be in our event with the same value.
 */
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "chainsweep/logs.h"
#include "evtx_build.h"
#include "scan/evtx_int.h"
#include "scan/logscan_int.h"
#include "testutil.h"

/* ---- collecting what the reader says ---- */

struct col {
	char ev[65536]; /* "#id t=.. host=.. id=.. ch=.. svc=..\n name=value\n..." */
	size_t o;
	char diags[8192];
	size_t d;
	unsigned n;
	uint64_t ids[64];
	struct cs__evtx_stats st;
};

static int col_event(void *ud, const struct cs_event *e)
{
	struct col *c = ud;
	size_t i;

	if (c->n < 64)
		c->ids[c->n] = e->record_id;
	c->n++;
	if (c->o > sizeof(c->ev) - 4096)
		return 0;
	c->o += (size_t)snprintf(
	        c->ev + c->o, sizeof(c->ev) - c->o,
	        "#%llu t=%lld host=%s id=%d ch=%s prov=%s svc=%s\n",
	        (unsigned long long)e->record_id, e->has_time ? (long long)e->time_ms : -1LL,
	        e->host ? e->host : "-", e->event_id, e->channel ? e->channel : "-",
	        e->provider ? e->provider : "-", e->service ? e->service : "-");
	for (i = 0; i < e->nfields && c->o < sizeof(c->ev) - 1024; i++)
		c->o += (size_t)snprintf(c->ev + c->o, sizeof(c->ev) - c->o, " %s%s=%s\n",
		                         e->fields[i].name, e->fields[i].is_null ? "(null)" : "",
		                         e->fields[i].value);
	return 0;
}

static void col_diag(void *ud, uint64_t rec, uint64_t off, const char *reason, const char *msg)
{
	struct col *c = ud;

	(void)rec;
	(void)off;
	if (c->d < sizeof(c->diags) - 512)
		c->d += (size_t)snprintf(c->diags + c->d, sizeof(c->diags) - c->d, "%s: %s\n",
		                         reason, msg);
}

static void read_mem(struct col *c, const void *p, size_t n)
{
	memset(c, 0, sizeof(*c));
	assert_int_equal(cs__evtx_read_mem("t.evtx", p, n, col_event, col_diag, c, &c->st), CS_OK);
}

/* ---- building files ---- */

#define FT0 133245576000000000ull /* 2023-03-29T10:00:00Z as FILETIME */
#define T0  1680084000000LL

struct utf16 {
	uint8_t b[512];
	size_t n;
};

static struct eb_val s16(struct utf16 *u, const char *s)
{
	struct eb_val v = {0x01, u->b, 0};

	for (u->n = 0; *s; s++) {
		u->b[u->n++] = (uint8_t)*s;
		u->b[u->n++] = 0;
	}
	v.n = u->n;
	return v;
}

struct std_arg {
	const char *const *names;
	const unsigned *types;
	unsigned nd;
};

static void std_body(struct eb_chunk *b, const void *arg)
{
	const struct std_arg *a = arg;

	eb_std_body(b, a->names, a->types, a->nd);
}

static const char *const std_names[] = {"QueryName", "Image"};
static const unsigned std_types[] = {0x01, 0x01};
static const struct std_arg std_arg = {std_names, std_types, 2};

static const uint8_t sid_system[] = {1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0};

/* A Sysmon DNS event (id 22) naming `query`. */
static void std_record(struct eb_chunk *b, uint64_t id, const char *host, const char *query)
{
	struct utf16 u[5];
	uint16_t eid = 22;
	uint64_t ft = FT0 + (id - 1) * 10000000ull, rid = id;
	struct eb_val v[9];
	size_t pos = eb_rec_begin(b, id, ft);

	v[0] = s16(&u[0], "Microsoft-Windows-Sysmon");
	v[1] = (struct eb_val){0x06, &eid, 2};
	v[2] = (struct eb_val){0x11, &ft, 8};
	v[3] = (struct eb_val){0x0a, &rid, 8};
	v[4] = s16(&u[1], "Microsoft-Windows-Sysmon/Operational");
	v[5] = s16(&u[2], host);
	v[6] = (struct eb_val){0x13, sid_system, sizeof(sid_system)};
	v[7] = s16(&u[3], query);
	v[8] = s16(&u[4], "C:\\Windows\\System32\\svchost.exe");
	eb_instance(b, &b->tmpl, std_body, &std_arg, v, 9);
	eb_rec_end(b, pos);
}

/* A file of `nchunks` chunks of `per` standard records each. Caller frees. */
static uint8_t *std_file(unsigned nchunks, unsigned per, size_t *len)
{
	uint8_t *f = calloc(1, 4096 + (size_t)nchunks * EB_CHUNK);
	struct eb_chunk *b = malloc(sizeof(*b));
	unsigned k, i;
	uint64_t id = 1;

	assert_non_null(f);
	assert_non_null(b);
	for (k = 0; k < nchunks; k++) {
		eb_chunk_init(b);
		for (i = 0; i < per; i++, id++)
			std_record(b, id, "WS01.corp.test",
			           id == 2 ? "cdn.evil-updates.test" : "www.example.org");
		eb_chunk_finish(b, id - per - 1);
		memcpy(f + 4096 + (size_t)k * EB_CHUNK, b->c, EB_CHUNK);
	}
	eb_file_header(f, nchunks, id);
	free(b);
	*len = 4096 + (size_t)nchunks * EB_CHUNK;
	return f;
}

static const char std_event1[] = "#1 t=1680084000000 host=WS01.corp.test id=22 "
                                 "ch=Microsoft-Windows-Sysmon/Operational "
                                 "prov=Microsoft-Windows-Sysmon svc=sysmon\n"
                                 " Provider_Name=Microsoft-Windows-Sysmon\n"
                                 " EventID=22\n"
                                 " TimeCreated_SystemTime=2023-03-29T10:00:00.0000000Z\n"
                                 " EventRecordID=1\n"
                                 " Channel=Microsoft-Windows-Sysmon/Operational\n"
                                 " Computer=WS01.corp.test\n"
                                 " Security_UserID=S-1-5-18\n"
                                 " QueryName=www.example.org\n"
                                 " Image=C:\\Windows\\System32\\svchost.exe\n";

static void test_basic(void **state)
{
	size_t len;
	uint8_t *f = std_file(2, 3, &len);
	struct col *c = malloc(sizeof(*c));

	(void)state;
	read_mem(c, f, len);
	assert_string_equal(c->diags, "");
	assert_int_equal(c->n, 6);
	assert_int_equal(c->ids[5], 6);
	assert_int_equal(c->st.chunks, 2);
	assert_int_equal(c->st.records, 6);
	assert_int_equal(c->st.lost, 0);
	/* The first event whole; the second (template by reference) too. */
	assert_memory_equal(c->ev, std_event1, sizeof(std_event1) - 1);
	assert_non_null(strstr(c->ev, "#2 t=1680084001000 host=WS01.corp.test id=22"));
	assert_non_null(strstr(c->ev, " QueryName=cdn.evil-updates.test\n"));
	free(c);
	free(f);
}

/* ---- every value type ---- */

static const char *const type_names[] = {"I8",    "U8",   "I16",  "U16",  "I32",     "U32",
                                         "I64",   "U64",  "R64",  "Bool", "Bin",     "Guid",
                                         "SizeT", "FT",   "ST",   "Sid",  "Hex32",   "Hex64",
                                         "Strs",  "U16s", "Ansi", "Surr", "NullOpt", "Empty"};
static const unsigned type_codes[] = {0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
                                      0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13,
                                      0x14, 0x15, 0x81, 0x86, 0x02, 0x01, 0x01, 0x01};
#define NTYPES 24

/* Body: <Event><System><EventID>%0</EventID></System><EventData> one Data
 * per type (values 1..NTYPES), a Data holding a Binary XML value
 * (NTYPES+1), text with character and entity references, an unnamed Data
 * twice </EventData></Event>. */
static void types_body(struct eb_chunk *b, const void *arg)
{
	unsigned i;

	(void)arg;
	eb_u32(b, 0x0001010f);
	eb_open(b, "Event", 0);
	eb_u8(b, 0x02);
	eb_open(b, "System", 0);
	eb_u8(b, 0x02);
	eb_elem_sub(b, "EventID", 0, 0x06);
	eb_u8(b, 0x04);
	eb_open(b, "EventData", 0);
	eb_u8(b, 0x02);
	for (i = 0; i < NTYPES; i++)
		eb_data(b, type_names[i], 1 + i, type_codes[i]);
	eb_open(b, "Nested", 0);
	eb_u8(b, 0x02);
	eb_sub(b, NTYPES + 1, 0x21, 0);
	eb_u8(b, 0x04);
	eb_open(b, "Refs", 0);
	eb_u8(b, 0x02);
	eb_text(b, "a");
	eb_u8(b, 0x48);
	eb_u16(b, 0xe9); /* é */
	eb_u8(b, 0x49);
	eb_name(b, "amp");
	eb_text(b, "b");
	eb_u8(b, 0x04);
	eb_open(b, "Data", 0);
	eb_u8(b, 0x02);
	eb_text(b, "first");
	eb_u8(b, 0x04);
	eb_open(b, "Data", 0);
	eb_u8(b, 0x02);
	eb_text(b, "second");
	eb_u8(b, 0x04);
	/* Named "", and an element without a name: unnamed items too. */
	eb_open(b, "Data", 1);
	eb_attr(b, "Name");
	eb_text(b, "");
	eb_u8(b, 0x02);
	eb_text(b, "third");
	eb_u8(b, 0x04);
	eb_open(b, "", 0);
	eb_u8(b, 0x02);
	eb_text(b, "anonymous");
	eb_u8(b, 0x04);
	eb_u8(b, 0x04);
	eb_u8(b, 0x04);
	eb_u8(b, 0x00);
}

static void inner_body(struct eb_chunk *b, const void *arg)
{
	(void)arg;
	eb_u32(b, 0x0001010f);
	eb_open(b, "Inner", 1);
	eb_attr(b, "Kind");
	eb_text(b, "nested");
	eb_u8(b, 0x02);
	eb_elem_sub(b, "Deep", 0, 0x01);
	eb_u8(b, 0x04);
	eb_u8(b, 0x00);
}

static void test_types(void **state)
{
	struct eb_chunk *b = malloc(sizeof(*b)), *in = malloc(sizeof(*in));
	uint8_t *f = calloc(1, 4096 + EB_CHUNK);
	struct col *c = malloc(sizeof(*c));
	struct eb_val v[NTYPES + 2];
	struct utf16 u[3];
	int8_t i8 = -5;
	uint8_t u8 = 200;
	int16_t i16 = -300;
	uint16_t u16v = 65000, eid = 4688, u16s[3] = {1, 2, 3};
	int32_t i32 = -70000;
	uint32_t u32v = 4000000000u, hex32 = 0xc000006du, bool1 = 1;
	int64_t i64 = -5000000000LL;
	uint64_t u64v = 18000000000000000000ull, sizet = 0x7ff6a000ull, ft = FT0 + 1234567,
	         hex64 = 0x8020000000000000ull;
	double r64 = 1.5;
	static const uint8_t bin[] = {0xde, 0xad, 0x00, 0x01};
	static const uint8_t guid[] = {0x5f, 0x38, 0x70, 0x57, 0x2a, 0xc2, 0xe0, 0x43,
	                               0xbf, 0x4c, 0x06, 0xf5, 0x69, 0x8f, 0xfb, 0xd9};
	static const uint16_t st[8] = {2023, 3, 3, 29, 10, 0, 1, 250};
	static const uint8_t sid[] = {1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0,    0, 1, 0,
	                              0, 0, 2, 0, 0, 0, 3, 0, 0,  0, 0xe9, 3, 0, 0};
	static const uint8_t strs[] = {'a', 0, 0, 0, 0, 0, 'b', 0, 'c', 0, 0, 0};
	static const uint8_t surr[] = {'x', 0, 0x3d, 0xd8, 0x00, 0xde, 0x00, 0xd8, 'y', 0};
	static const char ansi[] = "caf\xe9";
	size_t def = 0, innerdef, pos;

	(void)state;
	memset(c, 0, sizeof(*c));
	eb_chunk_init(b);
	pos = eb_rec_begin(b, 7, FT0);
	/* The nested value: a fragment holding its own template instance,
	 * written apart, at the offset it will have in the chunk. */
	v[0] = (struct eb_val){0x06, &eid, 2};
	v[1] = (struct eb_val){0x03, &i8, 1};
	v[2] = (struct eb_val){0x04, &u8, 1};
	v[3] = (struct eb_val){0x05, &i16, 2};
	v[4] = (struct eb_val){0x06, &u16v, 2};
	v[5] = (struct eb_val){0x07, &i32, 4};
	v[6] = (struct eb_val){0x08, &u32v, 4};
	v[7] = (struct eb_val){0x09, &i64, 8};
	v[8] = (struct eb_val){0x0a, &u64v, 8};
	v[9] = (struct eb_val){0x0c, &r64, 8};
	v[10] = (struct eb_val){0x0d, &bool1, 4};
	v[11] = (struct eb_val){0x0e, bin, sizeof(bin)};
	v[12] = (struct eb_val){0x0f, guid, 16};
	v[13] = (struct eb_val){0x10, &sizet, 8};
	v[14] = (struct eb_val){0x11, &ft, 8};
	v[15] = (struct eb_val){0x12, st, 16};
	v[16] = (struct eb_val){0x13, sid, sizeof(sid)};
	v[17] = (struct eb_val){0x14, &hex32, 4};
	v[18] = (struct eb_val){0x15, &hex64, 8};
	v[19] = (struct eb_val){0x81, strs, sizeof(strs)};
	v[20] = (struct eb_val){0x86, u16s, sizeof(u16s)};
	v[21] = (struct eb_val){0x02, ansi, 4};
	v[22] = (struct eb_val){0x01, surr, sizeof(surr)};
	v[23] = (struct eb_val){0x00, NULL, 0};
	v[24] = (struct eb_val){0x01, NULL, 0};
	/* Measure where the instance's values will start: write it once with
	 * a placeholder nested value, then again for real. */
	memcpy(in, b, sizeof(*b));
	v[25] = (struct eb_val){0x21, "", 0};
	eb_instance(in, &def, types_body, NULL, v, NTYPES + 2);
	innerdef = in->n; /* the nested value is the last one */
	def = 0;
	{
		struct eb_chunk *nb = malloc(sizeof(*nb));
		size_t nd = 0;
		struct eb_val iv = s16(&u[0], "value inside");

		memcpy(nb, in, sizeof(*nb));
		nb->n = innerdef;
		eb_u32(nb, 0x0001010f);
		eb_instance(nb, &nd, inner_body, NULL, &iv, 1);
		eb_u8(nb, 0x00);
		v[25] = (struct eb_val){0x21, nb->c + innerdef, nb->n - innerdef};
		eb_instance(b, &def, types_body, NULL, v, NTYPES + 2);
		assert_int_equal(b->n, nb->n);
		free(nb);
	}
	eb_rec_end(b, pos);
	eb_chunk_finish(b, 1);
	eb_file_header(f, 1, 8);
	memcpy(f + 4096, b->c, EB_CHUNK);
	if (getenv("CS_EVTX_WRITE_SEED")) {
		/* fuzz/corpus/evtx/types: this chunk up to its free space */
		FILE *sf = fopen(getenv("CS_EVTX_WRITE_SEED"), "wb");

		assert_non_null(sf);
		fputc(0x0f, sf);
		fwrite(b->c, 1, b->n, sf);
		fclose(sf);
	}
	read_mem(c, f, 4096 + EB_CHUNK);
	assert_string_equal(c->diags, "");
	assert_int_equal(c->n, 1);
	assert_string_equal(c->ev, "#7 t=1680084000000 host=- id=4688 ch=- prov=- svc=-\n"
	                           " EventID=4688\n"
	                           " I8=-5\n"
	                           " U8=200\n"
	                           " I16=-300\n"
	                           " U16=65000\n"
	                           " I32=-70000\n"
	                           " U32=4000000000\n"
	                           " I64=-5000000000\n"
	                           " U64=18000000000000000000\n"
	                           " R64=1.5\n"
	                           " Bool=true\n"
	                           " Bin=DEAD0001\n"
	                           " Guid={5770385F-C22A-43E0-BF4C-06F5698FFBD9}\n"
	                           " SizeT=0x7ff6a000\n"
	                           " FT=2023-03-29T10:00:00.1234567Z\n"
	                           " ST=2023-03-29T10:00:01.250Z\n"
	                           " Sid=S-1-5-21-1-2-3-1001\n"
	                           " Hex32=0xc000006d\n"
	                           " Hex64=0x8020000000000000\n"
	                           " Strs=a\n"
	                           " Strs=\n"
	                           " Strs=bc\n"
	                           " U16s=1\n"
	                           " U16s=2\n"
	                           " U16s=3\n"
	                           " Ansi=caf\xc3\xa9\n"
	                           " Surr=x\xf0\x9f\x98\x80\xef\xbf\xbdy\n"
	                           " NullOpt(null)=\n"
	                           " Empty=\n"
	                           " Inner_Kind=nested\n"
	                           " Deep=value inside\n"
	                           " Refs=a\xc3\xa9&b\n"
	                           " Data=first\n"
	                           " Data_2=second\n"
	                           " Data_3=third\n"
	                           " Data_4=anonymous\n");
	free(b);
	free(in);
	free(f);
	free(c);
}

/* ---- the log hunt ---- */

static const char intel_csv[] = "type,value\n"
                                "domain,evil-updates.test\n"
                                "ipv4,198.51.100.7\n";

struct hunt {
	struct cs_test_diags d; /* first: the diagnostics callback's userdata */
	struct cs_intel *in;
	struct cs_matcher *m;
	struct cs_log_result res;
	char out[8192];
	size_t o;
};

static void hunt_init(struct hunt *h)
{
	struct cs_import_stats st;

	memset(h, 0, sizeof(*h));
	h->in = cs_intel_new();
	assert_non_null(h->in);
	assert_int_equal(cs_intel_set_format(h->in, "csv"), CS_OK);
	assert_int_equal(cs_intel_import_mem(h->in, "i.csv", intel_csv, sizeof(intel_csv) - 1, &st),
	                 CS_OK);
	cs_intel_finalize(h->in);
	assert_int_equal(cs_matcher_new(h->in, NULL, NULL, &h->m), CS_OK);
}

static void hunt_free(struct hunt *h)
{
	cs_matcher_free(h->m);
	cs_intel_free(h->in);
}

static int hunt_hit(void *ud, const struct cs_log_hit *x)
{
	struct hunt *h = ud;

	h->o += (size_t)snprintf(h->out + h->o, sizeof(h->out) - h->o,
	                         "hit %s line=%llu off=%llu %s -> %s @%lld host=%s id=%d\n",
	                         x->format, (unsigned long long)x->line,
	                         (unsigned long long)x->offset, x->matched,
	                         cs_indicator_value(x->indicator), (long long)x->time_ms,
	                         x->host ? x->host : "-", x->event_id);
	return 0;
}

static int hunt_event(void *ud, const struct cs_event *e)
{
	struct hunt *h = ud;

	h->o += (size_t)snprintf(h->out + h->o, sizeof(h->out) - h->o, "event %llu %s %zu\n",
	                         (unsigned long long)e->line, e->format, e->nfields);
	return 0;
}

static void hunt_mem(struct hunt *h, const char *name, const void *p, size_t n, const char *format)
{
	struct cs_log_opts o;

	cs_log_opts_init(&o);
	o.threads = 1; /* hits and events in one order (test_threads has more) */
	o.format = format;
	o.on_hit = hunt_hit;
	o.on_event = hunt_event;
	o.on_diag = cs_test_diag_cb;
	o.userdata = h;
	h->o = 0;
	h->out[0] = '\0';
	memset(&h->d, 0, sizeof(h->d));
	assert_int_equal(cs_log_scan_mem(h->m, name, p, n, &o, &h->res), CS_OK);
}

static const char hunt_expect[] =
        "event 1 evtx 9\n"
        "hit evtx line=2 off=%s cdn.evil-updates.test -> evil-updates.test @1680084001000 "
        "host=WS01.corp.test id=22\n"
        "event 2 evtx 9\n"
        "event 3 evtx 9\n";

static void *gzip_mem(const void *p, size_t n, size_t *out)
{
	z_stream z;
	size_t cap = n + 1024;
	uint8_t *o = malloc(cap);

	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	z.next_out = o;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	*out = cap - z.avail_out;
	deflateEnd(&z);
	return o;
}


/* Every event as on_event saw it, one string each, gathered from any
 * thread; and whether some came from another thread than the reader's. */
struct evdump {
	pthread_mutex_t mu;
	pthread_t reader;
	char **v;
	size_t n, cap;
	int elsewhere;
};

static int dump_event(void *ud, const struct cs_event *e)
{
	struct evdump *d = ud;
	char buf[4096];
	size_t o, i;

	o = (size_t)snprintf(buf, sizeof(buf), "#%llu rid=%llu off=%llu t=%lld/%d host=%s id=%d "
	                     "ch=%s prov=%s svc=%s prod=%s fmt=%s file=%s",
	                     (unsigned long long)e->line, (unsigned long long)e->record_id,
	                     (unsigned long long)e->offset, (long long)e->time_ms, e->has_time,
	                     e->host ? e->host : "-", e->event_id, e->channel ? e->channel : "-",
	                     e->provider ? e->provider : "-", e->service ? e->service : "-",
	                     e->product ? e->product : "-", e->format, e->file);
	for (i = 0; i < e->nfields && o < sizeof(buf); i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, " %s=%.*s%s", e->fields[i].name,
		                      (int)e->fields[i].value_len, e->fields[i].value,
		                      e->fields[i].is_null ? "(null)" : "");
	pthread_mutex_lock(&d->mu);
	if (!pthread_equal(pthread_self(), d->reader))
		d->elsewhere = 1;
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 64;
		d->v = realloc(d->v, d->cap * sizeof(*d->v));
		assert_non_null(d->v);
	}
	d->v[d->n++] = strdup(buf);
	pthread_mutex_unlock(&d->mu);
	return 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void dump_scan(struct hunt *h, const void *f, size_t len, unsigned threads,
                      struct evdump *d)
{
	struct cs_log_opts o;

	memset(d, 0, sizeof(*d));
	pthread_mutex_init(&d->mu, NULL);
	d->reader = pthread_self();
	cs_log_opts_init(&o);
	o.threads = threads;
	o.on_event = dump_event;
	o.userdata = d;
	assert_int_equal(cs_log_scan_mem(h->m, "Sysmon.evtx", f, len, &o, &h->res), CS_OK);
	pthread_mutex_destroy(&d->mu);
	qsort(d->v, d->n, sizeof(*d->v), str_cmp);
}

static void dump_free(struct evdump *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->v[i]);
	free(d->v);
}

/* With workers, a file's events are handed to on_event on them (copied
 * out of the reader's buffers, in batches): the same events with the
 * same fields, whatever the number of threads. */
static void test_threads(void **state)
{
	struct hunt h;
	struct evdump one, more;
	size_t len, i;
	unsigned t;
	uint8_t *f = std_file(7, 45, &len);

	(void)state;
	hunt_init(&h);
	dump_scan(&h, f, len, 1, &one);
	assert_int_equal(one.n, 7 * 45);
	assert_int_equal(one.elsewhere, 0);
	assert_int_equal(h.res.lines, 7 * 45);
	for (t = 2; t <= 4; t++) {
		dump_scan(&h, f, len, t, &more);
		assert_int_equal(h.res.lines, 7 * 45);
		assert_int_equal(more.n, one.n);
		assert_int_equal(more.elsewhere, 1);
		for (i = 0; i < one.n; i++)
			assert_string_equal(more.v[i], one.v[i]);
		dump_free(&more);
	}
	dump_free(&one);
	hunt_free(&h);
	free(f);
}

static void test_hunt(void **state)
{
	struct hunt h;
	size_t len, zlen;
	uint8_t *f = std_file(1, 3, &len), *z;
	char expect[1024], off[32];
	uint8_t save[4];
	uint32_t rec1size;

	(void)state;
	hunt_init(&h);
	memcpy(&rec1size, f + 4096 + 512 + 4, 4);
	snprintf(off, sizeof(off), "%u", 4096 + 512 + rec1size);
	snprintf(expect, sizeof(expect), hunt_expect, off);
	hunt_mem(&h, "Sysmon.evtx", f, len, NULL);
	assert_string_equal(h.out, expect);
	assert_int_equal(h.res.lines, 3);
	assert_int_equal(h.res.hits, 1);
	assert_int_equal(h.res.incomplete, 0);
	assert_int_equal(h.d.n, 0);
	/* gzip'd, whatever the name */
	z = gzip_mem(f, len, &zlen);
	hunt_mem(&h, "old.log.gz", z, zlen, NULL);
	assert_string_equal(h.out, expect);
	/* Record 2 damaged (its template said to lie outside the chunk):
	 * reported, skipped, its values still searched as text: the hit has
	 * the record id, no time, host or event id. */
	memcpy(save, f + 4096 + 512 + rec1size + 34, 4);
	eb_put32(f + 4096 + 512 + rec1size + 34, 0xfff0);
	hunt_mem(&h, "Sysmon.evtx", f, len, NULL);
	assert_true(cs_test_diags_have(&h.d, "template definition offset 65520 outside"));
	assert_non_null(strstr(h.out, "event 1 evtx 9\n"
	                              "hit evtx line=2 off="));
	assert_non_null(strstr(h.out, " cdn.evil-updates.test -> evil-updates.test @0 host=- id=0\n"
	                              "event 3 evtx 9\n"));
	assert_int_equal(h.res.bad_lines, 1);
	assert_int_equal(h.res.files_failed, 1);
	memcpy(f + 4096 + 512 + rec1size + 34, save, 4);
	/* --format evtx on a file that is not one: reported, incomplete */
	hunt_mem(&h, "plain.log", "cdn.evil-updates.test\n", 22, "evtx");
	assert_string_equal(h.out, "");
	assert_true(cs_test_diags_have(&h.d, "not an .evtx file"));
	assert_int_equal(h.res.files_failed, 1);
	/* --format text on an .evtx reads it as text: no events */
	hunt_mem(&h, "Sysmon.evtx", f, len, "text");
	assert_null(strstr(h.out, "event "));
	free(z);
	free(f);
	hunt_free(&h);
}

/* ---- hostile files ---- */

static void refix(uint8_t *chunk, int header_only)
{
	uint32_t crc, free_off;

	memcpy(&free_off, chunk + 48, 4);
	if (!header_only && free_off >= 512 && free_off <= EB_CHUNK)
		eb_put32(chunk + 52, (uint32_t)crc32(0, chunk + 512, free_off - 512));
	crc = (uint32_t)crc32(0, chunk, 120);
	crc = (uint32_t)crc32(crc, chunk + 128, 384);
	eb_put32(chunk + 124, crc);
}

static void test_truncated(void **state)
{
	size_t len;
	uint8_t *f = std_file(1, 3, &len);
	struct col *c = malloc(sizeof(*c));
	uint32_t s1, s2;

	(void)state;
	memcpy(&s1, f + 4096 + 512 + 4, 4);
	memcpy(&s2, f + 4096 + 512 + s1 + 4, 4);
	/* Cut inside record 2: record 1 is read. */
	read_mem(c, f, 4096 + 512 + s1 + s2 / 2);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->st.lost, 1);
	assert_non_null(strstr(c->diags, "evtx-truncated: chunk at byte 4096 cut short at byte"));
	/* Cut after record 2: both read. */
	read_mem(c, f, 4096 + 512 + s1 + s2);
	assert_int_equal(c->n, 2);
	/* Cut inside the chunk header, inside the file header, after 3 bytes. */
	read_mem(c, f, 4096 + 300);
	assert_int_equal(c->n, 0);
	assert_non_null(strstr(c->diags, "nothing of it could be read"));
	read_mem(c, f, 2000);
	assert_non_null(strstr(c->diags, "file ends inside its header"));
	read_mem(c, f, 3);
	assert_non_null(strstr(c->diags, "not an .evtx file"));
	assert_int_equal(c->st.lost, 1);
	free(c);
	free(f);
}

static void test_checksums(void **state)
{
	size_t len;
	uint8_t *f = std_file(2, 2, &len);
	struct col *c = malloc(sizeof(*c));

	(void)state;
	/* Chunk 1's header damaged: skipped; chunk 2 read. */
	f[4096 + 16] ^= 1;
	read_mem(c, f, len);
	assert_int_equal(c->n, 2);
	assert_int_equal(c->ids[0], 3);
	assert_int_equal(c->st.bad_chunks, 1);
	assert_int_equal(c->st.lost, 1);
	assert_non_null(strstr(c->diags, "evtx-checksum: chunk at byte 4096: header checksum "
	                                 "mismatch"));
	f[4096 + 16] ^= 1;
	/* A byte of a record's text changed: reported, the records still read. */
	f[4096 + EB_CHUNK + 556] ^= 0x20; /* in the template's GUID */
	read_mem(c, f, len);
	assert_int_equal(c->n, 4);
	assert_non_null(strstr(c->diags, "chunk at byte 69632: event records checksum mismatch"));
	f[4096 + EB_CHUNK + 556] ^= 0x20;
	/* The file header's checksum: reported, chunks read. */
	f[30] ^= 1;
	read_mem(c, f, len);
	assert_int_equal(c->n, 4);
	assert_non_null(strstr(c->diags, "file header checksum mismatch"));
	assert_int_equal(c->st.lost, 0);
	free(c);
	free(f);
}

static void test_huge_counts(void **state)
{
	size_t len;
	uint8_t *f = std_file(1, 2, &len);
	struct col *c = malloc(sizeof(*c));

	(void)state;
	f[42] = f[43] = 0xff; /* 65535 chunks said */
	eb_put32(f + 124, (uint32_t)crc32(0, f, 120));
	eb_put64(f + 4096 + 16, UINT64_MAX); /* last record number */
	eb_put64(f + 4096 + 32, UINT64_MAX);
	eb_put32(f + 4096 + 44, 0xfffffff0u);
	refix(f + 4096, 1);
	read_mem(c, f, len);
	assert_string_equal(c->diags, "");
	assert_int_equal(c->n, 2);
	free(c);
	free(f);
}

/* A record whose bytes after the record header are `bx` (n bytes). */
static void raw_record(struct eb_chunk *b, uint64_t id, const uint8_t *bx, size_t n)
{
	size_t pos = eb_rec_begin(b, id, FT0);

	b->n -= 4; /* eb_rec_begin wrote a fragment header */
	memcpy(b->c + b->n, bx, n);
	b->n += n;
	eb_rec_end(b, pos);
}

/* <Event>%5</Event>: a normal substitution naming value 5. */
static void subref_body(struct eb_chunk *b, const void *arg)
{
	(void)arg;
	eb_u32(b, 0x0001010f);
	eb_open(b, "Event", 0);
	eb_u8(b, 0x02);
	eb_sub(b, 5, 0x01, 0);
	eb_u8(b, 0x04);
	eb_u8(b, 0x00);
}

/* Template loops: the definition's body holds an instance of itself
 * (once, then twice: exponential without the caps). */
static void loop_body(struct eb_chunk *b, const void *arg)
{
	const size_t *self = arg;
	int k;

	eb_u32(b, 0x0001010f);
	eb_open(b, "Event", 0);
	eb_u8(b, 0x02);
	for (k = 0; k < (int)self[1]; k++) {
		eb_u8(b, 0x0c);
		eb_u8(b, 0x01);
		eb_u32(b, 1);
		eb_u32(b, (uint32_t)self[0]);
		eb_u32(b, 0); /* no values */
	}
	eb_u8(b, 0x04);
	eb_u8(b, 0x00);
}

static void hostile_chunk(struct eb_chunk *b, int kind)
{
	size_t pos, def = 0, arg[2];
	uint8_t bx[64];

	std_record(b, 1, "WS01", "one.example");
	switch (kind) {
	case 0: /* template self-reference, once and twice */
	case 1:
		pos = eb_rec_begin(b, 2, FT0);
		arg[0] = b->n + 10; /* where the definition will start */
		arg[1] = (size_t)kind + 1;
		eb_instance(b, &def, loop_body, arg, NULL, 0);
		assert_int_equal(def, arg[0]);
		eb_rec_end(b, pos);
		break;
	case 2: /* a name offset out of the chunk */
		memcpy(bx,
		       "\x0f\x01\x01\x00\x01\xff\xff\x00\x00\x00\x00\xf0\xff\xff\xff\x02\x04\x00",
		       18);
		raw_record(b, 2, bx, 18);
		break;
	case 3: /* a template definition out of the chunk */
		memcpy(bx,
		       "\x0f\x01\x01\x00\x0c\x01\x00\x00\x00\x00\xf0\xff\x00\x00\x00\x00\x00\x00"
		       "\x00",
		       19);
		raw_record(b, 2, bx, 19);
		break;
	case 4: /* a substitution beyond the values; values beyond the record */
		pos = eb_rec_begin(b, 2, FT0);
		{
			uint16_t one = 1;
			struct eb_val v[1] = {{0x06, &one, 2}};

			eb_instance(b, &def, subref_body, NULL, v, 1);
		}
		eb_rec_end(b, pos);
		pos = eb_rec_begin(b, 3, FT0);
		eb_u8(b, 0x0c);
		eb_u8(b, 0x01);
		eb_u32(b, 1);
		eb_u32(b, (uint32_t)b->tmpl);
		eb_u32(b, 1);
		eb_u16(b, 0xfff0); /* a value of 65520 bytes */
		eb_u8(b, 0x01);
		eb_u8(b, 0);
		eb_rec_end(b, pos);
		break;
	case 5: /* garbage between two records */
		memset(b->c + b->n, 0x55, 40);
		b->n += 40;
		break;
	case 6: /* a substitution array said to hold 2^32-1 values */
		pos = eb_rec_begin(b, 2, FT0);
		eb_u8(b, 0x0c);
		eb_u8(b, 0x01);
		eb_u32(b, 1);
		eb_u32(b, (uint32_t)b->tmpl);
		eb_u32(b, 0xffffffffu);
		eb_rec_end(b, pos);
		break;
	}
	std_record(b, 9, "WS01", "nine.example");
}

static void test_hostile_binxml(void **state)
{
	static const char *const expect[] = {
	        "templates nested more than 16 deep",
	        "templates nested more than 16 deep",
	        "name offset 4294967280 outside the chunk",
	        "template definition offset 65520 outside the chunk",
	        "substitution 5 of 1 values",
	        "no valid record at byte",
	        "4294967295 substitution values",
	};
	struct eb_chunk *b = malloc(sizeof(*b));
	uint8_t *f = calloc(1, 4096 + EB_CHUNK);
	struct col *c = malloc(sizeof(*c));
	int kind;

	(void)state;
	for (kind = 0; kind < 7; kind++) {
		eb_chunk_init(b);
		hostile_chunk(b, kind);
		eb_chunk_finish(b, 1);
		eb_file_header(f, 1, 10);
		memcpy(f + 4096, b->c, EB_CHUNK);
		read_mem(c, f, 4096 + EB_CHUNK);
		if (!strstr(c->diags, expect[kind]))
			fail_msg("kind %d: %s", kind, c->diags);
		/* The records around the damaged one are read. */
		assert_true(c->n >= 2);
		assert_int_equal(c->ids[0], 1);
		assert_int_equal(c->ids[c->n - 1], 9);
		assert_int_equal(c->st.lost, 1);
		assert_true(c->st.bad_records >= 1);
		if (kind == 4)
			assert_non_null(strstr(c->diags, "runs past its data"));
	}
	free(b);
	free(f);
	free(c);
}

/* Records written after the chunk header was last updated are read while
 * they follow in sequence. */
static void test_past_free_space(void **state)
{
	struct eb_chunk *b = malloc(sizeof(*b));
	uint8_t *f = calloc(1, 4096 + EB_CHUNK);
	struct col *c = malloc(sizeof(*c));
	size_t after2;

	(void)state;
	eb_chunk_init(b);
	std_record(b, 1, "WS01", "a.example");
	std_record(b, 2, "WS01", "b.example");
	after2 = b->n;
	std_record(b, 3, "WS01", "c.example");
	eb_chunk_finish(b, 1);
	eb_put32(b->c + 48, (uint32_t)after2);
	refix(b->c, 0);
	eb_file_header(f, 1, 4);
	memcpy(f + 4096, b->c, EB_CHUNK);
	read_mem(c, f, 4096 + EB_CHUNK);
	assert_string_equal(c->diags, "");
	assert_int_equal(c->n, 3);
	assert_int_equal(c->ids[2], 3);
	free(b);
	free(f);
	free(c);
}

/* Chunks beyond the count the file header gives (a file being written
 * whose header was not updated) are read. */
static void test_beyond_chunk_count(void **state)
{
	size_t len;
	uint8_t *f = std_file(3, 2, &len);
	struct col *c = malloc(sizeof(*c));

	(void)state;
	f[42] = 1;
	f[43] = 0;
	eb_put32(f + 124, (uint32_t)crc32(0, f, 120));
	read_mem(c, f, len);
	assert_string_equal(c->diags, "");
	assert_int_equal(c->st.chunks, 3);
	assert_int_equal(c->n, 6);
	assert_int_equal(c->ids[5], 6);
	free(c);
	free(f);
}

/* A file that grows while it is read: a second chunk is appended after the
 * first read; it is read, and the file does not count as damaged. */
struct grow {
	const char *path;
	const uint8_t *more;
	size_t n;
	int done;
};

static void grow_after_read(void *ud, int fd, uint64_t raw)
{
	struct grow *g = ud;
	FILE *fp;

	(void)fd;
	(void)raw;
	if (g->done)
		return;
	g->done = 1;
	fp = fopen(g->path, "a");
	assert_non_null(fp);
	assert_int_equal(fwrite(g->more, 1, g->n, fp), g->n);
	fclose(fp);
}

static void test_growing(void **state)
{
	char dir[] = "/tmp/cs-evtx-XXXXXX", path[128];
	const char *paths[1] = {path};
	size_t len;
	uint8_t *f = std_file(2, 2, &len);
	struct grow g = {path, f + 4096 + EB_CHUNK, EB_CHUNK, 0};
	struct cs__log_test t = {.after_read = grow_after_read, .ud = &g};
	struct cs_log_opts o;
	struct hunt h;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/live.evtx", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(f, 1, 4096 + EB_CHUNK, fp), 4096 + EB_CHUNK);
	fclose(fp);
	hunt_init(&h);
	cs_log_opts_init(&o);
	o.threads = 1;
	o.on_hit = hunt_hit;
	o.on_event = hunt_event;
	o.on_diag = cs_test_diag_cb;
	o.userdata = &h;
	assert_int_equal(cs__log_scan_test(h.m, paths, 1, &o, &t, &h.res), CS_OK);
	assert_true(g.done);
	assert_int_equal(h.res.lines, 4);
	assert_int_equal(h.res.files_failed, 0);
	assert_int_equal(h.res.incomplete, 0);
	assert_non_null(strstr(h.out, "event 4 evtx"));
	unlink(path);
	rmdir(dir);
	hunt_free(&h);
	free(f);
}

/* An input over a buffer that counts the bytes read (copied) apart from
 * those passed over. */
struct counted {
	const uint8_t *p;
	size_t n, read, skipped;
};

static ptrdiff_t counted_read(void *ud, void *buf, size_t n)
{
	struct counted *m = ud;
	size_t k = m->n < n ? m->n : n;

	memcpy(buf, m->p, k);
	m->p += k;
	m->n -= k;
	m->read += k;
	return (ptrdiff_t)k;
}

static ptrdiff_t counted_skip(void *ud, size_t n)
{
	struct counted *m = ud;
	size_t k = m->n < n ? m->n : n;

	m->p += k;
	m->n -= k;
	m->skipped += k;
	return (ptrdiff_t)k;
}

static void read_counted(struct col *c, struct counted *m, const uint8_t *f, size_t len,
                         int skip)
{
	struct cs__evtx_io io;

	memset(c, 0, sizeof(*c));
	memset(m, 0, sizeof(*m));
	m->p = f;
	m->n = len;
	memset(&io, 0, sizeof(io));
	io.read = counted_read;
	io.skip = skip ? counted_skip : NULL;
	io.read_ud = m;
	io.on_event = col_event;
	io.on_diag = col_diag;
	io.ud = c;
	assert_int_equal(cs__evtx_read("t.evtx", NULL, 0, &io, &c->st), CS_OK);
}

/*
 * With an input that can skip, only the header and records of an intact
 * chunk are read, the rest passed over; the events and diagnostics are
 * those of a whole read. Near misses read whole: a chunk whose header
 * checksum is wrong (its bytes are searched as damaged), and one with a
 * record right after its free-space offset (written after the header was
 * updated), which is read; and a file cut inside the unused tail of its
 * last chunk reads the same.
 */
static void test_skip_free_space(void **state)
{
	size_t len, after2, i;
	uint8_t *f = std_file(4, 2, &len);
	struct eb_chunk *b = malloc(sizeof(*b));
	struct col *c = malloc(sizeof(*c)), *w = malloc(sizeof(*w));
	struct counted m;

	(void)state;
	read_counted(w, &m, f, len, 0);
	assert_int_equal(m.read, len);
	read_counted(c, &m, f, len, 1);
	assert_int_equal(m.read + m.skipped, len);
	assert_true(m.read < len / 4);
	assert_int_equal(c->n, 8);
	assert_int_equal(c->st.bytes, len);
	assert_string_equal(c->ev, w->ev);
	assert_string_equal(c->diags, "");

	/* Chunk 2: a bad header checksum. Chunk 3: a record past free space. */
	f[4096 + EB_CHUNK + 124] ^= 1;
	eb_chunk_init(b);
	std_record(b, 5, "WS01", "a.example");
	after2 = b->n;
	std_record(b, 6, "WS01", "b.example");
	std_record(b, 7, "WS01", "c.example");
	eb_chunk_finish(b, 4);
	eb_put32(b->c + 48, (uint32_t)after2);
	refix(b->c, 0);
	memcpy(f + 4096 + 2 * EB_CHUNK, b->c, EB_CHUNK);
	read_counted(w, &m, f, len, 0);
	read_counted(c, &m, f, len, 1);
	assert_true(m.read >= 2 * EB_CHUNK);
	assert_true(m.read < len);
	assert_string_equal(c->ev, w->ev);
	assert_string_equal(c->diags, w->diags);
	assert_non_null(strstr(c->diags, "header checksum mismatch"));
	assert_non_null(strstr(c->ev, " QueryName=c.example\n"));
	assert_int_equal(c->n, w->n);

	/* Cut inside the last chunk's free space, and inside its records. */
	for (i = 0; i < 2; i++) {
		size_t cut = i ? len - EB_CHUNK + 700 : len - 100;

		read_counted(w, &m, f, cut, 0);
		read_counted(c, &m, f, cut, 1);
		assert_int_equal(m.read + m.skipped, cut);
		assert_string_equal(c->ev, w->ev);
		assert_string_equal(c->diags, w->diags);
		assert_int_equal(c->st.lost, w->st.lost);
	}
	free(b);
	free(c);
	free(w);
	free(f);
}

/* ---- SigmaHQ's regression data against its JSON twins ---- */

struct diff {
	json_t *evs[64]; /* the twin's events */
	int used[64];
	size_t nev;
	const char *file;
	unsigned files, events, scalars, skipped, bad, errata;
	const char *data; /* the .evtx */
	size_t len;
};

static struct diff *g_diff;

static void diff_bad(struct diff *d, const char *fmt, ...) CS_PRINTF(2, 3);

static void diff_bad(struct diff *d, const char *fmt, ...)
{
	va_list ap;

	if (d->bad++ >= 40)
		return;
	print_message("%s: ", d->file);
	va_start(ap, fmt);
	vprint_message(fmt, ap);
	va_end(ap);
	print_message("\n");
}

/* A time's fraction of a second in nanoseconds ("...:SS.fffZ"), or -1. */
static long frac_ns(const char *s)
{
	size_t n = strlen(s), i;
	long v = 0, k = 0;

	if (n < 22 || s[19] != '.' || s[n - 1] != 'Z')
		return -1;
	for (i = 20; i < n - 1; i++, k++) {
		if (!cs__isdigit(s[i]) || k >= 9)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	for (; k < 9; k++)
		v *= 10;
	return v;
}

/* evtx_dump writes GUIDs without braces and times with microseconds (or
 * nanoseconds, by version); Windows (and we) with braces and 100 ns. */
static int same_value(const char *ours, const char *theirs)
{
	size_t n = strlen(ours), m = strlen(theirs);

	if (strcmp(ours, theirs) == 0)
		return 1;
	if (n == m + 2 && ours[0] == '{' && ours[n - 1] == '}' && strncmp(ours + 1, theirs, m) == 0)
		return 1;
	if (frac_ns(ours) >= 0 && frac_ns(theirs) >= 0 && strncmp(ours, theirs, 19) == 0 &&
	    frac_ns(ours) / 1000 == frac_ns(theirs) / 1000)
		return 1;
	return 0;
}

/* Whether the file's bytes hold s in UTF-16LE. */
static int holds_utf16(const char *data, size_t len, const char *s)
{
	char u[1024];
	size_t n = 0;

	for (; *s && n + 2 <= sizeof(u); s++) {
		u[n++] = *s;
		u[n++] = 0;
	}
	return memmem(data, len, u, n) != NULL;
}

static void cmp(struct diff *d, const struct cs_event *e, const char *name, json_t *v)
{
	char buf[64];
	const char *want;
	size_t i;

	d->scalars++;
	if (json_is_null(v))
		want = "";
	else if (json_is_integer(v))
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v)), want = buf;
	else if (json_is_string(v))
		want = json_string_value(v);
	else if (json_is_true(v) || json_is_false(v))
		want = json_is_true(v) ? "true" : "false";
	else {
		diff_bad(d, "record %llu: %s is a %d", (unsigned long long)e->record_id, name,
		         json_typeof(v));
		return;
	}
	for (i = 0; i < e->nfields; i++)
		if (strcmp(e->fields[i].name, name) == 0 && same_value(e->fields[i].value, want))
			return;
	{
		const struct cs_event_field *f = cs_event_get(e, name);

		/* A twin edited by hand: the .evtx holds our value, not its. */
		if (f && strcasecmp(f->value, want) == 0 &&
		    holds_utf16(d->data, d->len, f->value) && !holds_utf16(d->data, d->len, want)) {
			print_message("%s: record %llu: %s: the twin says %s, the file holds %s "
			              "(twin erratum)\n",
			              d->file, (unsigned long long)e->record_id, name, want,
			              f->value);
			d->errata++;
			return;
		}
		diff_bad(d, "record %llu: %s: ours %s, evtx_dump's %s",
		         (unsigned long long)e->record_id, name, f ? f->value : "(none)", want);
	}
}

/* An element's JSON: "#attributes" as Element_Attribute (xmlns left out:
 * a namespace, not data), "#text" or a scalar as the element, children by
 * their own names. */
static void cmp_elem(struct diff *d, const struct cs_event *e, const char *name, json_t *v)
{
	const char *k;
	json_t *x;
	char nm[256];

	if (!json_is_object(v)) {
		if (json_is_array(v)) {
			size_t i;
			json_t *it;

			json_array_foreach(v, i, it) cmp_elem(d, e, name, it);
		} else {
			cmp(d, e, name, v);
		}
		return;
	}
	json_object_foreach(v, k, x)
	{
		if (strcmp(k, "#attributes") == 0) {
			const char *a;
			json_t *av;

			json_object_foreach(x, a, av)
			{
				if (strcmp(a, "xmlns") == 0) {
					d->skipped++;
					continue;
				}
				snprintf(nm, sizeof(nm), "%s_%s", name, a);
				cmp(d, e, nm, av);
			}
		} else if (strcmp(k, "#text") == 0) {
			cmp_elem(d, e, name, x);
		} else {
			cmp_elem(d, e, k, x);
		}
	}
}

static int diff_event(void *ud, const struct cs_event *e)
{
	struct diff *d = ud;
	size_t i;

	d->events++;
	for (i = 0; i < d->nev; i++) {
		json_t *sys = json_object_get(json_object_get(d->evs[i], "Event"), "System");
		json_t *rid = json_object_get(sys, "EventRecordID");

		if (!d->used[i] && json_is_integer(rid) &&
		    (uint64_t)json_integer_value(rid) == e->record_id)
			break;
	}
	if (i == d->nev) {
		diff_bad(d, "record %llu: not in the JSON twin", (unsigned long long)e->record_id);
		return 0;
	}
	d->used[i] = 1;
	{
		json_t *ev = json_object_get(d->evs[i], "Event");
		const char *k;
		json_t *x;

		json_object_foreach(ev, k, x)
		{
			if (strcmp(k, "#attributes") == 0)
				d->skipped++;
			else
				cmp_elem(d, e, k, x);
		}
	}
	if (strcmp(e->format, "evtx") || strcmp(e->product, "windows") || !e->has_time ||
	    !e->host || !e->channel || !e->event_id)
		diff_bad(d, "record %llu: event summary incomplete",
		         (unsigned long long)e->record_id);
	return 0;
}

static void diff_diag(void *ud, uint64_t rec, uint64_t off, const char *reason, const char *msg)
{
	(void)rec;
	(void)off;
	diff_bad(ud, "%s: %s", reason, msg);
}

static int diff_file(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	struct diff *d = g_diff;
	size_t n = strlen(path), len, jlen, at = 0, i;
	char json[4096];
	char *data, *js;
	struct cs__evtx_stats st;

	(void)sb;
	(void)ftw;
	if (type != FTW_F || n < 5 || strcmp(path + n - 5, ".evtx") != 0)
		return 0;
	snprintf(json, sizeof(json), "%.*s.json", (int)(n - 5), path);
	if (access(json, R_OK) != 0)
		return 0;
	d->files++;
	d->file = path;
	d->nev = 0;
	memset(d->used, 0, sizeof(d->used));
	js = cs_test_slurp(json, &jlen);
	while (at < jlen && d->nev < 64) {
		json_error_t err;
		json_t *o;

		while (at < jlen && strchr(" \t\r\n", js[at]))
			at++;
		if (at >= jlen)
			break;
		o = json_loadb(js + at, jlen - at, JSON_DISABLE_EOF_CHECK, &err);
		if (!o) {
			diff_bad(d, "twin does not parse: %s", err.text);
			break;
		}
		d->evs[d->nev++] = o;
		at += err.position;
	}
	data = cs_test_slurp(path, &len);
	d->data = data;
	d->len = len;
	assert_int_equal(cs__evtx_read_mem(path, data, len, diff_event, diff_diag, d, &st), CS_OK);
	for (i = 0; i < d->nev; i++) {
		if (!d->used[i])
			diff_bad(d, "a twin event was not read");
		json_decref(d->evs[i]);
	}
	free(data);
	free(js);
	return 0;
}

static void test_regression_data(void **state)
{
	const char *dir = CS_TEST_REAL_WORLD("sigma/regression_data");
	struct diff *d = calloc(1, sizeof(*d));

	(void)state;
	g_diff = d;
	assert_int_equal(nftw(dir, diff_file, 16, FTW_PHYS), 0);
	print_message("evtx vs evtx_dump: %u files, %u events, %u values compared, %u left out "
	              "(xmlns), %u twin errata, %u differ\n",
	              d->files, d->events, d->scalars, d->skipped, d->errata, d->bad);
	assert_int_equal(d->bad, 0);
	assert_true(d->errata <= 1);
	assert_true(d->files >= 170);
	assert_true(d->events >= 200);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_basic),
	        cmocka_unit_test(test_types),
	        cmocka_unit_test(test_hunt),
	        cmocka_unit_test(test_threads),
	        cmocka_unit_test(test_truncated),
	        cmocka_unit_test(test_checksums),
	        cmocka_unit_test(test_huge_counts),
	        cmocka_unit_test(test_hostile_binxml),
	        cmocka_unit_test(test_past_free_space),
	        cmocka_unit_test(test_beyond_chunk_count),
	        cmocka_unit_test(test_growing),
	        cmocka_unit_test(test_skip_free_space),
	        cmocka_unit_test(test_regression_data),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

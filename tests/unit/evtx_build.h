/*
 * A small writer of .evtx files for the tests: a file header, 64 KiB
 * chunks, event records whose Binary XML is a template instance (its
 * definition inline the first time, referred to by offset afterwards)
 * with typed substitution values, and correct CRC32s. The tests damage
 * what it writes to make hostile files.
 */
#ifndef CS_EVTX_BUILD_H
#define CS_EVTX_BUILD_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define EB_CHUNK 65536

struct eb_chunk {
	uint8_t c[EB_CHUNK];
	size_t n;            /* write position */
	uint64_t first, last; /* record ids */
	size_t last_rec;
	size_t tmpl; /* offset of the standard template's definition, 0: none yet */
};

static void eb_u8(struct eb_chunk *b, unsigned v)
{
	b->c[b->n++] = (uint8_t)v;
}

static void eb_u16(struct eb_chunk *b, unsigned v)
{
	eb_u8(b, v & 0xff);
	eb_u8(b, (v >> 8) & 0xff);
}

static void eb_u32(struct eb_chunk *b, uint32_t v)
{
	eb_u16(b, v & 0xffff);
	eb_u16(b, v >> 16);
}

static void eb_u64(struct eb_chunk *b, uint64_t v)
{
	eb_u32(b, (uint32_t)v);
	eb_u32(b, (uint32_t)(v >> 32));
}

static void eb_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void eb_put64(uint8_t *p, uint64_t v)
{
	eb_put32(p, (uint32_t)v);
	eb_put32(p + 4, (uint32_t)(v >> 32));
}

/* An ASCII string as UTF-16LE, without a NUL. */
static void eb_utf16(struct eb_chunk *b, const char *s)
{
	while (*s)
		eb_u16(b, (unsigned char)*s++);
}

/* A name stored inline: its offset is where it starts. */
static void eb_name(struct eb_chunk *b, const char *s)
{
	eb_u32(b, (uint32_t)(b->n + 4));
	eb_u32(b, 0);
	eb_u16(b, 0);
	eb_u16(b, (unsigned)strlen(s));
	eb_utf16(b, s);
	eb_u16(b, 0);
}

static void eb_open(struct eb_chunk *b, const char *name, int attrs)
{
	eb_u8(b, attrs ? 0x41 : 0x01);
	eb_u16(b, 0xffff);
	eb_u32(b, 0); /* data size: not needed by the reader */
	eb_name(b, name);
	if (attrs)
		eb_u32(b, 0);
}

static void eb_attr(struct eb_chunk *b, const char *name)
{
	eb_u8(b, 0x06);
	eb_name(b, name);
}

static void eb_text(struct eb_chunk *b, const char *s)
{
	eb_u8(b, 0x05);
	eb_u8(b, 0x01);
	eb_u16(b, (unsigned)strlen(s));
	eb_utf16(b, s);
}

static void eb_sub(struct eb_chunk *b, unsigned id, unsigned type, int optional)
{
	eb_u8(b, optional ? 0x0e : 0x0d);
	eb_u16(b, id);
	eb_u8(b, type);
}

/* <name>%id</name> */
static void eb_elem_sub(struct eb_chunk *b, const char *name, unsigned id, unsigned type)
{
	eb_open(b, name, 0);
	eb_u8(b, 0x02);
	eb_sub(b, id, type, 1);
	eb_u8(b, 0x04);
}

/* <Data Name="name">%id</Data> */
static void eb_data(struct eb_chunk *b, const char *name, unsigned id, unsigned type)
{
	eb_open(b, "Data", 1);
	eb_attr(b, "Name");
	eb_text(b, name);
	eb_u8(b, 0x02);
	eb_sub(b, id, type, 1);
	eb_u8(b, 0x04);
}

/*
 * The standard template's body: a Sysmon-like event with
 *   0 Provider_Name (string)   1 EventID (uint16)   2 SystemTime (FILETIME)
 *   3 EventRecordID (uint64)   4 Channel (string)   5 Computer (string)
 *   6 Security_UserID (SID)    7..(7+nd-1) EventData items named by `names`
 */
static void eb_std_body(struct eb_chunk *b, const char *const *names, const unsigned *types,
                        unsigned nd)
{
	unsigned i;

	eb_u32(b, 0x0001010f); /* fragment header */
	eb_open(b, "Event", 1);
	eb_attr(b, "xmlns");
	eb_text(b, "http://schemas.microsoft.com/win/2004/08/events/event");
	eb_u8(b, 0x02);
	eb_open(b, "System", 0);
	eb_u8(b, 0x02);
	eb_open(b, "Provider", 1);
	eb_attr(b, "Name");
	eb_sub(b, 0, 0x01, 1);
	eb_u8(b, 0x03);
	eb_elem_sub(b, "EventID", 1, 0x06);
	eb_open(b, "TimeCreated", 1);
	eb_attr(b, "SystemTime");
	eb_sub(b, 2, 0x11, 1);
	eb_u8(b, 0x03);
	eb_elem_sub(b, "EventRecordID", 3, 0x0a);
	eb_elem_sub(b, "Channel", 4, 0x01);
	eb_elem_sub(b, "Computer", 5, 0x01);
	eb_open(b, "Security", 1);
	eb_attr(b, "UserID");
	eb_sub(b, 6, 0x13, 1);
	eb_u8(b, 0x03);
	eb_u8(b, 0x04); /* System */
	eb_open(b, "EventData", 0);
	eb_u8(b, 0x02);
	for (i = 0; i < nd; i++)
		eb_data(b, names[i], 7 + i, types[i]);
	eb_u8(b, 0x04); /* EventData */
	eb_u8(b, 0x04); /* Event */
	eb_u8(b, 0x00);
}

/* One substitution value: type and bytes. */
struct eb_val {
	unsigned type;
	const void *p;
	size_t n;
};

/* A template instance: the definition inline (writing the body with
 * `body`) when *def is 0, else referred to at *def; then the values. */
static void eb_instance(struct eb_chunk *b, size_t *def,
                        void (*body)(struct eb_chunk *, const void *), const void *body_arg,
                        const struct eb_val *v, unsigned nv)
{
	unsigned i;

	eb_u8(b, 0x0c);
	eb_u8(b, 0x01);
	eb_u32(b, 0x1234);
	if (!*def) {
		size_t szpos, start;

		*def = b->n + 4;
		eb_u32(b, (uint32_t)*def);
		eb_u32(b, 0);             /* next definition */
		eb_u64(b, 0x1122334455667788ull);
		eb_u64(b, 0x99aabbccddeeff00ull); /* GUID */
		szpos = b->n;
		eb_u32(b, 0);
		start = b->n;
		body(b, body_arg);
		eb_put32(b->c + szpos, (uint32_t)(b->n - start));
	} else {
		eb_u32(b, (uint32_t)*def);
	}
	eb_u32(b, nv);
	for (i = 0; i < nv; i++) {
		eb_u16(b, (unsigned)v[i].n);
		eb_u8(b, v[i].type);
		eb_u8(b, 0);
	}
	for (i = 0; i < nv; i++) {
		memcpy(b->c + b->n, v[i].p, v[i].n);
		b->n += v[i].n;
	}
}

static void eb_chunk_init(struct eb_chunk *b)
{
	memset(b, 0, sizeof(*b));
	b->n = 512;
}

/* Start a record (id, written time); returns its offset for eb_rec_end. */
static size_t eb_rec_begin(struct eb_chunk *b, uint64_t id, uint64_t written)
{
	size_t pos = b->n;

	eb_u32(b, 0x00002a2a);
	eb_u32(b, 0);
	eb_u64(b, id);
	eb_u64(b, written);
	eb_u32(b, 0x0001010f);
	if (!b->first)
		b->first = id;
	b->last = id;
	b->last_rec = pos;
	return pos;
}

static void eb_rec_end(struct eb_chunk *b, size_t pos)
{
	uint32_t size;

	eb_u8(b, 0x00);
	while ((b->n - pos + 4) % 8)
		eb_u8(b, 0);
	size = (uint32_t)(b->n - pos + 4);
	eb_u32(b, size);
	eb_put32(b->c + pos + 4, size);
}

/* Header fields and both checksums. */
static void eb_chunk_finish(struct eb_chunk *b, uint64_t num0)
{
	uint8_t *c = b->c;
	uint32_t crc;

	memcpy(c, "ElfChnk", 8);
	eb_put64(c + 8, num0);
	eb_put64(c + 16, num0 + (b->last - b->first));
	eb_put64(c + 24, b->first);
	eb_put64(c + 32, b->last);
	eb_put32(c + 40, 128);
	eb_put32(c + 44, (uint32_t)b->last_rec);
	eb_put32(c + 48, (uint32_t)b->n);
	eb_put32(c + 52, (uint32_t)crc32(0, c + 512, (uInt)(b->n - 512)));
	crc = (uint32_t)crc32(0, c, 120);
	crc = (uint32_t)crc32(crc, c + 128, 384);
	eb_put32(c + 124, crc);
}

static void eb_file_header(uint8_t *h, unsigned nchunks, uint64_t next_id)
{
	memset(h, 0, 4096);
	memcpy(h, "ElfFile", 8);
	eb_put64(h + 8, 0);
	eb_put64(h + 16, nchunks ? nchunks - 1 : 0);
	eb_put64(h + 24, next_id);
	eb_put32(h + 32, 128);
	h[36] = 2;
	h[38] = 3;
	h[40] = 0x00;
	h[41] = 0x10;
	h[42] = (uint8_t)nchunks;
	h[43] = (uint8_t)(nchunks >> 8);
	eb_put32(h + 124, (uint32_t)crc32(0, h, 120));
}

#endif

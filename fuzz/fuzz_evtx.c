/*
 * libFuzzer target for the native .evtx reader (lib/scan/evtx.c).
 *
 * The first byte steers: bit 0, the rest is chunks only (a valid file
 * header is put before them); bit 1, each chunk's checksums are
 * recomputed, so that mutations get past them into the Binary XML; bit 2,
 * the last chunk is padded with zeros to 64 KiB; bit 3, the file also goes
 * through the log hunt (cs_log_scan_mem with events and a matcher).
 *
 * Invariants: the reader returns CS_OK; every event has its format, file
 * and fields whose names are non-empty and whose values are NUL-terminated
 * at their stated length; every diagnostic has a reason and a message;
 * the counts agree with what was delivered.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "chainsweep/logs.h"
#include "scan/evtx_int.h"

#define CHUNK 65536

static struct cs_intel *in;
static struct cs_matcher *m;

static const char intel[] = "type,value\n"
                            "domain,journalide.test\n"
                            "ipv4,198.51.100.7\n";

static void setup(void)
{
	struct cs_import_stats st;

	in = cs_intel_new();
	cs_intel_set_format(in, "csv");
	cs_intel_import_mem(in, "intel.csv", intel, sizeof(intel) - 1, &st);
	cs_intel_finalize(in);
	if (cs_matcher_new(in, NULL, NULL, &m) != CS_OK)
		__builtin_trap();
}

static uint64_t events;

static int on_event(void *ud, const struct cs_event *e)
{
	size_t i;

	(void)ud;
	if (!e->file || !e->format || strcmp(e->format, "evtx") || !e->nfields || !e->fields)
		__builtin_trap();
	for (i = 0; i < e->nfields; i++) {
		const struct cs_event_field *f = &e->fields[i];

		if (!f->name || !f->name[0] || !f->value || f->value[f->value_len] != '\0')
			__builtin_trap();
	}
	if (e->host && strlen(e->host) > (size_t)1 << 23)
		__builtin_trap();
	events++;
	return 0;
}

static void on_diag(void *ud, uint64_t rec, uint64_t off, const char *reason, const char *msg)
{
	(void)ud;
	(void)rec;
	(void)off;
	if (!reason || !reason[0] || !msg || !msg[0])
		__builtin_trap();
}

static int on_hit(void *ud, const struct cs_log_hit *h)
{
	(void)ud;
	if (!h->indicator || !h->matched || strcmp(h->format, "evtx"))
		__builtin_trap();
	return 0;
}

static void on_log_diag(void *ud, const struct cs_diag *d)
{
	(void)ud;
	if (!d->message || !d->message[0])
		__builtin_trap();
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void fix_chunk(uint8_t *c, size_t n)
{
	uint32_t free_off, crc;

	if (n < 512)
		return;
	free_off = (uint32_t)c[48] | (uint32_t)c[49] << 8 | (uint32_t)c[50] << 16 |
	           (uint32_t)c[51] << 24;
	if (free_off >= 512 && free_off <= n)
		put32(c + 52, (uint32_t)crc32(0, c + 512, free_off - 512));
	crc = (uint32_t)crc32(0, c, 120);
	crc = (uint32_t)crc32(crc, c + 128, 384);
	put32(c + 124, crc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs__evtx_stats st;
	unsigned flags;
	size_t hdr, n, len, k;
	uint8_t *buf;
	int rc;

	if (!m)
		setup();
	if (size < 1)
		return 0;
	flags = data[0];
	data++;
	size--;
	hdr = flags & 1 ? 4096 : 0;
	n = size;
	if (flags & 4)
		n = (size + CHUNK - 1) / CHUNK * CHUNK;
	len = hdr + n;
	buf = calloc(1, len ? len : 1);
	if (!buf)
		return 0;
	memcpy(buf + hdr, data, size);
	if (hdr) {
		memcpy(buf, "ElfFile", 8);
		put32(buf + 32, 128);
		buf[36] = 2;
		buf[38] = 3;
		buf[41] = 0x10;
		buf[42] = (uint8_t)(n / CHUNK);
		put32(buf + 124, (uint32_t)crc32(0, buf, 120));
	}
	if (flags & 2)
		for (k = hdr ? hdr : 4096; k < len; k += CHUNK)
			fix_chunk(buf + k, len - k < CHUNK ? len - k : CHUNK);
	events = 0;
	rc = cs__evtx_read_mem("fuzz.evtx", buf, len, on_event, on_diag, NULL, &st);
	if (rc != CS_OK || st.records != events || st.bytes > len)
		__builtin_trap();
	if (flags & 8) {
		struct cs_log_opts o;
		struct cs_log_result r;

		cs_log_opts_init(&o);
		o.threads = 1;
		o.on_hit = on_hit;
		o.on_event = on_event;
		o.on_diag = on_log_diag;
		if (cs_log_scan_mem(m, "fuzz.evtx", buf, len, &o, &r) != CS_OK)
			__builtin_trap();
	}
	free(buf);
	return 0;
}

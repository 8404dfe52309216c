/*
 * The 7z header check (sevenz_int.h): what a 7z archive's coders would
 * make a decoder allocate, read before libarchive opens the archive.
 *
 * The format (7-Zip's 7zFormat.txt): a 32-byte signature header (magic,
 * version, the CRC of the 20 bytes after it, which give the offset, size
 * and CRC of the next header), then the next header at 32 + offset. That
 * header is either the archive's header (kHeader) or a StreamsInfo that
 * says where the real header lies packed (kEncodedHeader). We read only
 * what leads to the folders: archive properties are skipped by their
 * sizes, the files list is never read. Every count is capped, every read
 * checked against the bytes there are; the one allocation is the decoded
 * header, capped by CS__7Z_HEADER_MAX.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lzma.h>
#include <zlib.h>

#include "scan/sevenz_int.h"

enum {
	K_END = 0x00,
	K_HEADER = 0x01,
	K_ARCHIVE_PROPERTIES = 0x02,
	K_ADDITIONAL_STREAMS = 0x03,
	K_MAIN_STREAMS = 0x04,
	K_FILES_INFO = 0x05,
	K_PACK_INFO = 0x06,
	K_UNPACK_INFO = 0x07,
	K_SUBSTREAMS_INFO = 0x08,
	K_SIZE = 0x09,
	K_CRC = 0x0a,
	K_FOLDER = 0x0b,
	K_CODERS_UNPACK_SIZE = 0x0c,
	K_ENCODED_HEADER = 0x17,
};

/* A header being read: its bytes, where we are, and for messages what
 * it is ("header", "decoded header"). */
struct rd {
	const unsigned char *p;
	size_t n, i;
	const char *what;
};

/* What the encoded header's own folder (its first) needs to be decoded. */
struct hfolder {
	unsigned coders;
	unsigned char id[8];
	unsigned id_len;
	const unsigned char *props;
	size_t props_len;
	uint64_t unpack; /* its output size */
	int crc_defined;
	uint32_t crc;
	int encrypted; /* an AES coder in it */
};

/* The parse: the verdict being built and, for the encoded header, its
 * first folder and packed stream. */
struct ctx {
	struct cs__7z_check *r;
	uint64_t cap;
	int in_header;
	struct hfolder hf;
	uint64_t pack_pos, pack_size;
	uint64_t packs;
};

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Marks the verdict BAD with a message (the first one wins). */
static int bad(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->r->status == CS__7Z_OK) {
		c->r->status = CS__7Z_BAD;
		va_start(ap, fmt);
		vsnprintf(c->r->why, sizeof(c->r->why), fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int cut(struct ctx *c, const struct rd *d)
{
	return bad(c, "the %s ends early (at its byte %zu of %zu)", d->what, d->i, d->n);
}

static int byte(struct ctx *c, struct rd *d, unsigned *v)
{
	*v = 0;
	if (d->i >= d->n)
		return cut(c, d);
	*v = d->p[d->i++];
	return 0;
}

/* A 7z number: the first byte's leading one bits say how many bytes
 * follow (little-endian), its remaining bits are the high part. */
static int num(struct ctx *c, struct rd *d, uint64_t *v)
{
	unsigned first, mask = 0x80, k;
	uint64_t x = 0;

	*v = 0;
	if (byte(c, d, &first))
		return -1;
	for (k = 0; k < 8; k++) {
		unsigned b;

		if (!(first & mask)) {
			x |= (uint64_t)(first & (mask - 1)) << (8 * k);
			*v = x;
			return 0;
		}
		if (byte(c, d, &b))
			return -1;
		x |= (uint64_t)b << (8 * k);
		mask >>= 1;
	}
	*v = x;
	return 0;
}

static int skip(struct ctx *c, struct rd *d, uint64_t len)
{
	if (len > d->n - d->i)
		return cut(c, d);
	d->i += (size_t)len;
	return 0;
}

static int expect(struct ctx *c, struct rd *d, unsigned want, const char *where)
{
	unsigned v;

	if (byte(c, d, &v))
		return -1;
	if (v != want)
		return bad(c, "property 0x%02x where %s was expected (byte %zu of the %s)", v, where,
		           d->i - 1, d->what);
	return 0;
}

/* A digest list over `count` items: which are defined, then their CRCs.
 * The first item's CRC is kept when wanted. */
static int digests(struct ctx *c, struct rd *d, uint64_t count, int *def0, uint32_t *crc0)
{
	unsigned all;
	uint64_t defined = 0, k;
	int first = 0;

	if (byte(c, d, &all))
		return -1;
	if (all) {
		defined = count;
		first = count > 0;
	} else {
		uint64_t len = (count + 7) / 8;

		if (len > d->n - d->i)
			return cut(c, d);
		for (k = 0; k < count; k++)
			defined += d->p[d->i + k / 8] >> (7 - k % 8) & 1;
		first = count > 0 && (d->p[d->i] & 0x80);
		d->i += (size_t)len;
	}
	if (defined > (d->n - d->i) / 4)
		return cut(c, d);
	if (first && def0) {
		*def0 = 1;
		*crc0 = le32(d->p + d->i);
	}
	d->i += (size_t)defined * 4;
	return 0;
}

/* The name of a coder id, for messages. */
static const char *coder_name(const unsigned char *id, unsigned len)
{
	static const struct {
		unsigned len;
		const char *id, *name;
	} names[] = {
	        {1, "\x00", "Copy"},
	        {1, "\x03", "Delta"},
	        {1, "\x21", "LZMA2"},
	        {3, "\x03\x01\x01", "LZMA"},
	        {3, "\x03\x04\x01", "PPMd"},
	        {3, "\x04\x01\x08", "Deflate"},
	        {3, "\x04\x01\x09", "Deflate64"},
	        {3, "\x04\x02\x02", "BZip2"},
	        {4, "\x03\x03\x01\x03", "BCJ"},
	        {4, "\x03\x03\x01\x1b", "BCJ2"},
	        {4, "\x06\xf1\x07\x01", "AES"},
	        {4, "\x04\xf7\x11\x01", "Zstandard"},
	};
	size_t k;

	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (names[k].len == len && memcmp(names[k].id, id, len) == 0)
			return names[k].name;
	return "a coder";
}

/*
 * What one coder would allocate, from its id and properties: an LZMA
 * dictionary (props 5 bytes: a byte, then the size), an LZMA2 dictionary
 * (props one byte: 2 or 3 times a power of two), a PPMd model (props 5
 * bytes: the order, then the size). Other coders libarchive has hold
 * small fixed buffers (BZip2's ~7.6 MB the largest) or bound their own
 * window (Zstandard's default decoder limit). -1 (BAD) for properties
 * the decoder would refuse anyway.
 */
static int demand(struct ctx *c, const unsigned char *id, unsigned id_len,
                  const unsigned char *props, size_t props_len, uint64_t *out)
{
	*out = 0;
	if (id_len == 1 && id[0] == 0x21) {
		if (props_len < 1)
			return bad(c, "an LZMA2 coder without its properties");
		if (props[0] > 40)
			return bad(c, "an LZMA2 dictionary byte of %u (at most 40)", props[0]);
		*out = props[0] == 40 ? 0xffffffffull
		                      : (uint64_t)(2 | (props[0] & 1)) << (props[0] / 2 + 11);
	} else if (id_len == 3 && memcmp(id, "\x03\x01\x01", 3) == 0) {
		if (props_len < 5)
			return bad(c, "an LZMA coder with %zu property bytes (5 needed)", props_len);
		*out = le32(props + 1);
	} else if (id_len == 3 && memcmp(id, "\x03\x04\x01", 3) == 0) {
		if (props_len < 5)
			return bad(c, "a PPMd coder with %zu property bytes (5 needed)", props_len);
		*out = le32(props + 1);
	}
	return 0;
}

/* One folder: its coders (each checked against the cap), bind pairs and
 * packed stream indexes. Its total of output streams goes to *outs. */
static int folder(struct ctx *c, struct rd *d, uint64_t index, uint64_t *outs)
{
	uint64_t ncoders, ins = 0, k, bind, packed;

	*outs = 0;
	if (num(c, d, &ncoders))
		return -1;
	if (ncoders == 0 || ncoders > CS__7Z_CODERS_MAX)
		return bad(c, "folder %llu has %llu coders (1 to %u)", (unsigned long long)index,
		           (unsigned long long)ncoders, CS__7Z_CODERS_MAX);
	for (k = 0; k < ncoders; k++) {
		unsigned flags, id_len;
		const unsigned char *id, *props = NULL;
		uint64_t nin = 1, nout = 1, plen = 0, want;

		if (byte(c, d, &flags))
			return -1;
		id_len = flags & 0x0f;
		if (flags & 0x80)
			return bad(c, "folder %llu: a coder with alternative methods (flags 0x%02x)",
			           (unsigned long long)index, flags);
		if (id_len > 8)
			return bad(c, "folder %llu: a coder id of %u bytes", (unsigned long long)index,
			           id_len);
		if (id_len > d->n - d->i)
			return cut(c, d);
		id = d->p + d->i;
		d->i += id_len;
		if (flags & 0x10) {
			if (num(c, d, &nin) || num(c, d, &nout))
				return -1;
			if (nin == 0 || nout == 0 || nin > CS__7Z_STREAMS_MAX ||
			    nout > CS__7Z_STREAMS_MAX)
				return bad(c, "folder %llu: a coder with %llu in and %llu out streams",
				           (unsigned long long)index, (unsigned long long)nin,
				           (unsigned long long)nout);
		}
		if (flags & 0x20) {
			if (num(c, d, &plen))
				return -1;
			if (plen > d->n - d->i)
				return cut(c, d);
			props = d->p + d->i;
			d->i += (size_t)plen;
		}
		if (demand(c, id, id_len, props, (size_t)plen, &want))
			return -1;
		if (want > c->cap && c->r->status == CS__7Z_OK) {
			c->r->status = CS__7Z_BOMB;
			c->r->demand = want;
			c->r->coder = coder_name(id, id_len);
			c->r->folder = index;
			c->r->in_header = c->in_header;
		}
		if (c->in_header && index == 0) {
			if (id_len == 4 && memcmp(id, "\x06\xf1\x07\x01", 4) == 0)
				c->hf.encrypted = 1;
			if (k == 0) {
				memcpy(c->hf.id, id, id_len);
				c->hf.id_len = id_len;
				c->hf.props = props;
				c->hf.props_len = (size_t)plen;
			}
			c->hf.coders = (unsigned)ncoders;
		}
		ins += nin;
		*outs += nout;
	}
	bind = *outs - 1;
	for (k = 0; k < bind; k++) {
		uint64_t in_i, out_i;

		if (num(c, d, &in_i) || num(c, d, &out_i))
			return -1;
		if (in_i >= ins || out_i >= *outs)
			return bad(c, "folder %llu: a bind pair %llu-%llu outside its streams",
			           (unsigned long long)index, (unsigned long long)in_i,
			           (unsigned long long)out_i);
	}
	if (ins < bind)
		return bad(c, "folder %llu: %llu bind pairs for %llu in streams",
		           (unsigned long long)index, (unsigned long long)bind,
		           (unsigned long long)ins);
	packed = ins - bind;
	if (packed > 1)
		for (k = 0; k < packed; k++) {
			uint64_t v;

			if (num(c, d, &v))
				return -1;
		}
	return 0;
}

/*
 * A StreamsInfo, up to and including its folders (kUnPackInfo): what
 * follows them (substreams) says nothing of memory and is left unread.
 * For the encoded header, the first packed stream's place and size and
 * the first folder's output size and CRC are kept.
 */
static int streams(struct ctx *c, struct rd *d)
{
	unsigned id;
	uint64_t k, nfolders, outs_total = 0;

	if (byte(c, d, &id))
		return -1;
	if (id == K_PACK_INFO) {
		if (num(c, d, &c->pack_pos) || num(c, d, &c->packs))
			return -1;
		if (c->packs > CS__7Z_PACKS_MAX)
			return bad(c, "%llu packed streams (cap %u)", (unsigned long long)c->packs,
			           CS__7Z_PACKS_MAX);
		if (byte(c, d, &id))
			return -1;
		if (id == K_SIZE) {
			for (k = 0; k < c->packs; k++) {
				uint64_t v;

				if (num(c, d, &v))
					return -1;
				if (k == 0)
					c->pack_size = v;
			}
			if (byte(c, d, &id))
				return -1;
		}
		if (id == K_CRC) {
			if (digests(c, d, c->packs, NULL, NULL) || byte(c, d, &id))
				return -1;
		}
		if (id != K_END)
			return bad(c, "property 0x%02x in the pack info (byte %zu of the %s)", id,
			           d->i - 1, d->what);
		if (byte(c, d, &id))
			return -1;
	}
	if (id != K_UNPACK_INFO)
		return 0; /* no folders: nothing is decoded */
	if (expect(c, d, K_FOLDER, "the folder list") || num(c, d, &nfolders))
		return -1;
	if (nfolders > CS__7Z_FOLDERS_MAX)
		return bad(c, "%llu folders (cap %u)", (unsigned long long)nfolders,
		           CS__7Z_FOLDERS_MAX);
	if (byte(c, d, &id))
		return -1;
	if (id != 0)
		return bad(c, "folders kept outside the header (external byte %u)", id);
	for (k = 0; k < nfolders; k++) {
		uint64_t outs;

		if (folder(c, d, k, &outs))
			return -1;
		if (k == 0 && c->in_header && outs != 1)
			c->hf.coders = 0; /* more than one output: not one we decode */
		outs_total += outs;
		c->r->folders++;
	}
	if (!c->in_header)
		return 0; /* the archive's folders: all read */
	if (expect(c, d, K_CODERS_UNPACK_SIZE, "the folders' sizes"))
		return -1;
	for (k = 0; k < outs_total; k++) {
		uint64_t v;

		if (num(c, d, &v))
			return -1;
		if (k == 0)
			c->hf.unpack = v;
	}
	if (byte(c, d, &id))
		return -1;
	if (id == K_CRC) {
		if (digests(c, d, nfolders, &c->hf.crc_defined, &c->hf.crc) || byte(c, d, &id))
			return -1;
	}
	if (id != K_END)
		return bad(c, "property 0x%02x after the folders (byte %zu of the %s)", id, d->i - 1,
		           d->what);
	return 0;
}

/* The archive's header (kHeader): archive properties skipped, then the
 * main streams' folders. */
static int header(struct ctx *c, struct rd *d)
{
	unsigned id;

	if (expect(c, d, K_HEADER, "the header"))
		return -1;
	if (byte(c, d, &id))
		return -1;
	if (id == K_ARCHIVE_PROPERTIES) {
		for (;;) {
			uint64_t len;

			if (byte(c, d, &id))
				return -1;
			if (id == 0)
				break;
			if (num(c, d, &len) || skip(c, d, len))
				return -1;
		}
		if (byte(c, d, &id))
			return -1;
	}
	if (id == K_ADDITIONAL_STREAMS)
		return bad(c, "additional streams (written by no 7-Zip, read by no libarchive)");
	if (id == K_MAIN_STREAMS)
		return streams(c, d);
	if (id == K_FILES_INFO || id == K_END)
		return 0;
	return bad(c, "property 0x%02x in the header (byte %zu of the %s)", id, d->i - 1, d->what);
}

/*
 * Decode the packed header at [p, p+n) into a buffer of c->hf.unpack
 * bytes (OUT: *out, to free) with liblzma's raw decoder: the header's
 * folder must be one LZMA or LZMA2 coder (as 7-Zip writes it) or a copy.
 * Its dictionary was checked against the cap already; liblzma's own
 * estimate is checked again before it allocates.
 */
static int decode(struct ctx *c, const unsigned char *p, size_t n, unsigned char **out)
{
	const struct hfolder *h = &c->hf;
	lzma_stream z = LZMA_STREAM_INIT;
	lzma_filter f[2];
	unsigned char *buf;
	lzma_ret ret;
	int rc = -1;

	memset(f, 0, sizeof(f));
	if (h->unpack > CS__7Z_HEADER_MAX)
		return bad(c, "a packed header of %llu bytes (cap %llu MiB)",
		           (unsigned long long)h->unpack,
		           (unsigned long long)(CS__7Z_HEADER_MAX >> 20));
	if (h->unpack == 0)
		return bad(c, "a packed header of 0 bytes");
	buf = malloc((size_t)h->unpack);
	if (!buf)
		return bad(c, "no memory for the %llu-byte header", (unsigned long long)h->unpack);
	if (h->id_len == 1 && h->id[0] == 0) {
		if (n < h->unpack) {
			bad(c, "the stored header is cut short");
			goto out;
		}
		memcpy(buf, p, (size_t)h->unpack);
		*out = buf;
		return 0;
	}
	f[1].id = LZMA_VLI_UNKNOWN;
	if (h->id_len == 1 && h->id[0] == 0x21)
		f[0].id = LZMA_FILTER_LZMA2;
	else
		f[0].id = LZMA_FILTER_LZMA1;
	if (lzma_properties_decode(&f[0], NULL, h->props, h->props_len) != LZMA_OK) {
		bad(c, "the packed header's %s properties are not valid",
		    coder_name(h->id, h->id_len));
		goto out;
	}
	{
		/* No match reaches back past the output's start: a dictionary
		 * of the header's size decodes it the same. */
		lzma_options_lzma *o = f[0].options;

		if (o->dict_size > h->unpack)
			o->dict_size = h->unpack < LZMA_DICT_SIZE_MIN ? LZMA_DICT_SIZE_MIN
			                                              : (uint32_t)h->unpack;
	}
	if (lzma_raw_decoder_memusage(f) > c->cap + ((uint64_t)1 << 20)) {
		bad(c, "decoding the header would take %llu MiB",
		    (unsigned long long)(lzma_raw_decoder_memusage(f) >> 20));
		goto out;
	}
	ret = lzma_raw_decoder(&z, f);
	if (ret != LZMA_OK) {
		bad(c, "liblzma cannot decode the packed header (error %d)", (int)ret);
		goto out;
	}
	z.next_in = p;
	z.avail_in = n;
	z.next_out = buf;
	z.avail_out = (size_t)h->unpack;
	do
		ret = lzma_code(&z, LZMA_FINISH);
	while (ret == LZMA_OK && z.avail_out > 0);
	if (z.avail_out > 0) {
		bad(c, "the packed header does not decode whole (%llu of %llu bytes, liblzma %d)",
		    (unsigned long long)(h->unpack - z.avail_out), (unsigned long long)h->unpack,
		    (int)ret);
		goto out;
	}
	*out = buf;
	buf = NULL;
	rc = 0;
out:
	lzma_end(&z);
	free(f[0].options);
	free(buf);
	return rc;
}

/* The next header at [p, p+n), in the archive at [a, a+an) (its packed
 * streams start 32 bytes in). */
static int next_header(struct ctx *c, const unsigned char *a, size_t an, const unsigned char *p,
                       size_t n)
{
	struct rd d = {p, n, 0, "header"};
	struct rd dd;
	unsigned char *dec = NULL;
	uint64_t at;
	int rc;

	if (n == 0)
		return 0; /* an empty archive */
	if (p[0] == K_HEADER)
		return header(c, &d);
	if (p[0] != K_ENCODED_HEADER)
		return bad(c, "a next header that starts 0x%02x", p[0]);
	d.i = 1;
	c->in_header = 1;
	rc = streams(c, &d);
	c->in_header = 0;
	if (rc || c->r->status != CS__7Z_OK)
		return rc;
	if (c->hf.encrypted) {
		c->r->status = CS__7Z_UNREAD;
		snprintf(c->r->why, sizeof(c->r->why), "the headers are encrypted");
		return 0;
	}
	if (c->r->folders != 1 || c->packs != 1 || c->hf.coders != 1)
		return bad(c, "a packed header in %llu folders, %llu packed streams, %u coders "
		              "(one of each expected)",
		           (unsigned long long)c->r->folders, (unsigned long long)c->packs,
		           c->hf.coders);
	if (!(c->hf.id_len == 1 && (c->hf.id[0] == 0 || c->hf.id[0] == 0x21)) &&
	    !(c->hf.id_len == 3 && memcmp(c->hf.id, "\x03\x01\x01", 3) == 0))
		return bad(c, "a header packed with %s (LZMA, LZMA2 or none expected)",
		           coder_name(c->hf.id, c->hf.id_len));
	at = 32 + c->pack_pos;
	if (c->pack_pos > an || at > an || c->pack_size > an - at)
		return bad(c, "the packed header lies past the end (%llu bytes at %llu, of %zu)",
		           (unsigned long long)c->pack_size, (unsigned long long)at, an);
	if (decode(c, a + at, (size_t)c->pack_size, &dec))
		return -1;
	if (c->hf.crc_defined && crc32(0, dec, (uInt)c->hf.unpack) != c->hf.crc) {
		free(dec);
		return bad(c, "the decoded header's CRC does not match");
	}
	c->r->folders = 0;
	dd.p = dec;
	dd.n = (size_t)c->hf.unpack;
	dd.i = 0;
	dd.what = "decoded header";
	rc = header(c, &dd);
	free(dec);
	return rc;
}

/* The archive whose signature header starts at [p, p+n). */
static void check_at(const unsigned char *p, size_t n, uint64_t cap, struct cs__7z_check *r)
{
	struct ctx c;
	uint64_t off, size;

	memset(&c, 0, sizeof(c));
	c.r = r;
	c.cap = cap;
	if (n < 32) {
		bad(&c, "the signature header is cut short (%zu of 32 bytes)", n);
		return;
	}
	if (p[6] != 0) {
		bad(&c, "version %u.%u (0.x expected)", p[6], p[7]);
		return;
	}
	if (crc32(0, p + 12, 20) != le32(p + 8)) {
		bad(&c, "the start header's CRC does not match");
		return;
	}
	off = le64(p + 12);
	size = le64(p + 20);
	if (off > n - 32 || size > n - 32 - off) {
		bad(&c, "the header (%llu bytes at %llu) lies past the end (%zu bytes): cut short?",
		    (unsigned long long)size, (unsigned long long)(off + 32), n);
		return;
	}
	if (size > UINT32_MAX) {
		bad(&c, "a header of %llu bytes", (unsigned long long)size);
		return;
	}
	if (crc32(0, p + 32 + off, (uInt)size) != le32(p + 28)) {
		bad(&c, "the header's CRC does not match");
		return;
	}
	next_header(&c, p, n, p + 32 + off, (size_t)size);
}

static int sig_ok(const unsigned char *p, size_t n)
{
	return n >= 32 && memcmp(p, "7z\xbc\xaf\x27\x1c", 6) == 0 && crc32(0, p + 12, 20) == le32(p + 8);
}

int cs__7z_check(const unsigned char *p, size_t n, uint64_t cap, struct cs__7z_check *r)
{
	size_t i, end;

	memset(r, 0, sizeof(*r));
	if (n >= 6 && memcmp(p, "7z\xbc\xaf\x27\x1c", 6) == 0) {
		check_at(p, n, cap, r);
		return 1;
	}
	if (n < 4 || !(memcmp(p, "MZ", 2) == 0 || memcmp(p, "\x7f" "ELF", 4) == 0))
		return 0;
	end = n < CS__7Z_SFX_MAX ? n : CS__7Z_SFX_MAX;
	for (i = CS__7Z_SFX_MIN; i < end; i++) {
		if (p[i] != '7' || !sig_ok(p + i, n - i))
			continue;
		r->start = i;
		check_at(p + i, n - i, cap, r);
		return 1;
	}
	return 0;
}

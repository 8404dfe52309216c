/*
 * Private to the file sweep: the memory a 7z archive's decoders would ask
 * for, read from its headers before libarchive opens it (sevenz_check.c).
 *
 * libarchive allocates whatever a folder's coder properties name (an LZMA
 * or LZMA2 dictionary, a PPMd model) and takes no memory limit: a small
 * 7z can ask for gigabytes per thread. This reader walks the signature
 * header, the next header and, when that header is itself packed
 * (kEncodedHeader), decodes it with liblzma under the same cap, and reads
 * every folder's coders. It allocates only the decoded header, capped.
 * docs/decisions.md says why we read the headers ourselves.
 */
#ifndef CS_SEVENZ_INT_H
#define CS_SEVENZ_INT_H

#include <stddef.h>
#include <stdint.h>

enum cs__7z_status {
	CS__7Z_OK,     /* every coder's demand within the cap (or no folders) */
	CS__7Z_BOMB,   /* a coder asks for more than the cap: `demand`, `coder`, `folder` */
	CS__7Z_BAD,    /* headers we cannot read (cut, CRC, structure): `why` */
	CS__7Z_UNREAD, /* headers packed with encryption: nothing can be judged, and
	                  libarchive cannot read them either: `why` */
};

#define CS__7Z_HEADER_MAX ((uint64_t)64 << 20) /* a decoded header we hold */
#define CS__7Z_FOLDERS_MAX (1u << 22)          /* folders in one header */
#define CS__7Z_CODERS_MAX 64                   /* coders in one folder */
#define CS__7Z_STREAMS_MAX 64                  /* in or out streams of one coder */
#define CS__7Z_PACKS_MAX (1u << 22)            /* packed streams in one header */
#define CS__7Z_SFX_MIN 0x27000                 /* where libarchive looks for a 7z behind */
#define CS__7Z_SFX_MAX 0x60000                 /*   an executable stub (its own window) */

struct cs__7z_check {
	enum cs__7z_status status;
	uint64_t demand;   /* CS__7Z_BOMB: bytes the coder would allocate */
	const char *coder; /* CS__7Z_BOMB: the coder's name (static) */
	uint64_t folder;   /* CS__7Z_BOMB: its folder */
	int in_header;     /* CS__7Z_BOMB: the coder of the packed header itself */
	size_t start;      /* where the archive's signature header is in the input */
	uint64_t folders;  /* folders read (header's and archive's) */
	char why[160];     /* CS__7Z_BAD, CS__7Z_UNREAD */
};

/*
 * Check the 7z archive at [p, p+n): its signature header at offset 0, or,
 * behind an executable stub (MZ or ELF), the first signature header whose
 * CRC holds inside libarchive's search window. `cap` is the largest
 * dictionary or model a coder may ask for. Returns 0 when no 7z signature
 * header was found (r untouched), 1 when r holds the verdict.
 */
int cs__7z_check(const unsigned char *p, size_t n, uint64_t cap, struct cs__7z_check *r);

#endif

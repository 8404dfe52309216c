/*
 * Private interface of the file sweep: the walker (walk.c), the per-object
 * scan shared by files on disk and archive members (object.c), and
 * archive descent (archive.c).
 */
#ifndef CS_SCAN_INT_H
#define CS_SCAN_INT_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/evp.h>

#include "chainsweep/scan.h"
#include "core/core_int.h"
#include "match/match_int.h"

/* Read size: 128 KiB, so that the bytes read() copies are still in the
 * core's L2 cache when the hashes (and the next hash) read them; with
 * 1 MiB reads they went out to L3 and back, 5 % more cycles over
 * /usr/lib (docs/file-sweep.md, "Reading"). */
#define CS_SCAN_CHUNK     ((size_t)128 << 10)
#define CS_SCAN_KEEP_BUF  ((size_t)4 << 20) /* a larger buffer is freed after its file */
#define CS_SCAN_MAX_DEPTH 1024              /* folder nesting the walker goes */

/* Shared state of one sweep. */
struct cs_scan {
	const struct cs_matcher *m;
	struct cs_scan_opts o;
	pthread_mutex_t out_lock; /* serialises callbacks */
	const EVP_MD *md[4];      /* md5, sha1, sha256, sha512 or NULL */
	double t0;                /* monotonic start */
	int stop;                 /* atomic: stop the sweep (time limit, callback) */
	int stop_reason;          /* atomic: CS_COV_INTERRUPTED when the flag stopped it */
	int cb_rc;                /* first non-zero callback return */
	int abandoned;            /* under out_lock: a worker was left running, no more callbacks */
	uint64_t bytes_read;      /* atomic, for the rate cap and progress */
	uint64_t files_done;      /* atomic */
	char **cur;               /* progress: what the workers read */
	/* Compounds of several observations: which observations some object
	 * satisfied (per matcher observation), and which compounds were
	 * reported (per compound); atomic bytes, NULL without compounds. */
	unsigned char *cobs_seen, *compound_done;
};

/* Per-thread state. */
struct cs_worker {
	struct cs_scan *s;
	struct cs_match_thread mt;
	EVP_MD_CTX *ctx[4];
	uint64_t count[CS_COV_NREASONS];
	uint64_t file_gaps; /* gap reasons met in the current top-level file */
	uint64_t findings;
	unsigned char *buf; /* the content of the file being scanned */
	size_t cap;
	/* Bytes of content held for the objects being scanned (the file and
	 * the archive members around the current one): at most the YARA
	 * size cap, which bounds a thread's memory. */
	size_t held;
	struct cs_buf tmp; /* scratch for names and messages */
	uid_t owner_uid;   /* last owner looked up, for YARA's "owner" */
	int owner_uid_set;
	char owner[64];
};

/* An object to scan: a file on disk or an archive member, with its
 * content in memory (`data`), or streamed (`data` NULL) when too large. */
struct cs_object {
	const char *path; /* as displayed */
	const char *base; /* within path */
	unsigned depth;   /* archive nesting, 0 on disk */
	uint64_t size;
	int64_t mtime, ctime;
	uint64_t inode;
	uid_t uid;
	int have_uid;
	const unsigned char *data;
	size_t len;
	int partial;
	int yara_skipped;
	char hex[4][129]; /* md5, sha1, sha256, sha512; "" when not computed */
	/* Archive members: the budget of the top-level file. */
	uint64_t *expanded;
	uint64_t top_size; /* size of that file */
	int64_t mtime_ns;
	/* Inventory: YARA rules this object matched when it was last read
	 * ("ns\trule\n" lines), replayed when `yara_prev_valid`. */
	const char *yara_prev;
	int yara_prev_valid;
	struct cs_buf yara_hits; /* filled by this scan's YARA pass */
	int yara_ran;
	int from_inventory; /* matched from a record, not read */
	/* When set, the YARA rules this scan matched are appended here. */
	struct cs_buf *yara_keep;
	/* A file on disk too large to hold (`data` NULL): YARA reads it
	 * again through this descriptor, in overlapping blocks. */
	int big_fd;
	int has_big_fd;
};

int cs__worker_init(struct cs_worker *w, struct cs_scan *s);
void cs__worker_release(struct cs_worker *w);

/* Hash contexts for the needed kinds. */
int cs__hash_begin(struct cs_worker *w);
void cs__hash_update(struct cs_worker *w, const void *p, size_t n);
void cs__hash_end(struct cs_worker *w, struct cs_object *obj);

/* Names, hashes (already in obj->hex), YARA (when obj->data), then
 * archive descent. */
int cs__scan_object(struct cs_worker *w, struct cs_object *obj);

/* Report a problem with an object: counted under `reason` (may be
 * CS_COV_NREASONS for "not counted") and delivered as a diagnostic. */
void cs__scan_problem(struct cs_worker *w, const char *path, enum cs_scan_reason reason,
                      const char *tag, const char *fmt, ...) CS_PRINTF(5, 6);

/* Archive descent: 1 when the content looks like an archive or a
 * compressed stream we open. */
int cs__archive_sniff(const unsigned char *p, size_t n);
/* 1 when the last bytes of a file (n of them) end like a zip whose data
 * sits after something else: a self-extracting zip's stub. */
int cs__archive_zip_tail(const unsigned char *tail, size_t n);
int cs__scan_archive(struct cs_worker *w, struct cs_object *obj);

/* Records of an inventory whose path starts with `prefix` (contiguous). */
size_t cs__inventory_range(const struct cs_inventory *inv, const char *prefix,
                           const struct cs_file_record **first);
const struct cs_file_record *cs__inventory_at(const struct cs_inventory *inv, size_t i);
/* An object made from an inventory record (no content). */
void cs__object_from_record(struct cs_object *o, const struct cs_file_record *r, int yara_valid);

/* Monotonic seconds. */
double cs__now(void);
/* 1 when the sweep must stop (time limit or a callback asked). */
int cs__scan_stopping(struct cs_scan *s);
/* Why it stopped: CS_COV_INTERRUPTED or CS_COV_TIME_LIMIT; and in words. */
enum cs_scan_reason cs__scan_stop_reason(struct cs_scan *s);
const char *cs__scan_stop_words(struct cs_scan *s);
/* The YARA timeout for the next object in seconds: the configured one,
 * shortened to the whole seconds the time limit leaves; 0 when less than
 * one is left (libyara takes whole seconds: the scan must not begin). */
int cs__scan_yara_timeout(struct cs_scan *s);
/* Account n bytes read; sleeps to keep under --max-rate. */
void cs__scan_throttle(struct cs_scan *s, size_t n);

/* watch.c: whether files on a filesystem of this statfs f_type may get a
 * kernel ignore mark (every write to them passes this kernel). */
int cs__watch_local_fs_type(unsigned long f_type);

#endif /* CS_SCAN_INT_H */

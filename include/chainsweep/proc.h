/*
 * chainsweep: the running processes of this host (docs/live-host.md).
 *
 * cs_scan_processes() looks at every process (or the ones asked for):
 * its executable, read through /proc/PID/exe so that a deleted or
 * replaced binary is still hashed, and named as deleted; every file it
 * maps (from /proc/PID/maps), each distinct file read once through the
 * file sweep (hashes, names, path regexes, YARA, the inventory); YARA
 * over its private writable and anonymous memory, bounded in bytes and
 * time per process; and its sockets, whose remote addresses are matched
 * against the intel's addresses and networks. It never writes to, stops
 * or signals a process. Without root it reads what it may and says so.
 */
#ifndef CHAINSWEEP_PROC_H
#define CHAINSWEEP_PROC_H

#include <stddef.h>
#include <stdint.h>

#include "chainsweep/error.h"
#include "chainsweep/intel.h"
#include "chainsweep/scan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One ancestor of a process: its parent first, up to PID 1. */
struct cs_proc_parent {
	int pid;
	const char *comm;
	const char *exe; /* "" when unreadable (kernel threads, denied) */
};

/* A process, as seen when it was scanned. Strings are borrowed for the
 * callback. */
struct cs_proc_info {
	int pid, ppid;
	unsigned uid;
	const char *user;   /* the user's name, or the number as text */
	int64_t start_time; /* epoch seconds */
	const char *comm;
	const char *exe;              /* without the kernel's " (deleted)" */
	int exe_deleted;              /* the executable was deleted or replaced */
	const char *cmdline;          /* arguments joined by spaces (at most 4 KiB) */
	const char *const *env_names; /* environment variable names, no values */
	size_t nenv;
	const struct cs_proc_parent *parents;
	size_t nparents;
};

/* Where in the process a finding was made. */
enum cs_proc_place {
	CS_PROC_EXE = 1,    /* its executable */
	CS_PROC_MAPPED = 2, /* a file it maps (library, data file) */
	CS_PROC_MEMORY = 3, /* its private or anonymous memory (YARA) */
	CS_PROC_SOCKET = 4  /* a socket whose remote address is listed */
};
const char *cs_proc_place_name(enum cs_proc_place p);

/* A finding. `evidence` is 0 for sockets (the address is the evidence). */
struct cs_proc_finding {
	const struct cs_proc_info *proc;
	enum cs_proc_place place;
	enum cs_evidence evidence;
	const struct cs_indicator *indicator; /* NULL: a YARA rule not in the intel */
	const char *matched;                  /* hash, name, path, rule or address */
	const char *path; /* exe, mapped file or region name ("[heap]", "[anon]") */
	int deleted;      /* that file was deleted or replaced */
	uint64_t region_start, region_end; /* memory and mapped files */
	const char *perms;                 /* "rw-p" ... for memory */
	const char *socket;                /* "tcp 10.0.0.5:41000 -> 127.0.0.66:443 established" */
	const char *md5, *sha1, *sha256, *sha512; /* file digests, when computed */
	size_t nstrings; /* YARA: strings matched (offsets are addresses for memory) */
	const struct cs_yara_match *strings;
};

/* Counts of a process scan. The `gap` ones make it incomplete. */
struct cs_proc_result {
	uint64_t processes;      /* processes seen */
	uint64_t kernel_threads; /* without memory or executable: skipped */
	uint64_t scanned;        /* processes looked at */
	uint64_t vanished;       /* exited during the scan (noted, not a gap) */
	uint64_t denied;         /* gap: something of theirs could not be read */
	uint64_t files;          /* distinct executables and mapped files */
	uint64_t files_via_proc; /* of them read through /proc (deleted, replaced, other namespaces)
	                          */
	uint64_t files_unreadable; /* gap */
	uint64_t regions;          /* memory regions YARA scanned */
	uint64_t memory_bytes;     /* bytes of memory read */
	uint64_t memory_capped;    /* gap: processes with more memory than the byte bound */
	uint64_t memory_timeouts;  /* gap: processes over the time bound */
	uint64_t memory_errors;    /* gap: YARA or read errors */
	uint64_t sockets;          /* sockets looked at */
	uint64_t findings;
	int not_root; /* gap: ran without root: others' processes were not fully read */
	int incomplete;
	double seconds;
	struct cs_scan_result files_res; /* the file sweep of the mapped files */
};

typedef int (*cs_proc_finding_fn)(void *userdata, const struct cs_proc_finding *f);

struct cs_proc_opts {
	uint64_t max_bytes;     /* memory read per process for YARA (0: 256 MiB) */
	double max_seconds;     /* memory scan time per process (0: 30 s) */
	uint64_t max_file_size; /* files read through /proc up to this (0: 256 MiB) */
	int no_memory, no_files, no_sockets;
	/* Only these processes (NULL: all); their ancestors are still named. */
	const int *pids;
	size_t npids;
	/* The file sweep of the mapped files: threads, inventory. */
	unsigned threads;
	const struct cs_inventory *known;
	int known_yara_valid;
	cs_file_fn on_file; /* inventory records of files read from disk */
	const volatile int *interrupt;
	cs_proc_finding_fn on_finding;
	cs_diag_fn on_diag;
	void *userdata;
	/* The proc filesystem (tests): NULL for "/proc". */
	const char *proc_root;
};
void cs_proc_opts_init(struct cs_proc_opts *o);

/*
 * Scan the processes. Returns CS_OK when the scan ran (findings and gaps
 * in *res), CS_ERR_IO when the proc filesystem cannot be listed,
 * CS_ERR_NOMEM, or the first non-zero value a callback returned.
 * A process that exits meanwhile is counted and noted, never an error.
 */
int cs_scan_processes(const struct cs_matcher *m, const struct cs_proc_opts *o,
                      struct cs_proc_result *res);

#ifdef __cplusplus
}
#endif

#endif /* CHAINSWEEP_PROC_H */

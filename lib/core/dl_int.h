/*
 * A shared library loaded on first use (dl.c): dlopen(soname), then every
 * name in names[0, n) resolved into slots[]. cs__dl_load() does it once
 * per process (thread-safe; later calls cost an atomic load) and returns
 * CS_OK, or CS_ERR_UNSUPPORTED with the reason in cs__dl_why(). Declare
 * one with CS_DL_INIT and static storage.
 */
#ifndef CS_DL_INT_H
#define CS_DL_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "core/core_int.h"

struct cs__dl {
	const char *soname;
	const char *const *names;
	void **slots;
	size_t n;
	pthread_mutex_t lock;
	atomic_int state; /* 0 not tried, 1 loaded, -1 failed */
	char why[256];
};

#define CS_DL_INIT(soname, names, slots) \
	{(soname), (names), (slots), CS_ARRAY_SIZE(names), PTHREAD_MUTEX_INITIALIZER, 0, ""}

int cs__dl_load(struct cs__dl *d);
const char *cs__dl_why(const struct cs__dl *d);

/*
 * The libraries loaded on first use, one shim each (lib/fleet/pq_dl.c
 * keeps its own). Callers that must tell "not installed" from a failure
 * of the library itself call cs__dl_load() on them before the first
 * library call and report cs__dl_why(). The soname is a configure-time
 * choice (CMakeLists.txt); a test may point it elsewhere before the
 * first load.
 */
extern struct cs__dl cs__dl_archive; /* lib/scan/archive_dl.c */
extern struct cs__dl cs__dl_nats;    /* lib/fleet/nats_dl.c */
extern struct cs__dl cs__dl_sodium;  /* lib/fleet/sodium_dl.c */
extern struct cs__dl cs__dl_hs;      /* lib/match/hs_dl.c */
extern struct cs__dl cs__dl_yara;    /* lib/intel/yara_dl.c */

/*
 * The pieces of a shim. A shim lists its functions once, as
 * X(ret, name, (params), (args), fail) for a function with a value and
 * V(name, (params), (args)) for one without, with the library's own
 * prototype (the compiler checks each against the library's header);
 * with CS_DL_SELF naming its struct cs__dl and CS_DL_SLOTS its slots,
 * CS_DL_WRAP_X/V define each function: load the library on the first
 * call and call it, or answer `fail` (a V does nothing) when it cannot
 * be loaded.
 */
#define CS_DL_IDX_X(ret, name, params, args, fail)  I_##name,
#define CS_DL_IDX_V(name, params, args)             I_##name,
#define CS_DL_NAME_X(ret, name, params, args, fail) #name,
#define CS_DL_NAME_V(name, params, args)            #name,
#define CS_DL_WRAP_X(ret, name, params, args, fail)                                              \
	ret name params                                                                              \
	{                                                                                            \
		if (cs__dl_load(&CS_DL_SELF) != CS_OK)                                                   \
			return fail;                                                                         \
		return ((__typeof__(name) *)CS_DL_SLOTS[I_##name]) args;                                 \
	}
#define CS_DL_WRAP_V(name, params, args)                                                         \
	void name params                                                                             \
	{                                                                                            \
		if (cs__dl_load(&CS_DL_SELF) == CS_OK)                                                   \
			((__typeof__(name) *)CS_DL_SLOTS[I_##name]) args;                                    \
	}

#endif /* CS_DL_INT_H */

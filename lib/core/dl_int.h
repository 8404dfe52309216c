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

#endif /* CS_DL_INT_H */

/*
 * Libraries loaded on first use (dl.c). A library that only some commands
 * need (libpq for the fleet's PostgreSQL case) is not a DT_NEEDED entry of
 * the program: every process would pay for mapping and relocating it and
 * its dependencies, and for their constructors, at start. Its functions
 * are defined by a small shim with the library's own names and
 * prototypes (so callers are unchanged and the compiler checks every
 * signature against the library's header); the shim resolves them here,
 * once, on the first call.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/dl_int.h"

int cs__dl_load(struct cs__dl *d)
{
	void *h;
	size_t i;
	int st = atomic_load_explicit(&d->state, memory_order_acquire);

	if (st)
		return st > 0 ? CS_OK : CS_ERR_UNSUPPORTED;
	pthread_mutex_lock(&d->lock);
	st = atomic_load_explicit(&d->state, memory_order_relaxed);
	if (st)
		goto out;
	st = -1;
	h = dlopen(d->soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();

		snprintf(d->why, sizeof(d->why), "cannot load %s: %s", d->soname, e ? e : "error");
		goto done;
	}
	for (i = 0; i < d->n; i++) {
		d->slots[i] = dlsym(h, d->names[i]);
		if (!d->slots[i]) {
			snprintf(d->why, sizeof(d->why), "%s has no %s", d->soname, d->names[i]);
			dlclose(h);
			goto done;
		}
	}
	st = 1; /* kept loaded for the life of the process */
done:
	atomic_store_explicit(&d->state, st, memory_order_release);
out:
	pthread_mutex_unlock(&d->lock);
	return st > 0 ? CS_OK : CS_ERR_UNSUPPORTED;
}

const char *cs__dl_why(const struct cs__dl *d)
{
	return d->why[0] ? d->why : "not loaded";
}

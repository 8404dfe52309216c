/*
 * Internals of the fleet's keys and files shared by sign.c, nkey.c and
 * authconf.c, and by the tests.
 */
#ifndef CS_FLEET_SIGN_INT_H
#define CS_FLEET_SIGN_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "chainsweep/fleet_sign.h"

/* printf into err (when not NULL); always NUL-terminated. */
/* Why sodium_init() failed: the library could not be loaded (its name and
 * the loader's reason), or it could not start (sodium_dl.c). */
const char *cs__fleet_sodium_why(void);
void cs__fleet_err(char *err, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* The whole of a regular file of at most `cap` bytes, malloc'ed with a
 * NUL after it. CS_OK, CS_ERR_IO, CS_ERR_TOOBIG, CS_ERR_NOMEM (err says
 * which file and why). */
int cs__fleet_read_file(const char *path, size_t cap, char **out, size_t *len, char *err,
                        size_t errlen);
/* A new file (never replacing one: CS_ERR_INVALID when it exists) with
 * `mode`, written and synced; removed again on failure. */
int cs__fleet_write_new(const char *path, const void *data, size_t len, mode_t mode, char *err,
                        size_t errlen);
/* Replace (or create) a file atomically: a temporary file beside it with
 * `mode`, synced, then renamed over it. */
int cs__fleet_write_replace(const char *path, const void *data, size_t len, mode_t mode, char *err,
                            size_t errlen);

/*
 * Sign `payload` with an arbitrary trusted comment (no check of its
 * form): what cs_fleet_seal() does after building the comment. The tests
 * use it to make authentic envelopes whose comments lie.
 */
int cs__fleet_seal_comment(const char *seckey_path, const char *comment, const void *payload,
                           size_t len, char **envelope, size_t *envlen, char *err, size_t errlen);

#endif

/*
 * chainsweep: error codes shared by every public function.
 *
 * Functions that can fail return int: CS_OK (0) or one of the negative
 * values below. The numbers are part of the ABI and are never renumbered;
 * new codes are appended. Details live on the handle that failed
 * (cs_intel_errmsg(), cs_store_errmsg()).
 */
#ifndef CHAINSWEEP_ERROR_H
#define CHAINSWEEP_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

enum cs_err {
	CS_OK = 0,
	CS_ERR_NOMEM = -1,       /* allocation failed */
	CS_ERR_IO = -2,          /* read, write or open failed */
	CS_ERR_PARSE = -3,       /* input is malformed */
	CS_ERR_TOOBIG = -4,      /* input exceeds a configured cap */
	CS_ERR_UNSUPPORTED = -5, /* valid input we do not handle */
	CS_ERR_INVALID = -6,     /* bad argument from the caller */
	CS_ERR_DB = -7,          /* the case database failed */
	CS_ERR_NOTFOUND = -8,    /* no such object */
	CS_ERR_EMPTY = -9,       /* nothing usable was read */
	CS_ERR_NET = -10,        /* the message server could not be reached */
	CS_ERR_TIMEOUT = -11,    /* no answer in time (also how NATS shows a denial) */
	CS_ERR_FULL = -12        /* a bounded store refused more */
};

/* A short static description of an error code; never NULL. */
const char *cs_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* CHAINSWEEP_ERROR_H */

/*
 * libsodium, loaded when the fleet first signs, verifies, hashes or draws
 * random bytes (sign.c, nkey.c, operator.c, agent.c, hindex.c, authconf.c,
 * cli/cmd_fleet.c and the tests call these names as usual): linked, it
 * costs every chainsweep process about 0.4 ms of CPU at start for
 * commands that never use it. Every fleet path that needs it calls
 * sodium_init() first, which answers -1 when the library cannot be
 * loaded (cs__dl_why(&cs__dl_sodium) says why); the signature functions
 * then answer -1 as for a bad signature. The few functions whose callers
 * never look at an answer have an exact equivalent from what is linked
 * anyway, used when the library is missing: the kernel's random bytes
 * (what libsodium itself reads on Linux), OpenSSL's SHA-256,
 * explicit_bzero() and a constant-time comparison. None of them may
 * leave an output buffer unwritten.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "core/dl_int.h"
#include "fleet/fleet_sign_int.h"

#ifndef CS_SODIUM_SONAME
#define CS_SODIUM_SONAME "libsodium.so.23"
#endif

/* getrandom(2) until `n` bytes are written; abort() when the kernel
 * cannot give them (never, after boot): returning a buffer that is not
 * random would be worse. */
static void random_fallback(void *p, size_t n)
{
	unsigned char *b = p;

	while (n) {
		ssize_t got = getrandom(b, n, 0);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			abort();
		}
		b += got;
		n -= (size_t)got;
	}
}

/* Uniform in [0, upper) without modulo bias; 0 when upper < 2, as
 * libsodium answers. */
static uint32_t uniform_fallback(uint32_t upper)
{
	uint32_t r, min;

	if (upper < 2)
		return 0;
	min = (uint32_t)(-upper % upper);
	do
		random_fallback(&r, sizeof(r));
	while (r < min);
	return r % upper;
}

static int sha256_fallback(unsigned char *out, const unsigned char *in, unsigned long long n)
{
	unsigned int len = 0;

	return EVP_Digest(in, (size_t)n, out, &len, EVP_sha256(), NULL) == 1 ? 0 : -1;
}

/* 0 when equal, -1 otherwise, in a time that depends only on n. */
static int memcmp_fallback(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= (unsigned char)(x[i] ^ y[i]);
	return d ? -1 : 0;
}

#define CS_SODIUM_FUNCS(X, V)                                                                      \
	X(int, crypto_generichash,                                                                 \
	  (unsigned char *a, size_t b, const unsigned char *c, unsigned long long d,               \
	   const unsigned char *e, size_t f),                                                      \
	  (a, b, c, d, e, f), -1)                                                                  \
	X(int, crypto_generichash_final,                                                           \
	  (crypto_generichash_state * a, unsigned char *b, const size_t c), (a, b, c), -1)         \
	X(int, crypto_generichash_init,                                                            \
	  (crypto_generichash_state * a, const unsigned char *b, const size_t c, const size_t d),  \
	  (a, b, c, d), -1)                                                                        \
	X(int, crypto_generichash_update,                                                          \
	  (crypto_generichash_state * a, const unsigned char *b, unsigned long long c), (a, b, c), \
	  -1)                                                                                      \
	X(int, crypto_hash_sha256,                                                                 \
	  (unsigned char *a, const unsigned char *b, unsigned long long c), (a, b, c),             \
	  sha256_fallback(a, b, c))                                                                \
	X(int, crypto_hash_sha256_final, (crypto_hash_sha256_state * a, unsigned char *b), (a, b), \
	  -1)                                                                                      \
	X(int, crypto_hash_sha256_init, (crypto_hash_sha256_state * a), (a), -1)                   \
	X(int, crypto_hash_sha256_update,                                                          \
	  (crypto_hash_sha256_state * a, const unsigned char *b, unsigned long long c), (a, b, c), \
	  -1)                                                                                      \
	X(int, crypto_sign_detached,                                                               \
	  (unsigned char *a, unsigned long long *b, const unsigned char *c, unsigned long long d,  \
	   const unsigned char *e),                                                                \
	  (a, b, c, d, e), -1)                                                                     \
	X(int, crypto_sign_keypair, (unsigned char *a, unsigned char *b), (a, b), -1)              \
	X(int, crypto_sign_seed_keypair,                                                           \
	  (unsigned char *a, unsigned char *b, const unsigned char *c), (a, b, c), -1)             \
	X(int, crypto_sign_verify_detached,                                                        \
	  (const unsigned char *a, const unsigned char *b, unsigned long long c,                   \
	   const unsigned char *d),                                                                \
	  (a, b, c, d), -1)                                                                        \
	V(randombytes_buf, (void *const a, const size_t b), (a, b))                                \
	X(uint32_t, randombytes_uniform, (const uint32_t a), (a), uniform_fallback(a))             \
	X(int, sodium_base642bin,                                                                  \
	  (unsigned char *const a, const size_t b, const char *const c, const size_t d,            \
	   const char *const e, size_t *const f, const char **const g, const int h),               \
	  (a, b, c, d, e, f, g, h), -1)                                                            \
	X(char *, sodium_bin2base64,                                                               \
	  (char *const a, const size_t b, const unsigned char *const c, const size_t d,            \
	   const int e),                                                                           \
	  (a, b, c, d, e), NULL)                                                                   \
	X(char *, sodium_bin2hex,                                                                  \
	  (char *const a, const size_t b, const unsigned char *const c, const size_t d),           \
	  (a, b, c, d), NULL)                                                                      \
	X(int, sodium_init, (void), (), -1)                                                        \
	X(int, sodium_memcmp, (const void *const a, const void *const b, size_t c), (a, b, c),     \
	  memcmp_fallback(a, b, c))                                                                \
	V(sodium_memzero, (void *const a, const size_t b), (a, b))

enum { CS_SODIUM_FUNCS(CS_DL_IDX_X, CS_DL_IDX_V) N_SODIUM };

static const char *const sodium_names[] = {CS_SODIUM_FUNCS(CS_DL_NAME_X, CS_DL_NAME_V)};
static void *sodium_slots[N_SODIUM];
struct cs__dl cs__dl_sodium = CS_DL_INIT(CS_SODIUM_SONAME, sodium_names, sodium_slots);

#define randombytes_buf_fallback random_fallback
#define sodium_memzero_fallback  explicit_bzero

/* The two functions without a value fall back instead of doing nothing. */
#define WRAP_V(name, params, args)                                                                 \
	void name params                                                                           \
	{                                                                                          \
		if (cs__dl_load(&cs__dl_sodium) == CS_OK)                                          \
			((__typeof__(name) *)sodium_slots[I_##name]) args;                         \
		else                                                                               \
			name##_fallback args;                                                      \
	}
#define CS_DL_SELF  cs__dl_sodium
#define CS_DL_SLOTS sodium_slots
CS_SODIUM_FUNCS(CS_DL_WRAP_X, WRAP_V)

const char *cs__fleet_sodium_why(void)
{
	return cs__dl_load(&cs__dl_sodium) == CS_OK ? "sodium_init() failed"
	                                            : cs__dl_why(&cs__dl_sodium);
}

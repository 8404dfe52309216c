/*
 * Normalisation of indicator values (lib/intel/normalize.c).
 *
 * Each function reads a raw value as published (possibly defanged, with
 * stray white space, upper case, a "SHA256=" prefix, a trailing dot...)
 * and writes the canonical form to `out` (reset first). On failure it
 * returns CS_ERR_PARSE and sets *why to a short static reason tag
 * ("bad-hash", "hash-length", "bad-domain", "bad-ip", "bad-cidr",
 * "bad-url", "bad-email", "bad-regex", "empty", "too-long").
 *
 * Canonical forms (documented in docs/indicators.md):
 *  - hashes: lower-case hex; kind checked against length
 *    (md5 32, sha1 40, sha256 64, sha512 128);
 *  - domain: refanged, lower-case, no trailing dot, IDNA left as given
 *    (xn-- labels stay), labels 1..63 of [a-z0-9-_], total <= 253;
 *  - ipv4: dotted quad without leading zeros; ipv6: RFC 5952 text;
 *    a value with "/n" becomes CS_KIND_CIDR with the host bits cleared
 *    ("/32" on IPv4 and "/128" on IPv6 collapse to the plain address);
 *  - url: refanged scheme lower-case, host lower-case without trailing
 *    dot, default port dropped, empty path "/", fragment dropped;
 *  - email: local part kept, domain lower-case;
 *  - filename: as given, trimmed (matching is case-insensitive);
 *  - cert serial: lower-case hex without ':' or spaces, leading zeros
 *    dropped.
 */
#ifndef CS_NORMALIZE_INT_H
#define CS_NORMALIZE_INT_H

#include <stddef.h>

#include "chainsweep/intel.h"
#include "core/core_int.h"

/* Undo common defanging: hxxp -> http, [.] (.) (dot) [dot] {.} -> .,
 * [:] -> :, [@] (at) [at] -> @, [://] -> ://. */
int cs__refang(const char *in, size_t len, struct cs_buf *out);

/*
 * Normalise `in` as `kind`. `*kind_out` receives the final kind, which
 * may differ: CS_KIND_HASH_AUTO becomes the kind the length says,
 * CS_KIND_IPV4/IPV6 with a prefix become CS_KIND_CIDR, CIDR with a full
 * prefix becomes IPV4/IPV6. Kinds without special rules are trimmed and
 * checked for emptiness and length only.
 */
int cs__normalize(enum cs_kind kind, const char *in, size_t len, enum cs_kind *kind_out,
		  struct cs_buf *out, const char **why);

/* The hash kind a key names: "MD5", "SHA-1", "'SHA-256'", "sha256",
 * "SHA512", "SHA-512"; CS_KIND_NONE when not a hash key we know. */
enum cs_kind cs__hash_key_kind(const char *key, size_t len);

/* Guess the kind of a bare value from a plain list: hash (by length),
 * ipv4, ipv6, cidr, url, email, domain; CS_KIND_NONE when none fits. */
enum cs_kind cs__guess_kind(const char *in, size_t len);

/* Parse an IPv4 or IPv6 address (no prefix). Writes 4 or 16 bytes to
 * addr and the family size to *alen. Returns CS_OK or CS_ERR_PARSE. */
int cs__parse_ip(const char *in, size_t len, unsigned char addr[16], int *alen);

#endif /* CS_NORMALIZE_INT_H */

/*
 * chainsweep: signed fleet envelopes and NATS user nkeys (docs/fleet.md).
 *
 * An envelope is the four lines of a minisign signature followed by the
 * payload bytes. The signature is minisign's prehashed Ed25519 ("ED":
 * Ed25519 over the BLAKE2b-512 of the payload); the trusted comment,
 * covered by the global signature, is
 *
 *     chainsweep <kind> id=<id> version=<n> expires=<epoch s> sha256=<hex> size=<bytes>
 *
 * Keys are minisign's files: `minisign -V -m payload -x sig -p fleet.pub`
 * accepts what cs_fleet_seal() signs, and cs_fleet_open() accepts what
 * `minisign -S` signs with such a trusted comment. Agents pin the public
 * key's text (the .pub file) and refuse anything else.
 *
 * User nkeys are NATS's: a seed "SU..." (58 characters) and a public key
 * "U..." (56 characters): prefix bytes, the 32-byte Ed25519 seed or public
 * key, CRC-16/XMODEM little-endian, RFC 4648 base32 without padding.
 */
#ifndef CHAINSWEEP_FLEET_SIGN_H
#define CHAINSWEEP_FLEET_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "chainsweep/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The largest payload an envelope may carry (NATS's default max_payload). */
#define CS_FLEET_PAYLOAD_MAX (1024u * 1024u)
/* The largest envelope: the four lines (each at most 1,024 bytes) and the
 * payload. */
#define CS_FLEET_ENVELOPE_MAX (CS_FLEET_PAYLOAD_MAX + 4u * 1024u)
/* The largest public key text cs_fleet_open() reads (a .pub file). */
#define CS_FLEET_PUBTEXT_MAX 1024u

/*
 * What cs_fleet_open() and cs_fleet_accept_bundle() say of an envelope.
 * The numbers are part of the ABI (status messages carry the names).
 */
enum cs_fleet_verdict {
	CS_FLEET_OK = 0,
	CS_FLEET_UNSIGNED = 1,  /* no signature: not an envelope at all */
	CS_FLEET_BAD_KEY = 2,   /* signed by another key than the pinned one */
	CS_FLEET_TAMPERED = 3,  /* payload, signature, trusted comment, size or SHA-256 differ */
	CS_FLEET_EXPIRED = 4,   /* authentic, but its `expires` has passed */
	CS_FLEET_MALFORMED = 5, /* an envelope's shape, but broken (truncated, bad base64, caps) */
	CS_FLEET_ROLLBACK = 6   /* a bundle older than the one installed */
};

/* "ok", "unsigned", "bad-key", "tampered", "expired", "malformed",
 * "rollback"; "unknown" for another value. Never NULL. */
const char *cs_fleet_verdict_name(int verdict);

/*
 * Make an Ed25519 key pair in minisign's formats: the public key file
 * ("untrusted comment: minisign public key <ID>" and the base64 of
 * "Ed" || key id (8) || public key (32)) and the secret key file,
 * unencrypted as `minisign -G -W` writes it, mode 0600. Neither file may
 * exist already. CS_OK, CS_ERR_INVALID (a file exists), CS_ERR_IO; `err`
 * says which file and why.
 */
int cs_fleet_keygen(const char *seckey_path, const char *pubkey_path, char *err, size_t errlen);

/*
 * Sign `payload` with the secret key file `seckey_path` (ours or an
 * unencrypted minisign one) into a new envelope (malloc'ed, *envelope;
 * the caller frees it) of *envlen bytes. `kind` is [a-z]{1,15}, `id`
 * [A-Za-z0-9_-]{1,64}, version >= 0, expires > 0, len at most
 * CS_FLEET_PAYLOAD_MAX. CS_OK, CS_ERR_INVALID, CS_ERR_TOOBIG, CS_ERR_IO,
 * CS_ERR_PARSE (the key file), CS_ERR_UNSUPPORTED (an encrypted key),
 * CS_ERR_NOMEM; `err` says why.
 */
int cs_fleet_seal(const char *seckey_path, const char *kind, const char *id, int64_t version,
                  int64_t expires, const void *payload, size_t len, char **envelope, size_t *envlen,
                  char *err, size_t errlen);

/* An opened envelope: the trusted comment's fields and the payload,
 * which points into the envelope (borrowed; valid while it is). */
struct cs_fleet_sealed {
	char kind[16];
	char id[65];
	int64_t version, expires;
	char sha256[65];
	uint64_t size;
	const unsigned char *payload;
	size_t len;
};

/*
 * Verify an envelope of `len` bytes against the pinned public key text
 * (the .pub file's content, with or without its comment line), at time
 * `now` (epoch seconds). Returns CS_FLEET_OK, another verdict (> 0) with
 * `why` saying what was wrong, or CS_ERR_INVALID when `pubkey_text` is
 * not a minisign Ed25519 public key. `out` is written for CS_FLEET_OK and
 * for CS_FLEET_EXPIRED (whose fields are authentic), never otherwise.
 * It allocates nothing and reads only inside [envelope, envelope + len).
 * An envelope expires when now >= expires.
 */
int cs_fleet_open(const char *pubkey_text, const void *envelope, size_t len, int64_t now,
                  struct cs_fleet_sealed *out, char *why, size_t whylen);

/* CS_FLEET_ROLLBACK when an opened bundle's version is lower than the
 * one installed; CS_FLEET_OK otherwise (the same version: already had). */
int cs_fleet_accept_bundle(const struct cs_fleet_sealed *s, int64_t installed_version);

/* Read a public key file (at most CS_FLEET_PUBTEXT_MAX - 1 bytes) into
 * `text` for cs_fleet_open(); CS_OK, CS_ERR_IO, CS_ERR_TOOBIG, or
 * CS_ERR_PARSE when it holds no minisign Ed25519 public key. */
int cs_fleet_pubkey_load(const char *path, char text[CS_FLEET_PUBTEXT_MAX], char *err,
                         size_t errlen);

/* A new user nkey: its seed ("SU...", 58 characters and a NUL) and its
 * public key ("U...", 56 characters and a NUL). CS_OK. */
int cs_fleet_nkey_new(char seed[59], char pub[57]);
/* The public key of a user seed; CS_ERR_PARSE when `seed` is not one
 * (length, alphabet, prefix or checksum). */
int cs_fleet_nkey_public(const char *seed, char pub[57]);
/* The public key of the seed in a seed file (its only line, as fleet
 * enroll writes it), for natsOptions_SetNKeyFromSeed(opts, pub, path).
 * CS_OK, CS_ERR_IO, CS_ERR_TOOBIG, CS_ERR_PARSE; `err` names the file. */
int cs_fleet_nkey_file_public(const char *seed_path, char pub[57], char *err, size_t errlen);
/* The raw Ed25519 public key of a user public key "U..."; CS_ERR_PARSE
 * when it is not one (length, alphabet, prefix or checksum). */
int cs_fleet_nkey_decode(const char *pub, unsigned char pk[32]);

#ifdef __cplusplus
}
#endif

#endif /* CHAINSWEEP_FLEET_SIGN_H */

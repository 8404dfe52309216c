/*
 * NATS user nkeys, made with libsodium (the nk and nsc tools are not in
 * Debian). A key is its prefix byte(s), 32 bytes of Ed25519 seed or
 * public key, and a CRC-16/XMODEM of those bytes (little-endian), all in
 * RFC 4648 base32 without padding. A seed's two prefix bytes pack the
 * seed prefix (18 << 3, 'S') and the key type (20 << 3, 'U' for users),
 * so that a user seed reads "SU...".
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "chainsweep/fleet_sign.h"
#include "fleet/fleet_sign_int.h"

#define PREFIX_SEED (18u << 3)
#define PREFIX_USER (20u << 3)
#define SEED_RAW    36u /* 2 prefix bytes, 32 seed bytes, 2 CRC bytes */
#define PUB_RAW     35u /* 1 prefix byte, 32 key bytes, 2 CRC bytes */
#define SEED_TEXT   58u
#define PUB_TEXT    56u

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static uint16_t crc16_xmodem(const unsigned char *p, size_t n)
{
	uint16_t crc = 0;
	size_t i;
	int b;

	for (i = 0; i < n; i++) {
		crc ^= (uint16_t)(p[i] << 8);
		for (b = 0; b < 8; b++)
			crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
	}
	return crc;
}

/* Base32 of n bytes into out (ceil(8n/5) characters and a NUL). */
static void b32_encode(const unsigned char *in, size_t n, char *out)
{
	unsigned buf = 0, bits = 0;
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		buf = (buf << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = b32[(buf >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits)
		out[o++] = b32[(buf << (5 - bits)) & 31];
	out[o] = 0;
}

/* Exactly `n` bytes from the text `s` of exactly ceil(8n/5) characters of
 * the alphabet, the unused low bits zero; -1 otherwise. */
static int b32_decode(const char *s, unsigned char *out, size_t n)
{
	size_t want = (n * 8 + 4) / 5, i, o = 0;
	unsigned buf = 0, bits = 0;

	if (strnlen(s, want + 1) != want)
		return -1;
	for (i = 0; i < want; i++) {
		const char *c = s[i] ? strchr(b32, s[i]) : NULL;

		if (!c)
			return -1;
		buf = (buf << 5) | (unsigned)(c - b32);
		bits += 5;
		if (bits >= 8) {
			out[o++] = (unsigned char)(buf >> (bits - 8));
			bits -= 8;
		}
		buf &= (1u << bits) - 1;
	}
	return o == n && buf == 0 ? 0 : -1;
}

static void put_crc(unsigned char *raw, size_t n)
{
	uint16_t crc = crc16_xmodem(raw, n);

	raw[n] = (unsigned char)(crc & 0xff);
	raw[n + 1] = (unsigned char)(crc >> 8);
}

static int crc_ok(const unsigned char *raw, size_t n)
{
	uint16_t crc = crc16_xmodem(raw, n);

	return raw[n] == (crc & 0xff) && raw[n + 1] == (crc >> 8);
}

static void encode_pub(const unsigned char pk[32], char pub[57])
{
	unsigned char raw[PUB_RAW];

	raw[0] = PREFIX_USER;
	memcpy(raw + 1, pk, 32);
	put_crc(raw, 33);
	b32_encode(raw, sizeof(raw), pub);
}

int cs_fleet_nkey_new(char seed[59], char pub[57])
{
	unsigned char raw[SEED_RAW], pk[32], sk[64];

	if (sodium_init() < 0)
		return CS_ERR_IO;
	raw[0] = (unsigned char)(PREFIX_SEED | (PREFIX_USER >> 5));
	raw[1] = (unsigned char)((PREFIX_USER & 31) << 3);
	randombytes_buf(raw + 2, 32);
	put_crc(raw, 34);
	b32_encode(raw, sizeof(raw), seed);
	crypto_sign_seed_keypair(pk, sk, raw + 2);
	encode_pub(pk, pub);
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(sk, sizeof(sk));
	return CS_OK;
}

int cs_fleet_nkey_public(const char *seed, char pub[57])
{
	unsigned char raw[SEED_RAW], pk[32], sk[64];
	int rc = CS_ERR_PARSE;

	if (!seed || b32_decode(seed, raw, sizeof(raw)) != 0)
		return CS_ERR_PARSE;
	if (raw[0] != (PREFIX_SEED | (PREFIX_USER >> 5)) || raw[1] != ((PREFIX_USER & 31) << 3) ||
	    !crc_ok(raw, 34))
		goto out;
	if (sodium_init() < 0) {
		rc = CS_ERR_IO;
		goto out;
	}
	crypto_sign_seed_keypair(pk, sk, raw + 2);
	encode_pub(pk, pub);
	rc = CS_OK;
out:
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(sk, sizeof(sk));
	return rc;
}

int cs_fleet_nkey_decode(const char *pub, unsigned char pk[32])
{
	unsigned char raw[PUB_RAW];

	if (!pub || b32_decode(pub, raw, sizeof(raw)) != 0 || raw[0] != PREFIX_USER ||
	    !crc_ok(raw, 33))
		return CS_ERR_PARSE;
	memcpy(pk, raw + 1, 32);
	return CS_OK;
}

int cs_fleet_nkey_file_public(const char *seed_path, char pub[57], char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len;
	int rc = cs__fleet_read_file(seed_path, 256, &buf, &len, err, errlen);

	if (rc)
		return rc;
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' '))
		buf[--len] = 0;
	rc = cs_fleet_nkey_public(buf, pub);
	if (rc)
		cs__fleet_err(err, errlen, "%s: not a NATS user nkey seed", seed_path);
	sodium_memzero(buf, len);
	free(buf);
	return rc;
}

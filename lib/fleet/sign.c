/*
 * Signed fleet envelopes (docs/fleet.md, "Signed envelopes"): minisign's
 * key and signature formats over libsodium, so that `minisign -V` checks
 * what we sign and we check what `minisign -S` signs.
 *
 * Everything an agent parses here comes from the network: the envelope is
 * read with explicit bounds, line by line, each line under a cap, into
 * fixed buffers; nothing is allocated while opening one.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <sodium.h>

#include "chainsweep/fleet_sign.h"
#include "fleet/fleet_sign_int.h"

#define UNTRUSTED      "untrusted comment: "
#define TRUSTED        "trusted comment: "
#define LINE_MAX_BYTES 1024u /* a line of an envelope or key file, its '\n' included */
#define KEYNUM_BYTES   8u
#define PK_BYTES       32u
#define SK_BYTES       64u
#define SIG_BYTES      64u
/* "Ed" || keynum || pk */
#define PUB_BIN (2u + KEYNUM_BYTES + PK_BYTES)
/* "ED" || keynum || signature */
#define SIG_BIN (2u + KEYNUM_BYTES + SIG_BYTES)
/* sig_alg, kdf_alg, chk_alg, salt, opslimit, memlimit, keynum, sk, chk */
#define SEC_BIN        (2u + 2u + 2u + 32u + 8u + 8u + KEYNUM_BYTES + SK_BYTES + 32u)
#define SEC_KEYNUM_OFF (2u + 2u + 2u + 32u + 8u + 8u)

void cs__fleet_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const char *cs_fleet_verdict_name(int verdict)
{
	switch (verdict) {
	case CS_FLEET_OK:
		return "ok";
	case CS_FLEET_UNSIGNED:
		return "unsigned";
	case CS_FLEET_BAD_KEY:
		return "bad-key";
	case CS_FLEET_TAMPERED:
		return "tampered";
	case CS_FLEET_EXPIRED:
		return "expired";
	case CS_FLEET_MALFORMED:
		return "malformed";
	case CS_FLEET_ROLLBACK:
		return "rollback";
	default:
		return "unknown";
	}
}

int cs__fleet_read_file(const char *path, size_t cap, char **out, size_t *len, char *err,
                        size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, rc = CS_OK;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		cs__fleet_err(err, errlen, "%s: %s", path, strerror(errno));
		return CS_ERR_IO;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		cs__fleet_err(err, errlen, "%s: not a regular file", path);
		rc = CS_ERR_IO;
		goto out;
	}
	if ((uint64_t)st.st_size > cap) {
		cs__fleet_err(err, errlen, "%s: larger than %zu bytes", path, cap);
		rc = CS_ERR_TOOBIG;
		goto out;
	}
	buf = malloc(cap + 1);
	if (!buf) {
		rc = CS_ERR_NOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + got, cap + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cs__fleet_err(err, errlen, "%s: %s", path, strerror(errno));
			rc = CS_ERR_IO;
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > cap) {
			cs__fleet_err(err, errlen, "%s: larger than %zu bytes", path, cap);
			rc = CS_ERR_TOOBIG;
			goto out;
		}
	}
	buf[got] = 0;
	*out = buf;
	*len = got;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int cs__fleet_write_new(const char *path, const void *data, size_t len, mode_t mode, char *err,
                        size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);

	if (fd < 0) {
		cs__fleet_err(err, errlen, "%s: %s", path,
		              errno == EEXIST ? "exists already (not replaced)" : strerror(errno));
		return errno == EEXIST ? CS_ERR_INVALID : CS_ERR_IO;
	}
	if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		cs__fleet_err(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return CS_ERR_IO;
	}
	if (close(fd) != 0) {
		cs__fleet_err(err, errlen, "%s: %s", path, strerror(errno));
		unlink(path);
		return CS_ERR_IO;
	}
	return CS_OK;
}

int cs__fleet_write_replace(const char *path, const void *data, size_t len, mode_t mode, char *err,
                            size_t errlen)
{
	char tmp[4096];
	int rc;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid()) >= sizeof(tmp)) {
		cs__fleet_err(err, errlen, "%s: path too long", path);
		return CS_ERR_INVALID;
	}
	unlink(tmp);
	rc = cs__fleet_write_new(tmp, data, len, mode, err, errlen);
	if (rc)
		return rc;
	if (rename(tmp, path) != 0) {
		cs__fleet_err(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return CS_ERR_IO;
	}
	return CS_OK;
}

/* The key id as minisign prints it: the 8 bytes as a little-endian
 * number in upper-case hex. */
static void keyid_hex(const unsigned char keynum[KEYNUM_BYTES], char out[17])
{
	static const char hx[] = "0123456789ABCDEF";
	unsigned i;

	for (i = 0; i < KEYNUM_BYTES; i++) {
		out[2 * i] = hx[keynum[KEYNUM_BYTES - 1 - i] >> 4];
		out[2 * i + 1] = hx[keynum[KEYNUM_BYTES - 1 - i] & 15];
	}
	out[16] = 0;
}

/* Decode exactly `want` bytes of standard base64 (with padding) from
 * s[0..n); -1 when the text is anything else. */
static int b64_exact(unsigned char *bin, size_t want, const char *s, size_t n)
{
	const char *end = NULL;
	size_t got = 0;

	if (n != sodium_base64_ENCODED_LEN(want, sodium_base64_VARIANT_ORIGINAL) - 1)
		return -1;
	if (sodium_base642bin(bin, want, s, n, NULL, &got, &end, sodium_base64_VARIANT_ORIGINAL) !=
	    0)
		return -1;
	return got == want && end == s + n ? 0 : -1;
}

/*
 * The next line of [*p, end): its start and length without the '\n',
 * which must come within `cap` bytes. -1 when there is none (truncated,
 * or a line longer than the cap).
 */
static int next_line(const char **p, const char *end, size_t cap, const char **line, size_t *n)
{
	size_t avail = (size_t)(end - *p);
	const char *nl = memchr(*p, '\n', avail < cap ? avail : cap);

	if (!nl)
		return -1;
	*line = *p;
	*n = (size_t)(nl - *p);
	*p = nl + 1;
	return 0;
}

/* A public key: "Ed", key id, key; from the .pub text (its comment line
 * optional, the key on the first other line). */
struct pubkey {
	unsigned char keynum[KEYNUM_BYTES];
	unsigned char pk[PK_BYTES];
};

static int parse_pubkey(const char *text, struct pubkey *pk)
{
	size_t tlen = strnlen(text, CS_FLEET_PUBTEXT_MAX);
	const char *p = text, *end = text + tlen, *line;
	unsigned char bin[PUB_BIN];
	size_t n;

	if (tlen >= CS_FLEET_PUBTEXT_MAX)
		return -1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		line = p;
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		p = nl ? nl + 1 : end;
		while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
			n--;
		if (!n ||
		    (n >= strlen(UNTRUSTED) && memcmp(line, UNTRUSTED, strlen(UNTRUSTED)) == 0))
			continue;
		if (b64_exact(bin, sizeof(bin), line, n) != 0 || memcmp(bin, "Ed", 2) != 0)
			return -1;
		memcpy(pk->keynum, bin + 2, KEYNUM_BYTES);
		memcpy(pk->pk, bin + 2 + KEYNUM_BYTES, PK_BYTES);
		return 0;
	}
	return -1;
}

int cs_fleet_pubkey_load(const char *path, char text[CS_FLEET_PUBTEXT_MAX], char *err,
                         size_t errlen)
{
	struct pubkey pk;
	char *buf = NULL;
	size_t len;
	int rc;

	rc = cs__fleet_read_file(path, CS_FLEET_PUBTEXT_MAX - 1, &buf, &len, err, errlen);
	if (rc)
		return rc;
	if (memchr(buf, 0, len) || parse_pubkey(buf, &pk) != 0) {
		cs__fleet_err(err, errlen, "%s: not a minisign Ed25519 public key", path);
		free(buf);
		return CS_ERR_PARSE;
	}
	memcpy(text, buf, len + 1);
	free(buf);
	return CS_OK;
}

/* A secret key file's key id and Ed25519 secret key (seed || pk). */
struct seckey {
	unsigned char keynum[KEYNUM_BYTES];
	unsigned char sk[SK_BYTES];
};

/*
 * Read a minisign secret key file: the comment line and the base64 of
 * the key structure. Only unencrypted keys (kdf "\0\0", as `minisign -G
 * -W` and cs_fleet_keygen() write them) are taken. The checksum is
 * BLAKE2b-256 of sig_alg || keynum || sk; minisign 0.11 leaves it zero in
 * unencrypted keys, so zero is accepted and anything else must match.
 * The public half of sk must be the one its seed gives.
 */
static int load_seckey(const char *path, struct seckey *key, char *err, size_t errlen)
{
	unsigned char bin[SEC_BIN], chk[32], pk[PK_BYTES], sk[SK_BYTES];
	static const unsigned char zero[32];
	const char *p, *end, *line;
	char *buf = NULL;
	size_t len, n;
	crypto_generichash_state hs;
	int rc;

	rc = cs__fleet_read_file(path, 4096, &buf, &len, err, errlen);
	if (rc)
		return rc;
	p = buf;
	end = buf + len;
	rc = CS_ERR_PARSE;
	if (next_line(&p, end, LINE_MAX_BYTES, &line, &n) != 0 || n < strlen(UNTRUSTED) ||
	    memcmp(line, UNTRUSTED, strlen(UNTRUSTED)) != 0) {
		cs__fleet_err(err, errlen, "%s: not a minisign secret key (no comment line)", path);
		goto out;
	}
	if (next_line(&p, end, LINE_MAX_BYTES, &line, &n) != 0) {
		line = p;
		n = (size_t)(end - p);
	}
	while (n && line[n - 1] == '\r')
		n--;
	if (b64_exact(bin, sizeof(bin), line, n) != 0 || memcmp(bin, "Ed", 2) != 0 ||
	    memcmp(bin + 4, "B2", 2) != 0) {
		cs__fleet_err(err, errlen, "%s: not a minisign Ed25519 secret key", path);
		goto out;
	}
	if (memcmp(bin + 2, "\0\0", 2) != 0) {
		cs__fleet_err(
		        err, errlen,
		        "%s: an encrypted secret key; use an unencrypted one (minisign -G -W, "
		        "or chainsweep fleet init)",
		        path);
		rc = CS_ERR_UNSUPPORTED;
		goto out;
	}
	crypto_generichash_init(&hs, NULL, 0, sizeof(chk));
	crypto_generichash_update(&hs, bin, 2);
	crypto_generichash_update(&hs, bin + SEC_KEYNUM_OFF, KEYNUM_BYTES + SK_BYTES);
	crypto_generichash_final(&hs, chk, sizeof(chk));
	if (sodium_memcmp(bin + SEC_KEYNUM_OFF + KEYNUM_BYTES + SK_BYTES, zero, 32) != 0 &&
	    sodium_memcmp(bin + SEC_KEYNUM_OFF + KEYNUM_BYTES + SK_BYTES, chk, 32) != 0) {
		cs__fleet_err(err, errlen, "%s: the secret key's checksum does not match", path);
		goto out;
	}
	crypto_sign_seed_keypair(pk, sk, bin + SEC_KEYNUM_OFF + KEYNUM_BYTES);
	if (sodium_memcmp(sk, bin + SEC_KEYNUM_OFF + KEYNUM_BYTES, SK_BYTES) != 0) {
		cs__fleet_err(err, errlen, "%s: the secret key is inconsistent", path);
		goto out;
	}
	memcpy(key->keynum, bin + SEC_KEYNUM_OFF, KEYNUM_BYTES);
	memcpy(key->sk, sk, SK_BYTES);
	rc = CS_OK;
out:
	sodium_memzero(bin, sizeof(bin));
	sodium_memzero(sk, sizeof(sk));
	if (buf) {
		sodium_memzero(buf, len);
		free(buf);
	}
	return rc;
}

int cs_fleet_keygen(const char *seckey_path, const char *pubkey_path, char *err, size_t errlen)
{
	unsigned char sec[SEC_BIN], pub[PUB_BIN], pk[PK_BYTES], sk[SK_BYTES];
	char sectext[64 + sodium_base64_ENCODED_LEN(SEC_BIN, sodium_base64_VARIANT_ORIGINAL)];
	char pubtext[96 + sodium_base64_ENCODED_LEN(PUB_BIN, sodium_base64_VARIANT_ORIGINAL)];
	char b64[sodium_base64_ENCODED_LEN(SEC_BIN, sodium_base64_VARIANT_ORIGINAL)];
	char id[17];
	crypto_generichash_state hs;
	struct stat st;
	int rc;

	if (!seckey_path || !pubkey_path) {
		cs__fleet_err(err, errlen, "no key file named");
		return CS_ERR_INVALID;
	}
	if (sodium_init() < 0) {
		cs__fleet_err(err, errlen, "libsodium cannot start: %s", cs__fleet_sodium_why());
		return CS_ERR_IO;
	}
	if (lstat(pubkey_path, &st) == 0) {
		cs__fleet_err(err, errlen, "%s: exists already (not replaced)", pubkey_path);
		return CS_ERR_INVALID;
	}
	memset(sec, 0, sizeof(sec));
	memcpy(sec, "Ed", 2);
	memcpy(sec + 4, "B2", 2);
	randombytes_buf(sec + SEC_KEYNUM_OFF, KEYNUM_BYTES);
	crypto_sign_keypair(pk, sk);
	memcpy(sec + SEC_KEYNUM_OFF + KEYNUM_BYTES, sk, SK_BYTES);
	crypto_generichash_init(&hs, NULL, 0, 32);
	crypto_generichash_update(&hs, sec, 2);
	crypto_generichash_update(&hs, sec + SEC_KEYNUM_OFF, KEYNUM_BYTES + SK_BYTES);
	crypto_generichash_final(&hs, sec + SEC_KEYNUM_OFF + KEYNUM_BYTES + SK_BYTES, 32);
	sodium_bin2base64(b64, sizeof(b64), sec, sizeof(sec), sodium_base64_VARIANT_ORIGINAL);
	snprintf(sectext, sizeof(sectext), "%sminisign encrypted secret key\n%s\n", UNTRUSTED, b64);

	memcpy(pub, "Ed", 2);
	memcpy(pub + 2, sec + SEC_KEYNUM_OFF, KEYNUM_BYTES);
	memcpy(pub + 2 + KEYNUM_BYTES, pk, PK_BYTES);
	keyid_hex(pub + 2, id);
	sodium_bin2base64(b64, sizeof(b64), pub, sizeof(pub), sodium_base64_VARIANT_ORIGINAL);
	snprintf(pubtext, sizeof(pubtext), "%sminisign public key %s\n%s\n", UNTRUSTED, id, b64);

	rc = cs__fleet_write_new(seckey_path, sectext, strlen(sectext), 0600, err, errlen);
	if (!rc) {
		rc = cs__fleet_write_new(pubkey_path, pubtext, strlen(pubtext), 0644, err, errlen);
		if (rc)
			unlink(seckey_path);
	}
	sodium_memzero(sec, sizeof(sec));
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(sectext, sizeof(sectext));
	sodium_memzero(b64, sizeof(b64));
	return rc;
}

int cs__fleet_seal_comment(const char *seckey_path, const char *comment, const void *payload,
                           size_t len, char **envelope, size_t *envlen, char *err, size_t errlen)
{
	unsigned char hash[crypto_generichash_BYTES_MAX], sigbin[SIG_BIN];
	unsigned char gmsg[SIG_BYTES + LINE_MAX_BYTES], gsig[SIG_BYTES];
	char sigb64[sodium_base64_ENCODED_LEN(SIG_BIN, sodium_base64_VARIANT_ORIGINAL)];
	char gb64[sodium_base64_ENCODED_LEN(SIG_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	char head[3 * LINE_MAX_BYTES], id[17];
	size_t clen = strlen(comment);
	struct seckey key;
	char *env;
	int rc, hlen;

	if (sodium_init() < 0) {
		cs__fleet_err(err, errlen, "libsodium cannot start: %s", cs__fleet_sodium_why());
		return CS_ERR_IO;
	}
	if (len > CS_FLEET_PAYLOAD_MAX) {
		cs__fleet_err(err, errlen, "payload of %zu bytes is above the cap of %u", len,
		              CS_FLEET_PAYLOAD_MAX);
		return CS_ERR_TOOBIG;
	}
	if (clen + strlen(TRUSTED) + 1 > LINE_MAX_BYTES || strchr(comment, '\n')) {
		cs__fleet_err(err, errlen, "trusted comment too long or on several lines");
		return CS_ERR_INVALID;
	}
	rc = load_seckey(seckey_path, &key, err, errlen);
	if (rc)
		return rc;
	crypto_generichash(hash, sizeof(hash), payload, len, NULL, 0);
	memcpy(sigbin, "ED", 2);
	memcpy(sigbin + 2, key.keynum, KEYNUM_BYTES);
	crypto_sign_detached(sigbin + 2 + KEYNUM_BYTES, NULL, hash, sizeof(hash), key.sk);
	memcpy(gmsg, sigbin + 2 + KEYNUM_BYTES, SIG_BYTES);
	memcpy(gmsg + SIG_BYTES, comment, clen);
	crypto_sign_detached(gsig, NULL, gmsg, SIG_BYTES + clen, key.sk);
	sodium_memzero(&key, sizeof(key));
	sodium_bin2base64(sigb64, sizeof(sigb64), sigbin, sizeof(sigbin),
	                  sodium_base64_VARIANT_ORIGINAL);
	sodium_bin2base64(gb64, sizeof(gb64), gsig, sizeof(gsig), sodium_base64_VARIANT_ORIGINAL);
	keyid_hex(sigbin + 2, id);
	hlen = snprintf(head, sizeof(head),
	                "%ssignature from chainsweep fleet key %s\n%s\n%s%s\n%s\n", UNTRUSTED, id,
	                sigb64, TRUSTED, comment, gb64);
	if (hlen < 0 || (size_t)hlen >= sizeof(head))
		return CS_ERR_INVALID;
	env = malloc((size_t)hlen + len + 1);
	if (!env)
		return CS_ERR_NOMEM;
	memcpy(env, head, (size_t)hlen);
	if (len)
		memcpy(env + hlen, payload, len);
	env[(size_t)hlen + len] = 0;
	*envelope = env;
	*envlen = (size_t)hlen + len;
	return CS_OK;
}

static int kind_ok(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n < 1 || n > 15)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < 'a' || s[i] > 'z')
			return 0;
	return 1;
}

static int id_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

static int id_ok(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n < 1 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!id_char((unsigned char)s[i]))
			return 0;
	return 1;
}

int cs_fleet_seal(const char *seckey_path, const char *kind, const char *id, int64_t version,
                  int64_t expires, const void *payload, size_t len, char **envelope, size_t *envlen,
                  char *err, size_t errlen)
{
	unsigned char sha[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1], comment[512];

	if (!kind_ok(kind)) {
		cs__fleet_err(err, errlen, "kind must be 1 to 15 letters a-z");
		return CS_ERR_INVALID;
	}
	if (!id_ok(id)) {
		cs__fleet_err(err, errlen, "id must be 1 to 64 of A-Z a-z 0-9 _ -");
		return CS_ERR_INVALID;
	}
	if (version < 0 || expires <= 0) {
		cs__fleet_err(err, errlen, "version must be >= 0 and expires > 0");
		return CS_ERR_INVALID;
	}
	if (!payload && len) {
		cs__fleet_err(err, errlen, "no payload");
		return CS_ERR_INVALID;
	}
	if (len > CS_FLEET_PAYLOAD_MAX) {
		cs__fleet_err(err, errlen, "payload of %zu bytes is above the cap of %u", len,
		              CS_FLEET_PAYLOAD_MAX);
		return CS_ERR_TOOBIG;
	}
	if (sodium_init() < 0) {
		cs__fleet_err(err, errlen, "libsodium cannot start: %s", cs__fleet_sodium_why());
		return CS_ERR_IO;
	}
	crypto_hash_sha256(sha, payload ? payload : (const void *)"", len);
	sodium_bin2hex(hex, sizeof(hex), sha, sizeof(sha));
	snprintf(comment, sizeof(comment),
	         "chainsweep %s id=%s version=%" PRId64 " expires=%" PRId64 " sha256=%s size=%zu",
	         kind, id, version, expires, hex, len);
	return cs__fleet_seal_comment(seckey_path, comment, payload ? payload : (const void *)"",
	                              len, envelope, envlen, err, errlen);
}

/* A whole number in [0, INT64_MAX] at *p (no sign, no leading zero),
 * ending at `stop` (a character, or 0 for the end of the text). */
static int parse_num(const char **p, const char *end, char stop, int64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (s >= end || *s < '0' || *s > '9' ||
	    (*s == '0' && s + 1 < end && s[1] >= '0' && s[1] <= '9'))
		return -1;
	while (s < end && *s >= '0' && *s <= '9') {
		if (v > (uint64_t)INT64_MAX / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > (uint64_t)INT64_MAX)
			return -1;
		s++;
	}
	if (stop ? (s >= end || *s != stop) : s != end)
		return -1;
	*p = s + (stop ? 1 : 0);
	*out = (int64_t)v;
	return 0;
}

/* Take the literal `lit` at *p. */
static int take(const char **p, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(end - *p) < n || memcmp(*p, lit, n) != 0)
		return -1;
	*p += n;
	return 0;
}

/* The trusted comment's fields, exactly in the documented form. */
static int parse_comment(const char *c, size_t n, struct cs_fleet_sealed *s)
{
	const char *p = c, *end = c + n, *q;
	int64_t size;
	size_t k;

	memset(s, 0, sizeof(*s));
	if (take(&p, end, "chainsweep "))
		return -1;
	for (q = p; q < end && *q >= 'a' && *q <= 'z'; q++)
		;
	k = (size_t)(q - p);
	if (k < 1 || k > 15)
		return -1;
	memcpy(s->kind, p, k);
	p = q;
	if (take(&p, end, " id="))
		return -1;
	for (q = p; q < end && id_char((unsigned char)*q); q++)
		;
	k = (size_t)(q - p);
	if (k < 1 || k > 64)
		return -1;
	memcpy(s->id, p, k);
	p = q;
	if (take(&p, end, " version=") || parse_num(&p, end, ' ', &s->version))
		return -1;
	if (take(&p, end, "expires=") || parse_num(&p, end, ' ', &s->expires) || s->expires <= 0)
		return -1;
	if (take(&p, end, "sha256=") || end - p < 64)
		return -1;
	for (k = 0; k < 64; k++)
		if (!((p[k] >= '0' && p[k] <= '9') || (p[k] >= 'a' && p[k] <= 'f')))
			return -1;
	memcpy(s->sha256, p, 64);
	p += 64;
	if (take(&p, end, " size=") || parse_num(&p, end, 0, &size))
		return -1;
	s->size = (uint64_t)size;
	return 0;
}

/*
 * The checks, in the order that names the refusal best: not an envelope
 * (unsigned), its shape (malformed), whose key (bad key), the payload's
 * signature and the trusted comment's (tampered), the comment's form
 * (malformed: only the key's holder could have signed it, but we still
 * refuse it), its size and SHA-256 against the payload (tampered), then
 * time (expired).
 */
int cs_fleet_open(const char *pubkey_text, const void *envelope, size_t len, int64_t now,
                  struct cs_fleet_sealed *out, char *why, size_t whylen)
{
	const char *p = envelope, *end, *line, *comment;
	unsigned char sigbin[SIG_BIN], gsig[SIG_BYTES], hash[crypto_generichash_BYTES_MAX];
	unsigned char gmsg[SIG_BYTES + LINE_MAX_BYTES], sha[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1], want[17], got[17];
	struct cs_fleet_sealed s;
	struct pubkey pk;
	size_t n, clen, plen;

	if (!pubkey_text || parse_pubkey(pubkey_text, &pk) != 0) {
		cs__fleet_err(why, whylen, "the pinned public key is not a minisign Ed25519 key");
		return CS_ERR_INVALID;
	}
	if (sodium_init() < 0) {
		cs__fleet_err(why, whylen, "libsodium cannot start: %s", cs__fleet_sodium_why());
		return CS_ERR_INVALID;
	}
	if (!envelope || len < strlen(UNTRUSTED) || memcmp(p, UNTRUSTED, strlen(UNTRUSTED)) != 0) {
		cs__fleet_err(why, whylen, "no signature (not an envelope)");
		return CS_FLEET_UNSIGNED;
	}
	if (len > CS_FLEET_ENVELOPE_MAX) {
		cs__fleet_err(why, whylen, "envelope of %zu bytes is above the cap of %u", len,
		              CS_FLEET_ENVELOPE_MAX);
		return CS_FLEET_MALFORMED;
	}
	end = p + len;
	if (next_line(&p, end, LINE_MAX_BYTES, &line, &n) != 0) {
		cs__fleet_err(why, whylen, "truncated or overlong untrusted comment");
		return CS_FLEET_MALFORMED;
	}
	if (next_line(&p, end, LINE_MAX_BYTES, &line, &n) != 0 ||
	    b64_exact(sigbin, sizeof(sigbin), line, n) != 0) {
		cs__fleet_err(why, whylen,
		              "the signature line is truncated or not base64 of %u bytes", SIG_BIN);
		return CS_FLEET_MALFORMED;
	}
	if (memcmp(sigbin, "ED", 2) != 0) {
		cs__fleet_err(why, whylen, "%s",
		              memcmp(sigbin, "Ed", 2) == 0 ? "a legacy (not prehashed) minisign "
		                                             "signature; sign with minisign -S"
		                                           : "unknown signature algorithm");
		return CS_FLEET_MALFORMED;
	}
	if (next_line(&p, end, LINE_MAX_BYTES, &line, &n) != 0 || n < strlen(TRUSTED) ||
	    memcmp(line, TRUSTED, strlen(TRUSTED)) != 0) {
		cs__fleet_err(why, whylen, "no trusted comment line");
		return CS_FLEET_MALFORMED;
	}
	comment = line + strlen(TRUSTED);
	clen = n - strlen(TRUSTED);
	if (next_line(&p, end, LINE_MAX_BYTES, &line, &n) != 0 ||
	    b64_exact(gsig, sizeof(gsig), line, n) != 0) {
		cs__fleet_err(why, whylen, "the global signature line is truncated or not base64");
		return CS_FLEET_MALFORMED;
	}
	plen = (size_t)(end - p);
	if (plen > CS_FLEET_PAYLOAD_MAX) {
		cs__fleet_err(why, whylen, "payload of %zu bytes is above the cap of %u", plen,
		              CS_FLEET_PAYLOAD_MAX);
		return CS_FLEET_MALFORMED;
	}
	if (memcmp(sigbin + 2, pk.keynum, KEYNUM_BYTES) != 0) {
		keyid_hex(pk.keynum, want);
		keyid_hex(sigbin + 2, got);
		cs__fleet_err(why, whylen, "signed by key %s, not the fleet's key %s", got, want);
		return CS_FLEET_BAD_KEY;
	}
	crypto_generichash(hash, sizeof(hash), (const unsigned char *)p, plen, NULL, 0);
	if (crypto_sign_verify_detached(sigbin + 2 + KEYNUM_BYTES, hash, sizeof(hash), pk.pk) !=
	    0) {
		cs__fleet_err(why, whylen, "the payload does not match its signature");
		return CS_FLEET_TAMPERED;
	}
	memcpy(gmsg, sigbin + 2 + KEYNUM_BYTES, SIG_BYTES);
	memcpy(gmsg + SIG_BYTES, comment, clen);
	if (crypto_sign_verify_detached(gsig, gmsg, SIG_BYTES + clen, pk.pk) != 0) {
		cs__fleet_err(why, whylen, "the trusted comment does not match its signature");
		return CS_FLEET_TAMPERED;
	}
	if (parse_comment(comment, clen, &s) != 0) {
		cs__fleet_err(why, whylen,
		              "the trusted comment is not 'chainsweep KIND id=ID "
		              "version=N expires=S sha256=HEX size=N'");
		return CS_FLEET_MALFORMED;
	}
	if (s.size != plen) {
		cs__fleet_err(why, whylen, "the payload has %zu bytes, the signed size is %" PRIu64,
		              plen, s.size);
		return CS_FLEET_TAMPERED;
	}
	crypto_hash_sha256(sha, (const unsigned char *)p, plen);
	sodium_bin2hex(hex, sizeof(hex), sha, sizeof(sha));
	if (memcmp(hex, s.sha256, 64) != 0) {
		cs__fleet_err(why, whylen, "the payload's SHA-256 is not the signed one");
		return CS_FLEET_TAMPERED;
	}
	s.payload = (const unsigned char *)p;
	s.len = plen;
	if (now >= s.expires) {
		cs__fleet_err(why, whylen, "%s %s version %" PRId64 " expired at %" PRId64, s.kind,
		              s.id, s.version, s.expires);
		if (out)
			*out = s;
		return CS_FLEET_EXPIRED;
	}
	if (out)
		*out = s;
	cs__fleet_err(why, whylen, "ok");
	return CS_FLEET_OK;
}

int cs_fleet_accept_bundle(const struct cs_fleet_sealed *s, int64_t installed_version)
{
	return s->version < installed_version ? CS_FLEET_ROLLBACK : CS_FLEET_OK;
}

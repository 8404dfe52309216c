/*
 * Signed fleet envelopes and nkeys (lib/fleet/sign.c, lib/fleet/nkey.c):
 * the round trip, every refusal with its own verdict, minisign on both
 * sides when it is installed, and nkeys against libnats's own signing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <nats/nats.h>
#include <sodium.h>

#include "chainsweep/fleet_sign.h"
#include "fleet/fleet_sign_int.h"
#include "testutil.h"

#define NOW     1796000000
#define PAYLOAD "{\"id\": \"h-20261205-1\", \"state\": \"active\"}\n"

struct keys {
	char *dir, *sec, *pub, *sec2, *pub2;
	char pubtext[CS_FLEET_PUBTEXT_MAX], pubtext2[CS_FLEET_PUBTEXT_MAX];
};

static char *path_in(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	assert_non_null(p);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static int setup(void **state)
{
	struct keys *k = calloc(1, sizeof(*k));
	char err[512];

	if (!k)
		return -1;
	k->dir = cs_test_tmpdir();
	k->sec = path_in(k->dir, "fleet.key");
	k->pub = path_in(k->dir, "fleet.pub");
	k->sec2 = path_in(k->dir, "other.key");
	k->pub2 = path_in(k->dir, "other.pub");
	if (cs_fleet_keygen(k->sec, k->pub, err, sizeof(err)) != CS_OK ||
	    cs_fleet_keygen(k->sec2, k->pub2, err, sizeof(err)) != CS_OK ||
	    cs_fleet_pubkey_load(k->pub, k->pubtext, err, sizeof(err)) != CS_OK ||
	    cs_fleet_pubkey_load(k->pub2, k->pubtext2, err, sizeof(err)) != CS_OK) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	*state = k;
	return 0;
}

static int teardown(void **state)
{
	struct keys *k = *state;

	cs_test_rmtree(k->dir);
	free(k->dir);
	free(k->sec);
	free(k->pub);
	free(k->sec2);
	free(k->pub2);
	free(k);
	return 0;
}

static char *seal(const struct keys *k, const char *kind, int64_t version, int64_t expires,
                  size_t *len)
{
	char err[512], *env = NULL;
	int rc = cs_fleet_seal(k->sec, kind, "h-20261205-1", version, expires, PAYLOAD,
	                       strlen(PAYLOAD), &env, len, err, sizeof(err));

	if (rc)
		fail_msg("seal: %s", err);
	return env;
}

/* Open a copy of exactly `len` bytes (so that ASan sees any read past). */
static int open_copy(const char *pubtext, const char *env, size_t len, int64_t now,
                     struct cs_fleet_sealed *out, char *why, size_t whylen)
{
	char *c = malloc(len ? len : 1);
	int v;

	assert_non_null(c);
	if (len)
		memcpy(c, env, len);
	v = cs_fleet_open(pubtext, c, len, now, out, why, whylen);
	free(c);
	return v;
}

static void expect(const struct keys *k, const char *env, size_t len, int want)
{
	struct cs_fleet_sealed s;
	char why[256];
	int v = open_copy(k->pubtext, env, len, NOW, &s, why, sizeof(why));

	if (v != want)
		fail_msg("verdict %s (%s), wanted %s", cs_fleet_verdict_name(v), why,
		         cs_fleet_verdict_name(want));
}

/* The start of line `n` (0-based) of an envelope. */
static char *line_at(char *env, int n)
{
	while (n--)
		env = strchr(env, '\n') + 1;
	return env;
}

static void test_round_trip(void **state)
{
	struct keys *k = *state;
	struct cs_fleet_sealed s;
	struct stat st;
	char why[256], hex[65];
	unsigned char sha[32];
	size_t len;
	char *env = seal(k, "hunt", 7, NOW + 600, &len);

	assert_int_equal(cs_fleet_open(k->pubtext, env, len, NOW, &s, why, sizeof(why)),
	                 CS_FLEET_OK);
	assert_string_equal(s.kind, "hunt");
	assert_string_equal(s.id, "h-20261205-1");
	assert_int_equal(s.version, 7);
	assert_int_equal(s.expires, NOW + 600);
	assert_int_equal(s.size, strlen(PAYLOAD));
	assert_int_equal(s.len, strlen(PAYLOAD));
	assert_memory_equal(s.payload, PAYLOAD, s.len);
	assert_ptr_equal(s.payload, env + len - s.len);
	crypto_hash_sha256(sha, (const unsigned char *)PAYLOAD, strlen(PAYLOAD));
	sodium_bin2hex(hex, sizeof(hex), sha, sizeof(sha));
	assert_string_equal(s.sha256, hex);
	/* The .pub text without its comment line is the same key. */
	assert_int_equal(
	        cs_fleet_open(strchr(k->pubtext, '\n') + 1, env, len, NOW, &s, why, sizeof(why)),
	        CS_FLEET_OK);
	/* An empty payload is a payload. */
	free(env);
	assert_int_equal(cs_fleet_seal(k->sec, "bundle", "3", 3, NOW + 1, "", 0, &env, &len, why,
	                               sizeof(why)),
	                 CS_OK);
	assert_int_equal(cs_fleet_open(k->pubtext, env, len, NOW, &s, why, sizeof(why)),
	                 CS_FLEET_OK);
	assert_int_equal(s.len, 0);
	free(env);
	/* The secret key is the owner's alone; nothing is replaced. */
	assert_int_equal(stat(k->sec, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	{
		char *xpub = path_in(k->dir, "x.pub"), *ykey = path_in(k->dir, "y.key");

		assert_int_equal(cs_fleet_keygen(k->sec, xpub, why, sizeof(why)), CS_ERR_INVALID);
		assert_non_null(strstr(why, "exists"));
		assert_int_equal(access(xpub, F_OK), 0 - 1);
		assert_int_equal(cs_fleet_keygen(ykey, k->pub, why, sizeof(why)), CS_ERR_INVALID);
		assert_int_not_equal(access(ykey, F_OK), 0);
		free(xpub);
		free(ykey);
	}
}

static void test_bad_arguments(void **state)
{
	struct keys *k = *state;
	char why[256], *env = NULL, *big;
	size_t len;

	assert_int_equal(
	        cs_fleet_seal(k->sec, "Hunt", "x", 1, NOW, "a", 1, &env, &len, why, sizeof(why)),
	        CS_ERR_INVALID);
	assert_int_equal(
	        cs_fleet_seal(k->sec, "hunt", "a.b", 1, NOW, "a", 1, &env, &len, why, sizeof(why)),
	        CS_ERR_INVALID);
	assert_int_equal(
	        cs_fleet_seal(k->sec, "hunt", "a", -1, NOW, "a", 1, &env, &len, why, sizeof(why)),
	        CS_ERR_INVALID);
	assert_int_equal(
	        cs_fleet_seal(k->pub, "hunt", "a", 1, NOW, "a", 1, &env, &len, why, sizeof(why)),
	        CS_ERR_PARSE);
	big = calloc(1, CS_FLEET_PAYLOAD_MAX + 1);
	assert_non_null(big);
	assert_int_equal(cs_fleet_seal(k->sec, "hunt", "a", 1, NOW, big, CS_FLEET_PAYLOAD_MAX + 1,
	                               &env, &len, why, sizeof(why)),
	                 CS_ERR_TOOBIG);
	free(big);
	assert_null(env);
	/* A pinned key that is not one is the caller's error, not a verdict. */
	assert_int_equal(cs_fleet_open("RWQ not a key\n", "x", 1, NOW, NULL, why, sizeof(why)),
	                 CS_ERR_INVALID);
}

static void test_unsigned(void **state)
{
	struct keys *k = *state;

	expect(k, PAYLOAD, strlen(PAYLOAD), CS_FLEET_UNSIGNED);
	expect(k, "", 0, CS_FLEET_UNSIGNED);
	expect(k, "untrusted comment", 17, CS_FLEET_UNSIGNED);
}

static void test_other_key(void **state)
{
	struct keys *k = *state;
	struct cs_fleet_sealed s;
	char why[256];
	size_t len;
	char *env = seal(k, "hunt", 1, NOW + 60, &len);

	memset(&s, 0x5a, sizeof(s));
	assert_int_equal(cs_fleet_open(k->pubtext2, env, len, NOW, &s, why, sizeof(why)),
	                 CS_FLEET_BAD_KEY);
	assert_non_null(strstr(why, "not the fleet's key"));
	assert_int_equal(s.version, 0x5a5a5a5a5a5a5a5a); /* untouched */
	free(env);
}

static void test_flipped_payload(void **state)
{
	struct keys *k = *state;
	size_t len, i;
	char *env = seal(k, "hunt", 1, NOW + 60, &len);

	for (i = len - strlen(PAYLOAD); i < len; i += 7) {
		env[i] ^= 1;
		expect(k, env, len, CS_FLEET_TAMPERED);
		env[i] ^= 1;
	}
	/* A byte more or fewer. */
	expect(k, env, len - 1, CS_FLEET_TAMPERED);
	env = realloc(env, len + 1);
	env[len] = '\n';
	expect(k, env, len + 1, CS_FLEET_TAMPERED);
	free(env);
}

/* Another base64 character in the same place; flip again to restore. */
static char flipped_from;
static void flip_b64(char *c)
{
	flipped_from = *c;
	*c = *c == 'A' ? 'B' : 'A';
}
static void unflip_b64(char *c)
{
	*c = flipped_from;
}

static void test_flipped_signature(void **state)
{
	struct keys *k = *state;
	size_t len;
	char *env = seal(k, "hunt", 1, NOW + 60, &len);
	char *sig = line_at(env, 1), *gsig = line_at(env, 3);

	flip_b64(sig + 40);
	expect(k, env, len, CS_FLEET_TAMPERED);
	unflip_b64(sig + 40);
	expect(k, env, len, CS_FLEET_OK);
	/* The key id part of the signature line: another key. */
	flip_b64(sig + 5);
	expect(k, env, len, CS_FLEET_BAD_KEY);
	unflip_b64(sig + 5);
	flip_b64(gsig + 30);
	expect(k, env, len, CS_FLEET_TAMPERED);
	unflip_b64(gsig + 30);
	expect(k, env, len, CS_FLEET_OK);
	/* The untrusted comment is not covered: editing it changes nothing. */
	line_at(env, 0)[20] = 'X';
	expect(k, env, len, CS_FLEET_OK);
	free(env);
}

/* Replace the first `from` in the trusted comment by `to` (a new
 * envelope; *len updated). */
static char *edit_comment(const char *env, size_t *len, const char *from, const char *to)
{
	const char *tc = strstr(env, "trusted comment: chainsweep");
	const char *at = strstr(tc, from);
	size_t head = (size_t)(at - env), nl = *len - strlen(from) + strlen(to);
	char *e = malloc(nl);

	assert_non_null(e);
	memcpy(e, env, head);
	memcpy(e + head, to, strlen(to));
	memcpy(e + head + strlen(to), at + strlen(from), *len - head - strlen(from));
	*len = nl;
	return e;
}

static void test_edited_comment(void **state)
{
	struct keys *k = *state;
	static const char *const edits[][2] = {
	        {"hunt", "bundle"},        {"version=3", "version=9"}, {"version=3", "version=30"},
	        {"expires=", "expires=9"}, {"id=h-", "id=x-"},         {"size=", "size=1"},
	        {" size", "  size"},       {"sha256=", "sha256=0"},
	};
	size_t len, i;
	char *env = seal(k, "hunt", 3, NOW + 60, &len);

	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		size_t l = len;
		char *e = edit_comment(env, &l, edits[i][0], edits[i][1]);

		expect(k, e, l, CS_FLEET_TAMPERED);
		free(e);
	}
	free(env);
}

static void test_expired_and_rollback(void **state)
{
	struct keys *k = *state;
	struct cs_fleet_sealed s;
	char why[256];
	size_t len;
	char *env = seal(k, "bundle", 3, NOW, &len);

	memset(&s, 0, sizeof(s));
	assert_int_equal(cs_fleet_open(k->pubtext, env, len, NOW, &s, why, sizeof(why)),
	                 CS_FLEET_EXPIRED);
	assert_int_equal(s.version, 3); /* authentic: said in the status */
	assert_non_null(strstr(why, "expired"));
	assert_int_equal(cs_fleet_open(k->pubtext, env, len, NOW - 1, &s, why, sizeof(why)),
	                 CS_FLEET_OK);
	assert_int_equal(cs_fleet_accept_bundle(&s, 4), CS_FLEET_ROLLBACK);
	assert_int_equal(cs_fleet_accept_bundle(&s, 3), CS_FLEET_OK);
	assert_int_equal(cs_fleet_accept_bundle(&s, 2), CS_FLEET_OK);
	assert_int_equal(cs_fleet_accept_bundle(&s, 0), CS_FLEET_OK);
	assert_string_equal(cs_fleet_verdict_name(CS_FLEET_ROLLBACK), "rollback");
	assert_string_equal(cs_fleet_verdict_name(99), "unknown");
	free(env);
}

/* Every cut of an envelope is refused: inside the four lines as
 * malformed (or unsigned before the first line's prefix), inside the
 * payload as tampered. */
static void test_truncated(void **state)
{
	struct keys *k = *state;
	size_t len, cut, head;
	char *env = seal(k, "hunt", 1, NOW + 60, &len);

	head = len - strlen(PAYLOAD);
	for (cut = 0; cut < len; cut++) {
		int want = cut < 19     ? CS_FLEET_UNSIGNED
		           : cut < head ? CS_FLEET_MALFORMED
		                        : CS_FLEET_TAMPERED;
		struct cs_fleet_sealed s;
		char why[256];
		int v = open_copy(k->pubtext, env, cut, NOW, &s, why, sizeof(why));

		if (v != want)
			fail_msg("cut at %zu: %s (%s), wanted %s", cut, cs_fleet_verdict_name(v),
			         why, cs_fleet_verdict_name(want));
	}
	free(env);
}

static void test_garbage(void **state)
{
	struct keys *k = *state;
	unsigned char buf[600];
	char env[700];
	size_t i;

	for (i = 0; i < 50; i++) {
		randombytes_buf(buf, sizeof(buf));
		if (memcmp(buf, "untrusted comment: ", 19) != 0)
			expect(k, (const char *)buf, sizeof(buf), CS_FLEET_UNSIGNED);
		memcpy(env, "untrusted comment: ", 19);
		memcpy(env + 19, buf, sizeof(buf));
		expect(k, env, 19 + sizeof(buf), CS_FLEET_MALFORMED);
	}
	/* Lines of the right shape whose content is not. */
	snprintf(env, sizeof(env), "untrusted comment: x\n%s\ntrusted comment: x\n%s\n",
	         "not base64 at all", "nor this");
	expect(k, env, strlen(env), CS_FLEET_MALFORMED);
}

/* Authentic envelopes (signed with the fleet key) whose comments lie or
 * are out of form: the refusal still comes, and nothing is sized by the
 * claim. */
static void test_claimed_size(void **state)
{
	struct keys *k = *state;
	static const struct {
		const char *comment;
		int want;
	} cases[] = {
	        {"chainsweep hunt id=a version=1 expires=1796000600 "
	         "sha256=0000000000000000000000000000000000000000000000000000000000000000 "
	         "size=9223372036854775807",
	         CS_FLEET_TAMPERED},
	        {"chainsweep hunt id=a version=1 expires=1796000600 "
	         "sha256=0000000000000000000000000000000000000000000000000000000000000000 "
	         "size=99999999999999999999999",
	         CS_FLEET_MALFORMED},
	        {"chainsweep hunt id=a version=1 expires=1796000600 "
	         "sha256=0000000000000000000000000000000000000000000000000000000000000000 size=3",
	         CS_FLEET_TAMPERED},
	        {"chainsweep hunt id=a version=01 expires=1796000600 "
	         "sha256=0000000000000000000000000000000000000000000000000000000000000000 size=3",
	         CS_FLEET_MALFORMED},
	        {"chainsweep hunt id=a version=-1 expires=1796000600 "
	         "sha256=0000000000000000000000000000000000000000000000000000000000000000 size=3",
	         CS_FLEET_MALFORMED},
	        {"chainsweep hunt id=a version=1 expires=0 "
	         "sha256=0000000000000000000000000000000000000000000000000000000000000000 size=3",
	         CS_FLEET_MALFORMED},
	        {"chainsweep hunt id=a version=1 expires=1796000600 sha256=00 size=3",
	         CS_FLEET_MALFORMED},
	        {"timestamp:1796000000\tfile:hunt.json", CS_FLEET_MALFORMED},
	        {"", CS_FLEET_MALFORMED},
	};
	char why[256], *env;
	size_t i, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(cs__fleet_seal_comment(k->sec, cases[i].comment, "abc", 3, &env,
		                                        &len, why, sizeof(why)),
		                 CS_OK);
		if (open_copy(k->pubtext, env, len, NOW, NULL, why, sizeof(why)) != cases[i].want)
			fail_msg("case %zu: %s", i, why);
		free(env);
	}
	/* An envelope above the cap is refused before anything is hashed. */
	env = seal(k, "hunt", 1, NOW + 60, &len);
	{
		char *big = calloc(1, CS_FLEET_ENVELOPE_MAX + 1);

		assert_non_null(big);
		memcpy(big, env, len);
		expect(k, big, CS_FLEET_ENVELOPE_MAX + 1, CS_FLEET_MALFORMED);
		free(big);
	}
	free(env);
}

static int have_minisign(void)
{
	return system("minisign -v >/dev/null 2>&1") == 0;
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

/* Split an envelope into the signature file and the payload file. */
static void split(const struct keys *k, const char *env, size_t len, const char *sig,
                  const char *msg)
{
	const char *payload = line_at((char *)env, 4);

	free(cs_test_write(k->dir, sig, env, (size_t)(payload - env)));
	free(cs_test_write(k->dir, msg, payload, len - (size_t)(payload - env)));
}

static void test_minisign_interop(void **state)
{
	struct keys *k = *state;
	char why[256], *env, *sigfile, mpub[CS_FLEET_PUBTEXT_MAX], comment[512], hex[65];
	unsigned char sha[32];
	struct cs_fleet_sealed s;
	size_t len, slen;

	if (!have_minisign()) {
		print_message("SKIP: minisign not installed\n");
		skip();
	}
	/* minisign -V accepts what we sign, and refuses it edited. */
	env = seal(k, "hunt", 5, NOW + 60, &len);
	split(k, env, len, "h.minisig", "h.json");
	assert_int_equal(run("cd '%s' && minisign -Vq -p fleet.pub -m h.json -x h.minisig", k->dir),
	                 0);
	free(env);
	env = seal(k, "hunt", 6, NOW + 60, &len);
	env[len - 2] ^= 1;
	split(k, env, len, "t.minisig", "t.json");
	assert_int_not_equal(run("cd '%s' && minisign -Vq -p fleet.pub -m t.json -x t.minisig "
	                         "2>/dev/null",
	                         k->dir),
	                     0);
	free(env);

	/* We accept what minisign signs with a minisign-made key (and with
	 * ours), given our trusted comment. */
	assert_int_equal(
	        run("cd '%s' && minisign -G -W -p m.pub -s m.key >/dev/null </dev/null", k->dir),
	        0);
	free(cs_test_write(k->dir, "p.json", PAYLOAD, strlen(PAYLOAD)));
	crypto_hash_sha256(sha, (const unsigned char *)PAYLOAD, strlen(PAYLOAD));
	sodium_bin2hex(hex, sizeof(hex), sha, sizeof(sha));
	snprintf(comment, sizeof(comment),
	         "chainsweep hunt id=h-1 version=2 expires=%d sha256=%s size=%zu", NOW + 60, hex,
	         strlen(PAYLOAD));
	{
		char *mk = path_in(k->dir, "m.pub");

		assert_int_equal(cs_fleet_pubkey_load(mk, mpub, why, sizeof(why)), CS_OK);
		free(mk);
	}
	for (int key = 0; key < 2; key++) {
		assert_int_equal(run("cd '%s' && minisign -S -s %s -m p.json -x p.minisig -t '%s' "
		                     ">/dev/null </dev/null",
		                     k->dir, key ? "fleet.key" : "m.key", comment),
		                 0);
		sigfile = path_in(k->dir, "p.minisig");
		{
			char *sig = cs_test_slurp(sigfile, &slen);

			env = malloc(slen + strlen(PAYLOAD));
			assert_non_null(env);
			memcpy(env, sig, slen);
			memcpy(env + slen, PAYLOAD, strlen(PAYLOAD));
			free(sig);
		}
		free(sigfile);
		assert_int_equal(cs_fleet_open(key ? k->pubtext : mpub, env, slen + strlen(PAYLOAD),
		                               NOW, &s, why, sizeof(why)),
		                 CS_FLEET_OK);
		assert_int_equal(s.version, 2);
		assert_int_equal(cs_fleet_open(key ? mpub : k->pubtext, env, slen + strlen(PAYLOAD),
		                               NOW, &s, why, sizeof(why)),
		                 CS_FLEET_BAD_KEY);
		free(env);
		run("rm -f '%s/p.minisig'", k->dir);
	}
	/* We sign with minisign's unencrypted key, and minisign checks it. */
	{
		char *mk = path_in(k->dir, "m.key");

		assert_int_equal(cs_fleet_seal(mk, "bundle", "9", 9, NOW + 60, PAYLOAD,
		                               strlen(PAYLOAD), &env, &len, why, sizeof(why)),
		                 CS_OK);
		free(mk);
	}
	split(k, env, len, "b.minisig", "b.json");
	assert_int_equal(run("cd '%s' && minisign -Vq -p m.pub -m b.json -x b.minisig", k->dir), 0);
	free(env);
}

static void test_nkeys(void **state)
{
	char seed[59], pub[57], pub2[57], bad[59];
	unsigned char pk[32], *sig = NULL;
	int siglen = 0, i;

	(void)state;
	assert_int_equal(nats_Open(-1), NATS_OK);
	/* The user key pair of the NATS documentation's nkey example. */
	assert_int_equal(cs_fleet_nkey_public(
	                         "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY", pub),
	                 CS_OK);
	assert_string_equal(pub, "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4");
	assert_int_equal(cs_fleet_nkey_new(seed, pub), CS_OK);
	assert_int_equal(strlen(seed), 58);
	assert_int_equal(strlen(pub), 56);
	assert_memory_equal(seed, "SU", 2);
	assert_int_equal(pub[0], 'U');
	assert_int_equal(cs_fleet_nkey_public(seed, pub2), CS_OK);
	assert_string_equal(pub, pub2);
	assert_int_equal(cs_fleet_nkey_decode(pub, pk), CS_OK);
	/* libnats decodes our seed and signs; our public key checks it. */
	assert_int_equal(nats_Sign(seed, "nonce", &sig, &siglen), NATS_OK);
	assert_int_equal(siglen, 64);
	assert_int_equal(crypto_sign_verify_detached(sig, (const unsigned char *)"nonce", 5, pk),
	                 0);
	assert_int_not_equal(
	        crypto_sign_verify_detached(sig, (const unsigned char *)"nonc3", 5, pk), 0);
	free(sig);
	/* Any one character changed: refused (checksum or padding bits). */
	for (i = 2; i < 58; i++) {
		memcpy(bad, seed, sizeof(bad));
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		assert_int_equal(cs_fleet_nkey_public(bad, pub2), CS_ERR_PARSE);
	}
	memcpy(bad, pub, 57);
	bad[20] = bad[20] == 'A' ? 'B' : 'A';
	assert_int_equal(cs_fleet_nkey_decode(bad, pk), CS_ERR_PARSE);
	/* A public key is not a seed, a seed not a public key, and the
	 * lengths are exact. */
	assert_int_equal(cs_fleet_nkey_public(pub, pub2), CS_ERR_PARSE);
	assert_int_equal(cs_fleet_nkey_decode(seed, pk), CS_ERR_PARSE);
	assert_int_equal(cs_fleet_nkey_decode("U", pk), CS_ERR_PARSE);
	memcpy(bad, seed, sizeof(bad));
	bad[57] = 0;
	assert_int_equal(cs_fleet_nkey_public(bad, pub2), CS_ERR_PARSE);
	bad[2] = 'a';
	assert_int_equal(cs_fleet_nkey_public(bad, pub2), CS_ERR_PARSE);
	/* An operator seed ("SO") is not a user's. */
	assert_int_equal(
	        cs_fleet_nkey_public("SOALU7LPGJK2BDF7IHD7UZT6ZM23UMKYLGJLNTRAU2FZNLTBY3C3LCFAFI",
	                             pub2),
	        CS_ERR_PARSE);
	nats_Close();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_round_trip),      cmocka_unit_test(test_bad_arguments),
	        cmocka_unit_test(test_unsigned),        cmocka_unit_test(test_other_key),
	        cmocka_unit_test(test_flipped_payload), cmocka_unit_test(test_flipped_signature),
	        cmocka_unit_test(test_edited_comment),  cmocka_unit_test(test_expired_and_rollback),
	        cmocka_unit_test(test_truncated),       cmocka_unit_test(test_garbage),
	        cmocka_unit_test(test_claimed_size),    cmocka_unit_test(test_minisign_interop),
	        cmocka_unit_test(test_nkeys),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

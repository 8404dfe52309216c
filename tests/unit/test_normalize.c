/*
 * Unit tests of lib/intel/normalize.c: refanging, the canonical form of
 * every kind with each rejection reason, kind guessing, address parsing,
 * and hostile inputs. Every accepted value is also checked to be a fixed
 * point: normalising the canonical form again gives the same kind and
 * bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "intel/normalize_int.h"

#define MD5_L    "d41d8cd98f00b204e9800998ecf8427e"
#define MD5_U    "D41D8CD98F00B204E9800998ECF8427E"
#define SHA1_L   "da39a3ee5e6b4b0d3255bfef95601890afd80709"
#define SHA1_U   "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709"
#define SHA256_L "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA256_U "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
#define SHA512_L                                                                                   \
	"cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2" \
	"877eec2f63b931bd47417a81a538327af927da3e"

#define NORM_CAP ((size_t)65536)

/*
 * One normalisation case. `kind_out` is CS_KIND_NONE for a rejection,
 * and `expect` is then the reason tag; otherwise it is the canonical
 * form. `len` 0 means strlen(in).
 */
struct ncase {
	enum cs_kind kind;
	const char *in;
	size_t len;
	enum cs_kind kind_out;
	const char *expect;
};

/* clang-format off */
#define OK(k, in, ko, out) {CS_KIND_##k, in, 0, CS_KIND_##ko, out}
#define NO(k, in, why) {CS_KIND_##k, in, 0, CS_KIND_NONE, why}
#define NOL(k, in, why) {CS_KIND_##k, in, sizeof(in) - 1, CS_KIND_NONE, why}
/* clang-format on */

static const char *const reasons[] = {
	"bad-hash",  "hash-length", "bad-domain", "bad-ip",   "bad-cidr",  "bad-url",
	"bad-email", "bad-regex",   "empty",      "too-long", "bad-value",
};

static int known_reason(const char *why)
{
	size_t i;

	for (i = 0; why && i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		if (strcmp(why, reasons[i]) == 0)
			return 1;
	}
	return 0;
}

/*
 * Normalise and hold the result to the invariants every call must keep,
 * whatever the input: a known reason on rejection, no NUL inside an
 * accepted value, and a fixed point. Returns the cmocka-independent
 * outcome so that hostile-input loops can use it too.
 */
static int norm_checked(enum cs_kind kind, const char *in, size_t len, enum cs_kind *kind_out,
			struct cs_buf *out, const char **why)
{
	enum cs_kind k = (enum cs_kind)999, k2 = (enum cs_kind)999;
	const char *w = NULL, *w2 = NULL;
	struct cs_buf again;
	int rc;

	rc = cs__normalize(kind, in, len, &k, out, &w);
	if (rc != CS_OK) {
		if (rc != CS_ERR_PARSE)
			fail_msg("kind %d: rc %d for input of %zu bytes", (int)kind, rc, len);
		if (k != (enum cs_kind)999)
			fail_msg("kind %d: kind_out written on failure", (int)kind);
		if (!known_reason(w))
			fail_msg("kind %d: unknown reason '%s'", (int)kind, w ? w : "(null)");
		*why = w;
		return rc;
	}
	if (w != NULL)
		fail_msg("kind %d: why written on success", (int)kind);
	if (out->len == 0 || strlen(cs__buf_cstr(out)) != out->len)
		fail_msg("kind %d: empty output or NUL inside", (int)kind);
	if (out->len > NORM_CAP)
		fail_msg("kind %d: output of %zu bytes over the cap", (int)kind, out->len);
	cs__buf_init(&again, 0);
	rc = cs__normalize(k, out->data, out->len, &k2, &again, &w2);
	if (rc != CS_OK || k2 != k || again.len != out->len ||
	    memcmp(again.data, out->data, out->len) != 0)
		fail_msg("not a fixed point: kind %d '%s' -> rc %d kind %d '%s' (%s)", (int)k,
			 out->data, rc, (int)k2, cs__buf_cstr(&again), rc ? w2 : "");
	cs__buf_release(&again);
	*kind_out = k;
	return CS_OK;
}

static void run_cases(const struct ncase *c, size_t n)
{
	struct cs_buf out;
	size_t i;

	cs__buf_init(&out, 0);
	for (i = 0; i < n; i++) {
		size_t len = c[i].len ? c[i].len : strlen(c[i].in);
		enum cs_kind k = CS_KIND_NONE;
		const char *why = NULL;
		int rc = norm_checked(c[i].kind, c[i].in, len, &k, &out, &why);

		if (c[i].kind_out == CS_KIND_NONE) {
			if (rc != CS_ERR_PARSE || strcmp(why, c[i].expect) != 0)
				fail_msg("case %zu kind %d '%s': want reject '%s', got rc %d '%s' "
					 "(%s)",
					 i, (int)c[i].kind, c[i].in, c[i].expect, rc,
					 rc ? why : cs__buf_cstr(&out), rc ? "" : "accepted");
			continue;
		}
		if (rc != CS_OK)
			fail_msg("case %zu kind %d '%s': want '%s', rejected '%s'", i,
				 (int)c[i].kind, c[i].in, c[i].expect, why);
		if (k != c[i].kind_out || strcmp(cs__buf_cstr(&out), c[i].expect) != 0)
			fail_msg("case %zu kind %d '%s': want kind %d '%s', got kind %d '%s'", i,
				 (int)c[i].kind, c[i].in, (int)c[i].kind_out, c[i].expect, (int)k,
				 cs__buf_cstr(&out));
	}
	cs__buf_release(&out);
}

#define RUN(table) run_cases(table, sizeof(table) / sizeof(table[0]))

/* ---------------------------------------------------------------- refang */

struct rcase {
	const char *in;
	size_t len;
	const char *out;
	size_t outlen;
};

static void test_refang(void **state)
{
	static const struct rcase cases[] = {
		{"evil[.]com", 0, "evil.com", 0},
		{"evil(.)com", 0, "evil.com", 0},
		{"evil{.}com", 0, "evil.com", 0},
		{"evil[dot]com", 0, "evil.com", 0},
		{"evil(dot)com", 0, "evil.com", 0},
		{"evil[DOT]com", 0, "evil.com", 0},
		{"a[.]b(.)c{.}d[dot]e(Dot)f", 0, "a.b.c.d.e.f", 0},
		{"hxxp://a", 0, "http://a", 0},
		{"hxxps://a", 0, "https://a", 0},
		{"hXXp://a", 0, "http://a", 0},
		{"HXXPS://a", 0, "https://a", 0},
		{"fxp://a", 0, "ftp://a", 0},
		{"hxxp[:]//a", 0, "http://a", 0},
		{"hxxps[://]a", 0, "https://a", 0},
		{"  hxxp://a", 0, "  http://a", 0},
		{"a[@]b", 0, "a@b", 0},
		{"a(at)b", 0, "a@b", 0},
		{"a[at]b", 0, "a@b", 0},
		{"a(AT)b", 0, "a@b", 0},
		{"1.2.3[.]4", 0, "1.2.3.4", 0},
		/* scheme position only */
		{"xhxxp://a", 0, "xhxxp://a", 0},
		{"see hxxp://a", 0, "see hxxp://a", 0},
		{"hxxpx://a", 0, "hxxpx://a", 0},
		{"hxxp", 0, "hxxp", 0},
		{"a/hxxp://b", 0, "a/hxxp://b", 0},
		/* regex escapes are not defanging */
		{"\\.evil\\.com", 0, "\\.evil\\.com", 0},
		{"evil\\[.\\]com", 0, "evil\\[.\\]com", 0},
		/* nested and partial forms */
		{"[[.]]", 0, ".", 0},
		{"(([.]))", 0, ".", 0},
		{"[(.)]", 0, ".", 0},
		{"([at]t)", 0, "(@t)", 0},
		{"[.](.)", 0, "..", 0},
		{"[.", 0, "[.", 0},
		{".]", 0, ".]", 0},
		{"[]", 0, "[]", 0},
		{"[ . ]", 0, "[ . ]", 0},
		{"", 0, "", 0},
		{"a\0[.]b", 6, "a\0.b", 4},
	};
	struct cs_buf out, again;
	size_t i;

	(void)state;
	cs__buf_init(&out, 0);
	cs__buf_init(&again, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rcase *c = &cases[i];
		size_t len = c->len ? c->len : strlen(c->in);
		size_t olen = c->outlen ? c->outlen : strlen(c->out);

		assert_int_equal(cs__refang(c->in, len, &out), CS_OK);
		if (out.len != olen || memcmp(cs__buf_cstr(&out), c->out, olen) != 0)
			fail_msg("refang '%s': want '%s', got '%s'", c->in, c->out,
				 cs__buf_cstr(&out));
		assert_int_equal(cs__refang(cs__buf_cstr(&out), out.len, &again), CS_OK);
		assert_int_equal(again.len, out.len);
		assert_memory_equal(cs__buf_cstr(&again), cs__buf_cstr(&out), out.len);
	}
	/* The output buffer is reset, not appended to. */
	assert_int_equal(cs__refang("x", 1, &out), CS_OK);
	assert_string_equal(cs__buf_cstr(&out), "x");
	cs__buf_release(&out);
	cs__buf_release(&again);
}

/* ---------------------------------------------------------------- hashes */

static void test_hash_key_kind(void **state)
{
	static const struct {
		const char *key;
		enum cs_kind kind;
	} cases[] = {
		{"MD5", CS_KIND_MD5},          {"md5", CS_KIND_MD5},
		{"SHA1", CS_KIND_SHA1},        {"SHA-1", CS_KIND_SHA1},
		{"sha1", CS_KIND_SHA1},        {"'SHA-1'", CS_KIND_SHA1},
		{"SHA256", CS_KIND_SHA256},    {"SHA-256", CS_KIND_SHA256},
		{"'SHA-256'", CS_KIND_SHA256}, {"\"SHA-256\"", CS_KIND_SHA256},
		{"sha256", CS_KIND_SHA256},    {"Sha256", CS_KIND_SHA256},
		{"SHA512", CS_KIND_SHA512},    {"SHA-512", CS_KIND_SHA512},
		{"sha-512", CS_KIND_SHA512},   {"sha512", CS_KIND_SHA512},
		{"'MD5'", CS_KIND_MD5},        {"", CS_KIND_NONE},
		{"'", CS_KIND_NONE},           {"''", CS_KIND_NONE},
		{"'SHA-256\"", CS_KIND_NONE},  {"'SHA-256", CS_KIND_NONE},
		{"SHA3-256", CS_KIND_NONE},    {"SHA-384", CS_KIND_NONE},
		{"SSDEEP", CS_KIND_NONE},      {"TLSH", CS_KIND_NONE},
		{"sha--256", CS_KIND_NONE},    {"-sha256", CS_KIND_NONE},
		{"sha256 ", CS_KIND_NONE},     {"md5sum", CS_KIND_NONE},
		{"imphash", CS_KIND_NONE},     {"filename|md5", CS_KIND_NONE},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum cs_kind k = cs__hash_key_kind(cases[i].key, strlen(cases[i].key));

		if (k != cases[i].kind)
			fail_msg("hash key '%s': want %d, got %d", cases[i].key, (int)cases[i].kind,
				 (int)k);
	}
	assert_int_equal(cs__hash_key_kind(NULL, 0), CS_KIND_NONE);
	assert_int_equal(cs__hash_key_kind("md5x", 3), CS_KIND_MD5);
}

static void test_hashes(void **state)
{
	static const struct ncase cases[] = {
		OK(MD5, MD5_L, MD5, MD5_L),
		OK(MD5, MD5_U, MD5, MD5_L),
		OK(SHA1, SHA1_U, SHA1, SHA1_L),
		OK(SHA256, SHA256_U, SHA256, SHA256_L),
		OK(SHA512, SHA512_L, SHA512, SHA512_L),
		OK(SHA1, "  \t" SHA1_L " \r\n", SHA1, SHA1_L),
		OK(SHA256, "SHA256=" SHA256_U, SHA256, SHA256_L),
		OK(SHA256, "sha256:" SHA256_L, SHA256, SHA256_L),
		OK(SHA256, "SHA-256 = " SHA256_L, SHA256, SHA256_L),
		OK(MD5, "MD5=" MD5_U, MD5, MD5_L),
		OK(HASH_AUTO, MD5_U, MD5, MD5_L),
		OK(HASH_AUTO, SHA1_L, SHA1, SHA1_L),
		OK(HASH_AUTO, SHA256_U, SHA256, SHA256_L),
		OK(HASH_AUTO, SHA512_L, SHA512, SHA512_L),
		OK(HASH_AUTO, "sha1:" SHA1_U, SHA1, SHA1_L),
		OK(HASH_AUTO, "'SHA-256':" SHA256_L, SHA256, SHA256_L),
		OK(HASH_AUTO, "md5=" MD5_L, MD5, MD5_L),
		NO(MD5, "", "empty"),
		NO(SHA256, " \t\n ", "empty"),
		NO(MD5, "MD5=", "empty"),
		NO(HASH_AUTO, "sha256:   ", "empty"),
		NO(MD5, "d41d8cd98f00b204e9800998ecf8427", "hash-length"),
		NO(MD5, MD5_L "0", "hash-length"),
		NO(MD5, SHA256_L, "hash-length"),
		NO(SHA1, MD5_L, "hash-length"),
		NO(SHA256, SHA1_L, "hash-length"),
		NO(SHA512, SHA256_L, "hash-length"),
		NO(HASH_AUTO, MD5_L "0", "hash-length"),
		NO(HASH_AUTO, "abc", "hash-length"),
		NO(HASH_AUTO, "sha256:" MD5_L, "hash-length"),
		NO(MD5, "g41d8cd98f00b204e9800998ecf8427e", "bad-hash"),
		NO(MD5, "d41d8cd9 8f00b204e9800998ecf8427e", "bad-hash"),
		NO(HASH_AUTO, MD5_L " " MD5_L, "bad-hash"),
		NO(HASH_AUTO, MD5_L "," MD5_L, "bad-hash"),
		NO(HASH_AUTO, "0x" MD5_L, "bad-hash"),
		NO(MD5, "SHA256=" MD5_L, "bad-hash"),
		NO(SHA256, "md5:" SHA256_L, "bad-hash"),
		NO(HASH_AUTO, "SHA3-256=" SHA256_L, "bad-hash"),
		NO(HASH_AUTO, "hash=" SHA256_L, "bad-hash"),
		NO(HASH_AUTO, "=" SHA256_L, "bad-hash"),
		NOL(MD5,
		    "d41d8cd98f00b204\0"
		    "e9800998ecf8427e",
		    "bad-hash"),
		NO(SHA256, "e3b0c44298fc1c149afbf4c8996fb924-27ae41e4649b934ca495991b7852b85",
		   "bad-hash"),
	};

	(void)state;
	RUN(cases);
}

/* ---------------------------------------------------------------- domains */

static void test_domains(void **state)
{
	static const struct ncase cases[] = {
		OK(DOMAIN, "evil.com", DOMAIN, "evil.com"),
		OK(DOMAIN, "evil[.]com", DOMAIN, "evil.com"),
		OK(DOMAIN, "EVIL.COM.", DOMAIN, "evil.com"),
		OK(DOMAIN, "  a.Evil(dot)COM \n", DOMAIN, "a.evil.com"),
		OK(DOMAIN, "xn--80ak6aa92e.com", DOMAIN, "xn--80ak6aa92e.com"),
		OK(DOMAIN, "_dmarc.example.com", DOMAIN, "_dmarc.example.com"),
		OK(DOMAIN, "a-b.c_d.com", DOMAIN, "a-b.c_d.com"),
		OK(DOMAIN, "apollo-crypto.org.shilaerc20.com", DOMAIN,
		   "apollo-crypto.org.shilaerc20.com"),
		OK(DOMAIN, "localhost", DOMAIN, "localhost"),
		OK(DOMAIN, "LOCALHOST.", DOMAIN, "localhost"),
		OK(DOMAIN, "1.2.3.com", DOMAIN, "1.2.3.com"),
		OK(DOMAIN, "123.4a", DOMAIN, "123.4a"),
		OK(DOMAIN, "x.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		   DOMAIN, "x.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
		NO(DOMAIN, "", "empty"),
		NO(DOMAIN, "  ", "empty"),
		NO(DOMAIN, ".", "bad-domain"),
		NO(DOMAIN, "..", "bad-domain"),
		NO(DOMAIN, "evil.com..", "bad-domain"),
		NO(DOMAIN, ".evil.com", "bad-domain"),
		NO(DOMAIN, "evil..com", "bad-domain"),
		NO(DOMAIN, "*.evil.com", "bad-domain"),
		NO(DOMAIN, "http://evil.com", "bad-domain"),
		NO(DOMAIN, "hxxp://evil[.]com", "bad-domain"),
		NO(DOMAIN, "evil.com/path", "bad-domain"),
		NO(DOMAIN, "evil.com:443", "bad-domain"),
		NO(DOMAIN, "user@evil.com", "bad-domain"),
		NO(DOMAIN, "evil com", "bad-domain"),
		NO(DOMAIN, "1.2.3.4", "bad-domain"),
		NO(DOMAIN, "evil.123", "bad-domain"),
		NO(DOMAIN, "12345", "bad-domain"),
		NO(DOMAIN, "\xc3\xa9vil.com", "bad-domain"),
		NO(DOMAIN, "evil\\.com", "bad-domain"),
		NO(DOMAIN, "[evil.com]", "bad-domain"),
		NOL(DOMAIN, "evil.com\0.org", "bad-domain"),
		NO(DOMAIN, "x.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		   "bad-domain"),
	};
	struct cs_buf out;
	char name[300];
	enum cs_kind k;
	const char *why;
	size_t i;

	(void)state;
	RUN(cases);

	/* 253 bytes is the longest name; 254 is one too many. */
	cs__buf_init(&out, 0);
	for (i = 0; i < 253; i++)
		name[i] = (i % 50 == 49) ? '.' : 'a';
	name[253] = '.';
	assert_int_equal(norm_checked(CS_KIND_DOMAIN, name, 254, &k, &out, &why), CS_OK);
	assert_int_equal(out.len, 253);
	name[253] = 'a';
	assert_int_equal(norm_checked(CS_KIND_DOMAIN, name, 254, &k, &out, &why), CS_ERR_PARSE);
	assert_string_equal(why, "bad-domain");
	cs__buf_release(&out);
}

/* ---------------------------------------------------------------- addresses */

static void test_ipv4(void **state)
{
	static const struct ncase cases[] = {
		OK(IPV4, "1.2.3.4", IPV4, "1.2.3.4"),
		OK(IPV4, " 1.2.3.4\n", IPV4, "1.2.3.4"),
		OK(IPV4, "0.0.0.0", IPV4, "0.0.0.0"),
		OK(IPV4, "255.255.255.255", IPV4, "255.255.255.255"),
		OK(IPV4, "185.181.230[.]103", IPV4, "185.181.230.103"),
		OK(IPV4, "10.1.2.3/8", CIDR, "10.0.0.0/8"),
		OK(IPV4, "192.168.1.255/24", CIDR, "192.168.1.0/24"),
		OK(IPV4, "172.31.255.255/12", CIDR, "172.16.0.0/12"),
		OK(IPV4, "1.2.3.4/31", CIDR, "1.2.3.4/31"),
		OK(IPV4, "1.2.3.5/31", CIDR, "1.2.3.4/31"),
		OK(IPV4, "1.2.3.4/32", IPV4, "1.2.3.4"),
		OK(IPV4, "1.2.3.4/0", CIDR, "0.0.0.0/0"),
		OK(IPV4, "1.2.3.4/9", CIDR, "1.0.0.0/9"),
		OK(IPV4, "1.255.3.4/9", CIDR, "1.128.0.0/9"),
		NO(IPV4, "", "empty"),
		NO(IPV4, "010.1.2.3", "bad-ip"),
		NO(IPV4, "1.2.3.04", "bad-ip"),
		NO(IPV4, "1.2.00.4", "bad-ip"),
		NO(IPV4, "1.2.3", "bad-ip"),
		NO(IPV4, "1.2.3.", "bad-ip"),
		NO(IPV4, ".1.2.3", "bad-ip"),
		NO(IPV4, "1..2.3", "bad-ip"),
		NO(IPV4, "1.2.3.4.5", "bad-ip"),
		NO(IPV4, "256.1.1.1", "bad-ip"),
		NO(IPV4, "1.2.3.1000", "bad-ip"),
		NO(IPV4, "1.2.3.4:80", "bad-ip"),
		NO(IPV4, "1.2.3.-1", "bad-ip"),
		NO(IPV4, "1.2.3.4 x", "bad-ip"),
		NO(IPV4, "1.2.3. 4", "bad-ip"),
		NO(IPV4, "0x7f.0.0.1", "bad-ip"),
		NO(IPV4, "2130706433", "bad-ip"),
		NO(IPV4, "::1", "bad-ip"),
		NO(IPV4, "evil.com", "bad-ip"),
		NOL(IPV4, "1.2.3.4\0", "bad-ip"),
		NO(IPV4, "1.2.3.4/33", "bad-cidr"),
		NO(IPV4, "1.2.3.4/", "bad-cidr"),
		NO(IPV4, "1.2.3.4/08", "bad-cidr"),
		NO(IPV4, "1.2.3.4/8x", "bad-cidr"),
		NO(IPV4, "1.2.3.4/-1", "bad-cidr"),
		NO(IPV4, "1.2.3.4/1000", "bad-cidr"),
		NO(IPV4, "1.2.3.4//8", "bad-cidr"),
		NO(IPV4, "1.2.3.4/8/8", "bad-cidr"),
		NO(IPV4, "1.2.3.4/ 8", "bad-cidr"),
		NO(IPV4, "1.2.3.4/255.0.0.0", "bad-cidr"),
	};

	(void)state;
	RUN(cases);
}

static void test_ipv6(void **state)
{
	static const struct ncase cases[] = {
		OK(IPV6, "2001:DB8:0:0:0:0:0:1", IPV6, "2001:db8::1"),
		OK(IPV6, "2001:0db8:0000:0000:0000:0000:0000:0001", IPV6, "2001:db8::1"),
		OK(IPV6, "2001:db8::1", IPV6, "2001:db8::1"),
		OK(IPV6, "::", IPV6, "::"),
		OK(IPV6, "::1", IPV6, "::1"),
		OK(IPV6, "1::", IPV6, "1::"),
		OK(IPV6, "0:0:0:0:0:0:0:0", IPV6, "::"),
		OK(IPV6, "::ffff:1.2.3.4", IPV6, "::ffff:1.2.3.4"),
		OK(IPV6, "::FFFF:0102:0304", IPV6, "::ffff:1.2.3.4"),
		OK(IPV6, "0:0:0:0:0:ffff:1.2.3.4", IPV6, "::ffff:1.2.3.4"),
		OK(IPV6, "::1.2.3.4", IPV6, "::102:304"),
		OK(IPV6, "64:ff9b::192.0.2.33", IPV6, "64:ff9b::c000:221"),
		OK(IPV6, "1:2:3:4:5:6:1.2.3.4", IPV6, "1:2:3:4:5:6:102:304"),
		OK(IPV6, "2001:db8:0:1:1:1:1:1", IPV6, "2001:db8:0:1:1:1:1:1"),
		OK(IPV6, "2001:0:0:1:0:0:0:1", IPV6, "2001:0:0:1::1"),
		OK(IPV6, "2001:db8:0:0:1:0:0:1", IPV6, "2001:db8::1:0:0:1"),
		OK(IPV6, "1:2:3:4:5:6:7::", IPV6, "1:2:3:4:5:6:7:0"),
		OK(IPV6, "::2:3:4:5:6:7:8", IPV6, "0:2:3:4:5:6:7:8"),
		OK(IPV6, "1:0:0:4:5:6:7:8", IPV6, "1::4:5:6:7:8"),
		OK(IPV6, "FE80::ABCD:EF01", IPV6, "fe80::abcd:ef01"),
		OK(IPV6, "2001:db8:[:]1", IPV6, "2001:db8::1"),
		OK(IPV6, "fe80::1/64", CIDR, "fe80::/64"),
		OK(IPV6, "2001:db8::1/128", IPV6, "2001:db8::1"),
		OK(IPV6, "2001:db8:ffff::/32", CIDR, "2001:db8::/32"),
		OK(IPV6, "2001:db8:ffff::/33", CIDR, "2001:db8:8000::/33"),
		OK(IPV6, "2001:db8::1/127", CIDR, "2001:db8::/127"),
		OK(IPV6, "::1/0", CIDR, "::/0"),
		NO(IPV6, "", "empty"),
		NO(IPV6, "fe80::1%eth0", "bad-ip"),
		NO(IPV6, "fe80::1%25eth0", "bad-ip"),
		NO(IPV6, ":", "bad-ip"),
		NO(IPV6, ":::", "bad-ip"),
		NO(IPV6, "1:::2", "bad-ip"),
		NO(IPV6, "1::2::3", "bad-ip"),
		NO(IPV6, "12345::", "bad-ip"),
		NO(IPV6, "1:2:3:4:5:6:7:8:9", "bad-ip"),
		NO(IPV6, "1:2:3:4:5:6:7", "bad-ip"),
		NO(IPV6, "1:2:3:4:5:6:7:8::", "bad-ip"),
		NO(IPV6, "::1:2:3:4:5:6:7:8", "bad-ip"),
		NO(IPV6, ":1::", "bad-ip"),
		NO(IPV6, "1:", "bad-ip"),
		NO(IPV6, "1::2:", "bad-ip"),
		NO(IPV6, "::ffff:1.2.3", "bad-ip"),
		NO(IPV6, "::ffff:01.2.3.4", "bad-ip"),
		NO(IPV6, "::1.2.3.4:5", "bad-ip"),
		NO(IPV6, "1:2:3:4:5:6:7:1.2.3.4", "bad-ip"),
		NO(IPV6, "1.2.3.4", "bad-ip"),
		NO(IPV6, "[::1]", "bad-ip"),
		NO(IPV6, "g::", "bad-ip"),
		NO(IPV6, ":: 1", "bad-ip"),
		NO(IPV6, "0x1::", "bad-ip"),
		NO(IPV6, "::1/129", "bad-cidr"),
		NO(IPV6, "2001:db8::1/", "bad-cidr"),
		NO(IPV6, "2001:db8::/064", "bad-cidr"),
	};

	(void)state;
	RUN(cases);
}

static void test_cidr(void **state)
{
	static const struct ncase cases[] = {
		OK(CIDR, "10.1.2.3/8", CIDR, "10.0.0.0/8"),
		OK(CIDR, "10.0.0.0/8", CIDR, "10.0.0.0/8"),
		OK(CIDR, "1.2.3.4", IPV4, "1.2.3.4"),
		OK(CIDR, "1.2.3.4/32", IPV4, "1.2.3.4"),
		OK(CIDR, "2001:DB8::/32", CIDR, "2001:db8::/32"),
		OK(CIDR, "2001:db8::1", IPV6, "2001:db8::1"),
		OK(CIDR, "::/128", IPV6, "::"),
		OK(CIDR, "0.0.0.0/0", CIDR, "0.0.0.0/0"),
		OK(CIDR, " 192.168[.]0.0/16 ", CIDR, "192.168.0.0/16"),
		NO(CIDR, "", "empty"),
		NO(CIDR, "bad", "bad-cidr"),
		NO(CIDR, "010.0.0.0/8", "bad-cidr"),
		NO(CIDR, "1.2.3.4/40", "bad-cidr"),
		NO(CIDR, "::/200", "bad-cidr"),
		NO(CIDR, "/8", "bad-cidr"),
		NO(CIDR, "evil.com/8", "bad-cidr"),
		NO(CIDR, "1.2.3.4-1.2.3.9", "bad-cidr"),
		NO(CIDR, "1.2.3.0/24,1.2.4.0/24", "bad-cidr"),
	};

	(void)state;
	RUN(cases);
}

static void test_parse_ip(void **state)
{
	unsigned char a[16];
	int alen = -1;
	static const unsigned char v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
					     0,    0,    0,    0,    0, 0, 0, 1};
	static const unsigned char mapped[16] = {0, 0, 0,    0,    0, 0, 0, 0,
						 0, 0, 0xff, 0xff, 1, 2, 3, 4};
	static const char *const bad[] = {"",         " 1.2.3.4", "1.2.3.4 ", "1.2.3.4/8",
					  "01.2.3.4", "::1/128",  "[::1]",    "fe80::1%1",
					  "1.2.3",    "evil.com", "::g"};
	size_t i;

	(void)state;
	assert_int_equal(cs__parse_ip("1.2.3.4", 7, a, &alen), CS_OK);
	assert_int_equal(alen, 4);
	assert_memory_equal(a, "\1\2\3\4", 4);
	assert_int_equal(cs__parse_ip("2001:db8::1", 11, a, &alen), CS_OK);
	assert_int_equal(alen, 16);
	assert_memory_equal(a, v6, 16);
	assert_int_equal(cs__parse_ip("::ffff:1.2.3.4", 14, a, &alen), CS_OK);
	assert_int_equal(alen, 16);
	assert_memory_equal(a, mapped, 16);
	/* Only the first len bytes count. */
	assert_int_equal(cs__parse_ip("1.2.3.4/24", 7, a, &alen), CS_OK);
	assert_int_equal(alen, 4);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(a, 0xaa, sizeof(a));
		alen = -1;
		if (cs__parse_ip(bad[i], strlen(bad[i]), a, &alen) != CS_ERR_PARSE)
			fail_msg("parse_ip accepted '%s'", bad[i]);
		assert_int_equal(alen, -1);
		assert_int_equal(a[0], 0xaa);
	}
	assert_int_equal(cs__parse_ip(NULL, 0, a, &alen), CS_ERR_PARSE);
}

/* ---------------------------------------------------------------- URLs */

static void test_urls(void **state)
{
	static const struct ncase cases[] = {
		OK(URL, "hxxps://evil[.]com:443/a#x", URL, "https://evil.com/a"),
		OK(URL, "HTTP://EVIL.COM", URL, "http://evil.com/"),
		OK(URL, "http://evil.com:80/", URL, "http://evil.com/"),
		OK(URL, "http://evil.com:8080", URL, "http://evil.com:8080/"),
		OK(URL, "https://evil.com:0443/x", URL, "https://evil.com/x"),
		OK(URL, "https://evil.com:80/x", URL, "https://evil.com:80/x"),
		OK(URL, "ftp://evil.com:21/f", URL, "ftp://evil.com/f"),
		OK(URL, "ftp://evil.com:80/f", URL, "ftp://evil.com:80/f"),
		OK(URL, "http://evil.com:/x", URL, "http://evil.com/x"),
		OK(URL, "tcp://evil.com:4444", URL, "tcp://evil.com:4444/"),
		OK(URL, "tcp://evil.com:0", URL, "tcp://evil.com:0/"),
		OK(URL, "http://evil.com:00000080", URL, "http://evil.com/"),
		OK(URL, "http://EVIL.com./A/B?Q=1#frag", URL, "http://evil.com/A/B?Q=1"),
		OK(URL, "evil.com/a", URL, "http://evil.com/a"),
		OK(URL, "evil[.]com", URL, "http://evil.com/"),
		OK(URL, "evil.com:8080/a", URL, "http://evil.com:8080/a"),
		OK(URL, "1.2.3.4:80/a", URL, "http://1.2.3.4/a"),
		OK(URL, "localhost:", URL, "http://localhost/"),
		OK(URL, "http://user:Pass@Evil.com/", URL, "http://user:Pass@evil.com/"),
		OK(URL, "http://@evil.com/", URL, "http://@evil.com/"),
		OK(URL, "http://a@b@evil.com/", URL, "http://a@b@evil.com/"),
		OK(URL, "http://[2001:DB8::1]:8080/x", URL, "http://[2001:db8::1]:8080/x"),
		OK(URL, "http://[2001:db8:0:0:0:0:0:1]:80", URL, "http://[2001:db8::1]/"),
		OK(URL, "http://[::ffff:1.2.3.4]/", URL, "http://[::ffff:1.2.3.4]/"),
		OK(URL, "http://1.2.3.4/x", URL, "http://1.2.3.4/x"),
		OK(URL, "http://1.2.3[.]4:80/x", URL, "http://1.2.3.4/x"),
		OK(URL, "http://1.2.3.4./", URL, "http://1.2.3.4/"),
		OK(URL, "http://evil.com/%7euser/%2f%3a", URL, "http://evil.com/~user/%2F%3A"),
		OK(URL, "http://evil.com/a%41b%2D%2e%5F%7E", URL, "http://evil.com/aAb-._~"),
		OK(URL, "http://evil.com/a b", URL, "http://evil.com/a%20b"),
		OK(URL, "http://evil.com/\xc3\xa9", URL, "http://evil.com/%C3%A9"),
		OK(URL, "http://evil.com/a\\b|c", URL, "http://evil.com/a%5Cb%7Cc"),
		OK(URL, "http://evil.com/100%", URL, "http://evil.com/100%25"),
		OK(URL, "http://evil.com/%zz%4", URL, "http://evil.com/%25zz%254"),
		OK(URL, "http://evil.com/%%616", URL, "http://evil.com/%25a6"),
		OK(URL, "https://raw.githubusercontent.com/IconStorages/images/main/icon%d.ico",
		   URL, "https://raw.githubusercontent.com/IconStorages/images/main/icon%25d.ico"),
		OK(URL, "http://evil.com?q", URL, "http://evil.com/?q"),
		OK(URL, "http://evil.com/?b=2&a=1&b=%7e", URL, "http://evil.com/?b=2&a=1&b=~"),
		OK(URL, "http://evil.com/?q=a+b", URL, "http://evil.com/?q=a+b"),
		OK(URL, "http://evil.com/?", URL, "http://evil.com/?"),
		OK(URL, "http://evil.com#x", URL, "http://evil.com/"),
		OK(URL, "http://evil.com/a/../b/./c", URL, "http://evil.com/a/../b/./c"),
		OK(URL, "http://%65vil.com/", URL, "http://evil.com/"),
		OK(URL, "http://evil%2Ecom/", URL, "http://evil.com/"),
		OK(URL, "hxxp[:]//evil[.]com", URL, "http://evil.com/"),
		OK(URL, "hXXps[://]evil[dot]com/x", URL, "https://evil.com/x"),
		OK(URL, "fxp://files.evil.com/a", URL, "ftp://files.evil.com/a"),
		OK(URL, "HTTPS://Evil.Com//double//slash", URL, "https://evil.com//double//slash"),
		OK(URL, "http://evil.com/a%5B.%5Db", URL, "http://evil.com/a%5B.%5Db"),
		OK(URL, "http://evil.com/a%5b.%5db", URL, "http://evil.com/a%5B.%5Db"),
		OK(URL, "http://evil.com/(d%6Ft)", URL, "http://evil.com/."),
		NO(URL, "", "empty"),
		NO(URL, "http://", "bad-url"),
		NO(URL, "http:///x", "bad-url"),
		NO(URL, "http://:80/", "bad-url"),
		NO(URL, "http:/evil.com", "bad-url"),
		NO(URL, "mailto:a@b.com", "bad-url"),
		NO(URL, "javascript:alert(1)", "bad-url"),
		NO(URL, "data:text/html,x", "bad-url"),
		NO(URL, "http://evil.com:99999/", "bad-url"),
		NO(URL, "http://evil.com:65536/", "bad-url"),
		NO(URL, "http://evil.com:8a/", "bad-url"),
		NO(URL, "http://evil.com:-1/", "bad-url"),
		NO(URL, "http://[::1/", "bad-url"),
		NO(URL, "http://[fe80::1%25eth0]/", "bad-url"),
		NO(URL, "http://[::1]x/", "bad-url"),
		NO(URL, "http://[1.2.3.4]/", "bad-url"),
		NO(URL, "http://[v1.x]/", "bad-url"),
		NO(URL, "http://ev il.com/", "bad-url"),
		NO(URL, "http://\xc3\xa9vil.com/", "bad-url"),
		NO(URL, "http://*.evil.com/", "bad-url"),
		NO(URL, "http://evil.com%2f/", "bad-url"),
		NO(URL, "http://evil..com/", "bad-url"),
		NO(URL, "http://evil.com../", "bad-url"),
		NO(URL, "http://1.2.3.4../", "bad-url"),
		NO(URL, "http://010.1.1.1/", "bad-url"),
		NO(URL, "http://a@/", "bad-url"),
		NO(URL, "http://evil.com\\@good.com/", "bad-url"),
		NOL(URL, "http://evil\0.com/", "bad-url"),
	};
	struct cs_buf small;
	enum cs_kind k;
	const char *why;

	(void)state;
	RUN(cases);

	/* A result over the caller's buffer cap is a rejection, not a crash. */
	cs__buf_init(&small, 8);
	assert_int_equal(cs__normalize(CS_KIND_URL, "http://evil.com/abc", 19, &k, &small, &why),
			 CS_ERR_PARSE);
	assert_string_equal(why, "too-long");
	cs__buf_release(&small);
}

/* ---------------------------------------------------------------- e-mail */

static void test_email(void **state)
{
	static const struct ncase cases[] = {
		OK(EMAIL, "John.Doe@EVIL.COM", EMAIL, "John.Doe@evil.com"),
		OK(EMAIL, " john(at)evil[.]com ", EMAIL, "john@evil.com"),
		OK(EMAIL, "john[@]evil[dot]com", EMAIL, "john@evil.com"),
		OK(EMAIL, "john[at]evil.com", EMAIL, "john@evil.com"),
		OK(EMAIL, "MAILTO:a@b.com", EMAIL, "a@b.com"),
		OK(EMAIL, "a@evil.com.", EMAIL, "a@evil.com"),
		OK(EMAIL, "root@localhost", EMAIL, "root@localhost"),
		OK(EMAIL, "a+tag@b.com", EMAIL, "a+tag@b.com"),
		OK(EMAIL, "o'brien.x_y{z}~!#$%&*/=?^`|-@b.com", EMAIL, "o'brien.x_y{z}~!#$%&*/=?^`|-@b.com"),
		OK(EMAIL, "\xc3\xa9t\xc3\xa9@b.com", EMAIL, "\xc3\xa9t\xc3\xa9@b.com"),
		OK(EMAIL, "philip.je@proton.me", EMAIL, "philip.je@proton.me"),
		NO(EMAIL, "", "empty"),
		NO(EMAIL, "noatsign", "bad-email"),
		NO(EMAIL, "a@@b.com", "bad-email"),
		NO(EMAIL, "a@b@c.com", "bad-email"),
		NO(EMAIL, "@b.com", "bad-email"),
		NO(EMAIL, "a@", "bad-email"),
		NO(EMAIL, "mailto:", "bad-email"),
		NO(EMAIL, "a b@c.com", "bad-email"),
		NO(EMAIL, "john @evil.com", "bad-email"),
		NO(EMAIL, "a@b..com", "bad-email"),
		NO(EMAIL, "a@[1.2.3.4]", "bad-email"),
		NO(EMAIL, "a@1.2.3.4", "bad-email"),
		NO(EMAIL, "a@evil.com/x", "bad-email"),
		NO(EMAIL, "a\x7f@b.com", "bad-email"),
		NO(EMAIL, "mailto:mailto:a@b.com", "bad-email"),
		NO(EMAIL, "a:b@c.com", "bad-email"),
		NO(EMAIL, "\"a b\"@c.com", "bad-email"),
		NO(EMAIL, "<a@b.com>", "bad-email"),
		NO(EMAIL, "a,b@c.com", "bad-email"),
		NOL(EMAIL, "a\0b@c.com", "bad-email"),
		NO(EMAIL, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@b.com",
		   "bad-email"),
	};
	struct cs_buf out;
	char addr[300];
	enum cs_kind k;
	const char *why;
	size_t i;

	(void)state;
	RUN(cases);

	/* 254 bytes in all at most. */
	cs__buf_init(&out, 0);
	memcpy(addr, "a@", 2);
	for (i = 2; i < 254; i++)
		addr[i] = (i % 40 == 0) ? '.' : 'b';
	assert_int_equal(norm_checked(CS_KIND_EMAIL, addr, 254, &k, &out, &why), CS_OK);
	addr[254] = 'b';
	assert_int_equal(norm_checked(CS_KIND_EMAIL, addr, 255, &k, &out, &why), CS_ERR_PARSE);
	assert_string_equal(why, "bad-email");
	cs__buf_release(&out);
}

/* ---------------------------------------------------------------- text kinds */

static void test_filenames(void **state)
{
	static const struct ncase cases[] = {
		OK(FILENAME, "  ffmpeg.dll \n", FILENAME, "ffmpeg.dll"),
		OK(FILENAME, "3CXDesktopApp.exe", FILENAME, "3CXDesktopApp.exe"),
		OK(FILENAME, "d3dcompiler_47.dll", FILENAME, "d3dcompiler_47.dll"),
		OK(FILENAME, "evil[.]exe", FILENAME, "evil[.]exe"),
		OK(FILENAME, "C:\\Windows\\system32\\catroot2\\edb.chk.log", FILENAME,
		   "C:\\Windows\\system32\\catroot2\\edb.chk.log"),
		OK(FILENAME, "%LOCALAPPDATA%\\Programs\\3CXDesktopApp\\app\\manifest", FILENAME,
		   "%LOCALAPPDATA%\\Programs\\3CXDesktopApp\\app\\manifest"),
		OK(FILENAME, "~/Library/Application Support/3CX Desktop App/.main_storage",
		   FILENAME, "~/Library/Application Support/3CX Desktop App/.main_storage"),
		OK(FILENAME, "file name with spaces.txt", FILENAME, "file name with spaces.txt"),
		OK(FILENAME, "\xe6\x96\x87\xe4\xbb\xb6.exe", FILENAME,
		   "\xe6\x96\x87\xe4\xbb\xb6.exe"),
		NO(FILENAME, "", "empty"),
		NO(FILENAME, " \t ", "empty"),
		NOL(FILENAME, "a\0b.exe", "bad-value"),
	};

	(void)state;
	RUN(cases);
}

static void test_cert_serial(void **state)
{
	static const struct ncase cases[] = {
		OK(CERT_SERIAL, "01:AB:cd", CERT_SERIAL, "1abcd"),
		OK(CERT_SERIAL, "00 00 0A", CERT_SERIAL, "a"),
		OK(CERT_SERIAL, "0x00FF", CERT_SERIAL, "ff"),
		OK(CERT_SERIAL, "12-34 56:78", CERT_SERIAL, "12345678"),
		OK(CERT_SERIAL, "0", CERT_SERIAL, "0"),
		OK(CERT_SERIAL, "00:00", CERT_SERIAL, "0"),
		OK(CERT_SERIAL, "0x0", CERT_SERIAL, "0"),
		OK(CERT_SERIAL, "  0E:5A:43:2F  ", CERT_SERIAL, "e5a432f"),
		NO(CERT_SERIAL, "", "empty"),
		NO(CERT_SERIAL, "::", "empty"),
		NO(CERT_SERIAL, "0x", "empty"),
		NO(CERT_SERIAL, "0g", "bad-value"),
		NO(CERT_SERIAL, "12;34", "bad-value"),
		NO(CERT_SERIAL, "12\t34", "bad-value"),
		NOL(CERT_SERIAL,
		    "12\0"
		    "34",
		    "bad-value"),
	};

	(void)state;
	RUN(cases);
}

static void test_regex_kinds(void **state)
{
	static const struct ncase cases[] = {
		OK(PATH_REGEX, "  \\\\Temp\\\\[a-z]+\\.exe ", PATH_REGEX,
		   "\\\\Temp\\\\[a-z]+\\.exe"),
		OK(FILENAME_REGEX, "^ffmpeg\\.dll$", FILENAME_REGEX, "^ffmpeg\\.dll$"),
		OK(DOMAIN_REGEX, "evil[.]com", DOMAIN_REGEX, "evil[.]com"),
		OK(URL_REGEX, "hxxp://(a|b)\\.com", URL_REGEX, "hxxp://(a|b)\\.com"),
		OK(EMAIL_REGEX, ".*(at)evil", EMAIL_REGEX, ".*(at)evil"),
		OK(PATH_REGEX, "(", PATH_REGEX, "("),
		NO(PATH_REGEX, "", "empty"),
		NO(FILENAME_REGEX, "   ", "empty"),
		NO(DOMAIN_REGEX, "\n", "empty"),
		NOL(URL_REGEX, "a\0b", "bad-regex"),
		NOL(EMAIL_REGEX, "\0", "bad-regex"),
	};

	(void)state;
	RUN(cases);
}

static void test_free_text(void **state)
{
	static const struct ncase cases[] = {
		OK(PRODUCT_VERSION, " 3CX DesktopApp (Windows, Electron) 18.12.407 ",
		   PRODUCT_VERSION, "3CX DesktopApp (Windows, Electron) 18.12.407"),
		OK(YARA_RULE, " APT_MAL_NK_3CX_Malicious_Samples_Mar23_1\n", YARA_RULE,
		   "APT_MAL_NK_3CX_Malicious_Samples_Mar23_1"),
		OK(COMPOUND, "file:name = 'a' AND file:size = 3", COMPOUND,
		   "file:name = 'a' AND file:size = 3"),
		NO(PRODUCT_VERSION, "", "empty"),
		NO(YARA_RULE, " ", "empty"),
		NOL(PRODUCT_VERSION, "1.0\0", "bad-value"),
	};
	struct cs_buf out;
	enum cs_kind k;
	const char *why;
	char *big;

	(void)state;
	RUN(cases);

	/* No kind, or a kind number this file does not know: kept as text. */
	cs__buf_init(&out, 0);
	assert_int_equal(cs__normalize(CS_KIND_NONE, " x y ", 5, &k, &out, &why), CS_OK);
	assert_int_equal(k, CS_KIND_NONE);
	assert_string_equal(cs__buf_cstr(&out), "x y");
	assert_int_equal(cs__normalize((enum cs_kind)77, " x ", 3, &k, &out, &why), CS_OK);
	assert_int_equal(k, 77);
	assert_string_equal(cs__buf_cstr(&out), "x");

	/* The value cap is 65536 bytes after trimming. */
	big = malloc(NORM_CAP + 3);
	assert_non_null(big);
	memset(big, 'a', NORM_CAP + 3);
	big[0] = ' ';
	big[NORM_CAP + 1] = '\t';
	assert_int_equal(norm_checked(CS_KIND_PRODUCT_VERSION, big, NORM_CAP + 2, &k, &out, &why),
			 CS_OK);
	assert_int_equal(out.len, NORM_CAP);
	assert_int_equal(
		cs__normalize(CS_KIND_PRODUCT_VERSION, big + 1, NORM_CAP + 2, &k, &out, &why),
		CS_ERR_PARSE);
	assert_string_equal(why, "too-long");
	free(big);

	/* NULL input with no length is simply empty. */
	assert_int_equal(cs__normalize(CS_KIND_FILENAME, NULL, 0, &k, &out, &why), CS_ERR_PARSE);
	assert_string_equal(why, "empty");
	cs__buf_release(&out);
}

/* ---------------------------------------------------------------- guessing */

static void test_guess_kind(void **state)
{
	static const struct {
		const char *in;
		enum cs_kind kind;
	} cases[] = {
		{MD5_L, CS_KIND_MD5},
		{MD5_U, CS_KIND_MD5},
		{" " SHA1_L " ", CS_KIND_SHA1},
		{SHA256_U, CS_KIND_SHA256},
		{SHA512_L, CS_KIND_SHA512},
		{"1.2.3.4", CS_KIND_IPV4},
		{"185.181.230[.]103", CS_KIND_IPV4},
		{"2001:db8::1", CS_KIND_IPV6},
		{"::ffff:1.2.3.4", CS_KIND_IPV6},
		{"10.0.0.0/8", CS_KIND_CIDR},
		{"10.1.2.3/8", CS_KIND_CIDR},
		{"2001:db8::/32", CS_KIND_CIDR},
		{"1.2.3.4/32", CS_KIND_IPV4},
		{"http://evil.com/x", CS_KIND_URL},
		{"HTTPS://EVIL.COM", CS_KIND_URL},
		{"hxxps://evil[.]com/a", CS_KIND_URL},
		{"hxxp[:]//evil[.]com", CS_KIND_URL},
		{"a@evil.com", CS_KIND_EMAIL},
		{"john(at)evil[.]com", CS_KIND_EMAIL},
		{"evil.com", CS_KIND_DOMAIN},
		{"evil[.]com", CS_KIND_DOMAIN},
		{"EVIL.COM.", CS_KIND_DOMAIN},
		{"a.b.c.evil.co.uk", CS_KIND_DOMAIN},
		{"xn--80ak6aa92e.com", CS_KIND_DOMAIN},
		/* A file name with a dot looks like a name; give file lists a kind. */
		{"ffmpeg.dll", CS_KIND_DOMAIN},
		{"", CS_KIND_NONE},
		{"   ", CS_KIND_NONE},
		{"localhost", CS_KIND_NONE},
		{"localhost.", CS_KIND_NONE},
		{"evil.com/x", CS_KIND_NONE},
		{"evil.com:443", CS_KIND_NONE},
		{"1.2.3.999", CS_KIND_NONE},
		{"010.1.1.1", CS_KIND_NONE},
		{"1.2.3", CS_KIND_NONE},
		{"foo bar", CS_KIND_NONE},
		{"deadbeef", CS_KIND_NONE},
		{MD5_L "0", CS_KIND_NONE},
		{"*.evil.com", CS_KIND_NONE},
		{"mailto:", CS_KIND_NONE},
		{"a@b@c.com", CS_KIND_NONE},
		{"http://", CS_KIND_NONE},
		{"\\.evil\\.com", CS_KIND_NONE},
		{"C:\\Windows\\evil.exe", CS_KIND_NONE},
		{"176.123.5.126;65", CS_KIND_NONE},
	};
	struct cs_buf out;
	enum cs_kind k;
	const char *why;
	size_t i;

	(void)state;
	cs__buf_init(&out, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum cs_kind g = cs__guess_kind(cases[i].in, strlen(cases[i].in));

		if (g != cases[i].kind)
			fail_msg("guess '%s': want %d, got %d", cases[i].in, (int)cases[i].kind,
				 (int)g);
		/* A guess is a kind the value normalises as. */
		if (g != CS_KIND_NONE) {
			assert_int_equal(
				norm_checked(g, cases[i].in, strlen(cases[i].in), &k, &out, &why),
				CS_OK);
			assert_int_equal(k, g);
		}
	}
	assert_int_equal(cs__guess_kind(NULL, 0), CS_KIND_NONE);
	assert_int_equal(cs__guess_kind("evil.com\0x", 10), CS_KIND_NONE);
	cs__buf_release(&out);
}

/* ---------------------------------------------------------------- hostile input */

static const enum cs_kind all_kinds[] = {
	CS_KIND_NONE,        CS_KIND_MD5,       CS_KIND_SHA1,           CS_KIND_SHA256,
	CS_KIND_SHA512,      CS_KIND_FILENAME,  CS_KIND_FILENAME_REGEX, CS_KIND_PATH_REGEX,
	CS_KIND_DOMAIN,      CS_KIND_IPV4,      CS_KIND_IPV6,           CS_KIND_CIDR,
	CS_KIND_URL,         CS_KIND_EMAIL,     CS_KIND_YARA_RULE,      CS_KIND_PRODUCT_VERSION,
	CS_KIND_CERT_SERIAL, CS_KIND_COMPOUND,  CS_KIND_DOMAIN_REGEX,   CS_KIND_URL_REGEX,
	CS_KIND_EMAIL_REGEX, CS_KIND_HASH_AUTO,
};

#define NKINDS (sizeof(all_kinds) / sizeof(all_kinds[0]))

/* Every kind, every byte value alone and inside values of each shape:
 * only known reasons, no NUL in output, and fixed points throughout. */
static void test_all_bytes(void **state)
{
	static const char *const shapes[] = {
		"%c",       "a%cb.com", "evil.com%c", "http://e.com/%c", "http://e%c.com/",
		"1.2.3.%c", "::%c",     "a%c@b.com",  (MD5_L "%c"),      ("%c" SHA1_L),
	};
	struct cs_buf out;
	char v[256];
	size_t i, s, c;

	(void)state;
	cs__buf_init(&out, 0);
	for (c = 0; c < 256; c++) {
		for (s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
			const char *f = shapes[s];
			size_t n = 0;

			for (; *f && n < sizeof(v) - 1; f++) {
				if (f[0] == '%' && f[1] == 'c') {
					v[n++] = (char)c;
					f++;
				} else {
					v[n++] = *f;
				}
			}
			for (i = 0; i < NKINDS; i++) {
				enum cs_kind k;
				const char *why;

				norm_checked(all_kinds[i], v, n, &k, &out, &why);
			}
			(void)cs__guess_kind(v, n);
			assert_int_equal(cs__refang(v, n, &out), CS_OK);
		}
	}
	cs__buf_release(&out);
}

/* Values of 1 MiB: rejected as too long by every kind, except when
 * trimming leaves a small value; refang and guessing stay linear. */
static void test_huge(void **state)
{
	const size_t mb = (size_t)1 << 20;
	struct cs_buf out;
	enum cs_kind k;
	const char *why;
	char *v;
	size_t i;

	(void)state;
	v = malloc(2 * mb + 16);
	assert_non_null(v);
	cs__buf_init(&out, 0);

	memset(v, 'a', mb);
	for (i = 0; i < NKINDS; i++) {
		if (norm_checked(all_kinds[i], v, mb, &k, &out, &why) != CS_ERR_PARSE)
			fail_msg("kind %d accepted 1 MiB", (int)all_kinds[i]);
		assert_string_equal(why, "too-long");
	}
	assert_int_equal(cs__guess_kind(v, mb), CS_KIND_NONE);

	memset(v, ' ', 2 * mb + 8);
	memcpy(v + mb, "evil.com", 8);
	assert_int_equal(norm_checked(CS_KIND_DOMAIN, v, 2 * mb + 8, &k, &out, &why), CS_OK);
	assert_string_equal(cs__buf_cstr(&out), "evil.com");
	assert_int_equal(cs__guess_kind(v, 2 * mb + 8), CS_KIND_DOMAIN);
	for (i = 0; i < NKINDS; i++) {
		assert_int_equal(norm_checked(all_kinds[i], v, mb, &k, &out, &why), CS_ERR_PARSE);
		assert_string_equal(why, "empty");
	}

	for (i = 0; i + 3 <= mb; i += 3)
		memcpy(v + i, "[.]", 3);
	assert_int_equal(cs__refang(v, i, &out), CS_OK);
	assert_int_equal(out.len, i / 3);

	memset(v, '%', mb);
	for (i = 0; i < NKINDS; i++)
		norm_checked(all_kinds[i], v, NORM_CAP, &k, &out, &why);
	memset(v, 0, mb);
	for (i = 0; i < NKINDS; i++)
		norm_checked(all_kinds[i], v, NORM_CAP, &k, &out, &why);
	assert_int_equal(cs__guess_kind(v, NORM_CAP), CS_KIND_NONE);

	cs__buf_release(&out);
	free(v);
}

/* ---------------------------------------------------------------- real world */

static void each_line(const char *path, void (*fn)(const char *line, size_t len))
{
	char line[4096];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		size_t len = strcspn(line, ";\r\n");

		if (len == 0 || line[0] == '#')
			continue;
		fn(line, len);
		n++;
	}
	fclose(f);
	assert_true(n > 100);
}

static void hash_line(const char *line, size_t len)
{
	struct cs_buf out;
	enum cs_kind k;
	const char *why;

	cs__buf_init(&out, 0);
	if (norm_checked(CS_KIND_HASH_AUTO, line, len, &k, &out, &why) != CS_OK)
		fail_msg("hash-iocs.txt: '%.*s' rejected: %s", (int)len, line, why);
	if (cs__guess_kind(line, len) != k)
		fail_msg("hash-iocs.txt: '%.*s' guessed otherwise", (int)len, line);
	cs__buf_release(&out);
}

static void c2_line(const char *line, size_t len)
{
	enum cs_kind k = cs__guess_kind(line, len);

	if (k != CS_KIND_DOMAIN && k != CS_KIND_IPV4)
		fail_msg("c2-iocs.txt: '%.*s' guessed as %d", (int)len, line, (int)k);
}

/* signature-base's Loki lists: every hash and every C2 value must be
 * understood without help. */
static void test_real_world(void **state)
{
	const char *p;
	char path[4096];

	(void)state;
	p = CS_TEST_REAL_WORLD("signature-base/iocs/hash-iocs.txt");
	snprintf(path, sizeof(path), "%s", p);
	each_line(path, hash_line);
	p = CS_TEST_REAL_WORLD("signature-base/iocs/c2-iocs.txt");
	snprintf(path, sizeof(path), "%s", p);
	each_line(path, c2_line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refang),      cmocka_unit_test(test_hash_key_kind),
		cmocka_unit_test(test_hashes),      cmocka_unit_test(test_domains),
		cmocka_unit_test(test_ipv4),        cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_cidr),        cmocka_unit_test(test_parse_ip),
		cmocka_unit_test(test_urls),        cmocka_unit_test(test_email),
		cmocka_unit_test(test_filenames),   cmocka_unit_test(test_cert_serial),
		cmocka_unit_test(test_regex_kinds), cmocka_unit_test(test_free_text),
		cmocka_unit_test(test_guess_kind),  cmocka_unit_test(test_all_bytes),
		cmocka_unit_test(test_huge),        cmocka_unit_test(test_real_world),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The text matcher's pre-filter (docs/log-hunt.md, "Speed"): a pass that
 * says where in a text the reference matcher (textmatch.c) could find a
 * hit, so that the hunt leaves every other line alone.
 *
 * It must never miss: every token the reference would look up is looked
 * at here, in the same way or a looser one, and only an answer of "no
 * indicator can match this token" lets it go. It may say "maybe" more
 * often (a near miss under an indicator's name, a filter collision); the
 * reference then decides. The differential tests hold it to that.
 *
 * Most bytes cannot start a match. Every hit the reference can report is
 * found from a byte the filter looks for: a '.' (names, dotted quads and
 * e-mail domains all hold one), a ':' (an IPv6 address, or "://" after a
 * URL's scheme) and, when the intel holds digests, 16 hex digits in a row
 * (a digest of 32 or more holds such a block at any 16-byte grid). The
 * text is read in blocks of 64 bytes turned into bit masks, by AVX2 when
 * the CPU has it (chosen at run time) or by a scalar loop that builds the
 * same masks; the runs of name characters and what they hold come from
 * the masks (cs__tfilter_next). A run of digits and dots that cannot be a
 * dotted quad under an address key is left there. Around every other such
 * byte, the token is taken as the reference takes it, and checked:
 *
 *  - a name: its last label against a small bitmap of the intel's last
 *    labels (8 KiB, cache-resident; it turns away numbers and most other
 *    text at once), then every suffix on a label boundary against a
 *    blocked Bloom filter (about 16 bits a key), then an exact table of
 *    32-bit fingerprints. The suffix hashes come from one pass from the
 *    right, so a name is read once;
 *  - a dotted quad (exactly as inet_pton reads one): the address under
 *    each prefix length the intel has, in the same tables;
 *  - a URL: its host, when the authority is plain (name characters, a
 *    port, user information); anything else in the authority ('%', a
 *    bracket, a defanged form) is "maybe";
 *  - an IPv6 candidate: parsed, and looked up like an IPv4 address;
 *  - a digest: its lower-case hex.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define TF_X86 1
#else
#define TF_X86 0
#endif

#include "match/match_int.h"

#define TLD_BITS 65536u
#define V6_MAX   46 /* INET6_ADDRSTRLEN: the reference's longest candidate */

enum { TAG_NAME = 1, TAG_HOST, TAG_HEX, TAG_V4, TAG_V6, TAG_TLD };

struct cs_tfilter {
	uint64_t *tld;   /* TLD_BITS bits: last labels of name and host keys */
	uint64_t *sld;   /* sld_mask + 1 bits: last two labels of name keys */
	size_t sld_mask;
	uint64_t *bloom; /* words; bloom_mask + 1 of them */
	size_t bloom_mask;
	uint32_t *fp; /* fingerprints (never 0), open addressing */
	size_t fp_mask, nkeys;
	unsigned hex_lens;  /* bit k: digests of 32 << ... see hex_bit() */
	unsigned char v4len[33], v6len[129];
	unsigned char v4lens[33], nv4lens;
	uint64_t v4b16[65536 / 64]; /* /16 prefixes under some IPv4 key */
	uint64_t v4b8[4];           /* first numbers of those (from v4b16) */
	uint64_t v4p2[4];           /* the first two bytes of those (v4p2_key) */
	unsigned char cls[256];     /* C_* per byte */
	int have_v6, have_url, have_email, have_names;
	int tld_digits;   /* some key's last label is all digits */
	int single_label; /* some name key has no dot */
	int avx2;         /* the AVX2 path (cpu_fast) */
	int borrowed; /* the arrays point into a snapshot (cs__tfilter_load) */
};

#define C_NAME  1u
#define C_HEX   2u
#define C_DIGIT 4u

/* ---- hashing ---- */

static inline unsigned lower(unsigned c)
{
	return c + ((unsigned)(c - 'A') < 26u ? 32u : 0u);
}

static inline uint64_t step(uint64_t h, unsigned c)
{
	return (h ^ lower(c)) * 0x100000001b3ULL;
}

static inline uint64_t fmix(uint64_t h, unsigned tag)
{
	h ^= (uint64_t)tag * 0x9e3779b97f4a7c15ULL;
	return cs__fmix64(h);
}

/* The hash of s[0, n) read from the right, as the name check reads it. */
static uint64_t hash_back(const char *s, size_t n)
{
	uint64_t h = 0;

	while (n)
		h = step(h, (unsigned char)s[--n]);
	return h;
}

/*
 * Names are hashed a label at a time, eight bytes in one step, so that a
 * name costs a few multiplications rather than one per byte. Inside a run
 * of name characters ([0-9A-Za-z._-]) OR-ing 0x20 into every byte is a
 * lower-casing that keeps them apart ('_' becomes 0x7f, which is no name
 * character); a key byte outside that set may then hash like a name
 * character, which only costs a "maybe". A label's bytes are loaded up to
 * eight at a time from its start, never past `end`, and cut to its length.
 */
#define LOWER8 0x2020202020202020ULL

static inline uint64_t load_upto8(const unsigned char *p, size_t len, const unsigned char *end)
{
	uint64_t w = 0;

	if ((size_t)(end - p) >= 8)
		memcpy(&w, p, 8);
	else
		memcpy(&w, p, (size_t)(end - p));
	w |= LOWER8;
	return len >= 8 ? w : w & ((1ULL << (8 * len)) - 1);
}

static inline __attribute__((always_inline)) uint64_t label_hash(const unsigned char *p, size_t len,
                                                               const unsigned char *end)
{
	uint64_t h = (uint64_t)len * 0x9e3779b97f4a7c15ULL, h8, more;

	while (len > 16) {
		h = (h ^ load_upto8(p, 8, end)) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
		p += 8;
		len -= 8;
	}
	/* 16 bytes or fewer left: the step over the first 8 is made and kept
	 * only when there are more than 8, without a branch (the length of a
	 * label in a log is as good as random). */
	h8 = (h ^ load_upto8(p, 8, end)) * 0xff51afd7ed558ccdULL;
	h8 ^= h8 >> 32;
	more = 0 - (uint64_t)(len > 8); /* masks: GCC makes a select a branch */
	h = (h8 & more) | (h & ~more);
	p += 8 & more;
	len -= 8 & more;
	h = (h ^ load_upto8(p, len, end)) * 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 29);
}

/* The hash of a name suffix one label longer: `label` before `suffix`. */
static inline uint64_t label_join(uint64_t suffix, uint64_t label)
{
	return ((suffix << 21 | suffix >> 43) ^ label) * 0x100000001b3ULL;
}

static uint64_t bloom_bits(uint64_t f)
{
	return (1ULL << ((f >> 40) & 63)) | (1ULL << ((f >> 46) & 63)) | (1ULL << ((f >> 52) & 63));
}

static inline uint32_t fp_of(uint64_t f)
{
	return (uint32_t)(f >> 32) | 1u;
}

static inline __attribute__((always_inline)) int probe(const struct cs_tfilter *t, uint64_t h,
                                                       unsigned tag)
{
	uint64_t f = fmix(h, tag), bits = bloom_bits(f);
	uint32_t want;
	size_t i;

	if ((t->bloom[f & t->bloom_mask] & bits) != bits)
		return 0;
	want = fp_of(f);
	for (i = (size_t)(f >> 8) & t->fp_mask;; i = (i + 1) & t->fp_mask) {
		if (t->fp[i] == want)
			return 1;
		if (!t->fp[i])
			return 0;
	}
}

static void insert(struct cs_tfilter *t, uint64_t h, unsigned tag)
{
	uint64_t f = fmix(h, tag);
	uint32_t want = fp_of(f);
	size_t i;

	t->bloom[f & t->bloom_mask] |= bloom_bits(f);
	for (i = (size_t)(f >> 8) & t->fp_mask;; i = (i + 1) & t->fp_mask) {
		if (t->fp[i] == want)
			return;
		if (!t->fp[i]) {
			t->fp[i] = want;
			return;
		}
	}
}

/* The bit of a last label's hash in the bitmap: label_hash() has mixed
 * it already; the high bits of one more product pick the bit. */
static inline uint64_t tld_bit(uint64_t h)
{
	return (h * 0x9e3779b97f4a7c15ULL) >> (64 - 16);
}

static inline int tld_has(const struct cs_tfilter *t, uint64_t h)
{
	uint64_t f = tld_bit(h);

	return (int)((t->tld[f >> 6] >> (f & 63)) & 1);
}

static void tld_add(struct cs_tfilter *t, uint64_t h)
{
	uint64_t f = tld_bit(h);

	t->tld[f >> 6] |= 1ULL << (f & 63);
}

/* The same for the hash of a name's last two labels (label_join), in a
 * bitmap of about 16 bits a key: most names of a log are turned away by
 * one bit, before any Bloom probe or the hash of a third label. */
static inline uint64_t sld_bit(const struct cs_tfilter *t, uint64_t h)
{
	return ((h * 0x9e3779b97f4a7c15ULL) >> 32) & t->sld_mask;
}

static inline int sld_has(const struct cs_tfilter *t, uint64_t h)
{
	uint64_t f = sld_bit(t, h);

	return (int)((t->sld[f >> 6] >> (f & 63)) & 1);
}

static void sld_add(struct cs_tfilter *t, uint64_t h)
{
	uint64_t f = sld_bit(t, h);

	t->sld[f >> 6] |= 1ULL << (f & 63);
}

/* ---- character classes ---- */

static inline int is_alnum(unsigned c)
{
	return (unsigned)((c | 32) - 'a') < 26u || (unsigned)(c - '0') < 10u;
}

static inline int is_name(unsigned c)
{
	return is_alnum(c) || c == '.' || c == '-' || c == '_';
}

static inline int is_hex(unsigned c)
{
	return (unsigned)((c | 32) - 'a') < 6u || (unsigned)(c - '0') < 10u;
}

static int url_stop(unsigned c)
{
	return c <= 0x20 || c == 0x7f || c == '"' || c == '\'' || c == '<' || c == '>' || c == '`' ||
	       c == '|' || c == '{' || c == '}' || c == '^' || c == '\\';
}

static unsigned hex_bit(size_t len)
{
	return len == 32 ? 1u : len == 40 ? 2u : len == 64 ? 4u : len == 128 ? 8u : 0u;
}

/* inet_pton's dotted quad: four decimal parts of 0..255 without leading
 * zeros, three dots, nothing else. */
static int quad(const unsigned char *s, size_t n, uint32_t *addr)
{
	uint32_t a = 0, v = 0;
	size_t i, digits = 0;
	int parts = 0;

	if (n < 7 || n > 15)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned c = s[i];

		if (c - '0' < 10u) {
			if (digits && v == 0)
				return 0;
			v = v * 10 + (c - '0');
			if (v > 255)
				return 0;
			if (!digits++)
				parts++;
		} else if (c == '.' && digits) {
			if (parts == 4)
				return 0;
			a = a << 8 | v;
			v = 0;
			digits = 0;
		} else {
			return 0;
		}
	}
	if (parts != 4 || !digits)
		return 0;
	*addr = a << 8 | v;
	return 1;
}

static uint64_t v4_key(uint32_t a, unsigned plen)
{
	uint32_t mask = plen ? 0xffffffffu << (32 - plen) : 0;

	return (uint64_t)plen << 32 | (a & mask);
}

static int v4_probe(const struct cs_tfilter *t, uint32_t a)
{
	unsigned k;

	if (!((t->v4b16[a >> 22] >> ((a >> 16) & 63)) & 1))
		return 0;
	for (k = 0; k < t->nv4lens; k++)
		if (probe(t, v4_key(a, t->v4lens[k]), TAG_V4))
			return 1;
	return 0;
}

static uint64_t v6_key(const unsigned char *a, unsigned plen)
{
	uint64_t h = plen;
	unsigned i;

	for (i = 0; i < 16; i++) {
		unsigned bits = plen > i * 8 ? plen - i * 8 : 0;
		unsigned char mask = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));

		h = step(h, (unsigned)(a[i] & mask) + 256u);
	}
	return h;
}

/* ---- building ---- */

static size_t pow2_at_least(size_t n)
{
	size_t p = 64;

	while (p < n)
		p <<= 1;
	return p;
}

/* A name key: every suffix of a text name is probed, and its last label
 * must be in the bitmap, and its last two in the other when it has two. */
static void add_name(struct cs_tfilter *t, const char *v, size_t n, unsigned tag)
{
	const unsigned char *u = (const unsigned char *)v;
	const char *dot;
	size_t st, k, labels;
	uint64_t h;

	while (n && v[n - 1] == '.')
		n--;
	if (!n)
		return;
	dot = memrchr(v, '.', n);
	if (!dot)
		t->single_label = 1;
	st = dot ? (size_t)(dot - v) + 1 : 0;
	if (strspn(v + st, "0123456789") >= n - st)
		t->tld_digits = 1;
	h = label_hash(u + st, n - st, u + n);
	tld_add(t, h);
	for (labels = 1; st; labels++) {
		k = st - 1; /* the dot */
		dot = memrchr(v, '.', k);
		st = dot ? (size_t)(dot - v) + 1 : 0;
		h = label_join(h, label_hash(u + st, k - st, u + n));
		if (labels == 1)
			sld_add(t, h);
	}
	insert(t, h, tag);
}

/* The host of a canonical URL ("scheme://[user@]host[:port]/..."). */
static void add_url(struct cs_tfilter *t, const char *u)
{
	const char *a = strstr(u, "://"), *e, *at, *h, *colon;

	t->have_url = 1;
	if (!a)
		return;
	a += 3;
	e = a + strcspn(a, "/?#");
	for (at = NULL, h = a; h < e; h++)
		if (*h == '@')
			at = h;
	h = at ? at + 1 : a;
	if (h < e && *h == '[')
		return; /* an IPv6 host: the text side says "maybe" on '[' */
	colon = memchr(h, ':', (size_t)(e - h));
	if (colon)
		e = colon;
	while (e > h && e[-1] == '.')
		e--;
	insert(t, hash_back(h, (size_t)(e - h)), TAG_HOST);
}

static void add_net(struct cs_tfilter *t, const char *v, int cidr)
{
	char buf[64];
	const char *slash = cidr ? strchr(v, '/') : NULL;
	size_t n = slash ? (size_t)(slash - v) : strlen(v);
	unsigned char a[16];
	long plen;
	int v6;

	if (n >= sizeof(buf))
		return;
	memcpy(buf, v, n);
	buf[n] = '\0';
	v6 = strchr(buf, ':') != NULL;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, a) != 1)
		return;
	plen = slash ? strtol(slash + 1, NULL, 10) : v6 ? 128 : 32;
	if (plen < 0 || plen > (v6 ? 128 : 32))
		return;
	if (v6) {
		t->have_v6 = 1;
		t->v6len[plen] = 1;
		insert(t, v6_key(a, (unsigned)plen), TAG_V6);
	} else {
		uint32_t x = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];

		uint32_t b16, nb16 = plen >= 16 ? 1u : 1u << (16 - plen), k;

		b16 = (x >> 16) & (plen >= 16 ? 0xffffu : ~(nb16 - 1) & 0xffffu);
		for (k = 0; k < nb16; k++)
			t->v4b16[(b16 + k) >> 6] |= 1ULL << ((b16 + k) & 63);
		if (!t->v4len[plen])
			t->v4lens[t->nv4lens++] = (unsigned char)plen;
		t->v4len[plen] = 1;
		insert(t, v4_key(x, (unsigned)plen), TAG_V4);
	}
}

/* AVX2 and the bit instructions that come with it, unless CS_NO_AVX2 is
 * set (the tests compare both paths). */
static int cpu_fast(void)
{
#if TF_X86
	unsigned a, b, c = 0, d;

	__builtin_cpu_init();
	/* LZCNT is CPUID 0x80000001 ECX bit 5 (clang's builtin has no name for it). */
	if (!__get_cpuid(0x80000001u, &a, &b, &c, &d))
		c = 0;
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
	       __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt") &&
	       (c & (1u << 5)) && !getenv("CS_NO_AVX2");
#else
	return 0;
#endif
}

void cs__tfilter_free(struct cs_tfilter *t)
{
	if (!t)
		return;
	if (!t->borrowed) {
		free(t->tld);
		free(t->sld);
		free(t->bloom);
		free(t->fp);
	}
	free(t);
}

/* The first two bytes of a run of digits and dots as an index of 8 bits:
 * their low nibbles ('0'-'9' are 0-9, '.' is 14). */
static inline unsigned v4p2_key(unsigned c0, unsigned c1)
{
	return (c0 & 15u) << 4 | (c1 & 15u);
}

/* What is kept in memory only, from what is saved. */
static void derive(struct cs_tfilter *t)
{
	unsigned v, len;

	memset(t->v4b8, 0, sizeof(t->v4b8));
	for (v = 0; v < 256; v++)
		if (t->v4b16[4 * v] | t->v4b16[4 * v + 1] | t->v4b16[4 * v + 2] | t->v4b16[4 * v + 3])
			t->v4b8[v >> 6] |= 1ULL << (v & 63);
	/* Every way of writing such a number in 1 to 3 digits, leading
	 * zeros too (number_maybe reads what it finds), by its first two
	 * bytes: "7." for 7, "19" for 19 and 198; and a leading dot. */
	memset(t->v4p2, 0, sizeof(t->v4p2));
	for (len = 1; len <= 3; len++)
		for (v = 0; v < 256; v++) {
			/* v in len digits: its first digit, then its second or '.' */
			unsigned c0 = '0' + v / (len == 3 ? 100 : len == 2 ? 10 : 1) % 10;
			unsigned c1 = len == 1 ? '.' : '0' + v / (len == 3 ? 10 : 1) % 10;
			unsigned key = v4p2_key(c0, c1);

			if ((len > 1 || v < 10) && (len > 2 || v < 100) &&
			    ((t->v4b8[v >> 6] >> (v & 63)) & 1))
				t->v4p2[key >> 6] |= 1ULL << (key & 63);
		}
	for (v = 0; v < 16; v++)
		t->v4p2[v4p2_key('.', v) >> 6] |= 1ULL << (v4p2_key('.', v) & 63);
}

int cs__tfilter_build(const struct cs_intel *in, struct cs_tfilter **out)
{
	size_t i, n = cs_intel_count(in), keys = 0;
	struct cs_tfilter *t;

	*out = NULL;
	for (i = 0; i < n; i++) {
		switch (cs_indicator_kind(cs_intel_at(in, i))) {
		case CS_KIND_DOMAIN:
		case CS_KIND_EMAIL:
		case CS_KIND_URL:
		case CS_KIND_IPV4:
		case CS_KIND_IPV6:
		case CS_KIND_CIDR:
		case CS_KIND_MD5:
		case CS_KIND_SHA1:
		case CS_KIND_SHA256:
		case CS_KIND_SHA512:
			keys++;
			break;
		default:
			break;
		}
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return CS_ERR_NOMEM;
	t->bloom_mask = pow2_at_least(keys / 4 + 1) - 1;
	t->fp_mask = pow2_at_least(keys * 2 + 1) - 1;
	t->sld_mask = pow2_at_least(keys * 16 + 64) - 1;
	t->tld = calloc(TLD_BITS / 64, sizeof(uint64_t));
	t->sld = calloc((t->sld_mask + 1) / 64, sizeof(uint64_t));
	t->bloom = calloc(t->bloom_mask + 1, sizeof(uint64_t));
	t->fp = calloc(t->fp_mask + 1, sizeof(uint32_t));
	if (!t->tld || !t->sld || !t->bloom || !t->fp) {
		cs__tfilter_free(t);
		return CS_ERR_NOMEM;
	}
	t->nkeys = keys;
	for (i = 0; i < 256; i++)
		t->cls[i] = (unsigned char)((is_name((unsigned)i) ? C_NAME : 0) |
		                            (is_hex((unsigned)i) ? C_HEX : 0) |
		                            ((unsigned)i - '0' < 10u ? C_DIGIT : 0));
	for (i = 0; i < n; i++) {
		const struct cs_indicator *ind = cs_intel_at(in, i);
		const char *v = cs_indicator_value(ind), *at;
		size_t vn = strlen(v);

		switch (cs_indicator_kind(ind)) {
		case CS_KIND_DOMAIN:
			t->have_names = 1;
			add_name(t, v, vn, TAG_NAME);
			break;
		case CS_KIND_EMAIL:
			/* The domain as the text side takes it: leading '.',
			 * '-' and '_' are not part of a name. */
			at = strrchr(v, '@');
			if (!at)
				break;
			t->have_email = t->have_names = 1;
			at++;
			while (*at == '.' || *at == '-' || *at == '_')
				at++;
			add_name(t, at, strlen(at), TAG_NAME);
			break;
		case CS_KIND_URL:
			add_url(t, v);
			break;
		case CS_KIND_IPV4:
		case CS_KIND_IPV6:
			add_net(t, v, 0);
			break;
		case CS_KIND_CIDR:
			add_net(t, v, 1);
			break;
		case CS_KIND_MD5:
		case CS_KIND_SHA1:
		case CS_KIND_SHA256:
		case CS_KIND_SHA512:
			t->hex_lens |= hex_bit(vn);
			insert(t, hash_back(v, vn), TAG_HEX + 16 * (unsigned)vn);
			break;
		default:
			break;
		}
	}
	derive(t);
	t->avx2 = cpu_fast();
	*out = t;
	return CS_OK;
}

/* ---- the tokens ---- */

/* A block's masks as run_maybe and name_maybe read them. */
struct rmask {
	size_t base;       /* bit k is s[base + k] */
	uint64_t dot, oth; /* '.'; neither a digit nor '.' */
	int ok;
};

/* Where the label ending before s[k] starts: past the highest dot left
 * in *d (the mask's dots of the name, those already passed cleared), or
 * found in the text; `a` when it is the name's first. */
static inline size_t label_start(const unsigned char *s, size_t a, size_t k, uint64_t *d,
                                 size_t base, int mask)
{
	const unsigned char *p;

	if (mask) {
		/* No branch on whether a dot is left (a mask, not a select
		 * GCC would make a branch): names have one label or more
		 * below their last two as good as at random. */
		size_t past = base + 64 - (size_t)__builtin_clzll(*d | 1),
		       some = 0 - (size_t)(*d != 0);

		return (past & some) | (a & ~some);
	}
	p = k > a ? memrchr(s + a, '.', k - a) : NULL;
	return p ? (size_t)(p - s) + 1 : a;
}

/*
 * Could the name s[a, b) (trimmed as the reference trims it) match? Its
 * dots come from the block's mask when the run lies in it, else from the
 * text; s + n bounds every load.
 */
static int name_maybe(const struct cs_tfilter *t, const unsigned char *s, size_t a, size_t b,
                      size_t n, const struct rmask *rm)
{
	const unsigned char *end = s + n;
	uint64_t h, d = 0;
	size_t st, k, labels;
	int mask;

	while (b > a && s[b - 1] == '.')
		b--;
	if (b == a)
		return 0;
	mask = rm->ok && a >= rm->base && b - rm->base <= 63;
	if (mask)
		d = rm->dot & ((1ULL << (b - rm->base)) - 1) & ~((1ULL << (a - rm->base)) - 1);
	st = label_start(s, a, b, &d, rm->base, mask);
	h = label_hash(s + st, b - st, end);
	if (!tld_has(t, h))
		return 0;
	if (t->single_label && probe(t, h, TAG_NAME))
		return 1;
	for (labels = 1; st > a; labels++) {
		k = st - 1; /* the dot */
		if (mask)
			d &= ~(1ULL << (k - rm->base));
		st = label_start(s, a, k, &d, rm->base, mask);
		h = label_join(h, label_hash(s + st, k - st, end));
		if (labels == 1 && !sld_has(t, h))
			return 0; /* no key of two labels or more ends so */
		if (probe(t, h, TAG_NAME))
			return 1;
	}
	return 0;
}

/* The run of name characters [i, j): a digest, a dotted quad, a name, the
 * domain of an e-mail address. */
static int run_maybe(const struct cs_tfilter *t, const unsigned char *s, size_t i, size_t j,
                     size_t n, const struct rmask *rm)
{
	size_t a = i, b = j, k;
	unsigned other = 0, dots = 0, three = 0;

	if (t->hex_lens & hex_bit(j - i)) {
		uint64_t h = 0;

		for (k = j; k > i && (t->cls[s[k - 1]] & C_HEX); k--)
			h = step(h, s[k - 1]);
		if (k == i && probe(t, h, TAG_HEX + 16 * (unsigned)(j - i)))
			return 1;
	}
	while (a < b && (s[a] == '.' || s[a] == '-' || s[a] == '_'))
		a++;
	while (b > a && (s[b - 1] == '-' || s[b - 1] == '_'))
		b--;
	if (b == a)
		return 0;
	if (rm->ok && a >= rm->base && b - rm->base <= 63) {
		uint64_t range = ((1ULL << (b - rm->base)) - 1) & ~((1ULL << (a - rm->base)) - 1);

		uint64_t d = rm->dot & range & ~(1ULL << (b - 1 - rm->base)), d2;

		dots = (rm->dot & range) != 0;
		other = (rm->oth & range) != 0;
		d2 = d & (d - 1);
		d2 &= d2 - 1;
		three = d2 && !(d2 & (d2 - 1)); /* three dots, a trailing one aside */
	} else {
		size_t nd = 0;

		for (k = a; k < b; k++) {
			nd += s[k] == '.';
			other |= (~t->cls[s[k]] & C_DIGIT) & (s[k] != '.' ? C_DIGIT : 0u);
		}
		dots = nd != 0;
		three = nd - (s[b - 1] == '.') == 3;
	}
	if (!dots)
		return 0;
	if (!other) {
		/* Digits and dots: a quad, or a name whose last label is a
		 * number (only when some key ends so). */
		uint32_t addr;
		int mail = t->have_email && i > 0 && s[i - 1] == '@';

		if (three && quad(s + a, (b - a) - (s[b - 1] == '.'), &addr)) {
			if (t->nv4lens && v4_probe(t, addr))
				return 1;
			if (!mail)
				return 0;
		}
		if (!t->tld_digits)
			return 0;
	}
	return t->have_names && name_maybe(t, s, a, b, n, rm);
}

/* "://" at s[p]: the scheme before it and the host after it. */
static int url_maybe(const struct cs_tfilter *t, const unsigned char *s, size_t lo, size_t n,
                     size_t p)
{
	size_t i = p, h, e, at;

	while (i > lo && is_name(s[i - 1]))
		i--;
	if (i == p || !is_alnum(s[i]) || (unsigned)(s[i] - '0') < 10u)
		return 0;
	for (h = i; h < p; h++)
		if (s[h] == '_')
			return 1; /* no scheme: read as "http://" + the whole text */
	at = p + 3;
	for (e = at; e < n && (is_name(s[e]) || s[e] == ':' || s[e] == '@'); e++)
		if (s[e] == '@')
			at = e + 1;
	if (e < n && !(s[e] == '/' || s[e] == '?' || s[e] == '#' || url_stop(s[e])))
		return 1; /* escapes, brackets, defanged forms: let the reference see */
	for (h = at; h < e && s[h] != ':'; h++)
		;
	while (h > at && s[h - 1] == '.')
		h--;
	return h > at && probe(t, hash_back((const char *)s + at, h - at), TAG_HOST);
}

/* A ':' at s[p]: the IPv6 candidate around it, as the reference's second
 * pass would take it. *next: where to go on. */
static int v6_maybe(const struct cs_tfilter *t, const unsigned char *s, size_t lo, size_t n,
                    size_t p, size_t *next)
{
	size_t l = p, r = p + 1, colons = 0, k, e;
	unsigned char a[16];
	char buf[V6_MAX + 1];
	unsigned plen;

	while (l > lo && (is_hex(s[l - 1]) || s[l - 1] == ':' || s[l - 1] == '.'))
		l--;
	while (r < n && (is_hex(s[r]) || s[r] == ':' || s[r] == '.'))
		r++;
	*next = r;
	if (s[l] == '.' || (l > lo && is_alnum(s[l - 1])) || r - l > V6_MAX ||
	    (r < n && is_alnum(s[r])))
		return 0;
	for (k = l; k < r; k++)
		colons += s[k] == ':';
	if (colons < 2)
		return 0;
	for (e = r; e > l && s[e - 1] == '.'; e--)
		;
	memcpy(buf, s + l, e - l);
	buf[e - l] = '\0';
	if (inet_pton(AF_INET6, buf, a) != 1)
		return 0;
	for (plen = 0; plen <= 128; plen++)
		if (t->v6len[plen] && probe(t, v6_key(a, plen), TAG_V6))
			return 1;
	return 0;
}

/* ---- the text, 64 bytes at a time ---- */

#define WANT_COLON 1u
#define WANT_HEX   2u

/*
 * A block of 64 bytes, s[b, b+64), as bit masks (bit k is s[b + k]). Bytes
 * past the text's end count as neither name characters nor anything else.
 */
struct blk {
	uint64_t nn;    /* not a name character */
	uint64_t dot;   /* '.' */
	uint64_t dig;   /* '0'-'9' */
	uint64_t sp; /* ':' (when wanted) and NUL bytes of the text: rare, told apart by reading */
	uint64_t hex16; /* the first byte of each 16-byte quarter that is all hex, when wanted */
};

static uint64_t quarters(uint64_t hex)
{
	uint64_t q = 0;
	unsigned k;

	for (k = 0; k < 64; k += 16)
		if (((hex >> k) & 0xffffu) == 0xffffu)
			q |= 1ULL << k;
	return q;
}

static void blk_scalar(const struct cs_tfilter *t, const unsigned char *s, size_t m,
                       unsigned want, struct blk *k)
{
	uint64_t nn = m < 64 ? ~0ULL << m : 0, dot = 0, dig = 0, colon = 0, hex = 0, nul = 0;
	size_t i;

	for (i = 0; i < m; i++) {
		unsigned c = t->cls[s[i]];
		uint64_t bit = 1ULL << i;

		nn |= c & C_NAME ? 0 : bit;
		dot |= s[i] == '.' ? bit : 0;
		dig |= c & C_DIGIT ? bit : 0;
		colon |= s[i] == ':' ? bit : 0;
		hex |= c & C_HEX ? bit : 0;
		nul |= s[i] ? 0 : bit;
	}
	k->nn = nn;
	k->dot = dot;
	k->dig = dig;
	k->sp = (want & WANT_COLON ? colon : 0) | nul;
	k->hex16 = want & WANT_HEX ? quarters(hex) : 0;
}

#if TF_X86
/* A bit per byte that is not a name character. */
__attribute__((target("avx2"))) static inline uint32_t nonname32(const unsigned char *p)
{
	const __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)p);
	const __m256i d = _mm256_sub_epi8(v, _mm256_set1_epi8('0'));
	const __m256i l = _mm256_sub_epi8(_mm256_or_si256(v, _mm256_set1_epi8(0x20)),
	                                  _mm256_set1_epi8('a'));
	__m256i ok = _mm256_cmpeq_epi8(_mm256_min_epu8(d, _mm256_set1_epi8(9)), d);

	ok = _mm256_or_si256(ok, _mm256_cmpeq_epi8(_mm256_min_epu8(l, _mm256_set1_epi8(25)), l));
	ok = _mm256_or_si256(ok, _mm256_cmpeq_epi8(v, _mm256_set1_epi8('.')));
	ok = _mm256_or_si256(ok, _mm256_cmpeq_epi8(v, _mm256_set1_epi8('-')));
	ok = _mm256_or_si256(ok, _mm256_cmpeq_epi8(v, _mm256_set1_epi8('_')));
	return ~(uint32_t)_mm256_movemask_epi8(ok);
}

/*
 * The masks of 32 bytes; *hex: a bit per hex digit. Each byte's classes
 * come from two table lookups, by its high and by its low nibble, ANDed:
 * 0x80 a digit (so that movemask gives the digits as they are), 0x01 a
 * letter of 0x41-0x4f or 0x61-0x6f, 0x02 one of 0x50-0x5a or 0x70-0x7a,
 * 0x04 a hex letter, 0x08 '-' or '.', 0x10 '_'. Bytes of 0x80 and above
 * are in no class (the low lookup gives 0 for them, the high one too).
 */
#define NIB_DIGIT 0x80
#define NIB_NAME  0x9b
#define NIB_HEX   0x84
__attribute__((target("avx2"))) static inline void half_avx2(const unsigned char *p, unsigned want,
                                                             uint32_t *nn, uint32_t *dot,
                                                             uint32_t *dig, uint32_t *sp,
                                                             uint32_t *hex)
{
	const __m256i hi_t = _mm256_setr_epi8(0, 0, 0x08, (char)0x80, 0x05, 0x12, 0x05, 0x02, 0, 0,
	                                      0, 0, 0, 0, 0, 0, 0, 0, 0x08, (char)0x80, 0x05,
	                                      0x12, 0x05, 0x02, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m256i lo_t = _mm256_setr_epi8(
	        (char)0x82, (char)0x87, (char)0x87, (char)0x87, (char)0x87, (char)0x87,
	        (char)0x87, (char)0x83, (char)0x83, (char)0x83, 0x03, 0x01, 0x01, 0x09, 0x09, 0x11,
	        (char)0x82, (char)0x87, (char)0x87, (char)0x87, (char)0x87, (char)0x87,
	        (char)0x87, (char)0x83, (char)0x83, (char)0x83, 0x03, 0x01, 0x01, 0x09, 0x09, 0x11);
	const __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)p);
	const __m256i zero = _mm256_setzero_si256();
	const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), _mm256_set1_epi8(0x0f));
	const __m256i cls = _mm256_and_si256(_mm256_shuffle_epi8(hi_t, hi),
	                                     _mm256_shuffle_epi8(lo_t, v));

	*nn = (uint32_t)_mm256_movemask_epi8(
	        _mm256_cmpeq_epi8(_mm256_and_si256(cls, _mm256_set1_epi8((char)NIB_NAME)), zero));
	*dig = (uint32_t)_mm256_movemask_epi8(cls);
	*dot = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('.')));
	*hex = ~(uint32_t)_mm256_movemask_epi8(
	        _mm256_cmpeq_epi8(_mm256_and_si256(cls, _mm256_set1_epi8((char)NIB_HEX)), zero));
	*sp = (uint32_t)_mm256_movemask_epi8(
	        want & WANT_COLON ? _mm256_or_si256(_mm256_cmpeq_epi8(v, zero),
	                                            _mm256_cmpeq_epi8(v, _mm256_set1_epi8(':')))
	                          : _mm256_cmpeq_epi8(v, zero));
}

/* The same masks as blk_scalar, two loads of 32 bytes; m < 64 bytes (the
 * text's tail) go through a copy padded with NULs, which are no name. */
__attribute__((target("avx2"))) static void blk_avx2(const unsigned char *s, size_t m,
                                                     unsigned want, struct blk *k)
{
	unsigned char tail[64];
	uint32_t nn[2], dot[2], dig[2], sp[2], hex[2];

	if (m < 64) {
		memset(tail, 0, sizeof(tail));
		memcpy(tail, s, m);
		s = tail;
	}
	half_avx2(s, want, &nn[0], &dot[0], &dig[0], &sp[0], &hex[0]);
	half_avx2(s + 32, want, &nn[1], &dot[1], &dig[1], &sp[1], &hex[1]);
	k->nn = (uint64_t)nn[1] << 32 | nn[0];
	k->dot = (uint64_t)dot[1] << 32 | dot[0];
	k->dig = (uint64_t)dig[1] << 32 | dig[0];
	k->sp = ((uint64_t)sp[1] << 32 | sp[0]) & (m < 64 ? (1ULL << m) - 1 : ~0ULL);
	k->hex16 = want & WANT_HEX ? quarters((uint64_t)hex[1] << 32 | hex[0]) : 0;
}

__attribute__((target("avx2"))) static void bounds_avx2(const struct cs_tfilter *t,
                                                         const unsigned char *s, size_t lo,
                                                         size_t n, size_t p, size_t *ri,
                                                         size_t *rj)
{
	size_t k = p + 1;
	uint32_t m;

	for (;;) {
		if (k + 32 > n) {
			while (k < n && (t->cls[s[k]] & C_NAME))
				k++;
			break;
		}
		m = nonname32(s + k);
		if (m) {
			k += (size_t)__builtin_ctz(m);
			break;
		}
		k += 32;
	}
	*rj = k;
	k = p;
	for (;;) {
		if (k < lo + 32) {
			while (k > lo && (t->cls[s[k - 1]] & C_NAME))
				k--;
			break;
		}
		m = nonname32(s + k - 32);
		if (m) {
			k = k - 32 + (size_t)(31 - __builtin_clz(m)) + 1;
			break;
		}
		k -= 32;
	}
	*ri = k;
}
#endif

/* The run of name characters around s[p] (a long one: past a block). */
static void bounds(const struct cs_tfilter *t, const unsigned char *s, size_t lo, size_t n,
                   size_t p, size_t *ri, size_t *rj)
{
	size_t i = p, j = p + 1;

#if TF_X86
	if (t->avx2) {
		bounds_avx2(t, s, lo, n, p, ri, rj);
		return;
	}
#endif
	while (i > lo && (t->cls[s[i - 1]] & C_NAME))
		i--;
	while (j < n && (t->cls[s[j]] & C_NAME))
		j++;
	*ri = i;
	*rj = j;
}

/* The number of 1 to 3 digits at p, whose three bytes can be read. No
 * branch on the length (masks, not a conditional the compiler may make a
 * branch): in addresses it is as good as random (cachegrind: 1.6
 * mispredictions a line of a DNS log when it was one). */
static inline unsigned num3(const unsigned char *p, unsigned len)
{
	unsigned v = p[0] - 48u, m;

	m = 0u - (unsigned)(len > 1);
	v = ((v * 10 + (p[1] - 48u)) & m) | (v & ~m);
	m = 0u - (unsigned)(len > 2);
	return ((v * 10 + (p[2] - 48u)) & m) | (v & ~m);
}

/*
 * A run of only digits and dots, bits `range` (ending before bit e) of
 * block k at s[b]: could it be anything but a number? Without a key whose
 * last label is a number, only a dotted quad can match, and run_maybe
 * would say no unless it has three dots (a trailing one aside; leading
 * ones only add to the count here) and its /16 is under some IPv4 key.
 * The first two numbers are read from the dots' places: when they are
 * not two numbers of 1 to 3 digits up to 255, quad() fails too.
 */
static inline __attribute__((always_inline)) int number_maybe(const struct cs_tfilter *t,
                                                              const unsigned char *s, size_t b,
                                                              uint64_t dot, uint64_t range,
                                                              unsigned e)
{
	uint64_t d = dot & range & ~(1ULL << (e - 1)), d3 = d;
	unsigned a0, d0, d1, v0, v1, key;

	if (t->tld_digits)
		return 1;
	d3 &= d3 - 1;
	d3 &= d3 - 1;
	if (!t->nv4lens || !d3) /* fewer than three dots */
		return 0;
	a0 = (unsigned)__builtin_ctzll(range);
	/* Most runs are turned away by their first two bytes: no first
	 * number of the intel's begins so. */
	key = v4p2_key(s[b + a0], s[b + a0 + 1]);
	if (!((t->v4p2[key >> 6] >> (key & 63)) & 1))
		return 0;
	d0 = (unsigned)__builtin_ctzll(d);
	if (d0 == a0)
		return 1; /* leading dots: run_maybe reads past them */
	if (d0 - a0 > 3)
		return 0;
	/* Most numbers are turned away by their first (no /16 under it, in a
	 * bitmap of one cache line) and the second is not read. */
	v0 = num3(s + b + a0, d0 - a0);
	if (v0 > 255 || !((t->v4b8[v0 >> 6] >> (v0 & 63)) & 1))
		return 0;
	d1 = (unsigned)__builtin_ctzll(d & (d - 1));
	if (d1 - d0 - 1 - 1 > 2)
		return 0;
	v1 = num3(s + b + d0 + 1, d1 - d0 - 1);
	if (v1 > 255)
		return 0;
	v0 = v0 << 8 | v1;
	return (int)((t->v4b16[v0 >> 6] >> (v0 & 63)) & 1);
}

/*
 * The runs of block k below `below` (the bits before the block's last
 * non-name byte) worth a look, each as the bit just past its end: those
 * that hold a '.' and a letter, '-' or '_' (names); those of digits and
 * dots that number_maybe might not turn away; those with an all-hex
 * quarter (digests). A run of digits and dots is turned away here, with
 * no look, unless some key's last label is a number, or there are IPv4
 * keys and it starts with a '.' or holds two dots 2 to 4 bytes apart
 * (number_maybe needs both of its first two numbers to be 1 to 3 digits).
 *
 * "Which runs hold a bit of X" is one addition: in runs + X, each bit of
 * X inside a run of ones carries up to the first zero above it, which is
 * the byte just past that run (a non-name byte), and stops there.
 */
static inline uint64_t runs_holding(uint64_t runs, uint64_t ends, uint64_t x)
{
	return (runs + x) & ends;
}

static inline __attribute__((always_inline)) uint64_t
runs_to_look_at(const struct cs_tfilter *t, const struct blk *k, uint64_t below)
{
	uint64_t runs = ~k->nn & below, ends = k->nn & (runs << 1), dots = k->dot & below;
	uint64_t with_dot = runs_holding(runs, ends, dots), look, q;

	look = with_dot & runs_holding(runs, ends, runs & ~(k->dig | k->dot));
	if (t->tld_digits) {
		look |= with_dot;
	} else if (t->nv4lens) {
		q = (dots & ((dots >> 2) | (dots >> 3) | (dots >> 4))) | (dots & ~(runs << 1));
		look |= runs_holding(runs, ends, q);
	}
	if (k->hex16)
		look |= runs_holding(runs, ends, k->hex16 & below);
	return look;
}

/* run_maybe for the run [b + st, b + p) of the block at b, with its masks. */
static int run_block(const struct cs_tfilter *t, const unsigned char *s, size_t b, unsigned st,
                     unsigned p, size_t n, uint64_t dot, uint64_t oth)
{
	struct rmask rm;

	rm.ok = 1;
	rm.base = b;
	rm.dot = dot;
	rm.oth = oth;
	return run_maybe(t, s, b + st, b + p, n, &rm);
}

/*
 * run_maybe for the run [b + st, b + p) of a block, which holds a dot and
 * a byte that is neither a digit nor a dot: the names of a log. When it
 * neither starts nor ends with a byte run_maybe trims ('.', '-', '_') and
 * the intel has no digests, what run_maybe would do is name_maybe over
 * the whole run with the block's dots, done here without the checks that
 * cannot fail. Anything else goes to run_maybe.
 */
static inline __attribute__((always_inline)) int
name_run(const struct cs_tfilter *t, const unsigned char *s, size_t b, unsigned st, unsigned p,
         size_t n, uint64_t dot, uint64_t oth, uint64_t range)
{
	const unsigned char *end = s + n, *w = s + b;
	unsigned c0 = w[st], c1 = w[p - 1], l1, l2, first = 1;
	uint64_t d, h, some;

	if (t->hex_lens || c0 == '.' || c0 == '-' || c0 == '_' || c1 == '.' || c1 == '-' ||
	    c1 == '_')
		return run_block(t, s, b, st, p, n, dot, oth);
	if (!t->have_names)
		return 0;
	d = dot & range; /* a dot inside: not at either end */
	l1 = 64 - (unsigned)__builtin_clzll(d);
	h = label_hash(w + l1, p - l1, end);
	if (!tld_has(t, h))
		return 0;
	if (t->single_label && probe(t, h, TAG_NAME))
		return 1;
	for (;;) {
		d &= ~(1ULL << (l1 - 1));
		some = 0 - (uint64_t)(d != 0); /* a mask, not a branch */
		l2 = (unsigned)(((64 - (unsigned)__builtin_clzll(d | 1)) & some) | (st & ~some));
		h = label_join(h, label_hash(w + l2, l1 - 1 - l2, end));
		if (first && !sld_has(t, h))
			return 0; /* no key of two labels or more ends so */
		if (probe(t, h, TAG_NAME))
			return 1;
		if (l2 == st)
			return 0;
		l1 = l2;
		first = 0;
	}
}

/*
 * The first byte, at or after `from`, of a token of s[from, n) that some
 * indicator might match (match_int.h). The text goes by in blocks of 64
 * bytes, classified into masks (AVX2 or scalar: the same masks, so the
 * same answers); a block is cut short before a run of name characters
 * that crosses its end, and the next block starts at that run, so every
 * run shorter than a block is seen whole inside one. In a block, the runs
 * worth a look are chosen all at once from the masks (runs_to_look_at:
 * numbers such as times and durations are left there) and each is looked
 * at once, in order, from the byte just past it: one made of digits and
 * dots is left unless it can be a dotted quad under an address key
 * (number_maybe), the rest go to run_maybe with the block's masks; its
 * first byte is the answer. ':' bytes are looked at in order among them, as
 * URLs and IPv6 candidates, and a NUL byte is a candidate itself (the log
 * hunt reports the line that holds one). A run of 64 name characters or
 * more is bound and looked at alone.
 */
static inline __attribute__((always_inline)) size_t
next_in(const struct cs_tfilter *t, const char *text, size_t from, size_t n, int fast)
{
	const unsigned char *s = (const unsigned char *)text;
	unsigned want = (t->have_url || t->have_v6 ? WANT_COLON : 0) |
	                (t->hex_lens ? WANT_HEX : 0);
	size_t b = from, lo = from, v6_done = from;

	while (b < n) {
		size_t m = n - b < 64 ? n - b : 64, next, ri, rj;
		struct blk k;
		uint64_t ev, look, below, oth;
		unsigned lim;

#if TF_X86
		if (fast)
			blk_avx2(s + b, m, want, &k);
		else
#endif
			blk_scalar(t, s + b, m, want, &k);
		if (!k.nn) {
			struct rmask rm = {0};

			bounds(t, s, lo, n, b, &ri, &rj);
			if (run_maybe(t, s, ri, rj, n, &rm))
				return b;
			b = rj;
			continue;
		}
		lim = 64 - (unsigned)__builtin_clzll(k.nn);
		next = b + lim;
		below = ~0ULL >> (64 - lim); /* lim is 1 to 64: no branch */
		look = runs_to_look_at(t, &k, below);
		ev = look | (k.sp & below);
		oth = ~(k.dig | k.dot);
		while (ev) {
			unsigned p = (unsigned)__builtin_ctzll(ev), st;
			int maybe;

			ev &= ev - 1;
			if ((look >> p) & 1) {
				/* The run [st, p) ends here. */
				uint64_t lower = k.nn & ((1ULL << p) - 1), range;

				/* Past the highest non-name byte below p, or 0 when
				 * the run starts the block: no branch either way. */
				st = (64 - (unsigned)__builtin_clzll(lower | 1)) &
				     (0u - (unsigned)(lower != 0));
				range = ((1ULL << p) - 1) & ~((1ULL << st) - 1);
				if (range & oth)
					maybe = name_run(t, s, b, st, p, n, k.dot, oth, range);
				else if (range & k.dot)
					maybe = number_maybe(t, s, b, k.dot, range, p) &&
					        run_block(t, s, b, st, p, n, k.dot, oth);
				else
					maybe = run_block(t, s, b, st, p, n, k.dot, oth);
				if (maybe)
					return b + st;
			}
			if ((k.sp >> p) & 1) {
				size_t at = b + p, after;

				if (!s[at])
					return at; /* a NUL, or else a ':' */

				if (t->have_url && at + 2 < n && s[at + 1] == '/' && s[at + 2] == '/' &&
				    url_maybe(t, s, lo, n, at))
					return at;
				/* One look at each IPv6 candidate; the names and quads
				 * inside it are still looked at, as the reference does. */
				if (t->have_v6 && at >= v6_done) {
					if (v6_maybe(t, s, lo, n, at, &after))
						return at;
					v6_done = after;
				}
			}
		}
		b = next;
	}
	return n;
}

#if TF_X86
/* The loop compiled for AVX2 as a whole, with BMI1, BMI2, POPCNT and
 * LZCNT (cpu_fast checks them): the block's masks stay in registers, their
 * constants are loaded once, and the bit counts are one instruction each. */
__attribute__((target("avx2,bmi,bmi2,popcnt,lzcnt"))) static size_t
next_avx2(const struct cs_tfilter *t, const char *text, size_t from, size_t n)
{
	return next_in(t, text, from, n, 1);
}
#endif

static size_t next_plain(const struct cs_tfilter *t, const char *text, size_t from, size_t n)
{
	return next_in(t, text, from, n, 0);
}

size_t cs__tfilter_next(const struct cs_tfilter *t, const char *text, size_t from, size_t n)
{
#if TF_X86
	if (t->avx2)
		return next_avx2(t, text, from, n);
#endif
	return next_plain(t, text, from, n);
}

int cs__tfilter_any(const struct cs_tfilter *t, const char *s, size_t n)
{
	return cs__tfilter_next(t, s, 0, n) < n;
}

/* ---- the snapshot (tsnap.c) ---- */

/*
 * Bump when the filter's hashing or layout changes: a snapshot written by
 * another layout is then under another cache key and never read.
 */
#define TF_LAYOUT 3u

unsigned cs__tfilter_layout(void)
{
	return TF_LAYOUT;
}

/* One walk over the filter's fields for both directions: saving appends
 * each field to `out`; loading takes it from [p, end), the arrays either
 * copied or, with `borrow`, pointed at where they are. Arrays start at a
 * multiple of 8 from the start. A field added to struct cs_tfilter is
 * one line in tf_walk(). */
struct tf_io {
	struct cs_buf *out;
	size_t base; /* out->len where the filter starts */
	const unsigned char *start, *p, *end;
	int borrow, rc;
};

static void io_bytes(struct tf_io *io, void *field, size_t n)
{
	if (io->rc)
		return;
	if (io->out) {
		io->rc = cs__buf_add(io->out, field, n);
		return;
	}
	if ((size_t)(io->end - io->p) < n) {
		io->rc = CS_ERR_PARSE;
		return;
	}
	memcpy(field, io->p, n);
	io->p += n;
}

static void io_align(struct tf_io *io)
{
	static const unsigned char zero[8];
	size_t pad;

	if (io->rc)
		return;
	if (io->out) {
		pad = (8 - (io->out->len - io->base) % 8) % 8;
		io->rc = cs__buf_add(io->out, zero, pad);
		return;
	}
	pad = (8 - (size_t)(io->p - io->start) % 8) % 8;
	if ((size_t)(io->end - io->p) < pad)
		io->rc = CS_ERR_PARSE;
	else
		io->p += pad;
}

/* An array of `count` words of `size` bytes: on load, a count over 2^28
 * or beyond what is left is refused before anything is allocated, and a
 * borrowed array must sit at a multiple of its word size. */
static void io_array(struct tf_io *io, void **field, size_t count, size_t size)
{
	io_align(io);
	if (io->rc)
		return;
	if (!io->out) {
		if (count > ((size_t)1 << 28) || (size_t)(io->end - io->p) / size < count) {
			io->rc = CS_ERR_PARSE;
			return;
		}
		if (io->borrow) {
			if ((uintptr_t)io->p % size) {
				io->rc = CS_ERR_PARSE;
				return;
			}
			*field = (void *)(uintptr_t)io->p;
			io->p += count * size;
			return;
		}
		*field = calloc(count ? count : 1, size);
		if (!*field) {
			io->rc = CS_ERR_NOMEM;
			return;
		}
	}
	io_bytes(io, *field, count * size);
}

#define IO_FIELD(io, t, f) io_bytes(io, &(t)->f, sizeof((t)->f))

static int tf_walk(struct cs_tfilter *t, struct tf_io *io)
{
	IO_FIELD(io, t, bloom_mask);
	IO_FIELD(io, t, fp_mask);
	IO_FIELD(io, t, sld_mask);
	IO_FIELD(io, t, nkeys);
	IO_FIELD(io, t, hex_lens);
	IO_FIELD(io, t, v4len);
	IO_FIELD(io, t, v6len);
	IO_FIELD(io, t, v4lens);
	IO_FIELD(io, t, nv4lens);
	IO_FIELD(io, t, have_v6);
	IO_FIELD(io, t, have_url);
	IO_FIELD(io, t, have_email);
	IO_FIELD(io, t, have_names);
	IO_FIELD(io, t, tld_digits);
	IO_FIELD(io, t, single_label);
	io_align(io);
	IO_FIELD(io, t, v4b16);
	/* The masks must be 2^k - 1, from 63 to 2^28 - 1 (the bit mask of the
	 * two-label bitmap up to 2^32 - 1), before they size anything
	 * (SIZE_MAX is 2^k - 1 too, and would size nothing). */
	if (!io->rc && !io->out &&
	    ((t->bloom_mask & (t->bloom_mask + 1)) || (t->fp_mask & (t->fp_mask + 1)) ||
	     (t->sld_mask & (t->sld_mask + 1)) || t->bloom_mask < 63 || t->fp_mask < 63 ||
	     t->sld_mask < 63 || t->bloom_mask >= ((size_t)1 << 28) ||
	     t->fp_mask >= ((size_t)1 << 28) || t->sld_mask >= ((size_t)1 << 32)))
		io->rc = CS_ERR_PARSE;
	io_array(io, (void **)&t->tld, TLD_BITS / 64, sizeof(uint64_t));
	if (!io->rc)
		io_array(io, (void **)&t->sld, (t->sld_mask + 1) / 64, sizeof(uint64_t));
	if (!io->rc)
		io_array(io, (void **)&t->bloom, t->bloom_mask + 1, sizeof(uint64_t));
	if (!io->rc)
		io_array(io, (void **)&t->fp, t->fp_mask + 1, sizeof(uint32_t));
	return io->rc;
}

int cs__tfilter_save(const struct cs_tfilter *t, struct cs_buf *out)
{
	struct tf_io io;

	memset(&io, 0, sizeof(io));
	io.out = out;
	io.base = out->len;
	return tf_walk((struct cs_tfilter *)(uintptr_t)t, &io);
}

/*
 * The filter saved at [p, p + n), which must be the whole of it; with
 * `borrow`, its arrays stay in that memory (which must outlive the
 * filter). What could make the text side misbehave is checked: masks
 * that are 2^k - 1, prefix lengths in range, a fingerprint table with a
 * free slot (a probe ends there). Returns CS_OK, CS_ERR_PARSE or
 * CS_ERR_NOMEM.
 */
int cs__tfilter_load(const void *p, size_t n, int borrow, struct cs_tfilter **out)
{
	struct tf_io io;
	struct cs_tfilter *t = calloc(1, sizeof(*t));
	size_t i;
	int rc;

	*out = NULL;
	if (!t)
		return CS_ERR_NOMEM;
	memset(&io, 0, sizeof(io));
	io.start = io.p = p;
	io.end = (const unsigned char *)p + n;
	io.borrow = borrow;
	t->borrowed = borrow;
	rc = tf_walk(t, &io);
	if (!rc && (io.p != io.end || t->nv4lens > 33 || t->nkeys > t->fp_mask / 2))
		rc = CS_ERR_PARSE;
	for (i = 0; !rc && i < t->nv4lens; i++)
		if (t->v4lens[i] > 32)
			rc = CS_ERR_PARSE;
	for (i = 0; !rc && i <= t->fp_mask && t->fp[i]; i++)
		;
	if (!rc && i > t->fp_mask)
		rc = CS_ERR_PARSE;
	if (rc) {
		cs__tfilter_free(t);
		return rc;
	}
	for (i = 0; i < 256; i++)
		t->cls[i] = (unsigned char)((is_name((unsigned)i) ? C_NAME : 0) |
		                            (is_hex((unsigned)i) ? C_HEX : 0) |
		                            ((unsigned)i - '0' < 10u ? C_DIGIT : 0));
	derive(t);
	t->avx2 = cpu_fast();
	*out = t;
	return CS_OK;
}

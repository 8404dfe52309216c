/*
 * Helpers of the log hunt's fast line path (logs.c, docs/log-hunt.md
 * "Speed"): a line without a candidate token is not parsed at all, but a
 * JSON line must still be reported when it is not valid JSON, and its
 * escaped strings ("\u0065vil.com", "http:\/\/...") still looked at.
 *
 * cs__json_surely_valid says yes only for a line jansson is certain to
 * accept with json_loadb(s, n, 0): an object or array of ASCII text,
 * shallow, with short numbers and no "\u0000" or lone surrogate. Anything
 * else (including valid JSON it is not sure of) gets "no", and the caller
 * parses the line with jansson as before, so the diagnostics are
 * jansson's own.
 *
 * cs__json_unescape decodes every escape of a line into a copy, strings
 * and all: each string the reference would match after decoding appears
 * in it whole, between quotes.
 */
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LF_X86 1
#else
#define LF_X86 0
#endif

#include "scan/logscan_int.h"

#define JSON_QUICK_DEPTH 64
#define JSON_QUICK_NUM   64 /* longer numbers: let jansson judge range */

static int ws(unsigned c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int digit(unsigned c)
{
	return c - '0' < 10u;
}

static int hexv(unsigned c)
{
	if (c - '0' < 10u)
		return (int)(c - '0');
	c |= 32;
	if (c - 'a' < 6u)
		return (int)(c - 'a' + 10);
	return -1;
}

static int u4(const unsigned char *s, size_t n, size_t i, unsigned *v)
{
	size_t k;

	*v = 0;
	if (i + 4 > n)
		return -1;
	for (k = 0; k < 4; k++) {
		int h = hexv(s[i + k]);

		if (h < 0)
			return -1;
		*v = *v << 4 | (unsigned)h;
	}
	return 0;
}

/* A string at s[i] == '"'; the offset after it, or 0. */
static size_t str_end(const unsigned char *s, size_t n, size_t i)
{
	for (i++; i < n; i++) {
		unsigned c = s[i], v, w;

		if (c == '"')
			return i + 1;
		if (c < 0x20 || c >= 0x80)
			return 0;
		if (c != '\\')
			continue;
		if (++i >= n)
			return 0;
		switch (s[i]) {
		case '"':
		case '\\':
		case '/':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			break;
		case 'u':
			if (u4(s, n, i + 1, &v) || v == 0 || (v >= 0xdc00 && v <= 0xdfff))
				return 0;
			i += 4;
			if (v >= 0xd800 && v <= 0xdbff) {
				if (i + 2 >= n || s[i + 1] != '\\' || s[i + 2] != 'u' ||
				    u4(s, n, i + 3, &w) || w < 0xdc00 || w > 0xdfff)
					return 0;
				i += 6;
			}
			break;
		default:
			return 0;
		}
	}
	return 0;
}

/* A number at s[i]; the offset after it, or 0. */
static size_t num_end(const unsigned char *s, size_t n, size_t i)
{
	size_t st = i;
	int frac = 0;

	if (s[i] == '-')
		i++;
	if (i >= n || !digit(s[i]))
		return 0;
	if (s[i] == '0' && i + 1 < n && digit(s[i + 1]))
		return 0;
	while (i < n && digit(s[i]))
		i++;
	if (i < n && s[i] == '.') {
		frac = 1;
		if (++i >= n || !digit(s[i]))
			return 0;
		while (i < n && digit(s[i]))
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E'))
		return 0;
	/* An integer of 18 digits fits json_int_t; a short real neither
	 * overflows nor underflows. */
	if (frac ? i - st > JSON_QUICK_NUM : i - st - (s[st] == '-') > 18)
		return 0;
	return i;
}

int cs__json_surely_valid(const char *text, size_t n)
{
	const unsigned char *s = (const unsigned char *)text;
	unsigned char stack[JSON_QUICK_DEPTH]; /* '{' or '[' */
	size_t i = 0, depth = 0;
	int want_value = 1;

	while (i < n && ws(s[i]))
		i++;
	if (i >= n || (s[i] != '{' && s[i] != '['))
		return 0;
	for (;;) {
		while (i < n && ws(s[i]))
			i++;
		if (i >= n)
			return 0;
		if (want_value) {
			unsigned c = s[i];

			if (c == '{' || c == '[') {
				if (depth == JSON_QUICK_DEPTH)
					return 0;
				stack[depth++] = (unsigned char)c;
				i++;
				while (i < n && ws(s[i]))
					i++;
				if (i < n && s[i] == (c == '{' ? '}' : ']')) {
					depth--;
					i++;
					want_value = 0;
				} else if (c == '{') {
					/* A key, then ':'. */
					if (i >= n || s[i] != '"' || !(i = str_end(s, n, i)))
						return 0;
					while (i < n && ws(s[i]))
						i++;
					if (i >= n || s[i] != ':')
						return 0;
					i++;
				}
				if (!want_value && !depth)
					break;
				continue;
			}
			if (c == '"')
				i = str_end(s, n, i);
			else if (c == '-' || c - '0' < 10u)
				i = num_end(s, n, i);
			else if (n - i >= 4 && memcmp(s + i, "true", 4) == 0)
				i += 4;
			else if (n - i >= 5 && memcmp(s + i, "false", 5) == 0)
				i += 5;
			else if (n - i >= 4 && memcmp(s + i, "null", 4) == 0)
				i += 4;
			else
				return 0;
			if (!i)
				return 0;
			want_value = 0;
			continue;
		}
		/* After a value: ',' or the container's end. */
		if (!depth)
			break;
		if (s[i] == ',') {
			i++;
			if (stack[depth - 1] == '{') {
				while (i < n && ws(s[i]))
					i++;
				if (i >= n || s[i] != '"' || !(i = str_end(s, n, i)))
					return 0;
				while (i < n && ws(s[i]))
					i++;
				if (i >= n || s[i] != ':')
					return 0;
				i++;
			}
			want_value = 1;
		} else if (s[i] == (stack[depth - 1] == '{' ? '}' : ']')) {
			i++;
			if (!--depth)
				break;
		} else {
			return 0;
		}
	}
	while (i < n && ws(s[i]))
		i++;
	return i == n;
}

static size_t put_utf8(char *d, unsigned v)
{
	if (v < 0x80) {
		d[0] = (char)v;
		return 1;
	}
	if (v < 0x800) {
		d[0] = (char)(0xc0 | v >> 6);
		d[1] = (char)(0x80 | (v & 0x3f));
		return 2;
	}
	if (v < 0x10000) {
		d[0] = (char)(0xe0 | v >> 12);
		d[1] = (char)(0x80 | ((v >> 6) & 0x3f));
		d[2] = (char)(0x80 | (v & 0x3f));
		return 3;
	}
	d[0] = (char)(0xf0 | v >> 18);
	d[1] = (char)(0x80 | ((v >> 12) & 0x3f));
	d[2] = (char)(0x80 | ((v >> 6) & 0x3f));
	d[3] = (char)(0x80 | (v & 0x3f));
	return 4;
}

int cs__json_unescape(const char *text, size_t n, char *out, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		unsigned v, w;

		if (s[i] != '\\') {
			out[o++] = (char)s[i];
			continue;
		}
		if (++i >= n)
			return -1;
		switch (s[i]) {
		case 'b':
			out[o++] = '\b';
			break;
		case 'f':
			out[o++] = '\f';
			break;
		case 'n':
			out[o++] = '\n';
			break;
		case 'r':
			out[o++] = '\r';
			break;
		case 't':
			out[o++] = '\t';
			break;
		case 'u':
			if (u4(s, n, i + 1, &v))
				return -1;
			i += 4;
			if (v >= 0xd800 && v <= 0xdbff && i + 2 < n && s[i + 1] == '\\' &&
			    s[i + 2] == 'u' && !u4(s, n, i + 3, &w) && w >= 0xdc00 && w <= 0xdfff) {
				v = 0x10000 + ((v - 0xd800) << 10) + (w - 0xdc00);
				i += 6;
			}
			o += put_utf8(out + o, v);
			break;
		default:
			out[o++] = (char)s[i];
			break;
		}
	}
	*outlen = o;
	return 0;
}

#if LF_X86
__attribute__((target("avx2,popcnt"))) static uint64_t newlines_avx2(const char *s, size_t n)
{
	const __m256i nl = _mm256_set1_epi8('\n');
	uint64_t k = 0;
	size_t i = 0;

	for (; i + 32 <= n; i += 32) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(s + i));

		k += (uint64_t)__builtin_popcount(
		        (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, nl)));
	}
	for (; i < n; i++)
		k += s[i] == '\n';
	return k;
}
#endif

uint64_t cs__count_newlines(const char *s, size_t n)
{
	const char *p = s, *end = s + n;
	uint64_t k = 0;

#if LF_X86
	if (__builtin_cpu_supports("avx2"))
		return newlines_avx2(s, n);
#endif
	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		k++;
		p++;
	}
	return k;
}

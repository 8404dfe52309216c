/*
 * libFuzzer target for lib/intel/normalize.c. The first byte picks the
 * kind, the rest is the value. Besides memory errors (ASan/UBSan), the
 * properties below trap so that the fuzzer reports them:
 *  - an accepted value is non-empty, NUL-free, within the cap, and a
 *    fixed point: normalising it as its final kind gives it back;
 *  - a rejection is CS_ERR_PARSE with a reason, or CS_ERR_NOMEM;
 *  - a guessed kind is one the value normalises as;
 *  - refanging is idempotent and never lengthens;
 *  - an address cs__parse_ip() accepts normalises to the same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "intel/normalize_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CAP ((size_t)65536)

static const enum cs_kind kinds[] = {
	CS_KIND_NONE,        CS_KIND_MD5,       CS_KIND_SHA1,           CS_KIND_SHA256,
	CS_KIND_SHA512,      CS_KIND_FILENAME,  CS_KIND_FILENAME_REGEX, CS_KIND_PATH_REGEX,
	CS_KIND_DOMAIN,      CS_KIND_IPV4,      CS_KIND_IPV6,           CS_KIND_CIDR,
	CS_KIND_URL,         CS_KIND_EMAIL,     CS_KIND_YARA_RULE,      CS_KIND_PRODUCT_VERSION,
	CS_KIND_CERT_SERIAL, CS_KIND_COMPOUND,  CS_KIND_DOMAIN_REGEX,   CS_KIND_URL_REGEX,
	CS_KIND_EMAIL_REGEX, CS_KIND_HASH_AUTO,
};

static void check_accepted(enum cs_kind k, const struct cs_buf *out, struct cs_buf *tmp)
{
	enum cs_kind k2 = CS_KIND_NONE;
	const char *why = NULL;

	if (out->len == 0 || out->len > CAP || strlen(cs__buf_cstr(out)) != out->len)
		__builtin_trap();
	if (cs__normalize(k, out->data, out->len, &k2, tmp, &why) != CS_OK)
		__builtin_trap();
	if (k2 != k || tmp->len != out->len || memcmp(tmp->data, out->data, out->len) != 0)
		__builtin_trap();
}

static void check_rejected(int rc, const char *why)
{
	if (rc == CS_ERR_NOMEM)
		return;
	if (rc != CS_ERR_PARSE || why == NULL || why[0] == '\0')
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_buf out, tmp;
	enum cs_kind kind, k = CS_KIND_NONE;
	const char *v, *why = NULL;
	unsigned char a[16], b[16];
	int rc, alen, blen;
	size_t n;

	if (size < 1)
		return 0;
	kind = kinds[data[0] % (sizeof(kinds) / sizeof(kinds[0]))];
	v = (const char *)data + 1;
	n = size - 1;
	cs__buf_init(&out, CAP * 2);
	cs__buf_init(&tmp, CAP * 2);

	rc = cs__normalize(kind, v, n, &k, &out, &why);
	if (rc == CS_OK)
		check_accepted(k, &out, &tmp);
	else
		check_rejected(rc, why);

	kind = cs__guess_kind(v, n);
	if (kind != CS_KIND_NONE) {
		rc = cs__normalize(kind, v, n, &k, &out, &why);
		if (rc == CS_OK && k != kind)
			__builtin_trap();
		if (rc != CS_OK && rc != CS_ERR_NOMEM)
			__builtin_trap();
	}

	if (cs__refang(v, n, &out) == CS_OK) {
		if (out.len > n)
			__builtin_trap();
		if (cs__refang(cs__buf_cstr(&out), out.len, &tmp) == CS_OK &&
		    (tmp.len != out.len || memcmp(cs__buf_cstr(&tmp), cs__buf_cstr(&out), out.len)))
			__builtin_trap();
	}

	if (cs__parse_ip(v, n, a, &alen) == CS_OK) {
		if (cs__normalize(CS_KIND_CIDR, v, n, &k, &out, &why) != CS_OK ||
		    k != (alen == 4 ? CS_KIND_IPV4 : CS_KIND_IPV6))
			__builtin_trap();
		if (cs__parse_ip(out.data, out.len, b, &blen) != CS_OK || blen != alen ||
		    memcmp(a, b, (size_t)alen) != 0)
			__builtin_trap();
	}

	cs__buf_release(&out);
	cs__buf_release(&tmp);
	return 0;
}

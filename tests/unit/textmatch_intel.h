/*
 * The indicator set of the differential tests of the text matcher
 * (tests/unit/test_textmatch.c, fuzz/fuzz_textmatch_diff.c): every kind
 * the log hunt matches, with names that share suffixes, networks of
 * several lengths and URLs with and without a path or a query.
 */
#ifndef CS_TEXTMATCH_INTEL_H
#define CS_TEXTMATCH_INTEL_H

static const char tm_intel_csv[] =
        "type,value\n"
        "domain,evil-domain.com\n"
        "domain,a.b.evil.co.uk\n"
        "domain,bad-cdn.net\n"
        "domain,x1.test\n"
        "domain,localhost\n"
        "domain,1.2.3.example\n"
        "domain,abcdefgh.ijklmnopqrstuvw.x_y-z.example\n"
        "domain,abcdefghijklmnopq.org\n"
        "domain,abcdefghijklmnop.qrstuvwxyzabcdefghijklmn.example\n"
        "ipv4,127.0.0.66\n"
        "ipv4,198.51.100.7\n"
        "cidr,203.0.113.0/24\n"
        "cidr,10.20.0.0/16\n"
        "cidr,100.64.0.0/10\n"
        "ipv6,2001:db8::bad\n"
        "cidr,2001:db8:ff::/48\n"
        "url,https://github.com/IconStorages/images\n"
        "url,http://192.0.2.10/payload.bin\n"
        "url,http://intranet/drop?id=7\n"
        "url,https://files.example.net:8443/a/b/\n"
        "md5,0123456789abcdef0123456789abcdef\n"
        "sha1,00112233445566778899aabbccddeeff00112233\n"
        "sha256,aa1111111111111111111111111111111111111111111111111111111111111a\n"
        "sha512,"
        "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637"
        "38393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f\n"
        "email,ops@evil-domain.com\n"
        "email,Boss@mail.example.org\n"
        "email,root@10.9.8.7\n";

/* Intel without a key whose last label is a number, a one-label name, an
 * IPv6 key or a digest: the pre-filter then turns numbers away by their
 * shape alone (textfilter.c, number_maybe), and the tests need that path
 * too. */
static const char tm_intel_plain_csv[] =
        "type,value\n"
        "domain,evil-domain.com\n"
        "domain,a.b.evil.co.uk\n"
        "domain,bad-cdn.net\n"
        "domain,x1.test\n"
        "ipv4,127.0.0.66\n"
        "ipv4,198.51.100.7\n"
        "cidr,203.0.113.0/24\n"
        "cidr,10.20.0.0/16\n"
        "cidr,100.64.0.0/10\n"
        "url,https://github.com/IconStorages/images\n"
        "url,http://192.0.2.10/payload.bin\n"
        "email,ops@evil-domain.com\n";

/* Names only: no ':' and no dotted quad is looked at. */
static const char tm_intel_names_csv[] = "type,value\n"
                                         "domain,evil-domain.com\n"
                                         "domain,a.b.evil.co.uk\n"
                                         "domain,bad-cdn.net\n";

#endif

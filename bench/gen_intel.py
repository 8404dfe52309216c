#!/usr/bin/env python3
"""Generate large, deterministic intel files for bench/run.sh.

    gen_intel.py stix N OUT   STIX 2.1 bundle: one identity + N indicator objects
    gen_intel.py misp N OUT   MISP event ({"Event": {...}}) with N attributes
    gen_intel.py feed N OUT   MISP feed folder OUT (manifest.json + one file per
                              event): N attributes in 1,000 events, each event
                              its own cluster (info, threat-actor galaxy tag);
                              also OUT.query.txt, 1,000 values: 500 drawn from
                              20 of the events, 500 that no event holds

Every value is synthetic and unique within a file: hashes are random hex with
the running number (scrambled by a 32-bit bijection) in their low 32 bits; domains and URLs sit under the
reserved names .example / .test / example.com|net|org (RFC 2606, RFC 6761);
IPv4 addresses come from the documentation nets 192.0.2.0/24,
198.51.100.0/24, 203.0.113.0/24 (RFC 5737) and then the benchmarking net
198.18.0.0/15 (RFC 2544); IPv6 addresses from 2001:db8::/32 (RFC 3849).
None is a real indicator. The output depends only on (kind, N, seed):
the same command writes the same bytes.

One object per line, the shape STIX and MISP exports have; a summary of the
kinds written goes to stderr. Standard library only.
"""

import json
import random
import sys
import time

SEED = 20240331
IPV4_NETS = [(192, 0, 2), (198, 51, 100), (203, 0, 113)]
IPV4_BENCH_SIZE = 1 << 17  # 198.18.0.0/15

WORDS = ("alpha bravo cobalt delta ember falcon garnet harbor indigo jasper "
         "kestrel lumen magnet nimbus onyx pylon quartz raven sable tundra "
         "umber vortex willow xenon yonder zephyr").split()
TLDS = ("example", "test", "example.com", "example.net", "example.org")
LABELS = ["campaign-%s-%s" % (a, b) for a in WORDS[:8] for b in ("tide", "storm")] + \
         ["family-%srat" % w for w in WORDS[8:20]]
PATH_PARTS = ("api", "gate", "upd", "static", "cdn", "dl", "panel", "img")
EXTS = ("exe", "dll", "bin", "dat", "ps1", "js")


class Values:
    """Unique synthetic values, one counter per family."""

    def __init__(self, rng):
        self.rng = rng
        self.n = {"hash": 0, "domain": 0, "ipv4": 0, "ipv6": 0, "url": 0,
                  "email": 0, "file": 0}

    def _next(self, fam):
        k = self.n[fam]
        self.n[fam] = k + 1
        return k

    def hexhash(self, bits):
        k = self._next("hash")
        # odd multiplier: a bijection on 32 bits, so the low bits stay unique
        v = (self.rng.getrandbits(bits - 32) << 32) | ((k * 0x9E3779B1) & 0xFFFFFFFF)
        return "%0*x" % (bits // 4, v)

    def domain(self):
        k = self._next("domain")
        r = self.rng
        name = "%s-%s%x" % (r.choice(WORDS), r.choice(WORDS), k)
        if r.random() < 0.3:
            name = "%s.%s" % (r.choice(PATH_PARTS), name)
        return "%s.%s" % (name, TLDS[k % len(TLDS)])

    def ipv4(self):
        """None once the 768 + 131072 addresses are used up."""
        k = self._next("ipv4")
        if k < 768:
            a, b, c = IPV4_NETS[k // 256]
            return "%d.%d.%d.%d" % (a, b, c, k % 256)
        k -= 768
        if k >= IPV4_BENCH_SIZE:
            return None
        return "198.%d.%d.%d" % (18 + (k >> 16), (k >> 8) & 0xFF, k & 0xFF)

    def ipv6(self):
        k = self._next("ipv6")
        return "2001:db8:%x:%x::%x" % ((k >> 32) & 0xFFFF, (k >> 16) & 0xFFFF,
                                        (k & 0xFFFF) + 1)

    def url(self):
        k = self._next("url")
        r = self.rng
        host = "%s%x.%s" % (r.choice(WORDS), k, TLDS[(k * 7) % len(TLDS)])
        scheme = "https" if k % 3 else "http"
        return "%s://%s/%s/%s/%08x.php?id=%d" % (
            scheme, host, r.choice(PATH_PARTS), r.choice(WORDS),
            r.getrandbits(32), k)

    def email(self):
        k = self._next("email")
        return "%s.%x@%s" % (self.rng.choice(WORDS), k, TLDS[k % len(TLDS)])

    def filename(self):
        k = self._next("file")
        return "%s_%x.%s" % (self.rng.choice(WORDS), k, EXTS[k % len(EXTS)])


def uuid4(rng):
    h = "%032x" % rng.getrandbits(128)
    # version 4, RFC 4122 variant
    h = h[:12] + "4" + h[13:16] + "89ab"[int(h[16], 16) & 3] + h[17:]
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


BASE_TS = 1700000000  # 2023-11-14T22:13:20Z


_DAYS = {}


def stix_ts(t):
    """RFC 3339 UTC with milliseconds; the date part cached (strftime is slow)."""
    d, s = divmod(t, 86400)
    day = _DAYS.get(d)
    if day is None:
        day = _DAYS[d] = time.strftime("%Y-%m-%dT", time.gmtime(d * 86400))
    return "%s%02d:%02d:%02d.000Z" % (day, s // 3600, s // 60 % 60, s % 60)


def pick(rng, table):
    """table: list of (cumulative weight in [0,1], name)."""
    x = rng.random()
    for w, name in table:
        if x < w:
            return name
    return table[-1][1]


def cumulative(weights):
    out, acc = [], 0.0
    total = float(sum(w for _, w in weights))
    for name, w in weights:
        acc += w / total
        out.append((acc, name))
    return out


STIX_MIX = cumulative([("sha256", 35), ("md5", 8), ("sha1", 7), ("domain", 20),
                       ("ipv4", 10), ("ipv6", 3), ("url", 17)])


def stix_pattern(v, kind):
    if kind == "sha256":
        return "[file:hashes.'SHA-256' = '%s']" % v.hexhash(256)
    if kind == "md5":
        return "[file:hashes.MD5 = '%s']" % v.hexhash(128)
    if kind == "sha1":
        return "[file:hashes.'SHA-1' = '%s']" % v.hexhash(160)
    if kind == "domain":
        return "[domain-name:value = '%s']" % v.domain()
    if kind == "ipv4":
        ip = v.ipv4()
        if ip is not None:
            return "[ipv4-addr:value = '%s']" % ip
        kind = "ipv6"
    if kind == "ipv6":
        return "[ipv6-addr:value = '%s']" % v.ipv6()
    return "[url:value = '%s']" % v.url()


def gen_stix(n, out):
    rng = random.Random(SEED)
    v = Values(rng)
    counts = {}
    ident = "identity--" + uuid4(rng)
    w = out.write
    w('{"type": "bundle", "id": "bundle--%s", "objects": [\n' % uuid4(rng))
    w('{"type": "identity", "spec_version": "2.1", "id": "%s", '
      '"created": "%s", "modified": "%s", "name": "chainsweep bench feed", '
      '"identity_class": "organization"}' % (ident, stix_ts(BASE_TS), stix_ts(BASE_TS)))
    buf = []
    for i in range(n):
        kind = pick(rng, STIX_MIX)
        pattern = stix_pattern(v, kind)
        counts[kind] = counts.get(kind, 0) + 1
        t = BASE_TS + i * 3 + rng.randrange(3)
        created = stix_ts(t)
        modified = stix_ts(t + rng.randrange(86400)) if i % 4 == 0 else created
        labels = ", ".join('"%s"' % l for l in rng.sample(LABELS, 1 + (i % 3 == 0)))
        buf.append(
            ',\n{"type": "indicator", "spec_version": "2.1", "id": "indicator--%s", '
            '"created_by_ref": "%s", "created": "%s", "modified": "%s", '
            '"name": "bench indicator %d", "indicator_types": ["malicious-activity"], '
            '"pattern": "%s", "pattern_type": "stix", "pattern_version": "2.1", '
            '"valid_from": "%s", "labels": [%s], "confidence": %d}'
            % (uuid4(rng), ident, created, modified, i, pattern, created, labels,
               50 + (i % 6) * 10))
        if len(buf) >= 4096:
            w("".join(buf))
            buf = []
    w("".join(buf))
    w("\n]}\n")
    return counts


MISP_MIX = cumulative([("sha256", 30), ("md5", 7), ("sha1", 6), ("filename|sha256", 5),
                       ("filename", 3), ("domain", 14), ("hostname", 6), ("ip-dst", 9),
                       ("ip-src", 3), ("url", 14), ("email-src", 3)])
MISP_CATEGORY = {"sha256": "Payload delivery", "md5": "Payload delivery",
                 "sha1": "Payload delivery", "filename|sha256": "Payload delivery",
                 "filename": "Artifacts dropped", "domain": "Network activity",
                 "hostname": "Network activity", "ip-dst": "Network activity",
                 "ip-src": "Network activity", "url": "Network activity",
                 "email-src": "Payload delivery"}


def misp_value(v, kind):
    """Returns (type, value); ip-* falls back to IPv6 when IPv4 runs out."""
    if kind == "sha256":
        return kind, v.hexhash(256)
    if kind == "md5":
        return kind, v.hexhash(128)
    if kind == "sha1":
        return kind, v.hexhash(160)
    if kind == "filename|sha256":
        return kind, "%s|%s" % (v.filename(), v.hexhash(256))
    if kind == "filename":
        return kind, v.filename()
    if kind in ("domain", "hostname"):
        return kind, v.domain()
    if kind in ("ip-dst", "ip-src"):
        ip = v.ipv4()
        return kind, ip if ip is not None else v.ipv6()
    if kind == "url":
        return kind, v.url()
    return kind, v.email()


def gen_misp(n, out):
    rng = random.Random(SEED + 1)
    v = Values(rng)
    counts = {}
    w = out.write
    ev_uuid = uuid4(rng)
    w('{"Event": {"id": "4242", "orgc_id": "1", "org_id": "1", "date": "2023-11-14", '
      '"threat_level_id": "1", "info": "chainsweep bench event: %d synthetic attributes", '
      '"published": true, "uuid": "%s", "analysis": "2", "timestamp": "%d", '
      '"distribution": "1", "sharing_group_id": "0", "disable_correlation": false, '
      '"Orgc": {"id": "1", "name": "chainsweep-bench", "uuid": "%s"}, '
      '"Tag": [{"name": "tlp:amber"}, {"name": "misp-galaxy:threat-actor=\\"Bench Actor\\""}, '
      '{"name": "type:OSINT"}],\n"Attribute": [' % (n, ev_uuid, BASE_TS, uuid4(rng)))
    buf = []
    for i in range(n):
        typ, value = misp_value(v, pick(rng, MISP_MIX))
        counts[typ] = counts.get(typ, 0) + 1
        network = MISP_CATEGORY[typ] == "Network activity"
        to_ids = "false" if network and rng.random() < 0.3 else "true"
        tag = ""
        if i % 20 == 0:
            tag = ', "Tag": [{"name": "%s"}]' % rng.choice(LABELS)
        buf.append(
            '%s\n{"id": "%d", "type": "%s", "category": "%s", "to_ids": %s, '
            '"uuid": "%s", "event_id": "4242", "distribution": "5", '
            '"timestamp": "%d", "comment": "", "sharing_group_id": "0", '
            '"deleted": false, "disable_correlation": false, "object_id": "0", '
            '"object_relation": null, "first_seen": null, "last_seen": null, '
            '"value": "%s"%s}'
            % ("," if i else "", 100000 + i, typ, MISP_CATEGORY[typ], to_ids,
               uuid4(rng), BASE_TS + i, value, tag))
        if len(buf) >= 4096:
            w("".join(buf))
            buf = []
    w("".join(buf))
    w("\n]}}\n")
    return counts


FEED_EVENTS = 1000


def gen_feed(n, outdir):
    """A MISP feed of FEED_EVENTS events sharing n attributes, and a query."""
    import os
    rng = random.Random(SEED + 2)
    v = Values(rng)
    counts = {}
    os.makedirs(outdir, exist_ok=True)
    manifest = {}
    picked = []
    per = n // FEED_EVENTS
    for e in range(FEED_EVENTS):
        ev_uuid = uuid4(rng)
        info = "bench cluster %04d" % e
        manifest[ev_uuid] = {"info": info, "date": "2023-11-14", "analysis": "2",
                             "threat_level_id": "1", "timestamp": str(BASE_TS + e),
                             "Tag": [{"name": "misp-galaxy:threat-actor=\"Bench Actor %04d\"" % e}]}
        attrs = []
        m = per + (1 if e < n % FEED_EVENTS else 0)
        for i in range(m):
            typ, value = misp_value(v, pick(rng, MISP_MIX))
            counts[typ] = counts.get(typ, 0) + 1
            attrs.append('{"type": "%s", "category": "%s", "to_ids": true, "uuid": "%s", '
                         '"timestamp": "%d", "value": "%s"}'
                         % (typ, MISP_CATEGORY[typ], uuid4(rng), BASE_TS + i, value))
            if e % 50 == 7 and i < 25:
                picked.append(value.split("|")[-1])
        with open(os.path.join(outdir, ev_uuid + ".json"), "w", encoding="ascii") as f:
            f.write('{"Event": {"uuid": "%s", "info": "%s", "date": "2023-11-14", '
                    '"threat_level_id": "1", "analysis": "2", "timestamp": "%d", '
                    '"Tag": [{"name": "misp-galaxy:threat-actor=\\"Bench Actor %04d\\""}],\n'
                    '"Attribute": [\n%s\n]}}\n'
                    % (ev_uuid, info, BASE_TS + e, e, ",\n".join(attrs)))
    with open(os.path.join(outdir, "manifest.json"), "w", encoding="ascii") as f:
        json.dump(manifest, f)
    fresh = []
    while len(fresh) < 500:
        typ, value = misp_value(v, pick(rng, MISP_MIX))
        if typ not in ("filename", "email-src"):
            fresh.append(value.split("|")[-1])
    with open(outdir.rstrip("/") + ".query.txt", "w", encoding="ascii") as f:
        f.write("\n".join(q for q in picked + fresh if "|" not in q) + "\n")
    return counts


def main(argv):
    if len(argv) != 4 or argv[1] not in ("stix", "misp", "feed"):
        sys.stderr.write("usage: gen_intel.py stix|misp|feed N OUT\n")
        return 2
    n = int(argv[2])
    if n < 1:
        sys.stderr.write("gen_intel.py: N must be positive\n")
        return 2
    if argv[1] == "feed":
        counts = gen_feed(n, argv[3])
        sys.stderr.write("gen_intel.py: feed %d: %s\n" % (n, json.dumps(counts, sort_keys=True)))
        return 0
    with open(argv[3], "w", encoding="ascii", newline="\n") as out:
        counts = (gen_stix if argv[1] == "stix" else gen_misp)(n, out)
    sys.stderr.write("gen_intel.py: %s %d: %s\n" % (argv[1], n, json.dumps(counts, sort_keys=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""Generate a CycloneDX SBOM and OSV advisories for bench/run.sh's software case.

    gen_software.py COMPONENTS ADVISORIES OUTDIR

writes OUTDIR/bom-COMPONENTS.cdx.json (CycloneDX 1.5 JSON, components with
npm, PyPI, Maven and Go purls, a tenth of them nested one level under
another) and OUTDIR/osv-ADVISORIES.json (one JSON array of OSV records: each
names one package of a universe five times the SBOM's, with an ECOSYSTEM or
SEMVER range, and one in fifty is a MAL- record listing explicit versions).
Package names are synthetic ("bench-npm-000123"); nothing is a real package
or advisory. The output depends only on the arguments: the same command
writes the same bytes. Standard library only.
"""

import json
import os
import random
import sys

SEED = 20261122
ECOS = [("npm", "npm", 6), ("PyPI", "pypi", 2), ("Maven", "maven", 1), ("Go", "golang", 1)]


def pick_eco(rng):
    r = rng.randrange(10)
    for eco, ptype, w in ECOS:
        if r < w:
            return eco, ptype
        r -= w
    return ECOS[0][0], ECOS[0][1]


def name_of(eco, i):
    if eco == "Maven":
        return "org.bench:bench-maven-%06d" % i
    if eco == "Go":
        return "example.com/bench/go-%06d" % i
    return "bench-%s-%06d" % (eco.lower(), i)


def purl_of(ptype, eco, name, version):
    if eco == "Maven":
        g, a = name.split(":")
        return "pkg:maven/%s/%s@%s" % (g, a, version)
    if eco == "Go":
        ns, _, n = name.rpartition("/")
        return "pkg:golang/%s/%s@v%s" % (ns, n, version)
    return "pkg:%s/%s@%s" % (ptype, name, version)


def ver(rng):
    return "%d.%d.%d" % (rng.randrange(6), rng.randrange(20), rng.randrange(30))


def main():
    ncomp, nadv, outdir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    rng = random.Random(SEED)
    universe = ncomp * 5
    comps = []
    for i in range(ncomp):
        eco, ptype = pick_eco(rng)
        name = name_of(eco, rng.randrange(universe))
        v = ver(rng)
        c = {"type": "library", "name": name.rpartition("/")[2].split(":")[-1], "version": v,
             "bom-ref": "c%d" % i, "purl": purl_of(ptype, eco, name, v)}
        if comps and rng.randrange(10) == 0:
            comps[-1].setdefault("components", []).append(c)
        else:
            comps.append(c)
    bom = {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
           "metadata": {"component": {"type": "application", "name": "bench-app",
                                       "version": "1.0.0"}},
           "components": comps}
    with open(os.path.join(outdir, "bom-%d.cdx.json" % ncomp), "w") as f:
        json.dump(bom, f, separators=(",", ":"))
    recs = []
    for i in range(nadv):
        eco, _ = pick_eco(rng)
        name = name_of(eco, rng.randrange(universe))
        if i % 50 == 0:
            rec = {"id": "MAL-2026-%06d" % i, "summary": "bench: malicious %s" % name,
                   "modified": "2026-11-22T00:00:00Z",
                   "affected": [{"package": {"ecosystem": eco, "name": name},
                                 "versions": [ver(rng), ver(rng)]}]}
        else:
            lo = ver(rng)
            a, b, c = (int(x) for x in lo.split("."))
            hi = "%d.%d.%d" % (a, b + 1 + rng.randrange(3), 0)
            rtype = "SEMVER" if eco in ("npm", "Go") else "ECOSYSTEM"
            rec = {"id": "GHSA-bnch-%06d" % i, "summary": "bench: %s before %s" % (name, hi),
                   "aliases": ["CVE-2099-%06d" % i], "modified": "2026-11-22T00:00:00Z",
                   "affected": [{"package": {"ecosystem": eco, "name": name},
                                 "ranges": [{"type": rtype,
                                             "events": [{"introduced": lo}, {"fixed": hi}]}]}]}
        recs.append(rec)
    with open(os.path.join(outdir, "osv-%d.json" % nadv), "w") as f:
        f.write("[\n")
        for i, r in enumerate(recs):
            f.write(json.dumps(r, separators=(",", ":")))
            f.write(",\n" if i + 1 < len(recs) else "\n")
        f.write("]\n")


if __name__ == "__main__":
    main()

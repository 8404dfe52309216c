#!/usr/bin/env python3
"""Write chainsweep's bundled intel pack (a STIX 2.1 bundle) from the table of
publicly reported 3CX/X_TRADER and JumpCloud indicators.

usage: scripts/intel-pack.py ../shared/incidents/3cx-jumpcloud.tsv > intel/3cx-jumpcloud.stix.json

Every value keeps its public sources (the table's last column) in the indicator's
description and external reference; "[UNCONFIRMED single-source]" values get a
lower confidence. Each indicator `indicates` its incident (a campaign), the
sub-activity the table names (X_TRADER upstream, UNC4736 infrastructure, ...) and
the intrusion set publicly named for it. Identifiers are UUIDv5 of the content, so
the output is the same on every run. docs/intel-pack.md says what was decided.
"""
import json
import sys
import uuid

NS = uuid.UUID("4d0e5b2a-6c1f-5a8e-9a37-1c2b3d4e5f60")
CREATED = "2026-11-22T00:00:00.000Z"

# The incidents: what the public reports say (../shared/incidents/README.md).
INCIDENTS = {
    "3CX-2023": {
        "description": "Trojanized, signed 3CX DesktopApp builds (Windows 18.12.407 and "
        "18.12.416; macOS 18.11.1213, 18.12.402, 18.12.407 and 18.12.416) after a 3CX "
        "employee installed a trojanized X_TRADER. Malicious activity seen from about "
        "2023-03-22; public reports 2023-03-29/30.",
        "first_seen": "2023-03-01T00:00:00Z",
        "last_seen": "2023-04-30T00:00:00Z",
        "actor": "UNC4736",
    },
    "JumpCloud-2023": {
        "description": "Attackers in JumpCloud's infrastructure from June 2023 (spear-phishing "
        "around 20-22 June, detected 27 June) used its command framework to reach fewer than "
        "five customers, all in cryptocurrency.",
        "first_seen": "2023-06-20T00:00:00Z",
        "last_seen": "2023-07-31T00:00:00Z",
        "actor": "UNC4899",
    },
}
ACTORS = {
    "UNC4736": ["Labyrinth Chollima"],
    "UNC4899": ["Labyrinth Chollima", "Jade Sleet", "TraderTraitor"],
}
# Sub-activities named in the table's incident column; X_TRADER came first.
SUB_FIRST_SEEN = {"X_TRADER-upstream": "2022-01-01T00:00:00Z"}

HASH_KEYS = {"sha256": "SHA-256", "sha1": "SHA-1", "md5": "MD5"}


def sid(kind, *parts):
    return "%s--%s" % (kind, uuid.uuid5(NS, "\x1f".join((kind,) + parts)))


def quote(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def product_pattern(value):
    # "3CX DesktopApp (Windows, Electron) 18.12.416", "Trading Technologies X_TRADER r7.17.90p608"
    name, version = value.rsplit(" ", 1)
    platform = None
    if "(" in name:
        head, rest = name.split("(", 1)
        platform = rest.rstrip(")").split(",")[0].strip()
        name = head.strip()
    vendor = None
    if name.startswith("Trading Technologies "):
        vendor, name = "Trading Technologies", name[len("Trading Technologies "):]
    elif name.startswith("3CX"):
        vendor = "3CX"
    terms = ["software:name = %s" % quote(name), "software:version = %s" % quote(version)]
    if vendor:
        terms.append("software:vendor = %s" % quote(vendor))
    if platform:
        terms.append("software:x_platform = %s" % quote(platform))
    return "[" + " AND ".join(terms) + "]"


def pattern(kind, value):
    if kind in HASH_KEYS:
        return "[file:hashes.%s = %s]" % (quote(HASH_KEYS[kind]), quote(value.lower()))
    if kind == "domain":
        return "[domain-name:value = %s]" % quote(value)
    if kind == "ipv4":
        return "[ipv4-addr:value = %s]" % quote(value)
    if kind == "url":
        return "[url:value = %s]" % quote(value)
    if kind == "filename":
        return "[file:name = %s]" % quote(value)
    if kind == "product-version":
        return product_pattern(value)
    raise ValueError("unknown type " + kind)


def main(path):
    objects = []
    identity = sid("identity", "chainsweep")
    objects.append({
        "type": "identity", "spec_version": "2.1", "id": identity, "created": CREATED,
        "modified": CREATED, "name": "chainsweep bundled intel", "identity_class": "system",
        "description": "Written by the chainsweep project from public reports; every "
        "indicator names its sources.",
    })
    campaigns = {}

    def campaign(name, parent=None):
        if name in campaigns:
            return campaigns[name]
        inc = INCIDENTS.get(parent or name)
        obj = {
            "type": "campaign", "spec_version": "2.1", "id": sid("campaign", name),
            "created": CREATED, "modified": CREATED, "created_by_ref": identity, "name": name,
        }
        if parent is None:
            obj["description"] = inc["description"]
            obj["first_seen"] = inc["first_seen"]
            obj["last_seen"] = inc["last_seen"]
        else:
            obj["description"] = "Activity the public reports relate to %s: %s" % (
                parent, name.split(":", 1)[1])
        objects.append(obj)
        campaigns[name] = obj["id"]
        return obj["id"]

    actors = {}
    for name, aliases in ACTORS.items():
        actors[name] = sid("intrusion-set", name)
        objects.append({
            "type": "intrusion-set", "spec_version": "2.1", "id": actors[name],
            "created": CREATED, "modified": CREATED, "created_by_ref": identity,
            "name": name, "aliases": aliases,
        })
    seen = set()
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            kind, value, incident, sources = line.split("\t", 3)
            if (kind, value) in seen:
                raise SystemExit("%s:%d: duplicate %s %s" % (path, lineno, kind, value))
            seen.add((kind, value))
            base = incident.split(":", 1)[0]
            inc = INCIDENTS[base]
            unconfirmed = "[UNCONFIRMED single-source]" in sources
            valid_from = SUB_FIRST_SEEN.get(incident.split(":", 1)[-1], inc["first_seen"])
            ind = {
                "type": "indicator", "spec_version": "2.1",
                "id": sid("indicator", kind, value), "created": CREATED, "modified": CREATED,
                "created_by_ref": identity, "name": "%s %s" % (kind, value),
                "description": "%s (%s). Sources: %s" % (kind, incident, sources),
                "indicator_types": ["malicious-activity"] if kind != "product-version"
                else ["compromised"],
                "pattern": pattern(kind, value), "pattern_type": "stix",
                "valid_from": valid_from, "confidence": 30 if unconfirmed else 80,
                "external_references": [{
                    "source_name": "shared/incidents/3cx-jumpcloud.tsv",
                    "description": "line %d: %s" % (lineno, sources[:1000]),
                }],
            }
            objects.append(ind)
            targets = [campaign(base)]
            if ":" in incident:
                targets.append(campaign(incident, base))
            targets.append(actors[inc["actor"]])
            for t in targets:
                objects.append({
                    "type": "relationship", "spec_version": "2.1",
                    "id": sid("relationship", ind["id"], t), "created": CREATED,
                    "modified": CREATED, "relationship_type": "indicates",
                    "source_ref": ind["id"], "target_ref": t,
                })
    bundle = {"type": "bundle", "id": sid("bundle", "3cx-jumpcloud"), "objects": objects}
    json.dump(bundle, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])

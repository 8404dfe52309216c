#!/usr/bin/env bash
# SigmaHQ's regression data, end to end: import SigmaHQ's rule folders into a
# case, run `chainsweep scan logs` over every .evtx of the regression data
# (read natively), and check that each file's rule (named by its info.yml)
# is reported on it. A pair with no .evtx (a raw log line) is listed, not
# counted. Prints every pair that does not fire. The scan is run twice, the
# second from the compiled set kept in the cache, and must not differ.
# usage: regression.sh CHAINSWEEP_BINARY
set -u
cs=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
rw=${CS_REAL_WORLD:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/real-world}
sig=$rw/sigma
[ -d "$sig/regression_data" ] || { echo "SKIP: real-world folder absent"; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOME=$tmp CHAINSWEEP_DB=$tmp/case.db
"$cs" --quiet intel import "$sig/rules" "$sig/rules-emerging-threats" \
	"$sig/rules-threat-hunting" >"$tmp/import.out" 2>&1 || {
	echo "FAIL: importing SigmaHQ's rules"; cat "$tmp/import.out"; exit 1; }
: >"$tmp/pairs"
find "$sig/regression_data" -name info.yml | sort | while read -r info; do
	d=$(dirname "$info")
	id=$(awk '/^rule_metadata:/ {m=1} m && /- id:/ {print $3; exit}' "$info")
	ev=$(find "$d" -maxdepth 1 -name '*.evtx' | head -1)
	if [ -z "$ev" ]; then
		echo "NOTE: no .evtx for $id (${d#"$sig"/}): not an event log pair"
		continue
	fi
	printf '%s\t%s\n' "$ev" "$id" >>"$tmp/pairs"
done
n=$(wc -l <"$tmp/pairs")
[ "$n" -ge 100 ] || { echo "FAIL: only $n pairs found"; exit 1; }
mapfile -t files < <(cut -f1 "$tmp/pairs")
"$cs" --quiet --json scan logs --no-record "${files[@]}" >"$tmp/hits.jsonl" 2>"$tmp/scan.err"
rc=$?
[ $rc -eq 1 ] || { echo "FAIL: scan logs exit $rc"; head "$tmp/scan.err"; exit 1; }
# The same scan again takes the compiled rules from the cache's snapshot
# (docs/sigma.md, "Loading the rules"): the same records, in the same
# order, but for the time taken.
ls "$tmp/.cache/chainsweep"/sigma-set-* >/dev/null 2>&1 ||
	{ echo "FAIL: no snapshot of the compiled rules in the cache"; exit 1; }
"$cs" --quiet --json scan logs --no-record "${files[@]}" >"$tmp/hits2.jsonl" 2>"$tmp/scan2.err"
sed -i 's/"seconds":[0-9.e-]*,//' "$tmp/hits.jsonl" "$tmp/hits2.jsonl"
cmp -s "$tmp/hits.jsonl" "$tmp/hits2.jsonl" ||
	{ echo "FAIL: the scan from the snapshot differs"; diff "$tmp/hits.jsonl" "$tmp/hits2.jsonl" | head; exit 1; }
python3 - "$tmp/pairs" "$tmp/hits.jsonl" <<'PY'
import json, sys
fired = set()
for line in open(sys.argv[2]):
    r = json.loads(line)
    if r.get("record") == "sigma":
        fired.add((r["file"], r["rule_id"]))
pairs = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
missed = [(f, i) for f, i in pairs if (f, i) not in fired]
for f, i in missed:
    print(f"FAIL: rule {i} did not fire on {f}")
print(f"sigma regression: {len(pairs) - len(missed)} of {len(pairs)} .evtx pairs fire")
sys.exit(1 if missed else 0)
PY

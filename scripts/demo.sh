#!/usr/bin/env bash
# The demo: build a small crafted lab (scripts/demo-lab.sh: a compromised
# Windows-like host and a clean decoy), sweep both with the bundled
# 3CX/JumpCloud intel plus the lab's stand-in hash, and print the answer.
# Everything lives in build/demo; nothing is contacted.
# usage: demo.sh CHAINSWEEP_BINARY [OUT_DIR]
set -eu
cs=$1
out=${2:-$(dirname "$cs")/demo}
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$out"
mkdir -p "$out"
db=$out/case.db
echo "== building the lab in $out/lab"
"$here/demo-lab.sh" "$out/lab"
echo
echo "== the case's intel: the bundled 3CX/JumpCloud pack, and the lab's stand-in hash"
"$cs" --db "$db" --quiet intel import --bundled "$out/lab/lab-intel.csv" 2>/dev/null || true
"$cs" --db "$db" intel stats | sed '/^top labels:/,$d'
status=0
for h in ws-17 ws-18; do
	echo
	echo "== chainsweep sweep --root $out/lab/$h"
	set +e
	"$cs" --db "$db" sweep --root "$out/lab/$h" --host "$h"
	rc=$?
	set -e
	case "$h:$rc" in
	ws-17:1 | ws-18:0) ;;
	*) echo "demo: unexpected exit status $rc for $h" >&2; status=1 ;;
	esac
done
echo
echo "== what the case database now holds (chainsweep findings)"
"$cs" --db "$db" findings || true
echo
echo "== whose activity? (chainsweep correlate --case --top 3)"
set +e
"$cs" --db "$db" correlate --case --top 3 --svg "$out/overlap.svg"
rc=$?
set -e
[ "$rc" -eq 1 ] || { echo "demo: correlate found no lead (exit $rc)" >&2; status=1; }
echo
echo "== how far downstream (chainsweep exposure): X_TRADER -> 3CX's build -> DesktopApp -> our hosts"
rel=$here/../tests/data/exposure/relations.yaml
set +e
"$cs" --db "$db" exposure --compromised x_trader@r7.17.90p608 --relations "$rel"
rc=$?
"$cs" --db "$db" --quiet exposure --compromised x_trader@r7.17.90p608 --relations "$rel" \
	--svg >"$out/exposure.svg"
set -e
# ws-17 runs the trojanized 18.12.416; the decoy ws-18 runs 18.12.422.
[ "$rc" -eq 1 ] || { echo "demo: unexpected exposure exit status $rc" >&2; status=1; }
echo
echo "== the report (chainsweep report)"
"$cs" --db "$db" report --out "$out" --title "chainsweep demo: 3CX lab"
echo
echo "Open $out/report.html in a browser (self-contained: summary, findings per host,"
echo "a timeline against the 3CX compromise window, the overlap leads with their"
echo "evidence graph, coverage; the graph alone is $out/overlap.svg; what sits"
echo "downstream of X_TRADER is $out/exposure.svg). The sightings bundle and"
echo "the MISP event import back into chainsweep. The case database is $db; sweep"
echo "again and the findings are deduplicated, with first and last seen widened."
exit $status

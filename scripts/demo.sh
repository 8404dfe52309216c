#!/usr/bin/env bash
# The demo: import the real public intel in ../shared/real-world into a
# fresh case database and show what it holds. (Replaced by a demo sweep
# once the sweep commands exist.)
# usage: demo.sh CHAINSWEEP_BINARY REAL_WORLD_DIR
set -eu
cs=$1
rw=$2
if [ ! -d "$rw" ]; then
	echo "demo: $rw is absent; pass REAL_WORLD=/path/to/intel to make demo" >&2
	exit 2
fi
db=$(mktemp -d)/demo.db
echo "== chainsweep demo: importing the public intel in $rw into $db"
set +e
"$cs" --db "$db" --quiet intel import \
	"$rw/signature-base/iocs" "$rw/signature-base/yara" \
	"$rw/eset/lazarus_3cx.misp.json" "$rw/eset/lazarus_3cx.samples.sha256" \
	"$rw/volexity/3cx-iocs.csv" "$rw/volexity/3cx-rules.yar" \
	"$rw/stix/apt1.json" "$rw/stix/poisonivy.json" \
	"$rw/misp-warninglists/lists"
rc=$?
set -e
[ "$rc" -le 2 ] || exit "$rc"
echo
echo "== what the case database holds"
"$cs" --db "$db" intel stats
echo
echo "== one 3CX hash, as three vendors published it"
"$cs" --db "$db" intel show \
	"SHA256=59E1EDF4D82FAE4978E97512B0331B7EB21DD4B838B850BA46794D9C7A2C0983" || true
echo
echo "== a 3CX domain"
"$cs" --db "$db" intel show "journalide[.]org" || true
echo
echo "== indicators a warninglist names (top sites, dynamic DNS, ...): kept, marked as likely false positives"
"$cs" --db "$db" intel ls --warnlisted --limit 10

#!/usr/bin/env bash
# The fleet demo: a three-node NATS JetStream cluster and a PostgreSQL
# server on loopback (unprivileged, under OUT), 50 agents over lab host
# folders (ws-17 compromised like the single-host demo, the others copies
# of the clean decoy), one more host enrolled but switched off; one hunt;
# the answer in plain words; the fleet HTML report. Everything it starts
# it stops. Nothing beyond 127.0.0.1 is contacted.
# usage: fleet-demo.sh CHAINSWEEP_BINARY [OUT_DIR]
set -eu
cs=$(realpath "$1")
out=${2:-$(dirname "$cs")/fleet-demo}
here=$(cd "$(dirname "$0")" && pwd)
nats=$here/../tests/fleet/nats.sh
pgsh=$here/../tests/fleet/pg.sh
NAGENTS=${NAGENTS:-50}
rm -rf "$out"
mkdir -p "$out"
out=$(realpath "$out")
chmod 0755 "$out" "$(dirname "$out")" 2>/dev/null || true

pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	sleep 0.5
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	"$nats" stop "$out/nats" >/dev/null 2>&1 || true
	"$pgsh" stop "$out/pg" >/dev/null 2>&1 || true
	# Where the servers' folders had to live under /tmp (a closed parent
	# folder), they go; otherwise they stay in OUT with the demo.
	for d in nats pg; do
		if [ -L "$out/$d" ]; then "$here/../tests/fleet/srvdir.sh" -r "$out/$d"; fi
	done
}
trap cleanup EXIT

host_name() { printf 'ws-%02d' "$1"; }

echo "== the lab: $NAGENTS hosts (ws-17 compromised like 'make demo', the rest clean), ws-99 switched off"
"$here/demo-lab.sh" "$out/lab" >/dev/null
mkdir -p "$out/hosts"
for i in $(seq 1 "$NAGENTS"); do
	h=$(host_name "$i")
	if [ "$h" = ws-17 ]; then
		cp -r "$out/lab/ws-17" "$out/hosts/$h"
	else
		cp -r "$out/lab/ws-18" "$out/hosts/$h"
	fi
done

echo "== the servers: NATS JetStream x3 and PostgreSQL, on 127.0.0.1, under $out"
urls=$("$nats" prepare "$out/nats" 3)
pg=$("$pgsh" start "$out/pg")
export CHAINSWEEP_FLEET_PG=$pg
F="--dir $out/fleet"
"$cs" --quiet fleet init $F >"$out/enroll.log"
hosts=()
for i in $(seq 1 "$NAGENTS"); do hosts+=("$(host_name "$i")"); done
"$cs" --quiet fleet enroll $F --servers "$urls" "${hosts[@]}" ws-99 >>"$out/enroll.log"
echo "$urls" >"$out/fleet/servers"
"$nats" start "$out/nats" 3 "$out/fleet/nats-auth.conf" >/dev/null
"$cs" --quiet fleet setup $F --replicas 3

echo "== the operator's case: the bundled 3CX/JumpCloud intel and the lab's stand-in hash, published signed"
"$cs" --db "$out/case.db" --quiet intel import --bundled "$out/lab/lab-intel.csv" >/dev/null 2>&1 || true
"$cs" --db "$out/case.db" fleet publish $F

echo "== the collector and $NAGENTS agents"
"$cs" --quiet fleet collect $F 2>"$out/collector.log" &
pids+=($!)
mkdir -p "$out/agents"
for h in "${hosts[@]}"; do
	"$cs" agent --config "$out/fleet/agents/$h.conf" --root "$out/hosts/$h" \
		--state-dir "$out/agents/$h" >"$out/agents/$h.log" 2>&1 &
	pids+=($!)
done
sleep 1

echo "== chainsweep fleet hunt --all --sweep files --sweep logs --sweep software"
hunt=$("$cs" --quiet fleet hunt $F --all --sweep files --sweep logs --sweep software \
	--threads 1 --max-runtime 300 --wake-rate 20 --expires 24)
echo "hunt $hunt"
echo
echo "== chainsweep fleet status $hunt --watch (until every running host answered, at most 5 min)"
deadline=$((SECONDS + 300))
while :; do
	line=$("$cs" fleet status "$hunt" 2>/dev/null | tail -1 || true)
	# On a terminal the line is redrawn; elsewhere (a log) each change is a line.
	if [ -t 1 ]; then
		printf '\r%s' "$line"
	elif [ "$line" != "${last:-}" ]; then
		printf '%s\n' "$line"
	fi
	last=$line
	running=$(echo "$line" | sed -n 's/.* \([0-9]*\) running.*/\1/p')
	unseen=$(echo "$line" | sed -n 's/.* \([0-9]*\) not yet seen.*/\1/p')
	# ws-99 is off: one host stays not yet seen.
	if [ "${running:-1}" = 0 ] && [ "${unseen:-2}" -le 1 ]; then break; fi
	[ $SECONDS -lt $deadline ] || { echo; echo "fleet-demo: hosts still running after 5 min" >&2; break; }
	sleep 1
done
echo
echo
set +e
"$cs" fleet status "$hunt" >"$out/status.txt"
rc=$?
set -e
hit=$(awk '$2 == "HIT" {print $1}' "$out/status.txt" | paste -sd' ')
unseen=$(awk '$2 == "not-seen" {print $1}' "$out/status.txt" | paste -sd' ')
clean=$(awk '$2 == "done" {n++} END {print n+0}' "$out/status.txt")
inc=$(awk '$2 == "incomplete" || $2 == "refused" || $2 == "error" {print $1}' "$out/status.txt" | paste -sd' ')
echo "== the answer"
echo "Hit:            ${hit:-none}"
echo "Clean:          $clean hosts looked everywhere and found nothing"
[ -z "$inc" ] || echo "Not complete:   $inc (see chainsweep fleet status $hunt)"
echo "Did not answer: ${unseen:-none} (never counted as clean)"
echo
echo "== chainsweep fleet report $hunt --out $out/report"
"$cs" --quiet fleet report "$hunt" --out "$out/report" >/dev/null || true
echo "Open $out/report/report.html: the findings of every host, the timeline, and the"
echo "hosts that did not answer."
status=0
[ "$hit" = ws-17 ] || { echo "fleet-demo: expected ws-17 hit, got '${hit}'" >&2; status=1; }
[ "$unseen" = ws-99 ] || { echo "fleet-demo: expected ws-99 unanswered, got '${unseen}'" >&2; status=1; }
exit $status

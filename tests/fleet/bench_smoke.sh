#!/usr/bin/env bash
# bench/fleet.sh at a toy size (20 simulated agents, 2,000 indicators, one
# run of each mode): the simulated hosts go through the real agent loop
# with the hooks of struct cs_fleet_agent_cfg, every hunt completes with
# exactly the planted findings, and the real-path probe adopts the bundle.
#
#   bench_smoke.sh BUILD_DIR
set -eu
B=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
D=$B/fleet-test/bench-smoke-$$
mkdir -p "$D"
out=$D/out.txt
trap 'rm -rf "$D"' EXIT
BENCH_DIR=$D/w BENCH_MODES="share all" BENCH_AGENTS=20 BENCH_PROCS=2 BENCH_IOCS=2000 BENCH_RUNS=1 \
	BENCH_HIT_EVERY=5 BENCH_HIT_FILES=3 BENCH_DRAIN_FILES=2 BENCH_ALL_POLL=5 \
	BENCH_TIMEOUT=120 KEEP=1 "$here/../../bench/fleet.sh" "$B" >"$out" 2>&1 ||
	{ tail -80 "$out"; echo "FAIL: bench/fleet.sh exited non-zero"; exit 1; }
R=$D/w/results.txt
fail() { tail -30 "$out"; echo "FAIL: $*"; exit 1; }
# 20 hosts, every 5th holds 3 planted files: 12 findings a hunt.
for mode in share all; do
	line=$(awk -v m=$mode '$1=="hunt" && $2==m' "$R")
	[ -n "$line" ] || fail "no $mode hunt"
	echo "$line" | awk '{exit !($4==1 && $6==20 && $12==12 && $14==52)}' ||
		fail "$mode hunt: $line (want complete, 20 done, 12 findings, 52 messages)"
done
awk '$1=="probe" && $3 > 0 {n++} END {exit !(n >= 1)}' "$R" || fail "the real-path probe adopted nothing"
awk '$1=="drain" && $5==52 {n++} END {exit !(n >= 1)}' "$R" || fail "drain: $(grep drain "$R")"
grep -q "target < 60 s: met" "$out" || fail "no hunt met the target"
echo "ok: 20 simulated agents, both modes (re-match through the hash index), probe and drain"
echo "PASS"

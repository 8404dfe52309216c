#!/usr/bin/env bash
# Reading Windows .evtx files: chainsweep's own reader beside libevtx's
# evtxexport (Debian libevtx-utils, installed here when missing), on the
# same files in the same run. Usage:
#
#   bench/evtx.sh BINARY [REAL_WORLD]
#
# Sets:
#   regression  every .evtx under REAL_WORLD/sigma/regression_data (one
#               chunk and a few events each): chainsweep and the libevtx
#               helper read them all in one process, evtxexport (which reads
#               one file per run) in one process per file; the start of a
#               chainsweep process (on an empty log) is printed apart
#   dense       a generated file of BENCH_EVTX_MB MB (default 200) packed as
#               Windows packs a log: one template per chunk, ~74 Sysmon
#               process-creation events per 64 KiB chunk (bench/gen_evtx.py)
#   repeat      the regression files' chunks repeated to BENCH_EVTX_MB MB,
#               records renumbered, checksums fixed (sparse: ~1.2 events
#               per chunk, so it measures chunk handling more than events)
#
# Ours: `chainsweep scan logs --no-record` with one indicator that never
# matches, so every field value of every event is built and searched (the
# real path, not the parser alone). Theirs: `evtxexport -f xml` to
# /dev/null, which renders every record's system and event data; and
# libevtx used as a library (bench/evtx_libevtx.c): each record's XML
# string ("libevtx xml", what a reader needs to name the fields), or only
# the event id, computer and unnamed strings ("libevtx strings", its
# cheapest full read). Each is run BENCH_RUNS times (default 3) and the
# median reported; the event count is the one chainsweep reports
# (evtxexport's XML output is counted once, as a check). The ratio is the
# other tool's time over ours.
set -eu
export LC_ALL=C # EPOCHREALTIME with a decimal point
cs=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
rw=${2:-$(dirname "$0")/../../shared/real-world}
runs=${BENCH_RUNS:-3}
mb=${BENCH_EVTX_MB:-200}
here=$(cd "$(dirname "$0")" && pwd)
out=${BENCH_OUT:-$here/out}/evtx
mkdir -p "$out"

need=""
command -v evtxexport >/dev/null || need="$need libevtx-utils"
[ -f /usr/include/libevtx.h ] && [ -f /usr/include/libbfio.h ] || need="$need libevtx-dev libbfio-dev"
if [ -n "$need" ]; then
	echo "installing$need" >&2
	apt-get install -y -qq $need >/dev/null 2>&1 ||
		{ apt-get update -qq && apt-get install -y -qq $need >/dev/null; }
fi
cc -O2 "$here/evtx_libevtx.c" $(pkg-config --cflags --libs libevtx) -o "$out/libevtx_read"

printf 'type,value\ndomain,bench-nothing.invalid\n' >"$out/intel.csv"
mapfile -t reg < <(find "$rw/sigma/regression_data" -name '*.evtx' 2>/dev/null | sort)
if [ ${#reg[@]} -eq 0 ]; then
	echo "no .evtx under $rw/sigma/regression_data" >&2
	exit 2
fi
[ -s "$out/dense.evtx" ] || python3 "$here/gen_evtx.py" "$out/dense.evtx" "$mb" dense >&2
[ -s "$out/repeat.evtx" ] || python3 "$here/gen_evtx.py" "$out/repeat.evtx" "$mb" repeat "${reg[@]}" >&2

now() { date +%s.%N; }
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

ours() {
	"$cs" scan logs --no-record --intel "$out/intel.csv" "$@" >/dev/null 2>&1 || [ $? -le 1 ]
}
theirs() {
	local f
	for f in "$@"; do
		evtxexport -f xml "$f" >/dev/null 2>&1
	done
}
lib_xml() {
	"$out/libevtx_read" xml "$@" >/dev/null
}
lib_strings() {
	"$out/libevtx_read" strings "$@" >/dev/null
}
events_of() {
	"$cs" scan logs --no-record --intel "$out/intel.csv" "$@" 2>&1 |
		sed -n 's/^searched [0-9]* files, \([0-9]*\) lines.*/\1/p'
}
# The clock is bash's own (EPOCHREALTIME): $(date) would add the start of
# two processes to every run, a few ms that weigh on a 30 ms run and not
# on evtxexport's 300 ms.
timed() {
	local t0 t1 k
	for k in $(seq "$runs"); do
		t0=$EPOCHREALTIME
		"$@"
		t1=$EPOCHREALTIME
		echo "$t1 - $t0" | bc -l
	done | median
}

printf '%-10s %9s %9s  %-16s %8s %12s %9s %7s\n' set MB events tool seconds events/s MB/s ratio
bench_set() {
	local name=$1
	shift
	local bytes ev xml to tt tx ts
	bytes=$(cat "$@" | wc -c)
	ev=$(events_of "$@")
	xml=$(for f in "$@"; do evtxexport -f xml "$f" 2>/dev/null; done | grep -c '^<Event ' || true)
	to=$(timed ours "$@")
	tt=$(timed theirs "$@")
	tx=$(timed lib_xml "$@")
	ts=$(timed lib_strings "$@")
	awk -v n="$name" -v b="$bytes" -v e="$ev" -v x="$xml" -v to="$to" -v tt="$tt" \
		-v tx="$tx" -v ts="$ts" 'BEGIN {
		mbv = b / 1048576
		printf "%-10s %9.1f %9d  %-16s %8.3f %12.0f %9.1f\n", n, mbv, e, "chainsweep", to, e / to, mbv / to
		printf "%-10s %9.1f %9d  %-16s %8.3f %12.0f %9.1f %7s\n", n, mbv, x, "evtxexport -f xml", tt, x / tt, mbv / tt, sprintf("%.1fx", tt / to)
		printf "%-10s %9.1f %9d  %-16s %8.3f %12.0f %9.1f %7s\n", n, mbv, e, "libevtx xml", tx, e / tx, mbv / tx, sprintf("%.1fx", tx / to)
		printf "%-10s %9.1f %9d  %-16s %8.3f %12.0f %9.1f %7s\n", n, mbv, e, "libevtx strings", ts, e / ts, mbv / ts, sprintf("%.1fx", ts / to)
	}'
}
: >"$out/empty.log"
start=$(timed ours "$out/empty.log")
echo "chainsweep process start (empty log): ${start} s" >&2
bench_set regression "${reg[@]}"
bench_set dense "$out/dense.evtx"
bench_set repeat "$out/repeat.evtx"

# With Sigma: the same reading, and every one of SigmaHQ's Windows rules
# (rules/windows, rules-emerging-threats and rules-threat-hunting, the
# Windows parts) evaluated on every event, from a case that holds them;
# beside evtxexport on the same files in the same run. The import (read,
# check, save) and the compile (done by each scan before it reads) are
# timed apart.
sig=$rw/sigma
if [ -d "$sig/rules/windows" ]; then
	db=$out/sigma.db
	rm -f "$db" "$db-wal" "$db-shm"
	mapfile -t wdirs < <(find "$sig/rules/windows" "$sig/rules-emerging-threats" \
		"$sig/rules-threat-hunting" -type d -name windows -prune 2>/dev/null | sort)
	t0=$(now)
	"$cs" --db "$db" --quiet intel import "${wdirs[@]}" >/dev/null 2>&1 || true
	t1=$(now)
	nrules=$("$cs" --db "$db" --json intel stats 2>/dev/null |
		python3 -c 'import json,sys
for l in sys.stdin:
    o=json.loads(l)
    s=o.get("sigma") or {}
    if s: print(s.get("usable", s.get("rules", 0))); break' || echo "?")
	echo "SigmaHQ Windows rules: $nrules usable, imported in $(echo "$t1 - $t0" | bc -l) s" >&2
	sig_ours() {
		"$cs" --db "$db" scan logs --no-record "$@" >/dev/null 2>&1 || [ $? -le 1 ]
	}
	: >"$out/empty.log"
	tc=$(timed sig_ours "$out/empty.log")
	echo "load and compile the rules, no event (a scan of an empty log): ${tc} s" >&2
	printf '%-10s %9s %9s  %-16s %8s %12s %9s %7s\n' set MB events tool seconds events/s MB/s ratio
	sigma_set() {
		local name=$1 bytes ev to tt
		shift
		bytes=$(cat "$@" | wc -c)
		ev=$(events_of "$@")
		to=$(timed sig_ours "$@")
		tt=$(timed theirs "$@")
		awk -v n="$name" -v b="$bytes" -v e="$ev" -v to="$to" -v tt="$tt" -v tc="$tc" 'BEGIN {
			mbv = b / 1048576
			printf "%-10s %9.1f %9d  %-16s %8.3f %12.0f %9.1f\n", n, mbv, e, "cs + sigma", to, e / to, mbv / to
			printf "%-10s %9.1f %9d  %-16s %8.3f %12.0f %9.1f\n", n, mbv, e, "  less compile", to - tc, e / (to - tc), mbv / (to - tc)
			printf "%-10s %9.1f %9d  %-16s %8.3f %12.0f %9.1f %7s\n", n, mbv, e, "evtxexport -f xml", tt, e / tt, mbv / tt, sprintf("%.1fx", tt / to)
		}'
	}
	sigma_set sigma-reg "${reg[@]}"
	sigma_set sigma-dense "$out/dense.evtx"
fi

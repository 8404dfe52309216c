#!/usr/bin/env bash
# The live host's costs (docs/live-host.md), in one run:
#
#   procs   `chainsweep scan processes` over every process of this machine
#           (with signature-base's YARA rules in a fresh case) beside
#           `yara -C -a 30` over the same PIDs, two at a time (xargs -P 2),
#           with the same rules compiled by yarac (externals defined empty).
#           Both have 30 s per process (ours: --proc-time-limit, default);
#           yara has no byte bound, ours reads at most 256 MiB per process;
#   watch   10,000 executions of a clean binary without `chainsweep watch`,
#           with it and a warm decision cache, and with a cold one (each
#           execution follows a one-byte append to the binary, which
#           changes its ctime and size; the run without watch appends too).
#
# usage: bench/proc.sh build/chainsweep ../shared/real-world
# Needs root (other processes' memory, fanotify). Figures go to stdout;
# bench/RESULTS.md is written by hand. Work files under build/bench-proc.
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
rw=${2:-}
build=$(dirname "$bin")
work=$build/bench-proc
runs=${BENCH_EXECS:-10000}
rm -rf "$work"
mkdir -p "$work"
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: not root (other processes' memory and fanotify need it)"
	exit 0
fi
if [ -z "$rw" ] || [ ! -d "$rw/signature-base/yara" ]; then
	echo "SKIP: real-world folder absent"
	exit 0
fi
ext=(-d filename= -d filepath= -d extension= -d filetype= -d owner=)
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
now() { date +%s.%N; }

echo "== procs: signature-base/yara ($(ls "$rw"/signature-base/yara/*.yar | wc -l) files)"
"$bin" --db "$work/case.db" --quiet intel import "$rw/signature-base/yara" >/dev/null 2>&1
yarac "${ext[@]}" "$rw"/signature-base/yara/*.yar "$work/sb.yarc" >/dev/null 2>&1 ||
	echo "  yarac failed on the combined set"
# The user processes present now (kernel threads have no executable).
pids=()
for d in /proc/[0-9]*; do
	p=${d#/proc/}
	[ -e "$d/exe" ] && readlink "$d/exe" >/dev/null 2>&1 && pids+=("$p")
done
pidargs=()
for p in "${pids[@]}"; do pidargs+=(--pid "$p"); done
echo "  ${#pids[@]} processes"
for r in 1; do
	t0=$(now)
	/usr/bin/time -f "%e s %M KiB" -o "$work/ours.time" "$bin" --db "$work/case.db" \
		scan processes --no-record "${pidargs[@]}" >"$work/ours.out" 2>"$work/ours.err"
	t1=$(now)
	/usr/bin/time -f "%e s %M KiB" -o "$work/ours-mem.time" "$bin" --db "$work/case.db" \
		scan processes --no-record --no-files --no-sockets "${pidargs[@]}" \
		>"$work/ours-mem.out" 2>"$work/ours-mem.err"
	t2=$(now)
	printf '%s\n' "${pids[@]}" |
		xargs -P 2 -n 1 yara -C -a 30 "$work/sb.yarc" >"$work/yara.out" 2>"$work/yara.err"
	t3=$(now)
	echo "  run $r: ours (files, memory, sockets) $(secs "$t0" "$t1") s [$(cat "$work/ours.time")]," \
		"ours (memory only) $(secs "$t1" "$t2") s [$(cat "$work/ours-mem.time")]," \
		"yara -C per PID, 2 at a time $(secs "$t2" "$t3") s"
done
echo "  ours: $(grep -c '^FOUND' "$work/ours.out") findings; $(tail -n 3 "$work/ours.err" | tr '\n' ' ')"
echo "  ours memory only: $(grep -c '^FOUND' "$work/ours-mem.out") findings"
echo "  yara: $(wc -l <"$work/yara.out") matches, $(grep -c . "$work/yara.err") error lines" \
	"($(sort -u "$work/yara.err" | head -n 2 | tr '\n' ' '))"

echo "== watch: $runs executions of a clean binary"
dir=$work/watched
mkdir -p "$dir"
cp "$build/cs_proc_target_twin" "$dir/clean"
execs() { # $1: append a byte before each execution
	local i t0 t1
	t0=$(now)
	for ((i = 0; i < runs; i++)); do
		[ "$1" = 1 ] && printf x >>"$dir/clean"
		"$dir/clean" </dev/null >/dev/null
	done
	t1=$(now)
	secs "$t0" "$t1"
}
for r in 1; do
	base=$(execs 0)
	base_cold=$(execs 1)
	"$bin" --db "$work/case.db" --quiet watch --no-record "$dir" 2>"$work/watch.err" &
	wpid=$!
	sleep 2
	"$dir/clean" </dev/null >/dev/null # fills the cache
	warm=$(execs 0)
	cold=$(execs 1)
	kill -INT "$wpid"
	wait "$wpid"
	echo "  run $r: without watch $base s (with appends $base_cold s); with watch, warm" \
		"$warm s ($(awk -v a="$base" -v b="$warm" 'BEGIN { printf "%+.1f %%", (b / a - 1) * 100 }')), cold $cold s" \
		"($(awk -v a="$base_cold" -v b="$cold" 'BEGIN { printf "%+.1f %%", (b / a - 1) * 100 }'))"
	echo "    $(tail -n 1 "$work/watch.err")"
done
rm -rf "$dir"

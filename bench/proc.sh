#!/usr/bin/env bash
# The live host's costs (docs/live-host.md), in one run:
#
#   procs   `chainsweep scan processes` over every process of this machine
#           (with signature-base's YARA rules in a fresh case) beside
#           `yara -C -a 30` over the same PIDs, two at a time (xargs -P 2),
#           with the same rules compiled by yarac (externals defined empty).
#           Both have 30 s per process (ours: --proc-time-limit, default);
#           yara has no byte bound, ours reads at most 256 MiB per process;
#   watch   BENCH_EXECS (10,000) executions of a clean binary by
#           build/spawn_loop (posix_spawn + waitpid, bench/spawn_loop.c)
#           without `chainsweep watch` and with it, interleaved
#           (BENCH_PAIRS pairs, 5; the warm pairs in ABBA order: without
#           then with, then with then without, ...),
#           with a warm decision cache (the binary run once after watch
#           started) and with a cold one (each execution follows a
#           one-byte append to the binary, which changes its ctime and
#           size; the runs without watch append too). Prints every run
#           (wall and CPU time: the CPU time of the executions is the less
#           noisy figure on a shared machine), the median of each arm, the
#           ratio of the medians and the median of the pairs' ratios, and
#           the watcher's own CPU time in the warm runs (not in the loop's).
#           BENCH_COLD=0 runs the warm pairs only.
#           Then BENCH_PAIRED (5) paired runs with one watcher running:
#           the clean binary in the watched folder and its copy in a
#           folder beside it that is not watched, executed alternately
#           one at a time (bench/spawn_loop.c "paired"), so that the
#           host's drift falls on both alike; the warm overhead is the
#           watched copy's time over the unwatched one's.
#           BENCH_PERF=1 adds a profile of a warm run without and with
#           watch (the share of the kernel's fsnotify/fanotify code).
#
# usage: [BENCH_PARTS="procs watch"] bench/proc.sh build/chainsweep [../shared/real-world]
# (the real-world folder is needed by procs only). Run it under
# `flock /tmp/chainsweep-bench.lock` so that no other benchmark overlaps.
# Needs root (other processes' memory, fanotify). Figures go to stdout;
# bench/RESULTS.md is written by hand. Work files under build/bench-proc.
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
rw=${2:-}
build=$(dirname "$bin")
work=$build/bench-proc
runs=${BENCH_EXECS:-10000}
pairs=${BENCH_PAIRS:-5}
cold=${BENCH_COLD:-1} # 0: the warm pairs only
paired=${BENCH_PAIRED:-5}
parts=${BENCH_PARTS:-procs watch}
rm -rf "$work"
mkdir -p "$work"
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: not root (other processes' memory and fanotify need it)"
	exit 0
fi
ext=(-d filename= -d filepath= -d extension= -d filetype= -d owner=)
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
now() { date +%s.%N; }

procs_part() {
if [ -z "$rw" ] || [ ! -d "$rw/signature-base/yara" ]; then
	echo "SKIP procs: real-world folder absent"
	return
fi
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

}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.2f %%", (b / a - 1) * 100 }'; }

watch_part() {
local loop=$build/spawn_loop dir=$work/watched r wpid
if [ ! -x "$loop" ]; then
	echo "SKIP watch: $loop not built (cmake --build build --target spawn_loop)"
	return
fi
echo "== watch: $runs executions of a clean binary, $pairs interleaved pairs each"
echo "   load before: $(uptime)"
mkdir -p "$dir"
cp "$build/cs_proc_target_twin" "$dir/clean"
# The intel: signature-base's YARA rules when the folder is given (what
# the cold case's scans match), one hash otherwise.
if [ -n "$rw" ] && [ -d "$rw/signature-base/yara" ]; then
	intel=$rw/signature-base/yara
else
	printf '%064d\n' 0 >"$work/zero.txt"
	intel=$work/zero.txt
fi
echo "   intel: $intel"
"$bin" --db "$work/watch.db" --quiet intel import "$intel" >/dev/null 2>&1
# BENCH_WATCH_FLAGS: e.g. --kernel-cache (the ignore marks, opt-in since
# the 17:50 section of bench/RESULTS.md); empty: the default.
start_watch() {
	# shellcheck disable=SC2086 # a list of words
	"$bin" --db "$work/watch.db" watch --no-record ${BENCH_WATCH_FLAGS-} "$dir" \
		2>"$work/watch-$1.err" &
	wpid=$!
	for _ in $(seq 100); do grep -q "watching" "$work/watch-$1.err" && break; sleep 0.05; done
	sleep 0.5 # the marks go in after that line
}
stop_watch() {
	kill -INT "$wpid"
	wait "$wpid"
	tail -n 1 "$work/watch-$1.err" | sed 's/^chainsweep: /      /'
}
# The watcher's own CPU time so far (user + system), in clock ticks: the
# loop's figures do not include it (another process).
watcher_ticks() {
	awk '{ print $14 + $15 }' "/proc/$wpid/stat"
}
# Each run prints "wall cpu" (bench/spawn_loop.c).
arm() { # $1 label, $2 file of runs
	local mw mc
	mw=$(cut -d' ' -f1 <"$work/$2" | median)
	mc=$(cut -d' ' -f2 <"$work/$2" | median)
	echo "$mw $mc"
}
pair() { # $1 "wall cpu" without, $2 with
	echo "wall $(pct "${1% *}" "${2% *}"), cpu $(pct "${1#* }" "${2#* }")"
}
: >"$work/base" && : >"$work/warm" && : >"$work/base_cold" && : >"$work/cold"
: >"$work/ratio_warm" && : >"$work/ratio_cold"
: >"$work/watcher_cpu"
for ((r = 1; r <= pairs; r++)); do
	# Odd pairs run without watch first, even pairs with it first, so that
	# neither arm always follows the other (ABBA).
	[ $((r % 2)) -eq 1 ] && { b=$("$loop" "$runs" "$dir/clean") || return; }
	start_watch warm
	"$loop" 1 "$dir/clean" >/dev/null # the cache and the kernel's ignore mark
	t0=$(watcher_ticks)
	w=$("$loop" "$runs" "$dir/clean")
	t1=$(watcher_ticks)
	stop_watch warm >"$work/summary-warm"
	[ $((r % 2)) -eq 0 ] && { b=$("$loop" "$runs" "$dir/clean") || return; }
	echo $((t1 - t0)) >>"$work/watcher_cpu"
	echo "  pair $r warm: without watch $b, with watch $w (wall, cpu s): $(pair "$b" "$w")"
	echo "$b" >>"$work/base"
	echo "$w" >>"$work/warm"
	awk -v a="${b% *}" -v b="${w% *}" 'BEGIN { print b / a }' >>"$work/ratio_warm"
	[ "$cold" = 1 ] || continue
	bc=$("$loop" "$runs" "$dir/clean" append) || return
	start_watch cold
	c=$("$loop" "$runs" "$dir/clean" append)
	stop_watch cold >"$work/summary-cold"
	echo "  pair $r cold: without watch $bc, with watch $c (wall, cpu s): $(pair "$bc" "$c")"
	echo "$bc" >>"$work/base_cold"
	echo "$c" >>"$work/cold"
	awk -v a="${bc% *}" -v b="${c% *}" 'BEGIN { print b / a }' >>"$work/ratio_cold"
done
[ "$pairs" -gt 0 ] && echo "  the watcher's own CPU in the warm runs (median): $(median <"$work/watcher_cpu" |
	awk -v hz="$(getconf CLK_TCK)" -v n="$runs" '{ printf "%.2f s, %.1f us per execution", $1 / hz, $1 / hz / n * 1e6 }')"
[ "$pairs" -gt 0 ] && echo "  the last pair's watch summaries:" &&
	cat "$work/summary-warm" "$work/summary-cold" 2>/dev/null
for k in warm cold; do
	[ "$pairs" -gt 0 ] || break
	[ $k = warm ] || [ "$cold" = 1 ] || break
	base=base
	[ $k = cold ] && base=base_cold
	mb=$(arm "" $base) mw=$(arm "" $k)
	echo "  median $k: without watch ${mb% *} s wall, ${mb#* } s cpu; with watch ${mw% *} s wall," \
		"${mw#* } s cpu: $(pair "$mb" "$mw");" \
		"median of the pairs' wall ratios $(median <"$work/ratio_$k" | awk '{ printf "%+.2f %%", ($1 - 1) * 100 }');" \
		"$(awk -v a="${mb% *}" -v b="${mw% *}" -v n="$runs" 'BEGIN { printf "%.1f", (b - a) / n * 1e6 }') us wall per execution"
done
# Paired: one watcher, the watched binary and an unwatched copy executed
# alternately. The watcher exists in both arms (its idle cost, a few us of
# its own CPU per execution, is on the other core); what differs is that
# every execution of the watched copy is asked about and answered.
if [ "$paired" -gt 0 ]; then
	mkdir -p "$work/unwatched"
	cp "$dir/clean" "$work/unwatched/clean"
	start_watch paired
	"$loop" 1 "$dir/clean" >/dev/null # the decision cache
	: >"$work/ratio_paired_sum" && : >"$work/ratio_paired_med" && : >"$work/watcher_paired"
	for ((r = 1; r <= paired; r++)); do
		t0=$(watcher_ticks)
		out=$("$loop" "$runs" "$dir/clean" paired "$work/unwatched/clean") || break
		t1=$(watcher_ticks)
		read -r sa ma ca sb mb cb <<<"$out"
		echo "  paired $r: watched $sa s (median $ma s, cpu $ca s), unwatched $sb s" \
			"(median $mb s, cpu $cb s): sum $(pct "$sb" "$sa"), median $(pct "$mb" "$ma")," \
			"cpu $(pct "$cb" "$ca"); the watcher's cpu $((t1 - t0)) ticks"
		awk -v a="$sb" -v b="$sa" 'BEGIN { print b / a }' >>"$work/ratio_paired_sum"
		awk -v a="$mb" -v b="$ma" 'BEGIN { print b / a }' >>"$work/ratio_paired_med"
		echo $((t1 - t0)) >>"$work/watcher_paired"
	done
	stop_watch paired >"$work/summary-paired"
	echo "  paired, warm: median over the runs of watched/unwatched: sum of wall times" \
		"$(median <"$work/ratio_paired_sum" | awk '{ printf "%+.2f %%", ($1 - 1) * 100 }')," \
		"median execution $(median <"$work/ratio_paired_med" | awk '{ printf "%+.2f %%", ($1 - 1) * 100 }');" \
		"the watcher's own CPU $(median <"$work/watcher_paired" |
			awk -v hz="$(getconf CLK_TCK)" -v n="$runs" '{ printf "%.1f us per watched execution", $1 / hz / n * 1e6 }')"
	cat "$work/summary-paired"
fi
# BENCH_PERF=1: where a warm execution's time goes, without and with
# watch (a cpu-clock profile of the loop and its children: the machine
# has no hardware counters), and the share of the kernel's fsnotify and
# fanotify functions in it.
if [ -n "${BENCH_PERF:-}" ] && command -v perf >/dev/null; then
	for k in without with; do
		if [ $k = with ]; then
			start_watch perf
			"$loop" 1 "$dir/clean" >/dev/null
		fi
		perf record -q -e cpu-clock -F 4000 -g -o "$work/perf-$k.data" -- \
			"$loop" "$runs" "$dir/clean" >/dev/null 2>&1
		[ $k = with ] && stop_watch perf >/dev/null
		perf report -i "$work/perf-$k.data" --no-children -g none --sort sym --stdio \
			2>/dev/null | grep '%' >"$work/perf-$k.txt"
		echo "  perf, warm, $k watch: $(awk '/fsnotify|fanotify/ { s += $1 } END { printf "%.2f", s }' \
			"$work/perf-$k.txt") % of the samples in fsnotify/fanotify functions" \
			"($(grep -E 'fsnotify|fanotify' "$work/perf-$k.txt" | head -n 4 | awk '{ printf "%s %s; ", $3, $1 }'))"
	done
fi
echo "   load after: $(uptime)"
rm -rf "$dir"
}

for p in $parts; do
	case $p in
	procs) procs_part ;;
	watch) watch_part ;;
	*) echo "unknown part $p (procs, watch)" ;;
	esac
done

#!/usr/bin/env bash
# chainsweep import benchmarks, each beside a peer measured in the same run
# on the same data. Usage:
#
#   bench/run.sh BINARY REAL_WORLD
#
# Cases (bench/README.md says what each measures):
#   sigbase  REAL_WORLD/signature-base/{iocs,yara} into a fresh case database
#            ("ready to scan")  vs  yarac compiling the same YARA files
#   stix     generated STIX 2.1 bundle of BENCH_N indicators into a fresh
#            database           vs  jq '.objects|length', python3 json.load
#   misp     generated MISP event of BENCH_N attributes into a fresh
#            database           vs  jq '.Event.Attribute|length', python3 json.load
#   software scan software: a generated CycloneDX SBOM of BENCH_SW_COMPONENTS
#            components against BENCH_SW_ADVISORIES generated OSV records
#                               vs  jq and python3 json.load reading both files
#
# Environment:
#   BENCH_RUNS   runs per measurement; medians are reported (default 3)
#   BENCH_N      indicators in the generated files (default 1000000)
#   BENCH_CASES  which cases, space-separated (default "sigbase stix misp";
#                "software" is run only when named)
#   BENCH_SW_COMPONENTS, BENCH_SW_ADVISORIES  sizes of the software case
#                (default 10000 and 100000)
#   BENCH_OUT    scratch and cache folder (default bench/out, git-ignored)
#
# Wall time and peak RSS come from GNU time ('%e %M'). Runs are interleaved
# (ours, peer, peer, ours, ...) so a noisy neighbour hurts every tool alike.
# Nothing is written to bench/RESULTS.md: figures go there by hand.
set -euo pipefail

usage() {
	echo "usage: bench/run.sh BINARY REAL_WORLD" >&2
	exit 2
}
[ $# -eq 2 ] || usage

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
rw=$(cd "$2" && pwd)
runs=${BENCH_RUNS:-3}
n=${BENCH_N:-1000000}
cases=${BENCH_CASES:-sigbase stix misp}
out=${BENCH_OUT:-$here/out}
gnutime=/usr/bin/time

die() {
	echo "bench: $*" >&2
	exit 2
}

[[ $runs =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer"
[[ $n =~ ^[1-9][0-9]*$ ]] || die "BENCH_N must be a positive integer"
[ -x "$bin" ] || die "$bin: not an executable (make build)"
[ -x "$gnutime" ] || die "$gnutime missing: make deps (Debian package 'time')"
for t in jq yarac python3 awk; do
	command -v "$t" >/dev/null || die "$t missing: make deps"
done
# The real interpreter, not a version-manager shim that adds its own start-up.
python=$(python3 -c 'import sys; print(sys.executable)')

mkdir -p "$out"
work=$(mktemp -d "$out/run.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Time a copy: others may rebuild the tree while the benchmark runs.
bin_src=$bin
bin=$work/chainsweep
cp "$bin_src" "$bin"
rev=$(git -C "$here" describe --always --dirty 2>/dev/null || echo unknown)
logs=$out/logs
mkdir -p "$logs"

# ---------------------------------------------------------------- helpers

# median of the numbers on stdin (mean of the two middle ones for an even count)
median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

human_n() {
	awk -v n="$1" 'BEGIN {
		if (n >= 1000000 && n % 1000000 == 0) printf "%dM", n / 1000000
		else if (n >= 1000 && n % 1000 == 0) printf "%dk", n / 1000
		else printf "%d", n }'
}

fresh_db() {
	rm -f "$work/case.db" "$work/case.db-wal" "$work/case.db-shm" "$work/case.db-journal"
}

# Size of the case database on disk, all its files, in bytes.
db_bytes() {
	local total=0 f
	for f in "$work/case.db" "$work/case.db-wal" "$work/case.db-shm" "$work/case.db-journal"; do
		[ -e "$f" ] && total=$((total + $(stat -c %s "$f")))
	done
	echo "$total"
}

# One timed run: timed_run TAG RUN cmd... appends "seconds kib rc cpu" to
# $work/TAG.times; the command's output is kept in $logs/TAG.{out,err}
# (the last run's).
timed_run() {
	local tag=$1 r=$2 rc=0 secs kib usr sys cpu
	shift 2
	"$gnutime" -f '%e %M %U %S' -o "$work/time.txt" "$@" >"$logs/$tag.out" 2>"$logs/$tag.err" || rc=$?
	# GNU time prefixes a note when the command fails; keep the last line.
	read -r secs kib usr sys < <(tail -n 1 "$work/time.txt")
	cpu=$(awk -v u="$usr" -v s="$sys" 'BEGIN { print u + s }')
	echo "$secs $kib $rc $cpu" >>"$work/$tag.times"
	printf '  run %d %-22s %7.2f s wall %7.2f s cpu %8.1f MB%s\n' "$r" "$tag" "$secs" "$cpu" \
		"$(awk -v k="$kib" 'BEGIN { print k / 1024 }')" \
		"$([ "$rc" -eq 0 ] || echo "  (exit $rc)")"
}

med_secs() { awk '{ print $1 }' "$work/$1.times" | median; }
med_cpu() { awk '{ print $4 }' "$work/$1.times" | median; }
med_mb() { awk '{ print $2 / 1024 }' "$work/$1.times" | median; }
worst_rc() { awk 'BEGIN { m = 0 } $3 > m { m = $3 } END { print m }' "$work/$1.times"; }

# Rows of the summary, collected as they are measured.
summary=$work/summary.tsv
notes=$work/notes.txt
: >"$summary"
: >"$notes"

# row CASE OURS_TAG PEER_NAME PEER_TAG; the last two columns are ours'
# accepted count (last run) and worst exit status, for the verdicts, then
# the median CPU seconds (user + sys) of ours and of the peer.
# An optional fifth argument replaces the accepted count (the software
# case counts findings instead).
row() {
	local c=$1 ours=$2 pname=$3 peer=$4
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$(med_secs "$ours")" "$(med_mb "$ours")" \
		"$pname" "$(med_secs "$peer")" "$(med_mb "$peer")" \
		"${5:-$(awk '/^entries:/ { print $2 }' "$logs/$ours.out")}" "$(worst_rc "$ours")" \
		"$(med_cpu "$ours")" "$(med_cpu "$peer")" >>"$summary"
}

note() { echo "$*" >>"$notes"; }

# "entries: N accepted, M rejected" and friends from ours' plain output.
ours_counts() {
	awk '/^entries:/ { acc = $2; rej = $4 }
	     /^yara rules:/ { yr = $3 }
	     /^indicators:/ { ind = $2 }
	     END { printf "accepted %s, rejected %s, yara rules %s, indicators in set %s",
	           acc == "" ? "?" : acc, rej == "" ? "?" : rej, yr == "" ? "0" : yr,
	           ind == "" ? "?" : ind }' "$logs/$1.out"
}

# check_ours TAG [db]: counts from the last run's output (and the size of
# the database it left, when that run was the last one of the case).
check_ours() {
	local tag=$1 rc db=""
	rc=$(worst_rc "$tag")
	[ "${2:-}" != db ] || db="; database $(awk -v b="$(db_bytes)" 'BEGIN { printf "%.1f MB", b / 1048576 }') on disk"
	note "  $tag: $(ours_counts "$tag")$db"
	if [ "$rc" -ne 0 ]; then
		note "  $tag: exit status $rc in some run; $(grep -c ': error:' "$logs/$tag.err" || true)" \
			"error lines in $logs/$tag.err, the first: $(grep -m1 ': error:' "$logs/$tag.err" || true)"
	fi
}

# Read a file once so the first timed run does not pay for the disk.
warm() { cat "$@" >/dev/null; }

# ---------------------------------------------------------------- cases

yara_externals=(-d filename= -d filepath= -d extension= -d filetype= -d owner=)

# The YARA files of signature-base that yarac compiles one by one; cached,
# keyed by the names, sizes and times of the files.
yara_ok_list() {
	local dir=$1 key list f
	key=$(find "$dir" -type f \( -name '*.yar' -o -name '*.yara' \) -printf '%p %s %T@\n' |
		sort | md5sum | cut -c1-16)
	list=$out/yarac-ok.$key.list
	if [ ! -s "$list" ]; then
		echo "  checking which YARA files yarac compiles on their own (once; cached)" >&2
		: >"$list.tmp"
		while IFS= read -r f; do
			if yarac "${yara_externals[@]}" "$f" "$work/one.yarc" >/dev/null 2>&1; then
				echo "$f" >>"$list.tmp"
			else
				echo "$f" >>"$list.tmp.bad"
			fi
		done < <(find "$dir" -type f \( -name '*.yar' -o -name '*.yara' \) | sort)
		mv "$list.tmp" "$list"
		[ -e "$list.tmp.bad" ] && mv "$list.tmp.bad" "$list.bad"
	fi
	echo "$list"
}

case_sigbase() {
	local sb=$rw/signature-base list total okn r
	if [ ! -d "$sb/iocs" ] || [ ! -d "$sb/yara" ]; then
		die "$sb/{iocs,yara} not found"
	fi
	echo "== sigbase: signature-base iocs + yara into a fresh database vs yarac"
	list=$(yara_ok_list "$sb/yara")
	total=$(find "$sb/yara" -type f \( -name '*.yar' -o -name '*.yara' \) | wc -l)
	okn=$(wc -l <"$list")
	mapfile -t yfiles <"$list"
	warm "$sb"/iocs/* "${yfiles[@]}"
	for ((r = 1; r <= runs; r++)); do
		fresh_db
		timed_run ours-sigbase-yara "$r" "$bin" --db "$work/case.db" intel import --quiet \
			"$sb/yara"
		timed_run yarac-sigbase "$r" yarac "${yara_externals[@]}" "${yfiles[@]}" \
			"$work/sigbase.yarc"
		fresh_db
		timed_run ours-sigbase "$r" "$bin" --db "$work/case.db" intel import --quiet \
			"$sb/iocs" "$sb/yara"
	done
	row sigbase ours-sigbase "yarac (yara/ only)" yarac-sigbase
	row sigbase-yara ours-sigbase-yara "yarac" yarac-sigbase
	note "sigbase: ours imports iocs/ + yara/; yarac compiles the $okn of $total YARA files" \
		"that compile on their own, in one invocation (externals filename filepath" \
		"extension filetype owner defined empty); sigbase-yara: ours imports yara/ only"
	if [ -e "$list.bad" ]; then
		note "  not compiled by yarac: $(tr '\n' ' ' <"$list.bad")"
	fi
	if [ "$(worst_rc yarac-sigbase)" -ne 0 ]; then
		note "  yarac failed on the combined set: $logs/yarac-sigbase.err"
	fi
	check_ours ours-sigbase-yara
	check_ours ours-sigbase db
	db_order+=(sigbase)
	db_mb[sigbase]=$(awk -v b="$(db_bytes)" 'BEGIN { printf "%.1f", b / 1048576 }')
}

# gen_file KIND -> path of the cached generated file for BENCH_N
gen_file() {
	local kind=$1 f=$out/$1-$n.json
	if [ ! -s "$f" ] || [ "$here/gen_intel.py" -nt "$f" ]; then
		echo "  generating $f (once; cached)" >&2
		python3 "$here/gen_intel.py" "$kind" "$n" "$f.tmp.$$"
		mv "$f.tmp.$$" "$f"
	fi
	echo "$f"
}

# case_json NAME KIND JQ_FILTER
case_json() {
	local name=$1 kind=$2 filter=$3 f r count
	echo "== $name: $(human_n "$n") generated $kind records into a fresh database vs jq, python3 json"
	f=$(gen_file "$kind")
	warm "$f"
	for ((r = 1; r <= runs; r++)); do
		fresh_db
		timed_run "ours-$name" "$r" "$bin" --db "$work/case.db" intel import --quiet \
			--format "$kind" "$f"
		timed_run "jq-$name" "$r" jq "$filter" "$f"
		timed_run "python-$name" "$r" "$python" -c \
			'import json, sys; json.load(open(sys.argv[1], "rb"))' "$f"
	done
	row "$name-$(human_n "$n")" "ours-$name" "jq '$filter'" "jq-$name"
	row "$name-$(human_n "$n")" "ours-$name" "python json.load" "python-$name"
	count=$(head -n 1 "$logs/jq-$name.out" 2>/dev/null || echo '?')
	note "$name: $f ($(awk -v b="$(stat -c %s "$f")" 'BEGIN { printf "%.0f MB", b / 1048576 }'));" \
		"jq counts $count"
	check_ours "ours-$name" db
	db_order+=("$name")
	db_mb[$name]=$(awk -v b="$(db_bytes)" 'BEGIN { printf "%.1f", b / 1048576 }')
}

# The software sweep: a generated SBOM against generated OSV advisories
# (bench/gen_software.py), both cached in $out.
case_software() {
	local nc=${BENCH_SW_COMPONENTS:-10000} na=${BENCH_SW_ADVISORIES:-100000} bom osv r found
	[[ $nc =~ ^[1-9][0-9]*$ && $na =~ ^[1-9][0-9]*$ ]] || die "BENCH_SW_* must be positive integers"
	bom=$out/bom-$nc.cdx.json
	osv=$out/osv-$na.json
	if [ ! -s "$bom" ] || [ ! -s "$osv" ] || [ "$here/gen_software.py" -nt "$osv" ] ||
		[ "$here/gen_software.py" -nt "$bom" ]; then
		echo "  generating $bom and $osv (once; cached)" >&2
		python3 "$here/gen_software.py" "$nc" "$na" "$out"
	fi
	echo "== software: $(human_n "$nc")-component SBOM against $(human_n "$na") OSV advisories" \
		"vs jq, python3 json reading the same files"
	warm "$bom" "$osv"
	for ((r = 1; r <= runs; r++)); do
		fresh_db
		timed_run ours-software "$r" "$bin" --db "$work/case.db" scan software \
			--sbom "$bom" --osv "$osv"
		timed_run jq-software "$r" jq -n --slurpfile o "$osv" --slurpfile b "$bom" \
			'[($o[0] | length), ([$b[0].components[] | recurse(.components[]?)] | length)]'
		timed_run python-software "$r" "$python" -c \
			'import json, sys; json.load(open(sys.argv[1], "rb")); json.load(open(sys.argv[2], "rb"))' \
			"$osv" "$bom"
	done
	found=$(grep -c '^FOUND' "$logs/ours-software.out" || true)
	row "software" ours-software "jq (both files, count)" jq-software "$found"
	row "software" ours-software "python json.load (both)" python-software "$found"
	note "software: $bom ($(awk -v b="$(stat -c %s "$bom")" 'BEGIN { printf "%.1f MB", b / 1048576 }')," \
		"$nc components), $osv ($(awk -v b="$(stat -c %s "$osv")" 'BEGIN { printf "%.1f MB", b / 1048576 }')," \
		"$na records); ours found $found (exit 1: findings); jq says $(tr -d '\n ' <"$logs/jq-software.out");" \
		"osv-scanner, the natural peer, is not installed (no Debian package)"
	note "  ours: $(tail -n 1 "$logs/ours-software.err")"
}

# ---------------------------------------------------------------- main

declare -A db_mb
db_order=()
echo "chainsweep bench: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores," \
	"$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)," \
	"runs=$runs, N=$n"
echo "binary $bin_src (tree $rev); $(yarac --version | sed 's/^/yarac /'); $(jq --version);" \
	"python $("$python" -c 'import platform; print(platform.python_version())')"
for c in $cases; do
	case $c in
	sigbase) case_sigbase ;;
	stix) case_json stix stix '.objects|length' ;;
	misp) case_json misp misp '.Event.Attribute|length' ;;
	software) case_software ;;
	*) die "unknown case '$c' (sigbase, stix, misp, software)" ;;
	esac
done

echo
echo "medians of $runs runs; MB = MiB of peak RSS; ratio = ours(s) / peer(s)"
printf '%-14s %8s %9s  %-30s %8s %9s %7s\n' case 'ours(s)' 'ours(MB)' peer 'peer(s)' 'peer(MB)' ratio
awk -F'\t' '{ printf "%-14s %8.2f %9.1f  %-30s %8.2f %9.1f %7s\n", $1, $2, $3, $4, $5, $6,
	($5 > 0 ? sprintf("%.2f", $2 / $5) : "inf") }' "$summary"
echo
echo "CPU seconds (user + sys), medians: steadier than wall time when the machine is shared"
printf '%-14s %8s  %-30s %8s %7s\n' case 'ours' peer 'peer' ratio
awk -F'\t' '{ printf "%-14s %8.2f  %-30s %8.2f %7s\n", $1, $9, $4, $10,
	($10 > 0 ? sprintf("%.2f", $9 / $10) : "inf") }' "$summary"
echo
echo "notes:"
sed 's/^/  /' "$notes"

# Targets: signature-base ready < 2 s; 1M indicators < 10 s and < 1 GB
# (10^9 bytes) of peak RSS, each for the STIX and the MISP file.
echo
echo "targets:"
awk -F'\t' -v n="$n" '
	function verdict(ok) {
		if ($7 == "" || $7 == 0) return "NOT met (ours accepted nothing, exit " $8 ")"
		return (ok ? "met" : "NOT met") ($8 ? " (ours exited " $8 " in some run)" : "") }
	$1 == "sigbase" && !seen[$1]++ {
		printf "  sigbase ready < 2 s: %.2f s, %s\n", $2, verdict($2 < 2) }
	$1 == "software" && !seen[$1]++ {
		ok = $2 < 1 && $7 > 0
		printf "  software (SBOM vs advisories) < 1 s: %.2f s, %.0f MB, %s\n", $2, $3,
			(ok ? "met" : "NOT met") ($8 > 1 ? " (ours exited " $8 " in some run)" : "") }
	$1 ~ /^(stix|misp)-/ && !seen[$1]++ {
		if (n != 1000000) { printf "  %s: targets are for N=1000000 (n/a)\n", $1; next }
		printf "  %s < 10 s and < 1 GB: %.2f s, %.0f MB, %s\n", $1, $2, $3,
			verdict($2 < 10 && $3 * 1048576 < 1e9) }' "$summary"
for k in "${db_order[@]}"; do
	echo "  case database after $k: ${db_mb[$k]} MB on disk"
done

#!/usr/bin/env bash
# A/B of two chainsweep binaries in CPU cycles (perf stat, user + kernel),
# alternating old and new so that a noisy neighbour hurts both alike.
# Cycles move less than seconds on a shared machine.
#
# usage: bench/ab_cycles.sh OLD_BINARY NEW_BINARY REAL_WORLD [ready|hash|sigall]...
#   ready   signature-base ready to sweep (an empty folder swept): from a case
#           database, with --intel, and `intel import` of its yara/ folder
#   hash    3,000 SHA-256 indicators over AB_HASH_DIR, one thread
#   sigall  signature-base from a case database over AB_SCAN_DIR, 2 threads,
#           and `yara -C -p 2` with the same rules compiled by yarac
# Environment: AB_RUNS (3), AB_HASH_DIR (/usr/lib/x86_64-linux-gnu),
# AB_SCAN_DIR (/usr/bin). Each binary gets its own compiled-rules cache,
# warmed by the first round; medians are left to the reader.
set -euo pipefail
[ $# -ge 4 ] || { sed -n '2,15p' "$0" >&2; exit 2; }
old=$1 new=$2 rw=$3
shift 3
sb=$rw/signature-base
runs=${AB_RUNS:-3}
hash_dir=${AB_HASH_DIR:-/usr/lib/x86_64-linux-gnu}
scan_dir=${AB_SCAN_DIR:-/usr/bin}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir "$t/empty"
ext=(-d filename= -d filepath= -d extension= -d filetype= -d owner=)

cyc() { # LABEL CACHE CMD...
	local l=$1 c=$2
	shift 2
	CHAINSWEEP_CACHE_DIR=$t/cache-$c perf stat -x, -e cycles:u,cycles:k -o "$t/ps" "$@" \
		>/dev/null 2>&1 || true
	awk -F, -v l="$l" '/cycles:u/ { u = $1 } /cycles:k/ { k = $1 }
		END { printf "%-26s %7.2f G cycles (user %6.2f, kernel %5.2f)\n", l, (u + k) / 1e9, u / 1e9, k / 1e9 }' "$t/ps"
}

for c in old new; do
	b=${!c}
	"$b" --db "$t/$c.db" --quiet intel import "$sb/iocs" "$sb/yara" >/dev/null 2>&1 || true
done
for what in "$@"; do
	case $what in
	ready)
		for ((r = 1; r <= runs; r++)); do
			for c in old new; do
				cyc "$c db ready" $c "${!c}" --db "$t/$c.db" --quiet scan files --no-inventory "$t/empty"
			done
			for c in old new; do
				cyc "$c --intel ready" $c "${!c}" --db "$t/x.db" --quiet scan files --no-inventory \
					--intel "$sb/iocs" --intel "$sb/yara" "$t/empty"
			done
			for c in old new; do
				rm -f "$t/imp.db"*
				cyc "$c import yara/" $c "${!c}" --db "$t/imp.db" --quiet intel import "$sb/yara"
			done
		done ;;
	hash)
		python3 -c 'import random
r = random.Random(20261122)
print("sha256")
for _ in range(3000): print("%064x" % r.getrandbits(256))' >"$t/h.csv"
		for ((r = 1; r <= runs; r++)); do
			for c in old new; do
				cyc "$c hash3k 1 thread" $c "${!c}" --db "$t/h.db" --quiet scan files --no-inventory \
					--intel "$t/h.csv" --threads 1 --keep-cache --no-archives "$hash_dir"
			done
		done ;;
	sigall)
		find "$sb/yara" -type f \( -name '*.yar' -o -name '*.yara' \) | sort >"$t/yl"
		: >"$t/ok"
		while IFS= read -r f; do
			yarac "${ext[@]}" "$f" "$t/one.yarc" >/dev/null 2>&1 && echo "$f" >>"$t/ok"
		done <"$t/yl"
		mapfile -t yf <"$t/ok"
		yarac "${ext[@]}" "${yf[@]}" "$t/all.yarc" >/dev/null 2>&1
		for ((r = 1; r <= runs; r++)); do
			for c in old new; do
				cyc "$c sigall db" $c "${!c}" --db "$t/$c.db" --quiet scan files --no-inventory \
					--threads 2 --keep-cache "$scan_dir"
			done
			cyc "yara -C -p 2" none yara -C -N -r -p 2 "$t/all.yarc" "$scan_dir"
		done ;;
	*) echo "unknown: $what" >&2; exit 2 ;;
	esac
done

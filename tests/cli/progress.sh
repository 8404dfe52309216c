#!/usr/bin/env bash
# The one progress line, seen on a terminal (a pseudo-terminal made by
# script(1)): scan files, scan logs and sweep show items, bytes, rate,
# findings so far and the time spent, in one format, and clear the line
# before anything else is printed; with --quiet or a redirected standard
# error nothing of it appears.
# usage: progress.sh CHAINSWEEP_BINARY
set -u
cs=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOME=$tmp CHAINSWEEP_DB=$tmp/case.db
fail=0
bad() { echo "FAIL: $*"; fail=1; }
command -v script >/dev/null || { echo "SKIP: script(1) not installed"; exit 0; }

mkdir -p "$tmp/tree/var/log"
for i in 1 2 3 4 5 6; do head -c 2000000 /dev/zero >"$tmp/tree/f$i.bin"; done
printf 'hello malware\n' >"$tmp/tree/evil.txt"
printf 'filename\nevil.txt\n' >"$tmp/names.csv"
printf 'type,value\ndomain,evil-updates.test\n' >"$tmp/dom.csv"
"$cs" --quiet intel import "$tmp/names.csv" "$tmp/dom.csv" >/dev/null 2>&1 || bad "import"

# A line: "WHAT: N files · X MB · R MB/s · F found · M:SS".
line='(scan files|scan logs|sweep: files|sweep: logs): [0-9,]+ files · [0-9.]+ [MG]B( of [0-9.]+ [MG]B \([0-9]+%\))? · [0-9.]+ MB/s · [0-9,]+ found · [0-9]+:[0-9][0-9]'

tty_run() { script -qefc "$1" "$tmp/typescript" >/dev/null 2>&1; tr '\r' '\n' <"$tmp/typescript" | sed 's/\x1b\[K//g'; }

out=$(tty_run "'$cs' scan files --no-record --max-rate 4 '$tmp/tree'")
echo "$out" | grep -Eq "^scan files: [0-9,]+ files · [0-9.]+ MB · [0-9.]+ MB/s · [0-9,]+ found · 0:0[0-9]" ||
	bad "scan files shows no progress line: $out"
echo "$out" | grep -q "^FOUND name " || bad "scan files: no finding printed: $out"
echo "$out" | grep -Eq "[0-9]FOUND" && bad "a finding printed over the progress line"

out=$(tty_run "(printf 'x cdn.evil-updates.test\n'; sleep 1.5; printf 'y\n') | '$cs' scan logs --no-record -")
echo "$out" | grep -Eq "^scan logs: 1 files · [0-9.]+ MB · [0-9.]+ MB/s · [0-9]+ found · 0:0[0-9]" ||
	bad "scan logs shows no progress line: $out"

out=$(tty_run "'$cs' sweep --root '$tmp/tree' --host t --no-software --max-rate 4")
echo "$out" | grep -Eq "^sweep: files: [0-9,]+ files · [0-9.]+ MB · [0-9.]+ MB/s · [0-9,]+ found" ||
	bad "sweep shows no progress line: $out"
echo "$out" | grep -E "· [0-9]+:[0-9]{2}" | grep -Evq "^$line" && bad "a progress line of another format: $out"

# intel import: files, bytes of the total (the share and an ETA), indicators read.
mkdir -p "$tmp/many"
for i in $(seq 1 4000); do printf 'type,value\ndomain,d%s.example-intel.test\n' "$i" >"$tmp/many/i$i.csv"; done
out=$(tty_run "'$cs' --db '$tmp/import.db' intel import '$tmp/many'")
echo "$out" | grep -Eq "^intel import: [0-9,]+ files · [0-9.]+ MB of [0-9.]+ MB \([0-9]+%\) · [0-9.]+ MB/s · [0-9,]+ indicators · [0-9]+:[0-9][0-9]" ||
	bad "intel import shows no progress line: $(echo "$out" | head -5)"

out=$(tty_run "'$cs' --quiet scan files --no-record --max-rate 4 '$tmp/tree'")
echo "$out" | grep -q " · " && bad "--quiet still shows progress: $out"
out=$("$cs" scan files --no-record --max-rate 4 "$tmp/tree" 2>&1)
echo "$out" | grep -q " · " && bad "progress on a stderr that is not a terminal: $out"

[ $fail -eq 0 ] && echo "progress: all checks passed"
exit $fail

#!/usr/bin/env bash
# `sweep` on the live host runs the process sweep after the files (and
# `sweep --root` does not): a crafted benign process whose executable's
# hash is listed is found, recorded with its process, listed by
# `findings --kind process`, and shown by the JSONL and HTML reports.
# Root only (others' processes); SKIP otherwise.
# usage: tests/cli/live_sweep.sh build/chainsweep
set -u
cs=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
build=$(dirname "$cs")
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: not root (the process sweep reads other processes)"
	exit 0
fi
tmp=$(mktemp -d "$build/live-sweep-XXXXXX")
trap 'exec 3>&-; wait; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cp "$build/cs_proc_target" "$tmp/target"
sha256sum "$tmp/target" | cut -c1-64 >"$tmp/intel.txt"
mkfifo "$tmp/in"
"$tmp/target" <"$tmp/in" >"$tmp/target.out" &
pid=$!
exec 3>"$tmp/in"
for _ in 1 2 3 4 5 6 7 8 9 10; do grep -q ready "$tmp/target.out" && break; sleep 0.2; done
rm "$tmp/target" # deleted: still found through /proc
db="$tmp/case.db"
# Every folder of / excluded: the file sweep ends at once, the processes remain.
"$cs" --db "$db" sweep --intel "$tmp/intel.txt" --exclude '/*' --no-logs --no-software \
	>"$tmp/out.txt" 2>"$tmp/err.txt"
rc=$?
[ "$rc" = 1 ] || fail "sweep exit $rc: $(cat "$tmp/err.txt")"
grep -q "^  Processes (1):" "$tmp/out.txt" || fail "no process in the answer: $(cat "$tmp/out.txt")"
grep -q "pid $pid $tmp/target (deleted): exe  hash sha256" "$tmp/out.txt" ||
	fail "the process is not named: $(cat "$tmp/out.txt")"
grep -q "  processes: .* scanned" "$tmp/out.txt" || fail "no process summary"
"$cs" --db "$db" findings --kind process >"$tmp/f.txt" 2>/dev/null
grep -q "proc hash .*pid $pid " "$tmp/f.txt" || fail "findings: $(cat "$tmp/f.txt")"
"$cs" --db "$db" report --out "$tmp" >/dev/null 2>&1
jq -s -e --argjson p "$pid" 'map(select(.record == "finding" and .kind == "process"
	and .process.pid == $p and .process.exe_deleted == true and .process.place == "exe"))
	| length == 1' "$tmp/findings.jsonl" >/dev/null || fail "JSONL: $(cat "$tmp/findings.jsonl")"
grep -q "<strong>$pid target</strong>" "$tmp/report.html" || fail "HTML: no process tree"
# --json: the summary says what the process sweep saw.
"$cs" --db "$db" --json sweep --exclude '/*' --no-logs --no-software >"$tmp/j.txt" 2>/dev/null
jq -s -e 'map(select(.record == "summary"))[0].processes.scanned >= 1' "$tmp/j.txt" >/dev/null ||
	fail "--json: no process summary"
jq -s -e 'map(select(.record == "finding" and .kind == "process")) | length >= 1' "$tmp/j.txt" \
	>/dev/null || fail "--json: no process finding"
# Under --root the processes are not swept.
mkdir "$tmp/root"
"$cs" --db "$db" sweep --root "$tmp/root" --intel "$tmp/intel.txt" --no-logs --no-software \
	>"$tmp/out2.txt" 2>&1
grep -q "processes:" "$tmp/out2.txt" && fail "--root swept processes"
# Without root: said at once, a partial answer, exit 3 (nothing found).
if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	mkdir -m 1777 "$tmp/nobody"
	chmod 755 "$tmp"
	cp "$tmp/intel.txt" "$tmp/nobody/intel.txt"
	chmod 644 "$tmp/nobody/intel.txt"
	setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$tmp/nobody" \
		"$cs" --db "$tmp/nobody/case.db" scan processes --intel "$tmp/nobody/intel.txt" \
		--no-record >"$tmp/nobody/out.txt" 2>"$tmp/nobody/err.txt"
	rc=$?
	[ "$rc" = 3 ] || fail "not root: exit $rc: $(cat "$tmp/nobody/err.txt")"
	grep -q "not running as root" "$tmp/nobody/err.txt" || fail "not root: not said"
	grep -q "NOT ROOT" "$tmp/nobody/err.txt" || fail "not root: not in the summary"
else
	echo "SKIP: not-root part (no setpriv)"
fi
echo "live sweep: ok"

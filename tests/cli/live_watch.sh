#!/usr/bin/env bash
# `chainsweep watch` end to end (root; SKIP otherwise), on a folder under
# the build tree: intel imported into the case while watching is used
# without restarting, a file written after it is found, moved into the
# quarantine and recorded in the case; `restore` puts it back with its
# bytes and mode. With --kernel-cache a clean program run three times is
# asked about once: its clean verdict is left to the kernel; by default
# (and with --no-kernel-cache, which overrides it) every run is asked
# about (docs/live-host.md).
# usage: tests/cli/live_watch.sh build/chainsweep
set -u
cs=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
build=$(dirname "$cs")
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: not root (fanotify needs it)"
	exit 0
fi
tmp=$(mktemp -d "$build/live-watch-XXXXXX")
wpid=
trap '[ -n "$wpid" ] && kill -INT "$wpid" 2>/dev/null; wait; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
db=$tmp/case.db
printf '%064d\n' 0 >"$tmp/first.txt"
"$cs" --db "$db" --quiet intel import "$tmp/first.txt" >/dev/null 2>&1 || fail "import"
mkdir "$tmp/w"
"$cs" --db "$db" watch --kernel-cache --quarantine "$tmp/q" "$tmp/w" >"$tmp/out.txt" 2>"$tmp/err.txt" &
wpid=$!
sleep 1.5
printf 'rule LiveWatchNew { strings: $m = "CHAINSWEEP-BENIGN-RELOAD-MARKER" condition: $m }\n' \
	>"$tmp/new.yar"
"$cs" --db "$db" --quiet intel import "$tmp/new.yar" >/dev/null 2>&1 || fail "second import"
for _ in $(seq 50); do grep -q "intel version 2 of the case is in use" "$tmp/err.txt" && break; sleep 0.2; done
grep -q "intel version 2 of the case is in use" "$tmp/err.txt" || fail "no reload: $(cat "$tmp/err.txt")"
(umask 027 && printf 'x CHAINSWEEP-BENIGN-RELOAD-MARKER x\n' >"$tmp/w/drop.txt")
for _ in $(seq 30); do grep -q '^QUARANTINED' "$tmp/out.txt" && break; sleep 0.1; done
grep -q "^FOUND $tmp/w/drop.txt  yara yara-rule LiveWatchNew" "$tmp/out.txt" ||
	fail "not found: $(cat "$tmp/out.txt")"
grep -q '^QUARANTINED' "$tmp/out.txt" || fail "not quarantined: $(cat "$tmp/out.txt")"
cp /bin/true "$tmp/w/clean"
for _ in 1 2 3; do "$tmp/w/clean" || fail "clean program denied"; done
kill -INT "$wpid"
wait "$wpid"
wpid=
grep -q "watched with fanotify: .*1 intel reloads" "$tmp/err.txt" || fail "summary: $(tail -1 "$tmp/err.txt")"
grep -q "watched with fanotify: 1 executions decided .*, 1 kernel ignore marks placed" \
	"$tmp/err.txt" || fail "summary: $(tail -1 "$tmp/err.txt")"
[ -e "$tmp/w/drop.txt" ] && fail "still in place after quarantine"
[ "$(stat -c %a "$tmp/q")" = 700 ] || fail "quarantine folder not 0700"
"$cs" --db "$db" findings 2>/dev/null | grep -q "file yara .*drop.txt  yara-rule LiveWatchNew" ||
	fail "not recorded"
id=$("$cs" restore --quarantine "$tmp/q" | awk '{ print $1 }')
"$cs" restore --quarantine "$tmp/q" "$id" | grep -q "^restored $tmp/w/drop.txt" || fail "restore"
[ "$(stat -c %a "$tmp/w/drop.txt")" = 640 ] || fail "mode not kept"
printf 'x CHAINSWEEP-BENIGN-RELOAD-MARKER x\n' | cmp -s - "$tmp/w/drop.txt" || fail "bytes not kept"
"$cs" restore --quarantine "$tmp/q" "$id" >/dev/null 2>&1 && fail "restored twice"
# The default, and --no-kernel-cache after --kernel-cache: every execution
# is asked about, none becomes a mark.
for flags in "" "--kernel-cache --no-kernel-cache"; do
	# shellcheck disable=SC2086 # flags is a list of words
	"$cs" --db "$db" watch --no-record $flags "$tmp/w" >/dev/null 2>"$tmp/err2.txt" &
	wpid=$!
	sleep 1.5
	for _ in 1 2 3; do "$tmp/w/clean" || fail "clean program denied ($flags)"; done
	kill -INT "$wpid"
	wait "$wpid"
	wpid=
	grep -q "watched with fanotify: 3 executions decided .*, 0 kernel ignore marks placed" \
		"$tmp/err2.txt" || fail "summary ($flags): $(tail -1 "$tmp/err2.txt")"
done
echo "live watch: ok"

#!/usr/bin/env bash
# End-to-end tests of the chainsweep command: each tests/cli/cases/NAME.sh
# runs commands against a fresh case database; its standard output and
# error, with every command's exit status, must equal NAME.out.
# Paths are replaced by placeholders ($DATA, $TMP, $RW) so outputs are
# stable. UPDATE=1 rewrites the .out files (review the diff before you
# commit it). Cases whose first line is "# needs: real-world" skip, loudly,
# when ../shared/real-world is absent; "# needs: drop-privileges" ones when
# run as root without setpriv (they run commands as nobody).
set -u
cs=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
rw=${CS_REAL_WORLD:-$top/../shared/real-world}
pass=0 fail=0 skipped=0
for case in "$here"/cases/*.sh; do
	name=$(basename "$case" .sh)
	if head -n 1 "$case" | grep -q 'needs: real-world' && [ ! -d "$rw" ]; then
		echo "SKIP: $name (real-world folder absent)"
		skipped=$((skipped + 1))
		continue
	fi
	if head -n 1 "$case" | grep -q 'needs: drop-privileges' && [ "$(id -u)" = 0 ] &&
		! setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
		echo "SKIP: $name (running as root without setpriv to become nobody)"
		skipped=$((skipped + 1))
		continue
	fi
	tmp=$(mktemp -d)
	got=$(cd "$tmp" && CS="$cs" DATA="$top/tests/data/cli" RW="$rw" TMP="$tmp" \
		DB="$tmp/case.db" HOME="$tmp" CHAINSWEEP_DB= XDG_DATA_HOME= \
		CHAINSWEEP_CACHE_DIR= XDG_CACHE_HOME= \
		bash -u "$case" 2>&1 |
		sed -e "s#$tmp#\$TMP#g" -e "s#$top/tests/data/cli#\$DATA#g" -e "s#$rw#\$RW#g" \
		    -e 's#[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9:]*Z  #<time>  #g')
	rm -rf "$tmp"
	if [ "${UPDATE:-0}" = 1 ]; then
		printf '%s\n' "$got" >"$here/cases/$name.out"
		echo "updated: $name"
		continue
	fi
	if [ "$got" == "$(cat "$here/cases/$name.out" 2>/dev/null)" ]; then
		pass=$((pass + 1))
	else
		echo "FAIL: $name"
		diff -u "$here/cases/$name.out" <(printf '%s\n' "$got") | head -n 60
		fail=$((fail + 1))
	fi
done
echo "cli: $pass passed, $fail failed, $skipped skipped"
[ "$fail" -eq 0 ]

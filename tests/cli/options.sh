#!/usr/bin/env bash
# The command line comes from one option table per command. This checks
# that what is written about it and what it does agree:
#  - docs/cli.md is exactly what the tables generate (chainsweep man --markdown);
#  - every option the README and docs/ name after a chainsweep command
#    exists for that command (or is global), and every option has help;
#  - every command refuses an unknown option and a missing value with exit 2
#    and a message naming them; --opt=value works; a bad number is refused;
#  - the bash completion completes commands, subcommands and options, and
#    the zsh one parses and dispatches (when zsh is installed);
#  - the man page is valid roff (when man is installed).
# usage: options.sh CHAINSWEEP_BINARY
set -u
cs=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
root=$here/../..
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOME=$tmp CHAINSWEEP_DB=$tmp/case.db
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# 1. The reference is generated.
"$cs" man --markdown >"$tmp/cli.md" || bad "man --markdown failed"
if ! diff -u "$root/docs/cli.md" "$tmp/cli.md" >"$tmp/cli.diff"; then
	bad "docs/cli.md differs from 'chainsweep man --markdown' (regenerate it):"
	head -40 "$tmp/cli.diff"
fi

# 2. Documented options exist; options have help.
"$cs" man --options >"$tmp/options" || bad "man --options failed"
[ "$(wc -l <"$tmp/options")" -gt 40 ] || bad "too few options listed"
python3 - "$tmp/options" "$root" <<'EOF' || fail=1
import re, sys, glob, os
opts = {}
for line in open(sys.argv[1]):
    cmd, opt = line.rstrip("\n").split("\t")
    opts.setdefault(cmd, set()).add(opt)
cmds = sorted((c for c in opts if c != "-"), key=len, reverse=True)
glob_opts = opts["-"] | {"--help", "--version"}
root = sys.argv[2]
files = [os.path.join(root, "README.md")] + sorted(glob.glob(os.path.join(root, "docs", "*.md")))
bad = 0
checked = 0
for path in files:
    if path.endswith("cli.md"):
        continue
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        for m in re.finditer(r"chainsweep((?:\s+--?[\w-]+(?:[ =](?!-)\S+)?)*)\s+([a-z]+(?: [a-z]+)?)\b([^`|\n]*)", line):
            words = m.group(2)
            cmd = next((c for c in cmds if words == c or words.startswith(c + " ") or words == c.split()[0] and " " not in c and c == words), None)
            if cmd is None:
                cmd = next((c for c in cmds if words.split()[0] == c), None)
            if cmd is None:
                continue
            rest = m.group(3)
            for o in re.findall(r"(?<![\w-])(--[a-z][\w-]*)", rest):
                checked += 1
                if o not in opts[cmd] and o not in glob_opts:
                    print(f"FAIL: {os.path.relpath(path, root)}:{n}: 'chainsweep {cmd}' has no option {o}")
                    bad = 1
if checked < 20:
    print(f"FAIL: only {checked} documented options found: the scan of the docs is broken")
    bad = 1
sys.exit(bad)
EOF
if grep -q '| *|$' "$tmp/cli.md"; then bad "an option without help in docs/cli.md"; fi

# 3. Errors: every command, an unknown option and a missing value.
cut -f1 "$tmp/options" | sort -u | grep -v '^-$' | while read -r c; do
	# shellcheck disable=SC2086
	out=$("$cs" $c --no-such-option 2>&1)
	rc=$?
	[ $rc -eq 2 ] || echo "FAIL: '$c --no-such-option' exit $rc"
	case $out in *"unknown option '--no-such-option'"*) ;; *) echo "FAIL: '$c': $out" ;; esac
	# shellcheck disable=SC2086
	out=$("$cs" $c --help 2>&1)
	[ $? -eq 0 ] || echo "FAIL: '$c --help' failed"
	case $out in "usage: chainsweep $c "*) ;; *) echo "FAIL: '$c --help' starts: ${out%%$'\n'*}" ;; esac
done | tee "$tmp/err"
[ -s "$tmp/err" ] && fail=1
out=$("$cs" intel ls --limit 2>&1); rc=$?
[ $rc -eq 2 ] && [[ $out == *"--limit needs a value"* ]] || bad "missing value: $rc $out"
out=$("$cs" intel ls --limit x 2>&1); rc=$?
[ $rc -eq 2 ] && [[ $out == *"--limit"* ]] || bad "bad number: $rc $out"
out=$("$cs" --db="$tmp/none.db" intel stats 2>&1); rc=$?
[ $rc -eq 2 ] && [[ $out == *"$tmp/none.db"* ]] || bad "--db=PATH: $rc $out"
out=$("$cs" intel stats --db="$tmp/none.db" 2>&1); rc=$?
[ $rc -eq 2 ] && [[ $out == *"$tmp/none.db"* ]] || bad "global option after the command: $rc $out"
out=$("$cs" findings --kind=bogus 2>&1); rc=$?
[ $rc -eq 2 ] && [[ $out == *"--kind"* ]] || bad "--kind=bogus: $rc $out"
out=$("$cs" intel show --json=1 x 2>&1); rc=$?
[ $rc -eq 2 ] && [[ $out == *"--json takes no value"* ]] || bad "flag with a value: $rc $out"
out=$("$cs" intel bogus 2>&1); rc=$?
[ $rc -eq 2 ] && [[ $out == *"import, ls, stats, show"* ]] || bad "unknown subcommand: $rc $out"
out=$("$cs" bogus 2>&1); rc=$?
[ $rc -eq 2 ] && [[ $out == *"unknown command 'bogus'"* ]] || bad "unknown command: $rc $out"
out=$("$cs" intel show a b 2>&1); rc=$?
[ $rc -eq 2 ] && [[ $out == *"too many arguments"* ]] || bad "too many arguments: $rc $out"

# 4. Completion.
"$cs" completion bash >"$tmp/cs.bash" || bad "completion bash failed"
bash -n "$tmp/cs.bash" || bad "the bash completion does not parse"
cat >"$tmp/comp.sh" <<EOF
source "$tmp/cs.bash"
comp() { COMP_WORDS=("\$@"); COMP_CWORD=\$(( \${#COMP_WORDS[@]} - 1 )); COMPREPLY=(); _chainsweep; echo "\${COMPREPLY[*]}"; }
comp chainsweep sc
comp chainsweep scan ""
comp chainsweep scan files --max-r
comp chainsweep --db x.db intel im
comp chainsweep intel import --for
comp chainsweep sweep --no-sof
EOF
bash "$tmp/comp.sh" >"$tmp/comp.out" 2>&1
printf '%s\n' "scan" "files logs software processes" "--max-rate --max-runtime" "import" "--format" \
	"--no-software" >"$tmp/comp.want"
diff -u "$tmp/comp.want" "$tmp/comp.out" || bad "bash completion"
"$cs" completion zsh >"$tmp/_chainsweep" || bad "completion zsh failed"
if command -v zsh >/dev/null; then
	zsh -n "$tmp/_chainsweep" || bad "the zsh completion does not parse"
	# Stand-ins for zsh's completion functions show what it would offer.
	out=$(zsh -f -c '
		_arguments() { print -r -- "ARGS $*"; }
		_values() { print -r -- "VALUES $*"; }
		_files() { :; }
		source '"$tmp/_chainsweep"' >/dev/null 2>&1
		words=(chainsweep scan files ""); CURRENT=4; _chainsweep
		words=(chainsweep scan ""); CURRENT=3; _chainsweep
		words=(chainsweep ""); CURRENT=2; _chainsweep')
	[[ $out == *"--max-runtime=["* ]] || bad "zsh: scan files options: $out"
	[[ $out == *"VALUES subcommand files logs software processes"* ]] || bad "zsh: scan subcommands: $out"
	[[ $out == *"VALUES command intel scan sweep"* ]] || bad "zsh: commands: $out"
else
	echo "SKIP: zsh not installed (zsh completion only generated)"
fi

# 5. The man page.
"$cs" man >"$tmp/chainsweep.1" || bad "man failed"
if command -v groff >/dev/null; then
	warn=$(groff -man -Tutf8 -ww -z "$tmp/chainsweep.1" 2>&1)
	[ -z "$warn" ] || bad "groff warnings: $warn"
fi
grep -q '^\.SS "scan files"' "$tmp/chainsweep.1" || bad "man page lacks scan files"
grep -q 'max\\-runtime' "$tmp/chainsweep.1" || bad "man page lacks --max-runtime"

[ $fail -eq 0 ] && echo "options: all checks passed"
exit $fail

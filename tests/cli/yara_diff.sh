#!/usr/bin/env bash
# YARA differential test: chainsweep's YARA verdicts against the yara
# command's, on the same files with the same rules and the same externals.
#
#   tests/cli/yara_diff.sh CHAINSWEEP
#
# Builds a crafted, benign tree in a temporary folder: small files that
# carry the strings and headers some signature-base rules look for (3CX,
# Gopuram, configuration files that only match under the right file name
# or path), near-miss decoys, and copies of a few ordinary system files.
# No real malware is copied or written. The tree holds no archive
# (chainsweep descends into archives, yara does not).
#
# Then it compares the set of (file, rule) pairs of
#   chainsweep scan files --intel $SB/yara --json TREE
# with what `yara` reports for each file of the tree, using the same rule
# files (less those chainsweep left out, each in its own namespace, as
# chainsweep compiles them) and the externals chainsweep defines per
# object (lib/scan/object.c, yara_scan): filename = base name, filepath =
# the path as reported, extension = Loki's (Python's os.path.splitext of
# the base name, lower-cased), filetype = by magic (file_type) or "UNKNOWN", owner =
# the owner's user name. Fails, printing both sides of the difference,
# when the sets differ or when fewer than MIN_PAIRS pairs agree.
#
# Skips (exit 0, "SKIP: ...") when $CS_REAL_WORLD/signature-base is absent.
set -euo pipefail
shopt -s extglob

MIN_PAIRS=8

[ $# -eq 1 ] || {
	echo "usage: $0 CHAINSWEEP" >&2
	exit 2
}
cs=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
rw=${CS_REAL_WORLD:-$here/../../../shared/real-world}
sb=$rw/signature-base

if [ ! -d "$sb/yara" ]; then
	echo "SKIP: yara_diff: $sb/yara absent"
	exit 0
fi
for t in yara yarac jq od; do
	command -v "$t" >/dev/null || {
		echo "FAIL: yara_diff: '$t' missing (make deps)" >&2
		exit 1
	}
done

start=$SECONDS
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tree=$(cd "$tmp" && pwd -P)/tree

# ---------------------------------------------------------------- the tree

mkdir -p "$tree"/{etc,notes,docs,bin,win,home/u/.ssh}

# A DOS header, filler, the payload string, trailing zeros.
mz() {
	printf 'MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00'
	head -c 200 /dev/zero | tr '\0' 'A'
	printf '%s' "$1"
	head -c 100 /dev/zero
}

# gen_mal_3cx_compromise_mar23.yar, APT_SUSP_NK_3CX_RC4_Key_Mar23_1:
# MZ and the RC4 key, at the start and 3 MB in. Decoy: the key in a text
# file.
mz '3jB(2bsG#@c7' >"$tree/win/update.dll"
{
	mz ''
	head -c 3000000 /dev/zero
	printf '3jB(2bsG#@c7'
} >"$tree/win/big.dll"
printf 'notes 3jB(2bsG#@c7\n' >"$tree/notes/rc4.txt"
# SUSP_APT_MAL_NK_3CX_Malicious_Samples_Mar23_1: the marker compare
# sequence alone. Decoy: the same bytes cut short.
marker='\x41\x80\x7c\x00\xfd\xfe\x75\x10\x41\x80\x7c\x00\xfe\xed\x75\x10'
marker=$marker'\x41\x80\x7c\x00\xff\xfa\x75\x10\x41\x80\x3c\x00\xce'
printf "$marker" >"$tree/win/marker.bin"
printf "$marker" | head -c 20 >"$tree/win/marker-cut.bin"
# APT_MAL_macOS_NK_3CX_Malicious_Samples_Mar23_1: a Mach-O magic and two
# strings (filetype MACH-O). Decoy: the strings without the magic.
macho_strings='20230313064152Z0 Developer ID Application: 3CX (33CF4654HL)'
{
	printf '\xcf\xfa\xed\xfe\x07\x00\x00\x01'
	head -c 64 /dev/zero
	printf '%s' "$macho_strings"
} >"$tree/bin/libffmpeg.dylib"
printf 'plain %s\n' "$macho_strings" >"$tree/notes/macho-strings.txt"
# SUSP_APT_3CX_Regtrans_Anomaly_Apr23: only the extension ".regtrans-ms"
# and no "REGISTRY" (UTF-16). Decoy: with it.
printf 'some journal bytes\n' >"$tree/win/x.TxR.0.regtrans-ms"
printf 'some journal bytes\n' >"$tree/win/X.TXR.0.REGTRANS-MS"
printf 'some journal bytes\n' >"$tree/win/.regtrans-ms"
printf 'R\0E\0G\0I\0S\0T\0R\0Y\0 data' >"$tree/win/y.TxR.1.regtrans-ms"
# apt_lazarus_gopuram.yar, MAL_Gopuram_Apr23: MZ and a format string.
mz '%s.TxR.0.regtrans-ms' >"$tree/win/gopuram.exe"
printf '%s\n' '%s.TxR.0.regtrans-ms' >"$tree/notes/gopuram.txt"
# Its condition ends "and filesize < 10MB": one byte under (a match) and
# exactly 10 MiB (none). Ruleset variants leave size-bound rules out of
# large files (docs/yara-variants.md); these two sit on the bound.
for size in 10485759 10485760; do
	mz '%s.TxR.0.regtrans-ms' >"$tree/win/gopuram-$size.exe"
	truncate -s "$size" "$tree/win/gopuram-$size.exe"
	[ "$(stat -c %s "$tree/win/gopuram-$size.exe")" -eq "$size" ] || {
		echo "FAIL: yara_diff: gopuram-$size.exe is not $size bytes" >&2
		exit 1
	}
done
# The RC4 key rule takes either of two headers: an OLE file ("\xd0\xcf")
# matches, "ZM" does not.
{
	printf '\xd0\xcf\x11\xe0'
	printf '3jB(2bsG#@c7'
} >"$tree/win/ole.doc"
{
	printf 'ZM\x90\x00'
	printf '3jB(2bsG#@c7'
} >"$tree/win/zm.dll"
# configured_vulns_ext_vars.yar: rules that only match under the right
# file name or path. Decoys: the same content under other names.
printf 'root ALL=(ALL) ALL\nbob ALL=(ALL) NOPASSWD: /usr/bin/vim /etc/hosts\n' >"$tree/etc/sudoers"
cp "$tree/etc/sudoers" "$tree/notes/sudoers.bak"
printf '# exports\n/srv/share 10.0.0.0/8(rw,no_root_squash)\n' >"$tree/etc/exports"
cp "$tree/etc/exports" "$tree/notes/exports"
printf "select AES_ENCRYPT('secret', 'k3y');\n" >"$tree/home/u/.mysql_history"
cp "$tree/home/u/.mysql_history" "$tree/notes/mysql_history.txt"
printf '\nrootpw {SSHA}fsAEyxlFOtvZBwPLAF68zpUhth8lERoR\n' >"$tree/etc/slapd.conf"
cp "$tree/etc/slapd.conf" "$tree/notes/slapd.conf.txt"
printf -- '-----BEGIN RSA PRIVATE KEY-----\nMIIfakefakefake\n-----END RSA PRIVATE KEY-----\n' \
	>"$tree/home/u/.ssh/id_rsa"
cp "$tree/home/u/.ssh/id_rsa" "$tree/docs/key.pem"
# Names that exercise the externals: a space, a trailing dot, several dots,
# no extension, a script (filetype SCRIPT).
printf 'read me\n' >"$tree/notes/read me.txt"
printf 'dot\n' >"$tree/notes/trailing."
printf 'dots\n' >"$tree/notes/a.tar.gz.txt"
printf '#!/bin/sh\necho hello\n' >"$tree/bin/hello"
# Ordinary system files.
for f in /usr/bin/ls /usr/bin/cat /usr/bin/env /etc/services /etc/passwd \
	/usr/share/common-licenses/GPL-3 /usr/share/common-licenses/Apache-2.0; do
	[ -r "$f" ] && cp "$f" "$tree/docs/"
done

# ---------------------------------------------------------------- chainsweep

# --verbose: every diagnostic, so each rule file left out is named.
rc=0
"$cs" --db "$tmp/case.db" --json --verbose scan files --intel "$sb/yara" "$tree" >"$tmp/cs.json" 2>"$tmp/cs.err" || rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
	echo "FAIL: yara_diff: chainsweep scan exited $rc" >&2
	cat "$tmp/cs.err" >&2
	exit 1
fi
jq -r 'select(.record == "finding" and .evidence == "yara") | [.file.path, .yara.rule] | @tsv' \
	"$tmp/cs.json" | sort -u >"$tmp/cs.pairs"
# Again with a ruleset variant for every class of file from its first
# file on (by default only classes with 32 MiB of files get one; one
# thread, so that no class waits for another's build), and once with
# none: the pairs must not change.
for mode in forced off; do
	if [ "$mode" = forced ]; then
		gopt=(--yara-variant-bytes 1)
		sopt=(--threads 1)
	else
		gopt=(--no-yara-variants)
		sopt=()
	fi
	"$cs" --db "$tmp/case.db" --json "${gopt[@]}" scan files --no-inventory "${sopt[@]}" \
		--intel "$sb/yara" "$tree" >"$tmp/cs-mode.json" 2>/dev/null || true
	jq -r 'select(.record == "finding" and .evidence == "yara") | [.file.path, .yara.rule] | @tsv' \
		"$tmp/cs-mode.json" | sort -u >"$tmp/cs-mode.pairs"
	if ! cmp -s "$tmp/cs.pairs" "$tmp/cs-mode.pairs"; then
		echo "FAIL: yara_diff: the pairs differ with ${gopt[*]} ${sopt[*]}" >&2
		diff "$tmp/cs.pairs" "$tmp/cs-mode.pairs" | sed "s#$tree#TREE#g" >&2
		exit 1
	fi
	split=$(jq -r 'select(.record == "summary") | .yara_variants.files' "$tmp/cs-mode.json")
	if [ "$mode" = off ]; then
		[ "$split" = 0 ] || {
			echo "FAIL: yara_diff: $split files scanned with a variant under ${gopt[*]}" >&2
			exit 1
		}
	else
		nsplit=$split
		[ "$split" -gt 10 ] || {
			echo "FAIL: yara_diff: only ${split:-no} files scanned with a variant under ${gopt[*]}" >&2
			exit 1
		}
	fi
done
if [ "$(jq -r 'select(.record == "summary") | .incomplete' "$tmp/cs.json")" != false ]; then
	echo "FAIL: yara_diff: chainsweep's sweep of the tree was incomplete" >&2
	tail -n 1 "$tmp/cs.json" >&2
	exit 1
fi

# Rule files chainsweep did not use: rejected at import (an error line for
# the file) or left out when compiling the set.
{ grep -E ': (error: read as yara|warning: rule file left out of the sweep)' "$tmp/cs.err" || true; } |
	sed -E 's/: (error|warning): .*//' | sort -u >"$tmp/excluded"
find "$sb/yara" -maxdepth 1 -type f \( -name '*.yar' -o -name '*.yara' \) | sort |
	comm -23 - "$tmp/excluded" >"$tmp/rulefiles"

# ---------------------------------------------------------------- yara

# One namespace per file, as chainsweep compiles them.
ext_decl=(-d filename= -d filepath= -d extension= -d filetype= -d owner=)
yargs=()
while IFS= read -r f; do
	yargs+=("ns$((${#yargs[@]} + 1)):$f")
done <"$tmp/rulefiles"
if ! yarac "${ext_decl[@]}" "${yargs[@]}" "$tmp/rules.yarc" >"$tmp/yarac.err" 2>&1; then
	echo "FAIL: yara_diff: yarac does not compile the rule files chainsweep used" >&2
	head -n 20 "$tmp/yarac.err" >&2
	exit 1
fi

# lib/scan/object.c, file_type()
file_type() {
	local m
	m=$(od -An -tx1 -N4 "$1" | tr -d ' \n')
	case $m in
	4d5a*) echo EXE ;;
	7f454c46) echo ELF ;;
	cffaedfe | cefaedfe | cafebabe) echo MACH-O ;;
	504b0304) echo ZIP ;;
	1f8b*) echo GZIP ;;
	52617221) echo RAR ;;
	25504446) echo PDF ;;
	2321*) echo SCRIPT ;;
	*) echo UNKNOWN ;;
	esac
}

# yara -d types a value that looks like a number or a boolean as one; the
# rules declare strings, so such a value would silently not be defined.
typed_like_not_string() {
	[[ $1 =~ ^(true|false|-?[0-9].*)$ ]]
}

: >"$tmp/yara.pairs"
while IFS= read -r -d '' f; do
	base=${f##*/}
	# Loki's extension: os.path.splitext (leading dots are not one),
	# lower-cased.
	stem=${base##+(.)}
	ext=""
	[[ $stem == *.* ]] && ext=.${stem##*.}
	ext=${ext,,}
	owner=$(stat -c %U "$f")
	ftype=$(file_type "$f")
	for v in "$base" "$f" "$ext" "$ftype" "$owner"; do
		if typed_like_not_string "$v"; then
			echo "FAIL: yara_diff: '$v' (for $f) would not pass as a string to yara -d" >&2
			exit 1
		fi
	done
	if ! yara -C -d "filename=$base" -d "filepath=$f" -d "extension=$ext" \
		-d "filetype=$ftype" -d "owner=$owner" "$tmp/rules.yarc" "$f" \
		>"$tmp/yara.out" 2>"$tmp/yara.err"; then
		echo "FAIL: yara_diff: yara failed on $f" >&2
		cat "$tmp/yara.err" >&2
		exit 1
	fi
	awk -v f="$f" '{ print f "\t" $1 }' "$tmp/yara.out" >>"$tmp/yara.pairs"
done < <(find "$tree" -type f -print0)
sort -u -o "$tmp/yara.pairs" "$tmp/yara.pairs"

# ---------------------------------------------------------------- compare

nfiles=$(find "$tree" -type f | wc -l)
nrf=$(wc -l <"$tmp/rulefiles")
nex=$(wc -l <"$tmp/excluded")
both=$(comm -12 "$tmp/cs.pairs" "$tmp/yara.pairs" | wc -l)
secs=$((SECONDS - start))
echo "yara_diff: $nfiles files, $nrf rule files ($nex left out as chainsweep left them out):" \
	"chainsweep $(wc -l <"$tmp/cs.pairs") pairs, yara $(wc -l <"$tmp/yara.pairs"), $both in both;" \
	"the same with a variant for every class ($nsplit files) and with none (${secs} s)"
fail=0
if ! cmp -s "$tmp/cs.pairs" "$tmp/yara.pairs"; then
	echo "FAIL: yara_diff: the (file, rule) pairs differ" >&2
	comm -23 "$tmp/cs.pairs" "$tmp/yara.pairs" | sed "s#^$tree#TREE#; s/^/  chainsweep only: /" >&2
	comm -13 "$tmp/cs.pairs" "$tmp/yara.pairs" | sed "s#^$tree#TREE#; s/^/  yara only:       /" >&2
	fail=1
fi
if [ "$both" -lt "$MIN_PAIRS" ]; then
	echo "FAIL: yara_diff: only $both pairs in both (at least $MIN_PAIRS expected):" \
		"the crafted files no longer trigger their rules" >&2
	fail=1
fi
if [ "$fail" -eq 0 ]; then
	sed "s#^$tree#TREE#; s/^/  /" "$tmp/cs.pairs"
fi
exit "$fail"

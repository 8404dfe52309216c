#!/usr/bin/env bash
# The hostile corpus (issue 14): inputs of every kind the file sweep and the
# log hunt meet, built here by the archivers and compressors of this
# machine, each swept on its own with its peak RSS and wall time measured:
#
#   tests/hostile/corpus.sh CHAINSWEEP [WORKDIR]
#
# WORKDIR (default: the system temp folder) gets a fresh corpus.XXXXXX
# folder that is removed at the end. docs/hostile-corpus.md lists the
# cases. Each case must give the right finding (exit 1, on the member's
# path) or an honest gap (exit 3 with a warning), never a silent clean
# (exit 0), within a memory and a time bound (RSS_MAX_KB, TIME_MAX; looser
# under the sanitizers, CS_SANITIZED=1). A case listed in KNOWN below that
# fails is printed as KNOWN-FAIL with its bug and does not fail the run.
set -u
cs=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
base=${2:-${TMPDIR:-/tmp}}
mkdir -p "$base" || exit 2
W=$(mktemp -d "$base/corpus.XXXXXX") || exit 2
[ -n "${KEEP:-}" ] || trap 'rm -rf "$W"' EXIT
cd "$W" || exit 2

if [ "${CS_SANITIZED:-0}" = 1 ]; then
	RSS_MAX_KB=${RSS_MAX_KB:-1500000}
	TIME_MAX=${TIME_MAX:-120}
else
	RSS_MAX_KB=${RSS_MAX_KB:-600000}
	TIME_MAX=${TIME_MAX:-60}
fi
pass=0 fail=0 kfail=0 skipped=0
results=$W/results.tsv
: >"$results"

# Bugs the corpus found that are not fixed yet: case name -> the bug.
# Each entry: a case-name glob, '|', the bug.
KNOWN=(
	"lzip*|lzip streams are not decompressed: compressed_magic() in lib/scan/archive.c has no lzip magic (\"LZIP\") and open_stream() enables no lzip filter, so a .lz is swept as raw bytes"
	"*.lz|lzip streams are not decompressed (see lzip)"
	"cut-*.lz@*|lzip streams are not decompressed, so their damage is not seen either (see lzip)"
	"lzop*|lzop streams are not decompressed: compressed_magic() has no lzop magic (\"\\x89LZO\") and no lzop filter is enabled (libarchive needs liblzo2 or the lzop program)"
	"*.lzo|lzop streams are not decompressed (see lzop)"
	"cut-*.lzo@*|lzop streams are not decompressed, so their damage is not seen either (see lzop)"
	"*bin.cpio|binary cpio (bin, pwb, hpbin: magic 070707 as a 16-bit word) is not taken for an archive: stream_format() in lib/scan/archive.c knows only the ASCII magics, so the members are never read"
	"*pwb.cpio|binary cpio is not taken for an archive (see bsd-bin.cpio)"
	"cut-*bin.cpio@*|binary cpio is not taken for an archive, so its damage is not seen either (see bsd-bin.cpio)"
	"cut-*pwb.cpio@*|binary cpio is not taken for an archive, so its damage is not seen either (see bsd-bin.cpio)"
	"cut-*.warc@*|WARC is not read, so its damage is not seen either (see bsd.warc)"
	"*.warc|WARC is not read: memory_formats() in lib/scan/archive.c does not enable archive_read_support_format_warc and container_magic() has no WARC magic, so only the raw bytes are scanned"
	"uuencode*|uuencoded files (uuencode, libarchive's uu filter) are not decoded and are swept clean"
	"base64*|base64 uuencoded files (uuencode -m, libarchive's uu filter) are not decoded and are swept clean"
	"lzma-multi|bytes after the end of a compressed stream are neither decoded nor reported: a second .lzma stream after the first is dropped and the sweep is clean (open_stream()/scan_single() never compare what the filter consumed with the file size)"
	"compress-multi|bytes after the end of a compressed stream are neither decoded nor reported (see lzma-multi)"
	"cut-multi.txt.Z@*|bytes after the end of the first stream are dropped (see lzma-multi)"
	"cut-multi.txt.lzma@*|bytes after the end of the first stream are dropped (see lzma-multi)"
	"gzip-trailing|bytes after the end of the gzip stream (here a bzip2 stream holding the payload) are dropped without a word, the sweep is clean (see lzma-multi)"
	"bzip2-trailing|bytes after the end of the bzip2 stream are dropped without a word (see lzma-multi)"
	"lzma-trailing|bytes after the end of the lzma stream are dropped without a word (see lzma-multi)"
	"lz4-trailing|bytes after the end of the lz4 frame are dropped without a word (see lzma-multi)"
	"cut-trail.txt.[gbl]z*@*|bytes after the end of the first stream are dropped without a word (see gzip-trailing)"
	"cut-trail.txt.lzma@*|bytes after the end of the first stream are dropped without a word (see lzma-trailing)"
	"cut-*.Z@*|a cut .Z reads as a shorter one: compress has no end marker, length or checksum, and libarchive's compress filter ends quietly (gzip -d and uncompress accept the cut file too); at most a partial last code could be reported (format limit)"
)

# known NAME: the bug of a known failure, or nothing.
known() {
	local k
	for k in "${KNOWN[@]}"; do
		# shellcheck disable=SC2053
		[[ $1 == ${k%%|*} ]] && printf '%s' "${k#*|}" && return
	done
}

tool() {
	command -v "$1" >/dev/null 2>&1 && return 0
	echo "SKIP: $1 absent"
	skipped=$((skipped + 1))
	return 1
}

# ---- the payload and the intel ----
mkdir intel src src/dir
cat >intel/hello.yar <<'EOF'
rule hello_malware { strings: $a = "hello malware" condition: $a }
EOF
printf 'hello malware\n' >src/dir/evil.bin
sha256sum src/dir/evil.bin | cut -d' ' -f1 >intel/hashes.txt
printf 'evil-domain.com\n' >intel/domains.txt
# Incompressible noise before the payload: the payload is the last member,
# and a cut in the first half of an archive falls before it.
head -c 49152 /dev/urandom >src/noise.bin
{
	head -c 30000 /dev/urandom | base64 -w 76
	cat src/dir/evil.bin
} >src/text.txt

# ---- running and judging one case ----

# sweep NAME files|logs ARGS...: runs chainsweep on the case NAME; output
# in out/NAME, exit code in $rc, peak RSS (KB) in $rss, seconds in $secs.
mkdir out
sweep() {
	local name=$1 what=$2 intel
	shift 2
	if [ "$what" = files ]; then
		intel=(--intel intel/hello.yar --intel intel/hashes.txt --no-inventory)
	else
		intel=(--intel intel/domains.txt)
	fi
	/usr/bin/time -f '%M %e' -o "out/$name.time" "$cs" scan "$what" --no-record \
		--threads 1 "${intel[@]}" "$@" >"out/$name" 2>&1
	rc=$?
	read -r rss secs <<<"$(tail -n 1 "out/$name.time")"
	case $rss in '' | *[!0-9]*) rss=0 ;; esac
	printf '%s\t%s\t%s\t%s\n' "$name" "$rc" "$rss" "${secs:-0}" >>"$results"
}

# verdict NAME WHY: WHY empty is a pass; otherwise a failure, or a known
# failure when KNOWN has the case.
verdict() {
	local name=$1 why=$2
	if [ -z "$why" ]; then
		if [ -n "$(known "$name")" ] && [ "${name#cut-}" = "$name" ]; then
			echo "ok: $name (listed as a known failure: remove it from KNOWN)"
		else
			echo "ok: $name"
		fi
		pass=$((pass + 1))
	elif [ -n "$(known "$name")" ]; then
		echo "KNOWN-FAIL: $name: $why (bug: $(known "$name"))"
		kfail=$((kfail + 1))
	else
		echo "FAIL: $name: $why"
		sed 's/^/    /' "out/$name" | head -n 20
		fail=$((fail + 1))
	fi
}

# bounds: the memory and time bounds, as a reason or nothing.
bounds() {
	if [ "$rss" -gt "$RSS_MAX_KB" ]; then
		printf 'peak RSS %s KB over %s KB' "$rss" "$RSS_MAX_KB"
	elif awk -v s="$secs" -v m="$TIME_MAX" 'BEGIN { exit !(s > m) }'; then
		printf 'took %s s, over %s s' "$secs" "$TIME_MAX"
	fi
}

# fcase NAME EXPECT FILE [ARGS...]: sweeps FILE. EXPECT is
#   member:PATH  exit 1, YARA and hash findings on PATH
#   yara:PATH    exit 1, a YARA finding on PATH (the content is not the
#                payload alone, so the hash cannot match)
#   gap          exit 3 and a warning naming FILE
#   gap:REASON   the same, and REASON in the output
#   hitorgap     exit 1 with a finding, or exit 3 with a warning (damaged
#                input: what was readable is swept, the rest is a gap)
fcase() {
	local name=$1 exp=$2 f=$3 why="" p
	shift 3
	sweep "$name" files "$@" "$f"
	case $exp in
	member:* | yara:*)
		p=${exp#*:}
		if [ "$rc" != 1 ]; then
			why="exit $rc, want 1"
		elif ! grep -qF "FOUND yara $p  yara-rule hello_malware" "out/$name"; then
			why="no YARA finding on $p"
		elif [ "${exp%%:*}" = member ] && ! grep -qF "FOUND hash $p  sha256" "out/$name"; then
			why="no hash finding on $p"
		fi
		;;
	gap*)
		if [ "$rc" != 3 ]; then
			why="exit $rc, want 3 (a gap)"
		elif ! grep -qF "$f" "out/$name" || ! grep -q 'warning' "out/$name"; then
			why="exit 3 without a warning naming $f"
		elif [ "$exp" != gap ] && ! grep -qF "${exp#gap:}" "out/$name"; then
			why="no ${exp#gap:} in the output"
		fi
		;;
	hitorgap)
		if [ "$rc" = 1 ]; then
			grep -q '^FOUND ' "out/$name" || why="exit 1 without a finding"
		elif [ "$rc" = 3 ]; then
			grep -q 'warning' "out/$name" || why="exit 3 without a warning"
		else
			why="exit $rc, want 1 or 3"
		fi
		;;
	esac
	[ -z "$why" ] && why=$(bounds)
	verdict "$name" "$why"
}

# ---- 1. archive formats, payload in the last member at depth 1 ----
# Each built line: NAME|MEMBER|COMMAND (run in src/, writing ../a/NAME).
mkdir a
formats=()
add() { formats+=("$1|$2|$3"); }
if tool zip; then
	add info-stored.zip dir/evil.bin 'zip -q -0 "$o" noise.bin dir/evil.bin'
	add info-deflate.zip dir/evil.bin 'zip -q -9 "$o" noise.bin dir/evil.bin'
	add info-bzip2.zip dir/evil.bin 'zip -q -Z bzip2 "$o" noise.bin dir/evil.bin'
	add info-zip64.zip dir/evil.bin 'zip -q -fz "$o" noise.bin dir/evil.bin'
	add info-stdin.zip y:- 'cat noise.bin dir/evil.bin | zip -q >"$o"'
fi
if tool python3; then
	for m in STORED DEFLATED BZIP2 LZMA; do
		add "py-$m.zip" dir/evil.bin "python3 -c 'import zipfile,sys; z = zipfile.ZipFile(sys.argv[1], \"w\", zipfile.ZIP_$m); z.write(\"noise.bin\"); z.write(\"dir/evil.bin\"); z.close()' \"\$o\""
	done
	# Written to a pipe: sizes only in data descriptors after the data.
	add py-stream.zip dir/evil.bin "python3 -c 'import zipfile,sys; z = zipfile.ZipFile(sys.stdout.buffer, \"w\", zipfile.ZIP_DEFLATED); z.write(\"noise.bin\"); z.write(\"dir/evil.bin\"); z.close()' | cat >\"\$o\""
fi
if tool 7z; then
	for m in Copy Deflate Deflate64 BZip2 LZMA PPMd; do
		add "7z-$m.zip" dir/evil.bin "7z a -bd -tzip -mm=$m \"\$o\" noise.bin dir/evil.bin >/dev/null"
	done
	for m in Copy LZMA LZMA2 PPMd BZip2 Deflate; do
		add "7z-$m.7z" dir/evil.bin "7z a -bd -ms=off -m0=$m \"\$o\" noise.bin dir/evil.bin >/dev/null"
	done
	add 7z-solid.7z dir/evil.bin '7z a -bd -ms=on "$o" noise.bin dir/evil.bin >/dev/null'
	add 7z-bcj.7z dir/evil.bin '7z a -bd -mf=BCJ "$o" noise.bin dir/evil.bin >/dev/null'
	add 7z-delta.7z dir/evil.bin '7z a -bd -mf=Delta:4 "$o" noise.bin dir/evil.bin >/dev/null'
	add 7z-hc-off.7z dir/evil.bin '7z a -bd -mhc=off "$o" noise.bin dir/evil.bin >/dev/null'
fi
if tool tar; then
	for f in gnu oldgnu pax ustar v7; do
		add "gnu-$f.tar" dir/evil.bin "tar --format=$f -cf \"\$o\" noise.bin dir/evil.bin"
	done
fi
if tool bsdtar; then
	for f in ustar pax paxr gnutar v7tar; do
		add "bsd-$f.tar" dir/evil.bin "bsdtar --format $f -cf \"\$o\" noise.bin dir/evil.bin"
	done
	for f in odc newc bin pwb; do
		add "bsd-$f.cpio" dir/evil.bin "bsdtar --format $f -cf \"\$o\" noise.bin dir/evil.bin"
	done
	for f in ar argnu arbsd arsvr4; do
		add "bsd-$f.a" evil.bin "bsdtar --format $f -cf \"\$o\" noise.bin dir/evil.bin"
	done
	for m in store deflate bzip2 lzma1 lzma2 ppmd; do
		add "bsd-$m.7z" dir/evil.bin "bsdtar --format 7zip --options 7zip:compression=$m -cf \"\$o\" noise.bin dir/evil.bin"
	done
	for m in store deflate; do
		add "bsd-$m.zip" dir/evil.bin "bsdtar --format zip --options zip:compression=$m -cf \"\$o\" noise.bin dir/evil.bin"
	done
	add bsd-rr.iso dir/evil.bin 'bsdtar --format iso9660 -cf "$o" noise.bin dir/evil.bin'
	add bsd-joliet.iso dir/evil.bin 'bsdtar --format iso9660 --options iso9660:!rockridge -cf "$o" noise.bin dir/evil.bin'
	add bsd-zisofs.iso dir/evil.bin 'bsdtar --format iso9660 --options iso9660:zisofs -cf "$o" noise.bin dir/evil.bin'
	for m in none gzip bzip2 lzma xz; do
		add "bsd-$m.xar" dir/evil.bin "bsdtar --format xar --options xar:compression=$m -cf \"\$o\" noise.bin dir/evil.bin"
	done
	add bsd.warc dir/evil.bin 'bsdtar --format warc -cf "$o" noise.bin dir/evil.bin'
	add bsd.shar y: 'bsdtar --format shar -cf "$o" noise.bin dir/evil.bin'
fi
if tool cpio; then
	for f in newc crc odc bin ustar hpodc hpbin; do
		add "gnu-$f.cpio" dir/evil.bin "printf 'noise.bin\ndir/evil.bin\n' | cpio -o -H $f --quiet >\"\$o\""
	done
fi
if tool ar; then
	add gnu.a evil.bin 'ar rc "$o" noise.bin dir/evil.bin'
	cp src/dir/evil.bin src/dir/evil-payload-long-name.bin
	add gnu-long.a evil-payload-long-name.bin 'ar rc "$o" noise.bin dir/evil-payload-long-name.bin'
	add bsd-long.a evil-payload-long-name.bin 'bsdtar --format arbsd -cf "$o" noise.bin dir/evil-payload-long-name.bin'
fi
if tool shar; then
	add gnu.shar y: 'shar -q noise.bin dir/evil.bin >"$o"'
fi

built=()
for spec in "${formats[@]}"; do
	IFS='|' read -r name member cmd <<<"$spec"
	if ! (cd src && o=../a/$name && eval "$cmd") >/dev/null 2>&1 || [ ! -s "a/$name" ]; then
		echo "SKIP: $name: the tool could not write it"
		skipped=$((skipped + 1))
		rm -f "a/$name"
		continue
	fi
	built+=("$name")
	case $member in
	y:) fcase "$name" "yara:a/$name" "a/$name" ;; # text: the payload in the file itself
	y:*) fcase "$name" "yara:a/$name!/${member#y:}" "a/$name" ;; # the payload after other bytes
	*) fcase "$name" "member:a/$name!/$member" "a/$name" ;;
	esac
done

# ---- 2. compressed text of every codec ----
# NAME|EXT|COMMAND reading stdin, writing stdout.
codecs=()
codec() { tool "$3" && codecs+=("$1|$2|$4"); }
codec gzip gz gzip 'gzip -c'
codec bzip2 bz2 bzip2 'bzip2 -c'
codec xz xz xz 'xz -c'
codec lzma lzma xz 'xz -c --format=lzma'
codec zstd zst zstd 'zstd -q -c'
codec lz4 lz4 lz4 'lz4 -q -c'
codec compress Z compress 'compress -c'
codec lzip lz lzip 'lzip -c'
codec lzop lzo lzop 'lzop -c'
codec uuencode uu uuencode 'uuencode payload'
codec base64 b64 uuencode 'uuencode -m payload'
mkdir c
for spec in "${codecs[@]}"; do
	IFS='|' read -r name ext cmd <<<"$spec"
	# The payload alone: its hash and the rule on the decompressed member.
	eval "$cmd" <src/dir/evil.bin >"c/evil.bin.$ext"
	fcase "$name" "member:c/evil.bin.$ext!/evil.bin" "c/evil.bin.$ext"
	# The payload at the end of 40 KB of text.
	eval "$cmd" <src/text.txt >"c/text.txt.$ext"
	fcase "$name-text" "yara:c/text.txt.$ext!/text.txt" "c/text.txt.$ext"
	case $name in uuencode | base64) continue ;; esac
	# Two streams one after the other, the payload in the second.
	{
		head -c 20000 /dev/urandom | base64 | eval "$cmd"
		eval "$cmd" <src/dir/evil.bin
	} >"c/multi.txt.$ext"
	fcase "$name-multi" "yara:c/multi.txt.$ext!/multi.txt" "c/multi.txt.$ext"
	# A tar inside.
	tar -C src -cf - noise.bin dir/evil.bin | eval "$cmd" >"c/tar.$ext"
	fcase "tar.$ext" "member:c/tar.$ext!/dir/evil.bin" "c/tar.$ext"
	# Another codec's stream after the end of this one, the payload in
	# it: decoded, or reported, never dropped.
	{
		eval "$cmd" <src/noise.bin
		if [ "$name" = gzip ]; then bzip2 -c; else gzip -c; fi <src/dir/evil.bin
	} >"c/trail.txt.$ext"
	fcase "$name-trailing" hitorgap "c/trail.txt.$ext"
done

# ---- 3. truncated: every archive and compressed file above, cut ----
# A cut in the first half, at three quarters and one byte short: what is
# left is swept and the damage reported, never a clean sweep.
mkdir t
for f in a/* c/*; do
	# Text is text: cut short, it holds less, and says nothing false.
	case $f in *.shar | *.uu | *.b64) continue ;; esac
	n=$(stat -c %s "$f")
	[ "$n" -lt 64 ] && continue
	for cut in $((n / 2)) $((n * 3 / 4)) $((n - 1)); do
		b=${f#*/}
		head -c "$cut" "$f" >"t/$cut-$b"
		fcase "cut-$b@$cut" hitorgap "t/$cut-$b"
		rm -f "t/$cut-$b"
	done
done

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
W=$(mktemp -d "$base/corpus.XXXXXX") && W=$(cd "$W" && pwd) || exit 2
[ -n "${KEEP:-}" ] || trap 'rm -rf "$W"' EXIT
cd "$W" || exit 2

if [ "${CS_SANITIZED:-0}" = 1 ]; then
	RSS_MAX_KB=${RSS_MAX_KB:-1500000}
	TIME_MAX=${TIME_MAX:-120}
else
	RSS_MAX_KB=${RSS_MAX_KB:-600000}
	TIME_MAX=${TIME_MAX:-60}
fi
pass=0 fail=0 kfail=0 skipped=0 limits=0
results=$W/results.tsv
: >"$results"

# Bugs the corpus found that are not fixed yet: case name -> the bug.
# Each entry: a case-name glob, '|', the bug.
KNOWN=(
)

# known NAME: sets $bug to the bug of a known failure, or empty.
known() {
	local k
	bug=""
	for k in "${KNOWN[@]}"; do
		# shellcheck disable=SC2053
		[[ $1 == ${k%%|*} ]] && bug=${k#*|} && return
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
	local name=$1 what=$2 intel tl
	shift 2
	if [ "$what" = files ]; then
		intel=(--intel intel/hello.yar --intel intel/hashes.txt --no-inventory)
	else
		intel=(--intel intel/domains.txt)
	fi
	/usr/bin/time -f '%M %e' -o "out/$name.time" "$cs" scan "$what" --no-record \
		--threads 1 "${intel[@]}" "$@" >"out/$name" 2>&1
	rc=$?
	mapfile -t tl <"out/$name.time"
	read -r rss secs <<<"${tl[${#tl[@]} - 1]:-}"
	case $rss in '' | *[!0-9]*) rss=0 ;; esac
	printf '%s\t%s\t%s\t%s\n' "$name" "$rc" "$rss" "${secs:-0}" >>"$results"
}

# verdict NAME WHY: WHY empty is a pass; otherwise a failure, or a known
# failure when KNOWN has the case.
verdict() {
	local name=$1 why=$2
	known "$name"
	if [ -z "$why" ]; then
		if [ -n "$bug" ] && [ "${name#cut-}" = "$name" ]; then
			echo "ok: $name (listed as a known failure: remove it from KNOWN)"
		else
			echo "ok: $name"
		fi
		pass=$((pass + 1))
	elif [ -n "$bug" ]; then
		echo "KNOWN-FAIL: $name: $why (bug: $bug)"
		kfail=$((kfail + 1))
	else
		echo "FAIL: $name: $why"
		sed 's/^/    /' "out/$name" | head -n 20
		fail=$((fail + 1))
	fi
}

# bounds: sets $why to the memory or time bound broken, if one is.
bounds() {
	if [ "$rss" -gt "$RSS_MAX_KB" ]; then
		why="peak RSS $rss KB over $RSS_MAX_KB KB"
	elif [ "${secs%.*}" -ge "$TIME_MAX" ]; then
		why="took $secs s, over $TIME_MAX s"
	fi
}

# fcase NAME EXPECT FILE [ARGS...]: sweeps FILE. EXPECT is
#   member:PATH  exit 1, YARA and hash findings on PATH
#   yara:PATH    exit 1, a YARA finding on PATH (the content is not the
#                payload alone, so the hash cannot match)
#   yara-in:PATH exit 1, a YARA finding on a member whose path starts PATH
#   deep:FILE    exit 1, a hash finding on a member somewhere inside FILE
#                (nested: the payload itself was reached)
#   gap          exit 3 and a warning naming FILE (or exit 1: a finding
#                in the raw bytes, and the gap reported too)
#   gap:REASON   the same, and REASON in the output
#   hitorgap     exit 1 with a finding, or exit 3 with a warning (damaged
#                input: what was readable is swept, the rest is a gap)
#   zcut         a cut .Z: as hitorgap, or exit 0 when the cut file is
#                itself a valid .Z file, byte for byte what compress writes
#                for its own content (checked here with the compress tool):
#                the format has no end marker, length or checksum, so no
#                reader can tell such a cut (docs/decisions.md). Counted
#                apart as a format limit.
fcase() {
	local name=$1 exp=$2 f=$3 why="" p limit=
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
		if [ "$rc" != 3 ] && [ "$rc" != 1 ]; then
			why="exit $rc, want 3 (a gap; 1 when the raw bytes hold the payload)"
		elif ! grep -qF "$f" "out/$name" || ! grep -q 'warning' "out/$name"; then
			why="exit $rc without a warning naming $f"
		elif [ "$exp" != gap ] && ! grep -qF "${exp#gap:}" "out/$name"; then
			why="no ${exp#gap:} in the output"
		fi
		;;
	deep:*)
		p=${exp#deep:}
		if [ "$rc" != 1 ]; then
			why="exit $rc, want 1"
		elif ! grep -qF "FOUND hash $p!/" "out/$name"; then
			why="no hash finding on a member inside $p"
		fi
		;;
	yara-in:*)
		p=${exp#*:}
		if [ "$rc" != 1 ]; then
			why="exit $rc, want 1"
		elif ! grep -F "FOUND yara $p" "out/$name" | grep -qF "  yara-rule hello_malware"; then
			why="no YARA finding under $p"
		fi
		;;
	hitorgap | zcut)
		if [ "$rc" = 1 ]; then
			grep -q '^FOUND ' "out/$name" || why="exit 1 without a finding"
		elif [ "$rc" = 3 ]; then
			grep -q 'warning' "out/$name" || why="exit 3 without a warning"
		elif [ "$exp" = zcut ] && [ "$rc" = 0 ] && uncompress -c <"$f" 2>/dev/null |
			compress -c 2>/dev/null | cmp -s - "$f"; then
			limit="format limit: the cut file is a valid .Z of its own"
		else
			why="exit $rc, want 1 or 3"
		fi
		;;
	esac
	[ -z "$why" ] && bounds
	if [ -n "$limit" ] && [ -z "$why" ]; then
		echo "ok: $name ($limit)"
		pass=$((pass + 1))
		limits=$((limits + 1))
		return
	fi
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

echo "-- section 2 at ${SECONDS}s"
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
	# Formats that concatenate (gzip, bzip2, xz, zstd, lz4, lzip) decode
	# on into the second stream; lzma-alone and compress have no such
	# thing, so the second stream is bytes after the end of the first,
	# scanned as an object of their own.
	case $name in
	lzma | compress) want="yara-in:c/multi.txt.$ext!/trailing-bytes@" ;;
	*) want="yara:c/multi.txt.$ext!/multi.txt" ;;
	esac
	fcase "$name-multi" "$want" "c/multi.txt.$ext"
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

echo "-- section 3 at ${SECONDS}s"
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
		case $b in *.Z) exp=zcut ;; *) exp=hitorgap ;; esac
		fcase "cut-$b@$cut" "$exp" "t/$cut-$b"
		rm -f "t/$cut-$b"
	done
done

echo "-- section 4 at ${SECONDS}s"
# ---- 4. nested two and three deep ----
# wrap FMT IN OUT: OUT holds IN (a file in the current folder) in format
# FMT; prints the member name IN has in OUT.
wrap() {
	case $1 in
	zip) zip -q -j "$3" "$2" ;;
	tar) tar -cf "$3" "$2" ;;
	tgz) tar -czf "$3" "$2" ;;
	cpio) printf '%s\n' "$2" | cpio -o -H newc --quiet >"$3" ;;
	ar) ar rc "$3" "$2" ;;
	7z) 7z a -bd "$3" "$2" >/dev/null ;;
	iso) bsdtar --format iso9660 -cf "$3" "$2" ;;
	xar) bsdtar --format xar -cf "$3" "$2" ;;
	gz) gzip -c "$2" >"$3" ;;
	bz2) bzip2 -c "$2" >"$3" ;;
	xz) xz -c "$2" >"$3" ;;
	zst) zstd -q -c "$2" >"$3" ;;
	lz4) lz4 -q -c "$2" >"$3" ;;
	Z) compress -c "$2" >"$3" ;;
	esac
}
# nest NAME FMT... (outermost first): builds n/NAME.FMT1 around the
# payload; prints the payload's path.
nest() {
	local name=$1 i fmt in=evil.bin out path="" members=()
	shift
	cp src/dir/evil.bin n/evil.bin
	local fmts=("$@")
	for ((i = ${#fmts[@]} - 1; i >= 0; i--)); do
		fmt=${fmts[i]}
		out=$name-$i.$fmt
		(cd n && wrap "$fmt" "$in" "$out" && rm -f "$in") || return 1
		members=("$in" "${members[@]}")
		in=$out
	done
	path=n/$in
	for i in "${members[@]}"; do
		path=$path!/$i
	done
	printf '%s' "$path"
}
mkdir n
nf=(zip tar tgz cpio ar 7z iso xar gz bz2 xz zst lz4 Z)
for ((i = 0; i < ${#nf[@]}; i++)); do
	a=${nf[i]} b=${nf[(i + 1) % ${#nf[@]}]} c=${nf[(i + 5) % ${#nf[@]}]}
	p=$(nest "n2-$a" "$a" "$b") && fcase "nest-$a-$b" "deep:${p%%!*}" "${p%%!*}"
	p=$(nest "n3-$a" "$a" "$c" "$b") && fcase "nest-$a-$c-$b" "deep:${p%%!*}" "${p%%!*}"
done
# Inside the formats the sweep does not open as archives, nothing may
# hide: a gzip of the payload in a binary cpio, a WARC.
(cd n && gzip -c ../src/dir/evil.bin >evil.bin.gz &&
	bsdtar --format bin -cf hid.cpio evil.bin.gz && bsdtar --format warc -cf hid.warc evil.bin.gz)
fcase bin-cpio-gz hitorgap n/hid.cpio
fcase warc-gz hitorgap n/hid.warc

echo "-- section 5 at ${SECONDS}s"
# ---- 5. encrypted: the member cannot be read, a gap ----
mkdir e
if tool zip; then
	(cd src && zip -q -P secret ../e/zipcrypto.zip noise.bin dir/evil.bin)
	fcase zipcrypto gap:archive-encrypted e/zipcrypto.zip
fi
if tool 7z; then
	(cd src && 7z a -bd -tzip -psecret -mem=AES256 ../e/aes.zip noise.bin dir/evil.bin >/dev/null)
	fcase zip-aes gap:archive-encrypted e/aes.zip
	(cd src && 7z a -bd -psecret ../e/data.7z noise.bin dir/evil.bin >/dev/null)
	fcase 7z-encrypted gap:archive-encrypted e/data.7z
	(cd src && 7z a -bd -psecret -mhe=on ../e/headers.7z noise.bin dir/evil.bin >/dev/null)
	fcase 7z-encrypted-headers gap e/headers.7z
fi

echo "-- section 6 at ${SECONDS}s"
# ---- 6. the caps, at their limits ----
mkdir l
# Nesting depth: four archives open with --archive-depth 4, a fifth not.
p=$(nest d4 zip tar zip tar) && fcase depth-4-of-4 "member:$p" "${p%%!*}"
p=$(nest d5 zip tar zip tar zip) && fcase depth-5-of-4 gap:archive-too-deep "${p%%!*}"
p=$(nest d2 tgz zip) && fcase depth-2-of-2 "deep:${p%%!*}" "${p%%!*}" --archive-depth 2
p=$(nest d3 tgz zip 7z) && fcase depth-3-of-2 gap:archive-too-deep "${p%%!*}" --archive-depth 2
# Members: the payload as member 50 and as member 51 of a cap of 50.
mkdir l/m
for i in $(seq -w 1 49); do printf '%s\n' "$i" >"l/m/f$i"; done
cp src/dir/evil.bin l/m/z-evil.bin
(cd l/m && zip -q ../m50.zip f* z-evil.bin && printf 'x\n' >f50 && zip -q ../m51.zip f* z-evil.bin)
fcase members-50-of-50 "member:l/m50.zip!/z-evil.bin" l/m50.zip --archive-max-members 50
fcase members-51-of-50 gap l/m51.zip --archive-max-members 50
# The YARA size cap, --yara-max-size 1M: a file of 1 MiB - 1, 1 MiB and
# 1 MiB + 1 bytes (random) with the payload in its last bytes; and a
# zipped member (of zeros, the ratio cap lifted) one byte under, at and
# over what the thread may hold besides the zip around it.
zmember() { # zmember N: l/zN.zip holding zN.bin of N bytes; prints its size
	{
		head -c $(($1 - 14)) /dev/zero
		cat src/dir/evil.bin
	} >"l/z$1.bin"
	(cd l && zip -q -9 "z$1.zip" "z$1.bin" && rm "z$1.bin" && stat -c %s "z$1.zip")
}
zs=$(zmember 1047000)
rm -f l/z1047000.zip
zs=$(zmember $((1048576 - zs))) # the zip's own size at about that size
lift=(--yara-max-size 1M --archive-max-ratio 100000)
for d in -1 0 1; do
	n=$((1048576 + d))
	{
		head -c $((n - 14)) /dev/urandom
		cat src/dir/evil.bin
	} >"l/big$d.bin"
	m=$((1048576 - zs + d))
	zmember "$m" >/dev/null
	# A file on disk over the cap is YARA-scanned in blocks (a hit either
	# way); a member over it is not held: a gap.
	if [ "$d" -le 0 ]; then
		fcase "yara-cap-file$d" "yara:l/big$d.bin" "l/big$d.bin" --yara-max-size 1M
		fcase "yara-cap-member$d" "yara:l/z$m.zip!/z$m.bin" "l/z$m.zip" "${lift[@]}"
	else
		fcase "yara-cap-file+$d" "yara:l/big$d.bin" "l/big$d.bin" --yara-max-size 1M
		fcase "yara-cap-member+$d" gap:yara-too-large "l/z$m.zip" "${lift[@]}"
	fi
	rm -f "l/big$d.bin" "l/z$m.zip"
done
rm -f l/z*.zip
# Bombs: 32 MiB of zeros then the payload, through every codec and in a
# zip and a 7z; the ratio cap (200) stops each: a gap, in bounded memory.
{
	head -c 33554432 /dev/zero
	cat src/dir/evil.bin
} >l/zeros.bin
for spec in "${codecs[@]}"; do
	IFS='|' read -r name ext cmd <<<"$spec"
	case $name in uuencode | base64) continue ;; esac
	eval "$cmd" <l/zeros.bin >"l/bomb.$ext"
	fcase "bomb-$name" gap:archive-bomb "l/bomb.$ext"
	rm -f "l/bomb.$ext"
done
(cd l && zip -q -9 bomb.zip zeros.bin) && fcase bomb-zip gap:archive-bomb l/bomb.zip
(cd l && 7z a -bd bomb.7z zeros.bin >/dev/null) && fcase bomb-7z gap:archive-bomb l/bomb.7z
(cd l && tar -cf - zeros.bin | xz -c >bomb.txz) && fcase bomb-tar.xz gap:archive-bomb l/bomb.txz
rm -f l/zeros.bin l/bomb.*
# 7z coders whose properties ask for a large dictionary or model: read
# from the headers before libarchive (which would allocate it) opens the
# archive (lib/scan/sevenz_check.c). 7z shrinks the dictionary to the
# data, so it is patched in, the header CRCs fixed after: 1.5 GiB in a
# folder's LZMA2, 4 GiB in a PPMd model, 1.5 GiB in the packed header's
# own LZMA, each an archive-bomb gap; 256 MiB (the cap) is read.
# p7z FILE PATTERN-HEX OFFSET NEW-HEX: the first PATTERN in the next header,
# NEW written OFFSET bytes after its start.
p7z() {
	python3 - "$@" <<'PY'
import struct, sys, zlib
f, pat, at, new = sys.argv[1], bytes.fromhex(sys.argv[2]), int(sys.argv[3]), bytes.fromhex(sys.argv[4])
d = bytearray(open(f, 'rb').read())
off, size = struct.unpack('<QQ', d[12:28])
h = 32 + off
i = d.index(pat, h, h + size) + at
d[i:i + len(new)] = new
d[28:32] = struct.pack('<I', zlib.crc32(d[h:h + size]))
d[8:12] = struct.pack('<I', zlib.crc32(d[12:32]))
open(f, 'wb').write(d)
PY
}
if tool 7z && tool python3; then
	(cd src && 7z a -bd -mhc=off -m0=LZMA2 ../l/d.7z noise.bin dir/evil.bin >/dev/null)
	cp l/d.7z l/dict-1536m.7z && p7z l/dict-1536m.7z 212101 3 25 &&
		fcase 7z-lzma2-dict-1536m gap:archive-bomb l/dict-1536m.7z
	cp l/d.7z l/dict-256m.7z && p7z l/dict-256m.7z 212101 3 20 &&
		fcase 7z-lzma2-dict-256m "member:l/dict-256m.7z!/dir/evil.bin" l/dict-256m.7z
	cp l/d.7z l/hdrcrc.7z && python3 -c 'import sys; f = sys.argv[1]; d = bytearray(open(f, "rb").read()); d[-3] ^= 0x55; open(f, "wb").write(d)' l/hdrcrc.7z &&
		fcase 7z-header-crc gap:archive-corrupt l/hdrcrc.7z
	(cd src && 7z a -bd -mhc=off -m0=PPMd ../l/p.7z noise.bin dir/evil.bin >/dev/null) &&
		p7z l/p.7z 23030401 6 ffffffff && fcase 7z-ppmd-4g gap:archive-bomb l/p.7z
	(cd src && 7z a -bd ../l/h.7z noise.bin dir/evil.bin >/dev/null) &&
		p7z l/h.7z 2303010105 6 00000060 && fcase 7z-header-lzma-1536m gap:archive-bomb l/h.7z
	rm -f l/*.7z
fi

echo "-- section 7 at ${SECONDS}s"
# ---- 7. files and members at every power of two +- 1 around the read
# sizes: the payload in the last bytes of a file of 2^k - 1, 2^k and
# 2^k + 1 bytes, and across the byte 2^k; on its own and in a tar ----
mkdir p
for k in 16 20 22 24; do
	for d in -1 0 1; do
		n=$(((1 << k) + d))
		f=p/s$k$d.bin
		{
			head -c $((n - 14)) /dev/urandom
			cat src/dir/evil.bin
		} >"$f"
		fcase "size-2^$k$d" "yara:$f" "$f"
		[ "$k" -le 22 ] && (cd p && tar -cf "s$k$d.tar" "s$k$d.bin") &&
			fcase "size-2^$k$d-in-tar" "yara:p/s$k$d.tar!/s$k$d.bin" "p/s$k$d.tar"
		rm -f "$f" "p/s$k$d.tar"
	done
	f=p/across$k.bin
	{
		head -c $(((1 << k) - 6)) /dev/urandom
		cat src/dir/evil.bin
		head -c 1000 /dev/urandom
	} >"$f"
	fcase "across-2^$k" "yara:$f" "$f"
	rm -f "$f"
done

echo "-- section 8 at ${SECONDS}s"
# ---- 8. hostile names and entries ----
mkdir h h/src
cp src/dir/evil.bin h/src/e.bin
long=$(printf 'd%.0s' $(seq 1 120))/$(printf 'e%.0s' $(seq 1 120))
mkdir -p "h/src/$long" && cp src/dir/evil.bin "h/src/$long/evil.bin"
(cd h/src && tar --format=gnu -cf ../longname-gnu.tar "$long/evil.bin" &&
	tar --format=pax -cf ../longname-pax.tar "$long/evil.bin" &&
	zip -q ../longname.zip "$long/evil.bin")
fcase longname-gnu.tar "member:h/longname-gnu.tar!/$long/evil.bin" h/longname-gnu.tar
fcase longname-pax.tar "member:h/longname-pax.tar!/$long/evil.bin" h/longname-pax.tar
fcase longname.zip "member:h/longname.zip!/$long/evil.bin" h/longname.zip
# Names that climb out or start at the root: read, never written.
(cd h/src && tar --format=pax -P -cf ../dotdot.tar --transform 's,^,../../,' e.bin &&
	tar --format=pax -P -cf ../abs.tar --transform 's,^,/etc/,' e.bin)
fcase dotdot.tar "member:h/dotdot.tar!/../../e.bin" h/dotdot.tar
fcase abs.tar "member:h/abs.tar!/etc/e.bin" h/abs.tar
[ -e /etc/e.bin ] && echo "FAIL: /etc/e.bin written" && fail=$((fail + 1))
# A sparse member: 8 MiB of hole, then the payload.
(cd h/src && truncate -s 8M sparse.bin && cat e.bin >>sparse.bin &&
	tar --sparse --format=gnu -cf ../sparse-gnu.tar sparse.bin &&
	tar --sparse --format=pax --sparse-version=1.0 -cf ../sparse-pax.tar sparse.bin && rm sparse.bin)
fcase sparse-gnu.tar "yara:h/sparse-gnu.tar!/sparse.bin" h/sparse-gnu.tar
fcase sparse-pax.tar "yara:h/sparse-pax.tar!/sparse.bin" h/sparse-pax.tar
# The same name twice, the payload in the second.
(cd h/src && printf 'first\n' >dup.bin && tar -cf ../dup.tar dup.bin && cp e.bin dup.bin &&
	tar -rf ../dup.tar dup.bin)
fcase dup.tar "member:h/dup.tar!/dup.bin" h/dup.tar
# Empty archives and an empty compressed stream: clean, and complete.
(cd h && tar -cf empty.tar --files-from /dev/null && : | gzip >empty.gz)
for f in empty.tar empty.gz; do
	sweep "$f" files "h/$f"
	why=""
	if [ "$rc" = 0 ] || [ "$rc" = 3 ]; then bounds; else why="exit $rc, want 0 or 3"; fi
	verdict "$f" "$why"
done

echo "-- section 9 at ${SECONDS}s"
# ---- 9. logs: the domain at every power of two +- 1 around 4 MiB (a
# chunk cut in a long line: chunks are 512 KiB) and the 1 MiB line cap,
# plain and gzip ----
mkdir g
cat >g/gen.py <<'PY'
# gen.py OUT START LEN COL: 64-byte filler lines up to byte START, then a
# line of LEN bytes with the domain at column COL (space around it), then
# 64 KiB of filler; prints the line number of the domain. LEN 0: START is
# the domain's offset in a file of short lines.
import sys
out, start, ln, col = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
dom = b"evil-domain.com"
fill = b"2026-01-01T00:00:00Z host app[1]: an ordinary line of the log .\n"
assert len(fill) == 64
with open(out, "wb") as f:
    pos, lines = 0, 0
    if ln == 0:
        while start - pos > 200:
            f.write(fill); pos += 64; lines += 1
        r = start - pos
        f.write((b"y" if r % 2 else b"") + b"x " * (r // 2) + dom + b" tail\n")
    else:
        while start - pos >= 64 + 200 or start - pos == 64:
            f.write(fill); pos += 64; lines += 1
        if start > pos:
            f.write(b"p" * (start - pos - 1) + b"\n"); lines += 1
        buf = bytearray(b"x " * (ln // 2 + 1))[:ln]
        if col > 0:
            buf[col - 1] = 32
        buf[col:col + len(dom)] = dom
        if col + len(dom) < ln:
            buf[col + len(dom)] = 32
        f.write(buf + b"\n")
    f.write(fill * 1024)
    print(lines + 1)
PY
# lcase NAME FILE LINE [ARGS...]: one hit, on FILE:LINE, exit 1.
lcase() {
	local name=$1 f=$2 line=$3 why="" n
	shift 3
	sweep "$name" logs "$@" "$f"
	n=$(grep -c '^HIT ' "out/$name")
	if [ "$rc" != 1 ]; then
		why="exit $rc, want 1"
	elif [ "$n" != 1 ]; then
		why="$n hits, want 1"
	elif ! grep -q "^HIT [^ ]*:$line .*domain evil-domain.com" "out/$name"; then
		why="the hit is not on line $line"
	fi
	[ -z "$why" ] && bounds
	verdict "$name" "$why"
}
# logc NAME START LEN COL: the case as plain text and as gzip.
logc() {
	local name=$1 line
	line=$(python3 g/gen.py g/l.log "$2" "$3" "$4") || return
	lcase "log-$name" g/l.log "$line"
	gzip -1 g/l.log
	lcase "log-$name.gz" g/l.log.gz "$line"
	rm -f g/l.log g/l.log.gz
}
K20=1048576 K21=2097152 K22=4194304
for o in -16 -15 -7 -1 0 1; do
	# The domain starting (or ending: -15, -16) at that byte of a file of
	# short lines, and of an 8 KiB line across the 4 MiB cut.
	logc "chunk$o" $((K22 + o)) 0 0
	logc "chunk-line$o" $((K22 - 4096)) 8192 $((4096 + o))
done
for c in $((K20 - 16)) $((K20 - 15)) $((K20 - 7)) $((K20 - 1)) $K20 $((K20 + 1)) \
	$((K21 - 7)) $((K21 - 1)) $K21 $((K21 + 1)); do
	# A 2 MiB + 8 KiB line from the first byte, the domain at column c: across
	# the 1 MiB pieces.
	logc "cap-col$c" 0 $((K21 + 8192)) "$c"
done
for n in $((K20 - 1)) $K20 $((K20 + 1)) $((K22 - 1)) $K22 $((K22 + 1)); do
	# A line of n bytes ending in the domain.
	logc "len$n" 64 "$n" $((n - 15))
done
for c in $((K22 - 7)) $((K22 - 1)) $K22 $((K22 + 1)); do
	# A 5 MiB line: the 4 MiB cut inside a line over the cap.
	logc "big-col$c" 0 5242880 "$c"
done
# The other codecs, the domain across the 4 MiB cut.
line=$(python3 g/gen.py g/l.log $((K22 - 7)) 0 0)
for spec in "${codecs[@]}"; do
	IFS='|' read -r name ext cmd <<<"$spec"
	case $name in uuencode | base64 | lzop) continue ;; esac
	eval "$cmd" <g/l.log >"g/l.log.$ext"
	lcase "log-chunk-7.$ext" "g/l.log.$ext" "$line"
	rm -f "g/l.log.$ext"
done
# A gzip log cut short: a hit before the cut is found (the damage
# reported), one after it is a gap.
gzip -1 -c g/l.log >g/full.gz
n=$(stat -c %s g/full.gz)
head -c $((n * 3 / 4)) g/full.gz >g/cut.log.gz
sweep log-cut-after logs g/cut.log.gz
why=""
if [ "$rc" = 3 ] && grep -q 'g/cut.log.gz' "out/log-cut-after"; then bounds; else why="exit $rc, want 3 naming the file"; fi
verdict log-cut-after "$why"
{
	printf 'first evil-domain.com line\n'
	cat g/l.log
} | gzip -1 >g/full2.gz
head -c $((n * 3 / 4)) g/full2.gz >g/cut2.log.gz
sweep log-cut-before logs g/cut2.log.gz
if [ "$rc" = 1 ] && grep -q '^HIT [^ ]*:1 ' "out/log-cut-before" && grep -q 'g/cut2.log.gz' "out/log-cut-before" &&
	grep -qi 'warn\|incomplete\|damaged\|ends early\|stopped' "out/log-cut-before"; then
	why=""
	bounds
else
	why="exit $rc, want 1, the hit on line 1 and the damage reported"
fi
verdict log-cut-before "$why"
rm -f g/*.log g/*.gz

# ---- the extremes, and the verdict ----
if [ -s "$results" ]; then
	sort -t"$(printf '\t')" -k3,3n "$results" | awk -F'\t' 'NR == 1 { lo = $3 " KB (" $1 ")" } END { print "peak RSS: lowest " lo ", highest " $3 " KB (" $1 ")" }'
	sort -t"$(printf '\t')" -k4,4g "$results" | awk -F'\t' 'NR == 1 { lo = $4 " s (" $1 ")" } END { print "wall time: lowest " lo ", highest " $4 " s (" $1 ")" }'
	awk -F'\t' '{ s += $4 } END { printf "%d sweeps, %.1f s in chainsweep; bounds %s KB, %s s\n", NR, s, "'"$RSS_MAX_KB"'", "'"$TIME_MAX"'" }' "$results"
fi
echo "corpus: $SECONDS s"
echo "format limits: $limits (cut .Z files that are valid .Z files of their own)"
echo "hostile_corpus: $pass passed, $fail failed, $kfail known failures, $skipped skipped"
[ "$fail" -eq 0 ]

#!/usr/bin/env bash
# Hostile compressed input against the file sweep (issue 14):
#
#   tests/cli/archive_hostile.sh CHAINSWEEP
#
# - compressed text is scanned as its decompressed content, never taken
#   for an archive listing (mtree, tar) and passed over;
# - ordinary compressed files of this machine (Debian changelogs, botocore's
#   .json.gz) are not "archive-corrupt";
# - the expanded-bytes and ratio caps hold on compressed streams, and a
#   thread holds at most --yara-max-size bytes however archives nest: each
#   over-cap input (an archive too large to open too) is reported as a
#   gap (exit 3), never clean, and the
#   peak RSS stays under a bound (looser under the sanitizers,
#   CS_SANITIZED=1).
#
# Every input is generated here, in a temporary folder, in a few seconds.
set -u
cs=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 2
pass=0 fail=0

ok() {
	echo "ok: $1"
	pass=$((pass + 1))
}
bad() {
	echo "FAIL: $1"
	fail=$((fail + 1))
}

mkdir intel
cat >intel/hello.yar <<'EOF'
rule hello_malware { strings: $a = "hello malware" condition: $a }
EOF
printf 'hello malware\n' >evil.bin

# sweep NAME ARGS...: runs a sweep, output in NAME.out, exit code in $rc,
# peak RSS (KB) in $rss.
sweep() {
	local name=$1
	shift
	/usr/bin/time -f '%M' -o "$name.rss" "$cs" scan files --no-inventory --threads 1 \
		--intel intel/hello.yar "$@" >"$name.out" 2>&1
	rc=$?
	rss=$(tail -n 1 "$name.rss")
}

# found NAME PATH: a YARA finding on exactly PATH.
found() {
	grep -q "^FOUND yara $2  yara-rule hello_malware" "$1.out"
}

# 1. Compressed text read as an archive listing.
(head -c 1024 /dev/zero; cat evil.bin) | gzip >zpre.gz
printf '#mtree\n./a type=file\n# hello malware\n' | gzip >payload.txt.gz
{ head -c 257 /dev/zero | tr '\0' x; printf 'ustar\0'; head -c 300 /dev/zero; cat evil.bin; } |
	xz >fake.tar.xz
for f in zpre.gz payload.txt.gz fake.tar.xz; do
	sweep one "$f"
	if [ "$rc" = 1 ] && found one "$f!/${f%.*}"; then
		ok "$f: decompressed content scanned"
	else
		bad "$f: exit $rc, want 1 and a finding on $f!/${f%.*}"
		cat one.out
	fi
done
mkdir pkg && cp evil.bin pkg/ && tar czf pkg.tgz pkg && tar cf - pkg | bzip2 >pkg.tar.bz2
for f in pkg.tgz pkg.tar.bz2; do
	sweep one "$f"
	if [ "$rc" = 1 ] && found one "$f!/pkg/evil.bin"; then
		ok "$f: a real tar is walked as members"
	else
		bad "$f: exit $rc, want 1 and a finding on $f!/pkg/evil.bin"
		cat one.out
	fi
done

# Ordinary compressed files of this machine are not corrupt archives.
sys=()
for f in /usr/share/doc/*/changelog*.gz; do
	[ -f "$f" ] && sys+=("$f")
done
while IFS= read -r f; do
	sys+=("$f")
done < <(find /usr/lib/python3/dist-packages -name '*.json.gz' -type f 2>/dev/null | head -n 2000)
if [ ${#sys[@]} -eq 0 ]; then
	echo "SKIP: no changelog.gz or .json.gz on this machine"
else
	sweep sys "${sys[@]}"
	n=$(grep -c 'archive-corrupt\|cannot \(open\|decompress\)\|unreadable' sys.out)
	if [ "$rc" = 0 ] && [ "$n" = 0 ]; then
		ok "${#sys[@]} system .gz files swept complete"
	else
		bad "${#sys[@]} system .gz files: exit $rc, $n corrupt"
		grep 'warning' sys.out | head -n 10
	fi
fi

# 2. Caps on every path. Peak RSS bounds: a small baseline plus what the
# caps allow (sanitized builds carry their own large overhead).
base=24000
[ "${CS_SANITIZED:-0}" = 1 ] && base=400000
text() { yes AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA | head -c 67108864; }
text | bzip2 -9 >text.bz2
head -c 67108864 /dev/zero | zstd -q -19 >zero.zst
text | gzip -1 >text.gz
# bomb NAME FILE ARGS...: the sweep must report archive-bomb, exit 3.
bomb() {
	local name=$1 f=$2
	shift 2
	sweep "$name" "$@" "$f"
	if [ "$rc" = 3 ] && grep -q 'archive-bomb' "$name.out" && [ "$rss" -lt $((base + 40000)) ]; then
		ok "$f: stopped by a cap ($* ), peak RSS $rss KB"
	else
		bad "$f: exit $rc, peak RSS $rss KB; want 3, archive-bomb, RSS < $((base + 40000)) KB"
		cat "$name.out"
	fi
}
bomb ratio-bz2 text.bz2 --yara-max-size 16M
bomb ratio-zst zero.zst --yara-max-size 16M
bomb bytes-gz text.gz --yara-max-size 16M --archive-max-bytes 24M --archive-max-ratio 1000000

# Nested stored zips around 40 MB of random bytes, with a 48 MB YARA
# cap: the file is held, the zips inside it are not (the thread would hold
# more than 48 MB): hashed and reported, and the RSS stays near 48 MB.
head -c 40000000 /dev/urandom >rand.bin
zip -q -0 z1.zip rand.bin && zip -q -0 z2.zip z1.zip && zip -q -0 z3.zip z2.zip
rm -f rand.bin z1.zip z2.zip
sweep nest z3.zip --yara-max-size 48M
if [ "$rc" = 3 ] && grep -q 'z3.zip!/z2.zip: warning: .*hashed and named only' nest.out &&
	grep -q 'yara-too-large' nest.out && [ "$rss" -lt $((base + 49152)) ]; then
	ok "nested stored zips: held within the cap, the rest reported, peak RSS $rss KB"
else
	bad "nested stored zips: exit $rc, peak RSS $rss KB; want 3, yara-too-large, RSS < $((base + 49152)) KB"
	cat nest.out
fi

# An archive over the size cap, swept for names only (no YARA rules): not
# opened, and reported, never clean.
printf 'filename\nnothing-here.bin\n' >names.csv
head -c 3000000 /dev/urandom >big.bin && zip -q -0 big.zip big.bin && rm big.bin
"$cs" scan files --no-inventory --intel names.csv --yara-max-size 1M big.zip >big.out 2>&1
rc=$?
if [ "$rc" = 3 ] && grep -q 'big.zip: warning: .*archive over the size cap' big.out; then
	ok "big.zip over --yara-max-size without YARA rules: reported"
else
	bad "big.zip over --yara-max-size without YARA rules: exit $rc, want 3 and a warning"
	cat big.out
fi

echo "archive_hostile: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/usr/bin/env bash
# Archives as the common tools make them, swept by chainsweep:
#
#   tests/cli/archive_tools.sh CHAINSWEEP
#
# Builds, at test time, archives holding a benign file that carries the
# string a test YARA rule looks for: Info-ZIP zip (stored and deflated,
# with folder entries, and self-extracting: after a stub, with and without
# `zip -A`), Python's zipfile, GNU tar (plain, gzip, bzip2, xz, zstd; hard
# links), bsdtar (pax, zip, 7z, cpio, iso9660, ar), 7z, cpio and ar. Each
# must give a finding on the member's path (exit 1); a hard link must be
# reported under both names; a hard link whose target is not in the
# archive must be reported as a gap. A tool that is absent is skipped,
# loudly. Run by ctest on the normal and the ASan+UBSan builds.
set -u
cs=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 2
pass=0 fail=0 skipped=0

mkdir intel
cat >intel/hello.yar <<'EOF'
rule hello_malware { strings: $a = "hello malware" condition: $a }
EOF
mkdir -p src/dir
printf 'hello malware\n' >src/dir/e2.bin
head -c 3000 /dev/urandom >src/noise.bin

have() {
	command -v "$1" >/dev/null 2>&1 && return 0
	echo "SKIP: $1 absent"
	skipped=$((skipped + 1))
	return 1
}

# check ARCHIVE MEMBER...: a sweep of ARCHIVE exits 1 with a YARA finding
# on each ARCHIVE!/MEMBER.
check() {
	local a=$1 m out rc miss=""
	shift
	out=$("$cs" scan files --no-inventory --intel intel/hello.yar "$a" 2>&1)
	rc=$?
	for m in "$@"; do
		printf '%s\n' "$out" | grep -q "^FOUND yara $a!/$m  yara-rule hello_malware" ||
			miss="$miss $m"
	done
	if [ "$rc" = 1 ] && [ -z "$miss" ]; then
		echo "ok: $a"
		pass=$((pass + 1))
	else
		echo "FAIL: $a: exit $rc, want 1; no finding on:${miss:- (all found)}"
		printf '%s\n' "$out"
		fail=$((fail + 1))
	fi
}

if have zip; then
	(cd src && zip -q -r -0 ../stored.zip dir noise.bin) && check stored.zip dir/e2.bin
	(cd src && zip -q -r ../deflated.zip dir noise.bin) && check deflated.zip dir/e2.bin
	(cd src && zip -q -j -0 ../flat.zip dir/e2.bin) && check flat.zip e2.bin
	# Self-extracting: data after an executable stub, as unzip reads it.
	{ printf 'MZ'; head -c 70000 /dev/urandom; } >stub
	cat stub deflated.zip >sfx.exe && check sfx.exe dir/e2.bin
	cp sfx.exe sfx-a.exe && zip -q -A sfx-a.exe && check sfx-a.exe dir/e2.bin
	{ printf '\177ELF'; head -c 5000 /dev/zero; } >elfstub
	cat elfstub stored.zip >sfx.elf && check sfx.elf dir/e2.bin
fi
if have python3; then
	python3 - <<'EOF'
import zipfile
for name, how in (("py-stored.zip", zipfile.ZIP_STORED), ("py-deflated.zip", zipfile.ZIP_DEFLATED)):
    with zipfile.ZipFile(name, "w", how) as z:
        z.write("src/dir/e2.bin", "dir/e2.bin")
        z.writestr("empty.txt", b"")
EOF
	check py-stored.zip dir/e2.bin
	check py-deflated.zip dir/e2.bin
fi
if have tar; then
	cp src/dir/e2.bin src/dir/link.bin 2>/dev/null
	rm -f src/dir/link.bin && ln src/dir/e2.bin src/dir/link.bin
	tar -C src -cf gnu.tar dir/e2.bin dir/link.bin noise.bin && check gnu.tar dir/e2.bin dir/link.bin
	tar -C src -czf gnu.tgz dir && check gnu.tgz dir/e2.bin dir/link.bin
	tar -C src -cjf gnu.tar.bz2 dir && check gnu.tar.bz2 dir/e2.bin dir/link.bin
	tar -C src -cJf gnu.tar.xz dir && check gnu.tar.xz dir/e2.bin dir/link.bin
	if have zstd; then
		tar -C src --zstd -cf gnu.tar.zst dir && check gnu.tar.zst dir/e2.bin dir/link.bin
	fi
	tar -C src --format=posix -cf pax.tar dir && check pax.tar dir/e2.bin dir/link.bin
	# A hard link whose target was deleted from the archive: a gap.
	cp gnu.tar dangling.tar && tar --delete -f dangling.tar dir/e2.bin
	out=$("$cs" scan files --no-inventory --intel intel/hello.yar dangling.tar 2>&1)
	rc=$?
	if [ "$rc" = 3 ] && printf '%s\n' "$out" | grep -q "dangling.tar!/dir/link.bin: warning: hard link to dir/e2.bin"; then
		echo "ok: dangling.tar: an unresolved hard link is a gap"
		pass=$((pass + 1))
	else
		echo "FAIL: dangling.tar: exit $rc, want 3 and a hard-link warning"
		printf '%s\n' "$out"
		fail=$((fail + 1))
	fi
	rm -f src/dir/link.bin
fi
if have bsdtar; then
	bsdtar -C src -cf bsd.tar dir && check bsd.tar dir/e2.bin
	bsdtar -C src --format zip -cf bsd.zip dir && check bsd.zip dir/e2.bin
	bsdtar -C src --format 7zip -cf bsd.7z dir && check bsd.7z dir/e2.bin
	bsdtar -C src --format newc -cf bsd.cpio dir && check bsd.cpio dir/e2.bin
	bsdtar -C src --format iso9660 -cf bsd.iso dir && check bsd.iso dir/e2.bin
	bsdtar -C src/dir --format ar -cf bsd.a e2.bin && check bsd.a e2.bin
	bsdtar -C src --format ustar -cf - dir | gzip >bsd.tgz && check bsd.tgz dir/e2.bin
fi
if have 7z; then
	(cd src && 7z a -bd ../p7.7z dir >/dev/null) && check p7.7z dir/e2.bin
	(cd src && 7z a -bd -tzip ../p7.zip dir >/dev/null) && check p7.zip dir/e2.bin
fi
if have cpio; then
	# Hard links: newc keeps the data with the last name.
	ln src/dir/e2.bin src/dir/link.bin
	(cd src && find dir | cpio -o -H newc --quiet >../gnu.cpio) &&
		check gnu.cpio dir/e2.bin dir/link.bin
	rm -f src/dir/link.bin
	gzip -c gnu.cpio >gnu.cpio.gz && check gnu.cpio.gz dir/e2.bin
fi
if have ar; then
	(cd src/dir && ar rc ../../bin.a e2.bin) && check bin.a e2.bin
fi

echo "archive_tools: $pass passed, $fail failed, $skipped skipped"
[ "$fail" -eq 0 ]

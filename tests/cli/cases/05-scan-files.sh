# scan files on a crafted, benign tree: hash, name, path-tail, path-regex
# and YARA hits, a hit inside a .tgz, decoys, a symlink loop and a FIFO;
# JSON Lines; the inventory (a re-sweep reads nothing unchanged, new intel
# matched from it); exit 3 for a sweep that found nothing but could not
# look everywhere.
x() { "$@"; echo "[exit $?]"; }
# Sorted findings and a summary without its timing.
clean() { sed -e 's/ in [0-9.]* s / in <t> s /'; }
S=$DATA/scan
mkdir -p tree/app tree/Temp tree/home/u/Programs/3CXDesktopApp/app tree/home/u/Programs/Other/app tree/pkg
cp $S/payload.txt tree/app/ffmpeg.dll
printf 'x\n' >tree/app/D3DCOMPILER_47.dll
printf 'x\n' >tree/app/d3dcompiler_47.dll.bak
printf 'x\n' >tree/home/u/Programs/3CXDesktopApp/app/manifest
printf 'x\n' >tree/home/u/Programs/Other/app/manifest
printf 'x\n' >tree/Temp/update.exe
printf 'x\n' >tree/Temp/safe.exe
printf 'notes CHAINSWEEP-BENIGN-3CX-MARKER notes\n' >tree/notes.txt
printf 'CHAINSWEEP-BENIGN-3CX-\nMARKER split, no match\n' >tree/split.txt
cp $S/payload.txt tree/pkg/payload.txt
(cd tree && tar czf pkg.tgz pkg && rm -r pkg)
ln -s . tree/loop
mkfifo tree/fifo
INTEL="--intel $S/hashes.csv --intel $S/names.csv --intel $S/filename-iocs.txt --intel $S/marker.yar"
$CS --db $DB scan files --threads 1 $INTEL tree >out.txt 2>err.txt; echo "[exit $?]"
sort out.txt
clean <err.txt
# JSON Lines: the fields that do not depend on the machine.
$CS --db $DB --json scan files --no-inventory $INTEL tree |
	jq -c 'if .record == "finding" then {e: .evidence, p: .file.path, sha256: .file.sha256,
		k: .indicator.kind, v: .indicator.value, src: [.indicator.sources[].file],
		y: .yara.strings} else {record, findings, incomplete, c: (.coverage | del(.bytes))} end' | sort
# Again: nothing changed, so nothing is read.
$CS --db $DB scan files $INTEL tree 2>&1 >/dev/null | clean
# Intel published after the sweep, matched from the inventory: no file is
# read. An MD5 the sweep never computed cannot be matched that way, and
# the answer says so (exit 3).
x $CS --db $DB scan files --intel $S/later-sha256.csv --from-inventory 2>&1 | clean | sort
x $CS --db $DB scan files --intel $S/later-md5.csv --from-inventory 2>&1 | clean
# An unreadable root and a cut archive with nothing to find: exit 3.
head -c 60 tree/pkg.tgz >cut.tgz
x $CS --db $DB scan files --intel $S/names.csv cut.tgz no-such-dir 2>&1 | clean | sort
$CS --db $DB scan files --intel $S/names.csv 2>&1 | head -n 1
# The compiled-rules cache (~/.cache/chainsweep here): the sweeps above
# filled it, so the rules are loaded, not compiled; --no-cache compiles;
# a damaged entry is found, deleted and compiled again, never loaded.
$CS --db $DB --verbose scan files --no-inventory $INTEL tree 2>&1 >/dev/null | grep -e cache -e compiled
$CS --db $DB --verbose --no-cache scan files --no-inventory $INTEL tree 2>&1 >/dev/null | grep -e cache -e compiled
ls $HOME/.cache/chainsweep | sed 's/-[0-9a-f]\{64\}$/-KEY/'
for f in $HOME/.cache/chainsweep/yara-*; do printf 'X' | dd of=$f bs=1 seek=300 conv=notrunc 2>/dev/null; done
$CS --db $DB --verbose scan files --no-inventory $INTEL tree 2>&1 >/dev/null | grep -e cache -e compiled
$CS --db $DB --verbose scan files --no-inventory $INTEL tree 2>&1 >/dev/null | grep -e cache -e compiled

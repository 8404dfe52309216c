# report --out DIR: a symbolic link planted where a report goes is an
# error (its target untouched: run as root it could be any file); a write
# that fails half-way (a file size limit stands in for a full disk) leaves
# no partial report and no temporary file, and the reports already there
# stay as they were; the message names the file and the system's reason.
x() { "$@"; echo "[exit $?]"; }
mkdir tree out out2
cp $DATA/scan/payload.txt tree/ffmpeg.dll
$CS --db $DB intel import $DATA/scan/hashes.csv >/dev/null 2>&1
$CS --db $DB sweep --root tree --host h1 --no-logs --no-software >/dev/null 2>&1
x $CS --db $DB report --out out --title first
echo precious >victim
ln -s $TMP/victim out2/event.misp.json
x $CS --db $DB report --out out2
cat victim
ls -A out2
# Every file is larger than 64 KiB with this title; the limit is the
# shell's (1024-byte blocks), SIGXFSZ ignored so that write() fails.
title=$(head -c 70000 /dev/zero | tr '\0' T)
(trap '' XFSZ; ulimit -f 64; x $CS --db $DB report --out out --title "$title")
ls -A out
grep -c '<title>first</title>' out/report.html

# needs: drop-privileges
# A case that another user owns, in a read-only file (0444), then in a
# read-only folder (0555, where SQLite cannot create its -wal and -shm
# files): the commands that only read it open it read-only and work. Run
# as root, the readers run as nobody (file modes do not stop root).
x() { "$@"; echo "[exit $?]"; }
if [ "$(id -u)" = 0 ]; then
	as() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
else
	as() { "$@"; }
fi
mkdir -p case tree out
cp $DATA/scan/payload.txt tree/ffmpeg.dll
$CS --db case/case.db intel import $DATA/scan/hashes.csv >/dev/null 2>&1
$CS --db case/case.db sweep --root tree --host h1 --no-logs --no-software >/dev/null 2>&1
chmod 0755 $TMP case
chmod 0777 out
chmod 0444 case/case.db
sum() { md5sum case/case.db | cut -c1-32; }
before=$(sum)
for c in "intel stats" "intel ls" "intel show 8.8.8.8" "findings"; do
	as $CS --db case/case.db $c >/dev/null; echo "[$c: exit $?]"
done
as $CS --db case/case.db findings | cut -c1-60
as $CS --db case/case.db report --out out | sed -e 's#.*/##'; echo "[exit ${PIPESTATUS[0]}]"
chmod 0644 case/case.db
chmod 0555 case
for c in "intel stats" "intel ls" "findings"; do
	as $CS --db case/case.db $c >/dev/null; echo "[$c: exit $?]"
done
ls case
[ "$(sum)" = "$before" ] && echo "case file unchanged"
chmod 0755 case

# Standard output that cannot be written (/dev/full: every write fails
# with ENOSPC): every command says so and exits 2, whatever it would
# have exited with, and whether its output is text or JSON.
full() { "$@" >/dev/full; echo "[exit $?]"; }
mkdir tree
cp $DATA/scan/payload.txt tree/ffmpeg.dll
$CS --db $DB intel import $DATA/scan/hashes.csv $DATA/event.misp.json >/dev/null 2>&1
$CS --db $DB sweep --root tree --host h1 --no-logs --no-software >/dev/null 2>&1
full $CS --db $DB intel ls
full $CS --db $DB --json intel ls
full $CS --db $DB intel stats
full $CS --db $DB intel show 198.51.100.23
full $CS --db $DB findings
full $CS --db $DB --json findings
full $CS --db $DB scan files --quiet --no-inventory tree
full $CS --db $DB --json scan files --no-inventory tree
full $CS --db $DB sweep --root tree --host h1 --no-logs --no-software --quiet
full $CS --db $DB report --out out
full $CS version
# A closed standard output is an error only when something was printed.
closed() { "$@" >&-; echo "[exit $?]"; }
closed $CS --db $DB intel ls
closed $CS --db $DB --json findings --host nobody

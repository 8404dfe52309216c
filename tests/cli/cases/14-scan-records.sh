# Issue 15, item 6: what `scan files` and `scan logs` print is recorded in
# the case (under a sweep row of --host, as `sweep` records), unless
# --no-record; a scan with --intel may start the case.
x() { "$@"; echo "[exit $?]"; }
S=$DATA/scan
L=$DATA/logs
mkdir -p tree/app
cp $S/payload.txt tree/app/ffmpeg.dll
x $CS --db $DB --quiet scan files --host h1 --intel $S/hashes.csv tree
x $CS --db $DB findings
x $CS --db $DB --quiet scan files --host h2 --no-record --intel $S/hashes.csv tree
x $CS --db $DB findings --host h2
x $CS --db $DB --quiet scan logs --threads 1 --host h3 --intel $L/intel.csv $L/host >/dev/null
$CS --db $DB findings --host h3 | sed 's#  first .*##' | sort
# Recorded twice: one finding, seen by two sweeps.
x $CS --db $DB --quiet scan files --host h1 --no-inventory --intel $S/hashes.csv tree
$CS --db $DB --json findings --host h1 | jq -c '{host, location, count, first_sweep, last_sweep}'

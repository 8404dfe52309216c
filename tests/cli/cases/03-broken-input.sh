# A truncated bundle: the complete indicator before the cut is kept, the
# bad pattern and the cut are reported with file and position, and the
# import still says what it read. A missing file and an empty file fail.
x() { "$@"; echo "[exit $?]"; }
: > $TMP/empty.json
x $CS --db $DB intel import $DATA/broken.json
x $CS --db $DB intel import $TMP/empty.json
x $CS --db $DB intel import $TMP/missing.csv
x $CS --db $DB intel ls

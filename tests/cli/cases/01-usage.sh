# Usage, version and argument errors.
x() { "$@"; echo "[exit $?]"; }
x $CS --version
x $CS
x $CS bogus
x $CS intel
x $CS intel import
x $CS --db $DB intel import --format nope $DATA/vendor.csv
x $CS --db $DB intel ls --kind nope

# Every numeric option takes a whole, finite number in its range and
# nothing else (strtoull reads "-5" as 2^64-5, strtod takes "nan"): the
# error names the option and the value, exit 2, and nothing is swept.
x() { "$@"; echo "[exit $?]"; }
mkdir tree
x $CS --db $DB scan files --max-size -5 tree
x $CS --db $DB scan files --max-size ' 5' tree
x $CS --db $DB scan files --max-size 99999999999G tree
x $CS --db $DB scan files --max-rate nan tree
x $CS --db $DB scan files --max-rate inf tree
x $CS --db $DB scan files --max-runtime -1 tree
x $CS --db $DB scan files --max-rate 0x1p3 tree
x $CS --db $DB scan files --threads 0 tree
x $CS --db $DB scan files --archive-depth 65 tree
x $CS --db $DB scan files --yara-timeout 1.5 tree
x $CS --db $DB sweep --root tree --threads 4x
x $CS --db $DB scan logs --max-line 1K tree
x $CS --db $DB intel ls --limit abc
x $CS --db $DB intel ls --yara-variant-bytes -1
x $CS --db $DB correlate --case --top -5
x $CS --db $DB correlate --case --window nan
# Good values still work (on a case that exists and holds intel).
printf '%064d\n' 0 >hashes.txt
$CS --db $DB intel import hashes.txt >/dev/null 2>&1
x $CS --db $DB scan files --max-size 1M --max-rate 2.5 --threads 2 --quiet tree
x $CS --db $DB intel ls --limit 3

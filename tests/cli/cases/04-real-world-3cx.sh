# needs: real-world
# ESET's MISP event, Volexity's CSV and signature-base's C2 list all name
# journalide.org; one indicator, every source kept.
x() { "$@"; echo "[exit $?]"; }
x $CS --db $DB --quiet intel import $RW/eset/lazarus_3cx.misp.json $RW/volexity/3cx-iocs.csv $RW/signature-base/iocs/c2-iocs.txt >/dev/null 2>&1
x $CS --db $DB --json intel show 'journalide[.]org'

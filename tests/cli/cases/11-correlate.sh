# needs: real-world
# Whose activity? ESET's 3CX event, correlated against signature-base's
# C2 list, Volexity's CSV and the event itself in the case database, leads
# to the 3CX entries of the other two (journalide.org shared), never to
# itself.
x() { "$@"; echo "[exit $?]"; }
x $CS --db $DB --quiet intel import $RW/eset/lazarus_3cx.misp.json $RW/volexity/3cx-iocs.csv $RW/signature-base/iocs/c2-iocs.txt $RW/misp-warninglists >/dev/null 2>&1
x $CS --db $DB --quiet correlate --top 3 $RW/eset/lazarus_3cx.misp.json 2>/dev/null
$CS --db $DB --quiet --json correlate $RW/eset/lazarus_3cx.misp.json 2>/dev/null |
	jq -c '.query, (.leads[] | [.rank, .cluster, .shared, ([.evidence[] | select(.counted) | .query.value] | sort)])'
echo "[exit ${PIPESTATUS[0]}]"
# The case as the query: nothing found yet, so no lead.
x $CS --db $DB correlate --case
# Usage errors.
x $CS --db $DB correlate
x $CS --db $DB correlate --case $RW/eset/lazarus_3cx.misp.json
x $CS --db $DB correlate --window 3x --case

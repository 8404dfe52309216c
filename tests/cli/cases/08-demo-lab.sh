# The demo lab (scripts/demo-lab.sh): on the compromised host the sweep
# finds exactly the planted files and contacts and names the incident; on
# the decoy it finds nothing; a second sweep reads nothing unchanged and
# keeps one finding per fact.
x() { "$@"; echo "[exit $?]"; }
$DATA/../../../scripts/demo-lab.sh lab
$CS --db $DB --quiet intel import --bundled lab/lab-intel.csv >/dev/null 2>&1
x $CS --db $DB sweep --root lab/ws-17 --host ws-17
x $CS --db $DB sweep --root lab/ws-18 --host ws-18
$CS --db $DB --quiet sweep --root lab/ws-17 --host ws-17 | grep Coverage
x $CS --db $DB findings
x $CS --db $DB findings --kind log --since 2023-03-28
$CS --db $DB --json findings --host ws-17 --label UNC4736 | jq -r '.indicator' | sort | uniq -c
# The reports: four files; the STIX sightings and the MISP event import
# back; the HTML page loads nothing from outside.
$CS --db $DB report --out rep --title "demo" | sed 's#^.*/##'
grep -c '<script\|src=\|@import' rep/report.html
jq -r 'select(.record == "finding") | .host + " " + .kind' rep/findings.jsonl | sort | uniq -c
$CS --db back.db --quiet intel import rep/sightings.stix.json rep/event.misp.json 2>&1 | tail -n 1

# needs: real-world
# The bundled 3CX/JumpCloud pack imports whole: its counts by kind equal the
# counts of the public table it was written from (computed here with awk,
# not by chainsweep), product versions included (STIX software patterns),
# and every indicator names its incident and actor.
INC=$RW/../incidents/3cx-jumpcloud.tsv
$CS --db $DB intel import $DATA/../../../intel/3cx-jumpcloud.stix.json 2>&1 | tail -n 4
awk -F'\t' '!/^#/ && NF >= 4 {print $1}' $INC | sort | uniq -c |
	awk '{print $2, $1}' >want.txt
$CS --db $DB --json intel stats | jq -r '.by_kind | to_entries[] | "\(.key) \(.value)"' | sort >got.txt
diff want.txt got.txt && echo "counts by kind: equal to the table's"
$CS --db $DB --json intel ls | jq -r '[.labels[] | select(startswith("campaign:") or startswith("actor:"))] | length >= 2' | sort | uniq -c
$CS --db $DB intel show journalide.org | head -n 8

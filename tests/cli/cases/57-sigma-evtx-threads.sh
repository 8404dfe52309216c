# Sigma rules over a generated .evtx of many chunks (bench/gen_evtx.py,
# Sysmon process creations): with workers the events are evaluated on
# them, in batches; the findings, their counts, first records and first
# and last times are the same whatever the number of threads.
x() { "$@"; echo "[exit $?]"; }
python3 $DATA/../../../bench/gen_evtx.py many.evtx 2 dense >/dev/null
cat >rules.yml <<'YML'
title: Lab build step twelve
id: 0d9c6a52-8f1e-4b7a-9c3d-2e5f6a7b8c01
logsource:
    product: windows
    category: process_creation
detection:
    sel:
        Image|endswith: '\cmd.exe'
        CommandLine|contains: 'step 12 '
    condition: sel
level: medium
---
title: Lab output to out7
id: 0d9c6a52-8f1e-4b7a-9c3d-2e5f6a7b8c02
logsource:
    product: windows
    category: process_creation
detection:
    sel:
        CommandLine|endswith: '\out7.txt'
    filter:
        ParentImage|endswith: '\services.exe'
    condition: sel and not filter
level: low
YML
x $CS --db $DB --quiet intel import rules.yml
for t in 1 2 4; do
	$CS --db $DB --json scan logs --no-record --threads $t many.evtx |
		jq -c 'select(.record == "sigma") | del(.seconds)' >t$t.jsonl
done
cat t1.jsonl
wc -l <t1.jsonl
cmp t1.jsonl t2.jsonl && cmp t1.jsonl t4.jsonl && echo "same with 1, 2 and 4 threads"
x $CS --db $DB scan logs --no-record --threads 2 many.evtx 2>&1 | sed -e 's/ in [0-9.]* s:/ in <t> s:/'

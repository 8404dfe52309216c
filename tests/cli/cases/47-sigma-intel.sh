# Sigma rules are intel: imported from a file or folder, kept in the case
# (rules that cannot be evaluated too, with the reason at file:line:column),
# and counted by `intel stats` as the sweeps will compile them.
x() { "$@"; echo "[exit $?]"; }
mkdir rules
cat >rules/proc.yml <<'YML'
title: Encoded PowerShell
id: 0f4b1f3e-6c1a-4d43-9a57-1d2f3c4b5a60
status: test
tags:
    - attack.execution
    - attack.t1059.001
logsource:
    product: windows
    category: process_creation
detection:
    sel:
        Image|endswith: '\powershell.exe'
        CommandLine|windash|contains: ' -enc '
    condition: sel
level: high
---
title: Sideways modifier
id: 0f4b1f3e-6c1a-4d43-9a57-1d2f3c4b5a61
logsource:
    product: windows
    category: process_creation
detection:
    sel:
        Image|sideways: 'x'
    condition: sel
level: low
YML
cat >rules/agg.yaml <<'YML'
title: Many logons
id: 0f4b1f3e-6c1a-4d43-9a57-1d2f3c4b5a62
logsource:
    product: windows
    service: security
detection:
    sel:
        EventID: 4625
    condition: sel | count() by TargetUserName > 10
YML
printf 'not a rule\n' >rules/README.md
x $CS --db $DB intel import rules
x $CS --db $DB intel stats | grep -A3 '^sigma rules'
x $CS --db $DB --json intel stats | python3 -c 'import json,sys; print([json.loads(l)["sigma"] for l in sys.stdin if "\"sigma\"" in l])'
x $CS --db $DB intel show --kind sigma-rule 0f4b1f3e-6c1a-4d43-9a57-1d2f3c4b5a61

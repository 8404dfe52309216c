# Sigma rules run over the events of the logs `scan logs` and `sweep` read:
# Windows events exported as JSON (evtx_dump and Winlogbeat shapes) and as
# one line of XML, and a Zeek dns.log. A hit is printed with the event's
# record, time, host and the fields that matched, recorded as a finding of
# evidence sigma, and written into every report; near misses (another
# parent, another log source) stay quiet.
x() { "$@"; echo "[exit $?]"; }
cat >rules.yml <<'YML'
title: Lab app starts a shell
id: 5b0f2d7e-1c3a-4e5f-9a8b-7c6d5e4f3a21
status: test
tags:
    - attack.execution
    - attack.t1059.003
logsource:
    product: windows
    category: process_creation
detection:
    sel:
        ParentImage|endswith: '\labapp.exe'
        Image|endswith:
            - '\cmd.exe'
            - '\powershell.exe'
    condition: sel
level: high
---
title: Lab DNS query for a listed name
id: 5b0f2d7e-1c3a-4e5f-9a8b-7c6d5e4f3a22
logsource:
    category: dns
detection:
    sel:
        query|endswith: '.evil-updates.test'
    condition: sel
level: medium
YML
mkdir -p logs host/var/log
sys='"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}},"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"ws-17","EventID":1'
{
	echo '{"Event":{"System":{'"$sys"',"EventRecordID":101,"TimeCreated":{"#attributes":{"SystemTime":"2023-03-29T10:00:00.000Z"}}},"EventData":{"ParentImage":"C:\\Apps\\labapp.exe","Image":"C:\\Windows\\System32\\cmd.exe","CommandLine":"cmd /c whoami"}}}'
	echo '{"Event":{"System":{'"$sys"',"EventRecordID":102,"TimeCreated":{"#attributes":{"SystemTime":"2023-03-29T10:05:00.000Z"}}},"EventData":{"ParentImage":"C:\\Windows\\explorer.exe","Image":"C:\\Windows\\System32\\cmd.exe"}}}'
	echo '{"@timestamp":"2023-03-29T11:00:00Z","winlog":{"event_id":1,"channel":"Microsoft-Windows-Sysmon/Operational","computer_name":"ws-18","record_id":7,"event_data":{"ParentImage":"C:\\Apps\\labapp.exe","Image":"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"}}}'
} >logs/sysmon.json
echo "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Sysmon'/><EventID>1</EventID><TimeCreated SystemTime='2023-03-29T12:00:00.000Z'/><EventRecordID>55</EventRecordID><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>ws-19</Computer></System><EventData><Data Name='ParentImage'>C:\\Apps\\labapp.exe</Data><Data Name='Image'>C:\\Windows\\System32\\cmd.exe</Data></EventData></Event>" >logs/sysmon.xml
printf '#separator \\x09\n#path\tdns\n#fields\tts\tid.orig_h\tquery\n#types\ttime\taddr\tstring\n1680084000.0\t10.0.0.5\tcdn.evil-updates.test\n1680084001.0\t10.0.0.5\tcdn.evil-updates.testing\n' >host/var/log/dns.log
x $CS --db $DB --quiet intel import rules.yml
x $CS --db $DB scan logs --host lab logs
# (times vary: left out)
x $CS --db $DB --json scan logs --no-record logs/sysmon.xml |
	sed -e 's/"seconds":[0-9.e-]*,//' -e 's/"decompress_seconds":[0-9.e-]*,//' 
x $CS --db $DB sweep --root host --host ws-20 --no-software
x $CS --db $DB findings --kind log
x $CS --db $DB --quiet report --out rep
grep -c '"evidence":"sigma"' rep/findings.jsonl
grep -o '"pattern_type": *"sigma"' rep/sightings.stix.json | sort | uniq -c
grep -o '"type": *"sigma"' rep/event.misp.json | sort | uniq -c
grep -c 'Lab app starts a shell\|5b0f2d7e-1c3a-4e5f-9a8b-7c6d5e4f3a21' rep/report.html
# A Windows root's event logs are found whatever the case of its folders.
mkdir -p win/WINDOWS/system32/WINEVT/Logs
python3 $DATA/evtx/mkevtx.py win/WINDOWS/system32/WINEVT/Logs/Microsoft-Windows-Sysmon%4Operational.evtx
x $CS --db $DB sweep --root win --host ws-21 --no-software | grep -E 'Coverage|NOTHING|HIT'

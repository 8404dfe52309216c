# scan logs on native Windows .evtx files (a crafted lab host's Sysmon log,
# written by tests/data/cli/evtx/mkevtx.py): hits with the event's time,
# host, event id and record id; the same file gzip'd under another name;
# a copy cut inside its chunk and one whose chunk header is damaged are
# reported with the byte offset, what can be read is searched, exit 3
# when nothing is found.
x() { "$@"; echo "[exit $?]"; }
clean() { sed -e 's/ in [0-9.]* s:/ in <t> s:/'; }
I=$DATA/logs/intel.csv
python3 $DATA/evtx/mkevtx.py Sysmon.evtx
x $CS scan logs --no-record --intel $I Sysmon.evtx 2>&1 | clean
$CS --json scan logs --no-record --intel $I Sysmon.evtx | jq -c 'select(.record == "hit") |
	{file, format, line, offset, time, host, event_id, observed, matched, i: .indicator.value}'
gzip -c Sysmon.evtx >old.log.gz
x $CS scan logs --no-record --intel $I old.log.gz 2>&1 | clean
python3 $DATA/evtx/mkevtx.py cut.evtx --cut 7000
x $CS scan logs --no-record --intel $I cut.evtx 2>&1 | clean
python3 $DATA/evtx/mkevtx.py bad.evtx --flip 4200
x $CS scan logs --no-record --intel $I bad.evtx 2>&1 | clean
x $CS scan logs --no-record --format evtx --intel $I $DATA/logs/clean.log 2>&1 | clean

# scan logs: Zeek DNS, a gzipped squid log, Sysmon JSON with a broken line,
# a decoy; per-indicator and per-host first/last seen; JSON; --since;
# standard input; a truncated gzip with nothing found exits 3.
x() { "$@"; echo "[exit $?]"; }
clean() { sed -e 's/ in [0-9.]* s:/ in <t> s:/'; }
L=$DATA/logs
cp -r $L/host host
gzip host/proxy.log
x $CS scan logs --threads 1 --intel $L/intel.csv host $L/clean.log 2>&1 | clean
$CS --json scan logs --intel $L/intel.csv host | jq -c 'if .record == "hit" then
	{f: (.file | sub(".*/"; "")), line, time, host, event_id, observed, matched,
	 i: .indicator.value} else {record, indicators, hosts, files, lines, bad_lines, incomplete} end'
x $CS scan logs --intel $L/intel.csv --since 2023-03-30 host 2>&1 | clean
printf 'stdin line with cdn.evil-updates.test\n' | $CS scan logs --intel $L/intel.csv - 2>/dev/null
head -c 100 host/proxy.log.gz >cut.log.gz
x $CS scan logs --intel $L/intel.csv cut.log.gz $L/clean.log 2>&1 | clean

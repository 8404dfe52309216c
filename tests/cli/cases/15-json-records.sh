# Issue 15, item 7: every --json prints JSON Lines only, each line with a
# "record" key (docs/findings-schema.md, "The command line's --json").
S=$DATA/scan
L=$DATA/logs
mkdir -p tree/app
cp $S/payload.txt tree/app/ffmpeg.dll
check() {
	# Every line of stdout is one JSON object with "record"; prints the records.
	"$@" 2>/dev/null >out.jsonl
	echo "[exit $?] $(jq -r 'if type == "object" and has("record") then .record else "BAD" end' out.jsonl | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
}
check $CS --db $DB --json intel import $S/hashes.csv $L/intel.csv
check $CS --db $DB --json intel ls
check $CS --db $DB --json intel stats
check $CS --db $DB --json intel show journalide.test
check $CS --db $DB --json scan files --intel $S/hashes.csv tree
check $CS --db $DB --json scan logs --threads 1 --intel $L/intel.csv $L/host
check $CS --db $DB --json sweep --root tree --host j1 --no-software
check $CS --db $DB --json sweep --root tree --host j2 --no-software --max-runtime 0.000001
check $CS --db $DB --json findings
# The sweep's JSON: its finding and its summary, with the files behind gaps.
$CS --db $DB --json sweep --root tree --host j1 --no-software | jq -c '{record, host, kind, location, findings, incomplete, stopped, not_read}'

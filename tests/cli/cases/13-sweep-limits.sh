# Issue 15: time limits, interrupts, mistyped case paths and unusable
# intel. A sweep stopped by --max-runtime or by SIGINT/SIGTERM records
# what it found, finishes its sweep row and exits 3 naming why; a case
# database that does not exist is an error for every command but import
# and the sweeps; intel that does not compile is never a clean result.
x() { "$@"; echo "[exit $?]"; }
clean() { sed -e 's/ in [0-9.]* s / in <t> s /'; }
S=$DATA/scan
mkdir -p tree/a tree/b
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do head -c 100000 /dev/zero | tr '\0' x >tree/a/f$i.bin; done
printf 'x\n' >tree/b/clean.txt
printf 'rule broken {\n strings: $a = "x"\n condition: $b\n}\n' >broken.yar
# 1. scan files --max-runtime is a time limit (it once set the read rate).
x timeout 20 $CS --db $DB scan files --no-inventory --intel $S/hashes.csv --max-runtime 0.000001 tree 2>&1 | clean
# sweep has --max-runtime, --max-rate, --exclude and --intel.
x $CS --db $DB --quiet sweep --root tree --host t1 --intel $S/hashes.csv --max-runtime 0.000001 --no-software
x $CS --db $DB --quiet sweep --root tree --host t2 --exclude a --no-software | grep -e Coverage -e NOTHING
# 2. A mistyped --db: nothing is created, exit 2 naming the path.
x $CS --db $TMP/no/such/case.db intel stats
x $CS --db $TMP/no/such/case.db findings
x $CS --db $TMP/no/such/case.db intel show evil.com
x $CS --db $TMP/no/such/case.db report --out rep
x $CS --db $TMP/no/such/case.db scan files tree
ls $TMP/no 2>&1 | sed 's/.*: //'
# A case without intel, and intel with nothing usable: errors, not clean.
$CS --db empty.db --quiet intel import broken.yar >/dev/null 2>&1
x $CS --db empty.db scan files tree
# 3. Intel that does not compile: an error alone, incomplete beside usable
# intel on a clean tree, in scan files, scan logs and sweep.
x $CS --db $DB scan files --no-inventory --intel broken.yar tree/b
x $CS --db $DB scan files --no-inventory --intel broken.yar --intel $S/hashes.csv tree/b 2>&1 | clean
x $CS --db $DB scan logs --intel broken.yar tree/b
x $CS --db $DB scan logs --intel broken.yar --intel $S/hashes.csv tree/b
x $CS --db $DB --quiet sweep --root tree/b --host t3 --no-software --intel broken.yar
x $CS --db $DB --quiet sweep --root tree/b --host t3 --no-software --intel broken.yar --intel $S/hashes.csv
# 5. SIGTERM and SIGINT during a sweep (slowed by --max-rate): exit 3, the
# answer says it was interrupted, the sweep row is finished and marked.
for sig in TERM INT; do
	$CS --db $DB sweep --root tree --host sig$sig --no-software --max-rate 0.2 >sig.out 2>sig.err &
	pid=$!
	sleep 1.5
	kill -$sig $pid
	wait $pid
	echo "[exit $?]"
	grep -e INTERRUPTED -e 'NOTHING' sig.out; grep -c '^    interrupted: [0-9]* files' sig.out
	grep -c $'\033' sig.err
done
x $CS --db $DB findings --host sigTERM
$CS --db $DB --json report --out rep >/dev/null
jq -c 'select(.record == "host" and (.host | startswith("sig"))) | {host, incomplete, stopped: .gaps[0]}' rep/findings.jsonl

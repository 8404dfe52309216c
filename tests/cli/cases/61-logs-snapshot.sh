# scan logs from the case starts from a snapshot of its intel kept in the
# cache (docs/log-hunt.md, "Start-up"): made by the first hunt, used by
# the next, made again after an import (which then shows), refused and
# made again when damaged; every hunt reports what --no-cache reports.
x() { "$@"; echo "[exit $?]"; }
clean() { sed -e 's/ in [0-9.]* s:/ in <t> s:/'; }
L=$DATA/logs
cp -r $L/host host
printf '2023-03-29 10:00:00 ws-9 resolved late-addition.test for 10.0.0.9\n' >host/late.log
hunt() { $CS --verbose --db $DB scan logs --no-record --threads 2 host 2>&1 | clean; }
same() { # same as --no-cache, hits and summary
	$CS --db $DB --no-cache scan logs --no-record --threads 2 host 2>&1 | clean >nc.out
	$CS --db $DB scan logs --no-record --threads 2 host 2>&1 | clean >c.out
	cmp -s nc.out c.out && echo "same as --no-cache" || diff nc.out c.out
}
$CS --db $DB intel import --quiet $L/intel.csv >/dev/null
echo "== first hunt: the snapshot is made"
hunt
echo "== second hunt: from the snapshot"
hunt
same
echo "== a hunt with nothing to find"
x $CS --verbose --db $DB scan logs --no-record $L/clean.log 2>&1 | clean
echo "== an import: a new stamp, the new indicator is seen"
printf 'type,value\ndomain,late-addition.test\n' >more.csv
$CS --db $DB intel import --quiet more.csv >/dev/null
hunt | grep -e snapshot -e late-addition
hunt | grep -e snapshot -e late-addition
same
echo "== damaged entries: refused, deleted, made again"
ls $HOME/.cache/chainsweep | grep -c '^tsnap-'
f=$(ls -t $HOME/.cache/chainsweep/tsnap-* | head -n 1)
head -c 1000 "$f" >t && cat t >"$f"
hunt | grep -e snapshot -e 'hits$'
hunt | grep -e snapshot -e 'hits$'
printf 'x' | dd of="$f" bs=1 seek=5000 conv=notrunc status=none
hunt | grep -e snapshot -e 'hits$'
same
echo "== --intel files and --no-cache make none"
rm -f $HOME/.cache/chainsweep/tsnap-*
$CS --verbose --db $DB scan logs --no-record --intel $L/intel.csv host 2>&1 | grep -c snapshot
$CS --verbose --db $DB --no-cache scan logs --no-record host 2>&1 | grep -c snapshot
ls $HOME/.cache/chainsweep | grep -c '^tsnap-'

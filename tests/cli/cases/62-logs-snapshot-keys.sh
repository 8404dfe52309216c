# scan logs from the snapshot loads only the indicators its hits need
# (docs/log-hunt.md, "Start-up"), each as the whole load gives it: the
# same hits, labels, sources, warninglist marks and recorded findings as
# a hunt with the case's intel loaded first (--no-cache). A case damaged
# after the snapshot was made stops the hunt with the database's error.
x() { "$@"; echo "[exit $?]"; }
L=$DATA/logs
cp -r $L/host host
printf 'type,value,campaign,actor,description\n' >a.csv
printf 'domain,journalide.test,3CX-2023,Lazarus,C2 in the trojanized update\n' >>a.csv
printf 'url,https://github.com/IconStorages/images,3CX-2023,,icon repository\n' >>a.csv
printf 'cidr,2001:db8:ff::/48,JumpCloud-2023,,\n' >>a.csv
printf 'ipv4,198.51.100.7,,Lazarus,\n' >>a.csv
printf 'email,ops@evil-updates.test,JumpCloud-2023,,sender\n' >>a.csv
printf 'domain,github.com,3CX-2023,,hosts the icons\n' >>a.csv
printf '{"name":"Code hosting","type":"hostname","list":["github.com"]}\n' >wl.json
$CS --db $DB intel import --quiet $L/intel.csv a.csv >/dev/null
$CS --db $DB intel import --quiet --format warninglist wl.json >/dev/null
printf '2023-03-29 10:00:00 ws-9 mail from ops@evil-updates.test\n' >host/mail.log
# The first hunt makes the snapshot; copies of the case share its stamp.
$CS --db $DB scan logs --no-record host >/dev/null 2>&1
cp $DB whole.db
cp $DB keyed.db
cp $DB damaged.db
strip() { sed -e 's/"seconds":[0-9.e+-]*,//'; }
$CS --db whole.db --no-cache --json scan logs --threads 2 host 2>whole.err | strip >whole.out
$CS --db keyed.db --verbose --json scan logs --threads 2 host 2>keyed.err | strip >keyed.out
grep 'snapshot' keyed.err
cmp -s whole.out keyed.out && echo "hits: same as --no-cache" || diff whole.out keyed.out
grep '"record":"hit"' keyed.out | grep -e 'line":9,' -e 'matched":"github.com' -e ops@ -e 2001:db8
$CS --db whole.db --json findings >fw.out
$CS --db keyed.db --json findings >fk.out
cmp -s fw.out fk.out && echo "recorded: same as --no-cache" || diff fw.out fk.out
wc -l <fk.out
echo "== a case damaged after its snapshot was made"
size=$(stat -c %s damaged.db)
off=16384
while [ $off -lt $size ]; do
	head -c 4096 /dev/zero | tr '\0' '\245' | dd of=damaged.db bs=4096 seek=$((off / 4096)) conv=notrunc status=none
	off=$((off + 4096))
done
x $CS --db damaged.db scan logs --no-record --threads 2 host

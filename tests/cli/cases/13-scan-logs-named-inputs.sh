# scan logs: an argument is opened as named: a symbolic link to a log, a
# link to a folder, /dev/stdin, a process substitution and a FIFO are read
# (as streams where they are ones); a link met while walking a folder is
# not followed. A log with a damaged gzip tail is searched up to the damage.
x() { "$@"; echo "[exit $?]"; }
clean() { sed -e 's/ in [0-9.]* s:/ in <t> s:/'; }
L=$DATA/logs
printf 'one line naming cdn.evil-updates.test\n' >real.log
ln -s real.log link.log
mkdir walked && ln -s ../real.log walked/inside-link.log && cp real.log walked/plain.log
ln -s walked dirlink
x $CS scan logs --threads 1 --intel $L/intel.csv link.log 2>&1 | clean
x $CS scan logs --threads 1 --intel $L/intel.csv dirlink 2>&1 | clean
x $CS scan logs --threads 1 --intel $L/intel.csv /dev/stdin <real.log 2>&1 | clean
cat real.log | $CS scan logs --threads 1 --intel $L/intel.csv /dev/stdin 2>&1 | clean
x $CS scan logs --threads 1 --intel $L/intel.csv <(gzip -c real.log) 2>&1 | clean | sed 's#/dev/fd/[0-9]*#/dev/fd/N#'
mkfifo pipe.log
cat real.log >pipe.log &
x $CS scan logs --threads 1 --intel $L/intel.csv pipe.log 2>&1 | clean
wait
for i in $(seq 1 40); do echo "line $i cdn.evil-updates.test"; done | gzip -c >whole.gz
head -c $(($(stat -c %s whole.gz) - 12)) whole.gz >damaged.log.gz
x $CS scan logs --threads 1 --intel $L/intel.csv damaged.log.gz 2>&1 | clean | grep -v '^HIT'

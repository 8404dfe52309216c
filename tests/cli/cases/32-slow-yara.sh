# A YARA rule file libyara warns "may slow down scanning" (a regex that can
# hold one file for minutes whatever --yara-timeout says) is reported with
# its file and line and left out of the sweep, which then finishes at once;
# --allow-slow-rules keeps it (tried here on a small file only).
x() { "$@"; echo "[exit $?]"; }
mkdir -p tree small
printf 'rule slow_re { strings: $a = /a.{0,200}a.{0,200}a.{0,200}b/ condition: $a }\n' >slow.yar
printf 'rule hello { strings: $b = "hello malware" condition: $b }\n' >hello.yar
python3 -c "open('tree/aaaa.txt','w').write('a' * 100000)"
printf 'hello malware\n' >tree/evil.bin
printf 'aaab\n' >small/s.txt
x $CS --db $DB scan files --no-inventory --threads 1 --intel slow.yar --intel hello.yar tree 2>&1 |
	sed -e 's/ in [0-9.]* s / in <t> s /'
x $CS --db $DB --allow-slow-rules scan files --no-inventory --no-cache --intel slow.yar small 2>&1 |
	sed -e 's/ in [0-9.]* s / in <t> s /'

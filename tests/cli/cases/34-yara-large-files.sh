# A file over the YARA size cap is not held in memory but still YARA-scanned,
# in overlapping blocks read from disk: the same matches as yara (a string
# across a block boundary once, counts and offsets exact, filesize and
# uint16(0) on the whole file), and no "yara-too-large" gap.
x() { "$@"; echo "[exit $?]"; }
mkdir big
python3 - <<'PY'
M = 1 << 20
d = bytearray(b'MZ' + b'\0' * (3 * M - 2))
s = b'hello malware'
for off in (100, M - 5, 2 * M - M // 64 - 3, 3 * M - 13):
    d[off:off + len(s)] = s
open('big/f.bin', 'wb').write(d)
PY
cat >big.yar <<'YAR'
rule hello_big { strings: $a = "hello malware" condition: uint16(0) == 0x5a4d and filesize > 2MB and #a == 4 and $a at 1048571 }
rule hello_any { strings: $a = "hello malware" condition: $a }
YAR
yara -s big.yar big/f.bin | sort
x $CS scan files --no-record --no-inventory --no-cache --yara-max-size 1M --intel big.yar big 2>&1 |
	sed -e 's/ in [0-9.]* s / in <t> s /'

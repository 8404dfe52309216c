# File names that are not UTF-8: a name holding the byte 0xFF and one
# literally spelled with a backslash, 'x', 'f', 'f' are two files and two
# findings, printed differently; a Windows-style backslash is kept as is.
x() { "$@"; echo "[exit $?]"; }
mkdir tree intel
printf 'hello malware\n' >"tree/a$(printf '\377').bin"
printf 'hello malware\n' >'tree/a\xff.bin'
printf 'hello malware\n' >'tree/C:\Users\u.bin'
printf 'hello malware\n' | sha256sum | cut -d' ' -f1 >intel/hashes.txt
x $CS --db $DB intel import intel/hashes.txt >/dev/null
x $CS --db $DB sweep --root tree | sed -e 's/(modified [^)]*)//' | sort
x $CS --db $DB findings | sed -e 's/first [^ ]*  last [^ ]*//' | sort

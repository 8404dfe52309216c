# A re-sweep remembers what it could not read: an encrypted zip and a zip
# bomb make the first sweep INCOMPLETE (exit 3), and every later sweep too,
# whether it reads the files again (sweep, scan files) or matches the
# inventory without reading (scan files --from-inventory).
x() { "$@"; echo "[exit $?]"; }
gaps() { grep -o -E 'archive-(encrypted|bomb)[^,;]*|INCOMPLETE|complete$|not fully read[^;]*' | sort | uniq -c; }
mkdir -p tree intel
printf 'hello malware\n' | sha256sum | cut -d' ' -f1 >intel/hashes.txt
printf 'clean text\n' >tree/readme.txt
printf 'secret\n' >secret.txt
zip -q -P pw tree/locked.zip secret.txt
head -c 40000000 /dev/zero >zeros.bin
zip -q -9 tree/bomb.zip zeros.bin
rm zeros.bin secret.txt
x $CS --db $DB intel import intel/hashes.txt >/dev/null 2>&1
for i in 1 2; do
	echo "== sweep $i"
	$CS --db $DB sweep --root tree >out.txt 2>&1; echo "[exit $?]"
	gaps <out.txt
done
for i in 1 2; do
	echo "== scan files $i"
	$CS --db $DB scan files tree >out.txt 2>&1; echo "[exit $?]"
	gaps <out.txt
done
echo "== scan files --from-inventory"
$CS --db $DB scan files --from-inventory >out.txt 2>&1; echo "[exit $?]"
gaps <out.txt

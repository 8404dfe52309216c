# A case that cannot be written (a full disk, simulated with a file size
# limit, which root cannot bypass) does not stop a sweep: it sweeps, prints
# the answer with its findings, says they were not recorded, and exits 1.
x() { "$@"; echo "[exit $?]"; }
mkdir tree
printf 'hello malware\n' >tree/evil.bin
printf 'hello malware\n' | sha256sum | cut -d' ' -f1 >hashes.txt
x $CS --db $DB intel import hashes.txt >/dev/null 2>&1
for lim in 0 68; do
	echo "== at most $lim blocks written"
	cp $DB limited.db
	(
		trap '' XFSZ
		ulimit -f $lim
		$CS --db limited.db sweep --root tree
		echo "[exit $?]"
	) 2>&1 | sed -e 's/(modified [^)]*)//'
	rm -f limited.db*
done

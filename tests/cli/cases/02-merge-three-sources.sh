# The same file hash written three ways (upper case in a multi-hash CSV
# cell, a MISP filename|sha256 composite, a Loki "SHA256=" line) becomes
# one indicator with three sources; defanged and warninglisted values.
x() { "$@"; echo "[exit $?]"; }
x $CS --db $DB intel import $DATA/vendor.csv $DATA/event.misp.json $DATA/hash-iocs.txt
x $CS --db $DB intel show 82F4DDC9D114A0CA864923E69885D4D915F4D7A63CB711806B5217F2F8768F93
x $CS --db $DB intel show 'cdn[.]badvendor[.]test'
x $CS --db $DB --json intel show updates.badvendor.test
x $CS --db $DB intel ls --label 'Example Actor'
x $CS --db $DB intel show no-such.example

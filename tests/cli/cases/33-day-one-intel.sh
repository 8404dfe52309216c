# What a responder meets on day one with real intel: a regex Hyperscan
# refuses is reported at its file and line and makes the sweep incomplete; findings --indicator takes the
# value as intel show does (defanged, upper case); a YARA rule file of
# comments only is a note, not a failed import.
x() { "$@"; echo "[exit $?]"; }
mkdir -p tree/var/log intel
printf 'x\n' >tree/a.txt
printf '# Loki filename iocs\n\\\\Temp\\\\[a-z]+\\.exe$;80\n(a)\\1\\.exe$;70\n' >intel/filename-iocs.txt
printf 'journalide.org\n' >intel/domains.txt
printf '/* rules moved elsewhere */\n// nothing here\n' >intel/empty.yar
printf '2023-03-29T10:00:00Z ws-17 query journalide.org A\n' >tree/var/log/dns.log
x $CS --db $DB intel import intel
x $CS --db $DB scan files --no-inventory --no-record tree 2>&1 | sed -e 's/ in [0-9.]* s / in <t> s /'
$CS --db $DB sweep --root tree >/dev/null; echo "[exit $?]"
x $CS --db $DB findings --indicator 'JOURNALIDE[.]org'
x $CS --db $DB findings --indicator 'hxxps://journalide[.]org'
# An unknown option is an error, never a value to look up; intel --help
# lists every intel command.
x $CS --db $DB intel show --bogus-opt
$CS --db $DB intel --help | grep -c '^usage: chainsweep intel'

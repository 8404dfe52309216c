# needs: real-world
# Real OSV records (GitHub advisories) imported as intel: a Gemfile.lock
# holding the backdoored paranoid2 1.1.6 is found from the case alone,
# the clean 1.1.5 is not.
x() { "$@"; echo "[exit $?]"; }
x $CS --db $DB intel import $RW/osv
$CS --db $DB intel stats | grep -E '^OSV'
mkdir -p app
printf 'GEM\n  remote: https://rubygems.org/\n  specs:\n    paranoid2 (1.1.6)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  paranoid2\n' >app/Gemfile.lock
touch -d '2026-01-02 03:04:05Z' app/Gemfile.lock
x $CS --db $DB scan software --no-record --sbom app/Gemfile.lock
sed -i 's/1\.1\.6/1.1.5/' app/Gemfile.lock
x $CS --db $DB scan software --no-record --sbom app/Gemfile.lock

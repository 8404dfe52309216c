# OSV advisories are intel: `intel import` keeps them in the case (one
# record per id and modified time, with the intel version), `intel stats`
# counts them, and `scan software` and `sweep` use them without --osv; a
# newer record of an advisory replaces the older one for the sweeps.
x() { "$@"; echo "[exit $?]"; }
SW=$DATA/../software
x $CS --db $DB intel import $SW/osv
$CS --db $DB intel stats | grep -E '^OSV|^  v'
$CS --db $DB --json intel stats | jq -c '.osv_advisories'
# No --osv: the case's advisories.
x $CS --db $DB scan software --no-record --sbom $SW/host/srv/webapp/bom.cdx.json \
	--sbom $SW/host/srv/webapp/package-lock.json
# The advisory is fixed in a later record: the demo-requests finding goes.
cat >newer.json <<'JSON'
{"schema_version": "1.6.0", "id": "PYSEC-DEMO-2026-1", "modified": "2026-12-01T00:00:00Z",
 "summary": "crafted: demo-requests before 2.31.0 (corrected)",
 "affected": [{"package": {"ecosystem": "PyPI", "name": "demo-requests"},
   "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.31.0"}]}]}]}
JSON
x $CS --db $DB --quiet intel import newer.json
$CS --db $DB intel stats | grep -E '^OSV'
x $CS --db $DB scan software --no-record --sbom $SW/host/srv/webapp/bom.cdx.json
# With --osv too, both are read.
x $CS --db $DB scan software --no-record --sbom $SW/host/srv/webapp/bom.cdx.json --osv $SW/osv/bundle.json
# OSV files given as --intel are read as advisories too.
x $CS --db $DB scan software --no-record --intel $SW/osv/MAL-2026-0001.json \
	--sbom $SW/host/srv/webapp/package-lock.json
# An OSV array cut short in its third record: the two before are kept,
# the version is marked partial, exit 2.
head -c 800 $SW/osv/bundle.json >cut.json
x $CS --db $DB intel import cut.json
$CS --db $DB intel stats | grep -E '^OSV|PARTIAL'
# The sweep of a host folder reads the case's advisories too.
mkdir -p host/srv/app && cp $SW/host/srv/webapp/package-lock.json host/srv/app/
touch -d '2026-01-02 03:04:05Z' host/srv/app/package-lock.json
x $CS --db $DB --quiet sweep --root host --host h1 --no-logs

# scan software on a crafted, benign host tree: 3CX DesktopApp 18.12.416
# in a Windows export and a macOS Info.plist (affected), 18.12.422 in an
# Electron app and an osquery export (clean), a MAL- npm version beside
# its clean neighbour, Debian packages inside and just outside a range,
# broken inputs reported with their position (exit 1 with findings, 3
# when nothing is found but something could not be read, 0 when clean).
x() { "$@"; echo "[exit $?]"; }
SW=$DATA/../software
cp -r $SW/host tree
ln -s /etc tree/srv/etc-link
# Stable times: git does not keep them.
find tree -exec touch -h -d '2026-01-02 03:04:05Z' {} +
touch -d '2025-06-07 08:09:10Z' tree/var/lib/dpkg/info/libdemo1:amd64.list
x $CS --db $DB scan software --root tree --osv $SW/osv --intel $SW/intel/3cx-product-versions.csv
# JSON Lines: the fields a report needs.
$CS --db $DB --json scan software --root tree --osv $SW/osv --intel $SW/intel/3cx-product-versions.csv 2>/dev/null |
	jq -c 'if .record == "finding" then {id, affected, malicious, indeterminate,
		p: (.package | {name, version, platform, reader, entry, install_time, install_time_source}),
		labels: .indicator.labels} else {record, findings, incomplete, coverage, advisories} end'
# The product-version indicators kept in the case database serve later sweeps.
x $CS --db $DB --quiet intel import $SW/intel/3cx-product-versions.csv
x $CS --db $DB scan software --sbom tree/Users/alice/exports/uninstall-keys.csv
# Only the clean 3CX build and a broken input: nothing found, incomplete.
mkdir -p clean/exports && cp tree/Users/alice/exports/osquery-programs.json clean/exports/
cp tree/srv/broken/package-lock.json clean/
x $CS --db $DB scan software --root clean --osv $SW/osv
rm clean/package-lock.json
x $CS --db $DB --quiet scan software --root clean --osv $SW/osv
# Errors: no such root, a file no reader wants, a bad option.
x $CS --db $DB scan software --root no-such-dir
x $CS --db $DB scan software --sbom $SW/osv/MAL-2026-0001.json
x $CS --db $DB scan software --bogus 1

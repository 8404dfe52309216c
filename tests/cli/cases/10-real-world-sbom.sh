# needs: real-world
# The juice-shop CycloneDX SBOMs (nested and flat) against the OSV files of
# osv-schema: 1,116 npm packages each (1,115 components and the metadata
# component), none named by those advisories: exit 0, nothing found.
x() { "$@"; echo "[exit $?]"; }
x $CS --db $DB scan software --sbom $RW/sbom/cyclonedx-juice-shop-bare.1.4.json --sbom $RW/sbom/cyclonedx-juice-shop-flat.1.4.json --osv $RW/osv
$CS --db $DB --json scan software --sbom $RW/sbom/cyclonedx-juice-shop-bare.1.4.json --osv $RW/osv | jq -c '{record, findings, packages: .coverage.packages, a: .advisories}'

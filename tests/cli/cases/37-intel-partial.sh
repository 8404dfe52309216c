# An intel file read only in part is never a quiet success: a STIX bundle
# of 20,000 indicators cut in half keeps what was read before the cut, is
# recorded as partial with its intel version (intel stats says so), and
# the import exits 2. A whole bundle beside it is not marked.
x() { "$@"; echo "[exit $?]"; }
awk 'BEGIN {
	printf "{\"type\": \"bundle\", \"id\": \"bundle--00000000-0000-4000-8000-000000000000\", \"objects\": [\n"
	for (i = 0; i < 20000; i++)
		printf "%s{\"type\": \"indicator\", \"spec_version\": \"2.1\", \"id\": \"indicator--%08x-0000-4000-8000-000000000000\", \"created\": \"2023-01-01T00:00:00Z\", \"modified\": \"2023-01-01T00:00:00Z\", \"pattern\": \"[file:hashes.'"'"'SHA-256'"'"' = '"'"'%064x'"'"']\", \"pattern_type\": \"stix\", \"valid_from\": \"2023-01-01T00:00:00Z\"}\n", i ? "," : "", i, i
	printf "]}\n"
}' >bundle.json
head -c $(( $(wc -c <bundle.json) / 2 )) bundle.json >half.json
wc -c bundle.json half.json
x $CS --db $DB intel import half.json
$CS --db $DB intel stats | sed -n '/^intel versions/,$p'
$CS --db $DB --json intel stats | jq -c '.versions[] | {version, accepted, partial}'
$CS --db $DB --json intel import bundle.json 2>/dev/null |
	jq -c '{files, files_failed, files_partial, accepted}'
echo "[exit ${PIPESTATUS[0]}]"
$CS --db $DB intel stats | sed -n '/^intel versions/,$p'
# Two files, one of them cut: the import saves both, marks one, exits 2.
x $CS --db both.db --quiet intel import bundle.json half.json

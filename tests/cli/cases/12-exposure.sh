# chainsweep exposure, the cascading 3CX case on crafted, benign hosts:
# X_TRADER r7.17.90p608 -> 3CX's build environment -> DesktopApp 18.12.407
# and 18.12.416 -> the hosts that run them (swept with scan software --root
# over a Windows programs export and a macOS Info.plist); ws-422 runs
# 18.12.422 and is never listed. Then JSON, DOT, SVG, a query window,
# a kiosk whose SBOM bundles the app, and errors (exit 2, file:line:col).
x() { "$@"; echo "[exit $?]"; }
EX=$DATA/../exposure
cp -r $EX/hosts hosts
cp $EX/relations.yaml $EX/kiosk-1.3.0.cdx.json .
for h in ws-win-407 mac-416 ws-422; do
	$CS --db $DB scan software --root hosts/$h >/dev/null 2>&1
	echo "scan software $h: exit $?"
done
x $CS --db $DB exposure --compromised x_trader@r7.17.90p608 --relations relations.yaml
# The host on 18.12.422 is not listed: nothing mentions it.
$CS --db $DB exposure --compromised x_trader@r7.17.90p608 --relations relations.yaml 2>&1 |
	grep -c '422' || true
# JSON Lines: what reached, and the path as keys.
$CS --db $DB --json exposure --compromised x_trader@r7.17.90p608 --relations relations.yaml |
	jq -c 'if .record == "summary" then . else
		{type, label: .label, indeterminate, path:  [.path[] | (.relation // "") + ">" + .key]} end'
# DOT: every edge walked, quoted; SVG: well-formed, one box per node.
x $CS --db $DB --quiet exposure --compromised x_trader@r7.17.90p608 --relations relations.yaml --dot
$CS --db $DB --quiet exposure --compromised x_trader@r7.17.90p608 --relations relations.yaml --svg >x.svg
xmllint --noout x.svg && echo "svg: well-formed, $(grep -c '<g class="node">' x.svg) nodes, $(grep -c '<g class="edge">' x.svg) edges"
# A narrower window (the query's): only 18.12.416 and its host.
x $CS --db $DB exposure --compromised x_trader@r7.17.90p608 --window 2023-03-10.. --relations relations.yaml
# The build environment with no window: every version it built, 18.12.422
# (and ws-422) included; a version directly: its hosts.
$CS --db $DB exposure --compromised 3cx-build --relations relations.yaml 2>&1 | grep '^EXPOSED'
x $CS --db $DB exposure --compromised '3CX DesktopApp@18.12.422' --relations relations.yaml
# Nothing downstream: exit 0.
x $CS --db $DB exposure --compromised acme-callcenter-kiosk@1.3.0 --relations relations.yaml
# Errors: exit 2, with file:line:column.
printf 'vendors:\n  - id: a\nproducts:\n  - id: [b\n' >bad.yaml
x $CS --db $DB exposure --compromised a --relations bad.yaml
printf 'vendors: {id: a}\nrelations:\n  - {type: builds, by: nowhere, product: a}\n' >types.yaml
x $CS --db $DB exposure --compromised a --relations types.yaml
x $CS --db $DB exposure --compromised nothing-like-it --relations relations.yaml
x $CS --db $DB exposure --compromised a --window 2023-04-01..2023-03-01
x $CS --db $DB exposure --relations relations.yaml
x $CS --db $DB exposure --compromised a --relations no-such.yaml

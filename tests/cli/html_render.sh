#!/usr/bin/env bash
# Render the demo lab's HTML report in headless Chromium (Debian's
# `chromium`, which scripts/deps.sh installs): the page must load with no
# console message at all (it has no script), refer to nothing outside
# itself, and a screenshot is written to $CS_ARTIFACTS (default: the current
# folder) as report-screenshot.png.
# usage: html_render.sh CHAINSWEEP_BINARY
set -euo pipefail
cs=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${CS_ARTIFACTS:-$PWD}
if ! command -v chromium >/dev/null; then
	echo "SKIP: html_render: chromium is not installed (make deps installs it)"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$top/scripts/demo-lab.sh" "$tmp/lab" >/dev/null
"$cs" --db "$tmp/case.db" --quiet intel import --bundled "$tmp/lab/lab-intel.csv" >/dev/null 2>&1 || true
for h in ws-17 ws-18; do
	"$cs" --db "$tmp/case.db" --quiet sweep --root "$tmp/lab/$h" --host "$h" >/dev/null || true
done
"$cs" --db "$tmp/case.db" report --out "$tmp/rep" >/dev/null
mkdir -p "$out"
shot=$out/report-screenshot.png
rm -f "$shot"
# --enable-logging prints the page's console as lines with ":CONSOLE";
# Chromium's own background traffic is turned off, and no name resolves:
# nothing leaves this host.
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
	--no-first-run --user-data-dir="$tmp/profile" --enable-logging=stderr --v=0 \
	--disable-background-networking --disable-component-update --disable-sync \
	--disable-default-apps --disable-extensions --disable-domain-reliability \
	--no-pings --disable-client-side-phishing-detection --disable-features=Translate \
	--host-resolver-rules="MAP * ~NOTFOUND" \
	--window-size=1280,2400 --screenshot="$shot" \
	"file://$tmp/rep/report.html" >"$tmp/chromium.out" 2>"$tmp/chromium.err" || {
	echo "FAIL: html_render: chromium failed:"
	tail -n 20 "$tmp/chromium.err"
	exit 1
}
fail=0
if grep -q ':CONSOLE' "$tmp/chromium.err"; then
	echo "FAIL: html_render: the page wrote to the console:"
	grep ':CONSOLE' "$tmp/chromium.err" | head
	fail=1
fi
if [ ! -s "$shot" ] || [ "$(head -c 8 "$shot" | od -An -tx1 | tr -d ' \n')" != 89504e470d0a1a0a ]; then
	echo "FAIL: html_render: no PNG screenshot at $shot"
	fail=1
fi
# What the page could load: no script, stylesheet, image, frame or font
# of any kind, and no link out of the page (Chromium's own background
# requests, which it makes whatever the page, cannot resolve anyway).
# url(#id) names a marker inside the page's own SVG and is allowed.
if grep -Eiq '<(script|link|img|iframe|object|embed)\b|src=|url\([^#]|@import|href="[^#]' \
	"$tmp/rep/report.html"; then
	echo "FAIL: html_render: the page refers to something outside itself:"
	grep -Eio '<(script|link|img|iframe|object|embed)\b[^>]*|src=[^ >]*|url\([^#)][^)]*\)|@import[^;]*|href="[^#][^"]*"' \
		"$tmp/rep/report.html" | head
	fail=1
fi
# The lab's findings overlap the bundled intel's clusters: the page says so.
if ! grep -q '<section id="overlap">' "$tmp/rep/report.html" ||
	! grep -q 'actor:UNC4736' "$tmp/rep/report.html"; then
	echo "FAIL: html_render: no overlap leads (actor:UNC4736) in the report"
	fail=1
fi
[ "$fail" -eq 0 ] || exit 1
echo "html_render: report rendered without console messages or outside references; screenshot $shot ($(stat -c %s "$shot") bytes)"

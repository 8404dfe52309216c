#!/usr/bin/env bash
# Render the HTML report of the demo lab (what `make demo` builds), plus a
# crafted finding a MISP event tags with thirty ATT&CK techniques, at a
# very long path, in headless Chromium (Debian's `chromium`, which
# scripts/deps.sh installs), at 1,400 and at 400 px wide:
#   - the page writes nothing to the console and refers to nothing outside
#     itself (no script, style sheet, image, font, frame or link out);
#   - no element reaches past the viewport's width, and the page does not
#     scroll sideways, with every finding folded and with every one
#     unfolded;
#   - every finding's time (the <time class="when"> of its row) lies
#     inside the viewport's width;
#   - no text is drawn smaller than 9 px (a drawing shrunk to fit counts
#     at its shrunk size).
# The layout is measured by a small script added to a copy of the report
# only (the report has none), whose answer Chromium's --dump-dom prints.
# Screenshots land in $CS_ARTIFACTS/html-render (default: the current
# folder): report-1400.png and report-400.png (the first 900 px, as a
# reader first sees the page), report-{1400,400}-full.png (the whole page)
# and report-400-open.png (the whole page, every finding unfolded).
# usage: html_render.sh CHAINSWEEP_BINARY
set -euo pipefail
cs=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${CS_ARTIFACTS:-$PWD}/html-render
if ! command -v chromium >/dev/null; then
	if [ -x "$top/scripts/deps.sh" ] && "$top/scripts/deps.sh" >/dev/null 2>&1 &&
		command -v chromium >/dev/null; then
		:
	else
		echo "SKIP: html_render: chromium is not installed and could not be (scripts/deps.sh)"
		exit 0
	fi
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- the case: the demo lab, and one crafted finding ---------------------
"$top/scripts/demo-lab.sh" "$tmp/lab" >/dev/null
deep=$tmp/lab/ws-17/Users/alice/AppData/Roaming
for i in $(seq 1 12); do deep=$deep/Microsoft-Windows-Component-Cache-$i; done
mkdir -p "$deep"
printf 'chainsweep html_render: a benign file whose hash the crafted MISP event lists\n' \
	>"$deep/UpdateAgentHelperServiceWithAVeryLongName.dll"
sha=$(sha256sum "$deep/UpdateAgentHelperServiceWithAVeryLongName.dll" | cut -d' ' -f1)
touch -d '2023-03-25 14:00:00 UTC' "$deep/UpdateAgentHelperServiceWithAVeryLongName.dll"
{
	printf '{"Event":{"id":"7","info":"html_render: thirty techniques","uuid":"b0000000-0000-4000-8000-000000000000",'
	printf '"date":"2023-03-25","Tag":[{"name":"misp-galaxy:threat-actor=\\"Lab Actor With A Long Name\\""}'
	for i in $(seq 1 30); do
		printf ',{"name":"misp-galaxy:mitre-attack-pattern=\\"Crafted Technique Number %d - T%04d.%03d\\""}' \
			"$i" $((1000 + i)) "$i"
	done
	printf '],"Attribute":[{"id":"1","type":"sha256","category":"Payload delivery","to_ids":true,'
	printf '"uuid":"b0000000-0000-4000-8000-000000000001","value":"%s"}]}}\n' "$sha"
} >"$tmp/crafted.misp.json"
"$cs" --db "$tmp/case.db" --quiet intel import --bundled "$tmp/lab/lab-intel.csv" \
	"$tmp/crafted.misp.json" >/dev/null 2>&1 || true
for h in ws-17 ws-18; do
	"$cs" --db "$tmp/case.db" --quiet sweep --root "$tmp/lab/$h" --host "$h" >/dev/null || true
done
"$cs" --db "$tmp/case.db" report --out "$tmp/rep" --title "chainsweep demo: 3CX lab" >/dev/null
rep=$tmp/rep/report.html
nfind=$(grep -c '"record":"finding"' "$tmp/rep/findings.jsonl" || true)
fail=0
if ! grep -q 'T1030.030' "$rep" || ! grep -q "$sha" "$rep"; then
	echo "FAIL: html_render: the crafted finding (30 ATT&CK labels, hash $sha) is not in the report"
	fail=1
fi

# Chromium, with its own background traffic turned off and no name
# resolving: nothing leaves this host.
chrome() {
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
		--no-first-run --user-data-dir="$tmp/profile" --hide-scrollbars \
		--disable-background-networking --disable-component-update --disable-sync \
		--disable-default-apps --disable-extensions --disable-domain-reliability \
		--no-pings --disable-client-side-phishing-detection --disable-features=Translate \
		--host-resolver-rules="MAP * ~NOTFOUND" "$@"
}

# The probe: the report in a frame exactly as wide as the viewport under
# test (headless Chromium will not make its window narrower than 500 px
# for --dump-dom, but a frame can be), measured from the page around it
# (file pages may read each other with --allow-file-access-from-files):
# for the folded and the unfolded report, every element whose box leaves
# [0, frame width], a page wider than the frame, a finding's time outside
# it or not shown, text under 9 px. It writes what it found (one line
# each) and the page's height into its own DOM, between markers.
probe() {
	cat <<EOF
<!DOCTYPE html><html><head><meta charset="utf-8"/></head><body style="margin:0">
<iframe id="f" src="report.html" style="width:${1}px;height:900px;border:0"></iframe>
<script>
function csProbe() {
  var f = document.getElementById("f"), doc = f.contentDocument, win = f.contentWindow;
  var de = doc.documentElement, cw = de.clientWidth, lines = [], ntimes = 0;
  function name(el) {
    var s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    if (el.getAttribute("class")) s += "." + el.getAttribute("class").split(" ").join(".");
    var t = (el.textContent || "").replace(/\s+/g, " ").trim();
    return s + (t ? " \"" + t.slice(0, 50) + "\"" : "");
  }
  function ownText(el) {
    for (var n = el.firstChild; n; n = n.nextSibling)
      if (n.nodeType === 3 && n.nodeValue.trim()) return true;
    return false;
  }
  function check(state) {
    var all = doc.body.querySelectorAll("*"), i, r, el, size, m;
    for (i = 0; i < all.length; i++) {
      el = all[i];
      r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.right > cw + 0.5 || r.left < -0.5)
        lines.push(state + ": overflow: " + name(el) + " spans " + r.left.toFixed(1) + ".." +
                   r.right.toFixed(1) + " of " + cw);
      if (ownText(el) && win.getComputedStyle(el).visibility !== "hidden") {
        size = parseFloat(win.getComputedStyle(el).fontSize);
        if (el.namespaceURI === "http://www.w3.org/2000/svg" && el.getScreenCTM &&
            (m = el.getScreenCTM()))
          size *= Math.sqrt(m.a * m.a + m.b * m.b);
        if (size < 9)
          lines.push(state + ": small text: " + name(el) + " at " + size.toFixed(1) + " px");
      }
    }
    if (de.scrollWidth > cw)
      lines.push(state + ": the page scrolls sideways: " + de.scrollWidth + " > " + cw);
    var times = doc.querySelectorAll("#findings time.when");
    ntimes = times.length;
    for (i = 0; i < times.length; i++) {
      r = times[i].getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || r.left < 0 || r.right > cw ||
          win.getComputedStyle(times[i]).visibility === "hidden")
        lines.push(state + ": a finding time is not in view: " + name(times[i]) + " at " +
                   r.left.toFixed(1) + ".." + r.right.toFixed(1) + " of " + cw);
    }
  }
  check("folded");
  var h = de.scrollHeight, d = doc.querySelectorAll("details");
  for (var i = 0; i < d.length; i++) d[i].open = true;
  check("unfolded");
  var pre = document.createElement("pre");
  pre.textContent = "CS-PROBE-BEGIN\nwidth " + cw + "\nheight " + h + "\nheight-open " +
    de.scrollHeight + "\ntimes " + ntimes + "\n" + lines.join("\n") + "\nCS-PROBE-END";
  document.body.appendChild(pre);
}
var fr = document.getElementById("f");
if (fr.contentDocument && fr.contentDocument.readyState === "complete" &&
    fr.contentDocument.getElementById("findings"))
  csProbe();
else
  fr.addEventListener("load", csProbe);
</script></body></html>
EOF
}
sed 's/<details class="finding/<details open class="finding/g' "$rep" >"$tmp/rep/open.html"

mkdir -p "$out"
rm -f "$out"/report-*.png
for wd in 1400 400; do
	probe "$wd" >"$tmp/rep/probe-$wd.html"
	chrome --allow-file-access-from-files --virtual-time-budget=5000 \
		--window-size="$((wd + 200)),1000" --dump-dom "file://$tmp/rep/probe-$wd.html" \
		>"$tmp/dom-$wd.html" 2>"$tmp/chromium-$wd.err" || {
		echo "FAIL: html_render: chromium --dump-dom failed at $wd px:"
		tail -n 20 "$tmp/chromium-$wd.err"
		exit 1
	}
	sed -n '/CS-PROBE-BEGIN/,/CS-PROBE-END/p' "$tmp/dom-$wd.html" >"$tmp/probe-$wd.txt"
	if ! grep -q CS-PROBE-END "$tmp/probe-$wd.txt"; then
		echo "FAIL: html_render: the layout probe did not run at $wd px"
		fail=1
		continue
	fi
	width=$(sed -n 's/^width //p' "$tmp/probe-$wd.txt")
	height=$(sed -n 's/^height //p' "$tmp/probe-$wd.txt")
	hopen=$(sed -n 's/^height-open //p' "$tmp/probe-$wd.txt")
	times=$(sed -n 's/^times //p' "$tmp/probe-$wd.txt")
	if [ "$width" != "$wd" ]; then
		echo "FAIL: html_render: viewport $width px wide, asked for $wd"
		fail=1
	fi
	if [ "$times" != "$nfind" ]; then
		echo "FAIL: html_render: $times finding times on the page at $wd px, $nfind findings"
		fail=1
	fi
	if grep -Eq '^(folded|unfolded): ' "$tmp/probe-$wd.txt"; then
		echo "FAIL: html_render: at $wd px (problems by kind, then the first of them):"
		grep -E '^(folded|unfolded): ' "$tmp/probe-$wd.txt" |
			sed -E 's/^(folded|unfolded): ([^:]*):.*/\1: \2/' | sort | uniq -c
		grep -E '^(folded|unfolded): ' "$tmp/probe-$wd.txt" | head -n 20
		fail=1
	fi
	# What a reader sees first, and the whole page.
	shot=$out/report-$wd.png
	chrome --enable-logging=stderr --v=0 --window-size="$wd,900" --screenshot="$shot" \
		"file://$rep" >/dev/null 2>"$tmp/shot-$wd.err" || {
		echo "FAIL: html_render: chromium failed at $wd px:"
		tail -n 20 "$tmp/shot-$wd.err"
		exit 1
	}
	if grep -q ':CONSOLE' "$tmp/shot-$wd.err"; then
		echo "FAIL: html_render: the page wrote to the console:"
		grep ':CONSOLE' "$tmp/shot-$wd.err" | head
		fail=1
	fi
	[ "$height" -le 16000 ] || height=16000
	chrome --window-size="$wd,$height" --screenshot="$out/report-$wd-full.png" \
		"file://$rep" >/dev/null 2>&1 || true
	if [ "$wd" = 400 ]; then
		[ "$hopen" -le 16000 ] || hopen=16000
		chrome --window-size="$wd,$hopen" --screenshot="$out/report-400-open.png" \
			"file://$tmp/rep/open.html" >/dev/null 2>&1 || true
	fi
	for f in "$shot" "$out/report-$wd-full.png"; do
		if [ ! -s "$f" ] || [ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" != 89504e470d0a1a0a ]; then
			echo "FAIL: html_render: no PNG screenshot at $f"
			fail=1
		fi
	done
done
# What the page could load: no script, stylesheet, image, frame or font
# of any kind, and no link out of the page (Chromium's own background
# requests, which it makes whatever the page, cannot resolve anyway).
if grep -Eiq '<(script|link|img|iframe|object|embed)\b|src=|url\(|@import|href="[^#]' "$rep"; then
	echo "FAIL: html_render: the page refers to something outside itself:"
	grep -Eio '<(script|link|img|iframe|object|embed)\b[^>]*|src=[^ >]*|url\([^)]*\)|@import[^;]*|href="[^#][^"]*"' \
		"$rep" | head
	fail=1
fi
# The lab's findings overlap the bundled intel's clusters: the page says
# so, with the graph and its legend.
if ! grep -q '<section id="overlap">' "$rep" || ! grep -q 'actor:UNC4736' "$rep" ||
	! grep -q '<ul class="legend">' "$rep"; then
	echo "FAIL: html_render: no overlap leads (actor:UNC4736) with a legend in the report"
	fail=1
fi
# The clean host names the intel it was checked against.
if ! grep -Eq 'No findings on: ws-18, checked against intel version [0-9]+ \([0-9,]+ indicators\)' "$rep"; then
	echo "FAIL: html_render: the clean host does not name the intel it was checked against"
	fail=1
fi
[ "$fail" -eq 0 ] || exit 1
echo "html_render: $nfind findings; at 1400 and 400 px nothing overflows, every finding's time is in view, no text under 9 px; screenshots in $out"

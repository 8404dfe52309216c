# Intel text (descriptions, labels, values, import warnings) and --host
# carry terminal escape sequences (ESC ] 0 ; title BEL sets the window
# title, ESC [ 2 J clears the screen, U+009B is CSI): every text output
# shows them escaped as \xNN, as it shows file paths; JSON output stays
# valid JSON with the text in it (\u001b).
x() { "$@"; echo "[exit $?]"; }
mkdir tree
cp $DATA/scan/payload.txt tree/ffmpeg.dll
cat >evil.misp.json <<'JSON'
{"Event": {"info": "event \u001b]0;pwned\u0007", "uuid": "5b1f0000-0000-4000-8000-0000000000e1",
 "Tag": [{"name": "actor:\u001b[2JMallory"}],
 "Attribute": [
  {"type": "sha256", "value": "38e5e5b32373e8f60eed2b6bcd47d4068473987197bf916727cdf2f64f55c94a",
   "to_ids": true, "comment": "\u001b[31mred\u001b[0m \u009b2J \u202eevil", "uuid": "5b1f0000-0000-4000-8000-0000000000e2"},
  {"type": "domain", "value": "bad\u001b[2J..example", "to_ids": true, "uuid": "5b1f0000-0000-4000-8000-0000000000e3"}
 ]}}
JSON
# Any ESC or BEL byte left in the output is counted.
raw() { LC_ALL=C grep -c $'[\x1b\x07\x9b]' || true; }
x $CS --db $DB intel import evil.misp.json 2>&1 | tee out.txt
raw <out.txt
x $CS --db $DB intel ls 2>&1 | tee out.txt
raw <out.txt
x $CS --db $DB intel show 38e5e5b32373e8f60eed2b6bcd47d4068473987197bf916727cdf2f64f55c94a 2>&1 |
	tee out.txt | grep -v 'since:'
raw <out.txt
$CS --db $DB intel stats 2>&1 | tee out.txt | grep -E 'Mallory|pwned' | sed -e 's/  */ /g'
raw <out.txt
x $CS --db $DB sweep --root tree --host $'h1\e]0;owned\a' --no-logs --no-software 2>&1 |
	tee out.txt | grep -E 'HIT|ffmpeg' | sed -e 's/(modified .*)/(modified <t>)/'
raw <out.txt
x $CS --db $DB findings 2>&1 | tee out.txt | cut -d' ' -f1-3
raw <out.txt
x $CS --db $DB scan files --no-inventory --no-record tree 2>&1 | tee out.txt | grep FOUND | sed -e 's#/[^ ]*/tree#tree#'
raw <out.txt
# JSON: valid, and the text is all there.
$CS --db $DB --json findings | jq -ac '[.host, .labels]'
$CS --db $DB --json intel show 38e5e5b32373e8f60eed2b6bcd47d4068473987197bf916727cdf2f64f55c94a |
	jq -ac '.labels, [.sources[].description]'
$CS --db $DB --json findings | LC_ALL=C grep -c $'\x1b' || true
# A host name that is not UTF-8: shown escaped, and its JSON record is
# not lost (jansson refuses strings that are not UTF-8).
$CS --db $DB sweep --root tree --host $'bad\xffhost' --no-logs --no-software | head -n 1
$CS --db $DB --json findings | jq -ac '.host'

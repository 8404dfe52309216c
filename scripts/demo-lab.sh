#!/usr/bin/env bash
# Build the demo lab: two small, crafted, benign host folders.
#
#   ws-17  a compromised Windows-like host: 3CX DesktopApp installed with a
#          file standing in for the trojanized ffmpeg.dll (benign text; the
#          lab's own intel lists its SHA-256), d3dcompiler_47.dll and the
#          app's manifest, an installed-programs export naming 3CX DesktopApp
#          18.12.416, DNS and proxy logs with contact to listed 3CX domains
#          and to the IconStorages GitHub repository between 2023-03-22 and
#          2023-03-30, and a Sysmon event log (.evtx) in which the app starts
#          a command shell (the bundled Sigma rules name that behaviour).
#   ws-18  a clean decoy: other software, near-miss names and domains,
#          3CX DesktopApp 18.12.422 (not affected), the same log formats, a
#          Sysmon event log where the app starts as usual and nothing else.
#
# Nothing here is malware and nothing is ever contacted: the domains and
# addresses appear only as text in log lines.
#
# usage: demo-lab.sh OUT_DIR      (writes OUT_DIR/ws-17, OUT_DIR/ws-18 and
#                                  OUT_DIR/lab-intel.csv)
set -eu
out=$1
here=$(cd "$(dirname "$0")" && pwd)
sysmon='Windows/System32/winevt/Logs/Microsoft-Windows-Sysmon%4Operational.evtx'
rm -rf "$out/ws-17" "$out/ws-18"
mkdir -p "$out"

w=$out/ws-17
app=$w/Users/alice/AppData/Local/Programs/3CXDesktopApp
mkdir -p "$app/app" "$w/var/log/zeek" "$w/var/log/squid" "$w/Windows/System32"
printf 'chainsweep demo lab: a benign stand-in for the trojanized ffmpeg.dll of 3CX DesktopApp 18.12.416. Not malware.\n' >"$app/app/ffmpeg.dll"
printf 'chainsweep demo lab: stand-in for d3dcompiler_47.dll (benign text)\n' >"$app/app/d3dcompiler_47.dll"
printf '{"name":"3CXDesktopApp","version":"18.12.416"}\n' >"$app/app/manifest"
printf 'chainsweep demo lab: stand-in for 3CXDesktopApp.exe\n' >"$app/3CXDesktopApp.exe"
printf 'benign system file\n' >"$w/Windows/System32/kernel32.dll"
mkdir -p "$(dirname "$w/$sysmon")"
python3 "$here/lab-evtx.py" compromised "$w/$sysmon"
cat >"$w/installed-programs.json" <<'EOF'
[
 {"DisplayName":"3CX Desktop App","DisplayVersion":"18.12.416","Publisher":"3CX","InstallDate":"20230301"},
 {"DisplayName":"Mozilla Firefox","DisplayVersion":"111.0","Publisher":"Mozilla","InstallDate":"20230310"}
]
EOF
# Zeek DNS log of the workstation's resolver traffic (UTC epoch times).
{
	printf '#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n'
	printf '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\n'
	printf '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\n'
	printf '1679479200.101000\tCa1\t10.1.1.17\t51001\t10.1.1.1\t53\tudp\twww.example.org\n'
	printf '1679479260.202000\tCa2\t10.1.1.17\t51002\t10.1.1.1\t53\tudp\tjournalide.org\n'
	printf '1679652000.303000\tCa3\t10.1.1.17\t51003\t10.1.1.1\t53\tudp\tupdate.example.com\n'
	printf '1679911200.404000\tCa4\t10.1.1.17\t51004\t10.1.1.1\t53\tudp\tJOURNALIDE.ORG.\n'
	printf '1680170400.505000\tCa5\t10.1.1.17\t51005\t10.1.1.1\t53\tudp\tazureonlinestorage.com\n'
	printf '#close\t2023-03-30-10-00-00\n'
} >"$w/var/log/zeek/dns.log"
# Squid access log: the icon fetches that carried the C2 address.
cat >"$w/var/log/squid/access.log" <<'EOF'
1679479300.120    210 10.1.1.17 TCP_MISS/200 5120 GET https://github.com/IconStorages/images/raw/main/icon7.ico - HIER_DIRECT/140.82.121.3 image/x-icon
1679566000.000     40 10.1.1.17 TCP_MISS/200 900 GET https://www.example.org/index.html - HIER_DIRECT/93.184.216.34 text/html
1680170460.330    190 10.1.1.17 TCP_MISS/200 5120 GET https://github.com/IconStorages/images/raw/main/icon12.ico - HIER_DIRECT/140.82.121.3 image/x-icon
EOF
gzip -n "$w/var/log/squid/access.log"

d=$out/ws-18
mkdir -p "$d/Users/bob/AppData/Local/Programs/OtherApp" "$d/var/log/zeek" "$d/var/log/squid"
printf 'a different library\n' >"$d/Users/bob/AppData/Local/Programs/OtherApp/libffmpeg.dll"
printf 'a backup, not the library\n' >"$d/Users/bob/AppData/Local/Programs/OtherApp/ffmpeg.dll.bak"
printf 'benign\n' >"$d/Users/bob/AppData/Local/Programs/OtherApp/OtherApp.exe"
mkdir -p "$(dirname "$d/$sysmon")"
python3 "$here/lab-evtx.py" decoy "$d/$sysmon"
cat >"$d/installed-programs.json" <<'EOF'
[
 {"DisplayName":"3CX Desktop App","DisplayVersion":"18.12.422","Publisher":"3CX","InstallDate":"20230405"}
]
EOF
{
	printf '#separator \\x09\n#path\tdns\n'
	printf '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\n'
	printf '1679479200.000000\tCb1\t10.1.1.18\t52001\t10.1.1.1\t53\tudp\tnotjournalide.org\n'
	printf '1679479260.000000\tCb2\t10.1.1.18\t52002\t10.1.1.1\t53\tudp\tjournalide.org.example.net\n'
	printf '1679479320.000000\tCb3\t10.1.1.18\t52003\t10.1.1.1\t53\tudp\tjournalide.organic\n'
} >"$d/var/log/zeek/dns.log"
cat >"$d/var/log/squid/access.log" <<'EOF'
1679479300.000    200 10.1.1.18 TCP_MISS/200 5120 GET https://github.com/IconStoragesX/images/raw/main/icon7.ico - HIER_DIRECT/140.82.121.3 image/x-icon
EOF

# Fixed times, so the demo reads the same on every run: the trojanized
# build was installed on 2023-03-21, the decoy's update on 2023-04-05.
find "$w" -exec touch -h -d '2023-03-21 08:30:00 UTC' {} +
find "$d" -exec touch -h -d '2023-04-05 09:00:00 UTC' {} +

# The lab's own intel: the stand-in file's hash, as a vendor would publish
# the hash of a trojanized DLL.
{
	echo "sha256,description"
	printf '%s,demo lab stand-in for the trojanized ffmpeg.dll of 3CX DesktopApp 18.12.416\n' \
		"$(sha256sum "$app/app/ffmpeg.dll" | cut -d' ' -f1)"
} >"$out/lab-intel.csv"

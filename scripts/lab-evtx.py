#!/usr/bin/env python3
"""Write the demo lab's Sysmon event logs (benign, crafted .evtx files).

usage: lab-evtx.py compromised|decoy OUT.evtx

compromised (ws-17): the 3CX DesktopApp starting, then starting a command
shell, as the trojanized build's follow-on activity would show; the
bundled pack's Sigma rule "3CX DesktopApp - a shell ... started by the
app" fires on it. decoy (ws-18): the same app starting and a browser,
no shell child: nothing fires. The events are written with the test
suite's own .evtx writer (tests/data/cli/evtx/mkevtx.py).
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "data", "cli", "evtx"))
import mkevtx  # noqa: E402

T0 = 1679911200  # 2023-03-27T10:00:00Z
APP = "C:\\Users\\alice\\AppData\\Local\\Programs\\3CXDesktopApp\\3CXDesktopApp.exe"


def proc(image, parent, cmd, pid, ppid):
    s = mkevtx.s16
    return [("Image", 0x01, s(image)), ("CommandLine", 0x01, s(cmd)),
            ("ParentImage", 0x01, s(parent)),
            ("ProcessId", 0x08, struct.pack("<I", pid)),
            ("ParentProcessId", 0x08, struct.pack("<I", ppid)),
            ("User", 0x01, s("LAB\\alice"))]


def events(kind):
    host = "ws-17.lab.test" if kind == "compromised" else "ws-18.lab.test"
    ev = [(5001, T0, host, 1, proc(APP, "C:\\Windows\\explorer.exe", APP, 4242, 1200))]
    if kind == "compromised":
        ev.append((5002, T0 + 300, host, 1,
                   proc("C:\\Windows\\System32\\cmd.exe", APP,
                        "cmd.exe /c echo chainsweep demo lab: benign stand-in", 4711, 4242)))
    else:
        ev.append((5002, T0 + 300, host, 1,
                   proc("C:\\Program Files\\Mozilla Firefox\\firefox.exe",
                        "C:\\Windows\\explorer.exe", "firefox.exe", 4711, 1200)))
    return ev


def main():
    kind, out = sys.argv[1], sys.argv[2]
    c = mkevtx.Chunk()
    first = last = None
    last_pos = 0
    for rid, when, host, eid, data in events(kind):
        last_pos, _ = mkevtx.record(c, rid, when, host, eid, mkevtx.SYSMON, mkevtx.PROV, data)
        first = first or rid
        last = rid
    with open(out, "wb") as f:
        f.write(mkevtx.file_header(1, last + 1) + mkevtx.close_chunk(c, first, last, last_pos))


if __name__ == "__main__":
    main()

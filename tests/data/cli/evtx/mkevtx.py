#!/usr/bin/env python3
"""Write a small, benign Windows .evtx file for the tests.

usage: mkevtx.py OUT [--cut N] [--flip OFFSET]

The events (a Sysmon DNS query, a network connection, a process creation on
a crafted lab host) are written as Binary XML template instances with typed
substitution values, one 64 KiB chunk, correct CRC32s. --cut keeps only the
first N bytes (a copy of a file being written); --flip changes one byte
after the checksums were computed (damage).
"""
import struct
import sys
import zlib

CHUNK = 65536
FT_UNIX = 116444736000000000


def ft(iso_seconds):
    return FT_UNIX + iso_seconds * 10000000


class Chunk:
    def __init__(self):
        self.b = bytearray(512)
        self.elems = []  # open elements: where their data size goes
        self.attrs = None  # where the open attribute list's size goes

    def u8(self, v):
        self.b += bytes([v])

    def u16(self, v):
        self.b += struct.pack("<H", v)

    def u32(self, v):
        self.b += struct.pack("<I", v)

    def u64(self, v):
        self.b += struct.pack("<Q", v)

    def name(self, s):
        self.u32(len(self.b) + 4)  # inline: the name starts right here
        self.u32(0)
        self.u16(0)
        self.u16(len(s))
        self.b += s.encode("utf-16-le") + b"\0\0"

    def open(self, name, attrs=False):
        self.u8(0x41 if attrs else 0x01)
        self.u16(0xFFFF)
        self.elems.append(len(self.b))
        self.u32(0)
        self.name(name)
        if attrs:
            self.attrs = len(self.b)
            self.u32(0)

    def _patch(self, at):
        struct.pack_into("<I", self.b, at, len(self.b) - at - 4)

    def _end_attrs(self):
        if self.attrs is not None:
            self._patch(self.attrs)
            self.attrs = None

    def close_start(self):
        self._end_attrs()
        self.u8(0x02)

    def close_empty(self):
        self._end_attrs()
        self.u8(0x03)
        self._patch(self.elems.pop())

    def end(self):
        self.u8(0x04)
        self._patch(self.elems.pop())

    def attr(self, name):
        self.u8(0x06)
        self.name(name)

    def text(self, s):
        self.u8(0x05)
        self.u8(0x01)
        self.u16(len(s))
        self.b += s.encode("utf-16-le")

    def sub(self, i, t):
        self.u8(0x0E)
        self.u16(i)
        self.u8(t)


def sid(s):
    parts = [int(p) for p in s.split("-")[1:]]
    return bytes([parts[0], len(parts) - 2]) + parts[1].to_bytes(6, "big") + b"".join(
        struct.pack("<I", p) for p in parts[2:])


def record(c, rid, when, host, eid, channel, provider, data, def_at=None):
    """One event: System values and EventData items (name, type, bytes).
    The template is written inline, or referred to at def_at (a record
    written before in the chunk with the same items). Returns the record's
    offset and the template's."""
    pos = len(c.b)
    c.u32(0x00002A2A)
    c.u32(0)
    c.u64(rid)
    c.u64(ft(when))
    c.u32(0x0001010F)
    vals = [(0x01, provider.encode("utf-16-le")), (0x06, struct.pack("<H", eid)),
            (0x11, struct.pack("<Q", ft(when))), (0x0A, struct.pack("<Q", rid)),
            (0x01, channel.encode("utf-16-le")), (0x01, host.encode("utf-16-le")),
            (0x13, sid("S-1-5-18"))] + [(t, v) for (_, t, v) in data]
    c.u8(0x0C)
    c.u8(0x01)
    c.u32(rid)
    if def_at is not None:
        c.u32(def_at)
        values(c, vals)
        return finish(c, pos), def_at
    def_at = len(c.b) + 4
    c.u32(def_at)  # the definition follows inline
    c.u32(0)
    c.b += bytes(range(16))
    szpos = len(c.b)
    c.u32(0)
    start = len(c.b)
    c.u32(0x0001010F)
    c.open("Event", True)
    c.attr("xmlns")
    c.text("http://schemas.microsoft.com/win/2004/08/events/event")
    c.close_start()
    c.open("System")
    c.close_start()
    c.open("Provider", True)
    c.attr("Name")
    c.sub(0, 0x01)
    c.close_empty()
    c.open("EventID")
    c.close_start()
    c.sub(1, 0x06)
    c.end()
    c.open("TimeCreated", True)
    c.attr("SystemTime")
    c.sub(2, 0x11)
    c.close_empty()
    for el, i, t in (("EventRecordID", 3, 0x0A), ("Channel", 4, 0x01), ("Computer", 5, 0x01)):
        c.open(el)
        c.close_start()
        c.sub(i, t)
        c.end()
    c.open("Security", True)
    c.attr("UserID")
    c.sub(6, 0x13)
    c.close_empty()
    c.end()
    c.open("EventData")
    c.close_start()
    for k, (name, t, _) in enumerate(data):
        c.open("Data", True)
        c.attr("Name")
        c.text(name)
        c.close_start()
        c.sub(7 + k, t)
        c.end()
    c.end()
    c.end()
    c.u8(0x00)
    struct.pack_into("<I", c.b, szpos, len(c.b) - start)
    values(c, vals)
    return finish(c, pos), def_at


def values(c, vals):
    c.u32(len(vals))
    for t, v in vals:
        c.u16(len(v))
        c.u8(t)
        c.u8(0)
    for t, v in vals:
        c.b += v


def finish(c, pos):
    c.u8(0x00)
    while (len(c.b) - pos + 4) % 8:
        c.u8(0)
    size = len(c.b) - pos + 4
    c.u32(size)
    struct.pack_into("<I", c.b, pos + 4, size)
    return pos


def close_chunk(c, first, last, last_pos):
    """Pad to 64 KiB, write the chunk header and both checksums."""
    free = len(c.b)
    c.b += bytes(CHUNK - len(c.b))
    b = c.b
    b[0:8] = b"ElfChnk\0"
    struct.pack_into("<QQQQIIII", b, 8, first, last, first, last, 128, last_pos, free,
                     zlib.crc32(bytes(b[512:free])))
    struct.pack_into("<I", b, 124, zlib.crc32(bytes(b[0:120]) + bytes(b[128:512])))
    return bytes(b)


def file_header(nchunks, next_id):
    h = bytearray(4096)
    h[0:8] = b"ElfFile\0"
    struct.pack_into("<QQQIHHHH", h, 8, 0, max(nchunks - 1, 0), next_id, 128, 2, 3, 4096,
                     min(nchunks, 0xFFFF))
    struct.pack_into("<I", h, 124, zlib.crc32(bytes(h[0:120])))
    return bytes(h)


def s16(s):
    return s.encode("utf-16-le")


SYSMON = "Microsoft-Windows-Sysmon/Operational"
PROV = "Microsoft-Windows-Sysmon"
T0 = 1679911200  # 2023-03-27T10:00:00Z


def events():
    return [
        (101, T0, "ws-17.lab.test", 1,
         [("Image", 0x01, s16("C:\\Program Files\\3CXDesktopApp\\3CXDesktopApp.exe")),
          ("CommandLine", 0x01, s16("3CXDesktopApp.exe --update ")),
          ("ProcessId", 0x08, struct.pack("<I", 4242))]),
        (102, T0 + 60, "ws-17.lab.test", 22,
         [("QueryName", 0x01, s16("cdn.journalide.test")),
          ("QueryResults", 0x01, s16("::ffff:198.51.100.7;")),
          ("Image", 0x01, s16("C:\\Program Files\\3CXDesktopApp\\3CXDesktopApp.exe"))]),
        (103, T0 + 120, "ws-17.lab.test", 3,
         [("DestinationIp", 0x01, s16("198.51.100.7")),
          ("DestinationPort", 0x06, struct.pack("<H", 443)),
          ("Image", 0x01, s16("C:\\Windows\\System32\\svchost.exe"))]),
        (104, T0 + 180, "ws-17.lab.test", 22,
         [("QueryName", 0x01, s16("www.example.org")),
          ("Image", 0x01, s16("C:\\Windows\\System32\\svchost.exe"))]),
    ]


def build():
    c = Chunk()
    first = last = None
    last_pos = 0
    for rid, when, host, eid, data in events():
        last_pos, _ = record(c, rid, when, host, eid, SYSMON, PROV, data)
        first = first or rid
        last = rid
    return file_header(1, last + 1) + close_chunk(c, first, last, last_pos)


def main():
    out = sys.argv[1]
    data = bytearray(build())
    args = sys.argv[2:]
    while args:
        if args[0] == "--cut":
            data = data[:int(args[1])]
        elif args[0] == "--flip":
            data[int(args[1])] ^= 0x20
        args = args[2:]
    with open(out, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Generate large .evtx files for bench/evtx.sh.

usage: gen_evtx.py OUT SIZE_MB dense
       gen_evtx.py OUT SIZE_MB repeat FILE.evtx...

dense:  chunks packed as Windows packs them (one template defined in the
        chunk's first record, every other record an instance of it), about
        a hundred Sysmon process-creation events per 64 KiB chunk, with
        varied command lines; benign lab values only.
repeat: the chunks of the given files, repeated in turn.
Either way the records are renumbered (record header ids, chunk header
numbers) and both checksums of every chunk recomputed.
"""
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "data", "cli", "evtx"))
import mkevtx  # noqa: E402

CHUNK = 65536


def records(chunk):
    """Offsets of the records of a chunk, up to its free space."""
    free = struct.unpack_from("<I", chunk, 48)[0]
    pos, out = 512, []
    while pos + 28 <= min(free, CHUNK):
        sig, size = struct.unpack_from("<II", chunk, pos)
        if sig != 0x2A2A or size < 28 or pos + size > CHUNK:
            break
        out.append(pos)
        pos += size
    return out


def renumber(chunk, recs, first):
    b = bytearray(chunk)
    for k, pos in enumerate(recs):
        struct.pack_into("<Q", b, pos + 8, first + k)
    last = first + len(recs) - 1
    struct.pack_into("<QQQQ", b, 8, first, last, first, last)
    free = struct.unpack_from("<I", b, 48)[0]
    struct.pack_into("<I", b, 52, zlib.crc32(bytes(b[512:free])))
    struct.pack_into("<I", b, 124, zlib.crc32(bytes(b[0:120]) + bytes(b[128:512])))
    return bytes(b)


def dense_chunk():
    c = mkevtx.Chunk()
    def_at, rid, last_pos = None, 1, 0
    while True:
        mark = len(c.b)
        cmd = "C:\\Windows\\System32\\cmd.exe /c echo build %d step %d > C:\\Temp\\out%d.txt" % (
            rid, rid * 7 % 13, rid)
        data = [("RuleName", 0x01, mkevtx.s16("-")),
                ("UtcTime", 0x01, mkevtx.s16("2023-03-27 10:%02d:%02d.123" % (rid // 60 % 60,
                                                                           rid % 60))),
                ("ProcessGuid", 0x0F, bytes(range(rid % 200, rid % 200 + 16))),
                ("ProcessId", 0x08, struct.pack("<I", 1000 + rid)),
                ("Image", 0x01, mkevtx.s16("C:\\Windows\\System32\\cmd.exe")),
                ("CommandLine", 0x01, mkevtx.s16(cmd)),
                ("CurrentDirectory", 0x01, mkevtx.s16("C:\\Users\\lab\\")),
                ("User", 0x01, mkevtx.s16("LAB\\builder")),
                ("Hashes", 0x01, mkevtx.s16("SHA256=" + ("%064X" % (rid * 2654435761)))),
                ("ParentImage", 0x01, mkevtx.s16("C:\\Windows\\explorer.exe")),
                ("ParentCommandLine", 0x01, mkevtx.s16("C:\\Windows\\Explorer.EXE"))]
        pos, def_at = mkevtx.record(c, rid, mkevtx.T0 + rid, "ws-17.lab.test", 1,
                                    mkevtx.SYSMON, mkevtx.PROV, data, def_at)
        if len(c.b) > CHUNK:
            del c.b[mark:]
            break
        last_pos = pos
        rid += 1
    return mkevtx.close_chunk(c, 1, rid - 1, last_pos)


def main():
    out, size_mb, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if mode == "dense":
        chunks = [dense_chunk()]
    else:
        chunks = []
        for path in sys.argv[4:]:
            with open(path, "rb") as f:
                data = f.read()
            for off in range(4096, len(data) - CHUNK + 1, CHUNK):
                c = data[off:off + CHUNK]
                if c[:8] == b"ElfChnk\0" and records(c):
                    chunks.append(c)
    plans = [(c, records(c)) for c in chunks]
    n = max(1, size_mb * (1 << 20) // CHUNK)
    rid = 1
    with open(out, "wb") as f:
        f.write(bytes(4096))
        for k in range(n):
            c, recs = plans[k % len(plans)]
            f.write(renumber(c, recs, rid))
            rid += len(recs)
        f.seek(0)
        f.write(mkevtx.file_header(n, rid))
    print("%s: %d chunks, %d events, %d bytes" % (out, n, rid - 1, 4096 + n * CHUNK))


if __name__ == "__main__":
    main()

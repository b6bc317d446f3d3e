#!/usr/bin/env python3
"""Build fuzz seed corpora: seeds.py OUTDIR CAPTURE...

OUTDIR/reader/: the capture files themselves (at most 256 KiB each, cut),
and gzip/zstd versions of the small ones (one member, two members, trailing
garbage, zero padding) so the decompressors are reached from the start;
OUTDIR/decode/: single frames from classic pcap files, prefixed with the
index of their link type in fuzz_decode.c's table (or the raw value);
OUTDIR/series/: a few structured timestamp streams.
Seeds are generated locally and never committed.
"""
import os
import gzip
import random
import shutil
import struct
import subprocess
import sys

LINKTYPES = [0, 1, 9, 10, 12, 14, 50, 51, 101, 104, 105, 108, 113, 127, 226, 228, 229, 239,
             242, 258, 276]


def pcap_order(d):
    """struct's byte order of a classic pcap (usec or nsec), else None"""
    m = d[:4]
    if m in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        return "<"
    if m in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        return ">"
    return None


def frames(path):
    d = open(path, "rb").read(4 << 20)
    if len(d) < 24:
        return
    e = pcap_order(d)
    if not e:
        return
    lt = struct.unpack(e + "I", d[20:24])[0] & 0xFFFF
    off = 24
    while off + 16 <= len(d):
        cl = struct.unpack(e + "I", d[off + 8:off + 12])[0]
        if cl > 65536 or off + 16 + cl > len(d):
            return
        yield lt, d[off + 16:off + 16 + cl]
        off += 16 + cl


def compressed(data):
    """Variants of a small capture as the reader meets them in the wild."""
    half = len(data) // 2
    g = gzip.compress(data, mtime=0)
    yield g
    yield gzip.compress(data[:half], mtime=0) + gzip.compress(data[half:], mtime=0)
    yield g + b"not gzip"
    yield g + bytes(512)
    if shutil.which("zstd"):
        z = subprocess.run(["zstd", "-q", "-c", "-3"], input=data, stdout=subprocess.PIPE,
                           check=True).stdout
        yield z
        yield z + b"\x00garbage"


def main():
    out = sys.argv[1]
    for sub in ("reader", "decode", "series"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    n = 0
    seen = set()
    for i, path in enumerate(sys.argv[2:]):
        try:
            data = open(path, "rb").read(256 << 10)
        except OSError:
            continue
        with open(os.path.join(out, "reader", f"f{i:04d}"), "wb") as f:
            f.write(data)
        if len(data) <= 16 << 10:
            for k, c in enumerate(compressed(data)):
                with open(os.path.join(out, "reader", f"f{i:04d}z{k}"), "wb") as f:
                    f.write(c)
        per_file = 0
        for lt, fr in frames(path):
            key = (lt, fr[:64])
            if key in seen or per_file >= 20:
                continue
            seen.add(key)
            per_file += 1
            b = LINKTYPES.index(lt) if lt in LINKTYPES else min(lt, 255)
            with open(os.path.join(out, "decode", f"d{n:05d}"), "wb") as f:
                f.write(bytes([b]) + fr[:2048])
            n += 1
    rnd = random.Random(7)
    for j in range(16):
        recs = bytearray([j & 1])
        t = 1_700_000_000_000_000_000
        for _ in range(rnd.randint(2, 400)):
            t += rnd.choice([0, 1, 1000, 60_000_000_000, -5_000_000, rnd.randint(-10**12, 10**12)])
            recs += bytes([rnd.randint(0, 15)]) + struct.pack("<q", t)
        with open(os.path.join(out, "series", f"s{j:02d}"), "wb") as f:
            f.write(recs)
    print(f"seeds: {len(sys.argv) - 2} captures, {n} frames")


if __name__ == "__main__":
    main()

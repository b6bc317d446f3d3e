#!/usr/bin/env python3
"""Per-group figures on thousands of groups, against an independent reading.

Usage: many_groups.py PCTS PCAPGEN WORKDIR

The small generated cases (cases.py) and most reference captures have few
groups.  The packet loops partition their event logs by group only past 64
groups, and fill more than one log only past half a million events (fewer
under a small --max-memory).  This generates bench captures
of 3 000 and 20 000 pairs, reads them here with struct (classic pcap,
Ethernet, IPv4, nothing else), and compares every pair's packets, bytes,
first, last, interval count, mean, min, max, median and MAD with what
`pcts --series packets --group ip` reports, with one and two threads and
with logs shrunk by --max-memory so that many of them are drained; and
with `--group service`, whose packets go through the flow table and
loop_flows' series stage (the generator gives each pair one service, one
way, so the groups are the pairs).  Ends with "N passed, N failed".
"""
import collections
import json
import struct
import subprocess
import sys


def read_pairs(path):
    """(src, dst) -> list of (ts_ns, wirelen) in file order."""
    with open(path, "rb") as f:
        data = f.read()
    magic, _, _, _, _, _, linktype = struct.unpack_from("<IHHiIII", data, 0)
    assert magic == 0xA1B2C3D4 and linktype == 1, (hex(magic), linktype)
    pairs = collections.defaultdict(list)
    off = 24
    while off + 16 <= len(data):
        sec, usec, incl, orig = struct.unpack_from("<IIII", data, off)
        pkt = data[off + 16 : off + 16 + incl]
        off += 16 + incl
        if len(pkt) >= 34 and pkt[12:14] == b"\x08\x00" and pkt[14] >> 4 == 4:
            src = ".".join(str(b) for b in pkt[26:30])
            dst = ".".join(str(b) for b in pkt[30:34])
            pairs[(src, dst)].append((sec * 1_000_000_000 + usec * 1000, orig))
    return pairs


def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def expected(events):
    ts = sorted(t for t, _ in events)
    d = [(b - a) / 1e9 for a, b in zip(ts, ts[1:])]
    e = {
        "packets": len(events),
        "bytes": sum(s for _, s in events),
        "first": ts[0] / 1e9,
        "last": ts[-1] / 1e9,
        "intervals": len(d),
    }
    if d:
        m = median(d)
        e.update(interval_mean=sum(d) / len(d), interval_min=min(d), interval_max=max(d),
                 interval_median=m, interval_mad=median([abs(x - m) for x in d]))
    return e


def close(a, b, tol):
    return a is not None and b is not None and abs(a - b) <= tol


def compare(want, rows):
    problems = []
    got = {(r["src"], r["dst"]): r for r in rows}
    if set(got) != set(want):
        problems.append(f"pairs: {len(set(got) - set(want))} unexpected, "
                        f"{len(set(want) - set(got))} missing")
    for k in sorted(set(got) & set(want)):
        g, e = got[k], want[k]
        for f in ("packets", "bytes", "intervals"):
            if g[f] != e[f]:
                problems.append(f"{k} {f} {g[f]} != {e[f]}")
        for f in ("first", "last"):
            if not close(g[f], e[f], 1e-6):
                problems.append(f"{k} {f} {g[f]} != {e[f]}")
        for f in ("interval_mean", "interval_min", "interval_max", "interval_median",
                  "interval_mad"):
            if f in e and not close(g[f], e[f], 1e-6):
                problems.append(f"{k} {f} {g[f]} != {e[f]}")
        if g.get("interval_approx"):
            problems.append(f"{k} interval_approx (the run should stay exact)")
        if len(problems) > 10:
            break
    return problems


def main():
    pcts, gen, work = sys.argv[1:4]
    subprocess.run(["mkdir", "-p", work], check=True)
    passed = failed = 0
    for packets, pairs in ((150000, 3000), (200000, 20000)):
        path = f"{work}/bench-{packets}-{pairs}.pcap"
        subprocess.run([gen, "bench", path, "--packets", str(packets), "--pairs", str(pairs)],
                       check=True, stdout=subprocess.DEVNULL)
        want = {k: expected(v) for k, v in read_pairs(path).items()}
        # 24 MiB of budget: logs of 39 321 events (pipeline/pipeline.c, plog_max), 4 to 6 of them
        # the generator gives each pair one service, one way: --group service
        # (the flow loop's series stage) has the same groups
        for extra in (["--group", "ip", "--threads", "1"], ["--group", "ip", "--threads", "2"],
                      ["--group", "ip", "--threads", "1", "--max-memory", "24M"],
                      ["--group", "ip", "--threads", "2", "--max-memory", "24M"],
                      ["--group", "service", "--threads", "1"],
                      ["--group", "service", "--threads", "2", "--max-memory", "24M"]):
            p = subprocess.run([pcts, "-q", "-F", "json", "--series", "packets"] + extra + [path],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
            rows = [json.loads(l) for l in p.stdout.decode().splitlines() if l.strip()]
            problems = [] if p.returncode == 0 else [f"exit {p.returncode}: {p.stderr[:300]}"]
            problems += compare(want, rows)
            label = f"{pairs} pairs, {packets} packets, {' '.join(extra)}"
            if problems:
                failed += 1
                print(f"FAIL {label}")
                for x in problems[:10]:
                    print(f"   {x}")
            else:
                passed += 1
                print(f"ok   {label}: {len(rows)} groups match")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Rank of every labelled C2 pair of ../shared/pcaps/GROUND_TRUTH.tsv, alone and
embedded into a generated day of office traffic.

Usage: embedded.py PCTS PCAPGEN SHARED_PCAPS_DIR [--hours H] [--hosts N]
                   [--seed S] [--offsets H1,H2] [--work DIR] [--explain]

DETECTION.md judges the ranking "on the real C2 captures, alone and embedded
into a day of ordinary traffic (a minutes-long real beacon must still stand
out)".  This script makes that second half measurable:

- one background day is generated per run (`pcapgen scenario`, from
  2024-03-04 00:00:00 UTC, default 24 h and 20 hosts: about 2,650 groups;
  the whole script takes 22-27 s on two shared cores, with 40 hosts (about
  6,100 groups) 33-43 s);
- for every capture named in GROUND_TRUTH.tsv and every offset (hours into the
  day, default 2 = night and 12 = noon), a copy of the capture is written in a
  temporary directory with every timestamp moved by a whole number of seconds
  so that its first packet falls at the offset.  Classic pcap (both byte
  orders, micro- and nanosecond) shifts ts_sec; pcapng shifts the timestamps of
  enhanced (and obsolete) packet blocks and interface statistics in each
  interface's own units (if_tsresol; if_tsoffset is left as it is, so it still
  applies).  Packets that would fall outside the background day are dropped
  (only ctu win20, 7 days of DHCPv6 after its C2 minutes, has any), so the
  capture's span stays the background's;
- pcts reads both files as one timeline (`pcts -q -F json --group service
  --series flows|packets --allow default bg.pcap shifted.pcap`) and the pair's
  rank is printed beside its rank in the capture alone.

Ranks (all with --group service, in both series):
  #R/N  position among all N groups (the allow list only marks, it does not
        reorder: checked once on the background);
  ord   rank not counting the background's planted beacons (truth kind
        `beacon`: they are C2-like by construction, so a real C2 below them is
        no failure of the ranking, only of "ordinary" background);
  allow rank not counting those nor the groups `--allow default` marks (with a
        confirmed rule): what an analyst sees after marking NTP, NetBIOS, ...

Checked: labels whose interval is a number with a coefficient of variation of
at most 0.3 (documented, regular beacons) must, at every offset, rank in the
top 10 by `allow` in at least one series, except the known misses (KNOWN,
with the reason), which must still miss: one that stops missing fails, to be
taken off the list.  The others are printed (`info`).
Before anything, the addresses of the background and of each capture are
compared: a shared address would merge their traffic, and is reported.
--explain prints, for every pair below the top 3 (by `allow`) at the first
offset, in its better series, the groups above it (not planted, not allowed)
with their score parts and what the background's truth file calls them.
Ends with "N passed, N failed".  Without SHARED_PCAPS_DIR, prints a message
and exits 0.
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

from ground_truth import find as gt_find  # a label's row among pcts' rows

# Documented regular labels that miss the top 10 embedded, and why
# (docs/scoring.md, "Known limits"): none now.  Emotet's C2 was one (#12-#21
# in a day) while the transfer penalty took the mean bytes a beat: four of
# its seven check-ins carry tasking replies of 0.27-1.5 MB (416 KB a beat on
# average: x0.59); the median beat (272 KB: x0.95) decides since session 22.
KNOWN = {
    # (capture, c2 address, c2 port): reason
}

BG_START = 1709510400  # 2024-03-04 00:00:00 UTC, pcapgen scenario's start
TOP = 10


# ---------------------------------------------------------------- rewriting

def shift_pcap(data, first_target, window):
    """Classic pcap: returns (bytes, kept, dropped)."""
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise ValueError("not a classic pcap")
    hdr = struct.Struct(e + "IIII")
    recs = []
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = hdr.unpack_from(data, off)
        end = off + 16 + incl
        if end > len(data):  # a cut last record: keep what is whole
            break
        recs.append((off, end, sec))
        off = end
    if not recs:
        return data[:24], 0, 0
    delta = first_target - min(r[2] for r in recs)
    out = [data[:24]]
    kept = dropped = 0
    for off, end, sec in recs:
        ns = sec + delta
        if not window[0] <= ns < window[1]:
            dropped += 1
            continue
        rec = bytearray(data[off:end])
        struct.pack_into(e + "I", rec, 0, ns)
        out.append(bytes(rec))
        kept += 1
    return b"".join(out), kept, dropped


def _idb_units(body, e):
    """(units per second, tsoffset seconds) from an IDB body."""
    units, tsoff = 10 ** 6, 0
    p = 8
    while p + 4 <= len(body):
        code, ln = struct.unpack_from(e + "HH", body, p)
        v = body[p + 4:p + 4 + ln]
        if code == 0:
            break
        if code == 9 and ln >= 1:
            r = v[0]
            units = 2 ** (r & 0x7F) if r & 0x80 else 10 ** (r & 0x7F)
        elif code == 14 and ln >= 8:
            tsoff = struct.unpack_from(e + "q", v)[0]
        p += 4 + ((ln + 3) & ~3)
    return units, tsoff


def shift_pcapng(data, first_target, window):
    """pcapng: shift EPB/PB/ISB timestamps in each interface's units."""
    # pass 1: blocks, byte order per section, interfaces' units, first time
    blocks = []  # (off, end, type, e, section, iface or None)
    ifaces = {}  # (section, index) -> (units, tsoffset)
    off, e, section, nif = 0, "<", -1, 0
    first = None
    while off + 12 <= len(data):
        btype = struct.unpack_from("<I", data, off)[0]
        if btype == 0x0A0D0D0A:
            bom = data[off + 8:off + 12]
            e = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
            section += 1
            nif = 0
        btype, blen = struct.unpack_from(e + "II", data, off)
        if blen < 12 or off + blen > len(data):
            break
        body = data[off + 8:off + blen - 4]
        iface = None
        if btype == 1:
            ifaces[(section, nif)] = _idb_units(body, e)
            nif += 1
        elif btype in (6, 5):
            iface = struct.unpack_from(e + "I", body, 0)[0]
        elif btype == 2:
            iface = struct.unpack_from(e + "H", body, 0)[0]
        if iface is not None and btype != 5:
            units, tsoff = ifaces.get((section, iface), (10 ** 6, 0))
            hi, lo = struct.unpack_from(e + "II", body, 4)
            t = ((hi << 32) | lo) / units + tsoff
            first = t if first is None or t < first else first
        blocks.append((off, off + blen, btype, e, section, iface))
        off += blen
    if first is None:
        return data, 0, 0
    delta = first_target - int(first // 1)
    out = []
    kept = dropped = 0
    for off, end, btype, e, section, iface in blocks:
        blk = bytearray(data[off:end])
        if iface is not None:
            units, tsoff = ifaces.get((section, iface), (10 ** 6, 0))
            hi, lo = struct.unpack_from(e + "II", blk, 12)
            ts = ((hi << 32) | lo) + delta * units
            if btype != 5:
                t = ts / units + tsoff
                if not window[0] <= t < window[1]:
                    dropped += 1
                    continue
                kept += 1
            struct.pack_into(e + "II", blk, 12, ts >> 32, ts & 0xFFFFFFFF)
        out.append(bytes(blk))
    return b"".join(out), kept, dropped


def shift_capture(src, dst, first_target, window):
    with open(src, "rb") as f:
        data = f.read()
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        out, kept, dropped = shift_pcapng(data, first_target, window)
    else:
        out, kept, dropped = shift_pcap(data, first_target, window)
    with open(dst, "wb") as f:
        f.write(out)
    return kept, dropped


# ---------------------------------------------------------------- ranking

def run(pcts, files, series, allow=True):
    cmd = [pcts, "-q", "-F", "json", "--group", "service", "--series", series]
    if allow:
        cmd += ["--allow", "default"]
    p = subprocess.run(cmd + files, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    if p.returncode not in (0, 3):
        sys.exit(f"pcts failed ({p.returncode}) on {files}: {p.stderr.decode()[:300]}")
    return [json.loads(l) for l in p.stdout.decode().splitlines() if l.strip()]


def find(rows, victim, c2, port, proto):
    """ground_truth.py's match, by index in rows (0-based)."""
    rank, r = gt_find(rows, victim, c2, port, proto)
    return (None, None) if r is None else (rank - 1, r)


def key(r):
    return (r["src"], r["dst"], r["proto"], r["dport"])


def allowed(r):
    return bool(r.get("allow")) and r.get("allow_confirmed") is not False


def rank_line(rows, idx, planted):
    """'#R/N score ord #O allow #A' for row idx of rows."""
    r = rows[idx]
    above = rows[:idx]
    ordn = 1 + sum(1 for a in above if key(a) not in planted)
    alw = 1 + sum(1 for a in above if key(a) not in planted and not allowed(a))
    sc = "-" if r["score"] is None else f"{r['score']:.2f}"
    return f"#{idx + 1}/{len(rows)} {sc} ord #{ordn} allow #{alw}", alw


def parts(r):
    f = lambda k: "-" if r.get(k) is None else f"{r[k]:.2f}"
    return (f"score {f('score')} = int {f('score_interval')} per {f('score_period')} "
            f"size {f('score_size')} cov {f('score_coverage')} src {r['sources']}")


def addresses(rows):
    return {r["src"] for r in rows} | {r["dst"] for r in rows}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pcts")
    ap.add_argument("gen")
    ap.add_argument("shared")
    ap.add_argument("--hours", type=int, default=24)
    ap.add_argument("--hosts", type=int, default=20)
    ap.add_argument("--seed", default="1")
    ap.add_argument("--offsets", default="2,12", help="hours into the day (default 2,12)")
    ap.add_argument("--work", help="keep the generated files here (default: a temporary dir)")
    ap.add_argument("--explain", action="store_true")
    a = ap.parse_args()
    gt = os.path.join(a.shared, "GROUND_TRUTH.tsv")
    if not os.path.isfile(gt):
        print(f"SKIP: {gt} not found (the reference captures are not on this machine)")
        print("0 passed, 0 failed")
        return 0
    t0 = time.time()
    tmp = None
    if a.work:
        os.makedirs(a.work, exist_ok=True)
        work = a.work
    else:
        tmp = tempfile.TemporaryDirectory(prefix="pcts-embedded-")
        work = tmp.name
    offsets = [float(x) for x in a.offsets.split(",")]
    window = (BG_START, BG_START + a.hours * 3600)

    bg = os.path.join(work, "background.pcap")
    truth = os.path.join(work, "background.tsv")
    subprocess.run([a.gen, "scenario", bg, "--truth", truth, "--hours", str(a.hours),
                    "--hosts", str(a.hosts), "--seed", a.seed], check=True,
                   stdout=subprocess.DEVNULL)
    with open(truth) as f:
        th = f.readline().rstrip("\n").split("\t")
        trows = [dict(zip(th, l.rstrip("\n").split("\t"))) for l in f if l.strip()]
    planted = {(t["src"], t["dst"], t["proto"], None if t["dport"] in ("-", "") else int(t["dport"]))
               for t in trows if t["kind"] == "beacon"}
    bg_rows = run(a.pcts, [bg], "flows")
    plain = run(a.pcts, [bg], "flows", allow=False)
    if [key(r) for r in plain] != [key(r) for r in bg_rows]:
        print("note: --allow default changed the order of the background's groups;"
              " the ranks below are those with --allow default")
    bg_addr = addresses(bg_rows) | addresses(run(a.pcts, [bg], "packets"))
    print(f"-- background: pcapgen scenario --hours {a.hours} --hosts {a.hosts} --seed {a.seed}:"
          f" {len(bg_rows)} groups (flows), {len(planted)} planted beacons;"
          f" offsets {', '.join(f'{o:g} h' for o in offsets)}")

    with open(gt) as f:
        header = f.readline().rstrip("\n").split("\t")
        labels = [dict(zip(header, l.rstrip("\n").split("\t"))) for l in f if l.strip()]
    byfile = {}
    for lab in labels:
        byfile.setdefault(lab["local_file"], []).append(lab)

    passed = failed = collisions = skipped = 0
    explain = []
    for n, (rel, labs) in enumerate(byfile.items()):
        path = os.path.join(a.shared, rel)
        if not os.path.exists(path):
            print(f"SKIP {rel}: missing")
            skipped += 1
            continue
        alone = {s: run(a.pcts, [path], s) for s in ("flows", "packets")}
        shared = addresses(alone["flows"]) & bg_addr | addresses(alone["packets"]) & bg_addr
        if shared:
            collisions += 1
            print(f"note {rel}: addresses shared with the background: {' '.join(sorted(shared))}")
        emb = {}
        notes = []
        for o in offsets:
            shifted = os.path.join(work, f"c2-{n}-{o:g}" + os.path.splitext(rel)[1])
            kept, dropped = shift_capture(path, shifted, BG_START + int(o * 3600), window)
            if dropped:
                notes.append(f"@{o:g}h: {dropped} of {kept + dropped} packets past the day dropped")
            for s in ("flows", "packets"):
                emb[(o, s)] = run(a.pcts, [bg, shifted], s)
            if not a.work:
                os.unlink(shifted)
        for lab in labs:
            name = f"{os.path.basename(rel)} {lab['victim_ip']}->{lab['c2_ip']}:{lab['c2_port']}"
            try:
                regular = (float(lab["approx_interval_s"]) > 0
                           and float(lab["interval_cv"]) <= 0.3)
            except ValueError:
                regular = False
            res = {}  # (offset, series) -> (index, row, allow rank) or None
            for o in offsets:
                for s in ("flows", "packets"):
                    i, r = find(emb[(o, s)], lab["victim_ip"], lab["c2_ip"], lab["c2_port"],
                                lab["proto"])
                    res[(o, s)] = None if r is None else (i, r, rank_line(emb[(o, s)], i, planted))
            scored = lambda o, s: res[(o, s)] is not None and res[(o, s)][1]["score"] is not None
            ok_all = all(any(scored(o, s) and res[(o, s)][2][1] <= TOP for s in ("flows", "packets"))
                         for o in offsets)
            lines = []
            for s in ("flows", "packets"):
                ia, ra = find(alone[s], lab["victim_ip"], lab["c2_ip"], lab["c2_port"], lab["proto"])
                txt = [f"  {s:7} alone " + ("not found" if ra is None else
                                            f"#{ia + 1}/{len(alone[s])} "
                                            + ("-" if ra["score"] is None else f"{ra['score']:.2f}"))]
                for o in offsets:
                    txt.append(f"@{o:g}h " + ("not found" if res[(o, s)] is None
                                              else res[(o, s)][2][0]))
                if ra is not None:
                    txt.append(f"({ra['reason']})")
                lines.append(" | ".join(txt))
            # --explain: the better series at the first offset, when below the top 3
            o = offsets[0]
            cand = [s for s in ("flows", "packets") if scored(o, s) and res[(o, s)][1]["score"] > 0]
            if cand:
                s = min(cand, key=lambda s: res[(o, s)][2][1])
                if res[(o, s)][2][1] > 3:
                    ia, ra = find(alone[s], lab["victim_ip"], lab["c2_ip"], lab["c2_port"],
                                  lab["proto"])
                    explain.append((name, s, o, emb[(o, s)], res[(o, s)][0], ra))
            iv = lab["approx_interval_s"]
            iv = iv + "s" if iv.replace(".", "", 1).isdigit() else iv
            desc = f"{name} ({iv}, cv {lab['interval_cv']})"
            known = KNOWN.get((os.path.basename(rel), lab["c2_ip"], lab["c2_port"]))
            if regular and known:
                # a known miss passes while it misses, and fails once it no
                # longer does: then it belongs with the others
                passed += not ok_all
                failed += ok_all
                print(f"{'FAIL' if ok_all else 'ok  '} {desc}: known miss ({known})"
                      + (" now in the top 10: take it off KNOWN" if ok_all else ""))
            elif regular:
                passed += ok_all
                failed += not ok_all
                print(f"{'ok  ' if ok_all else 'FAIL'} {desc}")
            else:
                print(f"info {desc}")
            for l in lines:
                print(l)
            for nt in notes:
                print(f"  note: {nt}")

    if a.explain:
        for name, s, o, rows, i, ra in explain:
            r = rows[i]
            print(f"-- {name}, {s} @{o:g}h: {parts(r)}"
                  + (f" (alone {parts(ra)})" if ra else ""))
            shown = 0
            for j, b in enumerate(rows[:i]):
                if key(b) in planted or allowed(b):
                    continue
                shown += 1
                if shown > 20:
                    print(f"   ... {sum(1 for b in rows[j:i] if key(b) not in planted and not allowed(b))} more")
                    break
                lab = next((t["kind"] + ":" + t["name"] for t in trows
                            if (t["src"], t["dst"], t["proto"]) == (b["src"], b["dst"], b["proto"])
                            and t["dport"] in ("-", "", str(b["dport"]))), "-")
                print(f"   #{j + 1} {b['src']}->{b['dst']}:{b['dport']}/{b['proto']} [{lab}] "
                      f"{parts(b)}: {b['reason']}")
    print(f"captures sharing an address with the background: {collisions or 'none'}")
    print(f"runtime {time.time() - t0:.1f} s")
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    if tmp:
        tmp.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

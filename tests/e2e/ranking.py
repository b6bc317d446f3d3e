#!/usr/bin/env python3
"""Ranking on generated day-long scenarios: every planted beacon must rank in
the top 10 of its capture, not counting the other planted beacons; bulk
transfers, browsing and long sessions' keepalives must not rank in the top 10.

Usage: ranking.py PCTS PCAPGEN WORKDIR [--hours H] [--hosts N] [--seeds S1,S2]

`pcapgen scenario` writes a capture mixing background traffic (browsing, bulk
downloads, DNS, long sessions with keepalives, benign periodic services) with
beacons of every kind (regular, 50% jitter, missed beats, bursts, slow, UDP,
fast and short, heartbeat inside one connection, DNS tunnel, ICMP), and a truth
file.  Each beacon is looked up in the series its truth row names: `flows`
(the default ranking: the heartbeat too, as the exchanges of its one
connection), `dns` (`--group dns`: the client and the registered domain of its
queries, for the DNS tunnel, which is also looked up in the default ranking as its
client -> resolver:53 group).  Its rank not counting the other planted beacons
is what is checked: ten beacons and a benign periodic service as regular as
any of them (a CoAP device every 5 min) are more than ten groups, and a beacon
outranked by other beacons is not missed.  Negatives are checked in their own
series (`packets` for bulk transfers and keepalives) and in the default ranking.
Ends with "N passed, N failed".
"""
import argparse
import json
import os
import subprocess
import sys

PROTO = {"tcp": "tcp", "udp": "udp", "icmp": "icmp"}


def ranked(pcts, cap, series):
    args = ["--group", "dns"] if series == "dns" else ["--series", series]
    p = subprocess.run([pcts, "-q", "-F", "json"] + args + [cap],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    if p.returncode != 0:
        sys.exit(f"pcts failed on {cap}: {p.stderr.decode()[:300]}")
    return [json.loads(l) for l in p.stdout.decode().splitlines() if l.strip()]


def matches(r, t, series):
    if series == "dns":
        dom = t["notes"].split()[1].rstrip(";,") if t["notes"].startswith("domain ") else ""
        return r["src"] == t["src"] and r["dst"] == dom
    if r["src"] != t["src"] or r["dst"] != t["dst"] or r["proto"] != PROTO.get(t["proto"], t["proto"]):
        return False
    return t["dport"] in ("-", "") or r["dport"] == int(t["dport"])


def rank_of(rows, t, series, beacons=()):
    """(rank, rank not counting the planted beacons other than t, row)."""
    others = 0
    for i, r in enumerate(rows):
        if matches(r, t, series):
            return i + 1, i + 1 - others, r
        others += any(b is not t and matches(r, b, series) for b in beacons)
    return None, None, None


def scenario(gen, work, name, seed, hours, hosts):
    """Generate a day (pcapgen scenario) in work: its path and truth rows."""
    cap = os.path.join(work, f"{name}-{seed}.pcap")
    truth = os.path.join(work, f"{name}-{seed}.tsv")
    subprocess.run([gen, "scenario", cap, "--truth", truth, "--hours", hours, "--hosts", hosts,
                    "--seed", seed], check=True, stdout=subprocess.DEVNULL)
    with open(truth) as f:
        header = f.readline().rstrip("\n").split("\t")
        return cap, [dict(zip(header, l.rstrip("\n").split("\t"))) for l in f if l.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pcts")
    ap.add_argument("gen")
    ap.add_argument("work")
    ap.add_argument("--hours", default="24")
    ap.add_argument("--hosts", default="40")
    ap.add_argument("--seeds", default="1")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    passed = failed = 0
    for seed in a.seeds.split(","):
        cap, rows = scenario(a.gen, a.work, "scenario", seed, a.hours, a.hosts)
        cache = {}
        print(f"-- scenario seed {seed}: {a.hours} h, {a.hosts} hosts")
        beacons = [t for t in rows if t["kind"] == "beacon"]
        for t in rows:
            series = t["series"] if t["series"] in ("flows", "packets", "dns") else "flows"
            # negatives, and the DNS tunnel (its client -> resolver:53 group),
            # in the default ranking too
            look = [series] + (["flows"] if t["kind"] in ("negative", "beacon") and series != "flows"
                               else [])
            for s in look:
                if s not in cache:
                    cache[s] = ranked(a.pcts, cap, s)
                rank, ord_, r = rank_of(cache[s], t, s, beacons)
                desc = (f"#{rank} of {len(cache[s])} ({ord_} not counting the other beacons), "
                        f"score {r['score']}, {r['reason']}" if rank else "not found")
                label = f"{t['kind']:15} {t['name']:14} {t['src']}->{t['dst']}:{t['dport']}/{t['proto']} ({s})"
                if t["kind"] == "beacon":
                    ok = rank is not None and ord_ <= 10
                elif t["kind"] == "negative":
                    ok = rank is None or rank > 10
                else:
                    print(f"info {label}: {desc}")
                    continue
                passed += ok
                failed += not ok
                print(f"{'ok  ' if ok else 'FAIL'} {label}: {desc}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Rank of every labelled C2 pair of ../shared/pcaps/GROUND_TRUTH.tsv.

Usage: ground_truth.py PCTS SHARED_PCAPS_DIR
For each label, runs pcts on its capture with the default connection series
(--series flows) and with the packet series (--series packets), both with
--group service, and prints the pair's rank, score and reason in each.

Checked: labels whose interval is a number with a coefficient of variation of
at most 0.3 (documented, regular beacons) must rank in the top 3 of at least
one series.  The others (irregular, one-shot, a few events) are printed with
the reason they are hard; docs/scoring.md discusses them.  Ends with
"N passed, N failed".
"""
import json
import os
import subprocess
import sys


def ranks(pcts, path, series):
    p = subprocess.run([pcts, "-q", "-F", "json", "--group", "service", "--series", series, path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    return [json.loads(l) for l in p.stdout.decode().splitlines() if l.strip()]


def find(rows, victim, c2, port, proto):
    for i, r in enumerate(rows):
        if r["src"] != victim or r["dst"] != c2:
            continue
        if port != "-" and r["dport"] != int(port):
            continue
        if proto not in ("-", "") and r["proto"] != proto:
            continue
        return i + 1, r
    return None, None


def main():
    pcts, shared = sys.argv[1], sys.argv[2]
    passed = failed = 0
    with open(os.path.join(shared, "GROUND_TRUTH.tsv")) as f:
        header = f.readline().rstrip("\n").split("\t")
        labels = [dict(zip(header, l.rstrip("\n").split("\t"))) for l in f if l.strip()]
    for lab in labels:
        path = os.path.join(shared, lab["local_file"])
        if not os.path.exists(path):
            print(f"SKIP {lab['local_file']}: missing")
            continue
        best = None
        parts = []
        for series in ("flows", "packets"):
            rows = ranks(pcts, path, series)
            rank, r = find(rows, lab["victim_ip"], lab["c2_ip"], lab["c2_port"], lab["proto"])
            if rank is None:
                parts.append(f"{series}: not found")
                continue
            sc = "-" if r["score"] is None else f"{r['score']:.2f}"
            parts.append(f"{series}: #{rank}/{len(rows)} {sc} ({r['reason']})")
            if r["score"] is not None and (best is None or rank < best):
                best = rank
        try:
            regular = float(lab["approx_interval_s"]) > 0 and float(lab["interval_cv"]) <= 0.3
        except ValueError:
            regular = False
        name = f"{lab['local_file']} {lab['victim_ip']}->{lab['c2_ip']}:{lab['c2_port']}"
        if regular:
            ok = best is not None and best <= 3
            passed += ok
            failed += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name} (every {lab['approx_interval_s']}s): "
                  + "; ".join(parts))
        else:
            print(f"info {name} ({lab['approx_interval_s']}, cv {lab['interval_cv']}): "
                  + "; ".join(parts))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

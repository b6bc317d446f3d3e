#!/usr/bin/env python3
"""End-to-end checks of pcts on the project's own generated captures.

Usage: cases.py PCTS PCAPGEN WORKDIR

`pcapgen cases DIR` writes small captures (every supported link type, pcap
byte orders and resolutions, pcapng with mixed interfaces, fragments,
extension headers, disorder, rotation, damage) plus expected.tsv: the exact
per-pair figures the generator put in (computed by the generator, not by
pcts) and cases.tsv: the exit status each file must give.  For every case this
compares `pcts --group ip` (packets, bytes, first, last) and `pcts --group
port` (protocol, destination port) with those figures, and the exit status.
Then the same for gzip- and zstd-compressed copies and for the rotated
multi_* files given together in scrambled order and through standard input.
Ends with "N passed, N failed".
"""
import collections
import json
import os
import shutil
import subprocess
import sys

PROTO = {"1": "icmp", "6": "tcp", "17": "udp", "58": "icmp6", "132": "sctp", "47": "gre"}


def ns_to_s(ns):
    return int(ns) / 1e9


def run(pcts, args, stdin=None):
    p = subprocess.run([pcts, "-q", "-F", "json", "--series", "packets"] + args, input=stdin,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    rows = [json.loads(l) for l in p.stdout.decode().splitlines() if l.strip()]
    return p.returncode, rows, p.stderr.decode()


def check(pcts, files, exp_rows, exp_exit, label, stdin=None):
    problems = []
    args = ["--group", "ip"] + (files if stdin is None else ["-"])
    rc, rows, err = run(pcts, args, stdin)
    if "Sanitizer" in err or "runtime error" in err:
        problems.append("sanitizer: " + err[:400])
    if rc != exp_exit:
        problems.append(f"exit {rc}, expected {exp_exit} ({err.strip()[:200]})")
    got = {(r["src"], r["dst"]): r for r in rows}
    want = {(e["src"], e["dst"]): e for e in exp_rows if e["src"] != "-"}
    for k in sorted(set(got) | set(want)):
        if k not in want:
            problems.append(f"unexpected pair {k}")
            continue
        if k not in got:
            problems.append(f"missing pair {k}")
            continue
        e, g = want[k], got[k]
        if g["packets"] != int(e["packets"]):
            problems.append(f"{k} packets {g['packets']} != {e['packets']}")
        if g["bytes"] != int(e["bytes"]):
            problems.append(f"{k} bytes {g['bytes']} != {e['bytes']}")
        for f in ("first", "last"):
            if abs(g[f] - ns_to_s(e[f + "_ns"])) > 1e-9 * max(1.0, abs(g[f])):
                problems.append(f"{k} {f} {g[f]} != {ns_to_s(e[f + '_ns'])}")
        if g["interval_min"] is not None and g["interval_min"] < 0:
            problems.append(f"{k} negative interval")
    if stdin is None and want:
        rc2, rows2, _ = run(pcts, ["--group", "port"] + files)
        by_pair = collections.defaultdict(list)
        for r in rows2:
            by_pair[(r["src"], r["dst"])].append(r)
        for k, e in want.items():
            groups = by_pair.get(k, [])
            if e["proto"] != "-":
                name = PROTO.get(e["proto"], e["proto"])
                if not groups or any(g["proto"] != name for g in groups):
                    problems.append(f"{k} proto {[g['proto'] for g in groups]} != {name}")
            if e["dport"] != "-" and e["proto"] != "-":
                if len(groups) != 1 or groups[0]["dport"] != int(e["dport"]):
                    problems.append(f"{k} dport {[g['dport'] for g in groups]} != {e['dport']}")
            if sum(g["packets"] for g in groups) != int(e["packets"]):
                problems.append(f"{k} port groups do not add up to the pair's packets")
    return problems


def main():
    pcts, gen, work = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    d = os.path.join(work, "cases")
    subprocess.run([gen, "cases", d], check=True)
    exp = collections.defaultdict(list)
    with open(os.path.join(d, "expected.tsv")) as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            r = dict(zip(header, line.rstrip("\n").split("\t")))
            exp[r["file"]].append(r)
    cases = []
    with open(os.path.join(d, "cases.tsv")) as f:
        f.readline()
        for line in f:
            name, code, notes = line.rstrip("\n").split("\t", 2)
            cases.append((name, int(code), notes))
    passed = failed = 0

    def report(label, problems):
        nonlocal passed, failed
        if problems:
            failed += 1
            print(f"FAIL {label}")
            for p in problems[:10]:
                print(f"     {p}")
        else:
            passed += 1
            print(f"ok   {label}")

    for name, code, notes in cases:
        if "*" in name:
            continue  # a merge of several files, checked below
        path = os.path.join(d, name)
        if not os.path.exists(path):
            report(name, ["case file missing"])
            continue
        report(name, check(pcts, [path], exp.get(name, []), code, name))
        if code in (0, 3) and exp.get(name) and os.path.getsize(path) > 0:
            for tool, ext in (("gzip", ".gz"), ("zstd", ".zst")):
                cp = os.path.join(work, name + ext)
                with open(path, "rb") as src, open(cp, "wb") as dst:
                    subprocess.run([tool, "-c", "-q"], stdin=src, stdout=dst, check=True)
                report(f"{name}{ext}", check(pcts, [cp], exp[name], code, name + ext))
    multi = sorted(n for n in os.listdir(d) if n.startswith("multi_"))
    if multi and "multi_*" in exp:
        scrambled = [os.path.join(d, n) for n in reversed(multi)]
        report("multi_* merged, given in reverse order",
               check(pcts, scrambled, exp["multi_*"], 0, "multi"))
        cat = b"".join(open(os.path.join(d, multi[0]), "rb").read() for _ in [0])
        report("multi_a through standard input",
               check(pcts, [], exp[multi[0]], 0, "stdin", stdin=cat))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

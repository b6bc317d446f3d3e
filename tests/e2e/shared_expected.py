#!/usr/bin/env python3
"""Compare `pcts --group ip -F json` with per-pair figures that a third-party
decoder (tshark 4.0) computed for every capture in ../shared/pcaps.

Usage: shared_expected.py PCTS SHARED_PCAPS_DIR
Prints one line per capture and ends with "N passed, N failed, N skipped".

Tolerances: packets and bytes exact; first/last/duration/interval_mean within
1e-6 s; interval_std within 1e-6 s or 1e-6 relative; interval_median within
1e-6 s when pcts computed it exactly, within 1% relative (the documented sketch
bound) when pcts reports interval_approx.

Captures where pcts legitimately differs from tshark are listed in KNOWN with
the reason; for them the test checks the stated difference instead.
"""
import json
import math
import os
import subprocess
import sys

# file -> (kind, reason), from shared_known.tsv (kinds explained there).
KNOWN = {}


def load_known(path):
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            name, kind, reason = line.split("\t", 2)
            KNOWN[name] = (kind, reason)


def close(a, b, abs_tol, rel_tol=0.0):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= max(abs_tol, rel_tol * max(abs(a), abs(b)))


def run_pcts(pcts, path):
    extra = os.environ.get("PCTS_EXTRA", "").split()
    p = subprocess.run([pcts, "-q", "--group", "ip", "--series", "packets", "-F", "json"] + extra + [path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    rows = [json.loads(l) for l in p.stdout.decode().splitlines() if l.strip()]
    return p.returncode, rows, p.stderr.decode()


def compare_pair(e, g, skip=()):
    errs = []
    for k in ("packets", "bytes"):
        if k in skip:
            continue
        if e[k] != g[k]:
            errs.append(f"{k} {g[k]} != {e[k]}")
    for k in ("first", "last", "duration", "interval_mean"):
        if k not in skip and not close(e[k], g[k], 1e-6):
            errs.append(f"{k} {g[k]} != {e[k]}")
    if "interval_std" not in skip and not close(e["interval_std"], g["interval_std"], 1e-6, 1e-6):
        errs.append(f"interval_std {g['interval_std']} != {e['interval_std']}")
    rel = 0.01 if g.get("interval_approx") else 0.0
    if "interval_median" not in skip and not close(e["interval_median"], g["interval_median"], 1e-6, rel):
        errs.append(f"interval_median {g['interval_median']} != {e['interval_median']}")
    return errs


def main():
    pcts, shared = sys.argv[1], sys.argv[2]
    here = os.path.dirname(os.path.abspath(__file__))
    load_known(os.path.join(here, "shared_known.tsv"))
    exp_root = os.path.join(shared, "expected")
    passed = failed = skipped = 0
    for folder in sorted(os.listdir(exp_root)):
        d = os.path.join(exp_root, folder)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if not name.endswith(".jsonl"):
                continue
            cap = name[: -len(".jsonl")]
            rel = f"{folder}/{cap}"
            path = os.path.join(shared, folder, cap)
            if not os.path.exists(path):
                print(f"SKIP {rel}: capture missing")
                skipped += 1
                continue
            with open(os.path.join(d, name)) as f:
                exp = {(r["src"], r["dst"]): r for r in map(json.loads, f) if r}
            rc, rows, err = run_pcts(pcts, path)
            got = {(r["src"], r["dst"]): r for r in rows}
            kind, reason = KNOWN.get(rel, (None, None))
            problems = []
            if rc not in (0, 3) and not (kind == "no-pairs" and rc == 1):
                problems.append(f"exit {rc}: {err.strip()[:200]}")
            if "AddressSanitizer" in err or "runtime error" in err:
                problems.append(f"sanitizer report: {err.strip()[:300]}")
            if kind == "no-pairs":
                if got:
                    problems.append(f"expected no pairs ({reason}), got {len(got)}")
            elif kind == "pcts-superset":
                for key in sorted(exp):
                    if key not in got:
                        problems.append(f"missing pair {key}")
                    elif got[key]["packets"] < exp[key]["packets"]:
                        problems.append(f"{key}: fewer packets than tshark")
            else:
                skip = kind[len("fields:"):].split(",") if kind and kind.startswith("fields:") else ()
                for key in sorted(set(exp) | set(got)):
                    if key not in exp:
                        problems.append(f"extra pair {key}")
                    elif key not in got:
                        problems.append(f"missing pair {key}")
                    else:
                        for e in compare_pair(exp[key], got[key], skip):
                            problems.append(f"{key}: {e}")
            tag = f" [{kind}: {reason}]" if kind else ""
            if problems:
                failed += 1
                print(f"FAIL {rel}{tag}")
                for p in problems[:8]:
                    print(f"     {p}")
                if len(problems) > 8:
                    print(f"     ... {len(problems) - 8} more")
            else:
                passed += 1
                print(f"ok   {rel} ({len(got)} pairs){tag}")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

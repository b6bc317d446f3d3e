#!/usr/bin/env python3
"""pcts' ranking side by side with RITA v5's beacon score on the same flows.

Usage: rita_compare.py PCTS PCAPGEN WORKDIR [--seeds 1,2,3] [--hours 24]
                       [--hosts 40] [--shared DIR] [--keep]

RITA (activecm/rita v5, analysis/beacons.go, defaults of config/config.go) is
re-implemented here from its source, independently of pcts, and checked
against RITA's own test vectors (analysis/beacons_test.go) before use:

  score = round3(0.25 ts + 0.25 ds + 0.25 dur + 0.25 hist)
  ts    = round3(((1 - |bowley skew|) + max(0, (Q2 - MAD) / Q2)) / 2) over the
          sorted non-zero intervals of the integer-second start times
          (skew 0 when Q3 - Q1 < 10 or Q2 equals Q1 or Q3; MAD part 1 when Q2 < 1)
  ds    = the same over the originator IP byte counts (MAD part 0 when Q2 < 1)
  hist  = max(1 - CV of 24 equal bins of the dataset window,
              bimodal fit: share of the non-empty bins in the two most common
              bar heights (bar heights bucketed by ceil(5% of the largest)),
              over non-empty bins - 1, only with 11 non-empty bins or more)
  dur   = 0 with fewer than 6 non-empty bins, else max(span of the group /
          window, longest run of non-empty bins (wrapping) / 12)
  The window is [max(first, last - 24 h), last] over every connection start;
  connections before the start of that window's first hour are left out.
  A group is scored with at least 4 distinct start seconds and fewer than
  86,400 connections (RITA's "strobe" limit); otherwise it is unscored.

The connections are pcts' own: `pcts flows -F csv` (Zeek conn.log style),
every row, as RITA would read a conn.log:
  - a UDP or ICMP flow is one connection (Zeek, and so RITA, see one record
    per flow; pcts' flow series splits such a flow into exchanges);
  - a tail (a late FIN/RST/ACK after the close, state OTH) is a connection
    (Zeek logs it as one; pcts counts its packets but no event);
  - failed attempts (S0, REJ, ...) are connections (RITA keeps them).
  - sizes: RITA uses orig_ip_bytes; pcts lists wire bytes, so the link
    header (14 B on Ethernet, +4 with a VLAN tag) is taken off per packet.
    Ethernet padding of frames under 60 B stays (at most 6 B a packet).
Grouping.  The main comparison scores RITA over pcts' default groups
(--group service: originator -> responder IP, protocol, responder port), so
that both tools rank exactly the same candidates and only the score differs.
RITA itself groups by IP pair (any protocol and port), so its rank among IP
pairs is printed too (RITA pair), for information.  Not reproduced: RITA's
SNI/Host beacons (pcts flows carry no names; every planted beacon has its own
address, so its connection set is the same), its import filter (by default it
drops internal->internal and external->internal pairs: the column `flt`
marks the labelled pairs default RITA would never score), and its threat
modifiers (prevalence, first seen), which are not part of the beacon score.

Ranks are competition ranks for both tools: 1 + the number of groups with a
strictly higher score (scores as printed, 3 decimals); unscored groups have
no rank ("-") and count as missed (reciprocal rank 0).

(a) generated scenarios (pcapgen scenario, day-long office, ten planted
beacons, truth file): each beacon's rank under pcts' default ranking (flows),
pcts in the series its truth row names (flows for all but the DNS tunnel, --group
dns for it), RITA over service groups and RITA over IP pairs; where
negatives (bulk, browsing, keepalive sessions) and benign periodic services
land.  (b) the labelled C2 pairs of SHARED/GROUND_TRUTH.tsv (skipped when
absent): pcts' rank in the flow and packet series, RITA's ranks.

Checks (each can fail): RITA's test vectors are reproduced; every planted
beacon ranks under pcts (its truth series) at least as well as under RITA;
pcts' mean reciprocal rank and precision at 10 are not below RITA's; every
documented regular C2 label (cv <= 0.3) ranks under pcts (best series) at
least as well as under RITA; pcts' mean reciprocal rank over all labels is not
below RITA's.  Ends with "N passed, N failed" (", 1 skipped" without (b)).
"""
import argparse
import bisect
import csv
import json
import math
import os
import statistics
import subprocess
import sys
import time

from ranking import scenario  # the generated day and its truth rows

# RITA v5 defaults (config/config.go)
UNIQUE_THRESH = 4
STROBE = 86400
DUR_MIN_HOURS = 6
DUR_IDEAL_HOURS = 12
HIST_MODE_SENS = 0.05
HIST_OUTLIER_REMOVAL = 1
HIST_BIMODAL_MIN_HOURS = 11
HIST_BINS = 24
LINK_HDR = {"ether": 14, "linux-sll": 16, "linux-sll2": 20, "rawip": 0, "rawip4": 0,
            "rawip6": 0, "null": 4}


class RitaError(Exception):
    pass


# ---------------------------------------------------------------- RITA ---
def go_round3(x):
    """math.Round(x*1000)/1000 (Go rounds half away from zero)."""
    v = x * 1000
    return (math.floor(v + 0.5) if v >= 0 else -math.floor(-v + 0.5)) / 1000


def median(s):
    """montanaflynn/stats Median of a sorted list."""
    n = len(s)
    if n == 0:
        return math.nan
    if n % 2:
        return s[n // 2]
    return (s[n // 2 - 1] + s[n // 2]) / 2


def quartiles(s):
    """montanaflynn/stats Quartile: medians of the halves, the middle value
    of an odd count left out of both."""
    n = len(s)
    c1 = c2 = n // 2
    if n % 2:
        c1, c2 = (n - 1) // 2, (n - 1) // 2 + 1
    return median(s[:c1]), median(s), median(s[c2:])


def bowley(s):
    if len(s) < 3:
        raise RitaError("fewer than 3 values")
    q1, q2, q3 = quartiles(s)
    num, den = q1 + q3 - 2 * q2, q3 - q1
    skew = num / den if den >= 10 and q2 != q1 and q2 != q3 else 0.0
    return skew, 1.0 - abs(skew)


def mad_score(s, default):
    m = median(s)
    mad = median(sorted(abs(v - m) for v in s))
    score = default
    if m >= 1:
        score = (m - mad) / m
    if score < 0 or math.isnan(score):
        score = 0.0
    return mad, score


def stat_score(values, default):
    if not values:
        raise RitaError("empty")
    s = sorted(values)
    skew, sk = bowley(s)
    mad, ms = mad_score(s, default)
    return go_round3((sk + ms) / 2.0), skew, mad


def ts_score(ts):
    if len(ts) < 4:
        raise RitaError("fewer than 4 timestamps")
    ts = sorted(ts)
    d = sorted(b - a for a, b in zip(ts, ts[1:]))
    nz = [x for x in d if x > 0]
    if len(nz) < 3:
        raise RitaError("fewer than 3 non-zero intervals")
    return stat_score([float(x) for x in nz], 1.0)


def ds_score(sizes):
    if len(sizes) < 3:
        raise RitaError("fewer than 3 sizes")
    return stat_score([float(x) for x in sizes], 0.0)


def histogram(dmin, dmax, ts, bins=HIST_BINS):
    if not ts:
        raise RitaError("empty")
    if dmax <= dmin:
        raise RitaError("invalid dataset range")
    step = float(dmax - dmin) / float(bins)
    edges = [float(dmin)] + [float(dmin) + i * step for i in range(1, bins)] + [float(dmax)]
    hist = [0] * bins
    cur, nxt = 0, edges[1]
    for t in sorted(ts):
        if t < nxt:
            hist[cur] += 1
            continue
        for j in range(cur + 1, bins):
            cur, nxt = j, edges[j + 1]
            if t < edges[j + 1]:
                break
        hist[cur] += 1
    return hist


def freq_counts(hist, sens):
    total_bars = sum(1 for h in hist if h > 0)
    largest = max(hist)
    bin_size = math.ceil(largest * sens)
    freq = {}
    longest = run = 0
    n = len(hist)
    for i in range(2 * n):
        f = hist[i % n]
        if f > 0:
            run += 1
        else:
            longest = max(longest, run)
            run = 0
        if i < n and f > 0:
            b = int(math.floor(f / bin_size) * bin_size)
            freq[b] = freq.get(b, 0) + 1
    longest = min(max(longest, run), n)
    return freq, total_bars, longest


def cv_score(hist):
    total = sum(hist)
    if total <= 0:
        raise RitaError("empty histogram")
    mean = total / len(hist)
    sd = math.sqrt(sum((h - mean) ** 2 for h in hist) / len(hist))
    cv = sd / abs(mean)
    return 0.0 if cv > 1.0 else min(1.0, go_round3(1.0 - cv))


def bimodal_score(freq, total_bars, outlier_removal, min_hours):
    if not freq or total_bars <= 0:
        raise RitaError("empty frequency counts")
    if min_hours < 6:
        min_hours = 11
    fit = 0.0
    if total_bars >= min_hours:
        top = sorted(freq.values(), reverse=True) + [0, 0]
        fit = (top[0] + top[1]) / max(float(total_bars - outlier_removal), 1.0)
    return min(1.0, go_round3(fit))


def hist_score(dmin, dmax, ts, sens=HIST_MODE_SENS, outlier=HIST_OUTLIER_REMOVAL,
               min_hours=HIST_BIMODAL_MIN_HOURS, bins=HIST_BINS):
    hist = histogram(dmin, dmax, ts, bins)
    freq, total_bars, longest = freq_counts(hist, sens)
    score = max(cv_score(hist), bimodal_score(freq, total_bars, outlier, min_hours))
    return hist, freq, total_bars, longest, score


def dur_score(dmin, dmax, hmin, hmax, total_bars, longest, min_hours=DUR_MIN_HOURS,
              ideal=DUR_IDEAL_HOURS):
    if min_hours < 1 or ideal < 1 or dmax <= dmin or hmax <= hmin:
        raise RitaError("invalid duration input")
    cov = cons = score = 0.0
    if total_bars >= min_hours:
        cov = min(1.0, math.ceil((float(hmax - hmin) / float(dmax - dmin)) * 1000) / 1000)
        cons = min(1.0, math.ceil((float(longest) / float(ideal)) * 1000) / 1000)
        score = max(cov, cons)
    return cov, cons, score


def rita_beacon(ts, sizes, dmin, dmax):
    """RITA's beacon score of one group, or None when RITA would not score it.
    ts: integer start seconds, sizes: originator IP bytes, one per connection."""
    if len(set(ts)) < UNIQUE_THRESH or len(ts) >= STROBE:
        return None
    ts = sorted(ts)
    try:
        t = ts_score(ts)[0]
        d = ds_score(sizes)[0]
        _, _, bars, longest, h = hist_score(dmin, dmax, ts)
        u = dur_score(dmin, dmax, ts[0], ts[-1], bars, longest)[2]
    except RitaError:
        return None
    w = 0.25
    return {"score": go_round3((t * w) + (d * w) + (u * w) + (h * w)),
            "ts": t, "ds": d, "hist": h, "dur": u, "conns": len(ts)}


def selftest():
    """RITA's own test vectors (analysis/beacons_test.go).  Returns
    [(name, ok, detail)]."""
    out = []

    def near(a, b):
        return abs(a - b) <= 0.001

    B = 1517338924
    bad = []
    for ts, exp in [(list(range(1, 11)), (1, 0, 0)),
                    ([B + 60 * i for i in range(10)], (1, 0, 0)),
                    ([B, B + 98, B + 197, B + 296, B + 396, B + 496, B + 596, B + 697, B + 798,
                      B + 900], (0.995, 0, 1)),
                    ([B, B + 98, B + 398, B + 496, B + 796, B + 894, B + 1194, B + 1292,
                      B + 1592, B + 1690, B + 1990], (0.746, 0, 101)),
                    ([B, B + 1, B + 300, B + 325, B + 5300, B + 5390, B + 5392, B + 5434,
                      B + 5934, B + 7434], (0.083, 0.845, 89))]:
        got = ts_score(ts)
        if not all(near(g, e) for g, e in zip(got, exp)):
            bad.append((ts[:3], got, exp))
    for ts in ([60] * 9, [B, B + 1]):
        try:
            ts_score(ts)
            bad.append((ts, "no error"))
        except RitaError:
            pass
    out.append(("RITA timestamp score vectors", not bad, bad))

    bad = []
    for vals, exp in [(list(range(1, 11)), (0.773, 0, 2.5)), ([60] * 9, (1, 0, 0)),
                      ([98, 99, 99, 100, 100, 100, 101, 101, 102], (0.995, 0, 1)),
                      ([524885, 1, 5000, 98654, 50, 41, 965842, 3], (0.008, 0.984, 2523)),
                      ([0] * 10, (0.5, 0, 0))]:
        got = ds_score(vals)
        if not all(near(g, e) for g, e in zip(got, exp)):
            bad.append((vals[:3], got, exp))
    out.append(("RITA data size score vectors", not bad, bad))

    bad = []
    for vals, dflt, exp in [([1, 299, 25, 4975, 90, 2, 42, 500, 1500], 1, (0.083, 0.845, 89)),
                            ([-v for v in range(1, 11)], 0, (0.5, 0, 2.5)),
                            ([7, 8, 7, 8, 7, 8, 7, 8, 7], 1, (1, 0, 0)),
                            ([1, 1, 2, 2, 2, 2], 1, (1, 0, 0)), ([0] * 10, 1, (1, 0, 0))]:
        got = stat_score(vals, dflt)
        if not all(near(g, e) for g, e in zip(got, exp)):
            bad.append((vals[:3], got, exp))
    out.append(("RITA statistical score vectors", not bad, bad))

    bad = []
    simple = [v for v in range(1, 11) for _ in range(v)]
    day = [B + 3600 * i for i in range(24)]
    for args, exp_hist, exp_freq, exp_bars, exp_run, exp_score in [
            ((1, 11, simple, 0.05, 1, 6, 10), list(range(1, 11)),
             {i: 1 for i in range(1, 11)}, 10, 10, 0.478),
            ((B, B + 86400, day, 0.05, 1, 11, 24), [1] * 24, {1: 24}, 24, 24, 1),
            ((98, 102, [98, 99, 99, 100, 100, 100, 101, 101, 102], 0.05, 1, 6, 8),
             [1, 0, 2, 0, 3, 0, 2, 1], {1: 2, 2: 2, 3: 1}, 5, 3, 0.064),
            ((0, 1000000, [524885, 1, 5000, 98654, 50, 41, 965842, 3, 12001, 200400, 104001,
                           199999], 0.05, 1, 6, 10), [7, 2, 1, 0, 0, 1, 0, 0, 0, 1],
             {1: 3, 2: 1, 7: 1}, 5, 4, 0),
            ((0, 100, [1, 2, 3, 4, 15, 21, 22, 23, 24, 35, 41, 42, 43, 44, 55, 61, 62, 63, 64,
                       75, 81, 82, 83, 84, 95], 0.05, 1, 6, 10), [4, 1] * 5, {1: 5, 4: 5}, 10,
             10, 1),
            ((0, 250, [10, 20, 100, 110, 110, 220], 0.05, 1, 6, 5), [2, 0, 3, 0, 1],
             {1: 1, 2: 1, 3: 1}, 3, 2, 0.028),
            ((B, B + 86400, [B + 60 * i for i in range(10)], 0.05, 1, 11, 24), [10] + [0] * 23,
             {10: 1}, 1, 1, 0),
            ((B, B + 86400, [B + 60 * i for i in range(10)], 0.05, 1, 1, 24), [10] + [0] * 23,
             {10: 1}, 1, 1, 0)]:
        dmin, dmax, ts, sens, outl, minh, bins = args
        got = hist_score(dmin, dmax, ts, sens, outl, minh, bins)
        if (got[0] != exp_hist or got[1] != exp_freq or got[2] != exp_bars
                or got[3] != exp_run or not near(got[4], exp_score)):
            bad.append((args[:2], got, exp_score))
    out.append(("RITA histogram score vectors", not bad, bad))

    bad = []
    H = 3600
    for args, exp in [((B, B + 24 * H, B, B + 24 * H, 24, 24), (1, 1, 1)),
                      ((B, B + 24 * H, B, B + 24 * H, 6, 0), (1, 0, 1)),
                      ((B, B + 24 * H, B + 12 * H, B + 24 * H, 6, 0), (0.5, 0, 0.5)),
                      ((B, B + 24 * H, B, B + 12 * H, 6, 0), (0.5, 0, 0.5)),
                      ((B, B + 24 * H, B + 6 * H, B + 24 * H, 6, 0), (0.75, 0, 0.75)),
                      ((B, B + 24 * H, B + 12 * H, B + 24 * H, 12, 12), (0.5, 1, 1)),
                      ((B, B + 24 * H, B + 12 * H, B + 18 * H, 6, 6), (0.25, 0.5, 0.5)),
                      ((B, B + 24 * H, B + 6 * H, B + 18 * H, 12, 6), (0.5, 0.5, 0.5)),
                      ((B, B + 24 * H, B + 6 * H, B + 18 * H, 3, 1), (0, 0, 0))]:
        got = dur_score(*args)
        if not all(near(g, e) for g, e in zip(got, exp)):
            bad.append((args, got, exp))
    out.append(("RITA duration score vectors", not bad, bad))

    bad = []
    for parts, exp in [((1, 1, 1, 1), 1), ((0.1, 0.2, 0.3, 0.4), 0.25)]:
        t, d, u, h = parts
        got = go_round3(t * 0.25 + d * 0.25 + u * 0.25 + h * 0.25)
        if not near(got, exp):
            bad.append((parts, got, exp))
    # a whole group: 10 perfect 60 s beats of equal size in a day-long window
    g = rita_beacon([B + 60 * i for i in range(10)], [500] * 10, B, B + 86400)
    if not g or not near(g["score"], 0.5):  # ts 1, ds 1, hist 0, dur 0: capped at 0.5
        bad.append(("short perfect beacon", g, 0.5))
    out.append(("RITA final score (and the 0.5 cap of a short beacon)", not bad, bad))
    return out


# --------------------------------------------------------- the two tools ---
def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}: {p.stderr.decode()[:300]}")
    return p.stdout.decode()


def pcts_rows(pcts, cap, extra):
    out = run([pcts, "-q", "-F", "json"] + extra + [cap])
    return [json.loads(l) for l in out.splitlines() if l.strip()]


def comp_ranks(scores):
    """competition ranks: {key: 1 + #strictly higher}, unscored -> None."""
    vals = sorted((s for s in scores.values() if s is not None), reverse=True)
    out = {}
    neg = [-v for v in vals]
    for k, s in scores.items():
        out[k] = None if s is None else bisect.bisect_left(neg, -s) + 1
    return out


def pkey(r):
    return (r["src"], r["dst"], r["proto"], r["dport"])


class Ranking:
    """one ranked list: scores and competition ranks by key."""

    def __init__(self, scores, info=None):
        self.scores = scores
        self.rank = comp_ranks(scores)
        self.info = info or {}
        self.n = len(scores)

    def top(self, k):
        return [key for key, r in self.rank.items() if r is not None and r <= k]


def pcts_ranking(rows):
    return Ranking({pkey(r): r["score"] for r in rows}, {pkey(r): r for r in rows})


def rita_rankings(pcts, cap, hdr, service_keys):
    """RITA over pcts' service groups, and over IP pairs."""
    txt = run([pcts, "flows", "-q", "-F", "csv", cap])
    conns = []
    for r in csv.DictReader(txt.splitlines()):
        pk = int(r["orig_pkts"])
        link = hdr + (4 if r["vlan"] not in ("", "0") else 0)
        size = max(0, int(r["orig_bytes"]) - link * pk)
        conns.append((int(float(r["start"])), size, r["orig_h"], r["resp_h"], r["proto"],
                      r["resp_p"]))
    if not conns:
        return Ranking({}), Ranking({}), 0
    tmax = max(c[0] for c in conns)
    dmin = max(min(c[0] for c in conns), tmax - 86400)
    first_hour = dmin - dmin % 3600
    svc, pair = {}, {}
    unmatched = set()
    for t, size, s, d, proto, rp in conns:
        if t < first_hour:
            continue
        k = (s, d, proto, int(rp))
        if k not in service_keys:
            k2 = (s, d, proto, None)
            if k2 in service_keys:
                k = k2
            else:
                unmatched.add(k)
        svc.setdefault(k, ([], []))
        svc[k][0].append(t)
        svc[k][1].append(size)
        pair.setdefault((s, d), ([], []))
        pair[(s, d)][0].append(t)
        pair[(s, d)][1].append(size)

    def rank(groups, keys):
        sc, info = {}, {}
        for k in keys:
            g = groups.get(k)
            b = rita_beacon(g[0], g[1], dmin, tmax) if g and tmax > dmin else None
            sc[k] = b["score"] if b else None
            info[k] = b
        return Ranking(sc, info)

    keys = set(service_keys) | set(svc)
    return rank(svc, keys), rank(pair, set(pair)), len(unmatched)


def fmt_rank(rk, key, total=False):
    r = rk.rank.get(key)
    s = rk.scores.get(key)
    n = f"/{rk.n}" if total else ""
    return f"-{n}" if r is None else f"#{r}{n} {s:.3f}"


def rr(rank):
    return 0.0 if rank is None else 1.0 / rank


def better_or_equal(a, b):
    """rank a (pcts) at least as good as rank b (RITA); None is no rank.
    pcts must rank it: both unscored is no pass (a pcts printing nothing
    had passed every check)."""
    if a is None:
        return False
    return b is None or a <= b


def rita_parts(info):
    return "unscored" if not info else (
        f"ts {info['ts']:.3f} ds {info['ds']:.3f} hist {info['hist']:.3f} dur {info['dur']:.3f}")


def pcts_context(r):
    """the factor of pcts' context pass (docs/scoring.md): sources sharing
    the destination service, private and multicast/broadcast destinations."""
    f = 1.0 / (1.0 + 0.5 * math.log2(max(1, r.get("sources") or 1)))
    dst = r["dst"]
    if ":" not in dst and dst.count(".") == 3:
        o = [int(x) for x in dst.split(".")]
        if (private(dst) or (o[0] == 100 and 64 <= o[1] <= 127) or o[0] == 127
                or (o[0] == 169 and o[1] == 254)):
            f *= 0.8
        if 224 <= o[0] <= 239 or o[3] == 255:
            f *= 0.5
    elif ":" in dst:
        d = dst.lower()
        if d.startswith(("fc", "fd", "fe80", "::1")):
            f *= 0.8
        if d.startswith("ff"):
            f *= 0.5
    return f


def pcts_parts(r):
    if not r:
        return "not found"
    if r["score"] is None:
        return f"unscored ({r['reason']})"
    ctx = pcts_context(r)
    return (f"score {r['score']} interval {r['score_interval']} period {r['score_period']} "
            f"size {r['score_size']} coverage {r['score_coverage']} P={r['period']} "
            f"events {r['events']} sources {r['sources']}; context factor {ctx:.3f}, "
            f"score before it ~{r['score'] / ctx:.3f} ({r['reason']})")


def private(ip):
    if ":" in ip:
        return ip.lower().startswith("fd")
    a, b = (int(x) for x in ip.split(".")[:2])
    return a == 10 or (a == 172 and 16 <= b <= 31) or (a == 192 and b == 168)


def rita_filtered(src, dst):
    """default RITA import filter (internal_subnets 10/8, 172.16/12,
    192.168/16, fd00::/8): internal<->internal, external<->external and
    external->internal pairs are dropped."""
    si, di = private(src), private(dst)
    return si == di or (not si and di)


# ------------------------------------------------------------ (a) scenario ---
def part_a(a, checks, wins):
    agg = {"pcts": [], "pcts_default": [], "rita": [], "rita_pair": []}
    p10 = {"pcts": [], "rita": []}
    print(f"\n== (a) generated scenarios: seeds {a.seeds}, {a.hours} h, {a.hosts} hosts")
    for seed in a.seeds.split(","):
        cap, rows = scenario(a.gen, a.work, "rita-scenario", seed, a.hours, a.hosts)
        flows_rows = pcts_rows(a.pcts, cap, [])
        P = pcts_ranking(flows_rows)
        ok = P.n >= 100  # a day of office traffic: hundreds of groups
        checks.append(ok)
        print(f"{'ok  ' if ok else 'FAIL'} seed {seed}: pcts ranks {P.n} groups (at least 100)")
        PK = pcts_ranking(pcts_rows(a.pcts, cap, ["--series", "packets"]))
        dns_rows = pcts_rows(a.pcts, cap, ["--group", "dns"])
        DNS = Ranking({(r["src"], r["dst"]): r["score"] for r in dns_rows},
                      {(r["src"], r["dst"]): r for r in dns_rows})
        R, RP, unmatched = rita_rankings(a.pcts, cap, LINK_HDR["ether"], set(P.scores))
        if not a.keep:
            os.remove(cap)
        note = f"; {unmatched} flow groups pcts did not list" if unmatched else ""
        print(f"-- seed {seed}: {P.n} service groups ({PK.n} in the packet series, {DNS.n} "
              f"with --group dns), {RP.n} IP pairs{note}")
        print(f"   {'beacon':11} {'truth':7} {'pcts flows':>13} {'pcts series':>13} "
              f"{'RITA':>13} {'RITA pair':>13} flt  RITA parts")
        kind_of = {}
        for t in rows:
            key = (t["src"], t["dst"], t["proto"], None if t["dport"] == "-" else int(t["dport"]))
            kind_of[key] = t["kind"]
            if t["kind"] != "beacon":
                continue
            if t["series"] == "dns":
                dom = t["notes"].split()[1].rstrip(";,")
                skey, srk = (t["src"], dom), DNS
            elif t["series"] == "packets":
                skey, srk = key, PK
            else:
                skey, srk = key, P
            pr, rr_ = srk.rank.get(skey), R.rank.get(key)
            agg["pcts"].append(pr)
            agg["pcts_default"].append(P.rank.get(key))
            agg["rita"].append(rr_)
            agg["rita_pair"].append(RP.rank.get((t["src"], t["dst"])))
            ok = better_or_equal(pr, rr_)
            checks.append(ok)
            if not ok:
                wins.append((f"seed {seed} {t['name']} (checked: {t['series']} series)",
                             srk.info.get(skey), R.info.get(key), pr, rr_))
            elif srk is not P and not better_or_equal(P.rank.get(key), rr_):
                wins.append((f"seed {seed} {t['name']} (default flow ranking only; "
                             f"pcts' {t['series']} series ranks it #{pr})",
                             P.info.get(key), R.info.get(key), P.rank.get(key), rr_))
            print(f"{'ok  ' if ok else 'FAIL'} {t['name']:11} {t['series']:7} "
                  f"{fmt_rank(P, key):>13} {fmt_rank(srk, skey):>13} {fmt_rank(R, key):>13} "
                  f"{fmt_rank(RP, (t['src'], t['dst'])):>13} "
                  f"{'drop' if rita_filtered(t['src'], t['dst']) else '-':4} "
                  f"{rita_parts(R.info.get(key))}")
        # where the others land (default flow ranking, service groups)
        for kind, label in (("benign_periodic", "benign periodic"), ("negative", "negatives")):
            keys = [k for k, v in kind_of.items() if v == kind]
            line = []
            for name, rk in (("pcts", P), ("RITA", R)):
                rs = [rk.rank.get(k) for k in keys]
                sc = sorted(r for r in rs if r is not None)
                med = f"median #{statistics.median(sc):.0f}" if sc else "none scored"
                best = f"best #{sc[0]}" if sc else ""
                line.append(f"{name}: {len(sc)}/{len(keys)} scored, {best}, {med}, "
                            f"{sum(1 for r in sc if r <= 10)} in top 10")
            print(f"     {label:16} " + "; ".join(line))
        for name, rk in (("pcts", P), ("RITA", R)):
            top = rk.top(10)
            nb = sum(1 for k in top if kind_of.get(k) == "beacon")
            nbp = sum(1 for k in top if kind_of.get(k) == "benign_periodic")
            other = [k for k in top if k not in kind_of]
            p10[name.lower()].append(nb / max(10, len(top)))
            bg = [k for k, r in rk.rank.items() if r is not None and k not in kind_of]
            desc = ""
            if bg:
                k = min(bg, key=lambda x: rk.rank[x])
                i = rk.info.get(k)
                parts = rita_parts(i) if name == "RITA" else (i or {}).get("reason", "")
                desc = (f"; best background #{rk.rank[k]} {k[0]}->{k[1]}:{k[3]}/{k[2]} "
                        f"{rk.scores[k]:.3f} ({parts})")
            print(f"     top 10 {name:4}: {nb} beacons, {nbp} benign periodic, "
                  f"{len(other)} background{desc}")
    return agg, p10


# ----------------------------------------------------------- (b) labelled ---
def part_b(a, checks, wins):
    gt = os.path.join(a.shared, "GROUND_TRUTH.tsv")
    if not os.path.exists(gt):
        print(f"\n== (b) SKIP: {gt} absent (shared captures not available)")
        return None
    manifest = {}
    mpath = os.path.join(a.shared, "MANIFEST.tsv")
    if os.path.exists(mpath):
        with open(mpath) as f:
            h = f.readline().rstrip("\n").split("\t")
            for l in f:
                m = dict(zip(h, l.rstrip("\n").split("\t")))
                manifest[m.get("local_file")] = m.get("linktype", "")
    with open(gt) as f:
        header = f.readline().rstrip("\n").split("\t")
        labels = [dict(zip(header, l.rstrip("\n").split("\t"))) for l in f if l.strip()]
    print(f"\n== (b) labelled C2 pairs of {gt}")
    print(f"   {'capture':34} {'pair':34} {'pcts flows':>15} {'pcts pkts':>15} {'RITA':>15} "
          f"{'RITA pair':>15} flt  RITA parts")
    res = {"pcts": [], "rita": [], "rita_pair": [], "regular": [], "skipped": 0}
    cache = {}
    for lab in labels:
        path = os.path.join(a.shared, lab["local_file"])
        if not os.path.exists(path):
            print(f"SKIP {lab['local_file']}: missing")
            res["skipped"] += 1
            continue
        if path not in cache:
            F = pcts_ranking(pcts_rows(a.pcts, path, ["--series", "flows"]))
            PK = pcts_ranking(pcts_rows(a.pcts, path, ["--series", "packets"]))
            hdr = LINK_HDR.get(manifest.get(lab["local_file"], "ether"), 0)
            R, RP, _ = rita_rankings(a.pcts, path, hdr, set(F.scores))
            cache[path] = (F, PK, R, RP)
        F, PK, R, RP = cache[path]

        def find(rk):
            best = None
            for k in rk.scores:
                if k[0] != lab["victim_ip"] or k[1] != lab["c2_ip"]:
                    continue
                if lab["c2_port"] != "-" and k[3] != int(lab["c2_port"]):
                    continue
                if lab["proto"] not in ("-", "") and k[2] != lab["proto"]:
                    continue
                if best is None or (rk.rank[k] or 10**9) < (rk.rank[best] or 10**9):
                    best = k
            return best
        kf, kp, kr = find(F), find(PK), find(R)
        rf = F.rank.get(kf) if kf else None
        rp = PK.rank.get(kp) if kp else None
        best = min((r for r in (rf, rp) if r is not None), default=None)
        bkey, brk = (kf, F) if rf is not None and (rp is None or rf <= rp) else (kp, PK)
        rr_ = R.rank.get(kr) if kr else None
        rpair = RP.rank.get((lab["victim_ip"], lab["c2_ip"]))
        try:
            regular = (float(lab["approx_interval_s"]) > 0 and float(lab["interval_cv"]) <= 0.3)
        except ValueError:
            regular = False
        res["pcts"].append(best)
        res["rita"].append(rr_)
        res["rita_pair"].append(rpair)
        res["regular"].append(regular)
        ok = better_or_equal(best, rr_)
        if regular:
            checks.append(ok)
            tag = "ok  " if ok else "FAIL"
        else:
            tag = "info"
        if not ok:
            wins.append((f"{lab['local_file']} {lab['victim_ip']}->{lab['c2_ip']}"
                         f":{lab['c2_port']} ({'regular' if regular else 'irregular'})",
                         brk.info.get(bkey) if bkey else None,
                         R.info.get(kr) if kr else None, best, rr_))
        name = os.path.basename(lab["local_file"])[:34]
        pair = f"{lab['victim_ip']}->{lab['c2_ip']}:{lab['c2_port']}"[:34]
        flt = "drop" if rita_filtered(lab["victim_ip"], lab["c2_ip"]) else "-"

        def fr(rk, k):
            return fmt_rank(rk, k, True) if k else "absent"
        print(f"{tag} {name:34} {pair:34} {fr(F, kf):>15} {fr(PK, kp):>15} {fr(R, kr):>15} "
              f"{fr(RP, (lab['victim_ip'], lab['c2_ip'])):>15} {flt:4} "
              f"{rita_parts(R.info.get(kr) if kr else None)}")
    return res


# ------------------------------------------------------------------ main ---
def summary(name, ranks):
    n = len(ranks)
    if not n:
        return f"{name:22} -"
    t1 = sum(1 for r in ranks if r is not None and r <= 1)
    t3 = sum(1 for r in ranks if r is not None and r <= 3)
    t10 = sum(1 for r in ranks if r is not None and r <= 10)
    mrr = sum(rr(r) for r in ranks) / n
    sc = sorted(r for r in ranks if r is not None)
    med = f"#{statistics.median(sc):.0f}" if sc else "-"
    return (f"{name:22} top1 {t1:2}/{n}  top3 {t3:2}/{n}  top10 {t10:2}/{n}  MRR {mrr:.3f}  "
            f"median rank {med:>5}  unscored {n - len(sc)}")


def mrr(ranks):
    return sum(rr(r) for r in ranks) / len(ranks) if ranks else 0.0


def main():
    t0 = time.time()
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("pcts")
    ap.add_argument("gen")
    ap.add_argument("work")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--hours", default="24")
    ap.add_argument("--hosts", default="40")
    ap.add_argument("--shared", default=os.path.join(here, "..", "..", "..", "shared", "pcaps"))
    ap.add_argument("--keep", action="store_true", help="keep the generated captures")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    checks, wins = [], []

    print("== RITA v5 re-implementation against RITA's test vectors")
    for name, ok, detail in selftest():
        checks.append(ok)
        print(f"{'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else f": {detail}"))

    agg, p10 = part_a(a, checks, wins)
    print("\n   planted beacons (rank among all groups; - = unscored):")
    print("   " + summary("pcts (truth series)", agg["pcts"]))
    print("   " + summary("pcts (default flows)", agg["pcts_default"]))
    print("   " + summary("RITA (service groups)", agg["rita"]))
    print("   " + summary("RITA (IP pairs)", agg["rita_pair"]))
    pp, rp = statistics.mean(p10["pcts"]), statistics.mean(p10["rita"])
    print(f"   precision at 10 (default ranking, planted beacons): pcts {pp:.2f}, RITA {rp:.2f}")
    ok = mrr(agg["pcts"]) >= mrr(agg["rita"])
    checks.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} (a) pcts MRR {mrr(agg['pcts']):.3f} >= RITA "
          f"{mrr(agg['rita']):.3f}")
    ok = pp >= rp
    checks.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} (a) pcts precision at 10 {pp:.2f} >= RITA {rp:.2f}")

    res = part_b(a, checks, wins)
    if res:
        reg = [i for i, r in enumerate(res["regular"]) if r]
        print("\n   labelled C2 pairs, documented regular (cv <= 0.3):")
        for name, k in (("pcts (best series)", "pcts"), ("RITA (service groups)", "rita"),
                        ("RITA (IP pairs)", "rita_pair")):
            print("   " + summary(name, [res[k][i] for i in reg]))
        print("   all labelled pairs:")
        for name, k in (("pcts (best series)", "pcts"), ("RITA (service groups)", "rita"),
                        ("RITA (IP pairs)", "rita_pair")):
            print("   " + summary(name, res[k]))
        ok = mrr(res["pcts"]) >= mrr(res["rita"])
        checks.append(ok)
        print(f"{'ok  ' if ok else 'FAIL'} (b) pcts MRR {mrr(res['pcts']):.3f} >= RITA "
              f"{mrr(res['rita']):.3f} (all labels)")

    if wins:
        print("\n== where RITA ranks a beacon better than pcts")
        for name, pinfo, rinfo, pr, rr_ in wins:
            print(f"-- {name}: pcts {'#' + str(pr) if pr else 'unscored'}, RITA #{rr_}")
            print(f"   pcts: {pcts_parts(pinfo)}")
            print(f"   RITA: {rita_parts(rinfo)} -> {rinfo['score'] if rinfo else '-'}")
    else:
        print("\n== RITA ranks no beacon or label better than pcts")
    passed = sum(1 for c in checks if c)
    print(f"runtime {time.time() - t0:.1f} s")
    skipped = res["skipped"] if res else 1
    print(f"{passed} passed, {len(checks) - passed} failed"
          + (f", {skipped} skipped" if skipped else ""))
    return 1 if passed != len(checks) else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Seeds for fuzz_main: seeds_main.py OUTDIR CAPTURE...

Each capture (cut to about 250 KiB at a record boundary when it is a
classic pcap) gets a few option prefixes (fuzz_main.c: byte 0 mode,
threads and format; byte 1 flags); hand-made hostile captures are added:
timestamps far forward and back (2100, 1970), clocks stepped back by hours,
single stray stamps inside TCP flows, duplicated packets, huge caplen, many
flows, names with quotes, angle brackets and control bytes (DNS answers, TLS
SNI, HTTP Host), inputs merged from parts, an --allow file from the input.
Seeds are generated locally and never committed.
"""
import os
import random
import struct
import sys

from seeds import pcap_order  # tests/fuzz/seeds.py, beside this script

SPLIT = b"PCTSPLIT"
LIMIT = 250 << 10
PER_FILE = 1  # option prefixes a capture (the first campaign used 3)
rnd = random.Random(1234)


# ---- frames ------------------------------------------------------------------
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(src, dst, proto, payload, ident=0):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000, 64, proto, 0,
                    bytes(src), bytes(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def eth(l3, ethertype=0x0800):
    return b"\x00\x00\x5e\x00\x53\x01" + b"\x00\x00\x5e\x00\x53\x02" + struct.pack("!H", ethertype) + l3


def tcp(src, dst, sp, dp, flags, seq=1, ack=0, data=b""):
    h = struct.pack("!HHIIBBHHH", sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0)
    return eth(ip4(src, dst, 6, h + data))


def udp(src, dst, sp, dp, data=b""):
    h = struct.pack("!HHHH", sp, dp, 8 + len(data), 0)
    return eth(ip4(src, dst, 17, h + data))


def dns_name(n):
    out = b""
    for lab in n.split(b"."):
        out += bytes([len(lab)]) + lab
    return out + b"\0"


def dns_answer(qid, name, addr):
    q = dns_name(name) + struct.pack("!HH", 1, 1)
    a = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + bytes(addr)
    return struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + q + a


def dns_query(qid, name):
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + dns_name(name) + struct.pack("!HH", 1, 1)


def client_hello(sni):
    ext_sni = struct.pack("!HBH", len(sni) + 3, 0, len(sni)) + sni
    ext = struct.pack("!HH", 0, len(ext_sni)) + ext_sni
    body = b"\x03\x03" + bytes(32) + b"\x00" + struct.pack("!H", 2) + b"\x13\x01" + b"\x01\x00"
    body += struct.pack("!H", len(ext)) + ext
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


# ---- files -------------------------------------------------------------------
def pcap(recs, nsec=False, snap=262144, linktype=1):
    """recs: (ts_ns, frame) or (ts_ns, frame, caplen_override)"""
    out = struct.pack("<IHHiIII", 0xA1B23C4D if nsec else 0xA1B2C3D4, 2, 4, 0, 0, snap, linktype)
    for r in recs:
        ts, fr = r[0], r[1]
        cl = r[2] if len(r) > 2 else len(fr)
        sec = (ts // 10**9) & 0xFFFFFFFF
        frac = ts % 10**9 if nsec else (ts % 10**9) // 1000
        out += struct.pack("<IIII", sec, frac, cl, max(cl, len(fr))) + fr
    return out


S = 10**9
T0 = 1_700_000_000 * S
C = (10, 0, 0, 5)
SRV = (203, 0, 113, 7)
DNS = (10, 0, 0, 1)


def tcp_conn(t, cport, dst=SRV, dport=443, data=b"x" * 40, step=S // 100):
    f = []
    f.append((t, tcp(C, dst, cport, dport, 0x02, 100)))
    f.append((t + step, tcp(dst, C, dport, cport, 0x12, 500, 101)))
    f.append((t + 2 * step, tcp(C, dst, cport, dport, 0x10, 101, 501)))
    f.append((t + 3 * step, tcp(C, dst, cport, dport, 0x18, 101, 501, data)))
    f.append((t + 4 * step, tcp(dst, C, dport, cport, 0x18, 501, 141, b"y" * 20)))
    f.append((t + 5 * step, tcp(C, dst, cport, dport, 0x11, 141, 521)))
    f.append((t + 6 * step, tcp(dst, C, dport, cport, 0x11, 521, 142)))
    f.append((t + 7 * step, tcp(C, dst, cport, dport, 0x10, 142, 522)))
    return f


def beacon(n=40, period=60 * S, t0=T0, sni=b"c2.example.com"):
    recs = [(t0 - S, udp(C, DNS, 5353, 53, dns_query(7, sni))),
            (t0 - S // 2, udp(DNS, C, 53, 5353, dns_answer(7, sni, SRV)))]
    for i in range(n):
        recs += tcp_conn(t0 + i * period, 40000 + i, data=client_hello(sni))
    return recs


def long_flow(n=200, t0=T0, gap=10 * S):
    """one TCP connection with a heartbeat every gap"""
    recs = tcp_conn(t0, 50000)[:3]
    for i in range(n):
        recs.append((t0 + S + i * gap, tcp(C, SRV, 50000, 443, 0x18, 101 + i, 501, b"hb")))
        recs.append((t0 + S + i * gap + S // 50, tcp(SRV, C, 443, 50000, 0x10, 501, 103 + i)))
    return recs


def hostile():
    seeds = {}
    b = beacon()
    # a stray stamp in 2100 and one in 1970 inside flows
    r = list(b)
    r[45] = (4_102_444_800 * S, r[45][1])
    r[101] = (0, r[101][1])
    seeds["stray_2100_1970"] = pcap(r)
    # a stray inside a long connection, nanosecond file
    r = long_flow()
    r[77] = (r[77][0] + 5 * 86400 * S, r[77][1])
    r[150] = (r[150][0] - 3 * 86400 * S, r[150][1])
    seeds["stray_long_flow_ns"] = pcap(r, nsec=True)
    # the clock steps back by 3 hours midway, and forward by a year later
    r = beacon(60)
    r = r[:200] + [(t - 3 * 3600 * S, f) for t, f in r[200:350]] + \
        [(t + 365 * 86400 * S, f) for t, f in r[350:]]
    seeds["clock_back_3h_forward_1y"] = pcap(r)
    # the long flow with its clock stepped back by 2 hours then forward again
    r = long_flow(300)
    r = r[:250] + [(t - 2 * 3600 * S, f) for t, f in r[250:400]] + r[400:]
    seeds["long_flow_clock_back"] = pcap(r)
    # every packet twice
    seeds["duplicates"] = pcap([x for p in beacon(30) for x in (p, p)])
    # a 1970 capture and a 2100 capture merged
    seeds["merge_1970_2100"] = pcap(beacon(10, t0=5 * S)) + SPLIT + pcap(beacon(10, t0=4_102_444_800 * S))
    # overlapping parts (a merge by timestamp)
    b = beacon(40)
    seeds["merge_interleaved"] = pcap(b[0::2]) + SPLIT + pcap(b[1::2]) + SPLIT + pcap(long_flow(50))
    # huge caplen: a record that says 0xffffffff, one over the snaplen with data
    r = beacon(5)
    big = r[10][1] + bytes(70000)
    out = pcap(r[:10] + [(r[10][0], big)], snap=1500)
    out += struct.pack("<IIII", 1_700_000_999, 0, 0xFFFFFFFF, 0xFFFFFFFF) + bytes(64)
    seeds["huge_caplen"] = out
    # many flows: distinct UDP 5-tuples, and many TCP SYNs
    r = []
    for i in range(3000):
        r.append((T0 + i * S // 100, udp((10, 1, i >> 8 & 255, i & 255), (198, 51, 100, i % 7), 1024 + i, 53 + i % 3, b"q")))
    seeds["many_udp_flows"] = pcap(r)
    r = []
    for i in range(2500):
        r.append((T0 + (i % 40) * 60 * S + i, tcp(C, (203, 0, 113, i % 200), 10000 + i, 443, 0x02)))
    seeds["many_syns_unsorted"] = pcap(r)
    # names that outputs must escape
    for k, nm in enumerate([b'ev"il\\name.com', b"<script>x</script>.example", b"a\x01b\x7f.c\xffd.com",
                            b"</script><!--.x", b"x" * 63 + b"." + b"y" * 63 + b"." + b"z" * 60 + b".com",
                            b"a,b;c\nd.com"]):
        seeds["names_%d" % k] = pcap(beacon(8, sni=nm))
        r = beacon(6, sni=b"ok.example.com")
        host = b"GET / HTTP/1.1\r\nHost: " + nm + b"\r\nUser-Agent: x\r\n\r\n"
        for i in range(6):
            r += [(x[0] + 7 * S, x[1]) for x in tcp_conn(T0 + i * 60 * S + 7 * S, 30000 + i, dport=80, data=host)]
        r.sort(key=lambda x: x[0])
        seeds["http_host_%d" % k] = pcap(r)
    # DNS tunnelling shape for --group dns
    r = []
    for i in range(300):
        nm = b"%x.t.evil-dns.example" % rnd.getrandbits(64)
        r.append((T0 + i * 30 * S, udp(C, DNS, 5000 + i, 53, dns_query(i, nm))))
        r.append((T0 + i * 30 * S + S // 10, udp(DNS, C, 53, 5000 + i, dns_answer(i, nm, SRV))))
    seeds["dns_tunnel"] = pcap(r)
    # every packet the same stamp; and stamps all 0
    seeds["same_stamp"] = pcap([(T0, f) for _, f in beacon(10)])
    seeds["zero_stamps"] = pcap([(0, f) for _, f in beacon(10)])
    # pcap with sub-second field out of range, and the maximal 32-bit second
    r = beacon(5)
    out = pcap(r[:20])
    out += struct.pack("<IIII", 0xFFFFFFFF, 2_000_000, len(r[20][1]), len(r[20][1])) + r[20][1]
    out += struct.pack("<IIII", 1_700_000_100, 999_999_999, len(r[21][1]), len(r[21][1])) + r[21][1]
    seeds["bad_fraction"] = out
    # allow file from the input, then captures
    allow = (b"# allow\n203.0.113.0/24\n*.example.com\ntcp/443\nc2.example.com\nudp/53\n10.0.0.0/8 # x\n")
    seeds["allow_file"] = allow + SPLIT + pcap(beacon(20)) + SPLIT + pcap(long_flow(40))
    # a -f expression from the input: DNS answers the filter leaves out
    # (learn_filtered), late packets of closed connections (tails), and a
    # filter that does not compile (exit 2)
    r = []
    for i in range(12):
        t = T0 + i * 60 * S
        nm = b"c%d.example.com" % (i % 3)
        r.append((t - S, udp(C, DNS, 6000 + i, 53, dns_query(i, nm))))
        r.append((t - S + S // 100, udp(DNS, C, 53, 6000 + i, dns_answer(i, nm, SRV))))
        conn = tcp_conn(t, 31000 + i, dport=443)
        r += conn + [(t + 10 * S, conn[1][1]), (t + 12 * S, conn[-1][1])]  # SYN/ACK and last packet again
    r.sort(key=lambda x: x[0])
    for k, f in enumerate([b"not port 53", b"tcp", b"host 10.0.0.99", b"port ((("]):
        seeds["filter_%d" % k] = b"~" + f + SPLIT + pcap(r)
    return seeds


# ---- pcapng with extreme timestamps (if_tsresol, if_tsoffset) ------------------
def ng_block(btype, body):
    body += bytes(-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def ng_opt(code, val):
    return struct.pack("<HH", code, len(val)) + val + bytes(-len(val) % 4)


def pcapng(ifaces, recs):
    """ifaces: [(tsresol byte or None, tsoffset seconds or None)]; recs: (iface, units, frame)"""
    out = ng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    for res, off in ifaces:
        opts = b""
        if res is not None:
            opts += ng_opt(9, bytes([res]))
        if off is not None:
            opts += ng_opt(14, struct.pack("<q", off))
        if opts:
            opts += ng_opt(0, b"")
        out += ng_block(1, struct.pack("<HHI", 1, 0, 262144) + opts)
    for i, units, fr in recs:
        out += ng_block(6, struct.pack("<IIIII", i, units >> 32, units & 0xFFFFFFFF, len(fr), len(fr)) + fr)
    return out


def extreme_seeds():
    seeds = {}
    b = beacon(12)
    # two interfaces: one far in the past (negative), one near year 2262
    recs = []
    for k, (t, f) in enumerate(b):
        recs.append((k & 1, t // 1000, f))
    seeds["ng_offsets_pm"] = pcapng([(6, -(1 << 62) // 10**9 * 0 - 9_000_000_000), (6, 9_000_000_000)], recs)
    # tsresol 2^-30 and 10^-9 with huge units, and units near 2^64
    recs = [(0, (1 << 64) - 1 - k, f) for k, (t, f) in enumerate(b[:30])]
    recs += [(1, t, f) for t, f in b[30:]]
    seeds["ng_huge_units"] = pcapng([(0x80 | 30, None), (9, -(1 << 63))], recs)
    # a stray in 1970 and one at INT64_MAX inside a long flow, nanosecond pcapng
    lf = long_flow(80)
    recs = [(0, t, f) for t, f in lf]
    recs[40] = (0, 0, recs[40][2])
    recs[60] = (0, (1 << 63) - 1, recs[60][2])
    seeds["ng_long_flow_extremes"] = pcapng([(9, None)], recs)
    # the clock alternates between two far times (merged badly): many strays
    recs = [(0, t + (k % 3 == 0) * 50 * 365 * 86400 * S, f) for k, (t, f) in enumerate(beacon(30))]
    seeds["ng_alternating"] = pcapng([(9, None)], recs)
    # 9 packets far ahead then back (a clock confirmed ahead, then stepped back)
    lf = long_flow(60)
    recs = [(0, t + (40 <= k < 49) * 10 * 86400 * S, f) for k, (t, f) in enumerate(lf)]
    seeds["ng_confirmed_jump_back"] = pcapng([(9, None)], recs)
    return seeds


def cut_pcap(d):
    """a classic pcap cut to LIMIT at a record boundary (else a plain cut)"""
    if len(d) <= LIMIT:
        return d
    e = pcap_order(d)
    if not e:
        return d[:LIMIT]
    off = 24
    while off + 16 <= LIMIT:
        cl = struct.unpack(e + "I", d[off + 8:off + 12])[0]
        if off + 16 + cl > LIMIT:
            break
        off += 16 + cl
    return d[:off]


def prefixes(n):
    """mode 0..15 x threads x format, and a flag byte"""
    out = []
    for _ in range(n):
        b0 = rnd.randrange(16) | rnd.randrange(4) << 4 | rnd.randrange(4) << 6
        out.append(bytes([b0, rnd.randrange(256) | 8]))  # -o to a file: outputs checked
    return out


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in list(hostile().items()) + list(extreme_seeds().items()):
        # every mode once, formats and flags varied
        for mode in range(16):
            b0 = mode | rnd.randrange(4) << 4 | rnd.randrange(4) << 6
            b1 = rnd.randrange(256) | 8
            with open(os.path.join(out, "h_%s_%02d" % (name, mode)), "wb") as f:
                f.write(bytes([b0, b1]) + data[:LIMIT])
    for i, path in enumerate(sys.argv[2:]):
        try:
            data = cut_pcap(open(path, "rb").read(8 << 20))
        except OSError:
            continue
        for k, pre in enumerate(prefixes(PER_FILE)):
            with open(os.path.join(out, "f%04d_%d" % (i, k)), "wb") as f:
                f.write(pre + data)


if __name__ == "__main__":
    main()

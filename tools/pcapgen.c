/*
 * pcapgen - deterministic packet capture generator for pcts.
 *
 * The project may not ship third-party captures, so every capture used by
 * the demo, the benchmarks and the tests is made by this program.  All
 * output is a pure function of the command line (and --seed): the PRNG is
 * splitmix64, timestamps are integer nanoseconds, and no floating point is
 * used anywhere, so the bytes are identical across runs, compilers and
 * optimisation levels.
 *
 *   pcapgen sample OUT.pcap [--seed N]
 *       A one-hour demo capture (classic little-endian microsecond pcap,
 *       Ethernet, 2024-03-01 12:00:00 UTC onwards, ~37k packets) of a small
 *       office network 10.0.0.0/24: a 60 s HTTPS beacon with 10% negative
 *       jitter (10.0.0.23 -> 203.0.113.10:443), a 300 s +-5% UDP beacon
 *       (10.0.0.31 -> 198.51.100.77:8443), DNS to the resolver 10.0.0.1,
 *       NTP every 64 s exactly, random browsing bursts to ~40 servers in
 *       198.18.0.0/15, a 2-minute bulk HTTP download, 10 minutes of ping
 *       and one IPv6 DNS pair.  Periodic pairs must stand out in the
 *       per-pair time-series statistics; the rest is background noise.
 *
 *   pcapgen bench OUT.pcap|- --packets N --pairs P [--snap 64] [--seed N]
 *       A large capture for benchmarks, written straight into one big
 *       buffer: N packets over P directed IPv4 pairs (70% TCP, 25% UDP,
 *       5% ICMP), one hour, wire lengths 60-1514, captured up to --snap
 *       (default 64, which keeps every Ethernet/IPv4/TCP-UDP header).
 *
 *   pcapgen cases DIR
 *       Small captures that exercise every link type, byte order,
 *       timestamp resolution, pcapng block and damaged-file path a reader
 *       must handle, plus DIR/expected.tsv (the exact per-directed-pair
 *       figures a correct decoder produces) and DIR/cases.tsv (expected
 *       exit status and what the reader should do with each file).
 *       expected.tsv is computed from the packets as they are written:
 *       pairs are (outermost src IP, dst IP); proto is the upper-layer
 *       protocol after any IPv6 extension headers, '-' if a pair mixes
 *       several; dport is '-' if the pair's packets that carry a TCP/UDP
 *       header disagree or none does (non-first fragments and ICMP carry
 *       none and do not count against it); bytes add up original wire
 *       lengths; a file without pairs has one row with src '-'.
 *
 *   pcapgen scenario OUT.pcap --truth OUT.tsv [--hours H] [--hosts N]
 *                    [--seed N] [--stats]
 *       A realistic mixed office capture from 2024-03-04 00:00:00 UTC for
 *       H hours (default 24, 1-168) with N internal hosts (default 40,
 *       10-200) 10.1.0.10.. behind the gateway/resolver 10.1.0.1:
 *       diurnal browsing bursts with DNS, bulk downloads, long TLS
 *       sessions with keepalives, benign periodic services (NTP, update
 *       checks, telemetry, a CoAP printer, NetBIOS broadcasts) and ten
 *       planted beacons of different shapes (jitter, missed beats, bursts,
 *       slow, UDP, fast and short, heartbeat inside one connection, DNS
 *       tunnel, ICMP).  Frames are cut to 128 captured bytes (DNS whole)
 *       with true wire lengths.  The truth file lists every beacon, benign
 *       periodic service and chosen negative with its group and packet
 *       counts; --stats prints packets per component on stderr.
 *
 * Every frame is well formed: Ethernet minimum padding, IPv4 header
 * checksums, IPv6 payload lengths, TCP/UDP/ICMP lengths and checksums are
 * all correct unless a case damages them on purpose.
 *
 * Keep at most one PRNG draw per full expression: C leaves the order in
 * which function arguments are evaluated unspecified, and two draws in one
 * argument list made gcc and clang write different bytes.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define DEFAULT_SEED 0x7063747370636170ull /* "pctspcap" */
#define EPOCH_START 1709294400ull          /* 2024-03-01 12:00:00 UTC */
#define NS_PER_SEC 1000000000ull
#define NS_PER_MS 1000000ull
#define NS_PER_US 1000ull
#define SEC(x) ((uint64_t)(x)*NS_PER_SEC)
#define MSEC(x) ((uint64_t)(x)*NS_PER_MS)
#define USEC(x) ((uint64_t)(x)*NS_PER_US)

#define FRAME_MAX 4096

#define F_FIN 0x01
#define F_SYN 0x02
#define F_PSH 0x08
#define F_ACK 0x10

#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_ICMPV6_ 58

#define LINKTYPE_NULL 0
#define LINKTYPE_ETHERNET 1
#define LINKTYPE_PPP 9
#define LINKTYPE_RAW12 12
#define LINKTYPE_RAW 101
#define LINKTYPE_C_HDLC 104
#define LINKTYPE_LOOP 108
#define LINKTYPE_LINUX_SLL 113
#define LINKTYPE_USER0 147
#define LINKTYPE_IPV4 228
#define LINKTYPE_IPV6 229
#define LINKTYPE_LINUX_SLL2 276

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
    va_list ap;

    fputs("pcapgen: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static const char usage_text[] =
    "usage: pcapgen sample OUT.pcap [--seed N]\n"
    "       pcapgen bench OUT.pcap|- --packets N --pairs P [--snap BYTES] [--seed N]\n"
    "       pcapgen cases DIR\n"
    "       pcapgen scenario OUT.pcap --truth OUT.tsv [--hours H] [--hosts N] [--seed N]\n"
    "                        [--stats]\n";

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void usage_error(const char *fmt, ...)
{
    va_list ap;

    if (fmt) {
        fputs("pcapgen: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    }
    fputs(usage_text, stderr);
    exit(2);
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);

    if (!q)
        die("out of memory (%zu bytes)", n);
    return q;
}

/* ------------------------------------------------------------------ */
/* deterministic PRNG: splitmix64                                       */

struct rng {
    uint64_t s;
};

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rng_next(struct rng *r)
{
    r->s += 0x9e3779b97f4a7c15ull;
    return mix64(r->s);
}

/* uniform in [0, n) for n <= 2^32, by multiply-high (no modulo bias worth
 * mentioning, no division) */
static uint32_t rng_below(struct rng *r, uint64_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * n) >> 32);
}

/* uniform in [lo, hi] */
static uint32_t rng_range(struct rng *r, uint32_t lo, uint32_t hi)
{
    return lo + rng_below(r, (uint64_t)hi - lo + 1);
}

/* ------------------------------------------------------------------ */
/* byte helpers and checksums                                           */

static void wr16be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void wr32be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void wr16le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void wr32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void wr16(uint8_t *p, uint32_t v, int be)
{
    if (be)
        wr16be(p, v);
    else
        wr16le(p, v);
}

static void wr32(uint8_t *p, uint32_t v, int be)
{
    if (be)
        wr32be(p, v);
    else
        wr32le(p, v);
}

/* one's complement sum of a buffer that starts at an even offset */
static uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    return sum;
}

static uint16_t csum_fold(uint64_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* ------------------------------------------------------------------ */
/* addresses                                                            */

struct addr {
    int v6;
    uint8_t b[16];
};

static struct addr a4(uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
    struct addr r;

    memset(&r, 0, sizeof(r));
    r.b[0] = (uint8_t)a;
    r.b[1] = (uint8_t)b;
    r.b[2] = (uint8_t)c;
    r.b[3] = (uint8_t)d;
    return r;
}

static struct addr a4u(uint32_t ip)
{
    return a4(ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* parse the few IPv6 literals used here ("2001:db8::10"); the input is a
 * constant in this file, so a malformed one is a bug */
static struct addr a6(const char *s)
{
    struct addr r;
    uint32_t g[8];
    int n = 0, gap = -1, i;
    const char *p = s;

    memset(&r, 0, sizeof(r));
    r.v6 = 1;
    while (*p) {
        uint32_t v = 0;
        int digits = 0, h;

        if (p[0] == ':' && p[1] == ':') {
            if (gap >= 0)
                die("internal error: bad IPv6 literal '%s'", s);
            gap = n;
            p += 2;
            continue;
        }
        if (*p == ':')
            p++;
        while ((h = hexval(*p)) >= 0 && digits < 4) {
            v = v << 4 | (uint32_t)h;
            p++;
            digits++;
        }
        if (!digits || n == 8 || (*p && *p != ':'))
            die("internal error: bad IPv6 literal '%s'", s);
        g[n++] = v;
    }
    if (gap < 0 && n != 8)
        die("internal error: bad IPv6 literal '%s'", s);
    for (i = 0; i < n; i++) {
        int pos = (gap >= 0 && i >= gap) ? 8 - (n - i) : i;
        wr16be(r.b + 2 * pos, g[i]);
    }
    return r;
}

/* dotted quad, or RFC 5952 text for IPv6 */
static void addr_str(const struct addr *a, char *buf, size_t len)
{
    uint32_t g[8];
    int i, best = -1, bestlen = 1;
    size_t k = 0;

    if (!a->v6) {
        snprintf(buf, len, "%u.%u.%u.%u", a->b[0], a->b[1], a->b[2], a->b[3]);
        return;
    }
    for (i = 0; i < 8; i++)
        g[i] = (uint32_t)a->b[2 * i] << 8 | a->b[2 * i + 1];
    for (i = 0; i < 8; i++) {
        int j = i;

        while (j < 8 && g[j] == 0)
            j++;
        if (j - i > bestlen) {
            best = i;
            bestlen = j - i;
        }
        if (j > i)
            i = j - 1;
    }
    buf[0] = '\0';
    for (i = 0; i < 8 && k < len; i++) {
        int w;

        if (i == best) {
            w = snprintf(buf + k, len - k, "::");
            i += bestlen - 1;
        } else {
            w = snprintf(buf + k, len - k, "%s%x", (k > 0 && buf[k - 1] != ':') ? ":" : "", g[i]);
        }
        if (w < 0)
            break;
        k += (size_t)w;
    }
}

/* ------------------------------------------------------------------ */
/* packet building                                                      */

/* One IP packet with its transport header.  proto is the upper-layer
 * protocol: TCP, UDP, ICMP (IPv4) or ICMPv6 (IPv6). */
struct pkt {
    struct addr src, dst;
    uint8_t proto;
    uint16_t sport, dport; /* TCP/UDP */
    uint8_t flags;         /* TCP */
    uint32_t seq, ack;     /* TCP */
    uint16_t win;          /* TCP */
    uint8_t icmp_type;     /* echo request/reply */
    uint16_t icmp_id, icmp_seq;
    uint16_t ip_id;     /* IPv4 */
    uint8_t ttl;        /* TTL or hop limit, 64 if 0 */
    const uint8_t *pay; /* NULL: a fixed printable pattern */
    size_t paylen;
};

static uint64_t pseudo_sum(const struct addr *s, const struct addr *d, uint32_t proto, size_t len)
{
    size_t alen = s->v6 ? 16 : 4;
    uint64_t sum = 0;

    sum = csum_add(sum, s->b, alen);
    sum = csum_add(sum, d->b, alen);
    sum += proto;
    sum += (uint64_t)(len >> 16) + (len & 0xffff);
    return sum;
}

static void fill_pattern(uint8_t *p, size_t n, size_t salt)
{
    size_t i;

    for (i = 0; i < n; i++)
        p[i] = (uint8_t)(0x20 + (i * 7 + salt) % 95);
}

/* transport header + payload, checksum included; returns its length */
static size_t build_l4(uint8_t *o, const struct pkt *p)
{
    size_t h, total;
    uint64_t sum;
    uint16_t c;

    switch (p->proto) {
    case IPPROTO_TCP_:
        h = 20;
        wr16be(o, p->sport);
        wr16be(o + 2, p->dport);
        wr32be(o + 4, p->seq);
        wr32be(o + 8, p->ack);
        o[12] = 0x50;
        o[13] = p->flags;
        wr16be(o + 14, p->win ? p->win : 64240);
        wr32be(o + 16, 0);
        break;
    case IPPROTO_UDP_:
        h = 8;
        wr16be(o, p->sport);
        wr16be(o + 2, p->dport);
        wr16be(o + 4, (uint32_t)(8 + p->paylen));
        wr16be(o + 6, 0);
        break;
    case IPPROTO_ICMP_:
    case IPPROTO_ICMPV6_:
        h = 8;
        o[0] = p->icmp_type;
        o[1] = 0;
        wr16be(o + 2, 0);
        wr16be(o + 4, p->icmp_id);
        wr16be(o + 6, p->icmp_seq);
        break;
    default: die("internal error: protocol %u", p->proto);
    }
    if (p->pay)
        memcpy(o + h, p->pay, p->paylen);
    else
        fill_pattern(o + h, p->paylen, p->paylen);
    total = h + p->paylen;
    sum = p->proto == IPPROTO_ICMP_ ? 0 : pseudo_sum(&p->src, &p->dst, p->proto, total);
    c = csum_fold(csum_add(sum, o, total));
    switch (p->proto) {
    case IPPROTO_TCP_: wr16be(o + 16, c); break;
    case IPPROTO_UDP_: wr16be(o + 6, c ? c : 0xffff); break;
    default: wr16be(o + 2, c); break;
    }
    return total;
}

static uint16_t ip4_checksum(const uint8_t *ip, size_t hl)
{
    return csum_fold(csum_add(0, ip, hl));
}

/* IPv4 header with optlen (multiple of 4) bytes of options */
static size_t ip4_hdr(uint8_t *o, const struct addr *s, const struct addr *d, uint32_t proto,
                      size_t total, uint32_t id, uint32_t frag, uint32_t ttl, const uint8_t *opt,
                      size_t optlen)
{
    size_t hl = 20 + optlen;

    o[0] = (uint8_t)(0x40 | (hl / 4));
    o[1] = 0;
    wr16be(o + 2, (uint32_t)total);
    wr16be(o + 4, id);
    wr16be(o + 6, frag);
    o[8] = (uint8_t)(ttl ? ttl : 64);
    o[9] = (uint8_t)proto;
    wr16be(o + 10, 0);
    memcpy(o + 12, s->b, 4);
    memcpy(o + 16, d->b, 4);
    if (optlen)
        memcpy(o + 20, opt, optlen);
    wr16be(o + 10, ip4_checksum(o, hl));
    return hl;
}

static size_t ip6_hdr(uint8_t *o, const struct addr *s, const struct addr *d, uint32_t next,
                      size_t plen, uint32_t hlim)
{
    wr32be(o, 0x60000000u);
    wr16be(o + 4, (uint32_t)plen);
    o[6] = (uint8_t)next;
    o[7] = (uint8_t)(hlim ? hlim : 64);
    memcpy(o + 8, s->b, 16);
    memcpy(o + 24, d->b, 16);
    return 40;
}

/* complete IPv4 or IPv6 packet; returns its length */
static size_t build_ip(uint8_t *o, const struct pkt *p)
{
    size_t hl = p->src.v6 ? 40 : 20;
    size_t l4 = build_l4(o + hl, p);

    if (p->src.v6)
        ip6_hdr(o, &p->src, &p->dst, p->proto, l4, p->ttl);
    else
        ip4_hdr(o, &p->src, &p->dst, p->proto, hl + l4, p->ip_id,
                p->proto == IPPROTO_TCP_ ? 0x4000 : 0, p->ttl, NULL, 0);
    return hl + l4;
}

static size_t eth_hdr(uint8_t *o, const uint8_t *dst, const uint8_t *src, uint32_t type)
{
    memcpy(o, dst, 6);
    memcpy(o + 6, src, 6);
    wr16be(o + 12, type);
    return 14;
}

/* Ethernet frames shorter than 60 bytes (without FCS) are padded on the
 * wire; the padding is part of the frame length */
static size_t pad60(uint8_t *f, size_t n)
{
    if (n < 60) {
        memset(f + n, 0, 60 - n);
        n = 60;
    }
    return n;
}

/* DNS query or response with one question (and one answer in a response) */
static size_t dns_msg(uint8_t *o, uint32_t id, int response, const char *name, uint32_t qtype,
                      const uint8_t *rdata, size_t rdlen)
{
    size_t n = 12, qname = 12;
    const char *p = name;

    wr16be(o, id);
    wr16be(o + 2, response ? 0x8180 : 0x0100);
    wr16be(o + 4, 1);
    wr16be(o + 6, response ? 1 : 0);
    wr16be(o + 8, 0);
    wr16be(o + 10, 0);
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t l = dot ? (size_t)(dot - p) : strlen(p);

        o[n++] = (uint8_t)l;
        memcpy(o + n, p, l);
        n += l;
        p += l;
        if (*p == '.')
            p++;
    }
    o[n++] = 0;
    wr16be(o + n, qtype);
    wr16be(o + n + 2, 1);
    n += 4;
    if (response) {
        wr16be(o + n, 0xc000 | (uint32_t)qname);
        wr16be(o + n + 2, qtype);
        wr16be(o + n + 4, 1);
        wr32be(o + n + 6, 300);
        wr16be(o + n + 10, (uint32_t)rdlen);
        memcpy(o + n + 12, rdata, rdlen);
        n += 12 + rdlen;
    }
    return n;
}

/* ------------------------------------------------------------------ */
/* output files                                                         */

struct outf {
    FILE *f;
    char name[512];
    uint64_t off;
    int is_stdout;
};

static void out_open(struct outf *o, const char *path)
{
    memset(o, 0, sizeof(*o));
    if (strcmp(path, "-") == 0) {
        o->f = stdout;
        o->is_stdout = 1;
        snprintf(o->name, sizeof(o->name), "<stdout>");
        return;
    }
    snprintf(o->name, sizeof(o->name), "%s", path);
    o->f = fopen(path, "wb");
    if (!o->f)
        die("cannot open '%s': %s", path, strerror(errno));
}

static void out_write(struct outf *o, const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, o->f) != n)
        die("cannot write '%s': %s", o->name, strerror(errno));
    o->off += n;
}

static void out_close(struct outf *o)
{
    if (o->is_stdout) {
        if (fflush(stdout) != 0 || ferror(stdout))
            die("cannot write '%s': %s", o->name, strerror(errno));
        return;
    }
    if (fclose(o->f) != 0)
        die("cannot close '%s': %s", o->name, strerror(errno));
    o->f = NULL;
}

/* classic pcap */
struct pcapw {
    struct outf o;
    int be, nsec;
};

static void pcap_open(struct pcapw *w, const char *path, int be, int nsec, uint32_t snaplen,
                      uint32_t linktype)
{
    uint8_t h[24];

    out_open(&w->o, path);
    w->be = be;
    w->nsec = nsec;
    wr32(h, nsec ? 0xa1b23c4du : 0xa1b2c3d4u, be);
    wr16(h + 4, 2, be);
    wr16(h + 6, 4, be);
    wr32(h + 8, 0, be);
    wr32(h + 12, 0, be);
    wr32(h + 16, snaplen, be);
    wr32(h + 20, linktype, be);
    out_write(&w->o, h, sizeof(h));
}

/* record header; returns the timestamp as stored, in ns */
static uint64_t pcap_rec_hdr(struct pcapw *w, uint64_t ts_ns, uint32_t caplen, uint32_t wire)
{
    uint8_t h[16];
    uint64_t sec = ts_ns / NS_PER_SEC, frac = ts_ns % NS_PER_SEC;

    if (!w->nsec)
        frac /= NS_PER_US;
    wr32(h, (uint32_t)sec, w->be);
    wr32(h + 4, (uint32_t)frac, w->be);
    wr32(h + 8, caplen, w->be);
    wr32(h + 12, wire, w->be);
    out_write(&w->o, h, sizeof(h));
    return sec * NS_PER_SEC + (w->nsec ? frac : frac * NS_PER_US);
}

static uint64_t pcap_rec(struct pcapw *w, uint64_t ts_ns, const uint8_t *d, size_t caplen,
                         size_t wire)
{
    uint64_t ts = pcap_rec_hdr(w, ts_ns, (uint32_t)caplen, (uint32_t)wire);

    out_write(&w->o, d, caplen);
    return ts;
}

/* ------------------------------------------------------------------ */
/* sample: the one-hour demo capture                                    */

struct sev {
    uint64_t ts;  /* ns */
    uint64_t off; /* into the arena */
    uint32_t seq; /* generation order: stable tie-break */
    uint32_t len;
};

struct sample {
    uint8_t *arena;
    size_t an, acap;
    struct sev *ev;
    size_t nev, evcap;
    struct rng rng;
    uint8_t pay[FRAME_MAX];
};

static const uint8_t gw_mac[6] = {0x00, 0x00, 0x5e, 0x00, 0x53, 0x01};

static void s_frame(struct sample *s, uint64_t ts, const uint8_t *f, size_t n)
{
    struct sev *e;

    if (s->an + n > s->acap) {
        while (s->an + n > s->acap)
            s->acap = s->acap ? s->acap * 2 : (size_t)1 << 22;
        s->arena = xrealloc(s->arena, s->acap);
    }
    if (s->nev == s->evcap) {
        s->evcap = s->evcap ? s->evcap * 2 : 65536;
        s->ev = xrealloc(s->ev, s->evcap * sizeof(*s->ev));
    }
    memcpy(s->arena + s->an, f, n);
    e = &s->ev[s->nev];
    e->ts = ts;
    e->off = s->an;
    e->seq = (uint32_t)s->nev;
    e->len = (uint32_t)n;
    s->nev++;
    s->an += n;
}

/* hosts on the office LAN (10.0.0.0/24, 2001:db8::/64) have their own MAC;
 * everything else is reached through the gateway 10.0.0.1 */
static int is_internal(const struct addr *a)
{
    static const uint8_t lan6[8] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0};

    if (a->v6)
        return memcmp(a->b, lan6, 8) == 0;
    return a->b[0] == 10 && a->b[1] == 0 && a->b[2] == 0;
}

static void mac_for(const struct addr *a, uint8_t *mac)
{
    memcpy(mac, gw_mac, 6);
    if (is_internal(a))
        mac[5] = a->b[a->v6 ? 15 : 3];
}

static void s_pkt(struct sample *s, uint64_t ts, struct pkt *p)
{
    uint8_t f[FRAME_MAX], dm[6], sm[6];
    size_t n;

    mac_for(&p->dst, dm);
    mac_for(&p->src, sm);
    if (!p->ttl)
        p->ttl = is_internal(&p->src) ? 64 : 53;
    if (!p->src.v6)
        p->ip_id = (uint16_t)rng_next(&s->rng);
    n = eth_hdr(f, dm, sm, p->src.v6 ? 0x86dd : 0x0800);
    n += build_ip(f + n, p);
    s_frame(s, ts, f, pad60(f, n));
}

static const uint8_t *s_random_payload(struct sample *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i += 8) {
        uint64_t r = rng_next(&s->rng);
        size_t j;

        for (j = 0; j < 8 && i + j < n; j++)
            s->pay[i + j] = (uint8_t)(r >> (8 * j));
    }
    return s->pay;
}

struct tconn {
    struct addr c, s;
    uint16_t cport, sport;
    uint32_t cseq, sseq; /* next sequence number of each side */
};

static void tc_init(struct sample *S, struct tconn *t, struct addr c, uint32_t cport, struct addr s,
                    uint32_t sport)
{
    t->c = c;
    t->s = s;
    t->cport = (uint16_t)cport;
    t->sport = (uint16_t)sport;
    t->cseq = (uint32_t)rng_next(&S->rng);
    t->sseq = (uint32_t)rng_next(&S->rng);
}

/* one segment; the ACK field acknowledges everything the peer has sent */
static void tc_send(struct sample *S, struct tconn *t, uint64_t ts, int from_server, uint32_t flags,
                    size_t len, const uint8_t *pay)
{
    struct pkt p;
    uint32_t adv;

    memset(&p, 0, sizeof(p));
    p.proto = IPPROTO_TCP_;
    p.src = from_server ? t->s : t->c;
    p.dst = from_server ? t->c : t->s;
    p.sport = from_server ? t->sport : t->cport;
    p.dport = from_server ? t->cport : t->sport;
    p.flags = (uint8_t)flags;
    p.seq = from_server ? t->sseq : t->cseq;
    p.ack = (flags & F_ACK) ? (from_server ? t->cseq : t->sseq) : 0;
    p.win = from_server ? 65160 : 64240;
    p.paylen = len;
    p.pay = len ? (pay ? pay : s_random_payload(S, len)) : NULL;
    s_pkt(S, ts, &p);
    adv = (uint32_t)len + ((flags & F_SYN) ? 1u : 0u) + ((flags & F_FIN) ? 1u : 0u);
    if (from_server)
        t->sseq += adv;
    else
        t->cseq += adv;
}

static uint16_t next_eph(struct sample *s, uint16_t port)
{
    uint32_t p = port + rng_range(&s->rng, 1, 7);

    if (p > 60999)
        p = 32768 + (p - 61000);
    return (uint16_t)p;
}

static uint64_t small_gap(struct sample *s)
{
    return USEC(rng_range(&s->rng, 40, 400));
}

/* HTTPS beacon: one short connection per beat */
static void s_beacon_tcp(struct sample *S, uint64_t t, uint16_t cport)
{
    struct tconn c;
    uint64_t rtt = MSEC(rng_range(&S->rng, 30, 45));
    size_t len;

    tc_init(S, &c, a4(10, 0, 0, 23), cport, a4(203, 0, 113, 10), 443);
    tc_send(S, &c, t, 0, F_SYN, 0, NULL);
    tc_send(S, &c, t += rtt, 1, F_SYN | F_ACK, 0, NULL);
    tc_send(S, &c, t += small_gap(S), 0, F_ACK, 0, NULL);
    len = rng_range(&S->rng, 180, 220);
    tc_send(S, &c, t += small_gap(S), 0, F_PSH | F_ACK, len, NULL);
    len = rng_range(&S->rng, 300, 400);
    tc_send(S, &c, t += rtt + MSEC(rng_range(&S->rng, 2, 20)), 1, F_PSH | F_ACK, len, NULL);
    tc_send(S, &c, t += small_gap(S), 0, F_FIN | F_ACK, 0, NULL);
    tc_send(S, &c, t += rtt, 1, F_FIN | F_ACK, 0, NULL);
    tc_send(S, &c, t += small_gap(S), 0, F_ACK, 0, NULL);
}

/* a browsing connection of n packets (5..40) */
static void s_browse_conn(struct sample *S, uint64_t t, struct addr cli, uint16_t cport,
                          struct addr srv, uint32_t sport, uint32_t n)
{
    struct tconn c;
    uint64_t rtt = MSEC(rng_range(&S->rng, 8, 90));
    uint32_t data = n >= 6 ? n - 6 : 0, i;

    tc_init(S, &c, cli, cport, srv, sport);
    tc_send(S, &c, t, 0, F_SYN, 0, NULL);
    tc_send(S, &c, t += rtt, 1, F_SYN | F_ACK, 0, NULL);
    tc_send(S, &c, t += small_gap(S), 0, F_ACK, 0, NULL);
    for (i = 0; i < data; i++) {
        if (i == 0) {
            size_t len = rng_range(&S->rng, 200, 900);

            tc_send(S, &c, t += small_gap(S), 0, F_PSH | F_ACK, len, NULL);
        } else if (i % 3 == 0) {
            tc_send(S, &c, t += small_gap(S), 0, F_ACK, 0, NULL);
        } else {
            size_t len = i + 1 == data ? rng_range(&S->rng, 100, 1460) : 1460;

            t += i == 1 ? rtt + MSEC(rng_range(&S->rng, 1, 60))
                        : USEC(rng_range(&S->rng, 100, 3000));
            tc_send(S, &c, t, 1, (i + 1 == data ? F_PSH : 0) | F_ACK, len, NULL);
        }
    }
    tc_send(S, &c, t += MSEC(rng_range(&S->rng, 5, 15000)), 0, F_FIN | F_ACK, 0, NULL);
    tc_send(S, &c, t += rtt, 1, F_FIN | F_ACK, 0, NULL);
    if (n >= 6)
        tc_send(S, &c, t += small_gap(S), 0, F_ACK, 0, NULL);
}

static void s_udp(struct sample *S, uint64_t t, struct addr src, uint32_t sport, struct addr dst,
                  uint32_t dport, const uint8_t *pay, size_t len)
{
    struct pkt p;

    memset(&p, 0, sizeof(p));
    p.proto = IPPROTO_UDP_;
    p.src = src;
    p.dst = dst;
    p.sport = (uint16_t)sport;
    p.dport = (uint16_t)dport;
    p.pay = pay;
    p.paylen = len;
    s_pkt(S, t, &p);
}

static const char *const dns_names[] = {
    "www.example.com",       "api.example.com",    "cdn.example.net",     "mail.example.org",
    "login.example.com",     "static.example.net", "updates.example.org", "news.example.com",
    "img.example.net",       "chat.example.org",   "docs.example.com",    "video.example.net",
    "telemetry.example.org", "shop.example.com",   "files.example.net",   "calendar.example.org",
};
#define N_DNS_NAMES (sizeof(dns_names) / sizeof(dns_names[0]))

static void s_dns(struct sample *S, uint64_t t, struct addr cli, struct addr res,
                  const struct addr *answer)
{
    uint8_t q[512];
    uint32_t id = rng_below(&S->rng, 65536);
    uint32_t port = rng_range(&S->rng, 32768, 60999);
    const char *name = dns_names[rng_below(&S->rng, N_DNS_NAMES)];
    uint32_t qtype = cli.v6 ? 28 : 1;
    size_t n;

    n = dns_msg(q, id, 0, name, qtype, NULL, 0);
    s_udp(S, t, cli, port, res, 53, q, n);
    n = dns_msg(q, id, 1, name, qtype, answer->b, answer->v6 ? 16 : 4);
    s_udp(S, t + USEC(rng_range(&S->rng, 900, 30000)), res, 53, cli, port, q, n);
}

/* 48-byte NTPv4 packet; mode 3 client or 4 server */
static void ntp_msg(uint8_t *o, int server, uint64_t ts_ns)
{
    uint64_t sec = ts_ns / NS_PER_SEC + 2208988800ull;
    uint64_t frac = ((ts_ns % NS_PER_SEC) << 32) / NS_PER_SEC;

    memset(o, 0, 48);
    o[0] = server ? 0x24 : 0x23;
    o[1] = server ? 2 : 0;
    o[2] = 6;
    o[3] = 0xe9;
    if (server) {
        wr32be(o + 12, 0xc0000201u); /* reference id */
        wr32be(o + 16, (uint32_t)(sec - 30));
        wr32be(o + 32, (uint32_t)sec);
        wr32be(o + 36, (uint32_t)frac);
    }
    wr32be(o + 40, (uint32_t)sec);
    wr32be(o + 44, (uint32_t)frac);
}

static void s_icmp(struct sample *S, uint64_t t, struct addr src, struct addr dst, uint32_t type,
                   uint32_t id, uint32_t seq)
{
    struct pkt p;
    uint8_t pay[56];
    uint64_t sec = t / NS_PER_SEC, usec = (t % NS_PER_SEC) / NS_PER_US;
    size_t i;

    /* like Linux ping: struct timeval, then 0x10, 0x11, ... */
    memset(pay, 0, sizeof(pay));
    wr32le(pay, (uint32_t)sec);
    wr32le(pay + 8, (uint32_t)usec);
    for (i = 16; i < sizeof(pay); i++)
        pay[i] = (uint8_t)i;
    memset(&p, 0, sizeof(p));
    p.proto = IPPROTO_ICMP_;
    p.src = src;
    p.dst = dst;
    p.icmp_type = (uint8_t)type;
    p.icmp_id = (uint16_t)id;
    p.icmp_seq = (uint16_t)seq;
    p.pay = pay;
    p.paylen = sizeof(pay);
    s_pkt(S, t, &p);
}

static int sev_cmp(const void *a, const void *b)
{
    const struct sev *x = a, *y = b;

    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void cmd_sample(const char *path, uint64_t seed)
{
    struct sample *S = xrealloc(NULL, sizeof(*S));
    const uint64_t t0 = SEC(EPOCH_START), t_end = t0 + SEC(3600);
    struct addr servers[40];
    struct pcapw w;
    uint64_t t;
    uint16_t port;
    size_t i, nserv = 0;
    uint32_t k;

    memset(S, 0, sizeof(*S));
    S->rng.s = seed;

    /* browsing servers: 40 distinct addresses in 198.18.0.0/15 */
    while (nserv < 40) {
        uint32_t host = rng_below(&S->rng, 1u << 17);
        struct addr a = a4u((198u << 24 | 18u << 16) + host);

        if (a.b[3] == 0 || a.b[3] == 255)
            continue;
        for (i = 0; i < nserv; i++)
            if (memcmp(servers[i].b, a.b, 4) == 0)
                break;
        if (i == nserv)
            servers[nserv++] = a;
    }

    /* HTTPS beacon, 60 s with jitter in [-10%, 0] */
    port = (uint16_t)rng_range(&S->rng, 40000, 50000);
    for (t = t0 + SEC(7); t < t_end - SEC(10); t += USEC(60000000u - rng_below(&S->rng, 6000001))) {
        s_beacon_tcp(S, t, port);
        port = next_eph(S, port);
    }

    /* UDP beacon, 300 s +-5% */
    for (t = t0 + SEC(41); t < t_end - SEC(10);
         t += USEC(rng_range(&S->rng, 285000000u, 315000000u))) {
        uint32_t sp = rng_range(&S->rng, 32768, 60999);
        size_t len = rng_range(&S->rng, 120, 160);
        uint64_t tr;

        s_udp(S, t, a4(10, 0, 0, 31), sp, a4(198, 51, 100, 77), 8443, s_random_payload(S, len),
              len);
        len = rng_range(&S->rng, 200, 300);
        tr = t + MSEC(rng_range(&S->rng, 40, 70));
        s_udp(S, tr, a4(198, 51, 100, 77), 8443, a4(10, 0, 0, 31), sp, s_random_payload(S, len),
              len);
    }

    /* NTP every 64 s exactly */
    for (t = t0 + SEC(3); t < t_end; t += SEC(64)) {
        uint64_t tr = t + USEC(rng_range(&S->rng, 18000, 26000));
        uint8_t m[48];

        ntp_msg(m, 0, t);
        s_udp(S, t, a4(10, 0, 0, 1), 123, a4(192, 0, 2, 123), 123, m, sizeof(m));
        ntp_msg(m, 1, tr);
        s_udp(S, tr, a4(192, 0, 2, 123), 123, a4(10, 0, 0, 1), 123, m, sizeof(m));
    }

    /* DNS: ~2000 queries at uniformly random times (a Poisson process
     * conditioned on its count) from random clients */
    for (k = 0; k < 2000; k++) {
        struct addr cli = a4(10, 0, 0, rng_range(&S->rng, 5, 40));

        t = t0 + USEC(rng_below(&S->rng, 3599000000u));
        s_dns(S, t, cli, a4(10, 0, 0, 1), &servers[rng_below(&S->rng, 40)]);
    }

    /* browsing bursts */
    for (k = 0; k < 300; k++) {
        struct addr cli = a4(10, 0, 0, rng_range(&S->rng, 5, 40));
        uint32_t nconn = rng_range(&S->rng, 1, 5), c;
        uint64_t tb = t0 + USEC(rng_below(&S->rng, 3560000000u));
        uint16_t cp = (uint16_t)rng_range(&S->rng, 32768, 60000);

        for (c = 0; c < nconn; c++) {
            const struct addr *srv = &servers[rng_below(&S->rng, 40)];
            uint32_t sport = rng_below(&S->rng, 5) ? 443 : 80;
            uint64_t tc = tb + MSEC(rng_below(&S->rng, 2000));
            uint32_t npk = rng_range(&S->rng, 5, 40);

            s_browse_conn(S, tc, cli, cp, *srv, sport, npk);
            cp = next_eph(S, cp);
        }
    }

    /* bulk download: 8000 full-size segments in ~2 minutes */
    {
        static const char get[] = "GET /images/installer-2024.03.iso HTTP/1.1\r\n"
                                  "Host: mirror.example.net\r\n"
                                  "User-Agent: pcapgen\r\n"
                                  "Accept: */*\r\n\r\n";
        static const char resp_hdr[] = "HTTP/1.1 200 OK\r\n"
                                       "Content-Type: application/octet-stream\r\n"
                                       "Content-Length: 11680000\r\n\r\n";
        struct tconn c;
        uint64_t rtt = MSEC(24);

        t = t0 + SEC(1800) + MSEC(250);
        tc_init(S, &c, a4(10, 0, 0, 12), 51514, a4(192, 0, 2, 200), 80);
        tc_send(S, &c, t, 0, F_SYN, 0, NULL);
        tc_send(S, &c, t += rtt, 1, F_SYN | F_ACK, 0, NULL);
        tc_send(S, &c, t += small_gap(S), 0, F_ACK, 0, NULL);
        tc_send(S, &c, t += small_gap(S), 0, F_PSH | F_ACK, sizeof(get) - 1, (const uint8_t *)get);
        t += rtt;
        for (k = 0; k < 8000; k++) {
            const uint8_t *pay = s_random_payload(S, 1460);

            if (k == 0)
                memcpy(S->pay, resp_hdr, sizeof(resp_hdr) - 1);
            tc_send(S, &c, t, 1, (k % 16 == 15 ? F_PSH : 0) | F_ACK, 1460, pay);
            if (k % 2 == 1)
                tc_send(S, &c, t + USEC(rng_range(&S->rng, 30, 200)), 0, F_ACK, 0, NULL);
            t += USEC(rng_range(&S->rng, 13000, 17000));
        }
        tc_send(S, &c, t, 1, F_FIN | F_ACK, 0, NULL);
        tc_send(S, &c, t += small_gap(S), 0, F_FIN | F_ACK, 0, NULL);
        tc_send(S, &c, t += rtt, 1, F_ACK, 0, NULL);
    }

    /* ping every 10 s for 10 minutes */
    for (k = 0; k < 60; k++) {
        t = t0 + SEC(600) + SEC(10) * k + USEC(rng_below(&S->rng, 1000));
        s_icmp(S, t, a4(10, 0, 0, 5), a4(10, 0, 0, 1), 8, 0x1d2c, k + 1);
        s_icmp(S, t + USEC(rng_range(&S->rng, 250, 900)), a4(10, 0, 0, 1), a4(10, 0, 0, 5), 0,
               0x1d2c, k + 1);
    }

    /* one IPv6 pair: 50 DNS queries */
    for (k = 0; k < 50; k++) {
        struct addr ans = a6("2001:db8:2::1");

        ans.b[15] = (uint8_t)rng_range(&S->rng, 1, 200);
        t = t0 + USEC(rng_below(&S->rng, 3599000000u));
        s_dns(S, t, a6("2001:db8::5"), a6("2001:db8:1::53"), &ans);
    }

    qsort(S->ev, S->nev, sizeof(*S->ev), sev_cmp);
    pcap_open(&w, path, 0, 0, 262144, LINKTYPE_ETHERNET);
    for (i = 0; i < S->nev; i++) {
        const struct sev *e = &S->ev[i];

        pcap_rec(&w, e->ts, S->arena + e->off, e->len, e->len);
    }
    out_close(&w.o);
    free(S->arena);
    free(S->ev);
    free(S);
}

/* ------------------------------------------------------------------ */
/* bench: a big capture, fast                                           */

#define BENCH_PAT 1480 /* longest payload: 1514 - 14 - 20 - 8 */
#define BENCH_BUF ((size_t)8 << 20)
#define BENCH_SPAN_US 3600000000ull
#define BENCH_MAX_PAIRS (1u << 24)

struct bpair {
    uint32_t src, dst, isn, ack;
    uint16_t sport, dport, icmp_id;
    uint8_t proto;
};

static const uint16_t bench_tcp_ports[16] = {
    443, 443, 443, 443, 443, 443, 443, 80, 80, 80, 22, 25, 993, 8080, 3389, 445,
};
static const uint16_t bench_udp_ports[8] = {53, 53, 53, 443, 443, 123, 161, 514};
static const uint8_t bench_pub8[8] = {23, 34, 52, 104, 142, 151, 157, 185};

/*
 * Pair idx is (source idx % nsrc, destination idx / nsrc), so distinct
 * indexes give distinct directed pairs; both halves go through bijections
 * (odd multipliers modulo 2^24 / 2^20) to spread the addresses.  Rounds
 * make every pair get floor(N/P) or ceil(N/P) packets.
 * Sources are in 10.0.0.0/8, destinations alternate between 172.16.0.0/12
 * and a handful of public /8s.
 */
static void bench_pair(uint64_t key, uint32_t idx, uint32_t nsrc, struct bpair *bp)
{
    uint64_t h = mix64(key + idx);
    uint32_t si = idx % nsrc, di = idx / nsrc, d2 = di >> 1;
    uint32_t pct = (uint32_t)(((h & 0xffff) * 100) >> 16);
    uint32_t salt = (uint32_t)(key >> 32);

    bp->src = 0x0a000000u | ((si * 0x9e3779u + salt) & 0xffffffu);
    if (!(di & 1))
        bp->dst = 0xac100000u | ((d2 * 0x3b9c5u + (salt >> 8)) & 0xfffffu);
    else
        bp->dst = (uint32_t)bench_pub8[d2 & 7] << 24 | ((d2 * 0x5851f5u + (salt >> 4)) & 0xffffffu);
    bp->proto = pct < 70 ? IPPROTO_TCP_ : pct < 95 ? IPPROTO_UDP_ : IPPROTO_ICMP_;
    bp->dport = bp->proto == IPPROTO_TCP_ ? bench_tcp_ports[(h >> 16) & 15]
                                          : bench_udp_ports[(h >> 20) & 7];
    bp->sport = (uint16_t)(32768 + ((((h >> 24) & 0xffff) * 28232) >> 16));
    bp->icmp_id = (uint16_t)(h >> 40);
    bp->isn = (uint32_t)(h >> 32);
    bp->ack = (uint32_t)mix64(h);
}

static uint64_t gcd64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;

        a = b;
        b = t;
    }
    return a;
}

static uint32_t isqrt_ceil(uint64_t n)
{
    uint64_t r = 1;

    while (r * r < n)
        r++;
    return (uint32_t)r;
}

static void bench_flush(struct outf *o, uint8_t *buf, size_t *n)
{
    out_write(o, buf, *n);
    *n = 0;
}

static void cmd_bench(const char *path, uint64_t npkts, uint64_t npairs, uint64_t snap,
                      uint64_t seed)
{
    struct outf o;
    struct rng rng;
    uint8_t pat[BENCH_PAT];
    uint32_t psum[BENCH_PAT + 1];
    uint32_t *ctr;
    uint8_t *buf;
    size_t bn = 0;
    uint32_t P = (uint32_t)npairs, nsrc = isqrt_ceil(npairs);
    uint32_t a = 0, cur = 0, left = 0;
    uint64_t key, i, now, acc = 0;
    uint64_t step = BENCH_SPAN_US / npkts, rem = BENCH_SPAN_US % npkts;
    static const uint8_t dmac[6] = {0x00, 0x00, 0x5e, 0x00, 0x53, 0x01};

    rng.s = seed;
    key = rng_next(&rng);
    for (i = 0; i < BENCH_PAT; i++)
        pat[i] = (uint8_t)rng_next(&rng);
    psum[0] = 0;
    for (i = 1; i <= BENCH_PAT; i++)
        psum[i] = psum[i - 1] + (((i - 1) & 1) ? pat[i - 1] : (uint32_t)pat[i - 1] << 8);
    ctr = calloc(P, sizeof(*ctr));
    buf = malloc(BENCH_BUF);
    if (!ctr || !buf)
        die("out of memory");

    if (strcmp(path, "-") == 0 && isatty(STDOUT_FILENO))
        die("refusing to write a capture to a terminal");
    out_open(&o, path);
    setvbuf(o.f, NULL, _IONBF, 0);

    /* global header: little-endian, microseconds, Ethernet */
    wr32le(buf, 0xa1b2c3d4u);
    wr16le(buf + 4, 2);
    wr16le(buf + 6, 4);
    wr32le(buf + 8, 0);
    wr32le(buf + 12, 0);
    wr32le(buf + 16, (uint32_t)snap);
    wr32le(buf + 20, LINKTYPE_ETHERNET);
    bn = 24;

    now = EPOCH_START * 1000000ull;
    for (i = 0; i < npkts; i++) {
        struct bpair bp;
        uint64_t r = rng_next(&rng), ts;
        uint32_t idx, wire, caplen, totlen, hl, paylen, copy, sec, usec, tl;
        uint32_t asum;
        uint64_t sum;
        uint8_t *rec, *f, *ip, *l4;

        /* every round visits each pair once, in a random affine order */
        if (left == 0) {
            left = npkts - i < P ? (uint32_t)(npkts - i) : P;
            a = 0;
            if (P > 1)
                do
                    a = 1 + rng_below(&rng, P - 1);
                while (gcd64(a, P) != 1);
            cur = rng_below(&rng, P);
        }
        idx = cur;
        cur += a;
        if (cur >= P)
            cur -= P;
        left--;
        bench_pair(key, idx, nsrc, &bp);

        /* time: i * span / N spread with Bresenham, plus jitter < step,
         * which keeps timestamps strictly increasing while step >= 1 */
        ts = now + (step > 1 ? (((r >> 32) * step) >> 32) : 0);
        now += step;
        acc += rem;
        if (acc >= npkts) {
            acc -= npkts;
            now++;
        }
        sec = (uint32_t)(ts / 1000000u);
        usec = (uint32_t)(ts - (uint64_t)sec * 1000000u);

        wire = 60 + (uint32_t)(((r & 0xffffffffu) * 1455) >> 32);
        caplen = wire < snap ? wire : (uint32_t)snap;
        if (BENCH_BUF - bn < 16 + 1514)
            bench_flush(&o, buf, &bn);
        rec = buf + bn;
        wr32le(rec, sec);
        wr32le(rec + 4, usec);
        wr32le(rec + 8, caplen);
        wr32le(rec + 12, wire);
        f = rec + 16;
        bn += 16 + caplen;

        memcpy(f, dmac, 6);
        f[6] = 0x02;
        f[7] = 0x00;
        wr32be(f + 8, bp.src);
        wr16be(f + 12, 0x0800);

        ip = f + 14;
        totlen = wire - 14;
        asum = (bp.src >> 16) + (bp.src & 0xffff) + (bp.dst >> 16) + (bp.dst & 0xffff);
        ip[0] = 0x45;
        ip[1] = 0;
        wr16be(ip + 2, totlen);
        wr16be(ip + 4, (uint32_t)i & 0xffff);
        wr16be(ip + 6, bp.proto == IPPROTO_TCP_ ? 0x4000 : 0);
        ip[8] = 64;
        ip[9] = bp.proto;
        wr32be(ip + 12, bp.src);
        wr32be(ip + 16, bp.dst);
        sum = 0x4500u + totlen + ((uint32_t)i & 0xffff) + (bp.proto == IPPROTO_TCP_ ? 0x4000u : 0) +
              (64u << 8 | bp.proto) + asum;
        wr16be(ip + 10, csum_fold(sum));

        l4 = ip + 20;
        tl = totlen - 20;
        if (bp.proto == IPPROTO_TCP_) {
            uint32_t seq = bp.isn + ctr[idx];

            hl = 20;
            paylen = tl - hl;
            ctr[idx] += paylen;
            wr16be(l4, bp.sport);
            wr16be(l4 + 2, bp.dport);
            wr32be(l4 + 4, seq);
            wr32be(l4 + 8, bp.ack);
            l4[12] = 0x50;
            l4[13] = F_PSH | F_ACK;
            wr16be(l4 + 14, 502);
            wr16be(l4 + 18, 0);
            sum = asum + IPPROTO_TCP_ + tl + bp.sport + bp.dport + (seq >> 16) + (seq & 0xffff) +
                  (bp.ack >> 16) + (bp.ack & 0xffff) + 0x5018u + 502 + psum[paylen];
            wr16be(l4 + 16, csum_fold(sum));
        } else if (bp.proto == IPPROTO_UDP_) {
            uint16_t c;

            hl = 8;
            paylen = tl - hl;
            wr16be(l4, bp.sport);
            wr16be(l4 + 2, bp.dport);
            wr16be(l4 + 4, tl);
            sum = asum + IPPROTO_UDP_ + 2 * tl + bp.sport + bp.dport + psum[paylen];
            c = csum_fold(sum);
            wr16be(l4 + 6, c ? c : 0xffff);
        } else {
            uint32_t seq = ++ctr[idx] & 0xffff;

            hl = 8;
            paylen = tl - hl;
            l4[0] = 8;
            l4[1] = 0;
            wr16be(l4 + 4, bp.icmp_id);
            wr16be(l4 + 6, seq);
            sum = 0x0800u + bp.icmp_id + seq + psum[paylen];
            wr16be(l4 + 2, csum_fold(sum));
        }
        copy = caplen - (14 + 20 + hl);
        if (copy > paylen)
            copy = paylen;
        memcpy(l4 + hl, pat, copy);
    }
    bench_flush(&o, buf, &bn);
    out_close(&o);
    free(buf);
    free(ctr);
}

/* ------------------------------------------------------------------ */
/* cases: expectations                                                  */

#define MIXED (-2) /* several protocols / ports: written as '-' */
#define NONE (-1)  /* no packet had a port: written as '-' */

/* what a packet contributes to its pair; dport NONE when the packet has
 * no transport header (ICMP, non-first fragments) */
struct info {
    struct addr src, dst;
    int proto, dport;
};

struct exprow {
    char file[48], src[48], dst[48];
    int proto, dport;
    uint64_t packets, bytes, first, last;
};

struct casedef {
    char file[48];
    int exit;
    char notes[640];
};

static struct exprow *rows;
static size_t nrows, caprows;
static struct casedef cases[64];
static size_t ncases;
static const char *case_dir;
static uint64_t case_t; /* base time of the current case, ns */

static struct info pkt_info(const struct pkt *p)
{
    struct info in;

    in.src = p->src;
    in.dst = p->dst;
    in.proto = p->proto;
    in.dport = (p->proto == IPPROTO_TCP_ || p->proto == IPPROTO_UDP_) ? p->dport : NONE;
    return in;
}

static void expect_add(const char *file, const struct info *in, uint64_t wire, uint64_t ts)
{
    char s[48], d[48];
    struct exprow *r;
    size_t i;

    addr_str(&in->src, s, sizeof(s));
    addr_str(&in->dst, d, sizeof(d));
    for (i = 0; i < nrows; i++) {
        r = &rows[i];
        if (!strcmp(r->file, file) && !strcmp(r->src, s) && !strcmp(r->dst, d))
            break;
    }
    if (i == nrows) {
        if (nrows == caprows) {
            caprows = caprows ? caprows * 2 : 64;
            rows = xrealloc(rows, caprows * sizeof(*rows));
        }
        r = &rows[nrows++];
        memset(r, 0, sizeof(*r));
        snprintf(r->file, sizeof(r->file), "%s", file);
        snprintf(r->src, sizeof(r->src), "%s", s);
        snprintf(r->dst, sizeof(r->dst), "%s", d);
        r->proto = in->proto;
        r->dport = NONE;
        r->first = r->last = ts;
    }
    r = &rows[i];
    if (r->proto != in->proto)
        r->proto = MIXED;
    if (in->dport != NONE) {
        if (r->dport == NONE)
            r->dport = in->dport;
        else if (r->dport != in->dport)
            r->dport = MIXED;
    }
    r->packets++;
    r->bytes += wire;
    if (ts < r->first)
        r->first = ts;
    if (ts > r->last)
        r->last = ts;
}

static void case_begin(const char *file, int exit_code, const char *notes)
{
    struct casedef *c;

    if (ncases == sizeof(cases) / sizeof(cases[0]))
        die("internal error: too many cases");
    c = &cases[ncases++];
    snprintf(c->file, sizeof(c->file), "%s", file);
    c->exit = exit_code;
    snprintf(c->notes, sizeof(c->notes), "%s", notes);
    case_t = SEC(EPOCH_START) + SEC(600) * ncases;
}

static void case_notes(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void case_notes(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cases[ncases - 1].notes, sizeof(cases[0].notes), fmt, ap);
    va_end(ap);
}

static void case_path(char *buf, size_t len, const char *file)
{
    int n = snprintf(buf, len, "%s/%s", case_dir, file);

    if (n < 0 || (size_t)n >= len)
        die("path too long: '%s/%s'", case_dir, file);
}

/* classic pcap case file */
struct capw {
    struct pcapw pw;
    char file[48];
    const char *also; /* a second expectation name (merged sets) */
};

static void cw_open(struct capw *w, const char *file, int be, int nsec, uint32_t linktype)
{
    char path[1024];

    case_path(path, sizeof(path), file);
    snprintf(w->file, sizeof(w->file), "%s", file);
    w->also = NULL;
    pcap_open(&w->pw, path, be, nsec, 262144, linktype);
}

/* one record; in != NULL when a correct decoder counts the packet */
static void cw_pkt(struct capw *w, uint64_t ts, const uint8_t *f, size_t caplen, size_t wire,
                   const struct info *in)
{
    uint64_t stored = pcap_rec(&w->pw, ts, f, caplen, wire);

    if (in) {
        expect_add(w->file, in, wire, stored);
        if (w->also)
            expect_add(w->also, in, wire, stored);
    }
}

static void cw_close(struct capw *w)
{
    out_close(&w->pw.o);
}

/* ------------------------------------------------------------------ */
/* cases: link layers                                                   */

enum link {
    L_ETH,
    L_VLAN,
    L_QINQ,
    L_MPLS,
    L_VLAN_MPLS,
    L_PPPOE,
    L_LLCSNAP,
    L_SLL,
    L_SLL2,
    L_RAW,
    L_NULL_LE,
    L_NULL_BE,
    L_LOOP,
    L_PPP,
    L_PPP_PFC,
    L_PPP_NOAC,
    L_CHDLC,
};

static const uint8_t mac_a[6] = {0x00, 0x00, 0x5e, 0x00, 0x53, 0x0a};
static const uint8_t mac_b[6] = {0x00, 0x00, 0x5e, 0x00, 0x53, 0x0b};
static const uint8_t mac_bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static uint32_t mpls_entry(uint32_t label, int bos)
{
    return label << 12 | (bos ? 0x100u : 0) | 64;
}

static uint32_t ppp_proto(uint32_t ethertype)
{
    return ethertype == 0x86dd ? 0x0057 : ethertype == 0x0800 ? 0x0021 : ethertype;
}

/* wrap a layer-3 payload of the given ethertype in a link-layer header;
 * fam6 is the address family value used for IPv6 by DLT_NULL / DLT_LOOP */
static size_t frame_wrap(uint8_t *f, int link, uint32_t ethertype, const uint8_t *l3, size_t len,
                         uint32_t fam6, int outgoing)
{
    const uint8_t *sm = outgoing ? mac_a : mac_b, *dm = outgoing ? mac_b : mac_a;
    uint32_t fam = ethertype == 0x86dd ? fam6 : 2;
    size_t n = 0;
    int eth = 1;

    switch (link) {
    case L_ETH: n = eth_hdr(f, dm, sm, ethertype); break;
    case L_VLAN:
        n = eth_hdr(f, dm, sm, 0x8100);
        wr16be(f + n, 100);
        wr16be(f + n + 2, ethertype);
        n += 4;
        break;
    case L_QINQ:
        n = eth_hdr(f, dm, sm, 0x88a8);
        wr16be(f + n, 200);
        wr16be(f + n + 2, 0x8100);
        wr16be(f + n + 4, 100);
        wr16be(f + n + 6, ethertype);
        n += 8;
        break;
    case L_MPLS:
        n = eth_hdr(f, dm, sm, 0x8847);
        wr32be(f + n, mpls_entry(1000, 0));
        wr32be(f + n + 4, mpls_entry(2000, 1));
        n += 8;
        break;
    case L_VLAN_MPLS:
        n = eth_hdr(f, dm, sm, 0x8100);
        wr16be(f + n, 300);
        wr16be(f + n + 2, 0x8847);
        wr32be(f + n + 4, mpls_entry(3000, 1));
        n += 8;
        break;
    case L_PPPOE:
        n = eth_hdr(f, dm, sm, 0x8864);
        f[n] = 0x11;
        f[n + 1] = 0x00;
        wr16be(f + n + 2, 0x2a3b);
        wr16be(f + n + 4, (uint32_t)len + 2);
        wr16be(f + n + 6, ppp_proto(ethertype));
        n += 8;
        break;
    case L_LLCSNAP:
        n = eth_hdr(f, dm, sm, (uint32_t)len + 8);
        f[n] = 0xaa;
        f[n + 1] = 0xaa;
        f[n + 2] = 0x03;
        f[n + 3] = f[n + 4] = f[n + 5] = 0;
        wr16be(f + n + 6, ethertype);
        n += 8;
        break;
    default: eth = 0; break;
    }
    switch (link) {
    case L_SLL:
        wr16be(f, outgoing ? 4 : 0); /* packet type */
        wr16be(f + 2, 1);            /* ARPHRD_ETHER */
        wr16be(f + 4, 6);
        memcpy(f + 6, sm, 6);
        f[12] = f[13] = 0;
        wr16be(f + 14, ethertype);
        n = 16;
        break;
    case L_SLL2:
        wr16be(f, ethertype);
        wr16be(f + 2, 0);
        wr32be(f + 4, 2); /* interface index */
        wr16be(f + 8, 1); /* ARPHRD_ETHER */
        f[10] = outgoing ? 4 : 0;
        f[11] = 6;
        memcpy(f + 12, sm, 6);
        f[18] = f[19] = 0;
        n = 20;
        break;
    case L_RAW: n = 0; break;
    case L_NULL_LE:
        wr32le(f, fam);
        n = 4;
        break;
    case L_NULL_BE:
    case L_LOOP:
        wr32be(f, fam);
        n = 4;
        break;
    case L_PPP:
        f[0] = 0xff;
        f[1] = 0x03;
        wr16be(f + 2, ppp_proto(ethertype));
        n = 4;
        break;
    case L_PPP_PFC:
        f[0] = (uint8_t)ppp_proto(ethertype);
        n = 1;
        break;
    case L_PPP_NOAC:
        wr16be(f, ppp_proto(ethertype));
        n = 2;
        break;
    case L_CHDLC:
        f[0] = ethertype == 0x8035 ? 0x8f : 0x0f;
        f[1] = 0;
        wr16be(f + 2, ethertype);
        n = 4;
        break;
    default: break;
    }
    memcpy(f + n, l3, len);
    n += len;
    return eth ? pad60(f, n) : n;
}

/* the standard packets most cases are made of */
enum {
    P_SYN,
    P_SYNACK,
    P_ACK,
    P_DATA,
    P_FIN,
    P_DNS4,
    P_ICMP4,
    P_DNS6,
    P_SYN6,
    P_SYNACK6,
    P_NSTD,
};

static const int set_all[] = {P_SYN,  P_SYNACK, P_ACK,     P_DNS4, P_ICMP4,
                              P_DNS6, P_SYN6,   P_SYNACK6, -1};
static const int set_v4[] = {P_SYN, P_SYNACK, P_ACK, P_DNS4, P_ICMP4, -1};
static const int set_v6[] = {P_DNS6, P_SYN6, P_SYNACK6, -1};

#define C4 a4(192, 0, 2, 10)
#define S4 a4(198, 51, 100, 20)
#define R4 a4(198, 51, 100, 53)
#define E4 a4(203, 0, 113, 30)
#define C6 a6("2001:db8::10")
#define R6 a6("2001:db8::53")
#define S6 a6("2001:db8:1::80")

static uint8_t std_pay[P_NSTD][128];

static void mk_tcp(struct pkt *p, struct addr s, uint32_t sp, struct addr d, uint32_t dp,
                   uint32_t flags, uint32_t seq, uint32_t ack, size_t paylen)
{
    memset(p, 0, sizeof(*p));
    p->proto = IPPROTO_TCP_;
    p->src = s;
    p->dst = d;
    p->sport = (uint16_t)sp;
    p->dport = (uint16_t)dp;
    p->flags = (uint8_t)flags;
    p->seq = seq;
    p->ack = ack;
    p->paylen = paylen;
    p->ip_id = (uint16_t)(0x1000 + seq % 0x1000);
}

static void mk_udp(struct pkt *p, struct addr s, uint32_t sp, struct addr d, uint32_t dp,
                   const uint8_t *pay, size_t paylen)
{
    memset(p, 0, sizeof(*p));
    p->proto = IPPROTO_UDP_;
    p->src = s;
    p->dst = d;
    p->sport = (uint16_t)sp;
    p->dport = (uint16_t)dp;
    p->pay = pay;
    p->paylen = paylen;
    p->ip_id = 0x2345;
}

static void std_pkt(struct pkt *p, int which)
{
    size_t n;

    switch (which) {
    case P_SYN: mk_tcp(p, C4, 40001, S4, 443, F_SYN, 1000, 0, 0); break;
    case P_SYNACK: mk_tcp(p, S4, 443, C4, 40001, F_SYN | F_ACK, 5000, 1001, 0); break;
    case P_ACK: mk_tcp(p, C4, 40001, S4, 443, F_ACK, 1001, 5001, 0); break;
    case P_DATA: mk_tcp(p, C4, 40001, S4, 443, F_PSH | F_ACK, 1001, 5001, 100); break;
    case P_FIN: mk_tcp(p, C4, 40001, S4, 443, F_FIN | F_ACK, 1101, 5001, 0); break;
    case P_DNS4:
        n = dns_msg(std_pay[which], 0x1111, 0, "www.example.com", 1, NULL, 0);
        mk_udp(p, C4, 53001, R4, 53, std_pay[which], n);
        break;
    case P_ICMP4:
        memset(p, 0, sizeof(*p));
        p->proto = IPPROTO_ICMP_;
        p->src = C4;
        p->dst = E4;
        p->icmp_type = 8;
        p->icmp_id = 0x0101;
        p->icmp_seq = 1;
        p->paylen = 32;
        p->ip_id = 0x3456;
        break;
    case P_DNS6:
        n = dns_msg(std_pay[which], 0x2222, 0, "www.example.com", 28, NULL, 0);
        mk_udp(p, C6, 53002, R6, 53, std_pay[which], n);
        break;
    case P_SYN6: mk_tcp(p, C6, 40002, S6, 80, F_SYN, 7000, 0, 0); break;
    case P_SYNACK6: mk_tcp(p, S6, 80, C6, 40002, F_SYN | F_ACK, 9000, 7001, 0); break;
    default: die("internal error: packet %d", which);
    }
}

static int is_outgoing(const struct pkt *p)
{
    const struct addr c4 = C4, c6 = C6;

    return p->src.v6 ? !memcmp(p->src.b, c6.b, 16) : !memcmp(p->src.b, c4.b, 4);
}

static size_t pkt_frame(uint8_t *f, int link, const struct pkt *p, uint32_t fam6)
{
    uint8_t ip[FRAME_MAX];
    size_t n = build_ip(ip, p);

    return frame_wrap(f, link, p->src.v6 ? 0x86dd : 0x0800, ip, n, fam6, is_outgoing(p));
}

/* write a packet described by p, counted for its pair */
static void emit_pkt(struct capw *w, int link, const struct pkt *p, uint64_t ts, uint32_t fam6)
{
    uint8_t f[FRAME_MAX];
    size_t n = pkt_frame(f, link, p, fam6);
    struct info in = pkt_info(p);

    cw_pkt(w, ts, f, n, n, &in);
}

static void emit_std(struct capw *w, int link, int which, uint64_t ts, uint32_t fam6)
{
    struct pkt p;

    std_pkt(&p, which);
    emit_pkt(w, link, &p, ts, fam6);
}

/* timestamp of the i-th packet of a simple case: 100 ms apart, plus a few
 * microseconds (and nanoseconds when nsec) so every field matters */
static uint64_t case_ts(int i, int nsec)
{
    return case_t + MSEC(100) * (uint64_t)(i + 1) + USEC(17 * i + 3) +
           (nsec ? (uint64_t)(123 * i + 45) : 0);
}

/* non-IP payloads */
static size_t arp_body(uint8_t *o, int reply)
{
    const struct addr gw = a4(192, 0, 2, 1), cl = C4;

    wr16be(o, 1);
    wr16be(o + 2, 0x0800);
    o[4] = 6;
    o[5] = 4;
    wr16be(o + 6, reply ? 2 : 1);
    memcpy(o + 8, reply ? mac_b : mac_a, 6);
    memcpy(o + 14, reply ? gw.b : cl.b, 4);
    if (reply)
        memcpy(o + 18, mac_a, 6);
    else
        memset(o + 18, 0, 6);
    memcpy(o + 24, reply ? cl.b : gw.b, 4);
    return 28;
}

static void emit_raw(struct capw *w, const uint8_t *f, size_t n, uint64_t ts)
{
    cw_pkt(w, ts, f, n, n, NULL);
}

enum extra { X_NONE, X_ARP, X_PADI, X_STP, X_SLARP };

static void emit_extra(struct capw *w, int link, int extra, uint64_t ts)
{
    uint8_t f[FRAME_MAX], b[128];
    size_t n;

    switch (extra) {
    case X_ARP:
        n = arp_body(b, 0);
        if (link == L_ETH) {
            n = eth_hdr(f, mac_bcast, mac_a, 0x0806);
            n += arp_body(f + n, 0);
            n = pad60(f, n);
        } else {
            n = frame_wrap(f, link, 0x0806, b, n, 0, 1);
        }
        break;
    case X_PADI:
        n = eth_hdr(f, mac_bcast, mac_a, 0x8863);
        f[n] = 0x11;
        f[n + 1] = 0x09; /* PADI */
        wr16be(f + n + 2, 0);
        wr16be(f + n + 4, 12);
        wr16be(f + n + 6, 0x0101); /* Service-Name, empty */
        wr16be(f + n + 8, 0);
        wr16be(f + n + 10, 0x0103); /* Host-Uniq */
        wr16be(f + n + 12, 4);
        wr32be(f + n + 14, 0x00c0ffee);
        n = pad60(f, n + 18);
        break;
    case X_STP: {
        static const uint8_t stp_mac[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x00};

        n = eth_hdr(f, stp_mac, mac_b, 38); /* 802.3 length */
        f[n] = 0x42;
        f[n + 1] = 0x42;
        f[n + 2] = 0x03;
        memset(f + n + 3, 0, 35);  /* configuration BPDU */
        wr16be(f + n + 8, 0x8000); /* root id */
        memcpy(f + n + 10, mac_b, 6);
        wr16be(f + n + 20, 0x8000); /* bridge id */
        memcpy(f + n + 22, mac_b, 6);
        wr16be(f + n + 28, 0x8001);  /* port id */
        wr16be(f + n + 32, 20 << 8); /* max age */
        wr16be(f + n + 34, 2 << 8);  /* hello */
        wr16be(f + n + 36, 15 << 8); /* forward delay */
        n = pad60(f, n + 38);
        break;
    }
    case X_SLARP:
        memset(b, 0, 18);
        wr32be(b, 2); /* keepalive */
        wr32be(b + 4, 17);
        wr32be(b + 8, 16);
        wr16be(b + 12, 0xffff);
        n = frame_wrap(f, L_CHDLC, 0x8035, b, 18, 0, 1);
        break;
    default: return;
    }
    emit_raw(w, f, n, ts);
}

/* a case made of the standard packets over one link type */
static void case_link(const char *file, uint32_t linktype, int link, const int *set, int be,
                      int nsec, int extra, const char *notes)
{
    static const uint32_t fam6[3] = {24, 28, 30};
    struct capw w;
    int i, k = 0;

    case_begin(file, 0, notes);
    cw_open(&w, file, be, nsec, linktype);
    for (i = 0; set[i] >= 0; i++) {
        emit_std(&w, link, set[i], case_ts(i, nsec), fam6[k]);
        if (set[i] == P_DNS6 || set[i] == P_SYN6 || set[i] == P_SYNACK6)
            k = (k + 1) % 3;
        if (i == 1 && extra != X_NONE)
            emit_extra(&w, link, extra, case_ts(i, nsec) + USEC(500));
    }
    cw_close(&w);
}

static int emit_set(struct capw *w, int link, const int *set, int nsec, int i)
{
    static const uint32_t fam6[3] = {24, 28, 30};
    int k = 0, j;

    for (j = 0; set[j] >= 0; j++, i++) {
        emit_std(w, link, set[j], case_ts(i, nsec), fam6[k]);
        if (set[j] == P_DNS6 || set[j] == P_SYN6 || set[j] == P_SYNACK6)
            k = (k + 1) % 3;
    }
    return i;
}

/* ------------------------------------------------------------------ */
/* cases: pcapng                                                        */

struct bb {
    uint8_t *p;
    size_t n, cap;
    int be;
};

static void bb_need(struct bb *b, size_t k)
{
    if (b->n + k > b->cap) {
        while (b->n + k > b->cap)
            b->cap = b->cap ? b->cap * 2 : 256;
        b->p = xrealloc(b->p, b->cap);
    }
}

static void bb_bytes(struct bb *b, const void *p, size_t n)
{
    bb_need(b, n);
    if (n)
        memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void bb_u8(struct bb *b, uint32_t v)
{
    uint8_t c = (uint8_t)v;

    bb_bytes(b, &c, 1);
}

static void bb_u16(struct bb *b, uint32_t v)
{
    bb_need(b, 2);
    wr16(b->p + b->n, v, b->be);
    b->n += 2;
}

static void bb_u32(struct bb *b, uint32_t v)
{
    bb_need(b, 4);
    wr32(b->p + b->n, v, b->be);
    b->n += 4;
}

static void bb_pad4(struct bb *b)
{
    while (b->n & 3)
        bb_u8(b, 0);
}

static void bb_opt(struct bb *b, uint32_t code, const void *v, size_t len)
{
    bb_u16(b, code);
    bb_u16(b, (uint32_t)len);
    bb_bytes(b, v, len);
    bb_pad4(b);
}

static void bb_opt_u64(struct bb *b, uint32_t code, uint64_t v)
{
    uint8_t x[8];

    if (b->be) {
        wr32be(x, (uint32_t)(v >> 32));
        wr32be(x + 4, (uint32_t)v);
    } else {
        wr32le(x, (uint32_t)v);
        wr32le(x + 4, (uint32_t)(v >> 32));
    }
    bb_opt(b, code, x, 8);
}

static void bb_opt_end(struct bb *b)
{
    bb_u32(b, 0);
}

static void bb_printf(struct bb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void bb_printf(struct bb *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        die("internal error: bad format");
    bb_need(b, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf((char *)b->p + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

struct ngw {
    struct outf o;
    char file[48];
    int be, nif;
    int tsres[8];
    uint32_t snap[8];
};

static void ng_open(struct ngw *w, const char *file)
{
    char path[1024];

    memset(w, 0, sizeof(*w));
    case_path(path, sizeof(path), file);
    snprintf(w->file, sizeof(w->file), "%s", file);
    out_open(&w->o, path);
}

/* type, total length, body (already padded), total length */
static void ng_block(struct ngw *w, uint32_t type, struct bb *body)
{
    uint8_t h[8];
    uint32_t total = (uint32_t)body->n + 12;

    if (body->n & 3)
        die("internal error: unpadded pcapng block");
    wr32(h, type, w->be);
    wr32(h + 4, total, w->be);
    out_write(&w->o, h, 8);
    out_write(&w->o, body->p, body->n);
    out_write(&w->o, h + 4, 4);
    free(body->p);
    memset(body, 0, sizeof(*body));
}

static void ng_body(struct ngw *w, struct bb *b)
{
    memset(b, 0, sizeof(*b));
    b->be = w->be;
}

static void ng_shb(struct ngw *w, int be)
{
    struct bb b;

    w->be = be;
    w->nif = 0;
    ng_body(w, &b);
    bb_u32(&b, 0x1a2b3c4d);
    bb_u16(&b, 1);
    bb_u16(&b, 0);
    bb_u32(&b, 0xffffffffu); /* section length: unknown */
    bb_u32(&b, 0xffffffffu);
    bb_opt(&b, 4, "pcapgen", 7); /* shb_userappl */
    bb_opt_end(&b);
    ng_block(w, 0x0a0d0d0a, &b);
}

/* tsres < 0: no if_tsresol option (microseconds) */
static void ng_idb(struct ngw *w, uint32_t linktype, uint32_t snaplen, int tsres, const char *name)
{
    struct bb b;

    ng_body(w, &b);
    bb_u16(&b, linktype);
    bb_u16(&b, 0);
    bb_u32(&b, snaplen);
    bb_opt(&b, 2, name, strlen(name)); /* if_name */
    if (tsres >= 0) {
        uint8_t r = (uint8_t)tsres;

        bb_opt(&b, 9, &r, 1); /* if_tsresol */
    }
    bb_opt_end(&b);
    ng_block(w, 1, &b);
    w->tsres[w->nif] = tsres < 0 ? 6 : tsres;
    w->snap[w->nif] = snaplen;
    w->nif++;
}

static uint64_t pow10u(int e)
{
    uint64_t r = 1;

    while (e-- > 0)
        r *= 10;
    return r;
}

static void ng_epb(struct ngw *w, uint32_t ifid, uint64_t ts_ns, const uint8_t *d, size_t caplen,
                   size_t wire, const char *comment, const struct info *in)
{
    uint64_t unit = pow10u(9 - w->tsres[ifid]), ticks = ts_ns / unit;
    struct bb b;

    ng_body(w, &b);
    bb_u32(&b, ifid);
    bb_u32(&b, (uint32_t)(ticks >> 32));
    bb_u32(&b, (uint32_t)ticks);
    bb_u32(&b, (uint32_t)caplen);
    bb_u32(&b, (uint32_t)wire);
    bb_bytes(&b, d, caplen);
    bb_pad4(&b);
    if (comment) {
        bb_opt(&b, 1, comment, strlen(comment)); /* opt_comment */
        bb_opt_end(&b);
    }
    ng_block(w, 6, &b);
    if (in)
        expect_add(w->file, in, wire, ticks * unit);
}

static void ng_epb_pkt(struct ngw *w, uint32_t ifid, int link, int which, uint64_t ts,
                       const char *comment)
{
    uint8_t f[FRAME_MAX];
    struct pkt p;
    struct info in;
    size_t n;

    std_pkt(&p, which);
    n = pkt_frame(f, link, &p, 0);
    in = pkt_info(&p);
    ng_epb(w, ifid, ts, f, n, n, comment, &in);
}

static void case_pcapng_multi(void)
{
    const char *file = "pcapng_multi.pcapng";
    struct ngw w;
    struct bb b;
    uint8_t f[FRAME_MAX];
    struct pkt p;
    size_t n;
    uint32_t spb_off;

    case_begin(file, 0, "");
    ng_open(&w, file);
    ng_shb(&w, 0);
    ng_idb(&w, LINKTYPE_ETHERNET, 262144, -1, "eth0");
    ng_idb(&w, LINKTYPE_RAW, 65535, 9, "tun0");
    ng_epb_pkt(&w, 0, L_ETH, P_SYN, case_ts(0, 0),
               "first packet; if0 has no if_tsresol (microseconds)");
    ng_epb_pkt(&w, 1, L_RAW, P_DNS6, case_ts(1, 1), NULL);

    ng_body(&w, &b); /* a block type nobody knows */
    bb_u32(&b, 0xdeadbeefu);
    bb_u32(&b, 0xcafef00du);
    ng_block(&w, 0x00000bad, &b);

    ng_body(&w, &b); /* Name Resolution Block */
    bb_u16(&b, 1);
    bb_u16(&b, 4 + 19);
    bb_bytes(&b, S4.b, 4);
    bb_bytes(&b, "server.example.com", 19);
    bb_pad4(&b);
    bb_u16(&b, 2);
    bb_u16(&b, 16 + 21);
    bb_bytes(&b, R6.b, 16);
    bb_bytes(&b, "resolver.example.net", 21);
    bb_pad4(&b);
    bb_u32(&b, 0); /* nrb_record_end */
    ng_block(&w, 4, &b);

    ng_epb_pkt(&w, 0, L_ETH, P_SYNACK, case_ts(2, 0), NULL);

    spb_off = (uint32_t)w.o.off; /* Simple Packet Block: no timestamp */
    std_pkt(&p, P_ICMP4);
    n = pkt_frame(f, L_ETH, &p, 0);
    ng_body(&w, &b);
    bb_u32(&b, (uint32_t)n);
    bb_bytes(&b, f, n);
    bb_pad4(&b);
    ng_block(&w, 3, &b);

    ng_epb_pkt(&w, 1, L_RAW, P_ACK, case_ts(3, 1), NULL);

    ng_body(&w, &b); /* Interface Statistics Block */
    bb_u32(&b, 0);
    bb_u32(&b, (uint32_t)((case_ts(4, 0) / 1000) >> 32));
    bb_u32(&b, (uint32_t)(case_ts(4, 0) / 1000));
    bb_opt_u64(&b, 4, 3); /* isb_ifrecv */
    bb_opt_u64(&b, 5, 0); /* isb_ifdrop */
    bb_opt_end(&b);
    ng_block(&w, 5, &b);

    ng_epb_pkt(&w, 0, L_ETH, P_DNS4, case_ts(5, 0), NULL);
    ng_epb_pkt(&w, 1, L_RAW, P_SYN6, case_ts(6, 1), NULL);
    out_close(&w.o);
    case_notes("little-endian pcapng: IDB 0 Ethernet (no if_tsresol: microseconds), IDB 1 "
               "LINKTYPE_RAW with if_tsresol=9 (nanoseconds); an unknown block type "
               "0x00000BAD, a Name Resolution Block and an Interface Statistics Block are "
               "skipped; one EPB has an opt_comment. The Simple Packet Block at offset %u "
               "(ICMP 192.0.2.10 -> 203.0.113.30, interface 0) has no timestamp, so readers "
               "may skip it: it is NOT in expected.tsv. The TCP pair 192.0.2.10 -> "
               "198.51.100.20 has packets on both interfaces",
               spb_off);
}

static void case_pcapng_be(void)
{
    const char *file = "pcapng_be.pcapng";
    struct ngw w;

    case_begin(file, 0,
               "big-endian pcapng section, one Ethernet IDB with if_tsresol=6 "
               "written explicitly (microseconds), EPBs carrying IPv4 and IPv6");
    ng_open(&w, file);
    ng_shb(&w, 1);
    ng_idb(&w, LINKTYPE_ETHERNET, 262144, 6, "em0");
    ng_epb_pkt(&w, 0, L_ETH, P_SYN, case_ts(0, 0), NULL);
    ng_epb_pkt(&w, 0, L_ETH, P_SYNACK, case_ts(1, 0), NULL);
    ng_epb_pkt(&w, 0, L_ETH, P_DNS4, case_ts(2, 0), "a comment in a big-endian section");
    ng_epb_pkt(&w, 0, L_ETH, P_DNS6, case_ts(3, 0), NULL);
    ng_epb_pkt(&w, 0, L_ETH, P_SYN6, case_ts(4, 0), NULL);
    out_close(&w.o);
}

static void case_pcapng_two_sections(void)
{
    const char *file = "pcapng_two_sections.pcapng";
    struct ngw w;

    case_begin(file, 0,
               "two sections in one file: a little-endian SHB with IDB 0 = Ethernet "
               "(microseconds), then a big-endian SHB whose IDB 0 is LINKTYPE_RAW with "
               "if_tsresol=9; interface ids restart per section; the pair 192.0.2.10 -> "
               "198.51.100.20 has packets in both sections");
    ng_open(&w, file);
    ng_shb(&w, 0);
    ng_idb(&w, LINKTYPE_ETHERNET, 262144, -1, "eth0");
    ng_epb_pkt(&w, 0, L_ETH, P_SYN, case_ts(0, 0), NULL);
    ng_epb_pkt(&w, 0, L_ETH, P_DNS4, case_ts(1, 0), NULL);
    ng_epb_pkt(&w, 0, L_ETH, P_ICMP4, case_ts(2, 0), NULL);
    ng_shb(&w, 1);
    ng_idb(&w, LINKTYPE_RAW, 65535, 9, "ipsec0");
    ng_epb_pkt(&w, 0, L_RAW, P_ACK, case_ts(3, 1), NULL);
    ng_epb_pkt(&w, 0, L_RAW, P_DNS6, case_ts(4, 1), NULL);
    ng_epb_pkt(&w, 0, L_RAW, P_SYN6, case_ts(5, 1), NULL);
    out_close(&w.o);
}

/* ------------------------------------------------------------------ */
/* cases: the individual files                                          */

static void case_eth_basic(void)
{
    static const int order[] = {P_SYN, P_DNS4, P_ACK, P_ICMP4, P_DATA, P_DNS4, P_ICMP4, P_FIN};
    struct capw w;
    size_t i;

    case_begin("eth_basic.pcap", 0,
               "Ethernet II, IPv4 TCP (4 packets), UDP DNS (2) and ICMP "
               "echo (2): 3 directed pairs; frames shorter than 60 bytes carry Ethernet "
               "padding after the IP packet (counted in the wire length)");
    cw_open(&w, "eth_basic.pcap", 0, 0, LINKTYPE_ETHERNET);
    for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        struct pkt p;

        std_pkt(&p, order[i]);
        if (i >= 5 && p.proto != IPPROTO_TCP_) {
            p.icmp_seq = 2;
            p.ip_id++;
        }
        emit_pkt(&w, L_ETH, &p, case_ts((int)i, 0), 0);
    }
    cw_close(&w);
}

static void case_eth_nonip(void)
{
    uint8_t f[FRAME_MAX];
    struct capw w;
    size_t n;

    case_begin("eth_nonip.pcap", 0,
               "ARP request and reply and one frame of the local "
               "experimental ethertype 0x88b5 are not IP and are skipped; one IPv4 ICMP "
               "packet forms the only pair");
    cw_open(&w, "eth_nonip.pcap", 0, 0, LINKTYPE_ETHERNET);
    emit_extra(&w, L_ETH, X_ARP, case_ts(0, 0));
    n = eth_hdr(f, mac_a, mac_b, 0x0806);
    n += arp_body(f + n, 1);
    emit_raw(&w, f, pad60(f, n), case_ts(1, 0));
    emit_std(&w, L_ETH, P_ICMP4, case_ts(2, 0), 0);
    n = eth_hdr(f, mac_bcast, mac_b, 0x88b5);
    fill_pattern(f + n, 46, 3);
    emit_raw(&w, f, n + 46, case_ts(3, 0));
    cw_close(&w);
}

static void case_ppp_nocomp(void)
{
    struct capw w;
    int i;

    case_begin("ppp_nocomp.pcap", 0,
               "PPP (link type 9) without the FF 03 address/control "
               "bytes: packets alternate between a 1-byte compressed protocol field "
               "(0x21 IPv4, 0x57 IPv6; odd first byte) and an uncompressed 2-byte one "
               "(0x0021 / 0x0057; even first byte)");
    cw_open(&w, "ppp_nocomp.pcap", 0, 0, LINKTYPE_PPP);
    for (i = 0; set_all[i] >= 0; i++)
        emit_std(&w, i % 2 ? L_PPP_NOAC : L_PPP_PFC, set_all[i], case_ts(i, 0), 0);
    cw_close(&w);
}

static void case_raw101(void)
{
    struct capw w;
    struct pkt p;
    int i;

    case_begin("raw101.pcap", 0,
               "LINKTYPE_RAW (101): IPv4 and IPv6 mixed, told apart by the "
               "version nibble; the pair 192.0.2.10 -> 198.51.100.20 mixes TCP and UDP to "
               "port 443 (proto -, dport 443) and 192.0.2.10 -> 198.51.100.53 mixes UDP 53 "
               "and TCP 853 (proto -, dport -)");
    cw_open(&w, "raw101.pcap", 0, 0, LINKTYPE_RAW);
    i = emit_set(&w, L_RAW, set_all, 0, 0);
    mk_udp(&p, C4, 40001, S4, 443, NULL, 120);
    emit_pkt(&w, L_RAW, &p, case_ts(i++, 0), 0);
    mk_tcp(&p, C4, 40003, R4, 853, F_SYN, 3000, 0, 0);
    emit_pkt(&w, L_RAW, &p, case_ts(i, 0), 0);
    cw_close(&w);
}

static void case_byteorder(const char *file, int be, int nsec, const char *notes)
{
    case_link(file, LINKTYPE_ETHERNET, L_ETH, set_all, be, nsec, X_NONE, notes);
}

static void case_ipv4_frag(void)
{
    uint8_t dg[3000], ip[FRAME_MAX], f[FRAME_MAX];
    struct capw w;
    struct pkt p;
    struct info in;
    size_t off, n;
    int k = 0;

    case_begin("ipv4_frag.pcap", 0,
               "a 3000-byte UDP datagram (dport 9999) in 3 IPv4 "
               "fragments (MF set on the first two; offsets 0, 185 and 370 units of 8 "
               "bytes; same IP id): all 3 count for 192.0.2.10 -> 203.0.113.30 and only the "
               "first carries the UDP header, so dport comes from it (packets without a "
               "transport header never turn dport into -); plus one unfragmented DNS "
               "query of another pair");
    cw_open(&w, "ipv4_frag.pcap", 0, 0, LINKTYPE_ETHERNET);
    emit_std(&w, L_ETH, P_DNS4, case_ts(k++, 0), 0);
    mk_udp(&p, C4, 41000, E4, 9999, NULL, sizeof(dg) - 8);
    build_l4(dg, &p);
    in = pkt_info(&p);
    for (off = 0; off < sizeof(dg); off += 1480) {
        size_t len = sizeof(dg) - off < 1480 ? sizeof(dg) - off : 1480;
        uint32_t frag = (uint32_t)(off / 8) | (off + len < sizeof(dg) ? 0x2000u : 0);

        n = ip4_hdr(ip, &p.src, &p.dst, IPPROTO_UDP_, 20 + len, 0x7a7a, frag, 64, NULL, 0);
        memcpy(ip + n, dg + off, len);
        n = frame_wrap(f, L_ETH, 0x0800, ip, n + len, 0, 1);
        cw_pkt(&w, case_ts(k++, 0), f, n, n, &in);
    }
    cw_close(&w);
}

static size_t build_ip4_opts(uint8_t *o, const struct pkt *p, const uint8_t *opt, size_t optlen)
{
    size_t hl = 20 + optlen, l4 = build_l4(o + hl, p);

    ip4_hdr(o, &p->src, &p->dst, p->proto, hl + l4, p->ip_id, 0x4000, p->ttl, opt, optlen);
    return hl + l4;
}

static void case_ipv4_options(void)
{
    static const uint8_t opt7[8] = {0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00};
    static const int which[] = {P_SYN, P_SYNACK, P_ACK, P_DATA};
    static const size_t optlen[] = {8, 0, 4, 8};
    uint8_t ip[FRAME_MAX], f[FRAME_MAX];
    struct capw w;
    int i;

    case_begin("ipv4_options.pcap", 0,
               "IPv4 with options carrying TCP: IHL=7 (Router Alert, "
               "3 NOP, EOL) on the SYN and the data segment, IHL=6 (Router Alert) on the "
               "ACK, none on the SYN/ACK: the TCP header starts at IHL*4");
    cw_open(&w, "ipv4_options.pcap", 0, 0, LINKTYPE_ETHERNET);
    for (i = 0; i < 4; i++) {
        struct pkt p;
        struct info in;
        size_t n;

        std_pkt(&p, which[i]);
        n = build_ip4_opts(ip, &p, opt7, optlen[i]);
        n = frame_wrap(f, L_ETH, 0x0800, ip, n, 0, is_outgoing(&p));
        in = pkt_info(&p);
        cw_pkt(&w, case_ts(i, 0), f, n, n, &in);
    }
    cw_close(&w);
}

static void case_ipv6_ext(void)
{
    uint8_t ip[FRAME_MAX], f[FRAME_MAX], l4[FRAME_MAX], dg[1400];
    struct capw w;
    struct pkt p;
    struct info in;
    size_t n, l, off;
    int k = 0;

    case_begin("ipv6_ext.pcap", 0,
               "IPv6 extension headers: Hop-by-Hop (Router Alert) + "
               "Destination Options + Routing type 4 (segments left 0) before TCP, and "
               "Destination Options alone before TCP; a 1400-byte UDP datagram (dport 9999) "
               "in two IPv6 fragments (first: offset 0, M=1, with the UDP header; second: "
               "offset 1232, M=0): proto is the upper-layer protocol (6 / 17) and both "
               "fragments count for the pair");
    cw_open(&w, "ipv6_ext.pcap", 0, 0, LINKTYPE_ETHERNET);

    /* SYN behind HBH, DSTOPTS and a segment routing header */
    std_pkt(&p, P_SYN6);
    l = build_l4(l4, &p);
    n = 40;
    ip[n] = 60; /* HBH -> destination options */
    ip[n + 1] = 0;
    ip[n + 2] = 0x05; /* router alert */
    ip[n + 3] = 2;
    wr16be(ip + n + 4, 0);
    ip[n + 6] = 0x01; /* PadN, 0 bytes */
    ip[n + 7] = 0;
    n += 8;
    ip[n] = 43; /* DSTOPTS -> routing */
    ip[n + 1] = 0;
    ip[n + 2] = 0x01; /* PadN, 4 bytes */
    ip[n + 3] = 4;
    memset(ip + n + 4, 0, 4);
    n += 8;
    ip[n] = IPPROTO_TCP_; /* routing -> TCP */
    ip[n + 1] = 2;        /* (2 + 1) * 8 = 24 bytes */
    ip[n + 2] = 4;        /* segment routing */
    ip[n + 3] = 0;        /* segments left */
    ip[n + 4] = 0;        /* last entry */
    ip[n + 5] = 0;
    wr16be(ip + n + 6, 0);
    memcpy(ip + n + 8, p.dst.b, 16);
    n += 24;
    memcpy(ip + n, l4, l);
    ip6_hdr(ip, &p.src, &p.dst, 0, n - 40 + l, 64);
    n = frame_wrap(f, L_ETH, 0x86dd, ip, n + l, 0, 1);
    in = pkt_info(&p);
    cw_pkt(&w, case_ts(k++, 0), f, n, n, &in);

    std_pkt(&p, P_SYNACK6);
    emit_pkt(&w, L_ETH, &p, case_ts(k++, 0), 0);

    /* ACK behind destination options only */
    mk_tcp(&p, C6, 40002, S6, 80, F_ACK, 7001, 9001, 0);
    l = build_l4(l4, &p);
    ip[40] = IPPROTO_TCP_;
    ip[41] = 0;
    ip[42] = 0x01;
    ip[43] = 4;
    memset(ip + 44, 0, 4);
    memcpy(ip + 48, l4, l);
    ip6_hdr(ip, &p.src, &p.dst, 60, 8 + l, 64);
    n = frame_wrap(f, L_ETH, 0x86dd, ip, 48 + l, 0, 1);
    in = pkt_info(&p);
    cw_pkt(&w, case_ts(k++, 0), f, n, n, &in);

    /* fragmented UDP */
    mk_udp(&p, C6, 41001, R6, 9999, NULL, sizeof(dg) - 8);
    build_l4(dg, &p);
    in = pkt_info(&p);
    for (off = 0; off < sizeof(dg); off += 1232) {
        size_t len = sizeof(dg) - off < 1232 ? sizeof(dg) - off : 1232;

        ip[40] = IPPROTO_UDP_;
        ip[41] = 0;
        wr16be(ip + 42, (uint32_t)off | (off + len < sizeof(dg) ? 1u : 0));
        wr32be(ip + 44, 0x5eed0001u);
        memcpy(ip + 48, dg + off, len);
        ip6_hdr(ip, &p.src, &p.dst, 44, 8 + len, 64);
        n = frame_wrap(f, L_ETH, 0x86dd, ip, 48 + len, 0, 1);
        cw_pkt(&w, case_ts(k++, 0), f, n, n, &in);
    }
    cw_close(&w);
}

static void case_out_of_order(void)
{
    static const int sec_a[6] = {1, 3, 2, 4, 6, 5};
    struct capw w;
    struct pkt p;
    int i;

    case_begin("out_of_order.pcap", 0,
               "the pair 192.0.2.10 -> 198.51.100.20 has timestamps "
               "1, 3, 2, 4, 6, 5 s after the base in file order: first_ns/last_ns are the "
               "minimum and maximum, not the first and last records; the DNS pair is in "
               "order");
    cw_open(&w, "out_of_order.pcap", 0, 0, LINKTYPE_ETHERNET);
    for (i = 0; i < 6; i++) {
        mk_tcp(&p, C4, 40001, S4, 443, F_PSH | F_ACK, 1001 + 100 * (uint32_t)i, 5001, 100);
        emit_pkt(&w, L_ETH, &p, case_t + SEC(sec_a[i]), 0);
        if (i % 2 == 0) {
            std_pkt(&p, P_DNS4);
            emit_pkt(&w, L_ETH, &p, case_t + SEC(i / 2 + 1) + MSEC(500), 0);
        }
    }
    cw_close(&w);
}

static void case_multi(void)
{
    static const char *const files[3] = {"multi_a.pcap", "multi_b.pcap", "multi_c.pcap"};
    uint32_t cseq = 1000, sseq = 5000;
    uint64_t base = 0;
    int f, k = 0;

    for (f = 0; f < 3; f++) {
        struct capw w;
        int j;

        case_begin(files[f], 0, "");
        case_notes("part %d of 3 of one rotated capture (time ranges do not overlap): "
                   "alone it gives the rows under its own name; read together with the "
                   "other multi_*.pcap files the pairs continue across files (rows "
                   "'multi_*')",
                   f + 1);
        if (f == 0)
            base = case_t;
        cw_open(&w, files[f], 0, 0, LINKTYPE_ETHERNET);
        w.also = "multi_*";
        for (j = 0; j < 4; j++, k++) {
            static const struct {
                int srv;
                uint32_t flags;
                size_t len;
            } conv[12] = {
                {0, F_SYN, 0},           {1, F_SYN | F_ACK, 0},    {0, F_ACK, 0},
                {0, F_PSH | F_ACK, 120}, {1, F_PSH | F_ACK, 700},  {0, F_ACK, 0},
                {0, F_PSH | F_ACK, 90},  {1, F_PSH | F_ACK, 1200}, {0, F_ACK, 0},
                {0, F_FIN | F_ACK, 0},   {1, F_FIN | F_ACK, 0},    {0, F_ACK, 0},
            };
            struct pkt p;
            uint32_t adv;

            if (conv[k].srv)
                mk_tcp(&p, S4, 443, C4, 40001, conv[k].flags, sseq, cseq, conv[k].len);
            else
                mk_tcp(&p, C4, 40001, S4, 443, conv[k].flags, cseq,
                       (conv[k].flags & F_ACK) ? sseq : 0, conv[k].len);
            emit_pkt(&w, L_ETH, &p, base + SEC(3 * k + 1) + USEC(250 * k), 0);
            adv = (uint32_t)conv[k].len + ((conv[k].flags & (F_SYN | F_FIN)) ? 1u : 0u);
            if (conv[k].srv)
                sseq += adv;
            else
                cseq += adv;
        }
        cw_close(&w);
    }
    case_begin("multi_*", 0,
               "not a file: the rows of multi_a.pcap, multi_b.pcap and "
               "multi_c.pcap read together as one capture");
}

static void case_unknown_linktype(void)
{
    struct capw w;
    int i;

    case_begin("unknown_linktype.pcap", 0,
               "link type 147 (LINKTYPE_USER0) is not decodable: "
               "no pairs, a warning naming link type 147, and the 3 packets counted as "
               "skipped");
    cw_open(&w, "unknown_linktype.pcap", 0, 0, LINKTYPE_USER0);
    for (i = 0; i < 3; i++) {
        uint8_t f[FRAME_MAX];
        struct pkt p;
        size_t n;

        std_pkt(&p, set_v4[i]);
        n = pkt_frame(f, L_ETH, &p, 0);
        emit_raw(&w, f, n, case_ts(i, 0));
    }
    cw_close(&w);
}

static void write_file(const char *file, const void *data, size_t n)
{
    char path[1024];
    struct outf o;

    case_path(path, sizeof(path), file);
    out_open(&o, path);
    out_write(&o, data, n);
    out_close(&o);
}

static void case_empty(void)
{
    struct capw w;
    uint8_t h[24];

    case_begin("empty.pcap", 0,
               "a valid global header (little-endian, microseconds, "
               "Ethernet) and no records: no pairs, no error");
    cw_open(&w, "empty.pcap", 0, 0, LINKTYPE_ETHERNET);
    cw_close(&w);

    case_begin("empty_file.pcap", 1, "0 bytes: not a capture; error, no output");
    write_file("empty_file.pcap", "", 0);

    case_begin("truncated_header.pcap", 1,
               "only the first 10 of the 24 bytes of a "
               "little-endian pcap global header: error");
    wr32le(h, 0xa1b2c3d4u);
    wr16le(h + 4, 2);
    wr16le(h + 6, 4);
    memset(h + 8, 0, 2);
    write_file("truncated_header.pcap", h, 10);

    case_begin("text.txt", 1,
               "a text file, not a capture: error naming the file (unknown "
               "magic)");
    {
        static const char text[] =
            "This is not a packet capture.\n"
            "It is a few lines of text that pcapgen writes so that readers can be\n"
            "tested on input whose first bytes are no known magic number.\n";

        write_file("text.txt", text, sizeof(text) - 1);
    }
}

static void case_truncated_last(void)
{
    uint8_t f[FRAME_MAX];
    struct capw w;
    struct pkt p;
    uint64_t off;
    size_t n;
    int i;

    case_begin("truncated_last.pcap", 3, "");
    cw_open(&w, "truncated_last.pcap", 0, 0, LINKTYPE_ETHERNET);
    for (i = 0; set_v4[i] >= 0; i++)
        emit_std(&w, L_ETH, set_v4[i], case_ts(i, 0), 0);
    off = w.pw.o.off;
    std_pkt(&p, P_DATA);
    n = pkt_frame(f, L_ETH, &p, 0);
    pcap_rec_hdr(&w.pw, case_ts(i, 0), 100, 100);
    out_write(&w.pw.o, f, n < 20 ? n : 20);
    cw_close(&w);
    case_notes("the last record (header at offset %llu) says 100 captured bytes but only "
               "20 follow: the %d earlier packets count, a warning names offset %llu, "
               "exit 3",
               (unsigned long long)off, i, (unsigned long long)off);
}

static void case_bad_caplen(void)
{
    uint8_t f[FRAME_MAX];
    struct capw w;
    struct pkt p;
    uint64_t off;
    size_t n;
    int i;

    case_begin("bad_caplen.pcap", 3, "");
    cw_open(&w, "bad_caplen.pcap", 0, 0, LINKTYPE_ETHERNET);
    for (i = 0; i < 3; i++)
        emit_std(&w, L_ETH, set_v4[i], case_ts(i, 0), 0);
    off = w.pw.o.off;
    std_pkt(&p, P_DNS4);
    n = pkt_frame(f, L_ETH, &p, 0);
    pcap_rec_hdr(&w.pw, case_ts(3, 0), 0x7fffffffu, (uint32_t)n);
    out_write(&w.pw.o, f, n);
    /* a sane record after the corrupt one: a reader cannot resync, so it
     * must not be counted */
    std_pkt(&p, P_ICMP4);
    n = pkt_frame(f, L_ETH, &p, 0);
    pcap_rec(&w.pw, case_ts(4, 0), f, n, n);
    cw_close(&w);
    case_notes("the record header at offset %llu has caplen 0x7fffffff (far above the "
               "snaplen 262144): the reader stops there with an error naming offset %llu; "
               "the 3 packets before it count, the valid-looking record after it does not; "
               "exit 3",
               (unsigned long long)off, (unsigned long long)off);
}

static void case_truncated_ip(void)
{
    static const struct {
        int which;
        size_t caplen;
    } cut[4] = {
        {P_SYN, 20},
        {P_DNS6, 20},
        {P_DNS4, 33},
        {P_SYN6, 53},
    };
    uint8_t f[FRAME_MAX];
    struct capw w;
    int i;

    case_begin("truncated_ip.pcap", 0,
               "Ethernet frames whose network header is cut by the "
               "capture length: caplen 20 (IPv4 and IPv6), 33 (IPv4 header 1 byte short) "
               "and 53 (IPv6 header 1 byte short) are skipped as truncated; only the "
               "complete ICMP packet forms a pair");
    cw_open(&w, "truncated_ip.pcap", 0, 0, LINKTYPE_ETHERNET);
    for (i = 0; i < 4; i++) {
        struct pkt p;
        size_t n;

        std_pkt(&p, cut[i].which);
        n = pkt_frame(f, L_ETH, &p, 0);
        cw_pkt(&w, case_ts(i, 0), f, cut[i].caplen, n, NULL);
    }
    emit_std(&w, L_ETH, P_ICMP4, case_ts(4, 0), 0);
    cw_close(&w);
}

static void case_bad_ip(void)
{
    uint8_t f[FRAME_MAX];
    struct capw w;
    struct pkt p;
    size_t n;
    int i;

    case_begin("bad_ip.pcap", 0,
               "malformed network headers, each skipped: IPv4 with IHL=3, "
               "an 0x0800 frame with version 5, an 0x86DD frame whose version nibble is 4, "
               "IPv4 with total length 16 < IHL*4 (IPv4 checksums are valid for the damaged "
               "headers); only the final good DNS packet forms a pair");
    cw_open(&w, "bad_ip.pcap", 0, 0, LINKTYPE_ETHERNET);
    for (i = 0; i < 4; i++) {
        uint8_t *ip = f + 14;

        std_pkt(&p, i == 2 ? P_DNS6 : P_SYN);
        n = pkt_frame(f, L_ETH, &p, 0);
        switch (i) {
        case 0: ip[0] = 0x43; break;
        case 1: ip[0] = 0x55; break;
        case 2: ip[0] = (uint8_t)(0x40 | (ip[0] & 0x0f)); break;
        default: wr16be(ip + 2, 16); break;
        }
        if (i != 2) {
            wr16be(ip + 10, 0);
            wr16be(ip + 10, ip4_checksum(ip, 20));
        }
        cw_pkt(&w, case_ts(i, 0), f, n, n, NULL);
    }
    emit_std(&w, L_ETH, P_DNS4, case_ts(4, 0), 0);
    cw_close(&w);
}

static void write_tables(void)
{
    struct bb b;
    char path[1024];
    struct outf o;
    size_t c, i;

    memset(&b, 0, sizeof(b));
    bb_printf(&b, "file\tsrc\tdst\tproto\tdport\tpackets\tbytes\tfirst_ns\tlast_ns\n");
    for (c = 0; c < ncases; c++) {
        int any = 0;

        for (i = 0; i < nrows; i++) {
            const struct exprow *r = &rows[i];
            char proto[16] = "-", dport[16] = "-";

            if (strcmp(r->file, cases[c].file))
                continue;
            any = 1;
            if (r->proto >= 0)
                snprintf(proto, sizeof(proto), "%d", r->proto);
            if (r->dport >= 0)
                snprintf(dport, sizeof(dport), "%d", r->dport);
            bb_printf(&b, "%s\t%s\t%s\t%s\t%s\t%llu\t%llu\t%llu\t%llu\n", r->file, r->src, r->dst,
                      proto, dport, (unsigned long long)r->packets, (unsigned long long)r->bytes,
                      (unsigned long long)r->first, (unsigned long long)r->last);
        }
        if (!any)
            bb_printf(&b, "%s\t-\t-\t-\t-\t0\t0\t-\t-\n", cases[c].file);
    }
    case_path(path, sizeof(path), "expected.tsv");
    out_open(&o, path);
    out_write(&o, b.p, b.n);
    out_close(&o);

    b.n = 0;
    bb_printf(&b, "file\texpect_exit\tnotes\n");
    for (c = 0; c < ncases; c++)
        bb_printf(&b, "%s\t%d\t%s\n", cases[c].file, cases[c].exit, cases[c].notes);
    case_path(path, sizeof(path), "cases.tsv");
    out_open(&o, path);
    out_write(&o, b.p, b.n);
    out_close(&o);
    free(b.p);
}

static void cmd_cases(const char *dir)
{
    case_dir = dir;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        die("cannot create '%s': %s", dir, strerror(errno));

    case_eth_basic();
    case_link("eth_vlan.pcap", LINKTYPE_ETHERNET, L_VLAN, set_all, 0, 0, X_NONE,
              "802.1Q tag (TPID 0x8100, VID 100) before IPv4 and IPv6");
    case_link("eth_qinq.pcap", LINKTYPE_ETHERNET, L_QINQ, set_all, 0, 0, X_NONE,
              "802.1ad outer tag (TPID 0x88a8, VID 200) then 802.1Q inner tag (VID 100) "
              "before IPv4 and IPv6");
    case_link("eth_mpls.pcap", LINKTYPE_ETHERNET, L_MPLS, set_v4, 0, 0, X_NONE,
              "ethertype 0x8847 with 2 MPLS labels (1000, then 2000 with the "
              "bottom-of-stack bit) then IPv4, found by its version nibble");
    case_link("eth_vlan_mpls_ipv6.pcap", LINKTYPE_ETHERNET, L_VLAN_MPLS, set_v6, 0, 0, X_NONE,
              "802.1Q (VID 300), then 0x8847 with one MPLS label (bottom of stack), then "
              "IPv6");
    case_link("eth_pppoe.pcap", LINKTYPE_ETHERNET, L_PPPOE, set_all, 0, 0, X_PADI,
              "PPPoE session frames (0x8864, 6-byte header, session 0x2a3b) with PPP "
              "protocol 0x0021 (IPv4) and 0x0057 (IPv6); one PPPoE discovery PADI (0x8863) "
              "is not IP and is skipped");
    case_link("eth_llc_snap.pcap", LINKTYPE_ETHERNET, L_LLCSNAP, set_v4, 0, 0, X_STP,
              "IEEE 802.3 frames (length field) with LLC/SNAP AA AA 03 00 00 00 08 00 then "
              "IPv4; one STP configuration BPDU (LLC DSAP 0x42) is not IP and is skipped");
    case_eth_nonip();
    case_link("sll.pcap", LINKTYPE_LINUX_SLL, L_SLL, set_all, 0, 0, X_ARP,
              "Linux cooked capture v1 (link type 113, 16-byte header, protocol in the "
              "last 2 bytes): IPv4, IPv6 and one ARP packet (skipped)");
    case_link("sll2.pcap", LINKTYPE_LINUX_SLL2, L_SLL2, set_all, 0, 0, X_ARP,
              "Linux cooked capture v2 (link type 276, 20-byte header, protocol in the "
              "first 2 bytes): IPv4, IPv6 and one ARP packet (skipped)");
    case_raw101();
    case_link("raw228_ipv4.pcap", LINKTYPE_IPV4, L_RAW, set_v4, 0, 0, X_NONE,
              "LINKTYPE_IPV4 (228): raw IPv4 only");
    case_link("raw229_ipv6.pcap", LINKTYPE_IPV6, L_RAW, set_v6, 0, 0, X_NONE,
              "LINKTYPE_IPV6 (229): raw IPv6 only");
    case_link("raw12.pcap", LINKTYPE_RAW12, L_RAW, set_all, 0, 0, X_NONE,
              "link type 12 read as raw IP (DLT_RAW as numbered on most systems; "
              "libpcap maps it to raw IP), IPv4 and IPv6");
    case_link("null_le.pcap", LINKTYPE_NULL, L_NULL_LE, set_all, 0, 0, X_NONE,
              "DLT_NULL (0) from a little-endian host: 4-byte address family in "
              "little-endian order, 2 = IPv4, IPv6 as 24 (NetBSD/OpenBSD), 28 (FreeBSD) "
              "and 30 (Darwin)");
    case_link("null_be.pcap", LINKTYPE_NULL, L_NULL_BE, set_all, 1, 0, X_NONE,
              "DLT_NULL (0) from a big-endian host: big-endian file and family values "
              "2 = IPv4, 24/28/30 = IPv6");
    case_link("loop108.pcap", LINKTYPE_LOOP, L_LOOP, set_all, 0, 0, X_NONE,
              "DLT_LOOP (108) in a little-endian file: the family is always in network "
              "(big-endian) order, 2 = IPv4, 24/28/30 = IPv6");
    case_link("ppp9.pcap", LINKTYPE_PPP, L_PPP, set_all, 0, 0, X_NONE,
              "PPP (9): FF 03 address/control then 2-byte protocol 0x0021 (IPv4) or "
              "0x0057 (IPv6)");
    case_ppp_nocomp();
    case_link("chdlc104.pcap", LINKTYPE_C_HDLC, L_CHDLC, set_all, 0, 0, X_SLARP,
              "Cisco HDLC (104): 0x0F 0x00 then ethertype 0x0800 / 0x86DD; one SLARP "
              "keepalive (0x8F 0x00 0x8035) is not IP and is skipped");
    case_byteorder("be_usec.pcap", 1, 0,
                   "big-endian classic pcap (A1 B2 C3 D4 in file "
                   "order), microsecond timestamps, Ethernet");
    case_byteorder("le_nsec.pcap", 0, 1,
                   "little-endian pcap with magic 0xa1b23c4d: "
                   "nanosecond timestamps with sub-microsecond digits, which first_ns and "
                   "last_ns must keep");
    case_byteorder("be_nsec.pcap", 1, 1,
                   "big-endian pcap with magic 0xa1b23c4d: "
                   "nanosecond timestamps with sub-microsecond digits");
    case_ipv4_frag();
    case_ipv4_options();
    case_ipv6_ext();
    case_out_of_order();
    case_multi();
    case_pcapng_multi();
    case_pcapng_be();
    case_pcapng_two_sections();
    case_unknown_linktype();
    case_empty();
    case_truncated_last();
    case_bad_caplen();
    case_truncated_ip();
    case_bad_ip();
    write_tables();
    free(rows);
}

/* ------------------------------------------------------------------ */
/* scenario: a day of office traffic with planted beacons               */

/*
 * Everything here is built from integer nanoseconds and splitmix64 draws,
 * one PRNG stream per component (so a component's packets do not depend on
 * how many draws another one made).  Packets go into an arena with their
 * generation order and are sorted by (timestamp, order) before writing.
 * Frames are captured up to SC_SNAP bytes (DNS whole); wire lengths,
 * IP/UDP lengths and all checksums are those of the full packet.
 */

#define SC_EPOCH 1709510400ull /* 2024-03-04 00:00:00 UTC */
#define SC_SNAP 128u
#define SC_BLK 131072u /* random payload block */
#define SC_NSERV 2000u /* browsing servers */
#define SC_NFAV 6u     /* favourite servers of each host */
#define SC_MIN_HOSTS 10u
#define SC_MAX_HOSTS 200u
#define SC_MAX_HOURS 168u
#define SC_MAXROWS                                                                                 \
    (16 + 8 * SC_MAX_HOSTS) /* a few rows a host at most (NTP, NetBIOS, downloads...) */
#define SC_NBEACON 10
#define SC_BROWSE_RATE 15u /* browsing bursts per host-hour at peak */
#define SC_F_RST 0x04

#define SC_GW 0x0a010001u      /* 10.1.0.1: gateway and resolver */
#define SC_BCAST 0x0a0100ffu   /* 10.1.0.255 */
#define SC_PRINTER 0x0a0100fau /* 10.1.0.250 */
#define SC_HOST(i) (0x0a01000au + (uint32_t)(i))

enum { PL_RAW, PL_TLS, PL_HTTP };

enum {
    SC_C_BROWSE,
    SC_C_DNS,
    SC_C_BULK,
    SC_C_KEEPALIVE,
    SC_C_NTP,
    SC_C_UPDATE,
    SC_C_TELEMETRY,
    SC_C_IOT,
    SC_C_NETBIOS,
    SC_C_BEACON,
    SC_NCOMP = SC_C_BEACON + SC_NBEACON
};

static const char *const sc_comp_name[SC_NCOMP] = {
    "browsing", "browsing_dns", "bulk",      "keepalive",  "ntp",    "update", "telemetry",
    "iot",      "netbios",      "https60",   "jitter50",   "missed", "bursty", "slow",
    "udp30",    "fast_short",   "heartbeat", "dns_tunnel", "icmp20",
};

struct scev {
    uint64_t ts, off;
    uint32_t seq, wire, caplen;
};

/* one truth-file row; fwd and rev are counted from the written packets */
struct scrow {
    char name[24];
    const char *kind, *series;
    uint32_t src, dst;
    int proto, dport; /* dport -1: '-' */
    uint32_t period;  /* seconds, 0: '-' */
    uint64_t beats;   /* 0: not reported */
    char desc[256];
    uint64_t fwd, rev;
};

struct scen {
    uint64_t seed, t0, t1;
    uint32_t nhosts;
    int comp;
    uint8_t *arena;
    size_t an, acap;
    struct scev *ev;
    size_t nev, evcap;
    uint64_t cpk[SC_NCOMP], cby[SC_NCOMP];
    struct scrow rows[SC_MAXROWS];
    size_t nrows;
    uint32_t perm[SC_MAX_HOSTS]; /* hosts in random order */
    uint32_t serv[SC_NSERV];
    uint16_t servport[SC_NSERV];
    uint16_t servrtt[SC_NSERV]; /* ms */
    uint32_t zcum[SC_NSERV];    /* Zipf popularity, cumulative */
    uint8_t blk[SC_BLK];
    uint64_t psum[SC_BLK + 1]; /* checksum prefix sums of blk */
    uint8_t pay[FRAME_MAX];
};

/* activity by UTC hour, per mille of the peak */
static const uint16_t sc_diurnal[24] = {
    40,  40,   40,   40,   40,   40,  80,  300, 800, 1000, 1000, 1000,
    700, 1000, 1000, 1000, 1000, 800, 450, 250, 180, 180,  120,  70,
};

static uint32_t sc_weight(uint64_t t)
{
    return sc_diurnal[(t / NS_PER_SEC) % 86400 / 3600];
}

static void sc_rng(const struct scen *S, struct rng *r, uint32_t id)
{
    r->s = mix64(S->seed ^ (0x5ce7a410ull << 32 | id));
}

static int sc_internal(uint32_t ip)
{
    return (ip >> 8) == 0x0a0100u;
}

static void sc_mac(uint32_t ip, uint8_t *mac)
{
    memcpy(mac, gw_mac, 6);
    if (ip == SC_BCAST) {
        memset(mac, 0xff, 6);
    } else if (sc_internal(ip) && ip != SC_GW) {
        mac[0] = 0x00;
        mac[1] = 0x1b;
        mac[2] = 0x21;
        mac[3] = 0x3a;
        mac[4] = 0x10;
        mac[5] = (uint8_t)ip;
    }
}

/* "Windows" addresses (TTL 128, ports from 49152) and the others (TTL 64,
 * ports 32768-60999); servers are a few hops away */
static int sc_win(uint32_t ip)
{
    return (int)(mix64(ip) & 1);
}

static uint32_t sc_ttl(uint32_t ip)
{
    uint64_t h = mix64(ip);
    uint32_t base = (h & 1) ? 128u : 64u;

    if (sc_internal(ip))
        return base;
    return base - 5u - (uint32_t)((h >> 8) % 18);
}

static uint32_t sc_eph(struct rng *r, uint32_t ip)
{
    return sc_win(ip) ? rng_range(r, 49152, 65535) : rng_range(r, 32768, 60999);
}

static uint32_t sc_ip(const struct addr *a)
{
    return (uint32_t)a->b[0] << 24 | (uint32_t)a->b[1] << 16 | (uint32_t)a->b[2] << 8 | a->b[3];
}

static void sc_store(struct scen *S, uint64_t ts, const uint8_t *f, size_t caplen, size_t wire)
{
    struct scev *e;

    if (S->an + caplen > S->acap) {
        while (S->an + caplen > S->acap)
            S->acap = S->acap ? S->acap * 2 : (size_t)1 << 24;
        S->arena = xrealloc(S->arena, S->acap);
    }
    if (S->nev == S->evcap) {
        S->evcap = S->evcap ? S->evcap * 2 : (size_t)1 << 18;
        S->ev = xrealloc(S->ev, S->evcap * sizeof(*S->ev));
    }
    memcpy(S->arena + S->an, f, caplen);
    e = &S->ev[S->nev];
    e->ts = ts;
    e->off = S->an;
    e->seq = (uint32_t)S->nev;
    e->wire = (uint32_t)wire;
    e->caplen = (uint32_t)caplen;
    S->nev++;
    S->an += caplen;
    S->cpk[S->comp]++;
    S->cby[S->comp] += wire;
}

/* one IPv4 packet in an Ethernet frame; packets outside the capture window
 * are dropped */
static void sc_pkt(struct scen *S, struct rng *r, uint64_t ts, struct pkt *p)
{
    uint8_t f[FRAME_MAX], dm[6], sm[6];
    uint32_t sip = sc_ip(&p->src), dip = sc_ip(&p->dst);
    size_t n, cap;

    if (ts < S->t0 || ts >= S->t1)
        return;
    sc_mac(dip, dm);
    sc_mac(sip, sm);
    p->ttl = (uint8_t)sc_ttl(sip);
    p->ip_id = (uint16_t)rng_next(r);
    n = eth_hdr(f, dm, sm, 0x0800);
    n += build_ip(f + n, p);
    n = pad60(f, n);
    cap = n;
    if (cap > SC_SNAP && !(p->proto == IPPROTO_UDP_ && (p->sport == 53 || p->dport == 53)))
        cap = SC_SNAP;
    sc_store(S, ts, f, cap, n);
}

static void sc_udp(struct scen *S, struct rng *r, uint64_t ts, uint32_t src, uint32_t sport,
                   uint32_t dst, uint32_t dport, const uint8_t *pay, size_t len)
{
    struct pkt p;

    memset(&p, 0, sizeof(p));
    p.proto = IPPROTO_UDP_;
    p.src = a4u(src);
    p.dst = a4u(dst);
    p.sport = (uint16_t)sport;
    p.dport = (uint16_t)dport;
    p.pay = pay;
    p.paylen = len;
    sc_pkt(S, r, ts, &p);
}

static void sc_icmp(struct scen *S, struct rng *r, uint64_t ts, uint32_t src, uint32_t dst,
                    uint32_t type, uint32_t id, uint32_t seq)
{
    static const char winping[] = "abcdefghijklmnopqrstuvwabcdefghi";
    struct pkt p;

    memset(&p, 0, sizeof(p));
    p.proto = IPPROTO_ICMP_;
    p.src = a4u(src);
    p.dst = a4u(dst);
    p.icmp_type = (uint8_t)type;
    p.icmp_id = (uint16_t)id;
    p.icmp_seq = (uint16_t)seq;
    p.pay = (const uint8_t *)winping;
    p.paylen = 32;
    sc_pkt(S, r, ts, &p);
}

/* query to the resolver and its answer lat ns later; returns the answer's
 * time */
static uint64_t sc_dns(struct scen *S, struct rng *r, uint64_t t, uint32_t cli, const char *name,
                       uint32_t qtype, const uint8_t *rdata, size_t rdlen, uint64_t lat)
{
    uint8_t q[512];
    uint32_t id = rng_below(r, 65536);
    uint32_t port = sc_eph(r, cli);
    size_t n;

    n = dns_msg(q, id, 0, name, qtype, NULL, 0);
    sc_udp(S, r, t, cli, port, SC_GW, 53, q, n);
    n = dns_msg(q, id, 1, name, qtype, rdata, rdlen);
    sc_udp(S, r, t + lat, SC_GW, 53, cli, port, q, n);
    return t + lat;
}

static uint64_t sc_dns_a(struct scen *S, struct rng *r, uint64_t t, uint32_t cli, const char *name,
                         uint32_t answer)
{
    uint8_t a[4];
    uint64_t lat;

    wr32be(a, answer);
    if (rng_below(r, 10) < 7)
        lat = USEC(rng_range(r, 300, 4000));
    else
        lat = USEC(rng_range(r, 12000, 120000));
    return sc_dns(S, r, t, cli, name, 1, a, 4, lat);
}

/* TCP */

struct sconn {
    uint32_t c, s;
    uint16_t cport, sport;
    uint32_t cseq, sseq;
};

static void sc_conn_init(struct rng *r, struct sconn *k, uint32_t c, uint32_t cport, uint32_t s,
                         uint32_t sport)
{
    k->c = c;
    k->s = s;
    k->cport = (uint16_t)cport;
    k->sport = (uint16_t)sport;
    k->cseq = (uint32_t)rng_next(r);
    k->sseq = (uint32_t)rng_next(r);
}

/* one segment; without pay the payload comes from the random block at an
 * offset given by the sequence number */
static void sc_tcp(struct scen *S, struct rng *r, struct sconn *k, uint64_t ts, int from_server,
                   uint32_t flags, size_t len, const uint8_t *pay)
{
    struct pkt p;
    uint32_t adv;

    memset(&p, 0, sizeof(p));
    p.proto = IPPROTO_TCP_;
    p.src = a4u(from_server ? k->s : k->c);
    p.dst = a4u(from_server ? k->c : k->s);
    p.sport = from_server ? k->sport : k->cport;
    p.dport = from_server ? k->cport : k->sport;
    p.flags = (uint8_t)flags;
    p.seq = from_server ? k->sseq : k->cseq;
    p.ack = (flags & F_ACK) ? (from_server ? k->cseq : k->sseq) : 0;
    p.win = from_server ? 65160 : 64240;
    p.paylen = len;
    p.pay = len ? (pay ? pay : S->blk + (p.seq & 0xfffeu)) : NULL;
    sc_pkt(S, r, ts, &p);
    adv = (uint32_t)len + ((flags & F_SYN) ? 1u : 0u) + ((flags & F_FIN) ? 1u : 0u);
    if (from_server)
        k->sseq += adv;
    else
        k->cseq += adv;
}

/* a server segment of len (> SC_SNAP) payload bytes, as a capture with
 * receive offload shows a burst of full-size segments: the IP total length
 * and the TCP checksum cover the whole payload (blk from an even offset,
 * summed with the prefix sums), the frame is captured up to SC_SNAP */
static void sc_tcp_big(struct scen *S, struct rng *r, struct sconn *k, uint64_t ts, uint32_t len,
                       uint32_t flags)
{
    uint8_t f[SC_SNAP], dm[6], sm[6];
    uint8_t *th = f + 34;
    struct addr s = a4u(k->s), d = a4u(k->c);
    uint32_t off = k->sseq & 0xfffeu;
    size_t total = 40 + (size_t)len;
    uint64_t sum;

    if (len + 54 <= SC_SNAP || total > 65535)
        die("internal error: big segment of %u bytes", len);
    if (ts >= S->t0 && ts < S->t1) {
        sc_mac(k->c, dm);
        sc_mac(k->s, sm);
        eth_hdr(f, dm, sm, 0x0800);
        ip4_hdr(f + 14, &s, &d, IPPROTO_TCP_, total, (uint32_t)rng_next(r) & 0xffffu, 0x4000,
                sc_ttl(k->s), NULL, 0);
        wr16be(th, k->sport);
        wr16be(th + 2, k->cport);
        wr32be(th + 4, k->sseq);
        wr32be(th + 8, k->cseq);
        th[12] = 0x50;
        th[13] = (uint8_t)(F_ACK | flags);
        wr16be(th + 14, 65160);
        wr16be(th + 16, 0);
        wr16be(th + 18, 0);
        memcpy(th + 20, S->blk + off, SC_SNAP - 54);
        sum = pseudo_sum(&s, &d, IPPROTO_TCP_, 20 + (size_t)len) + csum_add(0, th, 20) +
              (S->psum[off + len] - S->psum[off]);
        wr16be(th + 16, csum_fold(sum));
        sc_store(S, ts, f, SC_SNAP, 14 + total);
    }
    k->sseq += len;
}

/* first segment of a message: a TLS record header of type tls, or text */
static const uint8_t *sc_head(struct scen *S, uint32_t seq, size_t len, uint32_t tls,
                              const char *text, uint32_t msglen)
{
    if (tls) {
        uint32_t rec = msglen > 16389 ? 16389 : msglen;

        memcpy(S->pay, S->blk + (seq & 0xfffeu), len);
        if (len >= 5) {
            S->pay[0] = (uint8_t)tls;
            S->pay[1] = 3;
            S->pay[2] = tls == 0x16 && len > 200 ? 1 : 3;
            wr16be(S->pay + 3, rec - 5);
        }
    } else {
        size_t tl = strlen(text);

        fill_pattern(S->pay, len, seq & 0xff);
        memcpy(S->pay, text, tl < len ? tl : len);
    }
    return S->pay;
}

/*
 * A message of bytes from one side in segments of up to 1460 bytes about
 * gap ns apart; the peer ACKs every second segment and, if ack_last, the
 * last one 1-40 ms later (delayed ACK).  Returns the time of the last
 * packet.
 */
static uint64_t sc_msg(struct scen *S, struct rng *r, struct sconn *k, uint64_t t, int from_server,
                       uint32_t bytes, uint32_t tls, const char *text, uint64_t gap, int ack_last)
{
    uint32_t left = bytes, i = 0;
    uint64_t last = t;

    while (left) {
        uint32_t len = left > 1460 ? 1460 : left;
        uint32_t seq = from_server ? k->sseq : k->cseq;
        const uint8_t *pay = NULL;
        int ack;

        if (i == 0 && (tls || text))
            pay = sc_head(S, seq, len, tls, text, bytes);
        left -= len;
        sc_tcp(S, r, k, t, from_server, F_ACK | (left ? 0u : F_PSH), len, pay);
        if (t > last)
            last = t;
        i++;
        ack = left ? i % 2 == 0 : ack_last;
        if (ack) {
            uint64_t ta =
                t + (left ? USEC(rng_range(r, 30, 300)) : USEC(rng_range(r, 1000, 40000)));

            sc_tcp(S, r, k, ta, !from_server, F_ACK, 0, NULL);
            if (ta > last)
                last = ta;
        }
        if (left)
            t += gap - gap / 4 + rng_below(r, gap / 2 + 1);
    }
    return last;
}

struct cspec {
    uint32_t cli, srv, sport;
    int mode;           /* PL_RAW, PL_TLS or PL_HTTP */
    int hs;             /* a TLS handshake before the request */
    const char *host;   /* HTTP Host */
    uint32_t req, resp; /* bytes */
    uint32_t rtt_ms;
    uint32_t rate; /* server send rate, kB/s */
    uint64_t idle; /* after the response, before the client's FIN */
    int rst;       /* the server resets instead of answering */
};

static const char sc_ua[] =
    "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64)\r\nAccept: */*\r\n"
    "Accept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n";

static uint64_t small_gap_r(struct rng *r)
{
    return USEC(rng_range(r, 40, 400));
}

/* one TCP connection: handshake, optional TLS handshake, request, response,
 * idle time, close from the client.  Returns the time of its last packet. */
static uint64_t sc_conn(struct scen *S, struct rng *r, uint64_t t, const struct cspec *c)
{
    struct sconn k;
    char text[320];
    uint64_t rtt = MSEC(c->rtt_ms) + USEC(rng_below(r, 3000));
    uint64_t gap = (uint64_t)1460 * 1000000u / (c->rate ? c->rate : 1);
    uint32_t tls = c->mode == PL_TLS ? 0x17 : 0, n;
    uint32_t cport = sc_eph(r, c->cli);

    sc_conn_init(r, &k, c->cli, cport, c->srv, c->sport);
    sc_tcp(S, r, &k, t, 0, F_SYN, 0, NULL);
    sc_tcp(S, r, &k, t += rtt, 1, F_SYN | F_ACK, 0, NULL);
    sc_tcp(S, r, &k, t += small_gap_r(r), 0, F_ACK, 0, NULL);
    if (c->hs) {
        n = rng_below(r, 2) ? 517 : rng_range(r, 240, 600);
        t = sc_msg(S, r, &k, t + small_gap_r(r), 0, n, 0x16, NULL, 0, 0);
        n = rng_range(r, 2600, 5200);
        t += rtt + MSEC(rng_range(r, 1, 15));
        t = sc_msg(S, r, &k, t, 1, n, 0x16, NULL, gap, 1);
        n = rng_range(r, 64, 126);
        t = sc_msg(S, r, &k, t + small_gap_r(r), 0, n, 0x14, NULL, 0, 0);
    }
    n = rng_below(r, 1u << 30);
    if (c->sport == 8080)
        snprintf(text, sizeof(text), "POST /%08x/submit HTTP/1.1\r\nHost: %s\r\n%s", n,
                 c->host ? c->host : "-", sc_ua);
    else
        snprintf(text, sizeof(text), "GET /%08x HTTP/1.1\r\nHost: %s\r\n%s", n,
                 c->host ? c->host : "-", sc_ua);
    t = sc_msg(S, r, &k, t + small_gap_r(r), 0, c->req, tls, c->mode == PL_HTTP ? text : NULL,
               USEC(150), 0);
    if (c->rst) {
        sc_tcp(S, r, &k, t += rtt, 1, SC_F_RST | F_ACK, 0, NULL);
        return t;
    }
    snprintf(text, sizeof(text),
             "HTTP/1.1 200 OK\r\nContent-Length: %u\r\n"
             "Content-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\n",
             c->resp);
    t += rtt + MSEC(rng_range(r, 1, 40));
    t = sc_msg(S, r, &k, t, 1, c->resp, tls, c->mode == PL_HTTP ? text : NULL, gap,
               c->idle > MSEC(50));
    t += c->idle;
    sc_tcp(S, r, &k, t, 0, F_FIN | F_ACK, 0, NULL);
    sc_tcp(S, r, &k, t += rtt, 1, F_FIN | F_ACK, 0, NULL);
    sc_tcp(S, r, &k, t += small_gap_r(r), 0, F_ACK, 0, NULL);
    return t;
}

/* a short beacon check-in: handshake, ~200 B request, ~300 B reply, close */
static uint64_t sc_checkin(struct scen *S, struct rng *r, uint64_t t, uint32_t cli, uint32_t srv,
                           uint32_t port, int mode, const char *host, uint32_t rtt_ms, int rst)
{
    struct cspec c;

    memset(&c, 0, sizeof(c));
    c.cli = cli;
    c.srv = srv;
    c.sport = port;
    c.mode = mode;
    c.host = host;
    c.req = rng_range(r, 180, 220);
    c.resp = rng_range(r, 280, 340);
    c.rtt_ms = rtt_ms;
    c.rate = 2000;
    c.idle = MSEC(rng_range(r, 2, 30));
    c.rst = rst;
    return sc_conn(S, r, t, &c);
}

/* random time in [a, b), denser when the office is busy */
static uint64_t sc_pick_time(struct rng *r, uint64_t a, uint64_t b)
{
    uint64_t span = b > a ? (b - a) / NS_PER_SEC : 0;

    if (span == 0)
        return a;
    for (;;) {
        uint64_t t = a + SEC(rng_below(r, span));

        t += rng_below(r, NS_PER_SEC);
        if (rng_below(r, 1000) < sc_weight(t))
            return t;
    }
}

static struct scrow *sc_row(struct scen *S, const char *name, const char *kind, uint32_t src,
                            uint32_t dst, int proto, int dport, uint32_t period, const char *series)
{
    struct scrow *w;

    if (S->nrows == SC_MAXROWS)
        die("internal error: too many truth rows");
    w = &S->rows[S->nrows++];
    memset(w, 0, sizeof(*w));
    snprintf(w->name, sizeof(w->name), "%s", name);
    w->kind = kind;
    w->src = src;
    w->dst = dst;
    w->proto = proto;
    w->dport = dport;
    w->period = period;
    w->series = series;
    return w;
}

/* pick k distinct hosts (indexes) into out */
static void sc_pick_hosts(struct scen *S, struct rng *r, uint32_t *out, uint32_t k)
{
    uint32_t tmp[SC_MAX_HOSTS], i;

    for (i = 0; i < S->nhosts; i++)
        tmp[i] = i;
    for (i = 0; i < k; i++) {
        uint32_t j = i + rng_below(r, S->nhosts - i), x = tmp[i];

        tmp[i] = tmp[j];
        tmp[j] = x;
        out[i] = tmp[i];
    }
}

/* browsing server names: prefix.site.example, unique per server */
static void sc_name(uint32_t idx, char *buf, size_t len)
{
    static const char *const pre[10] = {
        "www", "cdn", "api", "static", "img", "login", "news", "video", "assets", "mail",
    };
    static const char *const syl[16] = {
        "ka", "lo", "mi", "ne", "ra", "to", "vi", "su",
        "pe", "da", "zo", "fi", "gu", "ha", "ji", "be",
    };
    uint32_t code = ((idx / 3) * 1597u + 101u) % 4096u;

    snprintf(buf, len, "%s.%s%s%s.example", pre[idx % 10], syl[code >> 8], syl[(code >> 4) & 15],
             syl[code & 15]);
}

static void sc_setup(struct scen *S)
{
    static const uint16_t net16[10] = {
        0x1720, 0x2262, 0x3454, 0x6810, 0x8efa, 0x9765, 0x9df0, 0xacd9, 0xb9c7, 0xc7e8,
    }; /* 23.32, 34.98, 52.84, 104.16, 142.250, 151.101, 157.240, 172.217, 185.199, 199.232 */
    struct rng r;
    uint32_t i, n = 0, cum = 0;

    sc_rng(S, &r, 0);
    for (i = 0; i < SC_BLK; i++)
        S->blk[i] = (uint8_t)rng_next(&r);
    S->psum[0] = 0;
    for (i = 0; i < SC_BLK; i++)
        S->psum[i + 1] = S->psum[i] + ((i & 1) ? S->blk[i] : (uint64_t)S->blk[i] << 8);
    sc_pick_hosts(S, &r, S->perm, S->nhosts);
    while (n < SC_NSERV) {
        uint32_t net = net16[rng_below(&r, 10)];
        uint32_t ip = net << 16 | rng_below(&r, 65536), j;

        if ((ip & 0xff) == 0 || (ip & 0xff) == 255)
            continue;
        for (j = 0; j < n && S->serv[j] != ip; j++)
            ;
        if (j < n)
            continue;
        S->serv[n] = ip;
        S->servport[n] = rng_below(&r, 100) < 15 ? 80 : 443;
        S->servrtt[n] = (uint16_t)rng_range(&r, 5, 120);
        cum += 1000000u / (n + 1);
        S->zcum[n] = cum;
        n++;
    }
}

static uint32_t sc_zipf(struct scen *S, struct rng *r)
{
    uint32_t x = rng_below(r, S->zcum[SC_NSERV - 1]), lo = 0, hi = SC_NSERV - 1;

    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;

        if (S->zcum[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* response sizes of web requests: heavy-tailed */
static uint32_t sc_websize(struct rng *r)
{
    uint32_t c = rng_below(r, 100);

    if (c < 40)
        return rng_range(r, 300, 3000);
    if (c < 70)
        return rng_range(r, 3000, 20000);
    if (c < 90)
        return rng_range(r, 20000, 100000);
    if (c < 98)
        return rng_range(r, 100000, 400000);
    return rng_range(r, 400000, 1500000);
}

/* 1 + a small heavy-tailed count */
static uint32_t sc_count(struct rng *r, uint32_t p0, uint32_t p1, uint32_t p2, uint32_t max)
{
    uint32_t c = rng_below(r, 100);

    if (c < p0)
        return 1;
    if (c < p1)
        return 2;
    if (c < p2)
        return 3;
    return rng_range(r, 4, max);
}

/* browsing: Poisson bursts per host (thinned per second by the diurnal
 * curve and the host's activity), DNS before most new server contacts */
static void sc_browse(struct scen *S, uint32_t *conns, uint32_t *hostconns)
{
    struct rng r;
    uint64_t *lastdns = xrealloc(NULL, SC_NSERV * sizeof(*lastdns));
    uint64_t span = (S->t1 - S->t0) / NS_PER_SEC;
    uint32_t h;

    sc_rng(S, &r, 1);
    for (h = 0; h < S->nhosts; h++) {
        uint32_t host = SC_HOST(h), fav[SC_NFAV], act, c = rng_below(&r, 100), i;
        uint64_t p[24], s;

        act = c < 30 ? 400 : c < 80 ? 1000 : c < 95 ? 2000 : 3500;
        for (i = 0; i < SC_NFAV; i++)
            fav[i] = rng_below(&r, SC_NSERV);
        for (i = 0; i < 24; i++)
            p[i] = ((uint64_t)SC_BROWSE_RATE * sc_diurnal[i] * act << 32) / 3600000000u;
        memset(lastdns, 0, SC_NSERV * sizeof(*lastdns));
        for (s = 0; s < span; s++) {
            uint64_t tb = S->t0 + SEC(s), tt;
            uint32_t nserv, j;

            if ((rng_next(&r) >> 32) >= p[(tb / NS_PER_SEC) % 86400 / 3600])
                continue;
            tb += rng_below(&r, NS_PER_SEC);
            nserv = sc_count(&r, 50, 80, 93, 6);
            for (j = 0; j < nserv; j++) {
                uint32_t idx, nconn, k;
                char name[64];

                if (rng_below(&r, 100) < 25)
                    idx = fav[rng_below(&r, SC_NFAV)];
                else
                    idx = sc_zipf(S, &r);
                tt = tb + MSEC(rng_below(&r, 1500));
                if ((lastdns[idx] == 0 || tt - lastdns[idx] > SEC(300)) && rng_below(&r, 10)) {
                    sc_name(idx, name, sizeof(name));
                    S->comp = SC_C_DNS;
                    tt = sc_dns_a(S, &r, tt, host, name, S->serv[idx]);
                    S->comp = SC_C_BROWSE;
                    lastdns[idx] = tt;
                    tt += USEC(rng_range(&r, 100, 3000));
                }
                nconn = sc_count(&r, 60, 85, 95, 6);
                for (k = 0; k < nconn; k++) {
                    struct cspec cs;

                    sc_name(idx, name, sizeof(name));
                    memset(&cs, 0, sizeof(cs));
                    cs.cli = host;
                    cs.srv = S->serv[idx];
                    cs.sport = S->servport[idx];
                    cs.mode = cs.sport == 443 ? PL_TLS : PL_HTTP;
                    cs.hs = cs.sport == 443;
                    cs.host = name;
                    cs.req = cs.mode == PL_TLS ? rng_range(&r, 200, 900) : rng_range(&r, 280, 700);
                    cs.resp = sc_websize(&r);
                    cs.rtt_ms = S->servrtt[idx];
                    cs.rate = rng_range(&r, 500, 20000);
                    if (rng_below(&r, 100) < 30)
                        cs.idle = MSEC(rng_range(&r, 5, 200));
                    else
                        cs.idle = MSEC(rng_range(&r, 1000, 60000));
                    sc_conn(S, &r, tt + MSEC(rng_below(&r, 800)), &cs);
                    tt += MSEC(rng_below(&r, 2000));
                    conns[(size_t)h * SC_NSERV + idx]++;
                    hostconns[h]++;
                }
            }
        }
    }
    free(lastdns);
}

/* bulk downloads: one long connection each, 50-500 MB in at most 13000
 * server segments of k * 1460 bytes (an ACK for every second one: under
 * 20000 packets in all) */
static void sc_bulk(struct scen *S)
{
    static const uint32_t mirrors[6] = {
        0x5bbd5b26u, 0x5bbd5b27u, 0x5bbd5c12u, 0x5bbd5c13u, 0x5bbd5815u, 0x5bbd5816u,
    }; /* 91.189.91.38, .91.39, .92.18, .92.19, .88.21, .88.22 */
    struct rng r;
    uint32_t nb = S->nhosts / 10 > 2 ? S->nhosts / 10 : 2, i, d, nrow = 0;

    sc_rng(S, &r, 2);
    S->comp = SC_C_BULK;
    for (i = 0; i < nb; i++) {
        uint32_t host = SC_HOST(S->perm[(13 + i) % S->nhosts]);
        uint32_t ndl = 1 + rng_below(&r, 2), m0 = rng_below(&r, 6);

        for (d = 0; d < ndl; d++) {
            uint32_t srv = mirrors[(m0 + d) % 6], port = rng_below(&r, 2) ? 443 : 80;
            uint32_t size = rng_range(&r, 50000000u, 500000000u);
            uint32_t rate = rng_range(&r, 2000, 25000), nmss = (size + 18979999u) / 18980000u;
            uint32_t seg = nmss * 1460, nseg = (size + seg - 1) / seg, left = size, k;
            uint64_t gap = (uint64_t)seg * 1000000u / rate, dur = gap * nseg + SEC(60);
            uint64_t rtt = MSEC(rng_range(&r, 8, 60)), t;
            struct sconn c;
            struct scrow *w;
            char name[64], text[320], rn[24];

            t = sc_pick_time(&r, S->t0, S->t1 > S->t0 + dur ? S->t1 - dur : S->t0 + SEC(1));
            snprintf(name, sizeof(name), "dl%u.mirror.example", (m0 + d) % 6 + 1);
            t = sc_dns_a(S, &r, t, host, name, srv) + USEC(rng_range(&r, 100, 2000));
            sc_conn_init(&r, &c, host, sc_eph(&r, host), srv, port);
            sc_tcp(S, &r, &c, t, 0, F_SYN, 0, NULL);
            sc_tcp(S, &r, &c, t += rtt, 1, F_SYN | F_ACK, 0, NULL);
            sc_tcp(S, &r, &c, t += small_gap_r(&r), 0, F_ACK, 0, NULL);
            if (port == 443) {
                t = sc_msg(S, &r, &c, t + small_gap_r(&r), 0, 517, 0x16, NULL, 0, 0);
                t = sc_msg(S, &r, &c, t + rtt, 1, 4100, 0x16, NULL, USEC(100), 1);
                t = sc_msg(S, &r, &c, t + small_gap_r(&r), 0, 80, 0x14, NULL, 0, 0);
                k = rng_range(&r, 300, 600);
                t = sc_msg(S, &r, &c, t + small_gap_r(&r), 0, k, 0x17, NULL, 0, 0);
                t = sc_msg(S, &r, &c, t + rtt, 1, 1460, 0x17, NULL, 0, 0);
            } else {
                snprintf(text, sizeof(text),
                         "GET /pool/images/release-%u.iso HTTP/1.1\r\nHost: %s\r\n%s", size % 97,
                         name, sc_ua);
                k = rng_range(&r, 150, 400);
                t = sc_msg(S, &r, &c, t + small_gap_r(&r), 0, k, 0, text, 0, 0);
                snprintf(text, sizeof(text),
                         "HTTP/1.1 200 OK\r\nContent-Length: %u\r\n"
                         "Content-Type: application/octet-stream\r\n",
                         size);
                t = sc_msg(S, &r, &c, t + rtt, 1, 1460, 0, text, 0, 0);
            }
            for (k = 0; k < nseg; k++) {
                uint32_t len = left > seg ? seg : left;

                left -= len;
                if (len + 54 <= SC_SNAP)
                    sc_tcp(S, &r, &c, t, 1, F_ACK | F_PSH, len, NULL);
                else
                    sc_tcp_big(S, &r, &c, t, len, left ? 0u : F_PSH);
                if (k % 2 == 1 || !left)
                    sc_tcp(S, &r, &c, t + USEC(rng_range(&r, 30, 400)), 0, F_ACK, 0, NULL);
                t += gap - gap / 4 + rng_below(&r, gap / 2 + 1);
            }
            t += MSEC(rng_range(&r, 50, 3000));
            sc_tcp(S, &r, &c, t, 0, F_FIN | F_ACK, 0, NULL);
            sc_tcp(S, &r, &c, t += rtt, 1, F_FIN | F_ACK, 0, NULL);
            sc_tcp(S, &r, &c, t += small_gap_r(&r), 0, F_ACK, 0, NULL);
            snprintf(rn, sizeof(rn), "bulk-%u", ++nrow);
            w = sc_row(S, rn, "negative", host, srv, IPPROTO_TCP_, (int)port, 0, "packets");
            snprintf(w->desc, sizeof(w->desc),
                     "bulk download over %s, one connection, %u bytes in %u server segments "
                     "of up to %u bytes (receive offload), about %u kB/s",
                     port == 443 ? "HTTPS" : "HTTP", size, nseg, seg, rate);
        }
    }
}

/* a long TLS session from the first minutes to the end of the capture with
 * a keepalive pair every lo..hi us and, with probability burst_pm per mille
 * of the diurnal weight, a burst of messages; returns the number of
 * keepalives */
static uint64_t sc_session(struct scen *S, struct rng *r, uint32_t cli, uint32_t srv, uint32_t port,
                           uint32_t lo_us, uint32_t hi_us, uint32_t req_lo, uint32_t req_hi,
                           uint32_t resp_lo, uint32_t resp_hi, uint32_t burst_pm, uint32_t rtt_ms)
{
    struct sconn c;
    uint64_t rtt = MSEC(rtt_ms), t, beats = 0;
    uint32_t n;

    t = S->t0 + USEC(rng_range(r, 1000000, 30000000));
    sc_conn_init(r, &c, cli, sc_eph(r, cli), srv, port);
    sc_tcp(S, r, &c, t, 0, F_SYN, 0, NULL);
    sc_tcp(S, r, &c, t += rtt, 1, F_SYN | F_ACK, 0, NULL);
    sc_tcp(S, r, &c, t += small_gap_r(r), 0, F_ACK, 0, NULL);
    t = sc_msg(S, r, &c, t + small_gap_r(r), 0, 517, 0x16, NULL, 0, 0);
    t = sc_msg(S, r, &c, t + rtt, 1, 3900, 0x16, NULL, USEC(120), 1);
    t = sc_msg(S, r, &c, t + small_gap_r(r), 0, 80, 0x14, NULL, 0, 0);
    for (;;) {
        t += USEC(rng_range(r, lo_us, hi_us));
        if (t >= S->t1)
            break;
        n = rng_range(r, req_lo, req_hi);
        sc_msg(S, r, &c, t, 0, n, 0x17, NULL, 0, 0);
        n = rng_range(r, resp_lo, resp_hi);
        t = sc_msg(S, r, &c, t + rtt + USEC(rng_below(r, 5000)), 1, n, 0x17, NULL, 0, 0);
        beats++;
        if (burst_pm && rng_below(r, 1000000) < burst_pm * sc_weight(t)) {
            uint32_t m = rng_range(r, 2, 12), j;

            for (j = 0; j < m; j++) {
                uint64_t dt = MSEC(rng_range(r, 50, 3000));
                int from_server = rng_below(r, 3) != 0;

                n = rng_range(r, 80, 6000);
                t = sc_msg(S, r, &c, t + dt, from_server, n, 0x17, NULL, USEC(200), 1);
            }
        }
    }
    return beats;
}

static void sc_keepalive(struct scen *S)
{
    static const uint32_t srv[3] = {0x28631a42u, 0x287e1c05u, 0xa27d4e0bu};
    static const uint32_t port[3] = {443, 993, 5222};
    static const char *const what[3] = {"chat (HTTPS)", "mail (IMAPS)", "chat (XMPP over TLS)"};
    struct rng r;
    uint32_t i;

    sc_rng(S, &r, 3);
    S->comp = SC_C_KEEPALIVE;
    for (i = 0; i < 3; i++) {
        uint32_t host = SC_HOST(S->perm[(10 + i) % S->nhosts]);
        uint64_t beats = sc_session(S, &r, host, srv[i], port[i], 30000000u, 120000000u, 29, 60, 29,
                                    60, 120, rng_range(&r, 15, 90));
        struct scrow *w;
        char rn[24];

        snprintf(rn, sizeof(rn), "keepalive-%u", i + 1);
        w = sc_row(S, rn, "negative", host, srv[i], IPPROTO_TCP_, (int)port[i], 0, "packets");
        snprintf(w->desc, sizeof(w->desc),
                 "one long %s session: a keepalive pair every 30-120 s (uniform), message "
                 "bursts in busy hours; %llu keepalives",
                 what[i], (unsigned long long)beats);
    }
}

/* NTP: poll 64 s, doubling after 8 polls up to 1024 s, from a boot time
 * that may be before the capture */
static void sc_ntp(struct scen *S)
{
    static const uint32_t srv[2] = {0xa29fc801u, 0xa29fc87bu}; /* 162.159.200.1, .123 */
    struct rng r;
    uint32_t hosts[SC_MAX_HOSTS], n = S->nhosts / 5 > 2 ? S->nhosts / 5 : 2, i;

    sc_rng(S, &r, 4);
    S->comp = SC_C_NTP;
    sc_pick_hosts(S, &r, hosts, n);
    for (i = 0; i < n; i++) {
        uint32_t host = SC_HOST(hosts[i]), s = srv[rng_below(&r, 2)], poll = 64, cnt = 0;
        uint64_t boot = S->t0 - SEC(4 * 3600) +
                        SEC(rng_below(&r, 4 * 3600 + (uint32_t)((S->t1 - S->t0) / NS_PER_SEC / 2)));
        uint64_t t = boot, beats = 0;
        uint32_t first = 0;
        struct scrow *w;
        char rn[24];

        while (t < S->t1) {
            if (t >= S->t0) {
                uint64_t tr = t + USEC(rng_range(&r, 8000, 40000));
                uint8_t m[48];

                ntp_msg(m, 0, t);
                m[2] = (uint8_t)(poll == 64    ? 6
                                 : poll == 128 ? 7
                                 : poll == 256 ? 8
                                 : poll == 512 ? 9
                                               : 10);
                sc_udp(S, &r, t, host, 123, s, 123, m, sizeof(m));
                ntp_msg(m, 1, tr);
                m[2] = (uint8_t)(poll == 64    ? 6
                                 : poll == 128 ? 7
                                 : poll == 256 ? 8
                                 : poll == 512 ? 9
                                               : 10);
                sc_udp(S, &r, tr, s, 123, host, 123, m, sizeof(m));
                if (!beats)
                    first = poll;
                beats++;
            }
            t += SEC(poll) + USEC(rng_below(&r, 300000));
            if (++cnt == 8 && poll < 1024) {
                poll *= 2;
                cnt = 0;
            }
        }
        snprintf(rn, sizeof(rn), "ntp-%u", i + 1);
        w = sc_row(S, rn, "benign_periodic", host, s, IPPROTO_UDP_, 123, 1024, "flows");
        w->beats = beats;
        snprintf(w->desc, sizeof(w->desc),
                 "NTP client: poll 64 s doubling every 8 polls up to 1024 s (+0-0.3 s); "
                 "poll %u s at the start of the capture",
                 first);
    }
}

/* periodic HTTPS check-ins of an OS service: DNS, then one connection */
static void sc_service(struct scen *S, int comp, uint32_t id, const char *label,
                       const uint32_t *srv, const char *const *names, uint32_t period, uint32_t pct,
                       uint32_t req_lo, uint32_t req_hi, uint32_t resp_lo, uint32_t resp_hi,
                       const char *what)
{
    struct rng r;
    uint32_t hosts[SC_MAX_HOSTS], n = S->nhosts / 5 > 2 ? S->nhosts / 5 : 2, i;
    uint32_t lo = period * (100 - pct) * 10000u, hi = period * (100 + pct) * 10000u;

    sc_rng(S, &r, id);
    S->comp = comp;
    sc_pick_hosts(S, &r, hosts, n);
    for (i = 0; i < n; i++) {
        uint32_t host = SC_HOST(hosts[i]), which = rng_below(&r, 2), rtt = rng_range(&r, 10, 40);
        uint64_t t = S->t0 + USEC(rng_below(&r, hi)), beats = 0;
        struct scrow *w;
        char rn[24];

        for (; t < S->t1; t += USEC(rng_range(&r, lo, hi))) {
            struct cspec c;
            uint64_t ts = sc_dns_a(S, &r, t, host, names[which], srv[which]);

            memset(&c, 0, sizeof(c));
            c.cli = host;
            c.srv = srv[which];
            c.sport = 443;
            c.mode = PL_TLS;
            c.hs = 1;
            c.req = rng_range(&r, req_lo, req_hi);
            c.resp = rng_range(&r, resp_lo, resp_hi);
            c.rtt_ms = rtt;
            c.rate = 5000;
            c.idle = MSEC(rng_range(&r, 20, 2000));
            sc_conn(S, &r, ts + USEC(rng_range(&r, 200, 3000)), &c);
            beats++;
        }
        snprintf(rn, sizeof(rn), "%s-%u", label, i + 1);
        w = sc_row(S, rn, "benign_periodic", host, srv[which], IPPROTO_TCP_, 443, period, "flows");
        w->beats = beats;
        snprintf(w->desc, sizeof(w->desc),
                 "%s every %u s +-%u%% (DNS for %s, then one HTTPS "
                 "connection)",
                 what, period, pct, names[which]);
    }
}

static void sc_iot(struct scen *S)
{
    static const uint32_t cloud = 0x03785d2au; /* 3.120.93.42 */
    struct rng r;
    uint64_t t, beats = 0;
    uint32_t mid, tok, sport;
    struct scrow *w;

    sc_rng(S, &r, 7);
    S->comp = SC_C_IOT;
    mid = rng_below(&r, 65536);
    tok = (uint32_t)rng_next(&r);
    sport = rng_range(&r, 49152, 65535);
    for (t = S->t0 + USEC(rng_below(&r, 300000000u)); t < S->t1; t += SEC(300)) {
        uint8_t q[64], a[96];
        size_t n;

        /* CoAP: confirmable GET /poll, then a piggybacked 2.05 Content */
        q[0] = 0x44;
        q[1] = 0x01;
        wr16be(q + 2, mid);
        wr32be(q + 4, tok);
        q[8] = 0xb4;
        memcpy(q + 9, "poll", 4);
        sc_udp(S, &r, t, SC_PRINTER, sport, cloud, 5683, q, 13);
        a[0] = 0x64;
        a[1] = 0x45;
        wr16be(a + 2, mid);
        wr32be(a + 4, tok);
        a[8] = 0xff;
        n = 9 + rng_range(&r, 12, 40);
        fill_pattern(a + 9, n - 9, mid & 0xff);
        sc_udp(S, &r, t + USEC(rng_range(&r, 25000, 60000)), cloud, 5683, SC_PRINTER, sport, a, n);
        mid = (mid + 1) & 0xffff;
        beats++;
    }
    w = sc_row(S, "iot-printer", "benign_periodic", SC_PRINTER, cloud, IPPROTO_UDP_, 5683, 300,
               "flows");
    w->beats = beats;
    snprintf(w->desc, sizeof(w->desc),
             "printer polling its cloud service with CoAP every "
             "300 s exactly");
}

/* NetBIOS first-level encoding of a 15-character name plus suffix */
static void nb_name(uint8_t *o, const char *name, uint32_t suffix)
{
    char n16[16];
    size_t i, l = strlen(name);

    memset(n16, ' ', sizeof(n16));
    memcpy(n16, name, l < 15 ? l : 15);
    n16[15] = (char)suffix;
    o[0] = 32;
    for (i = 0; i < 16; i++) {
        o[1 + 2 * i] = (uint8_t)('A' + (((uint8_t)n16[i]) >> 4));
        o[2 + 2 * i] = (uint8_t)('A' + (((uint8_t)n16[i]) & 15));
    }
    o[33] = 0;
}

static void sc_netbios(struct scen *S)
{
    struct rng r;
    uint32_t hosts[SC_MAX_HOSTS], n = S->nhosts / 8 > 2 ? S->nhosts / 8 : 2, i;

    sc_rng(S, &r, 8);
    S->comp = SC_C_NETBIOS;
    sc_pick_hosts(S, &r, hosts, n);
    for (i = 0; i < n; i++) {
        uint32_t host = SC_HOST(hosts[i]), dgm = rng_below(&r, 65536);
        uint64_t t, beats = 0;
        struct scrow *w;
        char rn[24], hn[16];

        snprintf(hn, sizeof(hn), "WS-%03u", host & 0xff);
        for (t = S->t0 + USEC(rng_below(&r, 720000000u)); t < S->t1;
             t += SEC(720) + USEC(rng_below(&r, 20000))) {
            uint8_t d[232];

            /* datagram service header, source and destination names, then
             * an SMB mailslot write of a browser host announcement */
            memset(d, 0, sizeof(d));
            d[0] = 0x11;
            d[1] = 0x02;
            wr16be(d + 2, dgm);
            wr32be(d + 4, host);
            wr16be(d + 8, 138);
            wr16be(d + 10, sizeof(d) - 14);
            nb_name(d + 14, hn, 0x00);
            nb_name(d + 48, "WORKGROUP", 0x1d);
            memcpy(d + 82, "\xffSMB\x25", 5);
            memcpy(d + 150, "\\MAILSLOT\\BROWSE", 16);
            d[168] = 0x01;
            memcpy(d + 174, hn, strlen(hn));
            sc_udp(S, &r, t, host, 138, SC_BCAST, 138, d, sizeof(d));
            dgm = (dgm + 1) & 0xffff;
            beats++;
        }
        snprintf(rn, sizeof(rn), "netbios-%u", i + 1);
        w = sc_row(S, rn, "benign_periodic", host, SC_BCAST, IPPROTO_UDP_, 138, 720, "flows");
        w->beats = beats;
        snprintf(w->desc, sizeof(w->desc),
                 "NetBIOS browser host announcement broadcast "
                 "every 720 s (+0-20 ms)");
    }
}

/* the planted beacons */
static void sc_beacons(struct scen *S)
{
    static const uint16_t net16[SC_NBEACON] = {
        0x2d4c, 0xb98d, 0x5b5c, 0x05bc, 0x8b3b, 0xa763, 0xc21a, 0x5042, 0x9246, 0x592d,
    }; /* 45.76, 185.141, 91.92, 5.188, 139.59, 167.99, 194.26, 80.66, 146.70, 89.45 */
    uint32_t b;

    for (b = 0; b < SC_NBEACON; b++) {
        struct rng r;
        uint32_t host = SC_HOST(S->perm[b]), c2, rtt, k;
        uint64_t t, beats = 0, expect = 0;
        struct scrow *w = NULL;
        char host_hdr[64];

        sc_rng(S, &r, 100 + b);
        S->comp = SC_C_BEACON + (int)b;
        do
            c2 = (uint32_t)net16[b] << 16 | rng_below(&r, 65536);
        while ((c2 & 0xff) == 0 || (c2 & 0xff) == 255);
        rtt = rng_range(&r, 30, 160);
        switch (b) {
        case 0: /* https60 */
            for (t = S->t0 + USEC(rng_below(&r, 60000000u)); t < S->t1;
                 t += USEC(rng_range(&r, 54000000u, 60000000u))) {
                sc_checkin(S, &r, t, host, c2, 443, PL_TLS, NULL, rtt, 0);
                beats++;
            }
            w = sc_row(S, "https60", "beacon", host, c2, IPPROTO_TCP_, 443, 60, "flows");
            snprintf(w->desc, sizeof(w->desc),
                     "sleep 60 s, jitter 10%% (interval uniform in "
                     "[54, 60] s); one short TLS connection per beat");
            break;
        case 1: /* jitter50 */
            for (t = S->t0 + USEC(rng_below(&r, 300000000u)); t < S->t1;
                 t += USEC(rng_range(&r, 150000000u, 300000000u))) {
                sc_checkin(S, &r, t, host, c2, 443, PL_TLS, NULL, rtt, 0);
                beats++;
            }
            w = sc_row(S, "jitter50", "beacon", host, c2, IPPROTO_TCP_, 443, 300, "flows");
            snprintf(w->desc, sizeof(w->desc),
                     "sleep 300 s, jitter 50%% (interval uniform in "
                     "[150, 300] s); one short TLS connection per beat");
            break;
        case 2: /* missed */
            snprintf(host_hdr, sizeof(host_hdr), "%u.%u.%u.%u:8080", c2 >> 24, (c2 >> 16) & 0xff,
                     (c2 >> 8) & 0xff, c2 & 0xff);
            for (t = S->t0 + USEC(rng_below(&r, 120000000u)); t < S->t1;
                 t += USEC(rng_range(&r, 116400000u, 123600000u))) {
                expect++;
                if (rng_below(&r, 4) == 0)
                    continue;
                sc_checkin(S, &r, t, host, c2, 8080, PL_HTTP, host_hdr, rtt, 0);
                beats++;
            }
            w = sc_row(S, "missed", "beacon", host, c2, IPPROTO_TCP_, 8080, 120, "flows");
            snprintf(w->desc, sizeof(w->desc),
                     "period 120 s +-3%%, a random 25%% of the beats "
                     "absent (%llu of %llu slots used); HTTP POST per beat",
                     (unsigned long long)beats, (unsigned long long)expect);
            break;
        case 3: /* bursty */
            for (t = S->t0 + USEC(rng_below(&r, 630000000u)); t < S->t1;
                 t += USEC(rng_range(&r, 570000000u, 630000000u))) {
                uint64_t tc = sc_dns_a(S, &r, t, host, "cdn.bursty-c2.example", c2);

                tc += MSEC(rng_range(&r, 5, 50));
                sc_checkin(S, &r, tc, host, c2, 443, PL_TLS, NULL, rtt, 0);
                k = rng_range(&r, 300, 900);
                sc_checkin(S, &r, tc + MSEC(k), host, c2, 443, PL_TLS, NULL, rtt, 1);
                k = rng_range(&r, 1200, 1900);
                sc_checkin(S, &r, tc + MSEC(k), host, c2, 443, PL_TLS, NULL, rtt, 0);
                beats++;
            }
            w = sc_row(S, "bursty", "beacon", host, c2, IPPROTO_TCP_, 443, 600, "flows");
            snprintf(w->desc, sizeof(w->desc),
                     "period 600 s +-5%%; each beat is a DNS query "
                     "for cdn.bursty-c2.example then 3 TLS connections within 2 s (the second "
                     "reset by the server, the third a retry)");
            break;
        case 4: /* slow */
            for (t = S->t0 + USEC(rng_below(&r, 3600000000u)); t < S->t1;
                 t += USEC(rng_range(&r, 3528000000u, 3672000000u))) {
                sc_checkin(S, &r, t, host, c2, 443, PL_TLS, NULL, rtt, 0);
                beats++;
            }
            w = sc_row(S, "slow", "beacon", host, c2, IPPROTO_TCP_, 443, 3600, "flows");
            snprintf(w->desc, sizeof(w->desc),
                     "period 3600 s +-2%%; one short TLS connection "
                     "per beat");
            break;
        case 5: /* udp30: a new socket per beat */
            for (t = S->t0 + USEC(rng_below(&r, 30000000u)); t < S->t1;
                 t += USEC(rng_range(&r, 28500000u, 31500000u))) {
                uint32_t sport = sc_eph(&r, host);
                uint32_t len = rng_range(&r, 40, 80), off = rng_below(&r, 4096);

                sc_udp(S, &r, t, host, sport, c2, 53535, S->blk + off, len);
                len = rng_range(&r, 40, 120);
                off = rng_below(&r, 4096);
                k = rng_range(&r, rtt * 1000, rtt * 1000 + 8000);
                sc_udp(S, &r, t + USEC(k), c2, 53535, host, sport, S->blk + off, len);
                beats++;
            }
            w = sc_row(S, "udp30", "beacon", host, c2, IPPROTO_UDP_, 53535, 30, "flows");
            snprintf(w->desc, sizeof(w->desc),
                     "period 30 s +-5%%; one UDP request and one "
                     "reply per beat, from a new source port each beat");
            break;
        case 6: { /* fast_short */
            uint64_t mid = S->t0 + (S->t1 - S->t0) / 2;
            uint64_t a = mid - SEC(600) + USEC(rng_below(&r, 5000000)), e = a + SEC(1200);
            char when[16];
            uint64_t sod = (a / NS_PER_SEC) % 86400;

            for (t = a; t < e; t += USEC(rng_range(&r, 4500000u, 5500000u))) {
                struct cspec c;

                memset(&c, 0, sizeof(c));
                c.cli = host;
                c.srv = c2;
                c.sport = 4444;
                c.mode = PL_RAW;
                c.req = rng_range(&r, 60, 140);
                c.resp = rng_range(&r, 60, 200);
                c.rtt_ms = rtt;
                c.rate = 2000;
                c.idle = MSEC(rng_range(&r, 1, 10));
                sc_conn(S, &r, t, &c);
                beats++;
            }
            snprintf(when, sizeof(when), "%02u:%02u:%02u", (unsigned)(sod / 3600),
                     (unsigned)(sod / 60 % 60), (unsigned)(sod % 60));
            w = sc_row(S, "fast_short", "beacon", host, c2, IPPROTO_TCP_, 4444, 5, "flows");
            snprintf(w->desc, sizeof(w->desc),
                     "period 5 s +-10%%, active only for the 20 "
                     "minutes from %s UTC (middle of the capture); one short connection per "
                     "beat",
                     when);
            break;
        }
        case 7: /* heartbeat */
            beats =
                sc_session(S, &r, host, c2, 8443, 42750000u, 47250000u, 60, 100, 40, 80, 0, rtt);
            w = sc_row(S, "heartbeat", "beacon", host, c2, IPPROTO_TCP_, 8443, 45, "flows");
            snprintf(w->desc, sizeof(w->desc),
                     "one TCP connection for the whole capture (never "
                     "closed); every 45 s +-5%% a 60-100 B client packet and a small reply");
            break;
        case 8: { /* dns_tunnel */
            static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
            static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

            for (t = S->t0 + USEC(rng_below(&r, 90000000u)); t < S->t1;
                 t += USEC(rng_range(&r, 81000000u, 99000000u))) {
                char name[64];
                uint8_t txt[128];
                uint32_t i, n = rng_range(&r, 96, 110);

                for (i = 0; i < 16; i++)
                    name[i] = alnum[rng_below(&r, 36)];
                memcpy(name + 16, ".c2-tunnel.example", 19);
                txt[0] = (uint8_t)n;
                for (i = 0; i < n; i++)
                    txt[1 + i] = (uint8_t)b32[rng_below(&r, 32)];
                k = rng_range(&r, 20000, 90000);
                sc_dns(S, &r, t, host, name, 16, txt, n + 1, USEC(k));
                beats++;
            }
            w = sc_row(S, "dns_tunnel", "beacon", host, SC_GW, IPPROTO_UDP_, 53, 90, "dns");
            snprintf(w->desc, sizeof(w->desc),
                     "domain c2-tunnel.example; TXT queries for "
                     "random 16-character subdomains through the resolver every 90 s +-10%%, "
                     "answers with about 100 B of TXT data; the host's other DNS shares the "
                     "pair");
            break;
        }
        default: /* icmp20 */
            for (t = S->t0 + USEC(rng_below(&r, 20000000u)); t < S->t1;
                 t += USEC(rng_range(&r, 19000000u, 21000000u))) {
                uint32_t id = rng_below(&r, 65536);

                sc_icmp(S, &r, t, host, c2, 8, id, 1);
                k = rng_range(&r, rtt * 1000, rtt * 1000 + 5000);
                sc_icmp(S, &r, t + USEC(k), c2, host, 0, id, 1);
                beats++;
            }
            w = sc_row(S, "icmp20", "beacon", host, c2, IPPROTO_ICMP_, -1, 20, "flows");
            snprintf(w->desc, sizeof(w->desc),
                     "ICMP echo request with 32 B payload every "
                     "20 s +-5%%, each answered; a new echo identifier each beat (one ping "
                     "process per beat)");
            break;
        }
        w->beats = beats;
    }
}

static int scev_cmp(const void *a, const void *b)
{
    const struct scev *x = a, *y = b;

    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* the 3 busiest browsing hosts and the server each contacted most */
static void sc_top_browse(struct scen *S, const uint32_t *conns, const uint32_t *hostconns)
{
    uint32_t used[3], i, j, h;

    for (i = 0; i < 3; i++) {
        uint32_t best = S->nhosts, bs = 0;
        struct scrow *w;
        char rn[24], name[64];

        for (h = 0; h < S->nhosts; h++) {
            for (j = 0; j < i && used[j] != h; j++)
                ;
            if (j < i)
                continue;
            if (best == S->nhosts || hostconns[h] > hostconns[best])
                best = h;
        }
        used[i] = best;
        for (j = 0; j < SC_NSERV; j++)
            if (conns[(size_t)best * SC_NSERV + j] > conns[(size_t)best * SC_NSERV + bs])
                bs = j;
        sc_name(bs, name, sizeof(name));
        snprintf(rn, sizeof(rn), "browse-top-%u", i + 1);
        w = sc_row(S, rn, "negative", SC_HOST(best), S->serv[bs], IPPROTO_TCP_, S->servport[bs], 0,
                   "flows");
        snprintf(w->desc, sizeof(w->desc),
                 "web browsing: the server (%s) most contacted by "
                 "the %s busiest browsing host; %u connections at Poisson burst times "
                 "(diurnal), host total %u",
                 name,
                 i == 0   ? "1st"
                 : i == 1 ? "2nd"
                          : "3rd",
                 conns[(size_t)best * SC_NSERV + bs], hostconns[best]);
    }
}

/* count every row's group (src -> dst, proto, dport) and its reverse, as
 * pcts --group port sees them */
static void sc_count_rows(struct scen *S)
{
    size_t i, j;

    for (i = 0; i < S->nev; i++) {
        const uint8_t *f = S->arena + S->ev[i].off, *ip = f + 14, *l4;
        uint32_t src, dst, proto, sp = 0, dp = 0;

        if (f[12] != 0x08 || f[13] != 0x00)
            continue;
        proto = ip[9];
        src = (uint32_t)ip[12] << 24 | (uint32_t)ip[13] << 16 | (uint32_t)ip[14] << 8 | ip[15];
        dst = (uint32_t)ip[16] << 24 | (uint32_t)ip[17] << 16 | (uint32_t)ip[18] << 8 | ip[19];
        l4 = ip + (ip[0] & 15) * 4;
        if (proto == IPPROTO_TCP_ || proto == IPPROTO_UDP_) {
            sp = (uint32_t)l4[0] << 8 | l4[1];
            dp = (uint32_t)l4[2] << 8 | l4[3];
        }
        for (j = 0; j < S->nrows; j++) {
            struct scrow *w = &S->rows[j];

            if ((int)proto != w->proto)
                continue;
            if (src == w->src && dst == w->dst && (w->dport < 0 || (int)dp == w->dport))
                w->fwd++;
            else if (src == w->dst && dst == w->src && (w->dport < 0 || (int)sp == w->dport))
                w->rev++;
        }
    }
}

static void sc_write_truth(struct scen *S, const char *path)
{
    static const char *const kinds[3] = {"beacon", "benign_periodic", "negative"};
    struct bb b;
    struct outf o;
    size_t i;
    int k;

    memset(&b, 0, sizeof(b));
    bb_printf(&b, "name\tkind\tsrc\tdst\tproto\tdport\tperiod_s\tseries\tnotes\n");
    for (k = 0; k < 3; k++) {
        for (i = 0; i < S->nrows; i++) {
            const struct scrow *w = &S->rows[i];
            char src[48], dst[48], dport[16] = "-", period[16] = "-", beats[40] = "";
            struct addr sa = a4u(w->src), da = a4u(w->dst);

            if (strcmp(w->kind, kinds[k]))
                continue;
            addr_str(&sa, src, sizeof(src));
            addr_str(&da, dst, sizeof(dst));
            if (w->dport >= 0)
                snprintf(dport, sizeof(dport), "%d", w->dport);
            if (w->period)
                snprintf(period, sizeof(period), "%u", w->period);
            if (w->beats)
                snprintf(beats, sizeof(beats), "; beats=%llu", (unsigned long long)w->beats);
            bb_printf(&b,
                      "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s%s; group_packets=%llu "
                      "reverse_packets=%llu\n",
                      w->name, w->kind, src, dst,
                      w->proto == IPPROTO_TCP_   ? "tcp"
                      : w->proto == IPPROTO_UDP_ ? "udp"
                                                 : "icmp",
                      dport, period, w->series, w->desc, beats, (unsigned long long)w->fwd,
                      (unsigned long long)w->rev);
        }
    }
    out_open(&o, path);
    out_write(&o, b.p, b.n);
    out_close(&o);
    free(b.p);
}

static void cmd_scenario(const char *path, const char *truth, uint64_t hours, uint64_t nhosts,
                         uint64_t seed, int stats)
{
    struct scen *S = xrealloc(NULL, sizeof(*S));
    uint32_t *conns, *hostconns;
    struct pcapw w;
    size_t i;
    int c;

    memset(S, 0, sizeof(*S));
    S->seed = seed;
    S->nhosts = (uint32_t)nhosts;
    S->t0 = SEC(SC_EPOCH);
    S->t1 = S->t0 + SEC(hours * 3600);
    conns = xrealloc(NULL, (size_t)S->nhosts * SC_NSERV * sizeof(*conns));
    hostconns = xrealloc(NULL, S->nhosts * sizeof(*hostconns));
    memset(conns, 0, (size_t)S->nhosts * SC_NSERV * sizeof(*conns));
    memset(hostconns, 0, S->nhosts * sizeof(*hostconns));

    sc_setup(S);
    sc_beacons(S);
    sc_ntp(S);
    {
        static const uint32_t upd[2] = {0x0d6b0432u, 0x0d6b0434u}; /* 13.107.4.50, .52 */
        static const uint32_t tel[2] = {0x142a415cu, 0x142a491du}; /* 20.42.65.92, 20.42.73.29 */
        static const char *const updn[2] = {"update1.os-vendor.example",
                                            "update2.os-vendor.example"};
        static const char *const teln[2] = {"v10.telemetry.os-vendor.example",
                                            "v20.telemetry.os-vendor.example"};

        sc_service(S, SC_C_UPDATE, 5, "update", upd, updn, 3600, 10, 300, 600, 1000, 6000,
                   "OS update check");
        sc_service(S, SC_C_TELEMETRY, 6, "telemetry", tel, teln, 900, 5, 1000, 4000, 100, 300,
                   "telemetry upload");
    }
    sc_iot(S);
    sc_netbios(S);
    sc_bulk(S);
    sc_keepalive(S);
    S->comp = SC_C_BROWSE;
    sc_browse(S, conns, hostconns);
    sc_top_browse(S, conns, hostconns);
    free(conns);
    free(hostconns);

    qsort(S->ev, S->nev, sizeof(*S->ev), scev_cmp);
    sc_count_rows(S);
    pcap_open(&w, path, 0, 0, 262144, LINKTYPE_ETHERNET);
    for (i = 0; i < S->nev; i++) {
        const struct scev *e = &S->ev[i];

        pcap_rec(&w, e->ts, S->arena + e->off, e->caplen, e->wire);
    }
    out_close(&w.o);
    sc_write_truth(S, truth);
    if (stats) {
        uint64_t tp = 0, tb = 0;

        fprintf(stderr, "%-14s %10s %14s\n", "component", "packets", "wire_bytes");
        for (c = 0; c < SC_NCOMP; c++) {
            fprintf(stderr, "%-14s %10llu %14llu\n", sc_comp_name[c], (unsigned long long)S->cpk[c],
                    (unsigned long long)S->cby[c]);
            tp += S->cpk[c];
            tb += S->cby[c];
        }
        fprintf(stderr, "%-14s %10llu %14llu\n", "total", (unsigned long long)tp,
                (unsigned long long)tb);
    }
    free(S->arena);
    free(S->ev);
    free(S);
}

/* ------------------------------------------------------------------ */
/* command line                                                         */

static uint64_t parse_u64(const char *opt, const char *s)
{
    unsigned long long v;
    char *end;
    int base = 10;

    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        base = 16;
    if (!((s[0] >= '0' && s[0] <= '9')))
        usage_error("invalid value '%s' for %s", s, opt);
    errno = 0;
    v = strtoull(s, &end, base);
    if (errno || *end || end == s)
        usage_error("invalid value '%s' for %s", s, opt);
    return (uint64_t)v;
}

struct args {
    const char *pos[2];
    int npos;
    uint64_t seed, packets, pairs, snap, hours, hosts;
    int have_packets, have_pairs, have_seed, have_snap, stats;
    const char *truth;
};

/* options may come before or after the positional arguments, as
 * "--opt VALUE" or "--opt=VALUE" */
static void parse_args(int argc, char **argv, struct args *a, int bench_opts, int seed_opt,
                       int scen_opts)
{
    int i;

    memset(a, 0, sizeof(*a));
    a->seed = DEFAULT_SEED;
    a->snap = 64;
    a->hours = 24;
    a->hosts = 40;
    for (i = 2; i < argc; i++) {
        const char *arg = argv[i], *val, *eq;
        char name[32];
        size_t len;
        int is_scen;

        if (arg[0] != '-' || arg[1] != '-' || !arg[2]) {
            if (!strcmp(arg, "--")) {
                while (++i < argc) {
                    if (a->npos == 2)
                        usage_error("too many arguments");
                    a->pos[a->npos++] = argv[i];
                }
                break;
            }
            if (arg[0] == '-' && arg[1])
                usage_error("unknown option '%s'", arg);
            if (a->npos == 2)
                usage_error("too many arguments");
            a->pos[a->npos++] = arg;
            continue;
        }
        eq = strchr(arg, '=');
        len = eq ? (size_t)(eq - arg) : strlen(arg);
        if (len >= sizeof(name))
            usage_error("unknown option '%s'", arg);
        memcpy(name, arg, len);
        name[len] = '\0';
        is_scen = !strcmp(name, "--truth") || !strcmp(name, "--hours") ||
                  !strcmp(name, "--hosts") || !strcmp(name, "--stats");
        if (strcmp(name, "--seed") && strcmp(name, "--packets") && strcmp(name, "--pairs") &&
            strcmp(name, "--snap") && !(scen_opts && is_scen))
            usage_error("unknown option '%s'", arg);
        if (!seed_opt || (!bench_opts && strcmp(name, "--seed") && !is_scen))
            usage_error("option '%s' does not apply to '%s'", name, argv[1]);
        if (!strcmp(name, "--stats")) {
            if (eq)
                usage_error("option '--stats' takes no value");
            a->stats = 1;
            continue;
        }
        if (eq) {
            val = eq + 1;
        } else {
            if (i + 1 >= argc)
                usage_error("option '%s' needs a value", name);
            val = argv[++i];
        }
        if (!strcmp(name, "--seed")) {
            a->seed = parse_u64(name, val);
            a->have_seed = 1;
        } else if (!strcmp(name, "--truth")) {
            if (!*val)
                usage_error("option '--truth' needs a file name");
            a->truth = val;
        } else if (!strcmp(name, "--hours")) {
            a->hours = parse_u64(name, val);
        } else if (!strcmp(name, "--hosts")) {
            a->hosts = parse_u64(name, val);
        } else if (!strcmp(name, "--packets")) {
            a->packets = parse_u64(name, val);
            a->have_packets = 1;
        } else if (!strcmp(name, "--pairs")) {
            a->pairs = parse_u64(name, val);
            a->have_pairs = 1;
        } else {
            a->snap = parse_u64(name, val);
            a->have_snap = 1;
        }
    }
}

int main(int argc, char **argv)
{
    struct args a;

    if (argc < 2)
        usage_error(NULL);
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        if (fputs(usage_text, stdout) == EOF || fflush(stdout) != 0)
            die("cannot write '<stdout>': %s", strerror(errno));
        return 0;
    }
    if (!strcmp(argv[1], "sample")) {
        parse_args(argc, argv, &a, 0, 1, 0);
        if (a.npos != 1)
            usage_error("'sample' takes one output file");
        cmd_sample(a.pos[0], a.seed);
    } else if (!strcmp(argv[1], "bench")) {
        parse_args(argc, argv, &a, 1, 1, 0);
        if (a.npos != 1)
            usage_error("'bench' takes one output file (or '-')");
        if (!a.have_packets || !a.have_pairs)
            usage_error("'bench' needs --packets and --pairs");
        if (a.packets == 0)
            usage_error("--packets must be at least 1");
        if (a.pairs == 0 || a.pairs > a.packets || a.pairs > BENCH_MAX_PAIRS)
            usage_error("--pairs must be between 1 and min(--packets, %u)", BENCH_MAX_PAIRS);
        if (a.snap < 54 || a.snap > 262144)
            usage_error("--snap must be between 54 and 262144");
        cmd_bench(a.pos[0], a.packets, a.pairs, a.snap, a.seed);
    } else if (!strcmp(argv[1], "cases")) {
        parse_args(argc, argv, &a, 0, 0, 0);
        if (a.npos != 1)
            usage_error("'cases' takes one directory");
        cmd_cases(a.pos[0]);
    } else if (!strcmp(argv[1], "scenario")) {
        parse_args(argc, argv, &a, 0, 1, 1);
        if (a.npos != 1)
            usage_error("'scenario' takes one output file");
        if (!a.truth)
            usage_error("'scenario' needs --truth FILE");
        if (a.hours < 1 || a.hours > SC_MAX_HOURS)
            usage_error("--hours must be between 1 and %u", SC_MAX_HOURS);
        if (a.hosts < SC_MIN_HOSTS || a.hosts > SC_MAX_HOSTS)
            usage_error("--hosts must be between %u and %u", SC_MIN_HOSTS, SC_MAX_HOSTS);
        if (!strcmp(a.pos[0], "-") && !strcmp(a.truth, "-"))
            usage_error("the capture and the truth file cannot both go to standard output");
        if (strcmp(a.pos[0], "-") == 0 && isatty(STDOUT_FILENO))
            die("refusing to write a capture to a terminal");
        cmd_scenario(a.pos[0], a.truth, a.hours, a.hosts, a.seed, a.stats);
    } else {
        usage_error("unknown command '%s'", argv[1]);
    }
    return 0;
}

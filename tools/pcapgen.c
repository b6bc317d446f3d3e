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

#define DEFAULT_SEED    0x7063747370636170ull   /* "pctspcap" */
#define EPOCH_START     1709294400ull           /* 2024-03-01 12:00:00 UTC */
#define NS_PER_SEC      1000000000ull
#define NS_PER_MS       1000000ull
#define NS_PER_US       1000ull
#define SEC(x)          ((uint64_t)(x) * NS_PER_SEC)
#define MSEC(x)         ((uint64_t)(x) * NS_PER_MS)
#define USEC(x)         ((uint64_t)(x) * NS_PER_US)

#define FRAME_MAX       4096

#define F_FIN   0x01
#define F_SYN   0x02
#define F_PSH   0x08
#define F_ACK   0x10

#define IPPROTO_ICMP_   1
#define IPPROTO_TCP_    6
#define IPPROTO_UDP_    17
#define IPPROTO_ICMPV6_ 58

#define LINKTYPE_NULL       0
#define LINKTYPE_ETHERNET   1
#define LINKTYPE_PPP        9
#define LINKTYPE_RAW12      12
#define LINKTYPE_RAW        101
#define LINKTYPE_C_HDLC     104
#define LINKTYPE_LOOP       108
#define LINKTYPE_LINUX_SLL  113
#define LINKTYPE_USER0      147
#define LINKTYPE_IPV4       228
#define LINKTYPE_IPV6       229
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
    "       pcapgen cases DIR\n";

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
            w = snprintf(buf + k, len - k, "%s%x",
                         (k > 0 && buf[k - 1] != ':') ? ":" : "", g[i]);
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
    uint16_t sport, dport;      /* TCP/UDP */
    uint8_t flags;              /* TCP */
    uint32_t seq, ack;          /* TCP */
    uint16_t win;               /* TCP */
    uint8_t icmp_type;          /* echo request/reply */
    uint16_t icmp_id, icmp_seq;
    uint16_t ip_id;             /* IPv4 */
    uint8_t ttl;                /* TTL or hop limit, 64 if 0 */
    const uint8_t *pay;         /* NULL: a fixed printable pattern */
    size_t paylen;
};

static uint64_t pseudo_sum(const struct addr *s, const struct addr *d,
                           uint32_t proto, size_t len)
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
    default:
        die("internal error: protocol %u", p->proto);
    }
    if (p->pay)
        memcpy(o + h, p->pay, p->paylen);
    else
        fill_pattern(o + h, p->paylen, p->paylen);
    total = h + p->paylen;
    sum = p->proto == IPPROTO_ICMP_ ? 0 : pseudo_sum(&p->src, &p->dst, p->proto, total);
    c = csum_fold(csum_add(sum, o, total));
    switch (p->proto) {
    case IPPROTO_TCP_:
        wr16be(o + 16, c);
        break;
    case IPPROTO_UDP_:
        wr16be(o + 6, c ? c : 0xffff);
        break;
    default:
        wr16be(o + 2, c);
        break;
    }
    return total;
}

static uint16_t ip4_checksum(const uint8_t *ip, size_t hl)
{
    return csum_fold(csum_add(0, ip, hl));
}

/* IPv4 header with optlen (multiple of 4) bytes of options */
static size_t ip4_hdr(uint8_t *o, const struct addr *s, const struct addr *d,
                      uint32_t proto, size_t total, uint32_t id, uint32_t frag,
                      uint32_t ttl, const uint8_t *opt, size_t optlen)
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

static size_t ip6_hdr(uint8_t *o, const struct addr *s, const struct addr *d,
                      uint32_t next, size_t plen, uint32_t hlim)
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
static size_t dns_msg(uint8_t *o, uint32_t id, int response, const char *name,
                      uint32_t qtype, const uint8_t *rdata, size_t rdlen)
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

static void pcap_open(struct pcapw *w, const char *path, int be, int nsec,
                      uint32_t snaplen, uint32_t linktype)
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

static uint64_t pcap_rec(struct pcapw *w, uint64_t ts_ns, const uint8_t *d,
                         size_t caplen, size_t wire)
{
    uint64_t ts = pcap_rec_hdr(w, ts_ns, (uint32_t)caplen, (uint32_t)wire);

    out_write(&w->o, d, caplen);
    return ts;
}

/* ------------------------------------------------------------------ */
/* sample: the one-hour demo capture                                    */

struct sev {
    uint64_t ts;        /* ns */
    uint64_t off;       /* into the arena */
    uint32_t seq;       /* generation order: stable tie-break */
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

static const uint8_t gw_mac[6] = { 0x00, 0x00, 0x5e, 0x00, 0x53, 0x01 };

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
    static const uint8_t lan6[8] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0 };

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
    uint32_t cseq, sseq;        /* next sequence number of each side */
};

static void tc_init(struct sample *S, struct tconn *t, struct addr c, uint32_t cport,
                    struct addr s, uint32_t sport)
{
    t->c = c;
    t->s = s;
    t->cport = (uint16_t)cport;
    t->sport = (uint16_t)sport;
    t->cseq = (uint32_t)rng_next(&S->rng);
    t->sseq = (uint32_t)rng_next(&S->rng);
}

/* one segment; the ACK field acknowledges everything the peer has sent */
static void tc_send(struct sample *S, struct tconn *t, uint64_t ts, int from_server,
                    uint32_t flags, size_t len, const uint8_t *pay)
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

static void s_udp(struct sample *S, uint64_t t, struct addr src, uint32_t sport,
                  struct addr dst, uint32_t dport, const uint8_t *pay, size_t len)
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
    "www.example.com", "api.example.com", "cdn.example.net", "mail.example.org",
    "login.example.com", "static.example.net", "updates.example.org",
    "news.example.com", "img.example.net", "chat.example.org", "docs.example.com",
    "video.example.net", "telemetry.example.org", "shop.example.com",
    "files.example.net", "calendar.example.org",
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
        wr32be(o + 12, 0xc0000201u);   /* reference id */
        wr32be(o + 16, (uint32_t)(sec - 30));
        wr32be(o + 32, (uint32_t)sec);
        wr32be(o + 36, (uint32_t)frac);
    }
    wr32be(o + 40, (uint32_t)sec);
    wr32be(o + 44, (uint32_t)frac);
}

static void s_icmp(struct sample *S, uint64_t t, struct addr src, struct addr dst,
                   uint32_t type, uint32_t id, uint32_t seq)
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
    for (t = t0 + SEC(41); t < t_end - SEC(10); t += USEC(rng_range(&S->rng, 285000000u, 315000000u))) {
        uint32_t sp = rng_range(&S->rng, 32768, 60999);
        size_t len = rng_range(&S->rng, 120, 160);
        uint64_t tr;

        s_udp(S, t, a4(10, 0, 0, 31), sp, a4(198, 51, 100, 77), 8443,
              s_random_payload(S, len), len);
        len = rng_range(&S->rng, 200, 300);
        tr = t + MSEC(rng_range(&S->rng, 40, 70));
        s_udp(S, tr, a4(198, 51, 100, 77), 8443, a4(10, 0, 0, 31), sp,
              s_random_payload(S, len), len);
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
        static const char get[] =
            "GET /images/installer-2024.03.iso HTTP/1.1\r\n"
            "Host: mirror.example.net\r\n"
            "User-Agent: pcapgen\r\n"
            "Accept: */*\r\n\r\n";
        static const char resp_hdr[] =
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: application/octet-stream\r\n"
            "Content-Length: 11680000\r\n\r\n";
        struct tconn c;
        uint64_t rtt = MSEC(24);

        t = t0 + SEC(1800) + MSEC(250);
        tc_init(S, &c, a4(10, 0, 0, 12), 51514, a4(192, 0, 2, 200), 80);
        tc_send(S, &c, t, 0, F_SYN, 0, NULL);
        tc_send(S, &c, t += rtt, 1, F_SYN | F_ACK, 0, NULL);
        tc_send(S, &c, t += small_gap(S), 0, F_ACK, 0, NULL);
        tc_send(S, &c, t += small_gap(S), 0, F_PSH | F_ACK, sizeof(get) - 1,
                (const uint8_t *)get);
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
        s_icmp(S, t + USEC(rng_range(&S->rng, 250, 900)), a4(10, 0, 0, 1),
               a4(10, 0, 0, 5), 0, 0x1d2c, k + 1);
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

#define BENCH_PAT       1480            /* longest payload: 1514 - 14 - 20 - 8 */
#define BENCH_BUF       ((size_t)8 << 20)
#define BENCH_SPAN_US   3600000000ull
#define BENCH_MAX_PAIRS (1u << 24)

struct bpair {
    uint32_t src, dst, isn, ack;
    uint16_t sport, dport, icmp_id;
    uint8_t proto;
};

static const uint16_t bench_tcp_ports[16] = {
    443, 443, 443, 443, 443, 443, 443, 80, 80, 80, 22, 25, 993, 8080, 3389, 445,
};
static const uint16_t bench_udp_ports[8] = { 53, 53, 53, 443, 443, 123, 161, 514 };
static const uint8_t bench_pub8[8] = { 23, 34, 52, 104, 142, 151, 157, 185 };

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
        bp->dst = (uint32_t)bench_pub8[d2 & 7] << 24
                  | ((d2 * 0x5851f5u + (salt >> 4)) & 0xffffffu);
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
    static const uint8_t dmac[6] = { 0x00, 0x00, 0x5e, 0x00, 0x53, 0x01 };

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
        sum = 0x4500u + totlen + ((uint32_t)i & 0xffff)
              + (bp.proto == IPPROTO_TCP_ ? 0x4000u : 0) + (64u << 8 | bp.proto) + asum;
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
            sum = asum + IPPROTO_TCP_ + tl + bp.sport + bp.dport
                  + (seq >> 16) + (seq & 0xffff) + (bp.ack >> 16) + (bp.ack & 0xffff)
                  + 0x5018u + 502 + psum[paylen];
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

#define MIXED   (-2)    /* several protocols / ports: written as '-' */
#define NONE    (-1)    /* no packet had a port: written as '-' */

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
static uint64_t case_t;         /* base time of the current case, ns */

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
    const char *also;   /* a second expectation name (merged sets) */
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
static void cw_pkt(struct capw *w, uint64_t ts, const uint8_t *f, size_t caplen,
                   size_t wire, const struct info *in)
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
    L_ETH, L_VLAN, L_QINQ, L_MPLS, L_VLAN_MPLS, L_PPPOE, L_LLCSNAP, L_SLL, L_SLL2,
    L_RAW, L_NULL_LE, L_NULL_BE, L_LOOP, L_PPP, L_PPP_PFC, L_PPP_NOAC, L_CHDLC,
};

static const uint8_t mac_a[6] = { 0x00, 0x00, 0x5e, 0x00, 0x53, 0x0a };
static const uint8_t mac_b[6] = { 0x00, 0x00, 0x5e, 0x00, 0x53, 0x0b };
static const uint8_t mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

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
static size_t frame_wrap(uint8_t *f, int link, uint32_t ethertype, const uint8_t *l3,
                         size_t len, uint32_t fam6, int outgoing)
{
    const uint8_t *sm = outgoing ? mac_a : mac_b, *dm = outgoing ? mac_b : mac_a;
    uint32_t fam = ethertype == 0x86dd ? fam6 : 2;
    size_t n = 0;
    int eth = 1;

    switch (link) {
    case L_ETH:
        n = eth_hdr(f, dm, sm, ethertype);
        break;
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
    default:
        eth = 0;
        break;
    }
    switch (link) {
    case L_SLL:
        wr16be(f, outgoing ? 4 : 0);            /* packet type */
        wr16be(f + 2, 1);                       /* ARPHRD_ETHER */
        wr16be(f + 4, 6);
        memcpy(f + 6, sm, 6);
        f[12] = f[13] = 0;
        wr16be(f + 14, ethertype);
        n = 16;
        break;
    case L_SLL2:
        wr16be(f, ethertype);
        wr16be(f + 2, 0);
        wr32be(f + 4, 2);                       /* interface index */
        wr16be(f + 8, 1);                       /* ARPHRD_ETHER */
        f[10] = outgoing ? 4 : 0;
        f[11] = 6;
        memcpy(f + 12, sm, 6);
        f[18] = f[19] = 0;
        n = 20;
        break;
    case L_RAW:
        n = 0;
        break;
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
    default:
        break;
    }
    memcpy(f + n, l3, len);
    n += len;
    return eth ? pad60(f, n) : n;
}

/* the standard packets most cases are made of */
enum {
    P_SYN, P_SYNACK, P_ACK, P_DATA, P_FIN, P_DNS4, P_ICMP4, P_DNS6, P_SYN6, P_SYNACK6,
    P_NSTD,
};

static const int set_all[] = { P_SYN, P_SYNACK, P_ACK, P_DNS4, P_ICMP4, P_DNS6, P_SYN6, P_SYNACK6, -1 };
static const int set_v4[] = { P_SYN, P_SYNACK, P_ACK, P_DNS4, P_ICMP4, -1 };
static const int set_v6[] = { P_DNS6, P_SYN6, P_SYNACK6, -1 };

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
    case P_SYN:
        mk_tcp(p, C4, 40001, S4, 443, F_SYN, 1000, 0, 0);
        break;
    case P_SYNACK:
        mk_tcp(p, S4, 443, C4, 40001, F_SYN | F_ACK, 5000, 1001, 0);
        break;
    case P_ACK:
        mk_tcp(p, C4, 40001, S4, 443, F_ACK, 1001, 5001, 0);
        break;
    case P_DATA:
        mk_tcp(p, C4, 40001, S4, 443, F_PSH | F_ACK, 1001, 5001, 100);
        break;
    case P_FIN:
        mk_tcp(p, C4, 40001, S4, 443, F_FIN | F_ACK, 1101, 5001, 0);
        break;
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
    case P_SYN6:
        mk_tcp(p, C6, 40002, S6, 80, F_SYN, 7000, 0, 0);
        break;
    case P_SYNACK6:
        mk_tcp(p, S6, 80, C6, 40002, F_SYN | F_ACK, 9000, 7001, 0);
        break;
    default:
        die("internal error: packet %d", which);
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
    return case_t + MSEC(100) * (uint64_t)(i + 1) + USEC(17 * i + 3)
           + (nsec ? (uint64_t)(123 * i + 45) : 0);
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
        f[n + 1] = 0x09;                        /* PADI */
        wr16be(f + n + 2, 0);
        wr16be(f + n + 4, 12);
        wr16be(f + n + 6, 0x0101);              /* Service-Name, empty */
        wr16be(f + n + 8, 0);
        wr16be(f + n + 10, 0x0103);             /* Host-Uniq */
        wr16be(f + n + 12, 4);
        wr32be(f + n + 14, 0x00c0ffee);
        n = pad60(f, n + 18);
        break;
    case X_STP: {
        static const uint8_t stp_mac[6] = { 0x01, 0x80, 0xc2, 0x00, 0x00, 0x00 };

        n = eth_hdr(f, stp_mac, mac_b, 38);     /* 802.3 length */
        f[n] = 0x42;
        f[n + 1] = 0x42;
        f[n + 2] = 0x03;
        memset(f + n + 3, 0, 35);               /* configuration BPDU */
        wr16be(f + n + 8, 0x8000);              /* root id */
        memcpy(f + n + 10, mac_b, 6);
        wr16be(f + n + 20, 0x8000);             /* bridge id */
        memcpy(f + n + 22, mac_b, 6);
        wr16be(f + n + 28, 0x8001);             /* port id */
        wr16be(f + n + 32, 20 << 8);            /* max age */
        wr16be(f + n + 34, 2 << 8);             /* hello */
        wr16be(f + n + 36, 15 << 8);            /* forward delay */
        n = pad60(f, n + 38);
        break;
    }
    case X_SLARP:
        memset(b, 0, 18);
        wr32be(b, 2);                           /* keepalive */
        wr32be(b + 4, 17);
        wr32be(b + 8, 16);
        wr16be(b + 12, 0xffff);
        n = frame_wrap(f, L_CHDLC, 0x8035, b, 18, 0, 1);
        break;
    default:
        return;
    }
    emit_raw(w, f, n, ts);
}

/* a case made of the standard packets over one link type */
static void case_link(const char *file, uint32_t linktype, int link, const int *set,
                      int be, int nsec, int extra, const char *notes)
{
    static const uint32_t fam6[3] = { 24, 28, 30 };
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
    static const uint32_t fam6[3] = { 24, 28, 30 };
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
    bb_u32(&b, 0xffffffffu);                    /* section length: unknown */
    bb_u32(&b, 0xffffffffu);
    bb_opt(&b, 4, "pcapgen", 7);                /* shb_userappl */
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
    bb_opt(&b, 2, name, strlen(name));          /* if_name */
    if (tsres >= 0) {
        uint8_t r = (uint8_t)tsres;

        bb_opt(&b, 9, &r, 1);                   /* if_tsresol */
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

static void ng_epb(struct ngw *w, uint32_t ifid, uint64_t ts_ns, const uint8_t *d,
                   size_t caplen, size_t wire, const char *comment, const struct info *in)
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
    ng_epb_pkt(&w, 0, L_ETH, P_SYN, case_ts(0, 0), "first packet; if0 has no if_tsresol (microseconds)");
    ng_epb_pkt(&w, 1, L_RAW, P_DNS6, case_ts(1, 1), NULL);

    ng_body(&w, &b);                            /* a block type nobody knows */
    bb_u32(&b, 0xdeadbeefu);
    bb_u32(&b, 0xcafef00du);
    ng_block(&w, 0x00000bad, &b);

    ng_body(&w, &b);                            /* Name Resolution Block */
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
    bb_u32(&b, 0);                              /* nrb_record_end */
    ng_block(&w, 4, &b);

    ng_epb_pkt(&w, 0, L_ETH, P_SYNACK, case_ts(2, 0), NULL);

    spb_off = (uint32_t)w.o.off;                /* Simple Packet Block: no timestamp */
    std_pkt(&p, P_ICMP4);
    n = pkt_frame(f, L_ETH, &p, 0);
    ng_body(&w, &b);
    bb_u32(&b, (uint32_t)n);
    bb_bytes(&b, f, n);
    bb_pad4(&b);
    ng_block(&w, 3, &b);

    ng_epb_pkt(&w, 1, L_RAW, P_ACK, case_ts(3, 1), NULL);

    ng_body(&w, &b);                            /* Interface Statistics Block */
    bb_u32(&b, 0);
    bb_u32(&b, (uint32_t)((case_ts(4, 0) / 1000) >> 32));
    bb_u32(&b, (uint32_t)(case_ts(4, 0) / 1000));
    bb_opt_u64(&b, 4, 3);                       /* isb_ifrecv */
    bb_opt_u64(&b, 5, 0);                       /* isb_ifdrop */
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
               "198.51.100.20 has packets on both interfaces", spb_off);
}

static void case_pcapng_be(void)
{
    const char *file = "pcapng_be.pcapng";
    struct ngw w;

    case_begin(file, 0, "big-endian pcapng section, one Ethernet IDB with if_tsresol=6 "
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

    case_begin(file, 0, "two sections in one file: a little-endian SHB with IDB 0 = Ethernet "
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
    static const int order[] = { P_SYN, P_DNS4, P_ACK, P_ICMP4, P_DATA, P_DNS4, P_ICMP4, P_FIN };
    struct capw w;
    size_t i;

    case_begin("eth_basic.pcap", 0, "Ethernet II, IPv4 TCP (4 packets), UDP DNS (2) and ICMP "
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

    case_begin("eth_nonip.pcap", 0, "ARP request and reply and one frame of the local "
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

    case_begin("ppp_nocomp.pcap", 0, "PPP (link type 9) without the FF 03 address/control "
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

    case_begin("raw101.pcap", 0, "LINKTYPE_RAW (101): IPv4 and IPv6 mixed, told apart by the "
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

    case_begin("ipv4_frag.pcap", 0, "a 3000-byte UDP datagram (dport 9999) in 3 IPv4 "
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
    static const uint8_t opt7[8] = { 0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00 };
    static const int which[] = { P_SYN, P_SYNACK, P_ACK, P_DATA };
    static const size_t optlen[] = { 8, 0, 4, 8 };
    uint8_t ip[FRAME_MAX], f[FRAME_MAX];
    struct capw w;
    int i;

    case_begin("ipv4_options.pcap", 0, "IPv4 with options carrying TCP: IHL=7 (Router Alert, "
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

    case_begin("ipv6_ext.pcap", 0, "IPv6 extension headers: Hop-by-Hop (Router Alert) + "
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
    ip[n] = 60;                                 /* HBH -> destination options */
    ip[n + 1] = 0;
    ip[n + 2] = 0x05;                           /* router alert */
    ip[n + 3] = 2;
    wr16be(ip + n + 4, 0);
    ip[n + 6] = 0x01;                           /* PadN, 0 bytes */
    ip[n + 7] = 0;
    n += 8;
    ip[n] = 43;                                 /* DSTOPTS -> routing */
    ip[n + 1] = 0;
    ip[n + 2] = 0x01;                           /* PadN, 4 bytes */
    ip[n + 3] = 4;
    memset(ip + n + 4, 0, 4);
    n += 8;
    ip[n] = IPPROTO_TCP_;                       /* routing -> TCP */
    ip[n + 1] = 2;                              /* (2 + 1) * 8 = 24 bytes */
    ip[n + 2] = 4;                              /* segment routing */
    ip[n + 3] = 0;                              /* segments left */
    ip[n + 4] = 0;                              /* last entry */
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
    static const int sec_a[6] = { 1, 3, 2, 4, 6, 5 };
    struct capw w;
    struct pkt p;
    int i;

    case_begin("out_of_order.pcap", 0, "the pair 192.0.2.10 -> 198.51.100.20 has timestamps "
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
    static const char *const files[3] = { "multi_a.pcap", "multi_b.pcap", "multi_c.pcap" };
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
                   "'multi_*')", f + 1);
        if (f == 0)
            base = case_t;
        cw_open(&w, files[f], 0, 0, LINKTYPE_ETHERNET);
        w.also = "multi_*";
        for (j = 0; j < 4; j++, k++) {
            static const struct { int srv; uint32_t flags; size_t len; } conv[12] = {
                { 0, F_SYN, 0 }, { 1, F_SYN | F_ACK, 0 }, { 0, F_ACK, 0 },
                { 0, F_PSH | F_ACK, 120 }, { 1, F_PSH | F_ACK, 700 }, { 0, F_ACK, 0 },
                { 0, F_PSH | F_ACK, 90 }, { 1, F_PSH | F_ACK, 1200 }, { 0, F_ACK, 0 },
                { 0, F_FIN | F_ACK, 0 }, { 1, F_FIN | F_ACK, 0 }, { 0, F_ACK, 0 },
            };
            struct pkt p;
            uint32_t adv;

            if (conv[k].srv)
                mk_tcp(&p, S4, 443, C4, 40001, conv[k].flags, sseq,
                       cseq, conv[k].len);
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
    case_begin("multi_*", 0, "not a file: the rows of multi_a.pcap, multi_b.pcap and "
               "multi_c.pcap read together as one capture");
}

static void case_unknown_linktype(void)
{
    struct capw w;
    int i;

    case_begin("unknown_linktype.pcap", 0, "link type 147 (LINKTYPE_USER0) is not decodable: "
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

    case_begin("empty.pcap", 0, "a valid global header (little-endian, microseconds, "
               "Ethernet) and no records: no pairs, no error");
    cw_open(&w, "empty.pcap", 0, 0, LINKTYPE_ETHERNET);
    cw_close(&w);

    case_begin("empty_file.pcap", 1, "0 bytes: not a capture; error, no output");
    write_file("empty_file.pcap", "", 0);

    case_begin("truncated_header.pcap", 1, "only the first 10 of the 24 bytes of a "
               "little-endian pcap global header: error");
    wr32le(h, 0xa1b2c3d4u);
    wr16le(h + 4, 2);
    wr16le(h + 6, 4);
    memset(h + 8, 0, 2);
    write_file("truncated_header.pcap", h, 10);

    case_begin("text.txt", 1, "a text file, not a capture: error naming the file (unknown "
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
               "exit 3", (unsigned long long)off, i, (unsigned long long)off);
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
               "exit 3", (unsigned long long)off, (unsigned long long)off);
}

static void case_truncated_ip(void)
{
    static const struct { int which; size_t caplen; } cut[4] = {
        { P_SYN, 20 }, { P_DNS6, 20 }, { P_DNS4, 33 }, { P_SYN6, 53 },
    };
    uint8_t f[FRAME_MAX];
    struct capw w;
    int i;

    case_begin("truncated_ip.pcap", 0, "Ethernet frames whose network header is cut by the "
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

    case_begin("bad_ip.pcap", 0, "malformed network headers, each skipped: IPv4 with IHL=3, "
               "an 0x0800 frame with version 5, an 0x86DD frame whose version nibble is 4, "
               "IPv4 with total length 16 < IHL*4 (IPv4 checksums are valid for the damaged "
               "headers); only the final good DNS packet forms a pair");
    cw_open(&w, "bad_ip.pcap", 0, 0, LINKTYPE_ETHERNET);
    for (i = 0; i < 4; i++) {
        uint8_t *ip = f + 14;

        std_pkt(&p, i == 2 ? P_DNS6 : P_SYN);
        n = pkt_frame(f, L_ETH, &p, 0);
        switch (i) {
        case 0:
            ip[0] = 0x43;
            break;
        case 1:
            ip[0] = 0x55;
            break;
        case 2:
            ip[0] = (uint8_t)(0x40 | (ip[0] & 0x0f));
            break;
        default:
            wr16be(ip + 2, 16);
            break;
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
            bb_printf(&b, "%s\t%s\t%s\t%s\t%s\t%llu\t%llu\t%llu\t%llu\n", r->file, r->src,
                      r->dst, proto, dport, (unsigned long long)r->packets,
                      (unsigned long long)r->bytes, (unsigned long long)r->first,
                      (unsigned long long)r->last);
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
    case_byteorder("be_usec.pcap", 1, 0, "big-endian classic pcap (A1 B2 C3 D4 in file "
                   "order), microsecond timestamps, Ethernet");
    case_byteorder("le_nsec.pcap", 0, 1, "little-endian pcap with magic 0xa1b23c4d: "
                   "nanosecond timestamps with sub-microsecond digits, which first_ns and "
                   "last_ns must keep");
    case_byteorder("be_nsec.pcap", 1, 1, "big-endian pcap with magic 0xa1b23c4d: "
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
    uint64_t seed, packets, pairs, snap;
    int have_packets, have_pairs, have_seed, have_snap;
};

/* options may come before or after the positional arguments, as
 * "--opt VALUE" or "--opt=VALUE" */
static void parse_args(int argc, char **argv, struct args *a, int bench_opts, int seed_opt)
{
    int i;

    memset(a, 0, sizeof(*a));
    a->seed = DEFAULT_SEED;
    a->snap = 64;
    for (i = 2; i < argc; i++) {
        const char *arg = argv[i], *val, *eq;
        char name[32];
        size_t len;

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
        if (strcmp(name, "--seed") && strcmp(name, "--packets") && strcmp(name, "--pairs")
            && strcmp(name, "--snap"))
            usage_error("unknown option '%s'", arg);
        if (!seed_opt || (!bench_opts && strcmp(name, "--seed")))
            usage_error("option '%s' does not apply to '%s'", name, argv[1]);
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
        parse_args(argc, argv, &a, 0, 1);
        if (a.npos != 1)
            usage_error("'sample' takes one output file");
        cmd_sample(a.pos[0], a.seed);
    } else if (!strcmp(argv[1], "bench")) {
        parse_args(argc, argv, &a, 1, 1);
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
        parse_args(argc, argv, &a, 0, 0);
        if (a.npos != 1)
            usage_error("'cases' takes one directory");
        cmd_cases(a.pos[0]);
    } else {
        usage_error("unknown command '%s'", argv[1]);
    }
    return 0;
}

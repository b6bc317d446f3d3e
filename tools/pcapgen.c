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
 *       Ethernet, 2024-03-01 12:00:00 UTC onwards, ~40k packets) of a small
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
 *       5% ICMP), one hour, wire lengths 60-1514, captured up to --snap.
 *
 *   pcapgen cases DIR
 *       Small captures that exercise every link type, byte order,
 *       timestamp resolution, pcapng block and damaged-file path a reader
 *       must handle, plus DIR/expected.tsv (the exact per-directed-pair
 *       figures a correct decoder produces) and DIR/cases.tsv (expected
 *       exit status and what the reader should do with each file).
 *
 * Every frame is well formed: Ethernet minimum padding, IPv4 header
 * checksums, IPv6 payload lengths, TCP/UDP/ICMP lengths and checksums are
 * all correct unless a case damages them on purpose.
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
#define F_RST   0x04
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

    tc_init(S, &c, a4(10, 0, 0, 23), cport, a4(203, 0, 113, 10), 443);
    tc_send(S, &c, t, 0, F_SYN, 0, NULL);
    tc_send(S, &c, t += rtt, 1, F_SYN | F_ACK, 0, NULL);
    tc_send(S, &c, t += small_gap(S), 0, F_ACK, 0, NULL);
    tc_send(S, &c, t += small_gap(S), 0, F_PSH | F_ACK, rng_range(&S->rng, 180, 220), NULL);
    tc_send(S, &c, t += rtt + MSEC(rng_range(&S->rng, 2, 20)), 1, F_PSH | F_ACK,
            rng_range(&S->rng, 300, 400), NULL);
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
            tc_send(S, &c, t += small_gap(S), 0, F_PSH | F_ACK,
                    rng_range(&S->rng, 200, 900), NULL);
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

        s_udp(S, t, a4(10, 0, 0, 31), sp, a4(198, 51, 100, 77), 8443,
              s_random_payload(S, len), len);
        len = rng_range(&S->rng, 200, 300);
        s_udp(S, t + MSEC(rng_range(&S->rng, 40, 70)), a4(198, 51, 100, 77), 8443,
              a4(10, 0, 0, 31), sp, s_random_payload(S, len), len);
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

            s_browse_conn(S, tb + MSEC(rng_below(&S->rng, 2000)), cli, cp, *srv, sport,
                          rng_range(&S->rng, 5, 40));
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
 * (odd multipliers modulo 2^24 / 2^20) to spread the addresses.
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
                  | (((d2 >> 3) * 0x5851f5u + (salt >> 4)) & 0xffffffu);
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

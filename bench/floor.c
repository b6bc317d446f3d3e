/*
 * floor.c - the read-only floor that `make bench` measures pcts against.
 *
 *   floor read FILE   read(2) the classic-pcap file in 1 MiB chunks and walk
 *                     the record headers: the cost of touching every byte
 *                     and every record, nothing else.
 *   floor hash FILE   the same, plus the least a per-pair statistic needs:
 *                     find the IPv4 (src, dst) of each Ethernet frame and
 *                     count it in an open-addressing hash table.
 *   floor hashp FILE  the same count per pair done as tightly as this file
 *                     knows how: 16-byte entries (key, count) in one table
 *                     of 2^17 (doubled when half full), each looked up 16
 *                     packets after a prefetch of its slot.  floor hash
 *                     stays as it was for comparison with earlier sessions.
 *   floor median FILE the same as hash, plus what exact interval statistics need
 *                     (what --series packets computes), done plainly:
 *                     every packet's pair and time appended to a log, the
 *                     log sorted by pair at the end (one counting pass:
 *                     stable, so each pair's times stay in order), and each
 *                     pair's intervals with their mean, standard deviation,
 *                     median and MAD (quickselect, twice).  The log is 12%
 *                     faster than a growing array per pair.  The speed
 *                     issue's own reference puts such a loop at about a
 *                     quarter of the hash one's rate.
 *   floor flows FILE  what the default mode (connections per service) needs,
 *                     done plainly: each IPv4 packet's flow found by its
 *                     5-tuple in either direction (a 64-byte entry: last
 *                     time, packets and bytes each way, its service),
 *                     prefetched FLOW_LAG packets ahead of its lookup as
 *                     pcts' batches do; a connection start (a new flow, one
 *                     idle past 300 s for TCP or 60 s otherwise) or, for UDP
 *                     and ICMP, an exchange (2 s of silence before) added to
 *                     the responder's service (address, port, protocol); at
 *                     the end each service's interval statistics as for
 *                     median.  No TCP states, names, expiry sweep, or other
 *                     link or network types.
 *
 * These are floors in the sense of straightforward loops with the same
 * semantics, not lower bounds: in session 11 a loop written only to beat
 * floor median on the bench file (a prefetch pipeline three stages deep,
 * intervals as 32-bit deltas in lines laid out for its round-robin
 * traffic, AVX-512 sorting networks) computed the same statistics in
 * 0.32-0.45 s, less than floor hash itself (docs/performance.md).
 *
 * Deliberately minimal and trusting (bench input only, little-endian
 * microsecond pcap from pcapgen): not a pattern for real parsing.
 * Prints "packets=N pairs=P" (median: and a checksum of the statistics, so
 * the compiler cannot drop them).
 */
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (1u << 20)

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

struct times {
    int64_t *t;
    uint32_t n, cap;
};

/* The k-th smallest of v[0, n) (0-based), reordering v: Hoare's selection. */
static int64_t select_k(int64_t *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        int64_t piv = v[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < piv)
                i++;
            while (v[j] > piv)
                j--;
            if (i <= j) {
                int64_t x = v[i];
                v[i] = v[j];
                v[j] = x;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return v[k];
    }
    return v[k];
}

/* The median of v[0, n), n >= 1, reordering v. */
static double median(int64_t *v, size_t n)
{
    int64_t hi = select_k(v, n, n / 2);
    if (n % 2)
        return (double)hi;
    int64_t lo = v[0]; /* the largest below n / 2: select_k left them there */
    for (size_t i = 1; i < n / 2; i++)
        if (v[i] > lo)
            lo = v[i];
    return ((double)lo + (double)hi) / 2;
}

static int times_add(struct times *v, int64_t t)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? 2 * v->cap : 16;
        v->t = realloc(v->t, v->cap * sizeof(*v->t));
        if (!v->t)
            return -1;
    }
    v->t[v->n++] = t;
    return 0;
}

/* Mean, standard deviation, median and MAD of each pair's intervals. */
static double interval_stats(struct times *tm, size_t slots)
{
    double sum = 0;
    int64_t *gap = NULL;
    size_t gcap = 0;
    for (size_t i = 0; i < slots; i++) {
        size_t n = tm[i].n;
        if (n < 2)
            continue;
        if (n - 1 > gcap) {
            gcap = 2 * n;
            gap = realloc(gap, gcap * sizeof(*gap));
            if (!gap)
                exit(1);
        }
        double s = 0, s2 = 0;
        for (size_t j = 1; j < n; j++) {
            gap[j - 1] = tm[i].t[j] - tm[i].t[j - 1];
            s += (double)gap[j - 1];
        }
        double mean = s / (double)(n - 1);
        for (size_t j = 0; j + 1 < n; j++)
            s2 += ((double)gap[j] - mean) * ((double)gap[j] - mean);
        double med = median(gap, n - 1);
        for (size_t j = 0; j + 1 < n; j++) /* MAD: around the median, in 1/2 units */
            gap[j] = (int64_t)fabs(2 * (double)gap[j] - 2 * med);
        double mad = median(gap, n - 1) / 2;
        sum += mean + sqrt(s2 / (double)(n - 1)) + med + mad;
    }
    free(gap);
    return sum;
}

struct flow {        /* 64 bytes */
    uint64_t k0, k1; /* (address << 16 | port) of each side, lower first; k0 | protocol << 48 */
    int64_t last;
    uint64_t bytes[2];
    uint32_t pkts[2];
    uint32_t svc; /* slot in the service table */
    uint8_t orig; /* key side of the first packet's sender */
    uint8_t pad[3];
};

struct flows {
    struct flow *f;
    size_t mask, n;
    uint64_t *skey; /* service table: key + 1, or 0 (free) */
    struct times *st;
    size_t smask, nsvc;
};

static size_t flow_home(const struct flows *t, uint64_t k0, uint64_t k1)
{
    return (size_t)(((k0 * 0x9E3779B97F4A7C15ull) ^ (k1 * 0xC2B2AE3D27D4EB4Full)) >> 40) & t->mask;
}

/* Zeroed entries on cache-line boundaries: an entry is one line. */
static struct flow *flows_alloc(size_t n)
{
    struct flow *f = aligned_alloc(64, n * sizeof(*f));
    if (f)
        memset(f, 0, n * sizeof(*f));
    return f;
}

static int flows_grow(struct flows *t)
{
    struct flow *old = t->f;
    size_t ocap = t->mask + 1;
    t->mask = 2 * ocap - 1;
    t->f = flows_alloc(t->mask + 1);
    if (!t->f)
        return -1;
    for (size_t i = 0; i < ocap; i++) {
        if (!old[i].k1)
            continue;
        size_t j = flow_home(t, old[i].k0, old[i].k1);
        while (t->f[j].k1)
            j = (j + 1) & t->mask;
        t->f[j] = old[i];
    }
    free(old);
    return 0;
}

static int service_event(struct flows *t, uint32_t svc, int64_t ts)
{
    return times_add(&t->st[svc], ts);
}

/* A packet's part of the flow table's work, parsed ahead of it. */
struct fpkt {
    uint64_t k0, k1, dst, dp;
    int64_t ts;
    uint32_t wire;
    uint8_t proto, side;
};

static void flow_parse(const struct flows *t, const uint8_t *f, uint32_t caplen, uint32_t wire,
                       int64_t ts, struct fpkt *p)
{
    size_t ihl = (size_t)(f[14] & 15) * 4;
    uint64_t src = rd32(f + 26), sp = 0;
    p->proto = f[23];
    p->dst = rd32(f + 30);
    p->dp = 0;
    if ((p->proto == 6 || p->proto == 17) && caplen >= 14 + ihl + 4) {
        sp = (uint64_t)f[14 + ihl] << 8 | f[15 + ihl];
        p->dp = (uint64_t)f[16 + ihl] << 8 | f[17 + ihl];
    }
    uint64_t a = src << 16 | sp, b = p->dst << 16 | p->dp;
    p->side = a > b;
    p->k0 = (p->side ? b : a) | (uint64_t)p->proto << 48;
    p->k1 = p->side ? a : b;
    p->ts = ts;
    p->wire = wire;
    /* its flow, some packets before it is accounted: the lookups of the
     * packets in between overlap their misses, as pcts' batches do */
    __builtin_prefetch(&t->f[flow_home(t, p->k0, p->k1)]);
}

static int flow_account(struct flows *t, const struct fpkt *p)
{
    size_t i = flow_home(t, p->k0, p->k1);
    while (t->f[i].k1 && (t->f[i].k0 != p->k0 || t->f[i].k1 != p->k1))
        i = (i + 1) & t->mask;
    struct flow *fl = &t->f[i];
    int64_t idle = p->ts - fl->last;
    if (!fl->k1 || idle > (p->proto == 6 ? 300 : 60) * 1000000ll) {
        if (!fl->k1) {
            if (t->n + 1 > (t->mask + 1) / 2) {
                if (flows_grow(t))
                    return -1;
                return flow_account(t, p);
            }
            t->n++;
            fl->k0 = p->k0;
            fl->k1 = p->k1;
        }
        uint64_t sk = (p->dst << 24 | p->dp << 8 | p->proto) + 1;
        size_t s = (size_t)((sk * 0x9E3779B97F4A7C15ull) >> 40) & t->smask;
        while (t->skey[s] && t->skey[s] != sk)
            s = (s + 1) & t->smask;
        if (!t->skey[s]) {
            if (++t->nsvc > t->smask / 2)
                return -1; /* a fixed table: plenty for the bench file */
            t->skey[s] = sk;
        }
        fl->svc = (uint32_t)s;
        fl->orig = p->side;
        fl->pkts[0] = fl->pkts[1] = 0;
        fl->bytes[0] = fl->bytes[1] = 0;
        if (service_event(t, fl->svc, p->ts))
            return -1;
    } else if (p->proto != 6 && idle >= 2000000) {
        if (service_event(t, fl->svc, p->ts))
            return -1;
    }
    int role = p->side != fl->orig;
    fl->last = p->ts;
    fl->pkts[role]++;
    fl->bytes[role] += p->wire;
    return 0;
}

/* floor hashp: one table of (key, count), prefetched HASH_LAG packets ahead. */
struct hent {
    uint64_t key, cnt; /* key 0: free */
};
struct hashp {
    struct hent *e;
    size_t mask, n;
};

static size_t hashp_home(const struct hashp *t, uint64_t k)
{
    return (size_t)((k * 0x9E3779B97F4A7C15ull) >> 40) & t->mask;
}

static int hashp_count(struct hashp *t, uint64_t k)
{
    size_t i = hashp_home(t, k);
    while (t->e[i].key && t->e[i].key != k)
        i = (i + 1) & t->mask;
    if (!t->e[i].key) {
        if (t->n + 1 > (t->mask + 1) / 2) {
            struct hent *old = t->e;
            size_t ocap = t->mask + 1;
            t->mask = 2 * ocap - 1;
            t->e = calloc(t->mask + 1, sizeof(*t->e));
            if (!t->e)
                return -1;
            for (size_t j = 0; j < ocap; j++) {
                if (!old[j].key)
                    continue;
                size_t h = hashp_home(t, old[j].key);
                while (t->e[h].key)
                    h = (h + 1) & t->mask;
                t->e[h] = old[j];
            }
            free(old);
            return hashp_count(t, k);
        }
        t->e[i].key = k;
        t->n++;
    }
    t->e[i].cnt++;
    return 0;
}

#define HASH_LAG 16

#ifndef FLOW_LAG
#define FLOW_LAG 16 /* packets parsed (and their flows prefetched) ahead */
#endif

int main(int argc, char **argv)
{
    if (argc != 3 ||
        (strcmp(argv[1], "read") && strcmp(argv[1], "hash") && strcmp(argv[1], "hashp") &&
         strcmp(argv[1], "median") && strcmp(argv[1], "flows"))) {
        fprintf(stderr, "usage: floor read|hash|hashp|median|flows FILE.pcap\n");
        return 2;
    }
    struct hashp hp = {0};
    uint64_t hring[HASH_LAG], nh = 0;
    if (!strcmp(argv[1], "hashp")) {
        hp.mask = (1u << 17) - 1;
        hp.e = calloc(hp.mask + 1, sizeof(*hp.e));
        if (!hp.e)
            return 1;
    }
    int med = !strcmp(argv[1], "median");
    int hash = med || !strcmp(argv[1], "hash");
    struct flows fls = {0};
    struct fpkt ring[FLOW_LAG];
    uint64_t nring = 0;
    if (!strcmp(argv[1], "flows")) {
        fls.mask = (1u << 16) - 1;
        fls.smask = (1u << 16) - 1;
        fls.f = flows_alloc(fls.mask + 1);
        fls.skey = calloc(fls.smask + 1, sizeof(*fls.skey));
        fls.st = calloc(fls.smask + 1, sizeof(*fls.st));
        if (!fls.f || !fls.skey || !fls.st)
            return 1;
    }
    int fd = open(argv[2], O_RDONLY);
    if (fd < 0) {
        perror(argv[2]);
        return 1;
    }
    size_t cap = 2 * CHUNK;
    uint8_t *buf = malloc(cap);
    size_t mask = (1u << 20) - 1;
    uint64_t *keys = calloc(mask + 1, sizeof(uint64_t));
    uint64_t *cnt = calloc(mask + 1, sizeof(uint64_t));
    struct times *tm = med ? calloc(mask + 1, sizeof(*tm)) : NULL;
    uint32_t *lid = NULL;
    int64_t *lts = NULL;
    size_t nlog = 0, caplog = 0;
    if (!buf || !keys || !cnt || (med && !tm))
        return 1;
    size_t start = 0, end = 0;
    uint64_t packets = 0, pairs = 0;
    int header = 1;
    for (;;) {
        if (end - start < 16 + 65536) {
            memmove(buf, buf + start, end - start);
            end -= start;
            start = 0;
            ssize_t r = read(fd, buf + end, cap - end);
            if (r < 0) {
                perror("read");
                return 1;
            }
            end += (size_t)r;
            if (r == 0 && end - start < 16)
                break;
        }
        if (header) {
            start += 24;
            header = 0;
            continue;
        }
        if (end - start < 16)
            break;
        uint32_t caplen = rd32(buf + start + 8);
        if (caplen > 65536 || end - start < 16 + (size_t)caplen)
            break;
        const uint8_t *f = buf + start + 16;
        packets++;
        int ipv4 = caplen >= 34 && f[12] == 0x08 && f[13] == 0x00;
        int64_t ts = (int64_t)rd32(buf + start) * 1000000 + rd32(buf + start + 4);
        if (hash && ipv4) {
            uint64_t k = (uint64_t)rd32(f + 26) << 32 | rd32(f + 30);
            size_t i = (size_t)((k * 0x9E3779B97F4A7C15ull) >> 44) & mask;
            while (keys[i] && keys[i] != k)
                i = (i + 1) & mask;
            if (!keys[i]) {
                keys[i] = k;
                pairs++;
            }
            cnt[i]++;
            if (med) {
                if (nlog == caplog) {
                    caplog = caplog ? 2 * caplog : 1 << 20;
                    lid = realloc(lid, caplog * sizeof(*lid));
                    lts = realloc(lts, caplog * sizeof(*lts));
                    if (!lid || !lts)
                        return 1;
                }
                lid[nlog] = (uint32_t)i;
                lts[nlog++] = ts;
            }
        }
        if (hp.e && ipv4) {
            uint64_t *q = &hring[nh++ % HASH_LAG];
            if (nh > HASH_LAG && hashp_count(&hp, *q))
                return 1;
            *q = (uint64_t)rd32(f + 26) << 32 | rd32(f + 30);
            __builtin_prefetch(&hp.e[hashp_home(&hp, *q)]);
        }
        if (fls.f && ipv4) {
            struct fpkt *q = &ring[nring++ % FLOW_LAG];
            if (nring > FLOW_LAG && flow_account(&fls, q)) {
                fprintf(stderr, "floor: out of memory or too many services\n");
                return 1;
            }
            flow_parse(&fls, f, caplen, rd32(buf + start + 12), ts, q);
        }
        start += 16 + (size_t)caplen;
    }
    for (uint64_t k = nh > HASH_LAG ? nh - HASH_LAG : 0; k < nh; k++)
        if (hashp_count(&hp, hring[k % HASH_LAG]))
            return 1;
    if (hp.e) {
        pairs = hp.n;
        free(hp.e);
    }
    printf("packets=%llu pairs=%llu", (unsigned long long)packets, (unsigned long long)pairs);
    if (med) {
        /* counting sort of the log by pair: stable, so each pair's times stay in order */
        int64_t *sorted = malloc((nlog ? nlog : 1) * sizeof(*sorted));
        if (!sorted)
            return 1;
        size_t off = 0;
        for (size_t i = 0; i <= mask; i++) {
            tm[i].t = sorted + off;
            off += cnt[i];
        }
        for (size_t j = 0; j < nlog; j++) {
            struct times *v = &tm[lid[j]];
            v->t[v->n++] = lts[j];
        }
        printf(" checksum=%.6g", interval_stats(tm, mask + 1));
        free(sorted);
        free(tm);
        free(lid);
        free(lts);
    }
    for (uint64_t k = nring > FLOW_LAG ? nring - FLOW_LAG : 0; k < nring; k++) {
        if (flow_account(&fls, &ring[k % FLOW_LAG])) {
            fprintf(stderr, "floor: out of memory or too many services\n");
            return 1;
        }
    }
    if (fls.f) {
        printf(" flows=%zu services=%zu checksum=%.6g", fls.n, fls.nsvc,
               interval_stats(fls.st, fls.smask + 1));
        for (size_t i = 0; i <= fls.smask; i++)
            free(fls.st[i].t);
        free(fls.st);
        free(fls.skey);
        free(fls.f);
    }
    printf("\n");
    free(buf);
    free(keys);
    free(cnt);
    close(fd);
    return 0;
}

/*
 * output.c - see output.h.
 */
#include "output.h"

#include "outfile.h"
#include "../util/bqueue.h"
#include "../util/err.h"
#include "../util/hash40.h"
#include "../util/xalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const sort_names[] = {"score",    "events",    "period", "packets", "bytes",
                                         "duration", "intervals", "mean",   "std",     "median",
                                         "mad",      "first",     "last",   "src",     "dst"};

int sort_key_parse(const char *s)
{
    for (size_t i = 0; i < sizeof(sort_names) / sizeof(sort_names[0]); i++)
        if (!strcmp(s, sort_names[i]))
            return (int)i;
    /* accept the field names too */
    if (!strncmp(s, "interval_", 9))
        return sort_key_parse(s + 9);
    return -1;
}

const char *sort_key_names(void)
{
    return "score, events, period, packets, bytes, duration, intervals, mean, std, median, mad, "
           "first, last, src, dst";
}

static char *put_ipv4(char *p, const uint8_t *a)
{
    for (int i = 0; i < 4; i++) {
        if (i)
            *p++ = '.';
        p += fmt_u64(a[i], p);
    }
    return p;
}

/* glibc's inet_ntop6: the first longest run of two or more zero words is
 * "::"; ::a.b.c.d and ::ffff:a.b.c.d end in dotted quad. */
size_t fmt_ip(int family, const uint8_t *a, char *buf)
{
    static const char hex[] = "0123456789abcdef";
    char *p = buf;
    if (family != 6) {
        p = put_ipv4(p, a);
        *p = '\0';
        return (size_t)(p - buf);
    }
    unsigned w[8];
    for (int i = 0; i < 8; i++)
        w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
    int best = -1, blen = 0;
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && !w[j])
            j++;
        if (j - i > blen) {
            best = i;
            blen = j - i;
        }
        i = j > i ? j : i + 1;
    }
    if (blen < 2)
        best = -1;
    for (int i = 0; i < 8; i++) {
        if (best >= 0 && i >= best && i < best + blen) {
            if (i == best)
                *p++ = ':';
            continue;
        }
        if (i)
            *p++ = ':';
        if (i == 6 && best == 0 && (blen == 6 || (blen == 5 && w[5] == 0xffff))) {
            p = put_ipv4(p, a + 12);
            break;
        }
        for (int sh = 12; sh > 0; sh -= 4)
            if (w[i] >> sh)
                *p++ = hex[(w[i] >> sh) & 15];
        *p++ = hex[w[i] & 15];
    }
    if (best >= 0 && best + blen == 8)
        *p++ = ':';
    *p = '\0';
    return (size_t)(p - buf);
}

void fmt_addr(const struct group_key *k, int dst, char *buf, size_t len)
{
    char b[INET6_ADDRSTRLEN];
    size_t n = fmt_ip(k->family, dst ? k->dst : k->src, b);
    if (len > n)
        memcpy(buf, b, n + 1);
    else
        snprintf(buf, len, "?");
}

const char *proto_name(uint8_t p, char *buf, size_t len)
{
    switch (p) {
    case 1: return "icmp";
    case 2: return "igmp";
    case 6: return "tcp";
    case 17: return "udp";
    case 47: return "gre";
    case 50: return "esp";
    case 51: return "ah";
    case 58: return "icmp6";
    case 132: return "sctp";
    default: snprintf(buf, len, "%u", p); return buf;
    }
}

/* Seconds of u ns with digits decimals (0..9), truncated, after a '-' when
 * neg. */
static size_t fmt_u_ns(int neg, uint64_t u, int digits, char *buf, size_t len)
{
    uint64_t sec = u / 1000000000u, frac = u % 1000000000u;
    if (digits > 9)
        digits = 9;
    for (int i = digits; i < 9; i++)
        frac /= 10;
    return fmt_point(neg, sec, frac, digits, buf, len);
}

size_t fmt_dur_ns(uint64_t ns, int digits, char *buf, size_t len)
{
    return fmt_u_ns(0, ns, digits, buf, len);
}

size_t fmt_time_ns(int64_t ns, int digits, char *buf, size_t len)
{
    if (ns < 0)
        return fmt_u_ns(1, (uint64_t)(-(ns + 1)) + 1, digits, buf, len);
    return fmt_u_ns(0, (uint64_t)ns, digits, buf, len);
}

/* Human duration; the unit is chosen after rounding, so 59.996 s prints as
 * 1m00s, not 60.00s. */
void fmt_human_dur(double s, char *buf, size_t len)
{
    if (!(s >= 0)) {
        snprintf(buf, len, "-");
        return;
    }
    if (s < 1e-3 && lround(s * 1e6) < 1000) {
        snprintf(buf, len, "%ldus", lround(s * 1e6));
        return;
    }
    if (s < 1 && lround(s * 1e4) < 10000) {
        snprintf(buf, len, "%.1fms", (double)lround(s * 1e4) / 10);
        return;
    }
    if (s < 60 && lround(s * 100) < 6000) {
        snprintf(buf, len, "%.2fs", (double)lround(s * 100) / 100);
        return;
    }
    if (s < 3600 && lround(s) < 3600) {
        long t = lround(s);
        snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
        return;
    }
    if (s < 86400 && lround(s / 60) < 1440) {
        long t = lround(s / 60);
        snprintf(buf, len, "%ldh%02ldm", t / 60, t % 60);
        return;
    }
    double h = s / 3600;
    if (h > 1e15)
        h = 1e15;
    long long t = llround(h);
    snprintf(buf, len, "%lldd%02lldh", t / 24, t % 24);
}

static void fmt_human_bytes(uint64_t b, char *buf, size_t len)
{
    const char *u = "KMGTPE";
    if (b < 1024) {
        snprintf(buf, len, "%llu", (unsigned long long)b);
        return;
    }
    double v = (double)b / 1024; /* b >= 1024: K at least */
    int i = 0;
    while (v >= 1024 && i < 5) {
        v /= 1024;
        i++;
    }
    snprintf(buf, len, v < 10 ? "%.1f%c" : "%.0f%c", v, u[i]);
}

/* ---- sorting --------------------------------------------------------- */

/*
 * Sorting: each result becomes a 64-byte record, its sort value mapped to
 * integers that compare in the wanted order and its key's bytes as
 * big-endian words for ties (every --sort breaks them by the key's bytes),
 * the records are sorted, and the results are moved once into that order.
 * qsort() on the results themselves compared 544-byte structs scattered
 * over 27 MB, each comparison also reaching into the groups for the keys:
 * 20 ms for 50 k results, where the serial end of a two-thread run is
 * under 100 ms.
 */
struct sort_rec {
    uint64_t k1, k2; /* ascending */
    uint64_t kw[5];  /* the key, memcmp order */
    uint32_t cls;    /* first, ascending: 1 for an undefined value (after every defined
                      * one); --sort src, dst: 0 IPv4, 1 IPv6, 2 a name */
    uint32_t idx;    /* the result's position (groups fit 32 bits) */
};
_Static_assert(sizeof(struct group_key) == 40, "five key words");

/* An order-preserving map of doubles to integers (-0 as 0). */
static uint64_t dbl_ord(double d)
{
    if (d == 0)
        d = 0;
    uint64_t b;
    memcpy(&b, &d, sizeof(b));
    return b >> 63 ? ~b : b | (1ull << 63);
}

/* Descending by v when defined (NaN: as undefined), undefined last. */
static void rec_desc(struct sort_rec *s, double v, int defined)
{
    s->cls = !defined || isnan(v);
    s->k1 = s->cls ? 0 : ~dbl_ord(v);
}

/* --sort dst where destinations are names (--group host, dns): a name's
 * place among the names, alphabetical (byte order of its text); rank[i] for
 * result i, names only.  They sort after every address (k1 all ones: no
 * unicast or multicast address starts with 8 bytes of ff). */
struct name_rank {
    const char *s;
    uint32_t idx;
};

static int cmp_name_rank(const void *a, const void *b)
{
    const struct name_rank *x = a, *y = b;
    int c = strcmp(x->s, y->s);
    return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

static uint32_t *dst_name_ranks(const struct result *r, size_t n)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += r[i].key->dst_name;
    if (!m)
        return NULL;
    struct name_rank *v = xmalloc(st_mult(m, sizeof(*v)));
    m = 0;
    for (size_t i = 0; i < n; i++)
        if (r[i].key->dst_name)
            v[m++] = (struct name_rank){r[i].host ? r[i].host : "", (uint32_t)i};
    qsort(v, m, sizeof(*v), cmp_name_rank);
    uint32_t *rank = xcalloc(n, sizeof(*rank));
    for (size_t j = 0, k = 0; j < m; j++) {
        if (j && strcmp(v[j].s, v[j - 1].s))
            k = j;
        rank[v[j].idx] = (uint32_t)k; /* equal names, equal ranks: the key breaks ties */
    }
    free(v);
    return rank;
}

static void make_rec(enum sort_key key, const struct result *a, struct sort_rec *s,
                     const uint32_t *dst_rank, size_t ai)
{
    memset(s, 0, sizeof(*s));
    const uint8_t *kb = (const uint8_t *)a->key;
    for (int i = 0; i < 5; i++)
        s->kw[i] = hash40_rd64_be(kb + 8 * i);
    switch (key) {
    case SORT_SCORE: rec_desc(s, a->sc.score, a->sc.valid); break;
    case SORT_EVENTS: s->k1 = ~(uint64_t)a->events; break;
    case SORT_PERIOD: rec_desc(s, a->sc.period, a->sc.period > 0); break;
    case SORT_PACKETS: s->k1 = ~(uint64_t)a->packets; break;
    case SORT_BYTES: s->k1 = ~(uint64_t)a->bytes; break;
    case SORT_DURATION: /* none (no event: first > last) after every one */
        if (a->first > a->last)
            s->cls = 1;
        else
            s->k1 = ~((uint64_t)a->last - (uint64_t)a->first);
        break;
    case SORT_INTERVALS: s->k1 = ~(uint64_t)a->iv.count; break;
    case SORT_MEAN: rec_desc(s, a->iv.mean, a->iv.count > 0); break;
    case SORT_STD: rec_desc(s, a->iv.std, a->iv.has_std); break;
    case SORT_MEDIAN: rec_desc(s, a->iv.median, a->iv.count > 0); break;
    case SORT_MAD: rec_desc(s, a->iv.mad, a->iv.count > 0); break;
    case SORT_FIRST: s->k1 = (uint64_t)a->first ^ (1ull << 63); break;
    case SORT_LAST: s->k1 = ~((uint64_t)a->last ^ (1ull << 63)); break;
    case SORT_SRC: /* IPv4, then IPv6 (the 16 bytes alone interleaved them) */
        s->cls = a->key->family == 6;
        s->k1 = hash40_rd64_be(a->key->src);
        s->k2 = hash40_rd64_be(a->key->src + 8);
        break;
    case SORT_DST:
        if (a->key->dst_name && dst_rank) {
            s->cls = 2;
            s->k2 = dst_rank[ai];
            break;
        }
        s->cls = a->key->family == 6;
        s->k1 = hash40_rd64_be(a->key->dst);
        s->k2 = hash40_rd64_be(a->key->dst + 8);
        break;
    }
}

/* a before b */
static inline int rec_less(const struct sort_rec *a, const struct sort_rec *b)
{
    if (a->cls != b->cls)
        return a->cls < b->cls;
    if (a->k1 != b->k1)
        return a->k1 < b->k1;
    if (a->k2 != b->k2)
        return a->k2 < b->k2;
    for (int i = 0; i < 5; i++)
        if (a->kw[i] != b->kw[i])
            return a->kw[i] < b->kw[i];
    return a->idx < b->idx; /* keys are distinct: never reached for real results */
}

/* Sort a[0..n) into tmp when to_tmp, else in place; the other is scratch
 * (order.c's merge sort, on the records themselves).  glibc's qsort()
 * sorts records this large indirectly, through pointers, each comparison a
 * miss on two records scattered over the array: 0.43-0.46 s for 1 M
 * results, against 0.14-0.17 s for this one, which streams through both
 * buffers (docs/performance-log.md, session 12). */
static void rec_sort(struct sort_rec *a, struct sort_rec *tmp, size_t n, int to_tmp)
{
    struct sort_rec *out = to_tmp ? tmp : a;
    if (n <= 8) { /* insertion sort into out */
        for (size_t i = 0; i < n; i++) {
            struct sort_rec v = a[i];
            size_t j = i;
            for (; j > 0 && rec_less(&v, &out[j - 1]); j--)
                out[j] = out[j - 1];
            out[j] = v;
        }
        return;
    }
    size_t h = n / 2;
    rec_sort(a, tmp, h, !to_tmp);
    rec_sort(a + h, tmp + h, n - h, !to_tmp);
    const struct sort_rec *x = to_tmp ? a : tmp, *xe = x + h, *y = xe, *ye = x + n;
    while (x < xe && y < ye)
        *out++ = rec_less(y, x) ? *y++ : *x++;
    while (x < xe)
        *out++ = *x++;
    while (y < ye)
        *out++ = *y++;
}

/* One thread's share of results_order: the records of results [lo, hi),
 * sorted into their place of s (tmp is scratch). */
struct order_part {
    const struct result *r;
    enum sort_key key;
    const uint32_t *dst_rank;
    struct sort_rec *s, *tmp;
    size_t lo, hi;
};

static void *order_part_run(void *arg)
{
    const struct order_part *p = arg;
    for (size_t i = p->lo; i < p->hi; i++) {
        make_rec(p->key, &p->r[i], &p->s[i], p->dst_rank, i);
        p->s[i].idx = (uint32_t)i;
    }
    rec_sort(p->s + p->lo, p->tmp + p->lo, p->hi - p->lo, 0);
    return NULL;
}

/* Below this many results one thread orders them: a thread's start costs
 * more than the half it would sort. */
#define ORDER_PAR_MIN 16384

uint32_t *results_order_threads(const struct result *r, size_t n, enum sort_key key, int threads)
{
    uint32_t *order = xmalloc(st_mult(n ? n : 1, sizeof(*order)));
    if (n < 2) {
        if (n)
            order[0] = 0;
        return order;
    }
    struct sort_rec *s = xmalloc(st_mult(n, sizeof(*s)));
    struct sort_rec *tmp = xmalloc(st_mult(n, sizeof(*tmp)));
    uint32_t *dst_rank = key == SORT_DST ? dst_name_ranks(r, n) : NULL;
    /*
     * With two threads each makes and sorts half the records, and the
     * halves are merged straight into the order: for 1 M groups the
     * records are 128 MB of fresh memory (the sort's scratch included),
     * whose first touch was most of this function's 0.33-0.40 s on one
     * thread.  rec_less is a total order (the positions break the last
     * ties), so the order is the one thread's.
     */
    struct order_part part[2] = {{r, key, dst_rank, s, tmp, 0, n},
                                 {r, key, dst_rank, s, tmp, n, n}};
    pthread_t th;
    int par = threads > 1 && n >= ORDER_PAR_MIN;
    if (par) {
        part[0].hi = part[1].lo = n / 2;
        if (pthread_create(&th, NULL, order_part_run, &part[1])) {
            part[0].hi = n; /* one thread: the work still gets done */
            par = 0;
        }
    }
    order_part_run(&part[0]);
    if (par) {
        pthread_join(th, NULL);
        const struct sort_rec *x = s, *xe = s + n / 2, *y = xe, *ye = s + n;
        size_t k = 0;
        while (x < xe && y < ye)
            order[k++] = (rec_less(y, x) ? y++ : x++)->idx;
        while (x < xe)
            order[k++] = (x++)->idx;
        while (y < ye)
            order[k++] = (y++)->idx;
    } else {
        for (size_t i = 0; i < n; i++)
            order[i] = s[i].idx;
    }
    free(dst_rank);
    free(tmp);
    free(s);
    return order;
}

uint32_t *results_order(const struct result *r, size_t n, enum sort_key key)
{
    return results_order_threads(r, n, key, 1);
}

void results_sort(struct result *r, size_t n, enum sort_key key)
{
    if (n < 2)
        return;
    uint32_t *order = results_order(r, n, key);
    /* r[j] takes r[order[j]]: each cycle of the permutation moved once
     * through one spare result; a done position is marked order[j] == j */
    struct result spare;
    for (size_t j = 0; j < n; j++) {
        if (order[j] == j)
            continue;
        spare = r[j];
        size_t k = j;
        for (;;) {
            size_t from = order[k];
            order[k] = (uint32_t)k;
            if (from == j) {
                r[k] = spare;
                break;
            }
            r[k] = r[from];
            k = from;
        }
    }
    free(order);
}

/* ---- writers ------------------------------------------------------------ */

/* A row's names: what the table shows as they are (the JSON and CSV rows
 * write their numbers straight into the output, data_row). */
struct row_names {
    char src[INET6_ADDRSTRLEN], dstbuf[INET6_ADDRSTRLEN];
    const char *dst; /* dstbuf, or the group's name whole (up to DNS_TEXT_MAX) */
    char protobuf[8];
    const char *proto; /* NULL when not grouped by protocol */
    char dport[8];     /* "" when none */
};

/* Grouped by ports (and protocol): the proto and dport fields mean something. */
static int by_ports(const struct output_opts *o)
{
    return o->by != GROUP_IP && o->by != GROUP_DNS;
}

static void row_names(const struct output_opts *o, const struct result *r, struct row_names *w)
{
    fmt_addr(r->key, 0, w->src, sizeof(w->src));
    if (r->key->dst_name) {
        w->dst = r->host ? r->host : "?";
    } else {
        fmt_addr(r->key, 1, w->dstbuf, sizeof(w->dstbuf));
        w->dst = w->dstbuf;
    }
    int ports = by_ports(o);
    w->proto = ports ? proto_name(r->key->proto, w->protobuf, sizeof(w->protobuf)) : NULL;
    w->dport[0] = '\0';
    if (ports && r->key->has_port)
        fmt_u64(r->key->dport, w->dport);
}

/* A JSON member's key after the previous member, as one string. */
#define JKEY(name) ",\"" name "\":"

/*
 * Rows are built in a local buffer handed to stdio in large pieces: one
 * fwrite per 16 KiB instead of a libc call per field or character.
 * ob_done() must run before the stream is flushed.  Without a stream
 * (ob_init_mem) the buffer is on the heap and grows: rows formatted on
 * another thread wait there for their turn (write_rows).
 */
struct obuf {
    FILE *f; /* NULL: in memory */
    char *buf, *p, *end;
    char local[1 << 14];
};

static void ob_init(struct obuf *b, FILE *f)
{
    b->f = f;
    b->buf = b->p = b->local;
    b->end = b->local + sizeof(b->local);
}

static void ob_init_mem(struct obuf *b)
{
    b->f = NULL;
    b->buf = b->p = xmalloc(sizeof(b->local));
    b->end = b->buf + sizeof(b->local);
}

static void ob_done(struct obuf *b)
{
    if (b->f && b->p > b->buf)
        fwrite(b->buf, 1, (size_t)(b->p - b->buf), b->f);
    b->p = b->buf;
}

static void ob_grow(struct obuf *b, size_t n);

/* Inlined into each row writer, so that the keys' lengths are constants and
 * their copies a few moves where a call to memcpy was: the copies were a
 * sixth of writing 1 M JSON rows (perf), and these inlined took the writing
 * from 1.9-2.1 to 1.4-1.6 s (one thread, alternated runs). */
#define OB_INLINE static inline __attribute__((always_inline))

/* Room for n more bytes (in a stream's buffer: n <= sizeof(b->local)). */
static inline void ob_room(struct obuf *b, size_t n)
{
    if ((size_t)(b->end - b->p) < n)
        ob_grow(b, n);
}

static void ob_grow(struct obuf *b, size_t n)
{
    if (b->f) {
        ob_done(b);
        return;
    }
    size_t len = (size_t)(b->p - b->buf), cap = (size_t)(b->end - b->buf);
    size_t nc = st_add(cap, cap) < st_add(len, n) ? st_add(len, n) : st_add(cap, cap);
    b->buf = xgrow(b->buf, len, nc);
    b->p = b->buf + len;
    b->end = b->buf + nc;
}

OB_INLINE void ob_putc(struct obuf *b, char c)
{
    ob_room(b, 1);
    *b->p++ = c;
}

OB_INLINE void ob_put(struct obuf *b, const char *s, size_t n)
{
    if (b->f && n > sizeof(b->local)) {
        ob_done(b);
        fwrite(s, 1, n, b->f);
        return;
    }
    ob_room(b, n);
    memcpy(b->p, s, n);
    b->p += n;
}

OB_INLINE void ob_str(struct obuf *b, const char *s)
{
    ob_put(b, s, strlen(s));
}

OB_INLINE void ob_u64(struct obuf *b, uint64_t v)
{
    ob_room(b, 24);
    if (v < 10) /* most counts of most rows */
        *b->p++ = (char)('0' + v);
    else
        b->p += fmt_u64_raw(v, b->p);
}

/* JSON: strings here are addresses, names and numbers we produced; still,
 * all strings go through the one escaping function. */
static void jsonw_str(struct obuf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    while ((unsigned char)s[n] >= 0x20 && s[n] != '"' && s[n] != '\\')
        n++;
    ob_putc(b, '"');
    if (!s[n]) {
        ob_put(b, s, n);
    } else {
        for (; *s; s++) {
            unsigned char c = (unsigned char)*s;
            ob_room(b, 6);
            if (c == '"' || c == '\\') {
                *b->p++ = '\\';
                *b->p++ = (char)c;
            } else if (c < 0x20) {
                memcpy(b->p, "\\u00", 4);
                b->p[4] = hex[c >> 4];
                b->p[5] = hex[c & 15];
                b->p += 6;
            } else {
                *b->p++ = (char)c;
            }
        }
    }
    ob_putc(b, '"');
}

/* RFC 4180 quoting, in one place. */
static void csv_quoted(struct obuf *b, const char *s)
{
    size_t n = 0; /* all of NUL , " CR LF are <= ',' */
    while ((unsigned char)s[n] > ',' ||
           (s[n] && s[n] != ',' && s[n] != '"' && s[n] != '\r' && s[n] != '\n'))
        n++;
    if (!s[n]) {
        ob_put(b, s, n);
        return;
    }
    ob_putc(b, '"');
    for (const char *q; (q = strchr(s, '"')); s = q + 1) {
        ob_put(b, s, (size_t)(q + 1 - s));
        ob_putc(b, '"'); /* doubled */
    }
    ob_str(b, s);
    ob_putc(b, '"');
}

static const char csv_header[] =
    "src,dst,proto,dport,packets,bytes,first,last,duration,intervals,interval_mean,"
    "interval_std,interval_min,interval_max,interval_median,interval_mad,"
    "interval_approx,late_packets,events,flows,failed,score,score_interval,score_size,"
    "score_coverage,score_period,period,sources,reason,allow,host,allow_confirmed,"
    "score_confidence,score_penalty,score_context,beat_bytes,sources_alike,beats,dns_queries,"
    "dns_top,dns_top_queries,dns_domains\n";

/*
 * The JSON and CSV rows: the same fields in the same order (the CSV header's),
 * written by one function for both (json 1: each member after its key, null
 * when the field has no value; json 0: ',' between fields, empty when none).
 * Numbers go straight into the output buffer: formatted into a row of
 * strings first, then measured and copied, they took 22% more instructions
 * for the CSV rows, 16% for the JSON (callgrind, 50 k rows).
 */

/* Room for any number fmt.h writes (%.9f of DBL_MAX: 320 characters) and
 * the 32 bytes past its end it may write. */
#define NUM_ROOM 384

/* The next field: its key, or the separator before it. */
#define FIELD(name)                                                                                \
    do {                                                                                           \
        if (json)                                                                                  \
            ob_put(b, JKEY(name), sizeof(JKEY(name)) - 1);                                         \
        else                                                                                       \
            ob_putc(b, ',');                                                                       \
    } while (0)

/* A field without a value. */
OB_INLINE void put_none(struct obuf *b, int json)
{
    if (json)
        ob_put(b, "null", 4);
}

OB_INLINE void put_u64_if(struct obuf *b, int json, int has, uint64_t v)
{
    if (has)
        ob_u64(b, v);
    else
        put_none(b, json);
}

/* Seconds of a double: 9 decimals, trailing zeros trimmed down to one. */
OB_INLINE void put_sec_if(struct obuf *b, int json, int has, double v)
{
    if (!has) {
        put_none(b, json);
        return;
    }
    ob_room(b, NUM_ROOM);
    b->p += fmt_fixed_trim(v, 9, 1, b->p, NUM_ROOM);
}

/* A time (ns since the epoch) in seconds with digits decimals. */
OB_INLINE void put_time_if(struct obuf *b, int json, int has, int64_t ns, int digits)
{
    if (!has) {
        put_none(b, json);
        return;
    }
    ob_room(b, NUM_ROOM);
    b->p += fmt_time_ns(ns, digits, b->p, NUM_ROOM);
}

/* A score or one of its parts and factors: 3 decimals. */
OB_INLINE void put_part_if(struct obuf *b, int json, int has, double v)
{
    if (!has) {
        put_none(b, json);
        return;
    }
    ob_room(b, NUM_ROOM);
    b->p += fmt_fixed(v, 3, b->p, NUM_ROOM);
}

/* A string: escaped and quoted (JSON) or quoted as RFC 4180 wants (CSV);
 * NULL is null, or empty. */
OB_INLINE void put_str(struct obuf *b, int json, const char *s)
{
    if (!s)
        put_none(b, json);
    else if (json)
        jsonw_str(b, s);
    else
        csv_quoted(b, s);
}

/* A string pcts wrote itself, which needs neither escaping nor quoting
 * (addresses, protocol names): quoted in JSON, as it is in CSV. */
OB_INLINE void put_plain(struct obuf *b, int json, const char *s, size_t n)
{
    ob_room(b, n + 2);
    if (json)
        *b->p++ = '"';
    memcpy(b->p, s, n);
    b->p += n;
    if (json)
        *b->p++ = '"';
}

/* true or false, unquoted in both */
OB_INLINE void put_bool(struct obuf *b, int v)
{
    if (v)
        ob_put(b, "true", 4);
    else
        ob_put(b, "false", 5);
}

OB_INLINE void data_row(struct obuf *b, const struct output_opts *o, const struct result *r,
                        int json)
{
    const struct group_key *k = r->key;
    char ip[INET6_ADDRSTRLEN];
    if (json)
        ob_put(b, "{\"src\":", 7);
    put_plain(b, json, ip, fmt_ip(k->family, k->src, ip));
    FIELD("dst");
    if (k->dst_name)
        put_str(b, json, r->host ? r->host : "?");
    else
        put_plain(b, json, ip, fmt_ip(k->family, k->dst, ip));
    int ports = by_ports(o);
    FIELD("proto");
    if (ports) {
        char pb[8];
        const char *p = proto_name(k->proto, pb, sizeof(pb));
        put_plain(b, json, p, strlen(p));
    } else {
        put_none(b, json);
    }
    FIELD("dport");
    put_u64_if(b, json, ports && k->has_port, k->dport);
    FIELD("packets");
    ob_u64(b, r->packets);
    FIELD("bytes");
    ob_u64(b, r->bytes);
    /* no event (an empty series: first > last): none (flow.h: stray timestamps) */
    int times = r->first <= r->last;
    FIELD("first");
    put_time_if(b, json, times, r->first, o->ts_digits);
    FIELD("last");
    put_time_if(b, json, times, r->last, o->ts_digits);
    FIELD("duration");
    if (times) {
        ob_room(b, NUM_ROOM);
        b->p += fmt_dur_ns((uint64_t)r->last - (uint64_t)r->first, o->ts_digits, b->p, NUM_ROOM);
    } else {
        put_none(b, json);
    }
    int iv = r->iv.count > 0;
    FIELD("intervals");
    ob_u64(b, r->iv.count);
    FIELD("interval_mean");
    put_sec_if(b, json, iv, r->iv.mean);
    FIELD("interval_std");
    put_sec_if(b, json, r->iv.has_std, r->iv.std);
    FIELD("interval_min");
    put_sec_if(b, json, iv, r->iv.min);
    FIELD("interval_max");
    put_sec_if(b, json, iv, r->iv.max);
    FIELD("interval_median");
    put_sec_if(b, json, iv, r->iv.median);
    FIELD("interval_mad");
    put_sec_if(b, json, iv, r->iv.mad);
    FIELD("interval_approx");
    put_bool(b, r->iv.approx);
    FIELD("late_packets");
    ob_u64(b, r->iv.late);
    FIELD("events");
    ob_u64(b, r->events);
    FIELD("flows");
    ob_u64(b, r->flows);
    FIELD("failed");
    ob_u64(b, r->failed);
    const struct beacon_score *sc = &r->sc;
    int valid = sc->valid != 0;
    FIELD("score");
    put_part_if(b, json, valid, sc->score);
    FIELD("score_interval");
    put_part_if(b, json, valid, sc->s_interval);
    FIELD("score_size");
    put_part_if(b, json, valid, sc->s_size);
    FIELD("score_coverage");
    put_part_if(b, json, valid, sc->s_coverage);
    FIELD("score_period");
    put_part_if(b, json, valid, sc->s_period);
    FIELD("period");
    put_sec_if(b, json, valid && sc->period > 0, sc->period);
    FIELD("sources");
    ob_u64(b, sc->sources);
    char why[SCORE_REASON_MAX];
    result_reason(o, r, why, sizeof(why));
    FIELD("reason");
    put_str(b, json, why);
    FIELD("allow");
    put_str(b, json, r->allow);
    FIELD("host");
    put_str(b, json, r->host);
    FIELD("allow_confirmed");
    if (r->allow)
        put_bool(b, !r->allow_weak);
    else
        put_none(b, json);
    /* else no period was sought: score 0, and no confidence, penalty or
     * median beat */
    int repeats = valid && sc->repeats;
    FIELD("score_confidence");
    put_part_if(b, json, repeats, sc->confidence);
    FIELD("score_penalty");
    put_part_if(b, json, repeats, sc->penalty);
    FIELD("score_context");
    put_part_if(b, json, valid, sc->context);
    /* a whole number of bytes (from a sketch past --exact-limit: within its 1%) */
    FIELD("beat_bytes");
    put_u64_if(b, json, repeats, repeats ? (uint64_t)llround(sc->beat_bytes) : 0);
    /* none: the factor counted every source (score.h) */
    FIELD("sources_alike");
    put_u64_if(b, json, sc->alike != 0, sc->alike);
    /* none: not scored (too few events) */
    FIELD("beats");
    put_u64_if(b, json, valid, sc->beats);
    /* none: no DNS query counted (result.dns_queries) */
    FIELD("dns_queries");
    put_u64_if(b, json, r->dns_queries != 0, r->dns_queries);
    FIELD("dns_top");
    put_str(b, json, r->dns_top);
    FIELD("dns_top_queries");
    put_u64_if(b, json, r->dns_top != NULL, r->dns_top_queries);
    FIELD("dns_domains"); /* none with dns_top */
    put_u64_if(b, json, r->dns_top != NULL, r->dns_domains);
    if (json)
        ob_put(b, "}\n", 2);
    else
        ob_putc(b, '\n');
}

static void json_row(struct obuf *b, const struct output_opts *o, const struct result *r)
{
    data_row(b, o, r, 1);
}

static void csv_row(struct obuf *b, const struct output_opts *o, const struct result *r)
{
    data_row(b, o, r, 0);
}

size_t result_reason(const struct output_opts *o, const struct result *r, char *buf, size_t cap)
{
    char dns[128] = ""; /* at most about 80 bytes: a count, a length and an entropy */
    if (r->dns_names)
        snprintf(dns, sizeof(dns), "; %u%s distinct names, subdomains %.1f chars, %.2f bits/char",
                 r->dns_names, o->dns_full ? "+" : "", r->dns_label_mean, r->dns_bits_mean);
    size_t n = score_reason(&r->sc, dns, buf, cap);
    /* the domain most of a group's DNS queries asked for, last: a tunnel
     * through the resolver is one client -> resolver group (group/qdom.h) */
    n += result_dns_note(r, buf + (n < cap ? n : cap), n < cap ? cap - n : 0);
    return n;
}

size_t result_dns_note(const struct result *r, char *buf, size_t cap)
{
    int k;
    if (!r->dns_top) { /* most groups: no snprintf, which was 6% of writing a CSV row */
        if (cap)
            buf[0] = '\0';
        return 0;
    }
    if (r->dns_top_queries == 1 && r->dns_domains > 1) /* no domain twice: none is the top */
        k = snprintf(buf, cap, "; %u DNS queries for %u domains", r->dns_queries, r->dns_domains);
    else if (r->dns_top_queries == r->dns_queries)
        k = snprintf(buf, cap, "; all %u DNS queries for %s", r->dns_queries, r->dns_top);
    else
        k = snprintf(buf, cap, "; %u of %u DNS queries for %s", r->dns_top_queries, r->dns_queries,
                     r->dns_top);
    return k < 0 ? 0 : (size_t)k;
}

/*
 * Sparkline of the interval distribution on a fixed log scale centred on the
 * median: 12 bins from median/30 to median*30 (each a factor of about 1.76),
 * values beyond the ends counted in the end bins.  A regular beacon is one
 * spike in the middle; jitter widens it; random traffic spreads out.
 */
void sparkline(const struct wval *iv, size_t n, char *out, size_t len)
{
    static const char *const blocks[8] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                          "\u2585", "\u2586", "\u2587", "\u2588"};
    enum { BINS = 12 };
    out[0] = '\0';
    uint64_t total = 0, seen = 0;
    for (size_t i = 0; i < n; i++)
        total += iv[i].w;
    if (total < 2 || len < BINS * 3 + 1)
        return;
    double med = 0; /* iv is ascending */
    for (size_t i = 0; i < n; i++) {
        seen += iv[i].w;
        if (2 * seen >= total) {
            med = iv[i].v;
            break;
        }
    }
    if (!(med > 0))
        med = 1e-6;
    double lo = log10(med / 30), span = log10(900.0);
    uint64_t bin[BINS] = {0}, mx = 0;
    for (size_t i = 0; i < n; i++) {
        int b = iv[i].v > 0 ? (int)floor((log10(iv[i].v) - lo) / span * BINS) : 0;
        b = b < 0 ? 0 : b >= BINS ? BINS - 1 : b;
        bin[b] += iv[i].w;
    }
    for (int b = 0; b < BINS; b++)
        mx = bin[b] > mx ? bin[b] : mx;
    size_t o = 0;
    for (int b = 0; b < BINS; b++) {
        const char *c = bin[b] ? blocks[(bin[b] * 7 + mx - 1) / mx] : " ";
        size_t cl = strlen(c);
        if (o + cl + 1 > len)
            break;
        memcpy(out + o, c, cl);
        o += cl;
    }
    out[o] = '\0';
}

/* Display width of a UTF-8 string (one column per code point here). */
static size_t utf8_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

enum {
    TC_SCORE,
    TC_SRC,
    TC_DST,
    TC_HOST,
    TC_PROTO,
    TC_DPORT,
    TC_EVENTS,
    TC_PKTS,
    TC_BYTES,
    TC_FIRST,
    TC_DUR,
    TC_PERIOD,
    TC_MEDIAN,
    TC_MAD,
    TC_SPARK,
    TC_REASON,
    TC__N
};

/*
 * A name in a table cell: at most TABLE_NAME_MAX characters, a longer one
 * cut in the middle with "...": its start and its end, which holds the
 * registered domain an analyst reads first (cutting the end had left two
 * rows of one CDN's long names alike, and hidden whose they were).  Never
 * inside a \DDD escape (DNS names in presentation form, names.h), which
 * would read as another byte.  JSON and CSV carry names whole.
 */
#define TABLE_NAME_MAX 60
#define TABLE_NAME_HEAD 20
static void cell_name(char *cell, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (n <= TABLE_NAME_MAX) {
        snprintf(cell, cap, "%s", s);
        return;
    }
    /* an escape starting in the last 3 characters of the head would not
     * end in it: the head ends before it; one starting in the 3 before the
     * tail would begin outside it: the tail begins after it */
    size_t head = TABLE_NAME_HEAD, tail = n - (TABLE_NAME_MAX - 3 - TABLE_NAME_HEAD);
    const char *esc = memchr(s + head - 3, '\\', 3);
    if (esc)
        head = (size_t)(esc - s);
    esc = memchr(s + tail - 3, '\\', 3);
    if (esc)
        tail = (size_t)(esc - s) + 4;
    snprintf(cell, cap, "%.*s...%s", (int)head, s, s + tail);
}

/* Table for people: the score first, human units, the reason last (not
 * padded, so long reasons do not widen every row). */
static void write_table(FILE *f, const struct output_opts *o, const struct result *r, size_t n,
                        size_t total)
{
    static const char *const head[TC__N] = {
        "SCORE", "SRC",         "DST",  "HOST",   "PROTO",  "DPORT", "EVENTS",    "PKTS",
        "BYTES", "FIRST (UTC)", "SPAN", "PERIOD", "MEDIAN", "MAD",   "INTERVALS", "REASON"};
    const int right[TC__N] = {1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 0};
    enum { W = 176 };
    int show[TC__N];
    for (int c = 0; c < TC__N; c++)
        show[c] = (o->by != GROUP_IP && o->by != GROUP_DNS) || (c != TC_PROTO && c != TC_DPORT);
    if (!o->flows_series)
        show[TC_EVENTS] = 0; /* events are the packets */
    show[TC_SPARK] = 0;
    for (size_t i = 0; o->spark && i < n; i++)
        if (o->spark[i][0])
            show[TC_SPARK] = 1;
    show[TC_HOST] = 0; /* only when some row has a name the DST column does not show */
    for (size_t i = 0; i < n; i++)
        if (r[i].host && !r[i].key->dst_name)
            show[TC_HOST] = 1;
    char(*cell)[TC__N][W] = calloc(n ? n : 1, sizeof(*cell));
    if (!cell) {
        fputs("pcts: out of memory formatting the table\n", stderr);
        exit(1);
    }
    size_t width[TC__N];
    for (int c = 0; c < TC__N; c++)
        width[c] = strlen(head[c]);
    for (size_t i = 0; i < n; i++) {
        struct row_names w;
        row_names(o, &r[i], &w);
        char(*x)[W] = cell[i];
        if (r[i].sc.valid)
            snprintf(x[TC_SCORE], W, "%.2f%s", r[i].sc.score,
                     !r[i].allow       ? ""
                     : r[i].allow_weak ? "?"
                                       : "*");
        else
            snprintf(x[TC_SCORE], W, "-%s", !r[i].allow ? "" : r[i].allow_weak ? "?" : "*");
        snprintf(x[TC_SRC], W, "%s", w.src);
        cell_name(x[TC_DST], W, w.dst);
        cell_name(x[TC_HOST], W, r[i].host && !r[i].key->dst_name ? r[i].host : "-");
        snprintf(x[TC_PROTO], W, "%s", w.proto ? w.proto : "");
        snprintf(x[TC_DPORT], W, "%s", w.dport[0] ? w.dport : "-");
        snprintf(x[TC_EVENTS], W, "%llu", (unsigned long long)r[i].events);
        snprintf(x[TC_PKTS], W, "%llu", (unsigned long long)r[i].packets);
        fmt_human_bytes(r[i].bytes, x[TC_BYTES], W);
        if (r[i].first <= r[i].last) {
            fmt_utc(r[i].first, x[TC_FIRST], W);
            fmt_human_dur((double)((uint64_t)r[i].last - (uint64_t)r[i].first) * 1e-9, x[TC_DUR],
                          W);
        } else { /* packets, but no event (flow.h: stray timestamps) */
            snprintf(x[TC_FIRST], W, "-");
            snprintf(x[TC_DUR], W, "-");
        }
        if (r[i].sc.period > 0)
            fmt_human_dur(r[i].sc.period, x[TC_PERIOD], W);
        else
            snprintf(x[TC_PERIOD], W, "-");
        if (r[i].iv.count) {
            fmt_human_dur(r[i].iv.median, x[TC_MEDIAN], W);
            fmt_human_dur(r[i].iv.mad, x[TC_MAD], W);
        } else {
            snprintf(x[TC_MEDIAN], W, "-");
            snprintf(x[TC_MAD], W, "-");
        }
        snprintf(x[TC_SPARK], W, "%s", o->spark ? o->spark[i] : "");
        size_t len = result_reason(o, &r[i], x[TC_REASON], W);
        if (r[i].allow && len + 1 < W)
            snprintf(x[TC_REASON] + len, W - len,
                     r[i].allow_weak ? "; allowed by its TLS SNI/HTTP Host alone (no DNS answer "
                                       "confirms it): %s"
                                     : "; allowed: %s",
                     r[i].allow);
        for (int c = 0; c < TC_REASON; c++)
            if (utf8_width(x[c]) > width[c])
                width[c] = utf8_width(x[c]);
    }
    for (size_t i = 0; i <= n; i++) {
        int first = 1;
        /* colour: bold red for strong candidates, yellow for middling,
         * dim for allowed; the header bold */
        const char *on = "", *off = "";
        if (o->color) {
            off = "\033[0m";
            if (i == 0)
                on = "\033[1m";
            else if (r[i - 1].allow && !r[i - 1].allow_weak)
                on = "\033[2m";
            else if (r[i - 1].sc.valid && r[i - 1].sc.score >= 0.7)
                on = "\033[1;31m";
            else if (r[i - 1].sc.valid && r[i - 1].sc.score >= 0.4)
                on = "\033[33m";
            else
                off = "";
        }
        fputs(on, f);
        for (int c = 0; c < TC__N; c++) {
            if (!show[c])
                continue;
            const char *v = i == 0 ? head[c] : cell[i - 1][c];
            if (c == TC_REASON) {
                fprintf(f, "  %s", v);
            } else {
                /* pad by display width: the sparkline is multi-byte UTF-8 */
                size_t vw = utf8_width(v), pad = width[c] > vw ? width[c] - vw : 0;
                if (!first)
                    fputs("  ", f);
                if (right[c])
                    fprintf(f, "%*s%s", (int)pad, "", v);
                else
                    fprintf(f, "%s%*s", v, (int)pad, "");
            }
            first = 0;
        }
        fputs(off, f);
        fputc('\n', f);
    }
    if (n < total)
        fprintf(f, "(%zu of %zu groups shown; --top N shows more, -F csv or -F json all)\n", n,
                total);
    free(cell);
}

/* ---- flow list ------------------------------------------------------------ */

void flow_writer_begin(struct flow_writer *w)
{
    w->rows = 0;
    if (w->format == OUT_CSV)
        fputs("start,end,duration,orig_h,orig_p,resp_h,resp_p,proto,vlan,orig_pkts,orig_bytes,"
              "resp_pkts,resp_bytes,conn_state,failed,host\n",
              w->f);
    else if (w->format == OUT_TABLE)
        fprintf(w->f, "%-26s %10s  %-39s %5s  %-39s %5s  %-5s %7s %9s %7s %9s  %-6s  %s\n",
                "START (UTC)", "DURATION", "ORIG", "PORT", "RESP", "PORT", "PROTO", "O.PKTS",
                "O.BYTES", "R.PKTS", "R.BYTES", "STATE", "HOST");
}

/* A name as a JSON string: DNS names carry \DDD escapes (names.h), the
 * only byte here JSON escapes; the rest is printable ASCII.  Not the rows'
 * jsonw_str: the flow list writes to its stream as flows end, without the
 * rows' buffer, and its names never hold a control character. */
static void flow_json_name(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void flow_writer_row(struct flow_writer *w, const struct flow *fl, const char *host)
{
    char oh[INET6_ADDRSTRLEN], rh[INET6_ADDRSTRLEN], pb[8], st[32], en[32], du[32];
    fmt_ip(fl->key.family, fl->key.addr[fl->orig], oh);
    fmt_ip(fl->key.family, fl->key.addr[!fl->orig], rh);
    const char *proto = proto_name(fl->key.proto, pb, sizeof(pb));
    unsigned op = fl->key.port[fl->orig], rp = fl->key.port[!fl->orig];
    fmt_time_ns(fl->start, w->ts_digits, st, sizeof(st));
    fmt_time_ns(fl->last, w->ts_digits, en, sizeof(en));
    fmt_dur_ns((uint64_t)fl->last - (uint64_t)fl->start, w->ts_digits, du, sizeof(du));
    const char *state = flow_state(fl);
    int failed = flow_failed(fl);
    unsigned long long a = fl->pkts[0], b = fl->bytes[0], c = fl->pkts[1], d = fl->bytes[1];
    switch (w->format) {
    case OUT_JSON:
        fprintf(w->f,
                "{\"start\":%s,\"end\":%s,\"duration\":%s,\"orig_h\":\"%s\",\"orig_p\":%u,"
                "\"resp_h\":\"%s\",\"resp_p\":%u,\"proto\":\"%s\",\"vlan\":%u,\"orig_pkts\":%llu,"
                "\"orig_bytes\":%llu,\"resp_pkts\":%llu,\"resp_bytes\":%llu,\"conn_state\":\"%s\","
                "\"failed\":%s,\"host\":",
                st, en, du, oh, op, rh, rp, proto, fl->key.vlan, a, b, c, d, state,
                failed ? "true" : "false");
        flow_json_name(w->f, host);
        fputs("}\n", w->f);
        break;
    case OUT_CSV:
        /* a name has no ',', '"' or line break: names.h's alphabet, escaped */
        fprintf(w->f, "%s,%s,%s,%s,%u,%s,%u,%s,%u,%llu,%llu,%llu,%llu,%s,%s,%s\n", st, en, du, oh,
                op, rh, rp, proto, fl->key.vlan, a, b, c, d, state, failed ? "true" : "false",
                host ? host : "");
        break;
    case OUT_TABLE: {
        char utc[32], hd[32];
        fmt_utc(fl->start, utc, sizeof(utc));
        fmt_human_dur((double)((uint64_t)fl->last - (uint64_t)fl->start) * 1e-9, hd, sizeof(hd));
        fprintf(w->f, "%-26s %10s  %-39s %5u  %-39s %5u  %-5s %7llu %9llu %7llu %9llu  %-6s  %s\n",
                utc, hd, oh, op, rh, rp, proto, a, b, c, d, state, host ? host : "-");
        break;
    }
    }
    w->rows++;
}

int flow_writer_end(struct flow_writer *w, const char *name, char *msg)
{
    int e = stream_error(w->f);
    if (e) {
        errmsg_set(msg, "cannot write '%s': %s", name, strerror(e));
        return ERR_IO;
    }
    return 0;
}

/*
 * CSV and JSON rows are written in chunks of ROW_CHUNK rows.  With
 * o->threads > 1 a helper thread formats every other chunk into a memory
 * buffer while this thread formats and writes the ones between (formatting
 * is most of the time: 50 k rows cost 0.07-0.1 s on one core); the
 * buffers come back in the order they were filled (util/bqueue.h), so the
 * bytes are those of a one-thread run.  At most ROW_BUFS chunks wait.
 */
#define ROW_CHUNK 1024
#define ROW_BUFS 4

typedef void (*row_fn)(struct obuf *b, const struct output_opts *o, const struct result *r);

struct row_pipe {
    struct bqueue q;
    const struct output_opts *o;
    const struct result *r;
    const uint32_t *order; /* row i is r[order[i]]; NULL: r[i] */
    size_t n;
    row_fn fn;
};

static void format_chunk(struct obuf *b, const struct row_pipe *rp, size_t k)
{
    size_t hi = rp->n - k * ROW_CHUNK < ROW_CHUNK ? rp->n : (k + 1) * ROW_CHUNK;
    if (!rp->order) {
        for (size_t i = k * ROW_CHUNK; i < hi; i++)
            rp->fn(b, rp->o, &rp->r[i]);
        return;
    }
    /* The results in ranked order are scattered over the array (360 bytes
     * each): fetch a row's result and its key a few rows ahead. */
    enum { AHEAD = 4 };
    for (size_t i = k * ROW_CHUNK; i < hi; i++) {
        if (i + AHEAD < hi) {
            const struct result *a = &rp->r[rp->order[i + AHEAD]];
            for (size_t l = 0; l < sizeof(*a); l += 64)
                __builtin_prefetch((const char *)a + l);
        }
        if (i + AHEAD / 2 < hi)
            __builtin_prefetch(rp->r[rp->order[i + AHEAD / 2]].key);
        rp->fn(b, rp->o, &rp->r[rp->order[i]]);
    }
}

static void *row_helper(void *arg)
{
    struct row_pipe *rp = arg;
    size_t chunks = (rp->n + ROW_CHUNK - 1) / ROW_CHUNK;
    for (size_t k = 1; k < chunks; k += 2) {
        struct obuf *b = bq_get_free(&rp->q);
        b->p = b->buf;
        format_chunk(b, rp, k);
        bq_put(&rp->q, b);
    }
    return NULL;
}

static void write_rows(FILE *f, const struct output_opts *o, const struct result *r,
                       const uint32_t *order, size_t n, row_fn fn, const char *header)
{
    struct obuf b;
    ob_init(&b, f);
    if (header)
        ob_str(&b, header);
    struct row_pipe rp = {.o = o, .r = r, .order = order, .n = n, .fn = fn};
    size_t chunks = (n + ROW_CHUNK - 1) / ROW_CHUNK;
    struct obuf *mem = NULL;
    pthread_t th;
    int par = o->threads > 1 && chunks >= 2;
    if (par) {
        void *slots[ROW_BUFS];
        mem = xmalloc(ROW_BUFS * sizeof(*mem));
        for (size_t i = 0; i < ROW_BUFS; i++) {
            ob_init_mem(&mem[i]);
            slots[i] = &mem[i];
        }
        if (bq_init(&rp.q, slots, ROW_BUFS)) {
            par = 0;
        } else if (pthread_create(&th, NULL, row_helper, &rp)) {
            bq_destroy(&rp.q);
            par = 0;
        }
    }
    for (size_t k = 0; k < chunks; k++) {
        if (par && k % 2) {
            struct obuf *h = bq_take(&rp.q);
            ob_done(&b);
            fwrite(h->buf, 1, (size_t)(h->p - h->buf), f);
            bq_release(&rp.q, h);
        } else {
            format_chunk(&b, &rp, k);
        }
    }
    ob_done(&b);
    if (par) {
        pthread_join(th, NULL);
        bq_destroy(&rp.q);
    }
    if (mem) {
        for (size_t i = 0; i < ROW_BUFS; i++)
            free(mem[i].buf);
        free(mem);
    }
}

int output_write(FILE *f, const char *name, const struct output_opts *o, const struct result *r,
                 const uint32_t *order, size_t n, char *msg)
{
    size_t shown = n;
    if (o->top && o->top < n)
        shown = o->top;
    switch (o->format) {
    case OUT_TABLE:
        if (order) { /* the rows shown, together (the table reads them several times) */
            struct result *t = xmalloc(st_mult(shown ? shown : 1, sizeof(*t)));
            for (size_t i = 0; i < shown; i++)
                t[i] = r[order[i]];
            write_table(f, o, t, shown, n);
            free(t);
        } else {
            write_table(f, o, r, shown, n);
        }
        break;
    case OUT_CSV: write_rows(f, o, r, order, shown, csv_row, csv_header); break;
    case OUT_JSON: write_rows(f, o, r, order, shown, json_row, NULL); break;
    }
    int e = stream_error(f);
    if (e) {
        errmsg_set(msg, "cannot write '%s': %s", name, strerror(e));
        return ERR_IO;
    }
    return 0;
}

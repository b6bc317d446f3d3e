/*
 * pipeline.c - see pipeline.h.  One translation unit on purpose: the
 * record and decode steps (next_decoded) inline into each loop.
 *
 * The packet loops are kept free of system calls: the clock is read once
 * every 64 Ki packets, for the progress bar only.
 */
#include "pipeline.h"

#include "../decode/names.h"
#include "../decode/quic.h"
#include "../util/bqueue.h"
#include "../util/hashbytes.h"
#include "../util/clock.h"
#include "../util/err.h"
#include "../util/prefault.h"
#include "../util/xalloc.h"

#include <arpa/inet.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fmt_bytes_si(uint64_t b, char *buf, size_t len)
{
    if (b >= 1000000000ull)
        snprintf(buf, len, "%.2f GB", (double)b / 1e9);
    else if (b >= 1000000)
        snprintf(buf, len, "%.1f MB", (double)b / 1e6);
    else
        snprintf(buf, len, "%.0f kB", (double)b / 1e3);
}

static void progress_tick(struct progress *pg, const struct inputs *in, uint64_t pkts)
{
    double t = now_s();
    if (t - pg->start < 0.5 || t - pg->last_draw < 0.2)
        return;
    pg->last_draw = t;
    uint64_t done, total;
    inputs_progress(in, &done, &total);
    double el = t - pg->start;
    char d[32], tot[32];
    fmt_bytes_si(done, d, sizeof(d));
    double rate = (double)pkts / el;
    if (total) {
        fmt_bytes_si(total, tot, sizeof(tot));
        double frac = (double)done / (double)total;
        if (frac > 1) /* a file still being written: read past its size at open */
            frac = 1;
        double eta = frac > 0 ? el * (1 - frac) / frac : 0;
        int w = 30, fill = (int)(frac * w);
        char bar[32];
        for (int i = 0; i < w; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[w] = '\0';
        fprintf(stderr, "\r[%s] %3.0f%% %s/%s  %.2f M pkt/s  ETA %.0fs\033[K", bar, frac * 100, d,
                tot, rate / 1e6, eta);
    } else {
        fprintf(stderr, "\r%s read  %.2f M pkt/s\033[K", d, rate / 1e6);
    }
    pg->drawn = 1;
    warn_bar_drawn(1);
}

/* Once per link type and input, for the first 16 of them (the summary
 * counts every packet skipped). */
static void warn_linktype(struct run *r, const struct inputs *in, uint32_t lt)
{
    const char *path = inputs_last_path(in);
    size_t cap = sizeof(r->warned_lt) / sizeof(r->warned_lt[0]);
    if (r->n_warned_lt == cap)
        return;
    for (size_t i = 0; i < r->n_warned_lt; i++)
        if (r->warned_lt[i] == lt && r->warned_in[i] == path)
            return;
    r->warned_lt[r->n_warned_lt] = lt;
    r->warned_in[r->n_warned_lt++] = path;
    if (path && strcmp(path, "-"))
        warnx_("warning: '%s': link type %u (%s) is not supported; its packets are counted as "
               "skipped",
               path, lt, decode_linktype_name(lt));
    else
        warnx_("warning: %s: link type %u (%s) is not supported; its packets are counted as "
               "skipped",
               path ? "(standard input)" : "input", lt, decode_linktype_name(lt));
}

static void series_array_reserve(struct pdrain *d, size_t need);

/* The loop's end: every group gets its series and adds its packet counts;
 * d is emptied. */
static void pdrain_to_groups(struct pdrain *d, struct group_table *tab)
{
    for (size_t i = 0; i < d->n; i++) {
        struct group *g = &tab->g[i];
        g->s = d->ser[i]; /* the group's own is empty, never used */
        g->packets += d->packets[i];
        g->bytes += d->bytes[i];
    }
    xres_free(&d->ser_r);
    xres_free(&d->packets_r);
    xres_free(&d->bytes_r);
    free(d->tmp);
    free(d->vtmp);
    memset(d, 0, sizeof(*d));
}

static void pdrain_reserve(struct pdrain *d, size_t n)
{
    if (n <= d->n)
        return;
    size_t old = d->n, old_cap = d->cap;
    series_array_reserve(d, n);
    if (d->cap != old_cap) {
        d->packets = xres_grow(&d->packets_r, old_cap * sizeof(*d->packets),
                               st_mult(d->cap, sizeof(*d->packets)));
        d->bytes =
            xres_grow(&d->bytes_r, old_cap * sizeof(*d->bytes), st_mult(d->cap, sizeof(*d->bytes)));
    }
    for (size_t i = old; i < n; i++)
        d->packets[i] = d->bytes[i] = 0;
}

/* The next record of the input, from a batch (inputs_next_batch: a loop
 * over a batch costs fewer instructions a record than three calls a
 * record).  Its data stays valid until the next call. */
static int next_record(struct run_ctx *x, struct pkt *p)
{
    if (x->pq_i == x->pq_n) {
        x->pq_i = 0;
        if (!inputs_next_batch(x->in, x->pq, sizeof(x->pq) / sizeof(x->pq[0]), &x->pq_n))
            return 0;
    }
    *p = x->pq[x->pq_i++];
    return 1;
}

/*
 * What every record read counts (the summary's counters): 1 when it is to
 * be decoded, 0 when it is skipped before (a link type pcts does not
 * decode, or --filter said no), counted as such.
 */
__attribute__((always_inline)) static inline int count_record(struct run_ctx *x,
                                                              const struct pkt *p)
{
    struct counters *cnt = x->cnt;
    cnt->read++;
    if (x->pg->on && (cnt->read & 0xFFFF) == 0)
        progress_tick(x->pg, x->in, cnt->read);
    if (p->ts_ns < cnt->prev_ts) {
        uint64_t back = (uint64_t)cnt->prev_ts - (uint64_t)p->ts_ns;
        cnt->backwards++;
        if (back > cnt->max_back)
            cnt->max_back = back;
    }
    cnt->prev_ts = p->ts_ns;
    if (p->ts_ns < cnt->min_ts)
        cnt->min_ts = p->ts_ns;
    if (p->ts_ns > cnt->max_ts)
        cnt->max_ts = p->ts_ns;
    if (p->ts_ns < PIPELINE_UNSET_CLOCK_NS)
        cnt->zero_ts++;
    if (p->linktype != x->last_lt) {
        x->last_lt = p->linktype;
        x->last_lt_ok = decode_linktype_supported(p->linktype);
    }
    if (!x->last_lt_ok) { /* before the filter: it may not compile for it */
        cnt->skip[DEC_LINKTYPE]++;
        warn_linktype(x->run, x->in, p->linktype);
        return 0;
    }
    if (x->flt && !filter_match(x->flt, p)) {
        cnt->filtered++;
        return 0;
    }
    return 1;
}

/* Decode a counted record: 1 with *m filled when it decodes to IP, else 0
 * (counted by reason). */
__attribute__((always_inline)) static inline int
decode_counted(struct run_ctx *x, const struct pkt *p, struct pkt_meta *m)
{
    struct counters *cnt = x->cnt;
    enum dec_result dr = decode_frame(p->linktype, p->data, p->caplen, m);
    if (dr != DEC_OK) {
        cnt->skip[dr]++;
        return 0;
    }
    cnt->decoded++;
    if (m->anomalies)
        for (unsigned i = 0; i < ANOM__COUNT; i++)
            if (m->anomalies & (1u << i))
                cnt->anomaly[i]++;
    /* later fragments borrow their first's ports: for the flows' keys, and
     * for every grouping but the packet series by addresses (a datagram
     * in two fragments had been two UDP flows with --group ip) */
    if (m->is_frag && (x->o->group != GROUP_IP || x->o->series == SERIES_FLOWS || x->fw))
        frag_cache_apply(x->frags, m, p->ts_ns);
    return 1;
}

/*
 * Read until the next packet that decodes to IP, keeping every counter of
 * the summary.  1 with *p and *m filled, 0 at the end of all input.
 */
__attribute__((always_inline)) static inline int next_decoded(struct run_ctx *x, struct pkt *p,
                                                              struct pkt_meta *m)
{
    while (next_record(x, p))
        if (count_record(x, p) && decode_counted(x, p, m))
            return 1;
    return 0;
}

/* ---- names ------------------------------------------------------------------ */

/* Shannon entropy (bits per byte) of n bytes. */
static double entropy(const uint8_t *s, size_t n)
{
    unsigned cnt[256] = {0};
    for (size_t i = 0; i < n; i++)
        cnt[s[i]]++;
    double h = 0;
    for (int c = 0; c < 256; c++)
        if (cnt[c]) {
            double p = (double)cnt[c] / (double)n;
            h -= p * log2(p);
        }
    return h;
}

/* The groups a packet was counted in (a TCP segment may carry queries of
 * several domains, in any order: each group counts it once). */
struct dns_counted {
    size_t g[DNS_TCP_MAX_MSGS];
    size_t n;
};

/* A DNS query of --group dns: one event of (client, registered domain). */
static void dns_query_event(struct run_ctx *x, const struct pkt_meta *m, const char *qname,
                            int64_t ts, uint32_t size, uint32_t wirelen,
                            struct dns_counted *counted)
{
    size_t sub;
    uint32_t dom;
    if (x->qcache) { /* loop_dns': libpsl once a parent domain, not once a query */
        dom = regdom_cache_id(x->qcache, x->names, qname);
        size_t nl = strlen(qname), rl = dom ? strlen(names_str_of(x->names, dom)) : nl;
        sub = nl > rl + 1 ? nl - rl - 1 : 0; /* as domains_registered() says */
    } else {
        char reg[DNS_TEXT_MAX + 1];
        sub = domains_registered(x->domains, qname, reg, sizeof(reg));
        dom = names_intern(x->names, reg);
    }
    if (!dom) { /* the name table is full: counted and warned about, as a group past the limit */
        x->cnt->unnamed++;
        return;
    }
    struct group_key k;
    memset(&k, 0, sizeof(k));
    k.family = m->family;
    memcpy(k.src, m->src, 16);
    group_key_set_name(&k, dom);
    struct group *g = group_table_get(x->tab, &k);
    if (!g) {
        x->cnt->untracked++;
        return;
    }
    g->host = dom;
    size_t gi = (size_t)(g - x->tab->g), c = 0;
    while (c < counted->n && counted->g[c] != gi)
        c++;
    if (c == counted->n && c < DNS_TCP_MAX_MSGS) {
        g->packets++;
        g->bytes += wirelen; /* the bytes on the wire, as every group's; the event's size is
                                the query's */
        counted->g[counted->n++] = gi;
    }
    series_add(&g->s, ts, size);
    /* distinct names by a 64-bit hash of (group, name), not interned: a
     * tunnel's millions of one-off names had filled the name table, and
     * every query to a registered domain not seen before was then lost */
    if (u64set_add(x->dns_seen, hash_bytes(qname, strlen(qname), gi))) {
        /* the bytes of the subdomain part, not their escapes (names.h) */
        uint8_t raw[DNS_TEXT_MAX];
        size_t nb = dns_text_bytes(qname, sub, raw);
        g->dns_subdomains++;
        g->dns_label_sum += (double)nb;
        g->dns_entropy_sum += nb ? entropy(raw, nb) : 0;
    }
}

/*
 * Learn what a packet says about names: DNS answers map addresses to the
 * name the client asked for (from this moment on); a TLS ClientHello or an
 * HTTP request names its own flow's server (*flow_name).  With --group dns,
 * DNS queries are the events.  Payload pointers are valid only now.
 */
struct learn_sink; /* see loop_flows: DNS mappings travel with the packets */
static void sink_learn(struct learn_sink *k, int64_t ts, uint8_t family, const uint8_t client[16],
                       const uint8_t server[16], uint32_t name);

/* Where a packet's name may be, by its protocol, ports and first payload
 * byte. */
enum name_source { NS_NONE, NS_DNS, NS_QUIC, NS_TLS, NS_HTTP };

static inline enum name_source name_source_of(uint8_t proto, int has_ports, uint16_t sport,
                                              uint16_t dport, const uint8_t *payload,
                                              uint32_t payload_len)
{
    if (!payload) /* else payload_len >= 1 (decode__transport) */
        return NS_NONE;
    if (has_ports && (sport == 53 || dport == 53))
        return NS_DNS;
    if (proto == 17) /* QUIC: the client's Initial (long header) towards the server */
        return payload_len >= 1200 && (payload[0] & 0xC0) == 0xC0 && sport != 443 ? NS_QUIC
                                                                                  : NS_NONE;
    if (proto != 6)
        return NS_NONE;
    if (payload[0] == 0x16)
        return NS_TLS;
    if (payload[0] >= 'A' && payload[0] <= 'Z') /* a method (http.c): UNLOCK too */
        return NS_HTTP;
    return NS_NONE;
}

static inline enum name_source name_source(const struct pkt_meta *m)
{
    return name_source_of(m->proto, m->has_ports, m->sport, m->dport, m->payload, m->payload_len);
}

/* A packet that names nothing by itself but may concern a ClientHello
 * waiting for its next segment: a TCP segment with data, or a SYN or RST
 * that ends the wait (learn_names takes it as NS_TLS). */
static inline int tls_may_continue(const struct run_ctx *x, uint8_t proto, const uint8_t *payload,
                                   uint8_t tcp_flags)
{
    return x->tls_waiting && proto == 6 && (payload || (tcp_flags & 0x06));
}

/* A packet's connection in its direction, for the ClientHellos that wait
 * for their next Initial (quic.h) or segment (tls_stream_sni): its
 * addresses and ports. */
static uint64_t conn_key(const struct pkt_meta *m)
{
    uint64_t h = hash40_mix(hash40_rd64(m->src), hash40_rd64(m->src + 8) ^ m->sport);
    h = hash40_mix(h ^ hash40_rd64(m->dst), hash40_rd64(m->dst + 8) ^ m->dport);
    return h;
}

/* learn_names for a packet that may name something: out of line, since its
 * frame (a name buffer, 16 addresses) cost the loops 16 instructions a
 * packet when every packet entered it (callgrind; most packets have no
 * name). */
/*
 * An address literal: an HTTP Host of "10.0.0.1" or "[2001:db8::1]" (an SNI
 * must not be one, RFC 6066 3, but a client may send it).  It names nothing:
 * as a group's host (--group host) it would stand for the responder's real
 * address, and the sender writes what it likes there.
 */
static int is_address_literal(const char *s)
{
    unsigned char a[16];
    char v6[64];
    size_t n = strlen(s);
    if (n > 2 && n < sizeof(v6) + 2 && s[0] == '[' && s[n - 1] == ']') {
        memcpy(v6, s + 1, n - 2);
        v6[n - 2] = '\0';
        return inet_pton(AF_INET6, v6, a) == 1;
    }
    return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* Did the snapshot length cut the payload?  The payload reaches the end of
 * a record shorter than the frame.  (The IP length against the bytes
 * captured would also call a packet whose IP header claims more than the
 * frame held cut: a lie on the wire, not a cut.) */
static int payload_cut(const struct pkt_meta *m, const struct pkt *p)
{
    return m->payload && p->caplen < p->wirelen &&
           m->payload + m->payload_len == p->data + p->caplen;
}

/* The TLS_SEG_* bits of a TCP packet for tls_stream_sni: SYN, RST, and
 * whether the snapshot length cut its payload. */
static unsigned tls_seg_bits(const struct pkt_meta *m, const struct pkt *p)
{
    unsigned seg =
        (m->tcp_flags & 0x02 ? TLS_SEG_SYN : 0) | (m->tcp_flags & 0x04 ? TLS_SEG_RST : 0);
    if (payload_cut(m, p))
        seg |= TLS_SEG_CUT;
    return seg;
}

/* The registered domain of a DNS query's name interned in x->qnames (the
 * flow loops' reading stage), 0 without a Public Suffix List or room in
 * that table. */
static uint32_t query_domain(struct run_ctx *x, const char *qname)
{
    if (!x->qcache) {
        struct domains *d;
        if (x->qcache_off || domains_open_quiet(&d)) {
            x->qcache_off = 1;
            return 0;
        }
        x->qcache = regdom_cache_new(d, x->tab->seed ^ 0x71d0u);
    }
    return regdom_cache_id(x->qcache, x->qnames, qname);
}

/* *qdom (may be NULL): the registered domain of the packet's first DNS
 * query, for its group's counts (qdom.h; the flow loops, not the flow
 * list), or QDOM_UNKNOWN for a query whose domain has no id (no Public
 * Suffix List, or the name table full); else left as it is. */
__attribute__((noinline)) static uint32_t
learn_names_from(struct run_ctx *x, struct learn_sink *sink, const struct pkt_meta *m,
                 const struct pkt *pk, enum name_source src, uint32_t *qdom)
{
    int64_t ts = pk->ts_ns;
    uint32_t wirelen = pk->wirelen;
    char name[DNS_TEXT_MAX + 1]; /* a DNS name's presentation form, or a host name */
    int rc = 0;
    switch (src) {
    case NS_NONE: return 0;
    case NS_DNS: {
        /* UDP: the payload is one message.  TCP: length-prefixed messages,
         * as many as the segment holds whole (a client may pipeline its
         * queries, RFC 7766: only the first had been read), and the one the
         * snapshot length cut.  A cut message teaches what it holds whole
         * (dns_parse's cut: "tcpdump -s 96" captures had named nothing). */
        const uint8_t *p = m->payload;
        size_t left = m->payload_len;
        size_t budget = 16;         /* addresses a packet may teach (flows_fill's room) */
        struct dns_counted counted; /* only .n set: zeroing the array cost every DNS packet */
        int cut = payload_cut(m, pk);
        counted.n = 0;
        for (int k = 0; k < DNS_TCP_MAX_MSGS; k++) {
            const uint8_t *msg = p;
            size_t len = left, size = left;
            int msg_cut = cut;
            if (m->proto == 6) {
                int sr = dns_tcp_strip(p, left, cut, &msg, &len);
                if (sr < 0)
                    break;
                msg_cut = sr == 1;
                size = 2 + len;
                p = msg + len;
                left -= size;
            }
            struct name_addr addrs[16];
            size_t n = 0;
            uint16_t qtype;
            int resp = 0;
            rc = dns_parse(msg, len, msg_cut, name, &qtype, &resp, addrs, budget, &n);
            /* --group dns names its groups by the queries: the answers'
             * mappings serve nothing there, and their names had filled the
             * name table (a million junk answers, then no new domain) */
            if (rc == 1 && x->o->group != GROUP_DNS) {
                uint32_t id = names_intern(x->names, name);
                for (size_t i = 0; i < n && i < budget; i++) {
                    if (sink)
                        sink_learn(sink, ts, addrs[i].family, m->dst, addrs[i].addr, id);
                    else
                        names_learn(x->names, addrs[i].family, m->dst, addrs[i].addr, id, ts);
                }
                budget -= n < budget ? n : budget;
            }
            /* never with a sink: that is loop_flows' producer, and the group
             * table belongs to its consumer thread */
            if (rc >= 0 && !resp && name[0] && x->o->group == GROUP_DNS && x->domains && !sink)
                dns_query_event(x, m, name, ts, (uint32_t)size, wirelen, &counted);
            if (rc >= 0 && !resp && name[0] && qdom && !*qdom && sink && !x->fw) {
                *qdom = query_domain(x, name);
                if (!*qdom) { /* a query all the same */
                    *qdom = QDOM_UNKNOWN;
                    x->cnt->qdom_unnamed += !x->qcache_off; /* the name table is full */
                }
            }
            if (m->proto != 6 || !left)
                break;
        }
        return 0;
    }
    case NS_QUIC:
        if (!x->quic)
            x->quic = quic_reasm_new(); /* NULL: each Initial on its own */
        rc = quic_initial_sni(x->quic, conn_key(m), m->payload, m->payload_len, name);
        break;
    case NS_TLS:
    case NS_HTTP:
        /* a segment continuing a ClientHello may start with any byte */
        if (src == NS_TLS || x->tls_waiting) {
            if (!x->tls && src == NS_TLS)
                x->tls = tls_reasm_new(); /* NULL: each segment on its own */
            rc = tls_stream_sni(x->tls, conn_key(m), m->tcp_seq, tls_seg_bits(m, pk), ts,
                                m->payload, m->payload_len, name);
            x->tls_waiting = tls_reasm_pending(x->tls) != 0;
            if (rc != TLS_NOT_HELLO)
                break;
        }
        rc = src == NS_HTTP ? http_request_host(m->payload, m->payload_len, name) : 0;
        break;
    }
    return rc == 1 && name[0] && !is_address_literal(name) ? names_intern(x->names, name) : 0;
}

static inline void learn_names(struct run_ctx *x, struct learn_sink *sink, const struct pkt_meta *m,
                               const struct pkt *p, uint32_t *flow_name, uint32_t *qdom)
{
    enum name_source src = name_source(m);
    /* while a ClientHello waits: perhaps its next segment, or a SYN or RST
     * that ends its wait */
    if (src == NS_NONE && tls_may_continue(x, m->proto, m->payload, m->tcp_flags))
        src = NS_TLS;
    *flow_name = src == NS_NONE ? 0 : learn_names_from(x, sink, m, p, src, qdom);
}

/* The name of a flow's responder: its own SNI/Host, else the DNS answers'
 * at its start (pipeline_flow_opened). */
static uint32_t flow_host(const struct flow *f)
{
    return f->name ? f->name : f->dns;
}

/*
 * A flow's DNS name is the one the answers before its first packet gave its
 * responder: a mapping applies from the time of its answer.  It had been
 * looked up when the flow ended, after the linger or the timeout, so an
 * answer a second after a connection (another client's lookup) had named
 * it, and a UDP flow's exchanges had gone to two groups under --group host.
 * A lookup a flow, only once some answer was learned.
 */
void pipeline_flow_opened(void *ctx, struct flow *f)
{
    struct run_ctx *x = ctx; /* installed by the first answer learned (learn_event) */
    f->dns = names_lookup(x->names, f->key.family, f->key.addr[f->orig], f->key.addr[!f->orig]);
}

/* The group of a flow for this run's grouping, created if needed; cached
 * in the flow (a connectionless flow has many exchanges).  With --group
 * host the name may still change (SNI after the first exchange): no cache. */
static size_t flow_group_find(struct run_ctx *x, struct flow *f, uint32_t *host)
{
    struct group_key k;
    enum group_by by = x->o->group == GROUP_HOST ? GROUP_SERVICE : x->o->group;
    *host = flow_host(f);
    uint32_t k0;
    uint64_t k1, h;
    size_t gi;
    if (x->o->group != GROUP_HOST && group_key_compact_flow(x->tab, by, f, &k0, &k1, &h)) {
        gi = group_table_lookup_compact(x->tab, k0, k1, h);
    } else {
        group_key_from_flow(by, f, &k);
        if (x->o->group == GROUP_HOST)
            group_key_set_name(&k, *host);
        gi = group_table_lookup(x->tab, &k, group_table_hash(x->tab, &k));
    }
    /* a refused group (GROUP_NONE, --max-groups) is not cached: it is asked
     * for, and counted as refused, again at the flow's next event */
    f->group = gi == GROUP_NONE ? FLOW_GROUP_UNSET : (uint32_t)gi;
    return gi;
}

/* The cached group inline (an exchange or a flow's end asks for it: 38
 * instructions an exchange as a call, callgrind), the lookup out of line.
 * --group host's flow series looks again (a name may come after the first
 * exchange); its packet series keeps the group of the flow's first packet,
 * which its packets went to (a lookup by a later SNI had made a group of
 * no packets, printed with the destination '?'). */
static inline size_t flow_group(struct run_ctx *x, struct flow *f, uint32_t *host)
{
    if (f->group != FLOW_GROUP_UNSET &&
        (x->o->group != GROUP_HOST || x->o->series != SERIES_FLOWS)) {
        *host = 0;
        return f->group;
    }
    return flow_group_find(x, f, host);
}

/* --group dns: only DNS queries matter; no flows needed, and no other
 * names (a flood of TLS SNIs would fill the name table the groups' domains
 * are interned in). */
static void loop_dns(struct run_ctx *x)
{
    struct pkt p;
    struct pkt_meta m;
    /* the queries' registered domains through the cache the flow loops use
     * (domain.h), x->domains' answers without it (400 k tunnel queries, 4
     * alternated runs: packet loop 0.41-0.51 s with a lookup each, 0.31-0.33
     * s with the cache; the same output) */
    struct domains *d;
    if (!domains_open_quiet(&d))
        x->qcache = regdom_cache_new(d, x->tab->seed ^ 0x71d0u);
    while (next_decoded(x, &p, &m))
        if (name_source(&m) == NS_DNS)
            (void)learn_names_from(x, NULL, &m, &p, NS_DNS, NULL);
}

/*
 * --series packets --group ip|port: directed packet pairs, no flow state.
 *
 * Reading and decoding fill batches of (compact key, hash, time, size); a
 * batch's groups are then looked up with software pipelining: while packet
 * i is looked up, the index slot of packet i+LAG_LOOKUP is prefetched (and,
 * for a key without a compact form, the group of packet
 * i+LAG_LOOKUP-LAG_GROUP, where its key is compared), so each cache miss
 * has several packets' time to arrive.  Groups are created in input order.
 *
 * The events are not added to their groups' series at once: that wrote
 * each one at the end of one of (on the bench file) 50 k event lists, a
 * cache miss on the list and one on the group for every packet, about a
 * third of the loop.  They go to a log instead, in input order.  A full log
 * (PLOG_MAX events, less under a small --max-memory) is partitioned by
 * group, stably, into at most 256 parts of consecutive groups, and drained
 * part by part: the series and list ends a part touches stay in cache
 * (plog_partition).  Every series gets its events in input order, and the
 * same logs are drained in the same order whatever --threads says, so the
 * output is the same.
 *
 * With --threads 2 and more the reading stage (pairs_read, on the second
 * thread) reads, decodes, looks up and logs, and the main thread
 * partitions and drains the full logs (PLOG_BUFS log buffers circulate
 * through util/bqueue.h).  The draining thread owns the series while the
 * loop runs (struct pdrain), since the reading stage may move the group
 * array when it creates groups; they go to the groups at the end.
 */
#define PBATCH 2048
enum { LAG_GROUP = 8, LAG_LOOKUP = 16 };
/* events a log holds: 8 MiB a buffer (1 << 20 ran no faster, +25 MiB peak) */
#define PLOG_MAX ((size_t)1 << 19)
/* logs in flight with --threads: with two, the reading thread waited for a
 * free one 0.15-0.23 s of a 0.8-1.0 s loop while the drainer's pace varied;
 * with four the packet loop's min / median went from 0.626 / 0.737 s to
 * 0.543 / 0.620 (8 alternated runs, 10 M file; three: 0.593 / 0.685) */
#define PLOG_BUFS 4

/* A packet's key in its compact form (group.h: IPv4, 32 bytes an event,
 * no 40-byte key built), or k0 = GROUP_SLOT_FULL and the key in the
 * batch's full[]. */
struct pev {
    uint64_t k1;
    uint64_t h;
    int64_t ts;
    uint32_t k0;
    uint32_t wirelen;
};

struct pbatch {
    size_t n;
    int last; /* the input ended with this batch */
    struct pev ev[PBATCH];
    struct group_key full[PBATCH]; /* keys without a compact form, at their event's index */
};

/* An eighth of the memory budget (--max-memory, series.h), or at least
 * limit without one: the most the packet loops' fixed buffers may take. */
static uint64_t budget_eighth(uint64_t limit)
{
    struct series_budget_state b;
    series_budget_get(&b);
    return !b.budget || b.budget / 8 >= limit ? limit : b.budget / 8;
}

/* The logs (PLOG_BUFS and the partition's other buffer): a small budget
 * gets small logs. */
static size_t plog_max(void)
{
    const uint64_t per = (PLOG_BUFS + 1) * sizeof(struct sev);
    uint64_t n = budget_eighth(PLOG_MAX * per) / per;
    return n > PBATCH ? (size_t)n : PBATCH;
}

/* The heap's pad for the prefault (prefault.h): so --max-memory 8M does not
 * get 32 MiB of pages faulted in ahead (44 against 17 MiB peak RSS on 2 M
 * packets over 1 000 pairs). */
static size_t prefault_pad(void)
{
    return (size_t)budget_eighth(PREFAULT_PAD_MAX);
}

/*
 * Add events to their series, overlapping their misses: the series LAG
 * events ahead, where the event goes (series_prefetch) two thirds as far, a
 * streaming ring's slot a third.  packets and bytes (may be NULL) count
 * them per group.  Inlined into both loops, with the counters or without.
 */
static inline void series_apply(struct series *ser, const struct sev *ev, const uint32_t *vol,
                                size_t n, uint64_t *packets, uint64_t *bytes)
{
    enum { LAG = 12 };
    for (size_t t = 0; t < n + LAG; t++) {
        if (t < n) /* one line (series_array_reserve) */
            __builtin_prefetch(&ser[ev[t].group]);
        if (t >= LAG / 3 && t - LAG / 3 < n) {
            if (vol)
                series_prefetch_vol(&ser[ev[t - LAG / 3].group]);
            else
                series_prefetch(&ser[ev[t - LAG / 3].group]);
        }
        if (t >= 2 * LAG / 3 && t - 2 * LAG / 3 < n)
            series_prefetch_tail(&ser[ev[t - 2 * LAG / 3].group]);
        if (t >= LAG) {
            const struct sev *e = &ev[t - LAG];
            if (packets) {
                packets[e->group]++;
                bytes[e->group] += e->size;
            }
            if (vol)
                series_add_vol(&ser[e->group], e->ts, e->size, vol[t - LAG]);
            else
                series_add(&ser[e->group], e->ts, e->size);
        }
    }
}

/* Logs over at most this many groups are drained as they are: their
 * series and list ends stay in the first-level cache and TLB.  (3 M
 * packets, packet loop: 16 groups 0.40 s as they are, 0.46 partitioned;
 * 100 groups 0.41 and 0.40; 1 000 groups 0.65 and 0.50, list ends in a
 * thousand pages being past the TLB.) */
#define PLOG_HOT 64

/*
 * Partition a log's events by group >> shift into at most 256 parts,
 * stably (one counting pass, one scatter): draining the parts in turn
 * then touches the series of one part's groups at a time (2^shift of
 * them, under 2 / 256 of all: 256 on the bench file), which stay in
 * cache while their events arrive in input order.  (A full sort by group, two radix passes for
 * 50 k groups, made the same walk one run at a time and cost a third more
 * passes over the log.)  d->tmp is the other buffer.
 */
static void plog_partition(struct plog *l, struct pdrain *d)
{
    if (l->groups <= PLOG_HOT)
        return;
    unsigned shift = 0;
    while ((l->groups - 1) >> shift >= 256)
        shift++;
    size_t pos[256] = {0};
    const struct sev *src = l->ev;
    struct sev *dst = d->tmp;
    for (size_t i = 0; i < l->n; i++)
        pos[src[i].group >> shift]++;
    size_t sum = 0;
    for (unsigned k = 0; k < 256; k++) {
        size_t c = pos[k];
        pos[k] = sum;
        sum += c;
    }
    if (l->vol) { /* the volumes go where their events go */
        size_t at[256];
        memcpy(at, pos, sizeof(at));
        for (size_t i = 0; i < l->n; i++)
            d->vtmp[at[src[i].group >> shift]++] = l->vol[i];
        uint32_t *v = d->vtmp;
        d->vtmp = l->vol;
        l->vol = v;
    }
    for (size_t i = 0; i < l->n; i++)
        dst[pos[src[i].group >> shift]++] = src[i];
    d->tmp = l->ev;
    l->ev = dst;
}

/* Give a log's events to their series and empty it. */
static void plog_drain(struct plog *l, struct pdrain *d, int count)
{
    if (!l->n)
        return;
    pdrain_reserve(d, l->groups);
    plog_partition(l, d);
    /* three calls: each inlined copy knows whether it counts, and whether
     * the events have volumes (connection series, which do not count) */
    if (count)
        series_apply(d->ser, l->ev, NULL, l->n, d->packets, d->bytes);
    else if (l->vol)
        series_apply(d->ser, l->ev, l->vol, l->n, NULL, NULL);
    else
        series_apply(d->ser, l->ev, NULL, l->n, NULL, NULL);
    l->n = 0;
}

static void pairs_fill(struct run_ctx *x, struct pbatch *b)
{
    struct pkt p;
    struct pkt_meta m;
    const struct group_table *tab = x->tab;
    enum group_by by = x->o->group;
    size_t n = 0; /* b->n, in a register (the stores below may alias it) */
    b->last = 0;
    while (n < PBATCH) {
        if (!next_record(x, &p)) {
            b->last = 1;
            break;
        }
        if (!count_record(x, &p))
            continue;
        struct pev *e = &b->ev[n];
        struct dec_ip4 f;
        /* The commonest frame (decode.h) decodes to IPv4 without anomalies
         * or fragments: its key is made from its fields, without the
         * pkt_meta decode_frame() would fill and this loop read back (about
         * 40 instructions a packet, callgrind).  Counted as decode_counted()
         * would count it. */
        if (decode_eth_ip4(p.linktype, p.data, p.caplen, &f)) {
            x->cnt->decoded++;
            group_key_compact_ip4(tab, by, f.src, f.dst, f.proto, 1, f.dport, &e->k0, &e->k1,
                                  &e->h);
        } else if (!decode_counted(x, &p, &m)) {
            continue;
        } else if (!group_key_make_compact(tab, by, &m, &e->k0, &e->k1, &e->h)) {
            e->h = group_key_make_hash(tab, by, &m, &b->full[n]);
            e->k0 = GROUP_SLOT_FULL;
        }
        e->ts = p.ts_ns;
        e->wirelen = p.wirelen;
        n++;
    }
    b->n = n;
}

struct pairs_pipe {
    struct bqueue q;
    struct prefault pf; /* the drain's heap, faulted in by the reading thread */
    struct pdrain d;
    struct run_ctx *x;
    struct plog *logs;
    size_t cap;
    int threaded;
    double cpu; /* the reading thread's CPU seconds */
};

/*
 * The reading stage: read, decode, look up and log, handing full logs to
 * the drain (through the queue when threaded, else draining them itself).
 * With --threads it runs on the second thread and the main thread drains:
 * the drain allocates the series' event lists, some 170 MB on the bench
 * file, and a thread's own malloc arena grows a page or so at a time, one
 * mprotect(2) each (41 000 calls a run, strace), where the main arena
 * grows through brk(2) 128 KiB at a time (1 250 calls).  Drain thread CPU
 * 0.407 s against 0.341 s in its arena and in the main one (8 alternated
 * runs, median).
 */
static void *pairs_read(void *arg)
{
    struct pairs_pipe *pp = arg;
    struct run_ctx *x = pp->x;
    double cpu0 = thread_cpu_s();
    struct group_table *tab = x->tab;
    struct pbatch *b = xmalloc(sizeof(*b));
    size_t cap = pp->cap;
    int threaded = pp->threaded;
    struct plog *l = threaded ? bq_get_free(&pp->q) : &pp->logs[0];
    uint64_t untracked = 0;
    do {
        pairs_fill(x, b);
        struct pev *ev = b->ev;
        size_t n = b->n, ln = l->n; /* l->n, in a register while the loop writes events */
        for (size_t t = 0; t < n + LAG_LOOKUP; t++) {
            if (t < n)
                group_table_prefetch(tab, ev[t].h);
            if (t >= LAG_GROUP && t - LAG_GROUP < n)
                group_table_prefetch_group(tab, ev[t - LAG_GROUP].h,
                                           ev[t - LAG_GROUP].k0 != GROUP_SLOT_FULL);
            if (t < LAG_LOOKUP)
                continue;
            struct pev *e = &ev[t - LAG_LOOKUP];
            size_t gi = e->k0 != GROUP_SLOT_FULL
                            ? group_table_lookup_compact(tab, e->k0, e->k1, e->h)
                            : group_table_lookup(tab, &b->full[t - LAG_LOOKUP], e->h);
            if (gi == GROUP_NONE) {
                untracked++;
                continue;
            }
            if (ln == cap) {
                l->n = ln;
                l->groups = tab->n;
                if (threaded) {
                    bq_put(&pp->q, l);
                    prefault_step(&pp->pf);
                    l = bq_get_free(&pp->q);
                } else {
                    plog_drain(l, &pp->d, 1);
                }
                ln = l->n;
            }
            l->ev[ln++] = (struct sev){e->ts, (uint32_t)gi, e->wirelen};
        }
        l->n = ln;
        if (threaded)
            prefault_step(&pp->pf);
    } while (!b->last);
    l->groups = tab->n;
    if (threaded) {
        l->last = 1;
        bq_put(&pp->q, l);
    } else {
        plog_drain(l, &pp->d, 1);
    }
    x->cnt->untracked += untracked;
    free(b);
    pp->cpu = thread_cpu_s() - cpu0;
    return NULL;
}

static void loop_pairs(struct run_ctx *x)
{
    size_t cap = plog_max();
    int threaded = x->o->threads > 1;
    size_t nlogs = threaded ? PLOG_BUFS : 1;
    struct plog logs[PLOG_BUFS];
    void *slots[PLOG_BUFS];
    for (size_t i = 0; i < nlogs; i++) {
        logs[i] = (struct plog){.ev = xmalloc(st_mult(cap, sizeof(struct sev)))};
        slots[i] = &logs[i];
    }
    struct pairs_pipe pp = {.x = x, .logs = logs, .cap = cap};
    pp.d.tmp = xmalloc(st_mult(cap, sizeof(struct sev)));
    pp.d.max = x->tab->max_groups;
    pthread_t th;
    threaded = threaded && bq_init(&pp.q, slots, nlogs) == 0;
    pp.threaded = threaded;
    if (threaded && x->o->prefault)
        prefault_init(&pp.pf, prefault_pad());
    if (threaded && pthread_create(&th, NULL, pairs_read, &pp)) {
        bq_destroy(&pp.q);
        prefault_end(&pp.pf); /* the heap's pad too */
        pp.threaded = threaded = 0;
    }
    if (threaded) { /* this thread drains, until the last log */
        for (;;) {
            struct plog *l = bq_take(&pp.q);
            int last = l->last;
            prefault_note(&pp.pf);
            plog_drain(l, &pp.d, 1);
            bq_release(&pp.q, l);
            if (last)
                break;
        }
        pthread_join(th, NULL);
        prefault_end(&pp.pf);
        bq_destroy(&pp.q);
        x->cpu_second = pp.cpu;
        x->second_role = "reading";
    } else {
        pairs_read(&pp);
    }
    pdrain_to_groups(&pp.d, x->tab);
    for (size_t i = 0; i < nlogs; i++)
        free(logs[i].ev);
}

/*
 * The series stage of loop_flows.  The flow stage (the consumer) decides
 * which group an event belongs to; the events go to a log, partitioned by
 * group and drained when full, as the packet series' logs are (adding each
 * batch's events at once, in their order, was 15% of a --series packets
 * --group service run: a miss on a series and one on its list end an
 * event).  Who logs them: in the packet series the producer, which
 * otherwise waits for the flow stage: the flow stage puts them in the batch
 * and the producer logs them when the batch comes back to it, before
 * refilling it (series_stage_apply); in the default mode the flow stage
 * itself, as they come (series_event).
 * Batches return in the order they were filled (bqueue.h), so every series
 * gets its events in the same order whatever the thread count.  The series
 * and, in the packet series, the packet counters live apart from the groups
 * while the loop runs (struct pdrain), since the flow stage may move the
 * group array (new groups) while the producer writes to a series.
 */

/* Make an array of series hold need of them, the new ones empty: 64-byte
 * series on 64-byte boundaries, so that adding an event touches one line of
 * a series, not two (realloc aligns to 16).  The series stage's array and
 * the packet series' draining side (struct pdrain) both grow this way. */
_Static_assert(64 % sizeof(struct series) == 0, "no series spans two lines");
static void series_array_reserve(struct pdrain *d, size_t need)
{
    if (need <= d->n)
        return;
    if (need > d->cap) {
        if (!d->ser) { /* reserved for the most groups there may be (xalloc.h) */
            int fits = d->max && d->max <= SIZE_MAX / sizeof(*d->ser);
            xres_init(&d->ser_r, fits ? d->max * sizeof(*d->ser) : 0, 64);
            xres_init(&d->packets_r, fits ? d->max * sizeof(*d->packets) : 0, 16);
            xres_init(&d->bytes_r, fits ? d->max * sizeof(*d->bytes) : 0, 16);
        }
        size_t nc = d->cap < 64 ? 64 : st_add(d->cap, d->cap / 2);
        if (d->max && nc > d->max)
            nc = d->max;
        nc = nc < need ? need : nc;
        d->ser = xres_grow(&d->ser_r, d->n * sizeof(*d->ser), st_mult(nc, sizeof(*d->ser)));
        d->cap = nc;
    }
    for (size_t i = d->n; i < need; i++)
        series_init(&d->ser[i]);
    d->n = need;
}

/* The stage's log and the partition's other buffer, at its first event. */
static void slog_open(struct run_ctx *x)
{
    x->slog_cap = plog_max();
    x->slog.ev = xmalloc(st_mult(x->slog_cap, sizeof(*x->slog.ev)));
    x->st.tmp = xmalloc(st_mult(x->slog_cap, sizeof(*x->st.tmp)));
    x->st.max = x->tab->max_groups;
    if (series_volumes()) {
        x->slog.vol = xmalloc(st_mult(x->slog_cap, sizeof(*x->slog.vol)));
        x->st.vtmp = xmalloc(st_mult(x->slog_cap, sizeof(*x->st.vtmp)));
    }
}

/* Put an event in the stage's log, draining it when full.  The log fills
 * with the same events in the same order whatever --threads says, so it is
 * drained at the same points. */
static inline void slog_put(struct run_ctx *x, struct sev e, uint32_t vol)
{
    struct plog *l = &x->slog;
    if (!l->ev)
        slog_open(x);
    if (e.group >= l->groups)
        l->groups = (size_t)e.group + 1;
    if (l->vol)
        l->vol[l->n] = vol;
    l->ev[l->n++] = e;
    if (l->n == x->slog_cap)
        plog_drain(l, &x->st, x->count_events);
}

static void sev_push(struct fbatch *b, size_t gi, int64_t ts, uint64_t size);

/* A series event: to the batch being consumed (the packet series), else
 * to the stage's log, behind the events before it (the default mode, and
 * the flow table's flush after the loop).  vol: what it moved both ways
 * (series.h), for connection series. */
static void series_event(struct run_ctx *x, size_t gi, int64_t ts, uint64_t size, uint64_t vol)
{
    if (x->sev_to) {
        sev_push(x->sev_to, gi, ts, size);
        return;
    }
    slog_put(x, (struct sev){ts, (uint32_t)gi, series_clamp_size(size)}, series_clamp_size(vol));
}

/* Give every group the series and packet counts the stage built for it
 * (the loop's end). */
static void series_stage_done(struct run_ctx *x)
{
    plog_drain(&x->slog, &x->st, x->count_events);
    free(x->slog.ev);
    free(x->slog.vol);
    memset(&x->slog, 0, sizeof(x->slog));
    pdrain_to_groups(&x->st, x->tab);
}

/* --group host: a flow whose name is its own SNI or Host (the sender's
 * word) confirms it only when a DNS answer (any client's, before the flow
 * ended) gave its responder that name, whatever other names answers gave
 * that address (a CDN's); else its group's name
 * is weak for the allow list's name rules.  A DNS answer about some other
 * address does not count (the name of an implant calling itself
 * swcdn.apple.com is in every Mac's lookups). */
static void host_confirm(struct run_ctx *x, struct flow *f)
{
    uint32_t host;
    size_t gi = flow_group(x, f, &host);
    if (gi == GROUP_NONE)
        return;
    if (!names_confirms(x->names, f->key.family, f->key.addr[!f->orig], f->name, f->last))
        x->tab->g[gi].host_weak++;
}

/* A flow ended: list it, or add it to its group's connection series. */
void pipeline_flow_done(void *ctx, struct flow *f)
{
    struct run_ctx *x = ctx;
    if (x->fw) {
        /* the name's text on this thread (the flow stage): its id came in
         * a batch from the reading stage, which interned it */
        if (!(x->o->established_only && flow_failed(f)))
            flow_writer_row(x->fw, f, names_str_of(x->names, flow_host(f)));
        return;
    }
    if (x->o->group == GROUP_HOST && f->name)
        host_confirm(x, f);
    if (x->o->series != SERIES_FLOWS)
        return; /* packets were counted as they came */
    int failed = flow_failed(f);
    if (x->o->established_only && failed) {
        x->skipped_failed++;
        return;
    }
    uint32_t host;
    size_t gi = flow_group(x, f, &host);
    if (gi == GROUP_NONE) {
        x->untracked += f->pkts[0] + f->pkts[1];
        return;
    }
    struct group *g = &x->tab->g[gi];
    if (!g->host)
        g->host = host ? host : flow_host(f);
    g->packets += f->pkts[0] + f->pkts[1];
    g->bytes += f->bytes[0] + f->bytes[1];
    /* a connection's tail, or one opened by a stray timestamp, is no
     * connection, failed or not (flow.h: a FIN retransmitted 5.7 s after
     * each of an Emotet C2's check-ins had made every check-in two);
     * connectionless flows add their exchanges as they end (flow.h); a
     * connection adds its last one here (its only one when it never
     * resumed: its bytes, which the exchange's saturate as the series'
     * sizes do) */
    if (f->key.proto == 6 && !f->tail) {
        int64_t start = flow_exchange_start(f);
        if (flow_table_event_in_line(x->flows, start)) {
            f->had_event = 1;
            series_event(x, gi, start, f->ex_bytes, (uint64_t)f->ex_bytes + f->ex_resp);
        }
    }
    /* a flow whose every exchange was refused is no flow of the group
     * either, as a refused connection is not: flows 1 beside events 0 had
     * read as a counting error */
    if (!f->had_event)
        return;
    g->flows++;
    g->failed += (uint64_t)failed;
}

/* A flow about to end (flow.h: a hint): its group's counters, or, not
 * known yet, the group index slot its lookup will probe.  Many services
 * of few events each (a scan, a big network): the lookups and updates of
 * flows' ends were a third of the default mode's packet loop, each a
 * miss on a table of tens of MB. */
void pipeline_flow_ending(void *ctx, const struct flow *f, int step)
{
    struct run_ctx *x = ctx;
    if (x->fw || x->o->series != SERIES_FLOWS || x->o->group == GROUP_HOST)
        return; /* no group at the end, or a name that may change (flow_group) */
    const struct group_table *tab = x->tab;
    size_t gi = f->group;
    if (gi == FLOW_GROUP_UNSET) {
        /* step 0: the index slot its lookup will probe first; step 1,
         * that slot arrived: the group it holds, when it is this key's */
        uint32_t k0;
        uint64_t k1, h;
        int compact = group_key_compact_flow(tab, x->o->group, f, &k0, &k1, &h);
        struct group_key k;
        if (!compact) {
            group_key_from_flow(x->o->group, f, &k);
            h = group_table_hash(tab, &k);
        }
        if (!step) {
            group_table_prefetch(tab, h);
            return;
        }
        gi = compact ? group_table_first_probe_compact(tab, k0, k1, h)
                     : group_table_first_probe(tab, &k, h);
        if (gi == GROUP_NONE)
            return; /* a new group, or not in the first slot probed */
    } else if (step) {
        return; /* fetched at step 0 */
    }
    const struct group *g = &tab->g[gi]; /* the counters pipeline_flow_done adds to */
    __builtin_prefetch(&g->bytes, 1);
    __builtin_prefetch(&g->packets, 1);
    __builtin_prefetch(&g->host, 1);
}

/* An exchange (flow.h): one event.  A connection's last one is
 * pipeline_flow_done's. */
void pipeline_exchange(void *ctx, struct flow *f, int64_t start, uint64_t orig_bytes,
                       uint64_t resp_bytes)
{
    struct run_ctx *x = ctx;
    if (x->fw || x->o->series != SERIES_FLOWS)
        return;
    /* --established-only leaves a failed attempt out at its end
     * (pipeline_flow_done), its packets and its flow: so its exchanges so
     * far (a connection whose SYN/ACK the capture lost is S0, with a
     * heartbeat in it), which had stayed in a group of 0 flows and 0
     * packets, scored */
    if (x->o->established_only && flow_failed(f))
        return;
    uint32_t host;
    size_t gi = flow_group(x, f, &host);
    if (gi != GROUP_NONE && flow_table_event_in_line(x->flows, start)) {
        f->had_event = 1;
        series_event(x, gi, start, orig_bytes, orig_bytes + resp_bytes);
    }
}

/*
 * Everything that needs connections: flow series, service groups of
 * packets, and the flow list.  Two stages:
 *   producer: read, decode, learn names, build flow keys, and put events
 *     into batches;
 *   consumer: hash the keys; flows, groups, series, in batch order.
 * With --threads 2 one of them runs on a second thread (the one that does
 * not grow the series: loop_flows) and batches pass through a small
 * bounded queue; with 1 both run inline.  Either way it sees
 * the same events in the same order, so the output is byte-identical.  The
 * name table is split the same way: the producer owns the names (interning),
 * the consumer the address map, and DNS answers reach the map as "learn"
 * events in packet order, so a mapping applies from the time of its answer
 * in both modes, without locks.
 */
enum { EV_PACKET, EV_LEARN };

/* 64 bytes, a cache line: what the flow stage needs of a packet is in its
 * flow_prep (it was 152 bytes with the whole pkt_meta, when the flow stage
 * walked a batch three times; 80 with the hash, which the flow stage wrote
 * into the batch, and the ports, which are the key's). */
struct fev {
    struct flow_prep fp; /* EV_LEARN: fp.k.family, fp.k.addr[0] client, [1] server */
    uint8_t kind;
    uint8_t taken; /* written by the flow stage: see consume_batch */
    uint8_t query; /* EV_PACKET: name is its DNS query's registered domain (qdom.h) */
    uint32_t wirelen;
    /* EV_PACKET: TLS SNI / HTTP Host / QUIC SNI, or with query the domain;
     * EV_LEARN: the name */
    uint32_t name;
    int64_t ts;
};
_Static_assert(sizeof(struct fev) == 64, "a batch's event is one cache line");

/* 512 events (32 KiB; 40 with 80-byte events): each batch is a hand-over
 * between the threads, and with 256 the wake-ups and context switches were
 * about 6% of a --threads 2 run's CPU (perf); 10 M bench, 5 alternated
 * runs: packet loop best 1.10 s against 1.30 (1024: 1.25), one thread
 * unchanged (session 24, 64-byte events: median 0.716 s with 512, 0.845
 * with 256, 0.772 with 1024).  16 in circulation (576 KiB with the hashes,
 * within a core's L2): with 8 the two threads, about as fast as each
 * other, waited on each other's bursts (default mode, 8 alternated runs:
 * loop min / median 0.740 / 0.887 s with 8, 0.664 / 0.796 with 16, 32 no
 * better). */
#define FBATCH 512
#define FQUEUE 16
_Static_assert(FQUEUE <= BQ_MAX, "loop_flows batches exceed bqueue slots");

struct fbatch {
    struct fev ev[FBATCH];
    /* the flow stage's hashes of the keys; the reading stage never reads them */
    uint64_t h[FBATCH];
    size_t n;
    int last;
    struct sev *sev; /* series events of the consumed batch, for the producer */
    size_t n_sev, cap_sev;
};

static void sev_push(struct fbatch *b, size_t gi, int64_t ts, uint64_t size)
{
    ALLOC_GROW(b->sev, b->n_sev + 1, b->cap_sev);
    struct sev *e = &b->sev[b->n_sev++];
    e->ts = ts;
    e->group = (uint32_t)gi; /* group positions fit 32 bits (group_table_lookup) */
    e->size = series_clamp_size(size);
}

/*
 * A consumed batch's series events (the packet series: an event a packet),
 * to the stage's log on the reading thread when the batch comes back to it.
 * The logs are drained as loop_pairs' are: partitioned by group, so the
 * series and list ends being written stay in cache.  The default mode's
 * flow events, fewer, go to the log from the flow stage's thread as they
 * come (series_event; the reading thread was the busier one: with 16
 * batches in circulation, 8 alternated runs, loop min / median 0.664 /
 * 0.796 s on the reading thread against 0.593 / 0.661 on the flow stage's).
 * They went to their series at once until session 8: through the log, one
 * thread, 8 alternated runs twice, loop median 1.176 to 1.090 s and 1.163 to
 * 1.093 (3 M exchange events on the bench file, two misses each when added
 * at once); two threads, 10 runs, 0.867 to 0.840.
 */
static void series_stage_apply(struct run_ctx *x, struct fbatch *b)
{
    size_t n = b->n_sev;
    b->n_sev = 0;
    /* none: the reading thread's call in the default mode (x->st is not its own) */
    for (size_t i = 0; i < n; i++) /* packets: no volumes (series.h) */
        slog_put(x, b->sev[i], b->sev[i].size);
}

struct learn_sink {
    struct fbatch *b;
};

static void sink_learn(struct learn_sink *k, int64_t ts, uint8_t family, const uint8_t client[16],
                       const uint8_t server[16], uint32_t name)
{
    if (!name || k->b->n >= FBATCH)
        return; /* room is reserved per packet; see loop_flows */
    struct fev *e = &k->b->ev[k->b->n++];
    e->kind = EV_LEARN;
    e->ts = ts;
    e->fp.k.family = family;
    memcpy(e->fp.k.addr[0], client, 16);
    memcpy(e->fp.k.addr[1], server, 16);
    e->name = name;
}

struct fpipe {
    struct bqueue q;
    struct prefault pf; /* the main thread's heap, faulted in by the other */
    struct run_ctx *x;
    struct fbatch *first;      /* the batch filled before the pipeline started */
    double cpu_read, cpu_flow; /* PCTS_PHASES: each stage's CPU seconds */
};

/* A DNS answer's mapping, in packet order: the flows idle since before the
 * answer end first, with the names they had (flow_table_tick).  Out of
 * line: inlined, its clock step cost the packet loop 5 instructions a
 * packet in registers spilled (callgrind, 1 M bench file). */
__attribute__((noinline)) static void learn_event(struct run_ctx *x, const struct fev *e)
{
    flow_table_tick(x->flows, e->ts);
    /* flows take their DNS name when they open, from the first answer
     * on: before it there is nothing to look up, and a capture with no
     * DNS pays no call a flow (the bench file: 27 instructions a flow) */
    if (!x->flows->opened)
        x->flows->opened = pipeline_flow_opened;
    names_learn(x->names, e->fp.k.family, e->fp.k.addr[0], e->fp.k.addr[1], e->name, e->ts);
}

/* The packet series: a packet of flow f is an event of its group. */
static inline void packet_event(struct run_ctx *x, struct flow *f, const struct fev *e)
{
    size_t gi = f->group;
    if (f->group == FLOW_GROUP_UNSET) {
        uint32_t host;
        gi = flow_group(x, f, &host);
        if (gi != GROUP_NONE && !x->tab->g[gi].host)
            x->tab->g[gi].host = host;
    }
    if (gi == GROUP_NONE) {
        x->untracked++;
        return;
    }
    series_event(x, gi, e->ts, e->wirelen, e->wirelen); /* and counts the packet */
}

/* A DNS query in flow f, for registered domain dom (0: unknown): counted
 * for its group (qdom.h), which it makes if need be (the flow's first event
 * would).  A group past --max-groups is not counted: its packets are
 * (untracked). */
static void query_event(struct run_ctx *x, struct flow *f, uint32_t dom)
{
    /* --established-only leaves a failed attempt out, its exchanges at
     * once (pipeline_exchange) and the rest at its end: its queries too (a
     * connection to port 53 whose SYN/ACK was lost, a query in it, had made
     * a group of 0 events, 0 flows and 0 packets) */
    if (x->o->established_only && x->o->series == SERIES_FLOWS && flow_failed(f))
        return;
    uint32_t host;
    size_t gi = flow_group(x, f, &host);
    if (gi == GROUP_NONE)
        return;
    struct group *g = &x->tab->g[gi];
    if (g->dns_queries < UINT32_MAX)
        g->dns_queries++;
    if (dom)
        qdom_add(&x->qdom, (uint32_t)gi, dom);
}

static void consume_batch(struct run_ctx *x, struct fbatch *b)
{
    int from_orig;
    int packets = x->count_events; /* the packet series (loop_flows) */
    /* the index slot LAG_FLOW packets ahead, the flow it points at
     * LAG_FLOW - LAG_SLOT ahead (flow.h; 8/16, 12/24 and 16/32 measured
     * alike) */
    enum { LAG_SLOT = 12, LAG_FLOW = 24 };
    size_t n = b->n;
    /* the packet series' events go back with the batch to the reading
     * stage, which logs them; the default mode's to this stage's log at
     * once (series_event) */
    x->sev_to = packets ? b : NULL;
    /* the hashes stay on this stage, in lines of the batch the reading
     * stage never touches */
    uint64_t *h = b->h;
    for (size_t t = 0; t < n + LAG_FLOW; t++) {
        if (t < n && b->ev[t].kind == EV_PACKET) {
            h[t] = flow_prep_hash(x->flows, &b->ev[t].fp);
            /* A store into each event's line, though nothing reads it:
             * the line is then this core's to hand back, and the reading
             * stage refills the batch faster.  Two threads, 10 M bench
             * file, 8 alternated runs, packet loop median 0.708 s without
             * it, 0.574 s with it (the reading stage's CPU 0.571 to 0.439
             * s, this stage's 0.631 to 0.550); writing the hashes into the
             * batch did the same for the 80-byte events before (0.728 s),
             * and the 64-byte ones without any store were slower (0.815
             * s).  One thread: no change. */
            b->ev[t].taken = 1;
            flow_table_prefetch(x->flows, h[t]);
        }
        if (t >= LAG_SLOT && t - LAG_SLOT < n && b->ev[t - LAG_SLOT].kind == EV_PACKET)
            flow_table_prefetch_flow(x->flows, h[t - LAG_SLOT]);
        if (t < LAG_FLOW)
            continue;
        size_t i = t - LAG_FLOW;
        struct fev *e = &b->ev[i];
        if (e->kind == EV_LEARN) {
            learn_event(x, e);
            continue;
        }
        struct flow *f =
            flow_table_packet_prepared(x->flows, &e->fp, h[i], e->ts, e->wirelen, &from_orig);
        /* only the originator's SNI or Host names its responder: a name
         * the responder sent (or the client's, when a flow caught mid-way
         * took the server for the originator) named the wrong side */
        if (e->name && !e->query && !f->name && from_orig) {
            f->name = e->name;
            /* the packet series picked its group at the first packet; a
             * name seen later (SNI, Host) still names it */
            if (f->group != FLOW_GROUP_UNSET && !x->tab->g[f->group].host)
                x->tab->g[f->group].host = e->name;
        }
        if (packets)
            packet_event(x, f, e);
        /* after packet_event: its group lookup names a new group */
        if (e->query)
            query_event(x, f, e->name);
    }
    x->sev_to = NULL;
}

static void *consumer(void *arg)
{
    struct fpipe *fp = arg;
    double cpu0 = thread_cpu_s();
    for (;;) {
        struct fbatch *b = bq_take(&fp->q);
        int last = b->last;
        prefault_note(&fp->pf);
        consume_batch(fp->x, b);
        bq_release(&fp->q, b);
        if (last) {
            fp->cpu_flow = thread_cpu_s() - cpu0;
            return NULL;
        }
    }
}

static int flows_fill(struct run_ctx *x, struct fbatch *b);

/* The reading stage of a threaded loop_flows, from the batch already
 * filled to the input's end. */
static void *producer(void *arg)
{
    struct fpipe *fp = arg;
    struct run_ctx *x = fp->x;
    double cpu0 = thread_cpu_s();
    bq_put(&fp->q, fp->first);
    for (int more = 1; more;) {
        struct fbatch *b = bq_get_free(&fp->q);
        series_stage_apply(x, b);
        more = flows_fill(x, b);
        bq_put(&fp->q, b);
        prefault_step(&fp->pf);
    }
    fp->cpu_read = thread_cpu_s() - cpu0;
    return NULL;
}

/* A DNS packet --filter left out (x->names_flt): its answers still name
 * destinations.  `-f 'not port 53'` had taken every name away (17 names on
 * the demo capture to 1) and left every --allow name rule unconfirmed. */
__attribute__((noinline)) static void learn_filtered(struct run_ctx *x, struct learn_sink *sink,
                                                     const struct pkt *p)
{
    struct pkt_meta m;
    if (!filter_match(x->names_flt, p) ||
        decode_frame(p->linktype, p->data, p->caplen, &m) != DEC_OK || name_source(&m) != NS_DNS)
        return;
    (void)learn_names_from(x, sink, &m, p, NS_DNS, NULL);
}

/* Fill a batch with the next packets (and the name events they cause);
 * 0 once the input has ended (b->last set). */
static int flows_fill(struct run_ctx *x, struct fbatch *b)
{
    struct pkt p;
    b->n = 0;
    b->last = 0;
    struct learn_sink sink = {b};
    /* each record may add up to 16 learn events before its packet's own */
    while (b->n + 17 <= FBATCH) {
        struct pkt_meta m;
        if (!next_record(x, &p)) {
            b->last = 1;
            return 0;
        }
        if (!count_record(x, &p)) {
            /* left out by the filter, not for its link type (count_record) */
            if (x->names_flt && x->last_lt_ok)
                learn_filtered(x, &sink, &p);
            continue;
        }
        struct dec_ip4 f;
        /* The commonest frame (decode.h), when it may name nothing: no
         * pkt_meta, its key straight from its fields (flow_prep_key_ip4),
         * counted as decode_counted() would count it (no anomalies, no
         * fragment).  This stage's instructions a packet 271 to 218, the
         * whole run's 8.22 to 7.79 G (callgrind, 10 M bench file, one
         * thread); packet loop median 0.99 to 0.94 s with one thread, 0.715
         * to 0.648 s with two (8 alternated runs each). */
        if (decode_eth_ip4(p.linktype, p.data, p.caplen, &f)) {
            x->cnt->decoded++;
            if (name_source_of(f.proto, 1, f.sport, f.dport, f.payload, f.payload_len) == NS_NONE &&
                !tls_may_continue(x, f.proto, f.payload, f.tcp_flags)) {
                /* its own copy of the event's fields below: one fill for
                 * both paths cost 15 instructions a packet (callgrind) */
                struct fev *e = &b->ev[b->n++];
                e->kind = EV_PACKET;
                e->ts = p.ts_ns;
                e->wirelen = p.wirelen;
                e->query = 0;
                e->name = 0;
                flow_prep_key_ip4(&f, &e->fp);
                continue;
            }
            decode_ip4_meta(&f, &m);
        } else if (!decode_counted(x, &p, &m)) {
            continue;
        }
        uint32_t name, qdom = 0;
        learn_names(x, &sink, &m, &p, &name, &qdom);
        struct fev *e = &b->ev[b->n++];
        e->kind = EV_PACKET;
        e->ts = p.ts_ns;
        e->wirelen = p.wirelen;
        e->query = qdom != 0; /* a DNS packet names no flow (learn_names_from) */
        e->name = !qdom ? name : qdom == QDOM_UNKNOWN ? 0 : qdom;
        flow_prep_key(&m, &e->fp);
    }
    return 1;
}

/*
 * Whether the flow pipeline gets its second thread.  Asked for (--threads
 * N), always; by default only when a core is left for it: a compressed
 * input has its own decompressing thread, and on two cores the default mode
 * ran faster with one pipeline thread beside the decompressor than with two
 * (zstd bench file: best of 5, 2.78 s against 3.25 s; plain 2.78 s).  The
 * packet series keeps both: its reading side is the heavier one.  Decided
 * after the first batch, once the first input is open.
 */
static int flows_threaded(const struct run_ctx *x)
{
    if (x->o->threads < 2)
        return 0;
    if (x->o->threads_set)
        return 1;
    return x->o->threads >= 2 + inputs_decompressing(x->in);
}

static void loop_flows(struct run_ctx *x)
{
    struct fpipe fp = {.x = x};
    pthread_t th;
    /* in the packet series every series event is a packet of its group,
     * counted where the events are added (not in the group, a cache miss a
     * packet in the flow stage) */
    x->count_events = x->o->series == SERIES_PACKETS && !x->fw;
    /* no more batches in circulation than queue slots: a full queue then
     * means no free batch, and the producer waits */
    struct fbatch *batch[FQUEUE];
    void *slots[FQUEUE];
    size_t nb = x->o->threads > 1 ? FQUEUE : 1;
    for (size_t i = 0; i < nb; i++) {
        /* each event on a line of its own */
        batch[i] = xaligned_alloc(64, sizeof(struct fbatch));
        memset(batch[i], 0, sizeof(struct fbatch)); /* no series events yet */
        slots[i] = batch[i];
    }
    int more = flows_fill(x, batch[0]);
    /* the first batch is in hand: the others start free */
    int threaded = more && nb > 1 && flows_threaded(x) && bq_init(&fp.q, slots + 1, nb - 1) == 0;
    /* Which stage keeps the main thread: the one that grows the series'
     * event lists, for the main malloc arena (loop_pairs' pairs_read): in
     * the default mode the flow stage, in the packet series the reading
     * stage (series_stage_apply). */
    int main_reads = x->count_events;
    fp.first = batch[0];
    /* The main thread's heap faulted in by the reading stage, which has time
     * to spare in the default mode (prefault.h); not in the packet series,
     * where the main thread reads and the flow stage is the busier one (4
     * alternated runs: 1.19-1.40 s against 1.07-1.39 without). */
    if (threaded && !main_reads && x->o->prefault)
        prefault_init(&fp.pf, prefault_pad());
    if (threaded && pthread_create(&th, NULL, main_reads ? consumer : producer, &fp)) {
        bq_destroy(&fp.q);
        prefault_end(&fp.pf); /* the heap's pad too */
        threaded = 0;
    }
    if (threaded) {
        if (main_reads)
            producer(&fp);
        else
            consumer(&fp);
        pthread_join(th, NULL);
        prefault_end(&fp.pf);
        x->second_role = main_reads ? "flows" : "reading";
        x->cpu_second = main_reads ? fp.cpu_flow : fp.cpu_read; /* written before the join */
        /* every batch is free now, in the order it was consumed: their
         * last series events, in that order */
        for (size_t i = 0; i < nb; i++)
            series_stage_apply(x, bq_get_free(&fp.q));
        bq_destroy(&fp.q);
    } else {
        consume_batch(x, batch[0]);
        series_stage_apply(x, batch[0]);
        while (more) {
            more = flows_fill(x, batch[0]);
            consume_batch(x, batch[0]);
            series_stage_apply(x, batch[0]);
        }
    }
    for (size_t i = 0; i < nb; i++) {
        free(batch[i]->sev);
        free(batch[i]);
    }
    flow_table_flush(x->flows); /* its events go to the log, behind the loop's */
    series_stage_done(x);
    x->cnt->untracked += x->untracked;
    x->untracked = 0;
}

void pipeline_run(struct run_ctx *x)
{
    if (x->flows) {
        qdom_init(&x->qdom, QDOM_MAX_PAIRS);
        loop_flows(x);
        if (!x->fw)
            x->cnt->qdom_domains = qdom_finish(&x->qdom, x->tab, x->qnames);
        x->cnt->qdom_dropped += x->qdom.dropped;
        qdom_release(&x->qdom);
    } else if (x->o->group == GROUP_DNS)
        loop_dns(x);
    else
        loop_pairs(x);
    quic_reasm_free(x->quic);
    x->quic = NULL;
    tls_reasm_free(x->tls);
    x->tls = NULL;
    x->tls_waiting = 0;
    regdom_cache_free(x->qcache);
    x->qcache = NULL;
}

/*
 * flow.c - see flow.h.
 */
#include "flow.h"

#include "../util/slotidx.h"
#include "../util/hash40.h"
#include "../util/prefetch.h"
#include "../util/xalloc.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

const char *flow_state(const struct flow *f)
{
    unsigned h = f->hist;
    if (f->key.proto != 6)
        return (h & FH_DATA_R) ? "SF" : "S0";
    int syn = (h & FH_SYN_O) != 0, synack = (h & FH_SYNACK_R) != 0;
    if (syn && synack) {
        if (h & FH_RST_O)
            return "RSTO";
        if (h & FH_RST_R)
            return "RSTR";
        if ((h & FH_FIN_O) && (h & FH_FIN_R))
            return "SF";
        if (h & FH_FIN_O)
            return "S2";
        if (h & FH_FIN_R)
            return "S3";
        return "S1";
    }
    if (syn) {
        if (h & FH_RST_R)
            return "REJ";
        if (h & FH_RST_O)
            return "RSTOS0";
        if (h & FH_FIN_O)
            return "SH";
        return "S0";
    }
    if (synack) { /* the SYN missed: the originator is inactive or partial, as Zeek's */
        if (h & FH_RST_R)
            return (h & (FH_FIN_O | FH_RST_O)) ? "RSTR" : "RSTRH";
        if (h & FH_RST_O)
            return "RSTO";
        if ((h & FH_FIN_O) && (h & FH_FIN_R))
            return "SF";
        if (h & FH_FIN_O)
            return "S2";
        if (h & FH_FIN_R)
            return "SHR";
        return "OTH";
    }
    return "OTH";
}

/* Failed: the states S0, REJ, RSTOS0 and SH (flow_state()'s SYN without a
 * SYN/ACK, all of them), and SHR and RSTRH unless the originator sent
 * something.  Read from the bits, not the state's name: every flow's end
 * asks, and comparing names was 5% of the packet loop of the 1 M-group
 * bench file (callgrind).  test_flow holds it to the names for every
 * history. */
int flow_failed(const struct flow *f)
{
    if (f->key.proto != 6 || f->tail) /* a tail is the end of a connection, no attempt */
        return 0;
    unsigned h = f->hist;
    int syn = (h & FH_SYN_O) != 0, synack = (h & FH_SYNACK_R) != 0;
    if (syn && !synack)
        return 1;
    if (syn || !synack)
        return 0;
    /* RSTRH: the responder's RST and nothing closing from the originator;
     * SHR: the responder's FIN alone */
    int rstrh = (h & FH_RST_R) && !(h & (FH_FIN_O | FH_RST_O));
    int shr = !(h & (FH_RST_R | FH_RST_O | FH_FIN_O)) && (h & FH_FIN_R);
    /* a SYN/ACK the originator answered (its SYN not captured) made a
     * connection: only one it never answered failed (a completed exchange
     * had been failed, and gone with --established-only) */
    return (rstrh || shr) && !(h & FH_DATA_O);
}

void flow_table_init(struct flow_table *t, uint64_t seed, int64_t tcp_timeout_ns,
                     int64_t udp_timeout_ns, flow_done_cb done, void *ctx)
{
    memset(t, 0, sizeof(*t));
    t->seed = seed;
    t->tcp_timeout = tcp_timeout_ns;
    t->udp_timeout = udp_timeout_ns;
    t->done = done;
    t->ctx = ctx;
    t->mask = 1023;
    t->slot = xcalloc(t->mask + 1, sizeof(uint64_t));
    t->free_head = FLOW_NONE;
    t->now = INT64_MIN;
    t->in_first = INT64_MAX;
    t->in_last = INT64_MIN;
    t->jump = tcp_timeout_ns > udp_timeout_ns ? tcp_timeout_ns : udp_timeout_ns;
    if (t->jump < FLOW_LINGER_NS)
        t->jump = FLOW_LINGER_NS;
    t->expire_at = INT64_MAX;
}

/* The run of packets out of line joins the span: they are in line after all. */
static void span_add_run(struct flow_table *t)
{
    if (t->run_lo < t->in_first)
        t->in_first = t->run_lo;
    if (t->run_hi > t->in_last)
        t->in_last = t->run_hi;
}

void flow_table_clock_off_line(struct flow_table *t, int64_t ts)
{
    if (!t->clock_set) { /* the first packet sets it */
        t->clock_set = 1;
        t->now = ts;
        return;
    }
    uint8_t ahead = ts > t->now;
    if (t->off_line && ahead != t->off_ahead) { /* the run before was stray */
        t->stray += t->off_line;
        t->off_line = 0;
    }
    t->off_ahead = ahead;
    if (!t->off_line) {
        t->run_lo = t->run_hi = ts;
    } else {
        if (ts < t->run_lo)
            t->run_lo = ts;
        if (ts > t->run_hi)
            t->run_hi = ts;
    }
    ++t->off_line;
    if (!t->settled && t->off_line > t->seg_n && t->run_lo >= FLOW_UNSET_CLOCK_NS &&
        flow_gap_over_ns(ts, t->now, FLOW_STRAY_START_NS)) {
        /* The capture's first packets, fewer than this run, lie more than
         * a year from it: they were stray (FLOW_STRAY_START_NS).
         * The clock and the span start again with the run; their flows end
         * at the next expiry, which must run now, and add no event. */
        t->stray += t->seg_n;
        t->seg_n = t->off_line - 1; /* this packet counts as in line */
        t->off_line = 0;
        t->now = ts;
        t->in_first = t->run_lo;
        t->in_last = t->run_hi;
        t->expire_at = INT64_MIN;
        return;
    }
    if (t->off_line < FLOW_CLOCK_CONFIRM)
        return;
    /* FLOW_CLOCK_CONFIRM in a row: the capture's time moved, and the run's
     * packets are in line.  Flows whose last packet lies ahead of the new
     * clock are ended by the next expiry (idle()), which must run now. */
    t->clock_back += !ahead;
    t->now = ts;
    t->off_line = 0;
    t->settled = 1;
    span_add_run(t);
    t->expire_at = INT64_MIN;
}

void flow_table_release(struct flow_table *t)
{
    xres_free(&t->fres);
    free(t->slot);
    free(t->closed);
    for (int l = 0; l < 3; l++)
        free(t->q[l].e);
    memset(t, 0, sizeof(*t));
}

/* ---- expiry queues ------------------------------------------------------ */

static inline struct flow_qent *qent(const struct flow_queue *q, uint64_t pos)
{
    return &q->e[pos & (q->cap - 1)];
}

/* Is the entry at pos of queue l its flow's current one? */
static inline int qent_current(const struct flow_table *t, uint8_t l, uint64_t pos)
{
    const struct flow *f = &t->f[qent(&t->q[l], pos)->idx];
    return f->list == l && f->qpos == (uint32_t)pos;
}

/*
 * Flows are checked as their entries reach the head, a random flow each:
 * start loading the one QAHEAD entries on while this one is handled.  The
 * list these queues replaced took two dependent misses a requeue (the next
 * flow's link, then its queued time), about 5% of the default mode's
 * samples (perf).
 */
#define QAHEAD 8

PREFETCH_FN void qprefetch(const struct flow_table *t, const struct flow_queue *q, uint64_t pos)
{
    if (pos + QAHEAD < q->tail) {
        const struct flow *f = &t->f[qent(q, pos + QAHEAD)->idx];
        __builtin_prefetch(f);
        __builtin_prefetch((const char *)f + 64); /* ending: counters, group, hash */
    }
}

/* Drop the entries at the head of queue l that are no longer current. */
static void qskip(struct flow_table *t, uint8_t l)
{
    struct flow_queue *q = &t->q[l];
    while (q->head < q->tail && !qent_current(t, l, q->head)) {
        qprefetch(t, q, q->head);
        q->head++;
    }
}

/*
 * expire() is asked at every packet but has work only when a queue's head
 * has been idle past its timeout.  t->expire_at is the earliest time at
 * which that can be true: the minimum over the three heads of queued +
 * timeout (saturated), recomputed whenever a head changes (the only
 * places are list_unlink and list_append below), so that the packet path
 * compares one number instead of walking three heads (about 50 of the
 * default mode's 1 060 instructions a packet).  Same decisions as before:
 * idle() is now - queued > timeout with now >= queued, i.e. now > queued +
 * timeout; a head queued ahead of the clock is idle at once.
 */
static void heads_changed(struct flow_table *t)
{
    if (t->expiring) /* expire() recomputes it once when it is done */
        return;
    int64_t at = INT64_MAX;
    for (uint8_t l = 0; l < 3; l++) {
        const struct flow_queue *q = &t->q[l];
        if (q->head == q->tail)
            continue;
        int64_t qt = qent(q, q->head)->queued, to = flow_table_timeout(t, l);
        /* a head ahead of the clock (an out-of-line packet's flow) is idle
         * already (idle()): due at once */
        int64_t d = qt > t->now ? INT64_MIN : to < 0 || qt > INT64_MAX - to ? INT64_MAX : qt + to;
        if (d < at)
            at = d;
    }
    t->expire_at = at;
}

static void list_unlink(struct flow_table *t, uint32_t i)
{
    struct flow *f = &t->f[i];
    uint8_t l = f->list;
    struct flow_queue *q = &t->q[l];
    int was_head = f->qpos == (uint32_t)q->head;
    f->list = FLOW_QNONE; /* its entry is no longer current */
    q->live--;
    if (was_head) { /* qskip drops it with the stale entries behind it */
        qskip(t, l);
        heads_changed(t);
    }
}

/* Room for one more entry at the tail of q: drop the entries no longer
 * current when they are at least half the ring, else double it. */
static void qroom(struct flow_table *t, uint8_t l)
{
    struct flow_queue *q = &t->q[l];
    size_t used = (size_t)(q->tail - q->head);
    if (used < q->cap)
        return;
    size_t cap = q->cap;
    if (q->live * 2 > cap || cap < 64)
        cap = cap ? st_mult(cap, 2) : 64;
    struct flow_qent *e = xmalloc(st_mult(cap, sizeof(*e)));
    uint64_t out = q->head; /* positions stay above every older entry's */
    for (uint64_t p = q->head; p < q->tail; p++) {
        const struct flow_qent *x = qent(q, p);
        if (qent_current(t, l, p)) {
            t->f[x->idx].qpos = (uint32_t)out;
            e[out++ & (cap - 1)] = *x;
        }
    }
    free(q->e);
    q->e = e;
    q->cap = cap;
    q->tail = out;
}

static void list_append(struct flow_table *t, uint32_t i, uint8_t list)
{
    struct flow *f = &t->f[i];
    struct flow_queue *q = &t->q[list];
    f->list = FLOW_QNONE; /* a new slot's zeroes are not a queue position */
    qroom(t, list);
    struct flow_qent *e = qent(q, q->tail);
    e->queued = f->last;
    e->idx = i;
    e->pad = 0;
    f->list = list;
    int at_head = q->tail == q->head;
    f->qpos = (uint32_t)q->tail++;
    q->live++;
    if (at_head)
        heads_changed(t);
}

/* ---- index ---------------------------------------------------------------- */

/* Remove flow i from the index: linear probing with backward-shift
 * deletion (no tombstones, so probe chains stay short). */
static void index_remove(struct flow_table *t, uint32_t i)
{
    size_t s = (size_t)t->f[i].hash_hi & t->mask; /* the hash kept: not computed again */
    while ((uint32_t)t->slot[s] != i + 1)
        s = (s + 1) & t->mask;
    size_t hole = s;
    for (size_t j = (hole + 1) & t->mask; t->slot[j]; j = (j + 1) & t->mask) {
        size_t home = (size_t)(t->slot[j] >> 32) & t->mask;
        /* move slot j into the hole if its home is not in (hole, j] */
        if (((j - home) & t->mask) >= ((j - hole) & t->mask)) {
            t->slot[hole] = t->slot[j];
            hole = j;
        }
    }
    t->slot[hole] = 0;
}

/* The most slots the closed table may grow to (flow.h). */
static size_t closed_cap(const struct flow_table *t)
{
    size_t lim = t->max_live ? t->max_live : FLOW_CLOSED_MAX, cap = FLOW_CLOSED_SLOTS;
    while (cap < lim && cap < FLOW_CLOSED_MAX)
        cap *= 2;
    return cap;
}

/* Twice the slots: the connections whose tails could still come move over
 * (two in one new slot: the newer stays, as on insertion). */
static void closed_grow(struct flow_table *t)
{
    size_t n = t->closed_slots * 2;
    struct flow_closed *c = xcalloc(n, sizeof(*c));
    for (size_t i = 0; i < t->closed_slots; i++) {
        const struct flow_closed *o = &t->closed[i];
        if (!o->key.family || flow_gap_over_ns(t->now, o->at, t->tcp_timeout))
            continue;
        struct flow_closed *d = &c[hash40(&o->key, FLOW_CLOSED_SEED) & (n - 1)];
        if (!d->key.family || d->at <= o->at)
            *d = *o;
    }
    free(t->closed);
    t->closed = c;
    t->closed_slots = n;
    t->closed_in = t->closed_lost = 0;
}

static void end_flow(struct flow_table *t, uint32_t i)
{
    struct flow *f = &t->f[i];
    if (f->closed && !f->bare) { /* for its tail (struct flow_closed) */
        if (!t->closed) {
            t->closed_slots = FLOW_CLOSED_SLOTS;
            t->closed = xcalloc(t->closed_slots, sizeof(*t->closed));
        }
        uint64_t h = hash40(&f->key, FLOW_CLOSED_SEED);
        struct flow_closed *c = &t->closed[h & (t->closed_slots - 1)];
        t->closed_in++;
        if (c->key.family && !flow_gap_over_ns(t->now, c->at, FLOW_CLOSED_YOUNG_NS) &&
            !hash40_eq(&c->key, &f->key) && ++t->closed_lost >= t->closed_slots / 64 &&
            t->closed_lost * 8 > t->closed_in && t->closed_slots < closed_cap(t)) {
            closed_grow(t);
            c = &t->closed[h & (t->closed_slots - 1)];
        }
        c->key = f->key;
        c->at = f->last;
        c->name = f->name;
        c->dns = f->dns;
        c->group = f->group;
        c->orig = f->orig;
    }
    if (f->key.proto != 6 && t->exchange)
        t->exchange(t->ctx, f, f->ex_start, f->ex_bytes, f->ex_resp);
    t->done(t->ctx, f);
    list_unlink(t, i);
    index_remove(t, i);
    t->f[i].next = t->free_head;
    t->free_head = i;
    t->live--;
}

/* Silent for longer than to, or last seen ahead of the clock: a packet out
 * of line with it (flow.h), whose flow ends when the expiry reaches it. */
static inline int idle(const struct flow_table *t, int64_t since, int64_t to)
{
    return since > t->now || (uint64_t)t->now - (uint64_t)since > (uint64_t)to;
}

/* Idle within FLOW_SOON_NS from now: a flow that ends in a steady stream of
 * endings, not one that was active a moment ago and is only requeued (the
 * bench file's every flow, every timeout: the ending hints' prefetches of
 * their groups were wasted). */
#define FLOW_SOON_NS 1000000000ll
static inline int idle_soon(const struct flow_table *t, int64_t since, int64_t to)
{
    int64_t at = t->now > INT64_MAX - FLOW_SOON_NS ? INT64_MAX : t->now + FLOW_SOON_NS;
    return since > at || (uint64_t)at - (uint64_t)since > (uint64_t)to;
}

void flow_table_expire(struct flow_table *t)
{
    /* Every flow reaches a head once per timeout and, still active, is
     * requeued: the deadline is recomputed once at the end, not at each
     * of those (3% of the default mode's samples, perf). */
    t->expiring = 1;
    for (uint8_t l = 0; l < 3; l++) {
        int64_t to = flow_table_timeout(t, l);
        const struct flow_queue *q = &t->q[l];
        while (q->head < q->tail) { /* the head entry is current */
            const struct flow_qent *e = qent(q, q->head);
            if (!idle(t, e->queued, to))
                break; /* ordered by queued time: nothing older */
            /* The flow QAHEAD / 2 entries on (loaded QAHEAD on, qprefetch):
             * its index slot, and whatever the caller's callbacks will touch
             * when it ends (its group).  Not only if it is idle already: in
             * a steady stream each packet ends about one flow, the head,
             * and the flows behind it are due a few packets later, when
             * they reach the head.  (A flow a packet, 1 M services, 5 M
             * packets, one thread: the packet loop 3.8-4.9 s to 2.6-3.3,
             * 4 alternated runs; the bench file's 50 k unchanged.) */
            uint64_t pb = q->head + QAHEAD / 2, pc = q->head + QAHEAD / 4;
            if (pb < q->tail && qent_current(t, l, pb)) {
                const struct flow *fb = &t->f[qent(q, pb)->idx];
                if (idle_soon(t, fb->last, to)) {
                    __builtin_prefetch(&t->slot[(size_t)fb->hash_hi & t->mask]);
                    if (t->ending)
                        t->ending(t->ctx, fb, 0);
                }
            }
            if (t->ending && pc < q->tail && qent_current(t, l, pc)) {
                const struct flow *fc = &t->f[qent(q, pc)->idx];
                if (idle_soon(t, fc->last, to))
                    t->ending(t->ctx, fc, 1);
            }
            uint32_t i = e->idx;
            if (idle(t, t->f[i].last, to)) {
                end_flow(t, i);
            } else { /* active since it was queued: requeue */
                list_unlink(t, i);
                list_append(t, i, l);
            }
        }
    }
    t->expiring = 0;
    heads_changed(t);
}

/* Grow the flow array, 64-byte aligned (see struct flow).  Reserved at
 * its first growth for max_live flows (freed slots are taken before the
 * array grows, so it holds at most as many as were ever live at once) and
 * grown in place there (xalloc.h). */
static void grow_flows(struct flow_table *t)
{
    if (!t->f) {
        size_t most = t->max_live && t->max_live <= SIZE_MAX / sizeof(*t->f) - 64
                          ? (t->max_live + 64) * sizeof(*t->f)
                          : 0;
        xres_init(&t->fres, most, 64);
    }
    size_t nc = t->cap < 64 ? xalloc_first_cap(sizeof(*t->f), 64) : st_add(t->cap, t->cap / 2);
    size_t most = t->fres.max / sizeof(*t->f);
    if (most && nc > most)
        nc = most > t->n ? most : t->n + 1;
    t->f = xres_grow(&t->fres, t->n * sizeof(*t->f), st_mult(nc, sizeof(*t->f)));
    t->cap = t->fres.size / sizeof(*t->f);
}

static uint32_t new_slot(struct flow_table *t)
{
    uint32_t i;
    if (t->free_head != FLOW_NONE) {
        i = t->free_head;
        t->free_head = t->f[i].next;
    } else {
        if (t->n == t->cap)
            grow_flows(t);
        i = (uint32_t)t->n++;
    }
    return i;
}

/* The key's two "ports" of a packet, source side first: its ports, or an
 * ICMP query's identifier on both sides, or an ICMP message's type and
 * code; 0 for other protocols. */
static void key_ports(const struct pkt_meta *m, uint16_t *sp, uint16_t *dp)
{
    *sp = *dp = 0;
    if (m->has_ports) {
        *sp = m->sport;
        *dp = m->dport;
    } else if (m->proto == 1 || m->proto == 58) {
        if (m->icmp_query) {
            *sp = *dp = m->icmp_id;
        } else {
            *sp = m->icmp_type;
            *dp = m->icmp_code;
        }
    }
}

/* Is the packet's source the key's first side: the lower address in memcmp
 * order, or on equal addresses the lower port.  The addresses compare as
 * two words each: gcc called libc's memcmp here, 2% of the default mode
 * (perf). */
static int src_first(const struct pkt_meta *m, uint16_t sp, uint16_t dp)
{
    uint64_t s = hash40_rd64_be(m->src), d = hash40_rd64_be(m->dst);
    if (s != d)
        return s < d;
    s = hash40_rd64_be(m->src + 8);
    d = hash40_rd64_be(m->dst + 8);
    if (s != d)
        return s < d;
    return sp <= dp;
}

#if !HASH40_WORD_KEYS
static void make_key(const struct pkt_meta *m, struct flow_key *k, uint8_t *src_side)
{
    memset(k, 0, sizeof(*k));
    k->family = m->family;
    k->proto = m->proto;
    k->vlan = m->vlan;
    uint16_t sp, dp;
    key_ports(m, &sp, &dp);
    *src_side = src_first(m, sp, dp) ? 0 : 1;
    memcpy(k->addr[*src_side], m->src, 16);
    memcpy(k->addr[!*src_side], m->dst, 16);
    k->port[*src_side] = sp;
    k->port[!*src_side] = dp;
}
#endif

/* flow_prep_make() and flow_prep_key(): with_hash is a constant in each,
 * so each gets its own copy without the test. */
static inline uint64_t prep(uint64_t seed, const struct pkt_meta *m, struct flow_prep *fp,
                            int with_hash)
{
#if HASH40_WORD_KEYS
    /* make_key() as five words (hash40.h): family, proto, vlan, port[0],
     * port[1] in the first, then addr[0] and addr[1] */
    _Static_assert(offsetof(struct flow_key, port) == 4 && offsetof(struct flow_key, addr) == 8,
                   "flow key words");
    uint16_t sp, dp;
    key_ports(m, &sp, &dp);
    int first = src_first(m, sp, dp);
    uint64_t s0 = hash40_rd64(m->src), s1 = hash40_rd64(m->src + 8);
    uint64_t d0 = hash40_rd64(m->dst), d1 = hash40_rd64(m->dst + 8);
    uint64_t p0 = first ? sp : dp, p1 = first ? dp : sp;
    uint64_t w[5] = {(uint64_t)m->family | (uint64_t)m->proto << 8 | (uint64_t)m->vlan << 16 |
                         p0 << 32 | p1 << 48,
                     first ? s0 : d0, first ? s1 : d1, first ? d0 : s0, first ? d1 : s1};
    hash40_store(&fp->k, w);
    fp->side = first ? 0 : 1;
    uint64_t h = with_hash ? hash40_words(w, seed) : 0;
#else
    make_key(m, &fp->k, &fp->side);
    _Static_assert(sizeof(fp->k) == 40, "hash40() reads exactly 40 bytes");
    uint64_t h = with_hash ? hash40(&fp->k, seed) : 0;
#endif
    fp->has_ports = m->has_ports;
    fp->tcp_flags = m->tcp_flags;
    /* a segment with data: PSH (set on a write's last segment, its header
     * captured even under a short snapshot), or payload captured */
    fp->data = m->proto == 6 && ((m->tcp_flags & 0x08) || m->payload_len > 0);
    return h;
}

uint64_t flow_prep_make(uint64_t seed, const struct pkt_meta *m, struct flow_prep *fp)
{
    return prep(seed, m, fp, 1);
}

void flow_prep_key(const struct pkt_meta *m, struct flow_prep *fp)
{
    (void)prep(0, m, fp, 0);
}

uint64_t flow_table_prepare(const struct flow_table *t, const struct pkt_meta *m,
                            struct flow_prep *fp)
{
    uint64_t h = flow_prep_make(t->seed, m, fp);
    flow_table_prefetch(t, h);
    return h;
}

struct flow *flow_table_packet(struct flow_table *t, const struct pkt_meta *m, int64_t ts,
                               uint32_t wirelen, int *from_orig)
{
    struct flow_prep fp;
    uint64_t h = flow_table_prepare(t, m, &fp);
    return flow_table_packet_prepared(t, &fp, h, ts, wirelen, from_orig);
}

uint32_t flow_table_open(struct flow_table *t, const struct flow_prep *fp, uint64_t h, int64_t ts,
                         uint32_t i, size_t slot, int syn, int ack)
{
    const struct flow_key *k = &fp->k;
    int side = fp->side;
    int is_tcp = k->proto == 6;
    if (i != FLOW_NONE) { /* stale or reopened: end it first */
        end_flow(t, i);
        i = flow_table_find(t, k, h, &slot);
    }
    if (i == FLOW_NONE) {
        if (t->max_live && t->live >= t->max_live) {
            /* Full (a flood of spoofed sources?): end the flow queued
             * longest ago, so memory stays bounded and real conversations,
             * which keep being requeued, survive. */
            uint32_t victim = FLOW_NONE;
            int64_t victim_queued = 0;
            for (uint8_t l = 0; l < 3; l++) {
                /* heads active since they were queued go to the back first */
                const struct flow_queue *q = &t->q[l];
                while (q->head < q->tail) {
                    const struct flow_qent *e = qent(q, q->head);
                    uint32_t h0 = e->idx;
                    if (t->f[h0].last <= e->queued)
                        break;
                    list_unlink(t, h0);
                    list_append(t, h0, l);
                }
                const struct flow_qent *hd = q->head < q->tail ? qent(q, q->head) : NULL;
                if (hd && (victim == FLOW_NONE || hd->queued < victim_queued)) {
                    victim = hd->idx;
                    victim_queued = hd->queued;
                }
            }
            if (victim != FLOW_NONE) {
                end_flow(t, victim);
                t->evicted++;
                (void)flow_table_find(t, k, h, &slot); /* the index changed: new free slot */
            }
        }
        i = new_slot(t);
        struct flow *f = &t->f[i];
        memset(f, 0, sizeof(*f));
        f->key = *k;
        f->start = f->last = f->ex_start = ts;
        f->group = FLOW_GROUP_UNSET;
        f->bare = is_tcp && !syn && (fp->tcp_flags & 0x05);
        f->noports = !fp->has_ports;
        const struct flow_closed *c = NULL;
        /* only a SYN without ACK starts a new connection on the 5-tuple of
         * a closed one (as on the closed flow itself, flow.h): a late
         * SYN/ACK retransmitted after the linger is its end too (it had
         * opened a connection of its own: 30 check-ins read as 60) */
        if (is_tcp && !(syn && !ack) && t->closed) {
            c = &t->closed[hash40(k, FLOW_CLOSED_SEED) & (t->closed_slots - 1)];
            if (hash40_eq(&c->key, k) && !flow_gap_over_ns(ts, c->at, t->tcp_timeout)) {
                f->tail = 1;
                t->tails++;
            } else {
                c = NULL;
            }
        }
        if (c) { /* a tail: the closed connection's originator and names, its group's */
            f->orig = c->orig;
            f->name = c->name;
            f->dns = c->dns;
            f->group = c->group;
        } else if (is_tcp && syn && ack)
            f->orig = (uint8_t)!side; /* we saw the SYN/ACK first */
        else if (is_tcp && !syn && fp->has_ports && k->port[0] != k->port[1])
            /* mid-stream: the higher port's side (k->port[side] is the source's) */
            f->orig = k->port[side] > k->port[!side] ? (uint8_t)side : (uint8_t)!side;
        else
            f->orig = (uint8_t)side;
        f->hash_hi = (uint32_t)(h >> 32);
        if (t->opened && !c)
            t->opened(t->ctx, f);
        t->slot[slot] = (uint64_t)f->hash_hi << 32 | (uint64_t)(i + 1);
        list_append(t, i, is_tcp ? FLOW_LIST_TCP : FLOW_LIST_OTHER);
        t->live++;
        t->flows_total++;
        if (t->live > t->peak_live)
            t->peak_live = t->live;
        if (t->live * 2 > t->mask + 1)
            slotidx_grow(&t->slot, &t->mask);
    }
    return i;
}

void flow_table_closed(struct flow_table *t, uint32_t i)
{
    list_unlink(t, i);
    list_append(t, i, FLOW_LIST_CLOSED);
}

/* A flow to end at the flush, with its last activity beside it: sorting
 * indices whose comparisons read the flows (128 bytes each, all over the
 * array) took 9 ms for 50 k flows. */
struct flush_rec {
    int64_t last;
    uint32_t idx;
};

static int cmp_last(const void *a, const void *b)
{
    const struct flush_rec *x = a, *y = b;
    if (x->last != y->last)
        return x->last < y->last ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

void flow_table_flush(struct flow_table *t)
{
    /* The packets out of line at the end: within FLOW_STRAY_NS of the
     * clock, the capture's last packets after a pause (sparse traffic's
     * last check-in), in the span; further, stray, unless the clock never
     * settled (a few packets, merged years apart: no packets to be out of
     * line with). */
    if (t->off_line) {
        if (t->settled && (flow_gap_over_ns(t->run_lo, t->now, FLOW_STRAY_NS) ||
                           flow_gap_over_ns(t->run_hi, t->now, FLOW_STRAY_NS))) {
            t->stray += t->off_line;
        } else {
            span_add_run(t);
        }
        t->off_line = 0;
    }
    /* In the order of last activity (ties: slot order, deterministic). The
     * lists are ordered by queue time, which lags behind activity. */
    struct flush_rec *r = xmalloc(st_mult(t->live ? t->live : 1, sizeof(*r)));
    size_t n = 0;
    for (uint8_t l = 0; l < 3; l++)
        for (uint64_t p = t->q[l].head; p < t->q[l].tail; p++)
            if (qent_current(t, l, p)) {
                uint32_t i = qent(&t->q[l], p)->idx;
                r[n++] = (struct flush_rec){t->f[i].last, i};
            }
    qsort(r, n, sizeof(*r), cmp_last);
    for (size_t k = 0; k < n; k++)
        end_flow(t, r[k].idx);
    free(r);
}

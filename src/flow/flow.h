/*
 * flow.h - bidirectional flows (connections) assembled from packets.
 *
 * Key: protocol, VLAN id and the two (address, port) endpoints in a
 * canonical order (side 0 sorts before side 1), so both directions of a
 * conversation find the same flow.  For ICMP and ICMPv6 queries (echo and
 * the like) both "ports" are the query identifier, so a request and its
 * reply are one flow; other ICMP messages use (type, code).
 *
 * Originator: the side that sent the first packet, except for TCP: a SYN
 * without ACK decides (its sender), a SYN/ACK seen first makes its receiver
 * the originator, and a flow first seen mid-stream takes the side with the
 * higher (ephemeral) port as originator.
 *
 * End: a TCP flow ends on an RST or once both sides sent FIN (it lingers
 * FLOW_LINGER_NS so the last ACKs still count for it; a new SYN on it starts
 * a new flow), or after tcp_timeout of inactivity; other protocols after
 * udp_timeout.  Inactive flows are found from the head of three queues (TCP
 * open, TCP closed, other) ordered by the time a flow was queued: a packet
 * only updates its flow's last-seen time, and a flow found at the head that
 * was active since is requeued then (at most once per timeout), so the
 * per-packet cost has no list surgery.  A queue is an array of entries
 * (struct flow_queue), not a list through the flows: requeueing a flow
 * writes no other flow, the time it was queued is read from the entry, and
 * the flows of the next entries are prefetched.
 *
 * Memory: the table holds only active flows; an ended flow is handed to the
 * caller's callback and its slot reused.  The table owns its flows.
 */
#ifndef PCTS_FLOW_H
#define PCTS_FLOW_H

#include "../decode/decode.h"
#include "../util/hash40.h"
#include "../util/prefetch.h"
#include "../util/xalloc.h"

#include <stddef.h>
#include <stdint.h>

#define FLOW_LINGER_NS (5ll * 1000000000)
/* Flows are cut into exchanges: activity separated by at least this much
 * silence.  A beacon that reuses one UDP socket or one ICMP echo id every
 * 30 s is one flow for Zeek and for the timeouts, but one exchange per
 * check-in; so is one that keeps a TCP connection open (HTTP keep-alive, a
 * heartbeat inside one TLS session).  A TCP connection's later exchanges
 * start only with its originator's data, once it is established and while
 * it is not closing (flow_tcp_resumes). */
#define FLOW_EXCHANGE_GAP_NS (2ll * 1000000000)
#define FLOW_NONE UINT32_MAX
/* The table's clock (struct flow_table.now) follows the packets, but a
 * packet more than the longest timeout away from it, ahead or behind, is
 * out of line: it moves the clock only when FLOW_CLOCK_CONFIRM packets in a
 * row are out of line on the same side.  A shorter run, ended by a packet
 * in line again, was stray timestamps.  One packet stamped in 2100 would
 * otherwise have ended every flow at once and made every later packet a
 * flow of its own; a clock stepped back would have kept every later packet
 * in the flows it had.  A real pause in a capture moves the clock a few
 * packets late, which only delays expiry: flows are split by their own
 * packets' gaps (flow_gap_over). */
#define FLOW_CLOCK_CONFIRM 8
/* A packet out of line by more than this (a 2061 stamp among 2015's, a 1970
 * one) that belongs to an open flow is counted in it, its time ignored: a check-in connection
 * holding one such packet had become three flows and an event 46 years away, burying a 60 s beacon
 * (score 0.992 to 0.001).  One that opens a flow keeps its time (the first
 * packets after a gap in captures merged days apart are such: they must
 * not be moved to the part before the gap).  Sparse traffic, a beacon
 * every few hours, stays far below it. */
#define FLOW_STRAY_NS (86400ll * 1000000000)
/* The first packet sets the clock, so a capture whose first packet is
 * stray (a 1970 stamp: a clock not set yet) would have had its real
 * packets taken as the strays, each of the first FLOW_CLOCK_CONFIRM in its
 * flow with its time ignored (one 1970 SYN had taken a 60 s beacon from
 * 1.000 to 0.001).  Until FLOW_CLOCK_CONFIRM packets are in line with the
 * clock, a run of packets further than this from it, longer than the run
 * of packets in line so far, moves it, and those were stray.  A year: no
 * beacon is that sparse, and a capture's first check-ins must not become
 * strays. */
#define FLOW_STRAY_START_NS (366ll * 86400 * 1000000000)
/* ...but never to a run stamped before 1971, a clock not set yet: 5 real
 * packets and then 6 stamped 1970 had moved it, and the real connection was
 * lost. */
#define FLOW_UNSET_CLOCK_NS (365ll * 86400 * 1000000000)

/* The connections closed last (RST, or FIN both ways), by their key: a
 * direct-mapped table, a newer one taking an older one's slot (it then
 * counts as a connection, as before the table).  It starts with
 * FLOW_CLOSED_SLOTS and doubles when more than one connection in eight
 * takes the slot of one closed less than FLOW_CLOSED_YOUNG_NS before (whose
 * tail, a FIN retransmitted after the linger, is the likeliest to come
 * still), counted from at least a 64th of its slots: a busy capture closing
 * 10 000 connections a second had lost 60% of them within 6 s, and their
 * late FINs counted as connections.  It stops at FLOW_CLOSED_MAX slots (64
 * MiB) or a slot per flow the table may hold (--max-flows, rounded up to a
 * power of two), whichever is less.  A FIN or RST without SYN
 * on a key closed within the TCP timeout is that connection's tail, and so
 * is any other packet but a SYN without ACK (a late ACK, data, a SYN/ACK
 * retransmitted: no new connection reuses a 5-tuple without a SYN).  Flows
 * opened by a FIN or RST (bare) are not recorded: a stream of lone RSTs
 * every minute (a blocked beacon whose SYNs the capture misses) stays one
 * connection a minute.  The slot comes from a hash with a fixed seed, not
 * the table's per-run one: which connections a newer one overwrote, so
 * which late packets are tails, had changed from run to run; the whole key
 * is compared. */
#define FLOW_CLOSED_SLOTS (1u << 16) /* at first */
#define FLOW_CLOSED_MAX (1u << 20)
#define FLOW_CLOSED_YOUNG_NS (30ll * 1000000000)
#define FLOW_CLOSED_SEED 0x7c3e9a1b5d2f4860ull

struct flow_key {
    uint8_t family, proto;
    uint16_t vlan;
    uint16_t port[2];
    uint8_t addr[2][16];
};
/* hashed and compared as 40 raw bytes: no padding anywhere */
_Static_assert(sizeof(struct flow_key) == 40, "flow key is hashed as 5 words");

#define FLOW_GROUP_UNSET UINT32_MAX /* struct flow.group: no group cached */

enum {
    FH_SYN_O = 1u << 0,    /* SYN without ACK from the originator */
    FH_SYNACK_R = 1u << 1, /* SYN/ACK from the responder */
    FH_FIN_O = 1u << 2,
    FH_FIN_R = 1u << 3,
    FH_RST_O = 1u << 4,
    FH_RST_R = 1u << 5,
    FH_DATA_O = 1u << 6, /* a packet from the originator (any) */
    FH_DATA_R = 1u << 7, /* a packet from the responder (any) */
};

/*
 * Exactly two cache lines, and the table is 64-byte aligned: a packet's
 * lookup and update touch the first line (key, state, last-seen time, queue
 * position) and the second (counters, exchange), never a third; the expiry
 * queues read only the first.  (It was 152 bytes over three lines; the
 * change saved 24 bytes a flow but no time measurable on the bench machine,
 * 6 alternated runs each.)
 */
struct flow {
    struct flow_key key;
    uint8_t orig;       /* key side (0 or 1) of the originator */
    uint8_t hist;       /* FH_* bits */
    uint8_t list;       /* which expiry queue (FLOW_QNONE: none, a free slot) */
    uint8_t closed : 1; /* TCP: RST, or FIN both ways */
    /* TCP: its first packet was no SYN without ACK (a FIN, RST, ACK, data,
     * a SYN/ACK retransmitted), within the TCP timeout after a connection of
     * the same key closed: that connection's end (a FIN retransmitted after
     * the linger), not one: no connection event, never failed, the
     * connection's originator and names (struct flow_closed) */
    uint8_t tail : 1;
    uint8_t bare : 1; /* TCP: opened by a FIN or RST without SYN, a tail or not */
    /* caller's, connectionless flows: one of its exchanges was an event
     * (not refused as a stray timestamp); zero when the flow is created */
    uint8_t had_event : 1;
    /* its key has no ports: packets whose transport header is missing (a
     * fragment before its first, a header past the snapshot): dport null,
     * as the packet series prints it, not 0 */
    uint8_t noports : 1;
    /* its current exchange is not its first (read for TCP connections,
     * whose first starts with them: flow_exchange_next) */
    uint8_t ex_next : 1;
    /* TCP: the originator sent data in its current exchange (struct
     * flow_prep.data; flow_tcp_resumes) */
    uint8_t ex_data : 1;
    uint32_t name; /* caller's: the responder's name (TLS SNI, HTTP Host) */
    int64_t last;
    /* position of its entry in queue list (struct flow_queue), the low 32
     * bits of it: entries between a queue's head and tail are fewer than
     * 2^32 (the ring would be 64 GiB), so the low bits tell them apart */
    uint32_t qpos;
    uint32_t hash_hi; /* the key's hash >> 32: the tag of its index slot */
    int64_t start;
    uint64_t pkts[2], bytes[2]; /* [0] originator, [1] responder; wire bytes */
    int64_t ex_start;           /* current exchange */
    /* its originator's and responder's bytes (saturating: sizes are 32-bit) */
    uint32_t ex_bytes, ex_resp;
    uint32_t group; /* caller's cache: a group index or FLOW_GROUP_UNSET */
    union {
        uint32_t next; /* free list link (a free slot) */
        /* caller's, a live flow: the responder's name from the DNS answers
         * before its first packet (flow_table.opened), 0 when none */
        uint32_t dns;
    };
};
_Static_assert(sizeof(struct flow) == 128, "a flow is two cache lines");

/* A closed connection (above): what its tail takes of it, so that the tail
 * joins its group in every grouping, --group host's names included. */
struct flow_closed {
    struct flow_key key; /* family 0: an empty slot */
    int64_t at;          /* its last packet */
    uint32_t name, dns;  /* its struct flow.name and .dns */
    /* its struct flow.group: the packet series picks a flow's group at its
     * first packet, before the SNI names it, so a tail taking the name
     * alone had gone to a group of its own under --group host */
    uint32_t group;
    uint8_t orig; /* its struct flow.orig */
};
_Static_assert(sizeof(struct flow_closed) <= 64, "a closed connection is one cache line");

_Static_assert(offsetof(struct flow, hash_hi) + 4 <= 64,
               "queue fields and the tag in the first line");

#define FLOW_QNONE 3 /* struct flow.list of a free slot */
/* struct flow.list: the expiry queues */
enum { FLOW_LIST_TCP = 0, FLOW_LIST_CLOSED = 1, FLOW_LIST_OTHER = 2 };

/*
 * An expiry queue: a ring of entries in the order flows were (re)queued,
 * positions [head, tail) counted from the queue's start (64-bit: they never
 * wrap).  An entry is current while its flow's list and qpos still name it;
 * a flow that ends or moves to another queue leaves its entry behind,
 * skipped when it reaches the head (never at the head: the head is always
 * current or the queue empty) and dropped when the ring is compacted.  A
 * full ring is compacted in place unless more than half its entries are
 * current, then doubled: it stays under 4x the queue's peak live flows, or
 * 64 entries (the unit test's bound), and never shrinks, like the flow
 * array.
 */
struct flow_qent {
    int64_t queued; /* the flow's last-seen time when it was queued */
    uint32_t idx;   /* its flow */
    uint32_t pad;
};
struct flow_queue {
    struct flow_qent *e; /* cap entries, a power of two */
    uint64_t head, tail;
    size_t cap;
    size_t live; /* current entries */
};

const char *flow_state(const struct flow *f);
/* A TCP connection attempt that never got established (S0, REJ, SH, ...). */
int flow_failed(const struct flow *f);

typedef void (*flow_done_cb)(void *ctx, struct flow *f);
/* One exchange ended: of a connectionless flow, each (the last one called
 * before done); of a TCP connection, each but the last, which done ends
 * (f->ex_next tells whether there was more than one).  Its start, its
 * originator's bytes and its responder's. */
typedef void (*flow_exchange_cb)(void *ctx, struct flow *f, int64_t start, uint64_t orig_bytes,
                                 uint64_t resp_bytes);
/* A flow the expiry will soon end (a few queue entries on, unless it is
 * active meanwhile): a hint, for prefetching what done and exchange touch,
 * in two steps: step 0 about four queue entries before the flow is checked,
 * step 1 about two (the head may jump past several stale entries at once). */
typedef void (*flow_ending_cb)(void *ctx, const struct flow *f, int step);
/* A flow was opened by the packet being added (its key, start and
 * originator set, nothing counted yet). */
typedef void (*flow_opened_cb)(void *ctx, struct flow *f);

struct flow_table {
    struct flow *f; /* fres.p: grows in place (xalloc.h), room for max_live */
    size_t n, cap;  /* used slots in f[], allocated */
    struct xres fres;
    uint32_t free_head; /* free list through .next */
    uint64_t *slot;     /* hash index: tag << 32 | (index + 1) */
    size_t mask, live;
    uint64_t seed;
    int64_t tcp_timeout, udp_timeout; /* ns */
    int64_t now;                      /* the clock: the latest packet time in line (above) */
    int64_t jump;                     /* ns: farther from now is out of line */
    uint32_t off_line;                /* packets out of line in a row, on one side */
    uint8_t off_ahead;                /* that side: ahead of now */
    uint8_t clock_set;                /* a packet has set now */
    uint8_t settled;                  /* FLOW_CLOCK_CONFIRM in line with it (FLOW_STRAY_START_NS) */
    uint32_t seg_n;                   /* packets in line until settled */
    int64_t run_lo, run_hi;           /* the times of the packets out of line */
    uint64_t clock_back;              /* times now moved back by more than jump */
    uint64_t stray;                   /* packets out of line that did not move it */
    uint64_t stray_events;            /* events flow_table_event_in_line() refused */
    uint64_t tails;                   /* flows opened as tails (struct flow.tail) */
    struct flow_closed *closed;       /* recently closed connections (closed_slots) */
    size_t closed_slots;              /* a power of two, from FLOW_CLOSED_SLOTS up */
    uint64_t closed_in,
        closed_lost;           /* since it grew: connections put in, slots taken from young ones */
    int64_t in_first, in_last; /* the times of the packets in line: the span */
    int64_t expire_at;         /* expire() has nothing to do while now <= this */
    int expiring;              /* inside expire(): expire_at is set at its end */
    struct flow_queue q[3];    /* expiry queues */
    flow_done_cb done;
    flow_exchange_cb exchange; /* may be NULL */
    flow_ending_cb ending;     /* may be NULL */
    flow_opened_cb opened;     /* may be NULL */
    void *ctx;
    uint64_t flows_total, peak_live;
    size_t max_live;  /* 0: unlimited; else the oldest flow is ended to make room */
    uint64_t evicted; /* flows ended early because the table was full */
};

void flow_table_init(struct flow_table *t, uint64_t seed, int64_t tcp_timeout_ns,
                     int64_t udp_timeout_ns, flow_done_cb done, void *ctx);

/*
 * Account one decoded packet; returns its flow (valid until the next call)
 * and sets *from_orig to whether the originator sent it.  Flows that ended
 * are passed to the callback first.
 */
struct flow *flow_table_packet(struct flow_table *t, const struct pkt_meta *m, int64_t ts,
                               uint32_t wirelen, int *from_orig);

/*
 * The same in two steps, for a batched loop: flow_table_prepare() builds the
 * key and hash and prefetches the index slot; flow_table_packet_prepared()
 * then accounts the packet (in packet order).
 */
struct flow_prep {
    struct flow_key k;
    uint8_t side;      /* key side of the packet's source */
    uint8_t has_ports; /* the rest of the packet the table needs (the */
    uint8_t tcp_flags; /* protocol is k.proto; its ports k.port[side] and */
    uint8_t data;      /* k.port[!side]); data: a TCP segment with data, */
};                     /* PSH set or payload captured (flow_tcp_resumes) */
/* 44 bytes and 2-byte aligned, without the hash: a pipeline's batch carries
 * a packet in one 64-byte line (pipeline.c, struct fev), and its flow stage,
 * which hashes, keeps the hashes to itself rather than write them into
 * lines the reading stage fills again. */
_Static_assert(sizeof(struct flow_prep) == 44, "flow_prep packs into a batch's line");
/* The key, its hash for t, and the index slot's prefetch. */
uint64_t flow_table_prepare(const struct flow_table *t, const struct pkt_meta *m,
                            struct flow_prep *fp);
/* The pure part of flow_table_prepare (key and hash for a table seeded with
 * seed; touches no table, so another thread may run it), and the prefetch. */
uint64_t flow_prep_make(uint64_t seed, const struct pkt_meta *m, struct flow_prep *fp);
/* The same in two steps: the key (any thread), then its hash for t.  The
 * flow pipeline (loop_flows) hashes on its flow stage, in the default mode
 * the lighter one: two threads, the reading stage's CPU a tenth lower and
 * the flow stage's waits halved (perf, 10 M bench file). */
void flow_prep_key(const struct pkt_meta *m, struct flow_prep *fp);
/* flow_prep_key() of the frame decode_eth_ip4() decoded to f, without its
 * pkt_meta: the default mode's reading stage builds most keys from the
 * frame's fields (pipeline.c, flows_fill), byte for byte the key
 * flow_prep_key() makes of decode_ip4_meta(f) (test_flow holds it to that).
 * Inline: the meta's memset and copy, the calls, and the key's reads back
 * of the meta were 53 of the 271 instructions a packet the reading stage
 * spent (callgrind, 10 M bench file). */
static inline void flow_prep_key_ip4(const struct dec_ip4 *f, struct flow_prep *fp)
{
    uint32_t s, d;
    memcpy(&s, f->src, 4);
    memcpy(&d, f->dst, 4);
    /* src_first() on IPv4: the addresses in memcmp order, then the ports */
    uint32_t sb = (uint32_t)f->src[0] << 24 | (uint32_t)f->src[1] << 16 | (uint32_t)f->src[2] << 8 |
                  f->src[3];
    uint32_t db = (uint32_t)f->dst[0] << 24 | (uint32_t)f->dst[1] << 16 | (uint32_t)f->dst[2] << 8 |
                  f->dst[3];
    int first = sb != db ? sb < db : f->sport <= f->dport;
    uint16_t p0 = first ? f->sport : f->dport, p1 = first ? f->dport : f->sport;
#if HASH40_WORD_KEYS
    uint64_t w[5] = {(uint64_t)4 | (uint64_t)f->proto << 8 | (uint64_t)p0 << 32 |
                         (uint64_t)p1 << 48,
                     first ? s : d, 0, first ? d : s, 0};
    hash40_store(&fp->k, w);
#else
    memset(&fp->k, 0, sizeof(fp->k));
    fp->k.family = 4;
    fp->k.proto = f->proto;
    fp->k.port[0] = p0;
    fp->k.port[1] = p1;
    memcpy(fp->k.addr[0], first ? f->src : f->dst, 4);
    memcpy(fp->k.addr[1], first ? f->dst : f->src, 4);
#endif
    fp->side = first ? 0 : 1;
    fp->has_ports = 1;
    fp->tcp_flags = f->tcp_flags;
    fp->data = f->proto == 6 && ((f->tcp_flags & 0x08) || f->payload_len > 0);
}
static inline uint64_t flow_prep_hash(const struct flow_table *t, const struct flow_prep *fp)
{
    return hash40(&fp->k, t->seed);
}
PREFETCH_FN void flow_table_prefetch(const struct flow_table *t, uint64_t h)
{
    __builtin_prefetch(&t->slot[(size_t)(h >> 32) & t->mask]);
}

/*
 * Second step, some packets after flow_table_prefetch() (its slot has
 * arrived): prefetch both lines of the flow the slot with the packet's tag
 * points at, following the probe chain as lookup() will (at the index's
 * load, up to 1/2, about a fifth of the flows sit past their home slot).
 * A batched loop issues the two steps a fixed number of packets ahead of
 * the packet it accounts (pipeline/pipeline.c, consume_batch), so a bounded number of
 * misses is in flight while it works.  History, default mode's packet
 * loop, 10 M file, one thread: a pass of real loads over the whole batch
 * after a pass of slot prefetches (3.10 s against 3.38 with no such pass,
 * session 2; a pass of prefetches bought nothing then); the loads pass
 * following the probe chain, 1.415 to 1.165 s; this lagged prefetch in
 * place of both passes, 1.43 to 0.97-1.07 s (6 alternated runs each).
 */
PREFETCH_FN void flow_table_prefetch_flow(const struct flow_table *t, uint64_t h)
{
    uint32_t tag = (uint32_t)(h >> 32);
    size_t s = (size_t)tag & t->mask;
    uint64_t v;
    while ((v = t->slot[s]) && (uint32_t)(v >> 32) != tag)
        s = (s + 1) & t->mask;
    if (v) {
        const char *f = (const char *)&t->f[(uint32_t)v - 1];
        __builtin_prefetch(f);
        __builtin_prefetch(f + 64);
    }
}

/* The flow with key k and hash h, or FLOW_NONE with *slot the free index
 * slot where it would go. */
static inline uint32_t flow_table_find(const struct flow_table *t, const struct flow_key *k,
                                       uint64_t h, size_t *slot)
{
    uint32_t tag = (uint32_t)(h >> 32);
    size_t s = (size_t)tag & t->mask;
    for (;; s = (s + 1) & t->mask) {
        uint64_t v = t->slot[s];
        if (!v)
            break;
        if ((uint32_t)(v >> 32) == tag && hash40_eq(&t->f[(uint32_t)v - 1].key, k))
            return (uint32_t)v - 1;
    }
    *slot = s;
    return FLOW_NONE;
}

/* How long a flow on expiry queue list may stay silent. */
static inline int64_t flow_table_timeout(const struct flow_table *t, uint8_t list)
{
    return list == FLOW_LIST_TCP      ? t->tcp_timeout
           : list == FLOW_LIST_CLOSED ? FLOW_LINGER_NS
                                      : t->udp_timeout;
}

/* flow_table_packet_prepared's rare steps, out of line: end the flows
 * that timed out; open the packet's flow (i: the flow found, to be ended
 * first because it went stale or a SYN reopens it, or FLOW_NONE with slot
 * from flow_table_find) and return its index; move a flow that just closed
 * to its queue. */
void flow_table_expire(struct flow_table *t);
uint32_t flow_table_open(struct flow_table *t, const struct flow_prep *fp, uint64_t h, int64_t ts,
                         uint32_t i, size_t slot, int syn, int ack);
void flow_table_closed(struct flow_table *t, uint32_t i);

/* A packet out of line with the clock (FLOW_CLOCK_CONFIRM): the clock moved
 * to it when enough in a row were, on one side. */
void flow_table_clock_off_line(struct flow_table *t, int64_t ts);

static inline void flow_table_clock(struct flow_table *t, int64_t ts)
{
    if (ts >= t->now) {
        if ((uint64_t)ts - (uint64_t)t->now > (uint64_t)t->jump) {
            flow_table_clock_off_line(t, ts);
            return;
        }
        t->now = ts;
    } else if ((uint64_t)t->now - (uint64_t)ts > (uint64_t)t->jump) {
        flow_table_clock_off_line(t, ts);
        return;
    }
    if (t->off_line) { /* back in line: those were stray */
        t->stray += t->off_line;
        t->off_line = 0;
    }
}

/*
 * The clock moved to ts by what is no packet of the flows (a DNS answer
 * about to map an address: the flows idle since before it end first, named
 * as they were), when ts is ahead of the clock and in line; no stray count
 * or span, which are the packets'.  With --filter leaving DNS out, its
 * answers came with no packet to move the clock: a connection 20 s before
 * an answer, ended only later, had taken the new name.
 */
static inline void flow_table_tick(struct flow_table *t, int64_t ts)
{
    if (t->off_line || ts <= t->now || (uint64_t)ts - (uint64_t)t->now > (uint64_t)t->jump)
        return;
    t->now = ts;
    if (t->now > t->expire_at)
        flow_table_expire(t);
}

/* Whether a and b are more than d apart. */
static inline int flow_gap_over_ns(int64_t a, int64_t b, int64_t d)
{
    return (a > b ? (uint64_t)a - (uint64_t)b : (uint64_t)b - (uint64_t)a) > (uint64_t)d;
}

/* Whether an event at ts (a connection's start, an exchange's) lies within
 * FLOW_STRAY_NS of the span of the packets in line so far; if not, it is
 * counted in stray_events.  A flow or exchange opened by a stray timestamp
 * (a SYN stamped 2100 or 1970 among a beacon's connections) begins out
 * there: its packets count, but it adds no event, which had put an interval
 * of decades in its group's series (score 1.000 to 0.001).  A flow ends at
 * or after its start, and the flow stage ends flows as it goes, so "so far"
 * covers every start in line. */
static inline int flow_table_event_in_line(struct flow_table *t, int64_t ts)
{
    if (t->in_first > t->in_last ||
        ((ts >= t->in_first || !flow_gap_over_ns(ts, t->in_first, FLOW_STRAY_NS)) &&
         (ts <= t->in_last || !flow_gap_over_ns(ts, t->in_last, FLOW_STRAY_NS))))
        return 1;
    t->stray_events++;
    return 0;
}

/* Whether a packet at ts starts a new flow in place of f: more than to
 * after its last packet (it timed out), or more than the clock's bound
 * before it (a clock stepped back), unless that last packet is itself
 * ahead of the clock. */
static inline int flow_gap_over(const struct flow_table *t, int64_t ts, const struct flow *f,
                                int64_t to)
{
    if (ts >= f->last)
        return (uint64_t)ts - (uint64_t)f->last > (uint64_t)to;
    /* behind: by more than the clock's own bound (a UDP packet 2 minutes
     * late is reordering, not a step back) */
    return f->last <= t->now && (uint64_t)f->last - (uint64_t)ts > (uint64_t)t->jump;
}

/* Whether a TCP packet after a silence starts an exchange of f: only the
 * originator's (from_orig), for a check-in is the client speaking again; a
 * reply or a push the responder held back is part of the client's
 * exchange (an Emotet C2 answering one check-in after 4 s had split it in
 * two); only in a connection established (the responder answered: never a
 * SYN retried, 1, 3, 7 s apart), not closed nor a closed one's tail; and
 * not with a FIN or RST (closing a connection left idle, as browsers and
 * servers do after 5 to 300 s, is no check-in: a keep-alive timeout would
 * have added an event at a fixed offset after every connection), nor with
 * a SYN: a SYN retried is no check-in even when the responder's SYN/ACKs
 * are in the capture (they never reached the client: a host firewall
 * behind the capture; or the responder's challenge ACKs), which had made
 * a blocked connection three events, at 0, 7 and 15 s.  And only with
 * data (PSH, or payload captured), once the exchange in progress holds the
 * originator's data: a bare ACK (an OS keepalive probe, a window update)
 * is no check-in, and a request sent 2 s or more after the handshake is
 * the same check-in as the handshake (it had been two events, and under
 * --group host the handshake's went to a group of its own, the request's
 * Host or SNI not seen yet). */
static inline int flow_tcp_resumes(const struct flow *f, int from_orig, uint8_t tcp_flags, int data)
{
    return from_orig && data && f->ex_data && (f->hist & FH_DATA_R) && !f->closed && !f->tail &&
           !(tcp_flags & 0x07);
}

/* The start of the exchange in progress.  A TCP connection's first
 * exchange starts with the connection (f->start: a packet reordered before
 * its first moves it). */
static inline int64_t flow_exchange_start(const struct flow *f)
{
    return f->key.proto == 6 && !f->ex_next ? f->start : f->ex_start;
}

/* The exchange in progress ends, the next starts at ts. */
static inline void flow_exchange_next(struct flow_table *t, struct flow *f, int64_t ts)
{
    if (t->exchange)
        t->exchange(t->ctx, f, flow_exchange_start(f), f->ex_bytes, f->ex_resp);
    f->ex_start = ts;
    f->ex_bytes = f->ex_resp = 0;
    f->ex_next = 1;
    f->ex_data = 0; /* the packet starting it sets it again */
}

/* Inline, with its rare steps out of line: as a call into flow.c its frame,
 * the key's copy and the call to the lookup were about 35 of the flow
 * stage's 330 instructions a packet (callgrind). */
static inline struct flow *flow_table_packet_prepared(struct flow_table *t,
                                                      const struct flow_prep *fp, uint64_t h,
                                                      int64_t ts, uint32_t wirelen, int *from_orig)
{
    flow_table_clock(t, ts);
    int far = t->off_line && flow_gap_over_ns(ts, t->now, FLOW_STRAY_NS);
    if (!t->off_line) { /* the span, without the packets out of line */
        if (ts < t->in_first)
            t->in_first = ts;
        if (ts > t->in_last)
            t->in_last = ts;
        if (!t->settled && ++t->seg_n >= FLOW_CLOCK_CONFIRM)
            t->settled = 1;
    }
    /* not while packets are out of line: the flows they open would look
     * silent for as long as they are away from the clock */
    if (t->now > t->expire_at && !t->off_line)
        flow_table_expire(t);
    size_t slot = 0;
    uint32_t i = flow_table_find(t, &fp->k, h, &slot);
    /* a stray in an open flow: counted in it, its time ignored */
    int keep_time = far && i != FLOW_NONE;
    int is_tcp = fp->k.proto == 6;
    int syn = is_tcp && fp->has_ports && (fp->tcp_flags & 0x02);
    int ack = is_tcp && (fp->tcp_flags & 0x10);
    /* A new SYN on a closed connection, or on a tail (the end of a closed
     * one), starts a new one; so does any packet after the flow timed out
     * but before it was swept, or as long before its last packet (a clock
     * stepped back). */
    if (i == FLOW_NONE ||
        (!keep_time && (((t->f[i].closed || t->f[i].tail) && syn && !ack) ||
                        flow_gap_over(t, ts, &t->f[i], flow_table_timeout(t, t->f[i].list)))))
        i = flow_table_open(t, fp, h, ts, i, slot, syn, ack);
    struct flow *f = &t->f[i];
    int o = fp->side == f->orig;
    *from_orig = o;
    int role = o ? 0 : 1;
    if (!keep_time && ts > f->last && (uint64_t)ts - (uint64_t)f->last >= FLOW_EXCHANGE_GAP_NS &&
        (!is_tcp || flow_tcp_resumes(f, o, fp->tcp_flags, fp->data)))
        flow_exchange_next(t, f, ts);
    if (o && fp->data)
        f->ex_data = 1;
    uint32_t *exb = o ? &f->ex_bytes : &f->ex_resp;
    *exb = *exb > UINT32_MAX - wirelen ? UINT32_MAX : *exb + wirelen;
    f->pkts[role]++;
    f->bytes[role] += wirelen;
    if (!keep_time) {
        if (ts > f->last)
            f->last = ts;
        if (ts < f->start)
            f->start = ts;
    }
    f->hist |= o ? FH_DATA_O : FH_DATA_R;
    if (is_tcp) {
        uint8_t fl = fp->tcp_flags;
        if ((fl & 0x02) && !(fl & 0x10) && o)
            f->hist |= FH_SYN_O;
        if ((fl & 0x02) && (fl & 0x10) && !o)
            f->hist |= FH_SYNACK_R;
        if (fl & 0x01)
            f->hist |= o ? FH_FIN_O : FH_FIN_R;
        if (fl & 0x04)
            f->hist |= o ? FH_RST_O : FH_RST_R;
        if (!f->closed &&
            ((f->hist & (FH_RST_O | FH_RST_R)) || ((f->hist & FH_FIN_O) && (f->hist & FH_FIN_R)))) {
            f->closed = 1;
            flow_table_closed(t, i);
        }
    }
    return f;
}

/* End every flow (end of input), in the order they were last active. */
void flow_table_flush(struct flow_table *t);

void flow_table_release(struct flow_table *t);

#endif

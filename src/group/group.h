/*
 * group.h - the table of groups (one time series per group).
 *
 * A group key is built canonically from a decoded packet: unused fields are
 * zero, so two packets of the same group always produce identical bytes and
 * can be hashed and compared as 40 raw bytes.  The hash is seeded (random
 * per run) so crafted traffic cannot aim at one bucket; output never
 * depends on hash order because results are sorted before printing.
 *
 * The table owns its groups and their series; group_table_release() frees
 * everything.  Groups live in one dense array (cheap to iterate and sort);
 * an open-addressing index (struct group_slot) finds them.
 */
#ifndef PCTS_GROUP_H
#define PCTS_GROUP_H

#include "../decode/decode.h"
#include "../flow/flow.h"
#include "../stats/series.h"
#include "../util/hash40.h"
#include "../util/prefetch.h"
#include "../util/xalloc.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum group_by {
    GROUP_IP,      /* source -> destination IP (packets), originator -> responder (flows) */
    GROUP_PORT,    /* + protocol and destination port, directed packets */
    GROUP_SERVICE, /* originator -> responder IP, protocol, responder port; both directions */
    GROUP_HOST,    /* originator -> responder NAME (else IP), protocol, responder port */
    GROUP_DNS,     /* client -> registered domain of its DNS queries */
};

/* What a group's events are (--series): its flows' starts and exchanges,
 * or its packets. */
enum series_kind { SERIES_FLOWS, SERIES_PACKETS };

struct group_key {
    uint8_t family;   /* 4 or 6 */
    uint8_t proto;    /* GROUP_PORT only */
    uint8_t has_port; /* GROUP_PORT and the protocol has ports */
    uint8_t dst_name; /* dst holds a name id (GROUP_HOST, GROUP_DNS), not an address */
    uint16_t dport;
    uint16_t pad2;
    uint8_t src[16];
    uint8_t dst[16];
};

_Static_assert(sizeof(struct group_key) == 40, "group key is hashed as 5 words");

struct group {
    struct group_key key;
    uint64_t bytes;   /* wire bytes of all its packets */
    struct series s;  /* events: packets or flow starts */
    uint64_t packets; /* packets, both directions */
    uint64_t flows;   /* flows that contributed (flow modes) */
    uint64_t failed;  /* of those, failed TCP attempts */
    uint32_t host;    /* name of the destination (nametab id), 0 unknown */
    union {
        uint32_t dns_subdomains; /* GROUP_DNS: distinct query names seen (capped) */
        uint32_t host_weak;      /* GROUP_HOST: flows named by an SNI/Host no DNS answer gave
                                    their responder (allow.h: not a confirmed name) */
    };
    union {
        struct { /* GROUP_DNS: of the subdomain parts */
            double dns_label_sum, dns_entropy_sum;
        };
        /* the other groupings, in the flow loops: the DNS queries its flows
         * carried, the registered domain most of them asked for with its
         * count, and the distinct domains counted (qdom.h; 0, 0 and 0 when
         * none) */
        struct {
            uint32_t dns_queries, dns_top, dns_top_queries, dns_domains;
        };
    };
};

/* Output and the report find a group from its key: the key comes first. */
_Static_assert(offsetof(struct group, key) == 0, "struct group starts with its key");

/*
 * The index: open addressing, probed linearly from the hash's high 32 bits,
 * kept at most half full.  A slot holds the key itself when it has a
 * compact form (below): a lookup then compares in the slot it probes, one
 * cache line a packet, where a slot of (tag, position) sent it to a second
 * array for the comparison, a second dependent miss (the loads of that
 * comparison were 70% of the lookup's samples, and skipping it, as an
 * experiment, took 12% off the packet series' loop).  Other keys (IPv6
 * addresses past their first 4 bytes) hold their 64-bit hash and are
 * compared in the group.
 */
struct group_slot {
    uint64_t k1;   /* compact: source and destination halves; else the hash */
    uint32_t k0;   /* compact: family, protocol, port and flags packed; else GROUP_SLOT_FULL */
    uint32_t idx1; /* the group's position + 1; 0 = empty */
};
_Static_assert(sizeof(struct group_slot) == 16, "four slots a cache line");
#define GROUP_SLOT_FULL 0x80000000u /* no packed first word has this bit */

struct group_table {
    struct group *g; /* gres.p: grows in place (xalloc.h), room for max_groups */
    size_t n, cap;
    struct xres gres;
    struct group_slot *slot; /* mask + 1 of them, 64-byte aligned */
    uint32_t *tag;           /* per slot, the hash's high 32 bits: where growth re-probes from */
    size_t mask;
    uint64_t seed;
    enum group_by by;
    size_t max_groups; /* 0: unlimited */
    uint64_t refused;  /* lookups that would have created a group past the limit */
};

#define GROUP_NONE ((size_t)-1)

/* A compact key's first word packed into 32 bits (fam: 1 for family 4, 2
 * for 6; the flags 0 or 1); group_key_expand() undoes it. */
static inline uint32_t group_k0_pack(uint32_t fam, uint8_t proto, uint16_t dport, uint32_t has_port,
                                     uint32_t dst_name)
{
    return (uint32_t)dport | (uint32_t)proto << 16 | fam << 24 | has_port << 26 | dst_name << 27;
}

/*
 * A key whose addresses fit in their first 4 bytes (IPv4, or a name id in
 * dst) is all in 12 bytes: its first word (family 4 or 6, protocol, port,
 * the two flags) packed into 32 bits, and the two 4-byte halves.  Returns 0
 * when k has no compact form.
 */
static inline int group_key_compact(const struct group_key *k, uint32_t *k0, uint64_t *k1)
{
    uint64_t hi_s, hi_d;
    uint32_t s4, d4, s4b, d4b;
    memcpy(&s4, k->src, 4);
    memcpy(&s4b, k->src + 4, 4);
    memcpy(&hi_s, k->src + 8, 8);
    memcpy(&d4, k->dst, 4);
    memcpy(&d4b, k->dst + 4, 4);
    memcpy(&hi_d, k->dst + 8, 8);
    uint32_t fam = k->family == 4 ? 1 : k->family == 6 ? 2 : 0;
    if ((s4b | d4b) || (hi_s | hi_d) || !fam || k->has_port > 1 || k->dst_name > 1 || k->pad2)
        return 0;
    *k0 = group_k0_pack(fam, k->proto, k->dport, k->has_port, k->dst_name);
    *k1 = (uint64_t)s4 | (uint64_t)d4 << 32;
    return 1;
}

void group_table_init(struct group_table *t, enum group_by by, uint64_t seed);
void group_table_release(struct group_table *t);

/* Fill a key from a decoded packet for the table's grouping (GROUP_IP or
 * GROUP_PORT: the packet's own direction). */
void group_key_make(enum group_by by, const struct pkt_meta *m, struct group_key *k);

/* The same, returning its hash in table t (group_table_hash()); builds the
 * key in 8-byte words (hash40.h), which the hash's reads forward from. */
uint64_t group_key_make_hash(const struct group_table *t, enum group_by by,
                             const struct pkt_meta *m, struct group_key *k);

/* Fill a key from a flow: originator -> responder (GROUP_IP), plus protocol
 * and responder port (GROUP_PORT, GROUP_SERVICE). */
void group_key_from_flow(enum group_by by, const struct flow *f, struct group_key *k);

/* GROUP_HOST: like GROUP_SERVICE but the responder is named when a name is
 * known (name id != 0). */
void group_key_set_name(struct group_key *k, uint32_t name);

/* The group for key k, created empty if new; NULL when it is new and the
 * table already holds max_groups groups (counted in t->refused). */
struct group *group_table_get(struct group_table *t, const struct group_key *k);

/*
 * The same in three steps, for a batched loop that overlaps the cache
 * misses of several packets: hash, prefetch the index slot, then look up
 * (returns the group's position in t->g, which stays valid while t->g
 * itself may move when groups are added).
 */
uint64_t group_table_hash(const struct group_table *t, const struct group_key *k);
PREFETCH_FN void group_table_prefetch(const struct group_table *t, uint64_t h)
{
    __builtin_prefetch(&t->slot[(size_t)(h >> 32) & t->mask]);
}
size_t group_table_lookup(struct group_table *t, const struct group_key *k, uint64_t h);
/* (returns GROUP_NONE instead of creating a group past max_groups) */

/*
 * The packet series' fast path: a key's compact form (group_key_compact)
 * and its hash straight from a decoded packet, without the 40-byte key;
 * 0 when the key has none (then group_key_make_hash()).  The hash of a
 * key with a compact form is that form's (group_compact_hash), so it
 * equals group_table_hash() of the full key.
 */
static inline uint64_t group_compact_hash(uint32_t k0, uint64_t k1, uint64_t seed)
{
    return hash40_mix(hash40_mix(k1 ^ seed ^ 0xa0761d6478bd642full, k0 ^ 0xe7037ed1a0b428dbull),
                      0x1d8e4e27c47d124full ^ seed);
}
/* The compact key (and its hash) of an IPv4 packet from src to dst, as
 * group_key_make() would make it for grouping by: protocol and port with
 * GROUP_PORT only (has_ports: dport is valid). */
static inline void group_key_compact_ip4(const struct group_table *t, enum group_by by,
                                         const uint8_t src[4], const uint8_t dst[4], uint8_t proto,
                                         int has_ports, uint16_t dport, uint32_t *k0, uint64_t *k1,
                                         uint64_t *h)
{
    uint32_t s4, d4;
    memcpy(&s4, src, 4);
    memcpy(&d4, dst, 4);
    int port = by == GROUP_PORT && has_ports;
    uint32_t c0 =
        group_k0_pack(1, by == GROUP_PORT ? proto : 0, port ? dport : 0, (uint32_t)port, 0);
    *k0 = c0;
    *k1 = (uint64_t)s4 | (uint64_t)d4 << 32;
    *h = group_compact_hash(c0, *k1, t->seed);
}

/* (Inline, as is the hit path of group_table_lookup_compact(): as calls
 * they were 51 instructions of a packet's 340 in the packet series'
 * reading stage, callgrind.) */
static inline int group_key_make_compact(const struct group_table *t, enum group_by by,
                                         const struct pkt_meta *m, uint32_t *k0, uint64_t *k1,
                                         uint64_t *h)
{
    uint64_t s0 = hash40_rd64(m->src), d0 = hash40_rd64(m->dst);
    if (m->family != 4 ||
        (s0 >> 32) | (d0 >> 32) | hash40_rd64(m->src + 8) | hash40_rd64(m->dst + 8))
        return 0;
    group_key_compact_ip4(t, by, m->src, m->dst, m->proto, m->has_ports, m->dport, k0, k1, h);
    return 1;
}
/* The compact key (and its hash) of flow f's group under by (not
 * GROUP_HOST, whose names may change), exactly group_key_from_flow()'s key
 * in compact form; 0 when it has none (not IPv4).  (A flow's end looked
 * its group up three times, each building the 40-byte key and hashing
 * it: a sixth of the flows' ends in the 1 M-group bench file, callgrind.) */
static inline int group_key_compact_flow(const struct group_table *t, enum group_by by,
                                         const struct flow *f, uint32_t *k0, uint64_t *k1,
                                         uint64_t *h)
{
    const uint8_t *src = f->key.addr[f->orig], *dst = f->key.addr[!f->orig];
    if (f->key.family != 4 || hash40_rd64(src + 8) | hash40_rd64(dst + 8) ||
        (hash40_rd64(src) >> 32) | (hash40_rd64(dst) >> 32))
        return 0;
    /* a packet's key with its protocol and port (GROUP_PORT's form) is a
     * flow's responder service: the port only for protocols with ports */
    uint8_t p = f->key.proto;
    int port = (p == 6 || p == 17 || p == 132 || p == 136) && !f->noports;
    group_key_compact_ip4(t, by == GROUP_IP ? GROUP_IP : GROUP_PORT, src, dst, p, port,
                          f->key.port[!f->orig], k0, k1, h);
    return 1;
}

/* The full key of a compact form. */
void group_key_expand(uint32_t k0, uint64_t k1, struct group_key *k);
/* group_table_lookup_compact()'s miss: create the group at the empty slot
 * the probe ended on (GROUP_NONE past max_groups). */
size_t group_table_insert_compact(struct group_table *t, size_t slot, uint32_t k0, uint64_t k1,
                                  uint64_t h);
/* group_table_lookup() of the key whose compact form is (k0, k1). */
static inline size_t group_table_lookup_compact(struct group_table *t, uint32_t k0, uint64_t k1,
                                                uint64_t h)
{
    size_t i = (size_t)(h >> 32) & t->mask;
    for (;; i = (i + 1) & t->mask) {
        const struct group_slot *s = &t->slot[i];
        if (!s->idx1)
            return group_table_insert_compact(t, i, k0, k1, h);
        if (s->k0 == k0 && s->k1 == k1)
            return s->idx1 - 1;
    }
}

/* The group in the slot a lookup of key k (hash h) probes first, or
 * GROUP_NONE (a new key, or one further along its probe): once that slot
 * has arrived (group_table_prefetch), the group a lookup is about to find,
 * to prefetch it.  The slot compares as in the lookups: the compact form
 * in the slot, else the hash. */
static inline size_t group_table_first_probe(const struct group_table *t, const struct group_key *k,
                                             uint64_t h)
{
    const struct group_slot *s = &t->slot[(size_t)(h >> 32) & t->mask];
    uint32_t k0;
    uint64_t k1;
    if (!s->idx1)
        return GROUP_NONE;
    int match = group_key_compact(k, &k0, &k1) ? s->k0 == k0 && s->k1 == k1
                                               : s->k0 == GROUP_SLOT_FULL && s->k1 == h;
    return match ? s->idx1 - 1 : GROUP_NONE;
}

/* The same for a key in its compact form (k0, k1; hash h). */
static inline size_t group_table_first_probe_compact(const struct group_table *t, uint32_t k0,
                                                     uint64_t k1, uint64_t h)
{
    const struct group_slot *s = &t->slot[(size_t)(h >> 32) & t->mask];
    return s->idx1 && s->k0 == k0 && s->k1 == k1 ? s->idx1 - 1 : GROUP_NONE;
}

/*
 * Prefetch the group at position idx (< t->n).  What a packet touches is
 * its first 128 bytes (key, counters, series head with its streaming state
 * pointer at +104 and the packet count at +112); groups are 160 bytes, so
 * half of them start mid-line and those bytes span three lines.  g + 127 is
 * the third for those, a line already asked for otherwise.  (The streaming
 * regime, which reads s.st at once, ran 9% faster with it; exact lists
 * unchanged, 12 alternated runs.)
 */
PREFETCH_FN void group_table_prefetch_index(const struct group_table *t, size_t idx)
{
    const char *g = (const char *)&t->g[idx];
    __builtin_prefetch(g);
    __builtin_prefetch(g + 64);
    __builtin_prefetch(g + 127);
}

/* Prefetch what looking up a key with hash h will compare beyond its slot
 * (second step): nothing for a compact key (compact: nonzero when the
 * caller looks it up in its compact form), else the group the slot most
 * likely points at. */
PREFETCH_FN void group_table_prefetch_group(const struct group_table *t, uint64_t h, int compact)
{
    if (compact)
        return;
    const struct group_slot *s = &t->slot[(size_t)(h >> 32) & t->mask];
    if (s->idx1 && s->k0 == GROUP_SLOT_FULL && s->k1 == h)
        group_table_prefetch_index(t, s->idx1 - 1);
}

#endif

/*
 * group.c - see group.h.
 */
#include "group.h"

#include "../util/hash40.h"
#include "../util/xalloc.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

void group_table_init(struct group_table *t, enum group_by by, uint64_t seed)
{
    memset(t, 0, sizeof(*t));
    t->by = by;
    t->seed = seed;
    t->mask = 1023;
    t->slot = xaligned_alloc(64, (t->mask + 1) * sizeof(*t->slot));
    memset(t->slot, 0, (t->mask + 1) * sizeof(*t->slot));
    t->tag = xmalloc((t->mask + 1) * sizeof(*t->tag));
}

void group_table_release(struct group_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        series_release(&t->g[i].s);
    xres_free(&t->gres);
    free(t->slot);
    free(t->tag);
    memset(t, 0, sizeof(*t));
}

void group_key_make(enum group_by by, const struct pkt_meta *m, struct group_key *k)
{
    memset(k, 0, sizeof(*k));
    k->family = m->family;
    memcpy(k->src, m->src, 16);
    memcpy(k->dst, m->dst, 16);
    if (by == GROUP_PORT) {
        k->proto = m->proto;
        if (m->has_ports) {
            k->has_port = 1;
            k->dport = m->dport;
        }
    }
}

static inline uint64_t key_hash(const struct group_key *k, uint64_t seed)
{
    _Static_assert(sizeof(*k) == 40, "hash40() reads exactly 40 bytes");
    uint32_t k0;
    uint64_t k1;
    if (group_key_compact(k, &k0, &k1))
        return group_compact_hash(k0, k1, seed);
    return hash40(k, seed);
}

void group_key_expand(uint32_t k0, uint64_t k1, struct group_key *k)
{
    memset(k, 0, sizeof(*k));
    k->family = (k0 >> 24 & 3) == 1 ? 4 : 6;
    k->proto = (uint8_t)(k0 >> 16);
    k->dport = (uint16_t)k0;
    k->has_port = k0 >> 26 & 1;
    k->dst_name = k0 >> 27 & 1;
    uint32_t s4 = (uint32_t)k1, d4 = (uint32_t)(k1 >> 32);
    memcpy(k->src, &s4, 4);
    memcpy(k->dst, &d4, 4);
}

uint64_t group_key_make_hash(const struct group_table *t, enum group_by by,
                             const struct pkt_meta *m, struct group_key *k)
{
#if HASH40_WORD_KEYS
    /* group_key_make() as five words (hash40.h) */
    _Static_assert(offsetof(struct group_key, dport) == 4 && offsetof(struct group_key, src) == 8,
                   "group key words");
    uint64_t w0 = m->family;
    if (by == GROUP_PORT) {
        w0 |= (uint64_t)m->proto << 8;
        if (m->has_ports)
            w0 |= (uint64_t)1 << 16 | (uint64_t)m->dport << 32;
    }
    uint64_t w[5] = {w0, hash40_rd64(m->src), hash40_rd64(m->src + 8), hash40_rd64(m->dst),
                     hash40_rd64(m->dst + 8)};
    hash40_store(k, w);
    return key_hash(k, t->seed);
#else
    group_key_make(by, m, k);
    return key_hash(k, t->seed);
#endif
}

void group_key_from_flow(enum group_by by, const struct flow *f, struct group_key *k)
{
    memset(k, 0, sizeof(*k));
    k->family = f->key.family;
    memcpy(k->src, f->key.addr[f->orig], 16);
    memcpy(k->dst, f->key.addr[!f->orig], 16);
    if (by != GROUP_IP) {
        k->proto = f->key.proto;
        /* responder port for protocols with ports (ICMP ids/types are not) */
        uint8_t p = f->key.proto;
        if ((p == 6 || p == 17 || p == 132 || p == 136) && !f->noports) {
            k->has_port = 1;
            k->dport = f->key.port[!f->orig];
        }
    }
}

void group_key_set_name(struct group_key *k, uint32_t name)
{
    if (!name)
        return;
    memset(k->dst, 0, sizeof(k->dst));
    memcpy(k->dst, &name, sizeof(name));
    k->dst_name = 1;
}

uint64_t group_table_hash(const struct group_table *t, const struct group_key *k)
{
    return key_hash(k, t->seed);
}

struct group *group_table_get(struct group_table *t, const struct group_key *k)
{
    /* The lookup may move t->g: read it only after the call. */
    size_t idx = group_table_lookup(t, k, key_hash(k, t->seed));
    return idx == GROUP_NONE ? NULL : &t->g[idx];
}

/* Double the index, re-probing every entry from its tag. */
static void index_grow(struct group_table *t)
{
    size_t mask = st_add(st_mult(t->mask, 2), 1), slots = st_add(mask, 1);
    struct group_slot *slot = xaligned_alloc(64, st_mult(slots, sizeof(*slot)));
    uint32_t *tag = xmalloc(st_mult(slots, sizeof(*tag)));
    memset(slot, 0, slots * sizeof(*slot));
    for (size_t i = 0; i <= t->mask; i++) {
        if (!t->slot[i].idx1)
            continue;
        size_t j = (size_t)t->tag[i] & mask;
        while (slot[j].idx1)
            j = (j + 1) & mask;
        slot[j] = t->slot[i];
        tag[j] = t->tag[i];
    }
    free(t->slot);
    free(t->tag);
    t->slot = slot;
    t->tag = tag;
    t->mask = mask;
}

/* Room for one more group, x1.5, within max_groups: the array is reserved
 * for max_groups at the first growth and grows in place (xalloc.h: on 1 M
 * services the copies had touched 630 MB for a final 144 MB).  On the heap
 * it may still move: nothing keeps a pointer into it across an insert. */
static void grow_groups(struct group_table *t)
{
    if (!t->g) /* malloc's alignment on the heap, as ALLOC_GROW gave it */
        xres_init(&t->gres,
                  t->max_groups && t->max_groups <= SIZE_MAX / sizeof(*t->g)
                      ? t->max_groups * sizeof(*t->g)
                      : 0,
                  16);
    size_t nc = t->cap < 16 ? 16 : st_add(t->cap, t->cap / 2);
    if (t->max_groups && nc > t->max_groups)
        nc = t->max_groups > t->n ? t->max_groups : t->n + 1;
    t->g = xres_grow(&t->gres, t->n * sizeof(*t->g), st_mult(nc, sizeof(*t->g)));
    t->cap = t->gres.size / sizeof(*t->g);
}

/* A new group for key k in the empty slot i (the end of its probe). */
static size_t insert(struct group_table *t, size_t i, const struct group_key *k, uint32_t k0,
                     uint64_t k1, uint32_t tag)
{
    if ((t->max_groups && t->n >= t->max_groups) || t->n >= UINT32_MAX - 1) {
        t->refused++;
        return GROUP_NONE;
    }
    if (t->n == t->cap)
        grow_groups(t);
    struct group *g = &t->g[t->n];
    memset(g, 0, sizeof(*g));
    g->key = *k;
    series_init(&g->s);
    t->slot[i] = (struct group_slot){k1, k0, (uint32_t)(t->n + 1)};
    t->tag[i] = tag;
    size_t idx = t->n++;
    if (t->n * 2 > t->mask + 1)
        index_grow(t);
    return idx;
}

size_t group_table_insert_compact(struct group_table *t, size_t slot, uint32_t k0, uint64_t k1,
                                  uint64_t h)
{
    struct group_key k;
    group_key_expand(k0, k1, &k);
    return insert(t, slot, &k, k0, k1, (uint32_t)(h >> 32));
}

size_t group_table_lookup(struct group_table *t, const struct group_key *k, uint64_t h)
{
    uint32_t k0;
    uint64_t k1;
    if (group_key_compact(k, &k0, &k1))
        return group_table_lookup_compact(t, k0, k1, h);
    /* other keys hold their hash and compare in the group */
    size_t i = (size_t)(h >> 32) & t->mask;
    for (;; i = (i + 1) & t->mask) {
        const struct group_slot *s = &t->slot[i];
        if (!s->idx1)
            break;
        if (s->k0 == GROUP_SLOT_FULL && s->k1 == h && hash40_eq(&t->g[s->idx1 - 1].key, k))
            return s->idx1 - 1;
    }
    return insert(t, i, k, GROUP_SLOT_FULL, h, (uint32_t)(h >> 32));
}

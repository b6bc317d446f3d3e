/*
 * frag.c - see frag.h.
 */
#include "frag.h"

#include "../util/xalloc.h"

#include <stdlib.h>
#include <string.h>

void frag_cache_init(struct frag_cache *c, uint64_t seed)
{
    c->e = xcalloc(FRAG_SLOTS, sizeof(*c->e));
    c->seed = seed;
    c->lent = 0;
}

void frag_cache_release(struct frag_cache *c)
{
    free(c->e);
    c->e = NULL;
}

static size_t slot_of(const struct frag_cache *c, const struct pkt_meta *m)
{
    /* Not seeded: which datagrams share a slot decides which later
     * fragments get ports, so it must not change from run to run (the
     * table has a fixed size: a seed would protect nothing). */
    (void)c;
    uint64_t h = (uint64_t)m->frag_id << 8 | m->proto;
    for (int i = 0; i < 16; i++)
        h = (h ^ m->src[i] ^ ((uint64_t)m->dst[i] << 8)) * 0x100000001b3ull;
    h ^= h >> 29;
    return (size_t)(h % FRAG_SLOTS);
}

static int same(const struct frag_entry *e, const struct pkt_meta *m)
{
    return e->used && e->id == m->frag_id && e->proto == m->proto && e->family == m->family &&
           !memcmp(e->src, m->src, 16) && !memcmp(e->dst, m->dst, 16);
}

void frag_cache_apply(struct frag_cache *c, struct pkt_meta *m, int64_t ts)
{
    struct frag_entry *e = &c->e[slot_of(c, m)];
    if (m->frag_first) {
        if (!m->has_ports)
            return;
        memcpy(e->src, m->src, 16);
        memcpy(e->dst, m->dst, 16);
        e->id = m->frag_id;
        e->family = m->family;
        e->proto = m->proto;
        e->sport = m->sport;
        e->dport = m->dport;
        e->ts = ts;
        e->used = 1;
        return;
    }
    if (m->has_ports || !same(e, m))
        return;
    uint64_t age = ts >= e->ts ? (uint64_t)ts - (uint64_t)e->ts : (uint64_t)e->ts - (uint64_t)ts;
    if (age > (uint64_t)FRAG_TIMEOUT_NS)
        return;
    m->has_ports = 1;
    m->sport = e->sport;
    m->dport = e->dport;
    c->lent++;
}

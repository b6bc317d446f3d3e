/*
 * frag.h - give later IP fragments the ports of their first fragment.
 *
 * Only the first fragment of a datagram carries the transport header.  So
 * that every fragment counts for its service (--group port), the ports of
 * each first fragment are remembered under (addresses, protocol, fragment
 * id) and lent to later fragments of the same datagram.  The cache is a
 * fixed, direct-mapped table (FRAG_SLOTS entries): memory is constant, a
 * colliding datagram simply evicts an older one, and entries older than
 * FRAG_TIMEOUT_NS are ignored (the reassembly timeout of common stacks).
 * A later fragment that arrives before its first one, or after eviction,
 * keeps no ports, as before.
 */
#ifndef PCTS_FRAG_H
#define PCTS_FRAG_H

#include "../decode/decode.h"

#include <stdint.h>

#define FRAG_SLOTS 4096
#define FRAG_TIMEOUT_NS (60ll * 1000000000)

struct frag_entry {
    uint8_t src[16], dst[16];
    uint32_t id;
    uint8_t family, proto, used;
    uint16_t sport, dport;
    int64_t ts;
};

struct frag_cache {
    struct frag_entry *e; /* FRAG_SLOTS entries, owned */
    uint64_t seed;
    uint64_t lent; /* later fragments that got ports */
};

void frag_cache_init(struct frag_cache *c, uint64_t seed);
void frag_cache_release(struct frag_cache *c);

/* Record a first fragment, or fill in the ports of a later one. */
void frag_cache_apply(struct frag_cache *c, struct pkt_meta *m, int64_t ts);

#endif

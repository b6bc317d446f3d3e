/*
 * slotidx.h - the open-addressing index shared by the group, flow and name
 * tables: an array of 64-bit slots, each 0 (empty) or (hash tag << 32 |
 * payload), probed linearly from (tag & mask).  Tables keep their records
 * in their own arrays; the index only maps tags to positions.
 */
#ifndef PCTS_SLOTIDX_H
#define PCTS_SLOTIDX_H

#include <stddef.h>
#include <stdint.h>

/* Double the index (mask + 1 slots, a power of two), re-probing every
 * entry from its stored tag. */
void slotidx_grow(uint64_t **slots, size_t *mask);

#endif

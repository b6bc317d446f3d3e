/*
 * hashbytes.h - a seeded hash of a short byte string (names, addresses):
 * FNV-1a, then a final avalanche.  The name table's index and --group dns's
 * count of distinct names (a hash of the group and the name) share it.
 */
#ifndef PCTS_HASHBYTES_H
#define PCTS_HASHBYTES_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t hash_bytes(const void *p, size_t n, uint64_t seed)
{
    const uint8_t *b = p;
    uint64_t h = 0xcbf29ce484222325ull ^ seed;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

#endif

/*
 * hash40.h - the seeded hash of the 40-byte table keys (struct group_key,
 * struct flow_key): five little words folded with 64x64->128 multiplies
 * (wyhash's "mum"), strong and cheap.  Keys are canonical (unused bytes
 * zero), so equal keys hash equally; the seed is random per run, so
 * crafted traffic cannot aim at one bucket.  hash40_eq() compares two keys
 * in five loads each: gcc called libc's memcmp for the 40-byte compare,
 * 4.5% of the default mode's time on the bench file (perf).
 */
#ifndef PCTS_HASH40_H
#define PCTS_HASH40_H

#include <stdint.h>
#include <string.h>

static inline uint64_t hash40_rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* The 8 bytes at p as a number in memcmp order: comparing two such words
 * compares the bytes as memcmp() would (key comparisons, sorts by key). */
static inline uint64_t hash40_rd64_be(const uint8_t *p)
{
    uint64_t v = hash40_rd64(p);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline uint64_t hash40_mix(uint64_t a, uint64_t b)
{
    unsigned __int128 r = (unsigned __int128)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* The hash of the key whose five little-endian words are w (what hash40()
 * reads), for a key just built in registers. */
static inline uint64_t hash40_words(const uint64_t w[5], uint64_t seed)
{
    uint64_t h = hash40_mix(w[0] ^ seed ^ 0xa0761d6478bd642full, w[1] ^ 0xe7037ed1a0b428dbull);
    h ^= hash40_mix(w[2] ^ seed, w[3] ^ 0x8ebc6af09c88c6e3ull);
    h ^= hash40_mix(w[4] ^ 0x589965cc75374cc3ull, seed ^ 0x1d8e4e27c47d124full);
    return hash40_mix(h, 0x1d8e4e27c47d124full ^ seed);
}

static inline uint64_t hash40(const void *key, uint64_t seed)
{
    const uint8_t *p = key;
    uint64_t w[5] = {hash40_rd64(p), hash40_rd64(p + 8), hash40_rd64(p + 16), hash40_rd64(p + 24),
                     hash40_rd64(p + 32)};
    return hash40_words(w, seed);
}

/*
 * Keys built as five words and stored whole: a key written field by field
 * (bytes, 16-bit ports, 16-byte addresses) and then read back as words for
 * the hash stalls every load on store forwarding (a third of
 * flow_prep_make's time, perf).  The words are little-endian, as the
 * structs lay them out on the hosts pcts is built for.
 */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HASH40_WORD_KEYS 1
#else
#define HASH40_WORD_KEYS 0
#endif

static inline void hash40_wr64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

/* Store the five words w as the 40-byte key at dst, in five 8-byte stores:
 * memcpy(dst, w, 40), or a loop, had gcc 12 spill the words to the stack
 * and copy them in 16-byte loads, each of which stalls on forwarding from
 * two 8-byte stores (two thirds of flow_prep_make's samples, perf). */
static inline void hash40_store(void *dst, const uint64_t w[5])
{
    uint8_t *d = dst;
    hash40_wr64(d, w[0]);
    hash40_wr64(d + 8, w[1]);
    hash40_wr64(d + 16, w[2]);
    hash40_wr64(d + 24, w[3]);
    hash40_wr64(d + 32, w[4]);
}

/* Are the 40-byte keys at a and b equal? */
static inline int hash40_eq(const void *a, const void *b)
{
    const uint8_t *x = a, *y = b;
    return ((hash40_rd64(x) ^ hash40_rd64(y)) | (hash40_rd64(x + 8) ^ hash40_rd64(y + 8)) |
            (hash40_rd64(x + 16) ^ hash40_rd64(y + 16)) |
            (hash40_rd64(x + 24) ^ hash40_rd64(y + 24)) |
            (hash40_rd64(x + 32) ^ hash40_rd64(y + 32))) == 0;
}

#endif

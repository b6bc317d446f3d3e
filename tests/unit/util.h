/*
 * util.h - helpers shared by the unit tests: a growable byte builder for
 * hand-made frames and files, a fixed-seed PRNG, a corpus-mutation driver
 * for the robustness tests of the parsers, and a scratch directory.
 *
 * Everything is static inline so each test includes only what it uses
 * without unused-function warnings.  The helpers abort on allocation
 * failure: a test that cannot allocate has nothing useful to report.
 */
#ifndef PCTS_TEST_UTIL_H
#define PCTS_TEST_UTIL_H

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- byte builder ------------------------------------------------------ */

struct bb {
    uint8_t *p;
    size_t n, cap;
};

static inline void bb_reserve(struct bb *b, size_t more)
{
    if (b->n + more <= b->cap)
        return;
    size_t nc = b->cap ? b->cap * 2 : 256;
    while (nc < b->n + more)
        nc *= 2;
    uint8_t *np = realloc(b->p, nc);
    if (!np)
        abort();
    b->p = np;
    b->cap = nc;
}

static inline void bb_free(struct bb *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

static inline void bb_u8(struct bb *b, unsigned v)
{
    bb_reserve(b, 1);
    b->p[b->n++] = (uint8_t)v;
}

static inline void bb_be16(struct bb *b, unsigned v)
{
    bb_u8(b, v >> 8);
    bb_u8(b, v);
}

static inline void bb_le16(struct bb *b, unsigned v)
{
    bb_u8(b, v);
    bb_u8(b, v >> 8);
}

static inline void bb_be32(struct bb *b, uint32_t v)
{
    bb_be16(b, v >> 16);
    bb_be16(b, v & 0xFFFF);
}

static inline void bb_le32(struct bb *b, uint32_t v)
{
    bb_le16(b, v & 0xFFFF);
    bb_le16(b, v >> 16);
}

/* 16/32-bit in a chosen byte order (pcap/pcapng sections). */
static inline void bb_e16(struct bb *b, int big_endian, unsigned v)
{
    if (big_endian)
        bb_be16(b, v);
    else
        bb_le16(b, v);
}

static inline void bb_e32(struct bb *b, int big_endian, uint32_t v)
{
    if (big_endian)
        bb_be32(b, v);
    else
        bb_le32(b, v);
}

static inline void bb_bytes(struct bb *b, const void *src, size_t n)
{
    bb_reserve(b, n);
    if (n)
        memcpy(b->p + b->n, src, n);
    b->n += n;
}

static inline void bb_fill(struct bb *b, unsigned v, size_t n)
{
    bb_reserve(b, n);
    memset(b->p + b->n, (int)(v & 0xFF), n);
    b->n += n;
}

static inline void bb_set_be16(struct bb *b, size_t off, unsigned v)
{
    b->p[off] = (uint8_t)(v >> 8);
    b->p[off + 1] = (uint8_t)v;
}

static inline void bb_set_e32(struct bb *b, size_t off, int big_endian, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b->p[off + (size_t)i] = (uint8_t)(big_endian ? v >> (24 - 8 * i) : v >> (8 * i));
}

/* ---- PRNG ---------------------------------------------------------------- */

/* xorshift64: deterministic across runs and platforms. */
static inline uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* Uniform in [0, 1). */
static inline double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform integer in [0, n). */
static inline uint64_t rng_below(uint64_t *s, uint64_t n)
{
    return n ? rng_next(s) % n : 0;
}

/* ---- corpus mutation ------------------------------------------------------ */

/*
 * The robustness pass of a parser test: `check` is called on
 *  1. every prefix (lengths 0 to n) of every one of the `nc` corpus entries;
 *  2. `noise` buffers of pseudo-random bytes, of random lengths below
 *     `noise_len`;
 *  3. `flips` corpus entries, picked at random and cut to `cap` bytes, with
 *     one to four bits flipped, each passed with a random length up to its
 *     own (flipped bits pass the first checks far more often than noise).
 * Inputs 2 and 3 are built in the caller's `buf` of `cap` bytes (`check`
 * makes its own exactly sized copy if it wants ASan to see over-reads).
 * One xorshift stream from `seed` drives 2 and 3: the same seed, the same
 * inputs.  Aborts when noise would not fit in `buf`, or when there is no
 * corpus entry to flip bits in.
 */
static inline void corpus_mutate(const struct bb *corpus, size_t nc, uint64_t seed, uint8_t *buf,
                                 size_t cap, size_t noise_len, int noise, int flips,
                                 void (*check)(const uint8_t *p, size_t n))
{
    if (noise_len > cap + 1 || (flips > 0 && nc == 0))
        abort();
    for (size_t i = 0; i < nc; i++)
        for (size_t len = 0; len <= corpus[i].n; len++)
            check(corpus[i].p, len);
    for (int k = 0; k < noise; k++) {
        size_t len = (size_t)rng_below(&seed, noise_len);
        for (size_t j = 0; j < len; j++)
            buf[j] = (uint8_t)rng_next(&seed);
        check(buf, len);
    }
    for (int k = 0; k < flips; k++) {
        const struct bb *src = &corpus[rng_below(&seed, nc)];
        size_t len = src->n < cap ? src->n : cap;
        if (len)
            memcpy(buf, src->p, len);
        int nflip = 1 + (int)rng_below(&seed, 4);
        for (int f = 0; f < nflip; f++)
            buf[rng_below(&seed, len)] ^= (uint8_t)(1u << rng_below(&seed, 8));
        check(buf, (size_t)rng_below(&seed, len + 1));
    }
}

/* ---- scratch directory --------------------------------------------------- */

struct scratch {
    char dir[64];
};

static inline int scratch_make(struct scratch *sc)
{
    snprintf(sc->dir, sizeof(sc->dir), "/tmp/pcts-unit.XXXXXX");
    return mkdtemp(sc->dir) ? 0 : -1;
}

/* dir/name into out (at least 256 bytes). */
static inline void scratch_path(const struct scratch *sc, const char *name, char *out)
{
    snprintf(out, 256, "%s/%s", sc->dir, name);
}

static inline int scratch_write(const struct scratch *sc, const char *name, const void *data,
                                size_t n, char *path_out)
{
    char path[256];
    scratch_path(sc, name, path);
    if (path_out)
        memcpy(path_out, path, sizeof(path));
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = n ? fwrite(data, 1, n, f) : 0;
    int bad = w != n;
    if (fclose(f))
        bad = 1;
    return bad ? -1 : 0;
}

static inline int scratch_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void scratch_remove(struct scratch *sc)
{
    if (sc->dir[0])
        nftw(sc->dir, scratch_rm_one, 8, FTW_DEPTH | FTW_PHYS);
    sc->dir[0] = '\0';
}

#endif

/*
 * memlat.c - what a random memory access costs on this machine, by working
 * set size (docs/performance.md, "Machine and conditions").  For each size in MiB
 * given: a dependent chain of loads over a random cyclic permutation of
 * 64-byte lines (the latency of one miss, nothing to overlap), then the
 * same number of independent loads at random lines (what overlapping
 * misses buys).  pcts' packet loops touch a few random lines a packet in
 * tables of this size; their cost per packet follows these figures.
 *
 * Usage: memlat MIB...     (make bench prints memlat 1 4 8 32 128)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { LINE_WORDS = 8, STEPS = 4000000 };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int probe(size_t mib)
{
    size_t lines = mib * 1024 * 1024 / 64;
    if (lines < 2) {
        fprintf(stderr, "memlat: %zu MiB is too small\n", mib);
        return 1;
    }
    uint64_t *a = aligned_alloc(64, lines * 64);
    size_t *perm = malloc(lines * sizeof(*perm));
    if (!a || !perm) {
        fprintf(stderr, "memlat: out of memory for %zu MiB\n", mib);
        free(a);
        free(perm);
        return 1;
    }
    uint64_t s = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < lines; i++)
        perm[i] = i;
    for (size_t i = lines - 1; i > 0; i--) { /* Fisher-Yates */
        size_t j = (size_t)(xorshift(&s) % (i + 1)), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (size_t i = 0; i < lines; i++) /* one cycle through every line */
        a[perm[i] * LINE_WORDS] = perm[(i + 1) % lines] * LINE_WORDS;
    free(perm);

    uint64_t p = 0;
    double t0 = now();
    for (long i = 0; i < STEPS; i++)
        p = a[p];
    double dep = (now() - t0) / STEPS * 1e9;

    uint64_t sum = 0;
    t0 = now();
    for (long i = 0; i < STEPS; i++)
        sum += a[(xorshift(&s) % lines) * LINE_WORDS];
    double ind = (now() - t0) / STEPS * 1e9;

    printf("%6zu MiB: %6.1f ns a dependent load, %5.1f ns an independent one (%llu)\n", mib, dep,
           ind, (unsigned long long)((p + sum) & 1));
    free(a);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: memlat MIB...\n");
        return 2;
    }
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        char *end;
        unsigned long v = strtoul(argv[i], &end, 10);
        if (*end || v == 0 || v > 65536) {
            fprintf(stderr, "memlat: '%s' is not a size in MiB (1-65536)\n", argv[i]);
            return 2;
        }
        rc |= probe((size_t)v);
    }
    return rc;
}

/*
 * u64set.h - a bounded set of 64-bit values: open addressing, kept at most
 * half full, values mixed before they pick a slot (so hashes and small
 * numbers alike spread).  Past its limit it stops adding and says so
 * (full): --group dns's distinct query names, the Public Suffix List's
 * rule parents (names/domain.c).
 */
#ifndef PCTS_U64SET_H
#define PCTS_U64SET_H

#include <stddef.h>
#include <stdint.h>

struct u64set {
    uint64_t *v; /* mask + 1 slots of mixed values, 0 empty; owned */
    size_t mask, n, limit;
    int full; /* a value was refused at the limit */
};

void u64set_init(struct u64set *s, size_t limit);
void u64set_release(struct u64set *s);
/* 1 when x was added; 0 when it was there, or refused at the limit. */
int u64set_add(struct u64set *s, uint64_t x);
int u64set_has(const struct u64set *s, uint64_t x);

#endif

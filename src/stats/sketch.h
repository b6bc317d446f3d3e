/*
 * sketch.h - bounded-memory summary of a distribution for its median and
 * MAD, used once a group has more intervals than pcts keeps exactly.
 *
 * Design (docs/statistics.md has the derivation): a relative-error
 * log-bucket sketch (DDSketch, Masson et al., VLDB 2019) of the *signed
 * deviations* y = x - pivot, where pivot is the exact median of the first
 * intervals of the group.  Bucket i holds |y| in (gamma^(i-1), gamma^i] with
 * gamma = (1+a)/(1-a), a = 0.005, so every value is known within 0.5% of
 * |y|.  Since beacon intervals cluster tightly around their median, |y| is
 * small and the error on the median and on the MAD is a small share of the
 * deviation itself, not of the interval: a 60 s beacon with 0.2 s of
 * jitter has its MAD known to about 1 ms, where a sketch of the raw
 * intervals would only give it to 0.3 s.
 *
 * Memory: at most SKETCH_MAX_BUCKETS 32-bit counters per sign.  When a side
 * would need more, its smallest buckets are merged (DDSketch's collapsing
 * rule): only deviations more than ~8 decades below the largest one lose
 * resolution.
 */
#ifndef PCTS_SKETCH_H
#define PCTS_SKETCH_H

#include <stdint.h>

#define SKETCH_ALPHA 0.005
#define SKETCH_MAX_BUCKETS 2048

struct sketch_side {
    int32_t lo;       /* index of cnt[0] */
    uint32_t n;       /* buckets in use */
    uint32_t cap;
    uint32_t *cnt;
};

struct sketch {
    int64_t pivot;  /* ns */
    uint64_t zero;  /* values equal to the pivot */
    uint64_t total;
    struct sketch_side pos, neg;
};

void sketch_init(struct sketch *s, int64_t pivot);
void sketch_add(struct sketch *s, int64_t x);
/* Median and median absolute deviation, in the unit of the inputs (ns),
 * with pandas' convention for an even count (mean of the two middle). */
void sketch_median_mad(const struct sketch *s, double *median, double *mad);
void sketch_release(struct sketch *s);

#endif

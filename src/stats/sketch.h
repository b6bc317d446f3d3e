/*
 * sketch.h - bounded-memory summary of a distribution for its median and
 * MAD, used once a group has more intervals than pcts keeps exactly.
 *
 * Design (docs/statistics.md has the derivation): a relative-error
 * log-bucket sketch (DDSketch, Masson et al., VLDB 2019) with uniform
 * collapsing (UDDSketch, Epicoco et al., 2020).  A sketch summarises
 * y = x - pivot: bucket i of a side (sign) holds |y| in (g^(i-1), g^i],
 * g = (1+a)/(1-a), and reports 2 g^i / (g+1), within a of any value in it.
 * Start: a = SKETCH_ALPHA = 0.5%.  When one side would need more than its
 * bucket limit, adjacent pairs are merged: g becomes g^2 and a roughly
 * doubles, for that side only.  The sketches behind reported statistics
 * (median, MAD) have SKETCH_STAT_BUCKETS = 2048: 0.5% over 8.9 decades of
 * |y|, 1% over 17.8 (1 ns to 20 years), so their error stays within 1% for
 * any capture; those that only feed the score have SKETCH_MAX_BUCKETS =
 * 1024 (0.5% over 4.4 decades, 1% over 8.9, 2% beyond).
 *
 * pcts uses one sketch of the intervals themselves (pivot 0: the median is
 * known within a of itself) and one of the deviations from the early median
 * (the MAD, and the median again, within a of its drift).  Since beacon
 * intervals cluster around their median, |y| spans few decades there: a
 * 60 s beacon with 0.2 s of jitter has its MAD known to about 1 ms, where a
 * sketch of the raw intervals alone would only give it to 0.3 s.
 */
#ifndef PCTS_SKETCH_H
#define PCTS_SKETCH_H

#include <stddef.h>
#include <stdint.h>

#define SKETCH_ALPHA 0.005
#define SKETCH_MAX_BUCKETS 1024  /* default limit per side */
#define SKETCH_STAT_BUCKETS 2048 /* for median and MAD */

struct sketch_side {
    int32_t lo;     /* bucket index of cnt[0], at this side's level */
    uint32_t n;     /* buckets in use */
    uint32_t cap;   /* allocated */
    uint8_t level;  /* collapses so far: g = g0^(2^level) */
    uint8_t wide;   /* counters are uint32_t (else uint16_t) */
    uint32_t limit; /* at most this many buckets */
    void *cnt;      /* counters: 16-bit until one would overflow */
};

struct sketch {
    double pivot;  /* ns */
    uint64_t zero; /* values equal to the pivot */
    uint64_t total;
    struct sketch_side pos, neg;
};

/* A value with a weight: exact values have weight 1, sketch buckets carry
 * their count. */
struct wval {
    double v;
    uint64_t w;
};

/* A sketch of x - pivot with SKETCH_MAX_BUCKETS, or `buckets`, per side. */
void sketch_init(struct sketch *s, double pivot);
void sketch_init_buckets(struct sketch *s, double pivot, uint32_t buckets);
void sketch_add(struct sketch *s, double x);
/* A hint that sketch_add() on s comes soon, several times: its counters in
 * use (their first 1 KiB on each side) are fetched. */
void sketch_prefetch(const struct sketch *s);

/* Median and median absolute deviation of x, in the unit of the inputs
 * (ns), with pandas' convention for an even count (mean of the two middle).
 * *err_bound, if not NULL, gets the guaranteed bound on the median's
 * absolute error. */
void sketch_median_mad(const struct sketch *s, double *median, double *mad, double *err_bound);

/* Relative accuracy of a side after its collapses, and of the sketch (the
 * worse side). */
double sketch_side_alpha(const struct sketch_side *sd);
double sketch_alpha(const struct sketch *s);

/* The count of bucket i (0-based in cnt[]) of a side. */
static inline uint32_t sketch_count(const struct sketch_side *sd, uint32_t i)
{
    return sd->wide ? ((const uint32_t *)sd->cnt)[i] : ((const uint16_t *)sd->cnt)[i];
}

/* The representative value of bucket i (0-based in cnt[]) of a side. */
double sketch_bucket_value(const struct sketch_side *sd, uint32_t i);

/* Level-0 bucket of a value a > 0: ceil(log(a) / log(g0)), 0 for a <= 1
 * (the bucket of |x - pivot| that sketch_add counts).  For tests. */
int32_t sketch_bucket0(double a);

/* log of the level-0 bucket ratio g0 = (1+SKETCH_ALPHA)/(1-SKETCH_ALPHA). */
double sketch_log_gamma0(void);

/* Ratio between the representatives of adjacent buckets of a side. */
double sketch_bucket_ratio(const struct sketch_side *sd);

/* The non-empty buckets of a positive side, ascending, as (representative
 * * scale, count) into a[] (room for sd->n).  Returns how many. */
size_t sketch_side_list(const struct sketch_side *sd, double scale, struct wval *a);

/* Set the bucket limit of both sides (at least 16).  A side using more
 * buckets collapses until it fits (each collapse doubles its alpha; no
 * count is lost) and its counter array shrinks to the limit. */
void sketch_set_limit(struct sketch *s, uint32_t buckets);

/* Bytes held by the counter arrays of all sketches of the process (for
 * --max-memory; thread-safe). */
uint64_t sketch_memory_used(void);

void sketch_release(struct sketch *s);

#endif

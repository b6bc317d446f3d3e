/*
 * series.h - the time series of one group and the statistics of its
 * intervals.
 *
 * Two regimes, chosen per group by its size:
 *  - exact: up to SERIES_EXACT_CAP event times are kept.  At the end they
 *    are sorted, so any disorder in the input is undone exactly, and every
 *    statistic (mean, sample std, median, MAD) is computed exactly.
 *  - streaming: beyond that, the group keeps a small sorted window of the
 *    newest SERIES_REORDER times (the reorder bound) and feeds older ones,
 *    in time order, to Welford's running mean/variance (exact up to
 *    floating-point rounding) and to two bounded sketches for median and
 *    MAD (sketch.h; 0.5% to 2% relative error depending on the spread,
 *    docs/statistics.md).  A time that arrives after SERIES_REORDER newer times of its
 *    own group is late: it is counted, and taken as equal to the newest fed
 *    time, so no interval is ever negative.
 * So memory per group is bounded (at most 8 KiB exact, then at most 24 KiB of
 * sketches), whatever the packet count.  docs/statistics.md has the details.
 */
#ifndef PCTS_SERIES_H
#define PCTS_SERIES_H

#include <stdint.h>

#define SERIES_EXACT_CAP 1024 /* default; see series_set_exact_cap() */
#define SERIES_EXACT_MIN 128  /* must exceed SERIES_REORDER */
#define SERIES_EXACT_MAX (1u << 22)
#define SERIES_REORDER 63 /* ring of 64 */

struct series_stream;

struct series {
    uint64_t n;     /* events */
    int64_t first;  /* min time, ns */
    int64_t last;   /* max time, ns */
    int64_t *ts;    /* exact regime: event times (unsorted); NULL while n <= 1 */
    uint32_t ts_n, ts_cap;
    struct series_stream *st; /* streaming regime */
};

struct interval_stats {
    uint64_t count; /* intervals = events - 1 */
    double mean, std, min, max, median, mad; /* seconds */
    int has_std;   /* count >= 2 */
    int approx;    /* median/MAD came from the sketch */
    uint64_t late; /* events beyond the reorder bound */
};

/* Events kept exactly per group before switching to the sketches (for the
 * whole run; call before adding).  Returns -1 if out of range. */
int series_set_exact_cap(uint32_t cap);
uint32_t series_exact_cap(void);

void series_init(struct series *s);

static inline int series_add_fast(struct series *s, int64_t t)
{
    /* The common case, inlined into the packet loop: exact regime with room. */
    if (s->ts && s->ts_n < s->ts_cap) {
        s->ts[s->ts_n++] = t;
        s->n++;
        if (t < s->first)
            s->first = t;
        if (t > s->last)
            s->last = t;
        return 1;
    }
    return 0;
}

void series_add_slow(struct series *s, int64_t t);

/* Hint that series_add() on s comes soon (the batched packet loop). */
static inline void series_prefetch(const struct series *s)
{
    if (s->ts)
        __builtin_prefetch(&s->ts[s->ts_n], 1);
}

static inline void series_add(struct series *s, int64_t t)
{
    if (!series_add_fast(s, t))
        series_add_slow(s, t);
}

/* Compute the statistics; the series may not be added to afterwards. */
void series_finish(struct series *s, struct interval_stats *out);

void series_release(struct series *s);

#endif

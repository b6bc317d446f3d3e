/*
 * series.h - the time series of one group: event times with a size each
 * (a packet and its wire length, or a flow start and its originator bytes),
 * the statistics of its intervals, and the features the beacon score needs.
 *
 * Two regimes, chosen per group by its size:
 *  - exact: up to the exact limit (series_set_exact_cap, default
 *    SERIES_EXACT_CAP) events are kept.  At the end they are sorted, so any
 *    disorder in the input is undone exactly, and every statistic (mean,
 *    sample std, median, MAD, beats, sizes) is computed exactly.
 *  - streaming: beyond that, the group keeps a small sorted window of at
 *    least its newest SERIES_REORDER events (the reorder bound) and feeds
 *    older ones, in time order and in batches, to Welford's running
 *    mean/variance (exact up to floating-point rounding) and to bounded
 *    sketches (sketch.h): interval median and MAD (0.5% to 2% relative
 *    error depending on the spread, docs/statistics.md), beat intervals and
 *    event sizes for scoring.  An event that arrives after more than
 *    SERIES_REORDER newer events of its own group may be late, and one
 *    after SERIES_RING or more is: it is counted, and adds no interval (nor
 *    a beat), only its size.  No interval is ever negative.
 * So memory per group is bounded (at most 12 bytes per event up to the exact
 * limit, 16 with volumes, then a few sketches of at most 4 KiB per side,
 * 16-bit counters until one overflows), whatever the event count.
 *
 * Volumes: an event's size is what the series' statistics describe (a
 * connection's originator bytes); its volume is what it moved both ways (the
 * whole connection), which the score's transfer penalty weighs per beat
 * (series_features' beat_vol_median).  Connection series carry both
 * (series_set_volumes, series_add_vol); elsewhere an event's volume is its
 * size (a packet's wire length).
 */
#ifndef PCTS_SERIES_H
#define PCTS_SERIES_H

#include "sketch.h" /* struct wval */
#include "../util/prefetch.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SERIES_EXACT_CAP 1024 /* default; see series_set_exact_cap() */
#define SERIES_EXACT_MIN 128  /* must exceed SERIES_REORDER */
#define SERIES_EXACT_MAX (1u << 22)
#define SERIES_REORDER 63                   /* kept in a ring of SERIES_RING */
#define SERIES_RING 128                     /* an event displaced by this many is always late */
#define SERIES_BIN_NS (3600ll * 1000000000) /* coverage bins: hours */

/* The coverage bin of a time (ns): the hour of the clock, floored. */
static inline int64_t series_bin(int64_t t)
{
    int64_t b = t / SERIES_BIN_NS;
    return (t < 0 && t % SERIES_BIN_NS) ? b - 1 : b;
}
#define SERIES_SAMPLE 256 /* events kept for pictures in the streaming regime */

struct series_stream;

struct series {
    uint64_t n;    /* events */
    int64_t first; /* min time, ns */
    int64_t last;  /* max time, ns */
    int64_t *ts;   /* exact regime: the event block (see SERIES_REC); NULL while n <= 1 */
    uint32_t *sz;  /* NULL while the block holds records; then sizes parallel to ts (in ts's
                      block: free ts only) */
    uint32_t ts_n, ts_cap;
    union {
        uint32_t first_sz;   /* size of the only event while n == 1 */
        uint32_t finish_tag; /* exact regime, ts_n >= 2: series_finish's gap cache (series.c) */
    };
    union {
        uint32_t first_vol; /* volume of the only event while n == 1 (series_set_volumes) */
        uint32_t burst_ns;  /* exact regime, ts_n >= 2: burst window, set by series_finish */
    };
    struct series_stream *st; /* streaming regime */
};
_Static_assert(sizeof(struct series) <= 64, "a group's series fits one cache line");

struct interval_stats {
    uint64_t count;                          /* intervals = events - 1 */
    double mean, std, min, max, median, mad; /* seconds */
    int has_std;                             /* count >= 2 */
    int approx;                              /* median/MAD came from the sketch */
    uint64_t late;                           /* events beyond the reorder bound */
    /* approx only: */
    uint32_t exact_events; /* events kept exactly before the switch to the sketches */
    double alpha;          /* relative accuracy of the median/MAD sketches */
    int early;             /* switched before the exact limit (memory budget) */
    int coarse;            /* its sketches had fewer buckets (memory budget) */
};

/* Weighted (lower) median without sorting: the smallest v whose cumulative
 * weight reaches half the total.  Reorders a; O(n) expected. */
double wval_median(struct wval *a, size_t n);

/*
 * What the beacon score looks at (score.h).  A "beat" is a burst of events
 * closer together than the burst window (one check-in that opens several
 * connections); beat intervals are the gaps between burst starts.
 */
struct series_features {
    uint64_t events, beats;
    int64_t first, last;  /* first and last event, ns */
    double burst_window;  /* seconds */
    uint64_t active_bins; /* distinct SERIES_BIN_NS bins with an event */
    struct wval *beat_iv; /* beat intervals in seconds, ascending; owned */
    size_t n_beat_iv;
    struct wval *sizes; /* event sizes in bytes (any order; ascending when approx); owned */
    size_t n_sizes;
    /* or, in the exact regime, the series' own sizes (n_sizes of them, any
     * order, unit weights; size_median set), borrowed while the series lives: a copy as a
     * weighted list was 16 bytes an event written and read back once */
    const uint32_t *sizes_u32;
    double size_median;  /* lower median of sizes, when has_size_median */
    int has_size_median; /* (else the scorer selects it from sizes) */
    int approx;          /* lists came from sketches */
    /* the lower median of the beats' volumes (bytes: the sum of the volumes
     * of a beat's events; from a sketch when approx), when beats > 0 */
    double beat_vol_median;
};

/* Events kept exactly per group before switching to the sketches (for the
 * whole run; call before adding).  Returns -1 if out of range. */
int series_set_exact_cap(uint32_t cap);
uint32_t series_exact_cap(void);

/* Whether events carry a volume of their own (series_add_vol; for the whole
 * run, before adding): then series_add() must not be used.  Off by default:
 * an event's volume is its size. */
void series_set_volumes(int on);
int series_volumes(void);

void series_init(struct series *s);

/*
 * Memory budget (--max-memory) for what the series hold: exact event lists
 * (by capacity), streaming states and their sketch counters.  A
 * process-wide counter follows every allocation, resize and release of
 * those (never per event; thread-safe).  As it nears the budget the series
 * degrade in two stages, deterministically for a given input:
 *  a. at 7/8 of the budget, exact lists stop growing: a group switches to
 *     the streaming regime instead of growing its exact list past what a
 *     new streaming state weighs (series_budget_exact_stop(), at least
 *     SERIES_EXACT_MIN events);
 *  b. past the budget, every streaming group's sketches halve their bucket
 *     limit (uniform collapse: alpha doubles where they were full), and
 *     again, until the series are back under 15/16 of the budget, at most
 *     SERIES_COARSEN_MAX times (then the budget is reported as exceeded).
 * Events are never dropped; mean, std, min and max stay exact.  Stage
 * changes happen only while events are added (one thread), never while
 * groups finish.  0 (the default) means no budget.  Resets the stages;
 * call before adding events.
 */
#define SERIES_COARSEN_MAX 4 /* sketch limits 2048/1024 down to 128/64 buckets */

void series_set_budget(uint64_t bytes);

/* Bytes the series hold now (the counter). */
uint64_t series_memory_used(void);

/* Events after which an exact list stops growing in stage a. */
uint32_t series_budget_exact_stop(void);

struct series_budget_state {
    uint64_t budget;        /* 0: none */
    uint64_t peak;          /* largest counter value seen while adding */
    int stage;              /* 0 none, 1 exact lists capped (a), 2 sketches coarsened (b) */
    unsigned coarsened;     /* halvings of the sketch limits (stage b) */
    uint32_t stat_buckets;  /* current bucket limit of the median/MAD sketches */
    uint64_t switched;      /* groups switched to streaming early (stage a) */
    uint64_t coarse_groups; /* streaming groups whose sketches were coarsened */
    int over;               /* still over the budget at the coarsest setting */
};

void series_budget_get(struct series_budget_state *b);

static inline uint32_t series_clamp_size(uint64_t size)
{
    return size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
}

/*
 * While events are added, an exact list holds them as packed records of
 * SERIES_REC bytes (the time, then the size) in s->ts's block, s->sz NULL:
 * the packet loops write every event at the end of one of 50 k lists, and
 * separate time and size arrays were two scattered cache lines an event
 * where records are one (mostly).  series_finish() and the switch to the
 * streaming regime turn the records into the parallel arrays ts[] and sz[]
 * that the statistics read.
 */
#define SERIES_REC 12
#define SERIES_REC_VOL 16 /* with series_set_volumes: the time, the size, the volume */

static inline void series_rec_put(struct series *s, uint32_t i, int64_t t, uint32_t size)
{
    unsigned char *r = (unsigned char *)s->ts + (size_t)i * SERIES_REC;
    memcpy(r, &t, sizeof(t));
    memcpy(r + sizeof(t), &size, sizeof(size));
}

static inline void series_rec_put_vol(struct series *s, uint32_t i, int64_t t, uint32_t size,
                                      uint32_t vol)
{
    unsigned char *r = (unsigned char *)s->ts + (size_t)i * SERIES_REC_VOL;
    memcpy(r, &t, sizeof(t));
    memcpy(r + sizeof(t), &size, sizeof(size));
    memcpy(r + sizeof(t) + sizeof(size), &vol, sizeof(vol));
}

/* An event counted, its time in the span (the fast paths below). */
static inline void series_count(struct series *s, int64_t t)
{
    s->n++;
    if (t < s->first)
        s->first = t;
    if (t > s->last)
        s->last = t;
}

static inline int series_add_fast(struct series *s, int64_t t, uint64_t size)
{
    /* The common case, inlined into the packet loop: exact regime with room
     * (records: nothing is added after series_finish). */
    if (s->ts && s->ts_n < s->ts_cap) {
        series_rec_put(s, s->ts_n++, t, series_clamp_size(size));
        series_count(s, t);
        return 1;
    }
    return 0;
}

void series_add_slow(struct series *s, int64_t t, uint64_t size);
void series_add_vol_slow(struct series *s, int64_t t, uint64_t size, uint64_t vol);

/* An event with its volume (series_set_volumes on). */
static inline void series_add_vol(struct series *s, int64_t t, uint64_t size, uint64_t vol)
{
    if (s->ts && s->ts_n < s->ts_cap) {
        series_rec_put_vol(s, s->ts_n++, t, series_clamp_size(size), series_clamp_size(vol));
        series_count(s, t);
        return;
    }
    series_add_vol_slow(s, t, size, vol);
}

/*
 * Hints that series_add() on s comes soon (the batched packet loops), in two
 * steps a few events apart: series_prefetch() fetches the end of an exact
 * list, or a streaming state's ring position; series_prefetch_tail(), once
 * that has arrived, the ring slot the event will go to.  Without them the
 * streaming regime (every group past --exact-limit) stalled on two or
 * three misses a packet: ring_insert was a sixth of such a run (perf).
 */
void series_stream_prefetch_tail(const struct series_stream *st);

PREFETCH_FN void series_prefetch(const struct series *s)
{
    if (s->ts) {
        const unsigned char *r = (const unsigned char *)s->ts + (size_t)s->ts_n * SERIES_REC;
        __builtin_prefetch(r, 1);
        __builtin_prefetch(r + SERIES_REC - 1, 1); /* one record in eight spans two lines */
    } else if (s->st) {
        __builtin_prefetch(s->st, 1); /* its first line: head and count */
    }
}

/* The same for series_add_vol(): 16-byte records, which never span two
 * lines (the block is 16-byte aligned). */
PREFETCH_FN void series_prefetch_vol(const struct series *s)
{
    if (s->ts)
        __builtin_prefetch((const unsigned char *)s->ts + (size_t)s->ts_n * SERIES_REC_VOL, 1);
    else if (s->st)
        __builtin_prefetch(s->st, 1);
}

PREFETCH_FN void series_prefetch_tail(const struct series *s)
{
    if (s->st)
        series_stream_prefetch_tail(s->st);
}

static inline void series_add(struct series *s, int64_t t, uint64_t size)
{
    if (!series_add_fast(s, t, size))
        series_add_slow(s, t, size);
}

/* Interval statistics.  After this, only series_features() and
 * series_release() may be called. */
void series_finish(struct series *s, struct interval_stats *out);

/* Scoring features (after series_finish); release with
 * series_features_release(). */
void series_features(struct series *s, struct series_features *f);
void series_features_release(struct series_features *f);

/*
 * For pictures (after series_finish): the events in time order, exactly in
 * the exact regime, else a deterministic subsample of at most SERIES_SAMPLE
 * (*sampled set).  Pointers are borrowed from the series.
 */
size_t series_events(const struct series *s, const int64_t **ts, const uint32_t **sz, int *sampled);

/* The intervals in seconds, ascending (weighted sketch buckets in the
 * streaming regime); the caller frees the array. */
struct wval *series_intervals(const struct series *s, size_t *n);

void series_release(struct series *s);

#endif

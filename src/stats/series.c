/*
 * series.c - see series.h.
 */
#include "series.h"

#include "../util/xalloc.h"
#include "order.h"
#include "sketch.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* The reorder window: events wait here, sorted, until it is full; then all
 * but the newest SERIES_REORDER are fed at once.  Feeding in batches keeps
 * one group's sketches in cache for 65 events instead of touching them
 * (scattered over several KiB, for each of tens of thousands of groups) on
 * every packet: the streaming regime ran 3.6x faster with it. */
#define RING SERIES_RING /* a power of two: % is a mask */

struct series_stream {
    uint32_t head, count; /* first: series_prefetch() fetches this line */
    int64_t ring[RING];   /* sorted pending times, circular */
    uint32_t ring_sz[RING];
    uint32_t ring_vol[RING]; /* volumes (series_set_volumes), else the sizes again */
    int64_t last_fed;
    uint64_t fed; /* events fed so far */
    uint64_t nint;
    double mean, m2;     /* Welford, seconds */
    uint64_t imin, imax; /* ns */
    uint64_t late;
    struct sketch sk;  /* interval deviations from the early median: MAD, median */
    struct sketch raw; /* the intervals themselves: median when it drifted */
    /* scoring features */
    int64_t burst_ns;   /* burst window */
    int64_t beat_start; /* first event of the current beat */
    uint64_t beats;
    uint64_t beat_vol;  /* volume of the beat in progress, bytes */
    int beat_vol_added; /* series_features() added it to bvol: the series is done */
    struct sketch beat; /* beat intervals, ns */
    struct sketch size; /* event sizes, bytes */
    struct sketch bvol; /* volumes of the beats before the one in progress, bytes */
    int64_t last_bin;
    int64_t next_bin; /* where the bin after last_bin starts (or INT64_MAX) */
    uint64_t active_bins;
    /* a deterministic subsample of events for pictures: every stride-th
     * event; when full, every other one is dropped and the stride doubles */
    int64_t smp_ts[SERIES_SAMPLE];
    uint32_t smp_sz[SERIES_SAMPLE];
    uint32_t smp_n;
    uint64_t smp_stride;
    uint64_t smp_next; /* the next multiple of smp_stride: no division per event */
    /* memory budget */
    struct series_stream *prev, *next; /* every streaming state, to coarsen them all */
    uint32_t exact_n;                  /* events kept exactly before the switch */
    uint8_t early;                     /* switched before the exact limit */
    uint8_t coarse;                    /* sketch limits lowered (stage b) */
};

static uint32_t exact_cap = SERIES_EXACT_CAP;

/* series_set_volumes: events carry volumes, and an exact list's records
 * are SERIES_REC_VOL bytes, not SERIES_REC (ev_bytes: what an event costs
 * in an exact list). */
static int vol_on;
static size_t ev_bytes = SERIES_REC;

void series_set_volumes(int on)
{
    vol_on = on != 0;
    ev_bytes = vol_on ? SERIES_REC_VOL : SERIES_REC;
}

int series_volumes(void)
{
    return vol_on;
}

int series_set_exact_cap(uint32_t cap)
{
    if (cap < SERIES_EXACT_MIN || cap > SERIES_EXACT_MAX)
        return -1;
    exact_cap = cap;
    return 0;
}

uint32_t series_exact_cap(void)
{
    return exact_cap;
}

/* ---- memory budget (series.h) ------------------------------------------- */

/* Bytes of the exact lists (by capacity) and the streaming states; their
 * sketches count their own counter arrays (sketch_memory_used).  Changed
 * only where those allocations change; relaxed atomics, since the groups'
 * statistics are finished on several threads (flushing a reorder ring can
 * still grow a sketch then). */
static _Atomic uint64_t held;

_Static_assert(sizeof(int64_t) + sizeof(uint32_t) == SERIES_REC, "a record is a time and a size");
_Static_assert(SERIES_REC + sizeof(uint32_t) == SERIES_REC_VOL, "and a volume");

static void held_add(uint64_t bytes)
{
    atomic_fetch_add_explicit(&held, bytes, memory_order_relaxed);
}

static void held_sub(uint64_t bytes)
{
    atomic_fetch_sub_explicit(&held, bytes, memory_order_relaxed);
}

uint64_t series_memory_used(void)
{
    return atomic_load_explicit(&held, memory_order_relaxed) + sketch_memory_used();
}

/* The stages.  Written only while events are added, which is one thread;
 * groups finish (on several threads) only after that, and never change
 * them, so results do not depend on the thread count. */
static uint64_t budget, budget_next = UINT64_MAX, budget_peak;
static uint64_t budget_switched, budget_coarse_groups;
static int budget_stage, budget_over;
static unsigned coarsened;
static uint32_t stat_limit = SKETCH_STAT_BUCKETS, feat_limit = SKETCH_MAX_BUCKETS;
static uint32_t exact_stop = UINT32_MAX; /* stage a: exact lists stop here */

/* Every streaming state, so stage b can coarsen them all at once (idle
 * groups included).  Locked, although today only the thread that adds
 * events changes it and releases happen after the finishing threads are
 * joined: cheap insurance, the lock is never contended. */
static struct series_stream *streams;
static pthread_mutex_t streams_mu = PTHREAD_MUTEX_INITIALIZER;

/* The events an exact list holds in the memory of a new streaming state:
 * the state and the first 16 16-bit counters of each sketch side in use
 * (the median/MAD pair has three, the scoring sketches one each).  An
 * exact list that stops there never weighs more than what replaces it;
 * stopping earlier would cost memory, not save it. */
static uint32_t stream_exact_equivalent(void)
{
    uint64_t bytes = sizeof(struct series_stream) + 6 * 16 * sizeof(uint16_t);
    uint64_t ev = bytes / ev_bytes;
    return ev < SERIES_EXACT_MIN ? SERIES_EXACT_MIN : (uint32_t)ev;
}

void series_set_budget(uint64_t bytes)
{
    budget = bytes;
    budget_next = bytes ? bytes - bytes / 8 : UINT64_MAX;
    budget_peak = series_memory_used();
    budget_switched = budget_coarse_groups = 0;
    budget_stage = budget_over = 0;
    coarsened = 0;
    stat_limit = SKETCH_STAT_BUCKETS;
    feat_limit = SKETCH_MAX_BUCKETS;
    exact_stop = UINT32_MAX;
}

uint32_t series_budget_exact_stop(void)
{
    return stream_exact_equivalent();
}

void series_budget_get(struct series_budget_state *b)
{
    memset(b, 0, sizeof(*b));
    b->budget = budget;
    b->peak = budget_peak;
    b->stage = budget_stage;
    b->coarsened = coarsened;
    b->stat_buckets = stat_limit;
    b->switched = budget_switched;
    b->coarse_groups = budget_coarse_groups;
    b->over = budget_over;
}

static void coarsen_all(void)
{
    pthread_mutex_lock(&streams_mu);
    for (struct series_stream *st = streams; st; st = st->next) {
        sketch_set_limit(&st->sk, stat_limit);
        sketch_set_limit(&st->raw, stat_limit);
        sketch_set_limit(&st->beat, feat_limit);
        sketch_set_limit(&st->size, feat_limit);
        sketch_set_limit(&st->bvol, feat_limit);
        if (!st->coarse) {
            st->coarse = 1;
            budget_coarse_groups++;
        }
    }
    pthread_mutex_unlock(&streams_mu);
}

static void budget_escalate(uint64_t used)
{
    if (budget_stage == 0) { /* a: exact lists stop growing */
        budget_stage = 1;
        exact_stop = stream_exact_equivalent();
        budget_next = budget;
        if (used <= budget)
            return;
    }
    /* b: halve every sketch's bucket limit, again while that gives back
     * memory (at least 1/32 of the budget a step), until under 15/16.  If
     * a step gave back little (the memory is in exact lists, or in the
     * fixed part of the streaming states), the next waits until the series
     * have grown another 1/64. */
    while (used > budget - budget / 16 && coarsened < SERIES_COARSEN_MAX) {
        coarsened++;
        budget_stage = 2;
        stat_limit = SKETCH_STAT_BUCKETS >> coarsened;
        feat_limit = SKETCH_MAX_BUCKETS >> coarsened;
        coarsen_all();
        uint64_t now = series_memory_used();
        int helped = now + budget / 32 <= used;
        used = now;
        if (!helped)
            break;
    }
    if (used <= budget) {
        budget_next = budget;
    } else if (coarsened < SERIES_COARSEN_MAX) {
        budget_next = used + budget / 64;
    } else if (used <= budget + budget / 16) {
        budget_next = budget + budget / 16; /* lists still filling may pass it a little */
    } else { /* at the coarsest, and well over: nothing more to give back */
        budget_over = 1;
        budget_next = UINT64_MAX;
    }
}

/* After an allocation changed, while adding (never per event). */
static void budget_check(void)
{
    if (!budget)
        return;
    uint64_t used = series_memory_used();
    if (used > budget_peak)
        budget_peak = used;
    if (used > budget_next)
        budget_escalate(used);
}

void series_init(struct series *s)
{
    memset(s, 0, sizeof(*s));
    s->first = INT64_MAX;
    s->last = INT64_MIN;
}

/* Sort the exact events by time, keeping sizes with their times.  Captures
 * are nearly always in order, so check first. */
static _Thread_local const int64_t *sort_keys; /* groups finish on several threads */
static int cmp_idx(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    int64_t tx = sort_keys[x], ty = sort_keys[y];
    if (tx != ty)
        return tx < ty ? -1 : 1;
    return (x > y) - (x < y); /* stable */
}

static void sort_events(int64_t *ts, uint32_t *sz, uint32_t *vol, uint32_t n)
{
    uint32_t i;
    for (i = 1; i < n; i++)
        if (ts[i] < ts[i - 1])
            break;
    if (i >= n)
        return;
    uint32_t *idx = xmalloc(st_mult(n, sizeof(*idx)));
    for (i = 0; i < n; i++)
        idx[i] = i;
    sort_keys = ts;
    qsort(idx, n, sizeof(*idx), cmp_idx);
    sort_keys = NULL;
    int64_t *t2 = xmalloc(st_mult(n, sizeof(*t2)));
    uint32_t *s2 = xmalloc(st_mult(n, sizeof(*s2)));
    for (i = 0; i < n; i++) {
        t2[i] = ts[idx[i]];
        s2[i] = sz[idx[i]];
    }
    memcpy(ts, t2, n * sizeof(*ts));
    memcpy(sz, s2, n * sizeof(*sz));
    if (vol != sz) {
        for (i = 0; i < n; i++)
            s2[i] = vol[idx[i]];
        memcpy(vol, s2, n * sizeof(*vol));
    }
    free(t2);
    free(s2);
    free(idx);
}

/* Gap between sorted times, safe across the whole int64 range. */
static inline uint64_t gap(int64_t a, int64_t b)
{
    return (uint64_t)b - (uint64_t)a;
}

/* The n - 1 gaps between sorted times in ns, ascending, in g; tmp is
 * scratch of as many values. */
static void sorted_gaps(const int64_t *ts, uint32_t n, double *g, double *tmp)
{
    for (uint32_t i = 1; i < n; i++)
        g[i - 1] = (double)gap(ts[i - 1], ts[i]);
    order_sort(g, tmp, n - 1);
}

/* Median of an ascending list, with pandas' even-count rule. */
static double median_sorted(const double *a, size_t n)
{
    return n & 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2.0;
}

/* Median of |a[i] - med| over an ascending list, same rule. */
static double mad_sorted(const double *a, size_t n, double med)
{
    double lo = 0, hi = order_absdev_kth(a, n, med, n / 2, &lo);
    return n & 1 ? hi : (lo + hi) / 2.0;
}

/*
 * Burst window: events closer than this belong to one beat.  A tenth of the
 * 95th-percentile interval (so a check-in's extra connections, or the up to
 * ~19 packets of one heartbeat exchange, merge, and the period's own gaps
 * never do), at most 2 s (DETECTION.md: bursts of "several connections
 * within a second or two").  From the k ascending gaps of k + 1 events.
 */
static int64_t burst_window(const double *g, uint32_t k)
{
    const int64_t cap = 2000000000, floor_ns = 1000;
    if (k < 2)
        return cap;
    /* Over the non-zero gaps: simultaneous events (one check-in opening
     * several connections in the same microsecond) must not drag the
     * quantile to 0; and they always belong to one beat (floor 1 us). */
    uint32_t z = 0;
    while (z < k && g[z] == 0)
        z++;
    uint32_t nz = k - z;
    double q = nz ? g[z + (size_t)((double)(nz - 1) * 0.95)] : 0;
    double w = q / 10;
    if (w < (double)floor_ns)
        return floor_ns;
    return w < (double)cap ? (int64_t)w : cap;
}

static int64_t bin_of(int64_t t)
{
    return series_bin(t);
}

/* Where the bin after bin b starts, or INT64_MAX past the last one. */
static int64_t bin_next(int64_t b)
{
    return b < INT64_MAX / SERIES_BIN_NS - 1 ? (b + 1) * SERIES_BIN_NS : INT64_MAX;
}

static void feed(struct series_stream *st, int64_t t, uint32_t size, uint32_t vol)
{
    if (st->fed && t < st->last_fed) {
        /* Late: its place among the events already fed is gone.  It adds
         * no interval (one of 0, as before, pulled the minimum, median and
         * MAD down: a long connection's start comes when it ends), and its
         * size counts, and its volume, to the beat in progress. */
        st->late++;
        sketch_add(&st->size, (double)size);
        st->beat_vol += vol;
        return;
    }
    if (st->fed) {
        /* t >= last_fed: the gap fits in 64 unsigned bits even when the
         * times are at opposite ends of the int64 range. */
        uint64_t d = gap(st->last_fed, t);
        double x = (double)d * 1e-9;
        st->nint++;
        double delta = x - st->mean;
        st->mean += delta / (double)st->nint;
        st->m2 += delta * (x - st->mean);
        if (d < st->imin)
            st->imin = d;
        if (d > st->imax)
            st->imax = d;
        sketch_add(&st->sk, (double)d);
        sketch_add(&st->raw, (double)d);
        if (d >= (uint64_t)st->burst_ns) {
            sketch_add(&st->beat, (double)gap(st->beat_start, t));
            /* saturated at 4 GiB, as features_exact() does */
            sketch_add(&st->bvol, (double)series_clamp_size(st->beat_vol));
            st->beat_start = t;
            st->beats++;
            st->beat_vol = vol;
        } else {
            st->beat_vol += vol;
        }
    } else {
        st->beat_start = t;
        st->beats = 1;
        st->beat_vol = vol;
    }
    /* t never decreases here: divide only when it reaches the next bin, as
     * features_exact() does (a 64-bit division an event otherwise) */
    if (!st->fed || t >= st->next_bin) {
        int64_t b = bin_of(t);
        if (!st->fed || b != st->last_bin) {
            st->active_bins++;
            st->last_bin = b;
        }
        st->next_bin = bin_next(b);
    }
    sketch_add(&st->size, (double)size);
    if (st->fed == st->smp_next) {
        if (st->smp_n == SERIES_SAMPLE) {
            for (uint32_t i = 0; i < SERIES_SAMPLE / 2; i++) {
                st->smp_ts[i] = st->smp_ts[2 * i];
                st->smp_sz[i] = st->smp_sz[2 * i];
            }
            st->smp_n = SERIES_SAMPLE / 2;
            st->smp_stride *= 2;
        }
        if (st->fed % st->smp_stride == 0) {
            st->smp_ts[st->smp_n] = t;
            st->smp_sz[st->smp_n++] = size;
        }
        st->smp_next = (st->fed / st->smp_stride + 1) * st->smp_stride;
    }
    st->last_fed = t;
    st->fed++;
}

/*
 * Records (series.h) to the parallel arrays, in the same block: times at
 * its start, sizes after the times' capacity.  The sizes go through a
 * scratch array, since their place may overlap records not yet read.
 */
static void unpack(struct series *s)
{
    if (!s->ts || s->sz)
        return;
    uint32_t n = s->ts_n;
    const unsigned char *r = (const unsigned char *)s->ts;
    uint32_t small[2 * 64]; /* most groups: no allocation */
    uint32_t *tmp = n <= 64 ? small : xmalloc(st_mult(2 * (size_t)n, sizeof(*tmp)));
    uint32_t *tv = tmp + n;
    const size_t rec = ev_bytes;
    for (uint32_t i = 0; i < n; i++) {
        int64_t t;
        memcpy(&t, r + (size_t)i * rec, sizeof(t));
        memcpy(&tmp[i], r + (size_t)i * rec + sizeof(t), sizeof(tmp[i]));
        if (vol_on)
            memcpy(&tv[i], r + (size_t)i * rec + sizeof(t) + sizeof(tmp[i]), sizeof(tv[i]));
        s->ts[i] = t; /* 8i <= 12i: only records already read are overwritten */
    }
    s->sz = (uint32_t *)(s->ts + s->ts_cap);
    memcpy(s->sz, tmp, (size_t)n * sizeof(*tmp));
    if (vol_on) /* the volumes after the sizes' capacity */
        memcpy(s->sz + s->ts_cap, tv, (size_t)n * sizeof(*tv));
    if (tmp != small)
        free(tmp);
}

/* An unpacked exact list's volumes: after the sizes, or the sizes. */
static uint32_t *vol_of(const struct series *s)
{
    return vol_on ? s->sz + s->ts_cap : s->sz;
}

/* Leave the exact regime: sorted times seed everything streaming. */
static void to_stream(struct series *s)
{
    struct series_stream *st = xcalloc(1, sizeof(*st));
    unpack(s);
    uint32_t n = s->ts_n;
    uint32_t *vol = vol_of(s);
    sort_events(s->ts, s->sz, vol, n);
    /* Pivot: exact median of all intervals seen so far (in ns). */
    double *g = xmalloc(st_mult(2 * (size_t)n, sizeof(*g)));
    sorted_gaps(s->ts, n, g, g + n);
    double pivot = median_sorted(g, n - 1);
    st->burst_ns = burst_window(g, n - 1);
    free(g);
    sketch_init_buckets(&st->sk, pivot, stat_limit);
    sketch_init_buckets(&st->raw, 0, stat_limit);
    sketch_init_buckets(&st->beat, 0, feat_limit);
    sketch_init_buckets(&st->size, 0, feat_limit);
    sketch_init_buckets(&st->bvol, 0, feat_limit);
    st->exact_n = n;
    st->early = n < exact_cap;
    st->coarse = coarsened > 0;
    budget_switched += st->early;
    budget_coarse_groups += st->coarse;
    st->smp_stride = 1;
    st->imin = UINT64_MAX;
    st->imax = 0;
    uint32_t keep = n < SERIES_REORDER ? n : SERIES_REORDER;
    uint32_t fed = n - keep;
    for (uint32_t i = 0; i < fed; i++)
        feed(st, s->ts[i], s->sz[i], vol[i]);
    for (uint32_t i = 0; i < keep; i++) {
        st->ring[i] = s->ts[fed + i];
        st->ring_sz[i] = s->sz[fed + i];
        st->ring_vol[i] = vol[fed + i];
    }
    st->count = keep;
    st->head = 0;
    held_add(sizeof(*st));
    held_sub((uint64_t)s->ts_cap * ev_bytes);
    pthread_mutex_lock(&streams_mu);
    st->next = streams;
    if (streams)
        streams->prev = st;
    streams = st;
    pthread_mutex_unlock(&streams_mu);
    free(s->ts); /* and sz (and the volumes), in the same block */
    s->ts = NULL;
    s->sz = NULL;
    s->ts_n = s->ts_cap = 0;
    s->st = st;
}

/* 1 when a batch was fed (the sketches may have grown). */
void series_stream_prefetch_tail(const struct series_stream *st)
{
    uint32_t pos = (st->head + st->count) % RING;
    __builtin_prefetch(&st->ring[pos], 1);
    __builtin_prefetch(&st->ring_sz[pos], 1);
    __builtin_prefetch(&st->ring_vol[pos], 1);
}

/* Before a run of feed(): its sketches' counters, fetched at once rather
 * than one miss after another as the run reaches each (2 000 groups each
 * have some 13 KB of sketches, which a long capture's drain visits in
 * turn, past the caches). */
static void stream_prefetch(const struct series_stream *st)
{
    sketch_prefetch(&st->sk);
    sketch_prefetch(&st->raw);
    sketch_prefetch(&st->beat);
    sketch_prefetch(&st->size);
    sketch_prefetch(&st->bvol);
}

static int ring_insert(struct series_stream *st, int64_t t, uint32_t size, uint32_t vol)
{
    uint32_t pos = st->count;
    /* shift newer entries up by one, from the tail */
    while (pos > 0) {
        uint32_t prev = (st->head + pos - 1) % RING;
        if (st->ring[prev] <= t)
            break;
        st->ring[(st->head + pos) % RING] = st->ring[prev];
        st->ring_sz[(st->head + pos) % RING] = st->ring_sz[prev];
        st->ring_vol[(st->head + pos) % RING] = st->ring_vol[prev];
        pos--;
    }
    st->ring[(st->head + pos) % RING] = t;
    st->ring_sz[(st->head + pos) % RING] = size;
    st->ring_vol[(st->head + pos) % RING] = vol;
    st->count++;
    if (st->count == RING) {
        stream_prefetch(st);
        for (uint32_t i = 0; i < RING - SERIES_REORDER; i++) {
            feed(st, st->ring[st->head], st->ring_sz[st->head], st->ring_vol[st->head]);
            st->head = (st->head + 1) % RING;
        }
        st->count = SERIES_REORDER;
        return 1;
    }
    return 0;
}

/*
 * The exact regime's events share one block, records while they are added
 * and then ts[] with sz[] right after ts's capacity (unpack()): one
 * allocation per growth instead of two reallocs (malloc's bookkeeping for
 * 50 k small groups, each growing 5 times, was about 4% of a --series
 * packets bench run).  Sets ts_cap to cap (>= ts_n).
 */
static void exact_resize(struct series *s, uint32_t cap)
{
    int64_t *ts = xmalloc(st_mult(cap, ev_bytes));
    if (s->ts_n)
        memcpy(ts, s->ts, (size_t)s->ts_n * ev_bytes); /* records: s->sz is NULL */
    free(s->ts);
    s->ts = ts;
    s->ts_cap = cap;
}

/* A record, with its volume when events carry one. */
static void rec_put(struct series *s, uint32_t i, int64_t t, uint32_t size, uint32_t vol)
{
    if (vol_on)
        series_rec_put_vol(s, i, t, size, vol);
    else
        series_rec_put(s, i, t, size);
}

static void add_slow(struct series *s, int64_t t, uint32_t size, uint32_t vol)
{
    s->n++;
    int64_t prev_first = s->first;
    if (t < s->first)
        s->first = t;
    if (t > s->last)
        s->last = t;
    if (s->st) {
        if (ring_insert(s->st, t, size, vol))
            budget_check();
        return;
    }
    if (s->n == 1) {
        s->first_sz = size; /* one event: it is s->first; no buffer yet */
        s->first_vol = vol;
        return;
    }
    if (s->ts_n == 0) {
        exact_resize(s, 4);
        rec_put(s, 0, prev_first, s->first_sz, s->first_vol); /* the one event so far */
        s->ts_n = 1;
        held_add((uint64_t)s->ts_cap * ev_bytes);
        budget_check();
    }
    /* stage a of the budget: stop where a streaming state would be smaller */
    uint32_t lim = exact_stop < exact_cap ? exact_stop : exact_cap;
    if (s->ts_n < lim) {
        if (s->ts_n == s->ts_cap) {
            /* doubling: a 200-event group is reallocated 5 times, not 9
             * (realloc was 7% of a bench run) */
            uint32_t nc = s->ts_cap < 16 ? 16 : s->ts_cap * 2;
            if (nc > lim)
                nc = lim;
            held_add((uint64_t)(nc - s->ts_cap) * ev_bytes);
            exact_resize(s, nc);
            budget_check();
        }
        rec_put(s, s->ts_n++, t, size, vol);
        return;
    }
    to_stream(s);
    ring_insert(s->st, t, size, vol);
    budget_check();
}

void series_add_slow(struct series *s, int64_t t, uint64_t size64)
{
    uint32_t size = series_clamp_size(size64);
    add_slow(s, t, size, size);
}

void series_add_vol_slow(struct series *s, int64_t t, uint64_t size, uint64_t vol)
{
    add_slow(s, t, series_clamp_size(size), series_clamp_size(vol));
}

/*
 * The gap cache: series_finish() leaves an exact group's sorted gaps (ns) in
 * a buffer of the thread that finished it, for series_features() on the
 * same group (main.c calls them one after the other, group by group, on
 * each finishing thread), whose beat intervals are mostly those gaps.  The
 * buffer is reused from group to group (4.5 doubles an event: the gaps and
 * series_features' scratch) and freed when its thread exits.  A group's
 * entry is valid only while the cache still holds it: the series pointer,
 * its event count and a tag that series_finish stored in the series (in
 * first_sz, unused once an exact list holds two events) must all match, so
 * series_features on another thread, on a released series or without
 * series_finish simply finds no entry.
 */
#define GCACHE_KEEP (4 * 8192) /* doubles kept between groups at most (256 KiB) */

struct gap_cache {
    const struct series *s; /* whose gaps g[0..k) are, or NULL */
    uint32_t tag, k;
    double *g;
    size_t cap;
};

static _Thread_local struct gap_cache gcache;
static _Atomic uint32_t gcache_tags;
static pthread_key_t gcache_key; /* its destructor frees a thread's buffer */
static pthread_once_t gcache_once = PTHREAD_ONCE_INIT;

static void gcache_key_make(void)
{
    if (pthread_key_create(&gcache_key, free))
        abort();
}

/* This thread's buffer with room for need doubles; drops the entry. */
static double *gcache_reserve(size_t need)
{
    struct gap_cache *c = &gcache;
    c->s = NULL;
    if (need > c->cap || (c->cap > GCACHE_KEEP && need <= GCACHE_KEEP)) {
        size_t cap = need > GCACHE_KEEP ? need : GCACHE_KEEP;
        pthread_once(&gcache_once, gcache_key_make);
        free(c->g);
        c->g = xmalloc(st_mult(cap, sizeof(*c->g)));
        c->cap = cap;
        if (pthread_setspecific(gcache_key, c->g))
            abort();
    }
    return c->g;
}

/* Record that this thread's buffer holds s's k sorted gaps. */
static void gcache_hold(struct series *s, uint32_t k)
{
    uint32_t tag = atomic_fetch_add_explicit(&gcache_tags, 1, memory_order_relaxed) + 1;
    if (!tag) /* 0 is never a tag */
        tag = atomic_fetch_add_explicit(&gcache_tags, 1, memory_order_relaxed) + 1;
    gcache.s = s;
    gcache.tag = tag;
    gcache.k = k;
    s->finish_tag = tag;
}

/* s's sorted gaps if this thread's cache holds them, else NULL. */
static const double *gcache_find(const struct series *s)
{
    const struct gap_cache *c = &gcache;
    if (c->s != s || s->st || s->ts_n < 2 || c->k != s->ts_n - 1 || c->tag != s->finish_tag)
        return NULL;
    return c->g;
}

static void finish_exact(struct series *s, struct interval_stats *o)
{
    unpack(s);
    uint32_t n = s->ts_n;
    if (n < 2)
        return;
    sort_events(s->ts, s->sz, vol_of(s), n);
    uint32_t k = n - 1;
    /* One sort of the gaps gives min, max, median, MAD and the burst window
     * (order.h: the same values as selecting on the seconds did).  The
     * sorted gaps stay in the cache for series_features(). */
    /* ns; seconds; scratch; and series_features' beat volumes (n 32-bit) */
    double *g = gcache_reserve(4 * (size_t)n + n / 2 + 1);
    double *iv = g + k;
    for (uint32_t i = 0; i < k; i++)
        g[i] = (double)gap(s->ts[i], s->ts[i + 1]); /* sorted: no wrap */
    o->count = k;
    /* The telescoping sum is exact in integers; use it for the mean. */
    o->mean = (double)gap(s->ts[0], s->ts[n - 1]) * 1e-9 / (double)k;
    if (k >= 2) {
        double m2 = 0; /* summed in time order */
        for (uint32_t i = 0; i < k; i++) {
            double x = g[i] * 1e-9;
            m2 += (x - o->mean) * (x - o->mean);
        }
        o->std = sqrt(m2 / (double)(k - 1));
        o->has_std = 1;
    }
    order_sort(g, g + 2 * k, k);
    for (uint32_t i = 0; i < k; i++)
        iv[i] = g[i] * 1e-9;
    o->min = iv[0];
    o->max = iv[k - 1];
    o->median = median_sorted(iv, k);
    o->mad = mad_sorted(iv, k, o->median);
    s->burst_ns = (uint32_t)burst_window(g, k);
    gcache_hold(s, k);
}

static void flush_ring(struct series_stream *st)
{
    while (st->count) {
        feed(st, st->ring[st->head], st->ring_sz[st->head], st->ring_vol[st->head]);
        st->head = (st->head + 1) % RING;
        st->count--;
    }
}

static void finish_stream(struct series *s, struct interval_stats *o)
{
    struct series_stream *st = s->st;
    flush_ring(st);
    o->count = st->nint;
    o->mean = st->mean;
    if (st->nint >= 2) {
        o->std = sqrt(st->m2 / (double)(st->nint - 1));
        o->has_std = 1;
    }
    o->min = (double)st->imin * 1e-9;
    o->max = (double)st->imax * 1e-9;
    /* Each sketch knows a value within its alpha of its distance to the
     * sketch's pivot: the deviation sketch bounds the median's error by
     * about alpha*|median - pivot|, the raw one by alpha*median.  Take the
     * tighter.  Likewise for the MAD: alpha*(|median - pivot| + MAD) from
     * the deviation sketch, alpha*(median + MAD) from the raw one (better
     * only when the median drifted far from the early pivot). */
    double med, mad, rmed, rmad, err, rerr;
    sketch_median_mad(&st->sk, &med, &mad, &err);
    sketch_median_mad(&st->raw, &rmed, &rmad, &rerr);
    double mad_err = sketch_alpha(&st->sk) * (fabs(med - st->sk.pivot) + mad) + err;
    double rmad_err = sketch_alpha(&st->raw) * (rmed + rmad) + rerr;
    if (rerr < err)
        med = rmed;
    if (rmad_err < mad_err)
        mad = rmad;
    /* the true median lies between the exact extremes: never report it
     * outside them (coarse sketches could) */
    if (med < (double)st->imin)
        med = (double)st->imin;
    if (med > (double)st->imax)
        med = (double)st->imax;
    o->median = med * 1e-9;
    o->mad = mad * 1e-9;
    o->approx = 1;
    o->late = st->late;
    o->exact_events = st->exact_n;
    double a = sketch_alpha(&st->sk), ra = sketch_alpha(&st->raw);
    o->alpha = a > ra ? a : ra;
    o->early = st->early;
    o->coarse = st->coarse;
}

void series_finish(struct series *s, struct interval_stats *o)
{
    memset(o, 0, sizeof(*o));
    if (s->st)
        finish_stream(s, o);
    else
        finish_exact(s, o);
}

double wval_median(struct wval *a, size_t n)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += a[i].w;
    if (!total)
        return 0;
    uint64_t need = (total + 1) / 2; /* 2 * seen >= total */
    size_t lo = 0, hi = n;
    while (hi - lo > 1) {
        double x = a[lo].v, y = a[lo + (hi - lo) / 2].v, z = a[hi - 1].v;
        double piv = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        /* three-way partition: [lo, lt) < piv, [lt, i) == piv, (gt, hi) > piv */
        size_t lt = lo, i = lo, gt = hi;
        uint64_t wl = 0, we = 0;
        while (i < gt) {
            if (a[i].v < piv) {
                struct wval t = a[i];
                a[i++] = a[lt];
                wl += t.w;
                a[lt++] = t;
            } else if (a[i].v > piv) {
                struct wval t = a[i];
                a[i] = a[--gt];
                a[gt] = t;
            } else {
                we += a[i++].w;
            }
        }
        if (need <= wl) {
            hi = lt;
        } else if (need <= wl + we) {
            return piv;
        } else {
            need -= wl + we;
            lo = gt;
        }
    }
    return a[lo].v;
}

static void features_exact(const struct series *s, struct series_features *f)
{
    uint32_t n = s->ts_n;
    if (n == 0) { /* 0 or 1 event, no buffer */
        f->beats = s->n;
        f->active_bins = s->n;
        if (s->n) {
            f->sizes = xmalloc(sizeof(*f->sizes));
            f->sizes[0].v = s->first_sz;
            f->sizes[0].w = 1;
            f->n_sizes = 1;
            f->beat_vol_median = vol_on ? s->first_vol : s->first_sz;
        }
        f->burst_window = 2.0;
        return;
    }
    /* series_finish() sorted the events and found the burst window */
    int64_t w = s->burst_ns;
    f->burst_window = (double)w * 1e-9;
    const double *g = gcache_find(s); /* the sorted gaps, ns */
    double *own = NULL, *u;           /* scratch: 3 doubles an event, then n beat volumes */
    if (g) {
        u = gcache.g + n;
    } else {
        own = xmalloc(st_mult(3 * (size_t)n + n / 2 + 1, sizeof(*own)));
        u = own;
    }
    /* the beats' volumes (a beat's sum saturates at 4 GiB, as an event's
     * volume does), after the 3n doubles */
    uint32_t *bv = (uint32_t *)(u + 3 * (size_t)n);
    const uint32_t *vol = vol_of(s);
    uint64_t vsum = vol[0];
    size_t nbv = 0;
    /* u: every beat interval (ns) in time order; the mixed beats' (below)
     * intervals in x and their last gaps in y, while they fit in n/2 each */
    double *x = u + n, *y = x + n / 2, *tmp = u + 2 * (size_t)n;
    size_t mixed = 0, cap_mixed = g ? n / 2 : 0;
    f->beat_iv = xmalloc(st_mult(n, sizeof(*f->beat_iv)));
    int64_t beat_start = s->ts[0];
    f->beats = 1;
    f->active_bins = 1;
    int64_t last_bin = bin_of(s->ts[0]);
    int64_t next_bin = bin_next(last_bin);
    for (uint32_t i = 1; i < n; i++) {
        uint64_t d = gap(s->ts[i - 1], s->ts[i]);
        if (d >= (uint64_t)w) {
            double iv = (double)gap(beat_start, s->ts[i]);
            u[f->n_beat_iv++] = iv;
            bv[nbv++] = series_clamp_size(vsum);
            vsum = 0;
            if (beat_start != s->ts[i - 1]) { /* the beat had non-zero gaps below w */
                if (mixed < cap_mixed) {
                    x[mixed] = iv;
                    y[mixed] = (double)d;
                }
                mixed++;
            }
            beat_start = s->ts[i];
            f->beats++;
        }
        vsum += vol[i];
        if (s->ts[i] >= next_bin) { /* sorted: divide only on a new bin */
            int64_t b = bin_of(s->ts[i]);
            if (b != last_bin) {
                f->active_bins++;
                last_bin = b;
            }
            next_bin = bin_next(b);
        }
    }
    f->sizes_u32 = s->sz;
    f->n_sizes = n;
    size_t nb = f->n_beat_iv;
    if (g && mixed <= cap_mixed && 2 * mixed <= nb) {
        /* A beat whose events were all at one time (a single event, or
         * simultaneous ones) lasts exactly the gap that ends it: the
         * intervals of those "pure" beats are the gaps >= w (the sorted
         * gaps' tail, as many as there are beats) less the last gaps of the
         * mixed beats.  Those and the mixed intervals are sorted (few), the
         * tail walked without them, and the two merged: the same ascending
         * list as sorting all the intervals, in O(n + mixed log mixed). */
        uint32_t k = n - 1;
        size_t z = k - nb; /* gaps >= w form the tail g[z..k) */
        order_sort(x, tmp, mixed);
        order_sort(y, tmp, mixed);
        size_t gi = z, yi = 0, xi = 0, o = 0;
        while (o < nb) {
            while (yi < mixed && gi < k && g[gi] == y[yi]) { /* a mixed beat's gap */
                gi++;
                yi++;
            }
            /* the smaller of the next pure gap and the next mixed interval */
            int take_x = xi < mixed && (gi >= k || x[xi] < g[gi]);
            double v = take_x ? x[xi++] : g[gi++];
            f->beat_iv[o].v = v * 1e-9;
            f->beat_iv[o++].w = 1;
        }
    } else {
        /* beat intervals sorted in ns (the seconds keep their order) */
        order_sort(u, tmp, nb);
        for (size_t i = 0; i < nb; i++) {
            f->beat_iv[i].v = u[i] * 1e-9;
            f->beat_iv[i].w = 1;
        }
    }
    bv[nbv++] = series_clamp_size(vsum);
    /* sizes stay unsorted in f: only their (lower) median is used, selected
     * here on the integers, cheaper than wval_median() on the weighted list */
    f->size_median = order_select_u32(s->sz, n, (n - 1) / 2);
    f->has_size_median = 1;
    /* A beat an event, whose volume is its size (no volumes): the beats'
     * volumes are the sizes, and so is their median (the packet series of
     * the bench file: 1.3% of a run, perf) */
    if (nbv == n && vol == s->sz)
        f->beat_vol_median = f->size_median;
    else
        f->beat_vol_median = order_select_u32(bv, nbv, (nbv - 1) / 2);
    free(own);
}

/* A sketch (pivot 0, values >= 0) as an ascending weighted list. */
static struct wval *sketch_list(const struct sketch *sk, double scale, size_t *n_out)
{
    size_t k = 0;
    struct wval *a = xmalloc(st_mult((size_t)sk->pos.n + 1, sizeof(*a)));
    if (sk->zero) {
        a[k].v = 0;
        a[k++].w = sk->zero;
    }
    *n_out = k + sketch_side_list(&sk->pos, scale, a + k);
    return a;
}

void series_features(struct series *s, struct series_features *f)
{
    memset(f, 0, sizeof(*f));
    f->events = s->n;
    f->first = s->first;
    f->last = s->last;
    if (!s->st) {
        unpack(s); /* done by series_finish; in case it was not called */
        features_exact(s, f);
        return;
    }
    struct series_stream *st = s->st;
    flush_ring(st);
    f->approx = 1;
    f->beats = st->beats;
    f->active_bins = st->active_bins;
    f->burst_window = (double)st->burst_ns * 1e-9;
    f->beat_iv = sketch_list(&st->beat, 1e-9, &f->n_beat_iv);
    f->sizes = sketch_list(&st->size, 1.0, &f->n_sizes);
    /* ascending: the weighted median is a walk, no selection */
    f->size_median = order_wmedian(f->sizes, f->n_sizes);
    f->has_size_median = 1;
    /* the beat in progress is the last: the series is done (series.h) */
    if (!st->beat_vol_added && st->fed) {
        sketch_add(&st->bvol, (double)series_clamp_size(st->beat_vol));
        st->beat_vol_added = 1;
    }
    size_t nbv;
    struct wval *bv = sketch_list(&st->bvol, 1.0, &nbv);
    f->beat_vol_median = order_wmedian(bv, nbv);
    if (f->beat_vol_median > (double)UINT32_MAX) /* a bucket's value past the saturation */
        f->beat_vol_median = (double)UINT32_MAX;
    free(bv);
}

size_t series_events(const struct series *s, const int64_t **ts, const uint32_t **sz, int *sampled)
{
    static int64_t one_ts;
    static uint32_t one_sz;
    *sampled = 0;
    if (s->st) {
        *ts = s->st->smp_ts;
        *sz = s->st->smp_sz;
        *sampled = 1;
        return s->st->smp_n;
    }
    if (s->ts_n) {
        assert(s->sz); /* after series_finish: arrays, not records */
        *ts = s->ts;
        *sz = s->sz;
        return s->ts_n;
    }
    if (s->n == 1) { /* not thread-safe; pcts is single-threaded here */
        one_ts = s->first;
        one_sz = s->first_sz;
        *ts = &one_ts;
        *sz = &one_sz;
        return 1;
    }
    return 0;
}

struct wval *series_intervals(const struct series *s, size_t *n)
{
    if (s->st)
        return sketch_list(&s->st->raw, 1e-9, n);
    *n = s->ts_n > 1 ? s->ts_n - 1 : 0;
    struct wval *a = xmalloc(st_mult(*n ? *n : 1, sizeof(*a)));
    if (!*n)
        return a;
    assert(s->sz); /* after series_finish: sorted times, not records */
    double *g = xmalloc(st_mult(2 * *n, sizeof(*g)));
    sorted_gaps(s->ts, s->ts_n, g, g + *n);
    for (size_t i = 0; i < *n; i++) {
        a[i].v = g[i] * 1e-9;
        a[i].w = 1;
    }
    free(g);
    return a;
}

void series_features_release(struct series_features *f)
{
    free(f->beat_iv);
    free(f->sizes);
    memset(f, 0, sizeof(*f));
}

void series_release(struct series *s)
{
    held_sub((uint64_t)s->ts_cap * ev_bytes);
    free(s->ts); /* and sz, in the same block */
    if (s->st) {
        struct series_stream *st = s->st;
        pthread_mutex_lock(&streams_mu);
        if (st->prev)
            st->prev->next = st->next;
        else
            streams = st->next;
        if (st->next)
            st->next->prev = st->prev;
        pthread_mutex_unlock(&streams_mu);
        held_sub(sizeof(*st));
        sketch_release(&s->st->sk);
        sketch_release(&s->st->raw);
        sketch_release(&s->st->beat);
        sketch_release(&s->st->size);
        sketch_release(&s->st->bvol);
        free(s->st);
    }
    series_init(s);
}

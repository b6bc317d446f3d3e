/*
 * series.c - see series.h.
 */
#include "series.h"

#include "../util/xalloc.h"
#include "sketch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct series_stream {
    int64_t ring[SERIES_REORDER + 1]; /* sorted pending times, circular (RING) */
    uint32_t head, count;
    int64_t last_fed;
    uint64_t nint;
    double mean, m2; /* Welford, seconds */
    uint64_t imin, imax; /* ns */
    uint64_t late;
    struct sketch sk;  /* deviations from the early median: MAD, median */
    struct sketch raw; /* the intervals themselves: median when it drifted */
};

static uint32_t exact_cap = SERIES_EXACT_CAP;

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

void series_init(struct series *s)
{
    memset(s, 0, sizeof(*s));
    s->first = INT64_MAX;
    s->last = INT64_MIN;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void sort_i64(int64_t *a, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (a[i] < a[i - 1]) {
            qsort(a, n, sizeof(*a), cmp_i64);
            return;
        }
}

/* k-th smallest (0-based) of a[0..n), reordering a: Hoare's quickselect
 * with a median-of-three pivot, O(n) expected.  Sorting every group's
 * intervals with qsort cost ~10% of a bench run. */
static double select_kth(double *a, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        double x = a[lo], y = a[mid], z = a[hi];
        double piv = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        size_t i = lo, j = hi;
        for (;;) {
            while (a[i] < piv)
                i++;
            while (a[j] > piv)
                j--;
            if (i >= j)
                break;
            double t = a[i];
            a[i] = a[j];
            a[j] = t;
            i++;
            j--;
        }
        if (k <= j)
            hi = j;
        else
            lo = j + 1;
    }
    return a[k];
}

/* Median with pandas' even-count rule, reordering a. */
static double median_select(double *a, size_t n)
{
    double hi = select_kth(a, n, n / 2);
    if (n & 1)
        return hi;
    /* after selecting n/2, everything before it is <= it: the lower
     * middle is the maximum of that part */
    double lo = a[0];
    for (size_t i = 1; i < n / 2; i++)
        if (a[i] > lo)
            lo = a[i];
    return (lo + hi) / 2.0;
}


static void feed(struct series_stream *st, int64_t t)
{
    if (t < st->last_fed) {
        st->late++;
        t = st->last_fed;
    }
    /* t >= last_fed, so the gap fits in 64 unsigned bits even when the
     * times are at opposite ends of the int64 range. */
    uint64_t d = (uint64_t)t - (uint64_t)st->last_fed;
    st->last_fed = t;
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
}

/* Leave the exact regime: sorted times seed Welford and the sketch pivot. */
static void to_stream(struct series *s)
{
    struct series_stream *st = xcalloc(1, sizeof(*st));
    uint32_t n = s->ts_n;
    sort_i64(s->ts, n);
    /* Pivot: exact median of all intervals seen so far. */
    double *iv = xmalloc(st_mult(n, sizeof(double)));
    for (uint32_t i = 1; i < n; i++)
        iv[i - 1] = (double)((uint64_t)s->ts[i] - (uint64_t)s->ts[i - 1]);
    double pivot = median_select(iv, n - 1);
    free(iv);
    sketch_init(&st->sk, pivot);
    sketch_init(&st->raw, 0);
    st->imin = UINT64_MAX;
    st->imax = 0;
    uint32_t keep = n < SERIES_REORDER ? n : SERIES_REORDER;
    uint32_t fed = n - keep;
    st->last_fed = s->ts[0];
    for (uint32_t i = 1; i < fed; i++)
        feed(st, s->ts[i]);
    if (fed == 0) /* cannot happen with EXACT_CAP > REORDER, kept for safety */
        st->last_fed = s->ts[0];
    for (uint32_t i = 0; i < keep; i++)
        st->ring[i] = s->ts[fed + i];
    st->count = keep;
    st->head = 0;
    free(s->ts);
    s->ts = NULL;
    s->ts_n = s->ts_cap = 0;
    s->st = st;
}

#define RING (SERIES_REORDER + 1) /* a power of two: % is a mask */

static void ring_insert(struct series_stream *st, int64_t t)
{
    uint32_t pos = st->count;
    /* shift newer entries up by one, from the tail */
    while (pos > 0) {
        uint32_t prev = (st->head + pos - 1) % RING;
        if (st->ring[prev] <= t)
            break;
        st->ring[(st->head + pos) % RING] = st->ring[prev];
        pos--;
    }
    st->ring[(st->head + pos) % RING] = t;
    st->count++;
    if (st->count > SERIES_REORDER) {
        feed(st, st->ring[st->head]);
        st->head = (st->head + 1) % RING;
        st->count--;
    }
}

void series_add_slow(struct series *s, int64_t t)
{
    s->n++;
    if (t < s->first)
        s->first = t;
    if (t > s->last)
        s->last = t;
    if (s->st) {
        ring_insert(s->st, t);
        return;
    }
    if (s->n == 1)
        return; /* one event: it is s->first; no buffer until a second one */
    if (s->ts_n == 0) {
        s->ts_cap = 4;
        s->ts = xmalloc(st_mult(s->ts_cap, sizeof(*s->ts)));
        s->ts[s->ts_n++] = s->first == t ? s->last : s->first;
    }
    if (s->ts_n < exact_cap) {
        ALLOC_GROW(s->ts, (size_t)s->ts_n + 1, s->ts_cap);
        if (s->ts_cap > exact_cap)
            s->ts_cap = exact_cap; /* the allocation is at least this big */
        s->ts[s->ts_n++] = t;
        return;
    }
    to_stream(s);
    ring_insert(s->st, t);
}

static void finish_exact(struct series *s, struct interval_stats *o)
{
    uint32_t n = s->ts_n;
    if (n < 2)
        return;
    sort_i64(s->ts, n);
    uint32_t k = n - 1;
    double *iv = xmalloc(st_mult(k, sizeof(double)));
    uint64_t mn = UINT64_MAX, mx = 0;
    for (uint32_t i = 0; i < k; i++) {
        uint64_t d = (uint64_t)s->ts[i + 1] - (uint64_t)s->ts[i]; /* sorted: no wrap */
        mn = d < mn ? d : mn;
        mx = d > mx ? d : mx;
        iv[i] = (double)d * 1e-9;
    }
    o->count = k;
    /* The telescoping sum is exact in integers; use it for the mean. */
    o->mean = (double)((uint64_t)s->ts[n - 1] - (uint64_t)s->ts[0]) * 1e-9 / (double)k;
    if (k >= 2) {
        double m2 = 0;
        for (uint32_t i = 0; i < k; i++)
            m2 += (iv[i] - o->mean) * (iv[i] - o->mean);
        o->std = sqrt(m2 / (double)(k - 1));
        o->has_std = 1;
    }
    o->min = (double)mn * 1e-9;
    o->max = (double)mx * 1e-9;
    o->median = median_select(iv, k);
    for (uint32_t i = 0; i < k; i++)
        iv[i] = fabs(iv[i] - o->median);
    o->mad = median_select(iv, k);
    free(iv);
}

static void finish_stream(struct series *s, struct interval_stats *o)
{
    struct series_stream *st = s->st;
    while (st->count) {
        feed(st, st->ring[st->head]);
        st->head = (st->head + 1) % RING;
        st->count--;
    }
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
    o->median = med * 1e-9;
    o->mad = mad * 1e-9;
    o->approx = 1;
    o->late = st->late;
}

void series_finish(struct series *s, struct interval_stats *o)
{
    memset(o, 0, sizeof(*o));
    if (s->st)
        finish_stream(s, o);
    else
        finish_exact(s, o);
}

void series_release(struct series *s)
{
    free(s->ts);
    if (s->st) {
        sketch_release(&s->st->sk);
        sketch_release(&s->st->raw);
        free(s->st);
    }
    series_init(s);
}

/*
 * sketch.c - see sketch.h.
 */
#include "sketch.h"

#include "../util/xalloc.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of all sketches' counter arrays (cap * cell size), process-wide:
 * changed only where an array is allocated, resized or freed, never per
 * value.  Relaxed atomics: sketches can still grow while groups finish on
 * several threads. */
static _Atomic uint64_t counter_bytes;

static void account(size_t old_bytes, size_t new_bytes)
{
    if (new_bytes > old_bytes)
        atomic_fetch_add_explicit(&counter_bytes, new_bytes - old_bytes, memory_order_relaxed);
    else if (old_bytes > new_bytes)
        atomic_fetch_sub_explicit(&counter_bytes, old_bytes - new_bytes, memory_order_relaxed);
}

uint64_t sketch_memory_used(void)
{
    return atomic_load_explicit(&counter_bytes, memory_order_relaxed);
}

/* log((1 + SKETCH_ALPHA) / (1 - SKETCH_ALPHA)), a constant so that no
 * lazily initialised static is shared by the threads that finish groups;
 * test_stats checks it against log(). */
double sketch_log_gamma0(void)
{
    return 0.010000083334583179;
}

static double log_gamma0(void)
{
    return sketch_log_gamma0();
}

/* Level-0 bucket of a > 0, computed: ceil(log(a) / log(g0)), 0 at and
 * below 1 (sub-ns parts of a pivot that is a mean of two intervals count
 * as 1 ns).  ceil() is a libm call on baseline x86-64, so truncation plus
 * one when x had a fraction (exact for 0 < x < 2^31; |log(a)| / 0.01 is at
 * most about 75 000 for doubles). */
__attribute__((noinline)) static int32_t bucket0_log(double a)
{
    double x = log(a) / log_gamma0();
    if (!(x > 0))
        return 0;
    int32_t t = (int32_t)x;
    return t + (x > (double)t);
}

/*
 * The same, without log(), for 1 < a < 2^64 (every interval and size):
 * this runs for every sketch update, four an event in the streaming
 * regime, and the log, the division and the truncation were 15-20% of a
 * run where most events stream (10 M packets over 2 000 pairs, perf).
 * The tables hold what bucket0_log itself gives, so the result is its own:
 *  - b0_thr[i]: the smallest double whose bucket0_log is at least i, found
 *    by bisection over the doubles' bit patterns (positive doubles order as
 *    their bits do);
 *  - b0_start[]: bucket0_log at the start of each 1/64 slice of a binade
 *    (exponent and top 6 mantissa bits).  A slice spans at most log(1 +
 *    1/64) / log(g0) = 1.55 buckets, so a value is at most two thresholds
 *    above its slice's start.
 * That is bucket0_log exactly where bucket0_log never decreases as a
 * grows; test_stats (test_sketch_bucket0_is_the_formula) checks every
 * bucket end's neighbourhood, the only place where log()'s rounding could
 * break that.
 */
enum { B0_SLICE_BITS = 6, B0_BINADES = 64, B0_THR = 4448 };
static int16_t b0_start[B0_BINADES << B0_SLICE_BITS]; /* 8 KiB: most stay in L1 */
static double b0_thr[B0_THR];                         /* [1 .. last + 1]; then +inf */
static pthread_once_t b0_once = PTHREAD_ONCE_INIT;
/* Set (release) at b0_init's end: a load of it (acquire, a plain load on
 * x86) is the common case's test, where a call to pthread_once() a bucket
 * was 5% of the streaming path's instructions (callgrind). */
static atomic_int b0_ready;

static double from_bits(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof(d));
    return d;
}

static uint64_t to_bits(double d)
{
    uint64_t b;
    memcpy(&b, &d, sizeof(b));
    return b;
}

static void b0_init(void)
{
    int32_t last = bucket0_log(from_bits(to_bits(0x1p64) - 1)); /* below 2^64 */
    if (last + 3 > B0_THR)
        abort(); /* B0_THR too small for log_gamma0(): a build error, not input */
    for (int32_t i = 1; i <= last + 1 && i < B0_THR; i++) {
        /* bucket i starts just above g0^(i-1) */
        uint64_t mid = to_bits(exp((double)(i - 1) * log_gamma0())), lo = mid, hi = mid;
        for (uint64_t w = 1; lo > to_bits(1.0) && bucket0_log(from_bits(lo)) >= i; w *= 2)
            lo = lo - to_bits(1.0) > w ? lo - w : to_bits(1.0); /* 1.0 is in bucket 0 */
        for (uint64_t w = 1; bucket0_log(from_bits(hi)) < i; w *= 2)
            hi += w;
        while (hi - lo > 1) { /* bucket0_log(lo) < i <= bucket0_log(hi) */
            uint64_t m = lo + (hi - lo) / 2;
            if (bucket0_log(from_bits(m)) >= i)
                hi = m;
            else
                lo = m;
        }
        b0_thr[i] = from_bits(hi);
    }
    for (int32_t i = last + 2; i < B0_THR; i++)
        b0_thr[i] = INFINITY;
    for (uint64_t k = 0; k < (uint64_t)B0_BINADES << B0_SLICE_BITS; k++)
        b0_start[k] = (int16_t)bucket0_log(from_bits((to_bits(1.0) + (k << (52 - B0_SLICE_BITS)))));
    atomic_store_explicit(&b0_ready, 1, memory_order_release);
}

static int32_t bucket0(double a)
{
    if (!(a > 1 && a < 0x1p64))
        return bucket0_log(a);
    if (!atomic_load_explicit(&b0_ready, memory_order_acquire))
        pthread_once(&b0_once, b0_init);
    uint64_t k = (to_bits(a) - to_bits(1.0)) >> (52 - B0_SLICE_BITS);
    int32_t i = b0_start[k];
    /* the two loads at once (the ends ascend: past the second is past the first) */
    return i + (a >= b0_thr[i + 1]) + (a >= b0_thr[i + 2]);
}

int32_t sketch_bucket0(double a)
{
    return bucket0(a);
}

/* Bucket at level L: ceil(i0 / 2^L), exact for the nested grids. */
static int32_t at_level(int32_t i0, unsigned level)
{
    return (int32_t)(((int64_t)i0 + ((int64_t)1 << level) - 1) >> level);
}

double sketch_side_alpha(const struct sketch_side *sd)
{
    double g = exp(log_gamma0() * (double)(1u << sd->level));
    return (g - 1) / (g + 1);
}

double sketch_alpha(const struct sketch *s)
{
    double al = sketch_side_alpha(&s->pos), an = sketch_side_alpha(&s->neg);
    return al > an ? al : an;
}

void sketch_init_buckets(struct sketch *s, double pivot, uint32_t buckets)
{
    memset(s, 0, sizeof(*s));
    s->pivot = pivot;
    s->pos.limit = s->neg.limit = buckets < 16 ? 16 : buckets;
}

void sketch_init(struct sketch *s, double pivot)
{
    sketch_init_buckets(s, pivot, SKETCH_MAX_BUCKETS);
}

static uint32_t side_limit(const struct sketch_side *sd)
{
    return sd->limit ? sd->limit : SKETCH_MAX_BUCKETS; /* a zeroed sketch */
}

static size_t cell(const struct sketch_side *sd)
{
    return sd->wide ? sizeof(uint32_t) : sizeof(uint16_t);
}

static void side_reserve(struct sketch_side *sd, uint32_t need)
{
    if (need <= sd->cap)
        return;
    uint32_t nc = sd->cap * 2 > need ? sd->cap * 2 : need;
    if (nc < 16)
        nc = 16;
    if (nc > side_limit(sd))
        nc = side_limit(sd);
    size_t c = cell(sd);
    sd->cnt = xrealloc(sd->cnt, st_mult(nc, c));
    memset((char *)sd->cnt + sd->cap * c, 0, (nc - sd->cap) * c);
    account(sd->cap * c, nc * c);
    sd->cap = nc;
}

/*
 * Counters start at 16 bits: most groups never count 65535 values in one
 * bucket, and half-width counters halve the memory of every sketch (the
 * 100 M-packet bench went from 1.03 GB to under 1 GB with this).  The first
 * counter that would overflow widens the whole side to 32 bits.
 */
static void widen(struct sketch_side *sd)
{
    uint32_t *w = xmalloc(st_mult(sd->cap ? sd->cap : 1, sizeof(uint32_t)));
    const uint16_t *c16 = sd->cnt;
    for (uint32_t i = 0; i < sd->cap; i++)
        w[i] = c16[i];
    free(sd->cnt);
    account(sd->cap * sizeof(uint16_t), sd->cap * sizeof(uint32_t));
    sd->cnt = w;
    sd->wide = 1;
}

static void bump(struct sketch_side *sd, uint32_t i, uint64_t by)
{
    if (!sd->wide) {
        uint16_t *c16 = sd->cnt;
        if (c16[i] + by <= UINT16_MAX) {
            c16[i] = (uint16_t)(c16[i] + by);
            return;
        }
        widen(sd);
    }
    uint32_t *c = sd->cnt;
    uint64_t v = c[i] + by;
    c[i] = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static void set_zero(struct sketch_side *sd, uint32_t i)
{
    if (sd->wide)
        ((uint32_t *)sd->cnt)[i] = 0;
    else
        ((uint16_t *)sd->cnt)[i] = 0;
}

/* Merge adjacent buckets: index i becomes ceil(i/2).  In place: the new
 * position of bucket k is never above k. */
static void collapse(struct sketch_side *sd)
{
    int32_t new_lo = at_level(sd->lo, 1);
    uint32_t new_n = 0;
    for (uint32_t k = 0; k < sd->n; k++) {
        uint32_t c = sketch_count(sd, k);
        set_zero(sd, k);
        uint32_t pos = (uint32_t)(at_level(sd->lo + (int32_t)k, 1) - new_lo);
        bump(sd, pos, c);
        if (pos + 1 > new_n)
            new_n = pos + 1;
    }
    sd->lo = new_lo;
    sd->n = new_n;
    sd->level++;
}

/* Count one value whose level-0 bucket is i0.  Invariant: cnt[n, cap) is
 * zero and n <= limit. */
__attribute__((noinline)) static void side_add(struct sketch_side *sd, int32_t i0)
{
    int32_t idx = at_level(i0, sd->level);
    if (sd->n == 0) {
        side_reserve(sd, 16);
        sd->lo = idx;
        sd->n = 1;
        bump(sd, 0, 1);
        return;
    }
    for (;;) {
        int32_t lo = idx < sd->lo ? idx : sd->lo;
        int32_t hi = sd->lo + (int32_t)sd->n - 1;
        if (idx > hi)
            hi = idx;
        if ((uint32_t)(hi - lo) + 1 <= side_limit(sd))
            break;
        collapse(sd);
        idx = at_level(i0, sd->level);
    }
    if (idx < sd->lo) {
        uint32_t shift = (uint32_t)(sd->lo - idx);
        side_reserve(sd, sd->n + shift);
        size_t c = cell(sd);
        memmove((char *)sd->cnt + shift * c, sd->cnt, sd->n * c);
        memset(sd->cnt, 0, shift * c);
        sd->lo = idx;
        sd->n += shift;
    } else if ((uint32_t)(idx - sd->lo) >= sd->n) {
        uint32_t need = (uint32_t)(idx - sd->lo) + 1;
        side_reserve(sd, need);
        sd->n = need;
    }
    bump(sd, (uint32_t)(idx - sd->lo), 1);
}

void sketch_set_limit(struct sketch *s, uint32_t buckets)
{
    if (buckets < 16)
        buckets = 16;
    struct sketch_side *sides[2] = {&s->pos, &s->neg};
    for (int k = 0; k < 2; k++) {
        struct sketch_side *sd = sides[k];
        sd->limit = buckets;
        while (sd->n > buckets)
            collapse(sd); /* ranks kept, resolution halved */
        if (sd->cap > buckets) {
            size_t c = cell(sd);
            sd->cnt = xrealloc(sd->cnt, st_mult(buckets, c));
            account(sd->cap * c, buckets * c);
            sd->cap = buckets; /* cnt[n, cap) is still zero */
        }
    }
}

/* Fetch the counters in use of a side, up to SKETCH_PREFETCH_LINES lines. */
#define SKETCH_PREFETCH_LINES 16
static void side_prefetch(const struct sketch_side *sd)
{
    const char *p = sd->cnt;
    size_t bytes = (size_t)sd->n * cell(sd);
    if (bytes > SKETCH_PREFETCH_LINES * 64)
        bytes = SKETCH_PREFETCH_LINES * 64;
    for (size_t o = 0; o < bytes; o += 64)
        __builtin_prefetch(p + o, 1);
}

void sketch_prefetch(const struct sketch *s)
{
    side_prefetch(&s->pos);
    side_prefetch(&s->neg);
}

void sketch_add(struct sketch *s, double x)
{
    s->total++;
    /* Deviations in ns as doubles: exact below 2^53 ns (104 days). */
    double y = x - s->pivot;
    if (y == 0) {
        s->zero++;
        return;
    }
    struct sketch_side *sd = y > 0 ? &s->pos : &s->neg;
    int32_t i0 = bucket0(fabs(y));
    /* The common case, what side_add() does for it: a bucket in use (the
     * range, and so the level, stay) and a 16-bit counter with room.  Its
     * calls and tests were about 110 instructions an update, four updates
     * an event in the streaming regime (callgrind). */
    uint32_t off = (uint32_t)(at_level(i0, sd->level) - sd->lo);
    if (off < sd->n && !sd->wide) {
        uint16_t *c = sd->cnt;
        if (c[off] < UINT16_MAX) {
            c[off]++;
            return;
        }
    }
    side_add(sd, i0);
}

/* Representative of bucket i at a level: the point with equal relative
 * error to both ends, 2 g^i / (g + 1). */
static double rep(int32_t i, unsigned level)
{
    double lg = log_gamma0() * (double)(1u << level);
    return 2.0 * exp((double)i * lg) / (exp(lg) + 1.0);
}

double sketch_bucket_value(const struct sketch_side *sd, uint32_t i)
{
    return rep(sd->lo + (int32_t)i, sd->level);
}

/* Value at 0-based rank k of a weighted, sorted list. */
static double at_rank(const struct wval *a, size_t n, uint64_t k)
{
    uint64_t seen = 0;
    for (size_t i = 0; i < n; i++) {
        seen += a[i].w;
        if (k < seen)
            return a[i].v;
    }
    return n ? a[n - 1].v : 0;
}

static double weighted_median(const struct wval *a, size_t n, uint64_t total)
{
    if (total == 0)
        return 0;
    if (total & 1)
        return at_rank(a, n, total / 2);
    return (at_rank(a, n, total / 2 - 1) + at_rank(a, n, total / 2)) / 2.0;
}

double sketch_bucket_ratio(const struct sketch_side *sd)
{
    return exp(log_gamma0() * (double)(1u << sd->level));
}

/*
 * The non-empty buckets of a side, ascending, into a[]: the positive side
 * as (value * scale, count) from the lowest bucket up, the negative side as
 * (-value * scale, count) from its highest bucket down.  Representatives
 * grow by the bucket ratio g from one bucket to the next, so there is one
 * exp() per side (the drift over 2048 steps is below 1e-12 relative, far
 * inside alpha).  An exp() per bucket and a qsort were most of the
 * end-of-run cost of the streaming regime.
 */
static size_t side_list(const struct sketch_side *sd, int negative, double scale, struct wval *a)
{
    size_t k = 0;
    if (sd->n == 0)
        return 0;
    double g = sketch_bucket_ratio(sd);
    int32_t first = negative ? sd->lo + (int32_t)sd->n - 1 : sd->lo;
    double r = rep(first, sd->level) * scale, step = negative ? 1.0 / g : g;
    for (uint32_t j = 0; j < sd->n; j++, r *= step) {
        uint32_t c = sketch_count(sd, negative ? sd->n - 1 - j : j);
        if (c) {
            a[k].v = negative ? -r : r;
            a[k++].w = c;
        }
    }
    return k;
}

size_t sketch_side_list(const struct sketch_side *sd, double scale, struct wval *a)
{
    return side_list(sd, 0, scale, a);
}

void sketch_median_mad(const struct sketch *s, double *median, double *mad, double *err_bound)
{
    size_t n = (size_t)s->pos.n + s->neg.n + 1;
    struct wval *a = xmalloc(st_mult(n, sizeof(*a)));
    struct wval *d = xmalloc(st_mult(n, sizeof(*d)));
    size_t k = side_list(&s->neg, 1, 1.0, a);
    uint64_t total = 0;
    if (s->zero) {
        a[k].v = 0;
        a[k++].w = s->zero;
    }
    k += side_list(&s->pos, 0, 1.0, a + k);
    for (size_t i = 0; i < k; i++)
        total += a[i].w;
    double med = weighted_median(a, k, total);
    /* Each middle value is within alpha/(1-alpha) of its bucket's
     * representative (relative to the representative), and deviations
     * below 1 ns all count as 1 ns. */
    double mid_abs = 0;
    if (total) {
        double r1 = fabs(at_rank(a, k, (total - 1) / 2)), r2 = fabs(at_rank(a, k, total / 2));
        mid_abs = r1 > r2 ? r1 : r2;
    }
    /* Absolute deviations, ascending: merge the values below the median
     * (walked down) with those at or above it (walked up). */
    size_t p = 0;
    while (p < k && a[p].v < med)
        p++;
    size_t lo = p, hi = p, m = 0;
    while (lo > 0 || hi < k) {
        double dl = lo > 0 ? med - a[lo - 1].v : 0, dh = hi < k ? a[hi].v - med : 0;
        if (hi >= k || (lo > 0 && dl <= dh)) {
            d[m].v = dl;
            d[m++].w = a[--lo].w;
        } else {
            d[m].v = dh;
            d[m++].w = a[hi++].w;
        }
    }
    *mad = weighted_median(d, m, total);
    *median = s->pivot + med;
    if (err_bound) {
        double al = sketch_alpha(s);
        *err_bound = al / (1 - al) * mid_abs + 1.0;
    }
    free(a);
    free(d);
}

void sketch_release(struct sketch *s)
{
    account(s->pos.cap * cell(&s->pos) + s->neg.cap * cell(&s->neg), 0);
    free(s->pos.cnt);
    free(s->neg.cnt);
    memset(s, 0, sizeof(*s));
}

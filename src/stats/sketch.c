/*
 * sketch.c - see sketch.h.
 */
#include "sketch.h"

#include "../util/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double log_gamma(void)
{
    return log((1.0 + SKETCH_ALPHA) / (1.0 - SKETCH_ALPHA));
}

void sketch_init(struct sketch *s, int64_t pivot)
{
    memset(s, 0, sizeof(*s));
    s->pivot = pivot;
}

/* Invariant: cnt[n, cap) is all zero, so growing n needs no clearing. */
static void side_add(struct sketch_side *sd, int32_t idx)
{
    if (sd->n == 0) {
        sd->cap = 16;
        sd->cnt = xcalloc(sd->cap, sizeof(uint32_t));
        sd->lo = idx;
        sd->n = 1;
        sd->cnt[0] = 1;
        return;
    }
    if (idx < sd->lo) {
        uint32_t shift = (uint32_t)(sd->lo - idx);
        if ((uint64_t)sd->n + shift > SKETCH_MAX_BUCKETS) {
            /* Collapse: this value lands in the lowest kept bucket. */
            if (sd->cnt[0] < UINT32_MAX)
                sd->cnt[0]++;
            return;
        }
        uint32_t need = sd->n + shift;
        if (need > sd->cap) {
            uint32_t nc = sd->cap * 2 > need ? sd->cap * 2 : need;
            if (nc > SKETCH_MAX_BUCKETS)
                nc = SKETCH_MAX_BUCKETS;
            sd->cnt = xrealloc(sd->cnt, st_mult(nc, sizeof(uint32_t)));
            memset(sd->cnt + sd->cap, 0, (nc - sd->cap) * sizeof(uint32_t));
            sd->cap = nc;
        }
        memmove(sd->cnt + shift, sd->cnt, sd->n * sizeof(uint32_t));
        memset(sd->cnt, 0, shift * sizeof(uint32_t));
        sd->lo = idx;
        sd->n = need;
    } else if ((uint32_t)(idx - sd->lo) >= sd->n) {
        uint32_t need = (uint32_t)(idx - sd->lo) + 1;
        if (need > SKETCH_MAX_BUCKETS) {
            /* Drop the lowest buckets into the new lowest to make room. */
            uint32_t drop = need - SKETCH_MAX_BUCKETS;
            if (drop >= sd->n) {
                uint64_t all = 0;
                for (uint32_t i = 0; i < sd->n; i++)
                    all += sd->cnt[i];
                memset(sd->cnt, 0, sd->n * sizeof(uint32_t));
                sd->lo = idx - SKETCH_MAX_BUCKETS + 1;
                sd->cnt[0] = all > UINT32_MAX ? UINT32_MAX : (uint32_t)all;
                sd->n = 1;
            } else {
                uint64_t sum = 0;
                for (uint32_t i = 0; i <= drop; i++)
                    sum += sd->cnt[i];
                memmove(sd->cnt, sd->cnt + drop, (sd->n - drop) * sizeof(uint32_t));
                memset(sd->cnt + (sd->n - drop), 0, drop * sizeof(uint32_t));
                sd->cnt[0] = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
                sd->n -= drop;
                sd->lo += (int32_t)drop;
            }
            need = (uint32_t)(idx - sd->lo) + 1;
        }
        if (need > sd->cap) {
            uint32_t nc = sd->cap * 2 > need ? sd->cap * 2 : need;
            if (nc > SKETCH_MAX_BUCKETS)
                nc = SKETCH_MAX_BUCKETS;
            sd->cnt = xrealloc(sd->cnt, st_mult(nc, sizeof(uint32_t)));
            memset(sd->cnt + sd->cap, 0, (nc - sd->cap) * sizeof(uint32_t));
            sd->cap = nc;
        }
        if (need > sd->n)
            sd->n = need;
    }
    uint32_t *c = &sd->cnt[idx - sd->lo];
    if (*c < UINT32_MAX)
        (*c)++;
}

void sketch_add(struct sketch *s, int64_t x)
{
    s->total++;
    /* Deviation in ns as a double: exact below 2^53 ns (104 days). */
    double y = (double)x - (double)s->pivot;
    if (y == 0) {
        s->zero++;
        return;
    }
    double a = fabs(y);
    int32_t idx = (int32_t)ceil(log(a) / log_gamma());
    side_add(y > 0 ? &s->pos : &s->neg, idx);
}

/* Representative of bucket i: the point with equal relative error to both
 * ends, 2 gamma^i / (gamma + 1). */
static double rep(int32_t i)
{
    double g = (1.0 + SKETCH_ALPHA) / (1.0 - SKETCH_ALPHA);
    return 2.0 * exp((double)i * log_gamma()) / (g + 1.0);
}

struct wv {
    double v;
    uint64_t w;
};

static int cmp_wv(const void *a, const void *b)
{
    double x = ((const struct wv *)a)->v, y = ((const struct wv *)b)->v;
    return (x > y) - (x < y);
}

/* Value at 0-based rank k of a weighted, sorted list. */
static double at_rank(const struct wv *a, size_t n, uint64_t k)
{
    uint64_t seen = 0;
    for (size_t i = 0; i < n; i++) {
        seen += a[i].w;
        if (k < seen)
            return a[i].v;
    }
    return n ? a[n - 1].v : 0;
}

static double weighted_median(const struct wv *a, size_t n, uint64_t total)
{
    if (total == 0)
        return 0;
    if (total & 1)
        return at_rank(a, n, total / 2);
    return (at_rank(a, n, total / 2 - 1) + at_rank(a, n, total / 2)) / 2.0;
}

void sketch_median_mad(const struct sketch *s, double *median, double *mad)
{
    size_t n = (size_t)s->pos.n + s->neg.n + 1;
    struct wv *a = xmalloc(st_mult(n, sizeof(*a)));
    size_t k = 0;
    uint64_t total = 0;
    for (uint32_t i = 0; i < s->neg.n; i++)
        if (s->neg.cnt[i]) {
            a[k].v = -rep(s->neg.lo + (int32_t)i);
            a[k++].w = s->neg.cnt[i];
        }
    if (s->zero) {
        a[k].v = 0;
        a[k++].w = s->zero;
    }
    for (uint32_t i = 0; i < s->pos.n; i++)
        if (s->pos.cnt[i]) {
            a[k].v = rep(s->pos.lo + (int32_t)i);
            a[k++].w = s->pos.cnt[i];
        }
    for (size_t i = 0; i < k; i++)
        total += a[i].w;
    qsort(a, k, sizeof(*a), cmp_wv);
    double med = weighted_median(a, k, total);
    for (size_t i = 0; i < k; i++)
        a[i].v = fabs(a[i].v - med);
    qsort(a, k, sizeof(*a), cmp_wv);
    *mad = weighted_median(a, k, total);
    *median = (double)s->pivot + med;
    free(a);
}

void sketch_release(struct sketch *s)
{
    free(s->pos.cnt);
    free(s->neg.cnt);
    memset(s, 0, sizeof(*s));
}

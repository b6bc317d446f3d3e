/*
 * test_stats.c - interval statistics (series.h) and the median/MAD sketch
 * (sketch.h) against an independent, deliberately simple computation:
 * sort the times, take differences, sum in long double, sort again for the
 * median and the MAD.  Nothing here shares code with src/stats.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <math.h>

#include "stats/series.h"
#include "stats/sketch.h"
#include "util.h"

/* ---- independent reference -------------------------------------------- */

struct ref {
    uint64_t count;
    double mean, std, min, max, median, mad; /* seconds */
    int has_std;
};

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_ld(const void *a, const void *b)
{
    long double x = *(const long double *)a, y = *(const long double *)b;
    return (x > y) - (x < y);
}

/* Median of a sorted array, mean of the two middle values for even n. */
static long double median_of_sorted(const long double *v, size_t n)
{
    return n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void ref_stats(const int64_t *times, size_t n, struct ref *r)
{
    memset(r, 0, sizeof(*r));
    if (n < 2)
        return;
    int64_t *t = malloc(n * sizeof(*t));
    memcpy(t, times, n * sizeof(*t));
    qsort(t, n, sizeof(*t), cmp_i64);
    size_t k = n - 1;
    long double *iv = malloc(k * sizeof(*iv));
    long double sum = 0;
    for (size_t i = 0; i < k; i++) {
        iv[i] = (long double)(t[i + 1] - t[i]) * 1e-9L;
        sum += iv[i];
    }
    long double mean = sum / (long double)k;
    long double m2 = 0;
    for (size_t i = 0; i < k; i++)
        m2 += (iv[i] - mean) * (iv[i] - mean);
    r->count = k;
    r->mean = (double)mean;
    if (k >= 2) {
        r->has_std = 1;
        r->std = (double)sqrtl(m2 / (long double)(k - 1));
    }
    qsort(iv, k, sizeof(*iv), cmp_ld);
    r->min = (double)iv[0];
    r->max = (double)iv[k - 1];
    long double med = median_of_sorted(iv, k);
    r->median = (double)med;
    for (size_t i = 0; i < k; i++)
        iv[i] = fabsl(iv[i] - med);
    qsort(iv, k, sizeof(*iv), cmp_ld);
    r->mad = (double)median_of_sorted(iv, k);
    free(iv);
    free(t);
}

/* ---- helpers ------------------------------------------------------------- */

#define assert_close(got, want, rel, abs_)                                                         \
    assert_close_((got), (want), (rel), (abs_), #got, __FILE__, __LINE__)

static void assert_close_(double got, double want, double rel, double abs_, const char *what,
                          const char *file, int line)
{
    double tol = fmax(rel * fabs(want), abs_);
    if (!(fabs(got - want) <= tol)) {
        print_error("%s = %.17g, expected %.17g (|diff| %.3g > tol %.3g)\n", what, got, want,
                    fabs(got - want), tol);
        _fail(file, line);
    }
}

static void run_series(const int64_t *t, size_t n, struct interval_stats *o)
{
    struct series s;
    series_init(&s);
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        series_add(&s, t[i], 100);
        lo = t[i] < lo ? t[i] : lo;
        hi = t[i] > hi ? t[i] : hi;
    }
    assert_int_equal(s.n, n);
    if (n) {
        assert_true(s.first == lo);
        assert_true(s.last == hi);
    }
    series_finish(&s, o);
    series_release(&s);
}

static void assert_no_nan(const struct interval_stats *o)
{
    assert_false(isnan(o->mean) || isnan(o->std) || isnan(o->min) || isnan(o->max) ||
                 isnan(o->median) || isnan(o->mad));
}

/* Exact-regime results must equal the reference up to rounding. */
static void assert_matches_ref_exactly(const struct interval_stats *o, const struct ref *r)
{
    assert_int_equal(o->count, r->count);
    assert_int_equal(o->has_std, r->has_std);
    assert_int_equal(o->approx, 0);
    assert_int_equal(o->late, 0);
    assert_close(o->mean, r->mean, 1e-12, 1e-15);
    if (r->has_std)
        assert_close(o->std, r->std, 1e-9, 1e-12);
    assert_close(o->min, r->min, 1e-15, 1e-15);
    assert_close(o->max, r->max, 1e-15, 1e-15);
    assert_close(o->median, r->median, 1e-12, 1e-15);
    assert_close(o->mad, r->mad, 1e-9, 1e-12);
}

static void shuffle(int64_t *a, size_t n, uint64_t *seed)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rng_below(seed, i);
        int64_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

static const int64_t EPOCH = 1700000000LL * 1000000000LL; /* Nov 2023, in ns */

/* ---- series: small counts ------------------------------------------------ */

static void test_series_zero_one_two_three_events(void **state)
{
    (void)state;
    struct interval_stats o;
    int64_t t[3] = {0};

    /* No events and one event: no interval at all (printed as nulls). */
    run_series(t, 0, &o);
    assert_int_equal(o.count, 0);
    assert_int_equal(o.has_std, 0);
    t[0] = EPOCH;
    run_series(t, 1, &o);
    assert_int_equal(o.count, 0);
    assert_int_equal(o.has_std, 0);

    /* Two events, added newest first: one interval of 2.5 s, no std. */
    t[0] = EPOCH + 7500000000LL;
    t[1] = EPOCH + 5000000000LL;
    run_series(t, 2, &o);
    assert_int_equal(o.count, 1);
    assert_int_equal(o.has_std, 0);
    assert_close(o.mean, 2.5, 1e-15, 0);
    assert_close(o.min, 2.5, 1e-15, 0);
    assert_close(o.max, 2.5, 1e-15, 0);
    assert_close(o.median, 2.5, 1e-15, 0);
    assert_close(o.mad, 0, 0, 0);

    /* Three events: intervals 1 s and 2 s. */
    t[0] = EPOCH;
    t[1] = EPOCH + 1000000000LL;
    t[2] = EPOCH + 3000000000LL;
    run_series(t, 3, &o);
    assert_int_equal(o.count, 2);
    assert_int_equal(o.has_std, 1);
    assert_close(o.mean, 1.5, 1e-15, 0);
    assert_close(o.std, sqrt(0.5), 1e-12, 0);
    assert_close(o.min, 1.0, 1e-15, 0);
    assert_close(o.max, 2.0, 1e-15, 0);
    assert_close(o.median, 1.5, 1e-15, 0);
    assert_close(o.mad, 0.5, 1e-12, 0);
    assert_no_nan(&o);
}

/* ---- series: exact regime ------------------------------------------------ */

/* n times with increments drawn by `kind`: 0 = uniform 1 ns..1 s,
 * 1 = heavy ties (0, 1 or 2 s exactly), 2 = many equal times. */
static int64_t *make_times(size_t n, int kind, uint64_t *seed)
{
    int64_t *t = malloc(n * sizeof(*t));
    int64_t now = EPOCH;
    for (size_t i = 0; i < n; i++) {
        if (kind == 0)
            now += 1 + (int64_t)rng_below(seed, 1000000000);
        else if (kind == 1)
            now += (int64_t)rng_below(seed, 3) * 1000000000LL;
        else
            now += rng_below(seed, 8) == 0 ? 1000 : 0;
        t[i] = now;
    }
    return t;
}

static void test_series_exact_regime_is_order_independent(void **state)
{
    (void)state;
    /* Odd and even interval counts, up to the last exact size. */
    static const size_t sizes[] = {4, 5, 10, 999, 1000, SERIES_EXACT_CAP};
    uint64_t seed = 12345;
    for (int kind = 0; kind < 3; kind++)
        for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
            size_t n = sizes[si];
            int64_t *t = make_times(n, kind, &seed);
            struct ref r;
            ref_stats(t, n, &r);
            shuffle(t, n, &seed);
            struct interval_stats o;
            run_series(t, n, &o);
            assert_matches_ref_exactly(&o, &r);
            free(t);
        }
}

/* One event past the exact capacity switches to the sketch. */
static void test_series_switches_to_streaming_after_exact_cap(void **state)
{
    (void)state;
    uint64_t seed = 777;
    size_t n = SERIES_EXACT_CAP + 1;
    int64_t *t = make_times(n, 0, &seed);
    struct ref r;
    ref_stats(t, n, &r);
    struct interval_stats o;
    run_series(t, n, &o);
    assert_int_equal(o.count, r.count);
    assert_int_equal(o.approx, 1);
    assert_int_equal(o.late, 0);
    assert_close(o.mean, r.mean, 1e-9, 0);
    assert_close(o.std, r.std, 1e-9, 0);
    assert_close(o.min, r.min, 1e-15, 1e-15);
    assert_close(o.max, r.max, 1e-15, 1e-15);
    assert_close(o.median, r.median, 0.01, 0);
    free(t);
}

/* ---- series: streaming regime --------------------------------------------- */

#define BEACON_N 20000

/* A 60 s beacon, each event jittered uniformly by up to +-200 ms. */
static int64_t *beacon(size_t n, uint64_t seed)
{
    int64_t *t = malloc(n * sizeof(*t));
    for (size_t i = 0; i < n; i++)
        t[i] =
            EPOCH + (int64_t)i * 60000000000LL + (int64_t)rng_below(&seed, 400000001) - 200000000;
    return t;
}

static void test_series_streaming_beacon_with_jitter(void **state)
{
    (void)state;
    int64_t *t = beacon(BEACON_N, 42);
    struct ref r;
    ref_stats(t, BEACON_N, &r);
    struct interval_stats o;
    run_series(t, BEACON_N, &o);
    assert_int_equal(o.count, BEACON_N - 1);
    assert_int_equal(o.approx, 1);
    assert_int_equal(o.late, 0);
    assert_int_equal(o.has_std, 1);
    /* Welford is exact up to rounding. */
    assert_close(o.mean, r.mean, 1e-9, 0);
    assert_close(o.std, r.std, 1e-9, 0);
    assert_close(o.min, r.min, 1e-15, 1e-15);
    assert_close(o.max, r.max, 1e-15, 1e-15);
    /* The sketch: 1% of the value, and (the real promise) far less than
     * the spread, since the error is relative to the deviation from the
     * early median. */
    assert_close(o.median, r.median, 0.01, 0);
    assert_close(o.median, r.median, 0, 0.01 * r.mad);
    assert_close(o.mad, r.mad, 0.01, 0);
    print_message("    beacon: median %.9f (exact %.9f), MAD %.9f (exact %.9f, %.3f%% off)\n",
                  o.median, r.median, o.mad, r.mad, 100 * fabs(o.mad - r.mad) / r.mad);
    assert_no_nan(&o);
    free(t);
}

static void assert_same_stats(const struct interval_stats *a, const struct interval_stats *b)
{
    assert_int_equal(a->count, b->count);
    assert_int_equal(a->late, b->late);
    assert_close(a->mean, b->mean, 1e-12, 0);
    assert_close(a->std, b->std, 1e-12, 0);
    assert_close(a->min, b->min, 0, 0);
    assert_close(a->max, b->max, 0, 0);
    assert_close(a->median, b->median, 1e-12, 0);
    assert_close(a->mad, b->mad, 1e-12, 0);
}

static void test_series_streaming_local_disorder_is_undone(void **state)
{
    (void)state;
    int64_t *t = beacon(BEACON_N, 43);
    struct interval_stats ordered, swapped;
    run_series(t, BEACON_N, &ordered);

    /* Every adjacent pair arrives swapped: displacement 1, well inside the
     * reorder window, in both the exact and the streaming part. */
    int64_t *u = malloc(BEACON_N * sizeof(*u));
    memcpy(u, t, BEACON_N * sizeof(*u));
    for (size_t i = 0; i + 1 < BEACON_N; i += 2) {
        int64_t x = u[i];
        u[i] = u[i + 1];
        u[i + 1] = x;
    }
    run_series(u, BEACON_N, &swapped);
    assert_int_equal(swapped.late, 0);
    assert_same_stats(&swapped, &ordered);
    free(u);
    free(t);
}

/* Event `from` of an ordered series arrives `by` positions late. */
static int64_t *displaced(const int64_t *t, size_t n, size_t from, size_t by)
{
    int64_t *u = malloc(n * sizeof(*u));
    memcpy(u, t, n * sizeof(*u));
    int64_t x = u[from];
    memmove(u + from, u + from + 1, by * sizeof(*u));
    u[from + by] = x;
    return u;
}

static void test_series_streaming_reorder_bound(void **state)
{
    (void)state;
    int64_t *t = beacon(BEACON_N, 44);
    struct interval_stats ordered, o;
    run_series(t, BEACON_N, &ordered);

    /* Exactly SERIES_REORDER newer events before it: still reordered. */
    int64_t *u = displaced(t, BEACON_N, 5000, SERIES_REORDER);
    run_series(u, BEACON_N, &o);
    assert_int_equal(o.late, 0);
    assert_same_stats(&o, &ordered);
    free(u);

    /* Between the two it depends on where the batch feeding stands; from
     * SERIES_RING on: late, counted, and no interval goes negative. */
    u = displaced(t, BEACON_N, 5000, SERIES_RING);
    run_series(u, BEACON_N, &o);
    assert_int_equal(o.late, 1);
    /* series.h: a late event adds no interval (it was taken as the newest
     * fed time: an interval of 0, the minimum 0) */
    assert_int_equal(o.count, BEACON_N - 2);
    assert_true(o.min > 0);
    assert_true(o.min >= ordered.min);
    free(u);
    free(t);
}

static void test_series_streaming_median_drift(void **state)
{
    (void)state;
    /* 2000 intervals of ~0.1 s, then 18000 of ~0.009 s: the early median
     * (the deviation sketch's pivot) is far from the final one. */
    size_t n = 20001;
    int64_t *t = malloc(n * sizeof(*t));
    uint64_t seed = 99;
    t[0] = EPOCH;
    for (size_t i = 1; i < n; i++) {
        int64_t d = i <= 2000 ? 100000000 + (int64_t)rng_below(&seed, 2000001) - 1000000
                              : 9000000 + (int64_t)rng_below(&seed, 200001) - 100000;
        t[i] = t[i - 1] + d;
    }
    struct ref r;
    ref_stats(t, n, &r);
    struct interval_stats o;
    run_series(t, n, &o);
    assert_int_equal(o.count, n - 1);
    assert_close(o.mean, r.mean, 1e-9, 0);
    assert_close(o.median, r.median, 0.01, 0);
    print_message("    drift: median %.9f (exact %.9f), MAD %.9f (exact %.9f)\n", o.median,
                  r.median, o.mad, r.mad);
    free(t);
}

static void test_series_all_equal_timestamps(void **state)
{
    (void)state;
    size_t n = 3000;
    int64_t *t = malloc(n * sizeof(*t));
    for (size_t i = 0; i < n; i++)
        t[i] = EPOCH;
    struct interval_stats o;
    run_series(t, n, &o);
    assert_int_equal(o.count, n - 1);
    assert_no_nan(&o);
    assert_close(o.mean, 0, 0, 0);
    assert_close(o.std, 0, 0, 0);
    assert_close(o.min, 0, 0, 0);
    assert_close(o.max, 0, 0, 0);
    assert_close(o.median, 0, 0, 0);
    assert_close(o.mad, 0, 0, 0);
    free(t);
}

/*
 * Times at both ends of the int64 range (pcapng two's-complement times,
 * damaged files): intervals are up to 2^64 - 1 ns and must come out
 * positive and finite in both regimes, with no signed overflow.
 */
static void test_series_extreme_time_range(void **state)
{
    (void)state;
    struct interval_stats o;
    int64_t two[2] = {INT64_MAX, INT64_MIN};
    run_series(two, 2, &o);
    assert_int_equal(o.count, 1);
    assert_close(o.mean, 18446744073.709551615, 1e-15, 0);
    assert_close(o.max, 18446744073.709551615, 1e-15, 0);
    assert_close(o.median, 18446744073.709551615, 1e-15, 0);

    /* Streaming: 1500 events, the first half near INT64_MIN, the rest near
     * INT64_MAX, one second apart within each half. */
    size_t n = 1500;
    int64_t *t = malloc(n * sizeof(*t));
    for (size_t i = 0; i < n; i++)
        t[i] = i < n / 2 ? INT64_MIN + (int64_t)i * 1000000000
                         : INT64_MAX - (int64_t)(n - i) * 1000000000;
    run_series(t, n, &o);
    assert_int_equal(o.count, n - 1);
    assert_int_equal(o.approx, 1);
    assert_no_nan(&o);
    assert_close(o.min, 1.0, 1e-12, 0);
    assert_true(o.max > 1.8e10);
    assert_close(o.median, 1.0, 0.01, 0);
    assert_true(o.mean > 0);
    free(t);
}

/* Intervals over twelve decades through the whole series path. */
static void test_series_huge_spread(void **state)
{
    (void)state;
    size_t n = 200001;
    int64_t *t = malloc(n * sizeof(*t));
    uint64_t seed = 5;
    t[0] = 0;
    for (size_t i = 1; i < n; i++)
        t[i] = t[i - 1] + (int64_t)llround(pow(10.0, 12.0 * rng_unit(&seed)));
    struct ref r;
    ref_stats(t, n, &r);
    struct interval_stats o;
    run_series(t, n, &o);
    assert_int_equal(o.count, n - 1);
    assert_close(o.mean, r.mean, 1e-9, 0);
    assert_close(o.std, r.std, 1e-9, 0);
    assert_close(o.min, r.min, 1e-15, 1e-15);
    assert_close(o.max, r.max, 1e-15, 1e-15);
    assert_close(o.median, r.median, 0.01, 0);
    free(t);
}

/* ---- sketch --------------------------------------------------------------- */

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void exact_median_mad(const int64_t *x, size_t n, double *med, double *mad)
{
    double *v = malloc(n * sizeof(*v));
    for (size_t i = 0; i < n; i++)
        v[i] = (double)x[i];
    qsort(v, n, sizeof(*v), cmp_dbl);
    *med = n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    for (size_t i = 0; i < n; i++)
        v[i] = fabs(v[i] - *med);
    qsort(v, n, sizeof(*v), cmp_dbl);
    *mad = n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    free(v);
}

/* sketch_alpha(): the coarsest relative accuracy of the two sides. */

/*
 * A value v in a bucket is reported as the bucket's representative r with
 * |r - v| <= alpha |v|; for odd n the median is one value, so its error is
 * at most alpha * |median - pivot| (plus rounding).
 */
static void check_sketch(const char *name, const int64_t *x, size_t n, int64_t pivot)
{
    struct sketch s;
    sketch_init(&s, pivot);
    for (size_t i = 0; i < n; i++)
        sketch_add(&s, x[i]);
    assert_int_equal(s.total, n);
    double med, mad, bound, emed, emad;
    sketch_median_mad(&s, &med, &mad, &bound);
    exact_median_mad(x, n, &emed, &emad);
    double a = sketch_alpha(&s);
    double dev = fabs(emed - (double)pivot);
    double med_err = fabs(med - emed), mad_err = fabs(mad - emad);
    print_message("    %-24s pivot %-11lld alpha %.4f median err %-9.3g (limit %-9.3g) "
                  "MAD %.1f exact %.1f err %.3g (%.2f%%)\n",
                  name, (long long)pivot, a, med_err, a * dev + 1, mad, emad, mad_err,
                  emad > 0 ? 100 * mad_err / emad : 0.0);
    assert_close(med, emed, 0, a * dev + 1);
    /* The MAD's order statistic lies about MAD + |median - pivot| from the
     * pivot, so its error is about alpha times that, plus the median's. */
    assert_close(mad, emad, 0, 1.5 * a * (emad + dev) + med_err + 2);
    sketch_release(&s);
}

static void test_sketch_against_exact_distributions(void **state)
{
    (void)state;
    size_t n = 100001; /* odd: the median is one value */
    int64_t *x = malloc(n * sizeof(*x));
    uint64_t seed = 2024;

    for (size_t i = 0; i < n; i++)
        x[i] = 1000000;
    check_sketch("constant = pivot", x, n, 1000000);
    check_sketch("constant != pivot", x, n, 999000);
    check_sketch("constant, pivot 0", x, n, 0);
    {
        /* A constant has MAD 0, whatever the pivot. */
        struct sketch s;
        double med, mad;
        sketch_init(&s, 123);
        for (size_t i = 0; i < n; i++)
            sketch_add(&s, x[i]);
        sketch_median_mad(&s, &med, &mad, NULL);
        assert_close(mad, 0, 0, 0);
        sketch_release(&s);
    }

    for (size_t i = 0; i < n; i++)
        x[i] = 1000000 + (int64_t)rng_below(&seed, 2000001);
    check_sketch("uniform, pivot ~median", x, n, 2000000);
    check_sketch("uniform, pivot 0", x, n, 0);
    check_sketch("uniform, pivot off", x, n, 2500000);

    for (size_t i = 0; i < n; i++)
        x[i] = (int64_t)llround(-log(1.0 - rng_unit(&seed)) * 1e6);
    check_sketch("exponential, pivot 0", x, n, 0);
    check_sketch("exponential, pivot med", x, n, 693147);

    for (size_t i = 0; i < n; i++)
        x[i] = (rng_next(&seed) & 1 ? 5000000 : 1000000) + (int64_t)rng_below(&seed, 20001) - 10000;
    check_sketch("bimodal, pivot mid", x, n, 3000000);
    check_sketch("bimodal, pivot 0", x, n, 0);

    /* Values below the pivot: the negative side. */
    for (size_t i = 0; i < n; i++)
        x[i] = 60000000000LL + (int64_t)rng_below(&seed, 400000001) - 200000000;
    check_sketch("beacon-like, pivot hi", x, n, 61000000000LL);
    check_sketch("beacon-like, pivot 60s", x, n, 60000000000LL);
    free(x);
}

/*
 * sketch.h: *err_bound is "the guaranteed bound on the median's absolute
 * error".  Checked on small hand-made sets where the exact median is
 * obvious, including even counts whose two middle values lie on opposite
 * sides of the pivot.
 */
static void test_sketch_median_error_bound_is_a_bound(void **state)
{
    (void)state;
    static const struct {
        double pivot;
        int n;
        double x[6];
        double exact;
    } cases[] = {
        {0, 1, {1000}, 1000},
        {0, 1, {652}, 652},        /* just below a bucket's upper edge g^648 */
        {1000.5, 1, {1000}, 1000}, /* sub-ns deviation from a half-ns pivot */
        {0, 3, {990, 1000, 1010}, 1000},
        {1000, 3, {10, 1000, 5000}, 1000},
        {0, 2, {-1000, 1010}, 5},
        {500, 2, {400, 613}, 506.5},
        {2000, 4, {1000, 1900, 2150, 3000}, 2025},
    };
    int ok = 1;
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct sketch s;
        sketch_init(&s, cases[c].pivot);
        for (int i = 0; i < cases[c].n; i++)
            sketch_add(&s, cases[c].x[i]);
        double med, mad, bound;
        sketch_median_mad(&s, &med, &mad, &bound);
        double err = fabs(med - cases[c].exact);
        if (err > bound + 1e-9) {
            print_error("case %zu: median %.6f, exact %.6f: error %.6g exceeds err_bound %.6g\n", c,
                        med, cases[c].exact, err, bound);
            ok = 0;
        }
        sketch_release(&s);
    }
    assert_true(ok);
}

static uint64_t side_sum(const struct sketch_side *sd)
{
    uint64_t s = 0;
    for (uint32_t i = 0; i < sd->n; i++)
        s += sketch_count(sd, i);
    return s;
}

static void assert_side_bounded(const struct sketch_side *sd)
{
    assert_true(sd->n <= SKETCH_MAX_BUCKETS);
    assert_true(sd->cap <= SKETCH_MAX_BUCKETS);
    assert_true(sd->n <= sd->cap || (sd->n == 0 && sd->cap == 0));
}

static void test_sketch_memory_bound(void **state)
{
    (void)state;
    uint64_t seed = 31337;
    size_t n = 200000;
    int64_t *x = malloc(n * sizeof(*x));

    /* One side: values spread log-uniformly over 1 ns .. 1e12 ns, more
     * decades than SKETCH_MAX_BUCKETS buckets cover at full resolution. */
    struct sketch s;
    sketch_init(&s, 0);
    for (size_t i = 0; i < n; i++) {
        x[i] = (int64_t)llround(pow(10.0, 12.0 * rng_unit(&seed)));
        sketch_add(&s, x[i]);
        if ((i & 1023) == 0)
            assert_side_bounded(&s.pos);
    }
    assert_side_bounded(&s.pos);
    assert_int_equal(s.neg.n, 0);
    /* Collapsing merges buckets but never loses a count. */
    assert_int_equal(side_sum(&s.pos) + s.zero, n);
    /* The median keeps the (coarser) relative accuracy of its side. */
    double med, mad, emed, emad, bound;
    sketch_median_mad(&s, &med, &mad, &bound);
    exact_median_mad(x, n, &emed, &emad);
    double a = sketch_alpha(&s);
    print_message("    12 decades: %u buckets, alpha %.4f, median %.1f exact %.1f\n", s.pos.n, a,
                  med, emed);
    assert_true(a < 0.05);
    assert_close(med, emed, a / (1 - a), 1);
    sketch_release(&s);

    /* Both sides, magnitudes rising on one and falling on the other, then
     * random magnitudes and exact hits. */
    int64_t pivot = 500000000000LL;
    sketch_init(&s, pivot);
    for (size_t i = 0; i < n / 2; i++) {
        double up = pow(10.0, 11.5 * (double)i / (double)(n / 2));
        double down = pow(10.0, 11.5 * (1.0 - (double)i / (double)(n / 2)));
        sketch_add(&s, pivot + (int64_t)llround(up));
        sketch_add(&s, pivot - (int64_t)llround(down));
    }
    for (size_t i = 0; i < n; i++) {
        int64_t mag = (int64_t)llround(pow(10.0, 11.5 * rng_unit(&seed)));
        sketch_add(&s, rng_next(&seed) & 1 ? pivot + mag : pivot - mag);
        if ((i & 4095) == 0)
            sketch_add(&s, pivot);
        if ((i & 1023) == 0) {
            assert_side_bounded(&s.pos);
            assert_side_bounded(&s.neg);
        }
    }
    assert_side_bounded(&s.pos);
    assert_side_bounded(&s.neg);
    assert_int_equal(side_sum(&s.pos) + side_sum(&s.neg) + s.zero, s.total);
    sketch_median_mad(&s, &med, &mad, NULL);
    assert_false(isnan(med) || isnan(mad));
    sketch_release(&s);
    free(x);
}

/* Counters start at 16 bits and widen, losing nothing, when one overflows. */
static void test_sketch_counters_widen(void **state)
{
    (void)state;
    struct sketch s;
    sketch_init(&s, 1000);
    for (int i = 0; i < 70000; i++)
        sketch_add(&s, 1500); /* one bucket, past UINT16_MAX */
    for (int i = 0; i < 1000; i++)
        sketch_add(&s, 1000 + 600 + i % 7); /* its neighbours */
    for (int i = 0; i < 30; i++)
        sketch_add(&s, 400);
    assert_true(s.pos.wide);
    assert_false(s.neg.wide);
    assert_true(sketch_log_gamma0() == log((1 + SKETCH_ALPHA) / (1 - SKETCH_ALPHA)));
    assert_int_equal(side_sum(&s.pos), 71000);
    assert_int_equal(side_sum(&s.neg), 30);
    double med, mad;
    sketch_median_mad(&s, &med, &mad, NULL);
    assert_close(med, 1500, 0.01, 0);
    sketch_release(&s);
}

/* ---- memory budget (--max-memory) ----------------------------------------- */

/* Bytes a sketch's counter arrays hold, from its fields. */
static uint64_t sketch_bytes(const struct sketch *s)
{
    return (uint64_t)s->pos.cap * (s->pos.wide ? 4 : 2) +
           (uint64_t)s->neg.cap * (s->neg.wide ? 4 : 2);
}

/* The counter follows every allocation: exactly ts_cap * 12 bytes for
 * exact lists, every counter array of the sketches; back to 0 when all is
 * released. */
static void test_budget_accounting(void **state)
{
    (void)state;
    series_set_budget(0);
    assert_int_equal(series_memory_used(), 0);
    assert_int_equal(sketch_memory_used(), 0);

    /* Sketches: growth, widening, coarsening, release. */
    struct sketch k;
    sketch_init(&k, 1000);
    for (int i = 0; i < 70000; i++)
        sketch_add(&k, 1500);
    for (int i = 0; i < 3000; i++)
        sketch_add(&k, 1000 + pow(10.0, 0.002 * i)); /* 6 decades above the pivot */
    for (int i = 0; i < 50; i++)
        sketch_add(&k, 990 - i);
    assert_true(k.pos.wide);
    assert_int_equal(sketch_memory_used(), sketch_bytes(&k));
    uint64_t before = sketch_memory_used();
    double a0 = sketch_alpha(&k);
    sketch_set_limit(&k, 128);
    assert_true(k.pos.n <= 128 && k.pos.cap <= 128 && k.neg.cap <= 128);
    assert_int_equal(sketch_memory_used(), sketch_bytes(&k));
    assert_true(sketch_memory_used() < before);
    assert_true(sketch_alpha(&k) > a0);
    assert_int_equal(side_sum(&k.pos) + side_sum(&k.neg) + k.zero, k.total); /* no count lost */
    sketch_release(&k);
    assert_int_equal(sketch_memory_used(), 0);

    /* Series: exact lists count by capacity; streaming ones more. */
    enum { NS = 6 };
    static const size_t sizes[NS] = {1, 2, 10, 1000, 5000, 70000};
    struct series s[NS];
    uint64_t exact = 0;
    for (size_t g = 0; g < NS; g++) {
        series_init(&s[g]);
        for (size_t i = 0; i < sizes[g]; i++) /* constant 1 s: a counter widens */
            series_add(&s[g], EPOCH + (int64_t)i * 1000000000LL, 100 + i % 50);
        if (!s[g].st)
            exact += (uint64_t)s[g].ts_cap * 12;
    }
    assert_null(s[3].st);
    assert_non_null(s[4].st);
    uint64_t used = series_memory_used();
    assert_true(used > exact + 2 * 4096); /* two streaming states */
    series_release(&s[4]);
    series_release(&s[5]);
    assert_int_equal(series_memory_used(), exact);
    assert_int_equal(sketch_memory_used(), 0);
    for (size_t g = 0; g < 4; g++) {
        struct interval_stats o;
        series_finish(&s[g], &o); /* finishing allocates nothing lasting */
        series_release(&s[g]);
    }
    assert_int_equal(series_memory_used(), 0);
}

/* Groups fed round-robin, as interleaved traffic is: group g's i-th event
 * is t[g * n + i]. */
static void feed_groups(struct series *s, size_t ng, const int64_t *t, size_t n)
{
    for (size_t g = 0; g < ng; g++)
        series_init(&s[g]);
    for (size_t i = 0; i < n; i++)
        for (size_t g = 0; g < ng; g++)
            series_add(&s[g], t[g * n + i], 60 + (uint64_t)((i * 7 + g) % 1400));
}

/* The early median the deviation sketch pivots on: the exact median of
 * the intervals among the first k (time-ordered) events. */
static double early_median(const int64_t *t, size_t k)
{
    struct ref r;
    ref_stats(t, k, &r);
    return r.median;
}

/*
 * A degraded group against the reference: count, mean, std, min, max as
 * exact as ever; the median within the sketch's alpha (relative), the MAD
 * within alpha * (|median - early median| + MAD) plus the median's error
 * (docs/statistics.md).
 */
static void assert_degraded_within_bounds(const struct interval_stats *o, const int64_t *t,
                                          size_t n)
{
    struct ref r;
    ref_stats(t, n, &r);
    assert_int_equal(o->count, r.count);
    assert_int_equal(o->approx, 1);
    assert_int_equal(o->late, 0);
    assert_close(o->mean, r.mean, 1e-9, 0);
    assert_close(o->std, r.std, 1e-9, 0);
    assert_close(o->min, r.min, 1e-15, 1e-15);
    assert_close(o->max, r.max, 1e-15, 1e-15);
    double a = o->alpha;
    assert_true(a >= SKETCH_ALPHA * 0.99 && a < 0.2);
    double med_err = fabs(o->median - r.median);
    assert_close(o->median, r.median, a / (1 - a), 2e-9);
    double p = early_median(t, o->exact_events);
    assert_close(o->mad, r.mad, 0, a / (1 - a) * (fabs(r.median - p) + r.mad) + med_err + 2e-9);
}

/* Stage a: exact lists stop growing; the groups switch to the sketches
 * early, and their statistics stay within the documented bounds. */
static void test_budget_exact_lists_stop_growing(void **state)
{
    (void)state;
    enum { NG = 64, N = 3000 };
    assert_int_equal(series_set_exact_cap(1u << 16), 0);
    uint64_t budget = 1u << 20;
    series_set_budget(budget);
    assert_int_equal(series_memory_used(), 0);
    int64_t *t = malloc(NG * N * sizeof(*t));
    for (size_t g = 0; g < NG; g++) {
        int64_t *b = beacon(N, 100 + g); /* in time order: jitter < period / 2 */
        memcpy(&t[g * N], b, N * sizeof(*t));
        free(b);
    }
    struct series *s = calloc(NG, sizeof(*s));
    feed_groups(s, NG, t, N);
    struct series_budget_state bs;
    series_budget_get(&bs);
    print_message("    stage %d, %llu groups switched early, stop at %u events, peak %llu of %llu, "
                  "coarsened %u\n",
                  bs.stage, (unsigned long long)bs.switched, series_budget_exact_stop(),
                  (unsigned long long)bs.peak, (unsigned long long)budget, bs.coarsened);
    assert_true(bs.stage >= 1);
    assert_int_equal(bs.switched, NG);
    assert_false(bs.over);
    /* exact lists would hold 64 x 3000 x 12 = 2.3 MB: the series stayed
     * within the budget (a streaming state's batch of growth aside) */
    assert_true(bs.peak <= budget + budget / 16);
    for (size_t g = 0; g < NG; g++) {
        struct interval_stats o;
        series_finish(&s[g], &o);
        assert_int_equal(o.early, 1);
        assert_true(o.exact_events >= SERIES_EXACT_MIN && o.exact_events < N);
        assert_degraded_within_bounds(&o, &t[g * N], N);
        series_release(&s[g]);
    }
    assert_int_equal(series_memory_used(), 0);
    free(s);
    free(t);
    series_set_budget(0);
    series_set_exact_cap(SERIES_EXACT_CAP);
}

/* Intervals spread log-uniformly over `decades` from 1 us: full sketches. */
static int64_t *spread_times(size_t n, double decades, uint64_t seed)
{
    int64_t *t = malloc(n * sizeof(*t));
    t[0] = EPOCH;
    for (size_t i = 1; i < n; i++)
        t[i] = t[i - 1] + (int64_t)llround(1000 * pow(10.0, decades * rng_unit(&seed)));
    return t;
}

/* Stage b: every streaming group's sketches coarsen (idle ones too), the
 * series get back under the budget, and the statistics keep the (larger)
 * alpha the sketches report. */
static void test_budget_sketches_coarsen(void **state)
{
    (void)state;
    enum { NG = 32, N = 20000, IDLE = 4 };
    int64_t *t = malloc(NG * N * sizeof(*t));
    for (size_t g = 0; g < NG; g++) {
        int64_t *x = spread_times(N, 6, 500 + g);
        memcpy(&t[g * N], x, N * sizeof(*t));
        free(x);
    }
    /* without a budget: how much the series hold */
    series_set_budget(0);
    struct series *s = calloc(NG, sizeof(*s));
    feed_groups(s, NG, t, N);
    uint64_t full = series_memory_used();
    for (size_t g = 0; g < NG; g++)
        series_release(&s[g]);
    assert_int_equal(series_memory_used(), 0);

    /* the exact phase (32 x 1024 x 12 = 384 KiB) stays under 7/8 of the
     * budget (no group switches early); the sketches do not fit */
    uint64_t budget = full * 7 / 8;
    assert_true(budget / 8 * 7 > NG * SERIES_EXACT_CAP * 12);
    series_set_budget(budget);
    /* a few groups go idle early: stage b must coarsen them as well */
    for (size_t g = 0; g < NG; g++)
        series_init(&s[g]);
    for (size_t i = 0; i < N; i++)
        for (size_t g = 0; g < NG; g++)
            if (g >= IDLE || i < 2000)
                series_add(&s[g], t[g * N + i], 100);
    struct series_budget_state bs;
    series_budget_get(&bs);
    uint64_t used = series_memory_used();
    print_message(
        "    without budget %llu bytes; budget %llu: stage %d, coarsened %u (%u buckets), "
        "%llu groups, peak %llu, now %llu\n",
        (unsigned long long)full, (unsigned long long)budget, bs.stage, bs.coarsened,
        bs.stat_buckets, (unsigned long long)bs.coarse_groups, (unsigned long long)bs.peak,
        (unsigned long long)used);
    assert_int_equal(bs.stage, 2);
    assert_true(bs.coarsened >= 1 && bs.coarsened <= SERIES_COARSEN_MAX);
    assert_int_equal(bs.stat_buckets, SKETCH_STAT_BUCKETS >> bs.coarsened);
    assert_int_equal(bs.coarse_groups, NG);
    assert_false(bs.over);
    assert_true(used <= budget);
    assert_true(bs.peak <= budget + budget / 16);
    for (size_t g = 0; g < NG; g++) {
        struct interval_stats o;
        series_finish(&s[g], &o);
        assert_int_equal(o.coarse, 1);
        assert_int_equal(o.early, 0);
        assert_int_equal(o.exact_events, SERIES_EXACT_CAP);
        assert_true(o.alpha > SKETCH_ALPHA);
        assert_degraded_within_bounds(&o, &t[g * N], g >= IDLE ? N : 2000);
        series_release(&s[g]);
    }
    assert_int_equal(series_memory_used(), 0);
    free(s);
    free(t);
    series_set_budget(0);
}

/* A budget too small for any summary: the coarsest setting, reported as
 * exceeded; nothing dropped, statistics still within their bounds. */
static void test_budget_floor(void **state)
{
    (void)state;
    enum { NG = 16, N = 5000 };
    int64_t *t = malloc(NG * N * sizeof(*t));
    for (size_t g = 0; g < NG; g++) {
        int64_t *x = spread_times(N, 9, 900 + g);
        memcpy(&t[g * N], x, N * sizeof(*t));
        free(x);
    }
    series_set_budget(16 << 10); /* 16 KiB: less than 16 streaming states */
    struct series *s = calloc(NG, sizeof(*s));
    feed_groups(s, NG, t, N);
    struct series_budget_state bs;
    series_budget_get(&bs);
    assert_int_equal(bs.stage, 2);
    assert_int_equal(bs.coarsened, SERIES_COARSEN_MAX);
    assert_int_equal(bs.stat_buckets, SKETCH_STAT_BUCKETS >> SERIES_COARSEN_MAX);
    assert_true(bs.over);
    for (size_t g = 0; g < NG; g++) {
        struct interval_stats o;
        series_finish(&s[g], &o);
        assert_int_equal(o.count, N - 1);
        assert_degraded_within_bounds(&o, &t[g * N], N);
        series_release(&s[g]);
    }
    assert_int_equal(series_memory_used(), 0);
    free(s);
    free(t);
    series_set_budget(0);
}

/* ---- beat intervals (series_features, exact regime) ------------------- */

/* The beat intervals the plain way: a beat starts at the first event and at
 * every gap of at least w ns; its interval runs to the next beat's start;
 * sorted in ns, then scaled. */
static size_t ref_beat_intervals(const int64_t *t, size_t n, int64_t w, double *out)
{
    int64_t *x = malloc(n * sizeof(*x));
    memcpy(x, t, n * sizeof(*x));
    qsort(x, n, sizeof(*x), cmp_i64);
    size_t m = 0;
    int64_t start = x[0];
    for (size_t i = 1; i < n; i++)
        if (x[i] - x[i - 1] >= w) {
            out[m++] = (double)(x[i] - start);
            start = x[i];
        }
    qsort(out, m, sizeof(*out), cmp_dbl);
    for (size_t i = 0; i < m; i++)
        out[i] *= 1e-9;
    free(x);
    return m;
}

static void assert_beats_are(const struct series *s, const struct series_features *f,
                             const int64_t *t, size_t n)
{
    double *ref = malloc(n * sizeof(*ref));
    size_t m = ref_beat_intervals(t, n, s->burst_ns, ref);
    assert_int_equal(f->n_beat_iv, m);
    assert_int_equal(f->beats, m + 1);
    for (size_t i = 0; i < m; i++) {
        assert_true(f->beat_iv[i].v == ref[i]);
        assert_int_equal(f->beat_iv[i].w, 1);
    }
    free(ref);
}

/*
 * Beats of one event, of simultaneous events and of spread-out bursts, in
 * every mix: the intervals come from the finished gaps (series_finish's
 * cache, with the bursts' intervals merged in) or, when the cache holds
 * another group, from a sort; both must be the plain computation's.
 */
static void test_series_beat_intervals_exact(void **state)
{
    (void)state;
    uint64_t seed = 77;
    enum { N = 600 };
    int64_t t[N];
    for (int round = 0; round < 400; round++) {
        /* the share of beats that are bursts: none, few, about half, most */
        unsigned burst_pct = (unsigned[]){0, 5, 30, 50, 70, 100}[round % 6];
        size_t n = 2 + (size_t)rng_below(&seed, round % 4 ? 200 : N - 2);
        int64_t now = EPOCH;
        for (size_t i = 0; i < n;) {
            t[i++] = now;
            if (rng_below(&seed, 100) < burst_pct) /* a burst: a few close events */
                for (unsigned b = 1 + (unsigned)rng_below(&seed, 4); b && i < n; b--) {
                    now += (int64_t)rng_below(&seed, 3) * (int64_t)rng_below(&seed, 50000000);
                    t[i++] = now;
                }
            else if (rng_below(&seed, 8) == 0 && i < n) /* a simultaneous event */
                t[i++] = now;
            /* the period: 60 s +- 20%, or in a few rounds a wide spread */
            now += round % 7 == 3 ? (int64_t)rng_below(&seed, 100000000000LL) + 1000
                                  : 48000000000LL + (int64_t)rng_below(&seed, 24000000000LL);
        }
        for (size_t i = 0; i + 1 < n && round % 5 == 1; i++) /* disorder */
            if (rng_below(&seed, 3) == 0) {
                int64_t x = t[i];
                t[i] = t[i + 1];
                t[i + 1] = x;
            }
        struct series a, b;
        struct interval_stats o;
        struct series_features fa, fb;
        series_init(&a);
        series_init(&b);
        for (size_t i = 0; i < n; i++) {
            series_add(&a, t[i], 100);
            series_add(&b, t[i], 100);
        }
        series_finish(&b, &o);
        series_finish(&a, &o);    /* the cache holds a now */
        series_features(&b, &fb); /* not cached: sorts */
        series_features(&a, &fa);
        assert_beats_are(&a, &fa, t, n);
        assert_beats_are(&b, &fb, t, n);
        series_features_release(&fa);
        series_features_release(&fb);
        series_release(&a);
        series_release(&b);
    }
}

/* The formula sketch.h states, computed here with log(). */
static int32_t bucket_by_log(double a)
{
    double x = log(a) / log((1 + SKETCH_ALPHA) / (1 - SKETCH_ALPHA));
    return x > 0 ? (int32_t)ceil(x) : 0;
}

static double bits_to_double(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof(d));
    return d;
}

/* sketch_bucket0 finds buckets from tables instead of log(): the same
 * bucket for every value.  Away from a bucket's lower end the bucket is the
 * same for a whole stretch of values; near one, log()'s rounding (a few
 * units in the last place of x, some 25 of a) decides, so the 1 024 doubles
 * around every end up to 2^64 are all checked, then random values, small
 * integers and the ends of the fast range. */
/* Volumes (series_set_volumes): they travel with their times through the
 * sort and the switch to the sketches, a beat's is the sum of its events',
 * and the beats' lower median is exact in the exact regime, within the
 * sketch's 0.5% past it.  Reference: sort (time, volume) pairs, cut beats
 * at gaps of at least the burst window, sum, sort, take the lower middle. */
struct tv {
    int64_t t;
    uint32_t v;
};

static int cmp_tv(const void *a, const void *b)
{
    const struct tv *x = a, *y = b;
    return (x->t > y->t) - (x->t < y->t);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static double ref_beat_vol_median(const struct tv *ev, size_t n, double window_s)
{
    struct tv *a = malloc(n * sizeof(*a));
    uint64_t *b = malloc(n * sizeof(*b));
    assert_true(a && b);
    memcpy(a, ev, n * sizeof(*a));
    qsort(a, n, sizeof(*a), cmp_tv);
    size_t nb = 0;
    uint64_t sum = a[0].v;
    for (size_t i = 1; i < n; i++) {
        if ((double)(a[i].t - a[i - 1].t) * 1e-9 >= window_s) {
            b[nb++] = sum;
            sum = 0;
        }
        sum += a[i].v;
    }
    b[nb++] = sum;
    qsort(b, nb, sizeof(*b), cmp_u64);
    double m = (double)b[(nb - 1) / 2];
    free(a);
    free(b);
    return m;
}

static void test_series_beat_volumes(void **state)
{
    (void)state;
    uint64_t seed = 99;
    enum { N = 3000 };
    struct tv *ev = malloc(N * sizeof(*ev));
    assert_non_null(ev);
    /* check-ins every 60 s +-10%, some with a second connection 0.5 s on;
     * volumes 20-25 KB, a third of them tasked with 1-3 MB */
    size_t n = 0;
    int64_t t = 1700000000LL * 1000000000LL;
    while (n < N) {
        t += (int64_t)((54 + 12 * rng_unit(&seed)) * 1e9);
        /* distinct volumes: one out of place moves the median */
        uint32_t v = rng_unit(&seed) < 0.33 ? 1000000 + (uint32_t)rng_below(&seed, 2000000)
                                            : 20000 + (uint32_t)rng_below(&seed, 5000);
        ev[n++] = (struct tv){t, v};
        if (n < N && rng_unit(&seed) < 0.25)
            ev[n++] = (struct tv){t + 500000000, 1000 + (uint32_t)rng_below(&seed, 500)};
    }
    /* local disorder, within the reorder bound */
    for (size_t i = 0; i + 8 < n; i += 16) {
        struct tv x = ev[i];
        ev[i] = ev[i + 7];
        ev[i + 7] = x;
    }
    series_set_budget(0);
    series_set_volumes(1);
    static const size_t counts[] = {1, 2, 3, 10, 101, 1000, N};
    for (size_t ci = 0; ci < sizeof(counts) / sizeof(counts[0]); ci++) {
        size_t m = counts[ci];
        for (int streaming = 0; streaming < 2; streaming++) {
            if (streaming && m <= SERIES_EXACT_MIN)
                continue;
            uint32_t saved = series_exact_cap();
            assert_int_equal(series_set_exact_cap(streaming ? SERIES_EXACT_MIN : SERIES_EXACT_MAX),
                             0);
            struct series s;
            series_init(&s);
            for (size_t i = 0; i < m; i++)
                series_add_vol(&s, ev[i].t, 300 + i % 7, ev[i].v);
            struct interval_stats o;
            series_finish(&s, &o);
            struct series_features f;
            series_features(&s, &f);
            assert_int_equal(f.approx, streaming);
            double want = ref_beat_vol_median(ev, m, f.burst_window);
            if (streaming)
                assert_true(fabs(f.beat_vol_median - want) <= 0.005 * want + 1);
            else
                assert_true(f.beat_vol_median == want);
            /* the sizes are still the sizes */
            double sm = f.has_size_median ? f.size_median : f.sizes[0].v;
            assert_true(sm >= 300 && sm <= 306);
            series_features_release(&f);
            series_release(&s);
            assert_int_equal(series_set_exact_cap(saved), 0);
            assert_int_equal(series_memory_used(), 0); /* 16-byte records counted and returned */
        }
    }
    /* A beat over 4 GiB (two events of 3 GB at one instant) saturates at
     * 4 GiB in both regimes: the streaming one had kept the whole sum
     * (6 GB), so beat_bytes and the penalty changed at --exact-limit; the
     * sketch's bucket is not read past the saturation either. */
    for (int streaming = 0; streaming < 2; streaming++) {
        uint32_t saved = series_exact_cap();
        assert_int_equal(series_set_exact_cap(streaming ? SERIES_EXACT_MIN : SERIES_EXACT_MAX), 0);
        struct series s;
        series_init(&s);
        int64_t t0 = 1700000000LL * 1000000000LL;
        for (int i = 0; i < 300; i++) {
            series_add_vol(&s, t0 + (int64_t)i * 60000000000LL, 500, 3000000000u);
            series_add_vol(&s, t0 + (int64_t)i * 60000000000LL, 500, 3000000000u);
        }
        struct interval_stats o;
        series_finish(&s, &o);
        struct series_features f;
        series_features(&s, &f);
        assert_int_equal(f.approx, streaming);
        assert_int_equal(f.beats, 300);
        assert_true(f.beat_vol_median == (double)UINT32_MAX);
        series_features_release(&f);
        series_release(&s);
        assert_int_equal(series_set_exact_cap(saved), 0);
    }
    series_set_volumes(0);
    /* without volumes, an event's volume is its size */
    struct series s;
    series_init(&s);
    for (size_t i = 0; i < 50; i++)
        series_add(&s, ev[i].t, 700);
    struct interval_stats o;
    series_finish(&s, &o);
    struct series_features f;
    series_features(&s, &f);
    for (size_t i = 0; i < 50; i++)
        ev[i].v = 700;
    assert_true(f.beat_vol_median == ref_beat_vol_median(ev, 50, f.burst_window));
    series_features_release(&f);
    series_release(&s);
    /* Distinct sizes, an even count (the lower median differs from the
     * upper): with some beats of two events (the general path), and every
     * event its own beat (series.c takes the sizes' median then). */
    for (int singles = 0; singles < 2; singles++) {
        series_init(&s);
        size_t m = 0;
        for (size_t i = 0; m < 64; i++) {
            if (singles && i && ev[i].t - ev[i - 1].t < 10000000000LL)
                continue; /* the 0.5 s second connections */
            ev[m].t = singles ? 1700000000LL * 1000000000LL + (int64_t)m * 60000000000LL : ev[i].t;
            ev[m].v = 1000 + (uint32_t)((m * 7919) % 4001);
            series_add(&s, ev[m].t, ev[m].v);
            m++;
        }
        series_finish(&s, &o);
        series_features(&s, &f);
        assert_true(singles ? f.beats == m : f.beats < m);
        assert_true(f.beat_vol_median == ref_beat_vol_median(ev, m, f.burst_window));
        series_features_release(&f);
        series_release(&s);
    }
    free(ev);
}

static void test_sketch_bucket0_is_the_formula(void **state)
{
    (void)state;
    double lg = log((1 + SKETCH_ALPHA) / (1 - SKETCH_ALPHA));
    int32_t last = bucket_by_log(0x1p64);
    assert_true(last > 4000);
    for (int32_t i = 1; i <= last + 1; i++) {
        double edge = exp((double)(i - 1) * lg);
        uint64_t b;
        memcpy(&b, &edge, sizeof(b));
        for (uint64_t k = b - 512; k <= b + 512; k++) {
            double a = bits_to_double(k);
            if (sketch_bucket0(a) != bucket_by_log(a))
                fail_msg("bucket of %.17g (%#llx): %d, log() gives %d", a, (unsigned long long)k,
                         sketch_bucket0(a), bucket_by_log(a));
        }
    }
    uint64_t r = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 1000000; i++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        double a = exp((double)(r >> 11) * 0x1p-53 * 46); /* 1 to e^46, log-uniform */
        assert_int_equal(sketch_bucket0(a), bucket_by_log(a));
    }
    for (int v = -3; v <= 200000; v++)
        assert_int_equal(sketch_bucket0(v), bucket_by_log(v));
    const double ends[] = {0, 0.5, 1, 1.0000000000000002, 0x1p64, 0x1.fffffffffffffp63, 1e300};
    for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++)
        assert_int_equal(sketch_bucket0(ends[i]), bucket_by_log(ends[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sketch_bucket0_is_the_formula),
        cmocka_unit_test(test_series_zero_one_two_three_events),
        cmocka_unit_test(test_series_exact_regime_is_order_independent),
        cmocka_unit_test(test_series_switches_to_streaming_after_exact_cap),
        cmocka_unit_test(test_series_streaming_beacon_with_jitter),
        cmocka_unit_test(test_series_streaming_local_disorder_is_undone),
        cmocka_unit_test(test_series_streaming_reorder_bound),
        cmocka_unit_test(test_series_streaming_median_drift),
        cmocka_unit_test(test_series_all_equal_timestamps),
        cmocka_unit_test(test_series_extreme_time_range),
        cmocka_unit_test(test_series_huge_spread),
        cmocka_unit_test(test_sketch_against_exact_distributions),
        cmocka_unit_test(test_sketch_median_error_bound_is_a_bound),
        cmocka_unit_test(test_sketch_memory_bound),
        cmocka_unit_test(test_sketch_counters_widen),
        cmocka_unit_test(test_budget_accounting),
        cmocka_unit_test(test_budget_exact_lists_stop_growing),
        cmocka_unit_test(test_budget_sketches_coarsen),
        cmocka_unit_test(test_budget_floor),
        cmocka_unit_test(test_series_beat_intervals_exact),
        cmocka_unit_test(test_series_beat_volumes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_order.c - the order statistics of stats/order.h against a naive
 * reference (qsort, then index): the sort, the merge, the radix selection
 * on integers, the k-th absolute deviation on a sorted list, and the
 * weighted merge, median and median deviation on ascending weighted lists.  Lists are
 * random with fixed seeds, with duplicates, zeros, extremes (values near
 * 2^63, UINT32_MAX) and every length up to a few hundred; every k is checked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <math.h>

#include "stats/order.h"
#include "util.h"

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

#define KINDS 9

/* kind: 0 random, 1 few distinct, 2 all equal, 3 ascending, 4 descending,
 * 5 organ pipe, 6 integer ns gaps (mostly zeros), 7 near 2^63, 8 random
 * with equal neighbours */
static void fill_dbl(double *a, size_t n, int kind, uint64_t *rng)
{
    for (size_t i = 0; i < n; i++) {
        double v;
        switch (kind) {
        case 0: v = rng_unit(rng) * 1e6; break;
        case 1: v = (double)rng_below(rng, 4); break;
        case 2: v = 60e9; break;
        case 3: v = (double)i; break;
        case 4: v = (double)(n - i); break;
        case 5: v = (double)(i < n / 2 ? i : n - i); break;
        case 6: v = rng_below(rng, 3) ? 0 : (double)rng_below(rng, 1ull << 40); break;
        case 7: v = (double)((1ull << 63) - rng_below(rng, 1ull << 20)); break;
        default: v = i && rng_below(rng, 2) ? a[i - 1] : rng_unit(rng); break;
        }
        a[i] = v;
    }
}

static void check_sorted_as_reference(const double *got, const double *in, size_t n,
                                      const char *what)
{
    double *want = malloc((n ? n : 1) * sizeof(*want));
    memcpy(want, in, n * sizeof(*want));
    qsort(want, n, sizeof(*want), cmp_dbl);
    for (size_t i = 0; i < n; i++)
        if (got[i] != want[i]) {
            print_error("%s n %zu: position %zu is %.17g, expected %.17g\n", what, n, i, got[i],
                        want[i]);
            free(want);
            fail();
        }
    free(want);
}

static void test_sort(void **state)
{
    (void)state;
    uint64_t rng = 4242;
    static const size_t big[] = {511, 512, 513, 1000, 1024, 4097};
    for (size_t t = 0; t < 301 + sizeof(big) / sizeof(big[0]); t++) {
        size_t n = t < 301 ? t : big[t - 301];
        /* one more value after b and tmp: nothing may be written there */
        double *a = malloc((n ? n : 1) * sizeof(*a)), *b = malloc((n + 1) * sizeof(*b));
        double *tmp = malloc((n + 1) * sizeof(*tmp));
        for (int kind = 0; kind < KINDS; kind++) {
            fill_dbl(a, n, kind, &rng);
            /* the scalar sort, and the AVX-512 one where the CPU has it */
            for (int simd = 0; simd <= order_simd_available(); simd++) {
                memcpy(b, a, n * sizeof(*a));
                b[n] = tmp[n] = -7.5;
                order_sort_with(b, tmp, n, simd);
                check_sorted_as_reference(b, a, n, simd ? "sort (AVX-512)" : "sort");
                assert_true(b[n] == -7.5 && tmp[n] == -7.5);
            }
        }
        free(a);
        free(b);
        free(tmp);
    }
}

/* The 0-1 principle: a comparator network that sorts every sequence of
 * zeros and ones sorts every sequence.  Every 0/1 input of 1 to 16 values
 * (the AVX-512 leaves' sizes) and of 17 to 18 (a merge of two leaves). */
static void test_sort_01(void **state)
{
    (void)state;
    if (!order_simd_available()) {
        print_message("    (no AVX-512 here: the scalar sort only, in test_sort)\n");
        return;
    }
    double a[19], tmp[19];
    for (unsigned n = 1; n <= 18; n++)
        for (uint32_t bits = 0; bits < 1u << n; bits++) {
            unsigned ones = 0;
            for (unsigned i = 0; i < n; i++) {
                a[i] = bits >> i & 1;
                ones += bits >> i & 1;
            }
            a[n] = tmp[n] = 5;
            order_sort_with(a, tmp, n, 1);
            for (unsigned i = 0; i < n; i++)
                if (a[i] != (i >= n - ones)) {
                    print_error("n %u input %#x: position %u is %g\n", n, bits, i, a[i]);
                    fail();
                }
            assert_true(a[n] == 5 && tmp[n] == 5);
        }
}

/* Merge sorted x and y of the given kinds (x, y, in and out have room for
 * them, out one more) by both merges, each checked against the reference
 * and for a write past its end. */
static void check_merge(double *x, size_t nx, int kx, double *y, size_t ny, int ky, double *in,
                        double *out, uint64_t *rng)
{
    fill_dbl(x, nx, kx, rng);
    fill_dbl(y, ny, ky, rng);
    qsort(x, nx, sizeof(*x), cmp_dbl);
    qsort(y, ny, sizeof(*y), cmp_dbl);
    memcpy(in, x, nx * sizeof(*x));
    memcpy(in + nx, y, ny * sizeof(*y));
    for (int simd = 0; simd <= order_simd_available(); simd++) {
        out[nx + ny] = -1;
        order_merge_with(x, nx, y, ny, out, simd);
        check_sorted_as_reference(out, in, nx + ny, simd ? "merge (AVX-512)" : "merge");
        assert_true(out[nx + ny] == -1);
    }
}

/* Merges of very unequal lengths (the AVX-512 merge takes eight values a
 * step while both lists last) into an output with a guard value after it. */
static void test_merge_unequal(void **state)
{
    (void)state;
    enum { BIG = 10000 };
    static const size_t lens[][2] = {{8, BIG}, {BIG, 8}, {9, BIG}, {BIG, 15}, {8, 8}, {BIG, BIG}};
    uint64_t rng = 99;
    double *x = malloc(BIG * sizeof(*x)), *y = malloc(BIG * sizeof(*y));
    double *in = malloc(2 * BIG * sizeof(*in)), *out = malloc((2 * BIG + 1) * sizeof(*out));
    assert_true(x && y && in && out);
    for (size_t t = 0; t < sizeof(lens) / sizeof(lens[0]); t++)
        for (int kind = 0; kind < KINDS; kind++)
            check_merge(x, lens[t][0], kind, y, lens[t][1], (kind + 3) % KINDS, in, out, &rng);
    free(x);
    free(y);
    free(in);
    free(out);
}

static void test_merge(void **state)
{
    (void)state;
    uint64_t rng = 777;
    double x[70], y[70], in[140], out[141];
    for (size_t nx = 0; nx < 70; nx += 1 + nx / 8)
        for (size_t ny = 0; ny < 70; ny += 1 + ny / 8)
            for (int kind = 0; kind < KINDS; kind++)
                check_merge(x, nx, kind, y, ny, (kind + 1) % KINDS, in, out, &rng);
}

static void test_select_u32(void **state)
{
    (void)state;
    uint64_t rng = 99;
    uint32_t a[300], b[300], s[300];
    for (size_t n = 1; n <= 300; n += n < 40 ? 1 : 37)
        for (int kind = 0; kind < 7; kind++) {
            for (size_t i = 0; i < n; i++) {
                uint32_t v;
                switch (kind) {
                case 0: v = (uint32_t)rng_next(&rng); break;
                case 1: v = 60 + 1400 * (uint32_t)rng_below(&rng, 3); break;
                case 2: v = 1514; break;
                case 3: v = rng_below(&rng, 2) ? 0 : (uint32_t)rng_below(&rng, 65536); break;
                case 4: v = UINT32_MAX - (uint32_t)rng_below(&rng, 5); break;
                case 5: v = (uint32_t)rng_below(&rng, 4) << 24 | 0x00abcdefu; break;
                default: v = i & 1 ? UINT32_MAX : 0; break;
                }
                a[i] = v;
            }
            memcpy(s, a, n * sizeof(*a));
            qsort(s, n, sizeof(*s), cmp_u32);
            memcpy(b, a, n * sizeof(*a));
            for (size_t k = 0; k < n; k++) {
                uint32_t got = order_select_u32(b, n, k);
                if (got != s[k]) {
                    print_error("select n %zu kind %d k %zu: %u, expected %u\n", n, kind, k, got,
                                s[k]);
                    fail();
                }
            }
            assert_memory_equal(a, b, n * sizeof(*a)); /* not reordered */
        }
    /* hand-checked */
    uint32_t h[5] = {1500, 60, 60, 1500, 1500};
    assert_int_equal(order_select_u32(h, 5, 2), 1500);
    assert_int_equal(order_select_u32(h, 4, 1), 60); /* lower middle of 4 */
    assert_int_equal(order_select_u32(h, 1, 0), 1500);
}

/* every k of |a[i] - c| against sorting the deviations */
static void check_absdev(const double *a, size_t n, double c)
{
    double *dev = malloc(n * sizeof(*dev));
    for (size_t i = 0; i < n; i++)
        dev[i] = fabs(a[i] - c);
    qsort(dev, n, sizeof(*dev), cmp_dbl);
    for (size_t k = 0; k < n; k++) {
        double prev = -1, got = order_absdev_kth(a, n, c, k, &prev);
        if (got != dev[k] || (k > 0 && prev != dev[k - 1])) {
            print_error("absdev n %zu c %.17g k %zu: %.17g (prev %.17g), expected %.17g\n", n, c, k,
                        got, prev, dev[k]);
            free(dev);
            fail();
        }
        assert_true(order_absdev_kth(a, n, c, k, NULL) == got);
    }
    free(dev);
}

static void test_absdev_kth(void **state)
{
    (void)state;
    uint64_t rng = 1234;
    double a[130];
    for (size_t n = 1; n <= 130; n += n < 12 ? 1 : 13)
        for (int kind = 0; kind < KINDS; kind++) {
            fill_dbl(a, n, kind, &rng);
            for (size_t i = 0; i < n; i++)
                a[i] *= 1e-9; /* seconds, as the statistics use them */
            qsort(a, n, sizeof(*a), cmp_dbl);
            /* the medians pcts uses, each element, and points outside */
            check_absdev(a, n, a[(n - 1) / 2]);
            check_absdev(a, n, n & 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2.0);
            check_absdev(a, n, a[rng_below(&rng, n)]);
            check_absdev(a, n, a[0] - 1);
            check_absdev(a, n, a[n - 1] * 2 + 1);
            check_absdev(a, n, a[0] + (a[n - 1] - a[0]) * rng_unit(&rng));
        }
    /* hand-checked: 1 2 4 8 around 3 -> 2 1 1 5 -> 1 1 2 5 */
    double h[4] = {1, 2, 4, 8}, prev = 0;
    assert_true(order_absdev_kth(h, 4, 3, 0, NULL) == 1);
    assert_true(order_absdev_kth(h, 4, 3, 2, &prev) == 2 && prev == 1);
    assert_true(order_absdev_kth(h, 4, 3, 3, &prev) == 5 && prev == 2);
}

/* ---- weighted lists -------------------------------------------------- */

static int cmp_wv(const void *a, const void *b)
{
    const struct wval *x = a, *y = b;
    return (x->v > y->v) - (x->v < y->v);
}

/* Naive weighted lower median: sort by value, walk to half the total. */
static double ref_wmedian(const struct wval *a, size_t n)
{
    struct wval *c = malloc((n ? n : 1) * sizeof(*c));
    memcpy(c, a, n * sizeof(*c));
    qsort(c, n, sizeof(*c), cmp_wv);
    uint64_t total = 0, seen = 0;
    for (size_t i = 0; i < n; i++)
        total += c[i].w;
    double r = 0;
    for (size_t i = 0; i < n && total; i++)
        if (2 * (seen += c[i].w) >= total) {
            r = c[i].v;
            break;
        }
    free(c);
    return r;
}

static double ref_wabsdev_median(const struct wval *a, size_t n, double c)
{
    struct wval *d = malloc((n ? n : 1) * sizeof(*d));
    for (size_t i = 0; i < n; i++) {
        d[i].v = fabs(a[i].v - c);
        d[i].w = a[i].w;
    }
    double r = ref_wmedian(d, n);
    free(d);
    return r;
}

/* Ascending weighted lists of every kind, weights 1, small, large or 0
 * (a zero-weight entry never is a median). */
static void fill_wval(struct wval *a, size_t n, int kind, uint64_t *rng)
{
    double *v = malloc((n ? n : 1) * sizeof(*v)), *tmp = malloc((n ? n : 1) * sizeof(*tmp));
    fill_dbl(v, n, kind, rng);
    order_sort(v, tmp, n);
    int wk = (int)rng_below(rng, 4);
    for (size_t i = 0; i < n; i++) {
        a[i].v = v[i];
        a[i].w = wk == 0   ? 1
                 : wk == 1 ? 1 + rng_below(rng, 5)
                 : wk == 2 ? 1 + rng_below(rng, rng_below(rng, 4) ? 3 : 100000)
                           : rng_below(rng, 3);
    }
    free(v);
    free(tmp);
}

static void test_weighted(void **state)
{
    (void)state;
    uint64_t rng = 4242;
    enum { MAXN = 260 };
    struct wval a[MAXN], b[MAXN], m[2 * MAXN], r[2 * MAXN];
    for (size_t n = 0; n < MAXN; n += 1 + n / 16)
        for (int kind = 0; kind < KINDS; kind++)
            for (int rep = 0; rep < 3; rep++) {
                fill_wval(a, n, kind, &rng);
                size_t nb = (size_t)rng_below(&rng, MAXN);
                fill_wval(b, nb, (int)rng_below(&rng, KINDS), &rng);
                /* the merge: ascending, the same multiset as both */
                order_wmerge(a, n, b, nb, m);
                memcpy(r, a, n * sizeof(*a));
                memcpy(r + n, b, nb * sizeof(*b));
                qsort(r, n + nb, sizeof(*r), cmp_wv);
                for (size_t i = 0; i < n + nb; i++) {
                    assert_true(m[i].v == r[i].v);
                    assert_true(i == 0 || m[i - 1].v <= m[i].v);
                }
                uint64_t wsum_m = 0, wsum_r = 0;
                for (size_t i = 0; i < n + nb; i++) {
                    wsum_m += m[i].w;
                    wsum_r += r[i].w;
                }
                assert_true(wsum_m == wsum_r);
                /* the medians */
                double med = order_wmedian(a, n);
                if (med != ref_wmedian(a, n)) {
                    print_error("n %zu kind %d: weighted median %.17g, expected %.17g\n", n, kind,
                                med, ref_wmedian(a, n));
                    fail();
                }
                double cs[4] = {med, n ? a[rng_below(&rng, n)].v : 0,
                                n ? a[rng_below(&rng, n)].v * 1.37 + 0.5 : 1, -1e300};
                for (int ci = 0; ci < 4; ci++) {
                    double got = order_wabsdev_median(a, n, cs[ci]);
                    double want = ref_wabsdev_median(a, n, cs[ci]);
                    if (got != want) {
                        print_error("n %zu kind %d c %.17g: weighted MAD %.17g, expected %.17g\n",
                                    n, kind, cs[ci], got, want);
                        fail();
                    }
                }
            }
    /* hand-checked: weights decide */
    struct wval h[3] = {{1, 5}, {5, 1}, {10, 1}};
    assert_true(order_wmedian(h, 3) == 1);
    assert_true(order_wabsdev_median(h, 3, 1) == 0);
    struct wval h2[3] = {{1, 2}, {5, 1}, {10, 3}};
    assert_true(order_wmedian(h2, 3) == 5);           /* cumulative 2, 3 of 6 */
    assert_true(order_wabsdev_median(h2, 3, 5) == 4); /* 0 (1), 4 (2): 3 of 6 */
    assert_true(order_wmedian(h, 0) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sort),       cmocka_unit_test(test_sort_01),
        cmocka_unit_test(test_merge),      cmocka_unit_test(test_merge_unequal),
        cmocka_unit_test(test_select_u32), cmocka_unit_test(test_absdev_kth),
        cmocka_unit_test(test_weighted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

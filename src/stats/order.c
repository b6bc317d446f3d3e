/*
 * order.c - see order.h.
 */
#include "order.h"

#include <math.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
/* AVX-512 where the compiler can target it (gcc and clang on x86-64),
 * chosen at run time (order_sort) */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(PCTS_NO_SIMD)
#define ORDER_SIMD 1
#include <immintrin.h>
#else
#define ORDER_SIMD 0
#endif

#define RUN 8 /* lists this short are sorted by a network (leaf_sort) */

#if ORDER_SIMD
/*
 * Where the CPU has AVX-512 (eight doubles a register), the sort and the
 * merges work eight values at a time: leaves of up to 16 values sorted by a
 * bitonic network in two registers, merges eight values a step by a
 * bitonic merge network (the merge in registers of Inoue and Taura, VLDB
 * 2015).  The sorts of a group's gaps and beat intervals and the score's
 * merges were a quarter of the statistics phase of a one-thread --series
 * packets run (perf, the 10 M bench file); this takes 0.45-0.65 of the
 * scalar code's time on 16 to 1 000 values (docs/performance-log.md,
 * session 12).  Chosen at run time: the scalar code runs elsewhere (and under
 * valgrind, which has no AVX-512).  Every value is a double without NaN or
 * -0 (order.h), so min and max pick values, never mix them: the output is
 * the scalar code's, bit for bit.
 */
#define SIMD_FN __attribute__((target("avx512f"))) static inline

/* One compare-exchange step between lanes i and i ^ j; the lanes set in hi
 * take the maximum of their pair. */
SIMD_FN __m512d cx_step(__m512d v, int j, __mmask8 hi)
{
    __m512i idx = _mm512_set_epi64(7 ^ j, 6 ^ j, 5 ^ j, 4 ^ j, 3 ^ j, 2 ^ j, 1 ^ j, 0 ^ j);
    __m512d w = _mm512_permutexvar_pd(idx, v);
    return _mm512_mask_blend_pd(hi, _mm512_min_pd(v, w), _mm512_max_pd(v, w));
}

/* A bitonic register in ascending order: half-cleaners 4, 2, 1 (the lane
 * with bit j set takes the maximum). */
SIMD_FN __m512d bitonic_clean(__m512d v)
{
    v = cx_step(v, 4, 0xF0);
    v = cx_step(v, 2, 0xCC);
    return cx_step(v, 1, 0xAA);
}

/* Sort one register by the bitonic network for 8: in the stage that builds
 * runs of k, lane i of the pair (i, i ^ j) takes the maximum when bit j of
 * i differs from bit k of i (runs with bit k set descend). */
SIMD_FN __m512d sort8(__m512d v)
{
    v = cx_step(v, 1, 0x66); /* k 2: lanes 1, 2, 5, 6 */
    v = cx_step(v, 2, 0x3C); /* k 4, j 2: lanes 2, 3, 4, 5 */
    v = cx_step(v, 1, 0x5A); /* k 4, j 1: lanes 1, 3, 4, 6 */
    return bitonic_clean(v); /* k 8: ascending */
}

/* *lo and *hi ascending: after, *lo holds the eight smallest of the
 * sixteen and *hi the eight largest, each ascending (hi reversed against
 * lo makes a bitonic sixteen; one min/max step and two cleaners sort it). */
SIMD_FN void merge16(__m512d *lo, __m512d *hi)
{
    __m512d r = _mm512_permutexvar_pd(_mm512_set_epi64(0, 1, 2, 3, 4, 5, 6, 7), *hi);
    __m512d a = _mm512_min_pd(*lo, r), b = _mm512_max_pd(*lo, r);
    *lo = bitonic_clean(a);
    *hi = bitonic_clean(b);
}

/* The lanes of the first n values of a register (n capped at 8). */
static inline __mmask8 lanes(size_t n)
{
    return n >= 8 ? 0xFF : (__mmask8)((1u << n) - 1);
}

/* Up to 8 values of [p, e) in a register, +inf after them. */
SIMD_FN __m512d load_upto8(const double *p, const double *e)
{
    return _mm512_mask_loadu_pd(_mm512_set1_pd(INFINITY), lanes((size_t)(e - p)), p);
}

/* Sort the 9 to 16 values at a into out (which may be a): two registers
 * sorted and merged.  The missing values are +inf in the registers, never
 * stored. */
__attribute__((target("avx512f"))) static void leaf16(const double *a, size_t n, double *out)
{
    __m512d lo = sort8(load_upto8(a, a + n)), hi = sort8(load_upto8(a + 8, a + n));
    merge16(&lo, &hi);
    _mm512_mask_storeu_pd(out, lanes(n), lo);
    _mm512_mask_storeu_pd(out + 8, lanes(n - 8), hi);
}

/* Merge ascending x[0..nx) and y[0..ny), both at least 8, into out, eight
 * values a step: lo takes the next eight of the list whose head is
 * smaller, the bitonic network leaves the eight smallest of lo and hi in
 * lo, which are the merge's next eight.  A list read past its end reads as
 * +inf forever, as if both lists went on with +inf: the merge of those is
 * correct for the same reason as of any two sorted lists, and its first
 * nx + ny values are the ones stored. */
__attribute__((target("avx512f"))) static void merge_simd(const double *x, size_t nx,
                                                          const double *y, size_t ny, double *out)
{
    const double *xe = x + nx, *ye = y + ny;
    double *oe = out + nx + ny;
    __m512d lo = _mm512_loadu_pd(x), hi = _mm512_loadu_pd(y);
    x += 8;
    y += 8;
    for (;;) {
        merge16(&lo, &hi);
        size_t left = (size_t)(oe - out);
        if (left <= 8) { /* the last values: lo holds them (hi may hold more +inf) */
            _mm512_mask_storeu_pd(out, lanes(left), lo);
            return;
        }
        _mm512_storeu_pd(out, lo);
        out += 8;
        double hx = x < xe ? *x : INFINITY, hy = y < ye ? *y : INFINITY;
        int take_y = hy < hx;
        const double *p = take_y ? y : x, *e = take_y ? ye : xe;
        lo = load_upto8(p, e);
        size_t step = (size_t)(e - p) < 8 ? (size_t)(e - p) : 8;
        x += take_y ? 0 : step;
        y += take_y ? step : 0;
    }
}

#endif

static void merge_scalar(const double *x, size_t nx, const double *y, size_t ny, double *out)
{
    const double *xe = x + nx, *ye = y + ny;
    while (x < xe && y < ye) {
        /* take y only when strictly smaller: stable, and no branch on it */
        int take_y = *y < *x;
        *out++ = take_y ? *y : *x;
        y += take_y;
        x += !take_y;
    }
    while (x < xe)
        *out++ = *x++;
    while (y < ye)
        *out++ = *y++;
}

void order_merge_with(const double *x, size_t nx, const double *y, size_t ny, double *out, int simd)
{
#if ORDER_SIMD
    if (simd && nx >= 8 && ny >= 8 && order_simd_available()) {
        merge_simd(x, nx, y, ny, out);
        return;
    }
#else
    (void)simd;
#endif
    merge_scalar(x, nx, y, ny, out);
}

void order_merge(const double *x, size_t nx, const double *y, size_t ny, double *out)
{
    order_merge_with(x, nx, y, ny, out, 1);
}

/* Merge the ascending a[0..l) and a[l..l+r), r = l or l + 1, into out from
 * both ends at once: two independent chains of loads and compares instead
 * of one (the parity merge of quadsort).  With these lengths, the steps
 * from either end never read outside the lists. */
static void parity_merge(const double *a, size_t l, size_t r, double *out)
{
    const double *x = a, *y = a + l, *xr = a + l - 1, *yr = a + l + r - 1;
    double *lo = out, *hi = out + l + r - 1;
    /* 1 or 2 steps from the front, l - 1 from both ends, the last one from
     * the back */
    for (size_t s = 0; s < 1 + (l < r); s++) {
        int take_y = *y < *x; /* the smaller, x on ties */
        *lo++ = take_y ? *y : *x;
        y += take_y;
        x += !take_y;
    }
    for (size_t s = 1; s < l; s++) {
        int take_y = *y < *x; /* front: the smaller, x on ties */
        *lo++ = take_y ? *y : *x;
        y += take_y;
        x += !take_y;
        /* back: the larger, y on ties.  The empty asm hides take_x's
         * origin: gcc 12 otherwise turned the steps into a branch on the
         * comparison, mispredicted half the time (the sort ran 18% slower
         * on 200 random values). */
        double xv = *xr, yv = *yr;
        size_t take_x = yv < xv;
        __asm__("" : "+r"(take_x));
        *hi-- = yv < xv ? xv : yv;
        xr -= take_x;
        yr -= 1 - take_x;
    }
    *hi = *yr < *xr ? *xr : *yr; /* the last one, where both ends meet */
}

/* Order *a <= *b.  minsd/maxsd where there are: written in C, gcc 12 made
 * the exchange a branch on the comparison, mispredicted half the time. */
static inline void cx(double *a, double *b)
{
#ifdef __SSE2__
    __m128d x = _mm_set_sd(*a), y = _mm_set_sd(*b);
    *a = _mm_cvtsd_f64(_mm_min_sd(x, y));
    *b = _mm_cvtsd_f64(_mm_max_sd(x, y));
#else
    double x = *a, y = *b;
    *a = y < x ? y : x;
    *b = y < x ? x : y;
#endif
}

/* Sort the 1 to RUN (8) values at a into out (which may be a): the 19
 * compare-exchanges of an optimal sorting network for 8 (Knuth, TAOCP
 * 5.3.4), as minimum and maximum in registers, on the values padded with
 * +inf.  No branch on the data, where insertion sort mispredicted about
 * once a value; not stable, which equal doubles do not need (no -0: the
 * values are converted integers). */
static void leaf_sort(const double *a, size_t n, double *out)
{
    double v0 = a[0], v1 = n > 1 ? a[1] : INFINITY, v2 = n > 2 ? a[2] : INFINITY,
           v3 = n > 3 ? a[3] : INFINITY, v4 = n > 4 ? a[4] : INFINITY, v5 = n > 5 ? a[5] : INFINITY,
           v6 = n > 6 ? a[6] : INFINITY, v7 = n > 7 ? a[7] : INFINITY;
    cx(&v0, &v2), cx(&v1, &v3), cx(&v4, &v6), cx(&v5, &v7);
    cx(&v0, &v4), cx(&v1, &v5), cx(&v2, &v6), cx(&v3, &v7);
    cx(&v0, &v1), cx(&v2, &v3), cx(&v4, &v5), cx(&v6, &v7);
    cx(&v2, &v4), cx(&v3, &v5);
    cx(&v1, &v4), cx(&v3, &v6);
    cx(&v1, &v2), cx(&v3, &v4), cx(&v5, &v6);
    double v[8] = {v0, v1, v2, v3, v4, v5, v6, v7};
    memcpy(out, v, n * sizeof(*out));
}

/* Sort a[0..n) into tmp when to_tmp, else in place; the other is scratch.
 * The halves go to the other buffer, so each level merges without a copy. */
static void merge_sort(double *a, double *tmp, size_t n, int to_tmp)
{
    double *out = to_tmp ? tmp : a;
    if (n <= RUN) {
        if (n)
            leaf_sort(a, n, out);
        return;
    }
    size_t h = n / 2;
    merge_sort(a, tmp, h, !to_tmp);
    merge_sort(a + h, tmp + h, n - h, !to_tmp);
    parity_merge(to_tmp ? a : tmp, h, n - h, out);
}

#if ORDER_SIMD
/* merge_sort with leaf16 (the same recursion: the halves go to the other
 * buffer). */
__attribute__((target("avx512f"))) static void merge_sort_simd(double *a, double *tmp, size_t n,
                                                               int to_tmp)
{
    double *out = to_tmp ? tmp : a;
    if (n <= 16) { /* up to 8: the scalar network is faster (2.6 ns a value against 5.1) */
        if (n > RUN)
            leaf16(a, n, out);
        else if (n)
            leaf_sort(a, n, out);
        return;
    }
    size_t h = n / 2;
    merge_sort_simd(a, tmp, h, !to_tmp);
    merge_sort_simd(a + h, tmp + h, n - h, !to_tmp);
    const double *src = to_tmp ? a : tmp;
    if (h >= 8)
        merge_simd(src, h, src + h, n - h, out);
    else
        parity_merge(src, h, n - h, out);
}

int order_simd_available(void)
{
    return __builtin_cpu_supports("avx512f") != 0;
}
#else
int order_simd_available(void)
{
    return 0;
}
#endif

void order_sort_with(double *a, double *tmp, size_t n, int simd)
{
#if ORDER_SIMD
    if (simd && order_simd_available()) {
        merge_sort_simd(a, tmp, n, 0);
        return;
    }
#else
    (void)simd;
#endif
    merge_sort(a, tmp, n, 0);
}

void order_sort(double *a, double *tmp, size_t n)
{
    order_sort_with(a, tmp, n, 1);
}

uint32_t order_select_u32(const uint32_t *a, size_t n, size_t k)
{
    /* A few values (most groups of a big capture have a handful of events):
     * an insertion sort of a copy, where the counting passes below spend
     * their 256 counters on them (4% of a one-thread run over 1 M groups of
     * 5 events, perf). */
    if (n <= 16) {
        uint32_t b[16];
        for (size_t i = 0; i < n; i++) {
            uint32_t v = a[i];
            size_t j = i;
            for (; j > 0 && b[j - 1] > v; j--)
                b[j] = b[j - 1];
            b[j] = v;
        }
        return b[k];
    }
    /* a byte in which all values agree needs no pass */
    uint32_t any = 0, all = UINT32_MAX;
    for (size_t i = 0; i < n; i++) {
        any |= a[i];
        all &= a[i];
    }
    uint32_t vary = any ^ all, prefix = 0, mask = 0; /* the bytes chosen so far */
    for (int shift = 24; shift >= 0; shift -= 8) {
        if (!((vary >> shift) & 0xff))
            continue;
        uint32_t cnt[256];
        memset(cnt, 0, sizeof(cnt));
        for (size_t i = 0; i < n; i++) /* count only the values still in the running */
            cnt[(a[i] >> shift) & 0xff] += (a[i] & mask) == prefix;
        uint32_t b = 0;
        while (k >= cnt[b])
            k -= cnt[b++];
        prefix |= b << shift;
        mask |= 0xffu << shift;
    }
    return prefix | (all & ~mask);
}

double order_absdev_kth(const double *a, size_t n, double c, size_t k, double *prev)
{
    /* the first value >= c: below it the deviations fall, from it they rise */
    size_t nb = 0, hi = n;
    while (nb < hi) {
        size_t mid = nb + (hi - nb) / 2;
        if (a[mid] < c)
            nb = mid + 1;
        else
            hi = mid;
    }
    /* Two ascending lists: B(j) = |a[nb-1-j] - c| (walking down) and
     * U(j) = |a[nb+j] - c| (walking up).  The k+1 smallest deviations are
     * the first i of B and the first k+1-i of U for the least i with
     * B(i) >= U(k-i): a binary search, not a walk of k steps. */
    const double *above = a + nb;
    size_t nu = n - nb, lo = k + 1 > nu ? k + 1 - nu : 0, up = k + 1 < nb ? k + 1 : nb;
    while (lo < up) {
        size_t i = lo + (up - lo) / 2;
        if (fabs(a[nb - 1 - i] - c) < fabs(above[k - i] - c))
            lo = i + 1;
        else
            up = i;
    }
    size_t i = lo, j = k + 1 - lo; /* taken from below and from above */
    /* the two largest taken: among the last two of each list */
    double b1 = i > 0 ? fabs(a[nb - i] - c) : -1;
    double b2 = i > 1 ? fabs(a[nb + 1 - i] - c) : -1;
    double u1 = j > 0 ? fabs(above[j - 1] - c) : -1;
    double u2 = j > 1 ? fabs(above[j - 2] - c) : -1;
    double top, next;
    if (b1 >= u1) {
        top = b1;
        next = u1 > b2 ? u1 : b2;
    } else {
        top = u1;
        next = b1 > u2 ? b1 : u2;
    }
    if (prev && k > 0)
        *prev = next;
    return top;
}

void order_wmerge(const struct wval *x, size_t nx, const struct wval *y, size_t ny,
                  struct wval *out)
{
    const struct wval *xe = x + nx, *ye = y + ny;
    while (x < xe && y < ye) {
        int take_y = y->v < x->v; /* x on ties */
        *out++ = take_y ? *y : *x;
        y += take_y;
        x += !take_y;
    }
    while (x < xe)
        *out++ = *x++;
    while (y < ye)
        *out++ = *y++;
}

static uint64_t wtotal(const struct wval *a, size_t n)
{
    uint64_t t = 0;
    for (size_t i = 0; i < n; i++)
        t += a[i].w;
    return t;
}

double order_wmedian(const struct wval *a, size_t n)
{
    uint64_t need = (wtotal(a, n) + 1) / 2, seen = 0;
    if (!need)
        return 0;
    size_t i = 0;
    while ((seen += a[i].w) < need)
        i++;
    return a[i].v;
}

double order_wabsdev_median(const struct wval *a, size_t n, double c)
{
    uint64_t need = (wtotal(a, n) + 1) / 2, seen = 0;
    if (!need)
        return 0;
    /* below: a[0..nb) walked down; above: a[nb..n) walked up */
    size_t nb = 0, hi = n;
    while (nb < hi) {
        size_t mid = nb + (hi - nb) / 2;
        if (a[mid].v < c)
            nb = mid + 1;
        else
            hi = mid;
    }
    size_t i = nb, j = nb;
    for (;;) { /* the total weight reaches need before both lists end */
        double db = i > 0 ? fabs(a[i - 1].v - c) : INFINITY;
        double du = j < n ? fabs(a[j].v - c) : INFINITY;
        if (db <= du) {
            if ((seen += a[--i].w) >= need)
                return db;
        } else {
            if ((seen += a[j++].w) >= need)
                return du;
        }
    }
}

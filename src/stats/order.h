/*
 * order.h - order statistics for the exact regime (series.c) and the
 * scorer (score.c): a sort, a merge, selections on sorted data and on
 * integers.
 *
 * Every exact interval is an integer count of nanoseconds, and everything
 * the statistics need from it is a non-decreasing function of it: (double)d
 * and (double)d * 1e-9 never reverse two values.  So one sort per list gives,
 * bit for bit, the order statistics that selecting on the converted values
 * gave, and the absolute deviations from any value c can be read from the
 * sorted list without a second selection: |x - c| falls towards c and rises
 * after it (rounded subtraction is monotone): the part below c, walked
 * down, and the part above it, walked up, are two ascending lists, and the
 * k-th smallest of two ascending lists is a binary search away.  The sort is a merge sort whose
 * merges are branch-free and work from both ends at once: the lists are short (a few hundred),
 * where a radix sort's counters cost more than they save, and where quicksort's and quickselect's
 * comparisons mispredict.
 */
#ifndef PCTS_ORDER_H
#define PCTS_ORDER_H

#include "sketch.h" /* struct wval */

#include <stddef.h>
#include <stdint.h>

/* Sort a[0..n) ascending; tmp is scratch of n values.  No NaNs, no -0.
 * With AVX-512 where the CPU has it (the same result, order.c). */
void order_sort(double *a, double *tmp, size_t n);

/* For tests and benchmarks: the AVX-512 sort when simd and the CPU has it
 * (order_simd_available()), else the scalar one. */
void order_sort_with(double *a, double *tmp, size_t n, int simd);
int order_simd_available(void);

/* Merge ascending x[0..nx) and y[0..ny) into out (nx + ny values); with
 * AVX-512 where the CPU has it, like order_sort. */
void order_merge(const double *x, size_t nx, const double *y, size_t ny, double *out);
void order_merge_with(const double *x, size_t nx, const double *y, size_t ny, double *out,
                      int simd);

/* The k-th smallest (0-based, k < n) of a[0..n), without reordering it: a
 * radix selection, one counting pass per byte in which the values differ
 * (event sizes: usually two, none when they are all equal). */
uint32_t order_select_u32(const uint32_t *a, size_t n, size_t k);

/* The k-th smallest (0-based, k < n) of |a[i] - c| over an ascending
 * a[0..n); when prev is not NULL and k > 0, *prev is the (k-1)-th.  O(log n). */
double order_absdev_kth(const double *a, size_t n, double c, size_t k, double *prev);

/*
 * Weighted lists (the sketches' buckets, series.h), ascending by v.  The
 * weighted lower median is the smallest v whose cumulative weight reaches
 * half the total, (total + 1) / 2: what wval_median() selects, read off in
 * order instead.
 */

/* Merge ascending x[0..nx) and y[0..ny) into out (nx + ny entries). */
void order_wmerge(const struct wval *x, size_t nx, const struct wval *y, size_t ny,
                  struct wval *out);

/* Weighted lower median of an ascending a[0..n); 0 when the total weight is
 * 0. */
double order_wmedian(const struct wval *a, size_t n);

/* Weighted lower median of |a[i].v - c| over an ascending a[0..n) (the two
 * ascending lists of order_absdev_kth walked outwards from c, in step);
 * 0 when the total weight is 0. */
double order_wabsdev_median(const struct wval *a, size_t n, double c);

#endif

/*
 * prefetch.h - how the cache hints are declared.
 *
 * A function that only prefetches must be inlined always (PREFETCH_FN):
 * gcc 12 (-O2) took such a static inline function, when it was not inlined
 * early, for one without effects (__builtin_prefetch has none it can see)
 * and deleted its calls, so the hint silently never ran.  Found when a
 * profile still showed the misses a prefetch was placed for: the packet
 * series' series_prefetch() and group_table_prefetch_group() and the flow
 * table's queue prefetch had all lost their instructions (objdump).
 */
#ifndef PCTS_PREFETCH_H
#define PCTS_PREFETCH_H

#define PREFETCH_FN __attribute__((always_inline)) static inline

#endif

/*
 * xalloc.c - see xalloc.h.
 */
#include "xalloc.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

/* Set once by xalloc_huge_pages: the heap is on transparent huge pages. */
static int huge;

/*
 * The alignment for a block of n bytes: a big one starts on a 2 MiB
 * boundary when the heap is on huge pages.  glibc serves a block over its
 * mmap threshold by a mapping of its own, advised onto huge pages with the
 * tunable (cli/hugepages.c), but a huge page maps only a 2 MiB extent that
 * starts on such a boundary, and the mapping starts wherever mmap put it:
 * most of a block of a few MiB was on 4 KiB pages, each first touch a
 * fault (on this PVM guest about 12 us).  The growing group, index and
 * flow arrays, the logs and their partition buffer were most of the
 * faults of the bench file's runs: default mode, one thread, 7 017 faults
 * to 2 960; two threads 4 400 to 1 925, and the packet loop's median 0.645
 * to 0.605 s (10 alternated runs, docs/performance-log.md, session 27).  The
 * alignment's slack is address space, never touched.
 */
static size_t align_for(size_t n, size_t align)
{
    return huge && n >= XGROW_COPY_MIN && align < XGROW_COPY_MIN ? XGROW_COPY_MIN : align;
}

static void die_oom(size_t n)
{
    fprintf(stderr, "pcts: out of memory, malloc failed (tried to allocate %zu bytes)\n", n);
    exit(1);
}

void *xmalloc(size_t n)
{
    if (align_for(n, 0))
        return xaligned_alloc(_Alignof(max_align_t), n);
    void *p = malloc(n ? n : 1);
    if (!p)
        die_oom(n);
    return p;
}

void *xaligned_alloc(size_t align, size_t n)
{
    align = align_for(n, align);
    size_t sz = n ? st_add(n, align - 1) / align * align : align; /* C11: a multiple of align */
    void *p = aligned_alloc(align, sz);
    if (!p)
        die_oom(sz);
    return p;
}

void *xaligned_realloc(void *p, size_t align, size_t keep, size_t n)
{
    void *q = xaligned_alloc(align, n);
    if (keep)
        memcpy(q, p, keep < n ? keep : n);
    free(p);
    return q;
}

void *xcalloc(size_t nmemb, size_t size)
{
    void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
    if (!p)
        die_oom(st_mult(nmemb, size));
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        die_oom(n);
    return q;
}

/*
 * glibc reallocates a block served by its own mapping (from 128 KiB to
 * 32 MiB, and all above) with mremap.  The pages moved keep their size: a
 * block that grew to 160 MB (the group array of 1 M services) was 10% on
 * huge pages, the rest 4 KiB pages, even with glibc.malloc.hugetlb=1, since
 * a huge page moves whole only between addresses equal modulo 2 MiB.  On
 * such a block, where every access is a random one, a TLB miss an access:
 * on this PVM guest (docs/performance-log.md, session 17) the default mode's
 * packet loop on 5 M packets over 1 M services took 4.6 s with mremap and
 * 2.8 s with the copy, the statistics 1.3 and 1.0 s, the output 0.8 and
 * 0.5 s.  The copy's fresh pages are huge pages only with the tunable: on 4 KiB
 * pages the copy was slower (6.8 to 8.2 s, every fresh page faulted in), so
 * the copy waits for xalloc_huge_pages(1).  The copies add up to about
 * twice the final size, and the old block is freed at once.
 */
static _Atomic size_t grow_copies; /* for the tests: xgrow's copies so far */

size_t xalloc_grow_copies(void)
{
    return atomic_load_explicit(&grow_copies, memory_order_relaxed);
}

/* A block under 2 MiB is on 4 KiB pages wherever it starts, so an array
 * grown by 1.5x from a few elements went through several such blocks, each
 * a fault a page: the bench file's flow array (6.4 MB at the end) took
 * 1 160 faults of one thread's 2 960 before it reached 2 MiB. */
size_t xalloc_first_cap(size_t elem, size_t min)
{
    size_t n = huge && elem ? XGROW_COPY_MIN / elem : 0;
    return n > min ? n : min;
}

void xalloc_huge_pages(int on)
{
    huge = on;
#ifdef __GLIBC__
    /* Blocks of 2 MiB or more are mapped on their own, the rest kept on the
     * heap: glibc's threshold otherwise rises to the size of a mapped block
     * once it is freed, and an aligned block then carved from the heap
     * leaves its lead as a free chunk whose header alone makes a huge page
     * resident (one thread, default mode on the bench file: peak RSS 123 to
     * 136 MiB, with this 126).  In a mapping the lead is never touched. */
    if (on)
        (void)mallopt(M_MMAP_THRESHOLD, (int)XGROW_COPY_MIN);
#endif
}

void *xgrow(void *p, size_t keep, size_t n)
{
    if (!huge || n < XGROW_COPY_MIN || !p)
        return xrealloc(p, n);
    atomic_fetch_add_explicit(&grow_copies, 1, memory_order_relaxed);
    return xaligned_realloc(p, _Alignof(max_align_t), keep, n); /* malloc's alignment */
}

/*
 * Blocks that grow in place (xalloc.h).  Measured on 5 M packets over 1 M
 * services (bench/data, default mode, one thread), growth by copy put
 * blocks of 8 to 216 MB on the heap for the group array alone, 630 MB
 * touched and 415 MB copied for a final 144 MB in use; a third of that
 * run's time was the kernel clearing fresh pages.
 */
#if defined(__SANITIZE_ADDRESS__)
#define XRES_HEAP_ONLY 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define XRES_HEAP_ONLY 1
#endif
#endif
#ifndef XRES_HEAP_ONLY
#define XRES_HEAP_ONLY 0
#endif

#define XRES_STEP ((size_t)2 << 20)
/* Reservations past this are not made (a --max-groups in the billions):
 * such a block grows on the heap. */
#define XRES_MAX ((size_t)1 << 40)

void xres_init(struct xres *r, size_t max, size_t align)
{
    memset(r, 0, sizeof(*r));
    r->max = max;
    r->align = align;
}

/* Whether the address space is limited (ulimit -v): a reservation counts
 * in full against RLIMIT_AS, and a run that fitted in its limit must not
 * fail for address space it never uses. */
static int as_limited(void)
{
    struct rlimit rl;
    return getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur != RLIM_INFINITY;
}

int xres_mapped(const struct xres *r)
{
    return r->map != NULL;
}

int xres_reserves(void)
{
    return !XRES_HEAP_ONLY && !as_limited();
}

/* Reserve r->max bytes from a 2 MiB boundary; 0, or -1 to stay on the heap. */
static int xres_reserve(struct xres *r)
{
    if (XRES_HEAP_ONLY || r->max < XRES_MIN || r->max > XRES_MAX || as_limited())
        return -1;
    size_t room = (r->max + XRES_STEP - 1) / XRES_STEP * XRES_STEP;
    size_t len = room + XRES_STEP;
    void *m = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return -1;
    uintptr_t a = ((uintptr_t)m + XRES_STEP - 1) & ~(uintptr_t)(XRES_STEP - 1);
    r->map = m;
    r->map_len = len;
    r->p = (void *)a;
    r->room = room;
    /* a hint: the pages come at their first touch either way */
    if (huge)
        (void)madvise(r->p, room, MADV_HUGEPAGE);
    return 0;
}

void *xres_grow(struct xres *r, size_t keep, size_t n)
{
    if (n <= r->size)
        return r->p;
    if (!r->p && !r->map)
        (void)xres_reserve(r);
    if (r->map && n > r->room) { /* past the reservation: to the heap */
        void *q = xaligned_alloc(r->align > 16 ? r->align : 16, n);
        memcpy(q, r->p, keep < r->size ? keep : r->size);
        munmap(r->map, r->map_len);
        r->map = NULL;
        r->p = q;
        r->size = n;
        return q;
    }
    if (r->map) { /* n <= room: the next 2 MiB steps made writable */
        size_t w = (n + XRES_STEP - 1) / XRES_STEP * XRES_STEP;
        if (w > r->room)
            w = r->room;
        if (mprotect((char *)r->p + r->size, w - r->size, PROT_READ | PROT_WRITE))
            die_oom(n);
        r->size = w;
        return r->p;
    }
    /* as these arrays grew before: realloc (mremap for big blocks, no copy)
     * where malloc's alignment does, unless huge pages make xgrow copy */
    keep = keep < r->size ? keep : r->size;
    r->p = r->align <= 16 ? xgrow(r->p, keep, n) : xaligned_realloc(r->p, r->align, keep, n);
    r->size = n;
    return r->p;
}

void xres_free(struct xres *r)
{
    if (r->map)
        munmap(r->map, r->map_len);
    else
        free(r->p);
    size_t max = r->max, align = r->align;
    xres_init(r, max, align);
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = xmalloc(n);
    memcpy(d, s, n);
    return d;
}

size_t st_mult(size_t a, size_t b)
{
    if (b && a > (size_t)-1 / b) {
        fprintf(stderr, "pcts: size overflow: %zu * %zu\n", a, b);
        exit(1);
    }
    return a * b;
}

size_t st_add(size_t a, size_t b)
{
    if (a > (size_t)-1 - b) {
        fprintf(stderr, "pcts: size overflow: %zu + %zu\n", a, b);
        exit(1);
    }
    return a + b;
}

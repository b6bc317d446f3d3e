/*
 * xalloc.h - allocation that cannot silently fail.
 *
 * pcts is a batch tool: on allocation failure the right behaviour is a
 * message with the size that was wanted and exit status 1 (git's
 * do_xmalloc).  Size arithmetic goes through st_mult/st_add, which die on
 * overflow instead of wrapping.
 */
#ifndef PCTS_XALLOC_H
#define PCTS_XALLOC_H

#include <stddef.h>

/* Once xalloc_huge_pages(1) was called, a block of XGROW_COPY_MIN bytes or
 * more from xmalloc, xaligned_alloc and xgrow starts on a 2 MiB boundary
 * (xalloc.c: why); xcalloc's and xrealloc's do not. */
void *xmalloc(size_t n);
/* align: a power of two; free() releases it. */
void *xaligned_alloc(size_t align, size_t n);
/* realloc for such a block: a new one of n bytes, the first keep bytes of p
 * copied, p freed (realloc itself promises only 16-byte alignment). */
void *xaligned_realloc(void *p, size_t align, size_t keep, size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* realloc for a block that grows: n bytes, the first keep bytes of p kept.
 * Once xalloc_huge_pages(1) was called, a block of XGROW_COPY_MIN bytes or
 * more is moved by a copy into a fresh allocation instead (xalloc.c: why). */
void *xgrow(void *p, size_t keep, size_t n);
#define XGROW_COPY_MIN ((size_t)2 << 20)
/* Called once, before any thread starts: the heap is on transparent huge
 * pages (cli/hugepages.h), so big blocks start on a 2 MiB boundary and grow
 * by copy. */
void xalloc_huge_pages(int on);
/* The first capacity of an array of elem-byte elements growing from
 * empty: min, or what fits a huge page (XGROW_COPY_MIN bytes) once
 * xalloc_huge_pages(1) was called, for an array that a big run fills
 * (xalloc.c: why). */
size_t xalloc_first_cap(size_t elem, size_t min);
/* How many growths xgrow made by copy so far (for the tests). */
size_t xalloc_grow_copies(void);
/*
 * A block that grows in place: at its first growth, address space for max
 * bytes is reserved (mmap, PROT_NONE: no memory, no commit charge), and
 * growing makes more of it readable and writable, 2 MiB at a time (the
 * pages themselves come at their first touch).  The block does not move
 * while it is in its reservation, so growth copies nothing and touches no
 * page twice, where growth by copy (xgrow) touched about three times the
 * final size in fresh pages and copied twice it (xalloc.c: measured).  On
 * the heap instead, grown as before (xgrow for an alignment of 16 or less,
 * else xaligned_realloc), so it may move there, when max is under XRES_MIN,
 * when the address space is limited (ulimit -v: a reservation counts in
 * full there) or the reservation fails, under AddressSanitizer (whose
 * redzones need the heap), and from a growth past max on.
 */
struct xres {
    void *p;        /* the block, NULL before the first growth */
    size_t align;   /* its alignment on the heap (in a reservation: 2 MiB) */
    size_t size;    /* bytes it may use (in a reservation: made read-write so far) */
    size_t max;     /* the reservation to make at the first growth */
    void *map;      /* the reservation (base p, 2 MiB-aligned), or NULL: on the heap */
    size_t map_len; /* its length */
    size_t room;    /* of it, the bytes from p on */
};
#define XRES_MIN ((size_t)4 << 20)
void xres_init(struct xres *r, size_t max, size_t align);
/* The block with at least n bytes, its first keep bytes kept; dies like
 * xmalloc when memory runs out. */
void *xres_grow(struct xres *r, size_t keep, size_t n);
void xres_free(struct xres *r);
/* Whether the block is in a reservation, and whether reservations are
 * made (not under AddressSanitizer or ulimit -v), for the tests. */
int xres_mapped(const struct xres *r);
int xres_reserves(void);
char *xstrdup(const char *s);
size_t st_mult(size_t a, size_t b);
size_t st_add(size_t a, size_t b);

/* Grow *arr (element size sizeof **arr) so that it holds at least need
 * elements; *cap is updated.  Growth is geometric (x1.5, at least 16). */
#define ALLOC_GROW(arr, need, cap)                                                                 \
    do {                                                                                           \
        if ((need) > (cap)) {                                                                      \
            size_t ag_new_ = (cap) < 16 ? 16 : st_add((cap), (cap) / 2);                           \
            if (ag_new_ < (need))                                                                  \
                ag_new_ = (need);                                                                  \
            (arr) =                                                                                \
                xgrow((arr), st_mult((cap), sizeof(*(arr))), st_mult(ag_new_, sizeof(*(arr))));    \
            (cap) = ag_new_;                                                                       \
        }                                                                                          \
    } while (0)

#endif

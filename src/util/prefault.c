/*
 * prefault.c - see prefault.h.
 *
 * The 10 M-packet bench file, --threads 2, alternated runs (2026-11-28):
 *  - default mode, 6 pairs at 13:52 UTC: packet loop 0.58-0.84 s (median
 *    0.65) without, 0.49-0.57 s (median 0.54) with; the main thread's CPU
 *    0.54-0.70 s against 0.48-0.55, the reading thread's 0.44-0.54 against
 *    0.43-0.51;
 *  - default mode, 8 pairs at 14:10 UTC, in a slow hour: 0.64-1.05 s
 *    (median 0.86) against 0.55-0.88 (0.83), faster in 6 pairs; the main
 *    thread's CPU 0.1 s lower, the reading thread's 0.05 s higher, which
 *    then set the pace;
 *  - --series packets --group ip (loop_pairs), 6 pairs: 0.53-0.72 s
 *    against 0.49-0.53.
 * Not used where the main thread is the busier one's partner only (the
 * packet series through flows: pipeline.c).
 */
#include "prefault.h"

#include <errno.h>
#include <stddef.h>
#include <sys/mman.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

/* The pad is how far the heap's end runs ahead of its use: the pages the
 * other thread may fault in before they are needed (at most this much more
 * resident memory than the run needs: peak RSS 101 to 127 MiB in the default
 * mode on the bench file with PREFAULT_PAD_MAX).  2 MiB at a time: a
 * transparent huge page. */
#define PREFAULT_STEP ((uintptr_t)2 << 20)

void prefault_init(struct prefault *p, size_t pad)
{
    p->on = 0;
    p->refused = 0;
    p->done = 0;
    atomic_store_explicit(&p->end, 0, memory_order_relaxed);
#if defined(__GLIBC__) && defined(MADV_POPULATE_WRITE)
    if (pad > PREFAULT_PAD_MAX)
        pad = PREFAULT_PAD_MAX;
    if (pad < 2 * PREFAULT_STEP || !mallopt(M_TOP_PAD, (int)pad))
        return;
    p->done = (uintptr_t)sbrk(0); /* below: in use already */
    atomic_store_explicit(&p->end, p->done, memory_order_relaxed);
    p->on = p->done != (uintptr_t)-1;
#else
    (void)pad;
#endif
}

void prefault_note(struct prefault *p)
{
    if (p->on)
        atomic_store_explicit(&p->end, (uintptr_t)sbrk(0), memory_order_relaxed);
}

void prefault_step(struct prefault *p)
{
#if defined(__GLIBC__) && defined(MADV_POPULATE_WRITE)
    if (!p->on || p->refused)
        return;
    uintptr_t end = atomic_load_explicit(&p->end, memory_order_relaxed);
    uintptr_t lo = p->done & ~(PREFAULT_STEP - 1);
    if (end < lo + PREFAULT_STEP)
        return; /* nothing new below the end (or the heap shrank) */
    /* A failure (the heap trimmed meanwhile: ENOMEM) only leaves the pages
     * to their first touch; a kernel without the advice says EINVAL once. */
    if (madvise((void *)lo, PREFAULT_STEP, MADV_POPULATE_WRITE) && errno == EINVAL)
        p->refused = 1;
    p->done = lo + PREFAULT_STEP;
#else
    (void)p;
#endif
}

void prefault_end(struct prefault *p)
{
#if defined(__GLIBC__) && defined(MADV_POPULATE_WRITE)
    if (p->on)
        (void)mallopt(M_TOP_PAD, 128 * 1024);
#endif
    p->on = 0;
}

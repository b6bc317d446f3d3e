/*
 * prefault.h - the main heap's fresh pages faulted in by the other thread of
 * the packet loop, ahead of the thread that allocates from it.
 *
 * On the machine pcts is measured on (a PVM guest: docs/performance.md,
 * "Machine and conditions") the first touch of a fresh page costs the host's work, and
 * the thread that grows the series' event lists (the main thread, glibc's
 * main arena, which grows with brk) spent about a tenth of its time in
 * those faults, the packet loop's slower stage.  The other stage had time to
 * spare.  So the allocating thread pads the heap's growth (M_TOP_PAD) and
 * publishes its end now and then; the other thread faults the pages below
 * that end in (MADV_POPULATE_WRITE, Linux 5.14), 2 MiB at a time, before
 * malloc hands them out.  Contents are not touched: a page already in use
 * stays as it is.  Numbers in prefault.c.
 *
 * Without glibc or MADV_POPULATE_WRITE (or when the kernel refuses it) the
 * calls do nothing.
 */
#ifndef PCTS_PREFAULT_H
#define PCTS_PREFAULT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct prefault {
    _Atomic uintptr_t end; /* the heap's end as the allocating thread last saw it */
    uintptr_t done;        /* faulted in up to here: the other thread's */
    int on;                /* set by prefault_init, then only read */
    int refused;           /* the kernel does not know the advice: the other thread's */
};

/* The pad a run gets at most (prefault.c). */
#define PREFAULT_PAD_MAX ((size_t)32 << 20)

/* On the allocating thread, before the other thread starts: pad the heap's
 * growth by pad bytes (at most PREFAULT_PAD_MAX).  A pad under two steps
 * (4 MiB) leaves it off: the memory a small --max-memory allows is not
 * worth faulting in ahead, and the pad would be most of it. */
void prefault_init(struct prefault *p, size_t pad);
/* On the allocating thread, now and then (a batch, a log). */
void prefault_note(struct prefault *p);
/* On the other thread, now and then: fault in at most 2 MiB below the
 * published end. */
void prefault_step(struct prefault *p);
/* After the other thread ended: the heap's growth unpadded again (glibc's
 * default, 128 KiB).  glibc's mmap threshold, which setting the pad froze
 * at its value then, stays frozen. */
void prefault_end(struct prefault *p);

#endif

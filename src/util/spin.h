/*
 * spin.h - wait a little by spinning before sleeping on a condition
 * variable, for the hand-overs between the packet loop's threads
 * (bqueue.h).  The decompressing thread's queue (capture/source.c) does
 * without: there the consumer waits on the slower decompressor about once
 * a 1 MiB chunk, and spinning changed nothing measurable (zstd bench file,
 * 4 alternated runs, 1.37-1.47 s against 1.30-1.49).
 *
 * Waking a thread that sleeps took about 100 us on the machine pcts is
 * measured on (a KVM guest: an idle vCPU halts, and a wake-up is an
 * interrupt to it), several batches' worth of work for the thread that
 * waits on it; numbers in spin.c.  Worth it only where two threads of the
 * process run side by side (cpus_two_full(), util/cpus.h): on one CPU's
 * worth, a spinner only delays the thread it waits for.
 */
#ifndef PCTS_SPIN_H
#define PCTS_SPIN_H
#include <stdatomic.h>
#include <stddef.h>

/* Spin while *v is 0, for at most about 100 us (or not at all when !on).
 * Only saves a sleep: the caller then checks under its mutex as before,
 * which is what synchronises. */
void spin_while_zero(_Atomic size_t *v, int on);
#endif

/*
 * clock.h - the two clocks pcts reads: wall time (progress bar, phases,
 * summary) and the calling thread's CPU time (PCTS_PHASES).
 */
#ifndef PCTS_CLOCK_H
#define PCTS_CLOCK_H

#include <time.h>

/* Seconds on the monotonic clock. */
static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU seconds of the calling thread (PCTS_PHASES: how busy each stage of
 * a pipeline was, waits excluded); 0 if the clock cannot be read. */
static inline double thread_cpu_s(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
        return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif

/*
 * hugepages.h - start pcts again with glibc's heap on transparent huge pages
 * when the inputs are large enough for it to pay (hugepages.c says why and
 * how much).
 */
#ifndef PCTS_CLI_HUGEPAGES_H
#define PCTS_CLI_HUGEPAGES_H

#include <stddef.h>

/*
 * Replaces the process with a fresh copy of itself whose malloc backs its
 * memory with transparent huge pages, when that is possible and worth it.
 * Returns (without side effects beyond the environment) when it is not, or
 * when exec fails: pcts then runs on as it is.  Call it before anything
 * is opened, read or started.  PCTS_HUGE_PAGES=0 turns it off, =1 skips the
 * size test.
 */
void hugepages_reexec(char **argv, char *const *inputs, size_t n_inputs);

/* Whether this process started with the tunable (PCTS_PHASES reports it). */
int hugepages_on(void);

/* And whether its heap is on transparent huge pages indeed: the tunable
 * asks for them (1, not hugetlbfs' 2) and THP is not off. */
int hugepages_effective(void);

#endif

/*
 * hugepages.c - the heap on transparent huge pages, by starting again.
 *
 * Why: pcts' memory is mostly many small blocks (every group's exact event
 * list, grown as packets arrive) that a run touches once and keeps.  Each
 * first touch of a 4 KiB page is a page fault, and in a virtual machine
 * each can also make the host back the page: on the 2-vCPU KVM guest that
 * pcts is measured on, a first write to a fresh page took 1.7-12 us
 * (docs/performance-log.md, sessions 15 and 16), so the 219 MiB of the bench
 * file's packet series (10 M packets, 50 k pairs) spent 0.4-0.6 s of a
 * 1.7 s run in faults.  With 2 MiB pages there are 512 times fewer faults:
 * 1.72 to 1.42 s on one thread, 1.32 to 0.95 on two; the default mode 1.63
 * to 1.44 and 1.22 to 0.96 (medians of 4 alternated runs, session 16); on
 * the 1 M-packet file 0.40 to 0.23 s.  Peak RSS grows by 1-2 MiB.
 *
 * How: glibc's malloc advises the kernel to use huge pages for all its
 * memory (the brk heap, the threads' arenas, large blocks) when started
 * with the tunable glibc.malloc.hugetlb=1 (glibc 2.35 and later).  The
 * tunable is read only when the process starts and has no run-time
 * counterpart (mallopt has none), so pcts sets it and executes itself
 * again, before it has opened or read anything.  The alternative, an
 * allocator of pcts' own on madvise(MADV_HUGEPAGE)'d memory, would cover
 * only the allocations pcts routes through it, and duplicate malloc.
 *
 * When not: small inputs (under 32 MiB, where the second start, about
 * 9 ms with pcts' libraries, and the 2 MiB granularity cost more than they
 * save: the 29 MB sample took 35 ms, 37 with huge pages); a kernel with
 * transparent huge pages off ("never"); the tunable already set (the
 * user's choice); the second start itself (PCTS_HUGE_PAGES_STARTED, which
 * it removes from its environment); other C libraries; under valgrind, heaptrack or any LD_PRELOAD
 * or LD_AUDIT (such tools follow this process, not always the next); started through the dynamic
 * loader (`ld.so pcts ...`). PCTS_HUGE_PAGES=0 turns it off, =1 skips the size test.
 */
#include "hugepages.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__GLIBC__)
#include <gnu/libc-version.h>
#endif

#define TUNABLE "glibc.malloc.hugetlb"
#define SMALL_INPUT (32u << 20)
#define STARTED "PCTS_HUGE_PAGES_STARTED" /* set for the second start only */

/* A compressed capture holds several times its size in records. */
static int compressed_name(const char *path)
{
    size_t n = strlen(path);
    static const char *const ext[] = {".gz", ".zst", ".zstd"};
    for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
        size_t k = strlen(ext[i]);
        if (n > k && !strcmp(path + n - k, ext[i]))
            return 1;
    }
    return 0;
}

static int inputs_large(char *const *inputs, size_t n)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        int in = !strcmp(inputs[i], "-");
        if ((in ? fstat(STDIN_FILENO, &st) : stat(inputs[i], &st)) || !S_ISREG(st.st_mode))
            return 1; /* a pipe, a device or an error the run reports: size unknown */
        total += (uint64_t)st.st_size * (!in && compressed_name(inputs[i]) ? 4 : 1);
    }
    return total >= SMALL_INPUT;
}

/* The value of the tunable in GLIBC_TUNABLES (the last one given, as glibc
 * takes it), or NULL when it names no such tunable. */
static const char *tunable_value(const char *tun)
{
    const char *found = NULL;
    size_t k = strlen(TUNABLE);
    for (const char *p = tun; p && *p;) {
        if (!strncmp(p, TUNABLE, k) && p[k] == '=')
            found = p + k + 1;
        p = strchr(p, ':');
        if (p)
            p++;
    }
    return found;
}

static int thp_available(void)
{
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (!f)
        return 0;
    char line[128] = "";
    int ok = fgets(line, sizeof(line), f) != NULL && !strstr(line, "[never]");
    fclose(f);
    return ok;
}

static int glibc_has_tunable(void)
{
#if defined(__GLIBC__)
    const char *v = gnu_get_libc_version();
    char *end;
    unsigned long major = strtoul(v, &end, 10), minor = 0;
    if (end == v || *end != '.')
        return 0;
    v = end + 1;
    minor = strtoul(v, &end, 10);
    if (end == v)
        return 0;
    return major > 2 || (major == 2 && minor >= 35);
#else
    return 0;
#endif
}

void hugepages_reexec(char **argv, char *const *inputs, size_t n_inputs)
{
    const char *want = getenv("PCTS_HUGE_PAGES");
    if (want && !strcmp(want, "0"))
        return;
    /* the second start, whatever glibc made of the environment */
    if (getenv(STARTED)) {
        unsetenv(STARTED);
        return;
    }
    const char *tun = getenv("GLIBC_TUNABLES");
    if (tun && tunable_value(tun))
        return;
    /* a tool that preloads itself (valgrind, heaptrack) or audits the
     * loading follows this process, perhaps not the next */
    const char *pre = getenv("LD_PRELOAD"), *audit = getenv("LD_AUDIT");
    if ((pre && *pre) || (audit && *audit))
        return;
    /* set-user-ID: glibc may drop the tunable; started as an argument of
     * the dynamic loader (`ld.so pcts ...`, no interpreter of its own):
     * /proc/self/exe is the loader, which would take pcts' first argument
     * for the program */
    if (getauxval(AT_SECURE) || !getauxval(AT_BASE))
        return;
    if (!glibc_has_tunable() || !thp_available())
        return;
    if (!(want && !strcmp(want, "1")) && !inputs_large(inputs, n_inputs))
        return;

    char val[4096];
    int len =
        snprintf(val, sizeof(val), "%s%s" TUNABLE "=1", tun ? tun : "", tun && *tun ? ":" : "");
    if (len < 0 || (size_t)len >= sizeof(val) || setenv(STARTED, "1", 1))
        return;
    if (!setenv("GLIBC_TUNABLES", val, 1))
        execv("/proc/self/exe", argv);
    /* No /proc (a bare chroot), no permission, no memory: run on with
     * 4 KiB pages, in the environment as it was. */
    unsetenv(STARTED);
    if (tun) {
        snprintf(val, sizeof(val), "%s", tun);
        setenv("GLIBC_TUNABLES", val, 1);
    } else {
        unsetenv("GLIBC_TUNABLES");
    }
}

int hugepages_on(void)
{
    const char *v = tunable_value(getenv("GLIBC_TUNABLES"));
    /* 1: transparent huge pages; 2: hugetlbfs pages (glibc falls back to
     * 4 KiB pages where none are reserved) */
    return v &&
           (!strcmp(v, "1") || !strncmp(v, "1:", 2) || !strcmp(v, "2") || !strncmp(v, "2:", 2)) &&
           glibc_has_tunable();
}

int hugepages_effective(void)
{
    const char *v = tunable_value(getenv("GLIBC_TUNABLES"));
    return hugepages_on() && v && v[0] == '1' && thp_available();
}

/*
 * cpus.c - see cpus.h.
 */
#include "cpus.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The first line of a small file, NUL-terminated; 0 if unreadable. */
static int read_line(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int ok = fgets(buf, (int)len, f) != NULL;
    fclose(f);
    return ok;
}

/* A decimal integer (optionally negative) at *p, *p moved past it; 0 if
 * there is none or it overflows. */
static int parse_ll(const char **p, long long *v)
{
    char *end;
    errno = 0;
    long long x = strtoll(*p, &end, 10);
    if (end == *p || errno)
        return 0;
    *p = end;
    *v = x;
    return 1;
}

/* The quota in CPUs that dir's files set (0: none, or unreadable). */
static double dir_quota(const char *dir)
{
    char path[PATH_MAX], line[128];
    long long q, per;
    const char *p = line;
    /* cgroup v2: "max 100000" or "150000 100000" */
    if (snprintf(path, sizeof(path), "%s/cpu.max", dir) < (int)sizeof(path) &&
        read_line(path, line, sizeof(line))) {
        if (!strncmp(line, "max", 3))
            return 0;
        if (parse_ll(&p, &q) && parse_ll(&p, &per) && q > 0 && per > 0)
            return (double)q / (double)per;
        return 0;
    }
    /* cgroup v1: quota -1 is none */
    if (snprintf(path, sizeof(path), "%s/cpu.cfs_quota_us", dir) >= (int)sizeof(path) ||
        !read_line(path, line, sizeof(line)) || !parse_ll(&p, &q) || q <= 0)
        return 0;
    p = line;
    if (snprintf(path, sizeof(path), "%s/cpu.cfs_period_us", dir) >= (int)sizeof(path) ||
        !read_line(path, line, sizeof(line)) || !parse_ll(&p, &per) || per <= 0)
        return 0;
    return (double)q / (double)per;
}

/* The stricter of two quotas in CPUs, 0 being none. */
static double stricter(double a, double b)
{
    return a > 0 && (b == 0 || a < b) ? a : b;
}

/* The strictest quota of the cgroup at base + path and its ancestors up
 * to base (a limit on a parent applies to its children); 0 if none. */
static double chain_quota(const char *base, const char *path)
{
    char dir[PATH_MAX];
    double best = 0;
    int n = snprintf(dir, sizeof(dir), "%s%s", base, path);
    if (n < 0 || (size_t)n >= sizeof(dir))
        return 0;
    size_t blen = strlen(base);
    for (;;) {
        size_t len = strlen(dir);
        while (len > blen && dir[len - 1] == '/') /* "/" paths and trailing slashes */
            dir[--len] = '\0';
        best = stricter(dir_quota(dir), best);
        if (len <= blen)
            return best;
        char *slash = strrchr(dir + blen, '/');
        if (!slash)
            return best;
        *slash = '\0';
    }
}

/* Whether a v1 controller list ("cpu,cpuacct") names cpu. */
static int has_cpu_controller(const char *list, size_t len)
{
    const char *p = list, *end = list + len;
    while (p < end) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        size_t n = c ? (size_t)(c - p) : (size_t)(end - p);
        if (n == 3 && !memcmp(p, "cpu", 3))
            return 1;
        p += n + 1;
    }
    return 0;
}

/* The quota one line of /proc/self/cgroup ("hierarchy:controllers:path",
 * len bytes) sets under root; 0 if none. */
static double line_quota(const char *line, size_t len, const char *root)
{
    const char *c1 = memchr(line, ':', len);
    const char *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line)) : NULL;
    if (!c2)
        return 0;
    char path[PATH_MAX], base[PATH_MAX];
    size_t plen = len - (size_t)(c2 + 1 - line);
    size_t clen = (size_t)(c2 - c1 - 1);
    if (plen >= sizeof(path))
        return 0;
    memcpy(path, c2 + 1, plen);
    path[plen] = '\0';
    /* a cgroup outside this cgroup namespace shows as "/../x": its files
     * are not under root, and the namespace's root is not its ancestor */
    if (strstr(path, "/.."))
        return 0;
    if (clen == 0) { /* v2: mounted at root, or root/unified beside v1 */
        double q = chain_quota(root, path);
        if (snprintf(base, sizeof(base), "%s/unified", root) < (int)sizeof(base))
            q = stricter(chain_quota(base, path), q);
        return q;
    }
    if (!has_cpu_controller(c1 + 1, clen) ||
        snprintf(base, sizeof(base), "%s/%.*s", root, (int)clen, c1 + 1) >= (int)sizeof(base))
        return 0;
    return chain_quota(base, path);
}

double cpus_cgroup_quota(const char *proc_cgroup, const char *root)
{
    double best = 0;
    for (const char *line = proc_cgroup; line && *line;) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        best = stricter(line_quota(line, len, root), best);
        line = eol ? eol + 1 : NULL;
    }
    return best;
}

/* This process's cgroup quota in CPUs (0: none).  Read at each call (a few
 * small files, once or twice a run), so that no state is shared. */
static double own_quota(void)
{
    char text[4096];
    FILE *f = fopen("/proc/self/cgroup", "r");
    size_t n = 0;
    if (f) {
        n = fread(text, 1, sizeof(text) - 1, f);
        fclose(f);
    }
    text[n] = '\0';
    return n ? cpus_cgroup_quota(text, "/sys/fs/cgroup") : 0;
}

static unsigned affinity_cpus(void)
{
#ifdef CPU_COUNT
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        int n = CPU_COUNT(&set);
        return n > 0 ? (unsigned)n : 1;
    }
#endif
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)(n > 1024 ? 1024 : n) : 1;
}

unsigned cpus_usable(void)
{
    unsigned n = affinity_cpus();
    double q = own_quota();
    if (q > 0 && q < (double)n) {
        double up = ceil(q);
        n = up < 1 ? 1 : (unsigned)up;
    }
    return n;
}

int cpus_two_full(void)
{
    double q = own_quota();
    return affinity_cpus() >= 2 && (q == 0 || q >= 2);
}

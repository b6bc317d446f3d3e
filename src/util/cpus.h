/*
 * cpus.h - how many CPUs this process may really use: the default of
 * --threads, and whether a thread that waits for another may spin.
 *
 * The count of online CPUs overstates it wherever an analyst is likely to
 * run pcts with limits: under taskset(1) or a CPU-pinned service (the
 * affinity mask), and in a container with a CPU quota (docker --cpus,
 * Kubernetes limits: the cgroup's cpu.max, or cpu.cfs_quota_us with
 * cgroup v1).  Two threads on one CPU's worth of time take turns at best.
 */
#ifndef PCTS_CPUS_H
#define PCTS_CPUS_H

/* CPUs that may run this process at once: the affinity mask, capped by
 * the strictest CPU quota of its cgroups rounded up; at least 1. */
unsigned cpus_usable(void);

/* Whether two threads of this process can run side by side all the time:
 * two CPUs in the affinity mask and no quota under two CPUs. */
int cpus_two_full(void);

/*
 * The strictest CPU quota, in CPUs, of the cgroups named in proc_cgroup
 * (the text of /proc/self/cgroup) and of their ancestors, under the
 * cgroup file systems mounted at root ("/sys/fs/cgroup"): cgroup v2's
 * cpu.max ("max 100000" is none, "150000 100000" 1.5 CPUs) and v1's
 * cpu.cfs_quota_us / cpu.cfs_period_us (-1: none).  0 when there is none
 * or nothing is readable.  Takes the paths so that tests can build a tree.
 */
double cpus_cgroup_quota(const char *proc_cgroup, const char *root);
#endif

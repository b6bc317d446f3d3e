/*
 * test_bqueue.c - the producer/consumer batch queue of the --threads
 * pipelines: bounds of bq_init, order and completeness across threads,
 * the bounded spin before a wait (util/spin.h), and the CPU quota of a
 * cgroup tree (util/cpus.h) that decides --threads' default and the spin.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/bqueue.h"
#include "util/cpus.h"
#include "util/spin.h"

struct batch {
    uint64_t seq; /* the producer's counter, in order */
    int last;
};

struct run {
    struct bqueue q;
    uint64_t seen, bad_order;
};

static void *consume(void *arg)
{
    struct run *r = arg;
    for (;;) {
        struct batch *b = bq_take(&r->q);
        if (b->seq != r->seen)
            r->bad_order++;
        r->seen++;
        int last = b->last;
        bq_release(&r->q, b);
        if (last)
            return NULL;
    }
}

static void test_bq_init_bounds(void **state)
{
    (void)state;
    struct bqueue q;
    struct batch b[BQ_MAX + 1];
    void *p[BQ_MAX + 1];
    for (int i = 0; i <= BQ_MAX; i++)
        p[i] = &b[i];
    assert_int_equal(bq_init(&q, p, 0), -1);          /* would wait forever */
    assert_int_equal(bq_init(&q, p, BQ_MAX + 1), -1); /* would overflow */
    assert_int_equal(bq_init(&q, p, BQ_MAX), 0);
    /* all batches start free, each handed out once */
    void *got[BQ_MAX];
    for (int i = 0; i < BQ_MAX; i++) {
        got[i] = bq_get_free(&q);
        for (int j = 0; j < i; j++)
            assert_ptr_not_equal(got[i], got[j]);
    }
    /* one thread: through the queue and back, free ones return in the
     * order they were released (FIFO), which is the order they were put */
    for (int i = 0; i < BQ_MAX; i++)
        bq_put(&q, got[i]);
    for (int i = 0; i < BQ_MAX; i++) {
        void *x = bq_take(&q);
        assert_ptr_equal(x, got[i]);
        bq_release(&q, x);
    }
    for (int i = 0; i < BQ_MAX; i++)
        assert_ptr_equal(bq_get_free(&q), got[i]);
    bq_destroy(&q);
}

/* Many batches through few: every one arrives, in order, none is lost or
 * handed out twice while in flight (seq would repeat or skip), and free
 * ones return in the order they were filled. */
static void test_bq_order_across_threads(void **state)
{
    (void)state;
    for (size_t nb = 1; nb <= 8; nb *= 2) {
        struct batch b[8];
        void *p[8];
        for (size_t i = 0; i < nb; i++)
            p[i] = &b[i];
        struct run r = {.seen = 0};
        assert_int_equal(bq_init(&r.q, p, nb), 0);
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, consume, &r), 0);
        const uint64_t total = 20000;
        uint64_t bad_free_order = 0;
        for (uint64_t s = 0; s < total; s++) {
            struct batch *x = bq_get_free(&r.q);
            /* free batches come back in fill order: this one last carried
             * the batch filled nb puts ago (FIFO; a stack fails this) */
            if (s >= nb && x->seq != s - nb)
                bad_free_order++;
            x->seq = s;
            x->last = s + 1 == total;
            bq_put(&r.q, x);
        }
        pthread_join(th, NULL);
        assert_int_equal(r.seen, total);
        assert_int_equal(r.bad_order, 0);
        assert_int_equal(bad_free_order, 0);
        /* and every batch came back */
        for (size_t i = 0; i < nb; i++)
            (void)bq_get_free(&r.q);
        bq_destroy(&r.q);
    }
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* The spin gives up by itself (about 100 us) when nothing comes, returns
 * at once when something is there or when it is off. */
static void test_spin_bounded(void **state)
{
    (void)state;
    _Atomic size_t zero = 0, one = 1;
    double fast = 1, t1 = 0;
    for (int i = 0; i < 5; i++) { /* best of 5: a preemption is no spin */
        double t0 = now_s();
        spin_while_zero(&one, 1);
        spin_while_zero(&zero, 0);
        t1 = now_s();
        if (t1 - t0 < fast)
            fast = t1 - t0;
    }
    spin_while_zero(&zero, 1);
    double t2 = now_s();
    assert_true(fast < 50e-6);
    assert_true(t2 - t1 >= 90e-6); /* it did wait */
    assert_true(t2 - t1 < 0.5);    /* and stopped: generous, a loaded machine */
    assert_int_equal(zero, 0);
}

/* A file of a fake cgroup tree under root (directories made as needed). */
static void put(const char *root, const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        mkdir(path, 0700);
        *p = '/';
    }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void rm_tree(const char *root)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

/* cgroup v2 (cpu.max) and v1 (cfs quota), the strictest of a cgroup and
 * its ancestors, "max" and -1 as none, unreadable as none. */
static void test_cgroup_quota(void **state)
{
    (void)state;
    char root[] = "/tmp/pcts-cgroup-XXXXXX";
    assert_non_null(mkdtemp(root));
    /* nothing there: no quota */
    assert_true(cpus_cgroup_quota("0::/a/b\n", root) == 0);
    /* v2: the leaf says 1.5 CPUs, its parent none, the root's none */
    put(root, "a/b/cpu.max", "150000 100000\n");
    put(root, "a/cpu.max", "max 100000\n");
    assert_true(cpus_cgroup_quota("0::/a/b\n", root) == 1.5);
    /* a stricter parent wins */
    put(root, "a/cpu.max", "50000 100000\n");
    assert_true(cpus_cgroup_quota("0::/a/b\n", root) == 0.5);
    /* a container's view: its own cgroup is the root of the mount */
    put(root, "cpu.max", "200000 100000\n");
    assert_true(cpus_cgroup_quota("0::/\n", root) == 2);
    /* garbage is no quota */
    put(root, "cpu.max", "lots\n");
    assert_true(cpus_cgroup_quota("0::/\n", root) == 0);
    /* v1, hybrid: the cpu controller's own hierarchy; -1 is none */
    put(root, "cpu,cpuacct/svc/cpu.cfs_quota_us", "-1\n");
    put(root, "cpu,cpuacct/svc/cpu.cfs_period_us", "100000\n");
    const char *v1 = "12:pids:/svc\n4:cpu,cpuacct:/svc\n1:name=systemd:/svc\n0::/svc\n";
    assert_true(cpus_cgroup_quota(v1, root) == 0);
    put(root, "cpu,cpuacct/svc/cpu.cfs_quota_us", "100000\n");
    assert_true(cpus_cgroup_quota(v1, root) == 1);
    /* a controller list that only looks like cpu is not it (files there) */
    put(root, "cpuacct/svc/cpu.cfs_quota_us", "50000\n");
    put(root, "cpuacct/svc/cpu.cfs_period_us", "100000\n");
    assert_true(cpus_cgroup_quota("4:cpuacct:/svc\n", root) == 0);
    assert_true(cpus_cgroup_quota("4:cpu:/svc\n", root) == 0); /* root/cpu: nothing */
    /* a bad or missing period is no quota; trailing slashes are one cgroup */
    put(root, "cpu,cpuacct/x/cpu.cfs_quota_us", "100000\n");
    assert_true(cpus_cgroup_quota("4:cpu,cpuacct:/x\n", root) == 0);
    put(root, "cpu,cpuacct/x/cpu.cfs_period_us", "0\n");
    assert_true(cpus_cgroup_quota("4:cpu,cpuacct:/x\n", root) == 0);
    put(root, "cpu,cpuacct/x/cpu.cfs_period_us", "400000\n");
    assert_true(cpus_cgroup_quota("4:cpu,cpuacct:/x//\n", root) == 0.25);
    /* outside the namespace ("/../x"): neither a file above root nor the
     * namespace root's quota (not an ancestor) */
    put(root, "cpu.max", "400000 100000\n");
    assert_true(cpus_cgroup_quota("0::/../x\n", root) == 0);
    assert_true(cpus_cgroup_quota("0::/\n", root) == 4);
    put(root, "cpu.max", "max 100000\n");
    /* v2 beside v1 (hybrid): the unified hierarchy under root/unified */
    put(root, "unified/u/cpu.max", "300000 100000\n");
    assert_true(cpus_cgroup_quota("0::/u\n", root) == 3);
    rm_tree(root);
    /* whatever this machine says, at least one CPU */
    assert_true(cpus_usable() >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bq_init_bounds),
        cmocka_unit_test(test_bq_order_across_threads),
        cmocka_unit_test(test_spin_bounded),
        cmocka_unit_test(test_cgroup_quota),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

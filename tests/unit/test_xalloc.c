/*
 * test_xalloc.c - growing blocks (util/xalloc.h): ALLOC_GROW and xgrow keep
 * every element whether big blocks grow by realloc or, with the heap on
 * huge pages, by a copy into a fresh block; and the size arithmetic's
 * overflow checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/xalloc.h"

/* Grow an array element by element past XGROW_COPY_MIN (several growths
 * on each side of it) and check every element after each growth. */
static void grow_and_check(int by_copy)
{
    xalloc_huge_pages(by_copy);
    size_t copies0 = xalloc_grow_copies();
    uint32_t *a = NULL;
    size_t n = 0, cap = 0, growths = 0, big = 0;
    const size_t want = 3 * XGROW_COPY_MIN / sizeof(*a);
    for (size_t i = 0; i < want; i++) {
        size_t old_cap = cap;
        ALLOC_GROW(a, n + 1, cap);
        if (cap != old_cap) {
            growths++;
            big += cap * sizeof(*a) >= XGROW_COPY_MIN;
            for (size_t j = 0; j < n; j++)
                if (a[j] != (uint32_t)(j * 2654435761u))
                    fail_msg("element %zu lost growing from %zu to %zu", j, old_cap, cap);
        }
        a[n++] = (uint32_t)(i * 2654435761u);
    }
    assert_true(big >= 2); /* growths past XGROW_COPY_MIN: more than one */
    assert_true(growths > big);
    /* by copy exactly those, else none */
    assert_int_equal(xalloc_grow_copies() - copies0, by_copy ? big : 0);
    for (size_t j = 0; j < n; j++)
        assert_int_equal(a[j], (uint32_t)(j * 2654435761u));
    free(a);
    xalloc_huge_pages(0);
}

static void test_alloc_grow_by_realloc(void **state)
{
    (void)state;
    grow_and_check(0);
}

static void test_alloc_grow_by_copy(void **state)
{
    (void)state;
    grow_and_check(1);
}

/* xgrow keeps only the first keep bytes (no read past them: ASan runs
 * this), from NULL too. */
static void test_xgrow_keep(void **state)
{
    (void)state;
    for (int by_copy = 0; by_copy <= 1; by_copy++) {
        xalloc_huge_pages(by_copy);
        unsigned char *p = xgrow(NULL, 0, 100);
        memset(p, 0xab, 100);
        p = xgrow(p, 100, XGROW_COPY_MIN + 1);
        for (size_t i = 0; i < 100; i++)
            assert_int_equal(p[i], 0xab);
        memset(p, 0xcd, XGROW_COPY_MIN + 1);
        p = xgrow(p, XGROW_COPY_MIN + 1, 4 * XGROW_COPY_MIN);
        assert_int_equal(p[0], 0xcd);
        assert_int_equal(p[XGROW_COPY_MIN], 0xcd);
        free(p);
    }
    xalloc_huge_pages(0);
}

/* With the heap on huge pages, big blocks from xmalloc, xaligned_alloc and
 * xgrow start on a 2 MiB boundary (where a huge page can map them) and
 * hold every byte asked for (ASan runs this); small ones keep their own
 * alignment. */
static void test_big_blocks_aligned(void **state)
{
    (void)state;
    const uintptr_t huge = XGROW_COPY_MIN;
    xalloc_huge_pages(1);
    for (int k = 0; k < 4; k++) { /* several: not one lucky mapping */
        size_t n = XGROW_COPY_MIN + (size_t)k * 12345;
        unsigned char *a = xmalloc(n);
        unsigned char *b = xaligned_alloc(64, n + 64);
        unsigned char *c = xgrow(xmalloc(100), 0, n + 7);
        assert_int_equal((uintptr_t)a % huge, 0);
        assert_int_equal((uintptr_t)b % huge, 0);
        assert_int_equal((uintptr_t)c % huge, 0);
        memset(a, 1, n);
        memset(b, 2, n + 64);
        memset(c, 3, n + 7);
        unsigned char *d = xaligned_alloc(64, 4096);
        assert_int_equal((uintptr_t)d % 64, 0);
        free(a);
        free(b);
        free(c);
        free(d);
    }
    xalloc_huge_pages(0);
}

/* A growing array's first capacity: min, or a huge page's worth with the
 * heap on huge pages (never less than min). */
static void test_first_cap(void **state)
{
    (void)state;
    xalloc_huge_pages(0);
    assert_int_equal(xalloc_first_cap(128, 64), 64);
    xalloc_huge_pages(1);
    assert_int_equal(xalloc_first_cap(128, 64), XGROW_COPY_MIN / 128);
    assert_int_equal(xalloc_first_cap(160, 16), XGROW_COPY_MIN / 160);
    assert_int_equal(xalloc_first_cap(XGROW_COPY_MIN, 64), 64); /* one a page: min */
    assert_int_equal(xalloc_first_cap(0, 7), 7);
    xalloc_huge_pages(0);
}

/* The exit status of child pid, which must exit (not die of a signal). */
static int child_exit_status(pid_t pid)
{
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* A size so close to SIZE_MAX that rounding it up to the alignment (2 MiB
 * for big blocks on huge pages) would wrap dies with exit status 1, as an
 * allocation that fails does; it never returns a small block. */
static void die_on_huge_size(int aligned)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0)
            dup2(devnull, 2); /* the message is expected */
        xalloc_huge_pages(1);
        void *p = aligned ? xaligned_alloc(64, SIZE_MAX - 10) : xmalloc(SIZE_MAX - 100);
        _exit(p ? 0 : 2); /* returned: the wrap */
    }
    assert_int_equal(child_exit_status(pid), 1);
}

static void test_wrapping_size_dies(void **state)
{
    (void)state;
    die_on_huge_size(0);
    die_on_huge_size(1);
}

/* Fill bytes [from, to) of p with a pattern of their offsets, or check it. */
static void pattern(unsigned char *p, size_t from, size_t to, int check)
{
    for (size_t i = (from + 4092) / 4093 * 4093; i < to; i += 4093) {
        unsigned char v = (unsigned char)(i * 131 >> 3);
        if (check && p[i] != v)
            fail_msg("byte %zu lost: %u, not %u", i, p[i], v);
        p[i] = v;
    }
}

/* A reserved block grows in place: the same address however far it grows
 * within max, every byte kept, 2 MiB-aligned (64 on the heap).  Under ASan
 * (no reservations) the same growths on the heap keep every byte too. */
static void test_xres_grows_in_place(void **state)
{
    (void)state;
    for (int hp = 0; hp < 2; hp++) {
        xalloc_huge_pages(hp);
        struct xres r;
        xres_init(&r, (size_t)64 << 20, 64);
        unsigned char *p = xres_grow(&r, 0, 1000);
        assert_non_null(p);
        assert_int_equal(xres_mapped(&r), xres_reserves());
        assert_int_equal((uintptr_t)p % (xres_reserves() ? XGROW_COPY_MIN : 64), 0);
        assert_true(r.size >= 1000);
        pattern(p, 0, 1000, 0);
        size_t have = 1000;
        for (size_t n = (size_t)3 << 20; n <= (size_t)64 << 20; n += (size_t)7 << 20) {
            unsigned char *q = xres_grow(&r, have, n);
            if (xres_reserves())
                assert_ptr_equal(q, p);
            assert_true(r.size >= n);
            pattern(q, 0, have, 1);
            pattern(q, have, n, 0);
            have = n;
            p = q;
        }
        /* no growth: the block as it is */
        assert_ptr_equal(xres_grow(&r, have, 10), p);
        xres_free(&r);
        assert_null(r.p);
        assert_int_equal(r.size, 0);
        assert_int_equal(r.max, (size_t)64 << 20); /* ready to grow again */
        p = xres_grow(&r, 0, 5000);
        pattern(p, 0, 5000, 0);
        pattern(p, 0, 5000, 1);
        xres_free(&r);
    }
    xalloc_huge_pages(0);
}

/* On the heap: a max under XRES_MIN, none (0), or a growth past max (the
 * reservation's bytes move to the heap, kept); each growth keeps every
 * byte. */
static void test_xres_heap(void **state)
{
    (void)state;
    const size_t maxes[] = {XRES_MIN - 1, 0, (size_t)6 << 20};
    for (size_t k = 0; k < 2 * sizeof(maxes) / sizeof(maxes[0]); k++) {
        struct xres r;
        size_t align = k & 1 ? 16 : 64; /* 16: by xgrow, malloc's alignment */
        xres_init(&r, maxes[k / 2], align);
        size_t have = 0;
        unsigned char *p = NULL;
        for (size_t n = 100; n < ((size_t)20 << 20); n = n * 3 + 1) {
            p = xres_grow(&r, have, n);
            assert_int_equal((uintptr_t)p % align, 0);
            pattern(p, 0, have, 1);
            pattern(p, have, n, 0);
            have = n;
            if (maxes[k / 2] < XRES_MIN || n > maxes[k / 2])
                assert_false(xres_mapped(&r));
        }
        assert_true(have > maxes[k / 2]);
        xres_free(&r);
    }
}

/* Under an address-space limit (ulimit -v) no reservation is made: it
 * would count in full against the limit.  The block grows on the heap. */
static void test_xres_as_limit(void **state)
{
    (void)state;
    if (!xres_reserves()) /* ASan (whose shadow needs terabytes), or limited already */
        skip();
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit rl;
        if (getrlimit(RLIMIT_AS, &rl))
            _exit(3);
        if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > (rlim_t)8 << 30)
            rl.rlim_cur = (rlim_t)8 << 30; /* else already limited */
        else
            rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_AS, &rl))
            _exit(4);
        struct xres r;
        xres_init(&r, (size_t)64 << 20, 64);
        unsigned char *p = xres_grow(&r, 0, (size_t)3 << 20);
        pattern(p, 0, (size_t)3 << 20, 0);
        p = xres_grow(&r, (size_t)3 << 20, (size_t)9 << 20);
        pattern(p, 0, (size_t)3 << 20, 1);
        int ok = !xres_reserves() && !xres_mapped(&r);
        xres_free(&r);
        _exit(ok ? 0 : 2);
    }
    assert_int_equal(child_exit_status(pid), 0);
}

static void test_size_arithmetic(void **state)
{
    (void)state;
    assert_int_equal(st_mult(3, 5), 15);
    assert_int_equal(st_add(SIZE_MAX - 1, 1), SIZE_MAX);
    assert_int_equal(st_mult(0, SIZE_MAX), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_grow_by_realloc),
        cmocka_unit_test(test_alloc_grow_by_copy),
        cmocka_unit_test(test_xgrow_keep),
        cmocka_unit_test(test_big_blocks_aligned),
        cmocka_unit_test(test_first_cap),
        cmocka_unit_test(test_wrapping_size_dies),
        cmocka_unit_test(test_xres_grows_in_place),
        cmocka_unit_test(test_xres_heap),
        cmocka_unit_test(test_xres_as_limit),
        cmocka_unit_test(test_size_arithmetic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

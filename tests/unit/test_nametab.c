/*
 * test_nametab.c - the intern table's bounds (names/nametab.h): a name is
 * stored once, ids are stable, and past the byte budget new names get id 0
 * and are counted while known ones still resolve; the (address, name)
 * pairs that confirm a sender's name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "names/nametab.h"

static void test_intern_once(void **state)
{
    (void)state;
    struct name_table t;
    names_init(&t, 42);
    uint32_t a = names_intern(&t, "a.example"), b = names_intern(&t, "b.example");
    assert_true(a && b && a != b);
    assert_int_equal(names_intern(&t, "a.example"), a);
    assert_string_equal(names_str(&t, b), "b.example");
    assert_null(names_str(&t, 0));
    assert_int_equal(t.bytes, 20); /* both names and their NULs */
    names_release(&t);
}

/* Ids across the text chunks: each reads back its own name, by names_str
 * and by names_str_of (the flow list's reader on the flow stage); the
 * chunk of an id does not move when later chunks are made. */
static void test_ids_across_chunks(void **state)
{
    (void)state;
    struct name_table t;
    names_init(&t, 3);
    enum { N = 3 * NAMES_CHUNK + 10 };
    char name[32];
    uint32_t id1 = names_intern(&t, "first.example");
    const char *first = names_str_of(&t, id1);
    for (unsigned i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "n%u.example", i);
        assert_int_equal(names_intern(&t, name), i + 2);
    }
    assert_ptr_equal(names_str_of(&t, id1), first);
    for (unsigned i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "n%u.example", i);
        assert_string_equal(names_str(&t, i + 2), name);
        assert_string_equal(names_str_of(&t, i + 2), name);
    }
    assert_null(names_str_of(&t, 0));
    assert_null(names_str(&t, N + 2)); /* not interned */
    names_release(&t);
}

static void test_byte_budget(void **state)
{
    (void)state;
    struct name_table t;
    names_init(&t, 7);
    assert_int_equal(t.max_bytes, NAMES_MAX_BYTES);
    t.max_bytes = 30;
    char long_name[1013];
    memset(long_name, 'x', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_int_equal(names_intern(&t, long_name), 0);     /* 1013 bytes > 30 */
    uint32_t a = names_intern(&t, "0123456789abcdefghi"); /* 20 bytes */
    assert_true(a != 0);
    uint32_t b = names_intern(&t, "0123456789"); /* 11 more: 31 > 30 */
    assert_int_equal(b, 0);
    uint32_t c = names_intern(&t, "012345678"); /* 10 more: exactly 30 */
    assert_true(c != 0 && c != a);
    assert_int_equal(names_intern(&t, "z"), 0);
    assert_int_equal(t.dropped_names, 3);
    assert_int_equal(names_intern(&t, "0123456789abcdefghi"), a); /* known: still found */
    assert_int_equal(t.bytes, 30);
    names_release(&t);
}

/* Every (address, name) an answer gave confirms that name for that
 * address, whichever came last (a CDN's address has many), for any
 * client; another address or family confirms nothing; past the cap, new
 * pairs are counted and confirm nothing, while kept ones still do. */
static void test_confirms(void **state)
{
    (void)state;
    struct name_table t;
    names_init(&t, 3);
    uint8_t c1[16] = {10, 0, 0, 1}, c2[16] = {10, 0, 0, 2}, cdn[16] = {198, 51, 100, 7},
            other[16] = {203, 0, 113, 66};
    uint32_t a = names_intern(&t, "a.example"), b = names_intern(&t, "b.example");
    assert_false(names_confirms(&t, 4, cdn, a, INT64_MAX));
    names_learn(&t, 4, c1, cdn, a, 0);
    names_learn(&t, 4, c2, cdn, b, 0);
    assert_int_equal(names_lookup(&t, 4, c1, cdn), a);
    assert_int_equal(names_lookup(&t, 4, c2, cdn), b);     /* the latest for c2... */
    assert_true(names_confirms(&t, 4, cdn, a, INT64_MAX)); /* ...but both confirm */
    assert_true(names_confirms(&t, 4, cdn, b, INT64_MAX));
    assert_false(names_confirms(&t, 4, other, a, INT64_MAX));
    assert_false(names_confirms(&t, 6, cdn, a, INT64_MAX));
    assert_false(names_confirms(&t, 4, cdn, 0, INT64_MAX));
    for (uint32_t i = 0; i < 5000; i++) { /* grows, stays exact */
        uint8_t s[16] = {100, (uint8_t)(i >> 8), (uint8_t)i};
        names_learn(&t, 4, c1, s, a, 0);
    }
    assert_int_equal(t.plive, 5002);
    for (uint32_t i = 0; i < 5000; i += 499) {
        uint8_t s[16] = {100, (uint8_t)(i >> 8), (uint8_t)i};
        assert_true(names_confirms(&t, 4, s, a, INT64_MAX));
        assert_false(names_confirms(&t, 4, s, b, INT64_MAX));
    }
    t.plive = NAMES_MAX_MAP; /* as if full */
    uint8_t late[16] = {192, 0, 2, 1};
    names_learn(&t, 4, c1, late, a, 0);
    assert_int_equal(t.dropped_pairs, 1);
    assert_false(names_confirms(&t, 4, late, a, INT64_MAX));
    assert_true(names_confirms(&t, 4, cdn, b, INT64_MAX));
    names_learn(&t, 4, c1, cdn, b, 0); /* known: no drop */
    assert_int_equal(t.dropped_pairs, 1);
    names_release(&t);
}

/* A pair confirms from the time of the first answer that gave it: a flow
 * that ended before it is not confirmed (--group host, allowlist.md). */
static void test_confirms_from_the_answer_on(void **state)
{
    (void)state;
    struct name_table t;
    names_init(&t, 3);
    uint8_t c1[16] = {10, 0, 0, 1}, c2[16] = {10, 0, 0, 2}, s[16] = {198, 51, 100, 7};
    uint32_t a = names_intern(&t, "a.example");
    names_learn(&t, 4, c1, s, a, 2000);
    assert_false(names_confirms(&t, 4, s, a, 1999));
    assert_true(names_confirms(&t, 4, s, a, 2000));
    assert_true(names_confirms(&t, 4, s, a, INT64_MAX));
    names_learn(&t, 4, c2, s, a, 3000); /* a later answer keeps the first time */
    assert_true(names_confirms(&t, 4, s, a, 2500));
    names_learn(&t, 4, c2, s, a, 1000); /* an earlier one (merged inputs) moves it */
    assert_true(names_confirms(&t, 4, s, a, 1500));
    names_release(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intern_once),
        cmocka_unit_test(test_ids_across_chunks),
        cmocka_unit_test(test_byte_budget),
        cmocka_unit_test(test_confirms),
        cmocka_unit_test(test_confirms_from_the_answer_on),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

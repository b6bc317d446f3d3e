/*
 * test_nametab.c - the intern table's bounds (names/nametab.h): a name is
 * stored once, ids are stable, and past the byte budget new names get id 0
 * and are counted while known ones still resolve; the (address, name)
 * pairs that confirm a sender's name; the DNS queries' registered domains
 * (names/domain.h) and their counts by group (group/qdom.h).
 */
#include <setjmp.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "group/group.h"
#include "group/qdom.h"
#include "names/domain.h"
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

/* The cache of registered domains gives what domains_registered() gives,
 * for names it has seen and for new ones, public suffixes and single labels
 * included; a full name table gives 0 and is not cached. */
static void test_regdom_cache(void **state)
{
    (void)state;
    struct domains *d, *ref;
    if (domains_open_quiet(&d) || domains_open_quiet(&ref)) {
        skip(); /* no Public Suffix List: the loops count no domains */
        return;
    }
    struct name_table t;
    names_init(&t, 9);
    struct regdom_cache *c = regdom_cache_new(d, 77);
    assert_non_null(c);
    static const char *const names[] = {"abcdefgh12345678.c2-tunnel.example",
                                        "x.y.example.co.uk",
                                        "example.co.uk",
                                        "co.uk",
                                        "localhost",
                                        "www.example.com",
                                        "s3.amazonaws.com",
                                        "b.s3.amazonaws.com",
                                        "a.b.c.d.e.example.org",
                                        "abcdefgh12345678.c2-tunnel.example",
                                        "www.example.com"};
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            char want[256];
            (void)domains_registered(ref, names[i], want, sizeof(want));
            uint32_t id = regdom_cache_id(c, &t, names[i]);
            assert_true(id != 0);
            assert_string_equal(names_str(&t, id), want);
        }
    }
    assert_string_equal(names_str(&t, regdom_cache_id(c, &t, "q.c2-tunnel.example")),
                        "c2-tunnel.example");
    /* a full table: nothing new, and not remembered as nothing */
    size_t keep = t.max_bytes;
    t.max_bytes = t.bytes;
    assert_int_equal(regdom_cache_id(c, &t, "new.other.example"), 0);
    t.max_bytes = keep;
    assert_string_equal(names_str(&t, regdom_cache_id(c, &t, "new.other.example")),
                        "other.example");
    regdom_cache_free(c);
    domains_free(ref);
    names_release(&t);
}

/* Names made from every rule of the list, under and around it, looked up
 * through the cache in two orders (its parent cache answers a name from
 * the first sibling looked up): always what libpsl gives the name itself. */
static void test_regdom_cache_every_rule(void **state)
{
    (void)state;
    FILE *f = fopen("/usr/share/publicsuffix/public_suffix_list.dat", "r");
    struct domains *d1, *d2, *ref;
    char msg[256];
    /* the cache's list as the flow loops load it (compiled), libpsl's
     * answers from the text, as --group dns loads it */
    if (!f || domains_open_quiet(&d1) || domains_open_quiet(&d2) || domains_open(&ref, msg)) {
        if (f)
            fclose(f);
        skip(); /* no Public Suffix List file */
        return;
    }
    size_t cap = 1 << 17, n = 0;
    char **nm = malloc(cap * sizeof(*nm));
    assert_non_null(nm);
    char line[512];
    static const char *const pre[] = {"",          "a.",   "b.a.",    "c.b.a.",
                                      "xn--p1ai.", "q-1.", "_dmarc.", "42.a."};
    while (fgets(line, sizeof(line), f)) {
        char *r = line;
        r[strcspn(r, " \t\r\n")] = '\0';
        if (!*r || (r[0] == '/' && r[1] == '/'))
            continue;
        r += r[0] == '!' ? 1 : r[0] == '*' && r[1] == '.' ? 2 : 0;
        int ascii = 1;
        for (const char *p = r; *p; p++)
            ascii &= (unsigned char)*p < 0x80;
        if (!ascii)
            continue;
        /* a sibling that is no rule first (forward) or last (reverse):
         * "zz9.amazonaws.com" has the registered domain amazonaws.com,
         * the rule "s3.amazonaws.com" is its own */
        const char *dot = strchr(r, '.');
        if (dot && n + 1 < cap) {
            char *x = malloc(strlen(dot) + 4);
            assert_non_null(x);
            strcpy(x, "zz9");
            strcat(x, dot);
            nm[n++] = x;
        }
        for (size_t k = 0; k < sizeof(pre) / sizeof(pre[0]) && n + 1 < cap; k++) {
            char *x = malloc(strlen(pre[k]) + strlen(r) + 1);
            assert_non_null(x);
            strcpy(x, pre[k]);
            strcat(x, r);
            nm[n++] = x;
        }
    }
    fclose(f);
    assert_true(n > 20000 && n + 1 < cap);
    struct name_table t;
    names_init(&t, 11);
    struct regdom_cache *fwd = regdom_cache_new(d1, 5), *rev = regdom_cache_new(d2, 6);
    size_t wrong = 0;
    for (size_t k = 0; k < 2 * n; k++) {
        const char *name = k < n ? nm[k] : nm[2 * n - 1 - k];
        char want[256];
        (void)domains_registered(ref, name, want, sizeof(want));
        const char *got = names_str(&t, regdom_cache_id(k < n ? fwd : rev, &t, name));
        if (!got || strcmp(got, want)) {
            if (wrong++ < 5)
                print_error("%s: %s, libpsl %s\n", name, got ? got : "(none)", want);
        }
    }
    assert_int_equal(wrong, 0);
    regdom_cache_free(fwd);
    regdom_cache_free(rev);
    domains_free(ref);
    for (size_t k = 0; k < n; k++)
        free(nm[k]);
    free(nm);
    names_release(&t);
}

/* Queries counted by (group, domain): each group's top domain and its
 * count, ties to the name first in byte order whatever the ids; past the
 * pair limit new pairs are dropped (counted) and known ones still count. */
static void test_qdom_counts(void **state)
{
    (void)state;
    struct name_table t;
    names_init(&t, 5);
    uint32_t zeta = names_intern(&t, "zeta.example"), alpha = names_intern(&t, "alpha.example"),
             mid = names_intern(&t, "mid.example");
    struct group_table tab;
    memset(&tab, 0, sizeof(tab));
    struct group g[4];
    memset(g, 0, sizeof(g));
    tab.g = g;
    tab.n = 4;
    struct qdom_counts q;
    qdom_init(&q, 6);
    for (int i = 0; i < 5; i++)
        qdom_add(&q, 0, mid);
    for (int i = 0; i < 3; i++)
        qdom_add(&q, 0, alpha);
    qdom_add(&q, 1, zeta); /* a tie: alpha wins, though interned after zeta */
    qdom_add(&q, 1, zeta);
    qdom_add(&q, 1, alpha);
    qdom_add(&q, 1, alpha);
    qdom_add(&q, 2, zeta);
    assert_int_equal(q.n, 5);
    qdom_add(&q, 2, alpha); /* the 6th pair: the limit */
    qdom_add(&q, 2, mid);   /* past it: dropped */
    qdom_add(&q, 2, zeta);  /* known: counted */
    assert_int_equal(q.dropped, 1);
    for (uint32_t k = 0; k < 3000; k++) /* growth keeps every count */
        qdom_add(&q, 0, mid);
    assert_int_equal(qdom_finish(&q, &tab, &t), 3); /* zeta, alpha, mid */
    assert_int_equal(g[0].dns_top, mid);
    assert_int_equal(g[0].dns_top_queries, 3005);
    assert_int_equal(g[1].dns_top, alpha);
    assert_int_equal(g[1].dns_top_queries, 2);
    assert_int_equal(g[2].dns_top, zeta);
    assert_int_equal(g[2].dns_top_queries, 2);
    assert_int_equal(g[3].dns_top, 0); /* no query */
    assert_int_equal(g[3].dns_top_queries, 0);
    /* the distinct domains counted: the dropped pair's not among them */
    assert_int_equal(g[0].dns_domains, 2); /* alpha, mid */
    assert_int_equal(g[1].dns_domains, 2); /* zeta, alpha */
    assert_int_equal(g[2].dns_domains, 2); /* zeta, alpha */
    assert_int_equal(g[3].dns_domains, 0);
    qdom_release(&q);

    /* many pairs: the table grows and stays exact */
    memset(g, 0, sizeof(g));
    qdom_init(&q, QDOM_MAX_PAIRS);
    uint32_t ids[300];
    for (uint32_t k = 0; k < 300; k++) {
        char nm[32];
        snprintf(nm, sizeof(nm), "d%u.example", k);
        ids[k] = names_intern(&t, nm);
        for (uint32_t r = 0; r <= k % 7; r++)
            qdom_add(&q, k % 4, ids[k]);
    }
    assert_int_equal(q.n, 300);
    assert_int_equal(q.dropped, 0);
    assert_int_equal(qdom_finish(&q, &tab, &t), 300);
    /* group 3 (k = 3, 7, 11, ...): 7 queries where k % 7 == 6 too (k = 27,
     * 55, 83, 111, ...), and "d111.example" is first in byte order */
    assert_string_equal(names_str(&t, g[3].dns_top), "d111.example");
    assert_int_equal(g[3].dns_top_queries, 7);
    for (int i = 0; i < 4; i++) /* k % 4 == i: 75 domains each */
        assert_int_equal(g[i].dns_domains, 75);
    qdom_release(&q);
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
        cmocka_unit_test(test_regdom_cache),
        cmocka_unit_test(test_regdom_cache_every_rule),
        cmocka_unit_test(test_qdom_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

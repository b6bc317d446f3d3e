/*
 * test_output.c - formatting helpers and the CSV / JSON Lines writers.
 *
 * The field names and their order are a public interface (output.h, README
 * "Fields"): scripts index CSV columns by position and JSON by name, so both
 * are checked exactly here, as are the empty/null conventions for a group
 * with a single packet.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/outfile.h"
#include "output/output.h"
#include "util/err.h"
#include "util.h"

static const char *const FIELDS[16] = {
    "src",          "dst",          "proto",           "dport",
    "packets",      "bytes",        "first",           "last",
    "duration",     "intervals",    "interval_mean",   "interval_std",
    "interval_min", "interval_max", "interval_median", "interval_mad"};

/* ---- fmt_time_ns ------------------------------------------------------ */

static void expect_time(int64_t ns, int digits, const char *want)
{
    char buf[64];
    fmt_time_ns(ns, digits, buf, sizeof(buf));
    assert_string_equal(buf, want);
}

static void test_fmt_time_ns(void **state)
{
    (void)state;
    expect_time(0, 6, "0.000000");
    expect_time(0, 9, "0.000000000");
    expect_time(1500000000, 6, "1.500000");
    expect_time(1234567891, 9, "1.234567891");
    /* Fewer digits truncate (times are printed at capture precision). */
    expect_time(1234567891, 6, "1.234567");
    expect_time(1234567891, 3, "1.234");
    expect_time(1999999999, 0, "1");
    expect_time(1999999999, 12, "1.999999999"); /* clamped to 9 */
    expect_time(1709294400123456000LL, 6, "1709294400.123456");
    /* Negative times (pcapng before 1970): sign, then the magnitude. */
    expect_time(-1500000000, 9, "-1.500000000");
    expect_time(-1500000000, 6, "-1.500000");
    expect_time(-1, 9, "-0.000000001");
    expect_time(-2000000000, 0, "-2");
    /* The extremes do not overflow. */
    expect_time(INT64_MAX, 9, "9223372036.854775807");
    expect_time(INT64_MIN, 9, "-9223372036.854775808");
}

/* ---- fmt_human_dur ------------------------------------------------------ */

/* 1 if fmt_human_dur(s) is `want`; otherwise says what it printed. */
static int dur_is(double s, const char *want)
{
    char buf[64];
    fmt_human_dur(s, buf, sizeof(buf));
    if (!strcmp(buf, want))
        return 1;
    print_error("fmt_human_dur(%.9g) = \"%s\", expected \"%s\"\n", s, buf, want);
    return 0;
}

#define expect_dur(s, want) assert_true(dur_is((s), (want)))

/* The table's and the flow list's UTC times round the second down, before
 * 1970 too (C's division truncates toward zero: -1.5 s was 23:59:59). */
static void test_fmt_utc_rounds_down(void **state)
{
    (void)state;
    char b[32];
    fmt_utc(0, b, sizeof(b));
    assert_string_equal(b, "1970-01-01 00:00:00");
    fmt_utc(1999999999, b, sizeof(b));
    assert_string_equal(b, "1970-01-01 00:00:01");
    fmt_utc(-1, b, sizeof(b));
    assert_string_equal(b, "1969-12-31 23:59:59");
    fmt_utc(-1500000000, b, sizeof(b));
    assert_string_equal(b, "1969-12-31 23:59:58");
    fmt_utc(-2000000000, b, sizeof(b));
    assert_string_equal(b, "1969-12-31 23:59:58");
    fmt_utc(1700000000123456789, b, sizeof(b));
    assert_string_equal(b, "2023-11-14 22:13:20");
    fmt_utc(INT64_MIN, b, sizeof(b));
    assert_string_equal(b, "1677-09-21 00:12:43");
}

static void test_fmt_human_dur_units(void **state)
{
    (void)state;
    expect_dur(0, "0us");
    expect_dur(0.0005, "500us");
    expect_dur(0.001, "1.0ms");
    expect_dur(0.25, "250.0ms");
    expect_dur(1, "1.00s");
    expect_dur(59.5, "59.50s");
    expect_dur(60, "1m00s");
    expect_dur(61.4, "1m01s");
    expect_dur(3599, "59m59s");
    expect_dur(3600, "1h00m");
    expect_dur(5400, "1h30m");
    expect_dur(86400, "1d00h");
    expect_dur(90000, "1d01h");
    /* Undefined values print as a dash, never "nan" or a negative. */
    expect_dur(-1, "-");
    expect_dur(NAN, "-");
}

/*
 * Just below a unit boundary, rounding must carry into the next unit
 * instead of printing an impossible value such as "60m00s".
 */
static void test_fmt_human_dur_rounding_carries_into_next_unit(void **state)
{
    (void)state;
    /* Check every boundary before failing, so one run shows them all. */
    int ok = dur_is(0.0009996, "1.0ms");
    ok &= dur_is(0.99996, "1.00s");
    ok &= dur_is(59.996, "1m00s");
    ok &= dur_is(3599.6, "1h00m");
    ok &= dur_is(86370, "1d00h");
    assert_true(ok);
}

/* ---- small helpers ----------------------------------------------------- */

/* fmt_fixed() and fmt_general() against glibc's printf, digit for digit:
 * random magnitudes, exact binary ties at the last decimal (multiples of
 * 2^-k), signs, negative zero, values that round up across a power of ten,
 * and buffers too short for the result (cut as snprintf cuts). */
static void check_fmt(double v, int d, int general, unsigned long *bad)
{
    static const size_t lens[] = {64, 5, 3, 1};
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        char a[64] = "x", b[64] = "x";
        if (general) {
            fmt_general(v, d, a, lens[i]);
            snprintf(b, lens[i], "%.*g", d, v);
        } else {
            size_t n = fmt_fixed(v, d, a, lens[i]);
            snprintf(b, lens[i], "%.*f", d, v);
            if (n != strlen(a)) {
                if (*bad < 5)
                    print_message("    fmt_fixed(%.17g, %d, len %zu) returned %zu for %s\n", v, d,
                                  lens[i], n, a);
                (*bad)++;
            }
        }
        if (strcmp(a, b)) {
            if (*bad < 5)
                print_message("    fmt_%s(%.17g, %d, len %zu) = %s, printf %s\n",
                              general ? "general" : "fixed", v, d, lens[i], a, b);
            (*bad)++;
        }
    }
    if (general)
        return;
    /* fmt_fixed_trim: printf's digits, the fraction's trailing zeros dropped
     * down to keep decimals (and a bare point), then cut to the buffer */
    for (int keep = 0; keep <= d; keep++) {
        char full[512];
        snprintf(full, sizeof(full), "%.*f", d, v);
        size_t n = strlen(full);
        char *dot = strchr(full, '.');
        if (dot) {
            while (n > (size_t)(dot - full) + 1 + (size_t)keep && full[n - 1] == '0')
                n--;
            if (n == (size_t)(dot - full) + 1)
                n--;
            full[n] = '\0';
        }
        for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
            char a[64] = "x", b[64] = "x";
            size_t got = fmt_fixed_trim(v, d, keep, a, lens[i]);
            snprintf(b, lens[i], "%s", full);
            if (strcmp(a, b) || got != strlen(a)) {
                if (*bad < 5)
                    print_message(
                        "    fmt_fixed_trim(%.17g, %d, %d, len %zu) = %s (%zu), want %s\n", v, d,
                        keep, lens[i], a, got, b);
                (*bad)++;
            }
        }
    }
}

static void check_fixed(double v, int d, unsigned long *bad)
{
    check_fmt(v, d, 0, bad);
}

static void test_fmt_fixed_matches_printf(void **state)
{
    (void)state;
    unsigned long bad = 0;
    uint64_t x = 88172645463325252ull;
    static const double fixed[] = {
        0.0,     -0.0,   0.5,          1.5,    2.5,       -2.5,         0.0009765625, 1e-10,
        4e-10,   5e-10,  9.9999999995, 0.9995, 999.9995,  8999999999.5, 9e9,          1e300,
        -1e-300, 3600.0, 1.0 / 3,      5e-324, -2.2e-308, 0x1p-1022};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        for (int d = 0; d <= 9; d++)
            check_fixed(fixed[i], d, &bad);
    check_fixed(NAN, 9, &bad);
    check_fixed(INFINITY, 3, &bad);
    check_fixed(-INFINITY, 3, &bad);
    for (int i = 0; i < 300000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int d = (int)(x % 10);
        double v;
        switch ((x >> 8) % 4) {
        case 0: /* log-uniform over 1e-12 .. 1e10 */
            v = pow(10.0, -12.0 + 22.0 * (double)(x >> 11) / 9007199254740992.0);
            break;
        case 1: /* dyadic: exact ties at some decimal */
            v = ldexp((double)((x >> 20) & 0xFFFFF), -(int)((x >> 40) % 40));
            break;
        case 2: /* microsecond timestamps and their differences */
            v = (double)((x >> 16) % 4000000000000ull) * 1e-6;
            break;
        default: /* nanosecond-ish intervals */
            v = (double)((x >> 12) % 100000000000000ull) * 1e-9;
            break;
        }
        if (x & (1ull << 63))
            v = -v;
        check_fixed(v, d, &bad);
    }
    assert_int_equal(bad, 0);
}

/* %.*g: the precisions the reasons use and around them, over and across
 * the fast path's range (1e-3 .. 10^digits), and ties at the last digit */
/* fmt_fixed_trim() with more decimals than its stack buffer holds (400
 * bytes): printf's whole number, trimmed, and its whole length.  %.450f of
 * the smallest subnormal is 452 characters, with no trailing zero: it had
 * come out cut to 399 (and 399 returned as its length). */
static void test_fmt_fixed_trim_many_decimals(void **state)
{
    (void)state;
    static const double vals[] = {5e-324, 1.0 / 3, -2.5e-300, 1e300, -DBL_MAX, 0.1};
    static const int decs[] = {10, 380, 398, 399, 400, 450, 700};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
        for (size_t j = 0; j < sizeof(decs) / sizeof(decs[0]); j++)
            for (int keep = 0; keep <= 2; keep++) {
                static char want[2048], got[2048];
                int d = decs[j];
                int n = snprintf(want, sizeof(want), "%.*f", d, vals[i]);
                assert_true(n > 0 && (size_t)n < sizeof(want));
                char *dot = strchr(want, '.');
                assert_non_null(dot);
                while (n > (int)(dot - want) + 1 + keep && want[n - 1] == '0')
                    n--;
                if (n == (int)(dot - want) + 1)
                    n--;
                want[n] = '\0';
                assert_int_equal(fmt_fixed_trim(vals[i], d, keep, NULL, 0), (size_t)n);
                assert_int_equal(fmt_fixed_trim(vals[i], d, keep, got, sizeof(got)), (size_t)n);
                assert_string_equal(got, want);
                /* cut as snprintf cuts */
                assert_int_equal(fmt_fixed_trim(vals[i], d, keep, got, 420),
                                 n < 419 ? (size_t)n : 419);
                assert_memory_equal(got, want, n < 419 ? (size_t)n : 419);
            }
}

static void test_fmt_general_matches_printf(void **state)
{
    (void)state;
    unsigned long bad = 0;
    uint64_t x = 2463534242ull;
    static const double fixed[] = {
        0.0,   -0.0,   1e-5,   9.9995e-4, 9.995e-4, 0.001,   0.00099999999, 0.0012345,
        0.125, 1.125,  1.135,  2.675,     9.995,    9.9949,  99.95,         99.949999,
        99.5,  999.5,  999.49, 1000.0,    12345.5,  99999.5, 999999.5,      1e6,
        1e9,   -1.125, -99.95, 1.0 / 3,   2.0 / 3,  100.0,   10.0,          1.0,
        0.1,   0.01,   1e300,  -1e-300,   5e-324,   65.5,    60.05,         1.5};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        for (int d = 0; d <= 8; d++)
            check_fmt(fixed[i], d, 1, &bad);
    check_fmt(NAN, 3, 1, &bad);
    check_fmt(INFINITY, 3, 1, &bad);
    check_fmt(-INFINITY, 3, 1, &bad);
    for (int i = 0; i < 300000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int d = 1 + (int)(x % 6);
        double v;
        switch ((x >> 8) % 3) {
        case 0: /* log-uniform over 1e-5 .. 1e7 */
            v = pow(10.0, -5.0 + 12.0 * (double)(x >> 11) / 9007199254740992.0);
            break;
        case 1: /* dyadic: exact ties at some digit */
            v = ldexp((double)((x >> 20) & 0xFFFFF), -(int)((x >> 40) % 30));
            break;
        default: /* periods: ns intervals in seconds, minutes, hours */
            v = (double)((x >> 12) % 100000000000000ull) * 1e-9 / (double)(1 + (x >> 60) % 3 * 59);
            break;
        }
        if (x & (1ull << 63))
            v = -v;
        check_fmt(v, d, 1, &bad);
    }
    assert_int_equal(bad, 0);
}

/* ---- integers and addresses by hand ------------------------------------ */

static uint64_t xorshift(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* fmt_u64() and fmt_point() against printf: every magnitude, the edges,
 * zero-padded fractions, and buffers too short (cut as snprintf cuts). */
static void test_fmt_u64_and_point_match_printf(void **state)
{
    (void)state;
    unsigned long bad = 0;
    uint64_t x = 0x9E3779B97F4A7C15ull;
    static const uint64_t edge[] = {0,
                                    1,
                                    9,
                                    10,
                                    99,
                                    100,
                                    999,
                                    1000,
                                    65535,
                                    4294967295ull,
                                    999999999999ull,
                                    1000000000000ull,
                                    UINT64_MAX - 1,
                                    UINT64_MAX};
    for (int i = 0; i < 200000; i++) {
        uint64_t v = i < (int)(sizeof(edge) / sizeof(edge[0])) ? edge[i] : xorshift(&x) >> (x % 64);
        char a[32], b[32];
        size_t n = fmt_u64(v, a);
        snprintf(b, sizeof(b), "%llu", (unsigned long long)v);
        if (strcmp(a, b) || n != strlen(b)) {
            if (bad++ < 5)
                print_message("    fmt_u64(%s) = %s\n", b, a);
        }
        int d = (int)(xorshift(&x) % 11) - 1; /* -1..9 */
        uint64_t ip = xorshift(&x) >> (x % 64), fp = d > 0 ? xorshift(&x) >> (x % 64) : 0;
        if (d > 0)
            fp %= (uint64_t[]){1,      10,      100,      1000,      10000,
                               100000, 1000000, 10000000, 100000000, 1000000000}[d];
        int neg = (int)(x >> 63);
        static const size_t lens[] = {32, 12, 2, 1};
        for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
            memset(a, 'x', sizeof(a));
            memset(b, 'x', sizeof(b));
            size_t got = fmt_point(neg, ip, fp, d, a, lens[k]);
            if (got != strlen(a) && bad++ < 5)
                print_message("    fmt_point returned %zu for %s\n", got, a);
            if (d > 0)
                snprintf(b, lens[k], "%s%llu.%0*llu", neg ? "-" : "", (unsigned long long)ip, d,
                         (unsigned long long)fp);
            else
                snprintf(b, lens[k], "%s%llu", neg ? "-" : "", (unsigned long long)ip);
            if (strcmp(a, b)) {
                if (bad++ < 5)
                    print_message("    fmt_point(%d, %llu, %llu, %d, len %zu) = %s, printf %s\n",
                                  neg, (unsigned long long)ip, (unsigned long long)fp, d, lens[k],
                                  a, b);
            }
        }
    }
    assert_int_equal(bad, 0);
}

/* fmt.c writes 8 digits at once, in lanes of 4, 2 and 1 digits that never
 * carry into each other: every 4-digit value in each half of the 8 digits,
 * beside others, as an integer and as a fraction of every length (zero
 * padded and, with fmt_fixed_trim's keep, trimmed) */
static void test_fmt_digits_every_half(void **state)
{
    (void)state;
    unsigned long bad = 0;
    static const uint32_t pow10[] = {1,      10,      100,      1000,      10000,
                                     100000, 1000000, 10000000, 100000000, 1000000000};
    for (uint32_t h = 0; h < 10000; h++) {
        uint32_t o = h * 7919 % 10000;
        uint64_t vals[] = {(uint64_t)h * 10000 + o, (uint64_t)o * 10000 + h,
                           (uint64_t)h * 100000000 + o,
                           (uint64_t)h * 10000 * 100000000 + o * 10000};
        for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
            char a[32], b[32];
            size_t n = fmt_u64(vals[i], a);
            snprintf(b, sizeof(b), "%llu", (unsigned long long)vals[i]);
            if ((strcmp(a, b) || n != strlen(b)) && bad++ < 5)
                print_message("    fmt_u64(%s) = %s\n", b, a);
            for (int d = 1; d <= 9; d++) {
                uint64_t fp = vals[i] % pow10[d];
                n = fmt_point(0, h, fp, d, a, sizeof(a));
                snprintf(b, sizeof(b), "%u.%0*llu", h, d, (unsigned long long)fp);
                if ((strcmp(a, b) || n != strlen(b)) && bad++ < 5)
                    print_message("    fmt_point(%u, %llu, %d) = %s, printf %s\n", h,
                                  (unsigned long long)fp, d, a, b);
            }
        }
        /* trimmed: h's digits after the point, in every position */
        for (int d = 4; d <= 9; d++) {
            double v = (double)h / pow10[d];
            for (int keep = 0; keep <= d; keep++) {
                char a[64], b[64];
                size_t n = fmt_fixed_trim(v, d, keep, a, sizeof(a));
                snprintf(b, sizeof(b), "%.*f", d, v);
                size_t m = strlen(b), min = 2 + (size_t)keep; /* "0." and keep */
                while (m > min && b[m - 1] == '0')
                    m--;
                if (m == 2) /* keep 0 and nothing left: no bare point */
                    m = 1;
                b[m] = '\0';
                if ((strcmp(a, b) || n != m) && bad++ < 5)
                    print_message("    fmt_fixed_trim(%.17g, %d, %d) = %s, want %s\n", v, d, keep,
                                  a, b);
            }
        }
    }
    assert_int_equal(bad, 0);
}

static void check_ip(int family, const uint8_t *a, unsigned long *bad)
{
    char mine[INET6_ADDRSTRLEN + 8], ref[INET6_ADDRSTRLEN];
    size_t n = fmt_ip(family, a, mine);
    assert_non_null(inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, ref, sizeof(ref)));
    if (strcmp(mine, ref) || n != strlen(ref)) {
        if ((*bad)++ < 5)
            print_message("    fmt_ip = %s, inet_ntop %s\n", mine, ref);
    }
}

/* fmt_ip() against inet_ntop(): IPv4 edges and random addresses; IPv6
 * with every pattern of zero words (the "::" run: longest, first of equal
 * ones, never a single word), the IPv4-compatible and -mapped forms and
 * their near misses, words of every hex width. */
static void test_fmt_ip_matches_inet_ntop(void **state)
{
    (void)state;
    unsigned long bad = 0;
    uint64_t x = 0x2545F4914F6CDD1Dull;
    uint8_t a[16];
    static const uint8_t v4[][4] = {
        {0, 0, 0, 0}, {255, 255, 255, 255}, {10, 0, 0, 1}, {1, 20, 100, 200}, {192, 168, 1, 2}};
    for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++)
        check_ip(4, v4[i], &bad);
    for (int i = 0; i < 100000; i++) {
        uint64_t r = xorshift(&x);
        memcpy(a, &r, 4);
        check_ip(4, a, &bad);
    }
    /* word values: zero, one, 0xffff, and random of 1..4 hex digits */
    for (int i = 0; i < 300000; i++) {
        unsigned mask = i < 256 ? (unsigned)i : (unsigned)xorshift(&x); /* 1 = zero word */
        for (int w = 0; w < 8; w++) {
            unsigned v;
            uint64_t r = xorshift(&x);
            if (mask >> w & 1)
                v = 0;
            else if (r % 8 == 0)
                v = 0xffff;
            else if (r % 8 == 1)
                v = 1;
            else
                v = (unsigned)(r >> 8) & (0xffffu >> (4 * ((r >> 32) % 4)));
            a[2 * w] = (uint8_t)(v >> 8);
            a[2 * w + 1] = (uint8_t)v;
        }
        check_ip(6, a, &bad);
    }
    /* ::, ::1, ::a.b.c.d, ::ffff:a.b.c.d and near misses */
    static const uint16_t v6[][8] = {{0, 0, 0, 0, 0, 0, 0, 0},
                                     {0, 0, 0, 0, 0, 0, 0, 1},
                                     {0, 0, 0, 0, 0, 0, 1, 0},
                                     {0, 0, 0, 0, 0, 0, 0x0102, 0x0304},
                                     {0, 0, 0, 0, 0, 0xffff, 0, 0},
                                     {0, 0, 0, 0, 0, 0xffff, 0x0a00, 1},
                                     {0, 0, 0, 0, 0, 0xfffe, 0x0a00, 1},
                                     {0, 0, 0, 0, 1, 0xffff, 0x0a00, 1},
                                     {1, 0, 0, 0, 0, 0xffff, 0x0a00, 1},
                                     {0, 0, 0, 0, 0xffff, 0, 0x0a00, 1},
                                     {0x64, 0xff9b, 0, 0, 0, 0, 0x0a00, 1},
                                     {0xfe80, 0, 0, 0, 0, 0, 0, 1},
                                     {0, 0, 0, 0, 0, 0, 0xffff, 0xffff},
                                     {1, 0, 0, 1, 0, 0, 0, 1},
                                     {1, 0, 1, 0, 1, 0, 1, 0},
                                     {0, 1, 0, 1, 0, 1, 0, 1}};
    for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
        for (int w = 0; w < 8; w++) {
            a[2 * w] = (uint8_t)(v6[i][w] >> 8);
            a[2 * w + 1] = (uint8_t)v6[i][w];
        }
        check_ip(6, a, &bad);
    }
    assert_int_equal(bad, 0);

    /* fmt_addr: a buffer too short for the address gives "?" */
    struct group_key k;
    memset(&k, 0, sizeof(k));
    k.family = 6;
    k.src[0] = 0x20;
    k.src[15] = 1;
    char buf[INET6_ADDRSTRLEN];
    fmt_addr(&k, 0, buf, sizeof(buf));
    assert_string_equal(buf, "2000::1");
    fmt_addr(&k, 0, buf, 7);
    assert_string_equal(buf, "?");
}

static void test_proto_name(void **state)
{
    (void)state;
    char buf[8];
    assert_string_equal(proto_name(1, buf, sizeof(buf)), "icmp");
    assert_string_equal(proto_name(6, buf, sizeof(buf)), "tcp");
    assert_string_equal(proto_name(17, buf, sizeof(buf)), "udp");
    assert_string_equal(proto_name(47, buf, sizeof(buf)), "gre");
    assert_string_equal(proto_name(50, buf, sizeof(buf)), "esp");
    assert_string_equal(proto_name(58, buf, sizeof(buf)), "icmp6");
    assert_string_equal(proto_name(132, buf, sizeof(buf)), "sctp");
    /* Unnamed protocols are their number, written into buf. */
    assert_string_equal(proto_name(253, buf, sizeof(buf)), "253");
    assert_string_equal(buf, "253");
    assert_string_equal(proto_name(0, buf, sizeof(buf)), "0");
}

static void test_sort_key_parse(void **state)
{
    (void)state;
    static const char *const names[] = {"packets", "bytes", "duration", "intervals", "mean", "std",
                                        "median",  "mad",   "first",    "last",      "src",  "dst"};
    static const int keys[] = {SORT_PACKETS, SORT_BYTES, SORT_DURATION, SORT_INTERVALS,
                               SORT_MEAN,    SORT_STD,   SORT_MEDIAN,   SORT_MAD,
                               SORT_FIRST,   SORT_LAST,  SORT_SRC,      SORT_DST};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        assert_int_equal(sort_key_parse(names[i]), keys[i]);
        /* Every sort name is listed in the help text. */
        assert_non_null(strstr(sort_key_names(), names[i]));
    }
    /* The output field names are accepted too. */
    assert_int_equal(sort_key_parse("interval_mean"), SORT_MEAN);
    assert_int_equal(sort_key_parse("interval_std"), SORT_STD);
    assert_int_equal(sort_key_parse("interval_median"), SORT_MEDIAN);
    assert_int_equal(sort_key_parse("interval_mad"), SORT_MAD);
    assert_int_equal(sort_key_parse("bogus"), -1);
    assert_int_equal(sort_key_parse(""), -1);
    assert_int_equal(sort_key_parse("interval_"), -1);
    assert_int_equal(sort_key_parse("packet"), -1);
}

/* ---- writers -------------------------------------------------------------- */

struct fixture {
    struct group_key k[3];
    struct result r[3];
};

/*
 * r[0]: 10.0.0.1 -> 192.168.1.2 tcp/443, 3 packets at 1.5, 2.0, 3.5 s;
 * r[1]: 2001:db8::1 -> 2001:db8::2 udp/53, a single packet at 2 s;
 * r[2]: 10.0.0.9 -> 10.0.0.1 icmp (no port), 2 packets.
 */
static void make_fixture(struct fixture *fx)
{
    memset(fx, 0, sizeof(*fx));
    struct group_key *k = fx->k;
    k[0].family = 4;
    k[0].proto = 6;
    k[0].has_port = 1;
    k[0].dport = 443;
    memcpy(k[0].src, (uint8_t[]){10, 0, 0, 1}, 4);
    memcpy(k[0].dst, (uint8_t[]){192, 168, 1, 2}, 4);
    k[1].family = 6;
    k[1].proto = 17;
    k[1].has_port = 1;
    k[1].dport = 53;
    k[1].src[0] = k[1].dst[0] = 0x20;
    k[1].src[1] = k[1].dst[1] = 0x01;
    k[1].src[2] = k[1].dst[2] = 0x0d;
    k[1].src[3] = k[1].dst[3] = 0xb8;
    k[1].src[15] = 1;
    k[1].dst[15] = 2;
    k[2].family = 4;
    k[2].proto = 1;
    memcpy(k[2].src, (uint8_t[]){10, 0, 0, 9}, 4);
    memcpy(k[2].dst, (uint8_t[]){10, 0, 0, 1}, 4);

    struct result *r = fx->r;
    r[0].key = &k[0];
    r[0].packets = 3;
    r[0].bytes = 180;
    r[0].first = 1500000000;
    r[0].last = 3500000000LL;
    r[0].iv = (struct interval_stats){.count = 2,
                                      .mean = 1.0,
                                      .std = sqrt(0.5),
                                      .min = 0.5,
                                      .max = 1.5,
                                      .median = 1.0,
                                      .mad = 0.5,
                                      .has_std = 1};
    r[1].key = &k[1];
    r[1].packets = 1;
    r[1].bytes = 80;
    r[1].first = r[1].last = 2000000000;
    r[2].key = &k[2];
    r[2].packets = 2;
    r[2].bytes = 196;
    r[2].first = 10000000000LL;
    r[2].last = 10250000000LL;
    r[2].iv = (struct interval_stats){
        .count = 1, .mean = 0.25, .min = 0.25, .max = 0.25, .median = 0.25, .mad = 0};
}

/* Run output_write (through order, unless NULL) into a temporary file and
 * return its contents. */
static char *write_ordered_to_string(const struct output_opts *o, const struct result *r,
                                     const uint32_t *order, size_t n)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    char msg[ERRMSG_MAX];
    assert_int_equal(output_write(f, "test", o, r, order, n, msg), 0);
    long len = ftell(f);
    assert_true(len >= 0);
    rewind(f);
    char *s = calloc(1, (size_t)len + 1);
    assert_int_equal(fread(s, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    return s;
}

static char *write_to_string(const struct output_opts *o, const struct result *r, size_t n)
{
    return write_ordered_to_string(o, r, NULL, n);
}

/* Split a CSV line (no quoting needed in these rows) into fields. */
static size_t csv_split(char *line, char **out, size_t max)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        assert_true(n < max);
        out[n++] = p;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

static void expect_csv_row(char *line, const char *const *want)
{
    char *f[48];
    size_t n = csv_split(line, f, 48);
    assert_true(n >= 16);
    for (size_t i = 0; i < 16; i++)
        if (strcmp(f[i], want[i])) {
            print_error("CSV field %zu (%s) = \"%s\", expected \"%s\"\n", i, FIELDS[i], f[i],
                        want[i]);
            fail();
        }
}

static void test_csv_fields_and_empty_values(void **state)
{
    (void)state;
    struct fixture fx;
    make_fixture(&fx);
    struct output_opts o = {
        .format = OUT_CSV, .by = GROUP_PORT, .sort = SORT_PACKETS, .ts_digits = 6};
    char *s = write_to_string(&o, fx.r, 3);
    char *save = NULL;
    char *header = strtok_r(s, "\n", &save);
    char *row0 = strtok_r(NULL, "\n", &save);
    char *row1 = strtok_r(NULL, "\n", &save);
    char *row2 = strtok_r(NULL, "\n", &save);
    assert_non_null(row2);
    assert_null(strtok_r(NULL, "\n", &save));

    /* The header: the documented names in order; more may follow. */
    char *h[48];
    size_t nh = csv_split(header, h, 48);
    assert_true(nh >= 16);
    for (size_t i = 0; i < 16; i++)
        assert_string_equal(h[i], FIELDS[i]);

    static const char *const want0[16] = {
        "10.0.0.1", "192.168.1.2", "tcp", "443",         "3",   "180", "1.500000", "3.500000",
        "2.000000", "2",           "1.0", "0.707106781", "0.5", "1.5", "1.0",      "0.5"};
    expect_csv_row(row0, want0);
    /* One packet: no interval, so every interval statistic is empty. */
    static const char *const want1[16] = {
        "2001:db8::1", "2001:db8::2", "udp", "53", "1", "80", "2.000000", "2.000000",
        "0.000000",    "0",           "",    "",   "",  "",   "",         ""};
    expect_csv_row(row1, want1);
    /* One interval: a mean but no sample standard deviation. */
    static const char *const want2[16] = {"10.0.0.9",  "10.0.0.1",  "icmp",     "",   "2",    "196",
                                          "10.000000", "10.250000", "0.250000", "1",  "0.25", "",
                                          "0.25",      "0.25",      "0.25",     "0.0"};
    expect_csv_row(row2, want2);
    free(s);

    /* Grouped by IP pair: no protocol, no port. */
    o.by = GROUP_IP;
    s = write_to_string(&o, fx.r, 1);
    char *line = strchr(s, '\n') + 1;
    char *f[48];
    csv_split(line, f, 48);
    assert_string_equal(f[2], "");
    assert_string_equal(f[3], "");
    free(s);
}

/* The raw text of a JSON member's value (these lines hold no nested
 * objects and no commas inside strings). */
static void json_value(const char *line, const char *name, char *out, size_t len)
{
    char key[64];
    snprintf(key, sizeof(key), "\"%s\":", name);
    const char *p = strstr(line, key);
    if (!p) {
        print_error("no member %s in %s\n", name, line);
        fail();
    }
    p += strlen(key);
    size_t n = strcspn(p, ",}");
    assert_true(n < len);
    memcpy(out, p, n);
    out[n] = '\0';
}

static void expect_json(const char *line, const char *name, const char *want)
{
    char v[128];
    json_value(line, name, v, sizeof(v));
    if (strcmp(v, want)) {
        print_error("JSON %s = %s, expected %s\n", name, v, want);
        fail();
    }
}

static void test_json_fields_and_nulls(void **state)
{
    (void)state;
    struct fixture fx;
    make_fixture(&fx);
    struct output_opts o = {
        .format = OUT_JSON, .by = GROUP_PORT, .sort = SORT_PACKETS, .ts_digits = 9};
    char *s = write_to_string(&o, fx.r, 2);
    char *save = NULL;
    char *l0 = strtok_r(s, "\n", &save);
    char *l1 = strtok_r(NULL, "\n", &save);
    assert_non_null(l1);
    assert_null(strtok_r(NULL, "\n", &save));

    /* One object per line with every documented member, in order. */
    for (int li = 0; li < 2; li++) {
        const char *line = li ? l1 : l0;
        assert_int_equal(line[0], '{');
        assert_int_equal(line[strlen(line) - 1], '}');
        const char *prev = line;
        for (size_t i = 0; i < 16; i++) {
            char key[64];
            snprintf(key, sizeof(key), "\"%s\":", FIELDS[i]);
            const char *p = strstr(line, key);
            assert_non_null(p);
            assert_true(p >= prev);
            prev = p;
        }
    }
    expect_json(l0, "src", "\"10.0.0.1\"");
    expect_json(l0, "proto", "\"tcp\"");
    expect_json(l0, "dport", "443");
    expect_json(l0, "packets", "3");
    expect_json(l0, "first", "1.500000000");
    expect_json(l0, "duration", "2.000000000");
    expect_json(l0, "interval_mean", "1.0");
    expect_json(l0, "interval_std", "0.707106781");

    /* The single-packet group: null statistics, never 0 or NaN. */
    expect_json(l1, "src", "\"2001:db8::1\"");
    expect_json(l1, "intervals", "0");
    for (size_t i = 10; i < 16; i++)
        expect_json(l1, FIELDS[i], "null");
    free(s);

    /* Grouped by IP pair: protocol and port are null. */
    o.by = GROUP_IP;
    s = write_to_string(&o, fx.r, 1);
    expect_json(s, "proto", "null");
    expect_json(s, "dport", "null");
    free(s);
}

/* Names with bytes that CSV quotes and JSON escapes, and fields longer than
 * the writers' row buffer, come out whole and exactly escaped. */
static void test_escaping_and_long_fields(void **state)
{
    (void)state;
    struct fixture fx;
    make_fixture(&fx);
    enum { LONG = 40000 };
    char *big = malloc(LONG + 1);
    assert_non_null(big);
    for (size_t i = 0; i < LONG; i++)
        big[i] = (char)('a' + i % 26);
    big[LONG] = '\0';
    big[LONG / 2] = '"';
    fx.r[0].host = "q\"x,y\\z\r\n\x01\x1f end";
    fx.r[0].allow = big;
    struct output_opts o = {.format = OUT_CSV, .by = GROUP_PORT, .ts_digits = 6};
    char *s = write_to_string(&o, fx.r, 1);
    char *want = malloc(2 * LONG);
    assert_non_null(want);
    snprintf(want, 2 * LONG, "\"%.*s\"\"%s\",\"q\"\"x,y\\z\r\n\x01\x1f end\",true,,,,,,,,,,\n",
             LONG / 2, big, big + LONG / 2 + 1);
    size_t sl = strlen(s), wl = strlen(want);
    assert_true(sl > wl);
    assert_string_equal(s + sl - wl, want);
    free(s);

    o.format = OUT_JSON;
    s = write_to_string(&o, fx.r, 1);
    snprintf(want, 2 * LONG,
             "\"allow\":\"%.*s\\\"%s\",\"host\":\"q\\\"x,y\\\\z\\u000d\\u000a\\u0001\\u001f "
             "end\",\"allow_confirmed\":true,\"score_confidence\":null,\"score_penalty\":null,"
             "\"score_context\":null,\"beat_bytes\":null,\"sources_alike\":null,\"beats\":null,"
             "\"dns_queries\":null,\"dns_top\":null,\"dns_top_queries\":null,"
             "\"dns_domains\":null}\n",
             LONG / 2, big, big + LONG / 2 + 1);
    sl = strlen(s);
    wl = strlen(want);
    assert_true(sl > wl);
    assert_string_equal(s + sl - wl, want);
    free(s);
    free(want);
    free(big);
}

/* The score's factors besides its parts: confidence and penalty once a
 * period was sought, the context factor for every scored group; so the
 * score can be recomputed from its row. */
static void test_score_factors(void **state)
{
    (void)state;
    struct fixture fx;
    make_fixture(&fx);
    fx.r[0].sc = (struct beacon_score){.valid = 1,
                                       .repeats = 1,
                                       .score = 0.2898,
                                       .confidence = 0.6988,
                                       .penalty = 0.5912,
                                       .beat_bytes = 425984.4,
                                       .context = 1,
                                       .alike = 1,
                                       .beats = 7,
                                       .noun = "conn"};
    fx.r[1].sc =
        (struct beacon_score){.valid = 1, .context = 0.4, .sources = 9, .alike = 0, .noun = "conn"};
    struct output_opts o = {.format = OUT_JSON, .by = GROUP_PORT, .ts_digits = 6};
    char *s = write_to_string(&o, fx.r, 2);
    char *second = strchr(s, '\n');
    assert_non_null(second);
    *second++ = '\0';
    assert_non_null(strstr(s, ",\"score_confidence\":0.699,\"score_penalty\":0.591,"
                              "\"score_context\":1.000,\"beat_bytes\":425984,"
                              "\"sources_alike\":1,\"beats\":7,"));
    assert_non_null(strstr(second, ",\"score_confidence\":null,\"score_penalty\":null,"
                                   "\"score_context\":0.400,\"beat_bytes\":null,"
                                   "\"sources_alike\":null,\"beats\":0,"));
    free(s);
    o.format = OUT_CSV;
    s = write_to_string(&o, fx.r, 2);
    assert_non_null(
        strstr(s, ",allow_confirmed,score_confidence,score_penalty,score_context,beat_bytes,"
                  "sources_alike,beats,dns_queries,dns_top,dns_top_queries,dns_domains\n"));
    assert_non_null(strstr(s, ",0.699,0.591,1.000,425984,1,7,,,,\n"));
    /* not regular: its factor counts every source, and the reason says no more */
    assert_non_null(strstr(s, ",9,\"0 conns in 0 bursts: no repetition, 9 sources share it\","));
    assert_non_null(strstr(s, ",,,0.400,,,0,,,,\n"));
    free(s);
}

/* The DNS queries of a group's flows (group/qdom.h): counted, the domain
 * most of them asked for with its count, the distinct domains, and the
 * reason saying so last (a DGA's, no domain asked twice: the counts, no
 * top); null and empty where none were counted. */
static void test_dns_queries(void **state)
{
    (void)state;
    struct fixture fx;
    make_fixture(&fx);
    fx.r[0].sc = (struct beacon_score){.valid = 1, .context = 1, .noun = "conn"};
    fx.r[0].dns_queries = 1219;
    fx.r[0].dns_top = "c2-tunnel.example";
    fx.r[0].dns_top_queries = 957;
    fx.r[0].dns_domains = 40;
    fx.r[1].sc = (struct beacon_score){.valid = 1, .context = 1, .noun = "conn"};
    fx.r[1].dns_queries = 12;
    fx.r[1].dns_top = "a\\\"b.example"; /* the label a"b as DNS text; JSON escapes that */
    fx.r[1].dns_top_queries = 12;
    fx.r[1].dns_domains = 1;
    struct output_opts o = {.format = OUT_JSON, .by = GROUP_SERVICE, .ts_digits = 6};
    char *s = write_to_string(&o, fx.r, 3);
    assert_non_null(strstr(s, "; 957 of 1219 DNS queries for c2-tunnel.example\","));
    assert_non_null(strstr(s, ",\"dns_queries\":1219,\"dns_top\":\"c2-tunnel.example\","
                              "\"dns_top_queries\":957,\"dns_domains\":40}\n"));
    assert_non_null(strstr(s, "; all 12 DNS queries for a\\\\\\\"b.example\","));
    assert_non_null(strstr(s, ",\"dns_queries\":12,\"dns_top\":\"a\\\\\\\"b.example\","
                              "\"dns_top_queries\":12,\"dns_domains\":1}\n"));
    /* the third: none */
    assert_non_null(strstr(s, ",\"dns_queries\":null,\"dns_top\":null,\"dns_top_queries\":null,"
                              "\"dns_domains\":null}\n"));
    free(s);
    o.format = OUT_CSV;
    s = write_to_string(&o, fx.r, 3);
    assert_non_null(strstr(s, ",1219,c2-tunnel.example,957,40\n"));
    assert_non_null(strstr(s, ",,,,\n"));
    free(s);
    /* no domain asked twice (a DGA's): the counts, not a top that is a tie
     * of ones; the fields keep the tie's first name */
    fx.r[0].dns_queries = 310;
    fx.r[0].dns_top_queries = 1;
    fx.r[0].dns_domains = 300;
    o.format = OUT_JSON;
    s = write_to_string(&o, fx.r, 1);
    assert_non_null(strstr(s, "; 310 DNS queries for 300 domains\","));
    assert_null(strstr(s, "DNS queries for c2-tunnel"));
    assert_non_null(strstr(s, ",\"dns_queries\":310,\"dns_top\":\"c2-tunnel.example\","
                              "\"dns_top_queries\":1,\"dns_domains\":300}\n"));
    free(s);
    /* one domain, asked once: all of them */
    fx.r[0].dns_queries = 1;
    fx.r[0].dns_domains = 1;
    s = write_to_string(&o, fx.r, 1);
    assert_non_null(strstr(s, "; all 1 DNS queries for c2-tunnel.example\","));
    free(s);
    fx.r[0].dns_queries = 1219;
    /* queries counted, but no domain (the pair table was full): no top, no words */
    fx.r[0].dns_top = NULL;
    fx.r[0].dns_top_queries = 0;
    o.format = OUT_JSON;
    s = write_to_string(&o, fx.r, 1);
    assert_null(strstr(s, "DNS queries for"));
    assert_non_null(strstr(s, ",\"dns_queries\":1219,\"dns_top\":null,\"dns_top_queries\":null,"
                              "\"dns_domains\":null}\n"));
    free(s);
}

/* A long name in the table keeps its start and its end (the registered
 * domain), cut in the middle, and never inside a \DDD escape: here one
 * spans the head's end, another the tail's start. */
static void test_table_long_name_keeps_its_end(void **state)
{
    (void)state;
    struct fixture fx;
    make_fixture(&fx);
    fx.r[0].host = "aaaaaaaaaaaaaaaaaa\\195bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
                   "\\169xxxxxxxxxxxxxxxxxxxxx.example.com";
    struct output_opts o = {.format = OUT_TABLE, .by = GROUP_PORT, .ts_digits = 6};
    char *s = write_to_string(&o, fx.r, 1);
    assert_non_null(strstr(s, " aaaaaaaaaaaaaaaaaa...\\169xxxxxxxxxxxxxxxxxxxxx.example.com "));
    assert_null(strstr(s, "bbb"));
    free(s);
}

/* A group whose first and last times are at opposite ends of the int64
 * range (a damaged or crafted pcapng): the duration does not fit in int64
 * but is printed exactly, without signed overflow. */
static void test_duration_spanning_the_int64_range(void **state)
{
    (void)state;
    struct fixture fx;
    make_fixture(&fx);
    fx.r[0].first = INT64_MIN;
    fx.r[0].last = INT64_MAX;
    struct output_opts o = {.format = OUT_CSV, .by = GROUP_PORT, .ts_digits = 9};
    char *s = write_to_string(&o, fx.r, 1);
    char *line = strchr(s, '\n') + 1;
    char *f[48];
    csv_split(line, f, 48);
    assert_string_equal(f[6], "-9223372036.854775808");
    assert_string_equal(f[7], "9223372036.854775807");
    assert_string_equal(f[8], "18446744073.709551615");
    free(s);
    /* The table's human duration and the duration sort work too. */
    o.format = OUT_TABLE;
    s = write_to_string(&o, fx.r, 1);
    assert_non_null(strstr(s, "213504d00h")); /* 2^64 ns = 5124095.6 h */
    free(s);
    results_sort(fx.r, 3, SORT_DURATION);
    assert_int_equal(fx.r[0].packets, 3);
}

/* A group with packets but no event (its only connection began at a stray
 * timestamp, flow.h): its series is empty (first INT64_MAX, last
 * INT64_MIN), and first, last and duration are empty, null and '-', not
 * 9223372036.854775807 and a negative duration. */
static void test_no_event_has_no_times(void **state)
{
    (void)state;
    struct fixture fx;
    make_fixture(&fx);
    fx.r[0].first = INT64_MAX;
    fx.r[0].last = INT64_MIN;
    fx.r[0].events = 0;
    struct output_opts o = {.format = OUT_CSV, .by = GROUP_PORT, .ts_digits = 6};
    char *s = write_to_string(&o, fx.r, 1);
    char *line = strchr(s, '\n') + 1;
    char *f[48];
    csv_split(line, f, 48);
    assert_string_equal(f[6], "");
    assert_string_equal(f[7], "");
    assert_string_equal(f[8], "");
    free(s);
    o.format = OUT_JSON;
    s = write_to_string(&o, fx.r, 1);
    assert_non_null(strstr(s, "\"first\":null,\"last\":null,\"duration\":null"));
    free(s);
    o.format = OUT_TABLE;
    s = write_to_string(&o, fx.r, 1);
    assert_null(strstr(s, "2262"));
    assert_null(strstr(s, "1677"));
    free(s);
}

static void test_top_limits_rows(void **state)
{
    (void)state;
    struct fixture fx;
    make_fixture(&fx);
    struct output_opts o = {.format = OUT_CSV, .by = GROUP_PORT, .top = 1, .ts_digits = 6};
    char *s = write_to_string(&o, fx.r, 3);
    size_t lines = 0;
    for (char *p = s; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 2); /* header + 1 row */
    free(s);

    o.format = OUT_TABLE;
    s = write_to_string(&o, fx.r, 3);
    assert_non_null(strstr(s, "1 of 3 groups"));
    free(s);
}

/*
 * With threads > 1 the CSV and JSON writers format every other chunk of
 * rows on a helper thread: the bytes must be the one-thread run's, rows in
 * order, also with rows longer than the write buffer (a 40 000-byte allow
 * rule every 700 rows, escaped) and a last, partial chunk.
 */
static void test_threaded_writer_same_bytes(void **state)
{
    (void)state;
    enum { N = 5 * 1024 + 77, LONG = 40000 };
    struct fixture fx;
    make_fixture(&fx);
    struct result *r = calloc(N, sizeof(*r));
    char *big = malloc(LONG + 1);
    assert_non_null(r);
    assert_non_null(big);
    for (size_t i = 0; i < LONG; i++)
        big[i] = (char)('a' + i % 26);
    big[LONG] = '\0';
    big[LONG / 3] = '"';
    for (size_t i = 0; i < N; i++) {
        r[i] = fx.r[i % 3];
        r[i].packets = i; /* the row's position, to check the order */
        r[i].allow = i % 700 == 5 ? big : NULL;
    }
    for (int fmt = 0; fmt < 2; fmt++) {
        struct output_opts o = {
            .format = fmt ? OUT_JSON : OUT_CSV, .by = GROUP_PORT, .ts_digits = 6, .threads = 1};
        char *one = write_to_string(&o, r, N);
        o.threads = 2;
        for (int rep = 0; rep < 3; rep++) {
            char *two = write_to_string(&o, r, N);
            assert_int_equal(strlen(two), strlen(one));
            assert_true(strcmp(one, two) == 0);
            free(two);
        }
        /* every row once, in order: the packets field counts up */
        size_t row = 0;
        const char *p = one;
        if (!fmt)
            p = strchr(p, '\n') + 1; /* the header */
        for (; *p; row++) {
            char want[64];
            const char *at = p;
            if (fmt) {
                snprintf(want, sizeof(want), "\"packets\":%zu,", row);
                at = strstr(p, "\"packets\":");
            } else { /* the fifth field: src, dst, proto and dport have no comma */
                snprintf(want, sizeof(want), "%zu,", row);
                for (int c = 0; c < 4; c++)
                    at = strchr(at, ',') + 1;
            }
            const char *nl = strchr(p, '\n');
            assert_non_null(nl);
            assert_true(at && at < nl && strncmp(at, want, strlen(want)) == 0);
            p = nl + 1;
        }
        assert_int_equal(row, N);
        free(one);
    }
    free(big);
    free(r);
}

/* Writing through an order (the results left where they are, as pcts
 * writes them) gives the bytes of writing the results moved into that
 * order: every format, one and two threads (rows in chunks of 1024), all
 * rows and --top; and results_order agrees with results_sort. */
static void test_writer_order_same_bytes(void **state)
{
    (void)state;
    enum { N = 3 * 1024 + 5 };
    struct fixture fx;
    make_fixture(&fx);
    struct result *r = calloc(N, sizeof(*r)), *moved = calloc(N, sizeof(*moved));
    uint32_t *order = malloc(N * sizeof(*order));
    assert_non_null(r);
    assert_non_null(moved);
    assert_non_null(order);
    for (size_t i = 0; i < N; i++) {
        r[i] = fx.r[i % 3];
        r[i].packets = i;
    }
    for (size_t i = 0; i < N; i++) { /* 7919 is prime, N = 17 * 181: a permutation */
        order[i] = (uint32_t)(i * 7919u % N);
        moved[i] = r[order[i]];
    }
    for (int fmt = 0; fmt < 3; fmt++)
        for (unsigned threads = 1; threads <= 2; threads++)
            for (size_t top = 0; top <= 100; top += 100) {
                struct output_opts o = {.format = fmt == 0   ? OUT_TABLE
                                                  : fmt == 1 ? OUT_CSV
                                                             : OUT_JSON,
                                        .by = GROUP_PORT,
                                        .top = top,
                                        .ts_digits = 6,
                                        .threads = threads};
                char *a = write_ordered_to_string(&o, r, order, N);
                char *b = write_to_string(&o, moved, N);
                assert_true(strlen(a) > 100);
                assert_string_equal(a, b);
                free(a);
                free(b);
            }
    uint32_t *by_packets = results_order(r, N, SORT_PACKETS);
    results_sort(r, N, SORT_PACKETS);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(by_packets[i], N - 1 - i); /* packets descending: the last first */
        assert_int_equal(r[i].packets, N - 1 - i);
    }
    free(by_packets);
    free(order);
    free(moved);
    free(r);
}

/* The order each --sort documents, written out plainly: the value
 * (descending, undefined last; first ascending, last descending; src and
 * dst by their bytes), ties by the key's bytes. */
static int ref_stat_desc(double a, int ha, double b, int hb)
{
    if (ha != hb)
        return ha ? -1 : 1;
    return ha ? (a < b) - (a > b) : 0;
}

static int ref_u64_desc(uint64_t a, uint64_t b)
{
    return (a < b) - (a > b);
}

static int ref_cmp(enum sort_key k, const struct result *a, const struct result *b)
{
    int c = 0;
    switch (k) {
    case SORT_SCORE: c = ref_stat_desc(a->sc.score, a->sc.valid, b->sc.score, b->sc.valid); break;
    case SORT_EVENTS: c = ref_u64_desc(a->events, b->events); break;
    case SORT_PERIOD:
        c = ref_stat_desc(a->sc.period, a->sc.period > 0, b->sc.period, b->sc.period > 0);
        break;
    case SORT_PACKETS: c = ref_u64_desc(a->packets, b->packets); break;
    case SORT_BYTES: c = ref_u64_desc(a->bytes, b->bytes); break;
    case SORT_DURATION: /* none (first > last: no event) last */
        if ((a->first > a->last) != (b->first > b->last))
            c = a->first > a->last ? 1 : -1;
        else if (a->first <= a->last)
            c = ref_u64_desc((uint64_t)a->last - (uint64_t)a->first,
                             (uint64_t)b->last - (uint64_t)b->first);
        break;
    case SORT_INTERVALS: c = ref_u64_desc(a->iv.count, b->iv.count); break;
    case SORT_MEAN:
        c = ref_stat_desc(a->iv.mean, a->iv.count > 0, b->iv.mean, b->iv.count > 0);
        break;
    case SORT_STD: c = ref_stat_desc(a->iv.std, a->iv.has_std, b->iv.std, b->iv.has_std); break;
    case SORT_MEDIAN:
        c = ref_stat_desc(a->iv.median, a->iv.count > 0, b->iv.median, b->iv.count > 0);
        break;
    case SORT_MAD: c = ref_stat_desc(a->iv.mad, a->iv.count > 0, b->iv.mad, b->iv.count > 0); break;
    case SORT_FIRST: c = (a->first > b->first) - (a->first < b->first); break;
    case SORT_LAST: c = (a->last < b->last) - (a->last > b->last); break;
    case SORT_SRC: /* IPv4, then IPv6 */
        c = (a->key->family > b->key->family) - (a->key->family < b->key->family);
        if (!c)
            c = memcmp(a->key->src, b->key->src, 16);
        break;
    case SORT_DST: /* IPv4, IPv6, then names alphabetically */
        if (a->key->dst_name != b->key->dst_name)
            c = a->key->dst_name ? 1 : -1;
        else if (a->key->dst_name)
            c = strcmp(a->host, b->host);
        else if (a->key->family != b->key->family)
            c = a->key->family == 6 ? 1 : -1;
        else
            c = memcmp(a->key->dst, b->key->dst, 16);
        break;
    }
    return c ? c : memcmp(a->key, b->key, sizeof(*a->key));
}

/* n results with many ties for --sort key (values from small pools,
 * negative and huge times, -0.0, undefined values); packets holds each
 * one's position, to check the permutation. */
static void make_sort_results(struct group_key *k, struct result *r, int n, int key)
{
    static const double vals[] = {0.0, -0.0, 0.25, 0.5, 1e-9, 3.0, 1e300};
    static const int64_t times[] = {INT64_MIN, -5, 0, 7, 1500000000, INT64_MAX};
    /* destinations that are names (--group host, dns), in an order unlike
     * their name ids' */
    static const char *const names[] = {"zeta.example", "alpha.example", "mid.example",
                                        "alpha.example.net"};
    uint64_t x = 0x9e3779b97f4a7c15ull * (uint64_t)(key + 1);
    for (int i = 0; i < n; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        memset(&k[i], 0, sizeof(k[i]));
        k[i].family = x >> 60 & 1 ? 4 : 6;
        k[i].src[0] = (uint8_t)(x >> 50 & 3);
        k[i].dst[0] = (uint8_t)(x >> 52 & 3);
        k[i].src[15] = (uint8_t)(x >> 54 & 3);
        memcpy(k[i].dst + 8, &i, sizeof(i)); /* distinct keys */
        k[i].dst_name = x >> 56 & 1;
        struct result *a = &r[i];
        memset(a, 0, sizeof(*a));
        a->key = &k[i];
        a->packets = (uint64_t)i; /* the identity, to check the permutation */
        a->events = x >> 20 & 3;
        a->bytes = x >> 22 & 1 ? UINT64_MAX : x >> 23 & 3;
        a->first = times[(x >> 25) % 6];
        a->last = times[(x >> 28) % 6];
        a->iv.count = x >> 31 & 3;
        a->iv.has_std = x >> 33 & 1;
        a->iv.mean = vals[(x >> 34) % 7];
        a->iv.std = vals[(x >> 37) % 7];
        a->iv.median = vals[(x >> 40) % 7];
        a->iv.mad = vals[(x >> 43) % 7];
        a->sc.valid = x >> 46 & 1;
        a->sc.score = vals[(x >> 47) % 7];
        a->sc.period = x >> 57 & 1 ? -1 : vals[(x >> 58) % 7];
        a->host = k[i].dst_name ? names[(x >> 61) % 4] : NULL;
    }
}

/* Every --sort on 600 results with many ties: strictly ascending in
 * ref_cmp's order, each result once. */
static void test_results_sort_every_key(void **state)
{
    (void)state;
    enum { N = 600 };
    struct group_key *k = calloc(N, sizeof(*k));
    struct result *r = calloc(N, sizeof(*r));
    int *seen = calloc(N, sizeof(*seen));
    assert_non_null(k);
    assert_non_null(r);
    assert_non_null(seen);
    for (int key = SORT_SCORE; key <= SORT_DST; key++) {
        make_sort_results(k, r, N, key);
        results_sort(r, N, (enum sort_key)key);
        memset(seen, 0, N * sizeof(*seen));
        for (int i = 0; i < N; i++) {
            assert_true(r[i].packets < N);
            seen[r[i].packets]++;
            if (i)
                assert_true(ref_cmp((enum sort_key)key, &r[i - 1], &r[i]) < 0);
        }
        for (int i = 0; i < N; i++)
            assert_int_equal(seen[i], 1);
    }
    free(seen);
    free(r);
    free(k);
}

/* The two-thread order (two halves merged; past ORDER_PAR_MIN results) is
 * the one-thread order, for every --sort, an odd count splitting unevenly;
 * and it is strictly ascending in ref_cmp's order. */
static void test_results_order_threads(void **state)
{
    (void)state;
    enum { N = 40001 };
    struct group_key *k = calloc(N, sizeof(*k));
    struct result *r = calloc(N, sizeof(*r));
    assert_non_null(k);
    assert_non_null(r);
    for (int key = SORT_SCORE; key <= SORT_DST; key++) {
        make_sort_results(k, r, N, key);
        uint32_t *one = results_order(r, N, (enum sort_key)key);
        uint32_t *two = results_order_threads(r, N, (enum sort_key)key, 2);
        assert_memory_equal(one, two, N * sizeof(*one));
        for (int i = 1; i < N; i++)
            assert_true(ref_cmp((enum sort_key)key, &r[two[i - 1]], &r[two[i]]) < 0);
        free(one);
        free(two);
    }
    free(r);
    free(k);
}

static void test_results_sort(void **state)
{
    (void)state;
    struct fixture fx;
    make_fixture(&fx);
    /* By packets, descending. */
    results_sort(fx.r, 3, SORT_PACKETS);
    assert_int_equal(fx.r[0].packets, 3);
    assert_int_equal(fx.r[1].packets, 2);
    assert_int_equal(fx.r[2].packets, 1);
    /* By mean, descending, the group without intervals last. */
    results_sort(fx.r, 3, SORT_MEAN);
    assert_int_equal(fx.r[0].packets, 3);
    assert_int_equal(fx.r[1].packets, 2);
    assert_int_equal(fx.r[2].packets, 1);
    /* By std: only one group has one; the others follow. */
    results_sort(fx.r, 3, SORT_STD);
    assert_int_equal(fx.r[0].packets, 3);
    /* By first time, ascending. */
    results_sort(fx.r, 3, SORT_FIRST);
    assert_true(fx.r[0].first <= fx.r[1].first && fx.r[1].first <= fx.r[2].first);
}

static void test_write_error_is_reported(void **state)
{
    (void)state;
    /* not fopen(.., "w"): where /dev/full is missing, that would create a
     * plain file there, which takes every write */
    int fd = open("/dev/full", O_WRONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) || !S_ISCHR(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        skip();
    }
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    struct fixture fx;
    make_fixture(&fx);
    char msg[ERRMSG_MAX] = "";
    for (int fmt = OUT_TABLE; fmt <= OUT_JSON; fmt++) {
        struct output_opts o = {.format = (enum out_format)fmt, .by = GROUP_PORT, .ts_digits = 6};
        clearerr(f);
        assert_int_equal(output_write(f, "/dev/full", &o, fx.r, NULL, 3, msg), ERR_IO);
        assert_non_null(strstr(msg, "/dev/full"));
    }
    fclose(f);
}

/* A write failed before the final flush and an unrelated call set errno
 * since: the reason is the write's, or EIO, never the stale errno. */
static void test_stream_error_not_stale(void **state)
{
    (void)state;
    FILE *ok = tmpfile();
    assert_non_null(ok);
    fputs("row\n", ok);
    errno = ENOENT;
    assert_int_equal(stream_error(ok), 0);
    fclose(ok);
    int fd = open("/dev/full", O_WRONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) || !S_ISCHR(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        skip();
    }
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs("row\n", f);
    assert_int_not_equal(fflush(f), 0); /* the failing write */
    errno = ENOENT;                     /* a later, unrelated failure */
    int e = stream_error(f);
    assert_true(e == ENOSPC || e == EIO);
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fmt_time_ns),
        cmocka_unit_test(test_fmt_utc_rounds_down),
        cmocka_unit_test(test_fmt_human_dur_units),
        cmocka_unit_test(test_fmt_human_dur_rounding_carries_into_next_unit),
        cmocka_unit_test(test_fmt_fixed_matches_printf),
        cmocka_unit_test(test_fmt_fixed_trim_many_decimals),
        cmocka_unit_test(test_fmt_general_matches_printf),
        cmocka_unit_test(test_fmt_u64_and_point_match_printf),
        cmocka_unit_test(test_fmt_digits_every_half),
        cmocka_unit_test(test_fmt_ip_matches_inet_ntop),
        cmocka_unit_test(test_proto_name),
        cmocka_unit_test(test_sort_key_parse),
        cmocka_unit_test(test_csv_fields_and_empty_values),
        cmocka_unit_test(test_json_fields_and_nulls),
        cmocka_unit_test(test_escaping_and_long_fields),
        cmocka_unit_test(test_score_factors),
        cmocka_unit_test(test_dns_queries),
        cmocka_unit_test(test_table_long_name_keeps_its_end),
        cmocka_unit_test(test_duration_spanning_the_int64_range),
        cmocka_unit_test(test_no_event_has_no_times),
        cmocka_unit_test(test_top_limits_rows),
        cmocka_unit_test(test_threaded_writer_same_bytes),
        cmocka_unit_test(test_writer_order_same_bytes),
        cmocka_unit_test(test_results_sort),
        cmocka_unit_test(test_results_sort_every_key),
        cmocka_unit_test(test_results_order_threads),
        cmocka_unit_test(test_write_error_is_reported),
        cmocka_unit_test(test_stream_error_not_stale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * fmt.c - see fmt.h.
 *
 * v = m 2^e exactly, so v 10^d = (m 5^d) 2^(e+d) is an integer of at most
 * 75 bits shifted, rounded with integer arithmetic (ties to even).  %g is
 * %f with P - 1 - X decimals, X the decimal exponent of v rounded to P
 * significant digits, trailing zeros (and a bare point) removed (C11
 * 7.21.6.1).
 */
#include "fmt.h"

#include "../util/xalloc.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const uint64_t pow10_u[10] = {1,      10,      100,      1000,      10000,
                                     100000, 1000000, 10000000, 100000000, 1000000000};

/* round(|v| 10^d), ties to even, for finite |v| < 9e9 and d in 0..9. */
static uint64_t scaled_round(double v, int d)
{
    static const uint32_t pow5[10] = {1, 5, 25, 125, 625, 3125, 15625, 78125, 390625, 1953125};
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits)); /* IEEE 754 binary64 */
    int be = (int)(bits >> 52 & 0x7ff);
    uint64_t m = bits & ((UINT64_C(1) << 52) - 1);
    if (be)
        m |= UINT64_C(1) << 52; /* |v| = m 2^(be-1075), or m 2^-1074 if subnormal */
    unsigned __int128 p = (unsigned __int128)m * pow5[d];
    int sh = (be ? be : 1) - 1075 + d; /* |v| 10^d = p 2^sh */
    if (sh >= 0)
        return (uint64_t)(p << sh); /* < 9e18: |v| < 9e9, d <= 9 */
    if (sh <= -127)
        return 0; /* p < 2^75: far below one half */
    unsigned s = (unsigned)-sh;
    unsigned __int128 q = p >> s, rem = p - (q << s), half = (unsigned __int128)1 << (s - 1);
    if (rem > half || (rem == half && (q & 1)))
        q++;
    return (uint64_t)q;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ &&                        \
    !defined(PCTS_FMT_PORTABLE)
/*
 * Eight digits at once: the 8 decimal digits of v < 10^8 as ASCII in one
 * word, the first in its lowest byte (so a store writes them in order).  v
 * is split in halves of 4 digits, each into 2 of 2, each of those into 2 of
 * 1, all lanes at once, dividing by multiplying: x / 100 is (x * 10486) >>
 * 20 for x < 10^4 and x / 10 is (x * 103) >> 10 for x < 100.  No lane
 * carries into another, so test_output.c checks every 4-digit value in
 * each half (every v < 10^8 was checked once against printf).  point_trim's
 * instructions on 50 k CSV rows: 89 M with the loop of divisions by 100,
 * 68 M (callgrind).  Other byte orders, or -DPCTS_FMT_PORTABLE, take that
 * loop (built so once: test_output passes, the rows are the same bytes).
 */
#define FMT_SWAR 1
#define ZEROS8 UINT64_C(0x3030303030303030)
static inline uint64_t digits8(uint32_t v)
{
    uint64_t x = (uint64_t)(v / 10000) | (uint64_t)(v % 10000) << 32;
    uint64_t h = ((x * 10486) >> 20) & UINT64_C(0x0000007F0000007F);
    x = h | (x - h * 100) << 16;
    h = ((x * 103) >> 10) & UINT64_C(0x000F000F000F000F);
    x = h | (x - h * 10) << 8;
    return x + ZEROS8;
}

/* The digits of v from p on; returns their end.  Writes up to 8 bytes past
 * it. */
static char *put_uint(char *p, uint64_t v)
{
    if (v >= 100000000) {
        p = put_uint(p, v / 100000000);
        uint64_t x = digits8((uint32_t)(v % 100000000));
        memcpy(p, &x, 8);
        return p + 8;
    }
    uint64_t x = digits8((uint32_t)v);
    int lead = v ? __builtin_ctzll(x - ZEROS8) / 8 : 7; /* leading zeros, but one for 0 */
    x >>= 8 * lead;
    memcpy(p, &x, 8);
    return p + 8 - lead;
}
#else
#define FMT_SWAR 0
#endif

/* The digits of v, at least width of them (zero-padded), written backwards
 * so that they end just before end; returns where they start.  Two digits a
 * step: half the divisions. */
static char *put_digits(char *end, uint64_t v, int width)
{
    static const char pairs[201] = "00010203040506070809101112131415161718192021222324"
                                   "25262728293031323334353637383940414243444546474849"
                                   "50515253545556575859606162636465666768697071727374"
                                   "75767778798081828384858687888990919293949596979899";
    char *p = end;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        p -= 2;
        memcpy(p, pairs + 2 * r, 2);
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, pairs + 2 * v, 2);
    } else {
        *--p = (char)('0' + v);
    }
    while (end - p < width)
        *--p = '0';
    return p;
}

/* put_digits, not put_uint: most of the integers the rows print are counts
 * of a few digits, which the 8-digit step makes dearer. */
size_t fmt_u64(uint64_t v, char *buf)
{
    char tmp[20];
    const char *p = put_digits(tmp + sizeof(tmp), v, 1);
    size_t n = (size_t)(tmp + sizeof(tmp) - p);
    memcpy(buf, p, n);
    buf[n] = '\0';
    return n;
}

size_t fmt_u64_raw(uint64_t v, char *buf)
{
    char tmp[48];
    const char *p = put_digits(tmp + 24, v, 1);
    memcpy(buf, p, 24); /* a fixed size, inline: p + 24 is inside tmp */
    return (size_t)(tmp + 24 - p);
}

/*
 * fmt_point() with the fraction's trailing zeros dropped down to keep
 * decimals (with none left, the point too).  Written into one buffer,
 * trimmed and copied once: the CSV and JSON rows print some 20 numbers a
 * group, and the integer part written on its own, the zeros trimmed by
 * division and strlen, and three copies had cost twice as many
 * instructions (callgrind).
 */
static size_t point_trim(int neg, uint64_t ip, uint64_t fp, int d, int keep, char *out, size_t len)
{
    char buf[64]; /* '-', 20 digits, '.', 9 digits, and what the stores write past them */
#if FMT_SWAR
    /* 8 digits at once for long numbers; for short ones the loop of
     * divisions takes fewer instructions */
    char *p = buf;
    if (neg)
        *p++ = '-';
    if (ip < 10000) {
        p += 1 + (ip >= 10) + (ip >= 100) + (ip >= 1000);
        put_digits(p, ip, 1);
    } else {
        p = put_uint(p, ip);
    }
    if (d > 0) {
        char *q = p + 1, *end; /* the fraction's digits: q up to end, trimmed */
        if (d <= 4) {
            end = put_digits(q + d, fp, d) + d;
            while (end - q > keep && end[-1] == '0')
                end--;
        } else {
            /* the d digits of fp < 10^d, and how many of them end in
             * zeros (tz) */
            int tz;
            if (d == 9) {
                uint32_t first = (uint32_t)(fp / 100000000);
                uint64_t x = digits8((uint32_t)(fp % 100000000));
                q[0] = (char)('0' + first);
                memcpy(q + 1, &x, 8);
                tz = x == ZEROS8 ? 8 + (first == 0) : __builtin_clzll(x - ZEROS8) / 8;
            } else {
                int sh = 8 * (8 - d);
                uint64_t x = digits8((uint32_t)fp) >> sh, y = x - (ZEROS8 >> sh);
                memcpy(q, &x, 8);
                tz = y ? __builtin_clzll(y) / 8 - (8 - d) : d;
            }
            end = q + d - (tz < d - keep ? tz : d - keep);
        }
        if (end > q) {
            *p = '.';
            p = end;
        }
    }
    const char *start = buf;
#else
    char *end = buf + 32, *p = end;
    if (d > 0) {
        p = put_digits(p, fp, d);
        while (end - p > keep && end[-1] == '0')
            end--;
        if (end > p)
            *--p = '.';
    }
    p = put_digits(p, ip, 1);
    if (neg)
        *--p = '-';
    const char *start = p;
    p = end;
#endif
    size_t l = (size_t)(p - start);
    if (!len)
        return l;
    l = l < len - 1 ? l : len - 1;
    if (len >= 32) /* one fixed-size copy, inline: start + 32 is inside buf */
        memcpy(out, start, 32);
    else
        memcpy(out, start, l);
    out[l] = '\0';
    return l;
}

size_t fmt_point(int neg, uint64_t ip, uint64_t fp, int d, char *out, size_t len)
{
    return point_trim(neg, ip, fp, d, d, out, len);
}

/* q / 10^d with d decimals after a '-' when neg; trailing zeros of the
 * fraction dropped down to keep decimals (a bare point with none). */
static size_t put_scaled(int neg, uint64_t q, int d, int keep, char *out, size_t len)
{
    /* the rows' decimals as constants: a multiplication, not a division */
    switch (d) {
    case 3: return point_trim(neg, q / 1000, q % 1000, 3, keep, out, len);
    case 9: return point_trim(neg, q / 1000000000, q % 1000000000, 9, keep, out, len);
    default: return point_trim(neg, q / pow10_u[d], q % pow10_u[d], d, keep, out, len);
    }
}

size_t fmt_fixed(double v, int d, char *buf, size_t len)
{
    if (d < 0 || d > 9 || !isfinite(v) || fabs(v) >= 9e9) {
        int n = snprintf(buf, len, "%.*f", d < 0 ? 0 : d, v);
        return n < 0 ? 0 : len && (size_t)n >= len ? len - 1 : (size_t)n;
    }
    return put_scaled(signbit(v) != 0, scaled_round(v, d), d, d, buf, len);
}

size_t fmt_fixed_trim(double v, int d, int keep, char *buf, size_t len)
{
    if (keep < 0)
        keep = 0;
    if (d < 0 || d > 9 || keep > d || !isfinite(v) || fabs(v) >= 9e9) {
        char small[400]; /* "%.9f" of DBL_MAX: 309 digits, the sign, the point and 9 */
        char *tmp = small;
        size_t n = fmt_fixed(v, d, NULL, 0);
        /* more decimals than that (%.400f of 5e-324 is 402 characters): on
         * the heap, else the number had been cut to 399 before the trim */
        if (n >= sizeof(small))
            tmp = xmalloc(n + 1);
        n = fmt_fixed(v, d, tmp, n + 1);
        const char *dot = memchr(tmp, '.', n);
        if (dot) {
            size_t min = (size_t)(dot - tmp) + 1 + (size_t)keep;
            while (n > min && tmp[n - 1] == '0')
                n--;
            if (n == (size_t)(dot - tmp) + 1) /* keep 0: no bare point */
                n--;
        }
        if (len) {
            n = n < len - 1 ? n : len - 1; /* trimmed, then cut: as the fast path */
            memcpy(buf, tmp, n);
            buf[n] = '\0';
        }
        if (tmp != small)
            free(tmp);
        return n;
    }
    return put_scaled(signbit(v) != 0, scaled_round(v, d), d, keep, buf, len);
}

void fmt_general(double v, int p, char *buf, size_t len)
{
    /* 10^x for x = -3..5, only to guess the exponent: the rounded digits
     * decide (below) */
    static const double guess[] = {1e-3, 1e-2, 1e-1, 1, 1e1, 1e2, 1e3, 1e4, 1e5};
    double a = fabs(v);
    if (p < 1 || p > 6 || !(a >= 1e-3) || !(a < (double)pow10_u[p])) {
        snprintf(buf, len, "%.*g", p, v);
        return;
    }
    int x = -3;
    while (x + 1 < p && a >= guess[x + 4])
        x++;
    int d = p - 1 - x; /* 0..p+2 */
    uint64_t q = scaled_round(a, d);
    if (q == pow10_u[p]) { /* rounded up to 10^(x+1): one decimal fewer */
        x++;
        d--;
        q /= 10;
    }
    if (d < 0 || q < pow10_u[p - 1] || q >= pow10_u[p]) { /* %e style, or a wrong guess */
        snprintf(buf, len, "%.*g", p, v);
        return;
    }
    put_scaled(signbit(v) != 0, q, d, 0, buf, len);
}

void fmt_utc(int64_t ns, char *buf, size_t len)
{
    int64_t sec = ns / 1000000000;
    if (ns % 1000000000 < 0)
        sec--; /* C division truncates toward zero; a time rounds down */
    time_t t = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
        snprintf(buf, len, "?");
}

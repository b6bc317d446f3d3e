/*
 * fmt.h - printf's %.*f and %.*g for doubles, digit for digit, without
 * printf: the beacon reasons (score.c) and the report fields (output.c)
 * format a few numbers per group, and glibc's floating-point conversions
 * (multi-precision arithmetic) cost more than everything else the scorer
 * does.  Exact means the same digits and the same rounding (the exact binary
 * value, ties to even) as glibc under the default rounding mode; values
 * outside the fast path go to snprintf, so the result is always printf's.
 * Integers too (fmt_u64, fmt_point): the CSV and JSON writers print a few
 * dozen per row.
 */
#ifndef PCTS_FMT_H
#define PCTS_FMT_H

#include <stddef.h>
#include <stdint.h>

/* Exactly snprintf(buf, len, "%.*f", decimals, v) (decimals 0..9 and
 * |v| < 9e9 for the fast path); returns strlen(buf) (with len 0, the
 * length the number has). */
size_t fmt_fixed(double v, int decimals, char *buf, size_t len);

/* fmt_fixed(), then trailing zeros of the fraction dropped, down to keep
 * decimals (0..decimals), and with keep 0 a bare point too: "1.500" -> "1.5",
 * "2.000" -> "2.0" (keep 1) or "2" (keep 0); then cut to len as snprintf
 * cuts.  Returns strlen(buf) (with len 0, the length the number has). */
size_t fmt_fixed_trim(double v, int decimals, int keep, char *buf, size_t len);

/* Exactly snprintf(buf, len, "%.*g", digits, v) (digits 1..6 and
 * 1e-3 <= |v| < 10^digits for the fast path). */
void fmt_general(double v, int digits, char *buf, size_t len);

/* Exactly what "%llu" prints of v (buf holds the digits and a NUL, at most
 * 21 bytes); returns the length. */
size_t fmt_u64(uint64_t v, char *buf);

/* fmt_u64() without the NUL, for a buffer with room for 24 bytes, which it
 * may all write; returns the length. */
size_t fmt_u64_raw(uint64_t v, char *buf);

/* Exactly snprintf(buf, len, "%s%llu.%0*llu", neg ? "-" : "", ip, d, fp)
 * for d in 1..9 and fp < 10^d, and without the point and fp when d <= 0;
 * returns strlen(buf) (with len 0, the length the number has).  Unlike
 * snprintf, this, fmt_fixed, fmt_fixed_trim and fmt_general may overwrite
 * bytes of buf after the terminator (up to its 32nd: one fixed-size copy). */
size_t fmt_point(int neg, uint64_t ip, uint64_t fp, int d, char *buf, size_t len);

/* Nanoseconds since the epoch as "YYYY-MM-DD HH:MM:SS" in UTC, the second
 * rounded down (so -1.5 s is 23:59:58 of 1969-12-31), or "?" where the C
 * library cannot represent the time. */
void fmt_utc(int64_t ns, char *buf, size_t len);

#endif

/*
 * score.c - see score.h; the formulas are explained in docs/scoring.md.
 *
 * Outline: events are merged into beats (bursts closer than the burst
 * window), a period P is estimated from the beat intervals (candidates: the
 * median and the mode of a coarse log histogram), intervals are folded onto
 * P (an interval of about k*P counts as k beats, k <= 3, so missed beats do
 * not look irregular), and four parts are combined:
 *   interval  exp(-spread / 0.25), spread = MAD(folded) / P
 *   period    support^2 * sqrt(1 - missed)
 *   size      share of events within 10% (at least 16 bytes) of the median size
 *   coverage  group span / capture span (reported; weighs little)
 * score = period * (0.5 + 0.5 interval) * (0.75 + 0.25 size)
 *         * confidence(beats) * (0.85 + 0.15 coverage) * penalties
 */
#include "score.h"

#include "../stats/order.h"
#include "../util/hash40.h"
#include "../util/xalloc.h"
#include "fmt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FOLD_MAX 3       /* an interval may stand for at most 3 beats */
#define SUPPORT_TOL 0.35 /* |v/k - P| <= 35% of P supports P (covers 50% jitter) */
#define SPREAD_SCALE 0.25
#define HIST_STEP 1.15 /* log-histogram bin ratio for the mode */

/* The lists of the exact regime have unit weights (series.h: !approx);
 * unit is that flag, a constant in the calls below so each helper comes in
 * two versions, the unit one without the weights' loads and products (the
 * same bits: v * 1.0 == v). */
static inline uint64_t total_weight(const struct wval *a, size_t n, int unit)
{
    if (unit)
        return n;
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++)
        w += a[i].w;
    return w;
}

/* Weighted median of an ascending list (lower middle for even totals). */
static double wmedian(const struct wval *a, size_t n, int unit)
{
    uint64_t total = total_weight(a, n, unit), seen = 0;
    if (!total)
        return 0;
    if (unit)
        return a[(n - 1) / 2].v;
    for (size_t i = 0; i < n; i++) {
        seen += a[i].w;
        if (2 * seen >= total)
            return a[i].v;
    }
    return a[n - 1].v;
}

/*
 * Mode: the weighted centre (mean) of the most populated window
 * [v, v*HIST_STEP) of the ascending list, the first such window on ties.
 * The windows are found first, weights counted in integers, then the best
 * one is summed once, directly (more exactly than the running sum carried
 * across windows this replaced, whose rounding drifted, and off the walk's
 * carried path).
 */
static double wmode_sum(const struct wval *a, size_t lo, size_t hi, uint64_t w, int unit)
{
    double sum = 0;
    for (size_t k = lo; k < hi; k++)
        sum += unit ? a[k].v : a[k].v * (double)a[k].w;
    return sum / (double)w;
}

/* The end of the window of i (a[i].v > 0) from the previous end j: the
 * count of the next four values below the bound is added at once (they
 * are a prefix, the list ascending), which rarely branches on the data
 * where a step at a time mispredicted about once a value; the last three
 * values a step at a time. */
static inline size_t mode_end(const struct wval *a, size_t n, size_t i, size_t j)
{
    double hi = a[i].v * HIST_STEP;
    if (j < i)
        j = i;
    while (j + 4 <= n) {
        size_t c = (size_t)(a[j].v < hi) + (size_t)(a[j + 1].v < hi) + (size_t)(a[j + 2].v < hi) +
                   (size_t)(a[j + 3].v < hi);
        j += c;
        if (c < 4)
            return j;
    }
    while (j < n && a[j].v < hi)
        j++;
    return j;
}

/* Unit weights (the exact regime): the window of i holds j - i values.  The
 * positive values are walked as two halves at once, two independent chains
 * of loads for the one a single walk waited on. */
static double wmode_unit(const struct wval *a, size_t n)
{
    size_t p = 0;
    while (p < n && a[p].v <= 0)
        p++;
    if (p == n)
        return 0;
    size_t mid = p + (n - p) / 2, j1 = p, j2 = mid;
    size_t b1 = 0, i1b = 0, j1b = 0, b2 = 0, i2b = 0, j2b = 0;
    for (size_t t = 0; mid + t < n; t++) {
        size_t i2 = mid + t;
        j2 = mode_end(a, n, i2, j2);
        if (j2 - i2 > b2) {
            b2 = j2 - i2;
            i2b = i2;
            j2b = j2;
        }
        size_t i1 = p + t;
        if (i1 < mid) {
            j1 = mode_end(a, n, i1, j1);
            if (j1 - i1 > b1) {
                b1 = j1 - i1;
                i1b = i1;
                j1b = j1;
            }
        }
    }
    return b1 >= b2 ? wmode_sum(a, i1b, j1b, b1, 1) : wmode_sum(a, i2b, j2b, b2, 1);
}

static double wmode(const struct wval *a, size_t n, int unit)
{
    if (unit)
        return wmode_unit(a, n);
    uint64_t best_w = 0, w = 0;
    size_t j = 0, bi = 0, bj = 0;
    for (size_t i = 0; i < n; i++) {
        if (a[i].v <= 0)
            continue; /* a prefix (ascending): the window is still empty */
        if (j <= i) { /* empty window: restart at i */
            j = i;
            w = 0;
        }
        double hi = a[i].v * HIST_STEP;
        while (j < n && a[j].v < hi)
            w += a[j++].w;
        if (j <= i)
            continue; /* v * HIST_STEP rounded to v (a denormal): an empty window */
        if (w > best_w) {
            best_w = w;
            bi = i;
            bj = j;
        }
        w -= a[i].w;
    }
    return best_w ? wmode_sum(a, bi, bj, best_w, 0) : 0;
}

double score_mode(const struct wval *a, size_t n, int unit)
{
    return wmode(a, n, unit);
}

struct fold {
    double period, spread, support, missed, s_int, s_per;
};

/*
 * The multiple of p nearest to v, floor(v/p + 0.5) but at least 1, or 0 when
 * it exceeds FOLD_MAX.  For q = v/p in [0, FOLD_MAX + 0.5) the truncating
 * cast equals floor(q + 0.5) exactly; larger values never fold.  (floor()
 * is a libm call on baseline x86-64, and this runs for every interval of
 * every group, twice per candidate period.)
 */
static inline int fold_k(double v, double p)
{
    double q = v / p;
    if (!(q < FOLD_MAX + 0.5))
        return 0;
    int k = (int)(q + 0.5);
    return k < 1 ? 1 : k;
}

/* v / k for k in 1..3, exactly as the division (halving is exact). */
static inline double fold_div(double v, int k)
{
    return k == 1 ? v : k == 2 ? v * 0.5 : v / 3.0;
}

/* f[i] = fold_div(d[i].v, k) for i in [lo, hi); inlined with k constant */
static inline void fold_run(const struct wval *d, size_t lo, size_t hi, int k, double *f)
{
    for (size_t i = lo; i < hi; i++)
        f[i] = fold_div(d[i].v, k);
}

/* What a binary search over an ascending list of intervals asks of one of
 * them (each turns from false to true once along the list: v / p, v / k
 * and the rounded differences are monotone in v). */
enum fold_ask {
    FOLDS_PAST,  /* fold_k(v, p) > t, with "does not fold" above FOLD_MAX */
    DEV_REACHES, /* fold_div(v, k) - p >= t */
    DEV_PASSES   /* fold_div(v, k) - p > t */
};

static inline int fold_ask(double v, double p, int k, double t, enum fold_ask ask)
{
    if (ask == FOLDS_PAST) {
        int f = fold_k(v, p);
        return (f ? f : FOLD_MAX + 1) > t;
    }
    double x = fold_div(v, k) - p;
    return ask == DEV_REACHES ? x >= t : x > t;
}

/* The first i in [lo, hi) of the ascending d for which ask is true. */
static size_t fold_first(const struct wval *d, size_t lo, size_t hi, double p, int k, double t,
                         enum fold_ask ask)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (fold_ask(d[mid].v, p, k, t, ask))
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* The intervals of the ascending d that fold by k onto p are
 * [end[k - 1], end[k]), end[0] = 0; from end[FOLD_MAX] on none fold. */
static void fold_runs(const struct wval *d, size_t n, double p, size_t end[FOLD_MAX + 1])
{
    end[0] = 0;
    for (int k = 1; k <= FOLD_MAX; k++)
        end[k] = fold_first(d, end[k - 1], n, p, 0, k, FOLDS_PAST);
}

/* Fold intervals onto P and measure how well they fit.  Only intervals of
 * at most FOLD_MAX periods are folded (longer gaps are outages, not
 * evidence of regularity: folding a long random gap by a large k would make
 * it look exact).  d is ascending (series.h), so the multiple k never
 * falls along it: the intervals folding by 1, 2, 3 and not at all are four
 * consecutive runs, found by binary searches, and the folded values come in
 * at most FOLD_MAX ascending runs: merged, they give the median and MAD
 * without a selection.  Within a run, the supported intervals (within
 * SUPPORT_TOL of P) are a range, found the same way.  unit: every weight
 * is 1; total: the sum of the weights. */
static void fold_on(const struct wval *d, size_t n, int unit, uint64_t total, double p0,
                    double span, struct fold *out)
{
    memset(out, 0, sizeof(*out));
    size_t end[FOLD_MAX + 1];
    fold_runs(d, n, p0, end);
    size_t m = end[FOLD_MAX];
    if (m == 0)
        return;
    double p, mad;
    /* most groups have few beats: their scratch on the stack (a malloc and
     * a free for each of the two candidates were an eighth of scoring the
     * 1 M-group bench file's groups of 4 and 5 events, callgrind) */
    enum { FOLD_SMALL = 64 };
    if (unit) { /* exact events: plain doubles are cheaper */
        double small[3 * FOLD_SMALL];
        double *f = n <= FOLD_SMALL ? small : xmalloc(st_mult(3 * n, sizeof(*f)));
        fold_run(d, 0, end[1], 1, f);
        fold_run(d, end[1], end[2], 2, f);
        fold_run(d, end[2], end[3], 3, f);
        size_t a = end[1], b = end[2]; /* runs [0,a) [a,b) [b,m) */
        const double *s23 = f + a, *sorted = f;
        if (b > a && m > b) {
            order_merge(f + a, b - a, f + b, m - b, f + n);
            s23 = f + n;
        }
        if (!a) {
            sorted = s23;
        } else if (m > a) {
            order_merge(f, a, s23, m - a, f + 2 * n);
            sorted = f + 2 * n;
        }
        if (m % 2 == 0) {
            /* The even-count median and MAD (the mean of the two middle
             * values): the lower ones made two beats of 60 and 90 s, or
             * three of each, "exact" (P 60 s, MAD 0). */
            double below;
            p = (sorted[m / 2 - 1] + sorted[m / 2]) / 2;
            mad = order_absdev_kth(sorted, m, p, m / 2, &below);
            mad = (mad + below) / 2;
        } else {
            p = sorted[m / 2];
            mad = order_absdev_kth(sorted, m, p, m / 2, NULL);
        }
        if (f != small)
            free(f);
    } else { /* the same with weights: sketch lists are ascending too */
        struct wval small[3 * FOLD_SMALL];
        struct wval *f = m <= FOLD_SMALL ? small : xmalloc(st_mult(3 * m, sizeof(*f)));
        for (int k = 1; k <= FOLD_MAX; k++)
            for (size_t i = end[k - 1]; i < end[k]; i++) {
                f[i].v = fold_div(d[i].v, k);
                f[i].w = d[i].w;
            }
        size_t a = end[1], b = end[2];
        const struct wval *s23 = f + a, *sorted = f;
        if (b > a && m > b) {
            order_wmerge(f + a, b - a, f + b, m - b, f + m);
            s23 = f + m;
        }
        if (!a) {
            sorted = s23;
        } else if (m > a) {
            order_wmerge(f, a, s23, m - a, f + 2 * m);
            sorted = f + 2 * m;
        }
        p = order_wmedian(sorted, m);
        mad = order_wabsdev_median(sorted, m, p);
        if (f != small)
            free(f);
    }
    uint64_t sup = 0;
    if (p > 0) { /* |v/k - P| <= SUPPORT_TOL * P */
        double tol = SUPPORT_TOL * p;
        fold_runs(d, n, p, end);
        for (int k = 1; k <= FOLD_MAX; k++) {
            size_t lo = fold_first(d, end[k - 1], end[k], p, k, -tol, DEV_REACHES);
            size_t hi = fold_first(d, lo, end[k], p, k, tol, DEV_PASSES);
            if (unit)
                sup += hi - lo;
            else
                for (size_t i = lo; i < hi; i++)
                    sup += d[i].w;
        }
    }
    out->period = p;
    out->spread = p > 0 ? mad / p : 1;
    out->support = total ? (double)sup / (double)total : 0;
    double expected = p > 0 ? span / p : 0;
    out->missed = expected > (double)total ? 1 - (double)total / expected : 0;
    if (out->missed > 1)
        out->missed = 1;
    out->s_int = exp(-out->spread / SPREAD_SCALE);
    /* support counts twice: random (Poisson) gaps support any period about
     * half of the time, beacons nearly always */
    out->s_per = out->support * out->support * sqrt(1 - out->missed);
}

static double timing_of(const struct fold *f)
{
    return f->s_per * (0.5 + 0.5 * f->s_int);
}

/* A reason being written, cut as snprintf cuts: what fits in cap - 1
 * bytes, always terminated; len counts what was put, fitting or not. */
struct text {
    char *buf;
    size_t cap, len;
};

static void put_n(struct text *t, const char *s, size_t l)
{
    if (t->len + 1 < t->cap) {
        size_t room = t->cap - 1 - t->len, c = l < room ? l : room;
        memcpy(t->buf + t->len, s, c);
        t->buf[t->len + c] = '\0';
    }
    t->len += l;
}

static void put(struct text *t, const char *s)
{
    put_n(t, s, strlen(s));
}

static void put_u64(struct text *t, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof(tmp);
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put_n(t, tmp + i, sizeof(tmp) - i);
}

/* printf's %.*f (fixed) or %.*g (general) */
static void put_num(struct text *t, double v, int prec, int general)
{
    char b[32];
    if (general)
        fmt_general(v, prec, b, sizeof(b));
    else
        fmt_fixed(v, prec, b, sizeof(b));
    put(t, b);
}

/* Bytes in IEC units, "416 KiB", "1.1 MiB": one decimal below 10. */
static void put_bytes(struct text *t, double b)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (b >= 1024 && u < 4) {
        b /= 1024;
        u++;
    }
    put_num(t, b, u && b < 10 ? 1 : 0, 0);
    put(t, " ");
    put(t, unit[u]);
}

/* n and the noun, "conn" -> "conns", "query" -> "queries" (the plural cut
 * at 31 bytes) */
static void put_count(struct text *t, uint64_t n, const char *noun)
{
    char b[32];
    struct text pl = {b, sizeof(b), 0};
    size_t l = strlen(noun);
    b[0] = '\0';
    if (n == 1) {
        put_n(&pl, noun, l);
    } else if (l && noun[l - 1] == 'y') {
        put_n(&pl, noun, l - 1);
        put(&pl, "ies");
    } else {
        put_n(&pl, noun, l);
        put(&pl, "s");
    }
    put_u64(t, n);
    put(t, " ");
    put(t, b);
}

/* The events: "180 conns", or, when the connections were fewer than the
 * events (exchanges of UDP flows or of TCP connections kept open), "1916
 * exchanges in 1 conn". */
static void put_events(struct text *t, const struct beacon_score *sc)
{
    if (sc->conns && sc->conns < sc->events && sc->noun && !strcmp(sc->noun, "conn")) {
        put_count(t, sc->events, "exchange");
        put(t, " in ");
        put_count(t, sc->conns, "conn");
        return;
    }
    put_count(t, sc->events, sc->noun);
}

static void put_period(struct text *t, double s)
{
    if (s < 1) {
        put_num(t, s * 1e3, 0, 0);
        put(t, "ms");
    } else if (s < 100) {
        put_num(t, s, 3, 1);
        put(t, "s");
    } else if (s < 5400) {
        put_num(t, s / 60, 3, 1);
        put(t, "m");
    } else {
        put_num(t, s / 3600, 3, 1);
        put(t, "h");
    }
}

static void put_span(struct text *t, double s)
{
    if (s < 120) {
        put_num(t, s, 0, 0);
        put(t, "s");
    } else if (s < 7200) {
        put_num(t, s / 60, 0, 0);
        put(t, "m");
    } else if (s < 172800) {
        put_num(t, s / 3600, 1, 0);
        put(t, "h");
    } else {
        put_num(t, s / 86400, 1, 0);
        put(t, "d");
    }
}

void score_compute(const struct score_context *ctx, const struct series_features *f,
                   struct beacon_score *o)
{
    memset(o, 0, sizeof(*o));
    o->events = f->events;
    o->beats = f->beats;
    o->noun = ctx->event_noun;
    unsigned min_events = ctx->min_events ? ctx->min_events : SCORE_MIN_EVENTS;
    if (f->events < min_events)
        return;
    o->valid = 1;
    double span = (double)((uint64_t)f->last - (uint64_t)f->first) * 1e-9;
    double cap = (double)((uint64_t)ctx->capture_last - (uint64_t)ctx->capture_first) * 1e-9;
    o->span = span;
    o->capture_span = cap;
    o->active_bins = f->active_bins;
    /* the hours of the clock the capture touches, as active_bins counts
     * them (series.h: SERIES_BIN_NS), not ceil(span / 1 h): a 2 h capture
     * from 12:30 touches three, and a group active in one of them had read
     * as 100% of hours */
    o->capture_bins =
        ctx->capture_last >= ctx->capture_first
            ? (uint64_t)(series_bin(ctx->capture_last) - series_bin(ctx->capture_first)) + 1
            : 1;
    o->s_coverage = cap > 0 ? span / cap : 1;
    if (o->s_coverage > 1)
        o->s_coverage = 1;

    /* Size regularity. */
    int unit = !f->approx; /* series.h: the exact regime's weights are 1 */
    if (f->n_sizes) {
        double m = f->has_size_median ? f->size_median : wval_median(f->sizes, f->n_sizes);
        double tol = m * 0.10 > 16 ? m * 0.10 : 16;
        uint64_t near = 0, total;
        if (f->sizes_u32) { /* the exact regime's own sizes, unit weights */
            total = f->n_sizes;
            for (size_t i = 0; i < f->n_sizes; i++)
                near += fabs((double)f->sizes_u32[i] - m) <= tol;
        } else {
            total = total_weight(f->sizes, f->n_sizes, unit);
            for (size_t i = 0; i < f->n_sizes; i++)
                if (fabs(f->sizes[i].v - m) <= tol)
                    near += f->sizes[i].w;
        }
        o->s_size = total ? (double)near / (double)total : 0;
    }

    uint64_t nd = total_weight(f->beat_iv, f->n_beat_iv, unit);
    if (nd < 2) {
        o->score = 0;
        return;
    }
    o->repeats = 1;
    struct fold best, c;
    double cands[2];
    if (unit) {
        cands[0] = wmedian(f->beat_iv, f->n_beat_iv, 1);
        cands[1] = wmode(f->beat_iv, f->n_beat_iv, 1);
    } else {
        cands[0] = wmedian(f->beat_iv, f->n_beat_iv, 0);
        cands[1] = wmode(f->beat_iv, f->n_beat_iv, 0);
    }
    memset(&best, 0, sizeof(best));
    for (int i = 0; i < 2; i++) {
        if (!(cands[i] > 0))
            continue;
        fold_on(f->beat_iv, f->n_beat_iv, unit, nd, cands[i], span, &c);
        if (c.period > 0 && (best.period == 0 || timing_of(&c) > timing_of(&best)))
            best = c;
    }
    o->period = best.period;
    o->spread = best.spread;
    o->missed = best.missed;
    o->s_interval = best.s_int;
    o->s_period = best.s_per;

    /* Evidence grows with the number of beats: 4 beats 0.45, 10 0.83, 24 0.99. */
    o->confidence = 1 - exp(-((double)f->beats - 1) / 5);
    /* Penalties: sub-second "periods" are streams or bulk transfers, not
     * check-ins; a beat that moves much data is a transfer. */
    double pen = 1;
    if (o->period < 1)
        pen *= o->period > 0.05 ? o->period : 0.05;
    double per_beat = f->beats ? f->beat_vol_median : 0;
    o->beat_bytes = per_beat;
    if (per_beat > 256 * 1024.0)
        pen /= 1 + log2(per_beat / (256 * 1024.0));
    o->penalty = pen;
    o->score = timing_of(&best) * (0.75 + 0.25 * o->s_size) * o->confidence *
               (0.85 + 0.15 * o->s_coverage) * pen;
    if (o->score > 1)
        o->score = 1;
    if (o->score < 0)
        o->score = 0;
}

/* A group that beats alike with others of its destination (the prevalence
 * factor's count): regular, with a period. */
static int alike_member(const struct beacon_score *sc)
{
    return sc->valid && sc->repeats && sc->period > 0 && sc->s_interval >= SCORE_ALIKE_INTERVAL;
}

/* A group whose prevalence factor counts the sources alike, not all of them
 * (score.h): regular over enough beats that the regularity is its own. */
static int alike_own(const struct beacon_score *sc)
{
    return alike_member(sc) && sc->beats >= SCORE_ALIKE_BEATS;
}

/* What the score itself says (score_reason's first part). */
static void put_verdict(struct text *t, const struct beacon_score *sc)
{
    if (!sc->valid) {
        put_events(t, sc);
        put(t, ": too few to score");
        return;
    }
    if (!sc->repeats) {
        put_events(t, sc);
        put(t, " in ");
        put_u64(t, sc->beats);
        put(t, sc->beats == 1 ? " burst: no repetition" : " bursts: no repetition");
        return;
    }
    put(t, "every ");
    put_period(t, sc->period);
    put(t, " ±");
    put_num(t, sc->spread * 100, 0, 0);
    put(t, "% over ");
    put_span(t, sc->span);
    put(t, ", ");
    put_events(t, sc);
    if (sc->events >= 2 * sc->beats) {
        put(t, " in ");
        put_u64(t, sc->beats);
        put(t, " bursts");
    }
    if (sc->missed >= 0.05) {
        put(t, ", ");
        put_num(t, sc->missed * 100, 0, 0);
        put(t, "% beats missed");
    }
    if (sc->capture_span >= 2 * 3600) {
        double share = 100 * (double)sc->active_bins / (double)sc->capture_bins;
        put(t, ", ");
        put_num(t, share > 100 ? 100 : share, 0, 0);
        put(t, "% of hours");
    }
    if (sc->s_size >= 0.8)
        put(t, ", sizes steady");
    if (sc->penalty < 0.5) {
        /* the factor that weighs more: the median beat's bytes (a
         * transfer), or a sub-second period (a stream or bulk) */
        double vol = sc->beat_bytes > 256 * 1024.0 ? 1 / (1 + log2(sc->beat_bytes / (256 * 1024.0)))
                                                   : 1,
               rate = sc->period < 1 ? (sc->period > 0.05 ? sc->period : 0.05) : 1;
        if (vol < rate) {
            put(t, ", ");
            put_bytes(t, sc->beat_bytes);
            put(t, " a beat: transfers (penalised)");
        } else {
            put(t, ", bulk/stream (penalised)");
        }
    }
}

size_t score_reason(const struct beacon_score *sc, const char *infix, char *buf, size_t cap)
{
    struct text t = {buf, cap, 0};
    if (cap)
        buf[0] = '\0';
    if (sc->noun) /* else not made by score_compute (zeroed): no reason of its own */
        put_verdict(&t, sc);
    if (infix)
        put(&t, infix);
    if (!sc->valid)
        return t.len;
    /* the context factors' notes (score_apply_context), for scored groups */
    if (sc->sources > 1) {
        put(&t, ", ");
        put_u64(&t, sc->sources);
        put(&t, " sources share it");
        /* a regular group's prevalence factor counts those beating alike
         * (score.h) */
        if (!sc->alike) {
            /* all of them count (irregular, or few beats): nothing to add */
        } else if (sc->alike == 1) {
            put(&t, ", no other alike");
        } else if (sc->alike < sc->sources) {
            put(&t, ", ");
            put_u64(&t, sc->alike - 1);
            put(&t, sc->alike == 2 ? " other alike" : " others alike");
        }
    }
    if (sc->locality == (LOC_INTERNAL | LOC_BROADCAST))
        put(&t, ", internal broadcast destination");
    else if (sc->locality)
        put(&t, sc->locality == LOC_BROADCAST ? ", broadcast/multicast destination"
                                              : ", internal destination");
    return t.len;
}

/* ---- context: prevalence and locality ------------------------------------- */

/* A name (--group host, dns) is one destination whoever calls it: the key's
 * family is then its source's only, and an IPv4 and an IPv6 client of one
 * name are two sources of it (they had been two destinations of one source
 * each, "no other alike" and no prevalence discount). */
static int same_dest(const struct group_key *x, const struct group_key *y)
{
    return (x->dst_name || x->family == y->family) && x->dst_name == y->dst_name &&
           !memcmp(x->dst, y->dst, 16) && x->proto == y->proto && x->has_port == y->has_port &&
           x->dport == y->dport;
}

/* LOC_* bits: private/link-local/loopback, multicast/broadcast; both for a
 * private subnet's broadcast (10.0.0.255 had been broadcast only, its
 * internal factor lost) */
static int locality(const struct group_key *k)
{
    const uint8_t *a = k->dst;
    if (k->dst_name)
        return 0; /* a name id, not an address */
    if (k->family == 4) {
        int loc = 0;
        if ((a[0] >= 224 && a[0] <= 239) || /* 224/4; 240/4 is reserved, no multicast */
            (a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255) ||
            a[3] == 255) /* the broadcast of a /24 (common enough to count) */
            loc |= LOC_BROADCAST;
        if (a[0] == 10 || a[0] == 127 || (a[0] == 172 && (a[1] & 0xF0) == 16) ||
            (a[0] == 192 && a[1] == 168) || (a[0] == 169 && a[1] == 254) ||
            (a[0] == 100 && (a[1] & 0xC0) == 64))
            loc |= LOC_INTERNAL;
        return loc;
    }
    if (a[0] == 0xFF)
        return LOC_BROADCAST;
    if ((a[0] & 0xFE) == 0xFC || (a[0] == 0xFE && (a[1] & 0xC0) == 0x80))
        return LOC_INTERNAL;
    static const uint8_t loop6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return memcmp(a, loop6, 16) ? 0 : LOC_INTERNAL;
}

/* The destination part of a key (all but the source), hashed. */
static uint64_t dest_hash(const struct group_key *k, uint64_t seed)
{
    struct group_key d = *k;
    memset(d.src, 0, sizeof(d.src));
    if (d.dst_name)
        d.family = 0; /* same_dest */
    return hash40(&d, seed);
}

struct alike_ent {
    size_t dest; /* the destination's table slot */
    double period;
};

static int cmp_alike(const void *a, const void *b)
{
    const struct alike_ent *x = a, *y = b;
    if (x->dest != y->dest)
        return x->dest < y->dest ? -1 : 1;
    return (x->period > y->period) - (x->period < y->period);
}

/* The entries of e[0..n) (in cmp_alike's order) before (dest, period). */
static size_t alike_lower(const struct alike_ent *e, size_t n, size_t dest, double period)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e[mid].dest < dest || (e[mid].dest == dest && e[mid].period < period))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/*
 * Count the items of each destination in an open-addressing table (the
 * first item of a destination and the count), then apply.  Items are
 * distinct groups, so their sources within a destination are distinct:
 * the count is the number of sources.  (A sort of the items by
 * destination, with its comparisons reaching into 160-byte groups spread
 * over the whole group array, took 50 ms for 50 k groups, a tenth of a
 * two-thread run of the bench file.)
 */
void score_apply_context(struct score_item *items, size_t n, uint64_t seed)
{
    if (!n)
        return;
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    struct dest_slot {
        size_t first1; /* the first item of this destination + 1; 0: empty */
        uint64_t count;
    } *tab = xcalloc(cap, sizeof(*tab));
    /* Each item's home slot first, then the probes with the slot AHEAD
     * items on being fetched, and the counts read back the same way: the
     * table (32 MB for 1 M groups) missed once an item in each pass. */
    enum { AHEAD = 16 };
    size_t *slot_of = xmalloc(st_mult(n, sizeof(*slot_of)));
    for (size_t i = 0; i < n; i++)
        slot_of[i] = (size_t)dest_hash(items[i].key, seed) & (cap - 1);
    for (size_t i = 0; i < n; i++) {
        if (i + AHEAD < n)
            __builtin_prefetch(&tab[slot_of[i + AHEAD]]);
        size_t s = slot_of[i];
        while (tab[s].first1 && !same_dest(items[tab[s].first1 - 1].key, items[i].key))
            s = (s + 1) & (cap - 1);
        if (!tab[s].first1)
            tab[s].first1 = i + 1;
        tab[s].count++;
        slot_of[i] = s;
    }
    /* The regular members of destinations with several sources, sorted by
     * destination and period: a group's alike count is the members within
     * its period's window, by two binary searches (a destination of k
     * sources costs k log k, not k^2: a resolver of 50 k clients).  Only
     * the destinations some group counts alike for (alike_own) have
     * entries: most of a big capture's have one source, or none regular
     * over enough beats (the 1 M-group bench file: none, where sorting
     * 870 k regular groups had cost 0.3-0.5 s and 28 MB).  tab[].first1 is
     * free now (the counts stay): 1 marks those destinations. */
    for (size_t s = 0; s < cap; s++)
        tab[s].first1 = 0;
    for (size_t i = 0; i < n; i++)
        if (tab[slot_of[i]].count > 1 && alike_own(items[i].sc))
            tab[slot_of[i]].first1 = 1;
    size_t na = 0;
    for (size_t i = 0; i < n; i++)
        na += tab[slot_of[i]].first1 && alike_member(items[i].sc);
    struct alike_ent *ae = xmalloc(st_mult(na ? na : 1, sizeof(*ae)));
    na = 0;
    for (size_t i = 0; i < n; i++)
        if (tab[slot_of[i]].first1 && alike_member(items[i].sc))
            ae[na++] = (struct alike_ent){slot_of[i], items[i].sc->period};
    qsort(ae, na, sizeof(*ae), cmp_alike);
    for (size_t i = 0; i < n; i++) {
        if (i + AHEAD < n)
            __builtin_prefetch(&tab[slot_of[i + AHEAD]]);
        uint64_t sources = tab[slot_of[i]].count;
        struct beacon_score *sc = items[i].sc;
        /* an irregular group, or one of few beats, keeps the popularity
         * discount of all the sources and no alike count (score.h) */
        uint64_t alike = 0;
        if (alike_own(sc)) {
            alike = 1;
            if (sources > 1) { /* itself among the entries */
                /* both bounds inclusive, with the same tolerance, so that
                 * "alike" is symmetric at a ratio of exactly 1.35 (P / 1.35
                 * may round above the other's period, as P * 1.35 below) */
                size_t d = slot_of[i];
                alike = alike_lower(ae, na, d, sc->period * SCORE_ALIKE_RATIO * (1 + 1e-12)) -
                        alike_lower(ae, na, d, sc->period / SCORE_ALIKE_RATIO * (1 - 1e-12));
            }
        }
        int loc = locality(items[i].key);
        double f = 1 / (1 + 0.5 * log2((double)(alike ? alike : sources)));
        if (loc & LOC_BROADCAST)
            f *= 0.5;
        if (loc & LOC_INTERNAL)
            f *= 0.8;
        sc->sources = sources;
        sc->alike = alike;
        sc->context = f;
        sc->locality = (uint8_t)loc;
        if (sc->valid)
            sc->score *= f;
    }
    free(ae);
    free(slot_of);
    free(tab);
}

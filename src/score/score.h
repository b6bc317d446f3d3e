/*
 * score.h - the beacon score: how much a group's event series looks like
 * command-and-control check-ins, as a number in [0, 1] with its parts and a
 * one-line human reason.  docs/scoring.md gives every formula and why.
 *
 * Inputs are a group's series features (series.h: beat intervals, event
 * sizes, span, active hours) and the capture's span; nothing here depends
 * on hash order or floating-point non-determinism beyond IEEE arithmetic,
 * so the same input always gives the same score.
 */
#ifndef PCTS_SCORE_H
#define PCTS_SCORE_H

#include "../group/group.h"
#include "../stats/series.h"

#include <stdint.h>

#define SCORE_MIN_EVENTS 4 /* default --min-events */

struct beacon_score {
    int valid;         /* enough events to score */
    double score;      /* [0, 1] */
    double s_interval; /* regularity of the (folded) beat intervals */
    double s_period;   /* how many beats support one period, missed beats counted */
    double s_size;     /* share of events near the typical size */
    double s_coverage; /* share of the capture's span the group covers */
    double period;     /* seconds; 0 if none */
    double spread;     /* MAD of folded intervals / period */
    double missed;     /* share of expected beats absent */
    double confidence; /* from the number of beats */
    double penalty;    /* product of rate and volume penalties */
    double beat_bytes; /* the median beat's volume (series_features.beat_vol_median) */
    uint64_t events, beats;
    uint64_t sources; /* distinct sources of the same destination service */
    /* of them, those beating alike (score_apply_context), this one included:
     * the prevalence factor's count; 0 when the group is not regular over
     * SCORE_ALIKE_BEATS beats or more, and its factor counts every source */
    uint64_t alike;
    double context; /* prevalence x locality factor applied to the score */
    /* What the reason (score_reason) is made of, besides the figures above;
     * kept instead of the text, which only the rows written need. */
    double span;           /* seconds from the first event to the last */
    double capture_span;   /* seconds, of the whole capture */
    uint64_t active_bins;  /* hours with an event (series.h) */
    uint64_t capture_bins; /* clock hours the capture touches, its first to its last */
    const char *noun;      /* the events' noun (score_context), a static string */
    /* the connection series: the group's connections (the caller's, after
     * score_compute), fewer than its events when some had several
     * exchanges (docs/scoring.md); 0 unknown */
    uint64_t conns;
    uint8_t repeats;  /* valid and at least two beat intervals: a period was sought */
    uint8_t locality; /* destination: LOC_* bits, 0 public */
};

/* struct beacon_score.locality: a private subnet's broadcast is both */
enum { LOC_INTERNAL = 1, LOC_BROADCAST = 2 };

/* Longest reason plus its terminator: reasons are cut to fit. */
#define SCORE_REASON_MAX 200

struct score_context {
    int64_t capture_first, capture_last; /* ns */
    unsigned min_events;
    const char *event_noun; /* "conn", "pkt": pluralised with s */
};

void score_compute(const struct score_context *ctx, const struct series_features *f,
                   struct beacon_score *out);

/* The one-line human reason for a score ("every 1m ±2% over 3.0h, 180
 * conns, sizes steady"), then infix (the caller's figures, e.g. --group
 * dns's names; NULL for none), then the context factors' notes once
 * score_apply_context has run ("3 sources share it"), into buf (cap bytes,
 * cut as snprintf cuts, always terminated).  Returns the reason's full
 * length.  A score score_compute did not make (all zero) has only the
 * infix. */
size_t score_reason(const struct beacon_score *sc, const char *infix, char *buf, size_t cap);

/* The mode candidate of the period (docs/scoring.md): the mean of the most
 * populated window [v, 1.15 v) of the ascending list a, weighted (unit:
 * every weight is 1); 0 when no value is positive.  For tests. */
double score_mode(const struct wval *a, size_t n, int unit);

/*
 * Second pass over all groups: C2 is one inside host calling one outside
 * service (DETECTION.md).  A destination service that many sources call
 * alike in the capture (update servers, NTP pools, telemetry: each of them
 * regular, at about the same period) or that is internal, multicast or
 * broadcast is less likely C2: its score is multiplied by
 *   1 / (1 + 0.5 log2(m))   and   0.8 (private) or 0.5 (multicast,
 *   broadcast),
 * where m, for a group that is itself regular (scored, a period, its
 * interval part at least SCORE_ALIKE_INTERVAL) over SCORE_ALIKE_BEATS beats
 * or more, is alike: this group and the other regular ones of its
 * destination whose period is within a factor SCORE_ALIKE_RATIO of its own;
 * for any other group, all the destination's sources (docs/scoring.md).
 */
#define SCORE_ALIKE_INTERVAL 0.5
#define SCORE_ALIKE_RATIO 1.35
#define SCORE_ALIKE_BEATS 16
struct score_item {
    const struct group_key *key;
    struct beacon_score *sc;
};
/* items: distinct groups' keys (so a destination's sources are distinct),
 * any order; seed: the run's random hash seed. */
void score_apply_context(struct score_item *items, size_t n, uint64_t seed);

#endif

/*
 * output.h - finished per-group results to table, CSV or JSON Lines.
 *
 * Output only reads finished results (it never sees the group table's
 * internals).  Field names are a public interface (README "Fields"):
 *   src dst proto dport packets bytes first last duration intervals
 *   interval_mean interval_std interval_min interval_max interval_median
 *   interval_mad
 * plus interval_approx (median/MAD from the bounded sketch) and
 * late_packets (events beyond the reorder bound).  Fields are added, never
 * renamed.  Escaping and quoting live in one place each (jsonw_str,
 * csv_quoted).  Times are printed from integer nanoseconds, so they are exact
 * at the capture's own precision.
 */
#ifndef PCTS_OUTPUT_H
#define PCTS_OUTPUT_H

#include "../flow/flow.h"
#include "../group/group.h"
#include "../score/fmt.h" /* fmt_fixed */
#include "../score/score.h"
#include "../stats/series.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum out_format { OUT_TABLE, OUT_CSV, OUT_JSON };

enum sort_key {
    SORT_SCORE,
    SORT_EVENTS,
    SORT_PERIOD,
    SORT_PACKETS,
    SORT_BYTES,
    SORT_DURATION,
    SORT_INTERVALS,
    SORT_MEAN,
    SORT_STD,
    SORT_MEDIAN,
    SORT_MAD,
    SORT_FIRST,
    SORT_LAST,
    SORT_SRC,
    SORT_DST,
};

struct result {
    const struct group_key *key; /* borrowed from the group table */
    uint64_t packets, bytes;
    uint64_t events, flows, failed;
    int64_t first, last; /* ns, of the events */
    struct interval_stats iv;
    struct beacon_score sc;
    const char *allow; /* the --allow rule that matched, or NULL */
    int allow_weak;    /* ...a name rule, on a name only the sender wrote (allow.h) */
    const char *host;  /* the destination's name, or NULL (borrowed) */
    /* --group dns: distinct names queried under the domain (0: none, or
     * another grouping), their subdomain labels' mean length and entropy */
    uint32_t dns_names;
    double dns_label_mean, dns_bits_mean;
    /* the other groupings, in the flow loops: the DNS queries of its flows
     * (0: none), and the registered domain most of them asked for with its
     * count (group/qdom.h; NULL when none was counted) */
    uint32_t dns_queries, dns_top_queries;
    uint32_t dns_domains; /* the distinct registered domains counted (0 with dns_top NULL) */
    const char *dns_top;  /* borrowed */
};

/* Sparkline buffer size: 12 three-byte blocks and the terminator fit. */
#define SPARK_MAX 48

/* A one-line histogram of intervals (log-scale bins, Unicode blocks) into
 * out; "" when there are fewer than 2 intervals. */
void sparkline(const struct wval *iv, size_t n, char *out, size_t len);

struct output_opts {
    enum out_format format;
    enum group_by by;
    int flows_series; /* events are flows (else packets) */
    enum sort_key sort;
    size_t top;    /* 0 = all */
    int ts_digits; /* decimals of times */
    int color;     /* ANSI colours in the table */
    int threads;   /* > 1: CSV and JSON rows formatted on two threads (same bytes) */
    int dns_full;  /* --group dns: the distinct-name counts stopped at their limit ("+") */
    /* table: the sparkline of the i-th row written (UTF-8), or NULL for none */
    const char (*spark)[SPARK_MAX];
};

/* The reason column: the score's reason (score_reason) with, for --group
 * dns, the names' figures before the context factors' notes, into buf (cap
 * bytes, SCORE_REASON_MAX for the whole reason; cut as snprintf cuts).
 * Returns its full length. */
size_t result_reason(const struct output_opts *o, const struct result *r, char *buf, size_t cap);

/* The reason's last part, on the group's DNS queries (group/qdom.h), ""
 * when none was counted: "; 957 of 1219 DNS queries for c2-tunnel.example",
 * "; all 40 DNS queries for example.com", or, when no domain was asked
 * twice (a DGA's), "; 300 DNS queries for 300 domains".  Into buf (cap
 * bytes, cut as snprintf cuts); returns its full length. */
size_t result_dns_note(const struct result *r, char *buf, size_t cap);

/* Parse a --sort value; -1 if unknown. */
int sort_key_parse(const char *s);
const char *sort_key_names(void);

/* The results' positions in the order of key: descending by score and the
 * other measures, ascending by first time and addresses, undefined values
 * last, ties by the key's bytes.  An array of n the caller frees. */
uint32_t *results_order(const struct result *r, size_t n, enum sort_key key);

/* The same on up to threads threads (two halves sorted at once, then
 * merged: the same order). */
uint32_t *results_order_threads(const struct result *r, size_t n, enum sort_key key, int threads);

/* The same, the results moved into that order. */
void results_sort(struct result *r, size_t n, enum sort_key key);

/* Write results, r[order[0]] first (order NULL: r in its order); returns 0, or ERR_IO with msg set
 * (disk full, closed pipe). */
int output_write(FILE *f, const char *name, const struct output_opts *o, const struct result *r,
                 const uint32_t *order, size_t n, char *msg);

/*
 * Streaming list of flows (`pcts flows`), Zeek conn.log style, one row per
 * flow as flows end.  Fields: start end duration orig_h orig_p resp_h
 * resp_p proto vlan orig_pkts orig_bytes resp_pkts resp_bytes conn_state
 * failed host (the responder's name, or NULL: null in JSON, empty in CSV).
 * Returns 0 or ERR_IO at the end (flow_writer_close).
 */
struct flow_writer {
    FILE *f;
    enum out_format format;
    int ts_digits;
    uint64_t rows;
};
void flow_writer_begin(struct flow_writer *w);
void flow_writer_row(struct flow_writer *w, const struct flow *fl, const char *host);
int flow_writer_end(struct flow_writer *w, const char *name, char *msg);

/* Helpers shared with the summary and tests. */
void fmt_addr(const struct group_key *k, int dst, char *buf, size_t len);
/* Exactly inet_ntop(): family 6 is IPv6, any other IPv4; buf holds
 * INET6_ADDRSTRLEN bytes.  Returns the length. */
size_t fmt_ip(int family, const uint8_t *addr, char *buf);
const char *proto_name(uint8_t proto, char *buf, size_t len);
/* Seconds with digits decimals (0..9), truncated; return the length (fmt.h's
 * rules: up to 32 bytes of buf may be written). */
size_t fmt_time_ns(int64_t ns, int digits, char *buf, size_t len);
size_t fmt_dur_ns(uint64_t ns, int digits, char *buf, size_t len);
void fmt_human_dur(double sec, char *buf, size_t len);

#endif

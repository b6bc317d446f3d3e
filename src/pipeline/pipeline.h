/*
 * pipeline.h - the packet loops: records from the inputs, counted, filtered,
 * decoded, grouped (directly, or through the flow table) and added to their
 * groups' series, on one thread or as a two-stage pipeline (--threads).
 * docs/design.md describes the stages, who owns what, and why the output
 * does not depend on the thread count.
 *
 * The caller (cli/main.c) builds a struct run_ctx over the run's tables,
 * calls pipeline_run() once, and then reads the groups, the counters and
 * the flow table; the loops print nothing but the progress bar and the
 * first warning about each unsupported link type.
 */
#ifndef PCTS_PIPELINE_H
#define PCTS_PIPELINE_H

#include "../capture/filter.h"
#include "../capture/inputs.h"
#include "../decode/decode.h"
#include "../flow/flow.h"
#include "../group/frag.h"
#include "../group/group.h"
#include "../group/qdom.h"
#include "../names/domain.h"
#include "../names/nametab.h"
#include "../output/output.h"
#include "../stats/series.h"
#include "../util/u64set.h"

#include <stddef.h>
#include <stdint.h>

/* What the loops need of the run's options (cli/options.h). */
struct loop_opts {
    enum group_by group;
    enum series_kind series;
    unsigned threads;     /* 1: one thread; 2 or more: a loop's two stages on two */
    int threads_set;      /* --threads was given (else it is the usable CPUs) */
    int established_only; /* --established-only: failed TCP attempts are no events */
    int prefault;         /* with two threads, fault the main heap in ahead (util/prefault.h) */
};

/* Packets stamped before this (1971-01-01) came from a clock not set yet:
 * a device counting from boot stamps 1970-01-01 00:01:14 as readily as
 * 00:00:00 (a CTU capture is all such). */
#define PIPELINE_UNSET_CLOCK_NS (365ll * 86400 * 1000000000)

/* What the loop saw of the packets (the summary's figures). */
struct counters {
    uint64_t read, decoded, filtered;
    uint64_t untracked; /* decoded, but their group was past --max-groups */
    uint64_t unnamed; /* --group dns: queries whose registered domain the full name table refused */
    /* the flow loops: DNS queries of (group, domain) pairs past the count's
     * limit (qdom.h), and queries whose domain the name table refused */
    uint64_t qdom_dropped, qdom_unnamed;
    uint64_t qdom_domains; /* the registered domains those counts name */
    uint64_t backwards;    /* packets earlier than the packet before them */
    uint64_t max_back;     /* largest step back, ns */
    uint64_t zero_ts;      /* packets stamped before 1971 (PIPELINE_UNSET_CLOCK_NS) */
    int64_t prev_ts, min_ts, max_ts;
    uint64_t skip[DEC__COUNT];
    uint64_t anomaly[ANOM__COUNT];
};

/* What went wrong with the inputs (inputs_new's error callback, in
 * cli/main.c) and which unsupported link types were reported. */
struct run {
    int open_failed;        /* an input could not be read at all */
    int partial;            /* an input was damaged midway */
    uint32_t warned_lt[16]; /* link types warned about, with the input of each */
    const char *warned_in[16];
    size_t n_warned_lt;
};

/* The progress bar on stderr: on, drawn at most every 0.2 s after the
 * first 0.5 s, from the clock read every 64 Ki packets. */
struct progress {
    int on;
    double start, last_draw;
    int drawn;
};

/* A series event on its way to its group's series: the packet loops' logs
 * and loop_flows' batches carry them. */
struct sev {
    int64_t ts;
    uint32_t group;
    uint32_t size;
};

/* A log of series events, partitioned by group and drained into the series
 * when full (plog_drain). */
struct plog {
    struct sev *ev;
    uint32_t *vol; /* the events' volumes, with series_set_volumes (series.h), else NULL */
    size_t n;
    size_t groups; /* every event's group is below this */
    int last;      /* the input ended with this log */
};

/* The groups' series and packet counters while a packet loop runs (index =
 * group), apart from the groups, which the loop may move: the packet
 * series' draining side, and loop_flows' series stage; tmp is the packet
 * series' partition buffer. */
struct pdrain {
    struct series *ser; /* 64-byte aligned (series_array_reserve) */
    uint64_t *packets, *bytes;
    size_t n, cap;
    /* the arrays above, growing in place (xalloc.h) within room for max
     * groups (the group table's max_groups; 0: on the heap) */
    struct xres ser_r, packets_r, bytes_r;
    size_t max;
    struct sev *tmp;
    uint32_t *vtmp; /* the volumes' (struct plog.vol) */
};

struct fbatch;
struct quic_reasm;

/* Everything the packet loops share. */
struct run_ctx {
    const struct loop_opts *o;
    struct inputs *in;
    struct filter *flt;
    /* with flt in the flow loops: "port 53", for the DNS answers flt
     * leaves out, which still name destinations (flows_fill) */
    struct filter *names_flt;
    struct run *run;
    struct counters *cnt;
    struct progress *pg;
    struct frag_cache *frags;
    struct group_table *tab;
    struct flow_table *flows;
    struct flow_writer *fw; /* `pcts flows` */
    struct name_table *names;
    /* the DNS queries' registered domains (dns_top, qdom.h), a table apart
     * from names: a DGA's million domains had filled it, and the answers',
     * SNIs' and Hosts' names were lost (--group host keyed by address) */
    struct name_table *qnames;
    struct domains *domains; /* --group dns */
    struct u64set *dns_seen; /* --group dns: (group, name) pairs seen */
    int count_events;        /* the events are packets: count them per group in st */
    /* PCTS_PHASES: CPU seconds of the loop's second thread, and what it
     * ran ("reading": the main thread ran the other stage) */
    double cpu_second;
    const char *second_role;
    /*
     * What each stage of a threaded loop writes as it goes lies on cache
     * lines of its own: when the flow stage's log (written an event at a
     * time) shared a line with next_record's position (a record at a
     * time), every access of either thread fetched the line back from the
     * other core (perf: the reading stage's next_decoded 261 samples on
     * one thread, 409 on two).
     *
     * loop_flows' flow stage: where it puts the series events of the batch
     * it is consuming (NULL: to the series stage's log directly), and what
     * it counts (added to cnt when the loop ends: cnt is the reading
     * stage's).
     */
    _Alignas(64) struct fbatch *sev_to;
    uint64_t untracked;      /* packets or flows of groups past --max-groups */
    uint64_t skipped_failed; /* --established-only */
    struct qdom_counts qdom; /* DNS queries by group and registered domain (qdom.h) */
    /* loop_flows' series stage (see there; the flow stage's in the default
     * mode, the reading stage's in the packet series): the series it feeds,
     * by group index, moved into the groups when the loop ends */
    _Alignas(64) struct pdrain st;
    struct plog slog; /* the stage's events not yet in st (capacity slog_cap) */
    size_t slog_cap;
    /* the reading stage's: next_record's batch of records read ahead,
     * pq[pq_i..pq_n), and the link type of the last record */
    _Alignas(64) size_t pq_i;
    size_t pq_n;
    uint32_t last_lt;
    int last_lt_ok;
    struct quic_reasm *quic; /* split QUIC ClientHellos (quic.h), made at the first */
    struct tls_reasm *tls;   /* TLS ClientHellos over several segments (names.h), likewise */
    int tls_waiting;         /* tls has some: every TCP segment may continue one */
    /* the DNS queries' registered domains (domain.h), made at the first
     * query; qcache_off: no Public Suffix List, none counted */
    struct regdom_cache *qcache;
    int qcache_off;
    struct pkt pq[64];
};

/* For what the caller hands to a loop through struct run_ctx (counters,
 * tables, progress, options): each on cache lines of its own, since the two
 * stages of a threaded loop write different ones as they go, and one line
 * shared by a structure each stage writes costs a transfer between the
 * cores at every access (struct run_ctx). */
#define PIPELINE_OWN_LINES _Alignas(64)

/* Run the loop the options ask for over every input: the flow loop when
 * x->flows is set, the DNS query loop for --group dns, else the packet
 * series' pair loop.  The groups then hold their series. */
void pipeline_run(struct run_ctx *x);

/* The flow table's callbacks (flow_table_init, flows.exchange,
 * flows.ending, flows.opened), ctx being the struct run_ctx: a flow ended;
 * an exchange of a connectionless flow; a flow about to end (prefetches
 * only); a flow opened (its DNS name). */
void pipeline_flow_done(void *ctx, struct flow *f);
void pipeline_exchange(void *ctx, struct flow *f, int64_t start, uint64_t orig_bytes,
                       uint64_t resp_bytes);
void pipeline_flow_ending(void *ctx, const struct flow *f, int step);
void pipeline_flow_opened(void *ctx, struct flow *f);

#endif

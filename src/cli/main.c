/*
 * main.c - wires the layers together: options, inputs and tables, the
 * packet loop (pipeline/pipeline.h), then every group's statistics and
 * score, ranking, output, and the summary on stderr.
 *
 * This is the only file that sees every layer.
 */
#include "../capture/filter.h"
#include "../capture/inputs.h"
#include "../decode/decode.h"
#include "../decode/names.h"
#include "../flow/flow.h"
#include "../group/frag.h"
#include "../group/group.h"
#include "../names/domain.h"
#include "../names/nametab.h"
#include "../output/html.h"
#include "../output/outfile.h"
#include "../output/output.h"
#include "../pipeline/pipeline.h"
#include "../score/allow.h"
#include "../score/score.h"
#include "../stats/series.h"
#include "../util/clock.h"
#include "../util/err.h"
#include "../util/xalloc.h"
#include "hugepages.h"
#include "options.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <math.h>
#include <netinet/in.h> /* INET6_ADDRSTRLEN */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void on_input_error(void *ctx, const char *path, int rc, const char *msg, int midway)
{
    struct run *r = ctx;
    (void)path;
    (void)rc;
    if (midway) {
        r->partial = 1;
        warnx_("warning: %s; results cover the records before it", msg);
    } else {
        r->open_failed = 1;
        warnx_("%s", msg);
    }
}

/*
 * Groups are cheap (about 200 bytes for a one-packet group) but a capture of
 * spoofed sources can create one per packet.  By default pcts tracks as many
 * groups as fit in an eighth of physical memory at 1 KiB each (a generous
 * average, including exact interval buffers), so it degrades with a warning
 * instead of dying of out-of-memory.
 */
static size_t default_max_of(size_t bytes_each)
{
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || psize <= 0)
        return 4u << 20;
    uint64_t bytes = (uint64_t)pages * (uint64_t)psize;
    uint64_t n = bytes / 8 / bytes_each;
    return n < 65536 ? 65536 : (size_t)n;
}

static size_t default_max_groups(void)
{
    return default_max_of(1024);
}

/* --max-memory's default: half of physical memory for the series (flows
 * and groups have their own eighths, above). */
static uint64_t default_max_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || psize <= 0)
        return 4ull << 30;
    return (uint64_t)pages * (uint64_t)psize / 2;
}

/* Binary units, as --max-memory takes them: "64 MiB", "1.5 GiB". */
static void fmt_bytes_iec(uint64_t b, char *buf, size_t len)
{
    static const char *const unit[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    unsigned u = 0;
    double v = (double)b;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    if (v == floor(v))
        snprintf(buf, len, "%.0f %s", v, unit[u]);
    else
        snprintf(buf, len, "%.2f %s", v, unit[u]);
}

/* What --max-memory approximated, over the groups reported. */
static void budget_warnings(const struct options *o, const struct result *res, size_t n)
{
    struct series_budget_state bs;
    series_budget_get(&bs);
    if (!bs.stage)
        return;
    uint64_t early = 0, coarse = 0;
    uint32_t lo = UINT32_MAX, hi = 0;
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        const struct interval_stats *iv = &res[i].iv;
        if (!iv->early && !iv->coarse)
            continue;
        if (iv->early) {
            early++;
            lo = iv->exact_events < lo ? iv->exact_events : lo;
            hi = iv->exact_events > hi ? iv->exact_events : hi;
        }
        coarse += iv->coarse != 0;
        worst = iv->alpha > worst ? iv->alpha : worst;
    }
    char b[32], p[32];
    fmt_bytes_iec(bs.budget, b, sizeof(b));
    fmt_bytes_iec(bs.peak, p, sizeof(p));
    const char *dflt = o->max_memory ? "" : " (default: half of physical memory)";
    if (early || coarse) {
        fprintf(stderr, "pcts: warning: the series outgrew --max-memory %s%s:", b, dflt);
        if (early) {
            fprintf(stderr, " %llu groups switched to bounded summaries after ",
                    (unsigned long long)early);
            if (lo == hi)
                fprintf(stderr, "%u", lo);
            else
                fprintf(stderr, "%u to %u", lo, hi);
            fprintf(stderr, " events instead of %u (--exact-limit)%s", series_exact_cap(),
                    coarse ? ";" : "");
        }
        if (coarse)
            fprintf(stderr, " sketches coarsened to %u buckets for %llu groups", bs.stat_buckets,
                    (unsigned long long)coarse);
        fprintf(stderr,
                "; their median and MAD are approximate (interval_approx), the median within "
                "%.1f%% (docs/statistics.md); raise --max-memory for exact figures\n",
                worst * 100);
    }
    if (bs.over)
        fprintf(stderr,
                "pcts: warning: the series needed %s, more than --max-memory %s%s, even at "
                "their most compact (events are never dropped); raise --max-memory, or lower "
                "--max-groups or narrow the input with -f\n",
                p, b, dflt);
}

/*
 * A DNS beacon or tunnel through the local resolver is a client ->
 * resolver:53 group, and the context factor divides it by the resolver's
 * clients (docs/scoring.md, "Known limits": a generated tunnel ranked
 * #66-#91 of its day, #2 with --group dns).  When such a group is regular
 * before that factor, say so, and where to look.
 */
static void dns_resolver_note(const struct options *o, const struct result *res, size_t n)
{
    if (o->group == GROUP_DNS)
        return;
    const struct result *best = NULL;
    double best_pre = 0;
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        const struct result *r = &res[i];
        const struct group_key *k = r->key;
        if (k->dst_name || !k->has_port || k->dport != 53 || !r->sc.valid || !r->sc.repeats ||
            !(r->sc.context > 0) || r->sc.sources < 2)
            continue;
        double pre = r->sc.score / r->sc.context;
        if (pre < 0.5)
            continue;
        count++;
        if (pre > best_pre) {
            best_pre = pre;
            best = r;
        }
    }
    if (!best)
        return;
    char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
    int v6 = best->key->family == 6;
    fmt_addr(best->key, 0, src, sizeof(src));
    fmt_addr(best->key, 1, dst, sizeof(dst));
    char alike[40] = ""; /* counted for a group regular over enough beats (score.h) */
    if (best->sc.alike)
        snprintf(alike, sizeof(alike), ", %llu alike", (unsigned long long)best->sc.alike);
    char top[DNS_TEXT_MAX + 96]; /* its queries' domains (group/qdom.h) */
    result_dns_note(best, top, sizeof(top));
    fprintf(stderr,
            "pcts: note: %zu group%s to a DNS server other sources share %s regular (the most: "
            "%s -> %s%s%s:53, %.2f before its context factor x%.2f, %llu sources share it%s%s): "
            "--group dns ranks DNS beacons and tunnels through a resolver by client and "
            "registered domain, and names the domains\n",
            count, count == 1 ? "" : "s", count == 1 ? "is" : "are", src, v6 ? "[" : "", dst,
            v6 ? "]" : "", best_pre, best->sc.context, (unsigned long long)best->sc.sources, alike,
            top);
}

static void summary(const struct options *o, const struct inputs *in, const struct counters *c,
                    const struct group_table *t, const struct flow_table *ft,
                    const struct name_table *names, uint64_t skipped_failed, uint64_t flow_rows,
                    double elapsed, const struct result *res, size_t n, int quiet)
{
    /* quiet (-q): the warnings only, not the counts and notes */
    size_t groups = t->n;
    uint64_t skipped = c->filtered;
    for (int i = 1; i < DEC__COUNT; i++)
        skipped += c->skip[i];
    size_t nfiles = inputs_count(in);
    if (!quiet) {
        fprintf(stderr, "pcts: %zu file%s", nfiles, nfiles == 1 ? "" : "s");
        const char *sep = " (";
        for (size_t i = 0; i < nfiles && i < 8; i++) {
            const char *path;
            const char *fmt = inputs_format(in, i, &path);
            fprintf(stderr, "%s%s", sep, fmt ? fmt : "unreadable");
            sep = ", ";
        }
    }
    if (!quiet)
        fprintf(stderr,
                "%s: %llu packets read, %llu decoded, %llu skipped (%llu non-IP, %llu "
                "truncated, %llu bad header, %llu unsupported link type, %llu filtered)\n",
                nfiles > 8 ? ", ...)" : ")", (unsigned long long)c->read,
                (unsigned long long)c->decoded, (unsigned long long)skipped,
                (unsigned long long)c->skip[DEC_NONIP], (unsigned long long)c->skip[DEC_TRUNCATED],
                (unsigned long long)c->skip[DEC_BADHDR], (unsigned long long)c->skip[DEC_LINKTYPE],
                (unsigned long long)c->filtered);
    static const char *const gname[] = {"ip", "port", "service", "host", "dns"};
    if (ft && !quiet)
        fprintf(stderr, "pcts: %llu flows (at most %llu active at once)%s\n",
                (unsigned long long)ft->flows_total, (unsigned long long)ft->peak_live,
                skipped_failed ? "" : "");
    if (skipped_failed && !quiet)
        fprintf(stderr, "pcts: %llu failed TCP attempts left out (--established-only)\n",
                (unsigned long long)skipped_failed);
    /* the table's names: DNS answers', SNIs and Hosts; the DNS queries'
     * registered domains (dns_top) are in a table of their own */
    if (names->n > 1 && !quiet)
        fprintf(stderr, "pcts: %u names learned (%llu address mappings from DNS answers)\n",
                names->n - 1, (unsigned long long)names->learned);
    if (c->qdom_domains && !quiet)
        fprintf(stderr, "pcts: %llu registered domains asked for in DNS queries (dns_top)\n",
                (unsigned long long)c->qdom_domains);
    /* --group dns: a full table is its groups' limit, warned about below */
    if ((names->dropped_names && o->group != GROUP_DNS) || names->dropped_maps)
        fprintf(stderr,
                "pcts: warning: %s%s%s: some destinations keep their address instead of a "
                "name\n",
                names->dropped_names ? "the name table was full, later names were dropped" : "",
                names->dropped_names && names->dropped_maps ? "; " : "",
                names->dropped_maps ? "the address map was full, later mappings were dropped" : "");
    if (names->dropped_pairs)
        fprintf(stderr,
                "pcts: warning: %llu (address, name) pairs from DNS answers were past the table's "
                "limit: an --allow name rule is not confirmed by them\n",
                (unsigned long long)names->dropped_pairs);
    if (ft && (ft->stray || ft->clock_back || ft->stray_events)) {
        char d[32];
        fmt_human_dur((double)ft->jump * 1e-9, d, sizeof(d));
        if (ft->stray)
            fprintf(stderr,
                    "pcts: warning: %llu packets were stamped more than %s away from the "
                    "packets around them: taken as stray timestamps, they did not move the "
                    "flows' clock (their flows end at the next packet)\n",
                    (unsigned long long)ft->stray, d);
        if (ft->stray_events)
            fprintf(stderr,
                    "pcts: warning: %llu connections or exchanges began with a stray timestamp "
                    "more than a day outside the capture's span: their packets count, but "
                    "they add no event to their groups' series\n",
                    (unsigned long long)ft->stray_events);
        if (ft->clock_back)
            fprintf(stderr,
                    "pcts: warning: the capture's time went back by more than %s (%llu times; "
                    "a clock stepped back?): flows were split there\n",
                    d, (unsigned long long)ft->clock_back);
    }
    if (ft && ft->tails && !o->list_flows && o->series == SERIES_FLOWS && !quiet) {
        char tcp_to[32];
        fmt_human_dur((double)ft->tcp_timeout * 1e-9, tcp_to, sizeof(tcp_to));
        fprintf(stderr,
                "pcts: note: %llu TCP flows began with no new SYN within %s of a "
                "connection of theirs closing (its end, retransmitted): their packets count, "
                "but they are no connection\n",
                (unsigned long long)ft->tails, tcp_to);
    }
    if (ft && ft->evicted)
        fprintf(stderr,
                "pcts: warning: the flow limit (--max-flows %zu) was reached: %llu "
                "flows were ended early to make room (many distinct 5-tuples: spoofed "
                "sources or a scan?); their later packets start new flows\n",
                ft->max_live, (unsigned long long)ft->evicted);
    if (!quiet && o->list_flows)
        fprintf(stderr, "pcts: %llu flows listed in %.3f s (%.2f M packets/s)\n",
                (unsigned long long)flow_rows, elapsed,
                elapsed > 0 ? (double)c->read / elapsed / 1e6 : 0.0);
    else if (!quiet) {
        /* n: the groups ranked (--allow-mode drop left the others out); the
         * output has the first --top of them */
        size_t shown = o->top && o->top < n ? o->top : n;
        char dropped[64] = "";
        if (groups > n)
            snprintf(dropped, sizeof(dropped), " (%zu dropped by --allow)", groups - n);
        fprintf(stderr,
                "pcts: %zu groups (--group %s --series %s), %zu shown%s, in %.3f s (%.2f M "
                "packets/s)\n",
                groups, gname[o->group], o->series == SERIES_FLOWS ? "flows" : "packets", shown,
                dropped, elapsed, elapsed > 0 ? (double)c->read / elapsed / 1e6 : 0.0);
    }
    for (unsigned i = 0; i < ANOM__COUNT; i++)
        if (c->anomaly[i] && !quiet)
            fprintf(stderr, "pcts: note: %llu decoded packets: %s (counted for their IP pair)\n",
                    (unsigned long long)c->anomaly[i], dec_anomaly_name(i));
    if (inputs_duplicates(in))
        fprintf(stderr,
                "pcts: warning: at least %llu records are in two inputs at once, with the same "
                "time and "
                "bytes (the same capture given twice, plain and compressed? or one frame seen "
                "on two interfaces): each counts twice\n",
                (unsigned long long)inputs_duplicates(in));
    const struct reader_notes *rn = inputs_notes(in);
    if (rn->spb_no_timestamp && !quiet)
        fprintf(stderr,
                "pcts: note: %llu pcapng simple packet blocks ignored (they carry no "
                "timestamp)\n",
                (unsigned long long)rn->spb_no_timestamp);
    if (rn->bad_ts_fraction && !quiet)
        fprintf(stderr,
                "pcts: note: %llu records have a sub-second timestamp field out of "
                "range (used as written)\n",
                (unsigned long long)rn->bad_ts_fraction);
    if (rn->ts_overflow && !quiet)
        fprintf(stderr, "pcts: note: %llu pcapng timestamps beyond year 2262 were clamped\n",
                (unsigned long long)rn->ts_overflow);
    if (rn->reserved_linktype_bits && !quiet)
        fprintf(stderr,
                "pcts: note: %llu pcap files have reserved bits set in their link type "
                "field; the low 16 bits were used\n",
                (unsigned long long)rn->reserved_linktype_bits);
    if (rn->caplen_over_snaplen && !quiet)
        fprintf(stderr, "pcts: note: %llu records are longer than their file's snapshot length\n",
                (unsigned long long)rn->caplen_over_snaplen);
    if (c->backwards) {
        char d[32];
        fmt_human_dur((double)c->max_back * 1e-9, d, sizeof(d));
        fprintf(stderr,
                "pcts: warning: %llu packets are earlier than the packet before them (by "
                "up to %s); each group's times are sorted (exactly up to --exact-limit "
                "events, then within a %d-packet window)\n",
                (unsigned long long)c->backwards, d, SERIES_REORDER);
    }
    if (c->zero_ts)
        fprintf(stderr,
                "pcts: warning: %llu packets are stamped before 1971-01-01 (was the "
                "capturing clock set?)\n",
                (unsigned long long)c->zero_ts);
    if (!quiet && c->read > 1 && c->max_ts > c->min_ts &&
        (uint64_t)c->max_ts - (uint64_t)c->min_ts > 366ull * 86400 * 1000000000) {
        char d[32];
        fmt_human_dur((double)((uint64_t)c->max_ts - (uint64_t)c->min_ts) * 1e-9, d, sizeof(d));
        fprintf(stderr,
                "pcts: note: the packets span %s: merged captures or a clock that jumped? "
                "intervals across the gap are real gaps to pcts\n",
                d);
    }
    if (!quiet && c->read > 1 && c->max_ts == c->min_ts)
        fprintf(stderr, "pcts: note: every packet has the same timestamp: all intervals are 0\n");
    if (c->untracked)
        fprintf(stderr,
                "pcts: warning: the group limit (--max-groups %zu) was reached: %llu "
                "decoded packets of further groups were counted but not grouped (many "
                "distinct addresses: spoofed sources or a scan?); raise --max-groups or "
                "narrow the input with -f\n",
                t->max_groups, (unsigned long long)c->untracked);
    if (c->unnamed)
        fprintf(stderr,
                "pcts: warning: the name table was full: %llu DNS queries to further "
                "registered domains were counted but not grouped; narrow the input with -f\n",
                (unsigned long long)c->unnamed);
    if (c->qdom_dropped || c->qdom_unnamed)
        fprintf(stderr,
                "pcts: warning: %llu DNS queries were counted in their groups' dns_queries "
                "but not by domain (%llu past %zu group and domain pairs, %llu with the "
                "domains' name table full): dns_top may miss or undercount domains; narrow the "
                "input with -f\n",
                (unsigned long long)(c->qdom_dropped + c->qdom_unnamed),
                (unsigned long long)c->qdom_dropped, (size_t)QDOM_MAX_PAIRS,
                (unsigned long long)c->qdom_unnamed);
    uint64_t late = 0, approx = 0;
    for (size_t i = 0; i < n; i++) {
        late += res[i].iv.late;
        approx += res[i].iv.approx != 0;
    }
    for (size_t i = 0; i < n; i++)
        approx -= res[i].iv.early != 0; /* budget_warnings() says why */
    if (approx && !quiet)
        fprintf(stderr,
                "pcts: note: %llu groups went past --exact-limit (%u events): their median "
                "and MAD come from a bounded sketch (docs/statistics.md)\n",
                (unsigned long long)approx, series_exact_cap());
    if (!quiet)
        dns_resolver_note(o, res, n);
    budget_warnings(o, res, n);
    size_t weak = 0;
    for (size_t i = 0; i < n; i++)
        weak += res[i].allow && res[i].allow_weak;
    if (weak && (o->allow_mode == ALLOW_DROP || !quiet))
        fprintf(stderr,
                "pcts: %s: %zu groups match an --allow name rule only by the TLS SNI or HTTP "
                "Host their sender wrote, which no DNS answer in the capture confirms: %s, "
                "marked '?' (allow_confirmed false)\n",
                o->allow_mode == ALLOW_DROP ? "warning" : "note", weak,
                o->allow_mode == ALLOW_DROP ? "kept" : "look at them");
    if (late)
        fprintf(stderr,
                "pcts: warning: %llu events arrived more than %d events of their group "
                "out of order once their group kept a bounded summary (past --exact-limit, or "
                "switched by --max-memory); they add no interval (late_packets)%s\n",
                (unsigned long long)late, SERIES_REORDER,
                o->series == SERIES_FLOWS ? ": a connection is an event when it ends, so one "
                                            "that outlasts 63 later ones of its group is late"
                                          : "");
}

/* --html: the report, with pictures of the first o->html_top rows. */
/* ---- end of run ------------------------------------------------------------- */

/*
 * Statistics and score of every group: independent per group, so they run
 * on --threads threads taking chunks of groups from a shared counter.  Each
 * result is computed by exactly the same code whichever thread takes it, so
 * the output does not depend on the thread count.  This was a third of a
 * --series packets run (sorting and selecting every group's intervals).
 */
struct finish_job {
    struct result *res;
    size_t n;
    const struct score_context *sctx;
    unsigned min_events;
    int dns; /* --group dns: the subdomain figures for the reason */
    /* Every group has its result, the i-th the i-th group's, filled by the
     * workers (result_fill), when groups is set; else res[] is filled. */
    struct group *groups;
    const struct name_table *names, *qnames;
    atomic_size_t next;
};

enum { FINISH_CHUNK = 64 };

/* A group's own figures into its result, zeroed first (where it is filled:
 * its first touch); the statistics are finish_one's, the --allow verdict
 * the caller's. */
static void result_fill(struct result *r, struct group *g, const struct name_table *names,
                        const struct name_table *qnames, int dns)
{
    memset(r, 0, sizeof(*r));
    r->key = &g->key;
    r->host = names_str(names, g->host);
    r->packets = g->packets;
    r->bytes = g->bytes;
    r->events = g->s.n;
    r->flows = g->flows;
    r->failed = g->failed;
    r->first = g->s.first;
    r->last = g->s.last;
    if (!dns && g->dns_queries) {
        r->dns_queries = g->dns_queries;
        r->dns_top = names_str(qnames, g->dns_top);
        r->dns_top_queries = r->dns_top ? g->dns_top_queries : 0;
        r->dns_domains = r->dns_top ? g->dns_domains : 0;
    }
}

static void finish_one(const struct finish_job *j, size_t i)
{
    struct result *r = &j->res[i];
    if (j->groups)
        result_fill(r, &j->groups[i], j->names, j->qnames, j->dns);
    struct group *g = (struct group *)r->key; /* the key is the group's first member */
    series_finish(&g->s, &r->iv);
    struct series_features feat = {0};
    feat.events = g->s.n; /* too few to score: no features needed */
    if (g->s.n >= j->min_events)
        series_features(&g->s, &feat);
    score_compute(j->sctx, &feat, &r->sc);
    r->sc.conns = g->flows; /* the connection series' (put_events) */
    series_features_release(&feat);
    if (j->dns && g->dns_subdomains) {
        r->dns_names = g->dns_subdomains;
        r->dns_label_mean = g->dns_label_sum / g->dns_subdomains;
        r->dns_bits_mean = g->dns_entropy_sum / g->dns_subdomains;
    }
}

static void *finish_worker(void *arg)
{
    struct finish_job *j = arg;
    for (;;) {
        size_t i = atomic_fetch_add_explicit(&j->next, FINISH_CHUNK, memory_order_relaxed);
        if (i >= j->n)
            break;
        size_t end = j->n - i < FINISH_CHUNK ? j->n : i + FINISH_CHUNK;
        for (; i < end; i++)
            finish_one(j, i);
    }
    return NULL;
}

static void finish_all(struct finish_job *j, unsigned threads)
{
    enum { MAX_WORKERS = 64 };
    pthread_t tid[MAX_WORKERS];
    unsigned started = 0;
    if (threads > MAX_WORKERS + 1)
        threads = MAX_WORKERS + 1;
    /* extra threads only pay off past a few chunks */
    for (unsigned t = 1; t < threads && j->n > 4 * FINISH_CHUNK; t++) {
        if (pthread_create(&tid[started], NULL, finish_worker, j))
            break; /* fewer threads: the work still gets done below */
        started++;
    }
    finish_worker(j);
    for (unsigned t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
}

static int write_report(FILE *f, const struct options *o, const struct inputs *in,
                        const struct counters *c, const struct group_table *tab,
                        const struct result *res, const uint32_t *order, size_t nres,
                        const struct output_opts *oo, int argc, char **argv, char *msg)
{
    static const char *const gname[] = {"ip", "port", "service", "host", "dns"};
    size_t nf = inputs_count(in);
    const char **files = xcalloc(nf ? nf : 1, sizeof(*files));
    const char **formats = xcalloc(nf ? nf : 1, sizeof(*formats));
    for (size_t i = 0; i < nf; i++)
        formats[i] = inputs_format(in, i, &files[i]);
    /* the command line as a shell would need it: words with spaces or
     * quotes in single quotes */
    char cmd[2048];
    size_t cl = 0;
    cmd[0] = '\0';
    for (int i = 0; i < argc && cl + 8 < sizeof(cmd); i++) {
        const char *a = argv[i];
        int quote = !*a || strpbrk(a, " \t'\"\\$`*?;&|<>()") != NULL;
        if (i)
            cmd[cl++] = ' ';
        if (quote)
            cmd[cl++] = '\'';
        for (; *a && cl + 6 < sizeof(cmd); a++) {
            if (*a == '\'' && quote) { /* close, escaped quote, reopen */
                memcpy(cmd + cl, "'\\''", 4);
                cl += 4;
            } else {
                cmd[cl++] = *a;
            }
        }
        if (quote)
            cmd[cl++] = '\'';
        cmd[cl] = '\0';
    }
    uint64_t skipped = c->filtered;
    for (int i = 1; i < DEC__COUNT; i++)
        skipped += c->skip[i];
    struct html_info info = {files,
                             nf,
                             formats,
                             c->min_ts,
                             c->max_ts,
                             c->read,
                             c->decoded,
                             skipped,
                             c->filtered,
                             c->skip[DEC_NONIP],
                             c->skip[DEC_TRUNCATED],
                             c->skip[DEC_BADHDR],
                             c->skip[DEC_LINKTYPE],
                             tab->n,
                             gname[o->group],
                             o->group == GROUP_DNS       ? "dns queries"
                             : o->series == SERIES_FLOWS ? "flows"
                                                         : "packets",
                             PCTS_VERSION_STRING,
                             cmd};
    size_t ntop = o->html_top < nres ? o->html_top : nres;
    struct html_group *top = xcalloc(ntop ? ntop : 1, sizeof(*top));
    struct wval **ivs = xcalloc(ntop ? ntop : 1, sizeof(*ivs));
    for (size_t i = 0; i < ntop; i++) {
        const struct result *r = &res[order[i]];
        const struct group *g = (const struct group *)r->key; /* key is its first member */
        top[i].r = r;
        top[i].n = series_events(&g->s, &top[i].ts, &top[i].sz, &top[i].sampled);
        ivs[i] = series_intervals(&g->s, &top[i].n_iv);
        top[i].iv = ivs[i];
    }
    int rc = html_write(f, o->html, &info, oo, res, order, nres, top, ntop, msg);
    for (size_t i = 0; i < ntop; i++)
        free(ivs[i]);
    free(ivs);
    free(top);
    free(files);
    free(formats);
    return rc;
}

/* Captures that overlap in time are all open at once while their packets
 * are merged (capture/inputs.c): lift the soft limit on open files to the
 * hard one when the inputs could need it (a fleet's per-host captures run
 * to thousands; the usual soft limit is 1 024).  Failing leaves the limit
 * as it was: an input past it is then reported with what to do. */
static void open_files_for(size_t n_inputs)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY ||
        (rlim_t)n_inputs + 64 <= rl.rlim_cur || rl.rlim_cur >= rl.rlim_max)
        return;
    rl.rlim_cur = rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
}

/* Whether a and b name the same existing file or directory. */
static int same_inode(const char *a, const char *b)
{
    struct stat sa, sb;
    return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Whether the output a is the regular file of input b ("-": standard
 * input, when it is redirected from a file). */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    int rb = strcmp(b, "-") ? stat(b, &sb) : fstat(STDIN_FILENO, &sb);
    return !stat(a, &sa) && !rb && S_ISREG(sa.st_mode) && S_ISREG(sb.st_mode) &&
           sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Whether a and b name the same file, existing or not: the same file, or
 * the same name in the same directory ("r.json" and "./r.json"). */
static int same_path(const char *a, const char *b)
{
    if (same_inode(a, b))
        return 1;
    const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
    const char *na = sa ? sa + 1 : a, *nb = sb ? sb + 1 : b;
    if (strcmp(na, nb))
        return 0;
    char da[4096], db[4096];
    int la = sa ? (sa == a ? 1 : (int)(sa - a)) : 1, lb = sb ? (sb == b ? 1 : (int)(sb - b)) : 1;
    snprintf(da, sizeof(da), "%.*s", la, sa ? a : ".");
    snprintf(db, sizeof(db), "%.*s", lb, sb ? b : ".");
    return same_inode(da, db);
}

/* -o or --html naming one of the inputs (a capture about to be read, which
 * the output would empty first), or each other: a usage error. */
static int clobber_check(const struct options *o, char *msg)
{
    const char *outs[2] = {o->output && strcmp(o->output, "-") ? o->output : NULL, o->html};
    const char *what[2] = {"output", "--html report"};
    for (int k = 0; k < 2; k++) {
        if (!outs[k])
            continue;
        for (size_t i = 0; i < o->n_inputs; i++)
            if (same_file(outs[k], o->inputs[i])) {
                errmsg_set(msg,
                           "the %s '%s' is the input '%s': refusing to write over a capture "
                           "(give another file name)",
                           what[k], outs[k],
                           strcmp(o->inputs[i], "-") ? o->inputs[i] : "(standard input)");
                return ERR_USAGE;
            }
    }
    if (outs[0] && outs[1] && same_path(outs[0], outs[1])) {
        errmsg_set(msg, "-o and --html name the same file '%s': give each its own", outs[1]);
        return ERR_USAGE;
    }
    return 0;
}

struct input_id {
    dev_t dev;
    ino_t ino;
    size_t i;
};

static int cmp_input_id(const void *pa, const void *pb)
{
    const struct input_id *a = pa, *b = pb;
    if (a->dev != b->dev)
        return a->dev < b->dev ? -1 : 1;
    if (a->ino != b->ino)
        return a->ino < b->ino ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

/* One capture named twice (the same name, ./x, a link, or "-" redirected
 * from it) would have every packet counted twice, with intervals of 0
 * between the copies: a usage error.  Regular files only (a FIFO or a
 * terminal cannot be read twice anyway); sorted, for thousands of inputs. */
static int duplicate_check(const struct options *o, char *msg)
{
    struct input_id *id = xmalloc(st_mult(o->n_inputs ? o->n_inputs : 1, sizeof(*id)));
    size_t n = 0;
    for (size_t i = 0; i < o->n_inputs; i++) {
        struct stat st;
        int r = strcmp(o->inputs[i], "-") ? stat(o->inputs[i], &st) : fstat(STDIN_FILENO, &st);
        if (!r && S_ISREG(st.st_mode))
            id[n++] = (struct input_id){st.st_dev, st.st_ino, i};
    }
    qsort(id, n, sizeof(*id), cmp_input_id);
    int rc = 0;
    for (size_t k = 1; k < n && !rc; k++)
        if (id[k].dev == id[k - 1].dev && id[k].ino == id[k - 1].ino) {
            const char *a = o->inputs[id[k - 1].i], *b = o->inputs[id[k].i];
            errmsg_set(msg,
                       "the input '%s' is also given as '%s': its packets would be counted "
                       "twice (give each capture once)",
                       strcmp(a, "-") ? a : "(standard input)",
                       strcmp(b, "-") ? b : "(standard input)");
            rc = ERR_USAGE;
        }
    free(id);
    return rc;
}

int main(int argc, char **argv)
{
    struct options o;
    char msg[ERRMSG_MAX];
    int rc = options_parse(&o, argc, argv, msg);
    if (rc == 1) {
        options_release(&o);
        return EXIT_OK;
    }
    if (rc) {
        warnx_("%s (see pcts --help)", msg);
        options_release(&o);
        return EXIT_USAGE;
    }
    /* before anything is opened or read: it may start pcts again */
    hugepages_reexec(argv, o.inputs, o.n_inputs);
    xalloc_huge_pages(hugepages_effective()); /* big arrays grow onto huge pages (xalloc.c) */
    open_files_for(o.n_inputs);

    if (o.exact_limit)
        series_set_exact_cap(o.exact_limit);
    series_set_budget(o.max_memory ? o.max_memory : default_max_memory());
    /* connection series: each event also keeps what the connection moved
     * both ways, for the transfer penalty's median beat (series.h) */
    series_set_volumes(o.series == SERIES_FLOWS && o.group != GROUP_DNS && !o.list_flows);
    struct filter *flt = NULL, *names_flt = NULL;
    if (o.filter && filter_new(&flt, o.filter, msg)) {
        warnx_("%s", msg);
        options_release(&o);
        return EXIT_USAGE;
    }
    /* the DNS answers the filter leaves out still name destinations
     * (pipeline.c: learn_filtered); names only matter to the flow loops */
    if (flt && !o.list_flows && o.group != GROUP_DNS && filter_new(&names_flt, "port 53", msg))
        names_flt = NULL; /* cannot happen: a fixed expression libpcap compiles */
    struct allow_list *allow = NULL;
    if (o.n_allow && allow_load(&allow, o.allow, o.n_allow, msg)) {
        warnx_("%s", msg);
        filter_free(flt);
        filter_free(names_flt);
        options_release(&o);
        return EXIT_USAGE;
    }

    struct domains *domains = NULL; /* --group dns: the public suffix list */
    if (o.group == GROUP_DNS && !o.list_flows && domains_open(&domains, msg)) {
        warnx_("%s", msg);
        filter_free(flt);
        filter_free(names_flt);
        allow_free(allow);
        options_release(&o);
        return EXIT_USAGE;
    }

    /* Never write over a capture being read, nor -o and --html over each
     * other; never read one capture twice. */
    if (clobber_check(&o, msg) || duplicate_check(&o, msg)) {
        warnx_("%s", msg);
        domains_free(domains);
        filter_free(flt);
        filter_free(names_flt);
        allow_free(allow);
        options_release(&o);
        return EXIT_USAGE;
    }
    /* Open the outputs first: a typo in -o or --html should not cost a long
     * read.  A regular file is written beside itself and put in place
     * whole at the end (output/outfile.h): a run whose inputs all fail, or
     * whose writing fails, leaves an earlier file as it was. */
    FILE *out = stdout;
    struct outfile of = {0}, hf = {0};
    int use_of = o.output && strcmp(o.output, "-");
    if ((use_of && outfile_open(&of, o.output, "output", msg)) ||
        (o.html && outfile_open(&hf, o.html, "report", msg))) {
        warnx_("%s", msg);
        if (of.f)
            outfile_abort(&of);
        domains_free(domains);
        filter_free(flt);
        filter_free(names_flt);
        allow_free(allow);
        options_release(&o);
        return EXIT_INPUT;
    }
    if (use_of)
        out = of.f;
    static char outbuf[1 << 16];
    setvbuf(out, outbuf, _IOFBF, sizeof(outbuf));
    const char *out_name = o.output ? o.output : "(standard output)";

    uint64_t seed;
    if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
        seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);

    PIPELINE_OWN_LINES struct run run = {0};
    PIPELINE_OWN_LINES struct counters cnt = {0};
    cnt.prev_ts = INT64_MIN;
    cnt.min_ts = INT64_MAX;
    cnt.max_ts = INT64_MIN;
    PIPELINE_OWN_LINES struct group_table tab;
    group_table_init(&tab, o.group, seed);
    tab.max_groups = o.max_groups ? o.max_groups : default_max_groups();
    PIPELINE_OWN_LINES struct frag_cache frags;
    frag_cache_init(&frags, seed);
    PIPELINE_OWN_LINES struct progress pg = {0};
    pg.on = !o.quiet && (o.progress == 1 || (o.progress == -1 && isatty(STDERR_FILENO)));
    pg.start = now_s();

    PIPELINE_OWN_LINES struct name_table names;
    names_init(&names, seed);
    /* the DNS queries' registered domains (pipeline.h: run_ctx.qnames) */
    PIPELINE_OWN_LINES struct name_table qnames;
    names_init(&qnames, seed ^ 0x71d0u);
    PIPELINE_OWN_LINES struct u64set dns_seen;
    u64set_init(&dns_seen, 1u << 22);
    struct inputs *in = inputs_new(o.inputs, o.n_inputs, on_input_error, &run);
    /* the main heap faulted in ahead (util/prefault.h): a big input (the
     * heap on huge pages says so), and series to grow (not the flow list) */
    PIPELINE_OWN_LINES struct loop_opts lo = {
        o.group,       o.series,           o.threads,
        o.threads_set, o.established_only, hugepages_effective() && !o.list_flows};
    struct run_ctx x = {.o = &lo,
                        .in = in,
                        .flt = flt,
                        .names_flt = names_flt,
                        .run = &run,
                        .cnt = &cnt,
                        .pg = &pg,
                        .frags = &frags,
                        .tab = &tab,
                        .names = &names,
                        .qnames = &qnames,
                        .domains = domains,
                        .dns_seen = &dns_seen,
                        .last_lt = UINT32_MAX};
    PIPELINE_OWN_LINES struct flow_table flows;
    PIPELINE_OWN_LINES struct flow_writer fw = {out, o.format, inputs_ts_digits(in), 0};
    int use_flows = !(o.group == GROUP_DNS && !o.list_flows) &&
                    (o.list_flows || o.series == SERIES_FLOWS || o.group == GROUP_SERVICE ||
                     o.group == GROUP_HOST);
    if (use_flows) {
        flow_table_init(&flows, seed, (int64_t)(o.tcp_timeout * 1e9),
                        (int64_t)(o.udp_timeout * 1e9), pipeline_flow_done, &x);
        flows.exchange = pipeline_exchange;
        flows.ending = pipeline_flow_ending;
        /* a flow is about 200 bytes with its index slots; 2 KiB leaves room
         * for the groups the flows feed */
        flows.max_live = o.max_flows ? o.max_flows : default_max_of(2048);
        x.flows = &flows;
    }
    /* with no input opened at all, nothing is written: an earlier -o file
     * stays as it was, and the exit status says why */
    int readable = inputs_readable(in) > 0, out_failed = 0;
    if (o.list_flows) {
        x.fw = &fw;
        if (readable && use_of && outfile_start(&of, msg)) {
            warnx_("%s", msg); /* exit status 1; the file, written in place, is not emptied */
            out_failed = 1;
        }
        if (readable)
            flow_writer_begin(&fw);
    }
    /* PCTS_PHASES=1: seconds spent reading, scoring and writing, on stderr
     * (docs/performance.md); off the packet loop, so free. */
    int phases = getenv("PCTS_PHASES") != NULL;
    double t_start = phases ? now_s() : 0, t_loop = 0, t_finish = 0;
    double cpu_start = phases ? thread_cpu_s() : 0, cpu_loop = 0;
    pipeline_run(&x);
    if (phases) {
        t_loop = now_s();
        cpu_loop = thread_cpu_s() - cpu_start;
    }
    if (pg.drawn) {
        fputs("\r\033[K", stderr);
        warn_bar_drawn(0);
    }

    int status = out_failed ? EXIT_INPUT : EXIT_OK;
    size_t nres = 0;
    struct result *res = NULL;
    if (o.list_flows) {
        if (flow_writer_end(&fw, out_name, msg)) {
            warnx_("%s", msg);
            status = EXIT_INPUT;
            out_failed = 1;
        }
    } else {
        /* The capture's span for coverage and the report's time axis: a
         * stray timestamp (flow.h) is left out of it in the flow modes, or
         * one packet stamped in 2061 shrank every group's coverage to 0%. */
        struct counters span = cnt;
        if (use_flows && flows.stray && flows.in_first <= flows.in_last) {
            span.min_ts = flows.in_first;
            span.max_ts = flows.in_last;
        }
        struct score_context sctx = {span.min_ts, span.max_ts, o.min_events,
                                     o.group == GROUP_DNS       ? "query"
                                     : o.series == SERIES_FLOWS ? "conn"
                                                                : "pkt"};
        /* each result zeroed where it is filled: xmalloc puts the array on
         * huge pages whole (xalloc.c), and its first touches are the
         * workers', in parallel */
        res = xmalloc(st_mult(tab.n ? tab.n : 1, sizeof(*res)));
        struct finish_job fj = {res,    0,       &sctx, o.min_events, o.group == GROUP_DNS, NULL,
                                &names, &qnames, 0};
        if (!allow) {
            /* Filled by the workers as they score: a result is 424 bytes, and
             * filling them here was the first touch of every page of the
             * array on one thread (1 M groups: 0.7 s of faults on this
             * machine's VM, 21 ms of copying; section "Memory" of
             * docs/performance.md). */
            fj.groups = tab.g;
            nres = tab.n;
        }
        for (size_t i = 0; allow && i < tab.n; i++) {
            struct group *g = &tab.g[i];
            struct result *r = &res[nres];
            result_fill(r, g, &names, &qnames, o.group == GROUP_DNS);
            /* the name a DNS answer gave the destination confirms a
             * name rule; an SNI or Host alone is the sender's word
             * (allow.h): the group's name when some DNS answer gave
             * it the destination, else the name the latest did.  A
             * name destination (--group host) is confirmed when DNS
             * answers gave every flow's responder that name; --group
             * dns's names are the queries themselves. */
            const char *dns_host = NULL;
            if (o.group == GROUP_DNS)
                dns_host = r->host;
            else if (g->key.dst_name)
                dns_host = g->host_weak ? NULL : r->host; /* pipeline.c: host_confirm */
            else if (names_confirms(&names, g->key.family, g->key.dst, g->host, INT64_MAX))
                dns_host = r->host; /* a CDN's address has many names */
            else if (names.learned)
                dns_host =
                    names_str(&names, names_lookup(&names, g->key.family, g->key.src, g->key.dst));
            r->allow = allow_match(allow, &g->key, r->host, dns_host, &r->allow_weak);
            if (r->allow && !r->allow_weak && o.allow_mode == ALLOW_DROP)
                continue; /* its slot is the next kept group's */
            nres++;
        }
        fj.n = nres;
        finish_all(&fj, o.threads);
        if (phases)
            t_finish = now_s();
        struct score_item *items = xcalloc(nres ? nres : 1, sizeof(*items));
        for (size_t i = 0; i < nres; i++) {
            items[i].key = res[i].key;
            items[i].sc = &res[i].sc;
        }
        score_apply_context(items, nres, seed);
        free(items);
        /* ranked through an order: moving the results (then 544 bytes each)
         * into it took 0.29-0.34 s for 1 M groups */
        uint32_t *order = results_order_threads(res, nres, o.sort, (int)o.threads);
        double t_ranked = phases ? now_s() : 0;
        struct output_opts oo = {
            o.format, o.group,   o.series == SERIES_FLOWS || o.group == GROUP_DNS,
            o.sort,   o.top,     inputs_ts_digits(in),
            o.color,  o.threads, dns_seen.full,
            NULL};
        /* Sparklines for the rows a table shows, in their order. */
        char(*spark)[SPARK_MAX] = NULL;
        if (o.format == OUT_TABLE) {
            size_t shown = o.top && o.top < nres ? o.top : nres;
            spark = xmalloc(st_mult(shown ? shown : 1, sizeof(*spark)));
            for (size_t i = 0; i < shown; i++) {
                const struct result *r = &res[order[i]];
                size_t niv;
                struct wval *iv = series_intervals(&((const struct group *)r->key)->s, &niv);
                sparkline(iv, niv, spark[i], sizeof(spark[i]));
                free(iv);
            }
            oo.spark = (const char(*)[SPARK_MAX])spark;
        }
        if (readable && o.html) {
            if (write_report(hf.f, &o, in, &span, &tab, res, order, nres, &oo, argc, argv, msg) ||
                outfile_commit(&hf, msg)) {
                warnx_("%s", msg);
                status = EXIT_INPUT;
            }
        }
        if (readable && use_of && outfile_start(&of, msg)) {
            warnx_("%s", msg);
            status = EXIT_INPUT;
        } else if (readable && output_write(out, out_name, &oo, res, order, nres, msg)) {
            warnx_("%s", msg);
            status = EXIT_INPUT;
            out_failed = 1;
        }
        free(order);
        free(spark);
        if (phases)
            fprintf(stderr,
                    "pcts: phases: packets %.3f s, statistics and scores %.3f s, ranking and "
                    "output %.3f s (ranking, with the context factors: %.3f s); packet loop CPU: "
                    "main thread %.3f s, second thread %.3f s (%s); heap on huge pages: %s\n",
                    t_loop - t_start, t_finish - t_loop, now_s() - t_finish, t_ranked - t_finish,
                    cpu_loop, x.cpu_second, x.second_role ? x.second_role : "none",
                    hugepages_on() ? "yes" : "no");
    }
    if (hf.f) /* not written (no input readable, or the report failed) */
        outfile_abort(&hf);
    if (use_of) {
        /* with no input readable, or writing failed, an earlier file stays */
        if (!readable || out_failed) {
            outfile_abort(&of);
        } else if (outfile_commit(&of, msg)) {
            warnx_("%s", msg);
            if (status == EXIT_OK)
                status = EXIT_INPUT;
        }
    }
    double elapsed = now_s() - pg.start;
    summary(&o, in, &cnt, &tab, use_flows ? &flows : NULL, &names, x.skipped_failed, fw.rows,
            elapsed, res, nres, o.quiet);

    if (status == EXIT_OK) {
        if (run.open_failed)
            status = EXIT_INPUT;
        else if (run.partial)
            status = EXIT_PARTIAL;
    }
    free(res);
    inputs_free(in);
    if (use_flows)
        flow_table_release(&flows);
    group_table_release(&tab);
    frag_cache_release(&frags);
    names_release(&names);
    names_release(&qnames);
    domains_free(domains);
    u64set_release(&dns_seen);
    filter_free(flt);
    filter_free(names_flt);
    allow_free(allow);
    options_release(&o);
    int e = out == stdout ? stream_error(stdout) : 0;
    if (e && status == EXIT_OK) {
        warnx_("cannot write standard output: %s", strerror(e));
        status = EXIT_INPUT;
    }
    return status;
}

/*
 * options.c - see options.h.
 */
#include "options.h"

#include "../util/cpus.h"
#include "../util/err.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

void options_usage(FILE *f)
{
    fputs("usage: pcts [options] [-r FILE]... [FILE]...       rank groups by beacon score\n"
          "       pcts flows [options] [-r FILE]... [FILE]... list connections\n"
          "\n"
          "Finds command-and-control beaconing in packet captures (pcap, pcapng; plain, gzip\n"
          "or zstd): groups traffic, turns each group into a time series and ranks the groups\n"
          "by a beacon score with its parts and a reason. Several files are merged into one\n"
          "timeline by timestamp. FILE '-' is standard input.\n"
          "\n"
          "Input:\n"
          "  -r, --read FILE       capture file to read (repeatable; positional files too)\n"
          "  -f, --filter EXPR     BPF filter, tcpdump syntax (e.g. 'not port 53')\n"
          "\n"
          "Grouping:\n"
          "  --group service|host|dns|ip|port\n"
          "                        service (default): originator IP -> responder IP,\n"
          "                        protocol, responder port (all packets of its flows);\n"
          "                        host: the same with the responder's name (DNS answer,\n"
          "                        TLS SNI, HTTP Host) instead of its IP when known;\n"
          "                        dns: client -> registered domain of its DNS queries\n"
          "                        ip: originator -> responder IP (with --series packets:\n"
          "                        source -> destination of each packet); port: with\n"
          "                        --series packets, source -> destination IP, protocol,\n"
          "                        destination port of each packet (with flows, as service)\n"
          "  --series flows|packets\n"
          "                        flows (default): events are exchanges, sized by\n"
          "                        originator bytes: a connection's start, then its\n"
          "                        originator's data after 2 s of silence (a heartbeat\n"
          "                        inside one connection); packets: every packet\n"
          "  --tcp-timeout SEC     TCP flow inactivity timeout (default 300)\n"
          "  --udp-timeout SEC     UDP/ICMP/other flow inactivity timeout (default 60)\n"
          "  --established-only    ignore failed TCP attempts (S0, REJ, ...)\n"
          "  --flows               list flows (same as the 'flows' command)\n"
          "\n"
          "Scoring:\n"
          "  --min-events N        events needed for a score (default 4)\n"
          "  --allow FILE          known-benign list: IPs, CIDRs, *.domains, proto/port rules;\n"
          "                        'default' is the shipped list (docs/allowlist.md)\n"
          "  --allow-mode mark|drop\n"
          "                        mark (default): flag matching groups; drop: omit them\n"
          "\n"
          "Output:\n"
          "  -F, --format table|csv|json\n"
          "                        table on a terminal, otherwise from -o's extension\n"
          "                        (.csv, .json/.jsonl), otherwise json (JSON Lines)\n"
          "  -o, --output FILE     write results to FILE instead of standard output\n"
          "  --sort KEY            score (default), events, packets, bytes, duration,\n"
          "                        intervals, mean, std, median, mad, period, first, last,\n"
          "                        src, dst\n"
          "  --top N               only the first N groups (table default 25; csv/json all)\n"
          "  --exact-limit N       events kept exactly per group (128 to 4194304, default\n"
          "                        1024, 12 bytes each, 16 with --series flows); larger\n"
          "                        groups get median and MAD from a bounded sketch\n"
          "                        (docs/statistics.md)\n"
          "  --max-groups N        track at most N groups (default: one per 1 KiB of an\n"
          "                        eighth of physical memory); packets of further groups\n"
          "                        are counted and reported, not grouped\n"
          "  --max-flows N         active flows at most (default: one per 2 KiB of an\n"
          "                        eighth of physical memory); beyond, the longest-idle\n"
          "                        flow is ended early (counted and reported)\n"
          "  --max-memory SIZE     memory for the groups' time series: exact event lists and\n"
          "                        sketches (K, M, G, T: KiB .. TiB; default: half of\n"
          "                        physical memory). Past it, big groups switch to bounded\n"
          "                        summaries early and sketches coarsen, with a warning;\n"
          "                        events are never dropped (docs/statistics.md). Flow and\n"
          "                        group tables are bounded by --max-flows, --max-groups\n"
          "  --html FILE           also write a self-contained HTML report (docs/report.md)\n"
          "  --html-top N          candidates with plots in the report (default 50)\n"
          "  --color[=auto|always|never]\n"
          "                        colour in the table (auto: on a terminal, unless\n"
          "                        NO_COLOR is set)\n"
          "  --threads N           threads to use (default: the cores this process may\n"
          "                        use: taskset's mask, a container's CPU quota); with\n"
          "                        2 or more, reading and decoding run beside the\n"
          "                        flow and group tables, and the statistics of the\n"
          "                        groups are computed on N threads (same output)\n"
          "  -q, --quiet           no progress bar, no summary or notes (errors and\n"
          "                        warnings still print)\n"
          "  --progress=auto|always|never\n"
          "                        progress bar on standard error (auto: when a terminal)\n"
          "  -h, --help            this help\n"
          "  -V, --version         version\n"
          "\n"
          "Exit status: 0 ok, 1 an input could not be read (or output failed), 2 usage,\n"
          "3 an input was damaged midway (results cover what was read before).\n",
          f);
}

static int parse_size(const char *s, size_t *out)
{
    if (!*s || *s == '-' || *s == '+')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > (unsigned long long)SIZE_MAX)
        return -1;
    *out = (size_t)v;
    return 0;
}

/* A byte count: digits, an optional fraction, an optional binary unit
 * (K, M, G, T = KiB .. TiB, case-insensitive, "iB" or "B" may follow);
 * no unit means bytes.  -1 when malformed or beyond 2^63. */
static int parse_bytes(const char *s, uint64_t *out)
{
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long long whole = strtoull(s, &end, 10);
    if (errno)
        return -1;
    double frac = 0, scale = 0.1;
    if (*end == '.') {
        end++;
        if (*end < '0' || *end > '9')
            return -1;
        for (; *end >= '0' && *end <= '9'; end++, scale /= 10)
            frac += (*end - '0') * scale;
    }
    static const char units[] = "KMGT";
    const char *u = *end ? strchr(units, *end & ~0x20) : NULL;
    unsigned shift = 0;
    if (u && *u) {
        shift = 10 * (unsigned)(u - units + 1);
        end++;
        if ((end[0] == 'i' || end[0] == 'I') && (end[1] == 'B' || end[1] == 'b'))
            end += 2;
        else if (end[0] == 'B' || end[0] == 'b')
            end++;
    } else if (*end == 'B' || *end == 'b') {
        end++;
    }
    if (*end)
        return -1;
    double v = ((double)whole + frac) * (double)(1ull << shift);
    if (!(v < 9.2e18))
        return -1;
    *out = (uint64_t)v;
    return 0;
}

static const char *ext_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    return dot ? dot + 1 : "";
}

/* The short options for getopt_long; ':' first: a missing value returns ':'. */
#define SHORT_OPTS ":r:f:F:o:qhV"

/* The long options whose names start with the name in arg ("--name" or
 * "--name=value"): how many, the first in *first, their names in list. */
static int long_matches(const struct option *lo, const char *arg, const struct option **first,
                        char *list, size_t cap)
{
    const char *name = arg + 2, *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    int n = 0;
    size_t used = 0;
    list[0] = '\0';
    for (; lo->name; lo++) {
        if (strncmp(lo->name, name, len))
            continue;
        if (strlen(lo->name) == len) { /* exact: that one only */
            *first = lo;
            return 1;
        }
        if (!n++)
            *first = lo;
        int w = snprintf(list + used, cap - used, "%s--%s", n > 1 ? ", " : "", lo->name);
        if (w > 0 && (size_t)w < cap - used)
            used += (size_t)w;
    }
    return n;
}

/*
 * The message for what getopt_long refused ('?'): arg is argv[optind - 1],
 * opt its optopt.  An unknown short option has its byte in optopt, and
 * when more letters or its value follow in the same element ("-T1", "-qZ")
 * optind stays on it, so arg is the element before: the byte is named
 * instead.  optopt is the option's value for a long option given a value it
 * does not take ("--quiet=1"), and 0 for an unknown or ambiguous long one.
 */
static void unknown_option(const struct option *lo, const char *arg, int opt, char *msg)
{
    const struct option *m = NULL;
    char list[256];
    int is_long = !strncmp(arg, "--", 2) && arg[2];
    int n = is_long ? long_matches(lo, arg, &m, list, sizeof(list)) : 0;
    if (!opt && n > 1)
        errmsg_set(msg, "ambiguous option '%s' (%s)", arg, list);
    else if (!opt)
        errmsg_set(msg, "unknown option '%s'", arg);
    else if (n == 1 && m->val == opt && strchr(arg, '='))
        errmsg_set(msg, "option '--%s' takes no value", m->name);
    else if (isprint((unsigned char)opt))
        errmsg_set(msg, "unknown option '-%c'", opt);
    else
        errmsg_set(msg, "unknown option byte 0x%02x after '-'", (unsigned)(unsigned char)opt);
}

int options_parse(struct options *o, int argc, char **argv, char *msg)
{
    enum {
        OPT_GROUP = 256,
        OPT_SERIES,
        OPT_SORT,
        OPT_TOP,
        OPT_PROGRESS,
        OPT_EXACT,
        OPT_MAXG,
        OPT_TCPTO,
        OPT_UDPTO,
        OPT_ESTAB,
        OPT_MINEV,
        OPT_ALLOW,
        OPT_ALLOWMODE,
        OPT_FLOWS,
        OPT_MAXF,
        OPT_MAXMEM,
        OPT_HTML,
        OPT_HTMLTOP,
        OPT_COLOR,
        OPT_THREADS,
    };
    static const struct option longopts[] = {
        {"read", required_argument, NULL, 'r'},
        {"filter", required_argument, NULL, 'f'},
        {"format", required_argument, NULL, 'F'},
        {"output", required_argument, NULL, 'o'},
        {"group", required_argument, NULL, OPT_GROUP},
        {"series", required_argument, NULL, OPT_SERIES},
        {"sort", required_argument, NULL, OPT_SORT},
        {"top", required_argument, NULL, OPT_TOP},
        {"quiet", no_argument, NULL, 'q'},
        {"progress", required_argument, NULL, OPT_PROGRESS},
        {"exact-limit", required_argument, NULL, OPT_EXACT},
        {"max-groups", required_argument, NULL, OPT_MAXG},
        {"max-flows", required_argument, NULL, OPT_MAXF},
        {"max-memory", required_argument, NULL, OPT_MAXMEM},
        {"html", required_argument, NULL, OPT_HTML},
        {"html-top", required_argument, NULL, OPT_HTMLTOP},
        {"color", optional_argument, NULL, OPT_COLOR},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"tcp-timeout", required_argument, NULL, OPT_TCPTO},
        {"udp-timeout", required_argument, NULL, OPT_UDPTO},
        {"established-only", no_argument, NULL, OPT_ESTAB},
        {"min-events", required_argument, NULL, OPT_MINEV},
        {"allow", required_argument, NULL, OPT_ALLOW},
        {"allow-mode", required_argument, NULL, OPT_ALLOWMODE},
        {"flows", no_argument, NULL, OPT_FLOWS},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof(*o));
    o->group = GROUP_SERVICE;
    o->series = SERIES_FLOWS;
    o->sort = SORT_SCORE;
    o->tcp_timeout = 300;
    o->udp_timeout = 60;
    o->min_events = 4;
    o->html_top = 50;
    o->color = -1;
    /* the CPUs this process may use (taskset, a container's quota), not
     * all the machine's: cpus.h */
    unsigned ncpu = cpus_usable();
    o->threads = ncpu > 64 ? 64 : ncpu;
    o->allow = xcalloc((size_t)argc + 1, sizeof(char *));
    int sort_set = 0, group_set = 0;
    /* `pcts flows ...`: the subcommand form of --flows */
    if (argc > 1 && !strcmp(argv[1], "flows")) {
        o->list_flows = 1;
        argv++;
        argc--;
    }
    o->progress = -1;
    o->inputs = xcalloc((size_t)argc + 1, sizeof(char *));
    opterr = 0;
    optind = 1;
    int c;
    int rank_only = 0; /* the first option that only the ranking uses */
    while ((c = getopt_long(argc, argv, SHORT_OPTS, longopts, NULL)) != -1) {
        switch (c) {
        case OPT_GROUP:
        case OPT_SERIES:
        case OPT_SORT:
        case OPT_TOP:
        case OPT_MINEV:
        case OPT_ALLOW:
        case OPT_ALLOWMODE:
        case OPT_HTML:
        case OPT_HTMLTOP:
        case OPT_EXACT:
        case OPT_MAXG:
        case OPT_MAXMEM:
            if (!rank_only)
                rank_only = c;
            break;
        default: break;
        }
        switch (c) {
        case 'r': o->inputs[o->n_inputs++] = optarg; break;
        case 'f': o->filter = optarg; break;
        case 'F':
            if (!strcmp(optarg, "table"))
                o->format = OUT_TABLE;
            else if (!strcmp(optarg, "csv"))
                o->format = OUT_CSV;
            else if (!strcmp(optarg, "json") || !strcmp(optarg, "jsonl"))
                o->format = OUT_JSON;
            else {
                errmsg_set(msg, "unknown format '%s' (use table, csv or json)", optarg);
                return ERR_USAGE;
            }
            o->format_set = 1;
            break;
        case 'o': o->output = optarg; break;
        case OPT_GROUP:
            if (!strcmp(optarg, "ip"))
                o->group = GROUP_IP;
            else if (!strcmp(optarg, "port"))
                o->group = GROUP_PORT;
            else if (!strcmp(optarg, "service"))
                o->group = GROUP_SERVICE;
            else if (!strcmp(optarg, "host"))
                o->group = GROUP_HOST;
            else if (!strcmp(optarg, "dns"))
                o->group = GROUP_DNS;
            else {
                errmsg_set(msg, "unknown group '%s' (use service, host, dns, ip or port)", optarg);
                return ERR_USAGE;
            }
            group_set = 1;
            break;
        case OPT_SERIES:
            if (!strcmp(optarg, "packets"))
                o->series = SERIES_PACKETS;
            else if (!strcmp(optarg, "flows"))
                o->series = SERIES_FLOWS;
            else {
                errmsg_set(msg, "unknown series '%s' (use flows or packets)", optarg);
                return ERR_USAGE;
            }
            break;
        case OPT_SORT: {
            int k = sort_key_parse(optarg);
            if (k < 0) {
                errmsg_set(msg, "unknown sort key '%s' (use one of: %s)", optarg, sort_key_names());
                return ERR_USAGE;
            }
            o->sort = (enum sort_key)k;
            sort_set = 1;
            break;
        }
        case OPT_TOP:
            if (parse_size(optarg, &o->top) || o->top == 0) {
                errmsg_set(msg, "invalid --top '%s': give a whole number of groups, at least 1",
                           optarg);
                return ERR_USAGE;
            }
            o->top_set = 1;
            break;
        case OPT_PROGRESS:
            if (!strcmp(optarg, "auto"))
                o->progress = -1;
            else if (!strcmp(optarg, "always"))
                o->progress = 1;
            else if (!strcmp(optarg, "never"))
                o->progress = 0;
            else {
                errmsg_set(msg, "invalid --progress '%s' (use auto, always or never)", optarg);
                return ERR_USAGE;
            }
            break;
        case OPT_EXACT: {
            size_t v;
            if (parse_size(optarg, &v) || v < SERIES_EXACT_MIN || v > SERIES_EXACT_MAX) {
                errmsg_set(msg, "invalid --exact-limit '%s': give a number from %u to %u", optarg,
                           SERIES_EXACT_MIN, SERIES_EXACT_MAX);
                return ERR_USAGE;
            }
            o->exact_limit = (uint32_t)v;
            break;
        }
        case OPT_MAXG:
            if (parse_size(optarg, &o->max_groups) || o->max_groups == 0) {
                errmsg_set(msg, "invalid --max-groups '%s': give a whole number, at least 1",
                           optarg);
                return ERR_USAGE;
            }
            break;
        case OPT_MAXF:
            if (parse_size(optarg, &o->max_flows) || o->max_flows == 0) {
                errmsg_set(msg, "invalid --max-flows '%s': give a whole number, at least 1",
                           optarg);
                return ERR_USAGE;
            }
            break;
        case OPT_MAXMEM:
            if (parse_bytes(optarg, &o->max_memory) || o->max_memory < (1u << 20)) {
                errmsg_set(msg,
                           "invalid --max-memory '%s': give a size of at least 1M, such as "
                           "512M or 2G (K, M, G, T: KiB, MiB, GiB, TiB)",
                           optarg);
                return ERR_USAGE;
            }
            break;
        case OPT_TCPTO:
        case OPT_UDPTO: {
            char *end;
            errno = 0;
            double v = strtod(optarg, &end);
            if (errno || *end || end == optarg || !(v > 0) || v > 1e7) {
                errmsg_set(msg, "invalid --%s '%s': give seconds, more than 0",
                           c == OPT_TCPTO ? "tcp-timeout" : "udp-timeout", optarg);
                return ERR_USAGE;
            }
            if (c == OPT_TCPTO)
                o->tcp_timeout = v;
            else
                o->udp_timeout = v;
            break;
        }
        case OPT_HTML: o->html = optarg; break;
        case OPT_HTMLTOP:
            if (parse_size(optarg, &o->html_top) || o->html_top == 0 || o->html_top > 10000) {
                errmsg_set(msg, "invalid --html-top '%s': give a number from 1 to 10000", optarg);
                return ERR_USAGE;
            }
            break;
        case OPT_COLOR:
            if (!optarg || !strcmp(optarg, "always"))
                o->color = 1;
            else if (!strcmp(optarg, "auto"))
                o->color = -1;
            else if (!strcmp(optarg, "never"))
                o->color = 0;
            else {
                errmsg_set(msg, "invalid --color '%s' (use auto, always or never)", optarg);
                return ERR_USAGE;
            }
            break;
        case OPT_THREADS: {
            size_t v;
            if (parse_size(optarg, &v) || v < 1 || v > 256) {
                errmsg_set(msg, "invalid --threads '%s': give a number from 1 to 256", optarg);
                return ERR_USAGE;
            }
            o->threads = (unsigned)v;
            o->threads_set = 1;
            break;
        }
        case OPT_ESTAB: o->established_only = 1; break;
        case OPT_MINEV: {
            size_t v;
            if (parse_size(optarg, &v) || v < 2 || v > 1000000) {
                errmsg_set(msg, "invalid --min-events '%s': give a number from 2 to 1000000",
                           optarg);
                return ERR_USAGE;
            }
            o->min_events = (unsigned)v;
            break;
        }
        case OPT_ALLOW: o->allow[o->n_allow++] = optarg; break;
        case OPT_ALLOWMODE:
            if (!strcmp(optarg, "mark"))
                o->allow_mode = ALLOW_MARK;
            else if (!strcmp(optarg, "drop"))
                o->allow_mode = ALLOW_DROP;
            else {
                errmsg_set(msg, "invalid --allow-mode '%s' (use mark or drop)", optarg);
                return ERR_USAGE;
            }
            break;
        case OPT_FLOWS: o->list_flows = 1; break;
        case 'q': o->quiet = 1; break;
        case 'h': options_usage(stdout); return 1;
        case 'V': printf("pcts %s\n", PCTS_VERSION_STRING); return 1;
        case ':': errmsg_set(msg, "option '%s' needs a value", argv[optind - 1]); return ERR_USAGE;
        default: unknown_option(longopts, argv[optind - 1], optopt, msg); return ERR_USAGE;
        }
    }
    if (o->list_flows && rank_only) {
        const char *name = "";
        for (const struct option *lo = longopts; lo->name; lo++)
            if (lo->val == rank_only)
                name = lo->name;
        /* the flow list has no groups, scores or order of its own: an option of
         * the ranking would be silently ignored */
        errmsg_set(msg,
                   "--%s applies to the ranking, not to the flow list ('pcts flows' and "
                   "--flows take -r, -f, -F, -o, the timeouts, --established-only, "
                   "--max-flows, --threads and the display options)",
                   name);
        return ERR_USAGE;
    }
    for (int i = optind; i < argc; i++) {
        /* `pcts -q flows x.pcap`: the command after an option reads as a
         * file name (getopt moves options first), and would rank x.pcap
         * after "cannot open 'flows'" */
        struct stat st;
        if (!strcmp(argv[i], "flows") && stat(argv[i], &st)) {
            errmsg_set(msg, "'flows' is a command: give it first ('pcts flows [options] FILE...'), "
                            "or use --flows");
            return ERR_USAGE;
        }
        o->inputs[o->n_inputs++] = argv[i];
    }
    if (o->n_inputs == 0) {
        if (isatty(STDIN_FILENO)) {
            errmsg_set(msg, "no input: give capture files (or '-' for standard input)");
            return ERR_USAGE;
        }
        o->inputs[o->n_inputs++] = "-";
    }
    for (size_t i = 0, stdin_seen = 0; i < o->n_inputs; i++)
        if (!strcmp(o->inputs[i], "-") && stdin_seen++) {
            errmsg_set(msg, "standard input ('-') is given more than once: it can be read once");
            return ERR_USAGE;
        }
    if (!o->format_set) {
        const char *e = o->output ? ext_of(o->output) : "";
        if (!strcasecmp(e, "html") || !strcasecmp(e, "htm")) {
            errmsg_set(msg,
                       "-o '%s': the HTML report is written by --html FILE (-o writes the "
                       "table, CSV or JSON; -F chooses)",
                       o->output);
            return ERR_USAGE;
        }
        if (!strcasecmp(e, "csv"))
            o->format = OUT_CSV;
        else if (!strcasecmp(e, "json") || !strcasecmp(e, "jsonl") || !strcasecmp(e, "ndjson"))
            o->format = OUT_JSON;
        else if (o->output)
            o->format = !strcasecmp(e, "txt") ? OUT_TABLE : OUT_JSON;
        else
            o->format = isatty(STDOUT_FILENO) ? OUT_TABLE : OUT_JSON;
    }
    if (!o->top_set && o->format == OUT_TABLE)
        o->top = 25;
    /* Colour only for a table on a terminal, unless asked; NO_COLOR
     * (no-color.org) turns the automatic choice off. */
    if (o->color == -1) {
        const char *no_color = getenv("NO_COLOR");
        o->color = o->format == OUT_TABLE && !o->output && isatty(STDOUT_FILENO) &&
                   !(no_color && *no_color);
    }
    (void)group_set;
    (void)sort_set;
    return 0;
}

void options_release(struct options *o)
{
    free(o->inputs);
    free(o->allow);
    o->allow = NULL;
    o->inputs = NULL;
}

/*
 * options.c - see options.h.
 */
#include "options.h"

#include "../util/err.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef PCTS_VERSION
#define PCTS_VERSION "0.1.0"
#endif

void options_usage(FILE *f)
{
    fputs("usage: pcts [options] [-r FILE]... [FILE]...\n"
          "\n"
          "Per-group time-series statistics of packet captures (pcap, pcapng; plain, gzip or\n"
          "zstd). Several files are merged into one timeline by timestamp. FILE '-' is\n"
          "standard input.\n"
          "\n"
          "Input:\n"
          "  -r, --read FILE       capture file to read (repeatable; positional files too)\n"
          "  -f, --filter EXPR     BPF filter, tcpdump syntax (e.g. 'not port 53')\n"
          "\n"
          "Grouping:\n"
          "  --group ip|port       ip: source IP -> destination IP (default)\n"
          "                        port: source IP -> destination IP, protocol, dest. port\n"
          "  --series packets      event series: every packet (the only series for now)\n"
          "\n"
          "Output:\n"
          "  -F, --format table|csv|json\n"
          "                        table on a terminal, otherwise from -o's extension\n"
          "                        (.csv, .json/.jsonl), otherwise json (JSON Lines)\n"
          "  -o, --output FILE     write results to FILE instead of standard output\n"
          "  --sort KEY            packets (default), bytes, duration, intervals, mean, std,\n"
          "                        median, mad, first, last, src, dst\n"
          "  --top N               only the first N groups (table default 25; csv/json all)\n"
"  --exact-limit N       intervals kept exactly per group (default 1024, about\n"
          "                        8 bytes each); larger groups get median and MAD from a\n"
          "                        bounded sketch (docs/statistics.md)\n"
          "  --max-groups N        track at most N groups (default: one per 1 KiB of an\n"
          "                        eighth of physical memory); packets of further groups\n"
          "                        are counted and reported, not grouped\n"
          "  -q, --quiet           no progress bar, no summary (errors still print)\n"
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

static const char *ext_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    return dot ? dot + 1 : "";
}

int options_parse(struct options *o, int argc, char **argv, char *msg)
{
    enum { OPT_GROUP = 256, OPT_SERIES, OPT_SORT, OPT_TOP, OPT_PROGRESS, OPT_EXACT, OPT_MAXG };
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
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof(*o));
    o->group = GROUP_IP;
    o->sort = SORT_PACKETS;
    o->progress = -1;
    o->inputs = xcalloc((size_t)argc + 1, sizeof(char *));
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":r:f:F:o:qhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            o->inputs[o->n_inputs++] = optarg;
            break;
        case 'f':
            o->filter = optarg;
            break;
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
        case 'o':
            o->output = optarg;
            break;
        case OPT_GROUP:
            if (!strcmp(optarg, "ip"))
                o->group = GROUP_IP;
            else if (!strcmp(optarg, "port"))
                o->group = GROUP_PORT;
            else {
                errmsg_set(msg, "unknown group '%s' (use ip or port)", optarg);
                return ERR_USAGE;
            }
            break;
        case OPT_SERIES:
            if (strcmp(optarg, "packets")) {
                errmsg_set(msg, "unknown series '%s' (available: packets)", optarg);
                return ERR_USAGE;
            }
            break;
        case OPT_SORT: {
            int k = sort_key_parse(optarg);
            if (k < 0) {
                errmsg_set(msg, "unknown sort key '%s' (use one of: %s)", optarg,
                           sort_key_names());
                return ERR_USAGE;
            }
            o->sort = (enum sort_key)k;
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
                errmsg_set(msg, "invalid --exact-limit '%s': give a number from %u to %u",
                           optarg, SERIES_EXACT_MIN, SERIES_EXACT_MAX);
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
        case 'q':
            o->quiet = 1;
            break;
        case 'h':
            options_usage(stdout);
            return 1;
        case 'V':
            printf("pcts %s\n", PCTS_VERSION);
            return 1;
        case ':':
            errmsg_set(msg, "option '%s' needs a value", argv[optind - 1]);
            return ERR_USAGE;
        default:
            errmsg_set(msg, "unknown option '%s'", argv[optind - 1]);
            return ERR_USAGE;
        }
    }
    for (int i = optind; i < argc; i++)
        o->inputs[o->n_inputs++] = argv[i];
    if (o->n_inputs == 0) {
        if (isatty(STDIN_FILENO)) {
            errmsg_set(msg, "no input: give capture files (or '-' for standard input)");
            return ERR_USAGE;
        }
        o->inputs[o->n_inputs++] = "-";
    }
    if (!o->format_set) {
        const char *e = o->output ? ext_of(o->output) : "";
        if (!strcmp(e, "csv"))
            o->format = OUT_CSV;
        else if (!strcmp(e, "json") || !strcmp(e, "jsonl") || !strcmp(e, "ndjson"))
            o->format = OUT_JSON;
        else if (o->output)
            o->format = !strcmp(e, "txt") ? OUT_TABLE : OUT_JSON;
        else
            o->format = isatty(STDOUT_FILENO) ? OUT_TABLE : OUT_JSON;
    }
    if (!o->top_set && o->format == OUT_TABLE)
        o->top = 25;
    return 0;
}

void options_release(struct options *o)
{
    free(o->inputs);
    o->inputs = NULL;
}

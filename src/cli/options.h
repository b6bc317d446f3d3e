/*
 * options.h - the command line, parsed from one table (getopt_long).
 *
 * The options are a public interface: scripts depend on their names.
 */
#ifndef PCTS_OPTIONS_H
#define PCTS_OPTIONS_H

#include "../group/group.h"
#include "../output/output.h"

#include <stddef.h>
#include <stdint.h>

#define PCTS_VERSION_STRING "0.2.0"

enum allow_mode { ALLOW_MARK, ALLOW_DROP };

struct options {
    int list_flows; /* `pcts flows` / --flows: list connections, no grouping */
    enum series_kind series;
    double tcp_timeout, udp_timeout; /* seconds */
    int established_only;
    unsigned min_events;
    const char **allow; /* --allow files (borrowed argv strings) */
    size_t n_allow;
    enum allow_mode allow_mode;
    char **inputs; /* owned array of borrowed argv strings */
    size_t n_inputs;
    const char *filter;
    const char *output; /* NULL = stdout */
    enum out_format format;
    int format_set;
    enum group_by group;
    enum sort_key sort;
    size_t top;
    int top_set;
    int quiet;
    int progress; /* -1 auto, 0 never, 1 always */
    uint32_t exact_limit;
    size_t max_groups;   /* 0: default from physical memory */
    size_t max_flows;    /* 0: default from physical memory */
    uint64_t max_memory; /* --max-memory bytes for the series; 0: default from physical memory */
    const char *html;    /* --html FILE */
    size_t html_top;     /* candidates with pictures */
    int color;           /* -1 auto, 0 never, 1 always */
    unsigned threads;    /* 1 inline; 2+: two pipeline stages, statistics on all */
    int threads_set;     /* --threads was given (else: cpus_usable()) */
};

/* 0 to run, 1 when --help/--version was handled (exit 0), or ERR_USAGE
 * with msg set. */
int options_parse(struct options *o, int argc, char **argv, char *msg);
void options_release(struct options *o);
void options_usage(FILE *f);

#endif

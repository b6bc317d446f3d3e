/*
 * html.h - the report: one self-contained HTML file (inline CSS, JS and
 * SVG; no network access) with what was analysed, the ranked candidate
 * table (sortable, filterable, paged so 50k groups stay usable) and, for
 * each of the top candidates, a timeline of its events, a histogram of its
 * intervals with the detected period marked, and its sizes over time.
 */
#ifndef PCTS_HTML_H
#define PCTS_HTML_H

#include "output.h"

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

/* Pictures of one top candidate (borrowed arrays). */
struct html_group {
    const struct result *r;
    const int64_t *ts;  /* event times, ns, ascending */
    const uint32_t *sz; /* event sizes, bytes */
    size_t n;
    int sampled;           /* ts/sz are a subsample of the events */
    const struct wval *iv; /* intervals, seconds, ascending, weighted */
    size_t n_iv;
};

/* What was analysed (the report's header). */
struct html_info {
    const char *const *files;
    size_t n_files;
    const char *const *formats; /* per file, NULL if unreadable */
    int64_t first, last;        /* capture span, ns */
    uint64_t packets, decoded, skipped, filtered;
    uint64_t skip_nonip, skip_truncated, skip_badhdr, skip_linktype;
    size_t groups;
    const char *group_by, *series, *version, *command;
};

/*
 * Write the report to f (opened by the caller: output/outfile.h; path names
 * it in messages).  all/n_all: every ranked group (the table), displayed
 * in the order all[order[0]], all[order[1]], ... (order NULL: as they are);
 * top/n_top: the candidates that get pictures.  0, or ERR_IO with msg set
 * when a write failed (the caller closes f).
 */
int html_write(FILE *f, const char *path, const struct html_info *info, const struct output_opts *o,
               const struct result *all, const uint32_t *order, size_t n_all,
               const struct html_group *top, size_t n_top, char *msg);

#endif

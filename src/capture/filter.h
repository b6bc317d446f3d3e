/*
 * filter.h - BPF filters as tcpdump takes them, compiled and run by libpcap.
 *
 * One expression, compiled lazily once per link type met in the inputs
 * (a pcapng file may mix several).  A filter that cannot be compiled for
 * any common link type is a usage error at start; one that cannot apply to
 * a particular link type (e.g. "ether host" on raw IP) excludes that link
 * type's packets, with one warning.
 */
#ifndef PCTS_FILTER_H
#define PCTS_FILTER_H

#include "reader.h"

struct filter;

/* Returns 0, or ERR_USAGE with msg holding libpcap's explanation. */
int filter_new(struct filter **out, const char *expr, char *msg);

/* 1 if the packet passes, 0 if it is filtered out. */
int filter_match(struct filter *f, const struct pkt *p);

void filter_free(struct filter *f);

#endif

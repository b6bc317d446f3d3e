/*
 * qdom.h - the DNS queries in each group's flows, by registered domain.
 *
 * A DNS tunnel or beacon through the local resolver is, by IP, one
 * client -> resolver:53 group among the client's other lookups; --group
 * dns ranks it by domain, but the default ranking showed the resolver
 * alone.  The flow loops count, for every group, the DNS queries its flows
 * carried and how many of them went to each registered domain (the
 * domain's name table id), so a group's row can name the domain most of
 * its queries asked for (struct group's dns_top; docs/design.md).
 *
 * Counts are exact: one entry a (group, domain) pair, up to a limit of
 * pairs.  Past it a pair not seen yet is not counted (qdom.dropped): the
 * group's total still is, and its top domain may then be missing or
 * undercounted, which the run's summary says.
 */
#ifndef PCTS_QDOM_H
#define PCTS_QDOM_H

#include "group.h"

#include <stddef.h>
#include <stdint.h>

struct name_table;

struct qdom_ent {
    uint32_t group;
    uint32_t dom; /* 0: an empty slot (names are never 0) */
    uint32_t n;
};

struct qdom_counts {
    struct qdom_ent *e; /* mask + 1 slots, owned; NULL until the first pair */
    size_t mask, n, limit;
    uint64_t dropped; /* queries of pairs not counted, past limit */
};

/* A query whose domain has no name id (pipeline.c) */
#define QDOM_UNKNOWN UINT32_MAX

/* Pairs a run counts at most: 12 MiB of entries at the table's load. */
#define QDOM_MAX_PAIRS ((size_t)1 << 19)

void qdom_init(struct qdom_counts *q, size_t limit);
void qdom_release(struct qdom_counts *q);

/* One query of group to domain dom (a name id, not 0). */
void qdom_add(struct qdom_counts *q, uint32_t group, uint32_t dom);

/*
 * Each group's dns_top and dns_top_queries (its dns_queries counted by the
 * caller, query by query): the domain with the most queries, on a tie the
 * name first in byte order, so the choice does not depend on the order
 * names were interned; and its dns_domains, the distinct domains counted
 * (a DGA's hundreds, each asked once).  Groups with no pair keep 0 for the
 * three.  Returns the distinct domains counted over all groups.
 */
size_t qdom_finish(const struct qdom_counts *q, struct group_table *tab,
                   const struct name_table *names);

#endif

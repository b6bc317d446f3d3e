/*
 * qdom.c - DNS queries by group and registered domain (qdom.h).
 */
#include "qdom.h"

#include "../names/nametab.h"
#include "../util/u64set.h"
#include "../util/xalloc.h"

#include <stdlib.h>
#include <string.h>

void qdom_init(struct qdom_counts *q, size_t limit)
{
    memset(q, 0, sizeof(*q));
    q->limit = limit;
}

void qdom_release(struct qdom_counts *q)
{
    free(q->e);
    memset(q, 0, sizeof(*q));
}

static size_t slot_of(uint32_t group, uint32_t dom, size_t mask)
{
    uint64_t h = ((uint64_t)group << 32 | dom) * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 24) & mask;
}

/* Double the table (kept at most half full). */
static void grow(struct qdom_counts *q)
{
    size_t nm = q->e ? q->mask * 2 + 1 : 1023;
    struct qdom_ent *ne = xcalloc(nm + 1, sizeof(*ne));
    for (size_t k = 0; q->e && k <= q->mask; k++) {
        const struct qdom_ent *x = &q->e[k];
        if (!x->dom)
            continue;
        size_t j = slot_of(x->group, x->dom, nm);
        while (ne[j].dom)
            j = (j + 1) & nm;
        ne[j] = *x;
    }
    free(q->e);
    q->e = ne;
    q->mask = nm;
}

void qdom_add(struct qdom_counts *q, uint32_t group, uint32_t dom)
{
    if (!q->e)
        grow(q);
    size_t i = slot_of(group, dom, q->mask);
    for (; q->e[i].dom; i = (i + 1) & q->mask) {
        if (q->e[i].dom == dom && q->e[i].group == group) {
            if (q->e[i].n < UINT32_MAX)
                q->e[i].n++;
            return;
        }
    }
    if (q->n >= q->limit) {
        q->dropped++;
        return;
    }
    q->e[i] = (struct qdom_ent){group, dom, 1};
    if (++q->n * 2 > q->mask + 1)
        grow(q);
}

/* Whether domain a (with n queries) goes before the group's current top. */
static int better(const struct name_table *names, uint32_t a, uint32_t n, const struct group *g)
{
    if (n != g->dns_top_queries)
        return n > g->dns_top_queries;
    const char *sa = names_str(names, a), *sb = names_str(names, g->dns_top);
    if (!sa || !sb) /* cannot happen: both were interned */
        return a < g->dns_top;
    return strcmp(sa, sb) < 0;
}

size_t qdom_finish(const struct qdom_counts *q, struct group_table *tab,
                   const struct name_table *names)
{
    struct u64set doms;
    u64set_init(&doms, SIZE_MAX);
    for (size_t k = 0; q->e && k <= q->mask; k++) {
        const struct qdom_ent *x = &q->e[k];
        if (!x->dom || x->group >= tab->n)
            continue;
        (void)u64set_add(&doms, x->dom);
        struct group *g = &tab->g[x->group];
        g->dns_domains++; /* one entry a (group, domain) pair */
        if (!g->dns_top || better(names, x->dom, x->n, g)) {
            g->dns_top = x->dom;
            g->dns_top_queries = x->n;
        }
    }
    size_t n = doms.n;
    u64set_release(&doms);
    return n;
}

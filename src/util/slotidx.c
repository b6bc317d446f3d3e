/*
 * slotidx.c - see slotidx.h.
 */
#include "slotidx.h"

#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

void slotidx_grow(uint64_t **slots, size_t *mask)
{
    size_t om = *mask, nm = om * 2 + 1;
    /* zeroed by hand: xmalloc puts a big index on a 2 MiB boundary, where
     * calloc's block is on 4 KiB pages (xalloc.c); at half load its every
     * page is written anyway */
    uint64_t *old = *slots, *ns = xmalloc(st_mult(nm + 1, sizeof(uint64_t)));
    memset(ns, 0, (nm + 1) * sizeof(uint64_t));
    for (size_t i = 0; i <= om; i++) {
        uint64_t v = old[i];
        if (!v)
            continue;
        size_t j = (size_t)(v >> 32) & nm; /* the tag is the high half */
        while (ns[j])
            j = (j + 1) & nm;
        ns[j] = v;
    }
    free(old);
    *slots = ns;
    *mask = nm;
}

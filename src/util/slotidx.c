/*
 * slotidx.c - see slotidx.h.
 */
#include "slotidx.h"

#include "xalloc.h"

#include <stdlib.h>

void slotidx_grow(uint64_t **slots, size_t *mask)
{
    size_t om = *mask, nm = om * 2 + 1;
    uint64_t *old = *slots, *ns = xcalloc(nm + 1, sizeof(uint64_t));
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

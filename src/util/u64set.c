/*
 * u64set.c - see u64set.h.
 */
#include "u64set.h"

#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

void u64set_init(struct u64set *s, size_t limit)
{
    *s = (struct u64set){xcalloc(1024, sizeof(uint64_t)), 1023, 0, limit, 0};
}

void u64set_release(struct u64set *s)
{
    free(s->v);
    memset(s, 0, sizeof(*s));
}

static uint64_t mix(uint64_t x)
{
    return x * 0x9E3779B97F4A7C15ull + 1; /* never 0 */
}

int u64set_has(const struct u64set *s, uint64_t x)
{
    x = mix(x);
    for (size_t i = (size_t)(x >> 20) & s->mask; s->v[i]; i = (i + 1) & s->mask)
        if (s->v[i] == x)
            return 1;
    return 0;
}

int u64set_add(struct u64set *s, uint64_t x)
{
    x = mix(x);
    size_t i = (size_t)(x >> 20) & s->mask;
    for (; s->v[i]; i = (i + 1) & s->mask)
        if (s->v[i] == x)
            return 0;
    if (s->n >= s->limit) {
        s->full = 1;
        return 0;
    }
    s->v[i] = x;
    if (++s->n * 2 > s->mask + 1) {
        size_t nm = s->mask * 2 + 1;
        uint64_t *nv = xcalloc(nm + 1, sizeof(*nv));
        for (size_t k = 0; k <= s->mask; k++) {
            if (!s->v[k])
                continue;
            size_t j = (size_t)(s->v[k] >> 20) & nm;
            while (nv[j])
                j = (j + 1) & nm;
            nv[j] = s->v[k];
        }
        free(s->v);
        s->v = nv;
        s->mask = nm;
    }
    return 1;
}

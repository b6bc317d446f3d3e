/*
 * nametab.c - see nametab.h.
 */
#include "nametab.h"

#include "../util/hashbytes.h"
#include "../util/slotidx.h"
#include "../util/xalloc.h"

#include <stdlib.h>
#include <string.h>

void names_init(struct name_table *t, uint64_t seed)
{
    memset(t, 0, sizeof(*t));
    t->seed = seed;
    t->smask = 1023;
    t->sidx = xcalloc(t->smask + 1, sizeof(uint64_t));
    t->mmask = 1023;
    t->m = xcalloc(t->mmask + 1, sizeof(*t->m));
    t->pmask = 1023;
    t->p = xcalloc(t->pmask + 1, sizeof(*t->p));
    t->n = 1; /* id 0 is "no name" */
    t->max_bytes = NAMES_MAX_BYTES;
}

void names_release(struct name_table *t)
{
    for (uint32_t i = 1; i < t->n; i++)
        free(t->str[i / NAMES_CHUNK][i % NAMES_CHUNK]);
    for (size_t c = 0; c < NAMES_MAX_STRINGS / NAMES_CHUNK; c++)
        free(t->str[c]);
    free(t->sidx);
    free(t->m);
    free(t->p);
    memset(t, 0, sizeof(*t));
}

uint32_t names_intern(struct name_table *t, const char *name)
{
    size_t len = strlen(name);
    uint64_t h = hash_bytes(name, len, t->seed);
    uint32_t tag = (uint32_t)(h >> 32);
    size_t i = (size_t)tag & t->smask;
    for (;; i = (i + 1) & t->smask) {
        uint64_t v = t->sidx[i];
        if (!v)
            break;
        if ((uint32_t)(v >> 32) == tag && !strcmp(names_str_of(t, (uint32_t)v), name))
            return (uint32_t)v;
    }
    if (t->n >= NAMES_MAX_STRINGS || len + 1 > t->max_bytes - t->bytes) {
        t->dropped_names++;
        return 0;
    }
    t->bytes += len + 1;
    uint32_t id = t->n;
    if (!t->str[id / NAMES_CHUNK])
        t->str[id / NAMES_CHUNK] = xcalloc(NAMES_CHUNK, sizeof(char *));
    t->str[id / NAMES_CHUNK][id % NAMES_CHUNK] = xstrdup(name);
    t->n++;
    t->sidx[i] = (uint64_t)tag << 32 | id;
    if ((size_t)t->n * 2 > t->smask + 1)
        slotidx_grow(&t->sidx, &t->smask);
    return id;
}

const char *names_str(const struct name_table *t, uint32_t id)
{
    return id < t->n ? names_str_of(t, id) : NULL;
}

static uint64_t map_hash(const struct name_table *t, uint8_t family, const uint8_t *client,
                         const uint8_t *server)
{
    uint8_t k[33];
    k[0] = family;
    memcpy(k + 1, client, 16);
    memcpy(k + 17, server, 16);
    return hash_bytes(k, sizeof(k), t->seed);
}

static int map_same(const struct name_map_entry *e, uint8_t family, const uint8_t *client,
                    const uint8_t *server)
{
    return e->used && e->family == family && !memcmp(e->client, client, 16) &&
           !memcmp(e->server, server, 16);
}

static void map_grow(struct name_table *t)
{
    size_t om = t->mmask, nm = om * 2 + 1;
    struct name_map_entry *old = t->m;
    t->m = xcalloc(nm + 1, sizeof(*t->m));
    t->mmask = nm;
    for (size_t i = 0; i <= om; i++) {
        if (!old[i].used)
            continue;
        size_t j = (size_t)map_hash(t, old[i].family, old[i].client, old[i].server) & nm;
        while (t->m[j].used)
            j = (j + 1) & nm;
        t->m[j] = old[i];
    }
    free(old);
}

static void map_put(struct name_table *t, uint8_t family, const uint8_t *client,
                    const uint8_t *server, uint32_t name)
{
    size_t home = (size_t)map_hash(t, family, client, server) & t->mmask;
    size_t i = home;
    for (;; i = (i + 1) & t->mmask) {
        struct name_map_entry *e = &t->m[i];
        if (!e->used)
            break;
        if (map_same(e, family, client, server)) {
            e->name = name; /* a newer answer */
            return;
        }
    }
    if (t->mlive >= NAMES_MAX_MAP) {
        /* Full: keep what we have.  Replacing by slot would depend on the
         * seeded hash, so the printed names would change between runs. */
        t->dropped_maps++;
        return;
    }
    t->mlive++;
    struct name_map_entry *e = &t->m[i];
    e->used = 1;
    e->family = family;
    e->name = name;
    memcpy(e->client, client, 16);
    memcpy(e->server, server, 16);
    if (t->mlive * 2 > t->mmask + 1 && t->mlive < NAMES_MAX_MAP)
        map_grow(t);
}

static uint64_t pair_hash(const struct name_table *t, uint8_t family, const uint8_t *server,
                          uint32_t name)
{
    uint8_t k[21];
    k[0] = family;
    memcpy(k + 1, server, 16);
    memcpy(k + 17, &name, 4);
    return hash_bytes(k, sizeof(k), t->seed);
}

/* The slot of the pair, or the empty slot where it would go. */
static size_t pair_slot(const struct name_table *t, uint8_t family, const uint8_t *server,
                        uint32_t name)
{
    size_t i = (size_t)pair_hash(t, family, server, name) & t->pmask;
    for (;; i = (i + 1) & t->pmask) {
        const struct name_pair *e = &t->p[i];
        if (!e->used || (e->family == family && e->name == name && !memcmp(e->server, server, 16)))
            return i;
    }
}

static void pair_grow(struct name_table *t)
{
    size_t om = t->pmask;
    struct name_pair *old = t->p;
    t->pmask = om * 2 + 1;
    t->p = xcalloc(t->pmask + 1, sizeof(*t->p));
    for (size_t i = 0; i <= om; i++)
        if (old[i].used)
            t->p[pair_slot(t, old[i].family, old[i].server, old[i].name)] = old[i];
    free(old);
}

static void pair_put(struct name_table *t, uint8_t family, const uint8_t *server, uint32_t name,
                     int64_t ts)
{
    size_t i = pair_slot(t, family, server, name);
    struct name_pair *e = &t->p[i];
    if (e->used) {
        if (ts < e->at) /* merged inputs: answers in time order, but a stray may come first */
            e->at = ts;
        return;
    }
    if (t->plive >= NAMES_MAX_MAP) { /* full: as map_put */
        t->dropped_pairs++;
        return;
    }
    t->plive++;
    e->used = 1;
    e->family = family;
    e->name = name;
    e->at = ts;
    memcpy(e->server, server, 16);
    if (t->plive * 2 > t->pmask + 1 && t->plive < NAMES_MAX_MAP)
        pair_grow(t);
}

int names_confirms(const struct name_table *t, uint8_t family, const uint8_t server[16],
                   uint32_t name, int64_t before)
{
    if (!name || !t->plive)
        return 0;
    const struct name_pair *e = &t->p[pair_slot(t, family, server, name)];
    return e->used && e->at <= before;
}

void names_learn(struct name_table *t, uint8_t family, const uint8_t client[16],
                 const uint8_t server[16], uint32_t name, int64_t ts)
{
    static const uint8_t any[16];
    if (!name)
        return;
    map_put(t, family, client, server, name);
    map_put(t, family, any, server, name);
    pair_put(t, family, server, name, ts);
    t->learned++;
}

static uint32_t map_get(const struct name_table *t, uint8_t family, const uint8_t *client,
                        const uint8_t *server)
{
    size_t i = (size_t)map_hash(t, family, client, server) & t->mmask;
    for (;; i = (i + 1) & t->mmask) {
        const struct name_map_entry *e = &t->m[i];
        if (!e->used)
            return 0;
        if (map_same(e, family, client, server))
            return e->name;
    }
}

uint32_t names_lookup(const struct name_table *t, uint8_t family, const uint8_t client[16],
                      const uint8_t server[16])
{
    static const uint8_t any[16];
    uint32_t n = map_get(t, family, client, server);
    return n ? n : map_get(t, family, any, server);
}

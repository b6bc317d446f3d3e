/*
 * nametab.h - host names learned from the capture itself, so that a group
 * can say who is being called, not only which address.
 *
 * Two parts, both bounded:
 *  - an intern table of names (each distinct name stored once, referred to
 *    by a 32-bit id; 0 means "no name"), at most NAMES_MAX_STRINGS names and
 *    NAMES_MAX_BYTES of their text (since DNS names in presentation form can
 *    be 1012 characters, names.h, the count alone would allow 1 GB);
 *  - an address map (client, server address) -> name id, filled from DNS
 *    answers as they are seen (so a mapping applies from the time of the
 *    answer on), with a client-independent fallback entry per server
 *    address.  At most NAMES_MAX_MAP entries: past that, new mappings are
 *    counted and dropped (existing ones are still updated), so results do
 *    not depend on the seeded hash;
 *  - the set of (server address, name) pairs any DNS answer gave, which
 *    confirms a name a flow's sender wrote (TLS SNI, HTTP Host) even when
 *    later answers gave the address other names (a CDN's), also at most
 *    NAMES_MAX_MAP pairs: past that, a pair is not confirmed (allow.h: an
 *    unconfirmed name rule keeps its group).
 * TLS SNI and HTTP Host name a flow directly; the caller prefers them.
 */
#ifndef PCTS_NAMETAB_H
#define PCTS_NAMETAB_H

#include <stddef.h>
#include <stdint.h>

#define NAMES_MAX_STRINGS (1u << 20)
#define NAMES_MAX_BYTES ((size_t)256 << 20) /* 1 M names of 256 bytes */
#define NAMES_MAX_MAP (1u << 20)

struct name_map_entry {
    uint8_t family, used;
    uint16_t pad;
    uint32_t name;
    uint8_t client[16]; /* all zero: the fallback for any client */
    uint8_t server[16];
};

/* A (server address, name) pair a DNS answer gave. */
struct name_pair {
    uint8_t family, used;
    uint16_t pad;
    uint32_t name;
    uint8_t server[16];
    int64_t at; /* the first answer that gave it (ns) */
};

/* The names' texts by id, in chunks that never move once made: a thread
 * handed an id by the interning thread (a batch through the flow loop's
 * queue) may read its text while more names are interned (names_str_of). */
#define NAMES_CHUNK 4096

struct name_table {
    char **str[NAMES_MAX_STRINGS / NAMES_CHUNK]; /* str[id / NAMES_CHUNK][id % ...]; owned */
    uint32_t n;
    uint64_t *sidx; /* string index: hash << 32 | id */
    size_t smask;
    struct name_map_entry *m;
    size_t mmask, mlive;
    struct name_pair *p;
    size_t pmask, plive;
    uint64_t seed;
    size_t bytes, max_bytes; /* text interned (with NULs); its cap, NAMES_MAX_BYTES */
    uint64_t dropped_names;  /* intern table full */
    uint64_t learned;        /* address mappings learned */
    uint64_t dropped_maps;   /* address map full: mappings not kept */
    uint64_t dropped_pairs;  /* pair set full: pairs not kept */
};

void names_init(struct name_table *t, uint64_t seed);
void names_release(struct name_table *t);

/* The id of a name (copied in on first use); 0 if the table is full. */
uint32_t names_intern(struct name_table *t, const char *name);
const char *names_str(const struct name_table *t, uint32_t id); /* NULL for 0 or unknown */

/* The text of id 0 (NULL) or of an id names_intern returned, on any
 * thread the id reached after it was interned (with a happens-before: a
 * queue's release and acquire); unlike names_str, it does not read the
 * count the interning thread is writing. */
static inline const char *names_str_of(const struct name_table *t, uint32_t id)
{
    return id ? t->str[id / NAMES_CHUNK][id % NAMES_CHUNK] : NULL;
}

/* A DNS answer at ts (ns): client asked, server address is `name`. */
void names_learn(struct name_table *t, uint8_t family, const uint8_t client[16],
                 const uint8_t server[16], uint32_t name, int64_t ts);

/* The name for server as seen by client (its own answer, else anyone's). */
uint32_t names_lookup(const struct name_table *t, uint8_t family, const uint8_t client[16],
                      const uint8_t server[16]);

/* Whether some DNS answer at or before `before` (INT64_MAX: any so far)
 * gave server the name (any client's: an address serves all the names it
 * was given). */
int names_confirms(const struct name_table *t, uint8_t family, const uint8_t server[16],
                   uint32_t name, int64_t before);

#endif

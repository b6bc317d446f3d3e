/*
 * domain.h - registered domains (example.co.uk for a.b.example.co.uk), from
 * the Public Suffix List of Debian's publicsuffix package through libpsl, so
 * that DNS beacons and tunnels that rotate subdomains form one series.
 */
#ifndef PCTS_DOMAIN_H
#define PCTS_DOMAIN_H

#include <stddef.h>
#include <stdint.h>

struct domains;

/* Load the list (/usr/share/publicsuffix/public_suffix_list.dat; libpsl's
 * built-in copy when that file is missing, with a warning).  0, or -1 with
 * msg set when no list at all is available. */
int domains_open(struct domains **out, char *msg);
/* The same without a word: -1 when no list is at hand (the flow loops'
 * query counts, qdom.h, which a run does without). */
int domains_open_quiet(struct domains **out);

/* The registered domain of name into out (the name itself when it is a
 * public suffix or has a single label).  Returns the length of the part
 * before it (the subdomain, without the dot), or 0 when there is none. */
size_t domains_registered(const struct domains *d, const char *name, char *out, size_t outlen);

void domains_free(struct domains *d);

/*
 * The registered domains of DNS queries as name table ids, for the flow
 * loops (group/qdom.h): a query's registered domain costs libpsl a few
 * hundred nanoseconds, and most queries repeat a name asked before, so
 * the ids are cached by a seeded 64-bit hash of the whole name in a
 * direct-mapped table (a name that collides is looked up again).  The
 * answer is the one domains_registered() gives.
 */
struct name_table;
struct regdom_cache;
/* Takes d; NULL d: NULL. */
struct regdom_cache *regdom_cache_new(struct domains *d, uint64_t seed);
/* The interned registered domain of name, 0 when the name table is full. */
uint32_t regdom_cache_id(struct regdom_cache *c, struct name_table *names, const char *name);
void regdom_cache_free(struct regdom_cache *c);

#endif

/*
 * domain.h - registered domains (example.co.uk for a.b.example.co.uk), from
 * the Public Suffix List of Debian's publicsuffix package through libpsl, so
 * that DNS beacons and tunnels that rotate subdomains form one series.
 */
#ifndef PCTS_DOMAIN_H
#define PCTS_DOMAIN_H

#include <stddef.h>

struct domains;

/* Load the list (/usr/share/publicsuffix/public_suffix_list.dat; libpsl's
 * built-in copy when that file is missing, with a warning).  0, or -1 with
 * msg set when no list at all is available. */
int domains_open(struct domains **out, char *msg);

/* The registered domain of name into out (the name itself when it is a
 * public suffix or has a single label).  Returns the length of the part
 * before it (the subdomain, without the dot), or 0 when there is none. */
size_t domains_registered(const struct domains *d, const char *name, char *out, size_t outlen);

void domains_free(struct domains *d);

#endif

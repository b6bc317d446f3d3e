/*
 * allow.h - known-benign traffic, so that analysts can mark or drop the
 * periodic services every network has (NTP, discovery broadcasts, update
 * checks) and focus on the rest.  Applied at scoring time to any input.
 *
 * One rule per line; '#' starts a comment.  A rule is one or two of:
 *   ADDRESS    an IPv4/IPv6 address or CIDR, matched against the group's
 *              destination (responder); prefix "src=" to match the source
 *   SERVICE    proto/port, proto/lo-hi, proto alone (any port), or a star
 *              for the protocol (any protocol, that port); proto is a name
 *              (tcp, udp, icmp, icmp6, sctp, gre; any case) or, before a
 *              slash, a number (17/53)
 *   NAME       example.com or *.example.com (the star form also matches the
 *              bare domain and every subdomain), matched against the name
 *              pcts learned for the destination (DNS answers, TLS SNI, HTTP
 *              Host); a group without a name never matches a name rule, and
 *              a name only the sender wrote is an unconfirmed match
 * A rule with an address and a service matches when both do.
 * "default" as a file name loads the shipped list (docs/allowlist.md).
 */
#ifndef PCTS_ALLOW_H
#define PCTS_ALLOW_H

#include "../group/group.h"

#include <stddef.h>

struct allow_list;

/* Load the files; 0, or ERR_USAGE/ERR_IO with msg naming file and line. */
int allow_load(struct allow_list **out, const char *const *files, size_t n, char *msg);

/* Load from a string (tests, the built-in default list). */
int allow_load_text(struct allow_list *a, const char *text, const char *name, char *msg);

/*
 * The text of the first rule matching the group, or NULL.  host: its
 * destination's name (or NULL); dns_host: the name a DNS answer in the
 * capture gave its destination (or NULL; host itself when host came from
 * one).  A name rule that matches host alone rests on a TLS SNI or HTTP
 * Host, which the sender writes as it likes (an implant can call itself
 * swcdn.apple.com): such a match is taken only when no rule matches
 * otherwise, and sets *unconfirmed (may be NULL).
 */
const char *allow_match(const struct allow_list *a, const struct group_key *k, const char *host,
                        const char *dns_host, int *unconfirmed);

size_t allow_name_rules(const struct allow_list *a);

void allow_free(struct allow_list *a);

#endif

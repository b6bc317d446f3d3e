/*
 * allow.c - see allow.h.
 */
#include "allow.h"

#include "../util/err.h"
#include "../util/xalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The shipped default list; docs/allowlist.md explains each entry. */
static const char default_list[] = "# pcts default allow list (docs/allowlist.md)\n"
                                   "udp/123          # NTP\n"
                                   "udp/5353         # mDNS\n"
                                   "udp/137-138      # NetBIOS name and datagram service\n"
                                   "udp/1900         # SSDP / UPnP discovery\n"
                                   "udp/67-68        # DHCP\n"
                                   "udp/546-547      # DHCPv6\n"
                                   "udp/5355         # LLMNR\n"
                                   "224.0.0.0/4      # IPv4 multicast\n"
                                   "255.255.255.255  # limited broadcast\n"
                                   "ff00::/8         # IPv6 multicast\n"
                                   "*.windowsupdate.com\n"
                                   "*.update.microsoft.com\n"
                                   "*.ntp.org\n"
                                   "*.apple.com\n"
                                   "*.gvt1.com       # Google update\n";

struct rule {
    char *text;
    int has_addr, src_side;
    uint8_t family, plen;
    uint8_t addr[16];
    int has_proto;
    uint8_t proto;
    int has_ports;
    uint16_t lo, hi;
    char *name; /* name rule (matched once names are known) */
};

struct allow_list {
    struct rule *r;
    size_t n, cap;
    size_t names;
};

static int parse_proto(const char *s, uint8_t *out)
{
    static const struct {
        const char *n;
        uint8_t p;
    } t[] = {{"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"icmp6", 58}, {"sctp", 132}, {"gre", 47}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (!strcasecmp(s, t[i].n)) {
            *out = t[i].p;
            return 0;
        }
    char *end;
    errno = 0;
    if (*s < '0' || *s > '9')
        return -1;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || end == s || v > 255)
        return -1;
    *out = (uint8_t)v;
    return 0;
}

static int parse_port(const char *s, uint16_t *out)
{
    char *end;
    errno = 0;
    if (*s < '0' || *s > '9') /* strtoul would take a sign */
        return -1;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || end == s || v > 65535)
        return -1;
    *out = (uint16_t)v;
    return 0;
}

/* proto/port, proto/lo-hi, proto alone, or a star for any protocol */
static int parse_service(const char *tok, struct rule *r)
{
    char buf[64];
    if (strlen(tok) >= sizeof(buf))
        return -1;
    memcpy(buf, tok, strlen(tok) + 1);
    char *slash = strchr(buf, '/');
    if (slash)
        *slash = '\0';
    if (strcmp(buf, "*")) {
        if (parse_proto(buf, &r->proto))
            return -1;
        r->has_proto = 1;
    }
    if (!slash)
        return r->has_proto ? 0 : -1;
    char *ports = slash + 1;
    if (!strcmp(ports, "*"))
        return 0;
    char *dash = strchr(ports, '-');
    if (dash)
        *dash = '\0';
    if (parse_port(ports, &r->lo))
        return -1;
    r->hi = r->lo;
    if (dash && (parse_port(dash + 1, &r->hi) || r->hi < r->lo))
        return -1;
    r->has_ports = 1;
    return 0;
}

static int parse_addr(const char *tok, struct rule *r)
{
    char buf[INET6_ADDRSTRLEN + 8];
    if (!strncmp(tok, "src=", 4)) {
        r->src_side = 1;
        tok += 4;
    }
    if (strlen(tok) >= sizeof(buf))
        return -1;
    memcpy(buf, tok, strlen(tok) + 1);
    char *slash = strchr(buf, '/');
    if (slash)
        *slash = '\0';
    memset(r->addr, 0, 16);
    if (inet_pton(AF_INET, buf, r->addr) == 1)
        r->family = 4;
    else if (inet_pton(AF_INET6, buf, r->addr) == 1)
        r->family = 6;
    else
        return -1;
    unsigned max = r->family == 4 ? 32 : 128;
    r->plen = (uint8_t)max;
    if (slash) {
        char *end;
        errno = 0;
        if (slash[1] < '0' || slash[1] > '9')
            return -1;
        unsigned long v = strtoul(slash + 1, &end, 10);
        if (errno || *end || end == slash + 1 || v > max)
            return -1;
        r->plen = (uint8_t)v;
    }
    r->has_addr = 1;
    return 0;
}

static int looks_like_name(const char *t)
{
    if (!strncmp(t, "*.", 2))
        return 1; /* checked by name_ok */
    int letters = 0, dots = 0;
    for (; *t; t++) {
        if (*t == '.')
            dots++;
        else if ((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') || *t == '-' || *t == '_' ||
                 *t == '\\') /* a \DDD escape (name_ok) */
            letters++;
        else if (!(*t >= '0' && *t <= '9'))
            return 0;
    }
    return letters && dots;
}

/* A name rule as written, kept without its final dot (`www.example.com.`,
 * as dig prints it, had matched nothing): labels of letters, digits, '-',
 * '_' and \DDD escapes (a byte 0-255, as pcts prints a DNS name's other
 * bytes, names.h: a name copied from its output), after one leading "*."
 * at most.  NULL if it is none. */
static char *name_ok(const char *tok)
{
    const char *t = strncmp(tok, "*.", 2) ? tok : tok + 2;
    size_t n = strlen(t);
    if (n && t[n - 1] == '.')
        n--;
    if (!n || t[0] == '.')
        return NULL;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (c == '\\') { /* three digits, all before the final dot dropped */
            const char *d = t + i + 1;
            if (i + 3 >= n || d[0] < '0' || d[0] > '2' || d[1] < '0' || d[1] > '9' || d[2] < '0' ||
                d[2] > '9' || (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0') > 255)
                return NULL;
            i += 3;
            continue;
        }
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || (c == '.' && t[i + 1] != '.');
        if (!ok)
            return NULL;
    }
    size_t keep = (size_t)(t - tok) + n;
    char *r = xmalloc(keep + 1);
    memcpy(r, tok, keep);
    r[keep] = '\0';
    return r;
}

int allow_load_text(struct allow_list *a, const char *text, const char *name, char *msg)
{
    unsigned lineno = 0;
    const char *p = text;
    if (!strncmp(p, "\xEF\xBB\xBF", 3)) /* a UTF-8 byte order mark (Windows editors) */
        p += 3;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        lineno++;
        char line[512];
        if (len >= sizeof(line)) {
            errmsg_set(msg, "'%s' line %u: line too long", name, lineno);
            return ERR_USAGE;
        }
        memcpy(line, p, len);
        line[len] = '\0';
        p += len + (eol ? 1 : 0);
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        struct rule r;
        memset(&r, 0, sizeof(r));
        int tokens = 0;
        char *save = NULL;
        for (char *tok = strtok_r(line, " \t\r", &save); tok;
             tok = strtok_r(NULL, " \t\r", &save)) {
            tokens++;
            const char *twice = NULL; /* a second part of a kind: which */
            int ok;
            if (strchr(tok, '/') && !strchr(tok, '.') && !strchr(tok, ':')) {
                twice = r.has_proto || r.has_ports ? "service" : NULL;
                ok = !twice && parse_service(tok, &r) == 0;
            } else if (!strcasecmp(tok, "tcp") || !strcasecmp(tok, "udp") ||
                       !strcasecmp(tok, "icmp") || !strcasecmp(tok, "icmp6") ||
                       !strcasecmp(tok, "sctp") || !strcasecmp(tok, "gre")) {
                twice = r.has_proto || r.has_ports ? "service" : NULL;
                ok = !twice && parse_service(tok, &r) == 0;
            } else if (looks_like_name(tok)) {
                twice = r.name || r.has_addr ? "address or name" : NULL;
                ok = !twice && (r.name = name_ok(tok)) != NULL;
            } else {
                twice = r.name || r.has_addr ? "address or name" : NULL;
                ok = !twice && parse_addr(tok, &r) == 0;
            }
            if (!ok) {
                free(r.name);
                if (twice)
                    errmsg_set(msg,
                               "'%s' line %u: '%s' is a second %s in one rule (a rule has one "
                               "address or name, and one service, and matches when both do): "
                               "put it on a line of its own",
                               name, lineno, tok, twice);
                else
                    errmsg_set(msg,
                               "'%s' line %u: cannot read '%s' (expected an IP or CIDR, "
                               "proto/port such as udp/123, or a name such as *.example.com)",
                               name, lineno, tok);
                return ERR_USAGE;
            }
        }
        if (!tokens)
            continue;
        /* the rule's text for output: the line without comment, trimmed */
        char *start = line;
        memcpy(line, p - len - (eol ? 1 : 0), len);
        line[len] = '\0';
        if ((hash = strchr(line, '#')))
            *hash = '\0';
        while (*start == ' ' || *start == '\t')
            start++;
        size_t tl = strlen(start);
        while (tl && (start[tl - 1] == ' ' || start[tl - 1] == '\t' || start[tl - 1] == '\r'))
            start[--tl] = '\0';
        r.text = xstrdup(start);
        if (r.name)
            a->names++;
        ALLOC_GROW(a->r, a->n + 1, a->cap);
        a->r[a->n++] = r;
    }
    return 0;
}

int allow_load(struct allow_list **out, const char *const *files, size_t n, char *msg)
{
    struct allow_list *a = xcalloc(1, sizeof(*a));
    for (size_t i = 0; i < n; i++) {
        int rc;
        if (!strcmp(files[i], "default")) {
            rc = allow_load_text(a, default_list, "default allow list", msg);
        } else {
            FILE *f = fopen(files[i], "r");
            if (!f) {
                errmsg_set(msg, "cannot open allow list '%s': %s", files[i], strerror(errno));
                allow_free(a);
                return ERR_IO;
            }
            char *text = NULL;
            size_t len = 0, cap = 0;
            char buf[4096];
            size_t got;
            while ((got = fread(buf, 1, sizeof(buf), f)) > 0) {
                ALLOC_GROW(text, len + got + 1, cap);
                memcpy(text + len, buf, got);
                len += got;
            }
            int err = ferror(f);
            fclose(f);
            if (err) {
                free(text);
                errmsg_set(msg, "cannot read allow list '%s'", files[i]);
                allow_free(a);
                return ERR_IO;
            }
            if (!text)
                text = xstrdup("");
            else
                text[len] = '\0';
            rc = allow_load_text(a, text, files[i], msg);
            free(text);
        }
        if (rc) {
            allow_free(a);
            return rc;
        }
    }
    *out = a;
    return 0;
}

static int prefix_match(const uint8_t *a, const uint8_t *net, unsigned plen)
{
    unsigned full = plen / 8, rest = plen % 8;
    if (memcmp(a, net, full))
        return 0;
    if (!rest)
        return 1;
    uint8_t mask = (uint8_t)(0xFF << (8 - rest));
    return (a[full] & mask) == (net[full] & mask);
}

/* example.com matches example.com; *.example.com matches it and any
 * subdomain (case-insensitive: names are stored lowercase). */
static int name_match(const char *rule, const char *host)
{
    if (!host)
        return 0;
    if (!strncmp(rule, "*.", 2)) {
        const char *dom = rule + 2;
        size_t hl = strlen(host), dl = strlen(dom);
        if (hl == dl)
            return !strcasecmp(host, dom);
        return hl > dl && host[hl - dl - 1] == '.' && !strcasecmp(host + hl - dl, dom);
    }
    return !strcasecmp(rule, host);
}

/* Whether r's address and service parts, where it has them, match k. */
static int rest_match(const struct rule *r, const struct group_key *k)
{
    if (r->has_addr &&
        (r->family != k->family || !prefix_match(r->src_side ? k->src : k->dst, r->addr, r->plen)))
        return 0;
    if (r->has_proto && (k->proto != r->proto))
        return 0;
    if (r->has_ports && (!k->has_port || k->dport < r->lo || k->dport > r->hi))
        return 0;
    return 1;
}

const char *allow_match(const struct allow_list *a, const struct group_key *k, const char *host,
                        const char *dns_host, int *unconfirmed)
{
    const char *weak = NULL; /* the first rule matching on the sender's name alone */
    if (unconfirmed)
        *unconfirmed = 0;
    for (size_t i = 0; i < a->n; i++) {
        const struct rule *r = &a->r[i];
        if (r->name) {
            int confirmed = name_match(r->name, dns_host);
            if ((!confirmed && !name_match(r->name, host)) || !rest_match(r, k))
                continue;
            if (confirmed)
                return r->text;
            if (!weak)
                weak = r->text;
            continue;
        }
        if (r->has_addr && !r->src_side && k->dst_name)
            continue; /* the group's destination is a name: no address to compare */
        if (!r->has_addr && !r->has_proto && !r->has_ports)
            continue;
        if (rest_match(r, k))
            return r->text;
    }
    if (weak && unconfirmed)
        *unconfirmed = 1;
    return weak;
}

size_t allow_name_rules(const struct allow_list *a)
{
    return a ? a->names : 0;
}

void allow_free(struct allow_list *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++) {
        free(a->r[i].text);
        free(a->r[i].name);
    }
    free(a->r);
    free(a);
}

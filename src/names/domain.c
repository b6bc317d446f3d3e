/*
 * domain.c - see domain.h.
 */
#include "domain.h"

#include "../decode/names.h"
#include "../util/err.h"
#include "../util/hashbytes.h"
#include "../util/u64set.h"
#include "nametab.h"
#include "../util/xalloc.h"

#include <libpsl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PSL_FILE "/usr/share/publicsuffix/public_suffix_list.dat"
#define PSL_DAFSA "/usr/share/publicsuffix/public_suffix_list.dafsa"

struct domains {
    const psl_ctx_t *psl;
    psl_ctx_t *owned; /* loaded from the file: psl_free needed */
};

static int open_list(struct domains **out, int quiet, char *msg)
{
    struct domains *d = xcalloc(1, sizeof(*d));
    /* quiet (the flow loops' query counts, which every run with DNS
     * queries opens): the list as Debian also ships it compiled (a DAFSA),
     * loaded in half a millisecond where the text takes ten; libpsl's
     * lookups in it are slower, but the cache (regdom_cache) makes few */
    if (quiet)
        d->owned = psl_load_file(PSL_DAFSA);
    if (!d->owned)
        d->owned = psl_load_file(PSL_FILE);
    if (d->owned) {
        d->psl = d->owned;
    } else {
        d->psl = psl_builtin();
        if (!d->psl) {
            free(d);
            if (msg)
                errmsg_set(msg,
                           "--group dns needs the Public Suffix List: '%s' is missing (install "
                           "Debian's publicsuffix package)",
                           PSL_FILE);
            return -1;
        }
        if (!quiet)
            warnx_("warning: '%s' not found; using libpsl's built-in Public Suffix List", PSL_FILE);
    }
    *out = d;
    return 0;
}

int domains_open(struct domains **out, char *msg)
{
    return open_list(out, 0, msg);
}

int domains_open_quiet(struct domains **out)
{
    return open_list(out, 1, NULL);
}

size_t domains_registered(const struct domains *d, const char *name, char *out, size_t outlen)
{
    const char *reg = psl_registrable_domain(d->psl, name);
    if (!reg || !*reg)
        reg = name; /* a public suffix itself, or a single label */
    snprintf(out, outlen, "%s", reg);
    size_t nl = strlen(name), rl = strlen(reg);
    return nl > rl + 1 ? nl - rl - 1 : 0;
}

void domains_free(struct domains *d)
{
    if (!d)
        return;
    if (d->owned)
        psl_free(d->owned);
    free(d);
}

#define REGDOM_SLOTS 4096      /* names, and parents: 48 KiB each */
#define REGDOM_SELF UINT32_MAX /* a parent's children are their own registered domains */

/* Byte classes of cacheable_parent: in a label, a dot, anything else (NUL
 * included). */
enum { CB_OTHER, CB_LABEL, CB_DOT };

struct regdom_cache {
    struct domains *d; /* owned */
    uint64_t seed;
    uint64_t h[REGDOM_SLOTS]; /* a whole name's hash | 1; 0: empty */
    uint32_t id[REGDOM_SLOTS];
    uint64_t ph[REGDOM_SLOTS];  /* a parent's hash | 1; 0: empty */
    uint32_t pid[REGDOM_SLOTS]; /* its children's registered domain, or REGDOM_SELF */
    /* the hashes of the parents of the list's rules and exceptions; rp_ok
     * 0: the list's text could not be read, no parent is cached */
    struct u64set rp;
    int rp_ok;
    uint8_t cls[256]; /* each byte's CB_* class (cacheable_parent) */
};

/*
 * The parent cache.  A name's registered domain is the public suffix its
 * longest matching rule gives plus one label.  For the children c of a
 * parent p that is no rule's parent (no rule or exception is "c" for any
 * c, nor a wildcard "*.c", whose base libpsl takes for a suffix too; a
 * wildcard "*.p" makes every child a suffix alike), the rules that
 * match c are the ones that match p: so either every child is its own
 * registered domain (p, or every child, a public suffix), or every child's
 * is p's.  The first child looked up tells which, for all of them: a
 * tunnel's random names under one domain cost libpsl once, not a lookup
 * each.  Parents of rules (p = "com", parent of "blogspot.com"), names
 * with bytes the rules are not written in (upper case, escapes) and
 * punycode (the list's IDN rules are written in UTF-8) go to libpsl.
 */
/* The rules' parents from the list's text, which Debian's publicsuffix
 * package builds its compiled list from (the two are checked against each
 * other in test_nametab.c): a rule is a line's first word, "//" lines are
 * comments. */
static void read_rule_parents(struct regdom_cache *c)
{
    FILE *f = fopen(PSL_FILE, "r");
    if (!f)
        return;
    u64set_init(&c->rp, SIZE_MAX);
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        char *r = line;
        r[strcspn(r, " \t\r\n")] = '\0';
        if (!*r || (r[0] == '/' && r[1] == '/'))
            continue;
        if (r[0] == '!')
            r++; /* an exception: a child of its parent unlike the others */
        else if (r[0] == '*' && r[1] == '.')
            r += 2; /* a wildcard: every child of its base alike, and the base a
                       suffix itself to libpsl (a child of its own parent unlike
                       the others: compute.amazonaws.com.cn) */
        const char *dot = strchr(r, '.');
        if (dot && dot[1])
            (void)u64set_add(&c->rp, hash_bytes(dot + 1, strlen(dot + 1), c->seed));
    }
    c->rp_ok = !ferror(f); /* a list half read: no parent is cached */
    fclose(f);
}

struct regdom_cache *regdom_cache_new(struct domains *d, uint64_t seed)
{
    if (!d)
        return NULL;
    struct regdom_cache *c = xcalloc(1, sizeof(*c));
    c->d = d;
    c->seed = seed;
    for (int ch = 0; ch < 256; ch++)
        c->cls[ch] = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'
                         ? CB_LABEL
                     : ch == '.' ? CB_DOT
                                 : CB_OTHER;
    if (d->owned) /* a list from the files, not libpsl's built-in one */
        read_rule_parents(c);
    return c;
}

/* The parent of name when its children may share a cached answer: name is
 * lower-case letters, digits, '-' and '_' in two labels or more, none of
 * them empty or punycode ("xn--"); NULL otherwise.  One table lookup a
 * byte: a branch on each byte's kind was a fifth of a run over 400 k
 * tunnel queries (perf). */
static const char *cacheable_parent(const uint8_t *cls, const char *name)
{
    const unsigned char *p = (const unsigned char *)name;
    const char *dot = NULL;
    int start = 1; /* at a label's first byte */
    for (;; p++) {
        uint8_t k = cls[*p];
        if (k == CB_LABEL) {
            if (start && p[0] == 'x' && p[1] == 'n' && p[2] == '-' && p[3] == '-')
                return NULL;
            start = 0;
        } else if (k == CB_DOT) {
            if (start)
                return NULL; /* an empty label */
            if (!dot)
                dot = (const char *)p;
            start = 1;
        } else {
            break;
        }
    }
    if (*p || start)
        return NULL; /* a byte of no label, or a trailing dot */
    return dot ? dot + 1 : NULL;
}

uint32_t regdom_cache_id(struct regdom_cache *c, struct name_table *names, const char *name)
{
    size_t len = strlen(name);
    char reg[DNS_TEXT_MAX + 1];
    uint32_t id;
    /* by its parent when its siblings share the answer: one hash, and a
     * tunnel's names never seen before hit */
    const char *parent = c->rp_ok ? cacheable_parent(c->cls, name) : NULL;
    if (parent) {
        uint64_t ph = hash_bytes(parent, len - (size_t)(parent - name), c->seed);
        size_t pi = (size_t)(ph >> 40) & (REGDOM_SLOTS - 1);
        if (!u64set_has(&c->rp, ph)) {
            ph |= 1; /* the parent cache's empty slots are 0 */
            if (c->ph[pi] == ph)
                return c->pid[pi] == REGDOM_SELF ? names_intern(names, name) : c->pid[pi];
            (void)domains_registered(c->d, name, reg, sizeof(reg));
            id = names_intern(names, reg);
            if (id) { /* not when the table is full: a later lookup may find room */
                c->ph[pi] = ph;
                c->pid[pi] = strcmp(reg, name) ? id : REGDOM_SELF;
            }
            return id;
        }
    }
    /* else by the whole name */
    uint64_t h = hash_bytes(name, len, c->seed) | 1;
    size_t i = (size_t)(h >> 40) & (REGDOM_SLOTS - 1);
    if (c->h[i] == h)
        return c->id[i];
    (void)domains_registered(c->d, name, reg, sizeof(reg));
    id = names_intern(names, reg);
    if (id) {
        c->h[i] = h;
        c->id[i] = id;
    }
    return id;
}

void regdom_cache_free(struct regdom_cache *c)
{
    if (!c)
        return;
    domains_free(c->d);
    u64set_release(&c->rp);
    free(c);
}

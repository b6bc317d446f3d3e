/*
 * domain.c - see domain.h.
 */
#include "domain.h"

#include "../util/err.h"
#include "../util/xalloc.h"

#include <libpsl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PSL_FILE "/usr/share/publicsuffix/public_suffix_list.dat"

struct domains {
    const psl_ctx_t *psl;
    psl_ctx_t *owned; /* loaded from the file: psl_free needed */
};

int domains_open(struct domains **out, char *msg)
{
    struct domains *d = xcalloc(1, sizeof(*d));
    d->owned = psl_load_file(PSL_FILE);
    if (d->owned) {
        d->psl = d->owned;
    } else {
        d->psl = psl_builtin();
        if (!d->psl) {
            free(d);
            errmsg_set(msg,
                       "--group dns needs the Public Suffix List: '%s' is missing (install "
                       "Debian's publicsuffix package)",
                       PSL_FILE);
            return -1;
        }
        warnx_("warning: '%s' not found; using libpsl's built-in Public Suffix List", PSL_FILE);
    }
    *out = d;
    return 0;
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

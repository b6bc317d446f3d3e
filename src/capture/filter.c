/*
 * filter.c - see filter.h.
 */
#include "filter.h"

#include "../util/err.h"
#include "../util/xalloc.h"

#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

struct compiled {
    uint32_t linktype;
    int ok;
    struct bpf_program prog;
};

struct filter {
    char *expr;
    struct compiled *c;
    size_t n, cap;
    size_t last; /* cache: index of the last link type used */
};

/* File LINKTYPE_ values differ from libpcap's DLT_ values for a few types. */
static int linktype_to_dlt(uint32_t lt)
{
    switch (lt) {
    case 100: return DLT_ATM_RFC1483;
    case 101: return DLT_RAW;
    case 102: return DLT_SLIP_BSDOS;
    case 103: return DLT_PPP_BSDOS;
    default: return (int)lt;
    }
}

static int compile_for(const char *expr, uint32_t lt, struct bpf_program *prog, char *msg)
{
    pcap_t *p = pcap_open_dead_with_tstamp_precision(linktype_to_dlt(lt), 262144,
                                                     PCAP_TSTAMP_PRECISION_NANO);
    if (!p) {
        errmsg_set(msg, "libpcap cannot create a handle for link type %u", lt);
        return -1;
    }
    int rc = pcap_compile(p, prog, expr, 1, PCAP_NETMASK_UNKNOWN);
    if (rc != 0)
        errmsg_set(msg, "%s", pcap_geterr(p));
    pcap_close(p);
    return rc == 0 ? 0 : -1;
}

int filter_new(struct filter **out, const char *expr, char *msg)
{
    *out = NULL;
    struct bpf_program prog;
    char m2[ERRMSG_MAX];
    /* Valid for Ethernet or for raw IP: good enough to be a real filter. */
    if (compile_for(expr, 1, &prog, m2) && compile_for(expr, 101, &prog, msg)) {
        errmsg_set(msg, "invalid filter '%s': %s", expr, m2);
        return ERR_USAGE;
    }
    pcap_freecode(&prog);
    struct filter *f = xcalloc(1, sizeof(*f));
    f->expr = xstrdup(expr);
    *out = f;
    return 0;
}

static struct compiled *get(struct filter *f, uint32_t lt)
{
    if (f->n && f->c[f->last].linktype == lt)
        return &f->c[f->last];
    for (size_t i = 0; i < f->n; i++)
        if (f->c[i].linktype == lt) {
            f->last = i;
            return &f->c[i];
        }
    ALLOC_GROW(f->c, f->n + 1, f->cap);
    struct compiled *c = &f->c[f->n];
    char msg[ERRMSG_MAX];
    c->linktype = lt;
    c->ok = compile_for(f->expr, lt, &c->prog, msg) == 0;
    if (!c->ok)
        warnx_("warning: filter '%s' cannot apply to link type %u: %s; packets of that link type "
               "are counted as filtered",
               f->expr, lt, msg);
    f->last = f->n++;
    return c;
}

int filter_match(struct filter *f, const struct pkt *p)
{
    struct compiled *c = get(f, p->linktype);
    if (!c->ok)
        return 0;
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof(h));
    h.caplen = p->caplen;
    h.len = p->wirelen;
    return pcap_offline_filter(&c->prog, &h, p->data) != 0;
}

void filter_free(struct filter *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++)
        if (f->c[i].ok)
            pcap_freecode(&f->c[i].prog);
    free(f->c);
    free(f->expr);
    free(f);
}

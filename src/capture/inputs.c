/*
 * inputs.c - see inputs.h.
 */
#include "inputs.h"

#include "../util/err.h"
#include "../util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Up to this many inputs stay open from the probe on; more are reopened
 * lazily.  Non-regular files (stdin, pipes) always stay open: they cannot
 * be read twice. */
#define KEEP_OPEN_MAX 4

enum in_state { IN_PENDING, IN_OPEN, IN_DONE };

struct input {
    const char *path;
    struct reader *r;
    enum in_state state;
    int readable;
    int64_t first_ts;
    uint64_t raw_size, raw_done;
    struct pkt cur;
    char format[32];
};

struct inputs {
    struct input *in;
    size_t n;
    size_t *heap; /* indices of IN_OPEN inputs, min-heap on (cur.ts_ns, index) */
    size_t heap_n;
    size_t *pending; /* IN_PENDING inputs sorted by (first_ts, index) */
    size_t pending_n, pending_pos;
    long last; /* input whose record was returned last, -1 if none */
    int ts_digits;
    struct reader_notes notes;
    uint64_t dups; /* records equal to another input's (inputs_duplicates) */
    inputs_err_cb cb;
    void *ctx;
    char msg[ERRMSG_MAX];
};

static int before(const struct inputs *s, size_t a, size_t b)
{
    int64_t ta = s->in[a].cur.ts_ns, tb = s->in[b].cur.ts_ns;
    return ta < tb || (ta == tb && a < b);
}

static void sift_down(struct inputs *s, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < s->heap_n && before(s, s->heap[l], s->heap[m]))
            m = l;
        if (l + 1 < s->heap_n && before(s, s->heap[l + 1], s->heap[m]))
            m = l + 1;
        if (m == i)
            return;
        size_t t = s->heap[i];
        s->heap[i] = s->heap[m];
        s->heap[m] = t;
        i = m;
    }
}

static void heap_push(struct inputs *s, size_t idx)
{
    size_t i = s->heap_n++;
    s->heap[i] = idx;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(s, s->heap[i], s->heap[parent]))
            break;
        size_t t = s->heap[i];
        s->heap[i] = s->heap[parent];
        s->heap[parent] = t;
        i = parent;
    }
}

static void heap_pop(struct inputs *s)
{
    s->heap[0] = s->heap[--s->heap_n];
    if (s->heap_n)
        sift_down(s, 0);
}

static void add_notes(struct reader_notes *t, const struct reader_notes *n)
{
    t->spb_no_timestamp += n->spb_no_timestamp;
    t->bad_ts_fraction += n->bad_ts_fraction;
    t->ts_overflow += n->ts_overflow;
    t->caplen_over_snaplen += n->caplen_over_snaplen;
    t->caplen_over_wirelen += n->caplen_over_wirelen;
    t->skipped_blocks += n->skipped_blocks;
    t->reserved_linktype_bits += n->reserved_linktype_bits;
}

static void close_input(struct inputs *s, struct input *in, int done)
{
    if (in->r) {
        int d = reader_ts_digits(in->r);
        if (d > s->ts_digits)
            s->ts_digits = d;
        if (done) {
            add_notes(&s->notes, reader_notes(in->r));
            in->raw_done = reader_raw_pos(in->r);
        }
        reader_free(in->r);
        in->r = NULL;
    }
    if (done)
        in->state = IN_DONE;
}

/* Read the next record of an open input; 1 if it has one. */
static int advance(struct inputs *s, struct input *in)
{
    int rc = reader_next(in->r, &in->cur, s->msg);
    if (rc == 1)
        return 1;
    if (rc < 0)
        s->cb(s->ctx, in->path, rc, s->msg, 1);
    close_input(s, in, 1);
    return 0;
}

static int open_input(struct inputs *s, struct input *in)
{
    int rc = reader_open(&in->r, in->path, s->msg);
    if (rc) {
        s->cb(s->ctx, in->path, rc, s->msg, 0);
        in->state = IN_DONE;
        return 0;
    }
    in->readable = 1;
    in->raw_size = reader_raw_size(in->r);
    snprintf(in->format, sizeof(in->format), "%s", reader_format(in->r));
    in->state = IN_OPEN;
    return 1;
}

static const struct inputs *sort_ctx;
static int cmp_pending(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int64_t tx = sort_ctx->in[x].first_ts, ty = sort_ctx->in[y].first_ts;
    if (tx != ty)
        return tx < ty ? -1 : 1;
    return x < y ? -1 : (x > y);
}

struct inputs *inputs_new(char *const *paths, size_t n, inputs_err_cb cb, void *ctx)
{
    struct inputs *s = xcalloc(1, sizeof(*s));
    s->in = xcalloc(n, sizeof(*s->in));
    s->heap = xcalloc(n, sizeof(size_t));
    s->pending = xcalloc(n, sizeof(size_t));
    s->n = n;
    s->cb = cb;
    s->ctx = ctx;
    s->last = -1;
    for (size_t i = 0; i < n; i++) {
        struct input *in = &s->in[i];
        in->path = paths[i];
        if (!open_input(s, in))
            continue;
        if (!advance(s, in))
            continue; /* empty capture or first record damaged */
        in->first_ts = in->cur.ts_ns;
        /* standard input cannot be read twice, even when it is a file */
        if (n <= KEEP_OPEN_MAX || in->raw_size == 0 || !strcmp(in->path, "-")) {
            heap_push(s, i);
        } else {
            close_input(s, in, 0);
            in->state = IN_PENDING;
            s->pending[s->pending_n++] = i;
        }
    }
    sort_ctx = s;
    qsort(s->pending, s->pending_n, sizeof(size_t), cmp_pending);
    sort_ctx = NULL;
    return s;
}

/* The next record of the merge by time over several inputs. */
static int merge_next(struct inputs *s, struct pkt *p)
{
    if (s->last >= 0) {
        struct input *in = &s->in[s->last];
        s->last = -1;
        if (advance(s, in))
            sift_down(s, 0); /* it is still at the top of the heap */
        else
            heap_pop(s);
    }
    while (s->pending_pos < s->pending_n) {
        size_t idx = s->pending[s->pending_pos];
        struct input *in = &s->in[idx];
        if (s->heap_n && s->in[s->heap[0]].cur.ts_ns < in->first_ts)
            break;
        s->pending_pos++;
        if (open_input(s, in) && advance(s, in))
            heap_push(s, idx);
    }
    if (!s->heap_n)
        return 0;
    size_t top = s->heap[0];
    *p = s->in[top].cur;
    s->last = (long)top;
    /* The record after this one is a child of the heap's root: another
     * input's same record (same time, lengths and bytes) is there. */
    for (size_t k = 1; k <= 2 && k < s->heap_n; k++) {
        const struct pkt *q = &s->in[s->heap[k]].cur;
        if (q->ts_ns == p->ts_ns && q->caplen == p->caplen && q->wirelen == p->wirelen &&
            q->linktype == p->linktype && !memcmp(q->data, p->data, p->caplen)) {
            s->dups++;
            break;
        }
    }
    return 1;
}

uint64_t inputs_duplicates(const struct inputs *s)
{
    return s->dups;
}

int inputs_next_batch(struct inputs *s, struct pkt *p, size_t max, size_t *n)
{
    *n = 0;
    if (!max) /* nothing asked, nothing read (as reader_next_batch) */
        return 1;
    /* One input left and none to open: no merge, read straight into p (the
     * heap bookkeeping was as costly as reading the record), a batch of
     * its reader's at a time. */
    if (s->last >= 0 && s->heap_n == 1 && s->pending_pos == s->pending_n) {
        struct input *in = &s->in[s->last];
        int rc = reader_next_batch(in->r, p, max, n, s->msg);
        if (rc == 1)
            return 1;
        if (rc < 0)
            s->cb(s->ctx, in->path, rc, s->msg, 1);
        close_input(s, in, 1);
        heap_pop(s);
        s->last = -1;
        return 0;
    }
    /* merging inputs: a record at a time (each input's next record is read
     * ahead, which a batch's records must not outlive) */
    if (!merge_next(s, p))
        return 0;
    *n = 1;
    return 1;
}

int inputs_next(struct inputs *s, struct pkt *p)
{
    size_t n;
    return inputs_next_batch(s, p, 1, &n);
}

size_t inputs_decompressing(const struct inputs *s)
{
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->in[i].r && reader_compressed(s->in[i].r))
            k++;
    return k;
}

void inputs_progress(const struct inputs *s, uint64_t *done, uint64_t *total)
{
    uint64_t d = 0, t = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct input *in = &s->in[i];
        t += in->raw_size;
        if (in->r)
            d += reader_raw_pos(in->r);
        else if (in->state == IN_DONE)
            d += in->raw_done ? in->raw_done : in->raw_size;
    }
    *done = d > t && t ? t : d;
    *total = t;
}

int inputs_ts_digits(const struct inputs *s)
{
    int d = s->ts_digits;
    for (size_t i = 0; i < s->n; i++)
        if (s->in[i].r && reader_ts_digits(s->in[i].r) > d)
            d = reader_ts_digits(s->in[i].r);
    return d ? d : 6;
}

size_t inputs_readable(const struct inputs *s)
{
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++)
        k += (size_t)s->in[i].readable;
    return k;
}

const struct reader_notes *inputs_notes(const struct inputs *s)
{
    return &s->notes;
}

const char *inputs_last_path(const struct inputs *s)
{
    return s->last >= 0 ? s->in[s->last].path : NULL;
}

size_t inputs_count(const struct inputs *s)
{
    return s->n;
}

const char *inputs_format(const struct inputs *s, size_t i, const char **path)
{
    *path = s->in[i].path;
    return s->in[i].readable ? s->in[i].format : NULL;
}

void inputs_free(struct inputs *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        if (s->in[i].r)
            reader_free(s->in[i].r);
    free(s->in);
    free(s->heap);
    free(s->pending);
    free(s);
}

/*
 * source.c - see source.h.
 *
 * Plain input (a regular file or a pipe) is read with read(2) in 1 MiB
 * chunks into one buffer that the reader walks in place; a 1 MiB
 * read loop runs at memory speed, which is all a sequential scan needs
 * (bytesrc_open says why files are not mapped).  gzip goes through
 * ISA-L's inflate where the build has it (PCTS_HAVE_ISAL; Debian's libisal on amd64 and arm64),
 * else zlib's: several concatenated members are one stream, as gzip(1) treats them.  ISA-L
 * inflates the 10 M-packet bench file (800 MB, gzip -1) in 1.29-1.35 s where zlib takes
 * 2.19-2.32 (256 KiB in, 1 MiB out), and the decompressor is what a compressed capture's
 * analysis waits for (docs/performance.md).  Both paths follow the same rules and refuse the
 * same damage with the same status (test_reader.c compares them); the reason after the message's
 * colon is each library's own.  zstd goes through the streaming decoder of libzstd (concatenated
 * frames likewise).
 */
#include "source.h"

#include "../util/err.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#ifdef PCTS_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#define SRC_BUF_MIN (1u << 20)
#define SRC_IN_BUF (1u << 18)

/*
 * Compressed input is decompressed on its own thread: the producer runs a
 * private decompressing source and hands 1 MiB chunks through a small
 * bounded queue; the consumer (the packet loop) only copies them.  So
 * decompression overlaps parsing and grouping on another core.  A full
 * chunk is the producer's decompression buffer itself, handed over whole
 * (the producer continues in a spare one): copying each chunk out of it
 * was 3.6% of a zstd run's CPU (perf), plus a 1 MiB malloc and free each.
 * Spare buffers come back from the consumer once it has copied them.
 */
#define PIPE_CHUNK (1u << 20)
#define PIPE_DEPTH 4
#define PIPE_SPARE (PIPE_DEPTH + 2) /* buffers in circulation: queue, consumer, producer */

struct chunk {
    uint8_t *data; /* owned; PIPE_CHUNK bytes when cap says so (recyclable) */
    size_t cap;
    size_t len, off;  /* valid bytes: data[off, len) */
    uint64_t raw_pos; /* compressed bytes read when this chunk was made */
    int end;          /* last chunk: 0 clean end, < 0 error (msg) */
    int last;
    char msg[ERRMSG_MAX];
};

struct pipeline {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t can_put, can_get;
    struct chunk q[PIPE_DEPTH];
    size_t head, count;
    uint8_t *spare[PIPE_SPARE]; /* recycled PIPE_CHUNK buffers */
    size_t nspare;
    int stop;
    struct bytesrc *dec; /* owned by the producer thread while it runs */
    struct chunk cur;    /* consumer's partly used chunk */
    int have_cur, done;
};

struct bytesrc {
    int fd;
    struct pipeline *pipe; /* compressed input: the producer thread */
    enum src_kind kind;
    const char *name; /* borrowed, for messages */
    uint8_t *buf;
    size_t cap, start, end; /* valid bytes: buf[start, end) */
    uint64_t pos;           /* stream offset of buf[start] */
    uint64_t raw_pos, raw_size;
    int eof; /* nothing more will be appended to buf */
    int err; /* a read/decompression error, reported once the data before it is used */
    char errmsg[ERRMSG_MAX];

    /* compressed input staging */
    uint8_t *in;
    size_t in_start, in_end;
    int in_eof;
    z_stream z;
    int z_init, z_member_done;
#ifdef PCTS_HAVE_ISAL
    struct inflate_state *isal;       /* gzip through ISA-L, else through z */
    struct isal_gzip_header isal_hdr; /* the member's header, read across calls */
#endif
    /* memory input instead of fd */
    const uint8_t *mem;
    size_t mem_len, mem_pos;
    ZSTD_DStream *zs;
    int zs_frame_open;
};

static int read_raw(struct bytesrc *s, uint8_t *dst, size_t n, size_t *got, char *msg)
{
    if (s->mem) {
        size_t k = s->mem_len - s->mem_pos;
        if (k > n)
            k = n;
        memcpy(dst, s->mem + s->mem_pos, k);
        s->mem_pos += k;
        s->raw_pos += k;
        *got = k;
        return 0;
    }
    for (;;) {
        ssize_t r = read(s->fd, dst, n);
        if (r >= 0) {
            *got = (size_t)r;
            s->raw_pos += (uint64_t)r;
            return 0;
        }
        if (errno == EINTR)
            continue;
        errmsg_set(msg, "cannot read '%s' at byte %llu: %s", s->name,
                   (unsigned long long)s->raw_pos, strerror(errno));
        return ERR_IO;
    }
}

/* Read n bytes exactly unless the file ends (used for the magic sniff). */
static int read_full(struct bytesrc *s, uint8_t *dst, size_t n, size_t *got, char *msg)
{
    size_t have = 0;
    while (have < n) {
        size_t g;
        int rc = read_raw(s, dst + have, n - have, &g, msg);
        if (rc)
            return rc;
        if (g == 0)
            break;
        have += g;
    }
    *got = have;
    return 0;
}

static int refill_in(struct bytesrc *s, char *msg)
{
    if (s->in_start < s->in_end || s->in_eof)
        return 0;
    size_t g;
    int rc = read_raw(s, s->in, SRC_IN_BUF, &g, msg);
    if (rc)
        return rc;
    s->in_start = 0;
    s->in_end = g;
    if (g == 0)
        s->in_eof = 1;
    return 0;
}

static int gzip_zlib_forced; /* source_gzip_zlib() */

void source_gzip_zlib(int on)
{
    gzip_zlib_forced = on;
}

const char *source_gzip_engine(void)
{
#ifdef PCTS_HAVE_ISAL
    if (!gzip_zlib_forced)
        return "isa-l";
#endif
    return "zlib";
}

/*
 * Between reads of a gzip stream: the input refilled, and zero bytes after
 * a member skipped (padding: tape blocks, some writers; gzip -t accepts
 * them, so does pcts).  *over is set when the input has ended (s->eof set;
 * ERR_TRUNCATED if a member is still open); else more data follows, of the
 * open member or of another one (or trailing garbage).  Returns 0 or an
 * error.
 */
static int gzip_between(struct bytesrc *s, int *over, char *msg)
{
    *over = 0;
    for (;;) {
        int rc = refill_in(s, msg);
        if (rc)
            return rc;
        if (s->in_start == s->in_end) {
            s->eof = 1;
            *over = 1;
            if (!s->z_member_done) {
                errmsg_set(msg,
                           "'%s': gzip stream ends early, at compressed byte %llu (compressed "
                           "file truncated)",
                           s->name, (unsigned long long)s->raw_pos);
                return ERR_TRUNCATED;
            }
            return 0;
        }
        if (!s->z_member_done || s->in[s->in_start] != 0)
            return 0;
        while (s->in_start < s->in_end && s->in[s->in_start] == 0)
            s->in_start++;
    }
}

/* Damaged gzip data, where the decoder stands (both engines). */
static int gzip_corrupt(struct bytesrc *s, const char *why, char *msg)
{
    errmsg_set(msg, "'%s': corrupt gzip data near compressed byte %llu: %s", s->name,
               (unsigned long long)(s->raw_pos - (s->in_end - s->in_start)), why);
    s->eof = 1;
    return ERR_CORRUPT;
}

#ifdef PCTS_HAVE_ISAL
static const char *isal_error(int rc)
{
    switch (rc) {
    case ISAL_INVALID_BLOCK: return "invalid block type or lengths";
    case ISAL_INVALID_SYMBOL: return "invalid code";
    case ISAL_INVALID_LOOKBACK: return "invalid distance too far back";
    case ISAL_INVALID_WRAPPER: return "not a gzip member header";
    case ISAL_UNSUPPORTED_METHOD: return "unknown compression method";
    case ISAL_INCORRECT_CHECKSUM: return "incorrect data check";
    default: return "inflate error";
    }
}

/*
 * A member begins: the decoder reset, its header to be read.  The header
 * is read here with isal_read_gzip_header() and a header record that lives
 * as long as the member: isal_inflate() would read it itself, but into a
 * record of its own call, so a header cut between two reads (the first
 * member's always is: sniff() reads its magic apart) lost its flags and
 * its CRC (intel/isa-l#224): valid files with a header CRC, or with names
 * or extra fields across a read, were refused.
 */
static void isal_member_start(struct bytesrc *s)
{
    isal_inflate_reset(s->isal);
    s->isal->crc_flag = ISAL_GZIP;                /* the trailer's CRC-32 and length checked */
    memset(&s->isal_hdr, 0, sizeof(s->isal_hdr)); /* its flags too, which init leaves */
    isal_gzip_header_init(&s->isal_hdr);
}

/* fill_gzip with ISA-L: the same stream rules, the same statuses. */
static int fill_gzip_isal(struct bytesrc *s, size_t want, char *msg)
{
    struct inflate_state *z = s->isal;
    while (s->end < want && !s->eof) {
        int over;
        int rc = gzip_between(s, &over, msg);
        if (rc || over)
            return rc;
        if (s->z_member_done) { /* another member follows (or trailing garbage) */
            /* what zlib refuses at once: not a gzip magic (so a few bytes of
             * garbage at the end are corrupt, not a member cut short) */
            const uint8_t *h = s->in + s->in_start;
            if (h[0] != 0x1F || (s->in_end - s->in_start > 1 && h[1] != 0x8B))
                return gzip_corrupt(s, "not a gzip member header", msg);
            isal_member_start(s);
            s->z_member_done = 0;
        }
        size_t in = s->in_end - s->in_start;
        z->next_in = s->in + s->in_start;
        z->avail_in = (uint32_t)in; /* at most SRC_IN_BUF */
        if (!z->wrapper_flag) {     /* the header, which may take several reads */
            int hr = isal_read_gzip_header(z, &s->isal_hdr);
            s->in_start += in - z->avail_in;
            if (hr == ISAL_END_INPUT) /* all of it taken: more to come */
                continue;
            if (hr == ISAL_INCORRECT_CHECKSUM)
                return gzip_corrupt(s, "header crc mismatch", msg);
            if (hr)
                return gzip_corrupt(s, isal_error(hr), msg);
            if (s->isal_hdr.flags & 0xE0) /* reserved (RFC 1952 2.3.1), as zlib */
                return gzip_corrupt(s, "unknown header flags set", msg);
            continue;
        }
        size_t out = s->cap - s->end;
        if (out > UINT32_MAX)
            out = UINT32_MAX;
        z->next_out = s->buf + s->end;
        z->avail_out = (uint32_t)out;
        int zr = isal_inflate(z);
        size_t used = in - z->avail_in, made = out - z->avail_out;
        s->in_start += used;
        s->end += made;
        if (zr < 0)
            return gzip_corrupt(s, isal_error(zr), msg);
        /* no progress with input and room left: never seen (ISA-L buffers
         * what it cannot use yet), but a stuck decoder must not hang the run */
        if (!used && !made && z->block_state != ISAL_BLOCK_FINISH)
            return gzip_corrupt(s, "no progress", msg);
        if (z->block_state == ISAL_BLOCK_FINISH)
            s->z_member_done = 1;
    }
    return 0;
}
#endif

/* Whether s's gzip goes through ISA-L. */
static int gzip_isal(const struct bytesrc *s)
{
#ifdef PCTS_HAVE_ISAL
    return s->isal != NULL;
#else
    (void)s;
    return 0;
#endif
}

/* Append decompressed bytes to buf[end, cap).  Sets s->eof at the end. */
static int fill_gzip(struct bytesrc *s, size_t want, char *msg)
{
#ifdef PCTS_HAVE_ISAL
    if (s->isal)
        return fill_gzip_isal(s, want, msg);
#endif
    while (s->end < want && !s->eof) {
        int over;
        int rc = gzip_between(s, &over, msg);
        if (rc || over)
            return rc;
        if (s->z_member_done) { /* another member follows (or trailing garbage) */
            if (inflateReset(&s->z) != Z_OK) {
                errmsg_set(msg, "'%s': zlib cannot reset", s->name);
                return ERR_CORRUPT;
            }
            s->z_member_done = 0;
        }
        s->z.next_in = s->in + s->in_start;
        s->z.avail_in = (uInt)(s->in_end - s->in_start);
        s->z.next_out = s->buf + s->end;
        s->z.avail_out = (uInt)(s->cap - s->end);
        int zr = inflate(&s->z, Z_NO_FLUSH);
        size_t used = (s->in_end - s->in_start) - s->z.avail_in;
        size_t made = (s->cap - s->end) - s->z.avail_out;
        s->in_start += used;
        s->end += made;
        if (zr == Z_STREAM_END) {
            s->z_member_done = 1;
        } else if (zr != Z_OK && zr != Z_BUF_ERROR) {
            return gzip_corrupt(s, s->z.msg ? s->z.msg : "inflate error", msg);
        }
    }
    return 0;
}

static int fill_zstd(struct bytesrc *s, size_t want, char *msg)
{
    while (s->end < want && !s->eof) {
        int rc = refill_in(s, msg);
        if (rc)
            return rc;
        if (s->in_start == s->in_end) {
            s->eof = 1;
            if (s->zs_frame_open) {
                errmsg_set(msg,
                           "'%s': zstd stream ends early, at compressed byte %llu (compressed "
                           "file truncated)",
                           s->name, (unsigned long long)s->raw_pos);
                return ERR_TRUNCATED;
            }
            break;
        }
        ZSTD_inBuffer in = {s->in, s->in_end, s->in_start};
        ZSTD_outBuffer out = {s->buf, s->cap, s->end};
        size_t zr = ZSTD_decompressStream(s->zs, &out, &in);
        if (ZSTD_isError(zr)) {
            errmsg_set(msg, "'%s': corrupt zstd data near compressed byte %llu: %s", s->name,
                       (unsigned long long)(s->raw_pos - (s->in_end - in.pos)),
                       ZSTD_getErrorName(zr));
            s->eof = 1;
            return ERR_CORRUPT;
        }
        s->zs_frame_open = zr != 0;
        s->in_start = in.pos;
        s->end = out.pos;
    }
    return 0;
}

static int fill_plain(struct bytesrc *s, size_t want, char *msg)
{
    while (s->end < want && !s->eof) {
        size_t g;
        int rc = read_raw(s, s->buf + s->end, s->cap - s->end, &g, msg);
        if (rc)
            return rc;
        if (g == 0)
            s->eof = 1;
        s->end += g;
    }
    return 0;
}

/* A PIPE_CHUNK buffer: a spare one, else a new one. */
static uint8_t *spare_get(struct pipeline *pl)
{
    uint8_t *b = NULL;
    pthread_mutex_lock(&pl->mu);
    if (pl->nspare)
        b = pl->spare[--pl->nspare];
    pthread_mutex_unlock(&pl->mu);
    return b ? b : xmalloc(PIPE_CHUNK);
}

/* The consumer is done with a chunk's buffer. */
static void spare_put(struct pipeline *pl, struct chunk *c)
{
    uint8_t *b = c->data;
    c->data = NULL;
    if (c->cap == PIPE_CHUNK) {
        pthread_mutex_lock(&pl->mu);
        if (pl->nspare < PIPE_SPARE) {
            pl->spare[pl->nspare++] = b;
            b = NULL;
        }
        pthread_mutex_unlock(&pl->mu);
    }
    free(b);
}

static void *producer(void *arg)
{
    struct pipeline *pl = arg;
    struct bytesrc *dec = pl->dec;
    for (;;) {
        struct chunk c;
        memset(&c, 0, sizeof(c));
        const uint8_t *p;
        size_t got = 0;
        int rc = bytesrc_need(dec, PIPE_CHUNK, &p, &got, c.msg);
        size_t n = rc == 1 ? PIPE_CHUNK : got;
        if (n && dec->cap == PIPE_CHUNK && dec->end - dec->start == n) {
            /* the chunk is all the buffer holds: hand it over (what
             * bytesrc_consume() would do, with a fresh buffer) */
            c.data = dec->buf;
            c.cap = PIPE_CHUNK;
            c.off = dec->start;
            c.len = dec->end;
            dec->buf = spare_get(pl);
            dec->pos += n;
            dec->start = dec->end = 0;
        } else {
            c.data = xmalloc(n ? n : 1);
            c.cap = n;
            memcpy(c.data, p, n);
            c.len = n;
            bytesrc_consume(dec, n);
        }
        c.raw_pos = bytesrc_raw_pos(dec);
        if (rc <= 0) {
            c.last = 1;
            c.end = rc;
        }
        pthread_mutex_lock(&pl->mu);
        while (pl->count == PIPE_DEPTH && !pl->stop)
            pthread_cond_wait(&pl->can_put, &pl->mu);
        if (pl->stop) {
            pthread_mutex_unlock(&pl->mu);
            free(c.data);
            return NULL;
        }
        pl->q[(pl->head + pl->count) % PIPE_DEPTH] = c;
        pl->count++;
        pthread_cond_signal(&pl->can_get);
        pthread_mutex_unlock(&pl->mu);
        if (c.last)
            return NULL;
    }
}

/* Consumer side: append queued bytes to buf[end, want). */
static int fill_pipe(struct bytesrc *s, size_t want, char *msg)
{
    struct pipeline *pl = s->pipe;
    while (s->end < want && !s->eof) {
        if (!pl->have_cur) {
            if (pl->done) {
                s->eof = 1;
                break;
            }
            pthread_mutex_lock(&pl->mu);
            while (pl->count == 0)
                pthread_cond_wait(&pl->can_get, &pl->mu);
            pl->cur = pl->q[pl->head];
            pl->head = (pl->head + 1) % PIPE_DEPTH;
            pl->count--;
            pthread_cond_signal(&pl->can_put);
            pthread_mutex_unlock(&pl->mu);
            pl->have_cur = 1;
            s->raw_pos = pl->cur.raw_pos;
        }
        struct chunk *c = &pl->cur;
        size_t n = c->len - c->off;
        if (n > want - s->end)
            n = want - s->end;
        memcpy(s->buf + s->end, c->data + c->off, n);
        s->end += n;
        c->off += n;
        if (c->off == c->len) {
            int last = c->last, end = c->end;
            if (last && end < 0)
                errmsg_set(msg, "%s", c->msg);
            spare_put(pl, c);
            pl->have_cur = 0;
            if (last) {
                pl->done = 1;
                s->eof = 1;
                if (end < 0)
                    return end;
            }
        }
    }
    return 0;
}

int bytesrc_need(struct bytesrc *s, size_t n, const uint8_t **p, size_t *got, char *msg)
{
    if (s->end - s->start >= n) {
        *p = s->buf + s->start;
        return 1;
    }
    /* Slide what is left to the front, grow if one record is larger. */
    size_t left = s->end - s->start;
    if (s->start > 0) {
        memmove(s->buf, s->buf + s->start, left);
        s->start = 0;
        s->end = left;
    }
    if (n > s->cap) {
        s->cap = n;
        s->buf = xrealloc(s->buf, s->cap);
    }
    /* Read ahead up to a full buffer (big reads), but an error only
     * surfaces when the bytes before it are used up. */
    while (s->end < n && !s->eof && !s->err) {
        int rc;
        if (s->pipe)
            rc = fill_pipe(s, s->cap, s->errmsg);
        else if (s->kind == SRC_GZIP)
            rc = fill_gzip(s, s->cap, s->errmsg);
        else if (s->kind == SRC_ZSTD)
            rc = fill_zstd(s, s->cap, s->errmsg);
        else
            rc = fill_plain(s, s->cap, s->errmsg);
        if (rc)
            s->err = rc;
    }
    *p = s->buf + s->start;
    if (s->end - s->start >= n)
        return 1;
    *got = s->end - s->start;
    if (s->err) {
        errmsg_set(msg, "%s", s->errmsg);
        return s->err;
    }
    return 0;
}

void bytesrc_consume(struct bytesrc *s, size_t n)
{
    s->start += n;
    s->pos += n;
}

int bytesrc_error_ahead(struct bytesrc *s, size_t ahead, char *msg)
{
    if (s->kind == SRC_PLAIN)
        return 0;
    if (ahead > SRC_BUF_MIN)
        ahead = SRC_BUF_MIN;
    const uint8_t *p;
    size_t got;
    int rc = bytesrc_need(s, ahead, &p, &got, msg);
    return rc < 0 ? rc : 0;
}

size_t bytesrc_buffered(const struct bytesrc *s, const uint8_t **p)
{
    *p = s->buf + s->start;
    return s->end - s->start;
}

uint64_t bytesrc_pos(const struct bytesrc *s)
{
    return s->pos;
}
uint64_t bytesrc_raw_pos(const struct bytesrc *s)
{
    return s->raw_pos;
}
uint64_t bytesrc_raw_size(const struct bytesrc *s)
{
    return s->raw_size;
}
enum src_kind bytesrc_kind(const struct bytesrc *s)
{
    return s->kind;
}

static const char *other_compression(const uint8_t *m, size_t n)
{
    if (n >= 6 && !memcmp(m,
                          "\xFD"
                          "7zXZ\0",
                          6))
        return "xz";
    if (n >= 3 && !memcmp(m, "BZh", 3))
        return "bzip2";
    if (n >= 4 && !memcmp(m, "PK\x03\x04", 4))
        return "zip";
    if (n >= 4 && !memcmp(m, "\x04\x22\x4D\x18", 4))
        return "lz4";
    if (n >= 6 && !memcmp(m, "7z\xBC\xAF\x27\x1C", 6))
        return "7z";
    return NULL;
}

/* Allocate the buffer and choose a decompressor from the first bytes. */
static int sniff(struct bytesrc *s, struct bytesrc **out, char *msg)
{
    s->cap = SRC_BUF_MIN;
    s->buf = xmalloc(s->cap);
    /* Sniff the first bytes to choose a decompressor. */
    uint8_t magic[8];
    size_t got;
    int rc = read_full(s, magic, sizeof(magic), &got, msg);
    if (rc) {
        bytesrc_free(s);
        return rc;
    }
    const char *other = other_compression(magic, got);
    if (other) {
        errmsg_set(msg,
                   "'%s' is %s-compressed; pcts reads gzip and zstd itself, decompress "
                   "%s files first",
                   s->name, other, other);
        bytesrc_free(s);
        return ERR_FORMAT;
    }
    if (got >= 2 && magic[0] == 0x1F && magic[1] == 0x8B) {
        s->kind = SRC_GZIP;
#ifdef PCTS_HAVE_ISAL
        if (!gzip_zlib_forced) {
            /* zeroed: on some bad back-references ISA-L writes bytes of its
             * window before the error, which must not be uninitialised */
            s->isal = xcalloc(1, sizeof(*s->isal));
            isal_inflate_init(s->isal);
            isal_member_start(s);
        }
#endif
        if (!gzip_isal(s)) {
            if (inflateInit2(&s->z, 15 + 16) != Z_OK) {
                errmsg_set(msg, "'%s': cannot initialise zlib", s->name);
                bytesrc_free(s);
                return ERR_NOMEM;
            }
            s->z_init = 1;
        }
    } else if (got >= 4 && (!memcmp(magic, "\x28\xB5\x2F\xFD", 4) ||
                            ((magic[0] & 0xF0) == 0x50 && !memcmp(magic + 1, "\x2A\x4D\x18", 3)))) {
        /* a zstd frame, or a skippable frame (RFC 8878 3.1.2), which may
         * come first: pzstd writes one before its frames.  (LZ4 frames use
         * the same skippable magic; one behind it is reported corrupt.) */
        s->kind = SRC_ZSTD;
        s->zs = ZSTD_createDStream();
        if (!s->zs || ZSTD_isError(ZSTD_initDStream(s->zs))) {
            errmsg_set(msg, "'%s': cannot initialise zstd", s->name);
            bytesrc_free(s);
            return ERR_NOMEM;
        }
    }
    if (s->kind == SRC_PLAIN) {
        memcpy(s->buf, magic, got);
        s->end = got;
        if (got < sizeof(magic))
            s->eof = 1;
    } else {
        s->in = xmalloc(SRC_IN_BUF);
        memcpy(s->in, magic, got);
        s->in_end = got;
        if (got < sizeof(magic))
            s->in_eof = 1;
    }
    *out = s;
    return 0;
}

/* Put a compressed source behind a producer thread (see struct pipeline). */
static int start_pipeline(struct bytesrc **out)
{
    struct bytesrc *dec = *out;
    if (dec->kind == SRC_PLAIN)
        return 0;
    struct bytesrc *s = xcalloc(1, sizeof(*s));
    s->fd = -1;
    s->kind = dec->kind;
    s->name = dec->name;
    s->raw_size = dec->raw_size;
    s->cap = SRC_BUF_MIN;
    s->buf = xmalloc(s->cap);
    struct pipeline *pl = xcalloc(1, sizeof(*pl));
    pl->dec = dec;
    pthread_mutex_init(&pl->mu, NULL);
    pthread_cond_init(&pl->can_put, NULL);
    pthread_cond_init(&pl->can_get, NULL);
    if (pthread_create(&pl->th, NULL, producer, pl) != 0) {
        /* no thread: decompress inline, as before */
        pthread_mutex_destroy(&pl->mu);
        pthread_cond_destroy(&pl->can_put);
        pthread_cond_destroy(&pl->can_get);
        free(pl);
        free(s->buf);
        free(s);
        return 0;
    }
    s->pipe = pl;
    *out = s;
    return 0;
}

int bytesrc_open(struct bytesrc **out, const char *path, char *msg)
{
    *out = NULL;
    int fd;
    int is_stdin = !strcmp(path, "-");
    if (is_stdin) {
        fd = STDIN_FILENO;
    } else {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            int e = errno;
            errmsg_set(msg, "cannot open '%s': %s%s", path, strerror(e),
                       e == EMFILE || e == ENFILE
                           ? " (captures overlapping in time are all open at once: raise the "
                             "limit with 'ulimit -n', or merge them first with mergecap)"
                           : "");
            return ERR_IO;
        }
    }
    struct stat st;
    uint64_t size = 0;
    if (fstat(fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            errmsg_set(msg, "cannot read '%s': is a directory (give capture files, not folders)",
                       path);
            if (!is_stdin)
                close(fd);
            return ERR_IO;
        }
        if (S_ISREG(st.st_mode))
            size = (uint64_t)st.st_size;
    }
#ifdef POSIX_FADV_SEQUENTIAL
    if (size)
        posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif

    struct bytesrc *s = xcalloc(1, sizeof(*s));
    s->fd = fd;
    s->name = is_stdin ? "(standard input)" : path;
    s->raw_size = size;
    /*
     * Every input is read with read(2), a regular file too.  Until session
     * 16 a plain file was mapped and walked in place, which saves read's
     * copy; but a mapping costs the page tables' work for every 4 KiB page
     * (faults, MADV_DONTNEED behind the reader to bound RSS), and where
     * that work is dear the copy is the cheaper half.  On the PVM guest
     * pcts is measured on (shadow page tables: every new mapping of a page
     * traps to the host), walking the 800 MB bench file took 0.31-0.38 s
     * mapped against 0.06-0.08 s read into a 1 MiB buffer, and whole runs
     * went from 1.31-1.59 s to 0.89-1.08 on one thread, 0.90-1.20 to
     * 0.60-0.85 on two (docs/performance-log.md, session 16).  Where page
     * faults are cheap the two were within a tenth of a one-thread run of
     * each other (session 10).  The buffer stays in cache and is reused, so
     * RSS does not grow with the file either.
     */
    int rc = sniff(s, out, msg);
    return rc ? rc : start_pipeline(out);
}

int bytesrc_open_mem(struct bytesrc **out, const uint8_t *data, size_t len, const char *name,
                     char *msg)
{
    *out = NULL;
    struct bytesrc *s = xcalloc(1, sizeof(*s));
    s->fd = -1;
    s->name = name;
    s->mem = data;
    s->mem_len = len;
    s->raw_size = len;
    return sniff(s, out, msg);
}

void bytesrc_free(struct bytesrc *s)
{
    if (!s)
        return;
    if (s->pipe) {
        struct pipeline *pl = s->pipe;
        pthread_mutex_lock(&pl->mu);
        pl->stop = 1;
        pthread_cond_broadcast(&pl->can_put);
        pthread_mutex_unlock(&pl->mu);
        pthread_join(pl->th, NULL);
        for (size_t i = 0; i < pl->count; i++)
            free(pl->q[(pl->head + i) % PIPE_DEPTH].data);
        if (pl->have_cur)
            free(pl->cur.data);
        for (size_t i = 0; i < pl->nspare; i++)
            free(pl->spare[i]);
        bytesrc_free(pl->dec);
        pthread_mutex_destroy(&pl->mu);
        pthread_cond_destroy(&pl->can_put);
        pthread_cond_destroy(&pl->can_get);
        free(pl);
    }
    if (s->z_init)
        inflateEnd(&s->z);
#ifdef PCTS_HAVE_ISAL
    free(s->isal);
#endif
    if (s->zs)
        ZSTD_freeDStream(s->zs);
    if (s->fd > STDIN_FILENO)
        close(s->fd);
    free(s->in);
    free(s->buf);
    free(s);
}

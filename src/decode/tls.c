/*
 * tls.c - the server_name of a TLS ClientHello: record layer (RFC 8446 5.1,
 * RFC 5246 6.2.1), handshake header and ClientHello (RFC 8446 4, 4.1.2; RFC
 * 5246 7.4.1.2), extensions (RFC 8446 4.2), server_name (RFC 6066 3).
 *
 * The input is the first bytes of a TCP payload, often cut by the snapshot
 * length, and a large ClientHello (post-quantum key shares) may continue in
 * the next segment or record.  So two lengths are tracked for every nested
 * vector: the bytes it declares (struct vec.left) and the bytes actually
 * captured (the cursor).  A length that overruns the declared length of the
 * structure around it is malformed (-1); running out of captured bytes while
 * the declared lengths still hold is truncation, reported as 0 ("no SNI seen")
 * because nothing was wrong with what we saw.  Bytes after the end of the
 * first record are never read: they belong to the next record header, not to
 * the ClientHello, so they count as not captured.
 *
 * Checks: record type 22 with version 3.x (else 0, not a ClientHello), record
 * length 1..2^14 and room for the 4-byte handshake header in it, handshake
 * type 1 (else 0), legacy_version 3.x, session id at most 32 bytes, cipher
 * suites non-empty and even, compression methods non-empty, extensions inside
 * the ClientHello, each extension inside the extensions block.  In
 * server_name: the list length equals the extension length minus 2 and is
 * not 0, each entry lies inside the list (unknown name types are skipped by
 * their 16-bit length, RFC 6066 3), and the first host_name is 1..253 bytes,
 * without NUL, and valid for name_normalise (so lowercase, no trailing dot).
 * Loops are capped at 128 extensions and 16 server_name entries.
 *
 * A ClientHello larger than one segment (post-quantum key shares: Chrome's
 * some 1.8 KB, its extensions in random order, so the SNI lands in the
 * second segment about as often as not) waits in struct tls_reasm for the
 * sender's next segments on the same connection, in sequence order; see
 * tls_stream_sni.
 */
#include "names.h"

#include <stdlib.h>
#include <string.h>

#include "cursor.h"

#define TLS_CT_HANDSHAKE 22
#define TLS_HS_CLIENT_HELLO 1
#define TLS_EXT_SERVER_NAME 0
#define TLS_NAME_HOST 0
#define TLS_MAX_SESSION_ID 32

enum { VEC_OK = 0, VEC_BAD = -1, VEC_TRUNC = -2 };

/* A vector of `left` declared bytes, of which those in c were captured. */
struct vec {
    struct cursor c;
    size_t left; /* declared bytes not yet consumed; always >= cur_left(&c) */
};

/* The next n declared bytes of c, all of which may be read as captured. */
static void vec_open(struct vec *v, struct cursor *from, size_t n)
{
    size_t avail = cur_left(from) < n ? cur_left(from) : n;
    cur_init(&v->c, NULL, 0);
    (void)cur_sub(from, avail, &v->c); /* cannot fail: avail <= cur_left */
    v->left = n;
}

static int vec_u8(struct vec *v, uint8_t *x)
{
    if (v->left < 1)
        return VEC_BAD;
    if (cur_u8(&v->c, x))
        return VEC_TRUNC;
    v->left -= 1;
    return VEC_OK;
}

static int vec_be16(struct vec *v, uint16_t *x)
{
    if (v->left < 2)
        return VEC_BAD;
    if (cur_be16(&v->c, x))
        return VEC_TRUNC;
    v->left -= 2;
    return VEC_OK;
}

static int vec_be24(struct vec *v, uint32_t *x)
{
    uint8_t hi;
    uint16_t lo;
    if (v->left < 3)
        return VEC_BAD;
    if (cur_u8(&v->c, &hi) || cur_be16(&v->c, &lo))
        return VEC_TRUNC;
    v->left -= 3;
    *x = (uint32_t)hi << 16 | lo;
    return VEC_OK;
}

static int vec_skip(struct vec *v, size_t n)
{
    if (n > v->left)
        return VEC_BAD;
    if (cur_skip(&v->c, n))
        return VEC_TRUNC;
    v->left -= n;
    return VEC_OK;
}

/* A nested vector of n declared bytes; VEC_BAD if n overruns v. */
static int vec_sub(struct vec *v, size_t n, struct vec *inner)
{
    if (n > v->left)
        return VEC_BAD;
    vec_open(inner, &v->c, n);
    v->left -= n;
    return VEC_OK;
}

/* The 3 results of this file from a VEC_* code. */
static int vec_result(int rc)
{
    return rc == VEC_TRUNC ? 0 : -1;
}

/*
 * The server_name extension body (RFC 6066 3).  The whole list is walked,
 * so that an entry length that does not add up, or a second host_name, is
 * seen even after the first host_name; bytes not captured after a complete
 * host_name do not hide it.
 */
static int sni_ext(struct vec *ext, char out[NAME_MAX_LEN + 1])
{
    char host[NAME_MAX_LEN + 2];
    struct vec list;
    uint16_t list_len;
    int rc, have = 0;

    host[0] = '\0';
    rc = vec_be16(ext, &list_len);
    if (rc)
        return vec_result(rc);
    if (list_len == 0 || list_len != ext->left)
        return -1;
    rc = vec_sub(ext, list_len, &list);
    if (rc)
        return vec_result(rc);

    for (unsigned i = 0; i < TLS_MAX_SNI_ENTRIES && list.left > 0; i++) {
        uint8_t type;
        uint16_t nlen;
        struct vec name;
        rc = vec_u8(&list, &type);
        if (!rc)
            rc = vec_be16(&list, &nlen);
        if (!rc)
            rc = vec_sub(&list, nlen, &name);
        if (rc)
            break;
        if (nlen == 0)
            return -1; /* opaque<1..2^16-1> */
        if (type != TLS_NAME_HOST)
            continue;
        if (have)
            return -1; /* "MUST NOT contain more than one name of the same name_type" */
        if (nlen > NAME_MAX_LEN)
            return -1;
        for (size_t k = 0; k < nlen && !rc; k++) {
            uint8_t b;
            rc = vec_u8(&name, &b);
            if (rc)
                break; /* (b unset) */
            if (b == 0)
                return -1;
            host[k] = (char)b;
        }
        if (rc)
            break;
        host[nlen] = '\0';
        if (name_normalise(host) || host[0] == '\0')
            return -1;
        have = 1;
    }
    if (rc == VEC_BAD)
        return -1;
    if (!have)
        return 0; /* no host_name, or it was not captured */
    memcpy(out, host, strlen(host) + 1);
    return 1;
}

int tls_client_hello_sni(const uint8_t *p, size_t len, char out[NAME_MAX_LEN + 1])
{
    struct cursor c;
    struct vec rec, hello, exts;
    uint8_t type, major, minor, hs_type, sid_len, comp_len;
    uint16_t rec_len, version, cs_len, ext_len;
    uint32_t hs_len;
    int rc;

    out[0] = '\0';
    cur_init(&c, p, len);
    if (cur_u8(&c, &type) || type != TLS_CT_HANDSHAKE)
        return 0;
    if (cur_u8(&c, &major) || cur_u8(&c, &minor) || major != 3)
        return 0;
    if (cur_be16(&c, &rec_len))
        return 0;
    if (rec_len == 0 || rec_len > TLS_MAX_RECORD)
        return -1;
    vec_open(&rec, &c, rec_len);

    rc = vec_u8(&rec, &hs_type);
    if (rc)
        return vec_result(rc);
    if (hs_type != TLS_HS_CLIENT_HELLO)
        return 0;
    rc = vec_be24(&rec, &hs_len);
    if (rc)
        return vec_result(rc);
    /* The ClientHello may go on in the next record: only the bytes of this
     * one are available, the declared length still bounds every vector. */
    vec_open(&hello, &rec.c, hs_len);

    rc = vec_be16(&hello, &version);
    if (!rc && (version >> 8) != 3)
        return -1;
    if (!rc)
        rc = vec_skip(&hello, 32); /* random */
    if (!rc)
        rc = vec_u8(&hello, &sid_len);
    if (!rc && sid_len > TLS_MAX_SESSION_ID)
        return -1;
    if (!rc)
        rc = vec_skip(&hello, sid_len);
    if (!rc)
        rc = vec_be16(&hello, &cs_len);
    if (!rc && (cs_len == 0 || cs_len % 2 != 0))
        return -1;
    if (!rc)
        rc = vec_skip(&hello, cs_len);
    if (!rc)
        rc = vec_u8(&hello, &comp_len);
    if (!rc && comp_len == 0)
        return -1;
    if (!rc)
        rc = vec_skip(&hello, comp_len);
    if (rc)
        return vec_result(rc);
    if (hello.left == 0)
        return 0; /* no extensions (before TLS 1.2 they were optional) */
    rc = vec_be16(&hello, &ext_len);
    if (!rc)
        rc = vec_sub(&hello, ext_len, &exts);
    if (rc)
        return vec_result(rc);

    for (unsigned i = 0; i < TLS_MAX_EXTENSIONS && exts.left > 0; i++) {
        uint16_t etype, elen;
        struct vec ext;
        rc = vec_be16(&exts, &etype);
        if (!rc)
            rc = vec_be16(&exts, &elen);
        if (!rc)
            rc = vec_sub(&exts, elen, &ext);
        if (rc)
            return vec_result(rc);
        if (etype == TLS_EXT_SERVER_NAME)
            return sni_ext(&ext, out);
    }
    return 0;
}

/* ---- a ClientHello over several segments -------------------------------- */

#define TLS_REASM_BUF (5 + TLS_MAX_RECORD) /* the first record whole */

/* The first record of one connection's ClientHello, so far. */
struct tls_pending {
    uint64_t conn;  /* the caller's key; 0 with have 0: a free entry */
    int64_t ts;     /* when its latest segment came */
    uint32_t start; /* the sequence number of the record's first byte */
    uint32_t have;  /* bytes of buf filled: up to start + have */
    uint32_t need;  /* the record's size, 5 + its length (HELLO_SIZE_UNKNOWN: not 6 bytes yet) */
    uint8_t buf[TLS_REASM_BUF];
};

struct tls_reasm {
    struct tls_pending e[TLS_REASM_PENDING];
    size_t n; /* entries in use */
};

struct tls_reasm *tls_reasm_new(void)
{
    return calloc(1, sizeof(struct tls_reasm));
}

void tls_reasm_free(struct tls_reasm *r)
{
    free(r);
}

size_t tls_reasm_pending(const struct tls_reasm *r)
{
    return r ? r->n : 0;
}

static void pending_drop(struct tls_reasm *r, struct tls_pending *e)
{
    e->have = 0;
    e->conn = 0;
    r->n--;
}

/* |a - b| > TLS_REASM_WAIT_NS, without overflow */
static int far_apart(int64_t a, int64_t b)
{
    uint64_t d = a > b ? (uint64_t)a - (uint64_t)b : (uint64_t)b - (uint64_t)a;
    return d > (uint64_t)TLS_REASM_WAIT_NS;
}

/*
 * The entries whose last segment is more than TLS_REASM_WAIT_NS from ts go
 * (the next segment comes a round trip after the first at most, or a
 * retransmission's timeout after it), then the entry of conn, if any.
 */
static struct tls_pending *pending_find(struct tls_reasm *r, uint64_t conn, int64_t ts)
{
    struct tls_pending *found = NULL;
    for (size_t i = 0; i < TLS_REASM_PENDING && r->n; i++) {
        struct tls_pending *e = &r->e[i];
        if (!e->have)
            continue;
        if (far_apart(ts, e->ts))
            pending_drop(r, e);
        else if (e->conn == conn)
            found = e;
    }
    return found;
}

/* A free entry, else the one waiting longest. */
static struct tls_pending *pending_take(struct tls_reasm *r)
{
    struct tls_pending *best = &r->e[0];
    for (size_t i = 0; i < TLS_REASM_PENDING && best->have; i++)
        if (!r->e[i].have || r->e[i].ts < best->ts)
            best = &r->e[i];
    if (best->have)
        pending_drop(r, best);
    return best;
}

#define HELLO_SIZE_UNKNOWN UINT32_MAX

/*
 * The size of the record p starts (5 + its length) when it is a
 * ClientHello's; HELLO_SIZE_UNKNOWN when the len bytes at hand could still
 * begin one (fewer than its first 6); else 0.
 */
static uint32_t hello_size(const uint8_t *p, size_t len)
{
    struct cursor c;
    uint8_t type, major, minor, hs_type;
    uint16_t rec_len;
    cur_init(&c, p, len);
    if (cur_u8(&c, &type))
        return HELLO_SIZE_UNKNOWN;
    if (type != TLS_CT_HANDSHAKE)
        return 0;
    if (cur_u8(&c, &major))
        return HELLO_SIZE_UNKNOWN;
    if (major != 3)
        return 0;
    if (cur_u8(&c, &minor) || cur_be16(&c, &rec_len))
        return HELLO_SIZE_UNKNOWN;
    (void)minor;
    if (rec_len == 0 || rec_len > TLS_MAX_RECORD)
        return 0;
    if (cur_u8(&c, &hs_type))
        return HELLO_SIZE_UNKNOWN;
    return hs_type == TLS_HS_CLIENT_HELLO ? 5 + (uint32_t)rec_len : 0;
}

/* Read what e holds: a name, or no name yet (0: keep waiting), or the end
 * of its wait (named, whole, malformed, or no ClientHello after all). */
static int pending_read(struct tls_reasm *r, struct tls_pending *e, char out[NAME_MAX_LEN + 1])
{
    if (e->need == HELLO_SIZE_UNKNOWN) {
        e->need = hello_size(e->buf, e->have);
        if (e->need == 0) {
            pending_drop(r, e);
            return 0;
        }
        if (e->need != HELLO_SIZE_UNKNOWN && e->have > e->need)
            e->have = e->need; /* the next record's bytes */
    }
    if (e->need == HELLO_SIZE_UNKNOWN)
        return 0;
    int rc = tls_client_hello_sni(e->buf, e->have, out);
    if (rc != 0 || e->have >= e->need)
        pending_drop(r, e);
    return rc;
}

int tls_stream_sni(struct tls_reasm *r, uint64_t conn, uint32_t seq, unsigned seg, int64_t ts,
                   const uint8_t *p, size_t len, char out[NAME_MAX_LEN + 1])
{
    struct cursor c;
    uint8_t first;
    out[0] = '\0';
    cur_init(&c, p, len);
    if (seg & TLS_SEG_SYN)
        seq += 1; /* the SYN takes a sequence number before its data */
    struct tls_pending *e = r && r->n ? pending_find(r, conn, ts) : NULL;
    if (e && (seg & (TLS_SEG_SYN | TLS_SEG_RST))) {
        pending_drop(r, e); /* a new connection on these ports, or the end */
        e = NULL;
    }
    if (seg & TLS_SEG_RST)
        return TLS_NOT_HELLO;
    if (e) {
        /* where this segment starts in the record, modulo 2^32 (RFC 9293
         * 3.4): at its end (the next segment), inside it (a retransmission,
         * maybe with new bytes after), or elsewhere (a segment not captured
         * or cut short before it, or another connection on the same ports) */
        uint32_t off = seq - e->start;
        if (off <= e->have) {
            size_t held = e->have - off; /* of this segment's bytes */
            if (len <= held)
                return 0; /* nothing new: keep waiting */
            size_t take = len - held;
            size_t room = (e->need == HELLO_SIZE_UNKNOWN ? TLS_REASM_BUF : e->need) - e->have;
            if (take > room)
                take = room;
            if (cur_skip(&c, held) || cur_copy(&c, e->buf + e->have, take))
                return -1; /* cannot happen: held + take <= len */
            e->have += (uint32_t)take;
            e->ts = ts;
            if (seg & TLS_SEG_CUT) /* no byte after these can be placed: the last read */
                e->need = e->have < 6 ? 0 : e->have;
            return pending_read(r, e, out);
        }
        pending_drop(r, e);
    }
    if (cur_peek_u8(&c, 0, &first) || first != TLS_CT_HANDSHAKE)
        return TLS_NOT_HELLO;
    int rc = tls_client_hello_sni(p, len, out);
    uint32_t need = rc == 0 && r && !(seg & TLS_SEG_CUT) ? hello_size(p, len) : 0;
    if (need && (need == HELLO_SIZE_UNKNOWN || len < need)) {
        e = pending_take(r);
        e->conn = conn;
        e->ts = ts;
        e->start = seq;
        e->have = (uint32_t)len; /* < need <= TLS_REASM_BUF, or < 6 */
        e->need = need;
        (void)cur_copy(&c, e->buf, len); /* cannot fail: len bytes at hand */
        r->n++;
    }
    return rc;
}

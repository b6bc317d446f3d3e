/*
 * quic.c - the server name of a QUIC connection, from the client's first
 * Initial packet (RFC 9000 17.2.2; RFC 9001 5: Initial secrets derived from
 * the Destination Connection ID, header protection 5.4, AEAD 5.3; QUIC v2
 * RFC 9369 for its salt and labels).
 *
 * Initial packets are encrypted with keys anyone can derive from the packet
 * itself, so reading the ClientHello costs one HKDF, one AES block and one
 * AES-GCM decryption per client Initial: cheap enough to do for every new
 * QUIC flow.  The CRYPTO frames of that packet are put back in order and the
 * contiguous start of the handshake is handed to tls.c's ClientHello parser
 * (behind a synthetic record header).  A ClientHello larger than one packet
 * (post-quantum key shares: Chrome's are some 1.8 KB, over two Initials, its
 * extensions in random order) may put the SNI in a later Initial: the
 * CRYPTO bytes of a ClientHello not yet complete wait in a small table
 * (struct quic_reasm) for the client's next Initial with the same
 * Destination Connection ID from the same client address and port (the
 * caller's connection key), in either order.  Connections already named
 * are remembered a while, so that the Initials after the one that named
 * them (a second half, a retransmission) do not take places in the table.
 *
 * Hostile input: every byte read through cursor.h; lengths checked before
 * use; the decrypted plaintext is bounded by the packet; frames are parsed
 * with a step cap.  Crypto comes from OpenSSL's libcrypto.
 */
#include "cursor.h"
#include "quic.h"

#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <stdlib.h>
#include <string.h>

#define QUIC_V1 0x00000001u
#define QUIC_V2 0x6b3343cfu
#define QUIC_MAX_CID 20
#define QUIC_MAX_PACKET 1500 * 2 /* an Initial fits a datagram */
#define QUIC_CRYPTO_BUF 4096     /* start of the handshake we reassemble */
#define QUIC_MAX_FRAMES 64
#define QUIC_PENDING 16 /* ClientHellos awaiting their next Initial; the oldest gives way */

/* The CRYPTO stream's start so far of one client's handshake. */
struct quic_pending {
    uint64_t conn, age; /* age 0: a free entry */
    uint8_t dcid[QUIC_MAX_CID], dl;
    uint8_t buf[QUIC_CRYPTO_BUF], have[QUIC_CRYPTO_BUF];
};

#define QUIC_NAMED 32 /* connections named lately */

struct quic_reasm {
    struct quic_pending e[QUIC_PENDING];
    uint64_t clock;
    uint64_t named[QUIC_NAMED]; /* a ring of connection and DCID digests */
    unsigned named_next;
};

/* A connection's digest for the ring: its key and its DCID. */
static uint64_t conn_digest(uint64_t conn, const uint8_t *dcid, uint8_t dl)
{
    uint64_t h = conn ^ ((uint64_t)dl << 56) ^ 0x9E3779B97F4A7C15ull;
    for (uint8_t i = 0; i < dl; i++)
        h = (h ^ dcid[i]) * 0x100000001B3ull; /* FNV-1a's step */
    return h | 1;                             /* never 0, an empty place */
}

static int named_seen(const struct quic_reasm *r, uint64_t d)
{
    for (size_t i = 0; i < QUIC_NAMED; i++)
        if (r->named[i] == d)
            return 1;
    return 0;
}

struct quic_reasm *quic_reasm_new(void)
{
    return calloc(1, sizeof(struct quic_reasm));
}

void quic_reasm_free(struct quic_reasm *r)
{
    free(r);
}

size_t quic_reasm_pending(const struct quic_reasm *r)
{
    size_t n = 0;
    for (size_t i = 0; r && i < QUIC_PENDING; i++)
        n += r->e[i].age != 0;
    return n;
}

static struct quic_pending *pending_find(struct quic_reasm *r, uint64_t conn, const uint8_t *dcid,
                                         uint8_t dl)
{
    for (size_t i = 0; i < QUIC_PENDING; i++) {
        struct quic_pending *e = &r->e[i];
        if (e->age && e->conn == conn && e->dl == dl && !memcmp(e->dcid, dcid, dl))
            return e;
    }
    return NULL;
}

/* A free entry, else the oldest. */
static struct quic_pending *pending_take(struct quic_reasm *r)
{
    struct quic_pending *best = &r->e[0];
    for (size_t i = 0; i < QUIC_PENDING && best->age; i++)
        if (r->e[i].age < best->age)
            best = &r->e[i];
    return best;
}

static const uint8_t salt_v1[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
                                    0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
static const uint8_t salt_v2[20] = {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
                                    0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9};

/* Variable-length integer (RFC 9000 16). */
static int cur_varint(struct cursor *c, uint64_t *out)
{
    uint8_t b;
    if (cur_u8(c, &b))
        return -1;
    unsigned n = 1u << (b >> 6);
    uint64_t v = b & 0x3F;
    for (unsigned i = 1; i < n; i++) {
        if (cur_u8(c, &b))
            return -1;
        v = v << 8 | b;
    }
    *out = v;
    return 0;
}

static int hkdf(int mode, const uint8_t *salt, size_t salt_len, const uint8_t *key, size_t key_len,
                const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
    /* fetched once: a fetch costs more than the derivation (only the
     * reading thread calls this) */
    static EVP_KDF *kdf;
    if (!kdf)
        kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    if (!kdf)
        return -1;
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
    if (!ctx)
        return -1;
    OSSL_PARAM p[6], *q = p;
    *q++ = OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0);
    *q++ = OSSL_PARAM_construct_int("mode", &mode);
    *q++ = OSSL_PARAM_construct_octet_string("key", (void *)key, key_len);
    if (salt)
        *q++ = OSSL_PARAM_construct_octet_string("salt", (void *)salt, salt_len);
    if (info)
        *q++ = OSSL_PARAM_construct_octet_string("info", (void *)info, info_len);
    *q = OSSL_PARAM_construct_end();
    int rc = EVP_KDF_derive(ctx, out, out_len, p) == 1 ? 0 : -1;
    EVP_KDF_CTX_free(ctx);
    return rc;
}

/* HKDF-Expand-Label (RFC 8446 7.1) with an empty context. */
static int expand_label(const uint8_t secret[32], const char *label, uint8_t *out, size_t len)
{
    uint8_t info[64];
    size_t ll = strlen("tls13 ") + strlen(label);
    if (ll > 40)
        return -1;
    info[0] = (uint8_t)(len >> 8);
    info[1] = (uint8_t)len;
    info[2] = (uint8_t)ll;
    memcpy(info + 3, "tls13 ", 6);
    memcpy(info + 9, label, strlen(label));
    info[3 + ll] = 0;
    return hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, NULL, 0, secret, 32, info, 4 + ll, out, len);
}

static int aes_ecb_block(const uint8_t key[16], const uint8_t in[16], uint8_t out[16])
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, key, NULL) == 1 &&
                    EVP_CIPHER_CTX_set_padding(c, 0) == 1 &&
                    EVP_EncryptUpdate(c, out, &n, in, 16) == 1 && n == 16;
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : -1;
}

static int aes_gcm_open(const uint8_t key[16], const uint8_t nonce[12], const uint8_t *aad,
                        size_t aad_len, const uint8_t *ct, size_t ct_len, const uint8_t tag[16],
                        uint8_t *pt)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, m = 0;
    int ok = c && EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), NULL, key, nonce) == 1 &&
             EVP_DecryptUpdate(c, NULL, &n, aad, (int)aad_len) == 1 &&
             EVP_DecryptUpdate(c, pt, &n, ct, (int)ct_len) == 1 &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)tag) == 1 &&
             EVP_DecryptFinal_ex(c, pt + n, &m) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : -1;
}

/* The CRYPTO frames of one packet into buf/have (the stream's first
 * QUIC_CRYPTO_BUF bytes; have[i] set for each byte given). */
static void crypto_frames(const uint8_t *pt, size_t len, uint8_t *buf, uint8_t *have)
{
    struct cursor c;
    cur_init(&c, pt, len);
    for (int steps = 0; steps < QUIC_MAX_FRAMES && cur_left(&c); steps++) {
        uint64_t type;
        if (cur_varint(&c, &type))
            break;
        if (type == 0x00) { /* PADDING: skip the run */
            uint8_t b;
            while (!cur_peek_u8(&c, 0, &b) && b == 0)
                cur_skip(&c, 1);
            continue;
        }
        if (type == 0x01) /* PING */
            continue;
        if (type != 0x06) /* not CRYPTO: ACK and others are not in a first flight */
            break;
        uint64_t off, n;
        if (cur_varint(&c, &off) || cur_varint(&c, &n) || n > cur_left(&c))
            break;
        struct cursor data;
        cur_sub(&c, (size_t)n, &data);
        for (uint64_t i = 0; i < n && off < QUIC_CRYPTO_BUF && off + i < QUIC_CRYPTO_BUF; i++) {
            uint8_t b;
            if (cur_u8(&data, &b)) /* cannot fail (n bytes were taken); gcc -O1 cannot see it */
                break;
            buf[off + i] = b;
            have[off + i] = 1;
        }
    }
}

/* The ClientHello's SNI from the stream's first n bytes (behind a
 * synthetic TLS record header, for tls.c's parser). */
static int hello_sni(const uint8_t *buf, size_t n, char out[NAME_MAX_LEN + 1])
{
    uint8_t rec[5 + QUIC_CRYPTO_BUF];
    rec[0] = 0x16;
    rec[1] = 0x03;
    rec[2] = 0x03;
    rec[3] = (uint8_t)(n >> 8);
    rec[4] = (uint8_t)n;
    memcpy(rec + 5, buf, n);
    return tls_client_hello_sni(rec, 5 + n, out);
}

int quic_crypto_sni(struct quic_reasm *r, uint64_t conn, const uint8_t *dcid, size_t dl,
                    const uint8_t *pt, size_t len, char out[NAME_MAX_LEN + 1])
{
    out[0] = '\0';
    if (dl > QUIC_MAX_CID)
        return -1;
    uint8_t buf[QUIC_CRYPTO_BUF], have[QUIC_CRYPTO_BUF];
    memset(buf, 0, sizeof(buf));
    memset(have, 0, sizeof(have));
    crypto_frames(pt, len, buf, have);
    struct quic_pending *e = r ? pending_find(r, conn, dcid, (uint8_t)dl) : NULL;
    if (e) /* an earlier Initial's bytes fill the gaps (retransmitted bytes are equal) */
        for (size_t i = 0; i < QUIC_CRYPTO_BUF; i++)
            if (!have[i] && e->have[i]) {
                buf[i] = e->buf[i];
                have[i] = 1;
            }
    size_t n = 0;
    while (n < QUIC_CRYPTO_BUF && have[n])
        n++;
    int rc = n >= 4 ? hello_sni(buf, n, out) : 0;
    /* done: named, or never to be: the whole ClientHello is there (or all
     * the room is), it is something else, or what is there is already
     * malformed (tls.c says -1 only for bytes present, never for a cut) */
    size_t need = n >= 4 ? 4 + ((size_t)buf[1] << 16 | (size_t)buf[2] << 8 | buf[3]) : SIZE_MAX;
    int done = rc != 0 || n >= need || n == QUIC_CRYPTO_BUF || (n >= 1 && buf[0] != 0x01);
    if (!r)
        return rc;
    uint64_t d = conn_digest(conn, dcid, (uint8_t)dl);
    int seen = named_seen(r, d);
    if (done || (!e && seen)) {
        if (e)
            e->age = 0;
        if (rc == 1 && !seen) {
            r->named[r->named_next] = d;
            r->named_next = (r->named_next + 1) % QUIC_NAMED;
        }
        return rc;
    }
    /* not complete yet: keep it for the client's next Initial */
    if (!e) {
        e = pending_take(r);
        e->conn = conn;
        memcpy(e->dcid, dcid, dl);
        e->dl = (uint8_t)dl;
    }
    e->age = ++r->clock;
    memcpy(e->buf, buf, sizeof(buf));
    memcpy(e->have, have, sizeof(have));
    return 0;
}

int quic_initial_sni(struct quic_reasm *r, uint64_t conn, const uint8_t *p, size_t len,
                     char out[NAME_MAX_LEN + 1])
{
    out[0] = '\0';
    if (len > QUIC_MAX_PACKET)
        len = QUIC_MAX_PACKET;
    struct cursor c;
    cur_init(&c, p, len);
    uint8_t b0, dl, sl;
    uint32_t version;
    if (cur_u8(&c, &b0) || (b0 & 0xC0) != 0xC0 || cur_be32(&c, &version))
        return 0;
    unsigned type = (b0 >> 4) & 3;
    if (!((version == QUIC_V1 && type == 0) || (version == QUIC_V2 && type == 1)))
        return 0;
    uint8_t dcid[QUIC_MAX_CID];
    if (cur_u8(&c, &dl) || dl > QUIC_MAX_CID || cur_copy(&c, dcid, dl))
        return -1;
    if (cur_u8(&c, &sl) || sl > QUIC_MAX_CID || cur_skip(&c, sl))
        return -1;
    uint64_t tok, plen;
    if (cur_varint(&c, &tok) || tok > cur_left(&c) || cur_skip(&c, (size_t)tok))
        return -1;
    if (cur_varint(&c, &plen) || plen > cur_left(&c) || plen < 20)
        return -1;
    size_t pn_off = c.off;
    /* header protection sample: 16 bytes from pn_off + 4 */
    uint8_t sample[16];
    struct cursor sc = c;
    if (cur_skip(&sc, 4) || cur_copy(&sc, sample, 16))
        return -1;

    int v2 = version == QUIC_V2;
    uint8_t initial[32], csecret[32], key[16], iv[12], hp[16], mask[16];
    if (hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, v2 ? salt_v2 : salt_v1, 20, dcid, dl, NULL, 0, initial,
             32) ||
        expand_label(initial, "client in", csecret, 32) ||
        expand_label(csecret, v2 ? "quicv2 key" : "quic key", key, 16) ||
        expand_label(csecret, v2 ? "quicv2 iv" : "quic iv", iv, 12) ||
        expand_label(csecret, v2 ? "quicv2 hp" : "quic hp", hp, 16) ||
        aes_ecb_block(hp, sample, mask))
        return -1;

    uint8_t hdr[QUIC_MAX_PACKET]; /* the header may carry a long token */
    size_t pn_len = (size_t)((b0 ^ mask[0]) & 0x03) + 1;
    size_t hdr_len = pn_off + pn_len;
    if (hdr_len > sizeof(hdr) || plen < pn_len + 16)
        return -1;
    struct cursor hc;
    cur_init(&hc, p, len);
    if (cur_copy(&hc, hdr, hdr_len))
        return -1;
    hdr[0] = (uint8_t)(b0 ^ (mask[0] & 0x0F));
    uint64_t pn = 0;
    for (size_t i = 0; i < pn_len; i++) {
        hdr[pn_off + i] ^= mask[1 + i];
        pn = pn << 8 | hdr[pn_off + i];
    }
    uint8_t nonce[12];
    memcpy(nonce, iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));

    size_t ct_len = (size_t)plen - pn_len - 16;
    struct cursor body = c;
    uint8_t ct[QUIC_MAX_PACKET], tag[16], pt[QUIC_MAX_PACKET];
    if (ct_len > sizeof(ct) || cur_skip(&body, pn_len) || cur_copy(&body, ct, ct_len) ||
        cur_copy(&body, tag, 16))
        return -1;
    if (aes_gcm_open(key, nonce, hdr, hdr_len, ct, ct_len, tag, pt))
        return -1; /* not a client Initial for this DCID, or damaged */

    return quic_crypto_sni(r, conn, dcid, dl, pt, ct_len, out);
}

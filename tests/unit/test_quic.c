/*
 * test_quic.c - the server name from QUIC client Initials (decode/quic.c):
 * packets built and protected here by an independent implementation of
 * RFC 9001 (HKDF from HMAC, AES-128-GCM, header protection), its keys
 * checked against the RFC's own test vectors (appendix A.1), then read
 * back: a ClientHello in one Initial, and one spread over two (post-quantum
 * key shares make Chrome's some 1.8 KB) with its SNI in the second, in
 * either order, with CRYPTO frames shuffled as Chrome's "chaos protection"
 * does; the waiting table's keys, bound and release.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "decode/quic.h"

/* ---- RFC 9001 protection, written apart from quic.c ------------------ */

static const uint8_t salt_v1[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
                                    0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};

static void hmac256(const uint8_t *key, size_t klen, const uint8_t *msg, size_t mlen,
                    uint8_t out[32])
{
    unsigned int n = 0;
    assert_non_null(HMAC(EVP_sha256(), key, (int)klen, msg, mlen, out, &n));
    assert_int_equal(n, 32);
}

/* HKDF-Expand-Label (RFC 8446 7.1), empty context, one block (len <= 32). */
static void expand_label(const uint8_t secret[32], const char *label, uint8_t *out, size_t len)
{
    uint8_t info[80], t[32];
    size_t ll = 6 + strlen(label), k = 0;
    info[k++] = 0;
    info[k++] = (uint8_t)len;
    info[k++] = (uint8_t)ll;
    memcpy(info + k, "tls13 ", 6);
    k += 6;
    memcpy(info + k, label, strlen(label));
    k += strlen(label);
    info[k++] = 0;    /* context */
    info[k++] = 0x01; /* HKDF-Expand's first block counter */
    hmac256(secret, 32, info, k, t);
    memcpy(out, t, len);
}

struct keys {
    uint8_t key[16], iv[12], hp[16];
};

static void client_keys(const uint8_t *dcid, size_t dl, struct keys *k)
{
    uint8_t initial[32], client[32];
    hmac256(salt_v1, sizeof(salt_v1), dcid, dl, initial); /* HKDF-Extract */
    expand_label(initial, "client in", client, 32);
    expand_label(client, "quic key", k->key, 16);
    expand_label(client, "quic iv", k->iv, 12);
    expand_label(client, "quic hp", k->hp, 16);
}

static void hex(const char *s, uint8_t *out)
{
    for (size_t i = 0; s[2 * i]; i++) {
        unsigned v;
        assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

/* The test's own key schedule against RFC 9001 A.1. */
static void test_rfc9001_client_keys(void **state)
{
    (void)state;
    uint8_t dcid[8], key[16], iv[12], hp[16];
    hex("8394c8f03e515708", dcid);
    hex("1f369613dd76d5467730efcbe3b1a22d", key);
    hex("fa044b2f42a3fd3b46fb255c", iv);
    hex("9f50449e04a0e810283a1e9933adedd2", hp);
    struct keys k;
    client_keys(dcid, 8, &k);
    assert_memory_equal(k.key, key, 16);
    assert_memory_equal(k.iv, iv, 12);
    assert_memory_equal(k.hp, hp, 16);
}

/* A QUIC v1 client Initial datagram (1200 bytes, padded) carrying frames
 * (plaintext) for connection dcid, packet number pn (2 bytes); its length. */
static size_t initial(const uint8_t *dcid, size_t dl, uint32_t pn, const uint8_t *frames,
                      size_t flen, uint8_t *out)
{
    const size_t dgram = 1200, pn_len = 2;
    size_t h = 0;
    out[h++] = 0xC0 | (uint8_t)(pn_len - 1); /* long header, Initial */
    out[h++] = 0;
    out[h++] = 0;
    out[h++] = 0;
    out[h++] = 1; /* version 1 */
    out[h++] = (uint8_t)dl;
    memcpy(out + h, dcid, dl);
    h += dl;
    out[h++] = 4; /* source connection ID */
    memcpy(out + h, "\x01\x02\x03\x04", 4);
    h += 4;
    out[h++] = 0;                /* no token */
    size_t plen = dgram - h - 2; /* the Length field's 2 bytes */
    size_t body = plen - pn_len - 16;
    assert_true(flen <= body);
    out[h++] = (uint8_t)(0x40 | plen >> 8);
    out[h++] = (uint8_t)plen;
    size_t pn_off = h;
    out[h++] = (uint8_t)(pn >> 8);
    out[h++] = (uint8_t)pn;
    uint8_t pt[1200];
    memcpy(pt, frames, flen);
    memset(pt + flen, 0, body - flen); /* PADDING */

    struct keys k;
    client_keys(dcid, dl, &k);
    uint8_t nonce[12];
    memcpy(nonce, k.iv, 12);
    nonce[10] ^= (uint8_t)(pn >> 8);
    nonce[11] ^= (uint8_t)pn;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0;
    assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, k.key, nonce), 1);
    assert_int_equal(EVP_EncryptUpdate(c, NULL, &n, out, (int)h), 1); /* the header: AAD */
    assert_int_equal(EVP_EncryptUpdate(c, out + h, &n, pt, (int)body), 1);
    assert_int_equal(EVP_EncryptFinal_ex(c, out + h + n, &n), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + h + body), 1);
    EVP_CIPHER_CTX_free(c);

    /* header protection: the sample starts 4 bytes past the packet number's start */
    uint8_t mask[32];
    c = EVP_CIPHER_CTX_new();
    assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, k.hp, NULL), 1);
    EVP_CIPHER_CTX_set_padding(c, 0);
    assert_int_equal(EVP_EncryptUpdate(c, mask, &n, out + pn_off + 4, 16), 1);
    EVP_CIPHER_CTX_free(c);
    out[0] ^= mask[0] & 0x0F;
    out[pn_off] ^= mask[1];
    out[pn_off + 1] ^= mask[2];
    return dgram;
}

/* ---- ClientHellos and frames ------------------------------------------ */

struct bytes {
    uint8_t b[8192];
    size_t n;
};

static void put(struct bytes *x, const void *p, size_t n)
{
    assert_true(x->n + n <= sizeof(x->b));
    memcpy(x->b + x->n, p, n);
    x->n += n;
}
static void put8(struct bytes *x, unsigned v)
{
    uint8_t b = (uint8_t)v;
    put(x, &b, 1);
}
static void put16(struct bytes *x, unsigned v)
{
    put8(x, v >> 8);
    put8(x, v);
}

/* A ClientHello (handshake message) whose extensions are a filler of
 * fill bytes (a post-quantum key share's size) and then, unless sni is
 * NULL, the server name; type is the handshake type (1: ClientHello). */
static void hello(struct bytes *h, unsigned type, size_t fill, const char *sni)
{
    struct bytes ext = {.n = 0};
    put16(&ext, 0x0033); /* key_share, its bytes meaningless here */
    put16(&ext, (unsigned)fill);
    for (size_t i = 0; i < fill; i++)
        put8(&ext, (unsigned)(i * 7));
    if (sni) {
        size_t l = strlen(sni);
        put16(&ext, 0x0000);
        put16(&ext, (unsigned)(l + 5));
        put16(&ext, (unsigned)(l + 3));
        put8(&ext, 0); /* host_name */
        put16(&ext, (unsigned)l);
        put(&ext, sni, l);
    }
    struct bytes body = {.n = 0};
    put16(&body, 0x0303);
    for (int i = 0; i < 32; i++)
        put8(&body, (unsigned)i); /* random */
    put8(&body, 0);               /* session id */
    put16(&body, 2);
    put16(&body, 0x1301);
    put8(&body, 1);
    put8(&body, 0); /* compression: null */
    put16(&body, (unsigned)ext.n);
    put(&body, ext.b, ext.n);
    h->n = 0;
    put8(h, type);
    put8(h, (unsigned)(body.n >> 16));
    put16(h, (unsigned)body.n);
    put(h, body.b, body.n);
}

/* A CRYPTO frame of h's bytes [off, off + len). */
static void crypto(struct bytes *f, const struct bytes *h, size_t off, size_t len)
{
    put8(f, 0x06);
    put16(f, 0x4000 | (unsigned)off); /* 2-byte varints */
    put16(f, 0x4000 | (unsigned)len);
    put(f, h->b + off, len);
}

static const uint8_t dcid_a[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};

/* The two Initials of a ClientHello cut at `cut`, the first one's frames
 * shuffled (a PING, the second half of its bytes before the first).
 * write_initials() uses it outside a test too, where a failed assertion
 * ends the program. */
static void two_initials(const struct bytes *h, size_t cut, const uint8_t *dcid, uint8_t p1[1200],
                         uint8_t p2[1200])
{
    struct bytes f = {.n = 0};
    put8(&f, 0x01); /* PING */
    crypto(&f, h, cut / 2, cut - cut / 2);
    put8(&f, 0x01);
    crypto(&f, h, 0, cut / 2);
    assert_int_equal(initial(dcid, 8, 0, f.b, f.n, p1), 1200);
    f.n = 0;
    crypto(&f, h, cut, h->n - cut);
    assert_int_equal(initial(dcid, 8, 1, f.b, f.n, p2), 1200);
}

/* ---- tests ------------------------------------------------------------ */

static void test_one_initial(void **state)
{
    (void)state;
    struct bytes h, f = {.n = 0};
    hello(&h, 1, 200, "one.example.net");
    crypto(&f, &h, 0, h.n);
    uint8_t p[1200];
    initial(dcid_a, 8, 0, f.b, f.n, p);
    char out[NAME_MAX_LEN + 1];
    assert_int_equal(quic_initial_sni(NULL, 1, p, sizeof(p), out), 1);
    assert_string_equal(out, "one.example.net");
    struct quic_reasm *r = quic_reasm_new();
    assert_non_null(r);
    assert_int_equal(quic_initial_sni(r, 1, p, sizeof(p), out), 1);
    assert_string_equal(out, "one.example.net");
    assert_int_equal(quic_reasm_pending(r), 0); /* found at once: nothing kept */
    /* a byte changed: the AEAD refuses it */
    p[600] ^= 1;
    assert_int_equal(quic_initial_sni(r, 1, p, sizeof(p), out), -1);
    assert_string_equal(out, "");
    quic_reasm_free(r);
}

static void test_two_initials(void **state)
{
    (void)state;
    struct bytes h;
    hello(&h, 1, 1500, "split.example.org"); /* the SNI past the first packet's 1000 bytes */
    assert_true(h.n > 1500);
    uint8_t p1[1200], p2[1200];
    two_initials(&h, 1000, dcid_a, p1, p2);
    char out[NAME_MAX_LEN + 1];

    /* one packet at a time: the name is in neither */
    assert_int_equal(quic_initial_sni(NULL, 1, p1, 1200, out), 0);
    assert_int_equal(quic_initial_sni(NULL, 1, p2, 1200, out), 0);

    /* in order (connection key 1), then the other way round (3) */
    struct quic_reasm *r = quic_reasm_new();
    assert_int_equal(quic_initial_sni(r, 1, p1, 1200, out), 0);
    assert_int_equal(quic_reasm_pending(r), 1);
    assert_int_equal(quic_initial_sni(r, 1, p2, 1200, out), 1);
    assert_string_equal(out, "split.example.org");
    assert_int_equal(quic_reasm_pending(r), 0);
    assert_int_equal(quic_initial_sni(r, 3, p2, 1200, out), 0);
    assert_int_equal(quic_reasm_pending(r), 1);
    assert_int_equal(quic_initial_sni(r, 3, p1, 1200, out), 1);
    assert_string_equal(out, "split.example.org");
    assert_int_equal(quic_reasm_pending(r), 0);

    /* a connection named does not wait again: its second half retransmitted */
    assert_int_equal(quic_initial_sni(r, 1, p2, 1200, out), 0);
    assert_int_equal(quic_initial_sni(r, 3, p2, 1200, out), 0);
    assert_int_equal(quic_reasm_pending(r), 0);

    /* the first Initial again (a retransmission) before the second */
    assert_int_equal(quic_initial_sni(r, 4, p1, 1200, out), 0);
    assert_int_equal(quic_initial_sni(r, 4, p1, 1200, out), 0);
    assert_int_equal(quic_reasm_pending(r), 1);
    assert_int_equal(quic_initial_sni(r, 4, p2, 1200, out), 1);

    /* another connection's (another client's, same DCID) second half
     * does not complete it */
    assert_int_equal(quic_initial_sni(r, 5, p1, 1200, out), 0);
    assert_int_equal(quic_initial_sni(r, 2, p2, 1200, out), 0);
    assert_int_equal(quic_reasm_pending(r), 2);
    quic_reasm_free(r);
}

/* At most 16 wait; the oldest gives way, the newest still completes. */
static void test_waiting_bound(void **state)
{
    (void)state;
    struct bytes h;
    hello(&h, 1, 1500, "bound.example.com");
    struct quic_reasm *r = quic_reasm_new();
    char out[NAME_MAX_LEN + 1];
    uint8_t first[1200], p1[1200], p2[1200];
    for (unsigned i = 0; i < 17; i++) {
        uint8_t dcid[8];
        memcpy(dcid, dcid_a, 8);
        dcid[0] = (uint8_t)i;
        two_initials(&h, 1000, dcid, p1, p2);
        if (i == 0)
            memcpy(first, p2, sizeof(first));
        assert_int_equal(quic_initial_sni(r, 1, p1, 1200, out), 0);
        assert_int_equal(quic_reasm_pending(r), i < 16 ? i + 1 : 16);
    }
    assert_int_equal(quic_initial_sni(r, 1, first, 1200, out), 0); /* gave way */
    assert_int_equal(quic_initial_sni(r, 1, p2, 1200, out), 1);    /* the 17th */
    assert_string_equal(out, "bound.example.com");
    quic_reasm_free(r);
}

/* What can never name anything is not kept: a whole ClientHello without
 * a server name, another handshake message. */
static void test_not_kept(void **state)
{
    (void)state;
    struct bytes h;
    uint8_t p1[1200], p2[1200];
    char out[NAME_MAX_LEN + 1];
    struct quic_reasm *r = quic_reasm_new();

    hello(&h, 1, 1500, NULL);
    two_initials(&h, 1000, dcid_a, p1, p2);
    assert_int_equal(quic_initial_sni(r, 1, p1, 1200, out), 0);
    assert_int_equal(quic_reasm_pending(r), 1);
    assert_int_equal(quic_initial_sni(r, 1, p2, 1200, out), 0); /* complete, no name */
    assert_int_equal(quic_reasm_pending(r), 0);

    hello(&h, 2, 1500, "not.a.hello"); /* a ServerHello's type */
    two_initials(&h, 1000, dcid_a, p1, p2);
    assert_int_equal(quic_initial_sni(r, 1, p1, 1200, out), 0);
    assert_int_equal(quic_reasm_pending(r), 0);
    quic_reasm_free(r);
    quic_reasm_free(NULL);
    assert_int_equal(quic_reasm_pending(NULL), 0);
}

/* For tests/e2e/cli.sh, which has no AES-GCM of its own: the two
 * Initials of test_two_initials (frames shuffled as there) as
 * DIR/quic_initial_1.bin and DIR/quic_initial_2.bin (UDP payloads); and
 * DIR/quic_frames.bin, the seed of tests/fuzz/regress/quic-frames-split. */
static int write_initials(const char *dir)
{
    struct bytes h;
    hello(&h, 1, 1500, "split.example.org");
    uint8_t p1[1200], p2[1200];
    two_initials(&h, 1000, dcid_a, p1, p2);
    /* and fuzz_quic's decrypted-side input: [cut][dl][dcid][frames], the
     * cut inside the ClientHello, before its name */
    struct bytes z = {.n = 0}, f = {.n = 0};
    crypto(&f, &h, 0, 1000);
    for (int i = 0; i < 40; i++)
        put8(&f, 0); /* PADDING, where the cut falls (the harness's cut is coarse) */
    crypto(&f, &h, 1000, h.n - 1000);
    put8(&z, 255 * (1005 + 20) / (unsigned)f.n);
    put8(&z, 8);
    put(&z, dcid_a, 8);
    put(&z, f.b, f.n);
    for (int i = 1; i <= 3; i++) {
        char path[512];
        snprintf(path, sizeof(path), i < 3 ? "%s/quic_initial_%d.bin" : "%s/quic_frames.bin", dir,
                 i);
        const uint8_t *b = i == 1 ? p1 : i == 2 ? p2 : z.b;
        size_t n = i < 3 ? 1200 : z.n;
        FILE *fp = fopen(path, "wb");
        if (!fp || fwrite(b, 1, n, fp) != n || fclose(fp)) {
            fprintf(stderr, "test_quic: cannot write %s\n", path);
            return 1;
        }
    }
    return 0;
}

/* The same rules on the decrypted side (quic_crypto_sni): what tls.c
 * already finds malformed is -1 and not kept; a ClientHello past the 4 KiB
 * kept, its SNI beyond them, is given up; a DCID that differs only in its
 * length is another connection; an entry brought up to date is young
 * again (the oldest gives way, not it). */
static void test_crypto_rules(void **state)
{
    (void)state;
    struct quic_reasm *r = quic_reasm_new();
    char out[NAME_MAX_LEN + 1];
    struct bytes h, f;

    /* a session id of 40 bytes (TLS allows 32), the hello cut at 1000 */
    hello(&h, 1, 1500, "bad.example");
    h.b[4 + 2 + 32] = 40;
    f.n = 0;
    crypto(&f, &h, 0, 1000);
    assert_int_equal(quic_crypto_sni(NULL, 1, dcid_a, 8, f.b, f.n, out), -1);
    assert_int_equal(quic_crypto_sni(r, 1, dcid_a, 8, f.b, f.n, out), -1);
    assert_int_equal(quic_reasm_pending(r), 0);

    /* 4 KiB and more before the name: all the room used, given up */
    hello(&h, 1, 4200, "far.example");
    f.n = 0;
    crypto(&f, &h, 0, 4096);
    assert_int_equal(quic_crypto_sni(r, 1, dcid_a, 8, f.b, f.n, out), 0);
    assert_int_equal(quic_reasm_pending(r), 0);

    /* the DCID's first 7 bytes are not the DCID */
    hello(&h, 1, 1500, "len.example");
    f.n = 0;
    crypto(&f, &h, 0, 1000);
    struct bytes g = {.n = 0};
    crypto(&g, &h, 1000, h.n - 1000);
    assert_int_equal(quic_crypto_sni(r, 1, dcid_a, 8, f.b, f.n, out), 0);
    assert_int_equal(quic_crypto_sni(r, 1, dcid_a, 7, g.b, g.n, out), 0);
    assert_int_equal(quic_reasm_pending(r), 2);
    assert_int_equal(quic_crypto_sni(r, 1, dcid_a, 8, g.b, g.n, out), 1);
    assert_string_equal(out, "len.example");
    quic_reasm_free(r);

    /* 16 waiting (connection keys 100..115), the first brought up to date
     * by a retransmission, then a 17th: the second gives way, not it */
    r = quic_reasm_new();
    for (uint64_t c = 100; c < 116; c++)
        assert_int_equal(quic_crypto_sni(r, c, dcid_a, 8, f.b, f.n, out), 0);
    assert_int_equal(quic_crypto_sni(r, 100, dcid_a, 8, f.b, f.n, out), 0);
    assert_int_equal(quic_crypto_sni(r, 116, dcid_a, 8, f.b, f.n, out), 0);
    assert_int_equal(quic_reasm_pending(r), 16);
    assert_int_equal(quic_crypto_sni(r, 101, dcid_a, 8, g.b, g.n, out), 0);
    assert_int_equal(quic_crypto_sni(r, 100, dcid_a, 8, g.b, g.n, out), 1);
    assert_string_equal(out, "len.example");
    quic_reasm_free(r);
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--write-initials"))
        return write_initials(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc9001_client_keys),
        cmocka_unit_test(test_one_initial),
        cmocka_unit_test(test_two_initials),
        cmocka_unit_test(test_waiting_bound),
        cmocka_unit_test(test_not_kept),
        cmocka_unit_test(test_crypto_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * fuzz_names.c - libFuzzer target: one payload through dns_parse() (as UDP,
 * and as TCP after dns_tcp_strip(), each whole and cut by the snapshot
 * length), tls_client_hello_sni() and http_request_host().
 *
 * Each parser gets its own exactly sized copy of the bytes (for TCP DNS, of
 * the stripped message), so ASan catches any over-read.  Output buffers are
 * pre-filled with garbage.  abort() when a result is outside {-1, 0, 1}, a
 * returned name is not NUL-terminated within NAME_MAX_LEN + 1 bytes or has a
 * byte name_normalise would reject (or an uppercase letter), more addresses
 * are reported than fit, or an address family is not 4 or 6; a DNS message
 * read with dns_parse's cut must read as without it unless that ran out of
 * bytes, and a prefix of a well-formed one read with cut must not be
 * malformed, give more addresses or another question name.  Two shapes are
 * checked separately: a DNS name, in presentation form (\DDD escapes,
 * dns_text_ok) inside DNS_TEXT_MAX + 1 bytes and at most NAME_MAX_LEN bytes
 * once unescaped, and an HTTP Host IPv6 literal ("[" hex, ':', '.' "]").
 * The same bytes also go through tls_stream_sni() in up to three segments
 * (cut where the input's last two bytes say), with a retransmission of the
 * first: results in range, at most one entry waiting, and a name the
 * whole ClientHello gives is found from the segments too; then again with
 * SYN, RST and cut bits from the input.
 */
#include "decode/names.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *copy_exact(const uint8_t *p, size_t n)
{
    uint8_t *c = malloc(n ? n : 1);
    if (!c)
        abort();
    if (n)
        memcpy(c, p, n);
    return c;
}

static void check_result(int rc)
{
    if (rc < -1 || rc > 1)
        abort();
}

static void check_name(const char *s, int rc, int allow_ipv6)
{
    const char *nul = memchr(s, '\0', NAME_MAX_LEN + 1);
    if (!nul)
        abort();
    size_t n = (size_t)(nul - s);
    if (rc != 1 && n != 0 && !allow_ipv6)
        abort(); /* tls/http: a name only with result 1 */
    if (allow_ipv6 && n >= 2 && s[0] == '[') {
        if (s[n - 1] != ']')
            abort();
        for (size_t i = 1; i + 1 < n; i++) {
            unsigned char c = (unsigned char)s[i];
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' || c == '.'))
                abort();
        }
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (!name_char_ok((unsigned char)s[i]))
            abort();
    char tmp[NAME_MAX_LEN + 1];
    memcpy(tmp, s, n + 1);
    if (name_normalise(tmp) != 0)
        abort();
}

/* A DNS name: presentation form inside its buffer, at most 253 bytes. */
static void check_dns_name(const char *s)
{
    const char *nul = memchr(s, '\0', DNS_TEXT_MAX + 1);
    if (!nul)
        abort();
    size_t n = (size_t)(nul - s);
    uint8_t raw[DNS_TEXT_MAX];
    if (!dns_text_ok(s, n) || dns_text_bytes(s, n, raw) > NAME_MAX_LEN)
        abort();
}

struct dns_res {
    int rc, resp;
    uint16_t qtype;
    size_t nad;
    char qname[DNS_TEXT_MAX + 1];
    struct name_addr addrs[4];
};

static void dns_one_res(const uint8_t *p, size_t n, int cut, size_t max_addrs, struct dns_res *o)
{
    struct name_addr *addrs = o->addrs;
    char *qname = o->qname;
    uint16_t qtype = 0xEEEE;
    int resp = 7;
    size_t nad = 999;

    memset(qname, 'Q', sizeof(o->qname));
    memset(addrs, 0xEE, sizeof(o->addrs));
    uint8_t *buf = copy_exact(p, n);
    int rc = dns_parse(buf, n, cut, qname, &qtype, &resp, addrs, max_addrs, &nad);
    free(buf);
    check_result(rc);
    check_dns_name(qname);
    if (nad > max_addrs || (rc != 1 && nad != 0))
        abort();
    if (resp != 0 && resp != 1)
        abort();
    if (rc == 1 && !resp)
        abort();
    if (rc == -1 && (qname[0] || qtype || resp))
        abort();
    for (size_t i = 0; i < nad; i++)
        if (addrs[i].family != 4 && addrs[i].family != 6)
            abort();
    o->rc = rc;
    o->resp = resp;
    o->qtype = qtype;
    o->nad = nad;
}

/*
 * Without and with cut: a reading that never ran out of bytes (not -1
 * without cut) is the same with cut.  Then the first k bytes (k from the
 * input) as a cut message: not malformed where the whole is not, no
 * address the whole does not give, and the whole's question if any.
 */
static void dns_one(const uint8_t *p, size_t n, size_t max_addrs, size_t k)
{
    struct dns_res w, c, pre;
    dns_one_res(p, n, 0, max_addrs, &w);
    dns_one_res(p, n, 1, max_addrs, &c);
    if (w.rc != -1 &&
        (c.rc != w.rc || c.nad != w.nad || c.resp != w.resp || c.qtype != w.qtype ||
         strcmp(c.qname, w.qname) || memcmp(c.addrs, w.addrs, w.nad * sizeof(w.addrs[0]))))
        abort();
    if (k > n)
        return;
    dns_one_res(p, k, 1, max_addrs, &pre);
    if (w.rc == -1)
        return;
    if (pre.rc == -1 || (pre.rc == 1 && w.rc != 1) || pre.nad > w.nad)
        abort();
    if (pre.qname[0] && strcmp(pre.qname, w.qname))
        abort();
    for (size_t i = 0, j = 0; i < pre.nad && w.nad < max_addrs; i++, j++) {
        /* all the whole's addresses are there: the prefix's come in order */
        while (j < w.nad && memcmp(&pre.addrs[i], &w.addrs[j], sizeof(w.addrs[0])))
            j++;
        if (j == w.nad)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[NAME_MAX_LEN + 1];
    uint8_t *buf;
    int rc;

    /* DNS over UDP, with room for 4 and for 1 address; a cut where the
     * input's last byte says (a prefix of up to 255 bytes). */
    size_t k = size ? data[size - 1] : 0;
    dns_one(data, size, 4, k);
    dns_one(data, size, 1, k);

    /* DNS over TCP, whole and cut. */
    for (int cut = 0; cut <= 1; cut++) {
        buf = copy_exact(data, size);
        const uint8_t *msg = (const uint8_t *)"x";
        size_t mlen = 12345;
        rc = dns_tcp_strip(buf, size, cut, &msg, &mlen);
        if (rc == 0 || rc == 1) {
            if (msg != buf + 2 || mlen == 0 || mlen > size - 2 || (rc == 1 && !cut) ||
                (rc == 1 && mlen != size - 2))
                abort();
            size_t off = (size_t)(msg - buf);
            free(buf);
            if (rc == 0)
                dns_one(data + off, mlen, 4, k);
            else
                dns_one(data + off, mlen, 4, mlen + 1); /* the cut reading is checked */
        } else {
            if (rc != -1 || msg != NULL || mlen != 0)
                abort();
            free(buf);
        }
    }

    /* TLS ClientHello. */
    memset(out, 'Q', sizeof(out));
    buf = copy_exact(data, size);
    rc = tls_client_hello_sni(buf, size, out);
    free(buf);
    check_result(rc);
    check_name(out, rc, 0);
    if (rc == 1 && out[0] == '\0')
        abort();

    /* The ClientHello over segments: [0, a), [0, a) again, [a, b), [b, size). */
    if (size >= 2) {
        char whole[NAME_MAX_LEN + 1];
        int wrc = rc;
        memcpy(whole, out, sizeof(whole));
        size_t a = data[size - 1] % size, b = a + data[size - 2] % (size - a + 1);
        size_t cut[4][2] = {{0, a}, {0, a}, {a, b}, {b, size}};
        struct tls_reasm *r = tls_reasm_new();
        if (!r)
            abort();
        int found = 0;
        for (size_t i = 0; i < 4 && !found; i++) {
            size_t n = cut[i][1] - cut[i][0];
            memset(out, 'Q', sizeof(out));
            buf = copy_exact(data + cut[i][0], n);
            rc =
                tls_stream_sni(r, 7, 0xFFFFFF00u + (uint32_t)cut[i][0], 0, (int64_t)i, buf, n, out);
            free(buf);
            if (rc < TLS_NOT_HELLO || rc > 1 || tls_reasm_pending(r) > 1)
                abort();
            check_name(out, rc == 1, 0);
            if (rc == 1) {
                if (wrc == 1 && strcmp(out, whole))
                    abort();
                found = 1;
            }
            if (rc == -1)
                break;
        }
        /* a whole ClientHello's name is found from its segments in order */
        if (wrc == 1 && !found)
            abort();
        /* again with the TCP bits the input's third-last byte says (SYN,
         * RST, cut), for each segment in turn: results in range */
        unsigned bits = size >= 3 ? data[size - 3] : 0;
        for (size_t i = 0; i < 4; i++) {
            size_t n = cut[i][1] - cut[i][0];
            buf = copy_exact(data + cut[i][0], n);
            rc = tls_stream_sni(r, 7, (uint32_t)cut[i][0], (bits >> (2 * i)) & 7, (int64_t)i << 33,
                                buf, n, out);
            free(buf);
            if (rc < TLS_NOT_HELLO || rc > 1 || tls_reasm_pending(r) > 1)
                abort();
            check_name(out, rc == 1, 0);
        }
        tls_reasm_free(r);
    }

    /* HTTP request. */
    memset(out, 'Q', sizeof(out));
    buf = copy_exact(data, size);
    rc = http_request_host(buf, size, out);
    free(buf);
    check_result(rc);
    check_name(out, rc, 1);
    if ((rc == 1) != (out[0] != '\0'))
        abort();
    return 0;
}

/*
 * test_names.c - dns_parse(), dns_tcp_strip(), tls_client_hello_sni(),
 * http_request_host() and name_normalise() on hand-built messages.
 *
 * Every DNS message, ClientHello and request is assembled here field by
 * field, so each test states what is on the wire.  Inputs are copied into an
 * exactly sized heap buffer before parsing so that ASan reports any read past
 * the end, and every prefix of the valid messages is parsed too.  Outputs are
 * pre-filled with garbage to prove the parsers always terminate them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "decode/names.h"
#include "util.h"

/* ---- checks shared by all parsers ---------------------------------------- */

/* A returned name: terminated inside the buffer, lowercase, allowed bytes
 * (an HTTP IPv6 literal keeps its brackets and colons). */
static void check_name(const char *s, int allow_ipv6)
{
    const char *nul = memchr(s, '\0', NAME_MAX_LEN + 1);
    assert_non_null(nul);
    size_t n = (size_t)(nul - s);
    if (allow_ipv6 && n > 0 && s[0] == '[') {
        assert_true(s[n - 1] == ']');
        for (size_t i = 1; i + 1 < n; i++) {
            unsigned char c = (unsigned char)s[i];
            assert_true((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' || c == '.');
        }
        return;
    }
    for (size_t i = 0; i < n; i++)
        assert_true(name_char_ok((unsigned char)s[i]));
}

/* A DNS name: terminated inside its buffer, in presentation form
 * (names.h), at most 253 bytes when its escapes are undone. */
static void check_dns_name(const char *s)
{
    const char *nul = memchr(s, '\0', DNS_TEXT_MAX + 1);
    assert_non_null(nul);
    size_t n = (size_t)(nul - s);
    assert_true(dns_text_ok(s, n));
    uint8_t raw[DNS_TEXT_MAX];
    assert_true(dns_text_bytes(s, n, raw) <= NAME_MAX_LEN);
}

static uint8_t *exact_copy(const uint8_t *p, size_t n)
{
    uint8_t *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    if (n)
        memcpy(copy, p, n);
    return copy;
}

/* ---- DNS builders --------------------------------------------------------- */

#define F_QUERY 0x0100u    /* RD */
#define F_RESPONSE 0x8180u /* QR RD RA, NOERROR */
#define T_A 1
#define T_CNAME 5
#define T_TXT 16
#define T_AAAA 28

static void dns_hdr(struct bb *b, unsigned flags, unsigned qd, unsigned an)
{
    bb_be16(b, 0x1234);
    bb_be16(b, flags);
    bb_be16(b, qd);
    bb_be16(b, an);
    bb_be16(b, 0);
    bb_be16(b, 0);
}

/* Labels of a dotted name, without the terminating zero. */
static void dns_labels(struct bb *b, const char *dotted)
{
    while (*dotted) {
        const char *dot = strchr(dotted, '.');
        size_t n = dot ? (size_t)(dot - dotted) : strlen(dotted);
        bb_u8(b, (unsigned)n);
        bb_bytes(b, dotted, n);
        dotted += n;
        if (*dotted == '.')
            dotted++;
    }
}

static size_t dns_name(struct bb *b, const char *dotted)
{
    size_t off = b->n;
    dns_labels(b, dotted);
    bb_u8(b, 0);
    return off;
}

static void dns_ptr(struct bb *b, size_t off)
{
    bb_be16(b, 0xC000u | (unsigned)off);
}

static void dns_question(struct bb *b, const char *name, unsigned type)
{
    dns_name(b, name);
    bb_be16(b, type);
    bb_be16(b, 1);
}

/* Record header after the owner name (class IN); returns the rdata offset. */
static size_t dns_rr(struct bb *b, unsigned type, uint32_t ttl, unsigned rdlen)
{
    bb_be16(b, type);
    bb_be16(b, 1);
    bb_be32(b, ttl);
    bb_be16(b, rdlen);
    return b->n;
}

static void dns_a(struct bb *b, uint32_t ttl, unsigned a, unsigned c, unsigned d, unsigned e)
{
    dns_rr(b, T_A, ttl, 4);
    bb_u8(b, a);
    bb_u8(b, c);
    bb_u8(b, d);
    bb_u8(b, e);
}

static const uint8_t V6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

static void dns_aaaa(struct bb *b, uint32_t ttl, const uint8_t a[16])
{
    dns_rr(b, T_AAAA, ttl, 16);
    bb_bytes(b, a, 16);
}

/* CNAME record after the owner name; returns the offset of the target. */
static size_t dns_cname(struct bb *b, const char *target)
{
    size_t rdlen_off = b->n + 8;
    size_t off = dns_rr(b, T_CNAME, 60, 0);
    dns_name(b, target);
    bb_set_be16(b, rdlen_off, (unsigned)(b->n - off));
    return off;
}

static void dns_txt(struct bb *b, const char *text)
{
    size_t n = strlen(text);
    dns_rr(b, T_TXT, 60, (unsigned)(n + 1));
    bb_u8(b, (unsigned)n);
    bb_bytes(b, text, n);
}

/* ---- DNS parsing ---------------------------------------------------------- */

struct dres {
    int rc;
    int resp;
    uint16_t qtype;
    size_t n;
    char qname[DNS_TEXT_MAX + 1];
    struct name_addr a[8];
};

/* dns_parse on an exact copy; cut: the snapshot length cut the message. */
static int dparse_cut(const uint8_t *p, size_t len, int cut, struct dres *r, size_t max)
{
    uint8_t *copy = exact_copy(p, len);
    memset(r, 0x5A, sizeof(*r));
    assert_true(max <= 8);
    r->rc = dns_parse(copy, len, cut, r->qname, &r->qtype, &r->resp, r->a, max, &r->n);
    free(copy);
    assert_true(r->rc >= -1 && r->rc <= 1);
    check_dns_name(r->qname);
    assert_true(r->n <= max);
    if (r->rc == -1) {
        assert_string_equal(r->qname, "");
        assert_int_equal(r->n, 0);
    }
    for (size_t i = 0; i < r->n; i++)
        assert_true(r->a[i].family == 4 || r->a[i].family == 6);
    return r->rc;
}

static int dparse_max(const uint8_t *p, size_t len, struct dres *r, size_t max)
{
    return dparse_cut(p, len, 0, r, max);
}

static int dparse(const struct bb *b, struct dres *r)
{
    return dparse_max(b->p, b->n, r, 8);
}

static void expect_v4(const struct name_addr *a, unsigned w, unsigned x, unsigned y, unsigned z)
{
    static const uint8_t zero[12];
    const uint8_t want[4] = {(uint8_t)w, (uint8_t)x, (uint8_t)y, (uint8_t)z};
    assert_int_equal(a->family, 4);
    assert_memory_equal(a->addr, want, 4);
    assert_memory_equal(a->addr + 4, zero, 12);
}

/* Response: question www.example.com A, a CNAME to cdn.example.net and an
 * A record for the target (the example of the API comment). */
static void build_cname_response(struct bb *b)
{
    dns_hdr(b, F_RESPONSE, 1, 2);
    dns_question(b, "www.example.com", T_A);
    dns_ptr(b, 12);
    size_t target = dns_cname(b, "cdn.example.net");
    dns_ptr(b, target);
    dns_a(b, 300, 1, 2, 3, 4);
}

/* ---- DNS tests ------------------------------------------------------------ */

static void test_dns_query_a(void **state)
{
    (void)state;
    struct bb b = {0};
    struct dres r;
    dns_hdr(&b, F_QUERY, 1, 0);
    dns_question(&b, "www.example.com", T_A);
    assert_int_equal(dparse(&b, &r), 0);
    assert_string_equal(r.qname, "www.example.com");
    assert_int_equal(r.qtype, T_A);
    assert_int_equal(r.resp, 0);
    assert_int_equal(r.n, 0);
    bb_free(&b);
}

static void test_dns_response_a_and_aaaa(void **state)
{
    (void)state;
    struct bb b = {0};
    struct dres r;
    dns_hdr(&b, F_RESPONSE, 1, 2);
    dns_question(&b, "example.com", T_A);
    dns_ptr(&b, 12);
    dns_a(&b, 300, 93, 184, 216, 34);
    dns_ptr(&b, 12);
    dns_aaaa(&b, 600, V6);
    assert_int_equal(dparse(&b, &r), 1);
    assert_string_equal(r.qname, "example.com");
    assert_int_equal(r.resp, 1);
    assert_int_equal(r.n, 2);
    expect_v4(&r.a[0], 93, 184, 216, 34);
    assert_int_equal(r.a[0].ttl, 300);
    assert_int_equal(r.a[1].family, 6);
    assert_memory_equal(r.a[1].addr, V6, 16);
    assert_int_equal(r.a[1].ttl, 600);
    bb_free(&b);
}

static void test_dns_cname_chain(void **state)
{
    (void)state;
    struct bb b = {0};
    struct dres r;
    build_cname_response(&b);
    assert_int_equal(dparse(&b, &r), 1);
    assert_string_equal(r.qname, "www.example.com");
    assert_int_equal(r.n, 1);
    expect_v4(&r.a[0], 1, 2, 3, 4);
    bb_free(&b);
}

/* Records in any order; the CNAME target written as a label plus a pointer
 * to a suffix of the question name. */
static void test_dns_cname_chain_any_order_and_suffix_pointer(void **state)
{
    (void)state;
    struct bb b = {0};
    struct dres r;
    dns_hdr(&b, F_RESPONSE, 1, 3);
    dns_question(&b, "www.example.com", T_A); /* "example.com" at 16 */
    size_t a_owner = b.n;
    dns_name(&b, "edge.cdn.example.com");
    dns_a(&b, 30, 5, 6, 7, 8);
    dns_ptr(&b, 12);
    size_t rl = b.n + 8;
    size_t t1 = dns_rr(&b, T_CNAME, 60, 0);
    dns_labels(&b, "cdn");
    dns_ptr(&b, 16); /* cdn.example.com */
    bb_set_be16(&b, rl, (unsigned)(b.n - t1));
    dns_ptr(&b, t1);
    rl = b.n + 8;
    size_t t2 = dns_rr(&b, T_CNAME, 60, 0);
    dns_labels(&b, "edge");
    dns_ptr(&b, t1); /* edge.cdn.example.com */
    bb_set_be16(&b, rl, (unsigned)(b.n - t2));
    (void)a_owner;
    assert_int_equal(dparse(&b, &r), 1);
    assert_int_equal(r.n, 1);
    expect_v4(&r.a[0], 5, 6, 7, 8);
    bb_free(&b);
}

static void test_dns_unrelated_answers_ignored(void **state)
{
    (void)state;
    struct bb b = {0};
    struct dres r;
    dns_hdr(&b, F_RESPONSE, 1, 4);
    dns_question(&b, "example.com", T_A);
    dns_name(&b, "other.com");
    dns_a(&b, 60, 9, 9, 9, 9);
    dns_name(&b, "tracker.net");
    dns_cname(&b, "example.com"); /* points to qname, but is not reachable from it */
    dns_name(&b, "example.org");
    dns_aaaa(&b, 60, V6);
    dns_ptr(&b, 12);
    dns_a(&b, 60, 1, 2, 3, 4);
    assert_int_equal(dparse(&b, &r), 1);
    assert_int_equal(r.n, 1);
    expect_v4(&r.a[0], 1, 2, 3, 4);
    bb_free(&b);

    /* Only unrelated addresses: a response without addresses. */
    dns_hdr(&b, F_RESPONSE, 1, 1);
    dns_question(&b, "example.com", T_A);
    dns_name(&b, "other.com");
    dns_a(&b, 60, 9, 9, 9, 9);
    assert_int_equal(dparse(&b, &r), 0);
    assert_string_equal(r.qname, "example.com");
    bb_free(&b);
}

/* n0 -> n1 -> ... -> n<hops>, then an A record for the last name. */
static void build_chain(struct bb *b, unsigned hops)
{
    char from[32], to[32];
    dns_hdr(b, F_RESPONSE, 1, hops + 1);
    dns_question(b, "n0.example", T_A);
    for (unsigned i = 0; i < hops; i++) {
        snprintf(from, sizeof(from), "n%u.example", i);
        snprintf(to, sizeof(to), "n%u.example", i + 1);
        dns_name(b, from);
        dns_cname(b, to);
    }
    snprintf(to, sizeof(to), "n%u.example", hops);
    dns_name(b, to);
    dns_a(b, 60, 10, 0, 0, (unsigned)hops);
}

static void test_dns_cname_hop_limit(void **state)
{
    (void)state;
    struct bb b = {0};
    struct dres r;
    build_chain(&b, DNS_MAX_CNAME_HOPS);
    assert_int_equal(dparse(&b, &r), 1);
    expect_v4(&r.a[0], 10, 0, 0, DNS_MAX_CNAME_HOPS);
    bb_free(&b);
    build_chain(&b, DNS_MAX_CNAME_HOPS + 1);
    assert_int_equal(dparse(&b, &r), 0);
    assert_string_equal(r.qname, "n0.example");
    bb_free(&b);
}

static void test_dns_cname_loop_terminates(void **state)
{
    (void)state;
    struct bb b = {0};
    struct dres r;
    dns_hdr(&b, F_RESPONSE, 1, 4);
    dns_question(&b, "a.example", T_A);
    dns_ptr(&b, 12);
    size_t tb = dns_cname(&b, "b.example");
    dns_ptr(&b, tb);
    dns_cname(&b, "a.example");
    dns_ptr(&b, tb);
    dns_a(&b, 60, 2, 2, 2, 2);
    dns_ptr(&b, 12);
    dns_a(&b, 60, 1, 1, 1, 1);
    assert_int_equal(dparse(&b, &r), 1);
    assert_int_equal(r.n, 2);
    expect_v4(&r.a[0], 2, 2, 2, 2);
    expect_v4(&r.a[1], 1, 1, 1, 1);
    bb_free(&b);
}

static void test_dns_pointer_to_itself(void **state)
{
    (void)state;
    struct bb b = {0};
    struct dres r;
    dns_hdr(&b, F_QUERY, 1, 0);
    dns_ptr(&b, 12);
    bb_be16(&b, T_A);
    bb_be16(&b, 1);
    assert_int_equal(dparse(&b, &r), -1);
    bb_free(&b);
}

static void test_dns_forward_pointer(void **state)
{
    (void)state;
    struct bb b = {0};
    struct dres r;
    dns_hdr(&b, F_QUERY, 1, 0);
    dns_ptr(&b, 18); /* to the name placed after the question */
    bb_be16(&b, T_A);
    bb_be16(&b, 1);
    assert_int_equal(b.n, 18);
    dns_name(&b, "example.com");
    assert_int_equal(dparse(&b, &r), -1);
    bb_free(&b);
}

/* A at X points back to Y, Y (inside an earlier TXT rdata) points to X. */
static void test_dns_pointer_loop(void **state)
{
    (void)state;
    struct bb b = {0};
    struct dres r;
    dns_hdr(&b, F_RESPONSE, 1, 2);
    dns_question(&b, "a.example", T_A);
    dns_ptr(&b, 12);
    size_t y = dns_rr(&b, T_TXT, 60, 2);
    dns_ptr(&b, y + 2); /* Y -> X */
    size_t x = b.n;
    assert_int_equal(x, y + 2);
    dns_ptr(&b, y); /* X -> Y */
    dns_a(&b, 60, 1, 2, 3, 4);
    assert_int_equal(dparse(&b, &r), -1);
    bb_free(&b);
}

/* "ab" then a pointer back to "ab": backwards from the pointer, but into the
 * name being read, which would loop forever. */
static void test_dns_pointer_into_same_name(void **state)
{
    (void)state;
    struct bb b = {0};
    struct dres r;
    dns_hdr(&b, F_QUERY, 1, 0);
    dns_labels(&b, "ab");
    dns_ptr(&b, 12);
    bb_be16(&b, T_A);
    bb_be16(&b, 1);
    assert_int_equal(dparse(&b, &r), -1);
    bb_free(&b);

    /* The same inside an answer, through a first valid jump. */
    dns_hdr(&b, F_RESPONSE, 1, 2);
    dns_question(&b, "a.example", T_A);
    dns_ptr(&b, 12);
    size_t y = dns_rr(&b, T_TXT, 60, 4);
    dns_labels(&b, "x");
    dns_ptr(&b, y); /* y: "x" then back to y */
    dns_ptr(&b, y);
    dns_a(&b, 60, 1, 2, 3, 4);
    assert_int_equal(dparse(&b, &r), -1);
    bb_free(&b);
}

/* An answer whose owner name takes `jumps` pointer jumps to reach "a". */
static void build_pointer_chain(struct bb *b, unsigned jumps)
{
    dns_hdr(b, F_RESPONSE, 1, 2);
    dns_question(b, "a", T_A);
    dns_ptr(b, 12);
    size_t r0 = dns_rr(b, T_TXT, 60, 2 * (jumps - 1));
    for (unsigned k = 0; k + 1 < jumps; k++)
        dns_ptr(b, k == 0 ? 12 : r0 + 2 * (k - 1));
    dns_ptr(b, jumps > 1 ? r0 + 2 * (jumps - 2) : 12);
    dns_a(b, 60, 1, 2, 3, 4);
}

static void test_dns_pointer_jump_limit(void **state)
{
    (void)state;
    struct bb b = {0};
    struct dres r;
    build_pointer_chain(&b, DNS_MAX_PTR_JUMPS);
    assert_int_equal(dparse(&b, &r), 1);
    expect_v4(&r.a[0], 1, 2, 3, 4);
    bb_free(&b);
    build_pointer_chain(&b, DNS_MAX_PTR_JUMPS + 1);
    assert_int_equal(dparse(&b, &r), -1);
    bb_free(&b);
}

static void test_dns_label_length(void **state)
{
    (void)state;
    struct bb b = {0};
    struct dres r;
    char label[65];
    memset(label, 'a', 64);
    label[64] = '\0';
    dns_hdr(&b, F_QUERY, 1, 0);
    dns_question(&b, label + 1, T_A); /* 63 bytes */
    assert_int_equal(dparse(&b, &r), 0);
    assert_int_equal(strlen(r.qname), 63);
    bb_free(&b);
    dns_hdr(&b, F_QUERY, 1, 0);
    dns_question(&b, label, T_A); /* 64: the length byte is 0x40 */
    assert_int_equal(dparse(&b, &r), -1);
    bb_free(&b);
    /* 0x80 and 0x40-style label types are not lengths either. */
    dns_hdr(&b, F_QUERY, 1, 0);
    bb_u8(&b, 0x81);
    bb_u8(&b, 'a');
    bb_u8(&b, 0);
    bb_be16(&b, T_A);
    bb_be16(&b, 1);
    assert_int_equal(dparse(&b, &r), -1);
    bb_free(&b);
}

/* A dotted name of exactly n characters from labels of at most 63. */
static void long_name(char *out, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t lab = n - i < 63 ? n - i : 63;
        memset(out + i, 'a' + (int)(i % 26), lab);
        i += lab;
        if (i < n) {
            if (n - i == 1) {
                out[i - 1] = '.'; /* avoid an empty last label */
                out[i] = 'z';
                i++;
                break;
            }
            out[i++] = '.';
        }
    }
    out[n] = '\0';
}

static void test_dns_name_length(void **state)
{
    (void)state;
    struct bb b = {0};
    struct dres r;
    char name[300];
    long_name(name, 253);
    dns_hdr(&b, F_QUERY, 1, 0);
    dns_question(&b, name, T_A);
    assert_int_equal(dparse(&b, &r), 0);
    assert_string_equal(r.qname, name);
    bb_free(&b);
    long_name(name, 254);
    dns_hdr(&b, F_QUERY, 1, 0);
    dns_question(&b, name, T_A);
    assert_int_equal(dparse(&b, &r), -1);
    bb_free(&b);

    /* The limit holds across a pointer: 2 labels of 63 + a 200-character
     * question name is 328 characters. */
    long_name(name, 200);
    dns_hdr(&b, F_RESPONSE, 1, 1);
    dns_question(&b, name, T_A);
    memset(name, 'q', 127);
    name[63] = '.';
    name[127] = '\0';
    dns_labels(&b, name);
    dns_ptr(&b, 12);
    dns_a(&b, 60, 1, 2, 3, 4);
    assert_int_equal(dparse(&b, &r), -1);
    bb_free(&b);
}

static void test_dns_many_single_labels(void **state)
{
    (void)state;
    struct bb b = {0};
    struct dres r;
    /* 127 one-character labels: 253 characters, the most labels possible. */
    dns_hdr(&b, F_QUERY, 1, 0);
    for (int i = 0; i < 127; i++) {
        bb_u8(&b, 1);
        bb_u8(&b, 'x');
    }
    bb_u8(&b, 0);
    bb_be16(&b, T_A);
    bb_be16(&b, 1);
    assert_int_equal(dparse(&b, &r), 0);
    assert_int_equal(strlen(r.qname), 253);
    bb_free(&b);
    /* 128: 255 characters. */
    dns_hdr(&b, F_QUERY, 1, 0);
    for (int i = 0; i < 128; i++) {
        bb_u8(&b, 1);
        bb_u8(&b, 'x');
    }
    bb_u8(&b, 0);
    bb_be16(&b, T_A);
    bb_be16(&b, 1);
    assert_int_equal(dparse(&b, &r), -1);
    bb_free(&b);
}

static void test_dns_truncated(void **state)
{
    (void)state;
    struct bb b = {0};
    struct dres r;
    dns_hdr(&b, F_QUERY, 1, 0);
    assert_int_equal(dparse_max(b.p, 0, &r, 8), -1);
    assert_int_equal(dparse_max(b.p, 11, &r, 8), -1); /* header */
    assert_int_equal(dparse(&b, &r), -1);             /* question missing */
    dns_question(&b, "example.com", T_A);
    assert_int_equal(dparse_max(b.p, 12 + 5, &r, 8), -1);  /* inside the name */
    assert_int_equal(dparse_max(b.p, b.n - 1, &r, 8), -1); /* inside QCLASS */
    assert_int_equal(dparse(&b, &r), 0);
    bb_free(&b);

    /* Answer cut inside its rdata, and RDLENGTH larger than the message. */
    dns_hdr(&b, F_RESPONSE, 1, 1);
    dns_question(&b, "example.com", T_A);
    dns_ptr(&b, 12);
    dns_a(&b, 60, 1, 2, 3, 4);
    assert_int_equal(dparse_max(b.p, b.n - 1, &r, 8), -1);
    bb_set_be16(&b, b.n - 6, 5);
    bb_u8(&b, 0); /* 5 rdata bytes: an A record of 5 is malformed */
    assert_int_equal(dparse(&b, &r), -1);
    bb_set_be16(&b, b.n - 7, 200);
    assert_int_equal(dparse(&b, &r), -1);
    bb_free(&b);

    /* ANCOUNT says 2, one answer present. */
    dns_hdr(&b, F_RESPONSE, 1, 2);
    dns_question(&b, "example.com", T_A);
    dns_ptr(&b, 12);
    dns_a(&b, 60, 1, 2, 3, 4);
    assert_int_equal(dparse(&b, &r), -1);
    bb_free(&b);
}

/* QDCOUNT 0: accepted, nothing to report (qname "", qtype 0), answers not
 * read.  QDCOUNT above 4: malformed.  QDCOUNT 2: the first one counts. */
static void test_dns_qdcount(void **state)
{
    (void)state;
    struct bb b = {0};
    struct dres r;
    dns_hdr(&b, F_RESPONSE, 0, 1);
    dns_name(&b, "example.com");
    dns_a(&b, 60, 1, 2, 3, 4);
    assert_int_equal(dparse(&b, &r), 0);
    assert_string_equal(r.qname, "");
    assert_int_equal(r.qtype, 0);
    assert_int_equal(r.resp, 1);
    assert_int_equal(r.n, 0);
    bb_free(&b);

    dns_hdr(&b, F_QUERY, DNS_MAX_QUESTIONS + 1, 0);
    for (int i = 0; i < DNS_MAX_QUESTIONS + 1; i++)
        dns_question(&b, "example.com", T_A);
    assert_int_equal(dparse(&b, &r), -1);
    bb_free(&b);

    dns_hdr(&b, F_RESPONSE, 2, 1);
    dns_question(&b, "first.example", T_AAAA);
    dns_question(&b, "second.example", T_A);
    dns_ptr(&b, 12);
    dns_aaaa(&b, 60, V6);
    assert_int_equal(dparse(&b, &r), 1);
    assert_string_equal(r.qname, "first.example");
    assert_int_equal(r.qtype, T_AAAA);
    bb_free(&b);
}

static void test_dns_nxdomain_and_other_rcodes(void **state)
{
    (void)state;
    struct bb b = {0};
    struct dres r;
    dns_hdr(&b, F_RESPONSE | 3u, 1, 1); /* NXDOMAIN; the answer is not read */
    dns_question(&b, "nope.example", T_A);
    dns_ptr(&b, 12);
    dns_a(&b, 60, 1, 2, 3, 4);
    assert_int_equal(dparse(&b, &r), 0);
    assert_string_equal(r.qname, "nope.example");
    assert_int_equal(r.resp, 1);
    assert_int_equal(r.n, 0);
    bb_free(&b);

    dns_hdr(&b, F_RESPONSE | 2u, 1, 0); /* SERVFAIL */
    dns_question(&b, "x.example", T_A);
    assert_int_equal(dparse(&b, &r), 0);
    assert_string_equal(r.qname, "x.example");
    bb_free(&b);
}

/* DNS tunnels ask TXT: no address, but the name must come back. */
static void test_dns_txt_answers(void **state)
{
    (void)state;
    struct bb b = {0};
    struct dres r;
    const char *q = "aGVsbG8gd29ybGQ.0001.t.evil-c2.example";
    dns_hdr(&b, F_RESPONSE, 1, 2);
    dns_question(&b, q, T_TXT);
    dns_ptr(&b, 12);
    dns_txt(&b, "payload chunk 1");
    dns_ptr(&b, 12);
    dns_txt(&b, "payload chunk 2");
    assert_int_equal(dparse(&b, &r), 0);
    assert_string_equal(r.qname, "agvsbg8gd29ybgq.0001.t.evil-c2.example");
    assert_int_equal(r.qtype, T_TXT);
    assert_int_equal(r.resp, 1);
    assert_int_equal(r.n, 0);
    bb_free(&b);
}

static void test_dns_uppercase_lowercased(void **state)
{
    (void)state;
    struct bb b = {0};
    struct dres r;
    dns_hdr(&b, F_RESPONSE, 1, 1);
    dns_question(&b, "WWW.Example.COM", T_A);
    dns_name(&b, "www.EXAMPLE.com"); /* same name, other case: matches */
    dns_a(&b, 60, 1, 2, 3, 4);
    assert_int_equal(dparse(&b, &r), 1);
    assert_string_equal(r.qname, "www.example.com");
    expect_v4(&r.a[0], 1, 2, 3, 4);
    bb_free(&b);
}

static void test_dns_escaped_characters(void **state)
{
    (void)state;
    struct bb b = {0};
    struct dres r;
    /* In the question name: kept, each byte outside [a-z0-9_*-] as \DDD
     * (a space, a control byte, UTF-8, a colon, Base64's '+' and '/', a
     * backslash), letters lowercased. */
    static const struct {
        const char *wire, *text;
    } esc[] = {
        {"a b.example", "a\\032b.example"},
        {"a\x01.example", "a\\001.example"},
        {"CAF\xc3\xa9.example", "caf\\195\\169.example"},
        {"a:b.example", "a\\058b.example"},
        {"Ab+/=.example", "ab\\043\\047\\061.example"},
        {"a\\b.example", "a\\092b.example"},
        {"\xff\x80\x7f.example", "\\255\\128\\127.example"},
    };
    for (size_t i = 0; i < sizeof(esc) / sizeof(esc[0]); i++) {
        dns_hdr(&b, F_QUERY, 1, 0);
        dns_question(&b, esc[i].wire, T_A);
        assert_int_equal(dparse(&b, &r), 0);
        assert_string_equal(r.qname, esc[i].text);
        uint8_t raw[DNS_TEXT_MAX];
        size_t nb = dns_text_bytes(r.qname, strlen(r.qname), raw);
        char low[32];
        size_t wl = strlen(esc[i].wire);
        for (size_t k = 0; k <= wl; k++) {
            unsigned char ch = (unsigned char)esc[i].wire[k];
            low[k] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
        }
        assert_int_equal(nb, wl); /* the bytes back, lowercase */
        assert_memory_equal(raw, low, wl);
        bb_free(&b);
    }
    /* A '.' byte inside a label is not a label boundary. */
    dns_hdr(&b, F_QUERY, 1, 0);
    bb_u8(&b, 3);
    bb_bytes(&b, "a.b", 3);
    bb_u8(&b, 0);
    bb_be16(&b, T_A);
    bb_be16(&b, 1);
    assert_int_equal(dparse(&b, &r), 0);
    assert_string_equal(r.qname, "a\\046b");
    bb_free(&b);
    /* A NUL byte inside a label. */
    dns_hdr(&b, F_QUERY, 1, 0);
    bb_u8(&b, 2);
    bb_u8(&b, 'a');
    bb_u8(&b, 0);
    bb_u8(&b, 0);
    bb_be16(&b, T_A);
    bb_be16(&b, 1);
    assert_int_equal(dparse(&b, &r), 0);
    assert_string_equal(r.qname, "a\\000");
    bb_free(&b);
    /* 253 bytes of 8-bit labels: 4 characters a byte, the longest text. */
    dns_hdr(&b, F_QUERY, 1, 0);
    for (int l = 0; l < 4; l++) {
        unsigned len = l < 3 ? 63 : 61; /* 3 * 64 + 61 = 253 bytes of text */
        bb_u8(&b, len);
        for (unsigned k = 0; k < len; k++)
            bb_u8(&b, 0xC8);
    }
    bb_u8(&b, 0);
    bb_be16(&b, T_A);
    bb_be16(&b, 1);
    assert_int_equal(dparse(&b, &r), 0);
    assert_int_equal(strlen(r.qname), 250 * 4 + 3);
    bb_free(&b);
    /* One byte more, 254: malformed, escaped or not. */
    for (unsigned byte = 'a'; byte <= 0xC8; byte += 0xC8 - 'a') {
        dns_hdr(&b, F_QUERY, 1, 0);
        for (int l = 0; l < 4; l++) {
            unsigned len = l < 3 ? 63 : 62;
            bb_u8(&b, len);
            for (unsigned k = 0; k < len; k++)
                bb_u8(&b, byte);
        }
        bb_u8(&b, 0);
        bb_be16(&b, T_A);
        bb_be16(&b, 1);
        assert_int_equal(dparse(&b, &r), -1);
        bb_free(&b);
    }
    /* Bytes that differ only outside ASCII letters stay distinct: an answer
     * owned by 0xE3 does not answer a question for 0xC3 (as 'A' would 'a'). */
    dns_hdr(&b, F_RESPONSE, 1, 2);
    dns_question(&b, "\xc3.example", T_A);
    dns_name(&b, "\xe3.example");
    dns_a(&b, 60, 6, 6, 6, 6);
    dns_name(&b, "\xc3.EXAMPLE");
    dns_a(&b, 60, 1, 2, 3, 4);
    assert_int_equal(dparse(&b, &r), 1);
    assert_int_equal(r.n, 1);
    expect_v4(&r.a[0], 1, 2, 3, 4);
    bb_free(&b);

    /* In answers: a record owned by an escaped name that is not on the
     * chain is skipped; a CNAME to an escaped name is followed like any. */
    dns_hdr(&b, F_RESPONSE, 1, 3);
    dns_question(&b, "example.com", T_A);
    dns_name(&b, "bad name.example");
    dns_a(&b, 60, 6, 6, 6, 6);
    dns_ptr(&b, 12);
    dns_cname(&b, "bad\x7f.example");
    dns_name(&b, "BAD\x7f.example");
    dns_a(&b, 60, 1, 2, 3, 4);
    assert_int_equal(dparse(&b, &r), 1);
    assert_int_equal(r.n, 1);
    expect_v4(&r.a[0], 1, 2, 3, 4);
    bb_free(&b);

    /* Wildcard, underscore and hyphen are kept as they are. */
    dns_hdr(&b, F_QUERY, 1, 0);
    dns_question(&b, "*._dmarc.my-host.example", T_TXT);
    assert_int_equal(dparse(&b, &r), 0);
    assert_string_equal(r.qname, "*._dmarc.my-host.example");
    bb_free(&b);
}

/* The presentation form's check and its decoding (names.h). */
static void test_dns_text(void **state)
{
    (void)state;
    static const char *good[] = {"", "a", "a.b", "\\032", "a\\255b", "\\046.\\092", "*._x-y"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_true(dns_text_ok(good[i], strlen(good[i])));
    /* not what the reader writes: an escaped letter, digit or '-', a value
     * over 255, a short escape, upper case, a byte outside the alphabet */
    static const char *bad[] = {"\\097", "\\065", "\\048", "\\045", "\\256", "\\03",
                                "a\\",   "A",     "a b",   "a+b",   "\\99x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(dns_text_ok(bad[i], strlen(bad[i])));
    uint8_t raw[16];
    assert_int_equal(dns_text_bytes("a\\032\\255.", 10, raw), 4);
    assert_memory_equal(raw, "a \xff.", 4);
}

static void test_dns_rdata_lengths(void **state)
{
    (void)state;
    struct bb b = {0};
    struct dres r;
    /* AAAA of 4 bytes. */
    dns_hdr(&b, F_RESPONSE, 1, 1);
    dns_question(&b, "example.com", T_AAAA);
    dns_ptr(&b, 12);
    dns_rr(&b, T_AAAA, 60, 4);
    bb_be32(&b, 0x01020304);
    assert_int_equal(dparse(&b, &r), -1);
    bb_free(&b);
    /* A of 16 bytes. */
    dns_hdr(&b, F_RESPONSE, 1, 1);
    dns_question(&b, "example.com", T_A);
    dns_ptr(&b, 12);
    dns_rr(&b, T_A, 60, 16);
    bb_bytes(&b, V6, 16);
    assert_int_equal(dparse(&b, &r), -1);
    bb_free(&b);
    /* A CNAME whose target does not fill its rdata, or runs past it. */
    for (int delta = -1; delta <= 1; delta += 2) {
        dns_hdr(&b, F_RESPONSE, 1, 2);
        dns_question(&b, "example.com", T_A);
        dns_ptr(&b, 12);
        size_t rl = b.n + 8;
        size_t t = dns_cname(&b, "cdn.example");
        bb_set_be16(&b, rl, (unsigned)((int)(b.n - t) + delta));
        if (delta > 0)
            bb_u8(&b, 0);
        dns_ptr(&b, t);
        dns_a(&b, 60, 1, 2, 3, 4);
        assert_int_equal(dparse(&b, &r), -1);
        bb_free(&b);
    }
    /* Class CH "A" records have another format: not checked, not used. */
    dns_hdr(&b, F_RESPONSE, 1, 1);
    dns_question(&b, "example.com", T_A);
    dns_ptr(&b, 12);
    bb_be16(&b, T_A);
    bb_be16(&b, 3);
    bb_be32(&b, 60);
    bb_be16(&b, 6);
    bb_fill(&b, 0x11, 6);
    assert_int_equal(dparse(&b, &r), 0);
    bb_free(&b);
    /* mDNS cache-flush bit on class IN: still IN. */
    dns_hdr(&b, F_RESPONSE, 1, 1);
    dns_question(&b, "printer.local", T_A);
    dns_ptr(&b, 12);
    bb_be16(&b, T_A);
    bb_be16(&b, 0x8001);
    bb_be32(&b, 120);
    bb_be16(&b, 4);
    bb_be32(&b, 0xC0A80105);
    assert_int_equal(dparse(&b, &r), 1);
    expect_v4(&r.a[0], 192, 168, 1, 5);
    bb_free(&b);
}

static void test_dns_ttl_high_bit_reads_zero(void **state)
{
    (void)state;
    struct bb b = {0};
    struct dres r;
    dns_hdr(&b, F_RESPONSE, 1, 2);
    dns_question(&b, "example.com", T_A);
    dns_ptr(&b, 12);
    dns_a(&b, 0x80000000u, 1, 2, 3, 4);
    dns_ptr(&b, 12);
    dns_a(&b, 0x7FFFFFFFu, 1, 2, 3, 5);
    assert_int_equal(dparse(&b, &r), 1);
    assert_int_equal(r.a[0].ttl, 0);
    assert_int_equal(r.a[1].ttl, 0x7FFFFFFFu);
    bb_free(&b);
}

static void test_dns_max_addrs_and_null_outputs(void **state)
{
    (void)state;
    struct bb b = {0};
    struct dres r;
    dns_hdr(&b, F_RESPONSE, 1, 5);
    dns_question(&b, "example.com", T_A);
    for (unsigned i = 0; i < 5; i++) {
        dns_ptr(&b, 12);
        dns_a(&b, 60, 10, 0, 0, i);
    }
    assert_int_equal(dparse_max(b.p, b.n, &r, 2), 1);
    assert_int_equal(r.n, 2);
    expect_v4(&r.a[1], 10, 0, 0, 1);
    assert_int_equal(dparse_max(b.p, b.n, &r, 0), 1);
    assert_int_equal(r.n, 0);
    uint8_t *copy = exact_copy(b.p, b.n);
    assert_int_equal(dns_parse(copy, b.n, 0, NULL, NULL, NULL, NULL, 4, NULL), 1);
    free(copy);
    bb_free(&b);
}

/* At most 64 answers are read; what follows them is never looked at. */
static void test_dns_answer_cap(void **state)
{
    (void)state;
    struct bb b = {0};
    struct dres r;
    dns_hdr(&b, F_RESPONSE, 1, DNS_MAX_ANSWERS);
    dns_question(&b, "example.com", T_A);
    for (int i = 0; i < DNS_MAX_ANSWERS - 1; i++) {
        dns_ptr(&b, 12);
        dns_txt(&b, "x");
    }
    dns_ptr(&b, 12);
    dns_a(&b, 60, 1, 2, 3, 4);
    assert_int_equal(dparse(&b, &r), 1); /* the 64th is read */
    bb_free(&b);

    dns_hdr(&b, F_RESPONSE, 1, 0xFFFF);
    dns_question(&b, "example.com", T_A);
    for (int i = 0; i < DNS_MAX_ANSWERS; i++) {
        dns_ptr(&b, 12);
        dns_txt(&b, "x");
    }
    dns_ptr(&b, 12);
    dns_a(&b, 60, 1, 2, 3, 4);
    bb_fill(&b, 0xFF, 3);                /* garbage where answer 66 would start */
    assert_int_equal(dparse(&b, &r), 0); /* the 65th is not */
    assert_string_equal(r.qname, "example.com");
    bb_free(&b);
}

static void test_dns_root_name(void **state)
{
    (void)state;
    struct bb b = {0};
    struct dres r;
    dns_hdr(&b, F_QUERY, 1, 0);
    dns_question(&b, "", 2); /* ". NS" (priming query) */
    assert_int_equal(dparse(&b, &r), 0);
    assert_string_equal(r.qname, "");
    assert_int_equal(r.qtype, 2);
    bb_free(&b);
}

static void test_dns_tcp_strip(void **state)
{
    (void)state;
    struct bb m = {0}, t = {0};
    struct dres r;
    const uint8_t *msg;
    size_t mlen;
    build_cname_response(&m);
    bb_be16(&t, (unsigned)m.n);
    bb_bytes(&t, m.p, m.n);
    uint8_t *copy = exact_copy(t.p, t.n);
    assert_int_equal(dns_tcp_strip(copy, t.n, 0, &msg, &mlen), 0);
    assert_ptr_equal(msg, copy + 2);
    assert_int_equal(mlen, m.n);
    assert_int_equal(dparse_max(msg, mlen, &r, 8), 1);
    expect_v4(&r.a[0], 1, 2, 3, 4);
    /* Length larger than available, one byte of length, nothing. */
    assert_int_equal(dns_tcp_strip(copy, t.n - 1, 0, &msg, &mlen), -1);
    assert_null(msg);
    assert_int_equal(mlen, 0);
    assert_int_equal(dns_tcp_strip(copy, 1, 0, &msg, &mlen), -1);
    assert_int_equal(dns_tcp_strip(copy, 0, 0, &msg, &mlen), -1);
    free(copy);
    /* Zero length. */
    static const uint8_t zero[3] = {0, 0, 0};
    assert_int_equal(dns_tcp_strip(zero, sizeof(zero), 0, &msg, &mlen), -1);
    /* Two pipelined messages: the first one. */
    bb_be16(&t, (unsigned)m.n);
    bb_bytes(&t, m.p, m.n);
    assert_int_equal(dns_tcp_strip(t.p, t.n, 0, &msg, &mlen), 0);
    assert_int_equal(mlen, m.n);
    bb_free(&m);
    bb_free(&t);
}

/* Every prefix: no crash, no over-read; strict prefixes of a message that
 * ends with its last answer are all malformed. */
static void test_dns_every_prefix(void **state)
{
    (void)state;
    struct bb b = {0};
    struct dres r;
    build_cname_response(&b);
    for (size_t n = 0; n < b.n; n++)
        assert_int_equal(dparse_max(b.p, n, &r, 8), -1);
    assert_int_equal(dparse(&b, &r), 1);
    bb_free(&b);

    build_pointer_chain(&b, DNS_MAX_PTR_JUMPS);
    for (size_t n = 0; n <= b.n; n++)
        dparse_max(b.p, n, &r, 1);
    bb_free(&b);
}

/*
 * Cut by the snapshot length (dns_parse's cut): every prefix of a response
 * of three addresses is read as far as it goes, never malformed; the
 * answers wholly inside count, the one the end falls in does not.  Without
 * cut the same prefixes are malformed (test_dns_every_prefix).
 */
static void test_dns_cut_by_snapshot(void **state)
{
    (void)state;
    struct bb b = {0};
    struct dres r;
    dns_hdr(&b, F_RESPONSE, 1, 3);
    dns_question(&b, "example.com", T_A);
    size_t q_end = b.n, end[3];
    dns_ptr(&b, 12);
    dns_a(&b, 60, 1, 2, 3, 4);
    end[0] = b.n;
    dns_ptr(&b, 12);
    dns_aaaa(&b, 60, V6);
    end[1] = b.n;
    dns_ptr(&b, 12);
    dns_a(&b, 60, 5, 6, 7, 8);
    end[2] = b.n;
    for (size_t n = 0; n <= b.n; n++) {
        size_t whole = 0;
        while (whole < 3 && end[whole] <= n)
            whole++;
        assert_int_equal(dparse_cut(b.p, n, 1, &r, 8), whole ? 1 : 0);
        assert_int_equal(r.n, whole);
        assert_string_equal(r.qname, n >= q_end ? "example.com" : "");
        assert_int_equal(r.qtype, n >= q_end ? T_A : 0);
        assert_int_equal(r.resp, n >= 12 ? 1 : 0);
        if (n < b.n)
            assert_int_equal(dparse_max(b.p, n, &r, 8), -1);
    }
    assert_int_equal(dparse_cut(b.p, end[1] + 3, 1, &r, 8), 1);
    expect_v4(&r.a[0], 1, 2, 3, 4);
    assert_int_equal(r.a[1].family, 6);
    assert_memory_equal(r.a[1].addr, V6, 16);
    /* a whole message reads the same either way */
    assert_int_equal(dparse_cut(b.p, b.n, 1, &r, 8), 1);
    assert_int_equal(r.n, 3);
    expect_v4(&r.a[2], 5, 6, 7, 8);
    bb_free(&b);

    /* A CNAME chain: the target's address counts only once it is all there,
     * and no prefix is malformed. */
    build_cname_response(&b);
    for (size_t n = 0; n < b.n; n++)
        assert_int_equal(dparse_cut(b.p, n, 1, &r, 8), 0);
    assert_int_equal(dparse_cut(b.p, b.n, 1, &r, 8), 1);
    bb_free(&b);

    /* A query cut in its question: nothing to report (not malformed); the
     * second question cut: the first one stands. */
    dns_hdr(&b, F_QUERY, 1, 0);
    dns_question(&b, "www.example.com", T_A);
    assert_int_equal(dparse_cut(b.p, 12 + 5, 1, &r, 8), 0);
    assert_string_equal(r.qname, "");
    assert_int_equal(dparse_cut(b.p, b.n - 2, 1, &r, 8), 0); /* name whole, QCLASS cut */
    assert_string_equal(r.qname, "");
    assert_int_equal(r.qtype, 0);
    bb_free(&b);
    dns_hdr(&b, F_RESPONSE, 2, 1);
    dns_question(&b, "first.example", T_AAAA);
    dns_question(&b, "second.example", T_A);
    assert_int_equal(dparse_cut(b.p, b.n - 3, 1, &r, 8), 0);
    assert_string_equal(r.qname, "first.example");
    assert_int_equal(r.qtype, T_AAAA);
    assert_int_equal(r.resp, 1);
    bb_free(&b);
}

/* What the bytes there say is still checked: malformed is malformed,
 * cut or not. */
static void test_dns_cut_still_malformed(void **state)
{
    (void)state;
    struct bb b = {0};
    struct dres r;
    /* QDCOUNT above 4, the header alone captured. */
    dns_hdr(&b, F_QUERY, DNS_MAX_QUESTIONS + 1, 0);
    assert_int_equal(dparse_cut(b.p, b.n, 1, &r, 8), -1);
    bb_free(&b);

    /* One good answer, then an owner name with a 0x40 label type, cut
     * right after it. */
    dns_hdr(&b, F_RESPONSE, 1, 2);
    dns_question(&b, "example.com", T_A);
    dns_ptr(&b, 12);
    dns_a(&b, 60, 1, 2, 3, 4);
    bb_u8(&b, 0x40);
    bb_fill(&b, 'x', 3);
    assert_int_equal(dparse_cut(b.p, b.n, 1, &r, 8), -1);
    bb_free(&b);

    /* A forward compression pointer, cut after it. */
    dns_hdr(&b, F_RESPONSE, 1, 2);
    dns_question(&b, "example.com", T_A);
    dns_ptr(&b, 12);
    dns_a(&b, 60, 1, 2, 3, 4);
    dns_ptr(&b, 200);
    bb_u8(&b, 0);
    assert_int_equal(dparse_cut(b.p, b.n, 1, &r, 8), -1);
    bb_free(&b);

    /* An A record of RDLENGTH 5, its rdata cut after 2 bytes: the length
     * alone is malformed; with RDLENGTH 4 the same cut is only a cut. */
    dns_hdr(&b, F_RESPONSE, 1, 1);
    dns_question(&b, "example.com", T_A);
    dns_ptr(&b, 12);
    size_t rd = dns_rr(&b, T_A, 60, 5);
    bb_u8(&b, 10);
    bb_u8(&b, 0);
    assert_int_equal(dparse_cut(b.p, b.n, 1, &r, 8), -1);
    bb_set_be16(&b, rd - 2, 4);
    assert_int_equal(dparse_cut(b.p, b.n, 1, &r, 8), 0);
    bb_free(&b);

    /* A CNAME whose target does not fill its rdata (all captured). */
    dns_hdr(&b, F_RESPONSE, 1, 2);
    dns_question(&b, "www.example.com", T_A);
    dns_ptr(&b, 12);
    rd = dns_cname(&b, "cdn.example.net");
    bb_set_be16(&b, rd - 2, (unsigned)(b.n - rd + 1));
    bb_u8(&b, 0);
    dns_ptr(&b, rd);
    bb_u8(&b, 0);
    assert_int_equal(dparse_cut(b.p, b.n, 1, &r, 8), -1);
    bb_free(&b);
}

/* A TCP segment the snapshot length cut: its last message is what the
 * capture kept of it (result 1), for dns_parse with cut. */
static void test_dns_tcp_strip_cut(void **state)
{
    (void)state;
    struct bb m = {0}, t = {0};
    struct dres r;
    const uint8_t *msg;
    size_t mlen;
    dns_hdr(&m, F_RESPONSE, 1, 2);
    dns_question(&m, "example.com", T_A);
    dns_ptr(&m, 12);
    dns_a(&m, 60, 1, 2, 3, 4);
    size_t first = m.n;
    dns_ptr(&m, 12);
    dns_a(&m, 60, 5, 6, 7, 8);
    bb_be16(&t, (unsigned)m.n);
    bb_bytes(&t, m.p, m.n);
    size_t one = t.n;
    bb_be16(&t, (unsigned)m.n);
    bb_bytes(&t, m.p, m.n);
    uint8_t *copy = exact_copy(t.p, t.n);
    /* whole: 0 either way */
    assert_int_equal(dns_tcp_strip(copy, one, 1, &msg, &mlen), 0);
    assert_int_equal(mlen, m.n);
    /* the first message cut after its first answer */
    assert_int_equal(dns_tcp_strip(copy, 2 + first + 3, 1, &msg, &mlen), 1);
    assert_ptr_equal(msg, copy + 2);
    assert_int_equal(mlen, first + 3);
    assert_int_equal(dparse_cut(msg, mlen, 1, &r, 8), 1);
    assert_int_equal(r.n, 1);
    expect_v4(&r.a[0], 1, 2, 3, 4);
    assert_int_equal(dns_tcp_strip(copy, 2 + first + 3, 0, &msg, &mlen), -1);
    assert_null(msg);
    /* the second, pipelined, cut: the first is whole, then the rest */
    assert_int_equal(dns_tcp_strip(copy + one, t.n - one - 1, 1, &msg, &mlen), 1);
    assert_int_equal(mlen, m.n - 1);
    /* only the length captured, or part of it: nothing */
    assert_int_equal(dns_tcp_strip(copy, 2, 1, &msg, &mlen), -1);
    assert_int_equal(mlen, 0);
    assert_int_equal(dns_tcp_strip(copy, 1, 1, &msg, &mlen), -1);
    free(copy);
    static const uint8_t zero[3] = {0, 0, 0};
    assert_int_equal(dns_tcp_strip(zero, sizeof(zero), 1, &msg, &mlen), -1);
    bb_free(&m);
    bb_free(&t);
}

/* ---- TLS builders --------------------------------------------------------- */

struct hello {
    struct bb b;
    size_t sid;     /* offset of the session id length */
    size_t cs;      /* offset of the cipher suites length */
    size_t comp;    /* offset of the compression methods length */
    size_t exts;    /* offset of the extensions block length */
    size_t sni;     /* offset of the server_name extension type */
    size_t sni_end; /* offset just after it */
};

static void sni_ext(struct bb *b, const char *host, size_t n)
{
    bb_be16(b, 0);
    bb_be16(b, (unsigned)(n + 5));
    bb_be16(b, (unsigned)(n + 3));
    bb_u8(b, 0);
    bb_be16(b, (unsigned)n);
    bb_bytes(b, host, n);
}

/*
 * A ClientHello as browsers send it: record 3.1, client_version 3.3, 32-byte
 * random and session id, seven suites (one GREASE), null compression,
 * extensions with server_name first or last (host NULL: none).
 */
static void client_hello_n(struct hello *h, const char *host, size_t hlen, int sni_last)
{
    static const unsigned suites[] = {0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xcca9};
    struct bb *b = &h->b;
    memset(h, 0, sizeof(*h));
    bb_u8(b, 22);
    bb_be16(b, 0x0301);
    bb_be16(b, 0); /* record length, patched */
    bb_u8(b, 1);
    bb_u8(b, 0);
    bb_be16(b, 0); /* handshake length, patched */
    bb_be16(b, 0x0303);
    bb_fill(b, 0x11, 32);
    h->sid = b->n;
    bb_u8(b, 32);
    bb_fill(b, 0x22, 32);
    h->cs = b->n;
    bb_be16(b, 2 * 7);
    for (int i = 0; i < 7; i++)
        bb_be16(b, suites[i]);
    h->comp = b->n;
    bb_u8(b, 1);
    bb_u8(b, 0);
    h->exts = b->n;
    bb_be16(b, 0);
    bb_be16(b, 0x1a1a); /* GREASE, empty */
    bb_be16(b, 0);
    if (host && !sni_last) {
        h->sni = b->n;
        sni_ext(b, host, hlen);
        h->sni_end = b->n;
    }
    bb_be16(b, 0x0017); /* extended_master_secret */
    bb_be16(b, 0);
    bb_be16(b, 0x000a); /* supported_groups: x25519, secp256r1 */
    bb_be16(b, 6);
    bb_be16(b, 4);
    bb_be16(b, 0x001d);
    bb_be16(b, 0x0017);
    bb_be16(b, 0x000d); /* signature_algorithms */
    bb_be16(b, 6);
    bb_be16(b, 4);
    bb_be16(b, 0x0403);
    bb_be16(b, 0x0804);
    bb_be16(b, 0x002b); /* supported_versions: 1.3, 1.2 */
    bb_be16(b, 5);
    bb_u8(b, 4);
    bb_be16(b, 0x0304);
    bb_be16(b, 0x0303);
    bb_be16(b, 0x0033); /* key_share: x25519 */
    bb_be16(b, 38);
    bb_be16(b, 36);
    bb_be16(b, 0x001d);
    bb_be16(b, 32);
    bb_fill(b, 0x33, 32);
    if (host && sni_last) {
        h->sni = b->n;
        sni_ext(b, host, hlen);
        h->sni_end = b->n;
    }
    bb_set_be16(b, h->exts, (unsigned)(b->n - h->exts - 2));
    bb_set_be16(b, 7, (unsigned)(b->n - 9));
    bb_set_be16(b, 3, (unsigned)(b->n - 5));
}

static void client_hello(struct hello *h, const char *host, int sni_last)
{
    client_hello_n(h, host, host ? strlen(host) : 0, sni_last);
}

static int tls_n(const uint8_t *p, size_t n, char out[NAME_MAX_LEN + 1])
{
    uint8_t *copy = exact_copy(p, n);
    memset(out, 'Q', NAME_MAX_LEN + 1);
    int rc = tls_client_hello_sni(copy, n, out);
    free(copy);
    assert_true(rc >= -1 && rc <= 1);
    check_name(out, 0);
    if (rc != 1)
        assert_string_equal(out, "");
    return rc;
}

static int tls(const struct hello *h, char out[NAME_MAX_LEN + 1])
{
    return tls_n(h->b.p, h->b.n, out);
}

/* ---- TLS tests ------------------------------------------------------------ */

static void test_tls_sni_first_and_last(void **state)
{
    (void)state;
    struct hello h;
    char out[NAME_MAX_LEN + 1];
    client_hello(&h, "www.example.com", 0);
    assert_int_equal(tls(&h, out), 1);
    assert_string_equal(out, "www.example.com");
    bb_free(&h.b);
    client_hello(&h, "api.c2-server.example", 1);
    assert_int_equal(tls(&h, out), 1);
    assert_string_equal(out, "api.c2-server.example");
    bb_free(&h.b);
}

static void test_tls_no_sni_or_no_extensions(void **state)
{
    (void)state;
    struct hello h;
    char out[NAME_MAX_LEN + 1];
    client_hello(&h, NULL, 0);
    assert_int_equal(tls(&h, out), 0);
    /* Drop the extensions block entirely (an SSLv3/TLS 1.0 style hello). */
    h.b.n = h.exts;
    bb_set_be16(&h.b, 7, (unsigned)(h.b.n - 9));
    bb_set_be16(&h.b, 3, (unsigned)(h.b.n - 5));
    assert_int_equal(tls(&h, out), 0);
    bb_free(&h.b);
}

static void test_tls_not_a_client_hello(void **state)
{
    (void)state;
    struct hello h;
    char out[NAME_MAX_LEN + 1];
    client_hello(&h, "example.com", 0);
    h.b.p[0] = 23; /* application data */
    assert_int_equal(tls(&h, out), 0);
    h.b.p[0] = 22;
    h.b.p[5] = 2; /* ServerHello */
    assert_int_equal(tls(&h, out), 0);
    h.b.p[5] = 1;
    h.b.p[1] = 0xFE; /* DTLS-like record version */
    assert_int_equal(tls(&h, out), 0);
    h.b.p[1] = 3;
    assert_int_equal(tls(&h, out), 1);
    static const char get[] = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
    assert_int_equal(tls_n((const uint8_t *)get, sizeof(get) - 1, out), 0);
    assert_int_equal(tls_n((const uint8_t *)get, 0, out), 0);
    bb_free(&h.b);
}

/* Cut by the snapshot length: 0 until the SNI is complete, then 1; never -1. */
static void test_tls_truncated(void **state)
{
    (void)state;
    struct hello h;
    char out[NAME_MAX_LEN + 1];
    client_hello(&h, "www.example.com", 0);
    for (size_t n = 0; n <= h.b.n; n++)
        assert_int_equal(tls_n(h.b.p, n, out), n < h.sni_end ? 0 : 1);
    assert_string_equal(out, "www.example.com");
    bb_free(&h.b);
    client_hello(&h, "www.example.com", 1);
    for (size_t n = 0; n <= h.b.n; n++)
        assert_int_equal(tls_n(h.b.p, n, out), n < h.sni_end ? 0 : 1);
    bb_free(&h.b);
}

static void test_tls_sni_bogus_lengths(void **state)
{
    (void)state;
    struct hello h;
    char out[NAME_MAX_LEN + 1];
    const size_t host_len = 11; /* "example.com" */
    static const struct {
        size_t field; /* 2: ext length, 4: list length, 7: name length */
        int delta;
    } cases[] = {{4, +1}, {4, -1}, {7, +1}, {7, -1}, {2, +1}, {2, -1}};
    for (int last = 0; last <= 1; last++) {
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            client_hello(&h, "example.com", last);
            size_t off = h.sni + cases[i].field;
            unsigned v = (unsigned)h.b.p[off] << 8 | h.b.p[off + 1];
            bb_set_be16(&h.b, off, (unsigned)((int)v + cases[i].delta));
            assert_int_equal(tls(&h, out), -1);
            bb_free(&h.b);
        }
    }
    /* Empty list, empty host_name. */
    client_hello(&h, "example.com", 1);
    bb_set_be16(&h.b, h.sni + 2, 2);
    bb_set_be16(&h.b, h.sni + 4, 0);
    h.b.n = h.sni + 6;
    bb_set_be16(&h.b, h.exts, (unsigned)(h.b.n - h.exts - 2));
    bb_set_be16(&h.b, 7, (unsigned)(h.b.n - 9));
    bb_set_be16(&h.b, 3, (unsigned)(h.b.n - 5));
    assert_int_equal(tls(&h, out), -1);
    bb_free(&h.b);
    client_hello_n(&h, "", 0, 1);
    assert_int_equal(tls(&h, out), -1);
    bb_free(&h.b);
    (void)host_len;
}

static void test_tls_outer_lengths(void **state)
{
    (void)state;
    struct hello h;
    char out[NAME_MAX_LEN + 1];
    /* Extensions block longer than the ClientHello. */
    client_hello(&h, "example.com", 0);
    bb_set_be16(&h.b, h.exts, (unsigned)(h.b.n - h.exts - 2 + 1));
    assert_int_equal(tls(&h, out), -1);
    bb_free(&h.b);
    /* Session id of 33. */
    client_hello(&h, "example.com", 0);
    h.b.p[h.sid] = 33;
    assert_int_equal(tls(&h, out), -1);
    bb_free(&h.b);
    /* Odd and empty cipher suite vectors. */
    client_hello(&h, "example.com", 0);
    bb_set_be16(&h.b, h.cs, 13);
    assert_int_equal(tls(&h, out), -1);
    bb_set_be16(&h.b, h.cs, 0);
    assert_int_equal(tls(&h, out), -1);
    bb_free(&h.b);
    /* No compression method. */
    client_hello(&h, "example.com", 0);
    h.b.p[h.comp] = 0;
    assert_int_equal(tls(&h, out), -1);
    bb_free(&h.b);
    /* Record length 0 and above 2^14. */
    client_hello(&h, "example.com", 0);
    bb_set_be16(&h.b, 3, 0);
    assert_int_equal(tls(&h, out), -1);
    bb_set_be16(&h.b, 3, TLS_MAX_RECORD + 1);
    assert_int_equal(tls(&h, out), -1);
    /* Record too short for the handshake header. */
    bb_set_be16(&h.b, 3, 3);
    assert_int_equal(tls(&h, out), -1);
    bb_free(&h.b);
    /* Handshake length too short for what it must hold. */
    client_hello(&h, "example.com", 0);
    h.b.p[7] = 0;
    h.b.p[8] = 40;
    assert_int_equal(tls(&h, out), -1);
    bb_free(&h.b);
    /* An extension header cut by the end of the block (declared). */
    client_hello(&h, "example.com", 1);
    bb_set_be16(&h.b, h.exts, (unsigned)(h.sni - h.exts - 2 + 3));
    assert_int_equal(tls(&h, out), -1);
    bb_free(&h.b);
}

/* The handshake continues in a second record: the bytes after the first
 * record are a record header, never read as ClientHello bytes. */
static void test_tls_handshake_split_over_records(void **state)
{
    (void)state;
    char out[NAME_MAX_LEN + 1];
    for (int last = 0; last <= 1; last++) {
        struct hello h;
        struct bb s = {0};
        client_hello(&h, "split.example", last);
        size_t hs_total = h.b.n - 5;
        size_t first = last ? h.sni_end - 9 : h.sni_end - 1; /* inside the SNI when last */
        bb_bytes(&s, h.b.p, 5);
        bb_set_be16(&s, 3, (unsigned)first);
        bb_bytes(&s, h.b.p + 5, first);
        bb_u8(&s, 22);
        bb_be16(&s, 0x0303);
        bb_be16(&s, (unsigned)(hs_total - first));
        bb_bytes(&s, h.b.p + 5 + first, hs_total - first);
        assert_int_equal(tls_n(s.p, s.n, out), last ? 0 : 1);
        if (!last)
            assert_string_equal(out, "split.example");
        bb_free(&s);
        bb_free(&h.b);
    }
}

static void test_tls_sni_bytes(void **state)
{
    (void)state;
    struct hello h;
    char out[NAME_MAX_LEN + 1], name[300];
    client_hello_n(&h, "exa\0mple.com", 12, 0);
    assert_int_equal(tls(&h, out), -1);
    bb_free(&h.b);
    client_hello(&h, "exa mple.com", 0);
    assert_int_equal(tls(&h, out), -1);
    bb_free(&h.b);
    client_hello(&h, "WWW.Example.COM.", 0);
    assert_int_equal(tls(&h, out), 1);
    assert_string_equal(out, "www.example.com");
    bb_free(&h.b);
    long_name(name, 253);
    client_hello(&h, name, 1);
    assert_int_equal(tls(&h, out), 1);
    assert_string_equal(out, name);
    bb_free(&h.b);
    long_name(name, 254);
    client_hello(&h, name, 1);
    assert_int_equal(tls(&h, out), -1);
    bb_free(&h.b);
    client_hello(&h, ".", 0);
    assert_int_equal(tls(&h, out), -1);
    bb_free(&h.b);
}

/* An entry of an unknown name_type is skipped by its 16-bit length. */
static void test_tls_unknown_name_type_skipped(void **state)
{
    (void)state;
    struct hello h;
    struct bb s = {0};
    char out[NAME_MAX_LEN + 1];
    client_hello(&h, "b.example", 1);
    bb_bytes(&s, h.b.p, h.sni);
    bb_be16(&s, 0);
    bb_be16(&s, 2 + 6 + 12);
    bb_be16(&s, 6 + 12);
    bb_u8(&s, 7); /* unknown type, 3 bytes */
    bb_be16(&s, 3);
    bb_bytes(&s, "xyz", 3);
    bb_u8(&s, 0);
    bb_be16(&s, 9);
    bb_bytes(&s, "b.example", 9);
    bb_set_be16(&s, h.exts, (unsigned)(s.n - h.exts - 2));
    bb_set_be16(&s, 7, (unsigned)(s.n - 9));
    bb_set_be16(&s, 3, (unsigned)(s.n - 5));
    assert_int_equal(tls_n(s.p, s.n, out), 1);
    assert_string_equal(out, "b.example");
    bb_free(&s);
    bb_free(&h.b);
}

/* Two host_name entries are malformed; a host_name followed by an entry
 * that was not captured still counts. */
static void test_tls_sni_list_entries(void **state)
{
    (void)state;
    struct hello h;
    struct bb s = {0};
    char out[NAME_MAX_LEN + 1];
    client_hello(&h, "b.example", 1);
    for (int dup = 1; dup >= 0; dup--) {
        bb_bytes(&s, h.b.p, h.sni);
        bb_be16(&s, 0);
        bb_be16(&s, 2 + 12 + 12);
        bb_be16(&s, 12 + 12);
        bb_u8(&s, 0);
        bb_be16(&s, 9);
        bb_bytes(&s, "b.example", 9);
        bb_u8(&s, dup ? 0 : 9); /* a second host_name, or an unknown type */
        bb_be16(&s, 9);
        bb_bytes(&s, "c.example", 9);
        bb_set_be16(&s, h.exts, (unsigned)(s.n - h.exts - 2));
        bb_set_be16(&s, 7, (unsigned)(s.n - 9));
        bb_set_be16(&s, 3, (unsigned)(s.n - 5));
        assert_int_equal(tls_n(s.p, s.n, out), dup ? -1 : 1);
        /* Cut inside the second entry's header: the first host_name is complete. */
        assert_int_equal(tls_n(s.p, s.n - 11, out), 1);
        assert_string_equal(out, "b.example");
        bb_free(&s);
    }
    bb_free(&h.b);
}

/* ---- a ClientHello over several segments (tls_stream_sni) ------------------ */

/* One segment with TLS_SEG_* bits: bytes [from, to) of h at sequence
 * number s0 + from (s0 + from - 1 for a SYN, whose data starts after it). */
static int seg_bits(struct tls_reasm *r, uint64_t conn, uint32_t s0, unsigned bits, int64_t ts,
                    const struct hello *h, size_t from, size_t to, char out[NAME_MAX_LEN + 1])
{
    uint8_t *copy = exact_copy(h->b.p + from, to - from);
    memset(out, 'Q', NAME_MAX_LEN + 1);
    uint32_t seq = s0 + (uint32_t)from - (bits & TLS_SEG_SYN ? 1 : 0);
    int rc = tls_stream_sni(r, conn, seq, bits, ts, copy, to - from, out);
    free(copy);
    assert_true(rc >= TLS_NOT_HELLO && rc <= 1);
    check_name(out, 0);
    if (rc != 1)
        assert_string_equal(out, "");
    return rc;
}

static int seg(struct tls_reasm *r, uint64_t conn, uint32_t s0, int64_t ts, const struct hello *h,
               size_t from, size_t to, char out[NAME_MAX_LEN + 1])
{
    return seg_bits(r, conn, s0, 0, ts, h, from, to, out);
}

static void test_tls_stream_two_segments(void **state)
{
    (void)state;
    struct hello h;
    char out[NAME_MAX_LEN + 1];
    client_hello(&h, "split.example.com", 1); /* the SNI last */
    /* every split before the SNI's end, the sequence numbers across 2^32 */
    for (size_t k = 1; k < h.sni_end; k++) {
        struct tls_reasm *r = tls_reasm_new();
        assert_non_null(r);
        uint32_t s0 = 0xFFFFFFF0u;
        /* (k < 6: the record's first bytes wait too, as a censorship-evading
         * client sends them alone) */
        assert_int_equal(seg(r, 9, s0, 100, &h, 0, k, out), 0);
        assert_int_equal(tls_reasm_pending(r), 1);
        assert_int_equal(seg(r, 9, s0, 101, &h, k, h.b.n, out), 1);
        assert_string_equal(out, "split.example.com");
        assert_int_equal(tls_reasm_pending(r), 0); /* named: not kept */
        tls_reasm_free(r);
    }
    /* one byte at a time */
    struct tls_reasm *r1 = tls_reasm_new();
    for (size_t k = 0; k + 1 < h.sni_end; k++)
        assert_int_equal(seg(r1, 9, 77, 100, &h, k, k + 1, out), 0);
    assert_int_equal(seg(r1, 9, 77, 100, &h, h.sni_end - 1, h.sni_end, out), 1);
    assert_string_equal(out, "split.example.com");
    tls_reasm_free(r1);
    /* the SNI in the first segment: named at once, nothing kept */
    bb_free(&h.b);
    client_hello(&h, "first.example.com", 0);
    struct tls_reasm *r = tls_reasm_new();
    assert_int_equal(seg(r, 9, 5, 100, &h, 0, h.sni_end, out), 1);
    assert_string_equal(out, "first.example.com");
    assert_int_equal(tls_reasm_pending(r), 0);
    /* no SNI at all: kept until the record is whole, then let go */
    bb_free(&h.b);
    client_hello(&h, NULL, 0);
    assert_int_equal(seg(r, 9, 5, 100, &h, 0, 20, out), 0);
    assert_int_equal(tls_reasm_pending(r), 1);
    assert_int_equal(seg(r, 9, 5, 100, &h, 20, h.b.n, out), 0);
    assert_int_equal(tls_reasm_pending(r), 0);
    /* without a table, each segment alone */
    bb_free(&h.b);
    client_hello(&h, "split.example.com", 1);
    assert_int_equal(seg(NULL, 9, 5, 100, &h, 0, 40, out), 0);
    assert_int_equal(seg(NULL, 9, 5, 100, &h, 40, h.b.n, out), TLS_NOT_HELLO);
    tls_reasm_free(r);
    bb_free(&h.b);
}

static void test_tls_stream_retransmits_and_gaps(void **state)
{
    (void)state;
    struct hello h;
    char out[NAME_MAX_LEN + 1];
    client_hello(&h, "split.example.com", 1);
    size_t a = 40, b = h.sni - 5; /* three segments, the SNI in the third */
    struct tls_reasm *r = tls_reasm_new();
    assert_int_equal(seg(r, 9, 1000, 0, &h, 0, a, out), 0);
    assert_int_equal(seg(r, 9, 1000, 1, &h, 0, a, out), 0);   /* the first again */
    assert_int_equal(seg(r, 9, 1000, 1, &h, 10, 20, out), 0); /* a piece of it */
    assert_int_equal(seg(r, 9, 1000, 1, &h, a, a, out), 0);   /* a keepalive: no bytes */
    assert_int_equal(tls_reasm_pending(r), 1);
    /* repacketised: old bytes then new ones */
    assert_int_equal(seg(r, 9, 1000, 2, &h, a / 2, b, out), 0);
    assert_int_equal(seg(r, 9, 1000, 3, &h, b, h.b.n, out), 1);
    assert_string_equal(out, "split.example.com");
    assert_int_equal(tls_reasm_pending(r), 0);

    /* a gap (the middle segment not captured): let go, nothing made up */
    assert_int_equal(seg(r, 9, 1000, 0, &h, 0, a, out), 0);
    assert_int_equal(seg(r, 9, 1000, 1, &h, b, h.b.n, out), TLS_NOT_HELLO);
    assert_int_equal(tls_reasm_pending(r), 0);
    assert_int_equal(seg(r, 9, 1000, 2, &h, a, b, out), TLS_NOT_HELLO);
    /* out of order: the second before the first is not put back */
    assert_int_equal(seg(r, 9, 1000, 0, &h, a, h.b.n, out), TLS_NOT_HELLO);
    assert_int_equal(seg(r, 9, 1000, 1, &h, 0, a, out), 0);
    assert_int_equal(tls_reasm_pending(r), 1);
    /* a new ClientHello of the same connection (another sequence space)
     * takes the waiting one's place */
    assert_int_equal(seg(r, 9, 777777, 2, &h, 0, a, out), 0);
    assert_int_equal(tls_reasm_pending(r), 1);
    assert_int_equal(seg(r, 9, 777777, 3, &h, a, h.b.n, out), 1);
    /* another connection's segment at the awaited number is not its */
    assert_int_equal(seg(r, 9, 1000, 0, &h, 0, a, out), 0);
    assert_int_equal(seg(r, 10, 1000, 1, &h, a, h.b.n, out), TLS_NOT_HELLO);
    assert_int_equal(tls_reasm_pending(r), 1);
    assert_int_equal(seg(r, 9, 1000, 2, &h, a, h.b.n, out), 1);
    tls_reasm_free(r);
    bb_free(&h.b);
}

static void test_tls_stream_wait_and_room(void **state)
{
    (void)state;
    struct hello h;
    char out[NAME_MAX_LEN + 1];
    client_hello(&h, "split.example.com", 1);
    struct tls_reasm *r = tls_reasm_new();
    /* a segment TLS_REASM_WAIT_NS later still continues it, one more ns not */
    int64_t t0 = 1700000000LL * 1000000000LL;
    assert_int_equal(seg(r, 9, 1, t0, &h, 0, 40, out), 0);
    assert_int_equal(seg(r, 9, 1, t0 + TLS_REASM_WAIT_NS, &h, 40, 41, out), 0);
    assert_int_equal(seg(r, 9, 1, t0 + 2 * TLS_REASM_WAIT_NS + 1, &h, 41, h.b.n, out),
                     TLS_NOT_HELLO);
    assert_int_equal(tls_reasm_pending(r), 0);
    /* more than TLS_REASM_WAIT_NS either way ends the wait (a segment
     * stamped far ahead had kept its entry, and every TCP segment's check,
     * for the rest of the run), without overflow at the int64 ends */
    assert_int_equal(seg(r, 9, 1, t0, &h, 0, 40, out), 0);
    assert_int_equal(seg(r, 9, 1, t0 - TLS_REASM_WAIT_NS, &h, 40, 41, out), 0);
    assert_int_equal(seg(r, 8, 1, t0 + TLS_REASM_WAIT_NS, &h, 0, 1, out), 0); /* 2 waiting */
    assert_int_equal(tls_reasm_pending(r), 1); /* 9's last segment was 2 waits before */
    assert_int_equal(seg(r, 9, 1, INT64_MAX, &h, 0, 40, out), 0);
    assert_int_equal(tls_reasm_pending(r), 1);
    assert_int_equal(seg(r, 9, 1, INT64_MIN, &h, 40, h.b.n, out), TLS_NOT_HELLO);
    assert_int_equal(seg(r, 9, 1, INT64_MIN, &h, 0, 40, out), 0);
    assert_int_equal(seg(r, 8, 1, INT64_MAX, &h, 40, h.b.n, out), TLS_NOT_HELLO);
    assert_int_equal(tls_reasm_pending(r), 0);
    /* room for TLS_REASM_PENDING: the one waiting longest gives way */
    for (uint64_t c = 1; c <= TLS_REASM_PENDING + 1; c++)
        assert_int_equal(seg(r, c, 1, (int64_t)c, &h, 0, 40, out), 0);
    assert_int_equal(tls_reasm_pending(r), TLS_REASM_PENDING);
    assert_int_equal(seg(r, 1, 1, 20, &h, 40, h.b.n, out), TLS_NOT_HELLO);
    for (uint64_t c = 2; c <= TLS_REASM_PENDING + 1; c++) {
        assert_int_equal(seg(r, c, 1, 20, &h, 40, h.b.n, out), 1);
        assert_string_equal(out, "split.example.com");
    }
    assert_int_equal(tls_reasm_pending(r), 0);
    tls_reasm_free(r);
    bb_free(&h.b);

    /* TCP Fast Open: the SYN's data starts one after its number; the
     * client's resent first part (the server refused the early data) and
     * the rest then follow in order.  The SYN's number taken for the data's
     * had put one stale byte in and named "tcp-spplit.example.or". */
    client_hello(&h, "split.example.com", 1);
    r = tls_reasm_new();
    assert_int_equal(seg_bits(r, 9, 5000, TLS_SEG_SYN, 0, &h, 0, h.sni + 9, out), 0);
    assert_int_equal(seg(r, 9, 5000, 1, &h, 0, h.sni + 9, out), 0);
    assert_int_equal(seg(r, 9, 5000, 2, &h, h.sni + 9, h.b.n, out), 1);
    assert_string_equal(out, "split.example.com");
    /* a new SYN on the same ports (another connection) or a reset ends the
     * wait: the bytes of two connections are never put together */
    assert_int_equal(seg(r, 9, 5000, 3, &h, 0, h.sni + 9, out), 0);
    assert_int_equal(seg_bits(r, 9, 5010, TLS_SEG_SYN, 4, &h, 0, 0, out), TLS_NOT_HELLO);
    assert_int_equal(tls_reasm_pending(r), 0);
    assert_int_equal(seg(r, 9, 5000, 5, &h, 0, h.sni + 9, out), 0);
    assert_int_equal(seg_bits(r, 9, 5000, TLS_SEG_RST, 6, &h, 0, 0, out), TLS_NOT_HELLO);
    assert_int_equal(tls_reasm_pending(r), 0);
    /* a first segment the snapshot length cut is not kept (what follows
     * it cannot be placed); a later one cut ends the wait with what came */
    assert_int_equal(seg_bits(r, 9, 5000, TLS_SEG_CUT, 7, &h, 0, 40, out), 0);
    assert_int_equal(tls_reasm_pending(r), 0);
    assert_int_equal(seg(r, 9, 5000, 8, &h, 0, 40, out), 0);
    assert_int_equal(seg_bits(r, 9, 5000, TLS_SEG_CUT, 9, &h, 40, h.sni_end, out), 1);
    assert_int_equal(seg(r, 9, 5000, 8, &h, 0, 40, out), 0);
    assert_int_equal(seg_bits(r, 9, 5000, TLS_SEG_CUT, 9, &h, 40, h.sni + 9, out), 0);
    assert_int_equal(tls_reasm_pending(r), 0);
    tls_reasm_free(r);
    bb_free(&h.b);

    /* a server's handshake record (type 2) longer than its segment is no
     * ClientHello: not kept */
    client_hello(&h, "split.example.com", 1);
    h.b.p[5] = 2;
    r = tls_reasm_new();
    assert_int_equal(seg(r, 9, 1, 0, &h, 0, 40, out), 0);
    assert_int_equal(tls_reasm_pending(r), 0);
    tls_reasm_free(r);
    bb_free(&h.b);
}

/* ---- HTTP ----------------------------------------------------------------- */

static int http_n(const void *p, size_t n, char out[NAME_MAX_LEN + 1])
{
    uint8_t *copy = exact_copy(p, n);
    memset(out, 'Q', NAME_MAX_LEN + 1);
    int rc = http_request_host(copy, n, out);
    free(copy);
    assert_true(rc >= -1 && rc <= 1);
    check_name(out, 1);
    if (rc != 1)
        assert_string_equal(out, "");
    return rc;
}

static int http(const char *s, char out[NAME_MAX_LEN + 1])
{
    return http_n(s, strlen(s), out);
}

/* A string literal that may hold NUL bytes, all of it. */
#define http_lit(lit, out) http_n(lit, sizeof(lit) - 1, out)

static void test_http_get_host(void **state)
{
    (void)state;
    char out[NAME_MAX_LEN + 1];
    assert_int_equal(http("GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n"
                          "User-Agent: curl/8.0\r\nAccept: */*\r\n\r\n",
                          out),
                     1);
    assert_string_equal(out, "www.example.com");
    /* Every method of the IANA registry (WebDAV's had named nothing). */
    static const char *const m[] = {"ACL",
                                    "BASELINE-CONTROL",
                                    "BIND",
                                    "CHECKIN",
                                    "CHECKOUT",
                                    "CONNECT",
                                    "COPY",
                                    "DELETE",
                                    "GET",
                                    "HEAD",
                                    "LABEL",
                                    "LINK",
                                    "LOCK",
                                    "MERGE",
                                    "MKACTIVITY",
                                    "MKCALENDAR",
                                    "MKCOL",
                                    "MKREDIRECTREF",
                                    "MKWORKSPACE",
                                    "MOVE",
                                    "OPTIONS",
                                    "ORDERPATCH",
                                    "PATCH",
                                    "POST",
                                    "PRI",
                                    "PROPFIND",
                                    "PROPPATCH",
                                    "PUT",
                                    "QUERY",
                                    "REBIND",
                                    "REPORT",
                                    "SEARCH",
                                    "TRACE",
                                    "UNBIND",
                                    "UNCHECKOUT",
                                    "UNLINK",
                                    "UNLOCK",
                                    "UPDATE",
                                    "UPDATEREDIRECTREF",
                                    "VERSION-CONTROL"};
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
        char req[128];
        snprintf(req, sizeof(req), "%s / HTTP/1.0\r\nHost: m.example\r\n\r\n", m[i]);
        assert_int_equal(http(req, out), 1);
        assert_string_equal(out, "m.example");
        /* registered: a request line wrong after it is malformed */
        snprintf(req, sizeof(req), "%s / HTTP/1.1x\r\nHost: m.example\r\n\r\n", m[i]);
        assert_int_equal(http(req, out), -1);
    }
}

/* Methods outside the registry: any token whose first line is a whole
 * HTTP/1.x request line.  Else 0, not a request, never -1: text protocols
 * and binary that start with capital letters and a space are not HTTP. */
static void test_http_other_methods(void **state)
{
    (void)state;
    char out[NAME_MAX_LEN + 1];
    /* BITS uploads, RPC over HTTP, a framework's own verb, token bytes */
    assert_int_equal(http("BITS_POST /up/x.bin HTTP/1.1\r\nHost: bits.example\r\n"
                          "BITS-Packet-Type: Create-Session\r\n\r\n",
                          out),
                     1);
    assert_string_equal(out, "bits.example");
    assert_int_equal(http("RPC_IN_DATA /rpc/rpcproxy.dll?ex01:6001 HTTP/1.1\r\n"
                          "Host: mail.example\r\n\r\n",
                          out),
                     1);
    assert_string_equal(out, "mail.example");
    assert_int_equal(http("GETX / HTTP/1.1\r\nHost: a.example\r\n\r\n", out), 1);
    assert_int_equal(http("X-Beacon.v2!~ /c HTTP/1.0\nHost: c2.example\n\n", out), 1);
    assert_string_equal(out, "c2.example");
    assert_int_equal(http("ABCDEFGHIJKLMNOPQRST / HTTP/1.1\r\nHost: a.example\r\n\r\n", out),
                     1); /* 20 bytes */
    /* once the request line holds, the rest is checked as for GET */
    assert_int_equal(http("BEACON / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n", out),
                     -1);
    assert_int_equal(http("BEACON / HTTP/1.1\r\nAccept: */*\r\n\r\n", out), 0);

    /* not a request line: 0 */
    assert_int_equal(http("ABCDEFGHIJKLMNOPQRSTU / HTTP/1.1\r\nHost: a.example\r\n\r\n", out),
                     0); /* 21 bytes */
    assert_int_equal(http("EHLO mail.example\r\n", out), 0);
    assert_int_equal(http("USER anonymous\r\nPASS x\r\n", out), 0);
    assert_int_equal(http("DESCRIBE rtsp://cam.example/s RTSP/1.0\r\nCSeq: 1\r\n\r\n", out), 0);
    assert_int_equal(http("INVITE sip:bob@a.example SIP/2.0\r\nVia: x\r\n\r\n", out), 0);
    assert_int_equal(http("BEACON / HTTP/2.0\r\nHost: a.example\r\n\r\n", out), 0);
    assert_int_equal(http("BEACON /a b HTTP/1.1\r\nHost: a.example\r\n\r\n", out), 0);
    assert_int_equal(http("BEACON  HTTP/1.1\r\nHost: a.example\r\n\r\n", out), 0);
    assert_int_equal(http("BEACON / HTTP/1.1 \r\nHost: a.example\r\n\r\n", out), 0);
    assert_int_equal(http("BEACON /\r\nHost: a.example\r\n\r\n", out), 0);
    assert_int_equal(http("BEACON / HTTP/1.1", out), 0); /* no line end yet */
    assert_int_equal(http("A B C\r\n", out), 0);
    assert_int_equal(http("Be(acon / HTTP/1.1\r\nHost: a.example\r\n\r\n", out), 0);
    assert_int_equal(http(" GET / HTTP/1.1\r\nHost: a.example\r\n\r\n", out), 0);
    assert_int_equal(http("1GET / HTTP/1.1\r\nHost: a.example\r\n\r\n", out), 0);
    assert_int_equal(http_lit("XY \x01\x00\xff\xfe HTTP/1.1\r\n", out), 0);
    assert_int_equal(http_lit("AB\x00 / HTTP/1.1\r\nHost: a.example\r\n\r\n", out), 0);
    assert_int_equal(http_lit("AB /x\x00 HTTP/1.1\r\nHost: a.example\r\n\r\n", out), 0);
    assert_int_equal(http("AB /x\rHTTP/1.1\r\nHost: a.example\r\n\r\n", out), 0);
    /* a registered method's wrong request line stays -1 (test_http_malformed) */
    assert_int_equal(http("PROPFIND  HTTP/1.1\r\nHost: a.example\r\n\r\n", out), -1);
    assert_int_equal(http_lit("MKCOL /x\x00 HTTP/1.1\r\nHost: a.example\r\n\r\n", out), -1);
    /* pseudo-random: capital letters, a space, random bytes: never -1 nor
     * a name unless the line happens to be a request line (it never is) */
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 20000; i++) {
        uint8_t buf[64];
        size_t n = 3 + i % 60;
        for (size_t j = 0; j < n; j++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[j] = (uint8_t)x;
        }
        buf[0] = (uint8_t)('A' + buf[0] % 26);
        buf[1] = (uint8_t)('A' + buf[1] % 26);
        buf[2] = ' ';
        assert_int_equal(http_n(buf, n, out), 0);
    }
}

static void test_http_case_and_trimming(void **state)
{
    (void)state;
    char out[NAME_MAX_LEN + 1];
    assert_int_equal(http("POST /x HTTP/1.1\r\naccept: */*\r\nhost:Example.COM\r\n\r\n", out), 1);
    assert_string_equal(out, "example.com");
    assert_int_equal(http("GET / HTTP/1.1\r\nHOST: \t example.com. \t\r\n\r\n", out), 1);
    assert_string_equal(out, "example.com");
    /* A header whose name merely starts with "host". */
    assert_int_equal(http("GET / HTTP/1.1\r\nHostname: a.example\r\nX-Host: b\r\n\r\n", out), 0);
}

static void test_http_port(void **state)
{
    (void)state;
    char out[NAME_MAX_LEN + 1];
    assert_int_equal(http("GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n", out), 1);
    assert_string_equal(out, "example.com");
    assert_int_equal(http("GET / HTTP/1.1\r\nHost: 10.1.2.3:80\r\n\r\n", out), 1);
    assert_string_equal(out, "10.1.2.3");
    assert_int_equal(http("GET / HTTP/1.1\r\nHost: example.com:\r\n\r\n", out), 1);
    assert_string_equal(out, "example.com");
    assert_int_equal(http("GET / HTTP/1.1\r\nHost: example.com:http\r\n\r\n", out), -1);
    assert_int_equal(http("GET / HTTP/1.1\r\nHost: example.com:123456\r\n\r\n", out), -1);
    assert_int_equal(http("GET / HTTP/1.1\r\nHost: :80\r\n\r\n", out), -1);
    assert_int_equal(http("GET / HTTP/1.1\r\nHost: a:1:2\r\n\r\n", out), -1);
}

static void test_http_ipv6_literal(void **state)
{
    (void)state;
    char out[NAME_MAX_LEN + 1];
    assert_int_equal(http("GET / HTTP/1.1\r\nHost: [2001:DB8::1]:8080\r\n\r\n", out), 1);
    assert_string_equal(out, "[2001:db8::1]");
    assert_int_equal(http("GET / HTTP/1.1\r\nHost: [::ffff:10.0.0.1]\r\n\r\n", out), 1);
    assert_string_equal(out, "[::ffff:10.0.0.1]");
    assert_int_equal(http("GET / HTTP/1.1\r\nHost: [fe80::1%25eth0]\r\n\r\n", out), -1);
    assert_int_equal(http("GET / HTTP/1.1\r\nHost: [2001:db8::1\r\n\r\n", out), -1);
    assert_int_equal(http("GET / HTTP/1.1\r\nHost: [2001:db8::1]x\r\n\r\n", out), -1);
    assert_int_equal(http("GET / HTTP/1.1\r\nHost: 2001:db8::1\r\n\r\n", out), -1);
    assert_int_equal(http("GET / HTTP/1.1\r\nHost: [v1.x]\r\n\r\n", out), -1);
    assert_int_equal(http("GET / HTTP/1.1\r\nHost: []\r\n\r\n", out), -1);
    assert_int_equal(http("GET / HTTP/1.1\r\nHost: [1111:2222:3333:4444:5555:6666:"
                          "123.123.123.123:1]\r\n\r\n",
                          out),
                     -1); /* 46 characters inside */
}

/* Build "GET / HTTP/1.1" + an X-Pad header of pad bytes + Host + end. */
static void padded_request(struct bb *b, size_t pad)
{
    static const char line[] = "GET /a HTTP/1.1\r\nX-Pad: ";
    bb_bytes(b, line, sizeof(line) - 1);
    bb_fill(b, 'p', pad);
    static const char rest[] = "\r\nHost: late.example\r\n\r\n";
    bb_bytes(b, rest, sizeof(rest) - 1);
}

static void test_http_host_after_long_headers(void **state)
{
    (void)state;
    struct bb b = {0};
    char out[NAME_MAX_LEN + 1];
    padded_request(&b, 3000);
    assert_int_equal(http_n(b.p, b.n, out), 1);
    assert_string_equal(out, "late.example");
    bb_free(&b);
    /* The Host line ends exactly at byte 4096, then just beyond it. */
    padded_request(&b, 0);
    size_t fixed = b.n - 2; /* up to and including Host's CRLF */
    bb_free(&b);
    padded_request(&b, HTTP_MAX_SCAN - fixed);
    assert_int_equal(http_n(b.p, b.n, out), 1);
    bb_free(&b);
    padded_request(&b, HTTP_MAX_SCAN - fixed + 1);
    assert_int_equal(http_n(b.p, b.n, out), 0);
    bb_free(&b);
    /* Many short headers before Host. */
    bb_bytes(&b, "GET / HTTP/1.1\r\n", 16);
    for (int i = 0; i < 100; i++)
        bb_bytes(&b, "A: b\r\n", 6);
    bb_bytes(&b, "Host: h.example\r\n\r\n", 19);
    assert_int_equal(http_n(b.p, b.n, out), 1);
    bb_free(&b);
}

static void test_http_no_host(void **state)
{
    (void)state;
    char out[NAME_MAX_LEN + 1];
    assert_int_equal(http("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", out), 0);
    assert_int_equal(http("GET / HTTP/1.0\r\n\r\n", out), 0);
    assert_int_equal(http("GET / HTTP/1.1\r\nHost:\r\n\r\n", out), 0);
    assert_int_equal(http("GET / HTTP/1.1\r\nHost:   \r\n\r\n", out), 0);
    /* Host after the empty line is body, not a header. */
    assert_int_equal(http("POST / HTTP/1.1\r\n\r\nHost: body.example\r\n", out), 0);
    /* HTTP/0.9 and HTTP/2 request lines. */
    assert_int_equal(http("GET /\r\n", out), 0);
    assert_int_equal(http("GET / HTTP/2.0\r\nHost: a.example\r\n\r\n", out), 0);
}

static void test_http_not_a_request(void **state)
{
    (void)state;
    char out[NAME_MAX_LEN + 1];
    assert_int_equal(http("HTTP/1.1 200 OK\r\nHost: a.example\r\n\r\n", out), 0);
    assert_int_equal(http("get / HTTP/1.1\r\nHost: a.example\r\n\r\n", out), 0);
    assert_int_equal(http("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", out), 0);
    assert_int_equal(http("", out), 0);
    assert_int_equal(http("GET", out), 0);
    static const uint8_t junk[] = {0x16, 0x03, 0x01, 0x00, 0x05, 0xff, 0x00, 0x47, 0x45};
    assert_int_equal(http_n(junk, sizeof(junk), out), 0);
}

static void test_http_lf_only(void **state)
{
    (void)state;
    char out[NAME_MAX_LEN + 1];
    assert_int_equal(http("GET / HTTP/1.1\nHost: lf.example\n\n", out), 1);
    assert_string_equal(out, "lf.example");
    assert_int_equal(http("GET / HTTP/1.1\r\nA: b\nHost: mix.example\r\n\n", out), 1);
    assert_string_equal(out, "mix.example");
}

static void test_http_malformed(void **state)
{
    (void)state;
    char out[NAME_MAX_LEN + 1];
    /* Two Host fields. */
    assert_int_equal(http("GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n", out), -1);
    /* Whitespace before the colon, no colon, empty field name. */
    assert_int_equal(http("GET / HTTP/1.1\r\nHost : a.example\r\n\r\n", out), -1);
    assert_int_equal(http("GET / HTTP/1.1\r\nHost a.example\r\n\r\n", out), -1);
    assert_int_equal(http("GET / HTTP/1.1\r\n: a.example\r\n\r\n", out), -1);
    /* Bare CR, NUL. */
    assert_int_equal(http("GET / HTTP/1.1\r\nHost: a.ex\rample\r\n\r\n", out), -1);
    assert_int_equal(http_n("GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n", 29, out), -1);
    /* Folding: on Host, before the first field. */
    assert_int_equal(http("GET / HTTP/1.1\r\nHost: a.example\r\n b\r\n\r\n", out), -1);
    assert_int_equal(http("GET / HTTP/1.1\r\n Host: a.example\r\n\r\n", out), -1);
    assert_int_equal(http("GET / HTTP/1.1\r\nA: x\r\n y\r\nHost: a.example\r\n\r\n", out), 1);
    /* Request line. */
    assert_int_equal(http("GET  HTTP/1.1\r\nHost: a.example\r\n\r\n", out), -1);
    assert_int_equal(http("GET / HTTP/1.1x\r\nHost: a.example\r\n\r\n", out), -1);
    assert_int_equal(http("GET / HTTPS/1.1\r\nHost: a.example\r\n\r\n", out), -1);
    assert_int_equal(http("GET /a b HTTP/1.1\r\nHost: a.example\r\n\r\n", out), -1);
    assert_int_equal(http("GET /\x01 HTTP/1.1\r\nHost: a.example\r\n\r\n", out), -1);
    /* Host values that are not names. */
    assert_int_equal(http("GET / HTTP/1.1\r\nHost: a b.example\r\n\r\n", out), -1);
    assert_int_equal(http("GET / HTTP/1.1\r\nHost: a%2eb\r\n\r\n", out), -1);
    assert_int_equal(http("GET / HTTP/1.1\r\nHost: user@a.example\r\n\r\n", out), -1);
    assert_int_equal(http("GET / HTTP/1.1\r\nHost: .\r\n\r\n", out), -1);
    char req[400], name[300];
    long_name(name, 254);
    snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", name);
    assert_int_equal(http(req, out), -1);
    long_name(name, 253);
    snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: %s.:443\r\n\r\n", name);
    assert_int_equal(http(req, out), 1);
    assert_string_equal(out, name);
}

/* The Host line cut by the snapshot length is not used. */
static void test_http_truncated(void **state)
{
    (void)state;
    char out[NAME_MAX_LEN + 1];
    static const char req[] = "GET /x HTTP/1.1\r\nHost: www.example.com\r\nAccept: */*\r\n\r\n";
    size_t host_end = (size_t)(strstr(req, "com\r\n") - req) + 5; /* after Host's LF */
    for (size_t n = 0; n <= sizeof(req) - 1; n++)
        assert_int_equal(http_n(req, n, out), n < host_end ? 0 : 1);
    assert_int_equal(http("GET / HTTP/1.1\r\nHost: www.exam", out), 0);
    assert_int_equal(http("GET / HTTP/1.1\r\nHost: www.example.com\r", out), 0);
}

/* ---- name_normalise --------------------------------------------------------- */

static void expect_norm(const char *in, int rc, const char *want)
{
    char buf[400];
    snprintf(buf, sizeof(buf), "%s", in);
    assert_int_equal(name_normalise(buf), rc);
    assert_string_equal(buf, rc == 0 ? want : in); /* unchanged when rejected */
}

static void test_name_normalise(void **state)
{
    (void)state;
    char name[300], dotted[320];
    expect_norm("WWW.Example.COM.", 0, "www.example.com");
    expect_norm("www.example.com", 0, "www.example.com");
    expect_norm("a..", 0, "a.");
    expect_norm("*.x_y-z.Example", 0, "*.x_y-z.example");
    expect_norm("10.0.0.1", 0, "10.0.0.1");
    expect_norm("", 0, "");
    expect_norm(".", 0, "");
    expect_norm("A B", -1, NULL);
    expect_norm("a:b", -1, NULL);
    expect_norm("[::1]", -1, NULL);
    expect_norm("caf\xc3\xa9", -1, NULL);
    expect_norm("a/b", -1, NULL);
    expect_norm("a\tb", -1, NULL);
    expect_norm("A@B", -1, NULL);
    long_name(name, 253);
    expect_norm(name, 0, name);
    snprintf(dotted, sizeof(dotted), "%s.", name);
    expect_norm(dotted, 0, name);
    long_name(name, 254);
    expect_norm(name, -1, NULL);
    snprintf(dotted, sizeof(dotted), "%s.", name);
    expect_norm(dotted, -1, NULL);
}

/* ---- all parsers on noise and on mutated valid messages ------------------- */

static void parse_all(const uint8_t *p, size_t n)
{
    struct dres r;
    char out[NAME_MAX_LEN + 1];
    const uint8_t *msg;
    size_t mlen;
    int whole = dparse_max(p, n, &r, 3);
    /* cut: never malformed where the whole reading is not; the same
     * result where that one never ran out of bytes */
    struct dres rc;
    int cut = dparse_cut(p, n, 1, &rc, 3);
    assert_true(whole == -1 || (cut == whole && rc.n == r.n));
    uint8_t *copy = exact_copy(p, n);
    if (dns_tcp_strip(copy, n, 0, &msg, &mlen) == 0) {
        assert_true(msg >= copy && mlen <= n - 2);
        dparse_max(msg, mlen, &r, 2);
    }
    if (dns_tcp_strip(copy, n, 1, &msg, &mlen) == 1) {
        assert_true(msg == copy + 2 && mlen >= 1 && mlen == n - 2);
        dparse_cut(msg, mlen, 1, &r, 2);
    }
    free(copy);
    tls_n(p, n, out);
    http_n(p, n, out);
}

static void test_noise_and_mutations(void **state)
{
    (void)state;
    struct bb corpus[6] = {{0}};
    struct hello h;
    build_cname_response(&corpus[0]);
    build_pointer_chain(&corpus[1], 5);
    build_chain(&corpus[2], 3);
    client_hello(&h, "www.example.com", 0);
    corpus[3] = h.b;
    client_hello(&h, "x.example", 1);
    corpus[4] = h.b;
    static const char req[] = "GET / HTTP/1.1\r\nHost: [2001:db8::1]:80\r\nA: b\r\n\r\n";
    bb_bytes(&corpus[5], req, sizeof(req) - 1);
    size_t nc = sizeof(corpus) / sizeof(corpus[0]);
    uint8_t buf[512];
    /* Every prefix of every message, 2000 pseudo-random inputs of 0 to 299
     * bytes, 6000 messages with a few bits flipped. */
    corpus_mutate(corpus, nc, 0x243F6A8885A308D3ull, buf, sizeof(buf), 300, 2000, 6000, parse_all);
    for (size_t i = 0; i < nc; i++)
        bb_free(&corpus[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dns_query_a),
        cmocka_unit_test(test_dns_response_a_and_aaaa),
        cmocka_unit_test(test_dns_cname_chain),
        cmocka_unit_test(test_dns_cname_chain_any_order_and_suffix_pointer),
        cmocka_unit_test(test_dns_unrelated_answers_ignored),
        cmocka_unit_test(test_dns_cname_hop_limit),
        cmocka_unit_test(test_dns_cname_loop_terminates),
        cmocka_unit_test(test_dns_pointer_to_itself),
        cmocka_unit_test(test_dns_forward_pointer),
        cmocka_unit_test(test_dns_pointer_loop),
        cmocka_unit_test(test_dns_pointer_into_same_name),
        cmocka_unit_test(test_dns_pointer_jump_limit),
        cmocka_unit_test(test_dns_label_length),
        cmocka_unit_test(test_dns_name_length),
        cmocka_unit_test(test_dns_many_single_labels),
        cmocka_unit_test(test_dns_truncated),
        cmocka_unit_test(test_dns_qdcount),
        cmocka_unit_test(test_dns_nxdomain_and_other_rcodes),
        cmocka_unit_test(test_dns_txt_answers),
        cmocka_unit_test(test_dns_uppercase_lowercased),
        cmocka_unit_test(test_dns_escaped_characters),
        cmocka_unit_test(test_dns_text),
        cmocka_unit_test(test_dns_rdata_lengths),
        cmocka_unit_test(test_dns_ttl_high_bit_reads_zero),
        cmocka_unit_test(test_dns_max_addrs_and_null_outputs),
        cmocka_unit_test(test_dns_answer_cap),
        cmocka_unit_test(test_dns_root_name),
        cmocka_unit_test(test_dns_tcp_strip),
        cmocka_unit_test(test_dns_every_prefix),
        cmocka_unit_test(test_dns_cut_by_snapshot),
        cmocka_unit_test(test_dns_cut_still_malformed),
        cmocka_unit_test(test_dns_tcp_strip_cut),
        cmocka_unit_test(test_tls_sni_first_and_last),
        cmocka_unit_test(test_tls_no_sni_or_no_extensions),
        cmocka_unit_test(test_tls_not_a_client_hello),
        cmocka_unit_test(test_tls_truncated),
        cmocka_unit_test(test_tls_sni_bogus_lengths),
        cmocka_unit_test(test_tls_outer_lengths),
        cmocka_unit_test(test_tls_handshake_split_over_records),
        cmocka_unit_test(test_tls_sni_bytes),
        cmocka_unit_test(test_tls_unknown_name_type_skipped),
        cmocka_unit_test(test_tls_sni_list_entries),
        cmocka_unit_test(test_tls_stream_two_segments),
        cmocka_unit_test(test_tls_stream_retransmits_and_gaps),
        cmocka_unit_test(test_tls_stream_wait_and_room),
        cmocka_unit_test(test_http_get_host),
        cmocka_unit_test(test_http_other_methods),
        cmocka_unit_test(test_http_case_and_trimming),
        cmocka_unit_test(test_http_port),
        cmocka_unit_test(test_http_ipv6_literal),
        cmocka_unit_test(test_http_host_after_long_headers),
        cmocka_unit_test(test_http_no_host),
        cmocka_unit_test(test_http_not_a_request),
        cmocka_unit_test(test_http_lf_only),
        cmocka_unit_test(test_http_malformed),
        cmocka_unit_test(test_http_truncated),
        cmocka_unit_test(test_name_normalise),
        cmocka_unit_test(test_noise_and_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

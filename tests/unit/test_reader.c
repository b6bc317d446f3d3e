/*
 * test_reader.c - capture files written byte by byte into a scratch
 * directory, then read back with reader_open/reader_next (one file) and
 * inputs_new/inputs_next (several files merged by time).
 *
 * The headers are built here from the format descriptions
 * (draft-ietf-opsawg-pcap, draft-ietf-opsawg-pcapng), not with libpcap, so
 * that byte orders, resolutions and damaged layouts can be chosen freely.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "capture/inputs.h"
#include "capture/reader.h"
#include "capture/source.h"
#include "util/err.h"
#include "util.h"

static struct scratch sc;

static int setup(void **state)
{
    (void)state;
    return scratch_make(&sc);
}

static int teardown(void **state)
{
    (void)state;
    scratch_remove(&sc);
    return 0;
}

/* ---- file builders ---------------------------------------------------- */

static void pcap_hdr(struct bb *b, int be, int nsec, uint16_t major, uint32_t lt)
{
    bb_e32(b, be, nsec ? 0xA1B23C4Du : 0xA1B2C3D4u);
    bb_e16(b, be, major);
    bb_e16(b, be, 4);
    bb_e32(b, be, 0); /* thiszone */
    bb_e32(b, be, 0); /* sigfigs */
    bb_e32(b, be, 65535);
    bb_e32(b, be, lt);
}

/* Record whose payload is `caplen` bytes of (tag + i) so it can be told apart. */
static void pcap_rec(struct bb *b, int be, uint32_t sec, uint32_t frac, uint32_t caplen,
                     uint32_t wirelen, unsigned tag)
{
    bb_e32(b, be, sec);
    bb_e32(b, be, frac);
    bb_e32(b, be, caplen);
    bb_e32(b, be, wirelen);
    for (uint32_t i = 0; i < caplen; i++)
        bb_u8(b, tag + i);
}

static void bb_e64(struct bb *b, int be, uint64_t v)
{
    if (be) {
        bb_be32(b, (uint32_t)(v >> 32));
        bb_be32(b, (uint32_t)v);
    } else {
        bb_le32(b, (uint32_t)v);
        bb_le32(b, (uint32_t)(v >> 32));
    }
}

/* A pcapng block around `body` (padded to 4), lengths in section order. */
static void ng_block(struct bb *b, int be, uint32_t type, const struct bb *body)
{
    size_t pad = (4 - (body->n & 3)) & 3;
    uint32_t len = (uint32_t)(12 + body->n + pad);
    bb_e32(b, be, type);
    bb_e32(b, be, len);
    bb_bytes(b, body->p, body->n);
    bb_fill(b, 0, pad);
    bb_e32(b, be, len);
}

static void ng_shb(struct bb *b, int be, uint16_t major, uint16_t minor)
{
    struct bb body = {0};
    bb_e32(&body, be, 0x1A2B3C4D);
    bb_e16(&body, be, major);
    bb_e16(&body, be, minor);
    bb_fill(&body, 0xFF, 8); /* section length unknown (-1) */
    ng_block(b, be, 0x0A0D0D0A, &body);
    bb_free(&body);
}

/* IDB; tsresol < 0 means no if_tsresol option; tsoffset 0 means none. */
static void ng_idb(struct bb *b, int be, uint16_t lt, int tsresol, int64_t tsoffset)
{
    struct bb body = {0};
    bb_e16(&body, be, lt);
    bb_e16(&body, be, 0);
    bb_e32(&body, be, 262144);
    /* An option pcts ignores first (if_name, 5 bytes + 3 padding). */
    bb_e16(&body, be, 2);
    bb_e16(&body, be, 5);
    bb_bytes(&body, "eth0x", 5);
    bb_fill(&body, 0, 3);
    if (tsresol >= 0) {
        bb_e16(&body, be, 9);
        bb_e16(&body, be, 1);
        bb_u8(&body, (unsigned)tsresol);
        bb_fill(&body, 0, 3);
    }
    if (tsoffset) {
        bb_e16(&body, be, 14);
        bb_e16(&body, be, 8);
        bb_e64(&body, be, (uint64_t)tsoffset);
    }
    bb_e16(&body, be, 0); /* opt_endofopt */
    bb_e16(&body, be, 0);
    ng_block(b, be, 1, &body);
    bb_free(&body);
}

static void ng_epb(struct bb *b, int be, uint32_t ifid, uint64_t ts, uint32_t caplen,
                   uint32_t wirelen, unsigned tag)
{
    struct bb body = {0};
    bb_e32(&body, be, ifid);
    bb_e32(&body, be, (uint32_t)(ts >> 32));
    bb_e32(&body, be, (uint32_t)ts);
    bb_e32(&body, be, caplen);
    bb_e32(&body, be, wirelen);
    for (uint32_t i = 0; i < caplen; i++)
        bb_u8(&body, tag + i);
    ng_block(b, be, 6, &body);
    bb_free(&body);
}

static void ng_spb(struct bb *b, int be, uint32_t len)
{
    struct bb body = {0};
    bb_e32(&body, be, len);
    bb_fill(&body, 0x5B, len);
    ng_block(b, be, 3, &body);
    bb_free(&body);
}

static void write_bb(const char *name, const struct bb *b, char *path)
{
    assert_int_equal(scratch_write(&sc, name, b->p, b->n, path), 0);
}

/* ---- reading helpers ---------------------------------------------------- */

struct expect_rec {
    int64_t ts_ns;
    uint32_t caplen, wirelen, linktype;
    unsigned tag;
};

static void assert_rec(const struct pkt *p, const struct expect_rec *e)
{
    if (p->ts_ns != e->ts_ns) {
        print_error("ts_ns %lld, expected %lld\n", (long long)p->ts_ns, (long long)e->ts_ns);
        fail();
    }
    assert_int_equal(p->caplen, e->caplen);
    assert_int_equal(p->wirelen, e->wirelen);
    assert_int_equal(p->linktype, e->linktype);
    for (uint32_t i = 0; i < p->caplen; i++)
        assert_int_equal(p->data[i], (uint8_t)(e->tag + i));
}

/* The same through reader_next_batch() with batches of at most max: the
 * same records (checked after each batch, so their data must have stayed
 * valid), the same end and the same message. */
static void batch_expect(const char *path, const struct expect_rec *e, size_t n, int end_rc,
                         const char *end_msg, size_t max, const struct reader_notes *notes)
{
    struct reader *r;
    char msg[ERRMSG_MAX] = "";
    assert_int_equal(reader_open(&r, path, msg), 0);
    struct pkt p[64];
    assert_true(max <= 64);
    size_t seen = 0, k;
    int rc;
    while ((rc = reader_next_batch(r, p, max, &k, msg)) == 1) {
        assert_true(k >= 1 && k <= max);
        for (size_t i = 0; i < k; i++) {
            if (seen + i >= n) {
                print_error("batch of %zu: more than %zu records\n", max, n);
                fail();
            }
            assert_rec(&p[i], &e[seen + i]);
        }
        seen += k;
    }
    assert_int_equal(seen, n);
    assert_int_equal(rc, end_rc);
    assert_string_equal(msg, end_msg);
    assert_int_equal(reader_next_batch(r, p, max, &k, msg), 0);
    assert_int_equal(k, 0);
    /* the oddities counted in batches as one record at a time */
    assert_memory_equal(reader_notes(r), notes, sizeof(*notes));
    reader_free(r);
}

/* Open, read every expected record, then expect `end_rc` (0 = clean end);
 * returns the reader (still open) for further checks, msg holds the last
 * message.  Batched reading is checked against it on the way. */
static struct reader *read_expect(const char *path, const struct expect_rec *e, size_t n,
                                  int end_rc, char *msg)
{
    struct reader *r;
    msg[0] = '\0';
    int rc = reader_open(&r, path, msg);
    if (rc) {
        print_error("reader_open: %d %s\n", rc, msg);
        fail();
    }
    struct pkt p;
    for (size_t i = 0; i < n; i++) {
        rc = reader_next(r, &p, msg);
        if (rc != 1) {
            print_error("record %zu: rc %d %s\n", i, rc, msg);
            fail();
        }
        assert_rec(&p, &e[i]);
    }
    rc = reader_next(r, &p, msg);
    assert_int_equal(rc, end_rc);
    static const size_t maxes[] = {1, 2, 3, 64};
    for (size_t i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++)
        batch_expect(path, e, n, end_rc, rc ? msg : "", maxes[i], reader_notes(r));
    /* After the end or an error the reader stays at 0. */
    assert_int_equal(reader_next(r, &p, msg), 0);
    return r;
}

static int open_fails(const char *path, char *msg)
{
    struct reader *r = NULL;
    msg[0] = '\0';
    int rc = reader_open(&r, path, msg);
    assert_null(r);
    return rc;
}

#define assert_contains(hay, needle)                                                               \
    do {                                                                                           \
        if (!strstr((hay), (needle))) {                                                            \
            print_error("message \"%s\" does not contain \"%s\"\n", (hay), (needle));              \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

/* ---- classic pcap ------------------------------------------------------- */

static void test_pcap_all_byte_orders_and_resolutions(void **state)
{
    (void)state;
    for (int be = 0; be <= 1; be++)
        for (int nsec = 0; nsec <= 1; nsec++) {
            uint32_t one = nsec ? 1000000000u : 1000000u;
            uint32_t lt = be ? 101 : 1;
            struct bb b = {0};
            pcap_hdr(&b, be, nsec, 2, lt);
            pcap_rec(&b, be, 1700000000u, nsec ? 123456789u : 123456u, 60, 1514, 1);
            pcap_rec(&b, be, 1700000001u, one - 1, 0, 64, 2);
            pcap_rec(&b, be, 0, 0, 1, 1, 3);
            pcap_rec(&b, be, 0xFFFFFFFFu, 1, 33, 40, 4);
            const struct expect_rec e[] = {
                {1700000000LL * 1000000000 + (nsec ? 123456789 : 123456000), 60, 1514, lt, 1},
                {1700000001LL * 1000000000 + (nsec ? 999999999 : 999999000), 0, 64, lt, 2},
                {0, 1, 1, lt, 3},
                {4294967295LL * 1000000000 + (nsec ? 1 : 1000), 33, 40, lt, 4},
            };
            char path[256], msg[ERRMSG_MAX];
            write_bb("p.pcap", &b, path);
            struct reader *r = read_expect(path, e, 4, 0, msg);
            assert_int_equal(reader_ts_digits(r), nsec ? 9 : 6);
            assert_string_equal(reader_format(r), nsec ? "pcap-ns" : "pcap");
            assert_int_equal(reader_notes(r)->bad_ts_fraction, 0);
            reader_free(r);
            bb_free(&b);
        }
}

static void test_pcap_linktype_fcs_bits_ignored(void **state)
{
    (void)state;
    /* Bits 26-31 carry FCS information; the link type is bits 0-15. */
    struct bb b = {0};
    pcap_hdr(&b, 0, 0, 2, 0x04000000u | 1u);
    pcap_rec(&b, 0, 10, 0, 4, 4, 9);
    const struct expect_rec e[] = {{10000000000LL, 4, 4, 1, 9}};
    char path[256], msg[ERRMSG_MAX];
    write_bb("fcs.pcap", &b, path);
    reader_free(read_expect(path, e, 1, 0, msg));
    bb_free(&b);
}

static void test_pcap_header_errors(void **state)
{
    (void)state;
    char path[256], msg[ERRMSG_MAX];
    struct bb b = {0};

    pcap_hdr(&b, 0, 0, 1, 1);
    b.p[6] = b.p[7] = 0; /* version 1.0 */
    write_bb("v1.pcap", &b, path);
    assert_int_equal(open_fails(path, msg), ERR_UNSUPPORTED);
    assert_contains(msg, "1.0");
    bb_free(&b);

    write_bb("empty.pcap", &b, path);
    assert_int_equal(open_fails(path, msg), ERR_FORMAT);
    assert_contains(msg, "empty");

    pcap_hdr(&b, 0, 0, 2, 1);
    b.n = 10;
    write_bb("short.pcap", &b, path);
    assert_int_equal(open_fails(path, msg), ERR_TRUNCATED);
    bb_free(&b);

    static const char text[] = "time,src,dst\n1,10.0.0.1,10.0.0.2\n2,10.0.0.1,10.0.0.2\n";
    assert_int_equal(scratch_write(&sc, "notes.txt", text, sizeof(text) - 1, path), 0);
    assert_int_equal(open_fails(path, msg), ERR_FORMAT);
    assert_contains(msg, "text");

    bb_bytes(&b, "snoop\0\0\0", 8);
    bb_be32(&b, 2);
    bb_be32(&b, 4);
    bb_fill(&b, 0, 24);
    write_bb("cap.snoop", &b, path);
    assert_int_equal(open_fails(path, msg), ERR_FORMAT);
    assert_contains(msg, "snoop");
    bb_free(&b);

    bb_bytes(&b,
             "\xFD"
             "7zXZ\0",
             6);
    bb_fill(&b, 0x42, 40);
    write_bb("cap.pcap.xz", &b, path);
    assert_int_equal(open_fails(path, msg), ERR_FORMAT);
    assert_contains(msg, "xz");
    bb_free(&b);

    assert_int_equal(open_fails(sc.dir, msg), ERR_IO);
    assert_contains(msg, "directory");

    scratch_path(&sc, "does-not-exist.pcap", path);
    assert_int_equal(open_fails(path, msg), ERR_IO);
    assert_contains(msg, "No such file");
}

static void test_pcap_truncated_last_record(void **state)
{
    (void)state;
    struct bb b = {0};
    pcap_hdr(&b, 0, 0, 2, 1);
    pcap_rec(&b, 0, 1, 0, 50, 50, 1);
    pcap_rec(&b, 0, 2, 0, 50, 50, 2);
    size_t third = b.n;
    pcap_rec(&b, 0, 3, 0, 50, 50, 3);
    b.n -= 7; /* the capture was interrupted mid-record */
    const struct expect_rec e[] = {{1000000000, 50, 50, 1, 1}, {2000000000, 50, 50, 1, 2}};
    char path[256], msg[ERRMSG_MAX], where[64];
    write_bb("cut.pcap", &b, path);
    reader_free(read_expect(path, e, 2, ERR_TRUNCATED, msg));
    snprintf(where, sizeof(where), "byte %zu", third);
    assert_contains(msg, where);

    /* Cut inside the 16-byte record header. */
    b.n = third + 10;
    write_bb("cut2.pcap", &b, path);
    reader_free(read_expect(path, e, 2, ERR_TRUNCATED, msg));
    assert_contains(msg, where);
    bb_free(&b);
}

static void test_pcap_absurd_caplen_is_corrupt(void **state)
{
    (void)state;
    struct bb b = {0};
    pcap_hdr(&b, 1, 0, 2, 1);
    pcap_rec(&b, 1, 1, 0, 20, 20, 1);
    bb_be32(&b, 2);
    bb_be32(&b, 0);
    bb_be32(&b, 0x7FFFFFFFu);
    bb_be32(&b, 0x7FFFFFFFu);
    bb_fill(&b, 0, 100);
    const struct expect_rec e[] = {{1000000000, 20, 20, 1, 1}};
    char path[256], msg[ERRMSG_MAX];
    write_bb("huge.pcap", &b, path);
    reader_free(read_expect(path, e, 1, ERR_CORRUPT, msg));
    bb_free(&b);
}

/* ---- pcapng --------------------------------------------------------------- */

static void test_pcapng_interfaces_blocks_and_resolutions(void **state)
{
    (void)state;
    for (int be = 0; be <= 1; be++) {
        struct bb b = {0}, unk = {0};
        ng_shb(&b, be, 1, 0);
        ng_idb(&b, be, 1, -1, 0);  /* Ethernet, default microseconds */
        ng_idb(&b, be, 101, 9, 0); /* raw IP, nanoseconds */
        bb_fill(&unk, 0xAB, 8);
        ng_block(&b, be, 0x0BAD, &unk);
        ng_epb(&b, be, 0, 1700000000123456ull, 42, 60, 1);
        ng_epb(&b, be, 1, 1700000000123456789ull, 21, 21, 2);
        ng_spb(&b, be, 30);
        ng_epb(&b, be, 0, 1700000001000000ull, 3, 3, 3);
        const struct expect_rec e[] = {
            {1700000000123456000LL, 42, 60, 1, 1},
            {1700000000123456789LL, 21, 21, 101, 2},
            {1700000001000000000LL, 3, 3, 1, 3},
        };
        char path[256], msg[ERRMSG_MAX];
        write_bb("a.pcapng", &b, path);
        struct reader *r = read_expect(path, e, 3, 0, msg);
        assert_string_equal(reader_format(r), "pcapng");
        assert_int_equal(reader_ts_digits(r), 9);
        assert_int_equal(reader_notes(r)->spb_no_timestamp, 1);
        assert_int_equal(reader_notes(r)->skipped_blocks, 1);
        reader_free(r);
        bb_free(&b);
        bb_free(&unk);
    }
}

static void test_pcapng_binary_resolution_and_offset(void **state)
{
    (void)state;
    struct bb b = {0};
    ng_shb(&b, 0, 1, 0);
    ng_idb(&b, 0, 1, 0x86, 0);                          /* 2^-6 s units */
    ng_idb(&b, 0, 1, -1, 1700000000);                   /* usec, +1700000000 s */
    ng_idb(&b, 0, 1, 3, -10);                           /* msec, -10 s */
    ng_epb(&b, 0, 0, 1700000000ull * 64 + 32, 1, 1, 1); /* x.5 s */
    ng_epb(&b, 0, 0, 1, 1, 1, 2);                       /* 1/64 s */
    ng_epb(&b, 0, 1, 1500000, 1, 1, 3);                 /* 1.5 s after the offset */
    ng_epb(&b, 0, 2, 12345, 1, 1, 4);                   /* 12.345 s - 10 s */
    const struct expect_rec e[] = {
        {1700000000500000000LL, 1, 1, 1, 1},
        {15625000, 1, 1, 1, 2},
        {1700000001500000000LL, 1, 1, 1, 3},
        {2345000000LL, 1, 1, 1, 4},
    };
    char path[256], msg[ERRMSG_MAX];
    write_bb("res.pcapng", &b, path);
    struct reader *r = read_expect(path, e, 4, 0, msg);
    /* 2^-6 s is exact in 6 decimals (0.015625), msec in 3, usec in 6. */
    assert_int_equal(reader_ts_digits(r), 6);
    reader_free(r);
    bb_free(&b);
}

static void test_pcapng_two_sections_with_different_byte_order(void **state)
{
    (void)state;
    struct bb b = {0};
    ng_shb(&b, 0, 1, 0);
    ng_idb(&b, 0, 1, -1, 0);
    ng_epb(&b, 0, 0, 5000000, 10, 10, 1);
    /* Interface ids restart with each section. */
    ng_shb(&b, 1, 1, 0);
    ng_idb(&b, 1, 101, 9, 0);
    ng_epb(&b, 1, 0, 6000000001ull, 11, 12, 2);
    const struct expect_rec e[] = {
        {5000000000LL, 10, 10, 1, 1},
        {6000000001LL, 11, 12, 101, 2},
    };
    char path[256], msg[ERRMSG_MAX];
    write_bb("two.pcapng", &b, path);
    reader_free(read_expect(path, e, 2, 0, msg));
    bb_free(&b);
}

static void test_pcapng_negative_timestamp(void **state)
{
    (void)state;
    struct bb b = {0};
    ng_shb(&b, 0, 1, 0);
    ng_idb(&b, 0, 1, -1, 0);
    ng_idb(&b, 0, 1, 9, 0);
    ng_epb(&b, 0, 0, (uint64_t)-1000, 1, 1, 1); /* 1 ms before the epoch */
    ng_epb(&b, 0, 1, (uint64_t)-1, 1, 1, 2);    /* 1 ns before the epoch */
    const struct expect_rec e[] = {{-1000000, 1, 1, 1, 1}, {-1, 1, 1, 1, 2}};
    char path[256], msg[ERRMSG_MAX];
    write_bb("neg.pcapng", &b, path);
    reader_free(read_expect(path, e, 2, 0, msg));
    bb_free(&b);
}

/* Decimals printed for one interface's units: 6 when they are exact in 6
 * (10^-k and 2^-k s, k <= 6), else 9 (10^-7 had printed 7, 2^-10 6). */
static void test_pcapng_ts_digits(void **state)
{
    (void)state;
    static const struct {
        int res, digits;
    } cases[] = {{-1, 6}, {0, 6},    {3, 6},    {6, 6},    {7, 9},    {9, 9},
                 {12, 9}, {0x80, 6}, {0x86, 6}, {0x87, 9}, {0x8A, 9}, {0x94, 9}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct bb b = {0};
        ng_shb(&b, 0, 1, 0);
        ng_idb(&b, 0, 1, cases[i].res, 0);
        ng_epb(&b, 0, 0, 1000, 1, 1, 1);
        char path[256], msg[ERRMSG_MAX];
        write_bb("digits.pcapng", &b, path);
        struct reader *r;
        assert_int_equal(reader_open(&r, path, msg), 0);
        struct pkt p;
        assert_int_equal(reader_next(r, &p, msg), 1);
        assert_int_equal(reader_ts_digits(r), cases[i].digits);
        reader_free(r);
        bb_free(&b);
    }
}

/* Resolutions finer than ns, binary ones, and times beyond the int64 ns
 * range (clamped and counted, never wrapped). */
static void test_pcapng_timestamp_extremes(void **state)
{
    (void)state;
    struct bb b = {0};
    ng_shb(&b, 0, 1, 0);
    ng_idb(&b, 0, 1, -1, 0);           /* 0: microseconds */
    ng_idb(&b, 0, 1, 12, 0);           /* 1: picoseconds */
    ng_idb(&b, 0, 1, 0x80 | 30, 0);    /* 2: 2^-30 s */
    ng_idb(&b, 0, 1, 9, 9223372037LL); /* 3: ns, offset past 2262 */
    ng_idb(&b, 0, 1, 0, 9223372037LL); /* 4: seconds, the same offset */
    ng_idb(&b, 0, 1, 10, 0);           /* 5: 10^-10 s */
    ng_idb(&b, 0, 1, 0x80 | 33, 0);    /* 6: 2^-33 s */
    ng_epb(&b, 0, 0, 0x7FFFFFFFFFFFFFFFull, 1, 1, 1);
    ng_epb(&b, 0, 0, 0x8000000000000000ull, 1, 1, 2);
    ng_epb(&b, 0, 1, 1234567890123ull, 1, 1, 3);
    ng_epb(&b, 0, 2, 5ull << 30, 1, 1, 4);
    ng_epb(&b, 0, 3, 0, 1, 1, 5);
    ng_epb(&b, 0, 4, 1ull << 62, 1, 1, 6); /* clamped, then past it again by the offset */
    /* counts of 2^63 units and more are times after 1970 (unsigned) when
     * the units are finer than a ns: 2023 in 10^-10 s, 2023 in 2^-33 s; two's
     * complement (before 1970) only when unsigned is out of range, as in
     * microseconds */
    ng_epb(&b, 0, 5, 17000070000000000123ull, 1, 1, 7);
    ng_epb(&b, 0, 6, 1700007001ull << 33, 1, 1, 8);
    ng_epb(&b, 0, 0, ~0ull - 999999ull, 1, 1, 9); /* -1 s in us: unsigned is past 2262 */
    const struct expect_rec e[] = {
        {INT64_MAX, 1, 1, 1, 1},
        {-INT64_MAX, 1, 1, 1, 2},
        {1234567890, 1, 1, 1, 3},
        {5000000000LL, 1, 1, 1, 4},
        {INT64_MAX, 1, 1, 1, 5},
        {INT64_MAX, 1, 1, 1, 6},
        {1700007000000000012LL, 1, 1, 1, 7},
        {1700007001000000000LL, 1, 1, 1, 8},
        {-1000000000LL, 1, 1, 1, 9},
    };
    char path[256], msg[ERRMSG_MAX];
    write_bb("ext.pcapng", &b, path);
    struct reader *r = read_expect(path, e, 9, 0, msg);
    assert_int_equal(reader_notes(r)->ts_overflow, 4); /* a record once (was counted twice) */
    assert_int_equal(reader_ts_digits(r), 9);
    reader_free(r);
    bb_free(&b);
}

/* Oddities that are tolerated, used as written and counted. */
static void test_pcap_tolerated_oddities_are_counted(void **state)
{
    (void)state;
    for (int be = 0; be <= 1; be++) { /* the batch loop has a version for each */
        struct bb b = {0};
        pcap_hdr(&b, be, 0, 2, 1);                /* snaplen 65535 */
        pcap_rec(&b, be, 5, 1000000, 4, 4, 1);    /* usec field out of range */
        pcap_rec(&b, be, 6, 0, 10, 4, 2);         /* caplen > wirelen */
        pcap_rec(&b, be, 7, 0, 70000, 70000, 3);  /* caplen > snaplen */
        pcap_rec(&b, be, 8, 999999, 70001, 9, 4); /* caplen > both */
        const struct expect_rec e[] = {
            {6000000000LL, 4, 4, 1, 1},
            {6000000000LL, 10, 4, 1, 2},
            {7000000000LL, 70000, 70000, 1, 3},
            {8999999000LL, 70001, 9, 1, 4},
        };
        char path[256], msg[ERRMSG_MAX];
        write_bb("odd.pcap", &b, path);
        struct reader *r = read_expect(path, e, 4, 0, msg);
        assert_int_equal(reader_notes(r)->bad_ts_fraction, 1);
        assert_int_equal(reader_notes(r)->caplen_over_wirelen, 2);
        assert_int_equal(reader_notes(r)->caplen_over_snaplen, 2);
        reader_free(r);
        bb_free(&b);
    }
}

static void test_pcapng_damaged_blocks(void **state)
{
    (void)state;
    char path[256], msg[ERRMSG_MAX];
    const struct expect_rec e[] = {{1000, 4, 4, 1, 1}}; /* 1 us */
    struct bb b = {0};

    /* Block length not a multiple of 4. */
    ng_shb(&b, 0, 1, 0);
    ng_idb(&b, 0, 1, -1, 0);
    ng_epb(&b, 0, 0, 1, 4, 4, 1);
    size_t bad = b.n;
    ng_epb(&b, 0, 0, 2, 4, 4, 2);
    bb_set_e32(&b, bad + 4, 0, 30);
    write_bb("len.pcapng", &b, path);
    reader_free(read_expect(path, e, 1, ERR_CORRUPT, msg));

    /* Trailing length differs from the leading one. */
    bb_set_e32(&b, bad + 4, 0, 32 + 4);
    bb_set_e32(&b, b.n - 4, 0, 32 + 8);
    /* The EPB above is 32 + 4 bytes long (4 bytes of data); its trailer now
     * says 40. */
    write_bb("trail.pcapng", &b, path);
    reader_free(read_expect(path, e, 1, ERR_CORRUPT, msg));
    assert_contains(msg, "trailing");
    bb_free(&b);

    /* An EPB naming interface 5 when one is described. */
    ng_shb(&b, 0, 1, 0);
    ng_idb(&b, 0, 1, -1, 0);
    ng_epb(&b, 0, 0, 1, 4, 4, 1);
    ng_epb(&b, 0, 5, 2, 4, 4, 2);
    write_bb("ifid.pcapng", &b, path);
    reader_free(read_expect(path, e, 1, ERR_CORRUPT, msg));
    assert_contains(msg, "interface 5");
    bb_free(&b);

    /* An EPB whose captured length runs past its block. */
    ng_shb(&b, 0, 1, 0);
    ng_idb(&b, 0, 1, -1, 0);
    ng_epb(&b, 0, 0, 1, 4, 4, 1);
    bad = b.n;
    ng_epb(&b, 0, 0, 2, 4, 4, 2);
    bb_set_e32(&b, bad + 8 + 12, 0, 400); /* the caplen field */
    write_bb("caplen.pcapng", &b, path);
    reader_free(read_expect(path, e, 1, ERR_CORRUPT, msg));
    bb_free(&b);

    /* The file ends inside a block. */
    ng_shb(&b, 0, 1, 0);
    ng_idb(&b, 0, 1, -1, 0);
    ng_epb(&b, 0, 0, 1, 4, 4, 1);
    ng_epb(&b, 0, 0, 2, 40, 40, 2);
    b.n -= 20;
    write_bb("cut.pcapng", &b, path);
    reader_free(read_expect(path, e, 1, ERR_TRUNCATED, msg));
    bb_free(&b);
}

static void test_pcapng_version_checked_at_open(void **state)
{
    (void)state;
    char path[256], msg[ERRMSG_MAX];
    struct bb b = {0};
    ng_shb(&b, 0, 1, 1);
    ng_idb(&b, 0, 1, -1, 0);
    ng_epb(&b, 0, 0, 1, 4, 4, 1);
    write_bb("v11.pcapng", &b, path);
    assert_int_equal(open_fails(path, msg), ERR_UNSUPPORTED);
    assert_contains(msg, "1.1");
    bb_free(&b);
}

/* ---- compressed input ------------------------------------------------------ */

/* A pcap of n records with pseudo-random payloads (so that it does not
 * compress to almost nothing), and the records to expect. */
static struct expect_rec *random_pcap(struct bb *b, size_t n, uint32_t caplen, uint64_t seed)
{
    struct expect_rec *e = calloc(n, sizeof(*e));
    pcap_hdr(b, 0, 1, 2, 1);
    for (size_t i = 0; i < n; i++) {
        unsigned tag = (unsigned)rng_below(&seed, 256);
        e[i] = (struct expect_rec){(int64_t)(1000 + i) * 1000000000 + (int64_t)i, caplen, caplen, 1,
                                   tag};
        pcap_rec(b, 0, (uint32_t)(1000 + i), (uint32_t)i, caplen, caplen, tag);
    }
    return e;
}

static void write_gzip(const char *name, const struct bb *b, char *path)
{
    scratch_path(&sc, name, path);
    gzFile g = gzopen(path, "wb");
    assert_non_null(g);
    assert_int_equal(gzwrite(g, b->p, (unsigned)b->n), (int)b->n);
    assert_int_equal(gzclose(g), Z_OK);
}

static void zstd_bytes(const struct bb *in, struct bb *out)
{
    size_t cap = ZSTD_compressBound(in->n);
    bb_reserve(out, cap);
    size_t z = ZSTD_compress(out->p, cap, in->p, in->n, 3);
    assert_false(ZSTD_isError(z));
    out->n = z;
}

static void slurp(const char *path, struct bb *out)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t buf[4096];
    size_t got;
    while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
        bb_bytes(out, buf, got);
    fclose(f);
}

static void test_gzip_and_zstd_read_back(void **state)
{
    (void)state;
    struct bb b = {0}, z = {0};
    struct expect_rec *e = random_pcap(&b, 500, 77, 1);
    char path[256], msg[ERRMSG_MAX];

    write_gzip("c.pcap.gz", &b, path);
    struct reader *r = read_expect(path, e, 500, 0, msg);
    assert_string_equal(reader_format(r), "pcap-ns+gzip");
    reader_free(r);

    zstd_bytes(&b, &z);
    write_bb("c.pcap.zst", &z, path);
    r = read_expect(path, e, 500, 0, msg);
    assert_string_equal(reader_format(r), "pcap-ns+zstd");
    reader_free(r);
    free(e);
    bb_free(&b);
    bb_free(&z);
}

/* Read until the end; returns the final rc (0 or < 0), or the open error. */
static int drain(const char *path, size_t *records, char *msg)
{
    struct reader *r;
    *records = 0;
    int rc = reader_open(&r, path, msg);
    if (rc)
        return rc;
    struct pkt p;
    while ((rc = reader_next(r, &p, msg)) == 1)
        (*records)++;
    reader_free(r);
    return rc;
}

static void test_corrupt_gzip_is_an_error(void **state)
{
    (void)state;
    struct bb b = {0}, g = {0};
    struct expect_rec *e = random_pcap(&b, 2000, 100, 2);
    char path[256], msg[ERRMSG_MAX];
    write_gzip("bad.pcap.gz", &b, path);
    slurp(path, &g);
    for (size_t i = 0; i < 16; i++)
        g.p[g.n / 2 + i] ^= 0x5A;
    write_bb("bad.pcap.gz", &g, path);
    /* Where the damage is noticed depends on the bytes (a bad code, or the
     * CRC at the end), so only the error itself is certain. */
    size_t n;
    int rc = drain(path, &n, msg);
    assert_true(rc < 0);
    free(e);
    bb_free(&b);
    bb_free(&g);
}

/*
 * A compressed capture cut short (the writer was killed): everything that
 * decompresses must be returned, then the error.  The pcap is several zstd
 * blocks (128 KiB each) long so that the first blocks are complete.
 */
static void test_truncated_zstd_and_gzip_return_records_first(void **state)
{
    (void)state;
    struct bb b = {0}, z = {0};
    size_t n = 4000;
    struct expect_rec *e = random_pcap(&b, n, 100, 3);
    char path[256], msg[ERRMSG_MAX];

    zstd_bytes(&b, &z);
    z.n = z.n * 2 / 3;
    write_bb("cut.pcap.zst", &z, path);
    struct reader *r;
    assert_int_equal(reader_open(&r, path, msg), 0);
    struct pkt p;
    size_t got = 0;
    int rc;
    while ((rc = reader_next(r, &p, msg)) == 1) {
        assert_true(got < n);
        assert_rec(&p, &e[got]);
        got++;
    }
    print_message("    zstd cut at 2/3: %zu of %zu records, then %d (%s)\n", got, n, rc, msg);
    assert_true(got > 0);
    assert_true(got < n);
    assert_true(rc == ERR_TRUNCATED || rc == ERR_CORRUPT);
    reader_free(r);

    bb_free(&z);
    write_gzip("cut.pcap.gz", &b, path);
    slurp(path, &z);
    z.n = z.n * 2 / 3;
    write_bb("cut.pcap.gz", &z, path);
    assert_int_equal(reader_open(&r, path, msg), 0);
    got = 0;
    while ((rc = reader_next(r, &p, msg)) == 1) {
        assert_true(got < n);
        assert_rec(&p, &e[got]);
        got++;
    }
    print_message("    gzip cut at 2/3: %zu of %zu records, then %d (%s)\n", got, n, rc, msg);
    assert_true(got > n / 2);
    assert_true(got < n);
    assert_int_equal(rc, ERR_TRUNCATED);
    reader_free(r);
    free(e);
    bb_free(&b);
    bb_free(&z);
}

/* Header flags (RFC 1952 2.3.1) gz_member() writes fields for. */
enum { GZ_FHCRC = 2, GZ_FEXTRA = 4, GZ_FNAME = 8, GZ_FCOMMENT = 16, GZ_ALL = 30 };

/* A gzip member's header with the fields flags asks for (its CRC last). */
static void gz_head(struct bb *out, unsigned flags)
{
    size_t start = out->n;
    const uint8_t base[10] = {0x1F, 0x8B, 8, (uint8_t)flags, 0x10, 0x20, 0x30, 0x40, 0, 3};
    bb_bytes(out, base, sizeof(base));
    if (flags & GZ_FEXTRA) {
        static const uint8_t extra[] = {'p', 'c', 4, 0, 1, 2, 3, 4};
        bb_e16(out, 0, sizeof(extra));
        bb_bytes(out, extra, sizeof(extra));
    }
    if (flags & GZ_FNAME)
        bb_bytes(out, (const uint8_t *)"capture.pcap", 13);
    if (flags & GZ_FCOMMENT)
        bb_bytes(out, (const uint8_t *)"a comment, from a test", 23);
    if (flags & GZ_FHCRC)
        bb_e16(out, 0, (uint16_t)crc32(0, out->p + start, (uInt)(out->n - start)));
}

/*
 * A gzip member of p[0, n) in stored deflate blocks (RFC 1951 3.2.4), made
 * by hand so that its size is exact: the header, 5 bytes a block, n bytes
 * and 8 of trailer.
 */
static void gz_member(struct bb *out, const uint8_t *p, size_t n, unsigned flags)
{
    gz_head(out, flags);
    size_t o = 0;
    do {
        size_t k = n - o < 65535 ? n - o : 65535;
        bb_u8(out, o + k == n); /* BFINAL, BTYPE 00 */
        bb_e16(out, 0, (uint16_t)k);
        bb_e16(out, 0, (uint16_t)~k);
        bb_bytes(out, p + o, k);
        o += k;
    } while (o < n);
    bb_e32(out, 0, (uint32_t)crc32(0, p, (uInt)n));
    bb_e32(out, 0, (uint32_t)n);
}

static void gz_stored(struct bb *out, const uint8_t *p, size_t n)
{
    gz_member(out, p, n, 0);
}

/* The engines this build has: ISA-L (when built with it), then zlib. */
static size_t gzip_engines(const char *names[2])
{
    size_t k = 0;
    source_gzip_zlib(0);
    if (!strcmp(source_gzip_engine(), "isa-l"))
        names[k++] = "isa-l";
    names[k++] = "zlib";
    return k;
}

static void use_engine(const char *name)
{
    source_gzip_zlib(!strcmp(name, "zlib"));
    assert_string_equal(source_gzip_engine(), name);
}

/*
 * Both gzip engines read concatenated members, whatever the read
 * boundaries cut: the second member's header (its optional fields too)
 * placed across the first 256 KiB read (source.c's SRC_IN_BUF) at 48
 * offsets, with zero padding between the members in half of the files and
 * after the last; a first member with every optional header field (its
 * header is always read in two parts: the magic apart); then one file
 * compressed by zlib at levels 1 and 9 and cut into three members.
 */
static void test_gzip_members_any_boundary_both_engines(void **state)
{
    (void)state;
    struct bb b = {0};
    size_t n = 3000;
    struct expect_rec *e = random_pcap(&b, n, 120, 9);
    char path[256], msg[ERRMSG_MAX];
    const char *eng[2];
    size_t ne = gzip_engines(eng);
    print_message("    engines: %s%s%s\n", eng[0], ne > 1 ? ", " : "", ne > 1 ? eng[1] : "");
    for (size_t x = 0; x < ne; x++) {
        use_engine(eng[x]);
        for (size_t k = 0; k < 48; k++) {
            /* member 1: 18 bytes of framing and 5 a block of at most 65535 */
            size_t target = 262144 - 24 + k, m = 0;
            for (size_t blocks = 1; blocks < 8 && !m; blocks++)
                if ((target - 18 - 5 * blocks + 65534) / 65535 == blocks)
                    m = target - 18 - 5 * blocks;
            assert_true(m > 0 && m < b.n);
            struct bb g = {0};
            gz_stored(&g, b.p, m);
            assert_int_equal(g.n, target);
            if (k % 2)
                bb_fill(&g, 0, 1 + k);
            /* the second member's header, with every field in three files of
             * four, lies across the first read (intel/isa-l#224) */
            gz_member(&g, b.p + m, b.n - m, k % 4 ? GZ_ALL : 0);
            bb_fill(&g, 0, k);
            write_bb("members.pcap.gz", &g, path);
            reader_free(read_expect(path, e, n, 0, msg));
            bb_free(&g);
        }
        for (unsigned f = 0; f <= GZ_ALL; f += 2) { /* each field alone, and all */
            if (f && f != GZ_ALL && (f & (f - 1)))
                continue;
            struct bb g = {0};
            gz_member(&g, b.p, b.n, f);
            write_bb("fields.pcap.gz", &g, path);
            reader_free(read_expect(path, e, n, 0, msg));
            bb_free(&g);
        }
        for (int level = 1; level <= 9; level += 8) {
            struct bb g = {0};
            size_t cut[4] = {0, b.n / 3, b.n / 3 + 7, b.n};
            for (size_t i = 0; i < 3; i++) {
                uLongf cap = compressBound((uLong)(cut[i + 1] - cut[i])) + 32;
                uint8_t *z = malloc(cap);
                z_stream zs = {0};
                assert_int_equal(
                    deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
                zs.next_in = b.p + cut[i];
                zs.avail_in = (uInt)(cut[i + 1] - cut[i]);
                zs.next_out = z;
                zs.avail_out = (uInt)cap;
                assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
                bb_bytes(&g, z, cap - zs.avail_out);
                deflateEnd(&zs);
                free(z);
            }
            write_bb("levels.pcap.gz", &g, path);
            reader_free(read_expect(path, e, n, 0, msg));
            bb_free(&g);
        }
    }
    source_gzip_zlib(0);
    free(e);
    bb_free(&b);
}

/*
 * Damage both engines must report the same way: a wrong CRC-32 or length
 * in a member's trailer and garbage after a member are corrupt data (exit
 * 3 in the CLI, after every record before them), a member cut short is a
 * truncated stream; every record before the damage is returned first.
 */
static void test_gzip_damage_same_on_both_engines(void **state)
{
    (void)state;
    struct bb b = {0};
    size_t n = 500;
    struct expect_rec *e = random_pcap(&b, n, 100, 11);
    char path[256], msg[ERRMSG_MAX];
    const char *eng[2];
    size_t ne = gzip_engines(eng);
    struct bb ok = {0};
    gz_stored(&ok, b.p, b.n);
    static const struct {
        const char *what;
        size_t flip; /* from the end: a trailer byte; 0: none */
        const char *append;
        size_t append_len; /* 0: strlen(append) */
        size_t cut;        /* bytes removed from the end */
        int rc;
        const char *text;
    } cases[] = {
        {"CRC-32", 8, NULL, 0, 0, ERR_CORRUPT, "corrupt gzip data"},
        {"length", 2, NULL, 0, 0, ERR_CORRUPT, "corrupt gzip data"},
        {"garbage after a member", 0, "not gzip at all, 40 bytes of it......", 0, 0, ERR_CORRUPT,
         "corrupt gzip data"},
        {"a few bytes of garbage after a member", 0, "hello", 0, 0, ERR_CORRUPT,
         "corrupt gzip data"},
        /* an empty member whose header sets a reserved flag (0x20) */
        {"reserved header flag", 0,
         "\x1f\x8b\x08\x20\0\0\0\0\0\x03\x01\0\0\xff\xff\0\0\0\0\0\0\0\0", 23, 0, ERR_CORRUPT,
         "corrupt gzip data"},
        {"trailer cut", 0, NULL, 0, 3, ERR_TRUNCATED, "ends early"},
        {"data cut", 0, NULL, 0, 4000, ERR_TRUNCATED, "ends early"},
    };
    for (size_t x = 0; x < ne; x++) {
        use_engine(eng[x]);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            struct bb g = {0};
            bb_bytes(&g, ok.p, ok.n - cases[i].cut);
            if (cases[i].flip)
                g.p[g.n - cases[i].flip] ^= 0x40;
            if (cases[i].append)
                bb_bytes(&g, (const uint8_t *)cases[i].append,
                         cases[i].append_len ? cases[i].append_len : strlen(cases[i].append));
            write_bb("damaged.pcap.gz", &g, path);
            size_t got;
            msg[0] = '\0';
            int rc = drain(path, &got, msg);
            print_message("    %s, %s: %zu records, %d (%s)\n", eng[x], cases[i].what, got, rc,
                          msg);
            assert_int_equal(rc, cases[i].rc);
            assert_non_null(strstr(msg, cases[i].text));
            /* every record before the damage; the cut data loses its end */
            if (cases[i].cut < 1000)
                assert_int_equal(got, n);
            else
                assert_true(got > n / 2 && got < n);
            bb_free(&g);
        }
    }
    source_gzip_zlib(0);
    free(e);
    bb_free(&b);
    bb_free(&ok);
}

/*
 * A damaged deflate stream whose first bytes come out before the damage is
 * found (a stored block of 100 bytes that are no capture, then a block of
 * the reserved type): the decompressor's error is the message, on both
 * engines, not "not a capture file".  The same bytes undamaged are no
 * capture, and say so.
 */
static void test_gzip_damage_before_the_capture_header(void **state)
{
    (void)state;
    uint8_t junk[100];
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (uint8_t)(0x41 + i % 26);
    char path[256], msg[ERRMSG_MAX];
    const char *eng[2];
    size_t ne = gzip_engines(eng);
    for (size_t x = 0; x < ne; x++) {
        use_engine(eng[x]);
        struct bb g = {0};
        gz_head(&g, 0);
        bb_u8(&g, 0); /* BFINAL 0, BTYPE 00: stored */
        bb_e16(&g, 0, sizeof(junk));
        bb_e16(&g, 0, (uint16_t) ~sizeof(junk));
        bb_bytes(&g, junk, sizeof(junk));
        bb_u8(&g, 0x07); /* BFINAL 1, BTYPE 11: reserved */
        bb_bytes(&g, (const uint8_t *)"\0\0\0\0\0\0\0\0\0\0", 10);
        write_bb("early-damage.pcap.gz", &g, path);
        size_t got;
        msg[0] = '\0';
        int rc = drain(path, &got, msg);
        print_message("    %s: %d (%s)\n", eng[x], rc, msg);
        assert_int_equal(rc, ERR_CORRUPT);
        assert_non_null(strstr(msg, "corrupt gzip data"));
        bb_free(&g);
        gz_stored(&g, junk, sizeof(junk));
        write_bb("no-capture.pcap.gz", &g, path);
        rc = drain(path, &got, msg);
        assert_int_equal(rc, ERR_FORMAT);
        assert_non_null(strstr(msg, "not a capture file"));
        bb_free(&g);
    }
    source_gzip_zlib(0);
}

/* ---- several inputs --------------------------------------------------------- */

/* A nanosecond pcap whose records carry (file id, index) in their data. */
static void write_series_file(const char *name, unsigned id, const int64_t *ts, size_t n,
                              char *path)
{
    struct bb b = {0};
    pcap_hdr(&b, 0, 1, 2, 1);
    for (size_t i = 0; i < n; i++) {
        bb_le32(&b, (uint32_t)(ts[i] / 1000000000));
        bb_le32(&b, (uint32_t)(ts[i] % 1000000000));
        bb_le32(&b, 8);
        bb_le32(&b, 8);
        bb_le32(&b, id);
        bb_le32(&b, (uint32_t)i);
    }
    write_bb(name, &b, path);
    bb_free(&b);
}

struct cb_log {
    int calls;
    int midway[8];
    int rc[8];
    char path[8][256];
};

static void err_cb(void *ctx, const char *path, int rc, const char *msg, int midway)
{
    struct cb_log *l = ctx;
    (void)msg;
    if (l->calls < 8) {
        l->midway[l->calls] = midway;
        l->rc[l->calls] = rc;
        snprintf(l->path[l->calls], sizeof(l->path[0]), "%s", path);
    }
    l->calls++;
}

#define MAX_FILES 8
#define MAX_RECS 64

/*
 * Merge and check: timestamps never decrease, each (file, index) comes
 * exactly once, records of one file in file order, and ties go to the file
 * named first.  counts[i] is the number of records of the file with id i.
 */
static size_t merge_and_check(char **paths, size_t np, const unsigned *ids, const size_t *counts,
                              size_t nfiles, struct cb_log *log)
{
    static unsigned char seen[MAX_FILES][MAX_RECS];
    memset(seen, 0, sizeof(seen));
    memset(log, 0, sizeof(*log));
    struct inputs *in = inputs_new(paths, np, err_cb, log);
    struct pkt p;
    int64_t prev_ts = INT64_MIN;
    long prev_pos = -1;
    long next_idx[MAX_FILES] = {0};
    size_t total = 0;
    while (inputs_next(in, &p) == 1) {
        assert_int_equal(p.caplen, 8);
        uint32_t id = (uint32_t)p.data[0] | (uint32_t)p.data[1] << 8;
        uint32_t idx = (uint32_t)p.data[4] | (uint32_t)p.data[5] << 8;
        assert_true(id < nfiles && idx < counts[id]);
        assert_false(seen[id][idx]);
        seen[id][idx] = 1;
        assert_int_equal(idx, next_idx[id]);
        next_idx[id]++;
        /* Position of this file in the argument list, for the tie rule. */
        long pos = -1;
        for (size_t k = 0; k < np; k++)
            if (ids[k] == id)
                pos = (long)k;
        assert_true(p.ts_ns >= prev_ts);
        if (p.ts_ns == prev_ts)
            assert_true(pos >= prev_pos);
        prev_ts = p.ts_ns;
        prev_pos = pos;
        total++;
    }
    for (size_t f = 0; f < nfiles; f++)
        assert_int_equal(next_idx[f], counts[f]);
    assert_int_equal(inputs_ts_digits(in), 9);
    inputs_free(in);
    return total;
}

static void test_inputs_three_interleaved_files(void **state)
{
    (void)state;
    const int64_t s = 1000000000;
    const int64_t a[] = {0 * s, 10 * s, 20 * s, 30 * s};
    const int64_t b[] = {5 * s, 15 * s, 25 * s};
    const int64_t c[] = {100 * s, 110 * s};
    char pa[256], pb[256], pc[256];
    write_series_file("A.pcap", 0, a, 4, pa);
    write_series_file("B.pcap", 1, b, 3, pb);
    write_series_file("C.pcap", 2, c, 2, pc);
    char *paths[] = {pc, pa, pb};
    const unsigned ids[] = {2, 0, 1};
    const size_t counts[] = {4, 3, 2};
    struct cb_log log;
    assert_int_equal(merge_and_check(paths, 3, ids, counts, 3, &log), 9);
    assert_int_equal(log.calls, 0);
}

/* Six files (more than are kept open at once) overlapping in time, named
 * out of order, with a timestamp shared by two files. */
static void write_six(char paths[6][256], size_t counts[6])
{
    static const unsigned phase[6] = {3, 0, 5, 1, 4, 2};
    for (unsigned f = 0; f < 6; f++) {
        int64_t ts[MAX_RECS];
        size_t n = 10 + f;
        for (size_t j = 0; j < n; j++)
            ts[j] = ((int64_t)j * 6 + phase[f]) * 1000000000LL + 17;
        if (f == 4 || f == 1)
            ts[n - 1] = 500000000000LL; /* the same last time in two files */
        char name[32];
        snprintf(name, sizeof(name), "ring%u.pcap", f);
        write_series_file(name, f, ts, n, paths[f]);
        counts[f] = n;
    }
}

static void test_inputs_six_files_lazy_reopen(void **state)
{
    (void)state;
    char p[6][256];
    size_t counts[6];
    write_six(p, counts);
    /* Files 4 and 1 share a time; 4 is named first, so it wins the tie. */
    char *paths[] = {p[5], p[4], p[2], p[0], p[1], p[3]};
    const unsigned ids[] = {5, 4, 2, 0, 1, 3};
    size_t total = 0;
    for (int i = 0; i < 6; i++)
        total += counts[i];
    struct cb_log log;
    assert_int_equal(merge_and_check(paths, 6, ids, counts, 6, &log), total);
    assert_int_equal(log.calls, 0);
}

static void test_inputs_missing_and_truncated_files(void **state)
{
    (void)state;
    char p[6][256], missing[256], cut[256];
    size_t counts[7];
    write_six(p, counts);
    scratch_path(&sc, "missing.pcap", missing);

    /* File 6: two good records, then a cut one. */
    struct bb b = {0};
    pcap_hdr(&b, 0, 1, 2, 1);
    for (uint32_t i = 0; i < 3; i++) {
        bb_le32(&b, 7 + i);
        bb_le32(&b, 0);
        bb_le32(&b, 8);
        bb_le32(&b, 8);
        bb_le32(&b, 6);
        bb_le32(&b, i);
    }
    b.n -= 3;
    write_bb("cut.pcap", &b, cut);
    bb_free(&b);
    counts[6] = 2;

    char *paths[] = {p[0], missing, p[1], p[2], cut, p[3], p[4], p[5]};
    const unsigned ids[] = {0, 99, 1, 2, 6, 3, 4, 5};
    size_t total = 0;
    for (int i = 0; i < 7; i++)
        total += counts[i];
    struct cb_log log;
    assert_int_equal(merge_and_check(paths, 8, ids, counts, 7, &log), total);
    assert_int_equal(log.calls, 2);
    int saw_missing = 0, saw_cut = 0;
    for (int i = 0; i < 2; i++) {
        if (!strcmp(log.path[i], missing)) {
            saw_missing = 1;
            assert_int_equal(log.midway[i], 0);
            assert_int_equal(log.rc[i], ERR_IO);
        } else if (!strcmp(log.path[i], cut)) {
            saw_cut = 1;
            assert_int_equal(log.midway[i], 1);
            assert_int_equal(log.rc[i], ERR_TRUNCATED);
        }
    }
    assert_true(saw_missing && saw_cut);
}

/* ---- a regular file through read(2) (source.c: bytesrc_open) ---------- */

/* This process's resident set, KiB (VmRSS). */
static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld kB", &v) == 1)
            break;
    if (f)
        fclose(f);
    return v;
}

/*
 * A 96 MiB regular file read in steps off the buffer's size (as records
 * end): every byte comes back unchanged and in order, a request larger
 * than the buffer grows it, and the resident set stays within a few MiB
 * while the file goes by (no mapping that would grow with it).
 */
static void test_source_regular_file_bounded(void **state)
{
    (void)state;
    const size_t mib = (size_t)1 << 20, len = 96 * mib;
    struct bb b = {0};
    for (size_t i = 0; i < len / 8; i++)
        bb_e64(&b, 0, i * 0x9E3779B97F4A7C15ull);
    char path[256], msg[ERRMSG_MAX];
    write_bb("regular.bin", &b, path);
    bb_free(&b);

    long rss0 = rss_kib(), peak = 0;
    struct bytesrc *s;
    assert_int_equal(bytesrc_open(&s, path, msg), 0);
    assert_int_equal(bytesrc_kind(s), SRC_PLAIN);
    assert_int_equal(bytesrc_raw_size(s), len);
    uint64_t i = 0, bad = 0;
    size_t off = 0;
    for (unsigned k = 0; off < len; k++) {
        /* mostly 1 MiB and a bit, now and then 3 MiB (past the buffer) */
        size_t step = k % 7 == 3 ? 3 * mib + 8 : mib + 8 * 13;
        if (step > len - off)
            step = len - off;
        const uint8_t *p;
        size_t got = 0;
        assert_int_equal(bytesrc_need(s, step, &p, &got, msg), 1);
        for (size_t j = 0; j < step; j += 8, i++) {
            uint64_t v;
            memcpy(&v, p + j, 8);
            bad += v != i * 0x9E3779B97F4A7C15ull;
        }
        bytesrc_consume(s, step);
        off += step;
        assert_int_equal(bytesrc_pos(s), off);
        long r = rss_kib() - rss0;
        if (r > peak)
            peak = r;
    }
    assert_int_equal(bad, 0);
    assert_int_equal(i, len / 8);
    /* the end: nothing more, cleanly */
    const uint8_t *p;
    size_t got = 1;
    assert_int_equal(bytesrc_need(s, 1, &p, &got, msg), 0);
    assert_int_equal(got, 0);
    assert_int_equal(bytesrc_raw_pos(s), len);
    /* the buffer (grown to 3 MiB) and slack, not the 96 MiB */
    assert_true(peak <= 8 * 1024);
    bytesrc_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pcap_all_byte_orders_and_resolutions),
        cmocka_unit_test(test_pcap_linktype_fcs_bits_ignored),
        cmocka_unit_test(test_pcap_header_errors),
        cmocka_unit_test(test_pcap_truncated_last_record),
        cmocka_unit_test(test_pcap_absurd_caplen_is_corrupt),
        cmocka_unit_test(test_pcapng_interfaces_blocks_and_resolutions),
        cmocka_unit_test(test_pcapng_binary_resolution_and_offset),
        cmocka_unit_test(test_pcapng_two_sections_with_different_byte_order),
        cmocka_unit_test(test_pcapng_negative_timestamp),
        cmocka_unit_test(test_pcapng_timestamp_extremes),
        cmocka_unit_test(test_pcapng_ts_digits),
        cmocka_unit_test(test_pcap_tolerated_oddities_are_counted),
        cmocka_unit_test(test_pcapng_damaged_blocks),
        cmocka_unit_test(test_pcapng_version_checked_at_open),
        cmocka_unit_test(test_gzip_and_zstd_read_back),
        cmocka_unit_test(test_source_regular_file_bounded),
        cmocka_unit_test(test_corrupt_gzip_is_an_error),
        cmocka_unit_test(test_truncated_zstd_and_gzip_return_records_first),
        cmocka_unit_test(test_gzip_members_any_boundary_both_engines),
        cmocka_unit_test(test_gzip_damage_same_on_both_engines),
        cmocka_unit_test(test_gzip_damage_before_the_capture_header),
        cmocka_unit_test(test_inputs_three_interleaved_files),
        cmocka_unit_test(test_inputs_six_files_lazy_reopen),
        cmocka_unit_test(test_inputs_missing_and_truncated_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

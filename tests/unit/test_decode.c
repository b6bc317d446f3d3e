/*
 * test_decode.c - decode_frame() on hand-built frames.
 *
 * Every frame is assembled here field by field (no captured bytes), so each
 * test states exactly what is on the wire.  Frames are copied into an
 * exactly-sized heap buffer before decoding so that ASan reports any read
 * past the captured length.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "decode/decode.h"
#include "decode/decode_int.h"
#include "util.h"

/* ---- addresses and frame builders ------------------------------------ */

static const uint8_t A4[4] = {10, 0, 0, 1};
static const uint8_t B4[4] = {192, 168, 1, 2};
static const uint8_t A6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t B6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

enum {
    LT_NULL = 0,
    LT_EN10MB = 1,
    LT_PPP = 9,
    LT_FDDI = 10,
    LT_RAW12 = 12,
    LT_RAW14 = 14,
    LT_RAW = 101,
    LT_C_HDLC = 104,
    LT_80211 = 105,
    LT_LOOP = 108,
    LT_SLL = 113,
    LT_RADIOTAP = 127,
    LT_USER0 = 147,
    LT_IPNET = 226,
    LT_IPV4 = 228,
    LT_IPV6 = 229,
    LT_NFLOG = 239,
    LT_IPOIB = 242,
    LT_PKTAP = 258,
    LT_SLL2 = 276
};

static void eth(struct bb *b, unsigned type)
{
    static const uint8_t macs[12] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
                                     0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
    bb_bytes(b, macs, sizeof(macs));
    bb_be16(b, type);
}

/* One 802.1Q/802.1ad tag body: TCI, then the next ethertype. */
static void tag(struct bb *b, unsigned vid, unsigned next)
{
    bb_be16(b, vid & 0x0FFF);
    bb_be16(b, next);
}

/* Ethernet with n stacked 0x8100 tags in front of `inner`. */
static void eth_tags(struct bb *b, int n, unsigned inner)
{
    eth(b, n ? 0x8100 : inner);
    for (int i = 0; i < n; i++)
        tag(b, (unsigned)(100 + i), i == n - 1 ? inner : 0x8100);
}

/* MPLS label stack entry; bottom sets the S bit. */
static void mpls(struct bb *b, uint32_t label, int bottom)
{
    bb_be32(b, label << 12 | (bottom ? 0x100u : 0u) | 64u);
}

/*
 * IPv4 header with ihl 32-bit words (options filled with 0xEE so that a
 * decoder reading ports from the options would see 0xEEEE); the total
 * length is written by ip4_end().  Returns the header's offset.
 */
static size_t ip4_begin(struct bb *b, unsigned proto, unsigned ihl)
{
    size_t off = b->n;
    bb_u8(b, 0x40 | (ihl & 0x0F));
    bb_u8(b, 0);
    bb_be16(b, 0); /* total length, patched */
    bb_be16(b, 0x1234);
    bb_be16(b, 0x4000); /* DF */
    bb_u8(b, 64);
    bb_u8(b, proto);
    bb_be16(b, 0);
    bb_bytes(b, A4, 4);
    bb_bytes(b, B4, 4);
    if (ihl > 5)
        bb_fill(b, 0xEE, (ihl - 5) * 4);
    return off;
}

static void ip4_end(struct bb *b, size_t off)
{
    bb_set_be16(b, off + 2, (unsigned)(b->n - off));
}

static void tcp(struct bb *b, unsigned sp, unsigned dp, unsigned flags)
{
    bb_be16(b, sp);
    bb_be16(b, dp);
    bb_be32(b, 1000); /* seq */
    bb_be32(b, 0);    /* ack */
    bb_u8(b, 0x50);   /* data offset 5 */
    bb_u8(b, flags);
    bb_be16(b, 65535);
    bb_be16(b, 0);
    bb_be16(b, 0);
    bb_bytes(b, "data", 4);
}

static void udp(struct bb *b, unsigned sp, unsigned dp)
{
    bb_be16(b, sp);
    bb_be16(b, dp);
    bb_be16(b, 12);
    bb_be16(b, 0);
    bb_bytes(b, "data", 4);
}

static void icmp(struct bb *b, unsigned type, unsigned code)
{
    bb_u8(b, type);
    bb_u8(b, code);
    bb_be16(b, 0);
    bb_be32(b, 0x00010001);
}

static void ip4_tcp(struct bb *b, unsigned sp, unsigned dp, unsigned flags)
{
    size_t off = ip4_begin(b, 6, 5);
    tcp(b, sp, dp, flags);
    ip4_end(b, off);
}

static void ip4_udp(struct bb *b, unsigned sp, unsigned dp)
{
    size_t off = ip4_begin(b, 17, 5);
    udp(b, sp, dp);
    ip4_end(b, off);
}

static size_t ip6_begin(struct bb *b, unsigned nh)
{
    size_t off = b->n;
    bb_be32(b, 0x60000000);
    bb_be16(b, 0); /* payload length, patched */
    bb_u8(b, nh);
    bb_u8(b, 64);
    bb_bytes(b, A6, 16);
    bb_bytes(b, B6, 16);
    return off;
}

static void ip6_end(struct bb *b, size_t off)
{
    bb_set_be16(b, off + 4, (unsigned)(b->n - off - 40));
}

/* Generic extension header (HBH, DSTOPTS, ROUTING): (hl + 1) * 8 bytes. */
static void ip6_ext(struct bb *b, unsigned nh, unsigned hl)
{
    bb_u8(b, nh);
    bb_u8(b, hl);
    bb_fill(b, 0, (hl + 1) * 8 - 2);
}

static void ip6_frag(struct bb *b, unsigned nh, unsigned offset8, int more)
{
    bb_u8(b, nh);
    bb_u8(b, 0);
    bb_be16(b, offset8 << 3 | (more ? 1u : 0u));
    bb_be32(b, 0xCAFE);
}

static void ip6_udp(struct bb *b, unsigned sp, unsigned dp)
{
    size_t off = ip6_begin(b, 17);
    udp(b, sp, dp);
    ip6_end(b, off);
}

/* ---- decoding and checking -------------------------------------------- */

/*
 * Decode from an exactly-sized heap copy: one byte too far is an ASan
 * report.  The output is pre-filled with garbage to prove decode_frame()
 * resets every field.
 */
static enum dec_result dec_n(uint32_t lt, const uint8_t *p, size_t n, struct pkt_meta *m)
{
    static const uint8_t empty[1];
    uint8_t *copy = malloc(n);
    if (n)
        memcpy(copy, p, n);
    memset(m, 0xA5, sizeof(*m));
    enum dec_result r = decode_frame(lt, copy ? copy : empty, (uint32_t)n, m);
    free(copy);
    return r;
}

static enum dec_result dec(uint32_t lt, const struct bb *b, struct pkt_meta *m)
{
    return dec_n(lt, b->p, b->n, m);
}

/* The fields every DEC_OK result is judged on; addresses are A->B. */
static void expect_meta(const struct pkt_meta *m, int family, unsigned proto, int has_ports,
                        unsigned sp, unsigned dp, int is_frag, unsigned anomalies)
{
    static const uint8_t zero[16];
    assert_int_equal(m->family, family);
    if (family == 4) {
        assert_memory_equal(m->src, A4, 4);
        assert_memory_equal(m->dst, B4, 4);
        /* IPv4 keys are compared as 16 bytes: the rest must be zero. */
        assert_memory_equal(m->src + 4, zero, 12);
        assert_memory_equal(m->dst + 4, zero, 12);
    } else {
        assert_memory_equal(m->src, A6, 16);
        assert_memory_equal(m->dst, B6, 16);
    }
    assert_int_equal(m->proto, proto);
    assert_int_equal(m->has_ports, has_ports);
    if (has_ports) {
        assert_int_equal(m->sport, sp);
        assert_int_equal(m->dport, dp);
    } else {
        assert_int_equal(m->sport, 0);
        assert_int_equal(m->dport, 0);
    }
    assert_int_equal(m->is_frag, is_frag);
    assert_int_equal(m->anomalies, anomalies);
}

/* Decode and expect a plain A->B UDP 1111->53 IPv4 (or v6) packet. */
static void expect_udp_ok(uint32_t lt, const struct bb *b, int family)
{
    struct pkt_meta m;
    assert_int_equal(dec(lt, b, &m), DEC_OK);
    expect_meta(&m, family, 17, 1, 1111, 53, 0, 0);
}

/* ---- Ethernet and IP basics -------------------------------------------- */

static void test_eth_ipv4_tcp(void **state)
{
    (void)state;
    struct bb b = {0};
    struct pkt_meta m;
    eth(&b, 0x0800);
    ip4_tcp(&b, 49152, 443, 0x18);
    assert_int_equal(dec(LT_EN10MB, &b, &m), DEC_OK);
    expect_meta(&m, 4, 6, 1, 49152, 443, 0, 0);
    assert_int_equal(m.tcp_flags, 0x18);
    bb_free(&b);
}

static void test_eth_ipv4_udp(void **state)
{
    (void)state;
    struct bb b = {0};
    eth(&b, 0x0800);
    ip4_udp(&b, 1111, 53);
    expect_udp_ok(LT_EN10MB, &b, 4);
    bb_free(&b);
}

static void test_eth_ipv4_icmp_type_code(void **state)
{
    (void)state;
    struct bb b = {0};
    struct pkt_meta m;
    eth(&b, 0x0800);
    size_t off = ip4_begin(&b, 1, 5);
    icmp(&b, 3, 13); /* destination unreachable, administratively prohibited */
    ip4_end(&b, off);
    assert_int_equal(dec(LT_EN10MB, &b, &m), DEC_OK);
    expect_meta(&m, 4, 1, 0, 0, 0, 0, 0);
    assert_int_equal(m.icmp_type, 3);
    assert_int_equal(m.icmp_code, 13);
    bb_free(&b);
}

static void test_eth_ipv6_udp(void **state)
{
    (void)state;
    struct bb b = {0};
    eth(&b, 0x86DD);
    ip6_udp(&b, 1111, 53);
    expect_udp_ok(LT_EN10MB, &b, 6);
    bb_free(&b);
}

/* ---- stacked link headers ------------------------------------------------ */

static void test_vlan_single_double_triple(void **state)
{
    (void)state;
    for (int n = 1; n <= 3; n++) {
        struct bb b = {0};
        eth_tags(&b, n, 0x0800);
        ip4_udp(&b, 1111, 53);
        expect_udp_ok(LT_EN10MB, &b, 4);
        bb_free(&b);
    }
}

static void test_qinq_88a8_then_8100(void **state)
{
    (void)state;
    struct bb b = {0};
    eth(&b, 0x88A8);
    tag(&b, 10, 0x8100);
    tag(&b, 20, 0x0800);
    ip4_udp(&b, 1111, 53);
    expect_udp_ok(LT_EN10MB, &b, 4);
    bb_free(&b);
}

static void test_mpls_two_labels_ipv4(void **state)
{
    (void)state;
    struct bb b = {0};
    eth(&b, 0x8847);
    mpls(&b, 1000, 0);
    mpls(&b, 2000, 1);
    ip4_udp(&b, 1111, 53);
    expect_udp_ok(LT_EN10MB, &b, 4);
    bb_free(&b);
}

static void test_mpls_non_ip_payload_is_nonip(void **state)
{
    (void)state;
    struct bb b = {0};
    struct pkt_meta m;
    eth(&b, 0x8847);
    mpls(&b, 1000, 1);
    /* Pseudowire control word (first nibble 0), then an Ethernet frame. */
    bb_be32(&b, 0x00000000);
    eth(&b, 0x0800);
    ip4_udp(&b, 1111, 53);
    assert_int_equal(dec(LT_EN10MB, &b, &m), DEC_NONIP);
    bb_free(&b);
}

static void test_vlan_mpls_ipv6(void **state)
{
    (void)state;
    struct bb b = {0};
    eth(&b, 0x8100);
    tag(&b, 7, 0x8847);
    mpls(&b, 42, 1);
    ip6_udp(&b, 1111, 53);
    expect_udp_ok(LT_EN10MB, &b, 6);
    bb_free(&b);
}

/* PPPoE session frame carrying a PPP protocol and the given IP packet. */
static void pppoe_session(struct bb *b, unsigned ppp_proto, int v6)
{
    eth(b, 0x8864);
    bb_u8(b, 0x11); /* version 1, type 1 */
    bb_u8(b, 0x00); /* code: session data */
    bb_be16(b, 0x0042);
    size_t len_off = b->n;
    bb_be16(b, 0);
    bb_be16(b, ppp_proto);
    if (v6)
        ip6_udp(b, 1111, 53);
    else
        ip4_udp(b, 1111, 53);
    bb_set_be16(b, len_off, (unsigned)(b->n - len_off - 2));
}

static void test_pppoe_session_ipv4_and_ipv6(void **state)
{
    (void)state;
    struct bb b = {0};
    pppoe_session(&b, 0x0021, 0);
    expect_udp_ok(LT_EN10MB, &b, 4);
    bb_free(&b);
    pppoe_session(&b, 0x0057, 1);
    expect_udp_ok(LT_EN10MB, &b, 6);
    bb_free(&b);
}

static void test_pppoe_discovery_is_nonip(void **state)
{
    (void)state;
    struct bb b = {0};
    struct pkt_meta m;
    eth(&b, 0x8863);
    bb_u8(&b, 0x11);
    bb_u8(&b, 0x09); /* PADI */
    bb_be16(&b, 0);
    bb_be16(&b, 4);
    bb_be32(&b, 0x01010000); /* Service-Name tag, empty */
    assert_int_equal(dec(LT_EN10MB, &b, &m), DEC_NONIP);
    bb_free(&b);
}

static void test_8023_llc_snap_ipv4(void **state)
{
    (void)state;
    struct bb b = {0};
    eth(&b, 0); /* length, patched */
    static const uint8_t snap[8] = {0xAA, 0xAA, 0x03, 0, 0, 0, 0x08, 0x00};
    bb_bytes(&b, snap, sizeof(snap));
    ip4_udp(&b, 1111, 53);
    bb_set_be16(&b, 12, (unsigned)(b.n - 14));
    expect_udp_ok(LT_EN10MB, &b, 4);
    bb_free(&b);
}

static void test_8023_llc_without_snap_is_nonip(void **state)
{
    (void)state;
    struct bb b = {0};
    struct pkt_meta m;
    eth(&b, 38);
    bb_u8(&b, 0x42); /* STP */
    bb_u8(&b, 0x42);
    bb_u8(&b, 0x03);
    bb_fill(&b, 0, 35);
    assert_int_equal(dec(LT_EN10MB, &b, &m), DEC_NONIP);
    bb_free(&b);
}

static void test_arp_is_nonip(void **state)
{
    (void)state;
    struct bb b = {0};
    struct pkt_meta m;
    eth(&b, 0x0806);
    bb_be16(&b, 1);
    bb_be16(&b, 0x0800);
    bb_u8(&b, 6);
    bb_u8(&b, 4);
    bb_be16(&b, 1);
    bb_fill(&b, 0x11, 20);
    assert_int_equal(dec(LT_EN10MB, &b, &m), DEC_NONIP);
    bb_free(&b);
}

static void test_pbb_fabricpath_vntag(void **state)
{
    (void)state;
    struct bb b = {0};
    /* 802.1ah: I-TAG (4), customer DA+SA (12), customer ethertype. */
    eth(&b, 0x88E7);
    bb_be32(&b, 0x00012345);
    bb_fill(&b, 0x33, 12);
    bb_be16(&b, 0x0800);
    ip4_udp(&b, 1111, 53);
    expect_udp_ok(LT_EN10MB, &b, 4);
    bb_free(&b);

    /* FabricPath: FTag/TTL (2), original DA+SA (12), original ethertype. */
    eth(&b, 0x8903);
    bb_be16(&b, 0x0021);
    bb_fill(&b, 0x44, 12);
    bb_be16(&b, 0x86DD);
    ip6_udp(&b, 1111, 53);
    expect_udp_ok(LT_EN10MB, &b, 6);
    bb_free(&b);

    /* VN-Tag: 4 bytes of tag, then the ethertype (here a VLAN on top). */
    eth(&b, 0x8926);
    bb_be32(&b, 0x80010002);
    bb_be16(&b, 0x8100);
    tag(&b, 5, 0x0800);
    ip4_udp(&b, 1111, 53);
    expect_udp_ok(LT_EN10MB, &b, 4);
    bb_free(&b);
}

/* The layer bound: deep enough stacks still decode, deeper ones are refused. */
static void test_vlan_stack_limit(void **state)
{
    (void)state;
    struct pkt_meta m;
    struct bb b = {0};
    eth_tags(&b, DEC_MAX_LINK_LAYERS - 1, 0x0800);
    ip4_udp(&b, 1111, 53);
    expect_udp_ok(LT_EN10MB, &b, 4);
    bb_free(&b);

    eth_tags(&b, DEC_MAX_LINK_LAYERS + 1, 0x0800);
    ip4_udp(&b, 1111, 53);
    assert_int_equal(dec(LT_EN10MB, &b, &m), DEC_BADHDR);
    bb_free(&b);

    /* Hundreds of tags: the loop is bounded, never a crash. */
    eth_tags(&b, 300, 0x0800);
    ip4_udp(&b, 1111, 53);
    assert_int_equal(dec(LT_EN10MB, &b, &m), DEC_BADHDR);
    bb_free(&b);

    /* Hundreds of MPLS labels without the bottom-of-stack bit. */
    eth(&b, 0x8847);
    for (int i = 0; i < 300; i++)
        mpls(&b, (uint32_t)i, 0);
    assert_int_equal(dec(LT_EN10MB, &b, &m), DEC_BADHDR);
    bb_free(&b);
}

/*
 * decode_int.h documents DEC_MAX_LINK_LAYERS as the number of VLAN tags +
 * MPLS labels + PPPoE headers allowed in total, so a stack of exactly that
 * many tags is within the bound and must decode.
 */
static void test_vlan_stack_exactly_at_limit_decodes(void **state)
{
    (void)state;
    struct bb b = {0};
    eth_tags(&b, DEC_MAX_LINK_LAYERS, 0x0800);
    ip4_udp(&b, 1111, 53);
    expect_udp_ok(LT_EN10MB, &b, 4);
    bb_free(&b);
}

/* ---- other link types ------------------------------------------------------ */

static void test_linux_sll_and_sll2(void **state)
{
    (void)state;
    struct bb b = {0};
    bb_be16(&b, 0);       /* packet type: to us */
    bb_be16(&b, 1);       /* ARPHRD_ETHER */
    bb_be16(&b, 6);       /* address length */
    bb_fill(&b, 0x5A, 8); /* address, padded to 8 */
    bb_be16(&b, 0x0800);
    ip4_udp(&b, 1111, 53);
    expect_udp_ok(LT_SLL, &b, 4);
    bb_free(&b);

    bb_be16(&b, 0x86DD); /* protocol first in SLL2 */
    bb_be16(&b, 0);      /* reserved */
    bb_be32(&b, 3);      /* interface index */
    bb_be16(&b, 1);      /* ARPHRD_ETHER */
    bb_u8(&b, 4);        /* outgoing */
    bb_u8(&b, 6);
    bb_fill(&b, 0x5A, 8);
    ip6_udp(&b, 1111, 53);
    expect_udp_ok(LT_SLL2, &b, 6);
    bb_free(&b);
}

static void test_null_both_byte_orders_and_families(void **state)
{
    (void)state;
    struct bb b = {0};
    /* AF_INET = 2 written by a little- and by a big-endian host. */
    for (int be = 0; be <= 1; be++) {
        bb_e32(&b, be, 2);
        ip4_udp(&b, 1111, 53);
        expect_udp_ok(LT_NULL, &b, 4);
        bb_free(&b);
    }
    /* AF_INET6 of Darwin, NetBSD/OpenBSD, FreeBSD, Linux. */
    static const uint32_t v6fam[] = {30, 24, 28, 10};
    for (size_t i = 0; i < sizeof(v6fam) / sizeof(v6fam[0]); i++)
        for (int be = 0; be <= 1; be++) {
            bb_e32(&b, be, v6fam[i]);
            ip6_udp(&b, 1111, 53);
            expect_udp_ok(LT_NULL, &b, 6);
            bb_free(&b);
        }
    /* An unknown family (AF_APPLETALK 16) is not IP. */
    struct pkt_meta m;
    bb_le32(&b, 16);
    ip4_udp(&b, 1111, 53);
    assert_int_equal(dec(LT_NULL, &b, &m), DEC_NONIP);
    bb_free(&b);
}

static void test_loop_is_big_endian(void **state)
{
    (void)state;
    struct bb b = {0};
    bb_be32(&b, 2);
    ip4_udp(&b, 1111, 53);
    expect_udp_ok(LT_LOOP, &b, 4);
    bb_free(&b);
    bb_be32(&b, 24);
    ip6_udp(&b, 1111, 53);
    expect_udp_ok(LT_LOOP, &b, 6);
    bb_free(&b);
}

static void test_raw_ip_link_types(void **state)
{
    (void)state;
    static const uint32_t raw[] = {LT_RAW, LT_RAW12, LT_RAW14};
    struct bb b4 = {0}, b6 = {0};
    ip4_udp(&b4, 1111, 53);
    ip6_udp(&b6, 1111, 53);
    for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
        expect_udp_ok(raw[i], &b4, 4);
        expect_udp_ok(raw[i], &b6, 6);
    }
    expect_udp_ok(LT_IPV4, &b4, 4);
    expect_udp_ok(LT_IPV6, &b6, 6);
    bb_free(&b4);
    bb_free(&b6);
}

static void test_ppp_variants(void **state)
{
    (void)state;
    struct bb b = {0};
    struct pkt_meta m;
    /* Full address/control, 2-byte protocol. */
    bb_u8(&b, 0xFF);
    bb_u8(&b, 0x03);
    bb_be16(&b, 0x0021);
    ip4_udp(&b, 1111, 53);
    expect_udp_ok(LT_PPP, &b, 4);
    bb_free(&b);
    /* Address/control field compression. */
    bb_be16(&b, 0x0021);
    ip4_udp(&b, 1111, 53);
    expect_udp_ok(LT_PPP, &b, 4);
    bb_free(&b);
    /* Protocol field compression: one odd byte. */
    bb_u8(&b, 0x21);
    ip4_udp(&b, 1111, 53);
    expect_udp_ok(LT_PPP, &b, 4);
    bb_free(&b);
    /* IPv6 over PPP. */
    bb_u8(&b, 0xFF);
    bb_u8(&b, 0x03);
    bb_be16(&b, 0x0057);
    ip6_udp(&b, 1111, 53);
    expect_udp_ok(LT_PPP, &b, 6);
    bb_free(&b);
    /* LCP is not IP. */
    bb_u8(&b, 0xFF);
    bb_u8(&b, 0x03);
    bb_be16(&b, 0xC021);
    bb_fill(&b, 0x01, 8);
    assert_int_equal(dec(LT_PPP, &b, &m), DEC_NONIP);
    bb_free(&b);
}

static void test_cisco_hdlc(void **state)
{
    (void)state;
    struct bb b = {0};
    bb_u8(&b, 0x0F); /* unicast */
    bb_u8(&b, 0x00);
    bb_be16(&b, 0x0800);
    ip4_udp(&b, 1111, 53);
    expect_udp_ok(LT_C_HDLC, &b, 4);
    bb_free(&b);
    bb_u8(&b, 0x8F); /* multicast */
    bb_u8(&b, 0x00);
    bb_be16(&b, 0x86DD);
    ip6_udp(&b, 1111, 53);
    expect_udp_ok(LT_C_HDLC, &b, 6);
    bb_free(&b);
}

/* NFLOG TLV: little-endian length (header included) and type, padded to 4. */
static void nflog_tlv(struct bb *b, unsigned type, const void *val, size_t n)
{
    bb_le16(b, (unsigned)(n + 4));
    bb_le16(b, type);
    bb_bytes(b, val, n);
    bb_fill(b, 0, (4 - (n & 3)) & 3);
}

/* NFLOG's header: AF_INET, version 0, resource id 7. */
static void nflog_head(struct bb *b)
{
    bb_u8(b, 2);
    bb_u8(b, 0);
    bb_be16(b, 7);
}

/* The same written by a big-endian host (a big-endian file). */
static void nflog_tlv_be(struct bb *b, unsigned type, const void *val, size_t n)
{
    bb_be16(b, (unsigned)(n + 4));
    bb_be16(b, type);
    bb_bytes(b, val, n);
    bb_fill(b, 0, (4 - (n & 3)) & 3);
}

/* A big-endian writer's TLVs, and a payload TLV cut by the snapshot
 * length: both had been "truncated", nothing decoded. */
static void test_nflog_big_endian_and_cut(void **state)
{
    (void)state;
    struct bb b = {0}, ip = {0};
    ip4_udp(&ip, 1111, 53);
    nflog_head(&b);
    static const uint8_t hdr[4] = {0x08, 0x00, 0x03, 0x00};
    nflog_tlv_be(&b, 1, hdr, sizeof(hdr));
    nflog_tlv_be(&b, 10, "pfx01", 5);
    nflog_tlv_be(&b, 9, ip.p, ip.n);
    expect_udp_ok(LT_NFLOG, &b, 4);
    bb_free(&b);

    /* little endian, the payload TLV declaring 1000 bytes more than captured */
    nflog_head(&b);
    nflog_tlv(&b, 1, hdr, sizeof(hdr));
    bb_le16(&b, (unsigned)(ip.n + 1004));
    bb_le16(&b, 9);
    bb_bytes(&b, ip.p, ip.n);
    expect_udp_ok(LT_NFLOG, &b, 4);
    /* a TLV before the payload cut short is still truncated */
    b.n = 4 + 6;
    struct pkt_meta m;
    assert_int_equal(dec(LT_NFLOG, &b, &m), DEC_TRUNCATED);
    bb_free(&b);
    bb_free(&ip);
}

static void test_nflog_payload_tlv(void **state)
{
    (void)state;
    struct bb b = {0}, ip = {0};
    ip4_udp(&ip, 1111, 53);
    bb_u8(&b, 2); /* AF_INET */
    bb_u8(&b, 0);
    bb_be16(&b, 7);
    static const uint8_t hdr[4] = {0x08, 0x00, 0x03, 0x00};
    nflog_tlv(&b, 1, hdr, sizeof(hdr)); /* NFULA_PACKET_HDR */
    nflog_tlv(&b, 10, "pfx01", 5);      /* NFULA_PREFIX: 5 bytes, 3 of padding */
    nflog_tlv(&b, 9, ip.p, ip.n);       /* NFULA_PAYLOAD */
    expect_udp_ok(LT_NFLOG, &b, 4);
    bb_free(&b);
    bb_free(&ip);
}

/* 802.11 data header: frame control, duration, 3 addresses, sequence. */
static void wlan_hdr(struct bb *b, unsigned fc0, unsigned fc1, int qos)
{
    bb_u8(b, fc0);
    bb_u8(b, fc1);
    bb_be16(b, 0);
    bb_fill(b, 0x77, 18);
    bb_be16(b, 0x1230);
    if (qos)
        bb_be16(b, 0x0000);
}

static void snap(struct bb *b, unsigned type)
{
    static const uint8_t h[6] = {0xAA, 0xAA, 0x03, 0, 0, 0};
    bb_bytes(b, h, sizeof(h));
    bb_be16(b, type);
}

static void test_80211_data_and_radiotap_qos(void **state)
{
    (void)state;
    struct bb b = {0};
    struct pkt_meta m;
    /* Data frame (type 2 subtype 0), to-DS. */
    wlan_hdr(&b, 0x08, 0x01, 0);
    snap(&b, 0x0800);
    ip4_udp(&b, 1111, 53);
    expect_udp_ok(LT_80211, &b, 4);
    bb_free(&b);

    /* Radiotap (12 bytes: version, pad, length, one present word, 4 bytes
     * of fields) + QoS data (subtype 8, 2 more header bytes), from-DS. */
    bb_u8(&b, 0);
    bb_u8(&b, 0);
    bb_le16(&b, 12);
    bb_le32(&b, 0x0000000E);
    bb_be32(&b, 0x10026C09);
    wlan_hdr(&b, 0x88, 0x02, 1);
    snap(&b, 0x86DD);
    ip6_udp(&b, 1111, 53);
    expect_udp_ok(LT_RADIOTAP, &b, 6);
    bb_free(&b);

    /* Protected frame: the payload is encrypted, no IP header visible. */
    wlan_hdr(&b, 0x08, 0x41, 0);
    snap(&b, 0x0800);
    ip4_udp(&b, 1111, 53);
    assert_int_equal(dec(LT_80211, &b, &m), DEC_NONIP);
    bb_free(&b);
}

static void test_ipnet_ipoib_pktap(void **state)
{
    (void)state;
    struct bb b = {0};
    /* IPNET: version, family, htype, pktlen, ifindex, grifindex, zones. */
    bb_u8(&b, 2);
    bb_u8(&b, 2);
    bb_be16(&b, 0);
    bb_be32(&b, 32);
    bb_be32(&b, 1);
    bb_be32(&b, 0);
    bb_be32(&b, 0);
    bb_be32(&b, 0);
    ip4_udp(&b, 1111, 53);
    expect_udp_ok(LT_IPNET, &b, 4);
    bb_free(&b);
    bb_u8(&b, 2);
    bb_u8(&b, 26); /* Solaris AF_INET6 */
    bb_fill(&b, 0, 22);
    ip6_udp(&b, 1111, 53);
    expect_udp_ok(LT_IPNET, &b, 6);
    bb_free(&b);

    /* IPoIB: 40 bytes of link addresses, ethertype, 2 reserved bytes. */
    bb_fill(&b, 0xEB, 40);
    bb_be16(&b, 0x0800);
    bb_be16(&b, 0);
    ip4_udp(&b, 1111, 53);
    expect_udp_ok(LT_IPOIB, &b, 4);
    bb_free(&b);

    /* PKTAP: little-endian header of pth_length bytes naming DLT_EN10MB. */
    bb_le32(&b, 108); /* pth_length */
    bb_le32(&b, 1);   /* PTH_TYPE_PACKET */
    bb_le32(&b, 1);   /* pth_dlt */
    bb_fill(&b, 0, 96);
    eth(&b, 0x0800);
    ip4_udp(&b, 1111, 53);
    expect_udp_ok(LT_PKTAP, &b, 4);
    bb_free(&b);
}

static void test_unknown_linktype(void **state)
{
    (void)state;
    struct bb b = {0};
    struct pkt_meta m;
    ip4_udp(&b, 1111, 53);
    assert_int_equal(dec(LT_USER0, &b, &m), DEC_LINKTYPE);
    assert_false(decode_linktype_supported(LT_USER0));
    assert_true(decode_linktype_supported(LT_EN10MB));
    bb_free(&b);
}

/* ---- IPv4 header checks ------------------------------------------------ */

static void test_ipv4_shorter_than_20_is_truncated(void **state)
{
    (void)state;
    struct bb b = {0};
    struct pkt_meta m;
    ip4_udp(&b, 1111, 53);
    assert_int_equal(dec_n(LT_RAW, b.p, 19, &m), DEC_TRUNCATED);
    /* The same inside Ethernet. */
    struct bb e = {0};
    eth(&e, 0x0800);
    bb_bytes(&e, b.p, 19);
    assert_int_equal(dec(LT_EN10MB, &e, &m), DEC_TRUNCATED);
    bb_free(&b);
    bb_free(&e);
}

static void test_ipv4_version_nibble(void **state)
{
    (void)state;
    struct bb b = {0};
    struct pkt_meta m;
    /* Version 5 under ethertype 0x0800: impossible header. */
    eth(&b, 0x0800);
    size_t off = b.n;
    ip4_udp(&b, 1111, 53);
    b.p[off] = 0x55;
    assert_int_equal(dec(LT_EN10MB, &b, &m), DEC_BADHDR);
    bb_free(&b);

    /* Version 6 under 0x0800: the nibble decides, it decodes as IPv6. */
    eth(&b, 0x0800);
    ip6_udp(&b, 1111, 53);
    expect_udp_ok(LT_EN10MB, &b, 6);
    bb_free(&b);

    /* And version 4 under 0x86DD as IPv4. */
    eth(&b, 0x86DD);
    ip4_udp(&b, 1111, 53);
    expect_udp_ok(LT_EN10MB, &b, 4);
    bb_free(&b);
}

static void test_ipv4_bad_ihl_and_total_length(void **state)
{
    (void)state;
    struct bb b = {0};
    struct pkt_meta m;
    ip4_udp(&b, 1111, 53);
    b.p[0] = 0x44; /* IHL 4 = 16 bytes < 20 */
    assert_int_equal(dec(LT_RAW, &b, &m), DEC_BADHDR);
    bb_free(&b);

    ip4_udp(&b, 1111, 53);
    bb_set_be16(&b, 2, 19); /* total length below the header length */
    assert_int_equal(dec(LT_RAW, &b, &m), DEC_BADHDR);
    bb_free(&b);

    size_t off = ip4_begin(&b, 17, 6);
    udp(&b, 1111, 53);
    ip4_end(&b, off);
    bb_set_be16(&b, 2, 20); /* 20 < IHL*4 = 24 */
    assert_int_equal(dec(LT_RAW, &b, &m), DEC_BADHDR);
    bb_free(&b);
}

static void test_ipv4_total_length_zero_is_tso(void **state)
{
    (void)state;
    struct bb b = {0};
    struct pkt_meta m;
    ip4_tcp(&b, 40000, 22, 0x10);
    bb_set_be16(&b, 2, 0);
    assert_int_equal(dec(LT_RAW, &b, &m), DEC_OK);
    expect_meta(&m, 4, 6, 1, 40000, 22, 0, 0);
    bb_free(&b);
}

static void test_ipv4_options_cut_by_snaplen(void **state)
{
    (void)state;
    struct bb b = {0};
    struct pkt_meta m;
    size_t off = ip4_begin(&b, 17, 15); /* 60-byte header */
    udp(&b, 1111, 53);
    ip4_end(&b, off);
    /* Only 40 bytes captured: addresses valid, options and ports cut. */
    assert_int_equal(dec_n(LT_RAW, b.p, 40, &m), DEC_OK);
    expect_meta(&m, 4, 17, 0, 0, 0, 0, ANOM_L4_TRUNCATED);
    bb_free(&b);
}

static void test_ipv4_fragments(void **state)
{
    (void)state;
    struct bb b = {0};
    struct pkt_meta m;
    /* A later fragment (offset 185*8): no transport header in it. */
    ip4_udp(&b, 1111, 53);
    bb_set_be16(&b, 6, 0x00B9);
    assert_int_equal(dec(LT_RAW, &b, &m), DEC_OK);
    expect_meta(&m, 4, 17, 0, 0, 0, 1, 0);
    bb_free(&b);

    /* The first fragment (MF, offset 0) carries the ports. */
    ip4_udp(&b, 1111, 53);
    bb_set_be16(&b, 6, 0x2000);
    assert_int_equal(dec(LT_RAW, &b, &m), DEC_OK);
    expect_meta(&m, 4, 17, 1, 1111, 53, 1, 0);
    bb_free(&b);

    /* The last fragment (no MF, offset != 0) is a fragment too. */
    ip4_udp(&b, 1111, 53);
    bb_set_be16(&b, 6, 0x0010);
    assert_int_equal(dec(LT_RAW, &b, &m), DEC_OK);
    expect_meta(&m, 4, 17, 0, 0, 0, 1, 0);
    bb_free(&b);
}

static void test_ipv4_options_skipped_before_ports(void **state)
{
    (void)state;
    struct bb b = {0};
    struct pkt_meta m;
    size_t off = ip4_begin(&b, 6, 7); /* 8 bytes of 0xEE options */
    tcp(&b, 5000, 6000, 0x02);
    ip4_end(&b, off);
    assert_int_equal(dec(LT_RAW, &b, &m), DEC_OK);
    expect_meta(&m, 4, 6, 1, 5000, 6000, 0, 0);
    assert_int_equal(m.tcp_flags, 0x02);
    bb_free(&b);
}

static void test_ipv4_tcp_cut_after_two_bytes(void **state)
{
    (void)state;
    struct bb b = {0};
    struct pkt_meta m;
    ip4_tcp(&b, 5000, 6000, 0x02);
    assert_int_equal(dec_n(LT_RAW, b.p, 22, &m), DEC_OK);
    expect_meta(&m, 4, 6, 0, 0, 0, 0, ANOM_L4_TRUNCATED);
    /* With all four port bytes but no flags byte: ports, no anomaly. */
    assert_int_equal(dec_n(LT_RAW, b.p, 24, &m), DEC_OK);
    expect_meta(&m, 4, 6, 1, 5000, 6000, 0, 0);
    assert_int_equal(m.tcp_flags, 0);
    bb_free(&b);
}

static void test_ipv4_ethernet_padding_not_read_as_transport(void **state)
{
    (void)state;
    struct bb b = {0};
    struct pkt_meta m;
    /* A bare 20-byte IPv4 header claiming UDP, then 26 bytes of Ethernet
     * padding that would look like ports 0x1111 -> 0x1111. */
    eth(&b, 0x0800);
    size_t off = ip4_begin(&b, 17, 5);
    ip4_end(&b, off);
    bb_fill(&b, 0x11, 26);
    assert_int_equal(dec(LT_EN10MB, &b, &m), DEC_OK);
    expect_meta(&m, 4, 17, 0, 0, 0, 0, ANOM_L4_TRUNCATED);
    bb_free(&b);
}

/* ---- IPv6 extension headers ---------------------------------------------- */

static void test_ipv6_ext_chain_to_tcp(void **state)
{
    (void)state;
    struct bb b = {0};
    struct pkt_meta m;
    size_t off = ip6_begin(&b, 0); /* HBH */
    ip6_ext(&b, 60, 0);            /* HBH -> DSTOPTS */
    ip6_ext(&b, 43, 1);            /* DSTOPTS (16 bytes) -> ROUTING */
    ip6_ext(&b, 6, 0);             /* ROUTING -> TCP */
    tcp(&b, 8080, 80, 0x11);
    ip6_end(&b, off);
    assert_int_equal(dec(LT_RAW, &b, &m), DEC_OK);
    expect_meta(&m, 6, 6, 1, 8080, 80, 0, 0);
    assert_int_equal(m.tcp_flags, 0x11);
    bb_free(&b);
}

static void test_ipv6_fragment_header(void **state)
{
    (void)state;
    struct bb b = {0};
    struct pkt_meta m;
    size_t off = ip6_begin(&b, 44);
    ip6_frag(&b, 17, 0, 1); /* first fragment */
    udp(&b, 1111, 53);
    ip6_end(&b, off);
    assert_int_equal(dec(LT_RAW, &b, &m), DEC_OK);
    expect_meta(&m, 6, 17, 1, 1111, 53, 1, 0);
    bb_free(&b);

    off = ip6_begin(&b, 44);
    ip6_frag(&b, 17, 100, 0); /* a later fragment: its data is not UDP */
    udp(&b, 1111, 53);
    ip6_end(&b, off);
    assert_int_equal(dec(LT_RAW, &b, &m), DEC_OK);
    expect_meta(&m, 6, 17, 0, 0, 0, 1, 0);
    bb_free(&b);
}

static void test_ipv6_esp_has_no_ports(void **state)
{
    (void)state;
    struct bb b = {0};
    struct pkt_meta m;
    size_t off = ip6_begin(&b, 50);
    bb_be32(&b, 0x00001111); /* SPI that would look like ports */
    bb_be32(&b, 1);
    bb_fill(&b, 0x99, 16);
    ip6_end(&b, off);
    assert_int_equal(dec(LT_RAW, &b, &m), DEC_OK);
    expect_meta(&m, 6, 50, 0, 0, 0, 0, 0);
    bb_free(&b);
}

static void test_ipv6_ext_chain_limit(void **state)
{
    (void)state;
    struct bb b = {0};
    struct pkt_meta m;
    /* 17 hop-by-hop headers: longer than the walk. */
    size_t off = ip6_begin(&b, 0);
    for (int i = 0; i < DEC_MAX_IPV6_EXT + 1; i++)
        ip6_ext(&b, i == DEC_MAX_IPV6_EXT ? 17 : 0, 0);
    udp(&b, 1111, 53);
    ip6_end(&b, off);
    assert_int_equal(dec(LT_RAW, &b, &m), DEC_OK);
    assert_int_equal(m.family, 6);
    assert_int_equal(m.has_ports, 0);
    assert_true(m.anomalies & ANOM_EXT_LIMIT);
    bb_free(&b);

    /* One header fewer than the limit still reaches the ports. */
    off = ip6_begin(&b, 0);
    for (int i = 0; i < DEC_MAX_IPV6_EXT - 1; i++)
        ip6_ext(&b, i == DEC_MAX_IPV6_EXT - 2 ? 17 : 0, 0);
    udp(&b, 1111, 53);
    ip6_end(&b, off);
    expect_udp_ok(LT_RAW, &b, 6);
    bb_free(&b);
}

/*
 * A chain of exactly DEC_MAX_IPV6_EXT headers is fully walked (16 steps), so
 * the transport header after it is reachable and the chain is not "longer
 * than we walk" (ANOM_EXT_LIMIT's meaning).
 */
static void test_ipv6_ext_chain_exactly_at_limit_reaches_ports(void **state)
{
    (void)state;
    struct bb b = {0};
    size_t off = ip6_begin(&b, 0);
    for (int i = 0; i < DEC_MAX_IPV6_EXT; i++)
        ip6_ext(&b, i == DEC_MAX_IPV6_EXT - 1 ? 17 : 0, 0);
    udp(&b, 1111, 53);
    ip6_end(&b, off);
    expect_udp_ok(LT_RAW, &b, 6);
    bb_free(&b);
}

static void test_ipv6_ext_truncated(void **state)
{
    (void)state;
    struct bb b = {0};
    struct pkt_meta m;
    size_t off = ip6_begin(&b, 60);
    ip6_ext(&b, 17, 3); /* 32 bytes of destination options */
    udp(&b, 1111, 53);
    ip6_end(&b, off);
    /* Capture ends 16 bytes into the 32-byte extension header. */
    assert_int_equal(dec_n(LT_RAW, b.p, 40 + 16, &m), DEC_OK);
    expect_meta(&m, 6, 60, 0, 0, 0, 0, ANOM_EXT_TRUNCATED);
    /* Capture ends right after the fixed header: next/length not there. */
    assert_int_equal(dec_n(LT_RAW, b.p, 40, &m), DEC_OK);
    expect_meta(&m, 6, 60, 0, 0, 0, 0, ANOM_EXT_TRUNCATED);
    bb_free(&b);
}

static void test_ipv6_header_39_bytes_truncated(void **state)
{
    (void)state;
    struct bb b = {0};
    struct pkt_meta m;
    ip6_udp(&b, 1111, 53);
    assert_int_equal(dec_n(LT_RAW, b.p, 39, &m), DEC_TRUNCATED);
    assert_int_equal(dec_n(LT_IPV6, b.p, 39, &m), DEC_TRUNCATED);
    bb_free(&b);
}

/* ---- robustness -------------------------------------------------------- */

static const uint32_t fuzz_lts[] = {0,   1,   9,   10,  12,  101, 104, 105, 108,
                                    113, 127, 226, 228, 229, 239, 242, 258, 276};
#define N_FUZZ_LTS (sizeof(fuzz_lts) / sizeof(fuzz_lts[0]))

static void fuzz_one(const uint8_t *p, size_t n)
{
    struct pkt_meta m;
    for (size_t i = 0; i < N_FUZZ_LTS; i++) {
        enum dec_result r = dec_n(fuzz_lts[i], p, n, &m);
        assert_in_range(r, 0, DEC__COUNT - 1);
        if (r == DEC_OK)
            assert_true(m.family == 4 || m.family == 6);
    }
}

/* A corpus of valid frames of several link types. */
static size_t build_corpus(struct bb *c, size_t max)
{
    size_t k = 0;
    struct bb *b;
    b = &c[k++];
    eth(b, 0x0800);
    ip4_tcp(b, 1, 2, 0x02);
    b = &c[k++];
    eth(b, 0x88A8);
    tag(b, 1, 0x8100);
    tag(b, 2, 0x8847);
    mpls(b, 1, 0);
    mpls(b, 2, 1);
    ip6_udp(b, 3, 4);
    b = &c[k++];
    pppoe_session(b, 0x0021, 0);
    b = &c[k++];
    bb_le32(b, 30);
    {
        size_t off = ip6_begin(b, 0);
        ip6_ext(b, 44, 0);
        ip6_frag(b, 6, 0, 1);
        tcp(b, 7, 8, 0x10);
        ip6_end(b, off);
    }
    b = &c[k++];
    wlan_hdr(b, 0x88, 0x02, 1);
    snap(b, 0x0800);
    ip4_udp(b, 9, 10);
    b = &c[k++];
    bb_le32(b, 108);
    bb_le32(b, 1);
    bb_le32(b, 1);
    bb_fill(b, 0, 96);
    eth(b, 0x8100);
    tag(b, 3, 0x86DD);
    ip6_udp(b, 11, 12);
    b = &c[k++];
    bb_u8(b, 2);
    bb_u8(b, 0);
    bb_be16(b, 0);
    {
        struct bb ip = {0};
        ip4_udp(&ip, 13, 14);
        nflog_tlv(b, 9, ip.p, ip.n);
        bb_free(&ip);
    }
    b = &c[k++];
    {
        size_t off = ip4_begin(b, 17, 9);
        udp(b, 15, 16);
        ip4_end(b, off);
    }
    assert_true(k <= max);
    return k;
}

static void test_fuzz_prefixes_and_random_bytes(void **state)
{
    (void)state;
    struct bb corpus[16] = {{0}};
    size_t nc = build_corpus(corpus, 16);
    uint8_t buf[256];
    /* Every prefix of every valid frame under every link type, 2000
     * pseudo-random frames of 0 to 200 bytes, 2000 valid frames with a few
     * bits flipped. */
    corpus_mutate(corpus, nc, 0x9E3779B97F4A7C15ull, buf, sizeof(buf), 201, 2000, 2000, fuzz_one);
    for (size_t i = 0; i < nc; i++)
        bb_free(&corpus[i]);
}

/* ---- the fast path for the commonest frame ------------------------------ */

/* Every field of two decodings, the payload by address: the fast path must
 * be the general path, not merely close to it. */
static void expect_same_meta(const struct pkt_meta *a, const struct pkt_meta *b)
{
    assert_int_equal(a->family, b->family);
    assert_int_equal(a->proto, b->proto);
    assert_int_equal(a->has_ports, b->has_ports);
    assert_int_equal(a->is_frag, b->is_frag);
    assert_int_equal(a->frag_first, b->frag_first);
    assert_int_equal(a->tcp_flags, b->tcp_flags);
    assert_int_equal(a->icmp_type, b->icmp_type);
    assert_int_equal(a->icmp_code, b->icmp_code);
    assert_int_equal(a->anomalies, b->anomalies);
    assert_int_equal(a->sport, b->sport);
    assert_int_equal(a->dport, b->dport);
    assert_int_equal(a->frag_id, b->frag_id);
    assert_int_equal(a->vlan, b->vlan);
    assert_int_equal(a->icmp_id, b->icmp_id);
    assert_int_equal(a->icmp_query, b->icmp_query);
    assert_ptr_equal(a->payload, b->payload);
    assert_int_equal(a->payload_len, b->payload_len);
    assert_int_equal(a->tcp_seq, b->tcp_seq);
    assert_memory_equal(a->src, b->src, 16);
    assert_memory_equal(a->dst, b->dst, 16);
}

/* decode_frame() and decode_frame_general() on one exactly sized copy. */
static void expect_fast_is_general(uint32_t lt, const uint8_t *p, size_t n)
{
    static const uint8_t empty[1];
    uint8_t *copy = n ? malloc(n) : NULL;
    if (n)
        memcpy(copy, p, n);
    const uint8_t *d = copy ? copy : empty;
    struct pkt_meta a, b;
    memset(&a, 0xA5, sizeof(a));
    memset(&b, 0x5A, sizeof(b));
    enum dec_result ra = decode_frame(lt, d, (uint32_t)n, &a);
    enum dec_result rb = decode_frame_general(lt, d, (uint32_t)n, &b);
    assert_int_equal(ra, rb);
    if (ra == DEC_OK)
        expect_same_meta(&a, &b);
    free(copy);
}

/*
 * Ethernet + IPv4 + TCP or UDP frames around every bound the fast path
 * checks: the header's version and length, the total length (0, below the
 * header, cutting the transport header, shorter and longer than the
 * capture), fragments, the protocol, the TCP data offset, the ethertype,
 * and each captured length at and around those bounds.
 */
static void test_fast_path_is_general_path(void **state)
{
    (void)state;
    static const unsigned types[] = {0x0800, 0x86DD, 0x8100};
    static const unsigned vihls[] = {0x45, 0x46, 0x44, 0x55, 0x4F};
    static const unsigned totals[] = {0, 19, 20, 23, 24, 27, 28, 33, 34, 35, 39, 40, 41, 60, 1500};
    static const unsigned frags[] = {0, 0x4000, 0x2000, 0x0001, 0x8000};
    static const unsigned protos[] = {6, 17, 1, 132};
    static const size_t caps[] = {0,  13, 14, 33, 34, 37, 38, 41, 42, 43,
                                  47, 48, 49, 53, 54, 55, 61, 62, 74, 90};
    uint8_t f[90];
    size_t n = 0;
    for (size_t i = 0; i < sizeof(f); i++)
        f[i] = (uint8_t)(i * 37 + 11);
    for (size_t ti = 0; ti < sizeof(types) / sizeof(types[0]); ti++)
        for (size_t vi = 0; vi < sizeof(vihls) / sizeof(vihls[0]); vi++)
            for (size_t li = 0; li < sizeof(totals) / sizeof(totals[0]); li++)
                for (size_t fi = 0; fi < sizeof(frags) / sizeof(frags[0]); fi++)
                    for (size_t pi = 0; pi < sizeof(protos) / sizeof(protos[0]); pi++)
                        for (unsigned off = 0; off < 16; off += (protos[pi] == 6 ? 1 : 16)) {
                            f[12] = (uint8_t)(types[ti] >> 8);
                            f[13] = (uint8_t)types[ti];
                            f[14] = (uint8_t)vihls[vi];
                            f[16] = (uint8_t)(totals[li] >> 8);
                            f[17] = (uint8_t)totals[li];
                            f[20] = (uint8_t)(frags[fi] >> 8);
                            f[21] = (uint8_t)frags[fi];
                            f[23] = (uint8_t)protos[pi];
                            f[14 + 20 + 12] = (uint8_t)(off << 4);
                            for (size_t ci = 0; ci < sizeof(caps) / sizeof(caps[0]); ci++) {
                                expect_fast_is_general(LT_EN10MB, f, caps[ci]);
                                n++;
                            }
                        }
    /* and valid frames of the builders with random bytes flipped */
    struct bb b = {0};
    uint64_t r = 0x243F6A8885A308D3ull;
    for (int k = 0; k < 20000; k++) {
        bb_free(&b);
        eth(&b, 0x0800);
        size_t o = ip4_begin(&b, k % 2 ? 6 : 17, 5 + (k % 7 == 0));
        if (k % 2)
            tcp(&b, 40000, 443, 0x18);
        else
            udp(&b, 53000, 53);
        bb_bytes(&b, f, (size_t)(k % 23)); /* a payload */
        ip4_end(&b, o);
        bb_bytes(&b, f, (size_t)(k % 5)); /* Ethernet padding past the total */
        for (int flips = 0; flips < 3; flips++) {
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            b.p[(r >> 33) % 50] ^= (uint8_t)(1u << ((r >> 29) & 7));
        }
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        expect_fast_is_general(LT_EN10MB, b.p, (r >> 40) % (b.n + 1));
        n++;
    }
    bb_free(&b);
    assert_true(n > 100000);
}

static void test_names_cover_every_value(void **state)
{
    (void)state;
    for (int r = 0; r < DEC__COUNT; r++)
        assert_string_not_equal(dec_result_name((enum dec_result)r), "?");
    for (unsigned i = 0; i < ANOM__COUNT; i++)
        assert_string_not_equal(dec_anomaly_name(i), "?");
    for (size_t i = 0; i < N_FUZZ_LTS; i++)
        assert_true(decode_linktype_supported(fuzz_lts[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eth_ipv4_tcp),
        cmocka_unit_test(test_eth_ipv4_udp),
        cmocka_unit_test(test_eth_ipv4_icmp_type_code),
        cmocka_unit_test(test_eth_ipv6_udp),
        cmocka_unit_test(test_vlan_single_double_triple),
        cmocka_unit_test(test_qinq_88a8_then_8100),
        cmocka_unit_test(test_mpls_two_labels_ipv4),
        cmocka_unit_test(test_mpls_non_ip_payload_is_nonip),
        cmocka_unit_test(test_vlan_mpls_ipv6),
        cmocka_unit_test(test_pppoe_session_ipv4_and_ipv6),
        cmocka_unit_test(test_pppoe_discovery_is_nonip),
        cmocka_unit_test(test_8023_llc_snap_ipv4),
        cmocka_unit_test(test_8023_llc_without_snap_is_nonip),
        cmocka_unit_test(test_arp_is_nonip),
        cmocka_unit_test(test_pbb_fabricpath_vntag),
        cmocka_unit_test(test_vlan_stack_limit),
        cmocka_unit_test(test_vlan_stack_exactly_at_limit_decodes),
        cmocka_unit_test(test_linux_sll_and_sll2),
        cmocka_unit_test(test_null_both_byte_orders_and_families),
        cmocka_unit_test(test_loop_is_big_endian),
        cmocka_unit_test(test_raw_ip_link_types),
        cmocka_unit_test(test_ppp_variants),
        cmocka_unit_test(test_cisco_hdlc),
        cmocka_unit_test(test_nflog_payload_tlv),
        cmocka_unit_test(test_nflog_big_endian_and_cut),
        cmocka_unit_test(test_80211_data_and_radiotap_qos),
        cmocka_unit_test(test_ipnet_ipoib_pktap),
        cmocka_unit_test(test_unknown_linktype),
        cmocka_unit_test(test_ipv4_shorter_than_20_is_truncated),
        cmocka_unit_test(test_ipv4_version_nibble),
        cmocka_unit_test(test_ipv4_bad_ihl_and_total_length),
        cmocka_unit_test(test_ipv4_total_length_zero_is_tso),
        cmocka_unit_test(test_ipv4_options_cut_by_snaplen),
        cmocka_unit_test(test_ipv4_fragments),
        cmocka_unit_test(test_ipv4_options_skipped_before_ports),
        cmocka_unit_test(test_ipv4_tcp_cut_after_two_bytes),
        cmocka_unit_test(test_ipv4_ethernet_padding_not_read_as_transport),
        cmocka_unit_test(test_ipv6_ext_chain_to_tcp),
        cmocka_unit_test(test_ipv6_fragment_header),
        cmocka_unit_test(test_ipv6_esp_has_no_ports),
        cmocka_unit_test(test_ipv6_ext_chain_limit),
        cmocka_unit_test(test_ipv6_ext_chain_exactly_at_limit_reaches_ports),
        cmocka_unit_test(test_ipv6_ext_truncated),
        cmocka_unit_test(test_ipv6_header_39_bytes_truncated),
        cmocka_unit_test(test_fuzz_prefixes_and_random_bytes),
        cmocka_unit_test(test_fast_path_is_general_path),
        cmocka_unit_test(test_names_cover_every_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

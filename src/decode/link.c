/*
 * link.c - link layers: from a captured frame to the start of the IP header.
 *
 * References: IEEE 802.3 / 802.1Q / 802.1ad (Ethernet, VLAN, QinQ), RFC 3032
 * (MPLS label stack), RFC 2516 (PPPoE), RFC 1661/1662 (PPP), Cisco HDLC,
 * LINKTYPE_* definitions at tcpdump.org/linktypes.html (SLL, SLL2, NULL,
 * LOOP, RAW, IPV4, IPV6, NFLOG).
 *
 * Stacked headers (VLAN tags, MPLS labels, PPPoE) are followed in one loop
 * bounded by DEC_MAX_LINK_LAYERS; every iteration consumes bytes.
 */
#include "decode_int.h"

#include <string.h>

enum {
    ET_IPV4 = 0x0800,
    ET_IPV6 = 0x86DD,
    ET_VLAN = 0x8100,
    ET_QINQ = 0x88A8,
    ET_QINQ_OLD1 = 0x9100,
    ET_QINQ_OLD2 = 0x9200,
    ET_MPLS_UC = 0x8847,
    ET_MPLS_MC = 0x8848,
    ET_PPPOE_SESS = 0x8864,
};

enum {
    LT_NULL = 0,
    LT_ETHERNET = 1,
    LT_PPP = 9,
    LT_RAW_12 = 12, /* DLT_RAW on most BSDs, as written into old files */
    LT_RAW_14 = 14, /* DLT_RAW on OpenBSD */
    LT_PPP_HDLC = 50,
    LT_PPP_ETHER = 51,
    LT_RAW = 101,
    LT_C_HDLC = 104,
    LT_LOOP = 108,
    LT_LINUX_SLL = 113,
    LT_IPV4 = 228,
    LT_IPV6 = 229,
    LT_NFLOG = 239,
    LT_LINUX_SLL2 = 276,
};

/* PPP protocol field (RFC 1661), possibly compressed to one byte. */
static enum dec_result decode_ppp_proto(struct cursor *c, struct pkt_meta *m)
{
    uint8_t b0;
    uint16_t proto;
    if (cur_u8(c, &b0))
        return DEC_TRUNCATED;
    if (b0 & 1) {
        proto = b0; /* Protocol-Field-Compression: odd first byte ends it */
    } else {
        uint8_t b1;
        if (cur_u8(c, &b1))
            return DEC_TRUNCATED;
        proto = (uint16_t)(b0 << 8 | b1);
    }
    if (proto == 0x0021)
        return decode__ipv4(c, m);
    if (proto == 0x0057)
        return decode__ipv6(c, m);
    return DEC_NONIP;
}

static enum dec_result decode_ppp(struct cursor *c, struct pkt_meta *m)
{
    uint8_t a, b;
    /* Address-and-Control-Field-Compression: FF 03 may be absent. */
    if (!cur_peek_u8(c, 0, &a) && !cur_peek_u8(c, 1, &b) && a == 0xFF && b == 0x03)
        cur_skip(c, 2);
    return decode_ppp_proto(c, m);
}

/* RFC 2516 session header: ver/type, code, session id, payload length. */
static enum dec_result decode_pppoe_session(struct cursor *c, struct pkt_meta *m)
{
    uint8_t vt, code;
    uint16_t sid, plen;
    if (cur_u8(c, &vt) || cur_u8(c, &code) || cur_be16(c, &sid) || cur_be16(c, &plen))
        return DEC_TRUNCATED;
    if (vt != 0x11 || code != 0)
        return DEC_BADHDR;
    cur_limit(c, plen);
    return decode_ppp_proto(c, m);
}

static enum dec_result decode_mpls(struct cursor *c, struct pkt_meta *m, int depth)
{
    for (;;) {
        uint32_t label;
        if (++depth > DEC_MAX_LINK_LAYERS)
            return DEC_BADHDR;
        if (cur_be32(c, &label))
            return DEC_TRUNCATED;
        if (label & 0x100) /* bottom of stack */
            break;
    }
    /* RFC 4385: no next-protocol field; the IP version nibble tells. */
    uint8_t v;
    if (cur_peek_u8(c, 0, &v))
        return DEC_TRUNCATED;
    if ((v >> 4) == 4)
        return decode__ipv4(c, m);
    if ((v >> 4) == 6)
        return decode__ipv6(c, m);
    return DEC_NONIP; /* pseudowire control word, Ethernet over MPLS, ... */
}

enum dec_result decode__ethertype(struct cursor *c, uint16_t type, struct pkt_meta *m, int depth)
{
    for (;;) {
        if (++depth > DEC_MAX_LINK_LAYERS)
            return DEC_BADHDR;
        switch (type) {
        case ET_IPV4:
            return decode__ipv4(c, m);
        case ET_IPV6:
            return decode__ipv6(c, m);
        case ET_VLAN:
        case ET_QINQ:
        case ET_QINQ_OLD1:
        case ET_QINQ_OLD2:
            if (cur_skip(c, 2) || cur_be16(c, &type))
                return DEC_TRUNCATED;
            continue;
        case ET_MPLS_UC:
        case ET_MPLS_MC:
            return decode_mpls(c, m, depth);
        case ET_PPPOE_SESS:
            return decode_pppoe_session(c, m);
        default:
            break;
        }
        if (type <= 1500) {
            /* 802.3 length field: LLC follows; only SNAP carries an ethertype. */
            uint8_t dsap, ssap, ctl;
            cur_limit(c, type);
            if (cur_u8(c, &dsap) || cur_u8(c, &ssap) || cur_u8(c, &ctl))
                return DEC_TRUNCATED;
            if (dsap != 0xAA || ssap != 0xAA || ctl != 0x03)
                return DEC_NONIP;
            if (cur_skip(c, 3) || cur_be16(c, &type))
                return DEC_TRUNCATED;
            continue;
        }
        return DEC_NONIP;
    }
}

static enum dec_result decode_ethernet(struct cursor *c, struct pkt_meta *m)
{
    uint16_t type;
    if (cur_skip(c, 12) || cur_be16(c, &type))
        return DEC_TRUNCATED;
    return decode__ethertype(c, type, m, 0);
}

/* Address family values seen in DLT_NULL/LOOP headers across OSes. */
static enum dec_result decode_af(struct cursor *c, uint32_t af, struct pkt_meta *m)
{
    switch (af) {
    case 2: /* AF_INET everywhere */
        return decode__ipv4(c, m);
    case 10: /* Linux */
    case 24: /* NetBSD, OpenBSD, BSD/OS */
    case 28: /* FreeBSD, DragonFly */
    case 30: /* Darwin */
        return decode__ipv6(c, m);
    default:
        return DEC_NONIP;
    }
}

static enum dec_result decode_null(struct cursor *c, struct pkt_meta *m)
{
    uint32_t le;
    struct cursor peek = *c;
    if (cur_le32(&peek, &le))
        return DEC_TRUNCATED;
    /* Host byte order of the capturing machine: a family is a small number,
     * so a value above 0xFFFF means the other byte order. */
    uint32_t af = le;
    if (le > 0xFFFF)
        af = (le >> 24) | ((le >> 8) & 0xFF00) | ((le << 8) & 0xFF0000) | (le << 24);
    *c = peek;
    return decode_af(c, af, m);
}

static enum dec_result decode_loop(struct cursor *c, struct pkt_meta *m)
{
    uint32_t af;
    if (cur_be32(c, &af))
        return DEC_TRUNCATED;
    return decode_af(c, af, m);
}

static enum dec_result decode_sll(struct cursor *c, struct pkt_meta *m)
{
    uint16_t proto;
    if (cur_skip(c, 14) || cur_be16(c, &proto))
        return DEC_TRUNCATED;
    return decode__ethertype(c, proto, m, 0);
}

static enum dec_result decode_sll2(struct cursor *c, struct pkt_meta *m)
{
    uint16_t proto;
    if (cur_be16(c, &proto) || cur_skip(c, 18))
        return DEC_TRUNCATED;
    return decode__ethertype(c, proto, m, 0);
}

static enum dec_result decode_c_hdlc(struct cursor *c, struct pkt_meta *m)
{
    uint16_t proto;
    if (cur_skip(c, 2) || cur_be16(c, &proto))
        return DEC_TRUNCATED;
    return decode__ethertype(c, proto, m, 0);
}

/*
 * Linux NFLOG: 4-byte header (family, version, resource id), then TLVs whose
 * 16-bit length and type are in the capturing host's byte order (little
 * endian on every machine that writes these in practice).  TLV 9 is the
 * packet payload.  Each TLV is padded to 4 bytes; the loop consumes at least
 * 4 bytes per step.
 */
static enum dec_result decode_nflog(struct cursor *c, struct pkt_meta *m)
{
    uint8_t family;
    if (cur_u8(c, &family) || cur_skip(c, 3))
        return DEC_TRUNCATED;
    while (cur_left(c) >= 4) {
        uint16_t len, type;
        if (cur_le16(c, &len) || cur_le16(c, &type))
            return DEC_TRUNCATED;
        if (len < 4)
            return DEC_BADHDR;
        struct cursor val;
        if (cur_sub(c, (size_t)len - 4, &val))
            return DEC_TRUNCATED;
        if ((type & 0x7FFF) == 9) {
            if (family == 2)
                return decode__ipv4(&val, m);
            if (family == 10)
                return decode__ipv6(&val, m);
            return decode__ip_any(&val, m);
        }
        size_t pad = (4 - (len & 3)) & 3;
        if (cur_skip(c, pad))
            break;
    }
    return DEC_NONIP;
}

int decode_linktype_supported(uint32_t lt)
{
    switch (lt) {
    case LT_NULL: case LT_ETHERNET: case LT_PPP: case LT_RAW_12: case LT_RAW_14:
    case LT_PPP_HDLC: case LT_PPP_ETHER: case LT_RAW: case LT_C_HDLC: case LT_LOOP:
    case LT_LINUX_SLL: case LT_IPV4: case LT_IPV6: case LT_NFLOG: case LT_LINUX_SLL2:
        return 1;
    default:
        return 0;
    }
}

enum dec_result decode_frame(uint32_t lt, const uint8_t *data, uint32_t caplen,
                             struct pkt_meta *m)
{
    struct cursor c;
    cur_init(&c, data, caplen);
    memset(m, 0, sizeof(*m));
    switch (lt) {
    case LT_ETHERNET:
        return decode_ethernet(&c, m);
    case LT_RAW_12:
    case LT_RAW_14:
    case LT_RAW:
        return decode__ip_any(&c, m);
    case LT_IPV4:
        return decode__ipv4(&c, m);
    case LT_IPV6:
        return decode__ipv6(&c, m);
    case LT_LINUX_SLL:
        return decode_sll(&c, m);
    case LT_LINUX_SLL2:
        return decode_sll2(&c, m);
    case LT_NULL:
        return decode_null(&c, m);
    case LT_LOOP:
        return decode_loop(&c, m);
    case LT_PPP:
    case LT_PPP_HDLC:
        return decode_ppp(&c, m);
    case LT_PPP_ETHER:
        if (cur_skip(&c, 6))
            return DEC_TRUNCATED;
        return decode_ppp_proto(&c, m);
    case LT_C_HDLC:
        return decode_c_hdlc(&c, m);
    case LT_NFLOG:
        return decode_nflog(&c, m);
    default:
        return DEC_LINKTYPE;
    }
}

const char *decode_linktype_name(uint32_t lt)
{
    switch (lt) {
    case 0: return "NULL";
    case 1: return "ETHERNET";
    case 6: return "IEEE802_5";
    case 7: return "ARCNET_BSD";
    case 8: return "SLIP";
    case 9: return "PPP";
    case 10: return "FDDI";
    case 12: case 14: case 101: return "RAW";
    case 50: return "PPP_HDLC";
    case 51: return "PPP_ETHER";
    case 104: return "C_HDLC";
    case 105: return "IEEE802_11";
    case 108: return "LOOP";
    case 113: return "LINUX_SLL";
    case 119: return "PRISM_HEADER";
    case 127: return "IEEE802_11_RADIOTAP";
    case 129: return "ARCNET_LINUX";
    case 138: return "APPLE_IP_OVER_IEEE1394";
    case 192: return "PPI";
    case 195: return "IEEE802_15_4_WITHFCS";
    case 201: return "BLUETOOTH_HCI_H4_WITH_PHDR";
    case 215: return "IEEE802_15_4_NOFCS";
    case 220: return "USB_LINUX_MMAPPED";
    case 226: return "IPNET";
    case 228: return "IPV4";
    case 229: return "IPV6";
    case 231: return "DBUS";
    case 239: return "NFLOG";
    case 242: return "IPOIB";
    case 253: return "NETLINK";
    case 258: return "PKTAP";
    case 271: return "VSOCK";
    case 276: return "LINUX_SLL2";
    case 281: return "ETHERNET_MPACKET/BRCM";
    case 284: return "DSA_TAG";
    default:
        if (lt >= 147 && lt <= 162)
            return "USERn";
        return "unknown";
    }
}

const char *dec_result_name(enum dec_result r)
{
    switch (r) {
    case DEC_OK: return "decoded";
    case DEC_NONIP: return "non-IP";
    case DEC_TRUNCATED: return "truncated";
    case DEC_BADHDR: return "bad header";
    case DEC_LINKTYPE: return "unsupported link type";
    default: return "?";
    }
}

const char *dec_anomaly_name(unsigned i)
{
    static const char *names[ANOM__COUNT] = {"transport header not captured",
                                             "IPv6 extension chain too long",
                                             "IPv6 extension header truncated"};
    return i < ANOM__COUNT ? names[i] : "?";
}

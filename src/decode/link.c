/*
 * link.c - link layers: from a captured frame to the start of the IP header.
 *
 * References: IEEE 802.3 / 802.1Q / 802.1ad (Ethernet, VLAN, QinQ), RFC 3032
 * (MPLS label stack), RFC 2516 (PPPoE), RFC 1661/1662 (PPP), Cisco HDLC,
 * IEEE 802.1ah (PBB), 802.1BR (E-Tag), 802.11 + radiotap, FDDI/802.2 LLC,
 * LINKTYPE_* definitions at tcpdump.org/linktypes.html (SLL, SLL2, NULL,
 * LOOP, RAW, IPV4, IPV6, NFLOG, IPNET, IPOIB, PKTAP).
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
    ET_PBB = 0x88E7,        /* 802.1ah I-TAG, then the customer frame */
    ET_FABRICPATH = 0x8903, /* Cisco FabricPath, then the original frame */
    ET_VNTAG = 0x8926,      /* Cisco VN-Tag */
    ET_ETAG = 0x893F,       /* 802.1BR E-Tag */
    ET_ARISTA = 0xD28B,     /* Arista timestamp trailer-in-header */
};

enum {
    LT_NULL = 0,
    LT_ETHERNET = 1,
    LT_PPP = 9,
    LT_FDDI = 10,
    LT_RAW_12 = 12, /* DLT_RAW on most BSDs, as written into old files */
    LT_RAW_14 = 14, /* DLT_RAW on OpenBSD */
    LT_PPP_HDLC = 50,
    LT_PPP_ETHER = 51,
    LT_RAW = 101,
    LT_C_HDLC = 104,
    LT_IEEE802_11 = 105,
    LT_LOOP = 108,
    LT_LINUX_SLL = 113,
    LT_RADIOTAP = 127,
    LT_IPNET = 226,
    LT_IPV4 = 228,
    LT_IPV6 = 229,
    LT_NFLOG = 239,
    LT_IPOIB = 242,
    LT_PKTAP = 258,
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
        if (depth++ >= DEC_MAX_LINK_LAYERS)
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

/* IEEE 802.2 LLC; SNAP (AA AA 03, OUI) carries an ethertype. */
static enum dec_result llc_snap(struct cursor *c, uint16_t *type)
{
    uint8_t dsap, ssap, ctl;
    if (cur_u8(c, &dsap) || cur_u8(c, &ssap) || cur_u8(c, &ctl))
        return DEC_TRUNCATED;
    if (dsap != 0xAA || ssap != 0xAA || ctl != 0x03)
        return DEC_NONIP;
    if (cur_skip(c, 3) || cur_be16(c, type))
        return DEC_TRUNCATED;
    return DEC_OK;
}

enum dec_result decode__ethertype(struct cursor *c, uint16_t type, struct pkt_meta *m, int depth)
{
    for (;; depth++) {
        /* depth counts stacked headers already consumed (tags, labels) */
        if (depth > DEC_MAX_LINK_LAYERS)
            return DEC_BADHDR;
        switch (type) {
        case ET_IPV4:
        case ET_IPV6:
            /* The version nibble decides, as Wireshark does: a mislabelled
             * frame still has readable addresses. */
            return decode__ip_any(c, m);
        case ET_VLAN:
        case ET_QINQ:
        case ET_QINQ_OLD1:
        case ET_QINQ_OLD2: {
            uint16_t tci;
            if (cur_be16(c, &tci) || cur_be16(c, &type))
                return DEC_TRUNCATED;
            if (!m->vlan)
                m->vlan = tci & 0x0FFF;
            continue;
        }
        case ET_MPLS_UC:
        case ET_MPLS_MC: return decode_mpls(c, m, depth);
        case ET_PPPOE_SESS: return decode_pppoe_session(c, m);
        case ET_PBB: /* I-TAG, customer DA and SA */
            if (cur_skip(c, 4 + 12) || cur_be16(c, &type))
                return DEC_TRUNCATED;
            continue;
        case ET_FABRICPATH: /* FTag/TTL, original DA and SA */
            if (cur_skip(c, 2 + 12) || cur_be16(c, &type))
                return DEC_TRUNCATED;
            continue;
        case ET_VNTAG:
            if (cur_skip(c, 4) || cur_be16(c, &type))
                return DEC_TRUNCATED;
            continue;
        case ET_ETAG:
            if (cur_skip(c, 6) || cur_be16(c, &type))
                return DEC_TRUNCATED;
            continue;
        case ET_ARISTA: {
            /* sub-type, version (0x1X: 64-bit time, 0x2X: 48-bit time) */
            uint16_t sub, ver;
            if (cur_be16(c, &sub) || cur_be16(c, &ver))
                return DEC_TRUNCATED;
            size_t tslen = (ver & 0xF0) == 0x10 ? 8 : (ver & 0xF0) == 0x20 ? 6 : 0;
            if (sub != 1 || !tslen)
                return DEC_NONIP;
            if (cur_skip(c, tslen) || cur_be16(c, &type))
                return DEC_TRUNCATED;
            continue;
        }
        default: break;
        }
        if (type <= 1500) {
            /* 802.3 length field: LLC follows; only SNAP carries an ethertype. */
            cur_limit(c, type);
            enum dec_result r = llc_snap(c, &type);
            if (r != DEC_OK)
                return r;
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
    case 2: /* AF_INET everywhere */ return decode__ipv4(c, m);
    case 10: /* Linux */
    case 24: /* NetBSD, OpenBSD, BSD/OS */
    case 28: /* FreeBSD, DragonFly */
    case 30: /* Darwin */ return decode__ipv6(c, m);
    default: return DEC_NONIP;
    }
}

static enum dec_result decode_c_hdlc(struct cursor *c, struct pkt_meta *m);
static enum dec_result decode_ppp(struct cursor *c, struct pkt_meta *m);

static enum dec_result decode_null(struct cursor *c, struct pkt_meta *m)
{
    uint8_t b0, b1;
    /* Some BSD captures put PPP or Cisco HDLC frames behind DLT_NULL; the
     * first two bytes tell (Wireshark's null dissector does the same). */
    if (!cur_peek_u8(c, 0, &b0) && !cur_peek_u8(c, 1, &b1)) {
        if (b0 == 0xFF && b1 == 0x03)
            return decode_ppp(c, m);
        if ((b0 == 0x0F || b0 == 0x8F) && b1 == 0x00)
            return decode_c_hdlc(c, m);
    }
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
 * 16-bit length and type are in the capturing host's byte order, which is
 * the file's: libpcap swaps them when it reads a file of the other order.
 * A frame carries no mark of that order, so it is taken from the first TLV:
 * little endian when its length fits the frame and its type is a known
 * attribute (1 to 63, NFULA_*), else big endian when that fits (a
 * big-endian writer's 8-byte packet header TLV, 00 08 00 01, reads as
 * length 2048 type 256 the other way).  TLV 9 is the packet payload; one
 * cut by the snapshot length holds what was captured, as any frame's last
 * layer does.  Each TLV is padded to 4 bytes; the loop consumes at least 4
 * bytes per step.
 */
static int nflog_tlv_fits(uint16_t len, uint16_t type, size_t left)
{
    return len >= 4 && len <= left && (type & 0x7FFF) >= 1 && (type & 0x7FFF) < 64;
}

static enum dec_result decode_nflog(struct cursor *c, struct pkt_meta *m)
{
    uint8_t family;
    if (cur_u8(c, &family) || cur_skip(c, 3))
        return DEC_TRUNCATED;
    uint16_t le_len, le_type, be_len, be_type;
    struct cursor peek = *c;
    if (cur_le16(&peek, &le_len) || cur_le16(&peek, &le_type))
        return DEC_TRUNCATED;
    peek = *c;
    (void)cur_be16(&peek, &be_len); /* cannot fail: the same 4 bytes */
    (void)cur_be16(&peek, &be_type);
    int big = !nflog_tlv_fits(le_len, le_type, cur_left(c)) &&
              nflog_tlv_fits(be_len, be_type, cur_left(c));
    while (cur_left(c) >= 4) {
        uint16_t len, type;
        if (cur_u16e(c, big, &len) || cur_u16e(c, big, &type))
            return DEC_TRUNCATED;
        if (len < 4)
            return DEC_BADHDR;
        struct cursor val;
        if (cur_sub(c, (size_t)len - 4, &val)) {
            if ((type & 0x7FFF) != 9)
                return DEC_TRUNCATED;
            cur_rest(c, &val); /* the payload, cut by the snapshot length */
        }
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

/* FDDI: frame control, DA, SA, then 802.2 LLC. */
static enum dec_result decode_fddi(struct cursor *c, struct pkt_meta *m)
{
    uint16_t type;
    if (cur_skip(c, 13))
        return DEC_TRUNCATED;
    enum dec_result r = llc_snap(c, &type);
    return r != DEC_OK ? r : decode__ethertype(c, type, m, 0);
}

/*
 * IEEE 802.11 data frames (the only ones that carry IP): a 24-byte header,
 * 30 with four addresses, +2 for QoS subtypes, +4 HT control when the order
 * bit is set on a QoS frame; then LLC/SNAP.  Protected frames are
 * encrypted: no IP visible.
 */
static enum dec_result decode_80211(struct cursor *c, struct pkt_meta *m)
{
    uint8_t fc0, fc1;
    if (cur_peek_u8(c, 0, &fc0) || cur_peek_u8(c, 1, &fc1))
        return DEC_TRUNCATED;
    unsigned type = (fc0 >> 2) & 3, subtype = fc0 >> 4;
    if (type != 2 || (subtype & 0x4)) /* not data, or a null-data frame */
        return DEC_NONIP;
    if (fc1 & 0x40) /* protected */
        return DEC_NONIP;
    size_t hl = 24;
    if ((fc1 & 3) == 3)
        hl += 6;
    if (subtype & 0x8) {
        hl += 2;
        if (fc1 & 0x80)
            hl += 4;
    }
    uint16_t et;
    if (cur_skip(c, hl))
        return DEC_TRUNCATED;
    enum dec_result r = llc_snap(c, &et);
    return r != DEC_OK ? r : decode__ethertype(c, et, m, 0);
}

static enum dec_result decode_radiotap(struct cursor *c, struct pkt_meta *m)
{
    uint16_t len;
    if (cur_skip(c, 2) || cur_le16(c, &len))
        return DEC_TRUNCATED;
    if (len < 4)
        return DEC_BADHDR;
    if (cur_skip(c, (size_t)len - 4))
        return DEC_TRUNCATED;
    return decode_80211(c, m);
}

/* Solaris IPNET: 24-byte header; family 2 = IPv4, 26 = IPv6 (Solaris). */
static enum dec_result decode_ipnet(struct cursor *c, struct pkt_meta *m)
{
    uint8_t family;
    if (cur_skip(c, 1) || cur_u8(c, &family) || cur_skip(c, 22))
        return DEC_TRUNCATED;
    if (family == 2)
        return decode__ipv4(c, m);
    if (family == 26)
        return decode__ipv6(c, m);
    return DEC_NONIP;
}

/* IP over InfiniBand (LINKTYPE_IPOIB): 40 bytes of addresses, ethertype,
 * 2 reserved bytes. */
static enum dec_result decode_ipoib(struct cursor *c, struct pkt_meta *m)
{
    uint16_t type;
    if (cur_skip(c, 40) || cur_be16(c, &type) || cur_skip(c, 2))
        return DEC_TRUNCATED;
    return decode__ethertype(c, type, m, 0);
}

static enum dec_result decode_inner(uint32_t lt, struct cursor *c, struct pkt_meta *m, int depth);

/* Apple PKTAP: a host-endian (little) header of pth_length bytes whose
 * pth_dlt names the link type of what follows. */
static enum dec_result decode_pktap(struct cursor *c, struct pkt_meta *m, int depth)
{
    struct cursor h = *c;
    uint32_t hlen, next, dlt;
    if (cur_le32(&h, &hlen) || cur_le32(&h, &next) || cur_le32(&h, &dlt))
        return DEC_TRUNCATED;
    if (hlen < 12)
        return DEC_BADHDR;
    if (cur_skip(c, hlen))
        return DEC_TRUNCATED;
    if (next != 1) /* PTH_TYPE_PACKET */
        return DEC_NONIP;
    if (dlt == 12 || dlt == 14)
        dlt = LT_RAW;
    return decode_inner(dlt, c, m, depth + 1);
}

int decode_linktype_supported(uint32_t lt)
{
    switch (lt) {
    case LT_NULL:
    case LT_ETHERNET:
    case LT_PPP:
    case LT_RAW_12:
    case LT_RAW_14:
    case LT_PPP_HDLC:
    case LT_PPP_ETHER:
    case LT_RAW:
    case LT_C_HDLC:
    case LT_LOOP:
    case LT_LINUX_SLL:
    case LT_IPV4:
    case LT_IPV6:
    case LT_NFLOG:
    case LT_LINUX_SLL2:
    case LT_FDDI:
    case LT_IEEE802_11:
    case LT_RADIOTAP:
    case LT_IPNET:
    case LT_IPOIB:
    case LT_PKTAP: return 1;
    default: return 0;
    }
}

enum dec_result decode_frame(uint32_t lt, const uint8_t *data, uint32_t caplen, struct pkt_meta *m)
{
    struct dec_ip4 f;
    if (decode_eth_ip4(lt, data, caplen, &f)) { /* decode.h: the commonest frame */
        decode_ip4_meta(&f, m);
        return DEC_OK;
    }
    return decode_frame_general(lt, data, caplen, m);
}

enum dec_result decode_frame_general(uint32_t lt, const uint8_t *data, uint32_t caplen,
                                     struct pkt_meta *m)
{
    struct cursor c;
    cur_init(&c, data, caplen);
    memset(m, 0, sizeof(*m));
    /* Untagged Ethernet carrying IPv4 (with options, a fragment, another
     * protocol or a header cut short): straight to the IPv4 header.  The
     * general path reaches the same decode__ipv4() call for these frames
     * (decode_ethernet, then decode__ethertype's ET_IPV4 case, then the
     * version nibble), through three dispatches that cost about a quarter
     * of decoding (callgrind). */
    uint16_t type;
    uint8_t vihl;
    if (lt == LT_ETHERNET && !cur_peek_be16(&c, 12, &type) && type == ET_IPV4 &&
        !cur_peek_u8(&c, 14, &vihl) && (vihl >> 4) == 4) {
        (void)cur_skip(&c, 14); /* present: byte 14 was read */
        return decode__ipv4(&c, m);
    }
    return decode_inner(lt, &c, m, 0);
}

static enum dec_result decode_inner(uint32_t lt, struct cursor *cp, struct pkt_meta *m, int depth)
{
    struct cursor c = *cp;
    if (depth > 1) /* a PKTAP inside a PKTAP */
        return DEC_BADHDR;
    switch (lt) {
    case LT_ETHERNET: return decode_ethernet(&c, m);
    case LT_RAW_12:
    case LT_RAW_14:
    case LT_RAW: return decode__ip_any(&c, m);
    case LT_IPV4: /* the version nibble decides, see decode__ethertype */
    case LT_IPV6: return decode__ip_any(&c, m);
    case LT_LINUX_SLL: return decode_sll(&c, m);
    case LT_LINUX_SLL2: return decode_sll2(&c, m);
    case LT_NULL: return decode_null(&c, m);
    case LT_LOOP: return decode_loop(&c, m);
    case LT_PPP:
    case LT_PPP_HDLC: return decode_ppp(&c, m);
    case LT_PPP_ETHER:
        if (cur_skip(&c, 6))
            return DEC_TRUNCATED;
        return decode_ppp_proto(&c, m);
    case LT_C_HDLC: return decode_c_hdlc(&c, m);
    case LT_NFLOG: return decode_nflog(&c, m);
    case LT_FDDI: return decode_fddi(&c, m);
    case LT_IEEE802_11: return decode_80211(&c, m);
    case LT_RADIOTAP: return decode_radiotap(&c, m);
    case LT_IPNET: return decode_ipnet(&c, m);
    case LT_IPOIB: return decode_ipoib(&c, m);
    case LT_PKTAP: return decode_pktap(&c, m, depth);
    default: return DEC_LINKTYPE;
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
    case 12:
    case 14:
    case 101: return "RAW";
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

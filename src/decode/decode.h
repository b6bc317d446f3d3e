/*
 * decode.h - turn one captured frame into the few fields pcts groups on.
 *
 * Contract (every decoder in this directory follows it, see TEMPLATE.c):
 *  - input is a borrowed window of captured bytes; nothing is kept after the
 *    call returns;
 *  - every read goes through cursor.h;
 *  - the result is DEC_OK (the outermost IP header was found: addresses and
 *    protocol are valid) or the reason the packet cannot be grouped;
 *  - problems below the IP header (a transport header cut by the snapshot
 *    length, an extension-header chain that is too long) do not stop the
 *    packet from counting for its IP pair; they are flagged in m->anomalies.
 *
 * Addresses come from the outermost IP header (tunnels are not entered), the
 * same convention as Wireshark's IP conversation table.
 */
#ifndef PCTS_DECODE_H
#define PCTS_DECODE_H

#include "cursor.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum dec_result {
    DEC_OK = 0,
    DEC_NONIP,     /* well-formed, but carries no IP packet (ARP, STP, ...) */
    DEC_TRUNCATED, /* capture ends before the IP header is complete */
    DEC_BADHDR,    /* a header field is impossible (IHL < 5, version, ...) */
    DEC_LINKTYPE,  /* the link type is not one pcts decodes */
    DEC__COUNT
};

/* Decoded-but-incomplete packets: counted, still grouped by IP pair. */
enum dec_anomaly {
    ANOM_L4_TRUNCATED = 1u << 0, /* ports not captured (snaplen) */
    ANOM_EXT_LIMIT = 1u << 1,    /* IPv6 extension chain longer than we walk */
    ANOM_EXT_TRUNCATED = 1u << 2 /* IPv6 extension header cut off */
};
#define ANOM__COUNT 3

struct pkt_meta {
    uint8_t family;     /* 4 or 6 */
    uint8_t proto;      /* IPv4 protocol / IPv6 final next header */
    uint8_t has_ports;  /* sport/dport valid (TCP, UDP, SCTP, UDP-Lite, first fragment) */
    uint8_t is_frag;    /* the IP packet is a fragment */
    uint8_t frag_first; /* fragment with offset 0 (carries the ports) */
    uint8_t tcp_flags;
    uint8_t icmp_type, icmp_code;
    uint8_t anomalies; /* enum dec_anomaly bits */
    uint16_t sport, dport;
    uint32_t frag_id;   /* IPv4 identification or IPv6 fragment id */
    uint16_t vlan;      /* outermost 802.1Q/802.1ad VLAN id, 0 if none */
    uint16_t icmp_id;   /* identifier of ICMP/ICMPv6 echo and similar queries */
    uint8_t icmp_query; /* icmp_id is valid (echo, timestamp, info, ...) */
    uint32_t tcp_seq;   /* TCP sequence number when captured, else 0 */
    /* TCP/UDP payload, borrowed from the frame: valid only while that
     * packet is being processed; NULL when absent or not captured. */
    const uint8_t *payload;
    uint32_t payload_len;
    uint8_t src[16], dst[16]; /* IPv4 uses the first 4 bytes, rest zero */
};

/*
 * The commonest frame of all: untagged Ethernet (link type 1) carrying
 * IPv4 without options, not a fragment, TCP or UDP with every header byte
 * pcts reads captured.  Such a frame decodes to DEC_OK without anomalies,
 * and decode_frame() fills its pkt_meta from these fields; every other
 * frame takes the general path (decode_frame_general in decode_int.h,
 * which test_decode and fuzz_decode hold this one to, field for field).
 * Read from one view checked once, where the general path checks each
 * field on its own: 144 to about 70 instructions a packet (callgrind).
 * Inline, so that a loop needing only some of the fields (the packet
 * series' key: pipeline.c) computes only those.
 */
struct dec_ip4 {
    uint8_t src[4], dst[4]; /* as on the wire */
    uint8_t proto;          /* 6 or 17 */
    uint8_t tcp_flags;      /* 0 for UDP */
    uint16_t sport, dport;
    uint32_t tcp_seq;       /* 0 for UDP */
    const uint8_t *payload; /* NULL when none is captured */
    uint32_t payload_len;
};

/* 1 with *o filled, or 0 (o untouched): not such a frame.  Always inline:
 * gcc 12 made an out-of-line copy for flows_fill, 94 instructions a packet
 * where inline it is 49 (callgrind). */
__attribute__((always_inline)) static inline int
decode_eth_ip4(uint32_t linktype, const uint8_t *data, uint32_t caplen, struct dec_ip4 *o)
{
    struct cursor c;
    cur_init(&c, data, caplen);
    const uint8_t *v = cur_view(&c, 14 + 20 + 8); /* up to the UDP header's end */
    if (linktype != 1 || !v || view_be16(v, 12) != 0x0800 || v[14] != 0x45)
        return 0;
    uint16_t total = view_be16(v, 16), frag = view_be16(v, 20);
    uint8_t proto = v[23];
    if (total < 20 || (frag & 0x3FFF) || (proto != 6 && proto != 17))
        return 0;
    /* the IPv4 window: the total length, or less where the capture ends */
    size_t left = (size_t)caplen - 14 < total ? (size_t)caplen - 14 - 20 : (size_t)total - 20;
    size_t hl = 8;
    uint8_t flags = 0;
    if (proto == 6) {
        if (left < 14 || !(v = cur_view(&c, 14 + 20 + 14))) /* TCP: flags at byte 13 */
            return 0;
        hl = (size_t)(v[14 + 20 + 12] >> 4) * 4;
        flags = v[14 + 20 + 13];
    } else if (left < 8) {
        return 0;
    }
    for (int i = 0; i < 4; i++) {
        o->src[i] = v[14 + 12 + i];
        o->dst[i] = v[14 + 16 + i];
    }
    o->proto = proto;
    o->tcp_flags = flags;
    o->tcp_seq = proto == 6 ? view_be32(v, 14 + 20 + 4) : 0;
    o->sport = view_be16(v, 14 + 20);
    o->dport = view_be16(v, 14 + 20 + 2);
    o->payload = NULL;
    o->payload_len = 0;
    if (hl >= 8 && left > hl) {
        o->payload = v + 14 + 20 + hl; /* inside the window: hl < left */
        o->payload_len = (uint32_t)(left - hl);
    }
    return 1;
}

/* The pkt_meta of such a frame, as decode_frame() returns it (for a loop
 * that decoded with decode_eth_ip4() and then needs the whole meta). */
static inline void decode_ip4_meta(const struct dec_ip4 *f, struct pkt_meta *m)
{
    memset(m, 0, sizeof(*m));
    m->family = 4;
    m->proto = f->proto;
    memcpy(m->src, f->src, 4);
    memcpy(m->dst, f->dst, 4);
    m->has_ports = 1;
    m->sport = f->sport;
    m->dport = f->dport;
    m->tcp_flags = f->tcp_flags;
    m->tcp_seq = f->tcp_seq;
    m->payload = f->payload;
    m->payload_len = f->payload_len;
}

/* Decode one frame of the given LINKTYPE_* value. */
enum dec_result decode_frame(uint32_t linktype, const uint8_t *data, uint32_t caplen,
                             struct pkt_meta *m);

/* Does pcts know how to decode this link type? */
int decode_linktype_supported(uint32_t linktype);

/* Human name of a link type for messages ("LINKTYPE_USER0 (147)" style). */
const char *decode_linktype_name(uint32_t linktype);

const char *dec_result_name(enum dec_result r);
const char *dec_anomaly_name(unsigned bit_index);

#endif

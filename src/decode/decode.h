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

#include <stdint.h>

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
    /* TCP/UDP payload, borrowed from the frame: valid only while that
     * packet is being processed; NULL when absent or not captured. */
    const uint8_t *payload;
    uint32_t payload_len;
    uint8_t src[16], dst[16]; /* IPv4 uses the first 4 bytes, rest zero */
};

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

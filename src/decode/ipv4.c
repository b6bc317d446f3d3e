/*
 * ipv4.c - IPv4 header (RFC 791), and the version-nibble dispatch used by
 * raw-IP link types.
 *
 * Checks in Suricata's order, cheapest first: 20 bytes present, version 4,
 * IHL*4 >= 20, total length >= IHL*4.  Options cut by the snapshot length
 * leave the addresses valid: the packet counts, without ports.  A total length of 0
 * is accepted as "not filled in" (TSO/GSO and Linux BIG TCP super-packets,
 * captured before segmentation) and the captured length is used instead.
 * The window is then narrowed to the total length so Ethernet padding is
 * never read as payload.  Only the first fragment (offset 0) carries ports;
 * every fragment counts for the pair.
 */
#include "decode_int.h"

#include <string.h>

enum dec_result decode__ipv4(struct cursor *c, struct pkt_meta *m)
{
    const uint8_t *h = cur_view(c, 20); /* the fixed header, checked once */
    if (!h)
        return DEC_TRUNCATED;
    uint8_t vihl = h[0], proto = h[9];
    uint16_t total = view_be16(h, 2), id = view_be16(h, 4), frag = view_be16(h, 6);
    if ((vihl >> 4) != 4)
        return DEC_BADHDR;
    size_t ihl = (size_t)(vihl & 0x0F) * 4;
    if (ihl < 20)
        return DEC_BADHDR;
    if (total != 0 && total < ihl)
        return DEC_BADHDR;

    struct cursor ip = *c;
    if (total != 0)
        cur_limit(&ip, total); /* total >= ihl >= 20: the view stays inside */
    if (cur_skip(&ip, 20))
        return DEC_TRUNCATED;
    decode__put_ip4(m->src, h + 12);
    decode__put_ip4(m->dst, h + 16);
    m->family = 4;
    m->proto = proto;
    if (frag & 0x3FFF) { /* MF set or offset != 0 */
        m->is_frag = 1;
        m->frag_first = (frag & 0x1FFF) == 0;
        m->frag_id = id;
    }
    if (cur_skip(&ip, ihl - 20)) {
        /* Options cut by the snapshot length: the addresses are valid. */
        m->anomalies |= ANOM_L4_TRUNCATED;
    } else if ((frag & 0x1FFF) == 0) {
        decode__transport(&ip, m);
    }
    *c = ip;
    return DEC_OK;
}

enum dec_result decode__ip_any(struct cursor *c, struct pkt_meta *m)
{
    uint8_t v;
    if (cur_peek_u8(c, 0, &v))
        return DEC_TRUNCATED;
    switch (v >> 4) {
    case 4: return decode__ipv4(c, m);
    case 6: return decode__ipv6(c, m);
    default: return DEC_BADHDR;
    }
}

/*
 * transport.c - the first bytes of TCP (RFC 9293), UDP (RFC 768), UDP-Lite
 * (RFC 3828), SCTP (RFC 9260) and ICMP/ICMPv6 (RFC 792, RFC 4443).
 *
 * pcts needs ports, TCP flags and ICMP type/code, nothing more, so only the
 * bytes holding them are required; the rest of the header may be cut by the
 * snapshot length.  A TCP data offset below 5 is noted but ports still count
 * (they are valid bytes on the wire).
 */
#include "decode_int.h"

void decode__transport(struct cursor *c, struct pkt_meta *m)
{
    uint16_t sp, dp;
    uint8_t t, code, flags;
    switch (m->proto) {
    case 6:   /* TCP */
    case 17:  /* UDP */
    case 132: /* SCTP */
    case 136: /* UDP-Lite */
        if (cur_peek_be16(c, 0, &sp) || cur_peek_be16(c, 2, &dp)) {
            m->anomalies |= ANOM_L4_TRUNCATED;
            return;
        }
        m->sport = sp;
        m->dport = dp;
        m->has_ports = 1;
        if (m->proto == 6 && !cur_peek_u8(c, 13, &flags))
            m->tcp_flags = flags;
        if (m->proto == 6 && cur_peek_be32(c, 4, &m->tcp_seq))
            m->tcp_seq = 0;
        if (m->proto == 6 || m->proto == 17) {
            uint8_t off = 0;
            size_t hl = 8; /* UDP */
            if (m->proto == 6)
                hl = cur_peek_u8(c, 12, &off) ? 0 : (size_t)(off >> 4) * 4;
            if (hl >= 8 && cur_has(c, hl) && cur_left(c) > hl) {
                m->payload = c->p + c->off + hl;
                m->payload_len = (uint32_t)(cur_left(c) - hl);
            }
        }
        return;
    case 1:  /* ICMP */
    case 58: /* ICMPv6 */
        if (cur_peek_u8(c, 0, &t) || cur_peek_u8(c, 1, &code)) {
            m->anomalies |= ANOM_L4_TRUNCATED;
            return;
        }
        m->icmp_type = t;
        m->icmp_code = code;
        /* Queries and their replies carry an identifier at bytes 4-5:
         * ICMP echo 8/0, timestamp 13/14, information 15/16, address mask
         * 17/18; ICMPv6 echo 128/129. */
        if ((m->proto == 1 && (t == 0 || t == 8 || (t >= 13 && t <= 18))) ||
            (m->proto == 58 && (t == 128 || t == 129))) {
            uint16_t id;
            if (!cur_peek_be16(c, 4, &id)) {
                m->icmp_id = id;
                m->icmp_query = 1;
            }
        }
        return;
    default: return;
    }
}

/*
 * ipv6.c - IPv6 header and extension-header chain (RFC 8200, RFC 4302 AH,
 * RFC 2675 jumbograms).
 *
 * The chain is walked at most DEC_MAX_IPV6_EXT headers; each step consumes
 * at least 8 bytes.  A payload length of 0 means a jumbogram (or a
 * pre-segmentation super-packet): the captured length is used.  ESP and
 * "no next header" end the walk with no ports.  A fragment with a non-zero
 * offset has no transport header.
 */
#include "decode_int.h"

enum {
    NH_HOPOPTS = 0,
    NH_ROUTING = 43,
    NH_FRAGMENT = 44,
    NH_ESP = 50,
    NH_AH = 51,
    NH_NONE = 59,
    NH_DSTOPTS = 60,
    NH_MOBILITY = 135,
    NH_HIP = 139,
    NH_SHIM6 = 140,
};

enum dec_result decode__ipv6(struct cursor *c, struct pkt_meta *m)
{
    uint8_t v, nh;
    uint16_t plen;
    if (!cur_has(c, 40))
        return DEC_TRUNCATED;
    if (cur_peek_u8(c, 0, &v) || cur_peek_be16(c, 4, &plen) || cur_peek_u8(c, 6, &nh))
        return DEC_TRUNCATED;
    if ((v >> 4) != 6)
        return DEC_BADHDR;
    struct cursor ip = *c;
    if (cur_skip(&ip, 8) || cur_copy(&ip, m->src, 16) || cur_copy(&ip, m->dst, 16))
        return DEC_TRUNCATED;
    if (plen != 0)
        cur_limit(&ip, plen);
    m->family = 6;

    for (int i = 0;; i++) {
        uint8_t next, hl;
        size_t len;
        int is_ext = nh == NH_HOPOPTS || nh == NH_ROUTING || nh == NH_DSTOPTS ||
                     nh == NH_MOBILITY || nh == NH_HIP || nh == NH_SHIM6 || nh == NH_AH ||
                     nh == NH_FRAGMENT;
        if (is_ext && i >= DEC_MAX_IPV6_EXT) {
            m->anomalies |= ANOM_EXT_LIMIT;
            m->proto = nh;
            *c = ip;
            return DEC_OK;
        }
        switch (nh) {
        case NH_HOPOPTS:
        case NH_ROUTING:
        case NH_DSTOPTS:
        case NH_MOBILITY:
        case NH_HIP:
        case NH_SHIM6:
        case NH_AH:
            if (cur_peek_u8(&ip, 0, &next) || cur_peek_u8(&ip, 1, &hl)) {
                m->anomalies |= ANOM_EXT_TRUNCATED;
                m->proto = nh;
                *c = ip;
                return DEC_OK;
            }
            len = nh == NH_AH ? ((size_t)hl + 2) * 4 : ((size_t)hl + 1) * 8;
            if (cur_skip(&ip, len)) {
                m->anomalies |= ANOM_EXT_TRUNCATED;
                m->proto = nh;
                *c = ip;
                return DEC_OK;
            }
            nh = next;
            continue;
        case NH_FRAGMENT: {
            uint16_t offfl, idhi, idlo;
            if (cur_peek_u8(&ip, 0, &next) || cur_peek_be16(&ip, 2, &offfl) ||
                cur_peek_be16(&ip, 4, &idhi) || cur_peek_be16(&ip, 6, &idlo) || cur_skip(&ip, 8)) {
                m->anomalies |= ANOM_EXT_TRUNCATED;
                m->proto = nh;
                *c = ip;
                return DEC_OK;
            }
            m->is_frag = 1;
            m->frag_first = (offfl >> 3) == 0;
            m->frag_id = (uint32_t)idhi << 16 | idlo;
            nh = next;
            if ((offfl >> 3) != 0) { /* not the first fragment: no L4 header */
                m->proto = nh;
                *c = ip;
                return DEC_OK;
            }
            continue;
        }
        default: break;
        }
        break;
    }
    m->proto = nh;
    if (nh != NH_ESP && nh != NH_NONE)
        decode__transport(&ip, m);
    *c = ip;
    return DEC_OK;
}

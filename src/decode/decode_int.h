/*
 * decode_int.h - internals shared by the decoders of this directory.
 */
#ifndef PCTS_DECODE_INT_H
#define PCTS_DECODE_INT_H

#include "cursor.h"
#include "decode.h"

#include <string.h>

/* Bounds on loops over stacked headers (Suricata's decoder_max_layers idea). */
#define DEC_MAX_LINK_LAYERS 16 /* VLAN tags + MPLS labels + PPPoE, in total */
#define DEC_MAX_IPV6_EXT 16

/* decode_frame() without its fast path for the commonest frame: what that
 * path must agree with (tests compare the two). */
enum dec_result decode_frame_general(uint32_t linktype, const uint8_t *data, uint32_t caplen,
                                     struct pkt_meta *m);
/*
 * An IPv4 address (4 bytes at a) into a pkt_meta address field, whose
 * bytes 4-15 the caller's memset zeroed: stored as 8 bytes, the address
 * then zeroes, so that a consumer's 8-byte load of the field's first half
 * (a key's word, hash40_rd64) is served from this one store.  After a
 * 4-byte store it waited for both that store and the memset's to reach the
 * cache (a failed store-to-load forwarding): 15% of the packet series'
 * loop samples sat on that load (perf annotate, 10 M bench file).
 */
static inline void decode__put_ip4(uint8_t *field, const uint8_t *a)
{
    const uint8_t w[8] = {a[0], a[1], a[2], a[3], 0, 0, 0, 0};
    memcpy(field, w, 8);
}

enum dec_result decode__ethertype(struct cursor *c, uint16_t type, struct pkt_meta *m, int depth);
enum dec_result decode__ip_any(struct cursor *c, struct pkt_meta *m);
enum dec_result decode__ipv4(struct cursor *c, struct pkt_meta *m);
enum dec_result decode__ipv6(struct cursor *c, struct pkt_meta *m);
void decode__transport(struct cursor *c, struct pkt_meta *m);

#endif

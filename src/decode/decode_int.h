/*
 * decode_int.h - internals shared by the decoders of this directory.
 */
#ifndef PCTS_DECODE_INT_H
#define PCTS_DECODE_INT_H

#include "cursor.h"
#include "decode.h"

/* Bounds on loops over stacked headers (Suricata's decoder_max_layers idea). */
#define DEC_MAX_LINK_LAYERS 16 /* VLAN tags + MPLS labels + PPPoE, in total */
#define DEC_MAX_IPV6_EXT 16

/* decode_frame() without its fast path for the commonest frame: what that
 * path must agree with (tests compare the two). */
enum dec_result decode_frame_general(uint32_t linktype, const uint8_t *data, uint32_t caplen,
                                     struct pkt_meta *m);
enum dec_result decode__ethertype(struct cursor *c, uint16_t type, struct pkt_meta *m, int depth);
enum dec_result decode__ip_any(struct cursor *c, struct pkt_meta *m);
enum dec_result decode__ipv4(struct cursor *c, struct pkt_meta *m);
enum dec_result decode__ipv6(struct cursor *c, struct pkt_meta *m);
void decode__transport(struct cursor *c, struct pkt_meta *m);

#endif

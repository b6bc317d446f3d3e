/*
 * fuzz_decode.c - libFuzzer target: one frame through decode_frame().
 *
 * The first byte picks the link type (one of those pcts decodes, or an
 * arbitrary value), the rest is the frame, copied into an exactly sized
 * buffer so that ASan catches any over-read.  decode_frame()'s fast path
 * for the commonest frame must give what the general path gives, field
 * for field.
 */
#include "decode/decode.h"
#include "decode/decode_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t linktypes[] = {0,   1,   9,   10,  12,  14,  50,  51,  101, 104, 105,
                                     108, 113, 127, 226, 228, 229, 239, 242, 258, 276};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t nlt = sizeof(linktypes) / sizeof(linktypes[0]);
    uint32_t lt = data[0] < nlt ? linktypes[data[0]] : data[0];
    size_t len = size - 1;
    uint8_t *frame = malloc(len ? len : 1);
    if (!frame)
        return 0;
    memcpy(frame, data + 1, len);
    struct pkt_meta m;
    enum dec_result r = decode_frame(lt, frame, (uint32_t)len, &m);
    if (r >= DEC__COUNT)
        abort(); /* an impossible result is a bug */
    if (r == DEC_OK && m.family != 4 && m.family != 6)
        abort();
    struct pkt_meta g;
    if (decode_frame_general(lt, frame, (uint32_t)len, &g) != r)
        abort();
    if (r == DEC_OK &&
        (m.family != g.family || m.proto != g.proto || m.has_ports != g.has_ports ||
         m.is_frag != g.is_frag || m.frag_first != g.frag_first || m.tcp_flags != g.tcp_flags ||
         m.icmp_type != g.icmp_type || m.icmp_code != g.icmp_code || m.anomalies != g.anomalies ||
         m.sport != g.sport || m.dport != g.dport || m.frag_id != g.frag_id || m.vlan != g.vlan ||
         m.icmp_id != g.icmp_id || m.icmp_query != g.icmp_query || m.payload != g.payload ||
         m.payload_len != g.payload_len || m.tcp_seq != g.tcp_seq || memcmp(m.src, g.src, 16) ||
         memcmp(m.dst, g.dst, 16)))
        abort();
    free(frame);
    return 0;
}

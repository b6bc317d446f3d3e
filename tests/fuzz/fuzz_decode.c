/*
 * fuzz_decode.c - libFuzzer target: one frame through decode_frame().
 *
 * The first byte picks the link type (one of those pcts decodes, or an
 * arbitrary value), the rest is the frame, copied into an exactly sized
 * buffer so that ASan catches any over-read.
 */
#include "decode/decode.h"

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
    free(frame);
    return 0;
}

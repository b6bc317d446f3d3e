/*
 * fuzz_reader.c - libFuzzer target: a whole capture file (pcap, pcapng,
 * gzip, zstd, or garbage) through the reader (in batches) and the decoder.
 *
 * The input is copied into an exactly sized allocation so ASan sees any
 * read past its end (skeeto's advice; libFuzzer's buffer may be larger).
 */
#include "capture/reader.h"
#include "decode/decode.h"
#include "util/err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    char msg[ERRMSG_MAX];
    struct reader *r;
    if (reader_open_mem(&r, copy, size, "fuzz", msg) == 0) {
        struct pkt p[16];
        struct pkt_meta m;
        /* In batches of 1 to 16 (from the input's size), every record of a
         * batch decoded after the batch is read: their data must still be
         * there.  Bounded: a crafted file must not make one input run
         * forever. */
        size_t max = size % 16 + 1, k;
        for (int i = 0; i < 100000 && reader_next_batch(r, p, max, &k, msg) == 1; i += (int)k)
            for (size_t j = 0; j < k; j++)
                (void)decode_frame(p[j].linktype, p[j].data, p[j].caplen, &m);
        reader_free(r);
    }
    free(copy);
    return 0;
}

/*
 * fuzz_reader.c - libFuzzer target: a whole capture file (pcap, pcapng,
 * gzip, zstd, or garbage) through the reader and the decoder.
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
        struct pkt p;
        struct pkt_meta m;
        /* Bounded: a crafted file must not make one input run forever. */
        for (int i = 0; i < 100000 && reader_next(r, &p, msg) == 1; i++)
            (void)decode_frame(p.linktype, p.data, p.caplen, &m);
        reader_free(r);
    }
    free(copy);
    return 0;
}

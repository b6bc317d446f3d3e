/*
 * fuzz_quic.c - libFuzzer target: a UDP payload through quic_initial_sni()
 * (long-header parsing, key derivation, header protection, AEAD, CRYPTO
 * frame reassembly, the table of ClientHellos waiting for their next
 * Initial, then the ClientHello parser).  An exactly sized copy so
 * ASan sees over-reads; the name must come back NUL-terminated and valid.
 */
#include "decode/quic.h"

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
    /* each input on its own, then through a reassembly table twice: a
     * ClientHello the first pass left waiting meets itself again (the
     * merge of a packet's bytes with a waiting entry's) */
    struct quic_reasm *r = quic_reasm_new();
    for (int pass = 0; pass < 3; pass++) {
        char out[NAME_MAX_LEN + 1];
        memset(out, 'x', sizeof(out));
        int rc = quic_initial_sni(pass ? r : NULL, 7, copy, size, out);
        if (rc < -1 || rc > 1 || !memchr(out, '\0', sizeof(out)))
            abort();
        if (rc == 1)
            for (const char *p = out; *p; p++)
                if (!name_char_ok((unsigned char)*p))
                    abort();
    }
    if (quic_reasm_pending(r) > 1)
        abort(); /* one connection, one entry at most */
    quic_reasm_free(r);
    free(copy);
    return 0;
}

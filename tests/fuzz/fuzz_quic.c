/*
 * fuzz_quic.c - libFuzzer target: a UDP payload through quic_initial_sni()
 * (long-header parsing, key derivation, header protection, AEAD, CRYPTO
 * frame reassembly, then the ClientHello parser).  An exactly sized copy so
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
    char out[NAME_MAX_LEN + 1];
    memset(out, 'x', sizeof(out));
    int rc = quic_initial_sni(copy, size, out);
    if (rc < -1 || rc > 1 || !memchr(out, '\0', sizeof(out)))
        abort();
    if (rc == 1)
        for (const char *p = out; *p; p++)
            if (!name_char_ok((unsigned char)*p))
                abort();
    free(copy);
    return 0;
}

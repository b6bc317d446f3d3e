/*
 * fuzz_quic.c - libFuzzer target: a UDP payload through quic_initial_sni()
 * (long-header parsing, key derivation, header protection, AEAD, CRYPTO
 * frame reassembly, the table of ClientHellos waiting for their next
 * Initial, then the ClientHello parser), and the same input as decrypted
 * frames in two halves through quic_crypto_sni() (past the AEAD, which
 * fuzzed bytes never pass).  An exactly sized copy so
 * ASan sees over-reads; the name must come back NUL-terminated and valid.
 */
#include "decode/quic.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A result in range, the name NUL-terminated and valid. */
static void check(int rc, const char out[NAME_MAX_LEN + 1])
{
    if (rc < -1 || rc > 1 || !memchr(out, '\0', NAME_MAX_LEN + 1))
        abort();
    if (rc == 1)
        for (const char *p = out; *p; p++)
            if (!name_char_ok((unsigned char)*p))
                abort();
}

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
        check(quic_initial_sni(pass ? r : NULL, 7, copy, size, out), out);
    }
    if (quic_reasm_pending(r) > 1)
        abort(); /* one connection, one entry at most */
    quic_reasm_free(r);

    /* The decrypted side, which no input reaches through AES-GCM: the
     * input as [cut][dl][dcid][frames...], the frames cut in two Initials
     * fed in turn to a table (and each alone), under two connection keys
     * for the second so that both the merge and a miss are taken. */
    if (size >= 2) {
        size_t dl = data[1] % 21;
        if (2 + dl <= size) {
            const uint8_t *dcid = copy + 2, *pt = copy + 2 + dl;
            size_t n = size - 2 - dl, cut = n * data[0] / 255;
            r = quic_reasm_new();
            for (int pass = 0; pass < 4; pass++) {
                char out[NAME_MAX_LEN + 1];
                memset(out, 'x', sizeof(out));
                const uint8_t *q = pass & 1 ? pt + cut : pt;
                size_t qn = pass & 1 ? n - cut : cut;
                check(quic_crypto_sni(pass < 2 ? r : NULL, pass == 3 ? 2 : 1, dcid, dl, q, qn, out),
                      out);
            }
            if (quic_reasm_pending(r) > 1)
                abort();
            quic_reasm_free(r);
        }
    }
    free(copy);
    return 0;
}

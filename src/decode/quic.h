/*
 * quic.h - the server name (SNI) of a QUIC connection from the client's
 * Initial packets (see quic.c).
 */
#ifndef PCTS_QUIC_H
#define PCTS_QUIC_H

#include "names.h"

#include <stddef.h>
#include <stdint.h>

/*
 * ClientHellos spread over several Initial packets wait here for the
 * client's next Initial (at most 16 at a time, 8 KiB each; the oldest
 * gives way), and the last 32 connections named are remembered, so that
 * their later Initials do not wait.  One per reading thread.
 */
struct quic_reasm;
struct quic_reasm *quic_reasm_new(void); /* NULL when out of memory */
void quic_reasm_free(struct quic_reasm *r);
size_t quic_reasm_pending(const struct quic_reasm *r); /* (tests) */

/*
 * p/len: a UDP payload.  1 with out filled, 0 if it is not a client
 * Initial or its ClientHello has no SNI yet, -1 if it looks like one but
 * does not decrypt or parse.  With r, a ClientHello not complete in this
 * packet waits in r for the client's next Initial to the same Destination
 * Connection ID and conn (the caller's key for the client and server
 * addresses and ports); without, only this packet is read.
 */
int quic_initial_sni(struct quic_reasm *r, uint64_t conn, const uint8_t *p, size_t len,
                     char out[NAME_MAX_LEN + 1]);

/* Its second half, after the decryption: pt/len the plaintext of a client
 * Initial (its frames) for Destination Connection ID dcid (dl bytes, at
 * most 20); the same results.  Apart for the fuzzer, which cannot make an
 * AEAD tag. */
int quic_crypto_sni(struct quic_reasm *r, uint64_t conn, const uint8_t *dcid, size_t dl,
                    const uint8_t *pt, size_t len, char out[NAME_MAX_LEN + 1]);

#endif

/*
 * quic.h - the server name (SNI) of a QUIC connection from the client's
 * first Initial packet (see quic.c).
 */
#ifndef PCTS_QUIC_H
#define PCTS_QUIC_H

#include "names.h"

#include <stddef.h>
#include <stdint.h>

/* p/len: a UDP payload.  1 with out filled, 0 if it is not a client
 * Initial with the SNI in its first packet, -1 if it looks like one but
 * does not decrypt or parse. */
int quic_initial_sni(const uint8_t *p, size_t len, char out[NAME_MAX_LEN + 1]);

#endif

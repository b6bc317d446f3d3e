/*
 * source.h - a byte stream from a file or standard input, decompressed on
 * the fly when the content (not the name) says gzip or zstd.
 *
 * The stream is read through one buffer that the source owns.  A caller asks
 * for the next n bytes with bytesrc_need(); the pointer it gets stays valid
 * until the next need() on the same source.  Offsets are positions in the
 * decompressed stream, which is what a user can find with a hex editor after
 * decompressing; the compressed position is kept for progress reporting.
 */
#ifndef PCTS_SOURCE_H
#define PCTS_SOURCE_H

#include <stddef.h>
#include <stdint.h>

enum src_kind { SRC_PLAIN, SRC_GZIP, SRC_ZSTD };

struct bytesrc;

/* Open path ("-" is standard input).  On failure *out is NULL and msg says
 * what happened.  Compressed formats we do not read (xz, bzip2, zip, lz4)
 * are named in the error. */
int bytesrc_open(struct bytesrc **out, const char *path, char *msg);

/* The same over a caller-owned memory block (fuzzing, tests): it must stay
 * valid until bytesrc_free().  name is used in messages. */
int bytesrc_open_mem(struct bytesrc **out, const uint8_t *data, size_t len, const char *name,
                     char *msg);

/*
 * Make n bytes available at *p.  Returns 1 when they are, 0 when the stream
 * ends first (*got says how many bytes were left, 0 at a clean end), or a
 * negative enum err with msg set (read error, corrupt compressed data).
 */
int bytesrc_need(struct bytesrc *s, size_t n, const uint8_t **p, size_t *got, char *msg);

void bytesrc_consume(struct bytesrc *s, size_t n);

/*
 * For compressed input whose first bytes are no capture: the
 * decompressor's own error within the next `ahead` bytes, if it reports
 * one (negative enum err, msg set), else 0.  A damaged deflate block can
 * pass bytes on before its damage is found, and "corrupt gzip data" says
 * more than "not a capture file".  Plain input: always 0.  Reads ahead
 * without consuming (ahead at most the buffer's 1 MiB).
 */
int bytesrc_error_ahead(struct bytesrc *s, size_t ahead, char *msg);

/* The bytes already buffered, at *p, without reading: valid until the next bytesrc_need() or
 * bytesrc_consume(). */
size_t bytesrc_buffered(const struct bytesrc *s, const uint8_t **p);

/* Offset of the next unconsumed byte in the (decompressed) stream. */
uint64_t bytesrc_pos(const struct bytesrc *s);

/* Bytes read from the underlying file so far, and its size (0 if unknown). */
uint64_t bytesrc_raw_pos(const struct bytesrc *s);
uint64_t bytesrc_raw_size(const struct bytesrc *s);

enum src_kind bytesrc_kind(const struct bytesrc *s);

/* Which library decompresses gzip input opened from now on: "isa-l" (the
 * default where pcts was built with it) or "zlib".  source_gzip_zlib(1)
 * makes it zlib (tests compare the two); 0 restores the default. */
const char *source_gzip_engine(void);
void source_gzip_zlib(int on);

void bytesrc_free(struct bytesrc *s);

#endif

/*
 * cursor.h - the only way pcts reads bytes of a packet or of a file header.
 *
 * A cursor is a window [p, p+len) with a read offset.  Every accessor checks
 * that the bytes it needs lie inside the window and returns -1 (and leaves
 * the output untouched) when they do not, so a truncated or crafted input
 * can never make a decoder read outside its buffer.  Multi-byte reads are
 * assembled byte by byte: no casts of packet bytes to wider types, so
 * alignment and host byte order never matter (tcpdump's GET_BE_U_2 idea).
 *
 * cur_sub() narrows a window to a length declared on the wire (an IPv4 total
 * length, a pcapng block length), so padding after it is never parsed.
 *
 * The functions are static inline because they sit on the per-packet path;
 * each is a compare and a few loads.
 */
#ifndef PCTS_CURSOR_H
#define PCTS_CURSOR_H

#include <stddef.h>
#include <stdint.h>

struct cursor {
    const uint8_t *p;
    size_t len; /* bytes in the window */
    size_t off; /* next byte to read */
};

static inline void cur_init(struct cursor *c, const uint8_t *p, size_t len)
{
    c->p = p;
    c->len = len;
    c->off = 0;
}

static inline size_t cur_left(const struct cursor *c)
{
    return c->len - c->off;
}

static inline int cur_has(const struct cursor *c, size_t n)
{
    return n <= c->len - c->off;
}

static inline int cur_skip(struct cursor *c, size_t n)
{
    if (!cur_has(c, n))
        return -1;
    c->off += n;
    return 0;
}

/* Peek at byte i ahead of the offset without consuming it. */
static inline int cur_peek_u8(const struct cursor *c, size_t i, uint8_t *out)
{
    if (i >= c->len - c->off)
        return -1;
    *out = c->p[c->off + i];
    return 0;
}

static inline int cur_peek_be16(const struct cursor *c, size_t i, uint16_t *out)
{
    if (c->len - c->off < 2 || i > c->len - c->off - 2)
        return -1;
    const uint8_t *b = c->p + c->off + i;
    *out = (uint16_t)((unsigned)b[0] << 8 | b[1]);
    return 0;
}

static inline int cur_peek_be32(const struct cursor *c, size_t i, uint32_t *out)
{
    if (c->len - c->off < 4 || i > c->len - c->off - 4)
        return -1;
    const uint8_t *b = c->p + c->off + i;
    *out = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    return 0;
}

static inline int cur_u8(struct cursor *c, uint8_t *out)
{
    if (!cur_has(c, 1))
        return -1;
    *out = c->p[c->off++];
    return 0;
}

static inline int cur_be16(struct cursor *c, uint16_t *out)
{
    if (!cur_has(c, 2))
        return -1;
    const uint8_t *b = c->p + c->off;
    *out = (uint16_t)((unsigned)b[0] << 8 | b[1]);
    c->off += 2;
    return 0;
}

static inline int cur_le16(struct cursor *c, uint16_t *out)
{
    if (!cur_has(c, 2))
        return -1;
    const uint8_t *b = c->p + c->off;
    *out = (uint16_t)((unsigned)b[1] << 8 | b[0]);
    c->off += 2;
    return 0;
}

static inline int cur_be32(struct cursor *c, uint32_t *out)
{
    if (!cur_has(c, 4))
        return -1;
    const uint8_t *b = c->p + c->off;
    *out = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    c->off += 4;
    return 0;
}

static inline int cur_le32(struct cursor *c, uint32_t *out)
{
    if (!cur_has(c, 4))
        return -1;
    const uint8_t *b = c->p + c->off;
    *out = (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
    c->off += 4;
    return 0;
}

/* 32-bit read in the byte order of a file section (swap = big-endian). */
static inline int cur_u32e(struct cursor *c, int big_endian, uint32_t *out)
{
    return big_endian ? cur_be32(c, out) : cur_le32(c, out);
}

static inline int cur_u16e(struct cursor *c, int big_endian, uint16_t *out)
{
    return big_endian ? cur_be16(c, out) : cur_le16(c, out);
}

/*
 * A view of the next n bytes, checked once: a pointer to them, or NULL when
 * fewer remain (nothing is consumed).  Read inside it with view_be16(); a
 * fixed header is then one bounds check instead of one per field.
 */
static inline const uint8_t *cur_view(const struct cursor *c, size_t n)
{
    return cur_has(c, n) ? c->p + c->off : NULL;
}

/* Big-endian 16 bits at byte i of a view that cur_view() granted for more
 * than i + 1 bytes. */
static inline uint16_t view_be16(const uint8_t *v, size_t i)
{
    return (uint16_t)((unsigned)v[i] << 8 | v[i + 1]);
}

/* Big-endian 32 bits at byte i of a view granted for more than i + 3. */
static inline uint32_t view_be32(const uint8_t *v, size_t i)
{
    return (uint32_t)v[i] << 24 | (uint32_t)v[i + 1] << 16 | (uint32_t)v[i + 2] << 8 | v[i + 3];
}

/* Copy n bytes out (addresses). */
static inline int cur_copy(struct cursor *c, void *dst, size_t n)
{
    if (!cur_has(c, n))
        return -1;
    const uint8_t *s = c->p + c->off;
    uint8_t *d = dst;
    for (size_t i = 0; i < n; i++)
        d[i] = s[i];
    c->off += n;
    return 0;
}

/*
 * A new cursor over the next n bytes; the parent advances past them.  When
 * fewer than n bytes remain, returns -1 and changes nothing.
 */
static inline int cur_sub(struct cursor *c, size_t n, struct cursor *inner)
{
    if (!cur_has(c, n))
        return -1;
    cur_init(inner, c->p + c->off, n);
    c->off += n;
    return 0;
}

/* The rest of the window as a new cursor (the parent is not advanced). */
static inline void cur_rest(const struct cursor *c, struct cursor *inner)
{
    cur_init(inner, c->p + c->off, c->len - c->off);
}

/* Shrink the window so that at most n bytes remain after the offset. */
static inline void cur_limit(struct cursor *c, size_t n)
{
    if (n < c->len - c->off)
        c->len = c->off + n;
}

#endif

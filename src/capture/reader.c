/*
 * reader.c - classic pcap and pcapng parsers (see reader.h for why they are
 * ours and not libpcap's).
 *
 * References: draft-ietf-opsawg-pcap (classic pcap, both magics, both byte
 * orders) and draft-ietf-opsawg-pcapng (SHB, IDB, EPB, OPB, SPB; unknown
 * blocks are skipped as the spec requires).
 *
 * Invariants: a record's bytes are requested from the source only after its
 * length was checked against READER_MAX_RECORD, so a crafted length cannot
 * make us allocate; every field is read through cursor.h.
 */
#include "reader.h"

#include "../decode/cursor.h"
#include "../util/err.h"
#include "../util/xalloc.h"
#include "source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum fmt { FMT_PCAP, FMT_PCAPNG };

struct iface {
    uint32_t linktype;
    uint32_t snaplen;
    uint8_t tsresol; /* pcapng if_tsresol byte; default 6 */
    int64_t tsoffset_s;
    /* set by iface_prepare(): ns_mul, ns a unit for a decimal resolution
     * of at most ns (else 0); ns_max, with no offset as well, the largest
     * time whose t * ns_mul needs no 128-bit arithmetic (else 0) */
    uint64_t ns_mul, ns_max;
};

struct reader {
    struct bytesrc *src;
    char *path;
    enum fmt fmt;
    int big_endian; /* current section / file */
    int done;       /* clean end or error reported */
    /* pcap */
    int nsec;
    uint32_t snaplen, linktype;
    /* classic pcap fast path: records parsed straight out of the source's
     * buffered bytes, win[0, used) parsed but not yet consumed */
    const uint8_t *win;
    size_t win_len, used;
    /* pcapng */
    struct iface *ifs;
    size_t n_ifs, cap_ifs;
    int ts_digits;
    char format_name[32];
    struct reader_notes notes;
};

#define PCAP_MAGIC_US 0xA1B2C3D4u
#define PCAP_MAGIC_NS 0xA1B23C4Du
#define PCAP_MAGIC_KUZNETZOV 0xA1B2CD34u
#define PCAPNG_SHB 0x0A0D0D0Au
#define PCAPNG_BOM 0x1A2B3C4Du

static uint32_t bswap32(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xFF00u) | ((v << 8) & 0xFF0000u) | (v << 24);
}

/* Name a format we recognise but do not read, so the user knows what to do. */
static const char *other_format(const uint8_t *b, size_t n)
{
    if (n >= 8 && !memcmp(b, "snoop\0\0\0", 8))
        return "a Solaris snoop capture (convert it with: editcap -F pcap IN OUT)";
    if (n >= 4 && !memcmp(b, "GMBU", 4))
        return "a Microsoft Network Monitor capture (convert it with: editcap -F pcap IN OUT)";
    if (n >= 4 && !memcmp(b, "XCP\0", 4))
        return "a NetXRay/Sniffer capture (convert it with: editcap -F pcap IN OUT)";
    if (n >= 12 && !memcmp(b, "TRSNIFF data", 12))
        return "a Sniffer capture (convert it with: editcap -F pcap IN OUT)";
    if (n >= 4) {
        uint32_t m = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        if (m == PCAP_MAGIC_KUZNETZOV || bswap32(m) == PCAP_MAGIC_KUZNETZOV)
            return "a Kuznetzov-modified pcap (convert it with: editcap -F pcap IN OUT)";
    }
    size_t text = 0;
    for (size_t i = 0; i < n; i++)
        if ((b[i] >= 0x20 && b[i] < 0x7F) || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')
            text++;
    if (n > 0 && text == n)
        return "text, not a capture file";
    return NULL;
}

static int fail(struct reader *r, int rc)
{
    r->done = 1;
    return rc;
}

/* ---- classic pcap ---------------------------------------------------- */

static int pcap_open_hdr(struct reader *r, const uint8_t *b, char *msg)
{
    struct cursor c;
    uint32_t magic, snaplen, lt;
    uint16_t major, minor;
    cur_init(&c, b, 24);
    cur_be32(&c, &magic);
    r->big_endian = magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS;
    r->nsec = magic == PCAP_MAGIC_NS || bswap32(magic) == PCAP_MAGIC_NS;
    if (cur_u16e(&c, r->big_endian, &major) || cur_u16e(&c, r->big_endian, &minor) ||
        cur_skip(&c, 8) || cur_u32e(&c, r->big_endian, &snaplen) ||
        cur_u32e(&c, r->big_endian, &lt))
        return ERR_TRUNCATED;
    if (major != 2) {
        errmsg_set(msg, "'%s': pcap version %u.%u is not supported (only 2.x exists)", r->path,
                   major, minor);
        return ERR_UNSUPPORTED;
    }
    /* Bits 16-25 of the link type field are reserved; 26-31 carry FCS
     * information (draft-ietf-opsawg-pcap section 4).  Use bits 0-15. */
    if (lt & 0x03FF0000u)
        r->notes.reserved_linktype_bits++;
    r->linktype = lt & 0xFFFFu;
    r->snaplen = snaplen;
    r->ts_digits = r->nsec ? 9 : 6;
    snprintf(r->format_name, sizeof(r->format_name), "%s", r->nsec ? "pcap-ns" : "pcap");
    return 0;
}

/* Hand the records parsed from the window back to the source. */
static void win_commit(struct reader *r)
{
    if (r->used)
        bytesrc_consume(r->src, r->used);
    r->win = NULL;
    r->win_len = r->used = 0;
}

/* Past this many parsed bytes the window is committed, so the source can
 * refill its buffer and the progress bar moves. */
#define WIN_COMMIT ((size_t)1 << 20)

/* The fast paths prefetch the input this many bytes ahead: a record's
 * first bytes were a cache miss that the hardware's stream prefetch left
 * (pcap_fast's samples -30% with 2 KiB, alike up to 8 KiB; perf, one
 * thread, 10 M file). */
#define PF_AHEAD 2048

/* A 32-bit field of the file's byte order, whatever the host's. */
static inline uint32_t rd32e(const uint8_t *b, int big_endian)
{
    return big_endian ? (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]
                      : (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

/* What a classic pcap record is checked and scaled against: the reader's
 * fields, read once (pcap_fast keeps them in registers for a batch). */
struct pcap_rules {
    uint32_t snap;     /* the snapshot length, or UINT32_MAX for none */
    uint32_t frac_max; /* the first invalid value of the fraction */
    uint32_t lt;
    int64_t frac_ns; /* ns in a unit of the fraction */
};

static inline struct pcap_rules pcap_rules(const struct reader *r)
{
    return (struct pcap_rules){r->snaplen ? r->snaplen : UINT32_MAX,
                               r->nsec ? 1000000000u : 1000000u, r->linktype, r->nsec ? 1 : 1000};
}

/* A classic pcap record whose header passed the length checks, into *p
 * (both paths): the tolerated oddities counted (one test for the three,
 * rarely true), the time in ns. */
static inline void pcap_record(struct reader *r, const struct pcap_rules *k, struct pkt *p,
                               uint32_t sec, uint32_t frac, uint32_t caplen, uint32_t len,
                               const uint8_t *data)
{
    if ((caplen > k->snap) | (caplen > len) | (frac >= k->frac_max)) {
        r->notes.caplen_over_snaplen += caplen > k->snap;
        r->notes.caplen_over_wirelen += caplen > len;
        r->notes.bad_ts_fraction += frac >= k->frac_max;
    }
    p->ts_ns = (int64_t)sec * 1000000000 + (int64_t)frac * k->frac_ns;
    p->caplen = caplen;
    p->wirelen = len;
    p->linktype = k->lt;
    p->data = data;
}

/* A record of len bytes was parsed from the window: past WIN_COMMIT bytes,
 * hand them back.  Consuming never moves the bytes: the records' data
 * stays valid until the source's next need(). */
static void win_advance(struct reader *r, size_t len)
{
    r->used += len;
    if (r->used >= WIN_COMMIT) {
        bytesrc_consume(r->src, r->used);
        r->win_len = bytesrc_buffered(r->src, &r->win);
        r->used = 0;
    }
}

/*
 * Classic pcap records, fast path: while the next record is complete in the
 * bytes the source already holds, parse it there with the same checks as
 * pcap_next_slow() and no call into the source per record.  The per-record
 * calls (position, two need()s, consume) were a third of the instructions
 * of reading a packet.  Anything unusual (a record cut by the buffer end, a
 * bad length, end of data) is left to the slow path, which reports it.
 * Records go to p[k..max); returns the new k.
 *
 * The reader's fields live in locals for the run (a store to a record may
 * alias them as far as the compiler knows: they were loaded again for every
 * record) and the byte order is a constant where reader_next_batch
 * instantiates it: 52.7 to 47.7 instructions a record (callgrind), where a
 * call a record had been 18 of 71 before it was inlined.
 */
__attribute__((always_inline)) static inline size_t pcap_fast(struct reader *r, struct pkt *p,
                                                              size_t k, size_t max, int be)
{
    const struct pcap_rules rules = pcap_rules(r);
    const uint8_t *win = r->win;
    size_t win_len = r->win_len, used = r->used;
    while (k < max) {
        size_t left = win_len - used;
        if (left < 16)
            break;
        const uint8_t *h = win + used;
        if (left > PF_AHEAD)
            __builtin_prefetch(h + PF_AHEAD);
        uint32_t sec = rd32e(h, be), frac = rd32e(h + 4, be), caplen = rd32e(h + 8, be),
                 len = rd32e(h + 12, be);
        if (caplen > READER_MAX_RECORD || left - 16 < caplen)
            break;
        pcap_record(r, &rules, &p[k++], sec, frac, caplen, len, h + 16);
        used += 16 + (size_t)caplen;
        if (used >= WIN_COMMIT) { /* win_advance(): the window moves on */
            r->used = used;
            win_advance(r, 0);
            win = r->win;
            win_len = r->win_len;
            used = r->used;
        }
    }
    r->used = used;
    return k;
}

static int pcap_next_slow(struct reader *r, struct pkt *p, char *msg)
{
    const uint8_t *b;
    size_t got;
    uint64_t off = bytesrc_pos(r->src);
    int rc = bytesrc_need(r->src, 16, &b, &got, msg);
    if (rc < 0)
        return fail(r, rc);
    if (rc == 0) {
        if (got == 0)
            return fail(r, 0);
        errmsg_set(msg, "'%s': truncated record header at byte %llu: wanted 16 bytes, got %zu",
                   r->path, (unsigned long long)off, got);
        return fail(r, ERR_TRUNCATED);
    }
    struct cursor c;
    uint32_t sec, frac, caplen, len;
    cur_init(&c, b, 16);
    cur_u32e(&c, r->big_endian, &sec);
    cur_u32e(&c, r->big_endian, &frac);
    cur_u32e(&c, r->big_endian, &caplen);
    cur_u32e(&c, r->big_endian, &len);
    if (caplen > READER_MAX_RECORD) {
        errmsg_set(msg,
                   "'%s': record at byte %llu claims %u captured bytes (limit %u): the file is "
                   "damaged from here on",
                   r->path, (unsigned long long)off, caplen, READER_MAX_RECORD);
        return fail(r, ERR_CORRUPT);
    }
    rc = bytesrc_need(r->src, 16 + (size_t)caplen, &b, &got, msg);
    if (rc < 0)
        return fail(r, rc);
    if (rc == 0) {
        errmsg_set(msg,
                   "'%s': last record at byte %llu is cut short: wanted %u bytes, got %zu "
                   "(capture was interrupted?)",
                   r->path, (unsigned long long)off, 16 + caplen, got);
        return fail(r, ERR_TRUNCATED);
    }
    const struct pcap_rules rules = pcap_rules(r);
    pcap_record(r, &rules, p, sec, frac, caplen, len, b + 16);
    bytesrc_consume(r->src, 16 + (size_t)caplen);
    return 1;
}

/* ---- pcapng ------------------------------------------------------------ */

/* Walk the options of a block body; cb sees each (code, value). */
typedef void (*opt_cb)(struct reader *r, uint16_t code, struct cursor *val, void *ctx);

static int walk_options(struct reader *r, struct cursor *c, opt_cb cb, void *ctx)
{
    while (cur_left(c) >= 4) {
        uint16_t code, len;
        if (cur_u16e(c, r->big_endian, &code) || cur_u16e(c, r->big_endian, &len))
            return -1;
        if (code == 0) /* opt_endofopt */
            return 0;
        struct cursor val;
        if (cur_sub(c, len, &val))
            return -1;
        if (cb)
            cb(r, code, &val, ctx);
        if (cur_skip(c, (4 - (len & 3)) & 3))
            return -1;
    }
    return 0;
}

static void idb_option(struct reader *r, uint16_t code, struct cursor *val, void *ctx)
{
    struct iface *ifc = ctx;
    if (code == 9) { /* if_tsresol */
        uint8_t v;
        if (!cur_u8(val, &v))
            ifc->tsresol = v;
    } else if (code == 14) { /* if_tsoffset, seconds */
        uint32_t a, b;
        if (!cur_u32e(val, r->big_endian, &a) && !cur_u32e(val, r->big_endian, &b)) {
            uint64_t v = r->big_endian ? ((uint64_t)a << 32 | b) : ((uint64_t)b << 32 | a);
            ifc->tsoffset_s = (int64_t)v;
        }
    }
}

static void iface_prepare(struct iface *ifc)
{
    ifc->ns_mul = ifc->ns_max = 0;
    if ((ifc->tsresol & 0x80) || ifc->tsresol > 9)
        return;
    uint64_t mul = 1;
    for (unsigned i = ifc->tsresol; i < 9; i++)
        mul *= 10;
    ifc->ns_mul = mul;
    if (!ifc->tsoffset_s)
        ifc->ns_max = (uint64_t)INT64_MAX / mul;
}

/* Decimals a time of this resolution prints with: 6 when its units are
 * exact in 6 (10^-k and 2^-k seconds with k <= 6: 2^-k is 5^k / 10^k),
 * else 9, the nanoseconds pcts keeps (README: "6 or 9"; 10^-7 had printed
 * 7, and 2^-10 6, cutting .3330078125 to .333007). */
static int ts_digits_of(uint8_t res)
{
    return (res & 0x7F) <= 6 ? 6 : 9;
}

/* ns of a count of interface units, or more than INT64_MAX. */
static unsigned __int128 units_to_ns(const struct iface *ifc, unsigned __int128 mag)
{
    uint8_t res = ifc->tsresol;
    if (res & 0x80) {
        unsigned e = res & 0x7F;
        return e >= 127 ? 0 : (mag * 1000000000u) >> e;
    }
    if (res <= 9)
        return mag * ifc->ns_mul;
    for (unsigned i = 9; i < res && mag; i++)
        mag /= 10;
    return mag;
}

/*
 * Interface time units to ns.  The 64-bit count is unsigned (pcapng), but
 * writers store times before 1970 (or relative times below zero) as two's
 * complement, which keeps their intervals right where an unsigned reading
 * lands in the year 586,000.  So a count with its top bit set is read as
 * unsigned when that is a time pcts can hold (to 2262), as it always is in
 * units finer than a nanosecond (10^-10 s: 2000 to 2028), else as
 * negative.  Results beyond the int64 ns range are clamped and counted.
 */
static int64_t ts_convert(struct reader *r, const struct iface *ifc, uint64_t t)
{
    if (ifc->ns_max && t <= ifc->ns_max) /* the common case */
        return (int64_t)(t * ifc->ns_mul);
    const __int128 max = INT64_MAX;
    unsigned __int128 ns = units_to_ns(ifc, t);
    int neg = (int64_t)t < 0 && ns > (unsigned __int128)max;
    if (neg)
        ns = units_to_ns(ifc, (unsigned __int128)(~t) + 1);
    int clamped = ns > (unsigned __int128)max;
    if (clamped)
        ns = (unsigned __int128)max;
    __int128 v = neg ? -(__int128)ns : (__int128)ns;
    v += (__int128)ifc->tsoffset_s * 1000000000;
    if (v > max || v < -max) {
        clamped = 1;
        v = v > 0 ? INT64_MAX : -INT64_MAX;
    }
    r->notes.ts_overflow += clamped; /* a record once, clamped by either step */
    return (int64_t)v;
}

static int shb_parse(struct reader *r, struct cursor *body, uint64_t off, char *msg)
{
    uint32_t bom;
    uint16_t major, minor;
    cur_be32(body, &bom); /* byte order already decided by the caller */
    if (cur_u16e(body, r->big_endian, &major) || cur_u16e(body, r->big_endian, &minor) ||
        cur_skip(body, 8)) {
        errmsg_set(msg, "'%s': section header block at byte %llu is too short", r->path,
                   (unsigned long long)off);
        return ERR_CORRUPT;
    }
    if (major != 1 || minor != 0) {
        errmsg_set(msg, "'%s': pcapng version %u.%u at byte %llu is not supported (only 1.0)",
                   r->path, major, minor, (unsigned long long)off);
        return ERR_UNSUPPORTED;
    }
    if (walk_options(r, body, NULL, NULL)) {
        errmsg_set(msg,
                   "'%s': section header block at byte %llu has an option longer than the "
                   "block: the file is damaged",
                   r->path, (unsigned long long)off);
        return ERR_CORRUPT;
    }
    r->n_ifs = 0; /* interface ids restart in each section */
    return 0;
}

/* Interfaces one section may describe: a capture has a handful, and each
 * costs memory (40 bytes) for a 20-byte block, so a crafted file of
 * nothing else had grown without bound (50 M of them, a 95 KB .zst, took
 * 2 GB).  65 536: every id an OPB can name. */
#define READER_MAX_IFACES 65536u

static int idb_parse(struct reader *r, struct cursor *body, uint64_t off, char *msg)
{
    uint16_t lt, reserved;
    uint32_t snaplen;
    if (cur_u16e(body, r->big_endian, &lt) || cur_u16e(body, r->big_endian, &reserved) ||
        cur_u32e(body, r->big_endian, &snaplen)) {
        errmsg_set(msg, "'%s': interface description block at byte %llu is too short", r->path,
                   (unsigned long long)off);
        return ERR_CORRUPT;
    }
    struct iface ifc = {lt, snaplen, 6, 0, 0, 0};
    if (walk_options(r, body, idb_option, &ifc)) {
        errmsg_set(msg,
                   "'%s': interface description block at byte %llu has an option longer "
                   "than the block: the file is damaged",
                   r->path, (unsigned long long)off);
        return ERR_CORRUPT;
    }
    iface_prepare(&ifc);
    if (r->n_ifs >= READER_MAX_IFACES) {
        errmsg_set(msg,
                   "'%s': interface description block at byte %llu: more than %u interfaces "
                   "in one section, the file is damaged",
                   r->path, (unsigned long long)off, READER_MAX_IFACES);
        return ERR_CORRUPT;
    }
    ALLOC_GROW(r->ifs, r->n_ifs + 1, r->cap_ifs);
    r->ifs[r->n_ifs++] = ifc;
    int d = ts_digits_of(ifc.tsresol);
    if (d > r->ts_digits)
        r->ts_digits = d;
    return 0;
}

/* Read one whole block: 1 with its type and body, 0 at a clean end, < 0. */
static int pcapng_block(struct reader *r, uint32_t *type_out, struct cursor *body,
                        uint64_t *off_out, char *msg)
{
    const uint8_t *b;
    size_t got;
    uint64_t off = bytesrc_pos(r->src);
    *off_out = off;
    int rc = bytesrc_need(r->src, 12, &b, &got, msg);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        if (got == 0)
            return 0;
        errmsg_set(msg, "'%s': truncated block header at byte %llu: wanted 12 bytes, got %zu",
                   r->path, (unsigned long long)off, got);
        return ERR_TRUNCATED;
    }
    struct cursor c;
    uint32_t type, len;
    cur_init(&c, b, 12);
    cur_be32(&c, &type);
    if (type == PCAPNG_SHB) {
        uint32_t bom;
        cur_skip(&c, 4);
        cur_be32(&c, &bom);
        if (bom == PCAPNG_BOM) {
            r->big_endian = 1;
        } else if (bswap32(bom) == PCAPNG_BOM) {
            r->big_endian = 0;
        } else {
            errmsg_set(msg, "'%s': section header at byte %llu has a bad byte-order magic", r->path,
                       (unsigned long long)off);
            return ERR_CORRUPT;
        }
    } else if (!r->big_endian) {
        type = bswap32(type);
    }
    cur_init(&c, b + 4, 4);
    cur_u32e(&c, r->big_endian, &len);
    if (len < 12 || (len & 3) || len > READER_MAX_RECORD + 4096) {
        errmsg_set(msg,
                   "'%s': block at byte %llu has an impossible length %u (must be a "
                   "multiple of 4 between 12 and %u): the file is damaged from here on",
                   r->path, (unsigned long long)off, len, READER_MAX_RECORD + 4096);
        return ERR_CORRUPT;
    }
    rc = bytesrc_need(r->src, len, &b, &got, msg);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        errmsg_set(msg, "'%s': last block at byte %llu is cut short: wanted %u bytes, got %zu",
                   r->path, (unsigned long long)off, len, got);
        return ERR_TRUNCATED;
    }
    uint32_t trailer;
    cur_init(&c, b + len - 4, 4);
    cur_u32e(&c, r->big_endian, &trailer);
    if (trailer != len) {
        errmsg_set(msg,
                   "'%s': block at byte %llu: trailing length %u differs from leading "
                   "length %u: the file is damaged from here on",
                   r->path, (unsigned long long)off, trailer, len);
        return ERR_CORRUPT;
    }
    cur_init(body, b + 8, len - 12);
    bytesrc_consume(r->src, len); /* b stays valid until the next need() */
    *type_out = type;
    return 1;
}

/* A pcapng packet block whose lengths passed the checks, into *p (both
 * paths): the tolerated oddities counted, the time in ns. */
static inline void epb_record(struct reader *r, const struct iface *ifc, struct pkt *p, uint64_t ts,
                              uint32_t caplen, uint32_t wirelen, const uint8_t *data)
{
    if (ifc->snaplen && caplen > ifc->snaplen)
        r->notes.caplen_over_snaplen++;
    if (caplen > wirelen)
        r->notes.caplen_over_wirelen++;
    p->ts_ns = ts_convert(r, ifc, ts);
    p->caplen = caplen;
    p->wirelen = wirelen;
    p->linktype = ifc->linktype;
    p->data = data;
}

/*
 * pcapng, fast path, as for classic pcap: an enhanced packet block complete
 * in the window, whose framing and fields pass every check the slow path
 * makes (length a multiple of 4 within bounds, trailer equal to it, a known
 * interface, the captured length inside the block), is parsed in place.
 * Everything else (other blocks, damage, a block cut by the buffer end) is
 * left to the slow path: 0 then, nothing consumed.  Blocks one at a time
 * through the source cost a quarter of the packet series' loop more than
 * classic pcap on the same packets.
 */
static int pcapng_fast(struct reader *r, struct pkt *p)
{
    enum { EPB_MIN = 32 }; /* type, length, 5 fields, trailer */
    size_t left = r->win_len - r->used;
    if (left < EPB_MIN)
        return 0;
    const uint8_t *b = r->win + r->used;
    if (left > PF_AHEAD)
        __builtin_prefetch(b + PF_AHEAD);
    int be = r->big_endian;
    uint32_t len = rd32e(b + 4, be);
    if (rd32e(b, be) != 6 || len < EPB_MIN || (len & 3) || len > left ||
        len > READER_MAX_RECORD + 4096 || rd32e(b + len - 4, be) != len)
        return 0;
    uint32_t ifid = rd32e(b + 8, be), caplen = rd32e(b + 20, be), wirelen = rd32e(b + 24, be);
    if (ifid >= r->n_ifs || caplen > len - EPB_MIN)
        return 0;
    epb_record(r, &r->ifs[ifid], p, (uint64_t)rd32e(b + 12, be) << 32 | rd32e(b + 16, be), caplen,
               wirelen, b + 28);
    win_advance(r, len);
    return 1;
}

static int pcapng_next_slow(struct reader *r, struct pkt *p, char *msg)
{
    for (;;) {
        uint32_t type;
        uint64_t off;
        struct cursor body;
        int rc = pcapng_block(r, &type, &body, &off, msg);
        if (rc <= 0)
            return fail(r, rc);
        switch (type) {
        case PCAPNG_SHB:
            rc = shb_parse(r, &body, off, msg);
            if (rc)
                return fail(r, rc);
            continue;
        case 1: /* IDB */
            rc = idb_parse(r, &body, off, msg);
            if (rc)
                return fail(r, rc);
            continue;
        case 6:   /* EPB */
        case 2: { /* OPB (obsolete) */
            uint32_t ifid, hi, lo, caplen, wirelen;
            int bad;
            if (type == 6) {
                bad = cur_u32e(&body, r->big_endian, &ifid);
            } else {
                uint16_t id16 = 0, drops; /* read only when the read succeeded */
                bad =
                    cur_u16e(&body, r->big_endian, &id16) || cur_u16e(&body, r->big_endian, &drops);
                ifid = id16;
            }
            bad = bad || cur_u32e(&body, r->big_endian, &hi) ||
                  cur_u32e(&body, r->big_endian, &lo) || cur_u32e(&body, r->big_endian, &caplen) ||
                  cur_u32e(&body, r->big_endian, &wirelen);
            if (bad || caplen > cur_left(&body)) {
                errmsg_set(msg,
                           "'%s': packet block at byte %llu is shorter than its captured "
                           "length: the file is damaged from here on",
                           r->path, (unsigned long long)off);
                return fail(r, ERR_CORRUPT);
            }
            if (ifid >= r->n_ifs) {
                errmsg_set(msg,
                           "'%s': packet block at byte %llu refers to interface %u, but only %zu "
                           "are described: the file is damaged from here on",
                           r->path, (unsigned long long)off, ifid, r->n_ifs);
                return fail(r, ERR_CORRUPT);
            }
            epb_record(r, &r->ifs[ifid], p, (uint64_t)hi << 32 | lo, caplen, wirelen,
                       body.p + body.off);
            return 1;
        }
        case 3: /* SPB: no timestamp, useless for a time series */
            r->notes.spb_no_timestamp++;
            continue;
        default: r->notes.skipped_blocks++; continue;
        }
    }
}

/* ---- common ------------------------------------------------------------ */

static int open_common(struct reader **out, struct bytesrc *src, const char *name, char *msg);

int reader_open(struct reader **out, const char *path, char *msg)
{
    *out = NULL;
    struct bytesrc *src;
    int rc = bytesrc_open(&src, path, msg);
    if (rc)
        return rc;
    return open_common(out, src, strcmp(path, "-") ? path : "(standard input)", msg);
}

int reader_open_mem(struct reader **out, const uint8_t *data, size_t len, const char *name,
                    char *msg)
{
    *out = NULL;
    struct bytesrc *src;
    int rc = bytesrc_open_mem(&src, data, len, name, msg);
    if (rc)
        return rc;
    return open_common(out, src, name, msg);
}

static int open_common(struct reader **out, struct bytesrc *src, const char *name, char *msg)
{
    int rc;
    struct reader *r = xcalloc(1, sizeof(*r));
    r->src = src;
    r->path = xstrdup(name);

    const uint8_t *b;
    size_t got;
    rc = bytesrc_need(src, 24, &b, &got, msg);
    if (rc < 0)
        goto out_fail;
    if (rc == 0 && got == 0) {
        errmsg_set(msg, "'%s' is empty (0 bytes): not a capture file", r->path);
        rc = ERR_FORMAT;
        goto out_fail;
    }
    size_t have = rc == 1 ? 24 : got;
    uint32_t magic = 0;
    if (have >= 4)
        magic = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    if (magic == PCAPNG_SHB) {
        r->fmt = FMT_PCAPNG;
        r->ts_digits = 6;
        snprintf(r->format_name, sizeof(r->format_name), "pcapng");
        /* Read the first SHB now so a bad version fails at open time. */
        uint32_t type;
        uint64_t off;
        struct cursor body;
        rc = pcapng_block(r, &type, &body, &off, msg);
        if (rc == 0) {
            errmsg_set(msg, "'%s': truncated pcapng section header", r->path);
            rc = ERR_TRUNCATED;
        }
        if (rc < 0)
            goto out_fail;
        rc = shb_parse(r, &body, off, msg);
        if (rc)
            goto out_fail;
    } else if (magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS ||
               bswap32(magic) == PCAP_MAGIC_US || bswap32(magic) == PCAP_MAGIC_NS) {
        if (have < 24) {
            errmsg_set(msg, "'%s': truncated pcap file header: wanted 24 bytes, got %zu", r->path,
                       have);
            rc = ERR_TRUNCATED;
            goto out_fail;
        }
        r->fmt = FMT_PCAP;
        rc = pcap_open_hdr(r, b, msg);
        if (rc)
            goto out_fail;
        bytesrc_consume(src, 24);
    } else {
        /* compressed: the decompressor's complaint, if it has one, is the cause */
        rc = bytesrc_error_ahead(src, (size_t)1 << 20, msg);
        if (rc < 0)
            goto out_fail;
        (void)bytesrc_buffered(src, &b); /* the buffer may have moved */
        const char *what = other_format(b, have);
        if (what)
            errmsg_set(msg, "'%s' is %s", r->path, what);
        else
            errmsg_set(msg,
                       "'%s' is not a capture file: unknown magic 0x%08x (pcts reads pcap and "
                       "pcapng, optionally gzip- or zstd-compressed)",
                       r->path, magic);
        rc = ERR_FORMAT;
        goto out_fail;
    }
    if (bytesrc_kind(src) != SRC_PLAIN) {
        size_t n = strlen(r->format_name);
        snprintf(r->format_name + n, sizeof(r->format_name) - n, "%s",
                 bytesrc_kind(src) == SRC_GZIP ? "+gzip" : "+zstd");
    }
    *out = r;
    return 0;
out_fail:
    reader_free(r);
    return rc;
}

int reader_next(struct reader *r, struct pkt *p, char *msg)
{
    if (r->done)
        return 0;
    int pcap = r->fmt == FMT_PCAP;
    if (pcap ? pcap_fast(r, p, 0, 1, r->big_endian) == 1 : pcapng_fast(r, p))
        return 1;
    /* the slow path reads through the source itself: the window first */
    win_commit(r);
    int rc = pcap ? pcap_next_slow(r, p, msg) : pcapng_next_slow(r, p, msg);
    if (rc == 1) /* p->data is consumed but still in place: keep reading after it */
        r->win_len = bytesrc_buffered(r->src, &r->win);
    return rc;
}

int reader_next_batch(struct reader *r, struct pkt *p, size_t max, size_t *n, char *msg)
{
    *n = 0;
    if (!max) /* nothing asked, nothing read */
        return 1;
    int rc = reader_next(r, &p[0], msg);
    if (rc != 1)
        return rc;
    /* then only what the fast paths take: they never call need(), so the
     * records already in p keep their data */
    size_t k = 1;
    if (r->fmt == FMT_PCAP && r->big_endian)
        k = pcap_fast(r, p, k, max, 1);
    else if (r->fmt == FMT_PCAP)
        k = pcap_fast(r, p, k, max, 0);
    else
        while (k < max && pcapng_fast(r, &p[k]))
            k++;
    *n = k;
    return 1;
}

const char *reader_format(const struct reader *r)
{
    return r->format_name;
}
int reader_ts_digits(const struct reader *r)
{
    return r->ts_digits;
}
const struct reader_notes *reader_notes(const struct reader *r)
{
    return &r->notes;
}
int reader_compressed(const struct reader *r)
{
    return bytesrc_kind(r->src) != SRC_PLAIN;
}
uint64_t reader_raw_pos(const struct reader *r)
{
    return bytesrc_raw_pos(r->src);
}
uint64_t reader_raw_size(const struct reader *r)
{
    return bytesrc_raw_size(r->src);
}

void reader_free(struct reader *r)
{
    if (!r)
        return;
    bytesrc_free(r->src);
    free(r->ifs);
    free(r->path);
    free(r);
}

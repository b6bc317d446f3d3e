/*
 * reader.h - packet records out of one capture file (pcap or pcapng, plain,
 * gzip or zstd).
 *
 * Which code reads what, and why:
 *  - classic pcap (both byte orders, micro- and nanosecond magic) and pcapng
 *    are parsed here, over source.h's buffered stream.  libpcap's offline
 *    reader refuses pcapng files whose interfaces have different link types
 *    ("an interface has a type different from the type of the first
 *    interface"), cannot read compressed streams, and its per-record
 *    pcap_next_ex() path is about 3x slower than walking a buffer (measured
 *    in the speed issue).  The parsers are small and every length is checked
 *    before use (libpcap's own rules: block length >= 12, multiple of 4,
 *    bounded, trailer equal to header).
 *  - libpcap still does what it does best: compiling and running BPF filters
 *    (see filter.h).
 *
 * Timestamps are signed 64-bit nanoseconds since the Unix epoch (good until
 * year 2262); every format's resolution is converted exactly.
 */
#ifndef PCTS_READER_H
#define PCTS_READER_H

#include <stddef.h>
#include <stdint.h>

struct pkt {
    int64_t ts_ns;
    uint32_t caplen;
    uint32_t wirelen;
    uint32_t linktype;
    const uint8_t *data; /* borrowed: valid until the next reader_next() (or _batch()) */
};

/* Counters for oddities the reader tolerates (reported in the summary). */
struct reader_notes {
    uint64_t spb_no_timestamp; /* pcapng simple packet blocks: no time, skipped */
    uint64_t bad_ts_fraction;  /* pcap usec >= 1e6 or nsec >= 1e9 */
    uint64_t ts_overflow;      /* pcapng time beyond the int64 ns range, clamped */
    uint64_t caplen_over_snaplen;
    uint64_t caplen_over_wirelen;
    uint64_t skipped_blocks;         /* pcapng blocks of unknown or unused types */
    uint64_t reserved_linktype_bits; /* pcap files with reserved link-type bits set */
};

struct reader;

/*
 * Open a capture.  Errors that make the file unusable (cannot open, not a
 * capture, unsupported version, header truncated) return < 0 with msg set.
 */
int reader_open(struct reader **out, const char *path, char *msg);

/* The same over a memory block that outlives the reader (fuzzing, tests). */
int reader_open_mem(struct reader **out, const uint8_t *data, size_t len, const char *name,
                    char *msg);

/*
 * Next record: 1 and *p filled, 0 at a clean end of file, or < 0 with msg
 * naming the file and byte offset (truncated record, corrupt block).  After
 * an error the reader returns 0 from then on.
 */
int reader_next(struct reader *r, struct pkt *p, char *msg);

/*
 * Up to max (>= 1) next records at once into p[0..*n): what reader_next() would
 * return one by one, and the same return values (1 with *n >= 1, 0 at the
 * end, < 0).  Their data stays valid until the next call: the batch stops
 * where reading on would move the source's bytes.  A loop over batches
 * costs fewer instructions a record than a call a record.
 */
int reader_next_batch(struct reader *r, struct pkt *p, size_t max, size_t *n, char *msg);

/* "pcap", "pcap-ns", "pcapng", each with "+gzip"/"+zstd" when compressed. */
const char *reader_format(const struct reader *r);

/* Decimal digits of the finest timestamp resolution seen (6 or 9 usually). */
int reader_ts_digits(const struct reader *r);

const struct reader_notes *reader_notes(const struct reader *r);
/* The input is decompressed (gzip, zstd) on a thread of its own. */
int reader_compressed(const struct reader *r);
uint64_t reader_raw_pos(const struct reader *r);
uint64_t reader_raw_size(const struct reader *r);

/* Maximum bytes of one record pcts accepts; larger means a damaged file. */
#define READER_MAX_RECORD (16u << 20)

void reader_free(struct reader *r);

#endif

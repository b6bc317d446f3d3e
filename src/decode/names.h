/*
 * names.h - host names carried in packet payloads: DNS messages (dns.c), the
 * TLS ClientHello server_name (tls.c) and the HTTP/1.x Host header (http.c).
 *
 * These parsers read attacker-controlled bytes, so they follow the decoder
 * contract of decode.h: the input is borrowed, every byte is read through
 * cursor.h, every loop has a fixed cap and consumes input on each turn.
 *
 * The parsers return 1 (found), 0 (well formed, or cut by the snapshot
 * length, but nothing to report) or -1 (malformed within the bytes there);
 * dns_tcp_strip and tls_stream_sni, which frame rather than parse, say
 * what theirs mean.  The DNS bytes alone cannot tell a cut from a message that ends early: the
 * caller tells dns_parse and dns_tcp_strip (their cut).  A name handed back is
 * always NUL-terminated inside NAME_MAX_LEN + 1 bytes, lowercase, without a
 * trailing dot, and made only of letters, digits, '-', '_', '.' and '*'
 * (name_char_ok); the exceptions are an HTTP Host that is an IPv6 literal,
 * returned with its brackets ("[2001:db8::1]", see http_request_host), and
 * DNS names, whose labels may hold any byte on the wire: they come in
 * presentation form (DNS_TEXT_MAX, dns_text_ok).
 */
#ifndef PCTS_NAMES_H
#define PCTS_NAMES_H

#include <stddef.h>
#include <stdint.h>

#define NAME_MAX_LEN 253 /* longest DNS name in text form, no trailing dot */

/*
 * A DNS name in presentation form (RFC 1035 5.1; dig's \DDD, stricter): the
 * bytes of name_char_ok as they are (upper case lowered), any other byte of
 * a label as a backslash and its value in three decimal digits ("\032" for
 * a space, "\046" for a '.' inside a label, "\195\169" for UTF-8 "é").
 * DNS tunnels put arbitrary bytes in their labels (iodine's Base128, Base64's
 * '+'), and --group dns must still see their queries; the escapes keep every
 * name printable, unambiguous and free of the characters spreadsheets read
 * as formulas (=, +, @).  The wire allows 253 characters of text, each byte
 * at most 4 characters escaped.
 */
#define DNS_TEXT_MAX (4 * NAME_MAX_LEN)

/* Caps on loops over counts and chains taken from the wire. */
#define DNS_MAX_LABEL 63       /* RFC 1035 2.3.4 */
#define DNS_MAX_LABELS 128     /* labels per name */
#define DNS_MAX_PTR_JUMPS 32   /* compression pointers followed per name */
#define DNS_MAX_QUESTIONS 4    /* a larger QDCOUNT is malformed */
#define DNS_MAX_ANSWERS 64     /* answers beyond this are not read */
#define DNS_MAX_CNAME_HOPS 8   /* CNAME records followed from the qname */
#define TLS_MAX_RECORD 16384   /* RFC 8446 5.1: 2^14 */
#define TLS_MAX_EXTENSIONS 128 /* extensions examined in one ClientHello */
#define TLS_MAX_SNI_ENTRIES 16 /* entries examined in a server_name_list */
#define HTTP_MAX_SCAN 4096     /* bytes of a request examined */
#define HTTP_MAX_HEADERS 256   /* header lines examined */
#define DNS_TCP_MAX_MSGS 16    /* DNS messages read from one TCP segment (RFC 7766 6.2.1) */

struct name_addr {
    uint8_t family;   /* 4 or 6 */
    uint8_t addr[16]; /* IPv4 in the first 4 bytes, rest zero */
    uint32_t ttl;     /* seconds; values above 2^31 - 1 read as 0 (RFC 2181 8) */
};

/*
 * DNS message (RFC 1035, RFC 3596; name compression RFC 1035 4.1.4).
 * msg/len: the UDP payload, or for TCP the payload after the 2-byte length
 * prefix (dns_tcp_strip).  Fills qname (text, lowercase, no trailing dot; ""
 * for the root) and qtype from the first question; for responses (QR=1,
 * OPCODE 0, RCODE 0) also the class-IN A/AAAA addresses of the answer section
 * owned by qname or by a name reached from qname through at most 8 CNAME
 * records of the same answer section.  Returns 1 for a response with at least
 * one such address (even when max_addrs is 0: at most max_addrs are stored),
 * 0 for a query, a response without addresses, or a message without a
 * question (qname "" and qtype 0), -1 if malformed (then qname is "" and no
 * address is reported).  Any output pointer may be NULL.
 *
 * cut: the snapshot length cut the message (the capture holds less than the
 * wire did, and msg/len runs to the end of what it holds).  Ending early is
 * then not malformed: the message is read as far as it goes, the answers
 * wholly inside count as above and the record the end falls in and those
 * after it are ignored; a question the end falls in is not reported (qname
 * "" and qtype 0 when it is the first), nor is an answer after it; a header
 * cut short gives 0 and nothing else.  Whatever the bytes there say is
 * checked as without cut: -1 still means malformed within them.  Without
 * cut, a message ending early is malformed.
 */
int dns_parse(const uint8_t *msg, size_t len, int cut, char qname[DNS_TEXT_MAX + 1],
              uint16_t *qtype, int *is_response, struct name_addr *addrs, size_t max_addrs,
              size_t *n_addrs);

/*
 * DNS over TCP (RFC 1035 4.2.2, RFC 7766): p/len is a TCP payload starting
 * with the 2-byte message length.  Sets *msg and *msg_len to the first message
 * and returns 0, or returns -1 when the length is 0 or larger than the bytes
 * available (the message was cut or continues in a later segment: segments
 * are not reassembled).  With cut (the snapshot length cut the segment: see
 * dns_parse), a message larger than the bytes available is the one the cut
 * fell in: *msg and *msg_len are what is there of it (at least one byte), for
 * dns_parse with cut, and the result is 1.  Pipelined messages follow at
 * *msg + *msg_len (after a result of 1, none).
 */
int dns_tcp_strip(const uint8_t *p, size_t len, int cut, const uint8_t **msg, size_t *msg_len);

/*
 * TLS ClientHello server_name (RFC 8446 4.1.2, RFC 6066 section 3), from the
 * first bytes of a TCP payload (record type 22, handshake type 1).  Works when
 * the ClientHello is cut by the snapshot length (or continues in another
 * record) as long as the SNI extension itself is inside.  Returns 1 with out
 * filled, 0 if this is not a ClientHello, it has no SNI, or the bytes end
 * before the SNI is complete; -1 if a length contradicts the length of the
 * structure around it or the host_name is not a valid name.
 */
int tls_client_hello_sni(const uint8_t *p, size_t len, char out[NAME_MAX_LEN + 1]);

/*
 * A ClientHello over several TCP segments.  Its first record waits in a
 * struct tls_reasm (at most TLS_REASM_PENDING at a time, the one waiting
 * longest giving way; 16 KiB each) for the sender's next segments of the
 * same connection, in sequence order, and goes when named, complete, after
 * a gap (a segment the capture missed or cut short: the bytes after it
 * cannot be placed), on a SYN or RST from its sender (a server's RST
 * leaves it to the timeout or the next SYN on these ports), or when a segment
 * comes more than TLS_REASM_WAIT_NS from the last (either way: a clock
 * stepped far ahead must not keep one waiting for good).  One per reading
 * thread; NULL from tls_reasm_new when out of memory.
 */
#define TLS_REASM_PENDING 16
#define TLS_REASM_WAIT_NS (10 * 1000000000LL) /* a retransmission's timeout, and then some */
#define TLS_NOT_HELLO (-2)
/* tls_stream_sni's seg bits */
#define TLS_SEG_SYN 1 /* a SYN: a new connection, its data from seq + 1 (TCP Fast Open) */
#define TLS_SEG_RST 2 /* a reset: the connection's waiting ClientHello goes */
#define TLS_SEG_CUT 4 /* the snapshot length cut the payload: no bytes may follow it */
struct tls_reasm;
struct tls_reasm *tls_reasm_new(void);
void tls_reasm_free(struct tls_reasm *r);
size_t tls_reasm_pending(const struct tls_reasm *r); /* entries waiting; 0 for NULL */

/*
 * p/len: the payload of a TCP segment (len may be 0) of connection conn (the
 * caller's key for its addresses and ports, one direction), with sequence
 * number seq and TLS_SEG_* bits seg, captured at ts (ns).  The results of
 * tls_client_hello_sni, for the ClientHello so far when the segment
 * continues one waiting in r; TLS_NOT_HELLO when it neither continues one
 * nor starts with a handshake record (the caller may read it as something
 * else), and for a reset.  A record's first bytes wait even when fewer than
 * its header (a censorship-evading client sends the first byte alone).
 * Without r, the segment alone is read.
 */
int tls_stream_sni(struct tls_reasm *r, uint64_t conn, uint32_t seq, unsigned seg, int64_t ts,
                   const uint8_t *p, size_t len, char out[NAME_MAX_LEN + 1]);

/*
 * HTTP/1.x request Host header (RFC 9112 3.2): a payload starting with a
 * request line (METHOD SP target SP HTTP/1.x; METHOD a token starting with an
 * uppercase letter, at most 20 bytes: one of the IANA registry, or any other
 * when the whole line is such a request line, else the payload is no
 * request, see http.c).  The Host field name is matched
 * case-insensitively, the value trimmed, a ":port" removed, an IPv6 literal
 * kept with its brackets; lowercase.  Only the first HTTP_MAX_SCAN bytes are
 * examined.  Returns 1 found, 0 not a request / no (or an empty) Host / the
 * Host line not complete in the bytes examined, -1 malformed (request line
 * after a registered method, header line, two Host fields, bad host or port).
 */
int http_request_host(const uint8_t *p, size_t len, char out[NAME_MAX_LEN + 1]);

/*
 * Normalise a name in place: lowercase ASCII, drop one trailing dot.  Returns
 * 0 if every byte is a letter, digit, '-', '_', '.' or '*' and the result has
 * at most NAME_MAX_LEN characters, else -1 and s is left unchanged (callers
 * then ignore the name).
 */
int name_normalise(char *s);

/* Is c allowed in a normalised name (lowercase letters only)? */
static inline int name_char_ok(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
           c == '*';
}

/* Is s (n characters) a DNS name in presentation form (DNS_TEXT_MAX)? */
static inline int dns_text_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\') {
            if (!name_char_ok((unsigned char)s[i]))
                return 0;
            continue;
        }
        if (n - i < 4)
            return 0;
        unsigned v = 0;
        for (size_t k = 1; k <= 3; k++) {
            if (s[i + k] < '0' || s[i + k] > '9')
                return 0;
            v = v * 10 + (unsigned)(s[i + k] - '0');
        }
        /* only what the reader escapes: a byte of the alphabet stays as is */
        if (v > 255 || (name_char_ok((unsigned char)v) && v != '.') || (v >= 'A' && v <= 'Z'))
            return 0;
        i += 3;
    }
    return 1;
}

/* The bytes the first n characters of such a name stand for, in out (at
 * most n bytes); returns how many. */
static inline size_t dns_text_bytes(const char *s, size_t n, uint8_t *out)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && n - i >= 4) {
            out[m++] = (uint8_t)((s[i + 1] - '0') * 100 + (s[i + 2] - '0') * 10 + (s[i + 3] - '0'));
            i += 3;
        } else {
            out[m++] = (uint8_t)s[i];
        }
    }
    return m;
}

#endif

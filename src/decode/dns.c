/*
 * dns.c - DNS messages: header and question (RFC 1035 4.1.1, 4.1.2), answer
 * records (RFC 1035 4.1.3; A RFC 1035 3.4.1, AAAA RFC 3596 2.2, CNAME RFC
 * 1035 3.3.1), name compression (RFC 1035 4.1.4), TCP framing (RFC 1035
 * 4.2.2, RFC 7766 8), TTL range (RFC 2181 8); and name_normalise().
 *
 * pcts wants two things from DNS: the question name of every message (long
 * or high-entropy names and TXT lookups point at DNS tunnels) and, from
 * successful responses, which addresses the question name resolved to, so
 * that a later flow to an address can be labelled with the name.
 *
 * Names.  A name is read label by label through a cursor over the whole
 * message, so a compression pointer can be followed but never leave the
 * message.  A label is at most 63 bytes (0x40 and 0x80 label types are
 * rejected), a name at most 128 labels and 253 characters of text, and a
 * pointer must point strictly below the start of the stretch of labels it is
 * read from (the name's start, then each earlier jump target).  That rule is
 * what a real encoder produces (it only refers back to names written before
 * the current one) and it makes every jump go to a lower offset, so pointer
 * loops are impossible; the 32-jump cap bounds the work besides.  Names come
 * out in presentation form (names.h, DNS_TEXT_MAX): letters lowercased, a
 * byte outside [a-z0-9_*-] (a '.' inside a label included) as \DDD.  Until
 * session 11 such a byte made the name unusable, and the message malformed
 * when it was in the question: the queries of DNS tunnels that use 8-bit or
 * Base64 labels (iodine) never reached --group dns.  The 253-character limit
 * is on the name's bytes, as on the wire.
 *
 * Sections.  QDCOUNT above 4 is malformed (servers answer FORMERR to more
 * than one).  Answers are read only for responses with OPCODE 0 (QUERY) and
 * RCODE 0 (NOERROR), at most 64 of them; each must fit in the message
 * (RDLENGTH included), A rdata must be exactly 4 bytes and AAAA 16 (class IN),
 * and a CNAME's rdata exactly one name.  The authority and additional
 * sections and anything after the 64th answer are never read, so trailing
 * bytes there are not an error.  A message without a question (QDCOUNT 0) is
 * accepted with an empty qname and qtype 0 and its answers are not read:
 * there is no name they could belong to.
 *
 * Cut messages.  A message the snapshot length cut (the caller says so:
 * dns_parse's cut) is read as far as it goes.  Running out of bytes is then
 * not malformed: the record the end falls in and everything after it are
 * ignored, and the answers wholly inside still map their addresses, so a
 * capture taken with "tcpdump -s 96" still names destinations.  What the
 * bytes there do say is checked as ever (a label type, a pointer, QDCOUNT,
 * an A record's RDLENGTH, which is checked before its rdata for that
 * reason).  Without cut, a message that ends early is malformed, as it is
 * on the wire.
 *
 * Address ownership.  The CNAME chain is followed from the question name
 * through the first class-IN CNAME owned by the current name, at most 8
 * hops, stopping at a name already on the chain.  A/AAAA records owned by any
 * name on the chain are reported; records for other names are ignored.
 */
#include "names.h"

#include <string.h>

#include "cursor.h"

#define DNS_HDR_LEN 12
#define DNS_T_A 1
#define DNS_T_CNAME 5
#define DNS_T_AAAA 28
#define DNS_C_IN 1

enum name_rc {
    NAME_OK = 0,
    NAME_BAD = -1,  /* malformed: the message cannot be parsed further */
    NAME_SHORT = -2 /* the window ends inside the name: malformed, unless the
                       snapshot length cut the message there (dns_parse's cut) */
};

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/*
 * Read the name starting at c->off into out (presentation form, lowercase,
 * no trailing dot, "" for the root) and advance c past the name's own bytes
 * (up to and including its first pointer or its terminating zero).  c must
 * start at the beginning of the message, so that pointer targets are
 * offsets into it.  NAME_SHORT when the window ends before the name does
 * (and nothing the bytes before that say is malformed).  On any result but
 * NAME_OK, out is "" and c is not advanced.
 */
static enum name_rc dns_name(struct cursor *c, char out[DNS_TEXT_MAX + 1])
{
    struct cursor m; /* the whole window, for reads at absolute offsets */
    cur_init(&m, c->p, c->len);
    size_t pos = c->off, lowest = c->off, end = 0, n = 0, bytes = 0;
    unsigned jumps = 0, labels = 0;

    out[0] = '\0';
    /* Each turn reads a pointer (at most DNS_MAX_PTR_JUMPS), a label (at most
     * DNS_MAX_LABELS) or the terminating zero. */
    for (;;) {
        uint8_t b, lo;
        if (cur_peek_u8(&m, pos, &b))
            goto short_;
        if ((b & 0xC0) == 0xC0) {
            if (cur_peek_u8(&m, pos + 1, &lo))
                goto short_;
            size_t target = (size_t)(b & 0x3F) << 8 | lo;
            if (target >= lowest)
                goto bad; /* to itself, forward, or into this stretch */
            jumps++;
            if (jumps > DNS_MAX_PTR_JUMPS)
                goto bad;
            if (jumps == 1)
                end = pos + 2;
            pos = lowest = target;
            continue;
        }
        if (b > DNS_MAX_LABEL)
            goto bad; /* 0x40 / 0x80 label types (RFC 6891 9) */
        if (b == 0) {
            if (jumps == 0)
                end = pos + 1;
            break;
        }
        labels++;
        if (labels > DNS_MAX_LABELS)
            goto bad;
        bytes += (labels > 1 ? 1u : 0u) + b;
        if (bytes > NAME_MAX_LEN)
            goto bad;
        if (labels > 1)
            out[n++] = '.';
        /* a byte is at most 4 characters, a dot 1: n <= 4 * bytes <= DNS_TEXT_MAX */
        for (size_t i = 1; i <= b; i++) {
            uint8_t ch;
            if (cur_peek_u8(&m, pos + i, &ch))
                goto short_;
            ch = lower(ch);
            if (ch != '.' && name_char_ok(ch)) {
                out[n++] = (char)ch;
            } else {
                out[n++] = '\\';
                out[n++] = (char)('0' + ch / 100);
                out[n++] = (char)('0' + ch / 10 % 10);
                out[n++] = (char)('0' + ch % 10);
            }
        }
        pos += 1 + (size_t)b;
    }
    out[n] = '\0';
    if (cur_skip(c, end - c->off))
        goto bad;
    return NAME_OK;

short_:
    out[0] = '\0';
    return NAME_SHORT;
bad:
    out[0] = '\0';
    return NAME_BAD;
}

/* The name at offset off of msg[0, end): for names already validated once. */
static enum name_rc dns_name_at(const uint8_t *msg, size_t end, size_t off,
                                char out[DNS_TEXT_MAX + 1])
{
    struct cursor c;
    cur_init(&c, msg, end);
    if (cur_skip(&c, off)) {
        out[0] = '\0';
        return NAME_BAD;
    }
    return dns_name(&c, out);
}

/* An answer record worth remembering: class IN A, AAAA or CNAME. */
struct dns_rr {
    uint16_t type;
    uint16_t rdlen;
    uint32_t ttl;
    size_t owner; /* offset of the owner name */
    size_t rdata; /* offset of the rdata */
};

static void put_addr(struct name_addr *a, const uint8_t *msg, size_t len, const struct dns_rr *r)
{
    struct cursor c;
    memset(a, 0, sizeof(*a));
    a->family = r->type == DNS_T_A ? 4 : 6;
    a->ttl = r->ttl > 0x7FFFFFFFu ? 0 : r->ttl;
    cur_init(&c, msg, len);
    if (cur_skip(&c, r->rdata) || cur_copy(&c, a->addr, r->rdlen))
        memset(a->addr, 0, sizeof(a->addr)); /* cannot happen: checked when read */
}

/*
 * Read at most DNS_MAX_ANSWERS answers from c; keep the class-IN A, AAAA
 * and CNAME records whose names are usable.  -1 if malformed.  With cut
 * (dns_parse), a record that runs past the end of the bytes ends the
 * section: it and the records after it are not read.
 */
static int dns_answers(struct cursor *c, unsigned ancount, int cut, struct dns_rr *rrs, size_t *nrr)
{
    char name[DNS_TEXT_MAX + 1];
    unsigned nan = ancount < DNS_MAX_ANSWERS ? ancount : DNS_MAX_ANSWERS;
    int out_of_bytes = cut ? 0 : -1;

    *nrr = 0;
    for (unsigned i = 0; i < nan; i++) {
        struct dns_rr r;
        uint16_t cls;
        r.owner = c->off;
        enum name_rc rc = dns_name(c, name);
        if (rc == NAME_SHORT)
            return out_of_bytes;
        if (rc != NAME_OK)
            return -1;
        if (cur_be16(c, &r.type) || cur_be16(c, &cls) || cur_be32(c, &r.ttl) ||
            cur_be16(c, &r.rdlen))
            return out_of_bytes;
        r.rdata = c->off;
        int in = (cls & 0x7FFF) == DNS_C_IN; /* mDNS sets the top bit (cache flush) */
        /* before the rdata's bytes: a wrong length is malformed even when
         * the snapshot length cut the rdata */
        if (in && r.type == DNS_T_A && r.rdlen != 4)
            return -1;
        if (in && r.type == DNS_T_AAAA && r.rdlen != 16)
            return -1;
        if (cur_skip(c, r.rdlen))
            return out_of_bytes;
        if (!in)
            continue;
        if (r.type == DNS_T_CNAME) {
            /* The target must fill the rdata exactly: read it through a
             * window that ends with the rdata (which is all there). */
            struct cursor t;
            cur_init(&t, c->p, r.rdata + r.rdlen);
            if (cur_skip(&t, r.rdata))
                return -1;
            if (dns_name(&t, name) != NAME_OK || cur_left(&t) != 0)
                return -1;
        } else if (r.type != DNS_T_A && r.type != DNS_T_AAAA) {
            continue;
        }
        rrs[(*nrr)++] = r;
    }
    return 0;
}

/* Is s one of the first n names of the chain? */
static int on_chain(char chain[][DNS_TEXT_MAX + 1], size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(chain[i], s) == 0)
            return 1;
    return 0;
}

int dns_parse(const uint8_t *msg, size_t len, int cut, char qname[DNS_TEXT_MAX + 1],
              uint16_t *qtype, int *is_response, struct name_addr *addrs, size_t max_addrs,
              size_t *n_addrs)
{
    char qbuf[DNS_TEXT_MAX + 1], name[DNS_TEXT_MAX + 1];
    char chain[DNS_MAX_CNAME_HOPS + 1][DNS_TEXT_MAX + 1];
    struct dns_rr rrs[DNS_MAX_ANSWERS];
    char *q = qname ? qname : qbuf;
    struct cursor c;
    uint16_t id, flags, qdcount, ancount, qt = 0;
    size_t nrr = 0, nchain = 1, found = 0, stored = 0;

    q[0] = '\0';
    if (qtype)
        *qtype = 0;
    if (is_response)
        *is_response = 0;
    if (n_addrs)
        *n_addrs = 0;
    if (!addrs)
        max_addrs = 0;

    cur_init(&c, msg, len);
    if (cur_be16(&c, &id) || cur_be16(&c, &flags) || cur_be16(&c, &qdcount) ||
        cur_be16(&c, &ancount) || cur_skip(&c, 4)) /* NSCOUNT, ARCOUNT */
        return cut ? 0 : -1;
    (void)id;
    int qr = flags >> 15;
    unsigned opcode = (flags >> 11) & 0xFu, rcode = flags & 0xFu;
    if (qdcount > DNS_MAX_QUESTIONS)
        return -1;

    /* The end of a cut message may fall in the questions: the one it falls
     * in is not reported (the first one's name goes with its type), and
     * no answer follows. */
    int q_cut = 0;
    for (unsigned i = 0; i < qdcount && !q_cut; i++) {
        uint16_t t = 0, cls;
        enum name_rc rc = dns_name(&c, i == 0 ? q : name);
        if (rc == NAME_OK && (cur_be16(&c, &t) || cur_be16(&c, &cls)))
            rc = NAME_SHORT;
        if (rc == NAME_SHORT && cut) {
            q_cut = 1;
            if (i == 0)
                q[0] = '\0';
            continue;
        }
        if (rc != NAME_OK)
            goto bad;
        if (i == 0)
            qt = t;
    }
    if (qtype)
        *qtype = qt;
    if (is_response)
        *is_response = qr;
    if (qdcount == 0 || q_cut || !qr || opcode != 0 || rcode != 0)
        return 0;

    if (dns_answers(&c, ancount, cut, rrs, &nrr))
        goto bad;

    /* Follow CNAMEs from the question name. */
    memcpy(chain[0], q, strlen(q) + 1);
    for (unsigned hop = 0; hop < DNS_MAX_CNAME_HOPS; hop++) {
        int advanced = 0;
        for (size_t k = 0; k < nrr && !advanced; k++) {
            if (rrs[k].type != DNS_T_CNAME)
                continue;
            if (dns_name_at(msg, len, rrs[k].owner, name) != NAME_OK)
                goto bad;
            if (strcmp(name, chain[nchain - 1]) != 0)
                continue;
            if (dns_name_at(msg, rrs[k].rdata + rrs[k].rdlen, rrs[k].rdata, name) != NAME_OK)
                goto bad;
            if (on_chain(chain, nchain, name))
                break; /* a CNAME loop: the chain ends here */
            memcpy(chain[nchain++], name, strlen(name) + 1);
            advanced = 1;
        }
        if (!advanced)
            break;
    }

    for (size_t k = 0; k < nrr; k++) {
        if (rrs[k].type == DNS_T_CNAME)
            continue;
        if (dns_name_at(msg, len, rrs[k].owner, name) != NAME_OK)
            goto bad;
        if (!on_chain(chain, nchain, name))
            continue;
        found++;
        if (stored < max_addrs)
            put_addr(&addrs[stored++], msg, len, &rrs[k]);
    }
    if (n_addrs)
        *n_addrs = stored;
    return found ? 1 : 0;

bad:
    q[0] = '\0';
    if (qtype)
        *qtype = 0;
    if (is_response)
        *is_response = 0;
    if (n_addrs)
        *n_addrs = 0;
    return -1;
}

int dns_tcp_strip(const uint8_t *p, size_t len, int cut, const uint8_t **msg, size_t *msg_len)
{
    struct cursor c;
    uint16_t n;

    *msg = NULL;
    *msg_len = 0;
    cur_init(&c, p, len);
    if (cur_be16(&c, &n))
        return -1;
    if (n == 0)
        return -1;
    if (!cur_has(&c, n)) {
        if (!cut || cur_left(&c) == 0)
            return -1;
        *msg = p + 2;
        *msg_len = cur_left(&c); /* what the capture kept of it */
        return 1;
    }
    *msg = p + 2;
    *msg_len = n;
    return 0;
}

int name_normalise(char *s)
{
    size_t n;

    /* Check first, so that a rejected name is left as it was. */
    for (n = 0; s[n] != '\0'; n++) {
        if (n > NAME_MAX_LEN)
            return -1; /* 255 characters or more, even with a trailing dot */
        if (!name_char_ok(lower((unsigned char)s[n])))
            return -1;
    }
    if (n > 0 && s[n - 1] == '.')
        n--;
    if (n > NAME_MAX_LEN)
        return -1;
    for (size_t i = 0; i < n; i++)
        s[i] = (char)lower((unsigned char)s[i]);
    s[n] = '\0';
    return 0;
}

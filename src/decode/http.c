/*
 * http.c - the Host header of an HTTP/1.x request: message format and
 * request line (RFC 9112 2, 3), Host (RFC 9112 3.2, RFC 9110 7.2), field
 * syntax (RFC 9110 5.1, 5.5, 5.6.2), uri-host and port (RFC 3986 3.2.2, 3.2.3).
 *
 * Only the first HTTP_MAX_SCAN (4096) bytes of the payload are examined,
 * through one cursor.
 *
 * Methods.  Any method of RFC 9110 9.1's syntax: a token (tchar, RFC 9110
 * 5.6.2) of at most HTTP_MAX_METHOD (20) bytes whose first byte is an
 * uppercase letter (every registered method's is, and the caller's
 * first-byte check asks for one).  Only GET POST HEAD PUT DELETE OPTIONS
 * PATCH CONNECT TRACE had been taken, so WebDAV's PROPFIND, MKCOL, LOCK ...
 * named nothing (C2 over WebDAV showed no host), nor did the unregistered
 * methods in wide use: BITS_POST (Windows' BITS uploads, malware's too),
 * RPC_IN_DATA (RPC over HTTP).  A method of the IANA HTTP Method Registry
 * (the table below) makes the payload a request, and a request line that
 * is wrong after it is malformed (-1), as before.  Any other token counts
 * only when the whole first line is a request line (token SP target SP
 * "HTTP/" DIGIT "." DIGIT, then CRLF or LF within the bytes examined),
 * else the result is 0, not a request.  That is what keeps out payloads
 * that are not HTTP and merely start with capital letters and a space
 * (SMTP's "EHLO x", RTSP's "DESCRIBE ... RTSP/1.0", SIP's "INVITE ...
 * SIP/2.0", binary): to pass, the eight bytes before the first line end
 * must be " HTTP/1.", the target must hold no space or control byte, and a
 * well-formed Host line must follow.  What passes is HTTP in everything
 * but its method's name, and its Host names the server as a GET's does.
 *
 * Results:
 *  - 0 when the payload does not start with METHOD SP (responses, TLS,
 *    garbage), when the method is not registered and the first line is not
 *    a request line (above), when the request line is HTTP/0.9 (no version)
 *    or another major version, when the request line is not complete in the
 *    bytes examined, when no complete Host line is seen before the empty
 *    line or the end of what is examined (a Host line cut by the snapshot
 *    length is not used), and when Host is empty (allowed for targets
 *    without an authority).
 *  - -1 for a malformed request line after a registered method (empty
 *    target, control bytes, a version that is not HTTP/D.D), a header line
 *    with a NUL or a bare CR, without a colon, or with a non-token byte in
 *    the field name (so "Host :" too, RFC 9112 5.1), whitespace before the
 *    first header or a folded Host line (RFC 9112 2.2, 5.2), a second Host
 *    field (RFC 9112 3.2 says to reject it; it is only detected within the
 *    bytes examined), and a Host value that is not host[:port]: a port of
 *    more than 5 digits, a reg-name with a byte outside name_normalise's
 *    set (so no percent-encoding), or an IPv6 literal with anything but hex
 *    digits, ':' and '.' inside the brackets (no zone id, no IPvFuture).
 * At most HTTP_MAX_HEADERS (256) header lines are examined; a Host after
 * them counts as absent.  Lines end with CRLF or a bare LF (RFC 9112 2.2
 * allows the latter).  The
 * Host header is used even for an absolute-form target (a proxy request),
 * where RFC 9112 3.2.2 says the target's authority wins.
 */
#include "names.h"

#include <string.h>

#include "cursor.h"

#define HTTP_MAX_METHOD 20    /* the longest registered is 17, "UPDATEREDIRECTREF" */
#define HTTP_MAX_IPV6_TEXT 45 /* INET6_ADDRSTRLEN - 1 */
#define HTTP_MAX_PORT_DIGITS 5

/* The IANA HTTP Method Registry (RFC 9110 16.1.1), as of 2026: RFC 9110's
 * eight, PATCH (RFC 5789), PRI (RFC 9113), QUERY (draft-ietf-httpbis-safe-
 * method-w-body), WebDAV (RFC 4918) and its extensions (versioning RFC 3253,
 * ACL RFC 3744, ordering RFC 3648, redirect references RFC 4437, CalDAV RFC
 * 4791, bindings RFC 5842, SEARCH RFC 5323), and RFC 2068's LINK and
 * UNLINK. */
/* clang-format off */
static const char *const methods[] = {
    "ACL", "BASELINE-CONTROL", "BIND", "CHECKIN", "CHECKOUT", "CONNECT", "COPY", "DELETE",
    "GET", "HEAD", "LABEL", "LINK", "LOCK", "MERGE", "MKACTIVITY", "MKCALENDAR", "MKCOL",
    "MKREDIRECTREF", "MKWORKSPACE", "MOVE", "OPTIONS", "ORDERPATCH", "PATCH", "POST", "PRI",
    "PROPFIND", "PROPPATCH", "PUT", "QUERY", "REBIND", "REPORT", "SEARCH", "TRACE", "UNBIND",
    "UNCHECKOUT", "UNLINK", "UNLOCK", "UPDATE", "UPDATEREDIRECTREF", "VERSION-CONTROL"};
/* clang-format on */

/* Is m in the registry? */
static int registered(const char *m)
{
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (strcmp(m, methods[i]) == 0)
            return 1;
    return 0;
}

static int is_ows(uint8_t b)
{
    return b == ' ' || b == '\t';
}

static int is_digit(uint8_t b)
{
    return b >= '0' && b <= '9';
}

static int is_hex(uint8_t b)
{
    return is_digit(b) || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
}

static uint8_t lower(uint8_t b)
{
    return b >= 'A' && b <= 'Z' ? (uint8_t)(b - 'A' + 'a') : b;
}

/* tchar of RFC 9110 5.6.2. */
static int is_tchar(uint8_t b)
{
    if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || is_digit(b))
        return 1;
    return b != 0 && strchr("!#$%&'*+-.^_`|~", b) != NULL;
}

/*
 * The next line of c without its CRLF or LF, as a cursor; c moves past the
 * line ending.  Returns 0, 1 when no LF is left in c (the line is incomplete,
 * c unchanged), -1 when the line holds a NUL or a CR not followed by LF.
 */
static int next_line(struct cursor *c, struct cursor *line)
{
    size_t i, n;
    uint8_t b = 0, prev = 0;

    /* Bounded by the bytes left in c (at most HTTP_MAX_SCAN). */
    for (i = 0; !cur_peek_u8(c, i, &b); i++) {
        if (b == '\n')
            break;
        if (b == 0 || prev == '\r')
            return -1;
        prev = b;
    }
    if (b != '\n' || i >= cur_left(c))
        return 1;
    n = prev == '\r' ? i - 1 : i;
    if (cur_sub(c, n, line) || cur_skip(c, i - n + 1))
        return 1; /* cannot happen: i < cur_left(c) */
    return 0;
}

/* Request line after "METHOD SP": target SP HTTP/1.D.  1 ok, 0, -1. */
static int request_line_rest(struct cursor *line)
{
    uint8_t b, v[8];
    size_t tlen = 0;

    for (;;) {
        if (cur_u8(line, &b))
            return 0; /* no version: HTTP/0.9, which has no headers */
        if (b == ' ')
            break;
        if (b < 0x21 || b == 0x7F)
            return -1;
        tlen++;
    }
    if (tlen == 0)
        return -1;
    if (cur_left(line) != sizeof(v) || cur_copy(line, v, sizeof(v)))
        return -1;
    if (memcmp(v, "HTTP/", 5) != 0 || !is_digit(v[5]) || v[6] != '.' || !is_digit(v[7]))
        return -1;
    return v[5] == '1' ? 1 : 0;
}

/* ":" *DIGIT at the end of a Host value, or nothing.  0 or -1. */
static int port_rest(struct cursor *v)
{
    uint8_t b;
    size_t digits = 0;

    if (cur_left(v) == 0)
        return 0;
    if (cur_u8(v, &b) || b != ':')
        return -1;
    while (!cur_u8(v, &b)) {
        if (!is_digit(b))
            return -1;
        digits++;
        if (digits > HTTP_MAX_PORT_DIGITS)
            return -1;
    }
    return 0;
}

/* "[" IPv6 text "]" [":" port], already past the '['. */
static int host_ipv6(struct cursor *v, char out[NAME_MAX_LEN + 1])
{
    size_t n = 0, colons = 0;
    uint8_t b;

    out[n++] = '[';
    for (;;) {
        if (cur_u8(v, &b))
            return -1; /* no ']' */
        if (b == ']')
            break;
        if (!is_hex(b) && b != ':' && b != '.')
            return -1;
        if (b == ':')
            colons++;
        if (n > HTTP_MAX_IPV6_TEXT)
            return -1;
        out[n++] = (char)lower(b);
    }
    if (colons < 2)
        return -1;
    out[n++] = ']';
    out[n] = '\0';
    return port_rest(v);
}

/*
 * The Host field value (the rest of the line after the colon) into out.
 * 1 host found, 0 empty value, -1 malformed.
 */
static int host_value(struct cursor *line, char out[NAME_MAX_LEN + 1])
{
    char tmp[NAME_MAX_LEN + 2]; /* a trailing dot may follow 253 characters */
    struct cursor v;
    size_t vlen, n = 0;
    uint8_t b;

    while (!cur_peek_u8(line, 0, &b) && is_ows(b))
        (void)cur_skip(line, 1);
    vlen = cur_left(line);
    while (vlen > 0 && !cur_peek_u8(line, vlen - 1, &b) && is_ows(b))
        vlen--;
    if (vlen == 0)
        return 0;
    if (cur_sub(line, vlen, &v))
        return -1;

    if (!cur_peek_u8(&v, 0, &b) && b == '[') {
        (void)cur_skip(&v, 1);
        return host_ipv6(&v, out) ? -1 : 1;
    }
    while (!cur_peek_u8(&v, 0, &b) && b != ':') {
        if (n >= sizeof(tmp) - 1)
            return -1;
        tmp[n++] = (char)b;
        (void)cur_skip(&v, 1);
    }
    tmp[n] = '\0';
    if (port_rest(&v))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (tmp[i] == '\0')
            return -1; /* cannot happen: next_line rejects NUL */
    if (name_normalise(tmp) || tmp[0] == '\0')
        return -1;
    memcpy(out, tmp, strlen(tmp) + 1);
    return 1;
}

int http_request_host(const uint8_t *p, size_t len, char out[NAME_MAX_LEN + 1])
{
    struct cursor c, line;
    char method[HTTP_MAX_METHOD + 1], host[NAME_MAX_LEN + 1];
    size_t mlen = 0;
    int found = 0, have_host = 0, prev_host = 0, rc;
    uint8_t b;

    out[0] = '\0';
    host[0] = '\0';
    cur_init(&c, p, len);
    cur_limit(&c, HTTP_MAX_SCAN);

    /* METHOD SP: a token, its first byte an uppercase letter */
    for (;;) {
        if (cur_u8(&c, &b))
            return 0;
        if (b == ' ' && mlen > 0)
            break;
        if (mlen == 0 ? (b < 'A' || b > 'Z') : !is_tchar(b))
            return 0;
        if (mlen == HTTP_MAX_METHOD)
            return 0;
        method[mlen++] = (char)b;
    }
    method[mlen] = '\0';

    /* A request line wrong after a registered method is a malformed
     * request; after another token, it is no request at all. */
    rc = next_line(&c, &line);
    if (rc)
        return rc < 0 && registered(method) ? -1 : 0;
    rc = request_line_rest(&line);
    if (rc < 0)
        return registered(method) ? -1 : 0;
    if (rc == 0)
        return 0;

    /* Header lines, up to the empty line.  Each turn consumes a line. */
    for (unsigned i = 0; i < HTTP_MAX_HEADERS; i++) {
        char name[5];
        size_t nlen = 0;
        rc = next_line(&c, &line);
        if (rc < 0)
            return -1;
        if (rc > 0)
            break; /* the rest was not captured or is beyond HTTP_MAX_SCAN */
        if (cur_peek_u8(&line, 0, &b))
            break; /* the empty line: end of the header section */
        if (is_ows(b)) {
            /* obs-fold: never before the first field, never on Host */
            if (i == 0 || prev_host)
                return -1;
            continue;
        }
        prev_host = 0;
        for (;;) {
            if (cur_u8(&line, &b))
                return -1; /* no colon */
            if (b == ':')
                break;
            if (!is_tchar(b))
                return -1;
            if (nlen < 4)
                name[nlen] = (char)lower(b);
            nlen++;
        }
        if (nlen == 0)
            return -1;
        if (nlen != 4 || memcmp(name, "host", 4) != 0)
            continue;
        if (found)
            return -1; /* two Host fields */
        found = 1;
        prev_host = 1;
        rc = host_value(&line, host);
        if (rc < 0)
            return -1;
        have_host = rc;
    }
    if (!have_host)
        return 0;
    memcpy(out, host, strlen(host) + 1);
    return 1;
}

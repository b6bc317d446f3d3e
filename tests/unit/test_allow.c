/*
 * test_allow.c - allow lists (allow.h): parsing rules from text, matching
 * them against group keys built by hand, and the error messages.
 *
 * allow_load() with no files gives an empty list, which allow_load_text()
 * then fills (struct allow_list is opaque).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <arpa/inet.h>

#include "group/group.h"
#include "score/allow.h"
#include "util/err.h"
#include "util.h"

/* ---- helpers ------------------------------------------------------------- */

static struct allow_list *empty_list(void)
{
    struct allow_list *a = NULL;
    char msg[ERRMSG_MAX] = "";
    assert_int_equal(allow_load(&a, NULL, 0, msg), 0);
    assert_non_null(a);
    assert_int_equal(allow_name_rules(a), 0);
    return a;
}

static struct allow_list *load(const char *text)
{
    struct allow_list *a = empty_list();
    char msg[ERRMSG_MAX] = "";
    int rc = allow_load_text(a, text, "test.allow", msg);
    if (rc) {
        print_error("allow_load_text: %d %s\n", rc, msg);
        fail();
    }
    return a;
}

static void ip(const char *text, uint8_t out[16], uint8_t *family)
{
    memset(out, 0, 16);
    if (inet_pton(AF_INET, text, out) == 1) {
        *family = 4;
        return;
    }
    assert_int_equal(inet_pton(AF_INET6, text, out), 1);
    *family = 6;
}

/* A group key: proto 0 means GROUP_IP style (no protocol, no port);
 * port < 0 means no port (ICMP). */
static struct group_key key(const char *src, const char *dst, uint8_t proto, int port)
{
    struct group_key k;
    memset(&k, 0, sizeof(k));
    uint8_t f1, f2;
    ip(src, k.src, &f1);
    ip(dst, k.dst, &f2);
    assert_int_equal(f1, f2);
    k.family = f1;
    k.proto = proto;
    if (proto && port >= 0) {
        k.has_port = 1;
        k.dport = (uint16_t)port;
    }
    return k;
}

/* The rule text that matches, or NULL (no host name known). */
static const char *match(const struct allow_list *a, const char *src, const char *dst,
                         uint8_t proto, int port)
{
    struct group_key k = key(src, dst, proto, port);
    return allow_match(a, &k, NULL, NULL, NULL);
}

/* The same with the destination's host name, as a DNS answer gave it. */
static const char *match_host(const struct allow_list *a, const char *src, const char *dst,
                              uint8_t proto, int port, const char *host)
{
    struct group_key k = key(src, dst, proto, port);
    int weak = -1;
    const char *r = allow_match(a, &k, host, host, &weak);
    assert_int_equal(weak, 0);
    return r;
}

static void expect_(const char *got, const char *want, const char *what, const char *file, int line)
{
    if ((!got) != (!want) || (got && strcmp(got, want))) {
        print_error("%s: matched %s%s%s, expected %s%s%s\n", what, got ? "'" : "",
                    got ? got : "nothing", got ? "'" : "", want ? "'" : "", want ? want : "nothing",
                    want ? "'" : "");
        _fail(file, line);
    }
}
#define expect(got, want) expect_((got), (want), #got, __FILE__, __LINE__)

/* A name rule on a name only the sender wrote (a TLS SNI, an HTTP Host: an
 * implant can call itself swcdn.apple.com) is a weak match: taken only when
 * nothing matches otherwise, flagged; the name a DNS answer gave the
 * destination confirms it. */
static void test_name_rules_want_a_dns_answer(void **state)
{
    (void)state;
    struct allow_list *a = load("*.apple.com\n10.9.0.0/16\n");
    struct group_key k = key("10.0.0.23", "203.0.113.66", 6, 443);
    int weak = -1;
    /* SNI alone, no DNS answer for the address: weak */
    expect(allow_match(a, &k, "swcdn.apple.com", NULL, &weak), "*.apple.com");
    assert_int_equal(weak, 1);
    /* a DNS answer names the address otherwise: still weak */
    weak = -1;
    expect(allow_match(a, &k, "swcdn.apple.com", "evil.example", &weak), "*.apple.com");
    assert_int_equal(weak, 1);
    /* the DNS answer confirms it (any name the rule covers) */
    weak = -1;
    expect(allow_match(a, &k, "swcdn.apple.com", "mesu.apple.com", &weak), "*.apple.com");
    assert_int_equal(weak, 0);
    /* a later address rule that matches wins over the weak name match */
    k = key("10.0.0.23", "10.9.1.1", 6, 443);
    weak = -1;
    expect(allow_match(a, &k, "swcdn.apple.com", NULL, &weak), "10.9.0.0/16");
    assert_int_equal(weak, 0);
    /* nothing matches: NULL, not weak */
    k = key("10.0.0.23", "203.0.113.66", 6, 443);
    weak = -1;
    assert_null(allow_match(a, &k, "example.org", NULL, &weak));
    assert_int_equal(weak, 0);
    allow_free(a);
}

#define assert_match(a, src, dst, proto, port, rule)                                               \
    do {                                                                                           \
        const char *m_ = match((a), (src), (dst), (proto), (port));                                \
        if (!m_ || strcmp(m_, (rule))) {                                                           \
            print_error("%s -> %s proto %d port %d: matched %s%s%s, expected '%s'\n", (src),       \
                        (dst), (proto), (port), m_ ? "'" : "", m_ ? m_ : "nothing", m_ ? "'" : "", \
                        (rule));                                                                   \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

#define assert_no_match(a, src, dst, proto, port)                                                  \
    do {                                                                                           \
        const char *m_ = match((a), (src), (dst), (proto), (port));                                \
        if (m_) {                                                                                  \
            print_error("%s -> %s proto %d port %d: matched '%s', expected nothing\n", (src),      \
                        (dst), (proto), (port), m_);                                               \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

/* ---- a list with every kind of rule ------------------------------------------ */

static const char LIST[] = "# allow list for the tests\n"
                           "\n"
                           "   \t\n"
                           "10.0.0.0/8            # private\n"
                           "192.0.2.7\n"
                           "  udp/123   # NTP, indented\n"
                           "tcp/8000-8100\n"
                           "*/53\n"
                           "src=10.1.0.5\n"
                           "2001:db8::/32 udp/53\r\n"
                           "*.example.com\n"
                           "icmp\n"
                           "# trailing comment without newline";

static void test_parse_and_name_rules(void **state)
{
    (void)state;
    struct allow_list *a = load(LIST);
    assert_int_equal(allow_name_rules(a), 1);
    /* loading more text appends */
    char msg[ERRMSG_MAX];
    assert_int_equal(allow_load_text(a, "example.org\n*.test.invalid udp/53\n", "more", msg), 0);
    assert_int_equal(allow_name_rules(a), 3);
    assert_int_equal(allow_name_rules(NULL), 0);
    allow_free(a);
    allow_free(NULL);
}

static void test_address_rules(void **state)
{
    (void)state;
    struct allow_list *a = load(LIST);
    /* destination in 10.0.0.0/8, any grouping */
    assert_match(a, "198.51.100.1", "10.200.3.4", 0, 0, "10.0.0.0/8");
    assert_match(a, "198.51.100.1", "10.0.0.0", 6, 443, "10.0.0.0/8");
    assert_match(a, "198.51.100.1", "10.255.255.255", 17, 9999, "10.0.0.0/8");
    assert_no_match(a, "198.51.100.1", "11.0.0.1", 0, 0);
    assert_no_match(a, "198.51.100.1", "9.255.255.255", 0, 0);
    /* a single address is a /32 */
    assert_match(a, "198.51.100.1", "192.0.2.7", 0, 0, "192.0.2.7");
    assert_no_match(a, "198.51.100.1", "192.0.2.6", 0, 0);
    assert_no_match(a, "198.51.100.1", "192.0.2.8", 0, 0);
    /* addresses match the destination only (without src=) */
    assert_no_match(a, "192.0.2.7", "198.51.100.1", 0, 0);
    /* src= matches the source, not the destination */
    assert_match(a, "10.1.0.5", "198.51.100.1", 0, 0, "src=10.1.0.5");
    assert_no_match(a, "10.1.0.6", "198.51.100.1", 0, 0);
    allow_free(a);
    a = load("src=10.1.0.5\n");
    assert_match(a, "10.1.0.5", "10.1.0.6", 17, 53, "src=10.1.0.5");
    assert_no_match(a, "10.1.0.6", "10.1.0.5", 17, 53);
    allow_free(a);

    /* the first matching rule is reported */
    a = load("10.1.0.0/16\n10.0.0.0/8\n");
    assert_match(a, "1.1.1.1", "10.1.2.3", 0, 0, "10.1.0.0/16");
    assert_match(a, "1.1.1.1", "10.2.2.3", 0, 0, "10.0.0.0/8");
    allow_free(a);

    /* src= with a prefix; non-byte prefix lengths */
    a = load("src=172.16.0.0/12\n203.0.113.64/26\n");
    assert_match(a, "172.31.255.1", "1.1.1.1", 0, 0, "src=172.16.0.0/12");
    assert_no_match(a, "172.32.0.1", "1.1.1.1", 0, 0);
    assert_no_match(a, "172.15.255.255", "1.1.1.1", 0, 0);
    assert_match(a, "1.1.1.1", "203.0.113.64", 0, 0, "203.0.113.64/26");
    assert_match(a, "1.1.1.1", "203.0.113.127", 0, 0, "203.0.113.64/26");
    assert_no_match(a, "1.1.1.1", "203.0.113.63", 0, 0);
    assert_no_match(a, "1.1.1.1", "203.0.113.128", 0, 0);
    allow_free(a);
}

static void test_service_rules(void **state)
{
    (void)state;
    struct allow_list *a = load(LIST);
    const char *s = "198.51.100.1", *d = "198.51.100.2";
    /* proto/port */
    assert_match(a, s, d, 17, 123, "udp/123");
    assert_no_match(a, s, d, 6, 123);
    assert_no_match(a, s, d, 17, 124);
    /* port range: both ends inclusive */
    assert_match(a, s, d, 6, 8000, "tcp/8000-8100");
    assert_match(a, s, d, 6, 8050, "tcp/8000-8100");
    assert_match(a, s, d, 6, 8100, "tcp/8000-8100");
    assert_no_match(a, s, d, 6, 7999);
    assert_no_match(a, s, d, 6, 8101);
    assert_no_match(a, s, d, 17, 8000);
    /* any protocol, one port */
    assert_match(a, s, d, 17, 53, "*/53");
    assert_match(a, s, d, 6, 53, "*/53");
    assert_match(a, s, d, 132, 53, "*/53");
    assert_no_match(a, s, d, 17, 54);
    /* a protocol alone: any port, or none */
    assert_match(a, s, d, 1, -1, "icmp");
    assert_no_match(a, s, d, 58, -1);
    /* services need keys that carry them: GROUP_IP keys have no protocol */
    assert_no_match(a, s, d, 0, 0);
    /* a port rule needs a port: ICMP keys have none */
    struct group_key k = key(s, d, 17, -1);
    assert_null(allow_match(a, &k, NULL, NULL, NULL));
    allow_free(a);

    a = load("udp\nsctp/*\n47/*\n17/5000\n");
    assert_match(a, s, d, 17, 9, "udp");
    assert_match(a, s, d, 17, -1, "udp");
    assert_match(a, s, d, 132, 1, "sctp/*");
    assert_match(a, s, d, 47, -1, "47/*");
    assert_no_match(a, s, d, 6, 5000);
    allow_free(a);
    /* no port is not port 0 */
    a = load("*/0-10\nudp/65535\n");
    assert_match(a, s, d, 6, 0, "*/0-10");
    assert_match(a, s, d, 17, 10, "*/0-10");
    assert_no_match(a, s, d, 1, -1);
    assert_no_match(a, s, d, 17, -1);
    assert_match(a, s, d, 17, 65535, "udp/65535");
    allow_free(a);
    a = load("17/5000\n");
    assert_match(a, s, d, 17, 5000, "17/5000");
    assert_no_match(a, s, d, 6, 5000);
    allow_free(a);
}

/* A rule with an address and a service matches when both do. */
static void test_address_and_service(void **state)
{
    (void)state;
    /* in LIST, "* /53" comes first and wins for any port 53 */
    struct allow_list *a = load(LIST);
    assert_match(a, "2001:db8:1::5", "2001:db8:ffff::53", 17, 53, "*/53");
    allow_free(a);
    /* the line ends in CR LF: the rule text has no CR */
    a = load("2001:db8::/32 udp/53\r\n");
    assert_match(a, "2001:db8:1::5", "2001:db8:ffff::53", 17, 53, "2001:db8::/32 udp/53");
    allow_free(a);
    a = load("192.0.2.53 udp/53\n2001:db8::/32 udp/53\n");
    assert_match(a, "10.0.0.1", "192.0.2.53", 17, 53, "192.0.2.53 udp/53");
    assert_no_match(a, "10.0.0.1", "192.0.2.53", 6, 53);  /* wrong protocol */
    assert_no_match(a, "10.0.0.1", "192.0.2.53", 17, 54); /* wrong port */
    assert_no_match(a, "10.0.0.1", "192.0.2.54", 17, 53); /* wrong address */
    assert_no_match(a, "10.0.0.1", "192.0.2.53", 0, 0);   /* GROUP_IP: no service */
    assert_match(a, "2001:db8::1", "2001:db8:abcd::1", 17, 53, "2001:db8::/32 udp/53");
    assert_no_match(a, "2001:db8::1", "2001:db9::1", 17, 53);
    assert_no_match(a, "2001:db8::1", "2001:db8::1", 17, 123);
    allow_free(a);
}

static void test_ipv6_prefixes(void **state)
{
    (void)state;
    struct allow_list *a = load("2001:db8::/127\n");
    assert_match(a, "::1", "2001:db8::", 0, 0, "2001:db8::/127");
    assert_match(a, "::1", "2001:db8::1", 0, 0, "2001:db8::/127");
    assert_no_match(a, "::1", "2001:db8::2", 0, 0);
    assert_no_match(a, "::1", "2001:db8::3", 0, 0);
    assert_no_match(a, "::1", "2001:db8:0:0:8000::", 0, 0);
    allow_free(a);

    a = load("2001:db8::/32\n");
    assert_match(a, "::1", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 0, 0, "2001:db8::/32");
    assert_no_match(a, "::1", "2001:db9::", 0, 0);
    assert_no_match(a, "::1", "2001:db7:ffff::", 0, 0);
    allow_free(a);

    /* /0: everything of that family and nothing of the other */
    a = load("::/0\n");
    assert_match(a, "::1", "2001:db8::1", 0, 0, "::/0");
    assert_match(a, "::1", "ff02::1", 17, 5353, "::/0");
    assert_no_match(a, "10.0.0.1", "10.0.0.2", 0, 0);
    assert_no_match(a, "10.0.0.1", "0.0.0.0", 0, 0);
    allow_free(a);
    a = load("0.0.0.0/0\n");
    assert_match(a, "10.0.0.1", "203.0.113.1", 0, 0, "0.0.0.0/0");
    assert_match(a, "10.0.0.1", "255.255.255.255", 0, 0, "0.0.0.0/0");
    assert_no_match(a, "::1", "::", 0, 0);
    assert_no_match(a, "::1", "2001:db8::1", 0, 0);
    allow_free(a);

    /* /128 and an IPv4 rule against the IPv6 key with the same first bytes */
    a = load("2001:db8::7/128\n32.1.13.184\n");
    assert_match(a, "::1", "2001:db8::7", 0, 0, "2001:db8::7/128");
    assert_no_match(a, "::1", "2001:db8::6", 0, 0);
    assert_no_match(a, "::1", "2001:db8::", 0, 0); /* 20 01 0d b8 = 32.1.13.184 */
    allow_free(a);

    /* the shipped default list */
    struct allow_list *d = NULL;
    const char *files[] = {"default"};
    char msg[ERRMSG_MAX];
    assert_int_equal(allow_load(&d, files, 1, msg), 0);
    assert_match(d, "fe80::1", "ff02::fb", 17, 5353, "udp/5353");
    assert_match(d, "fe80::1", "ff02::1:2", 17, 547, "udp/546-547");
    assert_match(d, "fe80::1", "ff02::16", 58, -1, "ff00::/8");
    assert_match(d, "10.0.0.1", "239.255.255.250", 17, 1900, "udp/1900");
    assert_match(d, "10.0.0.1", "224.0.0.22", 2, -1, "224.0.0.0/4");
    assert_match(d, "10.0.0.1", "239.255.255.255", 0, 0, "224.0.0.0/4");
    assert_no_match(d, "10.0.0.1", "240.0.0.1", 0, 0);
    assert_no_match(d, "10.0.0.1", "8.8.8.8", 17, 53);
    assert_no_match(d, "10.0.0.1", "8.8.8.8", 6, 443);
    assert_int_equal(allow_name_rules(d), 5);
    allow_free(d);
}

/* Name rules match the destination's learned name only: never without
 * one; "*.d" matches d and its subdomains, case-insensitively; a name rule
 * with a service needs both.  They are counted. */
static void test_name_rules(void **state)
{
    (void)state;
    struct allow_list *a =
        load("*.example.com\nexample.net udp/53\nupdate.example.org\n*.Mixed.Case.test\n");
    assert_int_equal(allow_name_rules(a), 4);
    const char *s = "10.0.0.1", *d = "10.0.0.2";
    /* no name known: nothing matches */
    assert_no_match(a, s, d, 17, 53);
    assert_no_match(a, s, d, 0, 0);
    assert_no_match(a, "::1", "::2", 6, 443);
    /* star form: the bare domain and any subdomain, not look-alikes */
    expect(match_host(a, s, d, 6, 443, "example.com"), "*.example.com");
    expect(match_host(a, s, d, 6, 443, "www.example.com"), "*.example.com");
    expect(match_host(a, s, d, 0, 0, "a.b.c.example.com"), "*.example.com");
    expect(match_host(a, s, d, 6, 443, "WWW.Example.COM"), "*.example.com");
    expect(match_host(a, s, d, 6, 443, "notexample.com"), NULL);
    expect(match_host(a, s, d, 6, 443, "example.com.evil.test"), NULL);
    expect(match_host(a, s, d, 6, 443, "xample.com"), NULL);
    expect(match_host(a, s, d, 6, 443, "com"), NULL);
    expect(match_host(a, s, d, 6, 443, ""), NULL);
    expect(match_host(a, s, d, 6, 443, "x.mixed.case.TEST"), "*.Mixed.Case.test");
    /* exact form: that name only */
    expect(match_host(a, s, d, 6, 443, "update.example.org"), "update.example.org");
    expect(match_host(a, s, d, 6, 443, "Update.EXAMPLE.org"), "update.example.org");
    expect(match_host(a, s, d, 6, 443, "www.update.example.org"), NULL);
    expect(match_host(a, s, d, 6, 443, "example.org"), NULL);
    /* name and service: both */
    expect(match_host(a, s, d, 17, 53, "example.net"), "example.net udp/53");
    expect(match_host(a, s, d, 6, 53, "example.net"), NULL);
    expect(match_host(a, s, d, 17, 54, "example.net"), NULL);
    expect(match_host(a, s, d, 0, 0, "example.net"), NULL);
    allow_free(a);

    /* the first matching rule wins, name or not */
    a = load("udp/53\n*.example.com\n");
    expect(match_host(a, s, d, 17, 53, "www.example.com"), "udp/53");
    expect(match_host(a, s, d, 6, 443, "www.example.com"), "*.example.com");
    allow_free(a);
}

/* Groups keyed by the destination's name (dst_name): destination address
 * rules cannot apply, but src= rules still compare the source, which is an
 * address ("src=...: the group's source (originator) address"). */
static void test_rules_on_named_groups(void **state)
{
    (void)state;
    struct allow_list *a = load("10.0.0.0/8\nsrc=192.168.1.7\n*.example.com\ntcp/22\n");
    /* results are copied out and the list freed before asserting, so that a
     * failure leaks nothing */
    char got[4][64];
    const char *want[4] = {"src=192.168.1.7", NULL, "*.example.com", "tcp/22"};
    struct group_key k = key("192.168.1.7", "10.0.0.2", 6, 443);
    memset(k.dst, 0, sizeof(k.dst));
    k.dst[0] = 42; /* a name id, not an address */
    k.dst_name = 1;
    const char *r[4];
    r[0] = allow_match(a, &k, "www.example.com", "www.example.com", NULL);
    k = key("192.168.1.8", "10.0.0.2", 6, 443);
    memset(k.dst, 0, sizeof(k.dst));
    k.dst[0] = 10; /* would fall in 10.0.0.0/8 if read as an address */
    k.dst_name = 1;
    r[1] = allow_match(a, &k, NULL, NULL, NULL);
    r[2] = allow_match(a, &k, "www.example.com", "www.example.com", NULL);
    k.dport = 22;
    r[3] = allow_match(a, &k, NULL, NULL, NULL);
    for (int i = 0; i < 4; i++)
        snprintf(got[i], sizeof(got[i]), "%s", r[i] ? r[i] : "");
    allow_free(a);
    static const char *const what[4] = {"src=192.168.1.7 on a named group from 192.168.1.7",
                                        "10.0.0.0/8 on a named group (no destination address)",
                                        "*.example.com on a named group named www.example.com",
                                        "tcp/22 on a named group, port 22"};
    for (int i = 0; i < 4; i++)
        expect_(got[i][0] ? got[i] : NULL, want[i], what[i], __FILE__, __LINE__);
}

/* A name as dig prints it (a final dot) matches like the name; a UTF-8
 * byte order mark before the first rule is no part of it (it had made
 * the first line unreadable); a name with \DDD escapes, as pcts prints a
 * DNS name's other bytes, matches as copied from its output. */
static void test_name_forms(void **state)
{
    (void)state;
    struct allow_list *a = load("\xEF\xBB\xBF"
                                "192.0.2.123\nwww.example.com.\n*.example.net.\n"
                                "\\255\\254.latin.example\n*.caf\\195\\169.example.\n");
    expect(match_host(a, "10.0.0.1", "10.0.0.2", 6, 443, "\\255\\254.latin.example"),
           "\\255\\254.latin.example");
    expect(match_host(a, "10.0.0.1", "10.0.0.2", 6, 443, "www.caf\\195\\169.example"),
           "*.caf\\195\\169.example.");
    expect(match_host(a, "10.0.0.1", "10.0.0.2", 6, 443, "\\255.latin.example"), NULL);
    assert_match(a, "10.0.0.1", "192.0.2.123", 6, 443, "192.0.2.123");
    expect(match_host(a, "10.0.0.1", "10.0.0.2", 6, 443, "www.example.com"), "www.example.com.");
    expect(match_host(a, "10.0.0.1", "10.0.0.2", 6, 443, "a.example.net"), "*.example.net.");
    expect(match_host(a, "10.0.0.1", "10.0.0.2", 6, 443, "example.com"), NULL);
    allow_free(a);
}

/* The rule text is the line without its comment, trimmed. */
static void test_rule_text(void **state)
{
    (void)state;
    struct allow_list *a = load(" \t 192.0.2.10 \t udp/53\t# resolver  \n"
                                "198.51.100.0/24\t\r\n"
                                "tcp/22#ssh\n");
    assert_match(a, "10.0.0.1", "192.0.2.10", 17, 53, "192.0.2.10 \t udp/53");
    assert_match(a, "10.0.0.1", "198.51.100.9", 0, 0, "198.51.100.0/24");
    assert_match(a, "10.0.0.1", "203.0.113.1", 6, 22, "tcp/22");
    allow_free(a);
}

/* Syntax errors: ERR_USAGE, the file name and "line N" in the message. */
static void test_syntax_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        unsigned line;
        const char *token;
    } bad[] = {
        {"10.0.0.0/33\n", 1, "10.0.0.0/33"},
        {"# c\n\n2001:db8::/129\n", 3, "2001:db8::/129"},
        {"udp/70000\n", 1, "udp/70000"},
        {"udp/65536\n", 1, "udp/65536"},
        {"tcp/1-65536\n", 1, "tcp/1-65536"},
        {"udp/123\ntcp/9-1\n", 2, "tcp/9-1"},
        {"10.0.0.1\n\n\nbogus///\n", 4, "bogus///"},
        {"hello!\n", 1, "hello!"},
        {"udp/\n", 1, "udp/"},
        {"/53\n", 1, "/53"},
        {"tcp/80-\n", 1, "tcp/80-"},
        {"10.0.0.0/\n", 1, "10.0.0.0/"},
        {"300.1.2.3\n", 1, "300.1.2.3"},
        {"10.0.0.1 10.0.0.2\n", 1, "10.0.0.2"}, /* two addresses */
        {"udp/53 tcp/80\n", 1, "tcp/80"},       /* two services */
        {"udp tcp\n", 1, "tcp"},                /* two protocols */
        {"foo/53\n", 1, "foo/53"},              /* unknown protocol */
        {"256/1\n", 1, "256/1"},                /* protocol number too big */
        {"*\n", 1, "*"},
        {"src=\n", 1, "src="},
        {"10.0.0.1 *.example.com\n", 1, "*.example.com"}, /* address and name */
        {"*.example.com 10.0.0.1\n", 1, "10.0.0.1"},      /* in either order */
        {"*.example.com src=10.0.0.1\n", 1, "src=10.0.0.1"},
        {"a.example b.example\n", 1, "b.example"},
        {"*.*.com\n", 1, "*.*.com"}, /* one leading star only */
        {"*.\n", 1, "*."},
        {"a..example\n", 1, "a..example"},
        {"\\256.example\n", 1, "\\256.example"}, /* an escape is a byte, 0 to 255 */
        {"\\25.example\n", 1, "\\25.example"},   /* of three digits */
        {"a\\.example\n", 1, "a\\.example"},
        {"x.example\\\n", 1, "x.example\\"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct allow_list *a = empty_list();
        char msg[ERRMSG_MAX] = "";
        int rc = allow_load_text(a, bad[i].text, "mine.allow", msg);
        char want[32];
        snprintf(want, sizeof(want), "line %u", bad[i].line);
        char quoted[64];
        snprintf(quoted, sizeof(quoted), "'%s'", bad[i].token);
        if (rc != ERR_USAGE || !strstr(msg, want) || !strstr(msg, "'mine.allow'") ||
            !strstr(msg, quoted)) {
            print_error("case %zu: rc %d msg \"%s\", expected ERR_USAGE with %s and %s\n", i, rc,
                        msg, want, quoted);
            fail();
        }
        allow_free(a);
    }

    /* a second part of a kind is named as such, not as unreadable */
    static const char *const twice[] = {"10.0.0.1 10.0.0.2\n", "*/53 udp/53\n",
                                        "*.example.com 10.0.0.1\n"};
    for (size_t i = 0; i < sizeof(twice) / sizeof(twice[0]); i++) {
        struct allow_list *a = empty_list();
        char msg[ERRMSG_MAX] = "";
        assert_int_equal(allow_load_text(a, twice[i], "mine.allow", msg), ERR_USAGE);
        if (!strstr(msg, "is a second") || strstr(msg, "cannot read")) {
            print_error("case %zu: \"%s\"\n", i, msg);
            fail();
        }
        allow_free(a);
    }

    /* a line too long */
    size_t n = 1000;
    char *longline = malloc(n + 1);
    memset(longline, ' ', n);
    memcpy(longline + n - 9, "10.0.0.1\n", 9);
    longline[n] = '\0';
    struct allow_list *a = empty_list();
    char msg[ERRMSG_MAX] = "";
    assert_int_equal(allow_load_text(a, longline, "long", msg), ERR_USAGE);
    assert_non_null(strstr(msg, "line 1"));
    allow_free(a);
    free(longline);

    /* files: a missing file is ERR_IO, an error in a file names it */
    struct scratch sc;
    assert_int_equal(scratch_make(&sc), 0);
    char path[256], missing[256];
    const char *text = "udp/123\n\nnonsense!\n";
    assert_int_equal(scratch_write(&sc, "x.allow", text, strlen(text), path), 0);
    scratch_path(&sc, "missing.allow", missing);
    const char *files[] = {path};
    a = NULL;
    assert_int_equal(allow_load(&a, files, 1, msg), ERR_USAGE);
    assert_null(a);
    assert_non_null(strstr(msg, "line 3"));
    assert_non_null(strstr(msg, path));
    const char *files2[] = {missing};
    assert_int_equal(allow_load(&a, files2, 1, msg), ERR_IO);
    assert_non_null(strstr(msg, missing));
    /* a good file and an empty one */
    text = "# only\n10.0.0.0/8 # comment\n";
    assert_int_equal(scratch_write(&sc, "ok.allow", text, strlen(text), path), 0);
    char empty_path[256];
    assert_int_equal(scratch_write(&sc, "empty.allow", "", 0, empty_path), 0);
    const char *files3[] = {empty_path, path};
    assert_int_equal(allow_load(&a, files3, 2, msg), 0);
    assert_match(a, "1.1.1.1", "10.9.9.9", 0, 0, "10.0.0.0/8");
    allow_free(a);
    scratch_remove(&sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_rules_want_a_dns_answer),
        cmocka_unit_test(test_parse_and_name_rules),
        cmocka_unit_test(test_address_rules),
        cmocka_unit_test(test_service_rules),
        cmocka_unit_test(test_address_and_service),
        cmocka_unit_test(test_ipv6_prefixes),
        cmocka_unit_test(test_name_rules),
        cmocka_unit_test(test_rules_on_named_groups),
        cmocka_unit_test(test_rule_text),
        cmocka_unit_test(test_name_forms),
        cmocka_unit_test(test_syntax_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * fuzz_main.c - libFuzzer target: the whole tool, src/cli/main.c's main()
 * (included here as pcts_main) over a fuzz input, so the flow table and its
 * clock, the pipeline on one and two threads, the series and statistics,
 * the scores, the allow lists and every output are reached together.
 *
 * Input: byte 0 and byte 1 choose the command line (table below); the rest
 * is the capture.  An input that starts as a capture (its magic) is one
 * whole, with a mode chosen by its size (replay.c over real captures).  SPLIT (below) cuts it into
 * up to four files, given in order (a merge by timestamp); a part that starts with '#' is an
 * --allow file instead.  The files live in a directory of their own under /tmp, made once and
 * removed at exit.
 *
 * Checked after each run: the exit status is one of README's (0, 1, 3; 2
 * only when an --allow file came from the input); no temporary file is
 * left beside -o or --html; a JSON output is JSON Lines, a CSV output has as
 * many fields in every record as in its header; an HTML report has as many
 * <script and </script as the template (a name breaking out of its JSON
 * would add one).  A sanitizer report, a leak or a failed check aborts.
 *
 * Run with -close_fd_mask=3 (the summary on standard error, every run).
 * main() is called again and again: its state that outlives a call is
 * reset here (the exact limit, set only when given), and outfile.c's signal
 * handlers, installed on the first temporary file, are put back to
 * libFuzzer's (they include SIGALRM, libFuzzer's -timeout, and SIGUSR1/2).
 */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int pcts_main(int argc, char **argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define main pcts_main
#include "cli/main.c"
#undef main

#define SPLIT "PCTSPLIT"
#define MAX_PARTS 4

static char dir[64];
static char path_out[128], path_html[128], path_in[MAX_PARTS][128], path_allow[128];

static void remove_dir(void)
{
    if (!dir[0])
        return;
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
                unlink(p);
            }
        closedir(d);
    }
    rmdir(dir);
}

static const int handled[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGXFSZ, SIGALRM, SIGUSR1, SIGUSR2};
#define NSIG_H (sizeof(handled) / sizeof(handled[0]))

/* Once, from LLVMFuzzerInitialize or (replay.c has none) the first input. */
static void setup(void)
{
    setenv("PCTS_HUGE_PAGES", "0", 1); /* never start again (hugepages.c) */
    unsetenv("PCTS_PHASES");
    snprintf(dir, sizeof(dir), "/tmp/pcts-fuzz-main.XXXXXX");
    if (!mkdtemp(dir))
        abort();
    atexit(remove_dir);
    snprintf(path_out, sizeof(path_out), "%s/out", dir);
    snprintf(path_html, sizeof(path_html), "%s/report.html", dir);
    snprintf(path_allow, sizeof(path_allow), "%s/allow.txt", dir);
    for (int i = 0; i < MAX_PARTS; i++)
        snprintf(path_in[i], sizeof(path_in[i]), "%s/in%d.pcap", dir, i);
    /* outfile.c installs its handlers once, on its first temporary file:
     * have that happen now, then give libFuzzer its own back */
    struct sigaction old[NSIG_H];
    for (size_t i = 0; i < NSIG_H; i++)
        sigaction(handled[i], NULL, &old[i]);
    struct outfile of;
    char msg[ERRMSG_MAX];
    if (outfile_open(&of, path_out, "output", msg))
        abort();
    outfile_abort(&of);
    for (size_t i = 0; i < NSIG_H; i++)
        sigaction(handled[i], &old[i], NULL);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    setup();
    return 0;
}

/* ---- output checks ---------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap + 1);
    size_t r;
    while ((r = fread(b + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            cap *= 2;
            b = realloc(b, cap + 1);
        }
    }
    fclose(f);
    b[n] = '\0';
    *len = n;
    return b;
}

static void fail(const char *what, const char *p, const char *end)
{
    fprintf(stderr, "fuzz_main: %s", what);
    if (p)
        fprintf(stderr, " at: '%.*s'", (int)(end - p < 160 ? end - p : 160), p);
    fputc('\n', stderr);
    abort();
}

/* JSON (RFC 8259) value; returns the end or NULL. */
static const char *js_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

static const char *js_value(const char *p, const char *e, int depth);

static const char *js_string(const char *p, const char *e)
{
    if (p >= e || *p != '"')
        return NULL;
    for (p++; p < e; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            return p + 1;
        if (c < 0x20)
            return NULL;
        if (c == '\\') {
            p++;
            if (p >= e)
                return NULL;
            if (*p == 'u') {
                for (int i = 0; i < 4; i++)
                    if (++p >= e || !strchr("0123456789abcdefABCDEF", *p) || !*p)
                        return NULL;
            } else if (!strchr("\"\\/bfnrt", *p) || !*p) {
                return NULL;
            }
        }
    }
    return NULL;
}

static const char *js_number(const char *p, const char *e)
{
    const char *s = p;
    if (p < e && *p == '-')
        p++;
    if (p >= e || *p < '0' || *p > '9')
        return NULL;
    if (*p == '0')
        p++;
    else
        while (p < e && *p >= '0' && *p <= '9')
            p++;
    if (p < e && *p == '.') {
        p++;
        if (p >= e || *p < '0' || *p > '9')
            return NULL;
        while (p < e && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        if (p >= e || *p < '0' || *p > '9')
            return NULL;
        while (p < e && *p >= '0' && *p <= '9')
            p++;
    }
    return p > s ? p : NULL;
}

static const char *js_value(const char *p, const char *e, int depth)
{
    if (depth > 64)
        return NULL;
    p = js_ws(p, e);
    if (p >= e)
        return NULL;
    switch (*p) {
    case '"': return js_string(p, e);
    case '{':
    case '[': {
        char close = *p == '{' ? '}' : ']';
        int obj = *p == '{';
        p = js_ws(p + 1, e);
        if (p < e && *p == close)
            return p + 1;
        for (;;) {
            if (obj) {
                p = js_string(js_ws(p, e), e);
                if (!p)
                    return NULL;
                p = js_ws(p, e);
                if (p >= e || *p != ':')
                    return NULL;
                p++;
            }
            p = js_value(p, e, depth + 1);
            if (!p)
                return NULL;
            p = js_ws(p, e);
            if (p < e && *p == ',') {
                p++;
                continue;
            }
            if (p < e && *p == close)
                return p + 1;
            return NULL;
        }
    }
    case 't': return e - p >= 4 && !memcmp(p, "true", 4) ? p + 4 : NULL;
    case 'f': return e - p >= 5 && !memcmp(p, "false", 5) ? p + 5 : NULL;
    case 'n': return e - p >= 4 && !memcmp(p, "null", 4) ? p + 4 : NULL;
    default: return js_number(p, e);
    }
}

/* The number after "key": in a JSON line (1), null (0), or absent (-1). */
static int js_field(const char *line, const char *end, const char *key, double *v)
{
    char pat[48];
    int k = snprintf(pat, sizeof(pat), "\"%s\":", key);
    for (const char *p = line; p && p < end; p++) {
        p = memmem(p, (size_t)(end - p), pat, (size_t)k);
        if (!p)
            return -1;
        if (p[-1] != ',' && p[-1] != '{')
            continue;
        p += k;
        if (end - p >= 4 && !memcmp(p, "null", 4))
            return 0;
        char *q;
        *v = strtod(p, &q);
        return q > p ? 1 : -1;
    }
    return -1;
}

/* What a row must satisfy whatever the input: scores in [0, 1], no
 * negative durations, first <= last, fewer intervals than events. */
static void check_row(const char *p, const char *nl, int flows)
{
    double a, b;
    if (flows) {
        if (js_field(p, nl, "duration", &a) == 1 && a < 0)
            fail("flow list: negative duration", p, nl);
        if (js_field(p, nl, "start", &a) == 1 && js_field(p, nl, "end", &b) == 1 && a > b)
            fail("flow list: start after end", p, nl);
        return;
    }
    static const char *const sc[] = {"score", "score_interval", "score_size", "score_coverage",
                                     "score_period"};
    for (size_t i = 0; i < sizeof(sc) / sizeof(sc[0]); i++)
        if (js_field(p, nl, sc[i], &a) == 1 && !(a >= 0 && a <= 1))
            fail("JSON output: a score outside [0, 1]", p, nl);
    if (js_field(p, nl, "duration", &a) == 1 && a < 0)
        fail("JSON output: negative duration", p, nl);
    if (js_field(p, nl, "first", &a) == 1 && js_field(p, nl, "last", &b) == 1 && a > b)
        fail("JSON output: first after last", p, nl);
    if (js_field(p, nl, "events", &a) == 1 && js_field(p, nl, "intervals", &b) == 1 &&
        b > (a > 0 ? a - 1 : 0))
        fail("JSON output: more intervals than events - 1", p, nl);
    if (js_field(p, nl, "interval_min", &a) == 1 && js_field(p, nl, "interval_max", &b) == 1 &&
        a > b)
        fail("JSON output: interval_min above interval_max", p, nl);
}

static void check_jsonl(const char *b, size_t n, int flows)
{
    const char *p = b, *e = b + n;
    while (p < e) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        if (!nl)
            fail("JSON output: last line without a newline", p, e);
        if (*p != '{')
            fail("JSON output: a line is not an object", p, nl);
        const char *q = js_value(p, nl, 0);
        if (!q || js_ws(q, nl) != nl)
            fail("JSON output: a line is not valid JSON", p, nl);
        check_row(p, nl, flows);
        p = nl + 1;
    }
}

/* RFC 4180 records: every one as many fields as the first. */
static void check_csv(const char *b, size_t n)
{
    const char *p = b, *e = b + n;
    long want = -1;
    while (p < e) {
        long fields = 1;
        const char *start = p;
        for (;;) {
            if (p < e && *p == '"') {
                for (p++;; p++) {
                    if (p >= e)
                        fail("CSV output: unterminated quoted field", start, e);
                    if (*p == '"') {
                        if (p + 1 < e && p[1] == '"')
                            p++;
                        else
                            break;
                    }
                }
                p++;
                if (p < e && *p != ',' && *p != '\n' && *p != '\r')
                    fail("CSV output: text after a quoted field", start, e);
            } else {
                while (p < e && *p != ',' && *p != '\n') {
                    if (*p == '"')
                        fail("CSV output: a quote inside an unquoted field", start, e);
                    p++;
                }
            }
            if (p < e && *p == '\r')
                p++;
            if (p >= e)
                fail("CSV output: last record without a newline", start, e);
            if (*p == ',') {
                p++;
                fields++;
                continue;
            }
            p++; /* '\n' */
            break;
        }
        if (want < 0)
            want = fields;
        else if (fields != want)
            fail("CSV output: a record's field count differs from the header's", start, e);
    }
}

static size_t count_ci(const char *b, size_t n, const char *needle)
{
    size_t k = strlen(needle), c = 0;
    for (size_t i = 0; i + k <= n; i++)
        if (!strncasecmp(b + i, needle, k))
            c++;
    return c;
}

/* The report's own <script> elements (html.c): set by the first report. */
static size_t html_open = (size_t)-1, html_close;

static void check_html(void)
{
    size_t n;
    char *b = slurp(path_html, &n);
    if (!b)
        fail("--html: no report after exit status 0", NULL, NULL);
    size_t o = count_ci(b, n, "<script"), c = count_ci(b, n, "</script");
    size_t cm = count_ci(b, n, "<!--");
    if (html_open == (size_t)-1) {
        html_open = o;
        html_close = c;
    }
    if (o != html_open || c != html_close || o != c || cm)
        fail("--html: a <script, </script or <!-- beyond the template's", NULL, NULL);
    free(b);
}

static void check_leftovers(void)
{
    DIR *d = opendir(dir);
    if (!d)
        abort();
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".pcts-")) {
            fprintf(stderr, "fuzz_main: temporary file left behind: %s\n", e->d_name);
            abort();
        }
    closedir(d);
}

/* ---- the command line ------------------------------------------------------- */

static int write_file(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    if (n && fwrite(p, 1, n, f) != n) {
        fclose(f);
        return -1;
    }
    return fclose(f);
}

/* Whether the input starts as a capture does (pcap, pcapng, gzip, zstd)
 * rather than with the two option bytes. */
static int capture_magic(const uint8_t *d, size_t n)
{
    static const uint8_t m[][4] = {{0xd4, 0xc3, 0xb2, 0xa1}, {0xa1, 0xb2, 0xc3, 0xd4},
                                   {0x4d, 0x3c, 0xb2, 0xa1}, {0xa1, 0xb2, 0x3c, 0x4d},
                                   {0x0a, 0x0d, 0x0d, 0x0a}, {0x28, 0xb5, 0x2f, 0xfd}};
    if (n >= 2 && d[0] == 0x1f && d[1] == 0x8b)
        return 1;
    for (size_t i = 0; n >= 4 && i < sizeof(m) / sizeof(m[0]); i++)
        if (!memcmp(d, m[i], 4))
            return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0])
        setup();
    if (size < 2)
        return 0;
    unsigned mode = data[0] & 15, threads = (data[0] >> 4) & 3, fmt = data[0] >> 6;
    unsigned fl = data[1];
    if (capture_magic(data, size)) {
        /* a capture as it is (replay.c over tests/fuzz/regress and the
         * reference captures): a mode from its size, JSON and HTML checked */
        mode = (unsigned)(size % 16);
        threads = 0;
        fmt = 1;
        fl = 8 | 4;
    } else {
        data += 2;
        size -= 2;
    }

    /* the parts: captures, an allow file when one starts with '#', a -f
     * expression when one starts with '~' (its printable bytes: a filter
     * leaving DNS out reaches the names' own path, learn_filtered) */
    static char filt[128];
    int nin = 0, allow_file = 0, filt_in = 0;
    const uint8_t *p = data, *e = data + size;
    for (int part = 0;; part++) {
        const uint8_t *cut = part < MAX_PARTS ? memmem(p, (size_t)(e - p), SPLIT, 8) : NULL;
        const uint8_t *end = cut ? cut : e;
        if (end > p && *p == '~' && !filt_in) {
            size_t k = 0;
            for (const uint8_t *q = p + 1; q < end && k < sizeof(filt) - 1; q++)
                if (*q >= 0x20 && *q < 0x7f)
                    filt[k++] = (char)*q;
            filt[k] = '\0';
            filt_in = 1;
        } else if (end > p && *p == '#' && !allow_file) {
            if (write_file(path_allow, p, (size_t)(end - p)))
                abort();
            allow_file = 1;
        } else if (nin < MAX_PARTS) {
            if (write_file(path_in[nin], p, (size_t)(end - p)))
                abort();
            nin++;
        }
        if (!cut)
            break;
        p = cut + 8;
    }
    if (!nin) { /* an allow file alone: an empty capture */
        if (write_file(path_in[0], NULL, 0))
            abort();
        nin = 1;
    }

    int flows = mode == 6 || mode == 7;
    char *av[64];
    int ac = 0;
    av[ac++] = "pcts";
    if (mode == 6)
        av[ac++] = "flows";
    static const char *const modes[16][8] = {
        {NULL},
        {"--group", "ip", "--series", "packets"},
        {"--group", "host"},
        {"--group", "dns"},
        {"--group", "ip"},
        {"--group", "port", "--series", "packets"},
        {NULL}, /* pcts flows */
        {"--flows", "--established-only", "--tcp-timeout", "2"},
        {"--series", "packets"},
        {"--group", "host", "--series", "packets"},
        {"--max-groups", "3", "--max-flows", "4"},
        {"--group", "ip", "--series", "packets", "--max-memory", "1M", "--exact-limit", "128"},
        {"--tcp-timeout", "0.5", "--udp-timeout", "0.5", "--established-only"},
        {"--group", "dns", "--max-groups", "2"},
        {"--min-events", "2", "--sort", "period", "--top", "3"},
        {"--group", "host", "--max-flows", "2", "--tcp-timeout", "5"},
    };
    for (int i = 0; i < 8 && modes[mode][i]; i++)
        av[ac++] = (char *)modes[mode][i];
    static char *const tnum[] = {NULL, "1", "2", "3"};
    if (threads) {
        av[ac++] = "--threads";
        av[ac++] = tnum[threads];
    }
    static char *const fname[] = {NULL, "json", "csv", "table"};
    if (fmt) {
        av[ac++] = "-F";
        av[ac++] = fname[fmt];
    }
    int html = 0;
    if (!flows) {
        if (fl & 1) {
            av[ac++] = "--allow";
            av[ac++] = "default";
        }
        if (allow_file) {
            av[ac++] = "--allow";
            av[ac++] = path_allow;
        }
        if (fl & 2) {
            av[ac++] = "--allow-mode";
            av[ac++] = "drop";
        }
        if (fl & 4) {
            av[ac++] = "--html";
            av[ac++] = path_html;
            html = 1;
        }
        if (fl & 128) {
            av[ac++] = "--exact-limit";
            av[ac++] = "128";
            av[ac++] = "--html-top";
            av[ac++] = "2";
        }
    }
    int to_file = fl & 8;
    av[ac++] = "-o";
    av[ac++] = to_file ? path_out : "/dev/null";
    if (fl & 16)
        av[ac++] = "-q";
    if (fl & 32)
        av[ac++] = "--color=always";
    if (filt_in) {
        av[ac++] = "-f";
        av[ac++] = filt;
    } else if (fl & 64) {
        av[ac++] = "-f";
        av[ac++] = "tcp or udp or icmp or ip6";
    }
    for (int i = 0; i < nin; i++)
        av[ac++] = path_in[i];
    av[ac] = NULL;

    unlink(path_out);
    unlink(path_html);
    series_set_exact_cap(SERIES_EXACT_CAP); /* main sets it only when given */
    int rc = pcts_main(ac, av);
    if (!(rc == EXIT_OK || rc == EXIT_INPUT || rc == EXIT_PARTIAL ||
          (rc == EXIT_USAGE && (allow_file || filt_in)))) {
        fprintf(stderr, "fuzz_main: exit status %d:", rc);
        for (int i = 0; i < ac; i++)
            fprintf(stderr, " %s", av[i]);
        fputc('\n', stderr);
        abort();
    }
    check_leftovers();
    if (rc == EXIT_OK && to_file) {
        size_t n;
        char *b = slurp(path_out, &n);
        if (!b)
            fail("-o: no output file after exit status 0", NULL, NULL);
        /* -F json, or the default for a name with no extension */
        if (fmt == 0 || fmt == 1)
            check_jsonl(b, n, flows);
        else if (fmt == 2)
            check_csv(b, n);
        free(b);
    }
    if (rc == EXIT_OK && html)
        check_html();
    return 0;
}

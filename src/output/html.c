/*
 * html.c - see html.h.
 *
 * The report is one UTF-8 HTML5 file with everything inline: CSS, the
 * script, and the data as JSON in <script type="application/json">
 * elements; the script builds the table (one page of rows at a time, so 50k
 * groups keep a small DOM) and draws the plots as inline SVG.  No URL is
 * ever referenced, so the file opens offline and leaks nothing.
 *
 * Data, kept compact for 50k rows:
 *   pcts-meta   {"rows","cards","t0","span","q","ports","series","sizes"}
 *   pcts-rows   one array per group, in display order (write_row):
 *               [score, src, dst, host, proto, dport, events, packets,
 *                bytes, period, median, mad, span, reason, allow]
 *   pcts-cards  one object per top candidate (write_card): its row index,
 *               event times as deltas in 1/q of the capture span, sizes,
 *               the interval histogram (log10 bins), score parts, extras.
 *
 * Every string from outside (file names, the command line, host names,
 * allow rules, reasons) goes through put_esc(), the one escaping function,
 * in HTML text/attribute or JSON-in-script context.  In the JSON context
 * '<' '>' '&' become \u003c \u003e \u0026, so "</script" can never appear;
 * invalid UTF-8 and characters HTML forbids become U+FFFD.
 *
 * The page's CSS and JavaScript live below as C string arrays, one string
 * per line (the script uses single quotes only).  docs/report.md describes
 * the page and its self-test (report.html#selftest).
 */
#include "html.h"

#include "outfile.h"
#include "../util/err.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define TIME_Q 100000      /* event times: units of capture span / TIME_Q */
#define HIST_PER_DECADE 20 /* interval histogram bins per factor of 10 */
#define HIST_MAX_BINS 320
#define POINTS_BUDGET 262144 /* events embedded over all cards */
#define POINTS_MIN 128       /* ... but at least this many per card */
#define POINTS_MAX 1024      /* ... and at most this many */

/* ---- escaping, in one place ------------------------------------------- */

enum esc_ctx {
    ESC_HTML, /* text and attribute values */
    ESC_JSON, /* inside a JSON string inside <script> */
};

/* Length of the valid UTF-8 sequence at p and its code point, or 0. */
static size_t utf8_seq(const unsigned char *p, unsigned *cp)
{
    unsigned c = p[0];
    size_t n;
    unsigned v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        v = c & 0x1F;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        v = c & 0x0F;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        v = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) /* also stops at the terminating NUL */
            return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

/* HTML forbids C0/C1 controls (but tab, LF, CR) and noncharacters. */
static int html_forbidden(unsigned cp)
{
    return (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || (cp >= 0x7F && cp <= 0x9F) ||
           (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;
}

static void put_esc(FILE *f, const char *s, enum esc_ctx ctx)
{
    static const char repl[] = "\xEF\xBF\xBD"; /* U+FFFD */
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned cp;
        size_t n = utf8_seq(p, &cp);
        if (!n || html_forbidden(cp)) {
            /* JSON could carry a control as \u00XX; the page would then put it
             * back into HTML, so it is replaced in both contexts. */
            fputs(repl, f);
            p += n ? n : 1;
            continue;
        }
        if (n > 1) {
            fwrite(p, 1, n, f);
            p += n;
            continue;
        }
        const char *e = NULL;
        char buf[8];
        if (ctx == ESC_HTML) {
            switch (cp) {
            case '&': e = "&amp;"; break;
            case '<': e = "&lt;"; break;
            case '>': e = "&gt;"; break;
            case '"': e = "&quot;"; break;
            case '\'': e = "&#39;"; break;
            }
        } else {
            switch (cp) {
            case '"': e = "\\\""; break;
            case '\\': e = "\\\\"; break;
            case '\t': e = "\\t"; break;
            case '\n': e = "\\n"; break;
            case '\r': e = "\\r"; break;
            case '<':
            case '>':
            case '&':
            case '\'':
                snprintf(buf, sizeof(buf), "\\u%04x", cp);
                e = buf;
                break;
            }
        }
        if (e)
            fputs(e, f);
        else
            fputc((int)cp, f);
        p++;
    }
}

static void html(FILE *f, const char *s)
{
    put_esc(f, s, ESC_HTML);
}

/* A JSON string, or null. */
static void jstr(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    put_esc(f, s, ESC_JSON);
    fputc('"', f);
}

enum num_fmt { NUM_F3, NUM_F6, NUM_G6 }; /* %.3f, %.6f, %.6g */

/* A JSON number, or null when absent or not finite. */
static void jnum(FILE *f, enum num_fmt fmt, double v, int present)
{
    if (!present || !isfinite(v))
        fputs("null", f);
    else if (fmt == NUM_G6)
        fprintf(f, "%.6g", v);
    else
        fprintf(f, "%.*f", fmt == NUM_F3 ? 3 : 6, v);
}

/* ---- small formatters --------------------------------------------------- */

static const char *grouped(uint64_t v, char *buf, size_t len)
{
    char d[24];
    int n = snprintf(d, sizeof(d), "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int i = 0; i < n && o + 2 < len; i++) {
        if (i && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = d[i];
    }
    buf[o] = '\0';
    return buf;
}

static void puts_lines(FILE *f, const char *const *lines)
{
    for (; *lines; lines++) {
        fputs(*lines, f);
        fputc('\n', f);
    }
}

/* ---- the page's CSS and script (one C string per line) ------------------ */

/* clang-format off */
static const char *const css_lines[] = {
    ":root{--fg:#1b1f24;--mut:#57606a;--bg:#fff;--alt:#f4f6f8;--line:#d0d7de;--acc:#0b5cad;--hi:#b42318;--mid:#b54708;--lo:#8c959f}",
    "*{box-sizing:border-box}",
    "html{background:var(--bg)}",
    "body{margin:0 auto;max-width:1600px;padding:16px 24px 40px;font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Noto Sans\",\"DejaVu Sans\",sans-serif;color:var(--fg);background:var(--bg)}",
    "h1{font-size:21px;margin:0 0 2px}",
    "h2{font-size:17px;margin:22px 0 8px;padding-bottom:3px;border-bottom:1px solid var(--line)}",
    "h3{font-size:15px;margin:0 0 8px;font-weight:600}",
    "a{color:var(--acc)}",
    "code,.mono,.num,dl.meta dd,td.mono,svg text{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,\"DejaVu Sans Mono\",\"Liberation Mono\",monospace;font-variant-numeric:tabular-nums}",
    ".mut{color:var(--mut)}",
    ".sub{margin:0 0 10px;color:var(--mut)}",
    "dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:3px 18px;margin:0;padding:10px 14px;background:var(--alt);border:1px solid var(--line);border-radius:6px;font-size:13px}",
    "dl.meta dt{color:var(--mut)}",
    "dl.meta dd{margin:0;overflow-wrap:anywhere}",
    "dl.meta code{white-space:pre-wrap;overflow-wrap:anywhere}",
    ".warn{padding:8px 12px;border:1px solid #e3b341;background:#fff8e1;border-radius:6px}",
    ".ctl{display:flex;flex-wrap:wrap;align-items:center;gap:8px 16px;margin:0 0 8px}",
    ".ctl input{font:inherit;padding:3px 6px;border:1px solid var(--line);border-radius:4px}",
    "#f-q{width:26ch}#f-score{width:8ch}",
    ".ctl button{font:inherit;padding:2px 9px;border:1px solid var(--line);border-radius:4px;background:var(--alt);color:var(--fg);cursor:pointer}",
    ".ctl button:disabled{color:var(--lo);cursor:default}",
    ".tw{overflow-x:auto}",
    "table.cands{border-collapse:collapse;width:100%;font-size:13px}",
    ".cands th{background:var(--alt);border-bottom:2px solid var(--line);text-align:left;padding:4px 6px;cursor:pointer;white-space:nowrap;user-select:none;font-weight:600}",
    ".cands th:hover{background:#e8ecf0}",
    ".cands th.num{text-align:right}",
    ".cands th .ind{color:var(--acc)}",
    ".cands td{border-bottom:1px solid #eaeef2;padding:3px 6px;vertical-align:top;white-space:nowrap}",
    ".cands td.num{text-align:right}",
    ".cands td.why{white-space:normal;min-width:38ch;max-width:70ch}",
    ".cands td.empty{text-align:center;color:var(--mut);padding:14px}",
    ".cands tbody tr:hover td{background:#f1f6fc}",
    ".cands tr.top td:first-child{border-left:3px solid var(--acc)}",
    ".bar{display:inline-block;width:42px;height:8px;background:#e6e9ed;margin-right:6px;vertical-align:middle;border-radius:2px;overflow:hidden}",
    ".bar i{display:block;height:100%}",
    ".bar i.h{background:var(--hi)}.bar i.m{background:var(--mid)}.bar i.l{background:var(--lo)}.bar i.part{background:var(--acc)}",
    ".allow{display:inline-block;padding:0 5px;border-radius:3px;background:#dafbe1;color:#116329;font-size:12px}",
    ".help{color:var(--mut);font-size:13px;margin:0 0 10px;max-width:110ch}",
    ".card{border:1px solid var(--line);border-radius:6px;padding:10px 14px;margin:0 0 14px;min-height:240px;scroll-margin-top:8px}",
    ".card:target{outline:2px solid var(--acc)}",
    ".card h3 .rank{color:var(--mut)}",
    ".card h3 .host,.card h3 .pp{color:var(--mut);font-weight:400}",
    ".card h3 .up{font-size:12px;font-weight:400;margin-left:8px}",
    ".cb{display:grid;grid-template-columns:270px minmax(0,1fr);gap:8px 20px}",
    ".cinfo{font-size:13px}",
    ".cinfo .big{font-size:15px;margin-bottom:4px}",
    "table.parts{border-collapse:collapse;margin:2px 0 6px}",
    "table.parts td{padding:1px 8px 1px 0}",
    ".cinfo p{margin:4px 0}",
    ".cinfo .why{font-weight:500}",
    "dl.kv{display:flex;flex-wrap:wrap;gap:2px 22px;margin:8px 0 0;font-size:13px}",
    "dl.kv div{display:flex;gap:6px}",
    "dl.kv dt{color:var(--mut)}dl.kv dd{margin:0;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,\"DejaVu Sans Mono\",monospace;font-variant-numeric:tabular-nums}",
    ".plots{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:10px;align-content:start}",
    "figure{margin:0}",
    "figcaption{font-size:12px;color:var(--mut);margin:0 0 2px}",
    "svg.plot{display:block;width:100%;height:auto;background:#fcfcfd;border:1px solid #eaeef2;border-radius:4px}",
    "svg text{font-size:10px;fill:var(--mut)}",
    "svg .ax{fill:none;stroke:#8c959f;stroke-width:1}",
    "svg .tk{fill:none;stroke:#8c959f;stroke-width:1}",
    "svg .grid{fill:none;stroke:#eaeef2;stroke-width:1}",
    "svg .ev{fill:none;stroke:var(--acc);stroke-width:1;stroke-opacity:.75}",
    "svg .gspan{fill:#e7f0fa}",
    "svg .bars{fill:var(--acc);fill-opacity:.85}",
    "svg .dots{fill:none;stroke:var(--acc);stroke-width:3.2;stroke-linecap:round;stroke-opacity:.7}",
    "svg .per{stroke:var(--hi);stroke-width:1.6}",
    "svg .per2{stroke:var(--hi);stroke-width:1;stroke-dasharray:3 3;stroke-opacity:.6}",
    "svg text.pl{fill:var(--hi);font-weight:600}",
    "svg text.pl2{fill:var(--hi)}",
    "svg text.nodata{font-size:12px}",
    ".note{font-size:12px;color:var(--mut);margin:4px 0 0}",
    "#selftest{font-family:monospace;padding:6px;border:2px solid var(--acc);margin:10px 0}",
    "footer{margin-top:26px;color:var(--mut);font-size:12px}",
    "@media (max-width:1000px){.cb{grid-template-columns:1fr}.plots{grid-template-columns:1fr}}",
    NULL,
};
/* clang-format on */

/* Installed first: errors and console.error land in #selftest. */
/* clang-format off */
static const char *const hook_lines[] = {
    "window.pctsErrors = [];",
    "(function () {",
    "  function note() {",
    "    var el = document.getElementById('selftest');",
    "    if (el && location.hash === '#selftest') { el.hidden = false; el.textContent = 'SELFTEST FAIL: ' + window.pctsErrors.join('; '); }",
    "  }",
    "  window.addEventListener('error', function (e) {",
    "    window.pctsErrors.push('error: ' + (e.message || (e.target && e.target.tagName) || e.type) + (e.lineno ? ' (line ' + e.lineno + ')' : ''));",
    "    note();",
    "  }, true);",
    "  window.addEventListener('unhandledrejection', function (e) { window.pctsErrors.push('unhandled rejection: ' + e.reason); note(); });",
    "  var ce = console.error;",
    "  console.error = function () { window.pctsErrors.push('console.error: ' + Array.prototype.join.call(arguments, ' ')); note(); return ce.apply(console, arguments); };",
    "})();",
    NULL,
};
/* clang-format on */

/* clang-format off */
static const char *const js_lines[] = {
    "(function () {",
    "  'use strict';",
    "  function $(id) { return document.getElementById(id); }",
    "  var M = JSON.parse($('pcts-meta').textContent);",
    "  var R = JSON.parse($('pcts-rows').textContent);",
    "  var C = JSON.parse($('pcts-cards').textContent);",
    "  var N = R.length, PS = 100;",
    "  /* row layout, written by html.c (write_row) */",
    "  var SC = 0, SRC = 1, DST = 2, HOST = 3, PROTO = 4, DPORT = 5, EV = 6, PK = 7, BY = 8,",
    "    PER = 9, MED = 10, MAD = 11, SPAN = 12, WHY = 13, ALLOW = 14;",
    "",
    "  function esc(s) {",
    "    return String(s).replace(/[&<>\"']/g, function (c) {",
    "      return c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '\"' ? '&quot;' : '&#39;';",
    "    });",
    "  }",
    "  function pad(n, w) { n = String(n); while (n.length < (w || 2)) n = '0' + n; return n; }",
    "  function grp(n) { return n == null ? '\\u2013' : String(n).replace(/\\B(?=(\\d{3})+(?!\\d))/g, ','); }",
    "  /* the table's human durations (output.c fmt_human_dur) */",
    "  function hdur(s) {",
    "    if (s == null || !(s >= 0)) return '\\u2013';",
    "    var r;",
    "    if (s < 1e-3 && Math.round(s * 1e6) < 1000) return Math.round(s * 1e6) + '\\u00b5s';",
    "    if (s < 1 && Math.round(s * 1e4) < 10000) return (Math.round(s * 1e4) / 10).toFixed(1) + 'ms';",
    "    if (s < 60 && Math.round(s * 100) < 6000) return (Math.round(s * 100) / 100).toFixed(2) + 's';",
    "    if (s < 3600 && Math.round(s) < 3600) { r = Math.round(s); return Math.floor(r / 60) + 'm' + pad(r % 60) + 's'; }",
    "    if (s < 86400 && Math.round(s / 60) < 1440) { r = Math.round(s / 60); return Math.floor(r / 60) + 'h' + pad(r % 60) + 'm'; }",
    "    r = Math.round(s / 3600);",
    "    return Math.floor(r / 24) + 'd' + pad(r % 24) + 'h';",
    "  }",
    "  function hbytes(b) {",
    "    if (b == null) return '\\u2013';",
    "    if (b < 1024) return String(Math.round(b));",
    "    var u = 'KMGTPE', v = b, i = -1;",
    "    while (v >= 1024 && i < 5) { v /= 1024; i++; }",
    "    return (v < 10 ? v.toFixed(1) : v.toFixed(0)) + u[i];",
    "  }",
    "  function iso(sec) { var d = new Date(Math.round(sec * 1000)); return isNaN(d.getTime()) ? 'invalid date          ' : d.toISOString(); }",
    "  function utc(sec) { var s = iso(sec); return s.slice(0, 10) + ' ' + s.slice(11, 19); }",
    "  /* an allow rule matched on the sender's own name only (write_row): 'allowed?' */",
    "  function allowWord(a) { return a.indexOf('(unconfirmed:') >= 0 ? 'allowed?' : 'allowed'; }",
    "  function lvl(s) { return s >= 0.7 ? 'h' : s >= 0.4 ? 'm' : 'l'; }",
    "  function bar(v, cls) {",
    "    var w = Math.round(Math.max(0, Math.min(1, v)) * 100);",
    "    return '<span class=\"bar\"><i class=\"' + (cls || lvl(v)) + '\" style=\"width:' + w + '%\"></i></span>';",
    "  }",
    "",
    "  /* ---- the table ---- */",
    "  var cardOf = new Int32Array(N).fill(-1);",
    "  C.forEach(function (c, k) { if (c.k >= 0 && c.k < N) cardOf[c.k] = k; });",
    "  function rowOf(c) { return c.k >= 0 ? R[c.k] : c.row; }",
    "  function addrKey(s) {",
    "    if (s == null) return null;",
    "    var m = /^(\\d+)\\.(\\d+)\\.(\\d+)\\.(\\d+)$/.exec(s);",
    "    return m ? '4' + pad(m[1], 3) + pad(m[2], 3) + pad(m[3], 3) + pad(m[4], 3) : '6' + s;",
    "  }",
    "  function field(j) { return function (i) { return R[i][j]; }; }",
    "  function tdNum(s, title) { return '<td class=\"num\"' + (title ? ' title=\"' + esc(title) + '\"' : '') + '>' + s + '</td>'; }",
    "  function tdDur(j) { return function (i) { var v = R[i][j]; return tdNum(hdur(v), v == null ? '' : v + ' s'); }; }",
    "  function tdStr(j, cls) { return function (i) { var v = R[i][j]; return '<td' + (cls ? ' class=\"' + cls + '\"' : '') + '>' + (v == null ? '<span class=\"mut\">\\u2013</span>' : esc(v)) + '</td>'; }; }",
    "  var COLS = [",
    "    {t: '#', num: 1, dir: 1, tip: 'rank in pcts order; a link when the group has plots below',",
    "      v: function (i) { return i; },",
    "      td: function (i) { var k = cardOf[i]; return tdNum(k >= 0 ? '<a href=\"#c' + (k + 1) + '\">' + (i + 1) + '</a>' : String(i + 1)); }},",
    "    {t: 'score', num: 1, tip: 'beacon score, 0 to 1 (docs/scoring.md)', v: field(SC),",
    "      td: function (i) { var s = R[i][SC]; return s == null ? tdNum('<span class=\"mut\">\\u2013</span>') : tdNum(bar(s) + s.toFixed(2)); }},",
    "    {t: 'src', v: field(SRC), key: function (i) { return addrKey(R[i][SRC]); }, td: tdStr(SRC, 'mono')},",
    "    {t: 'dst', v: field(DST), key: function (i) { return addrKey(R[i][DST]); }, td: tdStr(DST, 'mono')},",
    "    {t: 'host', tip: 'name of the destination (TLS SNI, HTTP Host, DNS answers)', v: field(HOST), td: tdStr(HOST, 'mono')},",
    "    {t: 'proto/dport', hide: !M.ports,",
    "      v: function (i) { var r = R[i]; return r[PROTO] == null && r[DPORT] == null ? null : (r[PROTO] || '') + ':' + (r[DPORT] == null ? '' : pad(r[DPORT], 5)); },",
    "      td: function (i) { var r = R[i]; return '<td class=\"mono\">' + (r[PROTO] == null ? '' : esc(r[PROTO])) + (r[DPORT] == null ? '' : '/' + r[DPORT]) + '</td>'; }},",
    "    {t: 'events', num: 1, tip: 'events of the series: ' + M.series, v: field(EV), td: function (i) { return tdNum(grp(R[i][EV])); }},",
    "    {t: 'packets', num: 1, v: field(PK), td: function (i) { return tdNum(grp(R[i][PK])); }},",
    "    {t: 'bytes', num: 1, v: field(BY), td: function (i) { return tdNum(hbytes(R[i][BY]), grp(R[i][BY]) + ' bytes'); }},",
    "    {t: 'period', num: 1, tip: 'detected period', v: field(PER), td: tdDur(PER)},",
    "    {t: 'median', num: 1, tip: 'median interval between events', v: field(MED), td: tdDur(MED)},",
    "    {t: 'MAD', num: 1, tip: 'median absolute deviation of the intervals', v: field(MAD), td: tdDur(MAD)},",
    "    {t: 'span', num: 1, tip: 'last event minus first', v: field(SPAN), td: tdDur(SPAN)},",
    "    {t: 'reason', v: field(WHY), td: tdStr(WHY, 'why')},",
    "    {t: 'allow', tip: 'the --allow rule that matched', v: field(ALLOW),",
    "      td: function (i) { var a = R[i][ALLOW]; return '<td>' + (a == null ? '' : '<span class=\"allow\" title=\"' + esc(a) + '\">' + allowWord(a) + '</span>') + '</td>'; }}",
    "  ].filter(function (c) { return !c.hide; });",
    "",
    "  var thead = $('cands').tHead, tbody = $('cands').tBodies[0];",
    "  var qIn = $('f-q'), sIn = $('f-score'), pInfo = $('p-info'), pCount = $('p-count');",
    "  var bFirst = $('p-first'), bPrev = $('p-prev'), bNext = $('p-next'), bLast = $('p-last');",
    "  var order = new Array(N), view, page = 0, sortCol = 0, sortDir = 1, hay = null, timer = 0;",
    "  for (var i0 = 0; i0 < N; i0++) order[i0] = i0;",
    "  view = order;",
    "",
    "  function pages() { return Math.max(1, Math.ceil(view.length / PS)); }",
    "  function head() {",
    "    var h = '<tr>';",
    "    COLS.forEach(function (c, ci) {",
    "      var on = ci === sortCol;",
    "      h += '<th tabindex=\"0\" data-c=\"' + ci + '\"' + (c.num ? ' class=\"num\"' : '') + ' aria-sort=\"' +",
    "        (on ? (sortDir > 0 ? 'ascending' : 'descending') : 'none') + '\"' + (c.tip ? ' title=\"' + esc(c.tip) + '\"' : '') + '>' +",
    "        esc(c.t) + '<span class=\"ind\">' + (on ? (sortDir > 0 ? ' \\u25b2' : ' \\u25bc') : '') + '</span></th>';",
    "    });",
    "    thead.innerHTML = h + '</tr>';",
    "  }",
    "  function render() {",
    "    var np = pages();",
    "    if (page > np - 1) page = np - 1;",
    "    if (page < 0) page = 0;",
    "    var a = page * PS, b = Math.min(view.length, a + PS), h = [];",
    "    for (var j = a; j < b; j++) {",
    "      var i = view[j], s = '<tr data-i=\"' + i + '\"' + (cardOf[i] >= 0 ? ' class=\"top\"' : '') + '>';",
    "      for (var ci = 0; ci < COLS.length; ci++) s += COLS[ci].td(i);",
    "      h.push(s + '</tr>');",
    "    }",
    "    tbody.innerHTML = h.length ? h.join('') : '<tr><td class=\"empty\" colspan=\"' + COLS.length + '\">' + (N ? 'no group matches the filter' : 'no groups') + '</td></tr>';",
    "    pInfo.textContent = 'page ' + (page + 1) + ' of ' + np;",
    "    pCount.textContent = (view.length === N ? grp(N) + ' groups' : grp(view.length) + ' of ' + grp(N) + ' groups match') +",
    "      (b > a ? '; rows ' + grp(a + 1) + '\\u2013' + grp(b) : '');",
    "    bFirst.disabled = bPrev.disabled = page === 0;",
    "    bNext.disabled = bLast.disabled = page >= np - 1;",
    "    head();",
    "  }",
    "  function filter() {",
    "    clearTimeout(timer);",
    "    var q = qIn.value.trim().toLowerCase(), m = parseFloat(sIn.value), useS = isFinite(m);",
    "    if (!q && !useS) view = order;",
    "    else {",
    "      if (q && !hay) {",
    "        hay = new Array(N);",
    "        for (var i = 0; i < N; i++) { var r = R[i]; hay[i] = (r[SRC] + '\\n' + r[DST] + '\\n' + (r[HOST] || '') + '\\n' + r[WHY]).toLowerCase(); }",
    "      }",
    "      view = order.filter(function (i) { return (!useS || (R[i][SC] != null && R[i][SC] >= m)) && (!q || hay[i].indexOf(q) >= 0); });",
    "    }",
    "    page = 0;",
    "    render();",
    "  }",
    "  function sortBy(ci, dir) {",
    "    var c = COLS[ci], f = c.key || c.v, key = new Array(N), pos = new Int32Array(N), i;",
    "    for (i = 0; i < N; i++) { key[i] = f(i); pos[order[i]] = i; }",
    "    /* stable: ties keep their previous order; nulls last in both directions */",
    "    order = order.slice().sort(function (a, b) {",
    "      var x = key[a], y = key[b];",
    "      if (x == null || y == null) return x == null && y == null ? pos[a] - pos[b] : x == null ? 1 : -1;",
    "      return x < y ? -dir : x > y ? dir : pos[a] - pos[b];",
    "    });",
    "    sortCol = ci;",
    "    sortDir = dir;",
    "    filter();",
    "  }",
    "  thead.addEventListener('click', function (e) {",
    "    var th = e.target.closest ? e.target.closest('th') : null;",
    "    if (!th) return;",
    "    var ci = +th.getAttribute('data-c'), c = COLS[ci];",
    "    sortBy(ci, ci === sortCol ? -sortDir : (c.dir || (c.num ? -1 : 1)));",
    "  });",
    "  thead.addEventListener('keydown', function (e) {",
    "    if ((e.key === 'Enter' || e.key === ' ') && e.target.closest && e.target.closest('th')) {",
    "      e.preventDefault();",
    "      var ci = +e.target.closest('th').getAttribute('data-c');",
    "      e.target.click();",
    "      var th = thead.querySelector('th[data-c=\"' + ci + '\"]');",
    "      if (th) th.focus();",
    "    }",
    "  });",
    "  function later() { clearTimeout(timer); timer = setTimeout(filter, 150); }",
    "  qIn.addEventListener('input', later);",
    "  sIn.addEventListener('input', later);",
    "  bFirst.addEventListener('click', function () { page = 0; render(); });",
    "  bPrev.addEventListener('click', function () { page--; render(); });",
    "  bNext.addEventListener('click', function () { page++; render(); });",
    "  bLast.addEventListener('click', function () { page = pages() - 1; render(); });",
    "",
    "  /* ---- plots: inline SVG ---- */",
    "  var W = 360, H = 160, L = 46, RM = 14, T = 18, B = 28, IW = W - L - RM, IH = H - T - B, BASE = T + IH;",
    "  var SPAN0 = M.span > 0 ? M.span : 1;",
    "  function f1(v) { return Math.round(v * 10) / 10; }",
    "  function tx(x, y, s, cls, anchor) {",
    "    return '<text x=\"' + f1(x) + '\" y=\"' + f1(y) + '\"' + (cls ? ' class=\"' + cls + '\"' : '') + (anchor ? ' text-anchor=\"' + anchor + '\"' : '') + '>' + esc(s) + '</text>';",
    "  }",
    "  function svg(cls, label, body) {",
    "    return '<svg class=\"plot ' + cls + '\" viewBox=\"0 0 ' + W + ' ' + H + '\" role=\"img\" aria-label=\"' + esc(label) + '\">' + body + '</svg>';",
    "  }",
    "  function frame(yAxis) { return '<path class=\"ax\" d=\"' + (yAxis ? 'M' + L + ' ' + T + 'V' + BASE : 'M' + L + ' ' + BASE) + 'H' + (L + IW) + '\"/>'; }",
    "  function nodata(msg) { return tx(L + IW / 2, T + IH / 2, msg, 'nodata', 'middle'); }",
    "  function anchorAt(x) { return x > L + IW - 22 ? 'end' : x < L + 16 ? 'start' : 'middle'; }",
    "  var TST = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800,",
    "    3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 2592000, 7776000, 31536000];",
    "  var axisCache = null;",
    "  function timeAxis() {",
    "    if (axisCache) return axisCache;",
    "    var st = TST[TST.length - 1], d = '', s = '', k;",
    "    for (k = 0; k < TST.length; k++) if (SPAN0 / TST[k] <= 5) { st = TST[k]; break; }",
    "    var first = Math.ceil(M.t0 / st);",
    "    for (k = 0; k < 12; k++) {",
    "      var t = (first + k) * st;",
    "      if (t > M.t0 + SPAN0 + 1e-6) break;",
    "      var x = L + (t - M.t0) / SPAN0 * IW, is = iso(t);",
    "      var lab = st >= 2592000 ? is.slice(0, 10) : st >= 86400 ? is.slice(5, 10) : st >= 60 ? is.slice(11, 16) : st >= 1 ? is.slice(11, 19) : is.slice(17, 23);",
    "      d += 'M' + f1(x) + ' ' + BASE + 'v4';",
    "      s += tx(x, BASE + 15, lab, '', anchorAt(x));",
    "    }",
    "    return (axisCache = '<path class=\"tk\" d=\"' + d + '\"/>' + s);",
    "  }",
    "  function times(c) {",
    "    if (c.tt) return c.tt;",
    "    var t = new Float64Array(c.t.length), a = 0;",
    "    for (var i = 0; i < c.t.length; i++) { a += c.t[i]; t[i] = a / M.q; }",
    "    return (c.tt = t);",
    "  }",
    "  function timeline(c) {",
    "    var t = times(c), b = '', d = '', last = -1, i;",
    "    if (c.x.f != null && c.x.l != null) {",
    "      var x0 = L + c.x.f / SPAN0 * IW, x1 = L + c.x.l / SPAN0 * IW;",
    "      b += '<rect class=\"gspan\" x=\"' + f1(x0) + '\" y=\"' + T + '\" width=\"' + f1(Math.max(1, x1 - x0)) + '\" height=\"' + IH + '\"/>';",
    "    }",
    "    for (i = 0; i < t.length; i++) {",
    "      var x = Math.round((L + t[i] * IW) * 2) / 2;",
    "      if (x === last) continue;",
    "      last = x;",
    "      d += 'M' + x + ' ' + (T + 6) + 'v' + (IH - 12);",
    "    }",
    "    b += frame(0) + (d ? '<path class=\"data ev\" d=\"' + d + '\"/>' : nodata('no events')) + timeAxis();",
    "    return svg('tl', 'timeline of the events across the capture', b);",
    "  }",
    "  var HT1 = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1, 10, 60, 600, 3600, 86400, 864000, 8640000];",
    "  var HT2 = [2e-6, 5e-6, 2e-5, 5e-5, 2e-4, 5e-4, 2e-3, 5e-3, 0.02, 0.05, 0.2, 0.5, 2, 5, 20, 30, 120, 300, 1200, 1800,",
    "    7200, 21600, 43200, 172800, 432000];",
    "  function sdur(v) {",
    "    function p(x) { return String(+x.toPrecision(3)); }",
    "    return v < 1e-3 ? p(v * 1e6) + '\\u00b5s' : v < 1 ? p(v * 1e3) + 'ms' : v < 60 ? p(v) + 's' : v < 3600 ? p(v / 60) + 'm' :",
    "      v < 86400 ? p(v / 3600) + 'h' : p(v / 86400) + 'd';",
    "  }",
    "  function hist(c, r) {",
    "    var h = c.h, lo = h[0], hi = h[1], cn = h[3], nb = cn.length, per = r[PER], b = frame(1), i, mx = 0, d = '';",
    "    if (!nb) return svg('hi', 'histogram of the intervals', b + nodata(h[2] ? 'every interval is 0' : 'fewer than 2 events: no intervals'));",
    "    function X(v) { return L + (Math.log10(v) - lo) / (hi - lo) * IW; }",
    "    for (i = 0; i < nb; i++) if (cn[i] > mx) mx = cn[i];",
    "    for (i = 0; i < nb; i++) {",
    "      if (!(cn[i] > 0)) continue;",
    "      var x0 = f1(L + i * IW / nb), x1 = f1(L + (i + 1) * IW / nb), y = f1(BASE - Math.max(1, cn[i] / mx * IH));",
    "      d += 'M' + x0 + ' ' + BASE + 'V' + y + 'H' + x1 + 'V' + BASE + 'z';",
    "    }",
    "    if (d) b += '<path class=\"data bars\" d=\"' + d + '\"/>';",
    "    var a = Math.pow(10, lo), z = Math.pow(10, hi), tk = HT1.filter(function (v) { return v >= a && v <= z; });",
    "    if (tk.length < 3) tk = tk.concat(HT2.filter(function (v) { return v >= a && v <= z; })).sort(function (p, q) { return p - q; });",
    "    var td = '', ts = '', lastX = -1e9;",
    "    tk.forEach(function (v) {",
    "      var x = X(v);",
    "      if (x - lastX < 34) return;",
    "      lastX = x;",
    "      td += 'M' + f1(x) + ' ' + BASE + 'v4';",
    "      ts += tx(x, BASE + 15, sdur(v), '', anchorAt(x));",
    "    });",
    "    b += '<path class=\"tk\" d=\"' + td + '\"/>' + ts;",
    "    b += tx(L - 5, T + 4, grp(mx), '', 'end') + tx(L - 5, BASE, '0', '', 'end');",
    "    if (per > 0) {",
    "      [2, 3].forEach(function (k) {",
    "        var x = X(per * k);",
    "        if (x <= L + IW) b += '<path class=\"per2\" d=\"M' + f1(x) + ' ' + T + 'V' + BASE + '\"/>' + tx(x + 2, T + 9, k + '\\u00d7', 'pl2');",
    "      });",
    "      var px = X(per), right = px > L + IW - 90;",
    "      b += '<path class=\"per\" d=\"M' + f1(px) + ' ' + (T - 6) + 'V' + BASE + '\"/>' + tx(px + (right ? -3 : 3), T - 8, 'period ' + hdur(per), 'pl', right ? 'end' : 'start');",
    "    }",
    "    return svg('hi', 'histogram of the intervals, log scale, period marked', b);",
    "  }",
    "  function niceCeil(v) {",
    "    if (!(v > 0)) return 1;",
    "    var p = Math.pow(10, Math.floor(Math.log10(v))), m = [1, 2, 2.5, 5, 10];",
    "    for (var i = 0; i < m.length; i++) if (m[i] * p >= v) return m[i] * p;",
    "    return 10 * p;",
    "  }",
    "  function sizes(c) {",
    "    var t = times(c), z = c.z, n = z.length, b = frame(1), mn = Infinity, mx = 0, i, Y, ticks = [];",
    "    if (!n) return svg('sz', 'sizes over time', b + nodata('no events'));",
    "    for (i = 0; i < n; i++) { if (z[i] > mx) mx = z[i]; if (z[i] < mn) mn = z[i]; }",
    "    if (mn > 0 && mx / mn > 100) {",
    "      var e0 = Math.floor(Math.log10(mn)), e1 = Math.ceil(Math.log10(mx));",
    "      if (e1 === e0) e1++;",
    "      Y = function (v) { return BASE - (Math.log10(v) - e0) / (e1 - e0) * IH; };",
    "      for (i = e0; i <= e1; i++) ticks.push(Math.pow(10, i));",
    "    } else {",
    "      var top = niceCeil(mx);",
    "      Y = function (v) { return BASE - v / top * IH; };",
    "      ticks = [0, top / 2, top];",
    "    }",
    "    var g = '';",
    "    ticks.forEach(function (v) {",
    "      var y = Y(v);",
    "      if (v > 0 && y < BASE - 1) g += 'M' + L + ' ' + f1(y) + 'H' + (L + IW);",
    "      b += tx(L - 5, y + 3, hbytes(v), '', 'end');",
    "    });",
    "    var d = '', seen = new Set();",
    "    for (i = 0; i < n; i++) {",
    "      var x = Math.round(L + t[i] * IW), y = Math.round(Y(z[i])), key = x * 8192 + y;",
    "      if (seen.has(key)) continue;",
    "      seen.add(key);",
    "      d += 'M' + x + ' ' + y + 'h0';",
    "    }",
    "    return svg('sz', 'event sizes over time' + (mn > 0 && mx / mn > 100 ? ', log scale' : ''),",
    "      '<path class=\"grid\" d=\"' + g + '\"/>' + b + '<path class=\"data dots\" d=\"' + d + '\"/>' + timeAxis());",
    "  }",
    "",
    "  /* ---- detail cards: headings now, bodies when they come near the viewport ---- */",
    "  var cardsEl = $('cards'), done = new Uint8Array(C.length);",
    "  function kv(k, v) { return '<div><dt>' + k + '</dt><dd>' + v + '</dd></div>'; }",
    "  function cardBody(k) {",
    "    var c = C[k], r = rowOf(c), x = c.x, p = c.p, h = '<div class=\"cinfo\"><div class=\"big\">';",
    "    h += r[SC] == null ? 'not scored' : 'score <b class=\"num\">' + r[SC].toFixed(3) + '</b> ' + bar(r[SC]);",
    "    h += '</div><table class=\"parts\">';",
    "    [['interval', 0, 'regularity of the (folded) intervals'], ['period', 1, 'share of beats supporting one period, missed beats counted'],",
    "      ['size', 2, 'share of events near the typical size'], ['coverage', 3, 'share of the capture span the group covers']].forEach(function (q) {",
    "      var v = p ? p[q[1]] : null;",
    "      h += '<tr title=\"' + q[2] + '\"><td>' + q[0] + '</td><td>' + (v == null ? '' : bar(v, 'part')) + '</td><td class=\"num\">' +",
    "        (v == null ? '\\u2013' : v.toFixed(3)) + '</td></tr>';",
    "    });",
    "    h += '</table><p class=\"why\">' + esc(r[WHY]) + '</p>';",
    "    if (r[ALLOW] != null) h += '<p><span class=\"allow\">' + allowWord(r[ALLOW]) + '</span> by <code>' + esc(r[ALLOW]) + '</code></p>';",
    "    h += '</div><div class=\"cmain\"><div class=\"plots\"><figure><figcaption>Events across the capture (UTC)</figcaption>' + timeline(c) + '</figure>' +",
    "      '<figure><figcaption>Intervals (count; log time axis)</figcaption>' + hist(c, r) + '</figure>' +",
    "      '<figure><figcaption>Sizes over time (' + esc(M.sizes) + ')</figcaption>' + sizes(c) + '</figure></div>';",
    "    h += '<dl class=\"kv\">' +",
    "      kv('events', grp(r[EV]) + (x.beats ? ' in ' + grp(x.beats) + ' beats' : '')) +",
    "      kv('packets', grp(r[PK]) + ', ' + hbytes(r[BY]) + 'B') +",
    "      kv('period', hdur(r[PER]) + (x.missed != null && r[PER] ? ', ' + Math.round(x.missed * 100) + '% beats missed' : '')) +",
    "      kv('median', hdur(r[MED]) + ' \\u00b1 ' + hdur(r[MAD]) + (x.approx ? ' (sketch)' : '')) +",
    "      kv('mean', hdur(x.mean) + ' \\u00b1 ' + hdur(x.std)) +",
    "      kv('min/max', hdur(x.min) + ' / ' + hdur(x.max)) +",
    "      kv('first', x.f == null ? '\\u2013' : utc(M.t0 + x.f)) +",
    "      kv('last', x.l == null ? '\\u2013' : utc(M.t0 + x.l) + ' (span ' + hdur(r[SPAN]) + ')') +",
    "      (x.sources > 1 ? kv('sources', grp(x.sources) + ' call this service' +",
    "        (x.alike ? ', ' + (x.alike > 1 ? grp(x.alike) + ' beating alike' : 'no other alike') : '')) : '') + '</dl>';",
    "    var notes = [];",
    "    if (c.s || c.t.length < r[EV]) notes.push('Timeline and sizes show a subsample of ' + grp(c.t.length) + ' of ' + grp(r[EV]) + ' events' +",
    "      (x.approx ? '; the histogram shows every interval, binned by the sketch.' : '; the histogram shows every interval.'));",
    "    if (c.h[2]) notes.push(grp(c.h[2]) + ' intervals of 0 are not on the log axis.');",
    "    if (notes.length) h += '<p class=\"note\">' + notes.join(' ') + '</p>';",
    "    h += '</div>';",
    "    return h;",
    "  }",
    "  function renderCard(k) {",
    "    if (done[k]) return;",
    "    done[k] = 1;",
    "    $('c' + (k + 1)).querySelector('.cb').innerHTML = cardBody(k);",
    "  }",
    "  (function () {",
    "    var h = [];",
    "    for (var k = 0; k < C.length; k++) {",
    "      var c = C[k], r = rowOf(c);",
    "      h.push('<section class=\"card\" id=\"c' + (k + 1) + '\" data-k=\"' + k + '\"><h3><span class=\"rank\">#' + (c.k >= 0 ? c.k + 1 : '?') + '</span> ' +",
    "        esc(r[SRC]) + ' \\u2192 ' + esc(r[DST]) + (r[HOST] != null ? ' <span class=\"host\">(' + esc(r[HOST]) + ')</span>' : '') +",
    "        (r[PROTO] != null ? ' <span class=\"pp\">' + esc(r[PROTO]) + (r[DPORT] != null ? '/' + r[DPORT] : '') + '</span>' : '') +",
    "        '<a class=\"up\" href=\"#candidates\">\\u2191 table</a></h3><div class=\"cb\"></div></section>');",
    "    }",
    "    cardsEl.innerHTML = h.length ? h.join('') : '<p class=\"mut\">No candidates.</p>';",
    "    if ('IntersectionObserver' in window) {",
    "      var io = new IntersectionObserver(function (es) {",
    "        es.forEach(function (e) {",
    "          if (e.isIntersecting) { renderCard(+e.target.getAttribute('data-k')); io.unobserve(e.target); }",
    "        });",
    "      }, {rootMargin: '600px 0px'});",
    "      Array.prototype.forEach.call(cardsEl.querySelectorAll('.card'), function (s) { io.observe(s); });",
    "    }",
    "    /* the rest in the background, a slice at a time, so that scrolling,",
    "     * printing and screenshots find them drawn; beyond 200 only on demand */",
    "    var next = 0, upto = Math.min(C.length, 200);",
    "    function background() {",
    "      var t = performance.now();",
    "      while (next < upto && performance.now() - t < 12) renderCard(next++);",
    "      if (next < upto) setTimeout(background, 0);",
    "    }",
    "    setTimeout(background, 30);",
    "    window.addEventListener('beforeprint', function () { for (var k = 0; k < C.length; k++) renderCard(k); });",
    "  })();",
    "",
    "  render();",
    "  void document.body.offsetHeight; /* style and layout of the first page count as load time */",
    "  var loadMs = performance.now();",
    "",
    "  /* ---- self-test: report.html#selftest (tests/e2e/html_test.sh) ---- */",
    "  function selftest() {",
    "    var t1 = performance.now(), fails = [], out = $('selftest');",
    "    function ok(cond, what) { if (!cond) fails.push(what); }",
    "    function click(el) { el.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true})); }",
    "    function colIdx(name) { for (var ci = 0; ci < COLS.length; ci++) if (COLS[ci].t === name) return ci; return -1; }",
    "    function th(name) { return thead.querySelector('th[data-c=\"' + colIdx(name) + '\"]'); }",
    "    function domRows() { return Array.prototype.map.call(tbody.querySelectorAll('tr[data-i]'), function (tr) { return +tr.getAttribute('data-i'); }); }",
    "    function pageOk(what) {",
    "      var got = domRows(), want = view.slice(page * PS, page * PS + PS);",
    "      ok(got.length === want.length && got.every(function (v, j) { return v === want[j]; }), what + ': the table rows are not the sorted data');",
    "    }",
    "    function sortedOk(name, dir, prev) {",
    "      var ci = colIdx(name), f = COLS[ci].key || COLS[ci].v, nulls = false;",
    "      ok(sortCol === ci && sortDir === dir, name + ': header click did not sort (' + sortCol + ',' + sortDir + ')');",
    "      ok(view.length === N, name + ': rows lost');",
    "      for (var j = 0; j < view.length; j++) {",
    "        var v = f(view[j]);",
    "        if (v == null) { nulls = true; continue; }",
    "        if (nulls) { fails.push(name + ': a value after a null at row ' + j); return; }",
    "        if (j === 0) continue;",
    "        var u = f(view[j - 1]);",
    "        if (dir < 0 ? u < v : u > v) { fails.push(name + ': rows ' + j + ' and ' + (j + 1) + ' out of order'); return; }",
    "        if (u === v && prev && prev[view[j - 1]] > prev[view[j]]) { fails.push(name + ': not stable at row ' + j); return; }",
    "      }",
    "      pageOk(name);",
    "    }",
    "    function positions() { var p = new Int32Array(N); order.forEach(function (i, j) { p[i] = j; }); return p; }",
    "    function setFilter(q, s) {",
    "      qIn.value = q;",
    "      sIn.value = s;",
    "      qIn.dispatchEvent(new Event('input', {bubbles: true}));",
    "      filter(); /* instead of waiting for the debounce */",
    "    }",
    "    try {",
    "      var np = Math.max(1, Math.ceil(N / PS));",
    "      ok(N === M.rows, 'rows embedded ' + N + ', expected ' + M.rows);",
    "      ok(C.length === M.cards, 'cards embedded ' + C.length + ', expected ' + M.cards);",
    "      ok(domRows().length === Math.min(PS, N), 'first page shows ' + domRows().length + ' rows');",
    "      ok(pInfo.textContent === 'page 1 of ' + np, 'page count: ' + pInfo.textContent);",
    "      ok(thead.querySelectorAll('th').length === COLS.length, 'header cells');",
    "      /* every candidate card: three plots with content */",
    "      var tc = performance.now();",
    "      for (var k0 = 0; k0 < C.length; k0++) renderCard(k0);",
    "      void document.body.offsetHeight;",
    "      var cardMs = performance.now() - tc;",
    "      for (var k = 0; k < C.length; k++) {",
    "        renderCard(k);",
    "        var card = $('c' + (k + 1)), svgs = card ? card.querySelectorAll('svg.plot') : [];",
    "        ok(svgs.length === 3, 'card ' + (k + 1) + ': ' + svgs.length + ' plots');",
    "        for (var s = 0; s < svgs.length; s++) {",
    "          var data = svgs[s].querySelector('.data'), box = svgs[s].getBoundingClientRect();",
    "          ok((data && data.getAttribute('d').length > 0) || svgs[s].querySelector('.nodata'), 'card ' + (k + 1) + ' plot ' + (s + 1) + ' is empty');",
    "          ok(box.width > 50 && box.height > 20, 'card ' + (k + 1) + ' plot ' + (s + 1) + ' has no size');",
    "        }",
    "        if (C[k].t.length && svgs.length === 3) ok(svgs[0].querySelector('.data') && svgs[2].querySelector('.data'), 'card ' + (k + 1) + ': events not drawn');",
    "        if (C[k].h[3].some(function (v) { return v > 0; }) && svgs.length === 3) ok(svgs[1].querySelector('.data'), 'card ' + (k + 1) + ': histogram not drawn');",
    "        if (C[k].k >= 0 && C[k].k < PS) ok(tbody.querySelector('tr[data-i=\"' + C[k].k + '\"] a[href=\"#c' + (k + 1) + '\"]'), 'row ' + (C[k].k + 1) + ' does not link to its card');",
    "      }",
    "      /* sorting by clicking headers */",
    "      var hs = th('score'), he = th('events');",
    "      ok(hs && he, 'score/events headers missing');",
    "      if (hs && he) {",
    "        var p = positions();",
    "        click(hs); sortedOk('score', -1, p);",
    "        p = positions();",
    "        click(th('score')); sortedOk('score', 1, p);",
    "        p = positions();",
    "        click(th('events')); sortedOk('events', -1, p);",
    "        p = positions();",
    "        click(th('period')); sortedOk('period', -1, p);",
    "        p = positions();",
    "        click(th('bytes')); click(th('bytes')); sortedOk('bytes', 1, null);",
    "        p = positions();",
    "        click(th('dst')); sortedOk('dst', 1, p);",
    "        click(th('#')); ok(view.every(function (v, j) { return v === j; }), 'back to pcts order');",
    "        pageOk('#');",
    "      }",
    "      /* filters */",
    "      if (N) {",
    "        var q = String(R[0][DST]).slice(0, 6).toLowerCase(), want = 0, i;",
    "        for (i = 0; i < N; i++) {",
    "          var r = R[i];",
    "          if ([r[SRC], r[DST], r[HOST] || '', r[WHY]].some(function (v) { return String(v).toLowerCase().indexOf(q) >= 0; })) want++;",
    "        }",
    "        setFilter(q, '');",
    "        ok(view.length === want && want >= 1, 'filter \"' + q + '\": ' + view.length + ' rows, expected ' + want);",
    "        pageOk('filter');",
    "        ok(pCount.textContent.indexOf(grp(want)) === 0, 'filter count text: ' + pCount.textContent);",
    "        setFilter('', '0.5');",
    "        want = 0;",
    "        for (i = 0; i < N; i++) if (R[i][SC] != null && R[i][SC] >= 0.5) want++;",
    "        ok(view.length === want, 'score >= 0.5: ' + view.length + ' rows, expected ' + want);",
    "        ok(view.every(function (i) { return R[i][SC] >= 0.5; }), 'score >= 0.5: a lower score shown');",
    "        pageOk('score filter');",
    "        setFilter('no such group \\u2603', '');",
    "        ok(view.length === 0 && tbody.querySelector('td.empty'), 'a filter matching nothing');",
    "        setFilter('', '');",
    "        ok(view.length === N, 'filters cleared');",
    "      }",
    "      /* paging */",
    "      if (np > 1) {",
    "        click(bNext); ok(page === 1, 'next page'); pageOk('page 2');",
    "        click(bLast); ok(page === np - 1, 'last page'); pageOk('last page');",
    "        click(bPrev); ok(page === np - 2, 'previous page');",
    "        click(bFirst); ok(page === 0, 'first page');",
    "      } else ok(bNext.disabled && bPrev.disabled, 'one page: paging buttons disabled');",
    "      ok(document.querySelectorAll('*').length < 20000 + 400 * C.length, 'DOM too large: ' + document.querySelectorAll('*').length + ' elements');",
    "    } catch (e) {",
    "      fails.push('exception: ' + (e && e.stack ? e.stack : e));",
    "    }",
    "    fails = fails.concat(window.pctsErrors || []);",
    "    out.hidden = false;",
    "    out.textContent = fails.length ? 'SELFTEST FAIL: ' + fails.join('; ') :",
    "      'SELFTEST PASS rows=' + N + ' pages=' + np + ' cards=' + C.length + ' load_ms=' + Math.round(loadMs) +",
    "      ' cards_ms=' + Math.round(cardMs) + ' selftest_ms=' + Math.round(performance.now() - t1);",
    "  }",
    "  if (location.hash === '#selftest') selftest();",
    "})();",
    NULL,
};
/* clang-format on */

/* ---- header: what was analysed (static HTML, readable without script) -- */

static void write_header(FILE *f, const struct html_info *in, size_t n_all, size_t n_top)
{
    char a[32], b[32], c[32], d[32];
    fputs("<header>\n<h1>pcts report: beacon candidates</h1>\n<p class=\"sub\">", f);
    fprintf(f, "%s groups ranked by beacon score", grouped(n_all, a, sizeof(a)));
    if (n_top)
        fprintf(f, "; the first %s with plots below", grouped(n_top, a, sizeof(a)));
    fputs(".</p>\n<dl class=\"meta\">\n<dt>files</dt><dd>", f);
    if (!in->n_files)
        fputs("(none)", f);
    for (size_t i = 0; i < in->n_files; i++) {
        if (i)
            fputs("<br>", f);
        const char *name = in->files && in->files[i] ? in->files[i] : "?";
        html(f, strcmp(name, "-") ? name : "standard input");
        fputs(" <span class=\"mut\">(", f);
        html(f, in->formats && in->formats[i] ? in->formats[i] : "unreadable");
        fputs(")</span>", f);
    }
    fputs("</dd>\n<dt>capture span</dt><dd>", f);
    if (in->first <= in->last && in->packets) {
        char t0[40], t1[40], dur[32];
        fmt_utc(in->first, t0, sizeof(t0));
        fmt_utc(in->last, t1, sizeof(t1));
        fmt_human_dur((double)((uint64_t)in->last - (uint64_t)in->first) * 1e-9, dur, sizeof(dur));
        fprintf(f, "%s \xE2\x80\x93 %s UTC (%s)", t0, t1, dur);
    } else {
        fputs("no packets", f);
    }
    fprintf(f, "</dd>\n<dt>packets</dt><dd>%s read, %s decoded, %s skipped",
            grouped(in->packets, a, sizeof(a)), grouped(in->decoded, b, sizeof(b)),
            grouped(in->skipped, c, sizeof(c)));
    fprintf(f, " (%s non-IP, ", grouped(in->skip_nonip, a, sizeof(a)));
    fprintf(f, "%s truncated, %s bad header, ", grouped(in->skip_truncated, b, sizeof(b)),
            grouped(in->skip_badhdr, c, sizeof(c)));
    fprintf(f, "%s unsupported link type, %s filtered)", grouped(in->skip_linktype, d, sizeof(d)),
            grouped(in->filtered, a, sizeof(a)));
    fprintf(f, "</dd>\n<dt>groups</dt><dd>%s (--group ", grouped(in->groups, a, sizeof(a)));
    html(f, in->group_by ? in->group_by : "?");
    fputs(", series: ", f);
    html(f, in->series ? in->series : "?");
    fprintf(f, "); %s in the table</dd>\n<dt>pcts</dt><dd>", grouped(n_all, a, sizeof(a)));
    html(f, in->version ? in->version : "?");
    fputs("</dd>\n<dt>command</dt><dd><code>", f);
    html(f, in->command ? in->command : "");
    fputs("</code></dd>\n</dl>\n</header>\n", f);
}

/* ---- data ---------------------------------------------------------------- */

static int shows_ports(const struct output_opts *o)
{
    return o->by != GROUP_IP && o->by != GROUP_DNS;
}

/* [score, src, dst, host, proto, dport, events, packets, bytes, period,
 *  median, mad, span, reason, allow] -- the script's row layout. */
static void write_row(FILE *f, const struct output_opts *o, const struct result *r)
{
    char src[64], dst[64], pb[8];
    fmt_addr(r->key, 0, src, sizeof(src));
    fputc('[', f);
    jnum(f, NUM_F3, r->sc.score, r->sc.valid);
    fputc(',', f);
    jstr(f, src);
    fputc(',', f);
    if (r->key->dst_name) {
        jstr(f, r->host ? r->host : "?");
    } else {
        fmt_addr(r->key, 1, dst, sizeof(dst));
        jstr(f, dst);
    }
    fputc(',', f);
    jstr(f, r->key->dst_name ? NULL : r->host);
    fputc(',', f);
    int ports = shows_ports(o);
    jstr(f, ports ? proto_name(r->key->proto, pb, sizeof(pb)) : NULL);
    if (ports && r->key->has_port)
        fprintf(f, ",%u", r->key->dport);
    else
        fputs(",null", f);
    fprintf(f, ",%llu,%llu,%llu,", (unsigned long long)r->events, (unsigned long long)r->packets,
            (unsigned long long)r->bytes);
    jnum(f, NUM_G6, r->sc.period, r->sc.valid && r->sc.period > 0);
    fputc(',', f);
    jnum(f, NUM_G6, r->iv.median, r->iv.count > 0);
    fputc(',', f);
    jnum(f, NUM_G6, r->iv.mad, r->iv.count > 0);
    fputc(',', f);
    jnum(f, NUM_G6, (double)((uint64_t)r->last - (uint64_t)r->first) * 1e-9,
         r->events > 0 && r->last >= r->first);
    fputc(',', f);
    char why[SCORE_REASON_MAX];
    result_reason(o, r, why, sizeof(why));
    jstr(f, why);
    fputc(',', f);
    if (r->allow && r->allow_weak) { /* allow.h: on the sender's name alone */
        char a[512];
        snprintf(a, sizeof(a), "%s (unconfirmed: only the sender's TLS SNI/HTTP Host names it)",
                 r->allow);
        jstr(f, a);
    } else {
        jstr(f, r->allow);
    }
    fputc(']', f);
}

/* Interval histogram on log10 bins: [lo, hi, zeros, [counts]] with lo and
 * hi in log10 seconds; the detected period is inside [lo, hi]. */
static void write_hist(FILE *f, const struct wval *iv, size_t n, double period)
{
    uint64_t zero = 0, cnt[HIST_MAX_BINS];
    double vmin = INFINITY, vmax = 0;
    for (size_t i = 0; i < n; i++) {
        double v = iv[i].v;
        if (!(v >= 1e-9) || !isfinite(v)) { /* 0 (or NaN) is not on a log axis */
            zero += iv[i].w;
            continue;
        }
        vmin = v < vmin ? v : vmin;
        vmax = v > vmax ? v : vmax;
    }
    if (!(vmax > 0)) {
        fprintf(f, "[null,null,%llu,[]]", (unsigned long long)zero);
        return;
    }
    const double bw = 1.0 / HIST_PER_DECADE;
    double a = log10(vmin), z = log10(vmax), lo;
    if (period > 0 && isfinite(period)) {
        /* bins aligned so that the period is in the middle of one */
        double p = log10(period);
        a = p < a ? p : a;
        z = p > z ? p : z;
        lo = p - (ceil((p - a) / bw - 0.5) + 0.5) * bw;
    } else {
        lo = floor(a / bw) * bw;
    }
    long nb_ = (long)floor((z - lo) / bw) + 1;
    if (nb_ < HIST_PER_DECADE) { /* at least one decade, centred */
        lo -= (double)((HIST_PER_DECADE - nb_) / 2) * bw;
        nb_ = HIST_PER_DECADE;
    }
    size_t nb = nb_ > HIST_MAX_BINS ? HIST_MAX_BINS : (size_t)nb_;
    double hi = lo + (double)nb_ * bw;
    double w = (hi - lo) / (double)nb;
    memset(cnt, 0, sizeof(cnt));
    for (size_t i = 0; i < n; i++) {
        double v = iv[i].v;
        if (!(v >= 1e-9) || !isfinite(v))
            continue;
        double x = floor((log10(v) - lo) / w);
        size_t b = x < 0 ? 0 : x >= (double)nb ? nb - 1 : (size_t)x;
        cnt[b] += iv[i].w;
    }
    fprintf(f, "[%.6g,%.6g,%llu,[", lo, hi, (unsigned long long)zero);
    for (size_t b = 0; b < nb; b++)
        fprintf(f, b ? ",%llu" : "%llu", (unsigned long long)cnt[b]);
    fputs("]]", f);
}

static void write_card(FILE *f, const struct output_opts *o, const struct html_group *g, long row,
                       int64_t t0, int64_t span, size_t cap)
{
    const struct result *r = g->r;
    size_t n = g->ts ? g->n : 0, shown = n > cap ? cap : n;
    fprintf(f, "{\"k\":%ld", row);
    if (row < 0) { /* not in the table (the caller's choice): carry the row */
        fputs(",\"row\":", f);
        write_row(f, o, r);
    }
    fprintf(f, ",\"s\":%d,\"t\":[", g->sampled || shown < n);
    long long prev = 0;
    for (size_t j = 0; j < shown; j++) {
        size_t i = shown < n ? (size_t)((double)j * (double)n / (double)shown) : j;
        double x = ((double)g->ts[i] - (double)t0) / (double)span;
        long long q = llround((x < 0 ? 0 : x > 1 ? 1 : x) * TIME_Q);
        fprintf(f, j ? ",%lld" : "%lld", q - prev);
        prev = q;
    }
    fputs("],\"z\":[", f);
    for (size_t j = 0; j < shown; j++) {
        size_t i = shown < n ? (size_t)((double)j * (double)n / (double)shown) : j;
        fprintf(f, j ? ",%lu" : "%lu", (unsigned long)(g->sz ? g->sz[i] : 0));
    }
    fputs("],\"h\":", f);
    write_hist(f, g->iv, g->iv ? g->n_iv : 0, r->sc.valid ? r->sc.period : 0);
    fputs(",\"p\":", f);
    if (r->sc.valid)
        fprintf(f, "[%.3f,%.3f,%.3f,%.3f]", r->sc.s_interval, r->sc.s_period, r->sc.s_size,
                r->sc.s_coverage);
    else
        fputs("null", f);
    int has = r->iv.count > 0, ev = r->events > 0;
    /* alike: sources_alike (score.h), 0 when the prevalence factor counted
     * every source */
    fprintf(f, ",\"x\":{\"beats\":%llu,\"sources\":%llu,\"alike\":%llu,\"approx\":%d,\"missed\":",
            (unsigned long long)r->sc.beats, (unsigned long long)r->sc.sources,
            (unsigned long long)r->sc.alike, r->iv.approx != 0);
    jnum(f, NUM_F3, r->sc.missed, r->sc.valid && r->sc.period > 0);
    fputs(",\"mean\":", f);
    jnum(f, NUM_G6, r->iv.mean, has);
    fputs(",\"std\":", f);
    jnum(f, NUM_G6, r->iv.std, r->iv.has_std);
    fputs(",\"min\":", f);
    jnum(f, NUM_G6, r->iv.min, has);
    fputs(",\"max\":", f);
    jnum(f, NUM_G6, r->iv.max, has);
    fputs(",\"f\":", f);
    jnum(f, NUM_F6, ((double)r->first - (double)t0) * 1e-9, ev);
    fputs(",\"l\":", f);
    jnum(f, NUM_F6, ((double)r->last - (double)t0) * 1e-9, ev);
    fputs("}}", f);
}

/* The row of the k-th top candidate r in the table, or -1: k when the
 * candidates are the table's first rows (as pcts makes them), else found. */
static long row_of(const struct result *all, const uint32_t *order, size_t n_all,
                   const struct result *r, size_t k)
{
    if (k < n_all && &all[order ? order[k] : k] == r)
        return (long)k;
    for (size_t i = 0; i < n_all; i++)
        if (all[order ? order[i] : i].key == r->key)
            return (long)i;
    return -1;
}

int html_write(FILE *f, const char *path, const struct html_info *info, const struct output_opts *o,
               const struct result *all, const uint32_t *order, size_t n_all,
               const struct html_group *top, size_t n_top, char *msg)
{
    static char buf[1 << 16];
    setvbuf(f, buf, _IOFBF, sizeof(buf));

    /* The time axis of the plots: the capture span (else the events'). */
    int64_t t0 = info->first, t1 = info->last;
    if (!(t0 <= t1 && info->packets)) {
        t0 = INT64_MAX;
        t1 = INT64_MIN;
        for (size_t k = 0; k < n_top; k++)
            if (top[k].r->events) {
                t0 = top[k].r->first < t0 ? top[k].r->first : t0;
                t1 = top[k].r->last > t1 ? top[k].r->last : t1;
            }
        if (t0 > t1)
            t0 = t1 = 0;
    }
    /* t1 >= t0: the gap fits in 64 unsigned bits across the whole range */
    int64_t span = t1 > t0 ? (int64_t)(((uint64_t)t1 - (uint64_t)t0) > (uint64_t)INT64_MAX
                                           ? INT64_MAX
                                           : (uint64_t)t1 - (uint64_t)t0)
                           : 1000000000; /* one instant: draw 1 s */
    size_t cap = n_top ? POINTS_BUDGET / n_top : POINTS_MAX;
    cap = cap < POINTS_MIN ? POINTS_MIN : cap > POINTS_MAX ? POINTS_MAX : cap;

    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
          f);
    fputs("<meta name=\"generator\" content=\"pcts ", f);
    html(f, info->version ? info->version : "");
    fputs("\">\n<link rel=\"icon\" href=\"data:,\">\n<title>pcts report", f);
    if (info->n_files && info->files && info->files[0]) {
        const char *base = strrchr(info->files[0], '/');
        fputs(": ", f);
        html(f, base && base[1] ? base + 1 : info->files[0]);
        if (info->n_files > 1)
            fprintf(f, " and %zu more", info->n_files - 1);
    }
    fputs("</title>\n<style>\n", f);
    puts_lines(f, css_lines);
    fputs("</style>\n<script>\n", f);
    puts_lines(f, hook_lines);
    fputs("</script>\n</head>\n<body>\n", f);
    write_header(f, info, n_all, n_top);
    fputs("<noscript><p class=\"warn\">The candidate table and the plots are drawn by JavaScript, "
          "which is off: only the summary above is shown. <code>pcts -F csv</code> or "
          "<code>-F json</code> give the same table as text.</p></noscript>\n",
          f);
    fputs(
        "<section id=\"candidates\">\n<h2>Candidates</h2>\n<div class=\"ctl\">"
        "<label>filter <input id=\"f-q\" type=\"search\" placeholder=\"src, dst, host or reason\" "
        "autocomplete=\"off\"></label>"
        "<label>score \xE2\x89\xA5 <input id=\"f-score\" type=\"number\" min=\"0\" max=\"1\" "
        "step=\"0.05\" placeholder=\"0\"></label>"
        "<span><button id=\"p-first\" type=\"button\" title=\"first page\">\xC2\xAB</button> "
        "<button id=\"p-prev\" type=\"button\">\xE2\x80\xB9 prev</button> "
        "<span id=\"p-info\" class=\"num\"></span> "
        "<button id=\"p-next\" type=\"button\">next \xE2\x80\xBA</button> "
        "<button id=\"p-last\" type=\"button\" title=\"last page\">\xC2\xBB</button></span>"
        "<span id=\"p-count\" class=\"mut\"></span></div>\n"
        "<div class=\"tw\"><table class=\"cands\" id=\"cands\"><thead></thead><tbody></tbody>"
        "</table></div>\n</section>\n",
        f);
    fputs("<section id=\"details\">\n<h2>Top candidates</h2>\n<p class=\"help\">Each card: the "
          "score and its parts (docs/scoring.md), the reason, and three plots sharing the "
          "capture's time axis where they have one. <b>Events</b>: one tick per event across the "
          "capture (shaded: the group's first to last event); a beacon is a comb of evenly spaced "
          "ticks. <b>Intervals</b>: how many gaps between events fall in each bin of a log time "
          "axis; the red line is the detected period, dashed lines its multiples (missed beats); "
          "a beacon is one narrow peak. <b>Sizes</b>: each event's size over time; idle check-ins "
          "form a flat line.</p>\n<div id=\"cards\"></div>\n</section>\n",
          f);
    fputs("<footer>Generated by pcts ", f);
    html(f, info->version ? info->version : "");
    fputs(". Self-contained: no network access. Open <code>#selftest</code> to run the page's "
          "self-test.</footer>\n<div id=\"selftest\" hidden></div>\n",
          f);

    /* data */
    fputs("<script type=\"application/json\" id=\"pcts-meta\">", f);
    fprintf(f, "{\"rows\":%zu,\"cards\":%zu,\"t0\":%.6f,\"span\":%.9g,\"q\":%d,\"ports\":%d,",
            n_all, n_top, (double)(t0 / 1000000000) + (double)(t0 % 1000000000) * 1e-9,
            (double)span * 1e-9, TIME_Q, shows_ports(o));
    fputs("\"series\":", f);
    jstr(f, info->series ? info->series : "");
    fputs(",\"sizes\":", f);
    jstr(f, o->by == GROUP_DNS ? "bytes per query"
            : o->flows_series  ? "originator bytes per event"
                               : "wire bytes per packet");
    fputs("}</script>\n<script type=\"application/json\" id=\"pcts-rows\">[", f);
    for (size_t i = 0; i < n_all; i++) {
        if (i)
            fputs(",\n", f);
        write_row(f, o, &all[order ? order[i] : i]);
    }
    fputs("]</script>\n<script type=\"application/json\" id=\"pcts-cards\">[", f);
    for (size_t k = 0; k < n_top; k++) {
        if (k)
            fputs(",\n", f);
        write_card(f, o, &top[k], row_of(all, order, n_all, top[k].r, k), t0, span, cap);
    }
    fputs("]</script>\n<script>\n", f);
    puts_lines(f, js_lines);
    fputs("</script>\n</body>\n</html>\n", f);

    /* No half a report: the caller puts the file in place only when every
     * byte reached it (outfile.h), and never removes what is not a regular
     * file (as root, removing --html /dev/full took the device node). */
    int e = stream_error(f);
    if (e) {
        errmsg_set(msg, "cannot write report '%s': %s", path, strerror(e));
        return ERR_IO;
    }
    return 0;
}

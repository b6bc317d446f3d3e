/*
 * err.c - error strings and diagnostic printing.
 */
#include "err.h"

#include <stdio.h>

const char *err_str(int rc)
{
    switch (rc) {
    case ERR_OK: return "success";
    case ERR_NOMEM: return "out of memory";
    case ERR_IO: return "input/output error";
    case ERR_FORMAT: return "not a capture file";
    case ERR_TRUNCATED: return "truncated input";
    case ERR_CORRUPT: return "corrupt input";
    case ERR_UNSUPPORTED: return "unsupported input";
    case ERR_USAGE: return "usage error";
    default: return "unknown error";
    }
}

void errmsg_set(char *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, ERRMSG_MAX, fmt, ap);
    va_end(ap);
}

/* Only the reading thread draws the bar and reports input errors. */
static int bar_drawn;

void warn_bar_drawn(int on)
{
    bar_drawn = on;
}

void warnx_(const char *fmt, ...)
{
    va_list ap;
    if (bar_drawn) { /* a warning midway had been appended to the bar */
        fputs("\r\033[K", stderr);
        bar_drawn = 0;
    }
    fputs("pcts: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

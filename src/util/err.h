/*
 * err.h - one error vocabulary for every layer of pcts.
 *
 * Functions that can fail return int: 0 on success, a negative enum err on
 * failure (libuv's convention).  Readers are tri-state: 1 for a record, 0 for
 * a clean end, negative for an error.  Details that a user needs (file name,
 * byte offset, what was expected) travel in a caller-supplied message buffer,
 * never in globals.
 */
#ifndef PCTS_ERR_H
#define PCTS_ERR_H

#include <stdarg.h>
#include <stddef.h>

enum err {
    ERR_OK = 0,
    ERR_NOMEM = -1,       /* allocation failed */
    ERR_IO = -2,          /* open/read/write failed (errno-level problem) */
    ERR_FORMAT = -3,      /* not a capture file we can read */
    ERR_TRUNCATED = -4,   /* input ended inside a header or record */
    ERR_CORRUPT = -5,     /* a length or field is impossible */
    ERR_UNSUPPORTED = -6, /* valid, but not something pcts handles */
    ERR_USAGE = -7,       /* bad option or argument */
};

/* Process exit statuses; documented in README.md and stable for scripts. */
enum exit_status {
    EXIT_OK = 0,      /* every input read completely */
    EXIT_INPUT = 1,   /* an input could not be read at all, or output failed */
    EXIT_USAGE = 2,   /* bad command line */
    EXIT_PARTIAL = 3, /* an input was damaged midway: results cover what was read */
};

const char *err_str(int rc);

/* Size of the message buffers passed between layers. */
#define ERRMSG_MAX 512

/* printf into a message buffer; never overflows, always terminates. */
void errmsg_set(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Diagnostics on stderr, prefixed "pcts: " (git's message style), on a
 * line of their own: a progress bar being drawn there is cleared first. */
void warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The progress bar was (1) or is no longer (0) drawn on stderr's line. */
void warn_bar_drawn(int on);

#endif

/*
 * outfile.h - the -o and --html files, written whole or not at all.
 *
 * A results file that a disk filled halfway through, or a run stopped by
 * Ctrl-C, must not pass for a complete one (a script that checks only that
 * the file exists would read a JSON cut mid-line), and a run whose inputs
 * all fail must leave an earlier file as it was.  So a regular file (new or
 * not) is written to a temporary file beside it, ".NAME.pcts-XXXXXX", and
 * renamed over it only when every byte reached it; a failure or a signal
 * removes the temporary file.  The temporary file gets the mode the file
 * had, or 0666 less the umask for a new one.  A symbolic link is followed:
 * its target is replaced, the link stays.
 *
 * Anything that is not a regular file (/dev/stdout, a FIFO, a device) is
 * written in place and never removed.  So is a regular file in a directory
 * pcts may not create files in.  Opening happens before any input is read,
 * so a typo in -o or --html costs nothing.
 */
#ifndef PCTS_OUTFILE_H
#define PCTS_OUTFILE_H

#include <stdio.h>

struct outfile {
    FILE *f;          /* write here */
    char *path;       /* as given (messages) */
    char *target;     /* the file renamed over: path, or a link's target; NULL when direct */
    char *tmp;        /* the temporary file, or NULL when written in place */
    int empty_now;    /* in place and regular: empty it before writing (outfile_start) */
    const char *what; /* "output" or "report", for messages */
};

/* 0, or ERR_IO with msg ("cannot open output 'x': ..."); what names it in
 * messages ("output", "report"). */
int outfile_open(struct outfile *o, const char *path, const char *what, char *msg);

/* Before the first byte: a regular file written in place is emptied (it
 * was opened without truncating, so that a run that writes nothing leaves
 * it).  0, or ERR_IO with msg. */
int outfile_start(struct outfile *o, char *msg);

/* Flush, close and put the file in place.  0, or ERR_IO with msg (the
 * temporary file removed, the old file, if any, as it was). */
int outfile_commit(struct outfile *o, char *msg);

/*
 * 0 when every byte written to f so far reached the system, else the
 * reason: fflush's errno, or EIO when only an earlier write failed (the
 * stream keeps its error flag but not its errno, which any call since may
 * have set: a stale errno had named an unrelated reason).
 */
int stream_error(FILE *f);

/* Close without putting anything in place (the temporary file removed). */
void outfile_abort(struct outfile *o);

#endif

/*
 * inputs.h - several capture files read as one timeline.
 *
 * Rotated captures (tcpdump -C/-G, dumpcap ring buffers) may be named in any
 * order: each file is probed for its first timestamp and the files are
 * merged record by record in timestamp order (a k-way merge over a binary
 * heap; ties go to the file named first).  Overlapping files, such as two
 * interfaces captured at once, interleave correctly too.
 *
 * Files are opened lazily: with many inputs, a file is (re)opened only when
 * the merge reaches its first timestamp and closed at its end, so a ring of
 * hundreds of files holds one or two read buffers, not hundreds.
 *
 * Errors do not stop the merge: they are reported through the callback and
 * the other files go on.  `midway` tells a file that was partly read
 * (truncated or damaged after some records) from one that could not be read
 * at all.
 */
#ifndef PCTS_INPUTS_H
#define PCTS_INPUTS_H

#include "reader.h"

#include <stddef.h>
#include <stdint.h>

typedef void (*inputs_err_cb)(void *ctx, const char *path, int rc, const char *msg, int midway);

struct inputs;

struct inputs *inputs_new(char *const *paths, size_t n, inputs_err_cb cb, void *ctx);

/* 1 and *p (borrowed until the next call), or 0 when every file is done. */
int inputs_next(struct inputs *s, struct pkt *p);
/* The next records, up to max (>= 1), into p[0..*n) (reader_next_batch():
 * their data stays valid until the next call); 0 at the end of all input. */
int inputs_next_batch(struct inputs *s, struct pkt *p, size_t max, size_t *n);

/* Bytes of the underlying files read so far, and their total size. */
void inputs_progress(const struct inputs *s, uint64_t *done, uint64_t *total);

/* Finest timestamp resolution (decimal digits) over all files read. */
int inputs_ts_digits(const struct inputs *s);

/* Files that were readable (at least their header). */
size_t inputs_readable(const struct inputs *s);

/* Records equal to a record of another input read at the same time (the
 * same timestamp, lengths and bytes): the same capture given twice, plain
 * and compressed, say; each counts twice. */
uint64_t inputs_duplicates(const struct inputs *s);

/* Reader oddities summed over every file. */
const struct reader_notes *inputs_notes(const struct inputs *s);

/* One line per readable file: "path: format" for the summary. */
const char *inputs_format(const struct inputs *s, size_t i, const char **path);
size_t inputs_count(const struct inputs *s);

/* The path of the input whose record was returned last ("-" for standard
 * input), or NULL before the first. */
const char *inputs_last_path(const struct inputs *s);

/* How many open inputs are being decompressed (a thread each). */
size_t inputs_decompressing(const struct inputs *s);

void inputs_free(struct inputs *s);

#endif

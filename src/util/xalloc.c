/*
 * xalloc.c - see xalloc.h.
 */
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die_oom(size_t n)
{
    fprintf(stderr, "pcts: out of memory, malloc failed (tried to allocate %zu bytes)\n", n);
    exit(1);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die_oom(n);
    return p;
}

void *xaligned_alloc(size_t align, size_t n)
{
    size_t sz = n ? (n + align - 1) / align * align : align; /* C11: a multiple of align */
    void *p = aligned_alloc(align, sz);
    if (!p)
        die_oom(sz);
    return p;
}

void *xaligned_realloc(void *p, size_t align, size_t keep, size_t n)
{
    void *q = xaligned_alloc(align, n);
    if (keep)
        memcpy(q, p, keep < n ? keep : n);
    free(p);
    return q;
}

void *xcalloc(size_t nmemb, size_t size)
{
    void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
    if (!p)
        die_oom(st_mult(nmemb, size));
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        die_oom(n);
    return q;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = xmalloc(n);
    memcpy(d, s, n);
    return d;
}

size_t st_mult(size_t a, size_t b)
{
    if (b && a > (size_t)-1 / b) {
        fprintf(stderr, "pcts: size overflow: %zu * %zu\n", a, b);
        exit(1);
    }
    return a * b;
}

size_t st_add(size_t a, size_t b)
{
    if (a > (size_t)-1 - b) {
        fprintf(stderr, "pcts: size overflow: %zu + %zu\n", a, b);
        exit(1);
    }
    return a + b;
}

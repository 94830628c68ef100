/* A growable byte buffer: the connection's read and write buffers.
 * Return contract (whole csrc/): 0 ok, -1 out of memory. */
#ifndef FW_BUF_H
#define FW_BUF_H

#include <stdlib.h>
#include <string.h>

typedef struct {
    char *data;
    size_t len;   /* bytes in use: data[0 .. len) */
    size_t cap;
} fw_buf_t;

/* Make room for `extra` more bytes after len.  Doubling keeps appends
 * amortised O(1); the first allocation is at least 4 KiB, a typical request. */
static inline int fw_buf_reserve(fw_buf_t *b, size_t extra)
{
    size_t need = b->len + extra;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < need)
        cap *= 2;
    char *p = (char *)realloc(b->data, cap);
    if (p == NULL)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

static inline int fw_buf_append(fw_buf_t *b, const void *src, size_t n)
{
    if (fw_buf_reserve(b, n) < 0)
        return -1;
    memcpy(b->data + b->len, src, n);
    b->len += n;
    return 0;
}

/* Drop the first n bytes. */
static inline void fw_buf_consume(fw_buf_t *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

/* Give memory back once a burst (a large upload, a big response) is over, so
 * that an idle keep-alive connection costs a few KiB, not its high-water mark. */
static inline void fw_buf_shrink(fw_buf_t *b, size_t keep)
{
    if (b->len == 0 && b->cap > keep) {
        free(b->data);
        b->data = NULL;
        b->cap = 0;
    }
}

static inline void fw_buf_free(fw_buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

#endif

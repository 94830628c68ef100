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

#define FW_BLOCK 4096
#define FW_POOL_MAX 64

/* Make room for `extra` more bytes after len.  Doubling keeps appends
 * amortised O(1); the first allocation is at least 4 KiB, a typical request. */
static inline int fw_buf_reserve(fw_buf_t *b, size_t extra)
{
    size_t need = b->len + extra;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : FW_BLOCK;
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
    if (n == 0)  /* an empty append to an unallocated buffer: memcpy(NULL, ...) is UB */
        return 0;
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

/* A free list of FW_BLOCK-sized buffers.  Response buffers are taken from
 * it and given back once their bytes are sent, so that the few in use at a
 * time stay hot in cache however many connections are open, and an idle
 * connection holds none. */
typedef struct {
    char *blocks[FW_POOL_MAX];
    int n;
} fw_pool_t;

/* Give an unallocated buffer a block from the pool (or a new one). */
static inline int fw_buf_from_pool(fw_buf_t *b, fw_pool_t *pool)
{
    if (b->cap)
        return 0;
    char *p = pool->n ? pool->blocks[--pool->n] : (char *)malloc(FW_BLOCK);
    if (p == NULL)
        return -1;
    b->data = p;
    b->cap = FW_BLOCK;
    return 0;
}

/* An emptied buffer: a block goes back to the pool; a larger buffer is kept
 * if it is at most `keep` bytes, else freed. */
static inline void fw_buf_to_pool(fw_buf_t *b, fw_pool_t *pool, size_t keep)
{
    if (b->len)
        return;
    if (b->cap == FW_BLOCK && pool->n < FW_POOL_MAX) {
        pool->blocks[pool->n++] = b->data;
        b->data = NULL;
        b->cap = 0;
        return;
    }
    fw_buf_shrink(b, keep);
}

static inline void fw_buf_free(fw_buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

#endif

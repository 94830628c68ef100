/* The io_uring backend's output blocks: the buffers a connection's queued
 * response waits in until its send completes (engine/uring.pyx: a slot's
 * nxt and fly).
 *
 * Why not the engine's shared pool (fw_buf.h, FW_POOL_MAX blocks): under
 * io_uring a response holds its block until its send's completion, so with
 * many connections hundreds are out at once.  The shared pool then ran dry:
 * a malloc and a free per response, and the blocks, cold, cost cache misses
 * in the copy in and in the kernel's copy out (conn1000), and the engine's
 * own buffers (start_response's, the write buffer) found the pool empty too.
 * This list is last in, first out and as deep as the sends in flight; the
 * blocks it kept unused since the last trim (once a second) go back to
 * malloc, so an idle worker holds none for long.
 * Return contract: 0 ok, -1 out of memory. */
#ifndef FW_URING_OUT_H
#define FW_URING_OUT_H

#include <stdlib.h>

#include "fw_buf.h"

#define FW_OUT_BLOCK 4096
#define FW_OUT_SPARE_MAX 4096

typedef struct {
    char *spare[FW_OUT_SPARE_MAX];  /* free blocks, the most recently freed last */
    int n;
    int low;  /* the fewest spare since the last trim: never needed since */
} fw_out_blocks_t;

/* Give an unallocated buffer a block. */
static inline int fw_out_take(fw_out_blocks_t *o, fw_buf_t *b)
{
    char *p;
    if (b->cap)
        return 0;
    if (o->n) {
        p = o->spare[--o->n];
        if (o->n < o->low)
            o->low = o->n;
    } else if ((p = (char *)malloc(FW_OUT_BLOCK)) == NULL) {
        return -1;
    }
    b->data = p;
    b->cap = FW_OUT_BLOCK;
    return 0;
}

/* An emptied buffer gives its block back (a grown one is freed). */
static inline void fw_out_give(fw_out_blocks_t *o, fw_buf_t *b)
{
    if (b->len)
        return;
    if (b->cap != FW_OUT_BLOCK || o->n == FW_OUT_SPARE_MAX) {
        fw_buf_free(b);  /* grown past a block (or none), or the list is full */
        return;
    }
    o->spare[o->n++] = b->data;
    b->data = NULL;
    b->cap = 0;
}

/* Free the blocks not taken since the last trim: the bottom of the list,
 * freed longest ago. */
static inline void fw_out_trim(fw_out_blocks_t *o)
{
    int k, low = o->low;
    for (k = 0; k < low; k++)
        free(o->spare[k]);
    for (k = 0; k + low < o->n; k++)
        o->spare[k] = o->spare[k + low];
    o->n -= low;
    o->low = o->n;
}

/* The list and every block in it (o may be NULL). */
static inline void fw_out_free(fw_out_blocks_t *o)
{
    if (o == NULL)
        return;
    o->low = o->n;
    fw_out_trim(o);
    free(o);
}

#endif

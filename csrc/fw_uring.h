/* The io_uring I/O backend's C side: one ring per worker, a provided-buffer
 * ring for multishot receives, and small prep helpers that take an SQE from
 * the ring (submitting the queued ones first when the ring is full), so that
 * the Cython side (engine/uring.pyx) never sees liburing's structures.
 *
 * Return contract: 0 ok; -errno on failure (liburing's convention); the
 * constructor returns NULL with a reason written into `why`.
 * Each SQE carries the caller's 64-bit user_data, which comes back in its
 * completions (fw_cqe_t); no pointer is ever stored in it. */
#ifndef FW_URING_H
#define FW_URING_H

#include <stddef.h>
#include <stdint.h>

typedef struct fw_uring fw_uring_t;

typedef struct {
    uint64_t user_data;
    int32_t res;
    uint32_t flags;
} fw_cqe_t;

/* Bits of fw_cqe_t.flags (the kernel's IORING_CQE_F_*). */
#define FW_CQE_BUFFER 1u   /* a provided buffer was used: id in flags >> 16 */
#define FW_CQE_MORE 2u     /* a multishot request goes on */

/* A ring of `entries` SQEs with `nbufs` (a power of two) receive buffers of
 * `bufsize` bytes each; NULL with the reason in why[0..whylen) when the
 * kernel refuses io_uring or lacks what the backend needs (kernel >= 6.0:
 * multishot accept, multishot recv from a buffer ring). */
fw_uring_t *fw_uring_new(unsigned entries, unsigned nbufs, unsigned bufsize,
                         char *why, size_t whylen);
void fw_uring_free(fw_uring_t *u);
int fw_uring_fd(fw_uring_t *u);

/* Queue one request (nothing reaches the kernel before fw_uring_wait). */
int fw_uring_accept(fw_uring_t *u, int lfd, int flags, int multishot, uint64_t ud);
int fw_uring_recv(fw_uring_t *u, int fd, uint64_t ud);                 /* multishot, buffer ring */
int fw_uring_send(fw_uring_t *u, int fd, const void *p, size_t n, uint64_t ud);
int fw_uring_poll(fw_uring_t *u, int fd, unsigned mask, int multishot, uint64_t ud);
int fw_uring_cancel(fw_uring_t *u, uint64_t target, uint64_t ud);     /* by user_data */
int fw_uring_cancel_any(fw_uring_t *u, uint64_t ud);                  /* every request */

/* Submit what is queued and wait up to timeout_ms (0: not at all, -1:
 * forever) for one completion: one io_uring_enter.  0 or -errno (-ETIME
 * when the time ran out, -EINTR on a signal). */
int fw_uring_wait(fw_uring_t *u, int timeout_ms);

/* Copy up to max completions into out and consume them; how many. */
unsigned fw_uring_reap(fw_uring_t *u, fw_cqe_t *out, unsigned max);

/* The receive buffer `bid` (from a completion's flags), and giving it back
 * to the kernel once its bytes are copied out. */
char *fw_uring_buf(fw_uring_t *u, unsigned bid);
void fw_uring_buf_return(fw_uring_t *u, unsigned bid);

#endif

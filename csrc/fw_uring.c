#include "fw_uring.h"

#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>

#define BGID 0

struct fw_uring {
    struct io_uring ring;
    struct io_uring_buf_ring *br;
    size_t br_size;
    char *bufs;
    unsigned nbufs;
    unsigned bufsize;
};

/* The kernel's major.minor from uname: multishot recv (6.0) cannot be
 * probed as an opcode, only by version. */
static int kernel_at_least(int major, int minor)
{
    struct utsname un;
    int ma = 0, mi = 0;
    if (uname(&un) != 0 || sscanf(un.release, "%d.%d", &ma, &mi) != 2)
        return 0;
    return ma > major || (ma == major && mi >= minor);
}

static int check_ops(struct io_uring *ring, char *why, size_t whylen)
{
    static const struct { int op; const char *name; } need[] = {
        {IORING_OP_ACCEPT, "ACCEPT"}, {IORING_OP_RECV, "RECV"}, {IORING_OP_SEND, "SEND"},
        {IORING_OP_POLL_ADD, "POLL_ADD"}, {IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL"},
    };
    struct io_uring_probe *p = io_uring_get_probe_ring(ring);
    if (p == NULL) {
        snprintf(why, whylen, "the kernel does not answer io_uring's opcode probe");
        return -1;
    }
    for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
        if (!io_uring_opcode_supported(p, need[i].op)) {
            snprintf(why, whylen, "the kernel lacks IORING_OP_%s", need[i].name);
            io_uring_free_probe(p);
            return -1;
        }
    }
    io_uring_free_probe(p);
    return 0;
}

fw_uring_t *fw_uring_new(unsigned entries, unsigned nbufs, unsigned bufsize,
                         char *why, size_t whylen)
{
    struct io_uring_params params;
    struct io_uring_buf_reg reg;
    fw_uring_t *u;
    int r;

    if (!kernel_at_least(6, 0)) {
        snprintf(why, whylen, "multishot recv with a buffer ring needs Linux >= 6.0");
        return NULL;
    }
    u = calloc(1, sizeof(*u));
    if (u == NULL) {
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    memset(&params, 0, sizeof(params));
    /* One thread submits (the loop's), and completions' task work runs only
     * in its io_uring_enter (DEFER_TASKRUN, 6.1), in one batch per wait:
     * never by interrupting the loop, and without the task_work queue
     * COOP_TASKRUN still goes through.  Every wait asks for completions
     * (GETEVENTS), which DEFER_TASKRUN needs to post them (fw_uring_wait). */
    params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN
                   | IORING_SETUP_CQSIZE;
    params.cq_entries = entries * 4;
    r = io_uring_queue_init_params(entries, &u->ring, &params);
    if (r == -EINVAL) {  /* before 6.1: completions' task work runs at any enter */
        memset(&params, 0, sizeof(params));
        params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN
                       | IORING_SETUP_CQSIZE;
        params.cq_entries = entries * 4;
        r = io_uring_queue_init_params(entries, &u->ring, &params);
    }
    if (r == -EINVAL) {  /* an older kernel without these flags */
        memset(&params, 0, sizeof(params));
        params.flags = IORING_SETUP_CQSIZE;
        params.cq_entries = entries * 4;
        r = io_uring_queue_init_params(entries, &u->ring, &params);
    }
    if (r < 0) {
        snprintf(why, whylen, "io_uring_setup: %s%s", strerror(-r),
                 r == -EPERM ? " (kernel.io_uring_disabled, or a seccomp profile)" : "");
        free(u);
        return NULL;
    }
    if (!(params.features & IORING_FEAT_NODROP) || !(params.features & IORING_FEAT_EXT_ARG)) {
        snprintf(why, whylen, "the kernel's io_uring lacks NODROP or EXT_ARG");
        goto fail_ring;
    }
    if (check_ops(&u->ring, why, whylen) < 0)
        goto fail_ring;
    u->nbufs = nbufs;
    u->bufsize = bufsize;
    u->br_size = nbufs * sizeof(struct io_uring_buf);
    u->br = mmap(NULL, u->br_size, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (u->br == MAP_FAILED) {
        u->br = NULL;
        snprintf(why, whylen, "mmap of the buffer ring: %s", strerror(errno));
        goto fail_ring;
    }
    u->bufs = malloc((size_t)nbufs * bufsize);
    if (u->bufs == NULL) {
        snprintf(why, whylen, "out of memory");
        goto fail_ring;
    }
    memset(&reg, 0, sizeof(reg));
    reg.ring_addr = (unsigned long)u->br;
    reg.ring_entries = nbufs;
    reg.bgid = BGID;
    r = io_uring_register_buf_ring(&u->ring, &reg, 0);
    if (r < 0) {
        snprintf(why, whylen, "io_uring_register_buf_ring: %s", strerror(-r));
        goto fail_ring;
    }
    io_uring_buf_ring_init(u->br);
    for (unsigned i = 0; i < nbufs; i++)
        io_uring_buf_ring_add(u->br, u->bufs + (size_t)i * bufsize, bufsize, (unsigned short)i,
                              io_uring_buf_ring_mask(nbufs), (int)i);
    io_uring_buf_ring_advance(u->br, (int)nbufs);
    return u;

fail_ring:
    io_uring_queue_exit(&u->ring);
    if (u->br != NULL)
        munmap(u->br, u->br_size);
    free(u->bufs);
    free(u);
    return NULL;
}

void fw_uring_free(fw_uring_t *u)
{
    if (u == NULL)
        return;
    io_uring_queue_exit(&u->ring);
    munmap(u->br, u->br_size);
    free(u->bufs);
    free(u);
}

int fw_uring_fd(fw_uring_t *u)
{
    return u->ring.ring_fd;
}

/* An SQE, submitting the queued ones when the ring is full. */
static struct io_uring_sqe *sqe_for(fw_uring_t *u)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
    if (sqe == NULL) {
        io_uring_submit(&u->ring);
        sqe = io_uring_get_sqe(&u->ring);
        if (sqe == NULL)
            return NULL;
    }
    return sqe;
}

int fw_uring_accept(fw_uring_t *u, int lfd, int flags, int multishot, uint64_t ud)
{
    struct io_uring_sqe *sqe = sqe_for(u);
    if (sqe == NULL)
        return -EBUSY;
    if (multishot)
        io_uring_prep_multishot_accept(sqe, lfd, NULL, NULL, flags);
    else
        io_uring_prep_accept(sqe, lfd, NULL, NULL, flags);
    io_uring_sqe_set_data64(sqe, ud);
    return 0;
}

int fw_uring_recv(fw_uring_t *u, int fd, uint64_t ud)
{
    struct io_uring_sqe *sqe = sqe_for(u);
    if (sqe == NULL)
        return -EBUSY;
    io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = BGID;
    io_uring_sqe_set_data64(sqe, ud);
    return 0;
}

int fw_uring_send(fw_uring_t *u, int fd, const void *p, size_t n, uint64_t ud)
{
    struct io_uring_sqe *sqe = sqe_for(u);
    if (sqe == NULL)
        return -EBUSY;
    io_uring_prep_send(sqe, fd, p, n, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, ud);
    return 0;
}

int fw_uring_poll(fw_uring_t *u, int fd, unsigned mask, int multishot, uint64_t ud)
{
    struct io_uring_sqe *sqe = sqe_for(u);
    if (sqe == NULL)
        return -EBUSY;
    if (multishot)
        io_uring_prep_poll_multishot(sqe, fd, mask);
    else
        io_uring_prep_poll_add(sqe, fd, mask);
    io_uring_sqe_set_data64(sqe, ud);
    return 0;
}

int fw_uring_cancel(fw_uring_t *u, uint64_t target, uint64_t ud)
{
    struct io_uring_sqe *sqe = sqe_for(u);
    if (sqe == NULL)
        return -EBUSY;
    io_uring_prep_cancel64(sqe, target, IORING_ASYNC_CANCEL_ALL);
    io_uring_sqe_set_data64(sqe, ud);
    return 0;
}

int fw_uring_cancel_any(fw_uring_t *u, uint64_t ud)
{
    struct io_uring_sqe *sqe = sqe_for(u);
    if (sqe == NULL)
        return -EBUSY;
    io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
    io_uring_sqe_set_data64(sqe, ud);
    return 0;
}

int fw_uring_wait(fw_uring_t *u, int timeout_ms)
{
    struct io_uring_cqe *cqe;
    struct __kernel_timespec ts;
    int r;
    if (timeout_ms == 0) {
        /* Not io_uring_submit: it would not post completions under
         * DEFER_TASKRUN (no GETEVENTS) when nothing is queued. */
        r = io_uring_submit_and_get_events(&u->ring);
        return r < 0 ? r : 0;
    }
    if (timeout_ms < 0) {
        r = io_uring_submit_and_wait(&u->ring, 1);
        return r < 0 ? r : 0;
    }
    ts.tv_sec = timeout_ms / 1000;
    ts.tv_nsec = (long long)(timeout_ms % 1000) * 1000000;
    r = io_uring_submit_and_wait_timeout(&u->ring, &cqe, 1, &ts, NULL);
    return r < 0 ? r : 0;
}

unsigned fw_uring_reap(fw_uring_t *u, fw_cqe_t *out, unsigned max)
{
    struct io_uring_cqe *cqe;
    unsigned head, n = 0;
    io_uring_for_each_cqe(&u->ring, head, cqe) {
        if (n == max)
            break;
        out[n].user_data = cqe->user_data;
        out[n].res = cqe->res;
        out[n].flags = cqe->flags;
        n++;
    }
    io_uring_cq_advance(&u->ring, n);
    return n;
}

char *fw_uring_buf(fw_uring_t *u, unsigned bid)
{
    return u->bufs + (size_t)bid * u->bufsize;
}

void fw_uring_buf_return(fw_uring_t *u, unsigned bid)
{
    io_uring_buf_ring_add(u->br, u->bufs + (size_t)bid * u->bufsize, u->bufsize,
                          (unsigned short)bid, io_uring_buf_ring_mask(u->nbufs), 0);
    io_uring_buf_ring_advance(u->br, 1);
}

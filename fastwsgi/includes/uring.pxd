# csrc/fw_uring.h: the io_uring backend's C side (engine/uring.pyx), with
# its contract: 0 or -errno; fw_uring_new NULL with the reason written.

from libc.stdint cimport int32_t, uint32_t, uint64_t
from fastwsgi.includes.csrc cimport fw_buf_t


cdef extern from "fw_uring.h" nogil:
    ctypedef struct fw_uring_t:
        pass
    ctypedef struct fw_cqe_t:
        uint64_t user_data
        int32_t res
        uint32_t flags
    enum:
        FW_CQE_BUFFER
        FW_CQE_MORE

    fw_uring_t *fw_uring_new(unsigned entries, unsigned nbufs, unsigned bufsize,
                             char *why, size_t whylen)
    void fw_uring_free(fw_uring_t *u)
    int fw_uring_fd(fw_uring_t *u)
    int fw_uring_accept(fw_uring_t *u, int lfd, int flags, int multishot, uint64_t ud)
    int fw_uring_recv(fw_uring_t *u, int fd, uint64_t ud)
    int fw_uring_send(fw_uring_t *u, int fd, const void *p, size_t n, uint64_t ud)
    int fw_uring_poll(fw_uring_t *u, int fd, unsigned mask, int multishot, uint64_t ud)
    int fw_uring_cancel(fw_uring_t *u, uint64_t target, uint64_t ud)
    int fw_uring_cancel_any(fw_uring_t *u, uint64_t ud)
    int fw_uring_wait(fw_uring_t *u, int timeout_ms)
    unsigned fw_uring_reap(fw_uring_t *u, fw_cqe_t *out, unsigned max)
    char *fw_uring_buf(fw_uring_t *u, unsigned bid)
    void fw_uring_buf_return(fw_uring_t *u, unsigned bid)


cdef extern from "<poll.h>" nogil:
    enum:
        POLLIN
        POLLOUT


cdef extern from "fw_uring_out.h" nogil:
    ctypedef struct fw_out_blocks_t:
        pass
    int fw_out_take(fw_out_blocks_t *o, fw_buf_t *b)
    void fw_out_give(fw_out_blocks_t *o, fw_buf_t *b)
    void fw_out_trim(fw_out_blocks_t *o)
    void fw_out_free(fw_out_blocks_t *o)

# engine/uring.pyx: the io_uring backend (its theory of operation is there).

# What the backend keeps for one connection's socket.  A slot outlives its
# Connection while the kernel still holds requests that name it (ops > 0) or
# while its last response drains (close_pending): it is freed only when
# neither is left, so no completion ever meets freed memory.
cdef struct USlot:
    int fd                 # the socket, -1 once closed
    int next_free          # the free list's link
    uint32_t gen           # bumped at each reuse; in every user_data
    uint32_t want          # EPOLLIN / EPOLLOUT: what the connection waits for
    int ops                # requests in the kernel that name this slot
    bint alive             # a Connection owns it
    bint in_free           # on the free list
    bint recv_on           # the multishot recv is armed (until its last CQE)
    bint recv_cancelling
    bint eof               # the recv ended with EOF or an error
    bint broken            # a send failed: the peer is gone
    bint poll_on           # a POLLOUT poll is armed (sendfile's wait)
    bint send_on           # a send of `fly` is in the kernel
    bint queued            # in Uring.dirty: nxt waits for a send SQE
    bint ready             # in Uring.ready: held input to hand over
    bint shut_pending      # shutdown(SHUT_WR) once the output has drained
    bint close_pending     # close(fd) once the output has drained
    int64_t deadline       # close_pending: give up draining then (ms)
    fw_buf_t hold          # bytes received, not yet taken by tr_recv
    size_t hold_off
    fw_buf_t fly           # bytes the send in the kernel reads (never moved)
    size_t fly_off
    fw_buf_t nxt           # bytes queued behind it


cdef class Uring:
    cdef fw_uring_t *ring
    cdef Server server
    cdef USlot *slots
    cdef int nslots
    cdef int free_head
    cdef int *fd_slot            # slot of each fd, -1 where none
    cdef int fd_cap
    cdef int *dirty              # slots whose nxt waits for a send SQE
    cdef int ndirty
    cdef list ready              # Connections with held input to hand over
    cdef uint32_t *listen_gen
    cdef bint *listen_armed
    cdef int nlisteners
    cdef fw_cqe_t *cqes
    cdef fw_out_blocks_t *out    # the slots' output blocks (csrc/fw_uring_out.h)
    cdef readonly int zombies    # slots closed by their Connection, still draining
    cdef readonly int inflight   # requests in the kernel (teardown waits for them)
    cdef bint *listen_again      # its last accept batch stopped at the limit
    cdef int accept_again        # how many listen_again are set
    cdef bint closing
    cdef bint nogil_wait         # an executor's threads run during the wait
    cdef int bell_fd             # the load board's bell, -1 if none
    cdef int cur_slot            # the completion being handed to tr_recv
    cdef const char *cur
    cdef size_t cur_len

    cdef int _slot_new(self, int fd) except -1
    cdef int _maybe_free(self, int i) noexcept
    cdef int _arm_recv(self, int i) noexcept
    cdef int _cancel(self, uint64_t target) noexcept
    cdef int attach(self, Connection c, bint read_now) except -1
    cdef int listen(self, bint on) except -1
    cdef int _accept_again(self) except -1
    cdef int _clear_again(self) noexcept
    cdef int accept_later(self, int index) noexcept
    cdef int watch_executor(self, int efd) except -1
    cdef int watch_bell(self, int fd) except -1
    cdef int want(self, Connection c, uint32_t events) except -1
    cdef ssize_t recv_into(self, Connection c, char *buf, size_t n) noexcept
    cdef ssize_t queue_send(self, Connection c, const char *p, size_t n) noexcept
    cdef int send_now(self, Connection c) noexcept
    cdef bint output_pending(self, Connection c) noexcept
    cdef int shutdown_write(self, Connection c) noexcept
    cdef int close_conn(self, Connection c) noexcept
    cdef int _close_fd(self, int i) noexcept
    cdef int _submit_sends(self) noexcept
    cdef int turn(self, int timeout_ms) except -1
    cdef int _complete(self, fw_cqe_t *e) except -1
    cdef int _accepted(self, int index, uint32_t gen, int res, uint32_t flags) except -1
    cdef int _received(self, int i, int res, uint32_t flags) except -1
    cdef int _sent(self, int i, int res) except -1
    cdef int _serve_ready(self) except -1
    cdef int sweep(self) except -1
    cdef int teardown(self) except -1

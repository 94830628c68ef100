# Choosing the I/O backend at a worker's start: an io_uring ring where the
# kernel allows it (seccomp and io_uring_disabled can refuse it), else epoll.


def choose_backend(Server server, str setting, bint greenlets):
    """The worker's backend: a Uring, or None for epoll; and why, for the
    one log line the worker writes."""
    cdef char why[256]
    if setting == "epoll":
        return None, "io_backend is epoll"
    if server.tls is not None:
        return None, "TLS listeners are served by epoll"
    if greenlets:
        return None, "the greenlet worker classes wait through epoll"
    why[0] = 0
    cdef fw_uring_t *ring = fw_uring_new(RING_ENTRIES, RING_BUFS, RING_BUF_SIZE, why, sizeof(why))
    if ring == NULL:
        reason = why.decode("utf-8", "replace")
        if setting == "io_uring":
            raise RuntimeError(f"io_backend is io_uring, but io_uring is not available: {reason}")
        return None, f"io_uring is not available ({reason})"
    return _new_uring(server, ring), "io_backend is io_uring" if setting == "io_uring" else "the kernel allows it"


cdef Uring _new_uring(Server server, fw_uring_t *ring):
    cdef Uring self = Uring.__new__(Uring)
    self.ring = ring
    self.server = server
    self.nlisteners = len(server.listeners)
    self.listen_gen = <uint32_t *>calloc(max(self.nlisteners, 1), sizeof(uint32_t))
    self.listen_armed = <bint *>calloc(max(self.nlisteners, 1), sizeof(bint))
    self.listen_again = <bint *>calloc(max(self.nlisteners, 1), sizeof(bint))
    self.cqes = <fw_cqe_t *>mem_alloc(sizeof(fw_cqe_t) * CQE_BATCH)
    self.out = <fw_out_blocks_t *>calloc(1, sizeof(fw_out_blocks_t))
    if (self.listen_gen == NULL or self.listen_armed == NULL or self.listen_again == NULL
            or self.out == NULL):
        raise MemoryError()
    return self


def io_uring_probe():
    """(True, "") when this process may run the io_uring backend, else
    (False, the reason): the same probe a worker makes at start."""
    cdef char why[256]
    why[0] = 0
    cdef fw_uring_t *ring = fw_uring_new(8, 8, RING_BUF_SIZE, why, sizeof(why))
    if ring == NULL:
        return False, why.decode("utf-8", "replace")
    fw_uring_free(ring)
    return True, ""

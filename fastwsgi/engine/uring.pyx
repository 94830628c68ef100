# The io_uring I/O backend: the worker's loop waits in one io_uring_enter per
# turn, which also submits everything the turn queued.
#
# Theory of operation.  The connection state machine (connection.pyx) is the
# epoll one, unchanged: it still asks for readiness with _want(EPOLLIN /
# EPOLLOUT) and moves bytes with the tr_* calls of transport.pyx.  For a
# TR_URING connection those land here:
#   - input: one multishot recv per connection, into the ring's provided
#     buffers (csrc/fw_uring.c).  A completion's bytes are handed to the
#     connection at once (on_readable, whose tr_recv copies them out of the
#     ring buffer, which goes straight back to the kernel) when it waits for
#     input; otherwise (a response is being sent, the app has the request)
#     they are held in the slot's `hold` and handed over once it waits again
#     (Uring.ready).  Past HOLD_MAX held bytes the recv is cancelled, so a
#     client that sends without reading is bounded as TCP bounds it under
#     epoll; it is armed again once the hold drains.
#   - output: tr_send copies into the slot's `nxt` buffer; before each wait
#     every slot with queued bytes gets one send SQE for all of them (`nxt`
#     becomes `fly`, which nothing touches until its completion), so the
#     responses of a whole turn go to the kernel in that turn's one enter.
#     Past OUT_MAX queued bytes tr_send says IO_AGAIN, and _want(EPOLLOUT)
#     then means "when a send completes".  A file (wsgi.file_wrapper) is
#     sent with a synchronous sendfile(2) once the queued bytes are out,
#     waiting for POLLOUT (a oneshot poll) when the socket is full.
#   - close: the Connection is gone at once (the server forgets it), but its
#     slot stays while the kernel holds requests that name it: recv and poll
#     are cancelled, and queued output is sent out first (close_pending)
#     before the socket is closed, bounded by SEND_STALL_MS.
#
# Lifetime rule.  Every SQE's user_data is (op, slot, generation), never a
# pointer.  A slot counts its requests in the kernel (ops) and is reused
# only when it has none and no socket: a late completion always finds its
# own slot, with its generation, and the buffers the kernel reads from are
# freed only after the completion that ends the read.  Slots are an array
# that may move when it grows, so a USlot pointer is fetched again after any
# call that can reach Python (a connection's handlers can accept, close).
#
# Listeners: each is watched by a multishot POLL_ADD (POLLIN), armed while
# the worker accepts and cancelled when it stops (Server._listen: full,
# over its share on the load board, stopping).  Not EPOLLEXCLUSIVE: epoll's
# exclusive wake-up passes over a worker that is not waiting, io_uring's
# does not, so a worker busy or about to stop accepting would swallow the
# wake-ups of connections it then leaves in the backlog, and the others
# never hear of them (with it, test_balance's saturated-gthread test left
# long requests unserved).  Every worker is woken; those that lose the race
# get EAGAIN from accept4().
# Its completion runs the epoll path's Server._accept, whose accept4()
# batch follows the same gating (executor room, worker_connections, the
# load board after each connection), so both backends spread connections
# alike.  The kernel takes no connection on its own: what is not accepted
# stays in the backlog for another worker.  A poll reports wake-ups, not a
# level: when _accept stops at its batch limit with more waiting, the next
# turn accepts again without waiting (accept_again).
# An executor's eventfd is watched by a multishot poll.  TLS listeners stay
# on epoll (their bytes go through OpenSSL's own socket I/O), as do the
# greenlet worker classes (the hub waits on the loop's epoll fd).

DEF UD_ACCEPT = 1
DEF UD_RECV = 2
DEF UD_SEND = 3
DEF UD_POLLOUT = 4
DEF UD_EFD = 5
DEF UD_CANCEL = 6
DEF UD_BELL = 7
DEF RING_ENTRIES = 1024
DEF RING_BUFS = 1024
DEF RING_BUF_SIZE = 4096
DEF CQE_BATCH = 256
DEF HOLD_MAX = 262144
DEF OUT_MAX = 524288
DEF SLOTS_MAX = 0xffffff
DEF TEARDOWN_MS = 1000


cdef inline uint64_t _ud(uint64_t op, uint64_t index, uint32_t gen) noexcept:
    return (op << 56) | (index << 32) | gen


cdef class Uring:
    """One worker's ring, its receive buffers and its connections' slots."""

    def __cinit__(self):
        self.free_head = -1
        self.cur_slot = -1
        self.ready = []

    def __dealloc__(self):
        cdef int i
        if self.ring != NULL:
            fw_uring_free(self.ring)
            self.ring = NULL
        for i in range(self.nslots):
            fw_buf_free(&self.slots[i].hold)
            fw_buf_free(&self.slots[i].fly)
            fw_buf_free(&self.slots[i].nxt)
        free(self.slots)
        free(self.fd_slot)
        free(self.dirty)
        free(self.listen_gen)
        free(self.listen_armed)
        free(self.listen_again)
        free(self.cqes)
        fw_out_free(self.out)

    # ---- slots ---------------------------------------------------------------

    cdef int _slot_new(self, int fd) except -1:
        cdef int i, n
        cdef USlot *grown
        cdef int *p
        if self.free_head < 0:
            n = self.nslots * 2 if self.nslots else 256
            if n > SLOTS_MAX:
                raise MemoryError("io_uring: too many connection slots")
            grown = <USlot *>realloc(self.slots, sizeof(USlot) * <size_t>n)
            if grown == NULL:
                raise MemoryError()
            self.slots = grown
            p = <int *>realloc(self.dirty, sizeof(int) * <size_t>n)
            if p == NULL:
                raise MemoryError()
            self.dirty = p
            memset(&self.slots[self.nslots], 0, sizeof(USlot) * <size_t>(n - self.nslots))
            for i in range(n - 1, self.nslots - 1, -1):
                self.slots[i].fd = -1
                self.slots[i].in_free = True
                self.slots[i].next_free = self.free_head
                self.free_head = i
            self.nslots = n
        if fd >= self.fd_cap:
            n = max(fd + 1, self.fd_cap * 2, 1024)
            p = <int *>realloc(self.fd_slot, sizeof(int) * <size_t>n)
            if p == NULL:
                raise MemoryError()
            for i in range(self.fd_cap, n):
                p[i] = -1
            self.fd_slot = p
            self.fd_cap = n
        i = self.free_head
        cdef USlot *s = &self.slots[i]
        self.free_head = s.next_free
        cdef uint32_t gen = s.gen + 1
        memset(s, 0, sizeof(USlot))
        s.gen = gen
        s.fd = fd
        s.alive = True
        self.fd_slot[fd] = i
        return i

    cdef int _maybe_free(self, int i) noexcept:
        """Reuse the slot once nothing names it: no Connection, no socket,
        no request in the kernel."""
        cdef USlot *s = &self.slots[i]
        if s.in_free or s.alive or s.fd >= 0 or s.ops or s.queued or s.ready:
            return 0
        fw_buf_free(&s.hold)
        s.fly.len = s.nxt.len = 0
        fw_out_give(self.out, &s.fly)
        fw_out_give(self.out, &s.nxt)
        s.in_free = True
        s.next_free = self.free_head
        self.free_head = i
        return 0

    cdef int _arm_recv(self, int i) noexcept:
        cdef USlot *s = &self.slots[i]
        if fw_uring_recv(self.ring, s.fd, _ud(UD_RECV, <uint64_t>i, s.gen)) < 0:
            s.eof = True  # the ring is full even after a submit: treat as gone
            return -1
        s.recv_on = True
        s.ops += 1
        self.inflight += 1
        return 0

    cdef int _cancel(self, uint64_t target) noexcept:
        return fw_uring_cancel(self.ring, target, _ud(UD_CANCEL, 0, 0))

    # ---- what the loop and transport.pyx call --------------------------------

    cdef int attach(self, Connection c, bint read_now) except -1:
        """A new connection: its socket's I/O goes through the ring.

        read_now: what the client sent already is read at once, one recv
        into the hold.  A worker whose app pool has a capacity counts a new
        connection's request before it takes the next one; through the ring
        the request would come in the very enter that accepts the next
        connection, and a burst would overfill a worker by one whose threads
        are all busy while another worker has room."""
        cdef int i = self._slot_new(c.fd)
        cdef USlot *s
        cdef ssize_t n
        c.transport = TR_URING
        if read_now:
            s = &self.slots[i]
            if fw_buf_reserve(&s.hold, RING_BUF_SIZE) < 0:
                raise MemoryError()
            n = recv(c.fd, s.hold.data, RING_BUF_SIZE, 0)
            if n > 0:
                s.hold.len = <size_t>n
            elif n == 0 or errno != EAGAIN:
                s.eof = True  # gone already (EOF, ECONNRESET)
        return 0

    cdef int listen(self, bint on) except -1:
        """Server._listen: watch every listener (a multishot poll each), or
        stop watching them (cancel the polls)."""
        cdef int i
        for i, sock in enumerate(self.server.listeners):
            if on and not self.listen_armed[i]:
                self.listen_gen[i] += 1
                if fw_uring_poll(self.ring, sock.fileno(), POLLIN, 1,
                                 _ud(UD_ACCEPT, <uint64_t>i, self.listen_gen[i])) < 0:
                    raise OSError(EBUSY, "io_uring: the submission queue is full")
                self.listen_armed[i] = True
                self.inflight += 1
            elif not on and self.listen_armed[i]:
                self._cancel(_ud(UD_ACCEPT, <uint64_t>i, self.listen_gen[i]))
                self.listen_armed[i] = False
        if not on:
            self._clear_again()
        return 0

    cdef int _clear_again(self) noexcept:
        cdef int i
        if self.accept_again:
            for i in range(self.nlisteners):
                self.listen_again[i] = False
            self.accept_again = 0
        return 0

    cdef int watch_executor(self, int efd) except -1:
        self.nogil_wait = True
        if fw_uring_poll(self.ring, efd, POLLIN, 1, _ud(UD_EFD, 0, 0)) < 0:
            raise OSError(EBUSY, "io_uring: the submission queue is full")
        self.inflight += 1
        return 0

    cdef int watch_bell(self, int fd) except -1:
        """The load board's bell (another worker stepped aside for this one):
        a multishot poll, like the executor's eventfd."""
        self.bell_fd = fd
        if fw_uring_poll(self.ring, fd, POLLIN, 1, _ud(UD_BELL, 0, 0)) < 0:
            raise OSError(EBUSY, "io_uring: the submission queue is full")
        self.inflight += 1
        return 0

    cdef int want(self, Connection c, uint32_t events) except -1:
        """Connection._want for a TR_URING connection."""
        cdef int i = self.fd_slot[c.fd]
        cdef USlot *s = &self.slots[i]
        s.want = events
        if events & EPOLLIN:
            if (s.hold.len > s.hold_off or s.eof) and not s.ready:
                s.ready = True
                self.ready.append(i)
            if not s.recv_on and not s.eof and s.hold.len - s.hold_off < HOLD_MAX:
                self._arm_recv(i)
        if events & EPOLLOUT and not s.poll_on and not self.output_pending(c):
            if fw_uring_poll(self.ring, s.fd, POLLOUT, 0, _ud(UD_POLLOUT, <uint64_t>i, s.gen)) == 0:
                s.poll_on = True
                s.ops += 1
                self.inflight += 1
        return 0

    cdef ssize_t recv_into(self, Connection c, char *buf, size_t n) noexcept:
        """tr_recv: the completion being handed over, else held bytes."""
        cdef int i = self.fd_slot[c.fd]
        cdef USlot *s = &self.slots[i]
        cdef size_t k
        if self.cur_slot == i and self.cur_len:
            k = self.cur_len if self.cur_len < n else n
            memcpy(buf, self.cur, k)
            self.cur += k
            self.cur_len -= k
            return <ssize_t>k
        if s.hold.len > s.hold_off:
            k = s.hold.len - s.hold_off
            if k > n:
                k = n
            memcpy(buf, s.hold.data + s.hold_off, k)
            s.hold_off += k
            if s.hold_off == s.hold.len:
                s.hold.len = s.hold_off = 0
                fw_buf_shrink(&s.hold, 0)
                if not s.recv_on and not s.eof and s.want & EPOLLIN:
                    self._arm_recv(i)
            elif s.hold_off >= RING_BUF_SIZE * 16:
                # Taken bytes are dropped from the front now and then, so the
                # hold stays near what is unread (HOLD_MAX), however long a
                # client keeps it from emptying.
                fw_buf_consume(&s.hold, s.hold_off)
                s.hold_off = 0
            return <ssize_t>k
        if s.eof or s.broken:
            return IO_GONE
        return IO_AGAIN

    cdef ssize_t queue_send(self, Connection c, const char *p, size_t n) noexcept:
        """tr_send: copy into the slot's queue; sent before the next wait."""
        cdef int i = self.fd_slot[c.fd]
        cdef USlot *s = &self.slots[i]
        cdef size_t queued, room
        if s.broken:
            return IO_GONE
        queued = s.fly.len - s.fly_off + s.nxt.len
        if queued >= OUT_MAX:
            return IO_AGAIN
        room = OUT_MAX - queued
        if n > room:
            n = room
        if fw_out_take(self.out, &s.nxt) < 0:
            return IO_GONE
        if fw_buf_append(&s.nxt, p, n) < 0:
            return IO_GONE
        if not s.queued:
            s.queued = True
            self.dirty[self.ndirty] = i
            self.ndirty += 1
        return <ssize_t>n

    cdef int send_now(self, Connection c) noexcept:
        """What is queued for c goes to the socket now, not at the next turn:
        for bytes that must leave while the loop is not turning (a 103 sent
        from an inline app, a stuck worker's last 500).  Only when no send
        of this socket is in the kernel, so the byte order stays; the rest
        stays queued."""
        cdef USlot *s = &self.slots[self.fd_slot[c.fd]]
        cdef ssize_t n
        if s.send_on or s.broken or s.nxt.len == 0:
            return 0
        n = send(c.fd, s.nxt.data, s.nxt.len, MSG_NOSIGNAL | MSG_DONTWAIT)
        if n > 0:
            fw_buf_consume(&s.nxt, <size_t>n)
        return 0

    cdef bint output_pending(self, Connection c) noexcept:
        cdef USlot *s = &self.slots[self.fd_slot[c.fd]]
        return s.fly.len > s.fly_off or s.nxt.len > 0

    cdef int shutdown_write(self, Connection c) noexcept:
        """tr_shutdown_write: our FIN goes after the queued output."""
        cdef USlot *s = &self.slots[self.fd_slot[c.fd]]
        if self.output_pending(c):
            s.shut_pending = True
            return 0
        return shutdown(c.fd, SHUT_WR)

    cdef int close_conn(self, Connection c) noexcept:
        """tr_close: the Connection leaves its slot.  Requests still in the
        kernel are cancelled; queued output is sent before the close."""
        cdef int i = self.fd_slot[c.fd]
        cdef USlot *s = &self.slots[i]
        s.alive = False
        s.want = 0
        fw_buf_free(&s.hold)
        s.hold_off = 0
        if self.cur_slot == i:
            self.cur_len = 0
        if s.recv_on and not s.recv_cancelling:
            self._cancel(_ud(UD_RECV, <uint64_t>i, s.gen))
            s.recv_cancelling = True
        if s.poll_on:
            self._cancel(_ud(UD_POLLOUT, <uint64_t>i, s.gen))
        if not s.broken and self.output_pending(c):
            s.close_pending = True
            s.deadline = self.server.now_ms + SEND_STALL_MS
            self.zombies += 1
            return 0
        if s.send_on:
            self._cancel(_ud(UD_SEND, <uint64_t>i, s.gen))
        self._close_fd(i)
        return 0

    cdef int _close_fd(self, int i) noexcept:
        cdef USlot *s = &self.slots[i]
        if s.fd < 0:
            return 0
        if s.close_pending:
            s.close_pending = False
            self.zombies -= 1
        if s.shut_pending:
            shutdown(s.fd, SHUT_WR)
            s.shut_pending = False
        self.fd_slot[s.fd] = -1
        close(s.fd)
        s.fd = -1
        self._maybe_free(i)
        return 0

    cdef int _submit_sends(self) noexcept:
        """One send SQE per slot with queued bytes: all of them, as `fly`."""
        cdef int k, i
        cdef USlot *s
        cdef fw_buf_t t
        for k in range(self.ndirty):
            i = self.dirty[k]
            s = &self.slots[i]
            s.queued = False
            if s.send_on or s.fd < 0 or s.broken or s.nxt.len == 0:
                self._maybe_free(i)
                continue
            t = s.fly
            s.fly = s.nxt
            s.nxt = t
            s.nxt.len = 0
            s.fly_off = 0
            if fw_uring_send(self.ring, s.fd, s.fly.data, s.fly.len,
                             _ud(UD_SEND, <uint64_t>i, s.gen)) < 0:
                s.broken = True
                continue
            s.send_on = True
            s.ops += 1
            self.inflight += 1
        self.ndirty = 0
        return 0

    # ---- the loop's turn ------------------------------------------------------

    cdef int turn(self, int timeout_ms) except -1:
        """Submit what this turn queued, wait for completions (one enter),
        and act on them."""
        cdef int r, n, i, served = 0
        cdef fw_uring_t *ring = self.ring
        cdef fw_cqe_t *e
        cdef Server server = self.server
        if self.accept_again:
            self._accept_again()
        if self.ready or self.accept_again:
            timeout_ms = 0
        self._submit_sends()
        if self.nogil_wait:
            with nogil:
                r = fw_uring_wait(ring, timeout_ms)
        else:
            r = fw_uring_wait(ring, timeout_ms)
        if r < 0 and r != -ETIME and r != -EINTR and r != -EBUSY:
            raise OSError(-r, "io_uring_enter: " + os.strerror(-r))
        server._clock()
        n = <int>fw_uring_reap(ring, self.cqes, CQE_BATCH)
        while True:
            for i in range(n):
                e = &self.cqes[i]
                if served and served % FLUSH_EVERY == 0:
                    server._flush_batch_now()
                if self._complete(e):
                    served += 1
            if n < CQE_BATCH:
                break
            n = <int>fw_uring_reap(ring, self.cqes, CQE_BATCH)
        self._serve_ready()
        return 0

    cdef int _complete(self, fw_cqe_t *e) except -1:
        """Act on one completion; 1 when a connection was served."""
        cdef uint64_t op = e.user_data >> 56
        cdef int index = <int>((e.user_data >> 32) & 0xffffff)
        cdef uint32_t gen = <uint32_t>e.user_data
        cdef USlot *s
        if op == UD_CANCEL:
            return 0
        if op == UD_ACCEPT:
            return self._accepted(index, gen, e.res, e.flags)
        if op == UD_EFD:
            if not e.flags & FW_CQE_MORE:
                self.inflight -= 1
                if not self.closing:
                    self.watch_executor(self.server.executor.efd)
            if not self.closing:
                self.server._executor_ready()
            return 1
        if op == UD_BELL:
            if not e.flags & FW_CQE_MORE:
                self.inflight -= 1
                if not self.closing:
                    self.watch_bell(self.bell_fd)
            if not self.closing:
                self.server._rung()
            return 0
        if index >= self.nslots or self.slots[index].gen != gen:
            # Cannot happen while ops keep slots alive; a buffer must still go back.
            if e.flags & FW_CQE_BUFFER:
                fw_uring_buf_return(self.ring, e.flags >> 16)
            return 0
        s = &self.slots[index]
        if op == UD_RECV:
            return self._received(index, e.res, e.flags)
        if op == UD_SEND:
            return self._sent(index, e.res)
        if op == UD_POLLOUT:
            s.poll_on = False
            s.ops -= 1
            self.inflight -= 1
            if s.alive and s.want & EPOLLOUT and not self.closing:
                self.server._service(self.server.conns[s.fd], EPOLLOUT)
                return 1
            self._maybe_free(index)
        return 0

    cdef int _accepted(self, int index, uint32_t gen, int res, uint32_t flags) except -1:
        """A listener's poll fired: accept as the epoll path does."""
        cdef Server server = self.server
        cdef bint current = gen == self.listen_gen[index]
        if not flags & FW_CQE_MORE:
            self.inflight -= 1
            if current:
                # Ended by itself (an error, or the kernel dropped the
                # multishot): watch again while the worker accepts.
                self.listen_armed[index] = False
                if server.accepting and not server.stopping and not self.closing:
                    self.listen(True)
        if not current or res <= 0 or self.closing or not server.accepting or server.stopping:
            return 0
        if server._accept(index):
            self.accept_later(index)
        return 1

    cdef int accept_later(self, int index) noexcept:
        """The listener's accept batch stopped at its limit: the next turn
        accepts on it without waiting."""
        if not self.listen_again[index]:
            self.listen_again[index] = True
            self.accept_again += 1
        return 0

    cdef int _accept_again(self) except -1:
        """Listeners whose last batch stopped at its limit: accept on."""
        cdef int i
        for i in range(self.nlisteners):
            if self.listen_again[i]:
                self.listen_again[i] = False
                self.accept_again -= 1
                if (self.listen_armed[i] and self.server.accepting and not self.server.stopping
                        and self.server._accept(i)):
                    self.accept_later(i)
        return 0

    cdef int _received(self, int i, int res, uint32_t flags) except -1:
        cdef USlot *s = &self.slots[i]
        cdef int bid = <int>(flags >> 16) if flags & FW_CQE_BUFFER else -1
        cdef const char *data = fw_uring_buf(self.ring, <unsigned>bid) if bid >= 0 else NULL
        cdef bint served = False
        cdef Server server = self.server
        if not flags & FW_CQE_MORE:
            s.recv_on = False
            s.recv_cancelling = False
            s.ops -= 1
            self.inflight -= 1
        if s.alive and not self.closing:
            if res > 0:
                if s.hold.len == s.hold_off and s.want & EPOLLIN:
                    # The usual case: hand the bytes over from the ring buffer.
                    self.cur_slot = i
                    self.cur = data
                    self.cur_len = <size_t>res
                    server._service(server.conns[s.fd], EPOLLIN)
                    served = True
                    s = &self.slots[i]
                    if self.cur_len and s.alive:
                        fw_buf_append(&s.hold, self.cur, self.cur_len)
                    self.cur_slot = -1
                    self.cur_len = 0
                elif fw_buf_append(&s.hold, data, <size_t>res) < 0:
                    s.eof = True
                if (s.alive and s.recv_on and not s.recv_cancelling
                        and s.hold.len - s.hold_off >= HOLD_MAX):
                    # Held input is bounded: stop reading until it is taken.
                    self._cancel(_ud(UD_RECV, <uint64_t>i, s.gen))
                    s.recv_cancelling = True
            elif res == 0 or (res != -ENOBUFS and res != -ECANCELED):
                s.eof = True  # EOF, or the socket failed (ECONNRESET, ...)
            if s.alive and s.want & EPOLLIN and (s.hold.len > s.hold_off or s.eof) and not s.ready:
                s.ready = True
                self.ready.append(i)
            if (s.alive and not s.recv_on and not s.eof and s.want & EPOLLIN
                    and s.hold.len - s.hold_off < HOLD_MAX):
                # Ended by itself (no buffer was free: ENOBUFS): go on reading.
                self._arm_recv(i)
        if bid >= 0:
            fw_uring_buf_return(self.ring, <unsigned>bid)
        self._maybe_free(i)
        return served

    cdef int _sent(self, int i, int res) except -1:
        cdef USlot *s = &self.slots[i]
        cdef Server server = self.server
        s.send_on = False
        s.ops -= 1
        self.inflight -= 1
        if res <= 0:
            # The peer is gone (EPIPE, ECONNRESET) or the send was cancelled.
            s.broken = True
            s.fly.len = s.fly_off = 0
            s.nxt.len = 0
            if s.alive and not self.closing:
                conn = server.conns[s.fd]
                try:
                    (<Connection>conn).close()
                except Exception as exc:
                    server.log_error("Internal error on a connection; closing it", exc)
                s = &self.slots[i]
            if s.fd >= 0 and not s.alive:
                self._close_fd(i)
            self._maybe_free(i)
            return 0
        s.fly_off += <size_t>res
        if s.close_pending:
            s.deadline = server.now_ms + SEND_STALL_MS
        if s.fly_off < s.fly.len:
            # A short send: the rest of `fly` again, before anything queued.
            if fw_uring_send(self.ring, s.fd, s.fly.data + s.fly_off, s.fly.len - s.fly_off,
                             _ud(UD_SEND, <uint64_t>i, s.gen)) == 0:
                s.send_on = True
                s.ops += 1
                self.inflight += 1
            else:
                s.broken = True
        else:
            s.fly.len = s.fly_off = 0
            fw_out_give(self.out, &s.fly)
            if s.nxt.len and not s.queued:
                s.queued = True
                self.dirty[self.ndirty] = i
                self.ndirty += 1
        if s.fly.len == 0 and s.nxt.len == 0:
            fw_out_give(self.out, &s.nxt)
            if s.shut_pending and s.fd >= 0:
                shutdown(s.fd, SHUT_WR)
                s.shut_pending = False
            if s.close_pending:
                self._close_fd(i)
                return 0
        if (s.alive and s.want & EPOLLOUT and not self.closing
                and s.fly.len - s.fly_off + s.nxt.len < OUT_MAX // 2):
            server._service(server.conns[s.fd], EPOLLOUT)
            return 1
        self._maybe_free(i)
        return 0

    cdef int _serve_ready(self) except -1:
        """Hand held input to the connections that wait for it again."""
        cdef USlot *s
        cdef int i, rounds
        ready = self.ready
        self.ready = []
        for obj in ready:
            i = obj
            self.slots[i].ready = False
            for rounds in range(64):
                s = &self.slots[i]
                if (not s.alive or self.closing or not s.want & EPOLLIN
                        or not (s.hold.len > s.hold_off or s.eof)):
                    break
                self.server._service(self.server.conns[s.fd], EPOLLIN)
            else:
                s = &self.slots[i]
                if s.alive and not s.ready:
                    s.ready = True
                    self.ready.append(i)
            self._maybe_free(i)
        return 0

    cdef int sweep(self) except -1:
        """Once a second: a closed connection's output that has not drained
        within SEND_STALL_MS is given up (the peer stopped reading)."""
        cdef int i
        cdef USlot *s
        fw_out_trim(self.out)  # blocks unused for a second go back to malloc
        if not self.zombies:
            return 0
        for i in range(self.nslots):
            s = &self.slots[i]
            if s.close_pending and self.server.now_ms >= s.deadline:
                s.broken = True
                if s.send_on:
                    self._cancel(_ud(UD_SEND, <uint64_t>i, s.gen))
                self._close_fd(i)
        return 0

    cdef int teardown(self) except -1:
        """The loop is done: cancel every request and wait (bounded) until
        the kernel has let go of our buffers, then close what is left."""
        cdef int i, n, waited = 0
        self.closing = True
        for i in range(self.nslots):
            if self.slots[i].fd >= 0:
                self.slots[i].alive = False
                self._close_fd(i)
        fw_uring_cancel_any(self.ring, _ud(UD_CANCEL, 0, 0))
        while self.inflight > 0 and waited < TEARDOWN_MS:
            fw_uring_wait(self.ring, 10)
            waited += 10
            while True:
                n = <int>fw_uring_reap(self.ring, self.cqes, CQE_BATCH)
                for i in range(n):
                    self._complete(&self.cqes[i])
                if n < CQE_BATCH:
                    break
        fw_uring_free(self.ring)
        self.ring = NULL
        return 0

# Socket I/O of a connection: every byte received or sent on a client socket
# goes through this file, so that what an errno means is decided once.
#
# Return contract of the tr_* calls (picohttpparser's style, stated once):
#   >= 0       bytes moved (tr_recv never returns 0: end of input is IO_GONE)
#   IO_AGAIN   the socket would block: wait for EPOLLIN / EPOLLOUT
#   IO_GONE    the peer is gone (EOF, EPIPE, ECONNRESET, ...) or the socket
#              failed: the caller closes the connection; nothing is retried
# EINTR is retried here and never seen by a caller.  None of them raises or
# touches Python objects: they run with the GIL held but could drop it.
#
# Transports.  Each call dispatches on Connection.transport.  TR_PLAIN is the
# kernel socket.  TR_URING is the kernel socket through the worker's io_uring
# (engine/uring.pyx): tr_recv takes bytes its multishot recv received,
# tr_send/tr_sendv queue bytes for the send SQEs of the loop's next turn,
# and tr_want arms the ring's requests instead of epoll's interest.  A TLS transport adds its branch to each tr_* call
# (SSL_read / SSL_write / SSL_shutdown, its want-read/want-write mapped to
# IO_AGAIN); tr_sendfile already falls back to pread + tr_send for any
# transport that cannot hand file pages to the kernel, which is what TLS
# needs.  flush_output() and sendfile_step() below are the write paths of the
# response queue (wbuf, a large body sent in place, a file); they call only
# the tr_* functions.

cdef enum:
    IO_AGAIN = -1
    IO_GONE = -2

# sendfile(2) moves at most this much per call (Linux caps it near 2 GiB).
DEF SENDFILE_MAX = 0x40000000


cdef inline ssize_t _io_result(ssize_t n) noexcept:
    """Map a failed syscall's errno to IO_AGAIN or IO_GONE (EINTR: 0, retry)."""
    if errno == EINTR:
        return 0
    if errno == EAGAIN:  # == EWOULDBLOCK on Linux
        return IO_AGAIN
    return IO_GONE


cdef inline ssize_t tr_recv(Connection c, char *buf, size_t n) noexcept:
    """Receive up to n bytes into buf."""
    cdef ssize_t r
    if c.transport == TR_URING:
        return c.server.uring.recv_into(c, buf, n)
    if c.transport == TR_TLS:
        return tls_recv(c, buf, n)
    while True:
        r = recv(c.fd, buf, n, 0)
        if r > 0:
            return r
        if r == 0:
            return IO_GONE
        r = _io_result(r)
        if r:
            return r


cdef inline ssize_t tr_send(Connection c, const char *p, size_t n) noexcept:
    """Send up to n bytes from p."""
    cdef ssize_t r
    if c.transport == TR_URING:
        return c.server.uring.queue_send(c, p, n)
    if c.transport == TR_TLS:
        return tls_send(c, p, n)
    while True:
        r = send(c.fd, p, n, MSG_NOSIGNAL)
        if r >= 0:
            return r
        r = _io_result(r)
        if r:
            return r


cdef ssize_t tr_sendv(Connection c, iovec *iov, int niov) noexcept:
    """Send the buffers of iov in order, as far as the socket takes them."""
    cdef msghdr msg
    cdef ssize_t r, sent
    cdef int i
    if c.transport == TR_URING:
        sent = 0
        for i in range(niov):
            r = c.server.uring.queue_send(c, <const char *>iov[i].iov_base, iov[i].iov_len)
            if r < 0:
                return r if sent == 0 else sent
            sent += r
            if <size_t>r < iov[i].iov_len:
                break
        return sent
    if c.transport == TR_TLS:
        return tls_sendv(c, iov, niov)
    memset(&msg, 0, sizeof(msg))
    msg.msg_iov = iov
    msg.msg_iovlen = <size_t>niov
    while True:
        r = sendmsg(c.fd, &msg, MSG_NOSIGNAL)
        if r >= 0:
            return r
        r = _io_result(r)
        if r:
            return r


cdef ssize_t tr_sendfile(Connection c, int in_fd, off_t *offset, size_t n) noexcept:
    """Send up to n bytes of the file in_fd from *offset, advancing it; 0
    when the file has no more bytes there (it shrank)."""
    cdef ssize_t r
    if n > SENDFILE_MAX:
        n = SENDFILE_MAX
    if c.transport == TR_URING and c.server.uring.output_pending(c):
        # The head (and anything before the file) goes out first, through
        # the ring; then the file with sendfile(2) itself.
        return IO_AGAIN
    if c.transport == TR_PLAIN or c.transport == TR_URING:
        while True:
            r = sendfile(c.fd, in_fd, offset, n)
            if r >= 0:
                return r
            if errno == EINVAL or errno == ENOSYS:
                # The file's filesystem cannot splice (some FUSE and
                # network filesystems): copy it through user space instead.
                break
            r = _io_result(r)
            if r:
                return r
    return _copy_file(c, in_fd, offset, n)


cdef ssize_t _copy_file(Connection c, int in_fd, off_t *offset, size_t n) noexcept:
    """sendfile() by hand: pread into the server's receive buffer, which is
    free while this runs (the loop thread does one thing at a time), then
    tr_send; only what the socket took counts, so a short send is read again."""
    cdef ssize_t got, sent
    if n > SCRATCH_SIZE:
        n = SCRATCH_SIZE
    if c.transport == TR_TLS and n > TLS_RECORD:
        n = TLS_RECORD  # one record per write: read no more than one takes
    while True:
        got = pread(in_fd, c.server.scratch, n, offset[0])
        if got >= 0:
            break
        if errno != EINTR:
            return IO_GONE
    if got == 0:
        return 0
    sent = tr_send(c, c.server.scratch, <size_t>got)
    if sent > 0:
        offset[0] += sent
    return sent


cdef inline int tr_push(Connection c) noexcept:
    """What tr_send queued leaves now (io_uring queues it for the next turn;
    the other transports have sent it already)."""
    if c.transport == TR_URING:
        return c.server.uring.send_now(c)
    return 0


cdef inline int tr_shutdown_write(Connection c) noexcept:
    """Send our FIN: the peer sees the end of the responses; input may go on.
    (TLS: close_notify first, so that the peer knows the end is genuine.
    io_uring: once the queued output has gone.)"""
    if c.transport == TR_URING:
        return c.server.uring.shutdown_write(c)
    if c.transport == TR_TLS:
        fw_tls_shutdown(c.tls)
    return shutdown(c.fd, SHUT_WR)


cdef inline int tr_close(Connection c) noexcept:
    if c.transport == TR_URING:
        return c.server.uring.close_conn(c)
    if c.transport == TR_TLS:
        tls_end(c)
    return close(c.fd)


cdef int tr_want(Connection c, uint32_t events) except -1:
    """Wait for `events` on the socket (0: for nothing but errors).

    epoll: a connection joins the epoll set only when it first has to wait.
    One whose request came with the accept (TCP_DEFER_ACCEPT) and whose
    response went out at once, as with `Connection: close`, is closed
    without ever costing an epoll_ctl (nor its undoing in close())."""
    cdef epoll_event ev
    if c.transport == TR_URING:
        c.interest = events
        return c.server.uring.want(c, events)
    if c.transport == TR_TLS:
        events |= c.tls_cross
        if events & EPOLLIN:
            tls_input_waits(c)
    if c.fd < 0 or (c.watched and events == c.interest):
        return 0
    ev.events = events
    ev.data.u64 = <uint64_t>c.fd
    if c.watched:
        epoll_ctl(c.server.epfd, EPOLL_CTL_MOD, c.fd, &ev)
    elif epoll_ctl(c.server.epfd, EPOLL_CTL_ADD, c.fd, &ev) < 0:
        # Out of epoll watches (ENOSPC) or memory: a socket nobody
        # watches cannot be served.
        c.close()
        return 0
    c.watched = True
    c.interest = events
    return 0


# ---- the response queue's write paths ---------------------------------------

cdef int flush_output(Connection c) except -2:
    """Send wbuf (and a large body waiting in zbody).  0: all sent; 1: the
    socket is full (wait for EPOLLOUT); -1: the connection is gone (closed)."""
    cdef ssize_t n
    if c.fd < 0:
        return 0
    while c.zbody is not None or c.wsent < c.wbuf.len:
        if c.zbody is not None:
            n = _send_around_zbody(c)
        else:
            n = tr_send(c, c.wbuf.data + c.wsent, c.wbuf.len - c.wsent)
            if n > 0:
                c.wsent += <size_t>n
        if n == IO_AGAIN:
            return 1
        if n == IO_GONE:
            c.close()
            return -1
        if c.server.counters != NULL:
            c.server.counters.sent_bytes += <uint64_t>n
        c.last_active = c.server.now_ms
    c.wbuf.len = 0
    c.wsent = 0
    fw_buf_to_pool(&c.wbuf, &_blocks, BUF_KEEP)
    return 0


cdef ssize_t _send_around_zbody(Connection c) noexcept:
    """One sendmsg of wbuf[wsent:zmark], zbody[zoff:zend], wbuf[zmark:];
    advances the offsets past what the socket took."""
    cdef iovec iov[3]
    cdef size_t n, head = c.zmark - c.wsent, zleft = c.zend - c.zoff
    cdef ssize_t sent
    iov[0].iov_base = c.wbuf.data + c.wsent
    iov[0].iov_len = head
    iov[1].iov_base = PyBytes_AS_STRING(c.zbody) + c.zoff
    iov[1].iov_len = zleft
    iov[2].iov_base = c.wbuf.data + c.zmark
    iov[2].iov_len = c.wbuf.len - c.zmark
    sent = tr_sendv(c, iov, 3)
    if sent < 0:
        return sent
    n = <size_t>sent
    if n < head:
        c.wsent += n
        return sent
    c.wsent = c.zmark
    n -= head
    if n < zleft:
        c.zoff += n
        return sent
    c.zbody = None
    c.wsent += n - zleft
    return sent


cdef int sendfile_step(Connection c) except -2:
    """Send the rest of a wsgi.file_wrapper file.  0: file sent; 1: the
    socket is full; -1: the connection is gone (closed)."""
    cdef ssize_t n
    while c.sf_left > 0:
        n = tr_sendfile(c, c.sf_fd, &c.sf_off, c.sf_left)
        if n == IO_AGAIN:
            return 1
        if n == IO_GONE:
            c.close()
            return -1
        if n == 0:
            # The file shrank under us: the promised length cannot be met.
            c.keep_alive = False
            break
        c.sf_left -= <size_t>n
        c.resp_bytes += <uint64_t>n
        if c.server.counters != NULL:
            c.server.counters.sent_bytes += <uint64_t>n
    c.sf_fd = -1
    end_response(c, True)
    return 0

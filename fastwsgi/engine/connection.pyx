# One client connection: a sans-I/O HTTP/1.1 state machine; its socket I/O
# goes through engine/transport.pyx.  With fd == -1 it is driven by feed()
# and read by take_output(), which is how the unit tests run it.
#
# States
#   CS_READING  reading and answering requests (the usual state)
#   CS_SENDING  a response did not fit the socket: input is paused (no
#               EPOLLIN) until EPOLLOUT drains it; a streaming iterable is
#               advanced only as the socket drains
#   CS_LINGER   the last response is sent and our side shut: input is read
#               and dropped until EOF, so that the kernel does not answer
#               unread bytes with an RST that would destroy that response
#
# Rules
#   - Requests are answered strictly in order; the parser is paused at each
#     message-complete, so at most one request is between parse and reply.
#   - A response is written into wbuf; wbuf is sent once per batch of
#     pipelined requests, or as soon as HIGH_WATER bytes are waiting; while
#     they wait, no further pipelined request is parsed (_process), so a
#     client that sends without reading costs at most that much.
#   - A large body bytestring is not copied: it waits in zbody, to be sent
#     after wbuf[:zmark] and before the rest of wbuf (see _flush).
#   - After a framing error nothing more is parsed from the connection.

DEF HIGH_WATER = 262144
DEF RECV_SIZE = 65536
# Server.scratch, where every connection's recv() lands first.
DEF SCRATCH_SIZE = RECV_SIZE
DEF MAX_HEAD = 1048576
DEF LINGER_MS = 2000
DEF SEND_STALL_MS = 60000
DEF BUF_KEEP = 65536


# The response phase's edges (enum Phase in server.pxd), as a bit set of the
# phases each one may go to; Connection._enter() refuses any other move.
#   IDLE      -> APP        a complete request is handed to the app (_dispatch)
#   IDLE      -> CLOSING    a request refused (_reject), or the connection closed
#   APP       -> STREAMING  the app returned an iterable to advance (start_body)
#   APP       -> SENDFILE   it returned a file_wrapper over a regular file
#   APP, STREAMING, SENDFILE -> IDLE     the response is complete and the
#                           connection is kept (end_response)
#   APP, STREAMING, SENDFILE -> CLOSING  it is the last response (end_response,
#                           close)
#   CLOSING   -> CLOSING    closing again is harmless
cdef unsigned int _PHASE_EDGES[5]
_PHASE_EDGES[:] = [
    (1 << PH_APP) | (1 << PH_CLOSING),                                            # from IDLE
    (1 << PH_STREAMING) | (1 << PH_SENDFILE) | (1 << PH_IDLE) | (1 << PH_CLOSING),  # from APP
    (1 << PH_IDLE) | (1 << PH_CLOSING),                                           # from STREAMING
    (1 << PH_IDLE) | (1 << PH_CLOSING),                                           # from SENDFILE
    1 << PH_CLOSING,                                                              # from CLOSING
]


cdef class Connection:
    def __cinit__(self):
        self.fd = -1
        self.sf_fd = -1
        self.spool_fd = -1
        self.state = CS_READING

    def __dealloc__(self):
        fw_tls_free(self.tls)
        fw_buf_free(&self.rbuf)
        fw_buf_free(&self.wbuf)
        fw_buf_free(&self.body)
        free(self.headers)

    cdef int _init(self, Server server, int fd, dict base_environ, str remote_addr,
                   str remote_port, bint trusted=False, bint proxy_pending=False,
                   bint is_unix=False) except -1:
        self.server = server
        self.fd = fd
        self.base_environ = base_environ
        self.remote_addr = remote_addr
        self.remote_port = remote_port
        self.trusted = trusted
        self.proxy_pending = proxy_pending
        self.is_unix = is_unix
        fw_llhttp.init(&self.parser, FW_HTTP_REQUEST, &_llhttp_settings)
        # Version digits are checked in _start_request (505 for 0.x/2.x,
        # HTTP/1.2 served as 1.1) instead of llhttp's blanket 400.
        fw_llhttp.set_lenient_version(&self.parser, 1)
        self.parser.data = <void *>self
        self.sr = StartResponse.__new__(StartResponse)
        self.sr.write_cb = self.write
        self.start_response = self.sr.start_response
        self.last_active = server.now_ms
        return 0

    # ---- parsing (engine/llhttp.pyx holds llhttp's callbacks) ------------

    cdef int _fail(self, int status, str detail) noexcept:
        self.error_status = status
        self.error_detail = detail
        return -1

    # ---- the response phase -------------------------------------------------

    cdef inline int _enter(self, int phase) except -1:
        """The only writer of self.phase: move along one edge of _PHASE_EDGES."""
        if not (_PHASE_EDGES[self.phase] >> phase) & 1:
            raise RuntimeError(f"response phase {self.phase} -> {phase} is not a transition")
        self.phase = phase
        return 0

    # ---- parsing and dispatch ---------------------------------------------

    cdef int _process(self) except -1:
        """Parse what is buffered; answer each complete request in order."""
        cdef int err
        if self.method_undecided:
            # An unknown method's token was cut short: decide now (served or
            # 400) if the byte after it has come, else wait for it.
            self._reject(FW_HPE_INVALID_METHOD)
        while (self.state == CS_READING and self.phase == PH_IDLE and not self.in_app
               and not self.proxy_pending and not self.method_undecided
               and self.parsed < self.inlen):
            if not self.in_message and self.fd >= 0 and self.pending() >= HIGH_WATER:
                # Pipelined requests wait while HIGH_WATER bytes of answers
                # do: _drive sends those first and comes back for the rest
                # once the socket takes them.  Without this one read of
                # 64 KiB of small requests for large responses (1,300 of
                # them for 100 KB each) was answered into wbuf at once: a
                # client that sends without reading grew the worker by
                # 120 MB on either backend.
                break
            if self.chunk_line:
                if not read_chunk_line(self):
                    break
                continue
            if not self.in_message:
                self.head_start = self.parsed
            err = fw_llhttp.execute(&self.parser, self.inbuf + self.parsed, self.inlen - self.parsed)
            if err == FW_HPE_OK:
                self.parsed = self.inlen
            elif err == FW_HPE_PAUSED:
                self.parsed = <size_t>(self.parser.error_pos - self.inbuf)
                fw_llhttp.resume(&self.parser)
                if not self.chunk_line:     # else paused before a chunk-size line
                    self._dispatch()
            elif err == FW_HPE_PAUSED_UPGRADE:
                # After an Upgrade/CONNECT request the bytes that follow are
                # not ours to parse: answer the request (if it completed
                # here) and close.
                self.keep_alive = False
                self.parsed = self.inlen
                if self.environ is not None:
                    self._dispatch()
                else:
                    self._enter(PH_CLOSING)
            else:
                self._reject(err)
        if self.in_head and self.inlen - self.head_start > MAX_HEAD:
            self._fail(431, "request head too large")
            self._reject(0)
        return 0

    cdef int _reject(self, int err) except -1:
        """Answer a request we will not process, then close."""
        cdef size_t tok, avail, lead
        cdef int status
        if err == FW_HPE_INVALID_METHOD and not self.error_status:
            # Another token followed by SP is a method if gunicorn's rule
            # says so (RFC 9110 §9.1); wait for the byte after the token.
            # CR/LF before a request line are skipped (RFC 9112 §2.2).
            lead = 0
            while (self.head_start + lead < self.inlen
                   and self.inbuf[self.head_start + lead] in b"\r\n"):
                lead += 1
            avail = self.inlen - self.head_start - lead
            tok = fw_token_length(self.inbuf + self.head_start + lead, avail)
            if tok == avail and avail <= (self.server.limit_request_line or 8190):
                self.method_undecided = True
                self.parsed = self.head_start
                self.in_head = self.in_message = True
                return 0
            self.method_undecided = False
            if (tok and tok < avail and self.inbuf[self.head_start + lead + tok] == b' '
                    and _method_allowed(self.server, self.inbuf + self.head_start + lead, tok)):
                return self._own_method(lead, tok)
            self._fail(400, "invalid method")
        status = self.error_status or 400
        detail = self.error_detail
        if self.error_exc is not None:
            self.server.log_error("Error while reading a request", self.error_exc)
            self.error_exc = None
        if detail is None:
            reason = self.parser.reason
            detail = reason.decode("latin-1") if reason != NULL else ""
        abort_response(self)
        drop_body(self)
        if self.server.counters != NULL:
            fw_count_refused(self.server.counters, status)
        answer = error_response(status, detail)
        buf_append(&self.wbuf, PyBytes_AS_STRING(answer), <size_t>PyBytes_GET_SIZE(answer))
        self.keep_alive = False
        self._enter(PH_CLOSING)
        self.parsed = self.inlen
        self.in_head = self.in_message = False
        return 0

    cdef int _own_method(self, size_t lead, size_t tok) except -1:
        """A method llhttp does not know: llhttp, restarted on a stand-in "GET "
        (framed as any method), parses the rest; the method is our span."""
        fw_llhttp.init(&self.parser, FW_HTTP_REQUEST, &_llhttp_settings)
        fw_llhttp.set_lenient_version(&self.parser, 1)
        self.parser.data = <void *>self
        self.in_stand_in = True
        err = fw_llhttp.execute(&self.parser, b"GET ", 4)
        self.in_stand_in = False
        if err != FW_HPE_OK:
            raise AssertionError(f"llhttp refused the stand-in method ({err})")
        self.own_method = True
        self.method_off = lead
        self.method_len = tok
        self.parsed = self.head_start + lead + tok + 1
        self.in_head = self.in_message = True
        return 0

    cdef int _dispatch(self) except -1:
        cdef Server server = self.server
        environ = self.environ
        self.environ = None
        body = take_input(self)
        if body is not _EMPTY_INPUT:  # else the template's
            environ["wsgi.input"] = body
            self.env_reusable = False  # a spare would keep the body alive
        # As the app gets it (request.pyx request_environ).
        self.spare_version = fw_dict_version(environ)
        self.cur_environ = environ
        server.requests += 1
        if server.max_requests and server.requests >= server.max_requests:
            server._begin_stop(True)
        if server.stopping:
            self.keep_alive = False
        self.sr.reset()
        self.resp_bytes = 0
        if server.counters != NULL:
            count_dispatch(server.counters, self)
        self.served = True  # a stop closes it only once idle (check_timeout)
        if server.timing:
            self.started = _monotonic()
        self._enter(PH_APP)
        # The executor seam: who calls the app.  Inline (the default), the
        # loop thread calls it now.  Otherwise an Executor (engine/executors.pyx)
        # runs run_app_offloaded(self) elsewhere while the loop goes on with
        # the other connections; in_app marks the response as the executor's
        # until it hands the connection back (Executor.finished).
        if server.executor is not None:
            self.in_app = True
            server.executor.submit(self)
            return 0
        server.current = environ
        server.current_since = server.now_ms * 0.001
        return self._call_app()

    cdef int _call_app(self) except -1:
        cdef Server server = self.server
        environ = self.cur_environ
        if server.pre_request is not None:
            try:
                server.pre_request(environ)
            except Exception as exc:
                server.log_error("Exception in pre_request hook", exc)
        # One call in eight is timed (Server._app_timed): two clock reads per
        # request were 0.65 % of a plaintext request's CPU.  With counters the
        # clock is read anyway (engine/counters.pyx), and that time serves.
        cdef fw_counters_t *counters = server.counters
        cdef bint timed = (server.requests & 7) == 0
        cdef double t0 = _monotonic() if timed and counters == NULL else 0.0
        cdef uint64_t app_start = 0
        if counters != NULL:
            # Off the loop thread the app starts now, not when the request was parsed.
            app_start = self.t_start if server.executor is None else fw_now_ns()
        try:
            self.result = server.app(environ, self.start_response)
            start_body(self)
        except Exception as exc:
            app_failed(self, exc)
        if counters != NULL:
            t0 = count_app_time(counters, self, app_start)
            if timed:
                server._app_timed(t0)
        elif timed:
            server._app_timed(_monotonic() - t0)
        return 0

    def write(self, data):
        """The write() callable start_response returns (PEP 3333)."""
        if not self.sr.called:
            raise AssertionError("write() called before start_response()")
        if type(data) is not bytes:
            if not isinstance(data, bytes):
                raise TypeError(f"write() takes bytes, not {type(data).__name__}")
            data = bytes(data)  # a subclass: exact bytes for the send path
        if not PyBytes_GET_SIZE(data):
            return
        if not self.sr.headers_sent:
            write_response_head(self, 0, False)
        write_body(self, data)
        if self.fd >= 0 and self.pending() >= HIGH_WATER:
            if self.in_app:
                self.server.executor.wait_drained(self)
            else:
                flush_output(self)

    # ---- I/O ----------------------------------------------------------------

    cdef inline size_t pending(self) noexcept:
        """Bytes of response waiting to be sent."""
        cdef size_t n = self.wbuf.len - self.wsent
        if self.zbody is not None:
            n += self.zend - self.zoff
        return n

    cdef int _want(self, uint32_t events) except -1:
        """Wait for `events` on the socket (0: for nothing but errors); see tr_want."""
        return tr_want(self, events)

    cdef int _drive(self) except -1:
        """Make all the progress possible without blocking."""
        cdef int r
        while self.state != CS_CLOSED:
            if self.in_app:
                # Checked on every turn: _process() may just have handed the
                # next pipelined request to the executor.
                return self._drive_for_executor()
            if self.phase == PH_STREAMING:
                pump(self)
            elif self.phase == PH_IDLE and self.parsed < self.inlen and self.state != CS_LINGER:
                self.state = CS_READING
                self._process()
            if (self.fd >= 0 and self.server.batching and self.server.app_is_quick
                    and 0 < self.pending() < HIGH_WATER and self.phase == PH_IDLE
                    and not (self.parsed < self.inlen and not self.in_message)):
                # Complete responses wait for the end of this epoll batch and
                # leave together with the other connections' (Server._flush_batch).
                self.server._defer_flush(self)
                break
            r = flush_output(self)
            if r < 0:
                return 0
            if r == 0 and self.phase == PH_SENDFILE:
                r = sendfile_step(self)
                if r < 0:
                    return 0
            if r > 0:
                self.state = CS_SENDING
                self._want(EPOLLOUT)
                return 0
            if self.phase == PH_STREAMING:
                continue
            if self.phase == PH_CLOSING:
                self._finish()
                return 0
            if self.parsed < self.inlen and not self.in_message and not self.proxy_pending:
                continue
            break
        if self.state != CS_CLOSED:
            self.state = CS_READING
            self._want(EPOLLIN)
        return 0

    cdef int _drive_for_executor(self) except -1:
        """While the executor owns the response: send what it has produced,
        and let it go on once the socket has taken everything."""
        cdef int r = flush_output(self)
        if r > 0:
            self.state = CS_SENDING
            self._want(EPOLLOUT)
        elif r == 0:
            self.state = CS_READING
            self._want(0)
            self.server.executor.release(self)
        return 0

    cdef int _finish(self) except -1:
        """The last response is out: close, lingering if input may follow."""
        if self.fd < 0:
            self.state = CS_CLOSED
            return 0
        if self.state == CS_LINGER:
            return 0
        if self.parsed < self.inlen or self.in_message or self.error_status:
            tr_shutdown_write(self)
            self.state = CS_LINGER
            self.last_active = self.server.now_ms
            self._want(EPOLLIN)
            return 0
        self.close()
        return 0

    cdef int _stash_input(self) except -1:
        """Keep the bytes still needed (a partial head, requests not yet
        answered) in rbuf, so that the shared scratch buffer can be reused."""
        cdef size_t keep = self.head_start if self.in_head else self.parsed
        cdef size_t rest
        if keep > self.inlen:
            keep = self.inlen
        rest = self.inlen - keep
        if self.inbuf == self.server.scratch:
            self.rbuf.len = 0
            if rest:
                buf_append(&self.rbuf, self.inbuf + keep, rest)
        else:
            fw_buf_consume(&self.rbuf, keep)
        if self.rbuf.len == 0:
            fw_buf_shrink(&self.rbuf, 0)
        self.parsed -= keep
        self.head_start = self.head_start - keep if self.in_head else 0
        self.inbuf = self.rbuf.data
        self.inlen = self.rbuf.len
        return 0

    cdef int on_readable(self) except -1:
        cdef ssize_t n
        cdef Server server = self.server
        if self.state == CS_LINGER:
            if tr_recv(self, server.scratch, SCRATCH_SIZE) == IO_GONE:
                self.close()
            return 0
        if self.rbuf.len == 0:
            n = tr_recv(self, server.scratch, SCRATCH_SIZE)
            if n > 0:
                self.inbuf = server.scratch
                self.inlen = <size_t>n
                self.parsed = 0
                self.head_start = 0
        else:
            buf_reserve(&self.rbuf, RECV_SIZE)
            n = tr_recv(self, self.rbuf.data + self.rbuf.len, self.rbuf.cap - self.rbuf.len)
            if n > 0:
                self.rbuf.len += <size_t>n
                self.inbuf = self.rbuf.data
                self.inlen = self.rbuf.len
        if n == IO_GONE:
            self.close()
            return 0
        if n == IO_AGAIN:
            # Nothing yet (a new connection handed over before its
            # request): from now on, wait for it.
            self._want(EPOLLIN)
            return 0
        self.last_active = server.now_ms
        try:
            if self.proxy_pending:
                read_proxy_header(self)
            self._drive()
        finally:
            if self.state != CS_CLOSED:
                self._stash_input()
        return 0

    cdef int on_writable(self) except -1:
        self._drive()
        if self.state != CS_CLOSED:
            self._stash_input()
        return 0

    cdef int on_event(self, uint32_t events) except -1:
        cdef uint32_t cross = self.tls_cross
        if cross and events & cross:
            # A TLS read waited to send, or a write to receive: resume it.
            self.tls_cross = 0
            if cross == EPOLLOUT and self.state != CS_SENDING and not self.in_app:
                return self.on_readable()
            if cross == EPOLLIN and (self.state == CS_SENDING or self.in_app):
                return self.on_writable()
        if events & EPOLLOUT and (self.state == CS_SENDING or self.in_app):
            self.on_writable()
        elif events & EPOLLIN:
            self.on_readable()
        elif events & (EPOLLERR | EPOLLHUP):
            self.close()
        return 0

    cdef bint is_idle(self):
        """Between requests, with nothing to send: safe to close at will."""
        return (self.state == CS_READING and self.phase == PH_IDLE and not self.in_message
                and not self.in_app and self.rbuf.len == 0 and self.pending() == 0)

    cdef int close_idle(self) except -1:
        """Close an idle keep-alive connection with a FIN, then drain: a
        request already on its way is dropped quietly instead of drawing an
        RST (the client retries it elsewhere, as after any keep-alive close)."""
        if self.fd < 0 or not self.is_idle():
            return 0
        tr_shutdown_write(self)
        self.state = CS_LINGER
        self.last_active = self.server.now_ms
        self._want(EPOLLIN)
        return 0

    cpdef close(self):
        """Close now: the socket, the response iterable, a spooled body."""
        if self.state == CS_CLOSED:
            return
        self.state = CS_CLOSED
        self.keep_alive = False
        if self.in_app:
            # The executor owns the response; it sees `aborted`, stops
            # iterating and calls close() on the iterable itself.
            self.aborted = True
            self.server.executor.release(self)
            self._close_socket()
            return
        if self.phase != PH_APP:
            # (During an inline app call the call's own end, end_response,
            # moves the phase on.)
            self._enter(PH_CLOSING)
        if self.resp_iter is not None or self.result is not None:
            self.resp_iter = None
            if self.cur_environ is not None and self.server.counters != NULL:
                count_response_end(self.server.counters, self)  # the client left mid-response
            self.cur_environ = None
            close_result(self)
        self._close_socket()

    cdef int _close_socket(self) except -1:
        drop_body(self)
        if self.fd >= 0:
            tr_close(self)
            self.server._forget(self.fd)
            self.fd = -1
        self.sr.write_cb = None
        drop_early_hints(self)
        drop_spare_environ(self)
        self.environ = None
        self.zbody = None
        fw_buf_free(&self.rbuf)
        fw_buf_free(&self.body)
        self.inbuf = NULL
        self.inlen = self.parsed = 0
        return 0

    # ---- sans-I/O interface for tests --------------------------------------

    def feed(self, data: bytes) -> None:
        """Give the connection bytes as if recv() had returned them."""
        feed_input(self, data)

    def take_output(self) -> bytes:
        """Everything the connection would have sent since the last call."""
        return take_output(self)

    @property
    def closing(self) -> bool:
        return self.phase == PH_CLOSING or self.state in (CS_LINGER, CS_CLOSED)

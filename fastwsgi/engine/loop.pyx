# The worker's event loop: one epoll set over the listeners and connections.
#
# Level-triggered: a connection is read once per readiness report, so no
# recv() is made that is known to return EAGAIN, and an interest change
# (epoll_ctl) happens only when a response does not fit the socket.  A new
# connection joins the set only once it has to wait (Connection._want), so a
# request that comes with its connection and closes it costs none.  Several
# worker processes share each listener; EPOLLEXCLUSIVE wakes one of them per
# new connection instead of all (no thundering herd), and the load board
# (see _over_share) keeps one worker from taking a whole burst: a worker
# that steps aside rings the one it leaves the connections to (_rung).

# gunicorn's caps: limit_request_line and limit_request_fields are at most these.
DEF MAX_REQUEST_LINE = 8190
DEF MAX_HEADERS = 32768
DEF ACCEPT_BATCH = 64
DEF EVICT_IDLE_MS = 250
# Events handled before the responses they produced are sent (see _flush_batch).
DEF FLUSH_EVERY = 16
# Batching responses is for apps whose calls average under this (see _app_timed).
DEF QUICK_APP_SECONDS = 0.0002
DEF LISTENER_BIT = 0x100000000
DEF EXECUTOR_KEY = 0x200000000
DEF BELL_KEY = 0x400000000
# The load board (see Server._over_share): uint32s per worker; how long a
# listening / stepped-aside worker counts without a word; how many
# connections above the least loaded worker are fair.
DEF BOARD_ENTRY = 4
DEF BOARD_STALE_MS = 2500
DEF BOARD_ASIDE_STALE_MS = 60
DEF BOARD_SLACK = 2
DEF BOARD_AWAY = 0
DEF BOARD_LISTENING = 1
DEF BOARD_ASIDE = 2
# A worker that stepped aside looks again this often.
DEF BALANCE_POLL_MS = 10
DEF FIRST_REQUEST_GRACE_MS = 1000

cdef inline double _monotonic() noexcept:
    cdef timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return ts.tv_sec + ts.tv_nsec * 1e-9


cdef class Server:
    """Serve a WSGI app on already-bound listening sockets until stopped.

    Used by fastwsgi.run() and by each worker process of the master."""

    def __init__(self, app, listeners=(), settings=None, *, url_scheme="http", errors=None,
                 multithread=False, error_logger=None, on_response=None, pre_request=None,
                 tick=None, counters=None, greenlets=None, load_board=None):
        """`settings` is a fastwsgi.engine.settings.EngineSettings (None: the
        registry's defaults); the keywords are the worker's hooks;
        `counters` its slot of the shared counters (engine/counters.pyx); for
        -k gevent/eventlet the hub adapter (fastwsgi/workers/greenlets.py),
        and with several workers their load board (workers/heartbeat.py)."""
        if settings is None:
            from fastwsgi.engine.settings import EngineSettings
            settings = EngineSettings()
        s = settings
        self.app = app
        self.listeners = list(listeners)
        self.epfd = -1
        self.conns = []
        self.accepting = True
        # gunicorn's meaning of the limits: limit_request_line 0 is no limit
        # and larger values are capped at 8190; limit_request_fields 0, or
        # above 32768, is 32768; limit_request_field_size 0 is gunicorn's
        # default 8190, as its parser does (message.py:
        # DEFAULT_MAX_HEADERFIELD_SIZE; its corpus case
        # invalid/limit_header_default_01), whatever its settings page says.
        self.limit_request_line = min(s.limit_request_line, MAX_REQUEST_LINE)
        self.max_headers = min(s.limit_request_fields or MAX_HEADERS, MAX_HEADERS)
        self.limit_request_field_size = s.limit_request_field_size or 8190
        self.permit_unconventional_http_method = s.permit_unconventional_http_method
        self.casefold_http_method = s.casefold_http_method
        self.limit_request_body = s.limit_request_body
        self.spool_threshold = s.spool_threshold
        self.use_sendfile = s.sendfile is not False   # None: unset, sendfile is used
        self.max_requests = s.max_requests
        self.max_conns = s.worker_connections if s.worker_connections > 0 else 1 << 30
        # keepalive 0: no connection is kept after its response (each says
        # Connection: close; see Connection._on_message_complete).
        self.keepalive_ms = <int64_t>(s.keepalive * 1000)
        self.header_timeout_ms = <int64_t>(s.header_timeout * 1000)
        self.graceful_timeout_ms = <int64_t>(s.graceful_timeout * 1000)
        self.script_name = s.script_name.rstrip("/")
        self.error_logger = error_logger or logging.getLogger("fastwsgi.error")
        self.on_response = on_response
        self.pre_request = pre_request
        self.timing = on_response is not None
        self.tick = tick
        self.threads = s.threads
        self.io_backend = s.io_backend
        self.counters = attach_counters(counters, self)
        if self.counters != NULL:
            self.counters.threads = <uint64_t>s.threads
        self.greenlet_hub = greenlets
        self.batching = True
        self.app_is_quick = True
        self.flush_batch = []
        secure_scheme_headers = s.secure_scheme_headers
        self.secure_headers = [("HTTP_" + name.upper().replace("-", "_"), value)
                               for name, value in secure_scheme_headers.items()]
        # First letters (lower-cased) of those names: a request with no
        # header starting so skips the scheme check altogether.
        for name in secure_scheme_headers:
            if name:
                self.scheme_initials[ord(name[0].lower()) & 0xFF] = True
        self.forwarders = frozenset(h.strip().upper() for h in s.forwarder_headers if h.strip())
        self.forwarded_policy = AddressPolicy(list(s.forwarded_allow_ips))
        self.proxy_policy = AddressPolicy(list(s.proxy_allow_ips))
        self.proxy_mode = s.proxy_protocol or "off"
        # TLS (a TLSContext, engine/tls.pyx) on every listener: no listener
        # of a TLS server ever reads plain text.
        tls = s.tls
        self.tls = tls
        self.tls_ready = []
        if tls is not None:
            self.tls_ctx = (<TLSContext?>tls).ctx
            self.tls_client_certs = tls.verify_mode != FW_TLS_CERT_NONE
            url_scheme = "https"
        multiprocess = s.multiprocess
        self.multiprocess = multiprocess
        threads = s.threads
        multithread = multithread or threads > 1 or greenlets is not None
        self.base_environs = []
        self.defer_accept = []
        self.nodelay_per_socket = []
        for sock in self.listeners:
            self.base_environs.append(make_base_environ(
                sock.getsockname(), script_name=self.script_name, url_scheme=url_scheme,
                https=tls is not None,
                errors=errors, multithread=multithread, multiprocess=multiprocess))
            self.defer_accept.append(_set_defer_accept(sock))
            self.nodelay_per_socket.append(not _set_listener_nodelay(sock))
        if load_board is not None:
            self._attach_board(*load_board)
        self.scratch = <char *>mem_alloc(SCRATCH_SIZE)
        self.events = <epoll_event *>mem_alloc(sizeof(epoll_event) * MAX_EVENTS)
        self._clock()

    def __dealloc__(self):
        free(self.scratch)
        free(self.events)
        if self.epfd >= 0:
            close(self.epfd)

    cdef void _clock(self) noexcept:
        global _now_wall
        cdef timespec ts
        clock_gettime(CLOCK_MONOTONIC_COARSE, &ts)
        self.now_ms = ts.tv_sec * 1000 + ts.tv_nsec // 1000000
        clock_gettime(CLOCK_REALTIME_COARSE, &ts)
        _now_wall = ts.tv_sec

    def _attach_board(self, mem, size_t offset, int slot, int span, bell=None):
        cdef unsigned char[::1] view = mem
        if offset + <size_t>span * BOARD_ENTRY * 4 > <size_t>view.shape[0] or not 0 <= slot < span:
            raise ValueError("the load board does not fit its memory")
        self.board_ref = view
        self.board = <uint32_t *>&view[offset]
        self.board_slot = slot
        self.board_span = span
        self.board_bell = bell

    cdef void _publish(self) noexcept:
        """Say on the load board how many connections this worker holds and
        whether it is taking more."""
        cdef uint32_t *mine
        if self.board == NULL:
            return
        mine = self.board + self.board_slot * BOARD_ENTRY
        mine[0] = <uint32_t>self.nconns
        mine[1] = <uint32_t>self.now_ms
        if self.stopping or not (self.accepting or self.balance_paused):
            mine[2] = BOARD_AWAY
        else:
            mine[2] = BOARD_ASIDE if self.balance_paused else BOARD_LISTENING

    cdef int _over_share(self) noexcept:
        """Another worker that can take connections holds clearly fewer than
        this one: leave the next ones to it (its slot; -1 when there is none).

        Who can: a worker listening (the kernel wakes it for the next
        connection) that showed life within BOARD_STALE_MS (an idle one
        does once a second), or one that stepped aside and looks again every
        BALANCE_POLL_MS, seen within BOARD_ASIDE_STALE_MS.  So when every
        worker has stepped aside, the least loaded comes back within a few
        milliseconds, and one stuck in a long app call stops counting."""
        cdef uint32_t *e
        cdef int64_t least = -1
        cdef int32_t age
        cdef uint32_t now = <uint32_t>self.now_ms
        cdef int i, who = -1
        for i in range(self.board_span):
            e = self.board + i * BOARD_ENTRY
            if i == self.board_slot or e[2] == BOARD_AWAY:
                continue
            age = <int32_t>(now - e[1])
            if age > (BOARD_STALE_MS if e[2] == BOARD_LISTENING else BOARD_ASIDE_STALE_MS):
                continue
            if least < 0 or e[0] < least:
                least = e[0]
                who = i
        if least >= 0 and self.nconns > least + BOARD_SLACK + (least >> 3):
            return who
        return -1

    cdef int _balance(self) except -1:
        """Step aside while over share; come back once not.

        Stepping aside rings the worker the connections are left to: those
        already in the backlog wake nobody by arriving (EPOLLEXCLUSIVE woke
        this worker for them), and that worker may itself be aside, looking
        again only every BALANCE_POLL_MS.  Without the bell every round of a
        burst waited that long (200 requests over 2 gevent workers: the last
        one started 90 ms after the first instead of 5 ms)."""
        cdef int other
        if self.board == NULL or self.stopping:
            return 0
        if self.balance_paused:
            if self._over_share() < 0:
                self.balance_paused = False
                self._room_freed()
            else:
                self._publish()  # alive, and still aside
        elif self.accepting:
            other = self._over_share()
            if other >= 0:
                self.balance_paused = True
                self._listen(False)
                if self.board_bell is not None:
                    self.board_bell.ring(other)
        return 0

    cdef int _rung(self) except -1:
        """Another worker stepped aside for this one: come back if aside, and
        take what waits in the backlog (the kernel did not say so: it told
        the worker it woke for those connections)."""
        cdef int i
        self.board_bell.drain()
        if self.balance_paused:
            self._balance()
        elif self.accepting and not self.stopping:
            for i in range(len(self.listeners)):
                if self._accept(i) and self.uring is not None:
                    self.uring.accept_later(i)
        return 0

    def serve(self):
        """Run until stop() and the last connection is done (or a signal
        handler raises, which propagates)."""
        cdef int n, i, timeout
        cdef uint64_t key
        cdef Connection conn
        cdef epoll_event ev
        # The I/O backend, chosen in the worker (a ring is not shared across
        # fork): io_uring where the kernel allows it, else epoll.
        self.uring, why = choose_backend(self, self.io_backend, self.greenlet_hub is not None)
        self.error_logger.info("I/O backend: %s (%s)",
                               "epoll" if self.uring is None else "io_uring", why)
        if self.uring is None:
            self.epfd = epoll_create1(EPOLL_CLOEXEC)
            if self.epfd < 0:
                raise_errno()
        else:
            # The ring sends nothing before the turn's one enter anyway: a
            # response's bytes go to its slot at once, not to the flush batch.
            self.batching = False
        for sock in self.listeners:
            sock.setblocking(False)
        self._listen(True)
        if self.greenlet_hub is not None:
            self.executor = GreenPool(self.greenlet_hub, self.max_conns)
        elif self.threads > 1:
            self.executor = ThreadPool(self.threads)
            if self.uring is not None:
                self.uring.watch_executor(self.executor.efd)
            else:
                ev.events = EPOLLIN
                ev.data.u64 = EXECUTOR_KEY
                epoll_ctl(self.epfd, EPOLL_CTL_ADD, self.executor.efd, &ev)
        if self.board_bell is not None:
            if self.uring is not None:
                self.uring.watch_bell(self.board_bell.fileno())
            else:
                ev.events = EPOLLIN
                ev.data.u64 = BELL_KEY
                epoll_ctl(self.epfd, EPOLL_CTL_ADD, self.board_bell.fileno(), &ev)
        self.next_sweep = self.now_ms + 1000
        try:
            while not (self.stopping and (
                    (self.nconns == 0 and (self.uring is None or self.uring.zombies == 0))
                    or self.now_ms >= self.stop_deadline)):
                timeout = 1000 if not self.stopping else 100
                if self.tls_ready:
                    timeout = 0
                elif self.balance_paused:
                    timeout = BALANCE_POLL_MS
                if self.uring is not None:
                    self.uring.turn(timeout)
                    n = 0
                elif self.executor is None:
                    n = epoll_wait(self.epfd, self.events, MAX_EVENTS, timeout)
                else:
                    n = self.executor.wait(self, timeout)
                if n < 0:
                    if errno != EINTR:
                        raise_errno()
                    n = 0
                self._clock()
                for i in range(n):
                    if i and i % FLUSH_EVERY == 0:
                        self._flush_batch_now()
                    key = self.events[i].data.u64
                    if key >> 32:
                        if key & LISTENER_BIT:
                            self._accept(<int>(key & 0xffff))
                        elif key == EXECUTOR_KEY:
                            self._executor_ready()
                        else:
                            self._rung()
                        continue
                    conn = self.conns[<int>key]
                    if conn is None:
                        continue
                    self._service(conn, self.events[i].events)
                if self.executor is not None:
                    self.executor.after_batch(self)
                self._flush_batch_now()
                if self.tls_ready:
                    self._serve_tls_ready()
                if self.balance_paused:
                    self._balance()
                if self.now_ms >= self.next_sweep:
                    self._sweep()
                PyErr_CheckSignals()
        finally:
            self._close_all()
            if self.uring is not None:
                self.uring.teardown()
                self.uring = None
            if self.executor is not None:
                self.executor.shutdown()
                self.executor = None

    def stop(self, graceful=True):
        """Stop serving; with graceful, finish the requests under way first
        (bounded by graceful_timeout).  Safe to call from a signal handler."""
        self._begin_stop(graceful)

    cdef int _app_timed(self, double seconds) except -1:
        """Keep a moving average of the app's call time (response included;
        sampled, see Connection._call_app):
        holding responses for the end of a batch pays only while a batch of
        app calls is short; with a slow app (a database round trip, say) a
        ready response must not wait behind the next calls, so it goes at once."""
        self.app_time_avg += (seconds - self.app_time_avg) * 0.0625
        self.app_is_quick = self.app_time_avg < QUICK_APP_SECONDS
        return 0

    cdef int _defer_flush(self, Connection conn) except -1:
        if not conn.flush_queued:
            conn.flush_queued = True
            self.flush_batch.append(conn)
        return 0

    cdef int _flush_batch_now(self) except -1:
        """Send the responses produced while handling a batch of events.

        Sending each response the moment it is ready wakes the client for
        every one of them; on loopback, and wherever the client is idle
        waiting, that wake-up (an IPI to another CPU) costs more than the
        send itself.  Holding complete responses until up to FLUSH_EVERY
        events are handled lets them leave back to back, so a client already
        awake takes several without being woken again.  The delay is bounded
        by FLUSH_EVERY app calls."""
        cdef Connection conn
        if not self.flush_batch:
            return 0
        batch = self.flush_batch
        self.flush_batch = []
        self.batching = False
        try:
            for obj in batch:
                conn = <Connection>obj
                conn.flush_queued = False
                self._service(conn, EPOLLOUT)
        finally:
            self.batching = True
        return 0

    cdef int _executor_ready(self) except -1:
        cdef Connection conn
        for obj in self.executor.take_finished():
            self._service(<Connection>obj, EPOLLOUT)
        self._room_freed()
        return 0

    cdef int _service(self, Connection conn, uint32_t events) except -1:
        """Let a connection act on `events` (EPOLLOUT alone: send what it
        has and go on); a bug in it closes that connection, not the worker."""
        if conn.state == CS_CLOSED:
            return 0
        try:
            if events == EPOLLOUT:
                conn.on_writable()
            else:
                conn.on_event(events)
        except Exception as exc:
            self.log_error("Internal error on a connection; closing it", exc)
            conn.close()
        return 0

    cdef int _begin_stop(self, bint graceful) except -1:
        cdef Connection conn
        if not self.stopping:
            self.stopping = True
            self.stop_deadline = self.now_ms + (self.graceful_timeout_ms if graceful else 0)
            if self.epfd >= 0 or self.uring is not None:
                self._listen(False)
            self.next_sweep = self.now_ms  # close idle connections right away
        if not graceful:
            self.stop_deadline = self.now_ms
        return 0

    cdef int _listen(self, bint on) except -1:
        """Add the listeners to the epoll set, or take them out."""
        cdef epoll_event ev
        cdef int i
        if on == self.accepting and self.now_ms and self.next_sweep:
            return 0
        self.accepting = on
        self._publish()
        if self.uring is not None:
            return self.uring.listen(on)
        for i, sock in enumerate(self.listeners):
            ev.events = EPOLLIN | EPOLLEXCLUSIVE
            ev.data.u64 = LISTENER_BIT | <uint64_t>i
            if on:
                if epoll_ctl(self.epfd, EPOLL_CTL_ADD, sock.fileno(), &ev) < 0:
                    raise_errno()
            else:
                epoll_ctl(self.epfd, EPOLL_CTL_DEL, sock.fileno(), &ev)
        return 0

    cdef int _accept(self, int index) except -1:
        """Take the connections waiting on a listener, within the worker's
        room and share; 1 when it stopped at ACCEPT_BATCH with more maybe
        waiting (epoll reports the listener again; io_uring's poll, which
        reports wake-ups, does not, so the backend accepts again itself)."""
        cdef sockaddr_storage addr
        cdef socklen_t alen
        cdef int fd, k
        cdef int lfd = self.listeners[index].fileno()
        for k in range(ACCEPT_BATCH):
            if self._executor_full() or (self.nconns >= self.max_conns
                                         and not self._evict_idle()):
                # A full worker leaves new connections in the backlog, where
                # another worker sharing the listener takes them.
                self._listen(False)
                return 0
            alen = sizeof(addr)
            fd = accept4(lfd, <sockaddr *>&addr, &alen, SOCK_NONBLOCK | SOCK_CLOEXEC)
            if fd < 0:
                if errno == EINTR or errno == ECONNABORTED or errno == EPROTO:
                    continue
                if errno == EMFILE or errno == ENFILE or errno == ENOBUFS or errno == ENOMEM:
                    self.error_logger.error("accept() failed: %s", os.strerror(errno))
                return 0
            self._adopt(index, fd, &addr, alen)
            if self.board != NULL:
                # Workers sharing the listener: take connections while this
                # one is within its share; above it, step aside and ring the
                # worker they are left to (_balance).  Not one per wake-up
                # (gunicorn's gevent worker, max_accept = 1): that costs an
                # epoll_wait per connection of connection-per-request traffic.
                self._balance()
                if self.balance_paused:
                    return 0
        return 1

    cdef int _adopt(self, int index, int fd, sockaddr_storage *addr, socklen_t alen) except -1:
        """Make an accepted socket a Connection and read its request."""
        cdef int one = 1
        cdef bint deferred = self.defer_accept[index]
        cdef Connection conn
        if self.nodelay_per_socket[index] and (addr.ss_family == AF_INET
                                               or addr.ss_family == AF_INET6):
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one))
        conn = Connection.__new__(Connection)
        remote, port = _peer(addr, alen)
        # A unix-socket peer has no port: REMOTE_PORT is left out, as in
        # gunicorn; it is the local proxy, so it is trusted.
        conn._init(self, fd, self.base_environs[index], remote, port or None,
                   not remote or self.forwarded_policy.allows(remote),
                   self.proxy_mode != "off" and (not remote or self.proxy_policy.allows(remote)),
                   addr.ss_family == AF_UNIX)
        if self.tls_ctx != NULL:
            tls_begin(conn, self)
        elif self.uring is not None:
            self.uring.attach(conn, deferred and self.executor is not None)
        while len(self.conns) <= fd:
            self.conns.extend([None] * (len(self.conns) + 64))
        self.conns[fd] = conn
        self.nconns += 1
        if self.counters != NULL:
            self.counters.connections += 1
            self.counters.connections_open = <uint64_t>self.nconns
        self._publish()
        if deferred:
            # TCP_DEFER_ACCEPT: the kernel hands us the connection once
            # the request's first bytes are there, so read them now
            # rather than after another epoll_wait; the connection joins
            # the epoll set only if it has to wait (Connection._want).
            self._service(conn, EPOLLIN)
        else:
            conn._want(EPOLLIN)
        return 0


    cdef bint _evict_idle(self) except -1:
        """At worker_connections, close the longest-idle keep-alive
        connection to admit a new one (as nginx reuses idle connections).
        A connection idle for less than EVICT_IDLE_MS is a busy client
        between two requests, not an idle one: then nothing is evicted and
        new clients wait in the listen backlog for a free slot."""
        cdef Connection c, oldest = None
        for obj in self.conns:
            if obj is None:
                continue
            c = <Connection>obj
            if (c.is_idle() and self.now_ms - c.last_active >= EVICT_IDLE_MS
                    and (oldest is None or c.last_active < oldest.last_active)):
                oldest = c
        if oldest is None:
            return False
        oldest.close()
        return True

    cdef bint _executor_full(self) noexcept:
        """Every app thread (or greenlet) has a request: a new connection's
        request would only queue here while another worker may have room."""
        return self.executor is not None and self.executor.busy >= self.executor.capacity

    cdef int _room_freed(self) except -1:
        """A connection or an app call ended: take connections again if they
        were refused for want of room."""
        if (not self.accepting and not self.stopping and self.nconns < self.max_conns
                and not self._executor_full() and not self.balance_paused):
            self._listen(True)
        else:
            self._publish()
        return 0

    cdef void _forget(self, int fd) noexcept:
        self.conns[fd] = None
        self.nconns -= 1
        if self.counters != NULL:
            self.counters.connections_open = <uint64_t>self.nconns
        try:
            self._room_freed()
        except Exception:
            pass

    cdef int _sweep(self) except -1:
        """Once a second: timeouts, the heartbeat, a graceful stop's progress."""
        self.next_sweep = self.now_ms + 1000
        for obj in self.conns:
            if obj is not None:
                # A stop's idle closes are check_timeout's too: there a
                # connection that has had no request yet is given its grace.
                check_timeout(<Connection>obj, self.now_ms)
        if self.uring is not None:
            self.uring.sweep()
        self._publish()
        self._balance()
        if not self.accepting and not self.stopping and not self._executor_full() and (
                not self.balance_paused) and (self.nconns < self.max_conns or self._evict_idle()):
            # Accepting was paused at worker_connections with no idle
            # connection to spare; one may have become idle since.
            self._listen(True)
        if self.tick is not None:
            self.tick()
        return 0

    cdef int _serve_tls_ready(self) except -1:
        """Read on for the TLS connections whose input OpenSSL holds."""
        cdef Connection conn
        ready = self.tls_ready
        self.tls_ready = []
        for obj in ready:
            conn = <Connection>obj
            if (conn.tls != NULL and conn.state == CS_READING and not conn.in_app
                    and conn.interest & EPOLLIN and fw_tls_pending(conn.tls)):
                self._service(conn, EPOLLIN)
        return 0

    cdef int _close_all(self) except -1:
        for obj in self.conns:
            if obj is not None:
                (<Connection>obj).close()
        if self.epfd >= 0:
            close(self.epfd)
            self.epfd = -1
        return 0

    cdef void log_error(self, str message, object exc):
        try:
            self.error_logger.error(message, exc_info=(type(exc), exc, exc.__traceback__))
        except Exception:
            pass

    def connection(self, listener_index=0, remote=("127.0.0.1", 40000), trusted=None,
                   proxy=False):
        """A connection with no socket (fd -1), driven by feed() and read by
        take_output(): the engine's sans-I/O interface, used by tests."""
        cdef Connection conn = Connection.__new__(Connection)
        if self.base_environs:
            base = self.base_environs[listener_index]
        else:
            base = make_base_environ(("127.0.0.1", "80"), script_name=self.script_name)
        if trusted is None:
            trusted = self.forwarded_policy.allows(remote[0])
        conn._init(self, -1, base, remote[0], str(remote[1]), trusted,
                   proxy and self.proxy_mode != "off")
        return conn


cdef int check_timeout(Connection c, int64_t now) except -1:
    """Close a connection that outstayed its state's time limit."""
    cdef Server server = c.server
    cdef int64_t idle = now - c.last_active
    if c.in_app:
        return 0
    if tls_in_handshake(c):
        if now - c.head_started > server.header_timeout_ms:
            c.close()
    elif c.state == CS_LINGER:
        if idle > LINGER_MS:
            c.close()
    elif c.state == CS_SENDING:
        if idle > SEND_STALL_MS:
            c.close()
    elif c.in_head:
        if now - c.head_started > server.header_timeout_ms:
            c.close()
    elif c.in_message:
        if idle > server.header_timeout_ms:
            c.close()
    elif idle > server.keepalive_ms:
        c.close()
    elif server.stopping and (c.served or idle > FIRST_REQUEST_GRACE_MS):
        # A connection accepted as the stop began (io_uring: by an accept
        # the cancel raced) has its first request on the way: closing it
        # would drop that request unanswered.  Kept ones were idle, as above.
        c.close_idle()
    return 0

# Server (engine/loop.pyx) and Connection (engine/connection.pyx): every field
# and cdef method, declared once.  The functions of the other engine parts
# take a Connection and use what is declared here; each group of fields says
# which part writes it (the others only read it).  The request path, one pass:
#   loop.pyx (accept) -> connection.pyx (read, parse via llhttp.pyx, phase)
#   -> request.pyx (head -> environ, body) -> connection.pyx _dispatch
#   (app: inline, or an executor, executors.pyx) -> response.pyx (framing,
#   serialize.pyx) -> transport.pyx (send).

cdef enum ConnState:
    CS_READING = 0   # reading and answering requests (the usual state)
    CS_SENDING = 1   # a response did not fit the socket: waiting for EPOLLOUT
    CS_LINGER = 2    # last response sent, our side shut: input read and dropped
    CS_CLOSED = 3

# Where the connection's current response is (Connection._enter is the only
# writer; the edges are in connection.pyx).  One request is answered at a
# time, so this is also where the connection is in its request/response cycle.
cdef enum Phase:
    PH_IDLE = 0       # no response under way: the next request may be parsed
    PH_APP = 1        # the app is being called (inline or on an executor)
    PH_STREAMING = 2  # the app's iterable is advanced as the socket drains
    PH_SENDFILE = 3   # a wsgi.file_wrapper file is going out by sendfile
    PH_CLOSING = 4    # the last response is written: close once it is sent

# How a connection's bytes reach the peer (engine/transport.pyx dispatches
# on it): the kernel socket, or a TLS session over it.
cdef enum Transport:
    TR_PLAIN = 0
    TR_TLS = 1       # OpenSSL session `tls` over the socket (engine/tls.pyx)
    TR_URING = 2     # the socket through the worker's io_uring (engine/uring.pyx)

# One request header as offsets into the request head (engine/environ.pyx).
cdef struct HeaderSpan:
    size_t name_off
    size_t name_len
    size_t value_off
    size_t value_len
    int idx          # the name's index in csrc's table of known names, or -1
    # What start_request last put in the environ for the span at this
    # position: the name's index and the value (borrowed: the reused environ
    # holds it), so that a refilled environ is not given the same value again.
    int env_idx
    PyObject *env_value


cdef class Connection:
    cdef Server server
    cdef readonly int fd
    cdef readonly int state      # ConnState
    cdef int phase               # Phase; written only by _enter()
    cdef int transport           # Transport
    cdef fw_tls_t *tls           # TR_TLS: the session
    # TR_TLS: the readiness a blocked TLS call waits for that is not its own
    # direction (a read that must send, a write that must receive), else 0.
    cdef uint32_t tls_cross
    cdef dict tls_environ        # TR_TLS: the client certificate's keys, once verified
    cdef uint32_t interest
    cdef bint watched            # in the epoll set (see _want)
    cdef fw_llhttp_t parser

    # Written by connection.pyx (parsing) and transport.pyx (nothing else).
    # Input: inbuf is either the server's shared scratch buffer (bytes just
    # received) or rbuf (bytes kept from an earlier read: a partial head, or
    # requests waiting behind a response).  Offsets are into inbuf.
    cdef fw_buf_t rbuf
    cdef char *inbuf
    cdef size_t inlen
    cdef size_t parsed
    cdef size_t head_start
    cdef bint in_head
    cdef bint in_message

    # The head being parsed: offsets relative to head_start.
    cdef size_t method_off, method_len, url_off, url_len
    cdef size_t field_off, field_len, value_off, value_len
    cdef HeaderSpan *headers     # grown on demand up to max_headers entries
    cdef int headers_cap
    cdef int nheaders
    cdef int ntrailers
    # The known header names of the head, one bit per table index; hunusual:
    # an unknown name or a repeated one was seen (request.pyx: the environ
    # of such a request is built afresh, and not reused after).
    cdef uint64_t hmask
    cdef bint hunusual
    # A chunked body's chunk-size lines are read and checked by
    # read_chunk_line (engine/llhttp.pyx), llhttp only gets the size:
    # chunk_line, one is next; chunk_last, the chunk being read is the last.
    cdef bint chunk_line
    cdef bint chunk_last
    cdef char trailer_name[17]   # a trailer field's name, up to the longest refused
    cdef int error_status
    cdef bint method_undecided
    # A method llhttp does not know, accepted by gunicorn's rule: llhttp
    # parses the rest of the request after a stand-in "GET " (see
    # Connection._own_method), method_off/len are the real token's.
    cdef bint own_method
    cdef bint in_stand_in
    cdef str error_detail
    cdef object error_exc

    # The request: written by request.pyx (the head's meaning, the body) and
    # _dispatch.
    cdef dict base_environ       # the listener's, shared by its connections
    # base_environ with this peer's keys, made at the second request of a
    # keep-alive connection (request.pyx request_environ); None until then.
    cdef dict conn_environ
    cdef bint environ_seen       # a request was parsed on this connection
    cdef str remote_addr         # REMOTE_ADDR ("" for a unix-socket peer)
    cdef str remote_port         # REMOTE_PORT, or None (a unix-socket peer has none)
    cdef dict environ
    cdef dict cur_environ
    # The last response's environ, kept to be refilled for the next request
    # when nothing else holds it and it is as we made it (request.pyx
    # request_environ): spare_version is its dict version when the app got
    # it; env_mask the header keys it holds (hmask); env_overrides the
    # template keys it holds another value of (EnvOverride bits).
    cdef dict spare_environ
    cdef uint64_t spare_version
    cdef uint64_t env_mask
    cdef int env_overrides
    cdef bint env_reusable      # the environ being served may be kept as spare
    # The environ being filled is the spare, refilled (request_environ); and
    # the RAW_URI and PATH_INFO values it holds from the last request
    # (borrowed: valid only while env_reused, when the environ holds them).
    cdef bint env_reused
    cdef PyObject *env_raw
    cdef PyObject *env_path
    cdef object hints            # wsgi.early_hints (engine/early_hints.pyx), from the first request
    cdef bint keep_alive
    cdef bint http10
    cdef bint is_head
    cdef fw_buf_t body
    cdef uint64_t body_len
    cdef object spool            # the body being spooled to a temporary file
    cdef int spool_fd
    cdef object body_file        # the spooled body given to the app; closed after

    # The response: written by response.pyx; the send progress (wsent,
    # zoff/zbody, sf_off/sf_left) by transport.pyx.
    cdef StartResponse sr
    cdef object start_response   # sr.start_response, bound once: what the app is given
    cdef object result
    cdef object resp_iter
    cdef int framing
    cdef bint bodyless
    cdef int64_t resp_remaining  # FR_LENGTH: bytes the declared length still takes (body_room)
    cdef uint64_t resp_bytes
    cdef bint body_cut           # body bytes were dropped (bodyless, or past the length): logged
    cdef fw_buf_t wbuf
    cdef size_t wsent
    cdef bytes zbody             # bytes zoff..zend of it go out between wbuf[:zmark] and wbuf[zmark:]
    cdef size_t zoff, zend, zmark
    cdef int sf_fd
    cdef off_t sf_off
    cdef size_t sf_left
    cdef double started
    cdef uint64_t t_start        # counters: the request's end (dispatch), in ns
    cdef uint64_t t_end          # counters: its response's end (0 until then)
    cdef bint served             # an earlier request came on this connection

    # An executor (engine/executors.pyx) calls the app off the loop thread:
    # in_app while the response is the executor's; aborted when the
    # connection closed under it; waiter is the executor's per-connection
    # wake-up (Executor.wait_drained / release).
    cdef bint in_app
    cdef bint aborted
    cdef object waiter
    cdef bint flush_queued       # in Server.flush_batch, sent at the end of the batch

    # The peer is a trusted proxy (forwarded_allow_ips); a PROXY protocol
    # header is still expected before the first request.
    cdef bint trusted
    cdef bint proxy_pending
    cdef bint is_unix

    # Timers, in the server's coarse monotonic milliseconds.
    cdef int64_t last_active
    cdef int64_t head_started

    cdef int _init(self, Server server, int fd, dict base_environ, str remote_addr,
                   str remote_port, bint trusted=*, bint proxy_pending=*,
                   bint is_unix=*) except -1

    # Records why a request is refused (for llhttp's callbacks in
    # engine/llhttp.pyx, and the head's checks); returns -1.
    cdef int _fail(self, int status, str detail) noexcept

    cdef inline int _enter(self, int phase) except -1
    cdef int _process(self) except -1
    cdef int _reject(self, int err) except -1
    cdef int _own_method(self, size_t lead, size_t tok) except -1
    cdef int _dispatch(self) except -1
    cdef int _call_app(self) except -1

    cdef inline size_t pending(self) noexcept
    cdef int _want(self, uint32_t events) except -1
    cdef int _drive(self) except -1
    cdef int _drive_for_executor(self) except -1
    cdef int _finish(self) except -1
    cdef int _stash_input(self) except -1
    cdef int on_readable(self) except -1
    cdef int on_writable(self) except -1
    cdef int on_event(self, uint32_t events) except -1
    cdef bint is_idle(self)
    cdef int close_idle(self) except -1
    cpdef close(self)
    cdef int _close_socket(self) except -1


cdef class Server:
    cdef object app
    cdef list listeners
    cdef list base_environs
    cdef list defer_accept
    cdef list nodelay_per_socket
    cdef readonly int epfd
    cdef Uring uring             # the io_uring backend, or None (epoll: epfd)
    cdef str io_backend          # the setting: auto, epoll or io_uring
    cdef bint multiprocess       # other workers share the listeners
    cdef list conns              # Connection by fd, None where there is none
    cdef readonly int nconns
    cdef int max_conns
    cdef bint accepting
    cdef char *scratch           # the receive buffer shared by all connections
    cdef epoll_event *events

    cdef readonly uint64_t requests
    cdef readonly object current
    cdef readonly double current_since
    cdef readonly bint stopping
    cdef int64_t stop_deadline
    cdef int64_t now_ms
    cdef int64_t next_sweep

    # settings
    cdef size_t limit_request_line
    cdef int max_headers
    cdef size_t limit_request_field_size
    cdef bint permit_unconventional_http_method
    cdef bint casefold_http_method
    cdef uint64_t limit_request_body
    cdef size_t spool_threshold
    cdef bint use_sendfile       # the sendfile setting: wsgi.file_wrapper files by sendfile(2)
    cdef uint64_t max_requests
    cdef int64_t keepalive_ms
    cdef int64_t header_timeout_ms
    cdef int64_t graceful_timeout_ms
    cdef str script_name
    cdef object error_logger
    cdef object on_response
    cdef object pre_request
    cdef object tick
    cdef bint timing
    cdef int threads
    cdef Executor executor       # None: the app is called inline, in the loop thread
    cdef object greenlet_hub     # -k gevent/eventlet: the hub adapter (workers/greenlets.py)
    cdef readonly bint batching
    cdef readonly bint app_is_quick
    cdef double app_time_avg
    cdef list flush_batch
    cdef list secure_headers
    cdef bint scheme_initials[256]
    cdef frozenset forwarders
    cdef AddressPolicy forwarded_policy
    cdef AddressPolicy proxy_policy
    cdef str proxy_mode
    cdef object tls              # TLSContext of every listener, or None (plain)
    cdef fw_tls_ctx_t *tls_ctx
    cdef list tls_ready          # TLS connections holding input the socket no longer signals
    cdef bint tls_client_certs   # cert_reqs is not none: put the client's in the environ
    # This worker's slot of the shared counters (engine/counters.pyx), or NULL.
    cdef fw_counters_t *counters
    cdef object counters_owner   # keeps the slot's memory mapped (attach_counters)
    # The load board (workers/heartbeat.py; Server._over_share): 4 uint32 a worker.
    cdef object board_ref
    cdef uint32_t *board
    cdef int board_slot
    cdef int board_span
    cdef bint balance_paused
    cdef object board_bell       # workers/heartbeat.py BoardBell, or None

    cdef void _clock(self) noexcept
    cdef int _app_timed(self, double seconds) except -1
    cdef int _defer_flush(self, Connection conn) except -1
    cdef int _flush_batch_now(self) except -1
    cdef int _executor_ready(self) except -1
    cdef int _service(self, Connection conn, uint32_t events) except -1
    cdef int _begin_stop(self, bint graceful) except -1
    cdef int _listen(self, bint on) except -1
    cdef int _accept(self, int index) except -1
    cdef int _adopt(self, int index, int fd, sockaddr_storage *addr, socklen_t alen) except -1
    cdef bint _executor_full(self) noexcept
    cdef int _room_freed(self) except -1
    cdef void _publish(self) noexcept
    cdef int _over_share(self) noexcept
    cdef int _balance(self) except -1
    cdef int _rung(self) except -1
    cdef bint _evict_idle(self) except -1
    cdef void _forget(self, int fd) noexcept
    cdef int _sweep(self) except -1
    cdef int _close_all(self) except -1
    cdef int _serve_tls_ready(self) except -1
    cdef void log_error(self, str message, object exc)

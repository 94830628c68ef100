# TLS contexts for the listeners (csrc/fw_tls.c does the OpenSSL work).
#
# A TLSContext is built from gunicorn's settings in C, the way Python's ssl
# module builds gunicorn's default context; or, when the user's ssl_context
# hook returns an ssl.SSLContext, it serves that very SSL_CTX (Python's _ssl
# and this module must then share one libssl, which is checked): every
# customisation the hook made (minimum_version, options, ciphers, verify
# locations, ...) is in effect, because it is the same object.  What cannot
# work from C is refused with one line (Python callbacks that OpenSSL would
# call with one of Python's own SSLSocket objects, which we do not have).

from fastwsgi.includes.tls cimport *

cdef extern from "<dlfcn.h>" nogil:
    void *dlopen(const char *filename, int flags)
    void *dlsym(void *handle, const char *symbol)
    int dlclose(void *handle)
    enum:
        RTLD_LAZY
        RTLD_NOLOAD

cdef extern from *:
    """
    /* CPython's PySSLContext (Modules/_ssl.c, 3.0 to 3.13) begins with
     * PyObject_HEAD then SSL_CTX *ctx. */
    typedef struct { PyObject_HEAD void *ctx; } fw_pyssl_context_head;
    static void *fw_pyssl_ctx(PyObject *o) { return ((fw_pyssl_context_head *)o)->ctx; }
    """
    void *fw_pyssl_ctx(object o)

DEF ERR_LEN = 512


class TLSError(ValueError):
    """The TLS configuration cannot be served (one line: why)."""


cdef bytes _path(object value):
    return None if value is None else os.fsencode(value)


cdef inline const char *_cstr(bytes b):
    if b is None:
        return NULL
    return PyBytes_AS_STRING(b)


cdef class TLSContext:
    """One OpenSSL context; connections accepted on a TLS listener get a
    session from it (engine/tlsio.pyx)."""

    cdef fw_tls_ctx_t *ctx
    cdef readonly bint adopted
    cdef object py_context  # keeps an adopted ssl.SSLContext alive

    def __dealloc__(self):
        fw_tls_ctx_free(self.ctx)

    @staticmethod
    def from_settings(certfile, keyfile=None, *, password=None, ca_certs=None, cert_reqs=0,
                      ciphers=None, suppress_ragged_eofs=True):
        cdef TLSContext self = TLSContext.__new__(TLSContext)
        cdef fw_tls_config_t cfg
        cdef char err[ERR_LEN]
        b_cert, b_key, b_ca = _path(certfile), _path(keyfile), _path(ca_certs)
        b_pass = None if password is None else str(password).encode("utf-8")
        b_ciphers = None if not ciphers else str(ciphers).encode("ascii")
        cfg.certfile = _cstr(b_cert)
        cfg.keyfile = _cstr(b_key)
        cfg.ca_certs = _cstr(b_ca)
        cfg.password = _cstr(b_pass)
        cfg.ciphers = _cstr(b_ciphers)
        cfg.cert_reqs = cert_reqs
        cfg.suppress_ragged_eofs = suppress_ragged_eofs
        err[0] = 0
        self.ctx = fw_tls_ctx_new(&cfg, err, ERR_LEN)
        if self.ctx == NULL:
            raise TLSError(err.decode("utf-8", "replace"))
        return self

    @staticmethod
    def adopt(context, suppress_ragged_eofs=True):
        """Serve the SSL_CTX of a Python ssl.SSLContext (the ssl_context hook's)."""
        import ssl
        cdef TLSContext self = TLSContext.__new__(TLSContext)
        cdef char err[ERR_LEN]
        if not isinstance(context, ssl.SSLContext):
            raise TLSError(f"the ssl_context hook returned {type(context).__name__}, "
                           "not an ssl.SSLContext")
        if context.protocol == ssl.PROTOCOL_TLS_CLIENT:
            raise TLSError("the ssl_context hook returned a client context "
                           "(PROTOCOL_TLS_CLIENT); use ssl.Purpose.CLIENT_AUTH or PROTOCOL_TLS_SERVER")
        for attr, what in (("sni_callback", "an sni_callback"),
                           ("keylog_filename", "a keylog_filename"),
                           ("_msg_callback", "a _msg_callback")):
            if getattr(context, attr, None) is not None:
                raise TLSError(f"the ssl_context hook's context sets {what}, which calls Python "
                               "from OpenSSL with an ssl.SSLSocket fastwsgi does not have")
        _check_same_libssl()
        err[0] = 0
        self.ctx = fw_tls_ctx_adopt(fw_pyssl_ctx(context), suppress_ragged_eofs, err, ERR_LEN)
        if self.ctx == NULL:
            raise TLSError(err.decode("utf-8", "replace"))
        # The same object, seen from both sides (a check of the struct layout).
        if (fw_tls_ctx_verify_mode(self.ctx) != int(context.verify_mode)
                or fw_tls_ctx_options(self.ctx) & int(context.options) != int(context.options)):
            raise TLSError("the ssl_context hook's context does not read back from C as it does "
                           "from Python (unknown CPython ssl layout)")
        self.adopted = True
        self.py_context = context
        return self

    @property
    def verify_mode(self):
        return fw_tls_ctx_verify_mode(self.ctx)

    @property
    def options(self):
        return fw_tls_ctx_options(self.ctx)


cdef int _check_same_libssl() except -1:
    """Refuse to mix two OpenSSL libraries in one process: an SSL_CTX made by
    Python's _ssl is only usable here if both resolve SSL_CTX_new to the same
    code."""
    import _ssl
    cdef bytes path = os.fsencode(_ssl.__file__)
    cdef void *handle = dlopen(path, RTLD_LAZY | RTLD_NOLOAD)
    cdef void *theirs = NULL
    if handle != NULL:
        theirs = dlsym(handle, "SSL_CTX_new")
        dlclose(handle)
    if theirs == NULL or theirs != fw_tls_library_marker():
        raise TLSError("the ssl_context hook needs Python's ssl module and fastwsgi on the same "
                       f"libssl (Python: {_ssl.OPENSSL_VERSION}; fastwsgi built on "
                       f"{fw_tls_library_version():#x})")
    return 0


# ---- sessions: the TR_TLS branch of engine/transport.pyx -------------------
#
# A TLS connection is a connection like any other: its handshake is driven by
# its first reads (SSL_read does it), from the loop, never blocking; the
# header_timeout counts from accept until the handshake is done
# (check_timeout).  The contract of fw_tls_* maps to transport.pyx's:
# -2 is IO_AGAIN, and when the call must wait for the other direction (a read
# that has to send, a write that has to receive) that readiness is kept in
# tls_cross, which Connection._want adds to the interest and on_event routes
# back to the blocked call.

DEF TLS_RECORD = 16384
DEF TLS_ERROR_LEN = 512


cdef int tls_begin(Connection c, Server server) except -1:
    """Give a connection just accepted its TLS session."""
    c.tls = fw_tls_new(server.tls_ctx, c.fd)
    if c.tls == NULL:
        raise MemoryError()
    c.transport = TR_TLS
    c.head_started = server.now_ms  # header_timeout runs from accept
    return 0


cdef inline ssize_t _tls_again(Connection c, uint32_t own) noexcept:
    cdef uint32_t wanted = EPOLLIN if fw_tls_want(c.tls) == FW_TLS_WANT_READ else EPOLLOUT
    c.tls_cross = wanted if wanted != own else 0
    return IO_AGAIN


cdef ssize_t tls_recv(Connection c, char *buf, size_t n) noexcept:
    cdef ssize_t r = fw_tls_read(c.tls, buf, n)
    if r > 0:
        c.tls_cross = 0
        if c.tls_environ is None and c.server.tls_client_certs:
            _client_cert_environ(c)
        return r
    if r == -2:
        return _tls_again(c, EPOLLIN)
    if r == -1:
        _tls_log(c)
    return IO_GONE


cdef ssize_t tls_send(Connection c, const char *p, size_t n) noexcept:
    cdef ssize_t r = fw_tls_write(c.tls, p, n)
    if r >= 0:
        c.tls_cross = 0
        return r
    if r == -2:
        return _tls_again(c, EPOLLOUT)
    _tls_log(c)
    return IO_GONE


cdef ssize_t tls_sendv(Connection c, iovec *iov, int niov) noexcept:
    """The buffers one after the other (TLS has no gather write): stops at
    the first that the session does not take whole."""
    cdef ssize_t total = 0, r
    cdef int i
    for i in range(niov):
        if iov[i].iov_len == 0:
            continue
        r = tls_send(c, <const char *>iov[i].iov_base, iov[i].iov_len)
        if r < 0:
            return total if total else r
        total += r
        if <size_t>r < iov[i].iov_len:
            break
    return total


cdef void tls_end(Connection c) noexcept:
    """Before close(): close_notify (when the session is sound and nothing
    was sent yet), then free the session."""
    if c.tls != NULL:
        fw_tls_shutdown(c.tls)
        fw_tls_free(c.tls)
        c.tls = NULL
    c.transport = TR_PLAIN


cdef bint tls_in_handshake(Connection c) noexcept:
    return c.tls != NULL and not fw_tls_handshake_done(c.tls)


cdef void tls_input_waits(Connection c) noexcept:
    """The connection waits for input: if OpenSSL already holds some (read
    ahead past what fitted the buffer), epoll will not report it; the loop
    serves it at the end of this turn (Server._serve_tls_ready)."""
    if c.tls != NULL and fw_tls_pending(c.tls):
        try:
            c.server.tls_ready.append(c)
        except BaseException:
            pass


cdef void _tls_log(Connection c) noexcept:
    """A failed handshake or session: gunicorn logs these at debug level."""
    try:
        c.server.error_logger.debug("TLS error from %s: %s", c.remote_addr or "unix socket",
                                    fw_tls_error(c.tls).decode("utf-8", "replace"))
    except BaseException:
        pass


cdef void _client_cert_environ(Connection c) noexcept:
    """The verified client certificate, once per connection, with mod_ssl's
    names (gunicorn exposes none): SSL_CLIENT_S_DN, SSL_CLIENT_I_DN,
    SSL_CLIENT_VERIFY."""
    cdef char subject[TLS_ERROR_LEN]
    cdef char issuer[TLS_ERROR_LEN]
    try:
        c.tls_environ = {}
        if fw_tls_peer_subject(c.tls, subject, TLS_ERROR_LEN, issuer, TLS_ERROR_LEN):
            c.tls_environ = {
                "SSL_CLIENT_S_DN": subject.decode("utf-8", "replace"),
                "SSL_CLIENT_I_DN": issuer.decode("utf-8", "replace"),
                "SSL_CLIENT_VERIFY": "SUCCESS",
            }
    except BaseException:
        pass

# From a parsed request head to the environ, and the request body's home.
#
# Module-level functions over a Connection (engine/connection.pyx holds the
# state machine and the I/O; this file what a request head means).


# The last request target's str (from _latin1_recent) and its split: a
# repeated target is not split again.  Only the loop thread parses.
cdef object _split_raw = None
cdef fw_target_t _split_target
cdef bint _split_plain = False   # no '%' in it


cdef int start_request(Connection c) except -2:
    """Validate the head and build the environ: 0, or -1 (after _fail)
    when the request is refused."""
    cdef Server server = c.server
    cdef fw_llhttp_t *p = &c.parser
    cdef const char *head = c.inbuf + c.head_start
    cdef HeaderSpan *h
    cdef int i, idx, nhost = 0, nte = 0, nctype = 0
    cdef dict forwarded = None
    cdef bint te_chunked = False, expect_continue = False, maybe_scheme = False
    cdef fw_target_t target
    cdef str value
    cdef str script_name    # typed: its truth test is a length test, not a call
    global _valid_host, _split_raw, _split_plain

    if p.http_major != 1:
        return c._fail(505, "only HTTP/1.x is served")
    # RFC 9110 §2.5: a higher minor version is answered as HTTP/1.1.
    c.http10 = p.http_minor == 0
    environ = request_environ(c)
    # REQUEST_METHOD (GET) and SERVER_PROTOCOL (HTTP/1.1) are the template's
    # unless the request says otherwise.
    if c.own_method:
        method = _latin1(head + c.method_off, c.method_len)
        if server.casefold_http_method:
            method = method.upper()  # gunicorn's casefold_http_method
        c.is_head = method == "HEAD"
        environ["REQUEST_METHOD"] = method
        c.env_overrides |= EO_METHOD
    else:
        c.is_head = p.method == FW_METHOD_HEAD
        if p.method != FW_METHOD_GET:
            environ["REQUEST_METHOD"] = _method_name(p.method, head + c.method_off, c.method_len)
            c.env_overrides |= EO_METHOD
    if c.http10:
        environ["SERVER_PROTOCOL"] = _HTTP10
        c.env_overrides |= EO_PROTOCOL
    raw = _latin1_recent(_TARGET_SLOT, head + c.url_off, c.url_len)
    # A refilled environ already holds the same str (see request_environ):
    # two dict stores fewer, a tenth of a plaintext request's instructions
    # with the two below.
    if not (c.env_reused and <PyObject *>raw is c.env_raw):
        environ["RAW_URI"] = raw
        environ["REQUEST_URI"] = raw
        c.env_raw = <PyObject *>raw
    if raw is not _split_raw:
        # (The same str as last time is the same bytes: its split and its
        # escapes are known.  The module keeps it, so its address cannot be
        # another str's.)
        fw_split_target(head + c.url_off, c.url_len, &_split_target)
        _split_plain = memchr(head + c.url_off, b'%', c.url_len) == NULL
        _split_raw = raw
    target = _split_target
    if c.url_len == 1 and head[c.url_off] == b'*':
        # RFC 9112 §3.2.4: asterisk-form is for OPTIONS only.  It names the
        # server, not a resource: no path (RAW_URI keeps the '*').
        if environ["REQUEST_METHOD"] != "OPTIONS":
            return c._fail(400, "asterisk-form target without OPTIONS")
        target.path_len = 0
    elif p.method == FW_METHOD_CONNECT and not c.own_method:
        target.path_len = 0  # §3.2.3: authority-form names a host, not a path
        # RFC 9110 §9.3.6: a CONNECT request has no content, and what follows
        # its head is the tunnel's (not served): a body would never reach the
        # app (found by the fuzz: CONTENT_LENGTH with an empty wsgi.input).
        if p.flags & (FW_F_CONTENT_LENGTH | FW_F_TRANSFER_ENCODING):
            return c._fail(400, "CONNECT request with content")
    elif target.auth_len and not fw_valid_host(head + c.url_off + target.auth_off,
                                                target.auth_len):
        return c._fail(400, "invalid authority in the request target")
    if target.path_len == 0:
        path = ""
    elif target.path_off == 0 and target.path_len == c.url_len and _split_plain:
        path = raw  # origin-form, no query, nothing to decode
    else:
        path = _decode_path(head + c.url_off + target.path_off, target.path_len)
    if target.query_len:  # else the template's ""
        environ["QUERY_STRING"] = _latin1(head + c.url_off + target.query_off, target.query_len)
        c.env_overrides |= EO_QUERY

    for i in range(c.nheaders):
        h = &c.headers[i]
        idx = h.idx
        value = None
        if idx == FW_H_HOST:
            nhost += 1
            value = _latin1_recent(idx, head + h.value_off, h.value_len)
            if value is not _valid_host:
                if not fw_valid_host(head + h.value_off, h.value_len):
                    return c._fail(400, "invalid Host header")
                _valid_host = value
        elif idx == FW_H_CONTENT_TYPE:
            nctype += 1
        elif idx == FW_H_TRANSFER_ENCODING:
            nte += 1
            te_chunked = fw_lower_eq(head + h.value_off, h.value_len, "chunked")
        elif idx == FW_H_EXPECT:
            expect_continue = fw_lower_eq(head + h.value_off, h.value_len, "100-continue")
        if h.name_len and server.scheme_initials[<unsigned char>(head[h.name_off] | 0x20)]:
            maybe_scheme = True
        if (_add_header(environ, head, h, idx, value, c.hunusual, c.env_reused)
                and c.trusted and server.forwarders):
            name = _latin1(head + h.name_off, h.name_len).upper()
            if name in server.forwarders:
                if forwarded is None:
                    forwarded = {}
                forwarded[name] = _latin1(head + h.value_off, h.value_len)

    # RFC 9112 §3.2: exactly one Host in HTTP/1.1, at most one in 1.0.
    if nhost > 1 or (nhost == 0 and not c.http10):
        return c._fail(400, "missing or repeated Host header")
    # RFC 9110 §5.3: a field that is no list may not be repeated; two
    # Content-Types are two claims about one body (gunicorn 26.1 refuses too).
    if nctype > 1:
        return c._fail(400, "repeated Content-Type header")
    if p.flags & FW_F_TRANSFER_ENCODING:
        # §6.1: Transfer-Encoding in 1.0 means faulty framing; the only
        # coding a server must know is chunked, and it must come last.
        if c.http10 or p.flags & FW_F_CONTENT_LENGTH:
            return c._fail(400, "ambiguous message framing")
        if not p.flags & FW_F_CHUNKED:
            # §6.3: a request whose final coding is not chunked cannot
            # be delimited.
            return c._fail(400, "chunked must be the final transfer coding")
        if nte != 1 or not te_chunked:
            return c._fail(501, "unsupported transfer coding")
    if (p.flags & FW_F_CONTENT_LENGTH and server.limit_request_body
            and p.content_length > server.limit_request_body):
        return c._fail(413, "request body too large")

    if c.trusted and maybe_scheme and forwarded_scheme(c, environ) < 0:
        return -1
    if c.is_unix:
        _unix_server_name(environ)
        c.env_reusable = False
    script_name = server.script_name
    if forwarded is not None:
        c.env_reusable = False
        # gunicorn's forwarder_headers: environ keys a trusted proxy sets.
        path = forwarded.pop("PATH_INFO", path)
        if "SCRIPT_NAME" in forwarded:
            script_name = forwarded["SCRIPT_NAME"].rstrip("/")
        environ.update(forwarded)
    if script_name:
        if path.startswith(script_name) and (
                len(path) == len(script_name) or path[len(script_name)] == "/"):
            path = path[len(script_name):]
    if not (c.env_reused and <PyObject *>path is c.env_path):
        environ["PATH_INFO"] = path
        c.env_path = <PyObject *>path
    c.environ = environ
    c.body_len = 0
    if expect_continue and not c.http10 and (
            p.flags & FW_F_CHUNKED or p.content_length > 0):
        buf_append(&c.wbuf, FW_CONTINUE, FW_CONTINUE_LEN)
    return 0


# An environ is reused (issue #16): copying the template into a new dict and
# freeing that dict after the response was a tenth of a plaintext request's
# instructions.  Once the app has returned, the last environ may be refilled
# for the next request when (1) nothing but the connection holds it, so no
# one can see it change, and (2) its dict version is the one it had when the
# app got it, so it holds exactly what start_request put in: the template's
# keys (with the overrides below), RAW_URI, REQUEST_URI, PATH_INFO and one
# key per known header field.  (3) The new request's header names are the
# same set of known names, each once (hmask == env_mask, not hunusual), so
# that setting its keys replaces every request key of the last one; and the
# template's values that the last request changed are put back first.  What
# the app gets is then the same dict content a fresh copy would hold.
# Requests that change other template keys (a trusted proxy's scheme or
# forwarder headers, a unix socket's SERVER_NAME) or have a body (wsgi.input:
# the spare would keep the body alive) make a fresh environ next time.

cdef enum EnvOverride:
    EO_METHOD = 1      # REQUEST_METHOD is not "GET"
    EO_PROTOCOL = 2    # SERVER_PROTOCOL is "HTTP/1.0"
    EO_QUERY = 4       # QUERY_STRING is not ""


cdef dict request_environ(Connection c):
    """The environ to fill: the last one reused when it may be (see above),
    else a new one holding the keys that are the same for every request on
    the connection, copied from one dict (a single C call)."""
    cdef dict environ
    cdef int overrides = c.env_overrides
    # (The count read through a PyObject *: Cython would hold a reference
    # of its own while reading an object's.)
    cdef bint reuse = (c.spare_environ is not None
                       and (<PyObject *>c.spare_environ).ob_refcnt == 1
                       and not c.hunusual and c.hmask == c.env_mask
                       and fw_dict_version(c.spare_environ) == c.spare_version
                       and c.spare_version != 0)
    c.env_overrides = 0
    c.env_mask = c.hmask
    c.env_reusable = not c.hunusual
    c.env_reused = reuse
    if reuse:
        environ = c.spare_environ
        c.spare_environ = None
        if overrides:
            _restore_template(environ, overrides)
        return environ
    c.spare_environ = None
    template = c.conn_environ
    if template is not None:
        return PyDict_Copy(template)
    # The listener's keys, which stay hot in cache whatever the number of
    # connections, and the peer's.
    environ = <dict>PyDict_Copy(c.base_environ)
    environ["REMOTE_ADDR"] = c.remote_addr
    if c.remote_port is not None:
        environ["REMOTE_PORT"] = c.remote_port
    if c.tls_environ:
        environ.update(c.tls_environ)
    environ["wsgi.early_hints"] = early_hints_for(c)
    if c.environ_seen:
        # A second request: the connection is kept alive, so its own template
        # pays for itself from the next request on.  (Made at the first, it
        # would cost a copy per request to connection-per-request clients.)
        c.conn_environ = PyDict_Copy(environ)
    c.environ_seen = True
    return environ


cdef int _restore_template(dict environ, int overrides) except -1:
    """Put back the template's values of the keys the last request set."""
    if overrides & EO_METHOD:
        environ["REQUEST_METHOD"] = _GET
    if overrides & EO_PROTOCOL:
        environ["SERVER_PROTOCOL"] = _HTTP11
    if overrides & EO_QUERY:
        environ["QUERY_STRING"] = _EMPTY
    return 0


cdef int keep_spare_environ(Connection c, dict environ) except -1:
    """After the response: keep its environ for request_environ to reuse."""
    if c.env_reusable and c.state != CS_CLOSED:
        c.spare_environ = environ
    return 0


cdef int drop_spare_environ(Connection c) noexcept:
    c.spare_environ = None
    c.env_reusable = False
    return 0


cdef int forwarded_scheme(Connection c, dict environ) except -2:
    """wsgi.url_scheme from a trusted proxy's secure-scheme headers."""
    scheme = None
    for key, wanted in c.server.secure_headers:
        value = environ.get(key)
        if value is None:
            continue
        this = "https" if value == wanted else "http"
        if scheme is not None and this != scheme:
            return c._fail(400, "contradictory scheme headers")
        scheme = this
    if scheme is not None:
        environ["wsgi.url_scheme"] = scheme
        c.env_reusable = False
    return 0


cdef int read_proxy_header(Connection c) except -1:
    """Take the PROXY header off the input: 1 done, 0 not yet (or refused)."""
    cdef list out = []
    cdef Py_ssize_t n
    try:
        n = parse_proxy_header(c.inbuf + c.parsed, c.inlen - c.parsed,
                               c.server.proxy_mode, out)
    except (ValueError, UnicodeDecodeError) as exc:
        c.proxy_pending = False
        c._fail(400, f"invalid PROXY protocol header: {exc}")
        c._reject(0)
        return 0
    if n < 0:
        return 0
    c.parsed += <size_t>n
    c.proxy_pending = False
    if out[0]:
        c.remote_addr, c.remote_port = out
        c.conn_environ = None
        drop_spare_environ(c)
    return 1


cdef int start_spool(Connection c) except -1:
    # Imported on the first large body, not with the engine: the master
    # imports the engine, and its modules are in every worker's memory
    # (tempfile brings shutil, random, bz2 and lzma).
    import tempfile
    c.spool = tempfile.TemporaryFile(prefix="fastwsgi-body-")
    c.spool_fd = c.spool.fileno()
    _write_all(c.spool_fd, c.body.data, c.body.len)
    c.body.len = 0
    fw_buf_shrink(&c.body, 0)
    return 0


cdef object take_input(Connection c):
    cdef object body
    if c.spool_fd >= 0:
        body = Input(file=c.spool)
        c.spool.seek(0)
        c.body_file = c.spool
        c.spool = None
        c.spool_fd = -1
    elif c.body.len:
        body = Input(PyBytes_FromStringAndSize(c.body.data, <Py_ssize_t>c.body.len))
        c.body.len = 0
        fw_buf_shrink(&c.body, BUF_KEEP)
    else:
        body = _EMPTY_INPUT
    return body


cdef int _write_all(int fd, const char *p, size_t n) except -1:
    cdef ssize_t w
    while n:
        w = write(fd, p, n)
        if w < 0:
            if errno == EINTR:
                continue
            raise_errno()
        p += w
        n -= <size_t>w
    return 0


cdef int drop_body(Connection c) except -1:
    """Close the temporary files of a request body, spooling or spooled."""
    if c.spool is not None:
        c.spool.close()
        c.spool = None
        c.spool_fd = -1
    if c.body_file is not None:
        c.body_file.close()
        c.body_file = None
    c.body.len = 0
    return 0


cdef bint _method_allowed(Server server, const char *m, size_t n) noexcept:
    """gunicorn's rule for a method token (message.py parse_request_line):
    any token with permit_unconventional_http_method, else 3 to 20
    characters without a lower-case letter or '#' (every registered method
    passes)."""
    cdef size_t i
    if server.permit_unconventional_http_method:
        return True
    if n < 3 or n > 20:
        return False
    for i in range(n):
        if (m[i] >= b'a' and m[i] <= b'z') or m[i] == b'#':
            return False
    return True

# llhttp glue: resolve the C API from httptools' extension, and its callbacks,
# which record the request in the Connection stored in parser.data: the head
# as offsets into the connection's buffer, the body into its body buffer.
# Callbacks never raise: they return 0 to go on, FW_HPE_PAUSED to make
# execute() return, or -1 after c._fail() recorded why the request is
# refused; llhttp stops and Connection._process() turns that into a response.

cdef fw_llhttp_settings_t _llhttp_settings

# Interned method names by llhttp's method number, filled from the first
# request that uses each: no str is built per request.  (llhttp_method_name()
# aborts on numbers it does not know, so it is not used to prefill.)
cdef list _METHOD_NAMES = [None] * 256


# ---- what each callback records ------------------------------------------

cdef int _on_message_begin(Connection c) noexcept:
    if c.in_stand_in:
        return 0
    c.own_method = False
    c.in_head = True
    c.in_message = True
    c.method_len = c.url_len = 0
    c.field_len = c.value_len = 0
    c.nheaders = c.ntrailers = 0
    c.hmask = 0
    c.hunusual = False
    c.chunk_line = c.chunk_last = False
    c.head_started = c.server.now_ms
    return 0

cdef int _on_method(Connection c, const char *at, size_t n) noexcept:
    if c.in_stand_in:
        return 0
    if c.method_len == 0:
        c.method_off = <size_t>(at - c.inbuf) - c.head_start
    c.method_len += n
    return 0

cdef int _on_url(Connection c, const char *at, size_t n) noexcept:
    if c.url_len == 0:
        c.url_off = <size_t>(at - c.inbuf) - c.head_start
    c.url_len += n
    # The request line is method SP target SP "HTTP/1.1" (gunicorn counts
    # the whole line against limit_request_line).
    if (c.server.limit_request_line
            and c.method_len + c.url_len + 10 > c.server.limit_request_line):
        return c._fail(414, "request line too long")
    return 0

cdef int _on_header_field(Connection c, const char *at, size_t n) noexcept:
    if c.field_len == 0:
        c.field_off = <size_t>(at - c.inbuf) - c.head_start
    if not c.in_head and c.field_len < sizeof(c.trailer_name):
        memcpy(c.trailer_name + c.field_len, at, min(n, sizeof(c.trailer_name) - c.field_len))
    c.field_len += n
    return _check_field_size(c)

cdef int _on_header_value(Connection c, const char *at, size_t n) noexcept:
    if c.value_len == 0:
        c.value_off = <size_t>(at - c.inbuf) - c.head_start
    c.value_len += n
    return _check_field_size(c)

cdef inline int _check_field_size(Connection c) noexcept:
    # The whole field line, CRLF included, as gunicorn's parse_headers
    # counts it (431 over the limit), checked as the line arrives.
    cdef size_t limit = c.server.limit_request_field_size
    cdef size_t line
    if c.value_len and c.in_head:
        line = c.value_off + c.value_len - c.field_off + 2
    else:
        # A trailer's spans may straddle a compaction of the buffer.
        line = c.field_len + c.value_len + 3
    if line > limit:
        return c._fail(431, "header field too large")
    return 0

cdef int _on_header_complete(Connection c) noexcept:
    cdef HeaderSpan *h
    cdef const char *v
    if not c.in_head:
        # A trailer field of a chunked body: counted, not kept (RFC 9112
        # §7.1.2 lets a server discard trailers), but one that would frame,
        # route or authenticate the request is refused as gunicorn does
        # (a proxy in front may have merged it into the head).
        if c.field_len <= sizeof(c.trailer_name) and fw_forbidden_trailer(c.trailer_name, c.field_len):
            return c._fail(400, "forbidden trailer field")
        c.ntrailers += 1
        c.field_len = c.value_len = 0
        if c.ntrailers > c.server.max_headers:
            return c._fail(431, "too many trailer fields")
        return 0
    if c.nheaders >= c.server.max_headers:
        return c._fail(431, "too many header fields")
    if c.nheaders == c.headers_cap and _grow_headers(c) < 0:
        return c._fail(500, "out of memory")
    h = &c.headers[c.nheaders]
    h.name_off = c.field_off
    h.name_len = c.field_len
    h.value_off = c.value_off
    # llhttp drops leading OWS but keeps trailing OWS, which is not part
    # of the field value (RFC 9112 §5.1).
    v = c.inbuf + c.head_start + c.value_off
    while c.value_len and (v[c.value_len - 1] == b' ' or v[c.value_len - 1] == b'\t'):
        c.value_len -= 1
    h.value_len = c.value_len
    h.idx = fw_header_index(c.inbuf + c.head_start + c.field_off, c.field_len)
    if h.idx < 0 or (c.hmask >> h.idx) & 1:
        c.hunusual = True
    else:
        c.hmask |= (<uint64_t>1) << h.idx
    c.nheaders += 1
    c.field_len = c.value_len = 0
    return 0

cdef int _grow_headers(Connection c) noexcept:
    # Most requests have a handful of fields: 16 spans to start with
    # (512 bytes), doubled as needed, so that 1,000 connections do not
    # each keep room for max_headers.
    cdef int cap = c.headers_cap * 2 if c.headers_cap else 16
    cdef HeaderSpan *p = <HeaderSpan *>realloc(c.headers, sizeof(HeaderSpan) * <size_t>cap)
    if p == NULL:
        return -1
    # The new spans' env_idx/env_value are read only for positions a request
    # filled (request.pyx); zeroed all the same, so they are never garbage.
    memset(p + c.headers_cap, 0, sizeof(HeaderSpan) * <size_t>(cap - c.headers_cap))
    c.headers = p
    c.headers_cap = cap
    return 0

cdef int _on_headers_complete(Connection c) noexcept:
    c.in_head = False
    try:
        if start_request(c) < 0:
            return -1
    except BaseException as exc:
        c.error_exc = exc
        return c._fail(500, "")
    if c.parser.flags & FW_F_CHUNKED:
        # The first chunk-size line is next: read_chunk_line's.
        c.chunk_line = True
        return FW_HPE_PAUSED
    return 0

cdef int _on_body(Connection c, const char *at, size_t n) noexcept:
    cdef Server server = c.server
    c.body_len += n
    if server.limit_request_body and c.body_len > server.limit_request_body:
        return c._fail(413, "request body too large")
    try:
        if c.spool_fd < 0 and c.body.len + n > server.spool_threshold:
            start_spool(c)
        if c.spool_fd >= 0:
            _write_all(c.spool_fd, at, n)
        else:
            buf_append(&c.body, at, n)
    except BaseException as exc:
        c.error_exc = exc
        return c._fail(500, "")
    return 0

# ---- chunk-size lines ---------------------------------------------------------
# llhttp 9.3's chunk extensions are at once too strict and too lax for RFC
# 9112 §7.1.1: it refuses the BWS the grammar allows around ";" and "=" (and
# gunicorn accepts), and takes an extension without a name or a value
# ("5;=", "5;a="), a known smuggling vector when a proxy in front reads the
# line otherwise.  No lenient flag fixes either, so llhttp pauses where a
# chunk-size line starts (after the head, after each chunk's CRLF), and
# read_chunk_line checks the line with fw_chunk_line and gives llhttp only
# "<size>\r\n": llhttp still frames the chunks, counts and limits the sizes.

DEF MAX_CHUNK_LINE = 8192

cdef int _on_chunk_header(Connection c) noexcept:
    c.chunk_last = c.parser.content_length == 0
    return 0

cdef int _on_chunk_complete(Connection c) noexcept:
    if c.chunk_last:
        return 0        # the trailers are read: the message completes
    c.chunk_line = True
    return FW_HPE_PAUSED

cdef int read_chunk_line(Connection c) except -1:
    """Read the chunk-size line at c.parsed: 1 when it is read, 0 when the
    rest of it has not come yet or the request was refused (400)."""
    cdef const char *line = c.inbuf + c.parsed
    cdef size_t avail = c.inlen - c.parsed
    cdef const char *lf = <const char *>memchr(line, b'\n', min(avail, MAX_CHUNK_LINE))
    cdef size_t n, digits = 0
    cdef int err
    if lf == NULL:
        if avail >= MAX_CHUNK_LINE:
            c._fail(400, "chunk-size line too long")
            c._reject(0)
        return 0
    n = <size_t>(lf - line)
    if n and line[n - 1] == b'\r':
        digits = fw_chunk_line(line, n - 1)
    if digits == 0:
        c._fail(400, "invalid chunk size or extension")
        c._reject(0)
        return 0
    c.chunk_line = False
    err = fw_llhttp.execute(&c.parser, line, digits)
    if err == FW_HPE_OK:
        err = fw_llhttp.execute(&c.parser, b"\r\n", 2)
    if err != FW_HPE_OK:
        c._reject(err)
        return 0
    c.parsed += n + 1
    return 1


cdef int _on_message_complete(Connection c) noexcept:
    # An Upgrade (or CONNECT) is answered as plain HTTP and the connection
    # then closed: what would follow is not HTTP/1.1 we serve.
    # "close" anywhere in Connection wins (RFC 9112 §9.6), also in HTTP/1.0
    # where llhttp only looks for keep-alive.
    # keepalive 0 disables keep-alive: this is the connection's last response.
    c.keep_alive = (c.server.keepalive_ms > 0
                    and fw_llhttp.should_keep_alive(&c.parser) and not c.parser.upgrade
                    and not c.parser.flags & FW_F_CONNECTION_CLOSE)
    c.in_message = False
    # Pause, so that execute() returns here and the request is answered
    # before the parser looks at the next one.
    return FW_HPE_PAUSED


# ---- llhttp's entry points: the Connection is parser.data -------------------

cdef int _cb_message_begin(fw_llhttp_t *p) noexcept:
    return _on_message_begin(<Connection>p.data)

cdef int _cb_method(fw_llhttp_t *p, const char *at, size_t n) noexcept:
    return _on_method(<Connection>p.data, at, n)

cdef int _cb_url(fw_llhttp_t *p, const char *at, size_t n) noexcept:
    return _on_url(<Connection>p.data, at, n)

cdef int _cb_header_field(fw_llhttp_t *p, const char *at, size_t n) noexcept:
    return _on_header_field(<Connection>p.data, at, n)

cdef int _cb_header_value(fw_llhttp_t *p, const char *at, size_t n) noexcept:
    return _on_header_value(<Connection>p.data, at, n)

cdef int _cb_header_value_complete(fw_llhttp_t *p) noexcept:
    return _on_header_complete(<Connection>p.data)

cdef int _cb_headers_complete(fw_llhttp_t *p) noexcept:
    return _on_headers_complete(<Connection>p.data)

cdef int _cb_body(fw_llhttp_t *p, const char *at, size_t n) noexcept:
    return _on_body(<Connection>p.data, at, n)

cdef int _cb_chunk_header(fw_llhttp_t *p) noexcept:
    return _on_chunk_header(<Connection>p.data)

cdef int _cb_chunk_complete(fw_llhttp_t *p) noexcept:
    return _on_chunk_complete(<Connection>p.data)

cdef int _cb_message_complete(fw_llhttp_t *p) noexcept:
    return _on_message_complete(<Connection>p.data)


def _load_llhttp():
    import httptools
    from httptools.parser import parser as _httptools_parser

    err = fw_llhttp_load(os.fsencode(_httptools_parser.__file__))
    if err != NULL:
        raise ImportError(
            f"fastwsgi: {err.decode()} (httptools {httptools.__version__} found; "
            f"install httptools>=0.7.1,<0.10)")
    fw_llhttp.settings_init(&_llhttp_settings)
    _llhttp_settings.on_message_begin = _cb_message_begin
    _llhttp_settings.on_method = _cb_method
    _llhttp_settings.on_url = _cb_url
    _llhttp_settings.on_header_field = _cb_header_field
    _llhttp_settings.on_header_value = _cb_header_value
    _llhttp_settings.on_header_value_complete = _cb_header_value_complete
    _llhttp_settings.on_headers_complete = _cb_headers_complete
    _llhttp_settings.on_body = _cb_body
    _llhttp_settings.on_chunk_header = _cb_chunk_header
    _llhttp_settings.on_chunk_complete = _cb_chunk_complete
    _llhttp_settings.on_message_complete = _cb_message_complete


_load_llhttp()

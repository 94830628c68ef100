# Producing a response: the app's iterable, its framing, sendfile, close().
#
# Framing (RFC 9112 §6): a body's end is marked by Content-Length when it is
# known, by chunked coding for HTTP/1.1 when it is not, and by closing the
# connection for HTTP/1.0.  HEAD, 1xx, 204 and 304 responses carry no body.
# A streaming iterable is advanced only while less than HIGH_WATER bytes wait
# for the socket.
#
# PEP 3333's rule for a declared Content-Length holds on every body path (the
# app's bytes, its iterable, write(), wsgi.file_wrapper by sendfile(2) or by
# reading it): body_room is the one place their bytes are counted against
# the length.  More than declared: cut there, logged, the connection closed
# after the response (the client would read the rest as the next response).
# Fewer: end_response logs it and closes the connection after what was sent.


DEF ZEROCOPY_MIN = 32768


cdef int start_body(Connection c) except -1:
    result = c.result
    if (type(result) is list and len(<list>result) == 1 and type((<list>result)[0]) is bytes
            and not c.sr.headers_sent):
        # The common case: one bytestring.  Its length is the
        # Content-Length and it goes out with the head in one send.
        if not c.sr.called:
            return app_failed(c, RuntimeError("the app returned without calling start_response"))
        body = (<list>result)[0]
        write_response_head(c, PyBytes_GET_SIZE(body), True)
        write_body(c, body)
        return end_response(c, True)
    if (type(result) is FileWrapper and c.fd >= 0 and c.server.use_sendfile
            and not c.sr.headers_sent and try_sendfile(c, result)):
        return 0
    try:
        c.resp_iter = iter(result)
    except Exception as exc:
        return app_failed(c, exc)
    c._enter(PH_STREAMING)
    return pump(c)


cdef int pump(Connection c) except -1:
    """Advance the app's iterable until HIGH_WATER bytes wait or it ends."""
    cdef Py_ssize_t pending
    while True:
        if c.fd >= 0 and c.pending() >= HIGH_WATER:
            return 0
        try:
            chunk = next(c.resp_iter)
        except StopIteration:
            break
        except Exception as exc:
            return app_failed(c, exc)
        if type(chunk) is not bytes:
            # A bytes subclass is a bytestring too (gunicorn takes it); it and
            # the other buffers become exact bytes for the send path.
            if isinstance(chunk, (bytes, bytearray, memoryview)):
                chunk = bytes(chunk)
            else:
                return app_failed(c, TypeError(
                    f"the app yielded {type(chunk).__name__}, not bytes (PEP 3333)"))
        if PyBytes_GET_SIZE(chunk) == 0:
            continue
        if not c.sr.headers_sent:
            if not c.sr.called:
                return app_failed(c, RuntimeError("the app yielded data before calling start_response"))
            write_response_head(c, 0, False)
        write_body(c, chunk)
        if c.body_cut and not c.bodyless:
            break       # the declared length is reached: iterate no more (PEP 3333)
    if not c.sr.headers_sent:
        if not c.sr.called:
            return app_failed(c, RuntimeError("the app returned without calling start_response"))
        write_response_head(c, 0, True)
    return end_response(c, True)


cdef int write_response_head(Connection c, int64_t length, bint known) except -1:
    cdef StartResponse sr = c.sr
    cdef int code = sr.status_code
    cdef int conn_header
    c.bodyless = c.is_head or code == 204 or code == 304 or code < 200
    c.body_cut = False
    if c.bodyless:
        c.framing = FR_NONE
        if known and sr.content_length < 0 and not c.is_head:
            length = 0
    elif sr.content_length >= 0:
        c.framing = FR_LENGTH
        c.resp_remaining = sr.content_length
    elif known:
        c.framing = FR_LENGTH
        c.resp_remaining = length
    elif not c.http10:
        c.framing = FR_CHUNKED
    else:
        c.framing = FR_CLOSE
        c.keep_alive = False
    if sr.app_close or c.server.stopping:
        # A graceful stop that began while the app ran: say so in this
        # response, so the client sends nothing more on the connection.
        c.keep_alive = False
    if not c.keep_alive:
        conn_header = CH_CLOSE
    elif c.http10:
        conn_header = CH_KEEP_ALIVE
    else:
        conn_header = CH_NONE
    buf_from_pool(&c.wbuf, &_blocks)
    # HEAD: the Content-Length a GET would get, when it is known.
    write_head(&c.wbuf, sr, FR_LENGTH if (c.is_head and known and code >= 200) else c.framing,
               length, conn_header)
    sr.headers_sent = True
    sr.hbuf.len = 0
    fw_buf_to_pool(&sr.hbuf, &_blocks, 0)
    return 0


cdef inline int64_t body_room(Connection c, int64_t n) except -1:
    """How many of the n body bytes the app gives now may go out: all of them,
    none on a bodyless response (HEAD, 1xx, 204, 304: RFC 9110 §6.4.1), or up
    to the declared Content-Length."""
    if c.framing == FR_LENGTH and n <= c.resp_remaining:
        c.resp_remaining -= n
        return n
    if c.bodyless:
        if n and not c.body_cut:
            c.body_cut = True
            # A warning, as gunicorn's: the response itself is right.
            _log_framing(c, "the app sent body bytes on a response that has none; dropped "
                         "(RFC 9110)", False)
        return 0
    if c.framing != FR_LENGTH:
        return n
    if not c.body_cut:
        c.body_cut = True
        c.keep_alive = False
        _log_framing(c, f"the app sent more than its Content-Length "
                     f"({c.resp_bytes + <uint64_t>c.resp_remaining} bytes, at least "
                     f"{c.resp_bytes + <uint64_t>n} given); cut there and the connection closed",
                     True)
    n = c.resp_remaining
    c.resp_remaining = 0
    return n


cdef int _log_framing(Connection c, str what, bint error) except -1:
    environ = c.cur_environ
    if environ is not None:
        where = f"{environ.get('REQUEST_METHOD', '')} {environ.get('RAW_URI', '')}"
    else:
        where = "a request"
    message = f"Response to {where} (status {c.sr.status_code}): {what}"
    try:
        if error:
            c.server.error_logger.error(message)
        else:
            c.server.error_logger.warning(message)
    except Exception:
        pass
    return 0


cdef int write_body(Connection c, bytes chunk) except -1:
    cdef Py_ssize_t n = PyBytes_GET_SIZE(chunk)
    cdef char hdr[24]
    cdef size_t hn
    n = <Py_ssize_t>body_room(c, n)
    if n == 0:
        return 0
    if c.framing == FR_CHUNKED:
        hn = fw_chunk_header(<size_t>n, hdr)
        buf_append(&c.wbuf, hdr, hn)
    if n >= ZEROCOPY_MIN and c.zbody is None:
        # Sent from the app's own bytes object (Connection._flush): copying
        # a large body into wbuf would cost more than the send itself.
        c.zbody = chunk
        c.zoff = 0
        c.zend = <size_t>n
        c.zmark = c.wbuf.len
    else:
        buf_append(&c.wbuf, PyBytes_AS_STRING(chunk), <size_t>n)
    if c.framing == FR_CHUNKED:
        buf_append(&c.wbuf, FW_CRLF, FW_CRLF_LEN)
    c.resp_bytes += <uint64_t>n
    return 0


cdef bint try_sendfile(Connection c, FileWrapper wrapper) except -1:
    """wsgi.file_wrapper over a regular file: the body goes by sendfile(2)."""
    import stat
    f = wrapper.filelike
    try:
        fileno = f.fileno()
        st = os.fstat(fileno)
    except (AttributeError, OSError, io.UnsupportedOperation):
        return False
    if not stat.S_ISREG(st.st_mode) or not c.sr.called:
        return False
    try:
        offset = f.tell()
    except (AttributeError, OSError):
        offset = 0
    size = max(st.st_size - offset, 0)
    write_response_head(c, size, True)
    size = body_room(c, size)
    if size == 0:
        end_response(c, True)
        return True
    c.sf_fd = fileno
    c.sf_off = offset
    c.sf_left = size
    c._enter(PH_SENDFILE)
    return True


cdef int end_response(Connection c, bint complete) except -1:
    cdef Server server = c.server
    if complete and c.sr.headers_sent:
        if c.framing == FR_CHUNKED:
            buf_append(&c.wbuf, FW_LAST_CHUNK, FW_LAST_CHUNK_LEN)
        elif c.framing == FR_LENGTH and c.resp_remaining + <int64_t>c.sf_left > 0:
            # Less than the Content-Length (also a file that shrank while
            # sendfile sent it): the client would wait for the rest, or
            # read the next response as its end.
            c.keep_alive = False
            _log_framing(c, f"the app declared Content-Length "
                         f"{c.resp_bytes + <uint64_t>c.resp_remaining + c.sf_left} and sent "
                         f"{c.resp_bytes} bytes; the connection is closed", True)
    if not complete:
        c.keep_alive = False
    c.sf_left = 0
    c.resp_iter = None
    c.sf_fd = -1
    close_result(c)
    if c.body_file is not None:
        c.body_file.close()
        c.body_file = None
    environ = c.cur_environ
    if environ is not None and server.counters != NULL:
        count_response_end(server.counters, c)
    c.cur_environ = None
    server.current = None
    server.current_since = 0.0
    if environ is not None and server.on_response is not None:
        try:
            server.on_response(environ, c.sr.status, c.sr.headers, c.resp_bytes,
                               _monotonic() - c.started if server.timing else 0.0)
        except Exception as exc:
            server.log_error("Exception in the access log or post_request hook", exc)
    if environ is not None and c.keep_alive:
        keep_spare_environ(c, environ)
    # -> IDLE (the next request may be parsed) or -> CLOSING
    c._enter(PH_IDLE if c.keep_alive else PH_CLOSING)
    return 0


cdef int close_result(Connection c) except -1:
    """PEP 3333: close() is called on the iterable, whatever happened."""
    result = c.result
    c.result = None
    if result is None or type(result) is list:
        return 0
    close = getattr(result, "close", None)
    if close is not None:
        try:
            close()
        except Exception as exc:
            c.server.log_error("Exception in the response iterable's close()", exc)
    return 0


cdef int app_failed(Connection c, object exc) except -1:
    environ = c.cur_environ
    path = environ.get("RAW_URI", "") if environ is not None else ""
    c.server.log_error(f"Error handling request {path}", exc)
    if c.sr.headers_sent:
        # Too late for a 500: end the connection so that the client sees
        # an incomplete response rather than a wrong one.
        end_response(c, False)
        return 0
    c.sr.status = "500 Internal Server Error"
    c.sr.headers = []
    c.sr.status_code = 500
    end_response(c, False)
    buf_append(&c.wbuf, PyBytes_AS_STRING(error_response(500, "")),
            <size_t>PyBytes_GET_SIZE(error_response(500, "")))
    return 0


cdef int abort_response(Connection c) except -1:
    if c.phase == PH_APP or c.phase == PH_STREAMING or c.phase == PH_SENDFILE:
        end_response(c, False)
    return 0

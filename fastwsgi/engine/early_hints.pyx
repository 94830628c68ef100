# wsgi.early_hints (gunicorn 26): the app sends 103 Early Hints before its
# response, so that a browser starts fetching what the page will need (RFC
# 8297) while the app is still working on it:
#
#     environ["wsgi.early_hints"]([("Link", "</style.css>; rel=preload; as=style")])
#
# Rules, as gunicorn's: HTTP/1.1 only (an HTTP/1.0 client does not know 1xx
# responses: the call does nothing); ignored once the response's head is out
# (a 103 after it would break the framing); any number of calls; each header
# checked as start_response checks the app's (a token name, no CR, LF or NUL
# in the value: no response splitting), a bad one raising ValueError.
#
# One EarlyHints object per connection, made at its first request and kept
# in the connection's environ template (engine/request.pyx request_environ),
# so that a kept-alive connection's requests get it with the template's copy,
# at no cost of their own.  It holds its connection; when the connection
# closes, drop_early_hints() cuts that link (a late call from an app that
# kept the environ does nothing) and the template's cycle with it.  The 103 is queued in the connection's output before the
# response, then sent at once: by the loop thread itself (inline), or handed
# to the loop by the executor (threads, greenlets), whose call waits until it
# is out, as write() does.

cdef bytes _EARLY_HINTS_LINE = b"HTTP/1.1 103 Early Hints\r\n"


cdef class EarlyHints:
    """environ["wsgi.early_hints"]: send a 103 Early Hints with these headers."""
    cdef Connection conn

    def __call__(self, headers):
        cdef Connection c = self.conn
        if c is None or c.fd < 0 or c.http10 or c.sr.headers_sent or c.cur_environ is None:
            return None
        cdef bytes response = _early_hints_response(headers)
        buf_append(&c.wbuf, PyBytes_AS_STRING(response), <size_t>PyBytes_GET_SIZE(response))
        if c.in_app:
            c.server.executor.wait_drained(c)
        else:
            flush_output(c)
            tr_push(c)  # the app goes on in this thread: no loop turn sends it
        return None


cdef int drop_early_hints(Connection c) except -1:
    """The connection closes: its hints object (if any) no longer reaches it."""
    if c.hints is not None:
        (<EarlyHints>c.hints).conn = None
        c.hints = None
    c.conn_environ = None  # it holds the hints: no cycle left behind
    return 0


cdef EarlyHints early_hints_for(Connection c):
    """The connection's wsgi.early_hints, made at its first request."""
    cdef EarlyHints hints = <EarlyHints>c.hints
    if hints is None:
        hints = EarlyHints.__new__(EarlyHints)
        hints.conn = c
        c.hints = hints
    return hints


cdef bytes _early_hints_response(object headers):
    if type(headers) is not list and type(headers) is not tuple:
        raise TypeError(f"early hints must be a list of (name, value) tuples, "
                        f"not {type(headers).__name__}")
    parts = [_EARLY_HINTS_LINE]
    for item in headers:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise TypeError(f"each early hint must be a (name, value) tuple, got {item!r}")
        name, value = item
        if isinstance(name, bytes):
            name = (<bytes>name).decode("latin-1")
        if isinstance(value, bytes):
            value = (<bytes>value).decode("latin-1")
        _check_latin1(name, "early hint name")
        _check_latin1(value, "early hint value")
        if not fw_is_token(<const char *>PyUnicode_DATA(name), <size_t>PyUnicode_GET_LENGTH(name)):
            raise ValueError(f"invalid early hint name {name!r}")
        if fw_find_ctl(<const char *>PyUnicode_DATA(value), <size_t>PyUnicode_GET_LENGTH(value)) >= 0:
            # The value itself is not repeated: it may be what an attacker injected.
            raise ValueError(f"early hint {name!r} has CR, LF or NUL in its value")
        value = value.strip(" \t")
        parts.append(f"{name}: {value}\r\n".encode("latin-1"))
    parts.append(b"\r\n")
    return b"".join(parts)

# start_response (PEP 3333 "The start_response() Callable").
#
# Validation happens here, in the app's call, so that a bad header raises in
# the app (which may catch it and call again with exc_info) and nothing
# unvalidated ever reaches the wire.  The app's headers are serialised
# straight into hbuf while they are checked; the status line, Date, Server
# and the framing headers are added when the head is written.
#
# The block is kept (head_block, when it fits) with what its headers meant.
# A call whose headers are, place by place, the same name objects with the
# same or equal values (most apps: literals, and a new Content-Length str of
# the same digits) under a status of the same code would give that block and
# those meanings again, so it takes them without a pass over the headers.

# The worker's free list of response buffers (csrc/fw_buf.h): hbuf here and
# each connection's wbuf are taken from it for a response and given back once
# it is serialised / sent.  Only touched with the GIL held.
cdef fw_pool_t _blocks


# Headers remembered per StartResponse (one a connection): apps give the same
# name objects (literals) and often the same values on every request.
DEF SEEN_MAX = 16


cdef enum AppHeaderFlags:
    AH_SERVER = 1
    AH_DATE = 2


cdef inline int _check_latin1(object s, str what) except -1:
    if type(s) is not str:
        raise TypeError(f"{what} must be a str, not {type(s).__name__}: {s!r}")
    if PyUnicode_KIND(s) != PyUnicode_1BYTE_KIND:
        raise ValueError(f"{what} must be latin-1 (PEP 3333), got {s!r}")
    return 0


cdef inline bint _equal_latin1(PyObject *s, PyObject *seen) noexcept:
    """Whether s is an exact str with the characters of seen, a checked
    latin-1 str (compact strs of one content have one kind)."""
    return (<object>s.ob_type is str and PyUnicode_KIND(<object>s) == PyUnicode_1BYTE_KIND
            and PyUnicode_GET_LENGTH(<object>s) == PyUnicode_GET_LENGTH(<object>seen)
            and memcmp(PyUnicode_DATA(<object>s), PyUnicode_DATA(<object>seen),
                       <size_t>PyUnicode_GET_LENGTH(<object>seen)) == 0)


cdef int64_t _parse_content_length(const char *p, Py_ssize_t n) except -2:
    cdef int64_t v = 0
    cdef Py_ssize_t i = 0
    while i < n and p[i] == b' ':
        i += 1
    while n > i and p[n - 1] == b' ':
        n -= 1
    if i == n:
        return -1
    for i in range(i, n):
        if p[i] < b'0' or p[i] > b'9' or v > 100000000000000000:
            return -1
        v = v * 10 + (p[i] - 48)
    return v


cdef class StartResponse:
    def __dealloc__(self):
        fw_buf_free(&self.hbuf)

    cdef inline void reset(self):
        self.called = False
        self.headers_sent = False
        self.status = None
        self.headers = None
        self.hbuf.len = 0

    def __call__(self, status, headers, exc_info=None):
        return self.start_response(status, headers, exc_info)

    def start_response(self, status, headers, exc_info=None):
        """What the app is given as start_response (Connection.start_response
        holds it bound): a method is called with vectorcall, without the
        argument tuple that __call__ costs."""
        if exc_info is not None:
            try:
                if self.headers_sent:
                    # PEP 3333: too late to change the response; re-raise.
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.called:
            raise AssertionError(
                "start_response() called a second time without exc_info (PEP 3333)")
        self._set(status, headers)
        return self.write_cb

    cdef int _set(self, object status, object headers) except -1:
        cdef const char *s
        cdef Py_ssize_t n
        cdef int code
        # Until this call succeeds there is no response: a half-checked one
        # (an exc_info call the app caught failing) is never sent.
        self.called = False
        if status is self.seen_status:
            code = self.seen_code  # the very str checked last time (see _add)
        else:
            _check_latin1(status, "status")
            s = <const char *>PyUnicode_DATA(status)
            n = PyUnicode_GET_LENGTH(status)
            if (n < 3 or not (b'1' <= s[0] <= b'5') or not (b'0' <= s[1] <= b'9')
                    or not (b'0' <= s[2] <= b'9') or (n > 3 and s[3] != b' ')
                    or fw_find_ctl(s, <size_t>n) >= 0):
                raise ValueError(f"status must look like '200 OK', got {status!r}")
            code = (s[0] - 48) * 100 + (s[1] - 48) * 10 + (s[2] - 48)
            self.seen_status = status
            self.seen_code = code
        if type(headers) is not list and type(headers) is not tuple:
            raise TypeError(f"headers must be a list of (name, value) tuples, "
                            f"not {type(headers).__name__}")
        self.status_code = code
        if self.replay_ok and code == self.replay_code and self._same_headers(headers):
            # The names and values of the kept block, each the very str or
            # an equal one (a new Content-Length str per request): the same
            # validation outcome and the same bytes.
            self.content_length = self.replay_length
            self.app_close = self.replay_close
            self.app_flags = self.replay_flags
            self.head_data = self.head_block
            self.head_len = self.replay_len
            self.status = status
            self.headers = headers
            self.called = True
            return 0
        self.replay_ok = False  # seen_* are rewritten below
        self.hbuf.len = 0
        buf_from_pool(&self.hbuf, &_blocks)
        self.content_length = -1
        self.app_close = False
        self.app_flags = 0
        if self.seen_names is None:
            self.seen_names = [None] * SEEN_MAX
            self.seen_values = [None] * SEEN_MAX
        cdef Py_ssize_t i = 0
        for item in headers:
            if type(item) is tuple and PyTuple_GET_SIZE(item) == 2:
                self._add(i, <object>PyTuple_GET_ITEM(item, 0), <object>PyTuple_GET_ITEM(item, 1))
            elif type(item) is list and PyList_GET_SIZE(item) == 2:
                # PEP 3333 says tuples; gunicorn unpacks any pair, and apps
                # that build headers as lists work there.
                self._add(i, <object>PyList_GET_ITEM(item, 0), <object>PyList_GET_ITEM(item, 1))
            else:
                raise TypeError(f"each header must be a (name, value) tuple, got {item!r}")
            i += 1
        if i <= SEEN_MAX and self.hbuf.len <= sizeof(self.head_block):
            # Kept for the next call (and hbuf's block back to the pool now).
            memcpy(self.head_block, self.hbuf.data, self.hbuf.len)
            self.replay_len = self.hbuf.len
            self.replay_n = i
            self.replay_code = code
            self.replay_length = self.content_length
            self.replay_close = self.app_close
            self.replay_flags = self.app_flags
            self.replay_ok = True
            self.hbuf.len = 0
            fw_buf_to_pool(&self.hbuf, &_blocks, 0)
            self.head_data = self.head_block
            self.head_len = self.replay_len
        else:
            self.head_data = self.hbuf.data
            self.head_len = self.hbuf.len
        self.status = status
        self.headers = headers
        self.called = True
        return 0

    cdef bint _same_headers(self, object headers) noexcept:
        """Whether headers are, place by place, the names of the kept block
        (the same objects) with its values (the same objects or equal str),
        so that _add would give the kept block and meanings again."""
        cdef PyObject **items = PySequence_Fast_ITEMS(headers)  # a list or a tuple
        cdef PyObject *name
        cdef PyObject *value
        cdef PyObject *seen
        cdef Py_ssize_t i
        if PySequence_Fast_GET_SIZE(headers) != self.replay_n:
            return False
        for i in range(self.replay_n):
            if not fw_pair(items[i], &name, &value):
                return False
            if name is not PyList_GET_ITEM(self.seen_names, i):
                return False
            seen = PyList_GET_ITEM(self.seen_values, i)
            if value is not seen and not _equal_latin1(value, seen):
                return False
        return True

    cdef int _add(self, Py_ssize_t i, object name, object value) except -1:
        """Validate one header and serialise it into hbuf.  What was checked
        for the same name or value object at the same position last time is
        not checked again: str is immutable, and the cache keeps the object
        alive, so `is` proves it is that very string."""
        cdef const char *k
        cdef const char *v
        cdef Py_ssize_t kn, vn
        cdef int kind
        cdef int64_t meaning
        cdef bint cached = i < SEEN_MAX
        if cached and <PyObject *>name is PyList_GET_ITEM(self.seen_names, i):
            kind = self.seen_kinds[i]
        else:
            _check_latin1(name, "header name")
            if not fw_is_token(<const char *>PyUnicode_DATA(name), <size_t>PyUnicode_GET_LENGTH(name)):
                raise ValueError(f"invalid header name {name!r}")
            kind = fw_response_header_kind(<const char *>PyUnicode_DATA(name),
                                           <size_t>PyUnicode_GET_LENGTH(name))
            if cached:
                self.seen_names[i] = name
                self.seen_kinds[i] = kind
                self.seen_values[i] = None  # what a value means depends on the name
        k = <const char *>PyUnicode_DATA(name)
        kn = PyUnicode_GET_LENGTH(name)
        if cached and <PyObject *>value is PyList_GET_ITEM(self.seen_values, i):
            meaning = self.seen_meaning[i]
        else:
            _check_latin1(value, "header value")
            v = <const char *>PyUnicode_DATA(value)
            vn = PyUnicode_GET_LENGTH(value)
            if fw_find_ctl(v, <size_t>vn) >= 0:
                raise ValueError(f"header {name!r} has CR, LF or NUL in its value {value!r}")
            meaning = 0
            if kind == FW_RH_CONTENT_LENGTH:
                meaning = _parse_content_length(v, vn)
                if meaning < 0:
                    raise ValueError(f"invalid Content-Length {value!r}")
            elif kind == FW_RH_CONNECTION:
                meaning = "close" in value.lower()
            if cached:
                self.seen_values[i] = value
                self.seen_meaning[i] = meaning
        if kind == FW_RH_CONTENT_LENGTH:
            self.content_length = meaning
            if self.status_code < 200 or self.status_code == 204:
                # Never on a 1xx or 204 (RFC 9110 §8.6); gunicorn drops it too.
                self.content_length = -1
                return 0
        elif kind == FW_RH_CONNECTION:
            # Hop-by-hop headers are the server's (PEP 3333); like gunicorn we
            # drop them, but an app asking to close is obeyed.
            if meaning:
                self.app_close = True
            return 0
        elif kind == FW_RH_HOP_BY_HOP:
            return 0
        elif kind == FW_RH_SERVER:
            self.app_flags |= AH_SERVER
        elif kind == FW_RH_DATE:
            self.app_flags |= AH_DATE
        v = <const char *>PyUnicode_DATA(value)
        vn = PyUnicode_GET_LENGTH(value)
        # "name: value\r\n" in one pass, into room reserved once.
        buf_reserve(&self.hbuf, <size_t>(kn + vn) + 4)
        cdef char *p = self.hbuf.data + self.hbuf.len
        memcpy(p, k, <size_t>kn)
        p += kn
        p[0] = b':'
        p[1] = b' '
        memcpy(p + 2, v, <size_t>vn)
        p += vn + 2
        p[0] = b'\r'
        p[1] = b'\n'
        self.hbuf.len += <size_t>(kn + vn) + 4
        return 0

# PEP 3333 environ, built once per request at headers-complete from the spans
# the parser recorded.  Constant keys come from a per-listener template dict
# (copied per request); request keys are set here.  Common header names map
# to interned keys through csrc's table, so no key str is built for them.

cdef tuple _HEADER_KEYS = tuple(
    sys.intern(fw_header_cgi_name(i).decode("ascii")) for i in range(fw_header_count()))

# Connection.hmask has a bit per known name (llhttp.pyx _on_header_complete).
if fw_header_count() > 64:
    raise ImportError("csrc's table of header names outgrew Connection.hmask's 64 bits")

# fw_header_cgi_key() writes "HTTP_" before the name.
DEF CGI_PREFIX_LEN = 5

cdef str _HTTP11 = sys.intern("HTTP/1.1")
cdef str _HTTP10 = sys.intern("HTTP/1.0")
cdef str _EMPTY = ""
cdef str _GET = sys.intern("GET")


cdef inline str _latin1(const char *p, size_t n):
    # PEP 3333: "native strings" carry the request's bytes as latin-1.
    return PyUnicode_DecodeLatin1(p, <Py_ssize_t>n, NULL)


# The value last seen per known header (table index) and, in the last slot,
# the last request target.  Values repeat from request to request (the same
# Host, User-Agent, Accept, path...): a repeat is given the str already made,
# which saves allocating and freeing one (str is immutable, so sharing it is
# invisible to the app).  Only the loop thread parses, so no lock is needed.
cdef Py_ssize_t _TARGET_SLOT = fw_header_count()
cdef list _recent_values = [None] * (fw_header_count() + 1)


cdef str _latin1_recent(Py_ssize_t slot, const char *p, size_t n):
    last = _recent_values[slot]
    if (last is not None and <size_t>PyUnicode_GET_LENGTH(last) == n
            and memcmp(PyUnicode_DATA(last), p, n) == 0):
        return <str>last
    value = _latin1(p, n)
    _recent_values[slot] = value
    return value


# The last Host value found valid: a repeat (the same str, from
# _latin1_recent) is not checked again.
cdef str _valid_host = None


cdef str _decode_path(const char *p, size_t n):
    """PATH_INFO: percent-decoded, then latin-1 (PEP 3333, like wsgiref and
    gunicorn); most paths have no escapes and are decoded straight."""
    cdef char stackbuf[512]
    cdef char *tmp
    cdef size_t m
    if memchr(p, b'%', n) == NULL:
        return _latin1(p, n)
    if n <= sizeof(stackbuf):
        m = fw_percent_decode(p, n, stackbuf)
        return _latin1(stackbuf, m)
    tmp = <char *>mem_alloc(n)
    try:
        m = fw_percent_decode(p, n, tmp)
        return _latin1(tmp, m)
    finally:
        free(tmp)


cdef str _method_name(int method, const char *p, size_t n):
    name = _METHOD_NAMES[method]
    if name is None:
        name = sys.intern(_latin1(p, n))
        _METHOD_NAMES[method] = name
    return <str>name


cdef int _add_header(dict environ, const char *head, HeaderSpan *h, int idx,
                     str value, bint maybe_repeated, bint reused) except -1:
    """Set one header's environ key; repeats are joined with "," (RFC 9110
    §5.3, gunicorn's behaviour).  Returns 1 for a name with "_", which is
    left out (the caller may accept it from a trusted forwarder).  Without
    maybe_repeated (every name a known one, each once) the key is set
    outright: the environ may be a reused one holding the last request's,
    and when it holds this very value (the span at this position set it,
    for the same name) it is not set again."""
    cdef char keybuf[256]
    cdef char *heapkey = NULL
    cdef long klen
    if idx >= 0:
        key = _HEADER_KEYS[idx]
    else:
        if h.name_len + CGI_PREFIX_LEN <= sizeof(keybuf):
            klen = fw_header_cgi_key(head + h.name_off, h.name_len, keybuf)
            if klen < 0:
                return 1
            key = _latin1(keybuf, <size_t>klen)
        else:
            heapkey = <char *>mem_alloc(h.name_len + CGI_PREFIX_LEN)
            try:
                klen = fw_header_cgi_key(head + h.name_off, h.name_len, heapkey)
                if klen < 0:
                    return 1
                key = _latin1(heapkey, <size_t>klen)
            finally:
                free(heapkey)
    if value is not None:
        pass  # the caller has made it
    elif idx >= 0:
        value = _latin1_recent(idx, head + h.value_off, h.value_len)
    else:
        value = _latin1(head + h.value_off, h.value_len)
    if not maybe_repeated:
        if not (reused and h.env_idx == idx and h.env_value == <PyObject *>value):
            environ[key] = value
            h.env_idx = idx
            h.env_value = <PyObject *>value
        return 0
    old = environ.setdefault(key, value)
    if old is not value:
        environ[key] = old + "," + value
    return 0


def _server_addr(sockname):
    """SERVER_NAME and SERVER_PORT of a listener, as gunicorn derives them."""
    if isinstance(sockname, tuple):
        return str(sockname[0]), str(sockname[1])
    # A unix socket: its path and no port, unless the request's Host says
    # otherwise (Connection._unix_server_name, as gunicorn does).
    return str(sockname or ""), ""


cdef int _unix_server_name(dict environ) except -1:
    """On a unix socket, SERVER_NAME/SERVER_PORT come from the Host header
    (the proxy in front knows the public name), the port defaulting to the
    scheme's."""
    host = environ.get("HTTP_HOST")
    if not host:
        return 0
    if host.startswith("["):
        name, _, rest = host.partition("]")
        name += "]"
        port = rest[1:] if rest.startswith(":") else ""
    else:
        name, _, port = host.partition(":")
    environ["SERVER_NAME"] = name
    environ["SERVER_PORT"] = port or ("443" if environ["wsgi.url_scheme"] == "https" else "80")
    return 0


def make_base_environ(sockname, *, script_name="", url_scheme="http", errors=None,
                      multithread=False, multiprocess=False, file_wrapper=None, https=False):
    """The constant part of every request's environ on one listener, and the
    defaults of REQUEST_METHOD, SERVER_PROTOCOL, QUERY_STRING and wsgi.input."""
    from fastwsgi._version import __version__
    server_name, server_port = _server_addr(sockname)
    cdef dict base = _PyDict_NewPresized(40)
    # Filled key by key: dict.update() into an empty dict would adopt the
    # literal's small table and lose the presizing.
    for key, value in {
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": url_scheme,
        "wsgi.errors": errors if errors is not None else sys.stderr,
        "wsgi.multithread": bool(multithread),
        "wsgi.multiprocess": bool(multiprocess),
        "wsgi.run_once": False,
        "wsgi.input_terminated": True,
        "wsgi.file_wrapper": file_wrapper or FileWrapper,
        "SERVER_SOFTWARE": f"fastwsgi/{__version__}",
        "SERVER_NAME": server_name,
        "SERVER_PORT": server_port,
        "SCRIPT_NAME": script_name,
        # The most common values of request keys: start_request sets these
        # only when the request differs (a method other than GET, HTTP/1.0,
        # a query, a body), which saves a dict insertion each.
        "REQUEST_METHOD": _GET,
        "SERVER_PROTOCOL": _HTTP11,
        "QUERY_STRING": _EMPTY,
        "wsgi.input": _EMPTY_INPUT,
    }.items():
        base[key] = value
    if https:
        base["HTTPS"] = "on"  # the CGI convention, with wsgi.url_scheme "https"
    return base

# The engine without a socket: Connection.feed() and take_output(), which the
# tests and bench/instructions.py drive a connection (fd == -1) with.  Bytes
# go the way recv()'d bytes go (Connection.on_readable), so that what is
# measured here is the path a real connection takes.


cdef int feed_input(Connection c, bytes data) except -1:
    cdef size_t n = <size_t>PyBytes_GET_SIZE(data)
    if c.state == CS_CLOSED or c.state == CS_LINGER:
        return 0
    if c.rbuf.len == 0 and n <= SCRATCH_SIZE:
        # Nothing kept from before: the bytes land in the shared scratch
        # buffer, as a recv() would put them.
        memcpy(c.server.scratch, PyBytes_AS_STRING(data), n)
        c.inbuf = c.server.scratch
        c.inlen = n
        c.parsed = c.head_start = 0
    else:
        buf_append(&c.rbuf, PyBytes_AS_STRING(data), n)
        c.inbuf = c.rbuf.data
        c.inlen = c.rbuf.len
    if c.proxy_pending:
        read_proxy_header(c)
    try:
        c._drive()
    finally:
        if c.state != CS_CLOSED:
            c._stash_input()
    return 0


cdef bytes take_output(Connection c):
    cdef bytes out = PyBytes_FromStringAndSize(c.wbuf.data, <Py_ssize_t>c.wbuf.len)
    if c.zbody is not None:
        out = (out[:c.zmark] + c.zbody[c.zoff:c.zend] + out[c.zmark:])
        c.zbody = None
    c.wbuf.len = 0
    return out

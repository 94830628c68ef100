# The small classes a Connection holds: the app's start_response, wsgi.input,
# wsgi.file_wrapper, an allow list of proxy addresses, the app's executor.
# Defined in start_response.pyx, body.pyx, proxy.pyx and executors.pyx.


cdef class StartResponse:
    # The app's headers, validated and serialised as they are given.
    cdef fw_buf_t hbuf
    cdef readonly object status
    cdef readonly object headers
    cdef int status_code
    cdef bint called
    cdef bint headers_sent
    cdef int64_t content_length  # from the app's Content-Length, or -1
    cdef bint app_close          # the app said Connection: close
    cdef int app_flags           # AppHeaderFlags: Server/Date given by the app
    cdef object write_cb         # the write() callable returned to the app
    # The headers validated last time, by position (_add): the name and the
    # value objects (kept alive, so that `is` proves them unchanged), the
    # name's kind and what the value meant (Content-Length's number, or
    # whether Connection said close).
    cdef object seen_status
    cdef int seen_code
    cdef list seen_names
    cdef list seen_values
    cdef int seen_kinds[16]
    cdef int64_t seen_meaning[16]
    # The app's header block as write_head copies it: head_block (the last
    # one kept for replay) or, when it does not fit there, hbuf.
    cdef const char *head_data
    cdef size_t head_len
    # The kept block's headers are seen_names/seen_values[0 .. replay_n),
    # given with a status of code replay_code; what they meant (_set).
    cdef bint replay_ok
    cdef Py_ssize_t replay_n
    cdef int replay_code
    cdef int64_t replay_length
    cdef bint replay_close
    cdef int replay_flags
    cdef size_t replay_len
    cdef char head_block[256]

    cdef inline void reset(self)
    cdef int _set(self, object status, object headers) except -1
    cdef int _add(self, Py_ssize_t i, object name, object value) except -1
    cdef bint _same_headers(self, object headers) noexcept


cdef class Input:
    cdef bytes _data
    cdef Py_ssize_t _pos
    cdef object _file


cdef class FileWrapper:
    cdef readonly object filelike
    cdef readonly Py_ssize_t blksize


cdef class AddressPolicy:
    cdef bint any
    cdef set addresses  # plain addresses, packed by _packed_address()
    cdef list networks  # the other entries, as ipaddress networks
    cdef dict cache

    cdef bint allows(self, str address)
    cdef object _lookup(self, str address)


# engine/executors.pyx: who calls the app off the loop thread (the seam is
# described there).  Subclasses override submit, wait_drained, release and
# shutdown, and the greenlet pool also the loop's wait.
cdef class Executor:
    cdef object done             # connections handed back to the loop
    cdef readonly int efd        # readable when done has some
    cdef readonly int busy       # requests handed over and not finished
    cdef readonly int capacity   # how many it runs at once (threads, greenlets)

    cdef int submit(self, Connection conn) except -1
    cdef int wait_drained(self, Connection conn) except -1
    cdef int release(self, Connection conn) except -1
    cpdef shutdown(self)
    cdef int finished(self, Connection conn) except -1
    cdef list take_finished(self)
    cdef int wait(self, Server server, int timeout_ms) except -2
    cdef int after_batch(self, Server server) except -1


cdef class ThreadPool(Executor):
    cdef object jobs
    cdef list threads


# engine/greenlets.pyx: -k gevent / -k eventlet.
cdef class GreenPool(Executor):
    cdef object hub              # fastwsgi.workers.greenlets.GeventHub / EventletHub
    cdef object spawn            # spawn(function, *args): a raw greenlet, parent the hub
    cdef object turn             # one turn of the hub: every ready greenlet runs once
    cdef object park             # park(fd, seconds): until fd is readable or the time is up
    cdef object event_type
    cdef object resume           # resume(greenlet, value): switch to it from the hub
    cdef object suspend          # suspend(): to the hub, until resumed; returns the value
    cdef list idle               # greenlets waiting for a request

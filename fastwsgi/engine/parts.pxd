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

    cdef inline void reset(self)
    cdef int _set(self, object status, object headers) except -1
    cdef int _add(self, object name, object value) except -1


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
# shutdown.
cdef class Executor:
    cdef object done             # connections handed back to the loop
    cdef readonly int efd        # readable when done has some

    cdef int submit(self, Connection conn) except -1
    cdef int wait_drained(self, Connection conn) except -1
    cdef int release(self, Connection conn) except -1
    cpdef shutdown(self)
    cdef int finished(self, Connection conn) except -1
    cdef list take_finished(self)


cdef class ThreadPool(Executor):
    cdef object jobs
    cdef list threads

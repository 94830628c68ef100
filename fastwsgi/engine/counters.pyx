# The engine's side of the per-worker counters (csrc/fw_counters.h): the
# layout the master reads them with, and the slot a Server counts into.
#
# A Server given a writable buffer (its worker's slot of the shared memory,
# fastwsgi.workers.counters) counts into it with plain stores; without one
# (fastwsgi.run(), the sans-I/O tests, --no-counters) its pointer is NULL and
# each counting site is one predictable branch.

from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_WRITABLE


def counters_layout():
    """(bytes per slot, ((field, offset, count), ...), latency bucket bounds
    in seconds, refused statuses then 0 for "other"): the struct as the C
    compiler laid it out, for the Python reader."""
    fields = tuple((fw_counter_fields[i].name.decode("ascii"), fw_counter_fields[i].offset,
                    fw_counter_fields[i].count) for i in range(FW_COUNTER_NFIELDS))
    bounds = tuple(fw_latency_bounds_ns[i] / 1e9 for i in range(FW_LATENCY_BOUNDS))
    refused = tuple(fw_refused_status[i] for i in range(FW_REFUSED_KINDS - 1)) + (0,)
    return sizeof(fw_counters_t), fields, bounds, refused


cdef fw_counters_t *attach_counters(object slot, Server server) except? NULL:
    """The struct inside `slot` (a writable buffer of at least one slot), or
    NULL for None.

    The Server keeps a memoryview of the slot (server.counters_owner), not a
    buffer export of its own: while that memoryview lives, its exporter (the
    master's mmap) can be neither closed nor resized, so the pointer stays
    valid, and the garbage collector can clear a Server without meeting an
    export it does not know how to release."""
    cdef Py_buffer view
    cdef fw_counters_t *counters
    if slot is None:
        return NULL
    owner = memoryview(slot)
    PyObject_GetBuffer(owner, &view, PyBUF_WRITABLE)
    counters = <fw_counters_t *>view.buf
    try:
        if <size_t>view.len < sizeof(fw_counters_t):
            raise ValueError(f"a counters slot needs {sizeof(fw_counters_t)} bytes, got {view.len}")
    finally:
        PyBuffer_Release(&view)
    server.counters_owner = owner
    return counters


# The counting sites, one function each, so that the engine's files carry
# one line per site (`if server.counters != NULL: count_...`).

cdef inline void count_dispatch(fw_counters_t *counters, Connection c) noexcept:
    """A request is handed to the app: its latency starts now."""
    counters.requests += 1
    counters.in_flight += 1
    if c.served:  # set by Connection._dispatch right after this call
        counters.keepalive_reuse += 1
    c.t_start = fw_now_ns()
    c.t_end = 0


cdef inline double count_app_time(fw_counters_t *counters, Connection c,
                                  uint64_t app_start) noexcept:
    """The app call (and its first body) is over: its time, in seconds.  When
    the response ended inside the call, its end stamp is reused (one clock
    read per request saved)."""
    cdef uint64_t now = c.t_end if c.t_end else fw_now_ns()
    cdef uint64_t took = now - app_start if now > app_start else 0
    counters.app_ns += took
    return took * 1e-9


cdef inline void count_response_end(fw_counters_t *counters, Connection c) noexcept:
    """A dispatched request's response is over (sent, failed, or abandoned)."""
    cdef uint64_t now = fw_now_ns()
    c.t_end = now
    if counters.in_flight:
        counters.in_flight -= 1
    fw_count_response(counters, c.sr.status_code)
    fw_count_latency(counters, now - c.t_start if now > c.t_start else 0)

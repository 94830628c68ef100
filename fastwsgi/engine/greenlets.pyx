# -k gevent / -k eventlet: each request's app call in its own greenlet.
#
# Theory of operation.  Everything runs in one OS thread.  The loop is the
# main greenlet; the hub (gevent's or eventlet's, reached through the small
# adapter of fastwsgi/workers/greenlets.py) runs the app greenlets and waits
# for their patched sockets and timers.  The loop gives way to the hub at two
# points only, so the engine's state is never half-updated when an app
# greenlet runs:
#   - after each batch of events, while app greenlets are in flight
#     (after_batch: one hub turn, sleep(0)): greenlets spawned or woken by the
#     batch run, the hub polls their I/O without blocking, and the responses
#     that quick apps produced in that turn leave together (Server.flush_batch);
#   - instead of blocking in epoll_wait (wait): epoll_wait(0) first; with
#     nothing ready the loop parks in the hub until the epoll fd is readable or
#     the timeout passes, so greenlets waiting on I/O go on meanwhile.
# An app greenlet whose output must go out (its call ended, or HIGH_WATER
# bytes wait: wait_drained) services its connection itself (finished): the
# loop is parked at one of the two points, and the connection's send is
# non-blocking C; if the socket is full the greenlet waits on conn.waiter,
# which the loop sets (release) once EPOLLOUT has drained it.  While the loop is parked in wait,
# Server.batching is off, so such a response is sent at once instead of
# waiting for a batch that is not running.
#
# At most worker_connections app greenlets run at once: a connection has at
# most one request in the app (pipelined requests are answered in order) and
# the worker takes no more than worker_connections connections.  A greenlet
# that finished a request waits, idle, for the next one (up to KEEP_IDLE of
# them): a new greenlet costs its own Python frame stack, an mmap and a
# munmap of 16 KiB and their page faults, about as much as the whole
# request's work in the engine.

DEF KEEP_IDLE = 256

from greenlet import getcurrent as _current_greenlet


cdef class GreenPool(Executor):
    """A greenlet per request, under the hub of fastwsgi/workers/greenlets.py."""

    def __init__(self, hub, int capacity):
        self.hub = hub
        self.capacity = capacity
        self.spawn = hub.spawn
        self.turn = hub.turn
        self.park = hub.park
        self.event_type = hub.event_type
        self.resume = hub.resume
        self.suspend = hub.suspend
        self.idle = []

    cdef int submit(self, Connection conn) except -1:
        if conn.waiter is None:
            conn.waiter = self.event_type()
        self.busy += 1
        if self.idle:
            self.resume(self.idle.pop(), conn)
        else:
            self.spawn(_green_worker, self, conn)
        return 0

    cdef int finished(self, Connection conn) except -1:
        # In the app's greenlet, with the loop parked: send now.
        conn.server._service(conn, EPOLLOUT)
        return 0

    cdef int wait_drained(self, Connection conn) except -1:
        """In the app's greenlet: send what is pending; if the socket is
        full, give way to the hub until the loop has drained it."""
        self.finished(conn)
        conn.waiter.wait()
        conn.waiter.clear()
        return 0

    cdef int release(self, Connection conn) except -1:
        if conn.waiter is not None:
            conn.waiter.set()
        return 0

    cdef int wait(self, Server server, int timeout_ms) except -2:
        cdef int n = epoll_wait(server.epfd, server.events, MAX_EVENTS, 0)
        if n != 0:
            return n
        server.batching = False
        try:
            self.park(server.epfd, timeout_ms * 0.001)
        finally:
            server.batching = True
        server._clock()
        return epoll_wait(server.epfd, server.events, MAX_EVENTS, 0)

    cdef int after_batch(self, Server server) except -1:
        if self.busy:
            self.turn()
        return 0


def _green_worker(GreenPool pool, Connection conn):
    """An app greenlet's life: requests one after another, idle in between."""
    me = _current_greenlet()
    while conn is not None:
        _green_app(pool, conn)
        if len(pool.idle) >= KEEP_IDLE:
            return
        pool.idle.append(me)
        conn = pool.suspend()


cdef _green_app(GreenPool pool, Connection conn):
    """One request: the app call and its response, then the connection back
    to the loop's hands (and its next pipelined request)."""
    cdef Server server = conn.server
    try:
        run_app_offloaded(pool, conn)
    except Exception as exc:
        server.log_error("Internal error in an app greenlet", exc)
    finally:
        conn.in_app = False
        pool.busy -= 1
    server._service(conn, EPOLLOUT)
    server._room_freed()

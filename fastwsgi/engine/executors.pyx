# Executors: who calls the app when it is not the loop thread.
#
# The seam.  Connection._dispatch() calls the app inline when
# Server.executor is None (the default, gunicorn's sync).  Otherwise it sets
# conn.in_app and calls executor.submit(conn); from then on the response is
# the executor's until it hands the connection back with finished(conn).
# What an executor does with a connection, wherever it runs the call:
#   1. run_app_offloaded(conn): calls the app and writes the response into
#      the connection's buffers exactly as the loop would (the GIL makes each
#      C-level buffer update atomic: no Python code runs inside one);
#      whenever HIGH_WATER bytes wait it calls wait_drained(conn), which hands
#      the bytes to the loop (finished) and blocks this call only;
#   2. then clears conn.in_app and calls finished(conn), so that the loop
#      sends the rest and goes on with pipelined input.
# The loop does all socket I/O and parsing: it reads the executor's efd
# (readable when take_finished() has connections), services them, and calls
# release(conn) once a connection's bytes are all sent or it closed (then
# conn.aborted is set and the app's iterable is closed by the executor).
#
# ThreadPool (--threads N) runs the calls on N threads, as gunicorn's gthread:
# a slow reader holds one thread, never the loop.  GreenPool
# (engine/greenlets.pyx, -k gevent/eventlet) subclasses Executor the same
# way, with a greenlet per call and waits that switch to the hub; it also
# takes over the loop's wait (wait, after_batch), so that the loop gives way
# to the hub instead of blocking in epoll_wait.
#
# busy counts the requests handed over and not finished; a worker with
# busy >= capacity takes no new connection (Server._executor_full), so that
# the kernel hands it to a worker with room instead of queueing it here.

import collections
import queue
import threading

# Events one epoll_wait returns at most (Server.events holds this many).
DEF MAX_EVENTS = 256


cdef class Executor:
    """What every executor shares: handing connections back to the loop
    through a deque and an eventfd that the loop's epoll set watches."""

    def __cinit__(self):
        self.efd = -1
        self.done = collections.deque()
        self.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)
        if self.efd < 0:
            raise_errno()

    def __dealloc__(self):
        if self.efd >= 0:
            close(self.efd)

    cdef int submit(self, Connection conn) except -1:
        raise NotImplementedError(f"{type(self).__name__} does not run apps")

    cdef int wait_drained(self, Connection conn) except -1:
        raise NotImplementedError(f"{type(self).__name__} cannot wait")

    cdef int release(self, Connection conn) except -1:
        """The loop has sent everything (or the connection closed): let a
        call waiting in wait_drained() go on."""
        return 0

    cpdef shutdown(self):
        pass

    cdef int wait(self, Server server, int timeout_ms) except -2:
        """The loop's wait for events: epoll_wait's count (-1 with errno).
        The app's threads run meanwhile (the GIL is released)."""
        cdef int n, epfd = server.epfd
        cdef epoll_event *events = server.events
        with nogil:
            n = epoll_wait(epfd, events, MAX_EVENTS, timeout_ms)
        return n

    cdef int after_batch(self, Server server) except -1:
        """After the loop handled a batch of events, before it sends them."""
        return 0

    cdef int finished(self, Connection conn) except -1:
        cdef uint64_t one = 1
        self.done.append(conn)
        write(self.efd, &one, sizeof(one))
        return 0

    cdef list take_finished(self):
        """Connections whose app call ended, or whose output wants sending."""
        cdef uint64_t count
        read(self.efd, &count, sizeof(count))
        out = []
        while self.done:
            out.append(self.done.popleft())
        return out


cdef class ThreadPool(Executor):
    """--threads N: the app runs on N threads while the loop keeps reading
    and writing every connection."""

    def __init__(self, int nthreads):
        self.capacity = nthreads
        self.jobs = queue.SimpleQueue()
        self.threads = []
        for i in range(nthreads):
            t = threading.Thread(target=_app_thread, args=(self,), daemon=True,
                                 name=f"fastwsgi-app-{i}")
            t.start()
            self.threads.append(t)

    cdef int submit(self, Connection conn) except -1:
        if conn.waiter is None:
            conn.waiter = threading.Event()
        self.busy += 1
        self.jobs.put(conn)
        return 0

    cdef int wait_drained(self, Connection conn) except -1:
        """On a pool thread: hand the output to the loop and wait (GIL
        released) until it has sent it all, or the connection is gone."""
        self.finished(conn)
        conn.waiter.wait()
        conn.waiter.clear()
        return 0

    cdef int release(self, Connection conn) except -1:
        if conn.waiter is not None:
            conn.waiter.set()
        return 0

    cpdef shutdown(self):
        for _ in self.threads:
            self.jobs.put(None)
        for t in self.threads:
            t.join(5)


def _app_thread(ThreadPool pool):
    cdef Connection conn
    while True:
        job = pool.jobs.get()
        if job is None:
            return
        conn = <Connection>job
        try:
            run_app_offloaded(pool, conn)
        except BaseException as exc:
            conn.server.log_error("Internal error in an app thread", exc)
        finally:
            conn.in_app = False
            pool.busy -= 1  # under the GIL, as every update of the count
            pool.finished(conn)


cdef int run_app_offloaded(Executor executor, Connection c) except -1:
    """Off the loop thread: call the app and produce the response, waiting
    for the loop to drain the output whenever HIGH_WATER bytes are pending."""
    cdef fw_counters_t *counters = c.server.counters
    if counters != NULL:
        counters.threads_busy += 1
    try:
        c._call_app()
        while c.phase == PH_STREAMING and not c.aborted:
            executor.wait_drained(c)
            if not c.aborted:
                pump(c)
        if c.aborted and (c.phase == PH_STREAMING or c.result is not None):
            end_response(c, False)
    finally:
        if counters != NULL:
            counters.threads_busy -= 1
    return 0


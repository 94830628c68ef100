# --threads N: the app runs on a pool of N threads while the loop keeps
# reading and writing every connection.
#
# Division of labour.  The loop thread does all socket I/O and parsing.  At
# message-complete it hands the Connection to the pool (conn.in_app set); a
# pool thread calls the app and serialises the response into the
# connection's wbuf exactly as the loop would (the GIL makes each C-level
# buffer update atomic: no Python code runs inside one), then wakes the loop
# through an eventfd so that it sends the bytes.  While wbuf holds HIGH_WATER
# bytes the app thread waits (GIL released) until the loop has drained it:
# a slow reader holds one pool thread, as with gunicorn's gthread, never the
# loop.  When the response is complete the thread clears in_app and queues
# the connection back to the loop, which goes on with pipelined input.

cdef extern from "<sys/eventfd.h>" nogil:
    int eventfd(unsigned int initval, int flags)
    enum:
        EFD_NONBLOCK
        EFD_CLOEXEC

import collections
import queue
import threading


cdef class AppPool:
    def __cinit__(self):
        self.efd = -1

    def __init__(self, int nthreads):
        self.jobs = queue.SimpleQueue()
        self.done = collections.deque()
        self.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)
        if self.efd < 0:
            raise OSError(errno, os.strerror(errno))
        self.threads = []
        for i in range(nthreads):
            t = threading.Thread(target=_app_thread, args=(self,), daemon=True,
                                 name=f"fastwsgi-app-{i}")
            t.start()
            self.threads.append(t)

    def __dealloc__(self):
        if self.efd >= 0:
            close(self.efd)

    cdef int submit(self, Connection conn) except -1:
        self.jobs.put(conn)
        return 0

    cdef void wake(self) noexcept:
        cdef uint64_t one = 1
        write(self.efd, &one, sizeof(one))

    cdef int finished(self, Connection conn) except -1:
        self.done.append(conn)
        self.wake()
        return 0

    cdef list take_finished(self):
        """Connections whose app call ended, or whose output wants sending."""
        cdef uint64_t count
        read(self.efd, &count, sizeof(count))
        out = []
        while self.done:
            out.append(self.done.popleft())
        return out

    def shutdown(self):
        for _ in self.threads:
            self.jobs.put(None)
        for t in self.threads:
            t.join(5)


def _app_thread(AppPool pool):
    cdef Connection conn
    while True:
        job = pool.jobs.get()
        if job is None:
            return
        conn = <Connection>job
        try:
            run_app_threaded(conn)
        except BaseException as exc:
            conn.server.log_error("Internal error in an app thread", exc)
        finally:
            conn.in_app = False
            pool.finished(conn)


cdef int drive_for_app(Connection c) except -1:
    """The app runs on a pool thread: send what it has produced, and let
    it go on once the socket has taken everything."""
    cdef int r = flush_output(c)
    if r > 0:
        c.state = CS_SENDING
        c._want(EPOLLOUT)
    elif r == 0:
        c.state = CS_READING
        c._want(0)
        if c.drained is not None:
            c.drained.set()
    return 0


cdef int run_app_threaded(Connection c) except -1:
    """On a pool thread: call the app and produce the response, waiting for
    the loop to drain wbuf whenever HIGH_WATER bytes are pending."""
    if c.drained is None:
        c.drained = threading.Event()
    c._call_app()
    while c.resp_iter is not None and not c.aborted:
        wait_drained(c)
        if not c.aborted:
            pump(c)
    if c.aborted and (c.resp_iter is not None or c.result is not None):
        end_response(c, False)
    return 0


cdef int wait_drained(Connection c) except -1:
    """On a pool thread: hand wbuf to the loop and wait (GIL released) until
    it has sent it all, or the connection is gone."""
    c.server.pool.finished(c)
    c.drained.wait()
    c.drained.clear()
    return 0

# The last words of a worker the master is killing for its timeout (SIGABRT:
# no heartbeat for `timeout` seconds, because the app is stuck).
#
# gunicorn's client sees a 500 on the request the worker was stuck on, not a
# connection closed with no bytes: its SIGABRT handler raises SystemExit in
# the app and the worker answers 500 on the way out.  Here the handler
# (workers/base.py _abort) runs in Python, in the loop thread, between two
# bytecodes of the app, and the worker exits right after it: it calls
# answer_abandoned(server), which writes what can still be written.
#
# Why this is safe although the loop is "in the middle" of a request: a
# Python signal handler runs only where the interpreter evaluates bytecode,
# so the engine is never interrupted inside its own C code; it is parked in
# a call out to Python (the app, or a hook).  The only state this touches is
# each connection's output queue (wbuf/zbody), which the engine leaves
# consistent before any such call, and nothing here returns to the loop: the
# process ends with os._exit() once the handler is done.
#
# What gets written, connection by connection (best effort: one
# non-blocking send each, as the socket takes it; the worker does not wait):
# - a request whose app call is under way and has not started its response
#   (PH_APP, no head written): a complete 500 with Connection: close, after
#   the earlier responses already queued on that connection;
# - responses already complete but still queued (a batch waiting for its
#   end, a socket that was full): sent as they are;
# - a response whose head is out but not its whole body: nothing more; the
#   connection ends, so the client sees an incomplete response, never a
#   wrong one (gunicorn: the same).
# Every connection with a request under way or output queued then gets our
# FIN, so that its client is not left waiting for the SIGKILL.


def answer_abandoned(Server server):
    """Answer every request this worker is abandoning; returns how many got a 500."""
    cdef Connection c
    cdef int answered = 0
    cdef bytes page = error_response(500, "")
    for item in server.conns:
        if item is None:
            continue
        c = <Connection>item
        if c.fd < 0 or c.state == CS_CLOSED:
            continue
        if c.phase == PH_APP and not c.sr.headers_sent:
            c.keep_alive = False
            buf_append(&c.wbuf, PyBytes_AS_STRING(page), <size_t>PyBytes_GET_SIZE(page))
            answered += 1
        elif c.phase == PH_IDLE and c.wsent >= c.wbuf.len and c.zbody is None:
            continue  # between requests, nothing owed: the exit closes it
        if flush_output(c) >= 0 and c.fd >= 0:
            tr_push(c)  # io_uring: no turn follows, the process exits
            tr_shutdown_write(c)
    return answered

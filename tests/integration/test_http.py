"""HTTP/1.x as a client sees it from a live server: keep-alive, pipelining,
response framing, app errors, close(), slow and idle clients.

Raw bytes in, raw bytes out; every app is tests/apps/basic.py's ``app``,
which routes by the first path segment to a validated app."""

from __future__ import annotations

import ctypes
import os
import resource
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support import (
    Client,
    ServerProcess,
    Strace,
    io_backend,
    request,
    run_server,
    take_response,
    wait_for,
    worker_pid,
)

APP = "tests.apps.basic:app"
Serve = Callable[..., ServerProcess]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for the tests that leave it as they found it."""
    with run_server(APP, tmp_path=tmp_path_factory.mktemp("shared")) as srv:
        yield srv



# ---- keep-alive --------------------------------------------------------------

def test_http11_connection_persists_by_default(shared: ServerProcess) -> None:
    with Client(shared) as c:
        for i in range(3):
            c.send(request(f"/hello/{i}"))
            r = c.response()
            assert (r.status, r.body) == (200, f"hello /hello/{i}".encode())
            assert "connection" not in r.headers


def test_http10_keep_alive_is_honoured_and_confirmed(shared: ServerProcess) -> None:
    with Client(shared) as c:
        for i in range(3):
            c.send(request(f"/hello/{i}", "1.0", "Connection: keep-alive\r\n"))
            r = c.response()
            assert (r.status, r.body) == (200, f"hello /hello/{i}".encode())
            assert r.headers["connection"].lower() == "keep-alive"


def test_http10_without_keep_alive_is_closed(shared: ServerProcess) -> None:
    with Client(shared) as c:
        c.send(request("/hello/one", "1.0") + request("/hello/two", "1.0"))
        r = c.response()
        assert (r.status, r.body) == (200, b"hello /hello/one")
        assert r.headers["connection"].lower() == "close"
        assert c.closed_within(5), "the second request must not be answered"


CLOSE_VALUES = ["close", "CLOSE", "Close", "keep-alive, CLOSE", "close, keep-alive",
                "foo,close", "keep-alive ,  close"]

CLOSE_CASES = [
    pytest.param(value, position, version)
    for value in CLOSE_VALUES for position in ("first", "last") for version in ("1.1", "1.0")]


@pytest.mark.parametrize("value,position,version", CLOSE_CASES)
def test_connection_close_is_honoured(shared: ServerProcess, version: str, position: str,
                                      value: str) -> None:
    connection = f"Connection: {value}\r\n"
    if position == "first":
        head = f"GET /hello/a HTTP/{version}\r\n{connection}Host: test\r\nX-A: 1\r\n\r\n"
    else:
        head = f"GET /hello/a HTTP/{version}\r\nHost: test\r\nX-A: 1\r\n{connection}\r\n"
    with Client(shared) as c:
        c.send(head.encode() + request("/hello/b"))
        r = c.response()
        assert (r.status, r.body) == (200, b"hello /hello/a")
        assert r.headers["connection"].lower() == "close"
        assert c.closed_within(5), "nothing may follow a response to Connection: close"


def test_idle_keep_alive_connection_times_out(serve: Serve) -> None:
    srv = serve(APP, "--keep-alive", "1")
    with Client(srv) as c:
        # Requests less than keep-alive apart keep the connection alive...
        for i in range(3):
            c.send(request(f"/hello/{i}"))
            assert c.response().status == 200
            if i < 2:
                time.sleep(0.6)  # pacing, below the 1 s keep-alive
        # ...and an idle second after the last one, it is closed.
        t0 = time.monotonic()
        assert c.closed_within(5)
        elapsed = time.monotonic() - t0
    assert 0.9 <= elapsed < 3.5, elapsed


# ---- pipelining ----------------------------------------------------------------

def test_100_pipelined_requests_answered_in_order_in_few_reads(shared: ServerProcess,
                                                               tmp_path: Path) -> None:
    with Client(shared) as c:
        c.send(request("/hello/first"))
        assert c.response().status == 200
        trace = Strace(worker_pid(shared), "write,writev,send,sendto,sendmsg,io_uring_enter",
                       tmp_path / "strace.out")
        try:
            c.send(b"".join(request(f"/hello/{i}?q={i}") for i in range(100)))
            bodies = [c.response().body for _ in range(100)]
        finally:
            trace.stop()
        assert bodies == [f"hello /hello/{i}?q={i}".encode() for i in range(100)]
        assert c.reads <= 5, c.reads
        c.send(request("/hello/after"))
        assert c.response().body == b"hello /hello/after"
    # The server answers a batch of pipelined requests with a send per
    # batch, not per request (DESIGN.md §2.8); on io_uring the sends are
    # SQEs of the loop's io_uring_enter, a few of them for the whole batch.
    calls = trace.calls()  # without strace, the test is skipped, saying why
    lines = [line for line in calls.splitlines() if "(" in line and "resumed>" not in line]
    enters = [line for line in lines if "io_uring_enter(" in line]
    sends = [line for line in lines if line not in enters]
    if io_backend(shared) == "io_uring":
        assert not sends and 1 <= len(enters) <= 10, calls
    else:
        assert not enters and 1 <= len(sends) <= 5, calls


# ---- a connection's set-up -------------------------------------------------------

def _worker_sockets(pid: int) -> int:
    return sum(os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
               for fd in os.listdir(f"/proc/{pid}/fd"))


def test_connection_close_request_costs_no_epoll_registration(shared: ServerProcess,
                                                               tmp_path: Path) -> None:
    # The request arrives with the connection (TCP_DEFER_ACCEPT) and is
    # answered at once: accept, read, send, close; the socket never joins
    # the epoll set, and TCP_NODELAY comes from the listener, not a
    # setsockopt per connection.
    assert shared.request(request("/hello/warm")).startswith(b"HTTP/1.1 200 ")
    trace = Strace(worker_pid(shared), "accept4,setsockopt,epoll_ctl,recvfrom,sendto,close",
                   tmp_path / "strace.out")
    try:
        for i in range(3):
            raw = shared.request(request(f"/hello/{i}", headers="Connection: close\r\n"))
            assert raw.startswith(b"HTTP/1.1 200 ") and raw.endswith(f"hello /hello/{i}".encode())
    finally:
        trace.stop()
    calls = trace.calls()  # without strace, the test is skipped, saying why
    names = [line.split("(", 1)[0].split()[-1] for line in calls.splitlines()
             if "(" in line and "resumed>" not in line]
    assert "epoll_ctl" not in names and "setsockopt" not in names, calls
    # Both backends accept with accept4() (io_uring: when the listener's
    # poll in the ring reports a connection).
    assert names.count("accept4") >= 3, calls
    if io_backend(shared) == "io_uring":
        # Receive and send are requests in the ring.
        assert not {"recvfrom", "sendto"} & set(names), calls
        assert names.count("close") >= 2, calls


def test_accepted_sockets_have_nodelay(shared: ServerProcess) -> None:
    # Small responses must not wait for the client's delayed ACK (Nagle):
    # the worker's end of our connection has TCP_NODELAY.
    with Client(shared) as c:
        c.send(request("/hello/nodelay"))
        assert c.response().status == 200
        pid = worker_pid(shared)
        ours = c.sock.getsockname()
        pidfd = os.pidfd_open(pid)
        found = []
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if not os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                    continue
                dup = _pidfd_getfd(pidfd, int(fd))
                with socket.socket(fileno=dup) as s:
                    if s.family == socket.AF_INET and _peer(s) == ours:
                        found.append(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        finally:
            os.close(pidfd)
        assert found == [1], found


def _peer(s: socket.socket) -> object:
    try:
        return s.getpeername()
    except OSError:  # the listener
        return None


def _pidfd_getfd(pidfd: int, fd: int) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    dup = libc.syscall(438, pidfd, fd, 0)  # SYS_pidfd_getfd
    if dup < 0:
        pytest.skip(f"pidfd_getfd: {os.strerror(ctypes.get_errno())}")
    return int(dup)


def test_client_silent_after_connecting_is_served(serve: Serve) -> None:
    # The kernel hands over a connection without its request once the
    # deferred accept times out (about a second); the worker then has to
    # wait for the request on its own.
    srv = serve(APP)
    with Client(srv) as first:
        first.send(request("/hello/up"))
        assert first.response().status == 200
        pid = worker_pid(srv)
        before = _worker_sockets(pid)
        with Client(srv) as c:
            assert wait_for(lambda: _worker_sockets(pid) > before, seconds=8.0), \
                "the worker never accepted the silent connection"
            c.send(request("/hello/late"))
            assert c.response().body == b"hello /hello/late"
            c.send(request("/hello/again", headers="Connection: close\r\n"))
            assert c.response().body == b"hello /hello/again"
            assert c.sock.recv(1) == b""


# ---- response framing ------------------------------------------------------------

def test_generator_response_is_chunked_for_http11(shared: ServerProcess) -> None:
    with Client(shared) as c:
        c.send(request("/stream?n=4&size=3"))
        r = c.response()
        assert r.headers["transfer-encoding"] == "chunked"
        assert "content-length" not in r.headers
        assert r.body == b"AAABBBCCCDDD"
        assert r.raw.endswith(b"\r\n0\r\n\r\n")
        c.send(request("/hello/again"))
        assert c.response().body == b"hello /hello/again"


@pytest.mark.parametrize("connection", ["", "Connection: keep-alive\r\n"])
def test_generator_response_is_close_delimited_for_http10(shared: ServerProcess,
                                                          connection: str) -> None:
    with Client(shared) as c:
        c.send(request("/stream?n=4&size=3", "1.0", connection))
        raw = c.read_to_eof()
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert b"transfer-encoding" not in head.lower()
    assert b"content-length" not in head.lower()
    assert b"connection: close" in head.lower()
    assert body == b"AAABBBCCCDDD"


@pytest.mark.parametrize("target", ["/hello/x", "/stream?n=3&size=4", "/write"])
def test_head_gets_headers_without_body(shared: ServerProcess, target: str) -> None:
    with Client(shared) as c:
        c.send(request(target))
        get = c.response()
        # HEAD then GET in one write: the GET's response must follow the
        # HEAD's head at once, with no body bytes between them.
        c.send(request(target, method="HEAD") + request("/hello/next"))
        head = c.response(head=True)
        assert c.buf.startswith(b"HTTP/1.1 200 "), c.buf[:100]
        assert c.response().body == b"hello /hello/next"
    assert head.status == 200
    assert head.headers["content-type"] == get.headers["content-type"]
    if "content-length" in get.headers:
        assert head.headers["content-length"] == get.headers["content-length"]
    assert "transfer-encoding" not in head.headers


@pytest.mark.parametrize("code", [204, 304])
def test_204_and_304_have_no_body(shared: ServerProcess, code: int) -> None:
    with Client(shared) as c:
        c.send(request(f"/status?code={code}") + request("/hello/next"))
        r = c.response()
        assert r.status == code
        assert c.buf.startswith(b"HTTP/1.1 200 "), c.buf[:100]
        assert c.response().body == b"hello /hello/next"
    assert "transfer-encoding" not in r.headers
    if code == 204:
        assert "content-length" not in r.headers  # RFC 9110 §8.6


@pytest.mark.parametrize("query,framing", [("", "chunked"), ("?length=1", "length")])
def test_write_callable(shared: ServerProcess, query: str, framing: str) -> None:
    with Client(shared) as c:
        c.send(request(f"/write{query}"))
        r = c.response()
        assert (r.status, r.body) == (200, b"one two three")
        if framing == "chunked":
            assert r.headers["transfer-encoding"] == "chunked"
        else:
            assert r.headers["content-length"] == "13"
        c.send(request("/hello/next"))
        assert c.response().body == b"hello /hello/next"


# ---- app errors ------------------------------------------------------------------

def test_exception_before_start_response_is_a_500(serve: Serve) -> None:
    srv = serve(APP)
    with Client(srv) as c:
        c.send(request("/error-before") + request("/hello/after"))
        r = c.response()
        assert r.status == 500
        assert r.headers["connection"].lower() == "close"
        assert c.closed_within(5), "the connection must end after a 500"
    pid = worker_pid(srv)
    log = srv.log_text()
    assert "Traceback" in log
    assert "RuntimeError: boom before start_response" in log
    with Client(srv) as c:
        c.send(request("/hello/next"))
        assert c.response().body == b"hello /hello/next"
    assert worker_pid(srv) == pid, "the worker died"


@pytest.mark.parametrize("query", ["", "?length=100"])
def test_exception_mid_stream_ends_the_connection(serve: Serve, query: str) -> None:
    srv = serve(APP)
    with Client(srv) as c:
        c.send(request(f"/error-midstream{query}"))
        raw = c.read_to_eof()
    pid = worker_pid(srv)
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert b"first chunk;" in body
    assert take_response(raw) is None, "an incomplete body must not look complete"
    if query:
        assert b"content-length: 100" in head.lower()
        assert len(body) < 100
    else:
        assert b"transfer-encoding: chunked" in head.lower()
    assert "RuntimeError: boom mid-stream" in srv.log_text()
    with Client(srv) as c:
        c.send(request("/hello/next"))
        assert c.response().status == 200
    assert worker_pid(srv) == pid, "the worker died"


@pytest.mark.parametrize("kind", ["crlf", "lf", "cr", "nul", "name", "nonlatin1"])
def test_bad_response_header_is_a_500_and_nothing_is_injected(serve: Serve, kind: str) -> None:
    srv = serve(APP)
    with Client(srv) as c:
        c.send(request(f"/bad-header?kind={kind}"))
        raw = c.read_to_eof()  # and the connection is closed
    assert raw.startswith(b"HTTP/1.1 500 "), raw[:200]
    assert b"Injected" not in raw
    assert b"should never be sent" not in raw
    assert "Traceback" in srv.log_text()
    pid = worker_pid(srv)
    with Client(srv) as c:
        c.send(request("/hello/next"))
        assert c.response().status == 200
    assert worker_pid(srv) == pid, "the worker died"


# ---- close() on the response iterable -------------------------------------------------

@pytest.mark.parametrize("case,target,method", [
    ("complete", "/closing/complete?n=3", "GET"),
    ("head", "/closing/head?n=3", "HEAD"),
    ("raises", "/closing/raises?n=3&fail_at=1", "GET"),
])
def test_close_is_called_on_the_iterable(serve: Serve, tmp_path: Path, case: str, target: str,
                                         method: str) -> None:
    record = tmp_path / "record"
    record.touch()
    srv = serve(APP, env={"FW_TEST_RECORD": str(record)})
    with Client(srv) as c:
        c.send(request(target, method=method))
        if case == "raises":
            c.read_to_eof()
        else:
            assert c.response(head=method == "HEAD").status == 200
    assert wait_for(lambda: f"close /closing/{case}\n" in record.read_text())
    assert record.read_text().count("\n") == 1


@pytest.mark.parametrize("how", ["close", "reset"])
def test_client_vanishing_mid_response(serve: Serve, tmp_path: Path, how: str) -> None:
    """The client reads part of a large streamed response and goes: close()
    is still called, and the worker goes on serving."""
    record = tmp_path / "record"
    record.touch()
    srv = serve(APP, env={"FW_TEST_RECORD": str(record)})
    c = Client(srv)
    c.send(request("/closing/vanish?n=4096&size=65536"))  # 256 MiB, never all sent
    while len(c.buf) < 1 << 20:
        assert c._recv()
    pid = worker_pid(srv)
    if how == "reset":
        c.reset()
    else:
        c.sock.close()
    assert wait_for(lambda: "close /closing/vanish\n" in record.read_text()), \
        "close() was not called after the client went away"
    with Client(srv) as c2:
        c2.send(request("/hello/next"))
        assert c2.response().status == 200
    assert worker_pid(srv) == pid, "the worker died"


# ---- slow and idle clients -------------------------------------------------------------

def test_slow_client_does_not_delay_another(serve: Serve) -> None:
    srv = serve(APP)
    with Client(srv) as warm:  # readiness: the worker serves (boot time is not under test)
        warm.send(request("/hello/warm"))
        assert warm.response().status == 200
    head = request("/hello/slow")
    durations = []
    with Client(srv) as slow:
        for i in range(len(head)):
            slow.send(head[i:i + 1])  # 1 byte per 50 ms: the behaviour under test
            if i in (3, 10, 20):
                t0 = time.monotonic()
                with Client(srv, timeout=2.0) as fast:
                    fast.send(request("/hello/fast"))
                    assert fast.response().body == b"hello /hello/fast"
                durations.append(time.monotonic() - t0)
            time.sleep(0.05)
        assert slow.response().body == b"hello /hello/slow"
    assert max(durations) < 0.5, durations


def test_a_thousand_idle_connections_do_not_lock_out_a_new_client(serve: Serve) -> None:
    n = 1000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2 * n + 100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4 * n), hard))
    try:
        srv = serve(APP)  # worker_connections defaults to 1000
        idle: list[Client] = []
        try:
            # Each makes a request and stays open, idle in keep-alive: the
            # worker holds all 1,000.
            for _ in range(n):
                idle.append(Client(srv))
                idle[-1].send(request("/hello/idle"))
            for c in idle:
                assert c.response().status == 200
            t0 = time.monotonic()
            with Client(srv, timeout=5.0) as new:
                new.send(request("/hello/new"))
                assert new.response().body == b"hello /hello/new"
            assert time.monotonic() - t0 < 2.0
        finally:
            for c in idle:
                c.sock.close()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

"""-k gevent and -k eventlet: a greenlet per request, the stdlib patched.

Concurrency is proven by wall time: N requests that each wait T seconds
(patched time.sleep, a socket, an outbound HTTP call to a slow local server)
all finish in about T when they overlap, and in N x T when they do not; the
bounds below sit far from both."""

from __future__ import annotations

import http.server
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from tests.support import (
    ROOT,
    ServerProcess,
    dechunk,
    read_response,
    read_until_closed,
    wait_for,
)

APP = "tests.apps.cooperative:app"
KINDS = ["gevent", "eventlet"]
SLOW = 0.5  # seconds each slow request waits
N = 20      # concurrent slow requests: 10 s if they ran one after another


class _Slow(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        time.sleep(SLOW)
        body = b"from the slow server"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def slow_server() -> Iterator[int]:
    """A local HTTP server that answers each request after SLOW seconds,
    many at once (one thread each)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def send_all(srv: ServerProcess, targets: list[str]) -> list[socket.socket]:
    socks = []
    for target in targets:
        s = srv.connect()
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        socks.append(s)
    return socks


def bodies(socks: list[socket.socket]) -> list[bytes]:
    out = []
    for s in socks:
        with s:
            raw = read_until_closed(s)
        assert raw.startswith(b"HTTP/1.1 200 OK"), raw[:200]
        out.append(raw.partition(b"\r\n\r\n")[2])
    return out


def timed(srv: ServerProcess, targets: list[str]) -> tuple[float, list[bytes]]:
    start = time.monotonic()
    got = bodies(send_all(srv, targets))
    return time.monotonic() - start, got


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("wait", ["sleep", "socket", "http"])
def test_requests_that_wait_overlap(serve: Callable[..., ServerProcess], slow_server: int,
                                    kind: str, wait: str) -> None:
    srv = serve(APP, "-k", kind)
    assert srv.request(b"GET /patched HTTP/1.1\r\nHost: x\r\n\r\n").endswith(
        f"{kind} True".encode())
    query = f"t={SLOW}" if wait == "sleep" else f"port={slow_server}"
    took, got = timed(srv, [f"/{wait}?{query}"] * N)
    expected = b"slept" if wait == "sleep" else b"from the slow server"
    assert got == [expected] * N
    # Overlapping: about SLOW; one at a time it would be N x SLOW = 10 s.
    assert took < SLOW * 5, f"{N} requests of {SLOW} s took {took:.2f} s"


@pytest.mark.parametrize("kind", KINDS)
def test_the_stdlib_is_patched_before_the_app_is_imported(
        serve: Callable[..., ServerProcess], kind: str) -> None:
    # The app module took time.sleep's module name at its import: the
    # patched one, so a name bound at import (from time import sleep) gives
    # way to other greenlets too.
    srv = serve(APP, "-k", kind)
    assert srv.request(b"GET /sleep-at-import HTTP/1.1\r\nHost: x\r\n\r\n").endswith(
        {"gevent": b"\r\n\r\ngevent.hub", "eventlet": b"\r\n\r\neventlet.greenthread"}[kind])


@pytest.mark.parametrize("kind", KINDS)
def test_a_worker_class_whose_patch_does_nothing_leaves_the_stdlib_alone(
        serve: Callable[..., ServerProcess], kind: str) -> None:
    # gunicorn's way to turn the patching off: a worker class of one's own
    # that overrides patch().  Then time.sleep blocks the worker, as the
    # user asked: requests that sleep run one after another.
    cls = {"gevent": "GeventNoPatch", "eventlet": "EventletNoPatch"}[kind]
    srv = serve(APP, "-k", f"tests.apps.unpatched_workers.{cls}")
    assert srv.request(b"GET /patched HTTP/1.1\r\nHost: x\r\n\r\n").endswith(b"no True")
    assert srv.request(b"GET /sleep-at-import HTTP/1.1\r\nHost: x\r\n\r\n").endswith(
        b"\r\n\r\ntime")
    took, got = timed(srv, ["/sleep?t=0.3"] * 3)
    assert got == [b"slept"] * 3
    assert took >= 3 * 0.3 * 0.9, f"3 unpatched sleeps of 0.3 s overlapped: {took:.2f} s"
    assert f"{kind} (worker_class 'tests.apps.unpatched_workers.{cls}'): up to 1000 " \
        f"concurrent requests per worker (a greenlet each, patched by {cls}.patch())" \
        in srv.log_text()


@pytest.mark.parametrize("kind", KINDS)
def test_a_fast_request_is_not_held_behind_slow_ones(
        serve: Callable[..., ServerProcess], kind: str) -> None:
    srv = serve(APP, "-k", kind)
    assert srv.request(b"GET /fast HTTP/1.1\r\nHost: x\r\n\r\n").endswith(b"fast")  # booted
    slow = send_all(srv, ["/sleep?t=3"] * 10)
    start = time.monotonic()
    assert srv.request(b"GET /fast HTTP/1.1\r\nHost: x\r\n\r\n").endswith(b"fast")
    assert time.monotonic() - start < 1.5
    assert bodies(slow) == [b"slept"] * 10


@pytest.mark.parametrize("kind", KINDS)
def test_worker_connections_caps_the_requests_in_flight(
        serve: Callable[..., ServerProcess], kind: str) -> None:
    srv = serve(APP, "-k", kind, "--worker-connections", "4")
    took, got = timed(srv, [f"/sleep?t={SLOW}"] * 8)
    assert got == [b"slept"] * 8
    # Four at a time: two rounds of SLOW.
    assert took >= SLOW * 2 * 0.9, took
    assert srv.request(b"GET /most HTTP/1.1\r\nHost: x\r\n\r\n").endswith(b"\r\n\r\n4")


@pytest.mark.parametrize("kind", KINDS)
def test_request_bodies_are_read_in_the_greenlet(
        serve: Callable[..., ServerProcess], kind: str) -> None:
    srv = serve(APP, "-k", kind)
    payload = bytes(range(256)) * 4000  # ~1 MB: past the in-memory threshold's reads
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(payload[i:i + 50000]), payload[i:i + 50000])
                       for i in range(0, len(payload), 50000)) + b"0\r\n\r\n"
    with srv.connect() as s:
        s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s"
                  % (len(payload), payload))
        assert read_response(s).partition(b"\r\n\r\n")[2] == payload
        s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  + chunked)
        assert read_response(s).partition(b"\r\n\r\n")[2] == payload


@pytest.mark.parametrize("kind", KINDS)
def test_streaming_write_and_file_wrapper(serve: Callable[..., ServerProcess],
                                          kind: str) -> None:
    srv = serve(APP, "-k", kind)
    with srv.connect() as s:
        s.sendall(b"GET /stream?n=5&t=0.05 HTTP/1.1\r\nHost: x\r\n\r\n")
        raw = read_response(s)
        assert b"Transfer-Encoding: chunked" in raw
        assert dechunk(raw.partition(b"\r\n\r\n")[2]) == b"".join(
            b"part %d\n" % i for i in range(5))
        s.sendall(b"GET /write HTTP/1.1\r\nHost: x\r\n\r\n")
        raw = read_response(s)
        assert dechunk(raw.partition(b"\r\n\r\n")[2]) == b"".join(
            bytes([65 + i]) * 300_000 for i in range(4))
        s.sendall(b"GET /file HTTP/1.1\r\nHost: x\r\n\r\n")
        raw = read_response(s)
        assert raw.partition(b"\r\n\r\n")[2] == b"0123456789" * 100_000


@pytest.mark.parametrize("kind", KINDS)
def test_pipelined_requests_are_answered_in_order(serve: Callable[..., ServerProcess],
                                                  kind: str) -> None:
    srv = serve(APP, "-k", kind)
    # The first waits longest: its answer must still come first.
    targets = ["/sleep?t=0.3", "/pid", "/stream?n=3&t=0.01", "/sleep?t=0.1", "/fast"]
    raw = b"".join(f"GET {t} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for t in targets[:-1])
    raw += b"GET /fast HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    with srv.connect() as s:
        s.sendall(raw)
        out = read_until_closed(s)
    assert out.count(b"HTTP/1.1 200 OK") == 5
    first, last = out.index(b"\r\n\r\nslept"), out.rindex(b"\r\n\r\nslept")
    assert first < out.index(b"part 0") < last < out.index(b"\r\n\r\nfast")


@pytest.mark.parametrize("kind", KINDS)
def test_a_greenlet_that_raises_gets_a_500(serve: Callable[..., ServerProcess],
                                           kind: str) -> None:
    srv = serve(APP, "-k", kind)
    assert srv.request(b"GET /raise HTTP/1.1\r\nHost: x\r\n\r\n").startswith(
        b"HTTP/1.1 500 ")
    # The worker goes on serving.
    assert srv.request(b"GET /fast HTTP/1.1\r\nHost: x\r\n\r\n").endswith(b"fast")
    assert "boom in a greenlet" in srv.log_text()


@pytest.mark.parametrize("kind", KINDS)
def test_without_the_library_the_master_says_so_in_one_line_and_exits_1(kind: str) -> None:
    # The library made unimportable, as if it were not installed.
    code = (f"import sys; sys.modules[{kind!r}] = None; "
            f"sys.argv = ['fastwsgi', '-k', {kind!r}, {APP!r}, '--bind', '127.0.0.1:0']; "
            "from fastwsgi.cli import main; main()")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=30, check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        (f"Error: worker_class {kind!r} needs {kind}, which is not installed "
        f"(pip install 'fastwsgi[{kind}]')")]


@pytest.mark.parametrize(("args", "line"), [
    (("-k", "gevent", "--worker-connections", "50"),
     "Using worker: gevent: up to 50 concurrent requests per worker"),
    (("-k", "eventlet"), "Using worker: eventlet: up to 1000 concurrent requests per worker"),
    (("-k", "sync"), ("Using worker: sync: one request at a time per worker; "
                     "--threads N for blocking apps")),
    (("-k", "gthread", "--threads", "8"),
     "Using worker: gthread: up to 8 concurrent requests per worker"),
    (("-k", "tornado"), "Using worker: tornado: one request at a time per worker"),
])
def test_the_master_logs_what_concurrency_the_worker_class_gives(
        serve: Callable[..., ServerProcess], args: tuple[str, ...], line: str) -> None:
    srv = serve(APP, *args)
    assert srv.request(b"GET /fast HTTP/1.1\r\nHost: x\r\n\r\n").endswith(b"fast")
    assert line in srv.log_text()


@pytest.mark.parametrize("kind", KINDS)
def test_term_lets_the_greenlets_in_flight_finish(serve: Callable[..., ServerProcess],
                                                  kind: str) -> None:
    srv = serve(APP, "-k", kind)
    assert srv.request(b"GET /fast HTTP/1.1\r\nHost: x\r\n\r\n").endswith(b"fast")  # booted
    socks = send_all(srv, ["/sleep?t=1"] * 5)
    assert wait_for(lambda: srv.request(b"GET /in-flight HTTP/1.1\r\nHost: x\r\n\r\n")
                    .endswith(b"\r\n\r\n5"))
    srv.proc.send_signal(signal.SIGTERM)
    assert bodies(socks) == [b"slept"] * 5
    assert srv.proc.wait(15) == 0

"""The workers' I/O backend (io_backend: auto, epoll, io_uring).

The whole suite runs on both backends (`make test` on the default, io_uring
where the kernel allows it; `make test-epoll` forced to epoll).  Here: the
choice and its log line, and what only the io_uring backend has to get
right on its own (engine/uring.pyx): output queued when a connection closes
still reaches the peer, held input is bounded when a client sends without
reading (and, on both backends, pipelined requests are answered only as the
output drains), a peer's reset in the middle of a response, and a TLS listener
staying on epoll."""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fastwsgi import _core
from fastwsgi.engine.settings import EngineSettings
from tests.support import (
    Client,
    io_backend,
    memory_kb,
    read_until_closed,
    request,
    run_server,
    worker_pid,
)

APP = "tests.apps.basic:app"
AVAILABLE, WHY = _core.io_uring_probe()
needs_uring = pytest.mark.skipif(not AVAILABLE, reason=f"io_uring is not available here: {WHY}")


@pytest.fixture
def uring_server(tmp_path: Path) -> Iterator[object]:
    with run_server(APP, "--io-backend", "io_uring", tmp_path=tmp_path) as srv:
        yield srv


def test_io_backend_setting_is_validated() -> None:
    assert EngineSettings(io_backend="EPOLL").io_backend == "epoll"
    with pytest.raises(ValueError, match="io_backend"):
        EngineSettings(io_backend="kqueue")


def test_forced_epoll_says_so(tmp_path: Path) -> None:
    with run_server(APP, "--io-backend", "epoll", tmp_path=tmp_path) as srv:
        assert srv.request(request("/hello/x")).startswith(b"HTTP/1.1 200 ")
        assert io_backend(srv) == "epoll"
        assert "I/O backend: epoll (io_backend is epoll)" in srv.log_text()


def test_auto_takes_io_uring_where_the_kernel_allows(tmp_path: Path) -> None:
    with run_server(APP, "--io-backend", "auto", tmp_path=tmp_path) as srv:
        assert srv.request(request("/hello/x")).startswith(b"HTTP/1.1 200 ")
        if AVAILABLE:
            assert io_backend(srv) == "io_uring"
            assert "I/O backend: io_uring (the kernel allows it)" in srv.log_text()
        else:
            assert io_backend(srv) == "epoll"
            assert f"io_uring is not available ({WHY})" in srv.log_text()


@needs_uring
def test_large_response_then_close_arrives_whole(uring_server) -> None:
    # The connection is closed by the server as soon as the response is
    # queued: its bytes still go out before the socket is closed.
    size = 3_000_000
    for i in range(3):
        with uring_server.connect() as s:
            s.sendall(request(f"/big/x?size={size}&i={i}", headers="Connection: close\r\n"))
            raw = read_until_closed(s)
        head, _, body = raw.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 ") and len(body) == size, (head, len(body))
    assert io_backend(uring_server) == "io_uring"


@needs_uring
def test_client_sending_without_reading_is_bounded(uring_server) -> None:
    # A client pipelining requests for large responses and never reading:
    # the worker stops receiving once its held input and queued output are
    # full (as TCP's own backpressure stops it under epoll), so the client's
    # send blocks, the worker's memory stays bounded, and others are served.
    with Client(uring_server) as c:
        c.send(request("/hello/warm"))
        assert c.response().status == 200
    pid = worker_pid(uring_server)
    before = memory_kb(pid)["VmRSS"]
    flood = uring_server.connect(timeout=2)
    one = request("/big/x?size=100000")
    sent = 0
    try:
        with pytest.raises(socket.timeout):
            for _ in range(1_000_000):  # 40 MB of requests for 100 GB of responses
                flood.sendall(one)
                sent += len(one)
        with Client(uring_server) as other:
            other.send(request("/hello/meanwhile"))
            assert other.response().status == 200
        grown_mb = (memory_kb(pid)["VmRSS"] - before) / 1024
        assert grown_mb < 64, grown_mb
    finally:
        flood.close()
    # What the kernel's socket buffers take (a few MB on loopback), not more.
    assert sent < 20_000_000, sent


@pytest.mark.parametrize("backend", ["epoll", pytest.param("io_uring", marks=needs_uring)])
def test_a_burst_of_pipelined_requests_is_answered_within_the_output_bound(
        tmp_path: Path, backend: str) -> None:
    # 60 KB of small pipelined requests, for 50 KB responses each, in one
    # send: one read of the worker takes them all.  The answers (65 MB) are
    # produced only as the socket takes them (Connection._process stops at
    # HIGH_WATER pending bytes), not all at once into the write buffer; and
    # every one of them arrives, in order, once the client reads.
    one = request("/big/x?size=50000")
    count = 60_000 // len(one)
    with run_server(APP, "--io-backend", backend, tmp_path=tmp_path) as srv:
        with Client(srv) as c:
            c.send(request("/hello/warm"))
            assert c.response().status == 200
            pid = worker_pid(srv)
            before = memory_kb(pid)["VmRSS"]
            c.send(one * count)
            first = c.response()
            assert first.status == 200 and len(first.body) == 50_000
            grown_mb = (memory_kb(pid)["VmHWM"] - before) / 1024
            assert grown_mb < 16, grown_mb
            for _ in range(count - 1):
                r = c.response()
                assert r.status == 200 and len(r.body) == 50_000
            grown_mb = (memory_kb(pid)["VmHWM"] - before) / 1024
            assert grown_mb < 16, grown_mb
        assert io_backend(srv) == backend


@needs_uring
def test_peer_reset_in_the_middle_of_a_response(uring_server) -> None:
    assert uring_server.request(request("/hello/first")).startswith(b"HTTP/1.1 200 ")
    pid = worker_pid(uring_server)
    for _ in range(5):
        s = uring_server.connect()
        s.sendall(request("/big/x?size=5000000"))
        assert s.recv(1000).startswith(b"HTTP/1.1 200 ")
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()  # an RST while most of the response is queued
    with Client(uring_server) as c:
        c.send(request("/hello/after"))
        assert c.response().body == b"hello /hello/after"
    assert worker_pid(uring_server) == pid, "the worker died"


@needs_uring
def test_threads_are_woken_through_the_ring(tmp_path: Path) -> None:
    # --threads: the executor's eventfd is a multishot poll in the ring.
    with run_server(APP, "--io-backend", "io_uring", "--threads", "4",
                    tmp_path=tmp_path) as srv:
        started = time.monotonic()
        with Client(srv) as c:
            for i in range(20):
                c.send(request(f"/hello/{i}"))
                assert c.response().body == f"hello /hello/{i}".encode()
        assert time.monotonic() - started < 5
        assert io_backend(srv) == "io_uring"

"""The control server's HTTP layer on real sockets: routes, basic auth (plain
and {SHA}), the unix socket's mode, bounded heads and bodies, slow and hostile
clients, eviction at the connection cap, and streamed responses."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import socket
import stat
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from fastwsgi.control.auth import BasicAuth, make_auth
from fastwsgi.control.http import HTTPServer, Limits, Request, Response
from tests.support import dechunk, read_response, read_until_closed, wait_for
from tests.support.loop_thread import LoopThread, loop_thread


async def hello(request: Request) -> Response:
    return Response(200, b"hello " + request.body, content_type="text/plain")


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@contextmanager
def served(server: HTTPServer) -> Iterator[tuple[LoopThread, tuple[str, int]]]:
    with loop_thread() as lt:
        address = lt.run(server.serve_inet("127.0.0.1", 0))
        try:
            yield lt, address
        finally:
            lt.call(server.close)
            lt.run(server.wait_closed())


def make_server(**kw: object) -> HTTPServer:
    limits = kw.pop("limits", None)
    server = HTTPServer(limits=limits, **kw)  # type: ignore[arg-type]
    server.route("/hello", hello)
    return server


def request(address: tuple[str, int], raw: bytes, timeout: float = 5.0) -> bytes:
    with socket.create_connection(address, timeout=timeout) as s:
        s.sendall(raw)
        return read_response(s)


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1]) if response else 0


def test_routes_and_keep_alive() -> None:
    with (served(make_server()) as (_, address),
          socket.create_connection(address, timeout=5) as s):
        for body in (b"a", b"bb"):
            s.sendall(b"POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s"
                      % (len(body), body))
            reply = read_response(s)
            assert status_of(reply) == 200
            assert reply.endswith(b"hello " + body)
        s.sendall(b"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status_of(read_response(s)) == 404


def test_http10_closes_unless_keep_alive() -> None:
    with (served(make_server()) as (_, address),
          socket.create_connection(address, timeout=5) as s):
        s.sendall(b"GET /hello HTTP/1.0\r\n\r\n")
        data = read_until_closed(s)
        assert b"Connection: close" in data and data.endswith(b"hello ")


@pytest.mark.parametrize("stored", ["s3cret", "{SHA}" + hashlib.sha1(b"s3cret").hexdigest()])
def test_basic_auth(stored: str) -> None:
    server = make_server(auth=make_auth("admin", stored))
    with served(server) as (_, address):
        ok = request(address, b"GET /hello HTTP/1.1\r\nAuthorization: %s\r\n\r\n"
                     % basic("admin", "s3cret").encode())
        assert status_of(ok) == 200
        for header in (b"", b"Authorization: " + basic("admin", "wrong").encode() + b"\r\n",
                       b"Authorization: " + basic("root", "s3cret").encode() + b"\r\n",
                       b"Authorization: Basic !!!\r\n", b"Authorization: Digest x\r\n"):
            with socket.create_connection(address, timeout=5) as s:
                s.sendall(b"GET /hello HTTP/1.1\r\n" + header + b"\r\n")
                denied = read_until_closed(s)  # 401, then the server closes
            assert status_of(denied) == 401
            assert b"hello" not in denied
            assert b'WWW-Authenticate: Basic realm="default"' in denied


def test_auth_is_checked_before_the_body_is_read() -> None:
    server = make_server(auth=BasicAuth("u", "p"))
    with served(server) as (_, address), socket.create_connection(address, timeout=5) as s:
        s.sendall(b"POST /hello HTTP/1.1\r\nContent-Length: 100000000\r\n\r\n")
        assert status_of(read_until_closed(s)) == 401


def test_route_without_auth() -> None:
    server = make_server(auth=BasicAuth("u", "p"))
    server.route("/open", hello, auth=False)
    with served(server) as (_, address):
        assert status_of(request(address, b"GET /open HTTP/1.1\r\n\r\n")) == 200
        assert status_of(request(address, b"GET /hello HTTP/1.1\r\n\r\n")) == 401


def test_prefix_routes_longest_first() -> None:
    server = HTTPServer()

    async def which(name: str, request: Request) -> Response:
        return Response(200, f"{name} {request.path}".encode())

    server.route("/logtail", lambda r: which("tail", r), prefix=True)
    server.route("/logtail/special", lambda r: which("special", r), prefix=True)
    with served(server) as (_, address):
        assert request(address, b"GET /logtail/a%3Ab HTTP/1.1\r\n\r\n").endswith(
            b"tail /logtail/a:b")
        assert request(address, b"GET /logtail/special/x HTTP/1.1\r\n\r\n").endswith(
            b"special /logtail/special/x")


@pytest.mark.parametrize("raw, status", [
    (b"\x16\x03\x01\x02\x00garbage\r\n\r\n", 400),
    (b"GET /hello HTTP/2.0\r\n\r\n", 505),
    (b"GET /hello HTTP/1.1\r\n folded\r\n\r\n", 400),
    (b"GET /hello HTTP/1.1\r\nNo colon here\r\n\r\n", 400),
    (b"POST /hello HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
    (b"POST /hello HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
    (b"POST /hello HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 411),
    (b"GET /hello HTTP/1.1\r\nX: " + b"a" * 20000 + b"\r\n\r\n", 431),
    (b"GET /hello HTTP/1.1\r\n" + b"X: a\r\n" * 101 + b"\r\n", 431),
])
def test_bad_requests_are_refused_and_closed(raw: bytes, status: int) -> None:
    with (served(make_server()) as (_, address),
          socket.create_connection(address, timeout=5) as s):
        s.sendall(raw)
        assert status_of(read_until_closed(s)) == status


def test_huge_body_refused_unread() -> None:
    server = make_server(limits=Limits(max_body_bytes=1000))
    with served(server) as (_, address), socket.create_connection(address, timeout=5) as s:
        s.sendall(b"POST /hello HTTP/1.1\r\nContent-Length: 1001\r\n\r\n")
        assert status_of(read_until_closed(s)) == 413


def test_expect_100_continue() -> None:
    with (served(make_server()) as (_, address),
          socket.create_connection(address, timeout=5) as s):
        s.sendall(b"POST /hello HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        assert s.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        s.sendall(b"ok")
        assert read_response(s).endswith(b"hello ok")


def test_slowloris_times_out_while_others_are_served() -> None:
    server = make_server(limits=Limits(header_timeout=0.5))
    with served(server) as (_, address):
        slow = socket.create_connection(address, timeout=5)
        slow.sendall(b"GET /hello HTTP/1.1\r\n")
        started = time.monotonic()
        for _ in range(5):  # the slow client trickles; others are answered at once
            slow.sendall(b"X")
            t0 = time.monotonic()
            assert status_of(request(address, b"GET /hello HTTP/1.1\r\n\r\n")) == 200
            assert time.monotonic() - t0 < 0.25
        assert status_of(read_until_closed(slow)) == 408
        assert time.monotonic() - started < 3
        slow.close()


def test_slow_body_times_out() -> None:
    server = make_server(limits=Limits(body_timeout=0.3))
    with served(server) as (_, address), socket.create_connection(address, timeout=5) as s:
        s.sendall(b"POST /hello HTTP/1.1\r\nContent-Length: 10\r\n\r\nab")
        assert status_of(read_until_closed(s)) == 408


def test_idle_keep_alive_closes() -> None:
    server = make_server(limits=Limits(keepalive_timeout=0.3))
    with served(server) as (_, address), socket.create_connection(address, timeout=5) as s:
        s.sendall(b"GET /hello HTTP/1.1\r\n\r\n")
        read_response(s)
        t0 = time.monotonic()
        assert read_until_closed(s) == b""
        assert time.monotonic() - t0 < 3


def test_connection_cap_evicts_the_oldest_waiting() -> None:
    server = make_server(limits=Limits(max_connections=8))
    with served(server) as (lt, address):
        idle = [socket.create_connection(address, timeout=5) for _ in range(8)]
        idle[0].sendall(b"GET /hel")  # a head begun and never finished
        assert wait_for(lambda: lt.call(lambda: len(server._connections)) == 8)
        for _ in range(3):
            assert status_of(request(address, b"GET /hello HTTP/1.1\r\n\r\n")) == 200
        assert read_until_closed(idle[0], 3) == b""  # the oldest went first
        for s in idle:
            s.close()


def test_unix_socket_mode_and_stale_socket(tmp_path: Path) -> None:
    path = str(tmp_path / "ctl.sock")
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(path)
    stale.close()  # a socket file nobody listens on
    server = make_server()
    with loop_thread() as lt:
        lt.run(server.serve_unix(path, chmod=0o660))
        try:
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o660
            assert stat.S_ISSOCK(os.stat(path).st_mode)
            assert sorted(os.listdir(tmp_path)) == ["ctl.sock"]  # no temporary name left
            with socket.socket(socket.AF_UNIX) as s:
                s.settimeout(5)
                s.connect(path)
                s.sendall(b"GET /hello HTTP/1.1\r\n\r\n")
                assert status_of(read_response(s)) == 200
            second = make_server()
            with pytest.raises(OSError, match="already listening"):
                lt.run(second.serve_unix(path))
        finally:
            lt.call(server.close)
            lt.run(server.wait_closed())


def test_streamed_response_chunked_and_closed_by_the_client() -> None:
    closed = asyncio.Event()

    async def ticks(request: Request) -> Response:
        async def gen() -> AsyncIterator[bytes]:
            try:
                yield b"first\n"
                yield b""
                yield b"second\n"
                while True:
                    await asyncio.sleep(0.02)
                    yield b""
            finally:
                closed.set()
        return Response(200, content_type="text/plain", stream=gen())

    async def finite(request: Request) -> Response:
        async def gen() -> AsyncIterator[bytes]:
            yield b"a"
            yield b"b"
        return Response(200, stream=gen())

    server = HTTPServer()
    server.route("/tail", ticks)
    server.route("/finite", finite)
    with served(server) as (lt, address):
        with socket.create_connection(address, timeout=5) as s:
            s.sendall(b"GET /finite HTTP/1.1\r\n\r\n")
            reply = read_response(s)
            assert b"Transfer-Encoding: chunked" in reply
            assert dechunk(reply.partition(b"\r\n\r\n")[2]) == b"ab"
        with socket.create_connection(address, timeout=5) as s:
            s.sendall(b"GET /finite HTTP/1.0\r\n\r\n")
            assert read_until_closed(s).endswith(b"\r\n\r\nab")
        s = socket.create_connection(address, timeout=5)
        s.sendall(b"GET /tail HTTP/1.1\r\n\r\n")
        data = b""
        while b"second" not in data:
            data += s.recv(1000)
        s.close()

        async def wait_closed() -> None:
            await asyncio.wait_for(closed.wait(), 5)
        lt.run(wait_closed())


def test_handler_error_is_500() -> None:
    async def broken(request: Request) -> Response:
        raise ValueError("boom")

    server = HTTPServer()
    server.route("/broken", broken)
    with served(server) as (_, address), socket.create_connection(address, timeout=5) as s:
        s.sendall(b"GET /broken HTTP/1.1\r\n\r\n")
        reply = read_until_closed(s)
        assert status_of(reply) == 500 and b"boom" not in reply

"""README's "Differences from gunicorn", the lines no other test sends bytes
for, raw bytes in and out of a real server:

- hop-by-hop response headers the app sets are dropped (gunicorn's list:
  Connection, Keep-Alive, Proxy-Authenticate, Proxy-Authorization, TE,
  Trailers, Transfer-Encoding, Upgrade) and the connection is kept; the app's
  ``Connection: close`` is obeyed (said, and the connection closed);
- request bodies are read by the event loop before the app is called: a
  client that sends half a body and stalls holds no worker (one sync worker
  answers another client meanwhile), and the app then gets the whole body with
  ``wsgi.input_terminated`` set."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.support import ServerProcess, run_server, take_response

APP = "tests.apps.fidelity:app"
HOP_BY_HOP = ("Connection: keep-alive", "Keep-Alive: timeout=5", "Proxy-Authenticate: Basic",
              "Proxy-Authorization: Basic eA==", "TE: trailers", "Trailers: X-T",
              "Transfer-Encoding: gzip", "Upgrade: h2c")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with run_server(APP, "--workers", "1", tmp_path=tmp_path_factory.mktemp("fidelity")) as srv:
        yield srv


def _receive(s: socket.socket, buf: bytearray) -> tuple[bytes, bytes]:
    """The next response on `s`: its raw head (status line and fields) and body."""
    while True:
        taken = take_response(bytes(buf))
        if taken is not None:
            response, rest = taken
            buf[:] = rest
            return response.raw.partition(b"\r\n\r\n")[0] + b"\r\n\r\n", response.body
        data = s.recv(65536)
        assert data, f"closed before a whole response: {bytes(buf)!r}"
        buf += data


def _headers(query: str) -> bytes:
    return f"GET /headers?{query} HTTP/1.1\r\nHost: x\r\n\r\n".encode()


@pytest.mark.parametrize("header", HOP_BY_HOP)
def test_hop_by_hop_headers_of_the_app_are_dropped(server: ServerProcess, header: str) -> None:
    name = header.split(":")[0]
    with server.connect() as s:
        buf = bytearray()
        s.sendall(_headers(f"h={header.replace(' ', '')}&h=X-Kept:yes"))
        head, body = _receive(s, buf)
        assert head.startswith(b"HTTP/1.1 200 OK\r\n") and body == b"ok", head
        fields = [line.split(b":")[0].lower() for line in head.split(b"\r\n")[1:] if line]
        assert b"x-kept" in fields
        assert name.lower().encode() not in fields, head  # none of the app's
        assert b"Content-Length: 2\r\n" in head  # the server's framing, not gzip
        # The connection is kept: the next request on it is answered.
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _receive(s, buf)[1] == b"hello"


def test_the_apps_connection_close_is_obeyed(server: ServerProcess) -> None:
    with server.connect() as s:
        buf = bytearray()
        s.sendall(_headers("h=Connection:close") + b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        head, body = _receive(s, buf)
        assert b"\r\nConnection: close\r\n" in head and body == b"ok", head
        while data := s.recv(65536):  # closed; the pipelined request is not answered
            buf += data
        assert not buf, bytes(buf)


def test_a_stalled_upload_holds_no_worker(server: ServerProcess) -> None:
    body = b"x" * 100_000
    with server.connect() as slow:
        slow.sendall(b"POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)
                     + body[:50_000])
        # The one sync worker serves another client while this body is half here.
        with server.connect() as other:
            other.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert _receive(other, bytearray())[1] == b"hello"
        slow.sendall(body[50_000:])
        head, answer = _receive(slow, bytearray())
        assert head.startswith(b"HTTP/1.1 200 OK\r\n"), head
        assert answer == b"100000 True"

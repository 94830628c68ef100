"""Hostile clients on a TLS listener: garbage, plain HTTP, a handshake that
stops half-way, floods of slow handshakes and idle sockets, slowloris after
the handshake, a slow reader, a disconnect storm.  Each time, a good client
beside them is served, and the bad ones are closed by header_timeout."""

from __future__ import annotations

import os
import socket
import ssl
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import ServerProcess, read_until_closed, run_server
from tests.tls.tlsclient import body_of, client_context, get, tls_connect, tls_request

APP = "tests.apps.basic:app"
HEADER_TIMEOUT = 1


@pytest.fixture(scope="module")
def srv(pki: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with run_server(APP, "--certfile", str(pki / "server.pem"), "--keyfile",
                    str(pki / "server.key"), "--header-timeout", str(HEADER_TIMEOUT),
                    "--workers", "1", tmp_path=tmp_path_factory.mktemp("hostile")) as server:
        yield server


def good_client_is_served(srv: ServerProcess, pki: Path, within: float = 2.0) -> None:
    t0 = time.monotonic()
    assert body_of(tls_request(srv, pki, get("/hello/good"))) == b"hello /hello/good"
    assert time.monotonic() - t0 < within


def client_hello(pki: Path) -> bytes:
    """The first flight of a real TLS client, as bytes."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = client_context(pki).wrap_bio(incoming, outgoing, server_hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        obj.do_handshake()
    return outgoing.read()


def closed_by_server(s: socket.socket, within: float) -> bool:
    s.settimeout(within)
    try:
        while s.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


@pytest.mark.parametrize("garbage", [
    os.urandom(3000),
    b"\x16\x03\x01\xff\xff" + b"\x00" * 200,  # a record header that lies about its length
    b"\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00",  # a ClientHello too short to be one
], ids=["random", "huge-record", "truncated-hello"])
def test_garbage_is_closed_and_the_worker_serves_on(srv: ServerProcess, pki: Path,
                                                    garbage: bytes) -> None:
    with socket.create_connection(srv.address, timeout=10) as s:
        s.sendall(garbage)
        data = read_until_closed(s, HEADER_TIMEOUT + 3)
    assert not data.startswith(b"HTTP/")
    good_client_is_served(srv, pki)


def test_plain_http_on_the_tls_port_is_refused(srv: ServerProcess, pki: Path) -> None:
    with socket.create_connection(srv.address, timeout=10) as s:
        s.sendall(get("/hello/plain", close=True))
        data = read_until_closed(s, HEADER_TIMEOUT + 3)
    assert b"hello" not in data and not data.startswith(b"HTTP/")  # never plain text
    good_client_is_served(srv, pki)


def test_a_handshake_stopped_half_way_is_closed_by_the_header_timeout(
        srv: ServerProcess, pki: Path) -> None:
    hello = client_hello(pki)
    with socket.create_connection(srv.address, timeout=10) as s:
        s.sendall(hello[: len(hello) // 2])
        t0 = time.monotonic()
        assert closed_by_server(s, HEADER_TIMEOUT + 3)
        assert HEADER_TIMEOUT - 0.1 <= time.monotonic() - t0 < HEADER_TIMEOUT + 2.5
    good_client_is_served(srv, pki)


@pytest.mark.parametrize("first_bytes", ["nothing", "half-hello"])
def test_flood_of_slow_handshakes_beside_a_good_client(srv: ServerProcess, pki: Path,
                                                       first_bytes: str) -> None:
    hello = client_hello(pki)
    flood = []
    try:
        for _ in range(300):
            s = socket.create_connection(srv.address, timeout=10)
            if first_bytes == "half-hello":
                s.sendall(hello[:40])
            flood.append(s)
        for _ in range(5):
            good_client_is_served(srv, pki)
        t0 = time.monotonic()
        for s in flood:
            assert closed_by_server(s, max(0.1, HEADER_TIMEOUT + 4 - (time.monotonic() - t0)))
    finally:
        for s in flood:
            s.close()
    good_client_is_served(srv, pki)


def test_slowloris_after_the_handshake(srv: ServerProcess, pki: Path) -> None:
    with tls_connect(srv, pki) as s:
        s.sendall(b"GET /hello/x HTTP/1.1\r\nHost: localhost\r\n")
        t0 = time.monotonic()
        closed = False
        while time.monotonic() - t0 < HEADER_TIMEOUT + 4:
            try:
                s.sendall(b"X")
                s.settimeout(0.2)
                if s.recv(1024) == b"":
                    closed = True
                    break
            except (TimeoutError, ssl.SSLWantReadError):
                continue
            except (OSError, ssl.SSLError):
                closed = True
                break
        assert closed
    good_client_is_served(srv, pki)


def test_a_slow_reader_does_not_hold_the_others(srv: ServerProcess, pki: Path) -> None:
    with tls_connect(srv, pki) as slow:
        slow.sendall(get("/big?size=20000000"))
        for _ in range(5):
            good_client_is_served(srv, pki)
        slow.settimeout(10)
        assert slow.recv(100).startswith(b"HTTP/1.1 200 ")


def test_disconnect_storm(srv: ServerProcess, pki: Path) -> None:
    hello = client_hello(pki)
    for i in range(200):
        s = socket.create_connection(srv.address, timeout=10)
        if i % 2:
            s.sendall(hello)
        # RST instead of FIN: SO_LINGER with a zero timeout.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    for i in range(50):  # some after a complete handshake, mid-request
        s = tls_connect(srv, pki)
        s.sendall(b"GET /hello/x HTTP/1.1\r\nHost: loc")
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    good_client_is_served(srv, pki)
    assert srv.proc.poll() is None

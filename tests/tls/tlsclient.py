"""A TLS client for the tests: Python's ssl over the support module's sockets."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

from tests.support import ServerProcess, read_response

TIMEOUT = 10.0


def client_context(pki: Path, cert: str | None = None) -> ssl.SSLContext:
    """Trusts the test CA; presents `cert` (client, rogue-client) when given."""
    ctx = ssl.create_default_context(cafile=str(pki / "ca.pem"))
    ctx.set_alpn_protocols(["http/1.1"])
    if cert:
        ctx.load_cert_chain(str(pki / f"{cert}.pem"), str(pki / f"{cert}.key"))
    return ctx


def tls_connect(srv: ServerProcess, pki: Path, cert: str | None = None,
                timeout: float = TIMEOUT) -> ssl.SSLSocket:
    raw = socket.create_connection(srv.address, timeout=timeout)
    return client_context(pki, cert).wrap_socket(raw, server_hostname="localhost",
                                                 suppress_ragged_eofs=False)


def tls_request(srv: ServerProcess, pki: Path, raw: bytes, cert: str | None = None) -> bytes:
    with tls_connect(srv, pki, cert) as s:
        s.sendall(raw)
        return read_response(s)  # type: ignore[arg-type]


def get(path: str, close: bool = False) -> bytes:
    extra = b"Connection: close\r\n" if close else b""
    return b"GET " + path.encode() + b" HTTP/1.1\r\nHost: localhost\r\n" + extra + b"\r\n"


def body_of(response: bytes) -> bytes:
    return response.partition(b"\r\n\r\n")[2]

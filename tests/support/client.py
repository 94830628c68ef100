"""The one raw client: an HTTP/1.x connection to a live server, byte for byte."""

from __future__ import annotations

import socket
import struct
import time
from typing import Self

from tests.support.http import Response, close_delimited, parse_head, take_response
from tests.support.server import TIMEOUT, ServerProcess


class Client:
    """One raw HTTP/1.x connection to a live server.  ``response()`` parses
    the next response and keeps any bytes read past it; ``reads`` counts
    recv() calls."""

    def __init__(self, server: ServerProcess, timeout: float = TIMEOUT):
        self.sock = server.connect(timeout)
        self.buf = b""
        self.reads = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _recv(self) -> bool:
        chunk = self.sock.recv(1 << 20)
        self.reads += 1
        self.buf += chunk
        return bool(chunk)

    def response(self, head: bool = False) -> Response:
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0 and close_delimited(*parse_head(self.buf[:end]), head):
                while self._recv():
                    pass
            taken = take_response(self.buf, head)
            if taken is not None:
                response, self.buf = taken
                return response
            if not self._recv():
                raise AssertionError(f"connection closed mid-response: {self.buf[:500]!r}")

    def read_to_eof(self) -> bytes:
        """Everything until the server closes (an RST counts as a close)."""
        try:
            while self._recv():
                pass
        except ConnectionResetError:
            pass
        data, self.buf = self.buf, b""
        return data

    def closed_within(self, seconds: float) -> bool:
        """Whether the server closes the connection, sending nothing more,
        within ``seconds``."""
        self.sock.settimeout(seconds)
        try:
            return self.read_to_eof() == b""
        except TimeoutError:
            return False

    def reset(self) -> None:
        """Vanish: close with an RST (SO_LINGER 0), unread data and all."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


def read_until_closed(s: socket.socket, deadline: float = TIMEOUT) -> bytes:
    """Everything the peer sends until it closes (or the deadline passes)."""
    s.settimeout(deadline)
    data = b""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        data += chunk
    return data

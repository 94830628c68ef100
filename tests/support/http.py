"""The one HTTP/1.x response reader of the tests, and request heads.

``take_response`` cuts the first complete response out of a buffer, framed as
a client must: no body for HEAD, 1xx, 204 and 304; chunked (trailers
skipped); Content-Length; else delimited by the connection's end (the whole
buffer, so read to EOF first: ``receive_response`` does).  ``Response.raw``
is the response exactly as it was on the wire.
"""

from __future__ import annotations

import socket
from collections.abc import Collection
from dataclasses import dataclass

RECV_SIZE = 1 << 16


@dataclass
class Response:
    """One parsed HTTP response: ``body`` is de-chunked when it was chunked."""

    status: int
    headers: dict[str, str]  # lower-case names; repeats joined with ", "
    body: bytes
    raw: bytes  # the response exactly as it was on the wire


def request(target: str, version: str = "1.1", headers: str = "", method: str = "GET") -> bytes:
    """A request head: ``METHOD TARGET HTTP/VERSION``, Host, ``headers``
    (``"Name: value\\r\\n"`` lines)."""
    return f"{method} {target} HTTP/{version}\r\nHost: test\r\n{headers}\r\n".encode("latin-1")


def parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        key = name.strip().lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    return int(lines[0].split()[1]), headers


def has_body(status: int, head: bool) -> bool:
    return not (head or status in (204, 304) or status < 200)


def close_delimited(status: int, headers: dict[str, str], head: bool) -> bool:
    return (has_body(status, head) and "content-length" not in headers
            and headers.get("transfer-encoding", "").lower() != "chunked")


def take_response(buf: bytes, head: bool = False) -> tuple[Response, bytes] | None:
    """The first complete response in ``buf`` and the bytes after it, or None
    if it is not all there.  ``head``: the request was HEAD (no body).  A
    body delimited by the connection's end is everything in ``buf``."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    status, headers = parse_head(buf[:end])
    pos = end + 4
    body = b""
    if not has_body(status, head):
        pass
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            eol = buf.find(b"\r\n", pos)
            if eol < 0:
                return None
            size = int(buf[pos:eol].split(b";")[0], 16)
            if size == 0:
                trailer_end = buf.find(b"\r\n\r\n", eol)  # past any trailers
                if trailer_end < 0:
                    return None
                pos = trailer_end + 4
                break
            if len(buf) < eol + 2 + size + 2:
                return None
            body += buf[eol + 2:eol + 2 + size]
            pos = eol + 2 + size + 2
    elif "content-length" in headers:
        n = int(headers["content-length"])
        if len(buf) < pos + n:
            return None
        body, pos = buf[pos:pos + n], pos + n
    else:
        body, pos = buf[pos:], len(buf)
    return Response(status, headers, body, buf[:pos]), buf[pos:]


def parse_response(raw: bytes, head: bool = False) -> Response:
    """Exactly one complete response."""
    taken = take_response(raw, head)
    assert taken is not None, f"incomplete response: {raw[:500]!r}"
    response, rest = taken
    assert rest == b"", f"bytes after the response: {rest[:200]!r}"
    return response


def split_responses(data: bytes, head_at: Collection[int] = ()) -> tuple[list[Response], bytes]:
    """Every complete response in ``data``, and the bytes that did not make a
    whole one.  ``head_at``: indexes of the final (non-1xx) responses that
    answer HEAD, which have no body."""
    out: list[Response] = []
    final = 0
    while data:
        taken = take_response(data, head=final in head_at)
        if taken is None:
            break
        response, data = taken
        out.append(response)
        if response.status >= 200:
            final += 1
    return out, data


class IncompleteResponse(ConnectionError):
    """The peer closed in the middle of a response; ``data`` is what came."""

    def __init__(self, data: bytes) -> None:
        super().__init__(f"connection closed mid-response: {data[:500]!r}")
        self.data = data


def receive_response(sock: socket.socket, buf: bytes = b"",
                     head: bool = False) -> tuple[Response, bytes] | None:
    """Read one response from ``sock`` (``buf``: bytes already read); the
    response and what was read past it.  None if the peer closed before any
    byte of it; IncompleteResponse if it closed in the middle."""
    while True:
        end = buf.find(b"\r\n\r\n")
        if end >= 0 and close_delimited(*parse_head(buf[:end]), head):
            while chunk := sock.recv(RECV_SIZE):
                buf += chunk
        taken = take_response(buf, head)
        if taken is not None:
            return taken
        chunk = sock.recv(RECV_SIZE)
        if not chunk:
            if not buf:
                return None
            raise IncompleteResponse(buf)
        buf += chunk


def read_response(s: socket.socket, head_only: bool = False) -> bytes:
    """One response's bytes as they came (``head_only``: once the head is in)."""
    if head_only:
        data = b""
        while b"\r\n\r\n" not in data and (chunk := s.recv(RECV_SIZE)):
            data += chunk
        return data
    try:
        taken = receive_response(s)
    except IncompleteResponse as exc:  # what arrived, for the caller's assertion
        return exc.data
    return b"" if taken is None else taken[0].raw


def dechunk(body: bytes) -> bytes:
    """Decode a chunked body (trailers skipped)."""
    taken = take_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
    assert taken is not None, f"incomplete chunked body: {body[:200]!r}"
    return taken[0].body

"""A small HTTP/1.1 server for the master's asyncio loop: the control server.

It carries supervisor's XML-RPC (``/RPC2``), the log tails, ``/metrics`` and
the status page. It runs inside the master, so its one rule is that no client
can cost the master anything that matters:

- a request head must arrive whole within ``header_timeout`` and fit in
  ``max_header_bytes`` / ``max_headers`` (slowloris and header floods end
  there); a body must fit in ``max_body_bytes`` and arrive within
  ``body_timeout``; an idle keep-alive connection closes after
  ``keepalive_timeout``; a client that stops reading a response is dropped
  after ``write_timeout``;
- credentials are checked from the head, before a byte of the body is read: a
  client without them gets ``401`` and the connection closes;
- at most ``max_connections`` at once. A new connection beyond that evicts the
  connection that has waited longest for its next request head (a slow or idle
  client), so hostile clients cannot lock an operator out; only when every
  connection is busy in a handler is the newcomer closed.

Handlers are coroutines ``handler(request) -> Response``. A response has either
a bytes body (sent with Content-Length) or a ``stream``: an async iterator of
bytes sent chunked (HTTP/1.1) or close-delimited (HTTP/1.0). A stream should
yield ``b""`` now and then while it has nothing to send (a tail polling its
file does, at each poll): the server uses those ticks to notice a client that
went away and closes the stream.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import unquote

from fastwsgi.control.auth import BasicAuth
from fastwsgi.control.listen import bind_inet, bind_unix

REASONS = {
    100: "Continue", 200: "OK", 204: "No Content", 303: "See Other", 400: "Bad Request",
    401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    408: "Request Timeout", 411: "Length Required", 413: "Payload Too Large",
    431: "Request Header Fields Too Large", 500: "Internal Server Error",
    501: "Not Implemented", 503: "Service Unavailable", 505: "HTTP Version Not Supported",
}

# RFC 9110 §5.6.2: token = 1*tchar; request-line = method SP request-target SP HTTP-version
_TOKEN = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_REQUEST_LINE = re.compile(rb"(" + _TOKEN + rb") ([^ \x00-\x1f\x7f]+) HTTP/(1\.[01])")
_HEADER_NAME = re.compile(_TOKEN)
_CRLF2 = b"\r\n\r\n"
# The largest body read (and dropped) to answer a refused request cleanly.
SKIP_BODY_BYTES = 65536


class Limits:
    """Bounds on what one client may cost; the defaults suit a control socket."""

    def __init__(self, *, max_header_bytes: int = 16384, max_headers: int = 100,
                 max_body_bytes: int = 4 * 1024 * 1024, header_timeout: float = 10.0,
                 body_timeout: float = 30.0, keepalive_timeout: float = 60.0,
                 write_timeout: float = 30.0, max_connections: int = 128) -> None:
        self.max_header_bytes = max_header_bytes
        self.max_headers = max_headers
        self.max_body_bytes = max_body_bytes
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self.keepalive_timeout = keepalive_timeout
        self.write_timeout = write_timeout
        self.max_connections = max_connections


class Request:
    """One parsed request. ``headers`` has lower-case names (the last of
    repeated names wins, except Content-Length, which must agree)."""

    __slots__ = ("body", "headers", "method", "path", "peer", "query", "target", "version")

    def __init__(self, method: str, target: str, version: str,
                 headers: dict[str, str], peer: Any) -> None:
        self.method = method
        self.target = target
        raw_path, _, self.query = target.partition("?")
        self.path = unquote(raw_path)
        self.version = version
        self.headers = headers
        self.body = b""
        self.peer = peer

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    @property
    def keep_alive(self) -> bool:
        connection = self.headers.get("connection", "").lower()
        if self.version == "1.0":
            return "keep-alive" in connection
        return "close" not in connection


class Response:
    """What a handler answers: a status, headers and a body or a stream."""

    __slots__ = ("body", "headers", "status", "stream")

    def __init__(self, status: int = 200, body: bytes = b"",
                 headers: list[tuple[str, str]] | None = None,
                 content_type: str | None = None,
                 stream: AsyncIterator[bytes] | None = None) -> None:
        self.status = status
        self.headers = list(headers or [])
        if content_type is not None:
            self.headers.append(("Content-Type", content_type))
        self.body = body
        self.stream = stream


def error_response(status: int) -> Response:
    text = f"{status} {REASONS.get(status, 'Error')}\n".encode()
    return Response(status, text, content_type="text/plain")


Handler = Callable[[Request], Awaitable[Response]]


class _Route:
    __slots__ = ("auth", "handler", "methods", "path", "prefix")

    def __init__(self, path: str, handler: Handler, prefix: bool, auth: bool,
                 methods: frozenset[str] | None) -> None:
        self.path = path
        self.handler = handler
        self.prefix = prefix
        self.auth = auth
        self.methods = methods


class _Closing(Exception):
    """Answer ``status`` (if any) and close the connection."""

    def __init__(self, status: int | None) -> None:
        super().__init__(status)
        self.status = status


class _Connection:
    __slots__ = ("task", "waiting")

    def __init__(self, task: asyncio.Task[None]) -> None:
        self.task = task
        self.waiting = True  # between requests: may be evicted for a newcomer


class HTTPServer:
    """Routes, credentials and limits, served on any number of listeners."""

    def __init__(self, *, auth: BasicAuth | None = None, limits: Limits | None = None,
                 log: logging.Logger | None = None) -> None:
        self.auth = auth
        self.limits = limits or Limits()
        self.log = log or logging.getLogger("fastwsgi.error")
        self._exact: dict[str, _Route] = {}
        self._prefixes: list[_Route] = []
        self._servers: list[asyncio.AbstractServer] = []
        self._connections: dict[asyncio.Task[None], _Connection] = {}
        self.addresses: list[Any] = []
        self._unix_paths: list[tuple[str, int]] = []

    # --- routes ---------------------------------------------------------------
    def route(self, path: str, handler: Handler, *, prefix: bool = False, auth: bool = True,
              methods: tuple[str, ...] | None = None) -> None:
        """Serve ``path`` (or every path under it, with ``prefix``) by ``handler``.
        ``auth=False`` serves it without credentials even on a server that has them."""
        entry = _Route(path, handler, prefix, auth, frozenset(methods) if methods else None)
        if prefix:
            self._prefixes.append(entry)
            self._prefixes.sort(key=lambda r: len(r.path), reverse=True)
        else:
            self._exact[path] = entry

    def _find(self, path: str) -> _Route | None:
        found = self._exact.get(path)
        if found is not None:
            return found
        for entry in self._prefixes:
            if path.startswith(entry.path):
                return entry
        return None

    # --- listeners ------------------------------------------------------------
    async def serve_unix(self, path: str, chmod: int = 0o700,
                         chown: tuple[int, int] | None = None) -> None:
        """Listen on a unix socket whose mode and owner are set before it accepts."""
        sock = bind_unix(path, chmod, chown)
        await self.serve_socket(sock, unix_path=path)

    async def serve_inet(self, host: str, port: int) -> tuple[str, int]:
        """Listen on host:port (port 0: any free port); returns the bound address."""
        sock = bind_inet(host, port)
        await self.serve_socket(sock)
        address = sock.getsockname()
        return address[0], address[1]

    async def serve_socket(self, sock: socket.socket, unix_path: str | None = None) -> None:
        """Serve on a socket that is already bound and listening (a unix
        socket's file, ``unix_path``, is removed when the server stops)."""
        limit = self.limits.max_header_bytes
        if sock.family == socket.AF_UNIX:
            server = await asyncio.start_unix_server(self._accept, sock=sock, limit=limit)
        else:
            server = await asyncio.start_server(self._accept, sock=sock, limit=limit)
        self._servers.append(server)
        self.addresses.append(sock.getsockname())
        if unix_path is not None:
            self._unix_paths.append((unix_path, os.stat(unix_path).st_ino))

    def close(self) -> None:
        """Stop listening and drop every connection (streams included)."""
        for server in self._servers:
            server.close()
        self._remove_sockets()
        for task in list(self._connections):
            task.cancel()

    def _remove_sockets(self) -> None:
        """Unlink our unix sockets (as supervisord at exit), unless another
        server has replaced the file since."""
        for path, ino in self._unix_paths:
            try:
                if os.stat(path).st_ino == ino:
                    os.unlink(path)
            except OSError:
                pass
        self._unix_paths.clear()

    async def shutdown(self, grace: float = 1.0) -> None:
        """Stop listening, drop idle connections, give the ones answering
        (a shutdown request's own answer, say) ``grace`` seconds, then drop
        every one left (streams included)."""
        for server in self._servers:
            server.close()
        self._remove_sockets()
        for task, conn in list(self._connections.items()):
            if conn.waiting:
                task.cancel()
        busy = list(self._connections)
        if busy:
            await asyncio.wait(busy, timeout=grace)
        for task in list(self._connections):
            task.cancel()
        await self.wait_closed()

    async def wait_closed(self) -> None:
        """Wait for the connections (cancelled by close()) and the listeners to end."""
        tasks = list(self._connections)
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()

    # --- connections ------------------------------------------------------------
    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        if len(self._connections) >= self.limits.max_connections and not self._evict():
            writer.close()
            return
        conn = _Connection(task)
        self._connections[task] = conn
        try:
            await self._serve(reader, writer, conn)
        except (asyncio.CancelledError, ConnectionError, asyncio.IncompleteReadError,
                TimeoutError):
            pass
        except Exception:
            self.log.exception("control server: connection failed")
        finally:
            del self._connections[task]
            writer.close()

    def _evict(self) -> bool:
        """Cancel the connection waiting longest for a request head (dicts keep
        insertion order, so the first waiting one is the oldest)."""
        for task, conn in self._connections.items():
            if conn.waiting:
                conn.waiting = False
                task.cancel()
                return True
        return False

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                     conn: _Connection) -> None:
        peer = writer.get_extra_info("peername")
        first = True
        while True:
            conn.waiting = True
            try:
                request = await self._read_head(reader, peer, first)
            except _Closing as closing:
                if closing.status is not None:
                    await self._send(reader, writer, None, error_response(closing.status),
                                     close=True)
                return
            if request is None:
                return
            first = False
            conn.waiting = False
            response, close = await self._handle(reader, writer, request)
            close = close or not request.keep_alive
            await self._send(reader, writer, request, response, close)
            if close:
                return

    async def _read_head(self, reader: asyncio.StreamReader, peer: Any,
                         first: bool) -> Request | None:
        limits = self.limits
        # An idle keep-alive connection may wait longer for its next request
        # than a request head may take to arrive once it has begun.
        try:
            async with asyncio.timeout(limits.keepalive_timeout if not first
                                       else limits.header_timeout):
                start = await reader.read(1)
        except TimeoutError:
            raise _Closing(None) from None
        if not start:
            return None
        try:
            async with asyncio.timeout(limits.header_timeout):
                head = start + await reader.readuntil(_CRLF2)
        except TimeoutError:
            raise _Closing(408) from None
        except asyncio.LimitOverrunError:
            raise _Closing(431) from None
        except asyncio.IncompleteReadError:
            return None
        if len(head) > limits.max_header_bytes:
            raise _Closing(431)
        return self._parse_head(head, peer)

    def _parse_head(self, head: bytes, peer: Any) -> Request:
        lines = head[:-4].split(b"\r\n")
        match = _REQUEST_LINE.fullmatch(lines[0])
        if match is None:
            if lines[0].startswith(b"PRI ") or b" HTTP/" in lines[0]:
                raise _Closing(505 if b" HTTP/" in lines[0] else 400)
            raise _Closing(400)
        if len(lines) - 1 > self.limits.max_headers:
            raise _Closing(431)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            # No obs-fold, no bare LF or CR, no NUL: a control server has no
            # reason to accept what request smuggling is made of.
            if not sep or _HEADER_NAME.fullmatch(name) is None or b"\n" in value \
                    or b"\r" in value or b"\x00" in value:
                raise _Closing(400)
            key = name.decode("ascii").lower()
            text = value.strip(b" \t").decode("latin-1")
            if key == "content-length" and headers.get(key, text) != text:
                raise _Closing(400)
            headers[key] = text
        method, target, version = (g.decode("latin-1") for g in match.groups())
        return Request(method, target, version, headers, peer)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                      request: Request) -> tuple[Response, bool]:
        """The response and whether the connection must close after it."""
        entry = self._find(request.path)
        if entry is None:
            return error_response(404), not await self._skip_body(reader, request)
        if entry.auth and self.auth is not None \
                and not self.auth.check_header(request.header("authorization")):
            denied = error_response(401)
            denied.headers.append(("WWW-Authenticate", 'Basic realm="default"'))
            # A client may send its body only after the head (http.client
            # does): take a small one before closing, or its write fails
            # with EPIPE before it reads our 401. A large one is not read.
            await self._skip_body(reader, request)
            return denied, True
        if entry.methods is not None and request.method not in entry.methods:
            return error_response(405), not await self._skip_body(reader, request)
        status = await self._read_body(reader, writer, request)
        if status is not None:
            return error_response(status), True
        try:
            return await entry.handler(request), False
        except asyncio.CancelledError:
            raise
        except Exception:
            self.log.exception("control server: %s %s failed", request.method, request.path)
            return error_response(500), True

    def _body_length(self, request: Request) -> int:
        if "transfer-encoding" in request.headers:
            raise _Closing(411)  # no client of ours sends a chunked body
        text = request.headers.get("content-length", "0")
        if not text.isdigit():
            raise _Closing(400)
        return int(text)

    async def _skip_body(self, reader: asyncio.StreamReader, request: Request) -> bool:
        """Read and drop a small body so the connection can go on; False if too large."""
        try:
            length = self._body_length(request)
        except _Closing:
            return False
        if length > SKIP_BODY_BYTES:
            return False
        try:
            async with asyncio.timeout(self.limits.body_timeout):
                await reader.readexactly(length)
        except (TimeoutError, asyncio.IncompleteReadError):
            return False
        return True

    async def _read_body(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                         request: Request) -> int | None:
        """Read the body into ``request.body``; a status to answer on failure."""
        try:
            length = self._body_length(request)
        except _Closing as closing:
            return closing.status
        if length > self.limits.max_body_bytes:
            return 413
        if length == 0:
            return None
        if request.headers.get("expect", "").lower() == "100-continue" and request.version == "1.1":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        try:
            async with asyncio.timeout(self.limits.body_timeout):
                request.body = await reader.readexactly(length)
        except TimeoutError:
            return 408
        return None

    # --- responses --------------------------------------------------------------
    async def _drain(self, writer: asyncio.StreamWriter) -> None:
        async with asyncio.timeout(self.limits.write_timeout):
            await writer.drain()

    async def _send(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    request: Request | None, response: Response, close: bool) -> None:
        version = request.version if request is not None else "1.1"
        streaming = response.stream is not None
        chunked = streaming and version == "1.1"
        if streaming and not chunked:
            close = True  # HTTP/1.0: the end of a stream is the end of the connection
        status = response.status
        lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}"]
        lines.extend(f"{name}: {value}" for name, value in response.headers)
        if chunked:
            lines.append("Transfer-Encoding: chunked")
        elif not streaming:
            lines.append(f"Content-Length: {len(response.body)}")
        if close:
            lines.append("Connection: close")
        elif version == "1.0":
            lines.append("Connection: keep-alive")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        head_only = request is not None and request.method == "HEAD"
        if response.stream is None or head_only:
            writer.write(head if head_only else head + response.body)
            await self._drain(writer)
            if response.stream is not None:
                await _aclose(response.stream)
            return
        writer.write(head)
        await self._send_stream(reader, writer, response.stream, chunked)

    async def _send_stream(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                           stream: AsyncIterator[bytes], chunked: bool) -> None:
        transport = writer.transport
        try:
            async for chunk in stream:
                # The client closing its side (EOF) or the connection dropping
                # ends the stream; ticks (b"") let us notice while it is quiet.
                if reader.at_eof() or transport.is_closing():
                    break
                if chunk:
                    writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                    await self._drain(writer)
            else:
                if chunked:
                    writer.write(b"0\r\n\r\n")
                    await self._drain(writer)
        finally:
            await _aclose(stream)


async def _aclose(stream: AsyncIterator[bytes]) -> None:
    closer = getattr(stream, "aclose", None)
    if closer is not None:
        await closer()

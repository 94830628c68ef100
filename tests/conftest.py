"""Shared fixtures."""

from __future__ import annotations

import select
import shutil
import signal
import socket
import struct
import subprocess
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Self

import pytest

from tests.support import TIMEOUT, ServerProcess, run_server

# No test may hang the suite: a live test that runs past this is failed.
INTEGRATION_TEST_LIMIT = 60.0


@pytest.fixture(autouse=True)
def _time_limit(request: pytest.FixtureRequest) -> Iterator[None]:
    if "integration" not in request.node.path.parts:
        yield
        return

    def expired(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"test ran longer than {INTEGRATION_TEST_LIMIT:.0f} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, INTEGRATION_TEST_LIMIT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """``serve("tests.apps.basic:validated_hello", "--keep-alive", "1")``
    starts a server for this test (log in tmp_path), stopped by PID after."""
    with ExitStack() as stack:
        def start(app: str, *args: str, env: dict[str, str] | None = None) -> ServerProcess:
            return stack.enter_context(run_server(app, *args, tmp_path=tmp_path, env=env))
        yield start


@dataclass
class Response:
    """One parsed HTTP response: ``body`` is de-chunked when it was chunked."""

    status: int
    headers: dict[str, str]  # lower-case names; repeats joined with ", "
    body: bytes
    raw: bytes  # the response exactly as it was on the wire


def _parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        key = name.strip().lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    return int(lines[0].split()[1]), headers


def _has_body(status: int, head: bool) -> bool:
    return not (head or status in (204, 304) or status < 200)


def _close_delimited(status: int, headers: dict[str, str], head: bool) -> bool:
    return (_has_body(status, head) and "content-length" not in headers
            and headers.get("transfer-encoding", "").lower() != "chunked")


def take_response(buf: bytes, head: bool = False) -> tuple[Response, bytes] | None:
    """The first complete response in ``buf`` and the bytes after it, or None
    if it is not all there.  ``head``: the request was HEAD (no body).  A
    body delimited by the connection's end is everything in ``buf``."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    status, headers = _parse_head(buf[:end])
    pos = end + 4
    body = b""
    if not _has_body(status, head):
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


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak) of a process, in kB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


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
            if end >= 0 and _close_delimited(*_parse_head(self.buf[:end]), head):
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


def request(target: str, version: str = "1.1", headers: str = "", method: str = "GET") -> bytes:
    """A request head: ``METHOD TARGET HTTP/VERSION``, Host, ``headers``
    (``"Name: value\\r\\n"`` lines)."""
    return f"{method} {target} HTTP/{version}\r\nHost: test\r\n{headers}\r\n".encode("latin-1")


def worker_pid(server: ServerProcess) -> int:
    """The PID of the process serving requests: the master's one child (the
    worker), or the server process itself if it did not fork.  Call it after
    a request was answered, so that the worker is there."""
    with open(f"/proc/{server.pid}/task/{server.pid}/children") as f:
        children = f.read().split()
    assert len(children) <= 1, f"more than one worker: {children}"
    return int(children[0]) if children else server.pid


class Strace:
    """``strace -f -e trace=SYSCALLS -p PID`` until stop(); then ``calls``
    holds the trace.  If strace is missing or may not attach, nothing runs
    and ``calls`` stays None: the caller checks what it can without it."""

    def __init__(self, pid: int, syscalls: str, out: Path):
        self.out = out
        self.proc: subprocess.Popen[bytes] | None = None
        self.calls: str | None = None
        exe = shutil.which("strace")
        if exe is None:
            return
        proc = subprocess.Popen([exe, "-f", "-e", f"trace={syscalls}", "-o", str(out),
                                 "-p", str(pid)], stderr=subprocess.PIPE)
        assert proc.stderr is not None
        # Wait for "Process N attached" (or strace's failure), not a guess.
        ready, _, _ = select.select([proc.stderr], [], [], TIMEOUT)
        line = proc.stderr.readline() if ready else b""
        if b"attached" in line:
            self.proc = proc
        else:
            proc.kill()
            proc.wait(TIMEOUT)
            proc.stderr.close()

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(TIMEOUT)
        assert self.proc.stderr is not None
        self.proc.stderr.close()
        self.proc = None
        self.calls = self.out.read_text()

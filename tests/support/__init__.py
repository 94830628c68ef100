"""Helpers for tests that run a real fastwsgi process on a real socket.

The test binds the listening socket itself (127.0.0.1, ephemeral port) and
hands it to the server as ``--bind fd://N``.  The socket is listening before
the server starts, so a client can connect at once and its request is served
as soon as the worker is up: no readiness polling, no sleeps."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 10.0


class ServerProcess:
    """A fastwsgi process serving on an inherited listening socket."""

    def __init__(self, proc: subprocess.Popen[bytes], sock: socket.socket, log: Path):
        self.proc = proc
        self.sock = sock
        self.port: int = sock.getsockname()[1]
        self.address = ("127.0.0.1", self.port)
        self.log = log

    @property
    def pid(self) -> int:
        return self.proc.pid

    def connect(self, timeout: float = TIMEOUT) -> socket.socket:
        s = socket.create_connection(self.address, timeout=timeout)
        return s

    def request(self, raw: bytes, timeout: float = TIMEOUT) -> bytes:
        """Send raw bytes, read until the server closes or a full response."""
        with self.connect(timeout) as s:
            s.sendall(raw)
            return read_response(s)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = TIMEOUT) -> int:
        """Signal the server by its PID and wait; SIGKILL if it hangs."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        self.sock.close()
        return self.proc.returncode


def listening_socket() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(1024)
    return s


@contextmanager
def run_server(app: str, *args: str, tmp_path: Path | None = None,
               env: dict[str, str] | None = None) -> Iterator[ServerProcess]:
    """Start `python -m fastwsgi APP --bind fd://N ARGS...`; stop it after."""
    sock = listening_socket()
    log_dir = tmp_path or Path(os.environ.get("TMPDIR", "/tmp"))
    log = log_dir / f"fastwsgi-{sock.getsockname()[1]}.log"
    full_env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    full_env.update(env or {})
    with open(log, "wb") as logf:
        proc = subprocess.Popen(
            [sys.executable, "-m", "fastwsgi", app, "--bind", f"fd://{sock.fileno()}", *args],
            pass_fds=(sock.fileno(),), stdout=logf, stderr=subprocess.STDOUT,
            cwd=ROOT, env=full_env)
    server = ServerProcess(proc, sock, log)
    try:
        yield server
    finally:
        server.stop()


def read_response(s: socket.socket, head_only: bool = False) -> bytes:
    """Read one HTTP response (Content-Length, chunked or until close)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    if head_only:
        return data
    lines = head.split(b"\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    status = int(lines[0].split()[1])
    if status in (204, 304) or 100 <= status < 200:
        return head + b"\r\n\r\n"
    if b"content-length" in headers:
        need = int(headers[b"content-length"])
        while len(body) < need:
            chunk = s.recv(65536)
            if not chunk:
                break
            body += chunk
        return head + b"\r\n\r\n" + body
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        while not body.endswith(b"0\r\n\r\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            body += chunk
        return head + b"\r\n\r\n" + body
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return head + b"\r\n\r\n" + body
        body += chunk


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


def dechunk(body: bytes) -> bytes:
    """Decode a chunked body (no trailers)."""
    out = b""
    while True:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return out
        out += body[:size]
        body = body[size + 2:]


def wait_for(predicate: Callable[[], bool], seconds: float = 5.0) -> bool:
    """Poll a condition the server makes true (a file it writes, a process
    gone); True as soon as it holds, False at the deadline."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()

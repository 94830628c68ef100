"""The one server runner: a real fastwsgi process on a real socket.

The test binds the listening socket itself (127.0.0.1, ephemeral port) and
hands it to the server as ``--bind fd://N``.  The socket is listening before
the server starts, so a client can connect at once and its request is served
as soon as the worker is up: no sleeps.  Every process is stopped by its PID.
(The master's own tests use ``tests.support.master.Run``, which adds log
waits, signals and pidfiles.)"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.http import read_response
from tests.support.waiting import wait_for

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


def worker_pid(server: ServerProcess) -> int:
    """The PID of the process serving requests: the master's one child (the
    worker), or the server process itself if it did not fork.  Call it after
    a request was answered, so that the worker is there."""
    with open(f"/proc/{server.pid}/task/{server.pid}/children") as f:
        children = f.read().split()
    assert len(children) <= 1, f"more than one worker: {children}"
    return int(children[0]) if children else server.pid


def io_backend(server: ServerProcess) -> str:
    """The I/O backend the server's worker runs ("epoll" or "io_uring"), from
    the line each worker logs at start (io_backend: auto chooses by kernel)."""
    import re

    found: list[str] = []

    def logged() -> bool:
        found[:] = re.findall(r"I/O backend: (\w+)", server.log_text())
        return bool(found)

    assert wait_for(logged, TIMEOUT), f"no I/O backend line in the log:\n{server.log_text()}"
    return found[-1]


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak) of a process, in kB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


# ---- any process that listens (a proxy, fastwsgi on a unix socket) ----------------


def free_port() -> int:
    """A loopback port free right now (for a proxy, a control server or an app
    that cannot be handed a bound socket to listen on)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM by PID, then SIGKILL if it does not exit."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(TIMEOUT)


def wait_connectable(proc: subprocess.Popen[bytes], address: str | tuple[str, int],
                     log: Path) -> None:
    """Poll until ``address`` accepts a connection; fail (with the process's
    log) if the process exits or the time runs out."""
    name = os.path.basename(str(proc.args[0]))  # type: ignore[index]
    family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET

    def connectable() -> bool:
        if proc.poll() is not None:
            pytest.fail(f"{name} exited with {proc.returncode}:\n{log_text(log)}")
        with socket.socket(family, socket.SOCK_STREAM) as s:
            try:
                s.connect(address)
            except (ConnectionRefusedError, FileNotFoundError):
                return False
        return True

    try:
        wait_for(connectable, TIMEOUT, f"{name} to listen on {address}")
    except AssertionError as exc:
        pytest.fail(f"{exc}:\n{log_text(log)}")


def log_text(*logs: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')}" for p in logs if p.exists())


@contextmanager
def started(args: list[str], address: str | tuple[str, int], log: Path,
            env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``args`` (output to ``log``) until it listens on ``address``;
    stop it by PID afterwards."""
    with open(log, "wb") as logf:
        proc = subprocess.Popen(args, stdout=logf, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
    try:
        wait_connectable(proc, address, log)
        yield proc
    finally:
        stop(proc)


@contextmanager
def unix_server(path: Path, app: str, *args: str) -> Iterator[subprocess.Popen[bytes]]:
    """``python -m fastwsgi APP --bind unix:PATH ARGS...`` as in gunicorn's
    deployment guide (run_server is TCP-only)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    with started([sys.executable, "-m", "fastwsgi", app, "--bind", f"unix:{path}", *args],
                 str(path), path.with_suffix(".log"), env) as proc:
        yield proc

"""Helpers for the master's integration tests (tests/integration/test_master_*.py).

``Run`` starts ``python -m fastwsgi`` as a real process, its output in a log
file under tmp_path.  By default the test binds 127.0.0.1:0 itself and hands
the socket over as ``--bind fd://N`` (then closes its own copy, so that the
server owns the listener as it would in production).  Every process is found
and stopped by its PID; every wait polls something the server makes true
(a log line, a file, an HTTP answer, /proc) under a deadline.

``Load`` is the "steady keep-alive load" of the HUP/USR2/recycling tests:
threads each doing requests in a loop on a keep-alive connection.  A
connection the server closes cleanly *between* requests (a FIN before any
byte of the next response, or after a ``Connection: close`` response) is
reopened and the request sent again, as HTTP clients do; anything else (a
reset, a refused connection, a timeout, a partial or non-200 response) is a
failed request.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Self

import pytest

from tests.support.http import receive_response, request
from tests.support.server import ROOT, listening_socket
from tests.support.waiting import wait_for

APP = "tests.apps.master_apps:app"
DEADLINE = 10.0


# ---- processes -------------------------------------------------------------------


def proc_state(pid: int) -> str | None:
    """The /proc state letter of a process (Z for a zombie), None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def alive(pid: int) -> bool:
    return proc_state(pid) not in (None, "Z", "X")


def children(pid: int) -> list[int]:
    """Live child processes of pid (the workers of a master)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
            out.append(int(entry))
    return sorted(out)


def stop_pid(pid: int, sig: int = signal.SIGTERM, seconds: float = DEADLINE) -> None:
    """Stop a process that is not our child (a daemon, a USR2 master) by PID."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    try:
        wait_for(lambda: not alive(pid), seconds, f"pid {pid} to exit")
    except AssertionError:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        raise


def read_one(sock: socket.socket) -> tuple[int, dict[str, str], bytes] | None:
    """One response on a fresh exchange: (status, headers, body); None if the
    peer closed before its first byte; ConnectionError if it closed in the
    middle or sent more than one response."""
    taken = receive_response(sock)
    if taken is None:
        return None
    response, rest = taken
    if rest:
        raise ConnectionError(f"{len(rest)} bytes after the response")
    return response.status, response.headers, response.body


# ---- the server process ----------------------------------------------------------------


class Run:
    """One ``python -m fastwsgi`` run."""

    def __init__(self, tmp_path: Path, args: list[str], *, app: str | None = APP,
                 bind: str | None = "fd", cwd: Path | str = ROOT,
                 env: dict[str, str] | None = None, name: str = "server",
                 prefix: list[str] | None = None) -> None:
        self.tmp_path = tmp_path
        self.log = tmp_path / f"{name}.log"
        self.sock: socket.socket | None = None
        self.unix: str | None = None
        argv = [sys.executable, "-m", "fastwsgi"]
        if app:
            argv.append(app)
        pass_fds: tuple[int, ...] = ()
        if bind == "fd":
            self.sock = listening_socket()
            self.address: object = self.sock.getsockname()
            argv += ["--bind", f"fd://{self.sock.fileno()}"]
            pass_fds = (self.sock.fileno(),)
        elif bind is not None:
            argv += ["--bind", bind]
            if bind.startswith("unix:"):
                self.unix = bind[5:]
                self.address = self.unix
        full_env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        for var in ("GUNICORN_CMD_ARGS", "FASTWSGI_CMD_ARGS", "WEB_CONCURRENCY"):
            full_env.pop(var, None)
        full_env.update(env or {})
        self.argv = list(prefix or []) + argv + list(args)
        with open(self.log, "ab") as logf:
            self.proc = subprocess.Popen(self.argv, pass_fds=pass_fds, stdout=logf,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         cwd=cwd, env=full_env)
        if self.sock is not None:
            self.sock.close()  # the server owns the listener now

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_log(self, pattern: str, count: int = 1, seconds: float = DEADLINE,
                 log: Path | None = None) -> list[re.Match[str]]:
        """Wait until the log has `count` matches of the regex; return them all."""
        path = log or self.log

        def found() -> list[re.Match[str]]:
            try:
                text = path.read_text(errors="replace")
            except FileNotFoundError:
                return []
            matches = list(re.finditer(pattern, text))
            return matches if len(matches) >= count else []
        try:
            return wait_for(found, seconds, f"{count} x {pattern!r} in the log")  # type: ignore[return-value]
        except AssertionError:
            raise AssertionError(f"{count} x {pattern!r} not in the log:\n"
                                 f"{self.log_text()[-3000:]}") from None

    def booted(self, log: Path | None = None) -> list[int]:
        text = (log or self.log).read_text(errors="replace")
        return [int(p) for p in re.findall(r"Booting worker with pid: (\d+)", text)]

    def connect(self, timeout: float = DEADLINE) -> socket.socket:
        if self.unix is not None:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(timeout)
            s.connect(self.unix)
            return s
        return socket.create_connection(self.address, timeout=timeout)  # type: ignore[arg-type]

    def get(self, path: str = "/", timeout: float = DEADLINE) -> tuple[int, bytes]:
        """One request on a new connection: (status, body)."""
        with self.connect(timeout) as s:
            s.sendall(request(path))
            answer = read_one(s)
        assert answer is not None, f"GET {path}: connection closed without a response"
        return answer[0], answer[2]

    def worker_pid(self, timeout: float = DEADLINE) -> int:
        status, body = self.get("/", timeout)
        assert status == 200, body
        return int(body.decode().split("=")[1])

    def workers(self) -> list[int]:
        return children(self.pid)

    def send(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait(self, seconds: float = DEADLINE) -> int:
        return self.proc.wait(seconds)

    def stop(self, sig: int = signal.SIGTERM, seconds: float = DEADLINE) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(seconds)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(seconds)
        return self.proc.returncode


@pytest.fixture(name="start")
def start_fixture(tmp_path: Path) -> Iterator[Callable[..., Run]]:
    """``start(args, **kw)`` runs a server; all are stopped by PID afterwards
    (and any process whose PID is added to ``start.pids``)."""
    runs: list[Run] = []
    extra: list[int] = []

    def _start(*args: str, **kw: object) -> Run:
        run = Run(tmp_path, list(args), **kw)  # type: ignore[arg-type]
        runs.append(run)
        return run
    _start.pids = extra  # type: ignore[attr-defined]
    try:
        yield _start
    finally:
        for pid in extra:
            if alive(pid):
                try:
                    stop_pid(pid, signal.SIGINT, 5)
                except AssertionError:
                    pass
        for run in runs:
            run.stop(signal.SIGINT, 5)


# ---- steady keep-alive load -----------------------------------------------------------


class Load:
    """`connections` threads doing GET / on keep-alive connections until stopped."""

    def __init__(self, run: Run, connections: int = 4, path: str = "/") -> None:
        self.run = run
        self.path = path
        self.ok = 0
        self.reconnects = 0
        self.failures: list[str] = []
        self.pids: dict[int, float] = {}  # worker pid -> first time seen
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._loop, daemon=True)
                        for _ in range(connections)]

    def __enter__(self) -> Self:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join(DEADLINE)

    def count(self) -> int:
        with self.lock:
            return self.ok

    def wait_requests(self, n: int, seconds: float = DEADLINE) -> None:
        """Wait until n more requests have succeeded."""
        target = self.count() + n
        wait_for(lambda: self.count() >= target or self.failures, seconds,
                 f"{n} more successful requests")

    def pids_after(self, since: float) -> set[int]:
        with self.lock:
            return {pid for pid, t in self.pids.items() if t >= since}

    def _fail(self, text: str) -> None:
        with self.lock:
            self.failures.append(f"{time.monotonic():.3f} {text}")

    def _loop(self) -> None:
        sock: socket.socket | None = None
        raw = request(self.path)
        while not self.stopping.is_set():
            fresh = sock is None
            try:
                if sock is None:
                    sock = self.run.connect(5.0)
                sock.sendall(raw)
                answer = read_one(sock)
            except (OSError, ConnectionError) as exc:
                self._fail(f"{type(exc).__name__}: {exc}")
                if sock is not None:
                    sock.close()
                sock = None
                time.sleep(0.01)
                continue
            if answer is None:  # closed cleanly between requests: reconnect, resend
                sock.close()
                sock = None
                if fresh:
                    self._fail("a new connection was closed before its response")
                else:
                    with self.lock:
                        self.reconnects += 1
                continue
            status, headers, body = answer
            if status != 200:
                self._fail(f"status {status}: {body[:100]!r}")
            else:
                pid = int(body.decode().split("=")[1])
                with self.lock:
                    self.ok += 1
                    self.pids.setdefault(pid, time.monotonic())
            if headers.get("connection", "").lower() == "close":
                sock.close()
                sock = None
        if sock is not None:
            sock.close()

    def report(self) -> str:
        return (f"{self.ok} requests ok, {self.reconnects} clean reconnects, "
                f"{len(self.failures)} failed, {len(self.pids)} worker pids")

"""The one fake operating system for process management's unit tests.

``FakeOS`` has ``fastwsgi.system.osapi.OSApi``'s methods: fork() and spawn()
make a child that never runs, kill() records the signal (a child "obeys" the
signals in ``obeys`` by exiting of it at once), waitpid() reports the exits a
test scripted with ``exit()``, and the clocks move only when the test says
``advance()``.  Failures are switches, as in supervisor's DummyOptions:
``fork_exception`` (fork and spawn), ``kill_exception``, ``missing`` (stat
finds no file), ``executable`` (the file's mode).  ``calls`` records, in
order, every fork, signal, close and write as a tuple (``("kill", pid, sig)``,
``("killpg", pgid, sig)``, ...).

The monotonic clock and the wall clock are apart by a fixed offset, so that
code which mixes them up gives wrong figures in a test.  Used by
tests/unit/test_program.py (the WSGI program) and tests/supervisor (the
process state machine, through ``tests.support.fake_host``).
"""

from __future__ import annotations

import errno
import os
import signal
import stat
import time
from collections.abc import Mapping, Sequence
from typing import Any

from fastwsgi.system.osapi import OSApi

FAKE_MASTER_PID = 4242
WALL_OFFSET = 1_700_000_000.0  # wall clock = monotonic clock + this


def exit_status(code: int = 0, sig: int = 0) -> int:
    """A wait status as waitpid() returns it: exited with ``code``, or killed by ``sig``."""
    return sig if sig else (code & 0xFF) << 8


class FakeOS(OSApi):
    def __init__(self, clock: float | None = None, first_pid: int = 1000) -> None:
        # The clock starts at the real monotonic time unless told: a worker's
        # heartbeat slot is stamped with time.monotonic() by fastwsgi itself.
        self.clock = time.monotonic() if clock is None else clock
        self.next_pid = first_pid
        self.next_fd = 50
        self.running: set[int] = set()
        self.exited: dict[int, int] = {}  # pid -> wait status, until reaped
        self.forked: list[int] = []
        self.sent: list[tuple[int, int]] = []  # (pid or pgid, signal) in order
        self.calls: list[tuple[Any, ...]] = []
        self.obeys: set[int] = {signal.SIGKILL}
        self.execs: list[tuple[str, list[str]]] = []
        self.fork_exception: OSError | None = None
        self.kill_exception: OSError | None = None
        self.missing = False
        self.executable = True

    # what a test does

    def advance(self, seconds: float) -> None:
        self.clock += seconds

    @property
    def wall(self) -> float:
        return self.clock + WALL_OFFSET

    def exit(self, pid: int, code: int = 0, sig: int = 0) -> None:
        """The child ``pid`` exits (with ``code``, or killed by ``sig``)."""
        self.running.discard(pid)
        self.exited[pid] = exit_status(code, sig)

    def signals_to(self, pid: int) -> list[int]:
        return [sig for target, sig in self.sent if target == pid]

    def signals_sent(self) -> list[tuple[Any, ...]]:
        """Every kill and killpg, in order, as ``(call, target, signal)``."""
        return [c for c in self.calls if c[0] in ("kill", "killpg")]

    # the OSApi: processes

    def fork(self) -> int:
        if self.fork_exception is not None:
            raise self.fork_exception
        pid = self.next_pid
        self.next_pid += 1
        self.running.add(pid)
        self.forked.append(pid)
        self.calls.append(("fork", pid))
        return pid

    def spawn(self, path: str, argv: Sequence[str], env: Mapping[str, str],
              **kwargs: Any) -> int:
        pid = self.fork()
        self.execs.append((path, list(argv)))
        return pid

    def execve(self, path: str, argv: Sequence[str], env: Mapping[str, str]) -> None:
        self.execs.append((path, list(argv)))

    def execvpe(self, file: str, argv: Sequence[str], env: Mapping[str, str]) -> None:
        self.execs.append((file, list(argv)))

    def exit_now(self, code: int) -> None:
        raise AssertionError(f"a forked child would exit with {code} here")

    def getpid(self) -> int:
        return FAKE_MASTER_PID

    def setpgid(self, pid: int, pgid: int) -> None:
        pass

    def setsid(self) -> None:
        pass

    def stat(self, path: str) -> os.stat_result:
        if self.missing:
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), path)
        mode = stat.S_IFREG | (0o755 if self.executable else 0o644)
        return os.stat_result((mode, 0, 0, 1, 0, 0, 0, 0, 0, 0))

    def access(self, path: str, mode: int) -> bool:
        return True

    # signals

    def kill(self, pid: int, sig: int) -> None:
        self._signal("kill", pid, sig)

    def killpg(self, pgid: int, sig: int) -> None:
        # Every child leads its own process group, so the group is its pid.
        self._signal("killpg", pgid, sig)

    def _signal(self, call: str, pid: int, sig: int) -> None:
        self.calls.append((call, pid, sig))
        if self.kill_exception is not None:
            raise self.kill_exception
        if pid not in self.running:
            raise ProcessLookupError(errno.ESRCH, os.strerror(errno.ESRCH))
        self.sent.append((pid, sig))
        if sig in self.obeys:
            self.exit(pid, sig=sig)

    def pthread_sigmask(self, how: int, mask: set[signal.Signals] | set[int]) -> set[int]:
        return set()

    # reaping

    def waitpid(self, pid: int, options: int) -> tuple[int, int]:
        if pid in self.exited:
            return pid, self.exited.pop(pid)
        if pid in self.running:
            return 0, 0
        raise ChildProcessError(errno.ECHILD, os.strerror(errno.ECHILD))

    def pidfd_open(self, pid: int) -> int:
        raise OSError(errno.ENOSYS, "no pidfd in the fake OS: call step() to reap")

    # file descriptors: numbers only, nothing is opened

    def pipe(self) -> tuple[int, int]:
        self.next_fd += 2
        return self.next_fd - 2, self.next_fd - 1

    def set_blocking(self, fd: int, blocking: bool) -> None:
        pass

    def close(self, fd: int) -> None:
        self.calls.append(("close", fd))

    def write(self, fd: int, data: bytes) -> int:
        self.calls.append(("write", fd, data))
        return len(data)

    # clocks

    def monotonic(self) -> float:
        return self.clock

    def time(self) -> float:
        return self.wall

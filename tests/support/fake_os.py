"""A fake operating system for process management's unit tests.

``FakeOS`` has ``fastwsgi.system.osapi.OSApi``'s methods: fork() makes a
child that never runs, kill() records the signal (a child "obeys" the
signals in ``obeys`` by exiting of it at once), waitpid() reports the exits
a test scripted with ``exit()``, and the clock moves only when the test says
``advance()``.  Failures are switches, as in supervisor's DummyOptions:
``fork_exception``, ``kill_exception``.  Used by tests/unit/test_program.py;
supervisor mode's state machine can use it the same way.
"""

from __future__ import annotations

import errno
import os
import signal
import time
from collections.abc import Mapping, Sequence

from fastwsgi.system.osapi import OSApi

FAKE_MASTER_PID = 4242


def exit_status(code: int = 0, sig: int = 0) -> int:
    """A wait status as waitpid() returns it: exited with ``code``, or killed by ``sig``."""
    return sig if sig else (code & 0xFF) << 8


class FakeOS(OSApi):
    def __init__(self, clock: float | None = None) -> None:
        # The clock starts at the real monotonic time: a worker's heartbeat
        # slot is stamped with time.monotonic() by fastwsgi itself.
        self.clock = time.monotonic() if clock is None else clock
        self.next_pid = 1000
        self.running: set[int] = set()
        self.exited: dict[int, int] = {}  # pid -> wait status, until reaped
        self.forked: list[int] = []
        self.sent: list[tuple[int, int]] = []  # (pid, signal) in order
        self.obeys: set[int] = {signal.SIGKILL}
        self.execs: list[tuple[str, list[str]]] = []
        self.fork_exception: OSError | None = None
        self.kill_exception: OSError | None = None

    # what a test does

    def advance(self, seconds: float) -> None:
        self.clock += seconds

    def exit(self, pid: int, code: int = 0, sig: int = 0) -> None:
        """The child ``pid`` exits (with ``code``, or killed by ``sig``)."""
        self.running.discard(pid)
        self.exited[pid] = exit_status(code, sig)

    def signals_to(self, pid: int) -> list[int]:
        return [sig for target, sig in self.sent if target == pid]

    # the OSApi

    def fork(self) -> int:
        if self.fork_exception is not None:
            raise self.fork_exception
        pid = self.next_pid
        self.next_pid += 1
        self.running.add(pid)
        self.forked.append(pid)
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

    def kill(self, pid: int, sig: int) -> None:
        if self.kill_exception is not None:
            raise self.kill_exception
        if pid not in self.running:
            raise ProcessLookupError(errno.ESRCH, os.strerror(errno.ESRCH))
        self.sent.append((pid, sig))
        if sig in self.obeys:
            self.exit(pid, sig=sig)

    def killpg(self, pgid: int, sig: int) -> None:
        self.kill(pgid, sig)

    def pthread_sigmask(self, how: int, mask: set[signal.Signals] | set[int]) -> set[int]:
        return set()

    def waitpid(self, pid: int, options: int) -> tuple[int, int]:
        if pid in self.exited:
            return pid, self.exited.pop(pid)
        if pid in self.running:
            return 0, 0
        raise ChildProcessError(errno.ECHILD, os.strerror(errno.ECHILD))

    def pidfd_open(self, pid: int) -> int:
        raise OSError(errno.ENOSYS, "no pidfd in the fake OS: call step() to reap")

    def close(self, fd: int) -> None:
        pass

    def monotonic(self) -> float:
        return self.clock

    def time(self) -> float:
        return self.clock

"""A fake OS and a fake host for the process state machine (supervisor's DummyOptions idea).

FakeOS records every call, hands out pids, and has a clock the test moves;
`fork_error`/`stat_error` switch failures on.  FakeHost is what a Supervisor
is to a process, minus the loop."""

from __future__ import annotations

import logging
import os
import stat
from typing import Any

from fastwsgi.supervisor.configs import ProcessConfig
from fastwsgi.supervisor.datatypes import RestartWhenExitUnexpected
from fastwsgi.supervisor.process import Subprocess
from fastwsgi.supervisor.states import SupervisorStates
from fastwsgi.system.osapi import OSApi


class FakeOS(OSApi):
    def __init__(self) -> None:
        self.now = 1000.0
        self.wall = 1_700_000_000.0
        self.next_pid = 100
        self.calls: list[tuple[Any, ...]] = []
        self.fork_error: OSError | None = None
        self.kill_error: OSError | None = None
        self.executable = True
        self.missing = False
        self.next_fd = 50

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.wall += seconds

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.wall

    def spawn(self, path: str, argv: Any, env: Any, **kwargs: Any) -> int:
        if self.fork_error is not None:
            raise self.fork_error
        self.next_pid += 1
        self.calls.append(("fork", self.next_pid))
        return self.next_pid

    def pipe(self) -> tuple[int, int]:
        self.next_fd += 2
        return self.next_fd - 2, self.next_fd - 1

    def set_blocking(self, fd: int, blocking: bool) -> None:
        pass

    def close(self, fd: int) -> None:
        self.calls.append(("close", fd))

    def stat(self, path: str) -> os.stat_result:
        if self.missing:
            raise FileNotFoundError(path)
        mode = stat.S_IFREG | (0o755 if self.executable else 0o644)
        return os.stat_result((mode, 0, 0, 1, 0, 0, 0, 0, 0, 0))

    def access(self, path: str, mode: int) -> bool:
        return True

    def kill(self, pid: int, sig: int) -> None:
        self.calls.append(("kill", pid, sig))
        if self.kill_error is not None:
            raise self.kill_error

    def killpg(self, pgid: int, sig: int) -> None:
        self.calls.append(("killpg", pgid, sig))
        if self.kill_error is not None:
            raise self.kill_error

    def write(self, fd: int, data: bytes) -> int:
        self.calls.append(("write", fd, data))
        return len(data)

    def signals_sent(self) -> list[tuple[Any, ...]]:
        return [c for c in self.calls if c[0] in ("kill", "killpg")]


class FakeHost:
    def __init__(self) -> None:
        self.os = FakeOS()
        self.logger = logging.getLogger("tests.supervisor.fake")
        self._mood = SupervisorStates.RUNNING
        self.changes: list[tuple[str, int, int]] = []
        self.started: list[int] = []
        self.finished = 0
        self.messages: list[str] = []

    @property
    def mood(self) -> int:
        return self._mood

    def process_changed(self, process: Subprocess, old: int, new: int) -> None:
        self.changes.append((process.config.name, old, new))

    def process_started(self, process: Subprocess, pipes: dict[str, int]) -> None:
        self.started.append(process.pid)

    def process_finished(self, process: Subprocess) -> None:
        self.finished += 1

    def child_environment(self, process: Subprocess) -> dict[str, str]:
        return {}

    def child_message(self, process: Subprocess, text: str) -> None:
        self.messages.append(text)


def make_config(**overrides: Any) -> ProcessConfig:
    params: dict[str, Any] = {
        "name": "p", "command": "/bin/true", "directory": None, "umask": None,
        "priority": 999, "autostart": True, "autorestart": RestartWhenExitUnexpected,
        "startsecs": 1, "startretries": 3, "exitcodes": [0], "stopsignal": 15,
        "stopwaitsecs": 10, "stopasgroup": False, "killasgroup": False,
        "redirect_stderr": False, "stdout_logfile": None, "stderr_logfile": None}
    for channel in ("stdout", "stderr"):
        for key in ("logfile_maxbytes", "logfile_backups", "capture_maxbytes"):
            params[f"{channel}_{key}"] = 0
        for key in ("events_enabled", "syslog"):
            params[f"{channel}_{key}"] = False
    params.update(overrides)
    return ProcessConfig(None, **params)


def exited(code: int) -> int:
    """A wait status for exit(code)."""
    return (code & 0xFF) << 8


def killed(sig: int) -> int:
    return sig

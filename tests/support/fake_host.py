"""A fake host for supervisor mode's process state machine (supervisor's DummyOptions idea).

``FakeHost`` is what a Supervisor is to a Subprocess, minus the loop: it records
state changes, starts, finishes and messages, and its ``os`` is the one
``tests.support.fake_os.FakeOS`` (pids from 101, a clock the test moves).
``make_config`` builds a ProcessConfig with supervisor's defaults and overrides."""

from __future__ import annotations

import logging
from typing import Any

from fastwsgi.supervisor.configs import ProcessConfig
from fastwsgi.supervisor.datatypes import RestartWhenExitUnexpected
from fastwsgi.supervisor.process import Subprocess
from fastwsgi.supervisor.states import SupervisorStates
from tests.support.fake_os import FakeOS


class FakeHost:
    def __init__(self) -> None:
        self.os = FakeOS(clock=1000.0, first_pid=101)
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


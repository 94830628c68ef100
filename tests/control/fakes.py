"""Small stand-ins for the supervisor model (SUPERVISOR_API.md), so the RPC
layer's decisions are tested without child processes. Transitions that take
time in the real model (startsecs, a stop) are scheduled on the loop."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from fastwsgi.control.faults import RPCError
from fastwsgi.supervisor.states import ProcessStates, SupervisorStates


class FakeConfig:
    def __init__(self, name: str, priority: int = 999, **kw: Any) -> None:
        self.name = name
        self.priority = priority
        self.command = kw.pop("command", f"/bin/{name}")
        self.stdout_logfile = kw.pop("stdout_logfile", None)
        self.stderr_logfile = kw.pop("stderr_logfile", None)
        self.stopsignal = 15
        self.uid = None
        self.autostart = True
        self.directory = None
        for key, value in kw.items():
            setattr(self, key, value)


class FakeProcess:
    """``behaviour``: "runs" (RUNNING after startup), "dies" (BACKOFF with a
    spawnerr), "exits" (EXITED without spawnerr), "cantspawn" (spawnerr at once)."""

    def __init__(self, sup: FakeSupervisor, config: FakeConfig, behaviour: str = "runs",
                 startup: float = 0.05, stop_time: float = 0.05) -> None:
        self.sup = sup
        self.config = config
        self.behaviour = behaviour
        self.startup = startup
        self.stop_time = stop_time
        self.state = ProcessStates.STOPPED
        self.pid = 0
        self.laststart = 0.0
        self.laststop = 0.0
        self.spawnerr: str | None = None
        self.exitstatus: int | None = None
        self.killing = False
        self.signals: list[int] = []
        self.stdin = b""
        self.execv_error: Exception | None = None

    def get_state(self) -> int:
        return self.state

    def _set(self, state: int) -> None:
        self.state = state
        self.sup.changed()

    def get_execv_args(self) -> tuple[str, list[str]]:
        if self.execv_error is not None:
            raise self.execv_error
        return self.config.command, [self.config.command]

    def spawn(self) -> int | None:
        self.laststart = 1_700_000_000.0
        if self.behaviour == "cantspawn":
            self.spawnerr = "can't find command"
            self._set(ProcessStates.BACKOFF)
            return None
        self.spawnerr = None
        self.pid = 4242
        self._set(ProcessStates.STARTING)
        loop = asyncio.get_running_loop()
        loop.call_later(self.startup, self._started)
        return self.pid

    def _started(self) -> None:
        if self.state != ProcessStates.STARTING:
            return
        if self.behaviour == "runs":
            self._set(ProcessStates.RUNNING)
        elif self.behaviour == "dies":
            self.spawnerr = "Exited too quickly (process log may have details)"
            self.pid = 0
            self._set(ProcessStates.BACKOFF)
        else:
            self.pid = 0
            self._set(ProcessStates.EXITED)

    def transition(self) -> None:
        pass

    def stop(self) -> str | None:
        self.killing = True
        self._set(ProcessStates.STOPPING)
        asyncio.get_running_loop().call_later(self.stop_time, self._stopped)
        return None

    def _stopped(self) -> None:
        self.killing = False
        self.pid = 0
        self.laststop = 1_700_000_100.0
        self._set(ProcessStates.STOPPED)

    def stop_report(self) -> None:
        pass

    def signal(self, sig: int) -> str | None:
        self.signals.append(sig)
        return None

    def write(self, data: bytes) -> None:
        self.stdin += data

    def removelogs(self) -> None:
        for path in (self.config.stdout_logfile, self.config.stderr_logfile):
            if path and os.path.exists(path):
                with open(path, "wb"):
                    pass


class FakeGroup:
    def __init__(self, config: Any, processes: dict[str, FakeProcess]) -> None:
        self.config = config
        self.processes = processes


class FakeGroupConfig:
    def __init__(self, name: str, priority: int, process_configs: list[FakeConfig]) -> None:
        self.name = name
        self.priority = priority
        self.process_configs = process_configs


class FakeOptions:
    def __init__(self) -> None:
        self.mood = SupervisorStates.RUNNING
        self.identifier = "supervisor"
        self.logfile: str | None = None
        self.logger = logging.getLogger("tests.control")
        self.process_group_configs: list[FakeGroupConfig] = []
        self.reread_error: str | None = None
        self.reopened = 0

    def get_pid(self) -> int:
        return 1234

    def process_config(self, do_usage: bool = False) -> None:
        if self.reread_error:
            raise ValueError(self.reread_error)

    def exists(self, path: str) -> bool:
        return os.path.exists(path)

    def remove(self, path: str) -> None:
        os.remove(path)

    def reopenlogs(self) -> None:
        self.reopened += 1


class FakeSupervisor:
    def __init__(self) -> None:
        self.options = FakeOptions()
        self.process_groups: dict[str, FakeGroup] = {}
        self._event: asyncio.Event | None = None
        self.reaped = 0

    def add(self, group_name: str, *processes: FakeProcess, priority: int = 999) -> FakeGroup:
        gconfig = FakeGroupConfig(group_name, priority, [p.config for p in processes])
        group = FakeGroup(gconfig, {p.config.name: p for p in processes})
        self.process_groups[group_name] = group
        self.options.process_group_configs.append(gconfig)
        return group

    def process(self, name: str, behaviour: str = "runs", priority: int = 999,
                **kw: Any) -> FakeProcess:
        return FakeProcess(self, FakeConfig(name, priority, **kw), behaviour)

    def changed(self) -> None:
        if self._event is not None:
            self._event.set()

    async def wait_change(self, timeout: float | None = None) -> bool:
        self._event = asyncio.Event()
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def reap(self) -> None:
        self.reaped += 1

    def shutdown(self) -> None:
        self.options.mood = SupervisorStates.SHUTDOWN

    def restart(self) -> None:
        self.options.mood = SupervisorStates.RESTARTING

    def diff_to_active(self) -> tuple[list[Any], list[Any], list[Any]]:
        return [FakeGroupConfig("new", 1, [])], [], [FakeGroupConfig("old", 1, [])]

    def add_process_group(self, config: Any) -> bool:
        if config.name in self.process_groups:
            return False
        self.process_groups[config.name] = FakeGroup(config, {})
        return True

    def remove_process_group(self, name: str) -> bool:
        group = self.process_groups[name]
        if any(p.state not in (0, 100, 200) for p in group.processes.values()):
            return False
        del self.process_groups[name]
        return True


def fault_of(exc: BaseException) -> tuple[int, str]:
    assert isinstance(exc, RPCError)
    return exc.code, exc.text

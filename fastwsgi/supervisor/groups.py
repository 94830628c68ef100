"""ProcessGroup: the processes of one [program:x] or [group:x], ordered by priority.

A group's *members* are what runs: a Subprocess per exec'd process, and a
WSGIProcess per in-process WSGI program (supervisor.wsgi).  What the control
server shows and names (``processes``) is the same for exec'd processes, and
for a WSGI program its workers, one process each (``x:x_00`` ...).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from fastwsgi.supervisor.configs import ProcessConfig, ProcessGroupConfig
from fastwsgi.supervisor.process import ProcessHost, Subprocess
from fastwsgi.supervisor.states import STOPPED_STATES, ProcessStates


class ProcessGroup:
    def __init__(self, config: ProcessGroupConfig, host: ProcessHost) -> None:
        self.config = config
        self.members: list[Subprocess] = []
        self.wsgi: dict[str, Any] = {}  # program name -> its WSGIProcess
        for pconfig in config.process_configs:
            pconfig.create_autochildlogs()
            self.members.append(self._member(pconfig, host))
        self.members.sort()

    def _member(self, pconfig: ProcessConfig, host: ProcessHost) -> Subprocess:
        if pconfig.wsgi_argv is None:
            return Subprocess(pconfig, host, group=self)
        from fastwsgi.supervisor.wsgi import WSGIProcess
        from fastwsgi.supervisor.wsgi_plan import plan_for
        # the environment the exec'd command would have had
        env = host.child_environment(SimpleNamespace(config=pconfig, group=self))  # type: ignore[arg-type]
        plan = plan_for(pconfig, env)
        pconfig.wsgi_plan = plan
        if isinstance(plan, str):
            host.logger.info("%s: runs as a command of its own, not in-process: %s",
                             pconfig.name, plan)
            return Subprocess(pconfig, host, group=self)
        process = WSGIProcess(pconfig, host, self, plan)
        self.wsgi[pconfig.name] = process
        return process

    @property
    def processes(self) -> dict[str, Any]:
        """What supervisorctl names: exec'd processes, and WSGI programs' workers."""
        shown: dict[str, Any] = {}
        for member in self.members:
            views = getattr(member, "views", None)
            if views is None:
                shown[member.config.name] = member
            else:
                shown.update(views.by_name())
        return shown

    def __lt__(self, other: ProcessGroup) -> bool:
        return self.config < other.config

    def __repr__(self) -> str:
        return f"<ProcessGroup {self.config.name}>"

    def transition(self) -> None:
        for process in sorted(self.members):
            process.transition()

    def stop_all(self) -> None:
        """Stop every process, highest priority first (supervisor's order)."""
        for process in sorted(self.members, reverse=True):
            state = process.get_state()
            if state in (ProcessStates.RUNNING, ProcessStates.STARTING):
                process.stop()  # RUNNING/STARTING -> STOPPING
            elif state == ProcessStates.BACKOFF:
                process.give_up()  # BACKOFF -> FATAL

    def get_unstopped_processes(self) -> list[Subprocess]:
        return [p for p in self.members if p.get_state() not in STOPPED_STATES]

    def find_wsgi_worker(self, pid: int) -> Any:
        """The WSGIProcess whose worker ``pid`` is, if any."""
        for process in self.wsgi.values():
            if process.program is not None and pid in process.program.WORKERS:
                return process
        return None

    def reopenlogs(self) -> None:
        for process in self.members:
            process.reopenlogs()

    def removelogs(self) -> None:
        for process in self.members:
            process.removelogs()

    def before_remove(self) -> Any:
        for process in self.members:
            for log in process.logs.values():
                log.close()
            process.logs.clear()

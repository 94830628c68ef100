"""ProcessGroup: the processes of one [program:x] or [group:x], ordered by priority."""

from __future__ import annotations

from typing import Any

from fastwsgi.supervisor.configs import ProcessGroupConfig
from fastwsgi.supervisor.process import ProcessHost, Subprocess
from fastwsgi.supervisor.states import STOPPED_STATES, ProcessStates


class ProcessGroup:
    def __init__(self, config: ProcessGroupConfig, host: ProcessHost) -> None:
        self.config = config
        self.processes: dict[str, Subprocess] = {}
        for pconfig in config.process_configs:
            pconfig.create_autochildlogs()
            self.processes[pconfig.name] = Subprocess(pconfig, host, group=self)

    def __lt__(self, other: ProcessGroup) -> bool:
        return self.config < other.config

    def __repr__(self) -> str:
        return f"<ProcessGroup {self.config.name}>"

    def transition(self) -> None:
        for process in sorted(self.processes.values()):
            process.transition()

    def stop_all(self) -> None:
        """Stop every process, highest priority first (supervisor's order)."""
        for process in sorted(self.processes.values(), reverse=True):
            state = process.get_state()
            if state in (ProcessStates.RUNNING, ProcessStates.STARTING):
                process.stop()  # RUNNING/STARTING -> STOPPING
            elif state == ProcessStates.BACKOFF:
                process.give_up()  # BACKOFF -> FATAL

    def get_unstopped_processes(self) -> list[Subprocess]:
        return [p for p in self.processes.values() if p.get_state() not in STOPPED_STATES]

    def reopenlogs(self) -> None:
        for process in self.processes.values():
            process.reopenlogs()

    def removelogs(self) -> None:
        for process in self.processes.values():
            process.removelogs()

    def before_remove(self) -> Any:
        for process in self.processes.values():
            for log in process.logs.values():
                log.close()
            process.logs.clear()

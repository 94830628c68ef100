"""What every part of the ``supervisor`` namespace shares: the model it reads
(a ``fastwsgi.supervisor`` Supervisor, see /SUPERVISOR_API.md), the refusal of
calls while the daemon shuts down, name lookup, and supervisor's orderings.

The namespace is split by subject (rpcinterface: the daemon; rpc_processes:
start, stop, signal, info; rpc_logs: logs) and assembled in rpcinterface.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastwsgi.control.faults import Faults, RPCError
from fastwsgi.supervisor.names import split_namespec
from fastwsgi.supervisor.states import SupervisorStates

# How long a waiting start/stop sleeps at most between two looks at its
# processes when no state change wakes it (a safety net: every transition
# wakes it at once through Supervisor.wait_change).
WAIT_POLL = 0.25
# After a change wakes a group start/stop, it looks again only this much later
# (supervisord's callback delay), so that processes settling together are
# reported together, in priority order, as supervisord reports them.
SETTLE_DELAY = 0.05


class RPCBase:
    def __init__(self, supervisord: Any) -> None:
        self.supervisord = supervisord

    def _update(self, text: str) -> None:
        self.update_text = text  # the last method called (tests read it)
        mood = self.supervisord.options.mood
        if isinstance(mood, int) and mood < SupervisorStates.RUNNING:
            raise RPCError(Faults.SHUTDOWN_STATE)

    def _getGroupAndProcess(self, name: str) -> tuple[Any, Any]:
        """(group, process) of a namespec; process None for ``group:*``."""
        group_name, process_name = split_namespec(name)
        group = self.supervisord.process_groups.get(group_name)
        if group is None:
            raise RPCError(Faults.BAD_NAME, name)
        if process_name is None:
            return group, None
        process = group.processes.get(process_name)
        if process is None:
            if process_name in getattr(group, "wsgi", {}):
                # an in-process WSGI program's name: all its workers, as ``x:*``
                return group, None
            raise RPCError(Faults.BAD_NAME, name)
        return group, process

    def _getLogSource(self, name: str) -> Any:
        """What holds the logs of ``name``: the process, or the in-process WSGI
        program a program name (or one of its workers) stands for."""
        group, process = self._getGroupAndProcess(name)
        if process is None:
            process = getattr(group, "wsgi", {}).get(split_namespec(name)[1])
        if process is None:
            raise RPCError(Faults.BAD_NAME, name)
        return getattr(process, "unit", process)

    def _getAllProcesses(self, lexical: bool = False) -> list[tuple[Any, Any]]:
        """Every (group, process): by name, or by priority (supervisor sorts by
        priority only, stably, so equal priorities keep the model's order)."""
        pairs = []
        if lexical:
            groups = self.supervisord.process_groups
            for group_name in sorted(groups):
                group = groups[group_name]
                for process_name in sorted(group.processes):
                    pairs.append((group, group.processes[process_name]))
            return pairs
        for group in _by_priority(self.supervisord.process_groups.values()):
            for process in _by_priority(group.processes.values()):
                pairs.append((group, process))
        return pairs

    def _group_processes(self, group: Any) -> list[tuple[Any, Any]]:
        return [(group, process) for process in _by_priority(group.processes.values())]

    async def _wait_change(self, settle: bool = False) -> None:
        await self.supervisord.wait_change(WAIT_POLL)
        if settle:
            await asyncio.sleep(SETTLE_DELAY)


def _by_priority(items: Any) -> list[Any]:
    return sorted(items, key=lambda item: item.config.priority)


def result(group: Any, process: Any, status: int = Faults.SUCCESS,
           description: str = "OK") -> dict[str, Any]:
    """One entry of the array a group or "all" method answers."""
    return {"name": process.config.name, "group": group.config.name,
            "status": status, "description": description}

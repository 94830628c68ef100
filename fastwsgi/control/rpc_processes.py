"""The process part of the ``supervisor`` namespace: start, stop, signal and
information, with supervisor's faults, orderings and results.

With ``wait=True`` supervisord answers a start once the process is RUNNING (a
fault if it fell back to BACKOFF or died) and a stop once it is stopped, by
returning a callback its select loop polls. Here the method is a coroutine
that re-checks after every state change (``Supervisor.wait_change``), with
the same checks in the same order, so the answers are the same and the
master's loop never waits for a client.

Group and "all" methods start (or stop) every matching process first, then
wait for all of them together; results come in supervisor's order: the ones
settled at once, then the others as they settle, in priority order within a
round.
"""

from __future__ import annotations

import errno
import time
from collections.abc import Callable
from typing import Any

from fastwsgi.control.faults import Faults, RPCError
from fastwsgi.control.rpcbase import RPCBase, result
from fastwsgi.supervisor import datatypes
from fastwsgi.supervisor.names import describe, make_namespec, split_namespec
from fastwsgi.supervisor.states import (
    RUNNING_STATES,
    SIGNALLABLE_STATES,
    STOPPED_STATES,
    ProcessStates,
    getProcessStateDescription,
)

# A start or stop that is not settled yet: a check that answers True once it
# is, False while it is not, and raises the RPCError of a failure.
Pending = Callable[[], bool]

XMLRPC_MAXINT = 2**31 - 1


def capped_int(value: float) -> int:
    """XML-RPC ints are 32-bit: clamp (supervisor's capped_int, for times)."""
    return max(-XMLRPC_MAXINT - 1, min(XMLRPC_MAXINT, int(value)))


def _execv_fault(exc: Exception, name: str) -> RPCError | None:
    """The fault for what ``get_execv_args`` raised, if it is one of the
    command errors (imported only when there is one)."""
    from fastwsgi.supervisor import process as model
    if isinstance(exc, model.NotFound):
        return RPCError(Faults.NO_FILE, exc.args[0] if exc.args else name)
    not_executable = (model.BadCommand, model.NotExecutable, model.NoPermission)
    if isinstance(exc, not_executable):
        return RPCError(Faults.NOT_EXECUTABLE, exc.args[0] if exc.args else name)
    return None


def _is_running(process: Any) -> bool:
    return process.get_state() in RUNNING_STATES


def _is_not_running(process: Any) -> bool:
    return not _is_running(process)


def _is_signallable(process: Any) -> bool:
    return process.get_state() in SIGNALLABLE_STATES


class ProcessMethods(RPCBase):
    # --- start ------------------------------------------------------------------
    def _start(self, name: str, wait: bool) -> bool | Pending:
        self._update("startProcess")
        _group, process = self._getGroupAndProcess(name)
        try:
            process.get_execv_args()
        except Exception as exc:
            fault = _execv_fault(exc, name)
            if fault is None:
                raise
            raise fault from None
        state = process.get_state()
        if state in RUNNING_STATES:
            raise RPCError(Faults.ALREADY_STARTED, name)
        if state == ProcessStates.UNKNOWN:
            raise RPCError(Faults.FAILED, f"{name} is in an unknown process state")
        process.spawn()
        # As supervisord: collect a child that died already, then let the
        # process take STARTING -> RUNNING at once when startsecs is 0.
        self.supervisord.reap()
        if process.spawnerr:
            raise RPCError(Faults.SPAWN_ERROR, name)
        process.transition()
        if not wait or process.get_state() == ProcessStates.RUNNING:
            return True

        def started() -> bool:
            if process.spawnerr:
                raise RPCError(Faults.SPAWN_ERROR, name)
            state = process.get_state()
            if state not in (ProcessStates.STARTING, ProcessStates.RUNNING):
                raise RPCError(Faults.ABNORMAL_TERMINATION, name)
            return bool(state == ProcessStates.RUNNING)
        return started

    async def startProcess(self, name: str, wait: bool = True) -> Any:
        """ Start a process

        @param string name Process name (or ``group:name``, or ``group:*``)
        @param boolean wait Wait for process to be fully started
        @return boolean result     Always true unless error

        """
        return await self._act("start", name, wait)

    async def startProcessGroup(self, name: str, wait: bool = True) -> list[dict[str, Any]]:
        """ Start all processes in the group named 'name'

        @param string name     The group name
        @param boolean wait    Wait for each process to be fully started
        @return array result   An array of process status info structs
        """
        return await self._act_on_group("start", name, wait)

    async def startAllProcesses(self, wait: bool = True) -> list[dict[str, Any]]:
        """ Start all processes listed in the configuration file

        @param boolean wait    Wait for each process to be fully started
        @return array result   An array of process status info structs
        """
        return await self._act_on_all("start", wait)

    # --- stop ---------------------------------------------------------------------
    def _stop(self, name: str, wait: bool) -> bool | Pending:
        self._update("stopProcess")
        _group, process = self._getGroupAndProcess(name)
        if process.get_state() not in RUNNING_STATES:
            raise RPCError(Faults.NOT_RUNNING, name)
        msg = process.stop()
        if msg is not None:
            raise RPCError(Faults.FAILED, msg)
        self.supervisord.reap()
        if not wait or process.get_state() in STOPPED_STATES:
            return True

        def stopped() -> bool:
            process.stop_report()
            return bool(process.get_state() in STOPPED_STATES)
        return stopped

    async def stopProcess(self, name: str, wait: bool = True) -> Any:
        """ Stop a process named by name

        @param string name  The name of the process to stop (or 'group:name')
        @param boolean wait        Wait for the process to be fully stopped
        @return boolean result     Always return True unless error
        """
        return await self._act("stop", name, wait)

    async def stopProcessGroup(self, name: str, wait: bool = True) -> list[dict[str, Any]]:
        """ Stop all processes in the process group named 'name'

        @param string name     The group name
        @param boolean wait    Wait for each process to be fully stopped
        @return array result   An array of process status info structs
        """
        return await self._act_on_group("stop", name, wait)

    async def stopAllProcesses(self, wait: bool = True) -> list[dict[str, Any]]:
        """ Stop all processes in the process list

        @param  boolean wait   Wait for each process to be fully stopped
        @return array result   An array of process status info structs
        """
        return await self._act_on_all("stop", wait)

    # --- start and stop: one, a group, all -------------------------------------------
    async def _act(self, verb: str, name: str, wait: bool) -> Any:
        """startProcess/stopProcess: one process, or the group ``name`` stands
        for (``group:*``, or an in-process WSGI program's name)."""
        self._update(f"{verb}Process")
        _group, process = self._getGroupAndProcess(name)
        if process is None:
            return await self._act_on_group(verb, split_namespec(name)[0], wait)
        return await self._settle(self._begin(verb)(name, wait))

    async def _act_on_group(self, verb: str, name: str, wait: bool) -> list[dict[str, Any]]:
        self._update(f"{verb}ProcessGroup")
        group = self.supervisord.process_groups.get(name)
        if group is None:
            raise RPCError(Faults.BAD_NAME, name)
        return await self._act_on_each(verb, self._group_processes(group), wait)

    async def _act_on_all(self, verb: str, wait: bool) -> list[dict[str, Any]]:
        self._update(f"{verb}AllProcesses")
        return await self._act_on_each(verb, self._getAllProcesses(), wait)

    async def _act_on_each(self, verb: str, processes: list[tuple[Any, Any]],
                           wait: bool) -> list[dict[str, Any]]:
        """Start every process of ``processes`` not running, or stop every one
        running (supervisor skips the others without a word)."""
        applies = _is_not_running if verb == "start" else _is_running
        begin = self._begin(verb)
        return await self._for_all(processes, applies, lambda spec: begin(spec, wait))

    def _begin(self, verb: str) -> Callable[[str, bool], bool | Pending]:
        return self._start if verb == "start" else self._stop

    # --- signal ---------------------------------------------------------------------
    def signalProcess(self, name: str, signal: str) -> Any:
        """ Send an arbitrary UNIX signal to the process named by name

        @param string name    Name of the process to signal (or 'group:name')
        @param string signal  Signal to send, as name ('HUP') or number ('1')
        @return boolean
        """
        self._update("signalProcess")
        group, process = self._getGroupAndProcess(name)
        try:
            sig = datatypes.signal_number(signal)
        except ValueError:
            raise RPCError(Faults.BAD_SIGNAL, signal) from None
        unit = getattr(group, "wsgi", {}).get(split_namespec(name)[1])
        if process is None and unit is not None:
            # an in-process WSGI program by its name: the program's signal
            if not unit.views.views or unit.get_state() not in SIGNALLABLE_STATES:
                raise RPCError(Faults.NOT_RUNNING, name)
            msg = unit.signal(sig)
            if msg is not None:
                raise RPCError(Faults.FAILED, msg)
            return True
        if process is None:
            return self.signalProcessGroup(split_namespec(name)[0], signal)
        if process.get_state() not in SIGNALLABLE_STATES:
            raise RPCError(Faults.NOT_RUNNING, name)
        msg = process.signal(sig)
        if msg is not None:
            raise RPCError(Faults.FAILED, msg)
        return True

    def signalProcessGroup(self, name: str, signal: str) -> list[dict[str, Any]]:
        """ Send a signal to all processes in the group named 'name'

        @param string name    The group name
        @param string signal  Signal to send, as name ('HUP') or number ('1')
        @return array
        """
        group = self.supervisord.process_groups.get(name)
        self._update("signalProcessGroup")
        if group is None:
            raise RPCError(Faults.BAD_NAME, name)
        results, _ = self._each(self._group_processes(group), _is_signallable,
                                self._signal_each(signal))
        self._update("signalProcessGroup")
        return results

    def signalAllProcesses(self, signal: str) -> list[dict[str, Any]]:
        """ Send a signal to all processes in the process list

        @param string signal  Signal to send, as name ('HUP') or number ('1')
        @return array         An array of process status info structs
        """
        results, _ = self._each(self._getAllProcesses(), _is_signallable,
                                self._signal_each(signal))
        self._update("signalAllProcesses")
        return results

    def _signal_each(self, signal: str) -> Callable[[str], Any]:
        """signalProcess for each process of a group or of all, except that an
        in-process WSGI program gets the signal once, for all its workers
        (``signal HUP x`` reloads x, it does not HUP each worker)."""
        signalled: set[int] = set()

        def signal_one(spec: str) -> Any:
            _group, process = self._getGroupAndProcess(spec)
            unit = getattr(process, "unit", None)
            if unit is None:
                return self.signalProcess(spec, signal)
            try:
                sig = datatypes.signal_number(signal)
            except ValueError:
                raise RPCError(Faults.BAD_SIGNAL, signal) from None
            if id(unit) not in signalled:
                signalled.add(id(unit))
                msg = process.signal_program(sig)
                if msg is not None:
                    raise RPCError(Faults.FAILED, msg)
            return True
        return signal_one

    # --- running many at once ------------------------------------------------------
    def _each(self, processes: list[tuple[Any, Any]], predicate: Callable[[Any], bool],
              func: Callable[[str], Any]
              ) -> tuple[list[dict[str, Any]], list[tuple[Any, Any, Pending]]]:
        """Call ``func`` on every process matching ``predicate``: the results
        settled at once, and (group, process, pending) of the others."""
        results: list[dict[str, Any]] = []
        pending: list[tuple[Any, Any, Pending]] = []
        for group, process in processes:
            if not predicate(process):
                continue
            try:
                outcome = func(make_namespec(group.config.name, process.config.name))
            except RPCError as exc:
                results.append(result(group, process, exc.code, exc.text))
                continue
            if callable(outcome):
                pending.append((group, process, outcome))
            else:
                results.append(result(group, process))
        return results, pending

    async def _for_all(self, processes: list[tuple[Any, Any]],
                       predicate: Callable[[Any], bool],
                       func: Callable[[str], bool | Pending]) -> list[dict[str, Any]]:
        results, pending = self._each(processes, predicate, func)
        while pending:
            for entry in list(pending):
                group, process, check = entry
                try:
                    done = check()
                except RPCError as exc:
                    results.append(result(group, process, exc.code, exc.text))
                    pending.remove(entry)
                    continue
                if done:
                    results.append(result(group, process))
                    pending.remove(entry)
            if pending:
                await self._wait_change(settle=True)
        return results

    async def _settle(self, outcome: bool | Pending) -> bool:
        if not callable(outcome):
            return outcome
        while not outcome():
            await self._wait_change()
        return True

    # --- information -------------------------------------------------------------------
    def getAllConfigInfo(self) -> list[dict[str, Any]]:
        """ Get info about all available process configurations. Each struct
        represents a single process (i.e. groups get flattened).

        @return array result  An array of process config info structs
        """
        self._update("getAllConfigInfo")
        infos = []
        for gconfig in self.supervisord.options.process_group_configs:
            inuse = gconfig.name in self.supervisord.process_groups
            for pconfig in gconfig.process_configs:
                for name in self._config_names(gconfig, pconfig):
                    infos.append(_config_info(gconfig, pconfig, inuse, name))
        infos.sort(key=lambda info: info["name"])
        return infos

    def _config_names(self, gconfig: Any, pconfig: Any) -> list[str]:
        """The process names of a configuration: an in-process WSGI program's
        are its workers' (as supervisord's of a program with numprocs)."""
        group = self.supervisord.process_groups.get(gconfig.name)
        unit = getattr(group, "wsgi", {}).get(pconfig.name) if group is not None else None
        if unit is not None and unit.config == pconfig:
            return list(unit.views.by_name())
        workers = getattr(getattr(pconfig, "wsgi_plan", None), "workers", None)
        if isinstance(workers, int):
            width = max(2, len(str(workers - 1)))
            return [f"{pconfig.name}_{i:0{width}d}" for i in range(workers)]
        return [pconfig.name]

    def getProcessInfo(self, name: str) -> dict[str, Any]:
        """ Get info about a process named name

        @param string name The name of the process (or 'group:name')
        @return struct result     A structure containing data about the process
        """
        self._update("getProcessInfo")
        group, process = self._getGroupAndProcess(name)
        if process is None:
            raise RPCError(Faults.BAD_NAME, name)
        return self._info(group, process, capped_int(time.time()))

    def _info(self, group: Any, process: Any, now: int) -> dict[str, Any]:
        state = process.get_state()
        stdout_logfile = process.config.stdout_logfile or ""
        info = {
            "name": process.config.name,
            "group": group.config.name,
            "start": capped_int(process.laststart),
            "stop": capped_int(process.laststop),
            "now": now,
            "state": state,
            "statename": getProcessStateDescription(state),
            "spawnerr": process.spawnerr or "",
            "exitstatus": process.exitstatus or 0,
            "logfile": stdout_logfile,  # the old name of stdout_logfile
            "stdout_logfile": stdout_logfile,
            "stderr_logfile": process.config.stderr_logfile or "",
            "pid": process.pid,
        }
        info["description"] = describe(info)
        return info

    def getAllProcessInfo(self) -> list[dict[str, Any]]:
        """ Get info about all processes

        @return array result  An array of process status results
        """
        self._update("getAllProcessInfo")
        now = capped_int(time.time())
        return [self._info(group, process, now)
                for group, process in self._getAllProcesses(lexical=True)]

    def sendProcessStdin(self, name: str, chars: Any) -> bool:
        """ Send a string of chars to the stdin of the process name.
        If non-7-bit data is sent (unicode), it is encoded to utf-8
        before being sent to the process' stdin.  If chars is not a
        string or is not unicode, raise INCORRECT_PARAMETERS.  If the
        process is not running, raise NOT_RUNNING.  If the process'
        stdin cannot accept input (e.g. it was closed by the child
        process), raise NO_FILE.

        @param string name        The process name to send to (or 'group:name')
        @param string chars       The character data to send to the process
        @return boolean result    Always return True unless error
        """
        self._update("sendProcessStdin")
        if not isinstance(chars, (str, bytes)):
            raise RPCError(Faults.INCORRECT_PARAMETERS, chars)
        data = chars.encode("utf-8") if isinstance(chars, str) else chars
        _group, process = self._getGroupAndProcess(name)
        if process is None:
            raise RPCError(Faults.BAD_NAME, name)
        if not process.pid or process.killing:
            raise RPCError(Faults.NOT_RUNNING, name)
        try:
            process.write(data)
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise RPCError(Faults.NO_FILE, name) from None
            raise
        return True


_CONFIG_FIELDS = (
    "autostart", "directory", "uid", "command", "exitcodes", "killasgroup", "redirect_stderr",
    "startretries", "startsecs", "stdout_capture_maxbytes", "stdout_events_enabled",
    "stdout_logfile", "stdout_logfile_backups", "stdout_logfile_maxbytes", "stdout_syslog",
    "stopwaitsecs", "stderr_capture_maxbytes", "stderr_events_enabled", "stderr_logfile",
    "stderr_logfile_backups", "stderr_logfile_maxbytes", "stderr_syslog", "serverurl",
)


def _config_info(gconfig: Any, pconfig: Any, inuse: bool, name: str) -> dict[str, Any]:
    """One entry of getAllConfigInfo, with supervisor 4.3's fields (no
    'autorestart': 4.3 does not send it) and its spellings of AUTO and NONE."""
    info: dict[str, Any] = {field: getattr(pconfig, field, None) for field in _CONFIG_FIELDS}
    info.update({
        "group": gconfig.name, "group_prio": gconfig.priority, "inuse": inuse,
        "name": name, "process_prio": pconfig.priority,
        "stopsignal": int(pconfig.stopsignal),
    })
    for key, value in info.items():
        if value is datatypes.Automatic:
            info[key] = "auto"
        elif value is None:
            info[key] = "none"
    return info

"""Supervisor: the root of supervisor mode, and the host of every process.

Theory of operation.  One asyncio task on uvloop does everything; nothing
here blocks.  Signal handlers only queue the signal.  Each child has a pidfd
in the loop (uvloop keeps SIGCHLD for itself): when one is readable, `reap()`
collects every exited child with waitpid(-1, WNOHANG) (the master is a child
subreaper, so orphaned grandchildren come back to it and are reaped too).
Each child's stdout/stderr is a non-blocking pipe read by the loop into its
log (capture.py).  Time-driven edges (startsecs, back-off, stopwaitsecs)
need no polling: after every change one pass runs `transition()` on every
group, then one timer is set for the earliest deadline any process has.

Shutdown (TERM/INT/QUIT, or a FATAL program with fatal_exits_master) stops
the groups one at a time, highest priority first, each within its
stopwaitsecs before SIGKILL; then every remaining member of every
program's process group is killed, so no descendant outlives the master.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable
from typing import Any

from fastwsgi.supervisor.capture import OutputChannel
from fastwsgi.supervisor.configs import ProcessGroupConfig, ServerOptions
from fastwsgi.supervisor.groups import ProcessGroup
from fastwsgi.supervisor.logfile import LogFile
from fastwsgi.supervisor.names import decode_wait_status, signame
from fastwsgi.supervisor.process import Subprocess
from fastwsgi.supervisor.states import ProcessStates, SupervisorStates
from fastwsgi.system.osapi import REAL_OS, OSApi

HANDLED_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGHUP,
                   signal.SIGUSR2)
Listener = Callable[[Subprocess, int, int], None]


class Supervisor:
    def __init__(self, options: ServerOptions, os_api: OSApi = REAL_OS) -> None:
        self.options = options
        self.os = os_api
        self.logger = options.logger
        self.process_groups: dict[str, ProcessGroup] = {}
        self.pidhistory: dict[int, Subprocess] = {}
        self.pidfds: dict[int, int] = {}  # pid -> pidfd
        self.pgids: set[int] = set()  # process groups of children we started
        # Exit statuses of in-process WSGI programs' workers that reap() collected:
        # their program's waitpid() finds them here (ProgramOS).
        self.worker_statuses: dict[int, int] = {}
        self.listeners: list[Listener] = []
        self.exit_code = 0
        self.stopping = False
        self.stop_groups: list[ProcessGroup] | None = None
        self.signals: asyncio.Queue[int] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pass_scheduled = False
        self._timer: asyncio.TimerHandle | None = None
        self._changed: asyncio.Event | None = None
        self._wake: asyncio.Event | None = None
        self.control: Any = None

    # The names rpcinterface reads
    @property
    def mood(self) -> int:
        return self.options.mood

    @property
    def identifier(self) -> str:
        return self.options.identifier

    @property
    def pid(self) -> int:
        return self.options.get_pid()

    @property
    def config_path(self) -> str:
        return self.options.configfile

    @property
    def mainlog_path(self) -> str | None:
        return self.options.logfile

    def get_state(self) -> int:
        return self.options.mood

    # Groups
    def diff_to_active(self) -> tuple[list[ProcessGroupConfig], list[ProcessGroupConfig],
                                      list[ProcessGroupConfig]]:
        """(added, changed, removed) between the last read of the file and what runs."""
        new = self.options.process_group_configs
        current = {group.config.name: group.config for group in self.process_groups.values()}
        names = {config.name for config in new}
        added = [config for config in new if config.name not in current]
        removed = [config for config in current.values() if config.name not in names]
        changed = [config for config in new
                   if config.name in current and config != current[config.name]]
        return added, changed, removed

    def add_process_group(self, config: ProcessGroupConfig) -> bool:
        if config.name in self.process_groups:
            return False
        self.process_groups[config.name] = ProcessGroup(config, self)
        self.kick()
        return True

    def remove_process_group(self, name: str) -> bool:
        group = self.process_groups[name]
        if group.get_unstopped_processes():
            return False
        group.before_remove()
        del self.process_groups[name]
        return True

    async def update(self) -> tuple[list[str], list[str], list[str]]:
        """reread + update: stop and remove what went or changed, add what is new or changed.
        Raises ValueError (the one line) if the file does not read; nothing changes then."""
        self.options.process_config()
        added, changed, removed = self.diff_to_active()
        for config in removed + changed:
            group = self.process_groups[config.name]
            group.stop_all()
            self.kick()
            while group.get_unstopped_processes():
                await self.wait_change(1.0)
            self.remove_process_group(config.name)
            self.logger.info("removed process group %s", config.name)
        for config in changed + added:
            self.add_process_group(config)
            self.logger.info("added process group %s", config.name)
        return ([c.name for c in added], [c.name for c in changed], [c.name for c in removed])

    def shutdown(self) -> None:
        self.options.mood = SupervisorStates.SHUTDOWN
        self._wakeup()

    def restart(self) -> None:
        self.options.mood = SupervisorStates.RESTARTING
        self._wakeup()

    # Waiting for changes (control's wait=True)
    def add_listener(self, listener: Listener) -> None:
        self.listeners.append(listener)

    async def wait_change(self, timeout: float | None = None) -> bool:
        """Until a process changes state; False on timeout."""
        assert self._changed is not None
        event = self._changed
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        return True

    # ProcessHost
    def process_changed(self, process: Subprocess, old: int, new: int) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = asyncio.Event()
        for listener in self.listeners:
            listener(process, old, new)
        if new == ProcessStates.FATAL and process.config.fatal_exits_master \
                and self.options.mood == SupervisorStates.RUNNING:
            self.logger.critical("%s is FATAL and has fatal_exits_master=true: shutting down",
                                 process.config.name)
            self.exit_code = 1
            self.options.mood = SupervisorStates.SHUTDOWN
        self.kick()

    def child_environment(self, process: Subprocess) -> dict[str, str]:
        env = dict(os.environ)
        env["SUPERVISOR_ENABLED"] = "1"
        serverurl = process.config.serverurl or self.options.serverurl
        if serverurl:
            env["SUPERVISOR_SERVER_URL"] = serverurl
        env["SUPERVISOR_PROCESS_NAME"] = process.config.name
        if process.group is not None:
            env["SUPERVISOR_GROUP_NAME"] = process.group.config.name
        env.update(process.config.environment)
        env.setdefault("PYTHONUNBUFFERED", "1")  # a Python child's prints reach the log now
        return env

    def child_message(self, process: Subprocess, text: str) -> None:
        """A line about the child, written where its stderr goes (as supervisord's child
        writes it when its exec fails)."""
        channel = "stdout" if process.config.redirect_stderr else "stderr"
        log = self._log_of(process, channel)
        if log is not None:
            log.write(text.encode())

    def process_started(self, process: Subprocess, pipes: dict[str, int]) -> None:
        loop = self._loop
        assert loop is not None
        self._watch(process)
        self.capture(process, pipes)

    def _watch(self, process: Subprocess) -> None:
        loop = self._loop
        assert loop is not None
        pid = process.pid
        self.pidhistory[pid] = process
        self.pgids.add(pid)
        try:
            pidfd = self.os.pidfd_open(pid)
        except ProcessLookupError:
            pidfd = -1
        if pidfd >= 0:
            self.pidfds[pid] = pidfd
            loop.add_reader(pidfd, self.reap)
        else:
            loop.call_soon(self.reap)

    def capture(self, process: Subprocess, pipes: dict[str, int]) -> None:
        """Read the process's stdout/stderr pipes (``pipes``' read ends) into its logs."""
        loop = self._loop
        assert loop is not None
        for channel in ("stdout", "stderr"):
            fd = pipes.get(channel)
            if fd is None:
                continue
            out = OutputChannel(process.config.name, channel, fd, self._log_of(process, channel),
                                prefix=self._prefix(process, channel),
                                strip_ansi=self.options.strip_ansi,
                                to_syslog=getattr(process.config, f"{channel}_syslog"),
                                mainlog=self._to_mainlog
                                if self.options.loglevel <= logging.DEBUG else None,
                                capture_maxbytes=getattr(process.config,
                                                         f"{channel}_capture_maxbytes"),
                                on_message=self._comm_message)
            process.channels[channel] = out
            out.attach(loop)  # the channel paces its own reads (capture.py)

    def process_finished(self, process: Subprocess) -> None:
        for channel in list(process.channels.values()):
            channel.drain()
            channel.close()
        stdin = process.pipes.get("stdin")
        if stdin is not None:
            try:
                self.os.close(stdin)
            except OSError:
                pass

    def _log_of(self, process: Subprocess, channel: str) -> LogFile | None:
        log = process.logs.get(channel)
        path = getattr(process.config, f"{channel}_logfile")
        if log is None and path:
            try:
                log = LogFile(path, getattr(process.config, f"{channel}_logfile_maxbytes"),
                              getattr(process.config, f"{channel}_logfile_backups"))
            except OSError as exc:
                self.logger.error("cannot open %s log %s of %s: %s", channel, path,
                                  process.config.name, exc.strerror)
                return None
            log.on_backlog = self._backlog_watcher(log)
            process.logs[channel] = log
        return log

    def _backlog_watcher(self, log: LogFile) -> Callable[[bool], None]:
        def watch(waiting: bool) -> None:
            assert self._loop is not None
            if waiting:
                self._loop.add_writer(log.fd, log.flush_backlog)
            else:
                self._loop.remove_writer(log.fd)
        return watch

    @staticmethod
    def _prefix(process: Subprocess, channel: str) -> bytes:
        if not process.config.log_prefix:
            return b""
        suffix = "" if channel == "stdout" or process.config.redirect_stderr else " (stderr)"
        return f"{process.config.name}{suffix} | ".encode()

    def _comm_message(self, channel: OutputChannel, message: bytes) -> None:
        # supervisord turns it into a PROCESS_COMMUNICATION event for event listeners,
        # which fastwsgi does not have; its debug line is what is left to see.
        self.logger.debug("%r %s emitted a comm event", channel.name, channel.channel)

    def _to_mainlog(self, name: str, channel: str, data: bytes) -> None:
        self.logger.debug("%r %s output:\n%s", name, channel,
                          data.decode("utf-8", "backslashreplace"))

    # Reaping
    def reap(self) -> None:
        """Collect every child that has exited (ours, and adopted orphans)."""
        while True:
            try:
                pid, status = self.os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            pidfd = self.pidfds.pop(pid, None)
            if pidfd is not None and self._loop is not None:
                self._loop.remove_reader(pidfd)
                self.os.close(pidfd)
            process = self.pidhistory.pop(pid, None)
            if process is None:
                owner = self._wsgi_owner(pid)
                if owner is not None:  # its program reaps it: see ProgramOS
                    self.worker_statuses[pid] = status
                    owner.program.wake()
                    continue
                self.logger.info("reaped unknown pid %s (%s)", pid,
                                 decode_wait_status(status)[1])
                continue
            stopped = process.killing
            process.finish(status)
            if stopped:
                self._kill_leftovers(pid, process.config.name)
            else:
                self._forget_group_if_empty(pid)

    def _wsgi_owner(self, pid: int) -> Any:
        for group in self.process_groups.values():
            owner = group.find_wsgi_worker(pid)
            if owner is not None:
                return owner
        return None

    # In-process WSGI programs (supervisor.wsgi)
    @property
    def wsgi_programs(self) -> dict[str, Any]:
        """The in-process WSGI programs that run, by name (their WSGIProgram:
        the control server's /metrics and status page read their workers)."""
        return {name: process.program for group in self.process_groups.values()
                for name, process in group.wsgi.items() if process.program is not None}

    def program_os(self) -> OSApi:
        """The OS as a WSGI program of this supervisor sees it."""
        return ProgramOS(self.os, self.worker_statuses)

    def fds_of_others(self, process: Subprocess) -> list[int]:
        """What a WSGI program's worker must not keep of this process: the
        pidfds, and every program's pipes (another's stdin would never see EOF)."""
        fds = list(self.pidfds.values())
        for group in self.process_groups.values():
            for member in group.members:
                fds.extend(member.pipes.values())
                fds.extend(channel.fd for channel in member.channels.values())
        return fds

    def _forget_group_if_empty(self, pgid: int) -> None:
        """Only process groups that still have members are killed at shutdown (a number
        that is no group of ours any more may name someone else's later)."""
        try:
            self.os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            self.pgids.discard(pgid)

    def _kill_leftovers(self, pgid: int, name: str) -> None:
        """A stopped program's process group may hold descendants: none survives a stop."""
        try:
            self.os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            self.pgids.discard(pgid)
            return
        self.logger.info("killed what was left of %s's process group %s", name, pgid)
        self.pgids.discard(pgid)

    # Scheduling transitions
    def kick(self) -> None:
        """Run a transition pass soon (coalesced)."""
        if self._loop is None or self._pass_scheduled:
            return
        self._pass_scheduled = True
        self._loop.call_soon(self._transition_pass)

    def _transition_pass(self) -> None:
        self._pass_scheduled = False
        self.reap()  # adopted orphans have no pidfd; one WNOHANG call finds them
        if self.options.mood < SupervisorStates.RUNNING:
            self._wakeup()
        for group in sorted(self.process_groups.values()):
            group.transition()
        deadlines = [d for group in self.process_groups.values()
                     for p in group.members
                     if (d := p.next_deadline()) is not None]
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if deadlines and self._loop is not None:
            delay = max(0.0, min(deadlines) - self.os.monotonic()) + 0.001
            self._timer = self._loop.call_later(delay, self.kick)

    def _wakeup(self) -> None:
        if self._wake is not None:
            self._wake.set()

    # The main loop
    async def run(self, control_factory: Callable[[Supervisor], Any] | None = None) -> int:
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()
        self._wake = asyncio.Event()
        self.signals = asyncio.Queue()
        for sig in HANDLED_SIGNALS:
            self._loop.add_signal_handler(sig, self._on_signal, sig)
        if control_factory is not None:  # serving before any program starts
            self.control = control_factory(self)
            await self.control.start()
        for config in self.options.process_group_configs:
            self.add_process_group(config)
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                await self._handle_signals()
                if self.options.mood < SupervisorStates.RUNNING and self._stop_step():
                    if self.options.mood == SupervisorStates.SHUTDOWN:
                        break
                    self._restart_now()
        finally:
            await self._cleanup()
        return self.exit_code

    def _restart_now(self) -> None:
        """RESTARTING and all stopped: read the file again and start from it."""
        try:
            self.options.process_config()
        except ValueError as exc:
            self.logger.error("could not reread config, restarting with the old one: %s", exc)
        for name in list(self.process_groups):
            self.remove_process_group(name)
        self.stopping = False
        self.stop_groups = None
        self.options.mood = SupervisorStates.RUNNING
        for config in self.options.process_group_configs:
            self.add_process_group(config)

    def _on_signal(self, sig: int) -> None:
        assert self.signals is not None
        self.signals.put_nowait(sig)
        self._wakeup()

    async def _handle_signals(self) -> None:
        assert self.signals is not None
        while not self.signals.empty():
            sig = self.signals.get_nowait()
            handler = getattr(self, "handle_" + signame(sig)[3:].lower())
            result = handler()
            if asyncio.iscoroutine(result):
                await result

    def handle_term(self) -> None:
        """TERM: stop every program (priority order), then exit."""
        self.logger.warning("received SIGTERM indicating exit request")
        self.options.mood = SupervisorStates.SHUTDOWN

    def handle_int(self) -> None:
        """INT: as TERM."""
        self.logger.warning("received SIGINT indicating exit request")
        self.options.mood = SupervisorStates.SHUTDOWN

    def handle_quit(self) -> None:
        """QUIT: as TERM."""
        self.logger.warning("received SIGQUIT indicating exit request")
        self.options.mood = SupervisorStates.SHUTDOWN

    async def handle_hup(self) -> None:
        """HUP: re-read the file and apply it as `supervisorctl update` does."""
        if self.options.mood == SupervisorStates.SHUTDOWN:
            self.logger.warning("ignored SIGHUP indicating restart request "
                                "(shutdown in progress)")
            return
        self.logger.warning("received SIGHUP indicating update request")
        try:
            added, changed, removed = await self.update()
        except ValueError as exc:
            self.logger.error("could not reread config, nothing changed: %s", exc)
            return
        self.logger.info("update: added %s, changed %s, removed %s", added, changed, removed)

    def handle_usr2(self) -> None:
        """USR2: reopen every log (after logrotate)."""
        self.logger.info("received SIGUSR2 indicating log reopen request")
        self.options.reopenlogs()
        for group in self.process_groups.values():
            group.reopenlogs()

    def _stop_step(self) -> bool:
        """One step of the ordered shutdown; True once every process is stopped."""
        if not self.stopping:
            self.stopping = True
            self.stop_groups = sorted(self.process_groups.values())
        assert self.stop_groups is not None
        while self.stop_groups:
            group = self.stop_groups[-1]
            group.stop_all()
            if group.get_unstopped_processes():
                self.kick()
                return False
            self.stop_groups.pop()
        unstopped = [p for g in self.process_groups.values()
                     for p in g.get_unstopped_processes()]
        return not unstopped

    async def _cleanup(self) -> None:
        for pgid in sorted(self.pgids):
            try:
                self.os.killpg(pgid, signal.SIGKILL)
                self.logger.info("killed the rest of process group %s", pgid)
            except (ProcessLookupError, PermissionError):
                pass
        self.pgids.clear()
        for _ in range(200):  # what SIGKILL hit dies at once; reap it before leaving
            self.reap()
            if not self.os.has_children():
                break
            await asyncio.sleep(0.01)
        if self.control is not None:
            await self.control.close()
        for group in self.process_groups.values():
            group.before_remove()
        loop = self._loop
        if loop is not None:
            for sig in HANDLED_SIGNALS:
                loop.remove_signal_handler(sig)
            for pidfd in self.pidfds.values():
                loop.remove_reader(pidfd)
                os.close(pidfd)
        if self._timer is not None:
            self._timer.cancel()


class ProgramOS(OSApi):
    """The supervisor's OS seam for one WSGI program: waitpid() of one of its
    workers first takes the status the supervisor's reap(-1) collected."""

    def __init__(self, inner: OSApi, statuses: dict[int, int]) -> None:
        self.inner = inner
        self.statuses = statuses

    def __getattribute__(self, name: str) -> Any:
        if name in ("inner", "statuses", "waitpid"):
            return object.__getattribute__(self, name)
        return getattr(object.__getattribute__(self, "inner"), name)

    def waitpid(self, pid: int, options: int) -> tuple[int, int]:
        status = self.statuses.pop(pid, None)
        if status is not None:
            return pid, status
        return self.inner.waitpid(pid, options)

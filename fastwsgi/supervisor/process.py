"""Subprocess: one [program:x] process and supervisor 4's state machine for it.

Theory of operation (supervisor/process.py, edge for edge):

    STOPPED/EXITED/FATAL/BACKOFF --spawn--> STARTING
    STARTING --stays up > startsecs--> RUNNING
    STARTING --exits sooner, or spawn fails--> BACKOFF
    BACKOFF --after `backoff` seconds (1, 2, 3 ...)--> STARTING, while backoff <= startretries
    BACKOFF --backoff > startretries--> FATAL
    RUNNING --exits--> EXITED (expected if the code is in exitcodes)
    EXITED --autorestart true, or unexpected and not expected--> STARTING
    RUNNING/STARTING --stop()--> STOPPING --exits--> STOPPED
    STOPPING --stopwaitsecs pass--> SIGKILL (still STOPPING)
    BACKOFF --stop()--> STOPPED

`change_state` is the only writer of `state`; it refuses an edge not in
states.TRANSITIONS and tells the host (events, timers, waiters).  Every call
that touches the OS goes through `host.os` (an OSApi), so tests drive this
machine with a fake OS and a fake clock.  Deadlines use the monotonic clock;
`laststart`/`laststop` are wall-clock times, as supervisor reports them.
"""

from __future__ import annotations

import errno
import logging
import os
import shlex
import signal
import stat
from typing import Any, Protocol

from fastwsgi.supervisor.configs import ProcessConfig
from fastwsgi.supervisor.datatypes import RestartUnconditionally
from fastwsgi.supervisor.names import decode_wait_status, describe, signame
from fastwsgi.supervisor.states import (
    TRANSITIONS,
    ProcessStates,
    SupervisorStates,
    getProcessStateDescription,
)
from fastwsgi.system.osapi import OSApi

S = ProcessStates


class ProcessException(Exception):
    """The command cannot be run; args[0] is supervisor's message."""


class BadCommand(ProcessException):
    pass


class NotExecutable(ProcessException):
    pass


class NotFound(ProcessException):
    pass


class NoPermission(ProcessException):
    pass


class ProcessHost(Protocol):
    """What a process needs from the supervisor that owns it (Supervisor, or a test fake)."""

    os: OSApi
    logger: logging.Logger

    @property
    def mood(self) -> int: ...

    def process_changed(self, process: Subprocess, old: int, new: int) -> None: ...

    def process_started(self, process: Subprocess, pipes: dict[str, int]) -> None: ...

    def process_finished(self, process: Subprocess) -> None: ...

    def child_environment(self, process: Subprocess) -> dict[str, str]: ...

    def child_message(self, process: Subprocess, text: str) -> None: ...

    # For in-process WSGI programs (supervisor.wsgi)
    def capture(self, process: Subprocess, pipes: dict[str, int]) -> None: ...

    def program_os(self) -> OSApi: ...

    def fds_of_others(self, process: Subprocess) -> list[int]: ...


class Subprocess:
    def __init__(self, config: ProcessConfig, host: ProcessHost, group: Any = None) -> None:
        self.config = config
        self.host = host
        self.group = group
        self._state = S.STOPPED
        self.pid = 0
        self.laststart = 0.0
        self.laststop = 0.0
        self.laststopreport = 0.0
        self.started_at = 0.0  # monotonic laststart
        self.delay = 0.0  # monotonic: next BACKOFF retry, or SIGKILL deadline when STOPPING
        self.administrative_stop = False
        self.system_stop = False
        self.killing = False
        self.backoff = 0
        self.exitstatus: int | None = None
        self.spawnerr: str | None = None
        self.pipes: dict[str, int] = {}
        self.channels: dict[str, Any] = {}  # 'stdout'/'stderr' -> OutputChannel (the host's)
        self.logs: dict[str, Any] = {}  # 'stdout'/'stderr' -> LogFile, kept across spawns
        self.stdin_buffer = bytearray()

    # State
    @property
    def state(self) -> int:
        return self._state

    def get_state(self) -> int:
        return self._state

    def change_state(self, new_state: int) -> bool:
        old_state = self._state
        if new_state == old_state:
            return False
        if new_state not in TRANSITIONS[old_state]:
            raise AssertionError(f"Transition refused for {self.config.name}: "
                                 f"{getProcessStateDescription(old_state)} -> "
                                 f"{getProcessStateDescription(new_state)}")
        self._state = new_state
        if new_state == S.BACKOFF:
            self.backoff += 1
            self.delay = self.host.os.monotonic() + self.backoff
        self.host.process_changed(self, old_state, new_state)
        return True

    def _assert_in_state(self, *states: int) -> None:
        if self._state not in states:
            allowed = " ".join(str(getProcessStateDescription(s)) for s in states)
            raise AssertionError(f"Assertion failed for {self.config.name}: "
                                 f"{getProcessStateDescription(self._state)} not in {allowed}")

    def record_spawnerr(self, msg: str) -> None:
        self.spawnerr = msg
        self.host.logger.info("spawnerr: %s", msg)

    # Command
    def get_execv_args(self) -> tuple[str, list[str]]:
        """(file to exec, argv); raises a ProcessException subclass as supervisor does."""
        try:
            argv = shlex.split(self.config.command)
        except ValueError as exc:
            raise BadCommand(f"can't parse command {self.config.command!r}: {exc}") from None
        if not argv:
            raise BadCommand("command is empty")
        program = argv[0]
        st: os.stat_result | None = None
        filename = program
        if "/" in program:
            try:
                st = self.host.os.stat(program)
            except OSError:
                st = None
        else:
            for directory in self.config.get_path():
                found = os.path.join(directory, program)
                try:
                    st = self.host.os.stat(found)
                except OSError:
                    continue
                filename = found
                break
        if st is None:
            raise NotFound(f"can't find command {filename!r}")
        if stat.S_ISDIR(st.st_mode):
            raise NotExecutable(f"command at {filename!r} is a directory")
        if not stat.S_IMODE(st.st_mode) & 0o111:
            raise NotExecutable(f"command at {filename!r} is not executable")
        if not self.host.os.access(filename, os.X_OK):
            raise NoPermission(f"no permission to run command {filename!r}")
        return filename, argv

    # Spawning
    def spawn(self) -> int | None:
        """Start the process; its pid, or None if it could not be started."""
        name = self.config.name
        if self.pid:
            self.host.logger.warning("process '%s' already running", name)
            return None
        self.begin_spawn()
        try:
            filename, argv = self.get_execv_args()
        except ProcessException as exc:
            self.record_spawnerr(exc.args[0])
            self.change_state(S.BACKOFF)  # STARTING -> BACKOFF
            return None
        try:
            pipes = self._make_pipes()
        except OSError as exc:
            if exc.errno == errno.EMFILE:
                msg = f"too many open files to spawn '{name}'"
            else:
                msg = (f"unknown error making dispatchers for '{name}': "
                       f"{errno.errorcode.get(exc.errno or 0, exc.errno)}")
            self.record_spawnerr(msg)
            self.change_state(S.BACKOFF)  # STARTING -> BACKOFF
            return None
        env = self.host.child_environment(self)
        try:
            pid = self.host.os.spawn(
                filename, argv, env, stdin=pipes["child_stdin"], stdout=pipes["child_stdout"],
                stderr=pipes.get("child_stderr", pipes["child_stdout"]),
                cwd=self.config.directory, umask=self.config.umask, uid=self.config.uid)
        except OSError as exc:
            self._close_pipes(pipes, parent=True, child=True)
            if exc.filename is not None:  # the child's chdir or exec failed
                self._child_failed(exc, argv[0])
                return None
            if exc.errno == errno.EAGAIN:
                msg = f"Too many processes in process table to spawn '{name}'"
            else:
                msg = (f"unknown error during fork for '{name}': "
                       f"{errno.errorcode.get(exc.errno or 0, exc.errno)}")
            self.record_spawnerr(msg)
            self.change_state(S.BACKOFF)  # STARTING -> BACKOFF
            return None
        self.pid = pid
        self._close_pipes(pipes, parent=False, child=True)
        self.pipes = {key: fd for key, fd in pipes.items() if not key.startswith("child_")}
        self.host.logger.info("spawned: '%s' with pid %s", name, pid)
        self.spawnerr = None
        self.delay = self.started_at + self.config.startsecs
        self.host.process_started(self, self.pipes)
        return pid

    def begin_spawn(self) -> None:
        """What every start does first: forget the last run, and STARTING."""
        self.killing = False
        self.spawnerr = None
        self.exitstatus = None
        self.system_stop = False
        self.administrative_stop = False
        self.laststart = self.host.os.time()
        self.started_at = self.host.os.monotonic()
        self._assert_in_state(S.EXITED, S.FATAL, S.BACKOFF, S.STOPPED)
        self.change_state(S.STARTING)  # EXITED/FATAL/BACKOFF/STOPPED -> STARTING

    def _make_pipes(self) -> dict[str, int]:
        os_ = self.host.os
        pipes: dict[str, int] = {}
        try:
            pipes["child_stdin"], pipes["stdin"] = os_.pipe()
            pipes["stdout"], pipes["child_stdout"] = os_.pipe()
            if not self.config.redirect_stderr:
                pipes["stderr"], pipes["child_stderr"] = os_.pipe()
            for key in ("stdin", "stdout", "stderr"):
                if key in pipes:
                    os_.set_blocking(pipes[key], False)
        except OSError:
            self._close_pipes(pipes, parent=True, child=True)
            raise
        return pipes

    def _close_pipes(self, pipes: dict[str, int], parent: bool, child: bool) -> None:
        for key, fd in pipes.items():
            if (key.startswith("child_") and child) or (not key.startswith("child_") and parent):
                try:
                    self.host.os.close(fd)
                except OSError:
                    pass

    def _child_failed(self, exc: OSError, program: str) -> None:
        """The child could not chdir or exec: what supervisord's child would have written
        to its stderr goes to the log, and it counts as an exit that came too quickly."""
        code = errno.errorcode.get(exc.errno or 0, exc.errno)
        if exc.filename == self.config.directory and self.config.directory is not None:
            what = f"couldn't chdir to {self.config.directory}: {code}"
        else:
            what = f"couldn't exec {program}: {code}"
        self.host.child_message(self, f"supervisor: {what}\n"
                                      "supervisor: child process was not spawned\n")
        self.laststop = self.host.os.time()
        self.spawnerr = "Exited too quickly (process log may have details)"
        self.change_state(S.BACKOFF)  # STARTING -> BACKOFF
        self.host.logger.warning("exited: %s (exit status 127; not expected)", self.config.name)

    # Stopping and signals
    def stop(self) -> str | None:
        """Administrative stop: stopsignal now, SIGKILL after stopwaitsecs."""
        self.administrative_stop = True
        self.laststopreport = 0.0
        return self.kill(self.config.stopsignal)

    def stop_report(self) -> None:
        if self._state == S.STOPPING:
            now = self.host.os.monotonic()
            if now > self.laststopreport + 2:
                self.host.logger.info("waiting for %s to stop", self.config.name)
                self.laststopreport = now

    def give_up(self) -> None:
        self.delay = 0.0
        self.backoff = 0
        self.system_stop = True
        self._assert_in_state(S.BACKOFF)
        self.change_state(S.FATAL)  # BACKOFF -> FATAL

    def kill(self, sig: int) -> str | None:
        """Send `sig` meaning "exit"; None if sent, else the reason it was not."""
        name = self.config.name
        if self._state == S.BACKOFF:
            # A stop must not wait for the retries to run out.
            self.host.logger.debug("Attempted to kill %s, which is in BACKOFF state.", name)
            self.change_state(S.STOPPED)  # BACKOFF -> STOPPED
            return None
        if not self.pid:
            msg = f"attempted to kill {name} with sig {signame(sig)} but it wasn't running"
            self.host.logger.debug(msg)
            return msg
        # The second signal (SIGKILL at stopwaitsecs) follows killasgroup.
        as_group = self.config.killasgroup if self._state == S.STOPPING \
            else self.config.stopasgroup
        self.host.logger.debug("killing %s (pid %s) %swith signal %s", name, self.pid,
                               "process group " if as_group else "", signame(sig))
        self.killing = True
        self.delay = self.host.os.monotonic() + self.config.stopwaitsecs
        self._assert_in_state(S.RUNNING, S.STARTING, S.STOPPING)
        self.change_state(S.STOPPING)  # RUNNING/STARTING -> STOPPING
        try:
            if as_group:
                self.host.os.killpg(self.pid, sig)
            else:
                self.host.os.kill(self.pid, sig)
        except ProcessLookupError as exc:
            # It exited on its own; the reaper will see it.
            self.host.logger.debug("unable to signal %s (pid %s), it probably just exited "
                                   "on its own: %s", name, self.pid, exc)
        except OSError as exc:
            msg = f"unknown problem killing {name} ({self.pid}):{exc}"
            self.host.logger.critical(msg)
            self.change_state(S.UNKNOWN)  # STOPPING -> UNKNOWN
            self.killing = False
            self.delay = 0.0
            return msg
        return None

    def signal(self, sig: int) -> str | None:
        """Send `sig` without meaning "exit" (supervisorctl signal)."""
        name = self.config.name
        if not self.pid:
            msg = f"attempted to send {name} sig {signame(sig)} but it wasn't running"
            self.host.logger.debug(msg)
            return msg
        self.host.logger.debug("sending %s (pid %s) sig %s", name, self.pid, signame(sig))
        self._assert_in_state(S.RUNNING, S.STARTING, S.STOPPING)
        try:
            self.host.os.kill(self.pid, sig)
        except ProcessLookupError:
            pass
        except OSError as exc:
            msg = f"unknown problem sending sig {name} ({self.pid}):{exc}"
            self.host.logger.critical(msg)
            self.change_state(S.UNKNOWN)  # RUNNING/STARTING/STOPPING -> UNKNOWN
            return msg
        return None

    def write(self, data: bytes) -> None:
        """To the child's stdin; OSError(EPIPE) as supervisor's when it cannot take it."""
        if not self.pid or self.killing:
            raise OSError(errno.EPIPE, "Process already closed")
        fd = self.pipes.get("stdin")
        if fd is None:
            raise OSError(errno.EPIPE, "Process has no stdin channel")
        self.stdin_buffer += data
        self.flush_stdin()

    def flush_stdin(self) -> bool:
        """Write what the pipe takes now; True when the buffer is empty."""
        fd = self.pipes.get("stdin")
        while self.stdin_buffer and fd is not None:
            try:
                n = self.host.os.write(fd, bytes(self.stdin_buffer))
            except BlockingIOError:
                return False
            del self.stdin_buffer[:n]
        return True

    # Exit
    def finish(self, status: int) -> None:
        """The process was reaped with wait status `status`."""
        code, msg = decode_wait_status(status)
        now = self.host.os.monotonic()
        self.laststop = self.host.os.time()
        name = self.config.name
        too_quickly = now - self.started_at < self.config.startsecs
        exit_expected = code in self.config.exitcodes
        if self.killing:
            self.killing = False
            self.delay = 0.0
            self.exitstatus = code
            self._assert_in_state(S.STOPPING)
            self.change_state(S.STOPPED)  # STOPPING -> STOPPED
            level = logging.INFO if exit_expected else logging.WARNING
            self.host.logger.log(level, "stopped: %s (%s)", name, msg)
        elif too_quickly and self._state == S.STARTING:
            self.exitstatus = None
            self.spawnerr = "Exited too quickly (process log may have details)"
            self.change_state(S.BACKOFF)  # STARTING -> BACKOFF
            self.host.logger.warning("exited: %s (%s; not expected)", name, msg)
        else:
            self.delay = 0.0
            self.backoff = 0
            self.exitstatus = code
            if self._state == S.STARTING:
                self.change_state(S.RUNNING)  # STARTING -> RUNNING (startsecs=0)
            self._assert_in_state(S.RUNNING)
            if exit_expected:
                self.change_state(S.EXITED)  # RUNNING -> EXITED
                self.host.logger.info("exited: %s (%s; expected)", name, msg)
            else:
                self.spawnerr = f"Bad exit code {code}"
                self.change_state(S.EXITED)  # RUNNING -> EXITED
                self.host.logger.warning("exited: %s (%s; not expected)", name, msg)
        self.pid = 0
        self.stdin_buffer.clear()
        self.host.process_finished(self)
        self.pipes = {}

    # The clock
    def transition(self) -> None:
        """Take the edges that time or the autostart/autorestart rules call for."""
        now = self.host.os.monotonic()
        state = self._state
        config = self.config
        if self.host.mood > SupervisorStates.RESTARTING:
            if state == S.EXITED:
                if config.autorestart is RestartUnconditionally or (
                        config.autorestart and self.exitstatus not in config.exitcodes):
                    self.spawn()  # EXITED -> STARTING
            elif state == S.STOPPED and not self.laststart:
                if config.autostart:
                    self.spawn()  # STOPPED -> STARTING
            elif state == S.BACKOFF and self.backoff <= config.startretries \
                    and now >= self.delay:
                self.spawn()  # BACKOFF -> STARTING
        # As supervisor: the edges below look at the state this pass began in, so a
        # process just spawned waits for the next pass to be RUNNING.
        if state == S.STARTING and self.pid and now - self.started_at >= config.startsecs:
            self.delay = 0.0
            self.backoff = 0
            self.change_state(S.RUNNING)  # STARTING -> RUNNING
            self.host.logger.info("success: %s entered RUNNING state, process has stayed up "
                                  "for > than %s seconds (startsecs)", config.name,
                                  config.startsecs)
        elif state == S.BACKOFF and self.backoff > config.startretries:
            self.give_up()  # BACKOFF -> FATAL
            self.host.logger.info("gave up: %s entered FATAL state, too many start retries "
                                  "too quickly", config.name)
        elif state == S.STOPPING and self.delay - now <= 0 and self.pid:
            self.host.logger.warning("killing '%s' (%s) with SIGKILL", config.name, self.pid)
            self.kill(signal.SIGKILL)

    def next_deadline(self) -> float | None:
        """The monotonic time at which transition() has something to do, if any."""
        state = self._state
        if state == S.STARTING and self.pid:
            return self.started_at + self.config.startsecs
        if state == S.BACKOFF:
            return self.delay if self.backoff <= self.config.startretries else 0.0
        if state == S.STOPPING:
            return self.delay
        return None

    # Reporting
    def info(self, now: float) -> dict[str, Any]:
        """getProcessInfo's dict, with supervisor's fields and description."""
        group = self.group.config.name if self.group is not None else self.config.name
        result = {
            "name": self.config.name, "group": group,
            "start": int(self.laststart), "stop": int(self.laststop), "now": int(now),
            "state": self._state, "statename": getProcessStateDescription(self._state),
            "spawnerr": self.spawnerr or "", "exitstatus": self.exitstatus or 0,
            "logfile": self.config.stdout_logfile or "",
            "stdout_logfile": self.config.stdout_logfile or "",
            "stderr_logfile": self.config.stderr_logfile or "", "pid": self.pid,
        }
        result["description"] = describe(result)
        return result

    def reopenlogs(self) -> None:
        for log in self.logs.values():
            log.reopen()

    def removelogs(self) -> None:
        for log in self.logs.values():
            log.remove()
        for channel in self.channels.values():
            channel.clear()

    def __lt__(self, other: Subprocess) -> bool:
        return self.config < other.config

    def __repr__(self) -> str:
        return (f"<Subprocess {self.config.name} in state "
                f"{getProcessStateDescription(self._state)}>")

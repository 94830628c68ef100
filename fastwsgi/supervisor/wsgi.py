"""WSGIProcess: a `fastwsgi APP ...` [program:x] run in this process.

Theory of operation
-------------------
The program as a whole goes through supervisor's state machine exactly as an
exec'd command would (this is a Subprocess: the same edges, startsecs,
startretries, back-off, FATAL, autorestart with exitcodes, stopwaitsecs),
but "spawn" starts a ``HostedProgram`` in the supervisor's loop instead of
exec'ing a master: the listeners are bound here and the workers are this
process's children.  "Exit" is the program's end (``WSGIProgram.done``), its
code as gunicorn's master would have exited with (4: the app failed to
load, 3: workers kept dying before they were ready).  Two differences, both
because more is known here than about an exec'd child:

- STARTING lasts until startsecs have passed *and* every worker reported
  READY, so an app that cannot be imported ends in BACKOFF, then FATAL,
  with the reason as spawnerr ("the app failed to load: No module named
  'nope'"), instead of RUNNING and restarting forever;
- signals: HUP, TTIN, TTOU, USR1, WINCH, TERM, INT, QUIT are the program's,
  with gunicorn's meanings (HUP reloads with no request dropped); USR2 (a
  new master) does not apply and is refused; any other goes to every worker.

This object is not what supervisorctl shows: its group shows the workers
(``wsgi_workers.WorkerViews``), one process each (``x:x_00``, ...).
"""

from __future__ import annotations

import errno
import os
import signal
from typing import Any

from fastwsgi.errors import ConfigError, HaltServer
from fastwsgi.supervisor.configs import ProcessConfig
from fastwsgi.supervisor.datatypes import gid_for_uid
from fastwsgi.supervisor.names import signame
from fastwsgi.supervisor.process import ProcessHost, Subprocess
from fastwsgi.supervisor.states import ProcessStates
from fastwsgi.supervisor.wsgi_plan import WSGIPlan, load
from fastwsgi.supervisor.wsgi_workers import WorkerViews

S = ProcessStates
# The program's own signals (WSGIProgram.handle_<name>); USR2 is a master's.
PROGRAM_SIGNALS = ("hup", "ttin", "ttou", "usr1", "winch", "term", "int", "quit")


class WSGIProcess(Subprocess):
    """The state machine of one in-process WSGI program (see the module)."""

    def __init__(self, config: ProcessConfig, host: ProcessHost, group: Any,
                 plan: WSGIPlan) -> None:
        super().__init__(config, host, group)
        self.plan = plan
        self.program: Any = None  # the HostedProgram, while it runs
        self.child_fds: dict[str, int] = {}  # the pipes' write ends: the workers' stdout/stderr
        self.halt_reason = ""  # why the program stopped itself, if it did
        self.views = WorkerViews(self, plan.workers)

    # Supervisor's Subprocess, where running in-process differs

    def get_execv_args(self) -> tuple[str, list[str]]:
        """Nothing to exec (never raises: there is no file to find)."""
        return self.config.command, list(self.plan.argv)

    def spawn(self) -> int | None:
        name = self.config.name
        if self.program is not None:
            self.host.logger.warning("process '%s' already running", name)
            return None
        self.halt_reason = ""
        self.begin_spawn()  # EXITED/FATAL/BACKOFF/STOPPED -> STARTING
        if self.plan.error is not None:
            return self._spawn_failed(self.plan.error)
        try:
            program = self._make_program()
        except ConfigError as exc:
            return self._spawn_failed(exc.message)
        try:
            self._make_pipes_for(program)
        except OSError as exc:
            return self._spawn_failed(f"unknown error making dispatchers for '{name}': "
                                      f"{errno.errorcode.get(exc.errno or 0, exc.errno)}")
        views = self.views
        # A whole start runs the configured workers; a start of some places, those.
        everyone = views.wanted() == len(views.views)
        program.num_workers = int(program.cfg.workers) if everyone else views.wanted()
        try:
            program.cfg.on_starting(program)
            program.start()
        except HaltServer as exc:
            self._abandon(program)
            return self._spawn_failed(exc.reason or f"exit status {exc.exit_status}")
        except Exception as exc:  # a hook (on_starting, when_ready) raised
            self.host.logger.exception("%s: a hook failed while starting", name)
            self._abandon(program)
            return self._spawn_failed(f"a hook failed: {type(exc).__name__}: {exc}")
        self.program = program
        self.pid = self.host.os.getpid()  # the program runs in this process
        program.on_change = self.views.refresh
        assert program.done is not None
        program.done.add_done_callback(self._program_done)
        self.host.logger.info("spawned: '%s' in this process (WSGI program, %d workers)",
                              name, program.num_workers)
        self.delay = self.started_at + self.config.startsecs
        self.views.refresh()
        return self.pid

    def _make_program(self) -> Any:
        from fastwsgi.supervisor.wsgi_host import HostedProgram
        cfg = load(self.plan.argv, self.plan.directory, self.host.child_environment(self))
        if self.config.uid is not None and cfg.uid == os.geteuid() != self.config.uid:
            # the exec'd master would have run as `user`: its workers do
            cfg.set("user", str(self.config.uid))
            cfg.set("group", str(gid_for_uid(self.config.uid)))
        return HostedProgram(cfg, self)

    def _make_pipes_for(self, program: Any) -> None:
        os_ = self.host.os
        pipes: dict[str, int] = {}
        try:
            pipes["stdout"], self.child_fds["stdout"] = os_.pipe()
            if not self.config.redirect_stderr:
                pipes["stderr"], self.child_fds["stderr"] = os_.pipe()
            for fd in pipes.values():
                os_.set_blocking(fd, False)
        except OSError:
            for fd in [*pipes.values(), *self.child_fds.values()]:
                os_.close(fd)
            self.child_fds = {}
            raise
        self.pipes = pipes
        self.host.capture(self, pipes)

    def _abandon(self, program: Any) -> None:
        """A start that failed half-way: close what it opened, stop what it forked."""
        for sock in program.listeners:
            sock.close()
        for pid in list(program.WORKERS):
            self._kill_worker(pid, signal.SIGKILL)
        program.log.close()

    def _spawn_failed(self, message: str) -> int | None:
        self._close_child_fds()
        if self.pipes:
            self.host.process_finished(self)
            self.pipes = {}
        self.host.child_message(self, f"fastwsgi: {self.config.name} did not start: {message}\n")
        self.record_spawnerr(message)
        self.change_state(S.BACKOFF)  # STARTING -> BACKOFF
        self.views.refresh()
        return None

    def _close_child_fds(self) -> None:
        for fd in set(self.child_fds.values()):
            try:
                self.host.os.close(fd)
            except OSError:
                pass
        self.child_fds = {}

    def _program_done(self, done: Any) -> None:
        program, self.program = self.program, None
        code = int(done.result())
        try:
            program.cfg.on_exit(program)
        except Exception:
            self.host.logger.exception("%s: the on_exit hook failed", self.config.name)
        if self.halt_reason:  # the standalone master's last lines, in the program's log
            program.log.error("Shutting down: %s", self.config.name)
            program.log.error("Reason: %s", self.halt_reason)
        self._close_child_fds()  # the capture reads to the end of what the workers wrote
        program.log.close()
        if self._state == S.STARTING:
            # It stopped before its workers were ready: the start failed.
            self.laststop = self.host.os.time()
            self.exitstatus = None
            self.spawnerr = self.halt_reason or \
                "Exited too quickly (process log may have details)"
            self.change_state(S.BACKOFF)  # STARTING -> BACKOFF
            self.host.logger.warning("exited: %s (exit status %d; not expected)",
                                     self.config.name, code)
            self.pid = 0
            self.host.process_finished(self)
            self.pipes = {}
        else:
            self.finish((code & 0xFF) << 8)  # the wait status of an exit with `code`
        self.views.refresh()

    def change_state(self, new_state: int) -> bool:
        changed = super().change_state(new_state)
        if changed:
            self.views.refresh()
        return changed

    def transition(self) -> None:
        if self._state == S.STARTING and not self.views.ready():
            return  # RUNNING once startsecs passed and every worker is READY
        super().transition()

    def next_deadline(self) -> float | None:
        if self._state == S.STARTING and not self.views.ready():
            return None  # the views kick the supervisor when the workers are ready
        return super().next_deadline()

    # Stopping and signals

    def kill(self, sig: int) -> str | None:
        """Stop the program: drain its workers (TERM and the like), quick (INT,
        QUIT) or at once (KILL, at stopwaitsecs)."""
        name = self.config.name
        if self._state == S.BACKOFF:
            self.host.logger.debug("Attempted to kill %s, which is in BACKOFF state.", name)
            self.change_state(S.STOPPED)  # BACKOFF -> STOPPED
            return None
        program = self.program
        if program is None:
            msg = f"attempted to kill {name} with sig {signame(sig)} but it wasn't running"
            self.host.logger.debug(msg)
            return msg
        self.host.logger.debug("stopping %s (WSGI program) with signal %s", name, signame(sig))
        self.killing = True
        self.delay = self.host.os.monotonic() + self.config.stopwaitsecs
        self._assert_in_state(S.RUNNING, S.STARTING, S.STOPPING)
        self.change_state(S.STOPPING)  # RUNNING/STARTING -> STOPPING
        if sig == signal.SIGKILL:
            for pid in list(program.WORKERS):
                self._kill_worker(pid, signal.SIGKILL)
        program.stop(graceful=sig not in (signal.SIGKILL, signal.SIGINT, signal.SIGQUIT))
        return None

    def signal(self, sig: int) -> str | None:
        name = self.config.name
        program = self.program
        if program is None:
            msg = f"attempted to send {name} sig {signame(sig)} but it wasn't running"
            self.host.logger.debug(msg)
            return msg
        what = signame(sig)[3:].lower()
        if what == "usr2":
            return (f"{name} runs in the supervisor's process: USR2 (a new master) does not "
                    "apply; restart it instead")
        if what in PROGRAM_SIGNALS:
            self.host.logger.info("%s: handling signal %s", name, what)
            program.handle_signal(what)
        else:
            for pid in list(program.WORKERS):
                self._kill_worker(pid, sig)
        return None

    def _kill_worker(self, pid: int, sig: int) -> None:
        try:
            self.host.os.kill(pid, sig)
        except ProcessLookupError:
            pass

    def write(self, data: bytes) -> None:
        raise OSError(errno.EPIPE, "an in-process WSGI program has no stdin")

    # Logs

    def log_line(self, text: str) -> None:
        """One line of the program's own (its master's) log."""
        self.host.child_message(self, text)

    def reopenlogs(self) -> None:
        super().reopenlogs()
        if self.program is not None:
            self.program.handle_usr1()

    def __repr__(self) -> str:
        return f"<WSGIProcess {self.config.name} in state {self._state}>"

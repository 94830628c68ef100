"""The standalone master (`fastwsgi APP`): the process around one WSGIProgram.

It owns what belongs to the process rather than to a program: the event loop
(uvloop), the signals, the pidfile, systemd's READY, USR2's re-exec
(``arbiter.reexec``), the on_starting/on_exit hooks and the exit code.

Signal handlers only put the signal in a queue (uvloop's self-pipe wakes the
loop); the main task takes one signal at a time, or wakes once a second, and
hands it to the program as a method call (``program.handle_hup()``), except
USR2, which is the master's.  While the program stops, only INT and QUIT
still reach it (they turn a graceful stop into a quick one).  The process
exits with the program's code.

For hooks this object is gunicorn's Arbiter: .cfg, .log, .pid, .num_workers,
.WORKERS, .listeners are the program's.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from typing import Any

from fastwsgi._version import __version__
from fastwsgi.arbiter.program import WSGIProgram
from fastwsgi.arbiter.reexec import Reexec, inherited_fds
from fastwsgi.errors import HaltServer
from fastwsgi.system import systemd
from fastwsgi.system.osapi import REAL_OS, OSApi
from fastwsgi.system.pidfile import Pidfile
from fastwsgi.system.proctitle import set_title
from fastwsgi.workers import heartbeat as hb
from fastwsgi.workers.base import Worker
from fastwsgi.workers.counters import CounterSlots
from fastwsgi.workers.native import EngineSettings

# The process's signals.  SIGCHLD is not among them: uvloop keeps it for
# itself, and a pidfd per worker (readable when it exits) tells the program.
SIGNAMES = {getattr(signal, name): name[3:].lower()
            for name in ("SIGHUP", "SIGQUIT", "SIGINT", "SIGTERM", "SIGTTIN", "SIGTTOU",
                         "SIGUSR1", "SIGUSR2", "SIGWINCH")}
# Put in the signal queue when the program has stopped (0 is no signal).
PROGRAM_DONE = 0
TICK = 1.0


class Master:
    """gunicorn's Arbiter, for hooks: .cfg, .log, .pid, .num_workers, .WORKERS."""

    def __init__(self, cfg: Any, log: Any, app: Any | None = None,
                 argv: list[str] | None = None, cwd: str | None = None,
                 os_api: OSApi = REAL_OS) -> None:
        self.program = WSGIProgram(
            cfg, log, app=app, argv=sys.argv[1:] if argv is None else argv,
            cwd=cwd or os.getcwd(), os_api=os_api, host=self)
        self.os = os_api
        self.pidfile: Pidfile | None = None
        self.signals: asyncio.Queue[int] = asyncio.Queue()
        self.started_at = time.time()
        # Started in the loop before the first fork, stopped when the program
        # is done: the metrics server and the statsd sender (control.monitor),
        # attached by the CLI when asked for.
        self.services: list[Any] = []
        self.reexecution = Reexec(self, os_api)

    # gunicorn's Arbiter attributes, as hooks use them: the program's

    @property
    def cfg(self) -> Any:
        return self.program.cfg

    @property
    def log(self) -> Any:
        return self.program.log

    @property
    def pid(self) -> int:
        return self.program.pid

    @property
    def app(self) -> Any:
        return self.program.app

    @property
    def num_workers(self) -> int:
        return self.program.num_workers

    @num_workers.setter
    def num_workers(self, value: int) -> None:
        self.program.num_workers = value

    @property
    def WORKERS(self) -> dict[int, Worker]:
        return self.program.WORKERS

    @property
    def listeners(self) -> list[socket.socket]:
        return self.program.listeners

    @property
    def heartbeats(self) -> hb.Heartbeats:
        return self.program.heartbeats

    @property
    def counters(self) -> CounterSlots:
        return self.program.counters

    def engine_settings(self, worker: Worker) -> EngineSettings:
        return self.program.engine_settings(worker)

    def reexec(self) -> None:
        """Fork and exec a new master sharing our listeners (USR2)."""
        self.reexecution.start()

    # ---- running -------------------------------------------------------------

    def run(self) -> int:
        import uvloop
        try:
            return uvloop.run(self._main())
        except HaltServer as exc:
            return self.program.halt_exit(exc)

    async def _main(self) -> int:
        program = self.program
        try:
            self._start()
        except HaltServer as exc:
            code = program.halt_exit(exc)
            await program.finish(graceful=exc.graceful)
            self._cleanup(code)
            return code
        except Exception:
            self.log.exception("Unhandled exception in the master's loop; stopping")
            await program.finish(graceful=False)
            self._cleanup(1)
            return 1
        assert program.done is not None
        program.done.add_done_callback(lambda _: self.signals.put_nowait(PROGRAM_DONE))
        failed = False
        while not program.done.done():
            try:
                sig = await asyncio.wait_for(self.signals.get(), timeout=TICK)
            except TimeoutError:
                sig = None
            try:
                if sig:
                    self._dispatch(sig)
                self.reexecution.reap()
                self.reexecution.maybe_promote()
            except Exception:  # a hook or a bug: as gunicorn, stop rather than run half-broken
                self.log.exception("Unhandled exception in the master's loop; stopping")
                failed = True
                program.stop(graceful=False)
        code = 1 if failed else program.done.result()
        self._cleanup(code)
        return code

    def _start(self) -> None:
        cfg = self.cfg
        self.log.info("Starting fastwsgi %s", __version__)
        parent = self.reexecution.parent_pid
        if parent:
            self.log.info("Started as the new master of %d (USR2)", parent)
        if cfg.pidfile:
            self.pidfile = Pidfile(cfg.pidfile + (".2" if parent else ""))
            self.pidfile.create(self.pid)
        cfg.on_starting(self)
        set_title(f"master [{cfg.proc_name}" + (".2]" if parent else "]"))  # gunicorn's ".2"
        loop = asyncio.get_running_loop()
        for sig in SIGNAMES:
            loop.add_signal_handler(sig, self.signals.put_nowait, sig)
        self.program.on_config_applied = self._config_applied
        self.program.totals.count_master_log()
        try:
            for service in self.services:
                service.start(self, lambda: [("web", self.program)])
            self.program.start(self._inherited())
        except HaltServer:
            if self.pidfile is not None:
                self.pidfile.unlink()
            raise
        systemd.sd_notify(f"READY=1\nSTATUS=fastwsgi serving, {self.num_workers} workers")

    def _inherited(self) -> list[int]:
        """Listeners' descriptors from a USR2 parent or systemd (none: bind)."""
        fds = inherited_fds()
        if fds:
            return fds
        return [systemd.SD_LISTEN_FDS_START + i for i in range(systemd.listen_fds())]

    def _dispatch(self, sig: int) -> None:
        name = SIGNAMES.get(sig, str(sig))
        if self.program.stopping:
            if name in ("int", "quit"):  # a graceful stop becomes a quick one
                self.program.handle_signal(name)
            return
        self.log.info("Handling signal: %s", name)
        if name == "usr2":
            self.reexec()
        else:
            self.program.handle_signal(name)

    def _config_applied(self, old: Any) -> None:
        """A HUP's configuration is in force: the pidfile and the services
        (metrics_bind, statsd) follow it."""
        self._follow_pidfile(old)
        for service in self.services:
            service.reconfigure(self.cfg)

    def _follow_pidfile(self, old: Any) -> None:
        """A HUP changed `pidfile`: move ours (not while a USR2 parent runs)."""
        cfg = self.cfg
        if cfg.pidfile != old.pidfile and not self.reexecution.parent_pid:
            if self.pidfile is not None:
                self.pidfile.unlink()
                self.pidfile = None
            if cfg.pidfile:
                self.pidfile = Pidfile(cfg.pidfile)
                self.pidfile.create(self.pid)

    def _cleanup(self, code: int) -> None:
        """gunicorn's last lines ("Shutting down: Master", and "Reason: ..."
        when something stopped it), then the pidfile and on_exit."""
        say = self.log.info if code == 0 else self.log.error
        say("Shutting down: %s", "Master.2" if self.reexecution.parent_pid else "Master")
        if self.program.halt_reason:
            say("Reason: %s", self.program.halt_reason)
        for service in self.services:
            service.stop()
        if self.pidfile is not None:
            self.pidfile.unlink()
        self.cfg.on_exit(self)

"""The master (gunicorn's arbiter): binds the listeners once, forks the
workers, keeps their number right, and acts on signals.

Theory of operation
-------------------
Everything happens in one asyncio task on uvloop.  Signal handlers only put
the signal in a queue (uvloop's self-pipe wakes the loop); `_main` takes one
signal at a time, or wakes once a second, and then: reaps exited workers,
kills those whose heartbeat is older than `timeout`, and spawns or retires
workers until the current generation has `num_workers` of them.

Generations make HUP safe: a reload reads the configuration again from the
same sources (an invalid one is refused and the current one stays), starts a
new generation beside the old one, and the old workers are told to drain
only once every new worker has reported READY through its heartbeat slot.

Exit codes, as gunicorn: a worker exiting with 4 (the app failed to load) or
3 (it failed to boot) halts the master with the same code, instead of a
respawn loop.  The worker leaves the one line that says why in its heartbeat
slot's message area, and the master logs it once (not once per worker).

During a reload, a new worker that exits before it reports READY (whatever
the reason) abandons the reload: the new generation is drained, the previous
configuration is restored and the old workers, never told to stop, keep
serving.  Outside a reload, a worker dying before READY is respawned, but
MAX_BOOT_FAILURES of them in a row halt the master (exit 3) rather than
loop forever.

Worker exits are reaped as soon as they happen: each worker has a pidfd in
the loop, readable when it exits (uvloop keeps SIGCHLD for itself).  Every
exit is logged with its cause: the master's own requests (timeout, drain,
SIGKILL after graceful_timeout), the reason the worker left in its slot
(max_requests, max_worker_memory, --reload, orphaned), the kernel's OOM
killer (the memory cgroup's oom_kill counter went up), else the signal or
exit status.

This module is the loop, the worker bookkeeping and the signal dispatch;
each concept it drives lives beside it:

- fastwsgi.reload: HUP's configuration re-read, new generation and rollback;
- fastwsgi.reexec: USR2's new master, the listeners it inherits, promotion;
- fastwsgi.exits: a worker's exit in words, and the cgroup's OOM counter;
- fastwsgi.workers.base: the worker process and its engine settings.
"""

from __future__ import annotations

import asyncio
import errno
import gc
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

from fastwsgi import _core, exits, reexec, reload
from fastwsgi import heartbeat as hb
from fastwsgi._version import __version__
from fastwsgi.errors import APP_LOAD_ERROR, WORKER_BOOT_ERROR, HaltServer
from fastwsgi.system import systemd
from fastwsgi.system.listeners import create_listener, describe
from fastwsgi.system.pidfile import Pidfile
from fastwsgi.system.proctitle import set_title
from fastwsgi.workers import base as worker_base
from fastwsgi.workers.base import Worker
from fastwsgi.workers.native import EngineSettings

# SIGCHLD is not among them: uvloop keeps it for itself, and a pidfd per
# worker (readable when it exits) tells the loop the same thing.
SIGNAMES = {getattr(signal, name): name[3:].lower()
            for name in ("SIGHUP", "SIGQUIT", "SIGINT", "SIGTERM", "SIGTTIN", "SIGTTOU",
                         "SIGUSR1", "SIGUSR2", "SIGWINCH")}
SIGNAMES[signal.SIGCHLD] = "chld"

# How long a worker gets after SIGABRT (to log its stacks) before SIGKILL.
ABORT_GRACE = 2.0
# Workers in a row that may die before they are READY before the master gives up.
MAX_BOOT_FAILURES = 10


def _fork() -> int:
    """os.fork() for a worker, with the master's signals blocked across it, and
    leaving the worker as little of the master's memory as we can.

    Signals: until the child has undone the master's handlers
    (workers.base._reset_signals), a signal sent to it would be written to the
    master's asyncio wakeup fd, and the master would act on the worker's TERM.
    The child unblocks them once its own dispositions are in place.

    Memory: a worker starts with every resident page of the master mapped, and
    its RSS counts them all, shared or not.  So the free pages malloc keeps
    (startup's garbage) go back to the kernel first.  And, as the gc module's
    docs advise for fork without exec, the master's objects are frozen across
    the fork: the worker's collections then leave them alone instead of
    walking them all (which copies their pages and runs the code that
    traverses each type).  The master unfreezes them at once: its own
    collections go on as before.  If a hook froze them itself (gunicorn users
    do, in when_ready or pre_fork), that freezing is theirs and stays."""
    _core.release_free_memory()
    freeze = not gc.get_freeze_count()
    if freeze:
        gc.freeze()
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, worker_base.MASTER_SIGNALS)
    pid = -1
    try:
        pid = os.fork()
    finally:
        if pid != 0:  # the master, whether fork() worked or raised
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            if freeze:
                gc.unfreeze()
    return pid


class Master:
    """gunicorn's Arbiter, for hooks: .cfg, .log, .pid, .num_workers, .WORKERS."""

    def __init__(self, cfg: Any, log: Any, app: Any | None = None,
                 argv: list[str] | None = None, cwd: str | None = None) -> None:
        self.cfg = cfg
        self.log = log
        self.app = app  # set when preload_app loaded it here
        self.argv = list(sys.argv[1:] if argv is None else argv)
        # Where the command was started: relative config paths are resolved
        # from here on HUP and by the new master on USR2 (gunicorn's START_CTX).
        self.start_cwd = cwd or os.getcwd()
        self.pid = os.getpid()
        self.num_workers = int(cfg.workers)
        self.listeners: list[socket.socket] = []
        self.WORKERS: dict[int, Worker] = {}
        self.heartbeats = hb.Heartbeats()
        self.generation = 0
        self.generations = 0  # generation numbers are never reused
        self.reloading_from: int | None = None
        self.previous: tuple[Any, Any, int] | None = None  # (cfg, log, workers) before HUP
        self.worker_age = 0
        self.pidfile: Pidfile | None = None
        self.stopping = False
        self.exit_code = 0
        self.reexec_pid = 0
        self.master_pid = reexec.parent_master_pid()  # the old master, after its USR2
        self.signals: asyncio.Queue[int] = asyncio.Queue()
        self.oom = exits.OomKills()
        self.halting = False  # an app load / boot error is stopping us: quiet exits
        self.boot_failures = 0  # workers in a row that exited before READY

    # ---- running -------------------------------------------------------------

    def run(self) -> int:
        import uvloop
        try:
            return uvloop.run(self._main())
        except HaltServer as exc:
            return self._halt_exit(exc)

    def _halt_exit(self, exc: HaltServer) -> int:
        if exc.reason:
            self.log.error("Shutting down: %s", exc.reason)
        return int(exc.exit_status)

    async def _main(self) -> int:
        try:
            self._start()
            while True:
                try:
                    sig = await asyncio.wait_for(self.signals.get(), timeout=1.0)
                except TimeoutError:
                    sig = None
                if sig is not None:
                    await self._dispatch(sig)
                self.reap_workers()
                self.murder_workers()
                self.manage_workers()
                reexec.maybe_promote(self)
        except HaltServer as exc:
            code = self._halt_exit(exc)
            if exc.exit_status in (APP_LOAD_ERROR, WORKER_BOOT_ERROR):
                self.halting = True
                await self._stop(graceful=False)
            else:
                await self._stop(graceful=exc.graceful)
            self._cleanup()
            return code
        except Exception:  # a hook or a bug: as gunicorn, stop rather than run half-broken
            self.log.exception("Unhandled exception in the master's loop; stopping")
            await self._stop(graceful=False)
            self._cleanup()
            return 1

    async def _dispatch(self, sig: int) -> None:
        name = SIGNAMES.get(sig, str(sig))
        if sig != signal.SIGCHLD:
            self.log.info("Handling signal: %s", name)
        handler: Callable[[], Any] = getattr(self, "handle_" + name)
        result = handler()
        if asyncio.iscoroutine(result):
            await result

    def _start(self) -> None:
        cfg = self.cfg
        self.log.info("Starting fastwsgi %s", __version__)
        if self.master_pid:
            self.log.info("Started as the new master of %d (USR2)", self.master_pid)
        if cfg.pidfile:
            path = cfg.pidfile + (".2" if self.master_pid else "")
            self.pidfile = Pidfile(path)
            self.pidfile.create(self.pid)
        cfg.on_starting(self)
        set_title(f"master [{cfg.proc_name}]" + (" (new, USR2)" if self.master_pid else ""))
        try:
            self.listeners = self._bind()
        except (OSError, ValueError) as exc:
            if self.pidfile is not None:
                self.pidfile.unlink()
            raise HaltServer(f"cannot listen: {exc}", 1) from None
        for sock in self.listeners:
            self.log.info("Listening at: %s (%d)", describe(sock), self.pid)
        mode, _, why = cfg.worker_mode
        self.log.info("Using worker: %s", why if why else mode)
        loop = asyncio.get_running_loop()
        for sig in SIGNAMES:
            if sig != signal.SIGCHLD:
                loop.add_signal_handler(sig, self.signals.put_nowait, sig)
        cfg.when_ready(self)  # gunicorn calls it before the first workers are forked
        self.manage_workers()
        systemd.sd_notify(f"READY=1\nSTATUS=fastwsgi serving, {self.num_workers} workers")

    def _bind(self) -> list[socket.socket]:
        """Listeners: inherited from a USR2 parent or systemd, else bound now."""
        cfg = self.cfg
        inherited = reexec.inherited_fds()
        if inherited:
            return [create_listener(f"fd://{fd}") for fd in inherited.split(",") if fd]
        count = systemd.listen_fds()
        if count:
            return [create_listener(f"fd://{systemd.SD_LISTEN_FDS_START + i}")
                    for i in range(count)]
        umask = int(cfg.umask)
        return [create_listener(addr, backlog=int(cfg.backlog), reuse_port=bool(cfg.reuse_port),
                                umask=umask) for addr in cfg.bind]

    # ---- workers ------------------------------------------------------------

    def engine_settings(self, worker: Worker) -> EngineSettings:
        """What the engine needs, for the worker (called in it, after fork)."""
        return worker_base.engine_settings(self.cfg, self.num_workers)

    def manage_workers(self) -> None:
        """Spawn or retire workers until the current generation has num_workers."""
        if self.stopping:
            return
        current = [w for w in self.WORKERS.values()
                   if w.generation == self.generation and w.stop_sent is None]
        for _ in range(self.num_workers - len(current)):
            self.spawn_worker()
        if len(current) > self.num_workers:
            for w in sorted(current, key=lambda w: w.age)[:len(current) - self.num_workers]:
                self.retire(w, "too many workers (TTOU)")
        if self.reloading_from is not None:
            reload.finish_reload(self)

    def spawn_worker(self) -> Worker:
        self.worker_age += 1
        slot = self.heartbeats.allocate()
        worker = Worker(self.worker_age, self.pid, slot, self.cfg, self.log, self.generation)
        self.cfg.pre_fork(self, worker)
        pid = _fork()
        if pid == 0:
            worker_base.run(self, worker, self.listeners, self.app)
        worker.pid = pid
        self.WORKERS[pid] = worker
        self._watch_exit(worker)
        self.log.info("Booting worker with pid: %d", pid)
        return worker

    def _watch_exit(self, worker: Worker) -> None:
        """Wake the loop when the worker exits (pidfd: no SIGCHLD needed)."""
        try:
            worker.pidfd = os.pidfd_open(worker.pid)
        except OSError:
            return
        asyncio.get_running_loop().add_reader(worker.pidfd, self.signals.put_nowait,
                                              signal.SIGCHLD)

    def _unwatch_exit(self, worker: Worker) -> None:
        if worker.pidfd >= 0:
            asyncio.get_running_loop().remove_reader(worker.pidfd)
            os.close(worker.pidfd)
            worker.pidfd = -1

    def retire(self, worker: Worker, reason: str) -> None:
        """Drain a worker: it stops accepting and finishes what it serves."""
        if worker.stop_sent is None:
            worker.stop_sent = time.monotonic()
            worker.stop_reason = reason
            self._kill(worker.pid, signal.SIGTERM)

    def reap_workers(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid == self.reexec_pid:
                reexec.new_master_exited(self, pid, status)
                continue
            worker = self.WORKERS.pop(pid, None)
            if worker is None:
                continue
            self._unwatch_exit(worker)
            self._worker_exited(worker, status)

    def _worker_exited(self, worker: Worker, status: int) -> None:
        _, state, reason, _ = self.heartbeats.read(worker.slot)
        message = self.heartbeats.message(worker.slot)
        self.heartbeats.release(worker.slot)
        self.cfg.child_exit(self, worker)
        code = os.waitstatus_to_exitcode(status)
        booted = state == hb.READY
        if self.halting or self.stopping and code in (APP_LOAD_ERROR, WORKER_BOOT_ERROR):
            # The reason was said once already; the other workers failed alike.
            self.log.debug("Worker (pid:%d) exited (%s)", worker.pid, exits.describe_code(code))
            return
        reloading = self.reloading_from is not None and worker.generation == self.generation
        if (code in (APP_LOAD_ERROR, WORKER_BOOT_ERROR) and not self.stopping
                and not reloading and worker.generation == self.generation):
            what = ("the app failed to load" if code == APP_LOAD_ERROR
                    else "a worker failed to boot")
            self.halting = True
            raise HaltServer(f"{what}: {message}" if message else what, code)
        self.log_exit(worker, code, reason, booted, message)
        if booted:
            self.boot_failures = 0
        if reloading and not booted and not self.stopping:
            why = exits.boot_failure(code, message)
            reload.abandon_reload(self, f"new worker (pid:{worker.pid}) {why}")
        elif not booted and worker.stop_sent is None and not self.stopping:
            # Dying before READY in some other way (a crash or a timeout while
            # importing the app): respawned, but not in an endless loop.
            self.boot_failures += 1
            if self.boot_failures >= MAX_BOOT_FAILURES:
                self.halting = True
                raise HaltServer(f"{self.boot_failures} workers in a row exited before they "
                                 f"were ready; the last one {exits.boot_failure(code, message)}",
                                 WORKER_BOOT_ERROR)

    def log_exit(self, worker: Worker, code: int, reason: int, booted: bool,
                 message: str = "") -> None:
        """Every exit with its real cause (never a guess): see fastwsgi.exits."""
        exits.log_exit(self.log, self.cfg, self.oom, worker, code, reason, booted, message)

    def murder_workers(self) -> None:
        """Kill workers whose heartbeat is older than `timeout`."""
        timeout = float(self.cfg.timeout)
        now = time.monotonic()
        for worker in list(self.WORKERS.values()):
            if worker.abort_sent is not None:
                if now - worker.abort_sent > ABORT_GRACE:
                    self._kill(worker.pid, signal.SIGKILL)
                continue
            if worker.stop_sent is not None:
                if now - worker.stop_sent > float(self.cfg.graceful_timeout) + ABORT_GRACE:
                    worker.kill_sent = True
                    self._kill(worker.pid, signal.SIGKILL)
                continue
            beat, state, _, _ = self.heartbeats.read(worker.slot)
            if state == hb.READY and not worker.booted:
                worker.booted = True
                self.boot_failures = 0
            if not timeout:
                continue
            if now - beat > timeout:
                self.log.critical("WORKER TIMEOUT (pid:%d)", worker.pid)
                worker.abort_sent = now
                self._kill(worker.pid, signal.SIGABRT)

    def _kill(self, pid: int, sig: int) -> None:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
        except OSError as exc:
            if exc.errno != errno.ESRCH:
                raise

    # ---- signals (gunicorn's meanings) ---------------------------------------

    def handle_chld(self) -> None:
        """A child exited: reaped right after every dispatch."""

    def handle_hup(self) -> None:
        """Reload the configuration, start new workers, then drain the old ones."""
        reload.start(self)

    def reload_config(self) -> bool:
        """Read the configuration again from the same sources; False (the
        reason logged, the current one kept) if it is invalid."""
        return reload.reload_config(self)

    def handle_term(self) -> None:
        """Graceful stop: stop accepting, let the workers finish, then exit."""
        raise HaltServer("", 0, graceful=True)

    def handle_int(self) -> None:
        """Quick stop."""
        raise HaltServer("", 0, graceful=False)

    handle_quit = handle_int

    def handle_ttin(self) -> None:
        """One worker more."""
        self._set_num_workers(self.num_workers + 1)

    def handle_ttou(self) -> None:
        """One worker fewer (never below one)."""
        if self.num_workers > 1:
            self._set_num_workers(self.num_workers - 1)

    def _set_num_workers(self, n: int) -> None:
        old = self.num_workers
        self.num_workers = n
        self.cfg.nworkers_changed(self, n, old)

    def handle_usr1(self) -> None:
        """Reopen the log files, here and in every worker."""
        reopen = getattr(self.log, "reopen_files", None)
        if reopen is not None:
            reopen()
        for pid in list(self.WORKERS):
            self._kill(pid, signal.SIGUSR1)

    def handle_usr2(self) -> None:
        """Start a new master (a new binary, new code) sharing our listeners."""
        self.reexec()

    def reexec(self) -> None:
        """Fork and exec a new master sharing our listeners (USR2)."""
        reexec.reexec(self)

    def handle_winch(self) -> None:
        """In daemon mode, stop the workers gracefully (the master stays)."""
        if self.cfg.daemon:
            self.log.info("graceful stop of workers")
            self.num_workers = 0
            for w in list(self.WORKERS.values()):
                self.retire(w, "WINCH")
        else:
            self.log.debug("SIGWINCH ignored. Not daemonized")

    # ---- stopping -------------------------------------------------------------

    async def _stop(self, graceful: bool) -> None:
        """Stop every worker, within graceful_timeout; then SIGKILL the rest.
        An INT or QUIT during a graceful stop turns it into a quick one."""
        self.stopping = True
        for sock in self.listeners:
            sock.close()
        self._signal_all(graceful)
        deadline = time.monotonic() + float(self.cfg.graceful_timeout)
        while self.WORKERS and time.monotonic() < deadline:
            try:
                sig = await asyncio.wait_for(self.signals.get(), timeout=0.05)
            except TimeoutError:
                sig = None
            if graceful and sig in (signal.SIGINT, signal.SIGQUIT):
                self.log.info("Handling signal: %s (quick stop now)", SIGNAMES[sig])
                graceful = False
                self._signal_all(graceful)
            self.reap_workers_quietly()
        for worker in list(self.WORKERS.values()):
            worker.kill_sent = True
            self._kill(worker.pid, signal.SIGKILL)
        while self.WORKERS:
            await asyncio.sleep(0.02)
            self.reap_workers_quietly()

    def _signal_all(self, graceful: bool) -> None:
        sig = signal.SIGTERM if graceful else signal.SIGQUIT
        for worker in list(self.WORKERS.values()):
            worker.stop_sent = time.monotonic()
            worker.stop_reason = "shutdown" if graceful else "quick shutdown"
            self._kill(worker.pid, sig)

    def reap_workers_quietly(self) -> None:
        try:
            self.reap_workers()
        except HaltServer:
            pass

    def _cleanup(self) -> None:
        for addr in self.cfg.bind:
            if addr.startswith("unix:") and not self.reexec_pid:
                try:
                    os.unlink(addr[5:])
                except OSError:
                    pass
        if self.pidfile is not None:
            self.pidfile.unlink()
        self.cfg.on_exit(self)

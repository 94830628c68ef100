"""One WSGI program: its listeners and its workers, kept alive, replaced and
drained (gunicorn's arbiter, without the process it runs in).

Theory of operation
-------------------
A ``WSGIProgram`` lives in an asyncio loop it does not own: the standalone
master (``arbiter.master``) runs one, supervisor mode may run several beside
its other programs.  ``start()`` binds the listeners (or adopts inherited
ones), runs when_ready and forks the workers; from then on one task of its
own wakes when a worker exits (a pidfd per worker is readable then: uvloop
keeps SIGCHLD for itself), when a ``handle_<signal>()`` method asks it to,
or once a second, and each time: reaps exited workers, kills those whose
heartbeat is older than `timeout`, and spawns or retires workers until the
current generation has `num_workers` of them.  Signals reach it as method
calls: whoever owns the process's signals decides which ones it gets.

Generations make HUP safe: a reload (``arbiter.reload``) reads the
configuration again from the same sources, starts a new generation beside
the old one, and the old workers are told to drain only once every new
worker has reported READY through its heartbeat slot.

Exit codes, as gunicorn: a worker exiting with 4 (the app failed to load) or
3 (it failed to boot) stops the program with the same code, instead of a
respawn loop.  The worker leaves the one line that says why in its heartbeat
slot's message area, and the program logs it once (not once per worker).
Outside a reload, a worker dying before READY is respawned, but
MAX_BOOT_FAILURES of them in a row stop the program (exit 3) rather than loop
forever.  Every exit is logged with its cause (``arbiter.exits``).

It forks, signals, reaps and reads the clock through an ``OSApi``
(``fastwsgi.system.osapi``), so that its decisions have unit tests with a fake.
"""

from __future__ import annotations

import asyncio
import errno
import gc
import os
import signal
import socket
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from fastwsgi import _core
from fastwsgi.arbiter import exits
from fastwsgi.arbiter.listener_slots import STEER_SETTLE, ListenerSlots, listening_lines
from fastwsgi.arbiter.reload import Reload
from fastwsgi.config import load_config
from fastwsgi.errors import APP_LOAD_ERROR, WORKER_BOOT_ERROR, HaltServer
from fastwsgi.logs import setup_logging
from fastwsgi.system.listeners import create_listener, describe
from fastwsgi.system.osapi import REAL_OS, OSApi
from fastwsgi.system.process import forget_env, prepare_process
from fastwsgi.workers import base as worker_base
from fastwsgi.workers import counters as wc
from fastwsgi.workers import heartbeat as hb
from fastwsgi.workers.base import Worker
from fastwsgi.workers.native import EngineSettings
from fastwsgi.workers.tls import is_ssl

# How long a worker gets after SIGABRT (to log its stacks) before SIGKILL.
ABORT_GRACE = 2.0
# Workers in a row that may die before they are READY before the program gives up.
MAX_BOOT_FAILURES = 10
# The longest the program sleeps between two looks at its workers.
TICK = 1.0
# While stopping: how often the program looks for exits, and after SIGKILL.
STOP_POLL = 0.05
KILLED_POLL = 0.02
# The signals handle_signal() knows, by name (gunicorn's meanings; USR2 is the
# process's business, not a program's).
SIGNALS = ("hup", "term", "int", "quit", "ttin", "ttou", "usr1", "winch")


class WorkerInfo(NamedTuple):
    """A worker as a status page or supervisorctl shows it."""

    pid: int
    age: int
    generation: int
    state: str  # "booting", "ready", "stopping" or "aborting"
    started: float  # monotonic seconds


class WSGIProgram:
    """One WSGI program, driven by method calls from the loop's owner.

    For hooks it is gunicorn's Arbiter (.cfg, .log, .pid, .num_workers,
    .WORKERS, .listeners), unless ``host`` (the standalone master) stands in.
    """

    def __init__(self, cfg: Any, log: Any, *, app: Any | None = None,
                 argv: Sequence[str] = (), cwd: str = ".", os_api: OSApi = REAL_OS,
                 host: Any | None = None) -> None:
        self.cfg = cfg
        self.log = log
        self.app = app  # set when preload_app loaded it in this process
        self.argv = list(argv)  # what HUP reads the configuration from
        # Where the command was started: relative config paths are resolved
        # from here on HUP (gunicorn's START_CTX).
        self.start_cwd = cwd
        self.os = os_api
        self.host = self if host is None else host  # what hooks and workers are given
        self.pid = os_api.getpid()
        self.num_workers = int(cfg.workers)
        self.listeners: list[socket.socket] = []
        # reuse_port: the sockets by worker slot (arbiter.listener_slots);
        # None when every worker shares every listener.
        self.slots: ListenerSlots | None = None
        self.WORKERS: dict[int, Worker] = {}
        self.heartbeats = hb.Heartbeats()
        self.counters = wc.CounterSlots()  # the workers' request counts (workers.counters)
        self.totals = wc.Totals()  # exited workers' counts, exits by reason, reloads
        self.generation = 0
        self.generations = 0  # generation numbers are never reused
        self.worker_age = 0
        self.reload = Reload(self)
        self.oom = exits.OomKills()
        self.halting = False  # an app load / boot error is stopping us: quiet exits
        self.boot_failures = 0  # workers in a row that exited before READY
        self.stopping = False
        self.halt_reason = ""  # why a HaltServer stopped it (halt_exit)
        # Another process serves the listeners too (USR2's new master): the
        # unix socket files stay when this program stops.
        self.listeners_shared = False
        # Called with the previous configuration once a HUP's is applied.
        self.on_config_applied: Callable[[Any], None] | None = None
        # Called after each look at the workers (step) and while stopping: an
        # owner that shows the workers (supervisor mode) updates its view.
        self.on_change: Callable[[], None] | None = None
        self.done: asyncio.Future[int] | None = None  # the exit code, once stopped
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop_graceful: bool | None = None  # a stop was asked: graceful or quick

    # ---- the program's life ---------------------------------------------------

    def start(self, inherited_fds: Sequence[int] = ()) -> None:
        """Listen (adopting ``inherited_fds`` if any), run when_ready, fork the
        workers and supervise them; in a running loop. HaltServer if it cannot listen."""
        try:
            self.listeners = self._bind(inherited_fds)
        except (OSError, ValueError) as exc:
            raise HaltServer(f"cannot listen: {exc}", 1) from None
        self.log_listening()
        mode, _, why = self.cfg.worker_mode
        self.log.info("Using worker: %s", why if why else mode)
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self.done = self._loop.create_future()
        self.cfg.when_ready(self.host)  # gunicorn calls it before the first workers are forked
        self.manage_workers()
        self._task = self._loop.create_task(self._supervise())

    def _bind(self, inherited_fds: Sequence[int]) -> list[socket.socket]:
        if inherited_fds:
            socks = [create_listener(f"fd://{fd}") for fd in inherited_fds]
            if not self.cfg.reuse_port:
                return socks
            self.slots = ListenerSlots.adopt(socks, self.cfg.bind, **self._slot_options())
        elif self.cfg.reuse_port:
            self.slots = self.bind_slots(self.cfg)
        else:
            return self.bind(self.cfg)
        listeners = self.slots.sockets()
        if not self.slots.per_slot:
            self.slots = None
        return listeners

    def _slot_options(self) -> dict[str, Any]:
        return {"backlog": int(self.cfg.backlog), "umask": int(self.cfg.umask),
                "monotonic": self.os.monotonic}

    def bind_slots(self, cfg: Any) -> ListenerSlots:
        """reuse_port: ``num_workers`` sockets for each TCP address of ``cfg.bind``."""
        return ListenerSlots.open(cfg.bind, self.num_workers, **self._slot_options())

    def log_listening(self) -> None:
        """gunicorn's "Listening at:" lines (once per address with reuse_port)."""
        tls = is_ssl(self.cfg)
        if self.slots is not None or self.cfg.reuse_port:
            slots = self.slots or ListenerSlots.adopt(self.listeners, (), **self._slot_options())
            for line in listening_lines(slots, tls):
                self.log.info("Listening at: %s (%d)", line, self.pid)
            return
        for sock in self.listeners:
            self.log.info("Listening at: %s (%d)", describe(sock, tls), self.pid)

    @staticmethod
    def bind(cfg: Any) -> list[socket.socket]:
        """New listeners for ``cfg.bind``."""
        return [create_listener(addr, backlog=int(cfg.backlog), reuse_port=bool(cfg.reuse_port),
                                umask=int(cfg.umask)) for addr in cfg.bind]

    def stop(self, graceful: bool = True) -> None:
        """Stop every worker (graceful: let them finish, within graceful_timeout),
        close the listeners, then finish ``done``. A quick stop overrides a graceful one."""
        if self._stop_graceful is None or not graceful:
            self._stop_graceful = graceful
        self.stopping = True
        self._poke()

    async def wait(self) -> int:
        """Wait until the program has stopped; its exit code (0, 1, 3 or 4)."""
        assert self.done is not None, "start() first"
        return await asyncio.shield(self.done)

    def workers(self) -> list[WorkerInfo]:
        """The live workers, oldest first."""
        infos = []
        for w in sorted(self.WORKERS.values(), key=lambda w: w.age):
            state = ("aborting" if w.abort_sent is not None else
                     "stopping" if w.stop_sent is not None else
                     "ready" if self.heartbeats.read(w.slot)[1] == hb.READY else "booting")
            infos.append(WorkerInfo(w.pid, w.age, w.generation, state, w.started))
        return infos

    def wake(self) -> None:
        """Look at the workers now (the owner saw one of them exit)."""
        self._poke()

    def _poke(self) -> None:
        """Wake the supervising task (it looks at the workers right away)."""
        if self._wake is not None:
            self._wake.set()

    async def _supervise(self) -> None:
        assert self._wake is not None and self.done is not None
        code = 0
        try:
            while self._stop_graceful is None:
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=TICK)
                except TimeoutError:
                    pass
                self._wake.clear()
                if self._stop_graceful is None:
                    self.step()
                    self._changed()
            graceful = self._stop_graceful
        except HaltServer as exc:
            code = self.halt_exit(exc)
            if exc.exit_status in (APP_LOAD_ERROR, WORKER_BOOT_ERROR):
                self.halting = True
                graceful = False
            else:
                graceful = exc.graceful
        except Exception:  # a hook or a bug: as gunicorn, stop rather than run half-broken
            self.log.exception("Unhandled exception in the master's loop; stopping")
            code, graceful = 1, False
        try:
            await self.finish(graceful)
        finally:
            self.done.set_result(code)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def halt_exit(self, exc: HaltServer) -> int:
        """Keep why the program stops (its host logs it: gunicorn's "Shutting
        down: Master" then "Reason: ...") and return its exit code."""
        if exc.reason and not self.halt_reason:
            self.halt_reason = exc.reason
        return int(exc.exit_status)

    def step(self) -> None:
        """One look at the workers: reap, kill the silent, spawn or retire."""
        self.reap_workers()
        self.murder_workers()
        self.manage_workers()

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
        if self.slots is not None:
            self._manage_slots(current)
        else:
            self._manage_shared(current)
        if self.reload.active:
            self.reload.finish_if_ready()

    def _manage_shared(self, current: list[Worker]) -> None:
        for _ in range(self.num_workers - len(current)):
            self.spawn_worker()
        if len(current) > self.num_workers:
            for w in sorted(current, key=lambda w: w.age)[:len(current) - self.num_workers]:
                self.retire(w, "too many workers (TTOU)")

    def _manage_slots(self, current: list[Worker]) -> None:
        """reuse_port: a worker per slot.  The slot sockets follow num_workers
        first (arbiter.listener_slots); a worker beyond them goes once its
        socket is steered away from and drained."""
        assert self.slots is not None
        self.resize_slots()
        taken = {w.listener_slot for w in current}
        for slot in range(min(self.num_workers, self.slots.count)):
            if slot not in taken:
                self.spawn_worker(slot)
        waiting = False
        for w in current:
            held = w.listener_slot
            if held is None or held < self.num_workers:
                continue
            if self.slots.drained(held):
                self.retire(w, "too many workers (TTOU)")
            else:
                waiting = True
        if waiting and self._loop is not None:  # look again soon, not at the next tick
            self._loop.call_later(STEER_SETTLE, self._poke)

    def resize_slots(self) -> None:
        """Open, steer or close slot sockets for num_workers (the workers of
        every generation hold theirs open until they exit)."""
        assert self.slots is not None
        held = [w.listener_slot for w in self.WORKERS.values() if w.listener_slot is not None]
        try:
            done = self.slots.resize(self.num_workers, held)
        except OSError as exc:
            self.log.error("reuse_port: cannot resize the listener slots to %d: %s",
                           self.num_workers, exc)
            return
        for line in done:
            self.log.info("reuse_port: %s", line)
        self.listeners = self.slots.sockets()

    def spawn_worker(self, listener_slot: int | None = None) -> Worker:
        self.worker_age += 1
        slot = self.heartbeats.allocate()
        self.counters.reset(slot)
        worker = Worker(self.worker_age, self.pid, slot, self.cfg, self.log, self.generation)
        worker.replaced = self.totals.replacement_for()
        worker.listener_slot = listener_slot
        self.cfg.pre_fork(self.host, worker)
        pid = self._fork()
        if pid == 0:
            listeners = self.listeners
            if self.slots is not None and listener_slot is not None:
                self.slots.close_others(listener_slot)
                listeners = self.slots.for_slot(listener_slot)
            worker_base.run(self.host, worker, listeners, self.app)
        worker.pid = pid
        self.WORKERS[pid] = worker
        self._watch_exit(worker)  # "Booting worker with pid: N" is the worker's own line
        return worker

    def _fork(self) -> int:
        """fork() for a worker, with the process's signals blocked across it,
        and leaving the worker as little of this process's memory as we can.

        Signals: until the child has undone the master's handlers
        (workers.base._reset_signals), a signal sent to it would be written to
        the master's asyncio wakeup fd, and the master would act on the
        worker's TERM.  The child unblocks them once its own dispositions are
        in place.

        Memory: a worker starts with every resident page of the master mapped,
        and its RSS counts them all, shared or not.  So the free pages malloc
        keeps (startup's garbage) go back to the kernel first.  And, as the gc
        module's docs advise for fork without exec, the master's objects are
        frozen across the fork: the worker's collections then leave them alone
        instead of walking them all (which copies their pages and runs the code
        that traverses each type).  The master unfreezes them at once: its own
        collections go on as before.  If a hook froze them itself (gunicorn
        users do, in when_ready or pre_fork), that freezing is theirs and stays."""
        _core.release_free_memory()
        freeze = not gc.get_freeze_count()
        if freeze:
            gc.freeze()
        mask = self.os.pthread_sigmask(signal.SIG_BLOCK, set(worker_base.MASTER_SIGNALS))
        pid = -1
        try:
            pid = self.os.fork()
        finally:
            if pid != 0:  # the master, whether fork() worked or raised
                self.os.pthread_sigmask(signal.SIG_SETMASK, mask)
                if freeze:
                    gc.unfreeze()
        return pid

    def _watch_exit(self, worker: Worker) -> None:
        """Wake the task when the worker exits (pidfd: no SIGCHLD needed)."""
        if self._loop is None:
            return
        try:
            worker.pidfd = self.os.pidfd_open(worker.pid)
        except OSError:
            return
        self._loop.add_reader(worker.pidfd, self._poke)

    def _unwatch_exit(self, worker: Worker) -> None:
        if worker.pidfd >= 0:
            if self._loop is not None:
                self._loop.remove_reader(worker.pidfd)
            self.os.close(worker.pidfd)
            worker.pidfd = -1

    def retire(self, worker: Worker, reason: str) -> None:
        """Drain a worker: it stops accepting and finishes what it serves."""
        if worker.stop_sent is None:
            worker.stop_sent = self.os.monotonic()
            worker.stop_reason = reason
            self._kill(worker.pid, signal.SIGTERM)

    def reap_workers(self) -> None:
        """Collect the workers that exited (only this program's: other
        children of the process are not ours to reap)."""
        for pid in list(self.WORKERS):
            try:
                reaped, status = self.os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:  # reaped by someone else: its status is lost
                reaped, status = pid, 0
            if reaped == 0:
                continue
            worker = self.WORKERS.pop(pid, None)
            if worker is None:
                continue
            self._unwatch_exit(worker)
            self._worker_exited(worker, status)

    def _worker_exited(self, worker: Worker, status: int) -> None:
        _, state, reason, _ = self.heartbeats.read(worker.slot)
        message = self.heartbeats.message(worker.slot)
        final = self.counters.read(worker.slot)
        self.heartbeats.release(worker.slot)
        self.cfg.child_exit(self.host, worker)
        code = self.os.waitstatus_to_exitcode(status)
        booted = state == hb.READY
        if self.halting or self.stopping and code in (APP_LOAD_ERROR, WORKER_BOOT_ERROR):
            # The reason was said once already; the other workers failed alike.
            self.log.debug("Worker (pid:%d) exited (%s)", worker.pid, exits.describe_code(code))
            return
        reloading = self.reload.active and worker.generation == self.generation
        if (code in (APP_LOAD_ERROR, WORKER_BOOT_ERROR) and not self.stopping
                and not reloading and worker.generation == self.generation):
            what = ("the app failed to load" if code == APP_LOAD_ERROR
                    else "a worker failed to boot")
            self.halting = True
            raise HaltServer(f"{what}: {message}" if message else what, code)
        why = self.log_exit(worker, code, reason, booted, message)
        text = exits.describe_code(code) + (f", {worker.stop_reason}" if worker.stop_reason else "")
        self.totals.worker_exited(final, wc.Exit(worker.pid, why, text))
        if booted:
            self.boot_failures = 0
        if reloading and not booted and not self.stopping:
            why = exits.boot_failure(code, message)
            self.reload.abandon(f"new worker (pid:{worker.pid}) {why}")
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
                 message: str = "") -> str:
        """Every exit with its real cause (never a guess): see arbiter.exits."""
        return exits.log_exit(self.log, self.cfg, self.oom, worker, code, reason, booted, message)

    def murder_workers(self) -> None:
        """Kill workers whose heartbeat is older than `timeout`."""
        timeout = float(self.cfg.timeout)
        now = self.os.monotonic()
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
            self.os.kill(pid, sig)
        except ProcessLookupError:
            pass
        except OSError as exc:
            if exc.errno != errno.ESRCH:
                raise

    # ---- signals, as method calls (gunicorn's meanings) ----------------------

    def handle_signal(self, name: str) -> None:
        """``handle_<name>()`` for one of SIGNALS ("hup", "term", ...)."""
        if name not in SIGNALS:
            raise ValueError(f"a WSGI program does not handle SIG{name.upper()}")
        handler: Callable[[], None] = getattr(self, "handle_" + name)
        handler()

    def handle_hup(self) -> None:
        """Reload the configuration, start new workers, then drain the old ones."""
        self.reload.start()
        self._poke()

    def handle_term(self) -> None:
        """Graceful stop: stop accepting, let the workers finish, then exit."""
        self.stop(graceful=True)

    def handle_int(self) -> None:
        """Quick stop (during a graceful one: quick from now on)."""
        self._quick_stop("int")

    def handle_quit(self) -> None:
        """Quick stop, as INT."""
        self._quick_stop("quit")

    def _quick_stop(self, name: str) -> None:
        if self.stopping and self._stop_graceful:
            self.log.info("Handling signal: %s (quick stop now)", name)
        self.stop(graceful=False)

    def handle_ttin(self) -> None:
        """One worker more."""
        self.set_num_workers(self.num_workers + 1)

    def handle_ttou(self) -> None:
        """One worker fewer (never below one)."""
        if self.num_workers > 1:
            self.set_num_workers(self.num_workers - 1)

    def set_num_workers(self, n: int) -> None:
        """Run ``n`` workers from now on (the nworkers_changed hook is told)."""
        old = self.num_workers
        self.num_workers = n
        self.cfg.nworkers_changed(self.host, n, old)
        self._poke()

    def handle_usr1(self) -> None:
        """Reopen the log files, here and in every worker."""
        reopen = getattr(self.log, "reopen_files", None)
        if reopen is not None:
            reopen()
        for pid in list(self.WORKERS):
            self._kill(pid, signal.SIGUSR1)

    def handle_winch(self) -> None:
        """In daemon mode, stop the workers gracefully (the program stays)."""
        if self.cfg.daemon:
            self.log.info("graceful stop of workers")
            self.num_workers = 0
            for w in list(self.WORKERS.values()):
                self.retire(w, "WINCH")
        else:
            self.log.debug("SIGWINCH ignored. Not daemonized")

    # ---- the process around the program (HUP's reload calls these) ------------

    def read_config(self) -> Any:
        """The configuration again, from the sources it was read from at start
        (ConfigError if invalid). Runs in the directory the command started
        in; the caller restores the working directory if this fails."""
        os.chdir(self.start_cwd)
        return load_config(self.argv)

    def apply_process(self, old: Any | None, cfg: Any) -> None:
        """Apply ``cfg``'s environment, directory, umask and python path to
        this process (``old``'s environment is forgotten first)."""
        if old is not None:
            forget_env(old)
        prepare_process(cfg)
        if self.app is None:
            from fastwsgi.loader import prepare_sys_path
            prepare_sys_path(None, cfg.python_paths)

    def make_log(self, cfg: Any) -> Any:
        """The program's logger for ``cfg`` (ConfigError if it cannot work)."""
        return setup_logging(cfg)

    # ---- stopping -------------------------------------------------------------

    async def finish(self, graceful: bool) -> None:
        """Stop the workers and remove the unix socket files (the task's end;
        also the owner's, when start() failed)."""
        await self._stop(graceful)
        self._remove_socket_files()

    async def _stop(self, graceful: bool) -> None:
        """Stop every worker, within graceful_timeout; then SIGKILL the rest.
        A quick stop asked during a graceful one makes it quick."""
        self.stopping = True
        if not graceful:
            self._stop_graceful = False
        for sock in self.listeners:
            sock.close()
        self._signal_all(graceful)
        deadline = self.os.monotonic() + float(self.cfg.graceful_timeout)
        while self.WORKERS and self.os.monotonic() < deadline:
            await self._nap(STOP_POLL)
            if graceful and self._stop_graceful is False:
                graceful = False
                self._signal_all(graceful)
            self.reap_workers_quietly()
            self._changed()
        for worker in list(self.WORKERS.values()):
            worker.kill_sent = True
            self._kill(worker.pid, signal.SIGKILL)
        while self.WORKERS:
            await asyncio.sleep(KILLED_POLL)
            self.reap_workers_quietly()
        self._changed()

    async def _nap(self, seconds: float) -> None:
        """Sleep up to ``seconds``, less if a worker exits or a signal comes."""
        if self._wake is None:
            await asyncio.sleep(seconds)
            return
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except TimeoutError:
            pass
        self._wake.clear()

    def _signal_all(self, graceful: bool) -> None:
        sig = signal.SIGTERM if graceful else signal.SIGQUIT
        for worker in list(self.WORKERS.values()):
            worker.stop_sent = self.os.monotonic()
            worker.stop_reason = "shutdown" if graceful else "quick shutdown"
            self._kill(worker.pid, sig)

    def reap_workers_quietly(self) -> None:
        try:
            self.reap_workers()
        except HaltServer:
            pass

    def _remove_socket_files(self) -> None:
        if self.listeners_shared:
            return
        for addr in self.cfg.bind:
            if addr.startswith("unix:"):
                try:
                    os.unlink(addr[5:])
                except OSError:
                    pass

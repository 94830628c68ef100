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
"""

from __future__ import annotations

import asyncio
import errno
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

from fastwsgi import heartbeat as hb
from fastwsgi import systemd
from fastwsgi._version import __version__
from fastwsgi.errors import APP_LOAD_ERROR, WORKER_BOOT_ERROR, HaltServer
from fastwsgi.listeners import create_listener, describe
from fastwsgi.pidfile import Pidfile
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
FD_ENV = "FASTWSGI_FD"
GUNICORN_FD_ENV = "GUNICORN_FD"


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
        self.master_pid = int(os.environ.pop("FASTWSGI_MASTER_PID", "0") or 0)
        self.signals: asyncio.Queue[int] = asyncio.Queue()
        self.oom_kills = _oom_kill_count()
        self.oom_unclaimed = 0  # OOM kills counted but not yet matched to a worker
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
                self._maybe_promote()
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
        mode, threads, why = cfg.worker_mode
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
        inherited = os.environ.pop(FD_ENV, None) or os.environ.pop(GUNICORN_FD_ENV, None)
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
        cfg = self.cfg
        mode, threads, _ = cfg.worker_mode
        return EngineSettings(
            keepalive=float(cfg.keepalive), header_timeout=float(cfg.header_timeout),
            limit_request_line=int(cfg.limit_request_line),
            limit_request_fields=int(cfg.limit_request_fields),
            limit_request_field_size=int(cfg.limit_request_field_size),
            limit_request_body=int(cfg.limit_request_body),
            spool_threshold=int(cfg.spool_threshold),
            max_requests=worker_base.max_requests_for(cfg),
            worker_connections=int(cfg.worker_connections),
            graceful_timeout=float(cfg.graceful_timeout),
            script_name=cfg.env.get("SCRIPT_NAME", os.environ.get("SCRIPT_NAME", "")),
            multiprocess=self.num_workers > 1,
            threads=threads if mode == "threaded" else 1,
            secure_scheme_headers=dict(cfg.secure_scheme_headers),
            forwarded_allow_ips=list(cfg.forwarded_allow_ips),
            forwarder_headers=list(cfg.forwarder_headers),
            proxy_protocol=str(cfg.proxy_protocol),
            proxy_allow_ips=list(cfg.proxy_allow_ips))

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
                self._retire(w, "too many workers (TTOU)")
        if self.reloading_from is not None:
            self._finish_reload()

    def spawn_worker(self) -> Worker:
        self.worker_age += 1
        slot = self.heartbeats.allocate()
        worker = Worker(self.worker_age, self.pid, slot, self.cfg, self.log, self.generation)
        self.cfg.pre_fork(self, worker)
        pid = os.fork()
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

    def _retire(self, worker: Worker, reason: str) -> None:
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
                self.reexec_pid = 0
                code = os.waitstatus_to_exitcode(status)
                self.log.error("New master (pid:%d) exited (%s); this master carries on",
                               pid, _describe_code(code))
                if self.pidfile is not None and self.cfg.pidfile:
                    self.pidfile.rename(self.cfg.pidfile)  # .oldbin back to the name
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
            self.log.debug("Worker (pid:%d) exited (%s)", worker.pid, _describe_code(code))
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
            why = _boot_failure(code, message)
            self._abandon_reload(f"new worker (pid:{worker.pid}) {why}")
        elif not booted and worker.stop_sent is None and not self.stopping:
            # Dying before READY in some other way (a crash or a timeout while
            # importing the app): respawned, but not in an endless loop.
            self.boot_failures += 1
            if self.boot_failures >= MAX_BOOT_FAILURES:
                self.halting = True
                raise HaltServer(f"{self.boot_failures} workers in a row exited before they "
                                 f"were ready; the last one {_boot_failure(code, message)}",
                                 WORKER_BOOT_ERROR)

    def log_exit(self, worker: Worker, code: int, reason: int, booted: bool,
                 message: str = "") -> None:
        """Every exit with its real cause (never a guess)."""
        pid = worker.pid
        if worker.abort_sent is not None:
            how = ("aborted" if code in (1, -signal.SIGABRT) else
                   "killed (SIGKILL)" if code == -signal.SIGKILL else _describe_code(code))
            self.log.error("Worker (pid:%d) timed out (no heartbeat for %ss) and was %s",
                           pid, self.cfg.timeout, how)
        elif worker.kill_sent:
            self.log.error("Worker (pid:%d) was killed (SIGKILL): still busy %s after %ss "
                           "(graceful_timeout)", pid, worker.stop_reason or "stopping",
                           self.cfg.graceful_timeout)
        elif code < 0:
            sig = -code
            name = _signal_name(sig)
            if sig == signal.SIGKILL and self._oom_killed():
                self.log.error("Worker (pid:%d) was killed by the kernel's OOM killer "
                               "(SIGKILL; the cgroup's oom_kill count went up)", pid)
            elif worker.stop_sent is not None and sig in (signal.SIGTERM, signal.SIGQUIT,
                                                          signal.SIGINT):
                self.log.info("Worker (pid:%d) stopped (%s)", pid, worker.stop_reason)
            else:
                self.log.error("Worker (pid:%d) was killed by signal %s", pid, name)
        elif code == 0:
            why = hb.REASONS.get(reason) or worker.stop_reason or "exited"
            self.log.info("Worker exiting (pid: %d): %s", pid, why)
        elif code == APP_LOAD_ERROR:
            self.log.error("Worker (pid:%d) exited with code 4: the app failed to load%s",
                           pid, f": {message}" if message else "")
        elif code == WORKER_BOOT_ERROR or not booted:
            self.log.error("Worker (pid:%d) failed to boot (exit code %d)%s",
                           pid, code, f": {message}" if message else "")
        else:
            self.log.error("Worker (pid:%d) exited with code %d", pid, code)

    def _oom_killed(self) -> bool:
        """Whether the cgroup counted an OOM kill not yet matched to a worker."""
        count = _oom_kill_count()
        if count > self.oom_kills:
            self.oom_unclaimed += count - self.oom_kills
        self.oom_kills = count
        if self.oom_unclaimed > 0:
            self.oom_unclaimed -= 1
            return True
        return False

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

    # ---- reload (HUP) -------------------------------------------------------

    def _finish_reload(self) -> None:
        """Once every new worker is READY, drain the old generation."""
        new = [w for w in self.WORKERS.values()
               if w.generation == self.generation and w.stop_sent is None]
        if len(new) < self.num_workers:
            return
        if all(self.heartbeats.read(w.slot)[1] == hb.READY for w in new):
            for w in list(self.WORKERS.values()):
                if w.generation != self.generation:
                    self._retire(w, "replaced by a reload")
            self.reloading_from = None
            self.log.info("Reload complete: %d new workers serving", len(new))

    def _abandon_reload(self, why: str) -> None:
        self.log.error("Reload failed: %s; the previous workers keep serving", why)
        for w in list(self.WORKERS.values()):
            if w.generation == self.generation:
                self._retire(w, "reload abandoned")
        assert self.reloading_from is not None
        self.generation = self.reloading_from
        self.reloading_from = None
        if self.previous is not None:
            failed = self.cfg
            self.cfg, self.log, self.num_workers = self.previous
            self.previous = None
            self._restore_process(failed)

    def _restore_process(self, failed: Any) -> None:
        """Undo what applying the abandoned configuration changed in this process."""
        from fastwsgi.cli import prepare_process
        for key in failed.env:
            os.environ.pop(key, None)
        prepare_process(self.cfg)
        setup = getattr(self.log, "setup", None)  # logs.Logger rebuilds its handlers
        if setup is not None:
            try:
                setup(self.cfg)
            except Exception:
                self.log.exception("Could not restore the previous logging configuration")
        if list(failed.bind) != list(self.cfg.bind):
            self._rebind(failed)

    # ---- signals (gunicorn's meanings) ---------------------------------------

    def handle_chld(self) -> None:
        """A child exited: reaped right after every dispatch."""

    def handle_hup(self) -> None:
        """Reload the configuration, start new workers, then drain the old ones."""
        systemd.sd_notify("RELOADING=1")
        if self.reloading_from is not None:
            # A reload is under way: its workers are superseded by this one.
            for w in list(self.WORKERS.values()):
                if w.generation == self.generation:
                    self._retire(w, "superseded by another reload")
            serving = self.reloading_from
        else:
            serving = self.generation
            self.previous = (self.cfg, self.log, self.num_workers)
        if not self.reload_config():
            if self.reloading_from is None:
                self.previous = None
            systemd.sd_notify("READY=1")
            return
        self.cfg.on_reload(self)  # gunicorn: after the new config is read
        self.num_workers = int(self.cfg.workers)
        self.reloading_from = serving
        self.generations += 1
        self.generation = self.generations
        self.log.info("Reloading: starting %d new workers", self.num_workers)
        self.manage_workers()
        systemd.sd_notify("READY=1")

    def reload_config(self) -> bool:
        """Read the configuration again from the same sources (command line,
        environment, config file), as gunicorn's reload does.  False, with
        the reason logged, if it is invalid: the current one stays."""
        from fastwsgi.cli import prepare_process, setup_logging
        from fastwsgi.config import load_config
        from fastwsgi.errors import ConfigError
        old = self.cfg
        here = os.getcwd()
        try:
            os.chdir(self.start_cwd)
            cfg = load_config(self.argv)
            cfg.require_app()
            cfg.worker_mode  # noqa: B018 - refuses ASGI worker classes
        except (ConfigError, OSError) as exc:
            os.chdir(here)
            self.log.error("Reload failed: %s; the current configuration stays", exc)
            return False
        for key in old.env:
            os.environ.pop(key, None)
        prepare_process(cfg)
        if self.app is None:
            from fastwsgi.loader import prepare_sys_path
            prepare_sys_path(None, cfg.python_paths)
        try:
            log = setup_logging(cfg)
        except ConfigError as exc:
            self.log.error("Reload failed: %s; the current configuration stays", exc)
            return False
        self.cfg, self.log = cfg, log
        self._rebind(old)
        if cfg.pidfile != old.pidfile and not self.master_pid:
            if self.pidfile is not None:
                self.pidfile.unlink()
                self.pidfile = None
            if cfg.pidfile:
                self.pidfile = Pidfile(cfg.pidfile)
                self.pidfile.create(self.pid)
        return True

    def _rebind(self, old: Any) -> None:
        """gunicorn: a reload that changes `bind` replaces the listeners (the
        old workers keep their copies until they are drained)."""
        if list(self.cfg.bind) == list(old.bind) or any(
                b.startswith("fd://") for b in old.bind):
            return
        try:
            listeners = [create_listener(addr, backlog=int(self.cfg.backlog),
                                         reuse_port=bool(self.cfg.reuse_port),
                                         umask=int(self.cfg.umask)) for addr in self.cfg.bind]
        except (OSError, ValueError) as exc:
            self.log.error("Reload: cannot listen at %s (%s); keeping the current listeners",
                           ", ".join(self.cfg.bind), exc)
            return
        for sock in self.listeners:
            sock.close()
        self.listeners = listeners
        for sock in listeners:
            self.log.info("Listening at: %s (%d)", describe(sock), self.pid)

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

    def handle_winch(self) -> None:
        """In daemon mode, stop the workers gracefully (the master stays)."""
        if self.cfg.daemon:
            self.log.info("graceful stop of workers")
            self.num_workers = 0
            for w in list(self.WORKERS.values()):
                self._retire(w, "WINCH")
        else:
            self.log.debug("SIGWINCH ignored. Not daemonized")

    def reexec(self) -> None:
        if self.reexec_pid:
            self.log.warning("USR2 signal ignored. Child exists.")
            return
        if self.master_pid:
            self.log.warning("USR2 signal ignored. Parent exists.")
            return
        if self.pidfile is not None:
            self.pidfile.rename(self.pidfile.path + ".oldbin")
        pid = os.fork()
        if pid:
            self.reexec_pid = pid
            self.log.info("Started a new master (pid:%d) for USR2", pid)
            return
        try:
            self.cfg.pre_exec(self)
            env = dict(os.environ)
            env[FD_ENV] = ",".join(str(s.fileno()) for s in self.listeners)
            env["FASTWSGI_MASTER_PID"] = str(self.pid)
            for sock in self.listeners:
                os.set_inheritable(sock.fileno(), True)
            os.chdir(self.start_cwd)
            os.execve(sys.executable, [sys.executable, "-m", "fastwsgi", *self.argv], env)
        except BaseException as exc:  # noqa: BLE001 - never return into the old master's loop
            try:
                self.log.error("USR2: cannot start the new master: %s", exc)
            finally:
                os._exit(1)

    def _maybe_promote(self) -> None:
        """After USR2: when the old master is gone, take over its pidfile."""
        if self.master_pid and os.getppid() != self.master_pid:
            self.log.info("Master has been promoted.")
            self.master_pid = 0
            set_title(f"master [{self.cfg.proc_name}]")
            if self.pidfile is not None and self.cfg.pidfile:
                self.pidfile.rename(self.cfg.pidfile)
            systemd.sd_notify(f"MAINPID={self.pid}")

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


def _oom_kill_count() -> int:
    """The oom_kill counter of this process's memory cgroup (v2 memory.events,
    else v1 memory.oom_control), or 0 when there is none to read."""
    try:
        with open("/proc/self/cgroup") as f:
            lines = f.read().splitlines()
    except OSError:
        return 0
    candidates = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            candidates += [f"/sys/fs/cgroup{path}/memory.events",
                           f"/sys/fs/cgroup/unified{path}/memory.events"]
        elif "memory" in controllers.split(","):
            candidates.append(f"/sys/fs/cgroup/memory{path}/memory.oom_control")
    for candidate in candidates:
        try:
            with open(candidate) as f:
                for line in f:
                    key, _, value = line.partition(" ")
                    if key == "oom_kill":
                        return int(value)
        except (OSError, ValueError):
            continue
    return 0


def set_title(title: str) -> None:
    """gunicorn's process titles ("fastwsgi: master [proc_name]"), when the
    optional setproctitle package is installed, as in gunicorn."""
    try:
        from setproctitle import setproctitle
    except ImportError:
        return
    setproctitle(f"fastwsgi: {title}")


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return str(sig)


def _describe_code(code: int) -> str:
    """A waitstatus_to_exitcode() result in words."""
    return f"signal {_signal_name(-code)}" if code < 0 else f"exit code {code}"


def _boot_failure(code: int, message: str) -> str:
    if code == APP_LOAD_ERROR:
        what = "could not load the app"
    elif code == WORKER_BOOT_ERROR:
        what = "failed to boot"
    else:
        what = f"exited before it was ready ({_describe_code(code)})"
    return f"{what}: {message}" if message else what

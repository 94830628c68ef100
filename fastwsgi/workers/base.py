"""The worker process: what runs in the master's forked child.

It resets the master's signal handling, runs the post_fork hook, drops
privileges, loads the app (unless preloaded), reports READY through its
heartbeat slot and hands the listeners to the engine.  It never returns:
the process ends with os._exit() and an exit code the master understands
(0 done, 3 failed to boot, 4 the app failed to load)."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

from fastwsgi.errors import APP_LOAD_ERROR, WORKER_BOOT_ERROR, AppImportError
from fastwsgi.system.process import drop_privileges
from fastwsgi.workers.heartbeat import (
    BOOTING,
    READY,
    REASON_MAX_REQUESTS,
    REASON_MEMORY,
    REASON_NONE,
    REASON_ORPHANED,
    REASON_RELOAD,
)
from fastwsgi.workers.hookobjects import HookRequest, HookResponse

if TYPE_CHECKING:
    from fastwsgi.workers.native import EngineSettings

# Worker modes that run each request in a greenlet (fastwsgi/workers/greenlets.py).
GREENLET_MODES = ("gevent", "eventlet")

MASTER_SIGNALS = (signal.SIGHUP, signal.SIGQUIT, signal.SIGINT, signal.SIGTERM,
                  signal.SIGTTIN, signal.SIGTTOU, signal.SIGUSR1, signal.SIGUSR2,
                  signal.SIGWINCH, signal.SIGCHLD)


class Worker:
    """A worker as the master and gunicorn's hooks see it (pid, age, cfg, log...)."""

    def __init__(self, age: int, ppid: int, slot: int, cfg: Any, log: Any,
                 generation: int) -> None:
        self.age = age
        self.ppid = ppid
        self.slot = slot
        self.cfg = cfg
        self.log = log
        self.generation = generation
        self.pid = 0
        self.pidfd = -1
        self.booted = False
        self.alive = True
        self.nr = 0
        self.started = time.monotonic()
        self.abort_sent: float | None = None
        self.stop_sent: float | None = None
        self.kill_sent = False  # SIGKILLed after graceful_timeout
        self.stop_reason = ""
        self.server: Any = None  # the engine's Server, in the worker process
        self.replaced: Any = None  # the exit (workers.counters.Exit) this worker replaces
        # reuse_port: the slot whose own sockets this worker listens on
        # (arbiter.listener_slots); None when it shares the listeners.
        self.listener_slot: int | None = None

    def __repr__(self) -> str:
        return f"<Worker {self.pid}>"


def run(master: Any, worker: Worker, listeners: list[Any], app: Any | None) -> NoReturn:
    """The child side of fork(): serve, then exit with a code."""
    code = 1
    try:
        code = _serve(master, worker, listeners, app)
    except SystemExit as exc:
        code = 0 if exc.code is None else exc.code if isinstance(exc.code, int) else 1
    except BaseException as exc:  # noqa: BLE001 - the worker must exit with a code, always
        worker.log.error("Exception in worker process\n%s", traceback.format_exc())
        code = 1 if worker.booted else WORKER_BOOT_ERROR
        if not worker.booted:
            _leave_message(master, worker, f"{type(exc).__name__}: {exc}")
    finally:
        _exiting(master, worker)
    os._exit(code)


def _exiting(master: Any, worker: Worker) -> None:
    """gunicorn's last words of a worker (its own pid in the line's [pid]
    field), then the worker_exit hook; the master logs why it exited."""
    worker.log.info("Worker exiting (pid: %d)", worker.pid)
    try:
        worker.cfg.worker_exit(master, worker)
    except Exception:
        worker.log.exception("Exception in worker_exit hook")
    _flush_logs()


def _leave_message(master: Any, worker: Worker, text: str) -> None:
    """The line the master logs for this worker's failed boot."""
    master.heartbeats.set_message(worker.slot, text)


def _flush_logs() -> None:
    for handler in logging.getLogger().handlers + logging.getLogger("fastwsgi.error").handlers:
        # A handler whose stream is gone must not stop the others or the exit.
        with contextlib.suppress(Exception):
            handler.flush()
    sys.stdout.flush()
    sys.stderr.flush()


def _serve(master: Any, worker: Worker, listeners: list[Any], app: Any | None) -> int:
    from fastwsgi.system.proctitle import set_title
    from fastwsgi.workers.native import make_server

    cfg = worker.cfg
    worker.pid = os.getpid()
    _reset_signals()
    for service in getattr(master, "services", ()):
        service.in_worker()  # the master's metrics listener is not ours
    set_title(f"worker [{cfg.proc_name}]")
    worker.log.info("Booting worker with pid: %d", worker.pid)  # as gunicorn: from the worker
    # A worker that times out while booting (a slow or stuck import) says where.
    signal.signal(signal.SIGABRT, lambda signum, frame: _abort(master, worker, None, frame))
    cfg.post_fork(master, worker)
    drop_privileges(cfg)
    mode = cfg.worker_mode[0]
    if mode in GREENLET_MODES:
        _patch_for_greenlets(mode, worker)
    broken_files: list[str] = []  # --reload: the files a failed import went through
    if app is None:
        from fastwsgi.loader import load_app
        try:
            app = load_app(cfg.app_uri, chdir=None, pythonpath=cfg.python_paths)
        except AppImportError as exc:
            if cfg.reload:
                app = _broken_app(worker, exc, broken_files)
            else:
                # Said once by the master (exit code 4), not by every worker.
                worker.log.debug("Worker (pid:%d) cannot load the app: %s\n%s", worker.pid,
                                 exc, getattr(exc, "traceback_text", ""))
                _leave_message(master, worker, str(exc))
                return APP_LOAD_ERROR
    settings = master.engine_settings(worker)
    beats = master.heartbeats
    reason = [REASON_NONE]
    watch = _Watchers(worker, reason, beats, broken_files)
    hooks: dict[str, Any] = _hooks(master, worker)
    server: Any = None  # the tick needs the server it is handed to

    def tick() -> None:
        watch.tick(server)

    counters = getattr(master, "counters", None)
    if counters is not None and cfg.request_counters:
        hooks["counters"] = counters.view(worker.slot)
    if counters is not None:
        counters.count_log_lines(worker.slot)
    if mode in GREENLET_MODES:
        from fastwsgi.workers.greenlets import make_hub
        hooks["greenlets"] = make_hub(mode)
    if settings.multiprocess and settings.threads <= 1 and worker.listener_slot is None:
        # Workers sharing the listeners see each other's connection counts
        # (gthread balances on its busy threads instead: Server._executor_full).
        # Not with reuse_port: the kernel spreads the connections, and a
        # worker stepping aside would leave its own socket's queue unserved.
        hooks["load_board"] = beats.load_board(worker.slot, master.num_workers)
    server = make_server(app, listeners, settings, tick=tick, **hooks)
    worker.server = server
    _install_signals(master, worker, server)
    beats.beat(worker.slot, READY)
    worker.booted = True
    cfg.post_worker_init(worker)
    # Everything loaded so far (the app, its framework, our own modules) lives
    # as long as the worker: move it out of the collector's way, so that the
    # full collections a framework's per-request garbage triggers do not
    # rescan it, and so that its pages stay shared with the master.
    gc.collect()
    gc.freeze()
    server.serve()
    if server.requests >= settings.max_requests > 0:
        reason[0] = REASON_MAX_REQUESTS
    beats.beat(worker.slot, READY, reason[0])
    return 0


def _broken_app(worker: Worker, exc: AppImportError, watched: list[str]) -> Any:
    """--reload and the app does not load (an edit broke it): as gunicorn, the
    worker stays up and answers 500, the traceback in the error log and in the
    response (reload is a development setting), and watches the files the
    failed import went through, the broken one among them, so that the next
    save loads the app anew.  gunicorn keeps the worker for a SyntaxError;
    here any import-time error does (a NameError, a missing import), since the
    fix is the same save."""
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    text = exc.traceback_text or "".join(
        traceback.format_exception(type(cause), cause, cause.__traceback__))
    worker.log.error("Worker (pid:%d) cannot load the app, serving 500 until a watched file "
                     "changes (--reload): %s\n%s", worker.pid, exc, text.rstrip())
    if isinstance(cause, SyntaxError) and cause.filename:
        watched.append(cause.filename)
    watched += [frame.filename for frame in traceback.extract_tb(cause.__traceback__)
                if not frame.filename.startswith("<")]
    body = f"500 Internal Server Error: the app failed to load\n\n{text}".encode()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("500 Internal Server Error", [
            ("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))])
        return [body]

    return app


def _patch_for_greenlets(mode: str, worker: Worker) -> None:
    """Monkey-patch before the app is imported, as gunicorn's gevent and
    eventlet workers do (an app preloaded in the master was imported before:
    the same caveat as gunicorn's --preload)."""
    from fastwsgi.config.worker_class import worker_class_patch
    from fastwsgi.workers.greenlets import patch
    patch(mode, worker_class_patch(worker.cfg.worker_class_str), worker)


def _reset_signals() -> None:
    """Undo the master's asyncio signal handling in the child, then take the
    signals the master blocked across fork() (master._fork)."""
    signal.set_wakeup_fd(-1)
    for sig in MASTER_SIGNALS:
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, MASTER_SIGNALS)


def _install_signals(master: Any, worker: Worker, server: Any) -> None:
    cfg = worker.cfg

    def graceful(signum: int, frame: Any) -> None:
        server.stop(graceful=True)

    def quick(signum: int, frame: Any) -> None:
        cfg.worker_int(worker)
        server.stop(graceful=False)
        if server.current is not None:
            # The app is running in this thread: interrupt it, as gunicorn's
            # sync worker does (sys.exit in the handler).
            raise SystemExit(0)

    def abort(signum: int, frame: Any) -> None:
        _abort(master, worker, server, frame)

    def reopen(signum: int, frame: Any) -> None:
        reopen_files = getattr(worker.log, "reopen_files", None)
        if reopen_files is not None:
            reopen_files()

    signal.signal(signal.SIGTERM, graceful)
    signal.signal(signal.SIGINT, quick)
    signal.signal(signal.SIGQUIT, quick)
    signal.signal(signal.SIGABRT, abort)
    signal.signal(signal.SIGUSR1, reopen)
    signal.signal(signal.SIGWINCH, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)


def _abort(master: Any, worker: Worker, server: Any, frame: Any) -> NoReturn:
    """SIGABRT from the master (no heartbeat for `timeout`): log what this
    worker was doing, answer the requests it abandons (a 500 with Connection:
    close, as gunicorn's client gets), run the worker_abort and worker_exit
    hooks, exit 1."""
    for what, step in (("the timeout report", lambda: _log_timeout(worker, server, frame)),
                       ("500 to the abandoned requests", lambda: _answer_abandoned(worker, server)),
                       ("worker_abort hook", lambda: worker.cfg.worker_abort(worker))):
        try:
            step()
        except Exception:
            worker.log.exception("Exception in the %s", what)
    _exiting(master, worker)
    os._exit(1)


def _answer_abandoned(worker: Worker, server: Any) -> None:
    if server is None:
        return  # still booting: no connection taken yet
    from fastwsgi import _core
    answered = _core.answer_abandoned(server)
    if answered:
        worker.log.critical("WORKER TIMEOUT (pid:%d) answered %d request%s with 500", worker.pid,
                            answered, "s" if answered != 1 else "")


def _log_timeout(worker: Worker, server: Any, signal_frame: Any) -> None:
    """Say what this worker was doing: the request in flight and every thread's stack."""
    environ = server.current if server is not None else None
    if server is None:
        worker.log.critical("WORKER TIMEOUT (pid:%d) while booting (loading the app)",
                            worker.pid)
    elif environ is not None:
        since = server.current_since
        took = f" for {time.monotonic() - since:.1f} s" if since else ""
        client = environ.get("REMOTE_ADDR") or "a unix socket"
        if environ.get("REMOTE_PORT"):
            client += f":{environ['REMOTE_PORT']}"
        worker.log.critical(
            "WORKER TIMEOUT (pid:%d) serving %s %s from %s%s", worker.pid,
            environ.get("REQUEST_METHOD"), environ.get("RAW_URI") or environ.get("PATH_INFO"),
            client, took)
    else:
        worker.log.critical("WORKER TIMEOUT (pid:%d) with no request in flight", worker.pid)
    frames = sys._current_frames()
    main = threading.main_thread().ident
    for thread in threading.enumerate():
        # The main thread's own frame is this handler's: show where the
        # signal interrupted it instead.
        frame = signal_frame if thread.ident == main else frames.get(thread.ident or -1)
        if frame is not None:
            entries = traceback.extract_stack(frame)
            # The frames above the worker's run() are the master's, from before fork().
            starts = [i for i, e in enumerate(entries) if e.filename == __file__ and e.name == "run"]
            stack = "".join(traceback.format_list(entries[starts[0] + 1:] if starts else entries))
            worker.log.critical("Thread %s (stack, most recent call last):\n%s",
                                thread.name, stack.rstrip())


class _Watchers:
    """Once a second, from the engine's loop: heartbeat, orphan check,
    memory limit, code reload."""

    def __init__(self, worker: Worker, reason: list[int], beats: Any,
                 extra: list[str] | None = None) -> None:
        self.worker = worker
        self.extra = list(extra or ())  # files no module in sys.modules names (a broken import)
        self.reason = reason
        self.beats = beats
        cfg = worker.cfg
        self.max_rss = int(cfg.max_worker_memory) * 1024 * 1024
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.mtimes: dict[str, float] | None = {} if cfg.reload else None
        if self.mtimes is not None:
            self._code_changed()  # the baseline now: a save before the first tick counts

    def tick(self, server: Any) -> None:
        worker = self.worker
        self.beats.beat(worker.slot, READY, self.reason[0], server.current_since or 0.0)
        if os.getppid() != worker.ppid:
            self._leave(server, REASON_ORPHANED)
        elif self.max_rss and (rss := self._rss()) > self.max_rss:
            if self.reason[0] == REASON_NONE:
                worker.log.info("Worker (pid:%d) uses %d MB, over max_worker_memory (%d MB): "
                                "draining it", worker.pid, rss >> 20, self.max_rss >> 20)
            self._leave(server, REASON_MEMORY)
        elif self.mtimes is not None and self._code_changed():
            self._leave(server, REASON_RELOAD)

    def _leave(self, server: Any, reason: int) -> None:
        if self.reason[0] == REASON_NONE:
            self.reason[0] = reason
            self.beats.beat(self.worker.slot, READY, reason)
            server.stop(graceful=True)

    def _rss(self) -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * self.page

    def _code_changed(self) -> bool:
        assert self.mtimes is not None
        files = [getattr(m, "__file__", None) for m in list(sys.modules.values())]
        files += self.extra + self._extra_files()
        changed = False
        baseline = not self.mtimes
        for path in files:
            if not path:
                continue
            try:
                mtime = os.stat(path).st_mtime
            except OSError:
                continue
            old = self.mtimes.get(path)
            if old is None:
                self.mtimes[path] = mtime
                if not baseline:  # a new module, or a new match of a pattern
                    self.worker.log.debug("Worker (pid:%d) watching %s", self.worker.pid, path)
            elif mtime != old:
                self.worker.log.info("Worker reloading: %s modified", path)
                changed = True
        return changed

    def _extra_files(self) -> list[str]:
        """reload_extra_files, glob patterns expanded anew at every check (as
        gunicorn 26.1): a file created after start is watched from then on, and
        its first edit reloads."""
        files = []
        for entry in self.worker.cfg.reload_extra_files or ():
            if any(magic in entry for magic in "*?["):
                import glob  # only with a pattern: the worker's modules stay few
                files += sorted(glob.glob(entry, recursive=True))
            else:
                files.append(entry)
        return files


def _hooks(master: Any, worker: Worker) -> dict[str, Callable[..., Any] | None]:
    """The engine's per-request callbacks: None unless something needs them,
    so that the default configuration costs nothing per request."""
    cfg = worker.cfg
    log = worker.log
    access = log.access if getattr(log, "access_enabled", False) else None
    post = None if cfg.is_default("post_request") else cfg.post_request
    pre = None if cfg.is_default("pre_request") else cfg.pre_request

    def counting(environ: dict[str, Any]) -> None:
        worker.nr += 1

    def pre_request(environ: dict[str, Any]) -> None:
        worker.nr += 1
        assert pre is not None
        pre(worker, HookRequest(environ))

    def on_response(environ: dict[str, Any], status: str, headers: list[tuple[str, str]],
                    length: int, duration: float) -> None:
        if access is not None:
            access(environ, status, headers, length, duration)
        if post is not None:
            post(worker, HookRequest(environ), environ, HookResponse(status, headers, length))

    return {
        "pre_request": pre_request if pre is not None else None,
        "on_response": on_response if (access is not None or post is not None) else None,
    }


def max_requests_for(cfg: Any) -> int:
    """max_requests plus this worker's jitter, so that workers recycle apart."""
    if cfg.max_requests <= 0:
        return 0
    import random  # in the worker only: the master's modules are in every worker
    return int(cfg.max_requests) + random.randint(0, max(int(cfg.max_requests_jitter), 0))


def engine_settings(cfg: Any, num_workers: int) -> EngineSettings:
    """What the engine needs from the configuration, for one worker: the
    engine's settings as configured (the registry says which), with this
    worker's own max_requests jitter, the threads of its mode, SCRIPT_NAME,
    multiprocess when the master runs several, and the TLS context the master
    built for this configuration (inherited through fork)."""
    from fastwsgi.workers.native import EngineSettings
    from fastwsgi.workers.tls import context_for
    mode, threads, _ = cfg.worker_mode
    return EngineSettings.from_config(
        cfg, max_requests=max_requests_for(cfg),
        threads=threads if mode == "threaded" else 1,
        script_name=cfg.env.get("SCRIPT_NAME", os.environ.get("SCRIPT_NAME", "")),
        multiprocess=num_workers > 1, tls=context_for(cfg))


__all__ = ["BOOTING", "Worker", "engine_settings", "max_requests_for", "run"]

"""A WSGIProgram hosted by the supervisor: its configuration, its log and its
workers' start, in a process that runs other programs too.

Theory of operation
-------------------
The standalone master applies a configuration to its own process (the
environment, --chdir, --umask, sys.path) and logs through the process-wide
``fastwsgi.error`` logger.  Here the process is the supervisor's, shared
with every other program, so ``HostedProgram`` keeps those to its workers:

- the master side reads the configuration from the program's directory and
  changes nothing of the process (``read_config``/``apply_process``);
- its own lines (booting, exits, reloads) go through a ``ProgramLog`` of its
  own: to --error-logfile if given, else to the program's stderr log (its
  ``stderr_logfile``, or the stdout log with redirect_stderr), where the
  exec'd master's stderr went;
- each worker, right after fork (``WorkerSetup.in_worker``, the first thing
  the worker runs), closes what belongs to the supervisor's other programs,
  takes the program's capture pipes as its stdout and stderr, gets the
  environment an exec'd child would have had, enters its directory, and
  logs with a Logger of its own (``fastwsgi.logs``, as a standalone worker):
  what the app prints and logs reaches the program's logs as before.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from fastwsgi.arbiter.program import WSGIProgram
from fastwsgi.errors import ConfigError, HaltServer
from fastwsgi.logs import (
    ERROR_DATEFMT,
    ERROR_FORMAT,
    LOG_LEVELS,
    LevelMethods,
    reopen_file,
    setup_logging,
)
from fastwsgi.supervisor.wsgi_plan import base_directory, load, working_directory


class ProgramLog(LevelMethods):
    """gunicorn's Logger API for the master side of one hosted program; in a
    worker (after ``become_worker``) a standalone Logger answers instead."""

    def __init__(self, cfg: Any, unit: Any) -> None:
        self.unit = unit
        self.worker_log: Any = None
        # Not registered with logging's manager: other programs' loggers and
        # the supervisor's own never see these handlers.
        self.logger = logging.Logger(f"fastwsgi.program.{unit.config.name}")  # noqa: LOG001
        self.setup(cfg)

    def setup(self, cfg: Any) -> None:
        """(Re)build the handler from ``cfg`` (HUP, or a reload rolled back)."""
        self.cfg = cfg
        self.close()
        self.logger.setLevel(LOG_LEVELS.get(str(cfg.loglevel).lower(), logging.INFO))
        if cfg.errorlog == "-":
            handler: logging.Handler = _CaptureHandler(self.unit)
        else:
            path = os.path.join(base_directory(self.unit.plan, cfg), cfg.errorlog)
            try:
                handler = logging.FileHandler(path, encoding="utf-8", errors="backslashreplace")
            except OSError as exc:
                raise ConfigError(f"cannot open log file {path!r}: {exc.strerror}") from None
        handler.setFormatter(logging.Formatter(ERROR_FORMAT, ERROR_DATEFMT))
        self.logger.addHandler(handler)

    def become_worker(self, cfg: Any) -> None:
        """In a worker: log as a standalone worker does, to its own stdout/stderr."""
        self.close()
        self.worker_log = setup_logging(cfg)

    @property
    def access_enabled(self) -> bool:
        """The master side logs no request; a worker's Logger decides for it."""
        return bool(self.worker_log is not None and self.worker_log.access_enabled)

    def __getattr__(self, name: str) -> Any:  # a worker's Logger API (access, ...)
        if self.worker_log is None:
            raise AttributeError(name)
        return getattr(self.worker_log, name)

    def _log(self, level: int, msg: object, args: tuple[object, ...], kwargs: Any) -> None:
        if self.worker_log is not None:
            self.worker_log.log(level, msg, *args, **kwargs)
        else:
            kwargs.setdefault("stacklevel", 3)
            self.logger.log(level, msg, *args, **kwargs)

    def reopen_files(self) -> None:
        """USR1: reopen --error-logfile (the capture logs reopen with the supervisor's)."""
        if self.worker_log is not None:
            self.worker_log.reopen_files()
            return
        for handler in self.logger.handlers:
            if isinstance(handler, logging.FileHandler):
                reopen_file(handler)

    def close(self) -> None:
        for handler in list(self.logger.handlers):
            self.logger.removeHandler(handler)
            handler.close()


class _CaptureHandler(logging.Handler):
    """Lines written straight into the program's capture log (never through
    its pipe: the master must not block on a pipe it reads itself)."""

    def __init__(self, unit: Any) -> None:
        super().__init__()
        self.unit = unit

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.unit.log_line(self.format(record) + "\n")
        except Exception:  # noqa: BLE001 - logging must never break the master
            self.handleError(record)


class HostedProgram(WSGIProgram):
    """A WSGIProgram that leaves the process alone (see the module's docstring)."""

    def __init__(self, cfg: Any, unit: Any) -> None:
        self.unit = unit
        super().__init__(cfg, ProgramLog(cfg, unit), argv=unit.plan.argv,
                         cwd=unit.plan.directory, os_api=unit.host.program_os())
        # What worker_base.run() calls in the worker before anything else.
        self.services = [WorkerSetup(self)]

    def read_config(self) -> Any:
        return load(self.argv, self.start_cwd, self.unit.host.child_environment(self.unit))

    def apply_process(self, old: Any | None, cfg: Any) -> None:
        """Nothing in the master: each worker applies its configuration."""

    def make_log(self, cfg: Any) -> Any:
        return ProgramLog(cfg, self.unit)

    def halt_exit(self, exc: HaltServer) -> int:
        code = super().halt_exit(exc)
        self.unit.halt_reason = self.halt_reason  # its spawnerr, if it never got ready
        return code

    def start(self, inherited_fds: Any = ()) -> None:
        with working_directory(base_directory(self.unit.plan, self.cfg)):
            super().start(inherited_fds)


class WorkerSetup:
    """The worker side of a hosted program (a ``service`` of its host, so
    ``workers.base`` calls ``in_worker()`` first thing after fork)."""

    def __init__(self, program: HostedProgram) -> None:
        self.program = program

    def in_worker(self) -> None:
        program = self.program
        unit = program.unit
        cfg = program.cfg
        for fd in unit.host.fds_of_others(unit):
            try:
                os.close(fd)
            except OSError:
                pass
        out = unit.child_fds["stdout"]
        err = unit.child_fds.get("stderr", out)
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os.dup2(out, 1)
        os.dup2(err, 2)
        for fd in set(unit.child_fds.values()):
            if fd > 2:
                os.close(fd)
        env = unit.host.child_environment(unit)
        os.environ.clear()
        os.environ.update(env)
        os.environ.update(cfg.env)
        os.chdir(base_directory(unit.plan, cfg))
        os.umask(int(cfg.umask))
        from fastwsgi.loader import prepare_sys_path
        prepare_sys_path(None, cfg.python_paths)
        program.log.become_worker(cfg)

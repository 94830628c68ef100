"""Whether a `fastwsgi APP ...` / `gunicorn APP ...` program runs in this
process, and its configuration when it does.

ini.py recognises the command (``ProcessConfig.wsgi_argv``).  Such a program
runs in-process (``supervisor.wsgi``) unless its command line asks for
something only a process of its own can do: then it is exec'd as any other
command, and one line of the main log says why (``plan_for``).  A command
line that does not read (a bad flag, a config file that raises) is no reason
to exec: the program is in-process and its start fails with that line as
spawnerr, as a crashing exec'd master would go to BACKOFF and FATAL.

The configuration is read as the exec'd command would read it: from the
program's ``directory``, with the environment the child would have had.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from fastwsgi.config import load_config
from fastwsgi.errors import ConfigError

# What only a process of its own can honour: (predicate on the configuration,
# why it is exec'd then).
_OWN_PROCESS: tuple[tuple[str, str], ...] = (
    ("supervisor_config", "-c names a supervisord file: it would be a supervisor of its own"),
    ("daemon", "--daemon detaches a process of its own"),
    ("pidfile", "--pid writes the pidfile of a master of its own"),
    ("preload_app", ("--preload imports the app into the master, and in-process that is "
                     "the supervisor's process, shared by every program")),
    ("check_config", "--check-config exits at once"),
    ("print_config", "--print-config exits at once"),
    ("metrics_bind", "--metrics-bind serves a standalone master's metrics"),
    ("statsd_host", "--statsd-host is sent by a standalone master"),
)
_EXITS_AT_ONCE = ("-h", "--help", "-v", "--version")


@dataclass
class WSGIPlan:
    """An in-process WSGI program: its arguments and where it reads them."""

    argv: list[str]
    directory: str  # the program's `directory`, or the master's working directory
    workers: int  # how many workers it starts with (supervisorctl shows one process each)
    error: str | None = None  # its configuration did not read: the start fails with this


def plan_for(config: Any, environ: Mapping[str, str]) -> WSGIPlan | str:
    """The plan of an in-process run of ``config``, or why it is exec'd."""
    argv = list(config.wsgi_argv)
    if config.numprocs > 1:
        return "numprocs > 1 makes it several masters"
    for arg in argv:
        if arg in _EXITS_AT_ONCE or arg.startswith(("--version=", "--help=")):
            return f"{arg} exits at once"
    directory = os.path.abspath(config.directory or os.getcwd())
    try:
        cfg = _read(argv, directory, environ)
    except ConfigError as exc:
        return WSGIPlan(argv, directory, 1, exc.message)
    reason = own_process_reason(cfg)
    if reason is not None:
        return reason
    return WSGIPlan(argv, directory, int(cfg.workers))


def own_process_reason(cfg: Any) -> str | None:
    """Why ``cfg`` needs a process of its own (None: it runs in-process)."""
    for name, why in _OWN_PROCESS:
        if getattr(cfg, name, None):
            return why
    return None


def load(argv: list[str], directory: str, environ: Mapping[str, str]) -> Any:
    """The configuration of ``argv`` read from ``directory`` (ConfigError if
    it does not read, or needs a process of its own)."""
    cfg = _read(argv, directory, environ)
    reason = own_process_reason(cfg)
    if reason is not None:
        raise ConfigError(f"cannot run in-process any more: {reason}")
    return cfg


def _read(argv: list[str], directory: str, environ: Mapping[str, str]) -> Any:
    with working_directory(directory):
        try:
            cfg = load_config(argv, environ)
            cfg.require_app()
            cfg.worker_mode  # noqa: B018 - refuses ASGI worker classes with one line
        except SystemExit as exc:  # argparse's --help/--version, a config file's exit()
            raise ConfigError(f"the command line exits at once (status {exc.code})") from None
        except OSError as exc:
            raise ConfigError(f"cannot read its configuration: {exc}") from None
    return cfg


def base_directory(plan: WSGIPlan, cfg: Any) -> str:
    """Where relative paths of ``cfg`` start (its --chdir from the program's directory)."""
    return os.path.normpath(os.path.join(plan.directory, str(cfg.chdir or ".")))


@contextlib.contextmanager
def working_directory(path: str) -> Iterator[None]:
    """Run a block in ``path`` and come back: the master's own directory must not
    change (other programs are spawned relative to it)."""
    here = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(here)

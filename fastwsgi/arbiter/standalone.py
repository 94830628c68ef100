"""`fastwsgi APP`: from a loaded configuration to a running master, and its exit code.

What gunicorn does between reading its configuration and starting its
arbiter: process set-up (environment, chdir, umask), the logs, the warnings
held while the configuration was read, --check-config and --preload (the app
loaded here), --daemon, then the master until it exits.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from fastwsgi.errors import AppImportError, ConfigError
from fastwsgi.logs import HeldRecords, setup_logging
from fastwsgi.system.process import prepare_process


def fail(message: str, code: int) -> NoReturn:
    """One line on stderr, and the exit code."""
    print(message, file=sys.stderr)
    sys.exit(code)


def _check_tls(cfg: Any, log: Any) -> None:
    """A TLS configuration that cannot be served refuses to start, before
    anything listens (and fails --check-config): never plain text instead."""
    from fastwsgi.workers.tls import context_for, deprecation_warnings
    for line in deprecation_warnings(cfg):
        log.warning("%s", line)
    try:
        context_for(cfg)
    except ConfigError as exc:
        fail(str(exc), 1)


def serve_app(cfg: Any, argv: list[str], held: HeldRecords,
              services: Sequence[Any] = ()) -> NoReturn:
    """Run one WSGI program as this process's master; exit with its code.
    `services` (the CLI's metrics server, statsd sender) run in its loop."""
    try:
        app_uri = cfg.require_app()
        _ = cfg.worker_mode  # ASGI worker classes are refused here, with one line
    except ConfigError as exc:
        held.print()
        fail(str(exc), 1)
    start_cwd = os.getcwd()
    prepare_process(cfg)
    try:
        log = setup_logging(cfg)
    except ConfigError as exc:  # a logging setting that cannot work
        fail(str(exc), 1)
    held.replay(log)
    settings = cfg.settings
    for name in cfg.ignored_settings_in_use():
        log.warning("Setting %r is ignored (not built in fastwsgi): %s", name,
                    settings[name].lost)
    _check_tls(cfg, log)

    from fastwsgi.loader import load_app
    app = None
    if cfg.check_config or cfg.preload_app:
        try:
            app = load_app(app_uri, chdir=None, pythonpath=cfg.python_paths)
        except AppImportError as exc:
            log.debug("%s", getattr(exc, "traceback_text", ""))
            fail(f"Error: {exc}", exc.exit_status)
        if cfg.check_config:
            sys.exit(0)
    else:
        from fastwsgi.loader import prepare_sys_path
        prepare_sys_path(None, cfg.python_paths)

    # A new master started by USR2 stays the old one's child (the old one is
    # already detached), so that it knows when to take over the pidfile.
    if cfg.daemon and not os.environ.get("FASTWSGI_MASTER_PID"):
        from fastwsgi.system.daemon import daemonize
        daemonize()

    from fastwsgi.arbiter.master import Master
    try:
        master = Master(cfg, log, app=app, argv=argv, cwd=start_cwd)
        master.services.extend(services)
        code = master.run()
    except RuntimeError as exc:  # a live pidfile, and the like
        fail(f"Error: {exc}", 1)
    except OSError as exc:  # bind failures
        fail(f"Error: {exc}", 1)
    sys.exit(code)

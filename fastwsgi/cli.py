"""The `fastwsgi` command: gunicorn's command line, config files and exit codes."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, NoReturn

from fastwsgi.config import Config, load_config, release_parsing_modules
from fastwsgi.errors import AppImportError, ConfigError
from fastwsgi.system.process import prepare_process

LOG_FORMAT = "[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s"
LOG_DATEFMT = "%Y-%m-%d %H:%M:%S %z"


def _fail(message: str, code: int) -> NoReturn:
    print(message, file=sys.stderr)
    sys.exit(code)


def setup_logging(cfg: Config) -> Any:
    try:
        from fastwsgi.logs import setup_logging
    except ImportError:
        logging.basicConfig(level=str(cfg.loglevel).upper(), format=LOG_FORMAT,
                            datefmt=LOG_DATEFMT)
        return logging.getLogger("fastwsgi.error")
    return setup_logging(cfg)


class _Held(logging.Handler):
    """Keeps what is logged while the configuration is read (its warnings
    about unknown names), to be logged once the configured logs exist."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def replay(self, log: Any) -> None:
        for record in self.records:
            log.log(record.levelno, "%s", record.getMessage())

    def print(self) -> None:
        for record in self.records:
            print(f"{record.levelname.capitalize()}: {record.getMessage()}", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    held = _Held()
    config_log = logging.getLogger("fastwsgi.error")
    config_log.addHandler(held)
    preloaded = set(sys.modules)
    try:
        cfg = load_config(argv)
    except ConfigError as exc:
        held.print()
        _fail(str(exc), 1)
    finally:
        config_log.removeHandler(held)
    release_parsing_modules(preloaded)  # before the master's imports: see there
    if cfg.supervisor_config:
        _fail(f"Error: {cfg.supervisor_config}: supervisord-style configuration files are "
              "not supported by this version of fastwsgi", 1)
    if cfg.print_config:
        held.print()
        print(cfg.format_settings())
        sys.exit(0)
    try:
        app_uri = cfg.require_app()
        _ = cfg.worker_mode  # ASGI worker classes are refused here, with one line
    except ConfigError as exc:
        held.print()
        _fail(str(exc), 1)
    start_cwd = os.getcwd()
    prepare_process(cfg)
    try:
        log = setup_logging(cfg)
    except ConfigError as exc:  # a logging setting that cannot work
        _fail(str(exc), 1)
    held.replay(log)
    for name in cfg.ignored_settings_in_use():
        log.warning("Setting %r is not supported by fastwsgi and is ignored", name)

    from fastwsgi.loader import load_app
    app = None
    if cfg.check_config or cfg.preload_app:
        try:
            app = load_app(app_uri, chdir=None, pythonpath=cfg.python_paths)
        except AppImportError as exc:
            log.debug("%s", getattr(exc, "traceback_text", ""))
            _fail(f"Error: {exc}", exc.exit_status)
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
        code = Master(cfg, log, app=app, argv=argv, cwd=start_cwd).run()
    except RuntimeError as exc:  # a live pidfile, and the like
        _fail(f"Error: {exc}", 1)
    except OSError as exc:  # bind failures
        _fail(f"Error: {exc}", 1)
    sys.exit(code)


if __name__ == "__main__":
    main()

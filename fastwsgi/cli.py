"""The `fastwsgi` command: read the configuration, pick the mode, hand over.

gunicorn's command line, config files and exit codes. This module only parses
and decides; each mode lives in its package: ``app`` (one WSGI program, the
gunicorn case) in ``fastwsgi.arbiter.standalone``; ``supervisor`` (a
supervisord.conf, or ``fastwsgi supervise``) in ``fastwsgi.supervisor.main``.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, NoReturn

from fastwsgi.config import load_config, release_parsing_modules
from fastwsgi.errors import ConfigError
from fastwsgi.logs import HeldRecords

# The modes pick_mode() chooses between.
MODE_APP = "app"  # a WSGI app from the command line or a Python config
MODE_SUPERVISOR = "supervisor"  # -c site.conf: a supervisord.conf file
MODE_PRINT_CONFIG = "print_config"  # --print-config


def _fail(message: str, code: int) -> NoReturn:
    print(message, file=sys.stderr)
    sys.exit(code)


def pick_mode(cfg: Any) -> str:
    """What this command line asks for (one of the MODE_ names)."""
    if cfg.supervisor_config:
        return MODE_SUPERVISOR
    if cfg.print_config:
        return MODE_PRINT_CONFIG
    return MODE_APP


def control_factory() -> Any:
    """The control server's maker (supervisor's XML-RPC), if that package has one."""
    import importlib
    try:  # looked up by name: the control package may be older than this entry point
        control = importlib.import_module("fastwsgi.control")
    except ImportError:
        return None
    return getattr(control, "make_control_server", None)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["ctl"]:
        from fastwsgi.control.ctl import main as ctl
        sys.exit(ctl(argv[1:]))
    if argv[:1] == ["supervise"]:
        from fastwsgi.supervisor.main import supervise
        sys.exit(supervise(argv[1:], control_factory()))
    held = HeldRecords()
    config_log = logging.getLogger("fastwsgi.error")
    config_log.addHandler(held)
    preloaded = set(sys.modules)
    try:
        cfg = load_config(argv)
    except ConfigError as exc:
        held.print()
        _fail(str(exc), getattr(exc, "exit_status", 1))
    finally:
        config_log.removeHandler(held)
    release_parsing_modules(preloaded)  # before the master's imports: see there
    mode = pick_mode(cfg)
    if mode == MODE_SUPERVISOR:
        from fastwsgi.supervisor.main import run_supervisor
        sys.exit(run_supervisor(str(cfg.supervisor_config), control_factory()))
    if mode == MODE_PRINT_CONFIG:
        held.print()
        print(cfg.format_settings())
        sys.exit(0)
    from fastwsgi.arbiter.standalone import serve_app
    serve_app(cfg, argv, held, _monitoring(cfg))


def _monitoring(cfg: Any) -> list[Any]:
    """The master's metrics server and statsd sender, when asked for; the
    control package is imported only then (the master's modules are in
    every worker's memory)."""
    if cfg.metrics_auth and not cfg.metrics_bind:
        _fail("Error: metrics_auth is set but metrics_bind is not: nothing would use it", 1)
    if not (cfg.metrics_bind or cfg.statsd_host):
        return []
    from fastwsgi.control.monitor import MonitorService
    return [MonitorService(cfg)]


if __name__ == "__main__":
    main()

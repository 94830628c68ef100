"""The `fastwsgi` command: read the configuration, pick the mode, hand over.

gunicorn's command line, config files and exit codes. This module only parses
and decides; each mode lives in its package: ``app`` (one WSGI program, the
gunicorn case) in ``fastwsgi.arbiter.standalone``; ``supervisor`` (a
supervisord.conf) is refused until supervisor mode exists.
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


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    held = HeldRecords()
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
    mode = pick_mode(cfg)
    if mode == MODE_SUPERVISOR:
        _fail(f"Error: {cfg.supervisor_config}: supervisord-style configuration files are "
              "not supported by this version of fastwsgi", 1)
    if mode == MODE_PRINT_CONFIG:
        held.print()
        print(cfg.format_settings())
        sys.exit(0)
    from fastwsgi.arbiter.standalone import serve_app
    serve_app(cfg, argv, held)


if __name__ == "__main__":
    main()

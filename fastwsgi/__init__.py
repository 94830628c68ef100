"""fastwsgi: a C/Cython pre-fork WSGI server, a faster drop-in for gunicorn.

Packages by role, imports pointing down (README's "Package layout"; the rule
table is tests/unit/test_layout.py): ``cli`` -> ``supervisor``/``control``/
``arbiter`` -> ``workers`` -> ``engine``; any of them may use ``config``,
``system``, ``logs``, ``errors``, ``loader``; ``control`` imports
``supervisor``, never the reverse.  This module is ``fastwsgi.run()``: it may
use ``workers``, ``engine`` and the base.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastwsgi._version import __version__

__all__ = ["__version__", "run"]


def run(app: Callable[..., Any], bind: str = "127.0.0.1:8000", threads: int = 1,
        **settings: Any) -> None:
    """Serve `app` in this process until SIGTERM/SIGINT.

    `settings` are the engine's (keepalive, limit_request_line, ...: the
    settings marked ``engine`` in the registry, fastwsgi.engine.settings),
    validated as the command line's are; a wrong name or value raises
    before anything is bound."""
    from fastwsgi.system.listeners import create_listener
    from fastwsgi.workers.native import EngineSettings, serve

    engine = EngineSettings(threads=threads, **settings)
    listener = create_listener(bind)
    try:
        serve(app, [listener], engine)
    finally:
        listener.close()

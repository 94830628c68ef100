"""fastwsgi: a C/Cython pre-fork WSGI server, a faster drop-in for gunicorn."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastwsgi._version import __version__

__all__ = ["__version__", "run"]


def run(app: Callable[..., Any], bind: str = "127.0.0.1:8000", threads: int = 1,
        **settings: Any) -> None:
    """Serve `app` in this process until SIGTERM/SIGINT.

    `settings` are the engine's (keepalive, limit_request_line, ...; see
    fastwsgi.workers.native.EngineSettings)."""
    from fastwsgi.system.listeners import create_listener
    from fastwsgi.workers.native import EngineSettings, serve

    settings["threads"] = threads
    listener = create_listener(bind)
    try:
        serve(app, [listener], EngineSettings(**settings))
    finally:
        listener.close()

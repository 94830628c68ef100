"""The native worker: hands the listeners and the app to the C engine.

Signals (gunicorn's meaning for a worker): TERM stops gracefully (no new
connections, requests under way finish), INT and QUIT stop at once."""

from __future__ import annotations

import signal
import socket
from collections.abc import Callable
from typing import Any

from fastwsgi import _core
from fastwsgi.engine.settings import EngineSettings


def make_server(app: Callable[..., Any], listeners: list[socket.socket],
                settings: EngineSettings, **hooks: Any) -> Any:
    return _core.Server(app, listeners, settings, **hooks)


def serve(app: Callable[..., Any], listeners: list[socket.socket],
          settings: EngineSettings, **hooks: Any) -> None:
    """Serve until SIGTERM (graceful) or SIGINT/SIGQUIT (immediate)."""
    server = make_server(app, listeners, settings, **hooks)

    def graceful(signum: int, frame: Any) -> None:
        server.stop(graceful=True)

    def immediate(signum: int, frame: Any) -> None:
        server.stop(graceful=False)

    signal.signal(signal.SIGTERM, graceful)
    signal.signal(signal.SIGINT, immediate)
    signal.signal(signal.SIGQUIT, immediate)
    server.serve()


__all__ = ["EngineSettings", "make_server", "serve"]

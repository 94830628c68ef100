"""The native worker: hands the listeners and the app to the C engine.

Signals (gunicorn's meaning for a worker): TERM stops gracefully (no new
connections, requests under way finish), INT and QUIT stop at once."""

from __future__ import annotations

import signal
import socket
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple

from fastwsgi import _core


class EngineSettings(NamedTuple):
    """What the engine needs to know; built from the config by the caller.

    A NamedTuple (so its defaults are immutable) rather than a dataclass:
    the master imports this module, and dataclasses (~110 kB) would then
    stay in every worker's memory."""

    keepalive: float = 75.0
    header_timeout: float = 30.0
    limit_request_line: int = 4094
    limit_request_fields: int = 100
    limit_request_field_size: int = 8190
    limit_request_body: int = 0
    spool_threshold: int = 1 << 20
    max_requests: int = 0
    worker_connections: int = 1000
    graceful_timeout: float = 30.0
    script_name: str = ""
    multiprocess: bool = False
    threads: int = 1
    secure_scheme_headers: dict[str, str] | None = None
    forwarded_allow_ips: Sequence[str] = ("127.0.0.1", "::1")
    forwarder_headers: Sequence[str] = ("SCRIPT_NAME", "PATH_INFO")
    proxy_protocol: str = "off"
    proxy_allow_ips: Sequence[str] = ("127.0.0.1", "::1")
    extra: Mapping[str, Any] = MappingProxyType({})


def make_server(app: Callable[..., Any], listeners: list[socket.socket],
                settings: EngineSettings, **hooks: Any) -> Any:
    s = settings
    return _core.Server(
        app, listeners, keepalive=s.keepalive, header_timeout=s.header_timeout,
        limit_request_line=s.limit_request_line, limit_request_fields=s.limit_request_fields,
        limit_request_field_size=s.limit_request_field_size,
        limit_request_body=s.limit_request_body, spool_threshold=s.spool_threshold,
        max_requests=s.max_requests, worker_connections=s.worker_connections,
        graceful_timeout=s.graceful_timeout, script_name=s.script_name,
        multiprocess=s.multiprocess, threads=s.threads,
        secure_scheme_headers=s.secure_scheme_headers, forwarded_allow_ips=s.forwarded_allow_ips,
        forwarder_headers=s.forwarder_headers, proxy_protocol=s.proxy_protocol,
        proxy_allow_ips=s.proxy_allow_ips, **hooks)


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

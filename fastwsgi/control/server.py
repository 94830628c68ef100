"""The control server of supervisor mode: one HTTP server per
[unix_http_server] / [inet_http_server] section, each with its own
credentials, serving /RPC2, /logtail and /mainlogtail, and the monitoring
routes (/, /metrics, /status.json, /static/, /programs/: control.supervised)
behind the same credentials.

``make_control_server(supervisor)`` is the factory the supervisor runner
calls; other parts (metrics, the status page) add routes with ``route()``
before ``start()``.
"""

from __future__ import annotations

import contextlib
import os
import socket
from typing import Any

from fastwsgi.control.auth import make_auth
from fastwsgi.control.http import Handler, HTTPServer, Limits
from fastwsgi.control.listen import bind_inet, bind_unix
from fastwsgi.control.logtail import logtail_handler, mainlogtail_handler
from fastwsgi.control.rpcinterface import make_namespaces
from fastwsgi.control.supervised import ControlMonitoring
from fastwsgi.control.xmlrpc import XMLRPCHandler


class ControlServer:
    def __init__(self, supervisord: Any, server_configs: list[dict[str, Any]],
                 limits: Limits | None = None) -> None:
        self.supervisord = supervisord
        self.log = supervisord.options.logger
        rpc = XMLRPCHandler(make_namespaces(supervisord), self.log)
        logtail = logtail_handler(supervisord)
        mainlogtail = mainlogtail_handler(supervisord)
        self.servers: list[tuple[dict[str, Any], HTTPServer]] = []
        for config in server_configs:
            server = HTTPServer(auth=make_auth(config.get("username"), config.get("password")),
                                limits=limits, log=self.log)
            server.route("/RPC2", rpc, prefix=True, methods=("POST",))
            server.route("/logtail", logtail, prefix=True)
            server.route("/mainlogtail", mainlogtail, prefix=True)
            self.servers.append((config, server))
        self._bound: list[tuple[dict[str, Any], HTTPServer, socket.socket, str]] = []
        self.monitoring: ControlMonitoring | None = None
        if self.servers:
            self.monitoring = ControlMonitoring(supervisord, [s for _, s in self.servers])

    def route(self, path: str, handler: Handler, **options: Any) -> None:
        """Serve ``path`` on every listener (HTTPServer.route's options)."""
        for _, server in self.servers:
            server.route(path, handler, **options)

    def bind(self) -> None:
        """Bind every listener now (a unix socket gets its chmod/chown before it
        accepts), as supervisord opens its HTTP servers before it daemonizes or
        starts a program: a socket in use is one line on the terminal, and
        nothing starts. Raises OSError with a message naming the socket."""
        if self._bound:
            return
        bound: list[tuple[dict[str, Any], HTTPServer, socket.socket, str]] = []
        try:
            for config, server in self.servers:
                sock, where = self._bind(config)
                bound.append((config, server, sock, where))
        except OSError:
            for config, _, sock, _ in bound:
                sock.close()
                if config.get("family") == socket.AF_UNIX:
                    with contextlib.suppress(OSError):
                        os.unlink(config["file"])
            raise
        self._bound = bound

    async def start(self) -> None:
        """Serve every listener (bound first if bind() was not called)."""
        self.bind()
        for config, server, sock, where in self._bound:
            unix = config.get("family") == socket.AF_UNIX
            await server.serve_socket(sock, unix_path=config["file"] if unix else None)
            if server.auth is None:
                self.log.warning("Server %r running without any HTTP authentication checking",
                                 config.get("section", where))
            self.log.info("control server listening on %s", where)
        if self.monitoring is not None:
            self.monitoring.start()

    @staticmethod
    def _bind(config: dict[str, Any]) -> tuple[socket.socket, str]:
        if config.get("family") == socket.AF_UNIX:
            path = config["file"]
            chown = config.get("chown")
            if chown is not None and tuple(chown) == (-1, -1):
                chown = None
            try:
                return bind_unix(path, config.get("chmod", 0o700), chown), f"unix://{path}"
            except PermissionError as exc:
                raise OSError(exc.errno, f"cannot create the control socket {path} "
                                         f"(chmod {config.get('chmod', 0o700):o}, chown "
                                         f"{chown}): {exc.strerror}") from None
        sock = bind_inet(config.get("host") or "", int(config["port"]))
        host, port = sock.getsockname()[:2]
        return sock, f"http://{host}:{port}"

    async def close(self, grace: float = 1.0) -> None:
        """Stop listening; answers being written get ``grace`` seconds."""
        if self.monitoring is not None:
            self.monitoring.close()
        for _, server in self.servers:
            await server.shutdown(grace)


def make_control_server(supervisord: Any) -> ControlServer:
    """The control server of every http server section (none: it serves nothing)."""
    configs = list(getattr(supervisord.options, "server_configs", []) or [])
    return ControlServer(supervisord, configs)

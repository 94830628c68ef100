"""What ``fastwsgi ctl`` needs to reach a server: its options (the
[supervisorctl] section, then the command line), an XML-RPC proxy over unix://
or http:// with basic auth, and the follow of a /logtail stream.

The section is read as supervisorctl reads it: ``serverurl`` (default
http://localhost:9001, ``%(here)s`` expanded, a unix:// path made absolute),
``username``, ``password``, ``prompt`` (default "supervisor"), ``history_file``,
with ``%(ENV_X)s`` expansions.
"""

from __future__ import annotations

import base64
import configparser
import http.client
import os
import socket
import sys
import xmlrpc.client
from collections.abc import Iterator
from typing import Any

DEFAULT_SERVERURL = "http://localhost:9001"
# supervisord's search order, with the working directory first (DESIGN §4).
SEARCH_PATHS = ("supervisord.conf", "etc/supervisord.conf", "/etc/supervisord.conf",
                "/etc/supervisor/supervisord.conf")


class ClientOptions:
    def __init__(self) -> None:
        self.configfile: str | None = None
        self.serverurl = DEFAULT_SERVERURL
        self.username: str | None = None
        self.password: str | None = None
        self.prompt = "supervisor"
        self.history_file: str | None = None
        self.interactive = False
        self.args: list[str] = []

    def find_config(self) -> str | None:
        for path in SEARCH_PATHS:
            if os.path.exists(path):
                return path
        return None

    def read_config(self, path: str) -> None:
        """Apply the [supervisorctl] section of ``path``; ValueError if it cannot."""
        if not os.path.exists(path):
            raise ValueError(f"could not find config file {path}")
        here = os.path.dirname(os.path.abspath(path))
        defaults = {f"ENV_{key}": value.replace("%", "%%") for key, value in os.environ.items()}
        defaults["here"] = here.replace("%", "%%")
        parser = configparser.ConfigParser(defaults=defaults, interpolation=configparser
                                           .BasicInterpolation(), strict=False,
                                           inline_comment_prefixes=(";", "#"))
        try:
            with open(path, encoding="utf-8") as f:
                parser.read_file(f)
        except (OSError, configparser.Error) as exc:
            raise ValueError(f"could not read config file {path}: {exc}") from None
        if not parser.has_section("supervisorctl"):
            raise ValueError(".ini file does not include supervisorctl section")
        try:
            section = dict(parser.items("supervisorctl"))
        except configparser.Error as exc:
            raise ValueError(str(exc)) from None
        self.configfile = path
        serverurl = section.get("serverurl", DEFAULT_SERVERURL)
        if serverurl.startswith("unix://"):
            serverurl = "unix://" + os.path.abspath(os.path.expanduser(serverurl[7:]))
        self.serverurl = serverurl
        self.username = section.get("username", self.username)
        self.password = section.get("password", self.password)
        self.prompt = section.get("prompt", self.prompt)
        history = section.get("history_file")
        self.history_file = os.path.abspath(os.path.expanduser(history)) if history else None

    def proxy(self) -> Any:
        return xmlrpc.client.ServerProxy(
            "http://127.0.0.1",  # the transport goes where serverurl says
            transport=ControlTransport(self.serverurl, self.username, self.password))


def _connection(serverurl: str, timeout: float | None = None) -> http.client.HTTPConnection:
    if serverurl.startswith("unix://"):
        return UnixHTTPConnection(serverurl[7:], timeout)
    if serverurl.startswith("http://"):
        from urllib.parse import urlsplit
        parts = urlsplit(serverurl)
        return http.client.HTTPConnection(parts.hostname or "localhost", parts.port or 80,
                                          timeout=timeout)
    raise ValueError(f"Unknown protocol for serverurl {serverurl}")


def auth_header(username: str | None, password: str | None) -> dict[str, str]:
    if username is None or password is None:
        return {}
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float | None = None) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            if self.timeout is not None:
                sock.settimeout(self.timeout)
            sock.connect(self.socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class ControlTransport(xmlrpc.client.Transport):
    """One persistent connection to serverurl, basic auth on every request."""

    def __init__(self, serverurl: str, username: str | None, password: str | None) -> None:
        super().__init__()
        self.serverurl = serverurl
        self.headers = {"Content-Type": "text/xml", "Accept": "text/xml",
                        **auth_header(username, password)}
        self.connection: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def request(self, host: Any, handler: str, request_body: Any,
                verbose: bool = False) -> Any:
        if self.connection is None:
            self.connection = _connection(self.serverurl)
        self.connection.request("POST", handler, request_body, self.headers)
        response = self.connection.getresponse()
        data = response.read()
        if response.status != 200:
            self.close()
            raise xmlrpc.client.ProtocolError(f"{host}{handler}", response.status,
                                              response.reason, {})
        parser, unmarshaller = self.getparser()
        parser.feed(data)
        parser.close()
        return unmarshaller.close()


def follow(options: ClientOptions, path: str) -> Iterator[bytes]:
    """The bytes of a streamed GET (``/logtail/...``), as they arrive.
    Raises ``xmlrpc.client.ProtocolError`` on a status other than 200."""
    conn = _connection(options.serverurl)
    try:
        conn.request("GET", path, headers=auth_header(options.username, options.password))
        response = conn.getresponse()
        if response.status != 200:
            raise xmlrpc.client.ProtocolError(path, response.status, response.reason, {})
        while True:
            data = response.read1(65536)
            if not data:
                return
            yield data
    finally:
        conn.close()


def write_out(data: bytes) -> None:
    sys.stdout.buffer.write(data)
    sys.stdout.flush()

"""Listening sockets from gunicorn-style bind addresses.

Forms: ``HOST:PORT``, ``HOST`` (port 8000), ``[IPv6]:PORT``, ``unix:PATH`` and
``fd://N`` (an inherited, already listening socket, as systemd or a test
harness hands over)."""

from __future__ import annotations

import os
import socket
import stat

DEFAULT_PORT = 8000


def parse_address(bind: str) -> tuple[int, object]:
    """Return (family, address) for a bind string; fd:// gives (-1, fd)."""
    if bind.startswith("unix:"):
        return socket.AF_UNIX, bind[5:]
    if bind.startswith("fd://"):
        try:
            return -1, int(bind[5:])
        except ValueError:
            raise ValueError(f"invalid file descriptor in bind {bind!r}") from None
    if bind.startswith("["):
        host, _, rest = bind[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
        return socket.AF_INET6, (host, _port(port, bind))
    host, sep, port = bind.rpartition(":")
    if not sep:
        host, port = bind, ""
    if ":" in host:
        raise ValueError(f"IPv6 addresses must be in brackets: {bind!r}")
    return socket.AF_INET, (host or "0.0.0.0", _port(port, bind))


def _port(text: str, bind: str) -> int:
    if not text:
        return DEFAULT_PORT
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise ValueError(f"invalid port in bind {bind!r}")
    return int(text)


def create_listener(bind: str, *, backlog: int = 2048, reuse_port: bool = False,
                    umask: int | None = None) -> socket.socket:
    """Bind and listen (or adopt an inherited socket for fd://N)."""
    family, address = parse_address(bind)
    if family == -1:
        assert isinstance(address, int)
        sock = socket.socket(fileno=address)
        sock.set_inheritable(True)
        return sock
    if family == socket.AF_UNIX:
        assert isinstance(address, str)
        _remove_stale_socket(address)
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if family != socket.AF_UNIX:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if reuse_port:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        old = os.umask(umask) if umask is not None else None
        try:
            sock.bind(address)  # type: ignore[arg-type]
        finally:
            if old is not None:
                os.umask(old)
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _remove_stale_socket(path: str) -> None:
    """A unix socket file left by a previous run would make bind() fail."""
    try:
        if stat.S_ISSOCK(os.stat(path).st_mode):
            os.unlink(path)
    except FileNotFoundError:
        pass


def describe(sock: socket.socket, tls: bool = False) -> str:
    """The address as gunicorn's "Listening at:" line shows it (https with TLS)."""
    name = sock.getsockname()
    if sock.family == socket.AF_UNIX:
        return f"unix:{name}"
    scheme = "https" if tls else "http"
    if sock.family == socket.AF_INET6:
        return f"{scheme}://[{name[0]}]:{name[1]}"
    return f"{scheme}://{name[0]}:{name[1]}"

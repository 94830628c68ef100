"""Listening sockets of the control server: a unix socket with its mode and
owner set before anyone can connect, and a TCP port.

A unix socket is bound under a temporary name, given its chmod and chown, and
only then hard-linked to the configured path (supervisord's trick): no client
can reach the configured path while it still has the default permissions. A
path that exists already is a stale socket (removed) unless something answers
on it, which is refused.
"""

from __future__ import annotations

import errno
import os
import socket

BACKLOG = 128

IN_USE = ("Another program is already listening on {where}, which the control server is "
          "configured to use; shut it down first")


def _answers(path: str) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.settimeout(1.0)
        probe.connect(path)
    except OSError:
        return False
    finally:
        probe.close()
    return True


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def bind_unix(path: str, chmod: int = 0o700, chown: tuple[int, int] | None = None,
              backlog: int = BACKLOG) -> socket.socket:
    """A listening unix socket at ``path`` with mode ``chmod`` and owner ``chown``
    (uid, gid; -1 keeps one). Raises OSError (EADDRINUSE when a live server
    holds the path)."""
    temp = f"{path}.{os.getpid()}"
    _remove(temp)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(temp)
        os.chmod(temp, chmod)
        if chown is not None:
            os.chown(temp, chown[0], chown[1])
        try:
            os.link(temp, path)
        except FileExistsError:
            if _answers(path):
                raise OSError(errno.EADDRINUSE, IN_USE.format(where=path)) from None
            _remove(path)  # a stale socket left by a process that died
            os.link(temp, path)
        sock.listen(backlog)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    finally:
        _remove(temp)
    return sock


def bind_inet(host: str, port: int, backlog: int = BACKLOG) -> socket.socket:
    """A listening TCP socket; ``host`` "" or "*" means every IPv4 address."""
    if host in ("", "*"):
        host = "0.0.0.0"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise OSError(errno.EADDRINUSE,
                              IN_USE.format(where=f"{host}:{port}")) from None
            raise
        sock.listen(backlog)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock

"""systemd integration: socket activation (LISTEN_FDS) and sd_notify."""

from __future__ import annotations

import os
import socket

SD_LISTEN_FDS_START = 3


def listen_fds(unset_environment: bool = True) -> int:
    """How many sockets systemd passed us (starting at fd 3), per sd_listen_fds(3)."""
    fds = int(os.environ.get("LISTEN_FDS", "0") or 0)
    pid = os.environ.get("LISTEN_PID")
    if pid is not None and pid.isdigit() and int(pid) != os.getpid():
        fds = 0
    if unset_environment:
        os.environ.pop("LISTEN_PID", None)
        os.environ.pop("LISTEN_FDS", None)
    return fds


def sd_notify(state: str) -> bool:
    """Send a state line ("READY=1", "RELOADING=1", "MAINPID=N") to systemd."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
            s.connect(address)
            s.sendall(state.encode())
    except OSError:
        return False
    return True

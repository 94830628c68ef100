"""Names, wait statuses and the words supervisor shows for a process.

`make_namespec`/`split_namespec` are how supervisorctl names a process
(``group:name``, or ``name`` when the group has the program's name);
`describe` is the ``description`` field of getProcessInfo, word for word
supervisor's (rpcinterface._interpretProcessInfo).
"""

from __future__ import annotations

import datetime
import os
import signal
import time
from typing import Any


def make_namespec(group_name: str, process_name: str) -> str:
    if group_name == process_name:
        return process_name
    return f"{group_name}:{process_name}"


def split_namespec(namespec: str) -> tuple[str, str | None]:
    """``g:p`` -> (g, p); ``g:*`` or ``g:`` -> (g, None); ``p`` -> (p, p)."""
    group_name, sep, process_name = namespec.partition(":")
    if not sep:
        return namespec, namespec
    return group_name, (process_name if process_name and process_name != "*" else None)


def signame(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"signal {sig}"


def decode_wait_status(status: int) -> tuple[int, str]:
    """A waitpid() status -> (exit status, or -1 if killed by a signal; the words for it)."""
    if os.WIFEXITED(status):
        code = os.WEXITSTATUS(status) & 0xFFFF
        return code, f"exit status {code}"
    if os.WIFSIGNALED(status):
        msg = f"terminated by {signame(os.WTERMSIG(status))}"
        if os.WCOREDUMP(status):
            msg += " (core dumped)"
        return -1, msg
    return -1, f"unknown termination cause 0x{status:04x}"


RUNNING, BACKOFF, FATAL, STOPPED, EXITED = 20, 30, 200, 0, 100  # states.py's codes


def describe(info: dict[str, Any]) -> str:
    """The description of a getProcessInfo dict (state, start, stop, now, pid, spawnerr, name)."""
    state = info["state"]
    if state == RUNNING:
        start = datetime.datetime(*time.gmtime(info["start"])[:6])
        now = datetime.datetime(*time.gmtime(info["now"])[:6])
        uptime = max(now - start, datetime.timedelta(0))
        return f"pid {info['pid']}, uptime {uptime}"
    if state in (FATAL, BACKOFF):
        return info["spawnerr"] or f'unknown error (try "tail {info["name"]}")'
    if state in (STOPPED, EXITED):
        if info["start"]:
            stop = datetime.datetime(*time.localtime(info["stop"])[:7])
            return stop.strftime("%b %d %I:%M %p")
        return "Not started"
    return ""


def read_file(path: str, offset: int, length: int) -> bytes:
    """supervisor's readFile: a negative offset reads from the end (length must be 0)."""
    try:
        with open(path, "rb") as f:
            if offset < 0:
                if length:
                    raise ValueError("BAD_ARGUMENTS")
                size = f.seek(0, 2)
                f.seek(max(0, size + offset))
                return f.read(-offset)
            if length < 0:
                raise ValueError("BAD_ARGUMENTS")
            f.seek(offset)
            return f.read(length) if length else f.read()
    except OSError:
        raise ValueError("FAILED") from None


def tail_file(path: str, offset: int, length: int) -> tuple[bytes, int, bool]:
    """supervisor's tailFile: (data, new offset, overflow)."""
    try:
        with open(path, "rb") as f:
            size = f.seek(0, 2)
            overflow = False
            if size > offset + length:
                overflow = True
                offset = size - 1
            if offset + length > size:
                if offset > size - 1:
                    length = 0
                offset = size - length
            offset, length = max(offset, 0), max(length, 0)
            data = b""
            if length:
                f.seek(offset)
                data = f.read(length)
            return data, size, overflow
    except OSError:
        return b"", offset, False

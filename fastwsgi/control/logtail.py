"""``/logtail/NAME[/stdout|stderr]`` and ``/mainlogtail``: a log followed as it
grows, the stream ``supervisorctl tail -f`` and ``maintail -f`` read.

As supervisord's tail_f_producer: start with the last 1 KiB, poll the file
every 0.1 s, reopen it from the start when it was rotated (a new inode at the
path), and say ``==> File truncated <==`` when it shrank. Each poll that finds
nothing yields an empty tick, so the server notices a client that left.
"""

from __future__ import annotations

import asyncio
import email.utils
import os
from collections.abc import AsyncIterator
from typing import Any

from fastwsgi.control.http import Handler, Request, Response, error_response
from fastwsgi.control.rpc_logs import is_regular
from fastwsgi.supervisor.names import split_namespec

HEAD = 1024
POLL = 0.1
CHUNK = 65536
TRUNCATED = b"==> File truncated <==\n"


class _Follower:
    """The open log and how far it was sent; reopened when the path gets a new file."""

    def __init__(self, path: str, head: int) -> None:
        self.path = path
        self.file = open(path, "rb")  # noqa: SIM115 - held across polls, closed by close()
        status = os.fstat(self.file.fileno())
        self.ino = status.st_ino
        self.pos = status.st_size - head if status.st_size >= head else 0

    def read(self) -> bytes | None:
        """New bytes, TRUNCATED, or None when there is nothing new."""
        try:
            if os.stat(self.path).st_ino != self.ino:  # rotated: follow the new file
                self.file.close()
                self.file = open(self.path, "rb")  # noqa: SIM115
                self.ino, self.pos = os.fstat(self.file.fileno()).st_ino, 0
        except OSError:
            pass  # unlinked for now: keep reading the old file
        size = os.fstat(self.file.fileno()).st_size
        if size < self.pos:
            self.pos = 0
            return TRUNCATED
        if size == self.pos:
            return None
        self.file.seek(self.pos)
        data = self.file.read(min(size - self.pos, CHUNK))
        self.pos += len(data)
        return data

    def close(self) -> None:
        self.file.close()


async def follow(path: str, head: int = HEAD, poll: float = POLL) -> AsyncIterator[bytes]:
    follower = _Follower(path, head)
    try:
        while True:
            data = follower.read()
            if data is not None:
                yield data
                continue
            yield b""  # a tick: the server checks that the client is still there
            await asyncio.sleep(poll)
    finally:
        follower.close()


def _stream_of(path: str) -> Response:
    headers = [("Last-Modified", email.utils.formatdate(os.stat(path).st_mtime, usegmt=True)),
               ("Content-Type", "text/plain;charset=utf-8"),
               # tell a reverse proxy (nginx) not to buffer the stream
               ("X-Accel-Buffering", "no")]
    return Response(200, headers=headers, stream=follow(path))


def logtail_handler(supervisord: Any) -> Handler:
    async def logtail(request: Request) -> Response:
        if request.method != "GET":
            return error_response(400)
        _, _, spec = request.path.lstrip("/").partition("/")
        name, sep, channel = spec.partition("/")
        if not sep:
            channel = "stdout"
        group_name, process_name = split_namespec(name)
        group = supervisord.process_groups.get(group_name)
        process = None
        if group is not None:
            process = group.processes.get(process_name) \
                or getattr(group, "wsgi", {}).get(process_name)  # an in-process WSGI program
        if process is None:
            return error_response(404)
        path = getattr(process.config, f"{channel}_logfile", None)
        # No log file yet (never started, or NONE) is a 404, as supervisord.
        if not isinstance(path, str) or not is_regular(path):
            return error_response(404)
        return _stream_of(path)
    return logtail


def mainlogtail_handler(supervisord: Any) -> Handler:
    async def mainlogtail(request: Request) -> Response:
        if request.method != "GET":
            return error_response(400)
        path = supervisord.options.logfile
        if not isinstance(path, str) or not is_regular(path):
            return error_response(404)
        return _stream_of(path)
    return mainlogtail

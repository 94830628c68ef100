"""A child's log target: a rotated file, or a stream (/dev/stdout, a pipe, a tty).

Regular files rotate as supervisor's RotatingFileHandler does (at maxbytes:
``x.log`` -> ``x.log.1`` ... up to ``backups``; backups=0 truncates).  Any
other target (a pipe, a tty, /dev/stdout in a container) is written without
rotation and without a seek, so it never fails with "Illegal seek".

Writes never block the master: a stream is opened as a file description of
our own and set non-blocking (on Linux, opening /dev/stdout opens the pipe
anew, so the flag does not reach the process that shares our fd 1); what the
reader has not taken yet waits in a bounded buffer, flushed when the target
is writable again, and the oldest bytes are dropped past BACKLOG_LIMIT.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable

BACKLOG_LIMIT = 4 * 1024 * 1024


class LogFile:
    def __init__(self, path: str, maxbytes: int = 0, backups: int = 0) -> None:
        self.path = path
        self.maxbytes = maxbytes
        self.backups = backups
        self.fd = -1
        self.size = 0
        self.is_stream = False
        self.can_splice = False
        self.rotating = False
        self.backlog = bytearray()
        self.dropped = 0
        # set by the owner: called with True when a backlog starts (watch for
        # writability), False when it has drained.
        self.on_backlog: Callable[[bool], None] | None = None
        self.open()

    def open(self) -> None:
        # Not O_APPEND: splice(2) refuses an append-mode target; we are the only
        # writer of a child's log, so writing at the end we seek to is the same.
        flags = os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC
        fd = os.open(self.path, flags | os.O_NONBLOCK, 0o644)
        st = os.fstat(fd)
        self.is_stream = not stat.S_ISREG(st.st_mode)
        self.rotating = not self.is_stream and self.maxbytes > 0
        self.size = 0
        if not self.is_stream:
            os.set_blocking(fd, True)  # regular files never answer EAGAIN; keep it plain
            self.size = os.lseek(fd, 0, os.SEEK_END)
        self.fd = fd
        self.can_splice = not self.is_stream

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self.fd < 0:
            return
        if self.backlog:
            self._queue(data)
            return
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.fd, view)
            except BlockingIOError:
                self._queue(view)
                return
            except OSError as exc:
                if exc.errno == errno.EINTR:
                    continue
                raise
            self.size += n
            view = view[n:]
        if self.rotating and self.size >= self.maxbytes:
            self.rotate()

    def splice_room(self, count: int) -> int:
        """At most `count` bytes, and no more than the file holds before it rotates, so a
        rotated file is exactly maxbytes long (the size is counted, never stat'ed)."""
        if self.rotating:
            return max(1, min(count, self.maxbytes - self.size))
        return count

    def splice_from(self, pipe_fd: int, count: int) -> int:
        """Move up to `count` bytes from a pipe to this regular file inside the kernel;
        0 at EOF, BlockingIOError when the pipe is empty."""
        n = os.splice(pipe_fd, self.fd, count, flags=os.SPLICE_F_MOVE | os.SPLICE_F_NONBLOCK)
        self.size += n
        if self.rotating and self.size >= self.maxbytes:
            self.rotate()
        return n

    def _queue(self, data: bytes | bytearray | memoryview) -> None:
        start = not self.backlog
        self.backlog += data
        excess = len(self.backlog) - BACKLOG_LIMIT
        if excess > 0:
            del self.backlog[:excess]
            self.dropped += excess
        if start and self.on_backlog is not None:
            self.on_backlog(True)

    def flush_backlog(self) -> None:
        """The target is writable again: send what waited."""
        while self.backlog:
            try:
                n = os.write(self.fd, self.backlog)
            except BlockingIOError:
                return
            del self.backlog[:n]
        if self.on_backlog is not None:
            self.on_backlog(False)

    def rotate(self) -> None:
        os.close(self.fd)
        self.fd = -1
        if self.backups > 0:
            for i in range(self.backups - 1, 0, -1):
                _replace(f"{self.path}.{i}", f"{self.path}.{i + 1}")
            _replace(self.path, f"{self.path}.1")
        else:
            try:
                os.truncate(self.path, 0)
            except FileNotFoundError:
                pass
        self.open()

    def reopen(self) -> None:
        """USR2 / logrotate: the path may name a new file now."""
        self.close()
        self.open()

    def remove(self) -> None:
        """clearProcessLogs: the file and its backups go, a new empty file starts."""
        self.close()
        for path in [self.path] + [f"{self.path}.{i}" for i in range(1, self.backups + 1)]:
            if os.path.isfile(path):
                try:
                    os.remove(path)
                except FileNotFoundError:
                    pass
        self.open()

    def close(self) -> None:
        if self.fd >= 0:
            if self.backlog:
                try:  # one last try, never a wait
                    os.write(self.fd, self.backlog)
                except OSError:
                    pass
                self.backlog.clear()
                if self.on_backlog is not None:
                    self.on_backlog(False)
            os.close(self.fd)
            self.fd = -1


def _replace(src: str, dst: str) -> None:
    try:
        os.replace(src, dst)
    except FileNotFoundError:
        pass

"""Capture of a child's stdout or stderr: a non-blocking pipe read in the loop.

One OutputChannel per channel per process.  The loop calls `readable()` when
the pipe has data; it reads up to READ_SIZE bytes at a time (the pipe is made
as large as the kernel allows, so a chatty child wakes the master rarely) and
hands them to the log file with no per-line work, unless a per-line prefix or
strip_ansi asks for it.  A small ring of the last TAIL_SIZE bytes serves
tail for targets that are not files (/dev/stdout).  At EOF the channel
closes itself.
"""

from __future__ import annotations

import fcntl
import os
import re
import syslog
import time
from collections.abc import Callable

from fastwsgi.supervisor.logfile import LogFile

READ_SIZE = 128 * 1024  # what fits the CPU's cache: the copy out of the pipe stays hot
PIPE_SIZE = 1 << 20
MAX_PAUSE = 0.02  # the longest a line waits in the pipe before it is logged
MIN_PAUSE = 0.001
TAIL_SIZE = 64 * 1024
_ANSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]")
# One read buffer for every channel: the loop handles one read at a time, and
# a fresh 1 MiB bytes per read would be an mmap, page faults and a munmap.
_BUFFER = bytearray(READ_SIZE)
_VIEW = memoryview(_BUFFER)


def enlarge_pipe(fd: int) -> None:
    """Fewer wake-ups per MB: ask for a 1 MiB pipe (the unprivileged limit)."""
    try:
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
    except OSError:
        pass


class OutputChannel:
    def __init__(self, name: str, channel: str, fd: int, log: LogFile | None,
                 prefix: bytes = b"", strip_ansi: bool = False, to_syslog: bool = False,
                 mainlog: Callable[[str, str, bytes], None] | None = None) -> None:
        self.name = name
        self.channel = channel
        self.fd = fd
        self.log = log
        self.prefix = prefix
        self.strip_ansi = strip_ansi
        self.to_syslog = to_syslog
        self.mainlog = mainlog
        self.tail_buffer = bytearray()
        self.at_line_start = True
        self.closed = False
        self.on_close: Callable[[OutputChannel], None] | None = None
        # set by the loop's owner: stop watching the pipe for `delay` seconds
        self.pause: Callable[[OutputChannel, float], None] | None = None
        self.last_wake = time.monotonic()

    @property
    def splicing(self) -> bool:
        """Plain bytes to a regular file: the kernel moves them (splice), we only count."""
        return (self.log is not None and self.log.can_splice and not self.prefix
                and not self.strip_ansi and not self.to_syslog and self.mainlog is None)

    def readable(self) -> None:
        """The pipe has data (or is at EOF): take all of it, then maybe rest a while.

        A child that writes line by line would wake the master once per line; after
        each wake-up the channel stops watching its pipe for as long as the child
        needs, at the rate just seen, to fill half of it (at most MAX_PAUSE), so
        the lines arrive in batches and a fast child never waits on a full pipe."""
        moved = 0
        while moved < PIPE_SIZE:
            n = self._read_once()
            if n <= 0:
                break
            moved += n
        if self.closed or self.pause is None:
            return
        now = time.monotonic()
        elapsed, self.last_wake = now - self.last_wake, now
        rate = moved / elapsed if elapsed > 0 else float("inf")
        delay = MAX_PAUSE if rate <= 0 else min(MAX_PAUSE, (PIPE_SIZE / 2) / rate)
        if delay >= MIN_PAUSE:
            self.pause(self, delay)

    def drain(self) -> None:
        """Read whatever is left in the pipe now (the process was reaped)."""
        while not self.closed and self._read_once() > 0:
            pass

    def _read_once(self) -> int:
        """One read (or splice): the bytes moved; 0 when the pipe is empty for now or at
        EOF (then the channel is closed)."""
        try:
            if self.splicing:
                assert self.log is not None
                try:
                    n = self.log.splice_from(self.fd, READ_SIZE)
                except BlockingIOError:
                    raise
                except OSError:  # a file system without splice: copy instead, from now on
                    self.log.can_splice = False
                    return 1
            else:
                n = os.readv(self.fd, [_BUFFER])
                if n:
                    self.record(_VIEW[:n])
            if n:
                return n
        except BlockingIOError:
            return 0
        except OSError:
            pass
        self.close()
        return 0

    def record(self, data: bytes | memoryview) -> None:
        if self.strip_ansi:
            data = _ANSI.sub(b"", data)
        if self.prefix:
            data = self._prefixed(bytes(data))
        if self.log is not None:
            self.log.write(data)
        if self.log is None or self.log.is_stream:
            self.tail_buffer += data
            if len(self.tail_buffer) > 2 * TAIL_SIZE:
                del self.tail_buffer[:-TAIL_SIZE]
        if self.to_syslog:
            for line in bytes(data).splitlines():
                syslog.syslog(f"{self.name} {line.decode('utf-8', 'replace')}")
        if self.mainlog is not None:
            self.mainlog(self.name, self.channel, bytes(data))

    def _prefixed(self, data: bytes) -> bytes:
        lines = data.split(b"\n")
        out = [(self.prefix if self.at_line_start else b"") + lines[0]]
        out.extend(self.prefix + line for line in lines[1:-1])
        if len(lines) > 1:
            last = lines[-1]
            out.append(self.prefix + last if last else b"")
        self.at_line_start = data.endswith(b"\n")
        return b"\n".join(out)

    def tail(self, nbytes: int) -> bytes:
        return bytes(self.tail_buffer[-nbytes:]) if nbytes > 0 else b""

    def clear(self) -> None:
        self.tail_buffer.clear()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.on_close is not None:
            self.on_close(self)
        try:
            os.close(self.fd)
        except OSError:
            pass

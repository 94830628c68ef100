"""Capture of a child's stdout or stderr: a non-blocking pipe read in the loop.

One OutputChannel per channel per process.  The pipe is made as large as an
unprivileged process may (1 MiB); plain bytes to a regular file move inside
the kernel (one splice(2) of the whole pipe per wake-up, no copy through
Python); a per-line prefix, strip_ansi, syslog, a debug main log, supervisor's
capture mode (`*_capture_maxbytes`, commcapture.py) or a stream target
(/dev/stdout) read into one shared buffer instead.  A small ring of the
last TAIL_SIZE bytes serves tail for targets that are not files.  At EOF the
channel closes itself.

Pacing (what the master's CPU per MB depends on).  A child that writes line by
line would wake a master that watches its pipe once per write.  So once a
child is seen to be chatty, the channel stops watching its pipe and comes
back on a timer, when the child, at the rate it has been writing, will have
filled about half the pipe (`Pacer`): each wake-up then moves hundreds of
kilobytes, and between two of them there is no work and no system call for
this pipe (no epoll_ctl per wake-up either: while the child stays chatty the
channel only re-arms its timer).  The rules keep the log live and the child
from waiting on a full pipe:
- a line waits in the pipe at most MAX_PAUSE (50 ms) before it is logged;
- the rate is the highest recently seen (a fast burst is remembered; the
  memory halves every RATE_HALF_LIFE), and a pipe found three-quarters full
  doubles it (the child may have waited);
- the pauses start short and at most double from one to the next, so a child
  that suddenly writes fast is measured before a long pause is risked;
- a child that writes less often than every QUIET seconds is read at each
  write, as without pacing (pausing would save nothing), and a timer drain that
  finds nothing goes back to watching the pipe.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import re
import syslog
import time
from collections.abc import Callable

from fastwsgi.supervisor.commcapture import CommCapture
from fastwsgi.supervisor.logfile import LogFile

READ_SIZE = 128 * 1024  # the copy path: what fits the CPU's cache, so the bytes stay hot
PIPE_SIZE = 1 << 20  # the unprivileged limit (/proc/sys/fs/pipe-max-size by default)
MAX_PAUSE = 0.05  # the longest a line waits in the pipe before it is logged
MIN_PAUSE = 0.002  # below this, timers (1 ms resolution, late under load) risk a full pipe
FIRST_PAUSE = 0.002  # the pauses grow from this, doubling at most
QUIET = 0.005  # a child writing less often than this is read at each write
RATE_HALF_LIFE = 0.25  # how fast a burst's rate is forgotten
TAIL_SIZE = 64 * 1024
_ANSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]")
# One read buffer for every channel: the loop handles one read at a time, and
# a fresh bytes object per read would be a malloc, page faults and a free.
_BUFFER = bytearray(READ_SIZE)
_VIEW = memoryview(_BUFFER)


def enlarge_pipe(fd: int) -> int:
    """Fewer wake-ups per MB: ask for a 1 MiB pipe.  The size the pipe has."""
    try:
        return fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
    except OSError:  # over a lowered pipe-max-size, or not a pipe
        try:
            return fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ)
        except OSError:
            return 64 * 1024


class Pacer:
    """When to read a pipe next: the rules of the module's docstring, without a loop."""

    def __init__(self, pipe_size: int = PIPE_SIZE) -> None:
        self.pipe_size = pipe_size
        self.rate = 0.0  # bytes per second, the highest recently seen
        self.delay = 0.0  # the pause before this one (0: the pipe was being watched)

    def next_pause(self, moved: int, elapsed: float, polling: bool) -> float:
        """A drain moved `moved` bytes `elapsed` seconds after the one before (`polling`:
        it was the timer's, not a readable pipe's).  How long to leave the pipe
        unwatched now; 0 means watch it."""
        elapsed = max(elapsed, 1e-6)
        sample = moved / elapsed
        if moved >= self.pipe_size * 3 // 4:
            sample *= 2  # the pipe was (nearly) full: the child may have waited on it
        self.rate = max(sample, self.rate * 0.5 ** (elapsed / RATE_HALF_LIFE))
        if moved <= 0 or (not polling and elapsed >= QUIET):
            self.delay = 0.0
            return 0.0
        delay = min(MAX_PAUSE, (self.pipe_size / 2) / self.rate,
                    max(2 * self.delay, FIRST_PAUSE))
        self.delay = delay if delay >= MIN_PAUSE else 0.0
        return self.delay


class OutputChannel:
    def __init__(self, name: str, channel: str, fd: int, log: LogFile | None,
                 prefix: bytes = b"", strip_ansi: bool = False, to_syslog: bool = False,
                 mainlog: Callable[[str, str, bytes], None] | None = None,
                 capture_maxbytes: int = 0,
                 on_message: Callable[[OutputChannel, bytes], None] | None = None) -> None:
        self.name = name
        self.channel = channel
        self.fd = fd
        self.log = log
        self.prefix = prefix
        self.strip_ansi = strip_ansi
        self.to_syslog = to_syslog
        self.mainlog = mainlog
        # supervisor's capture mode (commcapture.py); None: the bytes are never scanned
        self.capture = CommCapture(capture_maxbytes) if capture_maxbytes > 0 else None
        self.on_message = on_message
        self.tail_buffer = bytearray()
        self.at_line_start = True
        self.closed = False
        self.pacer = Pacer()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.watching = False
        self.timer: asyncio.TimerHandle | None = None
        self.last_drain = time.monotonic()

    @property
    def splicing(self) -> bool:
        """Plain bytes to a regular file: the kernel moves them (splice), we only count."""
        return (self.log is not None and self.log.can_splice and not self.prefix
                and not self.strip_ansi and not self.to_syslog and self.mainlog is None
                and self.capture is None)

    # pacing, in the loop

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start watching the pipe in `loop` (its size: what enlarge_pipe got)."""
        self.loop = loop
        self.pacer.pipe_size = enlarge_pipe(self.fd)
        self._watch(True)

    def _watch(self, on: bool) -> None:
        if self.loop is None or on == self.watching:
            return
        self.watching = on
        if on:
            self.loop.add_reader(self.fd, self.readable)
        else:
            self.loop.remove_reader(self.fd)

    def readable(self) -> None:
        """The pipe has data (or is at EOF)."""
        self._paced_drain(polling=False)

    def _poll(self) -> None:
        self.timer = None
        self._paced_drain(polling=True)

    def _paced_drain(self, polling: bool) -> None:
        moved = self.drain()
        if self.closed or self.loop is None:
            return
        now = time.monotonic()
        delay = self.pacer.next_pause(moved, now - self.last_drain, polling)
        self.last_drain = now
        if delay > 0:
            self._watch(False)
            self.timer = self.loop.call_later(delay, self._poll)
        else:
            self._watch(True)

    def drain(self) -> int:
        """Read whatever is in the pipe now: the bytes moved.  A read that returns less
        than it asked for emptied the pipe, so there is no extra call to see EAGAIN."""
        moved = 0
        while not self.closed:
            n, asked = self._read_once()
            moved += n
            if n < asked:
                break
        return moved

    def _read_once(self) -> tuple[int, int]:
        """One read (or splice): (bytes moved, bytes asked for); (0, _) when the pipe
        is empty for now or at EOF (then the channel is closed)."""
        try:
            if self.splicing:
                assert self.log is not None
                asked = self.log.splice_room(self.pacer.pipe_size)
                try:
                    n = self.log.splice_from(self.fd, asked)
                except BlockingIOError:
                    raise
                except OSError:  # a file system without splice: copy instead, from now on
                    self.log.can_splice = False
                    return 0, 0
            else:
                asked = READ_SIZE
                n = os.readv(self.fd, [_BUFFER])
                if n:
                    self.record(_VIEW[:n])
            if n:
                return n, asked
        except BlockingIOError:
            return 0, 1
        except OSError:
            pass
        self.close()
        return 0, 1

    def record(self, data: bytes | memoryview) -> None:
        if self.capture is not None:
            data, messages = self.capture.feed(bytes(data))
            for message in messages:
                if self.on_message is not None:
                    self.on_message(self, message)
            if data:
                self._log(data)
        else:
            self._log(data)

    def _log(self, data: bytes | memoryview) -> None:
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
        """Every line starts with the prefix, however the reads cut the lines: one
        pass in C (bytes.replace), not a Python step per line."""
        out = data.replace(b"\n", b"\n" + self.prefix)
        if self.at_line_start:
            out = self.prefix + out
        self.at_line_start = data.endswith(b"\n")
        if self.at_line_start:  # the next line's prefix waits for that line
            out = out[:-len(self.prefix)]
        return out

    def tail(self, nbytes: int) -> bytes:
        return bytes(self.tail_buffer[-nbytes:]) if nbytes > 0 else b""

    def clear(self) -> None:
        self.tail_buffer.clear()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.capture is not None:
            rest = self.capture.finish()  # a held possible token start: it was text
            if rest:
                self._log(rest)
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self._watch(False)
        try:
            os.close(self.fd)
        except OSError:
            pass

"""Log capture: a real pipe into OutputChannel and LogFile, without a loop and then in one."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fastwsgi.supervisor.capture import FIRST_PAUSE, MAX_PAUSE, QUIET, OutputChannel, Pacer
from fastwsgi.supervisor.logfile import LogFile
from tests.support.loop_thread import loop_thread
from tests.support.waiting import wait_for


def pump(channel: OutputChannel, write_fd: int, data: bytes) -> None:
    """Write all of `data` through the channel (the pipe holds less than it may be)."""
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(write_fd, view):]
        except BlockingIOError:
            pass
        channel.drain()


@pytest.fixture
def pipe() -> tuple[int, int]:
    r, w = os.pipe()
    os.set_blocking(r, False)
    os.set_blocking(w, False)
    return r, w


def test_file_rotates_at_maxbytes_keeping_backups(tmp_path: Path, pipe: tuple[int, int]) -> None:
    r, w = pipe
    path = tmp_path / "x.log"
    log = LogFile(str(path), maxbytes=1000, backups=2)
    channel = OutputChannel("x", "stdout", r, log)
    assert channel.splicing
    for i in range(5):
        pump(channel, w, bytes([65 + i]) * 1000)
    assert path.read_bytes() == b""  # just rotated
    assert (tmp_path / "x.log.1").read_bytes() == b"E" * 1000
    assert (tmp_path / "x.log.2").read_bytes() == b"D" * 1000
    assert not (tmp_path / "x.log.3").exists()
    os.close(w)
    channel.drain()
    assert channel.closed
    log.close()


def test_zero_backups_truncates(tmp_path: Path, pipe: tuple[int, int]) -> None:
    r, w = pipe
    path = tmp_path / "x.log"
    log = LogFile(str(path), maxbytes=10, backups=0)
    channel = OutputChannel("x", "stdout", r, log)
    pump(channel, w, b"0123456789")
    pump(channel, w, b"abc")
    assert path.read_bytes() == b"abc" and not (tmp_path / "x.log.1").exists()
    os.close(w)
    log.close()
    channel.close()


def test_prefix_marks_every_line_across_reads(tmp_path: Path, pipe: tuple[int, int]) -> None:
    r, w = pipe
    path = tmp_path / "x.log"
    log = LogFile(str(path))
    channel = OutputChannel("web", "stdout", r, log, prefix=b"web | ")
    assert not channel.splicing
    pump(channel, w, b"one\ntw")
    pump(channel, w, b"o\n\nthree\n")
    assert path.read_bytes() == b"web | one\nweb | two\nweb | \nweb | three\n"
    os.close(w)
    log.close()
    channel.close()


def test_a_pipe_target_is_not_seeked_and_never_blocks(pipe: tuple[int, int]) -> None:
    """A full reader-less pipe as the target (/dev/stdout in a container): the bytes wait."""
    r, w = pipe
    target_r, target_w = os.pipe()
    log = LogFile(f"/proc/self/fd/{target_w}")
    assert log.is_stream and not log.rotating
    channel = OutputChannel("x", "stdout", r, log)
    backlog_seen: list[bool] = []
    log.on_backlog = backlog_seen.append
    big = b"y" * 100_000
    for _ in range(20):  # 2 MB, far more than the pipe holds
        pump(channel, w, big)
    assert backlog_seen == [True] and log.backlog
    assert channel.tail(5) == b"yyyyy"
    os.set_blocking(target_r, False)
    got = 0
    while log.backlog:
        try:
            got += len(os.read(target_r, 1 << 20))
        except BlockingIOError:
            pass
        log.flush_backlog()
    assert backlog_seen == [True, False]
    for fd in (w, target_r, target_w):
        os.close(fd)
    log.close()
    channel.close()


def test_strip_ansi(tmp_path: Path, pipe: tuple[int, int]) -> None:
    r, w = pipe
    path = tmp_path / "x.log"
    log = LogFile(str(path))
    channel = OutputChannel("x", "stdout", r, log, strip_ansi=True)
    pump(channel, w, b"\x1b[31mred\x1b[0m\n")
    assert path.read_bytes() == b"red\n"
    os.close(w)
    log.close()
    channel.close()


def test_a_read_never_overshoots_maxbytes(tmp_path: Path, pipe: tuple[int, int]) -> None:
    """One splice may move far more than the file has room for: it is cut at maxbytes."""
    r, w = pipe
    path = tmp_path / "x.log"
    log = LogFile(str(path), maxbytes=1000, backups=3)
    channel = OutputChannel("x", "stdout", r, log)
    pump(channel, w, b"a" * 1000 + b"b" * 1000 + b"c" * 500)
    assert (tmp_path / "x.log.2").read_bytes() == b"a" * 1000
    assert (tmp_path / "x.log.1").read_bytes() == b"b" * 1000
    assert path.read_bytes() == b"c" * 500
    os.close(w)
    log.close()
    channel.close()


def test_prefix_when_a_read_ends_inside_a_line_or_on_an_empty_one(
        tmp_path: Path, pipe: tuple[int, int]) -> None:
    r, w = pipe
    path = tmp_path / "x.log"
    log = LogFile(str(path))
    channel = OutputChannel("w", "stderr", r, log, prefix=b"w (stderr) | ")
    for piece in (b"\n", b"a", b"b\n", b"\n\nc"):
        pump(channel, w, piece)
    assert path.read_bytes() == (b"w (stderr) | \nw (stderr) | ab\nw (stderr) | \n"
                                 b"w (stderr) | \nw (stderr) | c")
    os.close(w)
    log.close()
    channel.close()


# Pacing: the decisions, then a real loop and a real chatty writer.

def test_a_quiet_child_is_read_at_each_write() -> None:
    pacer = Pacer()
    assert pacer.next_pause(100, 1.0, polling=False) == 0.0
    assert pacer.next_pause(100, QUIET * 2, polling=False) == 0.0


def test_a_chatty_child_gets_pauses_that_grow_from_short() -> None:
    pacer = Pacer(pipe_size=1 << 20)
    first = pacer.next_pause(100, 0.0001, polling=False)
    assert first == FIRST_PAUSE
    pauses = [first]
    for _ in range(10):  # 10 MB/s: half the pipe fills in 52 ms, so MAX_PAUSE caps
        pauses.append(pacer.next_pause(int(10e6 * pauses[-1]), pauses[-1], polling=True))
    assert all(b <= 2 * a + 1e-9 for a, b in itertools.pairwise(pauses))
    assert pauses[-1] == MAX_PAUSE


def test_a_pause_never_lets_the_pipe_fill_at_the_fastest_rate_seen() -> None:
    pacer = Pacer(pipe_size=1 << 20)
    pacer.next_pause(100, 0.0001, polling=False)
    pacer.next_pause(400_000, 0.002, polling=True)  # 200 MB/s for a moment
    pause = pacer.next_pause(1000, 0.004, polling=True)  # then almost nothing
    assert 0 < pause <= (1 << 19) / 200e6 * 2  # a few ms: the burst is remembered


def test_a_full_pipe_shortens_the_next_pause() -> None:
    pacer = Pacer(pipe_size=1 << 20)
    pacer.delay = MAX_PAUSE
    pause = pacer.next_pause(1 << 20, MAX_PAUSE, polling=True)
    # the child may have waited: the rate counts double, the pause is a quarter at most
    assert pause <= MAX_PAUSE / 4


def test_a_timer_drain_that_finds_nothing_watches_again() -> None:
    pacer = Pacer()
    pacer.next_pause(100, 0.0001, polling=False)
    assert pacer.next_pause(0, FIRST_PAUSE, polling=True) == 0.0
    assert pacer.delay == 0.0


class CountingChannel(OutputChannel):
    """Counts the bytes moved, and those moved by the pacing timer's drains."""

    moved = 0
    polled = 0
    drains = 0
    in_poll = False

    def _poll(self) -> None:
        self.in_poll = True
        try:
            super()._poll()
        finally:
            self.in_poll = False

    def drain(self) -> int:
        n = super().drain()
        self.drains += 1
        self.moved += n
        if self.in_poll:
            self.polled += n
        return n


def test_a_chatty_child_in_the_loop_wakes_the_master_per_batch_not_per_line(
        tmp_path: Path) -> None:
    """A real child writing ten lines a millisecond (about 1 MB/s, a rate the Pacer paces
    on any machine: a pause of 2-50 ms fills a quarter of the 1 MiB pipe at most) into a
    paced channel in a uvloop loop: every byte is logged, some of them by the timer's
    drains (without pacing there is none), the master wakes far less often than the child
    writes, and a lone line written after the burst is logged without waiting for more.
    (A child writing 20 MB flat out is not asked to be paced: at hundreds of MB/s half the
    pipe fills in less than MIN_PAUSE, and the Pacer tests above pin that decision.)"""
    bursts, per_burst = 500, 10
    r, w = os.pipe2(os.O_CLOEXEC)
    os.set_blocking(r, False)
    path = tmp_path / "x.log"
    log = LogFile(str(path))
    channel = CountingChannel("x", "stdout", r, log)
    script = ("import os, sys, time\nlines = b'x' * 99 + b'\\n'\n"
              f"lines *= {per_burst}\n"
              f"for _ in range({bursts}):\n    os.write(1, lines)\n    time.sleep(0.001)\n"
              "sys.stdin.read(1)\nos.write(1, b'last\\n')\n")
    with loop_thread() as runner:
        runner.call(channel.attach, runner.loop)
        child = subprocess.Popen([sys.executable, "-c", script], stdout=w,
                                 stdin=subprocess.PIPE)
        os.close(w)
        try:
            size = bursts * per_burst * 100
            wait_for(lambda: path.stat().st_size == size, 60, "every line logged")
            # Watching the pipe would wake the master about once per write (500);
            # paused, it wakes on a timer whose pause grows to MAX_PAUSE.
            assert channel.polled > 0 and channel.drains < bursts / 4, (
                channel.polled, channel.moved, channel.drains)
            assert child.stdin is not None
            child.stdin.write(b"g")
            child.stdin.flush()
            wait_for(lambda: path.read_bytes().endswith(b"x\nlast\n"), 10, "the lone line")
            child.stdin.close()
            assert child.wait(10) == 0
            wait_for(lambda: channel.closed, 10, "EOF seen")
            assert not channel.watching and channel.timer is None
        finally:
            if child.stdin is not None and not child.stdin.closed:
                child.stdin.close()
            if child.poll() is None:
                child.kill()
                child.wait()
            runner.call(channel.close)
    log.close()

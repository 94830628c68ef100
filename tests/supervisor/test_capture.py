"""Log capture without a loop: a real pipe into OutputChannel and LogFile."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fastwsgi.supervisor.capture import OutputChannel
from fastwsgi.supervisor.logfile import LogFile


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

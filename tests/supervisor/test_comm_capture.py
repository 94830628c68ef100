"""supervisor's capture mode (`*_capture_maxbytes`): the tokens and what they enclose stay
out of the log, however the reads cut them; without it, the bytes are not scanned."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from fastwsgi.supervisor.capture import OutputChannel
from fastwsgi.supervisor.commcapture import (
    BEGIN_TOKEN,
    END_TOKEN,
    CommCapture,
    token_start_at_end,
)
from fastwsgi.supervisor.logfile import LogFile

STREAM = (b"before\n" + BEGIN_TOKEN + b"a message\nof two lines" + END_TOKEN + b"after\n<!-- a"
          b" comment, no token -->\n" + BEGIN_TOKEN + b"second" + END_TOKEN + b"end\n")
LOGGED = b"before\nafter\n<!-- a comment, no token -->\nend\n"
MESSAGES = [b"a message\nof two lines", b"second"]


def run(pieces: list[bytes], maxbytes: int = 1000) -> tuple[bytes, list[bytes]]:
    capture = CommCapture(maxbytes)
    logged = b""
    messages: list[bytes] = []
    for piece in pieces:
        out, done = capture.feed(piece)
        logged += out
        messages += done
    return logged + capture.finish(), messages


def test_the_tokens_and_the_message_stay_out_of_the_log() -> None:
    assert run([STREAM]) == (LOGGED, MESSAGES)


@pytest.mark.parametrize("cut", range(1, len(STREAM)))
def test_any_cut_between_two_reads_gives_the_same(cut: int) -> None:
    assert run([STREAM[:cut], STREAM[cut:]]) == (LOGGED, MESSAGES)


def test_byte_at_a_time() -> None:
    assert run([STREAM[i:i + 1] for i in range(len(STREAM))]) == (LOGGED, MESSAGES)


def test_only_a_possible_token_start_waits_for_the_next_read() -> None:
    capture = CommCapture(1000)
    assert capture.feed(b"line\n<!--XSUP") == (b"line\n", [])
    assert capture.feed(b"PER is not a token\n") == (b"<!--XSUPPER is not a token\n", [])


def test_a_message_keeps_its_last_maxbytes() -> None:
    assert run([BEGIN_TOKEN + b"0123456789" + END_TOKEN], maxbytes=4) == (b"", [b"6789"])


def test_at_eof_a_held_token_start_is_logged_and_an_unfinished_message_dropped() -> None:
    assert run([b"tail <!--XSUPERVISOR:"]) == (b"tail <!--XSUPERVISOR:", [])
    assert run([b"a" + BEGIN_TOKEN + b"never ended"]) == (b"a", [])


def test_token_start_at_end() -> None:
    assert token_start_at_end(b"abc<!--", BEGIN_TOKEN) == 4
    assert token_start_at_end(b"abc", BEGIN_TOKEN) == 0
    assert token_start_at_end(BEGIN_TOKEN, BEGIN_TOKEN) == 0  # a whole token is found, not held


def channel_pair(tmp_path: Path, capture_maxbytes: int, prefix: bytes = b"",
                 on_message: Callable[[OutputChannel, bytes], None] | None = None
                 ) -> tuple[OutputChannel, int, Path]:
    r, w = os.pipe()
    os.set_blocking(r, False)
    path = tmp_path / "x.log"
    channel = OutputChannel("x", "stdout", r, LogFile(str(path)), prefix=prefix,
                            capture_maxbytes=capture_maxbytes, on_message=on_message)
    return channel, w, path


def drain_to_eof(channel: OutputChannel) -> None:
    """The writer has closed: a read that moved less than it asked stops a drain, so EOF
    may take one drain more."""
    for _ in range(3):
        channel.drain()
        if channel.closed:
            return


def test_the_fast_path_is_kept_without_capture_mode(tmp_path: Path) -> None:
    channel, w, path = channel_pair(tmp_path, 0)
    assert channel.splicing and channel.capture is None
    os.write(w, STREAM)
    os.close(w)
    drain_to_eof(channel)
    assert path.read_bytes() == STREAM  # tokens are ordinary bytes then, as in supervisord
    assert channel.closed


def test_a_channel_in_capture_mode_logs_around_and_reports_messages(tmp_path: Path) -> None:
    got: list[tuple[str, bytes]] = []
    channel, w, path = channel_pair(tmp_path, 100, prefix=b"x | ",
                                    on_message=lambda ch, m: got.append((ch.channel, m)))
    assert not channel.splicing
    cut = STREAM.index(END_TOKEN) + 5
    os.write(w, STREAM[:cut])
    channel.drain()
    os.write(w, STREAM[cut:] + b"<!--XSUPER")
    os.close(w)
    drain_to_eof(channel)
    assert channel.closed
    assert path.read_bytes() == (b"x | before\nx | after\nx | <!-- a comment, no token -->\n"
                                 b"x | end\nx | <!--XSUPER")
    assert got == [("stdout", m) for m in MESSAGES]

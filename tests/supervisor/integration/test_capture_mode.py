"""Capture mode end to end, fastwsgi beside the real supervisord on one file: the tokens
and the message between them stay out of the program's log, the text around it is
logged, and each finished message is reported in the main log (debug level)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support import TIMEOUT, wait_for
from tests.support.supervisor_master import Site, running

TALKER = r"""
import os, sys, time
pieces = [b"before\n<!--XSUPER", b"VISOR:BEGIN-->a mess", b"age<!--XSUPERVISOR:E",
          b"ND-->after\n", b"<!--XSUPERVISOR:BEGIN-->two<!--XSUPERVISOR:END-->"
          b"the last line, longer than a token\n"]
for piece in pieces:
    os.write(1, piece)
    time.sleep(0.05)  # the child's pace: the pieces may come in separate reads
time.sleep(1000)
"""

SITE = Site(auth=False, supervisord="loglevel=debug\n")
TALKER_PROGRAM = """\
[program:talker]
command={python} %(here)s/talker.py
startsecs=0
stdout_logfile=%(here)s/talker.log
stdout_capture_maxbytes=1KB
"""


@pytest.mark.parametrize("impl", ["fastwsgi", "supervisord"])
def test_capture_mode_keeps_the_message_out_of_the_log(impl: str, tmp_path: Path) -> None:
    (tmp_path / "talker.py").write_text(TALKER)
    with running(impl, tmp_path, TALKER_PROGRAM.format(python=sys.executable), SITE):
        log = tmp_path / "talker.log"
        wait_for(lambda: log.exists() and log.read_bytes().endswith(b"token\n"), TIMEOUT,
                 f"{impl}: the last line in talker.log")
        assert log.read_bytes() == b"before\nafter\nthe last line, longer than a token\n"
        main = tmp_path / "supervisord.log"
        wait_for(lambda: main.read_text().count("'talker' stdout emitted a comm event") == 2,
                 TIMEOUT, f"{impl}: two comm events in the main log")

"""Fixtures of the unit tests (the logging ones: tests/support/logs.py)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from fastwsgi.logs import Logger
from tests.support.logs import FIXED_TIME, LOGGER_NAMES, make_cfg


@pytest.fixture
def tz(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Sets a POSIX TZ (no tzdata needed); UTC+1 unless told otherwise."""
    def set_tz(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    set_tz("CET-1")
    yield set_tz
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def new_logger(tz: Callable[[str], None]) -> Iterator[Callable[..., Logger]]:
    """``new_logger(errorlog=..., ...)``: a Logger over fresh settings, clock fixed.

    Afterwards every logger it touched is put back as it was and every handler
    added meanwhile (ours or a logging config's) is closed.
    """
    saved = {}
    for name in LOGGER_NAMES:
        log = logging.getLogger(name)
        saved[name] = (list(log.handlers), log.level, log.propagate, log.disabled)
    made: list[Logger] = []

    def make(clock: Callable[[], float] = lambda: FIXED_TIME, **settings: Any) -> Logger:
        logger = Logger(make_cfg(**settings), clock=clock)
        made.append(logger)
        return logger

    yield make
    for logger in made:
        logger.close()
    for name, (handlers, level, propagate, disabled) in saved.items():
        log = logging.getLogger(name)
        for handler in log.handlers:
            if handler not in handlers:
                handler.close()
        log.handlers[:] = handlers
        log.setLevel(level)
        log.propagate, log.disabled = propagate, disabled
        if hasattr(log, "_fastwsgi"):
            delattr(log, "_fastwsgi")

"""The one ``wait_for``: poll a condition the server makes true, under a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
POLL = 0.02


def wait_for(predicate: Callable[[], T], seconds: float = 10.0, what: str = "condition") -> T:
    """Poll ``predicate`` (a file the server writes, a process gone, a log
    line) until it returns something truthy, and return that; at the deadline,
    AssertionError saying what was awaited."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        time.sleep(POLL)

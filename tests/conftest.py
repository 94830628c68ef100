"""Shared fixtures."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from types import FrameType

import pytest

from tests.support import ServerProcess, run_server

# No test may hang the suite: a live test that runs past this is failed.
INTEGRATION_TEST_LIMIT = 60.0


@pytest.fixture(autouse=True)
def _time_limit(request: pytest.FixtureRequest) -> Iterator[None]:
    if "integration" not in request.node.path.parts:
        yield
        return

    def expired(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"test ran longer than {INTEGRATION_TEST_LIMIT:.0f} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, INTEGRATION_TEST_LIMIT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """``serve("tests.apps.basic:validated_hello", "--keep-alive", "1")``
    starts a server for this test (log in tmp_path), stopped by PID after."""
    with ExitStack() as stack:
        def start(app: str, *args: str, env: dict[str, str] | None = None) -> ServerProcess:
            return stack.enter_context(run_server(app, *args, tmp_path=tmp_path, env=env))
        yield start
